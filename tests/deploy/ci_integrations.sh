#!/bin/bash
# The CI integrations run as a user's CI would run them: the steps of
# action.yml (GitHub Actions) and ci/gitlab/kupgrade.gitlab-ci.yml are calls of
# ci/kupgrade-ci.sh; this test checks that each file calls the phases in the
# order a job needs, then runs those phases as a shell script on a repository
# with a removed API and on a clean one: reports written (SARIF with results
# and rules, JUnit, JSON), the verdict's exit code following --fail-on.
# The `build` phase is replaced by the binary ctest built (KUP_BIN).
# Usage (ctest): ci_integrations.sh SOURCE_DIR KUPGRADE_CLI
set -u
SRC="$1"
KUP_BIN="$2"
export KUP_BIN
CI="$SRC/ci/kupgrade-ci.sh"
fails=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }
check() { local d="$1"; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
W=$(mktemp -d "${TMPDIR:-/tmp}/kup-ci.XXXXXX")
trap 'rm -rf "$W"' EXIT

# the phases each integration calls, in order
phases() { grep -o 'kupgrade-ci.sh" [a-z]*' "$1" | awk '{print $2}' | paste -sd' ' -; }
check "action.yml: install, build, scan, verdict" test "$(phases "$SRC/action.yml")" = "install build scan verdict"
check "action.yml uploads the SARIF file it writes" grep -q 'sarif_file: ${{ inputs.sarif }}' "$SRC/action.yml"
check "gitlab template: install, build, scan, verdict" test "$(phases "$SRC/ci/gitlab/kupgrade.gitlab-ci.yml")" = "install build scan verdict"
check "gitlab template: JUnit report" grep -q 'junit: kupgrade-junit.xml' "$SRC/ci/gitlab/kupgrade.gitlab-ci.yml"
check "pre-commit hooks: scan and fix --check" sh -c "grep -q 'entry: kupgrade scan' '$SRC/.pre-commit-hooks.yaml' && grep -q 'entry: kupgrade fix --check' '$SRC/.pre-commit-hooks.yaml'"

# a repository with an Ingress removed in 1.22, and a clean one
mkdir -p "$W/dirty/k8s" "$W/clean/k8s"
cat >"$W/dirty/k8s/ingress.yaml" <<'YAML'
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: web
spec:
  backend:
    serviceName: web
    servicePort: 80
YAML
cat >"$W/clean/k8s/deploy.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: nginx}]
YAML

job() { # job DIR FAIL_ON -> runs scan + verdict in DIR like the CI job; sets RC
	(cd "$1" && KUP_PATHS=k8s KUP_TO=1.25 KUP_FAIL_ON="$2" "$CI" scan >scan.log 2>&1 && "$CI" verdict)
	RC=$?
}
job "$W/dirty" removed
check "dirty, --fail-on removed: the job fails with 3 (got $RC)" test "$RC" = 3
check "dirty: SARIF is JSON with the finding" sh -c "jq -e '.runs[0].results | length >= 1' '$W/dirty/kupgrade.sarif' >/dev/null"
check "dirty: SARIF names the rule" sh -c "jq -e '[.runs[0].tool.driver.rules[].id] | length >= 1' '$W/dirty/kupgrade.sarif' >/dev/null"
check "dirty: SARIF rules carry help (text and markdown, with the replacement)" sh -c "jq -e '[.runs[0].tool.driver.rules[] | select(.id == .id and (.help.markdown // \"\" | contains(\"networking.k8s.io/v1\")) and (.help.text | length > 0))] | length >= 1' '$W/dirty/kupgrade.sarif' >/dev/null"
check "dirty: SARIF results carry partialFingerprints" sh -c "jq -e '[.runs[0].results[] | .partialFingerprints[\"kupgradeFinding/v1\"] | test(\"^[0-9a-f]{16}$\")] | all' '$W/dirty/kupgrade.sarif' >/dev/null"
check "dirty: JUnit has a failure" grep -q '<failure' "$W/dirty/kupgrade-junit.xml"
check "dirty: JSON report" sh -c "jq -e '.findings | length >= 1' '$W/dirty/kupgrade.json' >/dev/null"
job "$W/dirty" none
check "dirty, --fail-on none: the job passes (got $RC)" test "$RC" = 0
check "dirty, --fail-on none: JUnit reports the finding without failing (failures=\"0\", <system-out>)" sh -c "grep -q 'failures=\"0\"' '$W/dirty/kupgrade-junit.xml' && ! grep -q '<failure' '$W/dirty/kupgrade-junit.xml' && grep -q '<system-out>' '$W/dirty/kupgrade-junit.xml'"
job "$W/clean" removed
check "clean: the job passes (got $RC)" test "$RC" = 0
check "clean: SARIF with no results" sh -c "jq -e '.runs[0].results | length == 0' '$W/clean/kupgrade.sarif' >/dev/null"
(cd "$W" && "$CI" verdict >/dev/null 2>&1)
check "verdict without a scan is an error (exit 1)" test "$?" = 1

[ "$fails" -eq 0 ] || exit 1
