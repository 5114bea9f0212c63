#!/usr/bin/env bash
# bench/limits.sh - peak memory of kupgrade scan on the inputs that used to blow it up.
#
# Run by bench/run.sh (or alone after `make build`).  Generates, seeded:
#   - a top-level JSON array of BENCH_ARRAY_OBJECTS kubectl-style objects (bench/gen_dump
#     --format json-array; 4,500 objects make about 20 MB), read from the file and through
#     a pipe ('-');
#   - one array holding a single ConfigMap of BENCH_BIG_ENTRIES data entries (about 31 MB
#     for 800,000), for the peak RSS as a multiple of the largest single object;
#   - a Helm release Secret whose data.release is a gzip bomb of BENCH_BOMB_MB MiB of JSON
#     (1,800 MiB gzip to about 1.8 MB).
# and measures each with build/bench/measure (wall time, peak RSS of the child).
# Targets (exit 1 when one fails): the 20 MB array scanned within 64 MiB of peak RSS, from
# the file and from the pipe, with every finding the generator wrote; the bomb refused,
# naming the release, within 64 MiB.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
KUP=${KUPGRADE:-./build/kupgrade}
BIN=${BENCH_BIN:-build/bench}
OUT=${BENCH_OUT:-bench/out}
SEED=${BENCH_SEED:-1}
OBJECTS=${BENCH_ARRAY_OBJECTS:-4500}
BIG=${BENCH_BIG_ENTRIES:-800000}
BOMB_MB=${BENCH_BOMB_MB:-1800}
CC=${CC:-cc}
CFLAGS=${BENCH_CFLAGS:--O2 -g -std=c17 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE}
RSS_MAX_MB=64

die() { echo "bench/limits: $*" >&2; exit 1; }
[ -x "$KUP" ] || die "'$KUP' does not exist: run 'make build' first"
command -v python3 >/dev/null || die "python3 is not installed (make deps)"
command -v jq >/dev/null || die "jq is not installed (make deps)"
mkdir -p "$BIN" "$OUT"
for tool in gen_dump measure; do
	if [ ! -x "$BIN/$tool" ] || [ "bench/$tool.c" -nt "$BIN/$tool" ]; then
		# shellcheck disable=SC2086
		$CC $CFLAGS -o "$BIN/$tool" "bench/$tool.c" || die "cannot build $tool"
	fi
done

ARR=$OUT/array-$SEED-$OBJECTS.json
if [ ! -s "$ARR" ] || [ "$BIN/gen_dump" -nt "$ARR" ]; then
	"$BIN/gen_dump" --seed "$SEED" --objects "$OBJECTS" --format json-array -o "$ARR" \
		--counts "$ARR.counts" 2>/dev/null
fi
BIGF=$OUT/big-object-$BIG.json
if [ ! -s "$BIGF" ]; then
	python3 - "$BIG" >"$BIGF" <<'PY'
import sys
n = int(sys.argv[1])
w = sys.stdout.write
w('[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big","namespace":"default"},"data":{')
w(",".join('"key-%07d":"value-%07d-xxxxxxxx"' % (i, i) for i in range(n)))
w('}},\n{"apiVersion":"extensions/v1beta1","kind":"Ingress","metadata":{"name":"after"}}]\n')
PY
fi
BOMB=$OUT/helm-bomb-$BOMB_MB.json
if [ ! -s "$BOMB" ]; then
	python3 - "$BOMB_MB" >"$BOMB" <<'PY'
import base64, sys, zlib
c = zlib.compressobj(9, zlib.DEFLATED, 31)
parts = [c.compress(b'{"name":"bomb","version":1,"info":{"status":"deployed"},"manifest":"')]
chunk = b" " * (1 << 20)
for _ in range(int(sys.argv[1])):
    parts.append(c.compress(chunk))
parts += [c.compress(b'"}'), c.flush()]
rel = base64.b64encode(base64.b64encode(b"".join(parts))).decode()
print('{"apiVersion":"v1","kind":"Secret","type":"helm.sh/release.v1","metadata":'
      '{"name":"sh.helm.release.v1.bomb.v1","namespace":"default","labels":{"owner":"helm"}},'
      '"data":{"release":"%s"}}' % rel)
PY
fi
echo '[]' >"$OUT/empty.json"

kib() { awk '{print $2}' "$1"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
run() {   # run NAME STDIN COMMAND...: the report in $OUT/limits-NAME.txt, stdout in .out
	local name=$1 in=$2
	shift 2
	"$BIN/measure" -o "$OUT/limits-$name.txt" "$@" <"$in" >"$OUT/limits-$name.out" 2>"$OUT/limits-$name.err" || true
}

run base /dev/null "$KUP" scan "$OUT/empty.json" --to 1.32 -o json
run array-file /dev/null "$KUP" scan "$ARR" --to 1.32 -o json
# a pipe on standard input: measure's child reads it as '-'
mkfifo "$OUT/limits.fifo" 2>/dev/null || true
cat "$ARR" >"$OUT/limits.fifo" &
run array-pipe "$OUT/limits.fifo" "$KUP" scan - --to 1.32 -o json
wait
rm -f "$OUT/limits.fifo"
run big /dev/null "$KUP" scan "$BIGF" --to 1.32 -o json
run bomb /dev/null "$KUP" scan "$BOMB" --to 1.32 -o json

FAILED=0
base=$(kib "$OUT/limits-base.txt")
want=$(awk '$1 == "last_applied_old" { print $2 }' "$ARR.counts")
size=$(wc -c <"$ARR")
largest=$(awk '$1 == "largest_object_bytes" { print $2 }' "$ARR.counts")
echo
echo "bench/limits: kupgrade scan --to 1.32 -o json, peak RSS (ru_maxrss), $(uname -m), $(nproc) CPUs"
printf '  %-56s %11s %9s  %s\n' input "peak RSS" "wall" "result"
row() {   # row LABEL NAME
	local r=$OUT/limits-$2.txt
	printf '  %-56s %7s MiB %8ss  exit %s\n' "$1" "$(mib "$(kib "$r")")" "$(awk '{print $1}' "$r")" "$(awk '{print $3}' "$r")"
}
row "empty array (the base)" base
row "$(awk -v s="$size" -v n="$OBJECTS" 'BEGIN { printf "%.1f MB top-level array, %s objects, file", s / 1e6, n }')" array-file
row "the same through a pipe ('-')" array-pipe
row "one $(($(wc -c <"$BIGF") / 1000000)) MB object in an array" big
row "Helm release gzip bomb ($(($(wc -c <"$BOMB") / 1000)) kB, ${BOMB_MB} MiB inflated)" bomb
echo "  (seed $SEED; the array's largest object is $largest bytes)"

for k in array-file array-pipe; do
	got=$(jq '[.findings[] | select(.source.type == "last-applied")] | length' "$OUT/limits-$k.out" 2>/dev/null || echo 0)
	rss=$(kib "$OUT/limits-$k.txt")
	if [ "$rss" -gt $((RSS_MAX_MB * 1024)) ]; then
		echo "bench/limits: FAIL: $k: peak RSS $(mib "$rss") MiB > $RSS_MAX_MB MiB"; FAILED=1
	else
		echo "bench/limits: ok: $k: peak RSS $(mib "$rss") MiB <= $RSS_MAX_MB MiB"
	fi
	if [ "$got" != "$want" ]; then
		echo "bench/limits: FAIL: $k: $got last-applied findings, the generator wrote $want"; FAILED=1
	fi
done
big_rss=$(kib "$OUT/limits-big.txt")
big_size=$(wc -c <"$BIGF")
echo "bench/limits: one object of $big_size bytes: peak RSS $(mib "$big_rss") MiB, $(awk -v r="$big_rss" -v b="$base" -v s="$big_size" \
	'BEGIN { printf "%.1f", (r - b) * 1024 / s }') times the object above the base of $(mib "$base") MiB"
if ! grep -q "cannot decode helm release 'sh.helm.release.v1.bomb.v1'" "$OUT/limits-bomb.err"; then
	echo "bench/limits: FAIL: the bomb was not refused with its name"; FAILED=1
elif [ "$(kib "$OUT/limits-bomb.txt")" -gt $((RSS_MAX_MB * 1024)) ]; then
	echo "bench/limits: FAIL: the bomb took more than $RSS_MAX_MB MiB"; FAILED=1
else
	echo "bench/limits: ok: the bomb refused within $(mib "$(kib "$OUT/limits-bomb.txt")") MiB: $(sed 's/.*: //' "$OUT/limits-bomb.err" | head -1)"
fi
exit $FAILED
