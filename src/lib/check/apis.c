/*
 * apis.c - the API lifecycle check (scan.h).
 *
 * Each object is matched against the knowledge base by apiVersion + kind;
 * its status is decided on the rule's own axis (Kubernetes, or the add-on's
 * version).  Objects of custom groups are remembered compactly, because the
 * CustomResourceDefinition that declares their version deprecated or
 * unserved may come later in the input; kup_scan_finish() settles them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/scan.h"

struct crd_version {
	const char *group;
	const char *kind;
	const char *version;
	bool served;
	bool deprecated;
	bool storage;
	const char *warning;
};

struct pending {
	const char *api_version;
	const char *kind;
	const char *name;
	const char *namespace_;
	struct kup_source src;
};

struct kup_scan {
	const struct kup_kb *kb;
	struct kup_scan_opts opts;
	struct kup_arena strings;
	const char **intern;            /* open addressing set of interned strings */
	size_t intern_n, intern_cap;
	const char **groups;            /* built-in groups the KB knows */
	size_t ngroups;
	struct kup_finding *findings;
	size_t nfindings, findings_cap;
	struct pending *pending;
	size_t npending, pending_cap;
	struct crd_version *crds;
	size_t ncrds, crds_cap;
	size_t nundecided, nnot_rendered;
	/*
	 * What a finding of (rule, status) says does not depend on the object:
	 * the versions, the replacement and the message are made once per pair
	 * (direct-mapped by the rule's address; a finding-heavy dump has a few
	 * dozen pairs and thousands of findings).
	 */
	struct rule_text {
		const struct kup_api_rule *rule;
		enum kup_finding_status status;
		const char *deprecated_in, *removed_in, *replacement, *replacement_kind,
			*replacement_available_in, *message;
	} texts[64];
	bool oom;
};

const char *kup_finding_status_name(enum kup_finding_status s)
{
	switch (s) {
	case KUP_FIND_REMOVED: return "removed";
	case KUP_FIND_DEPRECATED: return "deprecated";
	case KUP_FIND_OPT_IN_REMOVED: return "opt-in-removed";
	case KUP_FIND_OPT_IN_DEPRECATED: return "opt-in-deprecated";
	case KUP_FIND_GA_DEPRECATED: return "ga-deprecated";
	case KUP_FIND_UNDECIDED: return "undecided";
	case KUP_FIND_NOT_RENDERED: return "not-rendered";
	case KUP_FIND_ALPHA_REMOVED: return "alpha-removed";
	case KUP_FIND_ALPHA_DEPRECATED: return "alpha-deprecated";
	}
	return "unknown";
}

const char *kup_finding_label(const struct kup_finding *f)
{
	return f->ignored ? "ignored" : kup_finding_status_name(f->status);
}

enum kup_fail_level kup_finding_severity(enum kup_finding_status s)
{
	switch (s) {
	case KUP_FIND_REMOVED:
	case KUP_FIND_OPT_IN_REMOVED:
	case KUP_FIND_ALPHA_REMOVED:
		return KUP_FAIL_REMOVED;
	case KUP_FIND_DEPRECATED:
	case KUP_FIND_OPT_IN_DEPRECATED:
	case KUP_FIND_ALPHA_DEPRECATED:
		return KUP_FAIL_DEPRECATED;
	case KUP_FIND_GA_DEPRECATED:
	case KUP_FIND_UNDECIDED:
	case KUP_FIND_NOT_RENDERED:
		return KUP_FAIL_NONE;
	}
	return KUP_FAIL_NONE;
}

void kup_scan_opts_init(struct kup_scan_opts *o)
{
	memset(o, 0, sizeof(*o));
}

/* ---- strings ------------------------------------------------------------------ */

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* Interns s[0..n) (repeated paths, kinds, versions are stored once). */
static const char *intern(struct kup_scan *sc, const char *s, size_t n)
{
	size_t slot;
	char *copy;

	if (!s)
		return NULL;
	if (sc->intern_n * 2 >= sc->intern_cap) {
		size_t cap = sc->intern_cap ? sc->intern_cap * 2 : 1024, i;
		const char **nt = kup_calloc(cap, sizeof(*nt));
		if (!nt) {
			sc->oom = true;
			return NULL;
		}
		for (i = 0; i < sc->intern_cap; i++) {
			const char *e = sc->intern[i];
			if (!e)
				continue;
			slot = hash_bytes(e, strlen(e)) & (cap - 1);
			while (nt[slot])
				slot = (slot + 1) & (cap - 1);
			nt[slot] = e;
		}
		free(sc->intern);
		sc->intern = nt;
		sc->intern_cap = cap;
	}
	slot = hash_bytes(s, n) & (sc->intern_cap - 1);
	while (sc->intern[slot]) {
		const char *e = sc->intern[slot];
		if (strncmp(e, s, n) == 0 && e[n] == '\0')
			return e;
		slot = (slot + 1) & (sc->intern_cap - 1);
	}
	copy = kup_arena_strndup(&sc->strings, s, n);
	if (!copy) {
		sc->oom = true;
		return NULL;
	}
	sc->intern[slot] = copy;
	sc->intern_n++;
	return copy;
}

static const char *intern_c(struct kup_scan *sc, const char *s)
{
	return s ? intern(sc, s, strlen(s)) : NULL;
}

static const char *intern_str(struct kup_scan *sc, struct kup_str s)
{
	return s.p && s.n ? intern(sc, s.p, s.n) : NULL;
}

static struct kup_source copy_source(struct kup_scan *sc, const struct kup_source *src)
{
	struct kup_source d = *src;

	d.path = intern_c(sc, src->path);
	d.release = intern_c(sc, src->release);
	d.chart = intern_c(sc, src->chart);
	d.manager = intern_c(sc, src->manager);
	d.object = intern_c(sc, src->object);
	return d;
}

static const char *version_str(struct kup_scan *sc, const struct kup_version *v)
{
	char buf[32];

	if (!v->valid)
		return NULL;
	return intern_c(sc, kup_version_str(v, buf, sizeof(buf)));
}

/* ---- setup ---------------------------------------------------------------------- */

static bool add_group(struct kup_scan *sc, const char *av)
{
	const char *slash = strchr(av, '/');
	const char *g;
	size_t i;

	if (!slash)
		return true;
	g = intern(sc, av, (size_t)(slash - av));
	if (!g)
		return false;
	for (i = 0; i < sc->ngroups; i++)
		if (sc->groups[i] == g)
			return true;
	{
		const char **ng = kup_xrealloc_array(sc->groups, sc->ngroups + 1, sizeof(*ng));
		if (!ng)
			return false;
		sc->groups = ng;
		sc->groups[sc->ngroups++] = g;
	}
	return true;
}

enum kup_status kup_scan_new(const struct kup_kb *kb, const struct kup_scan_opts *opts,
			     struct kup_scan **out)
{
	struct kup_scan *sc = kup_calloc(1, sizeof(*sc));
	size_t i;

	*out = NULL;
	if (!sc)
		return KUP_NOMEM;
	sc->kb = kb;
	sc->opts = *opts;
	kup_arena_init(&sc->strings, 64 * 1024);
	for (i = 0; i < kup_kb_api_count(kb); i++) {
		const struct kup_api_rule *r = kup_kb_api_at(kb, i);
		size_t j;
		if (strcmp(r->component, "kubernetes") != 0)
			continue;
		if (!add_group(sc, r->api_version))
			sc->oom = true;
		for (j = 0; j < r->nreplacements; j++)
			if (!add_group(sc, r->replacements[j].api_version))
				sc->oom = true;
	}
	if (sc->oom) {
		kup_scan_free(sc);
		return KUP_NOMEM;
	}
	*out = sc;
	return KUP_OK;
}

void kup_scan_free(struct kup_scan *sc)
{
	if (!sc)
		return;
	kup_arena_release(&sc->strings);
	free(sc->intern);
	free(sc->groups);
	free(sc->findings);
	free(sc->pending);
	free(sc->crds);
	free(sc);
}

size_t kup_scan_count(const struct kup_scan *sc)
{
	return sc->nfindings;
}

const struct kup_finding *kup_scan_at(const struct kup_scan *sc, size_t i)
{
	return i < sc->nfindings ? &sc->findings[i] : NULL;
}

struct kup_finding *kup_scan_at_mut(struct kup_scan *sc, size_t i)
{
	return i < sc->nfindings ? &sc->findings[i] : NULL;
}

/* ---- deciding ----------------------------------------------------------------------- */

static bool target_for(const struct kup_scan *sc, const struct kup_api_rule *r,
		       struct kup_version *out, bool from)
{
	size_t i;

	if (strcmp(r->component, "kubernetes") == 0) {
		*out = from ? sc->opts.from : sc->opts.target;
		return out->valid;
	}
	if (from)
		return false;   /* --from is a Kubernetes version */
	for (i = 0; i < sc->opts.naddons; i++)
		if (strcmp(sc->opts.addon_names[i], r->component) == 0) {
			*out = sc->opts.addon_targets[i];
			return out->valid;
		}
	return kup_kb_component_newest(sc->kb, r->component, out);
}

/* The status of a rule at version v; false when there is nothing to say. */
static bool status_at(const struct kup_api_rule *r, const struct kup_version *v,
		      enum kup_finding_status *out)
{
	bool removed = r->removed_in.valid && kup_version_cmp(&r->removed_in, v) <= 0;
	bool deprecated = r->deprecated_in.valid && kup_version_cmp(&r->deprecated_in, v) <= 0;

	switch (r->level) {
	case KUP_LEVEL_BUILTIN:
	case KUP_LEVEL_ADDON:
	case KUP_LEVEL_CONFIG:
		if (removed)
			*out = KUP_FIND_REMOVED;
		else if (deprecated)
			*out = KUP_FIND_DEPRECATED;
		else
			return false;
		return true;
	case KUP_LEVEL_OPT_IN_BETA:
		if (removed)
			*out = KUP_FIND_OPT_IN_REMOVED;
		else if (deprecated)
			*out = KUP_FIND_OPT_IN_DEPRECATED;
		else
			return false;
		return true;
	case KUP_LEVEL_GA_DEPRECATED:
		if (!deprecated)
			return false;
		*out = KUP_FIND_GA_DEPRECATED;
		return true;
	case KUP_LEVEL_ALPHA:
		if (removed)
			*out = KUP_FIND_ALPHA_REMOVED;
		else if (deprecated)
			*out = KUP_FIND_ALPHA_DEPRECATED;
		else
			return false;
		return true;
	}
	return false;
}

static struct kup_finding *new_finding(struct kup_scan *sc, const struct kup_object *obj)
{
	struct kup_finding *f;

	if (!kup_grow(&sc->findings, &sc->findings_cap, sc->nfindings + 1, sizeof(*sc->findings),
		      64)) {
		sc->oom = true;
		return NULL;
	}
	f = &sc->findings[sc->nfindings++];
	memset(f, 0, sizeof(*f));
	f->kind = intern_str(sc, obj->kind);
	f->api_version = intern_str(sc, obj->api_version);
	f->name = intern_str(sc, obj->name);
	f->namespace_ = intern_str(sc, obj->namespace_);
	f->src = copy_source(sc, &obj->src);
	return f;
}

static void rule_text(struct kup_scan *sc, struct kup_finding *f,
		      const struct kup_api_rule *r, enum kup_finding_status status,
		      const struct kup_version *target);

static void rule_finding(struct kup_scan *sc, const struct kup_object *obj,
			 const struct kup_api_rule *r, enum kup_finding_status status,
			 const struct kup_version *target)
{
	struct kup_finding *f = new_finding(sc, obj);
	struct rule_text *t;

	if (!f)
		return;
	t = &sc->texts[((uintptr_t)r / sizeof(*r) * 2 + (uintptr_t)status) %
		       (sizeof(sc->texts) / sizeof(sc->texts[0]))];
	if (t->rule != r || t->status != status) {
		rule_text(sc, f, r, status, target);
		if (sc->oom)
			return;
		t->rule = r;
		t->status = status;
		t->deprecated_in = f->deprecated_in;
		t->removed_in = f->removed_in;
		t->replacement = f->replacement;
		t->replacement_kind = f->replacement_kind;
		t->replacement_available_in = f->replacement_available_in;
		t->message = f->message;
		return;
	}
	f->status = status;
	f->rule = r;
	f->rule_id = r->id;
	f->component = r->component;
	f->notes = r->notes;
	f->source_url = r->source;
	f->deprecated_in = t->deprecated_in;
	f->removed_in = t->removed_in;
	f->replacement = t->replacement;
	f->replacement_kind = t->replacement_kind;
	f->replacement_available_in = t->replacement_available_in;
	f->message = t->message;
}

/* Fills what f says about rule r at `target` (the slow path of rule_finding). */
static void rule_text(struct kup_scan *sc, struct kup_finding *f,
		      const struct kup_api_rule *r, enum kup_finding_status status,
		      const struct kup_version *target)
{
	const struct kup_api_replacement *rep = kup_kb_best_replacement(sc->kb, r, target);
	char tbuf[32];

	f->status = status;
	f->rule = r;
	f->rule_id = r->id;
	f->component = r->component;
	f->deprecated_in = version_str(sc, &r->deprecated_in);
	f->removed_in = version_str(sc, &r->removed_in);
	f->notes = r->notes;
	f->source_url = r->source;
	if (rep) {
		f->replacement = rep->api_version;
		if (rep->kind && strcmp(rep->kind, r->kind) != 0)
			f->replacement_kind = rep->kind;
		f->replacement_available_in = version_str(sc, &rep->available_in);
	}
	kup_version_str(target, tbuf, sizeof(tbuf));
	{
		struct kup_buf m = KUP_BUF_INIT;
		const char *comp = strcmp(r->component, "kubernetes") == 0 ? "" : r->component;
		const char *sp = *comp ? " " : "";

		kup_buf_addf(&m, "%s %s ", r->kind, r->api_version);
		switch (status) {
		case KUP_FIND_REMOVED:
			if (r->level == KUP_LEVEL_CONFIG)
				kup_buf_addf(&m, "(a configuration file, not served) is no longer read "
					     "since %s", f->removed_in);
			else
				kup_buf_addf(&m, "is no longer served since %s%s%s", comp, sp,
					     f->removed_in);
			break;
		case KUP_FIND_OPT_IN_REMOVED:
			kup_buf_addf(&m, "(an opt-in beta) is no longer served since %s", f->removed_in);
			break;
		case KUP_FIND_ALPHA_REMOVED:
			kup_buf_addf(&m, "(an alpha API, off by default) is no longer served since %s",
				     f->removed_in);
			break;
		case KUP_FIND_ALPHA_DEPRECATED:
			kup_buf_addf(&m, "(an alpha API, off by default) is deprecated since %s",
				     f->deprecated_in);
			if (f->removed_in)
				kup_buf_addf(&m, " and removed in %s", f->removed_in);
			break;
		case KUP_FIND_DEPRECATED:
		case KUP_FIND_OPT_IN_DEPRECATED:
			if (r->level == KUP_LEVEL_CONFIG)
				kup_buf_adds(&m, "(a configuration file, not served) ");
			kup_buf_addf(&m, "is deprecated since %s%s%s", comp, sp, f->deprecated_in);
			if (f->removed_in)
				kup_buf_addf(&m, " and removed in %s", f->removed_in);
			break;
		case KUP_FIND_GA_DEPRECATED:
			kup_buf_addf(&m, "is deprecated since %s but still served", f->deprecated_in);
			break;
		case KUP_FIND_UNDECIDED:
		case KUP_FIND_NOT_RENDERED:
			break;
		}
		if (f->replacement)
			kup_buf_addf(&m, "; use %s%s%s", f->replacement,
				     f->replacement_kind ? " " : "",
				     f->replacement_kind ? f->replacement_kind : "");
		else if (status != KUP_FIND_GA_DEPRECATED)
			kup_buf_adds(&m, "; no replacement");
		if (m.oom) {
			sc->oom = true;
		} else {
			f->message = intern(sc, m.buf, m.len);
		}
		kup_buf_release(&m);
	}
}

/* ---- CRDs ----------------------------------------------------------------------------- */

static void add_crd_version(struct kup_scan *sc, const char *group, const char *kind,
			    const struct kup_node *v, const char *key, bool single)
{
	struct crd_version *c;
	const char *name = kup_node_str(kup_node_get(v, key));
	bool b;

	if (!name)
		return;
	if (!kup_grow(&sc->crds, &sc->crds_cap, sc->ncrds + 1, sizeof(*sc->crds), 32)) {
		sc->oom = true;
		return;
	}
	c = &sc->crds[sc->ncrds++];
	memset(c, 0, sizeof(*c));
	c->group = group;
	c->kind = kind;
	c->version = intern_c(sc, name);
	/* A v1beta1 CRD with only spec.version: that version is served and stored. */
	c->served = !kup_node_bool(kup_node_get(v, "served"), &b) || b;
	c->deprecated = kup_node_bool(kup_node_get(v, "deprecated"), &b) && b;
	c->storage = single || (kup_node_bool(kup_node_get(v, "storage"), &b) && b);
	c->warning = intern_c(sc, kup_node_str(kup_node_get(v, "deprecationWarning")));
}

static void record_crd(struct kup_scan *sc, const struct kup_node *root)
{
	const struct kup_node *spec = kup_node_get(root, "spec"), *versions;
	const char *group = intern_c(sc, kup_node_str(kup_node_get(spec, "group")));
	const char *kind = intern_c(sc, kup_node_str(kup_node_path(spec, "names", "kind", NULL)));
	size_t i;

	if (!group || !kind)
		return;
	versions = kup_node_get(spec, "versions");
	if (versions && versions->kind == KUP_NODE_SEQ && versions->len) {
		for (i = 0; i < versions->len; i++)
			add_crd_version(sc, group, kind, versions->u.items[i], "name", false);
	} else if (kup_node_str(kup_node_get(spec, "version"))) {
		add_crd_version(sc, group, kind, spec, "version", true);
	}
}

static bool builtin_group(const struct kup_scan *sc, const char *g, size_t n)
{
	size_t i;

	if (n == 0)
		return true;
	if (!memchr(g, '.', n))
		return true;   /* a CRD's group must contain a dot */
	for (i = 0; i < sc->ngroups; i++)
		if (strlen(sc->groups[i]) == n && memcmp(sc->groups[i], g, n) == 0)
			return true;
	return false;
}

static void remember(struct kup_scan *sc, const struct kup_object *obj)
{
	struct pending *p;

	if (!kup_grow(&sc->pending, &sc->pending_cap, sc->npending + 1, sizeof(*sc->pending), 64)) {
		sc->oom = true;
		return;
	}
	p = &sc->pending[sc->npending++];
	p->api_version = intern_str(sc, obj->api_version);
	p->kind = intern_str(sc, obj->kind);
	p->name = intern_str(sc, obj->name);
	p->namespace_ = intern_str(sc, obj->namespace_);
	p->src = copy_source(sc, &obj->src);
}

static void settle(struct kup_scan *sc, const struct pending *p)
{
	const char *slash = strchr(p->api_version, '/');
	size_t gl = (size_t)(slash - p->api_version), i;
	const struct crd_version *hit = NULL, *best = NULL;
	bool known = false;
	struct kup_object obj;
	struct kup_finding *f;

	for (i = 0; i < sc->ncrds; i++) {
		const struct crd_version *c = &sc->crds[i];
		if (strcmp(c->kind, p->kind) != 0 || strlen(c->group) != gl ||
		    memcmp(c->group, p->api_version, gl) != 0)
			continue;
		known = true;
		if (strcmp(c->version, slash + 1) == 0)
			hit = c;
		if (c->served && !c->deprecated && (!best || c->storage))
			best = c;
	}
	if (!known || (hit && hit->served && !hit->deprecated))
		return;
	memset(&obj, 0, sizeof(obj));
	obj.api_version = kup_str_c(p->api_version);
	obj.kind = kup_str_c(p->kind);
	obj.name = kup_str_c(p->name);
	obj.namespace_ = kup_str_c(p->namespace_);
	obj.src = p->src;
	f = new_finding(sc, &obj);
	if (!f)
		return;
	f->component = intern(sc, p->api_version, gl);
	if (best && best != hit)
		f->replacement = intern_c(sc, kup_arena_printf(&sc->strings, "%.*s/%s", (int)gl,
							       p->api_version, best->version));
	if (hit && hit->served) {
		f->status = KUP_FIND_DEPRECATED;
		f->rule_id = "crd-deprecated-version";
		f->message = hit->warning ? hit->warning
					  : intern_c(sc, kup_arena_printf(&sc->strings,
						"%s %s is marked deprecated by its CustomResourceDefinition",
						p->kind, p->api_version));
	} else {
		f->status = KUP_FIND_REMOVED;
		f->rule_id = "crd-unserved-version";
		f->message = intern_c(sc, kup_arena_printf(&sc->strings,
			"%s %s is not served by its CustomResourceDefinition%s",
			p->kind, p->api_version, hit ? " (served: false)" : " (version not listed)"));
	}
}

/* ---- chart conditionals --------------------------------------------------------------- */

/*
 * A chart template that offers another apiVersion for the same kind in
 * another branch ({{ if semverCompare ... }}v1{{ else }}v1beta1{{ end }}):
 * the first alternative that nothing flags at the target, or NULL.
 */
static const struct kup_str *served_alternative(const struct kup_scan *sc,
						const struct kup_object *obj)
{
	size_t i;

	for (i = 0; i < obj->nalternatives; i++) {
		const struct kup_str *a = &obj->alternatives[i];
		const struct kup_api_rule *r =
			kup_kb_find_api(sc->kb, a->p, a->n, obj->kind.p, obj->kind.n);
		struct kup_version target;
		enum kup_finding_status st;

		if (!r || !target_for(sc, r, &target, false) || !status_at(r, &target, &st) ||
		    kup_finding_severity(st) == KUP_FAIL_NONE)
			return a;
	}
	return NULL;
}

/* The old branch of a conditional: undecided, shown only with show_undecided. */
static void conditional_finding(struct kup_scan *sc, const struct kup_object *obj,
				const struct kup_api_rule *r, const struct kup_str *served,
				const struct kup_version *target)
{
	struct kup_finding *f;
	char tbuf[32];

	if (!sc->opts.show_undecided)
		return;
	f = new_finding(sc, obj);
	if (!f)
		return;
	f->status = KUP_FIND_UNDECIDED;
	f->rule = r;
	f->rule_id = "undecided-template";
	f->component = r->component;
	f->deprecated_in = version_str(sc, &r->deprecated_in);
	f->removed_in = version_str(sc, &r->removed_in);
	f->replacement = intern(sc, served->p, served->n);
	f->source_url = r->source;
	f->message = intern_c(sc, kup_arena_printf(&sc->strings,
		"a conditional branch: the template also offers %.*s, served at %s; check that the "
		"condition picks it on the target (a kubeVersion or semverCompare range without '-0' "
		"never matches provider versions such as 1.30.1-eks-x)",
		(int)served->n, served->p, kup_version_str(target, tbuf, sizeof(tbuf))));
	f->reason = "the apiVersion is chosen by a condition on the cluster version";
}

/* ---- rendered charts ------------------------------------------------------------------- */

static bool has_unknown(struct kup_str s)
{
	size_t i;

	if (!s.n)
		return true;
	for (i = 0; i + 2 < s.n; i++)
		if (s.p[i] == '?' && s.p[i + 1] == '?' && s.p[i + 2] == '?')
			return true;
	return false;
}

/*
 * An object of a rendered chart that was not judged (obj->reason) or is in
 * a branch not rendered at the target: counted, and listed with
 * show_undecided when it matters (a not-rendered object only when its API
 * would be flagged; an undecided one unless its known apiVersion and kind
 * are fine at the target whatever the unknown is).
 */
static enum kup_status chart_object(struct kup_scan *sc, const struct kup_object *obj)
{
	const struct kup_api_rule *r = NULL;
	struct kup_version target, from;
	enum kup_finding_status st = KUP_FIND_UNDECIDED, st_from;
	bool flagged = false, known = !has_unknown(obj->api_version) && !has_unknown(obj->kind);
	struct kup_finding *f;
	size_t before;

	if (known)
		r = kup_kb_find_api(sc->kb, obj->api_version.p, obj->api_version.n, obj->kind.p,
				    obj->kind.n);
	if (r && target_for(sc, r, &target, false) && status_at(r, &target, &st) &&
	    kup_finding_severity(st) != KUP_FAIL_NONE)
		flagged = !(target_for(sc, r, &from, true) && status_at(r, &from, &st_from) &&
			    st_from == st);
	if (obj->not_rendered) {
		if (!flagged)
			return KUP_OK;
		sc->nnot_rendered++;
		if (!sc->opts.show_undecided)
			return KUP_OK;
	} else {
		if (known && !flagged)
			return KUP_OK;
		sc->nundecided++;
		if (!sc->opts.show_undecided)
			return KUP_OK;
	}
	before = sc->nfindings;
	if (flagged)
		rule_finding(sc, obj, r, st, &target);
	else if ((f = new_finding(sc, obj)))
		f->rule_id = "undecided-template";
	if (sc->nfindings == before)
		return sc->oom ? KUP_NOMEM : KUP_OK;
	f = &sc->findings[sc->nfindings - 1];
	f->message = intern_c(sc, kup_arena_printf(&sc->strings, "%s%s%s: %s",
		flagged ? f->message : "", flagged ? "; " : "",
		obj->not_rendered ? "not rendered at the target" : "not judged",
		obj->reason ? obj->reason : "unknown"));
	f->reason = obj->reason ? intern_c(sc, obj->reason) : "unknown";
	f->status = obj->not_rendered ? KUP_FIND_NOT_RENDERED : KUP_FIND_UNDECIDED;
	return sc->oom ? KUP_NOMEM : KUP_OK;
}

size_t kup_scan_undecided(const struct kup_scan *sc)
{
	return sc->nundecided;
}

size_t kup_scan_not_rendered(const struct kup_scan *sc)
{
	return sc->nnot_rendered;
}

/* ---- the check ----------------------------------------------------------------------- */

enum kup_status kup_scan_object(void *ctx, const struct kup_object *obj)
{
	struct kup_scan *sc = ctx;
	const struct kup_api_rule *r;
	const char *slash;

	if (sc->oom)
		return KUP_NOMEM;
	if (obj->reason || obj->not_rendered)
		return chart_object(sc, obj);
	if (obj->undecidable) {
		sc->nundecided++;
		if (sc->opts.show_undecided) {
			struct kup_finding *f = new_finding(sc, obj);
			if (f) {
				f->status = KUP_FIND_UNDECIDED;
				f->rule_id = "undecided-template";
				f->message = "the apiVersion or kind is set by a template expression: render the chart to decide";
				f->reason = "the apiVersion or kind is set by a template expression";
			}
		}
		return sc->oom ? KUP_NOMEM : KUP_OK;
	}
	if (!obj->api_version.n || !obj->kind.n)
		return KUP_OK;
	if (obj->root && kup_str_eqc(obj->kind, "CustomResourceDefinition") &&
	    kup_str_has_prefix(obj->api_version, "apiextensions.k8s.io/"))
		record_crd(sc, obj->root);

	r = kup_kb_find_api(sc->kb, obj->api_version.p, obj->api_version.n, obj->kind.p,
			    obj->kind.n);
	if (r) {
		struct kup_version target, from;
		enum kup_finding_status st, st_from;
		const struct kup_str *served;

		if (!target_for(sc, r, &target, false) || !status_at(r, &target, &st))
			return KUP_OK;
		if (target_for(sc, r, &from, true) && status_at(r, &from, &st_from) && st_from == st)
			return KUP_OK;
		served = served_alternative(sc, obj);
		if (served) {
			conditional_finding(sc, obj, r, served, &target);
			return sc->oom ? KUP_NOMEM : KUP_OK;
		}
		rule_finding(sc, obj, r, st, &target);
		return sc->oom ? KUP_NOMEM : KUP_OK;
	}
	slash = memchr(obj->api_version.p, '/', obj->api_version.n);
	if (slash && !builtin_group(sc, obj->api_version.p, (size_t)(slash - obj->api_version.p)))
		remember(sc, obj);
	return sc->oom ? KUP_NOMEM : KUP_OK;
}

static int cmp_str0(const char *a, const char *b)
{
	if (a == b)
		return 0;
	if (!a)
		return -1;
	if (!b)
		return 1;
	return strcmp(a, b);
}

static int cmp_finding(const void *x, const void *y)
{
	const struct kup_finding *a = x, *b = y;
	int c;

	if ((c = cmp_str0(a->src.path, b->src.path)))
		return c;
	if (a->src.line != b->src.line)
		return a->src.line < b->src.line ? -1 : 1;
	if (a->src.column != b->src.column)
		return a->src.column < b->src.column ? -1 : 1;
	if ((c = cmp_str0(a->kind, b->kind)))
		return c;
	if ((c = cmp_str0(a->namespace_, b->namespace_)))
		return c;
	if ((c = cmp_str0(a->name, b->name)))
		return c;
	if (a->src.type != b->src.type)
		return a->src.type < b->src.type ? -1 : 1;
	return cmp_str0(a->src.manager, b->src.manager);
}

enum kup_status kup_scan_finish(struct kup_scan *sc)
{
	size_t i;

	for (i = 0; i < sc->npending && !sc->oom; i++)
		settle(sc, &sc->pending[i]);
	free(sc->pending);
	sc->pending = NULL;
	sc->npending = sc->pending_cap = 0;
	if (sc->oom)
		return KUP_NOMEM;
	if (sc->nfindings > 1)
		qsort(sc->findings, sc->nfindings, sizeof(*sc->findings), cmp_finding);
	return KUP_OK;
}
