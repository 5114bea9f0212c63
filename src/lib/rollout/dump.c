/*
 * dump.c - a RolloutScenario derived from a kubectl List dump (or a
 * `kupgrade snapshot` file, which is such a List): nodes grouped into pools
 * by kup_dump_node_pool() (kupgrade.dev/pool, then the KB's pool labels, as profile --from-dump), pods grouped by owner (ReplicaSet -> Deployment,
 * StatefulSet, DaemonSet), PDBs matched by matchLabels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/dump.h"
#include "kupgrade/emit.h"
#include "kupgrade/json.h"
#include "kupgrade/rollout.h"
#include "kupgrade/yaml.h"

struct d_node {
	char *name, *zone, *pool, *version;
	int64_t cpu, mem, pods;
};

struct d_pod {
	char *ns, *owner_kind, *owner, *labels;   /* labels: "k=v\n" lines */
	int64_t cpu, mem;
	double grace;
	bool ready, spread_zone;
};

struct d_ctl {
	char *kind, *ns, *name, *owner;   /* owner: a ReplicaSet's Deployment */
	int replicas;
};

struct d_pdb {
	char *ns, *labels;
	struct kup_ro_pdb pdb;
	bool used;
};

struct dump {
	const struct kup_kb *kb;        /* pool labels (may be NULL) */
	const char *path;
	struct kup_error *err;
	struct d_node *nodes;
	size_t nnodes, capnodes;
	struct d_pod *pods;
	size_t npods, cappods;
	struct d_ctl *ctls;
	size_t nctls, capctls;
	struct d_pdb *pdbs;
	size_t npdbs, cappdbs;
	bool oom;
};

static char *sdup(struct dump *d, const char *s)
{
	return kup_strdup_oom(s, &d->oom);
}

static const char *label(const struct kup_node *obj, const char *key)
{
	return kup_node_str(kup_node_get(kup_node_path(obj, "metadata", "labels", NULL), key));
}

static char *labels_of(struct dump *d, const struct kup_node *labels)
{
	struct kup_buf b = KUP_BUF_INIT;
	size_t i;

	if (!labels || labels->kind != KUP_NODE_MAP)
		return sdup(d, "");
	for (i = 0; i < labels->len; i++) {
		const char *k = kup_node_str(labels->u.pairs[i].key);
		const char *v = kup_node_str(labels->u.pairs[i].value);
		if (k && v)
			kup_buf_addf(&b, "%s=%s\n", k, v);
	}
	if (b.oom) {
		d->oom = true;
		kup_buf_release(&b);
		return NULL;
	}
	if (!b.buf)
		return sdup(d, "");
	return kup_buf_detach(&b, NULL);
}

/* Every "k=v" line of `sel` is among the lines of `labels`. */
static bool selects(const char *sel, const char *labels)
{
	const char *p = sel;

	if (!sel || !*sel)
		return false;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *q = labels;
		bool found = false;
		while (q && *q) {
			const char *qe = strchr(q, '\n');
			size_t qn = qe ? (size_t)(qe - q) : strlen(q);
			if (qn == n && memcmp(p, q, n) == 0) {
				found = true;
				break;
			}
			q = qe ? qe + 1 : NULL;
		}
		if (!found)
			return false;
		p += n + (e ? 1 : 0);
	}
	return true;
}

static void add_node(struct dump *d, const struct kup_node *obj)
{
	const struct kup_node *alloc = kup_node_path(obj, "status", "allocatable", NULL);
	struct d_node *n;
	const char *zone, *pool, *ver;
	int64_t v;

	if (d->nnodes == d->capnodes &&
	    !kup_grow(&d->nodes, &d->capnodes, d->nnodes + 1, sizeof(*d->nodes), 16)) {
		d->oom = true;
		return;
	}
	n = &d->nodes[d->nnodes];
	memset(n, 0, sizeof(*n));
	zone = label(obj, "topology.kubernetes.io/zone");
	if (!zone)
		zone = label(obj, "failure-domain.beta.kubernetes.io/zone");
	pool = kup_dump_node_pool(d->kb, obj);
	ver = kup_node_str(kup_node_path(obj, "status", "nodeInfo", "kubeletVersion", NULL));
	if (ver && *ver == 'v')
		ver++;
	n->name = sdup(d, kup_node_str(kup_node_path(obj, "metadata", "name", NULL)));
	n->zone = sdup(d, zone ? zone : "default");
	n->pool = sdup(d, pool);
	n->version = sdup(d, ver ? ver : "");
	n->cpu = 1000;
	n->mem = 1ll << 30;
	n->pods = 110;
	if (kup_ro_parse_cpu(kup_node_str(kup_node_get(alloc, "cpu")), &v))
		n->cpu = v;
	if (kup_ro_parse_mem(kup_node_str(kup_node_get(alloc, "memory")), &v))
		n->mem = v;
	if (kup_ro_parse_mem(kup_node_str(kup_node_get(alloc, "pods")), &v) && v > 0)
		n->pods = v;
	d->nnodes++;
}

static void add_pod(struct dump *d, const struct kup_node *obj)
{
	const struct kup_node *spec = kup_node_get(obj, "spec"), *cs, *own, *conds, *tsc;
	struct d_pod *p;
	const char *phase = kup_node_str(kup_node_path(obj, "status", "phase", NULL));
	size_t i;
	int64_t v;

	if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
		return;   /* finished pods leave with the node */
	if (d->npods == d->cappods &&
	    !kup_grow(&d->pods, &d->cappods, d->npods + 1, sizeof(*d->pods), 64)) {
		d->oom = true;
		return;
	}
	p = &d->pods[d->npods];
	memset(p, 0, sizeof(*p));
	p->ns = sdup(d, kup_node_str(kup_node_path(obj, "metadata", "namespace", NULL)));
	own = kup_node_path(obj, "metadata", "ownerReferences", NULL);
	if (own && own->kind == KUP_NODE_SEQ && own->len > 0) {
		p->owner_kind = sdup(d, kup_node_str(kup_node_get(own->u.items[0], "kind")));
		p->owner = sdup(d, kup_node_str(kup_node_get(own->u.items[0], "name")));
	}
	p->labels = labels_of(d, kup_node_path(obj, "metadata", "labels", NULL));
	cs = kup_node_get(spec, "containers");
	for (i = 0; cs && cs->kind == KUP_NODE_SEQ && i < cs->len; i++) {
		const struct kup_node *req = kup_node_path(cs->u.items[i], "resources", "requests", NULL);
		if (kup_ro_parse_cpu(kup_node_str(kup_node_get(req, "cpu")), &v))
			p->cpu += v;
		if (kup_ro_parse_mem(kup_node_str(kup_node_get(req, "memory")), &v))
			p->mem += v;
	}
	p->grace = 30;
	if (kup_node_int(kup_node_get(spec, "terminationGracePeriodSeconds"), &v) && v >= 0)
		p->grace = (double)v;
	conds = kup_node_path(obj, "status", "conditions", NULL);
	p->ready = !conds;   /* no status: assume Ready */
	for (i = 0; conds && conds->kind == KUP_NODE_SEQ && i < conds->len; i++)
		if (kup_node_eq(kup_node_get(conds->u.items[i], "type"), "Ready"))
			p->ready = kup_node_eq(kup_node_get(conds->u.items[i], "status"), "True");
	tsc = kup_node_get(spec, "topologySpreadConstraints");
	for (i = 0; tsc && tsc->kind == KUP_NODE_SEQ && i < tsc->len; i++)
		if (kup_node_eq(kup_node_get(tsc->u.items[i], "topologyKey"), "topology.kubernetes.io/zone"))
			p->spread_zone = true;
	d->npods++;
}

static void add_ctl(struct dump *d, const struct kup_node *obj, const char *kind)
{
	struct d_ctl *c;
	const struct kup_node *own = kup_node_path(obj, "metadata", "ownerReferences", NULL);
	int64_t v;

	if (d->nctls == d->capctls &&
	    !kup_grow(&d->ctls, &d->capctls, d->nctls + 1, sizeof(*d->ctls), 16)) {
		d->oom = true;
		return;
	}
	c = &d->ctls[d->nctls];
	memset(c, 0, sizeof(*c));
	c->kind = sdup(d, kind);
	c->ns = sdup(d, kup_node_str(kup_node_path(obj, "metadata", "namespace", NULL)));
	c->name = sdup(d, kup_node_str(kup_node_path(obj, "metadata", "name", NULL)));
	if (own && own->kind == KUP_NODE_SEQ && own->len > 0 &&
	    kup_node_eq(kup_node_get(own->u.items[0], "kind"), "Deployment"))
		c->owner = sdup(d, kup_node_str(kup_node_get(own->u.items[0], "name")));
	c->replicas = -1;
	if (kup_node_int(kup_node_path(obj, "spec", "replicas", NULL), &v) && v >= 0 && v < 1000000)
		c->replicas = (int)v;
	d->nctls++;
}

static bool intpct_of(const struct kup_node *n, struct kup_ro_intpct *out)
{
	const char *s = kup_node_str(n);
	int64_t v;

	if (!s)
		return false;
	if (kup_node_int(n, &v) && v >= 0) {
		out->set = true;
		out->value = v;
		return true;
	}
	if (strlen(s) > 1 && s[strlen(s) - 1] == '%') {
		v = strtol(s, NULL, 10);
		if (v < 0 || v > 100)
			return false;
		out->set = true;
		out->pct = true;
		out->value = v;
		return true;
	}
	return false;
}

static void add_pdb(struct dump *d, const struct kup_node *obj)
{
	const struct kup_node *spec = kup_node_get(obj, "spec");
	struct d_pdb *p;

	if (d->npdbs == d->cappdbs &&
	    !kup_grow(&d->pdbs, &d->cappdbs, d->npdbs + 1, sizeof(*d->pdbs), 16)) {
		d->oom = true;
		return;
	}
	p = &d->pdbs[d->npdbs];
	memset(p, 0, sizeof(*p));
	p->ns = sdup(d, kup_node_str(kup_node_path(obj, "metadata", "namespace", NULL)));
	p->labels = labels_of(d, kup_node_path(spec, "selector", "matchLabels", NULL));
	if (!intpct_of(kup_node_get(spec, "minAvailable"), &p->pdb.min_available))
		intpct_of(kup_node_get(spec, "maxUnavailable"), &p->pdb.max_unavailable);
	p->pdb.always_allow = kup_node_eq(kup_node_get(spec, "unhealthyPodEvictionPolicy"), "AlwaysAllow");
	if (p->pdb.min_available.set || p->pdb.max_unavailable.set)
		d->npdbs++;
	else {
		free(p->ns);
		free(p->labels);
	}
}

static void take(struct dump *d, const struct kup_node *obj)
{
	const char *kind = kup_node_str(kup_node_get(obj, "kind"));
	const struct kup_node *items = kup_node_get(obj, "items");
	size_t i;

	if (items && items->kind == KUP_NODE_SEQ) {   /* a List read whole (YAML) */
		for (i = 0; i < items->len; i++)
			take(d, items->u.items[i]);
		return;
	}
	if (!kind)
		return;
	if (strcmp(kind, "Node") == 0)
		add_node(d, obj);
	else if (strcmp(kind, "Pod") == 0)
		add_pod(d, obj);
	else if (strcmp(kind, "ReplicaSet") == 0 || strcmp(kind, "Deployment") == 0 ||
		 strcmp(kind, "StatefulSet") == 0 || strcmp(kind, "DaemonSet") == 0)
		add_ctl(d, obj, kind);
	else if (strcmp(kind, "PodDisruptionBudget") == 0)
		add_pdb(d, obj);
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct dump *d = ctx;

	if (doc->root && doc->root->kind == KUP_NODE_MAP)
		take(d, doc->root);
	return d->oom ? KUP_NOMEM : KUP_OK;
}

static void on_error(void *ctx, const struct kup_error *e)
{
	struct dump *d = ctx;

	if (d->err->code == KUP_OK)
		kup_error_copy(d->err, e);
}

static struct d_ctl *find_ctl(struct dump *d, const char *kind, const char *ns, const char *name)
{
	size_t i;

	for (i = 0; name && i < d->nctls; i++)
		if (strcmp(d->ctls[i].kind, kind) == 0 && d->ctls[i].name &&
		    strcmp(d->ctls[i].name, name) == 0 &&
		    ((!ns && !d->ctls[i].ns) || (ns && d->ctls[i].ns && strcmp(ns, d->ctls[i].ns) == 0)))
			return &d->ctls[i];
	return NULL;
}

static void intpct_out(struct kup_buf *b, const struct kup_ro_intpct *v)
{
	if (v->pct)
		kup_buf_addf(b, "\"%lld%%\"", (long long)v->value);
	else
		kup_buf_addf(b, "%lld", (long long)v->value);
}

static void dump_release(struct dump *d)
{
	size_t i;

	for (i = 0; i < d->nnodes; i++) {
		free(d->nodes[i].name);
		free(d->nodes[i].zone);
		free(d->nodes[i].pool);
		free(d->nodes[i].version);
	}
	for (i = 0; i < d->npods; i++) {
		free(d->pods[i].ns);
		free(d->pods[i].owner_kind);
		free(d->pods[i].owner);
		free(d->pods[i].labels);
	}
	for (i = 0; i < d->nctls; i++) {
		free(d->ctls[i].kind);
		free(d->ctls[i].ns);
		free(d->ctls[i].name);
		free(d->ctls[i].owner);
	}
	for (i = 0; i < d->npdbs; i++) {
		free(d->pdbs[i].ns);
		free(d->pdbs[i].labels);
	}
	free(d->nodes);
	free(d->pods);
	free(d->ctls);
	free(d->pdbs);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum kup_status kup_ro_from_dump(const struct kup_kb *kb, const char *text, size_t len,
				 const char *path, struct kup_buf *out, struct kup_error *err)
{
	struct dump d;
	struct kup_arena arena;
	enum kup_status st;
	size_t i, j, nerr = 0, nz = 0, skipped = 0;
	const char **zones = NULL;
	char **gkey = NULL;     /* workload key per pod: "Kind\tns\tname" */
	bool *done = NULL;

	memset(&d, 0, sizeof(d));
	d.kb = kb;
	d.path = path;
	d.err = err;
	kup_arena_init(&arena, 1 << 16);
	st = kup_docs_read_mem(text, len, path, NULL, true,
			       (struct kup_error_sink){ .fn = on_error, .ctx = &d }, &arena,
			       on_doc, &d, &nerr);
	kup_arena_release(&arena);
	if (st == KUP_OK && (d.oom))
		st = KUP_NOMEM;
	if (st == KUP_OK && nerr)
		st = err->code ? err->code : KUP_PARSE;
	if (st == KUP_OK && d.nnodes == 0)
		st = kup_error_set(err, KUP_INVALID, path, 0, 0,
				   "no Node objects: dump with `kubectl get nodes,pods,replicasets,"
				   "deployments,statefulsets,daemonsets,pdb -A -o json`");
	if (st != KUP_OK) {
		if (err->code == KUP_OK)
			kup_error_set(err, st, path, 0, 0, "%s", kup_strerror(st));
		dump_release(&d);
		return st;
	}
	/* zones, sorted */
	zones = kup_calloc(d.nnodes, sizeof(*zones));
	gkey = kup_calloc(d.npods + 1, sizeof(*gkey));
	done = kup_calloc(d.npods + 1, sizeof(*done));
	if (!zones || !gkey || !done) {
		st = kup_error_set(err, KUP_NOMEM, path, 0, 0, "out of memory");
		goto out;
	}
	for (i = 0; i < d.nnodes; i++) {
		for (j = 0; j < nz; j++)
			if (strcmp(zones[j], d.nodes[i].zone) == 0)
				break;
		if (j == nz)
			zones[nz++] = d.nodes[i].zone;
	}
	qsort(zones, nz, sizeof(*zones), cmp_str);
	kup_buf_addf(out, "# derived by `kupgrade rollout scenario --from-dump` from %s:\n", path);
	kup_buf_addf(out, "# %zu nodes, %zu pods; timings are the defaults of docs/rollout.md, "
		     "set limits to your quota\n", d.nnodes, d.npods);
	kup_buf_adds(out, "apiVersion: kupgrade.dev/v1alpha1\nkind: RolloutScenario\n"
		     "metadata: {name: from-dump}\nspec:\n  seed: 1\n  zones: [");
	for (i = 0; i < nz; i++) {
		if (i)
			kup_buf_adds(out, ", ");
		kup_json_quote(out, zones[i]);
	}
	kup_buf_adds(out, "]\n  timings:\n    nodeProvision: {median: 90, p90: 180}\n"
		     "    nodeDrainOverhead: 10\n    podStart: {median: 8, p90: 30}\n"
		     "    evictionRetry: 5\n  pools:\n");
	/* pools: one per pool label, capacity of its first node */
	for (i = 0; i < d.nnodes; i++) {
		int count = 0;
		for (j = 0; j < i; j++)
			if (strcmp(d.nodes[j].pool, d.nodes[i].pool) == 0)
				break;
		if (j < i)
			continue;
		for (j = i; j < d.nnodes; j++)
			count += strcmp(d.nodes[j].pool, d.nodes[i].pool) == 0;
		kup_buf_adds(out, "    - {name: ");
		kup_json_quote(out, d.nodes[i].pool);
		kup_buf_addf(out, ", nodes: %d, capacity: {cpu: %lldm, memory: %lld, pods: %lld}, from: ",
			     count, (long long)d.nodes[i].cpu, (long long)d.nodes[i].mem,
			     (long long)d.nodes[i].pods);
		kup_json_quote(out, d.nodes[i].version);
		kup_buf_adds(out, ", to: ");
		kup_json_quote(out, d.nodes[i].version);
		/* the real nodes, so plans name them */
		kup_buf_adds(out, ",\n       members: [");
		for (j = i, count = 0; j < d.nnodes; j++) {
			if (strcmp(d.nodes[j].pool, d.nodes[i].pool) != 0)
				continue;
			kup_buf_adds(out, count++ ? ",\n                 {name: " : "{name: ");
			kup_json_quote(out, d.nodes[j].name);
			kup_buf_adds(out, ", zone: ");
			kup_json_quote(out, d.nodes[j].zone);
			kup_buf_adds(out, "}");
		}
		kup_buf_adds(out, "]}\n");
	}
	/* workloads: pods grouped by their controller */
	for (i = 0; i < d.npods; i++) {
		struct d_pod *p = &d.pods[i];
		const char *kind = p->owner_kind, *name = p->owner;
		struct kup_buf k = KUP_BUF_INIT;
		if (kind && strcmp(kind, "ReplicaSet") == 0) {
			struct d_ctl *rs = find_ctl(&d, "ReplicaSet", p->ns, name);
			if (rs && rs->owner) {
				kind = "Deployment";
				name = rs->owner;
			} else if (!rs) {
				kind = "Deployment";   /* the ReplicaSet is not in the dump */
			}
		}
		if (!kind || !name || (strcmp(kind, "Deployment") != 0 && strcmp(kind, "ReplicaSet") != 0 &&
				       strcmp(kind, "StatefulSet") != 0 && strcmp(kind, "DaemonSet") != 0)) {
			skipped++;
			done[i] = true;
			continue;
		}
		kup_buf_addf(&k, "%s\t%s\t%s", strcmp(kind, "ReplicaSet") == 0 ? "Deployment" : kind,
			     p->ns ? p->ns : "", name);
		gkey[i] = kup_buf_detach(&k, NULL);
		if (!gkey[i]) {
			st = kup_error_set(err, KUP_NOMEM, path, 0, 0, "out of memory");
			goto out;
		}
	}
	kup_buf_adds(out, d.npods ? "  workloads:\n" : "  workloads: []\n");
	for (i = 0; i < d.npods; i++) {
		char kind[32], ns[256], name[256];
		int count = 0, unready = 0, replicas;
		int64_t cpu = 0, mem = 0;
		double grace = 0;
		bool spread = false;
		struct d_ctl *ctl;
		if (done[i] || !gkey[i])
			continue;
		if (sscanf(gkey[i], "%31[^\t]\t%255[^\t]\t%255s", kind, ns, name) != 3 &&
		    sscanf(gkey[i], "%31[^\t]\t\t%255s", kind, name) == 2)
			ns[0] = '\0';
		for (j = i; j < d.npods; j++) {
			if (done[j] || !gkey[j] || strcmp(gkey[i], gkey[j]) != 0)
				continue;
			done[j] = true;
			count++;
			unready += !d.pods[j].ready;
			cpu = d.pods[j].cpu > cpu ? d.pods[j].cpu : cpu;
			mem = d.pods[j].mem > mem ? d.pods[j].mem : mem;
			grace = d.pods[j].grace > grace ? d.pods[j].grace : grace;
			spread |= d.pods[j].spread_zone;
		}
		kup_buf_adds(out, "    - {name: ");
		{
			char full[520];
			snprintf(full, sizeof(full), "%s%s%s", ns, ns[0] ? "/" : "", name);
			kup_json_quote(out, full);
		}
		kup_buf_addf(out, ", kind: %s", kind);
		if (strcmp(kind, "DaemonSet") == 0) {
			kup_buf_addf(out, ", requests: {cpu: %lldm, memory: %lld}}\n", (long long)cpu,
				     (long long)mem);
			continue;
		}
		ctl = find_ctl(&d, kind, ns[0] ? ns : NULL, name);
		replicas = ctl && ctl->replicas >= 0 ? ctl->replicas : count;
		if (unready > replicas)
			unready = replicas;
		kup_buf_addf(out, ", replicas: %d, requests: {cpu: %lldm, memory: %lld}, "
			     "terminationGracePeriodSeconds: %.0f", replicas, (long long)cpu,
			     (long long)mem, grace);
		if (spread)
			kup_buf_adds(out, ", spread: zone");
		if (unready)
			kup_buf_addf(out, ", unready: %d", unready);
		for (j = 0; j < d.npdbs; j++) {
			struct d_pdb *b = &d.pdbs[j];
			if ((b->ns ? b->ns : "")[0] != ns[0] || strcmp(b->ns ? b->ns : "", ns) != 0 ||
			    !selects(b->labels, d.pods[i].labels))
				continue;
			b->used = true;
			kup_buf_adds(out, ", pdb: {");
			if (b->pdb.min_available.set) {
				kup_buf_adds(out, "minAvailable: ");
				intpct_out(out, &b->pdb.min_available);
			} else {
				kup_buf_adds(out, "maxUnavailable: ");
				intpct_out(out, &b->pdb.max_unavailable);
			}
			if (b->pdb.always_allow)
				kup_buf_adds(out, ", unhealthyPodEvictionPolicy: AlwaysAllow");
			kup_buf_adds(out, "}");
			break;
		}
		kup_buf_adds(out, "}\n");
	}
	if (skipped)
		kup_buf_addf(out, "# %zu pods without a Deployment, StatefulSet or DaemonSet owner were "
			     "left out (kubectl drain refuses them without --force)\n", skipped);
	if (out->oom)
		st = kup_error_set(err, KUP_NOMEM, path, 0, 0, "out of memory");
out:
	for (i = 0; gkey && i < d.npods; i++)
		free(gkey[i]);
	free(gkey);
	free(done);
	free(zones);
	dump_release(&d);
	return st;
}
