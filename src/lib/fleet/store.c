/*
 * store.c - the fleet store's operations, written once for both engines.
 *
 * Every mutating call wraps its statements in tx_begin()/tx_end(); inside a
 * caller's kup_store_begin() these only count depth, so the caller's
 * COMMIT covers them.  Reads collect one page of rows into an arena before
 * calling the caller back, so callbacks may call the store again and the
 * memory held is one page.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet/store_int.h"
#include "kupgrade/report.h"

#define SPT(x) ((struct kup_sp){ (x) ? KUP_SP_TEXT : KUP_SP_NULL, (x), 0 })
#define SPI(x) ((struct kup_sp){ KUP_SP_INT, NULL, (int64_t)(x) })
#define NP(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define PAGE_DEFAULT 1000

/* ---- names ------------------------------------------------------------------ */

static const char *const cluster_states[] = {
	"pending", "running", "holding", "failed", "done", "blocked",
};
static const char *const step_states[] = { "started", "succeeded", "failed" };
static const char *const wave_states[] = {
	"pending", "running", "soaking", "complete", "halted",
};

static int name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
}

const char *kup_cluster_state_name(enum kup_cluster_state st)
{
	return (size_t)st < NP(cluster_states) ? cluster_states[st] : "unknown";
}

bool kup_cluster_state_parse(const char *name, enum kup_cluster_state *out)
{
	int i = name_index(cluster_states, NP(cluster_states), name);

	if (i < 0)
		return false;
	*out = (enum kup_cluster_state)i;
	return true;
}

const char *kup_step_state_name(enum kup_step_state st)
{
	return (size_t)st < NP(step_states) ? step_states[st] : "unknown";
}

const char *kup_wave_state_name(enum kup_wave_state st)
{
	return (size_t)st < NP(wave_states) ? wave_states[st] : "unknown";
}

bool kup_wave_state_parse(const char *name, enum kup_wave_state *out)
{
	int i = name_index(wave_states, NP(wave_states), name);

	if (i < 0)
		return false;
	*out = (enum kup_wave_state)i;
	return true;
}

int64_t kup_store_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- rows --------------------------------------------------------------------- */

/* One page of result rows, strings copied into an arena. */
struct rows {
	struct kup_arena arena;
	const char ***v;
	size_t n, cap;
	int ncol;
	bool oom;
};

static void rows_init(struct rows *r)
{
	memset(r, 0, sizeof(*r));
	kup_arena_init(&r->arena, 16384);
}

static void rows_reset(struct rows *r)
{
	kup_arena_reset(&r->arena);
	r->n = 0;
}

static void rows_release(struct rows *r)
{
	kup_arena_release(&r->arena);
	free(r->v);
}

static enum kup_status rows_cb(void *ctx, int ncol, const char *const *vals)
{
	struct rows *r = ctx;
	const char **row;

	if (!kup_grow(&r->v, &r->cap, r->n + 1, sizeof(*r->v), 64))
		return KUP_NOMEM;
	row = kup_arena_alloc(&r->arena, sizeof(*row) * (size_t)(ncol ? ncol : 1));
	if (!row)
		return KUP_NOMEM;
	for (int i = 0; i < ncol; i++) {
		row[i] = vals[i] ? kup_arena_strdup(&r->arena, vals[i]) : NULL;
		if (vals[i] && !row[i])
			return KUP_NOMEM;
	}
	r->ncol = ncol;
	r->v[r->n++] = row;
	return KUP_OK;
}

static int64_t ival(const char *v)
{
	return v ? strtoll(v, NULL, 10) : 0;
}

static enum kup_status nomem(struct kup_error *err)
{
	return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "store: out of memory");
}

/* ---- JSON batches (PostgreSQL: one statement per BATCH rows) ---------------- */

#define BATCH 1000

static void json_field(struct kup_buf *b, const char *key, const char *val, bool first)
{
	kup_buf_addf(b, "%s\"%s\":", first ? "" : ",", key);
	if (!val) {
		kup_buf_adds(b, "null");
		return;
	}
	kup_buf_addc(b, '"');
	kup_json_escape(b, val);
	kup_buf_addc(b, '"');
}

/* ---- statements and transactions -------------------------------------------- */

static enum kup_status q(struct kup_store *s, const char *sql, const struct kup_sp *p, int np,
			 struct rows *out, int64_t *changes, struct kup_error *err)
{
	enum kup_status st;

	if (s->depth == 0) {
		st = s->be->ensure(s, err);
		if (st)
			return st;
	}
	if (out)
		rows_reset(out);
	st = s->be->query(s, sql, p, np, out ? rows_cb : NULL, out, changes, err);
	if (st == KUP_NOMEM)
		nomem(err);
	if (st && s->user_tx && s->tx_status == KUP_OK) {
		/* PostgreSQL has aborted the caller's transaction: its COMMIT must fail too */
		s->tx_status = st;
		if (err)
			kup_error_copy(&s->tx_err, err);
	}
	return st;
}

static enum kup_status tx_begin(struct kup_store *s, struct kup_error *err)
{
	enum kup_status st;

	if (s->depth > 0) {
		s->depth++;
		return KUP_OK;
	}
	st = s->be->ensure(s, err);
	if (st)
		return st;
	st = s->be->script(s, s->kind == KUP_STORE_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN", err);
	if (st)
		return st;
	s->depth = 1;
	return KUP_OK;
}

/* Ends one level: commits at the outermost level when st is KUP_OK, else rolls back. */
static enum kup_status tx_end(struct kup_store *s, enum kup_status st, struct kup_error *err)
{
	if (s->depth <= 0)
		return st;
	if (--s->depth > 0) {
		if (st && s->tx_status == KUP_OK) {
			s->tx_status = st;
			if (err)
				kup_error_copy(&s->tx_err, err);
		}
		return st;
	}
	if (st == KUP_OK) {
		st = s->be->script(s, "COMMIT", err);
		if (st == KUP_OK)
			return KUP_OK;
	}
	s->be->script(s, "ROLLBACK", NULL);
	return st;
}

enum kup_status kup_store_begin(struct kup_store *s, struct kup_error *err)
{
	enum kup_status st;

	if (s->user_tx)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0,
				     "store: a transaction is already open");
	st = tx_begin(s, err);
	if (st)
		return st;
	s->user_tx = true;
	s->tx_status = KUP_OK;
	kup_error_release(&s->tx_err);
	return KUP_OK;
}

enum kup_status kup_store_commit(struct kup_store *s, struct kup_error *err)
{
	enum kup_status st = s->tx_status;

	if (!s->user_tx)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "store: no open transaction");
	s->user_tx = false;
	if (st && err)
		kup_error_copy(err, &s->tx_err);
	st = tx_end(s, st, err);
	kup_error_release(&s->tx_err);
	s->tx_status = KUP_OK;
	return st;
}

void kup_store_rollback(struct kup_store *s)
{
	if (!s || !s->user_tx)
		return;
	s->user_tx = false;
	s->depth = 1;
	tx_end(s, KUP_STOP, NULL);
	kup_error_release(&s->tx_err);
	s->tx_status = KUP_OK;
}

/* ---- open / close / migrate -------------------------------------------------- */

static enum kup_status migrate(struct kup_store *s, struct kup_error *err)
{
	struct rows r;
	enum kup_status st;
	int have;

	rows_init(&r);
	st = tx_begin(s, err);
	if (st)
		goto out_rows;
	if (s->kind == KUP_STORE_POSTGRES) {
		/* replicas opening a fresh database at once: one migrates */
		st = q(s, "SELECT pg_advisory_xact_lock(7336871)", NULL, 0, NULL, NULL, err);
		if (st)
			goto out;
	}
	st = s->be->script(s, "CREATE TABLE IF NOT EXISTS schema_version (\n"
			   "  version INTEGER NOT NULL,\n"
			   "  applied_at BIGINT NOT NULL,\n"
			   "  writer TEXT)", err);
	if (st)
		goto out;
	st = q(s, "SELECT COALESCE(MAX(version), 0) FROM schema_version", NULL, 0, &r, NULL, err);
	if (st)
		goto out;
	have = r.n ? (int)ival(r.v[0][0]) : 0;
	if (have > KUP_STORE_SCHEMA_VERSION) {
		st = kup_error_set(err, KUP_INVALID, s->where, 0, 0,
				   "store '%s' has schema version %d, newer than this kupgrade's %d: "
				   "upgrade kupgrade", s->where, have, KUP_STORE_SCHEMA_VERSION);
		goto out;
	}
	for (int v = have + 1; v <= KUP_STORE_SCHEMA_VERSION; v++) {
		const char *sql = kup_store_migration(s->kind, v);
		struct kup_sp p[] = { SPI(v), SPI(kup_store_now()), SPT("kupgrade " KUP_VERSION_STRING) };

		st = s->be->script(s, sql, err);
		if (st) {
			if (err && err->msg) {
				char *m = err->msg;
				err->msg = NULL;
				kup_error_set(err, st, s->where, 0, 0,
					      "cannot migrate store '%s' to schema version %d: %s",
					      s->where, v, m);
				free(m);
			}
			goto out;
		}
		st = q(s, "INSERT INTO schema_version (version, applied_at, writer) VALUES ($1, $2, $3)",
		       p, NP(p), NULL, NULL, err);
		if (st)
			goto out;
	}
	s->schema = KUP_STORE_SCHEMA_VERSION;
out:
	st = tx_end(s, st, err);
out_rows:
	rows_release(&r);
	return st;
}

enum kup_status kup_store_open(const char *url, struct kup_store **out, struct kup_error *err)
{
	struct kup_store *s;
	enum kup_status st;

	*out = NULL;
	if (!url || !*url)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "store: empty store URL");
	s = kup_calloc(1, sizeof(*s));
	if (!s)
		return nomem(err);
	if (!kup_secret_register_url(url)) {
		free(s);
		return nomem(err);
	}
	s->where = kup_redact(url);
	if (!s->where) {
		free(s);
		return nomem(err);
	}
	if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13)) {
		s->kind = KUP_STORE_POSTGRES;
		st = kup_store_pg_open(s, url, err);
	} else if (!strncmp(url, "pg:", 3)) {
		s->kind = KUP_STORE_POSTGRES;
		st = kup_store_pg_open(s, url + 3, err);
	} else if (!strncmp(url, "sqlite:", 7)) {
		s->kind = KUP_STORE_SQLITE;
		st = url[7] ? kup_store_sqlite_open(s, url + 7, err)
			    : kup_error_set(err, KUP_INVALID, NULL, 0, 0,
					    "store 'sqlite:': no file named");
	} else if (strstr(url, "://")) {
		st = kup_error_set(err, KUP_INVALID, NULL, 0, 0,
				   "store '%s': unknown scheme (sqlite:PATH, postgres://...)", s->where);
	} else {
		s->kind = KUP_STORE_SQLITE;
		st = kup_store_sqlite_open(s, url, err);
	}
	if (st == KUP_OK)
		st = migrate(s, err);
	if (st) {
		kup_store_close(s);
		return st;
	}
	*out = s;
	return KUP_OK;
}

void kup_store_close(struct kup_store *s)
{
	if (!s)
		return;
	if (s->be && s->impl) {
		if (s->depth > 0)
			s->be->script(s, "ROLLBACK", NULL);
		s->be->close(s);
	}
	kup_error_release(&s->tx_err);
	free(s->where);
	free(s);
}

enum kup_status kup_store_set_lock_timeout(struct kup_store *s, int ms, struct kup_error *err)
{
	if (ms < 0)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "store: negative lock timeout");
	return s->be->lock_timeout(s, ms, err);
}

enum kup_store_kind kup_store_kind(const struct kup_store *s)
{
	return s->kind;
}

int kup_store_schema_version(const struct kup_store *s)
{
	return s->schema;
}

/* ---- leases (the check every change makes) ----------------------------------- */

static enum kup_status lease_check(struct kup_store *s, struct rows *r, const char *cluster,
				   const char *holder, int64_t now, struct kup_error *err)
{
	struct kup_sp p[] = { SPT(cluster) };
	struct kup_sp ph[] = { SPT(cluster), SPT(holder), SPI(now) };
	enum kup_status st;

	if (!holder)
		return KUP_OK;
	st = q(s, s->kind == KUP_STORE_POSTGRES
		  ? "SELECT 1 FROM leases WHERE cluster = $1 AND holder = $2 AND expires_at > $3 FOR UPDATE"
		  : "SELECT 1 FROM leases WHERE cluster = $1 AND holder = $2 AND expires_at > $3",
	       ph, NP(ph), r, NULL, err);
	if (st || r->n)
		return st;
	st = q(s, "SELECT holder, expires_at FROM leases WHERE cluster = $1", p, NP(p), r, NULL, err);
	if (st)
		return st;
	if (!r->n)
		return kup_error_set(err, KUP_CONFLICT, NULL, 0, 0,
				     "lease on cluster '%s' is not held by '%s' (no lease)",
				     cluster, holder);
	return kup_error_set(err, KUP_CONFLICT, NULL, 0, 0,
			     "lease on cluster '%s' is not held by '%s' (holder '%s', %s)",
			     cluster, holder, r->v[0][0],
			     ival(r->v[0][1]) > now ? "valid" : "expired");
}

static enum kup_status add_event(struct kup_store *s, const struct kup_store_event *ev,
				 int64_t now, int64_t *id, struct kup_error *err)
{
	struct kup_sp p[] = {
		SPI(ev->at ? ev->at : now), SPT(ev->cluster), SPT(ev->wave), SPT(ev->kind),
		SPT(ev->message), ev->exit_code >= 0 ? SPI(ev->exit_code) : SPT(NULL),
		SPT(ev->output_tail), SPT(ev->actor),
	};
	struct rows r;
	enum kup_status st;

	if (!ev->kind || !*ev->kind)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "store: an event needs a kind");
	rows_init(&r);
	st = q(s, "INSERT INTO events (at, cluster, wave, kind, message, exit_code, output_tail, actor) "
		  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id", p, NP(p), &r, NULL, err);
	if (st == KUP_OK && id)
		*id = r.n ? ival(r.v[0][0]) : 0;
	rows_release(&r);
	return st;
}

/* ---- clusters ------------------------------------------------------------------- */

#define CLUSTER_COLS "name, wave, state, version, target, next_step, blockers, reason, " \
		     "failures, attempt, updated_at"

static void cluster_from_row(const char *const *v, struct kup_store_cluster *c)
{
	enum kup_cluster_state cs = KUP_CLUSTER_PENDING;

	memset(c, 0, sizeof(*c));
	c->name = v[0];
	c->wave = v[1];
	kup_cluster_state_parse(v[2], &cs);
	c->state = cs;
	c->version = v[3];
	c->target = v[4];
	c->next_step = v[5];
	c->blockers = v[6];
	c->reason = v[7];
	c->failures = (unsigned)ival(v[8]);
	c->attempt = (unsigned)ival(v[9]);
	c->updated_at = ival(v[10]);
}

static enum kup_status declare_one(struct kup_store *s, const struct kup_store_decl *d,
				   int64_t now, struct kup_error *err)
{
	struct kup_sp p[] = { SPT(d->name), SPT(d->wave), SPT(d->target), SPI(now) };

	return q(s, "INSERT INTO clusters (name, wave, target, state, updated_at) "
		    "VALUES ($1, $2, $3, 'pending', $4) "
		    "ON CONFLICT (name) DO UPDATE SET wave = excluded.wave, target = excluded.target, "
		    "state = CASE WHEN clusters.state = 'done' AND "
		    "clusters.target IS DISTINCT FROM excluded.target THEN 'pending' "
		    "ELSE clusters.state END, updated_at = excluded.updated_at "
		    "WHERE clusters.wave IS DISTINCT FROM excluded.wave OR "
		    "clusters.target IS DISTINCT FROM excluded.target",
		 p, NP(p), NULL, NULL, err);
}

/* PostgreSQL: BATCH declarations in one statement, as a JSON array parameter. */
static enum kup_status declare_batch(struct kup_store *s, const struct kup_store_decl *d,
				     size_t n, int64_t now, struct kup_error *err)
{
	struct kup_buf b = KUP_BUF_INIT;
	enum kup_status st;

	kup_buf_init(&b);
	kup_buf_addc(&b, '[');
	for (size_t i = 0; i < n; i++) {
		kup_buf_adds(&b, i ? ",{" : "{");
		json_field(&b, "name", d[i].name, true);
		json_field(&b, "wave", d[i].wave, false);
		json_field(&b, "target", d[i].target, false);
		kup_buf_addc(&b, '}');
	}
	kup_buf_addc(&b, ']');
	if (b.oom) {
		kup_buf_release(&b);
		return nomem(err);
	}
	{
		struct kup_sp p[] = { SPT(b.buf), SPI(now) };

		st = q(s, "INSERT INTO clusters (name, wave, target, state, updated_at) "
			  "SELECT x.name, x.wave, x.target, 'pending', CAST($2 AS BIGINT) "
			  "FROM json_to_recordset(CAST($1 AS json)) AS x(name text, wave text, target text) "
			  "WHERE true "
			  "ON CONFLICT (name) DO UPDATE SET wave = excluded.wave, target = excluded.target, "
			  "state = CASE WHEN clusters.state = 'done' AND "
			  "clusters.target IS DISTINCT FROM excluded.target THEN 'pending' "
			  "ELSE clusters.state END, updated_at = excluded.updated_at "
			  "WHERE clusters.wave IS DISTINCT FROM excluded.wave OR "
			  "clusters.target IS DISTINCT FROM excluded.target",
		       p, NP(p), NULL, NULL, err);
	}
	kup_buf_release(&b);
	return st;
}

/*
 * Every name present and none twice (one batch statement cannot write a row
 * twice on PostgreSQL; SQLite behaves the same way by this check).  `at(i)`
 * gives the i-th name.
 */
static enum kup_status unique_names(const char *(*at)(const void *, size_t), const void *v,
				    size_t n, struct kup_error *err)
{
	const char **set;
	size_t cap = 16;
	enum kup_status st = KUP_OK;

	while (cap < 2 * n)
		cap *= 2;
	set = kup_calloc(cap, sizeof(*set));
	if (!set)
		return nomem(err);
	for (size_t i = 0; st == KUP_OK && i < n; i++) {
		const char *name = at(v, i);
		uint64_t h = 1469598103934665603ULL;
		size_t j;

		if (!name || !*name) {
			st = kup_error_set(err, KUP_INVALID, NULL, 0, 0,
					   "store: cluster %zu has no name", i + 1);
			break;
		}
		for (const unsigned char *c = (const unsigned char *)name; *c; c++)
			h = (h ^ *c) * 1099511628211ULL;
		for (j = (size_t)h & (cap - 1); set[j]; j = (j + 1) & (cap - 1)) {
			if (!strcmp(set[j], name)) {
				st = kup_error_set(err, KUP_INVALID, NULL, 0, 0,
						   "store: cluster '%s' appears twice in one call", name);
				break;
			}
		}
		set[j] = name;
	}
	free(set);
	return st;
}

static const char *decl_name(const void *v, size_t i)
{
	return ((const struct kup_store_decl *)v)[i].name;
}

static const char *cluster_name(const void *v, size_t i)
{
	return ((const struct kup_store_cluster *)v)[i].name;
}

enum kup_status kup_store_declare_clusters(struct kup_store *s,
					   const struct kup_store_decl *decls, size_t n,
					   int64_t now, struct kup_error *err)
{
	enum kup_status st = unique_names(decl_name, decls, n, err);

	if (st)
		return st;
	st = tx_begin(s, err);
	if (st)
		return st;
	for (size_t i = 0; st == KUP_OK && i < n;) {
		if (s->kind == KUP_STORE_POSTGRES && n - i > 1) {
			size_t k = n - i < BATCH ? n - i : BATCH;

			st = declare_batch(s, decls + i, k, now, err);
			i += k;
		} else {
			st = declare_one(s, &decls[i], now, err);
			i++;
		}
	}
	return tx_end(s, st, err);
}

enum kup_status kup_store_put_cluster(struct kup_store *s, const struct kup_store_cluster *c,
				      const char *holder, int64_t now, struct kup_error *err)
{
	struct kup_sp p[] = {
		SPT(c->name), SPT(c->wave), SPT(kup_cluster_state_name(c->state)), SPT(c->version),
		SPT(c->target), SPT(c->next_step), SPT(c->blockers), SPT(c->reason), SPI(now),
	};
	struct rows r;
	enum kup_status st;

	if (!c->name || !*c->name)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "store: a cluster needs a name");
	if ((size_t)c->state >= NP(cluster_states))
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0,
				     "store: cluster '%s': bad state %d", c->name, (int)c->state);
	rows_init(&r);
	st = tx_begin(s, err);
	if (st)
		goto out;
	st = lease_check(s, &r, c->name, holder, now, err);
	if (st == KUP_OK)
		st = q(s, "INSERT INTO clusters (name, wave, state, version, target, next_step, "
			  "blockers, reason, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
			  "ON CONFLICT (name) DO UPDATE SET wave = excluded.wave, state = excluded.state, "
			  "version = excluded.version, target = excluded.target, "
			  "next_step = excluded.next_step, blockers = excluded.blockers, "
			  "reason = excluded.reason, updated_at = excluded.updated_at",
		       p, NP(p), NULL, NULL, err);
	st = tx_end(s, st, err);
out:
	rows_release(&r);
	return st;
}

/* PostgreSQL: BATCH cluster rows in one statement (after one lease check for them all). */
static enum kup_status put_batch(struct kup_store *s, struct rows *r,
				 const struct kup_store_cluster *cs, size_t n, const char *holder,
				 int64_t now, struct kup_error *err)
{
	struct kup_buf b = KUP_BUF_INIT;
	enum kup_status st = KUP_OK;

	kup_buf_init(&b);
	kup_buf_addc(&b, '[');
	for (size_t i = 0; i < n; i++) {
		kup_buf_adds(&b, i ? ",{" : "{");
		json_field(&b, "name", cs[i].name, true);
		json_field(&b, "wave", cs[i].wave, false);
		json_field(&b, "state", kup_cluster_state_name(cs[i].state), false);
		json_field(&b, "version", cs[i].version, false);
		json_field(&b, "target", cs[i].target, false);
		json_field(&b, "next_step", cs[i].next_step, false);
		json_field(&b, "blockers", cs[i].blockers, false);
		json_field(&b, "reason", cs[i].reason, false);
		kup_buf_addc(&b, '}');
	}
	kup_buf_addc(&b, ']');
	if (b.oom) {
		kup_buf_release(&b);
		return nomem(err);
	}
	if (holder) {
		struct kup_sp p[] = { SPT(b.buf), SPT(holder), SPI(now) };

		st = q(s, "SELECT l.cluster FROM leases l JOIN "
			  "(SELECT DISTINCT x.name FROM json_to_recordset(CAST($1 AS json)) AS x(name text)) "
			  "AS x ON x.name = l.cluster "
			  "WHERE l.holder = $2 AND l.expires_at > CAST($3 AS BIGINT) FOR UPDATE OF l",
		       p, NP(p), r, NULL, err);
		if (st == KUP_OK && r->n < n) {
			/* some lease is missing: name it (n is small next to the cost of a tick) */
			for (size_t i = 0; st == KUP_OK && i < n; i++)
				st = lease_check(s, r, cs[i].name, holder, now, err);
			if (st == KUP_OK)
				st = kup_error_set(err, KUP_INVALID, NULL, 0, 0,
						   "store: a cluster appears twice in one batch");
		}
	}
	if (st == KUP_OK) {
		struct kup_sp p[] = { SPT(b.buf), SPI(now) };

		st = q(s, "INSERT INTO clusters (name, wave, state, version, target, next_step, "
			  "blockers, reason, updated_at) SELECT x.name, x.wave, x.state, x.version, "
			  "x.target, x.next_step, x.blockers, x.reason, CAST($2 AS BIGINT) "
			  "FROM json_to_recordset(CAST($1 AS json)) AS x(name text, wave text, "
			  "state text, version text, target text, next_step text, blockers text, "
			  "reason text) WHERE true "
			  "ON CONFLICT (name) DO UPDATE SET wave = excluded.wave, state = excluded.state, "
			  "version = excluded.version, target = excluded.target, "
			  "next_step = excluded.next_step, blockers = excluded.blockers, "
			  "reason = excluded.reason, updated_at = excluded.updated_at",
		       p, NP(p), NULL, NULL, err);
	}
	kup_buf_release(&b);
	return st;
}

enum kup_status kup_store_put_clusters(struct kup_store *s, const struct kup_store_cluster *cs,
				       size_t n, const char *holder, int64_t now,
				       struct kup_error *err)
{
	struct rows r;
	enum kup_status st = KUP_OK;

	st = unique_names(cluster_name, cs, n, err);
	if (st)
		return st;
	for (size_t i = 0; i < n; i++) {
		if ((size_t)cs[i].state >= NP(cluster_states))
			return kup_error_set(err, KUP_INVALID, NULL, 0, 0,
					     "store: cluster '%s': bad state %d", cs[i].name,
					     (int)cs[i].state);
	}
	if (s->kind != KUP_STORE_POSTGRES || n < 2) {
		st = tx_begin(s, err);
		for (size_t i = 0; st == KUP_OK && i < n; i++)
			st = kup_store_put_cluster(s, &cs[i], holder, now, err);
		return tx_end(s, st, err);
	}
	rows_init(&r);
	st = tx_begin(s, err);
	if (st)
		goto out;
	for (size_t i = 0; st == KUP_OK && i < n; i += BATCH)
		st = put_batch(s, &r, cs + i, n - i < BATCH ? n - i : BATCH, holder, now, err);
	st = tx_end(s, st, err);
out:
	rows_release(&r);
	return st;
}

static enum kup_status cluster_copy(struct kup_arena *a, const char *const *v,
				    struct kup_store_cluster *out)
{
	const char *cp[11];

	for (int i = 0; i < 11; i++) {
		cp[i] = v[i] ? kup_arena_strdup(a, v[i]) : NULL;
		if (v[i] && !cp[i])
			return KUP_NOMEM;
	}
	cluster_from_row(cp, out);
	return KUP_OK;
}

enum kup_status kup_store_get_cluster(struct kup_store *s, const char *name,
				      struct kup_arena *arena, struct kup_store_cluster *out,
				      struct kup_error *err)
{
	struct kup_sp p[] = { SPT(name) };
	struct rows r;
	enum kup_status st;

	rows_init(&r);
	st = q(s, "SELECT " CLUSTER_COLS " FROM clusters WHERE name = $1", p, NP(p), &r, NULL, err);
	if (st == KUP_OK && !r.n)
		st = kup_error_set(err, KUP_NOTFOUND, NULL, 0, 0, "no cluster '%s' in the store", name);
	if (st == KUP_OK && cluster_copy(arena, r.v[0], out))
		st = nomem(err);
	rows_release(&r);
	return st;
}

enum kup_status kup_store_list_clusters(struct kup_store *s,
					const struct kup_store_cluster_filter *filter,
					kup_store_cluster_fn fn, void *ctx, struct kup_error *err)
{
	struct kup_store_cluster_filter f = { 0 };
	size_t page, seen = 0;
	char *after = NULL;
	struct rows r;
	enum kup_status st = KUP_OK;

	if (filter)
		f = *filter;
	page = f.page ? f.page : PAGE_DEFAULT;
	rows_init(&r);
	if (f.after && !(after = kup_strdup(f.after))) {
		st = nomem(err);
		goto out;
	}
	for (;;) {
		size_t want = page;

		if (f.limit && f.limit - seen < want)
			want = f.limit - seen;
		if (want == 0)
			break;
		{
			struct kup_sp p[] = { SPT(after ? after : ""), SPI(want), SPT(f.wave) };

			if (f.wave)
				st = q(s, "SELECT " CLUSTER_COLS " FROM clusters WHERE wave = $3 AND "
					  "name > $1 ORDER BY name LIMIT $2", p, 3, &r, NULL, err);
			else
				st = q(s, "SELECT " CLUSTER_COLS " FROM clusters WHERE name > $1 "
					  "ORDER BY name LIMIT $2", p, 2, &r, NULL, err);
		}
		if (st)
			break;
		for (size_t i = 0; st == KUP_OK && i < r.n; i++) {
			struct kup_store_cluster c;

			cluster_from_row(r.v[i], &c);
			st = fn(ctx, &c);
		}
		seen += r.n;
		if (st || r.n < want)
			break;
		free(after);
		after = kup_strdup(r.v[r.n - 1][0]);
		if (!after) {
			st = nomem(err);
			break;
		}
	}
out:
	free(after);
	rows_release(&r);
	return st;
}

enum kup_status kup_store_retry_cluster(struct kup_store *s, const char *name,
					const char *actor, int64_t now, struct kup_error *err)
{
	struct kup_sp p[] = { SPT(name), SPI(now) };
	struct kup_store_event ev = { .cluster = name, .kind = "retry", .exit_code = -1,
				      .actor = actor };
	struct rows r;
	enum kup_status st;

	rows_init(&r);
	st = tx_begin(s, err);
	if (st)
		goto out;
	st = q(s, "SELECT state, attempt, wave FROM clusters WHERE name = $1", p, 1, &r, NULL, err);
	if (st == KUP_OK && !r.n)
		st = kup_error_set(err, KUP_NOTFOUND, NULL, 0, 0, "no cluster '%s' in the store", name);
	if (st == KUP_OK && strcmp(r.v[0][0], "failed"))
		st = kup_error_set(err, KUP_CONFLICT, NULL, 0, 0,
				   "cluster '%s' is %s, not failed: nothing to retry", name, r.v[0][0]);
	if (st == KUP_OK)
		st = q(s, "UPDATE clusters SET state = 'pending', attempt = attempt + 1, reason = NULL, "
			  "updated_at = $2 WHERE name = $1", p, 2, NULL, NULL, err);
	if (st == KUP_OK) {
		char msg[64];

		snprintf(msg, sizeof(msg), "attempt %" PRId64, ival(r.v[0][1]) + 1);
		ev.message = msg;
		ev.wave = r.v[0][2];
		st = add_event(s, &ev, now, NULL, err);
	}
	st = tx_end(s, st, err);
out:
	rows_release(&r);
	return st;
}

/* ---- steps ------------------------------------------------------------------------ */

#define STEP_COLS "id, cluster, attempt, ord, type, component, from_version, to_version, " \
		  "state, settled, pid, started_at, finished_at, exit_code, output_tail, run_by"
#define STEP_NCOLS 16

static void step_from_row(const char *const *v, struct kup_store_step *st)
{
	int i = name_index(step_states, NP(step_states), v[8]);

	memset(st, 0, sizeof(*st));
	st->id = ival(v[0]);
	st->cluster = v[1];
	st->attempt = (unsigned)ival(v[2]);
	st->order = (unsigned)ival(v[3]);
	st->type = v[4];
	st->component = v[5];
	st->from = v[6];
	st->to = v[7];
	st->state = i < 0 ? KUP_STEP_STARTED : (enum kup_step_state)i;
	st->settled = ival(v[9]) != 0;
	st->pid = ival(v[10]);
	st->started_at = ival(v[11]);
	st->finished_at = ival(v[12]);
	st->exit_code = v[13] ? (int)ival(v[13]) : -1;
	st->output_tail = v[14];
	st->run_by = v[15];
}

static char *step_label(const char *type, const char *component, const char *to)
{
	struct kup_buf b = KUP_BUF_INIT;

	kup_buf_addf(&b, "%s %s -> %s", type ? type : "?", component ? component : "?",
		     to ? to : "?");
	if (b.oom) {
		kup_buf_release(&b);
		return NULL;
	}
	return kup_buf_detach(&b, NULL);
}

enum kup_status kup_store_step_start(struct kup_store *s, const struct kup_store_step *step,
				     const char *holder, int64_t now, int64_t *id,
				     struct kup_error *err)
{
	struct kup_sp pc[] = { SPT(step->cluster), SPI(now) };
	struct kup_store_event ev = { .cluster = step->cluster, .kind = "step-started",
				      .exit_code = -1, .actor = step->run_by ? step->run_by : holder };
	char *label = NULL, *wave = NULL;
	struct rows r;
	int64_t attempt;
	enum kup_status st;

	if (id)
		*id = 0;
	if (!step->cluster || !step->type || !step->component || !step->to)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0,
				     "store: a step needs a cluster, type, component and target version");
	label = step_label(step->type, step->component, step->to);
	if (!label)
		return nomem(err);
	rows_init(&r);
	st = tx_begin(s, err);
	if (st)
		goto out;
	st = lease_check(s, &r, step->cluster, holder, now, err);
	if (st)
		goto end;
	st = q(s, "SELECT attempt, wave FROM clusters WHERE name = $1", pc, 1, &r, NULL, err);
	if (st == KUP_OK && !r.n)
		st = kup_error_set(err, KUP_NOTFOUND, NULL, 0, 0, "no cluster '%s' in the store",
				   step->cluster);
	if (st)
		goto end;
	attempt = ival(r.v[0][0]);
	if (r.v[0][1] && !(wave = kup_strdup(r.v[0][1]))) {
		st = nomem(err);
		goto end;
	}
	{
		struct kup_sp p[] = { SPT(step->cluster), SPI(attempt), SPT(step->type),
				      SPT(step->component), SPT(step->to) };

		st = q(s, "SELECT id, state, settled FROM steps WHERE cluster = $1 AND attempt = $2 "
			  "AND type = $3 AND component = $4 AND to_version = $5", p, NP(p), &r, NULL, err);
		if (st)
			goto end;
		if (r.n) {
			st = kup_error_set(err, KUP_CONFLICT, NULL, 0, 0,
					   "step '%s' of cluster '%s' was already started (step %s, %s%s)",
					   label, step->cluster, r.v[0][0], r.v[0][1],
					   ival(r.v[0][2]) ? ", settled" : "");
			goto end;
		}
	}
	{
		struct kup_sp p[] = { SPT(step->cluster), SPI(attempt), SPI(step->order),
				      SPT(step->type), SPT(step->component), SPT(step->from),
				      SPT(step->to), SPI(now), SPT(step->run_by ? step->run_by : holder) };

		st = q(s, "INSERT INTO steps (cluster, attempt, ord, type, component, from_version, "
			  "to_version, state, started_at, run_by) VALUES ($1, $2, $3, $4, $5, $6, $7, "
			  "'started', $8, $9) RETURNING id", p, NP(p), &r, NULL, err);
	}
	if (st == KUP_CONFLICT)
		kup_error_set(err, KUP_CONFLICT, NULL, 0, 0,
			      "step '%s' of cluster '%s' was already started", label, step->cluster);
	if (st == KUP_OK && id)
		*id = r.n ? ival(r.v[0][0]) : 0;
	if (st == KUP_OK)
		st = q(s, "UPDATE clusters SET state = 'running', updated_at = $2 WHERE name = $1",
		       pc, 2, NULL, NULL, err);
	if (st == KUP_OK) {
		ev.wave = wave;
		ev.message = label;
		st = add_event(s, &ev, now, NULL, err);
	}
end:
	st = tx_end(s, st, err);
out:
	rows_release(&r);
	free(wave);
	free(label);
	return st;
}

enum kup_status kup_store_step_set_pid(struct kup_store *s, int64_t id, int64_t pid,
				       const char *holder, int64_t now, struct kup_error *err)
{
	struct kup_sp p[] = { SPI(id), SPI(pid) };
	struct rows r;
	int64_t changes = 0;
	enum kup_status st;

	rows_init(&r);
	st = tx_begin(s, err);
	if (st)
		goto out;
	st = q(s, "SELECT cluster FROM steps WHERE id = $1", p, 1, &r, NULL, err);
	if (st == KUP_OK && !r.n)
		st = kup_error_set(err, KUP_NOTFOUND, NULL, 0, 0, "no step %" PRId64 " in the store", id);
	if (st == KUP_OK) {
		char *cluster = kup_strdup(r.v[0][0]);

		st = cluster ? lease_check(s, &r, cluster, holder, now, err) : nomem(err);
		free(cluster);
	}
	if (st == KUP_OK)
		st = q(s, "UPDATE steps SET pid = $2 WHERE id = $1 AND state = 'started'", p, 2, NULL,
		       &changes, err);
	if (st == KUP_OK && changes != 1)
		st = kup_error_set(err, KUP_CONFLICT, NULL, 0, 0,
				   "step %" PRId64 " is not running: its pid cannot change", id);
	st = tx_end(s, st, err);
out:
	rows_release(&r);
	return st;
}

static enum kup_status step_end(struct kup_store *s, int64_t id, bool ok, int exit_code,
				const char *output_tail, bool settled, const char *holder,
				int64_t now, struct kup_error *err)
{
	struct kup_sp pi[] = { SPI(id) };
	struct kup_store_event ev = { .exit_code = exit_code, .output_tail = output_tail,
				      .actor = holder };
	char *cluster = NULL, *wave = NULL, *label = NULL;
	struct rows r;
	int64_t changes = 0;
	enum kup_status st;

	rows_init(&r);
	st = tx_begin(s, err);
	if (st)
		goto out;
	st = q(s, "SELECT s.cluster, s.state, s.type, s.component, s.to_version, c.wave, s.run_by "
		  "FROM steps s LEFT JOIN clusters c ON c.name = s.cluster WHERE s.id = $1",
	       pi, 1, &r, NULL, err);
	if (st == KUP_OK && !r.n)
		st = kup_error_set(err, KUP_NOTFOUND, NULL, 0, 0, "no step %" PRId64 " in the store", id);
	if (st)
		goto end;
	cluster = kup_strdup(r.v[0][0]);
	wave = r.v[0][5] ? kup_strdup(r.v[0][5]) : NULL;
	label = step_label(r.v[0][2], r.v[0][3], r.v[0][4]);
	if (!cluster || !label || (r.v[0][5] && !wave)) {
		st = nomem(err);
		goto end;
	}
	if (strcmp(r.v[0][1], "started")) {
		st = kup_error_set(err, KUP_CONFLICT, NULL, 0, 0,
				   "step %" PRId64 " ('%s' of cluster '%s') is already %s", id, label,
				   cluster, r.v[0][1]);
		goto end;
	}
	st = lease_check(s, &r, cluster, holder, now, err);
	if (st)
		goto end;
	{
		struct kup_sp p[] = { SPI(id), SPT(ok ? "succeeded" : "failed"), SPI(now),
				      SPI(exit_code), SPT(output_tail), SPI(settled ? 1 : 0) };

		st = q(s, "UPDATE steps SET state = $2, finished_at = $3, exit_code = $4, "
			  "output_tail = $5, settled = $6 WHERE id = $1 AND state = 'started'",
		       p, NP(p), NULL, &changes, err);
	}
	if (st == KUP_OK && changes != 1)
		st = kup_error_set(err, KUP_CONFLICT, NULL, 0, 0,
				   "step %" PRId64 " was finished concurrently", id);
	if (st == KUP_OK && !ok) {
		struct kup_sp p[] = { SPT(cluster), SPI(now) };

		st = q(s, "UPDATE clusters SET failures = failures + 1, updated_at = $2 WHERE name = $1",
		       p, NP(p), NULL, NULL, err);
	}
	if (st == KUP_OK) {
		char msg[64];

		ev.cluster = cluster;
		ev.wave = wave;
		ev.kind = settled ? "step-settled" : ok ? "step-succeeded" : "step-failed";
		if (settled) {
			struct kup_buf b = KUP_BUF_INIT;

			snprintf(msg, sizeof(msg), "verify says %s: ", ok ? "succeeded" : "failed");
			kup_buf_adds(&b, msg);
			kup_buf_adds(&b, label);
			if (b.oom) {
				kup_buf_release(&b);
				st = nomem(err);
				goto end;
			}
			free(label);
			label = kup_buf_detach(&b, NULL);
		}
		ev.message = label;
		st = add_event(s, &ev, now, NULL, err);
	}
end:
	st = tx_end(s, st, err);
out:
	rows_release(&r);
	free(cluster);
	free(wave);
	free(label);
	return st;
}

enum kup_status kup_store_step_finish(struct kup_store *s, int64_t id, bool ok, int exit_code,
				      const char *output_tail, const char *holder, int64_t now,
				      struct kup_error *err)
{
	return step_end(s, id, ok, exit_code, output_tail, false, holder, now, err);
}

enum kup_status kup_store_step_settle(struct kup_store *s, int64_t id, bool ok,
				      const char *output_tail, const char *holder, int64_t now,
				      struct kup_error *err)
{
	return step_end(s, id, ok, -1, output_tail, true, holder, now, err);
}

static enum kup_status list_steps(struct kup_store *s, const char *cluster, bool unfinished,
				  kup_store_step_fn fn, void *ctx, struct kup_error *err)
{
	int64_t after = 0;
	struct rows r;
	enum kup_status st = KUP_OK;

	rows_init(&r);
	for (;;) {
		struct kup_sp p[] = { SPI(after), SPI(PAGE_DEFAULT), SPT(cluster) };
		const char *sql;

		if (unfinished)
			sql = cluster ? "SELECT " STEP_COLS " FROM steps WHERE state = 'started' AND "
					"cluster = $3 AND id > $1 ORDER BY id LIMIT $2"
				      : "SELECT " STEP_COLS " FROM steps WHERE state = 'started' AND "
					"id > $1 ORDER BY id LIMIT $2";
		else
			sql = cluster ? "SELECT " STEP_COLS " FROM steps WHERE cluster = $3 AND id > $1 "
					"ORDER BY id LIMIT $2"
				      : "SELECT " STEP_COLS " FROM steps WHERE id > $1 ORDER BY id LIMIT $2";
		st = q(s, sql, p, cluster ? 3 : 2, &r, NULL, err);
		if (st)
			break;
		for (size_t i = 0; st == KUP_OK && i < r.n; i++) {
			struct kup_store_step step;

			step_from_row(r.v[i], &step);
			after = step.id;
			st = fn(ctx, &step);
		}
		if (st || r.n < PAGE_DEFAULT)
			break;
	}
	rows_release(&r);
	return st;
}

enum kup_status kup_store_list_unfinished(struct kup_store *s, const char *cluster,
					  kup_store_step_fn fn, void *ctx, struct kup_error *err)
{
	return list_steps(s, cluster, true, fn, ctx, err);
}

enum kup_status kup_store_list_steps(struct kup_store *s, const char *cluster,
				     kup_store_step_fn fn, void *ctx, struct kup_error *err)
{
	return list_steps(s, cluster, false, fn, ctx, err);
}

enum kup_status kup_store_find_step(struct kup_store *s, const char *cluster, const char *type,
				    const char *component, const char *to,
				    struct kup_arena *arena, struct kup_store_step *out,
				    struct kup_error *err)
{
	struct kup_sp p[] = { SPT(cluster), SPT(type), SPT(component), SPT(to) };
	const char *cp[STEP_NCOLS];
	struct rows r;
	enum kup_status st;

	rows_init(&r);
	st = q(s, "SELECT " STEP_COLS " FROM steps WHERE cluster = $1 AND type = $2 AND "
		  "component = $3 AND to_version = $4 AND "
		  "attempt = (SELECT attempt FROM clusters WHERE name = $1)", p, NP(p), &r, NULL, err);
	if (st == KUP_OK && !r.n)
		st = kup_error_set(err, KUP_NOTFOUND, NULL, 0, 0,
				   "step '%s %s -> %s' of cluster '%s' was never started",
				   type, component, to, cluster);
	for (int i = 0; st == KUP_OK && i < STEP_NCOLS; i++) {
		cp[i] = r.v[0][i] ? kup_arena_strdup(arena, r.v[0][i]) : NULL;
		if (r.v[0][i] && !cp[i])
			st = nomem(err);
	}
	if (st == KUP_OK)
		step_from_row(cp, out);
	rows_release(&r);
	return st;
}

/* ---- waves ---------------------------------------------------------------------- */

#define WAVE_COLS "name, ord, state, started_at, completed_at, soak_until, approved_by, " \
		  "approved_at, paused, reason, updated_at"
#define WAVE_NCOLS 11

static void wave_from_row(const char *const *v, struct kup_store_wave *w)
{
	enum kup_wave_state ws = KUP_WAVE_PENDING;

	memset(w, 0, sizeof(*w));
	w->name = v[0];
	w->order = (unsigned)ival(v[1]);
	kup_wave_state_parse(v[2], &ws);
	w->state = ws;
	w->started_at = ival(v[3]);
	w->completed_at = ival(v[4]);
	w->soak_until = ival(v[5]);
	w->approved_by = v[6];
	w->approved_at = ival(v[7]);
	w->paused = ival(v[8]) != 0;
	w->reason = v[9];
	w->updated_at = ival(v[10]);
}

enum kup_status kup_store_put_wave(struct kup_store *s, const struct kup_store_wave *w,
				   int64_t now, struct kup_error *err)
{
	struct kup_sp p[] = { SPT(w->name), SPI(w->order), SPT(kup_wave_state_name(w->state)),
			      SPI(w->started_at), SPI(w->completed_at), SPI(w->soak_until),
			      SPT(w->reason), SPI(now) };
	enum kup_status st;

	if (!w->name || !*w->name)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "store: a wave needs a name");
	if ((size_t)w->state >= NP(wave_states))
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "store: wave '%s': bad state %d",
				     w->name, (int)w->state);
	st = tx_begin(s, err);
	if (st == KUP_OK)
		st = q(s, "INSERT INTO waves (name, ord, state, started_at, completed_at, soak_until, "
			  "reason, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
			  "ON CONFLICT (name) DO UPDATE SET ord = excluded.ord, state = excluded.state, "
			  "started_at = excluded.started_at, completed_at = excluded.completed_at, "
			  "soak_until = excluded.soak_until, reason = excluded.reason, "
			  "updated_at = excluded.updated_at", p, NP(p), NULL, NULL, err);
	else
		return st;
	return tx_end(s, st, err);
}

enum kup_status kup_store_get_wave(struct kup_store *s, const char *name,
				   struct kup_arena *arena, struct kup_store_wave *out,
				   struct kup_error *err)
{
	struct kup_sp p[] = { SPT(name) };
	const char *cp[WAVE_NCOLS];
	struct rows r;
	enum kup_status st;

	rows_init(&r);
	st = q(s, "SELECT " WAVE_COLS " FROM waves WHERE name = $1", p, 1, &r, NULL, err);
	if (st == KUP_OK && !r.n)
		st = kup_error_set(err, KUP_NOTFOUND, NULL, 0, 0, "no wave '%s' in the store", name);
	for (int i = 0; st == KUP_OK && i < WAVE_NCOLS; i++) {
		cp[i] = r.v[0][i] ? kup_arena_strdup(arena, r.v[0][i]) : NULL;
		if (r.v[0][i] && !cp[i])
			st = nomem(err);
	}
	if (st == KUP_OK)
		wave_from_row(cp, out);
	rows_release(&r);
	return st;
}

enum kup_status kup_store_list_waves(struct kup_store *s, kup_store_wave_fn fn, void *ctx,
				     struct kup_error *err)
{
	struct rows r;
	enum kup_status st;

	rows_init(&r);
	st = q(s, "SELECT " WAVE_COLS " FROM waves ORDER BY ord, name", NULL, 0, &r, NULL, err);
	for (size_t i = 0; st == KUP_OK && i < r.n; i++) {
		struct kup_store_wave w;

		wave_from_row(r.v[i], &w);
		if (!w.name)
			continue;   /* SQLite lets a NULL into a TEXT primary key: no wave of ours */
		st = fn(ctx, &w);
	}
	rows_release(&r);
	return st;
}

enum kup_status kup_store_approve_wave(struct kup_store *s, const char *wave, const char *actor,
				       int64_t now, struct kup_error *err)
{
	struct kup_sp p[] = { SPT(wave), SPT(actor ? actor : "unknown"), SPI(now) };
	struct kup_store_event ev = { .wave = wave, .kind = "approve", .exit_code = -1,
				      .actor = actor, .message = "wave approved" };
	int64_t changes = 0;
	enum kup_status st;

	if (!wave || !*wave)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "store: approve needs a wave");
	st = tx_begin(s, err);
	if (st)
		return st;
	st = q(s, "INSERT INTO waves (name, approved_by, approved_at, updated_at) "
		  "VALUES ($1, $2, $3, $3) ON CONFLICT (name) DO UPDATE SET "
		  "approved_by = excluded.approved_by, approved_at = excluded.approved_at, "
		  "updated_at = excluded.updated_at WHERE waves.approved_by IS NULL",
	       p, NP(p), NULL, &changes, err);
	if (st == KUP_OK && changes > 0)
		st = add_event(s, &ev, now, NULL, err);
	return tx_end(s, st, err);
}

enum kup_status kup_store_set_paused(struct kup_store *s, const char *wave, bool paused,
				     const char *actor, const char *reason, int64_t now,
				     struct kup_error *err)
{
	struct kup_store_event ev = { .wave = wave, .kind = paused ? "pause" : "resume",
				      .exit_code = -1, .actor = actor, .message = reason };
	int64_t changes = 0;
	enum kup_status st;

	st = tx_begin(s, err);
	if (st)
		return st;
	if (wave) {
		struct kup_sp p[] = { SPT(wave), SPI(paused ? 1 : 0), SPI(now) };

		st = q(s, "INSERT INTO waves (name, paused, updated_at) VALUES ($1, $2, $3) "
			  "ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, "
			  "state = CASE WHEN excluded.paused = 0 AND waves.state = 'halted' "
			  "THEN 'running' ELSE waves.state END, updated_at = excluded.updated_at "
			  "WHERE waves.paused <> excluded.paused OR "
			  "(excluded.paused = 0 AND waves.state = 'halted')",
		       p, NP(p), NULL, &changes, err);
	} else {
		struct kup_sp p[] = { SPT(paused ? "1" : "0"), SPT(actor), SPI(now) };

		st = q(s, "INSERT INTO flags (name, value, actor, updated_at) "
			  "VALUES ('paused', $1, $2, $3) ON CONFLICT (name) DO UPDATE SET "
			  "value = excluded.value, actor = excluded.actor, "
			  "updated_at = excluded.updated_at WHERE flags.value <> excluded.value",
		       p, NP(p), NULL, &changes, err);
	}
	if (st == KUP_OK && changes > 0)
		st = add_event(s, &ev, now, NULL, err);
	return tx_end(s, st, err);
}

enum kup_status kup_store_fleet_paused(struct kup_store *s, bool *paused, struct kup_error *err)
{
	struct rows r;
	enum kup_status st;

	*paused = false;
	rows_init(&r);
	st = q(s, "SELECT value FROM flags WHERE name = 'paused'", NULL, 0, &r, NULL, err);
	if (st == KUP_OK && r.n && r.v[0][0])
		*paused = !strcmp(r.v[0][0], "1");
	rows_release(&r);
	return st;
}

/* ---- events ------------------------------------------------------------------------ */

enum kup_status kup_store_add_event(struct kup_store *s, const struct kup_store_event *ev,
				    int64_t *id, struct kup_error *err)
{
	enum kup_status st = tx_begin(s, err);

	if (st)
		return st;
	st = add_event(s, ev, kup_store_now(), id, err);
	return tx_end(s, st, err);
}

enum kup_status kup_store_list_events(struct kup_store *s, const char *cluster, int64_t since_id,
				      size_t limit, kup_store_event_fn fn, void *ctx,
				      struct kup_error *err)
{
	int64_t after = since_id;
	size_t seen = 0;
	struct rows r;
	enum kup_status st = KUP_OK;

	rows_init(&r);
	for (;;) {
		size_t want = PAGE_DEFAULT;

		if (limit && limit - seen < want)
			want = limit - seen;
		if (want == 0)
			break;
		{
			struct kup_sp p[] = { SPI(after), SPI(want), SPT(cluster) };

			st = q(s, cluster
			       ? "SELECT id, at, cluster, wave, kind, message, exit_code, output_tail, "
				 "actor FROM events WHERE cluster = $3 AND id > $1 ORDER BY id LIMIT $2"
			       : "SELECT id, at, cluster, wave, kind, message, exit_code, output_tail, "
				 "actor FROM events WHERE id > $1 ORDER BY id LIMIT $2",
			       p, cluster ? 3 : 2, &r, NULL, err);
		}
		if (st)
			break;
		for (size_t i = 0; st == KUP_OK && i < r.n; i++) {
			const char *const *v = r.v[i];
			struct kup_store_event ev = {
				.id = ival(v[0]), .at = ival(v[1]), .cluster = v[2], .wave = v[3],
				.kind = v[4], .message = v[5], .exit_code = v[6] ? (int)ival(v[6]) : -1,
				.output_tail = v[7], .actor = v[8],
			};

			after = ev.id;
			st = fn(ctx, &ev);
		}
		seen += r.n;
		if (st || r.n < want)
			break;
	}
	rows_release(&r);
	return st;
}

/* ---- leases -------------------------------------------------------------------------- */

static enum kup_status name_page(struct kup_store *s, struct rows *r, kup_store_name_fn fn,
				 void *ctx)
{
	enum kup_status st = KUP_OK;

	(void)s;
	for (size_t i = 0; st == KUP_OK && i < r->n; i++)
		st = fn(ctx, r->v[i][0]);
	return st;
}

enum kup_status kup_store_lease_acquire(struct kup_store *s, const char *holder, const char *wave,
					size_t max, int64_t now, int64_t ttl_ms,
					kup_store_name_fn fn, void *ctx, size_t *count,
					struct kup_error *err)
{
	struct kup_sp p[] = { SPT(holder), SPI(now), SPI(now + ttl_ms), SPI(max), SPT(wave) };
	struct rows r;
	enum kup_status st;

	if (count)
		*count = 0;
	if (!holder || !*holder)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "store: a lease needs a holder");
	if (max == 0)
		return KUP_OK;
	rows_init(&r);
	st = tx_begin(s, err);
	if (st)
		goto out;
	st = q(s, s->kind == KUP_STORE_POSTGRES
	       ? "WITH cand AS (SELECT c.name FROM clusters c LEFT JOIN leases l ON l.cluster = c.name "
		 "WHERE c.state NOT IN ('done', 'failed') AND "
		 "(CAST($5 AS TEXT) IS NULL OR c.wave = CAST($5 AS TEXT)) AND "
		 "(l.cluster IS NULL OR l.expires_at <= CAST($2 AS BIGINT) OR l.holder = $1) "
		 "ORDER BY c.name LIMIT $4 FOR UPDATE OF c SKIP LOCKED) "
		 "INSERT INTO leases (cluster, holder, expires_at) "
		 "SELECT name, $1, CAST($3 AS BIGINT) FROM cand WHERE true "
		 "ON CONFLICT (cluster) DO UPDATE SET holder = excluded.holder, "
		 "expires_at = excluded.expires_at "
		 "WHERE leases.expires_at <= CAST($2 AS BIGINT) OR leases.holder = excluded.holder "
		 "RETURNING cluster"
	       : "WITH cand AS (SELECT c.name FROM clusters c LEFT JOIN leases l ON l.cluster = c.name "
		 "WHERE c.state NOT IN ('done', 'failed') AND "
		 "(CAST($5 AS TEXT) IS NULL OR c.wave = CAST($5 AS TEXT)) AND "
		 "(l.cluster IS NULL OR l.expires_at <= CAST($2 AS BIGINT) OR l.holder = $1) "
		 "ORDER BY c.name LIMIT $4) "
		 "INSERT INTO leases (cluster, holder, expires_at) "
		 "SELECT name, $1, CAST($3 AS BIGINT) FROM cand WHERE true "
		 "ON CONFLICT (cluster) DO UPDATE SET holder = excluded.holder, "
		 "expires_at = excluded.expires_at "
		 "WHERE leases.expires_at <= CAST($2 AS BIGINT) OR leases.holder = excluded.holder "
		 "RETURNING cluster",
	       p, NP(p), &r, NULL, err);
	st = tx_end(s, st, err);
	if (st)
		goto out;
	if (count)
		*count = r.n;
	if (fn)
		st = name_page(s, &r, fn, ctx);
out:
	rows_release(&r);
	return st;
}

enum kup_status kup_store_lease_acquire_one(struct kup_store *s, const char *cluster,
					    const char *holder, int64_t now, int64_t ttl_ms,
					    struct kup_error *err)
{
	struct kup_sp p[] = { SPT(cluster), SPT(holder), SPI(now), SPI(now + ttl_ms) };
	struct rows r;
	int64_t changes = 0;
	enum kup_status st;

	if (!holder || !*holder || !cluster)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0,
				     "store: a lease needs a cluster and a holder");
	rows_init(&r);
	st = tx_begin(s, err);
	if (st)
		goto out;
	st = q(s, "INSERT INTO leases (cluster, holder, expires_at) VALUES ($1, $2, $4) "
		  "ON CONFLICT (cluster) DO UPDATE SET holder = excluded.holder, "
		  "expires_at = excluded.expires_at "
		  "WHERE leases.expires_at <= $3 OR leases.holder = excluded.holder",
	       p, NP(p), NULL, &changes, err);
	if (st == KUP_OK && changes == 0) {
		st = q(s, "SELECT holder FROM leases WHERE cluster = $1", p, 1, &r, NULL, err);
		if (st == KUP_OK)
			st = kup_error_set(err, KUP_CONFLICT, NULL, 0, 0,
					   "cluster '%s' is leased by '%s'", cluster,
					   r.n && r.v[0][0] ? r.v[0][0] : "?");
	}
	st = tx_end(s, st, err);
out:
	rows_release(&r);
	return st;
}

enum kup_status kup_store_lease_renew(struct kup_store *s, const char *holder, int64_t now,
				      int64_t ttl_ms, size_t *renewed, struct kup_error *err)
{
	struct kup_sp p[] = { SPT(holder), SPI(now + ttl_ms) };
	int64_t changes = 0;
	enum kup_status st;

	if (renewed)
		*renewed = 0;
	st = tx_begin(s, err);
	if (st)
		return st;
	/*
	 * An expired lease still in our name is renewed too: nobody took it, so
	 * nobody acted on the cluster meanwhile (taking it changes the holder).
	 */
	st = q(s, "UPDATE leases SET expires_at = $2 WHERE holder = $1", p, NP(p), NULL, &changes, err);
	st = tx_end(s, st, err);
	if (st == KUP_OK && renewed)
		*renewed = (size_t)changes;
	return st;
}

enum kup_status kup_store_lease_release(struct kup_store *s, const char *holder,
					const char *cluster, struct kup_error *err)
{
	struct kup_sp p[] = { SPT(holder), SPT(cluster) };
	enum kup_status st = tx_begin(s, err);

	if (st)
		return st;
	if (cluster)
		st = q(s, "DELETE FROM leases WHERE holder = $1 AND cluster = $2", p, 2, NULL, NULL, err);
	else
		st = q(s, "DELETE FROM leases WHERE holder = $1", p, 1, NULL, NULL, err);
	return tx_end(s, st, err);
}

enum kup_status kup_store_lease_check(struct kup_store *s, const char *cluster,
				      const char *holder, int64_t now, struct kup_error *err)
{
	struct rows r;
	enum kup_status st;

	if (!holder)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "store: a lease needs a holder");
	rows_init(&r);
	st = lease_check(s, &r, cluster, holder, now, err);
	rows_release(&r);
	return st;
}

enum kup_status kup_store_list_leases(struct kup_store *s, const char *cluster,
				      kup_store_lease_fn fn, void *ctx, struct kup_error *err)
{
	char *after = NULL;
	struct rows r;
	enum kup_status st = KUP_OK;

	rows_init(&r);
	for (;;) {
		struct kup_sp p[] = { SPT(after ? after : ""), SPI(PAGE_DEFAULT), SPT(cluster) };

		st = q(s, cluster ? "SELECT cluster, holder, expires_at FROM leases WHERE cluster = $3 "
				    "AND cluster > $1 ORDER BY cluster LIMIT $2"
				  : "SELECT cluster, holder, expires_at FROM leases WHERE cluster > $1 "
				    "ORDER BY cluster LIMIT $2",
		       p, cluster ? 3 : 2, &r, NULL, err);
		if (st)
			break;
		for (size_t i = 0; st == KUP_OK && i < r.n; i++)
			st = fn(ctx, r.v[i][0], r.v[i][1], ival(r.v[i][2]));
		if (st || r.n < PAGE_DEFAULT)
			break;
		free(after);
		after = kup_strdup(r.v[r.n - 1][0]);
		if (!after) {
			st = nomem(err);
			break;
		}
	}
	free(after);
	rows_release(&r);
	return st;
}
