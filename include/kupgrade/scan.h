/*
 * scan.h - the API check: objects in, findings out.
 *
 * A finding says an object uses an API that is removed, deprecated, or
 * otherwise changing at the target version.  Findings are owned by the
 * scan and live until kup_scan_free().
 */
#ifndef KUPGRADE_SCAN_H
#define KUPGRADE_SCAN_H

#include "kupgrade/kb.h"
#include "kupgrade/object.h"

enum kup_finding_status {
	KUP_FIND_REMOVED = 0,         /* built-in (or add-on / CRD) no longer served at target */
	KUP_FIND_DEPRECATED,          /* deprecated at target, still served */
	KUP_FIND_OPT_IN_REMOVED,      /* an opt-in beta no longer served at target */
	KUP_FIND_OPT_IN_DEPRECATED,   /* an opt-in beta deprecated at target */
	KUP_FIND_GA_DEPRECATED,       /* GA and deprecated, still served (never removed) */
	KUP_FIND_UNDECIDED,           /* chart template with a templated apiVersion/kind */
	KUP_FIND_NOT_RENDERED,        /* in a chart branch not rendered at the target */
	KUP_FIND_ALPHA_REMOVED,       /* an alpha API (off by default) no longer served at target */
	KUP_FIND_ALPHA_DEPRECATED,    /* an alpha API (off by default) deprecated at target */
};

/*
 * "removed", "deprecated", "opt-in-removed", "opt-in-deprecated", "ga-deprecated", "undecided",
 * "not-rendered", "alpha-removed", "alpha-deprecated".
 */
const char *kup_finding_status_name(enum kup_finding_status s);

enum kup_fail_level {
	KUP_FAIL_NONE = 0,
	KUP_FAIL_DEPRECATED,   /* exit 2 */
	KUP_FAIL_REMOVED,      /* exit 3 */
};
/* How severe a status is for --fail-on: removed, deprecated or none. */
enum kup_fail_level kup_finding_severity(enum kup_finding_status s);

struct kup_finding {
	enum kup_finding_status status;
	const struct kup_api_rule *rule;   /* NULL for CRD-declared versions and undecided */
	const char *component;             /* "kubernetes", "cert-manager", or the CRD's group */
	const char *rule_id;
	const char *kind;
	const char *api_version;
	const char *name;                  /* NULL when the object has none */
	const char *namespace_;            /* NULL when none */
	const char *deprecated_in;         /* "1.14" or NULL */
	const char *removed_in;
	const char *replacement;           /* best api_version at the target, or NULL */
	const char *replacement_kind;      /* when it differs from kind, else NULL */
	const char *replacement_available_in;
	const char *message;               /* one line for humans */
	const char *notes;                 /* migration notes, or NULL */
	const char *source_url;            /* where the fact comes from */
	struct kup_source src;             /* strings copied, owned by the scan */
	const char *ignored;               /* accepted (ignore.h): the reason; never fails */
	/* A chart evaluation (status undecided or not-rendered): what could not be
	   evaluated, or the guard that keeps the object out at the target; else NULL. */
	const char *reason;
};

/* "ignored" for an accepted finding, else its status name. */
const char *kup_finding_label(const struct kup_finding *f);

struct kup_scan_opts {
	struct kup_version target;             /* Kubernetes target (required) */
	struct kup_version from;               /* .valid false when not given */
	/* Add-on targets, e.g. "cert-manager" -> 1.12; NULL-terminated parallel arrays. */
	const char **addon_names;
	const struct kup_version *addon_targets;
	size_t naddons;
	bool show_undecided;                   /* report templated apiVersions */
};
void kup_scan_opts_init(struct kup_scan_opts *o);

struct kup_scan;
enum kup_status kup_scan_new(const struct kup_kb *kb, const struct kup_scan_opts *opts,
			     struct kup_scan **out);
/* Checks one object (an kup_object_fn: pass the scan as ctx). */
enum kup_status kup_scan_object(void *scan, const struct kup_object *obj);
/*
 * Settles what needed the whole input (custom resources whose CRD was seen
 * anywhere in the input) and sorts the findings: by path, line, kind, name.
 */
enum kup_status kup_scan_finish(struct kup_scan *scan);
size_t kup_scan_count(const struct kup_scan *scan);
/*
 * Chart objects that could not be judged (listed only with show_undecided),
 * and objects with a removed or deprecated API in a branch not rendered at
 * the target (likewise).
 */
size_t kup_scan_undecided(const struct kup_scan *scan);
size_t kup_scan_not_rendered(const struct kup_scan *scan);
const struct kup_finding *kup_scan_at(const struct kup_scan *scan, size_t i);
/* The same finding, writable (for ignore.h). */
struct kup_finding *kup_scan_at_mut(struct kup_scan *scan, size_t i);
void kup_scan_free(struct kup_scan *scan);

#endif
