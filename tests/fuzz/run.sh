#!/bin/sh
# run.sh BUILD_DIR SECONDS [TARGET...] - runs each libFuzzer target for SECONDS,
# starting from its committed corpus (tests/fuzz/corpus/NAME), working in
# BUILD_DIR/corpus/NAME, and prints the exec count of each run.
# FUZZ_JOBS=N (default 1) runs N targets at a time; a summary table follows.
# Crashes are left as BUILD_DIR/crash-* and make the script fail (an input libFuzzer
# only reports as slow, BUILD_DIR/crash-NAME-slow-unit-*, does not).
set -u
build=$1
secs=$2
shift 2
jobs=${FUZZ_JOBS:-1}
top=$(cd "$(dirname "$0")/../.." && pwd)
bindir="$build/tests/fuzz/targets"
if [ $# -eq 0 ]; then
	set --
	for f in "$bindir"/fuzz_*; do
		[ -x "$f" ] && set -- "$@" "$(basename "$f")"
	done
fi
if [ "$jobs" -gt 1 ] && [ $# -gt 1 ]; then
	# each target in its own run.sh; xargs exits non-zero if any of them did
	status=0
	printf '%s\n' "$@" | FUZZ_JOBS=1 xargs -P "$jobs" -n 1 "$0" "$build" "$secs" || status=1
	echo "target seconds executions result"
	for t in "$@"; do
		log="$build/fuzz-$t.log"
		runs=$(grep -E '^stat::number_of_executed_units' "$log" 2>/dev/null | awk '{print $2}')
		res=ok
		# a slow-unit-* file (an input over libFuzzer's -report_slow_units, 10 s) is no crash
		if ls "$build/crash-$t-"* 2>/dev/null | grep -qv -- '-slow-unit-' ||
			! grep -q '^stat::' "$log" 2>/dev/null; then
			res=FAILED
		fi
		echo "$t $secs ${runs:-?} $res"
	done
	exit $status
fi
status=0
for t in "$@"; do
	work="$build/corpus/$t"
	mkdir -p "$work"
	cp -n "$top/tests/fuzz/corpus/$t"/* "$work"/ 2>/dev/null || true
	log="$build/fuzz-$t.log"
	echo "== $t: ${secs}s" >&2
	if ! "$bindir/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/crash-$t-" -print_final_stats=1 "$work" >"$log" 2>&1; then
		echo "$t: FAILED (see $log)" >&2
		tail -n 30 "$log" >&2
		status=1
	fi
	runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
	echo "$t: ${runs:-?} executions in ${secs}s, corpus $(ls "$work" | wc -l) inputs"
done
exit $status
