#!/usr/bin/env bash
# bench/store.sh - the store's share of one fleet tick over 10,000 clusters,
# on SQLite (a temp file) and on PostgreSQL (a throwaway server started by
# tests/integration/lib/postgres.sh).
#
# Builds build/bench/store_tick from bench/store_tick.c against
# build/libkupgrade.a, runs it once per engine (it keeps the best of five
# ticks) and checks the tick against its budget: the whole reconcile tick
# must stay within 1 s at 10,000 clusters, and the store may use at most
# half of it (BENCH_STORE_TICK_MS, default 500).  The baseline measured in
# the same run is the engine's own C API reading every cluster row in one
# query: the store's paged listing may cost at most BENCH_STORE_LIST_RATIO
# (default 2) times that.  Peak RSS stays under
# BENCH_STORE_RSS_MB (default 64) whatever the fleet size: clusters are
# streamed a page at a time.  No PostgreSQL is a failure unless
# BENCH_STORE_PG=0.  Figures: docs/store.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

N=${BENCH_STORE_CLUSTERS:-10000}
SEED=${BENCH_SEED:-1}
LIB=${KUPGRADE_LIB:-build/libkupgrade.a}
BIN=${BENCH_BIN:-build/bench}
CC=${CC:-cc}
CFLAGS=${BENCH_CFLAGS:--O2 -g -std=c17 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE}
TICK_MS_MAX=${BENCH_STORE_TICK_MS:-500}
RSS_MB_MAX=${BENCH_STORE_RSS_MB:-64}
LIST_RATIO_MAX=${BENCH_STORE_LIST_RATIO:-2}
WITH_PG=${BENCH_STORE_PG:-1}

note() { echo "bench/store: $*" >&2; }
die() { note "$*"; exit 1; }

case $N in ''|*[!0-9]*|0) die "BENCH_STORE_CLUSTERS must be a positive number, not '$N'" ;; esac
[ -f "$LIB" ] || die "'$LIB' does not exist: run 'make build' first"
mkdir -p "$BIN"
if [ ! -x "$BIN/store_tick" ] || [ bench/store_tick.c -nt "$BIN/store_tick" ] || [ "$LIB" -nt "$BIN/store_tick" ]; then
	note "building $BIN/store_tick"
	# shellcheck disable=SC2046,SC2086
	$CC $CFLAGS -Iinclude -o "$BIN/store_tick" bench/store_tick.c "$LIB" \
		$(pkg-config --cflags --libs yaml-0.1 json-c zlib libcurl sqlite3 libpq) -lm ||
		die "cannot build store_tick"
fi

FAILED=0
check() { # check LINE
	local line=$1 tick rss ratio
	tick=$(sed -n 's/.* tick_ms=\([0-9.]*\).*/\1/p' <<<"$line")
	ratio=$(sed -n 's/.* list_ratio=\([0-9.]*\).*/\1/p' <<<"$line")
	rss=$(sed -n 's/.* maxrss_kb=\([0-9]*\).*/\1/p' <<<"$line")
	[ -n "$tick" ] && [ -n "$rss" ] && [ -n "$ratio" ] || { echo "$line"; note "unreadable figures"; FAILED=1; return; }
	echo "$line"
	if awk -v t="$tick" -v m="$TICK_MS_MAX" 'BEGIN { exit !(t <= m) }'; then
		echo "  tick ${tick} ms <= ${TICK_MS_MAX} ms: PASS"
	else
		echo "  tick ${tick} ms > ${TICK_MS_MAX} ms: FAIL"
		FAILED=1
	fi
	if awk -v r="$ratio" -v m="$LIST_RATIO_MAX" 'BEGIN { exit !(r <= m) }'; then
		echo "  list / raw engine read ${ratio} <= ${LIST_RATIO_MAX}: PASS"
	else
		echo "  list / raw engine read ${ratio} > ${LIST_RATIO_MAX}: FAIL"
		FAILED=1
	fi
	if [ "$rss" -le $((RSS_MB_MAX * 1024)) ]; then
		echo "  peak RSS $((rss / 1024)) MiB <= ${RSS_MB_MAX} MiB: PASS"
	else
		echo "  peak RSS $((rss / 1024)) MiB > ${RSS_MB_MAX} MiB: FAIL"
		FAILED=1
	fi
}

echo "== store: one tick over $N clusters (best of 5) =="
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kup-bench-store.XXXXXX")
line=$("$BIN/store_tick" "sqlite:$tmp/fleet.db" "$N" "$SEED") || { rm -rf "$tmp"; die "store_tick failed on SQLite"; }
rm -rf "$tmp"
check "$line"

if [ "$WITH_PG" != 0 ]; then
	# shellcheck source=../tests/integration/lib/postgres.sh
	. tests/integration/lib/postgres.sh
	kup_pg_start || die "PostgreSQL did not start (BENCH_STORE_PG=0 leaves it out)"
	line=$("$BIN/store_tick" "pg:$KUP_PG_CONNINFO" "$N" "$SEED") || { kup_pg_stop; die "store_tick failed on PostgreSQL"; }
	kup_pg_stop
	check "$line"
else
	note "PostgreSQL left out (BENCH_STORE_PG=0)"
fi
echo
[ "$FAILED" -eq 0 ] || { echo "bench/store: FAIL"; exit 1; }
echo "bench/store: PASS"
