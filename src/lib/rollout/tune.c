/*
 * tune.c - `rollout tune`: a search over one provider's own upgrade knobs
 * within the budget, every candidate simulated over the seeds with the
 * budget enforced; the provider's command for the setting found.
 */
#include <stdio.h>
#include <string.h>

#include "kupgrade/kbrules.h"
#include "kupgrade/rollout.h"

const char *const kup_ro_tune_providers[] = {
	"eks", "gke", "aks", "capi", "karpenter", "openshift", NULL,
};

static struct kup_ro_intpct count(int v)
{
	struct kup_ro_intpct x = { true, false, v };

	return x;
}

/*
 * Candidate values lo..hi: every value up to lo + 3, then about x1.5 steps,
 * and hi itself; at most KUP_TUNE_MAX values.
 */
#define KUP_TUNE_MAX 16
static int candidates(int lo, int hi, int *v)
{
	int n = 0, x = lo;

	if (hi < lo)
		return 0;
	while (x <= hi && n < KUP_TUNE_MAX - 1) {
		v[n++] = x;
		x = x < lo + 3 ? x + 1 : x + (x + 1) / 2;
	}
	if (v[n - 1] != hi)
		v[n++] = hi;
	return n;
}

/*
 * x (the provider's documented default, as a count on this pool) joins the
 * sorted candidates v[0..n) when it lies in lo..hi and is not there yet, so
 * the search always tries the default within the budget (the x1.5 steps
 * can skip it: Karpenter's 10% of 300 nodes is 30, between 28 and 42).
 * v has room for KUP_TUNE_MAX + 1 values.
 */
static int with_default(int *v, int n, int x, int lo, int hi)
{
	int i, j;

	if (x < lo || x > hi)
		return n;
	for (i = 0; i < n && v[i] < x; i++)
		;
	if (i < n && v[i] == x)
		return n;
	for (j = n; j > i; j--)
		v[j] = v[j - 1];
	v[i] = x;
	return n + 1;
}

static int knob(const struct kup_ro_intpct *v, int of, bool up);

static int pool_nodes(const struct kup_ro_scenario *sc)
{
	size_t i;
	int n = 0;

	for (i = 0; i < sc->npools; i++)
		n += sc->pools[i].nodes;
	return n;
}

/* Whether summary a is a better tuned result than b (NULL: none yet). */
static bool better(const struct kup_ro_summary *a, const struct kup_ro_summary *b)
{
	if (!b)
		return true;
	if (a->makespan_median != b->makespan_median)
		return a->makespan_median < b->makespan_median;
	return a->peak_extra_nodes < b->peak_extra_nodes;
}

/* progress: the setting being simulated and its seed */
struct tune_prog {
	void (*fn)(void *ctx, int setting, int seed, int seeds, double best_s);
	void *ctx;
	const struct kup_ro_tune *out;
	bool defaults;      /* simulating the documented defaults (setting 0) */
};

static void tune_on_seed(void *ctx, int done, int seeds)
{
	const struct tune_prog *tp = ctx;

	if (tp->fn)
		tp->fn(tp->ctx, tp->defaults ? 0 : tp->out->tried + 1, done, seeds,
		       tp->out->found ? tp->out->tuned_sum.makespan_median : -1);
}

static enum kup_status try_one(const struct kup_ro_scenario *sc, const struct kup_ro_policy *p,
			       struct kup_ro_tune *out, struct tune_prog *tp, struct kup_error *err)
{
	struct kup_ro_opts opts = { true, false, true, tune_on_seed, tp };
	struct kup_ro_summary sum;
	enum kup_status st;

	st = kup_ro_simulate_seeds(sc, p, &opts, out->seeds, &sum, err);
	if (st != KUP_OK)
		return st;
	out->tried++;
	if (sum.failed_runs || sum.pdb_violation_s > 0 ||
	    sum.peak_unavailable_nodes > sc->max_unavailable || sum.peak_extra_nodes > sc->max_surge)
		return KUP_OK;
	if (better(&sum, out->found ? &out->tuned_sum : NULL)) {
		out->found = true;
		out->tuned = *p;
		out->tuned_sum = sum;
	}
	return KUP_OK;
}

enum kup_status kup_ro_tune(const struct kup_ro_scenario *sc, const char *provider, int seeds,
			    struct kup_ro_tune *out, struct kup_error *err)
{
	return kup_ro_tune_progress(sc, provider, seeds, NULL, NULL, out, err);
}

enum kup_status kup_ro_tune_progress(const struct kup_ro_scenario *sc, const char *provider, int seeds,
				     void (*progress)(void *ctx, int setting, int seed, int seeds,
						      double best_s),
				     void *ctx, struct kup_ro_tune *out, struct kup_error *err)
{
	const char *name = provider;
	const struct kup_ro_policy *base;
	struct tune_prog tp = { progress, ctx, out, true };
	struct kup_ro_opts def = { false, false, false, tune_on_seed, &tp };
	int s_max = sc->max_surge, m_max = sc->max_unavailable, n0 = pool_nodes(sc);
	int sv[KUP_TUNE_MAX + 1], uv[KUP_TUNE_MAX + 1], ns, nu, i, j;
	enum kup_status st;

	memset(out, 0, sizeof(*out));
	out->provider = provider;
	out->seeds = seeds;
	name = kup_ro_provider_policy(provider);
	base = kup_ro_policy_find(name);
	if (!base || !provider || strcmp(provider, "kupgrade") == 0 || strcmp(name, "gke-blue-green") == 0)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0,
				     "unknown provider '%s' (eks, gke, aks, capi, karpenter, openshift)",
				     provider ? provider : "");
	if (s_max < 0 || m_max < 0)
		return kup_error_set(err, KUP_INVALID, sc->path, 0, 0,
				     "tune needs a budget: limits.maxSurgeNodes and "
				     "limits.maxUnavailableNodes, or --max-surge and --max-unavailable");
	if (seeds < 1)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "--seeds must be 1 or more");
	out->def = *base;
	st = kup_ro_simulate_seeds(sc, base, &def, seeds, &out->def_sum, err);
	tp.defaults = false;
	if (st != KUP_OK)
		return st;
	if (s_max > n0)
		s_max = n0;
	if (m_max > n0)
		m_max = n0;
	switch (base->mode) {
	case KUP_RO_MODE_SLOTS:
		if (base->in_place) {
			nu = candidates(1, m_max, uv);
			nu = with_default(uv, nu, knob(&base->max_unavailable, n0, false), 1, m_max);
			for (j = 0; j < nu && st == KUP_OK; j++) {
				struct kup_ro_policy p = *base;
				p.max_unavailable = count(uv[j]);
				st = try_one(sc, &p, out, &tp, err);
			}
			break;
		}
		/* fall through */
	case KUP_RO_MODE_BATCH:
		ns = candidates(0, base->parallel_cap > 0 && s_max > base->parallel_cap ?
				base->parallel_cap : s_max, sv);
		nu = candidates(0, base->parallel_cap > 0 && m_max > base->parallel_cap ?
				base->parallel_cap : m_max, uv);
		ns = with_default(sv, ns, knob(&base->max_surge, n0, true), 0, sv[ns - 1]);
		nu = with_default(uv, nu, knob(&base->max_unavailable, n0, false), 0, uv[nu - 1]);
		for (i = 0; i < ns && st == KUP_OK; i++)
			for (j = 0; j < nu && st == KUP_OK; j++) {
				struct kup_ro_policy p = *base;
				if (sv[i] + uv[j] < 1)
					continue;   /* both 0 is rejected by every provider's API */
				p.max_surge = count(sv[i]);
				p.max_unavailable = count(uv[j]);
				st = try_one(sc, &p, out, &tp, err);
			}
		break;
	case KUP_RO_MODE_ASG:
		/* updateConfig.maxUnavailable 1..100 */
		nu = candidates(1, s_max + m_max > 100 ? 100 : s_max + m_max < 1 ? 1 : s_max + m_max, uv);
		nu = with_default(uv, nu, knob(&base->max_unavailable, n0, false), 1, uv[nu - 1]);
		for (j = 0; j < nu && st == KUP_OK; j++) {
			struct kup_ro_policy p = *base;
			p.max_unavailable = count(uv[j]);
			st = try_one(sc, &p, out, &tp, err);
		}
		break;
	case KUP_RO_MODE_KARPENTER:
		nu = candidates(1, s_max + m_max < 1 ? 1 : s_max + m_max, uv);
		/* budget nodes: a percentage rounds up */
		nu = with_default(uv, nu, knob(&base->max_unavailable, n0, true), 1, uv[nu - 1]);
		for (j = 0; j < nu && st == KUP_OK; j++) {
			struct kup_ro_policy p = *base;
			p.max_unavailable = count(uv[j]);
			st = try_one(sc, &p, out, &tp, err);
		}
		break;
	case KUP_RO_MODE_BLUE_GREEN:
	case KUP_RO_MODE_KUPGRADE:
		break;
	}
	if (st == KUP_OK && strcmp(provider, "gke") == 0 && s_max >= n0) {
		/* GKE blue-green: the green pool fits the surge budget */
		const struct kup_ro_policy *bg = kup_ro_policy_find("gke-blue-green");
		nu = candidates(1, n0, uv);
		for (j = 0; bg && j < nu && st == KUP_OK; j++) {
			struct kup_ro_policy p = *bg;
			p.batch_nodes = uv[j];
			st = try_one(sc, &p, out, &tp, err);
		}
	}
	return st;
}

static int knob(const struct kup_ro_intpct *v, int of, bool up)
{
	if (!v->set)
		return 0;
	if (!v->pct)
		return (int)v->value;
	return up ? (int)((v->value * of + 99) / 100) : (int)(v->value * of / 100);
}

void kup_ro_tune_command(const struct kup_ro_tune *t, const char *pool, struct kup_buf *out)
{
	const struct kup_ro_policy *p = &t->tuned;
	int s = knob(&p->max_surge, 100, true), u = knob(&p->max_unavailable, 100, false);

	if (!pool || !*pool)
		pool = "<pool>";
	if (p->setting) {
		/* the provider's own command, from its node_upgrade row in the knowledge base */
		char sb[16], ub[16], bn[16], bs[32];
		struct kup_cmd_vars v;

		memset(&v, 0, sizeof(v));
		snprintf(sb, sizeof(sb), "%d", s);
		snprintf(ub, sizeof(ub), "%d", u);
		snprintf(bn, sizeof(bn), "%d", p->batch_nodes);
		snprintf(bs, sizeof(bs), "%.0f", p->batch_soak);
		v.cluster = "<cluster>";
		v.pool = pool;
		v.surge = sb;
		v.unavailable = ub;
		v.batch_nodes = bn;
		v.batch_soak = bs;
		kup_rules_expand(p->setting, &v, out);
	} else if (strcmp(t->provider, "capi") == 0)
		kup_buf_addf(out, "kubectl patch machinedeployment %s --type merge -p "
			     "'{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
			     "{\"maxSurge\":%d,\"maxUnavailable\":%d}}}}'", pool, s, u);
	else if (strcmp(t->provider, "karpenter") == 0)
		kup_buf_addf(out, "kubectl patch nodepool %s --type merge -p "
			     "'{\"spec\":{\"disruption\":{\"budgets\":[{\"nodes\":\"%d\"}]}}}'", pool, u);
	else if (strcmp(t->provider, "openshift") == 0)
		kup_buf_addf(out, "kubectl patch machineconfigpool %s --type merge -p "
			     "'{\"spec\":{\"maxUnavailable\":%d}}'", pool, u);
}

/* One knob: "name": 3 / "10%" (JSON) or name 3 / 10% (text). */
static void settings_knob(struct kup_buf *out, bool json, const char *sep, const char *name,
			  const struct kup_ro_intpct *v)
{
	long long n = v->set ? (long long)v->value : 0;
	bool pct = v->set && v->pct;

	if (json)
		kup_buf_addf(out, pct ? "%s\"%s\": \"%lld%%\"" : "%s\"%s\": %lld", sep, name, n);
	else
		kup_buf_addf(out, pct ? "%s%s %lld%%" : "%s%s %lld", sep, name, n);
}

void kup_ro_tune_settings(const struct kup_ro_policy *p, bool json, struct kup_buf *out)
{
	if (json)
		kup_buf_adds(out, "{");
	switch (p->mode) {
	case KUP_RO_MODE_SLOTS:
		if (p->in_place) {
			settings_knob(out, json, "", "maxUnavailable", &p->max_unavailable);
			break;
		}
		/* fall through */
	case KUP_RO_MODE_BATCH:
		settings_knob(out, json, "", "maxSurge", &p->max_surge);
		settings_knob(out, json, ", ", "maxUnavailable", &p->max_unavailable);
		break;
	case KUP_RO_MODE_ASG:
		settings_knob(out, json, "", "maxUnavailable", &p->max_unavailable);
		break;
	case KUP_RO_MODE_KARPENTER:
		settings_knob(out, json, "", "budgetNodes", &p->max_unavailable);
		break;
	case KUP_RO_MODE_BLUE_GREEN:
		if (json)
			kup_buf_addf(out, "\"strategy\": \"BLUE_GREEN\", \"batchNodeCount\": %d, "
				     "\"batchSoakDuration\": \"%.0fs\", \"nodePoolSoakDuration\": \"%.0fs\"",
				     p->batch_nodes, p->batch_soak, p->pool_soak);
		else
			kup_buf_addf(out, "strategy BLUE_GREEN, batchNodeCount %d, batchSoakDuration %.0fs, "
				     "nodePoolSoakDuration %.0fs", p->batch_nodes, p->batch_soak, p->pool_soak);
		break;
	case KUP_RO_MODE_KUPGRADE:
		break;
	}
	if (json)
		kup_buf_adds(out, "}");
}
