#!/bin/bash
# auth.sh - authentication and failure modes against a real kube-apiserver v1.20.2.
#
# Asserts, for scan, snapshot and drain:
#   - exec credential plugin auth works, and the plugin runs once per process
#     (the credential is cached until its expirationTimestamp);
#   - bearer tokens (a CA from a file) work;
#   - a wrong CA, an unknown token, an expired client certificate, a server
#     where nothing listens and a server stopped during the test each end
#     with exit 1 and one clear message naming the server, the user or the
#     kubeconfig entry to check - never a crash (exit >= 128), never output
#     that looks like a clean result;
#   - a user who may not list some resources: each refused resource is named
#     (verb, resource, group) with what was skipped, the rest is still
#     scanned, the exit code is 1; a drain refused its PATCH names it;
#   - tokens never appear in the output, not even with -v.
# Usage (ctest): auth.sh KUPGRADE_CLI BUILD_DIR
set -u
CLI="$1"
. "$(dirname "$0")/lib/apiserver.sh"
. "$(dirname "$0")/lib/fixtures.sh"
command -v jq >/dev/null || kup_die "jq not installed"
kup_api_start
OUT="$KUP_API_DIR/out"
mkdir -p "$OUT"
KC=(--kubeconfig "$KUP_KUBECONFIG")

kup_fixture_legacy shop "$OUT"
kup_api_json POST /api/v1/nodes '{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}' >/dev/null

# run NAME CONTEXT ARGS...: runs the CLI, keeps stdout/stderr in $OUT/NAME.{out,err}, sets RC
run() {
	local name="$1" ctx="$2"
	shift 2
	"$CLI" "$@" "${KC[@]}" --context "$ctx" >"$OUT/$name.out" 2>"$OUT/$name.err"
	RC=$?
	if [ "$RC" -ge 128 ]; then
		kup_not_ok "$name: kupgrade died with signal $((RC - 128))"
		sed 's/^/    | /' "$OUT/$name.err" >&2
	fi
}

# ---- credentials that work ----------------------------------------------------------
: >"$KUP_API_DIR/exec-plugin.calls"
run exec exec scan --to 1.25 -o json
kup_expect_exit 3 "$RC" "scan with an exec credential plugin"
kup_check "exec: findings read" kup_jq "$OUT/exec.out" '[.findings[] | select(.name == "legacy-ing")] | length >= 2'
kup_check "exec: the plugin ran once for the whole scan" test "$(wc -l <"$KUP_API_DIR/exec-plugin.calls")" -eq 1
kup_grep "$KUP_API_DIR/exec-plugin.calls" '"apiVersion":"client.authentication.k8s.io/v1beta1"' \
	"exec: the plugin got KUBERNETES_EXEC_INFO"
run exec-drain exec drain n1 --dry-run
kup_expect_exit 0 "$RC" "drain --dry-run with the exec plugin"

run token token scan --to 1.25 -o json -v
kup_expect_exit 3 "$RC" "scan with a bearer token"
kup_grep "$OUT/token.err" "GET https://127\\.0\\.0\\.1:[0-9]+/apis? 200" "-v logs the requests"
for f in "$OUT"/*.out "$OUT"/*.err; do
	if grep -qF -e "$KUP_API_TOKEN" -e "$KUP_API_EXEC_TOKEN" -e "$KUP_API_VIEWER_TOKEN" "$f"; then
		kup_not_ok "a token appears in $(basename "$f")"
	fi
done
kup_ok "no token in any output (checked after each run below too)"

# ---- credentials or servers that do not ------------------------------------------------
run wrongca wrong-ca scan --to 1.25 -o json
kup_expect_exit 1 "$RC" "wrong CA"
kup_grep "$OUT/wrongca.err" "certificate verify failed for https://127\\.0\\.0\\.1:[0-9]+: check certificate-authority of cluster 'test-wrong-ca'" \
	"wrong CA: the message names the server and the cluster entry"
kup_check "wrong CA: no report on stdout" test ! -s "$OUT/wrongca.out"

run badtoken bad-token scan --to 1.25 -o json
kup_expect_exit 1 "$RC" "unknown token"
kup_grep "$OUT/badtoken.err" "unauthorized \\(401\\) from https://127\\.0\\.0\\.1:[0-9]+.*user 'bad-token' were refused" \
	"unknown token: 401, the user named"
kup_nogrep "$OUT/badtoken.err" "this-token-is-not-known" "unknown token: the token itself is not printed"

run expired expired scan --to 1.25 -o json
kup_expect_exit 1 "$RC" "expired client certificate"
kup_grep "$OUT/expired.err" "unauthorized \\(401\\).*user 'expired' were refused" "expired certificate: 401, the user named"

run down down scan --to 1.25 -o json
kup_expect_exit 1 "$RC" "nothing listening"
kup_grep "$OUT/down.err" "cannot connect to https://127\\.0\\.0\\.1:[0-9]+: connection refused" "nothing listening: connection refused, the server named"

run down-drain down drain n1
kup_expect_exit 1 "$RC" "drain, nothing listening"
kup_grep "$OUT/down-drain.err" "drain: cannot connect to https://127\\.0\\.0\\.1:[0-9]+" "drain names the unreachable server"

# ---- forbidden resources -------------------------------------------------------------------
run restricted restricted scan --to 1.25 -o json
kup_expect_exit 1 "$RC" "scan with resources the user may not list"
kup_grep "$OUT/restricted.err" 'forbidden: cannot list resource "secrets" in API group "" at the cluster scope .*user .viewer.*skipped secrets \(v1\)' \
	"forbidden: secrets named with the verb, the user and what was skipped"
kup_grep "$OUT/restricted.err" 'cannot list resource "podsecuritypolicies" in API group "policy".*skipped podsecuritypolicies \(policy/v1beta1\)' \
	"forbidden: podsecuritypolicies named"
kup_check "forbidden: what may be listed is still scanned (web-pdb)" kup_jq "$OUT/restricted.out" \
	'[.findings[] | select(.name == "web-pdb" and .source.type == "last-applied")] | length == 1'
kup_check "forbidden: the errors are in the report too" kup_jq "$OUT/restricted.out" \
	'[.errors[] | select(.message | test("secrets"))] | length >= 1'
kup_check "forbidden: PSPs were not read, and not reported as clean" kup_jq "$OUT/restricted.out" \
	'([.findings[] | select(.kind == "PodSecurityPolicy")] | length == 0) and .summary.errors > 0'

kup_grep "$OUT/restricted.err" 'note: deprecated API requests not checked: forbidden: cannot get path "/metrics"' \
	"forbidden: the unread /metrics is said, as a note"
run restricted-snap restricted snapshot -o "$OUT/restricted-snap.json"
kup_expect_exit 1 "$RC" "snapshot with resources the user may not list"
kup_grep "$OUT/restricted-snap.err" "some resources were skipped" "snapshot: says it is partial"

run restricted-drain restricted drain n1
kup_expect_exit 1 "$RC" "drain by a user who may not patch nodes"
kup_grep "$OUT/restricted-drain.err" 'forbidden: cannot patch resource "nodes"' "drain: the refused verb and resource named"
kup_check "drain: the node was not cordoned" \
	test "$(kup_api_json GET /api/v1/nodes/n1 | jq -r '.spec.unschedulable // false')" = false

# ---- the server goes away ------------------------------------------------------------------
kup_api_stop_server
run stopped admin scan --to 1.25 -o json
kup_expect_exit 1 "$RC" "scan of a stopped server"
kup_grep "$OUT/stopped.err" "cannot connect to https://127\\.0\\.0\\.1:[0-9]+: connection refused \\(is the API server running\\?\\)" \
	"stopped server: connection refused"
run stopped-snap admin snapshot -o "$OUT/stopped-snap.json"
kup_expect_exit 1 "$RC" "snapshot of a stopped server"
kup_check "stopped server: no snapshot file left behind" test ! -e "$OUT/stopped-snap.json"
kup_check "stopped server: no temporary file left behind" test -z "$(ls -A "$OUT" | grep -E '^\.?stopped-snap\.json.+' || true)"
run stopped-drain admin drain n1
kup_expect_exit 1 "$RC" "drain of a stopped server"

for f in "$OUT"/*.out "$OUT"/*.err; do
	if grep -qF -e "$KUP_API_TOKEN" -e "$KUP_API_EXEC_TOKEN" -e "$KUP_API_VIEWER_TOKEN" "$f"; then
		kup_not_ok "a token appears in $(basename "$f")"
	fi
done
kup_done
