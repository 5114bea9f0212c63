/*
 * fuzz_scenario.c - kup_ro_scenario_parse on arbitrary bytes; a scenario
 * that parses is checked (pre-flight) and, when small, simulated once with
 * the kupgrade policy and one provider.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kupgrade/rollout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_ro_scenario *sc = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_ro_findings f;
	size_t i;
	int64_t nodes = 0, pods = 0;

	if (size > 1 << 16)
		return 0;
	if (kup_ro_scenario_parse((const char *)data, size, "fuzz.yaml", &sc, &err) != KUP_OK) {
		if (!err.msg)
			abort();
		kup_error_release(&err);
		return 0;
	}
	for (i = 0; i < sc->npools; i++)
		nodes += sc->pools[i].nodes;
	for (i = 0; i < sc->nwls; i++)
		pods += sc->wls[i].replicas;
	if (kup_ro_check(sc, &f) == KUP_OK)
		kup_ro_findings_release(&f);
	if (nodes <= 40 && pods <= 400) {
		struct kup_ro_metrics m;
		if (kup_ro_simulate(sc, kup_ro_policy_find("kupgrade"), 1, &m, &err) == KUP_OK &&
		    (m.makespan_s < 0 || m.deficit_pod_s < 0 || m.pdb_violation_s < 0))
			abort();
		if (kup_ro_simulate(sc, kup_ro_policy_find("eks"), 1, &m, &err) == KUP_OK &&
		    m.makespan_s < 0)
			abort();
	}
	kup_error_release(&err);
	kup_ro_scenario_free(sc);
	return 0;
}
