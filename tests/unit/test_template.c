/*
 * test_template.c - the un-rendered chart template scanner.
 *
 * tests/data/helm/chart-demo/ is a chart in the shape `helm create` makes,
 * with a literal extensions/v1beta1 Deployment, an Ingress whose apiVersion
 * is chosen by {{ if }}/{{ else if }}/{{ else }} (CRLF line ends), a
 * one-line if/else PodDisruptionBudget and an HPA whose apiVersion is a
 * helper call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/helm.h"

#define CHART KUP_TEST_DATA "/helm/chart-demo/"

struct got {
	char api[256], kind[256], name[256];
	bool api_tpl, kind_tpl;
	uint32_t line, column, section_line;
};

struct collect {
	const char *text;
	size_t len;
	struct got items[64];
	size_t n;
	size_t stop_after;   /* 0: never stop */
};

static void copy_str(char *dst, size_t cap, struct kup_str s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;

	if (n)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

static void assert_in_text(const struct collect *c, struct kup_str s)
{
	if (s.n == 0)
		return;
	assert_non_null(s.p);
	assert_true(s.p >= c->text && s.p + s.n <= c->text + c->len);
}

static enum kup_status on_item(void *ctx, const struct kup_template_item *it)
{
	struct collect *c = ctx;
	struct got *g;

	/* every slice borrows from the scanned text */
	assert_in_text(c, it->api_version);
	assert_in_text(c, it->kind);
	assert_in_text(c, it->name);
	assert_true(it->line >= 1);
	assert_true(it->column >= 1);
	assert_true(it->section_line >= 1);
	if (c->n < sizeof(c->items) / sizeof(c->items[0])) {
		g = &c->items[c->n];
		copy_str(g->api, sizeof(g->api), it->api_version);
		copy_str(g->kind, sizeof(g->kind), it->kind);
		copy_str(g->name, sizeof(g->name), it->name);
		g->api_tpl = it->api_templated;
		g->kind_tpl = it->kind_templated;
		g->line = it->line;
		g->column = it->column;
		g->section_line = it->section_line;
	}
	c->n++;
	if (c->stop_after && c->n == c->stop_after)
		return KUP_STOP;
	return KUP_OK;
}

static void scan_text(struct collect *c, const char *text, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->text = text;
	c->len = len;
	assert_int_equal(kup_template_scan(text, len, on_item, c), KUP_OK);
}

static void scan_str(struct collect *c, const char *text)
{
	scan_text(c, text, strlen(text));
}

static char *scan_file(struct collect *c, const char *path)
{
	struct kup_error err = KUP_ERROR_INIT;
	char *text = NULL;
	size_t len = 0;

	if (kup_read_file(path, 1 << 20, &text, &len, &err) != KUP_OK)
		fail_msg("cannot read '%s'", path);
	scan_text(c, text, len);
	return text;
}

static void assert_item(const struct got *g, const char *api, const char *kind,
			const char *name, uint32_t line, uint32_t column)
{
	assert_string_equal(g->api, api);
	assert_string_equal(g->kind, kind);
	assert_string_equal(g->name, name);
	assert_int_equal(g->line, line);
	assert_int_equal(g->column, column);
}

static void test_deployment(void **state)
{
	struct collect c;
	char *text = scan_file(&c, CHART "templates/deployment.yaml");

	/* the block scalar's apiVersion, the labels' name and the comment are skipped */
	assert_int_equal(c.n, 2);
	assert_item(&c.items[0], "extensions/v1beta1", "Deployment", "demo-legacy", 2, 13);
	assert_false(c.items[0].api_tpl);
	assert_false(c.items[0].kind_tpl);
	assert_int_equal(c.items[0].section_line, 1);
	/* quotes stripped; the column is that of the text inside them */
	assert_item(&c.items[1], "apps/v1", "Deployment", "", 26, 14);
	assert_int_equal(c.items[1].section_line, 26);
	assert_false(c.items[1].api_tpl);
	free(text);
}

static void test_ingress_if_else(void **state)
{
	struct collect c;
	char *text = scan_file(&c, CHART "templates/ingress.yaml");
	size_t i;

	assert_int_equal(c.n, 5);
	/* three branches, one Ingress each; the name is templated so empty */
	assert_item(&c.items[0], "networking.k8s.io/v1", "Ingress", "", 4, 13);
	assert_item(&c.items[1], "networking.k8s.io/v1beta1", "Ingress", "", 6, 13);
	assert_item(&c.items[2], "extensions/v1beta1", "Ingress", "", 8, 13);
	for (i = 0; i < 3; i++) {
		assert_int_equal(c.items[i].section_line, 1);
		assert_false(c.items[i].api_tpl);
	}
	/* both branches of a one-line if/else, CR stripped from the kind */
	assert_item(&c.items[3], "policy/v1", "PodDisruptionBudget", "demo-pdb", 20, 84);
	assert_item(&c.items[4], "policy/v1beta1", "PodDisruptionBudget", "demo-pdb", 20, 115);
	assert_int_equal(c.items[3].section_line, 20);
	free(text);
}

static void test_hpa_templated(void **state)
{
	struct collect c;
	char *text = scan_file(&c, CHART "templates/hpa.yaml");

	/* scaleTargetRef.apiVersion is nested: not an item */
	assert_int_equal(c.n, 1);
	assert_item(&c.items[0], "{{ include \"chart-demo.hpa.apiVersion\" . }}",
		    "HorizontalPodAutoscaler", "", 2, 13);
	assert_true(c.items[0].api_tpl);
	assert_false(c.items[0].kind_tpl);
	free(text);
}

static void test_helpers_and_notes(void **state)
{
	struct collect c;
	char *text = scan_file(&c, CHART "templates/_helpers.tpl");

	/* the apiVersion inside a template comment is not seen */
	assert_int_equal(c.n, 0);
	free(text);
	text = scan_file(&c, CHART "templates/NOTES.txt");
	assert_int_equal(c.n, 0);
	free(text);
	text = scan_file(&c, CHART "Chart.yaml");
	/* Chart.yaml has apiVersion: v2 and no kind; it is the caller's to skip */
	assert_int_equal(c.n, 1);
	assert_item(&c.items[0], "v2", "", "", 1, 13);
	free(text);
}

static void test_empty_and_odd(void **state)
{
	struct collect c;

	scan_text(&c, NULL, 0);
	assert_int_equal(c.n, 0);
	scan_str(&c, "");
	assert_int_equal(c.n, 0);
	scan_str(&c, "---\n---\n---");
	assert_int_equal(c.n, 0);
	scan_str(&c, "\n\n\n");
	assert_int_equal(c.n, 0);
	scan_str(&c, "apiVersion:\nkind:\n");
	assert_int_equal(c.n, 0);
	scan_str(&c, "{{");
	assert_int_equal(c.n, 0);
	scan_str(&c, "}}apiVersion: v1");    /* a literal "}}apiVersion" key */
	assert_int_equal(c.n, 0);
	/* an action left open at the end */
	scan_str(&c, "apiVersion: v1\nkind: Pod\n{{ if \"}}");
	assert_int_equal(c.n, 1);
	assert_item(&c.items[0], "v1", "Pod", "", 1, 13);
	assert_int_equal(kup_template_scan("x", 1, NULL, NULL), KUP_INVALID);
}

static void test_bom_crlf_comments(void **state)
{
	struct collect c;

	scan_str(&c, "\xef\xbb\xbf" "apiVersion: v1 # the core group\r\n"
		     "kind: \"ConfigMap\"   \r\n"
		     "metadata:  # here\r\n"
		     "  name: cm-1 # comment\r\n");
	assert_int_equal(c.n, 1);
	assert_item(&c.items[0], "v1", "ConfigMap", "cm-1", 1, 13);

	/* '#' inside quotes or actions is not a comment */
	scan_str(&c, "apiVersion: \"a#b\"\nkind: {{ printf \"%s #x\" .k }} # c\n");
	assert_int_equal(c.n, 1);
	assert_item(&c.items[0], "a#b", "{{ printf \"%s #x\" .k }}", "", 1, 14);
	assert_true(c.items[0].kind_tpl);
	assert_false(c.items[0].api_tpl);

	/* a partly templated value keeps its raw text */
	scan_str(&c, "apiVersion: apps/{{ .Values.v }}\nkind: Deployment\n");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.items[0].api, "apps/{{ .Values.v }}");
	assert_true(c.items[0].api_tpl);
}

static void test_sections(void **state)
{
	struct collect c;

	scan_str(&c,
		 "# leading comment\n"            /* 1 */
		 "apiVersion: v1\n"               /* 2 */
		 "kind: Service\n"                /* 3 */
		 "--- # a marker with a comment\n" /* 4 */
		 "kind: ConfigMap\n"              /* 5 */
		 "apiVersion: v1\n"               /* 6: kind first */
		 "...\n"                          /* 7 */
		 "metadata:\n"                    /* 8 */
		 "  name: early\n"                /* 9: name before apiVersion */
		 "apiVersion: batch/v1\n"         /* 10 */
		 "kind: Job\n"                    /* 11 */
		 "---\n"                          /* 12 */
		 "kind: Secret\n");               /* 13: no apiVersion */
	assert_int_equal(c.n, 4);
	assert_item(&c.items[0], "v1", "Service", "", 2, 13);
	assert_int_equal(c.items[0].section_line, 1);
	assert_item(&c.items[1], "v1", "ConfigMap", "", 6, 13);
	assert_int_equal(c.items[1].section_line, 5);
	assert_item(&c.items[2], "batch/v1", "Job", "early", 10, 13);
	assert_int_equal(c.items[2].section_line, 8);
	assert_item(&c.items[3], "", "Secret", "", 13, 7);
	assert_int_equal(c.items[3].section_line, 13);
}

static void test_alternative_kinds(void **state)
{
	struct collect c;

	/* each branch has its own apiVersion and kind */
	scan_str(&c,
		 "{{- if .Values.psp }}\n"
		 "apiVersion: policy/v1beta1\n"
		 "kind: PodSecurityPolicy\n"
		 "{{- else }}\n"
		 "apiVersion: v1\n"
		 "kind: ConfigMap\n"
		 "{{- end }}\n"
		 "metadata:\n"
		 "  name: shared\n");
	assert_int_equal(c.n, 2);
	assert_item(&c.items[0], "policy/v1beta1", "PodSecurityPolicy", "shared", 2, 13);
	assert_item(&c.items[1], "v1", "ConfigMap", "shared", 5, 13);

	/* two kinds, one apiVersion */
	scan_str(&c,
		 "{{ if .Values.sts }}kind: StatefulSet{{ else }}kind: Deployment{{ end }}\n"
		 "apiVersion: apps/v1\n");
	assert_int_equal(c.n, 2);
	assert_item(&c.items[0], "apps/v1", "StatefulSet", "", 2, 13);
	assert_item(&c.items[1], "apps/v1", "Deployment", "", 2, 13);
}

static void test_multiline_actions(void **state)
{
	struct collect c;

	scan_str(&c,
		 "{{- $x := dict\n"                       /* 1 */
		 "  \"a\" \"}}\"\n"                        /* 2: }} in a string */
		 "  \"b\" `apiVersion: nope\n"            /* 3: raw string ... */
		 "apiVersion: still-a-string\n"           /* 4: ... across lines */
		 "kind: Nope` }}\n"                       /* 5 */
		 "{{/* apiVersion: commented\n"           /* 6 */
		 "kind: Commented */}}\n"                 /* 7 */
		 "apiVersion: v1\n"                       /* 8 */
		 "kind: {{ include \"x\"\n"               /* 9: output action spans */
		 "  . }}\n"                               /* 10 */
		 "metadata:\n"                            /* 11 */
		 "  name: {{ .Release.Name }}\n");        /* 12: templated: no name */
	assert_int_equal(c.n, 1);
	assert_item(&c.items[0], "v1", "{{ include \"x\"", "", 8, 13);
	assert_true(c.items[0].kind_tpl);

	/* a control action closing mid-line opens a new keyable segment */
	scan_str(&c, "{{- if\n  .Values.x }}apiVersion: v2\n{{- end }}\n");
	assert_int_equal(c.n, 1);
	assert_item(&c.items[0], "v2", "", "", 2, 27);

	/* an output action at the start of a line is not a key */
	scan_str(&c, "{{ .Values.head }}apiVersion: no\n{{- include \"a\" . | nindent 0 }}\n");
	assert_int_equal(c.n, 0);
}

static void test_indentation(void **state)
{
	struct collect c;

	/* a whole document indented the same way: its base indentation */
	scan_str(&c,
		 "  apiVersion: v1\n"
		 "  kind: ConfigMap\n"
		 "  metadata:\n"
		 "    labels:\n"
		 "      name: nope\n"
		 "    name: indented\n"
		 "  data:\n"
		 "    apiVersion: nested\n");
	assert_int_equal(c.n, 1);
	assert_item(&c.items[0], "v1", "ConfigMap", "indented", 1, 15);

	/* a list item is not a key */
	scan_str(&c, "- apiVersion: v1\nkind: Y\n");
	assert_int_equal(c.n, 1);
	assert_item(&c.items[0], "", "Y", "", 2, 7);
	/* a tab-indented key is deeper than column 0 */
	scan_str(&c, "apiVersion: v1\n\tkind: X\nkind: Y\n");
	assert_int_equal(c.n, 1);
	assert_item(&c.items[0], "v1", "Y", "", 1, 13);
}

static void test_columns_utf8(void **state)
{
	struct collect c;

	/* columns count characters, not bytes */
	scan_str(&c, "{{/* \xc3\xa9t\xc3\xa9 */}}apiVersion: v1\n");
	assert_int_equal(c.n, 1);
	assert_int_equal(c.items[0].column, 26);
	/* invalid UTF-8 is carried through, not choked on */
	scan_str(&c, "apiVersion: \xff\xfe\nkind: \xc3\n");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.items[0].api, "\xff\xfe");
	assert_string_equal(c.items[0].kind, "\xc3");
}

static void test_stop_and_huge(void **state)
{
	struct collect c;
	size_t big = (size_t)4 << 20, i;
	char *text = malloc(big + 64);
	enum kup_status st;

	memset(&c, 0, sizeof(c));
	c.text = "apiVersion: a\n---\napiVersion: b\n---\napiVersion: c\n";
	c.len = strlen(c.text);
	c.stop_after = 2;
	st = kup_template_scan(c.text, c.len, on_item, &c);
	assert_int_equal(st, KUP_STOP);
	assert_int_equal(c.n, 2);

	/* 4 MiB value; then 4 MiB of "{{" and of NULs */
	assert_non_null(text);
	memcpy(text, "apiVersion: ", 12);
	memset(text + 12, 'v', big);
	scan_text(&c, text, big + 12);
	assert_int_equal(c.n, 1);
	assert_int_equal(strlen(c.items[0].api), 255);
	memset(text, '{', big);
	scan_text(&c, text, big);
	assert_int_equal(c.n, 0);
	memset(text, 0, big);
	scan_text(&c, text, big);
	assert_int_equal(c.n, 0);
	/* a million sections */
	for (i = 0; i + 4 <= big; i += 4)
		memcpy(text + i, "---\n", 4);
	scan_text(&c, text, big);
	assert_int_equal(c.n, 0);
	/* 100000 items in one section: stays linear */
	for (i = 0; i + 22 <= big && i < 22 * 100000; i += 22)
		memcpy(text + i, "apiVersion: a\nkind: b\n", 22);
	scan_text(&c, text, i);
	assert_int_equal(c.n, 100000);
	assert_item(&c.items[63], "a", "b", "", 127, 13);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deployment),
		cmocka_unit_test(test_ingress_if_else),
		cmocka_unit_test(test_hpa_templated),
		cmocka_unit_test(test_helpers_and_notes),
		cmocka_unit_test(test_empty_and_odd),
		cmocka_unit_test(test_bom_crlf_comments),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_alternative_kinds),
		cmocka_unit_test(test_multiline_actions),
		cmocka_unit_test(test_indentation),
		cmocka_unit_test(test_columns_utf8),
		cmocka_unit_test(test_stop_and_huge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
