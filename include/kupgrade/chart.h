/*
 * chart.h - a Helm repository index (index.yaml) and the chart choice of the
 * planner.
 *
 * The index is what `helm repo index` writes and `helm repo add` downloads:
 *
 *     apiVersion: v1
 *     entries:
 *       ingress-nginx:
 *         - name: ingress-nginx
 *           version: 4.12.0
 *           appVersion: 1.12.0
 *           kubeVersion: '>=1.21.0-0'
 *           created: "2024-12-04T00:58:56.5Z"
 *           digest: 2b4f...
 *           urls: [https://github.com/.../ingress-nginx-4.12.0.tgz]
 *           deprecated: false          # optional
 *     generated: "2024-12-04T00:59:01Z"
 *
 * YAML or JSON.  A malformed index (not a mapping, no `entries` mapping, an
 * apiVersion other than v1) is an error at file:line:column.  A malformed
 * chart version inside it (not a mapping, no name or version, a version that
 * is not semver, a malformed kubeVersion) is skipped the way Helm's loader
 * skips it, and reported as a warning to the sink with its position.
 * Every string lives in the index's arena.
 */
#ifndef KUPGRADE_CHART_H
#define KUPGRADE_CHART_H

#include "kupgrade/core.h"

struct kup_chart_version {
	const char *name;
	const char *version;            /* chart version, semver ("4.12.0", "v1.13.3") */
	const char *app_version;        /* NULL when absent */
	const char *kube_version;       /* the kubeVersion range, NULL when absent or empty */
	const char *created;            /* NULL when absent */
	const char *digest;             /* NULL when absent */
	const char **urls;
	size_t nurls;
	bool deprecated;
	bool prerelease;                /* the chart version has a pre-release ("4.0.0-beta.1") */
	uint32_t line, column;
};

struct kup_chart_entry {
	const char *name;
	struct kup_chart_version *versions;   /* newest first (semver order) */
	size_t nversions;
};

struct kup_chart_index {
	const char *path;
	const char *generated;          /* NULL when absent */
	struct kup_chart_entry *entries;      /* sorted by name */
	size_t nentries;
	size_t skipped;                 /* malformed chart versions left out */
	struct kup_arena arena;
};

/*
 * Parses an index from text (path names it in errors); warnings about
 * skipped chart versions go to `warnings` (may be NULL).
 */
enum kup_status kup_chart_index_parse(const char *path, const char *text, size_t len,
				      const struct kup_error_sink *warnings,
				      struct kup_chart_index **out, struct kup_error *err);
/* Reads and parses a file ("-" is stdin), at most 256 MiB. */
enum kup_status kup_chart_index_load(const char *path, const struct kup_error_sink *warnings,
				     struct kup_chart_index **out, struct kup_error *err);
void kup_chart_index_free(struct kup_chart_index *idx);

/* The entry of chart `name` (exact), or NULL. */
const struct kup_chart_entry *kup_chart_index_find(const struct kup_chart_index *idx,
						   const char *name);

enum {
	KUP_CHART_DEVEL = 1u << 0,      /* consider pre-release chart versions (helm --devel) */
};

/*
 * The choice of kup_chart_pick().  `chosen` is the highest chart version
 * (newest first) that is not deprecated, not a pre-release (unless
 * KUP_CHART_DEVEL), whose appVersion satisfies the pin (when one is given)
 * and whose kubeVersion matches the cluster version with Helm's semver
 * semantics (no kubeVersion matches anything); NULL when none does.
 *
 * `trapped` is the highest version above `chosen` that was refused only by
 * the pre-release trap: its kubeVersion would match the cluster version
 * without its provider suffix (">=1.23.0" and 1.30.1-eks-1a2b3c), so Helm
 * refuses it while a person reading the range would not; the plan warns.
 * `newest` is the highest version that is not deprecated (nor a pre-release
 * unless KUP_CHART_DEVEL), whatever its constraints, to say what is held back.
 */
struct kup_chart_pick {
	const struct kup_chart_version *chosen;
	const struct kup_chart_version *trapped;
	const struct kup_chart_version *newest;
	size_t skipped_deprecated;
	size_t skipped_prerelease;
	size_t skipped_kube;            /* kubeVersion does not match */
	size_t skipped_app;             /* appVersion missing, malformed or outside the pin */
};

/*
 * Picks a version of chart `name` for a cluster at `k8s_version` (as the API
 * server reports it: "v1.30.1-eks-1a2b3c", or "1.31"); `pin_app` (may be
 * NULL) is a semver range the appVersion must satisfy (--pin-app
 * NAME=CONSTRAINT).  KUP_NOTFOUND when the index has no such chart;
 * KUP_VERSION when k8s_version or pin_app is malformed.  Finding no
 * suitable version is KUP_OK with out->chosen NULL.
 */
enum kup_status kup_chart_pick(const struct kup_chart_index *idx, const char *name,
			       const char *k8s_version, const char *pin_app, unsigned flags,
			       struct kup_chart_pick *out, struct kup_error *err);

/*
 * The version a cluster's API server would report after moving to minor
 * `at`, for checking kubeVersion ranges at a planned hop: the current
 * version's provider suffix is kept, so the pre-release trap is modelled
 * ("v1.27.8-eks-8cb36c9" at 1.28 gives "1.28.0-eks-8cb36c9"; "1.27.8" at
 * 1.28 gives "1.28.0").  Writes into buf (at least 96 bytes) and returns it.
 */
struct kup_version;
char *kup_chart_kube_version_at(const char *current, const struct kup_version *at, char *buf,
				size_t size);

#endif
