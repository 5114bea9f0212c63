/*
 * policies.c - the providers' node-pool upgrade behaviour as parameter sets
 * of the simulator's controller, and the `kupgrade` planner.
 *
 * The controller model of each policy (mode, order, what the summary
 * describes) is here; the provider defaults (surge, unavailable, drain
 * timeout and what happens past it, soaks) and their sources are the
 * knowledge base's node_upgrade rows (data/eks.yaml, gke.yaml, aks.yaml),
 * the same rows plan's runbook describes.  A policy with a row takes every
 * knob from it.  The table uses the embedded knowledge base until
 * kup_ro_policies_from_kb() names another.  Cluster API, Karpenter and
 * OpenShift are not providers of the knowledge base: their defaults stay
 * here with their sources (docs/rollout.md).
 */
#include <string.h>

#include "kupgrade/kb.h"
#include "kupgrade/kbrules.h"
#include "kupgrade/rollout.h"

#define INT(v) { true, false, (v) }
#define PCT(v) { true, true, (v) }
#define NONE { false, false, 0 }

/* The model; the entries marked "from the knowledge base" get their knobs there. */
static const struct kup_ro_policy model[] = {
	{
		.name = "eks",
		.summary = "EKS managed node group DEFAULT: desired += max(2 x AZs, maxUnavailable) new "
			   "nodes in the same AZs, old nodes made unschedulable, maxUnavailable "
			   "random nodes drained at a time, terminated a while after the drain; a "
			   "drain past the timeout fails the update (`force` is not the default)",
		.mode = KUP_RO_MODE_ASG,           /* knobs from the knowledge base */
		.order = KUP_RO_ORDER_RANDOM,
	},
	{
		.name = "gke-surge",
		.summary = "GKE surge upgrade: maxSurge new nodes, maxUnavailable nodes down "
			   "(parallelism = surge + unavailable, capped), one zone at a time; PDBs "
			   "honoured up to the drain timeout, then force-delete",
		.mode = KUP_RO_MODE_SLOTS,         /* knobs from the knowledge base */
		.order = KUP_RO_ORDER_ZONE,
	},
	{
		.name = "gke-blue-green",
		.summary = "GKE blue-green: create the whole green pool, cordon blue, drain blue in "
			   "batches (batchNodeCount, batchSoakDuration), soak the pool "
			   "(nodePoolSoakDuration), delete blue; needs quota for 2x nodes",
		.mode = KUP_RO_MODE_BLUE_GREEN,    /* knobs from the knowledge base */
		.order = KUP_RO_ORDER_NAME,
	},
	{
		.name = "aks",
		.summary = "AKS rolling upgrade: maxSurge (rounded up) surge nodes, drain as many "
			   "old nodes as surge nodes, reimage them as the next buffer, repeat; "
			   "past drainTimeoutInMinutes the upgrade fails",
		.mode = KUP_RO_MODE_BATCH,         /* knobs from the knowledge base */
		.order = KUP_RO_ORDER_NAME,
	},
	{
		.name = "capi",
		.summary = "Cluster API MachineDeployment RollingUpdate: maxSurge 1, maxUnavailable 0, "
			   "deletion order Random, nodeDrainTimeout 0 (unlimited), drain retried "
			   "every 20 s",
		.source = "https://github.com/kubernetes-sigs/cluster-api/blob/main/api/core/v1beta2/machinedeployment_types.go "
			  "https://github.com/kubernetes-sigs/cluster-api/blob/main/internal/controllers/machine/machine_controller.go",
		.mode = KUP_RO_MODE_SLOTS,
		.max_surge = INT(1),
		.max_unavailable = INT(0),
		.order = KUP_RO_ORDER_RANDOM,
		.retry = 20,
	},
	{
		.name = "karpenter",
		.summary = "Karpenter drift: disruption budget nodes 10% (rounded up), one command per "
			   "pass, the next pass at once after a command succeeds, else every 10 s; "
			   "nodes whose pods cannot be evicted are skipped, replacement pre-spun and "
			   "Ready before the drain; no terminationGracePeriod (wait)",
		.source = "https://karpenter.sh/docs/concepts/disruption/ "
			  "https://github.com/kubernetes-sigs/karpenter/blob/main/pkg/apis/v1/nodepool.go "
			  "https://github.com/kubernetes-sigs/karpenter/blob/main/pkg/controllers/disruption/controller.go "
			  "(success: RequeueAfter controller.Immediately, else pollingPeriod)",
		.mode = KUP_RO_MODE_KARPENTER,
		.max_unavailable = PCT(10),
		.order = KUP_RO_ORDER_NAME,
		.poll = 10,
	},
	{
		.name = "openshift",
		.summary = "OpenShift MachineConfigPool: maxUnavailable 1, in place (cordon, drain, "
			   "reboot, uncordon), no surge, alphabetical by zone and oldest first",
		.source = "https://github.com/openshift/api/blob/master/machineconfiguration/v1/types.go "
			  "https://docs.openshift.com/container-platform/latest/updating/understanding_updates/understanding-openshift-update-duration.html",
		.mode = KUP_RO_MODE_SLOTS,
		.max_surge = INT(0),
		.max_unavailable = INT(1),
		.order = KUP_RO_ORDER_ZONE,
		.in_place = true,
	},
	{
		.name = "kupgrade",
		.summary = "slack-aware: surge ahead zone-matched within the limits, drain per step the "
			   "largest set of nodes whose evictions fit every PDB and the zone capacity, "
			   "within maxUnavailableNodes; old nodes tainted as the budget allows (no "
			   "double eviction), pods evicted under their PDBs (--pre-scale: Deployment "
			   "replacements started first); quarantine a drain blocked for 30 min",
		.source = "docs/rollout.md",
		.mode = KUP_RO_MODE_KUPGRADE,
		.order = KUP_RO_ORDER_BLOCKING,
		.retry = 1,
		.drain_timeout = 30 * 60,
		.on_timeout = KUP_RO_TIMEOUT_QUARANTINE,
	},
};

/* The policies whose provider defaults are the knowledge base's node_upgrade rows. */
static bool from_kb(const char *name)
{
	static const char *const names[] = { "eks", "gke-surge", "gke-blue-green", "aks", NULL };
	size_t i;

	for (i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static struct kup_ro_intpct count_of(const struct kup_node_count *c)
{
	struct kup_ro_intpct x = { c->set, c->pct, c->value };

	return x;
}

bool kup_ro_policy_with_kb(const struct kup_kb *kb, const char *name, struct kup_ro_policy *out)
{
	const struct kup_pool_upgrade *u;
	size_t i;

	for (i = 0; name && i < sizeof(model) / sizeof(model[0]); i++)
		if (strcmp(model[i].name, name) == 0)
			break;
	if (!name || i == sizeof(model) / sizeof(model[0]))
		return false;
	*out = model[i];
	if (!from_kb(name))
		return true;
	u = kup_kb_pool_upgrade(kb, name);
	if (!u)
		return false;
	out->source = u->source;
	out->max_surge = count_of(&u->max_surge);
	out->max_unavailable = count_of(&u->max_unavailable);
	out->parallel_cap = u->parallel_cap;
	out->drain_timeout = u->drain_timeout;
	out->on_timeout = u->drain_timeout <= 0 ? KUP_RO_TIMEOUT_NONE
			  : u->on_timeout_force ? KUP_RO_TIMEOUT_FORCE : KUP_RO_TIMEOUT_FAIL;
	out->timeout_error = u->timeout_error;
	out->post_cordon = u->post_cordon;
	out->batch_nodes = u->batch_nodes;
	out->batch_soak = u->batch_soak;
	out->pool_soak = u->pool_soak;
	out->setting = u->setting;
	return true;
}

#define NPOL (sizeof(model) / sizeof(model[0]))
static struct kup_ro_policy policies[NPOL];
static bool have[NPOL];          /* policies[i] is usable */
static bool loaded;
static struct kup_kb *embedded;  /* the KB the table was made from, when it is ours */
static const struct kup_kb *source_kb;   /* the KB the table was made from */

enum kup_status kup_ro_policies_from_kb(const struct kup_kb *kb, struct kup_error *err)
{
	struct kup_ro_policy t[NPOL];
	size_t i;

	if (!kb) {
		loaded = false;   /* the embedded KB again, on next use */
		return KUP_OK;
	}
	for (i = 0; i < NPOL; i++)
		if (!kup_ro_policy_with_kb(kb, model[i].name, &t[i]))
			return kup_error_set(err, KUP_KB, NULL, 0, 0,
					     "the knowledge base has no node_upgrade row for "
					     "the simulator's policy '%s'", model[i].name);
	for (i = 0; i < NPOL; i++) {
		policies[i] = t[i];
		have[i] = true;
	}
	source_kb = kb;
	loaded = true;
	return KUP_OK;
}

/* The table from the embedded KB, made on first use; without it (out of
 * memory) only the policies that do not need it are there. */
static void load(void)
{
	struct kup_error err = KUP_ERROR_INIT;
	size_t i;

	if (loaded)
		return;
	loaded = true;
	/* loaded once: a table switched to another KB and back (from_kb(NULL))
	 * reuses it (loading it again leaked the first copy) */
	if ((embedded || kup_kb_load_embedded(&embedded, &err) == KUP_OK) &&
	    kup_ro_policies_from_kb(embedded, &err) == KUP_OK)
		return;
	kup_error_release(&err);
	source_kb = NULL;
	for (i = 0; i < NPOL; i++)
		have[i] = !from_kb(model[i].name) &&
			  kup_ro_policy_with_kb(NULL, model[i].name, &policies[i]);
}

size_t kup_ro_policy_count(void)
{
	return NPOL;
}

const struct kup_ro_policy *kup_ro_policy_at(size_t i)
{
	load();
	return i < NPOL && have[i] ? &policies[i] : NULL;
}

const struct kup_ro_policy *kup_ro_policy_find(const char *name)
{
	size_t i;

	load();
	for (i = 0; name && i < NPOL; i++)
		if (have[i] && strcmp(policies[i].name, name) == 0)
			return &policies[i];
	return NULL;
}

const char *kup_ro_provider_policy(const char *provider)
{
	const struct kup_pool_upgrade *u;

	load();
	u = source_kb && provider ?
		kup_rules_pool_upgrade(kup_kb_provider_rules(source_kb, provider)) : NULL;
	return u ? u->policy : provider;
}

static struct kup_ro_intpct ival(int v)
{
	struct kup_ro_intpct x = { true, false, v };

	return x;
}

void kup_ro_policy_at_budget(const struct kup_ro_policy *pol, const struct kup_ro_scenario *sc,
			     struct kup_ro_policy *out)
{
	int s = sc->max_surge, m = sc->max_unavailable;

	*out = *pol;
	switch (pol->mode) {
	case KUP_RO_MODE_SLOTS:
		if (pol->in_place) {
			if (m >= 0)
				out->max_unavailable = ival(m);
			break;
		}
		if (s >= 0)
			out->max_surge = ival(s);
		if (m >= 0)
			out->max_unavailable = ival(m);
		break;
	case KUP_RO_MODE_ASG:
		/* updateConfig.maxUnavailable: 1..100; the ASG adds max(2 x AZs, it) nodes */
		if (s >= 0 || m >= 0) {
			int v = (s > 0 ? s : 0) + (m > 0 ? m : 0);
			out->max_unavailable = ival(v < 1 ? 1 : v > 100 ? 100 : v);
		}
		break;
	case KUP_RO_MODE_BATCH:
		if (s >= 0)
			out->max_surge = ival(s);
		if (m >= 0)
			out->max_unavailable = ival(m);
		break;
	case KUP_RO_MODE_KARPENTER:
		if (s >= 0 || m >= 0) {
			int v = (s > 0 ? s : 0) + (m > 0 ? m : 0);
			out->max_unavailable = ival(v);
		}
		break;
	case KUP_RO_MODE_BLUE_GREEN:
	case KUP_RO_MODE_KUPGRADE:
		break;
	}
}
