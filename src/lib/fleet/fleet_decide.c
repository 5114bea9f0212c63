/* fleet_decide.c - the gates (kup_fleet_decide), the clock, the next step of a cluster. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kupgrade/fleet.h"
#include "kupgrade/profile.h"
#include "kupgrade/plan.h"


static const char *const state_names[] = {
	"pending", "pre-health", "upgrading", "post-health", "done", "failed", "held",
};

const char *kup_fleet_state_name(enum kup_fleet_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

bool kup_fleet_state_parse(const char *s, enum kup_fleet_state *out)
{
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum kup_fleet_state)i;
			return true;
		}
	return false;
}

static const char *const wait_names[] = {
	"go", "nothing to do", "fleet halted or paused", "wave paused", "earlier wave not complete",
	"earlier wave soaking", "earlier wave needs approval", "window closed", "maxConcurrent reached",
};

const char *kup_fleet_wait_name(enum kup_fleet_wait w)
{
	return (unsigned)w < sizeof(wait_names) / sizeof(wait_names[0]) ? wait_names[w] : "?";
}

/* ---- clock ---------------------------------------------------------------- */

static int64_t real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kup_fleet_clock_init(struct kup_fleet_clock *c, double scale, int64_t fleet_now_ms)
{
	c->scale = scale > 0 ? scale : 1;
	c->anchor_real_ms = real_ms();
	c->anchor_fleet_ms = fleet_now_ms ? fleet_now_ms : c->anchor_real_ms;
	c->fixed = false;
}

int64_t kup_fleet_clock_now_ms(const struct kup_fleet_clock *c)
{
	if (c->fixed)
		return c->anchor_fleet_ms;
	return c->anchor_fleet_ms + (int64_t)((double)(real_ms() - c->anchor_real_ms) * c->scale);
}

int64_t kup_fleet_clock_real_ms(const struct kup_fleet_clock *c, int64_t fleet_ms)
{
	int64_t r = (int64_t)((double)fleet_ms / (c->scale > 0 ? c->scale : 1));
	return fleet_ms > 0 && r < 1 ? 1 : r;
}

/* ---- gates ------------------------------------------------------------------ */

static bool in_progress(enum kup_fleet_state s)
{
	return s == KUP_FLEET_PRE_HEALTH || s == KUP_FLEET_UPGRADING || s == KUP_FLEET_POST_HEALTH;
}

bool kup_fleet_decide(const struct kup_fleet *f, const struct kup_fleet_cluster_view *clusters,
		      struct kup_fleet_wave_view *waves, bool halted, int64_t now_ms,
		      struct kup_fleet_decision *decisions, bool *changed_waves)
{
	bool ok = true;
	size_t nw = f->nwaves;
	bool *complete = kup_calloc(nw ? nw : 1, sizeof(bool));
	size_t *busy = kup_calloc(nw ? nw : 1, sizeof(size_t));
	size_t *first_open = NULL;

	if (!complete || !busy) {
		/* out of memory: nobody moves */
		for (size_t i = 0; i < f->nclusters; i++)
			decisions[i] = (struct kup_fleet_decision){ KUP_FLEET_WAIT_HALTED, 0, 0 };
		ok = false;
		goto out;
	}
	for (size_t w = 0; w < nw; w++) {
		complete[w] = true;
		if (changed_waves)
			changed_waves[w] = false;
	}
	for (size_t i = 0; i < f->nclusters; i++) {
		size_t w = f->clusters[i].wave;
		if (clusters[i].state != KUP_FLEET_DONE)
			complete[w] = false;
		if (in_progress(clusters[i].state))
			busy[w]++;
	}
	for (size_t w = 0; w < nw; w++) {
		if (complete[w] && waves[w].complete_at_ms == 0) {
			waves[w].complete_at_ms = now_ms;
			if (changed_waves)
				changed_waves[w] = true;
		} else if (!complete[w] && waves[w].complete_at_ms != 0) {
			waves[w].complete_at_ms = 0;
			if (changed_waves)
				changed_waves[w] = true;
		}
	}
	for (size_t i = 0; i < f->nclusters; i++) {
		const struct kup_fleet_cluster_view *cv = &clusters[i];
		struct kup_fleet_decision *d = &decisions[i];
		size_t w = f->clusters[i].wave;
		const struct kup_fleet_wave *wave = &f->waves[w];

		*d = (struct kup_fleet_decision){ KUP_FLEET_GO, w, 0 };
		if (cv->state == KUP_FLEET_DONE || cv->state == KUP_FLEET_FAILED) {
			d->wait = KUP_FLEET_WAIT_NONE;
			continue;
		}
		if (halted) {
			d->wait = KUP_FLEET_WAIT_HALTED;
			continue;
		}
		/* bookkeeping, not an upgrade: at the target already, or blocked */
		if (!in_progress(cv->state) && (cv->at_target || cv->blocked))
			continue;
		if (cv->state == KUP_FLEET_HELD) {
			d->wait = KUP_FLEET_WAIT_NONE;
			continue;
		}
		if (waves[w].paused) {
			d->wait = KUP_FLEET_WAIT_WAVE_PAUSED;
			continue;
		}
		for (size_t e = 0; e < w; e++) {
			const struct kup_fleet_wave *ew = &f->waves[e];
			if (!complete[e]) {
				*d = (struct kup_fleet_decision){ KUP_FLEET_WAIT_EARLIER_WAVE, e, 0 };
				break;
			}
			if (ew->soak && now_ms < waves[e].complete_at_ms + ew->soak * 1000) {
				*d = (struct kup_fleet_decision){ KUP_FLEET_WAIT_SOAK, e,
								  waves[e].complete_at_ms + ew->soak * 1000 };
				break;
			}
			if (ew->approval && !waves[e].approved) {
				*d = (struct kup_fleet_decision){ KUP_FLEET_WAIT_APPROVAL, e, 0 };
				break;
			}
		}
		if (d->wait != KUP_FLEET_GO)
			continue;
		if (!kup_fleet_window_open(&wave->window, (time_t)(now_ms / 1000))) {
			d->wait = KUP_FLEET_WAIT_WINDOW;
			d->until_ms = (int64_t)kup_fleet_window_next(&wave->window,
								     (time_t)(now_ms / 1000)) * 1000;
			continue;
		}
		if (in_progress(cv->state))
			continue;
		if (busy[w] >= kup_fleet_max_concurrent(wave, wave->nclusters)) {
			d->wait = KUP_FLEET_WAIT_CONCURRENCY;
			continue;
		}
		busy[w]++;
	}
out:
	free(complete);
	free(busy);
	free(first_open);
	return ok;
}

/* ---- the next step ------------------------------------------------------------ */

void kup_fleet_next_release(struct kup_fleet_next *n)
{
	free(n->component);
	free(n->from);
	free(n->to);
	free(n->why);
	free(n->version);
	memset(n, 0, sizeof(*n));
}

/* Replaces *dst with a copy of s ("" for NULL); false when memory ran out. */
static bool set_text(char **dst, const char *s)
{
	char *c = kup_strdup(s ? s : "");

	free(*dst);
	*dst = c;
	return c != NULL;
}

static bool vset(char **dst, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static bool vset(char **dst, const char *fmt, va_list ap)
{
	struct kup_buf b = KUP_BUF_INIT;

	kup_buf_vaddf(&b, fmt, ap);
	free(*dst);
	*dst = b.oom ? NULL : kup_buf_detach(&b, NULL);
	kup_buf_release(&b);
	return *dst != NULL;
}

static bool set_fmt(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool set_fmt(char **dst, const char *fmt, ...)
{
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	ok = vset(dst, fmt, ap);
	va_end(ap);
	return ok;
}

enum kup_status kup_fleet_next_block(struct kup_fleet_next *n, const char *fmt, ...)
{
	va_list ap;
	bool ok;

	n->kind = KUP_FLEET_NEXT_BLOCKED;
	va_start(ap, fmt);
	ok = vset(&n->why, fmt, ap);
	va_end(ap);
	return ok ? KUP_OK : KUP_NOMEM;
}

/* Without a knowledge base: the control plane one minor at a time, node pools following it. */
static bool fallback_next(const struct kup_profile *p, const struct kup_version *target,
			  struct kup_fleet_next *out)
{
	bool ok = true;
	char buf[32];
	const struct kup_version *cp = &p->control_plane;
	unsigned remaining = 0;
	bool have = false;
	int gap = target->minor - cp->minor;

	if (cp->major != target->major || gap < 0) {
		return kup_fleet_next_block(out, "the control plane (%s) is past the target %d.%d",
					    p->cp_version_text ? p->cp_version_text : "?",
					    target->major, target->minor) == KUP_OK;
	}
	/* pools lagging behind the control plane first (skew), then the next minor */
	for (size_t i = 0; i < p->npools; i++)
		if (kup_version_cmp_minor(&p->pools[i].version, cp) < 0) {
			if (!have) {
				out->type = KUP_STEP_NODEPOOL;
				ok &= set_fmt(&out->component, "nodepool/%s", p->pools[i].name);
				ok &= set_text(&out->from, p->pools[i].version_text);
				ok &= set_text(&out->to, kup_version_minor_str(cp, buf, sizeof(buf)));
				have = true;
			}
			remaining++;
		}
	remaining += (unsigned)gap * (1 + (unsigned)p->npools);
	if (!have && remaining) {
		struct kup_version nx = *cp;
		nx.minor++;
		nx.has_patch = false;
		out->type = KUP_STEP_CONTROL_PLANE;
		ok &= set_text(&out->component, "control-plane");
		ok &= set_text(&out->from, p->cp_version_text);
		ok &= set_text(&out->to, kup_version_minor_str(&nx, buf, sizeof(buf)));
		have = true;
	}
	out->remaining = remaining;
	out->kind = have ? KUP_FLEET_NEXT_STEP : KUP_FLEET_NEXT_DONE;
	return ok;
}

enum kup_status kup_fleet_next_step(const struct kup_kb *kb, const struct kup_profile *p,
				    const struct kup_version *target, const char *dump,
				    struct kup_fleet_next *out, bool *fallback,
				    struct kup_error *err)
{
	struct kup_plan_opts opts;
	struct kup_plan *plan = NULL;
	const struct kup_plan_step *st;
	enum kup_status rc;

	kup_fleet_next_release(out);
	if (!set_text(&out->version, p->cp_version_text))
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	if (fallback)
		*fallback = false;
	if (!kb) {
		if (fallback)
			*fallback = true;
		if (!fallback_next(p, target, out))
			return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
		return KUP_OK;
	}
	/* at the target already: nothing to plan (kup_plan refuses targets below the control plane) */
	if (kup_version_cmp_minor(&p->control_plane, target) >= 0) {
		bool pools_done = true;
		for (size_t i = 0; i < p->npools; i++)
			if (kup_version_cmp_minor(&p->pools[i].version, target) < 0)
				pools_done = false;
		if (kup_version_cmp_minor(&p->control_plane, target) > 0) {
			if (kup_fleet_next_block(out, "the control plane (%s) is past the target",
						 p->cp_version_text ? p->cp_version_text : "?") != KUP_OK)
				return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
			return KUP_OK;
		}
		if (pools_done) {
			out->kind = KUP_FLEET_NEXT_DONE;
			/* add-ons may still have steps: ask the planner below */
		}
	}
	memset(&opts, 0, sizeof(opts));
	opts.target = *target;
	if (dump) {
		opts.dumps = &dump;
		opts.ndumps = 1;
	}
	rc = kup_plan(kb, p, &opts, &plan, err);
	if (rc != KUP_OK)
		return rc;
	if (plan->input_errors) {
		/* a dump that cannot be read: its blockers are unknown */
		rc = kup_fleet_next_block(out, "cannot read the dump '%s' (%zu problem%s): its "
					  "pre-flight checks are unknown", dump ? dump : "?",
					  plan->input_errors, plan->input_errors == 1 ? "" : "s");
		kup_plan_free(plan);
		return rc == KUP_OK ? KUP_OK : kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	}
	if (plan->verdict == KUP_VERDICT_BLOCKED) {
		struct kup_buf b = KUP_BUF_INIT;
		kup_buf_init(&b);
		for (size_t i = 0; i < plan->nblockers; i++)
			kup_buf_addf(&b, "%s%s: %s", i ? "; " : "", plan->blockers[i].id,
				     plan->blockers[i].message);
		out->kind = KUP_FLEET_NEXT_BLOCKED;
		rc = !b.oom && set_text(&out->why, b.buf) ? KUP_OK :
			kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
		kup_buf_release(&b);
		kup_plan_free(plan);
		return rc;
	}
	st = kup_plan_next_step(plan);
	if (!st) {
		out->kind = KUP_FLEET_NEXT_DONE;
	} else {
		out->kind = KUP_FLEET_NEXT_STEP;
		out->type = st->type;
		/* all three are tried (each frees its old text): '|' on ints, as clang wants */
		if ((int)!set_text(&out->component, st->component) | (int)!set_text(&out->from, st->from) |
		    (int)!set_text(&out->to, st->to))
			rc = kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
		out->remaining = (unsigned)(plan->nsteps - (size_t)(st - plan->steps));
	}
	kup_plan_free(plan);
	return rc;
}
