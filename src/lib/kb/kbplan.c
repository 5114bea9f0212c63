/*
 * kbplan.c - the planning half of the knowledge base: the skew policy
 * (data/skew.yaml), provider support windows (data/providers.yaml), add-on
 * compatibility and hop rules (data/addons.yaml) and the risk catalogue with
 * its detectors (data/risks.yaml).  Loaded by kb.c's loader, with the same
 * file:line:column problems; queried through kbplan.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kupgrade/profile.h"
#include "kb/kb_int.h"

#define SCHEMA_SKEW "kupgrade.dev/kb/skew/v1"
#define SCHEMA_PROVIDERS "kupgrade.dev/kb/providers/v1"
#define SCHEMA_ADDONS "kupgrade.dev/kb/addons/v1"
#define SCHEMA_RISKS "kupgrade.dev/kb/risks/v1"
#define SCHEMA_PREFLIGHT "kupgrade.dev/kb/preflight/v1"

/* Detector nesting is bounded so a hostile --kb file cannot blow the stack. */
#define MAX_DETECT_DEPTH 16

/* ---- small field readers ----------------------------------------------------- */

static bool want_int(struct kup_kb_loader *ld, const struct kup_node *map, const char *key,
		     bool required, int lo, int hi, int *out)
{
	const struct kup_node *n = kup_node_get(map, key);
	int64_t v;

	if (!n || (n->kind == KUP_NODE_SCALAR && n->tag == KUP_TAG_NULL)) {
		if (required)
			kup_kbl_problem(ld, map, "missing '%s'", key);
		return false;
	}
	if (!kup_node_int(n, &v) || v < lo || v > hi) {
		kup_kbl_problem(ld, n, "'%s' must be an integer from %d to %d", key, lo, hi);
		return false;
	}
	*out = (int)v;
	return true;
}

static bool want_bool(struct kup_kb_loader *ld, const struct kup_node *map, const char *key)
{
	const struct kup_node *n = kup_node_get(map, key);
	bool v = false;

	if (!n || (n->kind == KUP_NODE_SCALAR && n->tag == KUP_TAG_NULL))
		return false;
	if (!kup_node_bool(n, &v))
		kup_kbl_problem(ld, n, "'%s' must be true or false", key);
	return v;
}

static const char *want_text(struct kup_kb_loader *ld, const struct kup_node *map,
			     const char *key, bool required)
{
	const struct kup_node *n = kup_kbl_want_str(ld, map, key, required);

	return n ? kup_kbl_str(ld, n) : NULL;
}

/* A provider name the profiles know (eks, gke, aks, kubeadm, generic). */
static const char *want_provider(struct kup_kb_loader *ld, const struct kup_node *map,
				 bool required)
{
	const struct kup_node *n = kup_kbl_want_str(ld, map, "provider", required);
	enum kup_provider p;

	if (!n)
		return NULL;
	if (!kup_provider_from_name(n->u.str, &p)) {
		kup_kbl_problem(ld, n, "unknown provider '%s' (eks, gke, aks, kubeadm, generic)",
				n->u.str);
		return NULL;
	}
	return kup_kbl_str(ld, n);
}

/* A list of non-empty strings (absent: empty). */
static const char **want_str_list(struct kup_kb_loader *ld, const struct kup_node *map,
				  const char *key, size_t *count)
{
	const struct kup_node *n = kup_node_get(map, key);
	const char **v;
	size_t i;

	*count = 0;
	if (!n || (n->kind == KUP_NODE_SCALAR && n->tag == KUP_TAG_NULL))
		return NULL;
	if (n->kind != KUP_NODE_SEQ) {
		kup_kbl_problem(ld, n, "'%s' must be a list of strings", key);
		return NULL;
	}
	if (!n->len)
		return NULL;
	v = kup_arena_zalloc(&ld->kb->strings, n->len * sizeof(*v));
	if (!v) {
		ld->oom = true;
		return NULL;
	}
	for (i = 0; i < n->len; i++) {
		const struct kup_node *it = n->u.items[i];
		if (it->kind != KUP_NODE_SCALAR || it->tag == KUP_TAG_NULL || it->len == 0) {
			kup_kbl_problem(ld, it, "'%s' items must be non-empty strings", key);
			return NULL;
		}
		v[i] = kup_kbl_str(ld, it);
	}
	*count = n->len;
	return v;
}

static const struct kup_node *want_list(struct kup_kb_loader *ld, const struct kup_node *root,
					const char *key)
{
	const struct kup_node *list = kup_node_get(root, key);

	if (!list || list->kind != KUP_NODE_SEQ) {
		kup_kbl_problem(ld, list ? list : root, "'%s' must be a list", key);
		return NULL;
	}
	return list;
}

/* ---- skew.yaml ------------------------------------------------------------------ */

static void load_skew(struct kup_kb_loader *ld, const struct kup_node *root)
{
	static const char *const top[] = { "schema", "source", "checked", "control_plane",
					   "components", "notes", NULL };
	static const char *const cp_keys[] = { "max_hop", "source", "checked", "notes", NULL };
	static const char *const comp_keys[] = { "component", "older", "newer", "older_before",
						 "source", "checked", "notes", NULL };
	static const char *const red_keys[] = { "version", "older", NULL };
	struct kup_kbplan *p = &ld->kb->plan;
	const struct kup_node *cp, *list;
	size_t i, j;

	kup_kbl_check_keys(ld, root, top);
	kup_kbl_want_checked(ld, root);
	kup_kbl_want_source(ld, root, "source", &p->skew_source);
	cp = kup_node_get(root, "control_plane");
	if (!cp || cp->kind != KUP_NODE_MAP) {
		kup_kbl_problem(ld, cp ? cp : root, "'control_plane' must be a mapping");
	} else {
		const char *src;
		kup_kbl_check_keys(ld, cp, cp_keys);
		kup_kbl_want_checked(ld, cp);
		if (p->cp_max_hop)
			kup_kbl_problem(ld, cp, "the control-plane hop is defined twice");
		else
			want_int(ld, cp, "max_hop", true, 1, 10, &p->cp_max_hop);
		kup_kbl_want_source(ld, cp, "source", &src);
	}
	if (!(list = want_list(ld, root, "components")))
		return;
	for (i = 0; i < list->len && !ld->oom; i++) {
		const struct kup_node *e = list->u.items[i], *red;
		struct kup_skew_rule r;
		size_t bad = ld->problems;

		memset(&r, 0, sizeof(r));
		if (e->kind != KUP_NODE_MAP) {
			kup_kbl_problem(ld, e, "a component entry must be a mapping");
			continue;
		}
		kup_kbl_check_keys(ld, e, comp_keys);
		kup_kbl_want_checked(ld, e);
		r.component = want_text(ld, e, "component", true);
		want_int(ld, e, "older", true, 0, 10, &r.older);
		want_int(ld, e, "newer", true, 0, 10, &r.newer);
		r.reduced_older = r.older;
		red = kup_node_get(e, "older_before");
		if (red && !(red->kind == KUP_NODE_SCALAR && red->tag == KUP_TAG_NULL)) {
			if (red->kind != KUP_NODE_MAP) {
				kup_kbl_problem(ld, red, "'older_before' must be a mapping {version, older}");
			} else {
				kup_kbl_check_keys(ld, red, red_keys);
				kup_kbl_want_version(ld, red, "version", true, &r.reduced_below);
				if (want_int(ld, red, "older", true, 0, 10, &r.reduced_older) &&
				    r.reduced_older > r.older)
					kup_kbl_problem(ld, red, "'older' here must not exceed the component's 'older'");
			}
		}
		kup_kbl_want_source(ld, e, "source", &r.source);
		if (ld->problems != bad || ld->oom)
			continue;
		for (j = 0; j < p->nskew; j++)
			if (strcmp(p->skew[j].component, r.component) == 0)
				break;
		if (j < p->nskew) {
			kup_kbl_problem(ld, e, "duplicate skew rule for %s", r.component);
			continue;
		}
		if (!kup_grow(&p->skew, &p->skew_cap, p->nskew + 1, sizeof(*p->skew), 8)) {
			ld->oom = true;
			return;
		}
		p->skew[p->nskew++] = r;
	}
}

/* ---- providers.yaml --------------------------------------------------------------- */

static void load_providers(struct kup_kb_loader *ld, const struct kup_node *root)
{
	static const char *const top[] = { "schema", "releases", NULL };
	static const char *const keys[] = { "provider", "version", "released", "end_of_standard",
					    "end_of_extended", "source", "checked", "notes", NULL };
	struct kup_kbplan *p = &ld->kb->plan;
	const struct kup_node *list;
	size_t i, j;

	kup_kbl_check_keys(ld, root, top);
	if (!(list = want_list(ld, root, "releases")))
		return;
	for (i = 0; i < list->len && !ld->oom; i++) {
		const struct kup_node *e = list->u.items[i];
		struct kup_provider_release r;
		size_t bad = ld->problems;

		memset(&r, 0, sizeof(r));
		if (e->kind != KUP_NODE_MAP) {
			kup_kbl_problem(ld, e, "a provider release must be a mapping");
			continue;
		}
		kup_kbl_check_keys(ld, e, keys);
		kup_kbl_want_checked(ld, e);
		kup_kbl_need_checked(ld, e, "a provider's support window");
		r.provider = want_provider(ld, e, true);
		kup_kbl_want_version(ld, e, "version", true, &r.version);
		if (r.version.valid && (r.version.has_patch || r.version.pre[0]))
			kup_kbl_problem(ld, kup_node_get(e, "version"),
					"'version' must be a minor such as \"1.29\"");
		r.released = kup_kbl_want_date(ld, e, "released", false);
		r.end_of_standard = kup_kbl_want_date(ld, e, "end_of_standard", false);
		r.end_of_extended = kup_kbl_want_date(ld, e, "end_of_extended", false);
		if (r.end_of_standard && r.end_of_extended &&
		    strcmp(r.end_of_standard, r.end_of_extended) > 0)
			kup_kbl_problem(ld, e, "end_of_extended is before end_of_standard");
		kup_kbl_want_source(ld, e, "source", &r.source);
		if (ld->problems != bad || ld->oom)
			continue;
		for (j = 0; j < p->nproviders; j++)
			if (strcmp(p->providers[j].provider, r.provider) == 0 &&
			    kup_version_cmp_minor(&p->providers[j].version, &r.version) == 0)
				break;
		if (j < p->nproviders) {
			kup_kbl_problem(ld, e, "duplicate release %s %d.%d", r.provider,
					r.version.major, r.version.minor);
			continue;
		}
		if (!kup_grow(&p->providers, &p->providers_cap, p->nproviders + 1,
			      sizeof(*p->providers), 32)) {
			ld->oom = true;
			return;
		}
		p->providers[p->nproviders++] = r;
	}
}

/* ---- addons.yaml ------------------------------------------------------------------- */

static bool parse_hop(const char *s, enum kup_hop_rule *out)
{
	static const char *const names[] = { "any", "minors", "match-cp", "per-cp" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum kup_hop_rule)i;
			return true;
		}
	return false;
}

static int cmp_addon_release(const void *a, const void *b)
{
	const struct kup_addon_release *x = a, *y = b;
	int c = kup_version_cmp(&x->version, &y->version);

	if (c)
		return c;
	if (x->for_k8s.valid && y->for_k8s.valid)
		return kup_version_cmp_minor(&x->for_k8s, &y->for_k8s);
	return 0;
}

static void load_addon_releases(struct kup_kb_loader *ld, const struct kup_node *list,
				struct kup_addon_rule *a)
{
	static const char *const keys[] = { "version", "k8s_min", "k8s_max", "for_k8s", "chart",
					    "released", "end_of_life", "and_later", "requires_addon",
					    "requires_min", "requires_source", "source", "checked",
					    "notes", NULL };
	struct kup_addon_release *rs;
	size_t i, j, n = 0;

	if (!list->len)
		return;
	rs = kup_arena_zalloc(&ld->kb->strings, list->len * sizeof(*rs));
	if (!rs) {
		ld->oom = true;
		return;
	}
	for (i = 0; i < list->len && !ld->oom; i++) {
		const struct kup_node *e = list->u.items[i], *vn;
		struct kup_addon_release *r = &rs[n];
		size_t bad = ld->problems;

		if (e->kind != KUP_NODE_MAP) {
			kup_kbl_problem(ld, e, "an add-on release must be a mapping");
			continue;
		}
		kup_kbl_check_keys(ld, e, keys);
		kup_kbl_want_checked(ld, e);
		if (kup_node_get(e, "k8s_min") || kup_node_get(e, "k8s_max") ||
		    kup_node_get(e, "end_of_life"))
			kup_kbl_need_checked(ld, e, "a release's Kubernetes range or end of life");
		kup_kbl_want_version(ld, e, "version", true, &r->version);
		if ((vn = kup_node_get(e, "version")) && vn->kind == KUP_NODE_SCALAR)
			r->version_text = kup_kbl_str(ld, vn);
		kup_kbl_want_version(ld, e, "k8s_min", false, &r->k8s_min);
		kup_kbl_want_version(ld, e, "k8s_max", false, &r->k8s_max);
		kup_kbl_want_version(ld, e, "for_k8s", a->hop == KUP_HOP_PER_CP, &r->for_k8s);
		if (a->hop != KUP_HOP_PER_CP && kup_node_get(e, "for_k8s"))
			kup_kbl_problem(ld, kup_node_get(e, "for_k8s"),
					"'for_k8s' belongs to add-ons with hop: per-cp");
		if (r->k8s_min.valid && r->k8s_max.valid &&
		    kup_version_cmp_minor(&r->k8s_min, &r->k8s_max) > 0)
			kup_kbl_problem(ld, e, "k8s_min is after k8s_max");
		r->chart_version = want_text(ld, e, "chart", false);
		r->released = kup_kbl_want_date(ld, e, "released", false);
		r->end_of_life = kup_kbl_want_date(ld, e, "end_of_life", false);
		r->and_later = want_bool(ld, e, "and_later");
		r->requires_addon = want_text(ld, e, "requires_addon", false);
		if (r->requires_addon) {
			const struct kup_node *mn;

			kup_kbl_want_version(ld, e, "requires_min", true, &r->requires_min);
			if ((mn = kup_node_get(e, "requires_min")) && mn->kind == KUP_NODE_SCALAR)
				r->requires_min_text = kup_kbl_str(ld, mn);
			kup_kbl_want_source(ld, e, "requires_source", &r->requires_source);
		} else if (kup_node_get(e, "requires_min") || kup_node_get(e, "requires_source")) {
			kup_kbl_problem(ld, e, "'requires_min' and 'requires_source' belong with "
					"'requires_addon'");
		}
		kup_kbl_want_source(ld, e, "source", &r->source);
		if (ld->problems != bad || ld->oom)
			continue;
		for (j = 0; j < n; j++)
			if (kup_version_cmp(&rs[j].version, &r->version) == 0 &&
			    rs[j].version.has_patch == r->version.has_patch &&
			    (!r->for_k8s.valid ||
			     kup_version_cmp_minor(&rs[j].for_k8s, &r->for_k8s) == 0))
				break;
		if (j < n) {
			kup_kbl_problem(ld, e, "duplicate release %s of %s", r->version_text, a->name);
			memset(r, 0, sizeof(*r));
			continue;
		}
		n++;
	}
	if (n > 1)
		qsort(rs, n, sizeof(*rs), cmp_addon_release);
	a->releases = rs;
	a->nreleases = n;
}

static void load_addons(struct kup_kb_loader *ld, const struct kup_node *root)
{
	static const char *const top[] = { "schema", "addons", NULL };
	static const char *const keys[] = { "name", "aliases", "images", "workloads", "hop",
					    "max_hop", "max_hop_canary", "data_plane_follows",
					    "managed_with_cp", "retired", "releases", "notes",
					    "source", "checked", NULL };
	struct kup_kbplan *p = &ld->kb->plan;
	const struct kup_node *list;
	size_t i, j, k;

	kup_kbl_check_keys(ld, root, top);
	if (!(list = want_list(ld, root, "addons")))
		return;
	for (i = 0; i < list->len && !ld->oom; i++) {
		const struct kup_node *e = list->u.items[i], *n, *rl;
		struct kup_addon_rule a;
		size_t bad = ld->problems;

		memset(&a, 0, sizeof(a));
		if (e->kind != KUP_NODE_MAP) {
			kup_kbl_problem(ld, e, "an add-on entry must be a mapping");
			continue;
		}
		kup_kbl_check_keys(ld, e, keys);
		kup_kbl_want_checked(ld, e);
		a.name = want_text(ld, e, "name", true);
		a.aliases = want_str_list(ld, e, "aliases", &a.naliases);
		a.images = want_str_list(ld, e, "images", &a.nimages);
		a.workloads = want_str_list(ld, e, "workloads", &a.nworkloads);
		if ((n = kup_kbl_want_str(ld, e, "hop", true)) && !parse_hop(n->u.str, &a.hop))
			kup_kbl_problem(ld, n, "unknown hop rule '%s' (any, minors, match-cp, per-cp)",
					n->u.str);
		if (a.hop == KUP_HOP_MINORS) {
			want_int(ld, e, "max_hop", true, 1, 10, &a.max_hop);
			a.max_hop_canary = a.max_hop;
			want_int(ld, e, "max_hop_canary", false, 1, 10, &a.max_hop_canary);
			if (a.max_hop_canary < a.max_hop)
				kup_kbl_problem(ld, e, "max_hop_canary is below max_hop");
		} else if (kup_node_get(e, "max_hop") || kup_node_get(e, "max_hop_canary")) {
			kup_kbl_problem(ld, e, "max_hop belongs to add-ons with hop: minors");
		}
		a.data_plane_follows = want_bool(ld, e, "data_plane_follows");
		a.managed_with_cp = want_bool(ld, e, "managed_with_cp");
		a.retired = want_text(ld, e, "retired", false);
		a.notes = want_text(ld, e, "notes", false);
		kup_kbl_want_source(ld, e, "source", &a.source);
		rl = kup_node_get(e, "releases");
		if (!rl)
			kup_kbl_problem(ld, e, "missing 'releases' (write [] when none is sourced)");
		else if (rl->kind != KUP_NODE_SEQ)
			kup_kbl_problem(ld, rl, "'releases' must be a list");
		else if (ld->problems == bad)
			load_addon_releases(ld, rl, &a);
		if (ld->problems != bad || ld->oom)
			continue;
		/* Names and aliases are unique across add-ons, case-insensitively. */
		for (j = 0; j <= a.naliases; j++) {
			const char *nm = j ? a.aliases[j - 1] : a.name;
			if (kup_kb_find_addon(ld->kb, nm)) {
				kup_kbl_problem(ld, e, "add-on name or alias '%s' is already taken", nm);
				break;
			}
			for (k = 0; k < j; k++)
				if (strcasecmp(k ? a.aliases[k - 1] : a.name, nm) == 0)
					kup_kbl_problem(ld, e, "'%s' is listed twice", nm);
		}
		if (ld->problems != bad)
			continue;
		if (!kup_grow(&p->addons, &p->addons_cap, p->naddons + 1, sizeof(*p->addons), 16)) {
			ld->oom = true;
			return;
		}
		p->addons[p->naddons++] = a;
	}
	/* a release's requires_addon names an add-on of this file */
	for (i = 0; i < list->len && !ld->oom; i++) {
		const struct kup_node *rl = kup_node_get(list->u.items[i], "releases");

		for (j = 0; rl && rl->kind == KUP_NODE_SEQ && j < rl->len; j++) {
			const struct kup_node *rq = kup_node_get(rl->u.items[j], "requires_addon");

			if (rq && rq->kind == KUP_NODE_SCALAR && rq->u.str &&
			    !kup_kb_find_addon(ld->kb, rq->u.str))
				kup_kbl_problem(ld, rq, "requires_addon '%s' is not an add-on of the "
						"knowledge base", rq->u.str);
		}
	}
}

/* ---- risks.yaml ---------------------------------------------------------------------- */

const char *kup_severity_name(enum kup_severity s)
{
	switch (s) {
	case KUP_SEV_LOW: return "low";
	case KUP_SEV_MEDIUM: return "medium";
	case KUP_SEV_HIGH: return "high";
	}
	return "unknown";
}

static bool parse_severity(const char *s, int *out)
{
	if (strcmp(s, "low") == 0)
		*out = KUP_SEV_LOW;
	else if (strcmp(s, "medium") == 0)
		*out = KUP_SEV_MEDIUM;
	else if (strcmp(s, "high") == 0)
		*out = KUP_SEV_HIGH;
	else
		return false;
	return true;
}

static bool load_detector(struct kup_kb_loader *ld, const struct kup_node *n,
			  struct kup_detector *d, int depth);

static bool load_children(struct kup_kb_loader *ld, const struct kup_node *list,
			  const char *op, struct kup_detector *d, int depth)
{
	size_t i;

	if (list->kind != KUP_NODE_SEQ || list->len == 0) {
		kup_kbl_problem(ld, list, "'%s' must be a non-empty list of conditions", op);
		return false;
	}
	d->kids = kup_arena_zalloc(&ld->kb->strings, list->len * sizeof(*d->kids));
	if (!d->kids) {
		ld->oom = true;
		return false;
	}
	d->nkids = list->len;
	for (i = 0; i < list->len; i++)
		if (!load_detector(ld, list->u.items[i], &d->kids[i], depth + 1))
			return false;
	return true;
}

static bool load_detector(struct kup_kb_loader *ld, const struct kup_node *n,
			  struct kup_detector *d, int depth)
{
	static const char *const fact_keys[] = { "fact", "key", "equals", "prefix", "contains",
						 "not_contains", "in", "version_below",
						 "version_at_least", "behind_at", NULL };
	const struct kup_node *v;
	size_t bad = ld->problems;

	memset(d, 0, sizeof(*d));
	d->behind_at = -1;
	if (depth > MAX_DETECT_DEPTH) {
		kup_kbl_problem(ld, n, "detector nested deeper than %d", MAX_DETECT_DEPTH);
		return false;
	}
	if (n->kind != KUP_NODE_MAP || n->len == 0) {
		kup_kbl_problem(ld, n, "a condition must be a mapping (fact, all, any, not or always)");
		return false;
	}
	if (n->len == 1 && n->u.pairs[0].key->kind == KUP_NODE_SCALAR) {
		const char *k = n->u.pairs[0].key->u.str;
		const struct kup_node *val = n->u.pairs[0].value;
		if (strcmp(k, "all") == 0 || strcmp(k, "any") == 0) {
			d->op = k[1] == 'l' ? KUP_DET_ALL : KUP_DET_ANY;
			return load_children(ld, val, k, d, depth);
		}
		if (strcmp(k, "not") == 0) {
			d->op = KUP_DET_NOT;
			d->kids = kup_arena_zalloc(&ld->kb->strings, sizeof(*d->kids));
			if (!d->kids) {
				ld->oom = true;
				return false;
			}
			d->nkids = 1;
			return load_detector(ld, val, d->kids, depth + 1);
		}
		if (strcmp(k, "always") == 0) {
			d->op = KUP_DET_ALWAYS;
			if (depth != 0) {
				kup_kbl_problem(ld, n, "'always' must be the whole detector");
				return false;
			}
			d->always = want_text(ld, n, "always", true);
			return d->always != NULL;
		}
	}
	d->op = KUP_DET_FACT;
	kup_kbl_check_keys(ld, n, fact_keys);
	d->fact = want_text(ld, n, "fact", true);
	if (d->fact && (d->fact_id = kup_risk_fact_id(d->fact)) < 0)
		kup_kbl_problem(ld, kup_node_get(n, "fact"), "unknown fact '%s' (see data/README.md)",
				d->fact);
	d->key = want_text(ld, n, "key", false);
	d->equals = want_text(ld, n, "equals", false);
	d->prefix = want_text(ld, n, "prefix", false);
	d->contains = want_text(ld, n, "contains", false);
	d->not_contains = want_text(ld, n, "not_contains", false);
	d->in = want_str_list(ld, n, "in", &d->nin);
	if ((v = kup_node_get(n, "in")) && v->kind == KUP_NODE_SEQ && v->len == 0)
		kup_kbl_problem(ld, v, "'in' must not be empty");
	kup_kbl_want_version(ld, n, "version_below", false, &d->below);
	kup_kbl_want_version(ld, n, "version_at_least", false, &d->at_least);
	want_int(ld, n, "behind_at", false, 0, 20, &d->behind_at);
	return ld->problems == bad;
}

/* True when the detector has a positive condition that can produce evidence. */
static bool has_positive(const struct kup_detector *d)
{
	size_t i;

	switch (d->op) {
	case KUP_DET_FACT:
	case KUP_DET_ALWAYS:
		return true;
	case KUP_DET_NOT:
		return false;
	case KUP_DET_ALL:        /* one positive child is enough */
		for (i = 0; i < d->nkids; i++)
			if (has_positive(&d->kids[i]))
				return true;
		return false;
	case KUP_DET_ANY:        /* every branch must be able to give evidence */
		for (i = 0; i < d->nkids; i++)
			if (!has_positive(&d->kids[i]))
				return false;
		return true;
	}
	return false;
}

/*
 * A risk's mitigation may name an API (GROUP/VERSION) to move to "before the
 * hop": the cluster must serve it at the minor before `from`.  Checked against
 * the built-in API rows loaded so far (apis.yaml sorts before risks.yaml): a
 * version removed at or before that minor, or whose earliest `available_in` as a
 * replacement is after it, is a problem at the mitigation.  Versions no row
 * names are not judged.
 */
static bool gv_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

static void check_mitigation_apis(struct kup_kb_loader *ld, const struct kup_node *mit,
				  const struct kup_version *from)
{
	const struct kup_kb *kb = ld->kb;
	const char *s, *p;
	struct kup_version before;

	if (!mit || mit->kind != KUP_NODE_SCALAR || !from->valid || !kb->nrules)
		return;
	before = *from;
	before.minor--;
	s = mit->u.str;
	for (p = s; (p = strchr(p, '/')) != NULL; p++) {
		const char *g = p, *e = p + 1;
		char gv[128];
		size_t i, j, n;
		const struct kup_version *avail = NULL;
		const struct kup_api_rule *gone = NULL;

		while (g > s && gv_char(g[-1]))
			g--;
		if (g == p || *e != 'v' || !(e[1] >= '0' && e[1] <= '9'))
			continue;
		e++;
		while ((*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9'))
			e++;
		n = (size_t)(e - g);
		if (n >= sizeof(gv))
			continue;
		memcpy(gv, g, n);
		gv[n] = '\0';
		for (i = 0; i < kb->nrules; i++) {
			const struct kup_api_rule *r = &kb->rules[i];

			if (strcmp(r->component, "kubernetes") != 0)
				continue;
			if (strcmp(r->api_version, gv) == 0 && r->removed_in.valid &&
			    kup_version_cmp_minor(&r->removed_in, &before) <= 0)
				gone = r;
			for (j = 0; j < r->nreplacements; j++) {
				const struct kup_api_replacement *rp = &r->replacements[j];

				if (strcmp(rp->api_version, gv) == 0 && rp->available_in.valid &&
				    (!avail || kup_version_cmp_minor(&rp->available_in, avail) < 0))
					avail = &rp->available_in;
			}
		}
		if (gone)
			kup_kbl_problem(ld, mit, "the mitigation names %s, which %d.%d no longer serves "
					"(removed in %d.%d): the cluster is on %d.%d before the %d.%d hop",
					gv, before.major, before.minor, gone->removed_in.major,
					gone->removed_in.minor, before.major, before.minor, from->major,
					from->minor);
		else if (avail && kup_version_cmp_minor(avail, &before) > 0)
			kup_kbl_problem(ld, mit, "the mitigation names %s, which %d.%d does not serve yet "
					"(available in %d.%d): the cluster is on %d.%d before the %d.%d hop",
					gv, before.major, before.minor, avail->major, avail->minor,
					before.major, before.minor, from->major, from->minor);
	}
}

static void load_risks(struct kup_kb_loader *ld, const struct kup_node *root)
{
	static const char *const top[] = { "schema", "risks", NULL };
	static const char *const keys[] = { "id", "title", "severity", "from", "until", "provider",
					    "detect", "message", "mitigation", "source", "checked",
					    "notes", NULL };
	struct kup_kbplan *p = &ld->kb->plan;
	const struct kup_node *list;
	size_t i, j;

	kup_kbl_check_keys(ld, root, top);
	if (!(list = want_list(ld, root, "risks")))
		return;
	for (i = 0; i < list->len && !ld->oom; i++) {
		const struct kup_node *e = list->u.items[i], *n;
		struct kup_risk_rule r;
		struct kup_detector *d;
		size_t bad = ld->problems;

		memset(&r, 0, sizeof(r));
		if (e->kind != KUP_NODE_MAP) {
			kup_kbl_problem(ld, e, "a risk entry must be a mapping");
			continue;
		}
		kup_kbl_check_keys(ld, e, keys);
		kup_kbl_want_checked(ld, e);
		if ((n = kup_kbl_want_str(ld, e, "id", true))) {
			size_t c;
			for (c = 0; c < n->len; c++)
				if (!((n->u.str[c] >= 'a' && n->u.str[c] <= 'z') ||
				      (n->u.str[c] >= '0' && n->u.str[c] <= '9') || n->u.str[c] == '-'))
					break;
			if (c < n->len)
				kup_kbl_problem(ld, n, "'id' must be lower-case letters, digits and '-'");
			r.id = kup_kbl_str(ld, n);
		}
		r.title = want_text(ld, e, "title", true);
		if ((n = kup_kbl_want_str(ld, e, "severity", true)) &&
		    !parse_severity(n->u.str, &r.severity))
			kup_kbl_problem(ld, n, "unknown severity '%s' (high, medium, low)", n->u.str);
		kup_kbl_want_version(ld, e, "from", false, &r.from);
		kup_kbl_want_version(ld, e, "until", false, &r.until);
		if (!kup_node_get(e, "from"))
			kup_kbl_problem(ld, e, "missing 'from' (write null when any version)");
		if (!kup_node_get(e, "until"))
			kup_kbl_problem(ld, e, "missing 'until' (write null when open)");
		if (r.from.valid && r.until.valid && kup_version_cmp_minor(&r.from, &r.until) > 0)
			kup_kbl_problem(ld, e, "'from' is after 'until'");
		r.provider = want_provider(ld, e, false);
		r.message = want_text(ld, e, "message", true);
		r.mitigation = want_text(ld, e, "mitigation", true);
		check_mitigation_apis(ld, kup_node_get(e, "mitigation"), &r.from);
		kup_kbl_want_source(ld, e, "source", &r.source);
		d = kup_arena_zalloc(&ld->kb->strings, sizeof(*d));
		if (!d) {
			ld->oom = true;
			return;
		}
		n = kup_node_get(e, "detect");
		if (!n)
			kup_kbl_problem(ld, e, "missing 'detect'");
		else if (load_detector(ld, n, d, 0) && !has_positive(d))
			kup_kbl_problem(ld, n, "the detector needs a condition that is not under 'not'");
		if (ld->problems != bad || ld->oom)
			continue;
		for (j = 0; j < p->nrisks; j++)
			if (strcmp(p->risks[j].id, r.id) == 0)
				break;
		if (j < p->nrisks) {
			kup_kbl_problem(ld, e, "duplicate risk '%s'", r.id);
			continue;
		}
		if (!kup_grow(&p->risks, &p->risks_cap, p->nrisks + 1, sizeof(*p->risks), 64) ||
		    !kup_grow(&p->detectors, &p->detectors_cap, p->nrisks + 1,
			      sizeof(*p->detectors), 64)) {
			ld->oom = true;
			return;
		}
		p->risks[p->nrisks] = r;
		p->detectors[p->nrisks++] = d;
	}
}

/* ---- preflight.yaml ----------------------------------------------------------------------- */

static void load_preflight(struct kup_kb_loader *ld, const struct kup_node *root)
{
	static const char *const top[] = { "schema", "checks", NULL };
	static const char *const keys[] = { "check", "severity", "blocks", "mitigation", "source",
					    "checked", "notes", NULL };
	struct kup_kbplan *p = &ld->kb->plan;
	const struct kup_node *list;
	size_t i, j;

	kup_kbl_check_keys(ld, root, top);
	if (!(list = want_list(ld, root, "checks")))
		return;
	for (i = 0; i < list->len && !ld->oom; i++) {
		const struct kup_node *e = list->u.items[i], *n;
		struct kup_preflight_rule r;
		size_t bad = ld->problems;

		memset(&r, 0, sizeof(r));
		if (e->kind != KUP_NODE_MAP) {
			kup_kbl_problem(ld, e, "a pre-flight entry must be a mapping");
			continue;
		}
		kup_kbl_check_keys(ld, e, keys);
		kup_kbl_want_checked(ld, e);
		r.check = want_text(ld, e, "check", true);
		if ((n = kup_kbl_want_str(ld, e, "severity", true)) &&
		    !parse_severity(n->u.str, &r.severity))
			kup_kbl_problem(ld, n, "unknown severity '%s' (high, medium, low)", n->u.str);
		if (!kup_node_get(e, "blocks"))
			kup_kbl_problem(ld, e, "missing 'blocks' (true or false)");
		r.blocks = want_bool(ld, e, "blocks");
		r.mitigation = want_text(ld, e, "mitigation", true);
		kup_kbl_want_source(ld, e, "source", &r.source);
		if (ld->problems != bad || ld->oom)
			continue;
		for (j = 0; j < p->npreflight; j++)
			if (strcmp(p->preflight[j].check, r.check) == 0)
				break;
		if (j < p->npreflight) {
			kup_kbl_problem(ld, e, "duplicate pre-flight check '%s'", r.check);
			continue;
		}
		if (!kup_grow(&p->preflight, &p->preflight_cap, p->npreflight + 1,
			      sizeof(*p->preflight), 8)) {
			ld->oom = true;
			return;
		}
		p->preflight[p->npreflight++] = r;
	}
}

size_t kup_kb_preflight_count(const struct kup_kb *kb)
{
	return kb ? kb->plan.npreflight : 0;
}

const struct kup_preflight_rule *kup_kb_preflight_at(const struct kup_kb *kb, size_t i)
{
	return kb && i < kb->plan.npreflight ? &kb->plan.preflight[i] : NULL;
}

const struct kup_preflight_rule *kup_kb_preflight_rule(const struct kup_kb *kb, const char *check)
{
	size_t i;

	for (i = 0; kb && check && i < kb->plan.npreflight; i++)
		if (strcmp(kb->plan.preflight[i].check, check) == 0)
			return &kb->plan.preflight[i];
	return NULL;
}

/* ---- loader hooks ----------------------------------------------------------------------- */

bool kup_kbplan_load_doc(struct kup_kb_loader *ld, const char *schema,
			 const struct kup_node *schema_node, const struct kup_node *root)
{
	(void)schema_node;
	if (strcmp(schema, SCHEMA_SKEW) == 0)
		load_skew(ld, root);
	else if (strcmp(schema, SCHEMA_PROVIDERS) == 0)
		load_providers(ld, root);
	else if (strcmp(schema, SCHEMA_ADDONS) == 0)
		load_addons(ld, root);
	else if (strcmp(schema, SCHEMA_RISKS) == 0)
		load_risks(ld, root);
	else if (strcmp(schema, SCHEMA_PREFLIGHT) == 0)
		load_preflight(ld, root);
	else if (strcmp(schema, KUP_SCHEMA_PROVIDER_RULES) == 0)
		kup_kbrules_load(ld, root);
	else
		return false;
	return true;
}

static int cmp_provider(const void *a, const void *b)
{
	const struct kup_provider_release *x = a, *y = b;
	int c = strcmp(x->provider, y->provider);

	return c ? c : kup_version_cmp_minor(&x->version, &y->version);
}

/* Points every addon* condition at the add-on its key names, so evaluation
 * compares a fact's key with that add-on's names only. */
static void resolve_addons(const struct kup_kb *kb, struct kup_detector *d)
{
	size_t i;

	if (d->op == KUP_DET_FACT && d->key && strncmp(d->fact, "addon", 5) == 0)
		d->addon = kup_kb_find_addon(kb, d->key);
	for (i = 0; i < d->nkids; i++)
		resolve_addons(kb, &d->kids[i]);
}

void kup_kbplan_finish(struct kup_kb_loader *ld)
{
	struct kup_kbplan *p = &ld->kb->plan;
	size_t i;

	if (p->nproviders > 1)
		qsort(p->providers, p->nproviders, sizeof(*p->providers), cmp_provider);
	for (i = 0; i < p->nrisks; i++)
		resolve_addons(ld->kb, (struct kup_detector *)p->detectors[i]);
	kup_kbrules_finish(ld);
}

void kup_kbplan_release(struct kup_kbplan *p)
{
	free(p->skew);
	free(p->providers);
	free(p->addons);
	free(p->risks);
	free(p->preflight);
	free(p->detectors);
	kup_kbrules_release(p);
	memset(p, 0, sizeof(*p));
}

/* ---- queries: skew ------------------------------------------------------------------------ */

static const struct kup_skew_rule *find_skew(const struct kup_kb *kb, const char *component)
{
	size_t i;

	if (!component)
		return NULL;
	for (i = 0; i < kb->plan.nskew; i++)
		if (strcmp(kb->plan.skew[i].component, component) == 0)
			return &kb->plan.skew[i];
	return NULL;
}

int kup_kb_skew_older(const struct kup_kb *kb, const char *component,
		      const struct kup_version *apiserver)
{
	const struct kup_skew_rule *r = find_skew(kb, component);
	struct kup_version oldest;

	if (!r)
		return -1;
	if (!r->reduced_below.valid || !apiserver || !apiserver->valid)
		return r->older;
	/* The oldest allowed minor under the full rule; below the threshold the
	 * reduced rule applies instead. */
	memset(&oldest, 0, sizeof(oldest));
	oldest.valid = true;
	oldest.major = apiserver->major;
	oldest.minor = apiserver->minor - r->older;
	if (kup_version_cmp_minor(&oldest, &r->reduced_below) < 0)
		return r->reduced_older;
	return r->older;
}

int kup_kb_skew_newer(const struct kup_kb *kb, const char *component,
		      const struct kup_version *apiserver)
{
	const struct kup_skew_rule *r = find_skew(kb, component);

	(void)apiserver;
	return r ? r->newer : -1;
}

int kup_kb_cp_max_hop(const struct kup_kb *kb)
{
	return kb->plan.cp_max_hop;
}

const char *kup_kb_skew_source(const struct kup_kb *kb)
{
	return kb->plan.skew_source;
}

/* ---- queries: providers --------------------------------------------------------------------- */

size_t kup_kb_provider_release_count(const struct kup_kb *kb)
{
	return kb->plan.nproviders;
}

const struct kup_provider_release *kup_kb_provider_release_at(const struct kup_kb *kb, size_t i)
{
	return i < kb->plan.nproviders ? &kb->plan.providers[i] : NULL;
}

const struct kup_provider_release *kup_kb_find_provider_release(const struct kup_kb *kb,
								 const char *provider,
								 const struct kup_version *minor)
{
	size_t i;

	if (!provider || !minor || !minor->valid)
		return NULL;
	for (i = 0; i < kb->plan.nproviders; i++) {
		const struct kup_provider_release *r = &kb->plan.providers[i];
		if (strcasecmp(r->provider, provider) == 0 &&
		    kup_version_cmp_minor(&r->version, minor) == 0)
			return r;
	}
	return NULL;
}

/* ---- queries: add-ons -------------------------------------------------------------------------- */

size_t kup_kb_addon_count(const struct kup_kb *kb)
{
	return kb->plan.naddons;
}

const struct kup_addon_rule *kup_kb_addon_at(const struct kup_kb *kb, size_t i)
{
	return i < kb->plan.naddons ? &kb->plan.addons[i] : NULL;
}

const struct kup_addon_rule *kup_kb_find_addon(const struct kup_kb *kb, const char *name)
{
	size_t i, j;

	if (!name)
		return NULL;
	for (i = 0; i < kb->plan.naddons; i++) {
		const struct kup_addon_rule *a = &kb->plan.addons[i];
		if (strcasecmp(a->name, name) == 0)
			return a;
		for (j = 0; j < a->naliases; j++)
			if (strcasecmp(a->aliases[j], name) == 0)
				return a;
	}
	return NULL;
}

const struct kup_addon_release *kup_addon_release_for(const struct kup_addon_rule *a,
						      const struct kup_version *v)
{
	const struct kup_addon_release *best = NULL, *first = NULL;
	size_t i;

	if (!a || !v || !v->valid)
		return NULL;
	if (a->hop == KUP_HOP_PER_CP) {
		/* Exact, else the nearest lower listed version (rows ascend). */
		for (i = 0; i < a->nreleases; i++) {
			const struct kup_addon_release *r = &a->releases[i];
			if (kup_version_cmp(&r->version, v) > 0)
				break;
			if (!best || kup_version_cmp(&r->version, &best->version) != 0)
				best = r;
		}
		return best;
	}
	/* Same major.minor: the highest row not above v (a row without patch
	 * counts as .0), else the lowest row of that minor. */
	for (i = 0; i < a->nreleases; i++) {
		const struct kup_addon_release *r = &a->releases[i];
		if (kup_version_cmp_minor(&r->version, v) != 0)
			continue;
		if (!first)
			first = r;
		if (kup_version_cmp(&r->version, v) <= 0)
			best = r;
	}
	return best ? best : first;
}

bool kup_addon_release_supports(const struct kup_addon_release *r, const struct kup_version *k8s)
{
	if (!r || !k8s || !k8s->valid)
		return false;
	if (r->k8s_min.valid && kup_version_cmp_minor(k8s, &r->k8s_min) < 0)
		return false;
	if (r->k8s_max.valid && kup_version_cmp_minor(k8s, &r->k8s_max) > 0)
		return false;
	return true;
}

/* ---- queries: risks ------------------------------------------------------------------------------ */

size_t kup_kb_risk_count(const struct kup_kb *kb)
{
	return kb->plan.nrisks;
}

static const char *const risk_fact_names[] = {
#define KUP_X_NAME(id, name) name,
	KUP_RISK_FACTS(KUP_X_NAME)
#undef KUP_X_NAME
};

int kup_risk_fact_id(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(risk_fact_names) / sizeof(risk_fact_names[0]); i++)
		if (strcmp(risk_fact_names[i], name) == 0)
			return (int)i;
	return -1;
}

const struct kup_detector *kup_kb_risk_detector(const struct kup_kb *kb, size_t i)
{
	return i < kb->plan.nrisks ? kb->plan.detectors[i] : NULL;
}

const struct kup_risk_rule *kup_kb_risk_at(const struct kup_kb *kb, size_t i)
{
	return i < kb->plan.nrisks ? &kb->plan.risks[i] : NULL;
}
