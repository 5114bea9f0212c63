#!/bin/bash
# tests/secrets/run.sh KUPGRADE - the secrets test against servers and stores that
# cannot be reached (a closed port): every command, every context, every -v level;
# no planted secret may appear in anything kupgrade printed or wrote.
set -u
K=$1
. "$(dirname "$0")/lib.sh"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
sec_setup "$W" || exit 1
sec_run_all "postgresql://kup:$SEC_STORE@127.0.0.1:1/fleet" \
	"pg:host=127.0.0.1 port=1 user=kup password=$SEC_CONNINFO dbname=fleet" \
	"postgres://kup:$SEC_STORE@127.0.0.1:1/fleet?sslmode=disable&connect_timeout=2" \
	"sqlite:$W/written/fleet.db"
ok=true
sec_check || ok=false
# the kubeconfig's own errors: a scheme that is not https, shown masked
grep -q "server 'ftp://kup:\*\*\*@127.0.0.1:1' is not an https:// URL" "$W"/out/*-scan-bad-scheme.err ||
	{ sec_log "the bad-scheme error is not shown masked"; ok=false; }
if $ok; then
	echo "secrets: PASS"
	exit 0
fi
[ -n "${KUP_KEEP:-}" ] && { trap - EXIT; sec_log "kept $W"; }
exit 1
