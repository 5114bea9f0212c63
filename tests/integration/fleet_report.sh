#!/bin/sh
# fleet_report.sh - `fleet report -o html` opened in headless Chromium (Debian's
# chromium): the page renders (a screenshot is written) and its key facts are in
# the rendered DOM: the target, counts, versions against end-of-life dates, wave
# progress with the approval, the failed cluster with its reason and the retry
# command, the halt, the timeline with its legend and time axis, events newest
# first.  The page is self-contained: no scripts, no external resources.
#   $1: the kupgrade CLI, $2: the build directory (the screenshot and page are
#   kept in $2/test-artifacts/).
set -u
here=$(cd "$(dirname "$0")" && pwd)
K=${1:?usage: fleet_report.sh CLI BUILD_DIR}
. "$here/lib/fleet.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { fleet_fail "no chromium (install Debian's chromium: scripts/install-deps)"; exit 1; }
fleet_setup || exit 1
prof=$(mktemp -d)
trap 'fleet_cleanup; rm -rf "$prof"' EXIT
cd "$W" || exit 1
sed -i 's/    timeout: 6h/    timeout: 96h/' fleet.yaml
S="sqlite:$W/fleet.db"
fail=0
echo prod-3 >fail.list
"$K" fleet run fleet.yaml --store "$S" --time-scale 36000 --now 2026-11-23T08:00:00Z --tick 100ms --until-done 2>run.log
"$K" fleet approve staging --by alice --store "$S" >/dev/null
"$K" fleet run fleet.yaml --store "$S" --tick 100ms --until-done 2>>run.log
"$K" fleet report fleet.yaml --store "$S" -o html report.html 2>/dev/null
rc=$?
[ "$rc" = 3 ] || { fleet_fail "report exit $rc, expected 3 (a failed cluster)"; fail=1; }
[ -s report.html ] || { fleet_fail "no report written"; exit 1; }
if grep -Eq '<script|<link|<img|src=|url\(|@import' report.html; then
	fleet_fail "the report is not self-contained"; fail=1
fi
n=$(grep -o 'https\?://[^"]*' report.html | grep -v '^http://www.w3.org/2000/svg$' | wc -l)
[ "$n" = 0 ] || { fleet_fail "the report names $n external URLs"; fail=1; }

chrome() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$prof" "$@" 2>>chromium.log
}
chrome --dump-dom "file://$W/report.html" >dom.html
[ -s dom.html ] || { fleet_fail "chromium rendered nothing"; tail chromium.log >&2; exit 1; }
for fact in \
	'Fleet acme: upgrade to 1.35' \
	'id="n-done">done: 20<' \
	'id="n-failed">failed: 1<' \
	'1.35 (target)' \
	'<td>1.33</td>' \
	'2026-06-28' \
	'approved by alice' \
	'maxFailures reached: 1 failed cluster in wave prod' \
	'simulated provider: control-plane control-plane of prod-3 to 1.34 failed (injected)' \
	'control-plane-one-minor-per-hop' \
	'step-failed' \
	'wave-complete' \
	'<svg class="timeline"'; do
	grep -qF -- "$fact" dom.html || { fleet_fail "the rendered page lacks: $fact"; fail=1; }
done
# the failed cluster's row says failed
grep -q 'id="c-prod-3"><td>prod-3</td>.*<td class="state">failed</td>' dom.html ||
	{ fleet_fail "prod-3's row does not say failed"; fail=1; }
# ... and offers the retry command
grep -q 'id="c-prod-3"><td>prod-3</td>.*kupgrade fleet retry prod-3 --store STORE' dom.html ||
	{ fleet_fail "prod-3's row has no retry command"; fail=1; }
# the timeline has a legend and a time axis with five ticks
grep -q 'class="legend">.*done.*in progress.*failed' dom.html || { fleet_fail "the timeline has no legend"; fail=1; }
n=$(grep -o 'class="small tick"' dom.html | wc -l)
[ "$n" = 5 ] || { fleet_fail "the time axis has $n ticks, expected 5"; fail=1; }
# events newest first: the first row's id is the largest
ids=$(sed -n '/<table class="events">/,/<\/table>/p' dom.html | grep -o '<tr class="ev-[a-z-]*"><td>[0-9]*' | sed 's/.*<td>//')
first=$(echo "$ids" | head -n 1)
last=$(echo "$ids" | tail -n 1)
max=$(echo "$ids" | sort -n | tail -n 1)
{ [ -n "$first" ] && [ "$first" = "$max" ] && [ "$first" -gt "$last" ]; } ||
	{ fleet_fail "events are not newest first (first #$first, last #$last, newest #$max)"; fail=1; }
chrome --window-size=1280,2000 --screenshot="$W/report.png" "file://$W/report.html" >/dev/null
sz=$(wc -c <report.png 2>/dev/null || echo 0)
[ "$sz" -gt 20000 ] || { fleet_fail "the screenshot is $sz bytes"; fail=1; }
# the screenshot is kept as a test artefact in the build directory
if [ -n "${2:-}" ] && [ -d "$2" ]; then
	mkdir -p "$2/test-artifacts" && cp report.png "$2/test-artifacts/fleet-report.png" && cp report.html "$2/test-artifacts/fleet-report.html"
fi
[ "$fail" = 0 ] && fleet_log "PASS: the report renders ($sz-byte screenshot) with its key facts"
exit $fail
