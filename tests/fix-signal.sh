#!/bin/bash
# fix-signal.sh KUPGRADE [FAULT] - `fix --write` killed by SIGINT or SIGTERM in
# the middle of writing leaves no temporary file and the original intact.
#
# The write is caught while the temporary file (.NAME.kupgrade-XXXXXX beside
# the file) exists and before it is renamed over the file:
# - in every build: a 16 MiB file (one object to convert, then comments), the
#   directory polled until the temporary file appears, the process stopped
#   there with SIGSTOP; a run that finished before it could be stopped is
#   retried with a file twice as large (at most 5 times, then the test fails);
# - in a -DKUP_FAULT_INJECTION=ON build (FAULT=1): $KUP_IO_FAIL=write:1:STOP
#   stops the process itself before its first write, every time.
# Then SIGINT (or SIGTERM) and SIGCONT: the process must die of that signal,
# the temporary file must be gone and the file byte-identical to before.
# The control: the same run left alone converts the file (so the window the
# test signals in is a real one).
set -u
BIN=$(realpath "$1")
FAULT=${2:-0}
T=$(mktemp -d "${TMPDIR:-/tmp}/kup-fix-signal.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null; rm -rf "$T"' EXIT
fail=0

check() {
	local what=$1
	shift
	if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}

make_input() {   # make_input FILE MIB
	{
		printf 'apiVersion: extensions/v1beta1\nkind: DaemonSet\nmetadata:\n  name: big\n'
		printf 'spec:\n  template:\n    metadata:\n      labels: {app: big}\n'
		printf '    spec:\n      containers:\n      - name: c\n        image: nginx\n'
		head -c $(($2 * 1024 * 1024)) /dev/zero | tr '\0' 'x' | fold -w 200 | sed 's/^/# /'
		echo
	} >"$1"
}

temp_of() { compgen -G "$T/d/.in.yaml.kupgrade-*"; }

stopped() {   # the process is stopped (state T)
	[ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat")" = T ]
}

# one attempt: 0 caught and checked, 1 a failure, 2 missed the window (retry)
attempt() {   # attempt SIGNAL MIB
	local sig=$1 mib=$2 tmp rc
	rm -rf "$T/d"
	mkdir "$T/d"
	cp "$T/orig-$mib.yaml" "$T/d/in.yaml"
	if [ "$FAULT" = 1 ]; then
		KUP_IO_FAIL=write:1:STOP "$BIN" fix "$T/d/in.yaml" --to 1.22 --write 2>"$T/err" &
		pid=$!
		for _ in $(seq 1 600); do stopped "$pid" && break; sleep 0.05; done
	else
		"$BIN" fix "$T/d/in.yaml" --to 1.22 --write 2>"$T/err" &
		pid=$!
		while kill -0 "$pid" 2>/dev/null && ! temp_of >/dev/null; do :; done
		kill -STOP "$pid" 2>/dev/null
		for _ in $(seq 1 100); do stopped "$pid" || ! kill -0 "$pid" 2>/dev/null && break; sleep 0.01; done
	fi
	if ! stopped "$pid" || ! temp_of >/dev/null; then
		kill -CONT "$pid" 2>/dev/null
		wait "$pid"
		pid=
		return 2
	fi
	tmp=$(temp_of)
	echo "caught: $(basename "$tmp") ($(stat -c %s "$tmp") of $(stat -c %s "$T/d/in.yaml") bytes written) by SIG$sig"
	kill "-$sig" "$pid"
	kill -CONT "$pid"
	wait "$pid"
	rc=$?
	pid=
	local want=$((128 + $(kill -l "$sig")))
	check "SIG$sig: the process died of the signal (status $rc, want $want)" [ "$rc" = "$want" ]
	check "SIG$sig: no temporary file left" [ -z "$(temp_of)" ]
	check "SIG$sig: nothing else left in the directory" [ "$(ls -A "$T/d")" = in.yaml ]
	check "SIG$sig: the original is intact" cmp -s "$T/orig-$mib.yaml" "$T/d/in.yaml"
	return 0
}

for sig in INT TERM; do
	mib=16
	for try in 1 2 3 4 5; do
		[ -f "$T/orig-$mib.yaml" ] || make_input "$T/orig-$mib.yaml" "$mib"
		attempt "$sig" "$mib"
		r=$?
		[ "$r" = 2 ] || break
		echo "missed the write window with $mib MiB (try $try)"
		[ "$try" = 5 ] && check "SIG$sig: the write was caught within 5 tries" false
		mib=$((mib * 2))
		[ "$FAULT" = 1 ] && mib=16
	done
done

# the control: left alone, the same run converts the file and leaves nothing behind
rm -rf "$T/d"
mkdir "$T/d"
cp "$T/orig-16.yaml" "$T/d/in.yaml"
"$BIN" fix "$T/d/in.yaml" --to 1.22 --write 2>"$T/err"
check "control: fix --write exits 0" [ $? = 0 ]
check "control: the file is converted" grep -q '^apiVersion: apps/v1$' "$T/d/in.yaml"
check "control: no temporary file left" [ "$(ls -A "$T/d")" = in.yaml ]

exit $fail
