/*
 * preflight.c - checks only a cluster can answer (preflight.h).
 *
 * Objects arrive in any order (a webhook before the Endpoints of its
 * Service, a PDB before its pods), so each object is reduced to the few
 * facts the checks need, copied into the pass's arena, and the checks that
 * join two kinds run in kup_preflight_finish().  What one object decides
 * alone (an APIService, a CRD, an image) becomes a finding at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/preflight.h"
#include "kupgrade/selector.h"

struct pod {
	const char *ns;
	const char *name;
	struct kup_label *labels;
	size_t nlabels;
};

struct pdb {
	const char *ns;
	const char *name;
	const char *api_version;
	int64_t allowed;
	struct kup_selector sel;
	struct kup_source src;
};

struct webhook {
	const char *config_kind;
	const char *config_api_version;
	const char *config;
	const char *name;
	const char *svc_ns;      /* NULL for url webhooks */
	const char *svc_name;
	bool fail;               /* failurePolicy Fail */
	bool has_ns_selector;
	struct kup_selector ns_sel;
	struct kup_source src;
};

struct node_info {
	const char *name;
	const char *api_version;
	const char *kubelet;
	const char *proxy;
	struct kup_source src;
};

struct image {
	const char *image;
	const char *kind;
	const char *api_version;
	const char *name;
	const char *ns;
	size_t users;
	struct kup_source src;
};

struct kup_preflight {
	const struct kup_kb *kb;
	struct kup_preflight_opts opts;
	const char **allowed;
	struct kup_arena a;
	struct kup_preflight_finding *f;
	size_t nf, fcap;
	struct pod *pods;
	size_t npods, podcap;
	struct pdb *pdbs;
	size_t npdbs, pdbcap;
	struct webhook *hooks;
	size_t nhooks, hookcap;
	const char **ready_eps;      /* "ns/name" of Services with a ready endpoint */
	size_t neps, epcap;
	bool saw_endpoints;
	struct node_info *nodes;
	size_t nnodes, nodecap;
	struct image *images;
	size_t nimages, imagecap;
	struct kup_label *kube_system_labels;
	size_t nkube_system_labels;
	bool saw_kube_system;
	const char *last_path;       /* the path of the last location copied (shared) */
	bool oom;
	bool finished;
};

void kup_preflight_opts_init(struct kup_preflight_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_pods_listed = 10;
}

static const char *dup_str(struct kup_preflight *pf, struct kup_str s)
{
	char *p;

	if (!s.p)
		return NULL;
	p = kup_arena_strndup(&pf->a, s.p, s.n);
	if (!p)
		pf->oom = true;
	return p;
}

static const char *dup_c(struct kup_preflight *pf, const char *s)
{
	return kup_arena_strdup_oom(&pf->a, s, &pf->oom);
}

/* Where obj was read: type, path (copied once per path), line and column. */
static struct kup_source loc_of(struct kup_preflight *pf, const struct kup_object *obj)
{
	struct kup_source s;

	memset(&s, 0, sizeof(s));
	s.type = obj->src.type;
	s.line = obj->src.line;
	s.column = obj->src.column;
	if (obj->src.path) {
		if (!pf->last_path || strcmp(pf->last_path, obj->src.path) != 0)
			pf->last_path = dup_c(pf, obj->src.path);
		s.path = pf->last_path;
	}
	return s;
}

enum kup_status kup_preflight_new(const struct kup_kb *kb, const struct kup_preflight_opts *opts,
				  struct kup_preflight **out)
{
	struct kup_preflight *pf;
	size_t i;

	*out = NULL;
	pf = kup_calloc(1, sizeof(*pf));
	if (!pf)
		return KUP_NOMEM;
	pf->kb = kb;
	if (opts)
		pf->opts = *opts;
	else
		kup_preflight_opts_init(&pf->opts);
	if (pf->opts.max_pods_listed == 0)
		pf->opts.max_pods_listed = 10;
	kup_arena_init(&pf->a, 64 * 1024);
	if (pf->opts.allowed_registries) {
		pf->allowed = kup_calloc(pf->opts.nallowed + 1, sizeof(*pf->allowed));
		if (!pf->allowed) {
			kup_preflight_free(pf);
			return KUP_NOMEM;
		}
		for (i = 0; i < pf->opts.nallowed; i++)
			pf->allowed[i] = dup_c(pf, pf->opts.allowed_registries[i]);
		pf->opts.allowed_registries = pf->allowed;
	}
	if (pf->oom) {
		kup_preflight_free(pf);
		return KUP_NOMEM;
	}
	*out = pf;
	return KUP_OK;
}

enum kup_status kup_preflight_set_server(struct kup_preflight *pf, const struct kup_version *v)
{
	if (!pf || !v)
		return KUP_INVALID;
	pf->opts.server = *v;
	return KUP_OK;
}

void kup_preflight_free(struct kup_preflight *pf)
{
	if (!pf)
		return;
	kup_arena_release(&pf->a);
	free(pf->allowed);
	free(pf->f);
	free(pf->pods);
	free(pf->pdbs);
	free(pf->hooks);
	free(pf->ready_eps);
	free(pf->nodes);
	free(pf->images);
	free(pf);
}

size_t kup_preflight_count(const struct kup_preflight *pf)
{
	return pf ? pf->nf : 0;
}

const struct kup_preflight_finding *kup_preflight_at(const struct kup_preflight *pf, size_t i)
{
	return (pf && i < pf->nf) ? &pf->f[i] : NULL;
}

enum kup_fail_level kup_preflight_worst(const struct kup_preflight *pf)
{
	enum kup_fail_level w = KUP_FAIL_NONE;
	size_t i;

	for (i = 0; pf && i < pf->nf; i++)
		if (pf->f[i].severity > w)
			w = pf->f[i].severity;
	return w;
}

/* Adds a finding; strings are copied.  detail may be NULL. */
static void add_finding(struct kup_preflight *pf, const struct kup_source *src, const char *check,
			enum kup_fail_level sev, const char *kind, const char *api_version,
			const char *ns, const char *name, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 10, 11)));
static void add_finding(struct kup_preflight *pf, const struct kup_source *src, const char *check,
			enum kup_fail_level sev, const char *kind, const char *api_version,
			const char *ns, const char *name, const char *detail, const char *fmt, ...)
{
	struct kup_preflight_finding *f;
	struct kup_buf b = KUP_BUF_INIT;
	va_list ap;

	if (!kup_grow(&pf->f, &pf->fcap, pf->nf + 1, sizeof(*pf->f), 16)) {
		pf->oom = true;
		return;
	}
	va_start(ap, fmt);
	kup_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (b.oom) {
		kup_buf_release(&b);
		pf->oom = true;
		return;
	}
	f = &pf->f[pf->nf++];
	memset(f, 0, sizeof(*f));
	f->check = check;
	f->severity = sev;
	f->kind = dup_c(pf, kind);
	f->api_version = dup_c(pf, api_version);
	f->namespace_ = (ns && *ns) ? dup_c(pf, ns) : NULL;
	f->name = dup_c(pf, name);
	f->message = dup_c(pf, b.buf ? b.buf : "");
	f->detail = dup_c(pf, detail);
	if (src)
		f->src = *src;
	kup_buf_release(&b);
}

/* ---- images --------------------------------------------------------------- */

const char *kup_image_registry(const char *image, char *buf, size_t size)
{
	const char *slash = strchr(image, '/');
	size_t n;

	if (size == 0)
		return buf;
	if (slash) {
		n = (size_t)(slash - image);
		if ((memchr(image, '.', n) || memchr(image, ':', n) ||
		     (n == 9 && memcmp(image, "localhost", 9) == 0))) {
			if (n >= size)
				n = size - 1;
			memcpy(buf, image, n);
			buf[n] = '\0';
			return buf;
		}
	}
	snprintf(buf, size, "docker.io");
	return buf;
}

/* "nginx" -> "docker.io/library/nginx"; "bitnami/x" -> "docker.io/bitnami/x". */
static void image_normalize(const char *image, struct kup_buf *out)
{
	char reg[256];
	const char *slash = strchr(image, '/');

	kup_image_registry(image, reg, sizeof(reg));
	if (slash && strncmp(image, reg, strlen(reg)) == 0 && image[strlen(reg)] == '/') {
		kup_buf_adds(out, image);
		return;
	}
	/* docker.io, implicit (or index.docker.io spelled out is handled above) */
	kup_buf_adds(out, "docker.io/");
	if (!slash)
		kup_buf_adds(out, "library/");
	kup_buf_adds(out, image);
}

bool kup_image_allowed(const char *image, const char *const *allowed, size_t nallowed)
{
	struct kup_buf norm = KUP_BUF_INIT;
	const char *img;
	bool ok = false;
	size_t i;

	if (!image)
		return true;
	image_normalize(image, &norm);
	img = norm.buf ? norm.buf : image;
	for (i = 0; i < nallowed && !ok; i++) {
		const char *a = allowed[i];
		size_t n;

		if (!a || !*a)
			continue;
		n = strlen(a);
		while (n > 0 && a[n - 1] == '/')
			n--;
		if (strncmp(img, a, n) == 0 && (img[n] == '/' || img[n] == '\0' || img[n] == ':' ||
						img[n] == '@'))
			ok = true;
		/* docker.io is also spelled index.docker.io and registry-1.docker.io */
		if (!ok && strncmp(img, "docker.io/", 10) == 0 &&
		    ((n == 15 && strncmp(a, "index.docker.io", 15) == 0) ||
		     (n == 20 && strncmp(a, "registry-1.docker.io", 20) == 0)))
			ok = true;
	}
	kup_buf_release(&norm);
	return ok;
}

static void note_image(struct kup_preflight *pf, const struct kup_object *obj, const char *image)
{
	struct image *im;
	size_t i;

	if (!image || !*image || !pf->opts.allowed_registries)
		return;
	for (i = 0; i < pf->nimages; i++) {
		if (strcmp(pf->images[i].image, image) == 0) {
			pf->images[i].users++;
			/* Prefer a workload over the Pods it owns as the example. */
			if (strcmp(pf->images[i].kind, "Pod") == 0 && !kup_str_eqc(obj->kind, "Pod")) {
				pf->images[i].kind = dup_str(pf, obj->kind);
				pf->images[i].api_version = dup_str(pf, obj->api_version);
				pf->images[i].name = dup_str(pf, obj->name);
				pf->images[i].ns = dup_str(pf, obj->namespace_);
				pf->images[i].src = loc_of(pf, obj);
			}
			return;
		}
	}
	if (kup_image_allowed(image, pf->opts.allowed_registries, pf->opts.nallowed))
		return;
	if (!kup_grow(&pf->images, &pf->imagecap, pf->nimages + 1, sizeof(*pf->images), 16)) {
		pf->oom = true;
		return;
	}
	im = &pf->images[pf->nimages++];
	im->image = dup_c(pf, image);
	im->kind = dup_str(pf, obj->kind);
	im->api_version = dup_str(pf, obj->api_version);
	im->name = dup_str(pf, obj->name);
	im->ns = dup_str(pf, obj->namespace_);
	im->users = 1;
	im->src = loc_of(pf, obj);
	if (!im->kind)
		im->kind = "";
}

static void note_containers(struct kup_preflight *pf, const struct kup_object *obj,
			    const struct kup_node *podspec)
{
	static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
	size_t l, i;

	if (!podspec || podspec->kind != KUP_NODE_MAP)
		return;
	for (l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		const struct kup_node *c = kup_node_get(podspec, lists[l]);
		if (!c || c->kind != KUP_NODE_SEQ)
			continue;
		for (i = 0; i < c->len; i++)
			note_image(pf, obj, kup_node_str(kup_node_get(c->u.items[i], "image")));
	}
}

static const struct kup_node *pod_spec_of(const struct kup_object *obj)
{
	const struct kup_node *r = obj->root;

	if (kup_str_eqc(obj->kind, "Pod"))
		return kup_node_get(r, "spec");
	if (kup_str_eqc(obj->kind, "CronJob"))
		return kup_node_path(r, "spec", "jobTemplate", "spec", "template", "spec", NULL);
	if (kup_str_eqc(obj->kind, "PodTemplate"))
		return kup_node_path(r, "template", "spec", NULL);
	if (kup_str_eqc(obj->kind, "Deployment") || kup_str_eqc(obj->kind, "StatefulSet") ||
	    kup_str_eqc(obj->kind, "DaemonSet") || kup_str_eqc(obj->kind, "ReplicaSet") ||
	    kup_str_eqc(obj->kind, "ReplicationController") || kup_str_eqc(obj->kind, "Job"))
		return kup_node_path(r, "spec", "template", "spec", NULL);
	return NULL;
}

/* ---- per-kind reducers ---------------------------------------------------- */

static void take_pod(struct kup_preflight *pf, const struct kup_object *obj)
{
	struct pod *p;

	if (!kup_grow(&pf->pods, &pf->podcap, pf->npods + 1, sizeof(*pf->pods), 64)) {
		pf->oom = true;
		return;
	}
	p = &pf->pods[pf->npods++];
	memset(p, 0, sizeof(*p));
	p->ns = dup_str(pf, obj->namespace_);
	p->name = dup_str(pf, obj->name);
	if (!kup_labels_copy(&pf->a, kup_node_path(obj->root, "metadata", "labels", NULL), &p->labels, &p->nlabels))
		pf->oom = true;
	if (!p->ns)
		p->ns = "";
	if (!p->name)
		p->name = "";
}

static void take_pdb(struct kup_preflight *pf, const struct kup_object *obj)
{
	const struct kup_node *status = kup_node_get(obj->root, "status");
	const struct kup_node *da = kup_node_get(status, "disruptionsAllowed");
	struct pdb *p;
	int64_t allowed;

	/* A manifest (no status) says nothing about now. */
	if (!da || !kup_node_int(da, &allowed))
		return;
	if (!kup_grow(&pf->pdbs, &pf->pdbcap, pf->npdbs + 1, sizeof(*pf->pdbs), 16)) {
		pf->oom = true;
		return;
	}
	p = &pf->pdbs[pf->npdbs++];
	memset(p, 0, sizeof(*p));
	p->ns = dup_str(pf, obj->namespace_);
	p->name = dup_str(pf, obj->name);
	p->api_version = dup_str(pf, obj->api_version);
	p->allowed = allowed;
	p->src = loc_of(pf, obj);
	if (!kup_selector_parse(&pf->a, kup_node_path(obj->root, "spec", "selector", NULL), &p->sel))
		pf->oom = true;
	if (!kup_node_path(obj->root, "spec", "selector", NULL))
		p->sel.nothing = true;   /* policy/v1beta1: a missing selector matches no pod */
	if (!p->ns)
		p->ns = "";
}

static void take_endpoints(struct kup_preflight *pf, const struct kup_object *obj)
{
	const struct kup_node *subsets = kup_node_get(obj->root, "subsets");
	bool ready = false;
	size_t i;
	char *key;

	pf->saw_endpoints = true;
	for (i = 0; subsets && subsets->kind == KUP_NODE_SEQ && i < subsets->len; i++) {
		const struct kup_node *addrs = kup_node_get(subsets->u.items[i], "addresses");
		if (addrs && addrs->kind == KUP_NODE_SEQ && addrs->len > 0)
			ready = true;
	}
	if (!ready)
		return;
	key = kup_arena_printf(&pf->a, "%.*s/%.*s", (int)obj->namespace_.n,
			       obj->namespace_.p ? obj->namespace_.p : "", (int)obj->name.n,
			       obj->name.p ? obj->name.p : "");
	if (!key || !kup_grow(&pf->ready_eps, &pf->epcap, pf->neps + 1, sizeof(*pf->ready_eps), 16)) {
		pf->oom = true;
		return;
	}
	pf->ready_eps[pf->neps++] = key;
}

static void take_endpoint_slice(struct kup_preflight *pf, const struct kup_object *obj)
{
	const char *svc = kup_node_str(kup_node_path(obj->root, "metadata", "labels",
						     "kubernetes.io/service-name", NULL));
	const struct kup_node *eps = kup_node_get(obj->root, "endpoints");
	bool ready = false;
	size_t i;
	char *key;

	pf->saw_endpoints = true;
	if (!svc)
		return;
	for (i = 0; eps && eps->kind == KUP_NODE_SEQ && i < eps->len; i++) {
		const struct kup_node *r = kup_node_path(eps->u.items[i], "conditions", "ready", NULL);
		bool b = true;   /* unset means ready */
		if (r)
			kup_node_bool(r, &b);
		if (b)
			ready = true;
	}
	if (!ready)
		return;
	key = kup_arena_printf(&pf->a, "%.*s/%s", (int)obj->namespace_.n,
			       obj->namespace_.p ? obj->namespace_.p : "", svc);
	if (!key || !kup_grow(&pf->ready_eps, &pf->epcap, pf->neps + 1, sizeof(*pf->ready_eps), 16)) {
		pf->oom = true;
		return;
	}
	pf->ready_eps[pf->neps++] = key;
}

static void take_webhooks(struct kup_preflight *pf, const struct kup_object *obj)
{
	const struct kup_node *hooks = kup_node_get(obj->root, "webhooks");
	bool v1 = kup_str_eqc(obj->api_version, "admissionregistration.k8s.io/v1");
	size_t i;

	for (i = 0; hooks && hooks->kind == KUP_NODE_SEQ && i < hooks->len; i++) {
		const struct kup_node *h = hooks->u.items[i];
		const struct kup_node *svc = kup_node_path(h, "clientConfig", "service", NULL);
		const char *fp = kup_node_str(kup_node_get(h, "failurePolicy"));
		const struct kup_node *nss = kup_node_get(h, "namespaceSelector");
		struct webhook *w;

		if (!kup_grow(&pf->hooks, &pf->hookcap, pf->nhooks + 1, sizeof(*pf->hooks), 8)) {
			pf->oom = true;
			return;
		}
		w = &pf->hooks[pf->nhooks++];
		memset(w, 0, sizeof(*w));
		w->config_kind = dup_str(pf, obj->kind);
		w->config_api_version = dup_str(pf, obj->api_version);
		w->config = dup_str(pf, obj->name);
		w->name = dup_c(pf, kup_node_str(kup_node_get(h, "name")));
		if (!w->name)
			w->name = "";
		if (!w->config)
			w->config = "";
		/* admissionregistration/v1 defaults to Fail, v1beta1 to Ignore. */
		w->fail = fp ? strcmp(fp, "Fail") == 0 : v1;
		if (svc) {
			const char *ns = kup_node_str(kup_node_get(svc, "namespace"));
			const char *name = kup_node_str(kup_node_get(svc, "name"));
			w->svc_ns = dup_c(pf, ns ? ns : "default");
			w->svc_name = dup_c(pf, name ? name : "");
		}
		w->has_ns_selector = nss != NULL;
		w->src = loc_of(pf, obj);
		if (!kup_selector_parse(&pf->a, nss, &w->ns_sel))
			pf->oom = true;
	}
}

static void take_crd(struct kup_preflight *pf, const struct kup_object *obj)
{
	const struct kup_node *spec = kup_node_get(obj->root, "spec");
	const struct kup_node *stored = kup_node_path(obj->root, "status", "storedVersions", NULL);
	const struct kup_node *versions = kup_node_get(spec, "versions");
	const char *group = kup_node_str(kup_node_get(spec, "group"));
	const char *kind = kup_node_str(kup_node_path(spec, "names", "kind", NULL));
	const char *single = kup_node_str(kup_node_get(spec, "version"));   /* v1beta1 CRDs */
	struct kup_buf name = KUP_BUF_INIT;
	struct kup_source src = loc_of(pf, obj);
	size_t i, j;

	kup_buf_add(&name, obj->name.p ? obj->name.p : "", obj->name.n);
	for (i = 0; stored && stored->kind == KUP_NODE_SEQ && i < stored->len; i++) {
		const char *sv = kup_node_str(stored->u.items[i]);
		bool listed = false, served = false;
		const struct kup_api_rule *rule = NULL;

		if (!sv)
			continue;
		for (j = 0; versions && versions->kind == KUP_NODE_SEQ && j < versions->len; j++) {
			const struct kup_node *v = versions->u.items[j];
			if (kup_node_eq(kup_node_get(v, "name"), sv)) {
				bool b = true;
				listed = true;
				if (kup_node_get(v, "served"))
					kup_node_bool(kup_node_get(v, "served"), &b);
				served = b;
			}
		}
		if (!versions && single && strcmp(single, sv) == 0)
			listed = served = true;
		if (!listed || !served) {
			add_finding(pf, &src, "crd-stored-version", KUP_FAIL_REMOVED, "CustomResourceDefinition",
				    NULL, NULL, name.buf, NULL,
				    "status.storedVersions lists %s, which the CRD %s: objects stored as %s "
				    "cannot be read until they are migrated and storedVersions is updated",
				    sv, listed ? "no longer serves" : "does not list", sv);
			continue;
		}
		if (pf->kb && group && kind && pf->opts.target.valid) {
			struct kup_buf av = KUP_BUF_INIT;
			kup_buf_addf(&av, "%s/%s", group, sv);
			if (av.buf)
				rule = kup_kb_find_api(pf->kb, av.buf, av.len, kind, strlen(kind));
			if (rule && rule->removed_in.valid &&
			    (rule->level == KUP_LEVEL_BUILTIN || rule->level == KUP_LEVEL_OPT_IN_BETA) &&
			    kup_version_cmp_minor(&rule->removed_in, &pf->opts.target) <= 0) {
				char t[32], r[32];
				add_finding(pf, &src, "crd-stored-version", KUP_FAIL_REMOVED,
					    "CustomResourceDefinition", NULL, NULL, name.buf, NULL,
					    "status.storedVersions lists %s, which Kubernetes %s no longer "
					    "serves (removed in %s): migrate the stored objects first",
					    av.buf, kup_version_minor_str(&pf->opts.target, t, sizeof(t)),
					    kup_version_minor_str(&rule->removed_in, r, sizeof(r)));
			}
			kup_buf_release(&av);
		}
	}
	kup_buf_release(&name);
}

static void take_apiservice(struct kup_preflight *pf, const struct kup_object *obj)
{
	const struct kup_node *conds = kup_node_path(obj->root, "status", "conditions", NULL);
	struct kup_buf name = KUP_BUF_INIT;
	struct kup_source src = loc_of(pf, obj);
	size_t i;

	kup_buf_add(&name, obj->name.p ? obj->name.p : "", obj->name.n);
	for (i = 0; conds && conds->kind == KUP_NODE_SEQ && i < conds->len; i++) {
		const struct kup_node *c = conds->u.items[i];
		const char *reason, *msg;

		if (!kup_node_eq(kup_node_get(c, "type"), "Available"))
			continue;
		if (!kup_node_eq(kup_node_get(c, "status"), "False"))
			continue;
		reason = kup_node_str(kup_node_get(c, "reason"));
		msg = kup_node_str(kup_node_get(c, "message"));
		add_finding(pf, &src, "apiservice-unavailable", KUP_FAIL_DEPRECATED, "APIService",
			    "apiregistration.k8s.io/v1", NULL, name.buf, msg,
			    "APIService %s is not available (%s): its group is missing from discovery, "
			    "which breaks namespace deletion and garbage collection during the upgrade",
			    name.buf ? name.buf : "", reason ? reason : "no reason given");
	}
	kup_buf_release(&name);
}

static void take_node(struct kup_preflight *pf, const struct kup_object *obj)
{
	const struct kup_node *info = kup_node_path(obj->root, "status", "nodeInfo", NULL);
	struct node_info *n;

	if (!info)
		return;
	if (!kup_grow(&pf->nodes, &pf->nodecap, pf->nnodes + 1, sizeof(*pf->nodes), 16)) {
		pf->oom = true;
		return;
	}
	n = &pf->nodes[pf->nnodes++];
	n->name = dup_str(pf, obj->name);
	n->api_version = dup_str(pf, obj->api_version);
	n->kubelet = dup_c(pf, kup_node_str(kup_node_get(info, "kubeletVersion")));
	n->proxy = dup_c(pf, kup_node_str(kup_node_get(info, "kubeProxyVersion")));
	n->src = loc_of(pf, obj);
	if (!n->name)
		n->name = "";
}

static void take_namespace(struct kup_preflight *pf, const struct kup_object *obj)
{
	if (!kup_str_eqc(obj->name, "kube-system"))
		return;
	pf->saw_kube_system = true;
	if (!kup_labels_copy(&pf->a, kup_node_path(obj->root, "metadata", "labels", NULL),
			     &pf->kube_system_labels, &pf->nkube_system_labels))
		pf->oom = true;
}

enum kup_status kup_preflight_object(void *ctx, const struct kup_object *obj)
{
	struct kup_preflight *pf = ctx;
	const struct kup_node *podspec;
	struct kup_str k;

	if (!pf || !obj)
		return KUP_INVALID;
	if (!obj->root || obj->undecidable)
		return KUP_OK;
	switch (obj->src.type) {
	case KUP_SRC_LAST_APPLIED:
	case KUP_SRC_MANAGED_FIELDS:
	case KUP_SRC_HELM_RELEASE:
	case KUP_SRC_CHART_TEMPLATE:
		return KUP_OK;
	default:
		break;
	}
	k = obj->kind;
	if (kup_str_eqc(k, "Pod"))
		take_pod(pf, obj);
	else if (kup_str_eqc(k, "PodDisruptionBudget"))
		take_pdb(pf, obj);
	else if (kup_str_eqc(k, "Endpoints"))
		take_endpoints(pf, obj);
	else if (kup_str_eqc(k, "EndpointSlice"))
		take_endpoint_slice(pf, obj);
	else if (kup_str_eqc(k, "ValidatingWebhookConfiguration") ||
		 kup_str_eqc(k, "MutatingWebhookConfiguration"))
		take_webhooks(pf, obj);
	else if (kup_str_eqc(k, "CustomResourceDefinition"))
		take_crd(pf, obj);
	else if (kup_str_eqc(k, "APIService"))
		take_apiservice(pf, obj);
	else if (kup_str_eqc(k, "Node"))
		take_node(pf, obj);
	else if (kup_str_eqc(k, "Namespace"))
		take_namespace(pf, obj);
	else if (kup_str_eqc(k, "List") && !pf->opts.server.valid) {
		/* a kupgrade snapshot names the server's version */
		const char *v = kup_node_str(kup_node_path(obj->root, "metadata", "annotations",
							   "kupgrade.dev/server-version", NULL));
		if (v)
			kup_version_parse(v, &pf->opts.server, NULL);
	}
	podspec = pod_spec_of(obj);
	if (podspec)
		note_containers(pf, obj, podspec);
	return pf->oom ? KUP_NOMEM : KUP_OK;
}

/* ---- the joins -------------------------------------------------------------- */

static bool service_ready(const struct kup_preflight *pf, const char *ns, const char *name)
{
	size_t i, nl = strlen(ns);

	for (i = 0; i < pf->neps; i++) {
		const char *k = pf->ready_eps[i];
		if (strncmp(k, ns, nl) == 0 && k[nl] == '/' && strcmp(k + nl + 1, name) == 0)
			return true;
	}
	return false;
}

static void finish_webhooks(struct kup_preflight *pf)
{
	struct kup_label deflt = { "kubernetes.io/metadata.name", "kube-system" };
	const struct kup_label *ks = pf->saw_kube_system ? pf->kube_system_labels : &deflt;
	size_t nks = pf->saw_kube_system ? pf->nkube_system_labels : 1;
	size_t i;

	for (i = 0; i < pf->nhooks; i++) {
		const struct webhook *w = &pf->hooks[i];

		if (!w->fail)
			continue;
		if (w->svc_name && pf->saw_endpoints && !service_ready(pf, w->svc_ns, w->svc_name))
			add_finding(pf, &w->src, "webhook-unavailable", KUP_FAIL_REMOVED, w->config_kind,
				    w->config_api_version, NULL, w->config, NULL,
				    "webhook %s has failurePolicy Fail and its service %s/%s has no ready "
				    "endpoint: every request it intercepts is refused",
				    w->name, w->svc_ns, w->svc_name);
		if (kup_selector_matches(&w->ns_sel, ks, nks))
			add_finding(pf, &w->src, "webhook-kube-system", KUP_FAIL_DEPRECATED, w->config_kind,
				    w->config_api_version, NULL, w->config, NULL,
				    "webhook %s has failurePolicy Fail and %s kube-system: while it is down, "
				    "control-plane and add-on pods in kube-system cannot be created",
				    w->name,
				    w->has_ns_selector ? "its namespaceSelector does not exclude"
						       : "no namespaceSelector, so it intercepts");
	}
}

static void finish_pdbs(struct kup_preflight *pf)
{
	size_t i, j;

	for (i = 0; i < pf->npdbs; i++) {
		const struct pdb *p = &pf->pdbs[i];
		struct kup_buf d = KUP_BUF_INIT;
		size_t covered = 0;

		if (p->allowed > 0)
			continue;
		for (j = 0; j < pf->npods; j++) {
			const struct pod *pod = &pf->pods[j];
			if (strcmp(pod->ns, p->ns) != 0 ||
			    !kup_selector_matches(&p->sel, pod->labels, pod->nlabels))
				continue;
			if (covered < pf->opts.max_pods_listed)
				kup_buf_addf(&d, "%s%s/%s", covered ? ", " : "pods: ", pod->ns, pod->name);
			covered++;
		}
		if (covered > pf->opts.max_pods_listed)
			kup_buf_addf(&d, " and %zu more", covered - pf->opts.max_pods_listed);
		if (d.oom)
			pf->oom = true;
		add_finding(pf, &p->src, "pdb-blocking", KUP_FAIL_REMOVED, "PodDisruptionBudget", p->api_version,
			    p->ns, p->name, d.buf,
			    "allows 0 disruptions now%s",
			    covered == 0 ? " (it covers no pod in the input)"
			    : covered == 1 ? ": a drain waits on the pod it covers until it allows one"
					   : ": a drain waits on every pod it covers until it allows one");
		kup_buf_release(&d);
	}
}

static void skew_one(struct kup_preflight *pf, const struct node_info *n, const char *component,
		     const char *version)
{
	struct kup_version v, *srv = &pf->opts.server, *tgt = &pf->opts.target;
	char vs[32], ss[32], ts[32];
	int older;

	if (!version || kup_version_parse(version, &v, NULL) != KUP_OK)
		return;
	kup_version_minor_str(&v, vs, sizeof(vs));
	if (srv->valid) {
		kup_version_minor_str(srv, ss, sizeof(ss));
		if (kup_version_cmp_minor(&v, srv) > 0) {
			add_finding(pf, &n->src, "node-skew", KUP_FAIL_REMOVED, "Node", n->api_version, NULL,
				    n->name, NULL, "%s %s is newer than kube-apiserver %s", component,
				    version, ss);
			return;
		}
		older = pf->opts.skew_older ? pf->opts.skew_older(pf->opts.skew_ctx, component, srv) : -1;
		if (older >= 0 && v.major == srv->major && srv->minor - v.minor > older) {
			add_finding(pf, &n->src, "node-skew", KUP_FAIL_REMOVED, "Node", n->api_version, NULL,
				    n->name, NULL,
				    "%s %s is %d minors older than kube-apiserver %s (the policy allows %d)",
				    component, version, srv->minor - v.minor, ss, older);
			return;
		}
	}
	if (tgt->valid) {
		kup_version_minor_str(tgt, ts, sizeof(ts));
		older = pf->opts.skew_older ? pf->opts.skew_older(pf->opts.skew_ctx, component, tgt) : -1;
		if (older >= 0 && v.major == tgt->major && tgt->minor - v.minor > older)
			add_finding(pf, &n->src, "node-skew", KUP_FAIL_DEPRECATED, "Node", n->api_version, NULL,
				    n->name, NULL,
				    "%s %s would be %d minors older than a %s control plane (the policy "
				    "allows %d): upgrade this node on the way",
				    component, version, tgt->minor - v.minor, ts, older);
	}
}

static void finish_nodes(struct kup_preflight *pf)
{
	size_t i;

	for (i = 0; i < pf->nnodes; i++) {
		skew_one(pf, &pf->nodes[i], "kubelet", pf->nodes[i].kubelet);
		skew_one(pf, &pf->nodes[i], "kube-proxy", pf->nodes[i].proxy);
	}
}

static void finish_images(struct kup_preflight *pf)
{
	size_t i;

	for (i = 0; i < pf->nimages; i++) {
		const struct image *im = &pf->images[i];
		char reg[256];
		struct kup_buf d = KUP_BUF_INIT;

		if (im->users > 1)
			kup_buf_addf(&d, "used by %zu objects", im->users);
		kup_image_registry(im->image, reg, sizeof(reg));
		add_finding(pf, &im->src, "image-registry", KUP_FAIL_DEPRECATED, im->kind, im->api_version, im->ns,
			    im->name, d.buf,
			    "image %s comes from %s, which is not an allowed registry: a node roll "
			    "pulls it again on every new node%s",
			    im->image, reg,
			    strcmp(reg, "docker.io") == 0 ? " (Docker Hub rate-limits anonymous pulls)" : "");
		kup_buf_release(&d);
	}
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_finding(const void *pa, const void *pb)
{
	const struct kup_preflight_finding *a = pa, *b = pb;
	int c;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if ((c = cmp_str(a->check, b->check)) != 0)
		return c;
	if ((c = cmp_str(a->namespace_, b->namespace_)) != 0)
		return c;
	if ((c = cmp_str(a->name, b->name)) != 0)
		return c;
	return cmp_str(a->message, b->message);
}

enum kup_status kup_preflight_finish(struct kup_preflight *pf)
{
	if (!pf)
		return KUP_INVALID;
	if (pf->finished)
		return KUP_OK;
	pf->finished = true;
	finish_webhooks(pf);
	finish_pdbs(pf);
	finish_nodes(pf);
	finish_images(pf);
	if (pf->nf > 1)
		qsort(pf->f, pf->nf, sizeof(*pf->f), cmp_finding);
	return pf->oom ? KUP_NOMEM : KUP_OK;
}
