/*
 * loop.c - the fleet control loop (kup_fleet_run) and the read-only
 * snapshot behind status, plan and report (kup_fleet_snapshot).
 *
 * One tick: (re)read the fleet file, read every cluster row and wave row
 * from the store, re-read the profiles that changed, plan each cluster's
 * next step, decide the gates (kup_fleet_decide), take the leases of the
 * clusters that may act, and act: settle interrupted steps, run health
 * gates, start steps.  Drivers run in the background; their end is
 * recorded as soon as it is seen.
 *
 * Exactly once: a step is recorded started (kup_store_step_start, unique
 * per cluster/attempt/step) before its driver is forked; the driver's pid
 * is recorded before it is allowed to exec; its end is recorded after.  A
 * started-but-unfinished step found later (a crash) is settled by the
 * verify command, once the recorded process group has ended.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/resource.h>

#include "kupgrade/fleet.h"
#include "kupgrade/store.h"
#include "kupgrade/profile.h"
#include "kupgrade/plan.h"

enum job_kind { JOB_NONE = 0, JOB_STEP, JOB_VERIFY, JOB_HEALTH };

struct cl {
	char *name;
	size_t idx;                     /* into fleet->clusters */
	/* the store row */
	enum kup_fleet_state state;
	char *reason;
	char *blockers;
	unsigned failures, attempt;
	int64_t updated_at;
	bool in_store;
	/* the profile and its plan */
	bool evaluated;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	/* the cluster's dump: (the objects planned and pre-flight checked):
	 * a change to it alone re-plans as a change to the profile does */
	bool dump_seen;
	dev_t ddev;
	ino_t dino;
	off_t dsize;
	struct timespec dmtime;
	bool prof_ok;
	bool oom;                       /* memory ran out reading or planning it: fatal */
	struct kup_fleet_next next;
	char perr[256];
	/* runtime */
	bool leased;
	bool recovered;                 /* unfinished steps checked since the lease */
	unsigned lease_conflicts;       /* recording failed: the lease is not ours */
	enum job_kind job;
	struct kup_driver *drv;
	int64_t step_id;
	int64_t step_pid;               /* VERIFY: the pid the dead controller recorded */
	char step_desc[400];
	char *step_out;                 /* VERIFY: the interrupted step's output file, or NULL */
	unsigned health_ok;
	int64_t health_next_ms;
	int64_t gate_start_ms;
	bool finish_pending;            /* a result not yet recorded (store unreachable) */
	char waiting[320];              /* why it does not act (logged once) */
};

struct loop {
	const struct kup_fleet_run_opts *o;
	struct kup_fleet *fleet;
	struct timespec fleet_mtime;
	struct kup_store *store;
	struct kup_fleet_clock clock;
	struct cl *cls;
	size_t ncls;
	size_t *hash;                   /* open addressing: index+1, 0 empty */
	size_t hcap;
	struct kup_fleet_wave_view *wv;
	bool *wchanged;
	bool *whalted;
	char **wreason;
	bool fleet_paused;
	bool halted;
	struct kup_fleet_cluster_view *views;
	struct kup_fleet_decision *dec;
	char holder[128];
	char work_dir[256];
	unsigned seq;
	bool fallback_said;
	bool oom;                       /* memory ran out in act(): the tick fails */
	bool activity;                  /* something finished: tick again soon */
	int64_t now;                    /* fleet ms, this tick */
	int64_t renewed_at;             /* fleet ms our leases were last renewed */
	size_t store_errors;            /* store calls that failed (logged), lease losses aside */
};

/* ---- small helpers ------------------------------------------------------------ */

static void logf_(struct loop *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct loop *L, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	if (!L->o || !L->o->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	L->o->log(L->o->log_ctx, line);
}

static void set_str(char **dst, const char *s)
{
	if (*dst && s && strcmp(*dst, s) == 0)
		return;
	free(*dst);
	*dst = s ? kup_strdup(s) : NULL;
}

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static long find_cl(struct loop *L, const char *name)
{
	if (!L->hcap)
		return -1;
	for (size_t i = hash_name(name) & (L->hcap - 1);; i = (i + 1) & (L->hcap - 1)) {
		size_t v = L->hash[i];
		if (!v)
			return -1;
		if (strcmp(L->cls[v - 1].name, name) == 0)
			return (long)(v - 1);
	}
}

static enum kup_fleet_state from_store(enum kup_cluster_state st, const char *reason)
{
	switch (st) {
	case KUP_CLUSTER_PENDING: return KUP_FLEET_PENDING;
	case KUP_CLUSTER_RUNNING: return KUP_FLEET_UPGRADING;
	case KUP_CLUSTER_HOLDING:
		if (reason && strncmp(reason, "health gate before", 18) == 0)
			return KUP_FLEET_PRE_HEALTH;
		if (reason && strncmp(reason, "health gate after", 17) == 0)
			return KUP_FLEET_POST_HEALTH;
		return KUP_FLEET_PENDING;
	case KUP_CLUSTER_FAILED: return KUP_FLEET_FAILED;
	case KUP_CLUSTER_DONE: return KUP_FLEET_DONE;
	case KUP_CLUSTER_BLOCKED: return KUP_FLEET_HELD;
	}
	return KUP_FLEET_PENDING;
}

static enum kup_cluster_state to_store(enum kup_fleet_state st)
{
	switch (st) {
	case KUP_FLEET_PENDING: return KUP_CLUSTER_PENDING;
	case KUP_FLEET_PRE_HEALTH:
	case KUP_FLEET_POST_HEALTH: return KUP_CLUSTER_HOLDING;
	case KUP_FLEET_UPGRADING: return KUP_CLUSTER_RUNNING;
	case KUP_FLEET_DONE: return KUP_CLUSTER_DONE;
	case KUP_FLEET_FAILED: return KUP_CLUSTER_FAILED;
	case KUP_FLEET_HELD: return KUP_CLUSTER_BLOCKED;
	}
	return KUP_CLUSTER_PENDING;
}

/* A copy of s in the arena (NULL stays NULL). */
static char *arena_text(struct kup_arena *a, const char *s)
{
	return s ? kup_arena_strdup(a, s) : NULL;
}

static void next_text(const struct kup_fleet_next *n, char *buf, size_t size)
{
	switch (n->kind) {
	case KUP_FLEET_NEXT_STEP:
		snprintf(buf, size, "%s %s %s -> %s", kup_step_type_name(n->type), n->component,
			 n->from[0] ? n->from : "?", n->to);
		break;
	case KUP_FLEET_NEXT_DONE:
		snprintf(buf, size, "none (at the target)");
		break;
	case KUP_FLEET_NEXT_BLOCKED:
		snprintf(buf, size, "none (blocked)");
		break;
	}
}

/* ---- profiles ------------------------------------------------------------------ */

/*
 * Reads the cluster's profile when it changed (or `force`) and plans its
 * next step.  Keeps the profile in *keep when keep != NULL.
 */
static void plan_profile(struct cl *c, const struct kup_fleet *f, const struct kup_kb *kb,
			 struct kup_profile *p, const char *dump, bool *fallback)
{
	struct kup_error err = KUP_ERROR_INIT;
	bool fb = false;
	if (kup_fleet_next_step(kb, p, &f->target, dump, &c->next, &fb, &err) != KUP_OK) {
		if (kup_fleet_next_block(&c->next, "cannot plan: %s",
					 err.msg ? err.msg : kup_strerror(err.code)) != KUP_OK ||
		    err.code == KUP_NOMEM)
			c->oom = true;
	}
	if (fb && fallback)
		*fallback = true;
	kup_error_release(&err);
}

static void evaluate_live(struct cl *c, const struct kup_fleet *f, const struct kup_kb *kb,
			  const struct kup_fleet_live *live, bool force, bool *fallback,
			  struct kup_profile **keep)
{
	const struct kup_fleet_cluster *fc = &f->clusters[c->idx];
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	char *dump = NULL;

	if (c->evaluated && !force && !keep)
		return;
	c->evaluated = true;
	kup_fleet_next_release(&c->next);
	if (live->fn(live->ctx, fc, &p, live->done ? &dump : NULL, &err) != KUP_OK || !p) {
		if (dump)
			live->done(live->ctx, dump);
		c->prof_ok = false;
		if (err.code == KUP_NOMEM)
			c->oom = true;
		snprintf(c->perr, sizeof(c->perr), "cannot read the live cluster (context '%s'): %s",
			 fc->context, err.msg ? err.msg : kup_strerror(err.code));
		if (kup_fleet_next_block(&c->next, "%s", c->perr) != KUP_OK)
			c->oom = true;
		c->evaluated = false;   /* try again next tick */
		kup_error_release(&err);
		kup_profile_free(p);
		return;
	}
	c->prof_ok = true;
	c->perr[0] = '\0';
	plan_profile(c, f, kb, p, dump, fallback);
	if (dump)
		live->done(live->ctx, dump);
	if (keep)
		*keep = p;
	else
		kup_profile_free(p);
	kup_error_release(&err);
}

static void evaluate(struct cl *c, const struct kup_fleet *f, const struct kup_kb *kb, bool force,
		     bool *fallback, struct kup_profile **keep);

/*
 * Out of memory while reading or planning a cluster is not the cluster's
 * problem (it is not held for it): KUP_NOMEM, and the caller stops.
 */
static enum kup_status evaluate_with(struct cl *c, const struct kup_fleet *f,
				     const struct kup_kb *kb, const struct kup_fleet_live *live,
				     bool force, bool *fallback, struct kup_profile **keep)
{
	c->oom = false;
	if (f->clusters[c->idx].context && live && live->fn)
		evaluate_live(c, f, kb, live, force, fallback, keep);
	else
		evaluate(c, f, kb, force, fallback, keep);
	if (c->oom) {
		c->evaluated = false;
		return KUP_NOMEM;
	}
	return KUP_OK;
}

static void evaluate(struct cl *c, const struct kup_fleet *f, const struct kup_kb *kb, bool force,
		     bool *fallback, struct kup_profile **keep)
{
	const struct kup_fleet_cluster *fc = &f->clusters[c->idx];
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct stat sb;
	bool fb = false;
	enum kup_status pst;

	if (fc->context) {
		c->evaluated = true;
		c->prof_ok = false;
		snprintf(c->perr, sizeof(c->perr), "context '%s': no live client was given to the fleet "
			 "(the kupgrade CLI gives one); give a profile", fc->context);
		kup_fleet_next_release(&c->next);
		if (kup_fleet_next_block(&c->next, "%s", c->perr) != KUP_OK)
			c->oom = true;
		return;
	}
	if (stat(fc->profile, &sb) != 0) {
		c->evaluated = true;
		c->prof_ok = false;
		snprintf(c->perr, sizeof(c->perr), "cannot read profile '%s': %s", fc->profile,
			 strerror(errno));
		kup_fleet_next_release(&c->next);
		if (kup_fleet_next_block(&c->next, "%s", c->perr) != KUP_OK)
			c->oom = true;
		return;
	}
	struct stat db;
	bool dump_seen = fc->dump && stat(fc->dump, &db) == 0;
	bool dump_same = !fc->dump || (dump_seen == c->dump_seen &&
					(!dump_seen || (db.st_dev == c->ddev && db.st_ino == c->dino &&
							db.st_size == c->dsize &&
							db.st_mtim.tv_sec == c->dmtime.tv_sec &&
							db.st_mtim.tv_nsec == c->dmtime.tv_nsec)));
	if (!force && !keep && c->evaluated && sb.st_dev == c->dev && sb.st_ino == c->ino &&
	    sb.st_size == c->size && sb.st_mtim.tv_sec == c->mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == c->mtime.tv_nsec && dump_same)
		return;
	c->dump_seen = dump_seen;
	if (dump_seen) {
		c->ddev = db.st_dev;
		c->dino = db.st_ino;
		c->dsize = db.st_size;
		c->dmtime = db.st_mtim;
	}
	c->dev = sb.st_dev;
	c->ino = sb.st_ino;
	c->size = sb.st_size;
	c->mtime = sb.st_mtim;
	c->evaluated = true;
	kup_fleet_next_release(&c->next);
	if ((pst = kup_profile_load(fc->profile, &p, &err)) != KUP_OK) {
		c->prof_ok = false;
		if (pst == KUP_NOMEM || err.code == KUP_NOMEM)
			c->oom = true;
		if (err.line)
			snprintf(c->perr, sizeof(c->perr), "cannot read profile '%s': line %u, column %u: %s",
				 fc->profile, (unsigned)err.line, (unsigned)err.column,
				 err.msg ? err.msg : "malformed");
		else
			snprintf(c->perr, sizeof(c->perr), "cannot read profile '%s': %s", fc->profile,
				 err.msg ? err.msg : "malformed");
		if (kup_fleet_next_block(&c->next, "%s", c->perr) != KUP_OK)
			c->oom = true;
		goto out;
	}
	c->prof_ok = true;
	c->perr[0] = '\0';
	kup_error_release(&err);
	if (kup_fleet_next_step(kb, p, &f->target, fc->dump, &c->next, &fb, &err) != KUP_OK) {
		if (kup_fleet_next_block(&c->next, "cannot plan: %s",
					 err.msg ? err.msg : kup_strerror(err.code)) != KUP_OK ||
		    err.code == KUP_NOMEM)
			c->oom = true;
	}
	if (fb && fallback)
		*fallback = true;
	if (keep) {
		*keep = p;
		p = NULL;
	}
out:
	kup_error_release(&err);
	kup_profile_free(p);
}

/* ---- store rows -------------------------------------------------------------- */

struct rows_ctx {
	struct loop *L;
	size_t seen;
};

static enum kup_status on_cluster_row(void *ctx, const struct kup_store_cluster *r)
{
	struct rows_ctx *rc = ctx;
	long i = find_cl(rc->L, r->name);
	if (i < 0)
		return KUP_OK;   /* a cluster no longer in the fleet file */
	struct cl *c = &rc->L->cls[i];
	c->in_store = true;
	c->state = from_store(r->state, r->reason);
	set_str(&c->reason, r->reason);
	set_str(&c->blockers, r->blockers);
	c->failures = r->failures;
	c->attempt = r->attempt;
	c->updated_at = r->updated_at;
	rc->seen++;
	return KUP_OK;
}

static enum kup_status on_wave_row(void *ctx, const struct kup_store_wave *w)
{
	struct loop *L = ctx;
	long i = kup_fleet_find_wave(L->fleet, w->name);
	if (i < 0)
		return KUP_OK;
	L->wv[i].complete_at_ms = w->completed_at;
	L->wv[i].approved = w->approved_by != NULL;
	L->wv[i].paused = w->paused;
	L->whalted[i] = w->state == KUP_WAVE_HALTED;
	set_str(&L->wreason[i], w->reason);
	return KUP_OK;
}

static void free_cls(struct loop *L)
{
	for (size_t i = 0; i < L->ncls; i++) {
		struct cl *c = &L->cls[i];
		if (c->drv) {
			kup_driver_abort(c->drv);
			kup_driver_release(c->drv);
			free(c->drv);
		}
		free(c->name);
		free(c->reason);
		free(c->step_out);
		free(c->blockers);
		kup_fleet_next_release(&c->next);
	}
	free(L->cls);
	free(L->hash);
	free(L->views);
	free(L->dec);
	L->cls = NULL;
	L->hash = NULL;
	L->ncls = L->hcap = 0;
	L->views = NULL;
	L->dec = NULL;
	for (size_t w = 0; L->wreason && w < L->fleet->nwaves; w++)
		free(L->wreason[w]);
	free(L->wv);
	free(L->wchanged);
	free(L->whalted);
	free(L->wreason);
	L->wv = NULL;
	L->wchanged = L->whalted = NULL;
	L->wreason = NULL;
}

/* (Re)builds the per-cluster table for L->fleet, keeping runtime state of clusters that stay. */
static enum kup_status build_cls(struct loop *L, struct cl *old, size_t nold, struct kup_error *err)
{
	const struct kup_fleet *f = L->fleet;
	size_t n = f->nclusters, cap = 16;

	while (cap < n * 2)
		cap <<= 1;
	L->cls = kup_calloc(n ? n : 1, sizeof(*L->cls));
	L->hash = kup_calloc(cap, sizeof(*L->hash));
	L->views = kup_calloc(n ? n : 1, sizeof(*L->views));
	L->dec = kup_calloc(n ? n : 1, sizeof(*L->dec));
	L->wv = kup_calloc(f->nwaves ? f->nwaves : 1, sizeof(*L->wv));
	L->wchanged = kup_calloc(f->nwaves ? f->nwaves : 1, sizeof(bool));
	L->whalted = kup_calloc(f->nwaves ? f->nwaves : 1, sizeof(bool));
	L->wreason = kup_calloc(f->nwaves ? f->nwaves : 1, sizeof(char *));
	if (!L->cls || !L->hash || !L->views || !L->dec || !L->wv || !L->wchanged || !L->whalted ||
	    !L->wreason)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	L->hcap = cap;
	L->ncls = n;
	for (size_t i = 0; i < n; i++) {
		struct cl *c = &L->cls[i];
		c->idx = i;
		for (size_t j = 0; j < nold; j++)
			if (old[j].name && strcmp(old[j].name, f->clusters[i].name) == 0) {
				*c = old[j];
				c->idx = i;
				c->evaluated = false;   /* the profile path may have changed */
				memset(&old[j], 0, sizeof(old[j]));
				break;
			}
		if (!c->name)
			c->name = kup_strdup(f->clusters[i].name);
		if (!c->name)
			return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
		for (size_t h = hash_name(c->name) & (cap - 1);; h = (h + 1) & (cap - 1))
			if (!L->hash[h]) {
				L->hash[h] = i + 1;
				break;
			}
	}
	return KUP_OK;
}

static enum kup_status declare(struct loop *L, struct kup_error *err)
{
	const struct kup_fleet *f = L->fleet;
	struct kup_store_decl *d = kup_calloc(f->nclusters ? f->nclusters : 1, sizeof(*d));
	enum kup_status st;
	char tgt[32];

	if (!d)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	kup_version_minor_str(&f->target, tgt, sizeof(tgt));
	for (size_t i = 0; i < f->nclusters; i++) {
		d[i].name = f->clusters[i].name;
		d[i].wave = f->waves[f->clusters[i].wave].name;
		d[i].target = tgt;
	}
	st = kup_store_declare_clusters(L->store, d, f->nclusters, L->now, err);
	free(d);
	for (size_t i = 0; st == KUP_OK && i < f->nwaves; i++) {
		struct kup_store_wave w;
		struct kup_arena a;
		kup_arena_init(&a, 1024);
		if (kup_store_get_wave(L->store, f->waves[i].name, &a, &w, err) == KUP_NOTFOUND) {
			kup_error_release(err);
			memset(&w, 0, sizeof(w));
			w.name = f->waves[i].name;
			w.order = (unsigned)i;
			st = kup_store_put_wave(L->store, &w, L->now, err);
		}
		kup_arena_release(&a);
	}
	return st;
}

/* Reads store rows into L; KUP_UNAVAILABLE passes through. */
static enum kup_status read_state(struct loop *L, struct kup_error *err)
{
	struct rows_ctx rc = { L, 0 };
	struct kup_store_cluster_filter flt = { 0 };
	enum kup_status st;

	flt.page = 2000;
	for (size_t w = 0; w < L->fleet->nwaves; w++) {
		L->wv[w] = (struct kup_fleet_wave_view){ 0 };
		L->whalted[w] = false;
	}
	st = kup_store_list_clusters(L->store, &flt, on_cluster_row, &rc, err);
	if (st == KUP_OK)
		st = kup_store_list_waves(L->store, on_wave_row, L, err);
	if (st == KUP_OK)
		st = kup_store_fleet_paused(L->store, &L->fleet_paused, err);
	L->halted = L->fleet_paused;
	for (size_t w = 0; w < L->fleet->nwaves; w++)
		if (L->whalted[w])
			L->halted = true;
	return st;
}

/* The first wave not yet passed (complete, soaked, approved); nwaves when all passed. */
static size_t frontier(const struct kup_fleet *f, const struct cl *cls,
		       const struct kup_fleet_wave_view *wv, int64_t now)
{
	for (size_t w = 0; w < f->nwaves; w++) {
		bool complete = true;
		for (size_t i = 0; i < f->nclusters && complete; i++)
			if (f->clusters[i].wave == w && cls[i].state != KUP_FLEET_DONE)
				complete = false;
		if (!complete || (f->waves[w].soak && now < wv[w].complete_at_ms + f->waves[w].soak * 1000) ||
		    !wv[w].complete_at_ms || (f->waves[w].approval && !wv[w].approved))
			return w;
	}
	return f->nwaves;
}

static void fill_views(struct loop *L)
{
	for (size_t i = 0; i < L->ncls; i++) {
		struct cl *c = &L->cls[i];
		L->views[i].state = c->state;
		L->views[i].at_target = c->evaluated && c->prof_ok && c->next.kind == KUP_FLEET_NEXT_DONE;
		L->views[i].blocked = c->evaluated && c->next.kind == KUP_FLEET_NEXT_BLOCKED;
		L->views[i].busy = c->job != JOB_NONE;
	}
}

/* ---- snapshot (status, plan, report) ------------------------------------------------ */

enum kup_status kup_fleet_snapshot(const struct kup_fleet *f, struct kup_store *s,
				   const struct kup_kb *kb, const struct kup_fleet_live *live,
				   int64_t now_ms, struct kup_fleet_snapshot **out,
				   struct kup_error *err)
{
	struct loop L;
	struct kup_fleet_snapshot *snap;
	enum kup_status st;
	char tgt[32];

	*out = NULL;
	memset(&L, 0, sizeof(L));
	L.fleet = (struct kup_fleet *)f;
	L.store = s;
	L.now = now_ms;
	snap = kup_calloc(1, sizeof(*snap));
	if (!snap)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	kup_arena_init(&snap->arena, 65536);
	snap->fleet = f;
	snap->now_ms = now_ms;
	if ((st = build_cls(&L, NULL, 0, err)) != KUP_OK)
		goto out;
	if ((st = read_state(&L, err)) != KUP_OK)
		goto out;
	snap->paused = L.fleet_paused;
	snap->halted = L.halted && !L.fleet_paused;
	snap->rows = kup_arena_zalloc(&snap->arena, (f->nclusters ? f->nclusters : 1) * sizeof(*snap->rows));
	snap->waves = kup_arena_zalloc(&snap->arena, (f->nwaves ? f->nwaves : 1) * sizeof(*snap->waves));
	if (!snap->rows || !snap->waves) {
		st = kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
		goto out;
	}
	snap->nrows = f->nclusters;   /* zeroed rows: their profiles are freed on any failure */
	kup_version_minor_str(&f->target, tgt, sizeof(tgt));
	for (size_t i = 0; i < L.ncls; i++) {
		struct kup_profile *p = NULL;
		st = evaluate_with(&L.cls[i], f, kb, live, true, &snap->planner_fallback, &p);
		snap->rows[i].profile = p;
		if (st != KUP_OK) {
			kup_error_set(err, st, NULL, 0, 0, "out of memory");
			goto out;
		}
	}
	fill_views(&L);
	if (!kup_fleet_decide(f, L.views, L.wv, L.halted, now_ms, L.dec, NULL)) {
		st = kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < L.ncls; i++) {
		struct cl *c = &L.cls[i];
		struct kup_fleet_row *r = &snap->rows[i];
		r->name = f->clusters[i].name;
		r->wave = f->waves[f->clusters[i].wave].name;
		r->target = kup_arena_strdup(&snap->arena, tgt);
		r->version = r->profile ? r->profile->cp_version_text : NULL;
		r->state = c->state;
		r->next = c->next;    /* its strings copied into the snapshot's arena */
		r->next.component = arena_text(&snap->arena, c->next.component);
		r->next.from = arena_text(&snap->arena, c->next.from);
		r->next.to = arena_text(&snap->arena, c->next.to);
		r->next.why = arena_text(&snap->arena, c->next.why);
		r->next.version = arena_text(&snap->arena, c->next.version);
		r->has_next = true;   /* every cluster was evaluated above */
		r->decision = L.dec[i];
		r->reason = c->reason ? kup_arena_strdup(&snap->arena, c->reason) : NULL;
		if (c->blockers)
			r->blockers = kup_arena_strdup(&snap->arena, c->blockers);
		else if (c->next.kind == KUP_FLEET_NEXT_BLOCKED)
			r->blockers = r->next.why;
		r->failures = c->failures;
		r->attempt = c->attempt;
		r->updated_at = c->updated_at;
		struct kup_fleet_wave_row *w = &snap->waves[f->clusters[i].wave];
		w->nclusters++;
		if (c->state == KUP_FLEET_DONE)
			w->ndone++;
		else if (c->state == KUP_FLEET_FAILED)
			w->nfailed++;
		else if (c->state == KUP_FLEET_HELD || (c->state == KUP_FLEET_PENDING &&
							c->next.kind == KUP_FLEET_NEXT_BLOCKED))
			w->nheld++;
		else if (c->state != KUP_FLEET_PENDING)
			w->nrunning++;
	}
	snap->nrows = L.ncls;
	for (size_t w = 0; w < f->nwaves; w++) {
		struct kup_fleet_wave_row *wr = &snap->waves[w];
		struct kup_store_wave sw;
		wr->name = f->waves[w].name;
		wr->approval = f->waves[w].approval;
		wr->complete_at_ms = L.wv[w].complete_at_ms;
		if (!wr->complete_at_ms && wr->nclusters && wr->ndone == wr->nclusters)
			wr->complete_at_ms = now_ms;
		wr->soak_until_ms = wr->complete_at_ms ? wr->complete_at_ms + f->waves[w].soak * 1000 : 0;
		wr->paused = L.wv[w].paused;
		wr->halted = L.whalted[w];
		wr->reason = L.wreason[w] ? kup_arena_strdup(&snap->arena, L.wreason[w]) : NULL;
		if (kup_store_get_wave(s, wr->name, &snap->arena, &sw, err) == KUP_OK)
			wr->approved_by = sw.approved_by;
		else
			kup_error_release(err);
	}
	snap->nwaves = f->nwaves;
	st = KUP_OK;
out:
	free_cls(&L);
	if (st != KUP_OK) {
		kup_fleet_snapshot_free(snap);
		return st;
	}
	*out = snap;
	return KUP_OK;
}

void kup_fleet_snapshot_free(struct kup_fleet_snapshot *snap)
{
	if (!snap)
		return;
	for (size_t i = 0; snap->rows && i < snap->nrows; i++)
		kup_profile_free((struct kup_profile *)snap->rows[i].profile);
	kup_arena_release(&snap->arena);
	free(snap);
}

/* ---- acting ------------------------------------------------------------------------ */

/* A driver's output file, malloc'd (whole, whatever the lengths); NULL when memory ran out. */
static char *out_path(struct loop *L)
{
	struct kup_buf b = KUP_BUF_INIT;

	kup_buf_addf(&b, "%s/kupgrade-fleet-%ld-%u.out", L->work_dir, (long)getpid(), ++L->seq);
	return kup_buf_detach(&b, NULL);
}

/* A step's output file: named by fleet, cluster and step id, so a successor finds it. */
static char *step_out_path(struct loop *L, const char *cluster, int64_t id)
{
	struct kup_buf b = KUP_BUF_INIT;

	kup_buf_addf(&b, "%s/kupgrade-fleet-%s-%s-step-%lld.out", L->work_dir, L->fleet->name,
		     cluster, (long long)id);
	return kup_buf_detach(&b, NULL);
}

static void fill_vars(struct loop *L, struct cl *c, const char *type, const char *component,
		      const char *version, struct kup_fleet_vars *v)
{
	const struct kup_fleet_cluster *fc = &L->fleet->clusters[c->idx];
	static char pool[128];
	memset(v, 0, sizeof(*v));
	v->cluster = fc->name;
	v->context = fc->context;
	v->kubeconfig = fc->kubeconfig ? fc->kubeconfig : getenv("KUBECONFIG");
	v->type = type;
	v->component = component;
	v->version = version;
	if (type && strcmp(type, "nodepool") == 0 && component) {
		const char *sl = strchr(component, '/');
		snprintf(pool, sizeof(pool), "%s", sl ? sl + 1 : component);
		v->pool = pool;
	}
	if (type && (strcmp(type, "addon") == 0 || strcmp(type, "chart") == 0))
		v->addon = component;
}

/* Writes the cluster row (with this replica's lease); updates the in-memory state. */
static enum kup_status put_row(struct loop *L, struct cl *c, enum kup_fleet_state st,
			       const char *reason, const char *blockers, struct kup_error *err)
{
	struct kup_store_cluster row;
	char tgt[32], nx[300];
	enum kup_status rc;

	memset(&row, 0, sizeof(row));
	kup_version_minor_str(&L->fleet->target, tgt, sizeof(tgt));
	next_text(&c->next, nx, sizeof(nx));
	row.name = c->name;
	row.wave = L->fleet->waves[L->fleet->clusters[c->idx].wave].name;
	row.state = to_store(st);
	row.version = c->next.version && c->next.version[0] ? c->next.version : NULL;
	row.target = tgt;
	row.next_step = c->evaluated ? nx : NULL;
	row.blockers = blockers;
	row.reason = reason;
	rc = kup_store_put_cluster(L->store, &row, L->holder, L->now, err);
	if (rc == KUP_OK) {
		c->state = st;
		set_str(&c->reason, reason);
		set_str(&c->blockers, blockers);
	}
	return rc;
}

static void add_event(struct loop *L, const char *cluster, const char *wave, const char *kind,
		      const char *msg, int code, const char *tail)
{
	struct kup_store_event ev = { 0 };
	struct kup_error err = KUP_ERROR_INIT;
	ev.at = L->now;
	ev.cluster = cluster;
	ev.wave = wave;
	ev.kind = kind;
	ev.message = msg;
	ev.exit_code = code;
	ev.output_tail = tail;
	ev.actor = L->holder;
	if (kup_store_add_event(L->store, &ev, NULL, &err) != KUP_OK)
		logf_(L, "cannot record event '%s': %s", kind, err.msg ? err.msg : "?");
	kup_error_release(&err);
}

static const char *wave_of(struct loop *L, struct cl *c)
{
	return L->fleet->waves[L->fleet->clusters[c->idx].wave].name;
}

static void last_line(const char *tail, char *buf, size_t size)
{
	size_t n = strlen(tail);
	while (n && (tail[n - 1] == '\n' || tail[n - 1] == '\r' || tail[n - 1] == ' '))
		n--;
	size_t s = n;
	while (s && tail[s - 1] != '\n')
		s--;
	snprintf(buf, size, "%.*s", (int)(n - s), tail + s);
}

/* A failure: the cluster stops, its wave pauses, the reason is recorded and shown. */
static void fail_cluster(struct loop *L, struct cl *c, const char *reason)
{
	struct kup_error err = KUP_ERROR_INIT;
	char why[600];

	if (put_row(L, c, KUP_FLEET_FAILED, reason, NULL, &err) != KUP_OK) {
		logf_(L, "%s: cannot record the failure: %s", c->name, err.msg ? err.msg : "?");
		kup_error_release(&err);
		return;
	}
	logf_(L, "%s: FAILED: %s", c->name, reason);
	snprintf(why, sizeof(why), "cluster %s failed: %s", c->name, reason);
	if (kup_store_set_paused(L->store, wave_of(L, c), true, L->holder, why, L->now, &err) != KUP_OK)
		logf_(L, "cannot pause wave %s: %s", wave_of(L, c), err.msg ? err.msg : "?");
	else
		logf_(L, "wave %s paused (resume with: kupgrade fleet retry %s, or fleet resume %s)",
		      wave_of(L, c), c->name, wave_of(L, c));
	kup_error_release(&err);
}

static bool spawn_job(struct loop *L, struct cl *c, enum job_kind kind, const char *cmd,
		      int64_t timeout_fleet_ms, int64_t step_id)
{
	struct kup_error err = KUP_ERROR_INIT;
	char *op = kind == JOB_STEP ? step_out_path(L, c->name, step_id) : out_path(L);
	enum kup_status st;

	c->drv = op ? kup_calloc(1, sizeof(*c->drv)) : NULL;
	if (!c->drv) {
		free(op);
		return false;
	}
	st = kup_driver_spawn(c->drv, cmd, L->fleet->dir, op, &err);
	free(op);   /* the driver keeps its own copy */
	if (st != KUP_OK) {
		logf_(L, "%s: cannot run '%s': %s", c->name, cmd, err.msg ? err.msg : "?");
		kup_error_release(&err);
		free(c->drv);
		c->drv = NULL;
		return false;
	}
	if (kind == JOB_STEP &&
	    kup_store_step_set_pid(L->store, step_id, c->drv->pid, L->holder, L->now, &err) != KUP_OK) {
		/* the child never ran the command: end it, leave the step to be settled */
		logf_(L, "%s: cannot record the driver pid: %s", c->name, err.msg ? err.msg : "?");
		L->store_errors += err.code != KUP_CONFLICT;
		kup_error_release(&err);
		kup_driver_abort(c->drv);
		kup_driver_release(c->drv);
		free(c->drv);
		c->drv = NULL;
		c->recovered = false;
		return false;
	}
	kup_driver_go(c->drv, kup_fleet_clock_real_ms(&L->clock, timeout_fleet_ms));
	c->job = kind;
	c->step_id = step_id;
	return true;
}

static void start_step(struct loop *L, struct cl *c)
{
	const struct kup_fleet_next *n = &c->next;
	const char *type = kup_step_type_name(n->type);
	const char *tmpl = (unsigned)n->type < KUP_FLEET_CMD_VERIFY ? L->fleet->cmd[n->type].text : NULL;
	struct kup_store_step step;
	struct kup_fleet_vars v;
	struct kup_buf cmd = KUP_BUF_INIT;
	struct kup_error err = KUP_ERROR_INIT;
	int64_t id = 0;
	enum kup_status st;
	char why[600];

	if (!tmpl) {
		snprintf(why, sizeof(why), "the driver has no command for step type '%s'", type);
		fail_cluster(L, c, why);
		return;
	}
	const char *comp = n->component;
	fill_vars(L, c, type, comp, n->to, &v);
	kup_buf_init(&cmd);
	kup_fleet_expand(tmpl, &v, &cmd);
	memset(&step, 0, sizeof(step));
	step.cluster = c->name;
	step.order = 0;
	step.type = type;
	step.component = comp;
	step.from = n->from;
	step.to = n->to;
	step.run_by = L->holder;
	st = kup_store_step_start(L->store, &step, L->holder, L->now, &id, &err);
	if (st == KUP_CONFLICT) {
		struct kup_store_step prev;
		struct kup_arena a;
		kup_arena_init(&a, 1024);
		kup_error_release(&err);
		if (kup_store_find_step(L->store, c->name, type, comp, n->to, &a, &prev, &err) == KUP_OK &&
		    prev.state == KUP_STEP_STARTED) {
			c->recovered = false;   /* settle it first */
		} else if (kup_store_lease_check(L->store, c->name, L->holder, L->now, &err) != KUP_OK) {
			c->leased = false;
		} else {
			/* The step ended (a driver of an earlier controller may have finished it
			   just now) after this tick read the profile: read it again, now, before
			   deciding that the result is missing. */
			struct kup_fleet_next was = c->next;   /* its strings are was's now */
			memset(&c->next, 0, sizeof(c->next));
			c->evaluated = false;
			if (evaluate_with(c, L->fleet, L->o->kb, &L->o->live, false, NULL, NULL) != KUP_OK)
				L->oom = true;
			else if (c->next.kind == KUP_FLEET_NEXT_STEP && c->next.type == was.type &&
				 strcmp(c->next.component, was.component) == 0 &&
				 strcmp(c->next.to, was.to) == 0) {
				snprintf(why, sizeof(why), "step %s %s -> %s already ran (exactly once) but "
					 "the profile does not show its result: check the cluster, then run "
					 "'kupgrade fleet retry %s'", type, was.component, was.to, c->name);
				fail_cluster(L, c, why);
			}
			kup_fleet_next_release(&was);
		}
		kup_arena_release(&a);
		goto out;
	}
	if (st != KUP_OK) {
		logf_(L, "%s: cannot record the start of %s %s: %s", c->name, type, comp,
		      err.msg ? err.msg : "?");
		L->store_errors += st != KUP_CONFLICT;
		goto out;
	}
	snprintf(c->step_desc, sizeof(c->step_desc), "%s %s %s -> %s", type, comp,
		 n->from[0] ? n->from : "?", n->to);
	if (!spawn_job(L, c, JOB_STEP, cmd.buf, L->fleet->timeout * 1000, id))
		goto out;
	logf_(L, "%s: step %s started (step %lld, pid %ld)", c->name, c->step_desc, (long long)id,
	      (long)c->drv->pid);
out:
	kup_buf_release(&cmd);
	kup_error_release(&err);
}

static void start_health(struct loop *L, struct cl *c)
{
	struct kup_fleet_vars v;
	struct kup_buf cmd = KUP_BUF_INIT;

	fill_vars(L, c, "health", NULL, c->next.version, &v);
	kup_buf_init(&cmd);
	kup_fleet_expand(L->fleet->cmd[KUP_FLEET_CMD_HEALTH].text, &v, &cmd);
	spawn_job(L, c, JOB_HEALTH, cmd.buf, L->fleet->timeout * 1000, 0);
	kup_buf_release(&cmd);
}

struct unfinished {
	bool found;
	int64_t id, pid;
	char type[64], component[128], to[64], run_by[128];
};

static enum kup_status on_unfinished(void *ctx, const struct kup_store_step *s)
{
	struct unfinished *u = ctx;
	if (u->found)
		return KUP_OK;
	u->found = true;
	u->id = s->id;
	u->pid = s->pid;
	snprintf(u->type, sizeof(u->type), "%s", s->type ? s->type : "");
	snprintf(u->component, sizeof(u->component), "%s", s->component ? s->component : "");
	snprintf(u->to, sizeof(u->to), "%s", s->to ? s->to : "");
	snprintf(u->run_by, sizeof(u->run_by), "%s", s->run_by ? s->run_by : "?");
	return KUP_OK;
}

/* Settles an interrupted step; true when the cluster may go on now. */
static bool recover(struct loop *L, struct cl *c)
{
	struct unfinished u = { 0 };
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_fleet_vars v;
	struct kup_buf cmd = KUP_BUF_INIT;

	if (kup_store_list_unfinished(L->store, c->name, on_unfinished, &u, &err) != KUP_OK) {
		logf_(L, "%s: cannot list unfinished steps: %s", c->name, err.msg ? err.msg : "?");
		kup_error_release(&err);
		return false;
	}
	if (!u.found) {
		c->recovered = true;
		return true;
	}
	if (u.pid > 0 && kup_process_group_alive((pid_t)u.pid)) {
		char w[320];
		snprintf(w, sizeof(w), "waiting for the driver of step %lld (pid %lld, started by %s) to end",
			 (long long)u.id, (long long)u.pid, u.run_by);
		if (strcmp(w, c->waiting) != 0) {
			logf_(L, "%s: %s", c->name, w);
			snprintf(c->waiting, sizeof(c->waiting), "%s", w);
		}
		return false;
	}
	fill_vars(L, c, u.type, u.component, u.to, &v);
	kup_buf_init(&cmd);
	kup_fleet_expand(L->fleet->cmd[KUP_FLEET_CMD_VERIFY].text, &v, &cmd);
	snprintf(c->step_desc, sizeof(c->step_desc), "%s %s -> %s", u.type, u.component, u.to);
	c->step_pid = u.pid;
	free(c->step_out);
	c->step_out = step_out_path(L, c->name, u.id);
	if (u.pid > 0 && c->step_out && kup_driver_never_ran(c->step_out, (pid_t)u.pid)) {
		logf_(L, "%s: the driver of step %lld (pid %lld) was never let go: it did not run",
		      c->name, (long long)u.id, (long long)u.pid);
		c->step_pid = 0;
	}
	if (spawn_job(L, c, JOB_VERIFY, cmd.buf, L->fleet->timeout * 1000, u.id))
		logf_(L, "%s: step %lld (%s) was interrupted (pid %lld has ended): verifying",
		      c->name, (long long)u.id, c->step_desc, (long long)u.pid);
	kup_buf_release(&cmd);
	return false;
}

/* Moves one cluster as far as it can go now (it holds the lease and may act). */
static void act(struct loop *L, struct cl *c)
{
	struct kup_error err = KUP_ERROR_INIT;
	const struct kup_fleet *f = L->fleet;
	bool health = f->cmd[KUP_FLEET_CMD_HEALTH].text != NULL;

	if (c->job != JOB_NONE || c->finish_pending)
		return;
	if (!c->evaluated && evaluate_with(c, f, L->o->kb, &L->o->live, false, NULL, NULL) != KUP_OK) {
		L->oom = true;
		return;
	}
	if (!c->recovered && !recover(L, c))
		return;
	for (int guard = 0; guard < 4 && c->job == JOB_NONE; guard++) {
		enum kup_fleet_state before = c->state;
		switch (c->state) {
		case KUP_FLEET_DONE:
		case KUP_FLEET_FAILED:
			return;
		case KUP_FLEET_HELD:
		case KUP_FLEET_PENDING:
			if (c->next.kind == KUP_FLEET_NEXT_DONE && c->prof_ok) {
				if (put_row(L, c, KUP_FLEET_DONE, "already at the target", NULL, &err) == KUP_OK) {
					add_event(L, c->name, wave_of(L, c), "cluster-done",
						  "already at the target", -1, NULL);
					logf_(L, "%s: already at the target", c->name);
				}
				break;
			}
			if (c->next.kind == KUP_FLEET_NEXT_BLOCKED) {
				if (c->state != KUP_FLEET_HELD || !c->blockers ||
				    strcmp(c->blockers, c->next.why ? c->next.why : "") != 0) {
					if (put_row(L, c, KUP_FLEET_HELD, "plan blocked: not attempted",
						    c->next.why, &err) == KUP_OK) {
						add_event(L, c->name, wave_of(L, c), "held", c->next.why, -1, NULL);
						logf_(L, "%s: held: %s", c->name, c->next.why);
					}
				}
				return;
			}
			if (c->state == KUP_FLEET_HELD) {
				/* the profile changed and the plan is no longer blocked */
				if (put_row(L, c, KUP_FLEET_PENDING, "plan no longer blocked", NULL, &err) == KUP_OK) {
					add_event(L, c->name, wave_of(L, c), "unheld", "plan no longer blocked", -1,
						  NULL);
					logf_(L, "%s: plan no longer blocked", c->name);
				}
				break;
			}
			if (L->dec[c->idx].wait != KUP_FLEET_GO)
				return;
			if (health) {
				if (put_row(L, c, KUP_FLEET_PRE_HEALTH, "health gate before the upgrade", NULL,
					    &err) == KUP_OK) {
					c->health_ok = 0;
					c->health_next_ms = L->now;
					c->gate_start_ms = L->now;
					logf_(L, "%s: upgrade begins: health gate", c->name);
				}
			} else if (put_row(L, c, KUP_FLEET_UPGRADING, "upgrading", NULL, &err) == KUP_OK) {
				logf_(L, "%s: upgrade begins", c->name);
			}
			break;
		case KUP_FLEET_PRE_HEALTH:
		case KUP_FLEET_POST_HEALTH:
			if (!health) {
				put_row(L, c, c->state == KUP_FLEET_PRE_HEALTH ? KUP_FLEET_UPGRADING
					: KUP_FLEET_DONE, c->state == KUP_FLEET_PRE_HEALTH ? "upgrading"
					: "at the target", NULL, &err);
				break;
			}
			if (!c->gate_start_ms)
				c->gate_start_ms = L->now;
			if (L->now >= c->health_next_ms)
				start_health(L, c);
			return;
		case KUP_FLEET_UPGRADING:
			if (c->next.kind == KUP_FLEET_NEXT_DONE && c->prof_ok) {
				if (health) {
					if (put_row(L, c, KUP_FLEET_POST_HEALTH, "health gate after the upgrade",
						    NULL, &err) == KUP_OK) {
						c->health_ok = 0;
						c->health_next_ms = L->now;
						c->gate_start_ms = L->now;
					}
				} else if (put_row(L, c, KUP_FLEET_DONE, "at the target", NULL, &err) == KUP_OK) {
					add_event(L, c->name, wave_of(L, c), "cluster-done", "at the target", -1,
						  NULL);
					logf_(L, "%s: at the target", c->name);
				}
				break;
			}
			if (c->next.kind == KUP_FLEET_NEXT_BLOCKED) {
				struct kup_buf why = KUP_BUF_INIT;

				kup_buf_addf(&why, "plan blocked mid-upgrade: %s",
					     c->next.why ? c->next.why : "");
				if (why.oom)
					L->oom = true;
				else
					fail_cluster(L, c, why.buf);
				kup_buf_release(&why);
				return;
			}
			if (L->dec[c->idx].wait != KUP_FLEET_GO)
				return;
			start_step(L, c);
			return;
		}
		if (err.code != KUP_OK) {
			logf_(L, "%s: cannot record state: %s", c->name, err.msg ? err.msg : "?");
			if (err.code == KUP_CONFLICT)
				c->leased = false;
			else
				L->store_errors++;
			kup_error_release(&err);
			return;
		}
		if (c->state == before)
			return;
	}
	kup_error_release(&err);
}

/* Records a finished job; false when the store could not take it (kept for later). */
static bool job_done(struct loop *L, struct cl *c)
{
	struct kup_driver *d = c->drv;
	struct kup_error err = KUP_ERROR_INIT;
	char line[300], why[900];
	bool ok = d->status == 0, not_run = false;
	enum kup_status st = KUP_OK;
	const bool cut = d->tail_cut;
	(void)cut;

	last_line(d->tail, line, sizeof(line));
	switch (c->job) {
	case JOB_NONE:
		break;
	case JOB_STEP:
		if ((st = kup_store_begin(L->store, &err)) != KUP_OK)
			break;
		/* The step's end and the cluster's next state in one transaction: a
		   controller killed between the two would leave a finished step that the
		   next one takes for a step that ran without its result. */
		kup_store_step_finish(L->store, c->step_id, ok, d->status, d->tail, L->holder, L->now, &err);
		if (ok) {
			c->evaluated = false;   /* re-read the profile after every step */
			put_row(L, c, KUP_FLEET_UPGRADING, "upgrading", NULL, &err);
		} else {
			snprintf(why, sizeof(why), "step %s %s (exit %d)%s%s", c->step_desc,
				 d->timed_out ? "timed out" : "failed", d->status, line[0] ? ": " : "", line);
			fail_cluster(L, c, why);
		}
		st = kup_store_commit(L->store, &err);
		if (st != KUP_OK)
			break;
		if (ok)
			logf_(L, "%s: step %s succeeded", c->name, c->step_desc);
		break;
	case JOB_VERIFY:
		if ((st = kup_store_begin(L->store, &err)) != KUP_OK)
			break;
		snprintf(why, sizeof(why), "verify after a crash (exit %d)%s%s", d->status,
			 line[0] ? ": " : "", line);
		/* Settled and the cluster's next state in one transaction (see JOB_STEP). */
		kup_store_step_settle(L->store, c->step_id, ok, why, L->holder, L->now, &err);
		if (ok) {
			c->evaluated = false;
			put_row(L, c, KUP_FLEET_UPGRADING, "upgrading", NULL, &err);
		} else if (c->step_pid == 0) {
			/* the pid was never recorded: the child never exec'd, the step never ran */
			snprintf(why, sizeof(why), "step %s was interrupted before its command ran "
				 "(no pid recorded) and verify says it is not in place", c->step_desc);
			if (put_row(L, c, KUP_FLEET_FAILED, why, NULL, &err) == KUP_OK &&
			    kup_store_retry_cluster(L->store, c->name, L->holder, L->now, &err) == KUP_OK)
				not_run = true;
		} else {
			snprintf(why, sizeof(why), "step %s was interrupted by a crash and verify says it "
				 "is not in place (exit %d)%s%s", c->step_desc, d->status,
				 line[0] ? ": " : "", line);
			fail_cluster(L, c, why);
		}
		st = kup_store_commit(L->store, &err);
		if (st != KUP_OK)
			break;
		if (ok) {
			logf_(L, "%s: interrupted step %s is in place (verify): settled as done", c->name,
			      c->step_desc);
		} else if (not_run) {
			c->state = KUP_FLEET_PENDING;
			add_event(L, c->name, wave_of(L, c), "step-not-run", why, -1, NULL);
			logf_(L, "%s: %s: starting it again (attempt +1)", c->name, why);
		}
		if (c->step_out) {
			unlink(c->step_out);
			free(c->step_out);
			c->step_out = NULL;
		}
		c->recovered = false;   /* look again: there may be more */
		break;
	case JOB_HEALTH: {
		int64_t limit = L->fleet->timeout * 1000;
		bool pre = c->state == KUP_FLEET_PRE_HEALTH;
		c->health_ok = ok ? c->health_ok + 1 : 0;
		c->health_next_ms = L->now + L->fleet->health_interval * 1000;
		if (c->health_ok >= L->fleet->health_successes) {
			if (pre) {
				if (put_row(L, c, KUP_FLEET_UPGRADING, "upgrading", NULL, &err) == KUP_OK)
					logf_(L, "%s: healthy before the upgrade", c->name);
			} else if (put_row(L, c, KUP_FLEET_DONE, "at the target, healthy", NULL, &err) == KUP_OK) {
				add_event(L, c->name, wave_of(L, c), "cluster-done", "at the target, healthy",
					  -1, NULL);
				logf_(L, "%s: at the target, healthy", c->name);
			}
		} else if (!ok && L->now - c->gate_start_ms > limit) {
			char t[32];
			snprintf(why, sizeof(why), "health gate %s the upgrade: not %u consecutive successes "
				 "within %s (last exit %d)%s%s", pre ? "before" : "after",
				 L->fleet->health_successes, kup_fleet_format_duration(L->fleet->timeout, t,
										       sizeof(t)),
				 d->status, line[0] ? ": " : "", line);
			add_event(L, c->name, wave_of(L, c), "health-failed", why, d->status, d->tail);
			fail_cluster(L, c, why);
		}
		if (err.code == KUP_UNAVAILABLE)
			st = KUP_UNAVAILABLE;
		break;
	}
	}
	if (st == KUP_CONFLICT && ++c->lease_conflicts > 3) {
		/* another replica holds the lease: it checks the step (verify), not us */
		logf_(L, "%s: cannot record the result (%s): left to the lease's holder", c->name,
		      err.msg ? err.msg : kup_strerror(st));
		c->leased = false;
		st = KUP_OK;
	} else if (st != KUP_OK) {
		logf_(L, "%s: cannot record the result yet (%s): retrying", c->name,
		      err.msg ? err.msg : kup_strerror(st));
		kup_error_release(&err);
		if (st == KUP_CONFLICT)
			L->renewed_at = INT64_MIN / 2;   /* renew before the next try */
		c->finish_pending = true;
		return false;
	}
	c->lease_conflicts = 0;
	kup_error_release(&err);
	kup_driver_release(c->drv);
	free(c->drv);
	c->drv = NULL;
	c->job = JOB_NONE;
	c->finish_pending = false;
	L->activity = true;
	return true;
}

static int64_t lease_ttl(const struct loop *L)
{
	return (int64_t)((double)L->o->lease_ttl_ms * L->clock.scale);
}

/*
 * Renews our leases when a third of their time has passed: a tick reading
 * many slow clusters, or drivers running past the lease, must not find their
 * results unrecordable (an expired lease still in our name is renewed).
 */
static void keep_leases(struct loop *L)
{
	int64_t now = kup_fleet_clock_now_ms(&L->clock);
	struct kup_error err = KUP_ERROR_INIT;

	if (!L->store || now - L->renewed_at < lease_ttl(L) / 3)
		return;
	if (kup_store_lease_renew(L->store, L->holder, now, lease_ttl(L), NULL, &err) == KUP_OK)
		L->renewed_at = now;
	kup_error_release(&err);
}

static void poll_jobs(struct loop *L)
{
	keep_leases(L);
	for (size_t i = 0; i < L->ncls; i++) {
		struct cl *c = &L->cls[i];
		if (c->job == JOB_NONE || !c->drv)
			continue;
		if (c->finish_pending || kup_driver_poll(c->drv)) {
			L->now = kup_fleet_clock_now_ms(&L->clock);
			job_done(L, c);
		}
	}
}

static size_t njobs(struct loop *L)
{
	size_t n = 0;
	for (size_t i = 0; i < L->ncls; i++)
		n += L->cls[i].job != JOB_NONE;
	return n;
}

/* ---- the fleet file ------------------------------------------------------------ */

static void log_sink(void *ctx, const struct kup_error *e)
{
	struct loop *L = ctx;
	logf_(L, "%s:%u:%u: %s", e->path ? e->path : "?", (unsigned)e->line, (unsigned)e->column,
	      e->msg ? e->msg : "?");
}

/* Refuses a fleet whose plans need a step type without a command. */
static enum kup_status check_drivers(struct loop *L, struct kup_error *err)
{
	const struct kup_fleet *f = L->fleet;
	if (!f->cmd[KUP_FLEET_CMD_VERIFY].text)
		return kup_error_set(err, KUP_INVALID, f->path, 0, 0, "spec.driver has no verify command: "
				     "it is needed to settle a step interrupted by a crash");
	for (size_t i = 0; i < L->ncls; i++) {
		struct cl *c = &L->cls[i];
		if (c->state == KUP_FLEET_DONE)
			continue;
		if (evaluate_with(c, f, L->o->kb, &L->o->live, false, NULL, NULL) != KUP_OK)
			return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
		if (c->next.kind == KUP_FLEET_NEXT_STEP && !f->cmd[c->next.type].text) {
			const struct kup_fleet_cluster *fc = &f->clusters[c->idx];
			return kup_error_set(err, KUP_INVALID, f->path, fc->line, fc->column,
					     "spec.driver has no command for step type '%s' (needed by "
					     "cluster '%s': %s %s -> %s)", kup_step_type_name(c->next.type),
					     c->name, kup_step_type_name(c->next.type), c->next.component,
					     c->next.to);
		}
	}
	/* the types every plan may need, even when not next */
	static const enum kup_fleet_cmd always[] = { KUP_FLEET_CMD_CONTROL_PLANE, KUP_FLEET_CMD_NODEPOOL };
	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		if (!f->cmd[always[i]].text)
			return kup_error_set(err, KUP_INVALID, f->path, 0, 0,
					     "spec.driver has no command for step type '%s'",
					     kup_fleet_cmd_name(always[i]));
	return KUP_OK;
}

static enum kup_status reload_fleet(struct loop *L, bool first, struct kup_error *err)
{
	struct stat sb;
	struct kup_fleet *nf = NULL;
	struct kup_error_sink sink = { log_sink, L };
	enum kup_status st;

	if (stat(L->fleet->path, &sb) == 0 && !first &&
	    sb.st_mtim.tv_sec == L->fleet_mtime.tv_sec && sb.st_mtim.tv_nsec == L->fleet_mtime.tv_nsec)
		return KUP_OK;
	if (!first) {
		st = kup_fleet_load(L->fleet->path, &sink, &nf, err);
		if (st != KUP_OK) {
			logf_(L, "the fleet file changed but does not load: keeping the previous one");
			kup_error_release(err);
			L->fleet_mtime = sb.st_mtim;
			return KUP_OK;
		}
		struct cl *old = L->cls;
		size_t nold = L->ncls;
		struct kup_fleet *of = L->fleet;
		L->cls = NULL;
		L->ncls = 0;
		for (size_t w = 0; L->wreason && w < of->nwaves; w++)
			free(L->wreason[w]);
		free(L->hash); free(L->views); free(L->dec); free(L->wv); free(L->wchanged);
		free(L->whalted); free(L->wreason);
		L->fleet = nf;
		st = build_cls(L, old, nold, err);
		for (size_t i = 0; i < nold; i++) {
			if (old[i].drv) {
				kup_driver_abort(old[i].drv);
				kup_driver_release(old[i].drv);
				free(old[i].drv);
			}
			free(old[i].name);
			free(old[i].reason);
			free(old[i].step_out);
			free(old[i].blockers);
		}
		free(old);
		kup_fleet_free(of);
		if (st != KUP_OK)
			return st;
		logf_(L, "fleet file reloaded (%zu clusters, %zu waves)", nf->nclusters, nf->nwaves);
	}
	L->fleet_mtime = sb.st_mtim;
	return declare(L, err);
}

/* ---- the clock -------------------------------------------------------------------- */

struct clock_ev {
	bool found;
	double scale;
	long long real, fleet;
};

static enum kup_status on_clock_event(void *ctx, const struct kup_store_event *ev)
{
	struct clock_ev *ce = ctx;
	if (!ce->found && ev->kind && strcmp(ev->kind, "clock") == 0 && ev->message &&
	    sscanf(ev->message, "fast-forward clock: scale %lf, real %lld = fleet %lld", &ce->scale,
		   &ce->real, &ce->fleet) == 3)
		ce->found = true;
	return KUP_OK;
}

enum kup_status kup_fleet_clock_from_store(struct kup_store *s, struct kup_fleet_clock *c,
					   bool *found, struct kup_error *err)
{
	struct clock_ev ce = { 0 };
	enum kup_status st = kup_store_list_events(s, NULL, 0, 200, on_clock_event, &ce, err);
	*found = false;
	if (st != KUP_OK)
		return st;
	if (ce.found) {
		c->scale = ce.scale;
		c->anchor_real_ms = ce.real;
		c->anchor_fleet_ms = ce.fleet;
		c->fixed = false;
		*found = true;
	}
	return KUP_OK;
}

/*
 * A scaled clock is anchored once per store (an event "clock"), so fleet
 * time keeps running forward across controller restarts and replicas.
 */
static enum kup_status setup_clock(struct loop *L, struct kup_error *err)
{
	const struct kup_fleet_run_opts *o = L->o;
	double scale = o->time_scale > 0 ? o->time_scale : 1;
	struct clock_ev ce = { 0 };
	enum kup_status st;
	char msg[160];

	kup_fleet_clock_init(&L->clock, scale, o->now_ms);
	st = kup_store_list_events(L->store, NULL, 0, 200, on_clock_event, &ce, err);
	if (st != KUP_OK)
		return st;
	if (o->now_ms) {
		/* --now wins for this process; it anchors the store's clock when it has none */
		if (ce.found)
			return KUP_OK;
	} else if (ce.found) {
		/* a store started on a fast-forward (or moved) clock keeps it */
		if (o->time_scale > 1 && o->time_scale != ce.scale)
			logf_(L, "note: this store runs on the clock it was started with (scale %g); "
			      "--time-scale is ignored", ce.scale);
		L->clock.scale = ce.scale;
		L->clock.anchor_real_ms = ce.real;
		L->clock.anchor_fleet_ms = ce.fleet;
		return KUP_OK;
	} else if (scale == 1) {
		return KUP_OK;
	}
	snprintf(msg, sizeof(msg), "fast-forward clock: scale %g, real %lld = fleet %lld", scale,
		 (long long)L->clock.anchor_real_ms, (long long)L->clock.anchor_fleet_ms);
	struct kup_store_event ev = { 0 };
	ev.at = L->clock.anchor_fleet_ms;
	ev.kind = "clock";
	ev.message = msg;
	ev.exit_code = -1;
	ev.actor = L->holder;
	return kup_store_add_event(L->store, &ev, NULL, err);
}

/* ---- one tick ---------------------------------------------------------------------- */

static void count_result(struct loop *L, struct kup_fleet_run_result *res)
{
	res->store_errors = L->store_errors;
	res->ndone = res->nfailed = res->nheld = res->npending = 0;
	for (size_t i = 0; i < L->ncls; i++) {
		switch (L->cls[i].state) {
		case KUP_FLEET_DONE: res->ndone++; break;
		case KUP_FLEET_FAILED: res->nfailed++; break;
		case KUP_FLEET_HELD: res->nheld++; break;
		default: res->npending++; break;
		}
	}
}

/* True when time alone can still move something (or a job runs). */
static bool can_progress(struct loop *L)
{
	if (njobs(L))
		return true;
	for (size_t i = 0; i < L->ncls; i++) {
		enum kup_fleet_wait w = L->dec[i].wait;
		enum kup_fleet_state s = L->cls[i].state;
		if (s == KUP_FLEET_DONE || s == KUP_FLEET_FAILED || s == KUP_FLEET_HELD)
			continue;
		/* waits on other clusters move only when those can: GO, soak and window do */
		if (w == KUP_FLEET_GO || w == KUP_FLEET_WAIT_SOAK || w == KUP_FLEET_WAIT_WINDOW)
			return true;
	}
	return false;
}

static void halt_check(struct loop *L)
{
	const struct kup_fleet *f = L->fleet;
	struct kup_error err = KUP_ERROR_INIT;

	for (size_t w = 0; w < f->nwaves; w++) {
		size_t failed = 0;
		if (!f->waves[w].max_failures || L->whalted[w])
			continue;
		for (size_t i = 0; i < L->ncls; i++)
			if (f->clusters[i].wave == w && L->cls[i].state == KUP_FLEET_FAILED)
				failed++;
		if (failed < f->waves[w].max_failures)
			continue;
		struct kup_store_wave sw;
		struct kup_arena a;
		char why[200];
		kup_arena_init(&a, 1024);
		if (kup_store_get_wave(L->store, f->waves[w].name, &a, &sw, &err) == KUP_OK) {
			snprintf(why, sizeof(why), "maxFailures reached: %zu failed cluster%s in wave %s "
				 "(maxFailures %u): the fleet is halted", failed, failed == 1 ? "" : "s",
				 f->waves[w].name, f->waves[w].max_failures);
			sw.state = KUP_WAVE_HALTED;
			sw.reason = why;
			if (kup_store_put_wave(L->store, &sw, L->now, &err) == KUP_OK) {
				add_event(L, NULL, f->waves[w].name, "halt", why, -1, NULL);
				logf_(L, "HALT: %s", why);
				L->whalted[w] = true;
				L->halted = true;
			}
		}
		kup_error_release(&err);
		kup_arena_release(&a);
	}
}

static void record_waves(struct loop *L)
{
	const struct kup_fleet *f = L->fleet;
	struct kup_error err = KUP_ERROR_INIT;

	for (size_t w = 0; w < f->nwaves; w++) {
		if (!L->wchanged[w])
			continue;
		struct kup_store_wave sw;
		struct kup_arena a;
		kup_arena_init(&a, 1024);
		if (kup_store_get_wave(L->store, f->waves[w].name, &a, &sw, &err) == KUP_OK) {
			sw.completed_at = L->wv[w].complete_at_ms;
			sw.soak_until = sw.completed_at ? sw.completed_at + f->waves[w].soak * 1000 : 0;
			if (sw.state != KUP_WAVE_HALTED)
				sw.state = sw.completed_at ? (f->waves[w].soak ? KUP_WAVE_SOAKING : KUP_WAVE_COMPLETE)
							   : KUP_WAVE_RUNNING;
			if (kup_store_put_wave(L->store, &sw, L->now, &err) == KUP_OK && sw.completed_at) {
				char m[160], d[32];
				snprintf(m, sizeof(m), "wave %s complete; soak %s%s", f->waves[w].name,
					 kup_fleet_format_duration(f->waves[w].soak, d, sizeof(d)),
					 f->waves[w].approval ? "; needs approval (kupgrade fleet approve)" : "");
				add_event(L, NULL, f->waves[w].name, "wave-complete", m, -1, NULL);
				logf_(L, "%s", m);
			}
		}
		kup_error_release(&err);
		kup_arena_release(&a);
	}
	/* a soaked wave becomes complete */
	for (size_t w = 0; w < f->nwaves; w++) {
		if (!L->wv[w].complete_at_ms || !f->waves[w].soak ||
		    L->now < L->wv[w].complete_at_ms + f->waves[w].soak * 1000)
			continue;
		struct kup_store_wave sw;
		struct kup_arena a;
		kup_arena_init(&a, 1024);
		if (kup_store_get_wave(L->store, f->waves[w].name, &a, &sw, &err) == KUP_OK &&
		    sw.state == KUP_WAVE_SOAKING) {
			sw.state = KUP_WAVE_COMPLETE;
			if (kup_store_put_wave(L->store, &sw, L->now, &err) == KUP_OK) {
				add_event(L, NULL, f->waves[w].name, "wave-soaked", "soak time passed", -1, NULL);
				logf_(L, "wave %s soaked", f->waves[w].name);
			}
		}
		kup_error_release(&err);
		kup_arena_release(&a);
	}
}

struct lease_ctx {
	struct loop *L;
};

static enum kup_status check_drivers(struct loop *L, struct kup_error *err);

static enum kup_status tick(struct loop *L, bool first, struct kup_error *err)
{
	enum kup_status st;
	const struct kup_fleet *f;
	size_t front;
	int64_t ttl;

	L->now = kup_fleet_clock_now_ms(&L->clock);
	if ((st = reload_fleet(L, false, err)) != KUP_OK)
		return st;
	f = L->fleet;
	if ((st = read_state(L, err)) != KUP_OK)
		return st;
	/* profiles: clusters up to the first wave not passed, and every cluster in progress */
	front = frontier(f, L->cls, L->wv, L->now);
	for (size_t i = 0; i < L->ncls; i++) {
		struct cl *c = &L->cls[i];
		if (c->state == KUP_FLEET_DONE || c->state == KUP_FLEET_FAILED)
			continue;
		if (first || f->clusters[i].wave <= front || c->state != KUP_FLEET_PENDING) {
			bool fb = false;
			if (evaluate_with(c, f, L->o->kb, &L->o->live, false, &fb, NULL) != KUP_OK)
				return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
			if (fb && !L->fallback_said) {
				logf_(L, "note: no knowledge base: using the minimal path "
				      "(control plane one minor at a time, node pools following)");
				L->fallback_said = true;
			}
		}
	}
	/* the first tick refuses a fleet whose plans need a command it lacks, before acting */
	if (first && (st = check_drivers(L, err)) != KUP_OK)
		return st;
	fill_views(L);
	if (!kup_fleet_decide(f, L->views, L->wv, L->halted, L->now, L->dec, L->wchanged))
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	record_waves(L);
	halt_check(L);
	if (L->halted)
		for (size_t i = 0; i < L->ncls; i++)
			if (L->dec[i].wait == KUP_FLEET_GO)
				L->dec[i].wait = KUP_FLEET_WAIT_HALTED;
	/* leases: renew ours, take the ones of clusters that may act */
	ttl = lease_ttl(L);
	/* reading the clusters may have taken longer than a lease: from now, not the tick's start */
	L->renewed_at = kup_fleet_clock_now_ms(&L->clock);
	st = kup_store_lease_renew(L->store, L->holder, L->renewed_at, ttl, NULL, err);
	if (st != KUP_OK)
		return st;
	for (size_t i = 0; i < L->ncls; i++) {
		struct cl *c = &L->cls[i];
		bool wants = L->dec[i].wait == KUP_FLEET_GO || c->job != JOB_NONE ||
			     (c->state == KUP_FLEET_HELD && c->next.kind != KUP_FLEET_NEXT_BLOCKED);
		if (!wants) {
			if (c->leased && c->job == JOB_NONE &&
			    (c->state == KUP_FLEET_DONE || c->state == KUP_FLEET_FAILED)) {
				kup_store_lease_release(L->store, L->holder, c->name, err);
				kup_error_release(err);
				c->leased = false;
			}
			continue;
		}
		keep_leases(L);
		if (!c->leased) {
			st = kup_store_lease_acquire_one(L->store, c->name, L->holder,
							 kup_fleet_clock_now_ms(&L->clock), ttl, err);
			if (st == KUP_CONFLICT) {
				kup_error_release(err);
				continue;
			}
			if (st == KUP_UNAVAILABLE)
				return st;
			if (st != KUP_OK) {
				logf_(L, "%s: cannot take the lease: %s", c->name, err->msg ? err->msg : "?");
				L->store_errors++;
				kup_error_release(err);
				continue;
			}
			c->leased = true;
			c->recovered = false;
		}
		act(L, c);
		if (L->oom) {
			L->oom = false;
			return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
		}
	}
	return KUP_OK;
}

static int64_t cpu_ms(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

enum kup_status kup_fleet_run(const char *fleet_path, const struct kup_fleet_run_opts *o,
			      struct kup_fleet_run_result *res, struct kup_error *err)
{
	struct loop L;
	struct kup_error_sink sink;
	enum kup_status st;
	int64_t backoff = 0, tick_ms = o->tick_ms > 0 ? o->tick_ms : 10000;
	unsigned ticks = 0;
	char host[64] = "host";
	const char *tmp = getenv("TMPDIR");

	memset(&L, 0, sizeof(L));
	memset(res, 0, sizeof(*res));
	L.o = o;
	sink.fn = log_sink;
	sink.ctx = &L;
	gethostname(host, sizeof(host) - 1);
	if (o->holder)
		snprintf(L.holder, sizeof(L.holder), "%s", o->holder);
	else
		snprintf(L.holder, sizeof(L.holder), "%s:%ld", host, (long)getpid());
	snprintf(L.work_dir, sizeof(L.work_dir), "%s", o->work_dir ? o->work_dir : tmp && *tmp ? tmp : "/tmp");

	st = kup_fleet_load(fleet_path, NULL, &L.fleet, err);
	if (st != KUP_OK)
		return st;
	{
		struct stat sb;
		if (stat(fleet_path, &sb) == 0)
			L.fleet_mtime = sb.st_mtim;
	}
	if ((st = build_cls(&L, NULL, 0, err)) != KUP_OK)
		goto out;
	/* open the store, retrying while it is unreachable */
	for (;;) {
		st = kup_store_open(o->store_url, &L.store, err);
		if (st != KUP_UNAVAILABLE || o->once || (o->stop && *o->stop))
			break;
		backoff = backoff ? (backoff * 2 > 30000 ? 30000 : backoff * 2) : 500;
		logf_(&L, "store unreachable (%s): retrying in %.1fs, acting on nothing",
		      err->msg ? err->msg : "?", (double)backoff / 1000);
		kup_error_release(err);
		kup_sleep_ms(backoff);
	}
	if (st != KUP_OK)
		goto out;
	backoff = 0;
	if ((st = setup_clock(&L, err)) != KUP_OK)
		goto out;
	L.now = kup_fleet_clock_now_ms(&L.clock);
	if ((st = reload_fleet(&L, true, err)) != KUP_OK)
		goto out;
	if ((st = read_state(&L, err)) != KUP_OK)
		goto out;
	logf_(&L, "fleet %s: %zu clusters in %zu waves, target %s; replica %s%s", L.fleet->name,
	      L.fleet->nclusters, L.fleet->nwaves, L.fleet->target_text, L.holder,
	      L.clock.scale != 1 ? " (fast-forward clock)" : "");

	for (;;) {
		int64_t t0 = kup_mono_ms(), c0 = cpu_ms(), waited = 0;
		st = tick(&L, ticks == 0, err);
		res->last_tick_ms = kup_mono_ms() - t0;
		if (!ticks) {
			res->first_tick_ms = res->last_tick_ms;
			res->first_tick_cpu_ms = cpu_ms() - c0;
		}
		if (st == KUP_UNAVAILABLE) {
			backoff = backoff ? (backoff * 2 > 30000 ? 30000 : backoff * 2) : 500;
			logf_(&L, "store unreachable (%s): retrying in %.1fs, acting on nothing",
			      err->msg ? err->msg : "?", (double)backoff / 1000);
			kup_error_release(err);
			for (size_t i = 0; i < L.ncls; i++)
				L.cls[i].leased = false;   /* re-take (and re-check) leases */
			if (o->once && !njobs(&L))
				goto out;
			while (waited < backoff) {
				poll_jobs(&L);
				kup_sleep_ms(20);
				waited += 20;
			}
			continue;
		}
		if (st != KUP_OK)
			goto out;
		backoff = 0;
		ticks++;
		res->ticks = ticks;
		if (o->on_tick) {
			count_result(&L, res);
			o->on_tick(o->tick_ctx, res);
		}
		if (o->once) {
			while (njobs(&L)) {
				poll_jobs(&L);
				kup_sleep_ms(10);
			}
			break;
		}
		if ((o->stop && *o->stop) || (o->max_ticks && ticks >= o->max_ticks))
			break;
		if (o->until_done && !can_progress(&L))
			break;
		/* wait for the next tick, recording what ends meanwhile; tick early on news */
		L.activity = false;
		while (waited < tick_ms && !(o->stop && *o->stop)) {
			poll_jobs(&L);
			if (L.activity && waited >= 20)
				break;
			kup_sleep_ms(10);
			waited += 10;
		}
		if (o->stop && *o->stop)
			break;
	}
	/* never leave a started step unrecorded on purpose: let running drivers end */
	if (njobs(&L))
		logf_(&L, "stopping: waiting for %zu running driver(s) to end", njobs(&L));
	while (njobs(&L)) {
		poll_jobs(&L);
		kup_sleep_ms(10);
	}
	count_result(&L, res);
	res->needs_person = res->nfailed || res->nheld || L.halted;
	for (size_t i = 0; i < L.ncls; i++)
		if (L.dec[i].wait == KUP_FLEET_WAIT_APPROVAL || L.dec[i].wait == KUP_FLEET_WAIT_HALTED ||
		    L.dec[i].wait == KUP_FLEET_WAIT_WAVE_PAUSED)
			res->needs_person = true;
	if (L.store)
		kup_store_lease_release(L.store, L.holder, NULL, err);
	kup_error_release(err);
	st = KUP_OK;
out:
	(void)sink;
	free_cls(&L);
	kup_store_close(L.store);
	kup_fleet_free(L.fleet);
	return st;
}
