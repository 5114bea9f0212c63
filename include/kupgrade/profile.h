/*
 * profile.h - a cluster as the planner sees it (kind: ClusterProfile).
 *
 *     apiVersion: kupgrade.dev/v1alpha1
 *     kind: ClusterProfile
 *     metadata: {name: prod-eu-1}
 *     spec:
 *       provider: eks            # eks | gke | aks | kubeadm | generic
 *       controlPlane: {version: "1.27.8"}
 *       nodePools:
 *         - {name: general, version: "1.26.9", count: 30, zones: [a, b, c],
 *            os: "Amazon Linux 2", containerRuntime: "containerd://1.6.20",
 *            kubeProxyVersion: "1.26.9"}
 *       addons:
 *         - {name: istio, version: "1.17.2", upgradeMode: in-place}
 *         - {name: ingress-nginx, version: "1.6.4", chart: {name: ingress-nginx, version: "4.5.2"}}
 *
 * A profile is read from a file (kup_profile_parse) or derived from kubectl
 * output (kup_profile_from_dump).  Every string lives in the profile's arena
 * and is freed by kup_profile_free().
 */
#ifndef KUPGRADE_PROFILE_H
#define KUPGRADE_PROFILE_H

#include "kupgrade/core.h"
#include "kupgrade/version.h"

enum kup_provider {
	KUP_PROVIDER_GENERIC = 0,
	KUP_PROVIDER_EKS,
	KUP_PROVIDER_GKE,
	KUP_PROVIDER_AKS,
	KUP_PROVIDER_KUBEADM,
};

/* "generic", "eks", "gke", "aks", "kubeadm". */
const char *kup_provider_name(enum kup_provider p);
/* The provider named s (exactly as kup_provider_name spells it); false when unknown. */
bool kup_provider_from_name(const char *s, enum kup_provider *out);

struct kup_nodepool {
	const char *name;
	const char *version_text;       /* as written: "1.26.9", "v1.30.1-eks-1a2b" */
	struct kup_version version;     /* kubelet version */
	const char *kube_proxy_text;    /* NULL when unknown (then: same as kubelet) */
	struct kup_version kube_proxy;  /* .valid false when unknown */
	unsigned count;                 /* nodes; 0 when unknown */
	const char **zones;
	size_t nzones;
	const char *os;                 /* "Amazon Linux 2", "Bottlerocket OS 1.19.2", or NULL */
	const char *runtime;            /* "containerd://1.6.20", "docker://20.10.7", or NULL */
	const char *kernel;             /* status.nodeInfo.kernelVersion, or NULL */
	uint32_t line, column;          /* where the pool was declared (0 for derived ones) */
};

struct kup_addon_inst {
	const char *name;               /* as in the KB: "istio", "coredns", "aws-node" ... */
	const char *version_text;       /* as written: "1.17.2", "v1.9.3-eksbuild.21" */
	struct kup_version version;
	const char *upgrade_mode;       /* "in-place" | "canary" | NULL (add-on default) */
	const char *chart_name;         /* Helm chart, or NULL */
	const char *chart_version;
	const char *image;              /* for derived add-ons: the image it came from */
	uint32_t line, column;
};

struct kup_profile {
	const char *path;               /* the file, or the dump it was derived from */
	const char *name;
	enum kup_provider provider;
	const char *provider_text;      /* as written */
	const char *channel;            /* spec.channel: the release channel (GKE), or NULL */
	const char *cp_version_text;
	struct kup_version control_plane;
	struct kup_nodepool *pools;
	size_t npools;
	struct kup_addon_inst *addons;
	size_t naddons;
	struct kup_arena arena;
};

/*
 * Whether s may name a cluster, node pool or add-on: letters, digits and
 * - _ . : / @ + only, starting with a letter or digit, at most
 * KUP_PROFILE_MAX_NAME bytes (the runbook prints names into shell commands).
 */
#define KUP_PROFILE_MAX_NAME 253
bool kup_profile_name_ok(const char *s);

/*
 * Parses one ClusterProfile from text (YAML or JSON); `path` names it in
 * errors.  A malformed profile is KUP_PARSE/KUP_INVALID with err->path,
 * line and column set (the first problem).
 */
enum kup_status kup_profile_parse(const char *path, const char *text, size_t len,
				  struct kup_profile **out, struct kup_error *err);
/*
 * Same, and every problem (not only the first) also goes to `sink` (may be
 * NULL), each with path:line:column and the field it concerns
 * ("spec.nodePools[0].version: cannot parse '1.x': ...").  An unknown key
 * is a problem too, naming the closest known one ("spec: unknown key
 * 'nodepools'; did you mean 'nodePools'?").
 */
enum kup_status kup_profile_parse_sink(const char *path, const char *text, size_t len,
				       const struct kup_error_sink *sink,
				       struct kup_profile **out, struct kup_error *err);
/* Reads and parses a file ("-" is stdin). */
enum kup_status kup_profile_load(const char *path, struct kup_profile **out,
				 struct kup_error *err);

void kup_profile_free(struct kup_profile *p);

/* Writes the profile as ClusterProfile YAML (what `kupgrade profile` prints). */
enum kup_status kup_profile_write_yaml(const struct kup_profile *p, struct kup_buf *out);
/* The same ClusterProfile as JSON (`kupgrade profile -o json`); it parses back. */
enum kup_status kup_profile_write_json(const struct kup_profile *p, struct kup_buf *out);

#endif
