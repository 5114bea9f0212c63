#!/bin/bash
# bench-smoke.sh KUPGRADE - bench/run.sh still runs end to end.
#
# `make bench` is not part of `make test`, so a benchmark script can rot
# unseen (bench/run.sh once stopped at its own JSON/YAML counts check).
# This runs it with BENCH_SMOKE=1 on 300 generated objects, one run, its
# programs and inputs in a temporary directory: the generator, the
# baselines, `kupgrade scan` of both formats and `fix` must all run, and
# every sanity check (findings found == findings generated) must pass; the
# speed targets are printed but not judged on so small an input.
set -u
BIN=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/kup-bench-smoke.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0
ff() { echo "bench-smoke.sh: FAIL: $*" >&2; fail=1; }

BENCH_SMOKE=1 BENCH_OBJECTS=300 BENCH_RUNS=1 BENCH_OUT="$T/out" BENCH_BIN="$T/bin" \
	KUPGRADE="$BIN" bash "$SRC/bench/run.sh" >"$T/log" 2>&1
rc=$?
cat "$T/log"
[ "$rc" -eq 0 ] || ff "bench/run.sh exited $rc"
grep -q '^kupgrade benchmark: 300 objects, seed 1, best of 1' "$T/log" || ff "no benchmark header"
[ "$(grep -c 'found .* generated .*PASS$' "$T/log")" -eq 8 ] || ff "not all 8 sanity checks passed"
grep -q '^kupgrade scan (yaml) ' "$T/log" || ff "the YAML scan was not measured"
grep -q '^bench: smoke PASS' "$T/log" || ff "no smoke verdict"
exit "$fail"
