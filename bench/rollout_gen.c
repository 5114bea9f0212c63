/*
 * rollout_gen.c - writes a seeded RolloutScenario with a realistic workload
 * mix: many small Deployments, a few large ones, 1-replica Deployments,
 * StatefulSets with long grace periods, ReplicatedDatabases and DaemonSets,
 * most with PDBs of the common shapes (maxUnavailable 1 / 10% / 25%,
 * minAvailable N-1 / 50%).
 *
 *   rollout_gen NAME NODES PODS SEED MAX_SURGE ZONE_CAP > scenario.yaml
 *
 * examples/rollout/web-300.yaml = rollout_gen web-300 300 3000 1 30 130
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state;

static uint64_t next(void)
{
	uint64_t z = (state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int rnd(int lo, int hi)
{
	return lo + (int)(next() % (uint64_t)(hi - lo + 1));
}

int main(int argc, char **argv)
{
	static const int cpus[] = { 100, 150, 200, 250, 300, 400, 500, 750, 1000 };
	static const int mems[] = { 128, 256, 384, 512, 768, 1024, 1536, 2048, 3072 };
	static const int graces[] = { 30, 30, 30, 30, 30, 10, 60, 90 };
	const char *name;
	long nodes, pods, left, i = 0;
	int maxsurge, zcap;
	double scale;

	if (argc != 7) {
		fprintf(stderr, "usage: rollout_gen NAME NODES PODS SEED MAX_SURGE ZONE_CAP\n");
		return 1;
	}
	name = argv[1];
	nodes = atol(argv[2]);
	pods = atol(argv[3]);
	state = (uint64_t)atoll(argv[4]);
	maxsurge = atoi(argv[5]);
	zcap = atoi(argv[6]);
	if (nodes < 3 || pods < 10) {
		fprintf(stderr, "rollout_gen: NODES >= 3 and PODS >= 10\n");
		return 1;
	}
	/* requests shrink when pods per node grow: about 55% of cpu and memory in use */
	scale = 10.0 / ((double)pods / (double)nodes);
	if (scale > 1.0)
		scale = 1.0;
	printf("# generated: rollout_gen %s %ld %ld %s %d %d (bench/rollout_gen.c)\n", name, nodes,
	       pods, argv[4], maxsurge, zcap);
	printf("apiVersion: kupgrade.dev/v1alpha1\nkind: RolloutScenario\nmetadata: {name: %s}\n", name);
	printf("spec:\n  seed: 1\n  zones: [a, b, c]\n");
	printf("  limits: {maxSurgeNodes: %d, maxUnavailableNodes: 0, zoneCapacity: {a: %d, b: %d, "
	       "c: %d}}\n", maxsurge, zcap, zcap, zcap);
	printf("  timings:\n    nodeProvision: {median: 90, p90: 180}\n    nodeDrainOverhead: 10\n"
	       "    podStart: {median: 8, p90: 30}\n    evictionRetry: 5\n");
	printf("  pools:\n    - {name: general, nodes: %ld, capacity: {cpu: 8, memory: 32Gi, pods: 110},"
	       " from: \"1.30.4\", to: \"1.31.2\"}\n", nodes);
	printf("  workloads:\n");
	printf("    - {name: node-agent, kind: DaemonSet, requests: {cpu: 100m, memory: 128Mi}}\n");
	printf("    - {name: log-shipper, kind: DaemonSet, requests: {cpu: 100m, memory: 256Mi}}\n");
	left = pods;
	while (left > 0) {
		int kind = rnd(0, 99), reps, cpu, mem, grace, pdb = rnd(0, 99);
		cpu = (int)(cpus[rnd(0, 8)] * scale * 1.0);
		mem = (int)(mems[rnd(0, 8)] * scale * 2.0);
		if (cpu < 10)
			cpu = 10;
		if (mem < 32)
			mem = 32;
		grace = graces[rnd(0, 7)];
		i++;
		if (kind < 6) {
			/* a single replica: no PDB (downtime on drain) */
			printf("    - {name: single-%ld, kind: Deployment, replicas: 1, requests: {cpu: %dm, "
			       "memory: %dMi}, terminationGracePeriodSeconds: %d}\n", i, cpu, mem, grace);
			left -= 1;
			continue;
		}
		if (kind < 14) {
			reps = rnd(3, 5);
			printf("    - {name: sts-%ld, kind: StatefulSet, replicas: %d, requests: {cpu: %dm, "
			       "memory: %dMi}, terminationGracePeriodSeconds: %d, spread: zone, pdb: {%s}}\n",
			       i, reps, cpu, mem * 2, rnd(60, 180),
			       pdb < 50 ? "maxUnavailable: 1" : "minAvailable: 2");
			left -= reps;
			continue;
		}
		if (kind < 16) {
			printf("    - {name: db-%ld, kind: ReplicatedDatabase, replicas: 3, failoverSeconds: 30,"
			       " requests: {cpu: %dm, memory: %dMi}, terminationGracePeriodSeconds: 60}\n",
			       i, cpu * 2, mem * 4);
			left -= 3;
			continue;
		}
		if (kind < 22)
			reps = rnd(30, 120);
		else if (kind < 50)
			reps = rnd(8, 30);
		else
			reps = rnd(2, 7);
		if (reps > left)
			reps = (int)left;
		if (reps < 2)
			reps = 2;
		printf("    - {name: app-%ld, kind: Deployment, replicas: %d, requests: {cpu: %dm, "
		       "memory: %dMi}, terminationGracePeriodSeconds: %d%s", i, reps, cpu, mem, grace,
		       reps >= 3 && pdb < 70 ? ", spread: zone" : "");
		if (pdb < 25)
			printf(", pdb: {maxUnavailable: 1}");
		else if (pdb < 45)
			printf(", pdb: {maxUnavailable: \"25%%\"}");
		else if (pdb < 60)
			printf(", pdb: {maxUnavailable: \"10%%\"}");
		else if (pdb < 72)
			printf(", pdb: {minAvailable: \"50%%\"}");
		else if (pdb < 80 && reps >= 3)
			printf(", pdb: {minAvailable: %d}", reps - 1);
		printf("}\n");
		left -= reps;
	}
	return 0;
}
