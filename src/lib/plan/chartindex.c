/*
 * chartindex.c - a Helm repository index.yaml and the planner's chart
 * choice (chart.h).
 *
 * Helm's loader (helm.sh/helm/v3/pkg/repo index.go loadIndex) refuses an
 * index without apiVersion and drops chart versions that fail validation,
 * logging them; we do the same and report each drop as a warning with its
 * position.  Versions are kept newest first, as Helm's SortEntries does.
 * kubeVersion is checked with kup_semver_range_match (Masterminds/semver v3
 * semantics, see semver.c), as Helm's chartutil.IsCompatibleRange does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/chart.h"
#include "kupgrade/json.h"
#include "kupgrade/version.h"
#include "kupgrade/yaml.h"

#define INDEX_MAX_BYTES (256u * 1024u * 1024u)

struct ictx {
	const char *path;
	const struct kup_error_sink *warnings;
	struct kup_error *err;
	enum kup_status first;        /* first fatal problem */
	size_t docs;
	struct kup_chart_index *idx;
	bool oom;
};

static void fatal(struct ictx *c, enum kup_status code, const struct kup_node *at,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fatal(struct ictx *c, enum kup_status code, const struct kup_node *at,
		  const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->first != KUP_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->first = code;
	kup_error_set(c->err, code, c->path, at ? at->line : 0, at ? at->column : 0, "%s", msg);
}

static void warn(struct ictx *c, const struct kup_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void warn(struct ictx *c, const struct kup_node *at, const char *fmt, ...)
{
	struct kup_error e = KUP_ERROR_INIT;
	char msg[512];
	va_list ap;

	c->idx->skipped++;
	if (!c->warnings)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kup_error_set(&e, KUP_INVALID, c->path, at ? at->line : 0, at ? at->column : 0, "%s", msg);
	kup_error_emit(c->warnings, &e);
	kup_error_release(&e);
}

static void on_read_error(void *ctx, const struct kup_error *err)
{
	struct ictx *c = ctx;

	if (c->first != KUP_OK)
		return;
	c->first = KUP_PARSE;
	if (c->err) {
		kup_error_copy(c->err, err);
		c->err->code = KUP_PARSE;
		if (!c->err->path && c->path)
			c->err->path = kup_strdup(c->path);
	}
}

static const char *sdup(struct ictx *c, const char *s)
{
	return kup_arena_strdup_oom(&c->idx->arena, s, &c->oom);
}

/* A scalar string field, NULL when absent, null, empty or not a scalar. */
static const char *str_field(struct ictx *c, const struct kup_node *map, const char *key)
{
	const struct kup_node *n = kup_node_get(map, key);

	if (!n || n->kind != KUP_NODE_SCALAR || n->tag == KUP_TAG_NULL || n->len == 0 ||
	    strlen(n->u.str) != n->len)
		return NULL;
	return sdup(c, n->u.str);
}

/* Reads one chart version; false (and a warning) when Helm would drop it. */
static bool read_version(struct ictx *c, const char *entry, size_t i, const struct kup_node *n,
			 struct kup_chart_version *cv)
{
	const struct kup_node *f;
	struct kup_error e = KUP_ERROR_INIT;
	int cmp;

	memset(cv, 0, sizeof(*cv));
	cv->line = n->line;
	cv->column = n->column;
	if (n->kind != KUP_NODE_MAP) {
		warn(c, n, "entries.%s[%zu]: not a mapping, skipped", entry, i);
		return false;
	}
	cv->name = str_field(c, n, "name");
	cv->version = str_field(c, n, "version");
	if (!cv->name) {
		warn(c, n, "entries.%s[%zu].name: missing, skipped", entry, i);
		return false;
	}
	if (!cv->version) {
		warn(c, n, "entries.%s[%zu].version: missing, skipped", entry, i);
		return false;
	}
	if (kup_semver_cmp(cv->version, cv->version, &cmp, &e) != KUP_OK) {
		f = kup_node_get(n, "version");
		warn(c, f, "entries.%s[%zu].version: '%.64s' is not a semantic version, skipped",
		     entry, i, cv->version);
		kup_error_release(&e);
		return false;
	}
	cv->prerelease = kup_semver_is_prerelease(cv->version);
	cv->app_version = str_field(c, n, "appVersion");
	cv->kube_version = str_field(c, n, "kubeVersion");
	if (cv->kube_version && kup_semver_range_check(cv->kube_version, &e) != KUP_OK) {
		f = kup_node_get(n, "kubeVersion");
		warn(c, f, "entries.%s[%zu].kubeVersion: %s, skipped", entry, i, e.msg);
		kup_error_release(&e);
		return false;
	}
	cv->created = str_field(c, n, "created");
	cv->digest = str_field(c, n, "digest");
	f = kup_node_get(n, "deprecated");
	if (f)
		kup_node_bool(f, &cv->deprecated);
	f = kup_node_get(n, "urls");
	if (f && f->kind == KUP_NODE_SEQ && f->len) {
		size_t k;
		cv->urls = kup_arena_zalloc(&c->idx->arena, f->len * sizeof(*cv->urls));
		if (!cv->urls) {
			c->oom = true;
			return false;
		}
		for (k = 0; k < f->len; k++) {
			const struct kup_node *u = f->u.items[k];
			if (u->kind == KUP_NODE_SCALAR && u->len && u->tag != KUP_TAG_NULL)
				cv->urls[cv->nurls++] = sdup(c, u->u.str);
		}
	}
	return !c->oom;
}

static int cmp_version_desc(const void *a, const void *b)
{
	const struct kup_chart_version *x = a, *y = b;
	int c = 0;

	kup_semver_cmp(x->version, y->version, &c, NULL);
	if (c)
		return -c;
	/* equal versions (1.0.0 and v1.0.0): keep a stable order by position */
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->column < y->column ? -1 : x->column > y->column;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct kup_chart_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void read_root(struct ictx *c, const struct kup_node *root)
{
	struct kup_chart_index *idx = c->idx;
	const struct kup_node *n, *entries;
	size_t i, j;

	if (root->kind != KUP_NODE_MAP) {
		fatal(c, KUP_INVALID, root, "a Helm repository index must be a mapping");
		return;
	}
	n = kup_node_get(root, "apiVersion");
	if (!n) {
		fatal(c, KUP_INVALID, root, "apiVersion: missing (expected v1): not a Helm repository index");
		return;
	}
	if (!kup_node_eq(n, "v1")) {
		fatal(c, KUP_INVALID, n, "apiVersion: expected v1, not '%.64s'",
		      n->kind == KUP_NODE_SCALAR ? n->u.str : "(a collection)");
		return;
	}
	idx->generated = str_field(c, root, "generated");
	entries = kup_node_get(root, "entries");
	if (!entries) {
		fatal(c, KUP_INVALID, root, "entries: missing");
		return;
	}
	if (entries->kind == KUP_NODE_SCALAR && entries->tag == KUP_TAG_NULL)
		return;   /* an empty repository */
	if (entries->kind != KUP_NODE_MAP) {
		fatal(c, KUP_INVALID, entries, "entries: must be a mapping of chart names to lists");
		return;
	}
	if (!entries->len)
		return;
	idx->entries = kup_arena_zalloc(&idx->arena, entries->len * sizeof(*idx->entries));
	if (!idx->entries) {
		c->oom = true;
		return;
	}
	for (i = 0; i < entries->len && !c->oom; i++) {
		const struct kup_node *key = entries->u.pairs[i].key;
		const struct kup_node *list = entries->u.pairs[i].value;
		struct kup_chart_entry *e;

		if (key->kind != KUP_NODE_SCALAR || key->len == 0 || strlen(key->u.str) != key->len) {
			warn(c, key, "entries: a chart name must be a non-empty string, skipped");
			continue;
		}
		if (list->kind != KUP_NODE_SEQ) {
			warn(c, list, "entries.%s: must be a list of chart versions, skipped", key->u.str);
			continue;
		}
		e = &idx->entries[idx->nentries];
		memset(e, 0, sizeof(*e));   /* the slot of a skipped duplicate is reused */
		e->name = sdup(c, key->u.str);
		if (list->len) {
			e->versions = kup_arena_zalloc(&idx->arena, list->len * sizeof(*e->versions));
			if (!e->versions) {
				c->oom = true;
				return;
			}
		}
		for (j = 0; j < list->len && !c->oom; j++) {
			struct kup_chart_version *cv = &e->versions[e->nversions];
			if (read_version(c, key->u.str, j, list->u.items[j], cv))
				e->nversions++;
		}
		if (e->nversions > 1)
			qsort(e->versions, e->nversions, sizeof(*e->versions), cmp_version_desc);
		/* a chart name twice (YAML allows duplicate keys here): keep the first */
		for (j = 0; j < idx->nentries; j++)
			if (strcmp(idx->entries[j].name, e->name) == 0)
				break;
		if (j < idx->nentries) {
			warn(c, key, "entries.%s: the chart is listed twice, the second list is ignored",
			     e->name);
			continue;
		}
		idx->nentries++;
	}
	if (idx->nentries > 1)
		qsort(idx->entries, idx->nentries, sizeof(*idx->entries), cmp_entry);
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct ictx *c = ctx;

	if (!doc->root)
		return KUP_OK;
	if (++c->docs > 1) {
		fatal(c, KUP_INVALID, doc->root, "more than one document: an index holds one");
		return KUP_OK;
	}
	read_root(c, doc->root);
	return c->oom ? KUP_NOMEM : KUP_OK;
}

enum kup_status kup_chart_index_parse(const char *path, const char *text, size_t len,
				      const struct kup_error_sink *warnings,
				      struct kup_chart_index **out, struct kup_error *err)
{
	struct kup_chart_index *idx;
	struct kup_arena arena;
	struct ictx c;
	size_t nerr = 0;
	enum kup_status st;

	*out = NULL;
	if (!path)
		path = "-";
	idx = kup_calloc(1, sizeof(*idx));
	if (!idx)
		return kup_error_set(err, KUP_NOMEM, path, 0, 0, "out of memory");
	kup_arena_init(&idx->arena, 64 * 1024);
	idx->path = kup_arena_strdup(&idx->arena, path);
	memset(&c, 0, sizeof(c));
	c.path = path;
	c.warnings = warnings;
	c.err = err;
	c.idx = idx;
	kup_arena_init(&arena, 0);
	st = kup_docs_read_mem(text, len, path, NULL, false,
			       (struct kup_error_sink){ .fn = on_read_error, .ctx = &c }, &arena,
			       on_doc, &c, &nerr);
	kup_arena_release(&arena);
	if (st == KUP_OK && (c.oom || kup_arena_failed(&idx->arena)))
		st = KUP_NOMEM;
	if (st == KUP_NOMEM) {
		kup_error_set(err, KUP_NOMEM, path, 0, 0, "out of memory");
		goto fail;
	}
	if (st != KUP_OK) {
		if (c.first == KUP_OK)
			kup_error_set(err, st, path, 0, 0, "cannot read the index: %s", kup_strerror(st));
		goto fail;
	}
	if (c.first == KUP_OK && c.docs == 0)
		fatal(&c, KUP_INVALID, NULL, "empty file: expected a Helm repository index");
	if (c.first != KUP_OK) {
		st = c.first;
		goto fail;
	}
	*out = idx;
	return KUP_OK;
fail:
	kup_chart_index_free(idx);
	return st;
}

enum kup_status kup_chart_index_load(const char *path, const struct kup_error_sink *warnings,
				     struct kup_chart_index **out, struct kup_error *err)
{
	char *text = NULL;
	size_t len = 0;
	enum kup_status st;

	*out = NULL;
	st = kup_read_file(path, INDEX_MAX_BYTES, &text, &len, err);
	if (st != KUP_OK)
		return st;
	st = kup_chart_index_parse(path, text, len, warnings, out, err);
	free(text);
	return st;
}

void kup_chart_index_free(struct kup_chart_index *idx)
{
	if (!idx)
		return;
	kup_arena_release(&idx->arena);
	free(idx);
}

const struct kup_chart_entry *kup_chart_index_find(const struct kup_chart_index *idx,
						   const char *name)
{
	size_t lo = 0, hi = idx->nentries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, idx->entries[mid].name);
		if (c == 0)
			return &idx->entries[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

enum kup_status kup_chart_pick(const struct kup_chart_index *idx, const char *name,
			       const char *k8s_version, const char *pin_app, unsigned flags,
			       struct kup_chart_pick *out, struct kup_error *err)
{
	const struct kup_chart_entry *e;
	enum kup_status st;
	int cmp;
	size_t i;

	memset(out, 0, sizeof(*out));
	st = kup_semver_cmp(k8s_version, k8s_version, &cmp, err);
	if (st != KUP_OK)
		return st;
	if (pin_app) {
		st = kup_semver_range_check(pin_app, err);
		if (st != KUP_OK)
			return st;
	}
	e = kup_chart_index_find(idx, name);
	if (!e)
		return kup_error_set(err, KUP_NOTFOUND, idx->path, 0, 0,
				     "chart '%s' is not in the index", name);
	for (i = 0; i < e->nversions; i++) {
		const struct kup_chart_version *cv = &e->versions[i];
		bool m = false;

		if (cv->deprecated) {
			out->skipped_deprecated++;
			continue;
		}
		if (cv->prerelease && !(flags & KUP_CHART_DEVEL)) {
			out->skipped_prerelease++;
			continue;
		}
		if (!out->newest)
			out->newest = cv;
		if (pin_app) {
			if (!cv->app_version ||
			    kup_semver_range_match(pin_app, cv->app_version, &m, NULL) != KUP_OK || !m) {
				out->skipped_app++;
				continue;
			}
		}
		if (cv->kube_version) {
			/* checked at load time: the range parses, the version was checked above */
			kup_semver_range_match(cv->kube_version, k8s_version, &m, NULL);
			if (!m) {
				bool would = false;
				kup_semver_range_match_flags(cv->kube_version, k8s_version,
							     KUP_SEMVER_IGNORE_PRE, &would, NULL);
				if (would && !out->trapped)
					out->trapped = cv;
				out->skipped_kube++;
				continue;
			}
		}
		out->chosen = cv;
		break;
	}
	return KUP_OK;
}

char *kup_chart_kube_version_at(const char *current, const struct kup_version *at, char *buf,
				size_t size)
{
	struct kup_version cur;

	if (current && kup_version_parse(current, &cur, NULL) == KUP_OK && cur.pre[0] &&
	    !strchr(cur.pre, '+'))
		snprintf(buf, size, "%d.%d.%d-%s", at->major, at->minor,
			 at->has_patch ? at->patch : 0, cur.pre);
	else
		snprintf(buf, size, "%d.%d.%d", at->major, at->minor, at->has_patch ? at->patch : 0);
	return buf;
}
