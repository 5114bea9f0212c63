/*
 * report_html.c - `fleet report -o html`: one self-contained page (inline
 * CSS and SVG, no scripts, no external resources): the fleet's clusters by
 * control-plane version against the end-of-life dates of the knowledge
 * base, drift from the target, wave progress, blockers and risks per
 * cluster, and the timeline of the event log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kupgrade/fleet.h"
#include "kupgrade/store.h"
#include "kupgrade/kb.h"
#include "kupgrade/kbplan.h"
#include "kupgrade/profile.h"
#include "kupgrade/plan.h"

#define MAX_TIMELINE_EVENTS 400

static void esc(struct kup_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': kup_buf_adds(b, "&amp;"); break;
		case '<': kup_buf_adds(b, "&lt;"); break;
		case '>': kup_buf_adds(b, "&gt;"); break;
		case '"': kup_buf_adds(b, "&quot;"); break;
		case '\'': kup_buf_adds(b, "&#39;"); break;
		default: kup_buf_addc(b, *s);
		}
	}
}

static void iso_date(int64_t ms, char *buf, size_t size, bool with_time)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, size, "?");
		return;
	}
	strftime(buf, size, with_time ? "%Y-%m-%d %H:%M" : "%Y-%m-%d", &tm);
}

/* "2026-02-28" to days since the epoch; -1 when malformed. */
static long date_days(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long)(timegm(&tm) / 86400);
}

/* ---- clusters by version --------------------------------------------------- */

/* One row per (control-plane minor, provider): the support window shown is that provider's. */
struct minor_row {
	int major, minor;
	int provider;             /* enum kup_provider, or -1: the target's row with no cluster on it */
	size_t n;
	const char *eol;          /* upstream end of life */
	const char *std;          /* the provider's end of standard support (providers.yaml), or NULL */
	const char *ext;          /* ... of extended support */
};

static int cmp_minor_row(const void *a, const void *b)
{
	const struct minor_row *x = a, *y = b;
	if (x->major != y->major)
		return x->major - y->major;
	if (x->minor != y->minor)
		return x->minor - y->minor;
	return x->provider - y->provider;
}

/* The colour class of a date against today: past, soon (90 days) or fine. */
static const char *date_class(const char *d, long today)
{
	long days = date_days(d);
	if (days < 0)
		return "unknown";
	if (days < today)
		return "past";
	if (days < today + 90)
		return "soon";
	return "ok";
}

/* The more urgent of two classes (past, soon, ok, unknown). */
static const char *worse_class(const char *a, const char *b)
{
	static const char *const order[] = { "past", "soon", "ok", "unknown" };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(a, order[i]) == 0 || strcmp(b, order[i]) == 0)
			return order[i];
	return "unknown";
}

static void versions_section(struct kup_buf *b, const struct kup_fleet_snapshot *snap,
			     const struct kup_kb *kb, long today)
{
	struct minor_row rows[128];
	size_t nrows = 0, unknown = 0, maxn = 1;
	const struct kup_fleet *f = snap->fleet;

	for (size_t i = 0; i < snap->nrows; i++) {
		const struct kup_profile *p = snap->rows[i].profile;
		size_t j;
		if (!p || !p->control_plane.valid) {
			unknown++;
			continue;
		}
		for (j = 0; j < nrows; j++)
			if (rows[j].major == p->control_plane.major && rows[j].minor == p->control_plane.minor &&
			    rows[j].provider == (int)p->provider)
				break;
		if (j == nrows) {
			if (nrows == sizeof(rows) / sizeof(rows[0]))
				continue;
			memset(&rows[j], 0, sizeof(rows[j]));
			rows[j].major = p->control_plane.major;
			rows[j].minor = p->control_plane.minor;
			rows[j].provider = (int)p->provider;
			nrows++;
		}
		rows[j].n++;
	}
	/* the target's row, even with no cluster on it yet */
	{
		size_t j;
		for (j = 0; j < nrows; j++)
			if (rows[j].major == f->target.major && rows[j].minor == f->target.minor)
				break;
		if (j == nrows && nrows < sizeof(rows) / sizeof(rows[0])) {
			memset(&rows[j], 0, sizeof(rows[j]));
			rows[j].major = f->target.major;
			rows[j].minor = f->target.minor;
			rows[j].provider = -1;
			nrows++;
		}
	}
	qsort(rows, nrows, sizeof(rows[0]), cmp_minor_row);
	for (size_t j = 0; j < nrows; j++) {
		struct kup_version v = { 0 };
		v.major = rows[j].major;
		v.minor = rows[j].minor;
		v.valid = true;
		for (size_t k = 0; kb && k < kup_kb_release_count(kb); k++) {
			const struct kup_release *r = kup_kb_release_at(kb, k);
			if (kup_version_cmp_minor(&r->version, &v) == 0)
				rows[j].eol = r->end_of_life;
		}
		if (kb && rows[j].provider >= 0) {
			const struct kup_provider_release *pr =
				kup_kb_find_provider_release(kb, kup_provider_name((enum kup_provider)rows[j].provider), &v);
			if (pr) {
				rows[j].std = pr->end_of_standard;
				rows[j].ext = pr->end_of_extended;
			}
		}
	}

	kup_buf_adds(b, "<section id=\"versions\"><h2>Clusters by version</h2>\n"
		     "<p class=\"note\">Control-plane minor of each cluster's profile, against the "
		     "upstream end of life and its own provider's support windows in the knowledge base "
		     "(data/providers.yaml). "
		     "<span class=\"past\">past</span> <span class=\"soon\">within 90 days</span> "
		     "<span class=\"ok\">later</span></p>\n");
	/* the bar chart: one bar per minor (all providers), coloured by its most urgent row */
	size_t nbars = 0;
	for (size_t j = 0; j < nrows; j++) {
		size_t n = rows[j].n;
		if (j > 0 && rows[j - 1].major == rows[j].major && rows[j - 1].minor == rows[j].minor)
			continue;
		for (size_t k = j + 1; k < nrows && rows[k].major == rows[j].major &&
		     rows[k].minor == rows[j].minor; k++)
			n += rows[k].n;
		if (n > maxn)
			maxn = n;
		nbars++;
	}
	int bar_h = 26, width = 640, label_w = 70, h = (int)nbars * bar_h + 10, bar = 0;
	kup_buf_addf(b, "<svg class=\"chart\" role=\"img\" aria-label=\"clusters per version\" "
		     "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n",
		     width, h, width, h);
	for (size_t j = 0; j < nrows; j++) {
		size_t n = 0, k;
		const char *cls = "unknown";
		if (j > 0 && rows[j - 1].major == rows[j].major && rows[j - 1].minor == rows[j].minor)
			continue;
		for (k = j; k < nrows && rows[k].major == rows[j].major && rows[k].minor == rows[j].minor; k++) {
			n += rows[k].n;
			cls = worse_class(cls, date_class(rows[k].std ? rows[k].std : rows[k].eol, today));
		}
		int y = bar * bar_h + 5;
		int w = (int)((double)(width - label_w - 60) * (double)n / (double)maxn);
		const char *fill = strcmp(cls, "past") == 0 ? "#d9534f" : strcmp(cls, "soon") == 0 ?
				   "#f0ad4e" : strcmp(cls, "ok") == 0 ? "#5cb85c" : "#999";
		kup_buf_addf(b, "<text x=\"0\" y=\"%d\" class=\"lbl\">%d.%d%s</text>", y + 17, rows[j].major,
			     rows[j].minor, rows[j].major == f->target.major &&
			     rows[j].minor == f->target.minor ? " (target)" : "");
		kup_buf_addf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>", label_w + 20, y,
			     w > 0 ? w : 0, bar_h - 6, fill);
		kup_buf_addf(b, "<text x=\"%d\" y=\"%d\" class=\"lbl\">%zu</text>\n", label_w + 26 + w, y + 17, n);
		bar++;
	}
	kup_buf_adds(b, "</svg>\n<table class=\"versions\"><thead><tr><th>Version</th><th>Provider</th>"
		     "<th>Clusters</th><th>Upstream end of life</th><th>Provider end of standard support</th>"
		     "<th>Provider end of extended support</th></tr></thead><tbody>\n");
	for (size_t j = 0; j < nrows; j++) {
		kup_buf_addf(b, "<tr><td>%d.%d</td><td>", rows[j].major, rows[j].minor);
		esc(b, rows[j].provider >= 0 ? kup_provider_name((enum kup_provider)rows[j].provider) : "-");
		kup_buf_addf(b, "</td><td>%zu</td>", rows[j].n);
		const char *ds[3] = { rows[j].eol, rows[j].std, rows[j].ext };
		for (int k = 0; k < 3; k++) {
			if (!ds[k]) {
				kup_buf_adds(b, k == 0 || rows[j].provider >= 0 ?
					     "<td class=\"unknown\">not in the knowledge base</td>" :
					     "<td class=\"unknown\">-</td>");
				continue;
			}
			kup_buf_addf(b, "<td class=\"%s\">", date_class(ds[k], today));
			esc(b, ds[k]);
			kup_buf_adds(b, "</td>");
		}
		kup_buf_adds(b, "</tr>\n");
	}
	kup_buf_adds(b, "</tbody></table>\n");
	if (unknown)
		kup_buf_addf(b, "<p class=\"note\">%zu cluster%s without a readable profile.</p>\n", unknown,
			     unknown == 1 ? "" : "s");
	kup_buf_adds(b, "</section>\n");
}

/* ---- waves --------------------------------------------------------------------- */

static void waves_section(struct kup_buf *b, const struct kup_fleet_snapshot *snap)
{
	const struct kup_fleet *f = snap->fleet;
	char t[64], d[32];

	kup_buf_adds(b, "<section id=\"waves\"><h2>Wave progress</h2>\n<table class=\"waves\"><thead><tr>"
		     "<th>Wave</th><th>Progress</th><th>Done</th><th>In progress</th><th>Failed</th>"
		     "<th>Held</th><th>Gates</th><th>State</th></tr></thead><tbody>\n");
	for (size_t w = 0; w < snap->nwaves; w++) {
		const struct kup_fleet_wave_row *wr = &snap->waves[w];
		const struct kup_fleet_wave *fw = &f->waves[w];
		int pct = wr->nclusters ? (int)(100 * wr->ndone / wr->nclusters) : 100;
		kup_buf_adds(b, "<tr><td>");
		esc(b, wr->name);
		kup_buf_addf(b, "</td><td><svg width=\"160\" height=\"14\" xmlns=\"http://www.w3.org/2000/svg\">"
			     "<rect width=\"160\" height=\"14\" fill=\"#e6e6e6\"/><rect width=\"%d\" height=\"14\" "
			     "fill=\"%s\"/></svg> %d%%</td>", pct * 160 / 100,
			     wr->nfailed ? "#d9534f" : "#5cb85c", pct);
		kup_buf_addf(b, "<td>%zu/%zu</td><td>%zu</td><td>%zu</td><td>%zu</td><td>", wr->ndone,
			     wr->nclusters, wr->nrunning, wr->nfailed, wr->nheld);
		kup_buf_addf(b, "maxConcurrent %u", kup_fleet_max_concurrent(fw, fw->nclusters));
		if (fw->soak)
			kup_buf_addf(b, ", soak %s", kup_fleet_format_duration(fw->soak, d, sizeof(d)));
		if (fw->approval) {
			kup_buf_adds(b, ", approval: ");
			if (wr->approved_by) {
				kup_buf_adds(b, "approved by ");
				esc(b, wr->approved_by);
			} else {
				kup_buf_adds(b, "<b>not yet</b>");
			}
		}
		if (fw->max_failures)
			kup_buf_addf(b, ", maxFailures %u", fw->max_failures);
		if (fw->window.set) {
			kup_buf_adds(b, ", window ");
			esc(b, fw->window.text);
		}
		kup_buf_adds(b, "</td><td>");
		if (wr->halted)
			kup_buf_adds(b, "<span class=\"past\">halted</span> ");
		else if (wr->paused)
			kup_buf_adds(b, "<span class=\"soon\">paused</span> ");
		else if (wr->nclusters && wr->ndone == wr->nclusters) {
			if (wr->soak_until_ms > snap->now_ms) {
				iso_date(wr->soak_until_ms, t, sizeof(t), true);
				kup_buf_addf(b, "complete, soaking until %s UTC", t);
			} else {
				kup_buf_adds(b, "complete");
			}
		} else if (wr->nrunning) {
			kup_buf_adds(b, "running");
		} else {
			kup_buf_adds(b, "waiting");
		}
		if ((wr->halted || wr->paused) && wr->reason)
			esc(b, wr->reason);
		kup_buf_adds(b, "</td></tr>\n");
	}
	kup_buf_adds(b, "</tbody></table></section>\n");
}

/* ---- clusters ---------------------------------------------------------------------- */

static void risks_of(struct kup_buf *b, const struct kup_fleet_snapshot *snap, const struct kup_kb *kb,
		     const struct kup_profile *p)
{
	struct kup_plan_opts opts;
	struct kup_plan *plan = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	if (!kb || !p || kup_version_cmp_minor(&p->control_plane, &snap->fleet->target) > 0)
		return;
	memset(&opts, 0, sizeof(opts));
	opts.target = snap->fleet->target;
	if (kup_plan(kb, p, &opts, &plan, &err) == KUP_OK) {
		for (size_t i = 0; i < plan->nrisks; i++) {
			kup_buf_addf(b, "<div class=\"risk %s\">", kup_severity_name(plan->risks[i].severity));
			esc(b, kup_severity_name(plan->risks[i].severity));
			kup_buf_adds(b, " at ");
			esc(b, plan->risks[i].at);
			kup_buf_adds(b, ": ");
			esc(b, plan->risks[i].id);
			kup_buf_adds(b, "</div>");
		}
		kup_plan_free(plan);
	}
	kup_error_release(&err);
}

static void clusters_section(struct kup_buf *b, const struct kup_fleet_snapshot *snap,
			     const struct kup_kb *kb)
{
	const struct kup_fleet *f = snap->fleet;

	kup_buf_adds(b, "<section id=\"clusters\"><h2>Clusters</h2>\n<table class=\"clusters\"><thead><tr>"
		     "<th>Cluster</th><th>Wave</th><th>Provider</th><th>Control plane</th><th>Node pools</th>"
		     "<th>Drift</th><th>State</th><th>Next step</th><th>Blockers, reason, risks</th></tr>"
		     "</thead><tbody>\n");
	for (size_t i = 0; i < snap->nrows; i++) {
		const struct kup_fleet_row *r = &snap->rows[i];
		const struct kup_profile *p = r->profile;
		kup_buf_addf(b, "<tr class=\"%s\" id=\"c-", kup_fleet_state_name(r->state));
		esc(b, r->name);
		kup_buf_adds(b, "\"><td>");
		esc(b, r->name);
		kup_buf_adds(b, "</td><td>");
		esc(b, r->wave);
		kup_buf_adds(b, "</td><td>");
		esc(b, p ? kup_provider_name(p->provider) : "-");
		kup_buf_adds(b, "</td><td>");
		esc(b, r->version ? r->version : "?");
		kup_buf_adds(b, "</td><td>");
		for (size_t k = 0; p && k < p->npools; k++) {
			if (k)
				kup_buf_adds(b, ", ");
			esc(b, p->pools[k].name);
			kup_buf_adds(b, " ");
			esc(b, p->pools[k].version_text);
		}
		kup_buf_adds(b, "</td><td>");
		if (p && p->control_plane.valid) {
			int cp = f->target.minor - p->control_plane.minor;
			int pools = 0;
			for (size_t k = 0; k < p->npools; k++) {
				int lag = f->target.minor - p->pools[k].version.minor;
				if (lag > pools)
					pools = lag;
			}
			if (cp <= 0 && pools <= 0)
				kup_buf_adds(b, "<span class=\"ok\">at target</span>");
			else
				kup_buf_addf(b, "<span class=\"soon\">control plane %d minor%s behind, node pools "
					     "up to %d</span>", cp, cp == 1 ? "" : "s", pools);
		} else {
			kup_buf_adds(b, "?");
		}
		kup_buf_adds(b, "</td><td class=\"state\">");
		esc(b, kup_fleet_state_name(r->state));
		kup_buf_adds(b, "</td><td>");
		if (r->has_next && r->next.kind == KUP_FLEET_NEXT_STEP) {
			esc(b, kup_step_type_name(r->next.type));
			kup_buf_adds(b, " ");
			esc(b, r->next.component);
			kup_buf_adds(b, " ");
			esc(b, r->next.from);
			kup_buf_adds(b, " &#8594; ");
			esc(b, r->next.to);
			kup_buf_addf(b, " (%u left)", r->next.remaining);
		} else {
			kup_buf_adds(b, "-");
		}
		kup_buf_adds(b, "</td><td>");
		if (r->blockers) {
			kup_buf_adds(b, "<div class=\"blocker\">blocked: ");
			esc(b, r->blockers);
			kup_buf_adds(b, "</div>");
		}
		if (r->reason && r->state != KUP_FLEET_DONE) {
			kup_buf_addf(b, "<div class=\"%s\">", r->state == KUP_FLEET_FAILED ? "blocker" : "reason");
			esc(b, r->reason);
			kup_buf_adds(b, "</div>");
		}
		if (r->state == KUP_FLEET_FAILED) {
			/* what to run once the cause is fixed (the store as the loop was given it) */
			kup_buf_adds(b, "<div class=\"retry\">after fixing the cause: <code>kupgrade fleet retry ");
			esc(b, r->name);
			kup_buf_adds(b, " --store STORE</code></div>");
		}
		if (r->state != KUP_FLEET_DONE)
			risks_of(b, snap, kb, p);
		kup_buf_adds(b, "</td></tr>\n");
	}
	kup_buf_adds(b, "</tbody></table></section>\n");
}

/* ---- timeline ------------------------------------------------------------------------ */

struct tl_cluster {
	char name[128];
	int64_t start, end;
	bool failed, done;
};

struct tl_ctx {
	struct kup_buf *rows;        /* the event table, oldest first */
	size_t *row_at;              /* where each row starts in rows */
	size_t nrows, rows_cap;
	size_t skip;                 /* events before the listed (newest) ones */
	size_t nevents;
	int64_t first, last;
	struct tl_cluster *cl;
	size_t ncl, cap;
};

static enum kup_status on_event(void *ctx, const struct kup_store_event *ev)
{
	struct tl_ctx *t = ctx;
	char ts[64];

	if (!ev->kind || strcmp(ev->kind, "clock") == 0)
		return KUP_OK;
	if (t->rows) {
		t->nevents++;
		goto row;
	}
	if (!t->first || ev->at < t->first)
		t->first = ev->at;
	if (ev->at > t->last)
		t->last = ev->at;
	if (ev->cluster) {
		size_t i;
		for (i = 0; i < t->ncl; i++)
			if (strcmp(t->cl[i].name, ev->cluster) == 0)
				break;
		if (i == t->ncl && kup_grow(&t->cl, &t->cap, t->ncl + 1, sizeof(*t->cl), 64)) {
			memset(&t->cl[i], 0, sizeof(t->cl[i]));
			snprintf(t->cl[i].name, sizeof(t->cl[i].name), "%s", ev->cluster);
			t->ncl++;
		}
		if (i < t->ncl) {
			struct tl_cluster *c = &t->cl[i];
			if (strcmp(ev->kind, "step-started") == 0 && !c->start)
				c->start = ev->at;
			if (c->start && ev->at > c->end)
				c->end = ev->at;
			if (strcmp(ev->kind, "step-failed") == 0 || strcmp(ev->kind, "health-failed") == 0)
				c->failed = true;
			if (strcmp(ev->kind, "retry") == 0)
				c->failed = false;
			if (strcmp(ev->kind, "cluster-done") == 0)
				c->done = true;
		}
	}
	t->nevents++;
	return KUP_OK;
row:
	/* the second pass lists the newest rows */
	if (t->nevents <= t->skip)
		return KUP_OK;
	if (!kup_grow(&t->row_at, &t->rows_cap, t->nrows + 1, sizeof(*t->row_at), 64))
		return KUP_NOMEM;
	t->row_at[t->nrows++] = t->rows->len;
	iso_date(ev->at, ts, sizeof(ts), true);
	kup_buf_addf(t->rows, "<tr class=\"ev-%s\"><td>%lld</td><td>%s</td><td>", ev->kind,
		     (long long)ev->id, ts);
	esc(t->rows, ev->kind);
	kup_buf_adds(t->rows, "</td><td>");
	esc(t->rows, ev->wave ? ev->wave : "");
	kup_buf_adds(t->rows, "</td><td>");
	esc(t->rows, ev->cluster ? ev->cluster : "");
	kup_buf_adds(t->rows, "</td><td>");
	if (ev->exit_code >= 0)
		kup_buf_addf(t->rows, "exit %d ", ev->exit_code);
	esc(t->rows, ev->message ? ev->message : "");
	if (ev->output_tail && *ev->output_tail && strcmp(ev->kind, "step-succeeded") != 0) {
		kup_buf_adds(t->rows, "<pre>");
		size_t n = strlen(ev->output_tail);
		/* stores written before escapes were stripped on the way in */
		char *clean = kup_strdup(ev->output_tail + (n > 600 ? n - 600 : 0));
		if (clean) {
			kup_strip_escapes(clean, strlen(clean));
			esc(t->rows, clean);
			free(clean);
		} else {
			t->rows->oom = true;
		}
		kup_buf_adds(t->rows, "</pre>");
	}
	kup_buf_adds(t->rows, "</td><td>");
	esc(t->rows, ev->actor ? ev->actor : "");
	kup_buf_adds(t->rows, "</td></tr>\n");
	return KUP_OK;
}

static enum kup_status timeline_section(struct kup_buf *b, struct kup_store *s, struct kup_error *err)
{
	struct kup_buf rows = KUP_BUF_INIT;
	struct tl_ctx t;
	enum kup_status st;
	char a[64], z[64];

	memset(&t, 0, sizeof(t));
	kup_buf_init(&rows);
	/* two passes over the log: bars and counts, then the newest rows */
	st = kup_store_list_events(s, NULL, 0, 0, on_event, &t, err);
	if (st != KUP_OK)
		goto out;
	{
		size_t total = t.nevents;
		t.skip = total > MAX_TIMELINE_EVENTS ? total - MAX_TIMELINE_EVENTS : 0;
		t.nevents = 0;
		t.rows = &rows;
		st = kup_store_list_events(s, NULL, 0, 0, on_event, &t, err);
		if (st != KUP_OK)
			goto out;
		t.nevents = total;
	}
	kup_buf_adds(b, "<section id=\"timeline\"><h2>Timeline</h2>\n");
	if (!t.nevents) {
		kup_buf_adds(b, "<p class=\"note\">No events yet: the fleet has not run.</p></section>\n");
		goto out;
	}
	iso_date(t.first, a, sizeof(a), true);
	iso_date(t.last, z, sizeof(z), true);
	kup_buf_addf(b, "<p class=\"note\">%zu events from %s to %s UTC. Each bar runs from a cluster's "
		     "first step to its last event.</p>\n", t.nevents, a, z);
	if (t.ncl) {
		int row_h = 14, width = 900, lw = 110;
		int h = (int)t.ncl * row_h + 24;
		double span = (double)(t.last > t.first ? t.last - t.first : 1);
		kup_buf_addf(b, "<svg class=\"timeline\" role=\"img\" aria-label=\"timeline\" width=\"%d\" "
			     "height=\"%d\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n",
			     width, h, width, h);
		for (size_t i = 0; i < t.ncl; i++) {
			const struct tl_cluster *c = &t.cl[i];
			int y = (int)i * row_h + 2;
			kup_buf_addf(b, "<text x=\"0\" y=\"%d\" class=\"small\">", y + 10);
			esc(b, c->name);
			kup_buf_adds(b, "</text>");
			if (!c->start)
				continue;
			int x0 = lw + (int)((double)(c->start - t.first) / span * (width - lw - 10));
			int x1 = lw + (int)((double)(c->end - t.first) / span * (width - lw - 10));
			kup_buf_addf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", x0, y,
				     x1 - x0 > 2 ? x1 - x0 : 2, row_h - 4,
				     c->failed ? "#d9534f" : c->done ? "#5cb85c" : "#5bc0de");
		}
		/* the time axis: five ticks, each labelled with its UTC time */
		int axis = (int)t.ncl * row_h + 4;
		kup_buf_addf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			     "stroke=\"#888\"/>\n", lw, axis, width - 10, axis);
		for (int k = 0; k <= 4; k++) {
			char tk[64];
			int x = lw + k * (width - lw - 10) / 4;
			int64_t at = t.first + (int64_t)((double)k / 4.0 * span);
			iso_date(at, tk, sizeof(tk), true);
			kup_buf_addf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>"
				     "<text class=\"small tick\" x=\"%d\" y=\"%d\" text-anchor=\"%s\">%s</text>\n",
				     x, axis, x, axis + 4, x, axis + 15,
				     k == 0 ? "start" : k == 4 ? "end" : "middle", tk);
		}
		kup_buf_adds(b, "</svg>\n<p class=\"legend\"><span class=\"key\" style=\"background:#5cb85c\">"
			     "</span>done <span class=\"key\" style=\"background:#5bc0de\"></span>in progress "
			     "<span class=\"key\" style=\"background:#d9534f\"></span>failed &#8212; times UTC</p>\n");
	}
	kup_buf_adds(b, "<table class=\"events\"><thead><tr><th>#</th><th>Time (UTC)</th><th>Event</th>"
		     "<th>Wave</th><th>Cluster</th><th>Detail</th><th>By</th></tr></thead><tbody>\n");
	/* newest first */
	for (size_t k = t.nrows; k-- > 0;) {
		size_t from = t.row_at[k], to = k + 1 < t.nrows ? t.row_at[k + 1] : rows.len;
		kup_buf_add(b, rows.buf + from, to - from);
	}
	kup_buf_adds(b, "</tbody></table>\n");
	if (t.nevents > MAX_TIMELINE_EVENTS)
		kup_buf_addf(b, "<p class=\"note\">The newest %d of %zu events are listed "
			     "(`kupgrade fleet events` shows all).</p>\n", MAX_TIMELINE_EVENTS, t.nevents);
	kup_buf_adds(b, "</section>\n");
out:
	kup_buf_release(&rows);
	free(t.cl);
	free(t.row_at);
	return st;
}

static const char css[] =
	"body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;"
	"color:#222}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;"
	"border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid "
	"#ddd;padding:3px 7px;text-align:left;vertical-align:top}th{background:#f5f5f5}.note{color:#555}"
	".past{background:#f8d7da}.soon{background:#fff3cd}.ok{background:#d4edda}.unknown{color:#888}"
	".summary span{display:inline-block;margin-right:14px;padding:4px 10px;border-radius:4px;"
	"background:#f0f0f0}.blocker{color:#a94442}.reason{color:#555}.risk{font-size:12px}"
	".risk.high{color:#a94442}.risk.medium{color:#8a6d3b}.lbl{font-size:13px}.small{font-size:10px}"
	"tr.failed td.state{background:#f8d7da}tr.done td.state{background:#d4edda}"
	"tr.held td.state{background:#fff3cd}pre{margin:2px 0;font-size:11px;white-space:pre-wrap}"
	".retry code{font-size:12px;background:#f5f5f5;padding:1px 4px}.legend{font-size:12px;color:#555}"
	".legend .key{display:inline-block;width:12px;height:10px;margin:0 4px 0 10px;vertical-align:middle}"
	"td{overflow-wrap:break-word}table.events td:nth-child(2),table.events td:nth-child(3){white-space:nowrap}";

enum kup_status kup_fleet_render_html(const struct kup_fleet_snapshot *snap, struct kup_store *s,
				      const struct kup_kb *kb, struct kup_buf *out,
				      struct kup_error *err)
{
	const struct kup_fleet *f = snap->fleet;
	size_t done = 0, failed = 0, held = 0, progress = 0;
	char now[64], real[64];
	long today = (long)(time(NULL) / 86400);
	enum kup_status st;

	for (size_t i = 0; i < snap->nrows; i++) {
		switch (snap->rows[i].state) {
		case KUP_FLEET_DONE: done++; break;
		case KUP_FLEET_FAILED: failed++; break;
		case KUP_FLEET_HELD: held++; break;
		case KUP_FLEET_PENDING: break;
		default: progress++; break;
		}
	}
	iso_date(snap->now_ms, now, sizeof(now), true);
	iso_date((int64_t)time(NULL) * 1000, real, sizeof(real), true);
	kup_buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<meta name=\"viewport\" content=\"width=device-width\"><title>Fleet ");
	esc(out, f->name);
	kup_buf_addf(out, " &#8212; kupgrade</title><style>%s</style></head><body>\n<h1>Fleet ", css);
	esc(out, f->name);
	kup_buf_adds(out, ": upgrade to ");
	esc(out, f->target_text);
	kup_buf_adds(out, "</h1>\n<p class=\"note\">Generated by kupgrade at ");
	esc(out, real);
	kup_buf_adds(out, " UTC");
	if (strcmp(now, real) != 0) {
		kup_buf_adds(out, " (fleet clock ");
		esc(out, now);
		kup_buf_adds(out, " UTC)");
	}
	kup_buf_addf(out, ". %zu clusters in %zu waves.%s%s%s</p>\n", snap->nrows, snap->nwaves,
		     snap->paused ? " <b>The fleet is paused.</b>" : "",
		     snap->halted ? " <b>The fleet is halted (maxFailures).</b>" : "",
		     snap->planner_fallback ? " No knowledge base: the minimal path "
		     "was used." : "");
	kup_buf_addf(out, "<p class=\"summary\"><span id=\"n-done\">done: %zu</span><span id=\"n-progress\">"
		     "in progress: %zu</span><span id=\"n-pending\">not started: %zu</span>"
		     "<span id=\"n-failed\">failed: %zu</span><span id=\"n-held\">held: %zu</span></p>\n",
		     done, progress, snap->nrows - done - failed - held - progress, failed, held);
	versions_section(out, snap, kb, today);
	waves_section(out, snap);
	clusters_section(out, snap, kb);
	st = timeline_section(out, s, err);
	if (st != KUP_OK)
		return st;
	kup_buf_adds(out, "</body></html>\n");
	return out->oom ? KUP_NOMEM : KUP_OK;
}
