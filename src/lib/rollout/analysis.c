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
#include "rollout/rng.h"
#include "rollout/sim.h"


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
				      const struct kup_ro_policy *pol, const struct kup_ro_opts *opts,
				      int seeds, struct kup_ro_summary *out, struct kup_error *err)
{
	static const struct kup_ro_opts none;

	double *mk, *lb, *rt;
	int i;
	enum kup_status st = KUP_OK;

	memset(out, 0, sizeof(*out));
	if (!opts)
		opts = &none;
	out->policy = pol->name;
	out->seeds = seeds;
	out->equal = opts->equal || pol->mode == KUP_RO_MODE_KUPGRADE;
	out->min_ready_nodes = -1;
	if (seeds < 1)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "--seeds must be 1 or more");
	mk = kup_calloc((size_t)seeds * 3, sizeof(double));
	if (!mk)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	lb = mk + seeds;
	rt = lb + seeds;
	for (i = 0; i < seeds; i++) {
		struct kup_ro_metrics m;
		st = kup_ro_simulate_opts(sc, pol, opts, sc->seed + (uint64_t)i, &m, err);
		if (st != KUP_OK)
			break;
		if (opts->on_seed)
			opts->on_seed(opts->ctx, i + 1, seeds);
		mk[i] = m.makespan_s;
		lb[i] = kup_ro_lower_bound_opts(sc, sc->seed + (uint64_t)i, opts->pre_scale);
		rt[i] = lb[i] > 0 ? m.makespan_s / lb[i] : 0;
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
		if (m.peak_unavailable_nodes > out->peak_unavailable_nodes)
			out->peak_unavailable_nodes = m.peak_unavailable_nodes;
		if (out->min_ready_nodes < 0 || m.min_ready_nodes < out->min_ready_nodes)
			out->min_ready_nodes = m.min_ready_nodes;
		out->extra_pod_starts += m.extra_pod_starts;
		if (!out->blocker)
			out->blocker = m.blocker;
		if (!out->fail_reason)
			out->fail_reason = m.fail_reason;
	}
	if (st == KUP_OK) {
		qsort(mk, (size_t)seeds, sizeof(double), cmp_double);
		out->makespan_median = seeds % 2 ? mk[seeds / 2] : (mk[seeds / 2 - 1] + mk[seeds / 2]) / 2;
		out->makespan_p90 = pct(mk, seeds, 0.9);
		qsort(lb, (size_t)seeds, sizeof(double), cmp_double);
		qsort(rt, (size_t)seeds, sizeof(double), cmp_double);
		out->lower_bound_median = seeds % 2 ? lb[seeds / 2] : (lb[seeds / 2 - 1] + lb[seeds / 2]) / 2;
		out->ratio_lb_median = seeds % 2 ? rt[seeds / 2] : (rt[seeds / 2 - 1] + rt[seeds / 2]) / 2;
		out->pdb_violation_s /= seeds;
		out->deficit_pod_s /= seeds;
		out->write_unavailable_s /= seeds;
		out->node_hours /= seeds;
		out->double_evictions /= seeds;
		out->stuck_drains /= seeds;
		out->forced_deletions /= seeds;
		out->extra_pod_starts /= seeds;
		if (opts->equal && !opts->keep_knobs) {
			struct kup_ro_policy at;
			kup_ro_policy_at_budget(pol, sc, &at);
			out->estimate_s = kup_ro_estimate(sc, &at);
		} else {
			out->estimate_s = kup_ro_estimate(sc, pol);
		}
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
	double dmin, davg, dmax;  /* shortest, mean, longest node drain (longest grace on it) */
	double flong;       /* share of nodes whose drain is above the mean */
	double *g;          /* every node's drain (longest grace on it), ascending; malloc'd */
	double util;        /* node-units of load per old node (max of cpu, memory, pods) */
	double chain;       /* the longest PDB chain */
};

static void shape_of(const struct kup_ro_scenario *sc, struct shape *sh, bool keep_g)
{
	struct kup_ro_placement pl;
	struct kup_error err = KUP_ERROR_INIT;
	size_t i, w;
	double *g;
	double cpu = 0, mem = 0, pods = 0, ccap = 0, mcap = 0, pcap = 0;
	double dcpu = 0, dmem = 0, dpods = 0;

	memset(sh, 0, sizeof(*sh));
	for (w = 0; w < sc->nwls; w++) {
		const struct kup_ro_workload *wl = &sc->wls[w];
		if (wl->kind != KUP_RO_DAEMONSET)
			continue;
		dcpu += (double)wl->req.cpu_m;
		dmem += (double)wl->req.mem;
		dpods += 1;
	}
	for (i = 0; i < sc->npools; i++) {
		sh->n += sc->pools[i].nodes;
		ccap += ((double)sc->pools[i].cap.cpu_m - dcpu) * sc->pools[i].nodes;
		mcap += ((double)sc->pools[i].cap.mem - dmem) * sc->pools[i].nodes;
		pcap += ((double)sc->pools[i].cap.pods - dpods) * sc->pools[i].nodes;
	}
	sh->nz = (int)(sc->nzones < (size_t)sh->n ? sc->nzones : (size_t)sh->n);
	sh->tp = sc->t.provision.median;
	sh->to = sc->t.drain_overhead.median;
	sh->ts = sc->t.pod_start.median;
	sh->reboot = sc->t.reboot.median;
	sh->retry = sc->t.eviction_retry.median;
	for (w = 0; w < sc->nwls; w++) {
		const struct kup_ro_workload *wl = &sc->wls[w];
		if (wl->kind == KUP_RO_DAEMONSET)
			continue;
		cpu += (double)wl->req.cpu_m * wl->replicas;
		mem += (double)wl->req.mem * wl->replicas;
		pods += wl->replicas;
	}
	sh->util = fmax(fmax(cpu / (ccap > 0 ? ccap : 1), mem / (mcap > 0 ? mcap : 1)),
			pods / (pcap > 0 ? pcap : 1));
	sh->drain = sh->dmin = sh->davg = sh->dmax = 30;
	if (kup_ro_place(sc, &pl, &err) == KUP_OK && pl.nnodes) {
		g = kup_calloc(pl.nnodes, sizeof(double));
		if (g) {
			for (i = 0; i < pl.npods; i++) {
				int nd = pl.pod_node[i];
				if (nd >= 0 && sc->wls[pl.pod_wl[i]].grace > g[nd])
					g[nd] = sc->wls[pl.pod_wl[i]].grace;
			}
			qsort(g, pl.nnodes, sizeof(double), cmp_double);
			sh->drain = g[pl.nnodes / 2];
			sh->dmin = g[0];
			sh->dmax = g[pl.nnodes - 1];
			for (i = 0; i < pl.nnodes; i++)
				sh->davg += g[i];
			sh->davg /= (double)pl.nnodes;
			for (i = 0; i < pl.nnodes; i++)
				sh->flong += g[i] > sh->davg;
			sh->flong /= (double)pl.nnodes;
			if (keep_g)
				sh->g = g;
			else
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
 * Fluid capacity bound for one seed: load is divisible, every old node
 * carries `util` node-units, a drain takes the shortest drain of any node
 * plus the drain overhead, and the k-th node requested is Ready after the
 * k-th provisioning draw (the simulator's own stream, so any policy's k-th
 * request gets the same time).  At most S surge slots; a drained node
 * frees its slot; at most (new nodes Ready + M) old nodes taken out.  Done
 * when no old node is left and n new nodes are Ready.
 */
static double fluid_bound(const struct kup_ro_scenario *sc, const struct shape *sh, int surge,
			  uint64_t seed)
{
	double *ready = NULL, room = 0, old = sh->n, u = sh->util, t = 0, dt = 1.0;
	double *fin_t = NULL;
	int *fin_n = NULL, nfin = 0, fhead = 0;
	int slots = surge, k = 0, arrived = 0, n = sh->n, steps = 0;
	size_t npend = 0;

	if (surge < 1 || u <= 0)
		return 0;
	ready = kup_malloc(((size_t)n + 1) * sizeof(double));
	fin_t = kup_malloc(((size_t)n + 1) * sizeof(double));
	fin_n = kup_malloc(((size_t)n + 1) * sizeof(int));
	if (!ready || !fin_t || !fin_n)
		goto out;
	for (;;) {
		size_t i, keep = 0;
		while (slots > 0 && k < n) {
			ready[npend++] = t + kup_rs_draw(&sc->t.provision, seed, KUP_RS_PROVISION, (uint64_t)k);
			k++;
			slots--;
		}
		for (i = 0; i < npend; i++) {
			if (ready[i] <= t) {
				room += 1;
				arrived++;
			} else {
				ready[keep++] = ready[i];
			}
		}
		npend = keep;
		if (old > 0) {
			double d = fmin(old, floor(room / u + 1e-9));
			int j;
			/*
			 * maxUnavailableNodes M: an old node taken out needs a Ready
			 * new node in its place beyond M, so at most arrived + M old
			 * nodes are out at any time
			 */
			if (sc->max_unavailable >= 0)
				d = fmin(d, fmax(0, arrived + sc->max_unavailable - (sh->n - old)));
			room -= d * u;
			for (j = 0; j < (int)d; j++) {
				/* shortest drains first: the slots come back soonest */
				int idx = sh->n - (int)old;
				double g = sh->g ? sh->g[idx] : sh->dmin;
				fin_t[nfin] = t + g + sh->to;
				fin_n[nfin++] = 1;
				old -= 1;
			}
		}
		while (fhead < nfin && fin_t[fhead] <= t)
			slots += fin_n[fhead++];
		if (old <= 0 && arrived >= n && fhead == nfin)
			break;
		if (++steps > 10000000)
			break;
		t += dt;
	}
out:
	free(ready);
	free(fin_t);
	free(fin_n);
	return t;
}

/*
 * The longest chain a PDB forces on pods replaced only after the old one is
 * gone (StatefulSet, ReplicatedDatabase): with budget b, ceil(R / b) waves
 * of grace + pod start, the pod starts being this seed's draws for those
 * slots (each slot's second start).  A Deployment's replacement is
 * created when the old pod is evicted and counts as healthy only once
 * Ready, so without temporary scale-ups its PDB forces a chain too: b
 * evictions in flight, each waiting for its replacement's start; the b
 * last evictions wait for nothing.  With pre_scale (replacements started
 * before the eviction) Deployments add no chain.
 */
static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y) - (x > y);
}

static double chain_bound(const struct kup_ro_scenario *sc, uint64_t seed, bool pre_scale)
{
	double *starts = NULL;
	size_t cap = 0;
	size_t w;
	int base = 0;
	double best = 0;

	for (w = 0; w < sc->nwls; w++) {
		const struct kup_ro_workload *wl = &sc->wls[w];
		int r, budget;
		double sum = 0, smax = 0;
		if (wl->kind == KUP_RO_DAEMONSET)
			continue;
		if ((wl->kind == KUP_RO_DEPLOYMENT && (pre_scale || wl->unready > 0)) || !wl->has_pdb) {
			base += wl->replicas;
			continue;
		}
		budget = wl->replicas - kup_ro_pdb_desired_healthy(&wl->pdb, wl->replicas);
		if (budget < 1) {
			base += wl->replicas;
			continue;
		}
		if (wl->kind == KUP_RO_DEPLOYMENT) {
			if (budget < wl->replicas &&
			    kup_grow(&starts, &cap, (size_t)wl->replicas, sizeof(double), 64)) {
				for (r = 0; r < wl->replicas; r++)
					starts[r] = kup_rs_draw(&sc->t.pod_start, seed, KUP_RS_POD_START,
								((uint64_t)(base + r) << 20) | 2u);
				qsort(starts, (size_t)wl->replicas, sizeof(double), cmp_desc);
				for (r = budget; r < wl->replicas; r++)
					sum += starts[r];
				if (sum / budget > best)
					best = sum / budget;
			}
			base += wl->replicas;
			continue;
		}
		for (r = 0; r < wl->replicas; r++) {
			double st = kup_rs_draw(&sc->t.pod_start, seed, KUP_RS_POD_START,
						((uint64_t)(base + r) << 20) | 2u);
			sum += wl->grace + st;
			if (st > smax)
				smax = st;
		}
		/* the last wave ends when its pods are gone, not Ready */
		sum = (sum - smax) / budget;
		if (sum > best)
			best = sum;
		base += wl->replicas;
	}
	free(starts);
	return best;
}

double kup_ro_lower_bound(const struct kup_ro_scenario *sc, uint64_t seed)
{
	return kup_ro_lower_bound_opts(sc, seed, false);
}

double kup_ro_lower_bound_opts(const struct kup_ro_scenario *sc, uint64_t seed, bool pre_scale)
{
	double chain = chain_bound(sc, seed, pre_scale);
	struct shape sh;
	double lb, first = 1e300;
	int surge, k;

	shape_of(sc, &sh, true);
	surge = sc->max_surge >= 0 ? sc->max_surge : sh.n;
	if (surge > sh.n)
		surge = sh.n;
	for (k = 0; k < surge; k++) {
		double d = kup_rs_draw(&sc->t.provision, seed, KUP_RS_PROVISION, (uint64_t)k);
		if (d < first)
			first = d;
	}
	if (surge < 1)
		first = 0;
	lb = fluid_bound(sc, &sh, surge, seed);
	if (first + chain + sh.to > lb)
		lb = first + chain + sh.to;
	free(sh.g);
	return lb;
}

static double mean_of(const struct kup_ro_dist *d)
{
	double sigma;

	if (d->p90 <= d->median || d->median <= 0)
		return d->median;
	sigma = log(d->p90 / d->median) / 1.2815515655446004;
	return d->median * exp(sigma * sigma / 2);
}

/* Expected maximum of k draws, approximated by the k/(k+1) quantile. */
static double max_of(const struct kup_ro_dist *d, int k)
{
	double sigma, p;

	if (d->p90 <= d->median || d->median <= 0 || k <= 1)
		return k <= 1 ? mean_of(d) : d->median;
	sigma = log(d->p90 / d->median) / 1.2815515655446004;
	p = (double)k / (k + 1.0);
	return d->median * exp(sigma * kup_rs_probit(p));
}

/*
 * The PDB chain inside a batch of b of n nodes: a workload with R pods has
 * about R * b / n * (1 + again) of them in the batch (again: the share
 * evicted before onto nodes still to drain); its budget lets `budget` go at a
 * time, each wave waiting for the replacements (pod start, plus the grace
 * period when the replacement waits for the old pod) and half a retry.
 */
static double batch_chain(const struct kup_ro_scenario *sc, int b, int n, double again)
{
	double best = 0, start = mean_of(&sc->t.pod_start), retry = mean_of(&sc->t.eviction_retry);
	size_t w;

	for (w = 0; w < sc->nwls; w++) {
		const struct kup_ro_workload *wl = &sc->wls[w];
		int budget;
		double k, c;
		if (wl->kind == KUP_RO_DAEMONSET || !wl->has_pdb || n <= 0)
			continue;
		budget = wl->replicas - kup_ro_pdb_desired_healthy(&wl->pdb, wl->replicas);
		if (budget < 1)
			continue;
		k = (double)wl->replicas * b / n * (1 + again);
		if (k > wl->replicas)
			k = wl->replicas;
		c = ceil(k / budget) * (start + retry / 2 + (wl->kind == KUP_RO_DEPLOYMENT ? 0 : wl->grace));
		if (c > best)
			best = c;
	}
	return best;
}

/*
 * Back-of-the-envelope makespans from a policy's parameters (docs/rollout.md):
 * sequential steps add means (provision mean = median * exp(sigma^2 / 2));
 * a batch waits for its slowest member (the k/(k+1) quantile of k draws);
 * a node's drain is its longest grace period (mean over nodes, or the
 * longest when a batch is large enough to hold one); PDB waits count only
 * inside batches (batch_chain), where many pods of one workload go at once.
 */
double kup_ro_estimate(const struct kup_ro_scenario *sc, const struct kup_ro_policy *pol)
{
	struct shape sh;
	double n, tp, tr, per;
	int s, u, p, nz, z;

	shape_of(sc, &sh, false);
	n = sh.n;
	tp = mean_of(&sc->t.provision);
	tr = mean_of(&sc->t.reboot);
	s = ival(&pol->max_surge, sh.n, true);
	u = ival(&pol->max_unavailable, sh.n, false);
	per = sh.davg + mean_of(&sc->t.drain_overhead) + pol->post_cordon;
	for (nz = 0, z = 0; z < (int)sc->nzones; z++)
		nz += (size_t)z < (size_t)sh.n;
	switch (pol->mode) {
	case KUP_RO_MODE_SLOTS:
		if (pol->in_place)
			return ceil(n / (u > 0 ? u : 1)) * (per + tr);
		p = s + u;
		if (pol->parallel_cap > 0 && p > pol->parallel_cap)
			p = pol->parallel_cap;
		if (p < 1)
			p = 1;
		return ceil(n / p) * (tp + per);
	case KUP_RO_MODE_ASG: {
		int want = 2 * nz > u ? 2 * nz : u;
		if (sc->max_surge >= 0 && want > sc->max_surge)
			want = sc->max_surge;
		/* wait for the slowest of the first new nodes, then one node at a time */
		return max_of(&sc->t.provision, want) + ceil(n / (u > 0 ? u : 1)) * per;
	}
	case KUP_RO_MODE_BATCH: {
		double rounds, dbatch;
		s += u;   /* surge + unavailable nodes drained per set */
		if (s < 1)
			s = 1;
		rounds = ceil(n / s);
		dbatch = sh.davg + (sh.dmax - sh.davg) * (1 - pow(1 - sh.flong, s));
		/*
		 * Old nodes stay schedulable: evicted pods land on them in the
		 * share of free room they hold mid-roll, and are evicted again in
		 * a later batch, lengthening its chains by that share.
		 */
		{
			double oldfree = (1 - sh.util) * (n - s) / 2;
			double f = oldfree / (oldfree + s);
			dbatch = fmax(dbatch, batch_chain(sc, s, sh.n, f));
		}
		/* surge, then per round: drain the batch, reimage (the last round deletes) */
		return max_of(&sc->t.provision, s) +
		       rounds * (dbatch + mean_of(&sc->t.drain_overhead)) +
		       (rounds - 1) * max_of(&sc->t.provision, s);
	}
	case KUP_RO_MODE_BLUE_GREEN:
		if (sc->max_surge >= 0 && sc->max_surge < sh.n)
			return 0;   /* the green pool does not fit: fails at once */
		return max_of(&sc->t.provision, sh.n) +
		       ceil(n / (pol->batch_nodes > 0 ? pol->batch_nodes : 1)) *
		       (per + pol->batch_soak) + pol->pool_soak;
	case KUP_RO_MODE_KARPENTER: {
		int b = ival(&pol->max_unavailable, sh.n, true);
		double cycle = tp + per;
		if (b < 1)
			b = 1;
		/*
		 * the next command at once after one succeeds, at most b in
		 * flight, each lasting one cycle; a freed slot waits for the next
		 * poll (half a period on average)
		 */
		return ceil(n / b) * (cycle + pol->poll / 2);
	}
	case KUP_RO_MODE_KUPGRADE:
		return kup_ro_lower_bound(sc, sc->seed);
	}
	return 0;
}

/* ---- check ---------------------------------------------------------------------- */

static void add(struct kup_ro_findings *f, enum kup_ro_severity sev, const char *code,
		const char *object, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

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
	f->v[f->n].object = object ? kup_strdup(object) : NULL;
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
	zold = kup_calloc(sc->nzones, sizeof(int));
	if (!zold)
		return KUP_NOMEM;
	for (i = 0; i < sc->npools; i++) {
		int k;
		for (k = 0; k < sc->pools[i].nodes; k++)
			zold[sc->pools[i].member_zone ? (size_t)sc->pools[i].member_zone[k] :
			     (size_t)k % sc->nzones]++;
		n += sc->pools[i].nodes;
	}
	if (sc->max_surge < 0 && sc->max_unavailable < 0)
		add(out, KUP_RO_WARN, "no-limits", "limits",
		    "the scenario has no limits: kupgrade may surge up to the pool size and policies "
		    "are compared at unequal budgets; set limits.maxSurgeNodes and "
		    "limits.maxUnavailableNodes (or --max-surge, --max-unavailable)");
	else if (sc->max_unavailable < 0)
		add(out, KUP_RO_INFO, "no-max-unavailable", "limits",
		    "limits.maxUnavailableNodes is not set: nothing bounds how many nodes are "
		    "cordoned or draining at once");
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
	return kup_ro_simulate_plan(sc, pol, NULL, sc->seed, &out->m, out, err);
}

void kup_ro_plan_release(struct kup_ro_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].nodes);
	free(p->v);
	memset(p, 0, sizeof(*p));
}
