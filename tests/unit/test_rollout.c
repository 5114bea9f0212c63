/* test_rollout.c - RolloutScenario parsing, PDB arithmetic, eviction semantics, the scheduler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/rollout.h"

static struct kup_ro_scenario *parse(const char *text)
{
	struct kup_ro_scenario *sc = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	if (kup_ro_scenario_parse(text, strlen(text), "t.yaml", &sc, &err) != KUP_OK)
		fail_msg("%s:%u:%u: %s", err.path, err.line, err.column, err.msg);
	kup_error_release(&err);
	return sc;
}

static void quantities(void **state)
{
	int64_t v;

	(void)state;
	assert_true(kup_ro_parse_cpu("500m", &v));
	assert_int_equal(v, 500);
	assert_true(kup_ro_parse_cpu("2", &v));
	assert_int_equal(v, 2000);
	assert_true(kup_ro_parse_cpu("0.25", &v));
	assert_int_equal(v, 250);
	assert_false(kup_ro_parse_cpu("-1", &v));
	assert_false(kup_ro_parse_cpu("2 cores", &v));
	assert_false(kup_ro_parse_cpu("", &v));
	assert_true(kup_ro_parse_mem("1Gi", &v));
	assert_int_equal(v, 1073741824);
	assert_true(kup_ro_parse_mem("32Gi", &v));
	assert_int_equal(v, 32ll << 30);
	assert_true(kup_ro_parse_mem("128Mi", &v));
	assert_int_equal(v, 128ll << 20);
	assert_true(kup_ro_parse_mem("1G", &v));
	assert_int_equal(v, 1000000000);
	assert_true(kup_ro_parse_mem("1.5Gi", &v));
	assert_int_equal(v, 3ll << 29);
	assert_false(kup_ro_parse_mem("Gi", &v));
	assert_false(kup_ro_parse_mem("12Qi", &v));
}

static struct kup_ro_pdb pdb_max(bool pct, int64_t v)
{
	struct kup_ro_pdb p;

	memset(&p, 0, sizeof(p));
	p.max_unavailable.set = true;
	p.max_unavailable.pct = pct;
	p.max_unavailable.value = v;
	return p;
}

static struct kup_ro_pdb pdb_min(bool pct, int64_t v)
{
	struct kup_ro_pdb p;

	memset(&p, 0, sizeof(p));
	p.min_available.set = true;
	p.min_available.pct = pct;
	p.min_available.value = v;
	return p;
}

static void pdb_arithmetic(void **state)
{
	struct kup_ro_pdb p;

	(void)state;
	/* maxUnavailable percentages round up: 10% of 60 = 6, of 12 = ceil(1.2) = 2 */
	p = pdb_max(true, 10);
	assert_int_equal(kup_ro_pdb_desired_healthy(&p, 60), 54);
	assert_int_equal(kup_ro_pdb_desired_healthy(&p, 12), 10);
	assert_int_equal(kup_ro_pdb_desired_healthy(&p, 1), 0);
	p = pdb_max(true, 50);
	assert_int_equal(kup_ro_pdb_desired_healthy(&p, 7), 3);
	p = pdb_max(false, 1);
	assert_int_equal(kup_ro_pdb_desired_healthy(&p, 5), 4);
	p = pdb_max(false, 0);
	assert_int_equal(kup_ro_pdb_desired_healthy(&p, 5), 5);
	/* minAvailable percentages round up too: 50% of 7 = 4 (the docs' example) */
	p = pdb_min(true, 50);
	assert_int_equal(kup_ro_pdb_desired_healthy(&p, 7), 4);
	p = pdb_min(false, 2);
	assert_int_equal(kup_ro_pdb_desired_healthy(&p, 3), 2);
	p = pdb_min(true, 100);
	assert_int_equal(kup_ro_pdb_desired_healthy(&p, 3), 3);
}

static void eviction_429(void **state)
{
	struct kup_ro_pdb p = pdb_min(false, 2);

	(void)state;
	/* 200 while disruptionsAllowed = healthy - desired stays >= 0 after it */
	assert_true(kup_ro_eviction_allowed(&p, 3, 3, true));
	assert_false(kup_ro_eviction_allowed(&p, 3, 2, true));
	assert_false(kup_ro_eviction_allowed(&p, 3, 1, true));
	/* a Running-but-not-Ready pod: IfHealthyBudget needs healthy >= desired */
	assert_true(kup_ro_eviction_allowed(&p, 3, 2, false));
	assert_false(kup_ro_eviction_allowed(&p, 3, 1, false));
	p.always_allow = true;
	assert_true(kup_ro_eviction_allowed(&p, 3, 1, false));
	assert_false(kup_ro_eviction_allowed(&p, 3, 2, true));
	/* maxUnavailable 0 never allows a voluntary eviction of a Ready pod */
	p = pdb_max(false, 0);
	assert_false(kup_ro_eviction_allowed(&p, 3, 3, true));
}

static const char small[] =
	"apiVersion: kupgrade.dev/v1alpha1\n"
	"kind: RolloutScenario\n"
	"metadata: {name: t}\n"
	"spec:\n"
	"  seed: 7\n"
	"  zones: [a, b, c]\n"
	"  limits: {maxSurgeNodes: 4, zoneCapacity: {a: 5, b: 5, c: 5}}\n"
	"  timings:\n"
	"    nodeProvision: {median: 90, p90: 180}\n"
	"    nodeDrainOverhead: 10\n"
	"    podStart: {median: 8, p90: 30}\n"
	"    evictionRetry: 5\n"
	"  pools:\n"
	"    - {name: general, nodes: 9, capacity: {cpu: 8, memory: 32Gi, pods: 110}, from: \"1.30.4\", to: \"1.31.2\"}\n"
	"  workloads:\n"
	"    - {name: web, kind: Deployment, replicas: 10, requests: {cpu: 500m, memory: 1Gi},\n"
	"       terminationGracePeriodSeconds: 30, spread: zone, pdb: {maxUnavailable: \"10%\"}}\n"
	"    - {name: ledger, kind: StatefulSet, replicas: 3, requests: {cpu: \"2\", memory: 8Gi},\n"
	"       terminationGracePeriodSeconds: 120, spread: zone, pdb: {minAvailable: 2}}\n"
	"    - {name: cache, kind: Deployment, replicas: 1, requests: {cpu: \"1\", memory: 2Gi}}\n"
	"    - {name: orders-db, kind: ReplicatedDatabase, replicas: 3, failoverSeconds: 30}\n"
	"    - {name: node-agent, kind: DaemonSet, requests: {cpu: 100m, memory: 128Mi}}\n";

static void parses_the_issue_example(void **state)
{
	struct kup_ro_scenario *sc = parse(small);

	(void)state;
	assert_string_equal(sc->name, "t");
	assert_int_equal(sc->seed, 7);
	assert_int_equal(sc->nzones, 3);
	assert_int_equal(sc->max_surge, 4);
	assert_int_equal(sc->zone_cap[1], 5);
	assert_true(sc->t.provision.median == 90 && sc->t.provision.p90 == 180);
	assert_true(sc->t.drain_overhead.median == 10 && sc->t.drain_overhead.p90 == 10);
	assert_int_equal(sc->npools, 1);
	assert_int_equal(sc->pools[0].cap.cpu_m, 8000);
	assert_int_equal(sc->pools[0].cap.mem, 32ll << 30);
	assert_int_equal(sc->nwls, 5);
	assert_int_equal(sc->wls[0].req.cpu_m, 500);
	assert_true(sc->wls[0].pdb.max_unavailable.pct);
	assert_int_equal(sc->wls[0].pdb.max_unavailable.value, 10);
	assert_int_equal(sc->wls[1].kind, KUP_RO_STATEFULSET);
	assert_true(sc->wls[1].grace == 120);
	assert_false(sc->wls[2].has_pdb);
	assert_int_equal(sc->wls[3].kind, KUP_RO_DATABASE);
	assert_true(sc->wls[3].has_pdb);   /* the operator's own one-at-a-time guard */
	assert_int_equal(sc->wls[4].kind, KUP_RO_DAEMONSET);
	assert_int_equal(sc->wls[4].replicas, 0);
	kup_ro_scenario_free(sc);
}

static void parses_json(void **state)
{
	static const char json[] =
		"{\"apiVersion\": \"kupgrade.dev/v1alpha1\", \"kind\": \"RolloutScenario\",\n"
		" \"metadata\": {\"name\": \"j\"},\n"
		" \"spec\": {\"zones\": [\"a\"], \"pools\": [{\"name\": \"p\", \"nodes\": 2,\n"
		"   \"capacity\": {\"cpu\": \"4\", \"memory\": \"16Gi\"}}],\n"
		"   \"workloads\": [{\"name\": \"w\", \"replicas\": 2, \"pdb\": {\"minAvailable\": \"50%\"}}]}}\n";
	struct kup_ro_scenario *sc = parse(json);

	(void)state;
	assert_string_equal(sc->name, "j");
	assert_int_equal(sc->pools[0].nodes, 2);
	assert_int_equal(sc->pools[0].cap.pods, 110);
	assert_true(sc->wls[0].pdb.min_available.pct);
	assert_int_equal(sc->max_surge, -1);
	kup_ro_scenario_free(sc);
}

static void expect_error(const char *text, uint32_t line, uint32_t col, const char *needle)
{
	struct kup_ro_scenario *sc = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	assert_int_not_equal(kup_ro_scenario_parse(text, strlen(text), "bad.yaml", &sc, &err), KUP_OK);
	assert_null(sc);
	assert_string_equal(err.path, "bad.yaml");
	if (line)
		assert_int_equal(err.line, line);
	if (col)
		assert_int_equal(err.column, col);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' lacks '%s'", err.msg, needle);
	kup_error_release(&err);
}

static void errors_name_line_and_column(void **state)
{
	(void)state;
	expect_error("kind: RolloutScenario\nspec:\n  zones: [a]\n  pools:\n"
		     "    - {name: p, nodes: 3, capacity: {cpu: lots, memory: 1Gi}}\n",
		     5, 43, "not a cpu quantity");
	expect_error("kind: RolloutScenario\nspec:\n  zones: [a]\n  pools:\n"
		     "    - {name: p, nodes: 3, capacity: {cpu: 1, memory: 1Gi}}\n"
		     "  workloads:\n    - {name: w, kind: Job}\n", 7, 23, "unknown kind 'Job'");
	expect_error("kind: RolloutScenario\nspec:\n  zones: [a]\n  pools:\n"
		     "    - {name: p, nodes: 3, capacity: {cpu: 1, memory: 1Gi}}\n"
		     "  workloads:\n    - {name: w, pdb: {maxUnavailable: \"150%\"}}\n", 7, 39,
		     "not a percentage");
	expect_error("kind: RolloutScenario\nspec:\n  zones: [a]\n  timings: {podStart: {median: 9, p90: 3}}\n"
		     "  pools: []\n", 4, 40, "not below the median");
	expect_error("kind: RolloutScenario\nspec:\n  zones: [a, b]\n  limits: {zoneCapacity: {q: 3}}\n"
		     "  pools: []\n", 4, 27, "'q' is not in spec.zones");
	expect_error("kind: Deployment\n", 1, 7, "RolloutScenario");
	expect_error("kind: RolloutScenario\nspec: {zones: [a]\n", 0, 0, "");
	expect_error("", 1, 1, "no RolloutScenario");
}

/* Initial placement: everything fits, spread workloads are balanced within one pod. */
static void scheduler_spreads_zones(void **state)
{
	struct kup_ro_scenario *sc = parse(small);
	struct kup_ro_placement pl;
	struct kup_error err = KUP_ERROR_INIT;
	int count[8][3];
	size_t i, w;

	(void)state;
	assert_int_equal(kup_ro_place(sc, &pl, &err), KUP_OK);
	assert_int_equal(pl.nnodes, 9);
	assert_int_equal(pl.npods, 10 + 3 + 1 + 3);   /* DaemonSet pods are per-node capacity */
	assert_int_equal(pl.unplaced, 0);
	memset(count, 0, sizeof(count));
	for (i = 0; i < pl.nnodes; i++)
		assert_int_equal(pl.node_zone[i], (int)(i % 3));
	for (i = 0; i < pl.npods; i++) {
		assert_true(pl.pod_node[i] >= 0 && pl.pod_node[i] < 9);
		count[pl.pod_wl[i]][pl.node_zone[pl.pod_node[i]]]++;
	}
	for (w = 0; w < sc->nwls; w++) {
		int lo = 1 << 30, hi = 0, z;
		if (!sc->wls[w].spread_zone)
			continue;
		for (z = 0; z < 3; z++) {
			lo = count[w][z] < lo ? count[w][z] : lo;
			hi = count[w][z] > hi ? count[w][z] : hi;
		}
		assert_true(hi - lo <= 1);
	}
	assert_int_equal(count[0][0] + count[0][1] + count[0][2], 10);
	kup_ro_placement_release(&pl);
	kup_ro_scenario_free(sc);
}

/* members: node k of a pool is in member k's zone and has its name; no members, node-N and round-robin. */
static void members_name_and_zone_nodes(void **state)
{
	static const char text[] =
		"kind: RolloutScenario\nspec:\n  zones: [a, b, c]\n"
		"  pools:\n"
		"    - {name: p, capacity: {cpu: 4, memory: 8Gi},\n"
		"       members: [{name: x1, zone: c}, {name: x2, zone: c}, {name: x3, zone: a}]}\n"
		"    - {name: q, nodes: 2, capacity: {cpu: 4, memory: 8Gi}}\n";
	struct kup_ro_scenario *sc = parse(text);
	struct kup_ro_placement pl;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	assert_int_equal(sc->pools[0].nodes, 3);
	assert_string_equal(kup_ro_node_name(sc, 0), "x1");
	assert_string_equal(kup_ro_node_name(sc, 2), "x3");
	assert_null(kup_ro_node_name(sc, 3));   /* pool q: synthetic */
	assert_null(kup_ro_node_name(sc, 5));
	assert_null(kup_ro_node_name(sc, -1));
	assert_int_equal(kup_ro_place(sc, &pl, &err), KUP_OK);
	assert_int_equal(pl.nnodes, 5);
	assert_int_equal(pl.node_zone[0], 2);
	assert_int_equal(pl.node_zone[1], 2);
	assert_int_equal(pl.node_zone[2], 0);
	assert_int_equal(pl.node_zone[3], 0);   /* round-robin within pool q */
	assert_int_equal(pl.node_zone[4], 1);
	assert_int_equal(pl.node_pool[3], 1);
	kup_ro_placement_release(&pl);
	kup_ro_scenario_free(sc);
	kup_error_release(&err);
}

static void capacity_is_honoured(void **state)
{
	static const char tight[] =
		"kind: RolloutScenario\nspec:\n  zones: [a]\n"
		"  pools: [{name: p, nodes: 2, capacity: {cpu: 2, memory: 4Gi, pods: 3}}]\n"
		"  workloads:\n"
		"    - {name: ds, kind: DaemonSet, requests: {cpu: 500m, memory: 1Gi}}\n"
		"    - {name: w, replicas: 6, requests: {cpu: 500m, memory: 1Gi}}\n";
	struct kup_ro_scenario *sc = parse(tight);
	struct kup_ro_placement pl;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	assert_int_equal(kup_ro_place(sc, &pl, &err), KUP_OK);
	/* per node: 2 cpu - 0.5 (DaemonSet) = 3 pods of 500m, but only 3 - 1 = 2 pod slots */
	assert_int_equal(pl.unplaced, 2);
	kup_ro_placement_release(&pl);
	kup_ro_scenario_free(sc);
}

static void policies_have_sources(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(kup_ro_policy_count(), 8);
	for (i = 0; i < kup_ro_policy_count(); i++) {
		const struct kup_ro_policy *p = kup_ro_policy_at(i);
		assert_non_null(p->source);
		assert_true(strlen(p->summary) > 20);
		assert_ptr_equal(kup_ro_policy_find(p->name), p);
	}
	assert_null(kup_ro_policy_find("nope"));
	assert_int_equal(kup_ro_policy_find("eks")->max_unavailable.value, 1);
	assert_true(kup_ro_policy_find("eks")->drain_timeout == 900);
	assert_true(kup_ro_policy_find("aks")->max_surge.pct);
	assert_int_equal(kup_ro_policy_find("aks")->max_surge.value, 10);
	assert_true(kup_ro_policy_find("aks")->drain_timeout == 1800);
	assert_true(kup_ro_policy_find("capi")->retry == 20);
	assert_true(kup_ro_policy_find("capi")->drain_timeout == 0);
	assert_int_equal(kup_ro_policy_find("gke-surge")->max_surge.value, 1);
	assert_int_equal(kup_ro_policy_find("gke-surge")->max_unavailable.value, 0);
	assert_true(kup_ro_policy_find("openshift")->in_place);
	assert_int_equal(kup_ro_policy_find("karpenter")->max_unavailable.value, 10);
}

static void check_names_blockers(void **state)
{
	static const char bad[] =
		"kind: RolloutScenario\nspec:\n  zones: [a, b]\n"
		"  limits: {maxSurgeNodes: 4, zoneCapacity: {a: 2, b: 9}}\n"
		"  pools: [{name: p, nodes: 4, capacity: {cpu: 8, memory: 32Gi}}]\n"
		"  workloads:\n"
		"    - {name: one, replicas: 1, pdb: {minAvailable: 1}}\n"
		"    - {name: zero, replicas: 3, pdb: {maxUnavailable: 0}}\n"
		"    - {name: sick, replicas: 3, unready: 1, pdb: {minAvailable: 2}}\n"
		"    - {name: lone, replicas: 1}\n";
	struct kup_ro_scenario *sc = parse(bad);
	struct kup_ro_findings f;
	size_t i;
	int seen = 0;

	(void)state;
	assert_int_equal(kup_ro_check(sc, &f), KUP_OK);
	for (i = 0; i < f.n; i++) {
		if (strcmp(f.v[i].code, "min-available-ge-replicas") == 0 &&
		    strcmp(f.v[i].object, "Deployment one") == 0 && f.v[i].sev == KUP_RO_BLOCK)
			seen |= 1;
		if (strcmp(f.v[i].code, "pdb-zero-disruptions") == 0 &&
		    strcmp(f.v[i].object, "Deployment zero") == 0)
			seen |= 2;
		if (strcmp(f.v[i].code, "unready-if-healthy-budget") == 0 &&
		    f.v[i].sev == KUP_RO_BLOCK)
			seen |= 4;
		if (strcmp(f.v[i].code, "single-replica") == 0 &&
		    strcmp(f.v[i].object, "Deployment lone") == 0 && f.v[i].sev == KUP_RO_WARN)
			seen |= 8;
		if (strcmp(f.v[i].code, "zone-without-room") == 0 &&
		    strcmp(f.v[i].object, "zone a") == 0)
			seen |= 16;
	}
	assert_int_equal(seen, 31);
	kup_ro_findings_release(&f);
	kup_ro_scenario_free(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quantities),
		cmocka_unit_test(pdb_arithmetic),
		cmocka_unit_test(eviction_429),
		cmocka_unit_test(parses_the_issue_example),
		cmocka_unit_test(parses_json),
		cmocka_unit_test(errors_name_line_and_column),
		cmocka_unit_test(scheduler_spreads_zones),
		cmocka_unit_test(members_name_and_zone_nodes),
		cmocka_unit_test(capacity_is_honoured),
		cmocka_unit_test(policies_have_sources),
		cmocka_unit_test(check_names_blockers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
