#!/bin/bash
# store_pg.sh - the store's cmocka suite against a real PostgreSQL.
#   $1: the kupgrade CLI (unused), $2: the build directory (holds tests/test_store).
# Starts a throwaway server (lib/postgres.sh) and runs test_store with
# KUP_TEST_PG set, so the PostgreSQL half (every store test, a lost
# connection, two replicas competing for 30 clusters) runs after the SQLite
# half.  No PostgreSQL is a failure, never a skip.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${2:?usage: store_pg.sh CLI BUILD_DIR}
bin="$build/tests/test_store"
if [ ! -x "$bin" ]; then
	echo "store_pg.sh: no test binary $bin" >&2
	exit 1
fi
. "$here/lib/postgres.sh"
kup_pg_start || { echo "store_pg.sh: FAIL: PostgreSQL did not start" >&2; exit 1; }

KUP_TEST_PG="$KUP_PG_CONNINFO" KUP_TEST_PG_URL="$KUP_PG_URL" "$bin"
rc=$?
kup_pg_stop
exit $rc
