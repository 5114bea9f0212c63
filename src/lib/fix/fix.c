/*
 * fix.c - kup_fix_text(): read every document of a file held in memory,
 * pick the KB rule and the replacement at the target for each object
 * (items of a `kind: List` too), run the converter, rewrite apiVersion,
 * and splice the edits into the original text, one document at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "kupgrade/json.h"
#include "kupgrade/report.h"
#include "kupgrade/yaml.h"
#include "fix_int.h"

/* ---- converters ------------------------------------------------------------------------- */

static const struct kup_converter converters[] = {
	{ "Deployment", "extensions/v1beta1", kup_convert_apps },
	{ "DaemonSet", "extensions/v1beta1", kup_convert_apps },
	{ "ReplicaSet", "extensions/v1beta1", kup_convert_apps },
	{ NULL, "apps/v1beta1", kup_convert_apps },
	{ NULL, "apps/v1beta2", kup_convert_apps },
	{ "Ingress", "extensions/v1beta1", kup_convert_ingress },
	{ "Ingress", "networking.k8s.io/v1beta1", kup_convert_ingress },
	{ "MutatingWebhookConfiguration", "admissionregistration.k8s.io/v1beta1",
	  kup_convert_webhook },
	{ "ValidatingWebhookConfiguration", "admissionregistration.k8s.io/v1beta1",
	  kup_convert_webhook },
	{ "PodDisruptionBudget", "policy/v1beta1", kup_convert_pdb },
	{ "EndpointSlice", "discovery.k8s.io/v1beta1", kup_convert_endpointslice },
	{ "Event", "events.k8s.io/v1beta1", kup_convert_event },
	{ "PriorityLevelConfiguration", "flowcontrol.apiserver.k8s.io/v1beta1", kup_convert_plc },
	{ "PriorityLevelConfiguration", "flowcontrol.apiserver.k8s.io/v1beta2", kup_convert_plc },
	{ "PriorityLevelConfiguration", "flowcontrol.apiserver.k8s.io/v1beta3", kup_convert_plc },
	{ "CertificateSigningRequest", "certificates.k8s.io/v1beta1", kup_convert_csr },
	{ "LocalSubjectAccessReview", "authorization.k8s.io/v1beta1", kup_convert_access_review },
	{ "SelfSubjectAccessReview", "authorization.k8s.io/v1beta1", kup_convert_access_review },
	{ "SubjectAccessReview", "authorization.k8s.io/v1beta1", kup_convert_access_review },
	{ "HorizontalPodAutoscaler", "autoscaling/v2beta1", kup_convert_hpa_v2beta1 },
	{ "CustomResourceDefinition", "apiextensions.k8s.io/v1beta1", kup_convert_crd_v1beta1 },
};

static bool refuse(struct kup_fixer *f, const char *why)
{
	kup_fixer_unfixable(f, "%s", why);
	return true;
}

static bool dra_layout(struct kup_fixer *f, const struct kup_node *obj, const char *from,
		       const char *to)
{
	(void)obj;
	(void)from;
	(void)to;
	return refuse(f, "the device request/slice layout changed after v1beta1 (fields moved "
			 "under exactly/basic): convert by hand");
}

static bool subresource(struct kup_fixer *f, const struct kup_node *obj, const char *from,
			const char *to)
{
	(void)obj;
	(void)from;
	(void)to;
	return refuse(f, "Scale is a subresource with a different selector format, not a "
			 "manifest");
}

static bool old_hpa(struct kup_fixer *f, const struct kup_node *obj, const char *from,
		    const char *to)
{
	(void)obj;
	(void)from;
	(void)to;
	return refuse(f, "the extensions/v1beta1 HorizontalPodAutoscaler names a Scale "
			 "subresource (spec.scaleRef) and spec.cpuUtilization.targetPercentage: "
			 "write spec.scaleTargetRef (the workload's apiVersion, kind and name) and "
			 "spec.targetCPUUtilizationPercentage by hand");
}

/* Kinds with their own row, before the group-wide ones. */
static const struct kup_converter special[] = {
	{ "ResourceClaim", "resource.k8s.io/v1beta1", dra_layout },
	{ "ResourceClaimTemplate", "resource.k8s.io/v1beta1", dra_layout },
	{ "ResourceSlice", "resource.k8s.io/v1beta1", dra_layout },
	{ "Scale", "extensions/v1beta1", subresource },
	{ "Scale", "apps/v1beta1", subresource },
	{ "Scale", "apps/v1beta2", subresource },
	{ "HorizontalPodAutoscaler", "extensions/v1beta1", old_hpa },
	{ "ControllerRevision", "apps/v1beta1", NULL },
	{ "ControllerRevision", "apps/v1beta2", NULL },
	{ "Certificate", "cert-manager.io/v1alpha2", kup_convert_cert_manager },
	{ "Certificate", "cert-manager.io/v1alpha3", kup_convert_cert_manager },
	{ "Certificate", "cert-manager.io/v1beta1", kup_convert_cert_manager },
	{ "Certificate", "certmanager.k8s.io/v1alpha1", kup_convert_cert_manager },
};

static kup_converter_fn find_converter(const char *kind, const char *from, bool *pure)
{
	*pure = false;
	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
		if (strcmp(special[i].from, from) == 0 && strcmp(special[i].kind, kind) == 0) {
			*pure = special[i].fn == NULL;
			return special[i].fn;
		}
	for (size_t i = 0; i < sizeof converters / sizeof converters[0]; i++) {
		const struct kup_converter *c = &converters[i];
		if (strcmp(c->from, from) == 0 && (!c->kind || strcmp(c->kind, kind) == 0))
			return c->fn;
	}
	return NULL;
}

/* ---- public small things ---------------------------------------------------------------- */

const char *kup_fix_outcome_name(enum kup_fix_outcome o)
{
	return o == KUP_FIX_CONVERTED ? "converted" : "unfixable";
}

bool kup_fix_report_item(struct kup_report_item *it, const char *path,
			 const struct kup_fix_note *n, struct kup_arena *strings)
{
	bool refused = n->outcome == KUP_FIX_UNFIXABLE;

	memset(it, 0, sizeof(*it));
	it->family = KUP_ITEM_FIX;
	it->severity = !refused ? KUP_FAIL_NONE
		       : n->removed_at_target ? KUP_FAIL_REMOVED : KUP_FAIL_DEPRECATED;
	it->rule_id = refused ? "fix-refused" : "fix-converted";
	it->kind = kup_arena_strdup(strings, n->kind);
	it->api_version = kup_arena_strdup(strings, n->api_version);
	it->name = kup_arena_strdup(strings, n->name);
	it->namespace_ = kup_arena_strdup(strings, n->namespace_);
	it->src.type = KUP_SRC_FILE;
	it->src.path = kup_arena_strdup(strings, path);
	it->src.line = n->line;
	it->src.column = n->column;
	if (refused) {
		it->message = kup_arena_strdup(strings, n->reason ? n->reason
								  : "cannot be converted mechanically");
	} else {
		it->message = kup_arena_printf(strings, "converted to %s",
					       n->to_api_version ? n->to_api_version : "?");
		it->detail = kup_arena_strdup(strings, n->reason);
	}
	return !kup_arena_failed(strings);
}

void kup_fix_result_init(struct kup_fix_result *r)
{
	memset(r, 0, sizeof *r);
}

/* Frees a note's strings and zeroes it. */
static void note_clear(struct kup_fix_note *n)
{
	free(n->kind);
	free(n->api_version);
	free(n->to_api_version);
	free(n->name);
	free(n->namespace_);
	free(n->reason);
	memset(n, 0, sizeof *n);
}

void kup_fix_result_release(struct kup_fix_result *r)
{
	for (size_t i = 0; i < r->nnotes; i++)
		note_clear(&r->notes[i]);
	free(r->notes);
	free(r->spans);
	memset(r, 0, sizeof *r);
}

void kup_fix_opts_init(struct kup_fix_opts *o, const struct kup_kb *kb)
{
	memset(o, 0, sizeof *o);
	o->kb = kb;
	if (kb && kup_kb_newest(kb))
		o->target = *kup_kb_newest(kb);
	kup_read_limits_default(&o->limits);
}

static bool is_seq_node(const struct kup_node *n)
{
	return n && n->kind == KUP_NODE_SEQ;
}

/* ---- the walk ----------------------------------------------------------------------------- */

struct fixctx {
	const char *path;
	size_t ndocs;               /* documents delivered */
	bool hold;                  /* keep errors back (JSON tried first) */
	struct kup_error held[8];
	size_t nheld, nerrors;
	const struct kup_fix_opts *opts;
	struct kup_fixer f;
	struct kup_fix_result *res;
	struct kup_buf *out;
	size_t pos;                 /* text copied to out so far */
	bool oom;
	bool merge;                 /* the document uses merge keys */
	bool lone_cr;               /* a CR not followed by LF: a line break to YAML */
	const struct kup_node *root;
	/* nodes seen in the current object, to find the ones shared through aliases */
	const struct kup_node **seen;
	size_t nseen, seen_cap;
	struct kup_node_range { size_t start, end; } *shared;
	size_t nshared, shared_cap;
	struct kup_fix_span *spans;  /* output offsets from out0 */
	size_t nspans, spans_cap;
	size_t out0;
};

static bool add_note(struct fixctx *c, enum kup_fix_outcome o, const struct kup_node *obj,
		     const char *to, bool removed, const char *reason)
{
	struct kup_fix_result *r = c->res;
	/* capacity is implicit: 4, then doubled at every power of two from 4 */
	if (r->nnotes == 0 || (r->nnotes >= 4 && (r->nnotes & (r->nnotes - 1)) == 0)) {
		size_t want = r->nnotes ? r->nnotes * 2 : 4;
		struct kup_fix_note *nv = kup_xrealloc_array(r->notes, want, sizeof *nv);
		if (!nv)
			return false;
		r->notes = nv;
	}
	struct kup_fix_note *n = &r->notes[r->nnotes];
	memset(n, 0, sizeof *n);
	const struct kup_node *av = kup_node_get(obj, "apiVersion");
	const struct kup_node *meta = kup_node_get(obj, "metadata");
	bool oom = false;
	n->outcome = o;
	n->kind = kup_strdup_oom(kup_node_str(kup_node_get(obj, "kind")), &oom);
	n->api_version = kup_strdup_oom(kup_node_str(av), &oom);
	n->to_api_version = kup_strdup_oom(to, &oom);
	n->name = kup_strdup_oom(kup_node_str(kup_node_get(meta, "name")), &oom);
	n->namespace_ = kup_strdup_oom(kup_node_str(kup_node_get(meta, "namespace")), &oom);
	n->reason = kup_strdup_oom(reason, &oom);
	if (oom) {
		note_clear(n);
		return false;
	}
	n->removed_at_target = removed;
	for (size_t i = 0; i < obj->len; i++)
		if (kup_node_eq(obj->u.pairs[i].key, "apiVersion")) {
			n->line = obj->u.pairs[i].key->line;
			n->column = obj->u.pairs[i].key->column;
		}
	r->nnotes++;
	if (o == KUP_FIX_CONVERTED) {
		r->converted++;
	} else {
		r->unfixable++;
		if (removed)
			r->unfixable_removed++;
	}
	return true;
}

static bool seen_push(struct fixctx *c, const struct kup_node *n)
{
	if (!kup_grow(&c->seen, &c->seen_cap, c->nseen + 1, sizeof *c->seen, 256))
		return false;
	c->seen[c->nseen++] = n;
	return true;
}

/* Collects every node reached (a node reached through an alias more than once). */
static bool walk_nodes(struct fixctx *c, const struct kup_node *n, size_t depth)
{
	if (!n || depth > 600)
		return true;
	if (!seen_push(c, n))
		return false;
	if (n->kind == KUP_NODE_MAP) {
		for (size_t i = 0; i < n->len; i++)
			if (!seen_push(c, n->u.pairs[i].key) ||
			    !walk_nodes(c, n->u.pairs[i].value, depth + 1))
				return false;
	} else if (n->kind == KUP_NODE_SEQ) {
		for (size_t i = 0; i < n->len; i++)
			if (!walk_nodes(c, n->u.items[i], depth + 1))
				return false;
	}
	return true;
}

static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const struct kup_node *const *)a;
	uintptr_t y = (uintptr_t)*(const struct kup_node *const *)b;
	return x < y ? -1 : x > y;
}

/*
 * The byte ranges of the nodes of the document reached more than once (YAML
 * aliases).  Only YAML text with an anchor can have any.
 */
static bool find_shared(struct fixctx *c, const struct kup_doc *doc)
{
	c->nseen = c->nshared = 0;
	if (c->f.json || !doc->root || !memchr(c->f.text + doc->start, '&', doc->end - doc->start))
		return true;
	if (!walk_nodes(c, doc->root, 0))
		return false;
	qsort(c->seen, c->nseen, sizeof *c->seen, ptr_cmp);
	for (size_t i = 1; i < c->nseen; i++) {
		if (c->seen[i] != c->seen[i - 1] || (i >= 2 && c->seen[i - 2] == c->seen[i]))
			continue;
		if (!kup_grow(&c->shared, &c->shared_cap, c->nshared + 1, sizeof *c->shared, 8))
			return false;
		c->shared[c->nshared++] = (struct kup_node_range){ c->seen[i]->start,
								    c->seen[i]->end };
	}
	return true;
}

/* The status of a rule at the target: removed / deprecated; false when neither applies. */
static bool rule_applies(const struct kup_fix_opts *o, const struct kup_api_rule *r,
			 struct kup_version *target, bool *removed)
{
	if (strcmp(r->component, "kubernetes") == 0)
		*target = o->target;
	else if (!kup_kb_component_newest(o->kb, r->component, target))
		return false;
	if (r->level == KUP_LEVEL_GA_DEPRECATED)
		return false;
	*removed = r->removed_in.valid && kup_version_cmp(&r->removed_in, target) <= 0;
	bool dep = r->deprecated_in.valid && kup_version_cmp(&r->deprecated_in, target) <= 0;
	return *removed || dep;
}

static void fix_object(struct fixctx *c, const struct kup_node *obj, const struct kup_doc *doc);

/*
 * A typed list (DeploymentList, ...): items that name their own apiVersion
 * and kind are fixed as objects; items that inherit them cannot be.
 */
static void typed_list(struct fixctx *c, const struct kup_node *obj, const struct kup_doc *doc,
		       const char *avs)
{
	const struct kup_node *items = kup_node_get(obj, "items");
	for (size_t i = 0; is_seq_node(items) && i < items->len; i++) {
		const struct kup_node *it = items->u.items[i];
		if (!kup_node_str(kup_node_get(it, "apiVersion")) ||
		    !kup_node_str(kup_node_get(it, "kind"))) {
			kup_fixer_unfixable(&c->f, "items of this %s list inherit its apiVersion: "
					       "give each item apiVersion and kind, or convert "
					       "by hand", avs);
			return;
		}
	}
	/* the items are objects of their own: fixed (and noted) one by one */
	struct kup_fixer saved = c->f;
	c->f.reason = c->f.summary = NULL;
	c->f.unfixable = false;
	for (size_t i = 0; is_seq_node(items) && i < items->len && !c->oom; i++)
		fix_object(c, items->u.items[i], doc);
	saved.edits = c->f.edits;
	saved.nedits = c->f.nedits;
	saved.cap = c->f.cap;
	saved.oom = c->f.oom;
	c->f = saved;
}

static void fix_object_api(struct fixctx *c, const struct kup_node *obj,
			   const struct kup_doc *doc)
{
	if (!obj || obj->kind != KUP_NODE_MAP)
		return;
	const struct kup_node *av = kup_node_get(obj, "apiVersion");
	const struct kup_node *kind = kup_node_get(obj, "kind");
	const char *avs = kup_node_str(av), *ks = kup_node_str(kind);
	if (!avs || !ks)
		return;
	if (strcmp(ks, "List") == 0) {
		const struct kup_node *items = kup_node_get(obj, "items");
		if (items && items->kind == KUP_NODE_SEQ)
			for (size_t i = 0; i < items->len && !c->oom; i++)
				fix_object(c, items->u.items[i], doc);
		return;
	}
	const struct kup_api_rule *rule = kup_kb_find_api(c->opts->kb, avs, strlen(avs), ks,
							  strlen(ks));
	if (!rule)
		return;
	struct kup_version target;
	bool removed = false;
	if (!rule_applies(c->opts, rule, &target, &removed))
		return;
	const struct kup_api_replacement *rep = kup_kb_best_replacement(c->opts->kb, rule,
									 &target);
	char vbuf[32];
	if (!rep) {
		struct kup_buf m = KUP_BUF_INIT;
		kup_buf_addf(&m, "no replacement API is served at %s",
			     kup_version_minor_str(&target, vbuf, sizeof vbuf));
		if (rule->notes && *rule->notes)
			kup_buf_addf(&m, " (%s)", rule->notes);
		if (m.oom || !add_note(c, KUP_FIX_UNFIXABLE, obj, NULL, removed, m.buf))
			c->oom = true;
		kup_buf_release(&m);
		return;
	}
	if (rep->kind && strcmp(rep->kind, ks) != 0) {
		struct kup_buf m = KUP_BUF_INIT;
		kup_buf_addf(&m, "the replacement is a different kind (%s %s)", rep->api_version,
			     rep->kind);
		if (rule->notes && *rule->notes)
			kup_buf_addf(&m, ": %s", rule->notes);
		if (m.oom || !add_note(c, KUP_FIX_UNFIXABLE, obj, NULL, removed, m.buf))
			c->oom = true;
		kup_buf_release(&m);
		return;
	}

	size_t mark = c->f.nedits;
	c->f.first_edit = mark;
	bool pure;
	kup_converter_fn fn = find_converter(ks, avs, &pure);
	size_t klen = strlen(ks);
	if (!fn && !pure && klen > 4 && strcmp(ks + klen - 4, "List") == 0)
		typed_list(c, obj, doc, avs);
	else if (fn && !fn(&c->f, obj, avs, rep->api_version))
		c->f.oom = true;
	if (!c->f.unfixable && !c->f.oom)
		kup_fixer_set_scalar(&c->f, av, rep->api_version);
	/* an edit inside a node shared through an alias would change other places too */
	if (!c->f.unfixable && !c->f.oom && c->lone_cr && c->f.nedits > mark)
		kup_fixer_unfixable(&c->f, "the document breaks lines with a lone carriage "
					   "return: fix the line ends first");
	if (!c->f.unfixable && !c->f.oom && c->merge && c->f.nedits > mark)
		kup_fixer_unfixable(&c->f, "the document uses YAML merge keys (<<): fields may "
					   "come from another map");
	if (!c->f.unfixable && !c->f.oom) {
		for (size_t i = mark; i < c->f.nedits && !c->f.unfixable; i++) {
			const struct kup_edit *e = &c->f.edits[i];
			if (e->start < doc->start || e->end > doc->end) {
				kup_fixer_unfixable(&c->f,
						    "an edit falls outside the object's document "
						    "(an alias or merge key?)");
				break;
			}
			for (size_t k = 0; k < c->nshared; k++) {
				size_t s = c->shared[k].start, t = c->shared[k].end;
				bool hit = e->start == e->end ? (e->start > s && e->start < t)
							      : (e->start < t && s < e->end);
				if (hit) {
					kup_fixer_unfixable(&c->f, "a field to change is shared "
								   "through a YAML alias");
					break;
				}
			}
		}
	}
	if (c->f.oom) {
		c->oom = true;
		return;
	}
	bool ok;
	if (c->f.unfixable) {
		for (size_t i = mark; i < c->f.nedits; i++)
			free(c->f.edits[i].text);
		c->f.nedits = mark;
		ok = add_note(c, KUP_FIX_UNFIXABLE, obj, rep->api_version, removed, c->f.reason);
	} else {
		ok = add_note(c, KUP_FIX_CONVERTED, obj, rep->api_version, removed, c->f.summary);
	}
	if (!ok)
		c->oom = true;
	free(c->f.reason);
	free(c->f.summary);
	c->f.reason = c->f.summary = NULL;
	c->f.unfixable = false;
}

/* ---- the last-applied annotation ------------------------------------------------------- */

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

/* UTF-8 length of a code point. */
static size_t utf8_len(unsigned long cp)
{
	return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool hex_at(const char *t, size_t n, size_t at, size_t digits, unsigned long *out)
{
	unsigned long v = 0;
	if (at + digits > n)
		return false;
	for (size_t i = 0; i < digits; i++) {
		int h = hexval(t[at + i]);
		if (h < 0)
			return false;
		v = v * 16 + (unsigned long)h;
	}
	*out = v;
	return true;
}

/*
 * src[d] = the file offset where byte d of the scalar's value starts
 * (src[vlen]: where the value ends), for a double-quoted, single-quoted or
 * literal block scalar written without line folding.  False when the
 * scalar's text cannot be mapped so (then it is re-encoded whole).
 */
static bool map_scalar(const char *t, size_t tlen, const struct kup_node *v, size_t *src)
{
	size_t d = 0, p = v->start, vlen = v->len;
	if (v->style == KUP_STYLE_DOUBLE || v->style == KUP_STYLE_SINGLE) {
		char q = v->style == KUP_STYLE_DOUBLE ? '"' : '\'';
		if (p >= tlen || t[p] != q)
			return false;
		p++;
		while (p < v->end && d <= vlen) {
			char ch = t[p];
			if (ch == '\n' || ch == '\r')
				return false;   /* folded over lines */
			if (ch == q) {
				if (q == '\'' && p + 1 < v->end && t[p + 1] == '\'') {
					src[d++] = p;
					p += 2;
					continue;
				}
				break;
			}
			if (q == '"' && ch == '\\') {
				if (p + 1 >= v->end)
					return false;
				char e = t[p + 1];
				size_t slen = 2, bytes = 1;
				unsigned long cp;
				if (e == 'u' || e == 'x' || e == 'U') {
					size_t digits = e == 'u' ? 4 : e == 'x' ? 2 : 8;
					if (!hex_at(t, v->end, p + 2, digits, &cp))
						return false;
					slen = 2 + digits;
					if (e == 'x')
						cp = cp & 0xff;
					if (e == 'u' && cp >= 0xd800 && cp < 0xdc00) {
						unsigned long lo;
						if (p + 12 <= v->end && t[p + 6] == '\\' && t[p + 7] == 'u' &&
						    hex_at(t, v->end, p + 8, 4, &lo) && lo >= 0xdc00 &&
						    lo < 0xe000) {
							slen = 12;
							cp = 0x10000;
						} else {
							cp = 0xfffd;
						}
					}
					bytes = e == 'x' ? 1 : utf8_len(cp);
				} else if (e == '\n' || e == '\r' || e == ' ') {
					return false;
				} else if (e == 'N' || e == '_') {
					bytes = 2;
				} else if (e == 'L' || e == 'P') {
					bytes = 3;
				}
				for (size_t k = 0; k < bytes; k++) {
					if (d > vlen)
						return false;
					src[d++] = p;
				}
				p += slen;
				continue;
			}
			if (d > vlen)
				return false;
			src[d++] = p++;
		}
		if (d != vlen || p >= v->end || t[p] != q)
			return false;
		src[vlen] = p;
		return true;
	}
	if (v->style != KUP_STYLE_LITERAL)
		return false;
	/* `|` header line, then lines indented by the first content line's indentation */
	while (p < v->end && t[p] != '\n')
		p++;
	if (p >= v->end)
		return false;
	p++;
	size_t indent = 0;
	{
		size_t q = p;
		while (q < tlen && (t[q] == ' ' || t[q] == '\r' || t[q] == '\n')) {
			if (t[q] == '\n' || t[q] == '\r')
				indent = 0;
			else
				indent++;
			q++;
		}
	}
	while (d < vlen && p < tlen) {
		size_t k = 0;
		while (k < indent && p < tlen && t[p] == ' ') {
			p++;
			k++;
		}
		while (p < tlen && t[p] != '\n' && t[p] != '\r' && d < vlen)
			src[d++] = p++;
		if (d >= vlen)
			break;
		if (p < tlen && t[p] == '\r')
			src[d] = p++;
		else
			src[d] = p;
		if (p >= tlen || t[p] != '\n')
			return false;
		p++;
		d++;
	}
	if (d != vlen)
		return false;
	src[vlen] = p;
	return true;
}

/* Copies the notes of the annotation's object into the file's result, placed at the value. */
static bool add_inner_notes(struct fixctx *c, const struct kup_node *v,
			    const struct kup_fix_result *in)
{
	struct kup_fix_result *r = c->res;
	for (size_t i = 0; i < in->nnotes; i++) {
		if (r->nnotes == 0 || (r->nnotes >= 4 && (r->nnotes & (r->nnotes - 1)) == 0)) {
			size_t want = r->nnotes ? r->nnotes * 2 : 4;
			struct kup_fix_note *nv = kup_xrealloc_array(r->notes, want, sizeof *nv);
			if (!nv)
				return false;
			r->notes = nv;
		}
		const struct kup_fix_note *s = &in->notes[i];
		struct kup_fix_note *n = &r->notes[r->nnotes];
		memset(n, 0, sizeof *n);
		bool oom = false;
		n->outcome = s->outcome;
		n->kind = kup_strdup_oom(s->kind, &oom);
		n->api_version = kup_strdup_oom(s->api_version, &oom);
		n->to_api_version = kup_strdup_oom(s->to_api_version, &oom);
		n->name = kup_strdup_oom(s->name, &oom);
		n->namespace_ = kup_strdup_oom(s->namespace_, &oom);
		if (oom) {
			note_clear(n);
			return false;
		}
		n->removed_at_target = s->removed_at_target;
		n->line = v->line;
		n->column = v->column;
		struct kup_buf m = KUP_BUF_INIT;
		kup_buf_adds(&m, "in its " LAST_APPLIED);
		if (s->reason)
			kup_buf_addf(&m, ": %s", s->reason);
		if (m.oom) {
			kup_buf_release(&m);
			note_clear(n);
			return false;
		}
		n->reason = kup_buf_detach(&m, NULL);
		r->nnotes++;
		if (n->outcome == KUP_FIX_CONVERTED) {
			r->converted++;
		} else {
			r->unfixable++;
			if (n->removed_at_target)
				r->unfixable_removed++;
		}
	}
	return true;
}

/*
 * The JSON in kubectl's last-applied annotation is the object as applied:
 * fixed like a file of its own, and the changed bytes written back into the
 * annotation's scalar in its own quoting, so `scan` of the output finds no
 * old API there either.
 */
static void fix_last_applied(struct fixctx *c, const struct kup_node *obj)
{
	const struct kup_node *ann = kup_node_path(obj, "metadata", "annotations", NULL);
	const struct kup_node *v = kup_node_get(ann, LAST_APPLIED);
	if (!v || v->kind != KUP_NODE_SCALAR || v->tag != KUP_TAG_STR || v->len == 0 ||
	    !memchr(v->u.str, '{', v->len))
		return;
	struct kup_fix_opts o = *c->opts;
	o.errors = (struct kup_error_sink){ NULL, NULL };
	o.edits_only = false;
	struct kup_fix_result r;
	kup_fix_result_init(&r);
	struct kup_buf out = KUP_BUF_INIT;
	size_t *src = NULL;
	if (kup_fix_text(c->path, v->u.str, v->len, &o, &out, &r) != KUP_OK || out.oom) {
		c->oom = true;
		goto done;
	}
	if (!add_inner_notes(c, v, &r)) {
		c->oom = true;
		goto done;
	}
	if (r.errors || !r.nspans)
		goto done;
	c->f.first_edit = c->f.nedits;
	src = kup_xrealloc_array(NULL, v->len + 1, sizeof *src);
	if (!src) {
		c->oom = true;
		goto done;
	}
	bool mapped = (c->f.json || v->style != KUP_STYLE_LITERAL ||
		       !memchr(out.buf, '\n', out.len - (out.len && out.buf[out.len - 1] == '\n'))) &&
		      map_scalar(c->f.text, c->f.len, v, src);
	for (size_t i = 0; mapped && i < r.nspans; i++) {
		const struct kup_fix_span *sp = &r.spans[i];
		const char *rep = out.buf + sp->out_start;
		size_t rlen = sp->out_end - sp->out_start;
		struct kup_buf b = KUP_BUF_INIT;
		if (v->style == KUP_STYLE_DOUBLE || c->f.json) {
			char *tmp = kup_strndup(rep, rlen);
			if (!tmp) {
				c->oom = true;
				goto done;
			}
			kup_json_escape(&b, tmp);
			free(tmp);
		} else if (v->style == KUP_STYLE_SINGLE) {
			for (size_t k = 0; k < rlen; k++) {
				kup_buf_addc(&b, rep[k]);
				if (rep[k] == '\'')
					kup_buf_addc(&b, '\'');
			}
		} else {
			kup_buf_add(&b, rep, rlen);
		}
		if (b.oom || !kup_fixer_replace(&c->f, src[sp->start], src[sp->end],
						b.buf ? b.buf : "", b.len))
			c->oom = true;
		kup_buf_release(&b);
	}
	if (!mapped) {
		if (v->style == KUP_STYLE_LITERAL || v->style == KUP_STYLE_FOLDED)
			kup_fixer_unfixable(&c->f, "cannot rewrite the block scalar of "
					       LAST_APPLIED);
		else
			kup_fixer_set_scalar(&c->f, v, out.buf);
	}
	if (c->f.oom)
		c->oom = true;
	if (c->f.unfixable) {
		/* the annotation stays as it was; its notes say what it holds */
		for (size_t i = c->f.first_edit; i < c->f.nedits; i++)
			free(c->f.edits[i].text);
		c->f.nedits = c->f.first_edit;
		free(c->f.reason);
		c->f.reason = NULL;
		c->f.unfixable = false;
	}
done:
	free(src);
	kup_buf_release(&out);
	kup_fix_result_release(&r);
}

static void fix_object(struct fixctx *c, const struct kup_node *obj, const struct kup_doc *doc)
{
	fix_object_api(c, obj, doc);
	if (!c->oom && obj && obj->kind == KUP_NODE_MAP)
		fix_last_applied(c, obj);
}

static bool has_lone_cr(const char *t, size_t n)
{
	const char *p = t, *e = t + n;
	while ((p = memchr(p, '\r', (size_t)(e - p))) != NULL) {
		if (p + 1 >= e || p[1] != '\n')
			return true;
		p++;
	}
	return false;
}

/* True when the document's text uses a YAML merge key (`<<:`). */
static bool has_merge_key(const char *t, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++) {
		if (t[i] != '<' || t[i + 1] != '<')
			continue;
		size_t j = i + 2;
		while (j < n && (t[j] == ' ' || t[j] == '"' || t[j] == '\''))
			j++;
		if (j < n && t[j] == ':')
			return true;
	}
	return false;
}

/*
 * opts.edits_only: the document's edits, sorted as kup_fixer_apply() sorts
 * them, appended alone to out; touching edits make one span.
 */
static bool edits_only_spans(struct fixctx *c, const struct kup_doc *doc)
{
	kup_fixer_sort(&c->f);
	for (size_t i = 0; i < c->f.nedits; i++) {
		const struct kup_edit *e = &c->f.edits[i];
		if (e->start < doc->start || e->end > doc->end)
			return false;
		size_t os = c->out->len - c->out0;
		kup_buf_add(c->out, e->text, e->len);
		if (c->nspans && c->spans[c->nspans - 1].end == e->start) {
			c->spans[c->nspans - 1].end = e->end;
			c->spans[c->nspans - 1].out_end = c->out->len - c->out0;
			continue;
		}
		if (!kup_grow(&c->spans, &c->spans_cap, c->nspans + 1, sizeof *c->spans, 16))
			return false;
		c->spans[c->nspans++] = (struct kup_fix_span){ e->start, e->end, os,
							      c->out->len - c->out0 };
	}
	return !c->out->oom;
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct fixctx *c = ctx;
	c->ndocs++;
	c->merge = !c->f.json && has_merge_key(c->f.text + doc->start, doc->end - doc->start);
	c->lone_cr = !c->f.json && has_lone_cr(c->f.text + doc->start, doc->end - doc->start);
	c->root = doc->root;
	if (!find_shared(c, doc))
		return KUP_NOMEM;
	fix_object(c, doc->root, doc);
	if (c->oom)
		return KUP_NOMEM;
	if (c->f.nedits == 0)
		return KUP_OK;
	/* copy up to the document, then the document with its edits */
	if (doc->start < c->pos)
		return KUP_OK;   /* cannot happen: documents come in order */
	if (c->opts->edits_only) {
		if (!edits_only_spans(c, doc))
			return KUP_NOMEM;
		goto applied;
	}
	kup_buf_add(c->out, c->f.text + c->pos, doc->start - c->pos);
	size_t doc_out = c->out->len;
	if (!kup_fixer_apply(&c->f, doc->start, doc->end, c->out))
		return KUP_NOMEM;
	/* the edits are sorted now: where each one landed in the output */
	long long shift = (long long)doc_out - (long long)doc->start - (long long)c->out0;
	for (size_t i = 0; i < c->f.nedits; i++) {
		const struct kup_edit *e = &c->f.edits[i];
		size_t os = (size_t)((long long)e->start + shift);
		shift += (long long)e->len - (long long)(e->end - e->start);
		if (c->nspans && c->spans[c->nspans - 1].end >= e->start) {
			struct kup_fix_span *last = &c->spans[c->nspans - 1];
			if (e->end > last->end)
				last->end = e->end;
			last->out_end = (size_t)((long long)e->end + shift);
			continue;
		}
		if (!kup_grow(&c->spans, &c->spans_cap, c->nspans + 1, sizeof *c->spans, 16))
			return KUP_NOMEM;
		c->spans[c->nspans++] = (struct kup_fix_span){ e->start, e->end, os,
							      (size_t)((long long)e->end + shift) };
	}
applied:
	c->pos = doc->end;
	for (size_t i = 0; i < c->f.nedits; i++)
		free(c->f.edits[i].text);
	c->f.nedits = 0;
	return KUP_OK;
}

static void count_error(void *ctx, const struct kup_error *err)
{
	struct fixctx *c = ctx;
	c->nerrors++;
	if (c->hold) {
		if (c->nheld < sizeof c->held / sizeof c->held[0]) {
			kup_error_init(&c->held[c->nheld]);
			if (kup_error_copy(&c->held[c->nheld], err) == KUP_OK)
				c->nheld++;
		}
		return;
	}
	c->res->errors++;
	kup_error_emit(&c->opts->errors, err);
}


/* `{"key"...`: JSON with a mistake rather than flow YAML. */
static bool quoted_first_key(const char *t, size_t n)
{
	size_t i = 0;
	while (i < n && t[i] != '{' && t[i] != '[')
		i++;
	for (i++; i < n; i++)
		if (t[i] != ' ' && t[i] != '\t' && t[i] != '\r' && t[i] != '\n' && t[i] != '[' &&
		    t[i] != '{')
			return t[i] == '"';
	return false;
}

enum kup_status kup_fix_text(const char *path, const char *text, size_t len,
			     const struct kup_fix_opts *opts, struct kup_buf *out,
			     struct kup_fix_result *res)
{
	struct fixctx c;
	memset(&c, 0, sizeof c);
	c.path = path;
	c.opts = opts;
	c.res = res;
	c.out = out;
	c.out0 = out->len;
	bool json = kup_looks_json(text, len);
	kup_fixer_init(&c.f, text, len, json);
	c.f.kb = opts->kb;
	c.f.target = opts->target;
	struct kup_error_sink sink = { count_error, &c };
	struct kup_arena arena;
	kup_arena_init(&arena, 64 * 1024);
	size_t nerr = 0, out0 = out->len;
	enum kup_status st = KUP_OK;
	if (json) {
		/* flow YAML (`{key: v}`, unquoted first key) also starts with '{': when no JSON
		 * document came out of such text, try YAML; text with a quoted first key is
		 * JSON, and malformed JSON is reported and left alone */
		struct kup_json_opts o;
		kup_json_opts_init(&o, path);
		o.limits = opts->limits;
		o.errors = sink;
		o.stream_items = false;
		c.hold = true;
		st = kup_json_read_mem(text, len, &o, &arena, on_doc, &c, &nerr);
		c.hold = false;
		kup_arena_reset(&arena);
		if (st == KUP_OK && nerr > 0 && c.ndocs == 0 && !quoted_first_key(text, len)) {
			c.f.json = false;
			c.f.json_style = false;   /* flow YAML: `{key: ...` */
			size_t ye = c.nerrors;
			struct kup_yaml_opts yo;
			kup_yaml_opts_init(&yo, path);
			yo.limits = opts->limits;
			yo.errors = (struct kup_error_sink){ NULL, NULL };
			size_t ynerr = 0;
			size_t notes0 = res->nnotes;
			struct kup_fix_result saved = *res;
			st = kup_yaml_read_mem(text, len, &yo, &arena, on_doc, &c, &ynerr);
			(void)ye;
			if (st == KUP_OK && ynerr > 0) {
				/* not YAML either: the JSON errors stand, the text is unchanged */
				for (size_t i = notes0; i < res->nnotes; i++)
					note_clear(&res->notes[i]);
				saved.notes = res->notes;
				*res = saved;
				for (size_t i = 0; i < c.f.nedits; i++)
					free(c.f.edits[i].text);
				c.f.nedits = 0;
				out->len = out0;
				c.pos = 0;
				c.nspans = 0;
				for (size_t i = 0; i < c.nheld; i++)
					kup_error_emit(&opts->errors, &c.held[i]);
				res->errors += nerr;
			}
		} else {
			for (size_t i = 0; i < c.nheld; i++)
				kup_error_emit(&opts->errors, &c.held[i]);
			res->errors += nerr;
		}
	} else {
		struct kup_yaml_opts o;
		kup_yaml_opts_init(&o, path);
		o.limits = opts->limits;
		o.errors = sink;
		st = kup_yaml_read_mem(text, len, &o, &arena, on_doc, &c, &nerr);
	}
	for (size_t i = 0; i < c.nheld; i++)
		kup_error_release(&c.held[i]);
	if (st != KUP_OK && st != KUP_NOMEM) {
		/* nothing is ever half-written: the file stays as it was */
		out->len = out0;
		if (!opts->edits_only)
			kup_buf_add(out, text, len);
		c.pos = len;
		c.nspans = 0;
		res->errors++;
		st = KUP_OK;
	}
	if (st == KUP_OK && c.pos < len && !opts->edits_only)
		kup_buf_add(out, text + c.pos, len - c.pos);
	/* a pair added at the end of a file without a final line end ends without one too */
	if (st == KUP_OK && len > 0 && text[len - 1] != '\n' && out->len > out0 &&
	    out->buf[out->len - 1] == '\n' &&
	    (!opts->edits_only || (c.nspans && c.spans[c.nspans - 1].end == len))) {
		out->len--;
		if (out->len > out0 && out->buf[out->len - 1] == '\r')
			out->len--;
		out->buf[out->len] = '\0';
		if (c.nspans && c.spans[c.nspans - 1].out_end > out->len - out0)
			c.spans[c.nspans - 1].out_end = out->len - out0;
	}
	if (st == KUP_OK) {
		free(res->spans);
		res->spans = c.spans;
		res->nspans = c.nspans;
		res->spans_valid = true;
		c.spans = NULL;
	}
	if (st == KUP_OK && out->oom)
		st = KUP_NOMEM;
	kup_arena_release(&arena);
	kup_fixer_release(&c.f);
	free(c.seen);
	free(c.shared);
	free(c.spans);
	return st == KUP_NOMEM ? KUP_NOMEM : KUP_OK;
}
