/*
 * yaml.c - the YAML stream reader (see yaml.h).
 *
 * The input is cut into documents at `---` / `...` marker lines before any
 * parsing (a memchr walk over line starts), and each document is parsed by a
 * fresh libyaml parser reading from memory.  Nodes are built straight from
 * libyaml's events into the caller's arena: a scalar's text is copied once
 * and its event freed at once; the children of an open collection wait on a
 * reusable stack owned by the reader and are copied into the arena when the
 * collection ends.
 *
 * Skip paths (yaml.h): a member at one of them is read event by event as
 * any other (limits, errors, anchors, aliases, positions all as in a full
 * read) but builds nothing: its collections are frames with `skip` set,
 * whose children are counted and folded into the frame's weight, height,
 * end and merge checks instead of pushed; the member's key stays on the
 * item stack with the `skipped` sentinel as its value (so merges see the
 * key as present) and the pair is dropped when its map is built.  An
 * anchored node is always built in full (an alias elsewhere must expand
 * as in a full read), and left out where it stands when that is skipped.
 *
 * Positions: libyaml's marks count characters, not bytes.  A document with
 * no byte >= 0x80 needs no conversion; otherwise a cursor walks the UTF-8
 * text forward (marks arrive almost in order) to turn a character index
 * into a byte offset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "kupgrade/yaml.h"
#include "skip_path.h"

#define READ_CHUNK ((size_t)1 << 20)
#define NO_POS SIZE_MAX

void kup_yaml_opts_init(struct kup_yaml_opts *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	o->path = path;
	kup_read_limits_default(&o->limits);
}

/* ---- the reader's state ------------------------------------------------ */

/* An anchored node, with what expanding an alias to it costs. */
struct anchor {
	const char *name;       /* in the arena */
	size_t len;
	size_t hash;
	struct kup_node *node;
	size_t weight;          /* nodes in its full expansion */
	size_t height;          /* collection nesting levels */
};

/* An open collection. */
struct frame {
	uint8_t kind;
	uint8_t style;
	bool has_merge;
	uint8_t flags;          /* F_* */
	uint32_t line;
	uint32_t column;
	unsigned act;           /* skip paths matching down to here (a mask of reader.skip) */
	size_t start;           /* file offset */
	size_t last_end;        /* file offset after the last child */
	size_t base;            /* index of its first child on the item stack */
	const char *anchor;     /* in the arena, or NULL */
	size_t anchor_len;
	size_t weight;
	size_t height;
	size_t count;           /* skip frame: children seen; built map: members skipped */
};

/* frame.flags */
#define F_SKIP 1u             /* not built: children are only counted */
#define F_DETACH 2u           /* its node is left out of the parent (a skipped member) */
#define F_MERGE_PENDING 4u    /* skip frame: the last key was a plain `<<` */
#define F_MERGE_BAD 8u        /* skip frame: a `<<` value is no map or list of maps */
#define F_MIXED 16u           /* skip frame: a child is no map */

/* The value of a skipped member on the item stack; its pair is dropped. */
static struct kup_node skipped_value;

struct reader {
	const struct kup_yaml_opts *opts;
	struct kup_read_limits lim;
	size_t nodes, max_nodes;   /* of the current document */
	const char *path;
	struct kup_arena *arena;
	kup_doc_fn fn;
	void *ctx;
	size_t nerrors;
	size_t doc_index;

	/* the collection stack and its children */
	struct frame *frames;
	size_t nframes, frames_cap;
	struct kup_node **items;
	size_t nitems, items_cap;

	/* anchors of the current document (open addressing) */
	struct anchor *anchors;
	size_t anchors_cap, nanchors;
	/* a scratch set of keys for merges */
	const struct kup_node **keyset;
	size_t keyset_cap;

	/* bump allocation from slabs of the caller's arena */
	char *slab, *slab_end;

	size_t alias_cost;
	struct kup_node *root;
	bool have_root;

	/* the chunk being parsed */
	const char *text;
	size_t len;
	size_t base;            /* file offset of text[0] */
	uint32_t line0;         /* 1-based file line of text[0] */
	bool ascii;
	size_t cur_char, cur_byte;

	/* a document-level error, once set the chunk is abandoned */
	bool failed;

	/* opts->skip_paths */
	struct kup_skip_set skip;
};

static size_t sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static bool has_high_bit(const char *p, size_t n)
{
	const uint64_t hi = 0x8080808080808080ull;
	uint64_t acc = 0, w;
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		uint64_t a, b, c, d;
		memcpy(&a, p + i, 8);
		memcpy(&b, p + i + 8, 8);
		memcpy(&c, p + i + 16, 8);
		memcpy(&d, p + i + 24, 8);
		if ((a | b | c | d) & hi)
			return true;
	}
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)p[i];
	return (acc & hi) != 0;
}

/* The byte offset in the chunk of libyaml's character index `ci`. */
static size_t char_to_byte(struct reader *r, size_t ci)
{
	const unsigned char *t = (const unsigned char *)r->text;

	if (r->ascii)
		return ci < r->len ? ci : r->len;
	if (ci < r->cur_char / 2) {
		r->cur_char = 0;
		r->cur_byte = 0;
	}
	while (r->cur_char > ci && r->cur_byte > 0) {
		r->cur_byte--;
		while (r->cur_byte > 0 && (t[r->cur_byte] & 0xC0) == 0x80)
			r->cur_byte--;
		r->cur_char--;
	}
	while (r->cur_char < ci && r->cur_byte < r->len) {
		r->cur_byte++;
		while (r->cur_byte < r->len && (t[r->cur_byte] & 0xC0) == 0x80)
			r->cur_byte++;
		r->cur_char++;
	}
	return r->cur_byte;
}

static size_t mark_offset(struct reader *r, const yaml_mark_t *m)
{
	return r->base + char_to_byte(r, m->index);
}

static uint32_t mark_line(const struct reader *r, const yaml_mark_t *m)
{
	return (uint32_t)(r->line0 + m->line + r->opts->line_offset);
}

static uint32_t mark_column(const yaml_mark_t *m)
{
	return (uint32_t)(m->column + 1);
}

static void report(struct reader *r, enum kup_status code, uint32_t line,
		   uint32_t column, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void report(struct reader *r, enum kup_status code, uint32_t line,
		   uint32_t column, const char *fmt, ...)
{
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf b = KUP_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	kup_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	kup_error_set(&err, code, r->path, line, column, "%s",
		      b.oom ? "out of memory" : b.buf);
	kup_buf_release(&b);
	kup_error_emit(&r->opts->errors, &err);
	kup_error_release(&err);
	r->nerrors++;
}

/* Reports a document-level error at a libyaml mark and abandons the chunk. */
#define FAIL_AT(r, mark, code, ...)                                        \
	do {                                                                 \
		report((r), (code), mark_line((r), (mark)),                  \
		       mark_column(mark), __VA_ARGS__);                      \
		(r)->failed = true;                                          \
	} while (0)

/* Counts one more node of the document; past the cap, fails it. */
static bool count_node(struct reader *r, const yaml_mark_t *mark)
{
	if (++r->nodes <= r->max_nodes)
		return true;
	FAIL_AT(r, mark, KUP_TOOBIG, "more than %zu nodes in one document", r->max_nodes);
	return false;
}

/* ---- allocation ----------------------------------------------------------- */

#define SLAB_SIZE ((size_t)8192)

/*
 * Allocates from a slab taken from the arena, 8-byte aligned (enough for
 * nodes, pairs and text), to spare a call per node.  The slab dies with
 * the arena's reset (see slab_reset).
 */
static void *bump(struct reader *r, size_t size)
{
	char *p;

	size = (size + 7) & ~(size_t)7;
	if (size == 0)
		return NULL;
	if ((size_t)(r->slab_end - r->slab) < size) {
		if (size > SLAB_SIZE / 4)
			return kup_arena_alloc(r->arena, size);
		p = kup_arena_alloc(r->arena, SLAB_SIZE);
		if (!p)
			return NULL;
		r->slab = p;
		r->slab_end = p + SLAB_SIZE;
	}
	p = r->slab;
	r->slab += size;
	return p;
}

static void arena_reset(struct reader *r)
{
	kup_arena_reset(r->arena);
	r->slab = r->slab_end = NULL;
}

/* ---- anchors ------------------------------------------------------------ */

static size_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

static void anchors_clear(struct reader *r)
{
	if (r->nanchors) {
		memset(r->anchors, 0, r->anchors_cap * sizeof(*r->anchors));
		r->nanchors = 0;
	}
}

static struct anchor *anchors_find(struct reader *r, const char *name, size_t len,
				   size_t h)
{
	size_t mask, i;

	if (!r->anchors_cap)
		return NULL;
	mask = r->anchors_cap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		struct anchor *a = &r->anchors[i];
		if (!a->node)
			return a;
		if (a->hash == h && a->len == len && memcmp(a->name, name, len) == 0)
			return a;
	}
}

static bool anchors_grow(struct reader *r)
{
	size_t ncap = r->anchors_cap ? r->anchors_cap * 2 : 64, i;
	struct anchor *old = r->anchors, *na;

	na = kup_calloc(ncap, sizeof(*na));
	if (!na)
		return false;
	r->anchors = na;
	r->anchors_cap = ncap;
	for (i = 0; old && i < ncap / 2; i++) {
		if (old[i].node)
			*anchors_find(r, old[i].name, old[i].len, old[i].hash) = old[i];
	}
	free(old);
	return true;
}

static bool anchors_put(struct reader *r, const char *name, size_t len,
			struct kup_node *node, size_t weight, size_t height)
{
	size_t h = hash_bytes(name, len);
	struct anchor *a;

	if ((r->nanchors + 1) * 2 > r->anchors_cap && !anchors_grow(r))
		return false;
	a = anchors_find(r, name, len, h);
	if (!a->node)
		r->nanchors++;
	a->name = name;
	a->len = len;
	a->hash = h;
	a->node = node;
	a->weight = weight;
	a->height = height;
	return true;
}

/* ---- building ------------------------------------------------------------ */

static inline bool push_item(struct reader *r, struct kup_node *n)
{
	if (r->nitems == r->items_cap) {
		size_t ncap = r->items_cap ? r->items_cap * 2 : 256;
		struct kup_node **ni = kup_xrealloc_array(r->items, ncap, sizeof(*ni));
		if (!ni)
			return false;
		r->items = ni;
		r->items_cap = ncap;
	}
	r->items[r->nitems++] = n;
	return true;
}

static bool is_merge_key(const struct kup_node *k)
{
	return k->kind == KUP_NODE_SCALAR && k->style == KUP_STYLE_PLAIN &&
	       k->len == 2 && k->u.str[0] == '<' && k->u.str[1] == '<';
}

/* True when n may be the value of a `<<` key (expand_merges). */
static bool mergeable(const struct kup_node *n)
{
	size_t i;

	if (n->kind == KUP_NODE_MAP)
		return true;
	if (n->kind != KUP_NODE_SEQ)
		return false;
	for (i = 0; i < n->len; i++)
		if (n->u.items[i]->kind != KUP_NODE_MAP)
			return false;
	return true;
}

/*
 * The skip paths still matching below the next child of the open
 * collection (a mask of r->skip); *skip set when the child is not to be built: the top frame
 * is a skip frame, or one of the paths ends at this member.
 */
static __attribute__((noinline)) unsigned child_act_slow(struct reader *r, bool *skip)
{
	const struct frame *f;
	const struct kup_node *k;
	unsigned act;
	size_t d;

	*skip = false;
	if (!r->nframes)
		return r->skip.root;
	f = &r->frames[r->nframes - 1];
	if (f->flags & F_SKIP) {
		*skip = true;
		return 0;
	}
	if (!f->act)
		return 0;
	d = r->nframes - 1;
	if (f->kind == KUP_NODE_MAP) {
		if (!((r->nitems - f->base) & 1))
			return 0;       /* a key: keys are never skipped */
		k = r->items[r->nitems - 1];
		if (k->kind != KUP_NODE_SCALAR || is_merge_key(k))
			return 0;
	} else {
		k = NULL;
	}
	act = kup_skip_below(&r->skip, f->act, d, k ? k->u.str : NULL, k ? k->len : 0, skip);
	return *skip ? 0 : act;
}

/* child_act_slow past its common case: a built collection no path goes through. */
static inline unsigned child_act(struct reader *r, bool *skip)
{
	if (r->nframes) {
		const struct frame *f = &r->frames[r->nframes - 1];
		if (!f->act) {
			*skip = (f->flags & F_SKIP) != 0;
			return 0;
		}
	}
	return child_act_slow(r, skip);
}

/*
 * A child that is not built into its parent is complete: a skip frame
 * folds it into its weight, height, end and merge checks; a built map
 * gets the `skipped` sentinel as the member's value.  n is the child's
 * node when it has one (an alias, an anchored node), else NULL with kind
 * and all_maps (a collection: every child a map) saying what it was.
 */
static inline __attribute__((always_inline))
void finish_skipped(struct reader *r, const yaml_mark_t *mark,
			   const struct kup_node *n, uint8_t kind, bool all_maps,
			   size_t weight, size_t height, size_t end,
			   bool merge_key, bool plain_merge)
{
	struct frame *f = &r->frames[r->nframes - 1];

	f->weight = sat_add(f->weight, weight);
	if (height > f->height)
		f->height = height;
	f->last_end = end;
	if (!(f->flags & F_SKIP)) {
		if (!push_item(r, &skipped_value)) {
			FAIL_AT(r, mark, KUP_NOMEM, "out of memory");
			return;
		}
		f->count++;
		return;
	}
	if (f->kind == KUP_NODE_MAP) {
		if (!(f->count & 1)) {
			if (merge_key)
				f->has_merge = true;
			f->flags = (uint8_t)((f->flags & ~F_MERGE_PENDING) |
					     (plain_merge ? F_MERGE_PENDING : 0));
		} else if ((f->flags & F_MERGE_PENDING) &&
			   !(n ? mergeable(n)
			       : kind == KUP_NODE_MAP || (kind == KUP_NODE_SEQ && all_maps))) {
			f->flags |= F_MERGE_BAD;
		}
	} else if ((n ? n->kind : kind) != KUP_NODE_MAP) {
		f->flags |= F_MIXED;
	}
	f->count++;
}

/*
 * A node is complete: register its anchor and hand it to the open
 * collection (or make it the root).  `end` is the file offset after the
 * event that produced it (an alias's own end, not its target's).  With
 * `skip` it is left out of the parent (finish_skipped).
 */
static inline __attribute__((always_inline))
void finish_node(struct reader *r, const yaml_mark_t *mark,
			struct kup_node *n, size_t weight, size_t height,
			const char *anchor, size_t anchor_len, size_t end,
			bool merge_key, bool skip)
{
	struct frame *f;

	if (anchor && !anchors_put(r, anchor, anchor_len, n, weight, height)) {
		FAIL_AT(r, mark, KUP_NOMEM, "out of memory");
		return;
	}
	if (skip) {
		finish_skipped(r, mark, n, n->kind, false, weight, height, end,
			       merge_key, is_merge_key(n));
		return;
	}
	if (!r->nframes) {
		r->root = n;
		r->have_root = true;
		return;
	}
	f = &r->frames[r->nframes - 1];
	if (!push_item(r, n)) {
		FAIL_AT(r, mark, KUP_NOMEM, "out of memory");
		return;
	}
	f->weight = sat_add(f->weight, weight);
	if (height > f->height)
		f->height = height;
	f->last_end = end;
	if (merge_key && f->kind == KUP_NODE_MAP && ((r->nitems - f->base) & 1))
		f->has_merge = true;
}

static char *copy_anchor(struct reader *r, const yaml_char_t *anchor, size_t *len)
{
	*len = 0;
	if (!anchor)
		return NULL;
	*len = strlen((const char *)anchor);
	return kup_arena_strndup(r->arena, (const char *)anchor, *len);
}

static enum kup_scalar_tag explicit_tag(const char *tag, const char *s, size_t n)
{
	static const char prefix[] = "tag:yaml.org,2002:";
	enum kup_scalar_tag plain;
	const char *t;

	if (strncmp(tag, prefix, sizeof(prefix) - 1) != 0)
		return KUP_TAG_STR;       /* `!`, local and unknown tags */
	t = tag + sizeof(prefix) - 1;
	plain = kup_scalar_resolve(s, n);
	if (strcmp(t, "null") == 0)
		return plain == KUP_TAG_NULL ? KUP_TAG_NULL : KUP_TAG_STR;
	if (strcmp(t, "bool") == 0)
		return plain == KUP_TAG_BOOL ? KUP_TAG_BOOL : KUP_TAG_STR;
	if (strcmp(t, "int") == 0)
		return plain == KUP_TAG_INT ? KUP_TAG_INT : KUP_TAG_STR;
	if (strcmp(t, "float") == 0)
		return plain == KUP_TAG_INT || plain == KUP_TAG_FLOAT ? KUP_TAG_FLOAT
								      : KUP_TAG_STR;
	return KUP_TAG_STR;
}

static uint8_t scalar_style(yaml_scalar_style_t s)
{
	switch (s) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: return KUP_STYLE_SINGLE;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return KUP_STYLE_DOUBLE;
	case YAML_LITERAL_SCALAR_STYLE: return KUP_STYLE_LITERAL;
	case YAML_FOLDED_SCALAR_STYLE: return KUP_STYLE_FOLDED;
	default: return KUP_STYLE_PLAIN;
	}
}

static void on_scalar(struct reader *r, yaml_event_t *e)
{
	struct kup_node *n;
	const char *val = (const char *)e->data.scalar.value;
	size_t len = e->data.scalar.length, alen, end;
	const char *tag = (const char *)e->data.scalar.tag;
	char *anchor;
	char *s;
	bool merge = false, skip;

	(void)child_act(r, &skip);
	if (len > r->lim.max_scalar) {
		FAIL_AT(r, &e->start_mark, KUP_TOOBIG,
			"scalar longer than %zu bytes", r->lim.max_scalar);
		return;
	}
	if (len > SIZE_MAX - sizeof(*n) - 8) {
		FAIL_AT(r, &e->start_mark, KUP_NOMEM, "out of memory");
		return;
	}
	if (!count_node(r, &e->start_mark))
		return;
	if (skip && !e->data.scalar.anchor) {
		bool plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			     len == 2 && val[0] == '<' && val[1] == '<';
		finish_skipped(r, &e->start_mark, NULL, KUP_NODE_SCALAR, false, 1, 0,
			       mark_offset(r, &e->end_mark),
			       plain && (!tag || strcmp(tag, "tag:yaml.org,2002:merge") == 0),
			       plain);
		return;
	}
	/* the node and its text in one allocation */
	n = bump(r, sizeof(*n) + len + 1);
	s = n ? (char *)(n + 1) : NULL;
	if (s) {
		memcpy(s, val, len);
		s[len] = '\0';
	}
	anchor = copy_anchor(r, e->data.scalar.anchor, &alen);
	if (!n || !s || (e->data.scalar.anchor && !anchor)) {
		FAIL_AT(r, &e->start_mark, KUP_NOMEM, "out of memory");
		return;
	}
	n->kind = KUP_NODE_SCALAR;
	n->style = scalar_style(e->data.scalar.style);
	if (tag && strcmp(tag, "!") != 0)
		n->tag = (uint8_t)explicit_tag(tag, s, len);
	else if (n->style == KUP_STYLE_PLAIN && !tag)
		n->tag = (uint8_t)kup_scalar_resolve(s, len);
	else
		n->tag = KUP_TAG_STR;
	if (n->style == KUP_STYLE_PLAIN && len == 2 && s[0] == '<' && s[1] == '<' &&
	    (!tag || strcmp(tag, "tag:yaml.org,2002:merge") == 0))
		merge = true;
	n->line = mark_line(r, &e->start_mark);
	n->column = mark_column(&e->start_mark);
	n->start = mark_offset(r, &e->start_mark);
	end = mark_offset(r, &e->end_mark);
	n->end = end;
	n->len = len;
	n->u.str = s;
	/* An empty document: libyaml reports an empty plain scalar. */
	if (!r->nframes && !tag && !anchor && len == 0 &&
	    n->style == KUP_STYLE_PLAIN) {
		r->root = NULL;
		r->have_root = true;
		return;
	}
	finish_node(r, &e->start_mark, n, 1, 0, anchor, alen, end, merge, skip);
}

static void on_alias(struct reader *r, yaml_event_t *e)
{
	const char *name = (const char *)e->data.alias.anchor;
	size_t len = strlen(name);
	struct anchor *a = anchors_find(r, name, len, hash_bytes(name, len));
	bool skip;

	(void)child_act(r, &skip);
	if (!a || !a->node) {
		FAIL_AT(r, &e->start_mark, KUP_PARSE, "unknown anchor '%s'", name);
		return;
	}
	r->alias_cost = sat_add(r->alias_cost, a->weight);
	if (r->alias_cost > r->lim.max_aliases) {
		FAIL_AT(r, &e->start_mark, KUP_TOOBIG,
			"too many alias expansions (more than %zu)",
			r->lim.max_aliases);
		return;
	}
	if (r->nframes + a->height > r->lim.max_depth) {
		FAIL_AT(r, &e->start_mark, KUP_TOOBIG, "nesting deeper than %zu",
			r->lim.max_depth);
		return;
	}
	finish_node(r, &e->start_mark, a->node, a->weight, a->height, NULL, 0,
		    mark_offset(r, &e->end_mark), false, skip);
}

static void on_start(struct reader *r, yaml_event_t *e, uint8_t kind)
{
	struct frame *f;
	const yaml_char_t *anchor;
	bool flow, skip;
	unsigned act = child_act(r, &skip);

	if (r->nframes + 1 > r->lim.max_depth) {
		FAIL_AT(r, &e->start_mark, KUP_TOOBIG, "nesting deeper than %zu",
			r->lim.max_depth);
		return;
	}
	if (r->nframes == r->frames_cap) {
		size_t ncap = r->frames_cap ? r->frames_cap * 2 : 32;
		struct frame *nf = kup_xrealloc_array(r->frames, ncap, sizeof(*nf));
		if (!nf) {
			FAIL_AT(r, &e->start_mark, KUP_NOMEM, "out of memory");
			return;
		}
		r->frames = nf;
		r->frames_cap = ncap;
	}
	if (kind == KUP_NODE_MAP) {
		anchor = e->data.mapping_start.anchor;
		flow = e->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
	} else {
		anchor = e->data.sequence_start.anchor;
		flow = e->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
	}
	f = &r->frames[r->nframes];
	f->kind = kind;
	f->style = flow ? KUP_STYLE_FLOW : KUP_STYLE_BLOCK;
	f->has_merge = false;
	f->line = mark_line(r, &e->start_mark);
	f->column = mark_column(&e->start_mark);
	f->start = mark_offset(r, &e->start_mark);
	f->last_end = f->start;
	f->base = r->nitems;
	f->anchor = copy_anchor(r, anchor, &f->anchor_len);
	f->weight = 1;
	f->height = 0;
	/* an anchored node is built in full: an alias expands it anywhere */
	f->act = anchor ? 0 : act;
	f->flags = skip ? (anchor ? F_DETACH : F_SKIP | F_DETACH) : 0;
	f->count = 0;
	if (anchor && !f->anchor) {
		FAIL_AT(r, &e->start_mark, KUP_NOMEM, "out of memory");
		return;
	}
	r->nframes++;
}

/* Finds key k among the scratch key set; inserts it when absent. */
static bool keyset_insert(struct reader *r, const struct kup_node *k)
{
	size_t mask = r->keyset_cap - 1, i, h;

	if (k->kind != KUP_NODE_SCALAR)
		h = (size_t)(uintptr_t)k * 31u;
	else
		h = hash_bytes(k->u.str, k->len);
	for (i = h & mask;; i = (i + 1) & mask) {
		const struct kup_node *o = r->keyset[i];
		if (!o) {
			r->keyset[i] = k;
			return true;
		}
		if (o == k)
			return false;
		if (o->kind == KUP_NODE_SCALAR && k->kind == KUP_NODE_SCALAR &&
		    o->len == k->len && memcmp(o->u.str, k->u.str, k->len) == 0)
			return false;
	}
}

/*
 * Expands `<<` merge keys of the map whose pairs are items[base..nitems):
 * explicit keys first, then the pairs of each merged map that are not yet
 * present (earlier maps of a `<<: [*a, *b]` list win).  The result is
 * appended to the item stack; returns its start index, or NO_POS on error.
 */
static size_t expand_merges(struct reader *r, const yaml_mark_t *mark, size_t base)
{
	size_t nold = r->nitems - base, npairs = 0, i, j, need, out;

	/* Bound the scratch set: every pair that could land in the map. */
	for (i = 0; i < nold; i += 2) {
		const struct kup_node *k = r->items[base + i], *v = r->items[base + i + 1];
		if (!is_merge_key(k)) {
			npairs++;
			continue;
		}
		if (v->kind == KUP_NODE_MAP) {
			npairs += v->len;
		} else if (v->kind == KUP_NODE_SEQ) {
			for (j = 0; j < v->len; j++) {
				if (v->u.items[j]->kind != KUP_NODE_MAP)
					goto bad;
				npairs += v->u.items[j]->len;
			}
		} else {
			goto bad;
		}
	}
	need = 16;
	while (need < npairs * 2)
		need *= 2;
	if (need > r->keyset_cap) {
		const struct kup_node **ks = kup_xrealloc_array(r->keyset, need, sizeof(*ks));
		if (!ks)
			goto nomem;
		r->keyset = ks;
		r->keyset_cap = need;
	}
	memset(r->keyset, 0, r->keyset_cap * sizeof(*r->keyset));
	if (r->keyset_cap > need)   /* use a smaller table: the mask must match */
		r->keyset_cap = need;

	out = r->nitems;
	for (i = 0; i < nold; i += 2) {
		struct kup_node *k = r->items[base + i];
		if (is_merge_key(k))
			continue;
		keyset_insert(r, k);
		if (!push_item(r, k) || !push_item(r, r->items[base + i + 1]))
			goto nomem;
	}
	for (i = 0; i < nold; i += 2) {
		struct kup_node *k = r->items[base + i], *v = r->items[base + i + 1];
		size_t nsrc = v->kind == KUP_NODE_MAP ? 1 : v->len, s;
		if (!is_merge_key(k))
			continue;
		for (s = 0; s < nsrc; s++) {
			struct kup_node *m = v->kind == KUP_NODE_MAP ? v : v->u.items[s];
			for (j = 0; j < m->len; j++) {
				if (!keyset_insert(r, m->u.pairs[j].key))
					continue;
				if (!push_item(r, m->u.pairs[j].key) ||
				    !push_item(r, m->u.pairs[j].value))
					goto nomem;
			}
		}
	}
	return out;
bad:
	FAIL_AT(r, mark, KUP_PARSE,
		"map merge requires a map or a sequence of maps as the value");
	return NO_POS;
nomem:
	FAIL_AT(r, mark, KUP_NOMEM, "out of memory");
	return NO_POS;
}

static void on_end(struct reader *r, yaml_event_t *e)
{
	struct frame f;
	struct kup_node *n;
	size_t from, count, i, end;

	if (!r->nframes) {
		FAIL_AT(r, &e->start_mark, KUP_PARSE, "unbalanced collection end");
		return;
	}
	f = r->frames[--r->nframes];
	if (f.flags & F_SKIP) {
		if (f.has_merge && (f.flags & F_MERGE_BAD)) {
			FAIL_AT(r, &e->start_mark, KUP_PARSE,
				"map merge requires a map or a sequence of maps as the value");
			return;
		}
		if (!count_node(r, &e->start_mark))
			return;
		end = mark_offset(r, &e->end_mark);
		if (f.style == KUP_STYLE_BLOCK && f.count)
			end = f.last_end;
		finish_skipped(r, &e->start_mark, NULL, f.kind, !(f.flags & F_MIXED), f.weight,
			       f.height + 1, end < f.start ? f.start : end, false, false);
		return;
	}
	from = f.base;
	if (f.has_merge) {
		from = expand_merges(r, &e->start_mark, f.base);
		if (from == NO_POS)
			return;
	}
	count = r->nitems - from;
	if (!count_node(r, &e->start_mark))
		return;
	n = bump(r, sizeof(*n));
	if (!n)
		goto nomem;
	n->kind = f.kind;
	n->tag = KUP_TAG_STR;
	n->style = f.style;
	n->line = f.line;
	n->column = f.column;
	n->start = f.start;
	end = mark_offset(r, &e->end_mark);
	/* A block collection ends with its last child, not at the next token. */
	if (f.style == KUP_STYLE_BLOCK && count)
		end = f.last_end;
	n->end = end < n->start ? n->start : end;
	if (f.kind == KUP_NODE_MAP) {
		struct kup_pair *p;
		size_t j = 0;
		n->len = count / 2 - f.count;   /* skipped members are left out */
		p = n->len ? bump(r, n->len * sizeof(*p)) : NULL;
		if (n->len && !p)
			goto nomem;
		for (i = 0; j < n->len; i++) {
			if (r->items[from + 2 * i + 1] == &skipped_value)
				continue;
			p[j].key = r->items[from + 2 * i];
			p[j++].value = r->items[from + 2 * i + 1];
		}
		n->u.pairs = p;
	} else {
		struct kup_node **it;
		n->len = count;
		it = count ? bump(r, count * sizeof(*it)) : NULL;
		if (count && !it)
			goto nomem;
		if (count)
			memcpy(it, r->items + from, count * sizeof(*it));
		n->u.items = it;
	}
	r->nitems = f.base;
	finish_node(r, &e->start_mark, n, f.weight, f.height + 1, f.anchor,
		    f.anchor_len, n->end, false, (f.flags & F_DETACH) != 0);
	return;
nomem:
	FAIL_AT(r, &e->start_mark, KUP_NOMEM, "out of memory");
}

/* ---- one chunk of text: one document, usually ----------------------------- */

static void doc_begin(struct reader *r)
{
	r->nodes = 0;
	r->nframes = 0;
	r->nitems = 0;
	anchors_clear(r);
	r->alias_cost = 0;
	r->root = NULL;
	r->have_root = false;
}

/* Turns libyaml's failure into a reported error. */
static void report_parser_error(struct reader *r, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "malformed yaml";
	uint32_t line, col;

	if (p->error == YAML_MEMORY_ERROR) {
		report(r, KUP_NOMEM, r->line0 + (uint32_t)r->opts->line_offset, 1,
		       "out of memory");
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		/* problem_offset is a byte offset into the chunk. */
		size_t off = p->problem_offset < r->len ? p->problem_offset : r->len, i;
		size_t ls = 0, nl = 0;
		uint32_t chars = 0;
		for (i = 0; i < off; i++) {
			if (r->text[i] == '\n') {
				nl++;
				ls = i + 1;
			}
		}
		for (i = ls; i < off; i++)
			if (((unsigned char)r->text[i] & 0xC0) != 0x80)
				chars++;
		line = (uint32_t)(r->line0 + nl + r->opts->line_offset);
		col = chars + 1;
		if (p->problem_value != -1)
			report(r, KUP_ENCODING, line, col, "%s (byte 0x%02x)", problem,
			       (unsigned)p->problem_value & 0xFF);
		else
			report(r, KUP_ENCODING, line, col, "%s", problem);
		return;
	}
	line = mark_line(r, &p->problem_mark);
	col = mark_column(&p->problem_mark);
	if (p->context)
		report(r, KUP_PARSE, line, col, "%s %s started at line %u, column %u",
		       problem, p->context, mark_line(r, &p->context_mark),
		       mark_column(&p->context_mark));
	else
		report(r, KUP_PARSE, line, col, "%s", problem);
}

/*
 * Parses text[0..len) (file offset `base`, first line `line0`) and delivers
 * its documents.  Returns KUP_OK, or the status the callback stopped with.
 */
static enum kup_status parse_chunk(struct reader *r, const char *text, size_t len,
				   size_t base, uint32_t line0)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	enum kup_status st = KUP_OK;
	bool done = false;

	r->text = text;
	r->len = len;
	r->base = base;
	r->line0 = line0;
	r->ascii = !has_high_bit(text, len);
	r->cur_char = 0;
	r->cur_byte = 0;
	r->failed = false;

	if (!yaml_parser_initialize(&parser)) {
		report(r, KUP_NOMEM, line0, 1, "out of memory");
		return KUP_OK;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	doc_begin(r);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			report_parser_error(r, &parser);
			r->failed = true;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			doc_begin(r);
			break;
		case YAML_DOCUMENT_END_EVENT: {
			struct kup_doc doc;
			memset(&doc, 0, sizeof(doc));
			doc.root = r->root;
			doc.index = r->doc_index++;
			doc.line = line0 + (uint32_t)r->opts->line_offset;
			doc.start = base;
			doc.end = base + len;
			doc.path = r->path;
			doc.text = text;
			doc.text_len = len;
			st = r->fn ? r->fn(r->ctx, &doc) : KUP_OK;
			arena_reset(r);
			doc_begin(r);
			if (st != KUP_OK)
				done = true;
			break;
		}
		case YAML_SCALAR_EVENT:
			on_scalar(r, &ev);
			break;
		case YAML_ALIAS_EVENT:
			on_alias(r, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			on_start(r, &ev, KUP_NODE_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			on_start(r, &ev, KUP_NODE_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			on_end(r, &ev);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (r->failed)
			break;
	}
	if (r->failed) {
		r->doc_index++;   /* the broken document keeps its place */
		arena_reset(r);
	}
	yaml_parser_delete(&parser);
	return st;
}

/* ---- splitting the stream ---------------------------------------------------- */

/*
 * The splitter walks line starts.  `scan` is always at the start of a line
 * (unless `midline`), `line` its 1-based number.  The current chunk began at
 * `chunk` (line `chunk_line`); `dirs` is the start of a run of directive
 * lines (`%`) that will move to the next document if a `---` follows.
 */
struct splitter {
	const char *buf;
	size_t len;
	size_t fbase;           /* file offset of buf[0] */
	bool eof;

	size_t scan;
	uint32_t line;
	size_t chunk;
	uint32_t chunk_line;
	size_t dirs;
	uint32_t dirs_line;
	size_t searched;        /* memchr already looked at [scan, searched) */
	bool skipping;          /* the current chunk is too big: drop it */
	bool midline;           /* scan is inside a line of a skipped chunk */
};

static void splitter_init(struct splitter *s)
{
	memset(s, 0, sizeof(*s));
	s->line = 1;
	s->chunk_line = 1;
	s->dirs = NO_POS;
}

/* 0: not a marker; '-' or '.' for `---` / `...` followed by a blank or EOL. */
static int marker(const char *p, size_t n)
{
	char c;

	if (n < 3 || (p[0] != '-' && p[0] != '.'))
		return 0;
	if (p[1] != p[0] || p[2] != p[0])
		return 0;
	if (n == 3)
		return p[0];
	c = p[3];
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ? p[0] : 0;
}

static enum kup_status too_big(struct reader *r, struct splitter *s)
{
	report(r, KUP_TOOBIG, s->chunk_line + (uint32_t)r->opts->line_offset, 1,
	       "document larger than %zu bytes", r->lim.max_document);
	r->doc_index++;
	s->skipping = true;
	return KUP_OK;
}

static enum kup_status emit(struct reader *r, struct splitter *s, size_t end)
{
	size_t n = end - s->chunk;

	if (s->skipping || n == 0)
		return KUP_OK;
	if (n > r->lim.max_document)
		return too_big(r, s);
	return parse_chunk(r, s->buf + s->chunk, n, s->fbase + s->chunk, s->chunk_line);
}

/*
 * Advances over complete lines, emitting each finished chunk.  Returns
 * KUP_OK when it needs more input (or, at EOF, when everything is done),
 * else the callback's stop status.
 */
static enum kup_status split(struct reader *r, struct splitter *s)
{
	enum kup_status st;

	for (;;) {
		const char *nl;
		size_t ls = s->scan, le, from;
		int m = 0;

		if (ls >= s->len && !s->eof)
			return KUP_OK;
		if (ls >= s->len) {
			/* end of input: the last chunk */
			st = emit(r, s, s->len);
			s->chunk = s->len;
			return st;
		}
		from = s->searched > ls ? s->searched : ls;
		nl = memchr(s->buf + from, '\n', s->len - from);
		if (!nl && !s->eof) {
			if (s->midline) {
				/* inside a long line of a skipped chunk: drop it */
				s->scan = s->searched = s->chunk = s->len;
				return KUP_OK;
			}
			s->searched = s->len;
			/* A long line that is surely part of the chunk: apply the cap now. */
			if (s->len - ls >= 4 && !marker(s->buf + ls, s->len - ls) &&
			    s->buf[ls] != '%') {
				if (!s->skipping && s->len - s->chunk > r->lim.max_document)
					too_big(r, s);
				if (s->skipping) {
					s->midline = true;
					s->scan = s->searched = s->chunk = s->len;
					s->dirs = NO_POS;
				}
			}
			return KUP_OK;
		}
		le = nl ? (size_t)(nl - s->buf) + 1 : s->len;
		if (s->midline) {
			s->midline = false;
		} else if ((m = marker(s->buf + ls, le - ls)) != 0) {
			size_t cut = (m == '-' && s->dirs != NO_POS) ? s->dirs : ls;
			uint32_t cut_line = (m == '-' && s->dirs != NO_POS) ? s->dirs_line : s->line;
			st = emit(r, s, cut);
			if (st != KUP_OK)
				return st;
			s->skipping = false;
			if (m == '-') {
				s->chunk = cut;
				s->chunk_line = cut_line;
			} else {
				s->chunk = le;
				s->chunk_line = s->line + 1;
			}
			s->dirs = NO_POS;
		} else if (s->buf[ls] == '%') {
			if (s->dirs == NO_POS) {
				s->dirs = ls;
				s->dirs_line = s->line;
			}
		} else if (s->dirs != NO_POS && s->buf[ls] != '#' && s->buf[ls] != '\n' &&
			   s->buf[ls] != '\r') {
			s->dirs = NO_POS;
		}
		s->scan = s->searched = le;
		if (nl)
			s->line++;
		if (s->skipping) {
			s->chunk = s->scan;
			s->dirs = NO_POS;
		} else if (!s->eof && le - s->chunk > r->lim.max_document &&
			   (s->dirs == NO_POS || s->dirs - s->chunk > r->lim.max_document)) {
			too_big(r, s);
			s->chunk = s->scan;
		}
	}
}

static bool reader_init(struct reader *r, const struct kup_yaml_opts *opts,
			struct kup_arena *arena, kup_doc_fn fn, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->opts = opts;
	r->lim = opts->limits;
	if (!r->lim.max_depth)
		r->lim.max_depth = 512;
	if (!r->lim.max_scalar)
		r->lim.max_scalar = (size_t)64 << 20;
	if (!r->lim.max_document)
		r->lim.max_document = (size_t)256 << 20;
	r->max_nodes = kup_read_limits_nodes(&r->lim);
	r->path = opts->path ? opts->path : "-";
	r->arena = arena;
	r->fn = fn;
	r->ctx = ctx;
	return kup_skip_compile(&r->skip, opts->skip_paths);
}

static void reader_release(struct reader *r)
{
	free(r->frames);
	free(r->items);
	free(r->anchors);
	free(r->keyset);
}

static bool starts_with_bom(const char *p, size_t n)
{
	return n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
	       (unsigned char)p[2] == 0xBF;
}

enum kup_status kup_yaml_read_mem(const char *text, size_t len,
				  const struct kup_yaml_opts *opts,
				  struct kup_arena *arena, kup_doc_fn fn, void *ctx,
				  size_t *nerrors)
{
	struct reader r;
	struct splitter s;
	enum kup_status st;

	if (nerrors)
		*nerrors = 0;
	if (!opts || !arena || (!text && len))
		return KUP_INVALID;
	if (!reader_init(&r, opts, arena, fn, ctx))
		return KUP_INVALID;
	splitter_init(&s);
	s.buf = text ? text : "";
	s.len = len;
	s.eof = true;
	if (starts_with_bom(s.buf, len))
		s.scan = s.chunk = s.searched = 3;
	st = split(&r, &s);
	if (nerrors)
		*nerrors = r.nerrors;
	reader_release(&r);
	return st;
}

enum kup_status kup_yaml_read_input(struct kup_input *in, const struct kup_yaml_opts *opts,
				    struct kup_arena *arena, kup_doc_fn fn, void *ctx,
				    size_t *nerrors)
{
	struct reader r;
	struct splitter s;
	enum kup_status st = KUP_OK;
	char *buf = NULL;
	size_t cap = 0;
	bool first = true;

	if (nerrors)
		*nerrors = 0;
	if (!in || !opts || !arena)
		return KUP_INVALID;
	if (!reader_init(&r, opts, arena, fn, ctx))
		return KUP_INVALID;
	splitter_init(&s);
	for (;;) {
		size_t got, keep = s.len - s.chunk;

		/* Drop what the splitter is done with. */
		if (s.chunk > 0) {
			if (keep)
				memmove(buf, buf + s.chunk, keep);
			s.fbase += s.chunk;
			s.scan -= s.chunk;
			s.searched -= s.chunk;
			if (s.dirs != NO_POS)
				s.dirs -= s.chunk;
			s.len = keep;
			s.chunk = 0;
		}
		if (cap - s.len < READ_CHUNK) {
			size_t ncap = s.len + READ_CHUNK;
			char *nb;
			if (ncap < cap * 2)
				ncap = cap * 2;
			nb = kup_realloc(buf, ncap);
			if (!nb) {
				report(&r, KUP_NOMEM, s.line, 1, "out of memory");
				st = KUP_NOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		got = kup_input_read(in, buf + s.len, cap - s.len);
		s.buf = buf;
		s.len += got;
		if (got == 0) {
			if (in->error) {
				report(&r, KUP_IO, s.line, 1, "cannot read: %s", strerror(in->errnum));
				st = KUP_IO;
				break;
			}
			s.eof = true;
		}
		if (first && (s.len >= 3 || s.eof)) {
			first = false;
			if (starts_with_bom(buf, s.len))
				s.scan = s.chunk = s.searched = 3;
		} else if (first) {
			continue;
		}
		st = split(&r, &s);
		if (st != KUP_OK || s.eof)
			break;
	}
	free(buf);
	if (nerrors)
		*nerrors = r.nerrors;
	reader_release(&r);
	return st;
}

enum kup_status kup_yaml_read_file(FILE *fp, const struct kup_yaml_opts *opts,
				   struct kup_arena *arena, kup_doc_fn fn, void *ctx,
				   size_t *nerrors)
{
	struct kup_input in;

	if (nerrors)
		*nerrors = 0;
	if (!fp)
		return KUP_INVALID;
	kup_input_init_file(&in, fp);
	return kup_yaml_read_input(&in, opts, arena, fn, ctx, nerrors);
}
