/*
 * dump.h - kubectl output (a `kubectl get ... -o json|yaml` List, a `kupgrade
 * snapshot`, `kubectl version -o json`) read once into what the other
 * modules need: a ClusterProfile (profile.h), and the node pool each node
 * belongs to, for rollout scenarios too.  The provider facts used (which
 * node label names a node's pool) come from the knowledge base
 * (data/providers.yaml `poolLabels`), never from C literals.
 */
#ifndef KUPGRADE_DUMP_H
#define KUPGRADE_DUMP_H

#include "kupgrade/core.h"
#include "kupgrade/kb.h"
#include "kupgrade/node.h"
#include "kupgrade/profile.h"

/*
 * The i-th node label whose value names a node's pool, in the order
 * kup_dump_node_pool() tries them: kupgrade's own `kupgrade.dev/pool`, then
 * the KB's pool labels (kup_kb_pool_label_at: EKS, Karpenter, GKE, AKS ...
 * from the data files); NULL past the end.  kb may be NULL (kupgrade's only).
 * `rollout run --pool` selects nodes by the same list.
 */
const char *kup_dump_pool_label_at(const struct kup_kb *kb, size_t i);

/*
 * The node pool of a Node object (`obj` the whole object): the value of the
 * first label of kup_dump_pool_label_at() that the node carries; else "control-plane" for a node labelled
 * node-role.kubernetes.io/control-plane (or master); else "default".  The
 * string returned is the label's value inside obj's tree, or a literal.
 * kb may be NULL (no pool labels: control-plane or default).
 */
const char *kup_dump_node_pool(const struct kup_kb *kb, const struct kup_node *obj);

/*
 * Derives a profile from kubectl output: one or more files holding
 * `kubectl get nodes,deployments,daemonsets -A -o json` (a List, or a
 * `kupgrade snapshot`, whose List carries the server version in
 * metadata.annotations["kupgrade.dev/server-version"]) and/or
 * `kubectl version -o json`.  Node pools are grouped by kup_dump_node_pool();
 * a pool with mixed
 * kubelet versions is profiled at its oldest.  Add-ons come from the images
 * of well-known workloads (kb names them; kb may be NULL: then every
 * kube-system workload is an unknown add-on).  The provider is guessed from
 * the version suffixes and labels.  No server version in any input is
 * KUP_NOTFOUND.  kup_profile_from_dump fails on the first malformed document
 * (KUP_PARSE, its position in err).
 */
enum kup_status kup_profile_from_dump(const struct kup_kb *kb, const char *const *paths,
				      size_t npaths, struct kup_profile **out,
				      struct kup_error *err);

/*
 * The same with sinks: `errors` gets each malformed document
 * (path:line:column; reading goes on, *nerrors counts them), `warnings` what
 * the profile could not say exactly (an add-on not in the knowledge base, a
 * version unknown because an image is pinned by digest, a pool with mixed
 * kubelet versions).  `name` (may be NULL) names the cluster; without it the
 * eksctl cluster-name label, the snapshot's context or the first file's base
 * name is used.
 */
struct kup_profile_dump_opts {
	struct kup_error_sink warnings;
	struct kup_error_sink errors;
	const char *name;
};
void kup_profile_dump_opts_init(struct kup_profile_dump_opts *o);
enum kup_status kup_profile_from_dump_opts(const struct kup_kb *kb, const char *const *paths,
					   size_t npaths, const struct kup_profile_dump_opts *opts,
					   struct kup_profile **out, size_t *nerrors,
					   struct kup_error *err);

#endif
