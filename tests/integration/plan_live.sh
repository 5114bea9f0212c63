#!/bin/bash
# plan_live.sh - `kupgrade plan --context`, `profile --context` and
# `rollout scenario --context` against a real kube-apiserver v1.20.2 give
# what the same verbs give offline on a `kupgrade snapshot` of the cluster.
#
# Asserts:
#   - profile --context == profile --from-dump SNAPSHOT (byte for byte);
#   - plan --context --to 1.22 == plan PROFILE --dump SNAPSHOT --to 1.22
#     (JSON, with the snapshot's path and line numbers in evidence taken out),
#     the same exit code, and what it holds: the node pools and add-ons of
#     the cluster, the Ingress served through extensions/v1beta1 as a
#     blocker, the pre-flight findings (a Fail webhook without endpoints as a
#     blocker, a PDB at 0 and an image from a registry not allowed as risks);
#   - rollout scenario --context == rollout scenario --from-dump SNAPSHOT;
#   - rollout plan --context == rollout plan of that scenario;
#   - no temporary snapshot is left behind, whatever the outcome (Ctrl-C
#     while the snapshot is read included);
#   - a server that is down: a clear message, exit 1, no output; a resource
#     the credentials may not list: named, the plan of the rest, exit 1.
# One API server start.  Usage (ctest): plan_live.sh KUPGRADE_CLI BUILD_DIR
set -u
CLI="$1"
. "$(dirname "$0")/lib/apiserver.sh"
command -v jq >/dev/null || kup_die "jq not installed"
kup_api_start
OUT="$KUP_API_DIR/out"
TMP="$KUP_API_DIR/tmp"          # TMPDIR of the live runs: must stay empty
mkdir -p "$OUT" "$TMP"
K=(--kubeconfig "$KUP_KUBECONFIG" --context admin)
REG=(--allowed-registries registry.k8s.io)

# ---- the cluster --------------------------------------------------------------------
node() { # name pool kubelet
	kup_api_json POST /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",
	  \"metadata\":{\"name\":\"$1\",\"labels\":{\"kubernetes.io/os\":\"linux\",
	    \"eks.amazonaws.com/nodegroup\":\"$2\",\"topology.kubernetes.io/zone\":\"eu-west-1a\"}},
	  \"status\":{\"nodeInfo\":{\"kubeletVersion\":\"$3\",\"kubeProxyVersion\":\"$3\",
	    \"osImage\":\"Debian GNU/Linux 12\",\"containerRuntimeVersion\":\"containerd://1.6.20\",
	    \"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\",\"kernelVersion\":\"6.1.0\",
	    \"operatingSystem\":\"linux\",\"architecture\":\"amd64\"}}}" >/dev/null
}
node general-1 general v1.20.2
node general-2 general v1.20.2
node batch-1 batch v1.19.7
kup_api_json POST /apis/apps/v1/namespaces/kube-system/deployments '{"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"coredns","labels":{"k8s-app":"kube-dns"}},
  "spec":{"replicas":2,"selector":{"matchLabels":{"k8s-app":"kube-dns"}},
    "template":{"metadata":{"labels":{"k8s-app":"kube-dns"}},
      "spec":{"containers":[{"name":"coredns","image":"registry.k8s.io/coredns:1.7.0"}]}}}}' >/dev/null
kup_api_json POST /apis/apps/v1/namespaces/kube-system/daemonsets '{"apiVersion":"apps/v1","kind":"DaemonSet",
  "metadata":{"name":"kube-proxy","labels":{"k8s-app":"kube-proxy"}},
  "spec":{"selector":{"matchLabels":{"k8s-app":"kube-proxy"}},
    "template":{"metadata":{"labels":{"k8s-app":"kube-proxy"}},
      "spec":{"containers":[{"name":"kube-proxy","image":"k8s.gcr.io/kube-proxy:v1.20.2"}]}}}}' >/dev/null
# a kube-system workload the KB does not know: a profile warning
kup_api_json POST /apis/apps/v1/namespaces/kube-system/deployments '{"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"acme-agent"},
  "spec":{"replicas":1,"selector":{"matchLabels":{"app":"acme-agent"}},
    "template":{"metadata":{"labels":{"app":"acme-agent"}},
      "spec":{"containers":[{"name":"agent","image":"registry.k8s.io/pause:3.2"}]}}}}' >/dev/null
kup_api_namespace shop
# an object through an API removed in 1.22
kup_api_json POST /apis/extensions/v1beta1/namespaces/shop/ingresses '{"apiVersion":"extensions/v1beta1",
  "kind":"Ingress","metadata":{"name":"web"},
  "spec":{"backend":{"serviceName":"web","servicePort":80}}}' >/dev/null
# a PDB that allows no disruption (it covers no running pod)
kup_api_json POST /apis/policy/v1beta1/namespaces/shop/poddisruptionbudgets '{"apiVersion":"policy/v1beta1",
  "kind":"PodDisruptionBudget","metadata":{"name":"web"},
  "spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"web"}}}}' >/dev/null
# a webhook with failurePolicy Fail whose service has no endpoint (on a
# resource nothing here writes, so the rest of the test is not refused)
kup_api_json POST /api/v1/namespaces/shop/services '{"apiVersion":"v1","kind":"Service",
  "metadata":{"name":"hook"},"spec":{"selector":{"app":"no-such-pod"},"ports":[{"port":443}]}}' >/dev/null
kup_api_json POST /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations '{
  "apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",
  "metadata":{"name":"shop-hook"},
  "webhooks":[{"name":"validate.shop.example.com","failurePolicy":"Fail",
    "clientConfig":{"service":{"namespace":"shop","name":"hook","port":443}},
    "rules":[{"apiGroups":["example.com"],"apiVersions":["v1"],"operations":["CREATE"],"resources":["gadgets"]}],
    "namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kube-system"]}]},
    "sideEffects":"None","admissionReviewVersions":["v1"]}]}' >/dev/null
# the controllers settle before the cluster is read twice (offline, then
# live): the PDB's status, the Service's (empty) Endpoints, the pods of
# coredns and acme-agent and kube-proxy's DaemonSet pods
settled() {
	[ "$(kup_api_json GET /apis/policy/v1beta1/namespaces/shop/poddisruptionbudgets/web |
		jq -r '.status.observedGeneration // 0')" = 1 ] &&
		$KUP_CURL -fsS -o /dev/null "$KUP_API_URL/api/v1/namespaces/shop/endpoints/hook" 2>/dev/null &&
		[ "$(kup_api_json GET '/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns' |
			jq '.items | length')" = 2 ] &&
		[ "$(kup_api_json GET '/api/v1/namespaces/kube-system/pods?labelSelector=app%3Dacme-agent' |
			jq '.items | length')" = 1 ] &&
		[ "$(kup_api_json GET /apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy |
			jq -r '(.status.observedGeneration // 0) == 1 and
			       (.status.currentNumberScheduled // -1) == (.status.desiredNumberScheduled // -2)')" = true ] &&
		[ "$(kup_api_json GET '/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-proxy' |
			jq '.items | length')" = "$(kup_api_json GET /apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy |
			jq '.status.desiredNumberScheduled')" ]
}
for i in $(seq 1 480); do settled && break; sleep 0.25; done
settled || kup_die "timed out waiting for the controllers (PDB status, Endpoints of shop/hook, coredns and kube-proxy pods)"

# ---- offline: a snapshot ------------------------------------------------------------
"$CLI" snapshot "${K[@]}" -o "$OUT/snap.json" 2>"$OUT/snap.err"
kup_expect_exit 0 $? "snapshot"
"$CLI" profile --from-dump "$OUT/snap.json" -o json >"$OUT/profile-off.json" 2>"$OUT/profile-off.err"
porc=$?
"$CLI" plan "$OUT/profile-off.json" --dump "$OUT/snap.json" --to 1.22 "${REG[@]}" -o json \
	>"$OUT/plan-off.json" 2>"$OUT/plan-off.err"
orc=$?
"$CLI" rollout scenario --from-dump "$OUT/snap.json" >"$OUT/scenario-off.yaml" 2>"$OUT/scenario-off.err"
sorc=$?

# ---- live ---------------------------------------------------------------------------
TMPDIR="$TMP" "$CLI" profile "${K[@]}" -o json >"$OUT/profile-live.json" 2>"$OUT/profile-live.err"
plrc=$?
TMPDIR="$TMP" "$CLI" plan "${K[@]}" --to 1.22 "${REG[@]}" -o json >"$OUT/plan-live.json" 2>"$OUT/plan-live.err"
lrc=$?
TMPDIR="$TMP" "$CLI" rollout scenario "${K[@]}" >"$OUT/scenario-live.yaml" 2>"$OUT/scenario-live.err"
slrc=$?
TMPDIR="$TMP" "$CLI" rollout plan "${K[@]}" --max-surge 1 --max-unavailable 0 -o json \
	>"$OUT/roplan-live.json" 2>"$OUT/roplan-live.err"
rplrc=$?

# ---- profile ------------------------------------------------------------------------
kup_expect_exit 2 "$porc" "profile --from-dump SNAPSHOT warns (acme-agent is not in the KB)"
kup_expect_exit "$porc" "$plrc" "profile live exits as profile --from-dump SNAPSHOT"
kup_grep "$OUT/profile-live.err" "warning: Deployment kube-system/acme-agent .* not in the knowledge base" "profile live: the warning is printed"
kup_nogrep "$OUT/profile-live.err" "kupgrade-snapshot-" "profile live does not name its temporary file"
kup_check "the profile has the server version" kup_jq "$OUT/profile-live.json" \
	'.spec.controlPlane.version == "v1.20.2"'
kup_check "the profile has the pools general (v1.20.2) and batch (v1.19.7)" kup_jq "$OUT/profile-live.json" \
	'([.spec.nodePools[] | [.name, .version]] | sort) == [["batch", "v1.19.7"], ["general", "v1.20.2"]]'
kup_check "the profile has coredns 1.7.0" kup_jq "$OUT/profile-live.json" \
	'[.spec.addons[] | select(.name == "coredns" and (.version | test("1\\.7\\.0")))] | length == 1'
if cmp -s "$OUT/profile-off.json" "$OUT/profile-live.json"; then
	kup_ok "profile --context == profile --from-dump SNAPSHOT"
else
	kup_not_ok "profile --context differs from profile --from-dump SNAPSHOT:"
	diff "$OUT/profile-off.json" "$OUT/profile-live.json" | head -n 20 >&2
fi

# ---- plan ---------------------------------------------------------------------------
kup_expect_exit 3 "$orc" "plan offline to 1.22 is blocked"
kup_expect_exit "$orc" "$lrc" "plan live exits as plan offline"
# evidence and reasons name the snapshot and a line in it: offline the
# file, live the context (the temporary file is gone); objects the
# controllers update between the two reads may move lines
norm() {
	sed -E "s#($OUT/snap\.json|context admin):[0-9]+#SNAPSHOT#g" "$1"
}
norm "$OUT/plan-off.json" >"$OUT/plan-off.norm"
norm "$OUT/plan-live.json" >"$OUT/plan-live.norm"
kup_check "plan offline names the snapshot in evidence" grep -q "(SNAPSHOT)" "$OUT/plan-off.norm"
kup_check "plan live names the context in evidence" grep -q "(context admin:[0-9]*)" "$OUT/plan-live.json"
if cmp -s "$OUT/plan-off.norm" "$OUT/plan-live.norm"; then
	kup_ok "plan --context == plan PROFILE --dump SNAPSHOT ($(wc -l <"$OUT/plan-live.norm") lines of JSON)"
else
	kup_not_ok "plan --context differs from plan PROFILE --dump SNAPSHOT:"
	diff "$OUT/plan-off.norm" "$OUT/plan-live.norm" | head -n 20 >&2
fi
kup_nogrep "$OUT/plan-live.json" "kupgrade-snapshot-" "plan live does not name its temporary file"
kup_check "plan live: the cluster is the context" kup_jq "$OUT/plan-live.json" '.cluster == "admin"'
kup_check "plan live: BLOCKED" kup_jq "$OUT/plan-live.json" '.verdict == "BLOCKED"'
kup_check "plan live: the Ingress removal is a blocker" kup_jq "$OUT/plan-live.json" \
	'[.blockers[].id] | index("removed-api/kubernetes/extensions/v1beta1/Ingress") != null'
kup_check "plan live: the Fail webhook without endpoints is a blocker" kup_jq "$OUT/plan-live.json" \
	'[.blockers[] | select(.id == "preflight/webhook-unavailable/shop-hook" and
	  (.message | test("validate.shop.example.com.*shop/hook")))] | length == 1'
kup_check "plan live: the PDB at 0 is a high risk naming it" kup_jq "$OUT/plan-live.json" \
	'[.risks[] | select(.id == "preflight/pdb-blocking/shop/web" and .severity == "high" and
	  (.evidence | test("PodDisruptionBudget shop/web")) and .at == "1.20")] | length == 1'
kup_check "plan live: kube-proxy's image from k8s.gcr.io is a risk" kup_jq "$OUT/plan-live.json" \
	'[.risks[] | select(.id == "preflight/image-registry/kube-system/kube-proxy" and
	  (.message | test("k8s.gcr.io")) and (.source | test("^https://")))] | length == 1'
kup_check "plan live: pool batch is rolled" kup_jq "$OUT/plan-live.json" \
	'[.steps[] | select(.type == "nodepool" and .component == "nodepool/batch")] | length >= 1'
kup_check "plan live: the risks keep the issue-4 shape" kup_jq "$OUT/plan-live.json" \
	'[.risks[] | keys] | all(. == ["at", "evidence", "id", "message", "mitigation", "severity", "source"])'

# ---- rollout scenario -----------------------------------------------------------------
kup_expect_exit "$sorc" "$slrc" "rollout scenario live exits as from the snapshot"
kup_grep "$OUT/scenario-live.yaml" '\{name: "general", nodes: 2,' "rollout scenario live has pool general's 2 nodes"
kup_grep "$OUT/scenario-live.yaml" '^# derived .* from context admin:' "rollout scenario live names the context"
sed -E "s#($OUT/snap\.json|context admin):#SNAPSHOT:#g" "$OUT/scenario-off.yaml" >"$OUT/scenario-off.norm"
sed -E "s#($OUT/snap\.json|context admin):#SNAPSHOT:#g" "$OUT/scenario-live.yaml" >"$OUT/scenario-live.norm"
if cmp -s "$OUT/scenario-off.norm" "$OUT/scenario-live.norm"; then
	kup_ok "rollout scenario --context == rollout scenario --from-dump SNAPSHOT"
else
	kup_not_ok "rollout scenario --context differs from --from-dump SNAPSHOT:"
	diff "$OUT/scenario-off.norm" "$OUT/scenario-live.norm" | head -n 20 >&2
fi

# rollout plan --context: the plan of the scenario rollout scenario --context writes
"$CLI" rollout plan "$OUT/scenario-off.yaml" --max-surge 1 --max-unavailable 0 -o json \
	>"$OUT/roplan-off.json" 2>"$OUT/roplan-off.err"
kup_expect_exit $? "$rplrc" "rollout plan --context exits as rollout plan SCENARIO"
if [ -s "$OUT/roplan-live.json" ] && cmp -s "$OUT/roplan-off.json" "$OUT/roplan-live.json"; then
	kup_ok "rollout plan --context == rollout plan SCENARIO (the snapshot's scenario)"
else
	kup_not_ok "rollout plan --context differs from rollout plan SCENARIO:"
	diff "$OUT/roplan-off.json" "$OUT/roplan-live.json" | head -n 20 >&2
fi

# ---- errors -------------------------------------------------------------------------
TMPDIR="$TMP" "$CLI" plan --kubeconfig "$KUP_KUBECONFIG" --context down --to 1.22 -o json \
	>"$OUT/down.out" 2>"$OUT/down.err"
kup_expect_exit 1 $? "plan against a server that is down"
kup_grep "$OUT/down.err" "cannot connect to https://127\\.0\\.0\\.1:[0-9]+" "the message names the server"
kup_check "nothing on stdout when the server is down" test ! -s "$OUT/down.out"
TMPDIR="$TMP" "$CLI" plan --kubeconfig "$KUP_KUBECONFIG" --context restricted --to 1.22 -o json \
	>"$OUT/restricted.out" 2>"$OUT/restricted.err"
kup_expect_exit 1 $? "plan with credentials that may not list secrets"
kup_grep "$OUT/restricted.err" 'cannot list resource "secrets".*skipped secrets' "the skipped resource is named"
kup_check "the plan of the rest is still printed" kup_jq "$OUT/restricted.out" \
	'.verdict == "BLOCKED" and .cluster == "restricted"'
# SIGTERM (as Ctrl-C) while the snapshot is read (its temporary directory exists): it
# stops after the current page and removes what it wrote
TMPDIR="$TMP" "$CLI" plan "${K[@]}" --to 1.22 -o json >"$OUT/int.out" 2>"$OUT/int.err" &
pid=$!
for i in $(seq 1 2000); do compgen -G "$TMP/kupgrade-snapshot-*" >/dev/null && break; sleep 0.01; done
kill -TERM "$pid" 2>/dev/null  # (SIGINT is ignored by background jobs of a script)
wait "$pid"
irc=$?
if [ "$irc" = 1 ]; then
	kup_grep "$OUT/int.err" "interrupted" "SIGTERM during the snapshot: interrupted (exit 1)"
else  # the signal came after the snapshot was read: the plan goes on
	kup_expect_exit 3 "$irc" "SIGTERM after the snapshot: the plan completes"
fi
kup_check "no temporary snapshot left behind" test -z "$(ls -A "$TMP")"

kup_done
