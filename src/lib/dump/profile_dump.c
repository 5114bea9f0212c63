/*
 * profile_dump.c - a ClusterProfile derived from kubectl output (profile.h).
 *
 * Inputs, in any number of files, JSON or YAML:
 *  - `kubectl get nodes,deployments,daemonsets -A -o json` (a List; a
 *    `kupgrade snapshot` is one too and carries the server version in
 *    metadata.annotations["kupgrade.dev/server-version"]);
 *  - `kubectl version -o json` ({"serverVersion": {"gitVersion": ...}}).
 *
 * Node pools: nodes grouped by kup_dump_node_pool() (the first pool label of
 * the knowledge base's provider files they carry; control-plane nodes
 * without one form "control-plane"; the rest "default").  A pool whose
 * nodes run different kubelet versions (an upgrade half done) is one entry
 * at its OLDEST version, the one the skew policy must hold for, with a
 * warning naming both; os, runtime, kernel and kube-proxy come from the
 * oldest node, zones are the union.
 *
 * Add-ons: each Deployment, DaemonSet or StatefulSet whose container image
 * ends with an image suffix the KB lists for an add-on (or whose name is
 * one of the add-on's workloads) is that add-on, at the version of the image
 * tag; one add-on seen in several workloads keeps its oldest version.  A
 * kube-system workload the KB does not know is listed under its own name
 * with a warning "not in the knowledge base".  An image pinned by digest
 * only, or a tag that is not a version (latest), leaves the version unknown,
 * with a warning.
 *
 * Provider: the provider of the first `recognize` row of the knowledge base
 * (kup_kb_recognize_at: providers in the order eks, gke, aks, kubeadm) the
 * dump matches: a server or kubelet version's pre-release prefix ("eks-",
 * "gke."), a node label or label prefix, a node annotation prefix, a
 * ConfigMap's name; else generic.  No provider fact is written here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kupgrade/json.h"
#include "kupgrade/kbplan.h"
#include "kupgrade/kbrules.h"
#include "kupgrade/dump.h"
#include "kupgrade/profile.h"
#include "kupgrade/yaml.h"

#define DUMP_MAX_BYTES (1024u * 1024u * 1024u)

struct dnode {
	const char *name;
	size_t seq;                /* read order: a node read twice keeps its last reading */
	const char *pool;
	const char *kubelet;
	struct kup_version kv;
	const char *kube_proxy;
	const char *os, *runtime, *kernel, *zone;
};

struct dwork {
	size_t seq;                /* read order: a workload read twice keeps its last reading */
	const char *ns, *name, *kind;
	const char *chart_name, *chart_version;   /* from the helm.sh/chart label, or NULL */
	const char **images;       /* containers, then init containers */
	size_t nimages, ncontainers;
};

struct dctx {
	const struct kup_kb *kb;
	const struct kup_profile_dump_opts *opts;
	const char *path;                 /* the file being read */
	struct kup_arena *a;              /* the profile's arena */
	struct dnode *nodes;
	size_t nnodes, cnodes;
	struct dwork *works;
	size_t nworks, cworks;
	const char *server_version;
	const char *server_version_path;
	const char *context;
	const char *label_name;           /* the first cluster-name label a node carries */
	size_t rec_best;                  /* the first recognize row matched so far; SIZE_MAX: none */
	size_t errors;
	bool oom;
};

static void report(const struct kup_error_sink *sink, enum kup_status code, const char *path,
		   uint32_t line, uint32_t column, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void report(const struct kup_error_sink *sink, enum kup_status code, const char *path,
		   uint32_t line, uint32_t column, const char *fmt, ...)
{
	va_list ap;

	if (!sink || !sink->fn)
		return;
	va_start(ap, fmt);
	kup_error_vreport(sink, code, path, line, column, NULL, fmt, ap);
	va_end(ap);
}

static const char *adup(struct dctx *c, const char *s)
{
	return kup_arena_strdup_oom(c->a, s, &c->oom);
}

static const char *str_at(const struct kup_node *n)
{
	if (!n || n->kind != KUP_NODE_SCALAR || n->tag == KUP_TAG_NULL || n->len == 0 ||
	    strlen(n->u.str) != n->len)
		return NULL;
	return n->u.str;
}

/* ---- reading ------------------------------------------------------------ */

static bool has_key_prefix(const struct kup_node *map, const char *prefix)
{
	size_t i;

	if (!map || map->kind != KUP_NODE_MAP)
		return false;
	for (i = 0; i < map->len; i++)
		if (kup_str_has_prefix(kup_node_slice(map->u.pairs[i].key), prefix))
			return true;
	return false;
}

/* The recognize rows (before the best so far) a node's labels and annotations match. */
static void recognize_node(struct dctx *c, const struct kup_node *labels,
			   const struct kup_node *ann)
{
	const struct kup_recognize_rule *r;
	size_t i;

	for (i = 0; i < c->rec_best && (r = kup_kb_recognize_at(c->kb, i)) != NULL; i++) {
		bool hit = false;

		if (r->on == KUP_RECOGNIZE_NODE_LABEL)
			hit = kup_node_get(labels, r->value) != NULL;
		else if (r->on == KUP_RECOGNIZE_NODE_LABEL_PREFIX)
			hit = has_key_prefix(labels, r->value);
		else if (r->on == KUP_RECOGNIZE_NODE_ANNOTATION_PREFIX)
			hit = has_key_prefix(ann, r->value);
		if (hit)
			c->rec_best = i;
	}
}

static void recognize_configmap(struct dctx *c, const struct kup_node *obj)
{
	const struct kup_recognize_rule *r;
	size_t i;

	for (i = 0; i < c->rec_best && (r = kup_kb_recognize_at(c->kb, i)) != NULL; i++)
		if (r->on == KUP_RECOGNIZE_CONFIGMAP &&
		    kup_node_eq(kup_node_path(obj, "metadata", "name", NULL), r->value))
			c->rec_best = i;
}

static void read_node(struct dctx *c, const struct kup_node *obj)
{
	const struct kup_node *labels = kup_node_path(obj, "metadata", "labels", NULL);
	const struct kup_node *ann = kup_node_path(obj, "metadata", "annotations", NULL);
	const struct kup_node *info = kup_node_path(obj, "status", "nodeInfo", NULL);
	struct dnode *d;
	const char *s;

	if (!kup_grow(&c->nodes, &c->cnodes, c->nnodes + 1, sizeof(*c->nodes), 16)) {
		c->oom = true;
		return;
	}
	d = &c->nodes[c->nnodes];
	memset(d, 0, sizeof(*d));
	d->seq = c->nnodes;
	d->name = adup(c, str_at(kup_node_path(obj, "metadata", "name", NULL)));
	d->pool = adup(c, kup_dump_node_pool(c->kb, obj));
	if (d->pool && !kup_profile_name_ok(d->pool)) {
		/* a label value Kubernetes would not take: the runbook would print it into a command */
		c->errors++;
		report(&c->opts->errors, KUP_INVALID, c->path, obj->line, obj->column,
		       "node %.64s: pool '%.64s' is not a name, left out of the node pools",
		       d->name ? d->name : "(unnamed)", d->pool);
		return;
	}
	recognize_node(c, labels, ann);
	if (!c->label_name) {
		/* the cluster's name as a node label carries it (the KB's cluster_name_labels: eksctl's) */
		const struct kup_pool_label *nl;
		size_t i;

		for (i = 0; !c->label_name && (nl = kup_kb_name_label_at(c->kb, i)) != NULL; i++)
			c->label_name = adup(c, str_at(kup_node_get(labels, nl->label)));
	}
	s = str_at(kup_node_get(labels, "topology.kubernetes.io/zone"));
	if (!s)
		s = str_at(kup_node_get(labels, "failure-domain.beta.kubernetes.io/zone"));
	d->zone = adup(c, s);
	d->kubelet = adup(c, str_at(kup_node_get(info, "kubeletVersion")));
	if (!d->kubelet || kup_version_parse(d->kubelet, &d->kv, NULL) != KUP_OK) {
		const struct kup_node *at = kup_node_get(info, "kubeletVersion");
		report(&c->opts->warnings, KUP_VERSION, c->path, at ? at->line : obj->line,
		       at ? at->column : obj->column,
		       "node %s: no readable status.nodeInfo.kubeletVersion, left out of the node pools",
		       d->name ? d->name : "(unnamed)");
		return;
	}
	d->kube_proxy = adup(c, str_at(kup_node_get(info, "kubeProxyVersion")));
	d->os = adup(c, str_at(kup_node_get(info, "osImage")));
	d->runtime = adup(c, str_at(kup_node_get(info, "containerRuntimeVersion")));
	d->kernel = adup(c, str_at(kup_node_get(info, "kernelVersion")));
	c->nnodes++;
}

static void add_images(struct dctx *c, struct dwork *w, const struct kup_node *list)
{
	size_t i;

	if (!list || list->kind != KUP_NODE_SEQ)
		return;
	for (i = 0; i < list->len; i++) {
		const char *img = str_at(kup_node_get(list->u.items[i], "image"));
		if (img)
			w->images[w->nimages++] = adup(c, img);
	}
}

/*
 * Helm labels its objects helm.sh/chart: NAME-VERSION (chart names may hold
 * dashes: the version starts after the first dash followed by something
 * that parses as a version).
 */
static void read_chart_label(struct dctx *c, struct dwork *w, const struct kup_node *obj)
{
	const char *label = str_at(kup_node_path(obj, "metadata", "labels", "helm.sh/chart", NULL));
	size_t n, i;

	if (!label)
		return;
	n = strlen(label);
	for (i = 1; i + 1 < n; i++) {
		struct kup_version v;
		if (label[i] != '-')
			continue;
		if (kup_version_parse(label + i + 1, &v, NULL) == KUP_OK) {
			w->chart_name = kup_arena_strndup(c->a, label, i);
			w->chart_version = adup(c, label + i + 1);
			if (!w->chart_name)
				c->oom = true;
			return;
		}
	}
}

static void read_workload(struct dctx *c, const struct kup_node *obj, const char *kind)
{
	const struct kup_node *spec = kup_node_path(obj, "spec", "template", "spec", NULL);
	const struct kup_node *cs = kup_node_get(spec, "containers");
	const struct kup_node *ics = kup_node_get(spec, "initContainers");
	size_t n = 0;
	struct dwork *w;

	if (cs && cs->kind == KUP_NODE_SEQ)
		n += cs->len;
	if (ics && ics->kind == KUP_NODE_SEQ)
		n += ics->len;
	if (!kup_grow(&c->works, &c->cworks, c->nworks + 1, sizeof(*c->works), 16)) {
		c->oom = true;
		return;
	}
	w = &c->works[c->nworks];
	memset(w, 0, sizeof(*w));
	w->seq = c->nworks;
	w->kind = kind;
	w->ns = adup(c, str_at(kup_node_path(obj, "metadata", "namespace", NULL)));
	w->name = adup(c, str_at(kup_node_path(obj, "metadata", "name", NULL)));
	if (!w->name)
		return;
	if (!kup_profile_name_ok(w->name)) {
		c->errors++;
		report(&c->opts->errors, KUP_INVALID, c->path, obj->line, obj->column,
		       "%s '%.64s': not a name Kubernetes takes, left out of the add-ons", kind, w->name);
		return;
	}
	if (!w->ns)
		w->ns = "default";
	read_chart_label(c, w, obj);
	w->images = kup_arena_zalloc(c->a, (n ? n : 1) * sizeof(*w->images));
	if (!w->images) {
		c->oom = true;
		return;
	}
	add_images(c, w, cs);
	w->ncontainers = w->nimages;
	add_images(c, w, ics);
	c->nworks++;
}

static void read_object(struct dctx *c, const struct kup_node *obj);

static void read_list(struct dctx *c, const struct kup_node *obj)
{
	const struct kup_node *items = kup_node_get(obj, "items");
	const char *sv = str_at(kup_node_path(obj, "metadata", "annotations",
					      "kupgrade.dev/server-version", NULL));
	const char *ctxname = str_at(kup_node_path(obj, "metadata", "annotations",
						   "kupgrade.dev/context", NULL));
	size_t i;

	if (sv && !c->server_version) {
		c->server_version = adup(c, sv);
		c->server_version_path = c->path;
	}
	if (ctxname && !c->context)
		c->context = adup(c, ctxname);
	if (items && items->kind == KUP_NODE_SEQ)
		for (i = 0; i < items->len && !c->oom; i++)
			read_object(c, items->u.items[i]);
}

static void read_object(struct dctx *c, const struct kup_node *obj)
{
	const char *kind;
	const struct kup_node *sv;

	if (!obj || obj->kind != KUP_NODE_MAP)
		return;
	sv = kup_node_path(obj, "serverVersion", "gitVersion", NULL);
	if (str_at(sv)) {
		/* `kubectl version -o json`: the server version wins over a snapshot's annotation */
		c->server_version = adup(c, str_at(sv));
		c->server_version_path = c->path;
		return;
	}
	kind = str_at(kup_node_get(obj, "kind"));
	if (!kind) {
		read_list(c, obj);   /* the rest of a streamed List: its metadata */
		return;
	}
	if (strcmp(kind, "List") == 0 || (strlen(kind) > 4 && kup_str_has_suffix(kup_str_c(kind), "List")))
		read_list(c, obj);
	else if (strcmp(kind, "Node") == 0)
		read_node(c, obj);
	else if (strcmp(kind, "Deployment") == 0)
		read_workload(c, obj, "Deployment");
	else if (strcmp(kind, "DaemonSet") == 0)
		read_workload(c, obj, "DaemonSet");
	else if (strcmp(kind, "StatefulSet") == 0)
		read_workload(c, obj, "StatefulSet");
	else if (strcmp(kind, "ConfigMap") == 0)
		recognize_configmap(c, obj);
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct dctx *c = ctx;

	if (doc->root)
		read_object(c, doc->root);
	return c->oom ? KUP_NOMEM : KUP_OK;
}

static void on_read_error(void *ctx, const struct kup_error *err)
{
	struct dctx *c = ctx;

	c->errors++;
	kup_error_emit(&c->opts->errors, err);
}

static enum kup_status read_file(struct dctx *c, const char *path, struct kup_error *err)
{
	struct kup_arena arena;
	char *text = NULL;
	size_t len = 0, nerr = 0;
	enum kup_status st;

	st = kup_read_file(path, DUMP_MAX_BYTES, &text, &len, err);
	if (st != KUP_OK)
		return st;
	c->path = kup_arena_strdup(c->a, path);
	kup_arena_init(&arena, 0);
	st = kup_docs_read_mem(text, len, path, NULL, true,
			       (struct kup_error_sink){ .fn = on_read_error, .ctx = c }, &arena,
			       on_doc, c, &nerr);
	kup_arena_release(&arena);
	free(text);
	if (st == KUP_NOMEM || c->oom)
		return kup_error_set(err, KUP_NOMEM, path, 0, 0, "out of memory");
	return st;
}

/* ---- node pools ----------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_node(const void *a, const void *b)
{
	const struct dnode *x = a, *y = b;
	int c = strcmp(x->pool, y->pool);

	if (c)
		return c;
	c = kup_version_cmp(&x->kv, &y->kv);
	if (c)
		return c;
	return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static int cmp_node_name(const void *a, const void *b)
{
	const struct dnode *x = a, *y = b;
	int c = strcmp(x->name ? x->name : "", y->name ? y->name : "");

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The same node in two inputs (a snapshot and a kubectl dump) counts once: the last reading. */
static void dedupe_nodes(struct dctx *c)
{
	size_t i, w = 0;

	qsort(c->nodes, c->nnodes, sizeof(*c->nodes), cmp_node_name);
	for (i = 0; i < c->nnodes; i++) {
		if (c->nodes[i].name && i + 1 < c->nnodes && c->nodes[i + 1].name &&
		    strcmp(c->nodes[i].name, c->nodes[i + 1].name) == 0)
			continue;
		c->nodes[w++] = c->nodes[i];
	}
	c->nnodes = w;
}

static enum kup_status build_pools(struct dctx *c, struct kup_profile *p)
{
	size_t i, j, k;

	if (!c->nnodes)
		return KUP_OK;
	dedupe_nodes(c);
	qsort(c->nodes, c->nnodes, sizeof(*c->nodes), cmp_node);
	p->pools = kup_arena_zalloc(c->a, c->nnodes * sizeof(*p->pools));
	if (!p->pools)
		return KUP_NOMEM;
	for (i = 0; i < c->nnodes; i = j) {
		const struct dnode *oldest = &c->nodes[i];
		struct kup_nodepool *np = &p->pools[p->npools++];
		const struct dnode *newest;

		for (j = i + 1; j < c->nnodes && strcmp(c->nodes[j].pool, oldest->pool) == 0; j++)
			;
		newest = &c->nodes[j - 1];
		np->name = oldest->pool;
		np->version_text = oldest->kubelet;
		np->version = oldest->kv;
		np->count = (unsigned)(j - i);
		np->os = oldest->os;
		np->runtime = oldest->runtime;
		np->kernel = oldest->kernel;
		if (oldest->kube_proxy && kup_version_parse(oldest->kube_proxy, &np->kube_proxy, NULL) == KUP_OK)
			np->kube_proxy_text = oldest->kube_proxy;
		else
			memset(&np->kube_proxy, 0, sizeof(np->kube_proxy));
		if (kup_version_cmp(&oldest->kv, &newest->kv) != 0 ||
		    strcmp(oldest->kubelet, newest->kubelet) != 0) {
			size_t nold = 0;
			for (k = i; k < j; k++)
				if (strcmp(c->nodes[k].kubelet, oldest->kubelet) == 0)
					nold++;
			report(&c->opts->warnings, KUP_INVALID, NULL, 0, 0,
			       "node pool %s mixes kubelet versions (%zu of %u nodes at %s, newest %s): "
			       "profiled at the oldest", np->name, nold, np->count, oldest->kubelet,
			       newest->kubelet);
		}
		np->zones = kup_arena_zalloc(c->a, (j - i) * sizeof(*np->zones));
		if (!np->zones)
			return KUP_NOMEM;
		for (k = i; k < j; k++)
			if (c->nodes[k].zone)
				np->zones[np->nzones++] = c->nodes[k].zone;
		if (np->nzones > 1) {
			size_t w = 1;
			qsort(np->zones, np->nzones, sizeof(*np->zones), cmp_str);
			for (k = 1; k < np->nzones; k++)
				if (strcmp(np->zones[k], np->zones[w - 1]) != 0)
					np->zones[w++] = np->zones[k];
			np->nzones = w;
		}
	}
	return KUP_OK;
}

/* ---- add-ons ---------------------------------------------------------------- */

/* The repository of an image: without the tag and the digest. */
static struct kup_str image_repo(const char *img)
{
	const char *at = strchr(img, '@');
	size_t n = at ? (size_t)(at - img) : strlen(img);
	size_t slash = 0, i;

	for (i = 0; i < n; i++)
		if (img[i] == '/')
			slash = i + 1;
	for (i = slash; i < n; i++)
		if (img[i] == ':')
			return (struct kup_str){ img, i };
	return (struct kup_str){ img, n };
}

/* The tag of an image, or {NULL, 0} (digest only, or none). */
static struct kup_str image_tag(const char *img)
{
	struct kup_str repo = image_repo(img);
	const char *at = strchr(img, '@');
	size_t end = at ? (size_t)(at - img) : strlen(img);

	if (repo.n < end && img[repo.n] == ':')
		return (struct kup_str){ img + repo.n + 1, end - repo.n - 1 };
	return KUP_STR_NULL;
}

/* "/coredns" matches a repository ending in /coredns; "calico/node" one equal to it or ending in /calico/node. */
static bool repo_matches(struct kup_str repo, const char *suffix)
{
	size_t n = strlen(suffix);

	if (n == 0 || repo.n < n)
		return false;
	if (memcmp(repo.p + repo.n - n, suffix, n) != 0)
		return false;
	return suffix[0] == '/' || repo.n == n || repo.p[repo.n - n - 1] == '/';
}

static const struct kup_addon_rule *match_image(const struct kup_kb *kb, const char *img)
{
	struct kup_str repo = image_repo(img);
	size_t i, j, nrules = kb ? kup_kb_addon_count(kb) : 0;

	for (i = 0; i < nrules; i++) {
		const struct kup_addon_rule *r = kup_kb_addon_at(kb, i);
		for (j = 0; j < r->nimages; j++)
			if (repo_matches(repo, r->images[j]))
				return r;
	}
	return NULL;
}

static const struct kup_addon_rule *match_workload(const struct kup_kb *kb, const char *name)
{
	size_t i, j, nrules = kb ? kup_kb_addon_count(kb) : 0;

	for (i = 0; i < nrules; i++) {
		const struct kup_addon_rule *r = kup_kb_addon_at(kb, i);
		for (j = 0; j < r->nworkloads; j++)
			if (strcmp(r->workloads[j], name) == 0)
				return r;
	}
	return NULL;
}

static int cmp_work_key(const struct dwork *x, const struct dwork *y)
{
	int c = strcmp(x->ns, y->ns);

	if (c)
		return c;
	c = strcmp(x->name, y->name);
	if (c)
		return c;
	return strcmp(x->kind, y->kind);
}

static int cmp_work(const void *a, const void *b)
{
	const struct dwork *x = a, *y = b;
	int c = cmp_work_key(x, y);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_addon(const void *a, const void *b)
{
	const struct kup_addon_inst *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Sets the version of `a` from an image; false when the tag is not a version. */
static bool version_from_image(struct dctx *c, struct kup_addon_inst *a, const char *img)
{
	struct kup_str tag = image_tag(img);

	a->image = img;
	a->version_text = NULL;
	memset(&a->version, 0, sizeof(a->version));
	if (!tag.p || kup_version_parse_n(tag.p, tag.n, &a->version, NULL) != KUP_OK) {
		memset(&a->version, 0, sizeof(a->version));
		return false;
	}
	a->version_text = kup_arena_strndup(c->a, tag.p, tag.n);
	if (!a->version_text)
		c->oom = true;
	return true;
}

static void warn_version(struct dctx *c, const struct kup_addon_inst *a, const struct dwork *w)
{
	struct kup_str tag = image_tag(a->image);

	if (!tag.p && strchr(a->image, '@'))
		report(&c->opts->warnings, KUP_VERSION, NULL, 0, 0,
		       "%s %s/%s: add-on %s runs image %s, pinned by digest only: version unknown",
		       w->kind, w->ns, w->name, a->name, a->image);
	else
		report(&c->opts->warnings, KUP_VERSION, NULL, 0, 0,
		       "%s %s/%s: add-on %s runs image %s, whose tag is not a version: version unknown",
		       w->kind, w->ns, w->name, a->name, a->image);
}

static enum kup_status build_addons(struct dctx *c, struct kup_profile *p)
{
	size_t i, j, k;

	if (!c->nworks)
		return KUP_OK;
	qsort(c->works, c->nworks, sizeof(*c->works), cmp_work);
	/* the same workload in two inputs counts once */
	for (i = 0, j = 0; i < c->nworks; i++) {
		if (i + 1 < c->nworks && cmp_work_key(&c->works[i], &c->works[i + 1]) == 0)
			continue;
		c->works[j++] = c->works[i];
	}
	c->nworks = j;
	p->addons = kup_arena_zalloc(c->a, c->nworks * sizeof(*p->addons));
	if (!p->addons)
		return KUP_NOMEM;
	for (i = 0; i < c->nworks && !c->oom; i++) {
		const struct dwork *w = &c->works[i];
		const struct kup_addon_rule *rule = NULL;
		const char *img = NULL, *name;
		struct kup_addon_inst cand, *have = NULL;

		for (j = 0; j < w->nimages && !rule; j++) {
			rule = match_image(c->kb, w->images[j]);
			if (rule)
				img = w->images[j];
		}
		if (!rule) {
			rule = match_workload(c->kb, w->name);
			if (rule && w->nimages)
				img = w->images[0];
		}
		if (!rule && strcmp(w->ns, "kube-system") != 0)
			continue;
		if (!rule && !w->nimages)
			continue;
		name = rule ? rule->name : w->name;
		if (!img)
			img = w->images[0];
		memset(&cand, 0, sizeof(cand));
		cand.name = name;
		cand.chart_name = w->chart_name;
		cand.chart_version = w->chart_version;
		version_from_image(c, &cand, img);
		for (k = 0; k < p->naddons; k++)
			if (strcmp(p->addons[k].name, name) == 0)
				have = &p->addons[k];
		if (!have) {
			p->addons[p->naddons++] = cand;
			if (!rule)
				report(&c->opts->warnings, KUP_NOTFOUND, NULL, 0, 0,
				       "%s kube-system/%s (image %s) is not in the knowledge base, not checked",
				       w->kind, w->name, img);
			if (!cand.version_text)
				warn_version(c, &cand, w);
			continue;
		}
		/* seen before: keep the oldest known version */
		if (cand.version_text &&
		    (!have->version_text || kup_version_cmp(&cand.version, &have->version) < 0)) {
			if (have->version_text && kup_version_cmp(&cand.version, &have->version) != 0)
				report(&c->opts->warnings, KUP_INVALID, NULL, 0, 0,
				       "add-on %s runs at %s and %s: profiled at the oldest", name,
				       cand.version_text, have->version_text);
			*have = cand;
		} else if (cand.version_text && have->version_text &&
			   kup_version_cmp(&cand.version, &have->version) > 0) {
			report(&c->opts->warnings, KUP_INVALID, NULL, 0, 0,
			       "add-on %s runs at %s and %s: profiled at the oldest", name,
			       have->version_text, cand.version_text);
		}
	}
	if (p->naddons > 1)
		qsort(p->addons, p->naddons, sizeof(*p->addons), cmp_addon);
	return c->oom ? KUP_NOMEM : KUP_OK;
}

/* ---- provider and name ------------------------------------------------------- */

static bool has_pre(const struct kup_version *v, const char *prefix)
{
	return v->valid && strncmp(v->pre, prefix, strlen(prefix)) == 0;
}

static enum kup_provider guess_provider(const struct dctx *c, const struct kup_profile *p)
{
	const struct kup_recognize_rule *r;
	enum kup_provider out = KUP_PROVIDER_GENERIC;
	size_t i, j, best = c->rec_best;

	for (i = 0; i < best && (r = kup_kb_recognize_at(c->kb, i)) != NULL; i++) {
		if (r->on != KUP_RECOGNIZE_VERSION_PREFIX)
			continue;
		if (has_pre(&p->control_plane, r->value))
			best = i;
		for (j = 0; j < p->npools && best != i; j++)
			if (has_pre(&p->pools[j].version, r->value))
				best = i;
	}
	r = best != SIZE_MAX ? kup_kb_recognize_at(c->kb, best) : NULL;
	if (r && !kup_provider_from_name(r->provider, &out))
		out = KUP_PROVIDER_GENERIC;
	return out;
}

static const char *base_name(struct kup_arena *a, const char *path)
{
	const char *b = strrchr(path, '/');
	const char *dot;

	b = b ? b + 1 : path;
	if (strcmp(b, "-") == 0 || !*b)
		return "cluster";
	dot = strrchr(b, '.');
	if (dot && dot != b)
		return kup_arena_strndup(a, b, (size_t)(dot - b));
	return kup_arena_strdup(a, b);
}

/* ---- entry points -------------------------------------------------------------- */

void kup_profile_dump_opts_init(struct kup_profile_dump_opts *o)
{
	memset(o, 0, sizeof(*o));
}

enum kup_status kup_profile_from_dump_opts(const struct kup_kb *kb, const char *const *paths,
					   size_t npaths, const struct kup_profile_dump_opts *opts,
					   struct kup_profile **out, size_t *nerrors,
					   struct kup_error *err)
{
	struct kup_profile_dump_opts none;
	struct kup_profile *p;
	struct dctx c;
	enum kup_status st = KUP_OK;
	size_t i;

	*out = NULL;
	if (nerrors)
		*nerrors = 0;
	if (!opts) {
		kup_profile_dump_opts_init(&none);
		opts = &none;
	}
	if (npaths == 0)
		return kup_error_set(err, KUP_USAGE, NULL, 0, 0, "no dump to read");
	p = kup_calloc(1, sizeof(*p));
	if (!p)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	kup_arena_init(&p->arena, 64 * 1024);
	memset(&c, 0, sizeof(c));
	c.kb = kb;
	c.rec_best = SIZE_MAX;
	c.opts = opts;
	c.a = &p->arena;
	for (i = 0; i < npaths; i++) {
		st = read_file(&c, paths[i], err);
		if (st != KUP_OK)
			goto fail;
	}
	if (nerrors)
		*nerrors = c.errors;
	p->path = kup_arena_strdup(&p->arena, paths[0]);
	if (!c.server_version) {
		st = kup_error_set(err, KUP_NOTFOUND, paths[0], 0, 0,
				   "no server version in the dump: add the output of `kubectl version -o json` "
				   "(or read a `kupgrade snapshot`)");
		goto fail;
	}
	if (kup_version_parse(c.server_version, &p->control_plane, NULL) != KUP_OK) {
		st = kup_error_set(err, KUP_VERSION, c.server_version_path, 0, 0,
				   "cannot parse the server version '%.64s'", c.server_version);
		goto fail;
	}
	p->cp_version_text = c.server_version;
	st = build_pools(&c, p);
	if (st == KUP_OK)
		st = build_addons(&c, p);
	if (st != KUP_OK) {
		kup_error_set(err, st, NULL, 0, 0, "out of memory");
		goto fail;
	}
	p->provider = guess_provider(&c, p);
	p->provider_text = kup_provider_name(p->provider);
	/* the first candidate that is a name (kup_profile_name_ok), as plan reads it back */
	if (opts->name && !kup_profile_name_ok(opts->name)) {
		st = kup_error_set(err, KUP_INVALID, NULL, 0, 0,
				   "--name '%.64s' is not a name: letters, digits and - _ . : / @ + only, starting with a letter or digit",
				   opts->name);
		goto fail;
	}
	if (opts->name)
		p->name = kup_arena_strdup(&p->arena, opts->name);
	else if (kup_profile_name_ok(c.label_name))
		p->name = c.label_name;
	else if (kup_profile_name_ok(c.context))
		p->name = c.context;
	else
		p->name = base_name(&p->arena, paths[0]);
	if (p->name && !kup_profile_name_ok(p->name))
		p->name = "cluster";
	if (kup_arena_failed(&p->arena)) {
		st = kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
		goto fail;
	}
	free(c.nodes);
	free(c.works);
	*out = p;
	return KUP_OK;
fail:
	free(c.nodes);
	free(c.works);
	kup_profile_free(p);
	return st;
}

struct first_error {
	struct kup_error *err;
	bool set;
};

static void keep_first(void *ctx, const struct kup_error *e)
{
	struct first_error *f = ctx;

	if (!f->set) {
		kup_error_copy(f->err, e);
		f->set = true;
	}
}

enum kup_status kup_profile_from_dump(const struct kup_kb *kb, const char *const *paths,
				      size_t npaths, struct kup_profile **out,
				      struct kup_error *err)
{
	struct kup_profile_dump_opts o;
	struct kup_error first = KUP_ERROR_INIT;
	struct first_error f = { &first, false };
	size_t nerr = 0;
	enum kup_status st;

	kup_profile_dump_opts_init(&o);
	o.errors.fn = keep_first;
	o.errors.ctx = &f;
	st = kup_profile_from_dump_opts(kb, paths, npaths, &o, out, &nerr, err);
	if (st == KUP_OK && nerr) {
		kup_profile_free(*out);
		*out = NULL;
		if (err)
			kup_error_copy(err, &first);
		st = KUP_PARSE;
	}
	kup_error_release(&first);
	return st;
}
