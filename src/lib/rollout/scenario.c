/*
 * scenario.c - the RolloutScenario reader (YAML or JSON through the shared
 * readers), quantities, PDB arithmetic and the deterministic initial
 * scheduler.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/json.h"
#include "kupgrade/profile.h"
#include "kupgrade/rollout.h"
#include "kupgrade/yaml.h"

#define SCENARIO_MAX_BYTES (64u << 20)
#define MAX_NODES 200000
#define MAX_REPLICAS 1000000

/* ---- quantities ---------------------------------------------------------- */

static bool parse_decimal(const char *s, size_t n, double *out)
{
	char buf[64];
	char *end;
	size_t i;

	if (n == 0 || n >= sizeof(buf))
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && s[i] != '.' && !(i == 0 && s[i] == '+'))
			return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	return errno == 0 && *end == '\0' && isfinite(*out) && *out >= 0;
}

bool kup_ro_parse_cpu(const char *s, int64_t *milli)
{
	size_t n;
	double v;

	if (!s)
		return false;
	n = strlen(s);
	if (n && s[n - 1] == 'm') {
		if (!parse_decimal(s, n - 1, &v) || v > 1e12)
			return false;
		*milli = (int64_t)ceil(v);
		return true;
	}
	if (!parse_decimal(s, n, &v) || v > 1e9)
		return false;
	*milli = (int64_t)ceil(v * 1000.0 - 1e-9);
	return true;
}

bool kup_ro_parse_mem(const char *s, int64_t *bytes)
{
	static const struct { const char *suf; double mul; } sufs[] = {
		{ "Ki", 1024.0 }, { "Mi", 1048576.0 }, { "Gi", 1073741824.0 },
		{ "Ti", 1099511627776.0 }, { "Pi", 1125899906842624.0 },
		{ "k", 1e3 }, { "M", 1e6 }, { "G", 1e9 }, { "T", 1e12 }, { "P", 1e15 },
		{ "m", 1e-3 },
	};
	size_t n, i;
	double v;

	if (!s)
		return false;
	n = strlen(s);
	for (i = 0; i < sizeof(sufs) / sizeof(sufs[0]); i++) {
		size_t k = strlen(sufs[i].suf);
		if (n > k && memcmp(s + n - k, sufs[i].suf, k) == 0) {
			if (!parse_decimal(s, n - k, &v) || v * sufs[i].mul > 9e18)
				return false;
			*bytes = (int64_t)ceil(v * sufs[i].mul - 1e-9);
			return true;
		}
	}
	if (!parse_decimal(s, n, &v) || v > 9e18)
		return false;
	*bytes = (int64_t)ceil(v);
	return true;
}

/* ---- PDB arithmetic -------------------------------------------------------- */

static int scaled(const struct kup_ro_intpct *v, int expected)
{
	if (!v->pct)
		return (int)v->value;
	/* Kubernetes GetScaledValueFromIntOrPercent(..., roundUp=true) */
	return (int)((v->value * expected + 99) / 100);
}

int kup_ro_pdb_desired_healthy(const struct kup_ro_pdb *pdb, int expected)
{
	int d;

	if (pdb->min_available.set)
		d = scaled(&pdb->min_available, expected);
	else if (pdb->max_unavailable.set)
		d = expected - scaled(&pdb->max_unavailable, expected);
	else
		d = 0;
	return d < 0 ? 0 : d;
}

bool kup_ro_eviction_allowed(const struct kup_ro_pdb *pdb, int expected, int healthy,
			     bool pod_ready)
{
	int desired = kup_ro_pdb_desired_healthy(pdb, expected);

	if (!pod_ready) {
		/* KEP-3017: a Running-but-not-Ready pod */
		if (pdb->always_allow)
			return true;
		return healthy >= desired;
	}
	return healthy - desired > 0;
}

/* ---- reading --------------------------------------------------------------- */

struct rd {
	struct kup_ro_scenario *sc;
	struct kup_error *err;
	const char *path;
	bool found;
	enum kup_status st;
};

static enum kup_status fail(struct rd *r, const struct kup_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum kup_status fail(struct rd *r, const struct kup_node *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kup_error_set(r->err, KUP_PARSE, r->path, n ? n->line : 0, n ? n->column : 0, "%s", msg);
	r->st = KUP_PARSE;
	return KUP_PARSE;
}

/* "WHERE: unknown NOUN 'k'; did you mean 'x'? (a, b, c)": the closest of `known` (NULL-ended). */
static enum kup_status unknown(struct rd *r, const struct kup_node *k, const char *where,
			       const char *noun, const char *const *known)
{
	struct kup_buf list = KUP_BUF_INIT;
	const char *ks = kup_node_str(k) ? kup_node_str(k) : "?", *hint;
	size_t n;

	for (n = 0; known[n]; n++)
		kup_buf_addf(&list, "%s%s", n ? ", " : "", known[n]);
	hint = kup_suggest(ks, known, n);
	if (hint)
		fail(r, k, "%s: unknown %s '%.64s'; did you mean '%s'? (%s)", where, noun, ks, hint,
		     list.buf ? list.buf : "");
	else
		fail(r, k, "%s: unknown %s '%.64s' (%s)", where, noun, ks, list.buf ? list.buf : "");
	kup_buf_release(&list);
	return r->st;
}

static const char *dup_str(struct rd *r, const struct kup_node *n)
{
	const char *s = kup_node_str(n);
	return s ? kup_arena_strdup(&r->sc->arena, s) : NULL;
}

static bool num_of(const struct kup_node *n, double *out)
{
	const char *s;
	char *end;

	if (!n || n->kind != KUP_NODE_SCALAR)
		return false;
	if (n->tag != KUP_TAG_INT && n->tag != KUP_TAG_FLOAT && n->style == KUP_STYLE_PLAIN)
		return false;
	s = n->u.str;
	if (!*s)
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && *end == '\0' && isfinite(*out);
}

static enum kup_status get_int(struct rd *r, const struct kup_node *n, const char *what,
			       int64_t lo, int64_t hi, int64_t *out)
{
	int64_t v;

	if (!kup_node_int(n, &v)) {
		double d;
		if (!num_of(n, &d) || d != floor(d))
			return fail(r, n, "%s: expected an integer", what);
		v = (int64_t)d;
	}
	if (v < lo || v > hi)
		return fail(r, n, "%s: %lld is out of range [%lld, %lld]", what, (long long)v,
			    (long long)lo, (long long)hi);
	*out = v;
	return KUP_OK;
}

static enum kup_status get_intpct(struct rd *r, const struct kup_node *n, const char *what,
				  struct kup_ro_intpct *out)
{
	const char *s = kup_node_str(n);
	size_t len;

	if (!s)
		return fail(r, n, "%s: expected an integer or a percentage", what);
	len = strlen(s);
	if (len > 1 && s[len - 1] == '%') {
		double d;
		if (!parse_decimal(s, len - 1, &d) || d > 100 || d != floor(d))
			return fail(r, n, "%s: '%s' is not a percentage from 0%% to 100%%", what, s);
		out->set = true;
		out->pct = true;
		out->value = (int64_t)d;
		return KUP_OK;
	}
	out->set = true;
	out->pct = false;
	return get_int(r, n, what, 0, MAX_REPLICAS, &out->value);
}

static enum kup_status get_dist(struct rd *r, const struct kup_node *n, const char *what,
				struct kup_ro_dist *out)
{
	double v;

	if (n->kind == KUP_NODE_MAP) {
		const struct kup_node *m = kup_node_get(n, "median"), *p = kup_node_get(n, "p90");
		size_t i;
		for (i = 0; i < n->len; i++) {
			const struct kup_node *k = n->u.pairs[i].key;
			if (!kup_node_eq(k, "median") && !kup_node_eq(k, "p90"))
				return unknown(r, k, what, "field",
					       (const char *const[]){ "median", "p90", NULL });
		}
		if (!m)
			return fail(r, n, "%s: 'median' is required", what);
		if (!num_of(m, &out->median) || out->median < 0 || out->median > 1e7)
			return fail(r, m, "%s.median: expected a number of seconds", what);
		out->p90 = out->median;
		if (p && (!num_of(p, &out->p90) || out->p90 < out->median || out->p90 > 1e7))
			return fail(r, p, "%s.p90: expected a number of seconds not below the median",
				    what);
		return KUP_OK;
	}
	if (!num_of(n, &v) || v < 0 || v > 1e7)
		return fail(r, n, "%s: expected seconds or {median, p90}", what);
	out->median = out->p90 = v;
	return KUP_OK;
}

static enum kup_status get_res(struct rd *r, const struct kup_node *n, const char *what,
			       struct kup_ro_res *out, bool pods)
{
	size_t i;

	if (n->kind != KUP_NODE_MAP)
		return fail(r, n, "%s: expected a map", what);
	for (i = 0; i < n->len; i++) {
		const struct kup_node *k = n->u.pairs[i].key, *v = n->u.pairs[i].value;
		const char *s = kup_node_str(v);
		if (kup_node_eq(k, "cpu")) {
			if (!kup_ro_parse_cpu(s, &out->cpu_m))
				return fail(r, v, "%s.cpu: '%s' is not a cpu quantity (500m, 2)",
					    what, s ? s : "");
		} else if (kup_node_eq(k, "memory")) {
			if (!kup_ro_parse_mem(s, &out->mem))
				return fail(r, v, "%s.memory: '%s' is not a memory quantity (1Gi, 512Mi)",
					    what, s ? s : "");
		} else if (pods && kup_node_eq(k, "pods")) {
			if (get_int(r, v, "capacity.pods", 1, 100000, &out->pods))
				return r->st;
		} else {
			return fail(r, k, "%s: unknown resource '%s'", what,
				    kup_node_str(k) ? kup_node_str(k) : "?");
		}
	}
	return KUP_OK;
}

static enum kup_status read_limits(struct rd *r, const struct kup_node *n)
{
	struct kup_ro_scenario *sc = r->sc;
	size_t i, z;
	int64_t v;

	if (n->kind != KUP_NODE_MAP)
		return fail(r, n, "spec.limits: expected a map");
	for (i = 0; i < n->len; i++) {
		const struct kup_node *k = n->u.pairs[i].key, *val = n->u.pairs[i].value;
		if (kup_node_eq(k, "maxSurgeNodes")) {
			if (get_int(r, val, "limits.maxSurgeNodes", 0, MAX_NODES, &v))
				return r->st;
			sc->max_surge = (int)v;
		} else if (kup_node_eq(k, "maxUnavailableNodes")) {
			if (get_int(r, val, "limits.maxUnavailableNodes", 0, MAX_NODES, &v))
				return r->st;
			sc->max_unavailable = (int)v;
		} else if (kup_node_eq(k, "zoneCapacity")) {
			size_t j;
			if (val->kind != KUP_NODE_MAP)
				return fail(r, val, "limits.zoneCapacity: expected a map of zone: nodes");
			for (j = 0; j < val->len; j++) {
				const struct kup_node *zk = val->u.pairs[j].key;
				for (z = 0; z < sc->nzones; z++)
					if (kup_node_eq(zk, sc->zones[z]))
						break;
				if (z == sc->nzones)
					return fail(r, zk, "limits.zoneCapacity: '%s' is not in spec.zones",
						    kup_node_str(zk) ? kup_node_str(zk) : "?");
				if (get_int(r, val->u.pairs[j].value, "limits.zoneCapacity", 0,
					    MAX_NODES, &v))
					return r->st;
				sc->zone_cap[z] = (int)v;
			}
		} else {
			return unknown(r, k, "spec.limits", "field",
				       (const char *const[]){ "maxSurgeNodes", "maxUnavailableNodes",
							      "zoneCapacity", NULL });
		}
	}
	return KUP_OK;
}

static enum kup_status read_timings(struct rd *r, const struct kup_node *n)
{
	struct kup_ro_timings *t = &r->sc->t;
	bool reboot = false;
	size_t i;

	if (n->kind != KUP_NODE_MAP)
		return fail(r, n, "spec.timings: expected a map");
	for (i = 0; i < n->len; i++) {
		const struct kup_node *k = n->u.pairs[i].key, *v = n->u.pairs[i].value;
		struct kup_ro_dist *d;
		if (kup_node_eq(k, "nodeProvision"))
			d = &t->provision;
		else if (kup_node_eq(k, "nodeDrainOverhead"))
			d = &t->drain_overhead;
		else if (kup_node_eq(k, "podStart"))
			d = &t->pod_start;
		else if (kup_node_eq(k, "evictionRetry"))
			d = &t->eviction_retry;
		else if (kup_node_eq(k, "nodeReboot")) {
			d = &t->reboot;
			reboot = true;
		} else
			return unknown(r, k, "spec.timings", "timing",
				       (const char *const[]){ "nodeProvision", "nodeDrainOverhead",
							      "podStart", "evictionRetry",
							      "nodeReboot", NULL });
		if (get_dist(r, v, kup_node_str(k), d))
			return r->st;
	}
	if (!reboot)
		t->reboot = t->provision;
	if (t->eviction_retry.median < 0.1)
		return fail(r, n, "spec.timings.evictionRetry: must be 0.1 s or more");
	return KUP_OK;
}

static int members_len(const struct kup_node *m)
{
	return m && m->kind == KUP_NODE_SEQ ? (int)m->len : 0;
}

/* members: [{name: N, zone: Z}], Z one of spec.zones, no name twice in the pool. */
static enum kup_status read_members(struct rd *r, const struct kup_node *m, size_t pi,
				    struct kup_ro_pool *pool)
{
	struct kup_ro_scenario *sc = r->sc;
	size_t i, j, z;

	if (m->kind != KUP_NODE_SEQ || m->len == 0 || m->len > MAX_NODES)
		return fail(r, m, "spec.pools[%zu].members: expected a list of {name, zone}", pi);
	pool->member_name = kup_arena_zalloc(&sc->arena, m->len * sizeof(*pool->member_name));
	pool->member_zone = kup_arena_zalloc(&sc->arena, m->len * sizeof(*pool->member_zone));
	if (!pool->member_name || !pool->member_zone)
		return KUP_NOMEM;
	for (i = 0; i < m->len; i++) {
		const struct kup_node *e = m->u.items[i], *zn;
		const char *zs;
		if (e->kind != KUP_NODE_MAP)
			return fail(r, e, "spec.pools[%zu].members[%zu]: expected {name, zone}", pi, i);
		for (j = 0; j < e->len; j++)
			if (!kup_node_eq(e->u.pairs[j].key, "name") && !kup_node_eq(e->u.pairs[j].key, "zone")) {
				char where[64];

				snprintf(where, sizeof(where), "spec.pools[%zu].members[%zu]", pi, i);
				return unknown(r, e->u.pairs[j].key, where, "field",
					       (const char *const[]){ "name", "zone", NULL });
			}
		pool->member_name[i] = dup_str(r, kup_node_get(e, "name"));
		if (!pool->member_name[i] || !*pool->member_name[i])
			return fail(r, e, "spec.pools[%zu].members[%zu]: 'name' is required", pi, i);
		for (j = 0; j < i; j++)
			if (strcmp(pool->member_name[i], pool->member_name[j]) == 0)
				return fail(r, kup_node_get(e, "name"),
					    "spec.pools[%zu].members: '%s' is listed twice", pi,
					    pool->member_name[i]);
		zn = kup_node_get(e, "zone");
		zs = kup_node_str(zn);
		if (!zs)
			return fail(r, e, "spec.pools[%zu].members[%zu]: 'zone' is required", pi, i);
		for (z = 0; z < sc->nzones; z++)
			if (strcmp(sc->zones[z], zs) == 0)
				break;
		if (z == sc->nzones)
			return fail(r, zn, "spec.pools[%zu].members[%zu]: zone '%s' is not in spec.zones",
				    pi, i, zs);
		pool->member_zone[i] = (int)z;
	}
	return KUP_OK;
}

const char *kup_ro_node_name(const struct kup_ro_scenario *sc, int node)
{
	size_t i;

	for (i = 0; sc && node >= 0 && i < sc->npools; i++) {
		if (node < sc->pools[i].nodes)
			return sc->pools[i].member_name ? sc->pools[i].member_name[node] : NULL;
		node -= sc->pools[i].nodes;
	}
	return NULL;
}

static enum kup_status read_pools(struct rd *r, const struct kup_node *n)
{
	struct kup_ro_scenario *sc = r->sc;
	size_t i, j;
	int64_t total = 0;

	if (n->kind != KUP_NODE_SEQ || n->len == 0)
		return fail(r, n, "spec.pools: expected a non-empty list");
	sc->pools = kup_arena_zalloc(&sc->arena, n->len * sizeof(*sc->pools));
	if (!sc->pools)
		return KUP_NOMEM;
	for (i = 0; i < n->len; i++) {
		const struct kup_node *p = n->u.items[i];
		struct kup_ro_pool *pool = &sc->pools[i];
		int64_t v;
		if (p->kind != KUP_NODE_MAP)
			return fail(r, p, "spec.pools[%zu]: expected a map", i);
		pool->cap.pods = 110;
		for (j = 0; j < p->len; j++) {
			const struct kup_node *k = p->u.pairs[j].key, *val = p->u.pairs[j].value;
			if (kup_node_eq(k, "name"))
				pool->name = dup_str(r, val);
			else if (kup_node_eq(k, "nodes")) {
				if (get_int(r, val, "pools.nodes", 1, MAX_NODES, &v))
					return r->st;
				pool->nodes = (int)v;
			} else if (kup_node_eq(k, "capacity")) {
				if (get_res(r, val, "pools.capacity", &pool->cap, true))
					return r->st;
			} else if (kup_node_eq(k, "members")) {
				if (read_members(r, val, i, pool))
					return r->st;
			} else if (kup_node_eq(k, "from"))
				pool->from = dup_str(r, val);
			else if (kup_node_eq(k, "to"))
				pool->to = dup_str(r, val);
			else {
				char where[48];

				snprintf(where, sizeof(where), "spec.pools[%zu]", i);
				return unknown(r, k, where, "field",
					       (const char *const[]){ "name", "nodes", "capacity",
								      "members", "from", "to", NULL });
			}
		}
		if (!pool->name)
			return fail(r, p, "spec.pools[%zu]: 'name' is required", i);
		/* the same rule as a profile's pool names: rollout tune and the
		 * runbook print it into the provider's command */
		if (!kup_profile_name_ok(pool->name))
			return fail(r, kup_node_get(p, "name"),
				    "spec.pools[%zu].name: '%.64s' is not a name: letters, digits and - _ . : / @ + "
				    "only, starting with a letter or digit (rollout tune prints it into a command)",
				    i, pool->name);
		if (!pool->nodes && pool->member_name)
			pool->nodes = members_len(kup_node_get(p, "members"));
		if (!pool->nodes)
			return fail(r, p, "spec.pools[%zu]: 'nodes' is required", i);
		if (pool->member_name && members_len(kup_node_get(p, "members")) != pool->nodes)
			return fail(r, kup_node_get(p, "members"),
				    "pool '%s': %d members listed for %d nodes", pool->name,
				    members_len(kup_node_get(p, "members")), pool->nodes);
		if (pool->cap.cpu_m <= 0 || pool->cap.mem <= 0)
			return fail(r, p, "pool '%s': capacity.cpu and capacity.memory are required",
				    pool->name);
		total += pool->nodes;
		sc->npools++;
	}
	if (total > MAX_NODES)
		return fail(r, n, "spec.pools: %lld nodes is more than %d", (long long)total, MAX_NODES);
	return KUP_OK;
}

static enum kup_status read_pdb(struct rd *r, const struct kup_node *n, struct kup_ro_workload *w)
{
	size_t i;

	if (n->kind != KUP_NODE_MAP)
		return fail(r, n, "workload '%s': pdb: expected a map", w->name);
	w->has_pdb = true;
	for (i = 0; i < n->len; i++) {
		const struct kup_node *k = n->u.pairs[i].key, *v = n->u.pairs[i].value;
		if (kup_node_eq(k, "minAvailable")) {
			if (get_intpct(r, v, "pdb.minAvailable", &w->pdb.min_available))
				return r->st;
		} else if (kup_node_eq(k, "maxUnavailable")) {
			if (get_intpct(r, v, "pdb.maxUnavailable", &w->pdb.max_unavailable))
				return r->st;
		} else if (kup_node_eq(k, "unhealthyPodEvictionPolicy")) {
			if (kup_node_eq(v, "AlwaysAllow"))
				w->pdb.always_allow = true;
			else if (!kup_node_eq(v, "IfHealthyBudget"))
				return fail(r, v, "pdb.unhealthyPodEvictionPolicy: expected "
					    "IfHealthyBudget or AlwaysAllow");
		} else {
			return unknown(r, k, "pdb", "field",
				       (const char *const[]){ "minAvailable", "maxUnavailable",
							      "unhealthyPodEvictionPolicy", NULL });
		}
	}
	if (w->pdb.min_available.set == w->pdb.max_unavailable.set)
		return fail(r, n, "workload '%s': pdb needs exactly one of minAvailable and "
			    "maxUnavailable", w->name);
	return KUP_OK;
}

static enum kup_status read_workload(struct rd *r, const struct kup_node *n, struct kup_ro_workload *w)
{
	const struct kup_node *kind = kup_node_get(n, "kind"), *pdb = NULL;
	bool replicas_set = false;
	size_t i;
	int64_t v;
	double d;

	if (n->kind != KUP_NODE_MAP)
		return fail(r, n, "spec.workloads: expected a map");
	w->line = n->line;
	w->column = n->column;
	w->name = dup_str(r, kup_node_get(n, "name"));
	if (!w->name)
		return fail(r, n, "workload: 'name' is required");
	if (!kind || kup_node_eq(kind, "Deployment"))
		w->kind = KUP_RO_DEPLOYMENT;
	else if (kup_node_eq(kind, "StatefulSet"))
		w->kind = KUP_RO_STATEFULSET;
	else if (kup_node_eq(kind, "DaemonSet"))
		w->kind = KUP_RO_DAEMONSET;
	else if (kup_node_eq(kind, "ReplicatedDatabase"))
		w->kind = KUP_RO_DATABASE;
	else
		return fail(r, kind, "workload '%s': unknown kind '%s' (Deployment, StatefulSet, "
			    "DaemonSet, ReplicatedDatabase)", w->name,
			    kup_node_str(kind) ? kup_node_str(kind) : "?");
	w->replicas = 1;
	w->grace = 30;
	w->req.cpu_m = 100;
	w->req.mem = 128ll << 20;
	w->req.pods = 1;
	w->failover_s = 30;
	w->spread_zone = w->kind == KUP_RO_DATABASE;
	for (i = 0; i < n->len; i++) {
		const struct kup_node *k = n->u.pairs[i].key, *val = n->u.pairs[i].value;
		if (kup_node_eq(k, "name") || kup_node_eq(k, "kind"))
			continue;
		if (kup_node_eq(k, "replicas")) {
			if (get_int(r, val, "replicas", 0, MAX_REPLICAS, &v))
				return r->st;
			w->replicas = (int)v;
			replicas_set = true;
		} else if (kup_node_eq(k, "requests")) {
			struct kup_ro_res res = { 0, 0, 1 };
			if (get_res(r, val, "requests", &res, false))
				return r->st;
			w->req = res;
		} else if (kup_node_eq(k, "terminationGracePeriodSeconds")) {
			if (!num_of(val, &d) || d < 0 || d > 1e6)
				return fail(r, val, "terminationGracePeriodSeconds: expected seconds");
			w->grace = d;
		} else if (kup_node_eq(k, "spread")) {
			if (kup_node_eq(val, "zone"))
				w->spread_zone = true;
			else if (kup_node_eq(val, "none"))
				w->spread_zone = false;
			else
				return fail(r, val, "spread: expected 'zone' or 'none'");
		} else if (kup_node_eq(k, "pdb")) {
			pdb = val;
		} else if (kup_node_eq(k, "failoverSeconds")) {
			if (!num_of(val, &d) || d < 0 || d > 1e6)
				return fail(r, val, "failoverSeconds: expected seconds");
			w->failover_s = d;
		} else if (kup_node_eq(k, "unready")) {
			if (get_int(r, val, "unready", 0, MAX_REPLICAS, &v))
				return r->st;
			w->unready = (int)v;
		} else {
			char where[96];

			snprintf(where, sizeof(where), "workload '%.64s'", w->name);
			return unknown(r, k, where, "field",
				       (const char *const[]){ "name", "kind", "replicas", "requests",
							      "terminationGracePeriodSeconds", "spread",
							      "pdb", "failoverSeconds", "unready",
							      NULL });
		}
	}
	if (w->kind == KUP_RO_DAEMONSET) {
		if (replicas_set)
			return fail(r, n, "workload '%s': a DaemonSet has no replicas", w->name);
		if (pdb)
			return fail(r, pdb, "workload '%s': drains ignore DaemonSet pods; a pdb has no "
				    "effect", w->name);
		w->replicas = 0;
	}
	if (w->kind == KUP_RO_DATABASE && w->replicas < 2)
		return fail(r, n, "workload '%s': a ReplicatedDatabase needs 2 or more replicas",
			    w->name);
	if (w->unready > w->replicas)
		return fail(r, n, "workload '%s': unready is above replicas", w->name);
	if (pdb && read_pdb(r, pdb, w))
		return r->st;
	if (w->kind == KUP_RO_DATABASE && !w->has_pdb) {
		/* the operator's own guard: one member down at a time */
		w->has_pdb = true;
		w->pdb.max_unavailable.set = true;
		w->pdb.max_unavailable.value = 1;
	}
	return KUP_OK;
}

static const struct kup_ro_workload *g_wls;   /* qsort has no context argument in C17 */

static int cmp_wl_name(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	int c = strcmp(g_wls[x].name, g_wls[y].name);

	return c ? c : (x > y) - (x < y);
}

/* A workload name listed twice is an error at its second place. */
static enum kup_status dup_names(struct rd *r, const struct kup_node *wls)
{
	struct kup_ro_scenario *sc = r->sc;
	int *idx;
	size_t i;
	int bad = -1;

	if (sc->nwls < 2)
		return KUP_OK;
	idx = kup_malloc(sc->nwls * sizeof(int));
	if (!idx)
		return KUP_NOMEM;
	for (i = 0; i < sc->nwls; i++)
		idx[i] = (int)i;
	g_wls = sc->wls;
	qsort(idx, sc->nwls, sizeof(int), cmp_wl_name);
	for (i = 1; i < sc->nwls; i++)
		if (strcmp(sc->wls[idx[i]].name, sc->wls[idx[i - 1]].name) == 0 &&
		    (bad < 0 || idx[i] < bad))
			bad = idx[i];
	free(idx);
	if (bad >= 0)
		return fail(r, wls->u.items[bad], "workload '%s' is listed twice", sc->wls[bad].name);
	return KUP_OK;
}

static enum kup_status read_spec(struct rd *r, const struct kup_node *spec)
{
	struct kup_ro_scenario *sc = r->sc;
	const struct kup_node *zones = NULL, *limits = NULL, *timings = NULL, *pools = NULL,
			      *wls = NULL;
	size_t i, j;
	int64_t v;

	if (!spec || spec->kind != KUP_NODE_MAP)
		return fail(r, spec, "'spec' is required and must be a map");
	for (i = 0; i < spec->len; i++) {
		const struct kup_node *k = spec->u.pairs[i].key, *val = spec->u.pairs[i].value;
		if (kup_node_eq(k, "seed")) {
			if (get_int(r, val, "spec.seed", 0, INT64_MAX, &v))
				return r->st;
			sc->seed = (uint64_t)v;
		} else if (kup_node_eq(k, "zones"))
			zones = val;
		else if (kup_node_eq(k, "limits"))
			limits = val;
		else if (kup_node_eq(k, "timings"))
			timings = val;
		else if (kup_node_eq(k, "pools"))
			pools = val;
		else if (kup_node_eq(k, "workloads"))
			wls = val;
		else
			return unknown(r, k, "spec", "field",
				       (const char *const[]){ "seed", "zones", "limits", "timings", "pools",
							      "workloads", NULL });
	}
	if (!zones || zones->kind != KUP_NODE_SEQ || zones->len == 0 || zones->len > 64)
		return fail(r, zones ? zones : spec, "spec.zones: expected a list of 1 to 64 zones");
	sc->nzones = zones->len;
	sc->zones = kup_arena_zalloc(&sc->arena, sc->nzones * sizeof(*sc->zones));
	sc->zone_cap = kup_arena_zalloc(&sc->arena, sc->nzones * sizeof(*sc->zone_cap));
	if (!sc->zones || !sc->zone_cap)
		return KUP_NOMEM;
	for (i = 0; i < sc->nzones; i++) {
		sc->zones[i] = dup_str(r, zones->u.items[i]);
		sc->zone_cap[i] = -1;
		if (!sc->zones[i] || !*sc->zones[i])
			return fail(r, zones->u.items[i], "spec.zones: expected a zone name");
		for (j = 0; j < i; j++)
			if (strcmp(sc->zones[i], sc->zones[j]) == 0)
				return fail(r, zones->u.items[i], "spec.zones: '%s' is listed twice",
					    sc->zones[i]);
	}
	sc->max_surge = -1;
	sc->max_unavailable = -1;
	if (limits && read_limits(r, limits))
		return r->st;
	sc->t.provision.median = sc->t.provision.p90 = 90;
	sc->t.drain_overhead.median = sc->t.drain_overhead.p90 = 10;
	sc->t.pod_start.median = sc->t.pod_start.p90 = 10;
	sc->t.eviction_retry.median = sc->t.eviction_retry.p90 = 5;
	sc->t.reboot = sc->t.provision;
	if (timings && read_timings(r, timings))
		return r->st;
	if (!pools)
		return fail(r, spec, "spec.pools is required");
	if (read_pools(r, pools))
		return r->st;
	if (wls) {
		if (wls->kind != KUP_NODE_SEQ)
			return fail(r, wls, "spec.workloads: expected a list");
		sc->wls = kup_arena_zalloc(&sc->arena, (wls->len + 1) * sizeof(*sc->wls));
		if (!sc->wls)
			return KUP_NOMEM;
		for (i = 0; i < wls->len; i++) {
			if (read_workload(r, wls->u.items[i], &sc->wls[i]))
				return r->st;
			sc->nwls++;
		}
		if (dup_names(r, wls))
			return r->st;
	}
	return KUP_OK;
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct rd *r = ctx;
	const struct kup_node *root = doc->root, *md;

	if (r->found || !root)
		return KUP_OK;
	if (root->kind != KUP_NODE_MAP)
		return fail(r, root, "expected a RolloutScenario object");
	if (!kup_node_eq(kup_node_get(root, "kind"), "RolloutScenario"))
		return fail(r, kup_node_get(root, "kind") ? kup_node_get(root, "kind") : root,
			    "expected kind: RolloutScenario");
	r->found = true;
	for (size_t i = 0; i < root->len; i++) {
		const struct kup_node *k = root->u.pairs[i].key;

		if (!kup_node_eq(k, "apiVersion") && !kup_node_eq(k, "kind") &&
		    !kup_node_eq(k, "metadata") && !kup_node_eq(k, "spec"))
			return unknown(r, k, "RolloutScenario", "key",
				       (const char *const[]){ "apiVersion", "kind", "metadata", "spec",
							      NULL });
	}
	md = kup_node_get(root, "metadata");
	r->sc->name = dup_str(r, kup_node_get(md, "name"));
	if (!r->sc->name)
		r->sc->name = "scenario";
	if (read_spec(r, kup_node_get(root, "spec")))
		return r->st;
	return KUP_STOP;
}

static void on_read_error(void *ctx, const struct kup_error *e)
{
	struct rd *r = ctx;

	if (r->st == KUP_OK) {
		kup_error_copy(r->err, e);
		r->st = e->code ? e->code : KUP_PARSE;
	}
}

enum kup_status kup_ro_scenario_parse(const char *text, size_t len, const char *path,
				      struct kup_ro_scenario **out, struct kup_error *err)
{
	struct kup_ro_scenario *sc;
	struct kup_arena tmp;
	struct rd r;
	enum kup_status st;
	size_t nerr = 0, i = 0;

	*out = NULL;
	sc = kup_calloc(1, sizeof(*sc));
	if (!sc)
		return kup_error_set(err, KUP_NOMEM, path, 0, 0, "out of memory");
	kup_arena_init(&sc->arena, 1 << 16);
	kup_arena_init(&tmp, 1 << 16);
	memset(&r, 0, sizeof(r));
	r.sc = sc;
	r.err = err;
	r.path = path ? path : "-";
	sc->path = kup_arena_strdup(&sc->arena, r.path);
	if (len >= 3 && (unsigned char)text[0] == 0xef && (unsigned char)text[1] == 0xbb &&
	    (unsigned char)text[2] == 0xbf)
		i = 3;
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	if (i < len && text[i] == '{') {
		struct kup_json_opts o;
		kup_json_opts_init(&o, r.path);
		o.stream_items = false;
		o.errors.fn = on_read_error;
		o.errors.ctx = &r;
		st = kup_json_read_mem(text, len, &o, &tmp, on_doc, &r, &nerr);
	} else {
		struct kup_yaml_opts o;
		kup_yaml_opts_init(&o, r.path);
		o.errors.fn = on_read_error;
		o.errors.ctx = &r;
		st = kup_yaml_read_mem(text, len, &o, &tmp, on_doc, &r, &nerr);
	}
	kup_arena_release(&tmp);
	if (st == KUP_STOP)
		st = KUP_OK;
	if (st == KUP_OK && r.st != KUP_OK)
		st = r.st;
	if (st == KUP_OK && !r.found)
		st = kup_error_set(err, KUP_PARSE, r.path, 1, 1, "no RolloutScenario document found");
	if (st == KUP_OK && kup_arena_failed(&sc->arena))
		st = kup_error_set(err, KUP_NOMEM, r.path, 0, 0, "out of memory");
	if (st != KUP_OK) {
		if (err->code == KUP_OK)
			kup_error_set(err, st, r.path, 0, 0, "%s", kup_strerror(st));
		kup_ro_scenario_free(sc);
		return st;
	}
	*out = sc;
	return KUP_OK;
}

enum kup_status kup_ro_scenario_load(const char *path, struct kup_ro_scenario **out,
				     struct kup_error *err)
{
	char *text = NULL;
	size_t len = 0;
	enum kup_status st;

	*out = NULL;
	st = kup_read_file(path, SCENARIO_MAX_BYTES, &text, &len, err);
	if (st != KUP_OK)
		return st;
	st = kup_ro_scenario_parse(text, len, path, out, err);
	free(text);
	return st;
}

void kup_ro_scenario_free(struct kup_ro_scenario *sc)
{
	if (!sc)
		return;
	kup_arena_release(&sc->arena);
	free(sc);
}
