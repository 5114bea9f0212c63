#!/bin/bash
# tests/cli/help.sh KUPGRADE - every option of every command's table is in
# its --help and in its man page.
#
# The option lists come from `kupgrade completion bash` (_kupgrade_opts: a
# walk over the tables apart from --help's); --help is `kupgrade CMD --help`,
# the man page `kupgrade __man VERB` rendered by man(1) when man is installed.
set -u
K=$1
fail=0
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
"$K" completion bash >"$W/c.bash" || { echo "FAIL: completion bash"; exit 1; }
# shellcheck disable=SC1091
source "$W/c.bash"
cmds=$(sed -n 's/^\t"\([a-z][a-z -]*\)") echo "\( -.*\)" ;;$/\1/p' "$W/c.bash")
n=0
[ "$(echo "$cmds" | wc -l)" -ge 20 ] || { echo "FAIL: only $(echo "$cmds" | wc -l) commands in the completion"; exit 1; }
while IFS= read -r cmd; do
	# shellcheck disable=SC2086
	"$K" $cmd --help >"$W/help" 2>"$W/err" || { echo "FAIL: '$cmd --help' exits $?"; fail=1; continue; }
	[ -s "$W/err" ] && { echo "FAIL: '$cmd --help' writes on stderr"; cat "$W/err"; fail=1; }
	verb=${cmd%% *}
	"$K" __man "$verb" >"$W/man.1" || { echo "FAIL: __man $verb"; fail=1; }
	for o in $(_kupgrade_opts "$cmd"); do
		n=$((n + 1))
		case $o in
		--*) pat="$o" ;;
		-?) pat="$o," ;;
		esac
		grep -qF -- "$pat" "$W/help" || { echo "FAIL: '$cmd --help' lacks $o"; fail=1; }
		# in roff every '-' is '\-'
		grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$W/man.1" ||
			{ echo "FAIL: kupgrade-$verb(1) lacks $o"; fail=1; }
	done
done <<<"$cmds"
[ "$n" -ge 150 ] || { echo "FAIL: only $n options checked"; fail=1; }
# drain --backoff was accepted but missing from --help (issue 12)
"$K" drain --help | grep -q -- '--backoff DURATION' || { echo "FAIL: drain --help lacks --backoff"; fail=1; }
[ $fail -eq 0 ] && echo "ok: $n options of $(echo "$cmds" | wc -l) commands in --help and the man pages"
exit $fail
