/*
 * convert_crd.c - CustomResourceDefinition apiextensions.k8s.io/v1beta1 -> v1,
 * and the fragment helpers the converters share: a node's own source text,
 * re-indented so that it can be written somewhere else.
 *
 * Field names checked against apiextensions-apiserver
 * pkg/apis/apiextensions/v1beta1/types.go (CustomResourceDefinitionSpec:
 * group, version, names, scope, validation{openAPIV3Schema}, subresources,
 * versions[]{name, served, storage, schema, subresources,
 * additionalPrinterColumns}, additionalPrinterColumns[]{name, type, format,
 * description, priority, JSONPath}, conversion{strategy,
 * webhookClientConfig, conversionReviewVersions}, preserveUnknownFields
 * (default true)) and v1/types.go (versions[].schema{openAPIV3Schema},
 * columns' `jsonPath`, conversion{strategy, webhook{clientConfig,
 * conversionReviewVersions}}, scope without a default,
 * preserveUnknownFields may only be false).  The v1beta1 rule "version
 * must match the first item of versions" comes from its doc comment
 * ("Should be always first item in Versions field if provided").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fix_int.h"
#include "kupgrade/report.h"

/* The fragment helpers are declared (and described) in fix_int.h. */

/* ---- fragments --------------------------------------------------------------------- */

static bool is_block_coll(const struct kup_node *n)
{
	return n->kind != KUP_NODE_SCALAR && n->style == KUP_STYLE_BLOCK && n->len > 0;
}

static bool is_block_scalar(const struct kup_node *n)
{
	return n->kind == KUP_NODE_SCALAR &&
	       (n->style == KUP_STYLE_LITERAL || n->style == KUP_STYLE_FOLDED);
}

static void add_spaces(struct kup_buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kup_buf_addc(b, ' ');
}

void kup_fix_fragment(const char *text, const struct kup_node *n, const struct kup_fix_subst *subs,
		      size_t nsubs, struct kup_buf *out)
{
	struct kup_buf raw = KUP_BUF_INIT;
	size_t pos = n->start;
	for (size_t i = 0; i < nsubs; i++) {
		if (subs[i].start < pos || subs[i].end > n->end || subs[i].start > subs[i].end)
			continue;
		kup_buf_add(&raw, text + pos, subs[i].start - pos);
		kup_buf_adds(&raw, subs[i].text);
		pos = subs[i].end;
	}
	kup_buf_add(&raw, text + pos, n->end - pos);
	if (raw.oom) {
		out->oom = true;
		kup_buf_release(&raw);
		return;
	}
	const char *r = raw.buf ? raw.buf : "";
	size_t rn = raw.len;

	/* How much indentation the lines after the first lose. */
	size_t d = n->column > 0 ? n->column - 1 : 0;
	for (size_t p = 0; p < rn; p++) {
		if (r[p] != '\n')
			continue;
		size_t k = 0;
		while (p + 1 + k < rn && r[p + 1 + k] == ' ')
			k++;
		size_t q = p + 1 + k;
		bool blank = q >= rn || r[q] == '\n' || (r[q] == '\r' && (q + 1 >= rn || r[q + 1] == '\n'));
		bool comment = n->kind != KUP_NODE_SCALAR && q < rn && r[q] == '#';
		if (!blank && !comment && k < d)
			d = k;
	}

	size_t mark = out->len;
	bool line_start = false;
	for (size_t p = 0; p < rn; p++) {
		if (line_start) {
			size_t k = 0;
			while (k < d && p < rn && r[p] == ' ') {
				p++;
				k++;
			}
			line_start = false;
			if (p >= rn)
				break;
		}
		if (r[p] == '\r' && p + 1 < rn && r[p + 1] == '\n')
			continue;
		kup_buf_addc(out, r[p]);
		if (r[p] == '\n')
			line_start = true;
	}
	kup_buf_release(&raw);
	if (out->oom)
		return;
	if (is_block_scalar(n)) {
		if (out->len > mark && out->buf[out->len - 1] != '\n')
			kup_buf_addc(out, '\n');
		return;
	}
	while (out->len > mark && strchr(" \t\r\n", out->buf[out->len - 1])) {
		out->len--;
		out->buf[out->len] = '\0';
	}
	if (is_block_coll(n))
		kup_buf_addc(out, '\n');
}

/* Appends frag's lines after the first, each `indent` spaces deeper (blank lines stay empty). */
static void add_rest(struct kup_buf *out, const char *frag, size_t indent)
{
	bool line_start = false;
	for (const char *p = frag; *p; p++) {
		if (line_start && *p != '\n')
			add_spaces(out, indent);
		line_start = false;
		kup_buf_addc(out, *p);
		if (*p == '\n')
			line_start = true;
	}
}

void kup_fix_put_pair(struct kup_buf *out, size_t indent, size_t step, const char *key,
		      const char *frag)
{
	size_t n = strlen(frag);
	add_spaces(out, indent);
	kup_buf_adds(out, key);
	kup_buf_addc(out, ':');
	bool block = n > 0 && frag[n - 1] == '\n' && frag[0] != '|' && frag[0] != '>';
	if (block) {
		kup_buf_addc(out, '\n');
		add_spaces(out, indent + step);
	} else if (n) {
		kup_buf_addc(out, ' ');
	}
	add_rest(out, frag, indent + step);
	if (!n || frag[n - 1] != '\n')
		kup_buf_addc(out, '\n');
}

size_t kup_fix_step(const struct kup_node *obj)
{
	if (!obj || obj->kind != KUP_NODE_MAP || obj->style != KUP_STYLE_BLOCK || !obj->len)
		return 2;
	uint32_t col = obj->u.pairs[0].key->column;
	for (size_t i = 0; i < obj->len; i++) {
		const struct kup_node *v = obj->u.pairs[i].value;
		if (v->kind == KUP_NODE_MAP && v->style == KUP_STYLE_BLOCK && v->len) {
			uint32_t c = v->u.pairs[0].key->column;
			if (c > col && c - col <= 8)
				return c - col;
			return 2;
		}
	}
	return 2;
}

/* ---- verbatim block edits -------------------------------------------------------------- */

/* The end of the last thing a pair holds (a block collection: of its last scalar). */
static size_t pair_last(const struct kup_pair *p)
{
	const struct kup_node *n = p->value;
	while (n->kind != KUP_NODE_SCALAR && n->style == KUP_STYLE_BLOCK && n->len > 0)
		n = n->kind == KUP_NODE_MAP ? n->u.pairs[n->len - 1].value : n->u.items[n->len - 1];
	return n->end > p->key->end ? n->end : p->key->end;
}

/* Where the line after a pair starts: a block scalar's end already is one. */
static size_t after_pair(const struct kup_fixer *f, const struct kup_pair *p)
{
	size_t e = pair_last(p);
	return e > 0 && f->text[e - 1] == '\n' ? e : kup_fixer_line_next(f, e);
}

static bool is_flow_map(const struct kup_fixer *f, const struct kup_node *map)
{
	return f->json || map->style != KUP_STYLE_BLOCK;
}

static size_t key_indent(const struct kup_fixer *f, const struct kup_node *map)
{
	size_t k = map->u.pairs[0].key->start;
	return k - kup_fixer_line_start(f, k);
}

/* frag's lines, each `indent` deep (empty lines stay empty), "\n" as the file's eol. */
static void add_lines(struct kup_buf *b, const char *frag, size_t indent, const char *eol)
{
	bool start = true;
	for (const char *p = frag; *p; p++) {
		if (*p == '\n') {
			kup_buf_adds(b, eol);
			start = true;
			continue;
		}
		if (start)
			add_spaces(b, indent);
		start = false;
		kup_buf_addc(b, *p);
	}
}

static bool replace_with(struct kup_fixer *f, size_t start, size_t end, struct kup_buf *b)
{
	bool ok = !b->oom && kup_fixer_replace(f, start, end, b->buf ? b->buf : "", b->len);
	if (b->oom)
		f->oom = true;
	kup_buf_release(b);
	return ok;
}

bool kup_fix_set_value(struct kup_fixer *f, const struct kup_node *map, size_t i,
		       const char *frag, size_t step)
{
	if (!map || map->kind != KUP_NODE_MAP || i >= map->len || is_flow_map(f, map))
		return kup_fixer_replace_value(f, map, i, frag);
	const struct kup_pair *p = &map->u.pairs[i];
	size_t c = p->key->end;
	while (c < f->len && (f->text[c] == ' ' || f->text[c] == '\t'))
		c++;
	if (c >= f->len || f->text[c] != ':') {
		kup_fixer_unfixable(f, "cannot find the ':' of '%s'", kup_node_str(p->key));
		return true;
	}
	c++;
	size_t e = pair_last(p);
	if (e < c)
		e = c;
	bool ends_line = e > c && f->text[e - 1] == '\n';
	const char *eol = f->eol ? f->eol : "\n";
	struct kup_buf b = KUP_BUF_INIT;
	kup_buf_init(&b);
	size_t n = strlen(frag);
	bool block = memchr(frag, '\n', n) != NULL;
	while (n > 0 && frag[n - 1] == '\n')
		n--;
	if (block) {
		char *v = kup_strndup(frag, n);
		if (!v) {
			kup_buf_release(&b);
			f->oom = true;
			return false;
		}
		kup_buf_adds(&b, eol);
		add_lines(&b, v, key_indent(f, map) + step, eol);
		free(v);
	} else {
		kup_buf_addc(&b, ' ');
		kup_buf_add(&b, frag, n);
	}
	if (ends_line)
		kup_buf_adds(&b, eol);
	return replace_with(f, c, e, &b);
}

bool kup_fix_append_pair(struct kup_fixer *f, const struct kup_node *map, const char *key,
			 const char *frag, size_t step)
{
	if (!map || map->kind != KUP_NODE_MAP || !map->len || is_flow_map(f, map))
		return kup_fixer_add_pair(f, map, key, frag);
	const char *eol = f->eol ? f->eol : "\n";
	size_t pos = after_pair(f, &map->u.pairs[map->len - 1]);
	size_t indent = key_indent(f, map);
	struct kup_buf b = KUP_BUF_INIT;
	kup_buf_init(&b);
	bool need_eol = pos == f->len && pos > 0 && f->text[pos - 1] != '\n';
	/* ... unless the unterminated last line is deleted from its start */
	for (size_t k = 0; need_eol && k < f->nedits; k++)
		if (f->edits[k].end == f->len && f->edits[k].start < f->len && !f->edits[k].len &&
		    (f->edits[k].start == 0 || f->text[f->edits[k].start - 1] == '\n'))
			need_eol = false;
	if (need_eol)
		kup_buf_adds(&b, eol);
	add_spaces(&b, indent);
	kup_buf_adds(&b, key);
	kup_buf_addc(&b, ':');
	size_t n = strlen(frag);
	if (strchr(frag, '\n')) {
		kup_buf_adds(&b, eol);
		add_lines(&b, frag, indent + step, eol);
		if (n && frag[n - 1] != '\n')
			kup_buf_adds(&b, eol);
	} else {
		kup_buf_addc(&b, ' ');
		kup_buf_adds(&b, frag);
		kup_buf_adds(&b, eol);
	}
	return replace_with(f, pos, pos, &b);
}

bool kup_fix_remove_pair(struct kup_fixer *f, const struct kup_node *map, size_t i)
{
	if (!map || map->kind != KUP_NODE_MAP || i >= map->len || is_flow_map(f, map) ||
	    map->len == 1)
		return kup_fixer_delete_pair(f, map, i);
	const struct kup_pair *p = &map->u.pairs[i];
	size_t ls = kup_fixer_line_start(f, p->key->start);
	for (size_t k = ls; k < p->key->start; k++)
		if (f->text[k] != ' ' && f->text[k] != '\t')
			return kup_fixer_delete_pair(f, map, i);   /* `- key:` */
	size_t end = after_pair(f, p);
	if (end == f->len && ls > 0 && f->text[end - 1] != '\n') {
		/* the last line has no line end: the one before goes instead, unless edited */
		size_t from = ls - 1;
		if (from > 0 && f->text[from - 1] == '\r')
			from--;
		bool untouched = true;
		for (size_t k = 0; k < f->nedits; k++)
			if (f->edits[k].start < ls && f->edits[k].end > from)
				untouched = false;
		if (untouched)
			ls = from;
	}
	return kup_fixer_replace(f, ls, end, "", 0);
}

/* The first block sequence that is a map value, depth first (NULL if none). */
static const struct kup_node *first_seq(const struct kup_node *n, const struct kup_node **key,
					size_t depth)
{
	if (depth > 64 || n->kind == KUP_NODE_SCALAR || n->style != KUP_STYLE_BLOCK)
		return NULL;
	for (size_t i = 0; i < n->len; i++) {
		const struct kup_node *v = n->kind == KUP_NODE_MAP ? n->u.pairs[i].value : n->u.items[i];
		if (n->kind == KUP_NODE_MAP && v->kind == KUP_NODE_SEQ && v->style == KUP_STYLE_BLOCK &&
		    v->len) {
			*key = n->u.pairs[i].key;
			return v;
		}
		const struct kup_node *r = first_seq(v, key, depth + 1);
		if (r)
			return r;
	}
	return NULL;
}

size_t kup_fix_seq_step(const struct kup_node *obj, size_t step)
{
	const struct kup_node *key = NULL;
	const struct kup_node *seq = obj ? first_seq(obj, &key, 0) : NULL;
	if (seq && key && seq->line > key->line && seq->column == key->column)
		return 0;
	return step;
}

/* A node's fragment as a malloc'd string (NULL when memory ran out). */
static char *fragment_of(struct kup_fixer *f, const struct kup_node *n,
			 const struct kup_fix_subst *subs, size_t nsubs)
{
	struct kup_buf b = KUP_BUF_INIT;
	kup_buf_init(&b);
	kup_fix_fragment(f->text, n, subs, nsubs, &b);
	if (b.oom) {
		kup_buf_release(&b);
		f->oom = true;
		return NULL;
	}
	return kup_buf_detach(&b, NULL);
}

/* ---- the structural-schema check ----------------------------------------------------- */

static bool is_true(const struct kup_node *n)
{
	bool b;
	return n && kup_node_bool(n, &b) && b;
}

static bool structural(const struct kup_node *s, struct kup_buf *path, struct kup_buf *why,
		       bool root)
{
	if (!s || s->kind != KUP_NODE_MAP) {
		kup_buf_addf(why, "a schema that is not a map at %s", path->buf);
		return false;
	}
	const struct kup_node *t = kup_node_get(s, "type");
	bool typed = t && t->kind == KUP_NODE_SCALAR && t->tag != KUP_TAG_NULL && t->len > 0;
	if (!typed && root && t) {
		kup_buf_addf(why, "no type at %s", path->buf);
		return false;
	}
	if (!typed && !root && !is_true(kup_node_get(s, "x-kubernetes-int-or-string")) &&
	    !is_true(kup_node_get(s, "x-kubernetes-preserve-unknown-fields"))) {
		kup_buf_addf(why, "no type at %s", path->buf);
		return false;
	}
	size_t mark = path->len;
	const struct kup_node *props = kup_node_get(s, "properties");
	if (props && props->kind == KUP_NODE_MAP) {
		for (size_t i = 0; i < props->len; i++) {
			kup_buf_addf(path, ".properties.%s", kup_node_str(props->u.pairs[i].key)
				     ? kup_node_str(props->u.pairs[i].key) : "?");
			bool ok = structural(props->u.pairs[i].value, path, why, false);
			path->len = mark;
			path->buf[mark] = '\0';
			if (!ok)
				return false;
		}
	}
	const struct kup_node *items = kup_node_get(s, "items");
	if (items && items->kind == KUP_NODE_SEQ) {
		kup_buf_addf(why, "items is a list at %s", path->buf);
		return false;
	}
	if (items) {
		kup_buf_adds(path, ".items");
		bool ok = structural(items, path, why, false);
		path->len = mark;
		path->buf[mark] = '\0';
		if (!ok)
			return false;
	}
	const struct kup_node *ap = kup_node_get(s, "additionalProperties");
	if (ap && ap->kind == KUP_NODE_MAP) {
		kup_buf_adds(path, ".additionalProperties");
		bool ok = structural(ap, path, why, false);
		path->len = mark;
		path->buf[mark] = '\0';
		if (!ok)
			return false;
	}
	return true;
}

/*
 * True when `schema` is structural as far as types go: every node reached
 * through properties, items and additionalProperties has a `type`, unless
 * x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields is
 * true on it.  Otherwise `why` gets "no type at <base><path>".
 */
bool kup_crd_schema_structural(const struct kup_node *schema, const char *base,
			       struct kup_buf *why)
{
	struct kup_buf path = KUP_BUF_INIT;
	kup_buf_init(&path);
	kup_buf_adds(&path, base);
	bool ok = structural(schema, &path, why, false);
	kup_buf_release(&path);
	return ok;
}

/* As kup_crd_schema_structural(), but a root without a type passes (fix adds `type: object`). */
static bool structural_but_root_type(const struct kup_node *schema, const char *base,
				     struct kup_buf *why)
{
	struct kup_buf path = KUP_BUF_INIT;
	kup_buf_init(&path);
	kup_buf_adds(&path, base);
	bool ok = structural(schema, &path, why, true);
	kup_buf_release(&path);
	return ok;
}

/* ---- unknown fields kept at every level ------------------------------------------------- */

/*
 * v1beta1 with preserveUnknownFields true (its default) prunes nothing; v1
 * prunes the unknown fields of every object schema with properties unless it
 * says x-kubernetes-preserve-unknown-fields: true.  So the marker goes on the
 * root and on every object schema reached through properties, items and
 * additionalProperties -- except those that cannot take it: one that already
 * has it, x-kubernetes-int-or-string, a map-valued additionalProperties (every
 * key is known), `metadata` at the root or of an embedded resource (only name
 * and generateName may be specified there).  The root also gets `type:
 * object` when it has no type (v1 requires one; a custom resource is always an
 * object).  Pruning: apiextensions-apiserver pkg/apiserver/schema/pruning;
 * restrictions: pkg/apiserver/schema/validation.go (1.20.2).
 */
struct marks {
	const struct kup_node **nodes;   /* post-order: children before their parent */
	char *what;                      /* per node: 'p' preserve, 't' type: object */
	size_t n, cap;
	bool oom;
};

static void mark_add(struct marks *m, const struct kup_node *n, char what)
{
	if (m->oom)
		return;
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 16;
		const struct kup_node **nv = kup_xrealloc_array(m->nodes, nc, sizeof *nv);
		if (!nv) {
			m->oom = true;
			return;
		}
		m->nodes = nv;
		char *wv = kup_xrealloc_array(m->what, nc, 1);
		if (!wv) {
			m->oom = true;
			return;
		}
		m->what = wv;
		m->cap = nc;
	}
	m->nodes[m->n] = n;
	m->what[m->n] = what;
	m->n++;
}

static void collect_marks(const struct kup_node *s, bool root, bool preserve, struct marks *m,
			  size_t depth)
{
	if (!s || s->kind != KUP_NODE_MAP || depth > 200)
		return;
	bool embedded = is_true(kup_node_get(s, "x-kubernetes-embedded-resource"));
	const struct kup_node *props = kup_node_get(s, "properties");
	if (preserve && props && props->kind == KUP_NODE_MAP)
		for (size_t i = 0; i < props->len; i++) {
			if ((root || embedded) && kup_node_eq(props->u.pairs[i].key, "metadata"))
				continue;
			collect_marks(props->u.pairs[i].value, false, preserve, m, depth + 1);
		}
	const struct kup_node *items = kup_node_get(s, "items");
	if (preserve && items && items->kind == KUP_NODE_MAP)
		collect_marks(items, false, preserve, m, depth + 1);
	const struct kup_node *ap = kup_node_get(s, "additionalProperties");
	if (preserve && ap && ap->kind == KUP_NODE_MAP)
		collect_marks(ap, false, preserve, m, depth + 1);
	const struct kup_node *t = kup_node_get(s, "type");
	bool typed = t && t->kind == KUP_NODE_SCALAR && t->tag != KUP_TAG_NULL && t->len > 0;
	if (root && !typed && kup_map_index(s, "type") < 0)
		mark_add(m, s, 't');
	bool object = root || kup_node_eq(t, "object") || (!typed && props);
	if (preserve && object && kup_map_index(s, "x-kubernetes-preserve-unknown-fields") < 0 &&
	    !is_true(kup_node_get(s, "x-kubernetes-int-or-string")) &&
	    !(ap && ap->kind == KUP_NODE_MAP))
		mark_add(m, s, 'p');
}

static void marks_release(struct marks *m)
{
	free(m->nodes);
	free(m->what);
}

static const char *mark_key(char what)
{
	return what == 't' ? "type" : "x-kubernetes-preserve-unknown-fields";
}

static const char *mark_value(char what)
{
	return what == 't' ? "object" : "true";
}

/* ---- the converter ---------------------------------------------------------------------- */

static const struct kup_node *pair_value(const struct kup_node *map, long i)
{
	return i >= 0 ? map->u.pairs[i].value : NULL;
}

static bool is_null(const struct kup_node *n)
{
	return !n || (n->kind == KUP_NODE_SCALAR && n->tag == KUP_TAG_NULL);
}

/* The openAPIV3Schema map under a `validation` / `schema` value, or NULL. */
static const struct kup_node *schema_root(const struct kup_node *validation)
{
	const struct kup_node *s = kup_node_get(validation, "openAPIV3Schema");
	return is_null(s) ? NULL : s;
}

/* `jsonPath` spelled with the quoting of key node k. */
static const char *json_path_like(const struct kup_node *k)
{
	if (k->style == KUP_STYLE_DOUBLE)
		return "\"jsonPath\"";
	if (k->style == KUP_STYLE_SINGLE)
		return "'jsonPath'";
	return "jsonPath";
}

/* The substitutions renaming every JSONPath key of a column list (v1: jsonPath). */
static bool column_subs(const struct kup_node *cols, struct kup_fix_subst **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (!cols || cols->kind != KUP_NODE_SEQ || !cols->len)
		return true;
	struct kup_fix_subst *v = kup_calloc(cols->len, sizeof *v);
	if (!v)
		return false;
	size_t n = 0;
	for (size_t i = 0; i < cols->len; i++) {
		long j = kup_map_index(cols->u.items[i], "JSONPath");
		if (j < 0)
			continue;
		const struct kup_node *k = cols->u.items[i]->u.pairs[j].key;
		v[n++] = (struct kup_fix_subst){ k->start, k->end, json_path_like(k) };
	}
	*out = v;
	*nout = n;
	return true;
}

/* Renames JSONPath -> jsonPath in place in a column list. */
static bool rename_columns(struct kup_fixer *f, const struct kup_node *cols)
{
	if (!cols || cols->kind != KUP_NODE_SEQ)
		return true;
	for (size_t i = 0; i < cols->len; i++) {
		long j = kup_map_index(cols->u.items[i], "JSONPath");
		if (j >= 0 && !kup_fixer_rename_key(f, cols->u.items[i], (size_t)j, "jsonPath"))
			return false;
	}
	return true;
}

/* Where a pair is added to map `m` and the text to add there, for a fragment copy. */
static bool mark_subst(struct kup_fixer *f, const struct kup_node *m, char what,
		       const struct kup_node *root, struct kup_buf *b, size_t *pos)
{
	const char *key = mark_key(what), *val = mark_value(what);
	if (m->style == KUP_STYLE_FLOW || f->json) {
		*pos = m->len ? m->u.pairs[m->len - 1].value->end : m->start + 1;
		if (m->len)
			kup_buf_adds(b, ", ");
		if (f->json)
			kup_buf_addf(b, "\"%s\": %s", key, what == 't' ? "\"object\"" : val);
		else
			kup_buf_addf(b, "%s: %s", key, val);
		return !b->oom;
	}
	if (!m->len)
		return false;
	size_t p = after_pair(f, &m->u.pairs[m->len - 1]);
	if (p > root->end)
		p = root->end;
	bool at_line_start = p > 0 && f->text[p - 1] == '\n';
	if (!at_line_start)
		kup_buf_addc(b, '\n');
	add_spaces(b, key_indent(f, m));
	kup_buf_addf(b, "%s: %s", key, val);
	if (at_line_start)
		kup_buf_addc(b, '\n');
	*pos = p;
	return !b->oom;
}

struct msub {
	struct kup_fix_subst s;
	size_t seq;
};

static int msub_cmp(const void *a, const void *b)
{
	const struct msub *x = a, *y = b;
	if (x->s.start != y->s.start)
		return x->s.start < y->s.start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The fragment of schema root `schema` with the marks added: a malloc'd
 * string, NULL when memory ran out or a mark has no place (f->unfixable).
 */
static char *marked_fragment(struct kup_fixer *f, const struct kup_node *schema,
			     const struct marks *m)
{
	struct msub *v = m->n ? kup_calloc(m->n, sizeof *v) : NULL;
	struct kup_buf *bufs = m->n ? kup_calloc(m->n, sizeof *bufs) : NULL;
	struct kup_fix_subst *subs = m->n ? kup_calloc(m->n, sizeof *subs) : NULL;
	char *out = NULL;
	if (m->n && (!v || !bufs || !subs)) {
		f->oom = true;
		goto out;
	}
	for (size_t i = 0; i < m->n; i++) {
		kup_buf_init(&bufs[i]);
		size_t pos = 0;
		if (!mark_subst(f, m->nodes[i], m->what[i], schema, &bufs[i], &pos)) {
			if (bufs[i].oom)
				f->oom = true;
			else
				kup_fixer_unfixable(f, "cannot add %s to a schema", mark_key(m->what[i]));
			goto out;
		}
		v[i] = (struct msub){ { pos, pos, bufs[i].buf }, i };
	}
	if (m->n)
		qsort(v, m->n, sizeof *v, msub_cmp);
	for (size_t i = 0; i < m->n; i++)
		subs[i] = v[i].s;
	out = fragment_of(f, schema, subs, m->n);
out:
	for (size_t i = 0; bufs && i < m->n; i++)
		kup_buf_release(&bufs[i]);
	free(bufs);
	free(v);
	free(subs);
	return out;
}

bool kup_convert_crd_v1beta1(struct kup_fixer *f, const struct kup_node *obj, const char *from,
			     const char *to)
{
	(void)from;
	(void)to;
	const struct kup_node *spec = kup_node_get(obj, "spec");
	if (!spec || spec->kind != KUP_NODE_MAP) {
		kup_fixer_unfixable(f, "spec is missing or not a map");
		return true;
	}
	size_t step = kup_fix_step(obj);
	size_t sstep = kup_fix_seq_step(obj, step);
	long i_version = kup_map_index(spec, "version");
	long i_versions = kup_map_index(spec, "versions");
	long i_validation = kup_map_index(spec, "validation");
	long i_sub = kup_map_index(spec, "subresources");
	long i_cols = kup_map_index(spec, "additionalPrinterColumns");
	long i_puf = kup_map_index(spec, "preserveUnknownFields");
	long i_scope = kup_map_index(spec, "scope");
	const struct kup_node *version = pair_value(spec, i_version);
	const struct kup_node *versions = pair_value(spec, i_versions);
	const struct kup_node *validation = pair_value(spec, i_validation);
	const struct kup_node *schema = validation ? schema_root(validation) : NULL;
	const struct kup_node *sub = pair_value(spec, i_sub);
	const struct kup_node *cols = pair_value(spec, i_cols);
	if (is_null(sub))
		sub = NULL;
	if (is_null(cols))
		cols = NULL;

	/* ---- what cannot be converted mechanically ---- */
	if (is_null(versions)) {
		versions = NULL;
		if (!version || version->kind != KUP_NODE_SCALAR || is_null(version)) {
			kup_fixer_unfixable(f, "spec has neither version nor versions");
			return true;
		}
	} else if (versions->kind != KUP_NODE_SEQ || !versions->len) {
		kup_fixer_unfixable(f, "spec.versions is not a non-empty list");
		return true;
	}
	if (versions) {
		for (size_t i = 0; i < versions->len; i++) {
			const struct kup_node *it = versions->u.items[i];
			if (it->kind != KUP_NODE_MAP || !kup_node_str(kup_node_get(it, "name"))) {
				kup_fixer_unfixable(f, "spec.versions[%zu] has no name", i);
				return true;
			}
			if (schema && kup_node_get(it, "schema")) {
				kup_fixer_unfixable(f, "spec.validation and spec.versions[%zu].schema "
						    "are both set", i);
				return true;
			}
			if (sub && kup_node_get(it, "subresources")) {
				kup_fixer_unfixable(f, "spec.subresources and spec.versions[%zu]."
						    "subresources are both set", i);
				return true;
			}
			if (cols && kup_node_get(it, "additionalPrinterColumns")) {
				kup_fixer_unfixable(f, "spec.additionalPrinterColumns and spec.versions"
						    "[%zu].additionalPrinterColumns are both set", i);
				return true;
			}
		}
		const char *first = kup_node_str(kup_node_get(versions->u.items[0], "name"));
		if (version && !is_null(version) &&
		    (!kup_node_str(version) || strcmp(kup_node_str(version), first) != 0)) {
			kup_fixer_unfixable(f, "spec.version '%s' is not the first of spec.versions ('%s')",
					    kup_node_str(version) ? kup_node_str(version) : "?", first);
			return true;
		}
	}
	bool preserve = true;   /* the v1beta1 default */
	if (i_puf >= 0 && !is_null(pair_value(spec, i_puf)) &&
	    !kup_node_bool(pair_value(spec, i_puf), &preserve)) {
		kup_fixer_unfixable(f, "spec.preserveUnknownFields is not a boolean");
		return true;
	}
	struct kup_buf why = KUP_BUF_INIT;
	kup_buf_init(&why);
	bool structural_ok = true;
	if (schema)
		structural_ok = structural_but_root_type(schema, "spec.validation.openAPIV3Schema", &why);
	for (size_t i = 0; structural_ok && versions && i < versions->len; i++) {
		const struct kup_node *vs = schema_root(kup_node_get(versions->u.items[i], "schema"));
		char base[64];
		snprintf(base, sizeof base, "spec.versions[%zu].schema.openAPIV3Schema", i);
		if (vs)
			structural_ok = structural_but_root_type(vs, base, &why);
	}
	if (!structural_ok) {
		if (!why.oom)
			kup_fixer_unfixable(f, "the schema is not structural: %s", why.buf);
		bool oom = why.oom;
		kup_buf_release(&why);
		return !oom;
	}
	kup_buf_release(&why);
	const struct kup_node *conv = kup_node_get(spec, "conversion");
	long i_wcc = kup_map_index(conv, "webhookClientConfig");
	long i_crv = kup_map_index(conv, "conversionReviewVersions");
	bool webhook = kup_node_eq(kup_node_get(conv, "strategy"), "Webhook");
	if (webhook && i_wcc < 0 && !kup_node_get(conv, "webhook")) {
		kup_fixer_unfixable(f, "spec.conversion.strategy is Webhook but "
				    "webhookClientConfig is missing");
		return true;
	}

	/* ---- the fragments every version gets ---- */
	size_t defaulted = 0, ntype = 0;
	char *schema_frag = NULL, *sub_frag = NULL, *cols_frag = NULL, *root_frag = NULL;
	struct kup_fix_subst *csubs = NULL;
	size_t ncsubs = 0;
	struct kup_buf b = KUP_BUF_INIT;
	struct marks mk = { NULL, NULL, 0, 0, false };
	kup_buf_init(&b);
	if (schema) {
		collect_marks(schema, true, preserve, &mk, 0);
		if (mk.oom)
			goto nomem;
		for (size_t k = 0; k < mk.n; k++)
			ntype += mk.what[k] == 't';
		root_frag = marked_fragment(f, schema, &mk);
		if (!root_frag)
			goto out;
		kup_fix_put_pair(&b, 0, step, "openAPIV3Schema", root_frag);
	} else {
		kup_buf_adds(&b, "openAPIV3Schema:\n");
		add_spaces(&b, step);
		kup_buf_adds(&b, "type: object\n");
		add_spaces(&b, step);
		kup_buf_adds(&b, "x-kubernetes-preserve-unknown-fields: true\n");
	}
	if (b.oom)
		goto nomem;
	schema_frag = kup_buf_detach(&b, NULL);
	kup_buf_init(&b);
	if (sub && !(sub_frag = fragment_of(f, sub, NULL, 0)))
		goto nomem;
	if (cols) {
		if (!column_subs(cols, &csubs, &ncsubs))
			goto nomem;
		if (!(cols_frag = fragment_of(f, cols, csubs, ncsubs)))
			goto nomem;
	}

	/* ---- versions ---- */
	if (!versions) {
		/*
		 * Write the version's value, not its source bytes: a plain scalar
		 * may be folded over several lines.  A CRD version is a DNS label;
		 * anything else is written double-quoted (JSON escapes are YAML).
		 */
		const char *vs = version->u.str;
		bool plain = version->len > 0;
		for (size_t k = 0; k < version->len; k++)
			if (!((vs[k] >= 'a' && vs[k] <= 'z') || (vs[k] >= '0' && vs[k] <= '9') ||
			      (vs[k] == '-' && k > 0)))
				plain = false;
		kup_buf_adds(&b, "- name: ");
		if (plain) {
			kup_buf_add(&b, vs, version->len);
		} else {
			kup_buf_addc(&b, '"');
			kup_json_escape(&b, vs);
			kup_buf_addc(&b, '"');
		}
		kup_buf_adds(&b, "\n  served: true\n  storage: true\n");
		kup_fix_put_pair(&b, 2, step, "schema", schema_frag);
		if (sub_frag)
			kup_fix_put_pair(&b, 2, step, "subresources", sub_frag);
		if (cols_frag)
			kup_fix_put_pair(&b, 2, sstep, "additionalPrinterColumns", cols_frag);
		if (b.oom)
			goto nomem;
		if (!kup_fixer_rename_key(f, spec, (size_t)i_version, "versions") ||
		    !kup_fix_set_value(f, spec, (size_t)i_version, b.buf, sstep))
			goto out;
		kup_fixer_note(f, "spec.version became spec.versions");
	} else {
		for (size_t i = 0; i < versions->len; i++) {
			const struct kup_node *it = versions->u.items[i];
			const struct kup_node *vs = schema_root(kup_node_get(it, "schema"));
			if (vs) {
				mk.n = 0;
				collect_marks(vs, true, preserve, &mk, 0);
				if (mk.oom)
					goto nomem;
				for (size_t k = 0; k < mk.n; k++)
					ntype += mk.what[k] == 't';
				for (size_t k = 0; k < mk.n; k++)
					if (!kup_fix_append_pair(f, mk.nodes[k], mark_key(mk.what[k]),
								 mark_value(mk.what[k]), step))
						goto out;
			} else if (kup_node_get(it, "schema")) {
				kup_fixer_unfixable(f, "spec.versions[%zu].schema has no openAPIV3Schema", i);
				goto out;
			} else {
				if (!kup_fix_append_pair(f, it, "schema", schema_frag, step))
					goto out;
				defaulted += !schema;
			}
			if (sub_frag && !kup_fix_append_pair(f, it, "subresources", sub_frag, step))
				goto out;
			if (cols_frag && !kup_fix_append_pair(f, it, "additionalPrinterColumns", cols_frag,
							     sstep))
				goto out;
			if (!rename_columns(f, kup_node_get(it, "additionalPrinterColumns")))
				goto out;
		}
		if (i_version >= 0) {
			if (!kup_fix_remove_pair(f, spec, (size_t)i_version))
				goto out;
			kup_fixer_note(f, "spec.version removed");
		}
	}
	if (schema)
		kup_fixer_note(f, "spec.validation moved into every version's schema");
	else if (!versions || defaulted)
		kup_fixer_note(f, "a schema that keeps every field added (v1 requires one)");
	if (ntype)
		kup_fixer_note(f, "type: object added at the schema root (v1 requires it)");
	if (sub)
		kup_fixer_note(f, "spec.subresources moved into every version");
	if (cols)
		kup_fixer_note(f, "spec.additionalPrinterColumns moved into every version");

	/* ---- the top level ---- */
	if (i_validation >= 0 && !kup_fix_remove_pair(f, spec, (size_t)i_validation))
		goto out;
	if (i_sub >= 0 && !kup_fix_remove_pair(f, spec, (size_t)i_sub))
		goto out;
	if (i_cols >= 0 && !kup_fix_remove_pair(f, spec, (size_t)i_cols))
		goto out;
	if (preserve) {
		if (i_puf >= 0 && !kup_fix_remove_pair(f, spec, (size_t)i_puf))
			goto out;
		kup_fixer_note(f, "preserveUnknownFields %s became x-kubernetes-preserve-unknown-fields: "
			       "true on every object schema", i_puf >= 0 ? "true" : "(default true)");
	}
	if (i_scope < 0) {
		if (!kup_fix_append_pair(f, spec, "scope", "Namespaced", step))
			goto out;
		kup_fixer_note(f, "scope: Namespaced written (v1 has no default)");
	}

	/* ---- conversion ---- */
	if (i_wcc >= 0) {
		char *w = fragment_of(f, conv->u.pairs[i_wcc].value, NULL, 0);
		if (!w)
			goto nomem;
		kup_buf_reset(&b);
		kup_fix_put_pair(&b, 0, step, "clientConfig", w);
		free(w);
		if (i_crv >= 0) {
			w = fragment_of(f, conv->u.pairs[i_crv].value, NULL, 0);
			if (!w)
				goto nomem;
			kup_fix_put_pair(&b, 0, sstep, "conversionReviewVersions", w);
			free(w);
		} else {
			kup_fix_put_pair(&b, 0, sstep, "conversionReviewVersions", "- v1beta1\n");
		}
		if (b.oom)
			goto nomem;
		if (!kup_fixer_rename_key(f, conv, (size_t)i_wcc, "webhook") ||
		    !kup_fix_set_value(f, conv, (size_t)i_wcc, b.buf, step))
			goto out;
		if (i_crv >= 0 && !kup_fix_remove_pair(f, conv, (size_t)i_crv))
			goto out;
		kup_fixer_note(f, "conversion.webhookClientConfig became conversion.webhook.clientConfig%s",
			       i_crv >= 0 ? "" : " (conversionReviewVersions: [v1beta1] written)");
	} else if (i_crv >= 0 && !webhook) {
		if (!kup_fix_remove_pair(f, conv, (size_t)i_crv))
			goto out;
		kup_fixer_note(f, "conversion.conversionReviewVersions dropped (strategy is not Webhook)");
	}
	goto out;
nomem:
	f->oom = true;
out:
	kup_buf_release(&b);
	marks_release(&mk);
	free(schema_frag);
	free(root_frag);
	free(sub_frag);
	free(cols_frag);
	free(csubs);
	return !f->oom;
}
