# tests/integration/lib/hollow.sh - kubemark hollow nodes on the harness's control plane.
#
# Sourced by tests/integration/rollout_*.sh after lib/apiserver.sh (bash).
#
#   hollow_setup        checks what hollow nodes need, starts the control plane
#                       (node lifecycle controller on) and kube-scheduler, writes
#                       $D/hollow.kubeconfig; sets BIN (the cached kubernetes build:
#                       kubemark, kubemark-1.19, kube-scheduler), D, OUT, K; stops
#                       every hollow node when the test exits, even if it is killed
#   hollow_stop         kills every hollow node started under $D/nodes
#   nodes_json          the Nodes of pool `general` (label kupgrade.dev/pool)
#   wait_for DESC SECONDS CMD...   runs CMD every 0.5 s until it succeeds; not ok if it never does
#   ready_nodes N       at least N of nodes_json are Ready
#   apply PATH BODY     POST BODY to the API server; dies when refused
#
# A test's exec provider starts a node with lib/hollow-node.sh (hollow_start).

hollow_setup() {
	command -v jq >/dev/null || kup_die "jq not installed"
	command -v unshare >/dev/null || kup_die "unshare not installed (util-linux)"
	command -v setsid >/dev/null || kup_die "setsid not installed (util-linux)"
	[ "$(id -u)" = 0 ] || kup_die "hollow nodes need a private mount namespace: run as root"
	# hollow nodes have kubelets: the node lifecycle controller runs (not-ready taints, NotReady)
	KUP_KCM_CONTROLLERS='*'
	kup_api_start
	BIN=$("$KUP_SRC_DIR/scripts/build-apiserver") || kup_die "scripts/build-apiserver failed"
	[ -x "$BIN/kubemark" ] && [ -x "$BIN/kubemark-1.19" ] && [ -x "$BIN/kube-scheduler" ] ||
		kup_die "$BIN lacks kubemark, kubemark-1.19 or kube-scheduler: scripts/build-apiserver --force"
	D=$KUP_API_DIR
	OUT=$D/out
	mkdir -p "$OUT" "$D/nodes" /var/lib/kubelet
	K=(--kubeconfig "$KUP_KUBECONFIG" --context admin)
	local p=$D/pki

	# Hollow nodes read a kubeconfig with the credentials inline: /tmp is private to them.
	cat >"$D/hollow.kubeconfig" <<KC
apiVersion: v1
kind: Config
current-context: h
clusters:
- name: test
  cluster: {server: "$KUP_API_URL", certificate-authority-data: "$(base64 -w0 "$p/ca.crt")"}
users:
- name: h
  user: {client-certificate-data: "$(base64 -w0 "$p/admin.crt")", client-key-data: "$(base64 -w0 "$p/admin.key")"}
contexts:
- name: h
  context: {cluster: test, user: h}
KC

	"$BIN/kube-scheduler" --kubeconfig "$D/kcm.kubeconfig" --leader-elect=false --port=0 \
		--secure-port=0 >"$D/kube-scheduler.log" 2>&1 &
	KUP_PIDS="$! $KUP_PIDS"

	trap 'hollow_stop; kup_api_stop' EXIT
	# the hollow nodes' own watchdog (the harness's knows only its own processes)
	(
		trap '' INT TERM HUP
		while kill -0 $$ 2>/dev/null; do sleep 1; done
		for f in "$D"/nodes/*/pid; do kill -KILL "$(cat "$f")" 2>/dev/null; done
	) </dev/null >/dev/null 2>&1 &
}

hollow_stop() {
	local f
	for f in "$D"/nodes/*/pid; do
		[ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	return 0
}

nodes_json() { $KUP_CURL -fsS "$KUP_API_URL/api/v1/nodes?labelSelector=kupgrade.dev/pool%3Dgeneral"; }
wait_for() { # description seconds command...
	local what="$1" max="$2" i
	shift 2
	for i in $(seq 1 $((max * 2))); do
		"$@" && return 0
		sleep 0.5
	done
	kup_not_ok "$what: not within $max s"
	return 1
}
ready_nodes() { # count
	[ "$(nodes_json | jq '[.items[] | select(.status.conditions[]? | select(.type == "Ready" and .status == "True"))] | length')" -ge "$1" ]
}
apply() { # path body
	$KUP_CURL -fsS -X POST -H 'Content-Type: application/json' "$KUP_API_URL$1" -d "$2" -o /dev/null ||
		kup_die "POST $1 failed"
}
