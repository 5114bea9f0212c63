/*
 * plan_tune.h - `plan` with a dump or a live cluster: the pool roll's
 * provider knobs tuned by simulation (the code of `rollout tune`).
 */
#ifndef KUPGRADE_CLI_PLAN_TUNE_H
#define KUPGRADE_CLI_PLAN_TUNE_H

#include "kupgrade/plan.h"

/* Random timings simulated per setting: fewer than rollout tune's 20, so plan stays fast. */
#define CLI_PLAN_TUNE_SEEDS 5

struct cli_plan_tune {
	int max_surge, max_unavailable; /* the budget (--max-surge, --max-unavailable); -1: the default */
	bool done;                      /* tried (for `provider`) */
	const char *provider, *cluster;
	struct kup_plan_tuned *v;       /* one per pool of the scenario */
	size_t n;
	char **owned;                   /* strings copied out of `strings` */
	size_t nowned;
};

/*
 * Tunes the provider's knobs (eks, gke, aks; anything else: nothing) over
 * the rollout scenario of the first of `dumps` that gives one
 * (kup_ro_from_dump, as `rollout scenario --from-dump`), within the budget
 * t->max_surge / t->max_unavailable, by default maxSurgeNodes = 10% of its
 * nodes (rounded up, at least 1) and maxUnavailableNodes = 0, over
 * CLI_PLAN_TUNE_SEEDS seeds.  A dump that
 * gives no scenario is skipped (a warning).  Results go into *t (kept for
 * the next call with the same provider and cluster).  A setting that is not
 * faster than the documented defaults is reported with keep_defaults and no
 * command.  The commands name `cluster`.  false when memory ran out.
 */
bool cli_plan_tune(const struct kup_kb *kb, const char *provider, const char *cluster,
		   const char *const *dumps,
		   const char *const *names, size_t ndumps, struct cli_plan_tune *t);
void cli_plan_tune_release(struct cli_plan_tune *t);

#endif
