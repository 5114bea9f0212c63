/*
 * test_gotpl.c - the Go text/template evaluator for charts (chart/gotpl.h).
 *
 * Each case renders a template against small values at a target and
 * compares the output, with the markers made visible: an unknown value is
 * <?reason>, a region under an unknown condition [?...?], a region not
 * rendered at the target [-...-].
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chart/gotpl.h"
#include "kupgrade/yaml.h"

static int has(void *ctx, const char *s, size_t n, const char **why)
{
	(void)ctx;
	if (n == 20 && memcmp(s, "networking.k8s.io/v1", 20) == 0)
		return 1;
	if (n == 32 && memcmp(s, "policy/v1beta1/PodSecurityPolicy", 32) == 0)
		return 0;
	*why = "not known";
	return -1;
}

struct vctx {
	struct gt_engine *e;
	struct gt_val v;
};

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct vctx *c = ctx;
	c->v = gt_from_node(c->e, doc->root);
	return KUP_OK;
}

/* Renders tpl (with helpers) for version v; the visible output in a malloc'd string. */
static char *render_at(const char *version, const char *values, const char *helpers, const char *tpl)
{
	struct kup_arena a;
	struct gt_caps caps = { version, "1", "25", has, NULL, 0 };
	struct gt_engine *e;
	struct gt_file *f;
	struct kup_error err = KUP_ERROR_INIT;
	struct gt_out o;
	struct gt_val dot, caps_v, kv;
	struct kup_buf vis = KUP_BUF_INIT;
	size_t i;

	kup_arena_init(&a, 0);
	e = gt_new(&a, &caps);
	assert_non_null(e);
	dot = gt_map_new(e);
	caps_v = gt_map_new(e);
	kv = gt_map_new(e);
	gt_map_set(e, kv.u.m, "Version", gt_strc(e, version));
	gt_map_set(e, kv.u.m, "GitVersion", gt_strc(e, version));
	gt_map_set(e, caps_v.u.m, "KubeVersion", kv);
	gt_map_set(e, caps_v.u.m, "APIVersions", gt_apiv());
	gt_map_set(e, dot.u.m, "Capabilities", caps_v);
	if (values) {
		struct kup_yaml_opts yo;
		struct kup_arena ya;
		struct vctx vc = { e, gt_nil() };
		size_t nerr = 0;
		kup_yaml_opts_init(&yo, "values.yaml");
		kup_arena_init(&ya, 0);
		kup_yaml_read_mem(values, strlen(values), &yo, &ya, on_doc, &vc, &nerr);
		kup_arena_release(&ya);
		gt_map_set(e, dot.u.m, "Values", vc.v);
	} else {
		gt_map_set(e, dot.u.m, "Values", gt_map_new(e));
	}
	gt_map_set(e, dot.u.m, "Files", gt_unknown(e, ".Files"));
	if (helpers) {
		f = gt_parse(e, "_helpers.tpl", helpers, strlen(helpers), &err);
		if (!f)
			fail_msg("helpers: %s", err.msg);
	}
	f = gt_parse(e, "t.yaml", tpl, strlen(tpl), &err);
	if (!f) {
		kup_buf_addf(&vis, "ERROR %u:%u %s", err.line, err.column, err.msg);
		kup_error_release(&err);
		gt_free(e);
		kup_arena_release(&a);
		return kup_buf_detach(&vis, NULL);
	}
	memset(&o, 0, sizeof(o));
	o.top = true;
	assert_int_equal(gt_render(e, f, dot, &o), KUP_OK);
	for (i = 0; i < o.buf.len; i++) {
		char c = o.buf.buf[i];
		if (c == GT_M_UNK || c == GT_M_GUARD || c == GT_M_DEAD) {
			size_t idx = 0;
			i++;
			while (o.buf.buf[i] >= '0' && o.buf.buf[i] <= '9')
				idx = idx * 10 + (size_t)(o.buf.buf[i++] - '0');
			if (c == GT_M_UNK)
				kup_buf_addf(&vis, "<?%s>", gt_reason(e, idx));
			else
				kup_buf_adds(&vis, c == GT_M_GUARD ? "[?" : "[-");
		} else if (c == GT_M_GUARD_END) {
			kup_buf_adds(&vis, "?]");
		} else if (c == GT_M_DEAD_END) {
			kup_buf_adds(&vis, "-]");
		} else {
			kup_buf_addc(&vis, c);
		}
	}
	gt_out_release(&o);
	gt_free(e);
	kup_arena_release(&a);
	return kup_buf_detach(&vis, NULL);
}

static char *render(const char *values, const char *tpl)
{
	return render_at("v1.25.0", values, NULL, tpl);
}

/* Renders tpl expecting the budget to run out: "site=N: reason", or "OK: output". */
static char *budget(const char *tpl)
{
	struct kup_arena a;
	struct gt_caps caps = { "v1.25.0", "1", "25", has, NULL, 0 };
	struct gt_engine *e;
	struct gt_file *f;
	struct kup_error err = KUP_ERROR_INIT;
	struct gt_out o;
	struct kup_buf r = KUP_BUF_INIT;
	enum kup_status st;
	size_t site = 999;

	kup_arena_init(&a, 0);
	e = gt_new(&a, &caps);
	assert_non_null(e);
	f = gt_parse(e, "t.yaml", tpl, strlen(tpl), &err);
	assert_non_null(f);
	memset(&o, 0, sizeof(o));
	o.top = true;
	st = gt_render(e, f, gt_map_new(e), &o);
	if (st == KUP_OK) {
		assert_null(gt_budget(e, &site));
		kup_buf_adds(&r, "OK: ");
		kup_buf_add(&r, o.buf.buf ? o.buf.buf : "", o.buf.len);
	} else {
		assert_int_equal(st, KUP_TOOBIG);
		assert_non_null(gt_budget(e, &site));
		kup_buf_addf(&r, "site=%zu: %s", site, gt_budget(e, NULL));
	}
	gt_out_release(&o);
	gt_free(e);
	kup_arena_release(&a);
	return kup_buf_detach(&r, NULL);
}

#define EXPECT(want, got_expr)                          \
	do {                                            \
		char *got_ = (got_expr);                \
		assert_string_equal(got_, want);        \
		free(got_);                             \
	} while (0)

static void test_text_and_trim(void **state)
{
	(void)state;
	EXPECT("ab", render(NULL, "a\n  {{- /* c */ -}}  \nb"));
	EXPECT("a\n\nb", render(NULL, "a\n{{/* c */}}\nb"));
	EXPECT("ab", render(NULL, "a {{- \"\" -}} b"));
	EXPECT("x: 3", render("n: 3", "x: {{ .Values.n }}"));
	EXPECT("x: 1e+06 2.5", render("n: 1000000\nf: 2.5", "x: {{ .Values.n }} {{ .Values.f }}"));
	EXPECT("x: ", render(NULL, "x: {{ .Values.missing }}"));
	EXPECT("a-3", render(NULL, "{{ $x := 3 }}a-{{ $x }}"));
}

static void test_conditions(void **state)
{
	(void)state;
	EXPECT("yes[-no-]", render("on: true", "{{ if .Values.on }}yes{{ else }}no{{ end }}"));
	EXPECT("[-yes-]no", render("on: false", "{{ if .Values.on }}yes{{ else }}no{{ end }}"));
	EXPECT("[-a-]b[-c-]",
	       render("v: 2", "{{ if eq .Values.v 1.0 }}a{{ else if eq .Values.v 2.0 }}b{{ else }}c{{ end }}"));
	EXPECT("networking.k8s.io/v1[-extensions/v1beta1-]",
	       render(NULL, "{{ if .Capabilities.APIVersions.Has \"networking.k8s.io/v1\" }}networking.k8s.io/v1"
			    "{{ else }}extensions/v1beta1{{ end }}"));
	EXPECT("[-psp-]", render(NULL, "{{ if .Capabilities.APIVersions.Has \"policy/v1beta1/PodSecurityPolicy\" }}psp{{ end }}"));
	/* the pre-release trap: >=1.19 without -0 does not match a provider version */
	EXPECT("new", render_at("v1.25.0", NULL, NULL, "{{ if semverCompare \">=1.19\" .Capabilities.KubeVersion.GitVersion }}new{{ end }}"));
	EXPECT("[-new-]", render_at("v1.25.3-eks-1a2b3c", NULL, NULL,
				  "{{ if semverCompare \">=1.19\" .Capabilities.KubeVersion.GitVersion }}new{{ end }}"));
	EXPECT("new", render_at("v1.25.3-eks-1a2b3c", NULL, NULL,
				"{{ if semverCompare \">=1.19-0\" .Capabilities.KubeVersion.GitVersion }}new{{ end }}"));
	EXPECT("[-old-]", render(NULL, "{{- if semverCompare \"<1.25-0\" .Capabilities.KubeVersion.Version }}old{{ end }}"));
	EXPECT("ok", render("a: 1\nb: \"\"", "{{ if and .Values.a (not .Values.b) (empty .Values.c) }}ok{{ end }}"));
	EXPECT("ok", render("a: x", "{{ if or .Values.b .Values.a }}ok{{ end }}"));
	EXPECT("ok", render("m: {k: 1}", "{{ if hasKey .Values.m \"k\" }}ok{{ end }}"));
	/* unknown conditions: both branches, each guarded */
	EXPECT("[?a?][?b?]", render(NULL, "{{ if .Capabilities.APIVersions.Has \"x.k8s.io/v9\" }}a{{ else }}b{{ end }}"));
	/* and/or decide despite an unknown when a known operand decides */
	EXPECT("[-a-]", render(NULL, "{{ if and (lookup \"v1\" \"Pod\" \"\" \"\") false }}a{{ end }}"));
	EXPECT("a", render(NULL, "{{ if or (lookup \"v1\" \"Pod\" \"\" \"\") true }}a{{ end }}"));
}

static void test_helpers(void **state)
{
	static const char helpers[] =
		"{{- define \"c.kubeVersion\" -}}\n"
		"{{- default .Capabilities.KubeVersion.Version .Values.kubeVersion -}}\n"
		"{{- end -}}\n"
		"{{- define \"c.ingress.apiVersion\" -}}\n"
		"{{- if semverCompare \"<1.14-0\" (include \"c.kubeVersion\" .) -}}\n"
		"{{- print \"extensions/v1beta1\" -}}\n"
		"{{- else if semverCompare \"<1.19-0\" (include \"c.kubeVersion\" .) -}}\n"
		"{{- print \"networking.k8s.io/v1beta1\" -}}\n"
		"{{- else -}}\n"
		"{{- print \"networking.k8s.io/v1\" -}}\n"
		"{{- end -}}\n"
		"{{- end -}}\n"
		"{{- define \"c.args\" -}}{{ .a }}/{{ index . \"b\" }}{{- end -}}\n"
		"{{- define \"c.list\" -}}{{ index . 0 }}+{{ index . 1 }}{{- end -}}\n";
	(void)state;
	EXPECT("apiVersion: networking.k8s.io/v1",
	       render_at("v1.25.0", NULL, helpers, "apiVersion: {{ include \"c.ingress.apiVersion\" . }}"));
	EXPECT("apiVersion: networking.k8s.io/v1beta1",
	       render_at("v1.25.0", "kubeVersion: 1.16.0", helpers,
			 "apiVersion: {{ include \"c.ingress.apiVersion\" . }}"));
	/* a template action writes into the output: its untaken branch is a dead region */
	EXPECT("apiVersion: extensions/v1beta1[-networking.k8s.io/v1beta1-]",
	       render_at("v1.13.0", NULL, helpers, "apiVersion: {{ template \"c.ingress.apiVersion\" . }}"));
	EXPECT("x/y", render_at("v1.25.0", NULL, helpers, "{{ include \"c.args\" (dict \"a\" \"x\" \"b\" \"y\") }}"));
	EXPECT("1+2", render_at("v1.25.0", NULL, helpers, "{{ include \"c.list\" (list 1 2) }}"));
	EXPECT("<?no template \"nope\" associated with the chart>",
	       render_at("v1.25.0", NULL, helpers, "{{ include \"nope\" . }}"));
	EXPECT("[b]", render(NULL, "{{ block \"blk\" . }}[b]{{ end }}"));
}

static void test_range_with_vars(void **state)
{
	(void)state;
	EXPECT("a,b,", render("l: [a, b]", "{{ range .Values.l }}{{ . }},{{ end }}"));
	EXPECT("0=a 1=b ", render("l: [a, b]", "{{ range $i, $v := .Values.l }}{{ $i }}={{ $v }} {{ end }}"));
	EXPECT("x=1;y=2;", render("m: {y: 2, x: 1}", "{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}"));
	EXPECT("none", render("l: []", "{{ range .Values.l }}x{{ else }}none{{ end }}"));
	EXPECT("a", render("l: [a, b]", "{{ range .Values.l }}{{ . }}{{ break }}{{ end }}"));
	EXPECT("v1", render("s: {api: v1}", "{{ with .Values.s }}{{ .api }}{{ end }}"));
	EXPECT("[-x-]d", render(NULL, "{{ with .Values.s }}x{{ else }}d{{ end }}"));
	EXPECT("2", render(NULL, "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}"));
	EXPECT("root", render("n: root", "{{ range list 1 }}{{ $.Values.n }}{{ end }}"));
}

static void test_functions(void **state)
{
	(void)state;
	EXPECT("\"a\" 'b' A b", render(NULL, "{{ quote \"a\" }} {{ squote \"b\" }} {{ upper \"a\" }} {{ lower \"B\" }}"));
	EXPECT("ab|c|x", render(NULL, "{{ trim \"  ab \" }}|{{ trimSuffix \"-\" \"c-\" }}|{{ trimPrefix \"v\" \"vx\" }}"));
	EXPECT("a-b true true", render(NULL, "{{ replace \".\" \"-\" \"a.b\" }} {{ contains \"b\" \"abc\" }} {{ hasPrefix \"a\" \"abc\" }}"));
	EXPECT("x-1 x1", render(NULL, "{{ printf \"%s-%d\" \"x\" 1 }} {{ print \"x\" 1 }}"));
	EXPECT("\n    a: 1\n    b: x", render("m: {b: x, a: 1}", "{{ toYaml .Values.m | nindent 4 }}"));
	EXPECT("  - a\n  - b", render("l: [a, b]", "{{ toYaml .Values.l | indent 2 }}"));
	EXPECT("d v", render("v: v", "{{ default \"d\" .Values.x }} {{ default \"d\" .Values.v }}"));
	EXPECT("c", render("b: c", "{{ coalesce .Values.a .Values.b \"z\" }}"));
	EXPECT("yes", render(NULL, "{{ ternary \"yes\" \"no\" true }}"));
	EXPECT("v", render("m: {k: v}", "{{ get .Values.m \"k\" }}"));
	EXPECT("v1", render("s: api", "{{ tpl \"{{ if eq .Values.s \\\"api\\\" }}v1{{ end }}\" . }}"));
	EXPECT("<?required value missing: need x>", render(NULL, "{{ required \"need x\" .Values.x }}"));
	EXPECT("<?function sha256sum is not evaluated>", render(NULL, "{{ sha256sum \"x\" }}"));
	EXPECT("<?.Files>", render(NULL, "{{ .Files.Get \"x\" }}"));
	EXPECT("true false", render(NULL, "{{ lt 1 2 }} {{ ge \"a\" \"b\" }}"));
	EXPECT("3", render("l: [a, b, c]", "{{ len .Values.l }}"));
}

static void test_errors(void **state)
{
	(void)state;
	EXPECT("ERROR 2:1 unexpected EOF: if has no end", render(NULL, "x\n{{ if true }}a"));
	EXPECT("ERROR 1:1 unexpected {{end}}", render(NULL, "{{ end }}"));
	EXPECT("ERROR 1:4 unterminated quoted string", render(NULL, "{{ \"abc }}"));
	EXPECT("ERROR 1:1 unclosed action", render(NULL, "{{ x"));
}

/* Every range iteration is a step; a range over more integers than the steps
 * left is refused before its first iteration (not after millions of them). */
static void test_budget(void **state)
{
	(void)state;
	EXPECT("OK: 0,1,2,", budget("{{ range 3 }}{{ . }},{{ end }}"));
	EXPECT("OK: xx", budget("{{ range 2.5 }}x{{ end }}"));
	EXPECT("OK: none", budget("{{ range 0 }}x{{ else }}none{{ end }}"));
	EXPECT("OK: none", budget("{{ range -5 }}x{{ else }}none{{ end }}"));
	/* past the old silent cap of 100000 iterations: all of them */
	EXPECT("OK: 149999", budget("{{ $n := 0 }}{{ range 150000 }}{{ $n = . }}{{ end }}{{ $n }}"));
	EXPECT("site=4: range over 100000000 iterations: more than the 3999997 evaluation steps left of 4000000",
	       budget("abc\n{{ range 100000000 }}x{{ end }}"));
	EXPECT("site=0: range over 1e+300 iterations: more than the 3999998 evaluation steps left of 4000000",
	       budget("{{ range 1e300 }}x{{ end }}"));
	/* nested: the outer range fits, the inner ones together do not */
	EXPECT("site=16: the template needs more than 4000000 evaluation steps",
	       budget("{{ range 3000 }}{{ range 3000 }}{{ end }}{{ end }}"));
	EXPECT("site=13: range over 9223372036854775807 iterations: more than the 3999995 evaluation steps left of 4000000",
	       budget("{{ range 3 }}{{ range 9223372036854775807 }}{{ range 9223372036854775807 }}{{ end }}{{ end }}{{ end }}"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_and_trim),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_range_with_vars),
		cmocka_unit_test(test_functions),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
