#!/bin/sh
# fleet_crash.sh - kill -9 the controller at 100 random moments of a 30-cluster
# roll (seeded: FLEET_CRASH_SEED, default 7; 0-400 ms into each controller's
# life), restarting it each time; then let
# it finish.  Every step ran exactly once (the simulated provider's own log),
# no two driver runs of one cluster overlapped, and every cluster reached 1.35.
#   $1: the kupgrade CLI, $2: the build directory (unused).
# The fleet is the example with the approval and the window taken out and the
# soaks shortened (the gates have their own test), on a fast-forward clock.
# A step whose start was recorded but whose driver never got to run (killed
# between the two) is settled by verify and started again by the controller
# itself (no pid recorded) or, when the pid was recorded but the child never
# exec'd, left failed for `fleet retry` - which this test then does, counting it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
K=${1:?usage: fleet_crash.sh CLI BUILD_DIR}
KILLS=${FLEET_CRASH_KILLS:-100}
SEED=${FLEET_CRASH_SEED:-7}
. "$here/lib/fleet.sh"
fleet_setup || exit 1
trap fleet_cleanup EXIT
cd "$W" || exit 1
sed -i -e 's/, approval: true//' -e 's/soak: 24h/soak: 1h/' -e 's/,\s*$//' \
	-e '/window: "Mon-Fri 09:00-17:00 UTC"/d' -e 's/    timeout: 6h/    timeout: 96h/' fleet.yaml
sed -i 's/maxFailures: 1}/maxFailures: 1}/; s/maxFailures: 1$/maxFailures: 1}/' fleet.yaml
"$K" fleet validate fleet.yaml >/dev/null || { fleet_fail "the crash-test fleet does not validate"; cat fleet.yaml >&2; exit 1; }
S="sqlite:$W/fleet.db"
RUN="$K fleet run fleet.yaml --store $S --time-scale 36000 --now 2026-11-23T08:00:00Z --tick 50ms --until-done --holder crash-test --lease-ttl 2s"
export SIM_DELAY=0.03

# the kill moments: seeded, 0..400 ms after the controller is up (its first log
# line), so that a slow start (a sanitizer build) still gets killed while it works
awk -v n="$KILLS" -v s="$SEED" 'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%.3f\n", rand() * 400 / 1000 }' >delays
# On a loaded machine a controller may not start a single step within 400 ms
# (its health gates alone take longer): after 8 kills in a row that found no
# step started, the moments are stretched (x2, up to x8), so the kills still
# land while steps run.
i=0
early=0
scale=1
idle=0
t0=$(date +%s)
while read -r d; do
	i=$((i + 1))
	: >run.one
	$RUN 2>run.one &
	pid=$!
	n=0
	while ! grep -q 'replica crash-test' run.one && [ "$n" -lt 1000 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.01
		n=$((n + 1))
	done
	sleep "$(awk -v d="$d" -v s="$scale" 'BEGIN { printf "%.3f", d * s }')"
	if kill -9 "$pid" 2>/dev/null; then :; else early=$((early + 1)); fi
	wait "$pid" 2>/dev/null
	if grep -q ': step .* started (step' run.one; then
		idle=0
	else
		idle=$((idle + 1))
		if [ "$idle" -ge 8 ] && [ "$scale" -lt 8 ]; then
			scale=$((scale * 2))
			idle=0
		fi
	fi
	cat run.one >>run.log
done <delays
fleet_log "$i controllers killed with -9 ($early had already ended) in $(( $(date +%s) - t0 ))s; kill moments stretched x$scale at the end"

# finish: retry what a kill left failed (never-run steps), then run to the end
retries=0
for round in 1 2 3 4 5 6 7 8 9 10; do
	$RUN 2>>run.log
	rc=$?
	failed=$("$K" fleet status fleet.yaml --store "$S" -o json | grep '"state": "failed"' |
		sed 's/.*"name": "\([^"]*\)".*/\1/')
	[ -z "$failed" ] && break
	for c in $failed; do
		reason=$("$K" fleet status fleet.yaml --store "$S" -o json | grep "\"name\": \"$c\"" |
			sed 's/.*"detail": "\([^"]*\)".*/\1/')
		case $reason in
		*"interrupted by a crash"*) ;;
		*) fleet_fail "cluster $c failed: $reason"; exit 1 ;;
		esac
		"$K" fleet retry "$c" --store "$S" --by crash-test >/dev/null
		retries=$((retries + 1))
	done
done
fail=0
[ "$rc" = 0 ] || { fleet_fail "the last run exited $rc"; tail -20 run.log >&2; fail=1; }
fleet_exactly_once || fail=1
fleet_no_overlap || fail=1
fleet_all_at 1.35 || fail=1
settled=$(grep -c 'settled as done' run.log)
waited=$(grep -c 'waiting for the driver of step' run.log)
again=$(grep -c 'starting it again' run.log)
fleet_log "$settled interrupted steps settled by verify, $waited waits for a dead controller's driver, $again never-run steps started again, $retries retried by hand"
[ "$settled" -gt 0 ] || { fleet_fail "no kill hit a running step: the test did not test recovery"; fail=1; }
n=$("$K" fleet status fleet.yaml --store "$S" | grep -c ' done ')
[ "$n" = 30 ] || { fleet_fail "$n clusters done, expected 30"; fail=1; }
[ "$fail" = 0 ] && fleet_log "PASS"
exit $fail
