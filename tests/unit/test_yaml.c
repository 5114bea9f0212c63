/*
 * test_yaml.c - the YAML stream reader: documents, errors with file
 * positions, limits, anchors and merges, encodings, and the streaming file
 * reader agreeing with the in-memory one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/yaml.h"

/* ---- a recorder: every document and error as one line of a log ---------- */

struct rec {
	struct kup_buf log;
	size_t ndocs;
	size_t nerr_seen;
	char *docs[16];                 /* JSON of the first documents */
	uint32_t err_line[16], err_col[16];
	enum kup_status err_code[16];
	char *err_msg[16];
	size_t doc_index[16];
	bool doc_null[16];
	enum kup_status stop_after;     /* returned after the first document */
	bool check_text;                /* verify doc->text against node offsets */
	const char *whole;              /* the whole input, when known */
	const char *const *skip;        /* opts.skip_paths */
	bool shape;                     /* log every node's position in `nodes` */
	struct kup_buf nodes;
};

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	kup_buf_init(&r->log);
}

static void rec_release(struct rec *r)
{
	size_t i;

	kup_buf_release(&r->log);
	kup_buf_release(&r->nodes);
	for (i = 0; i < 16; i++) {
		free(r->docs[i]);
		free(r->err_msg[i]);
	}
}

static void on_error(void *ctx, const struct kup_error *err)
{
	struct rec *r = ctx;

	kup_buf_addf(&r->log, "error %d %u:%u %s\n", (int)err->code, err->line,
		     err->column, err->msg ? err->msg : "");
	if (r->nerr_seen < 16) {
		r->err_line[r->nerr_seen] = err->line;
		r->err_col[r->nerr_seen] = err->column;
		r->err_code[r->nerr_seen] = err->code;
		r->err_msg[r->nerr_seen] = strdup(err->msg ? err->msg : "");
	}
	r->nerr_seen++;
}

/* Every node's bytes in doc->text lie inside the document. */
static void check_offsets(const struct kup_doc *doc, const struct kup_node *n)
{
	size_t i;

	if (!n)
		return;
	assert_true(n->start >= doc->start);
	assert_true(n->end <= doc->end);
	assert_true(n->start <= n->end);
	assert_true(n->line >= 1 && n->column >= 1);
	if (n->kind == KUP_NODE_MAP) {
		for (i = 0; i < n->len; i++) {
			check_offsets(doc, n->u.pairs[i].key);
			check_offsets(doc, n->u.pairs[i].value);
		}
	} else if (n->kind == KUP_NODE_SEQ) {
		for (i = 0; i < n->len; i++)
			check_offsets(doc, n->u.items[i]);
	}
}

/* Every node's kind and position, in document order, one per line. */
static void log_nodes(struct kup_buf *b, const struct kup_node *n)
{
	size_t i;

	if (!n)
		return;
	kup_buf_addf(b, "%d %u:%u [%zu,%zu)\n", (int)n->kind, n->line, n->column,
		     n->start, n->end);
	if (n->kind == KUP_NODE_MAP) {
		for (i = 0; i < n->len; i++) {
			log_nodes(b, n->u.pairs[i].key);
			log_nodes(b, n->u.pairs[i].value);
		}
	} else if (n->kind == KUP_NODE_SEQ) {
		for (i = 0; i < n->len; i++)
			log_nodes(b, n->u.items[i]);
	}
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct rec *r = ctx;
	struct kup_buf j = KUP_BUF_INIT;

	if (r->shape)
		log_nodes(&r->nodes, doc->root);

	kup_node_to_json(doc->root, &j);
	assert_false(j.oom);
	kup_buf_addf(&r->log, "doc %zu line %u [%zu,%zu) %s\n", doc->index, doc->line,
		     doc->start, doc->end, j.buf);
	assert_non_null(doc->text);
	assert_int_equal(doc->text_len, doc->end - doc->start);
	if (r->whole)
		assert_memory_equal(doc->text, r->whole + doc->start, doc->text_len);
	check_offsets(doc, doc->root);
	if (r->ndocs < 16) {
		r->docs[r->ndocs] = kup_buf_detach(&j, NULL);
		r->doc_index[r->ndocs] = doc->index;
		r->doc_null[r->ndocs] = doc->root == NULL;
	}
	kup_buf_release(&j);
	r->ndocs++;
	return r->stop_after;
}

static enum kup_status read_mem_lim(struct rec *r, const char *text, size_t len,
				    const struct kup_read_limits *lim, size_t *nerrors)
{
	struct kup_yaml_opts opts;
	struct kup_arena arena;
	enum kup_status st;

	kup_yaml_opts_init(&opts, "t.yaml");
	if (lim)
		opts.limits = *lim;
	opts.errors.fn = on_error;
	opts.errors.ctx = r;
	opts.skip_paths = r->skip;
	r->whole = text;
	kup_arena_init(&arena, 4096);
	st = kup_yaml_read_mem(text, len, &opts, &arena, on_doc, r, nerrors);
	kup_arena_release(&arena);
	return st;
}

static enum kup_status read_file_lim(struct rec *r, const char *text, size_t len,
				     const struct kup_read_limits *lim, size_t *nerrors)
{
	struct kup_yaml_opts opts;
	struct kup_arena arena;
	enum kup_status st;
	FILE *fp = tmpfile();

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	rewind(fp);
	kup_yaml_opts_init(&opts, "t.yaml");
	if (lim)
		opts.limits = *lim;
	opts.errors.fn = on_error;
	opts.errors.ctx = r;
	opts.skip_paths = r->skip;
	r->whole = text;
	kup_arena_init(&arena, 4096);
	st = kup_yaml_read_file(fp, &opts, &arena, on_doc, r, nerrors);
	kup_arena_release(&arena);
	fclose(fp);
	return st;
}

/* Reads text both ways, checks both agree, leaves the mem result in r. */
static void read_both(struct rec *r, const char *text, size_t len,
		      const struct kup_read_limits *lim, size_t *nerrors)
{
	struct rec f;
	size_t nf = 99;

	rec_init(&f);
	f.skip = r->skip;
	assert_int_equal(read_mem_lim(r, text, len, lim, nerrors), KUP_OK);
	assert_int_equal(read_file_lim(&f, text, len, lim, &nf), KUP_OK);
	assert_string_equal(r->log.buf, f.log.buf);
	assert_int_equal(*nerrors, nf);
	assert_int_equal(*nerrors, r->nerr_seen);
	rec_release(&f);
}

#define READ(r, s, nerr) read_both((r), (s), strlen(s), NULL, (nerr))

/* ---- tests --------------------------------------------------------------- */

static void test_multi_doc_error_in_middle(void **state)
{
	static const char in[] =
		"a: 1\n"          /* 1 */
		"---\n"           /* 2 */
		"b: 2\n"          /* 3 */
		"c: d: e\n"       /* 4: mapping values not allowed */
		"---\n"           /* 5 */
		"f: [x, \"y\"]\n";/* 6 */
	struct rec r;
	size_t nerr;

	(void)state;
	rec_init(&r);
	READ(&r, in, &nerr);
	assert_int_equal(nerr, 1);
	assert_int_equal(r.ndocs, 2);
	assert_string_equal(r.docs[0], "{\"a\":1}");
	assert_string_equal(r.docs[1], "{\"f\":[\"x\",\"y\"]}");
	assert_int_equal(r.doc_index[0], 0);
	assert_int_equal(r.doc_index[1], 2);
	assert_int_equal(r.err_line[0], 4);
	assert_int_equal(r.err_col[0], 5);
	assert_int_equal(r.err_code[0], KUP_PARSE);
	assert_non_null(strstr(r.err_msg[0], "mapping values are not allowed"));
	assert_non_null(strstr(r.log.buf, "doc 2 line 5 [22,38)"));
	rec_release(&r);
}

static void test_error_positions_later_docs(void **state)
{
	/* an unclosed flow sequence, reported in file lines, then two more docs */
	static const char in[] =
		"---\nok: 1\n---\nlist: [1, 2\nnext: 3\n---\nz: 1\n---\ny: 2\n";
	struct rec r;
	size_t nerr;

	(void)state;
	rec_init(&r);
	READ(&r, in, &nerr);
	assert_int_equal(nerr, 1);
	assert_int_equal(r.ndocs, 3);
	assert_true(r.err_line[0] >= 4 && r.err_line[0] <= 6);
	assert_string_equal(r.docs[1], "{\"z\":1}");
	assert_string_equal(r.docs[2], "{\"y\":2}");
	assert_int_equal(r.doc_index[2], 3);
	rec_release(&r);
}

static void test_truncated(void **state)
{
	struct rec r;
	size_t nerr;

	(void)state;
	rec_init(&r);
	READ(&r, "a:\n  b: [1, 2", &nerr);
	assert_int_equal(nerr, 1);
	assert_int_equal(r.ndocs, 0);
	rec_release(&r);
	rec_init(&r);
	READ(&r, "a: \"unterminated\n", &nerr);
	assert_int_equal(nerr, 1);
	rec_release(&r);
}

static const struct kup_node *root_of(const char *text, struct kup_arena *arena,
				      struct kup_node **out);

/* Keeps the root of a one-document input alive: uses a private arena. */
struct keep {
	struct kup_arena *arena;
	struct kup_node *root;
	struct kup_doc doc;
	int ndocs;
};

static struct kup_node *clone(struct kup_arena *a, const struct kup_node *n)
{
	/* deep copy into an arena that the reader does not reset */
	struct kup_node *c;
	size_t i;

	if (!n)
		return NULL;
	c = kup_arena_alloc(a, sizeof(*c));
	*c = *n;
	if (n->kind == KUP_NODE_SCALAR) {
		c->u.str = kup_arena_strndup(a, n->u.str, n->len);
	} else if (n->kind == KUP_NODE_MAP) {
		c->u.pairs = kup_arena_alloc(a, (n->len + 1) * sizeof(*c->u.pairs));
		for (i = 0; i < n->len; i++) {
			c->u.pairs[i].key = clone(a, n->u.pairs[i].key);
			c->u.pairs[i].value = clone(a, n->u.pairs[i].value);
		}
	} else {
		c->u.items = kup_arena_alloc(a, (n->len + 1) * sizeof(*c->u.items));
		for (i = 0; i < n->len; i++)
			c->u.items[i] = clone(a, n->u.items[i]);
	}
	return c;
}

static enum kup_status keep_doc(void *ctx, const struct kup_doc *doc)
{
	struct keep *k = ctx;

	k->root = clone(k->arena, doc->root);
	k->doc = *doc;
	k->ndocs++;
	return KUP_OK;
}

static const struct kup_node *root_of(const char *text, struct kup_arena *keep_arena,
				      struct kup_node **out)
{
	struct kup_yaml_opts opts;
	struct kup_arena arena;
	struct keep k = { keep_arena, NULL, { 0 }, 0 };
	size_t nerr;

	kup_yaml_opts_init(&opts, "t.yaml");
	kup_arena_init(&arena, 4096);
	assert_int_equal(kup_yaml_read_mem(text, strlen(text), &opts, &arena, keep_doc,
					   &k, &nerr), KUP_OK);
	kup_arena_release(&arena);
	assert_int_equal(nerr, 0);
	assert_int_equal(k.ndocs, 1);
	*out = k.root;
	return k.root;
}

/* A callback that checks aliases share the anchored node. */
static enum kup_status alias_doc(void *ctx, const struct kup_doc *doc)
{
	const struct kup_node *base = kup_node_get(doc->root, "base");
	const struct kup_node *use = kup_node_get(doc->root, "use");
	int *ok = ctx;

	assert_non_null(base);
	assert_ptr_equal(base, use);   /* no copy */
	*ok = 1;
	return KUP_OK;
}

static void test_anchors_aliases(void **state)
{
	struct kup_yaml_opts opts;
	struct kup_arena arena;
	size_t nerr;
	int ok = 0;
	static const char in[] = "base: &b {x: 1, y: [a, b]}\nuse: *b\n";
	struct rec r;

	(void)state;
	kup_yaml_opts_init(&opts, "t.yaml");
	kup_arena_init(&arena, 4096);
	assert_int_equal(kup_yaml_read_mem(in, strlen(in), &opts, &arena, alias_doc, &ok,
					   &nerr), KUP_OK);
	assert_int_equal(nerr, 0);
	assert_int_equal(ok, 1);
	kup_arena_release(&arena);

	rec_init(&r);
	READ(&r, in, &nerr);
	assert_string_equal(r.docs[0],
			    "{\"base\":{\"x\":1,\"y\":[\"a\",\"b\"]},\"use\":{\"x\":1,\"y\":[\"a\",\"b\"]}}");
	rec_release(&r);

	/* an unknown anchor is an error of that document only */
	rec_init(&r);
	READ(&r, "a: *nope\n---\nb: 1\n", &nerr);
	assert_int_equal(nerr, 1);
	assert_non_null(strstr(r.err_msg[0], "nope"));
	assert_int_equal(r.err_line[0], 1);
	assert_int_equal(r.err_col[0], 4);
	assert_string_equal(r.docs[0], "{\"b\":1}");
	rec_release(&r);

	/* anchors do not leak into the next document */
	rec_init(&r);
	READ(&r, "a: &x 1\n---\nb: *x\n", &nerr);
	assert_int_equal(nerr, 1);
	assert_int_equal(r.ndocs, 1);
	rec_release(&r);

	/* a node cannot contain an alias to itself */
	rec_init(&r);
	READ(&r, "a: &x [1, *x]\n", &nerr);
	assert_int_equal(nerr, 1);
	rec_release(&r);
}

static void test_merge_keys(void **state)
{
	struct rec r;
	size_t nerr;

	(void)state;
	rec_init(&r);
	READ(&r,
	     "base: &b {x: 1, y: 2}\n"
	     "m:\n"
	     "  <<: *b\n"
	     "  y: 3\n"
	     "---\n"
	     "a: &a {k: 1}\n"
	     "b: &bb {k: 2, j: 2}\n"
	     "c:\n"
	     "  z: 0\n"
	     "  <<: [*a, *bb]\n"
	     "---\n"
	     "q: {\"<<\": 1}\n"        /* a quoted << is an ordinary key */
	     "---\n"
	     "bad:\n  <<: 5\n",
	     &nerr);
	assert_int_equal(r.ndocs, 3);
	assert_string_equal(r.docs[0], "{\"base\":{\"x\":1,\"y\":2},\"m\":{\"y\":3,\"x\":1}}");
	assert_string_equal(r.docs[1],
			    "{\"a\":{\"k\":1},\"b\":{\"k\":2,\"j\":2},\"c\":{\"z\":0,\"k\":1,\"j\":2}}");
	assert_string_equal(r.docs[2], "{\"q\":{\"<<\":1}}");
	assert_int_equal(nerr, 1);
	assert_non_null(strstr(r.err_msg[0], "merge"));
	rec_release(&r);
}

static void test_alias_bomb(void **state)
{
	static const char in[] =
		"a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
		"---\n"
		"after: bomb\n";
	struct rec r;
	size_t nerr;

	(void)state;
	rec_init(&r);
	READ(&r, in, &nerr);
	assert_int_equal(nerr, 1);
	assert_int_equal(r.err_code[0], KUP_TOOBIG);
	assert_non_null(strstr(r.err_msg[0], "alias"));
	assert_int_equal(r.ndocs, 1);
	assert_string_equal(r.docs[0], "{\"after\":\"bomb\"}");
	rec_release(&r);

	/* a moderate use of aliases is fine */
	rec_init(&r);
	READ(&r, "a: &a [1, 2]\nb: [*a, *a, *a]\n", &nerr);
	assert_int_equal(nerr, 0);
	assert_string_equal(r.docs[0], "{\"a\":[1,2],\"b\":[[1,2],[1,2],[1,2]]}");
	rec_release(&r);

	/* the limit is honoured exactly */
	{
		struct kup_read_limits lim;
		kup_read_limits_default(&lim);
		lim.max_aliases = 6;   /* [1, 2] costs 3 nodes per alias */
		rec_init(&r);
		read_both(&r, "a: &a [1, 2]\nb: [*a, *a]\n", 24, &lim, &nerr);
		assert_int_equal(nerr, 0);
		rec_release(&r);
		rec_init(&r);
		read_both(&r, "a: &a [1, 2]\nb: [*a, *a, *a]\n", 28, &lim, &nerr);
		assert_int_equal(nerr, 1);
		rec_release(&r);
	}
}

static char *nest(size_t depth, char open, char close)
{
	char *s = malloc(2 * depth + 2);
	size_t i;

	for (i = 0; i < depth; i++) {
		s[i] = open;
		s[depth + i] = close;
	}
	s[2 * depth] = '\n';
	s[2 * depth + 1] = '\0';
	return s;
}

static void test_deep_nesting(void **state)
{
	struct rec r;
	size_t nerr;
	char *deep = nest(5000, '[', ']'), *ok = nest(100, '[', ']');
	struct kup_buf b = KUP_BUF_INIT;

	(void)state;
	rec_init(&r);
	READ(&r, deep, &nerr);
	assert_int_equal(nerr, 1);
	assert_non_null(strstr(r.err_msg[0], "nesting deeper than 512"));
	assert_int_equal(r.err_line[0], 1);
	assert_int_equal(r.err_col[0], 513);
	rec_release(&r);

	rec_init(&r);
	READ(&r, ok, &nerr);
	assert_int_equal(nerr, 0);
	assert_int_equal(r.ndocs, 1);
	rec_release(&r);

	/* aliases cannot smuggle depth past the limit */
	{
		struct kup_read_limits lim;
		kup_read_limits_default(&lim);
		lim.max_depth = 5;
		rec_init(&r);
		kup_buf_adds(&b, "a: &a [[[1]]]\nb: [*a]\n");
		read_both(&r, b.buf, b.len, &lim, &nerr);
		assert_int_equal(nerr, 0);
		rec_release(&r);
		rec_init(&r);
		kup_buf_reset(&b);
		kup_buf_adds(&b, "a: &a [[[1]]]\nb: [[*a]]\n");
		read_both(&r, b.buf, b.len, &lim, &nerr);
		assert_int_equal(nerr, 1);
		assert_non_null(strstr(r.err_msg[0], "nesting deeper than 5"));
		rec_release(&r);
	}
	kup_buf_release(&b);
	free(deep);
	free(ok);
}

static void test_huge_scalar(void **state)
{
	size_t n = 10u << 20, nerr;
	char *in = malloc(n + 32);
	struct rec r;
	struct kup_read_limits lim;

	(void)state;
	memcpy(in, "a: ", 3);
	memset(in + 3, 'x', n);
	memcpy(in + 3 + n, "\n---\nb: 1\n", 11);
	rec_init(&r);
	read_both(&r, in, strlen(in), NULL, &nerr);
	assert_int_equal(nerr, 0);
	assert_int_equal(r.ndocs, 2);
	assert_int_equal(strlen(r.docs[0]), n + 8);   /* {"a":"xxx..."} */
	rec_release(&r);

	/* past max_scalar: that document is an error */
	kup_read_limits_default(&lim);
	lim.max_scalar = 1u << 20;
	rec_init(&r);
	read_both(&r, in, strlen(in), &lim, &nerr);
	assert_int_equal(nerr, 1);
	assert_int_equal(r.err_code[0], KUP_TOOBIG);
	assert_int_equal(r.ndocs, 1);
	assert_string_equal(r.docs[0], "{\"b\":1}");
	rec_release(&r);
	free(in);
}

static void test_empty_inputs(void **state)
{
	static const char *const none[] = {
		"", "\n", "   \n\n", "# only a comment\n", "# a\n\n# b", "\xEF\xBB\xBF",
		"...\n", "# c\n...\n",
	};
	struct rec r;
	size_t nerr, i;

	(void)state;
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		rec_init(&r);
		READ(&r, none[i], &nerr);
		assert_int_equal(nerr, 0);
		assert_int_equal(r.ndocs, 0);
		rec_release(&r);
	}
	/* explicit empty documents are delivered with root == NULL */
	rec_init(&r);
	READ(&r, "---", &nerr);
	assert_int_equal(nerr, 0);
	assert_int_equal(r.ndocs, 1);
	assert_true(r.doc_null[0]);
	rec_release(&r);

	rec_init(&r);
	READ(&r, "---\n# nothing\n---\n---\na: 1\n", &nerr);
	assert_int_equal(nerr, 0);
	assert_int_equal(r.ndocs, 3);
	assert_true(r.doc_null[0]);
	assert_true(r.doc_null[1]);
	assert_false(r.doc_null[2]);
	assert_int_equal(r.doc_index[2], 2);
	rec_release(&r);

	/* `--- ~` is a document holding null, not an empty one */
	rec_init(&r);
	READ(&r, "--- ~\n", &nerr);
	assert_int_equal(r.ndocs, 1);
	assert_false(r.doc_null[0]);
	assert_string_equal(r.docs[0], "null");
	rec_release(&r);
}

static void test_bom_crlf(void **state)
{
	static const char in[] = "\xEF\xBB\xBF" "a: b\r\nc: \"d\"\r\n---\r\ne: 1\r\n";
	struct rec r;
	size_t nerr;

	(void)state;
	rec_init(&r);
	READ(&r, in, &nerr);
	assert_int_equal(nerr, 0);
	assert_int_equal(r.ndocs, 2);
	assert_string_equal(r.docs[0], "{\"a\":\"b\",\"c\":\"d\"}");
	assert_string_equal(r.docs[1], "{\"e\":1}");
	/* offsets stay relative to the file, BOM included */
	assert_non_null(strstr(r.log.buf, "doc 0 line 1 [3,17)"));
	assert_non_null(strstr(r.log.buf, "doc 1 line 3 [17,28)"));
	rec_release(&r);
}

static enum kup_status pos_doc(void *ctx, const struct kup_doc *doc)
{
	const char *whole = ctx;
	const struct kup_node *n;
	struct kup_str s;

	/* é: ü / name: "日本" / x: 'ß' / y: |  block */
	n = kup_node_get(doc->root, "é");
	assert_non_null(n);
	assert_int_equal(n->end - n->start, strlen("ü"));
	assert_memory_equal(whole + n->start, "ü", strlen("ü"));
	assert_memory_equal(doc->text + (n->start - doc->start), "ü", strlen("ü"));
	assert_int_equal(n->line, 2);
	assert_int_equal(n->column, 4);
	n = kup_node_get(doc->root, "name");
	assert_memory_equal(whole + n->start, "\"日本\"", n->end - n->start);
	assert_int_equal(n->end - n->start, strlen("\"日本\""));
	assert_int_equal(n->column, 7);
	s = kup_node_slice(n);
	assert_int_equal(s.n, strlen("日本"));
	n = kup_node_get(doc->root, "x");
	assert_int_equal(n->end - n->start, strlen("'ß'"));
	assert_memory_equal(whole + n->start, "'ß'", n->end - n->start);
	assert_int_equal(n->style, KUP_STYLE_SINGLE);
	n = kup_node_get(doc->root, "ææææ");
	assert_memory_equal(whole + n->start, "ok", 2);
	assert_int_equal(n->column, 7);   /* characters, not bytes */
	/* 4-byte characters count as one character each */
	n = kup_node_get(doc->root, "😀😀");
	assert_int_equal(n->kind, KUP_NODE_SEQ);
	assert_int_equal(n->column, 5);
	assert_memory_equal(whole + n->start, "[x]", 3);
	assert_int_equal(n->end - n->start, 3);
	assert_memory_equal(whole + n->u.items[0]->start, "x", 1);
	/* a block map ends with its last value, not at the next token */
	n = kup_node_get(doc->root, "m");
	assert_int_equal(n->style, KUP_STYLE_BLOCK);
	assert_memory_equal(whole + n->end - 3, "end", 3);
	assert_memory_equal(whole + n->start, "k1", 2);
	return KUP_OK;
}

static void test_non_ascii_offsets(void **state)
{
	static const char in[] =
		"# ünïcödé comment\n"
		"é: ü\n"
		"name: \"日本\"\n"
		"x: 'ß'\n"
		"ææææ: ok\n"
		"😀😀: [x]\n"
		"m:\n"
		"  k1: ☃\n"
		"  k2: end\n"
		"\n"
		"# trailing\n";
	struct kup_yaml_opts opts;
	struct kup_arena arena;
	size_t nerr;
	struct rec r;

	(void)state;
	kup_yaml_opts_init(&opts, "t.yaml");
	kup_arena_init(&arena, 4096);
	assert_int_equal(kup_yaml_read_mem(in, strlen(in), &opts, &arena, pos_doc,
					   (void *)in, &nerr), KUP_OK);
	assert_int_equal(nerr, 0);
	kup_arena_release(&arena);
	rec_init(&r);
	READ(&r, in, &nerr);   /* and the file reader agrees */
	rec_release(&r);
}

static void test_tabs(void **state)
{
	struct rec r;
	size_t nerr;

	(void)state;
	rec_init(&r);
	READ(&r, "a:\n\tb: 1\n---\nc: \"tab\tinside\"\n", &nerr);
	assert_int_equal(nerr, 1);
	assert_int_equal(r.err_line[0], 2);
	assert_int_equal(r.err_col[0], 1);
	assert_int_equal(r.ndocs, 1);
	assert_string_equal(r.docs[0], "{\"c\":\"tab\\tinside\"}");
	rec_release(&r);
}

static void test_directives(void **state)
{
	static const char in[] =
		"%YAML 1.1\n"
		"---\n"
		"a: 1\n"
		"...\n"
		"%YAML 1.1\n"
		"%TAG !e! tag:example.com,2000:\n"
		"---\n"
		"b: !e!x 2\n"
		"c: !!str 3\n"
		"d: !!int \"4\"\n"
		"e: !!float 5\n";
	struct rec r;
	size_t nerr;

	(void)state;
	rec_init(&r);
	READ(&r, in, &nerr);
	assert_int_equal(nerr, 0);
	assert_int_equal(r.ndocs, 2);
	assert_string_equal(r.docs[0], "{\"a\":1}");
	assert_string_equal(r.docs[1], "{\"b\":\"2\",\"c\":\"3\",\"d\":4,\"e\":5}");
	assert_non_null(strstr(r.log.buf, "doc 1 line 5 "));
	rec_release(&r);

	/* a directive right after a document's content goes with the next one */
	rec_init(&r);
	READ(&r, "a: 1\n%YAML 1.1\n---\nb: 2\n", &nerr);
	assert_int_equal(nerr, 0);
	assert_int_equal(r.ndocs, 2);
	assert_non_null(strstr(r.log.buf, "doc 0 line 1 [0,5) "));
	assert_non_null(strstr(r.log.buf, "doc 1 line 2 [5,"));
	rec_release(&r);

	/* a directive with no document is an error */
	rec_init(&r);
	READ(&r, "a: 1\n...\n%YAML 1.1\n", &nerr);
	assert_int_equal(nerr, 1);
	assert_int_equal(r.ndocs, 1);
	rec_release(&r);
}

static void test_document_cap(void **state)
{
	struct kup_read_limits lim;
	struct kup_buf b = KUP_BUF_INIT;
	struct rec r;
	size_t nerr, i;

	(void)state;
	kup_read_limits_default(&lim);
	lim.max_document = 100;
	kup_buf_adds(&b, "a: 1\n---\n");
	for (i = 0; i < 20; i++)
		kup_buf_addf(&b, "k%zu: value\n", i);
	kup_buf_adds(&b, "---\nc: 3\n");
	rec_init(&r);
	read_both(&r, b.buf, b.len, &lim, &nerr);
	assert_int_equal(nerr, 1);
	assert_int_equal(r.err_code[0], KUP_TOOBIG);
	assert_int_equal(r.err_line[0], 2);
	assert_int_equal(r.ndocs, 2);
	assert_int_equal(r.doc_index[1], 2);
	assert_string_equal(r.docs[1], "{\"c\":3}");
	rec_release(&r);

	/* larger than the file reader's chunk: many lines, then one long line */
	kup_buf_reset(&b);
	lim.max_document = 4096;
	kup_buf_adds(&b, "first: 1\n---\n");
	for (i = 0; i < 200000; i++)
		kup_buf_addf(&b, "key%zu: some value here\n", i);
	kup_buf_adds(&b, "---\nmiddle: 2\n---\nlong: ");
	for (i = 0; i < 3000000; i++)
		kup_buf_addc(&b, 'y');
	kup_buf_adds(&b, "\n---\nlast: 3\n");
	assert_false(b.oom);
	rec_init(&r);
	read_both(&r, b.buf, b.len, &lim, &nerr);
	assert_int_equal(nerr, 2);
	assert_int_equal(r.ndocs, 3);
	assert_string_equal(r.docs[0], "{\"first\":1}");
	assert_string_equal(r.docs[1], "{\"middle\":2}");
	assert_string_equal(r.docs[2], "{\"last\":3}");
	assert_int_equal(r.doc_index[2], 4);
	assert_int_equal(r.err_line[1], 200005);
	rec_release(&r);
	kup_buf_release(&b);
}

static void test_invalid_utf8(void **state)
{
	struct rec r;
	size_t nerr;

	(void)state;
	rec_init(&r);
	READ(&r, "a: b\n---\nc: d\ne: x\xff\n---\nf: 1\n", &nerr);
	assert_int_equal(nerr, 1);
	assert_int_equal(r.err_code[0], KUP_ENCODING);
	assert_int_equal(r.err_line[0], 4);
	assert_int_equal(r.err_col[0], 5);
	assert_int_equal(r.ndocs, 2);
	assert_string_equal(r.docs[1], "{\"f\":1}");
	rec_release(&r);

	/* a truncated multi-byte sequence at the very end */
	rec_init(&r);
	READ(&r, "a: \xc3", &nerr);
	assert_int_equal(nerr, 1);
	rec_release(&r);
}

static void test_scalar_tags_and_styles(void **state)
{
	struct kup_arena keep;
	struct kup_node *root;
	const struct kup_node *n;
	int64_t iv;
	bool bv;

	(void)state;
	kup_arena_init(&keep, 4096);
	root_of("a: yes\nb: 'yes'\nc: 0x1F\nd: ~\ne: 1.5\nf: |\n  lit\ng: >\n  fold\n"
		"h: \"0x1F\"\ni: !!str 7\nj: 010\nk:\n", &keep, &root);
	n = kup_node_get(root, "a");
	assert_int_equal(n->tag, KUP_TAG_BOOL);
	assert_true(kup_node_bool(n, &bv) && bv);
	assert_int_equal(kup_node_get(root, "b")->tag, KUP_TAG_STR);
	assert_int_equal(kup_node_get(root, "b")->style, KUP_STYLE_SINGLE);
	assert_true(kup_node_int(kup_node_get(root, "c"), &iv));
	assert_int_equal(iv, 31);
	assert_int_equal(kup_node_get(root, "d")->tag, KUP_TAG_NULL);
	assert_int_equal(kup_node_get(root, "e")->tag, KUP_TAG_FLOAT);
	assert_int_equal(kup_node_get(root, "f")->style, KUP_STYLE_LITERAL);
	assert_string_equal(kup_node_str(kup_node_get(root, "f")), "lit\n");
	assert_int_equal(kup_node_get(root, "g")->style, KUP_STYLE_FOLDED);
	assert_int_equal(kup_node_get(root, "h")->tag, KUP_TAG_STR);
	assert_true(kup_node_eq(kup_node_get(root, "h"), "0x1F"));
	assert_int_equal(kup_node_get(root, "i")->tag, KUP_TAG_STR);
	assert_true(kup_node_int(kup_node_get(root, "j"), &iv));
	assert_int_equal(iv, 8);
	assert_int_equal(kup_node_get(root, "k")->tag, KUP_TAG_NULL);
	assert_int_equal(kup_node_get(root, "k")->len, 0);
	kup_arena_release(&keep);
}

static enum kup_status text_doc(void *ctx, const struct kup_doc *doc)
{
	const struct kup_node *n = kup_node_path(doc->root, "metadata", "name", NULL);
	int *count = ctx;

	assert_non_null(n);
	assert_memory_equal(doc->text + (n->start - doc->start), n->u.str, n->len);
	assert_int_equal(n->line, doc->line + (*count == 0 ? 3 : 4));
	assert_true(doc->line > 10);
	(*count)++;
	return *count == 2 ? KUP_STOP : KUP_OK;
}

static void test_stop_and_line_offset(void **state)
{
	static const char in[] =
		"# lead\n---\nkind: A\nmetadata:\n  name: one\n---\n# c\nkind: B\nmetadata:\n  name: two\n"
		"---\nkind: C\nmetadata:\n  name: three\n";
	struct kup_yaml_opts opts;
	struct kup_arena arena;
	size_t nerr;
	int count = 0;
	FILE *fp;

	(void)state;
	kup_yaml_opts_init(&opts, "t.yaml");
	opts.line_offset = 10;
	kup_arena_init(&arena, 4096);
	assert_int_equal(kup_yaml_read_mem(in, strlen(in), &opts, &arena, text_doc, &count,
					   &nerr), KUP_STOP);
	assert_int_equal(count, 2);
	count = 0;
	fp = tmpfile();
	fputs(in, fp);
	rewind(fp);
	assert_int_equal(kup_yaml_read_file(fp, &opts, &arena, text_doc, &count, &nerr),
			 KUP_STOP);
	assert_int_equal(count, 2);
	fclose(fp);
	kup_arena_release(&arena);
}

/* ---- skip_paths ------------------------------------------------------------ */

static const char *const skip_mf[] = { "metadata/managedFields/*/fieldsV1", "x/y", NULL };

/* The log without the documents' JSON: indexes, lines, ranges and errors. */
static char *log_frame(const char *log)
{
	struct kup_buf b = KUP_BUF_INIT;
	const char *p = log;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *cut = strncmp(p, "doc ", 4) == 0 ? memchr(p, ')', n) : NULL;

		kup_buf_add(&b, p, cut ? (size_t)(cut - p + 1) : n);
		kup_buf_addc(&b, '\n');
		p += n + (nl != NULL);
	}
	return kup_buf_detach(&b, NULL);
}

/* True when every line of sub appears in all, in the same order. */
static bool lines_subsequence(const char *sub, const char *all)
{
	while (*sub) {
		const char *nl = strchr(sub, '\n');
		size_t n = nl ? (size_t)(nl - sub + 1) : strlen(sub);
		const char *hit;

		for (hit = all; *hit; ) {
			const char *e = strchr(hit, '\n');
			size_t m = e ? (size_t)(e - hit + 1) : strlen(hit);
			if (m == n && memcmp(hit, sub, n) == 0)
				break;
			hit += m;
		}
		if (!*hit)
			return false;
		all = hit + n;
		sub += n;
	}
	return true;
}

/*
 * Reads text in full and with skip_mf (both ways: memory and file): the
 * same documents at the same places, the same errors at the same places,
 * every node the skipping read built is one of the full read's at the same
 * position.  Leaves the skipping read in *sk.
 */
static void read_skip(struct rec *sk, const char *text, const struct kup_read_limits *lim)
{
	struct rec full;
	size_t n1 = 0, n2 = 0;
	char *f1, *f2;

	rec_init(&full);
	full.shape = true;
	sk->shape = true;
	sk->skip = skip_mf;
	read_both(&full, text, strlen(text), lim, &n1);
	read_both(sk, text, strlen(text), lim, &n2);
	assert_int_equal(n1, n2);
	f1 = log_frame(full.log.buf ? full.log.buf : "");
	f2 = log_frame(sk->log.buf ? sk->log.buf : "");
	assert_string_equal(f1, f2);
	assert_true(lines_subsequence(sk->nodes.buf ? sk->nodes.buf : "",
				      full.nodes.buf ? full.nodes.buf : ""));
	free(f1);
	free(f2);
	rec_release(&full);
}

static void test_skip_paths(void **state)
{
	struct rec r;

	(void)state;
	rec_init(&r);
	read_skip(&r,
		  "kind: Pod\n"
		  "metadata:\n"
		  "  name: p\n"
		  "  managedFields:\n"
		  "  - manager: kubectl\n"
		  "    fieldsV1:\n"
		  "      f:metadata:\n"
		  "        f:labels: {.: {}, f:app: {}}\n"
		  "      f:spec: [1, {a: b}]\n"
		  "  - fieldsV1: {f:x: {}}\n"   /* the entry's only member */
		  "    time: t\n"
		  "  - manager: m\n"
		  "    fieldsV1: \"last member\"\n"
		  "spec:\n"
		  "  fieldsV1: kept\n"           /* not at the path */
		  "x: {y: 1, z: 2}\n"
		  "---\n"
		  "metadata: {managedFields: [{fieldsV1: 1}, 2, [3]]}\n"
		  "---\n"
		  "x:\n"
		  "  y:\n"                       /* the map's only member */
		  "    deep: [a, b]\n", NULL);
	assert_int_equal(r.ndocs, 3);
	assert_string_equal(r.docs[0],
			    "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"managedFields\":"
			    "[{\"manager\":\"kubectl\"},{\"time\":\"t\"},{\"manager\":\"m\"}]},"
			    "\"spec\":{\"fieldsV1\":\"kept\"},\"x\":{\"z\":2}}");
	assert_string_equal(r.docs[1], "{\"metadata\":{\"managedFields\":[{},2,[3]]}}");
	assert_string_equal(r.docs[2], "{\"x\":{}}");
	rec_release(&r);

	/* anchors: built in full wherever they stand, aliases expand as before */
	rec_init(&r);
	read_skip(&r,
		  "x:\n"
		  "  y: &a {k: [1, 2]}\n"
		  "  w: *a\n"
		  "  v: {q: &b deep}\n"
		  "z: *a\n"
		  "---\n"
		  "x:\n"
		  "  y: {n: &c [1, &d {e: f}]}\n"
		  "o: [*c, *d]\n"
		  "---\n"
		  "x:\n"                         /* a merge re-supplies no skipped key */
		  "  <<: {y: 1, u: 2}\n"
		  "  y: 3\n"
		  "---\n"
		  "x:\n"
		  "  y: &s 5\n"
		  "  t: *s\n", NULL);
	assert_int_equal(r.ndocs, 4);
	assert_string_equal(r.docs[0],
			    "{\"x\":{\"w\":{\"k\":[1,2]},\"v\":{\"q\":\"deep\"}},\"z\":{\"k\":[1,2]}}");
	assert_string_equal(r.docs[1], "{\"x\":{},\"o\":[[1,{\"e\":\"f\"}],{\"e\":\"f\"}]}");
	assert_string_equal(r.docs[2], "{\"x\":{\"u\":2}}");
	assert_string_equal(r.docs[3], "{\"x\":{\"t\":5}}");
	rec_release(&r);
}

/* Errors inside a skipped member are the full read's, at the same places. */
static void test_skip_paths_errors(void **state)
{
	static const char *const bad[] = {
		"x:\n  y: *nowhere\n",                       /* unknown anchor */
		"x:\n  y:\n    <<: 5\n",                     /* merge of a scalar */
		"x:\n  y:\n    <<: [{a: 1}, 2]\n",
		"x:\n  y: {a: [1, 2}\n",                     /* syntax */
		"x:\n  y: [[[[[[[[[[1]]]]]]]]]]\n",           /* depth */
		"x:\n  y: 0123456789012345678901234567890123456789\n",   /* scalar length */
		"x:\n  y: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]\n",   /* nodes */
		"a: &a [1, 2, 3, 4, 5, 6, 7, 8]\nx:\n  y: [*a, *a, *a, *a]\n",   /* alias cost */
		"x:\n  y:\n    <<: {a: 1}\n    b: 2\n",        /* no error: a good merge */
		"x:\n  y:\n    !!str <<: 5\n",                /* no error: not a merge */
	};
	struct kup_read_limits lim;
	size_t i;

	(void)state;
	kup_read_limits_default(&lim);
	lim.max_depth = 8;
	lim.max_scalar = 32;
	lim.max_nodes = 16;
	lim.max_aliases = 20;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rec r;
		rec_init(&r);
		read_skip(&r, bad[i], &lim);
		assert_int_equal(r.nerr_seen, i < 8 ? 1 : 0);
		rec_release(&r);
	}
}

static void test_skip_paths_invalid(void **state)
{
	static const char *const star_last[] = { "a/*", NULL };
	static const char *const empty[] = { "a//b", NULL };
	static const char *const deep[] = { "1/2/3/4/5/6/7/8/9", NULL };
	static const char *const many[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", NULL };
	const char *const *const all[] = { star_last, empty, deep, many };
	struct kup_yaml_opts o;
	struct kup_arena a;
	size_t i, nerr;

	(void)state;
	kup_arena_init(&a, 4096);
	for (i = 0; i < 4; i++) {
		kup_yaml_opts_init(&o, "t.yaml");
		o.skip_paths = all[i];
		assert_int_equal(kup_yaml_read_mem("a: 1\n", 5, &o, &a, NULL, NULL, &nerr),
				 KUP_INVALID);
	}
	kup_arena_release(&a);
}

static void test_file_matches_mem(void **state)
{
	/* a mixed stream, repeated past the file reader's 1 MiB chunk */
	static const char unit[] =
		"\xEF\xBB\xBF" "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: wéb\n"
		"  annotations:\n    a: \"ü\\u00e9\"\n---\n# c\n---\nbad: [\n---\n"
		"x: &x {y: 1}\nz: *x\nm:\n  <<: *x\n  w: 2\n...\n%YAML 1.1\n---\nl: [1, 2.5, on, ~]\n"
		"---\r\ncr: lf\r\n---\ne: \xfe\n";
	struct kup_buf b = KUP_BUF_INIT;
	struct rec r;
	size_t nerr;

	(void)state;
	while (b.len < (3u << 20))
		kup_buf_add(&b, unit, sizeof(unit) - 1);
	rec_init(&r);
	read_both(&r, b.buf, b.len, NULL, &nerr);
	assert_true(nerr > 0);
	assert_true(r.ndocs > 1000);
	rec_release(&r);
	kup_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multi_doc_error_in_middle),
		cmocka_unit_test(test_error_positions_later_docs),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_anchors_aliases),
		cmocka_unit_test(test_merge_keys),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_huge_scalar),
		cmocka_unit_test(test_empty_inputs),
		cmocka_unit_test(test_bom_crlf),
		cmocka_unit_test(test_non_ascii_offsets),
		cmocka_unit_test(test_tabs),
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_document_cap),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_scalar_tags_and_styles),
		cmocka_unit_test(test_stop_and_line_offset),
		cmocka_unit_test(test_file_matches_mem),
		cmocka_unit_test(test_skip_paths),
		cmocka_unit_test(test_skip_paths_errors),
		cmocka_unit_test(test_skip_paths_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
