/*
 * fuzz_store.c - store rows read back: rows the API would never write (any
 * text in any column, integers that are not numbers, states outside the
 * CHECK lists are refused by SQLite, but everything else goes in) are put
 * straight into a fresh in-memory SQLite store, then read through every
 * read call of store.h and through the fleet's snapshot (decisions over
 * those rows), rendered as the status table, JSON, the plan and the HTML
 * report.  Nothing may crash; every failure carries a message; the JSON
 * status parses.
 *
 * Input: one row a line, "T|field|field|...", T one of c (clusters), w
 * (waves), s (steps), e (events), l (leases), f (flags); an empty field is
 * SQL NULL, "~" an empty string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/fleet.h"
#include "kupgrade/json.h"
#include "kupgrade/store.h"
#include "fleet/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fleet_text[] =
	"apiVersion: kupgrade.dev/v1alpha1\nkind: Fleet\nmetadata: {name: fz}\n"
	"spec:\n  target: {version: \"1.31\"}\n"
	"  clusters:\n"
	"    - {name: a, profile: /nonexistent/a.yaml, labels: {env: dev}}\n"
	"    - {name: b, profile: /nonexistent/b.yaml, labels: {env: prod}}\n"
	"  waves:\n"
	"    - {name: dev, selector: {env: dev}, soak: 1h}\n"
	"    - {name: prod, selector: {env: prod}, approval: true, maxFailures: 1}\n"
	"  driver: {control-plane: \"true\", nodepool: \"true\", verify: \"true\"}\n";

static enum kup_status any_cluster(void *ctx, const struct kup_store_cluster *c)
{
	(void)ctx;
	if (!c->name)
		abort();
	return KUP_OK;
}

static enum kup_status any_step(void *ctx, const struct kup_store_step *st)
{
	(void)ctx;
	(void)st;
	return KUP_OK;
}

static enum kup_status any_wave(void *ctx, const struct kup_store_wave *w)
{
	(void)ctx;
	if (!w->name)
		abort();
	return KUP_OK;
}

static enum kup_status any_event(void *ctx, const struct kup_store_event *ev)
{
	(void)ctx;
	(void)ev;
	return KUP_OK;
}

static enum kup_status any_lease(void *ctx, const char *cluster, const char *holder, int64_t exp)
{
	(void)ctx;
	(void)cluster;
	(void)holder;
	(void)exp;
	return KUP_OK;
}

static void put_row(struct kup_store *s, char *line)
{
	struct kup_sp p[KUP_SP_MAX];
	char *f[KUP_SP_MAX + 1];
	int n = 0;
	struct kup_error err = KUP_ERROR_INIT;
	char t = line[0];

	if (!t || line[1] != '|')
		return;
	for (char *q = line + 2; n < KUP_SP_MAX;) {
		char *bar = strchr(q, '|');
		f[n++] = q;
		if (!bar)
			break;
		*bar = '\0';
		q = bar + 1;
	}
	for (int i = 0; i < KUP_SP_MAX; i++) {
		const char *v = i < n ? f[i] : "";
		p[i].t = *v ? KUP_SP_TEXT : KUP_SP_NULL;
		p[i].s = strcmp(v, "~") == 0 ? "" : v;
		p[i].i = 0;
	}
	switch (t) {
	case 'c':
		s->be->query(s, "INSERT INTO clusters (name, wave, state, version, target, next_step, "
			     "blockers, reason, failures, attempt, updated_at) VALUES ($1, $2, "
			     "COALESCE($3, 'pending'), $4, $5, $6, $7, $8, COALESCE($9, 0), "
			     "COALESCE($10, 0), COALESCE($11, 0))", p, 11, NULL, NULL, NULL, &err);
		break;
	case 'w':
		s->be->query(s, "INSERT INTO waves (name, ord, state, started_at, completed_at, "
			     "soak_until, approved_by, approved_at, paused, reason, updated_at) VALUES "
			     "($1, COALESCE($2, 0), COALESCE($3, 'pending'), COALESCE($4, 0), "
			     "COALESCE($5, 0), COALESCE($6, 0), $7, COALESCE($8, 0), COALESCE($9, 0), "
			     "$10, COALESCE($11, 0))", p, 11, NULL, NULL, NULL, &err);
		break;
	case 's':
		s->be->query(s, "INSERT INTO steps (cluster, attempt, ord, type, component, from_version, "
			     "to_version, state, settled, pid, started_at, finished_at, exit_code, "
			     "output_tail, run_by) VALUES (COALESCE($1, 'a'), COALESCE($2, 0), "
			     "COALESCE($3, 0), COALESCE($4, 'control-plane'), COALESCE($5, 'x'), $6, "
			     "COALESCE($7, '1.31'), COALESCE($8, 'started'), COALESCE($9, 0), "
			     "COALESCE($10, 0), COALESCE($11, 0), COALESCE($12, 0), COALESCE($13, -1), "
			     "$14, $15)", p, 15, NULL, NULL, NULL, &err);
		break;
	case 'e':
		s->be->query(s, "INSERT INTO events (at, cluster, wave, kind, message, exit_code, "
			     "output_tail, actor) VALUES (COALESCE($1, 0), $2, $3, COALESCE($4, 'x'), "
			     "$5, $6, $7, $8)", p, 8, NULL, NULL, NULL, &err);
		break;
	case 'l':
		s->be->query(s, "INSERT INTO leases (cluster, holder, expires_at) VALUES "
			     "(COALESCE($1, 'a'), COALESCE($2, 'h'), COALESCE($3, 0))", p, 3, NULL, NULL,
			     NULL, &err);
		break;
	case 'f':
		s->be->query(s, "INSERT INTO flags (name, value, actor, updated_at) VALUES "
			     "(COALESCE($1, 'paused'), $2, $3, COALESCE($4, 0))", p, 4, NULL, NULL, NULL,
			     &err);
		break;
	}
	kup_error_release(&err);
}

#define CHECK(call)                                  \
	do {                                         \
		if ((call) != KUP_OK && !err.msg)    \
			abort();                     \
		kup_error_release(&err);             \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kup_fleet *f;
	struct kup_store *s = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_arena a;
	char *text, *line, *save = NULL;
	bool paused;

	if (!f && kup_fleet_parse("fz.yaml", fleet_text, sizeof(fleet_text) - 1, NULL, &f, &err) != KUP_OK)
		abort();
	if (kup_store_open("sqlite::memory:", &s, &err) != KUP_OK)
		abort();
	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		put_row(s, line);
	free(text);

	kup_arena_init(&a, 4096);
	{
		struct kup_store_cluster_filter flt = { 0 };
		struct kup_store_cluster c;
		struct kup_store_wave w;
		CHECK(kup_store_list_clusters(s, &flt, any_cluster, NULL, &err));
		flt.wave = "dev";
		flt.page = 1;
		CHECK(kup_store_list_clusters(s, &flt, any_cluster, NULL, &err));
		CHECK(kup_store_get_cluster(s, "a", &a, &c, &err) == KUP_NOTFOUND ? KUP_OK : KUP_OK);
		CHECK(kup_store_get_wave(s, "dev", &a, &w, &err) == KUP_NOTFOUND ? KUP_OK : KUP_OK);
		CHECK(kup_store_list_waves(s, any_wave, NULL, &err));
		CHECK(kup_store_list_steps(s, NULL, any_step, NULL, &err));
		CHECK(kup_store_list_unfinished(s, "a", any_step, NULL, &err));
		CHECK(kup_store_list_events(s, NULL, 0, 0, any_event, NULL, &err));
		CHECK(kup_store_list_events(s, "a", 1, 2, any_event, NULL, &err));
		CHECK(kup_store_list_leases(s, NULL, any_lease, NULL, &err));
		CHECK(kup_store_fleet_paused(s, &paused, &err));
	}
	kup_arena_release(&a);
	{
		struct kup_fleet_snapshot *snap = NULL;
		if (kup_fleet_snapshot(f, s, NULL, NULL, 1790000000000LL, &snap, &err) == KUP_OK) {
			struct kup_buf b = KUP_BUF_INIT;
			struct kup_read_limits lim;
			struct kup_node *root = NULL;

			kup_buf_init(&b);
			kup_fleet_render_status(snap, KUP_FLEET_JSON, &b);
			kup_read_limits_default(&lim);
			kup_arena_init(&a, 4096);
			if (!b.oom && kup_json_parse(b.buf, b.len, &lim, &a, &root, &err) != KUP_OK)
				abort();
			kup_arena_release(&a);
			kup_buf_reset(&b);
			kup_fleet_render_status(snap, KUP_FLEET_TABLE, &b);
			kup_buf_reset(&b);
			kup_fleet_render_plan(snap, &b);
			kup_buf_reset(&b);
			if (kup_fleet_render_html(snap, s, NULL, &b, &err) != KUP_OK && !err.msg)
				abort();
			kup_buf_release(&b);
			kup_fleet_snapshot_free(snap);
		} else if (!err.msg) {
			abort();
		}
		kup_error_release(&err);
	}
	kup_store_close(s);
	return 0;
}
