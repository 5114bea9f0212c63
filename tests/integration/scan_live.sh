#!/bin/bash
# scan_live.sh - `kupgrade scan --context` against a real kube-apiserver v1.20.2.
#
# Objects are created through the deprecated APIs with `kubectl apply` (or,
# without kubectl, the same requests with curl: lib/fixtures.sh) (so
# last-applied-configuration and managedFields record the version that was
# written): extensions/v1beta1 and networking.k8s.io/v1beta1 Ingress,
# policy/v1beta1 PodDisruptionBudget and PodSecurityPolicy, batch/v1beta1
# CronJob, autoscaling/v2beta1 HorizontalPodAutoscaler; and a Helm release
# Secret (type helm.sh/release.v1, data.release = base64(base64(gzip(JSON))))
# whose manifest holds a policy/v1beta1 PDB.  Asserts that the live scan at
# --to 1.25 finds each with source last-applied and managed-fields (read back
# through whatever version the server prefers), the Helm manifest with source
# helm-release, and that the exit code says "removed" (3).  Then the
# pre-flight checks on the same cluster (--preflight).
# Usage (ctest): scan_live.sh KUPGRADE_CLI BUILD_DIR
set -u
CLI="$1"
. "$(dirname "$0")/lib/apiserver.sh"
. "$(dirname "$0")/lib/fixtures.sh"
command -v jq >/dev/null || kup_die "jq not installed"
kup_api_start
OUT="$KUP_API_DIR/out"
mkdir -p "$OUT"
K=(--kubeconfig "$KUP_KUBECONFIG" --context admin)

kup_fixture_legacy shop "$OUT"
kup_fixture_helm shop

# ---- the live scan ------------------------------------------------------------------
"$CLI" scan "${K[@]}" --to 1.25 -o json >"$OUT/scan.json" 2>"$OUT/scan.err"
kup_expect_exit 3 $? "live scan finds APIs removed by 1.25"
kup_check "scan output is JSON" kup_jq "$OUT/scan.json" 'type == "object"' 
# has KIND APIVERSION NAME SOURCE: a finding with these fields
has() {
	kup_jq "${SCANF:-$OUT/scan.json}" \
		'[.findings[] | select(.kind == $k and .api_version == $a and .name == $n and .source.type == $s)] | length > 0' \
		--arg k "$1" --arg a "$2" --arg n "$3" --arg s "$4"
}
for s in last-applied managed-fields; do
	kup_check "Ingress extensions/v1beta1 legacy-ing ($s)" has Ingress extensions/v1beta1 legacy-ing $s
	kup_check "Ingress networking.k8s.io/v1beta1 beta-ing ($s)" has Ingress networking.k8s.io/v1beta1 beta-ing $s
	kup_check "PodDisruptionBudget policy/v1beta1 web-pdb ($s)" has PodDisruptionBudget policy/v1beta1 web-pdb $s
	kup_check "PodSecurityPolicy policy/v1beta1 restricted ($s)" has PodSecurityPolicy policy/v1beta1 restricted $s
	kup_check "CronJob batch/v1beta1 nightly ($s)" has CronJob batch/v1beta1 nightly $s
	kup_check "HorizontalPodAutoscaler autoscaling/v2beta1 web-hpa ($s)" has HorizontalPodAutoscaler autoscaling/v2beta1 web-hpa $s
done
# kubectl's requests through the deprecated Ingress APIs, as the server counted them
# (1.20 marks only those two of our APIs deprecated in apiserver_requested_deprecated_apis)
for av in extensions/v1beta1 networking.k8s.io/v1beta1; do
	kup_check "the server's own record: Ingress $av requested (metrics)" kup_jq "$OUT/scan.json" \
		'[.findings[] | select(.kind == "Ingress" and .api_version == $a and .source.type == "metrics")] | length == 1' \
		--arg a "$av"
done
kup_check "Helm release manifest: PDB shop-chart-pdb (helm-release)" has PodDisruptionBudget policy/v1beta1 shop-chart-pdb helm-release
kup_check "the Helm finding names release shop revision 1" kup_jq "$OUT/scan.json" \
	'[.findings[] | select(.name == "shop-chart-pdb" and .source.release == "shop" and .source.revision == 1)] | length == 1'
kup_check "the status of each is removed" kup_jq "$OUT/scan.json" \
	'[.findings[] | select(.name == "legacy-ing" or .name == "nightly" or .name == "restricted") | .status] | (length >= 6) and all(. == "removed")'
kup_check "one last-applied finding per object" kup_jq "$OUT/scan.json" \
	'[.findings[] | select(.name == "legacy-ing" and .source.type == "last-applied")] | length == 1'

# The table output mentions the same objects (and nothing crashes without -o json).
"$CLI" scan "${K[@]}" --to 1.25 >"$OUT/scan.txt" 2>"$OUT/scan-table.err"
kup_expect_exit 3 $? "live scan, table output"
kup_grep "$OUT/scan.txt" "legacy-ing" "table names legacy-ing"
kup_grep "$OUT/scan.txt" "web-hpa" "table names web-hpa"

# At 1.20 nothing is removed yet: the same cluster passes.
"$CLI" scan "${K[@]}" --to 1.20 -o json >"$OUT/scan120.json" 2>"$OUT/scan120.err"
rc=$?
kup_check "at --to 1.20 no finding is removed" kup_jq "$OUT/scan120.json" '[.findings[] | select(.status == "removed")] | length == 0'
kup_check "at --to 1.20 the exit code is not 3 (got $rc)" test "$rc" -ne 3

# ---- pre-flight checks on the live cluster --------------------------------------------
# A webhook with failurePolicy Fail whose service has no endpoints, a node
# with an old kubelet, an image from Docker Hub.
kup_api_json POST /api/v1/namespaces/shop/services '{"apiVersion":"v1","kind":"Service",
  "metadata":{"name":"policy-svc"},"spec":{"ports":[{"port":443}],"selector":{"app":"nothing"}}}' >/dev/null
# (the endpoints controller writes its Endpoints: no address, the selector matches nothing)
for i in $(seq 1 80); do
	$KUP_CURL -fsS -o /dev/null "$KUP_API_URL/api/v1/namespaces/shop/endpoints/policy-svc" 2>/dev/null && break
	sleep 0.25
done
kup_api_json POST /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations '{
  "apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",
  "metadata":{"name":"policy-hooks"},
  "webhooks":[{"name":"validate.policy.example.com","failurePolicy":"Fail","sideEffects":"None",
    "admissionReviewVersions":["v1"],
    "clientConfig":{"service":{"namespace":"shop","name":"policy-svc","port":443}},
    "rules":[{"apiGroups":["example.com"],"apiVersions":["v1"],"operations":["CREATE"],"resources":["widgets"]}]}]}' >/dev/null
kup_api_json POST /api/v1/nodes '{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-old"},
  "status":{"nodeInfo":{"kubeletVersion":"v1.17.4","kubeProxyVersion":"v1.17.4"}}}' >/dev/null
kup_api_json POST /api/v1/namespaces/shop/pods '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"hub"},
  "spec":{"nodeName":"node-old","containers":[{"name":"c","image":"nginx:1.19"}]}}' >/dev/null
"$CLI" scan "${K[@]}" --to 1.25 --preflight --allowed-registries registry.internal -o json \
	>"$OUT/pf.json" 2>"$OUT/pf.err"
kup_expect_exit 3 $? "live scan with --preflight"
pf() { kup_jq "$OUT/pf.json" '[.preflight[] | select(.check == $c and .name == $n)] | length > 0' --arg c "$1" --arg n "$2"; }
kup_check "pre-flight: webhook policy-hooks without endpoints" pf webhook-unavailable policy-hooks
kup_check "pre-flight: webhook policy-hooks intercepts kube-system" pf webhook-kube-system policy-hooks
kup_check "pre-flight: node-old kubelet skew" pf node-skew node-old
kup_check "pre-flight: nginx from Docker Hub" pf image-registry hub
kup_check "pre-flight: the CronJob's image is allowed" kup_jq "$OUT/pf.json" '[.preflight[] | select(.name == "nightly")] | length == 0'
SCANF="$OUT/pf.json" kup_check "pre-flight: API findings are still there" has CronJob batch/v1beta1 nightly last-applied

kup_done
