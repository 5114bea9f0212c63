/*
 * preflight.h - the checks only a cluster (or a dump of one) can answer.
 *
 * A pass over the object stream, like the API scan: feed every object with
 * kup_preflight_object() (live, from a snapshot file or from a `kubectl get
 * -o json` dump; the same code for all three), then kup_preflight_finish()
 * settles what needs the whole input and sorts the findings.
 *
 * The checks:
 *  - webhook-unavailable: a Validating/MutatingWebhookConfiguration webhook
 *    with failurePolicy Fail (the default of admissionregistration/v1)
 *    whose Service has no ready endpoint: every matching write fails.  Only
 *    decided when the input holds Endpoints (or EndpointSlices) at all;
 *  - webhook-kube-system: such a webhook whose namespaceSelector does not
 *    exclude kube-system (tested against the kube-system Namespace's labels
 *    when it is in the input, else kubernetes.io/metadata.name=kube-system):
 *    a broken webhook then blocks the control plane's own pods;
 *  - pdb-blocking: a PodDisruptionBudget whose status.disruptionsAllowed is 0
 *    right now, with the pods it covers (a drain will wait on it);
 *  - crd-stored-version: a CustomResourceDefinition whose
 *    status.storedVersions lists a version that is not served by the CRD
 *    (or not listed), or whose group/version/kind the KB says is removed at
 *    the target: objects stored in it cannot be read after the upgrade
 *    until they are migrated;
 *  - image-registry: a container image (Pods and every pod template) not
 *    from an allowed registry, one finding per image (only when allowed
 *    registries were given);
 *  - node-skew: a Node whose kubelet or kube-proxy version is newer than
 *    the API server, or older than the skew policy allows (against the
 *    server version, and against the target);
 *  - apiservice-unavailable: an APIService whose Available condition is
 *    False (its group disappears from discovery).
 *
 * Objects that describe intent rather than state (last-applied,
 * managed-fields, Helm release manifests, chart templates) are ignored.
 * Findings are owned by the pass and live until kup_preflight_free().
 */
#ifndef KUPGRADE_PREFLIGHT_H
#define KUPGRADE_PREFLIGHT_H

#include "kupgrade/kb.h"
#include "kupgrade/object.h"
#include "kupgrade/scan.h"

struct kup_preflight_finding {
	const char *check;              /* "pdb-blocking", ... (see above) */
	enum kup_fail_level severity;   /* KUP_FAIL_REMOVED: blocks (exit 3);
	                                   KUP_FAIL_DEPRECATED: a warning (exit 2) */
	const char *kind;
	const char *api_version;
	const char *name;
	const char *namespace_;         /* NULL for cluster-scoped objects */
	const char *message;            /* one line for humans */
	const char *detail;             /* more (the pods a PDB covers...), or NULL */
	struct kup_source src;          /* where the object was read: type, path (NULL
	                                   when unknown), line and column (0 when unknown) */
};

/* Severity names ("blocking", "warning") are the report's: kup_item_severity_name(). */

/*
 * How many minors `component` ("kubelet", "kube-proxy") may be older than
 * kube-apiserver at `apiserver`; -1 when unknown (that side is not checked).
 */
typedef int (*kup_skew_fn)(void *ctx, const char *component,
			   const struct kup_version *apiserver);

struct kup_preflight_opts {
	struct kup_version target;      /* Kubernetes target (.valid false: no target checks) */
	struct kup_version server;      /* the API server's version (.valid false: unknown) */
	const char *const *allowed_registries;   /* NULL: the image check is off */
	size_t nallowed;
	kup_skew_fn skew_older;         /* NULL: only "newer than the server" is checked */
	void *skew_ctx;
	size_t max_pods_listed;         /* pods named per blocking PDB (default 10) */
};
void kup_preflight_opts_init(struct kup_preflight_opts *o);

struct kup_preflight;
/* kb (may be NULL) is used for the built-in APIs removed at the target. */
enum kup_status kup_preflight_new(const struct kup_kb *kb, const struct kup_preflight_opts *opts,
				  struct kup_preflight **out);
/* Takes one object (a kup_object_fn: pass the pass as ctx). */
enum kup_status kup_preflight_object(void *pf, const struct kup_object *obj);
/*
 * Sets the server version when it becomes known while reading (a snapshot
 * carries it); a version given in the options is replaced.
 */
enum kup_status kup_preflight_set_server(struct kup_preflight *pf, const struct kup_version *v);
/* Settles the checks that need the whole input; sorts by check, namespace, name. */
enum kup_status kup_preflight_finish(struct kup_preflight *pf);
size_t kup_preflight_count(const struct kup_preflight *pf);
const struct kup_preflight_finding *kup_preflight_at(const struct kup_preflight *pf, size_t i);
/* The worst severity found (KUP_FAIL_NONE when nothing). */
enum kup_fail_level kup_preflight_worst(const struct kup_preflight *pf);
void kup_preflight_free(struct kup_preflight *pf);

/*
 * The findings are rendered through the report model: each becomes a
 * struct kup_report_item (kup_report_item_from_preflight, report.h), so
 * every format carries them.
 */

/*
 * Parses a container image reference into its registry ("docker.io" when
 * the first component has no '.' or ':' and is not "localhost") and whether
 * it comes from one of `allowed` (a registry, or a registry/path prefix).
 */
bool kup_image_allowed(const char *image, const char *const *allowed, size_t nallowed);
/* The registry host of an image reference, written into buf. */
const char *kup_image_registry(const char *image, char *buf, size_t size);

#endif
