/*
 * rollout.h - node-pool upgrades: the RolloutScenario model, a deterministic
 * discrete-event simulator, the providers' default policies as parameter
 * sets, the slack-aware `kupgrade` planner, pre-flight checks and plans.
 *
 * Invariants: a scenario owns everything it points to (one arena inside it);
 * quantities are integers (cpu in millicores, memory in bytes); times are
 * seconds as doubles.  Every random draw of a run comes from a stream keyed
 * by (seed, what, which): the k-th node provisioned, the j-th start of pod
 * slot (workload, ordinal), so every policy sees the same timings for the
 * same seed.  Nothing here prints or exits.
 */
#ifndef KUPGRADE_ROLLOUT_H
#define KUPGRADE_ROLLOUT_H

#include <signal.h>

#include "kupgrade/core.h"

/* A timing: constant when p90 <= median, else log-normal(median, p90). */
struct kup_ro_dist {
	double median;
	double p90;
};

/* A resource vector: cpu millicores, memory bytes, pod slots. */
struct kup_ro_res {
	int64_t cpu_m;
	int64_t mem;
	int64_t pods;
};

/* An int-or-percent as Kubernetes writes it ("10%" or 3). */
struct kup_ro_intpct {
	bool set;
	bool pct;
	int64_t value;
};

enum kup_ro_kind {
	KUP_RO_DEPLOYMENT = 0,
	KUP_RO_STATEFULSET,
	KUP_RO_DAEMONSET,
	KUP_RO_DATABASE,     /* ReplicatedDatabase: 1 writer + readers */
};

struct kup_ro_pdb {
	struct kup_ro_intpct min_available;
	struct kup_ro_intpct max_unavailable;
	bool always_allow;   /* unhealthyPodEvictionPolicy: AlwaysAllow */
};

struct kup_ro_workload {
	const char *name;
	enum kup_ro_kind kind;
	int replicas;
	struct kup_ro_res req;      /* pods = 1 */
	double grace;               /* terminationGracePeriodSeconds (30) */
	bool spread_zone;           /* topology spread over zones, maxSkew 1, DoNotSchedule */
	bool has_pdb;
	struct kup_ro_pdb pdb;
	double failover_s;          /* ReplicatedDatabase */
	int unready;                /* pods that never become Ready (crash loop) */
	uint32_t line, column;      /* where the workload is written */
};

struct kup_ro_pool {
	const char *name;
	int nodes;
	struct kup_ro_res cap;
	const char *from, *to;
	/*
	 * `members: [{name, zone}]` (what `rollout scenario` writes from a dump
	 * or a live cluster): the real nodes, `nodes` of them, in the order the
	 * simulator numbers them; NULL: synthetic (zones round-robin)
	 */
	const char **member_name;
	int *member_zone;            /* index into zones */
};

struct kup_ro_timings {
	struct kup_ro_dist provision;      /* nodeProvision */
	struct kup_ro_dist drain_overhead; /* nodeDrainOverhead */
	struct kup_ro_dist pod_start;      /* podStart (scheduled -> Ready) */
	struct kup_ro_dist eviction_retry; /* evictionRetry (kubectl: 5 s) */
	struct kup_ro_dist reboot;         /* nodeReboot (in place); default = nodeProvision */
};

struct kup_ro_scenario {
	const char *name;
	const char *path;
	uint64_t seed;
	const char **zones;
	size_t nzones;
	int max_surge;              /* limits.maxSurgeNodes, -1 = none */
	int max_unavailable;        /* limits.maxUnavailableNodes, -1 = none */
	int *zone_cap;              /* limits.zoneCapacity per zone, -1 = none */
	struct kup_ro_timings t;
	struct kup_ro_pool *pools;
	size_t npools;
	struct kup_ro_workload *wls;
	size_t nwls;
	struct kup_arena arena;
};

/*
 * Parses a RolloutScenario (YAML or JSON) from memory.  `path` names the
 * input in errors (file:line:column).  On success *out is a new scenario
 * (kup_ro_scenario_free); on failure err says where and why.
 */
enum kup_status kup_ro_scenario_parse(const char *text, size_t len, const char *path,
				      struct kup_ro_scenario **out, struct kup_error *err);
enum kup_status kup_ro_scenario_load(const char *path, struct kup_ro_scenario **out,
				     struct kup_error *err);
void kup_ro_scenario_free(struct kup_ro_scenario *sc);

/*
 * The name of the scenario's node `node` (the simulator's numbering: pool
 * by pool, the pools' `members` when given), or NULL when the scenario
 * names no nodes (a synthetic pool: callers print "node-N").
 */
const char *kup_ro_node_name(const struct kup_ro_scenario *sc, int node);

/* Quantity parsers ("500m", "2", "1Gi"); false when malformed. */
bool kup_ro_parse_cpu(const char *s, int64_t *milli);
bool kup_ro_parse_mem(const char *s, int64_t *bytes);

/* PDB arithmetic as the disruption controller does it (percentages round up). */
int kup_ro_pdb_desired_healthy(const struct kup_ro_pdb *pdb, int expected);
/* Eviction admission: 200 (true) or 429 (false). */
bool kup_ro_eviction_allowed(const struct kup_ro_pdb *pdb, int expected, int healthy,
			     bool pod_ready);

/* ---- initial placement ------------------------------------------------- */

/* Node i of the pool order: zone and pool; pods placed per node. */
struct kup_ro_placement {
	size_t nnodes;
	int *node_zone;
	int *node_pool;
	size_t npods;
	int *pod_wl;          /* workload of pod i (DaemonSets excluded) */
	int *pod_ord;         /* ordinal within its workload */
	int *pod_node;        /* -1 = unschedulable */
	size_t unplaced;
};
enum kup_status kup_ro_place(const struct kup_ro_scenario *sc, struct kup_ro_placement *pl,
			     struct kup_error *err);
void kup_ro_placement_release(struct kup_ro_placement *pl);

/* ---- policies ----------------------------------------------------------- */

enum kup_ro_mode {
	KUP_RO_MODE_SLOTS = 0,   /* surge/unavailable slots (GKE surge, CAPI, OpenShift) */
	KUP_RO_MODE_ASG,         /* EKS managed node group */
	KUP_RO_MODE_BATCH,       /* AKS surge batches with reimage */
	KUP_RO_MODE_BLUE_GREEN,  /* GKE blue-green */
	KUP_RO_MODE_KARPENTER,   /* drift with a disruption budget */
	KUP_RO_MODE_KUPGRADE,    /* slack-aware planner */
};

enum kup_ro_order {
	KUP_RO_ORDER_RANDOM = 0,
	KUP_RO_ORDER_ZONE,       /* one zone at a time / alphabetical zone, oldest first */
	KUP_RO_ORDER_NAME,       /* creation (drift) order */
	KUP_RO_ORDER_BLOCKING,   /* kupgrade: longest PDB chain first, DB writer last */
};

enum kup_ro_timeout_action {
	KUP_RO_TIMEOUT_NONE = 0, /* keep retrying */
	KUP_RO_TIMEOUT_FAIL,
	KUP_RO_TIMEOUT_FORCE,
	KUP_RO_TIMEOUT_QUARANTINE,
};

struct kup_ro_policy {
	const char *name;
	const char *summary;
	const char *source;           /* documentation URL(s) */
	enum kup_ro_mode mode;
	struct kup_ro_intpct max_surge;
	struct kup_ro_intpct max_unavailable;
	int parallel_cap;             /* 0 = none */
	enum kup_ro_order order;
	bool in_place;                /* drain, reboot, uncordon (no new node) */
	double drain_timeout;         /* 0 = none */
	enum kup_ro_timeout_action on_timeout;
	double retry;                 /* eviction retry (0 = scenario evictionRetry) */
	double post_cordon;           /* wait after the drain before termination */
	int batch_nodes;              /* blue-green batch */
	double batch_soak, pool_soak;
	double poll;                  /* Karpenter pass period */
	const char *timeout_error;    /* what a failed drain timeout reports ("PodEvictionFailure") */
	/* the provider's command setting the knobs on a pool (kup_rules_expand template with
	 * {cluster}, {pool}, {surge}, {unavailable}, {batch_nodes}, {batch_soak}), or NULL */
	const char *setting;
};

/*
 * The policies.  The provider defaults of eks, gke-surge, gke-blue-green and
 * aks (surge, unavailable, drain timeout and what follows it, soaks, their
 * sources) are the knowledge base's node_upgrade rows, the rows plan's
 * runbook describes: the embedded knowledge base, loaded on first use
 * (not thread-safe: make the first call before starting threads), until
 * kup_ro_policies_from_kb() names another.  kup_ro_policy_at() and
 * kup_ro_policy_find() return NULL for those four when the embedded
 * knowledge base could not be loaded (out of memory).
 */
size_t kup_ro_policy_count(void);
const struct kup_ro_policy *kup_ro_policy_at(size_t i);
const struct kup_ro_policy *kup_ro_policy_find(const char *name);
/*
 * The policy a provider's pools get by default: the first node_upgrade row of
 * the provider's file in the knowledge base the table was made from ("gke":
 * "gke-surge"), or `provider` itself where the KB has none (eks, aks, capi,
 * karpenter, openshift are policy names too).
 */
const char *kup_ro_provider_policy(const char *provider);
struct kup_kb;
/* Uses `kb`'s node_upgrade rows from now on (kb must outlive every policy
 * use; NULL: the embedded KB again); KUP_KB, the table unchanged, when a row
 * is missing. */
enum kup_status kup_ro_policies_from_kb(const struct kup_kb *kb, struct kup_error *err);
/* Policy `name` with the knobs of `kb`'s node_upgrade row, the table unchanged;
 * false when there is no such policy or `kb` lacks its row. */
bool kup_ro_policy_with_kb(const struct kup_kb *kb, const char *name, struct kup_ro_policy *out);

/*
 * The budget (the scenario's limits: maxSurgeNodes S, maxUnavailableNodes
 * M, -1 = not set) mapped onto a provider policy's own knobs, its pacing
 * and drain semantics kept: surge/unavailable slots (GKE surge, CAPI) get
 * maxSurge S and maxUnavailable M; OpenShift maxUnavailable M; EKS
 * updateConfig.maxUnavailable min(100, S + M) (its surge is
 * max(2 x AZs, maxUnavailable)); AKS maxSurge S and maxUnavailable M;
 * Karpenter a disruption budget of S + M nodes.  GKE blue-green and
 * kupgrade keep their parameters (kupgrade reads the limits itself).
 * `out` is a copy of `pol` with the knobs replaced; its name is unchanged.
 */
void kup_ro_policy_at_budget(const struct kup_ro_policy *pol, const struct kup_ro_scenario *sc,
			     struct kup_ro_policy *out);

/*
 * How a policy is run.  `equal`: the policy at the budget
 * (kup_ro_policy_at_budget) and maxUnavailableNodes enforced at every
 * instant; otherwise a provider policy runs at its documented defaults
 * with only maxSurgeNodes as a quota (kupgrade always obeys the whole
 * budget).  `pre_scale`: kupgrade starts a Deployment pod's replacement
 * before the eviction (a temporary scale-up, counted in extra_pod_starts).
 */
struct kup_ro_opts {
	bool equal;
	bool pre_scale;
	bool keep_knobs;   /* with `equal`: enforce the budget, keep the policy's knobs as given */
	/* kup_ro_simulate_seeds(): called after each seed with the seeds done (may be NULL) */
	void (*on_seed)(void *ctx, int done, int seeds);
	void *ctx;
};

/* ---- simulation --------------------------------------------------------- */

struct kup_ro_metrics {
	double makespan_s;
	double pdb_violation_s;
	double deficit_pod_s;
	double write_unavailable_s;
	int peak_extra_nodes;
	double node_hours;
	int double_evictions;
	int stuck_drains;
	int forced_deletions;
	bool failed;                  /* the roll stopped (timeout -> fail, horizon, limits) */
	int quarantined;
	int evictions;
	int evictions_429;
	int failovers;
	uint64_t events;
	int peak_unavailable_nodes;   /* most of the pool's n0 nodes not Ready-and-schedulable */
	int min_ready_nodes;          /* fewest Ready-and-schedulable nodes */
	int extra_pod_starts;         /* pods started that no eviction required (pre-scale) */
	const char *blocker;          /* workload whose PDB held a drain past its timeout, or NULL */
	const char *fail_reason;      /* why the roll stopped (static text), or NULL */
};

/*
 * Runs one policy on one seed.  Deterministic: same inputs, same metrics.
 * kup_ro_simulate() is kup_ro_simulate_opts() with every option off.
 */
enum kup_status kup_ro_simulate(const struct kup_ro_scenario *sc, const struct kup_ro_policy *pol,
				uint64_t seed, struct kup_ro_metrics *m, struct kup_error *err);
enum kup_status kup_ro_simulate_opts(const struct kup_ro_scenario *sc, const struct kup_ro_policy *pol,
				     const struct kup_ro_opts *opts, uint64_t seed,
				     struct kup_ro_metrics *m, struct kup_error *err);

/* Aggregate over seeds (seed, seed+1, ...): medians/p90 of makespan, means of the rest. */
struct kup_ro_summary {
	const char *policy;
	int seeds;
	double makespan_median, makespan_p90;
	double pdb_violation_s, deficit_pod_s, write_unavailable_s;
	int peak_extra_nodes;
	double node_hours;
	double double_evictions, stuck_drains, forced_deletions;
	int failed_runs;
	bool equal;                   /* run at the budget (see struct kup_ro_opts) */
	int peak_unavailable_nodes;   /* the largest over the seeds */
	int min_ready_nodes;          /* the smallest over the seeds */
	double extra_pod_starts;      /* mean */
	const char *blocker;          /* the first seed's, or NULL */
	const char *fail_reason;      /* the first failed seed's, or NULL */
	double estimate_s;            /* back-of-the-envelope makespan */
	double lower_bound_median;    /* median over the seeds of kup_ro_lower_bound */
	double ratio_lb_median;       /* median over the seeds of makespan / lower bound */
};
enum kup_status kup_ro_simulate_seeds(const struct kup_ro_scenario *sc,
				      const struct kup_ro_policy *pol, const struct kup_ro_opts *opts,
				      int seeds, struct kup_ro_summary *out, struct kup_error *err);

/*
 * `rollout tune`: the fastest setting of a provider's own knobs within the
 * budget (the scenario's limits; both must be set) with 0 PDB-violation
 * seconds and no failed run over the seeds.  Providers: eks
 * (updateConfig.maxUnavailable), gke (maxSurge / maxUnavailable, or
 * blue-green batchNodeCount when the green pool fits), aks (maxSurge /
 * maxUnavailable), capi (MachineDeployment maxSurge / maxUnavailable),
 * karpenter (disruption budget nodes), openshift (MachineConfigPool
 * maxUnavailable).  Every candidate runs with the budget enforced; the
 * default is the provider's documented settings, unenforced (as simulate
 * prints it).
 */
struct kup_ro_tune {
	const char *provider;
	int seeds;
	int tried;                    /* settings simulated */
	bool found;                   /* a setting met the conditions */
	struct kup_ro_policy def, tuned;      /* the knobs */
	struct kup_ro_summary def_sum, tuned_sum;
};
enum kup_status kup_ro_tune(const struct kup_ro_scenario *sc, const char *provider, int seeds,
			    struct kup_ro_tune *out, struct kup_error *err);
/*
 * The same, calling progress (when not NULL) after every seed: the setting
 * being simulated (0: the documented defaults, then 1, 2, ...), the seeds
 * done, and the best qualifying median so far (-1: none yet).
 */
enum kup_status kup_ro_tune_progress(const struct kup_ro_scenario *sc, const char *provider, int seeds,
				     void (*progress)(void *ctx, int setting, int seed, int seeds,
						      double best_s),
				     void *ctx, struct kup_ro_tune *out, struct kup_error *err);
/* The providers kup_ro_tune knows, NULL-terminated. */
extern const char *const kup_ro_tune_providers[];
/*
 * The provider's command that sets `t->tuned` on pool `pool` (cluster and
 * resource group as <cluster>, <resource-group>); one line into `out`.
 */
void kup_ro_tune_command(const struct kup_ro_tune *t, const char *pool, struct kup_buf *out);
/*
 * A provider policy's knobs as the provider names them, into `out`: a JSON
 * object ({"maxSurge": 30, "maxUnavailable": 0}) or text ("maxSurge 30,
 * maxUnavailable 0").
 */
void kup_ro_tune_settings(const struct kup_ro_policy *p, bool json, struct kup_buf *out);

/* Back-of-the-envelope makespan of a policy from its parameters (medians). */
double kup_ro_estimate(const struct kup_ro_scenario *sc, const struct kup_ro_policy *pol);
/*
 * A lower bound on the makespan of any roll that moves every pod once onto
 * new nodes (docs/rollout.md), for the random timings of `seed`: the larger
 * of the fluid capacity bound (surge slots, provisioning draws, load per
 * node, shortest drain) and the longest PDB chain after the first new node
 * is Ready (StatefulSet, database, and Deployment: no temporary scale-ups).
 */
double kup_ro_lower_bound(const struct kup_ro_scenario *sc, uint64_t seed);
/* ... with pre_scale: Deployment replacements started before their eviction (no Deployment PDB chain). */
double kup_ro_lower_bound_opts(const struct kup_ro_scenario *sc, uint64_t seed, bool pre_scale);

/* ---- pre-flight and plan ------------------------------------------------ */

enum kup_ro_severity { KUP_RO_INFO = 0, KUP_RO_WARN, KUP_RO_BLOCK };

struct kup_ro_finding {
	enum kup_ro_severity sev;
	const char *code;             /* "pdb-zero-disruptions", ... */
	char *object;                 /* "Deployment web" */
	char *msg;
};

struct kup_ro_findings {
	struct kup_ro_finding *v;
	size_t n, cap;
};
enum kup_status kup_ro_check(const struct kup_ro_scenario *sc, struct kup_ro_findings *out);
void kup_ro_findings_release(struct kup_ro_findings *f);

struct kup_ro_batch {
	int index;
	double start_s, end_s;
	int surge_nodes;              /* new nodes requested in this step */
	int nnodes;                   /* old nodes drained */
	int *nodes;                   /* their indexes in the pool order */
};
struct kup_ro_plan {
	struct kup_ro_batch *v;
	size_t n, cap;
	struct kup_ro_metrics m;
};
/* The kupgrade policy's steps on the scenario's own seed, with times. */
enum kup_status kup_ro_plan(const struct kup_ro_scenario *sc, struct kup_ro_plan *out,
			    struct kup_error *err);
void kup_ro_plan_release(struct kup_ro_plan *p);

/* ---- executing a roll on a live cluster (rollout run) -------------------- */

struct kup_kube;
struct kup_store;

/*
 * A roll of one pool by replacement: old nodes (kubelet minor below `to`)
 * replaced through the provider's commands.  Policies: "kupgrade" (old
 * nodes tainted PreferNoSchedule, new nodes zone-matched, the next drain
 * in the zone with the most spare new nodes, a drain blocked past its
 * timeout quarantined) and "capi" (no taint, no zone matching, old nodes
 * drained in random order, a blocked drain fails the roll), both within
 * the same budget.  Commands are /bin/sh lines; {pool} {zone} {version}
 * {node} are replaced by single-quoted values.  The provision command
 * prints the new node's name on its last stdout line.  `drain` is a
 * command line ending in {node} that drains one node (`kupgrade drain`).
 * Every command is a step of the store recorded before it starts; `name`
 * identifies the roll there.
 *
 * In place (`upgrade` set: kubeadm and self-managed nodes): no node is made
 * or retired; within maxUnavailableNodes (at least 1; maxSurgeNodes 0) old
 * nodes are drained (the drain cordons), the upgrade command runs
 * ('CMD {node} {version}'), and once the Node is Ready at the target
 * kubelet version (within upgrade_timeout_s of the command's end) it is
 * uncordoned.  A failing upgrade command is retried after 5, 10, 20 s,
 * then the roll stops naming the node; a node found Ready at the target is
 * done (--resume never upgrades a node twice).
 */
struct kup_ro_run_status;

struct kup_ro_run_opts {
	const char *name;
	const char *label_selector;
	const char *pool;
	const char *to;
	const char *provision, *retire, *drain;
	const char *upgrade;           /* in place: 'CMD {node} {version}', or NULL */
	long upgrade_timeout_s;        /* in place: the command, then Ready at the target */
	const char *policy;
	int max_surge, max_unavailable;
	long drain_timeout_s, provision_timeout_s;
	const char *dir;               /* for the commands' output files */
	bool resume, dry_run;
	uint64_t seed;                 /* capi's random order */
	volatile sig_atomic_t *stop;   /* set (by a signal handler): no new action, wait, save */
	void (*progress)(void *ctx, const char *line);
	void (*status)(void *ctx, const struct kup_ro_run_status *s);   /* every pass, or NULL */
	void *ctx;
};

/* Where a roll stands, after every pass (kup_ro_run_opts.status). */
struct kup_ro_run_status {
	int old_nodes, replaced, quarantined;
	int draining;                  /* drain commands running */
	int waiting_ready;             /* drained nodes waiting for their workloads to be Ready */
	int retiring, provisioning;    /* retire / provision commands running */
	int upgrading;                 /* in place: upgrade commands running or nodes not yet Ready at the target */
	int upgraded;                  /* in place: nodes upgraded and uncordoned */
	int new_ready;                 /* new nodes (named by provision steps) Ready now */
	int unavailable, extra;        /* of the pool's original nodes; above its size */
	double elapsed_s;
	const char *holding;           /* a drain's last refused eviction ("pod ns/x: ... PodDisruptionBudget ns/y ..."), or NULL */
};

/* What the run measured on the cluster. */
struct kup_ro_run_result {
	int old_nodes, replaced, quarantined, provisioned, retired;
	int upgraded;                  /* in place: nodes Ready at the target and uncordoned */
	double makespan_s;             /* from the roll's first start, resumes included */
	double pdb_violation_s;        /* seconds some PDB had currentHealthy < desiredHealthy */
	int peak_extra_nodes, peak_unavailable_nodes, min_ready_nodes;
	bool failed, stopped;
	/* allocated, whole whatever their length (kup_ro_run_result_release frees them) */
	char *blocker;                 /* the PDB that held a drain ("ns/name"), or NULL */
	char *reason;                  /* why the roll failed or stopped, or NULL */
};

/* Frees res->blocker and res->reason; res stays usable (both NULL). */
void kup_ro_run_result_release(struct kup_ro_run_result *res);

/*
 * Runs (or with o->resume continues) the roll.  KUP_OK when it ended: check
 * res->failed / res->stopped; KUP_CONFLICT when the state says otherwise
 * (a roll recorded and no --resume, or nothing to resume).
 */
enum kup_status kup_ro_run(struct kup_kube *k, struct kup_store *st, const struct kup_ro_run_opts *o,
			   struct kup_ro_run_result *res, struct kup_error *err);
/*
 * Whether the executor runs policy `name`: kupgrade; capi (a new node per
 * old node, random order, a blocked drain fails the roll); eks (the surge
 * nodes first, drains once they are all Ready, at most min(100, S + M) old
 * nodes in flight, each terminated 60 s after its drain, a blocked drain
 * fails the roll with PodEvictionFailure).
 */
bool kup_ro_run_policy_ok(const char *name);
/*
 * --abort: removes the taints and cordons of the roll's old nodes, records
 * the roll as failed ("aborted") and lists what is left into `left`.
 */
enum kup_status kup_ro_run_abort(struct kup_kube *k, struct kup_store *st,
				 const struct kup_ro_run_opts *o, struct kup_buf *left,
				 struct kup_error *err);

/* ---- from a cluster dump ------------------------------------------------ */

/*
 * Derives a RolloutScenario (YAML text into `out`) from a kubectl List
 * (JSON or YAML: nodes, pods, replicasets, deployments, statefulsets,
 * daemonsets, poddisruptionbudgets) or a `kupgrade snapshot` file.  Nodes
 * are grouped into pools by kup_dump_node_pool() (dump.h) with kb's pool
 * labels, as `profile --from-dump` groups them (kb may be NULL: every node
 * is then in "control-plane" or "default").
 */
struct kup_kb;
enum kup_status kup_ro_from_dump(const struct kup_kb *kb, const char *text, size_t len,
				 const char *path, struct kup_buf *out, struct kup_error *err);

#endif
