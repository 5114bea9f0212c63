/*
 * test_json.c - the streaming JSON reader (json.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/emit.h"
#include "kupgrade/json.h"

/* ---- helpers ---------------------------------------------------------------- */

/* Serializes a tree with kinds, tags and positions, for exact comparisons. */
static void dump(const struct kup_node *n, struct kup_buf *b)
{
	size_t i;

	if (!n) {
		kup_buf_adds(b, "~");
		return;
	}
	kup_buf_addf(b, "@%u:%u[%zu,%zu)", n->line, n->column, n->start, n->end);
	switch (n->kind) {
	case KUP_NODE_SCALAR:
		kup_buf_addf(b, "s%u%u<", n->tag, n->style);
		kup_buf_add(b, n->u.str, n->len);
		kup_buf_adds(b, ">");
		break;
	case KUP_NODE_SEQ:
		kup_buf_adds(b, "[");
		for (i = 0; i < n->len; i++) {
			dump(n->u.items[i], b);
			kup_buf_adds(b, ",");
		}
		kup_buf_adds(b, "]");
		break;
	case KUP_NODE_MAP:
		kup_buf_adds(b, "{");
		for (i = 0; i < n->len; i++) {
			dump(n->u.pairs[i].key, b);
			kup_buf_adds(b, ":");
			dump(n->u.pairs[i].value, b);
			kup_buf_adds(b, ",");
		}
		kup_buf_adds(b, "}");
		break;
	default:
		kup_buf_adds(b, "?");
	}
}

#define MAXDOCS 4096

struct run {
	struct kup_arena *arena;
	size_t ndocs;
	char *json[MAXDOCS];     /* kup_node_to_json of each document */
	bool list_item[MAXDOCS];
	size_t index[MAXDOCS];
	uint32_t line[MAXDOCS];
	size_t start[MAXDOCS], end[MAXDOCS];
	struct kup_buf all;      /* dump() of every document, with positions */
	size_t max_total;        /* the largest arena size seen in a callback */
	size_t nerr;
	char *err[64];           /* "line:col: msg" */
	int stop_after;          /* return KUP_STOP after this many docs (0: never) */
};

static enum kup_status on_doc(void *ctx, const struct kup_doc *d)
{
	struct run *r = ctx;
	struct kup_buf b = KUP_BUF_INIT;

	assert_non_null(d->root);
	if (r->ndocs < MAXDOCS) {
		kup_node_to_json(d->root, &b);
		r->json[r->ndocs] = kup_buf_detach(&b, NULL);
		r->list_item[r->ndocs] = d->list_item;
		r->index[r->ndocs] = d->index;
		r->line[r->ndocs] = d->line;
		r->start[r->ndocs] = d->start;
		r->end[r->ndocs] = d->end;
	}
	kup_buf_addf(&r->all, "doc %zu item=%d line=%u [%zu,%zu) ", d->index, d->list_item,
		     d->line, d->start, d->end);
	dump(d->root, &r->all);
	kup_buf_adds(&r->all, "\n");
	if (r->arena && r->arena->total > r->max_total)
		r->max_total = r->arena->total;
	r->ndocs++;
	if (r->stop_after && (int)r->ndocs >= r->stop_after)
		return KUP_STOP;
	return KUP_OK;
}

static void on_err(void *ctx, const struct kup_error *e)
{
	struct run *r = ctx;

	if (r->nerr < 64)
		r->err[r->nerr] = kup_arena_printf(r->arena, "%u:%u: %s", e->line, e->column,
						   e->msg ? e->msg : "");
	r->nerr++;
}

static void run_init(struct run *r, struct kup_arena *errs)
{
	memset(r, 0, sizeof(*r));
	kup_buf_init(&r->all);
	r->arena = errs;
}

static void run_release(struct run *r)
{
	size_t i;

	for (i = 0; i < r->ndocs && i < MAXDOCS; i++)
		free(r->json[i]);
	kup_buf_release(&r->all);
}

/* Reads text from memory with default options; errors kept in r. */
static enum kup_status read_mem_opts(struct run *r, const char *text, size_t len,
				     struct kup_json_opts *o, struct kup_arena *a)
{
	size_t nerr = 0;
	enum kup_status st;

	o->errors.fn = on_err;
	o->errors.ctx = r;
	st = kup_json_read_mem(text, len, o, a, on_doc, r, &nerr);
	assert_int_equal(nerr, r->nerr);
	return st;
}

static FILE *file_of(const char *text, size_t len)
{
	FILE *fp = tmpfile();

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	rewind(fp);
	return fp;
}

static enum kup_status read_file_opts(struct run *r, const char *text, size_t len,
				      struct kup_json_opts *o, struct kup_arena *a)
{
	size_t nerr = 0;
	enum kup_status st;
	FILE *fp = file_of(text, len);

	o->errors.fn = on_err;
	o->errors.ctx = r;
	st = kup_json_read_file(fp, o, a, on_doc, r, &nerr);
	fclose(fp);
	assert_int_equal(nerr, r->nerr);
	return st;
}

/* Parses one value with kup_json_parse; fails the test on error. */
static struct kup_node *parse_ok(struct kup_arena *a, const char *text, size_t len)
{
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_node *n = NULL;
	enum kup_status st = kup_json_parse(text, len, NULL, a, &n, &err);

	if (st != KUP_OK)
		fail_msg("'%.*s': %u:%u: %s", (int)len, text, err.line, err.column, err.msg);
	kup_error_release(&err);
	assert_non_null(n);
	return n;
}

#define PARSE_OK(a, s) parse_ok(a, s, sizeof(s) - 1)

/* Expects kup_json_parse to fail at line:col with a message containing msg. */
static void parse_err(const char *text, size_t len, uint32_t line, uint32_t col, const char *msg)
{
	struct kup_arena a;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_node *n = NULL;
	enum kup_status st;

	kup_arena_init(&a, 0);
	st = kup_json_parse(text, len, NULL, &a, &n, &err);
	if (st == KUP_OK)
		fail_msg("'%.*s' accepted", (int)len, text);
	assert_null(n);
	if (!err.msg || !strstr(err.msg, msg) || err.line != line || err.column != col)
		fail_msg("'%.*s': got %u:%u: %s; want %u:%u: %s", (int)len, text, err.line,
			 err.column, err.msg ? err.msg : "(null)", line, col, msg);
	kup_error_release(&err);
	kup_arena_release(&a);
}

#define PARSE_ERR(s, l, c, m) parse_err(s, sizeof(s) - 1, l, c, m)

static char *slurp(const char *path, size_t *len)
{
	char *text = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	if (kup_read_file(path, (size_t)1 << 30, &text, len, &err) != KUP_OK)
		fail_msg("%s: %s", path, err.msg);
	kup_error_release(&err);
	return text;
}

/* ---- scalars ---------------------------------------------------------------- */

static void test_scalar_types(void **state)
{
	struct kup_arena a;
	struct kup_node *n;
	int64_t iv;
	bool bv;

	(void)state;
	kup_arena_init(&a, 0);

	n = PARSE_OK(&a, "\"hello\"");
	assert_int_equal(n->kind, KUP_NODE_SCALAR);
	assert_int_equal(n->tag, KUP_TAG_STR);
	assert_int_equal(n->style, KUP_STYLE_DOUBLE);
	assert_string_equal(n->u.str, "hello");
	assert_int_equal(n->len, 5);
	assert_int_equal(n->start, 0);
	assert_int_equal(n->end, 7);

	n = PARSE_OK(&a, "-42");
	assert_int_equal(n->tag, KUP_TAG_INT);
	assert_int_equal(n->style, KUP_STYLE_PLAIN);
	assert_string_equal(n->u.str, "-42");
	assert_true(kup_node_int(n, &iv));
	assert_true(iv == -42);

	n = PARSE_OK(&a, "9223372036854775807");
	assert_int_equal(n->tag, KUP_TAG_INT);
	n = PARSE_OK(&a, "-9223372036854775808");
	assert_int_equal(n->tag, KUP_TAG_INT);
	n = PARSE_OK(&a, "9223372036854775808");
	assert_int_equal(n->tag, KUP_TAG_FLOAT);
	assert_string_equal(n->u.str, "9223372036854775808");
	n = PARSE_OK(&a, "-9223372036854775809");
	assert_int_equal(n->tag, KUP_TAG_FLOAT);
	n = PARSE_OK(&a, "123456789012345678901234567890");
	assert_int_equal(n->tag, KUP_TAG_FLOAT);

	n = PARSE_OK(&a, "1.5e-3");
	assert_int_equal(n->tag, KUP_TAG_FLOAT);
	assert_string_equal(n->u.str, "1.5e-3");
	n = PARSE_OK(&a, "1.0");
	assert_int_equal(n->tag, KUP_TAG_FLOAT);
	n = PARSE_OK(&a, "1E+2");
	assert_int_equal(n->tag, KUP_TAG_FLOAT);
	n = PARSE_OK(&a, "-0");
	assert_int_equal(n->tag, KUP_TAG_INT);
	assert_string_equal(n->u.str, "-0");
	n = PARSE_OK(&a, "0");
	assert_int_equal(n->tag, KUP_TAG_INT);

	n = PARSE_OK(&a, "true");
	assert_int_equal(n->tag, KUP_TAG_BOOL);
	assert_string_equal(n->u.str, "true");
	assert_true(kup_node_bool(n, &bv) && bv);
	n = PARSE_OK(&a, " false ");
	assert_int_equal(n->tag, KUP_TAG_BOOL);
	assert_string_equal(n->u.str, "false");
	assert_int_equal(n->start, 1);
	assert_int_equal(n->end, 6);
	assert_int_equal(n->column, 2);
	n = PARSE_OK(&a, "null");
	assert_int_equal(n->tag, KUP_TAG_NULL);
	assert_string_equal(n->u.str, "null");
	assert_int_equal(n->len, 4);

	/* a string that looks like a number stays a string */
	n = PARSE_OK(&a, "\"123\"");
	assert_int_equal(n->tag, KUP_TAG_STR);

	kup_arena_release(&a);
}

static void test_collections(void **state)
{
	struct kup_arena a;
	struct kup_node *n;
	struct kup_buf b = KUP_BUF_INIT;

	(void)state;
	kup_arena_init(&a, 0);
	n = PARSE_OK(&a, "{\"a\": [1, 2.5, \"x\", true, null, {}, []], \"b\": {\"c\": \"d\"}, \"a\": 0}");
	assert_int_equal(n->kind, KUP_NODE_MAP);
	assert_int_equal(n->style, KUP_STYLE_FLOW);
	assert_int_equal(n->len, 3);   /* duplicate keys are kept, in order */
	assert_string_equal(n->u.pairs[2].key->u.str, "a");
	assert_int_equal(n->u.pairs[0].value->kind, KUP_NODE_SEQ);
	assert_int_equal(n->u.pairs[0].value->len, 7);
	assert_int_equal(n->u.pairs[0].value->u.items[5]->kind, KUP_NODE_MAP);
	assert_int_equal(n->u.pairs[0].value->u.items[5]->len, 0);
	assert_int_equal(n->u.pairs[0].value->u.items[6]->kind, KUP_NODE_SEQ);
	assert_int_equal(n->u.pairs[0].value->u.items[6]->len, 0);
	assert_true(kup_node_eq(kup_node_path(n, "b", "c", NULL), "d"));
	assert_int_equal(n->start, 0);
	assert_int_equal(n->end, 65);
	/* the array [1, 2.5, ...] covers its brackets */
	assert_int_equal(n->u.pairs[0].value->start, 6);
	assert_int_equal(n->u.pairs[0].value->end, 39);
	kup_node_to_json(n, &b);
	assert_string_equal(b.buf, "{\"a\":[1,2.5,\"x\",true,null,{},[]],\"b\":{\"c\":\"d\"},\"a\":0}");
	kup_buf_release(&b);
	kup_arena_release(&a);
}

static void test_escapes(void **state)
{
	struct kup_arena a;
	struct kup_node *n;

	(void)state;
	kup_arena_init(&a, 0);
	n = PARSE_OK(&a, "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"");
	assert_int_equal(n->len, 8);
	assert_memory_equal(n->u.str, "\"\\/\b\f\n\r\t", 9);

	n = PARSE_OK(&a, "\"caf\\u00e9 \\u20AC\"");
	assert_string_equal(n->u.str, "caf\xc3\xa9 \xe2\x82\xac");

	/* surrogate pairs, upper and lower case hex */
	n = PARSE_OK(&a, "\"\\ud83d\\ude00|\\uD834\\uDD1E|\\uDBFF\\uDFFF\"");
	assert_string_equal(n->u.str, "\xf0\x9f\x98\x80|\xf0\x9d\x84\x9e|\xf4\x8f\xbf\xbf");

	/* lone surrogates become U+FFFD, as json-c does */
	n = PARSE_OK(&a, "\"\\ud800\"");
	assert_string_equal(n->u.str, "\xef\xbf\xbd");
	n = PARSE_OK(&a, "\"\\udc00x\"");
	assert_string_equal(n->u.str, "\xef\xbf\xbdx");
	n = PARSE_OK(&a, "\"\\ud800\\u0041\"");
	assert_string_equal(n->u.str, "\xef\xbf\xbd" "A");
	n = PARSE_OK(&a, "\"\\ud800\\ud800\\udc00\"");
	assert_string_equal(n->u.str, "\xef\xbf\xbd\xf0\x90\x80\x80");
	n = PARSE_OK(&a, "\"\\ud800\\n\"");
	assert_string_equal(n->u.str, "\xef\xbf\xbd\n");

	/* \u0000 is kept: len counts it */
	n = PARSE_OK(&a, "\"a\\u0000b\"");
	assert_int_equal(n->len, 3);
	assert_memory_equal(n->u.str, "a\0b", 4);

	/* raw UTF-8 passes through */
	n = PARSE_OK(&a, "\"\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80\"");
	assert_int_equal(n->len, 9);
	assert_int_equal(n->end, 11);

	/* escapes after a long plain run (the SWAR scan) */
	n = PARSE_OK(&a, "\"0123456789abcdefghij\\n0123456789abcdefghij\\\"x\"");
	assert_string_equal(n->u.str, "0123456789abcdefghij\n0123456789abcdefghij\"x");
	kup_arena_release(&a);
}

/* ---- errors ----------------------------------------------------------------- */

static void test_syntax_errors(void **state)
{
	(void)state;
	PARSE_ERR("", 1, 1, "unexpected end of input");
	PARSE_ERR("   \n  ", 2, 3, "unexpected end of input");
	PARSE_ERR("{\"a\": 1 \"b\": 2}", 1, 9, "expected ',' or '}' after object member");
	PARSE_ERR("{\n  \"a\" 1}", 2, 7, "expected ':' after object key");
	PARSE_ERR("{1: 2}", 1, 2, "expected a string as object key");
	PARSE_ERR("{\"a\": 1,}", 1, 9, "expected a string as object key");
	PARSE_ERR("[1, 2,]", 1, 7, "expected a value");
	PARSE_ERR("[1 2]", 1, 4, "expected ',' or ']' after array element");
	PARSE_ERR("[,1]", 1, 2, "expected a value");
	PARSE_ERR("[1, 2", 1, 6, "unexpected end of input");
	PARSE_ERR("{\"a\": ", 1, 7, "unexpected end of input");
	PARSE_ERR("\"abc", 1, 5, "unexpected end of input");
	PARSE_ERR("'a'", 1, 1, "expected a value");
	PARSE_ERR("1 2", 1, 3, "unexpected content after the value");
	PARSE_ERR("{}{}", 1, 3, "unexpected content after the value");
	PARSE_ERR("/* c */ 1", 1, 1, "expected a value");
	PARSE_ERR("\v1", 1, 1, "expected a value");
	/* literals */
	PARSE_ERR("tru", 1, 4, "unexpected end of input");
	PARSE_ERR("True", 1, 1, "expected a value");
	PARSE_ERR("trux", 1, 4, "invalid literal");
	PARSE_ERR("truex", 1, 5, "invalid literal");
	PARSE_ERR("nul", 1, 4, "unexpected end of input");
	PARSE_ERR("NaN", 1, 1, "expected a value");
	PARSE_ERR("Infinity", 1, 1, "expected a value");
	PARSE_ERR("[-Infinity]", 1, 3, "invalid number");
	/* numbers */
	PARSE_ERR("01", 1, 1, "leading zero in number");
	PARSE_ERR("[-01]", 1, 3, "leading zero in number");
	PARSE_ERR("1.", 1, 3, "unexpected end of input");
	PARSE_ERR("[1.]", 1, 4, "invalid number");
	PARSE_ERR("1.e5", 1, 3, "invalid number");
	PARSE_ERR(".5", 1, 1, "expected a value");
	PARSE_ERR("+1", 1, 1, "expected a value");
	PARSE_ERR("-", 1, 2, "unexpected end of input");
	PARSE_ERR("[-]", 1, 3, "invalid number");
	PARSE_ERR("1e", 1, 3, "unexpected end of input");
	PARSE_ERR("[1e]", 1, 4, "invalid number");
	PARSE_ERR("1e+", 1, 4, "unexpected end of input");
	PARSE_ERR("1e+ ", 1, 4, "invalid number");
	PARSE_ERR("1x", 1, 2, "invalid number");
	PARSE_ERR("0x10", 1, 2, "invalid number");
	PARSE_ERR("1-2", 1, 2, "invalid number");
	/* strings */
	PARSE_ERR("\"a\\qb\"", 1, 3, "invalid escape '\\q' in string");
	PARSE_ERR("\"\\'\"", 1, 2, "invalid escape");
	PARSE_ERR("\"\\u12\"", 1, 2, "invalid \\u escape");
	PARSE_ERR("\"\\U0041\"", 1, 2, "invalid escape");
	PARSE_ERR("\"\\ud800\\uzzzz\"", 1, 8, "invalid \\u escape");
	PARSE_ERR("\"a\tb\"", 1, 3, "control character U+0009 in string must be escaped");
	PARSE_ERR("[\n\"a\nb\"]", 2, 3, "control character U+000A");
	PARSE_ERR("\"\x01\"", 1, 2, "control character U+0001");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	PARSE_ERR("\"\xff\"", 1, 2, "invalid UTF-8 in string");
	PARSE_ERR("\"ab\x80\"", 1, 4, "invalid UTF-8 in string");        /* stray continuation */
	PARSE_ERR("\"\xc0\x80\"", 1, 2, "invalid UTF-8 in string");       /* overlong NUL */
	PARSE_ERR("\"\xc1\xbf\"", 1, 2, "invalid UTF-8 in string");       /* overlong */
	PARSE_ERR("\"\xe0\x80\x80\"", 1, 2, "invalid UTF-8 in string");   /* overlong */
	PARSE_ERR("\"\xf0\x80\x80\x80\"", 1, 2, "invalid UTF-8 in string");
	PARSE_ERR("\"\xed\xa0\x80\"", 1, 2, "invalid UTF-8 in string");   /* encoded surrogate */
	PARSE_ERR("\"\xf4\x90\x80\x80\"", 1, 2, "invalid UTF-8 in string"); /* > U+10FFFF */
	PARSE_ERR("\"\xf5\x80\x80\x80\"", 1, 2, "invalid UTF-8 in string");
	PARSE_ERR("\"\xe2\x82\"", 1, 2, "invalid UTF-8 in string");       /* truncated */
	PARSE_ERR("\"\xc3\xa9\xe2\x82", 1, 4, "unexpected end of input");
	PARSE_ERR("\xc3\xa9", 1, 1, "expected a value");
	/* columns count characters: é is one column */
	PARSE_ERR("[\"\xc3\xa9\xc3\xa9\", x]", 1, 8, "expected a value");
}

static void test_positions(void **state)
{
	struct kup_arena a;
	struct kup_node *n;
	const struct kup_node *v;
	static const char text[] =
		"{\n"
		"    \"name\": \"\xc3\xbc" "ber\",\n"
		"\t\"list\": [1,\n"
		"        true]\n"
		"}";

	(void)state;
	kup_arena_init(&a, 0);
	n = parse_ok(&a, text, sizeof(text) - 1);
	assert_int_equal(n->line, 1);
	assert_int_equal(n->column, 1);
	assert_int_equal(n->u.pairs[0].key->line, 2);
	assert_int_equal(n->u.pairs[0].key->column, 5);
	v = kup_node_get(n, "name");
	assert_int_equal(v->line, 2);
	assert_int_equal(v->column, 13);
	assert_int_equal(v->start, 14);
	assert_int_equal(v->end, 21);   /* "über" is 5 bytes + quotes */
	v = kup_node_get(n, "list");
	assert_int_equal(v->line, 3);
	assert_int_equal(v->column, 10);   /* a tab is one character */
	assert_int_equal(v->u.items[1]->line, 4);
	assert_int_equal(v->u.items[1]->column, 9);
	assert_int_equal(v->end, sizeof(text) - 3);
	assert_int_equal(n->end, sizeof(text) - 1);
	kup_arena_release(&a);
}

static void test_bom_crlf(void **state)
{
	struct kup_arena a;
	struct kup_node *n;
	static const char bom[] = "\xef\xbb\xbf{\"a\": 1}";
	static const char crlf[] = "{\r\n  \"a\": 1,\r\n  \"b\": [\r\n    true\r\n  ]\r\n}\r\n";
	struct run r;
	struct kup_json_opts o;
	struct kup_arena errs;

	(void)state;
	kup_arena_init(&a, 0);
	n = parse_ok(&a, bom, sizeof(bom) - 1);
	assert_int_equal(n->column, 1);
	assert_int_equal(n->start, 3);
	assert_int_equal(n->u.pairs[0].value->column, 7);

	n = parse_ok(&a, crlf, sizeof(crlf) - 1);
	assert_int_equal(kup_node_get(n, "a")->line, 2);
	assert_int_equal(kup_node_get(n, "a")->column, 8);
	assert_int_equal(kup_node_get(n, "b")->u.items[0]->line, 4);
	assert_int_equal(kup_node_get(n, "b")->u.items[0]->column, 5);

	/* a BOM alone is an empty stream */
	kup_arena_init(&errs, 0);
	run_init(&r, &errs);
	kup_json_opts_init(&o, "bom.json");
	assert_int_equal(read_mem_opts(&r, "\xef\xbb\xbf", 3, &o, &a), KUP_OK);
	assert_int_equal(r.ndocs, 0);
	assert_int_equal(r.nerr, 0);
	run_release(&r);
	/* a BOM anywhere else is an error */
	PARSE_ERR(" \xef\xbb\xbf" "1", 1, 2, "expected a value");
	kup_arena_release(&errs);
	kup_arena_release(&a);
}

static void test_deep_nesting(void **state)
{
	struct kup_arena a;
	struct kup_node *n = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_read_limits lim;
	char *text;
	size_t d, i;

	(void)state;
	kup_arena_init(&a, 0);
	kup_read_limits_default(&lim);
	for (d = 512; d <= 513; d++) {
		text = malloc(2 * d + 1);
		for (i = 0; i < d; i++) {
			text[i] = (i % 2) ? '[' : '[';
			text[2 * d - 1 - i] = ']';
		}
		text[2 * d] = '\0';
		if (d == 512) {
			assert_int_equal(kup_json_parse(text, 2 * d, &lim, &a, &n, &err), KUP_OK);
			assert_int_equal(n->kind, KUP_NODE_SEQ);
		} else {
			assert_int_equal(kup_json_parse(text, 2 * d, &lim, &a, &n, &err), KUP_TOOBIG);
			assert_string_equal(err.msg, "nesting deeper than 512");
			assert_int_equal(err.column, 513);
		}
		free(text);
	}
	/* a small limit, objects and arrays mixed */
	lim.max_depth = 3;
	assert_int_equal(kup_json_parse("{\"a\":[{}]}", 10, &lim, &a, &n, &err), KUP_OK);
	assert_int_equal(kup_json_parse("{\"a\":[{\"b\":[]}]}", 16, &lim, &a, &n, &err), KUP_TOOBIG);
	assert_int_equal(err.column, 12);
	/* 100000 levels must not crash (it stops at the limit) */
	text = malloc(100000);
	memset(text, '[', 100000);
	assert_int_equal(kup_json_parse(text, 100000, NULL, &a, &n, &err), KUP_TOOBIG);
	free(text);
	kup_error_release(&err);
	kup_arena_release(&a);
}

static void test_limits(void **state)
{
	struct kup_arena a;
	struct kup_node *n = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_read_limits lim;

	(void)state;
	kup_arena_init(&a, 0);
	kup_read_limits_default(&lim);
	lim.max_scalar = 4;
	assert_int_equal(kup_json_parse("[\"abcd\"]", 8, &lim, &a, &n, &err), KUP_OK);
	assert_int_equal(kup_json_parse("[\"abcde\"]", 9, &lim, &a, &n, &err), KUP_TOOBIG);
	assert_string_equal(err.msg, "string longer than 4 bytes");
	assert_int_equal(kup_json_parse("[\"ab\\ncde\"]", 11, &lim, &a, &n, &err), KUP_TOOBIG);
	assert_int_equal(kup_json_parse("123456", 6, &lim, &a, &n, &err), KUP_TOOBIG);
	assert_string_equal(err.msg, "number longer than 4 bytes");
	kup_read_limits_default(&lim);
	lim.max_document = 10;
	lim.max_nodes = 100;   /* the byte limit alone */
	assert_int_equal(kup_json_parse("[1,2,3,4,5]", 11, &lim, &a, &n, &err), KUP_OK);
	assert_int_equal(kup_json_parse("[1,2,3,4,5,6,7]", 15, &lim, &a, &n, &err), KUP_TOOBIG);
	assert_string_equal(err.msg, "document larger than 10 bytes");
	/* the node cap derived from the size limit: one node per 8 bytes */
	kup_read_limits_default(&lim);
	lim.max_document = 64;
	assert_int_equal(kup_read_limits_nodes(&lim), 8);
	assert_int_equal(kup_json_parse("[1,2,3,4,5,6,7]", 15, &lim, &a, &n, &err), KUP_OK);
	assert_int_equal(kup_json_parse("[1,2,3,4,5,6,7,8]", 17, &lim, &a, &n, &err), KUP_TOOBIG);
	assert_string_equal(err.msg,
			    "document holds more than 8 nodes (one per 8 bytes of the document size limit)");
	kup_error_release(&err);
	kup_arena_release(&a);
}

/* ---- streaming -------------------------------------------------------------- */

static void test_items_streaming(void **state)
{
	struct kup_arena a, errs;
	struct kup_json_opts o;
	struct run r;
	char path[1024];
	char *text;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/json/list.json", KUP_TEST_DATA);
	text = slurp(path, &len);
	kup_arena_init(&a, 0);
	kup_arena_init(&errs, 0);
	run_init(&r, &errs);
	kup_json_opts_init(&o, "list.json");
	assert_true(o.stream_items);
	assert_int_equal(read_mem_opts(&r, text, len, &o, &a), KUP_OK);
	assert_int_equal(r.nerr, 0);
	assert_int_equal(r.ndocs, 4);
	assert_true(r.list_item[0] && r.list_item[1] && r.list_item[2]);
	assert_false(r.list_item[3]);
	assert_int_equal(r.index[0], 0);
	assert_int_equal(r.index[1], 1);
	assert_int_equal(r.index[2], 2);
	assert_int_equal(r.line[0], 4);
	assert_int_equal(r.line[1], 15);
	assert_int_equal(r.line[2], 24);
	assert_int_equal(text[r.start[0]], '{');
	assert_int_equal(text[r.end[0] - 1], '}');
	assert_true(strstr(r.json[0], "\"kind\":\"Ingress\"") != NULL);
	assert_true(strstr(r.json[0], "last-applied-configuration\":\"{\\\"apiVersion\\\":"
			   "\\\"extensions/v1beta1\\\"") != NULL);
	assert_true(strstr(r.json[1], "\"name\":\"caf\xc3\xa9\"") != NULL);
	assert_true(strstr(r.json[1], "\"replicas\":3,\"ratio\":0.5,\"on\":true,\"off\":false,"
			   "\"none\":null") != NULL);
	assert_true(strstr(r.json[2], "\xf0\x9f\x98\x80") != NULL);
	/* the wrapper: every other member, in order, without items */
	assert_string_equal(r.json[3], "{\"apiVersion\":\"v1\",\"kind\":\"List\","
			    "\"metadata\":{\"resourceVersion\":\"\"}}");
	assert_int_equal(r.line[3], 1);
	assert_int_equal(r.start[3], 0);
	assert_true(strstr(r.all.buf, "doc 0 item=0 line=1 [0,") != NULL);
	run_release(&r);

	/* stream_items off: one document holding everything */
	run_init(&r, &errs);
	o.stream_items = false;
	assert_int_equal(read_mem_opts(&r, text, len, &o, &a), KUP_OK);
	assert_int_equal(r.ndocs, 1);
	assert_false(r.list_item[0]);
	assert_true(strstr(r.json[0], "\"items\":[{") != NULL);
	assert_true(strstr(r.json[0], "\"kind\":\"List\"") != NULL);
	run_release(&r);

	free(text);
	kup_arena_release(&errs);
	kup_arena_release(&a);
}

static void test_items_not_streamed(void **state)
{
	struct kup_arena a, errs;
	struct kup_json_opts o;
	struct run r;
	static const char plain[] = "{\"kind\":\"Deployment\",\"spec\":{\"items\":[1,2]}}";
	static const char notarr[] = "{\"kind\":\"List\",\"items\":null}";
	static const char toparr[] = "[{\"a\":1},{\"b\":2}]";
	static const char twice[] = "{\"items\":[1,2],\"items\":[3]}";
	static const char empty[] = "{\"items\":[],\"kind\":\"List\"}";

	(void)state;
	kup_arena_init(&a, 0);
	kup_arena_init(&errs, 0);
	kup_json_opts_init(&o, "x.json");

	run_init(&r, &errs);
	assert_int_equal(read_mem_opts(&r, plain, sizeof(plain) - 1, &o, &a), KUP_OK);
	assert_int_equal(r.ndocs, 1);
	assert_false(r.list_item[0]);
	assert_string_equal(r.json[0], plain);
	run_release(&r);

	run_init(&r, &errs);
	assert_int_equal(read_mem_opts(&r, notarr, sizeof(notarr) - 1, &o, &a), KUP_OK);
	assert_int_equal(r.ndocs, 1);
	assert_string_equal(r.json[0], notarr);
	run_release(&r);

	run_init(&r, &errs);
	assert_int_equal(read_mem_opts(&r, toparr, sizeof(toparr) - 1, &o, &a), KUP_OK);
	/* a top-level array is streamed like a List's items */
	assert_int_equal(r.ndocs, 2);
	assert_true(r.list_item[0]);
	assert_string_equal(r.json[0], "{\"a\":1}");
	assert_string_equal(r.json[1], "{\"b\":2}");
	run_release(&r);

	/* only the first items array is streamed */
	run_init(&r, &errs);
	assert_int_equal(read_mem_opts(&r, twice, sizeof(twice) - 1, &o, &a), KUP_OK);
	assert_int_equal(r.ndocs, 3);
	assert_string_equal(r.json[0], "1");
	assert_string_equal(r.json[1], "2");
	assert_string_equal(r.json[2], "{\"items\":[3]}");
	run_release(&r);

	run_init(&r, &errs);
	assert_int_equal(read_mem_opts(&r, empty, sizeof(empty) - 1, &o, &a), KUP_OK);
	assert_int_equal(r.ndocs, 1);
	assert_string_equal(r.json[0], "{\"kind\":\"List\"}");
	run_release(&r);

	kup_arena_release(&errs);
	kup_arena_release(&a);
}

/* Many items: the arena holds one at a time. */
static void test_items_arena_bounded(void **state)
{
	struct kup_arena a, errs;
	struct kup_json_opts o;
	struct run r;
	struct kup_buf b = KUP_BUF_INIT;
	size_t i;

	(void)state;
	kup_buf_adds(&b, "{\"apiVersion\":\"v1\",\"items\":[\n");
	for (i = 0; i < 3000; i++) {
		kup_buf_addf(&b, "%s{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-%zu\"},"
			     "\"data\":{", i ? ",\n" : "", i);
		for (int k = 0; k < 20; k++)
			kup_buf_addf(&b, "%s\"key%d\":\"value value value value %zu\"", k ? "," : "", k, i);
		kup_buf_adds(&b, "}}");
	}
	kup_buf_adds(&b, "\n],\"kind\":\"List\"}\n");
	assert_false(b.oom);
	assert_true(b.len > 3000 * 600);

	kup_arena_init(&a, 16 * 1024);
	kup_arena_init(&errs, 0);
	kup_json_opts_init(&o, "many.json");
	run_init(&r, &errs);
	r.arena = &a;   /* watch the reader's arena */
	assert_int_equal(read_mem_opts(&r, b.buf, b.len, &o, &a), KUP_OK);
	assert_int_equal(r.nerr, 0);
	assert_int_equal(r.ndocs, 3001);
	for (i = 0; i < 3000; i++) {
		char want[64];

		assert_true(r.list_item[i]);
		assert_int_equal(r.index[i], i);
		snprintf(want, sizeof(want), "\"name\":\"cm-%zu\"", i);
		assert_non_null(strstr(r.json[i], want));
	}
	assert_string_equal(r.json[3000], "{\"apiVersion\":\"v1\",\"kind\":\"List\"}");
	/* one item is ~1.3 KB of text; the arena never held the whole list (2+ MB) */
	assert_true(r.max_total <= 64 * 1024);
	run_release(&r);
	kup_buf_release(&b);
	kup_arena_release(&errs);
	kup_arena_release(&a);
}

static void test_concatenated_and_empty(void **state)
{
	struct kup_arena a, errs;
	struct kup_json_opts o;
	struct run r;
	static const char cat[] = "{\"a\":1}{\"b\":2}\n[1]\n\"x\" 5 true\r\nnull";
	static const char *blank[] = { "", " ", "\n\n\t \r\n" };
	size_t i;

	(void)state;
	kup_arena_init(&a, 0);
	kup_arena_init(&errs, 0);
	kup_json_opts_init(&o, "cat.json");
	run_init(&r, &errs);
	assert_int_equal(read_mem_opts(&r, cat, sizeof(cat) - 1, &o, &a), KUP_OK);
	assert_int_equal(r.nerr, 0);
	assert_int_equal(r.ndocs, 7);
	assert_string_equal(r.json[0], "{\"a\":1}");
	assert_string_equal(r.json[1], "{\"b\":2}");
	assert_string_equal(r.json[2], "1");   /* the element of [1], streamed */
	assert_string_equal(r.json[3], "\"x\"");
	assert_string_equal(r.json[4], "5");
	assert_string_equal(r.json[5], "true");
	assert_string_equal(r.json[6], "null");
	for (i = 0; i < 7; i++)
		assert_int_equal(r.index[i], i);
	assert_int_equal(r.line[2], 2);
	assert_int_equal(r.line[6], 4);
	assert_int_equal(r.start[1], 7);
	run_release(&r);

	for (i = 0; i < sizeof(blank) / sizeof(blank[0]); i++) {
		run_init(&r, &errs);
		assert_int_equal(read_mem_opts(&r, blank[i], strlen(blank[i]), &o, &a), KUP_OK);
		assert_int_equal(r.ndocs, 0);
		assert_int_equal(r.nerr, 0);
		run_release(&r);
		run_init(&r, &errs);
		assert_int_equal(read_file_opts(&r, blank[i], strlen(blank[i]), &o, &a), KUP_OK);
		assert_int_equal(r.ndocs, 0);
		assert_int_equal(r.nerr, 0);
		run_release(&r);
	}

	/*
	 * A top-level array is streamed like a List's items: a trailing comma
	 * is reported, the element before it was delivered, and the reader
	 * carries on after the array.
	 */
	run_init(&r, &errs);
	assert_int_equal(read_mem_opts(&r, "{}\n[1,]\n{}", 10, &o, &a), KUP_OK);
	assert_int_equal(r.ndocs, 3);
	assert_string_equal(r.json[1], "1");
	assert_int_equal(r.nerr, 1);
	assert_string_equal(r.err[0], "2:4: expected a value, found ']'");
	run_release(&r);

	/* an error outside an array stops the stream; the good documents were delivered */
	run_init(&r, &errs);
	assert_int_equal(read_mem_opts(&r, "{}\n{\"a\":}\n{}", 11, &o, &a), KUP_OK);
	assert_int_equal(r.ndocs, 1);
	assert_int_equal(r.nerr, 1);
	run_release(&r);
	kup_arena_release(&errs);
	kup_arena_release(&a);
}

static void test_bad_items_resync(void **state)
{
	struct kup_arena a, errs;
	struct kup_json_opts o;
	struct run r;
	char path[1024];
	char *text;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/json/bad_items.json", KUP_TEST_DATA);
	text = slurp(path, &len);
	kup_arena_init(&a, 0);
	kup_arena_init(&errs, 0);
	kup_json_opts_init(&o, "bad_items.json");
	run_init(&r, &errs);
	assert_int_equal(read_mem_opts(&r, text, len, &o, &a), KUP_OK);
	assert_int_equal(r.nerr, 2);
	assert_string_equal(r.err[0], "5:33: invalid escape '\\q' in string");
	assert_string_equal(r.err[1], "7:22: expected ',' or '}' after object member, found '\"'");
	assert_int_equal(r.ndocs, 4);
	assert_string_equal(r.json[0], "{\"kind\":\"A\",\"n\":1}");
	assert_int_equal(r.index[0], 0);
	assert_string_equal(r.json[1], "{\"kind\":\"C\",\"n\":3}");
	assert_int_equal(r.index[1], 2);
	assert_int_equal(r.line[1], 6);
	assert_string_equal(r.json[2], "{\"kind\":\"E\",\"n\":[1,2,{\"x\":\"y\"}]}");
	assert_int_equal(r.index[2], 4);
	assert_int_equal(r.line[2], 8);
	assert_string_equal(r.json[3], "{\"apiVersion\":\"v1\",\"kind\":\"List\"}");
	assert_false(r.list_item[3]);
	run_release(&r);

	/* the same from a file */
	run_init(&r, &errs);
	assert_int_equal(read_file_opts(&r, text, len, &o, &a), KUP_OK);
	assert_int_equal(r.nerr, 2);
	assert_int_equal(r.ndocs, 4);
	run_release(&r);
	free(text);

	/* more bad shapes: a bad scalar item, a bad nested string, a raw newline */
	run_init(&r, &errs);
	{
		static const char t[] = "{\"items\":[1, tru, {\"a\":[\"\xff\", {}]}, \"a\nb\", 5, nope, [1 2], 6],"
					"\"kind\":\"L\"}";
		assert_int_equal(read_mem_opts(&r, t, sizeof(t) - 1, &o, &a), KUP_OK);
	}
	assert_int_equal(r.nerr, 5);
	assert_int_equal(r.ndocs, 4);
	assert_string_equal(r.json[0], "1");
	assert_string_equal(r.json[1], "5");
	assert_int_equal(r.index[1], 4);
	assert_string_equal(r.json[2], "6");
	assert_int_equal(r.index[2], 7);
	assert_string_equal(r.json[3], "{\"kind\":\"L\"}");
	assert_string_equal(r.err[3], "2:9: invalid literal (expected 'null')");
	run_release(&r);

	/* truncated inside the items: the items before are delivered, one error */
	run_init(&r, &errs);
	{
		static const char t[] = "{\"items\":[{\"a\":1},{\"b\":[2,";
		assert_int_equal(read_mem_opts(&r, t, sizeof(t) - 1, &o, &a), KUP_OK);
	}
	assert_int_equal(r.ndocs, 1);
	assert_int_equal(r.nerr, 1);
	assert_string_equal(r.err[0], "1:27: unexpected end of input");
	run_release(&r);

	/* a bad item whose end cannot be found */
	run_init(&r, &errs);
	{
		static const char t[] = "{\"items\":[{\"a\":1},{\"b\" 2}}, {\"c\":3}]}";
		assert_int_equal(read_mem_opts(&r, t, sizeof(t) - 1, &o, &a), KUP_OK);
	}
	assert_int_equal(r.ndocs, 1);
	assert_int_equal(r.nerr, 2);
	run_release(&r);

	/* a trailing comma in the items: reported, the wrapper still delivered */
	run_init(&r, &errs);
	assert_int_equal(read_mem_opts(&r, "{\"items\":[1,2,],\"k\":1}", 22, &o, &a), KUP_OK);
	assert_int_equal(r.nerr, 1);
	assert_int_equal(r.ndocs, 3);
	assert_string_equal(r.json[2], "{\"k\":1}");
	run_release(&r);

	kup_arena_release(&errs);
	kup_arena_release(&a);
}

static void test_truncated(void **state)
{
	static const char t[] = "{\"items\":[{\"a\":[1,true,\"x\\u00e9\\n\",-2.5e3,null]},{}],"
				"\"kind\":\"List\"}";
	struct kup_arena a, errs;
	struct kup_json_opts o;
	struct kup_node *n;
	struct kup_error err = KUP_ERROR_INIT;
	size_t cut;

	(void)state;
	kup_arena_init(&a, 0);
	kup_arena_init(&errs, 0);
	kup_json_opts_init(&o, "t.json");
	for (cut = 1; cut < sizeof(t) - 1; cut++) {
		struct run r;

		/* every proper prefix is an error for kup_json_parse */
		assert_int_not_equal(kup_json_parse(t, cut, NULL, &a, &n, &err), KUP_OK);
		assert_non_null(err.msg);
		run_init(&r, &errs);
		assert_int_equal(read_mem_opts(&r, t, cut, &o, &a), KUP_OK);
		assert_int_equal(r.nerr, 1);
		assert_true(r.ndocs <= 2);
		run_release(&r);
		run_init(&r, &errs);
		assert_int_equal(read_file_opts(&r, t, cut, &o, &a), KUP_OK);
		assert_int_equal(r.nerr, 1);
		run_release(&r);
		kup_arena_reset(&errs);
	}
	kup_error_release(&err);
	kup_arena_release(&errs);
	kup_arena_release(&a);
}

static void test_callback_stop(void **state)
{
	struct kup_arena a, errs;
	struct kup_json_opts o;
	struct run r;
	static const char t[] = "{\"items\":[1,2,3,4],\"kind\":\"List\"} {} {}";

	(void)state;
	kup_arena_init(&a, 0);
	kup_arena_init(&errs, 0);
	kup_json_opts_init(&o, "t.json");
	run_init(&r, &errs);
	r.stop_after = 2;
	assert_int_equal(read_mem_opts(&r, t, sizeof(t) - 1, &o, &a), KUP_STOP);
	assert_int_equal(r.ndocs, 2);
	run_release(&r);
	run_init(&r, &errs);
	r.stop_after = 6;
	assert_int_equal(read_file_opts(&r, t, sizeof(t) - 1, &o, &a), KUP_STOP);
	assert_int_equal(r.ndocs, 6);
	run_release(&r);
	kup_arena_release(&errs);
	kup_arena_release(&a);
}

/* ---- big inputs and chunk boundaries ---------------------------------------- */

static void test_huge_string(void **state)
{
	size_t n = 10u << 20, i;
	char *t = malloc(n + 64);
	struct kup_arena a, errs;
	struct kup_json_opts o;
	struct kup_node *node;
	struct kup_error err = KUP_ERROR_INIT;
	struct run r;

	(void)state;
	kup_arena_init(&a, 0);
	kup_arena_init(&errs, 0);
	memcpy(t, "[\"", 2);
	for (i = 0; i < n; i++)
		t[2 + i] = (char)('a' + i % 26);
	memcpy(t + 2 + n, "\\n\"]", 4);
	assert_int_equal(kup_json_parse(t, n + 6, NULL, &a, &node, &err), KUP_OK);
	assert_int_equal(node->u.items[0]->len, n + 1);
	assert_int_equal(node->u.items[0]->u.str[n], '\n');
	assert_int_equal(node->u.items[0]->u.str[n - 1], (char)('a' + (n - 1) % 26));
	assert_int_equal(node->u.items[0]->end, n + 5);

	kup_json_opts_init(&o, "big.json");
	run_init(&r, &errs);
	assert_int_equal(read_file_opts(&r, t, n + 6, &o, &a), KUP_OK);
	assert_int_equal(r.nerr, 0);
	assert_int_equal(r.ndocs, 1);
	assert_int_equal(strlen(r.json[0]), n + 2 + 2);   /* the element of the array */
	run_release(&r);

	/* over the scalar limit: a clean error, from memory and from a file */
	o.limits.max_scalar = 1u << 20;
	run_init(&r, &errs);
	assert_int_equal(read_file_opts(&r, t, n + 6, &o, &a), KUP_OK);
	assert_int_equal(r.nerr, 1);
	assert_int_equal(r.ndocs, 0);
	assert_non_null(strstr(r.err[0], "string longer than 1048576 bytes"));
	run_release(&r);
	kup_error_release(&err);
	free(t);
	kup_arena_release(&errs);
	kup_arena_release(&a);
}

/*
 * Tokens of every kind placed across the 256 KiB chunk boundary of
 * kup_json_read_file, at every shift: the file and memory readers must give
 * identical documents, positions included.
 */
static void test_chunk_boundaries(void **state)
{
	static const char tail[] =
		"\"esc\\\"ape\\u00e9\\ud83d\\ude00\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\n\", "
		"12345.5e3, -9876543210, true, false, null, {\"k\": [\"v\", 1]}, \"\xc3\xbc\"]\n"
		",\"kind\":\"List\"}";
	size_t chunk = (size_t)256 << 10, shift;   /* JSON_CHUNK */
	struct kup_arena a, errs;
	struct kup_json_opts o;

	(void)state;
	kup_arena_init(&a, 0);
	kup_arena_init(&errs, 0);
	kup_json_opts_init(&o, "chunks.json");
	for (shift = 0; shift < 80; shift++) {
		struct run rm, rf;
		struct kup_buf b = KUP_BUF_INIT;
		size_t pad = chunk - 40 - 30 + shift, i;

		kup_buf_adds(&b, "{\"items\":[\"");
		kup_buf_grow(&b, pad + sizeof(tail));
		for (i = 0; i < pad; i++)
			b.buf[b.len + i] = (char)('A' + i % 26);
		b.len += pad;
		b.buf[b.len] = '\0';
		kup_buf_adds(&b, "\",\n  ");
		kup_buf_adds(&b, tail);
		assert_false(b.oom);

		run_init(&rm, &errs);
		run_init(&rf, &errs);
		assert_int_equal(read_mem_opts(&rm, b.buf, b.len, &o, &a), KUP_OK);
		assert_int_equal(read_file_opts(&rf, b.buf, b.len, &o, &a), KUP_OK);
		assert_int_equal(rm.nerr, 0);
		assert_int_equal(rf.nerr, 0);
		assert_int_equal(rm.ndocs, 10);
		assert_int_equal(rf.ndocs, 10);
		assert_string_equal(rm.json[1], "\"esc\\\"ape\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9\xe2\x82\xac"
				    "\xf0\x9f\x98\x80\\n\"");
		assert_non_null(strstr(rm.all.buf, "s40<12345.5e3>"));
		assert_string_equal(rm.json[3], "-9876543210");
		assert_string_equal(rm.json[7], "{\"k\":[\"v\",1]}");
		if (strcmp(rm.all.buf, rf.all.buf) != 0)
			fail_msg("shift %zu: file and memory readers differ", shift);
		run_release(&rm);
		run_release(&rf);
		kup_buf_release(&b);
		kup_arena_reset(&errs);
	}
	kup_arena_release(&errs);
	kup_arena_release(&a);
}

/* An error right after a chunk boundary: same line and column from a file. */
static void test_chunk_boundary_errors(void **state)
{
	size_t chunk = (size_t)256 << 10, shift;   /* JSON_CHUNK */
	struct kup_arena a, errs;
	struct kup_json_opts o;

	(void)state;
	kup_arena_init(&a, 0);
	kup_arena_init(&errs, 0);
	kup_json_opts_init(&o, "chunks.json");
	for (shift = 0; shift < 12; shift++) {
		struct run rm, rf;
		struct kup_buf b = KUP_BUF_INIT;
		size_t i, n = chunk - 20 + shift;

		kup_buf_adds(&b, "{\"items\": [\n");
		/* many short lines so that lines and columns matter */
		for (i = 0; b.len < n; i++)
			kup_buf_addf(&b, "  {\"n\": %zu, \"s\": \"\xc3\xa9t\xc3\xa9\"},\n", i);
		kup_buf_adds(&b, "  {\"bad\": \"x\\qy\"},\n  {\"n\": -1}\n], \"kind\": \"List\"}");
		run_init(&rm, &errs);
		run_init(&rf, &errs);
		assert_int_equal(read_mem_opts(&rm, b.buf, b.len, &o, &a), KUP_OK);
		assert_int_equal(read_file_opts(&rf, b.buf, b.len, &o, &a), KUP_OK);
		assert_int_equal(rm.nerr, 1);
		assert_int_equal(rf.nerr, 1);
		assert_string_equal(rm.err[0], rf.err[0]);
		assert_int_equal(rm.ndocs, i + 2);
		if (strcmp(rm.all.buf, rf.all.buf) != 0)
			fail_msg("shift %zu: file and memory readers differ", shift);
		run_release(&rm);
		run_release(&rf);
		kup_buf_release(&b);
		kup_arena_reset(&errs);
	}
	kup_arena_release(&errs);
	kup_arena_release(&a);
}

/* Every "@line:col[start,end)" of `part` is also in `whole`. */
static void assert_positions_within(const char *part, const char *whole)
{
	const char *p = part;

	while ((p = strchr(p, '@')) != NULL) {
		const char *e = strchr(p, ')');
		char tok[64];

		assert_non_null(e);
		assert_true((size_t)(e - p) + 1 < sizeof(tok));
		memcpy(tok, p, (size_t)(e - p) + 1);
		tok[e - p + 1] = '\0';
		if (!strstr(whole, tok))
			fail_msg("position %s of the skipping read is not in the full read", tok);
		p = e;
	}
}

static void test_skip_paths(void **state)
{
	static const char *const skip[] = { "metadata/managedFields/*/fieldsV1", "*/big", NULL };
	/* non-ASCII text before the skipped values on the same lines: columns count characters */
	static const char text[] =
		"{\"kind\": \"List\", \"items\": [\n"
		"  {\"metadata\": {\"name\": \"\xc3\xa9\", \"managedFields\": [\n"
		"    {\"apiVersion\": \"v1\", \"fieldsV1\": {\"f:x\": {}, \"s\": \"\xc3\xa9\\n\\u00e9\", \"n\": [1, -2.5e3, true, null]}, \"manager\": \"m\"},\n"
		"    {\"manager\": \"n\", \"fieldsV1\": [{\"a\": \"\xe2\x82\xac\"}], \"t\": \"\xc3\xa9\"}]},\n"
		"   \"spec\": {\"big\": {\"deep\": [[[\"x\"]]]}, \"fieldsV1\": 1, \"keep\": 2}},\n"
		"  {\"fieldsV1\": {\"kept\": true}, \"metadata\": {\"managedFields\": \"notalist\"}}\n"
		"]}";
	struct kup_arena a, errs;
	struct kup_json_opts o;
	struct run full, part;

	(void)state;
	kup_arena_init(&a, 0);
	kup_arena_init(&errs, 0);
	kup_json_opts_init(&o, "skip.json");
	run_init(&full, &errs);
	run_init(&part, &errs);
	assert_int_equal(read_mem_opts(&full, text, sizeof(text) - 1, &o, &a), KUP_OK);
	o.skip_paths = skip;
	assert_int_equal(read_mem_opts(&part, text, sizeof(text) - 1, &o, &a), KUP_OK);
	assert_int_equal(full.nerr, 0);
	assert_int_equal(part.nerr, 0);
	assert_int_equal(part.ndocs, 3);
	assert_string_equal(part.json[0],
			    "{\"metadata\":{\"name\":\"\xc3\xa9\",\"managedFields\":[{\"apiVersion\":\"v1\","
			    "\"manager\":\"m\"},{\"manager\":\"n\",\"t\":\"\xc3\xa9\"}]},\"spec\":"
			    "{\"fieldsV1\":1,\"keep\":2}}");
	/* other paths are not skipped */
	assert_string_equal(part.json[1], full.json[1]);
	assert_string_equal(part.json[2], full.json[2]);
	/* what is built sits where the full read puts it */
	assert_positions_within(part.all.buf, full.all.buf);
	run_release(&full);
	run_release(&part);

	/* the same read from a file (chunked input) */
	run_init(&full, &errs);
	assert_int_equal(read_file_opts(&full, text, sizeof(text) - 1, &o, &a), KUP_OK);
	assert_int_equal(full.ndocs, 3);
	run_init(&part, &errs);
	assert_int_equal(read_mem_opts(&part, text, sizeof(text) - 1, &o, &a), KUP_OK);
	assert_string_equal(full.all.buf, part.all.buf);
	run_release(&full);
	run_release(&part);

	/* a path that is not one: KUP_INVALID */
	{
		static const char *const bad1[] = { "a//b", NULL };
		static const char *const bad2[] = { "a/*", NULL };
		static const char *const bad3[] = { "a/b/c/d/e/f/g/h/i", NULL };
		static const char *const bad4[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", NULL };
		const char *const *bad[] = { bad1, bad2, bad3, bad4 };
		size_t i;

		for (i = 0; i < 4; i++) {
			o.skip_paths = bad[i];
			run_init(&part, &errs);
			assert_int_equal(read_mem_opts(&part, text, sizeof(text) - 1, &o, &a),
					 KUP_INVALID);
			assert_int_equal(part.ndocs, 0);
			run_release(&part);
		}
	}
	kup_arena_release(&errs);
	kup_arena_release(&a);
}

/* A syntax error inside a skipped value is reported as the full read reports it. */
static void test_skip_paths_errors(void **state)
{
	static const char *const skip[] = { "m/*/f", NULL };
	static const char *const bodies[] = {
		"{\"e\": \"\xc3\xa9\", \"x\": \"a\\qb\"}",          /* bad escape */
		"{\"e\": \"\xc3\xa9\", \"x\": \"a\xc3\x28\"}",      /* invalid UTF-8 */
		"{\"e\": \"\xc3\xa9\", \"x\": \"a\x01\"}",          /* control character */
		"{\"x\": [1, 2,]}",                                 /* trailing comma */
		"{\"x\": 01}",                                      /* leading zero */
		"{\"x\": tru}",                                     /* bad literal */
		"{\"x\" 1}",                                        /* no colon */
		"{\"x\": 1 \"y\": 2}",                              /* no comma */
		"{1: 2}",                                           /* key not a string */
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", /* deep */
		"{\"x\": \"\xc3\xa9\xc3\xa9\\ud800 \\uzzzz\"}",     /* bad \u escape */
		"\"\xc3\xa9 unterminated",                           /* runs into the end */
	};
	struct kup_arena a, errs;
	struct kup_json_opts o;
	size_t i;

	(void)state;
	kup_arena_init(&a, 0);
	kup_arena_init(&errs, 0);
	kup_json_opts_init(&o, "skip.json");
	o.limits.max_depth = 32;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct run full, part;
		struct kup_buf b = KUP_BUF_INIT;
		size_t k;

		kup_buf_addf(&b, "[{\"m\": [{\"k\": \"\xc3\xa9\", \"f\": {\"a\": 1,\n   \"\xc3\xa9\": %s}}]},\n"
			     " {\"after\": \"\xc3\xa9\"}]", bodies[i]);
		run_init(&full, &errs);
		run_init(&part, &errs);
		o.skip_paths = NULL;
		(void)read_mem_opts(&full, b.buf, b.len, &o, &a);
		o.skip_paths = skip;
		(void)read_mem_opts(&part, b.buf, b.len, &o, &a);
		if (full.nerr == 0)
			fail_msg("input %zu: no error", i);
		assert_int_equal(part.nerr, full.nerr);
		for (k = 0; k < full.nerr && k < 64; k++)
			if (strcmp(part.err[k], full.err[k]) != 0)
				fail_msg("input %zu: skipping reports '%s', the full read '%s'", i,
					 part.err[k], full.err[k]);
		/* the item after the bad one is read the same */
		assert_int_equal(part.ndocs, full.ndocs);
		if (full.ndocs)
			assert_string_equal(part.json[full.ndocs - 1], full.json[full.ndocs - 1]);
		run_release(&full);
		run_release(&part);
		kup_buf_release(&b);
		kup_arena_reset(&errs);
	}
	kup_arena_release(&errs);
	kup_arena_release(&a);
}

/*
 * The emitter's fast path for plain strings (emit.c, json_plain) checks
 * 16, 8 and 4 bytes at a time: every length from 0 to 40 with a byte that
 * needs escaping at every position must come back from this reader as it
 * went in, and a plain string must be written as it is.
 */
static void test_emit_roundtrip(void **state)
{
	static const char *const specials[] = { "\"", "\\", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\n" };
	struct kup_arena a;
	size_t n, at, k;

	(void)state;
	kup_arena_init(&a, 0);
	for (n = 0; n <= 40; n++) {
		for (k = 0; k <= sizeof(specials) / sizeof(specials[0]); k++) {
			for (at = 0; at < (k ? n : 1); at++) {
				struct kup_buf in = KUP_BUF_INIT, out = KUP_BUF_INIT, q = KUP_BUF_INIT;
				struct kup_error err = KUP_ERROR_INIT;
				struct kup_node *root = NULL;
				struct kup_emit e;
				const struct kup_node *v;
				size_t i;

				kup_buf_init(&in);   /* "" for length 0 */
				for (i = 0; i < n; i++) {
					if (k && i == at)
						kup_buf_adds(&in, specials[k - 1]);
					else
						kup_buf_addc(&in, (char)('a' + i % 26));
				}
				kup_emit_init(&e, &out, KUP_EMIT_JSON);
				kup_emit_begin_map(&e);
				kup_emit_kstr(&e, in.buf, in.buf);
				kup_emit_end(&e);
				kup_emit_finish(&e);
				assert_false(e.failed);
				if (kup_json_parse(out.buf, out.len, NULL, &a, &root, &err) != KUP_OK)
					fail_msg("length %zu, special %zu at %zu: '%s' is not JSON: %s", n, k,
						 at, out.buf, err.msg);
				assert_int_equal(root->len, 1);
				v = root->u.pairs[0].value;
				assert_int_equal(v->len, in.len);
				assert_memory_equal(v->u.str, in.buf, in.len);
				assert_memory_equal(root->u.pairs[0].key->u.str, in.buf, in.len);
				/* plain: written as it is, between quotes; a control character, '"' or '\\': escaped */
				kup_buf_reset(&q);
				kup_buf_addf(&q, "\"%s\"", in.buf);
				if (!k)
					assert_non_null(strstr(out.buf, q.buf));
				else if ((unsigned char)specials[k - 1][0] < 0x7f)
					assert_null(strstr(out.buf, q.buf));
				kup_error_release(&err);
				kup_buf_release(&in);
				kup_buf_release(&out);
				kup_buf_release(&q);
				kup_arena_reset(&a);
			}
		}
	}
	kup_arena_release(&a);
}

static void test_file_vs_mem_fixture(void **state)
{
	static const char *names[] = { "list.json", "bad_items.json" };
	struct kup_arena a, errs;
	struct kup_json_opts o;
	size_t k;

	(void)state;
	kup_arena_init(&a, 0);
	kup_arena_init(&errs, 0);
	for (k = 0; k < 2; k++) {
		char path[1024];
		char *text;
		size_t len;
		struct run rm, rf;

		snprintf(path, sizeof(path), "%s/json/%s", KUP_TEST_DATA, names[k]);
		text = slurp(path, &len);
		kup_json_opts_init(&o, names[k]);
		run_init(&rm, &errs);
		run_init(&rf, &errs);
		read_mem_opts(&rm, text, len, &o, &a);
		read_file_opts(&rf, text, len, &o, &a);
		assert_true(rm.ndocs > 2);
		assert_int_equal(rm.ndocs, rf.ndocs);
		assert_int_equal(rm.nerr, rf.nerr);
		assert_string_equal(rm.all.buf, rf.all.buf);
		run_release(&rm);
		run_release(&rf);
		free(text);
	}
	kup_arena_release(&errs);
	kup_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalar_types),
		cmocka_unit_test(test_collections),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_bom_crlf),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_items_streaming),
		cmocka_unit_test(test_items_not_streamed),
		cmocka_unit_test(test_items_arena_bounded),
		cmocka_unit_test(test_concatenated_and_empty),
		cmocka_unit_test(test_bad_items_resync),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_callback_stop),
		cmocka_unit_test(test_huge_string),
		cmocka_unit_test(test_chunk_boundaries),
		cmocka_unit_test(test_chunk_boundary_errors),
		cmocka_unit_test(test_file_vs_mem_fixture),
		cmocka_unit_test(test_skip_paths),
		cmocka_unit_test(test_skip_paths_errors),
		cmocka_unit_test(test_emit_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
