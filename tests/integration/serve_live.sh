#!/bin/bash
# serve_live.sh - `kupgrade serve` against a real kube-apiserver v1.20.2,
# scraped by a real Prometheus (Debian's prometheus package).
#
# Objects are created through deprecated APIs (lib/fixtures.sh, as in
# scan_live.sh).  kupgrade serve scans every 2 s against targets 1.22 and 1.25;
# the test asserts that within one interval of start /readyz answers, /metrics
# carries the findings (extensions/v1beta1 Ingress removed at 1.22, the API
# server's own deprecated-API counters relayed, end of support of 1.20),
# `promtool check metrics` accepts the exposition, /api/v1/findings and /report
# need the bearer token and hold the same findings, a Prometheus started on
# loopback scrapes it (up == 1, kupgrade_target_blocking queried back), and
# SIGTERM stops it with exit 0.  Then deploy/ is applied to the same server
# with `kubectl apply --dry-run=server` (the prometheus-operator CRDs are
# created first as schemaless CRDs, the namespace for real; the CronJob, batch/v1, is checked as
# batch/v1beta1 since 1.20 serves only that version of it; the kustomizations
# are rendered where kubectl's kustomize is new enough to read them).
# Usage (ctest): serve_live.sh KUPGRADE_CLI BUILD_DIR
set -u
CLI="$1"
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
. "$(dirname "$0")/lib/apiserver.sh"
. "$(dirname "$0")/lib/fixtures.sh"
command -v jq >/dev/null || kup_die "jq not installed"
command -v curl >/dev/null || kup_die "curl not installed"
PROMETHEUS=$(command -v prometheus) || kup_die "no prometheus (Debian's prometheus package: scripts/install-deps --test)"
PROMTOOL=$(command -v promtool) || kup_die "no promtool (Debian's prometheus package)"
kup_api_start
OUT="$KUP_API_DIR/out"
mkdir -p "$OUT"
K=(--kubeconfig "$KUP_KUBECONFIG" --context admin)

kup_fixture_legacy shop "$OUT"
kup_fixture_helm shop

# ---- kupgrade serve ---------------------------------------------------------------
printf 'kup-serve-token-5b8e\n' >"$OUT/token"
kup_free_port
SP=$KUP_PORT
"$CLI" serve "${K[@]}" --listen "127.0.0.1:$SP" --interval 2s --to 1.22 --to 1.25 \
	--token-file "$OUT/token" >"$OUT/serve.out" 2>"$OUT/serve.err" &
SERVE_PID=$!
KUP_PIDS="$KUP_PIDS $SERVE_PID"
U="http://127.0.0.1:$SP"

ready=0
for i in $(seq 1 120); do
	if curl -fsS "$U/readyz" >/dev/null 2>&1; then
		ready=1
		break
	fi
	kill -0 "$SERVE_PID" 2>/dev/null || break
	sleep 0.5
done
if [ "$ready" = 1 ]; then kup_ok "/readyz answers 200 after the first scan"; else kup_not_ok "/readyz never became ready"; cat "$OUT/serve.err" >&2; fi
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/healthz")
kup_check "/healthz answers 200" test "$code" = 200
curl -fsS "$U/metrics" >"$OUT/metrics.txt"
kup_check "/metrics: Ingress extensions/v1beta1 in shop removed at 1.22 (last-applied)" \
	grep -q '^kupgrade_api_objects{group="extensions",version="v1beta1",kind="Ingress",namespace="shop",target="1.22",status="removed",source="last-applied"} 1$' "$OUT/metrics.txt"
kup_check "/metrics: PodDisruptionBudget policy/v1beta1 deprecated at 1.22, removed at 1.25" \
	sh -c "grep -q 'kind=\"PodDisruptionBudget\",namespace=\"shop\",target=\"1.22\",status=\"deprecated\"' '$OUT/metrics.txt' && grep -q 'kind=\"PodDisruptionBudget\",namespace=\"shop\",target=\"1.25\",status=\"removed\"' '$OUT/metrics.txt'"
kup_check "/metrics: the Helm release's PDB (source helm-release)" \
	grep -q 'kind="PodDisruptionBudget",namespace="shop",target="1.25",status="removed",source="helm-release"' "$OUT/metrics.txt"
kup_check "/metrics: 1.25 is blocked" grep -q '^kupgrade_target_blocking{target="1.25",next_minor="false"} 1$' "$OUT/metrics.txt"
kup_check "/metrics: the API server's own counter of extensions/v1beta1 Ingress requests" \
	grep -q '^kupgrade_apiserver_deprecated_api_requested{group="extensions",version="v1beta1",kind="Ingress",removed_release="1.22"} 1$' "$OUT/metrics.txt"
kup_check "/metrics: end of upstream support of 1.20 (2022-02-28)" \
	grep -q '^kupgrade_support_end_timestamp_seconds{kind="upstream"} 1646006400$' "$OUT/metrics.txt"
kup_check "/metrics: server version" grep -q '^kupgrade_server_info{git_version="v1.20.2"} 1$' "$OUT/metrics.txt"
kup_check "/metrics: the last scan succeeded" grep -q '^kupgrade_last_scan_success 1$' "$OUT/metrics.txt"
"$PROMTOOL" check metrics <"$OUT/metrics.txt" >"$OUT/promtool.out" 2>&1
kup_expect_exit 0 $? "promtool check metrics accepts the exposition"

# the API endpoints need the token; the answers hold the same findings
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/findings")
kup_check "/api/v1/findings without the token: 401" test "$code" = 401
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' "$U/report")
kup_check "/report with a wrong token: 401" test "$code" = 401
curl -fsS -H 'Authorization: Bearer kup-serve-token-5b8e' "$U/api/v1/findings" >"$OUT/findings.json"
kup_check "/api/v1/findings: two targets" kup_jq "$OUT/findings.json" '.schema_version == 1 and (.targets | length) == 2'
kup_check "/api/v1/findings: legacy-ing removed at 1.22" kup_jq "$OUT/findings.json" \
	'[.targets[] | select(.target_version == "1.22") | .findings[] | select(.name == "legacy-ing" and .status == "removed")] | length >= 1'
kup_check "/api/v1/findings: the same 1.25 findings as 'scan --context'" sh -c "
	'$CLI' scan --kubeconfig '$KUP_KUBECONFIG' --context admin --to 1.25 -o json >'$OUT/scan.json' 2>/dev/null
	a=\$(jq '[.findings[] | select(.source.type != \"metrics\")] | length' '$OUT/scan.json')
	b=\$(jq '[.targets[] | select(.target_version == \"1.25\") | .findings[] | select(.source.type != \"metrics\")] | length' '$OUT/findings.json')
	[ -n \"\$a\" ] && [ \"\$a\" -gt 0 ] && [ \"\$a\" = \"\$b\" ]"
curl -fsS -H 'Authorization: Bearer kup-serve-token-5b8e' "$U/report" >"$OUT/report.html"
kup_check "/report: HTML naming the blocked target" grep -q 'data-target="1.25">BLOCKED' "$OUT/report.html"
kup_check "the token never appears in serve's output" sh -c "! grep -q 'kup-serve-token-5b8e' '$OUT/serve.err' '$OUT/serve.out' '$OUT/metrics.txt' '$OUT/report.html'"

# ---- a real Prometheus scrapes it ----------------------------------------------------
kup_free_port
PP=$KUP_PORT
mkdir -p "$OUT/prom"
cat >"$OUT/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: kupgrade
    static_configs:
      - targets: ["127.0.0.1:$SP"]
rule_files:
  - $SRC/deploy/prometheus/rules.yaml
EOF
"$PROMETHEUS" --config.file="$OUT/prom/prometheus.yml" --storage.tsdb.path="$OUT/prom/data" \
	--web.listen-address="127.0.0.1:$PP" >"$OUT/prom/log" 2>&1 &
PROM_PID=$!
KUP_PIDS="$KUP_PIDS $PROM_PID"
q() { curl -fsS -G "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" 2>/dev/null; }
scraped=0
for i in $(seq 1 120); do
	if q 'kupgrade_target_blocking{target="1.25"}' >"$OUT/prom/q.json" &&
		kup_jq "$OUT/prom/q.json" '.data.result | length == 1 and .[0].value[1] == "1"'; then
		scraped=1
		break
	fi
	sleep 0.5
done
if [ "$scraped" = 1 ]; then kup_ok "Prometheus scraped kupgrade_target_blocking{target=\"1.25\"} = 1"; else kup_not_ok "Prometheus never returned kupgrade_target_blocking"; tail -5 "$OUT/prom/log" >&2; fi
q 'up{job="kupgrade"}' >"$OUT/prom/up.json"
kup_check "Prometheus: up{job=\"kupgrade\"} == 1" kup_jq "$OUT/prom/up.json" '.data.result[0].value[1] == "1"'
curl -fsS "http://127.0.0.1:$PP/api/v1/rules" >"$OUT/prom/rules.json"
kup_check "Prometheus loaded the shipped alert rules" kup_jq "$OUT/prom/rules.json" \
	'[.data.groups[].rules[].name] | index("KupgradeEndOfSupportWithin90Days") != null'

# ---- graceful shutdown ---------------------------------------------------------------
kill -TERM "$SERVE_PID"
rc=124
for i in $(seq 1 100); do
	if ! kill -0 "$SERVE_PID" 2>/dev/null; then
		wait "$SERVE_PID"
		rc=$?
		break
	fi
	sleep 0.1
done
kup_expect_exit 0 "$rc" "SIGTERM stops serve with exit 0 within 10 s"
kup_grep "$OUT/serve.err" 'stopping' "serve says it stops"

# ---- --once and a server that is down --------------------------------------------------
"$CLI" serve "${K[@]}" --once --to 1.25 >"$OUT/once.txt" 2>"$OUT/once.err"
kup_expect_exit 0 $? "serve --once prints the metrics and exits 0"
kup_check "--once: the same blocking verdict" grep -q '^kupgrade_target_blocking{target="1.25",next_minor="false"} 1$' "$OUT/once.txt"
# --plan: the plan's verdict and blockers per target, the same as plan --context gives
"$CLI" serve "${K[@]}" --once --plan --to 1.25 >"$OUT/plan.txt" 2>"$OUT/plan.err"
kup_expect_exit 0 $? "serve --once --plan exits 0"
"$CLI" plan "${K[@]}" --to 1.25 -o json >"$OUT/plan.json" 2>"$OUT/plan-cli.err"
pv=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["verdict"], len(d["blockers"]))' "$OUT/plan.json")
verdict=${pv% *} nblockers=${pv#* }
kup_check "--plan: kupgrade_plan_verdict is plan --context's ($verdict)" \
	grep -q "^kupgrade_plan_verdict{target=\"1.25\",verdict=\"$verdict\"} 1\$" "$OUT/plan.txt"
kup_check "--plan: the other verdicts are 0" \
	test "$(grep -c '^kupgrade_plan_verdict{target="1.25",verdict="[A-Z_]*"} 0$' "$OUT/plan.txt")" = 2
kup_check "--plan: kupgrade_plan_blockers is plan --context's ($nblockers)" \
	grep -q "^kupgrade_plan_blockers{target=\"1.25\"} $nblockers\$" "$OUT/plan.txt"
kup_check "--plan: the target_blocking family is still there" grep -q '^kupgrade_target_blocking{target="1.25",next_minor="false"} 1$' "$OUT/plan.txt"
"$PROMTOOL" check metrics <"$OUT/plan.txt" >"$OUT/promtool-plan.out" 2>&1
kup_expect_exit 0 $? "promtool check metrics accepts the exposition with the plan families"
kup_check "without --plan: no plan families" sh -c "! grep -q '^kupgrade_plan_' '$OUT/once.txt'"
"$CLI" serve --kubeconfig "$KUP_KUBECONFIG" --context down --once --to 1.25 >"$OUT/down.txt" 2>"$OUT/down.err"
kup_expect_exit 1 $? "serve --once against a server that is down: exit 1"
kup_check "down: the failure is counted" grep -q '^kupgrade_scan_failures_total 1$' "$OUT/down.txt"
kup_check "down: the last scan did not succeed" grep -q '^kupgrade_last_scan_success 0$' "$OUT/down.txt"

# ---- deploy/ accepted by the API server -----------------------------------------------
if command -v kubectl >/dev/null 2>&1 && [ "${KUP_NO_KUBECTL:-0}" != 1 ]; then
	for kind in ServiceMonitor PrometheusRule; do
		plural=$(echo "$kind" | tr 'A-Z' 'a-z')s
		kup_api_json POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions "{
		  \"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",
		  \"metadata\":{\"name\":\"$plural.monitoring.coreos.com\"},
		  \"spec\":{\"group\":\"monitoring.coreos.com\",\"scope\":\"Namespaced\",
		    \"names\":{\"kind\":\"$kind\",\"plural\":\"$plural\"},
		    \"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,
		      \"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}}}]}}" >/dev/null
	done
	# the namespace exists for real: a dry run does not create what later objects need
	kup_api_namespace kupgrade
	# The manifests themselves (every file but the kustomizations), in the
	# namespace the kustomizations set: kubectl's own kustomize before 1.21
	# (Debian's kubernetes-client is 1.20) cannot read directory resources.
	files() { find "$@" -name '*.yaml' ! -name kustomization.yaml | sort | sed 's/^/-f /' | paste -sd' ' -; }
	# shellcheck disable=SC2046
	kup_api_kubectl apply --dry-run=server -n kupgrade $(files "$SRC/deploy/common" "$SRC/deploy/serve" "$SRC/deploy/prometheus/servicemonitor.yaml" "$SRC/deploy/prometheus/prometheusrule.yaml") >"$OUT/deploy-apply.out" 2>&1
	kup_expect_exit 0 $? "deploy/common, serve, prometheus: kubectl apply --dry-run=server"
	kup_check "the dry run created the Deployment, Service, ClusterRole, ServiceMonitor and PrometheusRule" sh -c "
		for w in deployment.apps/kupgrade service/kupgrade clusterrole.rbac.authorization.k8s.io/kupgrade-reader servicemonitor.monitoring.coreos.com/kupgrade prometheusrule.monitoring.coreos.com/kupgrade; do
			grep -q \"\$w\" '$OUT/deploy-apply.out' || exit 1
		done"
	sed 's#^apiVersion: batch/v1$#apiVersion: batch/v1beta1#' "$SRC/deploy/cronjob/cronjob.yaml" >"$OUT/cronjob.yaml"
	# shellcheck disable=SC2046
	kup_api_kubectl apply --dry-run=server -n kupgrade -f "$SRC/deploy/cronjob/pvc.yaml" -f "$OUT/cronjob.yaml" >"$OUT/cronjob-apply.out" 2>&1
	kup_expect_exit 0 $? "deploy/cronjob: kubectl apply --dry-run=server (CronJob as batch/v1beta1 on 1.20)"
	# the kustomizations, where kubectl's kustomize can read them (v4+: kubectl 1.21 and later)
	for v in serve prometheus cronjob; do
		if kup_api_kubectl kustomize "$SRC/deploy/$v" >"$OUT/kustomize-$v.yaml" 2>"$OUT/kustomize-$v.err"; then
			kup_check "kubectl kustomize deploy/$v: every object in namespace kupgrade or cluster-scoped" \
				sh -c "grep -q '^  namespace: kupgrade\$' '$OUT/kustomize-$v.yaml' && ! grep '^  namespace: ' '$OUT/kustomize-$v.yaml' | grep -vq 'namespace: kupgrade\$'"
		elif grep -q 'must be a file' "$OUT/kustomize-$v.err"; then
			kup_ok "kubectl kustomize deploy/$v: skipped, this kubectl's kustomize predates directory resources"
		else
			kup_not_ok "kubectl kustomize deploy/$v"
			cat "$OUT/kustomize-$v.err" >&2
		fi
	done
	cat "$SRC"/deploy/common/*.yaml "$SRC"/deploy/serve/*.yaml "$SRC"/deploy/prometheus/*rule*.yaml >"$OUT/deploy.yaml"
	"$CLI" scan "$OUT/deploy.yaml" "$SRC/deploy" --to 1.33 >"$OUT/deploy-scan.out" 2>&1
	kup_expect_exit 0 $? "deploy/ uses no API deprecated or removed by 1.33"
else
	kup_not_ok "kubectl is needed to apply deploy/ (scripts/install-deps --test installs it)"
fi

kup_done
