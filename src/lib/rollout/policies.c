/*
 * policies.c - the providers' default node-pool upgrade behaviour as
 * parameter sets of the simulator's controller, each with its source, and
 * the `kupgrade` planner.  Facts checked against the project's research
 * notes on node-pool upgrades (docs/rollout.md lists the sources).
 */
#include <string.h>

#include "kupgrade/rollout.h"

#define INT(v) { true, false, (v) }
#define PCT(v) { true, true, (v) }
#define NONE { false, false, 0 }

static const struct kup_ro_policy policies[] = {
	{
		.name = "eks",
		.summary = "EKS managed node group DEFAULT: desired += max(2 x AZs, maxUnavailable) new "
			   "nodes in the same AZs, old nodes made unschedulable, maxUnavailable 1 "
			   "random node drained at a time, 60 s after the drain, terminate; a drain "
			   "past 15 min fails the update (PodEvictionFailure; `force` is not the default)",
		.source = "https://docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html "
			  "https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupUpdateConfig.html",
		.mode = KUP_RO_MODE_ASG,
		.max_surge = NONE,
		.max_unavailable = INT(1),
		.order = KUP_RO_ORDER_RANDOM,
		.drain_timeout = 15 * 60,
		.on_timeout = KUP_RO_TIMEOUT_FAIL,
		.timeout_error = "PodEvictionFailure",
		.post_cordon = 60,
	},
	{
		.name = "gke-surge",
		.summary = "GKE surge upgrade defaults: maxSurge 1, maxUnavailable 0 (parallelism = "
			   "surge + unavailable, at most 20), one zone at a time; PDBs honoured for "
			   "up to ~1 hour, then force-delete",
		.source = "https://cloud.google.com/kubernetes-engine/docs/concepts/node-pool-upgrade-strategies "
			  "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/UpgradeSettings",
		.mode = KUP_RO_MODE_SLOTS,
		.max_surge = INT(1),
		.max_unavailable = INT(0),
		.parallel_cap = 20,
		.order = KUP_RO_ORDER_ZONE,
		.drain_timeout = 3600,
		.on_timeout = KUP_RO_TIMEOUT_FORCE,
	},
	{
		.name = "gke-blue-green",
		.summary = "GKE blue-green: create the whole green pool, cordon blue, drain blue in "
			   "batches (batchNodeCount 1 assumed, batchSoakDuration 0), soak the pool "
			   "(nodePoolSoakDuration 3600 s), delete blue; needs quota for 2x nodes",
		.source = "https://cloud.google.com/kubernetes-engine/docs/concepts/node-pool-upgrade-strategies "
			  "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/UpgradeSettings",
		.mode = KUP_RO_MODE_BLUE_GREEN,
		.max_surge = PCT(100),
		.order = KUP_RO_ORDER_NAME,
		.drain_timeout = 3600,
		.on_timeout = KUP_RO_TIMEOUT_FORCE,
		.batch_nodes = 1,
		.batch_soak = 0,
		.pool_soak = 3600,
	},
	{
		.name = "aks",
		.summary = "AKS rolling upgrade: maxSurge 10% (rounded up) surge nodes, drain as many "
			   "old nodes as surge nodes, reimage them as the next buffer, repeat; "
			   "drainTimeoutInMinutes 30, on timeout the upgrade fails",
		.source = "https://learn.microsoft.com/azure/aks/upgrade-aks-node-pools-rolling "
			  "https://learn.microsoft.com/javascript/api/@azure/arm-containerservice/agentpoolupgradesettings "
			  "https://learn.microsoft.com/dotnet/api/microsoft.azure.commands.aks.neworupdateagentpoolbase.maxsurge "
			  "(\"If not specified, the default is 10%\")",
		.mode = KUP_RO_MODE_BATCH,
		.max_surge = PCT(10),
		.max_unavailable = INT(0),
		.order = KUP_RO_ORDER_NAME,
		.drain_timeout = 30 * 60,
		.on_timeout = KUP_RO_TIMEOUT_FAIL,
		.timeout_error = "UpgradeFailed",
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

size_t kup_ro_policy_count(void)
{
	return sizeof(policies) / sizeof(policies[0]);
}

const struct kup_ro_policy *kup_ro_policy_at(size_t i)
{
	return i < kup_ro_policy_count() ? &policies[i] : NULL;
}

const struct kup_ro_policy *kup_ro_policy_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < kup_ro_policy_count(); i++)
		if (strcmp(policies[i].name, name) == 0)
			return &policies[i];
	return NULL;
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
