#!/bin/bash
# input-kinds.sh KUPGRADE NAME - every input kind gives what a regular file gives.
#
# A scanner's worst failure is a clean result on input it did not read.  For
# the check NAME (one command that reads a file, below), the same bytes are
# fed as a regular file, then through a pipe as '-' and as /dev/stdin, a FIFO
# (mkfifo), bash process substitution <(...), a Unix socket on standard input
# ('-' and /dev/stdin), and a pipe that delivers them in small chunks with
# pauses (as a slow producer does).  Standard output, with the name the input
# was given replaced by INPUT, and the exit code must equal the regular
# file's byte for byte.  The regular file's run must also show that the input
# was read (a pattern it must print), so two empty outputs cannot agree.
#
# Each input is larger than 4 KiB with findings both in its first 4 KiB and
# after, so a reader that loses or re-reads a head shows it.
set -u
BIN=$1
NAME=$2
SRC=$(cd "$(dirname "$0")/.." && pwd)
EX=$SRC/examples
T=$(mktemp -d "${TMPDIR:-/tmp}/kup-inputs.XXXXXX")
trap 'rm -rf "$T"' EXIT
export NO_COLOR=1
# a reader that waits for input it will never get fails the check instead of hanging it
RUN=(timeout 60 "$BIN")
fail=0

# ---- inputs ----------------------------------------------------------------------------
# a multi-document YAML stream over 4 KiB: removed APIs at the start and at the end
big_yaml() {
	local i
	cat "$EX/manifests/ingress-extensions-v1beta1.yaml"
	for i in 1 2 3 4 5 6; do
		printf -- '---\n'
		sed "s/name: \(.*\)/name: \1-$i/" "$EX/manifests/deployment-apps-v1beta2.yaml"
		printf -- '---\n'
		cat "$EX/manifests/endpoints-v1.yaml"
	done
	printf -- '---\n'
	cat "$EX/manifests/pdb-policy-v1beta1.yaml"
	printf -- '---\n'
	cat "$EX/manifests/flowschema-v1beta2.yaml"
}

# The fleet file names its profiles by absolute path (a pipe has no folder).
fleet_file() {
	local c
	printf 'apiVersion: kupgrade.dev/v1alpha1\nkind: Fleet\nmetadata: {name: pipes}\n'
	printf 'spec:\n  target: {version: "1.35"}\n  clusters:\n'
	for c in dev-1 dev-2 staging-1 prod-1; do
		printf '    - {name: %s, profile: %s/fleet/clusters/%s.yaml, labels: {env: %s}}\n' \
			"$c" "$EX" "$c" "${c%-*}"
	done
	sed -n '/^  waves:/,$p' "$EX/fleet/fleet.yaml"
	# padding past 4 KiB: comments are read and ignored
	for c in $(seq 1 80); do printf '# padding line %03d so the file is larger than one 4 KiB sniff\n' "$c"; done
}

# ---- the checks: an input file, the arguments (@IN@ is the input), what the file's run prints
# (DASH_NAME: the name the command gives '-' in its output, when not '-')
DASH_NAME=-
case $NAME in
scan-small)
	# the case of the report: one small file, all of it inside the first 4 KiB
	cp "$EX/manifests/ingress-extensions-v1beta1.yaml" "$T/in"
	ARGS=(scan @IN@ --to 1.31 -o json)
	MUST='"kind": "Ingress"' ;;
scan-yaml)
	big_yaml >"$T/in"
	ARGS=(scan @IN@ --to 1.31 -o json)
	MUST='"kind": "FlowSchema"' ;;
scan-ignore)
	# inline '# kupgrade:ignore' comments in the first 4 KiB and after: honoured in a
	# pipe or FIFO from the bytes read once, as in the regular file
	{ printf '# kupgrade:ignore kubernetes/* accepted at the head\n'; big_yaml
	  printf '# kupgrade:ignore *FlowSchema accepted at the tail\n'; } >"$T/in"
	ARGS=(scan @IN@ --to 1.31 -o json --show-ignored)
	MUST='accepted at the tail' ;;
scan-json)
	cp "$EX/cluster-dump.json" "$T/in"
	ARGS=(scan @IN@ --to 1.31 -o json)
	MUST='"kind": "Ingress"' ;;
scan-helm)
	{ cat "$EX/helm-release.yaml"; printf -- '---\n'; big_yaml; } >"$T/in"
	ARGS=(scan @IN@ --to 1.31 -o csv)
	MUST='helm-release' ;;
fix-stdout)
	big_yaml >"$T/in"
	ARGS=(fix --stdout --to 1.31 @IN@)
	MUST='apiVersion: networking.k8s.io/v1' ;;
fix-diff)
	big_yaml >"$T/in"
	ARGS=(fix --diff --to 1.31 @IN@)
	DASH_NAME=stdin
	MUST='+apiVersion: flowcontrol.apiserver.k8s.io/v1' ;;
fix-helm-release)
	cp "$SRC/tests/data/helm/shop.v3-secret.yaml" "$T/in"
	ARGS=(fix --stdout --to 1.31 --helm-release @IN@)
	MUST='release' ;;
plan-manifests)
	big_yaml >"$T/in"
	ARGS=(plan "$EX/cluster/profile.yaml" --to 1.31 --today 2025-06-01 -o json --manifests @IN@)
	MUST='FlowSchema' ;;
plan-dump)
	cp "$EX/cluster-dump.json" "$T/in"
	ARGS=(plan "$EX/cluster/profile.yaml" --to 1.31 --today 2025-06-01 -o json --dump @IN@)
	MUST='"verdict"' ;;
plan-dir-manifests)
	# a directory run plans each profile: a pipe must reach every one of them
	mkdir "$T/profiles"
	sed 's/^metadata: {name: .*}/metadata: {name: one}/' "$EX/cluster/profile.yaml" >"$T/profiles/a.yaml"
	sed 's/^metadata: {name: .*}/metadata: {name: two}/' "$EX/cluster/profile.yaml" >"$T/profiles/b.yaml"
	big_yaml >"$T/in"
	ARGS=(plan "$T/profiles" --to 1.31 --today 2025-06-01 -o json --manifests @IN@)
	MUST='BLOCKED' ;;
plan-profile)
	{ cat "$EX/cluster/profile.yaml"; for i in $(seq 1 60); do printf '# padding %03d past one 4 KiB sniff of the profile\n' "$i"; done; } >"$T/in"
	ARGS=(plan @IN@ --to 1.31 --today 2025-06-01 -o json)
	MUST='"verdict"' ;;
plan-chart-index)
	cp "$EX/charts/index.yaml" "$T/in"
	ARGS=(plan "$EX/cluster/profile.yaml" --to 1.31 --today 2025-06-01 -o json --chart-index @IN@)
	MUST='"verdict"' ;;
profile-from-dump)
	cp "$EX/cluster/kubectl-get.json" "$T/in"
	ARGS=(profile --from-dump @IN@ "$EX/cluster/version.json" --name pipes)
	MUST='nodePools' ;;
profile-file)
	{ cat "$EX/cluster/profile.yaml"; for i in $(seq 1 60); do printf '# padding %03d past one 4 KiB sniff of the profile\n' "$i"; done; } >"$T/in"
	ARGS=(profile @IN@ -o json)
	MUST='"nodePools"' ;;
rollout-from-dump)
	cp "$EX/cluster/kubectl-get.json" "$T/in"
	ARGS=(rollout scenario --from-dump @IN@)
	MUST='RolloutScenario' ;;
rollout-check)
	cp "$EX/rollout/web-300.yaml" "$T/in"
	ARGS=(rollout check @IN@ -o json)
	MUST='"' ;;
fleet-validate)
	fleet_file >"$T/in"
	ARGS=(fleet validate @IN@)
	MUST='4 clusters' ;;
*)
	echo "input-kinds.sh: no check named '$NAME'" >&2
	exit 2 ;;
esac

# run NAME_GIVEN: runs ARGS with @IN@ replaced; stdin from "$STDIN_FROM" (a command)
args_with() {
	local a out=()
	for a in "${ARGS[@]}"; do
		out+=("${a//@IN@/$1}")
	done
	printf '%s\0' "${out[@]}"
}

# record LABEL GIVEN_NAME RC: keeps the run's stdout, stderr and exit code
record() {
	cp "$T/out" "$T/$1.out"
	cp "$T/err" "$T/$1.err"
	echo "$3" >"$T/$1.rc"
	if [ "$2" = - ]; then echo "$DASH_NAME"; else echo "$2"; fi >"$T/$1.name"
}

run_file() {
	local -a argv
	mapfile -d '' argv < <(args_with "$T/in")
	"${RUN[@]}" "${argv[@]}" </dev/null >"$T/out" 2>"$T/err"
	record file "$T/in" $?
}

run_pipe() {   # run_pipe LABEL NAME
	local -a argv
	mapfile -d '' argv < <(args_with "$2")
	cat "$T/in" | "${RUN[@]}" "${argv[@]}" >"$T/out" 2>"$T/err"
	record "$1" "$2" "${PIPESTATUS[1]}"
}

run_slow_pipe() {   # 512-byte chunks, a pause after every few
	local -a argv
	mapfile -d '' argv < <(args_with -)
	python3 -c '
import os, sys, time
data = open(sys.argv[1], "rb").read()
for i in range(0, len(data), 512):
    os.write(1, data[i:i + 512])
    if (i // 512) % 4 == 3:
        time.sleep(0.01)
' "$T/in" | "${RUN[@]}" "${argv[@]}" >"$T/out" 2>"$T/err"
	record slow-pipe - "${PIPESTATUS[1]}"
}

run_fifo() {
	local -a argv
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	mapfile -d '' argv < <(args_with "$T/fifo")
	cat "$T/in" >"$T/fifo" &
	local writer=$!
	"${RUN[@]}" "${argv[@]}" </dev/null >"$T/out" 2>"$T/err"
	local rc=$?
	# a reader that never opened the FIFO leaves the writer blocked
	kill "$writer" 2>/dev/null
	wait "$writer" 2>/dev/null
	record fifo "$T/fifo" $rc
}

# procsub_run NAME: called as procsub_run <(cat input): NAME is /dev/fd/N
procsub_run() {
	local -a argv
	mapfile -d '' argv < <(args_with "$1")
	"${RUN[@]}" "${argv[@]}" </dev/null >"$T/out" 2>"$T/err"
	record procsub "$1" $?
}
run_procsub() {
	procsub_run <(cat "$T/in")
}

run_socket() {   # run_socket LABEL NAME: standard input is a connected Unix socket
	local -a argv
	mapfile -d '' argv < <(args_with "$2")
	python3 - "$T/in" "${RUN[@]}" "${argv[@]}" >"$T/out" 2>"$T/err" <<'PY'
import os, socket, subprocess, sys
data = open(sys.argv[1], "rb").read()
a, b = socket.socketpair()
p = subprocess.Popen(sys.argv[2:], stdin=b.fileno())
b.close()
try:
    a.sendall(data)
except BrokenPipeError:
    pass
a.shutdown(socket.SHUT_WR)
a.close()
sys.exit(p.wait())
PY
	record "$1" "$2" $?
}

run_file
if [ -s "$T/file.err" ] && [ "$(cat "$T/file.rc")" = 1 ]; then
	echo "FAIL: $NAME: the regular file itself gives an error:"; cat "$T/file.err"
	fail=1
fi
if ! grep -qF -- "$MUST" "$T/file.out"; then
	echo "FAIL: $NAME: reading the regular file does not print '$MUST'"
	cat "$T/file.out" | head -20
	fail=1
fi

run_pipe pipe-dash -
run_pipe pipe-dev-stdin /dev/stdin
run_slow_pipe
run_fifo
run_procsub
run_socket socket-dash -
run_socket socket-dev-stdin /dev/stdin

# The regular file's output, with its name changed to the name the other run
# gave its input, must be the other run's output byte for byte (the output
# formats used here pad no column to a name's width).
quote_sed() { printf '%s' "$1" | sed 's/[][\\.*^$|/&]/\\&/g'; }
for k in pipe-dash pipe-dev-stdin slow-pipe fifo procsub socket-dash socket-dev-stdin; do
	rc=$(cat "$T/$k.rc") want=$(cat "$T/file.rc")
	sed "s|$(quote_sed "$T/in")|$(quote_sed "$(cat "$T/$k.name")")|g" "$T/file.out" >"$T/want.out"
	if [ "$rc" != "$want" ] || ! cmp -s "$T/want.out" "$T/$k.out"; then
		echo "FAIL: $NAME: $k: exit $rc (a regular file: $want)"
		diff -u "$T/want.out" "$T/$k.out" | head -30
		sed 's/^/  stderr: /' "$T/$k.err" | head -10
		fail=1
	else
		echo "ok: $NAME: $k: exit $rc, $(wc -c <"$T/$k.out") bytes of output as from the file"
	fi
done
exit $fail
