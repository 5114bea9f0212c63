#!/usr/bin/env bash
# bench/plan.sh - `kupgrade plan DIR/ --to V` over 10,000 generated profiles
# on one core, against a baseline measured in the same run.
#
# Builds bench/plan_gen.c (the seeded profile generator) and
# bench/plan_parse.c (libkupgrade: read every profile; with --plan, also plan
# it and render nothing), generates BENCH_PROFILES profiles (reused when
# already there for the same seed and count), then measures, pinned to one
# core, best of BENCH_RUNS (the three take turns so a noisy spell hits all):
#
#   plan_parse DIR                     read the profiles only (baseline)
#   plan_parse DIR --plan V            read + plan each (the library, no output)
#   kupgrade plan DIR/ --to V          the command: read, plan, summary table
#
# and prints wall and CPU (user+sys) seconds and the ratios to the baseline.
# Target: the command plans the 10,000 profiles in <= 1 s of CPU on one core
# (CPU rather than wall time because the build machines are shared; on an
# idle core the two agree).  Exits 1 when the target or a sanity check fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

N=${BENCH_PROFILES:-10000}
SEED=${BENCH_SEED:-1}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-bench/out}
CPU=${BENCH_CPU:-0}
TARGET=${BENCH_PLAN_TARGET:-1.31}
KUP=${KUPGRADE:-./build/kupgrade}
LIB=${KUPGRADE_LIB:-build/libkupgrade.a}
BIN=${BENCH_BIN:-build/bench}
CC=${CC:-cc}
CFLAGS=${BENCH_CFLAGS:--O2 -g -std=c17 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE}
LIMIT=1.0

die() { echo "bench/plan: $*" >&2; exit 1; }
note() { echo "bench/plan: $*" >&2; }

case $N in ''|*[!0-9]*|0) die "BENCH_PROFILES must be a positive number, not '$N'" ;; esac
case $SEED in ''|*[!0-9]*) die "BENCH_SEED must be a number, not '$SEED'" ;; esac
case $RUNS in ''|*[!0-9]*|0) die "BENCH_RUNS must be a positive number, not '$RUNS'" ;; esac
[ -x "$KUP" ] || die "'$KUP' does not exist: run 'make build' first"
[ -f "$LIB" ] || die "'$LIB' does not exist: run 'make build' first"
mkdir -p "$BIN" "$OUT"

if [ ! -x "$BIN/plan_gen" ] || [ bench/plan_gen.c -nt "$BIN/plan_gen" ]; then
	note "building $BIN/plan_gen"
	# shellcheck disable=SC2086
	$CC $CFLAGS -o "$BIN/plan_gen" bench/plan_gen.c || die "cannot build plan_gen"
fi
if [ ! -x "$BIN/plan_parse" ] || [ bench/plan_parse.c -nt "$BIN/plan_parse" ] ||
	[ "$LIB" -nt "$BIN/plan_parse" ]; then
	note "building $BIN/plan_parse"
	# shellcheck disable=SC2046,SC2086
	$CC $CFLAGS -Iinclude -o "$BIN/plan_parse" bench/plan_parse.c "$LIB" \
		$(pkg-config --libs yaml-0.1 json-c zlib libcurl sqlite3 libpq) -lm ||
		die "cannot build plan_parse"
fi

DIR=$OUT/plan-s$SEED-n$N
if [ -d "$DIR" ] && [ "$DIR" -nt "$BIN/plan_gen" ] &&
	[ "$(find "$DIR" -name '*.yaml' | wc -l)" -eq "$N" ]; then
	note "reusing $DIR"
else
	note "generating $N profiles into $DIR (seed $SEED)"
	rm -rf "$DIR"
	"$BIN/plan_gen" --seed "$SEED" --count "$N" -o "$DIR" || die "cannot generate profiles"
fi
cat "$DIR"/*.yaml >/dev/null   # warm the page cache

PIN=()
if command -v taskset >/dev/null && taskset -c "$CPU" true 2>/dev/null; then
	PIN=(taskset -c "$CPU")
else
	note "taskset unavailable: not pinned to one core"
fi

# Sanity: every profile reads, the command plans every one.
got=$("${PIN[@]}" "$BIN/plan_parse" "$DIR") || die "plan_parse failed: $got"
[ "$got" = "$N 0" ] || die "plan_parse read '$got', expected '$N 0'"
rc=0
lines=$("${PIN[@]}" "$KUP" plan "$DIR/" --to "$TARGET" 2>/dev/null | wc -l) || rc=$?
[ "$lines" -eq $((N + 1)) ] || die "kupgrade plan printed $lines lines, expected $((N + 1))"
verdicts=$("$BIN/plan_parse" "$DIR" --plan "$TARGET" | cut -d' ' -f3-) || die "plan_parse --plan failed"

# The glibc heap keeps its top between profiles, as `kupgrade plan DIR/` sets itself.
export MALLOC_TRIM_THRESHOLD_=268435456

# once KEY CMD...: one run; keeps the best wall and the best CPU (user+sys) of KEY.
declare -A WALL CPUT
once() {
	local key=$1 t
	shift
	t=$( { TIMEFORMAT='%R %U %S'; time "${PIN[@]}" "$@" >/dev/null 2>&1; } 2>&1 ) || true
	read -r w u s <<<"$t"
	local c
	c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
	if [ -z "${WALL[$key]:-}" ] || awk -v a="$w" -v b="${WALL[$key]}" 'BEGIN { exit !(a < b) }'; then
		WALL[$key]=$w
	fi
	if [ -z "${CPUT[$key]:-}" ] || awk -v a="$c" -v b="${CPUT[$key]}" 'BEGIN { exit !(a < b) }'; then
		CPUT[$key]=$c
	fi
}
for ((r = 1; r <= RUNS; r++)); do
	once parse "$BIN/plan_parse" "$DIR"
	once lib "$BIN/plan_parse" "$DIR" --plan "$TARGET"
	once cli "$KUP" plan "$DIR/" --to "$TARGET"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo "kupgrade plan: $N profiles (seed $SEED) to $TARGET, best of $RUNS, one core; verdicts: $verdicts"
printf '  %-44s %8s %8s %8s\n' "" "wall s" "cpu s" "x parse"
printf '  %-44s %8s %8s %8s\n' "read the profiles only (baseline)" "${WALL[parse]}" "${CPUT[parse]}" "1.00"
printf '  %-44s %8s %8s %8s\n' "read + plan (library, no output)" "${WALL[lib]}" "${CPUT[lib]}" \
	"$(ratio "${CPUT[lib]}" "${CPUT[parse]}")"
printf '  %-44s %8s %8s %8s\n' "kupgrade plan DIR/ (read, plan, summary)" "${WALL[cli]}" "${CPUT[cli]}" \
	"$(ratio "${CPUT[cli]}" "${CPUT[parse]}")"
per=$(awk -v c="${CPUT[cli]}" -v n="$N" 'BEGIN { printf "%.1f", c / n * 1e6 }')
if awk -v c="${CPUT[cli]}" -v l="$LIMIT" 'BEGIN { exit !(c <= l) }'; then
	echo "PASS: kupgrade plan DIR/ of $N profiles: ${CPUT[cli]} s CPU (<= $LIMIT s; $per us per profile)"
else
	echo "FAIL: kupgrade plan DIR/ of $N profiles: ${CPUT[cli]} s CPU (> $LIMIT s; $per us per profile)"
	exit 1
fi
