/* test_chartindex.c - Helm repository index reading and the chart choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/chart.h"
#include "kupgrade/version.h"

static struct kup_chart_index *load_example(void)
{
	struct kup_chart_index *idx = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	if (kup_chart_index_load(KUP_SOURCE_DIR "/examples/charts/index.yaml", NULL, &idx, &err) != KUP_OK)
		fail_msg("%s:%u:%u: %s", err.path, err.line, err.column, err.msg);
	kup_error_release(&err);
	return idx;
}

static void reads_the_example_index(void **state)
{
	struct kup_chart_index *idx = load_example();
	const struct kup_chart_entry *e;

	(void)state;
	assert_int_equal(idx->nentries, 5);
	assert_int_equal(idx->skipped, 0);
	assert_string_equal(idx->entries[0].name, "cert-manager");
	assert_string_equal(idx->entries[4].name, "metrics-server");
	assert_string_equal(idx->generated, "2025-03-01T09:00:00.000000000Z");
	e = kup_chart_index_find(idx, "ingress-nginx");
	assert_non_null(e);
	assert_int_equal(e->nversions, 4);
	assert_string_equal(e->versions[0].version, "4.12.0");
	assert_string_equal(e->versions[0].app_version, "1.12.0");
	assert_string_equal(e->versions[0].kube_version, ">=1.21.0-0");
	assert_int_equal(e->versions[0].nurls, 1);
	assert_non_null(strstr(e->versions[0].urls[0], "ingress-nginx-4.12.0.tgz"));
	assert_string_equal(e->versions[3].version, "4.5.2");
	e = kup_chart_index_find(idx, "cert-manager");
	assert_true(e->versions[0].prerelease);
	assert_string_equal(e->versions[0].version, "v1.17.0-alpha.0");
	assert_false(e->versions[1].prerelease);
	e = kup_chart_index_find(idx, "metrics-server");
	assert_null(e->versions[0].kube_version);
	e = kup_chart_index_find(idx, "demo");
	assert_true(e->versions[2].deprecated);
	assert_null(kup_chart_index_find(idx, "istio"));
	assert_null(kup_chart_index_find(idx, "a"));
	assert_null(kup_chart_index_find(idx, "zzz"));
	kup_chart_index_free(idx);
}

static struct kup_chart_pick pick(const struct kup_chart_index *idx, const char *name,
				  const char *k8s, const char *pin, unsigned flags)
{
	struct kup_chart_pick p;
	struct kup_error err = KUP_ERROR_INIT;

	if (kup_chart_pick(idx, name, k8s, pin, flags, &p, &err) != KUP_OK)
		fail_msg("pick %s at %s: %s", name, k8s, err.msg);
	kup_error_release(&err);
	return p;
}

static void picks_with_helm_semantics(void **state)
{
	struct kup_chart_index *idx = load_example();
	struct kup_chart_pick p;

	(void)state;
	/* -0 ranges accept provider versions */
	p = pick(idx, "ingress-nginx", "v1.30.1-eks-1a2b3c", NULL, 0);
	assert_string_equal(p.chosen->version, "4.12.0");
	assert_null(p.trapped);
	/* 4.12 and 4.11 need 1.21 */
	p = pick(idx, "ingress-nginx", "1.20.5", NULL, 0);
	assert_string_equal(p.chosen->version, "4.10.1");
	assert_string_equal(p.newest->version, "4.12.0");
	assert_int_equal(p.skipped_kube, 2);
	assert_null(p.trapped);
	/* the trap: >=1.20.0 refuses an EKS version, 0.3.2 (>=1.20.0-0) is chosen */
	p = pick(idx, "demo", "v1.30.1-eks-1a2b3c", NULL, 0);
	assert_string_equal(p.chosen->version, "0.3.2");
	assert_non_null(p.trapped);
	assert_string_equal(p.trapped->version, "0.4.0");
	assert_string_equal(p.newest->version, "0.4.0");
	assert_int_equal(p.skipped_kube, 1);
	p = pick(idx, "demo", "v1.30.1-gke.1329003", NULL, 0);
	assert_string_equal(p.trapped->version, "0.4.0");
	/* without a provider suffix there is no trap */
	p = pick(idx, "demo", "1.30.1", NULL, 0);
	assert_string_equal(p.chosen->version, "0.4.0");
	assert_null(p.trapped);
	/* nothing fits: the deprecated line is not a fallback */
	p = pick(idx, "demo", "1.19.16", NULL, 0);
	assert_null(p.chosen);
	assert_null(p.trapped);
	assert_int_equal(p.skipped_deprecated, 1);
	assert_int_equal(p.skipped_kube, 2);
	/* pre-release chart versions only with --devel */
	p = pick(idx, "cert-manager", "1.31.0", NULL, 0);
	assert_string_equal(p.chosen->version, "v1.16.2");
	assert_int_equal(p.skipped_prerelease, 1);
	p = pick(idx, "cert-manager", "1.31.0", NULL, KUP_CHART_DEVEL);
	assert_string_equal(p.chosen->version, "v1.17.0-alpha.0");
	/* no kubeVersion matches anything */
	p = pick(idx, "metrics-server", "v1.19.0-eks-x", NULL, 0);
	assert_string_equal(p.chosen->version, "3.12.2");
	kup_chart_index_free(idx);
}

static void pins_the_app_version(void **state)
{
	struct kup_chart_index *idx = load_example();
	struct kup_chart_pick p;

	(void)state;
	p = pick(idx, "cluster-autoscaler", "1.29.4", "~1.29", 0);
	assert_string_equal(p.chosen->version, "9.35.0");
	assert_int_equal(p.skipped_app, 2);
	p = pick(idx, "cluster-autoscaler", "1.29.4", ">= 1.30", 0);
	assert_string_equal(p.chosen->version, "9.38.0");
	p = pick(idx, "cluster-autoscaler", "1.29.4", "1.28.x", 0);
	assert_null(p.chosen);
	assert_int_equal(p.skipped_app, 4);
	/* cert-manager's appVersion has a leading v */
	p = pick(idx, "cert-manager", "1.29.0", "~1.15.0", 0);
	assert_string_equal(p.chosen->version, "v1.15.3");
	/* the pin and the trap together: 0.4.0 is outside the pin, so no trap to report */
	p = pick(idx, "demo", "v1.30.1-eks-1", "<2", 0);
	assert_string_equal(p.chosen->version, "0.3.2");
	assert_null(p.trapped);
	kup_chart_index_free(idx);
}

static void pick_errors(void **state)
{
	struct kup_chart_index *idx = load_example();
	struct kup_chart_pick p;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	assert_int_equal(kup_chart_pick(idx, "istio", "1.30.0", NULL, 0, &p, &err), KUP_NOTFOUND);
	assert_non_null(strstr(err.msg, "chart 'istio' is not in the index"));
	assert_int_equal(kup_chart_pick(idx, "demo", "1.x", NULL, 0, &p, &err), KUP_VERSION);
	assert_int_equal(kup_chart_pick(idx, "demo", "1.30.0", ">=", 0, &p, &err), KUP_VERSION);
	assert_null(p.chosen);
	kup_error_release(&err);
	kup_chart_index_free(idx);
}

static const struct {
	const char *text;
	enum kup_status code;
	uint32_t line, column;
	const char *msg;
} bad[] = {
	{ "", KUP_INVALID, 0, 0, "empty file" },
	{ "- a\n", KUP_INVALID, 1, 1, "must be a mapping" },
	{ "entries: {}\n", KUP_INVALID, 1, 1, "apiVersion: missing" },
	{ "apiVersion: v2\nentries: {}\n", KUP_INVALID, 1, 13, "apiVersion: expected v1, not 'v2'" },
	{ "apiVersion: v1\ngenerated: x\n", KUP_INVALID, 1, 1, "entries: missing" },
	{ "apiVersion: v1\nentries: [a]\n", KUP_INVALID, 2, 10, "entries: must be a mapping" },
	{ "apiVersion: v1\nentries: {a: [\n", KUP_PARSE, 0, 0, "" },
	{ "apiVersion: v1\nentries: {}\n---\napiVersion: v1\nentries: {}\n", KUP_INVALID, 4, 1,
	  "more than one document" },
	{ "{\"apiVersion\": \"v1\", \"entries\": 5}", KUP_INVALID, 1, 33, "entries: must be a mapping" },
};

static void malformed_indexes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kup_chart_index *idx = NULL;
		struct kup_error err = KUP_ERROR_INIT;
		enum kup_status st = kup_chart_index_parse("index.yaml", bad[i].text,
							   strlen(bad[i].text), NULL, &idx, &err);
		if (st != bad[i].code)
			fail_msg("case %zu: status %d (%s)", i, st, err.msg ? err.msg : "");
		assert_null(idx);
		assert_string_equal(err.path, "index.yaml");
		if (bad[i].line && (err.line != bad[i].line || err.column != bad[i].column))
			fail_msg("case %zu: at %u:%u, expected %u:%u (%s)", i, err.line, err.column,
				 bad[i].line, bad[i].column, err.msg);
		if (bad[i].code == KUP_PARSE)
			assert_true(err.line > 0);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].msg);
		kup_error_release(&err);
	}
}

struct collect {
	size_t n;
	char msgs[8][200];
};

static void collect_fn(void *ctx, const struct kup_error *err)
{
	struct collect *c = ctx;

	if (c->n < 8)
		snprintf(c->msgs[c->n], sizeof(c->msgs[0]), "%u:%u: %s", err->line, err->column,
			 err->msg);
	c->n++;
}

static void skips_bad_versions_with_warnings(void **state)
{
	static const char text[] =
		"apiVersion: v1\n"
		"entries:\n"
		"  good:\n"
		"  - {name: good, version: 1.0.0}\n"
		"  - {name: good, version: latest}\n"
		"  - {name: good}\n"
		"  - {name: good, version: 2.0.0, kubeVersion: '>= 1.2 <'}\n"
		"  - 7\n"
		"  - {name: good, version: 1.10.0, kubeVersion: ''}\n"
		"  other: {}\n";
	struct collect c = { 0 };
	struct kup_error_sink sink = { collect_fn, &c };
	struct kup_chart_index *idx = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	const struct kup_chart_entry *e;

	(void)state;
	assert_int_equal(kup_chart_index_parse("i.yaml", text, strlen(text), &sink, &idx, &err), KUP_OK);
	assert_int_equal(idx->skipped, 5);
	assert_int_equal(c.n, 5);
	assert_string_equal(c.msgs[0], "5:27: entries.good[1].version: 'latest' is not a semantic version, skipped");
	assert_string_equal(c.msgs[1], "6:5: entries.good[2].version: missing, skipped");
	assert_non_null(strstr(c.msgs[2], "7:47: entries.good[3].kubeVersion: cannot parse range '>= 1.2 <'"));
	assert_string_equal(c.msgs[3], "8:5: entries.good[4]: not a mapping, skipped");
	assert_string_equal(c.msgs[4], "10:10: entries.other: must be a list of chart versions, skipped");
	assert_int_equal(idx->nentries, 1);
	e = kup_chart_index_find(idx, "good");
	assert_int_equal(e->nversions, 2);
	assert_string_equal(e->versions[0].version, "1.10.0");
	assert_null(e->versions[0].kube_version);
	assert_string_equal(e->versions[1].version, "1.0.0");
	kup_chart_index_free(idx);
}

static void json_index_and_empty_repo(void **state)
{
	static const char json[] =
		"{\"apiVersion\": \"v1\", \"entries\": {\"x\": [\n"
		"  {\"name\": \"x\", \"version\": \"0.1.0\", \"kubeVersion\": \">=1.25.0-0\"},\n"
		"  {\"name\": \"x\", \"version\": \"0.2.0\", \"kubeVersion\": \">=1.28.0-0\", \"appVersion\": \"2\"}]},\n"
		" \"generated\": \"2025-01-01T00:00:00Z\"}\n";
	struct kup_chart_index *idx = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_chart_pick p;

	(void)state;
	assert_int_equal(kup_chart_index_parse("i.json", json, strlen(json), NULL, &idx, &err), KUP_OK);
	assert_int_equal(idx->entries[0].nversions, 2);
	assert_int_equal(idx->entries[0].versions[0].line, 3);
	p = pick(idx, "x", "v1.27.3-eks-1", NULL, 0);
	assert_string_equal(p.chosen->version, "0.1.0");
	kup_chart_index_free(idx);
	assert_int_equal(kup_chart_index_parse("e.yaml", "apiVersion: v1\nentries:\n", 24, NULL, &idx, &err),
			 KUP_OK);
	assert_int_equal(idx->nentries, 0);
	assert_int_equal(kup_chart_pick(idx, "x", "1.30", NULL, 0, &p, &err), KUP_NOTFOUND);
	kup_chart_index_free(idx);
	kup_error_release(&err);
}

static void duplicate_chart_names_keep_the_first(void **state)
{
	static const char text[] =
		"apiVersion: v1\n"
		"entries:\n"
		"  a: [{name: a, version: 1.0.0}, {name: a, version: 3.0.0}, {name: a, version: 2.0.0}]\n"
		"  a: [{name: a, version: 9.0.0}]\n"
		"  b: [{name: b, version: 0.1.0}, {name: b, version: 0.2.0}]\n";
	struct collect c = { 0 };
	struct kup_error_sink sink = { collect_fn, &c };
	struct kup_chart_index *idx = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	const struct kup_chart_entry *e;

	(void)state;
	assert_int_equal(kup_chart_index_parse("d.yaml", text, strlen(text), &sink, &idx, &err), KUP_OK);
	assert_int_equal(idx->nentries, 2);
	e = kup_chart_index_find(idx, "a");
	assert_int_equal(e->nversions, 3);
	assert_string_equal(e->versions[0].version, "3.0.0");
	e = kup_chart_index_find(idx, "b");
	assert_int_equal(e->nversions, 2);
	assert_string_equal(e->versions[0].version, "0.2.0");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.msgs[0], "4:3: entries.a: the chart is listed twice, the second list is ignored");
	kup_chart_index_free(idx);
}

static void hop_versions_keep_the_provider_suffix(void **state)
{
	struct kup_version at;
	char buf[96];
	struct kup_chart_index *idx = load_example();
	struct kup_chart_pick p;

	(void)state;
	assert_int_equal(kup_version_parse("1.28", &at, NULL), KUP_OK);
	assert_string_equal(kup_chart_kube_version_at("v1.27.8-eks-8cb36c9", &at, buf, sizeof(buf)),
			    "1.28.0-eks-8cb36c9");
	assert_string_equal(kup_chart_kube_version_at("1.27.8", &at, buf, sizeof(buf)), "1.28.0");
	assert_string_equal(kup_chart_kube_version_at(NULL, &at, buf, sizeof(buf)), "1.28.0");
	assert_string_equal(kup_chart_kube_version_at("v1.30.1-gke.1329003", &at, buf, sizeof(buf)),
			    "1.28.0-gke.1329003");
	/* the hop version shows the trap as the real cluster would */
	p = pick(idx, "demo", kup_chart_kube_version_at("v1.27.8-eks-8cb36c9", &at, buf, sizeof(buf)),
		 NULL, 0);
	assert_string_equal(p.chosen->version, "0.3.2");
	assert_string_equal(p.trapped->version, "0.4.0");
	kup_chart_index_free(idx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_the_example_index),
		cmocka_unit_test(picks_with_helm_semantics),
		cmocka_unit_test(pins_the_app_version),
		cmocka_unit_test(pick_errors),
		cmocka_unit_test(malformed_indexes),
		cmocka_unit_test(skips_bad_versions_with_warnings),
		cmocka_unit_test(json_index_and_empty_repo),
		cmocka_unit_test(hop_versions_keep_the_provider_suffix),
		cmocka_unit_test(duplicate_chart_names_keep_the_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
