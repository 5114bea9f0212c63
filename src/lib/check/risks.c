/*
 * risks.c - evidence gathering and the risk detectors of data/risks.yaml.
 *
 * Evidence is a bag of facts: (name, key, value, description).  The profile
 * gives provider, control-plane, node-pool and add-on facts; objects from
 * dumps and manifests give node, workload, webhook, CRD, storage, kubeconfig
 * and chart facts (see data/README.md for the list).  A detector (parsed by
 * kb/kbplan.c) names facts and tests their values; the descriptions of the
 * facts that matched become the human evidence string.  Which facts matter,
 * and every version and name they are compared with, come from the data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kupgrade/object.h"
#include "kupgrade/profile.h"
#include "kupgrade/kbplan.h"

/* Bounds: one dump can hold many objects; facts beyond this are dropped
 * (the first ones already give the evidence). */
#define MAX_FACTS_PER_NAME 200000
#define MAX_EVIDENCE_TEXT 400

/*
 * The facts of kbplan.h (KUP_RISK_FACTS): every one of them is produced by an
 * extractor below; the KB refuses a detector naming another at load time.
 */
enum fact_id {
#define KUP_X_ENUM(id, name) id,
	KUP_RISK_FACTS(KUP_X_ENUM)
#undef KUP_X_ENUM
	NFACTS
};

struct fact {
	const char *key;                /* may be NULL */
	const char *value;
	const char *desc;
	uint64_t hash;
	int vmajor, vminor, vpatch;     /* the value as a version, when vok */
	bool vok;
};

struct fact_group {
	struct fact *v;
	size_t n, cap;
	size_t *index;                  /* open addressing over v, index + 1 */
	size_t index_cap;
};

struct kup_evidence {
	struct kup_arena arena;
	struct fact_group groups[NFACTS];
	bool oom;
};

enum kup_status kup_evidence_new(struct kup_evidence **out)
{
	struct kup_evidence *ev = kup_calloc(1, sizeof(*ev));

	*out = NULL;
	if (!ev)
		return KUP_NOMEM;
	kup_arena_init(&ev->arena, 4096);
	*out = ev;
	return KUP_OK;
}

void kup_evidence_free(struct kup_evidence *ev)
{
	size_t i;

	if (!ev)
		return;
	for (i = 0; i < NFACTS; i++)
		free(ev->groups[i].index);
	kup_arena_release(&ev->arena);
	free(ev);
}

static uint64_t fnv(uint64_t h, const char *s)
{
	if (!s)
		return (h ^ 0x01) * 1099511628211ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static bool str_eq_null(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool reindex(struct fact_group *g)
{
	size_t cap = 16, i;

	while (cap < g->n * 2 + 2)
		cap *= 2;
	free(g->index);
	g->index = kup_calloc(cap, sizeof(*g->index));
	if (!g->index) {
		g->index_cap = 0;
		return false;
	}
	g->index_cap = cap;
	for (i = 0; i < g->n; i++) {
		size_t s = g->v[i].hash & (cap - 1);
		while (g->index[s])
			s = (s + 1) & (cap - 1);
		g->index[s] = i + 1;
	}
	return true;
}

/*
 * The description, formatted into the arena.  Descriptions only use %s, which
 * is done here directly (vsnprintf costs more than everything else per fact);
 * any other conversion goes through kup_buf_vaddf.
 */
__attribute__((format(printf, 2, 0)))
static const char *format_desc(struct kup_arena *a, const char *fmt, va_list ap)
{
	const char *args[8], *f;
	size_t na = 0, len = 0, i;
	char *out, *o;
	va_list cp;

	va_copy(cp, ap);
	for (f = fmt; *f; f++) {
		if (*f != '%') {
			len++;
			continue;
		}
		if (f[1] == '%') {
			len++;
			f++;
			continue;
		}
		if (f[1] != 's' || na == sizeof(args) / sizeof(args[0]))
			break;
		args[na] = va_arg(cp, const char *);
		if (!args[na])
			args[na] = "(null)";
		len += strlen(args[na++]);
		f++;
	}
	va_end(cp);
	if (*f) {
		struct kup_buf d = KUP_BUF_INIT;
		const char *r;
		kup_buf_vaddf(&d, fmt, ap);
		r = d.oom ? NULL : kup_arena_strndup(a, d.buf, d.len);
		kup_buf_release(&d);
		return r;
	}
	out = kup_arena_alloc(a, len + 1);
	if (!out)
		return NULL;
	for (f = fmt, o = out, i = 0; *f; f++) {
		if (*f != '%') {
			*o++ = *f;
		} else if (f[1] == '%') {
			*o++ = '%';
			f++;
		} else {
			size_t n = strlen(args[i]);
			memcpy(o, args[i++], n);
			o += n;
			f++;
		}
	}
	*o = '\0';
	return out;
}

/* Small groups are searched linearly; past this many facts a hash index is kept. */
#define INDEX_FROM 16

/*
 * Adds one fact unless the same (key, value) is there already; key, value
 * and the formatted description are copied into the evidence's arena.
 */
static void add_fact(struct kup_evidence *ev, enum fact_id id, const char *key,
		     const char *value, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add_fact(struct kup_evidence *ev, enum fact_id id, const char *key,
		     const char *value, const char *fmt, ...)
{
	struct fact_group *g = &ev->groups[id];
	struct fact f;
	va_list ap;
	size_t s, i;

	if (!value || ev->oom || g->n >= MAX_FACTS_PER_NAME)
		return;
	f.hash = fnv(fnv(1469598103934665603ULL, key), value);
	if (g->index_cap) {
		s = f.hash & (g->index_cap - 1);
		while (g->index[s]) {
			const struct fact *o = &g->v[g->index[s] - 1];
			if (o->hash == f.hash && str_eq_null(o->key, key) && strcmp(o->value, value) == 0)
				return;
			s = (s + 1) & (g->index_cap - 1);
		}
	} else {
		for (i = 0; i < g->n; i++)
			if (g->v[i].hash == f.hash && str_eq_null(g->v[i].key, key) &&
			    strcmp(g->v[i].value, value) == 0)
				return;
	}
	va_start(ap, fmt);
	f.desc = format_desc(&ev->arena, fmt, ap);
	va_end(ap);
	{
		struct kup_version v;
		f.vok = (value[0] >= '0' && value[0] <= '9') ||
			((value[0] == 'v' || value[0] == 'V') && value[1] >= '0' && value[1] <= '9');
		if (f.vok)
			f.vok = kup_version_parse(value, &v, NULL) == KUP_OK;
		f.vmajor = f.vok ? v.major : 0;
		f.vminor = f.vok ? v.minor : 0;
		f.vpatch = f.vok ? v.patch : 0;
	}
	f.key = key ? kup_arena_strdup(&ev->arena, key) : NULL;
	f.value = kup_arena_strdup(&ev->arena, value);
	if ((key && !f.key) || !f.value || !f.desc) {
		ev->oom = true;
		return;
	}
	if (g->n == g->cap) {
		/* Grown in the arena: the old array is left behind (at most half the total). */
		size_t ncap = g->cap ? g->cap * 2 : 4;
		struct fact *nv = kup_arena_alloc(&ev->arena, ncap * sizeof(*nv));
		if (!nv) {
			ev->oom = true;
			return;
		}
		if (g->n)
			memcpy(nv, g->v, g->n * sizeof(*nv));
		g->v = nv;
		g->cap = ncap;
	}
	g->v[g->n++] = f;
	if (g->n < INDEX_FROM)
		return;
	if (g->n * 2 + 2 > g->index_cap) {
		if (!reindex(g))
			ev->oom = true;
	} else {
		s = f.hash & (g->index_cap - 1);
		while (g->index[s])
			s = (s + 1) & (g->index_cap - 1);
		g->index[s] = g->n;
	}
}

/* ---- facts from the profile ------------------------------------------------------ */

/* "containerd://1.6.20" -> name "containerd", version "1.6.20". */
static void add_runtime(struct kup_evidence *ev, const char *who, const char *runtime)
{
	const char *sep = strstr(runtime, "://");
	char name[64];
	size_t n;

	add_fact(ev, F_POOL_RUNTIME, NULL, runtime, "%s runs %s", who, runtime);
	if (!sep)
		return;
	n = (size_t)(sep - runtime);
	if (n == 0 || n >= sizeof(name))
		return;
	memcpy(name, runtime, n);
	name[n] = '\0';
	add_fact(ev, F_POOL_RUNTIME_VERSION, name, sep + 3, "%s runs %s", who, runtime);
}

enum kup_status kup_evidence_add_profile(struct kup_evidence *ev, const struct kup_profile *p)
{
	size_t i;

	if (!ev || !p)
		return KUP_INVALID;
	add_fact(ev, F_PROVIDER, NULL, kup_provider_name(p->provider), "provider %s",
		 kup_provider_name(p->provider));
	if (p->cp_version_text)
		add_fact(ev, F_CP_VERSION, NULL, p->cp_version_text, "control plane at %s",
			 p->cp_version_text);
	for (i = 0; i < p->npools; i++) {
		const struct kup_nodepool *np = &p->pools[i];
		const char *pname = np->name ? np->name : "?";
		size_t pl = strlen(pname);
		struct { char buf[200]; } who;

		if (pl > sizeof(who.buf) - 11)
			pl = sizeof(who.buf) - 11;
		memcpy(who.buf, "node pool ", 10);
		memcpy(who.buf + 10, pname, pl);
		who.buf[10 + pl] = '\0';
		if (np->version_text)
			add_fact(ev, F_POOL_VERSION, np->name, np->version_text,
				 "%s runs kubelet %s", who.buf, np->version_text);
		if (np->kube_proxy_text)
			add_fact(ev, F_POOL_KUBE_PROXY, np->name, np->kube_proxy_text,
				 "%s runs kube-proxy %s", who.buf, np->kube_proxy_text);
		else if (np->version_text)
			add_fact(ev, F_POOL_KUBE_PROXY, np->name, np->version_text,
				 "%s runs kube-proxy %s (as its kubelet)", who.buf, np->version_text);
		if (np->os)
			add_fact(ev, F_POOL_OS, np->name, np->os, "%s runs %s", who.buf, np->os);
		if (np->runtime)
			add_runtime(ev, who.buf, np->runtime);
		if (np->kernel)
			add_fact(ev, F_POOL_KERNEL, np->name, np->kernel, "%s runs kernel %s",
				 who.buf, np->kernel);
	}
	for (i = 0; i < p->naddons; i++) {
		const struct kup_addon_inst *a = &p->addons[i];
		if (!a->name)
			continue;
		add_fact(ev, F_ADDON, a->name, a->version_text ? a->version_text : "",
			 "add-on %s %s", a->name, a->version_text ? a->version_text : "(version unknown)");
		if (a->chart_name)
			add_fact(ev, F_ADDON_CHART, a->chart_name,
				 a->chart_version ? a->chart_version : "",
				 "add-on %s from chart %s %s", a->name, a->chart_name,
				 a->chart_version ? a->chart_version : "");
		if (a->image)
			add_fact(ev, F_ADDON_IMAGE, a->name, a->image, "add-on %s runs %s", a->name,
				 a->image);
	}
	return ev->oom ? KUP_NOMEM : KUP_OK;
}

/* ---- facts from objects -------------------------------------------------------------- */

static const char *nstr(const struct kup_node *n)
{
	return kup_node_str(n);
}

/* "Deployment shop/web (deploy.yaml:3)" into b. */
static void describe_object(const struct kup_object *o, struct kup_buf *b)
{
	kup_buf_add(b, o->kind.p ? o->kind.p : "object", o->kind.p ? o->kind.n : 6);
	kup_buf_addc(b, ' ');
	if (o->namespace_.n) {
		kup_buf_add(b, o->namespace_.p, o->namespace_.n);
		kup_buf_addc(b, '/');
	}
	if (o->name.n)
		kup_buf_add(b, o->name.p, o->name.n);
	else
		kup_buf_adds(b, "(unnamed)");
	if (o->src.path) {
		if (o->src.line)
			kup_buf_addf(b, " (%s:%u)", o->src.path, (unsigned)o->src.line);
		else
			kup_buf_addf(b, " (%s)", o->src.path);
	}
}

static void image_facts(struct kup_evidence *ev, const char *who, const char *wname,
			const char *image)
{
	const char *colon, *slash, *at;
	char repo[512], tag[128];
	size_t n, end, tn;

	add_fact(ev, F_WORKLOAD_IMAGE, wname, image, "%s runs image %s", who, image);
	/* repository:tag[@digest] -> image.version keyed by repository */
	at = strchr(image, '@');
	end = at ? (size_t)(at - image) : strlen(image);
	slash = NULL;
	colon = NULL;
	for (n = 0; n < end; n++) {
		if (image[n] == '/')
			slash = image + n;
		else if (image[n] == ':')
			colon = image + n;
	}
	if (!colon || (slash && colon < slash))
		return;
	n = (size_t)(colon - image);
	tn = end - n - 1;
	if (n == 0 || n >= sizeof(repo) || tn == 0 || tn >= sizeof(tag))
		return;
	memcpy(repo, image, n);
	repo[n] = '\0';
	memcpy(tag, colon + 1, tn);
	tag[tn] = '\0';
	add_fact(ev, F_IMAGE_VERSION, repo, tag, "%s runs image %s", who, image);
}

static void container_facts(struct kup_evidence *ev, const char *who, const char *wname,
			    const struct kup_node *containers)
{
	size_t i, j, k;
	static const char *const probes[] = { "livenessProbe", "readinessProbe", "startupProbe" };

	if (!containers || containers->kind != KUP_NODE_SEQ)
		return;
	for (i = 0; i < containers->len; i++) {
		const struct kup_node *c = containers->u.items[i], *n;
		const char *img = nstr(kup_node_get(c, "image"));
		static const char *const argk[] = { "command", "args" };

		if (img)
			image_facts(ev, who, wname, img);
		for (j = 0; j < 3; j++) {
			const struct kup_node *pr = kup_node_get(c, probes[j]);
			if (!pr || !kup_node_get(pr, "exec"))
				continue;
			n = kup_node_get(pr, "timeoutSeconds");
			add_fact(ev, F_WORKLOAD_EXEC_PROBE, wname, nstr(n) ? nstr(n) : "default",
				 "%s has an exec %s (timeoutSeconds %s)", who, probes[j],
				 nstr(n) ? nstr(n) : "unset, 1s");
		}
		for (j = 0; j < 2; j++) {
			const struct kup_node *a = kup_node_get(c, argk[j]);
			if (!a || a->kind != KUP_NODE_SEQ)
				continue;
			for (k = 0; k < a->len; k++) {
				const char *s = nstr(a->u.items[k]);
				if (s && s[0] == '-' && s[1] == '-' && strlen(s) < 200)
					add_fact(ev, F_WORKLOAD_ARG, wname, s, "%s runs with %s", who, s);
			}
		}
	}
}

static void pod_spec_facts(struct kup_evidence *ev, const char *who, const char *wname,
			   const struct kup_node *spec)
{
	const struct kup_node *n;
	size_t i, j;

	if (!spec || spec->kind != KUP_NODE_MAP)
		return;
	container_facts(ev, who, wname, kup_node_get(spec, "containers"));
	container_facts(ev, who, wname, kup_node_get(spec, "initContainers"));
	n = kup_node_get(spec, "volumes");
	if (n && n->kind == KUP_NODE_SEQ)
		for (i = 0; i < n->len; i++) {
			const struct kup_node *v = n->u.items[i];
			if (v->kind != KUP_NODE_MAP)
				continue;
			for (j = 0; j < v->len; j++) {
				const char *k = nstr(v->u.pairs[j].key);
				if (!k || strcmp(k, "name") == 0)
					continue;
				add_fact(ev, F_WORKLOAD_VOLUME, wname, k, "%s mounts a %s volume", who, k);
				if (strcmp(k, "hostPath") == 0) {
					const char *path = nstr(kup_node_get(v->u.pairs[j].value, "path"));
					if (path)
						add_fact(ev, F_WORKLOAD_HOSTPATH, wname, path,
							 "%s mounts host path %s", who, path);
				}
			}
		}
	n = kup_node_get(spec, "tolerations");
	if (n && n->kind == KUP_NODE_SEQ)
		for (i = 0; i < n->len; i++) {
			const char *k = nstr(kup_node_get(n->u.items[i], "key"));
			if (k)
				add_fact(ev, F_WORKLOAD_TOLERATION, wname, k, "%s tolerates %s", who, k);
		}
	n = kup_node_get(spec, "nodeSelector");
	if (n && n->kind == KUP_NODE_MAP)
		for (i = 0; i < n->len; i++) {
			const char *k = nstr(n->u.pairs[i].key);
			if (k)
				add_fact(ev, F_WORKLOAD_NODE_SELECTOR, wname, k,
					 "%s selects nodes by %s", who, k);
		}
	n = kup_node_path(spec, "affinity", "nodeAffinity",
			  "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", NULL);
	if (n && n->kind == KUP_NODE_SEQ)
		for (i = 0; i < n->len; i++) {
			const struct kup_node *me = kup_node_get(n->u.items[i], "matchExpressions");
			if (!me || me->kind != KUP_NODE_SEQ)
				continue;
			for (j = 0; j < me->len; j++) {
				const char *k = nstr(kup_node_get(me->u.items[j], "key"));
				if (k)
					add_fact(ev, F_WORKLOAD_NODE_SELECTOR, wname, k,
						 "%s selects nodes by %s", who, k);
			}
		}
}

static void node_facts(struct kup_evidence *ev, const char *who, const char *name,
		       const struct kup_node *root)
{
	const struct kup_node *ni = kup_node_path(root, "status", "nodeInfo", NULL);
	const char *s;

	if (!ni)
		return;
	if ((s = nstr(kup_node_get(ni, "kubeletVersion"))))
		add_fact(ev, F_POOL_VERSION, name, s, "%s runs kubelet %s", who, s);
	if ((s = nstr(kup_node_get(ni, "kubeProxyVersion"))) && s[0])
		add_fact(ev, F_POOL_KUBE_PROXY, name, s, "%s runs kube-proxy %s", who, s);
	if ((s = nstr(kup_node_get(ni, "osImage"))))
		add_fact(ev, F_POOL_OS, name, s, "%s runs %s", who, s);
	if ((s = nstr(kup_node_get(ni, "containerRuntimeVersion"))))
		add_runtime(ev, who, s);
	if ((s = nstr(kup_node_get(ni, "kernelVersion"))))
		add_fact(ev, F_POOL_KERNEL, name, s, "%s runs kernel %s", who, s);
}

/*
 * Whether a webhook's namespaceSelector lets kube-system through: an empty
 * or absent selector does; matchLabels or In/Exists expressions (opt-in
 * labels kube-system does not carry) do not; NotIn/DoesNotExist expressions
 * do unless one of them excludes kube-system by name.
 */
static bool intercepts_kube_system(const struct kup_node *wh)
{
	const struct kup_node *sel = kup_node_get(wh, "namespaceSelector"), *ml, *me;
	size_t i, j;

	if (!sel || sel->kind != KUP_NODE_MAP)
		return true;
	ml = kup_node_get(sel, "matchLabels");
	if (ml && ml->kind == KUP_NODE_MAP && ml->len)
		return false;
	me = kup_node_get(sel, "matchExpressions");
	if (!me || me->kind != KUP_NODE_SEQ)
		return true;
	for (i = 0; i < me->len; i++) {
		const struct kup_node *e = me->u.items[i], *vals;
		const char *op = nstr(kup_node_get(e, "operator"));
		const char *key = nstr(kup_node_get(e, "key"));
		if (!op || strcmp(op, "In") == 0 || strcmp(op, "Exists") == 0)
			return false;
		if (strcmp(op, "NotIn") != 0 || !key)
			continue;
		vals = kup_node_get(e, "values");
		if (vals && vals->kind == KUP_NODE_SEQ)
			for (j = 0; j < vals->len; j++)
				if (kup_node_eq(vals->u.items[j], "kube-system") &&
				    (strcmp(key, "kubernetes.io/metadata.name") == 0 ||
				     strcmp(key, "name") == 0))
					return false;
	}
	return true;
}

static void webhook_facts(struct kup_evidence *ev, const char *who, const struct kup_object *o,
			  const struct kup_node *root)
{
	const struct kup_node *list = kup_node_get(root, "webhooks");
	bool v1beta1 = kup_str_has_suffix(o->api_version, "/v1beta1");
	size_t i;

	if (!list || list->kind != KUP_NODE_SEQ)
		return;
	for (i = 0; i < list->len; i++) {
		const struct kup_node *wh = list->u.items[i];
		const char *name = nstr(kup_node_get(wh, "name"));
		const char *fp = nstr(kup_node_get(wh, "failurePolicy"));
		bool ks;

		/* The API default: Fail in admissionregistration.k8s.io/v1, Ignore in v1beta1. */
		if (!fp)
			fp = v1beta1 ? "Ignore" : "Fail";
		if (!name)
			name = "(unnamed)";
		ks = intercepts_kube_system(wh);
		add_fact(ev, F_WEBHOOK, name, fp, "%s webhook %s has failurePolicy %s", who, name, fp);
		if (ks)
			add_fact(ev, F_WEBHOOK_KUBE_SYSTEM, name, fp,
				 "%s webhook %s has failurePolicy %s and intercepts kube-system",
				 who, name, fp);
	}
}

static void crd_facts(struct kup_evidence *ev, const char *who, const char *name,
		      const struct kup_node *root)
{
	const struct kup_node *stored = kup_node_path(root, "status", "storedVersions", NULL);
	const struct kup_node *vers = kup_node_path(root, "spec", "versions", NULL);
	const char *storage = nstr(kup_node_path(root, "spec", "version", NULL));
	size_t i;

	if (vers && vers->kind == KUP_NODE_SEQ)
		for (i = 0; i < vers->len; i++) {
			bool st = false;
			if (kup_node_bool(kup_node_get(vers->u.items[i], "storage"), &st) && st)
				storage = nstr(kup_node_get(vers->u.items[i], "name"));
		}
	if (!stored || stored->kind != KUP_NODE_SEQ)
		return;
	for (i = 0; i < stored->len; i++) {
		const char *v = nstr(stored->u.items[i]);
		if (!v)
			continue;
		add_fact(ev, F_CRD_STORED_VERSION, name, v, "%s has %s in status.storedVersions",
			 who, v);
		if (storage && strcmp(storage, v) != 0)
			add_fact(ev, F_CRD_STALE_STORED_VERSION, name, v,
				 "%s still lists %s in status.storedVersions (storage version %s)",
				 who, v, storage);
	}
}

static void pv_facts(struct kup_evidence *ev, const char *who, const char *name,
		     const struct kup_node *root)
{
	static const char *const not_sources[] = { "capacity", "claimRef", "nodeAffinity",
						   "accessModes", "mountOptions",
						   "persistentVolumeReclaimPolicy",
						   "storageClassName", "volumeMode",
						   "volumeAttributesClassName", NULL };
	const struct kup_node *spec = kup_node_get(root, "spec");
	size_t i, j;

	if (!spec || spec->kind != KUP_NODE_MAP)
		return;
	for (i = 0; i < spec->len; i++) {
		const char *k = nstr(spec->u.pairs[i].key);
		bool skip = false;
		if (!k || spec->u.pairs[i].value->kind != KUP_NODE_MAP)
			continue;
		for (j = 0; not_sources[j]; j++)
			if (strcmp(k, not_sources[j]) == 0)
				skip = true;
		if (skip)
			continue;
		add_fact(ev, F_PV_SOURCE, name, k, "%s is a %s volume", who, k);
		if (strcmp(k, "csi") == 0) {
			const char *drv = nstr(kup_node_get(spec->u.pairs[i].value, "driver"));
			if (drv)
				add_fact(ev, F_PV_CSI_DRIVER, name, drv, "%s uses CSI driver %s", who, drv);
		}
	}
}

static void kubeconfig_facts(struct kup_evidence *ev, const char *who,
			     const struct kup_node *root)
{
	const struct kup_node *users = kup_node_get(root, "users");
	size_t i;

	if (!users || users->kind != KUP_NODE_SEQ)
		return;
	for (i = 0; i < users->len; i++) {
		const char *uname = nstr(kup_node_get(users->u.items[i], "name"));
		const struct kup_node *u = kup_node_get(users->u.items[i], "user");
		const char *s;

		if (!uname)
			uname = "(unnamed)";
		if ((s = nstr(kup_node_path(u, "auth-provider", "name", NULL))))
			add_fact(ev, F_KUBECONFIG_AUTH_PROVIDER, uname, s,
				 "%s user %s uses the %s auth-provider", who, uname, s);
		if ((s = nstr(kup_node_path(u, "exec", "apiVersion", NULL))))
			add_fact(ev, F_KUBECONFIG_EXEC_API, uname, s,
				 "%s user %s uses an exec plugin with %s", who, uname, s);
		if ((s = nstr(kup_node_path(u, "exec", "command", NULL))))
			add_fact(ev, F_KUBECONFIG_EXEC_COMMAND, uname, s,
				 "%s user %s runs exec plugin %s", who, uname, s);
	}
}

/* The `mode:` line of kube-proxy's config.conf (a KubeProxyConfiguration). */
static void kube_proxy_config_facts(struct kup_evidence *ev, const char *who,
				    const struct kup_node *root)
{
	const char *conf = nstr(kup_node_path(root, "data", "config.conf", NULL));
	const char *line;
	char mode[32];

	if (!conf)
		return;
	for (line = conf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		size_t n = 0;
		const char *v;
		if (strncmp(line, "mode:", 5) != 0)
			continue;
		v = line + 5;
		while (*v == ' ' || *v == '\t' || *v == '"' || *v == '\'')
			v++;
		while (v[n] && v[n] != '\n' && v[n] != '"' && v[n] != '\'' && v[n] != ' ' &&
		       v[n] != '\r' && n + 1 < sizeof(mode)) {
			mode[n] = v[n];
			n++;
		}
		mode[n] = '\0';
		add_fact(ev, F_KUBE_PROXY_MODE, NULL, n ? mode : "iptables",
			 "%s sets mode %s", who, n ? mode : "\"\" (the default)");
		return;
	}
}

static const struct kup_node *pod_spec_of(const struct kup_str kind, const struct kup_node *root)
{
	if (kup_str_eqc(kind, "Pod"))
		return kup_node_get(root, "spec");
	if (kup_str_eqc(kind, "CronJob"))
		return kup_node_path(root, "spec", "jobTemplate", "spec", "template", "spec", NULL);
	if (kup_str_eqc(kind, "Deployment") || kup_str_eqc(kind, "DaemonSet") ||
	    kup_str_eqc(kind, "StatefulSet") || kup_str_eqc(kind, "ReplicaSet") ||
	    kup_str_eqc(kind, "Job") || kup_str_eqc(kind, "ReplicationController"))
		return kup_node_path(root, "spec", "template", "spec", NULL);
	return NULL;
}

enum kup_status kup_evidence_add_object(struct kup_evidence *ev, const struct kup_object *obj)
{
	const struct kup_node *root;
	struct kup_buf who = KUP_BUF_INIT, tmp = KUP_BUF_INIT;
	char *name = NULL, *kind = NULL, *av = NULL;
	const struct kup_node *spec;

	if (!ev || !obj)
		return KUP_INVALID;
	root = obj->root;
	if (obj->src.chart)
		add_fact(ev, F_HELM_CHART, obj->src.release, obj->src.chart,
			 "Helm release %s uses chart %s", obj->src.release ? obj->src.release : "?",
			 obj->src.chart);
	if (!root || root->kind != KUP_NODE_MAP)
		goto out;
	describe_object(obj, &who);
	kup_buf_add(&tmp, obj->name.p ? obj->name.p : "", obj->name.n);
	name = kup_buf_detach(&tmp, NULL);
	kup_buf_add(&tmp, obj->kind.p ? obj->kind.p : "", obj->kind.n);
	kind = kup_buf_detach(&tmp, NULL);
	kup_buf_add(&tmp, obj->api_version.p ? obj->api_version.p : "", obj->api_version.n);
	av = kup_buf_detach(&tmp, NULL);
	if (who.oom || !name || !kind || !av) {
		ev->oom = true;
		goto out;
	}
	if (!kind[0]) {
		/* A Chart.yaml: apiVersion v1/v2, name, version, maybe kubeVersion. */
		const char *cname = nstr(kup_node_get(root, "name"));
		const char *kv = nstr(kup_node_get(root, "kubeVersion"));
		if (cname && kv && kup_node_get(root, "version"))
			add_fact(ev, F_CHART_KUBE_VERSION, cname, kv,
				 "chart %s requires kubeVersion \"%s\"%s%s", cname, kv,
				 obj->src.path ? " in " : "", obj->src.path ? obj->src.path : "");
		goto out;
	}
	add_fact(ev, F_KIND, av, kind, "%s (%s)", who.buf, av);
	kup_buf_add(&tmp, obj->namespace_.p ? obj->namespace_.p : "", obj->namespace_.n);
	kup_buf_addc(&tmp, '/');
	kup_buf_add(&tmp, obj->name.p ? obj->name.p : "", obj->name.n);
	if (tmp.oom) {
		ev->oom = true;
		goto out;
	}
	add_fact(ev, F_OBJECT, kind, tmp.buf, "%s", who.buf);
	kup_buf_reset(&tmp);
	if ((spec = pod_spec_of(obj->kind, root))) {
		pod_spec_facts(ev, who.buf, name, spec);
	} else if (strcmp(kind, "Node") == 0) {
		node_facts(ev, who.buf, name, root);
	} else if (strcmp(kind, "ValidatingWebhookConfiguration") == 0 ||
		   strcmp(kind, "MutatingWebhookConfiguration") == 0) {
		webhook_facts(ev, who.buf, obj, root);
	} else if (strcmp(kind, "CustomResourceDefinition") == 0) {
		crd_facts(ev, who.buf, name, root);
	} else if (strcmp(kind, "StorageClass") == 0) {
		const char *prov = nstr(kup_node_get(root, "provisioner"));
		const char *def = nstr(kup_node_path(root, "metadata", "annotations",
						     "storageclass.kubernetes.io/is-default-class",
						     NULL));
		if (prov) {
			add_fact(ev, F_STORAGECLASS_PROVISIONER, name, prov, "%s uses provisioner %s",
				 who.buf, prov);
			if (def && strcmp(def, "true") == 0)
				add_fact(ev, F_STORAGECLASS_DEFAULT, name, prov,
					 "%s is the default class (provisioner %s)", who.buf, prov);
		}
	} else if (strcmp(kind, "PersistentVolume") == 0) {
		pv_facts(ev, who.buf, name, root);
	} else if (strcmp(kind, "CSIDriver") == 0) {
		add_fact(ev, F_CSIDRIVER, NULL, name, "%s is installed", who.buf);
	} else if (strcmp(kind, "ServiceAccount") == 0) {
		const struct kup_node *s = kup_node_get(root, "secrets");
		if (s && s->kind == KUP_NODE_SEQ && s->len)
			add_fact(ev, F_SERVICEACCOUNT_SECRETS, name, "true",
				 "%s references token Secrets", who.buf);
	} else if (strcmp(kind, "ClusterRoleBinding") == 0 || strcmp(kind, "RoleBinding") == 0) {
		const struct kup_node *subj = kup_node_get(root, "subjects");
		size_t i;
		if (subj && subj->kind == KUP_NODE_SEQ)
			for (i = 0; i < subj->len; i++) {
				const char *sn = nstr(kup_node_get(subj->u.items[i], "name"));
				if (sn)
					add_fact(ev, F_RBAC_SUBJECT, name, sn, "%s binds %s", who.buf, sn);
			}
	} else if (strcmp(kind, "Config") == 0) {
		kubeconfig_facts(ev, who.buf, root);
	} else if (strcmp(kind, "ConfigMap") == 0 && strcmp(name, "kube-proxy") == 0) {
		kube_proxy_config_facts(ev, who.buf, root);
	}
out:
	free(name);
	free(kind);
	free(av);
	kup_buf_release(&who);
	kup_buf_release(&tmp);
	return ev->oom ? KUP_NOMEM : KUP_OK;
}

/* ---- evaluation -------------------------------------------------------------------------- */

static bool ci_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return n == 0;
}

/* The fact's key matches the detector's: equal, or the key ends in "/" + want
 * (image repositories), or, for addon* facts, any name of the add-on the
 * detector's key names. */
static bool key_matches(const struct kup_detector *d, const char *key)
{
	const char *want = d->key;
	size_t kl, wl, i;

	if (!want)
		return true;
	if (!key)
		return false;
	if (strcasecmp(key, want) == 0)
		return true;
	kl = strlen(key);
	wl = strlen(want);
	if (kl > wl && key[kl - wl - 1] == '/' && strcasecmp(key + kl - wl, want) == 0)
		return true;
	if (d->addon) {
		if (strcasecmp(key, d->addon->name) == 0)
			return true;
		for (i = 0; i < d->addon->naliases; i++)
			if (strcasecmp(key, d->addon->aliases[i]) == 0)
				return true;
	}
	return false;
}

static int cmp3(int a1, int b1, int c1, const struct kup_version *v)
{
	if (a1 != v->major)
		return a1 < v->major ? -1 : 1;
	if (b1 != v->minor)
		return b1 < v->minor ? -1 : 1;
	if (c1 != v->patch)
		return c1 < v->patch ? -1 : 1;
	return 0;
}

static bool value_matches(const struct kup_detector *d, const struct fact *f,
			  const struct kup_version *at)
{
	const char *value = f->value;
	size_t i;

	if (d->equals && strcasecmp(value, d->equals) != 0)
		return false;
	if (d->prefix && strncasecmp(value, d->prefix, strlen(d->prefix)) != 0)
		return false;
	if (d->contains && !ci_contains(value, d->contains))
		return false;
	if (d->not_contains && ci_contains(value, d->not_contains))
		return false;
	if (d->nin) {
		for (i = 0; i < d->nin; i++)
			if (strcasecmp(value, d->in[i]) == 0)
				break;
		if (i == d->nin)
			return false;
	}
	if (d->below.valid || d->at_least.valid || d->behind_at >= 0) {
		if (!f->vok)
			return false;
		if (d->below.valid && cmp3(f->vmajor, f->vminor, f->vpatch, &d->below) >= 0)
			return false;
		if (d->at_least.valid && cmp3(f->vmajor, f->vminor, f->vpatch, &d->at_least) < 0)
			return false;
		if (d->behind_at >= 0) {
			if (!at || !at->valid || f->vmajor != at->major ||
			    at->minor - f->vminor <= d->behind_at)
				return false;
		}
	}
	return true;
}

static void truncate_to(struct kup_buf *out, size_t len)
{
	if (out->buf && len <= out->len) {
		out->len = len;
		out->buf[len] = '\0';
	}
}

static void add_sep(struct kup_buf *out)
{
	if (out->len)
		kup_buf_adds(out, "; ");
}

/* True when d holds; the evidence of positive matches is appended to out. */
static bool eval(const struct kup_detector *d,
		 const struct kup_evidence *ev, const struct kup_version *at, struct kup_buf *out)
{
	bool ok;
	size_t i, mark;

	switch (d->op) {
	case KUP_DET_ALWAYS:
		add_sep(out);
		kup_buf_adds(out, d->always);
		return true;
	case KUP_DET_FACT: {
		const struct fact_group *g;
		const struct fact *first = NULL;
		size_t more = 0;
		if (d->fact_id < 0 || d->fact_id >= NFACTS)
			return false;
		g = &ev->groups[d->fact_id];
		for (i = 0; i < g->n; i++) {
			const struct fact *f = &g->v[i];
			if (!key_matches(d, f->key) || !value_matches(d, f, at))
				continue;
			if (!first)
				first = f;
			else
				more++;
		}
		if (!first)
			return false;
		add_sep(out);
		kup_buf_adds(out, first->desc);
		if (more)
			kup_buf_addf(out, " (and %zu more)", more);
		return true;
	}
	case KUP_DET_NOT:
		mark = out->len;
		ok = !eval(&d->kids[0], ev, at, out);
		truncate_to(out, mark);
		return ok;
	case KUP_DET_ANY:
		for (i = 0; i < d->nkids; i++)
			if (eval(&d->kids[i], ev, at, out))
				return true;
		return false;
	case KUP_DET_ALL:
		mark = out->len;
		for (i = 0; i < d->nkids; i++)
			if (!eval(&d->kids[i], ev, at, out)) {
				truncate_to(out, mark);
				return false;
			}
		return true;
	}
	return false;
}

static bool provider_matches(const struct kup_evidence *ev, const char *provider)
{
	const struct fact_group *g = &ev->groups[F_PROVIDER];
	size_t i;

	if (!provider)
		return true;
	for (i = 0; i < g->n; i++)
		if (strcasecmp(g->v[i].value, provider) == 0)
			return true;
	return false;
}

enum kup_status kup_risks_eval(const struct kup_kb *kb, const struct kup_evidence *ev,
			       const struct kup_version *at, kup_risk_fn fn, void *ctx)
{
	struct kup_buf out = KUP_BUF_INIT;
	enum kup_status st = KUP_OK;
	size_t i;

	if (!kb || !ev || !at || !at->valid || !fn)
		return KUP_INVALID;
	if (ev->oom)
		return KUP_NOMEM;
	for (i = 0; i < kup_kb_risk_count(kb) && st == KUP_OK; i++) {
		const struct kup_risk_rule *r = kup_kb_risk_at(kb, i);

		if (r->from.valid && kup_version_cmp_minor(at, &r->from) < 0)
			continue;
		if (r->until.valid && kup_version_cmp_minor(at, &r->until) > 0)
			continue;
		if (!provider_matches(ev, r->provider))
			continue;
		kup_buf_reset(&out);
		if (!eval(kup_kb_risk_detector(kb, i), ev, at, &out) && !out.oom)
			continue;
		/* out of memory while writing the evidence: the risk is not dropped unseen */
		if (out.oom) {
			st = KUP_NOMEM;
			break;
		}
		if (!out.len)
			continue;
		if (out.len > MAX_EVIDENCE_TEXT) {
			out.len = MAX_EVIDENCE_TEXT - 3;
			out.buf[out.len] = '\0';
			kup_buf_adds(&out, "...");
		}
		st = fn(ctx, r, at, out.buf);
	}
	kup_buf_release(&out);
	return st;
}
