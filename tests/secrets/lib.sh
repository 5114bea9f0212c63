# tests/secrets/lib.sh - plants a distinctive secret in every place a user can
# put one, runs every command that can meet one at every -v level, and greps
# everything kupgrade printed or wrote for them.  Sourced by tests/secrets/run.sh
# (servers and stores that cannot be reached).
#
#   sec_setup DIR            writes the inputs into DIR/in (kubeconfig with contexts
#                            down-token, down-basic, down-key, down-tokenfile,
#                            down-exec, down-proxy, bad-scheme; exec plugin; token file)
#   sec_add_context NAME SERVER CA_FILE   appends a context on SERVER whose user has
#                            every credential kind at once (token + basic + the key)
#   sec_run_all STORE...     runs every command against every context and store
#   sec_check                greps DIR/out and DIR/written; 0 when no secret appears
#
# The planted secrets are SEC_* below; every one is distinctive, so one grep finds it.

SEC_STORE=StorePw7Qx3Zk
SEC_SRV=SrvUserPw5Hd9
SEC_PROXY=ProxyPw4Lm2Tz
SEC_TOKEN=TokInline8Rt6Vw
SEC_TOKFILE=TokFile3Bn7Yq
SEC_BASIC=BasicPw2Kd8Ms
SEC_EXECENV=ExecEnv9Fp1Gt
SEC_EXECTOK=ExecTok6Wc4Jh
SEC_CONNINFO=ConnPw1Ab9Xe
SEC_SERVETOK=ServeTok5Gy2Np

sec_log() { printf 'secrets: %s\n' "$*" >&2; }

sec_setup() {
	SEC_DIR=$1
	mkdir -p "$SEC_DIR/in" "$SEC_DIR/out" "$SEC_DIR/rc" "$SEC_DIR/written"
	# a client key: its PEM body and its base64 (client-key-data) are both secrets
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$SEC_DIR/in/client.key" \
		-out "$SEC_DIR/in/client.crt" -days 2 -subj /CN=sec >/dev/null 2>&1 || {
		sec_log "openssl cannot make a key"; return 1; }
	SEC_KEY_DATA=$(base64 -w0 <"$SEC_DIR/in/client.key")
	SEC_CRT_DATA=$(base64 -w0 <"$SEC_DIR/in/client.crt")
	# a line from the middle of the PEM body, and a 40-byte piece of client-key-data
	SEC_KEY_LINE=$(sed -n 5p "$SEC_DIR/in/client.key")
	SEC_KEY_B64=$(printf '%s' "$SEC_KEY_DATA" | cut -c 200-239)
	printf '%s\n' "$SEC_TOKFILE" >"$SEC_DIR/in/token"
	printf '%s\n' "$SEC_SERVETOK" >"$SEC_DIR/in/serve-token"
	cat >"$SEC_DIR/in/exec-plugin.sh" <<EOP
#!/bin/sh
# prints an ExecCredential; the env value it was given must stay secret
[ "\$EXEC_SECRET" = "$SEC_EXECENV" ] || { echo "exec-plugin: wrong env" >&2; exit 1; }
printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"%s"}}\n' "$SEC_EXECTOK"
EOP
	chmod +x "$SEC_DIR/in/exec-plugin.sh"
	SEC_KUBECONFIG=$SEC_DIR/in/kubeconfig
	SEC_CONTEXTS="down-token down-basic down-key down-tokenfile down-exec down-proxy bad-scheme"
	{
		echo "apiVersion: v1"
		echo "kind: Config"
		echo "current-context: down-token"
		echo "clusters:"
		echo "- name: down"
		echo "  cluster: {server: \"https://kup:$SEC_SRV@127.0.0.1:1\"}"
		echo "- name: down-proxy"
		echo "  cluster: {server: \"https://127.0.0.1:1\", proxy-url: \"http://p:$SEC_PROXY@127.0.0.1:2\"}"
		echo "- name: bad-scheme"
		echo "  cluster: {server: \"ftp://kup:$SEC_SRV@127.0.0.1:1\"}"
		echo "contexts:"
		for c in token basic key tokenfile exec; do
			echo "- {name: down-$c, context: {cluster: down, user: u-$c}}"
		done
		echo "- {name: down-proxy, context: {cluster: down-proxy, user: u-token}}"
		echo "- {name: bad-scheme, context: {cluster: bad-scheme, user: u-token}}"
		echo "users:"
		echo "- {name: u-token, user: {token: $SEC_TOKEN}}"
		echo "- {name: u-basic, user: {username: admin, password: $SEC_BASIC}}"
		echo "- {name: u-key, user: {client-certificate-data: $SEC_CRT_DATA, client-key-data: $SEC_KEY_DATA}}"
		echo "- {name: u-tokenfile, user: {tokenFile: $SEC_DIR/in/token}}"
		echo "- name: u-exec"
		echo "  user:"
		echo "    exec:"
		echo "      apiVersion: client.authentication.k8s.io/v1beta1"
		echo "      command: $SEC_DIR/in/exec-plugin.sh"
		echo "      env: [{name: EXEC_SECRET, value: $SEC_EXECENV}]"
		echo "      interactiveMode: Never"
	} >"$SEC_KUBECONFIG"
	# a scenario-less profile for plan, and a small manifest for scan
	cat >"$SEC_DIR/in/profile.yaml" <<EOP
apiVersion: kupgrade.dev/v1alpha1
kind: ClusterProfile
metadata: {name: sec}
spec:
  controlPlane: {version: "1.29"}
  nodePools: [{name: a, version: "1.29", count: 1}]
EOP
}

# sec_add_context NAME SERVER CA_FILE TOKEN: a reachable context whose server URL carries
# userinfo and whose user has a token (TOKEN, the one the server accepts) and the key.
sec_add_context() {
	cat >>"$SEC_KUBECONFIG" <<EOP
- name: u-$1
  user: {token: $4}
EOP
	# contexts and clusters go in a second file, merged through KUBECONFIG order
	cat >>"$SEC_DIR/in/kubeconfig-$1" <<EOP
apiVersion: v1
kind: Config
clusters:
- name: $1
  cluster: {server: "$2", certificate-authority: "$3"}
contexts:
- {name: $1, context: {cluster: $1, user: u-$1}}
EOP
	SEC_KUBECONFIG_LIST="${SEC_KUBECONFIG_LIST:-$SEC_KUBECONFIG}:$SEC_DIR/in/kubeconfig-$1"
	SEC_CONTEXTS="$SEC_CONTEXTS $1"
}

SEC_N=0
# sec_cmd NAME ARGS...: queues one kupgrade run (sec_run_queued runs the queue in
# parallel: most of the time goes on waiting for retries to a closed port);
# stdout, stderr and the exit code are kept under out/.  sec_cmd_env NAME VAR=VALUE
# ARGS... runs it with VAR set.
sec_cmd() {
	name=$1
	shift
	sec_cmd_env "$name" KUP_SECRETS_TEST=1 "$@"
}

sec_cmd_env() {
	name=$1
	var=$2
	shift 2
	SEC_N=$((SEC_N + 1))
	{
		printf '%s %q %q' "$SEC_N-$name" "$var" "$K"
		printf ' %q' "$@"
		printf '\0'
	} >>"$SEC_DIR/queue"
}

sec_run_queued() {
	cat >"$SEC_DIR/run-one.sh" <<'EOP'
#!/bin/bash
# run-one.sh "ID VAR=VALUE PROGRAM ARGS..." (one %q-quoted line)
eval "set -- $1"
id=$1
shift
# a command still running after SEC_TIMEOUT seconds is killed: exit 124 (137 after
# SIGKILL), recorded with the command, which sec_check names
cd "$SEC_DIR/written" || exit 1
timeout -k 5 "$SEC_TIMEOUT" env "$@" </dev/null >"$SEC_DIR/out/$id.out" 2>"$SEC_DIR/out/$id.err"
echo "$? ${*:3}" >"$SEC_DIR/rc/$id"
EOP
	chmod +x "$SEC_DIR/run-one.sh"
	SEC_DIR=$SEC_DIR SEC_TIMEOUT=${SEC_TIMEOUT:-180} KUBECONFIG="${SEC_KUBECONFIG_LIST:-$SEC_KUBECONFIG}" \
		xargs -0 -n 1 -P "${SEC_JOBS:-16}" "$SEC_DIR/run-one.sh" <"$SEC_DIR/queue"
	rm -f "$SEC_DIR/queue"
}

sec_fleet_file() {
	# $1 the file, then the contexts its clusters are read from
	f=$1
	shift
	{
		echo "apiVersion: kupgrade.dev/v1alpha1"
		echo "kind: Fleet"
		echo "metadata: {name: sec}"
		echo "spec:"
		echo "  target: {version: \"1.21\"}"
		echo "  clusters:"
		for c in "$@"; do
			echo "    - {name: c-$c, context: $c, labels: {env: dev}}"
		done
		echo "  waves:"
		echo "    - {name: dev, selector: {env: dev}}"
		echo "  driver:"
		echo "    control-plane: \"echo cp {cluster} {context} \$EXEC_SECRET\""
		echo "    nodepool: \"echo np {cluster} {pool}\""
		echo "    verify: \"true\""
	} >"$f"
}

# sec_run_all STORE...: every command, every context, every -v level, every store.
sec_run_all() {
	stores=("$@")
	for ctx in $SEC_CONTEXTS; do
		for v in "" -v -vv; do
			set -- ${v:+"$v"}
			sec_cmd scan-$ctx scan --context "$ctx" "$@"
			sec_cmd preflight-$ctx scan --context "$ctx" --preflight --to 1.31 "$@"
			sec_cmd snapshot-$ctx snapshot --context "$ctx" -o "snap-$ctx$v.json" "$@"
			sec_cmd drain-$ctx drain node-1 --context "$ctx" --dry-run "$@"
			sec_cmd drain-real-$ctx drain node-1 --context "$ctx" --timeout 5s "$@"
			sec_cmd plan-$ctx plan --context "$ctx" --to 1.21 "$@"
			sec_cmd plan-md-$ctx plan --context "$ctx" --to 1.21 -o markdown "$@"
			sec_cmd profile-$ctx profile --context "$ctx" "$@"
			sec_cmd rollout-$ctx rollout scenario --context "$ctx" "$@"
			sec_cmd serve-$ctx serve --once --context "$ctx" --listen 127.0.0.1:0 \
				--token-file "$SEC_DIR/in/serve-token" --request-timeout 20 "$@"
		done
	done
	sec_fleet_file "$SEC_DIR/written/fleet.yaml" $SEC_CONTEXTS
	for store in "${stores[@]}"; do
		for sub in status plan events "report fleet.yaml report.html" "pause" "resume" \
			"approve dev" "retry c-down-token" "run --once" "status -o json"; do
			case $sub in
			status*|plan|run*) set -- $sub; a=$1; shift; set -- "$a" fleet.yaml "$@" ;;
			*) set -- $sub ;;
			esac
			sec_cmd fleet-$1 fleet "$@" --store "$store"
			sec_cmd_env fleet-env-$1 KUPGRADE_FLEET_STORE="$store" fleet "$@"
		done
	done
	sec_run_queued
}

# sec_check: 0 when no planted secret is in any output or written file.
sec_check() {
	bad=0
	for s in "$SEC_STORE" "$SEC_SRV" "$SEC_PROXY" "$SEC_TOKEN" "$SEC_TOKFILE" "$SEC_BASIC" \
		"$SEC_EXECENV" "$SEC_EXECTOK" "$SEC_CONNINFO" "$SEC_SERVETOK" "$SEC_KEY_LINE" "$SEC_KEY_B64"; do
		hits=$(grep -rlaF -- "$s" "$SEC_DIR/out" "$SEC_DIR/written" 2>/dev/null)
		if [ -n "$hits" ]; then
			bad=1
			sec_log "LEAK of '$s' in:"
			for h in $hits; do
				sec_log "  $h: $(grep -aF -- "$s" "$h" | head -n 2)"
				r=$SEC_DIR/rc/$(basename "${h%.*}")
				[ -f "$r" ] && sec_log "    (kupgrade $(cut -d' ' -f2- "$r"))"
			done
		fi
	done
	# the checks must have seen the secrets masked, not merely absent
	grep -rqaF -- ':***@' "$SEC_DIR/out" || { sec_log "no masked URL anywhere: did the commands run?"; bad=1; }
	n=$(ls "$SEC_DIR/rc" | wc -l)
	sec_log "$n commands run, $(ls "$SEC_DIR/written" | wc -l) files written"
	[ "$n" = "$SEC_N" ] || { sec_log "$SEC_N commands queued, $n finished (the others hung)"; bad=1; }
	# a hang (killed by timeout: 124, or 137 after -k) and a crash are failures too
	if grep -lE '^(124|12[5-9]|13[0-9]|1[4-9][0-9]|2[0-9][0-9]) ' "$SEC_DIR"/rc/* >/dev/null 2>&1; then
		sec_log "commands that crashed or hung (exit code, then the command; 124: killed after ${SEC_TIMEOUT:-180}s):"
		for r in $(grep -lE '^(124|12[5-9]|13[0-9]|1[4-9][0-9]|2[0-9][0-9]) ' "$SEC_DIR"/rc/*); do
			sec_log "  $(basename "$r"): kupgrade $(cut -d' ' -f2- "$r") -> exit $(cut -d' ' -f1 "$r")"
		done
		bad=1
	fi
	return $bad
}
