/*
 * test_report.c - the renderers: golden files for every format, and checks
 * that the machine formats parse (json-c for JSON and SARIF, libyaml for
 * YAML, a small CSV reader, a small XML well-formedness checker).
 *
 * KUP_UPDATE_GOLDEN=1 rewrites the golden files in tests/data/report/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json.h>
#include <yaml.h>

#include "kupgrade/report.h"

/* ---- the fixture ---------------------------------------------------------- */

/* The facts below are illustrative: they exercise the renderers, they are not KB data. */

#define NASTY_NAME "odd,\"name\"<&>\n\xc3\xa9\xe2\x98\x83"

static struct kup_finding fx[6];
static const struct kup_finding *fxp[6];
static struct kup_error fx_err[2];

static void fixture_init(void)
{
	memset(fx, 0, sizeof(fx));

	/* 0: a file, removed, everything set */
	fx[0].status = KUP_FIND_REMOVED;
	fx[0].component = "kubernetes";
	fx[0].rule_id = "kubernetes/extensions/v1beta1/Ingress";
	fx[0].kind = "Ingress";
	fx[0].api_version = "extensions/v1beta1";
	fx[0].name = "web";
	fx[0].namespace_ = "shop";
	fx[0].deprecated_in = "1.14";
	fx[0].removed_in = "1.22";
	fx[0].replacement = "networking.k8s.io/v1";
	fx[0].replacement_available_in = "1.19";
	fx[0].message = "Ingress shop/web uses extensions/v1beta1, removed in 1.22";
	fx[0].notes = "spec.backend is now spec.defaultBackend;\nserviceName/servicePort moved";
	fx[0].source_url = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/";
	fx[0].src = (struct kup_source){ .type = KUP_SRC_FILE, .path = "manifests/app.yaml",
					 .line = 12, .column = 1 };

	/* 1: a Helm release, deprecated, cluster-scoped (no namespace) */
	fx[1].status = KUP_FIND_DEPRECATED;
	fx[1].component = "kubernetes";
	fx[1].rule_id = "kubernetes/flowcontrol.apiserver.k8s.io/v1beta3/FlowSchema";
	fx[1].kind = "FlowSchema";
	fx[1].api_version = "flowcontrol.apiserver.k8s.io/v1beta3";
	fx[1].name = "catch-all";
	fx[1].deprecated_in = "1.29";
	fx[1].removed_in = "1.32";
	fx[1].replacement = "flowcontrol.apiserver.k8s.io/v1";
	fx[1].replacement_available_in = "1.29";
	fx[1].src = (struct kup_source){ .type = KUP_SRC_HELM_RELEASE,
					 .path = "releases/sh.helm.release.v1.shop.v3.yaml",
					 .line = 40, .column = 1, .release = "shop", .revision = 3,
					 .chart = "shop-1.2.0" };

	/* 2: last-applied, removed, a name that needs escaping everywhere, no replacement */
	fx[2].status = KUP_FIND_REMOVED;
	fx[2].component = "kubernetes";
	fx[2].rule_id = "kubernetes/policy/v1beta1/PodSecurityPolicy";
	fx[2].kind = "PodSecurityPolicy";
	fx[2].api_version = "policy/v1beta1";
	fx[2].name = NASTY_NAME;
	fx[2].namespace_ = "kube-system";
	fx[2].deprecated_in = "1.21";
	fx[2].removed_in = "1.25";
	fx[2].message = "PodSecurityPolicy \"odd\" | has no replacement; use Pod Security Admission";
	fx[2].src = (struct kup_source){ .type = KUP_SRC_LAST_APPLIED, .path = "dump.json",
					 .line = 5, .column = 0,
					 .object = "PodSecurityPolicy odd (served as policy/v1beta1)" };

	/* 3: managed fields, deprecated, replacement of another kind, path with a space */
	fx[3].status = KUP_FIND_OPT_IN_DEPRECATED;
	fx[3].component = "kubernetes";
	fx[3].rule_id = "kubernetes/autoscaling/v2beta2/HorizontalPodAutoscaler";
	fx[3].kind = "HorizontalPodAutoscaler";
	fx[3].api_version = "autoscaling/v2beta2";
	fx[3].name = "api";
	fx[3].namespace_ = "shop";
	fx[3].deprecated_in = "1.23";
	fx[3].replacement = "autoscaling/v2";
	fx[3].replacement_kind = "Scaler";
	fx[3].src = (struct kup_source){ .type = KUP_SRC_MANAGED_FIELDS, .path = "my dir/dump 2.json",
					 .line = 77, .column = 3, .manager = "kubectl-client-side-apply" };

	/* 4: a chart template with a templated apiVersion: undecided, no rule id, no name */
	fx[4].status = KUP_FIND_UNDECIDED;
	fx[4].component = "kubernetes";
	fx[4].kind = "Ingress";
	fx[4].api_version = "{{ .Values.ingress.apiVersion }}";
	fx[4].src = (struct kup_source){ .type = KUP_SRC_CHART_TEMPLATE,
					 .path = "charts/web/templates/ingress.yaml", .line = 3,
					 .column = 14, .chart = "web-0.1.0" };

	/* 5: a CRD-declared version, removed, no rule, no rule id, unknown line */
	fx[5].status = KUP_FIND_REMOVED;
	fx[5].component = "cert-manager.io";
	fx[5].kind = "Certificate";
	fx[5].api_version = "cert-manager.io/v1alpha2";
	fx[5].name = "tls";
	fx[5].namespace_ = "shop";
	fx[5].replacement = "cert-manager.io/v1";
	fx[5].src = (struct kup_source){ .type = KUP_SRC_FILE, .path = "/abs/crs.yaml" };

	for (size_t i = 0; i < 6; i++)
		fxp[i] = &fx[i];

	memset(fx_err, 0, sizeof(fx_err));
	fx_err[0] = (struct kup_error){ KUP_PARSE, (char *)"bad.yaml", 4, 9, NULL,
					(char *)"unclosed flow sequence" };
	fx_err[1] = (struct kup_error){ KUP_IO, (char *)"gone & <lost>.yaml", 0, 0,
					(char *)"Deployment a/b", (char *)"cannot open: \"no such file\"" };
}

static struct kup_report full_report(void)
{
	struct kup_report r;

	fixture_init();
	memset(&r, 0, sizeof(r));
	r.target_version = "1.32";
	r.findings = fxp;
	r.nfindings = 6;
	r.errors = fx_err;
	r.nerrors = 2;
	r.summary = (struct kup_report_summary){ .files = 4, .objects = 9, .removed = 3,
						 .deprecated = 2, .errors = 2 };
	r.tool_version = "0.1.0";
	return r;
}

static struct kup_report empty_report(void)
{
	struct kup_report r;

	memset(&r, 0, sizeof(r));
	r.target_version = "1.32";
	r.summary = (struct kup_report_summary){ .files = 1, .objects = 1 };
	r.tool_version = "0.1.0";
	return r;
}

static char *render(enum kup_format fmt, const struct kup_report *r)
{
	struct kup_buf b = KUP_BUF_INIT;

	kup_buf_init(&b);
	assert_int_equal(kup_report_render(fmt, r, &b), KUP_OK);
	assert_false(b.oom);
	assert_int_equal(strlen(b.buf), b.len); /* no NUL inside */
	return kup_buf_detach(&b, NULL);
}

/* ---- golden files ------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void check_golden(const char *name, const char *got)
{
	char path[512];
	char *want;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/report/%s.golden", KUP_TEST_DATA, name);
	if (getenv("KUP_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		fwrite(got, 1, strlen(got), f);
		fclose(f);
	}
	want = slurp(path, &len);
	if (!want)
		fail_msg("missing golden file %s (run with KUP_UPDATE_GOLDEN=1)", path);
	if (len != strlen(got) || memcmp(want, got, len)) {
		char apath[600];
		FILE *f;

		snprintf(apath, sizeof(apath), "%s.actual", name);
		f = fopen(apath, "wb");
		if (f) {
			fwrite(got, 1, strlen(got), f);
			fclose(f);
		}
		free(want);
		fail_msg("%s differs from %s (actual output written to %s)", name, path, apath);
	}
	free(want);
}

static const struct {
	const char *name;
	enum kup_format fmt;
} fmts[] = {
	{ "table", KUP_FMT_TABLE }, { "json", KUP_FMT_JSON },
	{ "yaml", KUP_FMT_YAML },   { "csv", KUP_FMT_CSV },
	{ "markdown", KUP_FMT_MARKDOWN }, { "sarif", KUP_FMT_SARIF },
	{ "junit", KUP_FMT_JUNIT },   { "html", KUP_FMT_HTML },
};

static void test_golden_full(void **state)
{
	struct kup_report r = full_report();
	char name[64];

	(void)state;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		char *out = render(fmts[i].fmt, &r);

		snprintf(name, sizeof(name), "full.%s", fmts[i].name);
		check_golden(name, out);
		free(out);
	}
	r.color = true;
	{
		char *out = render(KUP_FMT_TABLE, &r);

		check_golden("full.table-color", out);
		free(out);
	}
}

static void test_golden_empty(void **state)
{
	struct kup_report r = empty_report();
	char name[64];

	(void)state;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		char *out = render(fmts[i].fmt, &r);

		snprintf(name, sizeof(name), "empty.%s", fmts[i].name);
		check_golden(name, out);
		free(out);
	}
}

/* ---- formats and escaping ----------------------------------------------------- */

static void test_format_parse(void **state)
{
	enum kup_format f = KUP_FMT_TABLE;

	(void)state;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		assert_true(kup_format_parse(fmts[i].name, &f));
		assert_int_equal(f, fmts[i].fmt);
	}
	f = KUP_FMT_CSV;
	assert_false(kup_format_parse("xml", &f));
	assert_false(kup_format_parse("", &f));
	assert_false(kup_format_parse("JSON", &f));
	assert_false(kup_format_parse("json ", &f));
	assert_false(kup_format_parse(NULL, &f));
	assert_int_equal(f, KUP_FMT_CSV); /* untouched on failure */
}

static char *esc(void (*fn)(struct kup_buf *, const char *), const char *s)
{
	struct kup_buf b = KUP_BUF_INIT;

	kup_buf_init(&b);
	fn(&b, s);
	return kup_buf_detach(&b, NULL);
}

#define ASSERT_ESC(fn, in, want)                  \
	do {                                      \
		char *got_ = esc(fn, in);         \
		assert_string_equal(got_, want);  \
		free(got_);                       \
	} while (0)

static void test_json_escape(void **state)
{
	(void)state;
	ASSERT_ESC(kup_json_escape, NULL, "");
	ASSERT_ESC(kup_json_escape, "", "");
	ASSERT_ESC(kup_json_escape, "plain", "plain");
	ASSERT_ESC(kup_json_escape, "a\"b\\c", "a\\\"b\\\\c");
	ASSERT_ESC(kup_json_escape, "\n\r\t\b\f", "\\n\\r\\t\\b\\f");
	ASSERT_ESC(kup_json_escape, "\x01\x1f\x7f", "\\u0001\\u001f\\u007f");
	ASSERT_ESC(kup_json_escape, "caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x9a\x80", "caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x9a\x80");
	/* C1 control, line separator, BOM: escaped (not printable in YAML / break JS) */
	ASSERT_ESC(kup_json_escape, "\xc2\x85|\xe2\x80\xa8|\xef\xbb\xbf", "\\u0085|\\u2028|\\ufeff");
	/* invalid UTF-8: lone continuation, overlong, surrogate, truncated */
	ASSERT_ESC(kup_json_escape, "a\x80z", "a\xef\xbf\xbdz");
	ASSERT_ESC(kup_json_escape, "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");
	ASSERT_ESC(kup_json_escape, "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ASSERT_ESC(kup_json_escape, "x\xe2\x98", "x\xef\xbf\xbd\xef\xbf\xbd");
	ASSERT_ESC(kup_json_escape, "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_xml_escape(void **state)
{
	(void)state;
	ASSERT_ESC(kup_xml_escape, NULL, "");
	ASSERT_ESC(kup_xml_escape, "a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c&apos;");
	ASSERT_ESC(kup_xml_escape, "l1\nl2\r\t", "l1&#10;l2&#13;&#9;");
	/* characters XML 1.0 cannot carry at all */
	ASSERT_ESC(kup_xml_escape, "\x01x\x1b", "\xef\xbf\xbdx\xef\xbf\xbd");
	ASSERT_ESC(kup_xml_escape, "\xef\xbf\xbe", "\xef\xbf\xbd");
	ASSERT_ESC(kup_xml_escape, "\xff", "\xef\xbf\xbd");
	ASSERT_ESC(kup_xml_escape, "caf\xc3\xa9 \xf0\x9f\x9a\x80", "caf\xc3\xa9 \xf0\x9f\x9a\x80");
}

static void test_csv_field(void **state)
{
	(void)state;
	ASSERT_ESC(kup_csv_field, NULL, "");
	ASSERT_ESC(kup_csv_field, "", "");
	ASSERT_ESC(kup_csv_field, "plain text", "plain text");
	ASSERT_ESC(kup_csv_field, "a,b", "\"a,b\"");
	ASSERT_ESC(kup_csv_field, "say \"hi\"", "\"say \"\"hi\"\"\"");
	ASSERT_ESC(kup_csv_field, "\"", "\"\"\"\"");
	/* control characters are escaped, never written raw (a spreadsheet would act on them) */
	ASSERT_ESC(kup_csv_field, "l1\nl2", "l1\\nl2");
	ASSERT_ESC(kup_csv_field, "cr\r", "cr\\r");
	ASSERT_ESC(kup_csv_field, "esc\033[31m", "esc\\x1b[31m");
	ASSERT_ESC(kup_csv_field, "tab\t,", "\"tab\\t,\"");
	/* OWASP CSV injection: formulas quoted with a leading ' */
	ASSERT_ESC(kup_csv_field, "=1+2", "\"'=1+2\"");
	ASSERT_ESC(kup_csv_field, "+1", "\"'+1\"");
	ASSERT_ESC(kup_csv_field, "-1", "\"'-1\"");
	ASSERT_ESC(kup_csv_field, "@SUM(A1)", "\"'@SUM(A1)\"");
	ASSERT_ESC(kup_csv_field, "=\"x\"", "\"'=\"\"x\"\"\"");
	ASSERT_ESC(kup_csv_field, "-", "-");        /* standard input, as a path */
	ASSERT_ESC(kup_csv_field, "a=b", "a=b");
}

/* ---- JSON ------------------------------------------------------------------------ */

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("missing key '%s'", key);
	return v;
}

static bool has(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

static const char *getstr(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static bool isnull(json_object *o, const char *key)
{
	return json_object_is_type(get(o, key), json_type_null);
}

static json_object *parse_json(const char *text)
{
	enum json_tokener_error jerr;
	json_object *o = json_tokener_parse_verbose(text, &jerr);

	if (!o)
		fail_msg("output is not JSON: %s", json_tokener_error_desc(jerr));
	return o;
}

static void test_json_contract(void **state)
{
	struct kup_report r = full_report();
	static const char *const required[] = {
		"status", "kind", "api_version", "name", "namespace", "deprecated_in",
		"removed_in", "replacement", "source",
	};
	char *out = render(KUP_FMT_JSON, &r);
	json_object *doc = parse_json(out), *fs, *f, *src, *errs, *sum;

	(void)state;
	assert_int_equal(json_object_get_int(get(doc, "schema_version")), 1);
	assert_string_equal(getstr(doc, "target_version"), "1.32");
	fs = get(doc, "findings");
	assert_int_equal(json_object_array_length(fs), 6);
	for (size_t i = 0; i < 6; i++) {
		f = json_object_array_get_idx(fs, i);
		for (size_t k = 0; k < sizeof(required) / sizeof(required[0]); k++)
			assert_true(has(f, required[k]));
		src = get(f, "source");
		assert_true(has(src, "type") && has(src, "path") && has(src, "line") &&
			    has(src, "column"));
		assert_string_equal(getstr(f, "kind"), fx[i].kind);
	}

	f = json_object_array_get_idx(fs, 0);
	assert_string_equal(getstr(f, "status"), "removed");
	assert_string_equal(getstr(f, "api_version"), "extensions/v1beta1");
	assert_string_equal(getstr(f, "namespace"), "shop");
	assert_string_equal(getstr(f, "deprecated_in"), "1.14");
	assert_string_equal(getstr(f, "removed_in"), "1.22");
	assert_string_equal(getstr(f, "replacement"), "networking.k8s.io/v1");
	assert_string_equal(getstr(f, "notes"), fx[0].notes);
	assert_false(has(f, "replacement_kind"));
	assert_false(has(f, "object"));
	src = get(f, "source");
	assert_string_equal(getstr(src, "type"), "file");
	assert_string_equal(getstr(src, "path"), "manifests/app.yaml");
	assert_int_equal(json_object_get_int(get(src, "line")), 12);
	assert_int_equal(json_object_get_int(get(src, "column")), 1);
	assert_false(has(src, "release") || has(src, "revision") || has(src, "chart") ||
		     has(src, "manager"));

	/* the helm release: no namespace, release fields */
	f = json_object_array_get_idx(fs, 1);
	assert_string_equal(getstr(f, "status"), "deprecated");
	assert_true(isnull(f, "namespace"));
	src = get(f, "source");
	assert_string_equal(getstr(src, "type"), "helm-release");
	assert_string_equal(getstr(src, "release"), "shop");
	assert_int_equal(json_object_get_int64(get(src, "revision")), 3);
	assert_string_equal(getstr(src, "chart"), "shop-1.2.0");

	/* escaping round trip, null replacement, column 0 as null, object */
	f = json_object_array_get_idx(fs, 2);
	assert_string_equal(getstr(f, "name"), NASTY_NAME);
	assert_true(isnull(f, "replacement"));
	assert_string_equal(getstr(f, "message"), fx[2].message);
	assert_string_equal(getstr(f, "object"), fx[2].src.object);
	src = get(f, "source");
	assert_string_equal(getstr(src, "type"), "last-applied");
	assert_true(isnull(src, "column"));

	f = json_object_array_get_idx(fs, 3);
	assert_string_equal(getstr(f, "status"), "opt-in-deprecated");
	assert_string_equal(getstr(f, "replacement_kind"), "Scaler");
	assert_true(isnull(f, "removed_in"));
	assert_string_equal(getstr(get(f, "source"), "manager"), "kubectl-client-side-apply");

	f = json_object_array_get_idx(fs, 4);
	assert_string_equal(getstr(f, "status"), "undecided");
	assert_true(isnull(f, "name"));
	assert_true(isnull(f, "rule_id"));
	assert_string_equal(getstr(get(f, "source"), "type"), "chart-template");
	assert_string_equal(getstr(get(f, "source"), "chart"), "web-0.1.0");

	f = json_object_array_get_idx(fs, 5);
	src = get(f, "source");
	assert_true(isnull(src, "line"));
	assert_true(isnull(src, "column"));

	errs = get(doc, "errors");
	assert_int_equal(json_object_array_length(errs), 2);
	f = json_object_array_get_idx(errs, 0);
	assert_string_equal(getstr(f, "path"), "bad.yaml");
	assert_int_equal(json_object_get_int(get(f, "line")), 4);
	assert_int_equal(json_object_get_int(get(f, "column")), 9);
	assert_string_equal(getstr(f, "message"), "unclosed flow sequence");
	assert_false(has(f, "object"));
	f = json_object_array_get_idx(errs, 1);
	assert_true(isnull(f, "line"));
	assert_string_equal(getstr(f, "object"), "Deployment a/b");
	assert_string_equal(getstr(f, "message"), "cannot open: \"no such file\"");

	sum = get(doc, "summary");
	assert_int_equal(json_object_get_int(get(sum, "files")), 4);
	assert_int_equal(json_object_get_int(get(sum, "objects")), 9);
	assert_int_equal(json_object_get_int(get(sum, "removed")), 3);
	assert_int_equal(json_object_get_int(get(sum, "deprecated")), 2);
	assert_int_equal(json_object_get_int(get(sum, "errors")), 2);

	json_object_put(doc);
	free(out);
}

static void test_json_empty_and_nulls(void **state)
{
	struct kup_report r = empty_report();
	char *out;
	json_object *doc;

	(void)state;
	r.target_version = NULL;
	out = render(KUP_FMT_JSON, &r);
	doc = parse_json(out);
	assert_true(isnull(doc, "target_version"));
	assert_int_equal(json_object_array_length(get(doc, "findings")), 0);
	assert_int_equal(json_object_array_length(get(doc, "errors")), 0);
	assert_non_null(strstr(out, "\"findings\": []"));
	json_object_put(doc);
	free(out);
}

/* ---- YAML ------------------------------------------------------------------------- */

static const yaml_node_t *ymap(yaml_document_t *d, const yaml_node_t *m, const char *key)
{
	assert_int_equal(m->type, YAML_MAPPING_NODE);
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, p->value);
	}
	fail_msg("missing key '%s'", key);
	return NULL;
}

static const yaml_node_t *yidx(yaml_document_t *d, const yaml_node_t *s, size_t i)
{
	assert_int_equal(s->type, YAML_SEQUENCE_NODE);
	assert_true(i < (size_t)(s->data.sequence.items.top - s->data.sequence.items.start));
	return yaml_document_get_node(d, s->data.sequence.items.start[i]);
}

static const char *yscalar(const yaml_node_t *n)
{
	assert_int_equal(n->type, YAML_SCALAR_NODE);
	return (const char *)n->data.scalar.value;
}

static size_t ylen(const yaml_node_t *s)
{
	assert_int_equal(s->type, YAML_SEQUENCE_NODE);
	return (size_t)(s->data.sequence.items.top - s->data.sequence.items.start);
}

static void load_yaml(const char *text, yaml_document_t *doc)
{
	yaml_parser_t p;

	assert_true(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	if (!yaml_parser_load(&p, doc))
		fail_msg("output is not YAML: %s at line %zu", p.problem ? p.problem : "?",
			 p.problem_mark.line + 1);
	yaml_parser_delete(&p);
	assert_non_null(yaml_document_get_root_node(doc));
}

static void test_yaml_roundtrip(void **state)
{
	struct kup_report r = full_report();
	char *out = render(KUP_FMT_YAML, &r);
	yaml_document_t doc;
	const yaml_node_t *root, *fs, *f, *src;

	(void)state;
	load_yaml(out, &doc);
	root = yaml_document_get_root_node(&doc);
	assert_string_equal(yscalar(ymap(&doc, root, "schema_version")), "1");
	assert_string_equal(yscalar(ymap(&doc, root, "target_version")), "1.32");
	/* strings are quoted, so "1.32" stays a string for YAML 1.1 readers */
	assert_int_equal(ymap(&doc, root, "target_version")->data.scalar.style,
			 YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	fs = ymap(&doc, root, "findings");
	assert_int_equal(ylen(fs), 6);
	f = yidx(&doc, fs, 2);
	assert_string_equal(yscalar(ymap(&doc, f, "name")), NASTY_NAME);
	assert_string_equal(yscalar(ymap(&doc, f, "notes")), "null");
	assert_int_equal(ymap(&doc, f, "notes")->data.scalar.style, YAML_PLAIN_SCALAR_STYLE);
	f = yidx(&doc, fs, 0);
	assert_string_equal(yscalar(ymap(&doc, f, "notes")), fx[0].notes);
	f = yidx(&doc, fs, 1);
	src = ymap(&doc, f, "source");
	assert_string_equal(yscalar(ymap(&doc, src, "release")), "shop");
	assert_string_equal(yscalar(ymap(&doc, src, "revision")), "3");
	assert_int_equal(ylen(ymap(&doc, root, "errors")), 2);
	assert_string_equal(yscalar(ymap(&doc, yidx(&doc, ymap(&doc, root, "errors"), 1), "path")),
			    "gone & <lost>.yaml");
	assert_string_equal(yscalar(ymap(&doc, ymap(&doc, root, "summary"), "removed")), "3");
	yaml_document_delete(&doc);
	free(out);

	/* empty containers */
	r = empty_report();
	out = render(KUP_FMT_YAML, &r);
	assert_non_null(strstr(out, "findings: []\n"));
	assert_non_null(strstr(out, "errors: []\n"));
	load_yaml(out, &doc);
	assert_int_equal(ylen(ymap(&doc, yaml_document_get_root_node(&doc), "findings")), 0);
	yaml_document_delete(&doc);
	free(out);
}

/* ---- SARIF ------------------------------------------------------------------------ */

static json_object *idx(json_object *a, size_t i)
{
	assert_true(json_object_is_type(a, json_type_array));
	assert_true(i < json_object_array_length(a));
	return json_object_array_get_idx(a, i);
}

static void check_sarif_results(json_object *run)
{
	json_object *rules = get(get(get(run, "tool"), "driver"), "rules");
	json_object *results = get(run, "results");
	static const char *const levels[6] = { "error", "warning", "error", "warning", "note", "error" };

	assert_int_equal(json_object_array_length(results), 6);
	for (size_t i = 0; i < 6; i++) {
		json_object *res = idx(results, i), *rule, *loc;
		size_t ri = (size_t)json_object_get_int(get(res, "ruleIndex"));

		rule = idx(rules, ri);
		assert_string_equal(getstr(rule, "id"), getstr(res, "ruleId"));
		assert_string_equal(getstr(res, "level"), levels[i]);
		assert_true(strlen(getstr(get(res, "message"), "text")) > 0);
		assert_true(has(get(rule, "shortDescription"), "text"));
		loc = get(idx(get(res, "locations"), 0), "physicalLocation");
		assert_true(has(get(loc, "artifactLocation"), "uri"));
	}
}

static void test_sarif(void **state)
{
	struct kup_report r = full_report();
	char *out = render(KUP_FMT_SARIF, &r);
	json_object *doc = parse_json(out), *run, *rules, *res, *loc, *al, *inv, *notes;

	(void)state;
	assert_string_equal(getstr(doc, "version"), "2.1.0");
	assert_string_equal(getstr(doc, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json");
	assert_int_equal(json_object_array_length(get(doc, "runs")), 1);
	run = idx(get(doc, "runs"), 0);
	assert_string_equal(getstr(get(get(run, "tool"), "driver"), "name"), "kupgrade");
	assert_string_equal(getstr(get(get(run, "tool"), "driver"), "version"), "0.1.0");
	check_sarif_results(run);

	/* no KB: the rules are exactly those the findings use, each once */
	rules = get(get(get(run, "tool"), "driver"), "rules");
	assert_int_equal(json_object_array_length(rules), 6);
	assert_string_equal(getstr(idx(rules, 0), "id"), "kubernetes/extensions/v1beta1/Ingress");
	assert_string_equal(getstr(idx(rules, 4), "id"), "undecided-template");
	assert_string_equal(getstr(idx(rules, 5), "id"), "crd-removed-version");
	assert_string_equal(getstr(get(idx(rules, 5), "defaultConfiguration"), "level"), "error");
	assert_string_equal(getstr(idx(rules, 4), "name"), "UndecidedTemplate");

	/* a file finding: relative uri, region */
	res = idx(get(run, "results"), 0);
	loc = get(idx(get(res, "locations"), 0), "physicalLocation");
	al = get(loc, "artifactLocation");
	assert_string_equal(getstr(al, "uri"), "manifests/app.yaml");
	assert_string_equal(getstr(al, "uriBaseId"), "%SRCROOT%");
	assert_int_equal(json_object_get_int(get(get(loc, "region"), "startLine")), 12);
	assert_int_equal(json_object_get_int(get(get(loc, "region"), "startColumn")), 1);

	/* the helm release: the file, no region, a logical location naming the release */
	res = idx(get(run, "results"), 1);
	loc = idx(get(res, "locations"), 0);
	assert_false(has(get(loc, "physicalLocation"), "region"));
	assert_string_equal(getstr(idx(get(loc, "logicalLocations"), 0), "name"), "shop");
	assert_string_equal(getstr(idx(get(loc, "logicalLocations"), 0), "fullyQualifiedName"),
			    "helm-release/shop@3");
	assert_int_equal(json_object_get_int(get(get(res, "properties"), "manifestLine")), 40);

	/* a path with spaces is percent-encoded; column 0 leaves startColumn out */
	res = idx(get(run, "results"), 2);
	loc = get(idx(get(res, "locations"), 0), "physicalLocation");
	assert_false(has(get(loc, "region"), "startColumn"));
	res = idx(get(run, "results"), 3);
	al = get(get(idx(get(res, "locations"), 0), "physicalLocation"), "artifactLocation");
	assert_string_equal(getstr(al, "uri"), "my%20dir/dump%202.json");

	/* an absolute path: a file URI, no base, no region (line 0) */
	res = idx(get(run, "results"), 5);
	loc = get(idx(get(res, "locations"), 0), "physicalLocation");
	assert_string_equal(getstr(get(loc, "artifactLocation"), "uri"), "file:///abs/crs.yaml");
	assert_false(has(get(loc, "artifactLocation"), "uriBaseId"));
	assert_false(has(loc, "region"));

	/* errors: notifications, unsuccessful */
	inv = idx(get(run, "invocations"), 0);
	assert_false(json_object_get_boolean(get(inv, "executionSuccessful")));
	notes = get(inv, "toolExecutionNotifications");
	assert_int_equal(json_object_array_length(notes), 2);
	assert_string_equal(getstr(idx(notes, 0), "level"), "error");
	assert_string_equal(getstr(get(idx(notes, 0), "message"), "text"), "unclosed flow sequence");
	assert_string_equal(getstr(get(get(idx(get(idx(notes, 1), "locations"), 0),
						   "physicalLocation"), "artifactLocation"), "uri"),
			    "gone%20&%20%3Clost%3E.yaml");
	json_object_put(doc);
	free(out);

	/* without errors the invocation succeeded and carries no notifications */
	r.nerrors = 0;
	out = render(KUP_FMT_SARIF, &r);
	doc = parse_json(out);
	inv = idx(get(idx(get(doc, "runs"), 0), "invocations"), 0);
	assert_true(json_object_get_boolean(get(inv, "executionSuccessful")));
	assert_false(has(inv, "toolExecutionNotifications"));
	json_object_put(doc);
	free(out);
}

static void test_sarif_kb(void **state)
{
	struct kup_report r = full_report();
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_kb *kb = NULL;
	json_object *doc, *run, *rules;
	size_t n, i, extra = 0;
	char *out;

	(void)state;
	if (kup_kb_load_embedded(&kb, &err) != KUP_OK) {
		kup_error_release(&err);
		skip();
	}
	n = kup_kb_api_count(kb);
	assert_true(n > 0);
	r.kb = kb;
	out = render(KUP_FMT_SARIF, &r);
	doc = parse_json(out);
	run = idx(get(doc, "runs"), 0);
	rules = get(get(get(run, "tool"), "driver"), "rules");
	/* one rule per KB row, in KB order, then the ids only findings use */
	for (i = 0; i < n; i++) {
		json_object *rule = idx(rules, i);
		const struct kup_api_rule *kr = kup_kb_api_at(kb, i);
		const char *level = getstr(get(rule, "defaultConfiguration"), "level");

		assert_string_equal(getstr(rule, "id"), kr->id);
		assert_true(!strcmp(level, "error") || !strcmp(level, "warning") || !strcmp(level, "note"));
		if (kr->removed_in.valid && kr->level == KUP_LEVEL_BUILTIN)
			assert_string_equal(level, "error");
	}
	for (i = 0; i < 6; i++) {
		const char *id = fx[i].rule_id;

		if (!id || !kup_kb_find_api(kb, fx[i].api_version, strlen(fx[i].api_version),
					     fx[i].kind, strlen(fx[i].kind)))
			extra++;
	}
	assert_true(json_object_array_length(rules) >= n + 2);
	assert_true(json_object_array_length(rules) <= n + extra);
	check_sarif_results(run);
	json_object_put(doc);
	free(out);
	kup_kb_free(kb);
}

/* ---- CSV ---------------------------------------------------------------------------- */

/* A strict RFC 4180 reader: returns records of fields (NUL-separated, counted). */
struct csv_rec {
	char *f[32];
	size_t n;
};

static size_t csv_parse(const char *s, struct csv_rec *recs, size_t max)
{
	size_t nr = 0;

	while (*s && nr < max) {
		struct csv_rec *r = &recs[nr++];

		r->n = 0;
		for (;;) {
			struct kup_buf b = KUP_BUF_INIT;

			kup_buf_init(&b);
			if (*s == '"') {
				s++;
				for (;;) {
					assert_true(*s != '\0'); /* unterminated quote */
					if (s[0] == '"' && s[1] == '"') {
						kup_buf_addc(&b, '"');
						s += 2;
					} else if (*s == '"') {
						s++;
						break;
					} else {
						kup_buf_addc(&b, *s++);
					}
				}
			} else {
				while (*s && *s != ',' && *s != '\r' && *s != '\n') {
					assert_true(*s != '"'); /* bare quote in an unquoted field */
					kup_buf_addc(&b, *s++);
				}
			}
			assert_true(r->n < 32);
			r->f[r->n++] = kup_buf_detach(&b, NULL);
			if (*s == ',') {
				s++;
				continue;
			}
			assert_true(s[0] == '\r' && s[1] == '\n'); /* CRLF after every record */
			s += 2;
			break;
		}
	}
	return nr;
}

static void test_csv(void **state)
{
	struct kup_report r = full_report();
	char *out = render(KUP_FMT_CSV, &r);
	struct csv_rec recs[16];
	size_t n = csv_parse(out, recs, 16);

	(void)state;
	assert_int_equal(n, 7); /* header + 6, errors are not rows */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(recs[i].n, 16);
	assert_string_equal(recs[0].f[0], "status");
	assert_string_equal(recs[0].f[15], "manager");
	assert_string_equal(recs[1].f[10], "12");
	assert_string_equal(recs[2].f[8], "helm-release");
	assert_string_equal(recs[2].f[4], ""); /* no namespace */
	assert_string_equal(recs[2].f[12], "shop");
	assert_string_equal(recs[2].f[13], "3");
	assert_string_equal(recs[3].f[3], "odd,\"name\"<&>\\n\xc3\xa9\xe2\x98\x83");   /* NASTY_NAME, LF escaped */
	assert_string_equal(recs[3].f[11], ""); /* column 0 */
	assert_string_equal(recs[4].f[15], "kubectl-client-side-apply");
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < recs[i].n; j++)
			free(recs[i].f[j]);
	free(out);
}

/* ---- table and markdown ------------------------------------------------------------- */

static char *strip_sgr(const char *s)
{
	struct kup_buf b = KUP_BUF_INIT;

	kup_buf_init(&b);
	while (*s) {
		if (s[0] == '\033' && s[1] == '[') {
			s += 2;
			while (*s && *s != 'm')
				s++;
			if (*s)
				s++;
			continue;
		}
		kup_buf_addc(&b, *s++);
	}
	return kup_buf_detach(&b, NULL);
}

static void test_table(void **state)
{
	struct kup_report r = full_report();
	char *plain, *color, *stripped, *line, *save = NULL, *copy;
	size_t col = 0;

	(void)state;
	plain = render(KUP_FMT_TABLE, &r);
	assert_null(strchr(plain, '\033'));
	assert_non_null(strstr(plain, "\n3 removed, 2 deprecated, 1 other in 9 objects from 4 files; "
				      "target 1.32; 2 errors\n"));
	/* input errors are counted, not listed: the CLI prints them on standard error */
	assert_null(strstr(plain, "unclosed flow sequence"));
	assert_non_null(strstr(plain, "helm:shop@3:40 (releases/sh.helm.release.v1.shop.v3.yaml)"));
	/* the newline inside the name is shown, not printed */
	assert_non_null(strstr(plain, "odd,\"name\"<&>\\n\xc3\xa9\xe2\x98\x83"));

	/* every row starts its NAME column at the same visible column */
	copy = strdup(plain);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *p = line;
		size_t c = 0, spaces = 0, field = 0;

		if (!strncmp(line, "error:", 6) || strstr(line, " removed, "))
			continue;
		/* count visible columns up to the 4th field (fields are separated by 3+ spaces) */
		for (; *p && field < 3; p++) {
			if ((*p & 0xc0) != 0x80)
				c++;
			if (*p == ' ') {
				spaces++;
			} else {
				if (spaces >= 3)
					field++;
				spaces = 0;
			}
		}
		if (!col)
			col = c;
		assert_int_equal(c, col);
	}
	free(copy);

	r.color = true;
	color = render(KUP_FMT_TABLE, &r);
	assert_non_null(strstr(color, "\033[31mremoved\033[0m"));
	assert_non_null(strstr(color, "\033[33mdeprecated\033[0m"));
	assert_non_null(strstr(color, "\033[33mopt-in-deprecated\033[0m"));
	assert_non_null(strstr(color, "\033[36mundecided\033[0m"));
	assert_null(strstr(color, "\033[31mSTATUS"));
	stripped = strip_sgr(color);
	assert_string_equal(stripped, plain); /* alignment ignores the colour codes */
	free(stripped);
	free(color);
	free(plain);

	/* a terminal escape in the input is never written raw */
	fx[0].name = "evil\033[2J\033]0;title\007";
	r.color = false;
	plain = render(KUP_FMT_TABLE, &r);
	assert_null(strchr(plain, '\033'));
	assert_null(strchr(plain, '\007'));
	assert_non_null(strstr(plain, "evil\\x1b[2J\\x1b]0;title\\x07"));
	free(plain);

	r = empty_report();
	plain = render(KUP_FMT_TABLE, &r);
	assert_string_equal(plain, "No deprecated or removed APIs found for target 1.32.\n");
	free(plain);
}

static void test_markdown(void **state)
{
	struct kup_report r = full_report();
	char *out = render(KUP_FMT_MARKDOWN, &r), *copy, *line, *save = NULL;
	size_t rows = 0;

	(void)state;
	copy = strdup(out);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t pipes = 0;

		if (line[0] != '|')
			continue;
		for (const char *p = line; *p; p++)
			if (*p == '|' && (p == line || p[-1] != '\\'))
				pipes++;
		assert_int_equal(pipes, 9);
		rows++;
	}
	assert_int_equal(rows, 2 + 6);
	free(copy);
	assert_non_null(strstr(out, "odd,\"name\"&lt;&amp;&gt;\\\\n"));
	assert_non_null(strstr(out, "## Errors\n"));
	assert_null(strstr(out, "<lost>"));
	free(out);
}

/* ---- JUnit ---------------------------------------------------------------------------- */

/*
 * A small well-formedness check: balanced tags, quoted attributes, no raw
 * '<' or '&' in text or attribute values, only known entities, no control
 * characters.  Returns the number of elements named `count_tag`.
 */
static size_t xml_check(const char *s, const char *count_tag)
{
	const char *stack[32];
	size_t depth = 0, counted = 0, tl = strlen(count_tag);

	assert_true(!strncmp(s, "<?xml ", 6));
	s = strstr(s, "?>") + 2;
	while (*s) {
		if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' && *s != '\r')
			fail_msg("control character in XML");
		if (*s == '&') {
			if (strncmp(s, "&amp;", 5) && strncmp(s, "&lt;", 4) && strncmp(s, "&gt;", 4) &&
			    strncmp(s, "&quot;", 6) && strncmp(s, "&apos;", 6) && strncmp(s, "&#", 2))
				fail_msg("bad entity at '%.10s'", s);
			s++;
			continue;
		}
		if (*s != '<') {
			assert_true(*s != '>');
			s++;
			continue;
		}
		if (s[1] == '/') {
			size_t n = strcspn(s + 2, ">");

			assert_true(depth > 0);
			depth--;
			assert_true(!strncmp(stack[depth], s + 2, n) &&
				    (stack[depth][n] == ' ' || stack[depth][n] == '>' ||
				     stack[depth][n] == '/'));
			s += 2 + n + 1;
			continue;
		}
		/* a start tag: name, then name="value" pairs */
		{
			const char *name = s + 1;
			size_t n = strcspn(name, " />");

			assert_true(n > 0);
			if (n == tl && !strncmp(name, count_tag, n))
				counted++;
			s = name + n;
			for (;;) {
				while (*s == ' ')
					s++;
				if (*s == '>') {
					assert_true(depth < 32);
					stack[depth++] = name;
					s++;
					break;
				}
				if (s[0] == '/' && s[1] == '>') {
					s += 2;
					break;
				}
				s += strcspn(s, "=");
				assert_true(s[0] == '=' && s[1] == '"');
				s += 2;
				for (; *s != '"'; s++) {
					assert_true(*s != '\0' && *s != '<' && *s != '\n');
					if (*s == '&')
						assert_true(!strncmp(s, "&amp;", 5) || !strncmp(s, "&lt;", 4) ||
							    !strncmp(s, "&gt;", 4) || !strncmp(s, "&quot;", 6) ||
							    !strncmp(s, "&apos;", 6) || !strncmp(s, "&#", 2));
				}
				s++;
			}
		}
	}
	assert_int_equal(depth, 0);
	return counted;
}

static void test_junit(void **state)
{
	struct kup_report r = full_report();
	char *out = render(KUP_FMT_JUNIT, &r);

	(void)state;
	assert_int_equal(xml_check(out, "testcase"), 8);
	assert_int_equal(xml_check(out, "failure"), 5); /* undecided is not a failure */
	assert_int_equal(xml_check(out, "error"), 2);
	assert_non_null(strstr(out, "<testsuite name=\"kupgrade scan\" tests=\"8\" failures=\"5\" errors=\"2\""));
	assert_non_null(strstr(out, "type=\"removed\""));
	assert_non_null(strstr(out, "type=\"deprecated\""));
	assert_non_null(strstr(out, "name=\"Ingress shop/web extensions/v1beta1\""));
	assert_non_null(strstr(out, "name=\"FlowSchema catch-all flowcontrol.apiserver.k8s.io/v1beta3\""));
	assert_non_null(strstr(out, "odd,&quot;name&quot;&lt;&amp;&gt;&#10;"));
	free(out);

	r = empty_report();
	out = render(KUP_FMT_JUNIT, &r);
	assert_int_equal(xml_check(out, "testcase"), 1);
	assert_int_equal(xml_check(out, "failure"), 0);
	assert_non_null(strstr(out, "name=\"no removed or deprecated APIs\""));
	free(out);
}

/* ---- items: the findings of the other passes ------------------------------------ */

static struct kup_report_item fx_items[3];

/* The full report plus three pre-flight items: blocking with a location, warning
 * without one (and a hostile name), info. */
static struct kup_report items_report(void)
{
	struct kup_report r = full_report();

	memset(fx_items, 0, sizeof(fx_items));
	fx_items[0] = (struct kup_report_item){
		.family = KUP_ITEM_PREFLIGHT, .severity = KUP_FAIL_REMOVED, .rule_id = "pdb-blocking",
		.kind = "PodDisruptionBudget", .api_version = "policy/v1", .name = "web",
		.namespace_ = "shop", .message = "allows 0 disruptions now", .detail = "pods: shop/web-1",
		.src = { .type = KUP_SRC_FILE, .path = "dump.json", .line = 40, .column = 6 } };
	fx_items[1] = (struct kup_report_item){
		.family = KUP_ITEM_PREFLIGHT, .severity = KUP_FAIL_DEPRECATED, .rule_id = "image-registry",
		.kind = "Deployment", .api_version = "apps/v1", .name = NASTY_NAME, .namespace_ = "shop",
		.message = "image <x> comes from docker.io", .remedy = "mirror it",
		.source_url = "https://example.com/registries" };
	fx_items[2] = (struct kup_report_item){
		.family = KUP_ITEM_PREFLIGHT, .severity = KUP_FAIL_NONE, .rule_id = "node-skew",
		.kind = "Node", .name = "n1", .message = "fine" };
	r.items = fx_items;
	r.nitems = 3;
	r.passes = 1u << KUP_ITEM_PREFLIGHT;
	return r;
}

static size_t count_str(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void test_items(void **state)
{
	struct kup_report r = items_report();
	json_object *o, *a;
	yaml_document_t doc;
	struct csv_rec recs[16];
	size_t n;
	char *out;

	(void)state;
	/* json: a "preflight" array after the summary, locations and remedies kept */
	out = render(KUP_FMT_JSON, &r);
	o = parse_json(out);
	a = get(o, "preflight");
	assert_int_equal(json_object_array_length(a), 3);
	assert_string_equal(getstr(idx(a, 0), "check"), "pdb-blocking");
	assert_string_equal(getstr(idx(a, 0), "severity"), "blocking");
	assert_int_equal(json_object_get_int(get(get(idx(a, 0), "source"), "line")), 40);
	assert_false(has(idx(a, 1), "source"));
	assert_string_equal(getstr(idx(a, 1), "remedy"), "mirror it");
	assert_string_equal(getstr(idx(a, 2), "severity"), "info");
	assert_int_equal(json_object_array_length(get(o, "findings")), 6);
	json_object_put(o);
	free(out);

	/* yaml: the same document */
	out = render(KUP_FMT_YAML, &r);
	load_yaml(out, &doc);
	assert_int_equal(ylen(ymap(&doc, yaml_document_get_root_node(&doc), "preflight")), 3);
	yaml_document_delete(&doc);
	free(out);

	/* sarif: 6 + 3 results; the items' rules exist once each */
	out = render(KUP_FMT_SARIF, &r);
	o = parse_json(out);
	a = get(idx(get(o, "runs"), 0), "results");
	assert_int_equal(json_object_array_length(a), 9);
	assert_string_equal(getstr(idx(a, 6), "ruleId"), "pdb-blocking");
	assert_string_equal(getstr(idx(a, 6), "level"), "error");
	assert_string_equal(getstr(idx(a, 7), "level"), "warning");
	assert_string_equal(getstr(idx(a, 8), "level"), "note");
	assert_non_null(strstr(out, "\"uri\": \"dump.json\""));
	assert_int_equal(count_str(out, "\"id\": \"pdb-blocking\""), 1);
	json_object_put(o);
	free(out);

	/* junit: 6 findings + 3 items + 2 errors; blocking and warning items fail */
	out = render(KUP_FMT_JUNIT, &r);
	assert_int_equal(xml_check(out, "testcase"), 11);
	assert_int_equal(xml_check(out, "failure"), 7);
	assert_non_null(strstr(out, "classname=\"preflight\" name=\"pdb-blocking PodDisruptionBudget shop/web\""));
	free(out);

	/* csv: three more columns and three more rows */
	out = render(KUP_FMT_CSV, &r);
	n = csv_parse(out, recs, 16);
	assert_int_equal(n, 10);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(recs[i].n, 19);
		for (size_t j = 0; j < recs[i].n; j++)
			free(recs[i].f[j]);
	}
	assert_non_null(strstr(out, ",check,message,detail\r\n"));
	assert_non_null(strstr(out, "blocking,PodDisruptionBudget,policy/v1,web,shop,,,,file,dump.json,40,6,"
				    ",,,,pdb-blocking,allows 0 disruptions now,pods: shop/web-1\r\n"));
	free(out);

	/* table and markdown: a section with one line (table) or row per item */
	out = render(KUP_FMT_TABLE, &r);
	assert_non_null(strstr(out, "\nPre-flight checks: 3 findings\n"
				    "blocking  pdb-blocking            PodDisruptionBudget shop/web: "
				    "allows 0 disruptions now\n          pods: shop/web-1\n"));
	assert_null(strchr(strstr(out, "Pre-flight"), '\033'));
	free(out);
	out = render(KUP_FMT_MARKDOWN, &r);
	assert_non_null(strstr(out, "## Pre-flight checks\n\n1 blocking, 1 warning.\n\n"));
	assert_int_equal(count_str(strstr(out, "## Pre-flight"), "\n| "), 4);
	free(out);

	/* html: every finding a row, every text escaped */
	out = render(KUP_FMT_HTML, &r);
	assert_int_equal(count_str(out, "<tr class=\"finding "), 6);
	assert_int_equal(count_str(out, "<tr class=\"item preflight "), 3);
	assert_int_equal(count_str(out, "<li class=\"error\">"), 2);
	assert_null(strstr(out, "<x>"));
	assert_null(strstr(out, "<&>"));
	assert_null(strstr(out, "<script"));
	assert_non_null(strstr(out, "image &lt;x&gt; comes from docker.io"));
	free(out);

	/* the pass ran and found nothing: its section is still there */
	r.nitems = 0;
	out = render(KUP_FMT_JSON, &r);
	assert_non_null(strstr(out, "\"preflight\": []"));
	free(out);
	out = render(KUP_FMT_TABLE, &r);
	assert_non_null(strstr(out, "Pre-flight checks: 0 findings"));
	free(out);
	/* and without the pass, no section at all */
	r.passes = 0;
	out = render(KUP_FMT_JSON, &r);
	assert_null(strstr(out, "preflight"));
	free(out);
}

/* The exit code comes from the model: the worst of findings and items. */
static void test_exit_code(void **state)
{
	struct kup_report r = empty_report();
	struct kup_report_item it = { .family = KUP_ITEM_PREFLIGHT, .severity = KUP_FAIL_REMOVED,
				      .rule_id = "pdb-blocking", .message = "m" };
	const struct kup_finding *dep[1];

	(void)state;
	assert_int_equal(kup_report_worst(NULL), KUP_FAIL_NONE);
	assert_int_equal(kup_report_exit_code(&r, KUP_FAIL_DEPRECATED), 0);
	fixture_init();
	dep[0] = &fx[1];   /* deprecated */
	r.findings = dep;
	r.nfindings = 1;
	assert_int_equal(kup_report_worst(&r), KUP_FAIL_DEPRECATED);
	assert_int_equal(kup_report_exit_code(&r, KUP_FAIL_DEPRECATED), 2);
	assert_int_equal(kup_report_exit_code(&r, KUP_FAIL_REMOVED), 0);
	r.items = &it;
	r.nitems = 1;
	assert_int_equal(kup_report_worst(&r), KUP_FAIL_REMOVED);
	assert_int_equal(kup_report_exit_code(&r, KUP_FAIL_DEPRECATED), 3);
	assert_int_equal(kup_report_exit_code(&r, KUP_FAIL_REMOVED), 3);
	assert_int_equal(kup_report_exit_code(&r, KUP_FAIL_NONE), 0);
	it.severity = KUP_FAIL_DEPRECATED;
	assert_int_equal(kup_report_exit_code(&r, KUP_FAIL_REMOVED), 0);
	r.errors = fx_err;
	r.nerrors = 1;
	assert_int_equal(kup_report_exit_code(&r, KUP_FAIL_NONE), 1);
}

/*
 * kup_report_set_scan: the undecided finding of the fixture leaves the API
 * findings and becomes a chart-evaluation item after the items already
 * there; JSON carries it under its family with chart, template and reason;
 * fail_undecided makes it (and an undecided object only counted) a warning.
 */
static void test_chart_evaluations(void **state)
{
	struct kup_report r = empty_report();
	struct kup_report_item pre = { .family = KUP_ITEM_PREFLIGHT, .severity = KUP_FAIL_NONE,
				       .rule_id = "node-skew", .message = "m" };
	const struct kup_finding *list[6];
	struct kup_buf b = KUP_BUF_INIT;
	json_object *doc, *arr, *it;
	size_t i;

	(void)state;
	fixture_init();
	fx[4].reason = "the apiVersion or kind is set by a template expression";
	for (i = 0; i < 6; i++)
		list[i] = fxp[i];
	r.items = &pre;
	r.nitems = 1;
	assert_int_equal(kup_report_set_scan(&r, list, 6), KUP_OK);
	assert_int_equal(r.nfindings, 5);
	for (i = 0; i < r.nfindings; i++)
		assert_false(kup_finding_is_chart_evaluation(r.findings[i]));
	assert_ptr_equal(r.findings[4], fxp[5]);   /* order kept */
	assert_int_equal(r.nitems, 2);
	assert_string_equal(r.items[0].rule_id, "node-skew");
	assert_int_equal(r.items[1].family, KUP_ITEM_CHART);
	assert_string_equal(r.items[1].rule_id, "undecided");
	assert_int_equal(r.items[1].severity, KUP_FAIL_NONE);
	assert_string_equal(kup_item_family_name(KUP_ITEM_CHART), "chart-evaluation");

	kup_buf_init(&b);
	assert_int_equal(kup_report_render(KUP_FMT_JSON, &r, &b), KUP_OK);
	doc = json_tokener_parse(b.buf);
	assert_non_null(doc);
	assert_true(json_object_object_get_ex(doc, "chart-evaluation", &arr));
	assert_int_equal(json_object_array_length(arr), 1);
	it = json_object_array_get_idx(arr, 0);
	assert_string_equal(getstr(it, "status"), "undecided");
	assert_string_equal(getstr(it, "chart"), "web-0.1.0");
	assert_string_equal(getstr(it, "template"), "charts/web/templates/ingress.yaml");
	assert_string_equal(getstr(it, "reason"),
			    "the apiVersion or kind is set by a template expression");
	json_object_put(doc);

	/* the exit code: info never fails; --fail-on undecided fails at the warning level */
	r.summary.undecided = 1;
	assert_int_equal(kup_report_exit_code(&r, KUP_FAIL_DEPRECATED), 3);   /* fx removed ones */
	r.findings = NULL;
	r.nfindings = 0;
	assert_int_equal(kup_report_exit_code(&r, KUP_FAIL_DEPRECATED), 0);
	r.fail_undecided = true;
	assert_int_equal(kup_report_exit_code(&r, KUP_FAIL_DEPRECATED), 2);
	r.nitems = 1;   /* counted, not listed */
	assert_int_equal(kup_report_exit_code(&r, KUP_FAIL_DEPRECATED), 2);
	r.summary.undecided = 0;
	assert_int_equal(kup_report_exit_code(&r, KUP_FAIL_DEPRECATED), 0);

	/* a second call appends to the items there and frees the array the first made */
	r.nitems = 2;
	for (i = 0; i < 6; i++)
		list[i] = fxp[i];
	assert_int_equal(kup_report_set_scan(&r, list, 6), KUP_OK);
	assert_int_equal(r.nitems, 3);
	assert_int_equal(r.items[2].severity, KUP_FAIL_DEPRECATED);   /* fail_undecided */
	kup_report_release(&r);
	assert_null(r.owned_items);
	kup_buf_release(&b);
	fx[4].reason = NULL;
}

/* ---- contract details ------------------------------------------------------------------ */

static void test_render_args(void **state)
{
	struct kup_report r = empty_report();
	struct kup_buf b = KUP_BUF_INIT;

	(void)state;
	kup_buf_init(&b);
	assert_int_equal(kup_report_render(KUP_FMT_JSON, NULL, &b), KUP_INVALID);
	assert_int_equal(kup_report_render(KUP_FMT_JSON, &r, NULL), KUP_INVALID);
	assert_int_equal(kup_report_render((enum kup_format)99, &r, &b), KUP_INVALID);
	r.nfindings = 1; /* with no array */
	assert_int_equal(kup_report_render(KUP_FMT_JSON, &r, &b), KUP_INVALID);
	r.nfindings = 0;

	/* appends */
	kup_buf_adds(&b, "prefix\n");
	assert_int_equal(kup_report_render(KUP_FMT_TABLE, &r, &b), KUP_OK);
	assert_true(!strncmp(b.buf, "prefix\nNo deprecated", 20));

	/* a sticky out-of-memory buffer is reported, for every format */
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		b.oom = true;
		assert_int_equal(kup_report_render(fmts[i].fmt, &r, &b), KUP_NOMEM);
	}
	b.oom = false;
	kup_buf_release(&b);
}

static void test_many_findings(void **state)
{
	enum { N = 5000 };
	struct kup_report r = full_report();
	const struct kup_finding **many = calloc(N, sizeof(*many));
	char *out;
	json_object *doc;

	(void)state;
	assert_non_null(many);
	for (size_t i = 0; i < N; i++)
		many[i] = &fx[i % 6];
	r.findings = many;
	r.nfindings = N;
	out = render(KUP_FMT_SARIF, &r);
	doc = parse_json(out);
	assert_int_equal(json_object_array_length(get(idx(get(doc, "runs"), 0), "results")), N);
	assert_int_equal(json_object_array_length(get(get(get(idx(get(doc, "runs"), 0), "tool"),
						      "driver"), "rules")), 6);
	json_object_put(doc);
	free(out);
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		out = render(fmts[i].fmt, &r);
		assert_true(strlen(out) > N);
		free(out);
	}
	free(many);
}

/* kup_report.flush: json, yaml and csv written in parts are the same bytes as drawn whole. */
struct parts {
	struct kup_buf all;
	size_t calls;
};

static void take_part(void *ctx, struct kup_buf *out)
{
	struct parts *p = ctx;

	assert_true(out->len >= KUP_REPORT_FLUSH_AT);
	kup_buf_add(&p->all, out->buf, out->len);
	kup_buf_reset(out);
	p->calls++;
}

static void test_flush_same_bytes(void **state)
{
	enum { N = 5000 };
	static const enum kup_format both[] = { KUP_FMT_JSON, KUP_FMT_YAML, KUP_FMT_CSV };
	struct kup_report r = full_report();
	const struct kup_finding **many = calloc(N, sizeof(*many));

	(void)state;
	assert_non_null(many);
	for (size_t i = 0; i < N; i++)
		many[i] = &fx[i % 6];
	r.findings = many;
	r.nfindings = N;
	for (size_t i = 0; i < sizeof(both) / sizeof(both[0]); i++) {
		struct kup_buf whole = KUP_BUF_INIT, rest = KUP_BUF_INIT;
		struct parts p = { KUP_BUF_INIT, 0 };

		r.flush = NULL;
		assert_int_equal(kup_report_render(both[i], &r, &whole), KUP_OK);
		r.flush = take_part;
		r.flush_ctx = &p;
		assert_int_equal(kup_report_render(both[i], &r, &rest), KUP_OK);
		assert_true(p.calls >= 2);
		assert_true(rest.len < KUP_REPORT_FLUSH_AT + 64 * 1024);
		kup_buf_add(&p.all, rest.buf, rest.len);
		assert_false(p.all.oom);
		assert_int_equal(p.all.len, whole.len);
		assert_memory_equal(p.all.buf, whole.buf, whole.len);
		kup_buf_release(&whole);
		kup_buf_release(&rest);
		kup_buf_release(&p.all);
	}
	r.flush = NULL;
	free(many);
}

/* ---- ugly inputs ------------------------------------------------------------------------ */

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;

	while (i < n) {
		size_t len;
		uint32_t c = p[i], min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			len = 2, c &= 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			len = 3, c &= 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			len = 4, c &= 0x07, min = 0x10000;
		else
			return false;
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/*
 * Random byte strings (invalid UTF-8, controls, quotes, separators) as
 * names and paths: JSON, SARIF and YAML still parse, the name survives the
 * JSON round trip whenever it was valid UTF-8, JUnit stays well-formed, CSV
 * keeps 16 fields, and nothing but valid UTF-8 is written.
 */
static void test_random_strings(void **state)
{
	static const char alphabet[] = "a,\"\\<>&'|\n\r\t\x01\x1b\x7f\xc3\xa9\xe2\x80\xa8\xef\xbb\xbf\xff\xc0\xed\xa0 :#-{}[]*_`";
	struct kup_report r = full_report();
	char name[64], path[64];

	(void)state;
	for (int iter = 0; iter < 300; iter++) {
		size_t n = rng() % (sizeof(name) - 1), m = rng() % (sizeof(path) - 1);
		char *out;
		json_object *doc;
		yaml_document_t ydoc;

		for (size_t i = 0; i < n; i++)
			name[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
		name[n] = '\0';
		for (size_t i = 0; i < m; i++)
			path[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
		path[m] = '\0';
		if (!m)
			path[0] = 'p', path[1] = '\0';
		fx[0].name = name;
		fx[1].src.release = name;
		fx[0].src.path = path;
		fx_err[0].msg = name;

		out = render(KUP_FMT_JSON, &r);
		assert_true(valid_utf8(out));
		doc = parse_json(out);
		if (valid_utf8(name) && !strpbrk(name, "\x7f") && !strstr(name, "\xc2\x85") &&
		    !strstr(name, "\xe2\x80\xa8") && !strstr(name, "\xef\xbb\xbf"))
			assert_string_equal(getstr(idx(get(doc, "findings"), 0), "name"), name);
		json_object_put(doc);
		free(out);

		out = render(KUP_FMT_SARIF, &r);
		assert_true(valid_utf8(out));
		doc = parse_json(out);
		json_object_put(doc);
		free(out);

		out = render(KUP_FMT_YAML, &r);
		load_yaml(out, &ydoc);
		yaml_document_delete(&ydoc);
		free(out);

		out = render(KUP_FMT_JUNIT, &r);
		assert_true(valid_utf8(out));
		assert_int_equal(xml_check(out, "testcase"), 8);
		free(out);

		out = render(KUP_FMT_CSV, &r);
		{
			struct csv_rec recs[8];
			size_t nr = csv_parse(out, recs, 8);

			assert_int_equal(nr, 7);
			for (size_t i = 0; i < nr; i++) {
				assert_int_equal(recs[i].n, 16);
				for (size_t j = 0; j < recs[i].n; j++)
					free(recs[i].f[j]);
			}
		}
		free(out);

		out = render(KUP_FMT_TABLE, &r);
		assert_true(valid_utf8(out));
		for (const char *p = out; *p; p++)
			assert_true((unsigned char)*p >= 0x20 || *p == '\n');
		free(out);

		out = render(KUP_FMT_MARKDOWN, &r);
		assert_true(valid_utf8(out));
		free(out);
	}
}

/* A 4 MB name: rendered whole, still parseable. */
static void test_huge_scalar(void **state)
{
	struct kup_report r = full_report();
	size_t n = 4u << 20;
	char *big = malloc(n + 1), *out;
	json_object *doc;

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = "ab\"<,\n"[i % 6];
	big[n] = '\0';
	fx[0].name = big;
	out = render(KUP_FMT_JSON, &r);
	doc = parse_json(out);
	assert_string_equal(getstr(idx(get(doc, "findings"), 0), "name"), big);
	json_object_put(doc);
	free(out);
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		out = render(fmts[i].fmt, &r);
		assert_true(strlen(out) >= n);
		free(out);
	}
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_xml_escape),
		cmocka_unit_test(test_csv_field),
		cmocka_unit_test(test_golden_full),
		cmocka_unit_test(test_golden_empty),
		cmocka_unit_test(test_json_contract),
		cmocka_unit_test(test_json_empty_and_nulls),
		cmocka_unit_test(test_yaml_roundtrip),
		cmocka_unit_test(test_sarif),
		cmocka_unit_test(test_sarif_kb),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_chart_evaluations),
		cmocka_unit_test(test_render_args),
		cmocka_unit_test(test_many_findings),
		cmocka_unit_test(test_flush_same_bytes),
		cmocka_unit_test(test_random_strings),
		cmocka_unit_test(test_huge_scalar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
