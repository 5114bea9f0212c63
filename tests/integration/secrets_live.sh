#!/bin/bash
# secrets_live.sh - tests/secrets against servers and stores that answer: a real
# kube-apiserver v1.20.2 (lib/apiserver.sh) reached with a token, once through a server
# URL with user:password userinfo, once without, and a real PostgreSQL (lib/postgres.sh)
# reached by a URL that carries a password.  Every live and fleet command at every -v
# level (serve --once too), with the unreachable contexts of tests/secrets too; no planted
# secret (nor the server's token) may appear in anything kupgrade printed or wrote.  Each
# command runs under timeout (SEC_TIMEOUT, default 180 s): a hang fails, naming the command.
#   $1: the kupgrade CLI, $2: the build directory (unused).
set -u
K=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/apiserver.sh"
. "$here/lib/postgres.sh"
. "$here/../secrets/lib.sh"
kup_api_start
kup_pg_start || exit 1
# both harnesses set an EXIT trap: stop both
trap 'kup_pg_stop; kup_api_stop' EXIT
W="$KUP_API_DIR/secrets"
sec_setup "$W" || exit 1
host_port=${KUP_API_URL#https://}
sec_add_context live-plain "$KUP_API_URL" "$KUP_API_DIR/pki/ca.crt" "$KUP_API_TOKEN"
sec_add_context live-userinfo "https://kup:$SEC_SRV@$host_port" "$KUP_API_DIR/pki/ca.crt" "$KUP_API_TOKEN"
[ -f "$KUP_API_DIR/pki/ca.crt" ] || { ls "$KUP_API_DIR" >&2; kup_die "no CA at pki/ca.crt"; }
pg_live="postgresql://kup:$SEC_STORE@/postgres?host=$KUP_PG_DIR&port=$KUP_PG_PORT"
SEC_JOBS=8 sec_run_all "$pg_live" "pg:host=$KUP_PG_DIR port=$KUP_PG_PORT user=kup password=$SEC_CONNINFO dbname=postgres" \
	"sqlite:$W/written/fleet.db"
ok=true
sec_check || ok=false
# the server's own token is a secret too
if grep -rlaF -- "$KUP_API_TOKEN" "$W/out" "$W/written" >/dev/null 2>&1; then
	sec_log "LEAK of the server's token in: $(grep -rlaF -- "$KUP_API_TOKEN" "$W/out" "$W/written" | head -n 3)"
	ok=false
fi
# the reachable context was really read: a snapshot with objects, a profile
grep -q '"kind":"List"' "$W"/written/snap-live-plain.json 2>/dev/null || { sec_log "no snapshot of live-plain"; ok=false; }
grep -q 'live-plain' "$W"/out/*-fleet-status.out 2>/dev/null || { sec_log "fleet status did not list c-live-plain"; ok=false; }
# serve --once read the reachable cluster: its /metrics on stdout
grep -q '^kupgrade_scan_failures_total 0' "$W"/out/*-serve-live-plain.out 2>/dev/null || { sec_log "serve --once printed no metrics for live-plain"; ok=false; }
if $ok; then
	echo "secrets_live: PASS"
	exit 0
fi
exit 1
