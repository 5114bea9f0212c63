/*
 * plan_tuned.c - the tuned settings of the pool rolls (kup_plan_opts.tuned,
 * computed by the caller from a rollout scenario) copied into the plan and
 * attached to the nodepool steps of their pool.
 */
#include <string.h>

#include "plan/plan_int.h"

static const char *copy(struct kup_arena *a, const char *s)
{
	return s ? kup_arena_strdup(a, s) : NULL;
}

void kup_plan_attach_tuned(struct kup_plan *plan, const struct kup_plan_opts *opts)
{
	size_t i, j, k;

	for (i = 0; opts && i < opts->ntuned; i++) {
		const struct kup_plan_tuned *src = &opts->tuned[i];
		struct kup_plan_tuned *t = NULL;
		const char **cmds;

		for (j = 0; j < plan->nsteps; j++) {
			struct kup_plan_step *s = &plan->steps[j];
			const char *name = s->component;

			if (s->type != KUP_STEP_NODEPOOL || !name)
				continue;
			if (!strncmp(name, "nodepool/", 9))
				name += 9;
			if (src->pool && strcmp(src->pool, name))
				continue;
			if (!t) {
				t = kup_arena_zalloc(&plan->arena, sizeof(*t));
				cmds = src->ncommands ? kup_arena_zalloc(&plan->arena,
									 src->ncommands * sizeof(*cmds)) : NULL;
				if (!t || (src->ncommands && !cmds))
					return;   /* the arena's failed flag says so */
				*t = *src;
				t->pool = copy(&plan->arena, src->pool);
				t->provider = copy(&plan->arena, src->provider);
				t->settings_json = copy(&plan->arena, src->settings_json);
				t->settings_text = copy(&plan->arena, src->settings_text);
				t->default_json = copy(&plan->arena, src->default_json);
				for (k = 0; k < src->ncommands; k++)
					cmds[k] = copy(&plan->arena, src->commands[k]);
				t->commands = cmds;
			}
			s->tuned = t;
		}
	}
}
