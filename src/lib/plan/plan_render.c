/*
 * plan_render.c - a plan as a short human summary (text) and as the JSON
 * document of schema_version 1:
 *
 *     {"schema_version": 1, "cluster": ..., "from": ..., "to": ...,
 *      "verdict": "READY|READY_WITH_WARNINGS|BLOCKED",
 *      "steps": [{"order", "type", "component", "from", "to", "reason"}],
 *      "blockers": [{"id", "message"}],
 *      "risks": [{"id", "severity", "at", "message", "evidence",
 *                 "mitigation", "source"}]}
 *
 * The key names and their order are a contract; "warnings" follows them.
 */
#include <string.h>

#include "plan/plan_int.h"
#include "kupgrade/emit.h"

/* settings JSON made by the caller (kup_plan_tuned), or null */
static void emit_settings(struct kup_emit *e, const char *key, const char *json)
{
	struct kup_error err = KUP_ERROR_INIT;

	kup_emit_key(e, key);
	if (!json)
		kup_emit_null(e);
	else if (!kup_emit_json_text(e, json, strlen(json), &err))
		e->failed = true;
	kup_error_release(&err);
}

/*
 * "tuned": the provider's knobs tuned by simulation (rollout tune) for a
 * nodepool step: settings and makespans (seconds, medians, simulated),
 * the budget searched within, the commands.
 */
static void emit_tuned(struct kup_emit *e, const struct kup_plan_tuned *t)
{
	size_t i;

	kup_emit_key(e, "tuned");
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "provider", t->provider);
	kup_emit_key(e, "simulated");
	kup_emit_bool(e, true);
	kup_emit_kint(e, "seeds", t->seeds);
	kup_emit_key(e, "budget");
	kup_emit_begin_map(e);
	kup_emit_kint(e, "maxSurgeNodes", t->max_surge);
	kup_emit_kint(e, "maxUnavailableNodes", t->max_unavailable);
	kup_emit_end(e);
	emit_settings(e, "settings", t->settings_json);
	kup_emit_key(e, "makespan_s");
	if (t->settings_json)
		kup_emit_int(e, (int64_t)(t->makespan_s + 0.5));
	else
		kup_emit_null(e);
	emit_settings(e, "default_settings", t->default_json);
	kup_emit_kint(e, "default_makespan_s", (int64_t)(t->default_makespan_s + 0.5));
	kup_emit_key(e, "keep_defaults");
	kup_emit_bool(e, t->keep_defaults);
	kup_emit_key(e, "commands");
	kup_emit_begin_seq(e);
	for (i = 0; i < t->ncommands; i++)
		kup_emit_str(e, t->commands[i]);
	kup_emit_end(e);
	kup_emit_end(e);
}

void kup_plan_render_json(const struct kup_plan *plan, struct kup_buf *out, enum kup_emit_mode mode)
{
	struct kup_emit e;
	size_t i;

	kup_emit_init(&e, out, mode);
	kup_emit_begin_map(&e);
	kup_emit_kint(&e, "schema_version", 1);
	kup_emit_kstr(&e, "cluster", plan->cluster);
	kup_emit_kstr(&e, "from", plan->from);
	kup_emit_kstr(&e, "to", plan->to);
	kup_emit_kstr(&e, "verdict", kup_verdict_name(plan->verdict));
	kup_emit_key(&e, "steps");
	kup_emit_begin_seq(&e);
	for (i = 0; i < plan->nsteps; i++) {
		const struct kup_plan_step *s = &plan->steps[i];

		kup_emit_begin_map(&e);
		kup_emit_kint(&e, "order", s->order);
		kup_emit_kstr(&e, "type", kup_step_type_name(s->type));
		kup_emit_kstr(&e, "component", s->component);
		kup_emit_kstr(&e, "from", s->from);
		kup_emit_kstr(&e, "to", s->to);
		kup_emit_kstr(&e, "reason", s->reason);
		if (s->command)
			kup_emit_kstr(&e, "command", s->command);
		if (s->provider_version)
			kup_emit_kstr(&e, "provider_version", s->provider_version);
		if (s->tuned)
			emit_tuned(&e, s->tuned);
		kup_emit_end(&e);
	}
	kup_emit_end(&e);
	kup_emit_key(&e, "blockers");
	kup_emit_begin_seq(&e);
	for (i = 0; i < plan->nblockers; i++) {
		kup_emit_begin_map(&e);
		kup_emit_kstr(&e, "id", plan->blockers[i].id);
		kup_emit_kstr(&e, "message", plan->blockers[i].message);
		kup_emit_end(&e);
	}
	kup_emit_end(&e);
	kup_emit_key(&e, "risks");
	kup_emit_begin_seq(&e);
	for (i = 0; i < plan->nrisks; i++) {
		const struct kup_plan_risk *r = &plan->risks[i];

		kup_emit_begin_map(&e);
		kup_emit_kstr(&e, "id", r->id);
		kup_emit_kstr(&e, "severity", kup_severity_name(r->severity));
		kup_emit_kstr(&e, "at", r->at);
		kup_emit_kstr(&e, "message", r->message);
		kup_emit_kstr(&e, "evidence", r->evidence);
		kup_emit_kstr(&e, "mitigation", r->mitigation);
		kup_emit_kstr(&e, "source", r->source);
		kup_emit_end(&e);
	}
	kup_emit_end(&e);
	kup_emit_key(&e, "warnings");
	kup_emit_begin_seq(&e);
	for (i = 0; i < plan->nwarnings; i++)
		kup_emit_str(&e, plan->warnings[i]);
	kup_emit_end(&e);
	kup_emit_end(&e);
	kup_emit_finish(&e);
	if (e.failed)
		out->oom = true;
}

static void pad(struct kup_buf *out, size_t have, size_t width)
{
	while (have++ < width)
		kup_buf_addc(out, ' ');
}

/* Appends s sanitised and padded to width (counted in bytes). */
static void cell(struct kup_buf *out, const char *s, size_t width)
{
	size_t before = out->len;

	kup_text_sanitize(out, s ? s : "");
	pad(out, out->len - before, width);
}

void kup_plan_render_findings(const struct kup_plan *plan, enum kup_format fmt,
			      struct kup_buf *out)
{
	struct kup_arena strings;
	struct kup_report_item *items;
	struct kup_report rep;
	size_t n;

	if (!plan->nblockers && !plan->nrisks)
		return;
	kup_arena_init(&strings, 1024);
	memset(&rep, 0, sizeof(rep));
	if (kup_plan_report_items(plan, &strings, &items, &n) != KUP_OK) {
		out->oom = true;
		goto out;
	}
	rep.items = items;
	rep.nitems = n;
	rep.target_version = plan->to;
	if (kup_report_render_items(fmt, &rep, out) != KUP_OK)
		out->oom = true;
out:
	kup_arena_release(&strings);
}

void kup_plan_tuned_text(struct kup_buf *out, const struct kup_plan_tuned *t)
{
	kup_buf_addf(out, "tuned by simulation (%d seed%s, budget %d surge / %d unavailable nodes, "
		     "%s's own knobs): ", t->seeds, t->seeds == 1 ? "" : "s", t->max_surge,
		     t->max_unavailable, t->provider ? t->provider : "the provider");
	if (t->settings_text && t->keep_defaults) {
		kup_buf_addf(out, "keep the documented defaults (simulated median makespan %.0f s; "
			     "the best setting within the budget, ", t->default_makespan_s);
		kup_text_sanitize(out, t->settings_text);
		kup_buf_addf(out, ", %.0f s)", t->makespan_s);
	} else if (t->settings_text) {
		kup_text_sanitize(out, t->settings_text);
		kup_buf_addf(out, ", simulated median makespan %.0f s against %.0f s at the "
			     "documented defaults; set before the roll", t->makespan_s,
			     t->default_makespan_s);
	} else {
		kup_buf_addf(out, "no setting within the budget finishes with 0 PDB-violation seconds "
			     "on every seed (documented defaults: %.0f s simulated)",
			     t->default_makespan_s);
	}
}

static void tuned_text(struct kup_buf *out, const struct kup_plan_tuned *t, const char *indent)
{
	size_t i;

	kup_buf_adds(out, indent);
	kup_plan_tuned_text(out, t);
	kup_buf_addc(out, '\n');
	for (i = 0; i < t->ncommands; i++) {
		kup_buf_addf(out, "%s$ ", indent);
		kup_text_sanitize(out, t->commands[i]);
		kup_buf_addc(out, '\n');
	}
}

void kup_plan_render_text(const struct kup_plan *plan, struct kup_buf *out)
{
	const struct kup_plan_full *full = kup_plan_full_c(plan);
	size_t i, wc = 9, wf = 4;

	kup_buf_adds(out, "cluster ");
	kup_text_sanitize(out, plan->cluster);
	kup_buf_adds(out, ": ");
	kup_text_sanitize(out, plan->from);
	kup_buf_adds(out, " -> ");
	kup_text_sanitize(out, plan->to);
	kup_buf_addf(out, ": %s\n", kup_verdict_name(plan->verdict));
	kup_buf_addf(out, "%u control-plane hop%s, %u node-pool roll%s, %zu step%s, "
		     "%zu blocker%s, %zu risk%s, %zu warning%s\n",
		     full->hops, full->hops == 1 ? "" : "s",
		     plan->node_rolls, plan->node_rolls == 1 ? "" : "s",
		     plan->nsteps, plan->nsteps == 1 ? "" : "s",
		     plan->nblockers, plan->nblockers == 1 ? "" : "s",
		     plan->nrisks, plan->nrisks == 1 ? "" : "s",
		     plan->nwarnings, plan->nwarnings == 1 ? "" : "s");
	for (i = 0; i < plan->nsteps; i++) {
		size_t l = plan->steps[i].component ? strlen(plan->steps[i].component) : 0;
		size_t lf = plan->steps[i].from ? strlen(plan->steps[i].from) : 0;

		if (l > wc && l < 40)
			wc = l;
		if (lf > wf && lf < 24)
			wf = lf;
	}
	if (plan->nsteps)
		kup_buf_adds(out, "\nsteps:\n");
	for (i = 0; i < plan->nsteps; i++) {
		const struct kup_plan_step *s = &plan->steps[i];

		kup_buf_addf(out, "%4u. ", s->order);
		cell(out, kup_step_type_name(s->type), 14);
		cell(out, s->component, wc + 2);
		cell(out, s->from, wf);
		kup_buf_adds(out, " -> ");
		cell(out, s->to, 8);
		kup_buf_adds(out, "  ");
		kup_text_sanitize(out, s->reason);
		kup_buf_addc(out, '\n');
		if (s->command) {
			kup_buf_adds(out, "        $ ");
			kup_text_sanitize(out, s->command);
			kup_buf_addc(out, '\n');
		}
		if (s->tuned)
			tuned_text(out, s->tuned, "        ");
	}
	kup_plan_render_findings(plan, KUP_FMT_TABLE, out);
	if (full->nheld)
		kup_buf_adds(out, "\ncharts held back:\n");
	for (i = 0; i < full->nheld; i++) {
		kup_buf_adds(out, "  - ");
		kup_text_sanitize(out, full->held[i]);
		kup_buf_addc(out, '\n');
	}
	if (plan->nwarnings)
		kup_buf_adds(out, "\nwarnings:\n");
	for (i = 0; i < plan->nwarnings; i++) {
		kup_buf_adds(out, "  - ");
		kup_text_sanitize(out, plan->warnings[i]);
		kup_buf_addc(out, '\n');
	}
}
