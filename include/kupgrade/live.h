/*
 * live.h - a whole cluster read through kube.h: every listable resource into
 * the object stream (scan), into one snapshot file (snapshot), and the API
 * server's own record of deprecated requests (/metrics).
 *
 * What is listed (kup_live_collect): every resource discovery marks
 * `preferred` and listable (see kube.h), except Events (events,
 * events.k8s.io: transient, and the largest lists of a busy cluster) and
 * componentstatuses; Secrets only with fieldSelector type=helm.sh/release.v1
 * (the Helm release records; other Secrets are never read).  A resource that
 * fails (403 forbidden, an unavailable API) is reported to the error sink,
 * naming what was skipped, and the rest goes on; a failure that makes every
 * further request pointless (cannot connect, TLS, 401, credentials) stops.
 */
#ifndef KUPGRADE_LIVE_H
#define KUPGRADE_LIVE_H

#include <signal.h>
#include <stdio.h>
#include "kupgrade/kube.h"
#include "kupgrade/object.h"

struct kup_live_stats;
struct kup_live_opts {
	const char *namespace_;       /* NULL: every namespace and cluster-scoped resources;
	                                 else only namespaced resources in it */
	unsigned limit;               /* page size (default 500) */
	bool all_secrets;             /* list every Secret, not only Helm release records */
	struct kup_error_sink errors; /* a resource that could not be listed */
	/* progress: called after each resource with the number of items it had */
	void (*progress)(void *ctx, const struct kup_kube_resource *res, size_t nitems);
	void *progress_ctx;
	/* on_page: called after each page with the totals so far (progress_ctx; may be NULL) */
	void (*on_page)(void *ctx, const struct kup_kube_resource *res,
			const struct kup_live_stats *so_far);
	/* when non-NULL and *cancel becomes non-zero (a signal handler), stop after the
	   current page: KUP_STOP (a snapshot then leaves no file behind) */
	const volatile sig_atomic_t *cancel;
};
void kup_live_opts_init(struct kup_live_opts *o);

struct kup_live_stats {
	size_t resources;     /* resources listed */
	size_t skipped;       /* resources that failed (reported) */
	size_t items;
	size_t pages;
	/* items of the core v1 lists every cluster has objects in; -1: not listed */
	long namespaces;
	long nodes;
};

/*
 * An API server that answers but lists nothing gives a clean result on input
 * that was never read.  Reports (to sink, one message each) what a real
 * cluster cannot have: a discovery with no group versions or no resources
 * at all, no API groups besides the core one (no apps, batch...), and -
 * when stats is not NULL - an empty list of namespaces or of nodes, where
 * they were listed.  Returns how many were reported; the caller makes them
 * warnings, or errors under --strict.
 */
size_t kup_live_check_empty(const struct kup_kube_discovery *d, const struct kup_live_stats *stats,
			    const struct kup_error_sink *sink);

/* True when kup_live_collect() lists res (namespace_ as in the options). */
bool kup_live_wants(const struct kup_kube_resource *res, const char *namespace_);

/*
 * Lists what is described above, page by page, into fn.  Returns KUP_OK
 * when every resource was tried (stats->skipped says how many failed), or
 * the status that stopped it (err filled).
 */
enum kup_status kup_live_collect(struct kup_kube *k, const struct kup_kube_discovery *d,
				 const struct kup_live_opts *o, kup_kube_page_fn fn, void *ctx,
				 struct kup_live_stats *stats, struct kup_error *err);

/*
 * A kup_kube_page_fn that hands a page to an ingest (struct kup_ingest *),
 * as kup_ingest_mem() would read the file: objects, last-applied,
 * managedFields, Helm release Secrets get exactly the file treatment.
 */
enum kup_status kup_live_ingest_page(void *ingest, const struct kup_kube_page *page);

/*
 * An object relay: objects read from live pages carry line and column
 * inside a page nobody can see; kup_live_relay_object() clears them (lines
 * inside Helm release manifests are kept) and passes the object on.
 */
struct kup_live_relay {
	kup_object_fn fn;
	void *ctx;
};
enum kup_status kup_live_relay_object(void *relay, const struct kup_object *obj);

/*
 * The Prometheus text of /metrics: each apiserver_requested_deprecated_apis
 * sample with a value other than 0 becomes one object (root NULL, source
 * KUP_SRC_METRICS, path `path`, no name) whose apiVersion is group/version
 * and whose kind is found in discovery `d` (resource -> kind; when d is NULL
 * or lacks it, the resource name is used).  `removed_release` is the
 * server's own label; the KB decides the finding.  Malformed lines are
 * skipped.  Returns the callback's status or KUP_OK; *count (may be NULL)
 * gets the number of objects.
 */
enum kup_status kup_live_metrics_parse(const char *text, size_t len, const char *path,
				       const struct kup_kube_discovery *d, kup_object_fn fn,
				       void *ctx, size_t *count);

/*
 * GET /metrics and kup_live_metrics_parse().  A 403 (the user may not read
 * /metrics) or 404 returns KUP_NOTFOUND with err saying so; callers treat
 * that as a note, not a failure.
 */
enum kup_status kup_live_metrics(struct kup_kube *k, const struct kup_kube_discovery *d,
				 kup_object_fn fn, void *ctx, size_t *count, struct kup_error *err);

/*
 * Writes a snapshot to `path`: a kubectl List (every collected object, with
 * apiVersion and kind, one per line) that every file reader takes as is:
 *
 *   {"apiVersion":"v1","kind":"List",
 *    "metadata":{"annotations":{"kupgrade.dev/server-version":"v1.20.2",
 *                               "kupgrade.dev/snapshot-time":"2026-11-21T13:00:00Z",
 *                               "kupgrade.dev/context":"prod",
 *                               "kupgrade.dev/server":"https://..."}},
 *    "kupgrade.dev/discovery":{...kup_kube_discovery_to_json()...},
 *    "items":[
 *   {...},
 *   ...]}
 *
 * The file is written to a temporary file in the same directory, flushed
 * to disk and renamed over `path` only when complete ("-" writes to
 * stdout).  Pages are written as they arrive: memory is one page.
 */
struct kup_snapshot_info {
	const char *context;          /* may be NULL */
	const char *server;
	time_t time;                  /* 0: now */
};
enum kup_status kup_live_snapshot(struct kup_kube *k, const struct kup_kube_discovery *d,
				  const char *path, const struct kup_snapshot_info *info,
				  const struct kup_live_opts *o, struct kup_live_stats *stats,
				  struct kup_error *err);

#endif
