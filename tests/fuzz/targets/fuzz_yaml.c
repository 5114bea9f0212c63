/*
 * fuzz_yaml.c - kup_yaml_read_mem on arbitrary bytes, with small limits.
 * Every delivered document is walked (offsets checked against the input)
 * and serialized with kup_node_to_json; the arena is released per input.
 * Then the input is read twice more, without and with skip_paths: both
 * reads must report the same errors at the same places and deliver the
 * same documents (index, line, byte range).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	size_t len;
	const char *data;
};

static void walk(const struct ctx *c, const struct kup_doc *doc, const struct kup_node *n)
{
	size_t i;

	if (!n)
		return;
	if (n->start > n->end || n->end > c->len || n->start < doc->start ||
	    n->end > doc->end || !n->line || !n->column)
		abort();
	if (n->kind == KUP_NODE_SCALAR) {
		if (n->u.str[n->len] != '\0')
			abort();
		(void)kup_scalar_resolve(n->u.str, n->len);
	} else if (n->kind == KUP_NODE_MAP) {
		for (i = 0; i < n->len; i++) {
			walk(c, doc, n->u.pairs[i].key);
			walk(c, doc, n->u.pairs[i].value);
		}
	} else if (n->kind == KUP_NODE_SEQ) {
		for (i = 0; i < n->len; i++)
			walk(c, doc, n->u.items[i]);
	} else {
		abort();
	}
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	const struct ctx *c = ctx;
	struct kup_buf b = KUP_BUF_INIT;
	int64_t iv;
	bool bv;

	if (doc->end > c->len || doc->start > doc->end ||
	    doc->text != c->data + doc->start || doc->text_len != doc->end - doc->start)
		abort();
	walk(c, doc, doc->root);
	kup_node_to_json(doc->root, &b);
	kup_buf_release(&b);
	(void)kup_node_path(doc->root, "metadata", "name", NULL);
	(void)kup_node_int(kup_node_get(doc->root, "replicas"), &iv);
	(void)kup_node_bool(kup_node_get(doc->root, "enabled"), &bv);
	return KUP_OK;
}

static void on_error(void *ctx, const struct kup_error *err)
{
	(void)ctx;
	if (!err->msg || !err->line || !err->column)
		abort();
}

static void keep_err(void *ctx, const struct kup_error *e)
{
	on_error(NULL, e);
	kup_buf_addf(ctx, "%u:%u: %s\n", e->line, e->column, e->msg);
}

static enum kup_status keep_doc(void *ctx, const struct kup_doc *d)
{
	kup_buf_addf(ctx, "%zu %u [%zu,%zu)\n", d->index, d->line, d->start, d->end);
	return KUP_OK;
}

static void skip_compare(const uint8_t *data, size_t size)
{
	static const char *const skip[] = { "a/*/b", "*/c", NULL };
	struct kup_buf l1 = KUP_BUF_INIT, l2 = KUP_BUF_INIT;
	struct kup_yaml_opts o;
	struct kup_arena a;
	size_t n1 = 0, n2 = 0;
	enum kup_status s1, s2;

	kup_arena_init(&a, 4096);
	kup_yaml_opts_init(&o, "fuzz.yaml");
	o.limits.max_depth = 64;
	o.limits.max_scalar = 1 << 16;
	o.limits.max_document = 1 << 20;
	o.limits.max_aliases = 1000;
	o.errors.fn = keep_err;
	o.errors.ctx = &l1;
	s1 = kup_yaml_read_mem((const char *)data, size, &o, &a, keep_doc, &l1, &n1);
	kup_arena_reset(&a);
	o.errors.ctx = &l2;
	o.skip_paths = skip;
	s2 = kup_yaml_read_mem((const char *)data, size, &o, &a, keep_doc, &l2, &n2);
	if (s1 != s2 || n1 != n2 || l1.len != l2.len ||
	    (l1.len && memcmp(l1.buf, l2.buf, l1.len) != 0))
		abort();
	kup_buf_release(&l1);
	kup_buf_release(&l2);
	kup_arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_yaml_opts opts;
	struct kup_arena arena;
	struct ctx c = { size, (const char *)data };
	size_t nerrors;

	kup_yaml_opts_init(&opts, "fuzz.yaml");
	opts.limits.max_depth = 64;
	opts.limits.max_scalar = 1 << 16;
	opts.limits.max_document = 1 << 20;
	opts.limits.max_aliases = 1000;
	opts.errors.fn = on_error;
	kup_arena_init(&arena, 4096);
	(void)kup_yaml_read_mem((const char *)data, size, &opts, &arena, on_doc, &c,
				&nerrors);
	kup_arena_release(&arena);
	skip_compare(data, size);
	return 0;
}
