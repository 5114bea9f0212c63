/*
 * plan_int.h - internals shared by the planner (plan.c) and its renderers
 * (plan_render.c: text and JSON; plan_runbook.c: Markdown and HTML).
 */
#ifndef KUP_PLAN_INT_H
#define KUP_PLAN_INT_H

#include "kupgrade/emit.h"
#include "kupgrade/plan.h"
#include "kupgrade/report.h"

/*
 * Extra facts the runbook needs beyond the public plan: the plan's `priv`,
 * allocated with it and freed by kup_plan_free() (an opaque type to every
 * other module).
 */
struct kup_plan_pool_note {
	const char *name;
	unsigned count;                 /* nodes; 0 when unknown */
	size_t nzones;
};

struct kup_plan_full {
	const char *provider;           /* "eks" ... */
	bool managed;                   /* the provider runs the control plane and etcd (service.managed) */
	unsigned hops;                  /* control-plane steps */
	struct kup_plan_pool_note *pools;
	size_t npools;
	const char *node_image_cmd;     /* the provider's node-image-only upgrade (AKS), or NULL */
	const char *plan_cmd;           /* the provider's own pre-check (kubeadm upgrade plan), or NULL */
	/* the provider's default node pool upgrade (data/<provider>.yaml node_upgrade), or NULL */
	const struct kup_pool_upgrade *pool_upgrade;
	bool has_charts;
	bool has_manifests;
	/* charts that could move further once at the target ("held back") */
	const char **held;
	size_t nheld;
	/* per step (parallel to pub.steps): the position k of the control plane
	 * (0 = before the first hop) and the phase (enum kup_plan_phase) */
	int *step_hop;
	unsigned char *step_phase;
};

/* Where a step goes in the order of one control-plane position k. */
enum kup_plan_phase {
	KUP_PH_PRE_POOL = 0,    /* k = 0 only: pools already out of skew */
	KUP_PH_CP,              /* the control-plane step reaching c_k */
	KUP_PH_MANAGED,         /* Phase I: add-ons that follow the control plane */
	KUP_PH_POOL,            /* Phase II: node pools at c_k */
	KUP_PH_ADDON,           /* add-ons prepared for the next hop */
	KUP_PH_CHART,           /* charts that must move */
	KUP_PH_MANIFESTS,       /* API migrations before the next hop */
};

static inline const struct kup_plan_full *kup_plan_full_c(const struct kup_plan *p)
{
	return p->priv;
}

/* Renderers (the buffer's oom flag says whether they succeeded). */
void kup_plan_render_text(const struct kup_plan *plan, struct kup_buf *out);
void kup_plan_render_json(const struct kup_plan *plan, struct kup_buf *out, enum kup_emit_mode mode);
void kup_plan_render_markdown(const struct kup_plan *plan, struct kup_buf *out);
void kup_plan_render_html(const struct kup_plan *plan, struct kup_buf *out);
/*
 * The blockers and risks as the report model draws them
 * (kup_plan_report_items, kup_report_render_items; fmt table, markdown or
 * html): a blocker reads the same in every format.  Nothing when there are
 * none; out->oom when memory ran out.
 */
void kup_plan_render_findings(const struct kup_plan *plan, enum kup_format fmt,
			      struct kup_buf *out);

/* opts->tuned copied into the plan's arena and attached to the nodepool steps of their pool. */
void kup_plan_attach_tuned(struct kup_plan *plan, const struct kup_plan_opts *opts);

/* One line on a tuned pool-roll setting (no newline; the commands not included). */
void kup_plan_tuned_text(struct kup_buf *out, const struct kup_plan_tuned *t);

/* The top risk for summaries: the first high, else medium, else low; NULL when none. */
const struct kup_plan_risk *kup_plan_top_risk(const struct kup_plan *plan);

/*
 * The pre-flight findings of a plan's dumps as risks and blockers, by the
 * rules of data/preflight.yaml (kup_kb_preflight_rule): a blocking finding
 * of a check that blocks is a blocker, every other finding of a listed
 * check a risk; checks without a rule are left out.  Ids are
 * "preflight/CHECK/NAMESPACE/NAME" (then /2, /3 ... when repeated).  The
 * arrays are malloc'd (the caller frees them), their strings live in `a`.
 * KUP_NOMEM when memory ran out.
 */
struct kup_preflight;
enum kup_status kup_plan_preflight_map(const struct kup_kb *kb, const struct kup_preflight *pf,
				       struct kup_arena *a, struct kup_plan_risk **risks,
				       size_t *nrisks, struct kup_plan_blocker **blockers,
				       size_t *nblockers);

#endif
