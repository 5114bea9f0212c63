#!/bin/sh
# fleet_roll.sh - the 30-cluster example fleet rolls to its target on SQLite.
#   $1: the kupgrade CLI, $2: the build directory (unused).
# Fast-forward clock (--time-scale 36000: the 24h soak of staging takes 2.4 s);
# the run stops when staging needs approval (exit 2), nothing of prod has run
# then; after `fleet approve staging` a second run finishes the fleet (exit 0).
# Every step ran exactly once (the simulated provider's own log), every cluster
# is at 1.35, status says done for all 30, events show who approved.
set -u
here=$(cd "$(dirname "$0")" && pwd)
K=${1:?usage: fleet_roll.sh CLI BUILD_DIR}
. "$here/lib/fleet.sh"
fleet_setup || exit 1
trap fleet_cleanup EXIT
cd "$W" || exit 1
# the driver timeout is fleet time too: keep it far above a loaded machine's real seconds
sed -i 's/    timeout: 6h/    timeout: 96h/' fleet.yaml
S="sqlite:$W/fleet.db"
fail=0

"$K" fleet run fleet.yaml --store "$S" --time-scale 36000 --now 2026-11-23T08:00:00Z \
	--tick 100ms --until-done 2>run1.log
rc=$?
[ "$rc" = 2 ] || { fleet_fail "first run: exit $rc, expected 2 (waiting for approval)"; tail -20 run1.log >&2; fail=1; }
grep -q "wave staging complete; soak 1d; needs approval" run1.log || { fleet_fail "no 'needs approval' line"; fail=1; }
if grep -q ' start prod-' driver.log; then fleet_fail "prod ran before staging was approved"; fail=1; fi
"$K" fleet plan fleet.yaml --store "$S" >plan.out
grep -q "wait   prod-1 (wave prod): waiting: wave staging needs approval" plan.out ||
	{ fleet_fail "plan does not say prod waits for approval"; cat plan.out >&2; fail=1; }
"$K" fleet status fleet.yaml --store "$S" -o json >status1.json
grep -q '"name": "dev", "clusters": 10, "done": 10' status1.json || { fleet_fail "dev not done in status"; fail=1; }

"$K" fleet approve staging --by alice --store "$S" >/dev/null || { fleet_fail "approve failed"; fail=1; }
"$K" fleet run fleet.yaml --store "$S" --tick 100ms --until-done 2>run2.log
rc=$?
[ "$rc" = 0 ] || { fleet_fail "second run: exit $rc, expected 0"; tail -20 run2.log >&2; fail=1; }

fleet_exactly_once || fail=1
fleet_all_at 1.35 || fail=1
"$K" fleet status fleet.yaml --store "$S" >status.out
rc=$?
[ "$rc" = 0 ] || { fleet_fail "status exit $rc"; fail=1; }
n=$(grep -c ' done ' status.out)
[ "$n" = 30 ] || { fleet_fail "status shows $n clusters done, expected 30"; cat status.out >&2; fail=1; }
"$K" fleet events --store "$S" >events.out
grep -q 'approve .*staging.*\[alice\]' events.out || { fleet_fail "no approval by alice in the events"; fail=1; }
n=$(grep -c ' step-succeeded ' events.out)
m=$(awk '$3=="start"' driver.log | wc -l)
[ "$n" = "$m" ] || { fleet_fail "$n step-succeeded events but $m driver runs"; fail=1; }
# steps per cluster: 2 control-plane hops and 2 pool rolls from 1.33, 3 and 2 from 1.32
n=$(awk '$3=="start" && $4=="prod-9"' driver.log | wc -l)
[ "$n" -ge 4 ] || { fleet_fail "prod-9 (1.32) took $n steps"; fail=1; }
[ "$fail" = 0 ] && fleet_log "PASS: 30 clusters at 1.35, $m steps"
exit $fail
