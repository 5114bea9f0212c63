#!/usr/bin/env bash
# bench/rollout_live.sh - `kupgrade rollout run` on the hollow-node cluster of
# tests/integration/rollout_run.sh, run by hand (minutes; not part of CI).
#
#   compare (default): the same executor rolls the same 12-node pool (3 zones,
#     Deployments and a StatefulSet with PDBs, a single-replica Deployment, a
#     DaemonSet) once per policy at the same budget (maxSurgeNodes 3,
#     maxUnavailableNodes 0): kupgrade, capi and eks.  Every run is checked as
#     in the integration test (every old node replaced once, the PDB floors and
#     the node budget held at every 250 ms sample); the table gives the
#     makespan measured around the command and the summary's PDB-violation
#     seconds, peak extra and peak unavailable nodes, then the calibration
#     (simulated against measured, kupgrade).
#   faults: the fault phases (kill -9 + --resume, --abort, a PDB at 0,
#     provision retries) with ROLLOUT_KILLS kill -9s (10 here; CI does 3).
#
# Usage: bench/rollout_live.sh [compare|faults]   (as root: hollow nodes need a
# private mount namespace; the first run builds kube-apiserver and kubemark)
# Knobs: KUPGRADE (./build/kupgrade), BUILD_DIR (build), ROLLOUT_NODES (12),
# ROLLOUT_POLICIES ("kupgrade capi eks"), ROLLOUT_KILLS (10), BENCH_OUT (bench/out).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
KUP=${KUPGRADE:-./build/kupgrade}
BUILD=${BUILD_DIR:-build}
OUT=${BENCH_OUT:-bench/out}
MODE=${1:-compare}
mkdir -p "$OUT"
LOG="$OUT/rollout_live-$MODE.log"
[ -x "$KUP" ] || { echo "bench/rollout_live: $KUP not built" >&2; exit 1; }
case "$MODE" in
compare)
	env KUP_ROLLOUT_PHASES=compare KUP_ROLLOUT_NODES="${ROLLOUT_NODES:-12}" \
		KUP_ROLLOUT_POLICIES="${ROLLOUT_POLICIES:-kupgrade capi eks}" \
		bash tests/integration/rollout_run.sh "$(realpath "$KUP")" "$(realpath "$BUILD")" \
		>"$LOG.out" 2>"$LOG"
	rc=$?
	;;
faults)
	env KUP_ROLLOUT_PHASES=faults KUP_ROLLOUT_KILLS="${ROLLOUT_KILLS:-10}" \
		bash tests/integration/rollout_run.sh "$(realpath "$KUP")" "$(realpath "$BUILD")" \
		>"$LOG.out" 2>"$LOG"
	rc=$?
	;;
*) echo "usage: bench/rollout_live.sh [compare|faults]" >&2; exit 2 ;;
esac
grep -E "^(not ok|harness: kill -9)" "$LOG" >&2
if [ "$MODE" = compare ]; then
	echo "rollout run on ${ROLLOUT_NODES:-12} hollow nodes, 3 zones, budget maxSurgeNodes 3 maxUnavailableNodes 0"
	printf '%-10s %12s %12s %10s %10s %10s\n' policy makespan_s summary_s pdb_viol_s peak_extra peak_unav
	sed -n 's/^harness: MEASURED \([a-z-]*\) makespan \([0-9.]*\) s (summary \([0-9.]*\) s, peak unavailable \([0-9]*\), pdb violation \([0-9.]*\) s, peak extra \([0-9]*\)).*/\1 \2 \3 \5 \6 \4/p' "$LOG" |
		while read -r pol wall summ viol extra unav; do
			printf '%-10s %12s %12s %10s %10s %10s\n' "$pol" "$wall" "$summ" "$viol" "$extra" "$unav"
		done
	base=$(sed -n 's/^harness: MEASURED kupgrade makespan \([0-9.]*\) s.*/\1/p' "$LOG")
	for pol in ${ROLLOUT_POLICIES:-kupgrade capi eks}; do
		[ "$pol" = kupgrade ] && continue
		m=$(sed -n "s/^harness: MEASURED $pol makespan \([0-9.]*\) s.*/\1/p" "$LOG")
		[ -n "$base" ] && [ -n "$m" ] &&
			echo "kupgrade / $pol: $(awk -v a="$base" -v b="$m" 'BEGIN { printf "%.2f", a / b }')"
	done
	grep -o "CALIBRATION.*" "$LOG"
fi
grep -E "^harness: (all checks passed|[0-9]+ check\(s\) failed|rollout_run took)" "$LOG"
echo "log: $LOG"
exit "$rc"
