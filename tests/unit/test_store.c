/*
 * test_store.c - the fleet store on SQLite (always) and on a real PostgreSQL
 * (when KUP_TEST_PG holds a libpq keyword conninfo, as
 * tests/integration/store_pg.sh sets it).  Every test runs on both engines
 * against a fresh store: a temp SQLite file, or a fresh PostgreSQL schema.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "kupgrade/store.h"

struct env {
	bool pg;
	char dir[256];
	char path[512];
	char base[1024];     /* PostgreSQL: conninfo with the schema */
	char url[1200];
};

static unsigned schema_serial;

/* Runs SQL outside the store's API (to forge states the API refuses to make). */
static int raw_exec(const struct env *e, const char *sql)
{
	int ok;

	if (e->pg) {
		PGconn *c = PQconnectdb(e->base);
		PGresult *r = PQexec(c, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db = NULL;
		ok = sqlite3_open(e->path, &db) == SQLITE_OK &&
		     sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
		sqlite3_close(db);
	}
	return ok;
}

static int setup_sqlite(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	snprintf(e->dir, sizeof(e->dir), "/tmp/kup-test-store-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	snprintf(e->path, sizeof(e->path), "%s/fleet.db", e->dir);
	snprintf(e->url, sizeof(e->url), "sqlite:%s", e->path);
	*state = e;
	return 0;
}

static int teardown_sqlite(void **state)
{
	struct env *e = *state;
	char p[600];

	unlink(e->path);
	snprintf(p, sizeof(p), "%s-wal", e->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", e->path);
	unlink(p);
	rmdir(e->dir);
	free(e);
	return 0;
}

static int setup_pg(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	const char *conn = getenv("KUP_TEST_PG");
	char schema[64], sql[256];
	PGconn *c;
	PGresult *r;
	int ok;

	e->pg = true;
	snprintf(schema, sizeof(schema), "kt_%ld_%u", (long)getpid(), schema_serial++);
	c = PQconnectdb(conn);
	snprintf(sql, sizeof(sql), "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema, schema);
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "cannot create schema: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	if (!ok) {
		free(e);
		return -1;
	}
	snprintf(e->base, sizeof(e->base), "%s options='-c search_path=%s'", conn, schema);
	snprintf(e->url, sizeof(e->url), "pg:%s", e->base);
	*state = e;
	return 0;
}

static int teardown_pg(void **state)
{
	free(*state);
	return 0;
}

static struct kup_store *open_ok(const struct env *e)
{
	struct kup_store *s = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	enum kup_status st = kup_store_open(e->url, &s, &err);

	if (st)
		fprintf(stderr, "open: %s\n", err.msg);
	assert_int_equal(st, KUP_OK);
	kup_error_release(&err);
	return s;
}

static void declare(struct kup_store *s, int n, const char *wave)
{
	struct kup_error err = KUP_ERROR_INIT;
	char names[64][16];
	struct kup_store_decl d[64];

	assert_true(n <= 64);
	for (int i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "c%02d", i);
		d[i] = (struct kup_store_decl){ names[i], wave, "1.31" };
	}
	assert_int_equal(kup_store_declare_clusters(s, d, (size_t)n, 1000, &err), KUP_OK);
	kup_error_release(&err);
}

static struct kup_store_step mkstep(const char *cluster, const char *to)
{
	return (struct kup_store_step){ .cluster = cluster, .order = 1, .type = "control-plane",
					.component = "control-plane", .from = "1.29", .to = to,
					.run_by = "r1" };
}

/* ---- schema ---------------------------------------------------------------- */

static enum kup_status count_cluster(void *ctx, const struct kup_store_cluster *c)
{
	(void)c;
	(*(size_t *)ctx)++;
	return KUP_OK;
}

static void migrates_from_empty(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	size_t n = 0;

	assert_int_equal(kup_store_schema_version(s), KUP_STORE_SCHEMA_VERSION);
	assert_int_equal(kup_store_kind(s), e->pg ? KUP_STORE_POSTGRES : KUP_STORE_SQLITE);
	assert_int_equal(kup_store_list_clusters(s, NULL, count_cluster, &n, NULL), KUP_OK);
	assert_int_equal(n, 0);
	declare(s, 3, "dev");
	kup_store_close(s);
	/* reopening migrates nothing and keeps the data */
	s = open_ok(e);
	assert_int_equal(kup_store_list_clusters(s, NULL, count_cluster, &n, NULL), KUP_OK);
	assert_int_equal(n, 3);
	kup_store_close(s);
	assert_true(raw_exec(e, "SELECT 1 FROM schema_version WHERE version = 1"));
}

static void refuses_a_newer_schema(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;

	kup_store_close(s);
	assert_true(raw_exec(e, "INSERT INTO schema_version (version, applied_at, writer) "
				"VALUES (999, 0, 'kupgrade 9.9')"));
	s = NULL;
	assert_int_equal(kup_store_open(e->url, &s, &err), KUP_INVALID);
	assert_null(s);
	assert_non_null(strstr(err.msg, "schema version 999"));
	assert_non_null(strstr(err.msg, "this kupgrade's 1"));
	kup_error_release(&err);
}

static void bad_urls(void **state)
{
	struct env *e = *state;
	struct kup_store *s = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	assert_int_equal(kup_store_open("mysql://x", &s, &err), KUP_INVALID);
	assert_non_null(strstr(err.msg, "unknown scheme"));
	assert_int_equal(kup_store_open("sqlite:/nonexistent-dir/x/y.db", &s, &err), KUP_IO);
	assert_int_equal(kup_store_open("", &s, &err), KUP_INVALID);
	if (e->pg) {
		/* nothing listens there: unreachable is its own status, password hidden */
		assert_int_equal(kup_store_open("postgres://u:secret@127.0.0.1:1/x?connect_timeout=2",
						&s, &err), KUP_UNAVAILABLE);
		assert_null(strstr(err.msg, "secret"));
		assert_non_null(strstr(err.msg, "u:***@"));
		assert_int_equal(kup_store_open("postgresql://127.0.0.1:1/x?password=hush&connect_timeout=2",
						&s, &err), KUP_UNAVAILABLE);
		assert_null(strstr(err.msg, "hush"));
		assert_non_null(strstr(err.msg, "password=***&connect_timeout=2"));
		assert_int_equal(kup_store_open("pg:host=127.0.0.1 port=1 password='a b\\'c' dbname=x",
						&s, &err), KUP_UNAVAILABLE);
		assert_non_null(strstr(err.msg, "password=*** dbname=x"));
	} else {
		/* a file that is not a database */
		assert_true(raw_exec(e, "SELECT 1"));
		FILE *f = fopen(e->path, "w");
		fputs("not a database, just text that is long enough to be a header......\n", f);
		fclose(f);
		assert_int_not_equal(kup_store_open(e->url, &s, &err), KUP_OK);
		assert_null(s);
	}
	kup_error_release(&err);
}

/* ---- clusters ------------------------------------------------------------- */

static void cluster_round_trip(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_arena a;
	struct kup_store_cluster c = { .name = "prod-eu", .wave = "prod", .state = KUP_CLUSTER_BLOCKED,
				       .version = "1.29", .target = "1.31",
				       .blockers = "skew: kubelet 1.26\nistio 1.17 unsupported",
				       .next_step = NULL, .reason = "plan is BLOCKED" };
	struct kup_store_cluster got;
	struct kup_store_decl d = { "prod-eu", "prod2", "1.32" };

	kup_arena_init(&a, 4096);
	assert_int_equal(kup_store_put_cluster(s, &c, NULL, 5000, &err), KUP_OK);
	assert_int_equal(kup_store_get_cluster(s, "prod-eu", &a, &got, &err), KUP_OK);
	assert_string_equal(got.wave, "prod");
	assert_int_equal(got.state, KUP_CLUSTER_BLOCKED);
	assert_string_equal(got.blockers, "skew: kubelet 1.26\nistio 1.17 unsupported");
	assert_null(got.next_step);
	assert_int_equal(got.updated_at, 5000);
	assert_int_equal(kup_store_get_cluster(s, "nope", &a, &got, &err), KUP_NOTFOUND);

	/* declaring keeps the actual state, changes wave and target */
	assert_int_equal(kup_store_declare_clusters(s, &d, 1, 6000, &err), KUP_OK);
	assert_int_equal(kup_store_get_cluster(s, "prod-eu", &a, &got, &err), KUP_OK);
	assert_string_equal(got.wave, "prod2");
	assert_string_equal(got.target, "1.32");
	assert_string_equal(got.version, "1.29");
	assert_int_equal(got.state, KUP_CLUSTER_BLOCKED);

	/* a done cluster whose target moves is pending again */
	c.state = KUP_CLUSTER_DONE;
	c.target = "1.32";
	assert_int_equal(kup_store_put_cluster(s, &c, NULL, 7000, &err), KUP_OK);
	d.target = "1.33";
	assert_int_equal(kup_store_declare_clusters(s, &d, 1, 8000, &err), KUP_OK);
	assert_int_equal(kup_store_get_cluster(s, "prod-eu", &a, &got, &err), KUP_OK);
	assert_int_equal(got.state, KUP_CLUSTER_PENDING);

	c.state = (enum kup_cluster_state)42;
	assert_int_equal(kup_store_put_cluster(s, &c, NULL, 7000, &err), KUP_INVALID);
	kup_arena_release(&a);
	kup_error_release(&err);
	kup_store_close(s);
}

static void batches_all_or_nothing(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_store_decl d[2] = { { "we\"ird\\name\n\ttab", "dev", "1.31" },
				       { "\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "de", "dev", "1.31" } };
	struct kup_store_cluster *cs = calloc(2100, sizeof(*cs));
	char (*names)[16] = calloc(2100, sizeof(*names));
	struct kup_store_cluster got;
	struct kup_arena a;
	size_t n = 0;

	kup_arena_init(&a, 4096);
	/* strings that need escaping survive the batch path */
	assert_int_equal(kup_store_declare_clusters(s, d, 2, 10, &err), KUP_OK);
	assert_int_equal(kup_store_get_cluster(s, d[0].name, &a, &got, &err), KUP_OK);
	assert_string_equal(got.name, d[0].name);
	assert_int_equal(kup_store_get_cluster(s, d[1].name, &a, &got, &err), KUP_OK);

	for (int i = 0; i < 2100; i++) {
		snprintf(names[i], sizeof(names[i]), "p%04d", i);
		cs[i] = (struct kup_store_cluster){ .name = names[i], .wave = "prod",
						    .state = KUP_CLUSTER_HOLDING, .version = "1.30",
						    .target = "1.31", .blockers = i % 2 ? "b\"1\"\nb2" : NULL };
	}
	/* more than one statement's worth, without leases */
	assert_int_equal(kup_store_put_clusters(s, cs, 2100, NULL, 20, &err), KUP_OK);
	assert_int_equal(kup_store_list_clusters(s, NULL, count_cluster, &n, &err), KUP_OK);
	assert_int_equal(n, 2102);
	assert_int_equal(kup_store_get_cluster(s, "p2099", &a, &got, &err), KUP_OK);
	assert_int_equal(got.state, KUP_CLUSTER_HOLDING);
	assert_string_equal(got.blockers, "b\"1\"\nb2");
	assert_int_equal(got.updated_at, 20);

	/* with a holder: one lease missing, nothing written */
	assert_int_equal(kup_store_lease_acquire(s, "A", NULL, 3, 100, 1000, NULL, NULL, &n, &err),
			 KUP_OK);
	assert_int_equal(n, 3);   /* p0000 p0001 p0002 */
	cs[0].state = cs[1].state = cs[2].state = cs[3].state = KUP_CLUSTER_DONE;
	assert_int_equal(kup_store_put_clusters(s, cs, 4, "A", 200, &err), KUP_CONFLICT);
	assert_non_null(strstr(err.msg, "p0003"));
	assert_int_equal(kup_store_get_cluster(s, "p0000", &a, &got, &err), KUP_OK);
	assert_int_equal(got.state, KUP_CLUSTER_HOLDING);
	assert_int_equal(kup_store_put_clusters(s, cs, 3, "A", 200, &err), KUP_OK);
	assert_int_equal(kup_store_get_cluster(s, "p0002", &a, &got, &err), KUP_OK);
	assert_int_equal(got.state, KUP_CLUSTER_DONE);
	assert_int_equal(got.updated_at, 200);
	cs[0].name = "";
	assert_int_equal(kup_store_put_clusters(s, cs, 3, "A", 200, &err), KUP_INVALID);
	/* a name twice in one call is refused by both engines, nothing written */
	cs[0].name = "p0002";
	assert_int_equal(kup_store_put_clusters(s, cs, 3, "A", 200, &err), KUP_INVALID);
	assert_non_null(strstr(err.msg, "'p0002' appears twice"));
	{
		struct kup_store_decl dd[3] = { { "new1", "w", "1.31" }, { "new2", "w", "1.31" },
						{ "new1", "w", "1.32" } };
		assert_int_equal(kup_store_declare_clusters(s, dd, 3, 300, &err), KUP_INVALID);
		assert_int_equal(kup_store_get_cluster(s, "new2", &a, &got, &err), KUP_NOTFOUND);
	}

	free(cs);
	free(names);
	kup_arena_release(&a);
	kup_error_release(&err);
	kup_store_close(s);
}

struct names {
	char last[32];
	size_t n;
	bool ordered;
};

static enum kup_status collect_cluster(void *ctx, const struct kup_store_cluster *c)
{
	struct names *nm = ctx;

	if (nm->n && strcmp(nm->last, c->name) >= 0)
		nm->ordered = false;
	snprintf(nm->last, sizeof(nm->last), "%s", c->name);
	nm->n++;
	return KUP_OK;
}

static void lists_thousands_in_pages(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_store_decl *d = calloc(2500, sizeof(*d));
	char (*names)[16] = calloc(2500, sizeof(*names));
	struct names nm = { .ordered = true };
	struct kup_store_cluster_filter f = { .page = 300 };

	for (int i = 0; i < 2500; i++) {
		snprintf(names[i], sizeof(names[i]), "k%05d", i);
		d[i] = (struct kup_store_decl){ names[i], i % 2 ? "odd" : "even", "1.31" };
	}
	assert_int_equal(kup_store_declare_clusters(s, d, 2500, 1, &err), KUP_OK);
	assert_int_equal(kup_store_list_clusters(s, &f, collect_cluster, &nm, &err), KUP_OK);
	assert_int_equal(nm.n, 2500);
	assert_true(nm.ordered);
	assert_string_equal(nm.last, "k02499");

	nm = (struct names){ .ordered = true };
	f = (struct kup_store_cluster_filter){ .wave = "odd" };
	assert_int_equal(kup_store_list_clusters(s, &f, collect_cluster, &nm, &err), KUP_OK);
	assert_int_equal(nm.n, 1250);

	nm = (struct names){ .ordered = true };
	f = (struct kup_store_cluster_filter){ .after = "k01000", .limit = 10, .page = 3 };
	assert_int_equal(kup_store_list_clusters(s, &f, collect_cluster, &nm, &err), KUP_OK);
	assert_int_equal(nm.n, 10);
	assert_string_equal(nm.last, "k01010");

	free(d);
	free(names);
	kup_error_release(&err);
	kup_store_close(s);
}

/* ---- steps ------------------------------------------------------------------- */

static void step_starts_once(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_store_step step = mkstep("c00", "1.30");
	struct kup_store_step got;
	struct kup_arena a;
	int64_t id = 0, id2 = 0;

	kup_arena_init(&a, 4096);
	declare(s, 2, "dev");
	assert_int_equal(kup_store_step_start(s, &step, NULL, 2000, &id, &err), KUP_OK);
	assert_true(id > 0);
	/* the second start of the same step fails and changes nothing */
	assert_int_equal(kup_store_step_start(s, &step, NULL, 2001, &id2, &err), KUP_CONFLICT);
	assert_int_equal(id2, 0);
	assert_non_null(strstr(err.msg, "already started"));
	assert_non_null(strstr(err.msg, "c00"));
	assert_int_equal(kup_store_step_finish(s, id, true, 0, "upgraded", NULL, 3000, &err), KUP_OK);
	assert_int_equal(kup_store_step_start(s, &step, NULL, 3001, &id2, &err), KUP_CONFLICT);
	/* finishing twice is refused too */
	assert_int_equal(kup_store_step_finish(s, id, false, 1, NULL, NULL, 3002, &err), KUP_CONFLICT);

	assert_int_equal(kup_store_find_step(s, "c00", "control-plane", "control-plane", "1.30", &a,
					     &got, &err), KUP_OK);
	assert_int_equal(got.id, id);
	assert_int_equal(got.state, KUP_STEP_SUCCEEDED);
	assert_false(got.settled);
	assert_int_equal(got.exit_code, 0);
	assert_string_equal(got.output_tail, "upgraded");
	assert_string_equal(got.run_by, "r1");
	assert_int_equal(got.started_at, 2000);
	assert_int_equal(got.finished_at, 3000);

	/* the same step on another cluster, or to another version, is another step */
	step.cluster = "c01";
	assert_int_equal(kup_store_step_start(s, &step, NULL, 4000, &id2, &err), KUP_OK);
	step.cluster = "c00";
	step.to = "1.31";
	assert_int_equal(kup_store_step_start(s, &step, NULL, 4000, &id2, &err), KUP_OK);
	/* on an undeclared cluster: not found */
	step.cluster = "ghost";
	assert_int_equal(kup_store_step_start(s, &step, NULL, 4000, &id2, &err), KUP_NOTFOUND);
	assert_int_equal(kup_store_find_step(s, "c01", "addon", "istio", "1.20", &a, &got, &err),
			 KUP_NOTFOUND);

	kup_arena_release(&a);
	kup_error_release(&err);
	kup_store_close(s);
}

struct steps_seen {
	size_t n;
	int64_t id, pid;
	char cluster[16];
	int settled;
};

static enum kup_status see_step(void *ctx, const struct kup_store_step *st)
{
	struct steps_seen *ss = ctx;

	ss->n++;
	ss->id = st->id;
	ss->pid = st->pid;
	ss->settled += st->settled;
	snprintf(ss->cluster, sizeof(ss->cluster), "%s", st->cluster);
	return KUP_OK;
}

struct ev_seen {
	size_t n;
	int64_t last_id;
	bool increasing;
	char kinds[512];
	int last_exit;
};

static enum kup_status see_event(void *ctx, const struct kup_store_event *ev)
{
	struct ev_seen *es = ctx;
	size_t len = strlen(es->kinds);

	if (es->n && ev->id <= es->last_id)
		es->increasing = false;
	es->last_id = ev->id;
	es->last_exit = ev->exit_code;
	snprintf(es->kinds + len, sizeof(es->kinds) - len, "%s%s", len ? " " : "", ev->kind);
	es->n++;
	return KUP_OK;
}

static void settles_after_a_crash(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_store_step step = mkstep("c01", "1.30");
	struct steps_seen ss = { 0 };
	struct ev_seen es = { .increasing = true };
	struct kup_store_step got;
	struct kup_store_cluster c;
	struct kup_arena a;
	int64_t id = 0;

	kup_arena_init(&a, 4096);
	declare(s, 3, "dev");
	assert_int_equal(kup_store_step_start(s, &step, NULL, 2000, &id, &err), KUP_OK);
	assert_int_equal(kup_store_step_set_pid(s, id, 4242, NULL, 2001, &err), KUP_OK);
	assert_int_equal(kup_store_get_cluster(s, "c01", &a, &c, &err), KUP_OK);
	assert_int_equal(c.state, KUP_CLUSTER_RUNNING);
	/* the controller dies here: close without finishing */
	kup_store_close(s);

	s = open_ok(e);
	assert_int_equal(kup_store_list_unfinished(s, NULL, see_step, &ss, &err), KUP_OK);
	assert_int_equal(ss.n, 1);
	assert_int_equal(ss.id, id);
	assert_int_equal(ss.pid, 4242);
	assert_string_equal(ss.cluster, "c01");
	ss = (struct steps_seen){ 0 };
	assert_int_equal(kup_store_list_unfinished(s, "c00", see_step, &ss, &err), KUP_OK);
	assert_int_equal(ss.n, 0);
	/* it still cannot run again */
	assert_int_equal(kup_store_step_start(s, &step, NULL, 3000, NULL, &err), KUP_CONFLICT);

	assert_int_equal(kup_store_step_settle(s, id, true, "verify: at 1.30", NULL, 4000, &err),
			 KUP_OK);
	ss = (struct steps_seen){ 0 };
	assert_int_equal(kup_store_list_unfinished(s, NULL, see_step, &ss, &err), KUP_OK);
	assert_int_equal(ss.n, 0);
	assert_int_equal(kup_store_find_step(s, "c01", "control-plane", "control-plane", "1.30", &a,
					     &got, &err), KUP_OK);
	assert_int_equal(got.state, KUP_STEP_SUCCEEDED);
	assert_true(got.settled);
	assert_int_equal(got.pid, 4242);
	/* settled once */
	assert_int_equal(kup_store_step_settle(s, id, false, NULL, NULL, 4001, &err), KUP_CONFLICT);
	assert_int_equal(kup_store_step_set_pid(s, id, 1, NULL, 4002, &err), KUP_CONFLICT);
	assert_int_equal(kup_store_step_set_pid(s, 99999, 1, NULL, 4002, &err), KUP_NOTFOUND);

	assert_int_equal(kup_store_list_events(s, "c01", 0, 0, see_event, &es, &err), KUP_OK);
	assert_string_equal(es.kinds, "step-started step-settled");
	ss = (struct steps_seen){ 0 };
	assert_int_equal(kup_store_list_steps(s, NULL, see_step, &ss, &err), KUP_OK);
	assert_int_equal(ss.n, 1);
	assert_int_equal(ss.settled, 1);

	kup_arena_release(&a);
	kup_error_release(&err);
	kup_store_close(s);
}

static void failure_then_retry(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_store_step step = mkstep("c00", "1.30");
	struct ev_seen es = { .increasing = true };
	struct kup_store_cluster c;
	struct kup_arena a;
	int64_t id = 0;

	kup_arena_init(&a, 4096);
	declare(s, 1, "dev");
	assert_int_equal(kup_store_step_start(s, &step, NULL, 2000, &id, &err), KUP_OK);
	assert_int_equal(kup_store_step_finish(s, id, false, 3, "error: quota exceeded", NULL, 2500,
					       &err), KUP_OK);
	assert_int_equal(kup_store_get_cluster(s, "c00", &a, &c, &err), KUP_OK);
	assert_int_equal(c.failures, 1);
	/* retry only clears a failed cluster */
	assert_int_equal(kup_store_retry_cluster(s, "c00", "alice", 2600, &err), KUP_CONFLICT);
	assert_non_null(strstr(err.msg, "not failed"));
	assert_int_equal(kup_store_retry_cluster(s, "ghost", "alice", 2600, &err), KUP_NOTFOUND);
	c.state = KUP_CLUSTER_FAILED;
	c.reason = "control-plane -> 1.30 failed (exit 3)";
	assert_int_equal(kup_store_put_cluster(s, &c, NULL, 2700, &err), KUP_OK);
	assert_int_equal(kup_store_retry_cluster(s, "c00", "alice", 2800, &err), KUP_OK);
	assert_int_equal(kup_store_get_cluster(s, "c00", &a, &c, &err), KUP_OK);
	assert_int_equal(c.state, KUP_CLUSTER_PENDING);
	assert_int_equal(c.attempt, 1);
	assert_null(c.reason);
	/* the new attempt may run the failed step again, once */
	assert_int_equal(kup_store_step_start(s, &step, NULL, 2900, &id, &err), KUP_OK);
	assert_int_equal(kup_store_step_start(s, &step, NULL, 2901, NULL, &err), KUP_CONFLICT);

	assert_int_equal(kup_store_list_events(s, "c00", 0, 0, see_event, &es, &err), KUP_OK);
	assert_string_equal(es.kinds, "step-started step-failed retry step-started");
	assert_true(es.increasing);
	kup_arena_release(&a);
	kup_error_release(&err);
	kup_store_close(s);
}

/* ---- leases -------------------------------------------------------------------- */

struct leased {
	size_t n;
	char names[64][16];
};

static enum kup_status take_name(void *ctx, const char *name)
{
	struct leased *l = ctx;

	if (l->n < 64)
		snprintf(l->names[l->n], sizeof(l->names[0]), "%s", name);
	l->n++;
	return KUP_OK;
}

struct lease_seen {
	size_t n;
	char holders[64];
	int64_t last_expiry;
};

static enum kup_status see_lease(void *ctx, const char *cluster, const char *holder,
				 int64_t expires_at)
{
	struct lease_seen *ls = ctx;
	size_t len = strlen(ls->holders);

	(void)cluster;
	snprintf(ls->holders + len, sizeof(ls->holders) - len, "%s%s", len ? " " : "", holder);
	ls->last_expiry = expires_at;
	ls->n++;
	return KUP_OK;
}

static void leases_exclude_each_other(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_store *s2 = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct leased la = { 0 }, lb = { 0 };
	struct kup_store_cluster c = { .name = "c00", .wave = "dev", .state = KUP_CLUSTER_RUNNING,
				       .target = "1.31" };
	struct kup_store_step step = mkstep("c00", "1.30");
	size_t n = 0;

	declare(s, 6, "dev");
	/* a done cluster and a failed one are never leased */
	c.name = "c05";
	c.state = KUP_CLUSTER_DONE;
	assert_int_equal(kup_store_put_cluster(s, &c, NULL, 900, &err), KUP_OK);
	c.name = "c04";
	c.state = KUP_CLUSTER_FAILED;
	assert_int_equal(kup_store_put_cluster(s, &c, NULL, 900, &err), KUP_OK);
	c.name = "c00";
	c.state = KUP_CLUSTER_RUNNING;

	assert_int_equal(kup_store_lease_acquire(s, "A", NULL, 3, 1000, 100, take_name, &la, &n,
						 &err), KUP_OK);
	assert_int_equal(n, 3);
	assert_string_equal(la.names[0], "c00");
	assert_string_equal(la.names[2], "c02");
	/* B, on its own connection, gets only what A does not hold */
	assert_int_equal(kup_store_lease_acquire(s2, "B", NULL, 10, 1050, 100, take_name, &lb, &n,
						 &err), KUP_OK);
	assert_int_equal(n, 1);
	assert_string_equal(lb.names[0], "c03");
	lb.n = 0;
	assert_int_equal(kup_store_lease_acquire(s2, "B", "dev", 10, 1060, 100, take_name, &lb, &n,
						 &err), KUP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(kup_store_lease_acquire_one(s2, "c00", "B", 1060, 100, &err), KUP_CONFLICT);
	assert_non_null(strstr(err.msg, "'A'"));

	/* verify-held: B's changes to A's cluster are refused, nothing changes */
	assert_int_equal(kup_store_lease_check(s, "c00", "A", 1070, &err), KUP_OK);
	assert_int_equal(kup_store_lease_check(s2, "c00", "B", 1070, &err), KUP_CONFLICT);
	assert_int_equal(kup_store_put_cluster(s2, &c, "B", 1070, &err), KUP_CONFLICT);
	assert_int_equal(kup_store_step_start(s2, &step, "B", 1070, NULL, &err), KUP_CONFLICT);
	assert_int_equal(kup_store_step_start(s, &step, "A", 1070, NULL, &err), KUP_OK);

	/* renewal keeps A's leases past their first expiry */
	assert_int_equal(kup_store_lease_renew(s, "A", 1090, 100, &n, &err), KUP_OK);
	assert_int_equal(n, 3);
	lb.n = 0;
	assert_int_equal(kup_store_lease_acquire(s2, "B", NULL, 10, 1150, 100, take_name, &lb, &n,
						 &err), KUP_OK);
	assert_int_equal(n, 1);

	/* A dies: after expiry B carries on with every cluster */
	lb.n = 0;
	assert_int_equal(kup_store_lease_acquire(s2, "B", NULL, 10, 1200, 100, take_name, &lb, &n,
						 &err), KUP_OK);
	assert_int_equal(n, 4);
	assert_int_equal(kup_store_lease_check(s, "c00", "A", 1200, &err), KUP_CONFLICT);
	assert_int_equal(kup_store_put_cluster(s, &c, "A", 1200, &err), KUP_CONFLICT);
	assert_int_equal(kup_store_put_cluster(s2, &c, "B", 1200, &err), KUP_OK);
	/* an expired holder whose leases were taken over renews nothing */
	assert_int_equal(kup_store_lease_renew(s, "A", 1200, 100, &n, &err), KUP_OK);
	assert_int_equal(n, 0);
	/* but an expired lease nobody took is still ours to renew */
	assert_int_equal(kup_store_lease_renew(s2, "B", 1500, 100, &n, &err), KUP_OK);
	assert_int_equal(n, 4);
	assert_int_equal(kup_store_lease_check(s2, "c01", "B", 1550, &err), KUP_OK);

	/* release hands them back */
	assert_int_equal(kup_store_lease_release(s2, "B", "c00", &err), KUP_OK);
	assert_int_equal(kup_store_lease_acquire_one(s, "c00", "A", 1210, 100, &err), KUP_OK);
	assert_int_equal(kup_store_lease_release(s2, "B", NULL, &err), KUP_OK);
	la.n = 0;
	assert_int_equal(kup_store_lease_acquire(s, "A", NULL, 10, 1220, 100, take_name, &la, &n,
						 &err), KUP_OK);
	assert_int_equal(n, 4);
	assert_int_equal(kup_store_lease_acquire(s, "", NULL, 10, 1220, 100, NULL, NULL, &n, &err),
			 KUP_INVALID);
	{
		struct lease_seen ls = { 0 };
		assert_int_equal(kup_store_list_leases(s2, NULL, see_lease, &ls, &err), KUP_OK);
		assert_int_equal(ls.n, 4);
		assert_string_equal(ls.holders, "A A A A");
		assert_int_equal(ls.last_expiry, 1320);
		ls = (struct lease_seen){ 0 };
		assert_int_equal(kup_store_list_leases(s2, "c03", see_lease, &ls, &err), KUP_OK);
		assert_int_equal(ls.n, 1);
	}

	kup_error_release(&err);
	kup_store_close(s2);
	kup_store_close(s);
}

/* ---- events, gates ------------------------------------------------------------ */

static void events_are_append_only(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct ev_seen es = { .increasing = true };
	int64_t ids[5];
	static const char *const kinds[] = { "wave-started", "held", "blocked", "note", "done" };

	for (int i = 0; i < 5; i++) {
		struct kup_store_event ev = { .at = 100 + i, .cluster = i % 2 ? "c01" : "c00",
					      .wave = "dev", .kind = kinds[i], .message = "m",
					      .exit_code = i == 4 ? 7 : -1, .actor = "r1" };
		assert_int_equal(kup_store_add_event(s, &ev, &ids[i], &err), KUP_OK);
		if (i)
			assert_true(ids[i] > ids[i - 1]);
	}
	assert_int_equal(kup_store_list_events(s, NULL, 0, 0, see_event, &es, &err), KUP_OK);
	assert_int_equal(es.n, 5);
	assert_true(es.increasing);
	assert_string_equal(es.kinds, "wave-started held blocked note done");
	assert_int_equal(es.last_exit, 7);
	es = (struct ev_seen){ .increasing = true };
	assert_int_equal(kup_store_list_events(s, NULL, ids[2], 0, see_event, &es, &err), KUP_OK);
	assert_string_equal(es.kinds, "note done");
	es = (struct ev_seen){ .increasing = true };
	assert_int_equal(kup_store_list_events(s, "c00", 0, 2, see_event, &es, &err), KUP_OK);
	assert_string_equal(es.kinds, "wave-started blocked");
	/* history cannot be rewritten, even with SQL */
	assert_false(raw_exec(e, "UPDATE events SET kind = 'forged'"));
	assert_false(raw_exec(e, "DELETE FROM events"));
	es = (struct ev_seen){ .increasing = true };
	assert_int_equal(kup_store_list_events(s, NULL, 0, 0, see_event, &es, &err), KUP_OK);
	assert_int_equal(es.n, 5);
	{
		struct kup_store_event bad = { .kind = NULL };
		assert_int_equal(kup_store_add_event(s, &bad, NULL, &err), KUP_INVALID);
	}
	kup_error_release(&err);
	kup_store_close(s);
}

static void pause_resume_approve(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct ev_seen es = { .increasing = true };
	struct kup_store_wave w = { .name = "prod", .order = 2, .state = KUP_WAVE_HALTED,
				    .started_at = 10, .reason = "maxFailures 1 reached" };
	struct kup_store_wave got;
	struct kup_arena a;
	bool paused = true;

	kup_arena_init(&a, 4096);
	assert_int_equal(kup_store_fleet_paused(s, &paused, &err), KUP_OK);
	assert_false(paused);
	assert_int_equal(kup_store_set_paused(s, NULL, true, "bob", "incident 42", 100, &err), KUP_OK);
	assert_int_equal(kup_store_set_paused(s, NULL, true, "bob", "again", 101, &err), KUP_OK);
	assert_int_equal(kup_store_fleet_paused(s, &paused, &err), KUP_OK);
	assert_true(paused);
	assert_int_equal(kup_store_set_paused(s, NULL, false, "bob", NULL, 102, &err), KUP_OK);
	assert_int_equal(kup_store_fleet_paused(s, &paused, &err), KUP_OK);
	assert_false(paused);

	assert_int_equal(kup_store_put_wave(s, &w, 200, &err), KUP_OK);
	assert_int_equal(kup_store_approve_wave(s, "prod", "alice", 300, &err), KUP_OK);
	assert_int_equal(kup_store_approve_wave(s, "prod", "mallory", 301, &err), KUP_OK);
	assert_int_equal(kup_store_approve_wave(s, "staging", "carol", 302, &err), KUP_OK);
	w.soak_until = 999;
	assert_int_equal(kup_store_put_wave(s, &w, 400, &err), KUP_OK);
	assert_int_equal(kup_store_get_wave(s, "prod", &a, &got, &err), KUP_OK);
	assert_string_equal(got.approved_by, "alice");
	assert_int_equal(got.approved_at, 300);
	assert_int_equal(got.soak_until, 999);
	assert_int_equal(got.order, 2);
	assert_int_equal(got.state, KUP_WAVE_HALTED);
	assert_string_equal(got.reason, "maxFailures 1 reached");

	assert_int_equal(kup_store_set_paused(s, "prod", true, "bob", NULL, 500, &err), KUP_OK);
	assert_int_equal(kup_store_get_wave(s, "prod", &a, &got, &err), KUP_OK);
	assert_true(got.paused);
	assert_int_equal(kup_store_set_paused(s, "prod", false, "bob", NULL, 501, &err), KUP_OK);
	assert_int_equal(kup_store_get_wave(s, "prod", &a, &got, &err), KUP_OK);
	assert_false(got.paused);
	assert_int_equal(got.state, KUP_WAVE_RUNNING);
	assert_int_equal(kup_store_get_wave(s, "dev", &a, &got, &err), KUP_NOTFOUND);

	assert_int_equal(kup_store_list_events(s, NULL, 0, 0, see_event, &es, &err), KUP_OK);
	assert_string_equal(es.kinds, "pause resume approve approve pause resume");
	kup_arena_release(&a);
	kup_error_release(&err);
	kup_store_close(s);
}

static enum kup_status count_wave(void *ctx, const struct kup_store_wave *w)
{
	struct names *nm = ctx;

	snprintf(nm->last, sizeof(nm->last), "%s", w->name);
	nm->n++;
	return KUP_OK;
}

static void waves_list_in_order(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	static const char *const names[] = { "prod", "dev", "staging" };
	static const unsigned order[] = { 2, 0, 1 };
	struct names nm = { 0 };

	for (int i = 0; i < 3; i++) {
		struct kup_store_wave w = { .name = names[i], .order = order[i] };
		assert_int_equal(kup_store_put_wave(s, &w, 1, NULL), KUP_OK);
	}
	assert_int_equal(kup_store_list_waves(s, count_wave, &nm, NULL), KUP_OK);
	assert_int_equal(nm.n, 3);
	assert_string_equal(nm.last, "prod");
	kup_store_close(s);
}

/* ---- transactions -------------------------------------------------------------- */

static enum kup_status stop_at_two(void *ctx, const struct kup_store_cluster *c)
{
	(void)c;
	return ++*(size_t *)ctx == 2 ? KUP_STOP : KUP_OK;
}

static void transactions_roll_back(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_store_cluster c = { .name = "tx1", .state = KUP_CLUSTER_PENDING };
	struct kup_store_step step = mkstep("ghost", "1.30");
	struct kup_store_cluster got;
	struct kup_arena a;
	size_t n = 0;

	kup_arena_init(&a, 4096);
	/* a failed call inside the caller's transaction undoes the earlier ones */
	assert_int_equal(kup_store_begin(s, &err), KUP_OK);
	assert_int_equal(kup_store_begin(s, &err), KUP_INVALID);
	assert_int_equal(kup_store_put_cluster(s, &c, NULL, 10, &err), KUP_OK);
	assert_int_equal(kup_store_step_start(s, &step, NULL, 11, NULL, &err), KUP_NOTFOUND);
	assert_int_equal(kup_store_commit(s, &err), KUP_NOTFOUND);
	assert_non_null(strstr(err.msg, "ghost"));
	assert_int_equal(kup_store_get_cluster(s, "tx1", &a, &got, &err), KUP_NOTFOUND);

	/* explicit rollback */
	assert_int_equal(kup_store_begin(s, &err), KUP_OK);
	assert_int_equal(kup_store_put_cluster(s, &c, NULL, 10, &err), KUP_OK);
	kup_store_rollback(s);
	assert_int_equal(kup_store_get_cluster(s, "tx1", &a, &got, &err), KUP_NOTFOUND);
	assert_int_equal(kup_store_commit(s, &err), KUP_INVALID);

	/* a call's own transaction: the conflicting step start leaves no event and no state */
	declare(s, 1, "dev");
	step.cluster = "c00";
	assert_int_equal(kup_store_step_start(s, &step, NULL, 20, NULL, &err), KUP_OK);
	{
		struct ev_seen es = { .increasing = true };
		assert_int_equal(kup_store_step_start(s, &step, NULL, 21, NULL, &err), KUP_CONFLICT);
		assert_int_equal(kup_store_list_events(s, NULL, 0, 0, see_event, &es, &err), KUP_OK);
		assert_int_equal(es.n, 1);
	}

	/* a batch commits together */
	assert_int_equal(kup_store_begin(s, &err), KUP_OK);
	for (int i = 0; i < 100; i++) {
		char name[16];
		snprintf(name, sizeof(name), "b%03d", i);
		c.name = name;
		assert_int_equal(kup_store_put_cluster(s, &c, NULL, 30, &err), KUP_OK);
	}
	assert_int_equal(kup_store_commit(s, &err), KUP_OK);
	n = 0;
	assert_int_equal(kup_store_list_clusters(s, NULL, count_cluster, &n, &err), KUP_OK);
	assert_int_equal(n, 101);
	/* a callback's status stops the walk and is returned */
	n = 0;
	assert_int_equal(kup_store_list_clusters(s, NULL, stop_at_two, &n, &err), KUP_STOP);
	assert_int_equal(n, 2);
	kup_arena_release(&a);
	kup_error_release(&err);
	kup_store_close(s);
}

/* A lock held too long by another process is KUP_UNAVAILABLE (retry), not a hang. */
static void a_held_lock_is_unavailable(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_store *other = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_store_cluster c = { .name = "x", .state = KUP_CLUSTER_PENDING };

	assert_int_equal(kup_store_put_cluster(s, &c, NULL, 1, &err), KUP_OK);
	assert_int_equal(kup_store_set_lock_timeout(s, 100, &err), KUP_OK);
	assert_int_equal(kup_store_set_lock_timeout(s, -1, &err), KUP_INVALID);
	assert_int_equal(kup_store_begin(other, &err), KUP_OK);
	assert_int_equal(kup_store_put_cluster(other, &c, NULL, 2, &err), KUP_OK);
	c.state = KUP_CLUSTER_RUNNING;
	assert_int_equal(kup_store_put_cluster(s, &c, NULL, 3, &err), KUP_UNAVAILABLE);
	assert_non_null(strstr(err.msg, e->pg ? "unavailable" : "locked"));
	kup_store_rollback(other);
	/* once the lock is gone the same call goes through */
	assert_int_equal(kup_store_put_cluster(s, &c, NULL, 4, &err), KUP_OK);
	assert_int_equal(kup_store_set_lock_timeout(s, 0, &err), KUP_OK);
	kup_error_release(&err);
	kup_store_close(other);
	kup_store_close(s);
}

/* ---- PostgreSQL only: a lost connection, two replicas ---------------------------- */

static void reconnects_after_a_lost_connection(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_store_cluster c = { .name = "x", .state = KUP_CLUSTER_PENDING };
	enum kup_status st;

	assert_int_equal(kup_store_put_cluster(s, &c, NULL, 1, &err), KUP_OK);
	/* the server drops every other session, as a failover or restart does */
	assert_true(raw_exec(e, "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
				"WHERE pid <> pg_backend_pid() AND datname = current_database()"));
	st = kup_store_put_cluster(s, &c, NULL, 2, &err);
	assert_int_equal(st, KUP_UNAVAILABLE);
	assert_non_null(strstr(err.msg, "unavailable"));
	/* the next call reconnects */
	assert_int_equal(kup_store_put_cluster(s, &c, NULL, 3, &err), KUP_OK);
	kup_error_release(&err);
	kup_store_close(s);
}

/* The postgresql:// URL form (KUP_TEST_PG_URL, set by store_pg.sh) reaches the server too. */
static void opens_a_postgres_url(void **state)
{
	const char *url = getenv("KUP_TEST_PG_URL");
	struct kup_store *s = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	if (!url || !*url)
		skip();
	assert_int_equal(kup_store_open(url, &s, &err), KUP_OK);
	assert_int_equal(kup_store_kind(s), KUP_STORE_POSTGRES);
	assert_int_equal(kup_store_schema_version(s), KUP_STORE_SCHEMA_VERSION);
	kup_store_close(s);
	kup_error_release(&err);
}

/*
 * Two replicas (two processes) roll 30 clusters through three steps each,
 * acquiring leases in small batches.  With working leases no step start
 * ever conflicts, every step runs exactly once, and every cluster finishes.
 */
static enum kup_status count_undone(void *ctx, const struct kup_store_cluster *c)
{
	if (c->state != KUP_CLUSTER_DONE)
		(*(size_t *)ctx)++;
	return KUP_OK;
}

static int replica(const char *url, const char *me, int ready, int go)
{
	char byte = 'r';

	struct kup_store *s = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_arena a;
	int conflicts = 0, worked = 0;

	if (kup_store_open(url, &s, &err))
		return 100;
	/* start together: report ready, wait until the parent closes `go` */
	if (write(ready, &byte, 1) != 1 || read(go, &byte, 1) != 0)
		return 105;
	kup_arena_init(&a, 4096);
	for (int round = 0; round < 400; round++) {
		struct leased l = { 0 };
		size_t n = 0;
		int64_t now = kup_store_now();
		enum kup_status st;

		st = kup_store_lease_acquire(s, me, NULL, 4, now, 10000, take_name, &l, &n, &err);
		if (st == KUP_UNAVAILABLE)
			continue;
		if (st)
			return 101;
		if (n == 0) {
			size_t left = 0;

			/* finished when no cluster is left to do, for anyone */
			if (kup_store_list_clusters(s, NULL, count_undone, &left, &err) == KUP_OK &&
			    left == 0)
				break;
			usleep(2000);
			continue;
		}
		for (size_t i = 0; i < l.n && i < 64; i++) {
			struct kup_store_cluster c;
			struct kup_store_step step;
			char to[16];
			int64_t id = 0;
			int v;

			kup_arena_reset(&a);
			if (kup_store_get_cluster(s, l.names[i], &a, &c, &err))
				return 102;
			v = c.version ? atoi(c.version) : 0;
			snprintf(to, sizeof(to), "%d", v + 1);
			step = (struct kup_store_step){ .cluster = c.name, .order = 1, .type = "addon",
							.component = "demo", .from = c.version,
							.to = to, .run_by = me };
			st = kup_store_step_start(s, &step, me, kup_store_now(), &id, &err);
			if (st == KUP_CONFLICT && strstr(err.msg, "already started")) {
				conflicts++;
				continue;
			}
			if (st)
				return 103;
			usleep(2000);
			kup_store_begin(s, &err);
			kup_store_step_finish(s, id, true, 0, NULL, me, kup_store_now(), &err);
			c.version = to;
			c.state = v + 1 >= 3 ? KUP_CLUSTER_DONE : KUP_CLUSTER_PENDING;
			kup_store_put_cluster(s, &c, me, kup_store_now(), &err);
			if (kup_store_commit(s, &err))
				return 104;
			worked++;
		}
		kup_store_lease_release(s, me, NULL, &err);
		/* a gap outside any lock: SQLite's busy handler of the other replica polls */
		usleep(5000);
	}
	kup_arena_release(&a);
	kup_error_release(&err);
	kup_store_close(s);
	return conflicts ? 1 : worked > 0 ? 0 : 2;
}

/* A replica killed while holding leases: another carries on once they expire, not before. */
static void a_dead_replica_loses_its_leases(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct leased l = { 0 };
	int64_t start;
	size_t n = 0;
	int status = 0;
	pid_t pid;

	declare(s, 30, "dev");
	start = kup_store_now();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct kup_store *mine = NULL;
		size_t got = 0;

		if (kup_store_open(e->url, &mine, NULL) ||
		    kup_store_lease_acquire(mine, "doomed", NULL, 10, kup_store_now(), 1500, NULL,
					    NULL, &got, NULL) || got != 10)
			_exit(1);
		kill(getpid(), SIGKILL);  /* no release, no close */
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* while its leases are valid, only the other 20 clusters are available */
	assert_int_equal(kup_store_lease_acquire(s, "survivor", NULL, 30, kup_store_now(), 60000,
						 take_name, &l, &n, &err), KUP_OK);
	if (kup_store_now() - start < 1500) {
		assert_int_equal(n, 20);
		assert_string_equal(l.names[0], "c10");
	}
	/* after expiry (as the dead replica wrote it) the survivor takes them over */
	{
		struct lease_seen ls = { 0 };
		assert_int_equal(kup_store_list_leases(s, "c00", see_lease, &ls, &err), KUP_OK);
		assert_int_equal(ls.n, 1);
		assert_string_equal(ls.holders, "doomed");
		while (kup_store_now() <= ls.last_expiry)
			usleep(50000);
	}
	l.n = 0;
	assert_int_equal(kup_store_lease_acquire(s, "survivor", NULL, 30, kup_store_now(), 60000,
						 take_name, &l, &n, &err), KUP_OK);
	assert_int_equal(n, 30);
	assert_string_equal(l.names[0], "c00");
	assert_int_equal(kup_store_lease_check(s, "c05", "survivor", kup_store_now(), &err), KUP_OK);
	assert_int_equal(kup_store_lease_check(s, "c05", "doomed", kup_store_now(), &err), KUP_CONFLICT);
	kup_error_release(&err);
	kup_store_close(s);
}

static void two_replicas_never_share_a_cluster(void **state)
{
	struct env *e = *state;
	struct kup_store *s = open_ok(e);
	struct kup_error err = KUP_ERROR_INIT;
	struct steps_seen ss = { 0 };
	struct names nm = { 0 };
	struct kup_store_cluster_filter f = { 0 };
	pid_t pids[2];
	int codes[2];
	size_t done = 0;

	int ready[2], go[2];
	char byte;

	declare(s, 30, "dev");
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(go[1]);
			close(ready[0]);
			_exit(replica(e->url, i ? "replica-b" : "replica-a", ready[1], go[0]));
		}
	}
	close(ready[1]);
	close(go[0]);
	for (int i = 0; i < 2; i++)
		assert_int_equal(read(ready[0], &byte, 1), 1);
	close(go[1]);
	close(ready[0]);
	for (int i = 0; i < 2; i++) {
		int status = 0;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 200;
	}
	/* each replica did work, and neither saw a step already started by the other */
	if (codes[0] || codes[1])
		fprintf(stderr, "replica exit codes: %d %d\n", codes[0], codes[1]);
	assert_int_equal(codes[0], 0);
	assert_int_equal(codes[1], 0);
	assert_int_equal(kup_store_list_steps(s, NULL, see_step, &ss, &err), KUP_OK);
	assert_int_equal(ss.n, 90);
	assert_int_equal(kup_store_list_clusters(s, &f, collect_cluster, &nm, &err), KUP_OK);
	assert_int_equal(nm.n, 30);
	for (int i = 0; i < 30; i++) {
		struct kup_store_cluster c;
		struct kup_arena a;
		char name[16];

		kup_arena_init(&a, 1024);
		snprintf(name, sizeof(name), "c%02d", i);
		assert_int_equal(kup_store_get_cluster(s, name, &a, &c, &err), KUP_OK);
		done += c.state == KUP_CLUSTER_DONE && !strcmp(c.version, "3");
		kup_arena_release(&a);
	}
	assert_int_equal(done, 30);
	kup_error_release(&err);
	kup_store_close(s);
}

#define LITE(fn) cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown_sqlite)
#define PG(fn) cmocka_unit_test_setup_teardown(fn, setup_pg, teardown_pg)
#define EVERY(X)                                        \
	X(migrates_from_empty),                         \
	X(refuses_a_newer_schema),                      \
	X(bad_urls),                                    \
	X(cluster_round_trip),                          \
	X(batches_all_or_nothing),                      \
	X(lists_thousands_in_pages),                    \
	X(step_starts_once),                            \
	X(settles_after_a_crash),                       \
	X(failure_then_retry),                          \
	X(leases_exclude_each_other),                   \
	X(events_are_append_only),                      \
	X(pause_resume_approve),                        \
	X(waves_list_in_order),                         \
	X(transactions_roll_back),                      \
	X(a_held_lock_is_unavailable),                  \
	X(a_dead_replica_loses_its_leases),             \
	X(two_replicas_never_share_a_cluster)

int main(void)
{
	const struct CMUnitTest lite[] = { EVERY(LITE) };
	const struct CMUnitTest pg[] = { EVERY(PG), PG(reconnects_after_a_lost_connection),
					 PG(opens_a_postgres_url) };
	const char *conn = getenv("KUP_TEST_PG");
	int failed;

	failed = cmocka_run_group_tests_name("store on SQLite", lite, NULL, NULL);
	if (conn && *conn)
		failed += cmocka_run_group_tests_name("store on PostgreSQL", pg, NULL, NULL);
	else
		fprintf(stderr, "KUP_TEST_PG unset: the PostgreSQL half runs in "
				"tests/integration/store_pg.sh\n");
	return failed ? 1 : 0;
}
