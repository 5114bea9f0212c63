#!/usr/bin/env bash
# bench/run.sh - kupgrade against its baselines, measured in the same run.
#
# Run by `make bench` (after `make build`).  Builds the bench programs into
# build/bench/, generates a seeded kubectl-style dump as JSON and as YAML
# (reused when already there for the same seed and size), then measures on
# one core, best of BENCH_RUNS, wall time and peak RSS of:
#
#   jq -c '.items[] | select(.apiVersion=="extensions/v1beta1")' DUMP.json   (baseline)
#   kupgrade scan DUMP.json --to 1.32 -o json
#   yaml_events DUMP.yaml                                    (bare libyaml event parse, baseline)
#   kupgrade scan DUMP.yaml --to 1.32 -o json
#   kupgrade fix --stdout DUMP.yaml --to 1.32             (when the CLI has `fix`)
#
# and prints the ratios against the targets: jq / kupgrade-json >= 10,
# kupgrade-yaml / libyaml <= 1.25, kupgrade peak RSS <= 64 MiB, and (with
# `fix`) kupgrade-fix-yaml / kupgrade-scan-yaml <= 2.  Exits 1 when
# a target or a sanity check fails.  See bench/README.md for the knobs.
#
# BENCH_SMOKE=1 (the ctest bench/smoke, on a few hundred objects): the
# targets are printed but not judged (tiny inputs measure start-up), the
# sanity checks are, and the other benchmarks are not run.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

OBJECTS=${BENCH_OBJECTS:-100000}
SEED=${BENCH_SEED:-1}
RUNS=${BENCH_RUNS:-3}
SMOKE=${BENCH_SMOKE:-0}
OUT=${BENCH_OUT:-bench/out}
CPU=${BENCH_CPU:-0}
TARGET=${BENCH_TARGET:-1.32}
KUP=${KUPGRADE:-./build/kupgrade}
LIB=${KUPGRADE_LIB:-build/libkupgrade.a}
YAML_EVENTS_SRC=${YAML_EVENTS_SRC:-bench/yaml_events.c}
BIN=${BENCH_BIN:-build/bench}
CC=${CC:-cc}
CFLAGS=${BENCH_CFLAGS:--O2 -g -std=c17 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE}

JSON_RATIO_MIN=10
YAML_RATIO_MAX=1.25
FIX_RATIO_MAX=2
RSS_MAX_MB=64

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

case $OBJECTS in ''|*[!0-9]*) die "BENCH_OBJECTS must be a number, not '$OBJECTS'" ;; esac
case $SEED in ''|*[!0-9]*) die "BENCH_SEED must be a number, not '$SEED'" ;; esac
case $RUNS in ''|*[!0-9]*|0) die "BENCH_RUNS must be a positive number, not '$RUNS'" ;; esac
command -v jq >/dev/null || die "jq is not installed (make test-deps)"
[ -x "$KUP" ] || die "'$KUP' does not exist: run 'make build' first"
[ -f "$YAML_EVENTS_SRC" ] || die "'$YAML_EVENTS_SRC' does not exist"

mkdir -p "$BIN" "$OUT"

# ---- build the bench programs (only when the source is newer) --------------
build() { # build OUT SRC [EXTRA ARGS...]
	local out=$1 src=$2
	shift 2
	if [ ! -x "$out" ] || [ "$src" -nt "$out" ] || { [ $# -gt 0 ] && [ -f "$LIB" ] && [ "$LIB" -nt "$out" ]; }; then
		note "building $out"
		# shellcheck disable=SC2086
		$CC $CFLAGS -o "$out" "$src" "$@" || { rm -f "$out"; return 1; }
	fi
}
build "$BIN/gen_dump" bench/gen_dump.c || die "cannot build gen_dump"
build "$BIN/measure" bench/measure.c || die "cannot build measure"
# shellcheck disable=SC2046
build "$BIN/yaml_events" "$YAML_EVENTS_SRC" $(pkg-config --cflags --libs yaml-0.1) ||
	die "cannot build yaml_events"
# Optional (informational rows): libkupgrade's readers alone, no checks.
declare -A HAVE
for tool in json_read yaml_read; do
	HAVE[$tool]=0
	if [ ! -f "bench/$tool.c" ] || [ ! -f "$LIB" ]; then continue; fi
	# shellcheck disable=SC2046
	if build "$BIN/$tool" "bench/$tool.c" -Iinclude "$LIB" \
		$(pkg-config --libs yaml-0.1 json-c zlib) -lm; then
		HAVE[$tool]=1
	else
		note "cannot build $tool: its row is left out"
	fi
done

# The fix rows only when this kupgrade has the `fix` command.
HAVE_FIX=0
if "$KUP" fix --help >/dev/null 2>&1; then
	HAVE_FIX=1
else
	note "'$KUP fix' is not there: the fix rows are left out"
fi

# ---- inputs -------------------------------------------------------------------
BASE=$OUT/dump-s$SEED-n$OBJECTS
for fmt in json yaml; do
	f=$BASE.$fmt
	if [ -s "$f" ] && [ -s "$f.counts" ] && [ "$f" -nt "$BIN/gen_dump" ]; then
		note "reusing $f"
		continue
	fi
	note "generating $f ($OBJECTS objects, seed $SEED)"
	"$BIN/gen_dump" --seed "$SEED" --objects "$OBJECTS" --format "$fmt" \
		-o "$f.tmp" --counts "$f.counts" 2>/dev/null || die "cannot generate '$f'"
	mv "$f.tmp" "$f"
done
# largest_object_bytes is the serialised size, which differs between the formats
cmp -s <(grep -v '^largest_object' "$BASE.json.counts") <(grep -v '^largest_object' "$BASE.yaml.counts") ||
	die "'$BASE.json' and '$BASE.yaml' do not hold the same objects (counts differ)"
JSON=$BASE.json
YAML=$BASE.yaml
count() { awk -v k="$1" '$1 == k { print $2 }' "$BASE.json.counts"; }
EXP_EXT=$(count last_applied_extensions_v1beta1)
EXP_OLD=$(count last_applied_old)
EXP_MF=$(count managed_fields_old)

# ---- measuring ------------------------------------------------------------------
PIN=()
if command -v taskset >/dev/null && taskset -c "$CPU" true 2>/dev/null; then
	PIN=(taskset -c "$CPU")
else
	note "taskset unavailable: not pinned to one core"
fi
size_of() { stat -c %s "$1"; }
JSON_BYTES=$(size_of "$JSON")
YAML_BYTES=$(size_of "$YAML")
# Warm the page cache so no run pays for the disk.
cat "$JSON" "$YAML" >/dev/null

REPORT=$OUT/measure.txt
ERRLOG=$OUT/stderr.txt

# once KEY BYTES OKCODES CMD...: one run; keeps the best wall time and the
# largest peak RSS of KEY.  The commands take turns (run 1 of each, then run 2
# of each, ...) so that a noisy spell hits baseline and kupgrade alike.
declare -A SECS KB BYTES
RUN=0
once() {
	local key=$1 bytes=$2 ok=$3 t kb rc
	shift 3
	"${PIN[@]}" "$BIN/measure" -o "$REPORT" "$@" >/dev/null 2>"$ERRLOG" || true
	read -r t kb rc <"$REPORT" || die "$key: no measurement"
	case " $ok " in
	*" $rc "*) ;;
	*) cat "$ERRLOG" >&2; die "$key: exited $rc (run $RUN)" ;;
	esac
	if [ -z "${SECS[$key]:-}" ] || awk -v a="$t" -v b="${SECS[$key]}" 'BEGIN { exit !(a < b) }'; then
		SECS[$key]=$t
	fi
	if [ "$kb" -gt "${KB[$key]:-0}" ]; then
		KB[$key]=$kb
	fi
	BYTES[$key]=$bytes
	note "run $RUN: $key: ${t}s, $((kb / 1024)) MiB"
}

for ((RUN = 1; RUN <= RUNS; RUN++)); do
	once jq "$JSON_BYTES" "0" jq -c '.items[] | select(.apiVersion=="extensions/v1beta1")' "$JSON"
	once kup_json "$JSON_BYTES" "0 2 3" "$KUP" scan "$JSON" --to "$TARGET" -o json
	if [ "${HAVE[json_read]}" = 1 ]; then
		once json_read "$JSON_BYTES" "0" "$BIN/json_read" "$JSON"
	fi
	once libyaml "$YAML_BYTES" "0" "$BIN/yaml_events" "$YAML"
	once kup_yaml "$YAML_BYTES" "0 2 3" "$KUP" scan "$YAML" --to "$TARGET" -o json
	if [ "${HAVE[yaml_read]}" = 1 ]; then
		once yaml_read "$YAML_BYTES" "0" "$BIN/yaml_read" "$YAML"
	fi
	if [ "$HAVE_FIX" = 1 ]; then
		once kup_fix "$YAML_BYTES" "0 2 3" "$KUP" fix --stdout "$YAML" --to "$TARGET"
	fi
done

# One more (untimed) run of each to see that kupgrade did real work.
FJSON=$OUT/findings-json.json
FYAML=$OUT/findings-yaml.json
for pair in "$JSON:$FJSON" "$YAML:$FYAML"; do
	in=${pair%%:*} outf=${pair#*:}
	rc=0
	"$KUP" scan "$in" --to "$TARGET" -o json >"$outf" 2>"$ERRLOG" || rc=$?
	[ "$rc" -ne 1 ] || { cat "$ERRLOG" >&2; die "kupgrade scan '$in' exited 1"; }
	jq empty "$outf" 2>/dev/null || die "kupgrade scan '$in' -o json printed invalid JSON (see '$outf')"
done

# ---- report ---------------------------------------------------------------------
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
FAILED=0

echo
echo "kupgrade benchmark: $OBJECTS objects, seed $SEED, best of $RUNS, target $TARGET," \
	"${PIN[*]:-unpinned}"
echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)"
echo "inputs: $JSON ($(mb "$JSON_BYTES") MB), $YAML ($(mb "$YAML_BYTES") MB)"
echo
printf '%-42s %9s %9s %12s\n' "command" "seconds" "MB/s" "peak RSS MB"
row() { # row KEY LABEL
	[ -n "${SECS[$1]:-}" ] || return 0
	printf '%-42s %9.2f %9.1f %12s\n' "$2" "${SECS[$1]}" \
		"$(awk -v b="${BYTES[$1]}" -v s="${SECS[$1]}" 'BEGIN { print (s > 0 ? b / 1e6 / s : 0) }')" \
		"$(mib "${KB[$1]}")"
}
row jq "jq select (baseline, json)"
row kup_json "kupgrade scan (json)"
row json_read "json_read: JSON reader alone (info)"
row libyaml "yaml_events: libyaml events (baseline)"
row yaml_read "yaml_read: YAML reader alone (info)"
row kup_yaml "kupgrade scan (yaml)"
row kup_fix "kupgrade fix --stdout (yaml)"
echo

check() { # check LABEL VALUE OP LIMIT
	local label=$1 value=$2 op=$3 limit=$4 res
	if awk -v v="$value" -v l="$limit" -v op="$op" \
		'BEGIN { exit !((op == ">=") ? v >= l : v <= l) }'; then
		res=PASS
	elif [ "$SMOKE" = 1 ]; then
		res="fail (not judged: BENCH_SMOKE)"
	else
		res=FAIL
		FAILED=1
	fi
	printf '%-42s %9s %4s %-6s %s\n' "$label" "$value" "$op" "$limit" "$res"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
printf '%-42s %9s %4s %-6s %s\n' "target" "value" "" "limit" "result"
check "jq time / kupgrade json time" "$(ratio "${SECS[jq]}" "${SECS[kup_json]}")" ">=" "$JSON_RATIO_MIN"
check "kupgrade yaml time / libyaml time" "$(ratio "${SECS[kup_yaml]}" "${SECS[libyaml]}")" "<=" "$YAML_RATIO_MAX"
check "kupgrade json peak RSS MB" "$(mib "${KB[kup_json]}")" "<=" "$RSS_MAX_MB"
check "kupgrade yaml peak RSS MB" "$(mib "${KB[kup_yaml]}")" "<=" "$RSS_MAX_MB"
if [ "$HAVE_FIX" = 1 ]; then
	check "kupgrade fix yaml time / scan yaml time" \
		"$(ratio "${SECS[kup_fix]}" "${SECS[kup_yaml]}")" "<=" "$FIX_RATIO_MAX"
fi
echo

# Sanity: kupgrade found what the generator wrote.
echo "kupgrade summary (json): $(jq -c '.summary' "$FJSON")"
echo "kupgrade summary (yaml): $(jq -c '.summary' "$FYAML")"
sane() { # sane LABEL FOUND EXPECTED
	local res=PASS
	[ "$2" = "$3" ] || { res=FAIL; FAILED=1; }
	printf '%-52s found %7s, generated %7s  %s\n' "$1" "$2" "$3" "$res"
}
for pair in "json:$FJSON" "yaml:$FYAML"; do
	fmt=${pair%%:*} f=${pair#*:}
	sane "$fmt: last-applied extensions/v1beta1 findings" \
		"$(jq '[.findings[] | select(.source.type == "last-applied" and .api_version == "extensions/v1beta1")] | length' "$f")" \
		"$EXP_EXT"
	sane "$fmt: last-applied findings (all old apiVersions)" \
		"$(jq '[.findings[] | select(.source.type == "last-applied")] | length' "$f")" \
		"$EXP_OLD"
	sane "$fmt: managed-fields findings" \
		"$(jq '[.findings[] | select(.source.type == "managed-fields")] | length' "$f")" \
		"$EXP_MF"
	sane "$fmt: file-source findings (served versions)" \
		"$(jq '[.findings[] | select(.source.type == "file")] | length' "$f")" "0"
done
if [ "$HAVE_FIX" = 1 ]; then
	# Informational: the live objects carry served apiVersions, so fix has
	# nothing to convert in them; say whether the output equals the input.
	rc=0
	{ "$KUP" fix --stdout "$YAML" --to "$TARGET" 2>"$ERRLOG" || true; } | cmp -s - "$YAML" || rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "kupgrade fix (yaml): output byte-identical to the input"
	else
		echo "kupgrade fix (yaml): output differs from the input (objects converted, or a bug)"
	fi
fi
echo

if [ "$SMOKE" = 1 ]; then
	[ "$FAILED" -eq 0 ] || { echo "bench: FAIL (smoke)"; exit 1; }
	echo "bench: smoke PASS (targets not judged, other benchmarks not run)"
	exit 0
fi

# peak RSS of a 20 MB top-level JSON array (file and pipe), one 31 MB object, a Helm gzip bomb (bench/limits.sh)
KUPGRADE="$KUP" BENCH_BIN="$BIN" BENCH_OUT="$OUT" BENCH_SEED="$SEED" bash bench/limits.sh || FAILED=1
# the fleet store's share of a 10,000-cluster tick, SQLite and PostgreSQL (bench/store.sh)
KUPGRADE_LIB="$LIB" BENCH_BIN="$BIN" bash bench/store.sh || FAILED=1
# kupgrade plan DIR/ over 10,000 generated profiles on one core (bench/plan.sh)
KUPGRADE="$KUP" KUPGRADE_LIB="$LIB" BENCH_BIN="$BIN" BENCH_OUT="$OUT" BENCH_CPU="$CPU" bash bench/plan.sh || FAILED=1
# kupgrade snapshot vs kubectl get -o json, 50,000 objects in a real kube-apiserver (bench/snapshot.sh)
KUPGRADE="$KUP" BENCH_BIN="$BIN" BENCH_OUT="$OUT" bash bench/snapshot.sh || FAILED=1
# kupgrade fleet run --once: one tick over 10,000 simulated clusters, SQLite and PostgreSQL (bench/fleet.sh)
KUPGRADE="$KUP" BENCH_BIN="$BIN" BENCH_OUT="$OUT" bash bench/fleet.sh || FAILED=1
# kupgrade rollout: web-300 side by side over 20 seeds, 5,000-node simulation time (bench/rollout.sh)
KUPGRADE="$KUP" KUPGRADE_LIB="$LIB" BENCH_BIN="$BIN" BENCH_OUT="$OUT" BENCH_CPU="$CPU" bash bench/rollout.sh || FAILED=1

if [ "$FAILED" -ne 0 ]; then
	echo "bench: FAIL"
	exit 1
fi
echo "bench: PASS"
