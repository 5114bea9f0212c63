#!/bin/sh
# ci/kupgrade-ci.sh - the steps of the CI integrations (action.yml for GitHub
# Actions, ci/gitlab/kupgrade.gitlab-ci.yml for GitLab CI), as one script so
# that both, and tests/deploy/ci_integrations.sh, run exactly the same thing.
#
#   ci/kupgrade-ci.sh install   the build dependencies (scripts/install-deps; sudo when not root)
#   ci/kupgrade-ci.sh build     build kupgrade into $KUP_BUILD (default ./kupgrade-build)
#   ci/kupgrade-ci.sh scan      scan $KUP_PATHS; reports to $KUP_SARIF, $KUP_JUNIT, $KUP_JSON;
#                               the exit code to $KUP_EXIT_FILE (the step itself succeeds,
#                               so the report can be uploaded before the job fails)
#   ci/kupgrade-ci.sh verdict   exit with the scan's code (0 clean, 1 error, 2 deprecated,
#                               3 removed; --fail-on decided which of 2/3 count)
#
# Settings (environment):
#   KUP_PATHS      what to scan (default ".")
#   KUP_TO         target Kubernetes version (default: the newest the KB knows)
#   KUP_FAIL_ON    removed | deprecated | none (default removed)
#   KUP_SARIF      SARIF file (default kupgrade.sarif; empty: none)
#   KUP_JUNIT      JUnit file (default kupgrade-junit.xml; empty: none)
#   KUP_JSON       JSON file (default kupgrade.json; empty: none)
#   KUP_BIN        the kupgrade binary (default: $KUP_BUILD/kupgrade, else kupgrade on PATH)
#   KUP_EXIT_FILE  where scan leaves its exit code (default .kupgrade-exit)
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KUP_BUILD:-$PWD/kupgrade-build}
PATHS=${KUP_PATHS:-.}
FAIL_ON=${KUP_FAIL_ON:-removed}
SARIF=${KUP_SARIF-kupgrade.sarif}
JUNIT=${KUP_JUNIT-kupgrade-junit.xml}
JSON=${KUP_JSON-kupgrade.json}
EXIT_FILE=${KUP_EXIT_FILE:-.kupgrade-exit}

bin() {
	if [ -n "${KUP_BIN:-}" ]; then
		echo "$KUP_BIN"
	elif [ -x "$BUILD/kupgrade" ]; then
		echo "$BUILD/kupgrade"
	else
		command -v kupgrade || { echo "kupgrade-ci: no kupgrade binary (run 'build' first)" >&2; exit 1; }
	fi
}

case "${1:-}" in
install)
	"$HERE/scripts/install-deps"
	;;
build)
	cmake -S "$HERE" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DKUP_TESTS=OFF >/dev/null
	cmake --build "$BUILD" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
	"$BUILD/kupgrade" version
	;;
scan)
	K=$(bin)
	to=""
	[ -n "${KUP_TO:-}" ] && to="--to $KUP_TO"
	rc=0
	# shellcheck disable=SC2086
	for fmt in sarif junit json; do
		case "$fmt" in sarif) f=$SARIF ;; junit) f=$JUNIT ;; json) f=$JSON ;; esac
		[ -n "$f" ] || continue
		r=0
		"$K" scan $PATHS $to --fail-on "$FAIL_ON" -o "$fmt" >"$f" || r=$?
		[ "$r" -gt "$rc" ] && rc=$r
	done
	# and the table, for the job's log
	"$K" scan $PATHS $to --fail-on "$FAIL_ON" --no-color || true
	echo "$rc" >"$EXIT_FILE"
	echo "kupgrade-ci: scan exit code $rc (--fail-on $FAIL_ON)"
	;;
verdict)
	[ -s "$EXIT_FILE" ] || { echo "kupgrade-ci: no scan result in $EXIT_FILE" >&2; exit 1; }
	exit "$(cat "$EXIT_FILE")"
	;;
*)
	echo "usage: ci/kupgrade-ci.sh install|build|scan|verdict" >&2
	exit 2
	;;
esac
