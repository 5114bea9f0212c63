/*
 * plan.c - the upgrade path search, the blockers and the risks.
 *
 * The search space is the product of the control-plane minor, each node
 * pool's kubelet minor and each add-on's release.  It is never enumerated:
 *
 *  1. The control plane moves only up, by at most kup_kb_cp_max_hop()
 *     minors per step, and every control-plane step is needed to reach the
 *     target, so on every path the control plane walks the same sequence
 *     c_0 < c_1 < ... < c_n = target, each c_k the biggest allowed move.
 *     (Moving less than allowed only adds control-plane steps, and gives no
 *     other component more room: every constraint is "component versus the
 *     control plane at this moment".)
 *
 *  2. Given that sequence, every constraint involves one component and the
 *     control plane only (kubelet skew: c_k - pool <= older(c_k) and
 *     pool <= c_k; an add-on release must support every c_k it lives
 *     through, and a move must land on a release supporting the current
 *     c_k).  Components do not constrain each other, so the cost
 *     (node-pool rolls, then steps) is a sum of independent per-component
 *     costs, and minimising each component alone minimises the sum.  The
 *     positions k are the states of one component's schedule.
 *
 *  3. A node pool: roll only when the next control-plane step would put it
 *     out of skew, and then to the current control-plane minor (the
 *     highest it may run).  Exchange argument: any schedule's i-th roll is
 *     never later and never higher than greedy's i-th roll, so greedy
 *     needs no more rolls; the final roll to the target (unless
 *     --keep-nodes) is needed by every schedule that has not landed there.
 *
 *  4. An add-on with a hop rule: a dynamic programme over (k, release)
 *     (at most a few hundred states): f(k, r) = fewest moves to finish
 *     from release r at position k.  Ties prefer moving as late as
 *     possible (only when needed), then the highest release.
 *
 *  5. Add-ons that follow the control plane (kube-proxy, CoreDNS,
 *     cluster-autoscaler) move in Phase I of the hop that needs them.
 *
 *  6. The provider's rules (kbrules.h) only narrow these per-component
 *     constraints: a smaller kubelet skew per minor (kubeadm, GKE, AKS: the
 *     greedy roll is optimal for any skew function), a closed set of add-on
 *     versions per cluster minor (EKS add-ons follow it after each hop), a
 *     pool whose OS or runtime ends at a minor is replaced by the roll that
 *     would take it past (no extra roll), the control-plane nodes of kubeadm
 *     at every hop, and etcd's line with its prerequisite.
 *
 * The whole planner is O(hops * (pools + add-ons * releases^2)).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kupgrade/chart.h"
#include "kupgrade/ingest.h"
#include "kupgrade/kbplan.h"
#include "kupgrade/kbrules.h"
#include "kupgrade/preflight.h"
#include "kupgrade/report.h"
#include "kupgrade/scan.h"
#include "plan/plan_int.h"

#define PLAN_INF 0x3fffffff
#define PLAN_MAX_LOCATIONS 3

#define PH_PRE_POOL KUP_PH_PRE_POOL
#define PH_CP KUP_PH_CP
#define PH_MANAGED KUP_PH_MANAGED
#define PH_POOL KUP_PH_POOL
#define PH_ADDON KUP_PH_ADDON
#define PH_CHART KUP_PH_CHART
#define PH_MANIFESTS KUP_PH_MANIFESTS

struct pstep {
	struct kup_plan_step s;
	int k;
	int phase;
	size_t seq;
	const struct kup_addon_inst *ai;          /* add-on moves: which add-on ... */
	const struct kup_addon_release *rel;      /* ... to which release */
	const char *family;                       /* nodepool: replaced by this OS/runtime */
	const char *pool;                         /* nodepool: the pool's name */
	const char *os;                           /* nodepool: the pool's OS image after the step */
	const struct kup_managed_addon *managed;  /* a provider-published add-on version */
};

/* Removed APIs in use, one row per apiVersion + kind. */
struct mgroup {
	const char *api_version;
	const char *kind;
	const char *rule_id;
	const char *replacement;
	const char *component;              /* an add-on's CRD version: its add-on; NULL: built-in */
	const struct kup_api_rule *rule;
	struct kup_version removed_in;      /* on the add-on's own axis for an add-on's CRD */
	size_t count;
	bool from_dump;
	bool plain;         /* a finding not from a rendered chart */
	int chart_hop;      /* first hop whose chart rendering uses it, 0: none */
	char *locations[PLAN_MAX_LOCATIONS];
	size_t nloc;
};

struct planner {
	const struct kup_kb *kb;
	const struct kup_profile *p;
	const struct kup_plan_opts *o;
	struct kup_plan_full *full;
	struct kup_plan *plan;
	struct kup_arena *a;
	int n;                            /* hops */
	struct kup_version *c;            /* c[0..n] */
	char (*cs)[24];                   /* "1.27" for each c[k] */
	struct pstep *steps;
	size_t nsteps, steps_cap;
	size_t blockers_cap, risks_cap, warnings_cap, held_cap;
	struct mgroup *groups;
	size_t ngroups, groups_cap;
	char **chart_seen;                /* chart findings counted: "path:line:column api kind" */
	size_t nchart_seen, chart_seen_cap;
	struct kup_evidence *ev;
	bool oom;
	bool risks_done;                  /* second pass over the add-ons: retired ones */
	struct kup_buf scratch;           /* afmt's formatting buffer */
	/* scratch for the add-on programme */
	int *f;
	size_t f_cap;
	/* provider rules (data/<provider>.yaml) and those of every provider */
	const struct kup_provider_rules *rules, *all;
	const char *today;                /* YYYY-MM-DD */
	char today_buf[16];
	const char *assume;               /* an add-on placed on the nearest lower release */
	/* the dumps' pre-flight findings, added with opts' extras (malloc'd arrays) */
	struct kup_plan_risk *pf_risks;
	size_t npf_risks;
	struct kup_plan_blocker *pf_blockers;
	size_t npf_blockers;
};

/* ---- names ----------------------------------------------------------------- */

const char *kup_verdict_name(enum kup_verdict v)
{
	switch (v) {
	case KUP_VERDICT_READY: return "READY";
	case KUP_VERDICT_READY_WITH_WARNINGS: return "READY_WITH_WARNINGS";
	case KUP_VERDICT_BLOCKED: return "BLOCKED";
	}
	return "UNKNOWN";
}

const char *kup_step_type_name(enum kup_step_type t)
{
	switch (t) {
	case KUP_STEP_ADDON: return "addon";
	case KUP_STEP_CONTROL_PLANE: return "control-plane";
	case KUP_STEP_NODEPOOL: return "nodepool";
	case KUP_STEP_CHART: return "chart";
	case KUP_STEP_MANIFESTS: return "manifests";
	}
	return "unknown";
}

/* ---- building the plan ------------------------------------------------------ */

static const char *astr(struct planner *pl, const char *s)
{
	char *r;

	if (!s)
		return NULL;
	r = kup_arena_strdup(pl->a, s);
	if (!r)
		pl->oom = true;
	return r;
}

static const char *afmt(struct planner *pl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *afmt(struct planner *pl, const char *fmt, ...)
{
	struct kup_buf *b = &pl->scratch;
	char *r;
	va_list ap;

	kup_buf_reset(b);
	va_start(ap, fmt);
	kup_buf_vaddf(b, fmt, ap);
	va_end(ap);
	if (b->oom || !b->buf) {
		pl->oom = true;
		return NULL;
	}
	r = kup_arena_strndup(pl->a, b->buf, b->len);
	if (!r)
		pl->oom = true;
	return r;
}

static struct pstep *add_step(struct planner *pl, int k, int phase, enum kup_step_type type,
			       const char *component, const char *from, const char *to,
			       const char *reason)
{
	struct pstep *ps;

	if (!kup_grow(&pl->steps, &pl->steps_cap, pl->nsteps + 1, sizeof(*pl->steps), 32)) {
		pl->oom = true;
		return NULL;
	}
	ps = &pl->steps[pl->nsteps];
	memset(ps, 0, sizeof(*ps));
	ps->k = k;
	ps->phase = phase;
	ps->seq = pl->nsteps++;
	ps->s.type = type;
	ps->s.component = component;
	ps->s.from = from;
	ps->s.to = to;
	ps->s.reason = reason;
	ps->s.cp_at = pl->c[phase == PH_CP && k > 0 ? k - 1 : k];
	return ps;
}

static void add_blocker(struct planner *pl, const char *id, const char *message)
{
	struct kup_plan *plan = pl->plan;
	size_t i;

	if (!id || !message) {
		pl->oom = true;
		return;
	}
	for (i = 0; i < plan->nblockers; i++)
		if (!strcmp(plan->blockers[i].id, id))
			return;
	if (!kup_grow(&plan->blockers, &pl->blockers_cap, plan->nblockers + 1,
		      sizeof(*plan->blockers), 4)) {
		pl->oom = true;
		return;
	}
	plan->blockers[plan->nblockers].id = id;
	plan->blockers[plan->nblockers].message = message;
	plan->nblockers++;
}

static void add_warning(struct planner *pl, const char *msg)
{
	struct kup_plan *plan = pl->plan;
	size_t i;

	if (!msg) {
		pl->oom = true;
		return;
	}
	for (i = 0; i < plan->nwarnings; i++)
		if (!strcmp(plan->warnings[i], msg))
			return;
	if (!kup_grow(&plan->warnings, &pl->warnings_cap, plan->nwarnings + 1,
		      sizeof(*plan->warnings), 4)) {
		pl->oom = true;
		return;
	}
	plan->warnings[plan->nwarnings++] = msg;
}

static void add_risk(struct planner *pl, const struct kup_plan_risk *r)
{
	struct kup_plan *plan = pl->plan;
	size_t i;

	for (i = 0; i < plan->nrisks; i++)
		if (!strcmp(plan->risks[i].id, r->id))
			return;
	if (!kup_grow(&plan->risks, &pl->risks_cap, plan->nrisks + 1, sizeof(*plan->risks), 8)) {
		pl->oom = true;
		return;
	}
	plan->risks[plan->nrisks++] = *r;
}

/* ---- node pools -------------------------------------------------------------- */

/* The skew a kubelet may have behind an apiserver at v; -1: no rule. */
static int kubelet_older(struct planner *pl, const struct kup_version *v)
{
	return kup_kb_skew_older(pl->kb, "kubelet", v);
}

/* Risks and blockers found elsewhere, copied into the plan's arena. */
static void add_extras(struct planner *pl, const struct kup_plan_risk *risks, size_t nrisks,
		       const struct kup_plan_blocker *blockers, size_t nblockers)
{
	size_t i;

	for (i = 0; blockers && i < nblockers; i++)
		add_blocker(pl, astr(pl, blockers[i].id), astr(pl, blockers[i].message));
	for (i = 0; risks && i < nrisks; i++) {
		const struct kup_plan_risk *e = &risks[i];
		struct kup_plan_risk r;

		if (!e->id || !e->message) {
			pl->oom = true;
			return;
		}
		r.id = astr(pl, e->id);
		r.severity = e->severity;
		r.at = astr(pl, e->at ? e->at : pl->cs[0]);
		r.message = astr(pl, e->message);
		r.evidence = e->evidence ? astr(pl, e->evidence) : NULL;
		r.mitigation = e->mitigation ? astr(pl, e->mitigation) : NULL;
		r.source = e->source ? astr(pl, e->source) : NULL;
		if (!r.id || !r.at || !r.message)
			pl->oom = true;
		else
			add_risk(pl, &r);
	}
}

/* opts->extra_risks and extra_blockers, then the dumps' pre-flight findings. */
static void plan_extra(struct planner *pl)
{
	add_extras(pl, pl->o->extra_risks, pl->o->nextra_risks, pl->o->extra_blockers,
		   pl->o->nextra_blockers);
	add_extras(pl, pl->pf_risks, pl->npf_risks, pl->pf_blockers, pl->npf_blockers);
}

static int minor_gap(const struct kup_version *hi, const struct kup_version *lo)
{
	if (hi->major != lo->major)
		return hi->major > lo->major ? 1000 : -1000;
	return hi->minor - lo->minor;
}

/* The provider as people write it ("EKS"): data/<provider>.yaml `service.name`. */
static const char *prov_display(const struct planner *pl)
{
	return kup_kb_provider_display(pl->kb, kup_provider_name(pl->p->provider));
}

/*
 * The kubelet skew the upgrade to a control plane at v accepts: the upstream
 * policy, narrowed by the provider's own rule (kubeadm refuses `upgrade apply
 * v1.28` with kubelets more than one minor behind).  *who says which applies.
 */
static int node_older(struct planner *pl, const struct kup_version *v, const char **who)
{
	int up = kubelet_older(pl, v), prov = kup_rules_node_skew(pl->rules, v);

	*who = "the skew policy";
	if (prov >= 0 && (up < 0 || prov < up)) {
		*who = afmt(pl, "%s %d.%d", prov_display(pl), v->major, v->minor);
		return prov;
	}
	return up;
}

/* What a pool runs that cannot carry a kubelet at v: the OS family or the runtime rule. */
struct pool_os {
	const char *os;                   /* OS image, or the family it was replaced with */
	const char *runtime;
};

static bool pool_blocked_at(struct planner *pl, const struct pool_os *po,
			    const struct kup_version *v, const char **what, const char **with,
			    const char **last, const char **source)
{
	const struct kup_node_image_rule *img = kup_rules_node_image(pl->rules, po->os);
	const struct kup_runtime_rule *rt = kup_rules_runtime(pl->all, po->runtime);
	char b[24];

	if (img && img->k8s_max.valid && kup_version_cmp_minor(v, &img->k8s_max) > 0) {
		*what = afmt(pl, "%s (%s)", po->os, img->family);
		*with = img->replace_with;
		*last = astr(pl, kup_version_minor_str(&img->k8s_max, b, sizeof(b)));
		*source = img->source;
		return true;
	}
	if (rt && kup_version_cmp_minor(v, &rt->k8s_max) > 0) {
		*what = afmt(pl, "the %s runtime", rt->runtime);
		/* new nodes of the same OS family run the replacement runtime (EKS AMIs
		 * from 1.24 ship containerd only); without a family, the runtime itself */
		*with = img ? img->family : rt->replace_with;
		*last = astr(pl, kup_version_minor_str(&rt->k8s_max, b, sizeof(b)));
		*source = rt->source;
		return true;
	}
	return false;
}

/*
 * A roll of pool np from `from` to c[to_k] at position k, phase ph: a plain
 * roll, or a replacement when the pool's OS or runtime cannot run that minor
 * (a blocker when nothing can replace it).
 */
static void roll_pool(struct planner *pl, const struct kup_nodepool *np, struct pool_os *po,
		      int k, int ph, const char *from, int to_k, const char *reason)
{
	const char *comp = afmt(pl, "nodepool/%s", np->name);
	const char *what = NULL, *with = NULL, *last = NULL, *src = NULL;
	struct pstep *ps;

	if (pool_blocked_at(pl, po, &pl->c[to_k], &what, &with, &last, &src)) {
		if (!with) {
			add_blocker(pl, afmt(pl, "nodepool-os/%s", np->name),
				    afmt(pl, "node pool %s runs %s, which runs Kubernetes %s at most, and "
					 "nothing replaces it (%s)", np->name, what, last, src));
			return;
		}
		reason = afmt(pl, "%s. Node pool %s runs %s, which runs Kubernetes %s at most "
			      "(%s): replace it with %s nodes%s at %s", reason, np->name, what, last,
			      src, with,
			      kup_rules_runtime(pl->all, po->runtime) &&
			      kup_version_cmp_minor(&pl->c[to_k],
						    &kup_rules_runtime(pl->all, po->runtime)->k8s_max) > 0 &&
			      strcmp(with, kup_rules_runtime(pl->all, po->runtime)->replace_with)
			      ? afmt(pl, " on %s", kup_rules_runtime(pl->all, po->runtime)->replace_with)
			      : "", pl->cs[to_k]);
		ps = add_step(pl, k, ph, KUP_STEP_NODEPOOL, comp, from, pl->cs[to_k], reason);
		if (ps)
			ps->family = with;
		/* the new nodes: the OS image of the family they run (unchanged when
		 * only the runtime was replaced), the replacement runtime */
		for (size_t i = 0; pl->rules && i < pl->rules->nnode_images; i++)
			if (!strcmp(pl->rules->node_images[i].family, with))
				po->os = pl->rules->node_images[i].os;
		if (kup_rules_runtime(pl->all, po->runtime) &&
		    kup_version_cmp_minor(&pl->c[to_k],
					  &kup_rules_runtime(pl->all, po->runtime)->k8s_max) > 0)
			po->runtime = kup_rules_runtime(pl->all, po->runtime)->replace_with;
	} else {
		ps = add_step(pl, k, ph, KUP_STEP_NODEPOOL, comp, from, pl->cs[to_k], reason);
	}
	if (ps) {
		ps->pool = np->name;
		ps->os = po->os;
	}
}

static void plan_pool(struct planner *pl, const struct kup_nodepool *np)
{
	struct kup_version cur = np->version;
	const char *cur_text = astr(pl, np->version_text);
	struct pool_os po = { np->os, np->runtime };
	const char *who;
	char vb[24];
	int older, gap, k;
	/* kubeadm: the control-plane nodes' kubelets move with every hop */
	bool every_hop = pl->rules && pl->rules->control_plane_nodes && np->name &&
			 !strcmp(np->name, "control-plane");

	if (!cur.valid)
		return;
	/* kube-proxy runs on the pool's nodes and is rolled with it */
	if (np->kube_proxy.valid && kup_version_cmp_minor(&np->kube_proxy, &cur) < 0) {
		cur = np->kube_proxy;
		cur_text = astr(pl, np->kube_proxy_text);
	}
	if (kup_version_cmp_minor(&np->version, &pl->c[0]) > 0) {
		add_blocker(pl, afmt(pl, "skew/nodepool/%s", np->name),
			    afmt(pl, "node pool %s runs kubelet %s, newer than the control plane %s: "
				 "the kubelet must never be newer than the apiserver",
				 np->name, kup_version_minor_str(&np->version, vb, sizeof(vb)),
				 pl->cs[0]));
		return;
	}
	older = kubelet_older(pl, &pl->c[0]);
	gap = minor_gap(&pl->c[0], &cur);
	if (older >= 0 && gap > older) {
		add_blocker(pl, afmt(pl, "skew/nodepool/%s", np->name),
			    afmt(pl, "node pool %s is at %s, more than %d minor%s behind the control "
				 "plane %s: roll it before the first hop",
				 np->name, kup_version_minor_str(&cur, vb, sizeof(vb)), older,
				 older == 1 ? "" : "s", pl->cs[0]));
		roll_pool(pl, np, &po, 0, PH_PRE_POOL, cur_text, 0,
			  afmt(pl, "kubelet %s is out of the skew policy under the control plane %s "
			       "(at most %d minor%s older): roll before anything else",
			       kup_version_minor_str(&cur, vb, sizeof(vb)), pl->cs[0], older,
			       older == 1 ? "" : "s"));
		cur = pl->c[0];
		cur_text = pl->cs[0];
	}
	for (k = 1; k <= pl->n; k++) {
		older = node_older(pl, &pl->c[k], &who);
		gap = minor_gap(&pl->c[k], &cur);
		if (older >= 0 && gap > older) {
			roll_pool(pl, np, &po, k - 1, PH_POOL, cur_text, k - 1,
				  afmt(pl, "kubelet %s would be %d minor%s behind the control plane "
				       "%s (%s allows %d): roll before that hop",
				       kup_version_minor_str(&cur, vb, sizeof(vb)), gap,
				       gap == 1 ? "" : "s", pl->cs[k], who, older));
			cur = pl->c[k - 1];
			cur_text = pl->cs[k - 1];
		}
		if (every_hop && kup_version_cmp_minor(&cur, &pl->c[k]) < 0) {
			roll_pool(pl, np, &po, k, PH_MANAGED, cur_text, k,
				  afmt(pl, "the control-plane nodes follow every hop: %s upgrade node "
				       "on the other control-plane nodes, then their kubelets to %s",
				       kup_provider_name(pl->p->provider), pl->cs[k]));
			cur = pl->c[k];
			cur_text = pl->cs[k];
		}
	}
	if (!pl->o->keep_nodes && kup_version_cmp_minor(&cur, &pl->c[pl->n]) < 0)
		roll_pool(pl, np, &po, pl->n, PH_POOL, cur_text, pl->n,
			  afmt(pl, "node pools end at the target %s", pl->cs[pl->n]));
}

/* kubeadm without a control-plane pool in the profile: their step at every hop all the same. */
static void plan_cp_nodes(struct planner *pl)
{
	size_t i;
	int k;

	if (!pl->rules || !pl->rules->control_plane_nodes)
		return;
	for (i = 0; i < pl->p->npools; i++)
		if (pl->p->pools[i].name && !strcmp(pl->p->pools[i].name, "control-plane"))
			return;
	for (k = 1; k <= pl->n; k++) {
		struct pstep *ps = add_step(pl, k, PH_MANAGED, KUP_STEP_NODEPOOL,
					    "nodepool/control-plane", pl->cs[k - 1], pl->cs[k],
					    afmt(pl, "the control-plane nodes follow every hop: kubeadm "
						 "upgrade node on the other control-plane nodes, then "
						 "their kubelets to %s (%s)", pl->cs[k],
						 pl->rules->control_plane_nodes_source));
		if (ps)
			ps->pool = "control-plane";
	}
}

/*
 * etcd as the provider deploys it with the control plane (kubeadm): the move
 * to a new etcd line at the hop that brings it, and that line's prerequisite
 * (every member at `requires` or later) before the hop.  The profile may
 * name the running etcd as an add-on `etcd`.
 */
static void plan_etcd(struct planner *pl)
{
	const struct kup_addon_inst *ai = NULL;
	struct kup_version cur;
	const char *cur_text = NULL;
	size_t i;
	int k;

	if (!pl->rules || !pl->rules->netcd)
		return;
	for (i = 0; i < pl->p->naddons; i++)
		if (pl->p->addons[i].name && !strcasecmp(pl->p->addons[i].name, "etcd"))
			ai = &pl->p->addons[i];
	memset(&cur, 0, sizeof(cur));
	if (ai && ai->version.valid) {
		cur = ai->version;
		cur_text = astr(pl, ai->version_text);
	} else {
		const struct kup_etcd_rule *e0 = kup_rules_etcd(pl->rules, &pl->c[0]);

		if (e0) {
			cur = e0->version;
			cur_text = e0->version_text;
		}
	}
	for (k = 1; k <= pl->n; k++) {
		const struct kup_etcd_rule *e = kup_rules_etcd(pl->rules, &pl->c[k]);

		if (!e || (cur.valid && kup_version_cmp_minor(&cur, &e->version) >= 0))
			continue;
		if (e->requires.valid && ai && ai->version.valid &&
		    kup_version_cmp(&cur, &e->requires) < 0) {
			add_step(pl, k - 1, PH_ADDON, KUP_STEP_ADDON, "etcd", cur_text,
				      e->requires_text,
				      afmt(pl, "etcd %s (what kubeadm %s deploys) needs every member at "
					   "%s or later first (%s)", e->version_text, pl->cs[k],
					   e->requires_text, e->source));
			cur_text = e->requires_text;
		} else if (e->requires.valid && !(ai && ai->version.valid)) {
			struct kup_plan_risk r;

			memset(&r, 0, sizeof(r));
			r.id = afmt(pl, "etcd-prerequisite/%s", e->version_text);
			r.severity = KUP_SEV_HIGH;
			r.at = pl->cs[k];
			r.message = afmt(pl, "kubeadm %s moves etcd to %s, which needs every member at "
					 "%s or later first; the profile does not say which etcd runs",
					 pl->cs[k], e->version_text, e->requires_text);
			r.evidence = afmt(pl, "no add-on etcd in the profile of %s", pl->plan->cluster);
			r.mitigation = afmt(pl, "check `etcdctl version` on every member and move them to "
					    "the latest %s patch (at least %s) before the hop to %s",
					    cur_text ? cur_text : "current", e->requires_text,
					    pl->cs[k]);
			r.source = e->source;
			if (r.id && r.message && r.evidence && r.mitigation)
				add_risk(pl, &r);
			else
				pl->oom = true;
		}
		add_step(pl, k, PH_MANAGED, KUP_STEP_ADDON, "etcd",
			 cur_text ? cur_text : "unknown", e->version_text,
			 afmt(pl, "kubeadm %s upgrades the local etcd to %s with the control plane "
			      "(an external etcd is yours to move) (%s)", pl->cs[k], e->version_text,
			      e->source));
		cur = e->version;
		cur_text = e->version_text;
	}
}

/* ---- add-ons ------------------------------------------------------------------- */

static const char *pin_for(struct planner *pl, const struct kup_addon_inst *ai);
static int cmp_pstep(const void *x, const void *y);

/* Minors between two releases: the minor difference on one major, else the release count. */
static int release_dist(const struct kup_addon_rule *a, size_t from, size_t to)
{
	const struct kup_version *x = &a->releases[from].version;
	const struct kup_version *y = &a->releases[to].version;

	if (x->major == y->major)
		return y->minor - x->minor;
	return (int)(to - from);
}

static bool supports(const struct kup_addon_release *r, const struct kup_version *k8s)
{
	return kup_addon_release_supports(r, k8s);
}

/* True when release r is too new for k8s: its lower bound is above it. */
static bool too_new(const struct kup_addon_release *r, const struct kup_version *k8s)
{
	return r->k8s_min.valid && kup_version_cmp_minor(k8s, &r->k8s_min) < 0;
}

/*
 * True when release r may run while the control plane is at k8s.  The
 * installed release (start) is also tolerated below its lower bound: the
 * cluster runs it today, and every hop brings the control plane closer to
 * its range (a warning says so); kupgrade never moves an add-on down.
 */
static bool fits(const struct kup_addon_rule *a, size_t r, size_t start,
		 const struct kup_version *k8s)
{
	return supports(&a->releases[r], k8s) || (r == start && too_new(&a->releases[r], k8s));
}

/* True when `mode` asks for canary upgrades (else in place). */
static bool is_canary(const struct kup_addon_inst *ai)
{
	return ai->upgrade_mode && !strcmp(ai->upgrade_mode, "canary");
}

static int hop_limit(const struct kup_addon_rule *a, const struct kup_addon_inst *ai)
{
	int h;

	if (a->hop != KUP_HOP_MINORS)
		return -1;
	h = is_canary(ai) ? a->max_hop_canary : a->max_hop;
	return h > 0 ? h : -1;
}

static bool can_move(const struct kup_addon_rule *a, int limit, size_t from, size_t to)
{
	if (to <= from)
		return false;
	return limit < 0 || release_dist(a, from, to) <= limit;
}

/* The index of the release covering the installed version, or -1. */
static long release_index(const struct kup_addon_rule *a, const struct kup_version *v)
{
	const struct kup_addon_release *r = kup_addon_release_for(a, v);

	if (!r)
		return -1;
	return (long)(r - a->releases);
}

/* " (at most 1 minor per upgrade, in place)", or "" when the hop rule has no limit. */
static const char *limit_text(struct planner *pl, const struct kup_addon_inst *ai, int limit)
{
	if (limit < 0)
		return "";
	return afmt(pl, " (at most %d minor%s per upgrade, %s)", limit, limit == 1 ? "" : "s",
		    is_canary(ai) ? "canary" : "in place");
}

/* Explains why an add-on cannot follow the control plane (forward reachability). */
static const char *addon_block_reason(struct planner *pl, const struct kup_addon_rule *a,
				      const struct kup_addon_inst *ai, size_t start, int limit)
{
	size_t R = a->nreleases, r, q;
	bool *reach = kup_calloc(R ? R : 1, sizeof(bool)), *next = kup_calloc(R ? R : 1, sizeof(bool));
	const char *msg = NULL;
	int k;

	if (!reach || !next) {
		pl->oom = true;
		goto out;
	}
	reach[start] = true;
	for (k = 0; k <= pl->n && !msg; k++) {
		bool any_k = false, any_both = false, any_adv = false;

		/* moves at position k land on releases supporting c_k */
		for (r = 0; r < R; r++) {
			if (!reach[r] || !(fits(a, r, start, &pl->c[k]) || (r == start && k == 0)))
				continue;
			for (q = r + 1; q < R; q++)
				if (can_move(a, limit, r, q) && supports(&a->releases[q], &pl->c[k]))
					reach[q] = true;
		}
		for (r = 0; r < R; r++) {
			if (fits(a, r, start, &pl->c[k]))
				any_k = true;
			if (k < pl->n && fits(a, r, start, &pl->c[k]) &&
			    fits(a, r, start, &pl->c[k + 1]))
				any_both = true;
		}
		if (!any_k) {
			msg = afmt(pl, "no %s release in the knowledge base supports Kubernetes %s",
				   a->name, pl->cs[k]);
			break;
		}
		if (k == pl->n) {
			for (r = 0; r < R; r++)
				if (reach[r] && fits(a, r, start, &pl->c[k]))
					any_adv = true;
			if (!any_adv)
				msg = afmt(pl, "%s %s cannot reach a release that supports Kubernetes %s%s",
					   a->name, ai->version_text, pl->cs[k],
					   limit_text(pl, ai, limit));
			break;
		}
		for (r = 0; r < R; r++)
			if (reach[r] && fits(a, r, start, &pl->c[k]))
				any_adv = true;
		if (!any_adv) {
			msg = afmt(pl, "%s %s cannot reach a release that supports Kubernetes %s%s%s",
				   a->name, ai->version_text, pl->cs[k], limit_text(pl, ai, limit),
				   k == 0 ? ", where the control plane is today" : "");
			break;
		}
		any_adv = false;
		if (!any_both) {
			msg = afmt(pl, "no %s release in the knowledge base supports both %s and %s",
				   a->name, pl->cs[k], pl->cs[k + 1]);
			break;
		}
		memset(next, 0, R * sizeof(bool));
		for (r = 0; r < R; r++)
			if (reach[r] && fits(a, r, start, &pl->c[k]) &&
			    fits(a, r, start, &pl->c[k + 1])) {
				next[r] = true;
				any_adv = true;
			}
		if (!any_adv) {
			msg = afmt(pl, "%s %s cannot reach a release that supports both %s and %s%s",
				   a->name, ai->version_text, pl->cs[k], pl->cs[k + 1],
				   limit_text(pl, ai, limit));
			break;
		}
		memcpy(reach, next, R * sizeof(bool));
	}
	if (!msg)
		msg = afmt(pl, "%s %s cannot follow the control plane from %s to %s", a->name,
			   ai->version_text, pl->cs[0], pl->cs[pl->n]);
out:
	free(reach);
	free(next);
	return msg;
}

static const char *range_text(struct planner *pl, const struct kup_addon_release *r)
{
	char lo[24], hi[24];

	if (r->k8s_min.valid && r->k8s_max.valid &&
	    kup_version_cmp_minor(&r->k8s_min, &r->k8s_max) == 0)
		return afmt(pl, "%s only", kup_version_minor_str(&r->k8s_min, lo, sizeof(lo)));
	if (r->k8s_min.valid && r->k8s_max.valid)
		return afmt(pl, "%s-%s", kup_version_minor_str(&r->k8s_min, lo, sizeof(lo)),
			    kup_version_minor_str(&r->k8s_max, hi, sizeof(hi)));
	if (r->k8s_min.valid)
		return afmt(pl, "%s and later", kup_version_minor_str(&r->k8s_min, lo, sizeof(lo)));
	if (r->k8s_max.valid)
		return afmt(pl, "up to %s", kup_version_minor_str(&r->k8s_max, hi, sizeof(hi)));
	return "any version";
}

/*
 * Release `pick` of add-on a (and every release after a row that says so)
 * needs another add-on at a minimum version (requires_addon, e.g. Istio 1.16
 * needs the Gateway API CRDs at 0.5 or later).  When the profile has that
 * add-on below the minimum, a step moves it there first, at hop k.
 */
static void addon_requires(struct planner *pl, const struct kup_addon_rule *a, size_t pick,
			   int k)
{
	const struct kup_addon_release *req = NULL, *to = &a->releases[pick];
	const struct kup_addon_rule *ra;
	const struct kup_addon_inst *inst = NULL;
	struct kup_version cur;
	const char *cur_text;
	size_t i;
	struct pstep *ps;

	for (i = 0; i <= pick; i++)
		if (a->releases[i].requires_addon &&
		    (!req || kup_version_cmp(&a->releases[i].requires_min, &req->requires_min) > 0))
			req = &a->releases[i];
	if (!req || !(ra = kup_kb_find_addon(pl->kb, req->requires_addon)))
		return;
	for (i = 0; i < pl->p->naddons && !inst; i++)
		if (kup_kb_find_addon(pl->kb, pl->p->addons[i].name) == ra)
			inst = &pl->p->addons[i];
	if (!inst)
		return;   /* not in the profile: nothing known to move */
	cur = inst->version;
	cur_text = inst->version_text;
	for (i = 0; i < pl->nsteps; i++) {   /* already moved by an earlier step */
		struct kup_version v;

		if (pl->steps[i].ai == inst && pl->steps[i].s.to &&
		    kup_version_parse(pl->steps[i].s.to, &v, NULL) == KUP_OK) {
			cur = v;
			cur_text = pl->steps[i].s.to;
		}
	}
	if (cur.valid && kup_version_cmp(&cur, &req->requires_min) >= 0)
		return;
	ps = add_step(pl, k, PH_ADDON, KUP_STEP_ADDON, ra->name, cur_text ? cur_text : "unknown",
		      req->requires_min_text,
		      afmt(pl, "%s %s needs %s %s or later (%s%s): move it before %s", a->name,
			   to->version_text, ra->name, req->requires_min_text, req->requires_source,
			   cur.valid ? "" : "; the installed version is not known", a->name));
	if (ps)
		ps->ai = inst;
}

static void plan_addon_hops(struct planner *pl, const struct kup_addon_rule *a,
			    const struct kup_addon_inst *ai, size_t start)
{
	size_t R = a->nreleases, r, q, W = R;
	int limit = hop_limit(a, ai), k, n = pl->n;
	int *f;
	const char *cur_text = astr(pl, ai->version_text), *pin;
	bool *allowed = NULL;

	if ((size_t)(n + 1) * W > pl->f_cap) {
		int *nf = kup_xrealloc_array(pl->f, (size_t)(n + 1) * W, sizeof(int));
		if (!nf) {
			pl->oom = true;
			return;
		}
		pl->f = nf;
		pl->f_cap = (size_t)(n + 1) * W;
	}
	f = pl->f;
	/* --pin-app NAME=CONSTRAINT also bounds the releases the add-on may move to */
	pin = pin_for(pl, ai);
	if (pin) {
		allowed = kup_calloc(R, sizeof(*allowed));
		if (!allowed) {
			pl->oom = true;
			return;
		}
		for (q = 0; q < R; q++) {
			bool m = false;

			if (kup_semver_range_match(pin, a->releases[q].version_text, &m, NULL) == KUP_OK)
				allowed[q] = m;
		}
	}
#define ALLOWED(qq) (!allowed || allowed[qq])
#define F(kk, rr) f[(size_t)(kk) * W + (rr)]
	for (k = n; k >= 0; k--) {
		for (r = R - 1;; r--) {
			int best = PLAN_INF;
			bool ok_here = fits(a, r, start, &pl->c[k]);

			if (k == n) {
				if (ok_here)
					best = 0;
			} else if (ok_here && fits(a, r, start, &pl->c[k + 1])) {
				best = F(k + 1, r);
			}
			for (q = r + 1; q < R; q++) {
				if (!can_move(a, limit, r, q))
					break;  /* releases ascend: farther ones are farther still */
				if (F(k, q) + 1 < best && ALLOWED(q) &&
				    supports(&a->releases[q], &pl->c[k]))
					best = F(k, q) + 1;
			}
			F(k, r) = best;
			if (r == start)
				break;
		}
	}
	if (too_new(&a->releases[start], &pl->c[0]))
		add_warning(pl, afmt(pl, "%s %s is newer than what the knowledge base lists for "
				     "Kubernetes %s (it supports %s): unsupported until the control "
				     "plane reaches its range", a->name, ai->version_text, pl->cs[0],
				     range_text(pl, &a->releases[start])));
	if (F(0, start) >= PLAN_INF) {
		add_blocker(pl, afmt(pl, "addon/%s", a->name),
			    pin ? afmt(pl, "%s%s", addon_block_reason(pl, a, ai, start, limit),
				       afmt(pl, " (with --pin-app %s=%s)", ai->name, pin))
				: addon_block_reason(pl, a, ai, start, limit));
		free(allowed);
		return;
	}
	r = start;
	k = 0;
	while (k <= n) {
		int here = F(k, r);
		size_t pick = R;

		if (k == n && here == 0)
			break;
		if (k < n && fits(a, r, start, &pl->c[k]) && fits(a, r, start, &pl->c[k + 1]) &&
		    F(k + 1, r) == here) {
			k++;
			continue;
		}
		for (q = R; q-- > r + 1;)
			if (can_move(a, limit, r, q) && ALLOWED(q) &&
			    supports(&a->releases[q], &pl->c[k]) && F(k, q) + 1 == here) {
				pick = q;
				break;
			}
		if (pick == R)
			break;  /* cannot happen: F says a move exists */
		{
			const struct kup_addon_release *to = &a->releases[pick];
			const char *why;

			if (!fits(a, r, start, &pl->c[k]) || k == n)
				why = afmt(pl, "%s %s does not support Kubernetes %s; %s supports %s",
					   a->name, a->releases[r].version_text, pl->cs[k],
					   to->version_text, range_text(pl, to));
			else
				why = afmt(pl, "%s %s supports Kubernetes %s, not %s; %s supports %s",
					   a->name, a->releases[r].version_text,
					   range_text(pl, &a->releases[r]), pl->cs[k + 1],
					   to->version_text, range_text(pl, to));
			if (why && limit > 0)
				why = afmt(pl, "%s (%s upgrades: at most %d minor%s at a time)", why,
					   is_canary(ai) ? "canary" : "in-place", limit,
					   limit == 1 ? "" : "s");
			if (why && a->data_plane_follows)
				why = afmt(pl, "%s; then restart the workloads so the data plane "
					   "follows (never ahead of the control plane)", why);
			if (why && pl->assume) {
				why = afmt(pl, "%s. Assumed: %s", why, pl->assume);
				pl->assume = NULL;
			}
			addon_requires(pl, a, pick, k);
			add_step(pl, k, PH_ADDON, KUP_STEP_ADDON, a->name, cur_text,
				 to->version_text, why);
			if (!pl->oom) {
				pl->steps[pl->nsteps - 1].ai = ai;
				pl->steps[pl->nsteps - 1].rel = to;
			}
			cur_text = to->version_text;
		}
		r = pick;
	}
	free(allowed);
#undef ALLOWED
#undef F
}

/* The release an add-on that follows the control plane takes at minor v, or NULL. */
static const struct kup_addon_release *follow_release(const struct kup_addon_rule *a,
						       const struct kup_version *v)
{
	const struct kup_addon_release *best = NULL;
	size_t i;

	if (a->hop == KUP_HOP_MATCH_CP)
		return kup_addon_release_for(a, v);
	for (i = 0; i < a->nreleases; i++) {
		const struct kup_addon_release *r = &a->releases[i];

		if (!r->for_k8s.valid || kup_version_cmp_minor(&r->for_k8s, v) > 0)
			continue;
		if (!best || kup_version_cmp_minor(&r->for_k8s, &best->for_k8s) > 0 ||
		    (kup_version_cmp_minor(&r->for_k8s, &best->for_k8s) == 0 &&
		     kup_version_cmp(&r->version, &best->version) > 0))
			best = r;
	}
	return best;
}

static void plan_addon_follow(struct planner *pl, const struct kup_addon_rule *a,
			      const struct kup_addon_inst *ai)
{
	struct kup_version cur = ai->version;
	const char *cur_text = astr(pl, ai->version_text);
	int k;

	for (k = 1; k <= pl->n; k++) {
		const struct kup_addon_release *r = follow_release(a, &pl->c[k]);
		const char *to;
		struct kup_version tv;

		if (r) {
			to = r->version_text;
			tv = r->version;
		} else if (a->hop == KUP_HOP_MATCH_CP) {
			to = pl->cs[k];
			tv = pl->c[k];
		} else {
			continue;
		}
		if (cur.valid && kup_version_cmp(&cur, &tv) >= 0 &&
		    (a->hop != KUP_HOP_MATCH_CP || kup_version_cmp_minor(&cur, &tv) >= 0))
			continue;
		if (a->hop == KUP_HOP_MATCH_CP && cur.valid && kup_version_cmp_minor(&cur, &tv) == 0)
			continue;
		add_step(pl, k, PH_MANAGED, KUP_STEP_ADDON, a->name, cur_text, to,
			 a->hop == KUP_HOP_MATCH_CP
			 ? afmt(pl, "%s follows the control-plane minor: %s goes with Kubernetes %s",
				a->name, to, pl->cs[k])
			 : afmt(pl, "%s %s is the version for Kubernetes %s", a->name, to, pl->cs[k]));
		cur = tv;
		cur_text = to;
	}
}

/* The build number of a provider version's pre-release ("eksbuild.24": 24), or -1. */
static long build_number(const struct kup_version *v)
{
	const char *dot = strrchr(v->pre, '.');
	const char *p = dot ? dot + 1 : v->pre;
	char *end;
	long n;

	if (!*p)
		return -1;
	n = strtol(p, &end, 10);
	return *end ? -1 : n;
}

/* Versions with the provider's build number as the last tie-break. */
static int provider_cmp(const struct kup_version *a, const struct kup_version *b)
{
	int c = kup_version_cmp(a, b);
	long x, y;

	if (c)
		return c;
	x = build_number(a);
	y = build_number(b);
	return x < y ? -1 : x > y;
}

/*
 * An add-on the provider publishes per cluster version (the EKS add-ons):
 * after each hop, the version the provider publishes for that minor when the
 * installed one is older; never a version the provider does not publish.
 */
static void plan_addon_managed(struct planner *pl, const struct kup_addon_rule *a,
			       const struct kup_addon_inst *ai)
{
	struct kup_version cur = ai->version;
	const char *cur_text = astr(pl, ai->version_text);
	const char *prov = prov_display(pl);
	bool missing = false;
	int k;

	for (k = 1; k <= pl->n; k++) {
		const struct kup_managed_addon *m = kup_rules_managed_addon(pl->rules, a->name,
									     &pl->c[k]);
		struct pstep *ps;

		if (!m) {
			if (!missing)
				add_warning(pl, afmt(pl, "the knowledge base lists no %s %s add-on version "
						     "for Kubernetes %s: update %s to the version %s "
						     "publishes for %s after that hop", prov, a->name,
						     pl->cs[k], a->name, prov, pl->cs[k]));
			missing = true;
			continue;
		}
		if (cur.valid && provider_cmp(&cur, &m->version) >= 0)
			continue;
		ps = add_step(pl, k, PH_MANAGED, KUP_STEP_ADDON, a->name, cur_text, m->version_text,
			      afmt(pl, "%s publishes %s %s for Kubernetes %s (%s)%s",
				   prov_display(pl),
				   m->provider_name ? m->provider_name : a->name, m->version_text,
				   pl->cs[k], m->source,
				   /* the add-on's own hop rule still applies to the update */
				   a->hop == KUP_HOP_MINORS && a->max_hop > 0 && cur.valid &&
				   cur.major == m->version.major &&
				   m->version.minor - cur.minor > a->max_hop
				   ? afmt(pl, "; %s moves at most %d minor%s per update: go through "
					  "the latest build of each minor in between (aws eks "
					  "describe-addon-versions lists them)", a->name, a->max_hop,
					  a->max_hop == 1 ? "" : "s")
				   : ""));
		if (ps) {
			ps->managed = m;
			ps->s.provider_version = m->version_text;
		}
		cur = m->version;
		cur_text = m->version_text;
	}
}

/* True when some risk already says add-on `name` is retired (the KB's own risk). */
static bool retired_risk_present(struct planner *pl, const char *name)
{
	size_t i;

	for (i = 0; i < pl->plan->nrisks; i++)
		if (strstr(pl->plan->risks[i].id, name) && strstr(pl->plan->risks[i].id, "retired"))
			return true;
	return false;
}

/*
 * An add-on older than every release the knowledge base lists: nothing below it
 * lends it a range.  The cluster runs it on the control plane's minor today, so
 * that one minor is assumed and nothing more: it is planned as a release of its
 * own supporting only c[0], which makes the planner move it to a known release
 * covering the path before the first hop (BLOCKED when none is reachable under
 * the add-on's hop rule).  False when there is nothing to plan with.
 */
static bool plan_addon_older(struct planner *pl, const struct kup_addon_rule *a,
			     const struct kup_addon_inst *ai)
{
	struct kup_addon_rule tmp = *a;
	struct kup_addon_release *rs;

	if (!pl->n || !ai->version_text)
		return false;
	rs = kup_arena_zalloc(pl->a, (a->nreleases + 1) * sizeof(*rs));
	if (!rs) {
		pl->oom = true;
		return true;
	}
	rs[0].version_text = ai->version_text;
	rs[0].version = ai->version;
	rs[0].k8s_min = pl->c[0];
	rs[0].k8s_max = pl->c[0];
	memcpy(rs + 1, a->releases, a->nreleases * sizeof(*rs));
	tmp.releases = rs;
	tmp.nreleases = a->nreleases + 1;
	pl->assume = afmt(pl, "%s %s is older than every %s release in the knowledge base (the "
			  "oldest: %s, %s): assumed to run only on the Kubernetes %s it runs on "
			  "today, so it moves to a known release before the first hop", a->name,
			  ai->version_text, a->name, a->releases[0].version_text,
			  range_text(pl, &a->releases[0]), pl->cs[0]);
	add_warning(pl, pl->assume);
	plan_addon_hops(pl, &tmp, ai, 0);
	return true;
}

static void plan_addon(struct planner *pl, const struct kup_addon_inst *ai)
{
	const struct kup_addon_rule *a = kup_kb_find_addon(pl->kb, ai->name);
	long start;

	if (!a && ai->name && !strcasecmp(ai->name, "etcd") && pl->rules && pl->rules->netcd)
		return;   /* plan_etcd */
	if (!a) {
		if (!pl->risks_done)
			add_warning(pl, afmt(pl, "add-on %s is not in the knowledge base, not "
					     "checked", ai->name));
		return;
	}
	if (a->retired && pl->risks_done && !retired_risk_present(pl, a->name)) {
		struct kup_plan_risk r;

		memset(&r, 0, sizeof(r));
		r.id = afmt(pl, "addon-retired/%s", a->name);
		r.severity = KUP_SEV_MEDIUM;
		r.at = pl->cs[0];
		r.message = a->retired;
		r.evidence = afmt(pl, "add-on %s %s in the cluster profile", ai->name,
				  ai->version_text ? ai->version_text : "");
		r.mitigation = afmt(pl, "plan a migration off %s; it receives no further releases",
				    a->name);
		r.source = a->source;
		if (r.id && r.message && r.evidence && r.mitigation)
			add_risk(pl, &r);
		else
			pl->oom = true;
	}
	if (pl->risks_done)
		return;
	if (kup_rules_manages_addon(pl->rules, a->name)) {
		plan_addon_managed(pl, a, ai);
		return;
	}
	if (a->hop == KUP_HOP_MATCH_CP || a->hop == KUP_HOP_PER_CP) {
		plan_addon_follow(pl, a, ai);
		return;
	}
	if (!ai->version.valid || !a->nreleases) {
		add_warning(pl, afmt(pl, "add-on %s has no version the knowledge base can check",
				     ai->name));
		return;
	}
	start = release_index(a, &ai->version);
	pl->assume = NULL;
	if (start < 0) {
		long q;

		/* between known releases: the range of the nearest known release below it */
		for (q = (long)a->nreleases - 1; q >= 0; q--)
			if (kup_version_cmp(&a->releases[q].version, &ai->version) < 0)
				break;
		/* above the newest its range is unknown, unless the newest row's source
		 * states its range for every later release too (and_later) */
		if (q >= 0 && (q + 1 < (long)a->nreleases || a->releases[q].and_later)) {
			start = q;
			pl->assume = afmt(pl, "%s %s is not in the knowledge base: planned with the range "
					  "of %s, the nearest known release below it (%s%s)", a->name,
					  ai->version_text, a->releases[q].version_text,
					  range_text(pl, &a->releases[q]),
					  q + 1 < (long)a->nreleases ? ""
					  : ", which its source states for every later release");
			add_warning(pl, pl->assume);
		} else if (q < 0 && plan_addon_older(pl, a, ai)) {
			return;
		}
	}
	if (start < 0) {
		add_warning(pl, afmt(pl, "add-on %s %s is not among the %s releases in the knowledge "
				     "base, not checked", ai->name, ai->version_text, a->name));
		return;
	}
	plan_addon_hops(pl, a, ai, (size_t)start);
}

/* ---- manifests and dumps ----------------------------------------------------------- */

struct ingest_ctx {
	struct planner *pl;
	struct kup_scan *scan;
	struct kup_preflight *pf;      /* dumps: the pre-flight pass, else NULL */
	bool again;                    /* a chart pass of an earlier hop: inputs read before */
};

static enum kup_status on_object(void *ctx, const struct kup_object *obj)
{
	struct ingest_ctx *ic = ctx;
	enum kup_status st;

	if (ic->again)   /* only the charts, rendered for this hop, are new */
		return obj->src.type == KUP_SRC_CHART_TEMPLATE ? kup_scan_object(ic->scan, obj)
							       : KUP_OK;
	if (ic->pl->ev && obj->root) {
		st = kup_evidence_add_object(ic->pl->ev, obj);
		if (st == KUP_NOMEM)
			return st;
	}
	if (ic->pf && (st = kup_preflight_object(ic->pf, obj)) == KUP_NOMEM)
		return st;
	return kup_scan_object(ic->scan, obj);
}

/* The pre-flight findings of the dumps, kept for plan_extra() (plan_preflight.c). */
static void preflight_extras(struct planner *pl, struct kup_preflight *pf)
{
	if (kup_preflight_finish(pf) != KUP_OK ||
	    kup_plan_preflight_map(pl->kb, pf, pl->a, &pl->pf_risks, &pl->npf_risks,
				   &pl->pf_blockers, &pl->npf_blockers) != KUP_OK)
		pl->oom = true;
}

static void on_input_error(void *ctx, const struct kup_error *err)
{
	struct ingest_ctx *ic = ctx;

	if (ic->again)   /* reported by the pass at the target */
		return;
	ic->pl->plan->input_errors++;
	kup_error_emit(ic->pl->o->errors, err);
}

static struct mgroup *group_for(struct planner *pl, const struct kup_finding *f)
{
	size_t i;
	struct mgroup *g;

	for (i = 0; i < pl->ngroups; i++)
		if (!strcmp(pl->groups[i].api_version, f->api_version) &&
		    !strcmp(pl->groups[i].kind, f->kind))
			return &pl->groups[i];
	if (!kup_grow(&pl->groups, &pl->groups_cap, pl->ngroups + 1, sizeof(*pl->groups), 8))
		return NULL;
	g = &pl->groups[pl->ngroups++];
	memset(g, 0, sizeof(*g));
	g->api_version = astr(pl, f->api_version);
	g->kind = astr(pl, f->kind);
	g->rule_id = astr(pl, f->rule_id ? f->rule_id : f->api_version);
	g->replacement = astr(pl, f->replacement);
	g->rule = f->rule;
	if (f->rule && f->rule->level == KUP_LEVEL_ADDON && f->rule->component)
		g->component = astr(pl, f->rule->component);
	return g;
}

/*
 * A chart object is rendered once per hop: true when this one (its template
 * position, apiVersion and kind) was counted at an earlier hop.
 */
static bool chart_seen(struct planner *pl, const struct kup_finding *f)
{
	struct kup_buf b = KUP_BUF_INIT;
	size_t i;
	bool seen = false;

	kup_buf_addf(&b, "%s:%u:%u %s %s", f->src.path ? f->src.path : "-", (unsigned)f->src.line,
		     (unsigned)f->src.column, f->api_version, f->kind);
	if (b.oom || !b.buf) {
		pl->oom = true;
		goto out;
	}
	for (i = 0; i < pl->nchart_seen && !seen; i++)
		seen = !strcmp(pl->chart_seen[i], b.buf);
	if (!seen) {
		if (!kup_grow(&pl->chart_seen, &pl->chart_seen_cap, pl->nchart_seen + 1,
			      sizeof(*pl->chart_seen), 16))
			pl->oom = true;
		else
			pl->chart_seen[pl->nchart_seen++] = (char *)astr(pl, b.buf);
	}
out:
	kup_buf_release(&b);
	return seen;
}

/*
 * hop: the index of the version the inputs were scanned for (pl->c[hop]);
 * a chart's objects are rendered for it, so what a chart renders there
 * breaks at that hop.
 */
static void collect_findings(struct planner *pl, struct kup_scan *scan, bool dump, int hop)
{
	size_t i, n = kup_scan_count(scan);

	for (i = 0; i < n; i++) {
		const struct kup_finding *f = kup_scan_at(scan, i);
		struct mgroup *g;
		struct kup_version rv;
		bool chart = f->src.type == KUP_SRC_CHART_TEMPLATE;

		if (f->status != KUP_FIND_REMOVED && f->status != KUP_FIND_OPT_IN_REMOVED &&
		    f->status != KUP_FIND_ALPHA_REMOVED)
			continue;
		if (!f->rule || !f->rule->removed_in.valid || !f->kind || !f->api_version)
			continue;
		/* an add-on's CRD versions count too: the scan judged them at the add-on's newest
		 * known release, plan_addon_apis() places them on the add-on's own steps */
		if (f->rule->component && strcmp(f->rule->component, "kubernetes") &&
		    f->rule->level != KUP_LEVEL_ADDON)
			continue;
		rv = f->rule->removed_in;
		g = group_for(pl, f);
		if (!g) {
			pl->oom = true;
			return;
		}
		g->removed_in = rv;
		if (chart && (!g->chart_hop || hop < g->chart_hop))
			g->chart_hop = hop;
		if (chart && chart_seen(pl, f))
			continue;
		g->plain |= !chart;
		g->count++;
		g->from_dump |= dump;
		if (g->nloc < PLAN_MAX_LOCATIONS) {
			struct kup_buf b = KUP_BUF_INIT;

			kup_buf_addf(&b, "%s", f->src.path ? f->src.path : "-");
			if (f->src.line)
				kup_buf_addf(&b, ":%u", (unsigned)f->src.line);
			if (chart && f->src.chart)
				kup_buf_addf(&b, " (chart %s)", f->src.chart);
			else if (f->src.release)
				kup_buf_addf(&b, " (helm release %s)", f->src.release);
			else if (f->src.type == KUP_SRC_LAST_APPLIED)
				kup_buf_adds(&b, " (last-applied)");
			if (b.oom || !b.buf)
				pl->oom = true;
			else
				g->locations[g->nloc++] = (char *)astr(pl, b.buf);
			kup_buf_release(&b);
		}
	}
}

/*
 * Scans the inputs for pl->c[hop].  Charts among them are rendered for that
 * version (their .Capabilities answer it).  again: an earlier hop after the
 * pass at the target read everything; only the charts' findings count.
 */
static void scan_inputs(struct planner *pl, const char *const *paths,
			const char *const *names, size_t n, bool dump, int hop, bool again)
{
	struct kup_scan_opts so;
	struct kup_scan *scan = NULL;
	struct kup_ingest_opts io;
	struct kup_chart_opts co;
	struct kup_ingest *in = NULL;
	struct ingest_ctx ic = { pl, NULL, NULL, again };
	size_t i;

	if (!n)
		return;
	kup_scan_opts_init(&so);
	so.target = pl->c[hop];
	if (kup_scan_new(pl->kb, &so, &scan) != KUP_OK) {
		pl->oom = true;
		return;
	}
	ic.scan = scan;
	if (dump) {
		struct kup_preflight_opts po;

		kup_preflight_opts_init(&po);
		po.target = pl->o->target;
		po.allowed_registries = pl->o->allowed_registries;
		po.nallowed = pl->o->allowed_registries ? pl->o->nallowed : 0;
		if (kup_preflight_new(pl->kb, &po, &ic.pf) != KUP_OK) {
			pl->oom = true;
			goto out;
		}
	}
	kup_ingest_opts_init(&io);
	io.errors.fn = on_input_error;
	io.errors.ctx = &ic;
	if (pl->o->warnings && !again)
		io.warnings = *pl->o->warnings;
	if (!dump) {
		kup_chart_opts_init(&co);
		co.target = pl->c[hop];
		co.kb = pl->kb;
		co.values_files = pl->o->chart_values;
		co.nvalues_files = pl->o->nchart_values;
		co.set = pl->o->chart_set;
		co.nset = pl->o->nchart_set;
		io.chart = &co;
	}
	if (pl->o->max_document)
		io.limits.max_document = pl->o->max_document;
	io.on_object = on_object;
	io.ctx = &ic;
	if (kup_ingest_new(&io, &in) != KUP_OK) {
		pl->oom = true;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (kup_ingest_path_as(in, paths[i], names ? names[i] : NULL) == KUP_NOMEM)
			pl->oom = true;
	if (kup_ingest_finish(in) == KUP_NOMEM || kup_scan_finish(scan) == KUP_NOMEM)
		pl->oom = true;
	collect_findings(pl, scan, dump, hop);
	if (ic.pf)
		preflight_extras(pl, ic.pf);
out:
	kup_ingest_free(in);
	kup_scan_free(scan);
	kup_preflight_free(ic.pf);
}

/* "a.yaml:3, b.yaml:9, and 2 more": where a group's objects are; NULL when out of memory. */
static const char *group_where(struct planner *pl, const struct mgroup *g)
{
	struct kup_buf locs = KUP_BUF_INIT;
	const char *where;
	size_t j;

	for (j = 0; j < g->nloc; j++)
		kup_buf_addf(&locs, "%s%s", j ? ", " : "", g->locations[j]);
	if (g->count > g->nloc)
		kup_buf_addf(&locs, ", and %zu more", g->count - g->nloc);
	if (locs.oom) {
		pl->oom = true;
		kup_buf_release(&locs);
		return NULL;
	}
	where = astr(pl, locs.buf ? locs.buf : "");
	kup_buf_release(&locs);
	return where;
}

static void plan_manifests(struct planner *pl)
{
	size_t i;

	for (i = 0; i < pl->ngroups; i++) {
		struct mgroup *g = &pl->groups[i];
		char rb[24];
		int k = minor_gap(&g->removed_in, &pl->c[0]);
		bool chart_only = !g->plain && g->chart_hop > 0;
		const char *where, *reason;

		if (g->component)
			continue;       /* an add-on's CRD version: plan_addon_apis() */
		kup_version_minor_str(&g->removed_in, rb, sizeof(rb));
		where = group_where(pl, g);
		if (!where)
			return;
		if (k <= 0 && !chart_only) {
			/* not served now either: the upgrade changes nothing for them, but
			 * whatever applies them fails already */
			k = 1;
			reason = afmt(pl, "%zu object%s use%s %s %s, not served since %s (%s); "
				      "migrate them (`kupgrade fix` can rewrite them)",
				      g->count, g->count == 1 ? "" : "s", g->count == 1 ? "s" : "",
				      g->api_version, g->kind, rb, where);
			add_step(pl, 0, PH_MANIFESTS, KUP_STEP_MANIFESTS,
				 afmt(pl, "%s %s", g->kind, g->api_version), g->api_version,
				 g->replacement ? g->replacement : "(no replacement)", reason);
			add_warning(pl, afmt(pl, "%zu object%s use%s %s %s, which the control plane %s "
					     "no longer serves (removed in %s): applying them fails today",
					     g->count, g->count == 1 ? "" : "s",
					     g->count == 1 ? "s" : "", g->api_version, g->kind,
					     pl->cs[0], rb));
			continue;
		} else {
			int hop = k;
			/* the control-plane step that reaches removed_in */
			int kk;

			for (kk = 1; kk <= pl->n; kk++)
				if (kup_version_cmp_minor(&pl->c[kk], &g->removed_in) >= 0) {
					hop = kk;
					break;
				}
			/* only rendered charts use it: the first hop whose rendering does */
			if (chart_only && g->chart_hop > hop)
				hop = g->chart_hop;
			k = hop;
			if (chart_only)
				reason = afmt(pl, "%zu chart object%s rendered for %s use%s %s %s, "
					      "removed in %s (%s); change the chart%s before the control "
					      "plane reaches %s",
					      g->count, g->count == 1 ? "" : "s", pl->cs[hop],
					      g->count == 1 ? "s" : "", g->api_version, g->kind, rb, where,
					      g->count == 1 ? "" : "s", pl->cs[hop]);
			else
				reason = afmt(pl, "%zu object%s use%s %s %s, removed in %s (%s); migrate "
					      "before the control plane reaches %s (`kupgrade fix` can "
					      "rewrite them)",
					      g->count, g->count == 1 ? "" : "s", g->count == 1 ? "s" : "",
					      g->api_version, g->kind, rb, where, rb);
		}
		add_step(pl, k > 0 ? k - 1 : 0, PH_MANIFESTS, KUP_STEP_MANIFESTS,
			 afmt(pl, "%s %s", g->kind, g->api_version), g->api_version,
			 g->replacement ? g->replacement : "(no replacement)", reason);
		if (chart_only)
			add_blocker(pl, afmt(pl, "removed-api/%s", g->rule_id),
				    afmt(pl, "%zu chart object%s rendered for %s use%s %s %s, removed "
					 "in %s: change the chart%s first",
					 g->count, g->count == 1 ? "" : "s", pl->cs[k],
					 g->count == 1 ? "s" : "", g->api_version, g->kind, rb,
					 g->count == 1 ? "" : "s"));
		else
			add_blocker(pl, afmt(pl, "removed-api/%s", g->rule_id),
				    afmt(pl, "%zu object%s still use%s %s %s, removed in %s: migrate "
					 "them first (`kupgrade fix --to %s` can rewrite them)",
					 g->count, g->count == 1 ? "" : "s", g->count == 1 ? "s" : "",
					 g->api_version, g->kind, rb, pl->cs[pl->n]));
	}
}

/* ---- add-on CRD versions --------------------------------------------------------------- */

/* The profile's instance of the add-on a CRD rule's component names, or NULL. */
static const struct kup_addon_inst *addon_inst_for(struct planner *pl, const char *component)
{
	const struct kup_addon_rule *a = kup_kb_find_addon(pl->kb, component);
	size_t i;

	for (i = 0; i < pl->p->naddons; i++) {
		const struct kup_addon_inst *ai = &pl->p->addons[i];

		if (a ? kup_kb_find_addon(pl->kb, ai->name) == a : !strcasecmp(ai->name, component))
			return ai;
	}
	return NULL;
}

/*
 * The replacement a migration can use while the add-on is still at v: served
 * there (an unknown available_in counts as served), the newest known first.
 */
static const char *replacement_at(const struct kup_api_rule *r, const struct kup_version *v)
{
	const struct kup_api_replacement *best = NULL;
	size_t i;

	for (i = 0; r && i < r->nreplacements; i++) {
		const struct kup_api_replacement *x = &r->replacements[i];

		if (x->available_in.valid && kup_version_cmp(&x->available_in, v) > 0)
			continue;
		if (!best || (x->available_in.valid && (!best->available_in.valid ||
			      kup_version_cmp(&x->available_in, &best->available_in) > 0)))
			best = x;
	}
	return best ? best->api_version : NULL;
}

/* The version an add-on step moves the add-on to. */
static bool step_target(const struct pstep *ps, struct kup_version *out)
{
	if (ps->rel && ps->rel->version.valid) {
		*out = ps->rel->version;
		return true;
	}
	return ps->s.to && kup_version_parse(ps->s.to, out, NULL) == KUP_OK && out->valid;
}

/*
 * Objects of an add-on's CRD version that a release of the add-on stops
 * serving (data/addon-apis.yaml, on the add-on's own version axis): a
 * migration step right before the first step of that add-on reaching the
 * release, and a blocker until it is done.  Already past it: a step now.
 */
static void plan_addon_apis(struct planner *pl)
{
	size_t i, j;

	for (i = 0; i < pl->ngroups && !pl->oom; i++) {
		const struct mgroup *g = &pl->groups[i];
		const struct kup_addon_rule *a;
		const struct kup_addon_inst *ai;
		const char *name, *where, *what, *repl, *them, *cur, *to = NULL;
		char rb[24];
		long first = -1;
		int k = 0, phase = 0;
		struct pstep *ps;

		if (!g->component)
			continue;
		a = kup_kb_find_addon(pl->kb, g->component);
		name = a ? a->name : g->component;
		ai = addon_inst_for(pl, g->component);
		kup_version_str(&g->removed_in, rb, sizeof(rb));
		where = group_where(pl, g);
		what = afmt(pl, "%zu object%s use%s %s %s", g->count, g->count == 1 ? "" : "s",
			    g->count == 1 ? "s" : "", g->api_version, g->kind);
		if (!where || !what)
			return;
		them = g->count == 1 ? "it" : "them";
		if (!ai || !ai->version.valid) {
			add_warning(pl, afmt(pl, "%s (%s), which %s %s no longer serves; the profile "
					     "gives no %s version, so the plan cannot place their "
					     "migration", what, where, name, rb, name));
			continue;
		}
		repl = replacement_at(g->rule, &ai->version);
		cur = ai->version_text ? ai->version_text : "its current version";
		if (kup_version_cmp(&ai->version, &g->removed_in) >= 0) {
			add_step(pl, 0, PH_MANIFESTS, KUP_STEP_MANIFESTS,
				 afmt(pl, "%s %s", g->kind, g->api_version), g->api_version,
				 repl ? repl : "(no replacement)",
				 afmt(pl, "%s (%s), which %s no longer serves since %s; migrate %s",
				      what, where, name, rb, them));
			add_warning(pl, afmt(pl, "%s, which %s %s no longer serves (removed in %s): "
					     "applying %s fails today", what, name,
					     cur, rb, them));
			continue;
		}
		/* the first step of this add-on that reaches the removing release */
		for (j = 0; j < pl->nsteps; j++) {
			const struct pstep *s = &pl->steps[j];
			struct kup_version tv;

			if (s->s.type != KUP_STEP_ADDON || !s->s.component ||
			    strcmp(s->s.component, name) || !step_target(s, &tv) ||
			    kup_version_cmp(&tv, &g->removed_in) < 0)
				continue;
			if (first < 0 || cmp_pstep(s, &pl->steps[first]) < 0)
				first = (long)j;
		}
		if (first < 0)
			continue;       /* the plan keeps the add-on below that release */
		k = pl->steps[first].k;
		phase = pl->steps[first].phase > 0 ? pl->steps[first].phase - 1 : 0;
		to = pl->steps[first].s.to ? pl->steps[first].s.to : "its next release";
		/* one phase earlier at the same hop: before the add-on step */
		ps = add_step(pl, k, phase, KUP_STEP_MANIFESTS,
			      afmt(pl, "%s %s", g->kind, g->api_version), g->api_version,
			      repl ? repl : "(no replacement)",
			      afmt(pl, "%s (%s), which %s %s no longer serves; migrate %s%s%s "
				   "while %s is at %s, before its step to %s", what, where, name, rb,
				   them, repl ? " to " : "", repl ? repl : "", name, cur,
				   to));
		if (ps && phase == PH_CP)
			ps->s.cp_at = pl->c[k];
		add_blocker(pl, afmt(pl, "removed-api/%s", g->rule_id),
			    afmt(pl, "%s, which %s %s no longer serves: migrate %s%s%s before "
				 "moving %s to %s", what, name, rb, them, repl ? " to " : "",
				 repl ? repl : "", name, to));
	}
}

/* ---- charts ------------------------------------------------------------------------- */

static void on_index_warning(void *ctx, const struct kup_error *err)
{
	struct planner *pl = ctx;

	kup_error_emit(pl->o->errors, err);
}

/* The --pin-app constraint for this add-on (by its name, its chart or its KB name), or NULL. */
static const char *pin_for(struct planner *pl, const struct kup_addon_inst *ai)
{
	const struct kup_addon_rule *a = kup_kb_find_addon(pl->kb, ai->name);
	size_t i;

	for (i = 0; i < pl->o->npin_app; i++) {
		const char *e = pl->o->pin_app[i], *eq = strchr(e, '=');
		size_t n;

		if (!eq)
			continue;
		n = (size_t)(eq - e);
		if ((strlen(ai->name) == n && !strncmp(ai->name, e, n)) ||
		    (ai->chart_name && strlen(ai->chart_name) == n && !strncmp(ai->chart_name, e, n)) ||
		    (a && strlen(a->name) == n && !strncmp(a->name, e, n)))
			return eq + 1;
	}
	return NULL;
}

static const struct kup_chart_version *chart_version(const struct kup_chart_entry *e,
						      const char *v)
{
	size_t i;

	if (!v)
		return NULL;
	if (*v == 'v')
		v++;
	for (i = 0; i < e->nversions; i++) {
		const char *x = e->versions[i].version;

		if (*x == 'v')
			x++;
		if (!strcmp(x, v))
			return &e->versions[i];
	}
	return NULL;
}

/* Warns about a chart version the pre-release trap refuses. */
static void trap_warning(struct planner *pl, const struct kup_chart_version *t, const char *kv,
			 const char *held_at)
{
	const char *head = afmt(pl, "chart %s %s declares kubeVersion", t->name, t->version);
	size_t i;

	for (i = 0; head && i < pl->plan->nwarnings; i++)
		if (!strncmp(pl->plan->warnings[i], head, strlen(head)))
			return;   /* once per chart version, at the first hop it bites */
	add_warning(pl, afmt(pl, "chart %s %s declares kubeVersion '%s', which Helm refuses on %s "
			     "(a provider version is a semver pre-release; a range must end in -0 "
			     "to match it): kupgrade keeps %s %s; ask the chart for '-0' or pass "
			     "helm --kube-version", t->name, t->version,
			     t->kube_version ? t->kube_version : "", kv, t->name,
			     held_at ? held_at : "its current version"));
}

static void add_held(struct planner *pl, const char *msg)
{
	struct kup_plan_full *f = pl->full;

	if (!msg || !kup_grow(&f->held, &pl->held_cap, f->nheld + 1, sizeof(*f->held), 4)) {
		pl->oom = true;
		return;
	}
	f->held[f->nheld++] = msg;
}

static void chart_one(struct planner *pl, const struct kup_chart_index *idx,
		      const struct kup_addon_inst *ai)
{
	const struct kup_chart_entry *e = kup_chart_index_find(idx, ai->chart_name);
	const char *pin = pin_for(pl, ai), *cur, *cur_kube = NULL;
	const struct kup_chart_version *cv;
	struct kup_chart_pick pk;
	char kv[128];
	size_t i, nsteps0 = pl->nsteps;
	int k, cmp;

	if (!e) {
		add_warning(pl, afmt(pl, "chart %s (add-on %s) is not in the chart index, not checked",
				     ai->chart_name, ai->name));
		return;
	}
	cur = astr(pl, ai->chart_version);
	cv = chart_version(e, cur);
	if (cv)
		cur_kube = cv->kube_version;
	/* 1. the add-on's own moves go through its chart: the release line, at that hop */
	for (i = 0; i < nsteps0; i++) {
		const struct pstep *ps = &pl->steps[i];
		const char *line;

		if (ps->ai != ai || !ps->rel)
			continue;
		k = ps->k;
		if (k == 0)   /* today: the version exactly as the API server reports it */
			snprintf(kv, sizeof(kv), "%s", pl->plan->from + (pl->plan->from[0] == 'v'));
		else
			kup_chart_kube_version_at(pl->plan->from, &pl->c[k], kv, sizeof(kv));
		line = pin ? pin : afmt(pl, "~%d.%d.0-0", ps->rel->version.major,
					ps->rel->version.minor);
		if (kup_chart_pick(idx, ai->chart_name, kv, line, 0, &pk, NULL) != KUP_OK)
			continue;
		if (pk.trapped)
			trap_warning(pl, pk.trapped, kv, pk.chosen ? pk.chosen->version : cur);
		if (!pk.chosen) {
			add_warning(pl, afmt(pl, "no %s chart in the index ships %s %s (appVersion %s) "
					     "with a kubeVersion that matches %s: move it by hand",
					     ai->chart_name, ai->name, ps->rel->version_text, line, kv));
			continue;
		}
		if (cur && kup_semver_cmp(pk.chosen->version, cur, &cmp, NULL) == KUP_OK && cmp <= 0)
			continue;
		add_step(pl, k, PH_CHART, KUP_STEP_CHART, astr(pl, ai->chart_name),
			 cur ? cur : "(unknown)", astr(pl, pk.chosen->version),
			 afmt(pl, "%s moves to %s through its chart: %s %s ships appVersion %s and "
			      "its kubeVersion %s%s%s matches %s", ai->name, ps->rel->version_text,
			      ai->chart_name, pk.chosen->version,
			      pk.chosen->app_version ? pk.chosen->app_version : "(none)",
			      pk.chosen->kube_version ? "'" : "(none)",
			      pk.chosen->kube_version ? pk.chosen->kube_version : "",
			      pk.chosen->kube_version ? "'" : "", kv));
		cur = astr(pl, pk.chosen->version);
		cur_kube = pk.chosen->kube_version;
	}
	/* 2. the chart must move when its kubeVersion stops matching the cluster */
	for (k = 1; k <= pl->n; k++) {
		bool m = true, m_nopre = false;

		if (!cur_kube)
			break;
		kup_chart_kube_version_at(pl->plan->from, &pl->c[k], kv, sizeof(kv));
		if (kup_semver_range_match(cur_kube, kv, &m, NULL) != KUP_OK || m)
			continue;
		kup_semver_range_match_flags(cur_kube, kv, KUP_SEMVER_IGNORE_PRE, &m_nopre, NULL);
		if (kup_chart_pick(idx, ai->chart_name, kv, pin, 0, &pk, NULL) != KUP_OK)
			break;
		if (pk.trapped)
			trap_warning(pl, pk.trapped, kv, pk.chosen ? pk.chosen->version : cur);
		if (!pk.chosen || (cur && !strcmp(pk.chosen->version, cur))) {
			add_warning(pl, afmt(pl, "chart %s %s declares kubeVersion '%s', which %s does "
					     "not satisfy%s, and no other version in the index does: "
					     "helm upgrade of %s fails from that hop on",
					     ai->chart_name, cur ? cur : "", cur_kube, kv,
					     m_nopre ? " (the pre-release trap)" : "", ai->name));
			break;
		}
		add_step(pl, k, PH_CHART, KUP_STEP_CHART, astr(pl, ai->chart_name),
			 cur ? cur : "(unknown)", astr(pl, pk.chosen->version),
			 afmt(pl, "chart %s %s declares kubeVersion '%s', which %s does not "
			      "satisfy%s: helm upgrade fails from this hop on; %s is the highest "
			      "version whose kubeVersion matches", ai->chart_name, cur ? cur : "",
			      cur_kube, kv, m_nopre ? " (the pre-release trap)" : "",
			      pk.chosen->version));
		cur = astr(pl, pk.chosen->version);
		cur_kube = pk.chosen->kube_version;
	}
	/* 3. what the chart could move to once at the target: held back */
	kup_chart_kube_version_at(pl->plan->from, &pl->c[pl->n], kv, sizeof(kv));
	if (kup_chart_pick(idx, ai->chart_name, kv, pin, 0, &pk, NULL) != KUP_OK)
		return;
	if (pk.trapped)
		trap_warning(pl, pk.trapped, kv, pk.chosen ? pk.chosen->version : cur);
	if (pk.chosen && cur && kup_semver_cmp(pk.chosen->version, cur, &cmp, NULL) == KUP_OK &&
	    cmp > 0)
		add_held(pl, afmt(pl, "chart %s: %s installed, %s is the highest the index offers for "
				  "%s%s%s (held back: upgrade it after the hops, or on its own schedule)",
				  ai->chart_name, cur, pk.chosen->version, kv, pin ? " with appVersion " : "",
				  pin ? pin : ""));
}

static void plan_charts(struct planner *pl)
{
	struct kup_chart_index *idx = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_error_sink warn = { on_index_warning, pl };
	size_t i;

	if (pl->o->chart_index_loaded) {
		pl->full->has_charts = true;
		for (i = 0; i < pl->p->naddons; i++)
			if (pl->p->addons[i].chart_name)
				chart_one(pl, pl->o->chart_index_loaded, &pl->p->addons[i]);
		return;
	}
	if (!pl->o->chart_index)
		return;
	if (kup_chart_index_load(pl->o->chart_index, &warn, &idx, &err) != KUP_OK) {
		if (err.code == KUP_NOMEM)
			pl->oom = true;
		pl->plan->input_errors++;
		kup_error_emit(pl->o->errors, &err);
		kup_error_release(&err);
		return;
	}
	pl->full->has_charts = true;
	for (i = 0; i < pl->p->naddons; i++)
		if (pl->p->addons[i].chart_name)
			chart_one(pl, idx, &pl->p->addons[i]);
	kup_chart_index_free(idx);
	kup_error_release(&err);
}

/* ---- risks ---------------------------------------------------------------------------- */

struct risk_ctx {
	struct planner *pl;
};

/* KB risk ids whose condition the planned path itself avoids (see on_risk). */
static const char *const plan_resolved[] = { "kubelet-skew-exceeded" };

static enum kup_status on_risk(void *ctx, const struct kup_risk_rule *rule,
			       const struct kup_version *at, const char *evidence)
{
	struct risk_ctx *rc = ctx;
	struct planner *pl = rc->pl;
	struct kup_plan_risk r;
	char ab[24];
	size_t i;

	for (i = 0; i < pl->plan->nrisks; i++)
		if (!strcmp(pl->plan->risks[i].id, rule->id))
			return KUP_OK;
	/*
	 * Risks the path resolves by construction: the detector sees the pools as
	 * the profile has them, the plan rolls them before any hop that would put
	 * them out of skew (and reports a blocker when they already are).
	 */
	for (i = 0; i < sizeof(plan_resolved) / sizeof(plan_resolved[0]); i++)
		if (!strcmp(rule->id, plan_resolved[i]))
			return KUP_OK;
	memset(&r, 0, sizeof(r));
	r.id = rule->id;
	r.severity = rule->severity < 0 ? KUP_SEV_LOW
		   : rule->severity > KUP_SEV_HIGH ? KUP_SEV_HIGH
		   : (enum kup_severity)rule->severity;
	r.at = astr(pl, kup_version_minor_str(at, ab, sizeof(ab)));
	r.message = rule->message ? rule->message : rule->title;
	r.evidence = astr(pl, evidence ? evidence : "");
	r.mitigation = rule->mitigation;
	r.source = rule->source;
	add_risk(pl, &r);
	return pl->oom ? KUP_NOMEM : KUP_OK;
}

static void plan_risks(struct planner *pl)
{
	struct risk_ctx rc = { pl };
	int k;

	if (!pl->ev)
		return;
	for (k = 1; k <= pl->n; k++)
		if (kup_risks_eval(pl->kb, pl->ev, &pl->c[k], on_risk, &rc) == KUP_NOMEM)
			pl->oom = true;
}

/* ---- provider support windows ------------------------------------------------------- */

/*
 * The target on a managed provider: out of standard support (extended
 * support costs extra) or of all support (the provider upgrades it for
 * you) on `today`; or newer than every minor the KB lists for the provider.
 * Where extended support is one release channel's (GKE), only a cluster
 * enrolled in that channel is kept past the end of standard support (while
 * the channel still offers the minor); the others get support_end.
 */
static void plan_provider(struct planner *pl)
{
	const char *prov = kup_provider_name(pl->p->provider), *today = pl->today;
	const struct kup_version *target = &pl->c[pl->n];
	const struct kup_provider_release *row, *newest = NULL;
	struct kup_plan_risk r;
	char day[16], b1[24], b2[24];
	size_t i, n = kup_kb_provider_release_count(pl->kb);
	/* a provider whose extended support is one release channel's (GKE): a
	 * cluster enrolled in it is kept on its minor past the end of standard
	 * support, every other one is upgraded (support_end) */
	bool ext_channel = pl->rules && pl->rules->extended_support_channel && pl->p->channel &&
			   strcasecmp(pl->p->channel, pl->rules->extended_support_channel) == 0;
	const struct kup_channel_rule *ext_channel_rule =
		ext_channel ? kup_rules_channel(pl->rules, pl->rules->extended_support_channel)
			    : NULL;

	if (pl->p->provider != KUP_PROVIDER_EKS && pl->p->provider != KUP_PROVIDER_GKE &&
	    pl->p->provider != KUP_PROVIDER_AKS)
		return;
	for (i = 0; i < n; i++) {
		const struct kup_provider_release *x = kup_kb_provider_release_at(pl->kb, i);

		if (!strcmp(x->provider, prov) &&
		    (!newest || kup_version_cmp_minor(&x->version, &newest->version) > 0))
			newest = x;
	}
	if (!newest)
		return;   /* the KB knows nothing of this provider */
	row = kup_kb_find_provider_release(pl->kb, prov, target);
	if (!row) {
		char nb[24];

		if (kup_version_cmp_minor(target, &newest->version) > 0)
			add_warning(pl, afmt(pl, "the knowledge base lists no %s %s (its newest %s "
					     "minor is %s): check that the provider offers it", prov,
					     pl->cs[pl->n], prov,
					     kup_version_minor_str(&newest->version, nb, sizeof(nb))));
		return;
	}
	if (!today)
		return;
	memset(&r, 0, sizeof(r));
	r.at = pl->cs[pl->n];
	r.source = row->source;
	r.evidence = afmt(pl, "provider %s, target %s, today %s", prov, pl->cs[pl->n], today);
	if (row->end_of_extended && strcmp(today, row->end_of_extended) > 0) {
		r.id = afmt(pl, "provider-support-ended/%s-%s", prov, pl->cs[pl->n]);
		r.severity = KUP_SEV_HIGH;
		r.message = afmt(pl, "%s ended all support for %s on %s: the provider upgrades such "
				 "clusters on its own schedule", prov, pl->cs[pl->n],
				 row->end_of_extended);
		r.mitigation = afmt(pl, "aim at a minor %s still supports (the knowledge base knows "
				    "up to %s %s)", prov, prov,
				    kup_version_minor_str(&newest->version, day, sizeof(day)));
	} else if (row->end_of_standard && strcmp(today, row->end_of_standard) > 0 &&
		   pl->rules && pl->rules->support_end && !ext_channel) {
		/* a provider that upgrades such clusters itself (GKE) */
		r.id = afmt(pl, "provider-support-ended/%s-%s", prov, pl->cs[pl->n]);
		r.severity = KUP_SEV_HIGH;
		r.message = afmt(pl, "%s %s reached the end of standard support on %s: %s",
				 prov, pl->cs[pl->n], row->end_of_standard, pl->rules->support_end);
		r.mitigation = afmt(pl, "aim at a minor %s still supports (the knowledge base knows "
				    "up to %s %s), or plan for the automatic upgrade", prov, prov,
				    kup_version_minor_str(&newest->version, day, sizeof(day)));
		r.source = pl->rules->support_end_source ? pl->rules->support_end_source
							   : row->source;
	} else if (row->end_of_standard && strcmp(today, row->end_of_standard) > 0 && ext_channel &&
		   ext_channel_rule &&
		   kup_version_cmp_minor(target, &ext_channel_rule->k8s_min) < 0) {
		/* enrolled in the extended channel, which no longer offers the target */
		kup_version_minor_str(&ext_channel_rule->k8s_min, b1, sizeof(b1));
		kup_version_minor_str(&ext_channel_rule->k8s_max, b2, sizeof(b2));
		r.id = afmt(pl, "provider-support-ended/%s-%s", prov, pl->cs[pl->n]);
		r.severity = KUP_SEV_HIGH;
		r.message = afmt(pl, "%s %s left standard support on %s and the %s channel no "
				 "longer offers it (it offers %s to %s as of %s): %s upgrades such "
				 "clusters on its own schedule", prov, pl->cs[pl->n],
				 row->end_of_standard, ext_channel_rule->channel, b1, b2,
				 ext_channel_rule->checked, prov);
		r.mitigation = afmt(pl, "aim at a minor the %s channel offers (%s to %s)",
				    ext_channel_rule->channel, b1, b2);
		r.source = ext_channel_rule->source;
	} else if (row->end_of_standard && strcmp(today, row->end_of_standard) > 0) {
		r.id = afmt(pl, "provider-extended-support/%s-%s", prov, pl->cs[pl->n]);
		r.severity = KUP_SEV_MEDIUM;
		/* what staying on costs or takes is the provider's (EKS: money, AKS: LTS) */
		r.message = afmt(pl, "%s %s left standard support on %s: %s%s%s", prov,
				 pl->cs[pl->n], row->end_of_standard,
				 pl->rules && pl->rules->extended_support
				 ? pl->rules->extended_support : "extended support costs extra",
				 row->end_of_extended ? ", until " : "; the knowledge base records "
				 "no end of extended support for ",
				 row->end_of_extended ? row->end_of_extended : pl->cs[pl->n]);
		if (pl->rules && pl->rules->extended_support_source)
			r.source = pl->rules->extended_support_source;
		r.mitigation = afmt(pl, "plan the next upgrade now, or aim further (the knowledge "
				    "base knows up to %s %s)", prov,
				    kup_version_minor_str(&newest->version, day, sizeof(day)));
	} else {
		return;
	}
	if (!r.id || !r.message || !r.mitigation || !r.evidence) {
		pl->oom = true;
		return;
	}
	add_risk(pl, &r);
}

/* ---- release channels (GKE) ------------------------------------------------------------ */

/*
 * A cluster enrolled in a release channel (spec.channel) is upgraded only to
 * minors its channel offers: a target above the channel's newest minor is a
 * blocker (switch to a channel that offers it, or wait), a hop below its
 * oldest a warning (the provider moves such clusters itself).  The channel
 * table is a snapshot: its date is named.
 */
static void plan_channel(struct planner *pl)
{
	const struct kup_channel_rule *ch, *alt = NULL;
	const char *prov = prov_display(pl), *cmd = NULL;
	size_t i;
	int k;
	char b1[24], b2[24];

	if (!pl->p->channel || !pl->rules || !pl->rules->nchannels)
		return;
	ch = kup_rules_channel(pl->rules, pl->p->channel);
	if (!ch) {
		struct kup_buf names = KUP_BUF_INIT;

		for (i = 0; i < pl->rules->nchannels; i++)
			kup_buf_addf(&names, "%s%s", i ? ", " : "", pl->rules->channels[i].channel);
		add_warning(pl, afmt(pl, "the knowledge base knows no %s release channel '%s' (it "
				     "knows %s): the channel's versions are not checked", prov,
				     pl->p->channel, names.buf ? names.buf : ""));
		kup_buf_release(&names);
		return;
	}
	kup_version_minor_str(&ch->k8s_min, b1, sizeof(b1));
	kup_version_minor_str(&ch->k8s_max, b2, sizeof(b2));
	if (pl->n > 0 && kup_version_cmp_minor(&pl->c[pl->n], &ch->k8s_max) > 0) {
		/* of the channels that offer the target, the one whose newest minor is
		 * lowest (the least ahead); the first listed on a tie */
		for (i = 0; i < pl->rules->nchannels; i++) {
			const struct kup_channel_rule *x = &pl->rules->channels[i];

			if (x != ch && kup_version_cmp_minor(&pl->c[pl->n], &x->k8s_max) <= 0 &&
			    kup_version_cmp_minor(&pl->c[pl->n], &x->k8s_min) >= 0 &&
			    (!alt || kup_version_cmp_minor(&x->k8s_max, &alt->k8s_max) < 0))
				alt = x;
		}
		if (alt && pl->rules->commands.channel) {
			struct kup_cmd_vars v;

			memset(&v, 0, sizeof(v));
			v.cluster = pl->plan->cluster;
			v.channel = alt->channel;
			kup_buf_reset(&pl->scratch);
			kup_rules_expand(pl->rules->commands.channel, &v, &pl->scratch);
			cmd = pl->scratch.oom || !pl->scratch.buf ? NULL : astr(pl, pl->scratch.buf);
		}
		add_blocker(pl, afmt(pl, "provider-channel/%s-%s", pl->p->channel, pl->cs[pl->n]),
			    afmt(pl, "%s's %s channel offers %s to %s (as of %s, %s): %s is not "
				 "available to a cluster enrolled in it; %s%s%s%s", prov, ch->channel,
				 b1, b2, ch->checked, ch->source, pl->cs[pl->n],
				 alt ? "move the cluster to the " : "wait until the channel offers it",
				 alt ? alt->channel : "",
				 alt ? " channel, which offers it" : "",
				 alt ? afmt(pl, "%s%s%s, or wait until the %s channel offers it",
					    cmd ? " (" : "", cmd ? cmd : "", cmd ? ")" : "",
					    ch->channel) : ""));
	}
	for (k = 1; k <= pl->n; k++)
		if (kup_version_cmp_minor(&pl->c[k], &ch->k8s_min) < 0)
			add_warning(pl, afmt(pl, "%s's %s channel no longer offers %s (it offers %s to "
					     "%s as of %s): %s upgrades such clusters itself; a manual "
					     "upgrade goes to a minor the channel offers", prov,
					     ch->channel, pl->cs[k], b1, b2, ch->checked, prov));
}

/* ---- end of life ----------------------------------------------------------------------- */

/*
 * Every Kubernetes minor the path reaches, and every add-on release it moves
 * through or keeps to the end, past its end of life on `today`: a warning
 * with the date.
 */
static void plan_eol(struct planner *pl)
{
	size_t i, j, nrel = kup_kb_release_count(pl->kb);
	const char *prov_note;
	bool upstream_risk_done = false;
	int k;

	if (!pl->today)
		return;
	for (k = pl->n ? 1 : 0; k <= pl->n; k++)
		for (i = 0; i < nrel; i++) {
			const struct kup_release *r = kup_kb_release_at(pl->kb, i);

			if (kup_version_cmp_minor(&r->version, &pl->c[k]) || !r->end_of_life ||
			    strcmp(pl->today, r->end_of_life) <= 0)
				continue;
			{
				const struct kup_provider_release *pr =
					kup_kb_find_provider_release(pl->kb, kup_provider_name(pl->p->provider),
								     &pl->c[k]);
				/* standard support first; past it, only the extended window (EKS
				 * extended support, AKS LTS) is left */
				if (pr && pr->end_of_standard && strcmp(pr->end_of_standard, pl->today) >= 0)
					prov_note = afmt(pl, "; %s supports it until %s",
							 prov_display(pl), pr->end_of_standard);
				else if (pr && pr->end_of_standard && pr->end_of_extended &&
					 strcmp(pr->end_of_extended, pl->today) >= 0)
					prov_note = afmt(pl, "; %s standard support ended on %s, "
							 "extended support lasts until %s",
							 prov_display(pl), pr->end_of_standard,
							 pr->end_of_extended);
				else if (pr && !pr->end_of_standard && pr->end_of_extended &&
					 strcmp(pr->end_of_extended, pl->today) >= 0)
					prov_note = afmt(pl, "; %s supports it until %s",
							 prov_display(pl), pr->end_of_extended);
				else
					prov_note = "";
			}
			if (k == pl->n && k > 0 && !upstream_risk_done &&
			    !kup_kb_find_provider_release(pl->kb, kup_provider_name(pl->p->provider),
							  &pl->c[k])) {
				/* no provider support window: the upstream end of life is the end */
				struct kup_plan_risk rk;

				memset(&rk, 0, sizeof(rk));
				rk.id = afmt(pl, "kubernetes-end-of-life/%s", pl->cs[k]);
				rk.severity = KUP_SEV_MEDIUM;
				rk.at = pl->cs[k];
				rk.message = afmt(pl, "the target Kubernetes %s reached its end of life on %s: "
						  "no more upstream patches, security fixes included",
						  pl->cs[k], r->end_of_life);
				rk.evidence = afmt(pl, "provider %s, target %s, today %s",
						   kup_provider_name(pl->p->provider), pl->cs[k], pl->today);
				rk.mitigation = afmt(pl, "aim at a supported minor (the knowledge base knows up "
						     "to %d.%d), or plan the next upgrade now",
						     kup_kb_newest(pl->kb)->major, kup_kb_newest(pl->kb)->minor);
				rk.source = r->source;
				if (rk.id && rk.message && rk.evidence && rk.mitigation)
					add_risk(pl, &rk);
				else
					pl->oom = true;
				upstream_risk_done = true;
			}
			add_warning(pl, afmt(pl, "Kubernetes %s reached its end of life on %s (%s)%s: %s",
					     pl->cs[k], r->end_of_life, r->source, prov_note,
					     k == 0 ? "the cluster is at the target and gets no more "
						      "upstream patches"
					     : k == pl->n ? "the target gets no more upstream patches"
					     : "the path passes through it"));
		}
	for (i = 0; i < pl->nsteps; i++) {
		const struct pstep *ps = &pl->steps[i];

		if (ps->rel && ps->rel->end_of_life && strcmp(pl->today, ps->rel->end_of_life) > 0)
			add_warning(pl, afmt(pl, "%s %s reached its end of life on %s (%s): the path "
					     "passes through it", ps->s.component, ps->rel->version_text,
					     ps->rel->end_of_life, ps->rel->source));
	}
	for (j = 0; j < pl->p->naddons; j++) {
		const struct kup_addon_inst *ai = &pl->p->addons[j];
		const struct kup_addon_rule *a = kup_kb_find_addon(pl->kb, ai->name);
		const struct kup_addon_release *r;
		bool moved = false;

		if (!a || !ai->version.valid || a->hop == KUP_HOP_MATCH_CP || a->hop == KUP_HOP_PER_CP)
			continue;
		for (i = 0; i < pl->nsteps && !moved; i++)
			moved = pl->steps[i].ai == ai;
		r = kup_addon_release_for(a, &ai->version);
		if (moved || !r || !r->end_of_life || strcmp(pl->today, r->end_of_life) <= 0)
			continue;
		add_warning(pl, afmt(pl, "%s %s reached its end of life on %s (%s): the plan keeps it "
				     "to the end", ai->name, ai->version_text, r->end_of_life,
				     r->source));
	}
}

/* ---- commands ------------------------------------------------------------------------------ */

/* The provider's command for a step (data/<provider>.yaml `commands`), or NULL. */
static const char *step_command(struct planner *pl, const struct pstep *ps)
{
	const struct kup_provider_commands *c = pl->rules ? &pl->rules->commands : NULL;
	struct kup_cmd_vars v;
	const char *t = NULL;

	if (!c)
		return NULL;
	memset(&v, 0, sizeof(v));
	v.cluster = pl->plan->cluster;
	v.from = ps->s.from;
	v.to = ps->s.to;
	v.pool = ps->pool;
	v.family = ps->family;
	switch (ps->s.type) {
	case KUP_STEP_CONTROL_PLANE:
		t = c->control_plane;
		break;
	case KUP_STEP_NODEPOOL:
		if (ps->family)
			t = c->nodepool_replace;
		else if (ps->pool && !strcmp(ps->pool, "control-plane") && c->control_plane_nodes &&
			 pl->rules->control_plane_nodes)
			t = c->control_plane_nodes;
		else
			t = c->nodepool;
		break;
	case KUP_STEP_ADDON:
		if (ps->managed) {
			t = c->addon;
			v.addon = ps->managed->provider_name ? ps->managed->provider_name
							     : ps->managed->addon;
			v.version = ps->managed->version_text;
		}
		break;
	default:
		break;
	}
	if (!t)
		return NULL;
	kup_buf_reset(&pl->scratch);
	kup_rules_expand(t, &v, &pl->scratch);
	if (pl->scratch.oom || !pl->scratch.buf) {
		pl->oom = true;
		return NULL;
	}
	return astr(pl, pl->scratch.buf);
}

/*
 * The provider's own version for a control-plane or node pool step (data/<provider>.yaml
 * `patches`, `node_image_versions`): a pool gets the node image version of its OS family
 * at the step's minor where the provider names one, else, like the control plane, the
 * patch the provider names for that minor on the cluster's release channel.  The step's
 * reason says so, with the date of the copy read (or, undated, the day it was read).
 * Nothing when the knowledge base names none.
 */
static void step_provider_version(struct planner *pl, struct pstep *ps)
{
	const struct kup_provider_patch *pt;
	const char *prov = prov_display(pl), *when;
	struct kup_version to;

	if (!pl->rules || (ps->s.type != KUP_STEP_CONTROL_PLANE && ps->s.type != KUP_STEP_NODEPOOL) ||
	    ps->s.provider_version || !ps->s.to ||
	    kup_version_parse(ps->s.to, &to, NULL) != KUP_OK)
		return;
	if (ps->s.type == KUP_STEP_NODEPOOL) {
		const struct kup_node_image_rule *img = kup_rules_node_image(pl->rules, ps->os);
		const char *family = ps->family ? ps->family : img ? img->family : NULL;
		const struct kup_node_image_version *iv =
			kup_rules_image_version(pl->rules, family, &to);

		if (iv) {
			when = iv->published ? afmt(pl, ", published %s", iv->published) : "";
			ps->s.provider_version = iv->version;
			ps->s.reason = afmt(pl, "%s (%s node image %s%s%s for %s%s)", ps->s.reason,
					    prov, iv->image ? iv->image : family, " ", iv->version,
					    family, when);
			return;
		}
	}
	pt = kup_rules_patch(pl->rules, &to, pl->p->channel);
	if (!pt)
		return;
	when = pt->published ? afmt(pl, " as of %s", pt->published)
	       : pt->checked ? afmt(pl, ", read %s", pt->checked) : "";
	ps->s.provider_version = pt->version_text;
	ps->s.reason = afmt(pl, "%s (%s names %s for %s%s%s%s)", ps->s.reason, prov,
			    pt->version_text, ps->s.to, pt->channel ? " on the " : "",
			    pt->channel ? afmt(pl, "%s channel", pt->channel) : "", when);
}

/* ---- the whole plan ------------------------------------------------------------------ */

static int cmp_pstep(const void *x, const void *y)
{
	const struct pstep *a = x, *b = y;

	if (a->k != b->k)
		return a->k < b->k ? -1 : 1;
	if (a->phase != b->phase)
		return a->phase < b->phase ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void plan_cp(struct planner *pl)
{
	int k;

	for (k = 1; k <= pl->n; k++)
		add_step(pl, k, PH_CP, KUP_STEP_CONTROL_PLANE, "control-plane",
			 k == 1 ? pl->plan->from : pl->cs[k - 1], pl->cs[k],
			 afmt(pl, "the control plane moves one minor at a time (%s to %s)",
			      pl->cs[k - 1], pl->cs[k]));
}

/* Risks by hop, then by severity (high first); stable otherwise (KB order). */
static bool risk_before(const struct kup_plan_risk *a, const struct kup_plan_risk *b)
{
	struct kup_version va, vb;
	int c;

	if (kup_version_parse(a->at, &va, NULL) == KUP_OK &&
	    kup_version_parse(b->at, &vb, NULL) == KUP_OK) {
		c = kup_version_cmp_minor(&va, &vb);
		if (c)
			return c < 0;
	}
	return a->severity > b->severity;
}

static void sort_risks(struct kup_plan *plan)
{
	size_t i, j;

	for (i = 1; i < plan->nrisks; i++) {
		struct kup_plan_risk r = plan->risks[i];

		for (j = i; j > 0 && risk_before(&r, &plan->risks[j - 1]); j--)
			plan->risks[j] = plan->risks[j - 1];
		plan->risks[j] = r;
	}
}

static void finish(struct planner *pl)
{
	struct kup_plan *plan = pl->plan;
	size_t i;
	bool warn = plan->nwarnings > 0;

	if (pl->nsteps)
		qsort(pl->steps, pl->nsteps, sizeof(*pl->steps), cmp_pstep);
	if (pl->nsteps) {
		plan->steps = kup_arena_zalloc(pl->a, pl->nsteps * sizeof(*plan->steps));
		pl->full->step_hop = kup_arena_zalloc(pl->a, pl->nsteps * sizeof(int));
		pl->full->step_phase = kup_arena_zalloc(pl->a, pl->nsteps);
		if (!plan->steps || !pl->full->step_hop || !pl->full->step_phase) {
			pl->oom = true;
			return;
		}
	}
	for (i = 0; i < pl->nsteps; i++) {
		pl->steps[i].s.command = step_command(pl, &pl->steps[i]);
		step_provider_version(pl, &pl->steps[i]);
		plan->steps[i] = pl->steps[i].s;
		plan->steps[i].order = (unsigned)(i + 1);
		pl->full->step_hop[i] = pl->steps[i].k;
		pl->full->step_phase[i] = (unsigned char)pl->steps[i].phase;
		if (plan->steps[i].type == KUP_STEP_NODEPOOL)
			plan->node_rolls++;
		if (plan->steps[i].type == KUP_STEP_CONTROL_PLANE)
			pl->full->hops++;
	}
	plan->nsteps = pl->nsteps;
	if (pl->rules && pl->rules->commands.plan)
		pl->full->plan_cmd = pl->rules->commands.plan;
	pl->full->pool_upgrade = kup_rules_pool_upgrade(pl->rules);
	if (pl->rules && pl->rules->commands.node_image) {
		struct kup_cmd_vars v;

		memset(&v, 0, sizeof(v));
		v.cluster = plan->cluster;
		v.pool = "POOL";
		kup_buf_reset(&pl->scratch);
		kup_rules_expand(pl->rules->commands.node_image, &v, &pl->scratch);
		if (pl->scratch.oom || !pl->scratch.buf)
			pl->oom = true;
		else
			pl->full->node_image_cmd = astr(pl, pl->scratch.buf);
	}
	sort_risks(plan);
	for (i = 0; i < plan->nrisks; i++)
		if (plan->risks[i].severity >= KUP_SEV_MEDIUM)
			warn = true;
	if (plan->nblockers)
		plan->verdict = KUP_VERDICT_BLOCKED;
	else if (warn)
		plan->verdict = KUP_VERDICT_READY_WITH_WARNINGS;
	else
		plan->verdict = KUP_VERDICT_READY;
}

enum kup_status kup_plan(const struct kup_kb *kb, const struct kup_profile *p,
			 const struct kup_plan_opts *opts, struct kup_plan **out,
			 struct kup_error *err)
{
	struct planner pl;
	struct kup_plan *plan;
	struct kup_plan_full *full;
	const struct kup_version *newest;
	char tb[24], cb[24], nb[24];
	int hop, k;
	size_t i;
	enum kup_status st = KUP_OK;

	*out = NULL;
	if (!kb || !p || !opts || !opts->target.valid)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "a plan needs a profile and a target");
	if (!p->control_plane.valid)
		return kup_error_set(err, KUP_INVALID, p->path, 0, 0,
				     "the profile has no control-plane version");
	newest = kup_kb_newest(kb);
	kup_version_minor_str(&opts->target, tb, sizeof(tb));
	kup_version_minor_str(&p->control_plane, cb, sizeof(cb));
	if (newest && newest->valid) {
		kup_version_minor_str(newest, nb, sizeof(nb));
	} else {
		snprintf(nb, sizeof(nb), "none");
	}
	if (kup_version_cmp_minor(&opts->target, &p->control_plane) < 0)
		return kup_error_set(err, KUP_INVALID, p->path, 0, 0,
				     "target %s is below the current control plane %s (the knowledge "
				     "base knows up to %s)", tb, cb, nb);
	if (newest && newest->valid && kup_version_cmp_minor(&opts->target, newest) > 0 &&
	    kup_kb_find_scheduled(kb, &opts->target)) {
		const struct kup_release *s = kup_kb_find_scheduled(kb, &opts->target);

		return kup_error_set(err, KUP_INVALID, p->path, 0, 0,
				     "target %s is scheduled for %s (%s), not released in the "
				     "knowledge base: what it removes is not known yet; the newest "
				     "released version it knows is %s (kupgrade kb update BUNDLE once "
				     "a newer knowledge base is out)", tb, s->scheduled, s->source, nb);
	}
	if (!newest || !newest->valid || kup_version_cmp_minor(&opts->target, newest) > 0)
		return kup_error_set(err, KUP_INVALID, p->path, 0, 0,
				     "target %s is beyond the knowledge base: the newest version it "
				     "knows is %s", tb, nb);
	if (p->control_plane.major != opts->target.major)
		return kup_error_set(err, KUP_INVALID, p->path, 0, 0,
				     "target %s is on another major version than %s", tb, cb);

	memset(&pl, 0, sizeof(pl));
	plan = kup_calloc(1, sizeof(*plan));
	full = plan ? kup_calloc(1, sizeof(*full)) : NULL;
	if (!full) {
		free(plan);
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	}
	plan->priv = full;
	kup_arena_init(&plan->arena, 4096);
	pl.kb = kb;
	pl.p = p;
	pl.o = opts;
	pl.full = full;
	pl.plan = plan;
	pl.a = &plan->arena;
	pl.rules = kup_kb_provider_rules(kb, kup_provider_name(p->provider));
	pl.all = kup_kb_provider_rules(kb, "all");
	pl.today = opts->today;
	if (!pl.today) {
		time_t now = time(NULL);
		struct tm tm;

		if (gmtime_r(&now, &tm) &&
		    strftime(pl.today_buf, sizeof(pl.today_buf), "%Y-%m-%d", &tm))
			pl.today = pl.today_buf;
	}

	hop = kup_kb_cp_max_hop(kb);
	if (hop < 1)
		hop = 1;
	pl.n = (opts->target.minor - p->control_plane.minor + hop - 1) / hop;
	pl.c = kup_arena_zalloc(pl.a, (size_t)(pl.n + 1) * sizeof(*pl.c));
	pl.cs = kup_arena_zalloc(pl.a, (size_t)(pl.n + 1) * sizeof(*pl.cs));
	if (!pl.c || !pl.cs) {
		st = KUP_NOMEM;
		goto out;
	}
	for (k = 0; k <= pl.n; k++) {
		struct kup_version *v = &pl.c[k];

		memset(v, 0, sizeof(*v));
		v->valid = true;
		v->major = p->control_plane.major;
		v->minor = p->control_plane.minor + k * hop;
		if (v->minor > opts->target.minor)
			v->minor = opts->target.minor;
		kup_version_minor_str(v, pl.cs[k], sizeof(pl.cs[k]));
	}

	plan->cluster = astr(&pl, p->name ? p->name : (p->path ? p->path : "cluster"));
	plan->from = astr(&pl, p->cp_version_text ? p->cp_version_text : cb);
	plan->to = astr(&pl, tb);
	full->provider = astr(&pl, kup_provider_name(p->provider));
	full->managed = kup_kb_provider_managed(kb, full->provider);
	if (p->npools) {
		full->pools = kup_arena_zalloc(pl.a, p->npools * sizeof(*full->pools));
		if (!full->pools) {
			st = KUP_NOMEM;
			goto out;
		}
		for (i = 0; i < p->npools; i++) {
			full->pools[i].name = astr(&pl, p->pools[i].name);
			full->pools[i].count = p->pools[i].count;
			full->pools[i].nzones = p->pools[i].nzones;
		}
		full->npools = p->npools;
	}

	if (kup_evidence_new(&pl.ev) != KUP_OK || kup_evidence_add_profile(pl.ev, p) == KUP_NOMEM) {
		st = KUP_NOMEM;
		goto out;
	}
	/* every hop's chart rendering first, so a chart object counts at the first hop it breaks */
	for (i = 1; i < (size_t)pl.n && !pl.oom; i++)
		scan_inputs(&pl, opts->manifests, opts->manifest_names, opts->nmanifests, false,
			    (int)i, true);
	scan_inputs(&pl, opts->manifests, opts->manifest_names, opts->nmanifests, false, pl.n,
		    false);
	scan_inputs(&pl, opts->dumps, opts->dump_names, opts->ndumps, true, pl.n, false);
	full->has_manifests = opts->nmanifests + opts->ndumps > 0;

	plan_cp(&pl);
	for (i = 0; i < p->npools; i++)
		plan_pool(&pl, &p->pools[i]);
	plan_cp_nodes(&pl);
	plan_etcd(&pl);
	for (i = 0; i < p->naddons; i++)
		plan_addon(&pl, &p->addons[i]);
	plan_manifests(&pl);
	plan_addon_apis(&pl);
	plan_charts(&pl);
	plan_risks(&pl);
	plan_provider(&pl);
	plan_channel(&pl);
	pl.risks_done = true;
	for (i = 0; i < p->naddons; i++)
		plan_addon(&pl, &p->addons[i]);
	plan_extra(&pl);
	plan_eol(&pl);
	finish(&pl);
	kup_plan_attach_tuned(plan, opts);
	if (pl.oom || kup_arena_failed(pl.a))
		st = KUP_NOMEM;
out:
	kup_evidence_free(pl.ev);
	free(pl.pf_risks);
	free(pl.pf_blockers);
	free(pl.steps);
	free(pl.groups);
	free(pl.chart_seen);
	free(pl.f);
	kup_buf_release(&pl.scratch);
	if (st != KUP_OK) {
		kup_plan_free(plan);
		return kup_error_set(err, st, NULL, 0, 0, "out of memory");
	}
	*out = plan;
	return KUP_OK;
}

void kup_plan_free(struct kup_plan *plan)
{
	if (!plan)
		return;
	free(plan->blockers);
	free(plan->risks);
	free(plan->warnings);
	if (plan->priv)
		free(plan->priv->held);
	free(plan->priv);
	kup_arena_release(&plan->arena);
	free(plan);
}

const struct kup_plan_step *kup_plan_next_step(const struct kup_plan *plan)
{
	if (!plan || !plan->nsteps)
		return NULL;
	return &plan->steps[0];
}

int kup_plan_exit_code(const struct kup_plan *plan)
{
	switch (plan->verdict) {
	case KUP_VERDICT_READY: return 0;
	case KUP_VERDICT_READY_WITH_WARNINGS: return 2;
	case KUP_VERDICT_BLOCKED: return 3;
	}
	return 1;
}

enum kup_status kup_plan_report_items(const struct kup_plan *plan, struct kup_arena *strings,
				      struct kup_report_item **items, size_t *n)
{
	struct kup_report_item *v;
	size_t i, k = 0;

	*items = NULL;
	*n = 0;
	v = kup_arena_zalloc(strings, (plan->nblockers + plan->nrisks + 1) * sizeof(*v));
	if (!v)
		return KUP_NOMEM;
	for (i = 0; i < plan->nblockers; i++, k++) {
		v[k].family = KUP_ITEM_RISK;
		v[k].severity = KUP_FAIL_REMOVED;
		v[k].rule_id = plan->blockers[i].id;
		v[k].kind = "Cluster";
		v[k].name = plan->cluster;
		v[k].message = plan->blockers[i].message;
	}
	for (i = 0; i < plan->nrisks; i++, k++) {
		const struct kup_plan_risk *r = &plan->risks[i];

		v[k].family = KUP_ITEM_RISK;
		v[k].severity = r->severity >= KUP_SEV_MEDIUM ? KUP_FAIL_DEPRECATED : KUP_FAIL_NONE;
		v[k].rule_id = r->id;
		v[k].kind = "Cluster";
		v[k].name = plan->cluster;
		v[k].message = r->message;
		if (r->at || r->evidence)
			v[k].detail = kup_arena_printf(strings, "%s%s%s%s", r->at ? "at " : "",
						       r->at ? r->at : "", r->at && r->evidence ? ": " : "",
						       r->evidence ? r->evidence : "");
		v[k].remedy = r->mitigation;
		v[k].source_url = r->source;
	}
	if (kup_arena_failed(strings))
		return KUP_NOMEM;
	*items = v;
	*n = k;
	return KUP_OK;
}

const struct kup_plan_risk *kup_plan_top_risk(const struct kup_plan *plan)
{
	const struct kup_plan_risk *best = NULL;
	size_t i;

	for (i = 0; i < plan->nrisks; i++)
		if (!best || plan->risks[i].severity > best->severity)
			best = &plan->risks[i];
	return best;
}

enum kup_status kup_plan_render(const struct kup_plan *plan, enum kup_plan_format fmt,
				struct kup_buf *out)
{
	switch (fmt) {
	case KUP_PLAN_TEXT: kup_plan_render_text(plan, out); break;
	case KUP_PLAN_MARKDOWN: kup_plan_render_markdown(plan, out); break;
	case KUP_PLAN_JSON: kup_plan_render_json(plan, out, KUP_EMIT_JSON); break;
	case KUP_PLAN_YAML: kup_plan_render_json(plan, out, KUP_EMIT_YAML); break;
	case KUP_PLAN_HTML: kup_plan_render_html(plan, out); break;
	default: return KUP_INVALID;
	}
	return out->oom ? KUP_NOMEM : KUP_OK;
}
