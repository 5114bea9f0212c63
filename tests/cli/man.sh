#!/bin/bash
# tests/cli/man.sh KUPGRADE - the man pages kupgrade(1) and kupgrade-VERB(1),
# written by `kupgrade __man`, render without a single groff warning
# (man --warnings, from man-db and groff-base) and name what they should.
set -u
K=$1
command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1 ||
	{ echo "SKIP: man-db and groff-base are not installed (scripts/install-deps --test)"; exit 77; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
verbs=$("$K" completion bash | sed -n 's/^\t"") echo enum \(.*\) ;;$/\1/p')
[ -n "$verbs" ] || { echo "FAIL: no verbs"; exit 1; }
"$K" __man >"$W/kupgrade.1" || { echo "FAIL: __man"; exit 1; }
for v in $verbs; do
	"$K" __man "$v" >"$W/kupgrade-$v.1" || { echo "FAIL: __man $v"; fail=1; }
	grep -q "kupgrade\\\\-$v" "$W/kupgrade.1" || { echo "FAIL: kupgrade(1) does not name kupgrade-$v(1)"; fail=1; }
done
"$K" __man no-such-verb >/dev/null 2>&1 && { echo "FAIL: __man no-such-verb succeeds"; fail=1; }
n=0
for f in "$W"/*.1; do
	n=$((n + 1))
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" >"$W/out" 2>"$W/warn"
	if [ -s "$W/warn" ]; then
		echo "FAIL: $(basename "$f"): warnings:"
		cat "$W/warn"
		fail=1
	fi
	head -n 1 "$W/out" | grep -q "^KUPGRADE" || { echo "FAIL: $(basename "$f"): no KUPGRADE title"; fail=1; }
	grep -q '^NAME' "$W/out" && grep -q '^SYNOPSIS' "$W/out" && grep -q '^DESCRIPTION' "$W/out" ||
		{ echo "FAIL: $(basename "$f"): a section is missing"; fail=1; }
done
# the check itself finds warnings: an undefined macro must be reported
printf '.TH X 1\n.SH NAME\nx \\- y\n.XX z\n' >"$W/bad.1"
man --warnings -l "$W/bad.1" 2>&1 >/dev/null | grep -q warning || { echo "FAIL: man --warnings reports nothing on a bad page"; fail=1; }
LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$W/kupgrade-plan.1" 2>/dev/null | grep -q -- '--manifests PATH...' ||
	{ echo "FAIL: kupgrade-plan(1) lacks '--manifests PATH...'"; fail=1; }
[ $fail -eq 0 ] && echo "ok: $n man pages without warnings"
exit $fail
