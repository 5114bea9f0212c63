#!/usr/bin/env bash
# bench/charts.sh - `kupgrade scan` of a helm/charts-sized tree of charts,
# rendered for the target, on one core, with a baseline in the same run.
#
# Generates BENCH_CHARTS charts (default 300; bench/chart_gen.py, seeded:
# helpers, values, sub-chart folders, packaged sub-charts and packaged
# charts) and measures, pinned to one core, best of BENCH_RUNS:
#
#   cat every file of the tree                      (baseline: reading the bytes)
#   kupgrade scan TREE TREE/*.tgz --to 1.25 -o json (every template rendered and judged)
#
# wall and CPU (user+sys) seconds, and the peak RSS of the scan (ru_maxrss via
# build/bench/measure).  Targets: <= 1 s of CPU, <= 64 MiB peak RSS (CPU
# rather than wall time because the build machines are shared).  Sanity: the
# scan reports exactly the removed objects the generator wrote, nothing
# undecided and no error.  Exits 1 when a target or a check fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

N=${BENCH_CHARTS:-300}
SEED=${BENCH_SEED:-1}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-bench/out}
CPU=${BENCH_CPU:-0}
KUP=${KUPGRADE:-./build/kupgrade}
BIN=${BENCH_BIN:-build/bench}
CC=${CC:-cc}
LIMIT=1
RSS_MAX_MB=64

note() { echo "charts: $*" >&2; }
die() { echo "charts: $*" >&2; exit 1; }

[ -x "$KUP" ] || die "no $KUP: run make build"
mkdir -p "$BIN" "$OUT"
if [ ! -x "$BIN/measure" ] || [ bench/measure.c -nt "$BIN/measure" ]; then
	"$CC" -O2 -std=c17 -Wall -Wextra -o "$BIN/measure" bench/measure.c || die "cannot build measure"
fi
DIR=$OUT/charts-s$SEED-n$N
if [ -f "$DIR/gen.txt" ] && [ "$DIR/gen.txt" -nt bench/chart_gen.py ]; then
	note "reusing $DIR"
else
	note "generating $N charts into $DIR (seed $SEED)"
	rm -rf "$DIR"
	mkdir -p "$DIR"
	python3 bench/chart_gen.py "$DIR" "$N" "$SEED" > "$DIR/gen.txt" || die "cannot generate charts"
fi
gen=$(cat "$DIR/gen.txt")
want=$(sed -n 's/.*expected_removed_at_1.25=\([0-9]*\).*/\1/p' "$DIR/gen.txt")
TREE=$DIR/charts
ARCHIVES=("$TREE"/*.tgz)
find "$TREE" -type f -exec cat {} + >/dev/null   # warm the page cache

PIN=()
if command -v taskset >/dev/null && taskset -c "$CPU" true 2>/dev/null; then
	PIN=(taskset -c "$CPU")
else
	note "taskset unavailable: not pinned to one core"
fi

# Sanity: every removed object the generator wrote, nothing else, no error.
rc=0
"${PIN[@]}" "$KUP" scan "$TREE" "${ARCHIVES[@]}" --to 1.25 -o json >"$OUT/charts.json" 2>"$OUT/charts.err" || rc=$?
[ "$rc" = 3 ] || die "kupgrade scan exited $rc (expected 3): $(head -3 "$OUT/charts.err")"
summary=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["removed"], s["deprecated"], s["errors"], s.get("undecided", 0), s["objects"])' "$OUT/charts.json")
read -r removed deprecated errors undecided objects <<<"$summary"
[ "$removed" = "$want" ] || die "scan reported $removed removed, the generator wrote $want"
[ "$errors" = 0 ] && [ "$undecided" = 0 ] || die "scan reported $errors errors, $undecided undecided"

declare -A WALL CPUT
once() {
	local key=$1 t c w u s
	shift
	t=$( { TIMEFORMAT='%R %U %S'; time "${PIN[@]}" "$@" >/dev/null 2>&1; } 2>&1 ) || true
	read -r w u s <<<"$t"
	c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
	if [ -z "${WALL[$key]:-}" ] || awk -v a="$w" -v b="${WALL[$key]}" 'BEGIN { exit !(a < b) }'; then
		WALL[$key]=$w
	fi
	if [ -z "${CPUT[$key]:-}" ] || awk -v a="$c" -v b="${CPUT[$key]}" 'BEGIN { exit !(a < b) }'; then
		CPUT[$key]=$c
	fi
}
for ((r = 1; r <= RUNS; r++)); do
	once cat find "$TREE" -type f -exec cat {} +
	once scan "$KUP" scan "$TREE" "${ARCHIVES[@]}" --to 1.25 -o json
done
"$BIN/measure" -o "$OUT/charts.rss" "${PIN[@]}" "$KUP" scan "$TREE" "${ARCHIVES[@]}" --to 1.25 -o json \
	>/dev/null 2>&1 || true
rss_kb=$(cut -d' ' -f2 "$OUT/charts.rss")
rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')

echo "charts: $gen; $objects objects judged"
printf '  %-52s %8s %8s\n' "" "wall s" "cpu s"
printf '  %-52s %8s %8s\n' "cat every file (baseline)" "${WALL[cat]}" "${CPUT[cat]}"
printf '  %-52s %8s %8s\n' "kupgrade scan TREE *.tgz --to 1.25 (render + judge)" "${WALL[scan]}" "${CPUT[scan]}"
echo "  peak RSS of the scan: $rss_mb MiB"
fail=0
if awk -v c="${CPUT[scan]}" -v l="$LIMIT" 'BEGIN { exit !(c <= l) }'; then
	echo "PASS: $N charts rendered and judged in ${CPUT[scan]} s CPU (<= $LIMIT s)"
else
	echo "FAIL: $N charts rendered and judged in ${CPUT[scan]} s CPU (> $LIMIT s)"
	fail=1
fi
if awk -v m="$rss_mb" -v l="$RSS_MAX_MB" 'BEGIN { exit !(m <= l) }'; then
	echo "PASS: peak RSS $rss_mb MiB (<= $RSS_MAX_MB MiB)"
else
	echo "FAIL: peak RSS $rss_mb MiB (> $RSS_MAX_MB MiB)"
	fail=1
fi
exit $fail
