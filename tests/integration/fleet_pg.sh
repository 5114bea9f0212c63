#!/bin/sh
# fleet_pg.sh - two controller replicas on one PostgreSQL roll the 30-cluster
# example; replica A is killed with -9 while it works and B carries on once A's leases
# expire.  No cluster is acted on by both at once (the simulated provider's log
# shows no overlapping runs on one cluster), every step ran exactly once, every
# cluster reached 1.35, and both replicas did some of the work.  First, a
# controller whose PostgreSQL is unreachable retries with backoff and runs
# nothing.
#   $1: the kupgrade CLI, $2: the build directory (unused).
set -u
here=$(cd "$(dirname "$0")" && pwd)
K=${1:?usage: fleet_pg.sh CLI BUILD_DIR}
. "$here/lib/fleet.sh"
. "$here/lib/postgres.sh"
fleet_setup || exit 1
cleanup() { [ -n "${apid:-}" ] && kill -9 "$apid" 2>/dev/null; [ -n "${bpid:-}" ] && kill -9 "$bpid" 2>/dev/null; kup_pg_stop; fleet_cleanup; }
kup_pg_start || { fleet_fail "PostgreSQL did not start"; fleet_cleanup; exit 1; }
trap cleanup EXIT
cd "$W" || exit 1
sed -i -e 's/, approval: true//' -e 's/soak: 24h/soak: 1h/' -e 's/,\s*$//' -e 's/maxFailures: 1$/maxFailures: 1}/' \
	-e '/window: "Mon-Fri 09:00-17:00 UTC"/d' -e 's/    timeout: 6h/    timeout: 96h/' fleet.yaml
"$K" fleet validate fleet.yaml >/dev/null || { fleet_fail "the test fleet does not validate"; exit 1; }
fail=0
export SIM_DELAY=0.05

# an unreachable store: retried with backoff, nothing runs
"$K" fleet run fleet.yaml --store "postgresql://kup@/postgres?host=$W/nowhere&port=5" --tick 50ms 2>down.log &
dpid=$!
sleep 3
kill "$dpid" 2>/dev/null
wait "$dpid" 2>/dev/null
grep -q 'store unreachable' down.log || { fleet_fail "no 'store unreachable' retry message"; cat down.log >&2; fail=1; }
n=$(grep -c 'retrying in' down.log)
[ "$n" -ge 2 ] || { fleet_fail "only $n retries in 3 s"; fail=1; }
grep -q 'retrying in 1.0s' down.log || { fleet_fail "no backoff (500 ms, then 1 s, ...)"; fail=1; }
[ -s driver.log ] && { fleet_fail "drivers ran without a store"; fail=1; }
"$K" fleet run fleet.yaml --store "postgresql://kup@/postgres?host=$W/nowhere&port=5" --once 2>/dev/null
rc=$?
[ "$rc" = 1 ] || { fleet_fail "--once against an unreachable store: exit $rc, expected 1"; fail=1; }

S=$KUP_PG_URL
COMMON="--store $S --time-scale 36000 --now 2026-11-23T08:00:00Z --tick 50ms --until-done --lease-ttl 2s"
"$K" fleet run fleet.yaml $COMMON --holder replica-a 2>a.log &
apid=$!
"$K" fleet run fleet.yaml $COMMON --holder replica-b 2>b.log &
bpid=$!
# kill A once it has started a few steps (at most 30 s), while it works
i=0
while [ "$(grep -c 'started (step' a.log)" -lt 5 ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.3
kill -9 "$apid" 2>/dev/null
wait "$apid" 2>/dev/null
apid=
fleet_log "replica A killed with -9 after it started $(grep -c 'started (step' a.log) steps; B carries on"
i=0
while kill -0 "$bpid" 2>/dev/null && [ "$i" -lt 600 ]; do sleep 0.5; i=$((i + 1)); done
wait "$bpid"
rc=$?
bpid=
[ "$rc" = 0 ] || { fleet_fail "replica B exited $rc"; tail -20 b.log >&2; fail=1; }

fleet_exactly_once || fail=1
fleet_no_overlap || fail=1
fleet_all_at 1.35 || fail=1
"$K" fleet events --store "$S" >events.out
na=$(grep -c 'step-started .*\[replica-a\]' events.out)
nb=$(grep -c 'step-started .*\[replica-b\]' events.out)
fleet_log "steps started: $na by replica A, $nb by replica B"
[ "$na" -gt 0 ] && [ "$nb" -gt 0 ] || { fleet_fail "one replica did all the work"; fail=1; }
# no step was started by both
both=$(grep 'step-started' events.out | sed 's/.*step-started *[^ ]* *\([^ ]*\) *\(.*\) \[.*/\1 \2/' | sort | uniq -d)
# ... unless the first start never ran its command (the replica died between recording
# the start and letting its driver go): then the step is settled as not run and started
# again, which the driver log above proves ran it once.
echo "$both" | while IFS= read -r dup; do
	[ -n "$dup" ] || continue
	cl=${dup%% *}
	if grep -F "$cl" events.out | grep -qE 'before its command ran|never let go|did not run'; then
		fleet_log "step started twice, the first never ran its command: $dup"
	else
		fleet_fail "steps started twice: $dup"
		echo x >>dup.fail
	fi
done
[ -e dup.fail ] && fail=1
n=$("$K" fleet status fleet.yaml --store "$S" | grep -c ' done ')
[ "$n" = 30 ] || { fleet_fail "$n clusters done, expected 30"; fail=1; }
[ "$fail" = 0 ] && fleet_log "PASS"
exit $fail
