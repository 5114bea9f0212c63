/*
 * fuzz_json - kup_json_read_mem (items streamed) and kup_json_parse with
 * small limits; every delivered tree is walked and its invariants checked
 * (positions inside the input, NUL-terminated scalars, depth within the
 * limit), then serialized with kup_node_to_json.  Then the input is read
 * twice more, without and with skip_paths: both reads must report the same
 * errors at the same places and deliver as many documents.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/json.h"

#define DEPTH 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	size_t size;
	size_t docs;
	size_t next_item;
	size_t prev_end;              /* where the last list item ended */
	const uint8_t *data;
	struct kup_buf out;
};

static void walk(const struct kup_node *n, size_t size, size_t depth)
{
	size_t i;

	if (!n || n->line < 1 || n->column < 1 || n->start > n->end || n->end > size)
		abort();
	switch (n->kind) {
	case KUP_NODE_SCALAR:
		if (!n->u.str || n->u.str[n->len] != '\0' || n->tag > KUP_TAG_FLOAT)
			abort();
		if (n->tag == KUP_TAG_STR && (n->style != KUP_STYLE_DOUBLE || n->end - n->start < n->len + 2))
			abort();
		break;
	case KUP_NODE_SEQ:
		if (depth >= DEPTH || (n->len && !n->u.items))
			abort();
		for (i = 0; i < n->len; i++)
			walk(n->u.items[i], size, depth + 1);
		break;
	case KUP_NODE_MAP:
		if (depth >= DEPTH || (n->len && !n->u.pairs))
			abort();
		for (i = 0; i < n->len; i++) {
			if (n->u.pairs[i].key->kind != KUP_NODE_SCALAR)
				abort();
			walk(n->u.pairs[i].key, size, depth + 1);
			walk(n->u.pairs[i].value, size, depth + 1);
		}
		break;
	default:
		abort();
	}
}

static enum kup_status on_doc(void *vctx, const struct kup_doc *d)
{
	struct ctx *c = vctx;

	c->docs++;
	if (d->list_item) {
		/*
		 * items come in input order, and in index order within a list (bad
		 * ones are skipped).  A List's items count from 0 (json.h), and a
		 * List right after a top-level array has no wrapper document between
		 * them: an index going back must follow the '{' of a new object.
		 */
		if (d->start < c->prev_end)
			abort();
		if (d->index < c->next_item &&
		    (!c->data || !memchr(c->data + c->prev_end, '{', d->start - c->prev_end)))
			abort();
		c->next_item = d->index + 1;
		c->prev_end = d->end;
	} else {
		c->next_item = 0;   /* the wrapper ends a list; a next value may hold another */
		c->prev_end = 0;    /* and it starts before its items */
	}
	if (d->start > d->end || d->end > c->size || !d->root)
		abort();
	walk(d->root, c->size, 0);
	kup_buf_reset(&c->out);
	kup_node_to_json(d->root, &c->out);
	if (c->out.oom)
		abort();
	return c->docs > 1000 ? KUP_STOP : KUP_OK;
}

static void on_err(void *ctx, const struct kup_error *e)
{
	(void)ctx;
	if (!e->msg || e->line < 1 || e->column < 1)
		abort();
}

/* Every error as "line:col: msg\n" into the kup_buf at ctx. */
static void keep_err(void *ctx, const struct kup_error *e)
{
	on_err(NULL, e);
	kup_buf_addf(ctx, "%u:%u: %s\n", e->line, e->column, e->msg);
}

static void skip_compare(const uint8_t *data, size_t size)
{
	static const char *const skip[] = { "a/*/b", "*/c", NULL };
	struct kup_buf e1 = KUP_BUF_INIT, e2 = KUP_BUF_INIT;
	struct kup_json_opts o;
	struct kup_arena a;
	struct ctx c1, c2;
	size_t n1 = 0, n2 = 0;
	enum kup_status s1, s2;

	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	c1.size = c2.size = size;
	c1.data = c2.data = data;
	kup_arena_init(&a, 4096);
	kup_json_opts_init(&o, "fuzz.json");
	o.limits.max_depth = DEPTH;
	o.limits.max_scalar = 4096;
	o.limits.max_document = 1 << 16;
	o.limits.max_nodes = (size_t)1 << 20;   /* skipped values build no node: no node cap in play */
	o.errors.fn = keep_err;
	o.errors.ctx = &e1;
	s1 = kup_json_read_mem((const char *)data, size, &o, &a, on_doc, &c1, &n1);
	kup_arena_reset(&a);
	o.errors.ctx = &e2;
	o.skip_paths = skip;
	s2 = kup_json_read_mem((const char *)data, size, &o, &a, on_doc, &c2, &n2);
	if (s1 != s2 || n1 != n2 || c1.docs != c2.docs || e1.len != e2.len ||
	    (e1.len && memcmp(e1.buf, e2.buf, e1.len) != 0))
		abort();
	kup_buf_release(&c1.out);
	kup_buf_release(&c2.out);
	kup_buf_release(&e1);
	kup_buf_release(&e2);
	kup_arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_arena a;
	struct kup_json_opts o;
	struct kup_node *root = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct ctx c;
	size_t nerr = 0;
	enum kup_status st;

	memset(&c, 0, sizeof(c));
	c.size = size;
	c.data = data;
	kup_buf_init(&c.out);
	kup_arena_init(&a, 4096);
	kup_json_opts_init(&o, "fuzz.json");
	o.limits.max_depth = DEPTH;
	o.limits.max_scalar = 4096;
	o.limits.max_document = 1 << 16;
	o.errors.fn = on_err;
	st = kup_json_read_mem((const char *)data, size, &o, &a, on_doc, &c, &nerr);
	if (st != KUP_OK && st != KUP_STOP)
		abort();
	kup_arena_reset(&a);

	if (kup_json_parse((const char *)data, size, &o.limits, &a, &root, &err) == KUP_OK)
		walk(root, size, 0);
	else if (!err.msg || err.line < 1)
		abort();
	kup_error_release(&err);
	kup_buf_release(&c.out);
	kup_arena_release(&a);
	skip_compare(data, size);
	return 0;
}
