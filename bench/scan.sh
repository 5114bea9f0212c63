#!/usr/bin/env bash
# bench/scan.sh - `kupgrade scan` of finding-heavy dumps against its baselines,
# measured in the same run.
#
# bench/run.sh measures dumps where about 5% of the objects have a finding.
# Here (issue 15) most or all of them do, and the findings are rendered
# (`-o json`), not only counted.  bench/gen_dump.c --findings PERMILLE draws
# only the kinds with an old apiVersion and applies each with it with
# probability PERMILLE/1000, so an object carries a last-applied finding and
# a managedFields finding.  Measured on one core, best of BENCH_RUNS, the
# commands taking turns:
#
#   jq -c '.items[] | select(.apiVersion=="extensions/v1beta1")' DUMP.json   (baseline)
#   kupgrade scan DUMP.json --to 1.32 -o json
#   yaml_events DUMP.yaml                      (bare libyaml event parse, baseline)
#   kupgrade scan DUMP.yaml --to 1.32 -o json
#
# wall and CPU (user+sys) seconds and peak RSS.  Targets: jq / kupgrade json
# >= 10, kupgrade yaml / libyaml <= 1.25, peak RSS <= 64 MiB.  The ratios are
# judged on CPU time (the machines are shared; a waiting process does not
# use CPU), the wall ratios are printed too.  Sanity: one more scan of each
# file reports exactly the findings the generator wrote.  Exits 1 when a
# target or a check fails.  Knobs: BENCH_OBJECTS (10000), BENCH_FINDINGS
# (1000), BENCH_SEED (1), BENCH_RUNS (3), BENCH_OUT, BENCH_CPU, BENCH_TARGET
# (1.32), KUPGRADE, BENCH_BIN, CC.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

OBJECTS=${BENCH_OBJECTS:-10000}
FINDINGS=${BENCH_FINDINGS:-1000}
SEED=${BENCH_SEED:-1}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-bench/out}
CPU=${BENCH_CPU:-0}
TARGET=${BENCH_TARGET:-1.32}
KUP=${KUPGRADE:-./build/kupgrade}
BIN=${BENCH_BIN:-build/bench}
CC=${CC:-cc}
CFLAGS=${BENCH_CFLAGS:--O2 -g -std=c17 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE}
JSON_RATIO_MIN=10
YAML_RATIO_MAX=1.25
RSS_MAX_MB=64

note() { echo "scan: $*" >&2; }
die() { echo "scan: $*" >&2; exit 1; }

case $OBJECTS in ''|*[!0-9]*) die "BENCH_OBJECTS must be a number, not '$OBJECTS'" ;; esac
case $FINDINGS in ''|*[!0-9]*) die "BENCH_FINDINGS must be 0 to 1000, not '$FINDINGS'" ;; esac
case $RUNS in ''|*[!0-9]*|0) die "BENCH_RUNS must be a positive number, not '$RUNS'" ;; esac
command -v jq >/dev/null || die "jq is not installed (make test-deps)"
[ -x "$KUP" ] || die "'$KUP' does not exist: run 'make build' first"
mkdir -p "$BIN" "$OUT"

build() { # build OUT SRC [EXTRA ARGS...]
	local out=$1 src=$2
	shift 2
	if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
		note "building $out"
		# shellcheck disable=SC2086
		$CC $CFLAGS -o "$out" "$src" "$@" || { rm -f "$out"; return 1; }
	fi
}
build "$BIN/gen_dump" bench/gen_dump.c || die "cannot build gen_dump"
build "$BIN/measure" bench/measure.c || die "cannot build measure"
# shellcheck disable=SC2046
build "$BIN/yaml_events" bench/yaml_events.c $(pkg-config --cflags --libs yaml-0.1) ||
	die "cannot build yaml_events"

BASE=$OUT/heavy-s$SEED-n$OBJECTS-f$FINDINGS
for fmt in json yaml; do
	f=$BASE.$fmt
	if [ -s "$f" ] && [ -s "$f.counts" ] && [ "$f" -nt "$BIN/gen_dump" ]; then
		note "reusing $f"
		continue
	fi
	note "generating $f ($OBJECTS objects, seed $SEED, findings $FINDINGS per mille)"
	"$BIN/gen_dump" --seed "$SEED" --objects "$OBJECTS" --format "$fmt" --findings "$FINDINGS" \
		-o "$f.tmp" --counts "$f.counts" 2>/dev/null || die "cannot generate '$f'"
	mv "$f.tmp" "$f"
done
# (the largest object's size differs between the formats; the rest must not)
cmp -s <(grep -v '^largest_object' "$BASE.json.counts") <(grep -v '^largest_object' "$BASE.yaml.counts") ||
	die "'$BASE.json' and '$BASE.yaml' do not hold the same objects (counts differ)"
JSON=$BASE.json
YAML=$BASE.yaml
count() { awk -v k="$1" '$1 == k { print $2 }' "$BASE.json.counts"; }
EXP_OLD=$(count last_applied_old)
EXP_MF=$(count managed_fields_old)

PIN=()
if command -v taskset >/dev/null && taskset -c "$CPU" true 2>/dev/null; then
	PIN=(taskset -c "$CPU")
else
	note "taskset unavailable: not pinned to one core"
fi
cat "$JSON" "$YAML" >/dev/null   # warm the page cache

REPORT=$OUT/heavy-measure.txt
ERRLOG=$OUT/heavy-stderr.txt
declare -A WALL CPUT KB
RUN=0
once() { # once KEY OKCODES CMD...
	local key=$1 ok=$2 times w u s c kb rc t
	shift 2
	times=$( { TIMEFORMAT='%R %U %S'; time "${PIN[@]}" "$BIN/measure" -o "$REPORT" "$@" \
		>/dev/null 2>"$ERRLOG"; } 2>&1 ) || true
	read -r w u s <<<"$times"
	read -r t kb rc <"$REPORT" || die "$key: no measurement"
	case " $ok " in
	*" $rc "*) ;;
	*) cat "$ERRLOG" >&2; die "$key: exited $rc (run $RUN)" ;;
	esac
	c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
	if [ -z "${WALL[$key]:-}" ] || awk -v a="$t" -v b="${WALL[$key]}" 'BEGIN { exit !(a < b) }'; then
		WALL[$key]=$t
	fi
	if [ -z "${CPUT[$key]:-}" ] || awk -v a="$c" -v b="${CPUT[$key]}" 'BEGIN { exit !(a < b) }'; then
		CPUT[$key]=$c
	fi
	[ "$kb" -le "${KB[$key]:-0}" ] || KB[$key]=$kb
	note "run $RUN: $key: wall ${t}s, cpu ${c}s, $((kb / 1024)) MiB"
}
for ((RUN = 1; RUN <= RUNS; RUN++)); do
	once jq "0" jq -c '.items[] | select(.apiVersion=="extensions/v1beta1")' "$JSON"
	once kup_json "0 2 3" "$KUP" scan "$JSON" --to "$TARGET" -o json
	once libyaml "0" "$BIN/yaml_events" "$YAML"
	once kup_yaml "0 2 3" "$KUP" scan "$YAML" --to "$TARGET" -o json
done

FAILED=0
FJSON=$OUT/heavy-findings-json.json
FYAML=$OUT/heavy-findings-yaml.json
for pair in "$JSON:$FJSON" "$YAML:$FYAML"; do
	in=${pair%%:*} outf=${pair#*:}
	rc=0
	"$KUP" scan "$in" --to "$TARGET" -o json >"$outf" 2>"$ERRLOG" || rc=$?
	[ "$rc" -ne 1 ] || { cat "$ERRLOG" >&2; die "kupgrade scan '$in' exited 1"; }
done

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo
echo "kupgrade scan, finding-heavy dumps: $OBJECTS objects, $FINDINGS per mille applied with an" \
	"old apiVersion, seed $SEED, best of $RUNS, target $TARGET, ${PIN[*]:-unpinned}"
echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "inputs: $JSON ($(stat -c %s "$JSON") bytes), $YAML ($(stat -c %s "$YAML") bytes)"
echo
printf '%-40s %9s %9s %12s\n' "command" "wall s" "cpu s" "peak RSS MiB"
row() { printf '%-40s %9.3f %9.3f %12s\n' "$2" "${WALL[$1]}" "${CPUT[$1]}" "$(mib "${KB[$1]}")"; }
row jq "jq select (baseline, json)"
row kup_json "kupgrade scan -o json (json)"
row libyaml "yaml_events: libyaml (baseline)"
row kup_yaml "kupgrade scan -o json (yaml)"
echo
check() { # check LABEL VALUE OP LIMIT
	local res=PASS
	awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { exit !((op == ">=") ? v >= l : v <= l) }' ||
		{ res=FAIL; FAILED=1; }
	printf '%-40s %9s %4s %-6s %s\n' "$1" "$2" "$3" "$4" "$res"
}
printf '%-40s %9s %4s %-6s %s\n' "target" "value" "" "limit" "result"
check "jq / kupgrade json (cpu)" "$(ratio "${CPUT[jq]}" "${CPUT[kup_json]}")" ">=" "$JSON_RATIO_MIN"
check "kupgrade yaml / libyaml (cpu)" "$(ratio "${CPUT[kup_yaml]}" "${CPUT[libyaml]}")" "<=" "$YAML_RATIO_MAX"
check "kupgrade json peak RSS MiB" "$(mib "${KB[kup_json]}")" "<=" "$RSS_MAX_MB"
check "kupgrade yaml peak RSS MiB" "$(mib "${KB[kup_yaml]}")" "<=" "$RSS_MAX_MB"
echo "(wall-time ratios, not judged: jq / kupgrade json $(ratio "${WALL[jq]}" "${WALL[kup_json]}")," \
	"kupgrade yaml / libyaml $(ratio "${WALL[kup_yaml]}" "${WALL[libyaml]}"))"
echo
sane() { # sane LABEL FOUND EXPECTED
	local res=PASS
	[ "$2" = "$3" ] || { res=FAIL; FAILED=1; }
	printf '%-44s found %7s, generated %7s  %s\n' "$1" "$2" "$3" "$res"
}
for pair in "json:$FJSON" "yaml:$FYAML"; do
	fmt=${pair%%:*} f=${pair#*:}
	echo "$fmt summary: $(jq -c '.summary' "$f")"
	sane "$fmt: last-applied findings" \
		"$(jq '[.findings[] | select(.source.type == "last-applied")] | length' "$f")" "$EXP_OLD"
	sane "$fmt: managed-fields findings" \
		"$(jq '[.findings[] | select(.source.type == "managed-fields")] | length' "$f")" "$EXP_MF"
	sane "$fmt: findings with a message" \
		"$(jq '[.findings[] | select((.message // "") != "")] | length' "$f")" "$((EXP_OLD + EXP_MF))"
done
if [ "$FAILED" -ne 0 ]; then
	echo "scan: FAIL"
	exit 1
fi
echo "scan: PASS"
