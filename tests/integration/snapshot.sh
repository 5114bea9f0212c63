#!/bin/bash
# snapshot.sh - `kupgrade snapshot` of a real kube-apiserver v1.20.2, read
# offline by scan, profile and plan with the same results as live.
#
# Asserts:
#   - the snapshot is one kubectl List with the server version and discovery;
#     it holds the Helm release Secret but no other Secret;
#   - scan of the snapshot == live scan (the same findings: status, kind,
#     apiVersion, name, namespace, source type, Helm release, manager; and
#     the same removed/deprecated counts), --preflight included; the only
#     difference allowed is the live-only source 'metrics';
#   - profile --from-dump of the snapshot finds the nodes' pools and the
#     server version (and equals `profile --context` when that exists);
#   - plan of that profile with --dump SNAPSHOT decides as plan with the same
#     profile and a `kubectl get -o json` dump of the live objects.
# Usage (ctest): snapshot.sh KUPGRADE_CLI BUILD_DIR
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
kup_api_json POST /api/v1/namespaces/shop/secrets '{"apiVersion":"v1","kind":"Secret",
  "metadata":{"name":"db-password"},"type":"Opaque","data":{"password":"aHVudGVyMg=="}}' >/dev/null
for n in pool-a-1 pool-a-2 pool-b-1; do
	pool=${n%-*}
	kup_api_json POST /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",
	  \"metadata\":{\"name\":\"$n\",\"labels\":{\"kubernetes.io/os\":\"linux\",\"node.kubernetes.io/instance-type\":\"m5.large\",
	    \"eks.amazonaws.com/nodegroup\":\"$pool\",\"topology.kubernetes.io/zone\":\"eu-west-1a\"}},
	  \"status\":{\"nodeInfo\":{\"kubeletVersion\":\"v1.20.2\",\"kubeProxyVersion\":\"v1.20.2\",
	    \"osImage\":\"Debian GNU/Linux 12\",\"containerRuntimeVersion\":\"containerd://1.6.20\",
	    \"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\",\"kernelVersion\":\"6.1.0\",
	    \"operatingSystem\":\"linux\",\"architecture\":\"amd64\"}}}" >/dev/null
done
kup_api_json POST /apis/apps/v1/namespaces/kube-system/deployments '{"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"coredns","labels":{"k8s-app":"kube-dns"}},
  "spec":{"replicas":2,"selector":{"matchLabels":{"k8s-app":"kube-dns"}},
    "template":{"metadata":{"labels":{"k8s-app":"kube-dns"}},
      "spec":{"containers":[{"name":"coredns","image":"registry.k8s.io/coredns:1.7.0"}]}}}}' >/dev/null

# ---- the snapshot -------------------------------------------------------------------
"$CLI" snapshot "${K[@]}" -o "$OUT/snap.json" 2>"$OUT/snap.err"
kup_expect_exit 0 $? "snapshot"
kup_check "snapshot is a List" kup_jq "$OUT/snap.json" '.kind == "List" and (.items | length) > 20'
kup_check "snapshot records the server version" kup_jq "$OUT/snap.json" \
	'.metadata.annotations["kupgrade.dev/server-version"] == "v1.20.2"'
kup_check "snapshot holds discovery" kup_jq "$OUT/snap.json" \
	'[.["kupgrade.dev/discovery"].groupVersions[] | .groupVersion] | index("policy/v1beta1") != null'
kup_check "snapshot holds the nodes" kup_jq "$OUT/snap.json" '[.items[] | select(.kind == "Node")] | length == 3'
kup_check "snapshot holds the Helm release Secret" kup_jq "$OUT/snap.json" \
	'[.items[] | select(.kind == "Secret" and .type == "helm.sh/release.v1")] | length == 1'
kup_check "snapshot holds no other Secret" kup_jq "$OUT/snap.json" \
	'[.items[] | select(.kind == "Secret" and .type != "helm.sh/release.v1")] | length == 0'
kup_nogrep "$OUT/snap.json" "aHVudGVyMg==" "the Opaque secret's data is not in the snapshot"
kup_check "snapshot file mode 0600" test "$(stat -c %a "$OUT/snap.json")" = 600

# ---- scan: live == offline ---------------------------------------------------------------
# The comparable part of a finding (paths and positions differ by nature).
norm() {
	jq -c '[.findings[] | select(.source.type != "metrics") |
		[.status, .kind, .api_version, .name, .namespace, .source.type, .source.release,
		 .source.revision, .source.manager, .replacement]] | sort | .[]' "$1"
}
for to in 1.22 1.25; do
	"$CLI" scan "${K[@]}" --to "$to" --preflight -o json >"$OUT/live-$to.json" 2>"$OUT/live-$to.err"
	lrc=$?
	"$CLI" scan "$OUT/snap.json" --to "$to" --preflight -o json >"$OUT/off-$to.json" 2>"$OUT/off-$to.err"
	orc=$?
	kup_check "scan --to $to: live and offline exit alike ($lrc, $orc)" test "$lrc" = "$orc"
	norm "$OUT/live-$to.json" >"$OUT/live-$to.norm"
	norm "$OUT/off-$to.json" >"$OUT/off-$to.norm"
	kup_check "scan --to $to: live found something" test -s "$OUT/live-$to.norm"
	if cmp -s "$OUT/live-$to.norm" "$OUT/off-$to.norm"; then
		kup_ok "scan --to $to: the same $(wc -l <"$OUT/live-$to.norm") findings live and offline"
	else
		kup_not_ok "scan --to $to: live and offline findings differ:"
		diff "$OUT/live-$to.norm" "$OUT/off-$to.norm" | head -n 20 >&2
	fi
	# the same findings; where each was read differs (a live page, a line of the snapshot)
	kup_check "scan --to $to: the same pre-flight findings" \
		test "$(jq -c '.preflight | map(del(.source)) | sort_by(.check, .name, .message)' "$OUT/live-$to.json")" = \
		"$(jq -c '.preflight | map(del(.source)) | sort_by(.check, .name, .message)' "$OUT/off-$to.json")"
done
kup_check "scan --to 1.25: the Helm release is read offline too" kup_jq "$OUT/off-1.25.json" \
	'[.findings[] | select(.source.type == "helm-release" and .name == "shop-chart-pdb")] | length == 1'
kup_check "scan --to 1.25: removed APIs found (exit 3)" test "$(jq '.summary.removed' "$OUT/off-1.25.json")" -ge 12

# ---- profile: from the snapshot --------------------------------------------------------------
"$CLI" profile --from-dump "$OUT/snap.json" --name test -o json >"$OUT/profile.json" 2>"$OUT/profile.err"
prc=$?
kup_check "profile --from-dump snapshot runs (exit $prc)" test "$prc" -eq 0 -o "$prc" -eq 2
kup_check "the profile has the server's version" kup_jq "$OUT/profile.json" '.spec.controlPlane.version == "v1.20.2"'
kup_grep "$OUT/profile.json" "pool-a" "the profile has node pool pool-a"
kup_grep "$OUT/profile.json" "pool-b" "the profile has node pool pool-b"
if "$CLI" profile --help 2>&1 | grep -q -- '--context'; then
	"$CLI" profile "${K[@]}" --name test -o json >"$OUT/profile-live.json" 2>"$OUT/profile-live.err"
	kup_check "profile live == profile from the snapshot" cmp -s "$OUT/profile.json" "$OUT/profile-live.json"
else
	# the same from a dump such as `kubectl get nodes,deployments,daemonsets -A -o json` writes
	kup_api_dump "$OUT/kubectl-dump.json" /api/v1/nodes /apis/apps/v1/deployments /apis/apps/v1/daemonsets
	kup_api_json GET /version | jq '{serverVersion: .}' >"$OUT/version.json"
	"$CLI" profile --from-dump "$OUT/kubectl-dump.json" "$OUT/version.json" --name test -o json \
		>"$OUT/profile-kubectl.json" 2>"$OUT/profile-kubectl.err"
	kup_check "profile from a kubectl dump == profile from the snapshot" \
		test "$(jq -S -c 'del(.metadata.annotations)' "$OUT/profile.json")" = \
		"$(jq -S -c 'del(.metadata.annotations)' "$OUT/profile-kubectl.json")"
fi

# ---- plan: from the snapshot ------------------------------------------------------------------
"$CLI" plan "$OUT/profile.json" --to 1.22 --dump "$OUT/snap.json" -o json >"$OUT/plan-snap.json" 2>"$OUT/plan-snap.err"
src=$?
kup_expect_exit 3 "$src" "plan of the snapshot to 1.22 is blocked by removed APIs"
kup_check "plan names the Ingress removal as a blocker" kup_jq "$OUT/plan-snap.json" \
	'[.blockers[].id] | index("removed-api/kubernetes/networking.k8s.io/v1beta1/Ingress") != null'
# the same plan from kubectl's dump of the live objects
# (`kubectl get ingresses,poddisruptionbudgets,podsecuritypolicies,cronjobs,horizontalpodautoscalers
# -A -o json` and the Helm release Secrets: each resource through the version the server prefers)
kup_api_dump "$OUT/kubectl-legacy.json" /apis/networking.k8s.io/v1/ingresses \
	/apis/policy/v1beta1/poddisruptionbudgets /apis/policy/v1beta1/podsecuritypolicies \
	/apis/batch/v1beta1/cronjobs /apis/autoscaling/v1/horizontalpodautoscalers
kup_api_dump "$OUT/kubectl-helm.json" '/api/v1/secrets?fieldSelector=type%3Dhelm.sh%2Frelease.v1'
"$CLI" plan "$OUT/profile.json" --to 1.22 --dump "$OUT/kubectl-legacy.json" "$OUT/kubectl-helm.json" -o json \
	>"$OUT/plan-kubectl.json" 2>"$OUT/plan-kubectl.err"
kup_expect_exit "$src" $? "plan from a kubectl dump decides as plan from the snapshot"
kup_check "plan: the same verdict and blockers from the snapshot and from kubectl's dump" \
	test "$(jq -c '[.verdict, ([.blockers[].id] | sort)]' "$OUT/plan-snap.json")" = \
	"$(jq -c '[.verdict, ([.blockers[].id] | sort)]' "$OUT/plan-kubectl.json")"
if "$CLI" plan --help 2>&1 | grep -q -- '--context'; then
	"$CLI" plan "${K[@]}" --to 1.22 -o json >"$OUT/plan-live.json" 2>"$OUT/plan-live.err"
	kup_expect_exit "$src" $? "plan live decides as plan offline"
	kup_check "plan: the same verdict and blockers live and from the snapshot" \
		test "$(jq -c '[.verdict, ([.blockers[].id] | sort)]' "$OUT/plan-snap.json")" = \
		"$(jq -c '[.verdict, ([.blockers[].id] | sort)]' "$OUT/plan-live.json")"
fi

kup_done
