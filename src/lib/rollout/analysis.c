/*
 * analysis.c - runs over seeds, the back-of-the-envelope estimates, the
 * lower bound, the pre-flight check and the kupgrade plan.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/rollout.h"

enum kup_status kup_ro_simulate_plan(const struct kup_ro_scenario *sc, const struct kup_ro_policy *pol,
				     uint64_t seed, struct kup_ro_metrics *m,
				     struct kup_ro_plan *plan, struct kup_error *err);

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double pct(const double *v, int n, double p)
{
	int k;

	if (n <= 0)
		return 0;
	k = (int)ceil(p * n) - 1;
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return v[k];
}

enum kup_status kup_ro_simulate_seeds(const struct kup_ro_scenario *sc,
				      const struct kup_ro_policy *pol, int seeds,
				      struct kup_ro_summary *out, struct kup_error *err)
{
	double *mk;
	int i;
	enum kup_status st = KUP_OK;

	memset(out, 0, sizeof(*out));
	out->policy = pol->name;
	out->seeds = seeds;
	if (seeds < 1)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "--seeds must be 1 or more");
	mk = calloc((size_t)seeds, sizeof(double));
	if (!mk)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	for (i = 0; i < seeds; i++) {
		struct kup_ro_metrics m;
		st = kup_ro_simulate(sc, pol, sc->seed + (uint64_t)i, &m, err);
		if (st != KUP_OK)
			break;
		mk[i] = m.makespan_s;
		out->pdb_violation_s += m.pdb_violation_s;
		out->deficit_pod_s += m.deficit_pod_s;
		out->write_unavailable_s += m.write_unavailable_s;
		if (m.peak_extra_nodes > out->peak_extra_nodes)
			out->peak_extra_nodes = m.peak_extra_nodes;
		out->node_hours += m.node_hours;
		out->double_evictions += m.double_evictions;
		out->stuck_drains += m.stuck_drains;
		out->forced_deletions += m.forced_deletions;
		out->failed_runs += m.failed;
	}
	if (st == KUP_OK) {
		qsort(mk, (size_t)seeds, sizeof(double), cmp_double);
		out->makespan_median = seeds % 2 ? mk[seeds / 2] : (mk[seeds / 2 - 1] + mk[seeds / 2]) / 2;
		out->makespan_p90 = pct(mk, seeds, 0.9);
		out->pdb_violation_s /= seeds;
		out->deficit_pod_s /= seeds;
		out->write_unavailable_s /= seeds;
		out->node_hours /= seeds;
		out->double_evictions /= seeds;
		out->stuck_drains /= seeds;
		out->forced_deletions /= seeds;
		out->estimate_s = kup_ro_estimate(sc, pol);
	}
	free(mk);
	return st;
}

/* ---- estimates -------------------------------------------------------------- */

struct shape {
	int n;              /* old nodes */
	int nz;             /* zones holding nodes */
	double tp, to, ts;  /* provision, drain overhead, pod start (medians) */
	double reboot;
	double retry;
	double drain;       /* a typical node drain: median over nodes of the longest grace */
	double util;        /* node-units of load per old node (max of cpu, memory, pods) */
	double chain;       /* the longest PDB chain */
};

static void shape_of(const struct kup_ro_scenario *sc, struct shape *sh)
{
	struct kup_ro_placement pl;
	struct kup_error err = KUP_ERROR_INIT;
	size_t i, w;
	double *g;
	int64_t cpu = 0, mem = 0, pods = 0, ccap = 0, mcap = 0, pcap = 0;

	memset(sh, 0, sizeof(*sh));
	for (i = 0; i < sc->npools; i++) {
		sh->n += sc->pools[i].nodes;
		ccap += sc->pools[i].cap.cpu_m * sc->pools[i].nodes;
		mcap += sc->pools[i].cap.mem * sc->pools[i].nodes;
		pcap += sc->pools[i].cap.pods * sc->pools[i].nodes;
	}
	sh->nz = (int)(sc->nzones < (size_t)sh->n ? sc->nzones : (size_t)sh->n);
	sh->tp = sc->t.provision.median;
	sh->to = sc->t.drain_overhead.median;
	sh->ts = sc->t.pod_start.median;
	sh->reboot = sc->t.reboot.median;
	sh->retry = sc->t.eviction_retry.median;
	for (w = 0; w < sc->nwls; w++) {
		const struct kup_ro_workload *wl = &sc->wls[w];
		int reps = wl->kind == KUP_RO_DAEMONSET ? sh->n : wl->replicas, budget;
		double per;
		cpu += wl->req.cpu_m * reps;
		mem += wl->req.mem * reps;
		pods += reps;
		if (wl->kind == KUP_RO_DAEMONSET || wl->replicas == 0)
			continue;
		budget = wl->has_pdb ? wl->replicas - kup_ro_pdb_desired_healthy(&wl->pdb, wl->replicas)
				     : wl->replicas;
		if (budget < 1)
			continue;   /* blocked: reported by check */
		per = sh->ts + (wl->kind == KUP_RO_DEPLOYMENT ? 0 : wl->grace);
		if (ceil((double)wl->replicas / budget) * per > sh->chain)
			sh->chain = ceil((double)wl->replicas / budget) * per;
	}
	sh->util = fmax(fmax((double)cpu / (double)(ccap ? ccap : 1),
			     (double)mem / (double)(mcap ? mcap : 1)),
			(double)pods / (double)(pcap ? pcap : 1));
	sh->drain = 30;
	if (kup_ro_place(sc, &pl, &err) == KUP_OK && pl.nnodes) {
		g = calloc(pl.nnodes, sizeof(double));
		if (g) {
			for (i = 0; i < pl.npods; i++) {
				int nd = pl.pod_node[i];
				if (nd >= 0 && sc->wls[pl.pod_wl[i]].grace > g[nd])
					g[nd] = sc->wls[pl.pod_wl[i]].grace;
			}
			qsort(g, pl.nnodes, sizeof(double), cmp_double);
			sh->drain = g[pl.nnodes / 2];
			free(g);
		}
		kup_ro_placement_release(&pl);
	}
	kup_error_release(&err);
}

static int ival(const struct kup_ro_intpct *v, int of, bool up)
{
	if (!v->set)
		return 0;
	if (!v->pct)
		return (int)v->value;
	return up ? (int)((v->value * of + 99) / 100) : (int)(v->value * of / 100);
}

/*
 * Fluid capacity bound: every old node carries `util` node-units of load,
 * replacements may only land on new nodes; start with S surge slots; each
 * round provisions what the slots allow, drains what the new room holds,
 * and frees the drained nodes' slots.  The pool ends with n new nodes.
 */
static double capacity_bound(const struct shape *sh, int surge)
{
	double t = 0, room = 0, old = sh->n, made = 0, slots = surge, u = sh->util;
	int rounds = 0;

	if (surge < 1 || u <= 0)
		return 0;
	while (old > 0.5 && rounds < 100000) {
		double c = fmin(slots, sh->n - made), d;
		t += sh->tp;
		made += c;
		slots -= c;
		room += c;
		d = fmin(old, floor(room / u + 1e-9));
		if (d < 1 && c < 1)
			break;
		room -= d * u;
		old -= d;
		slots += d;
		t += sh->drain + sh->to;
		rounds++;
	}
	if (made < sh->n - 0.5)
		t += sh->tp;   /* the last replacements */
	return t;
}

double kup_ro_lower_bound(const struct kup_ro_scenario *sc)
{
	struct shape sh;
	double lb, cap;
	int surge;

	shape_of(sc, &sh);
	surge = sc->max_surge >= 0 ? sc->max_surge : sh.n;
	cap = capacity_bound(&sh, surge);
	lb = sh.tp + sh.drain + sh.to;
	if (cap > lb)
		lb = cap;
	if (sh.tp + sh.chain + sh.to > lb)
		lb = sh.tp + sh.chain + sh.to;
	return lb;
}

double kup_ro_estimate(const struct kup_ro_scenario *sc, const struct kup_ro_policy *pol)
{
	struct shape sh;
	double per, n;
	int s, u, p;

	shape_of(sc, &sh);
	n = sh.n;
	s = ival(&pol->max_surge, sh.n, true);
	u = ival(&pol->max_unavailable, sh.n, false);
	per = sh.drain + sh.to + pol->post_cordon;
	switch (pol->mode) {
	case KUP_RO_MODE_SLOTS:
		if (pol->in_place)
			return ceil(n / (u > 0 ? u : 1)) * (per + sh.reboot);
		p = s + u;
		if (pol->parallel_cap > 0 && p > pol->parallel_cap)
			p = pol->parallel_cap;
		if (p < 1)
			p = 1;
		return ceil(n / p) * (sh.tp + per);
	case KUP_RO_MODE_ASG:
		return sh.tp + ceil(n / (u > 0 ? u : 1)) * per;
	case KUP_RO_MODE_BATCH:
		if (s < 1)
			s = 1;
		return sh.tp + ceil(n / s) * (per + sh.tp) - sh.tp;
	case KUP_RO_MODE_BLUE_GREEN:
		if (sc->max_surge >= 0 && sc->max_surge < sh.n)
			return 0;   /* the green pool does not fit: fails at once */
		return sh.tp + ceil(n / (pol->batch_nodes > 0 ? pol->batch_nodes : 1)) *
		       (per + pol->batch_soak) + pol->pool_soak;
	case KUP_RO_MODE_KARPENTER: {
		int b = ival(&pol->max_unavailable, sh.n, true);
		double cycle = sh.tp + per;
		if (b < 1)
			b = 1;
		/* one command per poll, at most b in flight, each lasting one cycle */
		return fmax(n * pol->poll, ceil(n / b) * cycle) + cycle - pol->poll;
	}
	case KUP_RO_MODE_KUPGRADE:
		return kup_ro_lower_bound(sc);
	}
	return 0;
}

/* ---- check ---------------------------------------------------------------------- */

static void add(struct kup_ro_findings *f, enum kup_ro_severity sev, const char *code,
		const char *object, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static char *dup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

static void add(struct kup_ro_findings *f, enum kup_ro_severity sev, const char *code,
		const char *object, const char *fmt, ...)
{
	struct kup_buf b = KUP_BUF_INIT;
	va_list ap;

	if (f->n == f->cap && !kup_grow(&f->v, &f->cap, f->n + 1, sizeof(*f->v), 8))
		return;
	va_start(ap, fmt);
	kup_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	f->v[f->n].sev = sev;
	f->v[f->n].code = code;
	f->v[f->n].object = object ? dup(object) : NULL;
	f->v[f->n].msg = kup_buf_detach(&b, NULL);
	f->n++;
}

static const char *kind_name(enum kup_ro_kind k)
{
	switch (k) {
	case KUP_RO_DEPLOYMENT: return "Deployment";
	case KUP_RO_STATEFULSET: return "StatefulSet";
	case KUP_RO_DAEMONSET: return "DaemonSet";
	case KUP_RO_DATABASE: return "ReplicatedDatabase";
	}
	return "?";
}

enum kup_status kup_ro_check(const struct kup_ro_scenario *sc, struct kup_ro_findings *out)
{
	struct kup_ro_placement pl;
	struct kup_error err = KUP_ERROR_INIT;
	char obj[256];
	size_t w, z, i;
	int *zold;
	int n = 0;
	enum kup_status st;

	memset(out, 0, sizeof(*out));
	for (w = 0; w < sc->nwls; w++) {
		const struct kup_ro_workload *wl = &sc->wls[w];
		int desired, healthy;
		snprintf(obj, sizeof(obj), "%s %s", kind_name(wl->kind), wl->name);
		if (wl->kind == KUP_RO_DAEMONSET || wl->replicas == 0)
			continue;
		if (wl->has_pdb) {
			desired = kup_ro_pdb_desired_healthy(&wl->pdb, wl->replicas);
			healthy = wl->replicas - wl->unready;
			if (wl->pdb.min_available.set && desired >= wl->replicas)
				add(out, KUP_RO_BLOCK, "min-available-ge-replicas", obj,
				    "minAvailable %s%lld%s needs %d of %d replicas: the PDB allows 0 "
				    "disruptions and every drain of its nodes stops",
				    "", (long long)wl->pdb.min_available.value,
				    wl->pdb.min_available.pct ? "%" : "", desired, wl->replicas);
			else if (desired >= wl->replicas)
				add(out, KUP_RO_BLOCK, "pdb-zero-disruptions", obj,
				    "maxUnavailable %lld%s: the PDB allows 0 disruptions and every drain "
				    "of its nodes stops", (long long)wl->pdb.max_unavailable.value,
				    wl->pdb.max_unavailable.pct ? "%" : "");
			else if (wl->unready > 0 && !wl->pdb.always_allow && healthy <= desired)
				add(out, KUP_RO_BLOCK, "unready-if-healthy-budget", obj,
				    "%d of %d pods are not Ready and unhealthyPodEvictionPolicy is "
				    "IfHealthyBudget: %d healthy <= %d required, no pod can be evicted "
				    "(set AlwaysAllow or fix the pods)", wl->unready, wl->replicas,
				    healthy, desired);
			else if (wl->unready > 0 && !wl->pdb.always_allow)
				add(out, KUP_RO_WARN, "unready-if-healthy-budget", obj,
				    "%d pods are not Ready under IfHealthyBudget: they use up the budget",
				    wl->unready);
		}
		if (wl->replicas == 1 && !wl->has_pdb)
			add(out, KUP_RO_WARN, "single-replica", obj,
			    "1 replica and no PDB: downtime on every drain of its node%s",
			    wl->kind == KUP_RO_DEPLOYMENT ? " (kupgrade starts the replacement first)"
							  : " (a StatefulSet pod is replaced only after the "
							    "old one is gone)");
	}
	/* surge and zones */
	zold = calloc(sc->nzones, sizeof(int));
	if (!zold)
		return KUP_NOMEM;
	for (i = 0; i < sc->npools; i++) {
		int k;
		for (k = 0; k < sc->pools[i].nodes; k++)
			zold[(size_t)k % sc->nzones]++;
		n += sc->pools[i].nodes;
	}
	if (sc->max_surge == 0)
		add(out, KUP_RO_BLOCK, "surge-beyond-limits", "limits",
		    "maxSurgeNodes is 0: no node can be added, the roll needs surge capacity "
		    "(or an in-place policy)");
	for (z = 0; z < sc->nzones; z++) {
		snprintf(obj, sizeof(obj), "zone %s", sc->zones[z]);
		if (zold[z] > 0 && sc->zone_cap[z] >= 0 && sc->zone_cap[z] <= zold[z])
			add(out, KUP_RO_BLOCK, "zone-without-room", obj,
			    "zoneCapacity %d with %d nodes already there: no room for a surge node "
			    "in this zone", sc->zone_cap[z], zold[z]);
	}
	for (i = 0; i < kup_ro_policy_count(); i++) {
		const struct kup_ro_policy *p = kup_ro_policy_at(i);
		int need = 0, nz = 0;
		for (z = 0; z < sc->nzones; z++)
			nz += zold[z] > 0;
		switch (p->mode) {
		case KUP_RO_MODE_ASG:
			need = 2 * nz > ival(&p->max_unavailable, n, false) ? 2 * nz
				: ival(&p->max_unavailable, n, false);
			break;
		case KUP_RO_MODE_BLUE_GREEN:
			need = n;
			break;
		case KUP_RO_MODE_SLOTS:
		case KUP_RO_MODE_BATCH:
			need = ival(&p->max_surge, n, true);
			break;
		default:
			break;
		}
		if (sc->max_surge >= 0 && need > sc->max_surge) {
			snprintf(obj, sizeof(obj), "policy %s", p->name);
			add(out, KUP_RO_INFO, "surge-beyond-limits", obj,
			    "needs %d surge nodes, limits.maxSurgeNodes is %d", need, sc->max_surge);
		}
	}
	free(zold);
	st = kup_ro_place(sc, &pl, &err);
	if (st == KUP_OK) {
		if (pl.unplaced)
			add(out, KUP_RO_BLOCK, "capacity", "pools",
			    "%zu pods do not fit on the nodes before the roll starts", pl.unplaced);
		kup_ro_placement_release(&pl);
	}
	kup_error_release(&err);
	return st;
}

void kup_ro_findings_release(struct kup_ro_findings *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].object);
		free(f->v[i].msg);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* ---- plan ------------------------------------------------------------------------ */

enum kup_status kup_ro_plan(const struct kup_ro_scenario *sc, struct kup_ro_plan *out,
			    struct kup_error *err)
{
	const struct kup_ro_policy *pol = kup_ro_policy_find("kupgrade");

	memset(out, 0, sizeof(*out));
	return kup_ro_simulate_plan(sc, pol, sc->seed, &out->m, out, err);
}

void kup_ro_plan_release(struct kup_ro_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].nodes);
	free(p->v);
	memset(p, 0, sizeof(*p));
}
