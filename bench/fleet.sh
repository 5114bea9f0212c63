#!/usr/bin/env bash
# bench/fleet.sh - one `kupgrade fleet run --once` tick over 10,000 simulated
# clusters, on SQLite and on PostgreSQL, against a baseline measured in the
# same run.
#
# Generates (seeded, reused for the same seed and count) BENCH_FLEET_CLUSTERS
# ClusterProfile files (control plane 1.32-1.34 on EKS, 1-3 node pools) and a
# Fleet holding all of them in one wave (maxConcurrent 10, drivers `true`),
# then measures, best of BENCH_RUNS, each run on a fresh store:
#
#   kupgrade plan DIR/ --to 1.35        read + plan every profile (baseline)
#   kupgrade fleet run --once (SQLite)  declare 10,000 clusters, one tick: read every
#                                       row and profile, plan, decide, lease and
#                                       start 10 steps, record them
#   kupgrade fleet run --once (PostgreSQL, a throwaway server: tests/integration/lib/postgres.sh)
#
# The tick's own wall and CPU time come from the controller (`first tick N ms,
# M ms CPU`); the process's wall time and peak RSS from build/bench/measure.
# Targets: the tick <= 1 s of CPU on each store (CPU rather than wall time: the
# build machines are shared; on an idle core they agree) and peak RSS <= 128 MiB.
# Exits 1 when a target or a sanity check fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

N=${BENCH_FLEET_CLUSTERS:-10000}
SEED=${BENCH_SEED:-1}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-bench/out}
KUP=${KUPGRADE:-./build/kupgrade}
BIN=${BENCH_BIN:-build/bench}
CC=${CC:-cc}
CPU_LIMIT_MS=1000
RSS_LIMIT_KB=$((128 * 1024))

die() { echo "bench/fleet: $*" >&2; exit 1; }
note() { echo "bench/fleet: $*" >&2; }

case $N in ''|*[!0-9]*|0) die "BENCH_FLEET_CLUSTERS must be a positive number, not '$N'" ;; esac
case $RUNS in ''|*[!0-9]*|0) die "BENCH_RUNS must be a positive number, not '$RUNS'" ;; esac
[ -x "$KUP" ] || die "'$KUP' does not exist: run 'make build' first"
KUP=$(cd "$(dirname "$KUP")" && pwd)/$(basename "$KUP")
mkdir -p "$BIN" "$OUT"
if [ ! -x "$BIN/measure" ] || [ bench/measure.c -nt "$BIN/measure" ]; then
	$CC -O2 -o "$BIN/measure" bench/measure.c || die "cannot build measure"
fi
MEASURE=$(cd "$BIN" && pwd)/measure

DIR=$OUT/fleet-s$SEED-n$N
if [ ! -s "$DIR/fleet.yaml" ] || [ "$(ls "$DIR/clusters" | wc -l)" != "$N" ]; then
	note "generating $N profiles and a fleet in $DIR (seed $SEED)"
	rm -rf "$DIR"
	mkdir -p "$DIR/clusters"
	(cd "$DIR" && awk -v n="$N" -v seed="$SEED" 'BEGIN {
		srand(seed)
		print "apiVersion: kupgrade.dev/v1alpha1\nkind: Fleet\nmetadata: {name: bench}\nspec:" > "fleet.yaml"
		print "  target: {version: \"1.35\"}\n  clusters:" > "fleet.yaml"
		for (i = 1; i <= n; i++) {
			v = "1." (32 + int(rand() * 3)); np = 1 + int(rand() * 3); name = sprintf("c%05d", i)
			f = "clusters/" name ".yaml"
			printf "apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\nmetadata: {name: %s}\n", name > f
			printf "spec:\n  provider: eks\n  controlPlane: {version: \"%s\"}\n  nodePools:\n", v > f
			for (p = 1; p <= np; p++)
				printf "    - {name: pool%d, version: \"%s\", count: %d}\n", p, v, 3 + int(rand() * 20) > f
			close(f)
			printf "    - {name: %s, profile: %s, labels: {env: all}}\n", name, f > "fleet.yaml"
		}
		print "  waves:\n    - {name: all, selector: {env: all}, maxConcurrent: 10}" > "fleet.yaml"
		print "  driver: {control-plane: \"true\", nodepool: \"true\", addon: \"true\", verify: \"true\"}" > "fleet.yaml"
	}')
fi

# best-of helpers: WALL/CPU of the tick (from the log), PWALL/RSS of the process
declare -A TWALL TCPU PWALL RSS
keep_min() { # keep_min ARRAY KEY VALUE
	local -n a=$1
	if [ -z "${a[$2]:-}" ] || awk -v x="$3" -v y="${a[$2]}" 'BEGIN { exit !(x < y) }'; then a[$2]=$3; fi
}
keep_max() {
	local -n a=$1
	if [ -z "${a[$2]:-}" ] || [ "$3" -gt "${a[$2]}" ]; then a[$2]=$3; fi
}

tick() { # tick KEY STORE-URL
	local key=$1 url=$2 log=$OUT/fleet-$1.log rep=$OUT/fleet-$1.measure
	(cd "$DIR" && "$MEASURE" -o "$ROOT/$rep" "$KUP" fleet run fleet.yaml --store "$url" --once \
		--work-dir /tmp >/dev/null 2>"$ROOT/$log") || die "$key: fleet run failed (see $log)"
	local line tw tc
	line=$(grep '^fleet: ' "$log" | tail -1)
	tw=$(sed 's/.*first tick \([0-9]*\) ms.*/\1/' <<<"$line")
	tc=$(sed 's/.*ms, \([0-9]*\) ms CPU.*/\1/' <<<"$line")
	[ -n "$tw" ] && [ -n "$tc" ] || die "$key: no tick timing in $log"
	grep -q "step .* started" "$log" || die "$key: the tick started no step (see $log)"
	keep_min TWALL "$key" "$tw"
	keep_min TCPU "$key" "$tc"
	read -r w kb _ <"$rep"
	keep_min PWALL "$key" "$w"
	keep_max RSS "$key" "$kb"
}

PG=0
if . tests/integration/lib/postgres.sh && kup_pg_start; then
	PG=1
	PSQL=$KUP_PG_BIN/psql
else
	note "no PostgreSQL: its row fails"
fi

for r in $(seq "$RUNS"); do
	t=$( { TIMEFORMAT='%R %U %S'; time "$KUP" plan "$DIR/clusters/" --to 1.35 >/dev/null 2>&1; } 2>&1 ) || true
	read -r w u s <<<"$(tail -1 <<<"$t")"
	keep_min PWALL plan "$w"
	keep_min TCPU plan "$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%d", (u + s) * 1000 }')"
	db=$OUT/fleet-bench.db
	rm -f "$db" "$db-wal" "$db-shm"
	tick sqlite "sqlite:$ROOT/$db"
	if [ "$PG" = 1 ]; then
		name=bench$r
		"$PSQL" "$KUP_PG_CONNINFO" -qc "drop database if exists $name" -c "create database $name" >/dev/null
		tick postgres "postgresql://kup@/$name?host=$KUP_PG_DIR&port=$KUP_PG_PORT"
	fi
done
[ "$PG" = 1 ] && kup_pg_stop

printf '\none tick over %s clusters, best of %s (fresh store each run)\n' "$N" "$RUNS"
printf '  %-46s %10s %10s %10s %10s\n' "" "tick wall" "tick CPU" "process" "peak RSS"
printf '  %-46s %10s %10s %10s %10s\n' "kupgrade plan DIR/ (baseline: read + plan all)" "-" \
	"${TCPU[plan]} ms" "${PWALL[plan]} s" "-"
fail=0
for key in sqlite postgres; do
	if [ -z "${TCPU[$key]:-}" ]; then
		echo "FAIL: no $key measurement"
		fail=1
		continue
	fi
	ratio=$(awk -v a="${TCPU[$key]}" -v b="${TCPU[plan]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	printf '  %-46s %7s ms %7s ms %8s s %7s MiB   (CPU x%s the baseline)\n' \
		"kupgrade fleet run --once ($key)" "${TWALL[$key]}" "${TCPU[$key]}" "${PWALL[$key]}" \
		"$((RSS[$key] / 1024))" "$ratio"
done
for key in sqlite postgres; do
	[ -n "${TCPU[$key]:-}" ] || continue
	if [ "${TCPU[$key]}" -le "$CPU_LIMIT_MS" ]; then
		echo "PASS: one tick over $N clusters on $key: ${TCPU[$key]} ms CPU (<= $CPU_LIMIT_MS ms), wall ${TWALL[$key]} ms"
	else
		echo "FAIL: one tick over $N clusters on $key: ${TCPU[$key]} ms CPU (> $CPU_LIMIT_MS ms)"
		fail=1
	fi
	if [ "${RSS[$key]}" -le "$RSS_LIMIT_KB" ]; then
		echo "PASS: peak RSS on $key $((RSS[$key] / 1024)) MiB (<= $((RSS_LIMIT_KB / 1024)) MiB)"
	else
		echo "FAIL: peak RSS on $key $((RSS[$key] / 1024)) MiB (> $((RSS_LIMIT_KB / 1024)) MiB)"
		fail=1
	fi
done
exit $fail
