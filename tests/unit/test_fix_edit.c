/*
 * test_fix_edit.c - the edit primitives of the fixer: each edit keeps the
 * bytes around it, the style (block/flow/JSON), indentation and line ends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "kupgrade/fix.h"
#include "kupgrade/json.h"
#include "kupgrade/kb.h"
#include "kupgrade/yaml.h"
#include "../../src/lib/fix/fix_int.h"

typedef void (*edit_fn)(struct kup_fixer *f, const struct kup_node *root);

struct ctx {
	struct kup_fixer f;
	edit_fn fn;
	struct kup_buf out;
	bool ran;
};

static enum kup_status on_doc(void *p, const struct kup_doc *doc)
{
	struct ctx *c = p;
	c->ran = true;
	c->fn(&c->f, doc->root);
	return KUP_OK;
}

/* Runs fn over the first document of text, applies its edits, returns the result. */
static char *run(const char *text, bool json, edit_fn fn, bool *unfixable)
{
	struct ctx c;
	memset(&c, 0, sizeof c);
	kup_fixer_init(&c.f, text, strlen(text), json);
	c.fn = fn;
	struct kup_arena a;
	kup_arena_init(&a, 4096);
	size_t nerr = 0;
	enum kup_status st;
	if (json) {
		struct kup_json_opts o;
		kup_json_opts_init(&o, "t.json");
		o.stream_items = false;
		st = kup_json_read_mem(text, strlen(text), &o, &a, on_doc, &c, &nerr);
	} else {
		struct kup_yaml_opts o;
		kup_yaml_opts_init(&o, "t.yaml");
		st = kup_yaml_read_mem(text, strlen(text), &o, &a, on_doc, &c, &nerr);
	}
	assert_int_equal(st, KUP_OK);
	assert_int_equal(nerr, 0);
	assert_true(c.ran);
	assert_false(c.f.oom);
	if (unfixable)
		*unfixable = c.f.unfixable;
	assert_true(kup_fixer_apply(&c.f, 0, strlen(text), &c.out));
	kup_fixer_release(&c.f);
	kup_arena_release(&a);
	kup_buf_addc(&c.out, '\0');
	return c.out.buf;
}

static void check(const char *in, bool json, edit_fn fn, const char *want)
{
	bool unf = false;
	char *got = run(in, json, fn, &unf);
	if (unf)
		fail_msg("unfixable for %s", in);
	assert_string_equal(got, want);
	free(got);
}

/* The node at root.spec (or root). */
static const struct kup_node *spec(const struct kup_node *root)
{
	const struct kup_node *s = kup_node_get(root, "spec");
	if (s && s->kind == KUP_NODE_SEQ)
		s = s->u.items[0];
	return s ? s : root;
}

static void e_set_api(struct kup_fixer *f, const struct kup_node *root)
{
	kup_fixer_set_scalar(f, kup_node_get(root, "apiVersion"), "apps/v1");
}

static void test_set_scalar_styles(void **state)
{
	(void)state;
	check("apiVersion: extensions/v1beta1 # old\nkind: D\n", false, e_set_api,
	      "apiVersion: apps/v1 # old\nkind: D\n");
	check("apiVersion: 'extensions/v1beta1'\n", false, e_set_api, "apiVersion: 'apps/v1'\n");
	check("apiVersion: \"extensions/v1beta1\"\r\n", false, e_set_api,
	      "apiVersion: \"apps/v1\"\r\n");
	check("{\"apiVersion\": \"extensions/v1beta1\"}", true, e_set_api,
	      "{\"apiVersion\": \"apps/v1\"}");
	check("apiVersion: &v !!str extensions/v1beta1\n", false, e_set_api,
	      "apiVersion: &v !!str apps/v1\n");
	check("{apiVersion: extensions/v1beta1, kind: D}", false, e_set_api,
	      "{apiVersion: apps/v1, kind: D}");
}

static void e_set_tricky(struct kup_fixer *f, const struct kup_node *root)
{
	kup_fixer_set_scalar(f, kup_node_get(root, "a"), "yes");
	kup_fixer_set_scalar(f, kup_node_get(root, "b"), "it's");
	kup_fixer_set_scalar(f, kup_node_get(root, "c"), "x: y");
}

static void test_set_scalar_quotes_when_needed(void **state)
{
	(void)state;
	check("a: x\nb: 'x'\nc: x\n", false, e_set_tricky,
	      "a: \"yes\"\nb: \"it's\"\nc: \"x: y\"\n");
}

static void e_rename(struct kup_fixer *f, const struct kup_node *root)
{
	const struct kup_node *s = spec(root);
	kup_fixer_rename_key(f, s, (size_t)kup_map_index(s, "backend"), "defaultBackend");
}

static void test_rename_key(void **state)
{
	(void)state;
	check("spec:\n  # c\n  backend:\n    x: 1\n", false, e_rename,
	      "spec:\n  # c\n  defaultBackend:\n    x: 1\n");
	check("{\"spec\": {\"backend\": {}}}", true, e_rename,
	      "{\"spec\": {\"defaultBackend\": {}}}");
}

static void e_del_a(struct kup_fixer *f, const struct kup_node *root)
{
	const struct kup_node *s = spec(root);
	kup_fixer_delete_pair(f, s, (size_t)kup_map_index(s, "a"));
}

static void test_delete_pair(void **state)
{
	(void)state;
	/* block, first, middle (with nested map), last with comment after */
	check("spec:\n  a: 1 # x\n  b: 2\n", false, e_del_a, "spec:\n  b: 2\n");
	check("spec:\n  b: 2\n  a:\n    deep: 1\n    more: [1]\n  c: 3\n", false, e_del_a,
	      "spec:\n  b: 2\n  c: 3\n");
	check("spec:\n  b: 2\n  a:\n    deep: 1\n  # trailing\nnext: 1\n", false, e_del_a,
	      "spec:\n  b: 2\n  # trailing\nnext: 1\n");
	check("spec:\r\n  a: 1\r\n  b: 2\r\n", false, e_del_a, "spec:\r\n  b: 2\r\n");
	/* sequence item: the next key moves up */
	check("spec:\n- a: 1\n  b: 2\n", false, e_del_a, "spec:\n- b: 2\n");
	/* flow and JSON */
	check("spec: {a: 1, b: 2}\n", false, e_del_a, "spec: {b: 2}\n");
	check("spec: {b: 2, a: 1}\n", false, e_del_a, "spec: {b: 2}\n");
	check("spec: {a: 1}\n", false, e_del_a, "spec: {}\n");
	check("{\n  \"spec\": {\n    \"a\": 1,\n    \"b\": 2\n  }\n}\n", true, e_del_a,
	      "{\n  \"spec\": {\n    \"b\": 2\n  }\n}\n");
	check("{\n  \"spec\": {\n    \"b\": 2,\n    \"a\": 1\n  }\n}\n", true, e_del_a,
	      "{\n  \"spec\": {\n    \"b\": 2\n  }\n}\n");
}

static void e_add(struct kup_fixer *f, const struct kup_node *root)
{
	const struct kup_node *s = spec(root);
	kup_fixer_add_pair(f, s, "updateStrategy", "type: OnDelete\n");
	kup_fixer_add_pair(f, s, "failurePolicy", "Ignore");
	kup_fixer_add_pair(f, s, "versions", "- v1beta1\n");
}

static void test_add_pair(void **state)
{
	(void)state;
	check("spec:\n    a: 1\n    b:\n        c: 2\n    # end\nx: 1\n", false, e_add,
	      "spec:\n    a: 1\n    b:\n        c: 2\n"
	      "    updateStrategy:\n        type: OnDelete\n"
	      "    failurePolicy: Ignore\n"
	      "    versions:\n        - v1beta1\n"
	      "    # end\nx: 1\n");
	/* no final newline, CRLF */
	check("spec:\r\n  a: 1", false, e_add,
	      "spec:\r\n  a: 1\r\n  updateStrategy:\r\n    type: OnDelete\r\n"
	      "  failurePolicy: Ignore\r\n  versions:\r\n    - v1beta1\r\n");
	check("spec: {a: 1}\n", false, e_add,
	      "spec: {a: 1, updateStrategy: {type: OnDelete}, failurePolicy: Ignore, "
	      "versions: [v1beta1]}\n");
	check("spec: &s !!map {}\n", false, e_add,
	      "spec: &s !!map {updateStrategy: {type: OnDelete}, failurePolicy: Ignore, "
	      "versions: [v1beta1]}\n");
	check("spec: {}\n", false, e_add,
	      "spec: {updateStrategy: {type: OnDelete}, failurePolicy: Ignore, "
	      "versions: [v1beta1]}\n");
	check("{\n   \"spec\": {\n      \"a\": 1\n   }\n}", true, e_add,
	      "{\n   \"spec\": {\n      \"a\": 1,\n"
	      "      \"updateStrategy\": {\n         \"type\": \"OnDelete\"\n      },\n"
	      "      \"failurePolicy\": \"Ignore\",\n"
	      "      \"versions\": [\n         \"v1beta1\"\n      ]\n   }\n}");
	/* compact JSON (kubectl's last-applied) gets compact pairs */
	check("{\"spec\":{\"a\":1}}", true, e_add,
	      "{\"spec\":{\"a\":1,\"updateStrategy\":{\"type\":\"OnDelete\"},"
	      "\"failurePolicy\":\"Ignore\",\"versions\":[\"v1beta1\"]}}");
	check("{\"spec\": {\"a\": 1}}", true, e_add,
	      "{\"spec\": {\"a\": 1, \"updateStrategy\": {\"type\": \"OnDelete\"}, "
	      "\"failurePolicy\": \"Ignore\", \"versions\": [\"v1beta1\"]}}");
}

static void e_add_literal(struct kup_fixer *f, const struct kup_node *root)
{
	kup_fixer_add_pair(f, spec(root), "timeout", "30");
}

static void test_add_after_block_scalar(void **state)
{
	(void)state;
	check("spec:\n  s: |\n    text\n\n  t: 1\n", false, e_add_literal,
	      "spec:\n  s: |\n    text\n\n  t: 1\n  timeout: 30\n");
	check("spec:\n  s: |\n    text\nx: 1\n", false, e_add_literal,
	      "spec:\n  s: |\n    text\n  timeout: 30\nx: 1\n");
	check("{\"spec\": {\"s\": 1}}", true, e_add_literal,
	      "{\"spec\": {\"s\": 1, \"timeout\": 30}}");
}

static void e_replace(struct kup_fixer *f, const struct kup_node *root)
{
	const struct kup_node *s = spec(root);
	long i = kup_map_index(s, "serviceName");
	kup_fixer_rename_key(f, s, (size_t)i, "service");
	kup_fixer_replace_value(f, s, (size_t)i, "name: web\nport:\n  number: 80\n");
	kup_fixer_delete_pair(f, s, (size_t)kup_map_index(s, "servicePort"));
}

static void test_replace_value(void **state)
{
	(void)state;
	check("spec:\n  serviceName: web\n  servicePort: 80\n", false, e_replace,
	      "spec:\n  service:\n    name: web\n    port:\n      number: 80\n");
	check("spec:\n- serviceName: web # svc\n  servicePort: 80\n", false, e_replace,
	      "spec:\n- service:\n    name: web\n    port:\n      number: 80 # svc\n");
	check("spec: {serviceName: web, servicePort: 80}\n", false, e_replace,
	      "spec: {service: {name: web, port: {number: 80}}}\n");
	check("{\n  \"spec\": {\n    \"serviceName\": \"web\",\n    \"servicePort\": 80\n  }\n}\n",
	      true, e_replace,
	      "{\n  \"spec\": {\n    \"service\": {\n      \"name\": \"web\",\n"
	      "      \"port\": {\n        \"number\": 80\n      }\n    }\n  }\n}\n");
}

static void e_overlap(struct kup_fixer *f, const struct kup_node *root)
{
	const struct kup_node *s = spec(root);
	kup_fixer_set_scalar(f, kup_node_get(s, "a"), "x");
	kup_fixer_delete_pair(f, s, (size_t)kup_map_index(s, "a"));
}

static void test_overlap_is_unfixable(void **state)
{
	(void)state;
	bool unf = false;
	char *got = run("spec:\n  a: 1\n  b: 2\n", false, e_overlap, &unf);
	assert_true(unf);
	free(got);
}

static void e_note(struct kup_fixer *f, const struct kup_node *root)
{
	(void)root;
	kup_fixer_note(f, "one %d", 1);
	kup_fixer_note(f, "two");
	assert_string_equal(f->summary, "one 1; two");
	kup_fixer_unfixable(f, "first");
	kup_fixer_unfixable(f, "second");
	assert_string_equal(f->reason, "first");
}

static void test_notes(void **state)
{
	(void)state;
	bool unf = false;
	char *got = run("a: 1\n", false, e_note, &unf);
	assert_true(unf);
	assert_string_equal(got, "a: 1\n");
	free(got);
	assert_int_equal(kup_map_index(NULL, "a"), -1);
}

static void e_refuse(struct kup_fixer *f, const struct kup_node *root)
{
	const struct kup_node *s = spec(root);
	if (kup_map_index(s, "only") >= 0)
		kup_fixer_delete_pair(f, s, 0);
	else
		kup_fixer_set_scalar(f, kup_node_get(s, "text"), "x");
}

static void test_refusals(void **state)
{
	(void)state;
	bool unf = false;
	char *got = run("spec:\n  only: 1\n", false, e_refuse, &unf);
	assert_true(unf);   /* the only key of a block map */
	assert_string_equal(got, "spec:\n  only: 1\n");
	free(got);
	unf = false;
	got = run("spec:\n  text: |\n    a\n", false, e_refuse, &unf);
	assert_true(unf);   /* a block scalar */
	free(got);
}

static void e_replace_flow(struct kup_fixer *f, const struct kup_node *root)
{
	const struct kup_node *s = spec(root);
	kup_fixer_replace_value(f, s, (size_t)kup_map_index(s, "v"), "- a\n- \"b c\"\n");
}

static void test_replace_in_flow_and_block(void **state)
{
	(void)state;
	check("spec: {v: 1, w: 2}\n", false, e_replace_flow, "spec: {v: [a, \"b c\"], w: 2}\n");
	check("spec:\n   v: {}\n   w: 2\n", false, e_replace_flow,
	      "spec:\n   v:\n      - a\n      - \"b c\"\n   w: 2\n");
	check("{\"spec\": {\"v\": 1}}", true, e_replace_flow,
	      "{\"spec\": {\"v\": [\"a\", \"b c\"]}}");
}

/* ---- kup_fix_text over the embedded KB ------------------------------------------------ */

static void test_fix_text_counts(void **state)
{
	(void)state;
	struct kup_kb *kb = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	assert_int_equal(kup_kb_load_embedded(&kb, &err), KUP_OK);
	struct kup_fix_opts o;
	kup_fix_opts_init(&o, kb);
	assert_int_equal(kup_version_parse("1.25", &o.target, &err), KUP_OK);
	static const char in[] =
		"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: a, namespace: n}\n"
		"---\nbad: [\n"
		"---\napiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: p}\n"
		"---\n  apiVersion: apps/v1\n  kind: Deployment\n";
	struct kup_buf out = KUP_BUF_INIT;
	struct kup_fix_result r;
	kup_fix_result_init(&r);
	assert_int_equal(kup_fix_text("t.yaml", in, sizeof in - 1, &o, &out, &r), KUP_OK);
	assert_int_equal(r.converted, 1);
	assert_int_equal(r.unfixable, 1);
	assert_int_equal(r.unfixable_removed, 1);
	assert_int_equal(r.errors, 1);
	assert_int_equal(r.nnotes, 2);
	assert_string_equal(r.notes[0].to_api_version, "batch/v1");
	assert_string_equal(r.notes[0].namespace_, "n");
	assert_int_equal(r.notes[0].line, 1);
	assert_int_equal(r.notes[1].line, 7);
	assert_null(r.notes[1].to_api_version);
	assert_string_equal(kup_fix_outcome_name(r.notes[1].outcome), "unfixable");
	/* only the first apiVersion changed; everything else byte for byte */
	assert_int_equal(out.len, sizeof in - 1 - 5);
	assert_memory_equal(out.buf + 20, in + 25, sizeof in - 1 - 25);
	kup_fix_result_release(&r);
	kup_buf_release(&out);
	kup_kb_free(kb);
}

static void test_fix_text_many_notes(void **state)
{
	(void)state;
	struct kup_kb *kb = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	assert_int_equal(kup_kb_load_embedded(&kb, &err), KUP_OK);
	struct kup_fix_opts o;
	kup_fix_opts_init(&o, kb);
	assert_int_equal(kup_version_parse("1.25", &o.target, &err), KUP_OK);
	struct kup_buf in = KUP_BUF_INIT, out = KUP_BUF_INIT, again = KUP_BUF_INIT;
	for (int i = 0; i < 100; i++)
		kup_buf_addf(&in, "---\napiVersion: batch/v1beta1\nkind: CronJob\n"
				  "metadata: {name: c%d}\n", i);
	struct kup_fix_result r;
	kup_fix_result_init(&r);
	assert_int_equal(kup_fix_text("m.yaml", in.buf, in.len, &o, &out, &r), KUP_OK);
	assert_int_equal(r.converted, 100);
	assert_string_equal(r.notes[99].name, "c99");
	kup_fix_result_release(&r);
	kup_fix_result_init(&r);
	assert_int_equal(kup_fix_text("m.yaml", out.buf, out.len, &o, &again, &r), KUP_OK);
	assert_int_equal(r.nnotes, 0);
	assert_int_equal(again.len, out.len);
	assert_memory_equal(again.buf, out.buf, out.len);
	kup_fix_result_release(&r);
	kup_buf_release(&in);
	kup_buf_release(&out);
	kup_buf_release(&again);
	kup_kb_free(kb);
}

/* One big List document: the per-object work must not grow with the document. */
static void test_fix_text_big_list_is_linear(void **state)
{
	(void)state;
	struct kup_kb *kb = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	assert_int_equal(kup_kb_load_embedded(&kb, &err), KUP_OK);
	struct kup_fix_opts o;
	kup_fix_opts_init(&o, kb);
	assert_int_equal(kup_version_parse("1.22", &o.target, &err), KUP_OK);
	struct kup_buf in = KUP_BUF_INIT, out = KUP_BUF_INIT;
	kup_buf_adds(&in, "apiVersion: v1\nkind: List\nmetadata: {anchor: &a x}\nitems:\n");
	for (int i = 0; i < 20000; i++)
		kup_buf_addf(&in, "- apiVersion: extensions/v1beta1\n  kind: Ingress\n"
				  "  metadata: {name: i%d}\n  spec:\n    backend: "
				  "{serviceName: s, servicePort: 80}\n", i);
	struct kup_fix_result r;
	kup_fix_result_init(&r);
	clock_t t0 = clock();
	assert_int_equal(kup_fix_text("big.yaml", in.buf, in.len, &o, &out, &r), KUP_OK);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	assert_int_equal(r.converted, 20000);
	assert_true(secs < 20.0);   /* quadratic work took minutes */
	assert_non_null(strstr(out.buf, "defaultBackend: {service: {name: s, port: {number: 80}}}"));
	kup_fix_result_release(&r);
	kup_buf_release(&in);
	kup_buf_release(&out);
	kup_kb_free(kb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_scalar_styles),
		cmocka_unit_test(test_set_scalar_quotes_when_needed),
		cmocka_unit_test(test_rename_key),
		cmocka_unit_test(test_delete_pair),
		cmocka_unit_test(test_add_pair),
		cmocka_unit_test(test_add_after_block_scalar),
		cmocka_unit_test(test_replace_value),
		cmocka_unit_test(test_overlap_is_unfixable),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_replace_in_flow_and_block),
		cmocka_unit_test(test_fix_text_counts),
		cmocka_unit_test(test_fix_text_many_notes),
		cmocka_unit_test(test_fix_text_big_list_is_linear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
