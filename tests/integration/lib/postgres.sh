# tests/integration/lib/postgres.sh - a throwaway PostgreSQL for one test run.
#
#   . "$(dirname "$0")/lib/postgres.sh"
#   kup_pg_start || exit 1       # never skip: no PostgreSQL is a failure
#   ... use $KUP_PG_CONNINFO (libpq keywords) or $KUP_PG_URL (postgresql://) ...
#   (stopped on exit by a trap; call kup_pg_stop yourself if you set your own EXIT trap)
#
# initdb into a fresh temp dir with Debian's binaries (/usr/lib/postgresql/*/bin,
# newest first, or $KUP_PG_BINDIR), listening only on a unix socket inside that
# dir (no port to collide with), trust auth, fsync off.  initdb refuses to run as
# root: as root the server runs as $KUP_PG_USER (default postgres), which owns the
# temp dir; if that user does not exist we say so and fail.  Stopped by
# `pg_ctl stop -m immediate`, then by the postmaster's PID if pg_ctl fails.

kup_pg_log() { printf 'postgres.sh: %s\n' "$*" >&2; }

kup_pg_bindir() {
	if [ -n "${KUP_PG_BINDIR:-}" ]; then
		printf '%s\n' "$KUP_PG_BINDIR"
		return 0
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			printf '%s\n' "$d"
			return 0
		fi
	done
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir)
		[ -x "$d/initdb" ] && { printf '%s\n' "$d"; return 0; }
	fi
	return 1
}

# Runs a command as the server's owner (root cannot run initdb / postgres).
kup_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		if command -v runuser >/dev/null 2>&1; then
			runuser -u "$KUP_PG_OWNER" -- "$@"
		else
			su "$KUP_PG_OWNER" -s /bin/sh -c '"$0" "$@"' -- "$@"
		fi
	else
		"$@"
	fi
}

kup_pg_start() {
	KUP_PG_BIN=$(kup_pg_bindir) || {
		kup_pg_log "no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin: install the 'postgresql' package (scripts/install-deps)"
		return 1
	}
	KUP_PG_OWNER=$(id -un)
	if [ "$(id -u)" = 0 ]; then
		KUP_PG_OWNER=${KUP_PG_USER:-postgres}
		if ! id "$KUP_PG_OWNER" >/dev/null 2>&1; then
			kup_pg_log "running as root, and initdb refuses root: no user '$KUP_PG_OWNER' to run PostgreSQL as (create it, or set KUP_PG_USER)"
			return 1
		fi
	fi
	KUP_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kup-pg.XXXXXX") || return 1
	trap kup_pg_stop EXIT
	trap 'exit 130' INT TERM
	if [ "$(id -u)" = 0 ]; then
		chown "$KUP_PG_OWNER" "$KUP_PG_DIR" || return 1
	fi
	chmod 700 "$KUP_PG_DIR"
	KUP_PG_PORT=${KUP_PG_PORT:-5432}
	if ! kup_pg_as "$KUP_PG_BIN/initdb" -D "$KUP_PG_DIR/data" -U kup -A trust -E UTF8 \
		--no-sync >"$KUP_PG_DIR/initdb.log" 2>&1; then
		kup_pg_log "initdb failed (as $KUP_PG_OWNER):"
		cat "$KUP_PG_DIR/initdb.log" >&2
		return 1
	fi
	if ! kup_pg_as "$KUP_PG_BIN/pg_ctl" -D "$KUP_PG_DIR/data" -l "$KUP_PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$KUP_PG_DIR' -p $KUP_PG_PORT -c fsync=off -c max_connections=50" \
		start >/dev/null 2>&1; then
		kup_pg_log "the server did not start; its log:"
		cat "$KUP_PG_DIR/server.log" >&2
		return 1
	fi
	KUP_PG_PID=$(head -n 1 "$KUP_PG_DIR/data/postmaster.pid" 2>/dev/null)
	KUP_PG_CONNINFO="host=$KUP_PG_DIR port=$KUP_PG_PORT user=kup dbname=postgres"
	KUP_PG_URL="postgresql://kup@/postgres?host=$KUP_PG_DIR&port=$KUP_PG_PORT"
	export KUP_PG_DIR KUP_PG_PORT KUP_PG_PID KUP_PG_CONNINFO KUP_PG_URL
	kup_pg_log "PostgreSQL $("$KUP_PG_BIN/postgres" --version | awk '{print $3}') up, pid $KUP_PG_PID, socket in $KUP_PG_DIR"
	return 0
}

kup_pg_stop() {
	[ -n "${KUP_PG_DIR:-}" ] || return 0
	if [ -f "$KUP_PG_DIR/data/postmaster.pid" ]; then
		kup_pg_as "$KUP_PG_BIN/pg_ctl" -D "$KUP_PG_DIR/data" -m immediate -w -t 20 stop \
			>/dev/null 2>&1 || { [ -n "${KUP_PG_PID:-}" ] && kill -9 "$KUP_PG_PID" 2>/dev/null; }
	fi
	rm -rf "$KUP_PG_DIR"
	KUP_PG_DIR=
}
