/*
 * plan.h - the readiness verdict, the ordered upgrade path and its risks.
 *
 * kup_plan() searches over cluster states (control-plane minor, each node
 * pool's kubelet, each add-on's version) from the profile to the target,
 * under the skew policy and every add-on's supported range, for the path
 * with the fewest node-pool rolls, then the fewest steps.  The result also
 * carries the blockers (why the target cannot be reached) and the risks
 * that apply at each hop, with their evidence.
 *
 * The library never prints: renderers turn a plan into text, Markdown,
 * JSON or one self-contained HTML page (kup_plan_render).
 */
#ifndef KUPGRADE_PLAN_H
#define KUPGRADE_PLAN_H

#include "kupgrade/core.h"
#include "kupgrade/version.h"
#include "kupgrade/profile.h"
#include "kupgrade/kbplan.h"

struct kup_kb;
struct kup_chart_index;

enum kup_verdict {
	KUP_VERDICT_READY = 0,
	KUP_VERDICT_READY_WITH_WARNINGS,
	KUP_VERDICT_BLOCKED,
};
/* "READY", "READY_WITH_WARNINGS", "BLOCKED". */
const char *kup_verdict_name(enum kup_verdict v);

enum kup_step_type {
	KUP_STEP_ADDON = 0,
	KUP_STEP_CONTROL_PLANE,
	KUP_STEP_NODEPOOL,
	KUP_STEP_CHART,
	KUP_STEP_MANIFESTS,
};
/* "addon", "control-plane", "nodepool", "chart", "manifests". */
const char *kup_step_type_name(enum kup_step_type t);

struct kup_plan_step {
	unsigned order;                 /* 1-based */
	enum kup_step_type type;
	const char *component;          /* "control-plane", "nodepool/general", "istio", chart name */
	const char *from;               /* version text */
	const char *to;
	const char *reason;
	struct kup_version cp_at;       /* the control-plane version while this step runs */
	const char *command;            /* the provider's command for this step, or NULL (data/<provider>.yaml) */
	const char *provider_version;   /* the provider's own version (EKS eksbuild, GKE/AKS patch, AKS node image), or NULL */
	const struct kup_plan_tuned *tuned; /* nodepool: the provider's knobs tuned (opts.tuned), or NULL */
};

struct kup_plan_blocker {
	const char *id;
	const char *message;
};

struct kup_plan_risk {
	const char *id;
	enum kup_severity severity;
	const char *at;                 /* the Kubernetes minor where it applies: "1.25" */
	const char *message;
	const char *evidence;
	const char *mitigation;
	const char *source;
};

/*
 * A pool roll's provider settings tuned by simulation (`rollout tune` over
 * the scenario a dump or a live cluster gives; the CLI runs it, the plan
 * carries it into the matching nodepool steps).  Every figure is simulated.
 */
struct kup_plan_tuned {
	const char *pool;               /* the pool it applies to; NULL: every pool roll */
	const char *provider;           /* "eks", "gke", "aks" */
	int seeds;                      /* random timings simulated */
	int max_surge, max_unavailable; /* the budget searched within (nodes) */
	const char *settings_json;      /* {"maxSurge": 3, "maxUnavailable": 0}, or NULL: none qualified */
	const char *settings_text;      /* "maxSurge 3, maxUnavailable 0", or NULL */
	const char *default_json;       /* the documented defaults, as settings_json */
	double makespan_s;              /* the tuned setting's median makespan (when settings_json) */
	double default_makespan_s;      /* the documented defaults' median makespan */
	const char *const *commands;    /* the provider's commands that set it (none when keep_defaults) */
	size_t ncommands;
	bool keep_defaults;             /* the documented defaults simulated as fast: no change */
};

struct kup_plan_opts {
	struct kup_version target;      /* required */
	bool keep_nodes;                /* pools need not reach the target (only stay within skew) */
	/*
	 * --manifests PATH... scanned at every hop: a Helm chart among them
	 * (a directory with Chart.yaml, or a .tgz) is rendered for each hop's
	 * version (helmchart.h), so a template guard that switches apiVersions
	 * is judged per hop and an object it renders with a removed API blocks
	 * the first hop whose rendering uses it.
	 */
	const char *const *manifests;
	size_t nmanifests;
	const char *const *chart_values; /* --values FILE... for those charts, in order */
	size_t nchart_values;
	const char *const *chart_set;    /* --set a.b=c[,d=e]... for those charts, in order */
	size_t nchart_set;
	const char *const *dumps;       /* --dump FILE... */
	size_t ndumps;
	/*
	 * The names findings and errors give manifests[i] and dumps[i] (a copy
	 * of a pipe is read under the name the user gave it); NULL, or a NULL
	 * entry: the path itself.
	 */
	const char *const *manifest_names;
	const char *const *dump_names;
	const char *chart_index;        /* --chart-index FILE (a Helm repository index.yaml) */
	const char *const *pin_app;     /* "NAME=CONSTRAINT" */
	size_t npin_app;
	const struct kup_error_sink *errors;   /* input problems (manifests, index); may be NULL */
	const struct kup_error_sink *warnings; /* inputs skipped on purpose (a symlink loop); may be NULL */
	size_t max_document;            /* --max-document-size for manifests and dumps; 0: 256 MiB */
	const char *today;              /* "YYYY-MM-DD" for provider support windows; NULL: now (UTC) */
	/* An index already read (kup_chart_index_load), used instead of reading
	 * chart_index again for each plan of a directory run; may be NULL. */
	const struct kup_chart_index *chart_index_loaded;
	/*
	 * Findings made elsewhere (the pre-flight checks of a dump or a live
	 * cluster) that join the plan's risks and blockers: copied, deduplicated
	 * by id, sorted with the others and counted in the verdict.  A risk
	 * without `at` applies at the current control-plane minor.  May be NULL.
	 */
	const struct kup_plan_risk *extra_risks;
	size_t nextra_risks;
	const struct kup_plan_blocker *extra_blockers;
	size_t nextra_blockers;
	/*
	 * The pre-flight checks (preflight.h) run over the objects of `dumps`,
	 * read once with the API scan, and their findings join the risks and
	 * blockers by the rules of data/preflight.yaml.  allowed_registries
	 * (NULL: none) turns on the image check.
	 */
	const char *const *allowed_registries;
	size_t nallowed;
	/* Tuned pool-roll settings (struct kup_plan_tuned), copied into the plan; may be NULL. */
	const struct kup_plan_tuned *tuned;
	size_t ntuned;
};

struct kup_plan_full;

struct kup_plan {
	const char *cluster;
	const char *from;               /* control-plane version text */
	const char *to;                 /* target as given */
	enum kup_verdict verdict;
	struct kup_plan_step *steps;
	size_t nsteps;
	struct kup_plan_blocker *blockers;
	size_t nblockers;
	struct kup_plan_risk *risks;
	size_t nrisks;
	const char **warnings;          /* "add-on X is not in the knowledge base, not checked" */
	size_t nwarnings;
	size_t input_errors;            /* problems reading manifests/dumps/index (reported to opts->errors) */
	unsigned node_rolls;            /* nodepool steps */
	struct kup_arena arena;
	struct kup_plan_full *priv;     /* the library's own (what the runbook needs): opaque */
};

/*
 * Plans `p` to opts->target.  Returns KUP_OK with a plan (whatever the
 * verdict); KUP_INVALID with a message when the target is below the current
 * control plane or beyond the newest version the KB knows (the message
 * names it).
 */
enum kup_status kup_plan(const struct kup_kb *kb, const struct kup_profile *p,
			 const struct kup_plan_opts *opts, struct kup_plan **out,
			 struct kup_error *err);
void kup_plan_free(struct kup_plan *plan);

/* The first step not yet done, or NULL when the cluster is at the target. */
const struct kup_plan_step *kup_plan_next_step(const struct kup_plan *plan);

enum kup_plan_format {
	KUP_PLAN_TEXT = 0,
	KUP_PLAN_MARKDOWN,
	KUP_PLAN_JSON,
	KUP_PLAN_HTML,
	KUP_PLAN_YAML,       /* the JSON document as YAML */
};
enum kup_status kup_plan_render(const struct kup_plan *plan, enum kup_plan_format fmt,
				struct kup_buf *out);

/* The exit code a plan gives: 0 READY, 2 READY_WITH_WARNINGS, 3 BLOCKED. */
int kup_plan_exit_code(const struct kup_plan *plan);

/*
 * The plan's blockers, then its risks, as report items (report.h, family
 * KUP_ITEM_RISK), for the formats of the report model (csv, sarif, junit).
 * A blocker is blocking; a medium or high risk a warning; a low risk info:
 * the verdict's own rule, so kup_report_exit_code(fail_on deprecated)
 * equals kup_plan_exit_code().  The object is the cluster; a risk's detail
 * is "at 1.25: <evidence>", its remedy the mitigation, its source URL the
 * rule's source.  *items (nblockers + nrisks entries, *n) is allocated with
 * its strings in `strings`, which the caller releases; the other strings are
 * borrowed from the plan.  KUP_NOMEM when memory ran out.
 */
struct kup_report_item;
enum kup_status kup_plan_report_items(const struct kup_plan *plan, struct kup_arena *strings,
				      struct kup_report_item **items, size_t *n);

#endif
