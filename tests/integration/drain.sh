#!/bin/bash
# drain.sh - `kupgrade drain` against a real kube-apiserver v1.20.2.
#
# Hand-made Nodes; pods bound to them and patched Running+Ready through
# pods/status (there is no kubelet); ReplicaSets adopt them; a DaemonSet pod
# bound by a Binding; a mirror pod.  Asserts:
#   --dry-run: which pods would be evicted, in order, and which would wait for
#     a budget (web-2: its budget allows 1 and web-1 takes it; db-1: 0 allowed), and that nothing changed (node and pods byte-for-byte the same
#     resourceVersions, node not cordoned);
#   a real drain: the node is cordoned, the first pod of a PDB allowing 1 is
#     evicted (policy/v1beta1: the server has no policy/v1) and gone, the
#     second is reported blocked by that PDB by name, exit 3 at the timeout;
#   --on-timeout force deletes what is left (exit 0);
#   DaemonSet and mirror pods are skipped, never evicted;
#   unmanaged pods need --force, emptyDir pods --delete-emptydir-data
#     (exit 1, nothing changed, the reason named);
#   a node that does not exist is an error naming it.
# Usage (ctest): drain.sh KUPGRADE_CLI BUILD_DIR
set -u
CLI="$1"
. "$(dirname "$0")/lib/apiserver.sh"
command -v jq >/dev/null || kup_die "jq not installed"
kup_api_start
OUT="$KUP_API_DIR/out"
mkdir -p "$OUT"
K=(--kubeconfig "$KUP_KUBECONFIG" --context admin)

node() { # name labels-json
	kup_api_json POST /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",
	  \"metadata\":{\"name\":\"$1\",\"labels\":$2},
	  \"status\":{\"nodeInfo\":{\"kubeletVersion\":\"v1.20.2\",\"kubeProxyVersion\":\"v1.20.2\",
	    \"osImage\":\"Debian GNU/Linux 12\",\"containerRuntimeVersion\":\"containerd://1.6.20\",
	    \"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\",\"kernelVersion\":\"6.1.0\",
	    \"operatingSystem\":\"linux\",\"architecture\":\"amd64\"}}}" >/dev/null
}
pod() { # name node labels-json [extra metadata json] [extra spec json]
	kup_api_json POST /api/v1/namespaces/shop/pods "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",
	  \"metadata\":{\"name\":\"$1\",\"labels\":$3${4:+,$4}},
	  \"spec\":{\"nodeName\":\"$2\",\"containers\":[{\"name\":\"c\",\"image\":\"registry.k8s.io/pause:3.2\"}]${5:+,$5}}}" >/dev/null
}
ready() { # pod name
	kup_api_json PATCH "/api/v1/namespaces/shop/pods/$1/status" \
		'{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"},{"type":"PodScheduled","status":"True"}]}}' \
		application/merge-patch+json >/dev/null
}
rs() { # name app replicas
	kup_api_json POST /apis/apps/v1/namespaces/shop/replicasets "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",
	  \"metadata\":{\"name\":\"$1\"},
	  \"spec\":{\"replicas\":$3,\"selector\":{\"matchLabels\":{\"app\":\"$2\"}},
	    \"template\":{\"metadata\":{\"labels\":{\"app\":\"$2\"}},
	      \"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"registry.k8s.io/pause:3.2\"}]}}}}" >/dev/null
}
pdb() { # name app minAvailable
	kup_api_json POST /apis/policy/v1beta1/namespaces/shop/poddisruptionbudgets "{\"apiVersion\":\"policy/v1beta1\",
	  \"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\"$1\"},
	  \"spec\":{\"minAvailable\":$3,\"selector\":{\"matchLabels\":{\"app\":\"$2\"}}}}" >/dev/null
}
wait_for() { # description seconds command...
	local what="$1" max="$2" i
	shift 2
	for i in $(seq 1 $((max * 4))); do
		if "$@"; then return 0; fi
		sleep 0.25
	done
	kup_log "daemonsets: $(kup_api_json GET /apis/apps/v1/namespaces/shop/daemonsets | jq -c '[.items[] | .status]')"
	kup_log "pods: $(kup_api_json GET /api/v1/namespaces/shop/pods | jq -c '[.items[] | [.metadata.name, .spec.nodeName, (.metadata.ownerReferences[0].kind // "")]]')"
	tail -n 20 "$KUP_API_DIR/kube-controller-manager.log" >&2
	kup_die "timed out waiting for $what"
}
owned() { # pod -> its controller kind
	[ "$(kup_api_json GET "/api/v1/namespaces/shop/pods/$1" | jq -r '.metadata.ownerReferences[0].kind // ""')" = "$2" ]
}
pdb_allows() { # name n
	[ "$(kup_api_json GET "/apis/policy/v1beta1/namespaces/shop/poddisruptionbudgets/$1" |
		jq -r '.status.disruptionsAllowed // -1')" = "$2" ]
}
gone() { ! $KUP_CURL -fsS -o /dev/null "$KUP_API_URL/api/v1/namespaces/shop/pods/$1" 2>/dev/null; }
state() { # json-file ns/name -> state
	jq -r --arg p "$2" '.pods[] | select(.namespace + "/" + .name == $p) | .state' "$1"
}
pdbs_of() {
	jq -r --arg p "$2" '.pods[] | select(.namespace + "/" + .name == $p) | .pdbs // ""' "$1"
}
# What must not change in a dry run: the node and every pod of shop.
fingerprint() {
	{
		kup_api_json GET /api/v1/nodes | jq -c '.items[] | [.metadata.name, .metadata.resourceVersion, (.spec.unschedulable // false)]'
		kup_api_json GET /api/v1/namespaces/shop/pods | jq -c '.items[] | [.metadata.name, .metadata.resourceVersion, .metadata.uid, (.metadata.deletionTimestamp // "")]'
	} | sort
}

# ---- the cluster --------------------------------------------------------------
kup_api_namespace shop
node node-a '{"kup/ds":"yes"}'
node node-b '{}'
node node-c '{}'
for p in web-1 web-2; do pod "$p" node-a '{"app":"web"}'; done
pod db-1 node-a '{"app":"db"}'
pod mirror-1 node-a '{"app":"static"}' '"annotations":{"kubernetes.io/config.mirror":"abc123"}'
pod lonely node-b '{"app":"lonely"}'
pod scratch node-c '{"app":"scratch"}' '' '"volumes":[{"name":"tmp","emptyDir":{}}]'
for p in web-1 web-2 db-1 mirror-1 lonely scratch; do ready "$p"; done
rs web web 2
rs db db 1
wait_for "ReplicaSet web to adopt web-1, web-2" 90 owned web-1 ReplicaSet
wait_for "ReplicaSet web to adopt web-2" 90 owned web-2 ReplicaSet
wait_for "ReplicaSet db to adopt db-1" 90 owned db-1 ReplicaSet
# A DaemonSet pod: the controller makes it (unbound: no scheduler); bind it to
# node-a.  It tolerates everything: hand-made nodes carry the not-ready taint.
kup_api_json POST /apis/apps/v1/namespaces/shop/daemonsets '{"apiVersion":"apps/v1","kind":"DaemonSet",
  "metadata":{"name":"agent"},"spec":{"selector":{"matchLabels":{"app":"agent"}},
  "template":{"metadata":{"labels":{"app":"agent"}},"spec":{"nodeSelector":{"kup/ds":"yes"},
  "tolerations":[{"operator":"Exists"}],"containers":[{"name":"c","image":"registry.k8s.io/pause:3.2"}]}}}}' >/dev/null
dspod() { kup_api_json GET '/api/v1/namespaces/shop/pods?labelSelector=app%3Dagent' | jq -r '.items[0].metadata.name // ""'; }
has_dspod() { test -n "$(dspod)"; }
wait_for "the DaemonSet pod" 120 has_dspod
DSPOD=$(dspod)
kup_api_json POST "/api/v1/namespaces/shop/pods/$DSPOD/binding" "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",
  \"metadata\":{\"name\":\"$DSPOD\"},\"target\":{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"node-a\"}}" >/dev/null
ready "$DSPOD"
pdb web web 1
pdb db db 1
wait_for "PDB web to allow 1 disruption" 120 pdb_allows web 1
wait_for "PDB db to allow 0 disruptions" 120 pdb_allows db 0
kup_log "cluster ready: node-a has web-1 web-2 db-1 mirror-1 $DSPOD"

# ---- a node that does not exist ------------------------------------------------------
"$CLI" drain node-zzz "${K[@]}" >"$OUT/missing.out" 2>"$OUT/missing.err"
kup_expect_exit 1 $? "drain of a missing node"
kup_grep "$OUT/missing.err" "node 'node-zzz' not found" "the missing node is named"

# ---- dry run ----------------------------------------------------------------------
fingerprint >"$OUT/before"
"$CLI" drain node-a "${K[@]}" --dry-run -o json >"$OUT/dry.json" 2>"$OUT/dry.err"
kup_expect_exit 3 $? "dry run with a budget at 0"
fingerprint >"$OUT/after"
if cmp -s "$OUT/before" "$OUT/after"; then kup_ok "dry run changed nothing"; else
	kup_not_ok "dry run changed something:"
	diff "$OUT/before" "$OUT/after" >&2
fi
kup_check "dry run: web-1 would be evicted" test "$(state "$OUT/dry.json" shop/web-1)" = would-evict
kup_check "dry run: web-2 would wait (its budget allows 1, web-1 takes it)" test "$(state "$OUT/dry.json" shop/web-2)" = would-block
kup_check "dry run: web-2's budget is named" test "$(pdbs_of "$OUT/dry.json" shop/web-2)" = shop/web
kup_grep "$OUT/dry.err" "pod shop/web-2 on node/node-a: would wait: PodDisruptionBudget shop/web allows 1 disruption now, taken by the eviction of shop/web-1" \
	"dry run names the pod that takes the budget's disruption"
kup_check "dry run: db-1 would be blocked" test "$(state "$OUT/dry.json" shop/db-1)" = would-block
kup_check "dry run: db-1's blocker is named" test "$(pdbs_of "$OUT/dry.json" shop/db-1)" = shop/db
kup_check "dry run: mirror pod skipped" test "$(state "$OUT/dry.json" shop/mirror-1)" = skipped
kup_check "dry run: DaemonSet pod skipped" test "$(state "$OUT/dry.json" "shop/$DSPOD")" = skipped
kup_check "dry run: eviction through policy/v1beta1" test "$(jq -r .eviction_version "$OUT/dry.json")" = policy/v1beta1
kup_check "dry run: nothing cordoned" test "$(jq -r '.cordoned | length' "$OUT/dry.json")" = 0
kup_grep "$OUT/dry.err" "pod shop/db-1 on node/node-a: would wait: PodDisruptionBudget shop/db allows 0 disruptions now" \
	"dry run progress names the blocking budget"

# ---- the drain: one eviction goes through, the next is blocked by the budget ---------------
"$CLI" drain node-a "${K[@]}" --timeout 8s --backoff 500ms --grace-period 0 -o json \
	>"$OUT/drain.json" 2>"$OUT/drain.err"
kup_expect_exit 3 $? "drain blocked by budgets until the timeout"
kup_check "node-a cordoned" test "$(kup_api_json GET /api/v1/nodes/node-a | jq -r .spec.unschedulable)" = true
kup_check "web-1 evicted" test "$(state "$OUT/drain.json" shop/web-1)" = evicted
kup_check "web-1 is gone from the server" gone web-1
kup_check "web-2 blocked" test "$(state "$OUT/drain.json" shop/web-2)" = blocked
kup_check "web-2 blocked by PDB shop/web" test "$(pdbs_of "$OUT/drain.json" shop/web-2)" = shop/web
kup_check "db-1 blocked by PDB shop/db" test "$(pdbs_of "$OUT/drain.json" shop/db-1)" = shop/db
kup_check "web-2 still exists" $KUP_CURL -fsS -o /dev/null "$KUP_API_URL/api/v1/namespaces/shop/pods/web-2"
kup_check "DaemonSet pod untouched" $KUP_CURL -fsS -o /dev/null "$KUP_API_URL/api/v1/namespaces/shop/pods/$DSPOD"
kup_check "mirror pod untouched" $KUP_CURL -fsS -o /dev/null "$KUP_API_URL/api/v1/namespaces/shop/pods/mirror-1"
kup_check "summary: 1 evicted, 2 blocked, timed out" \
	test "$(jq -c '[.summary.evicted, .summary.blocked, .summary.timed_out]' "$OUT/drain.json")" = '[1,2,true]'
kup_grep "$OUT/drain.err" "node/node-a cordoned" "progress: cordoned"
kup_grep "$OUT/drain.err" "pod shop/web-2: eviction blocked by PodDisruptionBudget shop/web \\(it covers shop/web-2\\)" \
	"progress names the budget that blocks web-2 and the pods it covers"
kup_grep "$OUT/drain.err" "Cannot evict pod as it would violate the pod's disruption budget; retrying in" "the server's refusal is quoted"
kup_grep "$OUT/drain.err" "node/node-a: 5 pods" "progress: the pods found on the node"
kup_grep "$OUT/drain.err" "timeout after 8s with 2 pods left" "the timeout is reported"

# ---- --on-timeout force deletes what is left ----------------------------------------------
"$CLI" drain node-a "${K[@]}" --timeout 2s --backoff 500ms --grace-period 0 --on-timeout force \
	>"$OUT/force.out" 2>"$OUT/force.err"
kup_expect_exit 0 $? "drain with --on-timeout force"
kup_grep "$OUT/force.out" "shop/web-2 +deleted" "web-2 deleted at the timeout"
kup_grep "$OUT/force.out" "shop/db-1 +deleted" "db-1 deleted at the timeout"
kup_check "web-2 gone" gone web-2
kup_check "db-1 gone" gone db-1
kup_check "DaemonSet pod still untouched" $KUP_CURL -fsS -o /dev/null "$KUP_API_URL/api/v1/namespaces/shop/pods/$DSPOD"

# ---- safety flags ---------------------------------------------------------------------
fingerprint >"$OUT/before"
"$CLI" drain node-b "${K[@]}" >"$OUT/lonely.out" 2>"$OUT/lonely.err"
kup_expect_exit 1 $? "an unmanaged pod without --force"
kup_grep "$OUT/lonely.err" "pod shop/lonely on node/node-b refused: no controller manages it.*--force" \
	"the unmanaged pod and the flag are named"
fingerprint >"$OUT/after"
kup_check "refused drain changed nothing (node-b not cordoned)" cmp -s "$OUT/before" "$OUT/after"
"$CLI" drain node-b "${K[@]}" --force --grace-period 0 >"$OUT/lonely2.out" 2>"$OUT/lonely2.err"
kup_expect_exit 0 $? "an unmanaged pod with --force"
kup_check "lonely gone" gone lonely

"$CLI" drain node-c "${K[@]}" --force >"$OUT/scratch.out" 2>"$OUT/scratch.err"
kup_expect_exit 1 $? "an emptyDir pod without --delete-emptydir-data"
kup_grep "$OUT/scratch.err" "pod shop/scratch on node/node-c refused: .*emptyDir.*--delete-emptydir-data" \
	"the emptyDir pod and the flag are named"
kup_check "node-c not cordoned" test "$(kup_api_json GET /api/v1/nodes/node-c | jq -r '.spec.unschedulable // false')" = false
"$CLI" drain node-c "${K[@]}" --force --delete-emptydir-data --grace-period 0 >"$OUT/scratch2.out" 2>"$OUT/scratch2.err"
kup_expect_exit 0 $? "an emptyDir pod with --delete-emptydir-data"
kup_check "scratch gone" gone scratch

kup_done
