/*
 * convert_core.c - field migrations for the built-in APIs (deprecations.md
 * sections 1.1-1.2): apps (all betas), Ingress, admission webhooks, PodDisruptionBudget,
 * EndpointSlice, events.k8s.io Event, flowcontrol PriorityLevelConfiguration,
 * CertificateSigningRequest, the authorization reviews.  The caller rewrites
 * apiVersion; every converter only records edits or declares the object
 * unfixable with the reason.
 */
#include <stdio.h>
#include <string.h>

#include "fix_int.h"

/* ---- helpers -------------------------------------------------------------------------- */

static bool is_map(const struct kup_node *n)
{
	return n && n->kind == KUP_NODE_MAP;
}

static bool is_seq(const struct kup_node *n)
{
	return n && n->kind == KUP_NODE_SEQ;
}

static bool has(const struct kup_node *map, const char *key)
{
	return kup_map_index(map, key) >= 0;
}

/* A one-line scalar's source text (quotes included), usable inside a YAML fragment. */
static bool raw_scalar(const struct kup_fixer *f, const struct kup_node *n, struct kup_buf *b)
{
	if (!n || n->kind != KUP_NODE_SCALAR || n->end <= n->start)
		return false;
	if (n->style != KUP_STYLE_PLAIN && n->style != KUP_STYLE_SINGLE &&
	    n->style != KUP_STYLE_DOUBLE)
		return false;
	for (size_t i = n->start; i < n->end; i++)
		if (f->text[i] == '\n' || f->text[i] == '\r')
			return false;
	kup_buf_add(b, f->text + n->start, n->end - n->start);
	return true;
}

static bool done(struct kup_fixer *f, struct kup_buf *b)
{
	bool oom = b->oom;
	kup_buf_release(b);
	if (oom)
		f->oom = true;
	return !oom;
}

static const char *name_of(const struct kup_node *obj)
{
	const char *s = kup_node_str(kup_node_get(obj, "name"));
	return s ? s : "?";
}

/* ---- apps ---------------------------------------------------------------------------- */

/*
 * The old defaults, from the kubernetes source (1.20.2)
 * pkg/apis/extensions/v1beta1/defaults.go and pkg/apis/apps/v1beta1/defaults.go:
 * DaemonSet, Deployment and ReplicaSet (extensions) and Deployment and
 * StatefulSet (apps/v1beta1) take spec.selector.matchLabels and, when the
 * object has no labels, metadata.labels from the template's labels;
 * extensions DaemonSets update OnDelete; extensions Deployments roll with
 * maxSurge/maxUnavailable 1 and set revisionHistoryLimit and
 * progressDeadlineSeconds to MaxInt32 ("keep all", "no deadline": the
 * deployment controller reads MaxInt32 as no deadline); apps/v1beta1
 * Deployments keep 2 revisions and StatefulSets update OnDelete.
 * apps/v1beta2 defaults nothing from labels (its selector is required).
 * `key: null` decodes as absent there, so it takes the default too.
 */

#define KUP_MAX_INT32 "2147483647"

/* The template labels as a block map fragment at indentation `indent` (false: not simple). */
static bool labels_fragment(struct kup_fixer *f, const struct kup_node *labels, size_t indent,
			    struct kup_buf *b)
{
	for (size_t i = 0; i < labels->len; i++) {
		for (size_t k = 0; k < indent; k++)
			kup_buf_addc(b, ' ');
		if (!raw_scalar(f, labels->u.pairs[i].key, b))
			return false;
		kup_buf_adds(b, ": ");
		if (!raw_scalar(f, labels->u.pairs[i].value, b))
			return false;
		kup_buf_adds(b, "\n");
	}
	return true;
}

static const struct kup_node *template_labels(const struct kup_node *spec)
{
	const struct kup_node *l = kup_fix_val(kup_fix_val(kup_fix_val(spec, "template"),
							   "metadata"), "labels");
	return is_map(l) ? l : NULL;
}

static bool add_selector(struct kup_fixer *f, const struct kup_node *spec)
{
	const struct kup_node *labels = template_labels(spec);
	if (!labels || labels->len == 0) {
		kup_fixer_unfixable(f, "no spec.selector and no template labels to derive it "
				       "from (apps/v1 requires a selector)");
		return true;
	}
	struct kup_buf b = KUP_BUF_INIT;
	kup_buf_adds(&b, "matchLabels:\n");
	if (!labels_fragment(f, labels, 2, &b)) {
		kup_buf_release(&b);
		kup_fixer_unfixable(f, "a template label is not a simple scalar");
		return true;
	}
	if (!b.oom && !kup_fixer_put(f, spec, "selector", b.buf))
		f->oom = true;
	kup_fixer_note(f, "spec.selector.matchLabels from the template labels");
	return done(f, &b);
}

/* metadata.labels from the template's when the object has none (the old default). */
static bool add_object_labels(struct kup_fixer *f, const struct kup_node *obj,
			      const struct kup_node *spec)
{
	const struct kup_node *labels = template_labels(spec);
	const struct kup_node *meta = kup_node_get(obj, "metadata");
	const struct kup_node *own = kup_fix_val(meta, "labels");
	if (!labels || labels->len == 0 || (own && (!is_map(own) || own->len > 0)))
		return true;
	if (!is_map(meta)) {
		kup_fixer_unfixable(f, "metadata is not a map");
		return true;
	}
	if (meta->len == 0 && meta->style != KUP_STYLE_FLOW && !f->json) {
		kup_fixer_unfixable(f, "cannot edit metadata");
		return true;
	}
	struct kup_buf b = KUP_BUF_INIT;
	if (!labels_fragment(f, labels, 0, &b)) {
		kup_buf_release(&b);
		kup_fixer_unfixable(f, "a template label is not a simple scalar");
		return true;
	}
	if (!b.oom && !kup_fixer_put(f, meta, "labels", b.buf))
		f->oom = true;
	kup_fixer_note(f, "metadata.labels from the template labels (the old default)");
	return done(f, &b);
}

static void drop(struct kup_fixer *f, const struct kup_node *spec, const char *key)
{
	long i = kup_map_index(spec, key);
	if (i < 0)
		return;
	kup_fixer_delete_pair(f, spec, (size_t)i);
	if (!kup_fix_is_null(spec->u.pairs[i].value))
		kup_fixer_note(f, "spec.%s removed", key);
}

/* A map that can take a new pair (an empty block map has no place for one). */
static bool editable(const struct kup_fixer *f, const struct kup_node *m)
{
	return is_map(m) && (m->len > 0 || m->style == KUP_STYLE_FLOW || f->json);
}

/* updateStrategy.type OnDelete, the old default, written when absent. */
static void keep_on_delete(struct kup_fixer *f, const struct kup_node *spec)
{
	const struct kup_node *us = kup_fix_val(spec, "updateStrategy");
	if (!us) {
		kup_fixer_put(f, spec, "updateStrategy", "type: OnDelete\n");
		kup_fixer_note(f, "updateStrategy OnDelete (the old default) written");
	} else if (is_map(us) && !kup_fix_val(us, "type")) {
		if (kup_fix_val(us, "rollingUpdate")) {
			kup_fixer_unfixable(f, "updateStrategy has rollingUpdate but no type: the "
					       "old default OnDelete ignores it, the new "
					       "default RollingUpdate does not: decide");
			return;
		}
		if (!editable(f, us) && !has(us, "type")) {
			kup_fixer_put(f, spec, "updateStrategy", "type: OnDelete\n");
		} else {
			kup_fixer_put(f, us, "type", "OnDelete");
		}
		kup_fixer_note(f, "updateStrategy OnDelete (the old default) written");
	}
}

/* extensions/v1beta1 Deployment: maxSurge / maxUnavailable defaulted to 1. */
static void keep_surge(struct kup_fixer *f, const struct kup_node *spec)
{
	const struct kup_node *st = kup_fix_val(spec, "strategy");
	if (!st || (is_map(st) && !editable(f, st) && !has(st, "type"))) {
		kup_fixer_put(f, spec, "strategy",
			      "rollingUpdate:\n  maxSurge: 1\n  maxUnavailable: 1\n");
		kup_fixer_note(f, "strategy.rollingUpdate maxSurge/maxUnavailable 1 (the old "
				  "defaults) written");
		return;
	}
	if (!is_map(st))
		return;
	const struct kup_node *type = kup_fix_val(st, "type");
	const struct kup_node *ru = kup_fix_val(st, "rollingUpdate");
	/* the old API defaulted rollingUpdate when type is RollingUpdate (or empty) or
	 * rollingUpdate is given; apps/v1 refuses rollingUpdate with Recreate anyway */
	if (type && !kup_node_eq(type, "RollingUpdate"))
		return;
	if (!ru || (is_map(ru) && !editable(f, ru))) {
		kup_fixer_put(f, st, "rollingUpdate", "maxSurge: 1\nmaxUnavailable: 1\n");
		kup_fixer_note(f, "rollingUpdate maxSurge/maxUnavailable 1 (the old defaults) "
				  "written");
		return;
	}
	if (!is_map(ru))
		return;
	if (!kup_fix_val(ru, "maxSurge")) {
		kup_fixer_put(f, ru, "maxSurge", "1");
		kup_fixer_note(f, "rollingUpdate.maxSurge 1 (the old default) written");
	}
	if (!kup_fix_val(ru, "maxUnavailable")) {
		kup_fixer_put(f, ru, "maxUnavailable", "1");
		kup_fixer_note(f, "rollingUpdate.maxUnavailable 1 (the old default) written");
	}
}

bool kup_convert_apps(struct kup_fixer *f, const struct kup_node *obj, const char *from,
		      const char *to)
{
	(void)to;
	const char *kind = kup_node_str(kup_node_get(obj, "kind"));
	const struct kup_node *spec = kup_fix_val(obj, "spec");
	if (!kind || !is_map(spec) || spec->len == 0) {
		kup_fixer_unfixable(f, "no spec: apps/v1 requires spec.selector");
		return true;
	}
	bool ext = strcmp(from, "extensions/v1beta1") == 0;
	bool v1beta1 = strcmp(from, "apps/v1beta1") == 0;
	bool deploy = strcmp(kind, "Deployment") == 0;
	bool labels_default = ext || (v1beta1 && (deploy || strcmp(kind, "StatefulSet") == 0));
	if (!kup_fix_val(spec, "selector") && !add_selector(f, spec))
		return false;
	if (f->unfixable)
		return true;
	if (labels_default && !add_object_labels(f, obj, spec))
		return false;
	if (f->unfixable)
		return true;
	if (strcmp(kind, "DaemonSet") == 0) {
		drop(f, spec, "templateGeneration");
		if (ext)
			keep_on_delete(f, spec);
	} else if (strcmp(kind, "StatefulSet") == 0) {
		if (v1beta1)
			keep_on_delete(f, spec);
	} else if (deploy) {
		drop(f, spec, "rollbackTo");
		if (ext) {
			keep_surge(f, spec);
			if (!kup_fix_val(spec, "revisionHistoryLimit")) {
				kup_fixer_put(f, spec, "revisionHistoryLimit", KUP_MAX_INT32);
				kup_fixer_note(f, "revisionHistoryLimit " KUP_MAX_INT32 " (the old "
						  "default: keep all) written");
			}
			if (!kup_fix_val(spec, "progressDeadlineSeconds")) {
				kup_fixer_put(f, spec, "progressDeadlineSeconds", KUP_MAX_INT32);
				kup_fixer_note(f, "progressDeadlineSeconds " KUP_MAX_INT32 " (the old "
						  "default: no deadline) written");
			}
		} else if (v1beta1 && !kup_fix_val(spec, "revisionHistoryLimit")) {
			kup_fixer_put(f, spec, "revisionHistoryLimit", "2");
			kup_fixer_note(f, "revisionHistoryLimit 2 (the old default) written");
		}
	}
	return !f->oom;
}

/* ---- Ingress ------------------------------------------------------------------------------ */

static bool all_digits(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool convert_backend(struct kup_fixer *f, const struct kup_node *b)
{
	if (!is_map(b)) {
		kup_fixer_unfixable(f, "a backend is not a map");
		return true;
	}
	long sn = kup_map_index(b, "serviceName"), sp = kup_map_index(b, "servicePort");
	if (sn < 0 && sp < 0)
		return true;   /* a resource backend, or already v1 */
	if (sn < 0 || sp < 0) {
		kup_fixer_unfixable(f, "a backend has %s but no %s", sn < 0 ? "servicePort"
									    : "serviceName",
				    sn < 0 ? "serviceName" : "servicePort");
		return true;
	}
	const struct kup_node *port = b->u.pairs[sp].value;
	struct kup_buf v = KUP_BUF_INIT;
	kup_buf_adds(&v, "name: ");
	if (!raw_scalar(f, b->u.pairs[sn].value, &v)) {
		kup_buf_release(&v);
		kup_fixer_unfixable(f, "serviceName is not a simple scalar");
		return true;
	}
	kup_buf_adds(&v, "\nport:\n  ");
	if (port->kind == KUP_NODE_SCALAR && port->tag == KUP_TAG_INT &&
	    all_digits(port->u.str)) {
		kup_buf_addf(&v, "number: %s\n", port->u.str);
	} else if (port->kind == KUP_NODE_SCALAR && port->tag == KUP_TAG_STR &&
		   all_digits(port->u.str)) {
		const char *p = port->u.str;
		while (p[0] == '0' && p[1])
			p++;
		kup_buf_addf(&v, "number: %s\n", p);
	} else if (port->kind == KUP_NODE_SCALAR && port->tag == KUP_TAG_STR &&
		   port->len > 0) {
		kup_buf_adds(&v, "name: ");
		if (!raw_scalar(f, port, &v)) {
			kup_buf_release(&v);
			kup_fixer_unfixable(f, "servicePort is not a simple scalar");
			return true;
		}
		kup_buf_adds(&v, "\n");
	} else {
		kup_buf_release(&v);
		kup_fixer_unfixable(f, "servicePort is neither a port number nor a name");
		return true;
	}
	if (v.oom)
		return done(f, &v);
	kup_fixer_rename_key(f, b, (size_t)sn, "service");
	kup_fixer_replace_value(f, b, (size_t)sn, v.buf);
	kup_fixer_delete_pair(f, b, (size_t)sp);
	return done(f, &v);
}

bool kup_convert_ingress(struct kup_fixer *f, const struct kup_node *obj, const char *from,
			 const char *to)
{
	(void)from;
	(void)to;
	const struct kup_node *spec = kup_node_get(obj, "spec");
	if (!is_map(spec))
		return true;
	size_t nbackends = 0, npathtypes = 0;
	long bi = kup_map_index(spec, "backend");
	if (bi >= 0 && kup_fix_is_null(spec->u.pairs[bi].value)) {
		/* `backend: null` is no backend */
		kup_fixer_delete_pair(f, spec, (size_t)bi);
		kup_fixer_note(f, "spec.backend null removed");
	} else if (bi >= 0) {
		if (has(spec, "defaultBackend")) {
			kup_fixer_unfixable(f, "both spec.backend and spec.defaultBackend are set");
			return true;
		}
		kup_fixer_rename_key(f, spec, (size_t)bi, "defaultBackend");
		if (!convert_backend(f, spec->u.pairs[bi].value))
			return false;
		kup_fixer_note(f, "spec.backend -> spec.defaultBackend");
	}
	const struct kup_node *rules = kup_node_get(spec, "rules");
	for (size_t r = 0; is_seq(rules) && r < rules->len; r++) {
		const struct kup_node *paths = kup_node_path(rules->u.items[r], "http", "paths",
							     NULL);
		for (size_t p = 0; is_seq(paths) && p < paths->len; p++) {
			const struct kup_node *path = paths->u.items[p];
			if (!is_map(path))
				continue;
			const struct kup_node *b = kup_node_get(path, "backend");
			if (b && (has(b, "serviceName") || has(b, "servicePort"))) {
				if (!convert_backend(f, b))
					return false;
				nbackends++;
			}
			if (!kup_fix_val(path, "pathType")) {
				kup_fixer_put(f, path, "pathType", "ImplementationSpecific");
				npathtypes++;
			}
		}
	}
	if (nbackends)
		kup_fixer_note(f, "%zu backend%s -> service.name/port", nbackends,
			       nbackends == 1 ? "" : "s");
	if (npathtypes)
		kup_fixer_note(f, "pathType: ImplementationSpecific added to %zu path%s",
			       npathtypes, npathtypes == 1 ? "" : "s");
	return !f->oom;
}

/* ---- admission webhooks ------------------------------------------------------------------ */

bool kup_convert_webhook(struct kup_fixer *f, const struct kup_node *obj, const char *from,
			 const char *to)
{
	(void)from;
	(void)to;
	const struct kup_node *hooks = kup_node_get(obj, "webhooks");
	if (!hooks)
		return true;
	if (!is_seq(hooks)) {
		kup_fixer_unfixable(f, "webhooks is not a list");
		return true;
	}
	for (size_t i = 0; i < hooks->len; i++) {
		const struct kup_node *w = hooks->u.items[i];
		if (!is_map(w) || w->len == 0) {
			kup_fixer_unfixable(f, "a webhook is not a map");
			return true;
		}
		const struct kup_node *se = kup_fix_val(w, "sideEffects");
		if (!se) {
			kup_fixer_unfixable(f, "webhook '%s': sideEffects is required in v1 (None or "
					       "NoneOnDryRun) and v1beta1 defaulted to Unknown: "
					       "decide whether the webhook has side effects",
					    name_of(w));
			return true;
		}
		if (!kup_node_eq(se, "None") && !kup_node_eq(se, "NoneOnDryRun")) {
			const char *s = kup_node_str(se);
			kup_fixer_unfixable(f, "webhook '%s': sideEffects '%s' is not allowed in v1 "
					       "(only None or NoneOnDryRun): decide",
					    name_of(w), s ? s : "?");
			return true;
		}
	}
	size_t added = 0;
	for (size_t i = 0; i < hooks->len; i++) {
		const struct kup_node *w = hooks->u.items[i];
		if (!kup_fix_val(w, "failurePolicy") && ++added)
			kup_fixer_put(f, w, "failurePolicy", "Ignore");
		if (!kup_fix_val(w, "matchPolicy") && ++added)
			kup_fixer_put(f, w, "matchPolicy", "Exact");
		if (!kup_fix_val(w, "timeoutSeconds") && ++added)
			kup_fixer_put(f, w, "timeoutSeconds", "30");
		const struct kup_node *arv = kup_fix_val(w, "admissionReviewVersions");
		if ((!arv || (is_seq(arv) && arv->len == 0)) && ++added)
			kup_fixer_put(f, w, "admissionReviewVersions", "- v1beta1\n");
	}
	if (added)
		kup_fixer_note(f, "the v1beta1 defaults written explicitly (%zu field%s)", added,
			       added == 1 ? "" : "s");
	return !f->oom;
}

/* ---- PodDisruptionBudget ---------------------------------------------------------------- */

/*
 * kubernetes pkg/apis/policy/v1beta1/conversion.go (1.21+) and
 * pkg/apis/policy/helper.go: a v1beta1 `selector: {}` selects no pod (the
 * server stores a selector on pdb.kubernetes.io/deprecated-v1beta1-empty-
 * selector-match Exists, which nothing carries) while `{}` in v1 selects
 * every pod: refused, the user decides.  The v1beta1 spelling of "every
 * pod" (that key alone, DoesNotExist, as a v1 `{}` reads back through
 * v1beta1) becomes `{}`; any other use of the key is stripped by the
 * server: refused.
 */
#define KUP_PDB_V1BETA1_LABEL "pdb.kubernetes.io/deprecated-v1beta1-empty-selector-match"

bool kup_convert_pdb(struct kup_fixer *f, const struct kup_node *obj, const char *from,
		     const char *to)
{
	(void)from;
	(void)to;
	const struct kup_node *spec = kup_node_get(obj, "spec");
	const struct kup_node *sel = kup_fix_val(spec, "selector");
	if (!is_map(sel))
		return true;
	if (sel->len == 0) {
		kup_fixer_unfixable(f, "spec.selector {} selects no pod in v1beta1 (the server "
				       "keeps that with a selector on %s Exists) but every pod in v1: "
				       "decide", KUP_PDB_V1BETA1_LABEL);
		return true;
	}
	const struct kup_node *exprs = kup_fix_val(sel, "matchExpressions");
	size_t special = 0;
	for (size_t i = 0; is_seq(exprs) && i < exprs->len; i++)
		if (kup_node_eq(kup_node_get(exprs->u.items[i], "key"), KUP_PDB_V1BETA1_LABEL))
			special++;
	if (!special)
		return true;
	const struct kup_node *labels = kup_fix_val(sel, "matchLabels");
	bool match_all = exprs->len == 1 && special == 1 &&
			 kup_node_eq(kup_node_get(exprs->u.items[0], "operator"), "DoesNotExist") &&
			 !kup_fix_val(exprs->u.items[0], "values") &&
			 (!labels || (is_map(labels) && labels->len == 0));
	if (!match_all) {
		kup_fixer_unfixable(f, "spec.selector uses the key %s, which the server strips "
				       "from v1 selectors: remove it", KUP_PDB_V1BETA1_LABEL);
		return true;
	}
	long si = kup_map_index(spec, "selector");
	kup_fixer_replace_value(f, spec, (size_t)si, "{}");
	kup_fixer_note(f, "the v1beta1 match-all selector -> {} (every pod in v1)");
	return !f->oom;
}

/* ---- EndpointSlice ---------------------------------------------------------------------- */

/*
 * kubernetes pkg/apis/discovery/v1beta1/conversion.go (1.21+): the server
 * moves topology's topology.kubernetes.io/zone into zone and keeps every
 * other key in deprecatedTopology, the hostname too unless it equals
 * nodeName.  deprecatedTopology cannot be written through v1 (its doc in
 * k8s.io/api discovery/v1 types.go) and goes with v1beta1, while kube-proxy
 * and the other v1 readers take the node from nodeName: fix writes the
 * hostname as nodeName when there is none (docs/fix.md, on purpose), and
 * says which keys it drops.  hints, ports and conditions are the same in
 * both versions.
 */

bool kup_convert_endpointslice(struct kup_fixer *f, const struct kup_node *obj,
			       const char *from, const char *to)
{
	(void)from;
	(void)to;
	const struct kup_node *eps = kup_node_get(obj, "endpoints");
	size_t moved = 0, dropped = 0;
	for (size_t i = 0; is_seq(eps) && i < eps->len; i++) {
		const struct kup_node *ep = eps->u.items[i];
		long ti = kup_map_index(ep, "topology");
		if (ti < 0)
			continue;
		const struct kup_node *topo = ep->u.pairs[ti].value;
		if (!is_map(topo) && !(topo->kind == KUP_NODE_SCALAR && topo->tag == KUP_TAG_NULL)) {
			kup_fixer_unfixable(f, "an endpoint's topology is not a map");
			return true;
		}
		const struct kup_node *host = kup_node_get(topo, "kubernetes.io/hostname");
		const struct kup_node *zone = kup_node_get(topo, "topology.kubernetes.io/zone");
		if (host && has(ep, "nodeName")) {
			/* the server keeps a different hostname in deprecatedTopology only */
			const char *hn = kup_node_str(host);
			const char *nn = kup_node_str(kup_fix_val(ep, "nodeName"));
			if (!hn || !nn || strcmp(hn, nn) != 0)
				dropped++;
			host = NULL;
		}
		if (zone && has(ep, "zone"))
			zone = NULL;
		size_t known = (kup_node_get(topo, "kubernetes.io/hostname") ? 1 : 0) +
			       (kup_node_get(topo, "topology.kubernetes.io/zone") ? 1 : 0);
		if (is_map(topo))
			dropped += topo->len - known;
		struct kup_buf v = KUP_BUF_INIT;
		const struct kup_node *first = host ? host : zone;
		const struct kup_node *second = host ? zone : NULL;
		if (first) {
			if (!raw_scalar(f, first, &v)) {
				kup_buf_release(&v);
				kup_fixer_unfixable(f, "a topology value is not a simple scalar");
				return true;
			}
			kup_fixer_rename_key(f, ep, (size_t)ti, host ? "nodeName" : "zone");
			kup_fixer_replace_value(f, ep, (size_t)ti, v.buf);
			moved++;
		} else {
			if (ep->len == 1) {
				kup_fixer_unfixable(f, "an endpoint holds only its topology");
				kup_buf_release(&v);
				return true;
			}
			kup_fixer_delete_pair(f, ep, (size_t)ti);
		}
		kup_buf_reset(&v);
		if (second) {
			if (!raw_scalar(f, second, &v)) {
				kup_buf_release(&v);
				kup_fixer_unfixable(f, "a topology value is not a simple scalar");
				return true;
			}
			kup_fixer_add_pair(f, ep, "zone", v.buf);
		}
		if (!done(f, &v))
			return false;
	}
	if (moved)
		kup_fixer_note(f, "topology -> nodeName/zone");
	if (dropped)
		kup_fixer_note(f, "%zu other topology key%s dropped (deprecatedTopology is not "
				  "writable in v1)", dropped, dropped == 1 ? "" : "s");
	return !f->oom;
}

/* ---- events.k8s.io Event ------------------------------------------------------------------ */

bool kup_convert_event(struct kup_fixer *f, const struct kup_node *obj, const char *from,
		       const char *to)
{
	(void)from;
	(void)to;
	static const char *const not_in_v1[] = {
		"deprecatedSource", "deprecatedFirstTimestamp", "deprecatedLastTimestamp",
		"deprecatedCount", NULL,
	};
	static const char *const core_names[] = {
		"involvedObject", "firstTimestamp", "lastTimestamp", "count", "source",
		"message", NULL,
	};
	for (size_t i = 0; not_in_v1[i]; i++)
		if (has(obj, not_in_v1[i])) {
			kup_fixer_unfixable(f, "%s is set, and events.k8s.io/v1 does not accept it "
					       "on new Events: move it to eventTime/series/"
					       "reportingController by hand", not_in_v1[i]);
			return true;
		}
	for (size_t i = 0; core_names[i]; i++)
		if (has(obj, core_names[i])) {
			kup_fixer_unfixable(f, "'%s' is a core/v1 Event field, not an "
					       "events.k8s.io one: convert by hand", core_names[i]);
			return true;
		}
	const struct kup_node *type = kup_node_get(obj, "type");
	if (type && !kup_node_eq(type, "Normal") && !kup_node_eq(type, "Warning")) {
		kup_fixer_unfixable(f, "type must be Normal or Warning in v1");
		return true;
	}
	return true;
}

/* ---- flowcontrol PriorityLevelConfiguration ----------------------------------------------- */

/*
 * The beta APIs default a share of 0 (or none) to 30 (pkg/apis/flowcontrol/
 * v1beta1/defaults.go, 1.20.2: `if AssuredConcurrencyShares == 0 { = 30 }`;
 * v1beta2 and v1beta3 alike).  flowcontrol/v1 makes nominalConcurrencyShares
 * a pointer: only nil defaults to 30 and an explicit 0 means zero seats
 * (k8s.io/api flowcontrol/v1 types.go).  So a 0 or null share becomes 30 in v1.
 */
bool kup_convert_plc(struct kup_fixer *f, const struct kup_node *obj, const char *from,
		     const char *to)
{
	bool to_v1 = strcmp(to, "flowcontrol.apiserver.k8s.io/v1") == 0;
	bool from_v1beta3 = strcmp(from, "flowcontrol.apiserver.k8s.io/v1beta3") == 0;
	if (strcmp(to, "flowcontrol.apiserver.k8s.io/v1beta3") != 0 && !to_v1)
		return true;
	const struct kup_node *lim = kup_node_path(obj, "spec", "limited", NULL);
	if (!is_map(lim))
		return true;
	const char *old_key = from_v1beta3 ? "nominalConcurrencyShares" : "assuredConcurrencyShares";
	long i = kup_map_index(lim, old_key);
	if (!from_v1beta3 && i >= 0 && has(lim, "nominalConcurrencyShares")) {
		kup_fixer_unfixable(f, "both assuredConcurrencyShares and nominalConcurrencyShares "
				       "are set");
		return true;
	}
	if (i < 0)
		return true;
	const struct kup_node *v = lim->u.pairs[i].value;
	int64_t n = -1;
	bool zero = kup_fix_is_null(v) || (kup_node_int(v, &n) && n == 0);
	if (!from_v1beta3) {
		kup_fixer_rename_key(f, lim, (size_t)i, "nominalConcurrencyShares");
		kup_fixer_note(f, "assuredConcurrencyShares -> nominalConcurrencyShares");
	}
	if (to_v1 && zero) {
		kup_fixer_replace_value(f, lim, (size_t)i, "30");
		kup_fixer_note(f, "a share of 0 meant the default 30 before v1 (0 is zero in v1): "
				  "30 written");
	}
	return !f->oom;
}

/* ---- CertificateSigningRequest ------------------------------------------------------------ */

bool kup_convert_csr(struct kup_fixer *f, const struct kup_node *obj, const char *from,
		     const char *to)
{
	(void)from;
	(void)to;
	const struct kup_node *spec = kup_node_get(obj, "spec");
	/* a null counts as absent (the server decodes it so), an empty list as none */
	const struct kup_node *signer = kup_fix_val(spec, "signerName");
	if (!signer) {
		kup_fixer_unfixable(f, "spec.signerName is required in v1: choose the signer "
				       "(e.g. kubernetes.io/kube-apiserver-client)");
		return true;
	}
	if (kup_node_eq(signer, "kubernetes.io/legacy-unknown")) {
		kup_fixer_unfixable(f, "signerName kubernetes.io/legacy-unknown cannot be created "
				       "in v1: choose the signer");
		return true;
	}
	const struct kup_node *given = kup_fix_val(spec, "usages");
	if (!given || (is_seq(given) && given->len == 0)) {
		kup_fixer_unfixable(f, "spec.usages is required in v1: choose the key usages");
		return true;
	}
	/* v1beta1 took any usage; v1 only the ones the knowledge base lists (data/apis.yaml) */
	const struct kup_api_rule *r = kup_kb_find_api(f->kb, from, strlen(from), "CertificateSigningRequest",
							strlen("CertificateSigningRequest"));
	const struct kup_node *usages = kup_fix_val(spec, "usages");
	for (size_t a = 0; r && a < r->naccepts; a++) {
		if (strcmp(r->accepts[a].field, "spec.usages") != 0)
			continue;
		for (size_t i = 0; is_seq(usages) && i < usages->len; i++) {
			const char *u = kup_node_str(usages->u.items[i]);
			size_t k = 0;
			while (u && k < r->accepts[a].nvalues && strcmp(u, r->accepts[a].values[k]) != 0)
				k++;
			if (!u || k == r->accepts[a].nvalues) {
				kup_fixer_unfixable(f, "spec.usages has '%s', which %s does not accept",
						    u ? u : "?", to);
				return true;
			}
		}
	}
	return true;
}

/* ---- authorization reviews ---------------------------------------------------------------- */

bool kup_convert_access_review(struct kup_fixer *f, const struct kup_node *obj,
			       const char *from, const char *to)
{
	(void)from;
	(void)to;
	const struct kup_node *spec = kup_node_get(obj, "spec");
	long i = kup_map_index(spec, "group");
	if (i < 0)
		return true;
	if (has(spec, "groups")) {
		kup_fixer_unfixable(f, "both spec.group and spec.groups are set");
		return true;
	}
	kup_fixer_rename_key(f, spec, (size_t)i, "groups");
	kup_fixer_note(f, "spec.group -> spec.groups");
	return !f->oom;
}

/* ---- cert-manager Certificate --------------------------------------------------------- */

/*
 * As cert-manager's own converters do it (internal/apis/certmanager/
 * v1alpha2/conversion.go, v1alpha3/conversion.go, v1beta1/conversion.go):
 * a non-empty spec.organization replaces subject.organizations, creating
 * subject when needed (an empty or null one is dropped); uriSANs and
 * emailSANs become uris and emailAddresses; when keyAlgorithm, keyEncoding
 * or keySize is set, all three move under spec.privateKey as algorithm
 * (rsa -> RSA, ecdsa -> ECDSA), encoding (pkcs1 -> PKCS1, pkcs8 -> PKCS8)
 * and size, created when needed; all unset (empty, 0 or null) they are
 * dropped.  acme (certmanager.k8s.io only) is left to a human.
 */
static bool move_organization(struct kup_fixer *f, const struct kup_node *spec)
{
	long oi = kup_map_index(spec, "organization");
	if (oi < 0)
		return true;
	const struct kup_node *org = spec->u.pairs[oi].value;
	if (kup_fix_is_null(org) || (is_seq(org) && org->len == 0)) {
		kup_fixer_delete_pair(f, spec, (size_t)oi);
		kup_fixer_note(f, "empty spec.organization dropped");
		return !f->oom;
	}
	if (!is_seq(org)) {
		kup_fixer_unfixable(f, "spec.organization is not a list");
		return true;
	}
	const struct kup_node *subject = kup_fix_val(spec, "subject");
	if (subject && !is_map(subject)) {
		kup_fixer_unfixable(f, "spec.subject is not a map");
		return true;
	}
	struct kup_buf list = KUP_BUF_INIT, b = KUP_BUF_INIT;
	kup_fix_fragment(f->text, org, NULL, 0, &list);
	if (list.oom) {
		kup_buf_release(&list);
		f->oom = true;
		return false;
	}
	if (subject && editable(f, subject)) {
		kup_fixer_put(f, subject, "organizations", list.buf);
	} else {
		kup_fix_put_pair(&b, 0, 2, "organizations", list.buf);
		if (!b.oom)
			kup_fixer_put(f, spec, "subject", b.buf);
	}
	kup_fixer_delete_pair(f, spec, (size_t)oi);
	kup_fixer_note(f, "spec.organization -> spec.subject.organizations");
	kup_buf_release(&list);
	return done(f, &b);
}

/* uriSANs -> uris, emailSANs -> emailAddresses (a rename; the values are the same lists). */
static bool rename_sans(struct kup_fixer *f, const struct kup_node *spec)
{
	static const char *const names[][2] = {
		{ "uriSANs", "uris" }, { "emailSANs", "emailAddresses" },
	};
	for (size_t k = 0; k < 2; k++) {
		long i = kup_map_index(spec, names[k][0]);
		if (i < 0)
			continue;
		if (has(spec, names[k][1])) {
			kup_fixer_unfixable(f, "both spec.%s and spec.%s are set (the old API does "
					       "not know %s)", names[k][0], names[k][1], names[k][1]);
			return true;
		}
		kup_fixer_rename_key(f, spec, (size_t)i, names[k][1]);
		kup_fixer_note(f, "spec.%s -> spec.%s", names[k][0], names[k][1]);
	}
	return !f->oom;
}

/*
 * The v1 spelling of an old keyAlgorithm / keyEncoding value into `out`
 * (NULL: unset); false when the value is not one the old CRD accepted.
 */
static bool key_value(const struct kup_node *v, const char *const map[][2], const char **out)
{
	*out = NULL;
	if (!v || kup_node_eq(v, ""))
		return true;
	for (size_t i = 0; map[i][0]; i++)
		if (kup_node_eq(v, map[i][0])) {
			*out = map[i][1];
			return true;
		}
	return false;
}

static bool move_private_key(struct kup_fixer *f, const struct kup_node *spec)
{
	static const char *const algorithms[][2] = {
		{ "rsa", "RSA" }, { "ecdsa", "ECDSA" }, { NULL, NULL },
	};
	static const char *const encodings[][2] = {
		{ "pkcs1", "PKCS1" }, { "pkcs8", "PKCS8" }, { NULL, NULL },
	};
	static const char *const keys[] = { "keyAlgorithm", "keyEncoding", "keySize" };
	long idx[3];
	size_t present = 0;
	for (size_t k = 0; k < 3; k++)
		if ((idx[k] = kup_map_index(spec, keys[k])) >= 0)
			present++;
	if (!present)
		return true;
	const char *alg, *enc;
	const struct kup_node *size = kup_fix_val(spec, "keySize");
	int64_t n = 0;
	if (!key_value(kup_fix_val(spec, "keyAlgorithm"), algorithms, &alg)) {
		kup_fixer_unfixable(f, "spec.keyAlgorithm is neither rsa nor ecdsa");
		return true;
	}
	if (!key_value(kup_fix_val(spec, "keyEncoding"), encodings, &enc)) {
		kup_fixer_unfixable(f, "spec.keyEncoding is neither pkcs1 nor pkcs8");
		return true;
	}
	if (size && (!kup_node_int(size, &n) || n < 0 || n > 65536)) {
		kup_fixer_unfixable(f, "spec.keySize is not a key size");
		return true;
	}
	if (alg || enc || n != 0) {
		const struct kup_node *pk = kup_fix_val(spec, "privateKey");
		if (pk && !is_map(pk)) {
			kup_fixer_unfixable(f, "spec.privateKey is not a map");
			return true;
		}
		static const char *const v1_only[] = { "algorithm", "encoding", "size", NULL };
		for (size_t i = 0; v1_only[i]; i++)
			if (has(pk, v1_only[i])) {
				kup_fixer_unfixable(f, "spec.privateKey.%s is set beside the old "
						       "key fields", v1_only[i]);
				return true;
			}
		struct kup_buf b = KUP_BUF_INIT;
		char num[32];
		snprintf(num, sizeof num, "%lld", (long long)n);
		if (pk && editable(f, pk)) {
			if (alg)
				kup_fixer_add_pair(f, pk, "algorithm", alg);
			if (enc)
				kup_fixer_add_pair(f, pk, "encoding", enc);
			if (n)
				kup_fixer_add_pair(f, pk, "size", num);
		} else {
			if (alg)
				kup_buf_addf(&b, "algorithm: %s\n", alg);
			if (enc)
				kup_buf_addf(&b, "encoding: %s\n", enc);
			if (n)
				kup_buf_addf(&b, "size: %s\n", num);
			if (!b.oom)
				kup_fixer_put(f, spec, "privateKey", b.buf);
		}
		if (!done(f, &b))
			return false;
		kup_fixer_note(f, "spec.keyAlgorithm/keyEncoding/keySize -> spec.privateKey");
	} else {
		kup_fixer_note(f, "unset spec.keyAlgorithm/keyEncoding/keySize dropped");
	}
	for (size_t k = 0; k < 3; k++)
		if (idx[k] >= 0)
			kup_fixer_delete_pair(f, spec, (size_t)idx[k]);
	return !f->oom;
}

bool kup_convert_cert_manager(struct kup_fixer *f, const struct kup_node *obj, const char *from,
			      const char *to)
{
	const struct kup_node *spec = kup_node_get(obj, "spec");
	if (has(spec, "acme")) {
		kup_fixer_unfixable(f, "spec.acme has moved in %s (Issuer solvers): convert by "
				       "hand", to);
		return true;
	}
	if (strcmp(from, "cert-manager.io/v1beta1") == 0) {
		/* v1beta1 has privateKey already; the old top-level key fields are not its own */
		static const char *const gone[] = { "keyAlgorithm", "keyEncoding", "keySize", NULL };
		for (size_t i = 0; gone[i]; i++)
			if (has(spec, gone[i])) {
				kup_fixer_unfixable(f, "spec.%s is not a %s field (the server drops "
						       "it): move it under spec.privateKey by hand",
						    gone[i], from);
				return true;
			}
	}
	if (!is_map(spec))
		return true;
	if (!move_organization(f, spec) || f->unfixable)
		return !f->oom;
	if (!rename_sans(f, spec) || f->unfixable)
		return !f->oom;
	return move_private_key(f, spec);
}
