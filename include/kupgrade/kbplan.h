/*
 * kbplan.h - the planning facts of the knowledge base: the version-skew
 * policy, add-on compatibility and hop rules, provider support windows and
 * the catalogue of known upgrade risks (data/skew.yaml, data/addons.yaml,
 * data/risks.yaml, data/releases.yaml; see data/README.md).
 *
 * Loaded together with the API rules by kup_kb_load_embedded() and
 * kup_kb_load_dir(); every string lives as long as the KB.
 */
#ifndef KUPGRADE_KBPLAN_H
#define KUPGRADE_KBPLAN_H

#include "kupgrade/core.h"
#include "kupgrade/version.h"
#include "kupgrade/kb.h"

/* ---- skew policy ------------------------------------------------------- */

/*
 * How many minors `component` ("kubelet", "kube-proxy",
 * "kube-controller-manager", "kube-scheduler", "cloud-controller-manager",
 * "kubectl") may be older / newer than kube-apiserver when the apiserver
 * is at `apiserver`.  -1 when the KB has no rule for the component.
 */
int kup_kb_skew_older(const struct kup_kb *kb, const char *component,
		      const struct kup_version *apiserver);
int kup_kb_skew_newer(const struct kup_kb *kb, const char *component,
		      const struct kup_version *apiserver);
/* Minors the control plane may move in one upgrade (1). */
int kup_kb_cp_max_hop(const struct kup_kb *kb);
/* The source URL of the skew policy. */
const char *kup_kb_skew_source(const struct kup_kb *kb);

/* ---- provider support windows ------------------------------------------ */

struct kup_provider_release {
	const char *provider;            /* "eks", "gke", "aks" */
	struct kup_version version;      /* Kubernetes minor */
	const char *released;            /* ISO date, or NULL */
	const char *end_of_standard;     /* ISO date, or NULL */
	const char *end_of_extended;     /* ISO date, or NULL */
	const char *source;
};
size_t kup_kb_provider_release_count(const struct kup_kb *kb);
const struct kup_provider_release *kup_kb_provider_release_at(const struct kup_kb *kb, size_t i);
/* The row for provider + minor, or NULL. */
const struct kup_provider_release *kup_kb_find_provider_release(const struct kup_kb *kb,
								 const char *provider,
								 const struct kup_version *minor);

/* ---- add-ons ------------------------------------------------------------ */

enum kup_hop_rule {
	KUP_HOP_ANY = 0,      /* any supported version, in one step */
	KUP_HOP_MINORS,       /* at most max_hop (in-place) / max_hop_canary minors per step */
	KUP_HOP_MATCH_CP,     /* version minor tracks the control-plane minor (cluster-autoscaler, kube-proxy) */
	KUP_HOP_PER_CP,       /* the version the KB lists for each Kubernetes minor (CoreDNS by kubeadm) */
};

struct kup_addon_release {
	const char *version_text;        /* "1.17", "3.25", "1.9.3" */
	struct kup_version version;
	struct kup_version k8s_min;      /* .valid false: no lower bound known */
	struct kup_version k8s_max;      /* .valid false: no upper bound known */
	struct kup_version for_k8s;      /* KUP_HOP_PER_CP: the Kubernetes minor it goes with */
	const char *chart_version;       /* the matching chart line ("4.5.x"), or NULL */
	const char *released;            /* ISO date or NULL */
	const char *end_of_life;         /* ISO date or NULL */
	const char *source;
	bool and_later;                  /* the source states this range for this release and
	                                    every later one ("v0.84.0 and later need 1.25+") */
	const char *requires_addon;      /* this release and every later one need another add-on
	                                    ("gateway-api") at requires_min or later, or NULL */
	const char *requires_min_text;
	struct kup_version requires_min;
	const char *requires_source;
};

struct kup_addon_rule {
	const char *name;                /* "istio", "calico", "coredns", ... */
	const char **aliases;            /* other names users and charts give it */
	size_t naliases;
	const char **images;             /* image repository suffixes that identify it
	                                    ("/coredns", "calico/node", "pilot") */
	size_t nimages;
	const char **workloads;          /* kube-system workload names ("coredns", "calico-node") */
	size_t nworkloads;
	enum kup_hop_rule hop;
	int max_hop;                     /* KUP_HOP_MINORS: in-place minors per step */
	int max_hop_canary;              /* KUP_HOP_MINORS: canary minors per step */
	bool data_plane_follows;         /* data plane never ahead of control plane (Istio) */
	bool managed_with_cp;            /* upgraded in Phase I with the control plane (CoreDNS, kube-proxy) */
	const char *retired;             /* why and since when, or NULL */
	const struct kup_addon_release *releases;   /* ascending by version */
	size_t nreleases;
	const char *notes;
	const char *source;
};

size_t kup_kb_addon_count(const struct kup_kb *kb);
const struct kup_addon_rule *kup_kb_addon_at(const struct kup_kb *kb, size_t i);
/* By name or alias, case-insensitive; NULL when unknown. */
const struct kup_addon_rule *kup_kb_find_addon(const struct kup_kb *kb, const char *name);
/* The release row covering `v` (same major.minor; for KUP_HOP_PER_CP the exact
 * or nearest-lower listed version), or NULL. */
const struct kup_addon_release *kup_addon_release_for(const struct kup_addon_rule *a,
						      const struct kup_version *v);
/* True when release `r` supports Kubernetes minor `k8s` (an open bound counts as supported). */
bool kup_addon_release_supports(const struct kup_addon_release *r, const struct kup_version *k8s);

/* ---- pre-flight checks in a plan (data/preflight.yaml) --------------------- */

/*
 * How the findings of one pre-flight check (preflight.h) enter a plan: a
 * blocking finding of a check that `blocks` is a blocker; every other
 * finding is a risk of `severity` with this mitigation and source.  A check
 * without a rule stays out of plans.
 */
struct kup_preflight_rule {
	const char *check;               /* "pdb-blocking" */
	int severity;                    /* enum kup_severity */
	bool blocks;
	const char *mitigation;
	const char *source;
};

size_t kup_kb_preflight_count(const struct kup_kb *kb);
const struct kup_preflight_rule *kup_kb_preflight_at(const struct kup_kb *kb, size_t i);
/* The rule for `check`, or NULL. */
const struct kup_preflight_rule *kup_kb_preflight_rule(const struct kup_kb *kb, const char *check);

/* ---- risks --------------------------------------------------------------- */

/* The severity of a risk (data/risks.yaml `severity:`), of a plan's risks too. */
enum kup_severity { KUP_SEV_LOW = 0, KUP_SEV_MEDIUM, KUP_SEV_HIGH };
/* "low", "medium", "high". */
const char *kup_severity_name(enum kup_severity s);

/*
 * Evidence: facts the risk detectors look at, gathered from the profile,
 * from the objects of dumps and manifests, and from scan findings.  The
 * detectors (data/risks.yaml `detect:`) name facts; kup_evidence_add_object()
 * knows how to extract each fact from an object.
 */
struct kup_evidence;
struct kup_object;
struct kup_profile;

enum kup_status kup_evidence_new(struct kup_evidence **out);
void kup_evidence_free(struct kup_evidence *ev);
/* Facts from the profile (provider, versions, OS images, runtimes, add-ons). */
enum kup_status kup_evidence_add_profile(struct kup_evidence *ev, const struct kup_profile *p);
/* Facts from one object (PodSecurityPolicy, webhooks, CRDs, StorageClasses, ...). */
enum kup_status kup_evidence_add_object(struct kup_evidence *ev, const struct kup_object *obj);

struct kup_risk_rule {
	const char *id;                  /* "dockershim-removed" */
	const char *title;
	int severity;                    /* enum kup_severity */
	struct kup_version from;         /* applies to hops reaching >= from (.valid false: any) */
	struct kup_version until;        /* ... and <= until (.valid false: open) */
	const char *provider;            /* "eks" etc., or NULL for any */
	const char *message;
	const char *mitigation;
	const char *source;
};

/*
 * The facts a detector (data/risks.yaml `detect:`) may name, as (id, name):
 * every one is produced by an extractor of kup_evidence_add_*() (check/risks.c),
 * and a detector naming another is refused when the KB loads.
 */
#define KUP_RISK_FACTS(X) \
	X(F_ADDON, "addon") \
	X(F_ADDON_CHART, "addon.chart") \
	X(F_ADDON_IMAGE, "addon.image") \
	X(F_CHART_KUBE_VERSION, "chart.kube_version") \
	X(F_CP_VERSION, "cp.version") \
	X(F_CRD_STALE_STORED_VERSION, "crd.stale_stored_version") \
	X(F_CRD_STORED_VERSION, "crd.stored_version") \
	X(F_CSIDRIVER, "csidriver") \
	X(F_HELM_CHART, "helm.chart") \
	X(F_IMAGE_VERSION, "image.version") \
	X(F_KIND, "kind") \
	X(F_KUBE_PROXY_MODE, "kube_proxy.mode") \
	X(F_KUBECONFIG_AUTH_PROVIDER, "kubeconfig.auth_provider") \
	X(F_KUBECONFIG_EXEC_API, "kubeconfig.exec_api") \
	X(F_KUBECONFIG_EXEC_COMMAND, "kubeconfig.exec_command") \
	X(F_OBJECT, "object") \
	X(F_POOL_KERNEL, "pool.kernel") \
	X(F_POOL_KUBE_PROXY, "pool.kube_proxy") \
	X(F_POOL_OS, "pool.os") \
	X(F_POOL_RUNTIME, "pool.runtime") \
	X(F_POOL_RUNTIME_VERSION, "pool.runtime_version") \
	X(F_POOL_VERSION, "pool.version") \
	X(F_PROVIDER, "provider") \
	X(F_PV_CSI_DRIVER, "pv.csi_driver") \
	X(F_PV_SOURCE, "pv.source") \
	X(F_RBAC_SUBJECT, "rbac.subject") \
	X(F_SERVICEACCOUNT_SECRETS, "serviceaccount.secrets") \
	X(F_STORAGECLASS_DEFAULT, "storageclass.default") \
	X(F_STORAGECLASS_PROVISIONER, "storageclass.provisioner") \
	X(F_WEBHOOK, "webhook") \
	X(F_WEBHOOK_KUBE_SYSTEM, "webhook.kube_system") \
	X(F_WORKLOAD_ARG, "workload.arg") \
	X(F_WORKLOAD_EXEC_PROBE, "workload.exec_probe") \
	X(F_WORKLOAD_HOSTPATH, "workload.hostpath") \
	X(F_WORKLOAD_IMAGE, "workload.image") \
	X(F_WORKLOAD_NODE_SELECTOR, "workload.node_selector") \
	X(F_WORKLOAD_TOLERATION, "workload.toleration") \
	X(F_WORKLOAD_VOLUME, "workload.volume")

/* The index of a fact name in KUP_RISK_FACTS, or -1. */
int kup_risk_fact_id(const char *name);

/* A parsed detector of data/risks.yaml, owned by the KB. */

enum kup_det_op {
	KUP_DET_FACT = 0,   /* one fact, with tests on its value */
	KUP_DET_ALL,        /* every child */
	KUP_DET_ANY,        /* some child */
	KUP_DET_NOT,        /* the one child does not hold */
	KUP_DET_ALWAYS,     /* applies to every cluster (the text says why) */
};

struct kup_detector {
	enum kup_det_op op;
	struct kup_detector *kids;      /* all / any / not */
	size_t nkids;
	/* KUP_DET_FACT: the fact name, an optional key, and tests that must all
	 * hold on the same fact value (no test: the fact is present). */
	const char *fact;
	int fact_id;                    /* kup_risk_fact_id(fact) */
	const char *key;
	const struct kup_addon_rule *addon;   /* addon* facts: the add-on `key` names (set after loading) */
	const char *equals;
	const char *prefix;
	const char *contains;
	const char *not_contains;
	const char **in;
	size_t nin;
	struct kup_version below;       /* value parses as a version < below */
	struct kup_version at_least;    /* value parses as a version >= at_least */
	int behind_at;                  /* value's minor is more than N behind the hop (-1: none) */
	const char *always;             /* KUP_DET_ALWAYS: why every cluster is affected */
};

size_t kup_kb_risk_count(const struct kup_kb *kb);
const struct kup_risk_rule *kup_kb_risk_at(const struct kup_kb *kb, size_t i);
/* The detector of risk i (parallel to kup_kb_risk_at). */
const struct kup_detector *kup_kb_risk_detector(const struct kup_kb *kb, size_t i);

/*
 * Calls fn for every risk that applies when the control plane moves to
 * `at` (one hop) for a cluster whose evidence is `ev`; `evidence` is a
 * short human description of what matched ("node pool general runs
 * docker://20.10.7").  Risks are checked in KB order.
 */
typedef enum kup_status (*kup_risk_fn)(void *ctx, const struct kup_risk_rule *rule,
				       const struct kup_version *at, const char *evidence);
enum kup_status kup_risks_eval(const struct kup_kb *kb, const struct kup_evidence *ev,
			       const struct kup_version *at, kup_risk_fn fn, void *ctx);

#endif
