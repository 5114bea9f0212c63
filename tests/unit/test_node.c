/*
 * test_node.c - node queries, the YAML 1.1 scalar resolver (as Kubernetes'
 * sigs.k8s.io/yaml -> go-yaml v2 resolves plain scalars), and JSON output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/node.h"

struct row {
	const char *in;
	enum kup_scalar_tag tag;
};

static const struct row rows[] = {
	/* null */
	{ "", KUP_TAG_NULL }, { "~", KUP_TAG_NULL }, { "null", KUP_TAG_NULL },
	{ "Null", KUP_TAG_NULL }, { "NULL", KUP_TAG_NULL }, { "nULL", KUP_TAG_STR },
	{ "nul", KUP_TAG_STR }, { "~~", KUP_TAG_STR },
	/* booleans, YAML 1.1 */
	{ "y", KUP_TAG_BOOL }, { "Y", KUP_TAG_BOOL }, { "yes", KUP_TAG_BOOL },
	{ "Yes", KUP_TAG_BOOL }, { "YES", KUP_TAG_BOOL }, { "n", KUP_TAG_BOOL },
	{ "N", KUP_TAG_BOOL }, { "no", KUP_TAG_BOOL }, { "No", KUP_TAG_BOOL },
	{ "NO", KUP_TAG_BOOL }, { "true", KUP_TAG_BOOL }, { "True", KUP_TAG_BOOL },
	{ "TRUE", KUP_TAG_BOOL }, { "false", KUP_TAG_BOOL }, { "False", KUP_TAG_BOOL },
	{ "FALSE", KUP_TAG_BOOL }, { "on", KUP_TAG_BOOL }, { "On", KUP_TAG_BOOL },
	{ "ON", KUP_TAG_BOOL }, { "off", KUP_TAG_BOOL }, { "Off", KUP_TAG_BOOL },
	{ "OFF", KUP_TAG_BOOL }, { "yEs", KUP_TAG_STR }, { "tRUE", KUP_TAG_STR },
	{ "oN", KUP_TAG_STR }, { "yess", KUP_TAG_STR }, { "t", KUP_TAG_STR },
	{ "f", KUP_TAG_STR }, { "nope", KUP_TAG_STR }, { "onn", KUP_TAG_STR },
	/* integers */
	{ "0", KUP_TAG_INT }, { "1", KUP_TAG_INT }, { "-1", KUP_TAG_INT },
	{ "+1", KUP_TAG_INT }, { "123456789", KUP_TAG_INT }, { "1_000", KUP_TAG_INT },
	{ "1__0", KUP_TAG_INT }, { "0x1F", KUP_TAG_INT }, { "0X1f", KUP_TAG_INT },
	{ "-0x1f", KUP_TAG_INT }, { "0o17", KUP_TAG_INT }, { "0O17", KUP_TAG_INT },
	{ "017", KUP_TAG_INT }, { "00", KUP_TAG_INT }, { "0b101", KUP_TAG_INT },
	{ "-0b101", KUP_TAG_INT }, { "0x_ff", KUP_TAG_INT },
	{ "9223372036854775807", KUP_TAG_INT }, { "-9223372036854775808", KUP_TAG_INT },
	{ "18446744073709551615", KUP_TAG_INT },   /* ParseUint */
	{ "0x", KUP_TAG_STR }, { "0b", KUP_TAG_STR }, { "0b2", KUP_TAG_STR },
	{ "0xg", KUP_TAG_STR }, { "1:20", KUP_TAG_STR },   /* no sexagesimal */
	{ "_1", KUP_TAG_STR }, { "-", KUP_TAG_STR }, { "+", KUP_TAG_STR },
	{ "1a", KUP_TAG_STR }, { "0o8", KUP_TAG_STR }, { "12e", KUP_TAG_STR },
	/* floats */
	{ "1.5", KUP_TAG_FLOAT }, { "-1.5", KUP_TAG_FLOAT }, { "+1.5", KUP_TAG_FLOAT },
	{ "1.", KUP_TAG_FLOAT }, { ".5", KUP_TAG_FLOAT }, { "-.5", KUP_TAG_FLOAT },
	{ "1e3", KUP_TAG_FLOAT }, { "1E+3", KUP_TAG_FLOAT }, { "1.5e-3", KUP_TAG_FLOAT },
	{ ".5e3", KUP_TAG_FLOAT }, { "1_000.5", KUP_TAG_FLOAT },
	{ "08", KUP_TAG_FLOAT }, { "0789", KUP_TAG_FLOAT },   /* not octal: ParseFloat */
	{ "18446744073709551616", KUP_TAG_FLOAT },            /* past uint64 */
	{ ".inf", KUP_TAG_FLOAT }, { ".Inf", KUP_TAG_FLOAT }, { ".INF", KUP_TAG_FLOAT },
	{ "+.inf", KUP_TAG_FLOAT }, { "-.inf", KUP_TAG_FLOAT }, { "-.Inf", KUP_TAG_FLOAT },
	{ "+.INF", KUP_TAG_FLOAT }, { ".nan", KUP_TAG_FLOAT }, { ".NaN", KUP_TAG_FLOAT },
	{ ".NAN", KUP_TAG_FLOAT }, { ".Nan", KUP_TAG_STR }, { ".iNf", KUP_TAG_STR },
	{ "inf", KUP_TAG_STR }, { "nan", KUP_TAG_STR }, { "NaN", KUP_TAG_STR },
	{ "Infinity", KUP_TAG_STR }, { ".", KUP_TAG_STR }, { ".5_0", KUP_TAG_STR },
	{ "1e400", KUP_TAG_STR },   /* ParseFloat overflows: a string in go-yaml */
	{ "1.2.3", KUP_TAG_STR }, { "1e", KUP_TAG_STR }, { "e3", KUP_TAG_STR },
	/* strings that look like something */
	{ "v1", KUP_TAG_STR }, { "2001-12-14", KUP_TAG_STR }, { "1.32", KUP_TAG_FLOAT },
	{ "<<", KUP_TAG_STR }, { "apps/v1", KUP_TAG_STR }, { "=", KUP_TAG_STR },
	{ "100m", KUP_TAG_STR }, { "0.5Gi", KUP_TAG_STR }, { "1e3Mi", KUP_TAG_STR },
};

static void test_resolver_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum kup_scalar_tag got = kup_scalar_resolve(rows[i].in, strlen(rows[i].in));
		if (got != rows[i].tag)
			fail_msg("'%s': got tag %d, want %d", rows[i].in, (int)got,
				 (int)rows[i].tag);
	}
}

static void test_resolver_long(void **state)
{
	char buf[400];

	(void)state;
	memset(buf, '1', 300);
	assert_int_equal(kup_scalar_resolve(buf, 300), KUP_TAG_FLOAT);
	buf[150] = '_';
	assert_int_equal(kup_scalar_resolve(buf, 300), KUP_TAG_FLOAT);
	buf[150] = 'x';
	assert_int_equal(kup_scalar_resolve(buf, 300), KUP_TAG_STR);
	/* not NUL-terminated: only n bytes are looked at */
	assert_int_equal(kup_scalar_resolve("truex", 4), KUP_TAG_BOOL);
	assert_int_equal(kup_scalar_resolve("12ab", 2), KUP_TAG_INT);
}

/* ---- hand-built trees ---------------------------------------------------- */

static struct kup_node scalar(const char *s, enum kup_scalar_tag tag)
{
	struct kup_node n;

	memset(&n, 0, sizeof(n));
	n.kind = KUP_NODE_SCALAR;
	n.tag = (uint8_t)tag;
	n.len = strlen(s);
	n.u.str = s;
	return n;
}

static void test_queries(void **state)
{
	struct kup_node k1 = scalar("metadata", KUP_TAG_STR), k2 = scalar("name", KUP_TAG_STR),
			v2 = scalar("web", KUP_TAG_STR), k3 = scalar("kind", KUP_TAG_STR),
			v3 = scalar("Deployment", KUP_TAG_STR), dup = scalar("Service", KUP_TAG_STR);
	struct kup_pair mp[] = { { &k2, &v2 } };
	struct kup_node meta, root;
	struct kup_pair rp[3];
	struct kup_str s;

	(void)state;
	memset(&meta, 0, sizeof(meta));
	meta.kind = KUP_NODE_MAP;
	meta.len = 1;
	meta.u.pairs = mp;
	rp[0] = (struct kup_pair){ &k3, &v3 };
	rp[1] = (struct kup_pair){ &k1, &meta };
	rp[2] = (struct kup_pair){ &k3, &dup };   /* a duplicate key: the last wins */
	memset(&root, 0, sizeof(root));
	root.kind = KUP_NODE_MAP;
	root.len = 3;
	root.u.pairs = rp;

	assert_ptr_equal(kup_node_get(&root, "metadata"), &meta);
	assert_ptr_equal(kup_node_get(&root, "kind"), &dup);
	assert_null(kup_node_get(&root, "spec"));
	assert_null(kup_node_get(&root, "meta"));
	assert_null(kup_node_get(&v2, "name"));
	assert_null(kup_node_get(NULL, "name"));
	assert_ptr_equal(kup_node_path(&root, "metadata", "name", NULL), &v2);
	assert_null(kup_node_path(&root, "metadata", "nope", NULL));
	assert_null(kup_node_path(&root, "metadata", "name", "deeper", NULL));
	assert_ptr_equal(kup_node_path(&root, NULL), &root);
	assert_string_equal(kup_node_str(&v2), "web");
	assert_null(kup_node_str(&meta));
	assert_null(kup_node_str(NULL));
	s = kup_node_slice(&v3);
	assert_int_equal(s.n, 10);
	assert_memory_equal(s.p, "Deployment", 10);
	s = kup_node_slice(&meta);
	assert_null(s.p);
	assert_int_equal(s.n, 0);
	assert_true(kup_node_eq(&v2, "web"));
	assert_false(kup_node_eq(&v2, "we"));
	assert_false(kup_node_eq(&v2, "webs"));
	assert_false(kup_node_eq(&meta, "web"));
	assert_false(kup_node_eq(NULL, "web"));
}

static void test_eq_needs_string(void **state)
{
	struct kup_node b = scalar("true", KUP_TAG_BOOL);
	struct kup_node s = scalar("true", KUP_TAG_STR);

	(void)state;
	assert_false(kup_node_eq(&b, "true"));
	assert_true(kup_node_eq(&s, "true"));
}

static void test_int_bool(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		int64_t v;
	} ints[] = {
		{ "0", true, 0 }, { "42", true, 42 }, { "-42", true, -42 }, { "+7", true, 7 },
		{ "1_000", true, 1000 }, { "0x1F", true, 31 }, { "-0x10", true, -16 },
		{ "0o17", true, 15 }, { "017", true, 15 }, { "0b101", true, 5 },
		{ "9223372036854775807", true, INT64_MAX },
		{ "-9223372036854775808", true, INT64_MIN },
		{ "18446744073709551615", false, 0 },   /* an int, but not an int64 */
	};
	static const struct {
		const char *s;
		bool v;
	} bools[] = {
		{ "y", true }, { "Yes", true }, { "TRUE", true }, { "on", true }, { "ON", true },
		{ "n", false }, { "NO", false }, { "False", false }, { "off", false },
		{ "Off", false },
	};
	size_t i;
	int64_t v;
	bool b;
	struct kup_node n;

	(void)state;
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		n = scalar(ints[i].s, kup_scalar_resolve(ints[i].s, strlen(ints[i].s)));
		assert_int_equal(n.tag, KUP_TAG_INT);
		v = 12345;
		assert_int_equal(kup_node_int(&n, &v), ints[i].ok);
		if (ints[i].ok && v != ints[i].v)
			fail_msg("'%s': got %lld", ints[i].s, (long long)v);
	}
	n = scalar("42", KUP_TAG_STR);   /* a quoted "42" is no int */
	assert_false(kup_node_int(&n, &v));
	assert_false(kup_node_int(NULL, &v));
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		n = scalar(bools[i].s, kup_scalar_resolve(bools[i].s, strlen(bools[i].s)));
		assert_int_equal(n.tag, KUP_TAG_BOOL);
		b = !bools[i].v;
		assert_true(kup_node_bool(&n, &b));
		assert_int_equal(b, bools[i].v);
	}
	n = scalar("yes", KUP_TAG_STR);
	assert_false(kup_node_bool(&n, &b));
	assert_false(kup_node_bool(NULL, &b));
}

static void expect_json(const struct kup_node *n, const char *want)
{
	struct kup_buf b = KUP_BUF_INIT;

	kup_node_to_json(n, &b);
	assert_false(b.oom);
	assert_string_equal(b.buf, want);
	kup_buf_release(&b);
}

static void test_json(void **state)
{
	static const struct {
		const char *s;
		const char *want;
	} sc[] = {
		{ "plain", "\"plain\"" }, { "~", "null" }, { "", "null" }, { "yes", "true" },
		{ "Off", "false" }, { "0x1F", "31" }, { "-0", "0" }, { "1_000", "1000" },
		{ "017", "15" }, { "18446744073709551615", "18446744073709551615" },
		{ "1.5", "1.5" }, { "1.", "1" }, { ".5", "0.5" }, { "1e3", "1000" },
		{ "0.1", "0.1" }, { "+2.5", "2.5" }, { "08", "8" },
		{ ".inf", "\".inf\"" }, { "-.Inf", "\"-.Inf\"" }, { ".nan", "\".nan\"" },
	};
	size_t i;
	struct kup_node n, esc, k, k2, v, seq, map, *items[2], nul;
	struct kup_pair pairs[2];
	static const char ctl[] = "a\"b\\c\n\t\r\b\f\x01\x1f\x7f é";

	(void)state;
	for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
		n = scalar(sc[i].s, kup_scalar_resolve(sc[i].s, strlen(sc[i].s)));
		expect_json(&n, sc[i].want);
	}
	esc = scalar(ctl, KUP_TAG_STR);
	expect_json(&esc, "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\x7f é\"");
	/* an embedded NUL is kept */
	nul = scalar("a", KUP_TAG_STR);
	nul.u.str = "a\0b";
	nul.len = 3;
	expect_json(&nul, "\"a\\u0000b\"");
	/* a string tag wins over what the text looks like */
	n = scalar("true", KUP_TAG_STR);
	expect_json(&n, "\"true\"");
	expect_json(NULL, "null");

	k = scalar("k", KUP_TAG_STR);
	k2 = scalar("1", KUP_TAG_INT);   /* keys are always JSON strings */
	v = scalar("v", KUP_TAG_STR);
	items[0] = &v;
	items[1] = &k2;
	memset(&seq, 0, sizeof(seq));
	seq.kind = KUP_NODE_SEQ;
	seq.len = 2;
	seq.u.items = items;
	pairs[0] = (struct kup_pair){ &k, &seq };
	pairs[1] = (struct kup_pair){ &k2, &v };
	memset(&map, 0, sizeof(map));
	map.kind = KUP_NODE_MAP;
	map.len = 2;
	map.u.pairs = pairs;
	expect_json(&map, "{\"k\":[\"v\",1],\"1\":\"v\"}");
	map.len = 0;
	expect_json(&map, "{}");
	seq.len = 0;
	expect_json(&seq, "[]");
	/* a collection as a key: its JSON text as the key string */
	seq.len = 1;
	pairs[0] = (struct kup_pair){ &seq, &v };
	map.len = 1;
	expect_json(&map, "{\"[\\\"v\\\"]\":\"v\"}");
}

static void test_limits_default(void **state)
{
	struct kup_read_limits l;

	(void)state;
	memset(&l, 0xff, sizeof(l));
	kup_read_limits_default(&l);
	assert_int_equal(l.max_depth, 512);
	assert_int_equal(l.max_scalar, 64u << 20);
	assert_int_equal(l.max_document, 256u << 20);
	assert_int_equal(l.max_aliases, 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolver_table),
		cmocka_unit_test(test_resolver_long),
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_eq_needs_string),
		cmocka_unit_test(test_int_bool),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_limits_default),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
