/*
 * kbrules.h - what a provider (or kubeadm) accepts on top of the upstream
 * skew policy, as data (schema kupgrade.dev/kb/provider-rules/v1: data/kubeadm.yaml,
 * data/eks.yaml, data/gke.yaml, data/aks.yaml, data/generic.yaml, data/node-runtimes.yaml).
 *
 * Every document names one provider (eks, gke, aks, kubeadm, generic) or
 * `all` (rules every provider shares: the container runtimes each minor
 * runs).  Several documents for one provider merge: their lists add up;
 * a scalar (a command, support_end) given twice is a load problem.
 *
 * Versions are Kubernetes minors unless said otherwise; a missing bound
 * (`.valid` false) is open.  Every row carries its `source` URL.
 */
#ifndef KUPGRADE_KBRULES_H
#define KUPGRADE_KBRULES_H

#include "kupgrade/core.h"
#include "kupgrade/version.h"
#include "kupgrade/kb.h"

/* How far kubelets may be behind a control plane at minor k8s_min..k8s_max
 * for the provider's upgrade to go ahead (kubeadm: MaximumAllowedMinorVersionKubeletSkew). */
struct kup_node_skew_rule {
	struct kup_version k8s_min, k8s_max;
	int older;
	const char *source;
};

/* The etcd minor line the provider runs for control planes k8s_min..k8s_max;
 * `requires`: every member must run at least this before moving onto the line. */
struct kup_etcd_rule {
	struct kup_version k8s_min, k8s_max;
	const char *version_text;        /* "3.6" */
	struct kup_version version;
	const char *requires_text;       /* "3.5.26", or NULL */
	struct kup_version requires;
	const char *source;
};

/* One add-on version the provider publishes for a cluster minor
 * (EKS: the latest Amazon EKS add-on version for that Kubernetes version). */
struct kup_managed_addon {
	const char *addon;               /* the KB add-on name: coredns, kube-proxy, aws-node ... */
	const char *provider_name;       /* the provider's own name: vpc-cni */
	struct kup_version k8s;
	const char *version_text;        /* "v1.11.4-eksbuild.24" */
	struct kup_version version;
	const char *source;
};

/* A node OS family and the minors it runs (an OS image matches when it starts
 * with `os` followed by the end or a character that is not a letter or digit);
 * replace_with: what to move such pools to (NULL: nothing can). */
struct kup_node_image_rule {
	const char *family;              /* "AL2" */
	const char *os;                  /* "Amazon Linux 2" */
	struct kup_version k8s_min, k8s_max;
	const char *replace_with;        /* "AL2023" */
	const char *source;
};

/* A container runtime (the scheme of containerRuntimeVersion: docker) and the
 * last minor a kubelet runs on it. */
struct kup_runtime_rule {
	const char *runtime;             /* "docker" */
	struct kup_version k8s_max;
	const char *replace_with;        /* "containerd" */
	const char *source;
};

/* A release channel (GKE) and the minors it offers, as of `checked`. */
struct kup_channel_rule {
	const char *channel;             /* "rapid", "regular", "stable", "extended", "none" */
	struct kup_version k8s_min, k8s_max;
	const char *checked;             /* the day the channel table was read */
	const char *source;
};

/*
 * A patch version the provider names for a Kubernetes minor (`patches`): GKE's
 * per release channel ("1.35.8-gke.1036000"), AKS's without one ("1.35.8").
 * A snapshot: `published` is the date of the copy it was read from.
 */
struct kup_provider_patch {
	struct kup_version k8s;          /* the minor */
	const char *channel;             /* the release channel, or NULL: any */
	const char *version_text;        /* "1.35.8-gke.1036000"; its minor is k8s */
	const char *published;           /* YYYY-MM-DD of the copy read, or NULL */
	const char *checked;             /* YYYY-MM-DD the copy was read */
	const char *source;
};

/*
 * A node image version the provider names for pools of an OS family at
 * minors k8s_min..k8s_max (`node_image_versions`; AKS: "202610.03.0").
 */
struct kup_node_image_version {
	const char *family;              /* a node_images family: "Ubuntu" */
	const char *image;               /* the image's own name ("AKSUbuntu-2404"), or NULL */
	struct kup_version k8s_min, k8s_max;
	const char *version;             /* "202610.03.0" */
	const char *published;           /* YYYY-MM-DD of the copy read, or NULL */
	const char *source;
};

/* A node count: an integer or a percentage of the pool (`set` false: not given). */
struct kup_node_count {
	bool set, pct;
	int value;
};

/*
 * How the provider upgrades a node pool by default, one row per strategy
 * (`node_upgrade`; the provider's first row is its default strategy, the one
 * plan's runbook describes).  `policy` names the rollout simulator's policy
 * these defaults parametrise (`kupgrade rollout simulate --policy NAME`).
 */
struct kup_pool_upgrade {
	const char *policy;              /* "eks", "gke-surge", "gke-blue-green", "aks" */
	const char *provider;            /* the provider whose file lists it */
	const char *strategy;            /* "surge upgrade", "blue-green upgrade" ... */
	struct kup_node_count max_surge, max_unavailable;
	const char *surge_field;         /* the provider's name for the surge knob: "maxSurge" */
	const char *unavailable_field;   /* ... and for maxUnavailable */
	int parallel_cap;                /* surge + unavailable at most this (0: none) */
	double drain_timeout;            /* seconds a node's drain may take (0: no limit) */
	bool on_timeout_force;           /* past it: pods deleted (true) or the upgrade fails */
	const char *timeout_error;       /* what a failed upgrade reports ("PodEvictionFailure") */
	double post_cordon;              /* seconds waited after the drain before the node goes */
	int batch_nodes;                 /* blue-green: nodes drained per batch */
	double batch_soak, pool_soak;    /* blue-green: seconds after each batch / the whole pool */
	const char *note;                /* more of the behaviour, for the runbook */
	const char *advice;              /* the provider's own advice on the knob, or NULL */
	/* the command that sets these knobs on a pool: {cluster}, {pool}, {surge},
	 * {unavailable}, {batch_nodes}, {batch_soak} (seconds); NULL: none */
	const char *setting;
	const char *source;
};

/* A node label whose value names the node pool a node belongs to. */
struct kup_pool_label {
	const char *label;               /* "eks.amazonaws.com/nodegroup" */
	const char *provider;            /* the provider whose file lists it: "eks" */
	const char *source;
};

/* What in a dump shows a cluster is the provider's (data/{eks,gke,aks,kubeadm}.yaml `recognize`). */
enum kup_recognize_on {
	KUP_RECOGNIZE_VERSION_PREFIX,          /* the server's or a kubelet's pre-release starts with it ("eks-") */
	KUP_RECOGNIZE_NODE_LABEL,              /* a node carries this label */
	KUP_RECOGNIZE_NODE_LABEL_PREFIX,       /* a node carries a label starting with it */
	KUP_RECOGNIZE_NODE_ANNOTATION_PREFIX,  /* a node carries an annotation starting with it */
	KUP_RECOGNIZE_CONFIGMAP                /* a ConfigMap of this name is in the dump */
};

struct kup_recognize_rule {
	enum kup_recognize_on on;
	const char *value;
	const char *provider;            /* the provider whose file lists it */
	const char *source;
};

/*
 * Command templates; `{cluster}`, `{from}`, `{to}`, `{pool}`, `{addon}`
 * (the provider's add-on name), `{version}`, `{family}` are replaced.  NULL
 * when the provider has no command for that step.
 */
struct kup_provider_commands {
	const char *plan;                /* before the first hop (kubeadm upgrade plan) */
	const char *control_plane;
	const char *control_plane_nodes; /* the other control-plane nodes and their kubelets */
	const char *nodepool;
	const char *nodepool_replace;
	const char *addon;
	const char *node_image;          /* a node-image-only upgrade (AKS) */
	const char *channel;             /* move the cluster to release channel {channel} (GKE) */
	const char *source;
};

struct kup_provider_rules {
	const char *provider;            /* "eks" ... or "all" */
	const struct kup_node_skew_rule *node_skew;
	size_t nnode_skew;
	const struct kup_etcd_rule *etcd;         /* ascending by k8s_min */
	size_t netcd;
	const struct kup_managed_addon *managed_addons;
	size_t nmanaged_addons;
	const struct kup_node_image_rule *node_images;
	size_t nnode_images;
	const struct kup_runtime_rule *runtimes;
	size_t nruntimes;
	const struct kup_pool_label *pool_labels;   /* in file order */
	size_t npool_labels;
	/* node labels whose value names the cluster (eksctl's), in file order */
	const struct kup_pool_label *name_labels;
	size_t nname_labels;
	const struct kup_recognize_rule *recognize; /* in file order */
	size_t nrecognize;
	const char *display;             /* the provider as people write it ("EKS"), or NULL */
	bool managed;                    /* the provider runs the control plane and etcd */
	const char *service_source;
	struct kup_provider_commands commands;
	bool control_plane_nodes;        /* the control-plane nodes' kubelets are the user's (kubeadm) */
	const char *control_plane_nodes_source;
	const char *support_end;         /* what the provider does past the end of standard support */
	const char *support_end_source;
	/* what staying past the end of standard support takes (EKS: it costs extra; AKS: LTS) */
	const char *extended_support;
	const char *extended_support_source;
	/* the release channel a cluster must be enrolled in to get extended support
	 * (GKE: "extended"; clusters on other channels get support_end); NULL: every cluster */
	const char *extended_support_channel;
	const struct kup_channel_rule *channels;
	size_t nchannels;
	const struct kup_pool_upgrade *pool_upgrades;  /* in file order; the first is the default */
	size_t npool_upgrades;
	const struct kup_provider_patch *patches;      /* in file order */
	size_t npatches;
	const struct kup_node_image_version *image_versions;  /* in file order */
	size_t nimage_versions;
};

/* The rules of `provider` ("eks", ..., "all"); NULL when the KB has none. */
const struct kup_provider_rules *kup_kb_provider_rules(const struct kup_kb *kb,
						       const char *provider);
/*
 * The pool labels of every provider file, i-th of all: providers in the
 * order generic, eks, gke, aks, kubeadm, then each file's order; NULL past
 * the end.  A node's pool is the value of the first of them it carries.
 */
const struct kup_pool_label *kup_kb_pool_label_at(const struct kup_kb *kb, size_t i);

/*
 * The recognition rows of every provider file, i-th of all, in the order of
 * kup_kb_pool_label_at(): a dump is the provider of the first row it
 * matches.  NULL past the end.
 */
const struct kup_recognize_rule *kup_kb_recognize_at(const struct kup_kb *kb, size_t i);
/*
 * The provider whose version_prefix row v's pre-release matches first
 * ("eks" for v1.28.5-eks-abc123), or NULL.
 */
const char *kup_kb_version_provider(const struct kup_kb *kb, const struct kup_version *v);
/*
 * The cluster-name labels of every provider file, i-th of all, in the order
 * of kup_kb_pool_label_at(); NULL past the end.  profile --from-dump names
 * the cluster after the first a node carries.
 */
const struct kup_pool_label *kup_kb_name_label_at(const struct kup_kb *kb, size_t i);
/* The provider's name as people write it ("EKS"): its `service.name`, else `provider`. */
const char *kup_kb_provider_display(const struct kup_kb *kb, const char *provider);
/* Whether the provider runs the control plane and etcd (`service.managed`); false when unknown. */
bool kup_kb_provider_managed(const struct kup_kb *kb, const char *provider);

/* The node_upgrade row for simulator policy `policy` in any provider file, or NULL. */
const struct kup_pool_upgrade *kup_kb_pool_upgrade(const struct kup_kb *kb, const char *policy);
/* The provider's default node pool upgrade (its first node_upgrade row), or NULL. */
const struct kup_pool_upgrade *kup_rules_pool_upgrade(const struct kup_provider_rules *r);

/* Kubelet minors the provider allows behind a control plane at `cp`; -1: no rule. */
int kup_rules_node_skew(const struct kup_provider_rules *r, const struct kup_version *cp);
/* The etcd line for a control plane at `cp`, or NULL. */
const struct kup_etcd_rule *kup_rules_etcd(const struct kup_provider_rules *r,
					   const struct kup_version *cp);
/* The add-on version the provider publishes for cluster minor `k8s`, or NULL. */
const struct kup_managed_addon *kup_rules_managed_addon(const struct kup_provider_rules *r,
							const char *addon,
							const struct kup_version *k8s);
/* True when the provider publishes versions of `addon` for some cluster minor. */
bool kup_rules_manages_addon(const struct kup_provider_rules *r, const char *addon);
/*
 * The provider's patch for minor `k8s` on release channel `channel` (NULL: the
 * channel is not known): a row of that channel, else a row without one; NULL
 * when none.
 */
const struct kup_provider_patch *kup_rules_patch(const struct kup_provider_rules *r,
						 const struct kup_version *k8s,
						 const char *channel);
/* The first node image version row of `family` covering minor `k8s`, or NULL. */
const struct kup_node_image_version *kup_rules_image_version(const struct kup_provider_rules *r,
							     const char *family,
							     const struct kup_version *k8s);
/* The node image rule whose `os` the OS image `os` starts with, or NULL. */
const struct kup_node_image_rule *kup_rules_node_image(const struct kup_provider_rules *r,
						       const char *os);
/* The runtime rule for a containerRuntimeVersion ("docker://20.10.7"), or NULL. */
const struct kup_runtime_rule *kup_rules_runtime(const struct kup_provider_rules *r,
						 const char *runtime);

/*
 * Expands a command template into `out` (appended); unknown `{names}` are
 * copied as written.  The values may be NULL (then the name stays).
 */
struct kup_cmd_vars {
	const char *cluster, *from, *to, *pool, *addon, *version, *family, *channel;
	const char *surge, *unavailable, *batch_nodes, *batch_soak;   /* node_upgrade settings */
};
/* The channel called `name` (case-insensitive), or NULL. */
const struct kup_channel_rule *kup_rules_channel(const struct kup_provider_rules *r,
						 const char *name);
void kup_rules_expand(const char *tmpl, const struct kup_cmd_vars *v, struct kup_buf *out);

#endif
