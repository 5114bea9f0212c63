#!/bin/bash
# bench/fix.sh - `kupgrade fix --diff` over the bench dump with edits.
#
# The generated dump (bench/gen_dump.c, YAML stream) carries served
# apiVersions and old ones only in last-applied; to give fix edits in the
# objects too, every Deployment is rewritten to extensions/v1beta1 (fix then
# writes selector, labels, strategy and the old revision/deadline defaults)
# and every Ingress to networking.k8s.io/v1beta1.  Measured in the same run,
# on the same file, pinned to one core, best of BENCH_RUNS:
#
#   kupgrade scan FILE --to 1.32 -o json      (the baseline)
#   kupgrade fix --diff FILE --to 1.32
#
# Targets (exit 1 when one fails): fix time / scan time <= 2; fix peak RSS
# <= 2 x the file's size (the largest, and only, file of the run).
# Environment: BENCH_OBJECTS (default 100000), BENCH_SEED (42), BENCH_RUNS (3),
# KUPGRADE (./build/kupgrade), CC (cc).
set -u
cd "$(dirname "$0")/.." || exit 1
KUP=${KUPGRADE:-./build/kupgrade}
OBJECTS=${BENCH_OBJECTS:-100000}
SEED=${BENCH_SEED:-42}
RUNS=${BENCH_RUNS:-3}
CC=${CC:-cc}
BIN=bench/bin
OUT=bench/out
die() { echo "bench/fix.sh: $*" >&2; exit 1; }
[ -x "$KUP" ] || die "'$KUP' is not built (make build)"
mkdir -p "$BIN" "$OUT"
for t in gen_dump measure; do
	if [ ! -x "$BIN/$t" ] || [ "bench/$t.c" -nt "$BIN/$t" ]; then
		$CC -O2 -o "$BIN/$t" "bench/$t.c" || die "cannot build $t"
	fi
done
RAW=$OUT/fix-dump-$SEED-$OBJECTS.yaml
FILE=$OUT/fix-edits-$SEED-$OBJECTS.yaml
[ -f "$RAW" ] || "$BIN/gen_dump" --seed "$SEED" --objects "$OBJECTS" --format yaml -o "$RAW" ||
	die "gen_dump failed"
awk '
	/^apiVersion: / { av = $0; next }
	/^kind: Deployment/ && av == "apiVersion: apps/v1" { print "apiVersion: extensions/v1beta1"; print; av = ""; next }
	/^kind: Ingress/ && av == "apiVersion: networking.k8s.io/v1" { print "apiVersion: networking.k8s.io/v1beta1"; print; av = ""; next }
	{ if (av != "") { print av; av = "" } print }
	END { if (av != "") print av }' "$RAW" >"$FILE" || die "cannot write $FILE"
BYTES=$(stat -c %s "$FILE")
PIN=()
command -v taskset >/dev/null && PIN=(taskset -c 0)
cat "$FILE" >/dev/null

best() { # best KEY OK_EXITS COMMAND...: best wall time and largest RSS of RUNS runs
	local key=$1 ok=$2 i t kb rc bt="" bkb=0
	shift 2
	for i in $(seq 1 "$RUNS"); do
		"${PIN[@]}" "$BIN/measure" -o "$OUT/fix-measure.txt" "$@" >"$OUT/fix-$key.out" 2>"$OUT/fix-$key.err"
		read -r t kb rc <"$OUT/fix-measure.txt" || die "$key: no measurement"
		case " $ok " in *" $rc "*) ;; *) die "$key: exit $rc (see $OUT/fix-$key.err)" ;; esac
		if [ -z "$bt" ] || awk -v a="$t" -v b="$bt" 'BEGIN { exit !(a < b) }'; then bt=$t; fi
		[ "$kb" -gt "$bkb" ] && bkb=$kb
	done
	eval "T_$key=$bt KB_$key=$bkb"
}
best scan "0 2 3" "$KUP" scan "$FILE" --to 1.32 -o json
best fix "0 3" "$KUP" fix --diff "$FILE" --to 1.32
HUNKS=$(grep -c '^@@' "$OUT/fix-fix.out")
CONVERTED=$(grep -c ': converted ' "$OUT/fix-fix.err")
# shellcheck disable=SC2154
{
	printf 'input: %s objects, %s bytes (%s MiB); fix --diff: %s hunks, %s notes "converted"\n' \
		"$OBJECTS" "$BYTES" "$((BYTES / 1048576))" "$HUNKS" "$CONVERTED"
	printf '%-28s %10s %12s\n' "command" "seconds" "peak RSS KiB"
	printf '%-28s %10s %12s\n' "kupgrade scan (baseline)" "$T_scan" "$KB_scan"
	printf '%-28s %10s %12s\n' "kupgrade fix --diff" "$T_fix" "$KB_fix"
} | tee "$OUT/fix-bench.txt"
rc=0
TR=$(awk -v a="$T_fix" -v b="$T_scan" 'BEGIN { printf "%.2f", a / b }')
RR=$(awk -v a="$KB_fix" -v b="$BYTES" 'BEGIN { printf "%.2f", a * 1024 / b }')
if awk -v r="$TR" 'BEGIN { exit !(r <= 2) }'; then echo "ok   fix time / scan time = $TR (<= 2)"
else echo "FAIL fix time / scan time = $TR (<= 2)"; rc=1; fi
if awk -v r="$RR" 'BEGIN { exit !(r <= 2) }'; then echo "ok   fix peak RSS / file size = $RR (<= 2)"
else echo "FAIL fix peak RSS / file size = $RR (<= 2)"; rc=1; fi
[ "$HUNKS" -gt 0 ] || { echo "FAIL fix --diff printed no hunk: nothing was converted"; rc=1; }
exit $rc
