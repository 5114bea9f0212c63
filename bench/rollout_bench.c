/*
 * rollout_bench.c - CPU seconds of one simulator run per policy.
 *
 *   rollout_bench SCENARIO [RUNS]
 *
 * Loads the scenario once, then for every policy, at its documented
 * defaults and at the scenario's budget (kupgrade: at the budget only),
 * runs the simulator on the scenario's seed RUNS times (default 3) and
 * prints the best process CPU time of a run (parsing excluded), with the
 * run's makespan and number of events:
 *
 *   <policy> <default|equal> <cpu seconds> <makespan s> <events> <failed 0|1>
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kupgrade/rollout.h"

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct kup_ro_scenario *sc = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	int runs = argc > 2 ? atoi(argv[2]) : 3, r, pass;
	size_t i;

	if (argc < 2 || runs < 1) {
		fprintf(stderr, "usage: rollout_bench SCENARIO [RUNS]\n");
		return 2;
	}
	if (kup_ro_scenario_load(argv[1], &sc, &err) != KUP_OK) {
		fprintf(stderr, "%s:%u:%u: %s\n", err.path ? err.path : argv[1], err.line, err.column,
			err.msg ? err.msg : "error");
		return 1;
	}
	for (pass = 0; pass < 2; pass++)
	for (i = 0; i < kup_ro_policy_count(); i++) {
		const struct kup_ro_policy *p = kup_ro_policy_at(i);
		struct kup_ro_opts opts = { pass == 1, false, false, NULL, NULL };
		struct kup_ro_metrics m;
		double best = 1e300;
		if (pass == 0 && p->mode == KUP_RO_MODE_KUPGRADE)
			continue;
		for (r = 0; r < runs; r++) {
			double t0 = cpu_now(), t;
			if (kup_ro_simulate_opts(sc, p, &opts, sc->seed, &m, &err) != KUP_OK) {
				fprintf(stderr, "%s: %s\n", p->name, err.msg ? err.msg : "error");
				return 1;
			}
			t = cpu_now() - t0;
			if (t < best)
				best = t;
		}
		printf("%s %s %.3f %.0f %llu %d\n", p->name, pass ? "equal" : "default", best,
		       m.makespan_s, (unsigned long long)m.events, m.failed ? 1 : 0);
		fflush(stdout);
	}
	kup_error_release(&err);
	kup_ro_scenario_free(sc);
	return 0;
}
