/*
 * edit.c - the edit primitives of fix_int.h: byte-range splices that keep
 * the surrounding style (block/flow YAML, JSON, indentation, line endings).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/yaml.h"
#include "fix_int.h"

/* ---- text helpers ------------------------------------------------------------------ */

size_t kup_fixer_line_start(const struct kup_fixer *f, size_t pos)
{
	while (pos > 0 && f->text[pos - 1] != '\n')
		pos--;
	return pos;
}

/* The offset just past the '\n' ending the line that holds pos (or len). */
size_t kup_fixer_line_next(const struct kup_fixer *f, size_t pos)
{
	while (pos < f->len && f->text[pos] != '\n')
		pos++;
	return pos < f->len ? pos + 1 : pos;
}

static bool only_blanks(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

static const char *eol(const struct kup_fixer *f)
{
	return f->eol ? f->eol : "\n";
}

#define NO_END ((size_t)-1)

/*
 * The end of the last thing a node holds (block collections: of their last
 * scalar), `floor` being where the node is written at the earliest.  NO_END
 * when the walk reaches a node written before (an alias or a merged pair):
 * the text's real end is then unknown.
 */
static size_t content_end(const struct kup_node *n, size_t floor)
{
	for (;;) {
		if (n->start < floor)
			return NO_END;
		if (n->kind == KUP_NODE_SCALAR || n->style == KUP_STYLE_FLOW || n->len == 0)
			return n->end;
		if (n->kind == KUP_NODE_MAP) {
			const struct kup_pair *p = &n->u.pairs[n->len - 1];
			if (p->key->start < n->start)
				return NO_END;
			floor = p->key->end;
			n = p->value;
		} else {
			floor = n->start;
			n = n->u.items[n->len - 1];
		}
	}
}

static size_t pair_end(const struct kup_pair *p)
{
	size_t e = content_end(p->value, p->key->end);
	if (e == NO_END)
		return NO_END;
	return e > p->key->end ? e : p->key->end;
}

static bool no_end(struct kup_fixer *f, size_t e)
{
	if (e != NO_END)
		return false;
	kup_fixer_unfixable(f, "a value ends in a YAML alias: its end in the text is unknown");
	return true;
}

/* Indentation step of the file: the first `key:` line followed by a deeper line. */
static size_t yaml_step(const struct kup_fixer *f)
{
	size_t pos = 0, prev_indent = 0;
	bool prev_colon = false;
	while (pos < f->len) {
		size_t ind = 0;
		while (pos < f->len && f->text[pos] == ' ') {
			pos++;
			ind++;
		}
		size_t le = pos;
		while (le < f->len && f->text[le] != '\n')
			le++;
		size_t ce = le;
		while (ce > pos && (f->text[ce - 1] == '\r' || f->text[ce - 1] == ' '))
			ce--;
		bool blank = ce == pos || f->text[pos] == '#';
		if (!blank) {
			if (prev_colon && ind > prev_indent && ind - prev_indent <= 8)
				return ind - prev_indent;
			prev_colon = f->text[ce - 1] == ':';
			prev_indent = ind;
		}
		pos = le < f->len ? le + 1 : le;
	}
	return 2;
}

static size_t column_of(const struct kup_fixer *f, size_t pos)
{
	return pos - kup_fixer_line_start(f, pos);
}

/* The step the map itself uses for a nested block map, else the file's. */
static size_t map_step(const struct kup_fixer *f, const struct kup_node *map)
{
	for (size_t i = 0; i < map->len; i++) {
		const struct kup_node *k = map->u.pairs[i].key, *v = map->u.pairs[i].value;
		if (v->kind == KUP_NODE_MAP && v->style == KUP_STYLE_BLOCK && v->len > 0) {
			size_t kc = column_of(f, k->start);
			size_t vc = column_of(f, v->u.pairs[0].key->start);
			if (kup_fixer_line_start(f, k->start) !=
				    kup_fixer_line_start(f, v->u.pairs[0].key->start) &&
			    vc > kc && vc - kc <= 8)
				return vc - kc;
		}
	}
	return yaml_step(f);
}

/*
 * Where a node's own text begins: the parser's start mark includes an
 * anchor (&a) or a tag (!t) written before the node.
 */
static size_t content_start(const struct kup_fixer *f, const struct kup_node *n)
{
	size_t p = n->start;
	while (p < n->end && (f->text[p] == '&' || f->text[p] == '!')) {
		while (p < n->end && f->text[p] != ' ' && f->text[p] != '\t' &&
		       f->text[p] != '\n' && f->text[p] != '\r')
			p++;
		while (p < n->end && (f->text[p] == ' ' || f->text[p] == '\t' ||
				      f->text[p] == '\n' || f->text[p] == '\r'))
			p++;
	}
	return p;
}

/* ---- the edit list ----------------------------------------------------------------- */

static bool overlaps(const struct kup_edit *e, size_t s, size_t t)
{
	if (e->start == e->end && s == t)
		return false;   /* two insertions at the same point keep their order */
	if (e->start == e->end)
		return e->start > s && e->start < t;
	if (s == t)
		return s > e->start && s < e->end;
	return s < e->end && e->start < t;
}

bool kup_fixer_replace(struct kup_fixer *f, size_t start, size_t end, const char *text, size_t len)
{
	if (f->oom)
		return false;
	if (start > end || end > f->len) {
		kup_fixer_unfixable(f, "edit outside the text");
		return true;
	}
	for (size_t i = f->first_edit <= f->nedits ? f->first_edit : 0; i < f->nedits; i++) {
		if (overlaps(&f->edits[i], start, end)) {
			kup_fixer_unfixable(f, "overlapping edits (a node shared through an alias?)");
			return true;
		}
	}
	if (!kup_grow(&f->edits, &f->cap, f->nedits + 1, sizeof *f->edits, 8)) {
		f->oom = true;
		return false;
	}
	char *copy = kup_malloc(len + 1);
	if (!copy) {
		f->oom = true;
		return false;
	}
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	f->edits[f->nedits++] = (struct kup_edit){ start, end, copy, len };
	return true;
}

static bool replace_buf(struct kup_fixer *f, size_t start, size_t end, struct kup_buf *b)
{
	if (b->oom) {
		kup_buf_release(b);
		f->oom = true;
		return false;
	}
	bool ok = kup_fixer_replace(f, start, end, b->buf ? b->buf : "", b->len);
	kup_buf_release(b);
	return ok;
}

/* ---- scalars ----------------------------------------------------------------------- */

static bool plain_safe(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || kup_scalar_resolve(v, n) != KUP_TAG_STR)
		return false;
	if (strchr("-?:,[]{}#&*!|>'\"%@` \t", v[0]))
		return false;
	if (v[n - 1] == ' ' || v[n - 1] == ':')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f)
			return false;
		if (c == ':' && i + 1 < n && v[i + 1] == ' ')
			return false;
		if (c == '#' && i > 0 && v[i - 1] == ' ')
			return false;
		if (strchr(",[]{}", c))
			return false;   /* keeps it safe inside flow collections too */
	}
	return true;
}

static void add_double_quoted(struct kup_buf *b, const char *v)
{
	kup_buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		switch (*p) {
		case '"': kup_buf_adds(b, "\\\""); break;
		case '\\': kup_buf_adds(b, "\\\\"); break;
		case '\n': kup_buf_adds(b, "\\n"); break;
		case '\r': kup_buf_adds(b, "\\r"); break;
		case '\t': kup_buf_adds(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				kup_buf_addf(b, "\\u%04x", *p);
			else
				kup_buf_addc(b, (char)*p);
		}
	}
	kup_buf_addc(b, '"');
}

bool kup_fixer_set_scalar(struct kup_fixer *f, const struct kup_node *scalar, const char *value)
{
	if (!scalar || scalar->kind != KUP_NODE_SCALAR) {
		kup_fixer_unfixable(f, "expected a scalar");
		return true;
	}
	struct kup_buf b = KUP_BUF_INIT;
	if (f->json || scalar->style == KUP_STYLE_DOUBLE) {
		add_double_quoted(&b, value);
	} else if (scalar->style == KUP_STYLE_SINGLE && !strchr(value, '\'') &&
		   !strchr(value, '\n')) {
		kup_buf_addc(&b, '\'');
		kup_buf_adds(&b, value);
		kup_buf_addc(&b, '\'');
	} else if (scalar->style == KUP_STYLE_PLAIN && plain_safe(value)) {
		kup_buf_adds(&b, value);
	} else if (scalar->style == KUP_STYLE_LITERAL || scalar->style == KUP_STYLE_FOLDED) {
		kup_buf_release(&b);
		kup_fixer_unfixable(f, "cannot rewrite a block scalar");
		return true;
	} else {
		add_double_quoted(&b, value);
	}
	return replace_buf(f, content_start(f, scalar), scalar->end, &b);
}

bool kup_fixer_rename_key(struct kup_fixer *f, const struct kup_node *map, size_t i,
			  const char *new_key)
{
	if (!map || map->kind != KUP_NODE_MAP || i >= map->len) {
		kup_fixer_unfixable(f, "no such key");
		return true;
	}
	return kup_fixer_set_scalar(f, map->u.pairs[i].key, new_key);
}

long kup_map_index(const struct kup_node *map, const char *key)
{
	if (!map || map->kind != KUP_NODE_MAP)
		return -1;
	for (size_t i = 0; i < map->len; i++)
		if (kup_node_eq(map->u.pairs[i].key, key))
			return (long)i;
	return -1;
}

/* ---- deleting ------------------------------------------------------------------------ */

bool kup_fix_is_null(const struct kup_node *n)
{
	return n && n->kind == KUP_NODE_SCALAR && n->tag == KUP_TAG_NULL;
}

const struct kup_node *kup_fix_val(const struct kup_node *map, const char *key)
{
	const struct kup_node *v = kup_node_get(map, key);
	return kup_fix_is_null(v) ? NULL : v;
}

bool kup_fixer_put(struct kup_fixer *f, const struct kup_node *map, const char *key,
		   const char *value_yaml)
{
	long i = kup_map_index(map, key);
	if (i >= 0)
		return kup_fixer_replace_value(f, map, (size_t)i, value_yaml);
	return kup_fixer_add_pair(f, map, key, value_yaml);
}

static bool is_flow(const struct kup_fixer *f, const struct kup_node *map)
{
	return f->json || map->style == KUP_STYLE_FLOW;
}

bool kup_fixer_delete_pair(struct kup_fixer *f, const struct kup_node *map, size_t i)
{
	if (!map || map->kind != KUP_NODE_MAP || i >= map->len) {
		kup_fixer_unfixable(f, "no such key");
		return true;
	}
	const struct kup_pair *p = &map->u.pairs[i];
	if (is_flow(f, map)) {
		if (map->len == 1)
			return kup_fixer_replace(f, content_start(f, map) + 1, map->end - 1, "", 0);
		if (i + 1 < map->len)
			return kup_fixer_replace(f, p->key->start, map->u.pairs[i + 1].key->start,
						 "", 0);
		size_t a = pair_end(&map->u.pairs[i - 1]), z = pair_end(p);
		if (no_end(f, a) || no_end(f, z))
			return true;
		return kup_fixer_replace(f, a, z, "", 0);
	}
	size_t ls = kup_fixer_line_start(f, p->key->start);
	bool first_on_line = only_blanks(f->text + ls, p->key->start - ls);
	if (!first_on_line) {
		/* `- key: v` inside a sequence item: pull the next key up. */
		if (i + 1 < map->len)
			return kup_fixer_replace(f, p->key->start, map->u.pairs[i + 1].key->start,
						 "", 0);
		if (map->len == 1)
			return no_end(f, pair_end(p)) ? true
				: kup_fixer_replace(f, p->key->start, pair_end(p), "{}", 2);
		kup_fixer_unfixable(f, "cannot delete '%s' here", kup_node_str(p->key));
		return true;
	}
	if (map->len == 1) {
		kup_fixer_unfixable(f, "cannot delete the only key of a block map");
		return true;
	}
	size_t e = pair_end(p);
	if (no_end(f, e))
		return true;
	if (p->value->kind == KUP_NODE_SCALAR &&
	    (p->value->style == KUP_STYLE_LITERAL || p->value->style == KUP_STYLE_FOLDED) &&
	    e > 0 && f->text[e - 1] == '\n')
		return kup_fixer_replace(f, ls, e, "", 0);
	return kup_fixer_replace(f, ls, kup_fixer_line_next(f, e), "", 0);
}

/* ---- fragments ----------------------------------------------------------------------- */

/* Emits a fragment node as JSON (multi-line at `base` with `unit` when unit > 0). */
static void emit_json(struct kup_buf *b, const struct kup_node *n, size_t base, size_t unit,
		      const char *nl, bool compact)
{
	if (n->kind == KUP_NODE_SCALAR) {
		bool raw = n->style == KUP_STYLE_PLAIN &&
			   (n->tag == KUP_TAG_INT || n->tag == KUP_TAG_FLOAT);
		bool bv;
		if (raw)
			kup_buf_adds(b, n->u.str);
		else if (n->style == KUP_STYLE_PLAIN && n->tag == KUP_TAG_BOOL &&
			 kup_node_bool(n, &bv))
			kup_buf_adds(b, bv ? "true" : "false");
		else if (n->style == KUP_STYLE_PLAIN && n->tag == KUP_TAG_NULL)
			kup_buf_adds(b, "null");
		else
			add_double_quoted(b, n->u.str);
		return;
	}
	bool map = n->kind == KUP_NODE_MAP;
	kup_buf_addc(b, map ? '{' : '[');
	for (size_t i = 0; i < n->len; i++) {
		if (i)
			kup_buf_addc(b, ',');
		if (unit) {
			kup_buf_adds(b, nl);
			for (size_t k = 0; k < base + unit; k++)
				kup_buf_addc(b, ' ');
		} else if (i && !compact) {
			kup_buf_addc(b, ' ');
		}
		if (map) {
			add_double_quoted(b, n->u.pairs[i].key->u.str);
			kup_buf_adds(b, compact ? ":" : ": ");
			emit_json(b, n->u.pairs[i].value, base + unit, unit, nl, compact);
		} else {
			emit_json(b, n->u.items[i], base + unit, unit, nl, compact);
		}
	}
	if (unit && n->len) {
		kup_buf_adds(b, nl);
		for (size_t k = 0; k < base; k++)
			kup_buf_addc(b, ' ');
	}
	kup_buf_addc(b, map ? '}' : ']');
}

/* Emits a fragment node as flow YAML, scalars as written in the fragment. */
static void emit_flow(struct kup_buf *b, const struct kup_node *n, const char *src)
{
	if (n->kind == KUP_NODE_SCALAR) {
		if (n->style == KUP_STYLE_PLAIN && !plain_safe(n->u.str) && n->tag == KUP_TAG_STR)
			add_double_quoted(b, n->u.str);
		else
			kup_buf_add(b, src + n->start, n->end - n->start);
		return;
	}
	bool map = n->kind == KUP_NODE_MAP;
	kup_buf_addc(b, map ? '{' : '[');
	for (size_t i = 0; i < n->len; i++) {
		if (i)
			kup_buf_adds(b, ", ");
		if (map) {
			emit_flow(b, n->u.pairs[i].key, src);
			kup_buf_adds(b, ": ");
			emit_flow(b, n->u.pairs[i].value, src);
		} else {
			emit_flow(b, n->u.items[i], src);
		}
	}
	kup_buf_addc(b, map ? '}' : ']');
}

struct frag_ctx {
	struct kup_buf *b;
	bool json;
	size_t base, unit;
	const char *nl;
	const char *src;
	bool seen;
	bool compact;
};

static enum kup_status frag_emit(void *ctx, const struct kup_doc *doc)
{
	struct frag_ctx *c = ctx;
	if (!doc->root || c->seen)
		return KUP_STOP;
	c->seen = true;
	if (c->json)
		emit_json(c->b, doc->root, c->base, c->unit, c->nl, c->compact);
	else
		emit_flow(c->b, doc->root, c->src);
	return KUP_OK;
}

/* Renders a YAML fragment as JSON or flow YAML into b; false when it does not parse. */
static bool render_fragment(struct kup_fixer *f, struct kup_buf *b, const char *value_yaml,
			    size_t base, size_t unit)
{
	struct kup_yaml_opts o;
	kup_yaml_opts_init(&o, "fragment");
	struct kup_arena arena;
	kup_arena_init(&arena, 4096);
	struct frag_ctx c = { b, f->json || f->json_style, base, unit, eol(f), value_yaml, false,
			      f->json && f->compact };
	size_t nerr = 0;
	enum kup_status st = kup_yaml_read_mem(value_yaml, strlen(value_yaml), &o, &arena,
					       frag_emit, &c, &nerr);
	kup_arena_release(&arena);
	return st == KUP_OK && nerr == 0 && c.seen;
}

/*
 * Appends value_yaml (written with 2-space steps) indented by `indent`
 * spaces, its own steps scaled to `step`, its "\n" as the file's eol.
 */
static void add_indented(struct kup_fixer *f, struct kup_buf *b, const char *v, size_t indent,
			 size_t step)
{
	const char *p = v;
	while (*p) {
		size_t lead = 0;
		while (p[lead] == ' ')
			lead++;
		const char *nl = strchr(p + lead, '\n');
		size_t n = nl ? (size_t)(nl - (p + lead)) : strlen(p + lead);
		if (n > 0) {
			size_t spaces = indent + lead / 2 * step + lead % 2;
			for (size_t k = 0; k < spaces; k++)
				kup_buf_addc(b, ' ');
			kup_buf_add(b, p + lead, n);
		}
		p += lead + n;
		if (*p == '\n') {
			kup_buf_adds(b, eol(f));
			p++;
		}
	}
}

static bool is_block_fragment(const char *v)
{
	return strchr(v, '\n') != NULL;
}

/* Multi-line JSON collection: the indentation unit (spaces), else 0. */
static size_t json_unit(const struct kup_fixer *f, const struct kup_node *coll)
{
	if (coll->len == 0)
		return 0;
	const struct kup_node *first = coll->kind == KUP_NODE_MAP ? coll->u.pairs[0].key
								 : coll->u.items[0];
	bool nl = false;
	for (size_t p = content_start(f, coll); p < first->start; p++)
		if (f->text[p] == '\n')
			nl = true;
	if (!nl)
		return 0;
	size_t outer = kup_fixer_line_start(f, coll->start);
	size_t ind0 = 0;
	while (outer + ind0 < f->len && f->text[outer + ind0] == ' ')
		ind0++;
	size_t ind1 = column_of(f, first->start);
	return ind1 > ind0 ? ind1 - ind0 : 2;
}

/* ---- adding and replacing -------------------------------------------------------------- */

bool kup_fixer_add_pair(struct kup_fixer *f, const struct kup_node *map, const char *key,
			const char *value_yaml)
{
	if (!map || map->kind != KUP_NODE_MAP) {
		kup_fixer_unfixable(f, "expected a map");
		return true;
	}
	struct kup_buf b = KUP_BUF_INIT;
	if (is_flow(f, map)) {
		size_t unit = f->json || f->json_style ? json_unit(f, map) : 0;
		size_t base = 0;
		size_t pos;
		if (map->len == 0) {
			pos = content_start(f, map) + 1;
			if (f->text[pos - 1] != '{') {
				kup_buf_release(&b);
				kup_fixer_unfixable(f, "cannot find the '{' of a map");
				return true;
			}
			for (size_t k = 0; k < f->nedits; k++)
				if (f->edits[k].start == pos && f->edits[k].end == pos) {
					kup_buf_adds(&b, ", ");
					break;
				}
		} else {
			pos = pair_end(&map->u.pairs[map->len - 1]);
			if (no_end(f, pos)) {
				kup_buf_release(&b);
				return true;
			}
			kup_buf_addc(&b, ',');
			base = column_of(f, map->u.pairs[0].key->start);
		}
		if (unit) {
			kup_buf_adds(&b, eol(f));
			for (size_t k = 0; k < base; k++)
				kup_buf_addc(&b, ' ');
		} else if (map->len && !(f->json && f->compact)) {
			kup_buf_addc(&b, ' ');
		}
		if (f->json || f->json_style)
			add_double_quoted(&b, key);
		else if (plain_safe(key))
			kup_buf_adds(&b, key);
		else
			add_double_quoted(&b, key);
		kup_buf_adds(&b, f->json && f->compact ? ":" : ": ");
		if (!render_fragment(f, &b, value_yaml, base, unit)) {
			kup_buf_release(&b);
			kup_fixer_unfixable(f, "internal: bad fragment for '%s'", key);
			return true;
		}
		return replace_buf(f, pos, pos, &b);
	}
	if (map->len == 0) {
		kup_fixer_unfixable(f, "cannot add to an empty block map");
		return true;
	}
	const struct kup_pair *first = &map->u.pairs[0];
	const struct kup_pair *last = &map->u.pairs[map->len - 1];
	size_t indent = column_of(f, first->key->start);
	size_t e = pair_end(last);
	if (no_end(f, e)) {
		kup_buf_release(&b);
		return true;
	}
	size_t pos;
	if (last->value->kind == KUP_NODE_SCALAR &&
	    (last->value->style == KUP_STYLE_LITERAL || last->value->style == KUP_STYLE_FOLDED) &&
	    e > 0 && f->text[e - 1] == '\n')
		pos = e;
	else
		pos = kup_fixer_line_next(f, e);
	if (pos == f->len && (pos == 0 || f->text[pos - 1] != '\n')) {
		bool lead = true;
		for (size_t k = 0; k < f->nedits; k++) {
			const struct kup_edit *x = &f->edits[k];
			if (x->start == f->len && x->end == f->len)
				lead = false;
			/* the unterminated last line deleted from its start: a line starts here */
			if (x->end == f->len && x->start < f->len && !x->len &&
			    (x->start == 0 || f->text[x->start - 1] == '\n'))
				lead = false;
		}
		if (lead)
			kup_buf_adds(&b, eol(f));
	}
	for (size_t k = 0; k < indent; k++)
		kup_buf_addc(&b, ' ');
	if (plain_safe(key))
		kup_buf_adds(&b, key);
	else
		add_double_quoted(&b, key);
	kup_buf_addc(&b, ':');
	if (is_block_fragment(value_yaml)) {
		kup_buf_adds(&b, eol(f));
		add_indented(f, &b, value_yaml, indent + map_step(f, map), map_step(f, map));
	} else {
		kup_buf_addc(&b, ' ');
		kup_buf_adds(&b, value_yaml);
		kup_buf_adds(&b, eol(f));
	}
	return replace_buf(f, pos, pos, &b);
}

bool kup_fixer_replace_value(struct kup_fixer *f, const struct kup_node *map, size_t i,
			     const char *value_yaml)
{
	if (!map || map->kind != KUP_NODE_MAP || i >= map->len) {
		kup_fixer_unfixable(f, "no such key");
		return true;
	}
	const struct kup_pair *p = &map->u.pairs[i];
	struct kup_buf b = KUP_BUF_INIT;
	if (is_flow(f, map)) {
		size_t unit = f->json || f->json_style ? json_unit(f, map) : 0;
		size_t base = unit ? column_of(f, p->key->start) : 0;
		if (!render_fragment(f, &b, value_yaml, base, unit)) {
			kup_buf_release(&b);
			kup_fixer_unfixable(f, "internal: bad fragment");
			return true;
		}
		return replace_buf(f, content_start(f, p->value), p->value->end, &b);
	}
	/* Block map: replace from just after the key's colon to the value's last content. */
	size_t c = p->key->end;
	while (c < f->len && (f->text[c] == ' ' || f->text[c] == '\t'))
		c++;
	if (c >= f->len || f->text[c] != ':') {
		kup_fixer_unfixable(f, "cannot find the ':' of '%s'", kup_node_str(p->key));
		return true;
	}
	c++;
	size_t e = content_end(p->value, p->key->end);
	if (no_end(f, e)) {
		kup_buf_release(&b);
		return true;
	}
	if (e < c)
		e = c;   /* an empty value */
	if (p->value->kind == KUP_NODE_SCALAR &&
	    (p->value->style == KUP_STYLE_LITERAL || p->value->style == KUP_STYLE_FOLDED)) {
		kup_buf_release(&b);
		kup_fixer_unfixable(f, "cannot replace a block scalar");
		return true;
	}
	size_t indent = column_of(f, map->u.pairs[0].key->start);
	if (is_block_fragment(value_yaml)) {
		/* drop the trailing newline: the line end after the old value stays */
		size_t n = strlen(value_yaml);
		char *v = kup_malloc(n + 1);
		if (!v) {
			f->oom = true;
			return false;
		}
		memcpy(v, value_yaml, n + 1);
		while (n > 0 && v[n - 1] == '\n')
			v[--n] = '\0';
		kup_buf_adds(&b, eol(f));
		add_indented(f, &b, v, indent + map_step(f, map), map_step(f, map));
		free(v);
	} else {
		kup_buf_addc(&b, ' ');
		kup_buf_adds(&b, value_yaml);
	}
	return replace_buf(f, c, e, &b);
}

/* ---- notes ----------------------------------------------------------------------------- */

static void append_text(struct kup_fixer *f, char **dst, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void append_text(struct kup_fixer *f, char **dst, const char *fmt, va_list ap)
{
	struct kup_buf b = KUP_BUF_INIT;
	if (*dst) {
		kup_buf_adds(&b, *dst);
		kup_buf_adds(&b, "; ");
	}
	kup_buf_vaddf(&b, fmt, ap);
	if (b.oom) {
		kup_buf_release(&b);
		f->oom = true;
		return;
	}
	free(*dst);
	*dst = kup_buf_detach(&b, NULL);
}

void kup_fixer_unfixable(struct kup_fixer *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (!f->unfixable)
		append_text(f, &f->reason, fmt, ap);
	va_end(ap);
	f->unfixable = true;
}

void kup_fixer_note(struct kup_fixer *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	append_text(f, &f->summary, fmt, ap);
	va_end(ap);
}

/* ---- lifecycle and applying ------------------------------------------------------------ */

/* True when byte a is followed by byte b somewhere in text. */
static bool has_pair_of(const char *text, size_t len, char a, char b)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (text[i] == a && text[i + 1] == b)
			return true;
	return false;
}

void kup_fixer_init(struct kup_fixer *f, const char *text, size_t len, bool json)
{
	memset(f, 0, sizeof *f);
	f->text = text;
	f->len = len;
	f->json = json;
	const char *nl = memchr(text, '\n', len);
	f->eol = nl && nl > text && nl[-1] == '\r' ? "\r\n" : "\n";
	/* JSON as kubectl writes it into last-applied: no blank after ':' or ',' */
	f->compact = json && !has_pair_of(text, len, ':', ' ') && !has_pair_of(text, len, ',', ' ') &&
		     !has_pair_of(text, len, ',', '\n') && !has_pair_of(text, len, ',', '\r');
}

void kup_fixer_reset(struct kup_fixer *f)
{
	for (size_t i = 0; i < f->nedits; i++)
		free(f->edits[i].text);
	f->nedits = 0;
	free(f->reason);
	free(f->summary);
	f->reason = NULL;
	f->summary = NULL;
	f->unfixable = false;
}

void kup_fixer_release(struct kup_fixer *f)
{
	kup_fixer_reset(f);
	free(f->edits);
	f->edits = NULL;
	f->cap = 0;
}

void kup_fixer_sort(struct kup_fixer *f)
{
	/* stable order: insertions at one point keep the order they were made */
	for (size_t i = 1; i < f->nedits; i++) {
		struct kup_edit e = f->edits[i];
		size_t j = i;
		while (j > 0 && (f->edits[j - 1].start > e.start ||
				 (f->edits[j - 1].start == e.start &&
				  f->edits[j - 1].start != f->edits[j - 1].end &&
				  e.start == e.end))) {
			f->edits[j] = f->edits[j - 1];
			j--;
		}
		f->edits[j] = e;
	}
}

bool kup_fixer_apply(struct kup_fixer *f, size_t start, size_t end, struct kup_buf *out)
{
	kup_fixer_sort(f);
	size_t pos = start;
	for (size_t i = 0; i < f->nedits; i++) {
		const struct kup_edit *e = &f->edits[i];
		if (e->start < pos || e->end > end)
			return false;
		kup_buf_add(out, f->text + pos, e->start - pos);
		kup_buf_add(out, e->text, e->len);
		pos = e->end;
	}
	kup_buf_add(out, f->text + pos, end - pos);
	return !out->oom;
}
