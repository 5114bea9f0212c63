/*
 * store_pg.c - the store on PostgreSQL through libpq.
 *
 * One connection; statements are prepared once per connection (named
 * "kN", keyed by the address of their SQL literal) and run with text
 * parameters.  A lost connection is KUP_UNAVAILABLE for the call that saw
 * it; the next call outside a transaction resets the connection (and the
 * prepared statements).  Notices are swallowed: the library never prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "fleet/store_int.h"

#define STMT_CACHE 128

struct pg {
	PGconn *conn;
	char *conninfo;
	struct {
		const char *key;
		char name[16];
	} cache[STMT_CACHE];
	size_t ncache;
	unsigned serial;
	int lock_ms;
};

static void pg_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static const char *pg_first_line(const char *msg, char *buf, size_t size)
{
	size_t n;

	if (!msg || !*msg)
		return "unknown error";
	n = strcspn(msg, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(buf, msg, n);
	buf[n] = '\0';
	return buf;
}

static enum kup_status pg_fail(struct kup_store *s, PGresult *res, struct kup_error *err)
{
	struct pg *g = s->impl;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char line[512];
	enum kup_status st = KUP_IO;

	if (PQstatus(g->conn) != CONNECTION_OK || !state || !strncmp(state, "08", 2) ||
	    !strncmp(state, "57P", 3) || !strcmp(state, "40001") || !strcmp(state, "40P01") ||
	    !strcmp(state, "55P03") || !strcmp(state, "53300"))
		st = KUP_UNAVAILABLE;
	else if (!strncmp(state, "23", 2))
		st = KUP_CONFLICT;
	else if (!strcmp(state, "P0001"))
		st = KUP_CONFLICT;
	else if (!strcmp(state, "21000") || !strncmp(state, "22", 2))
		st = KUP_INVALID;   /* a name twice in one batch; bad data */
	if (!primary)
		primary = pg_first_line(PQerrorMessage(g->conn), line, sizeof(line));
	if (st == KUP_UNAVAILABLE)
		return kup_error_set(err, st, s->where, 0, 0, "store '%s' is unavailable: %s",
				     s->where, primary);
	return kup_error_set(err, st, s->where, 0, 0, "store '%s': %s", s->where, primary);
}

static enum kup_status pg_prepare(struct kup_store *s, const char *sql, const char **name,
				  struct kup_error *err)
{
	struct pg *g = s->impl;
	PGresult *res;
	enum kup_status st = KUP_OK;

	*name = NULL;
	for (size_t i = 0; i < g->ncache; i++) {
		if (g->cache[i].key == sql) {
			*name = g->cache[i].name;
			return KUP_OK;
		}
	}
	if (g->ncache == STMT_CACHE)
		return KUP_OK;  /* unnamed: run with PQexecParams */
	snprintf(g->cache[g->ncache].name, sizeof(g->cache[0].name), "k%u", g->serial++);
	res = PQprepare(g->conn, g->cache[g->ncache].name, sql, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		st = pg_fail(s, res, err);
	PQclear(res);
	if (st)
		return st;
	g->cache[g->ncache].key = sql;
	*name = g->cache[g->ncache].name;
	g->ncache++;
	return KUP_OK;
}

static enum kup_status pg_query(struct kup_store *s, const char *sql, const struct kup_sp *p,
				int np, kup_store_row_cb fn, void *ctx, int64_t *changes,
				struct kup_error *err)
{
	struct pg *g = s->impl;
	char nums[KUP_SP_MAX][24];
	const char *vals[KUP_SP_MAX];
	const char *cols[32];
	const char *name;
	PGresult *res;
	enum kup_status st;
	ExecStatusType rs;

	if (changes)
		*changes = 0;
	if (np > KUP_SP_MAX)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "store: too many parameters");
	for (int i = 0; i < np; i++) {
		switch (p[i].t) {
		case KUP_SP_TEXT:
			vals[i] = p[i].s;
			break;
		case KUP_SP_INT:
			snprintf(nums[i], sizeof(nums[i]), "%lld", (long long)p[i].i);
			vals[i] = nums[i];
			break;
		default:
			vals[i] = NULL;
			break;
		}
	}
	st = pg_prepare(s, sql, &name, err);
	if (st)
		return st;
	if (name)
		res = PQexecPrepared(g->conn, name, np, vals, NULL, NULL, 0);
	else
		res = PQexecParams(g->conn, sql, np, NULL, vals, NULL, NULL, 0);
	rs = PQresultStatus(res);
	if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
		st = pg_fail(s, res, err);
		goto out;
	}
	if (rs == PGRES_TUPLES_OK && fn) {
		int nrow = PQntuples(res), ncol = PQnfields(res);

		if (ncol > 32)
			ncol = 32;
		for (int r = 0; r < nrow && st == KUP_OK; r++) {
			for (int c = 0; c < ncol; c++)
				cols[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
			st = fn(ctx, ncol, cols);
		}
		if (st == KUP_NOMEM)
			kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "store: out of memory");
	}
	if (st == KUP_OK && changes) {
		const char *t = PQcmdTuples(res);

		*changes = t && *t ? strtoll(t, NULL, 10) : 0;
	}
out:
	PQclear(res);
	return st;
}

static enum kup_status pg_script(struct kup_store *s, const char *sql, struct kup_error *err)
{
	struct pg *g = s->impl;
	PGresult *res = PQexec(g->conn, sql);
	enum kup_status st = KUP_OK;
	ExecStatusType rs = PQresultStatus(res);

	if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK)
		st = pg_fail(s, res, err);
	PQclear(res);
	return st;
}

static enum kup_status pg_connected(struct kup_store *s, struct kup_error *err)
{
	struct pg *g = s->impl;
	char line[512];

	if (PQstatus(g->conn) != CONNECTION_OK)
		return kup_error_set(err, KUP_UNAVAILABLE, s->where, 0, 0,
				     "cannot connect to store '%s': %s", s->where,
				     pg_first_line(PQerrorMessage(g->conn), line, sizeof(line)));
	PQsetNoticeProcessor(g->conn, pg_quiet, NULL);
	return pg_script(s, "SET client_min_messages = warning", err);
}

static enum kup_status pg_apply_lock_timeout(struct kup_store *s, struct kup_error *err)
{
	struct pg *g = s->impl;
	char sql[64];

	snprintf(sql, sizeof(sql), "SET lock_timeout = %d", g->lock_ms);
	return pg_script(s, sql, err);
}

static enum kup_status pg_lock_timeout(struct kup_store *s, int ms, struct kup_error *err)
{
	struct pg *g = s->impl;

	g->lock_ms = ms;
	return pg_apply_lock_timeout(s, err);
}

static enum kup_status pg_ensure(struct kup_store *s, struct kup_error *err)
{
	struct pg *g = s->impl;
	enum kup_status st;

	if (PQstatus(g->conn) == CONNECTION_OK && PQtransactionStatus(g->conn) != PQTRANS_UNKNOWN)
		return KUP_OK;
	PQreset(g->conn);
	g->ncache = 0;  /* prepared statements and settings died with the session */
	st = pg_connected(s, err);
	if (st == KUP_OK && g->lock_ms)
		st = pg_apply_lock_timeout(s, err);
	return st;
}

static void pg_close(struct kup_store *s)
{
	struct pg *g = s->impl;

	PQfinish(g->conn);
	free(g->conninfo);
	free(g);
	s->impl = NULL;
}

static const struct kup_store_backend pg_backend = {
	.query = pg_query,
	.script = pg_script,
	.ensure = pg_ensure,
	.lock_timeout = pg_lock_timeout,
	.close = pg_close,
};

enum kup_status kup_store_pg_open(struct kup_store *s, const char *conninfo,
				  struct kup_error *err)
{
	struct pg *g = kup_calloc(1, sizeof(*g));

	if (!g)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "store: out of memory");
	s->be = &pg_backend;
	s->impl = g;
	g->conninfo = kup_strdup(conninfo);
	{
		/*
		 * Defaults first, the caller's conninfo (expanded) after: its own
		 * connect_timeout or application_name wins.  Without a timeout an
		 * unreachable host would hang a tick instead of failing it.
		 */
		static const char *const keys[] = { "connect_timeout", "application_name", "dbname",
						    NULL };
		const char *vals[] = { "10", "kupgrade", conninfo, NULL };

		g->conn = PQconnectdbParams(keys, vals, 1);
	}
	if (!g->conninfo || !g->conn)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "store: out of memory");
	return pg_connected(s, err);
}
