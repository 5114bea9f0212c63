/*
 * object.h - the object stream: every Kubernetes object found in the input,
 * labelled with where it came from.
 *
 * An object is valid only during the callback that receives it (its nodes
 * live in a per-document arena).  Copy what must outlive the call.
 */
#ifndef KUPGRADE_OBJECT_H
#define KUPGRADE_OBJECT_H

#include "kupgrade/node.h"

enum kup_source_type {
	KUP_SRC_FILE = 0,        /* a manifest file or stdin */
	KUP_SRC_HELM_RELEASE,    /* a rendered manifest inside a Helm release record */
	KUP_SRC_LAST_APPLIED,    /* kubectl.kubernetes.io/last-applied-configuration */
	KUP_SRC_MANAGED_FIELDS,  /* metadata.managedFields[].apiVersion */
	KUP_SRC_CHART_TEMPLATE,  /* an un-rendered Helm chart template */
	KUP_SRC_METRICS,         /* the API server's apiserver_requested_deprecated_apis metric */
};

/* "file", "helm-release", "last-applied", "managed-fields", "chart-template", "metrics". */
const char *kup_source_type_name(enum kup_source_type t);

struct kup_source {
	enum kup_source_type type;
	const char *path;        /* the file the user named (or "-") */
	uint32_t line;           /* 1-based; 0 when unknown */
	uint32_t column;
	const char *release;     /* Helm release name, or NULL */
	int64_t revision;        /* Helm release revision, 0 when none */
	const char *chart;       /* "name-version" of the release's chart, or NULL */
	const char *manager;     /* managedFields manager, or NULL */
	const char *object;      /* for last-applied/managed-fields: the live object as
	                            "Kind namespace/name" (served version), else NULL */
};

struct kup_object {
	const struct kup_node *root;   /* NULL for chart templates and managed-fields */
	struct kup_str api_version;    /* empty when absent */
	struct kup_str kind;
	struct kup_str name;
	struct kup_str namespace_;
	struct kup_source src;
	bool undecidable;              /* chart template whose apiVersion or kind is templated */
	/*
	 * Chart templates: the other apiVersions the same section offers for
	 * this kind in other branches of a conditional ({{ if }} ... {{ else }}),
	 * e.g. networking.k8s.io/v1 beside networking.k8s.io/v1beta1.
	 */
	const struct kup_str *alternatives;
	size_t nalternatives;
	/*
	 * Rendered charts (helmchart.h): why an undecidable object could not be
	 * judged (the function or value not evaluated, or the guard), and for a
	 * not_rendered object the guard that keeps it out at the target.
	 */
	const char *reason;
	bool not_rendered;
};

typedef enum kup_status (*kup_object_fn)(void *ctx, const struct kup_object *obj);

/* Fills api_version, kind, name and namespace from root. */
void kup_object_from_node(struct kup_object *obj, const struct kup_node *root);

#endif
