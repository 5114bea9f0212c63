#!/bin/sh
# runbook_html.sh - `plan -o html` of the bundled example opened in headless
# Chromium (Debian's chromium): the rendered DOM has the coloured verdict, the
# picture of the path (a row per component, a column per control-plane
# version, today first), commands quoted with backticks rendered as <code>
# (no literal backtick left in the text), the risk table laid out to the
# page's width; the page is self-contained.  `plan DIR -o html` is a table
# that sorts when a header is clicked (checked through its #sort= link).  The screenshot and the page are
# kept in BUILD_DIR/test-artifacts/.
#   $1: the kupgrade CLI, $2: the build directory.
set -u
K=${1:?usage: runbook_html.sh CLI BUILD_DIR}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
fail=0
bad() { echo "runbook_html.sh: FAIL: $*" >&2; fail=1; }
[ -n "$CHROMIUM" ] || { bad "no chromium (install Debian's chromium: scripts/install-deps --test)"; exit 1; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$SRC" || exit 1
"$K" plan examples/cluster/profile.yaml --to 1.31 --manifests examples/manifests \
	--dump examples/cluster-dump.json examples/helm-release.yaml \
	--chart-index examples/charts/index.yaml -o html >"$W/runbook.html" 2>"$W/plan.err"
rc=$?
[ "$rc" = 3 ] || bad "plan exit $rc, expected 3 (the example is blocked)"
if grep -Eq '<script|<link|<img|src=|url\(|@import' "$W/runbook.html"; then bad "the page is not self-contained"; fi
chrome() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$W/profile" "$@" 2>>"$W/chromium.log"
}
chrome --dump-dom "file://$W/runbook.html" >"$W/dom.html"
[ -s "$W/dom.html" ] || { bad "chromium rendered nothing"; tail "$W/chromium.log" >&2; exit 1; }
for fact in \
	'<span class="verdict v-blocked">BLOCKED</span>' \
	'<figure class="path">' \
	'>today</text>' \
	'>at 1.31</text>' \
	'>control-plane</text>' \
	'>nodepool/general</text>' \
	'<code>kupgrade fix --to 1.31</code>' \
	'table-layout:fixed'; do
	grep -qF -- "$fact" "$W/dom.html" || bad "the rendered page lacks: $fact"
done
# the control plane reaches 1.31 in the last column, highlighted as a step
grep -q 'class="step"/><text x="[0-9]*" y="[0-9]*" font-weight="bold"><title>1.31</title>1.31</text>' "$W/runbook.html" ||
	bad "the path does not show a step to 1.31"
# no Markdown code span left as literal backticks in the page's text
if sed 's/<[^>]*>//g' "$W/dom.html" | grep -q '`'; then
	bad "literal backticks in the rendered text: $(sed 's/<[^>]*>//g' "$W/dom.html" | grep '`' | head -n 2)"
fi
# plan DIR -o html: a real table, sortable (a click on a header; #sort=-COLUMN links to it)
"$K" plan examples/fleet/clusters/ --to 1.35 -o html >"$W/plans.html" 2>/dev/null
rows=$(grep -c '^<tr class="[a-z]*"><td>' "$W/plans.html")
[ "$rows" = "$(ls examples/fleet/clusters | wc -l)" ] || bad "plan DIR -o html: $rows rows for $(ls examples/fleet/clusters | wc -l) profiles"
grep -q '<pre>' "$W/plans.html" && bad "plan DIR -o html is still text in <pre>"
chrome --virtual-time-budget=2000 --dump-dom "file://$W/plans.html#sort=-cluster" >"$W/plans-dom.html"
want=$(sed -n 's/^<tr class="[a-z]*"><td>\([^<]*\)<.*/\1/p' "$W/plans.html" | sort -V | tail -n 1)
got=$(grep -o '<tr class="[a-z]*"><td>[^<]*' "$W/plans-dom.html" | head -n 1 | sed 's/.*<td>//')
[ -n "$want" ] && [ "$got" = "$want" ] || bad "sorted by cluster, descending: first row '$got', expected '$want'"
grep -q 'aria-sort="descending">cluster' "$W/plans-dom.html" || bad "the sorted column is not marked"
chrome --window-size=1200,1800 --screenshot="$W/runbook.png" "file://$W/runbook.html" >/dev/null
sz=$(wc -c <"$W/runbook.png" 2>/dev/null || echo 0)
[ "$sz" -gt 20000 ] || bad "the screenshot is $sz bytes"
if [ -n "${2:-}" ] && [ -d "$2" ]; then
	mkdir -p "$2/test-artifacts" && cp "$W/runbook.png" "$W/runbook.html" "$2/test-artifacts/"
fi
[ "$fail" = 0 ] && echo "runbook_html.sh: PASS: the runbook renders ($sz-byte screenshot) with its verdict, path and code"
exit $fail
