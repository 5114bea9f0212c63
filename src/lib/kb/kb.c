/*
 * kb.c - loading, validating and querying the knowledge base.
 *
 * The KB is read with the same YAML reader as manifests.  Each file names
 * its schema; unknown schemas, unknown keys, missing sources, malformed
 * versions and duplicate rows are problems reported with file:line:column.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/kb.h"
#include "kupgrade/yaml.h"
#include "kb/embedded.h"
#include "kb/kb_int.h"

#define SCHEMA_APIS "kupgrade.dev/kb/apis/v1"
#define SCHEMA_RELEASES "kupgrade.dev/kb/releases/v1"

static void loader_release(struct kup_kb_loader *ld)
{
	size_t i;

	for (i = 0; i < ld->seen_cap; i++)
		free(ld->seen[i]);
	free(ld->seen);
	ld->seen = NULL;
	ld->nseen = 0;
	ld->seen_cap = 0;
}

/* True when this apiVersion + kind was read before (then it is reported). */
static bool seen_before(struct kup_kb_loader *ld, const struct kup_node *at, const char *av,
			const char *kind);

void kup_kbl_problem(struct kup_kb_loader *ld, const struct kup_node *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kup_error_vreport(ld->sink, KUP_KB, ld->path, at ? at->line : 0, at ? at->column : 0,
			  NULL, fmt, ap);
	va_end(ap);
	ld->problems++;
}

const char *kup_kbl_str(struct kup_kb_loader *ld, const struct kup_node *n)
{
	char *s = kup_arena_strndup(&ld->kb->strings, n->u.str, n->len);
	if (!s)
		ld->oom = true;
	return s;
}

/* ---- hashing ---------------------------------------------------------------- */

static uint64_t hash_key(const char *av, size_t avn, const char *kind, size_t kn)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < avn; i++)
		h = (h ^ (unsigned char)av[i]) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (i = 0; i < kn; i++)
		h = (h ^ (unsigned char)kind[i]) * 1099511628211ULL;
	return h;
}

static bool build_index(struct kup_kb *kb)
{
	size_t cap = 16, i;

	while (cap < kb->nrules * 2)
		cap *= 2;
	free(kb->index);
	kb->index = kup_calloc(cap, sizeof(*kb->index));
	if (!kb->index)
		return false;
	kb->index_cap = cap;
	for (i = 0; i < kb->nrules; i++) {
		const struct kup_api_rule *r = &kb->rules[i];
		size_t slot = hash_key(r->api_version, strlen(r->api_version), r->kind,
				       strlen(r->kind)) & (cap - 1);
		while (kb->index[slot])
			slot = (slot + 1) & (cap - 1);
		kb->index[slot] = i + 1;
	}
	return true;
}

const struct kup_api_rule *kup_kb_find_api(const struct kup_kb *kb,
					   const char *api_version, size_t av_len,
					   const char *kind, size_t kind_len)
{
	size_t slot;

	if (!kb->index_cap)
		return NULL;
	slot = hash_key(api_version, av_len, kind, kind_len) & (kb->index_cap - 1);
	while (kb->index[slot]) {
		const struct kup_api_rule *r = &kb->rules[kb->index[slot] - 1];
		if (strlen(r->api_version) == av_len && memcmp(r->api_version, api_version, av_len) == 0 &&
		    strlen(r->kind) == kind_len && memcmp(r->kind, kind, kind_len) == 0)
			return r;
		slot = (slot + 1) & (kb->index_cap - 1);
	}
	return NULL;
}

/* ---- field readers ------------------------------------------------------------ */

const struct kup_node *kup_kbl_want_str(struct kup_kb_loader *ld, const struct kup_node *map,
				       const char *key, bool required)
{
	const struct kup_node *n = kup_node_get(map, key);

	if (!n || (n->kind == KUP_NODE_SCALAR && n->tag == KUP_TAG_NULL)) {
		if (required)
			kup_kbl_problem(ld, map, "missing '%s'", key);
		return NULL;
	}
	if (n->kind != KUP_NODE_SCALAR || n->len == 0) {
		kup_kbl_problem(ld, n, "'%s' must be a non-empty string", key);
		return NULL;
	}
	return n;
}

/* A version field: absent or null is allowed when !required. */
void kup_kbl_want_version(struct kup_kb_loader *ld, const struct kup_node *map, const char *key,
			 bool required, struct kup_version *out)
{
	const struct kup_node *n = kup_kbl_want_str(ld, map, key, required);
	struct kup_error err = KUP_ERROR_INIT;

	memset(out, 0, sizeof(*out));
	if (!n)
		return;
	if (n->tag != KUP_TAG_STR) {
		kup_kbl_problem(ld, n, "'%s' must be a quoted version string such as \"1.22\"", key);
		return;
	}
	if (kup_version_parse_n(n->u.str, n->len, out, &err) != KUP_OK)
		kup_kbl_problem(ld, n, "'%s': %s", key, err.msg ? err.msg : "malformed version");
	kup_error_release(&err);
}

void kup_kbl_want_source(struct kup_kb_loader *ld, const struct kup_node *map, const char *key,
			const char **out)
{
	const struct kup_node *n = kup_kbl_want_str(ld, map, key, true);

	*out = NULL;
	if (!n)
		return;
	if (strncmp(n->u.str, "https://", 8) != 0 && strncmp(n->u.str, "http://", 7) != 0) {
		kup_kbl_problem(ld, n, "'%s' must be an http(s) URL", key);
		return;
	}
	*out = kup_kbl_str(ld, n);
}

void kup_kbl_check_keys(struct kup_kb_loader *ld, const struct kup_node *map, const char *const *allowed)
{
	size_t i, j;

	for (i = 0; i < map->len; i++) {
		const struct kup_node *k = map->u.pairs[i].key;
		bool ok = false;
		if (k->kind != KUP_NODE_SCALAR) {
			kup_kbl_problem(ld, k, "keys must be strings");
			continue;
		}
		for (j = 0; allowed[j]; j++)
			if (strcmp(k->u.str, allowed[j]) == 0)
				ok = true;
		if (!ok) {
			const char *hint = kup_suggest(k->u.str, allowed, j);

			if (hint)
				kup_kbl_problem(ld, k, "unknown key '%s'; did you mean '%s'?", k->u.str,
						hint);
			else
				kup_kbl_problem(ld, k, "unknown key '%s'", k->u.str);
		}
	}
}

static const char *const rule_keys[] = {
	"kind", "api_version", "component", "level", "deprecated_in", "removed_in",
	"replacements", "notes", "source", "deprecated_in_source", "checked",
	"replacement_accepts", "replacement_accepts_source", NULL
};
static const char *const repl_keys[] = { "api_version", "kind", "available_in", NULL };
static const char *const release_keys[] = { "version", "status", "released", "scheduled",
					   "end_of_life", "source", "checked", NULL };

static bool parse_level(const char *s, enum kup_api_level *out)
{
	static const char *const names[] = { "builtin", "opt-in-beta", "ga-deprecated", "addon",
					     "alpha", "config" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum kup_api_level)i;
			return true;
		}
	return false;
}

static bool note_component(struct kup_kb_loader *ld, const char *c)
{
	struct kup_kb *kb = ld->kb;
	size_t i;
	char **nc;

	for (i = 0; i < kb->ncomponents; i++)
		if (strcmp(kb->components[i], c) == 0)
			return true;
	nc = kup_xrealloc_array(kb->components, kb->ncomponents + 1, sizeof(*nc));
	if (!nc)
		return false;
	kb->components = nc;
	kb->components[kb->ncomponents++] = (char *)c;
	return true;
}

/* replacement_accepts: {FIELD: [VALUE, ...], ...}, with replacement_accepts_source. */
static void load_accepts(struct kup_kb_loader *ld, const struct kup_node *e,
			 const struct kup_node *n, struct kup_api_rule *r)
{
	struct kup_kb *kb = ld->kb;
	const char *src;
	size_t i, j;

	kup_kbl_want_source(ld, e, "replacement_accepts_source", &src);
	if (n->kind != KUP_NODE_MAP || n->len == 0) {
		kup_kbl_problem(ld, n, "'replacement_accepts' must map fields to lists of values");
		return;
	}
	struct kup_api_accepts *a = kup_arena_zalloc(&kb->strings, n->len * sizeof(*a));
	if (!a) {
		ld->oom = true;
		return;
	}
	for (i = 0; i < n->len; i++) {
		const struct kup_node *k = n->u.pairs[i].key, *v = n->u.pairs[i].value;
		if (k->kind != KUP_NODE_SCALAR || v->kind != KUP_NODE_SEQ || v->len == 0) {
			kup_kbl_problem(ld, v, "'replacement_accepts' must map fields to lists of values");
			continue;
		}
		const char **vals = kup_arena_zalloc(&kb->strings, v->len * sizeof(*vals));
		if (!vals) {
			ld->oom = true;
			return;
		}
		a[i].field = kup_kbl_str(ld, k);
		for (j = 0; j < v->len; j++) {
			if (v->u.items[j]->kind != KUP_NODE_SCALAR) {
				kup_kbl_problem(ld, v->u.items[j], "a value must be a string");
				continue;
			}
			vals[j] = kup_kbl_str(ld, v->u.items[j]);
		}
		a[i].values = vals;
		a[i].nvalues = v->len;
	}
	r->accepts = a;
	r->naccepts = n->len;
}

static void load_rule(struct kup_kb_loader *ld, const struct kup_node *e)
{
	struct kup_kb *kb = ld->kb;
	struct kup_api_rule r;
	const struct kup_node *n, *reps;
	size_t bad_before = ld->problems, i;

	memset(&r, 0, sizeof(r));
	if (e->kind != KUP_NODE_MAP) {
		kup_kbl_problem(ld, e, "an API entry must be a mapping");
		return;
	}
	kup_kbl_check_keys(ld, e, rule_keys);
	kup_kbl_want_checked(ld, e);
	if ((n = kup_kbl_want_str(ld, e, "kind", true)))
		r.kind = kup_kbl_str(ld, n);
	if ((n = kup_kbl_want_str(ld, e, "api_version", true))) {
		if (!memchr(n->u.str, '/', n->len) && strcmp(n->u.str, "v1") != 0 &&
		    strncmp(n->u.str, "v1", 2) != 0)
			kup_kbl_problem(ld, n, "'api_version' must be GROUP/VERSION or a core version");
		r.api_version = kup_kbl_str(ld, n);
	}
	if ((n = kup_kbl_want_str(ld, e, "component", true)))
		r.component = kup_kbl_str(ld, n);
	if ((n = kup_kbl_want_str(ld, e, "level", true)) && !parse_level(n->u.str, &r.level))
		kup_kbl_problem(ld, n, "unknown level '%s' (builtin, opt-in-beta, ga-deprecated, addon, alpha, config)",
			n->u.str);
	kup_kbl_want_version(ld, e, "deprecated_in", false, &r.deprecated_in);
	kup_kbl_want_version(ld, e, "removed_in", false, &r.removed_in);
	if (!kup_node_get(e, "deprecated_in"))
		kup_kbl_problem(ld, e, "missing 'deprecated_in' (write null when there is none)");
	if (!kup_node_get(e, "removed_in"))
		kup_kbl_problem(ld, e, "missing 'removed_in' (write null when there is none)");
	if (r.deprecated_in.valid && r.removed_in.valid &&
	    kup_version_cmp(&r.deprecated_in, &r.removed_in) > 0)
		kup_kbl_problem(ld, e, "deprecated_in is after removed_in");
	if (r.level == KUP_LEVEL_GA_DEPRECATED && r.removed_in.valid)
		kup_kbl_problem(ld, e, "a ga-deprecated entry has no removed_in");
	if (r.level != KUP_LEVEL_GA_DEPRECATED && !r.removed_in.valid && !r.deprecated_in.valid)
		kup_kbl_problem(ld, e, "an entry needs deprecated_in or removed_in");
	if ((n = kup_kbl_want_str(ld, e, "notes", false)))
		r.notes = kup_kbl_str(ld, n);
	kup_kbl_want_source(ld, e, "source", &r.source);
	if ((n = kup_node_get(e, "replacement_accepts")))
		load_accepts(ld, e, n, &r);
	if (kup_node_get(e, "deprecated_in_source")) {
		const char *ds;
		kup_kbl_want_source(ld, e, "deprecated_in_source", &ds);
	}
	reps = kup_node_get(e, "replacements");
	if (!reps)
		kup_kbl_problem(ld, e, "missing 'replacements' (write [] when there is none)");
	else if (reps->kind != KUP_NODE_SEQ)
		kup_kbl_problem(ld, reps, "'replacements' must be a list");
	else if (reps->len) {
		struct kup_api_replacement *ra =
			kup_arena_zalloc(&kb->strings, reps->len * sizeof(*ra));
		if (!ra) {
			ld->oom = true;
			return;
		}
		for (i = 0; i < reps->len; i++) {
			const struct kup_node *re = reps->u.items[i];
			if (re->kind != KUP_NODE_MAP) {
				kup_kbl_problem(ld, re, "a replacement must be a mapping");
				continue;
			}
			kup_kbl_check_keys(ld, re, repl_keys);
			if ((n = kup_kbl_want_str(ld, re, "api_version", true)))
				ra[i].api_version = kup_kbl_str(ld, n);
			if ((n = kup_kbl_want_str(ld, re, "kind", false)))
				ra[i].kind = kup_kbl_str(ld, n);
			kup_kbl_want_version(ld, re, "available_in", false, &ra[i].available_in);
			if (!kup_node_get(re, "available_in"))
				kup_kbl_problem(ld, re, "missing 'available_in' (write null when unknown)");
		}
		r.replacements = ra;
		r.nreplacements = reps->len;
	}
	if (r.api_version && r.kind && seen_before(ld, e, r.api_version, r.kind))
		return;
	if (ld->problems != bad_before || ld->oom)
		return;
	r.id = kup_arena_printf(&kb->strings, "%s/%s/%s", r.component, r.api_version, r.kind);
	if (!r.id || !note_component(ld, r.component)) {
		ld->oom = true;
		return;
	}
	if (!kup_grow(&kb->rules, &kb->rules_cap, kb->nrules + 1, sizeof(*kb->rules), 256)) {
		ld->oom = true;
		return;
	}
	kb->rules[kb->nrules++] = r;
}

static size_t seen_hash(const char *k)
{
	return (size_t)hash_key(k, strlen(k), "", 0);
}

static bool seen_before(struct kup_kb_loader *ld, const struct kup_node *at, const char *av,
			const char *kind)
{
	struct kup_buf key = KUP_BUF_INIT;
	size_t i, slot;

	/* an open-addressing set of "apiVersion kind", at most half full */
	if ((ld->nseen + 1) * 2 > ld->seen_cap) {
		size_t cap = ld->seen_cap ? ld->seen_cap * 2 : 256;
		char **ns = kup_calloc(cap, sizeof(*ns));
		if (!ns) {
			ld->oom = true;
			return true;
		}
		for (i = 0; i < ld->seen_cap; i++) {
			if (!ld->seen[i])
				continue;
			slot = seen_hash(ld->seen[i]) & (cap - 1);
			while (ns[slot])
				slot = (slot + 1) & (cap - 1);
			ns[slot] = ld->seen[i];
		}
		free(ld->seen);
		ld->seen = ns;
		ld->seen_cap = cap;
	}
	kup_buf_addf(&key, "%s %s", av, kind);
	if (key.oom) {
		ld->oom = true;
		return true;
	}
	for (slot = seen_hash(key.buf) & (ld->seen_cap - 1); ld->seen[slot];
	     slot = (slot + 1) & (ld->seen_cap - 1))
		if (strcmp(ld->seen[slot], key.buf) == 0) {
			kup_buf_release(&key);
			kup_kbl_problem(ld, at, "duplicate entry for %s %s", av, kind);
			return true;
		}
	ld->seen[slot] = kup_buf_detach(&key, NULL);
	ld->nseen++;
	return false;
}

bool kup_kbl_valid_date(const char *s)
{
	size_t i;

	if (strlen(s) != 10)
		return false;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return false;
		} else if (s[i] < '0' || s[i] > '9') {
			return false;
		}
	}
	return true;
}

const char *kup_kbl_want_date(struct kup_kb_loader *ld, const struct kup_node *map,
			      const char *key, bool required)
{
	const struct kup_node *n = kup_kbl_want_str(ld, map, key, required);

	if (!n)
		return NULL;
	if (!kup_kbl_valid_date(n->u.str)) {
		kup_kbl_problem(ld, n, "'%s' must be a date YYYY-MM-DD", key);
		return NULL;
	}
	/* ISO dates compare as strings: keep the newest day a source was read. */
	if (strcmp(key, "checked") == 0 && strcmp(n->u.str, ld->kb->checked) > 0)
		memcpy(ld->kb->checked, n->u.str, sizeof(ld->kb->checked));
	return kup_kbl_str(ld, n);
}

void kup_kbl_want_checked(struct kup_kb_loader *ld, const struct kup_node *map)
{
	(void)kup_kbl_want_date(ld, map, "checked", false);
}

void kup_kbl_need_checked(struct kup_kb_loader *ld, const struct kup_node *map, const char *what)
{
	if (!kup_node_get(map, "checked"))
		kup_kbl_problem(ld, map, "missing 'checked' (the day the source was read): %s "
				"can change", what);
}

static void load_release(struct kup_kb_loader *ld, const struct kup_node *e)
{
	struct kup_kb *kb = ld->kb;
	struct kup_release r;
	const struct kup_node *n, *status;
	bool scheduled = false;
	size_t bad_before = ld->problems, i;

	memset(&r, 0, sizeof(r));
	if (e->kind != KUP_NODE_MAP) {
		kup_kbl_problem(ld, e, "a release entry must be a mapping");
		return;
	}
	kup_kbl_check_keys(ld, e, release_keys);
	kup_kbl_want_checked(ld, e);
	kup_kbl_want_version(ld, e, "version", true, &r.version);
	if ((status = kup_kbl_want_str(ld, e, "status", false))) {
		if (strcmp(status->u.str, "scheduled") == 0)
			scheduled = true;
		else if (strcmp(status->u.str, "released") != 0)
			kup_kbl_problem(ld, status, "'status' must be released or scheduled, not '%s'",
					status->u.str);
	}
	/* A released minor has its GA date; a scheduled one only its planned date. */
	if ((n = kup_kbl_want_str(ld, e, "released", !scheduled))) {
		if (scheduled)
			kup_kbl_problem(ld, n, "a scheduled release has no 'released' date (use "
					"'scheduled')");
		else if (!kup_kbl_valid_date(n->u.str))
			kup_kbl_problem(ld, n, "'released' must be a date YYYY-MM-DD");
		r.released = kup_kbl_str(ld, n);
	}
	if ((n = kup_kbl_want_str(ld, e, "scheduled", scheduled))) {
		if (!scheduled)
			kup_kbl_problem(ld, n, "'scheduled' needs 'status: scheduled'");
		else if (!kup_kbl_valid_date(n->u.str))
			kup_kbl_problem(ld, n, "'scheduled' must be a date YYYY-MM-DD");
		r.scheduled = kup_kbl_str(ld, n);
	}
	if ((n = kup_kbl_want_str(ld, e, "end_of_life", false))) {
		if (!kup_kbl_valid_date(n->u.str))
			kup_kbl_problem(ld, n, "'end_of_life' must be a date YYYY-MM-DD");
		r.end_of_life = kup_kbl_str(ld, n);
	}
	/* a support window can change: the day its source was read goes with it */
	if (n || scheduled)
		kup_kbl_need_checked(ld, e, "a support window");
	kup_kbl_want_source(ld, e, "source", &r.source);
	if (ld->problems != bad_before || ld->oom)
		return;
	for (i = 0; i < kb->nreleases + kb->nscheduled; i++) {
		const struct kup_release *o = i < kb->nreleases ? &kb->releases[i]
								: &kb->scheduled[i - kb->nreleases];
		int c = kup_version_cmp_minor(&o->version, &r.version);

		if (c == 0) {
			kup_kbl_problem(ld, e, "duplicate release %d.%d", r.version.major,
					r.version.minor);
			return;
		}
		/* every scheduled minor comes after every released one */
		if (scheduled && !o->scheduled && c > 0) {
			kup_kbl_problem(ld, e, "scheduled release %d.%d is not newer than released %d.%d",
					r.version.major, r.version.minor, o->version.major,
					o->version.minor);
			return;
		}
		if (!scheduled && o->scheduled && c < 0) {
			kup_kbl_problem(ld, e, "released %d.%d is newer than scheduled %d.%d",
					r.version.major, r.version.minor, o->version.major,
					o->version.minor);
			return;
		}
	}
	if (scheduled) {
		if (!kup_grow(&kb->scheduled, &kb->scheduled_cap, kb->nscheduled + 1,
			       sizeof(*kb->scheduled), 4)) {
			ld->oom = true;
			return;
		}
		kb->scheduled[kb->nscheduled++] = r;
		return;
	}
	if (!kup_grow(&kb->releases, &kb->releases_cap, kb->nreleases + 1,
		       sizeof(*kb->releases), 32)) {
		ld->oom = true;
		return;
	}
	kb->releases[kb->nreleases++] = r;
}

static enum kup_status load_doc(void *ctx, const struct kup_doc *doc)
{
	struct kup_kb_loader *ld = ctx;
	const struct kup_node *root = doc->root, *schema, *list;
	size_t i;

	if (!root)
		return KUP_OK;
	if (root->kind != KUP_NODE_MAP) {
		kup_kbl_problem(ld, root, "a knowledge base file must be a mapping");
		return KUP_OK;
	}
	schema = kup_node_get(root, "schema");
	if (!schema || schema->kind != KUP_NODE_SCALAR) {
		kup_kbl_problem(ld, root, "missing 'schema'");
		return KUP_OK;
	}
	if (strcmp(schema->u.str, SCHEMA_APIS) == 0) {
		static const char *const top[] = { "schema", "apis", NULL };
		kup_kbl_check_keys(ld, root, top);
		list = kup_node_get(root, "apis");
		if (!list || list->kind != KUP_NODE_SEQ) {
			kup_kbl_problem(ld, list ? list : root, "'apis' must be a list");
			return KUP_OK;
		}
		for (i = 0; i < list->len && !ld->oom; i++)
			load_rule(ld, list->u.items[i]);
	} else if (strcmp(schema->u.str, SCHEMA_RELEASES) == 0) {
		static const char *const top[] = { "schema", "releases", NULL };
		kup_kbl_check_keys(ld, root, top);
		list = kup_node_get(root, "releases");
		if (!list || list->kind != KUP_NODE_SEQ) {
			kup_kbl_problem(ld, list ? list : root, "'releases' must be a list");
			return KUP_OK;
		}
		for (i = 0; i < list->len && !ld->oom; i++)
			load_release(ld, list->u.items[i]);
	} else if (!kup_kbplan_load_doc(ld, schema->u.str, schema, root)) {
		kup_kbl_problem(ld, schema, "unknown schema '%s'", schema->u.str);
	}
	return ld->oom ? KUP_NOMEM : KUP_OK;
}

static void forward_error(void *ctx, const struct kup_error *err)
{
	struct kup_kb_loader *ld = ctx;

	kup_error_emit(ld->sink, err);
	ld->problems++;
}

static enum kup_status load_text(struct kup_kb_loader *ld, const char *path, const char *text,
				 size_t len)
{
	struct kup_yaml_opts opts;
	struct kup_arena arena;
	size_t nerr = 0;
	enum kup_status st;

	kup_yaml_opts_init(&opts, path);
	opts.errors.fn = forward_error;
	opts.errors.ctx = ld;
	kup_arena_init(&arena, 0);
	ld->path = path;
	st = kup_yaml_read_mem(text, len, &opts, &arena, load_doc, ld, &nerr);
	kup_arena_release(&arena);
	return st;
}

static int cmp_release(const void *a, const void *b)
{
	const struct kup_release *x = a, *y = b;
	return kup_version_cmp(&x->version, &y->version);
}

/* Sorts the releases, finds the newest version and indexes the rules (false: out of memory). */
static bool finish(struct kup_kb *kb)
{
	size_t i;

	if (!build_index(kb))
		return false;
	if (kb->nreleases > 1)
		qsort(kb->releases, kb->nreleases, sizeof(*kb->releases), cmp_release);
	if (kb->nscheduled > 1)
		qsort(kb->scheduled, kb->nscheduled, sizeof(*kb->scheduled), cmp_release);
	memset(&kb->newest, 0, sizeof(kb->newest));
	if (kb->nreleases) {
		kb->newest = kb->releases[kb->nreleases - 1].version;
		return true;
	}
	for (i = 0; i < kb->nrules; i++) {
		const struct kup_api_rule *r = &kb->rules[i];
		if (strcmp(r->component, "kubernetes") != 0 || !r->removed_in.valid)
			continue;
		if (!kb->newest.valid || kup_version_cmp(&r->removed_in, &kb->newest) > 0)
			kb->newest = r->removed_in;
	}
	return true;
}

static struct kup_kb *kb_new(void)
{
	struct kup_kb *kb = kup_calloc(1, sizeof(*kb));

	if (kb)
		kup_arena_init(&kb->strings, 64 * 1024);
	return kb;
}

void kup_kb_free(struct kup_kb *kb)
{
	if (!kb)
		return;
	kup_arena_release(&kb->strings);
	free(kb->rules);
	free(kb->releases);
	free(kb->scheduled);
	free(kb->index);
	free(kb->components);
	kup_kbplan_release(&kb->plan);
	free(kb);
}

static void first_error(void *ctx, const struct kup_error *err)
{
	struct kup_error *dst = ctx;

	if (dst && dst->code == KUP_OK)
		kup_error_copy(dst, err);
}

enum kup_status kup_kb_load_embedded(struct kup_kb **out, struct kup_error *err)
{
	struct kup_error_sink sink = { first_error, err };
	struct kup_kb_loader ld = { 0 };
	const struct kup_embedded_doc *e;
	struct kup_kb *kb = kb_new();
	enum kup_status st = KUP_OK;

	*out = NULL;
	if (!kb)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	ld.kb = kb;
	ld.sink = &sink;
	/* parsed at build time (tools/embed.c): the same trees load_text() would read */
	for (e = kup_embedded_docs; e->name && st == KUP_OK; e++) {
		struct kup_doc doc = { 0 };

		doc.root = e->root;
		doc.index = e->index;
		doc.line = e->line;
		doc.start = e->start;
		doc.end = e->end;
		doc.path = e->name;
		ld.path = e->name;
		st = load_doc(&ld, &doc);
	}
	if (st == KUP_OK && !ld.oom)
		kup_kbplan_finish(&ld);
	loader_release(&ld);
	if (st == KUP_OK && ld.oom)
		st = KUP_NOMEM;
	if (st == KUP_OK && ld.problems)
		st = KUP_KB;
	if (st != KUP_OK) {
		if (err && err->code == KUP_OK)
			kup_error_set(err, st, NULL, 0, 0, "cannot load the embedded knowledge base");
		kup_kb_free(kb);
		return st;
	}
	if (!finish(kb)) {
		kup_kb_free(kb);
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	}
	*out = kb;
	return KUP_OK;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum kup_status kup_kb_load_dir(const char *dir, struct kup_kb **out,
				const struct kup_error_sink *sink, size_t *nproblems)
{
	struct kup_kb_loader ld = { 0 };
	struct kup_kb *kb;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	enum kup_status st = KUP_OK;

	*out = NULL;
	*nproblems = 0;
	d = opendir(dir);
	if (!d) {
		kup_error_report(sink, KUP_IO, dir, 0, 0, "cannot open knowledge base directory '%s'",
				 dir);
		*nproblems = 1;
		return KUP_IO;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char **nn;
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		nn = kup_xrealloc_array(names, n + 1, sizeof(*names));
		if (!nn || !(nn[n] = kup_strdup(de->d_name))) {
			names = nn ? nn : names;
			st = KUP_NOMEM;
			break;
		}
		names = nn;
		n++;
	}
	closedir(d);
	kb = kb_new();
	if (!kb)
		st = KUP_NOMEM;
	if (st == KUP_OK && n == 0) {
		kup_error_report(sink, KUP_KB, dir, 0, 0, "no *.yaml files in '%s'", dir);
		ld.problems++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_name);
	ld.kb = kb;
	ld.sink = sink;
	for (i = 0; i < n && st == KUP_OK; i++) {
		struct kup_error err = KUP_ERROR_INIT;
		struct kup_buf path = KUP_BUF_INIT;
		char *text = NULL;
		size_t len = 0;

		kup_buf_addf(&path, "%s/%s", dir, names[i]);
		if (path.oom) {
			st = KUP_NOMEM;
			break;
		}
		if (kup_read_file(path.buf, 64u << 20, &text, &len, &err) != KUP_OK) {
			kup_error_emit(sink, &err);
			ld.problems++;
		} else {
			st = load_text(&ld, path.buf, text, len);
		}
		free(text);
		kup_error_release(&err);
		kup_buf_release(&path);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (st == KUP_OK && !ld.oom)
		kup_kbplan_finish(&ld);
	loader_release(&ld);
	if (st == KUP_OK && ld.oom)
		st = KUP_NOMEM;
	*nproblems = ld.problems;
	if (st == KUP_OK && ld.problems)
		st = KUP_KB;
	if (st != KUP_OK) {
		kup_kb_free(kb);
		return st;
	}
	if (!finish(kb)) {
		kup_error_report(sink, KUP_NOMEM, dir, 0, 0, "out of memory");
		*nproblems = 1;
		kup_kb_free(kb);
		return KUP_NOMEM;
	}
	*out = kb;
	return KUP_OK;
}

/* ---- queries -------------------------------------------------------------------- */

size_t kup_kb_api_count(const struct kup_kb *kb)
{
	return kb->nrules;
}

const struct kup_api_rule *kup_kb_api_at(const struct kup_kb *kb, size_t i)
{
	return i < kb->nrules ? &kb->rules[i] : NULL;
}

bool kup_kb_knows_group(const struct kup_kb *kb, const char *group, size_t n)
{
	size_t i;

	for (i = 0; i < kb->nrules; i++) {
		const char *av = kb->rules[i].api_version, *slash = strchr(av, '/');
		size_t gl = slash ? (size_t)(slash - av) : 0;
		if (gl == n && memcmp(av, group, n) == 0)
			return true;
	}
	return false;
}

const struct kup_api_replacement *
kup_kb_best_replacement(const struct kup_kb *kb, const struct kup_api_rule *rule,
			const struct kup_version *target)
{
	const struct kup_api_replacement *best = NULL;
	size_t i;

	for (i = 0; i < rule->nreplacements; i++) {
		const struct kup_api_replacement *r = &rule->replacements[i];
		const char *kind = r->kind ? r->kind : rule->kind;
		const struct kup_api_rule *own;

		if (r->available_in.valid && kup_version_cmp(&r->available_in, target) > 0)
			continue;
		own = kup_kb_find_api(kb, r->api_version, strlen(r->api_version), kind, strlen(kind));
		if (own && own->removed_in.valid && kup_version_cmp(&own->removed_in, target) <= 0)
			continue;
		if (!best || !best->available_in.valid ||
		    (r->available_in.valid && kup_version_cmp(&r->available_in, &best->available_in) >= 0))
			best = r;
	}
	return best;
}

size_t kup_kb_release_count(const struct kup_kb *kb)
{
	return kb->nreleases;
}

const struct kup_release *kup_kb_release_at(const struct kup_kb *kb, size_t i)
{
	return i < kb->nreleases ? &kb->releases[i] : NULL;
}

const struct kup_version *kup_kb_newest(const struct kup_kb *kb)
{
	return &kb->newest;
}

const char *kup_kb_checked(const struct kup_kb *kb)
{
	return kb->checked[0] ? kb->checked : NULL;
}

bool kup_kb_has_component(const struct kup_kb *kb, const char *component)
{
	size_t i;

	for (i = 0; i < kb->ncomponents; i++)
		if (strcmp(kb->components[i], component) == 0)
			return true;
	return false;
}

bool kup_kb_component_newest(const struct kup_kb *kb, const char *component,
			     struct kup_version *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < kb->nrules; i++) {
		const struct kup_api_rule *r = &kb->rules[i];
		const struct kup_version *v[2] = { &r->deprecated_in, &r->removed_in };
		size_t j;

		if (strcmp(r->component, component) != 0)
			continue;
		for (j = 0; j < 2; j++)
			if (v[j]->valid && (!out->valid || kup_version_cmp(v[j], out) > 0))
				*out = *v[j];
	}
	return out->valid;
}

size_t kup_kb_scheduled_count(const struct kup_kb *kb)
{
	return kb->nscheduled;
}

const struct kup_release *kup_kb_scheduled_at(const struct kup_kb *kb, size_t i)
{
	return i < kb->nscheduled ? &kb->scheduled[i] : NULL;
}

const struct kup_release *kup_kb_find_scheduled(const struct kup_kb *kb,
						const struct kup_version *v)
{
	size_t i;

	for (i = 0; kb && v && v->valid && i < kb->nscheduled; i++)
		if (kup_version_cmp_minor(&kb->scheduled[i].version, v) == 0)
			return &kb->scheduled[i];
	return NULL;
}
