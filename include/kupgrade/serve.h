/*
 * serve.h - the in-cluster continuous mode (`kupgrade serve`): a scan of a
 * live cluster against one or more targets, repeated, and what the HTTP
 * endpoints render from the newest result.
 *
 * One cycle (kup_serve_cycle_run) reads discovery and every listed object
 * once and checks each object against every target; the API server's own
 * deprecated-API request counters (/metrics) are read too.  The result is
 * immutable once made, so a server thread can render the previous cycle's
 * result while the next one runs.
 *
 * The state (struct kup_serve_state) keeps the newest successful cycle and
 * the counters a monitoring system needs: cycles run, cycles failed, the
 * last failure's message (already free of credentials: the client never
 * puts secrets in a message).
 *
 * Renderers:
 *   kup_serve_metrics()   the Prometheus text exposition format 0.0.4
 *   kup_serve_findings()  JSON: {"schema_version":1,"targets":[{target, findings:[...]}], ...}
 *   kup_serve_html()      a self-contained HTML page of the same
 */
#ifndef KUPGRADE_SERVE_H
#define KUPGRADE_SERVE_H

#include <signal.h>
#include <time.h>
#include "kupgrade/core.h"
#include "kupgrade/kb.h"
#include "kupgrade/kube.h"
#include "kupgrade/plan.h"
#include "kupgrade/version.h"

struct kup_serve_opts {
	const struct kup_version *targets;   /* at least one */
	size_t ntargets;
	const char *namespace_;              /* NULL: every namespace */
	unsigned limit;                      /* list page size (0: the live default) */
	/* when non-NULL and *cancel becomes non-zero, stop after the current page */
	const volatile sig_atomic_t *cancel;
};
void kup_serve_opts_init(struct kup_serve_opts *o);

/* The result of one cycle: opaque, immutable once made. */
struct kup_serve_cycle;

/*
 * Reads the cluster behind `k` (discovery, objects, /metrics) and checks
 * every object against every target.  A resource that cannot be listed is
 * counted in the cycle's errors (the rest is read); a failure that stops
 * the cycle (server unreachable, discovery refused) returns its status with
 * err filled and *out NULL.  `now` is the cycle's start time.
 */
enum kup_status kup_serve_cycle_run(struct kup_kube *k, const struct kup_kb *kb,
				    const struct kup_serve_opts *o, time_t now,
				    struct kup_serve_cycle **out, struct kup_error *err);
void kup_serve_cycle_free(struct kup_serve_cycle *c);

/* Accessors, for tests and callers that render their own way. */
size_t kup_serve_cycle_objects(const struct kup_serve_cycle *c);
size_t kup_serve_cycle_errors(const struct kup_serve_cycle *c);
size_t kup_serve_cycle_findings(const struct kup_serve_cycle *c, size_t target);
const char *kup_serve_cycle_server_version(const struct kup_serve_cycle *c);

/*
 * Records the plan of the cluster to target number `target` (kup_plan over
 * the profile derived from the cluster and its objects as a dump, as `plan
 * --context` makes it; the caller plans, the cycle only keeps the verdict):
 * rendered as kupgrade_plan_verdict and kupgrade_plan_blockers.  A target
 * never given a plan has neither.
 */
void kup_serve_cycle_set_plan(struct kup_serve_cycle *c, size_t target, enum kup_verdict v,
			      size_t nblockers);

/*
 * What the endpoints show.  kup_serve_state_init() zeroes it; record a
 * finished cycle with kup_serve_state_done() (which takes `c`, freeing the
 * previous one) or a failure with kup_serve_state_failed() (the previous
 * result is kept: a failing cycle does not hide what is known).
 */
struct kup_serve_state {
	struct kup_serve_cycle *last;   /* newest successful cycle, or NULL */
	time_t last_attempt;            /* start of the newest cycle (0: none yet) */
	double last_duration_s;         /* how long the newest cycle took */
	unsigned long cycles;           /* cycles run */
	unsigned long failures;         /* cycles that failed */
	bool last_failed;
	char *last_error;               /* message of the newest failure, or NULL */
};
void kup_serve_state_init(struct kup_serve_state *s);
void kup_serve_state_done(struct kup_serve_state *s, struct kup_serve_cycle *c, time_t start,
			  double duration_s);
void kup_serve_state_failed(struct kup_serve_state *s, const char *msg, time_t start,
			    double duration_s);
void kup_serve_state_release(struct kup_serve_state *s);

/*
 * The Prometheus text format.  Families (all gauges unless named _total):
 *   kupgrade_api_objects{group,version,kind,namespace,target,status,source}
 *       objects using a deprecated or removed API at the target
 *   kupgrade_target_blocking{target,next_minor}  1 when something is removed at the
 *       target; next_minor="true" for the minor right after the server's
 *   kupgrade_target_findings{target,severity}  findings by severity (removed, deprecated)
 *   kupgrade_plan_verdict{target,verdict}  1 for the plan's verdict, 0 for the other two
 *   kupgrade_plan_blockers{target}  the plan's blockers (only for targets planned:
 *       kup_serve_cycle_set_plan)
 *   kupgrade_apiserver_deprecated_api_requested{group,version,resource_kind,removed_release}
 *       the API server's own counters relayed (non-zero samples)
 *   kupgrade_support_end_timestamp_seconds{kind="upstream"|"provider-standard"|
 *       "provider-extended",provider}  end of support of the server's minor (Unix time)
 *   kupgrade_server_info{git_version}     1
 *   kupgrade_last_scan_timestamp_seconds, kupgrade_last_scan_duration_seconds,
 *   kupgrade_last_scan_success, kupgrade_scan_objects, kupgrade_scan_errors,
 *   kupgrade_scans_total, kupgrade_scan_failures_total, kupgrade_knowledge_base_info{newest}
 * Label values are escaped as the format requires.
 */
void kup_serve_metrics(const struct kup_serve_state *s, const struct kup_kb *kb,
		       struct kup_buf *out);
/* JSON of the newest cycle: {"schema_version":1,"scanned_at":…,"server_version":…,
   "targets":[{"target":"1.25","findings":[{…as scan -o json…}]}]}; no cycle yet: "targets":[] */
void kup_serve_findings(const struct kup_serve_state *s, struct kup_buf *out);
/* A self-contained HTML page of the same. */
void kup_serve_html(const struct kup_serve_state *s, struct kup_buf *out);

#endif
