#!/bin/sh
# fleet-rollout-example.sh KUPGRADE - examples/fleet-rollout/ (a fleet whose nodepool
# driver is `kupgrade rollout run`, docs/fleet.md "Node pools rolled by kupgrade"):
#   the fleet file validates; its nodepool line and nodepool.sh's command are the ones
#   docs/fleet.md shows; nodepool.sh passes those arguments to kupgrade (a recorder in
#   its place); the real `kupgrade rollout run` accepts every one of them (it gets as far
#   as looking up the context); with a state file, --resume first, and only its exit 1
#   falls through to a fresh start.
set -u
bin=$1
src=$(cd "$(dirname "$0")/.." && pwd)
ex=$src/examples/fleet-rollout
doc=$src/docs/fleet.md
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$bin" fleet validate "$ex/fleet.yaml" >"$t/validate" 2>&1 || { bad "fleet validate"; cat "$t/validate"; }
grep -q "^fleet rollout: 2 clusters in 2 waves, target 1.31" "$t/validate" || bad "fleet validate output"

line=$(grep '^    nodepool: ' "$ex/fleet.yaml" | sed 's/^ *//')
[ -n "$line" ] && grep -qF "    $line" "$doc" || bad "docs/fleet.md lacks the example's '$line'"

# the command: the script's exec line and the doc's block, continuation lines joined
joined() { sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' | tr -s ' \t' '  ' | sed 's/^ //'; }
grep -A3 '^exec "${KUPGRADE' "$ex/nodepool.sh" | joined | head -1 >"$t/script-cmd"
sed -n '/^<!-- nodepool.sh command/,/^$/p' "$doc" | sed '1d' | joined | head -1 >"$t/doc-cmd"
grep -q 'rollout run --context' "$t/script-cmd" || bad "nodepool.sh: no rollout run command found"
cmp -s "$t/script-cmd" "$t/doc-cmd" || { bad "docs/fleet.md's command is not nodepool.sh's"; diff "$t/script-cmd" "$t/doc-cmd"; }

# the arguments, recorded (one per line) by a stand-in for kupgrade
cp -R "$ex" "$t/ex"
cat >"$t/rec" <<'EOF'
#!/bin/sh
for a in "$@"; do printf '%s\n' "$a"; done >>"$REC"
echo "--" >>"$REC"
case " $* " in *" --resume "*) exit "${RESUME_RC:-1}" ;; esac
exit 0
EOF
chmod +x "$t/rec"
REC=$t/args KUPGRADE=$t/rec "$t/ex/nodepool.sh" dev-eu general 1.31 || bad "nodepool.sh with the recorder"
d=$t/ex
printf '%s\n' rollout run --context dev-eu --pool general --to 1.31 --provider exec \
	--provision "$d/provider.sh provision dev-eu {pool} {zone} {version}" \
	--retire "$d/provider.sh retire dev-eu {node}" --max-surge 3 --max-unavailable 0 \
	--drain-timeout 15m --provision-timeout 10m --state "sqlite:$d/rollout-dev-eu-general-1.31.db" -q -- \
	>"$t/want"
cmp -s "$t/args" "$t/want" || { bad "nodepool.sh's arguments"; diff "$t/want" "$t/args"; }

# the real kupgrade accepts them: it stops at the context, not at an option
printf 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n' >"$t/kc"
sed '$d' "$t/args" >"$t/argv"
(
	set --
	while IFS= read -r a; do set -- "$@" "$a"; done <"$t/argv"
	KUBECONFIG=$t/kc NO_COLOR=1 "$bin" "$@" >"$t/real.out" 2>"$t/real.err"
	echo $? >"$t/real.rc"
)
[ "$(cat "$t/real.rc")" = 1 ] || bad "kupgrade rollout run: exit $(cat "$t/real.rc"), expected 1"
grep -q "context 'dev-eu' not found" "$t/real.err" || { bad "kupgrade rollout run did not get to the context"; cat "$t/real.err"; }

# a state file: --resume first; its exit 3 is the result, its exit 1 falls through to a start
: >"$d/rollout-dev-eu-general-1.31.db"
rm -f "$t/args"
rc=0
REC=$t/args RESUME_RC=3 KUPGRADE=$t/rec "$d/nodepool.sh" dev-eu general 1.31 || rc=$?
[ "$rc" = 3 ] || bad "a resumed roll's exit 3: nodepool.sh exited $rc"
[ "$(grep -c '^--$' "$t/args")" = 1 ] && grep -q '^--resume$' "$t/args" || bad "exit 3 of --resume: no start after it"
rm -f "$t/args"
REC=$t/args RESUME_RC=1 KUPGRADE=$t/rec "$d/nodepool.sh" dev-eu general 1.31 || bad "resume exit 1, then a start"
[ "$(grep -c '^--$' "$t/args")" = 2 ] && grep -q '^--context$' "$t/args" || bad "exit 1 of --resume: the roll was not started"
[ "$fail" = 0 ] && echo "ok: examples/fleet-rollout"
exit $fail
