/*
 * drain.h - cordon and drain nodes through the Eviction API, naming the
 * PodDisruptionBudgets that block.
 *
 * What `kubectl drain` does, with the blockers spelled out:
 *
 *  1. every node is read (a missing node is an error) and its pods listed
 *     (fieldSelector spec.nodeName=NODE);
 *  2. pods are sorted out: mirror pods (annotation kubernetes.io/config.mirror)
 *     and DaemonSet-owned pods are skipped; pods without a controller need
 *     `force`, pods with emptyDir volumes need `delete_emptydir_data`; when any
 *     pod is refused nothing is changed and the call fails (KUP_INVALID), the
 *     refused pods in the result;
 *  3. dry run: the pods in the order they would be evicted, against the
 *     PodDisruptionBudgets' allowed disruptions: a pod goes (would-evict) and
 *     takes one disruption from each budget covering it, or waits
 *     (would-block) when a covering budget has none left, that budget and the
 *     pods that took its disruptions named - and nothing is changed;
 *  4. each node is cordoned (merge patch spec.unschedulable=true);
 *  5. each pod is evicted (POST pods/NAME/eviction, policy/v1 where the
 *     server serves it - Kubernetes 1.22 and later - else policy/v1beta1).
 *     A 429 (a budget would be violated) is retried with backoff (doubling
 *     from backoff_ms up to max_backoff_ms); the PDBs whose selector matches
 *     the pod are read again and named in the progress line.  Evicted pods
 *     are waited for until they are gone (404, or a new pod of the same
 *     name);
 *  6. at `timeout_ms`, the pods still there are either left (on_timeout
 *     fail: state BLOCKED or TERMINATING) or deleted (on_timeout force,
 *     bypassing the budget: state DELETED).
 *
 * Progress goes to opts->progress one line at a time ("node/n1 cordoned",
 * "pod shop/web-2: eviction blocked by PodDisruptionBudget shop/web (0
 * disruptions allowed now; it covers shop/web-1, shop/web-2), retrying in
 * 2s").  The library never prints.
 */
#ifndef KUPGRADE_DRAIN_H
#define KUPGRADE_DRAIN_H

#include "kupgrade/core.h"
#include "kupgrade/emit.h"
#include "kupgrade/kube.h"

enum kup_drain_on_timeout {
	KUP_DRAIN_TIMEOUT_FAIL = 0,    /* leave the pods, report them */
	KUP_DRAIN_TIMEOUT_FORCE,       /* delete them (no budget is consulted) */
};

struct kup_drain_opts {
	bool dry_run;
	bool force;                    /* evict pods that no controller manages */
	bool delete_emptydir_data;     /* evict pods with emptyDir volumes */
	long grace_period;             /* seconds for the eviction's deleteOptions; -1: the pod's own */
	long timeout_ms;               /* 0: wait for ever */
	enum kup_drain_on_timeout on_timeout;
	long backoff_ms;               /* first wait after a refused eviction (default 1000) */
	long max_backoff_ms;           /* (default 5000) */
	void (*progress)(void *ctx, const char *line);
	void *ctx;
};
void kup_drain_opts_init(struct kup_drain_opts *o);

enum kup_drain_state {
	KUP_DRAIN_POD_EVICTED = 0,     /* evicted and gone */
	KUP_DRAIN_POD_TERMINATING,     /* evicted, still there at the timeout */
	KUP_DRAIN_POD_DELETED,         /* deleted at the timeout (on_timeout force) */
	KUP_DRAIN_POD_BLOCKED,         /* eviction refused by a budget until the timeout */
	KUP_DRAIN_POD_FAILED,          /* eviction failed otherwise (reason says why) */
	KUP_DRAIN_POD_SKIPPED,         /* DaemonSet-owned or mirror pod (reason says which) */
	KUP_DRAIN_POD_REFUSED,         /* unmanaged without force, emptyDir without delete_emptydir_data */
	KUP_DRAIN_POD_WOULD_EVICT,     /* dry run */
	KUP_DRAIN_POD_WOULD_BLOCK,     /* dry run: a budget has no disruption left for it */
};
/* "evicted", "terminating", "deleted", "blocked", "failed", "skipped", "refused",
 * "would-evict", "would-block". */
const char *kup_drain_state_name(enum kup_drain_state s);

struct kup_drain_pod {
	const char *node;
	const char *namespace_;
	const char *name;
	enum kup_drain_state state;
	const char *pdbs;              /* "ns/a, ns/b": the budgets that block (or would), or NULL */
	const char *reason;            /* one line for humans, or NULL */
};

struct kup_drain_result {
	struct kup_drain_pod *pods;
	size_t npods;
	const char **cordoned;         /* nodes cordoned by this call (already cordoned ones too) */
	size_t ncordoned;
	const char *eviction_version;  /* "policy/v1" or "policy/v1beta1" */
	size_t evicted, deleted, blocked, failed, skipped, refused;
	bool timed_out;
	struct kup_arena arena;        /* holds the strings */
	size_t cap, cordoned_cap;
};
void kup_drain_result_init(struct kup_drain_result *r);
void kup_drain_result_release(struct kup_drain_result *r);

/*
 * Drains `nodes`.  KUP_OK when the work was carried out - check the result:
 * blocked/failed/terminating pods mean the node is not empty; KUP_INVALID
 * when pods were refused (nothing changed); KUP_NOTFOUND for a missing node;
 * KUP_IO when the API server could not be used (err says which verb on
 * which resource and why).
 */
enum kup_status kup_drain(struct kup_kube *k, const char *const *nodes, size_t nnodes,
			  const struct kup_drain_opts *opts, struct kup_drain_result *res,
			  struct kup_error *err);

/* The result as JSON (mode KUP_EMIT_JSON) or the same document as YAML:
 * {"schema_version": 1, "dry_run", "eviction_version", "cordoned": [...],
 *  "pods": [{"node", "namespace", "name", "state", "pdbs", "reason"}], "summary": {...}}. */
void kup_drain_render(const struct kup_drain_result *r, bool dry_run, enum kup_emit_mode mode,
		      struct kup_buf *out);
/* The result as a table (NODE  POD  STATE  BLOCKED BY  REASON). */
void kup_drain_render_text(const struct kup_drain_result *r, struct kup_buf *out);

#endif
