/*
 * sim.h - the rollout simulator's state (internal to src/lib/rollout).
 */
#ifndef KUP_ROLLOUT_SIM_H
#define KUP_ROLLOUT_SIM_H

#include "kupgrade/rollout.h"

enum { NS_PROVISIONING = 0, NS_READY, NS_REBOOTING, NS_GONE };
enum { PS_PENDING = 0, PS_STARTING, PS_READY, PS_TERMINATING, PS_GONE };

struct sim_node {
	int zone, pool;
	uint8_t state;
	bool is_new;
	bool cordoned;
	bool draining;
	bool quarantined;
	bool soft;            /* tainted PreferNoSchedule: scheduled to only when nothing else fits */
	bool done;            /* an old node that has been handled */
	int zpos;             /* index in the zone's schedulable list, -1 */
	int64_t free_cpu, free_mem;
	int64_t req_cpu, req_mem;  /* requests of the pods bound to it */
	int free_pods;
	int *pods;
	int npods, cappods;
	int remaining;        /* pods still on the node while draining */
	double drain_t0;
	int gen;
	int job;              /* policy job, -1 */
	int batch;            /* plan step, -1 */
	double t_created;
};

struct sim_pod {
	int wl, ord;
	int node;             /* -1 while pending */
	int nslot;            /* index in node->pods */
	uint8_t state;
	bool surge;           /* a replacement started before its original is evicted */
	bool evicting;        /* an eviction is being retried */
	int twin;             /* surge pod: the pod it replaces; original: its surge pod */
	uint32_t inc;
	double t0;            /* created */
};

struct sim_wl {
	int ready;
	int expected;         /* replicas (+ surge pods while they live) */
	int want_ready;       /* replicas - unready */
	int desired;          /* PDB desiredHealthy at `expected` */
	int desired0;         /* ... at the declared replicas (the metric's yardstick) */
	int *zcount;          /* scheduled non-terminating pods per zone */
	int base;             /* first slot index */
	double last_t;
	double viol, deficit;
	int writer;           /* ReplicatedDatabase: writer pod, -1 */
	double down_since;    /* writer-less since, -1 */
	int stamp, tmp;       /* planner: budget left in this step */
	int nstamp, ncount;   /* planner: pods on the node being weighed */
	int qstamp, queued;   /* planner: Deployment pods on draining nodes not yet evicted */
	double chain;         /* planner: expected seconds of its PDB chain */
	int *dbp;             /* ReplicatedDatabase: its pods */
	int ndbp, capdbp;
};

struct sim_ev {
	double t;
	uint64_t seq;
	int type;
	int a;
	uint32_t b;
};

struct sim_job {
	int old;              /* old node */
	int surge;            /* surge node, -1 */
	int state;
	bool surged;          /* holds a surge slot */
};

struct kup_ro_sim {
	const struct kup_ro_scenario *sc;
	const struct kup_ro_policy *pol;
	uint64_t seed;
	double now;
	bool stop;
	struct kup_ro_metrics *m;

	struct sim_node *nodes;
	size_t nnodes, capnodes;
	struct sim_pod *pods;
	size_t npods, cappods;
	struct sim_wl *wls;
	uint32_t *slot_inc;   /* per slot: starts so far */
	uint16_t *slot_evict; /* per slot: evictions so far */
	size_t nslots;

	int **zlist;          /* schedulable nodes per zone */
	int *zlen, *zcap, *zcur;
	int *zone_nodes;      /* existing nodes per zone */
	int *zone_old;        /* old nodes per zone at start */
	int *zone_new;        /* new nodes (provisioning or ready) per zone */
	int64_t *zfail_cpu, *zfail_mem;  /* smallest request that did not fit, per zone; -1 */
	int64_t *zhard_cpu, *zhard_mem;  /* ... on the nodes without PreferNoSchedule */
	int64_t ds_cpu, ds_mem;
	int ds_pods;

	struct sim_ev *heap;
	size_t nheap, capheap;
	uint64_t seq;

	int *pending;
	size_t npending, cappending;
	bool sched_queued;
	bool step_queued;
	double last_step;

	int n0;               /* old nodes at start */
	int old_left;         /* old nodes not yet handled */
	int existing;         /* nodes that exist (any state but gone) */
	int provisioning;
	int prov_seq;         /* node requests so far */
	double last_t;        /* node-hours integration */
	double node_s;

	/* policy state */
	int *order;
	int norder, cursor;
	struct sim_job *jobs;
	int njobs, capjobs;
	int active;
	int job_lo;           /* jobs before it are done */
	int phase;
	int batch_left;
	int replacements_left;
	int disrupting;
	double soak_until;
	int drains_started;
	int surging;
	int nstamp;
	int *scratch;         /* one int per pod slot of a node */
	int rebooting;

	struct kup_ro_plan *plan;
	int step_batch;

	/* the budget */
	bool enforce;         /* maxUnavailableNodes holds at every instant */
	bool pre_scale;       /* kupgrade: Deployment replacements started before eviction */
	int budget_m;         /* maxUnavailableNodes, -1 = none */
	int avail;            /* Ready-and-schedulable nodes (the zone lists' total) */
	int nsoft;            /* nodes tainted PreferNoSchedule */
};

/*
 * kup_ro_simulate() that also records the kupgrade policy's steps into
 * `plan` (NULL: none); used by kup_ro_plan().
 */
enum kup_status kup_ro_simulate_plan(const struct kup_ro_scenario *sc, const struct kup_ro_policy *pol,
				     const struct kup_ro_opts *opts, uint64_t seed,
				     struct kup_ro_metrics *m, struct kup_ro_plan *plan,
				     struct kup_error *err);

#endif
