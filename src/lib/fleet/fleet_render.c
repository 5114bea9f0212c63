/* fleet_render.c - `fleet status` (table, JSON) and `fleet plan` renderers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kupgrade/fleet.h"
#include "kupgrade/report.h"

static void iso(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!ms || !gmtime_r(&t, &tm)) {
		snprintf(buf, size, "-");
		return;
	}
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The next step as one line. */
static void next_line(const struct kup_fleet_row *r, char *buf, size_t size)
{
	if (!r->has_next) {
		snprintf(buf, size, "-");
		return;
	}
	switch (r->next.kind) {
	case KUP_FLEET_NEXT_STEP:
		snprintf(buf, size, "%s %s -> %s", r->next.type == KUP_STEP_CONTROL_PLANE ? "control-plane"
			 : r->next.component, r->next.from[0] ? r->next.from : "?", r->next.to);
		break;
	case KUP_FLEET_NEXT_DONE:
		snprintf(buf, size, "-");
		break;
	case KUP_FLEET_NEXT_BLOCKED:
		snprintf(buf, size, "(blocked)");
		break;
	}
}

/* What the cluster is doing or waiting for, in a few words. */
static void doing(const struct kup_fleet_snapshot *snap, const struct kup_fleet_row *r, char *buf,
		  size_t size)
{
	const struct kup_fleet *f = snap->fleet;
	const struct kup_fleet_decision *d = &r->decision;
	char t[64];

	switch (r->state) {
	case KUP_FLEET_DONE:
	case KUP_FLEET_FAILED:
	case KUP_FLEET_HELD:
		snprintf(buf, size, "%s", r->reason ? r->reason : "");
		return;
	default:
		break;
	}
	if (r->has_next && r->next.kind == KUP_FLEET_NEXT_BLOCKED) {
		snprintf(buf, size, "blocked: will be held");
		return;
	}
	switch (d->wait) {
	case KUP_FLEET_GO:
		snprintf(buf, size, "%s", r->state == KUP_FLEET_PENDING ? "ready to start"
			 : r->reason ? r->reason : "in progress");
		break;
	case KUP_FLEET_WAIT_SOAK:
		iso(d->until_ms, t, sizeof(t));
		snprintf(buf, size, "waiting: wave %s soaks until %s", f->waves[d->wave].name, t);
		break;
	case KUP_FLEET_WAIT_WINDOW:
		iso(d->until_ms, t, sizeof(t));
		snprintf(buf, size, "waiting: window %s opens %s", f->waves[r->decision.wave].window.text, t);
		break;
	case KUP_FLEET_WAIT_APPROVAL:
		snprintf(buf, size, "waiting: wave %s needs approval", f->waves[d->wave].name);
		break;
	case KUP_FLEET_WAIT_EARLIER_WAVE:
		snprintf(buf, size, "waiting: wave %s not complete", f->waves[d->wave].name);
		break;
	default:
		snprintf(buf, size, "waiting: %s", kup_fleet_wait_name(d->wait));
		break;
	}
}

static void pad(struct kup_buf *b, const char *s, size_t w)
{
	size_t n = strlen(s);
	kup_buf_adds(b, s);
	for (; n < w; n++)
		kup_buf_addc(b, ' ');
	kup_buf_addc(b, ' ');
}

enum kup_status kup_fleet_render_status(const struct kup_fleet_snapshot *snap,
					enum kup_fleet_format fmt, struct kup_buf *out)
{
	const struct kup_fleet *f = snap->fleet;
	char nx[300], what[700], t[64];

	if (fmt == KUP_FLEET_JSON) {
		kup_buf_adds(out, "{\"schema_version\": 1, \"fleet\": ");
		kup_json_quote(out, f->name);
		kup_buf_adds(out, ", \"target\": ");
		kup_json_quote(out, f->target_text);
		iso(snap->now_ms, t, sizeof(t));
		kup_buf_addf(out, ", \"now\": \"%s\", \"paused\": %s, \"halted\": %s, \"waves\": [",
			     t, snap->paused ? "true" : "false", snap->halted ? "true" : "false");
		for (size_t w = 0; w < snap->nwaves; w++) {
			const struct kup_fleet_wave_row *wr = &snap->waves[w];
			kup_buf_adds(out, w ? ", {\"name\": " : "{\"name\": ");
			kup_json_quote(out, wr->name);
			kup_buf_addf(out, ", \"clusters\": %zu, \"done\": %zu, \"failed\": %zu, \"held\": %zu, "
				     "\"in_progress\": %zu, \"paused\": %s, \"halted\": %s, \"approval\": %s, "
				     "\"approved_by\": ", wr->nclusters, wr->ndone, wr->nfailed, wr->nheld,
				     wr->nrunning, wr->paused ? "true" : "false", wr->halted ? "true" : "false",
				     wr->approval ? "true" : "false");
			kup_json_quote(out, wr->approved_by);
			kup_buf_adds(out, ", \"reason\": ");
			kup_json_quote(out, wr->reason);
			kup_buf_adds(out, "}");
		}
		kup_buf_adds(out, "], \"clusters\": [");
		for (size_t i = 0; i < snap->nrows; i++) {
			const struct kup_fleet_row *r = &snap->rows[i];
			next_line(r, nx, sizeof(nx));
			doing(snap, r, what, sizeof(what));
			kup_buf_adds(out, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
			kup_json_quote(out, r->name);
			kup_buf_adds(out, ", \"wave\": ");
			kup_json_quote(out, r->wave);
			kup_buf_adds(out, ", \"version\": ");
			kup_json_quote(out, r->version);
			kup_buf_adds(out, ", \"target\": ");
			kup_json_quote(out, r->target);
			kup_buf_adds(out, ", \"state\": ");
			kup_json_quote(out, kup_fleet_state_name(r->state));
			kup_buf_adds(out, ", \"next_step\": ");
			kup_json_quote(out, r->has_next && r->next.kind == KUP_FLEET_NEXT_STEP ? nx : NULL);
			kup_buf_adds(out, ", \"steps_left\": ");
			kup_buf_addf(out, "%u", r->has_next && r->next.kind == KUP_FLEET_NEXT_STEP ?
				     r->next.remaining : 0);
			kup_buf_adds(out, ", \"wait\": ");
			kup_json_quote(out, kup_fleet_wait_name(r->decision.wait));
			kup_buf_adds(out, ", \"detail\": ");
			kup_json_quote(out, what);
			kup_buf_adds(out, ", \"blockers\": ");
			kup_json_quote(out, r->blockers);
			kup_buf_addf(out, ", \"failures\": %u, \"attempt\": %u}", r->failures, r->attempt);
		}
		kup_buf_adds(out, "\n]}\n");
		return out->oom ? KUP_NOMEM : KUP_OK;
	}
	size_t wn = 7, ww = 4, wv = 7, ws = 5, wx = 9;
	for (size_t i = 0; i < snap->nrows; i++) {
		const struct kup_fleet_row *r = &snap->rows[i];
		next_line(r, nx, sizeof(nx));
		if (strlen(r->name) > wn) wn = strlen(r->name);
		if (strlen(r->wave) > ww) ww = strlen(r->wave);
		if (r->version && strlen(r->version) > wv) wv = strlen(r->version);
		if (strlen(kup_fleet_state_name(r->state)) > ws) ws = strlen(kup_fleet_state_name(r->state));
		if (strlen(nx) > wx) wx = strlen(nx);
	}
	kup_buf_addf(out, "fleet %s: target %s%s%s\n", f->name, f->target_text,
		     snap->paused ? " (PAUSED)" : "", snap->halted ? " (HALTED)" : "");
	for (size_t w = 0; w < snap->nwaves; w++) {
		const struct kup_fleet_wave_row *wr = &snap->waves[w];
		kup_buf_addf(out, "wave %s: %zu/%zu done", wr->name, wr->ndone, wr->nclusters);
		if (wr->nrunning)
			kup_buf_addf(out, ", %zu in progress", wr->nrunning);
		if (wr->nfailed)
			kup_buf_addf(out, ", %zu failed", wr->nfailed);
		if (wr->nheld)
			kup_buf_addf(out, ", %zu held", wr->nheld);
		if (wr->approval)
			kup_buf_addf(out, ", approval: %s", wr->approved_by ? wr->approved_by : "not yet");
		if (wr->halted)
			kup_buf_adds(out, ", HALTED");
		else if (wr->paused)
			kup_buf_adds(out, ", PAUSED");
		if ((wr->halted || wr->paused) && wr->reason)
			kup_buf_addf(out, " (%s)", wr->reason);
		kup_buf_addc(out, '\n');
	}
	kup_buf_addc(out, '\n');
	pad(out, "CLUSTER", wn);
	pad(out, "WAVE", ww);
	pad(out, "VERSION", wv);
	pad(out, "TARGET", 6);
	pad(out, "STATE", ws);
	pad(out, "NEXT STEP", wx);
	kup_buf_adds(out, "DETAIL\n");
	for (size_t i = 0; i < snap->nrows; i++) {
		const struct kup_fleet_row *r = &snap->rows[i];
		next_line(r, nx, sizeof(nx));
		doing(snap, r, what, sizeof(what));
		pad(out, r->name, wn);
		pad(out, r->wave, ww);
		pad(out, r->version ? r->version : "?", wv);
		pad(out, r->target, 6);
		pad(out, kup_fleet_state_name(r->state), ws);
		pad(out, nx, wx);
		kup_buf_adds(out, what);
		if (r->blockers && r->state != KUP_FLEET_FAILED)
			kup_buf_addf(out, "%sblockers: %s", what[0] ? "; " : "", r->blockers);
		kup_buf_addc(out, '\n');
	}
	return out->oom ? KUP_NOMEM : KUP_OK;
}

enum kup_status kup_fleet_render_plan(const struct kup_fleet_snapshot *snap, struct kup_buf *out)
{
	size_t go = 0, wait = 0;
	char nx[300], what[700];

	kup_buf_addf(out, "fleet %s: the next tick would%s\n", snap->fleet->name,
		     snap->paused || snap->halted ? " do nothing: the fleet is paused or halted" : ":");
	for (size_t i = 0; i < snap->nrows; i++) {
		const struct kup_fleet_row *r = &snap->rows[i];
		if (r->state == KUP_FLEET_DONE || r->state == KUP_FLEET_FAILED)
			continue;
		next_line(r, nx, sizeof(nx));
		if (r->has_next && r->next.kind == KUP_FLEET_NEXT_BLOCKED) {
			kup_buf_addf(out, "  hold   %s (wave %s): %s\n", r->name, r->wave, r->next.why);
			wait++;
			continue;
		}
		if (r->decision.wait == KUP_FLEET_GO) {
			if (r->has_next && r->next.kind == KUP_FLEET_NEXT_DONE)
				kup_buf_addf(out, "  finish %s (wave %s): at the target%s\n", r->name, r->wave,
					     r->state == KUP_FLEET_PENDING ? " already" : ", health gate");
			else if (r->state == KUP_FLEET_PENDING || r->state == KUP_FLEET_HELD)
				kup_buf_addf(out, "  start  %s (wave %s): %s%s (%u step%s left)\n", r->name,
					     r->wave, snap->fleet->cmd[KUP_FLEET_CMD_HEALTH].text ?
					     "health gate, then " : "", nx, r->next.remaining,
					     r->next.remaining == 1 ? "" : "s");
			else
				kup_buf_addf(out, "  run    %s (wave %s): %s (%u step%s left)\n", r->name,
					     r->wave, nx, r->next.remaining, r->next.remaining == 1 ? "" : "s");
			go++;
		} else {
			doing(snap, r, what, sizeof(what));
			kup_buf_addf(out, "  wait   %s (wave %s): %s\n", r->name, r->wave, what);
			wait++;
		}
	}
	kup_buf_addf(out, "%zu cluster%s would act, %zu wait or are held\n", go, go == 1 ? "" : "s",
		     wait);
	return out->oom ? KUP_NOMEM : KUP_OK;
}
