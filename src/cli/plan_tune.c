/*
 * plan_tune.c - the tuned settings of `plan`'s pool rolls: a rollout
 * scenario from the plan's dump, `rollout tune` over it (docs/rollout.md).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plan_tune.h"
#include "kupgrade/kbrules.h"
#include "kupgrade/rollout.h"

static char *own(struct cli_plan_tune *t, const char *s)
{
	char **v;

	if (!s)
		return NULL;
	v = realloc(t->owned, (t->nowned + 1) * sizeof(*v));
	if (!v)
		return NULL;
	t->owned = v;
	v[t->nowned] = kup_strdup(s);
	return v[t->nowned] ? v[t->nowned++] : NULL;
}

void cli_plan_tune_release(struct cli_plan_tune *t)
{
	int s = t->max_surge, u = t->max_unavailable;
	size_t i;

	for (i = 0; i < t->nowned; i++)
		free(t->owned[i]);
	free(t->owned);
	for (i = 0; i < t->n; i++)
		free((void *)t->v[i].commands);
	free(t->v);
	memset(t, 0, sizeof(*t));
	t->max_surge = s;
	t->max_unavailable = u;
}

/* The scenario of the first dump that gives one, or NULL. */
static struct kup_ro_scenario *scenario(const struct kup_kb *kb, const char *const *dumps,
					const char *const *names, size_t ndumps)
{
	size_t i;

	for (i = 0; i < ndumps; i++) {
		struct kup_error err = KUP_ERROR_INIT;
		struct kup_buf y = KUP_BUF_INIT;
		struct kup_ro_scenario *sc = NULL;
		const char *name = names && names[i] ? names[i] : dumps[i];
		char *text = NULL;
		size_t len = 0;

		if (kup_read_file(dumps[i], (size_t)1 << 30, &text, &len, &err) == KUP_OK &&
		    kup_ro_from_dump(kb, text, len, name, &y, &err) == KUP_OK && !y.oom &&
		    kup_ro_scenario_parse(y.buf, y.len, name, &sc, &err) == KUP_OK && sc->npools) {
			free(text);
			kup_buf_release(&y);
			kup_error_release(&err);
			return sc;
		}
		if (err.msg)
			cli_warning("%s: no rollout scenario for the pool-roll tuning: %s", name, err.msg);
		kup_ro_scenario_free(sc);
		free(text);
		kup_buf_release(&y);
		kup_error_release(&err);
	}
	return NULL;
}

/* s with every "<cluster>" replaced by cluster, into out */
static void with_cluster(struct kup_buf *out, const char *s, const char *cluster)
{
	const char *p;

	while ((p = strstr(s, "<cluster>")) != NULL) {
		kup_buf_add(out, s, (size_t)(p - s));
		kup_buf_adds(out, cluster);
		s = p + 9;
	}
	kup_buf_adds(out, s);
}

bool cli_plan_tune(const struct kup_kb *kb, const char *provider, const char *cluster,
		   const char *const *dumps,
		   const char *const *names, size_t ndumps, struct cli_plan_tune *t)
{
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_ro_scenario *sc = NULL;
	struct kup_ro_tune r;
	struct kup_buf sj = KUP_BUF_INIT, st = KUP_BUF_INIT, dj = KUP_BUF_INIT, cmd = KUP_BUF_INIT;
	struct kup_buf line = KUP_BUF_INIT;
	bool keep;
	const char *s_json, *s_text, *d_json;
	size_t i;
	int nodes = 0;
	bool ok = true;

	if (!cluster || !*cluster)
		cluster = "<cluster>";
	if (t->done && t->provider && provider && !strcmp(t->provider, provider) && t->cluster &&
	    !strcmp(t->cluster, cluster))
		return true;
	cli_plan_tune_release(t);
	t->done = true;
	t->cluster = own(t, cluster);
	if (!t->cluster)
		return false;
	/* the providers whose pools the knowledge base has node_upgrade rows for (eks, gke, aks) */
	if (!provider || !kup_rules_pool_upgrade(kup_kb_provider_rules(kb, provider)))
		return true;
	t->provider = own(t, provider);
	/* the providers' defaults, from the node_upgrade rows of the knowledge base plan uses */
	if (kup_ro_policies_from_kb(kb, &err) != KUP_OK) {
		cli_warning("no pool-roll tuning: %s", err.msg ? err.msg : "no node_upgrade rows");
		kup_error_release(&err);
		return true;
	}
	sc = scenario(kb, dumps, names, ndumps);
	if (!sc)
		goto out;
	for (i = 0; i < sc->npools; i++)
		nodes += sc->pools[i].nodes;
	sc->max_surge = t->max_surge >= 0 ? t->max_surge : nodes >= 10 ? (nodes + 9) / 10 : 1;
	sc->max_unavailable = t->max_unavailable >= 0 ? t->max_unavailable : 0;
	if (kup_ro_tune(sc, provider, CLI_PLAN_TUNE_SEEDS, &r, &err) != KUP_OK) {
		cli_warning("no pool-roll tuning: %s", err.msg ? err.msg : "the simulation failed");
		goto out;
	}
	kup_ro_tune_settings(&r.def, true, &dj);
	/* a setting no faster than the defaults is no advice */
	keep = r.found && r.tuned_sum.makespan_median >= r.def_sum.makespan_median;
	if (r.found) {
		kup_ro_tune_settings(&r.tuned, true, &sj);
		kup_ro_tune_settings(&r.tuned, false, &st);
	}
	if (sj.oom || st.oom || dj.oom) {
		ok = false;
		goto out;
	}
	s_json = own(t, sj.buf);
	s_text = own(t, st.buf);
	d_json = own(t, dj.buf);
	t->v = calloc(sc->npools, sizeof(*t->v));
	if (!t->v || (r.found && (!s_json || !s_text)) || !d_json) {
		ok = false;
		goto out;
	}
	for (i = 0; i < sc->npools; i++) {
		struct kup_plan_tuned *x = &t->v[t->n++];
		const char **cmds;

		x->pool = own(t, sc->pools[i].name);
		x->provider = provider;
		x->seeds = r.seeds;
		x->max_surge = sc->max_surge;
		x->max_unavailable = sc->max_unavailable;
		x->settings_json = r.found ? s_json : NULL;
		x->settings_text = r.found ? s_text : NULL;
		x->default_json = d_json;
		x->makespan_s = r.found ? r.tuned_sum.makespan_median : 0;
		x->default_makespan_s = r.def_sum.makespan_median;
		x->keep_defaults = keep;
		if (!x->pool) {
			ok = false;
			goto out;
		}
		if (!r.found || keep)
			continue;
		kup_buf_reset(&cmd);
		kup_buf_reset(&line);
		kup_ro_tune_command(&r, sc->pools[i].name, &cmd);
		if (cmd.buf)
			with_cluster(&line, cmd.buf, cluster);
		cmds = calloc(1, sizeof(*cmds));
		if (!cmds || cmd.oom || line.oom || !line.buf || !(cmds[0] = own(t, line.buf))) {
			free(cmds);
			ok = false;
			goto out;
		}
		x->commands = cmds;
		x->ncommands = 1;
	}
out:
	(void)kup_ro_policies_from_kb(NULL, NULL);
	kup_ro_scenario_free(sc);
	kup_buf_release(&sj);
	kup_buf_release(&st);
	kup_buf_release(&dj);
	kup_buf_release(&cmd);
	kup_buf_release(&line);
	kup_error_release(&err);
	return ok;
}
