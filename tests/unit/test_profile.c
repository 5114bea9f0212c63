/* test_profile.c - ClusterProfile parsing, validation and writing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/profile.h"

static const char good_yaml[] =
	"apiVersion: kupgrade.dev/v1alpha1\n"
	"kind: ClusterProfile\n"
	"metadata: {name: prod-eu-1}\n"
	"spec:\n"
	"  provider: eks            # eks | gke | aks | kubeadm | generic\n"
	"  controlPlane: {version: \"1.27.8\"}\n"
	"  nodePools:\n"
	"    - {name: general, version: \"1.26.9\", count: 30, zones: [a, b, c],\n"
	"       os: \"Amazon Linux 2\", containerRuntime: \"containerd://1.6.20\"}\n"
	"    - name: gpu\n"
	"      version: v1.27.8-eks-1a2b3c\n"
	"      kubeProxyVersion: 1.26.9\n"
	"      # (a comment where an unknown key would be an error)\n"

	"  addons:\n"
	"    - {name: istio, version: \"1.17.2\", upgradeMode: in-place}   # or canary\n"
	"    - {name: calico, version: \"3.25.1\"}\n"
	"    - {name: ingress-nginx, version: \"1.6.4\", chart: {name: ingress-nginx, version: \"4.5.2\"}}\n";

static struct kup_profile *parse_ok(const char *text)
{
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	enum kup_status st = kup_profile_parse("p.yaml", text, strlen(text), &p, &err);

	if (st != KUP_OK)
		fail_msg("unexpected error: %u:%u: %s", err.line, err.column, err.msg);
	kup_error_release(&err);
	assert_non_null(p);
	return p;
}

static void check_good(const struct kup_profile *p)
{
	assert_string_equal(p->name, "prod-eu-1");
	assert_int_equal(p->provider, KUP_PROVIDER_EKS);
	assert_string_equal(p->provider_text, "eks");
	assert_string_equal(p->cp_version_text, "1.27.8");
	assert_int_equal(p->control_plane.minor, 27);
	assert_int_equal(p->control_plane.patch, 8);
	assert_int_equal(p->npools, 2);
	assert_string_equal(p->pools[0].name, "general");
	assert_int_equal(p->pools[0].version.minor, 26);
	assert_int_equal(p->pools[0].count, 30);
	assert_int_equal(p->pools[0].nzones, 3);
	assert_string_equal(p->pools[0].zones[2], "c");
	assert_string_equal(p->pools[0].os, "Amazon Linux 2");
	assert_string_equal(p->pools[0].runtime, "containerd://1.6.20");
	assert_null(p->pools[0].kube_proxy_text);
	assert_false(p->pools[0].kube_proxy.valid);
	assert_string_equal(p->pools[1].name, "gpu");
	assert_string_equal(p->pools[1].version_text, "v1.27.8-eks-1a2b3c");
	assert_string_equal(p->pools[1].version.pre, "eks-1a2b3c");
	assert_true(p->pools[1].kube_proxy.valid);
	assert_int_equal(p->pools[1].kube_proxy.minor, 26);
	assert_int_equal(p->pools[1].count, 0);
	assert_int_equal(p->naddons, 3);
	assert_string_equal(p->addons[0].name, "istio");
	assert_string_equal(p->addons[0].upgrade_mode, "in-place");
	assert_int_equal(p->addons[0].version.minor, 17);
	assert_null(p->addons[1].upgrade_mode);
	assert_null(p->addons[1].chart_name);
	assert_string_equal(p->addons[2].chart_name, "ingress-nginx");
	assert_string_equal(p->addons[2].chart_version, "4.5.2");
}

static void good_profile(void **state)
{
	struct kup_profile *p = parse_ok(good_yaml);

	(void)state;
	check_good(p);
	assert_string_equal(p->path, "p.yaml");
	assert_int_equal(p->pools[0].line, 8);
	assert_int_equal(p->pools[1].line, 10);
	assert_int_equal(p->addons[2].line, 17);
	kup_profile_free(p);
}

static void round_trip_yaml_and_json(void **state)
{
	struct kup_profile *p = parse_ok(good_yaml), *q, *r;
	struct kup_buf y = KUP_BUF_INIT, j = KUP_BUF_INIT, y2 = KUP_BUF_INIT;

	(void)state;
	assert_int_equal(kup_profile_write_yaml(p, &y), KUP_OK);
	assert_non_null(strstr(y.buf, "  provider: eks\n"));
	assert_non_null(strstr(y.buf, "    version: \"1.27.8\"\n"));
	assert_non_null(strstr(y.buf, "      zones: [a, b, c]\n"));
	q = parse_ok(y.buf);
	check_good(q);
	assert_int_equal(kup_profile_write_json(q, &j), KUP_OK);
	r = parse_ok(j.buf);
	check_good(r);
	assert_int_equal(kup_profile_write_yaml(r, &y2), KUP_OK);
	assert_string_equal(y.buf, y2.buf);
	kup_buf_release(&y);
	kup_buf_release(&y2);
	kup_buf_release(&j);
	kup_profile_free(p);
	kup_profile_free(q);
	kup_profile_free(r);
}

static void json_form(void **state)
{
	static const char json[] =
		"{\n"
		"  \"apiVersion\": \"kupgrade.dev/v1alpha1\",\n"
		"  \"kind\": \"ClusterProfile\",\n"
		"  \"metadata\": {\"name\": \"gke-1\"},\n"
		"  \"spec\": {\"provider\": \"gke\", \"controlPlane\": {\"version\": \"v1.30.1-gke.1329003\"},\n"
		"    \"nodePools\": [{\"name\": \"pool-1\", \"version\": \"1.29.4\", \"count\": 3}],\n"
		"    \"addons\": []}\n"
		"}\n";
	struct kup_profile *p = parse_ok(json);

	(void)state;
	assert_string_equal(p->name, "gke-1");
	assert_int_equal(p->provider, KUP_PROVIDER_GKE);
	assert_string_equal(p->control_plane.pre, "gke.1329003");
	assert_int_equal(p->npools, 1);
	assert_int_equal(p->pools[0].count, 3);
	assert_int_equal(p->pools[0].line, 6);
	assert_int_equal(p->naddons, 0);
	kup_profile_free(p);
}

static void minimal_profile_defaults(void **state)
{
	struct kup_profile *p = parse_ok(
		"apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\n"
		"metadata: {name: x}\nspec: {controlPlane: {version: 1.29}}\n");

	(void)state;
	assert_int_equal(p->provider, KUP_PROVIDER_GENERIC);
	assert_null(p->provider_text);
	/* an unquoted 1.29 is a YAML float, read as written */
	assert_string_equal(p->cp_version_text, "1.29");
	assert_int_equal(p->control_plane.minor, 29);
	assert_int_equal(p->npools, 0);
	assert_int_equal(p->naddons, 0);
	kup_profile_free(p);
}

struct bad_case {
	const char *text;
	enum kup_status code;
	uint32_t line, column;
	const char *msg;      /* a substring of the message */
};

#define HEAD "apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\nmetadata: {name: x}\n"

static const struct bad_case bad[] = {
	{ "", KUP_INVALID, 0, 0, "empty file" },
	{ "# only a comment\n", KUP_INVALID, 0, 0, "empty file" },
	{ "- a\n- b\n", KUP_INVALID, 1, 1, "must be a mapping" },
	{ "kind: ClusterProfile\nmetadata: {name: x}\nspec: {controlPlane: {version: 1.2}}\n",
	  KUP_INVALID, 1, 1, "apiVersion: missing" },
	{ "apiVersion: v1\nkind: ClusterProfile\n", KUP_INVALID, 1, 13,
	  "apiVersion: expected 'kupgrade.dev/v1alpha1', not 'v1'" },
	{ "apiVersion: kupgrade.dev/v1alpha1\nkind: Profile\n", KUP_INVALID, 2, 7,
	  "kind: expected 'ClusterProfile'" },
	{ "apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\nmetadata: {}\nspec: {controlPlane: {version: \"1.2\"}}\n",
	  KUP_INVALID, 3, 11, "metadata.name: missing" },
	{ "apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\nmetadata: {name: [a]}\n",
	  KUP_INVALID, 3, 18, "metadata.name: must be a string" },
	{ HEAD, KUP_INVALID, 1, 1, "spec: missing" },
	{ HEAD "spec: [1]\n", KUP_INVALID, 4, 7, "spec: must be a mapping" },
	{ HEAD "spec:\n  provider: openshift\n  controlPlane: {version: \"1.27\"}\n",
	  KUP_INVALID, 5, 13, "spec.provider: must be one of eks, gke, aks, kubeadm, generic, not 'openshift'" },
	{ HEAD "spec:\n  provider: eks\n", KUP_INVALID, 5, 3, "spec.controlPlane.version: missing" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.x\"}\n", KUP_VERSION, 5, 27,
	  "spec.controlPlane.version: cannot parse '1.x'" },
	{ HEAD "spec:\n  controlPlane: {version: true}\n", KUP_VERSION, 5, 27,
	  "spec.controlPlane.version: must be a version" },
	{ HEAD "spec:\n  controlPlane: \"1.27\"\n", KUP_INVALID, 5, 17,
	  "spec.controlPlane: must be a mapping" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools: {a: 1}\n",
	  KUP_INVALID, 6, 14, "spec.nodePools: must be a list" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - {name: a, version: \"1.x\"}\n",
	  KUP_VERSION, 7, 26, "spec.nodePools[0].version: cannot parse '1.x'" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - {name: a}\n",
	  KUP_INVALID, 7, 7, "spec.nodePools[0].version: missing" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - {version: \"1.27\"}\n",
	  KUP_INVALID, 7, 7, "spec.nodePools[0].name: missing" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - {name: a, version: \"1.27\", count: -3}\n",
	  KUP_INVALID, 7, 41, "spec.nodePools[0].count: must be a whole number" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - {name: a, version: \"1.27\", count: many}\n",
	  KUP_INVALID, 7, 41, "spec.nodePools[0].count: must be a whole number" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - {name: a, version: \"1.27\", zones: a}\n",
	  KUP_INVALID, 7, 41, "spec.nodePools[0].zones: must be a list" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - {name: a, version: \"1.27\", zones: [a, {}]}\n",
	  KUP_INVALID, 7, 45, "spec.nodePools[0].zones[1]: must be a non-empty string" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - {name: a, version: \"1.27\"}\n    - {name: a, version: \"1.27\"}\n",
	  KUP_INVALID, 8, 14, "spec.nodePools[1].name: 'a' is already the name of spec.nodePools[0]" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - 5\n",
	  KUP_INVALID, 7, 7, "spec.nodePools[0]: must be a mapping" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - {name: a, version: \"1.27\", kubeProxyVersion: x}\n",
	  KUP_VERSION, 7, 52, "spec.nodePools[0].kubeProxyVersion: cannot parse 'x'" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  addons:\n    - {name: istio, version: \"1.17\", upgradeMode: blue-green}\n",
	  KUP_INVALID, 7, 51, "spec.addons[0].upgradeMode: must be in-place or canary, not 'blue-green'" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  addons:\n    - {name: istio, version: \"latest\"}\n",
	  KUP_VERSION, 7, 30, "spec.addons[0].version: cannot parse 'latest'" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  addons:\n    - {version: \"1.17\"}\n",
	  KUP_INVALID, 7, 7, "spec.addons[0].name: missing" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  addons:\n    - {name: a, chart: x}\n",
	  KUP_INVALID, 7, 24, "spec.addons[0].chart: must be a mapping" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  addons:\n    - {name: a, chart: {version: \"1.0.0\"}}\n",
	  KUP_INVALID, 7, 24, "spec.addons[0].chart.name: missing" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  addons:\n    - {name: a, chart: {name: a, version: \"4.x\"}}\n",
	  KUP_VERSION, 7, 43, "spec.addons[0].chart.version: cannot parse '4.x'" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  addons:\n    - {name: a}\n    - {name: a}\n",
	  KUP_INVALID, 8, 14, "spec.addons[1].name: 'a' is already the name of spec.addons[0]" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  addons: 3\n",
	  KUP_INVALID, 6, 11, "spec.addons: must be a list" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n---\n" HEAD "spec: {}\n",
	  KUP_INVALID, 7, 1, "more than one document" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"\n", KUP_PARSE, 0, 0, "" },
	{ "{\"apiVersion\": \"kupgrade.dev/v1alpha1\", \"kind\": \"ClusterProfile\",\n \"metadata\": {\"name\": \"x\"},\n"
	  " \"spec\": {\"controlPlane\": {\"version\": \"1.x\"}}}\n",
	  KUP_VERSION, 3, 39, "spec.controlPlane.version: cannot parse '1.x'" },
	{ "{\"apiVersion\": \"kupgrade.dev/v1alpha1\",\n \"kind\": }\n", KUP_PARSE, 2, 10, "" },
	{ "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []}", KUP_INVALID, 1, 1,
	  "not a ClusterProfile but kubectl output: derive a profile with `kupgrade profile --from-dump FILE...`" },
	{ "serverVersion: {gitVersion: v1.30.1}\n", KUP_INVALID, 1, 1, "kupgrade profile --from-dump" },
	/* unknown keys: an error at the key, with the closest known key */
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodepools:\n    - {name: a, version: \"1.27\"}\n",
	  KUP_INVALID, 6, 3, "spec: unknown key 'nodepools'; did you mean 'nodePools'?" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  addOns:\n    - {name: istio, version: \"1.17\"}\n",
	  KUP_INVALID, 6, 3, "spec: unknown key 'addOns'; did you mean 'addons'?" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - {name: a, version: \"1.27\", zone: [a]}\n",
	  KUP_INVALID, 7, 34, "spec.nodePools[0]: unknown key 'zone'; did you mean 'zones'?" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\", verison: \"1.28\"}\n",
	  KUP_INVALID, 5, 35, "spec.controlPlane: unknown key 'verison'; did you mean 'version'?" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  addons:\n    - {name: a, upgrademode: canary}\n",
	  KUP_INVALID, 7, 17, "spec.addons[0]: unknown key 'upgrademode'; did you mean 'upgradeMode'?" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  addons:\n    - {name: a, chart: {name: a, vers: \"1.0.0\"}}\n",
	  KUP_INVALID, 7, 34, "spec.addons[0].chart: unknown key 'vers'" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  surgeLimit: 3\n",
	  KUP_INVALID, 6, 3, "spec: unknown key 'surgeLimit'" },
	{ "apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\nmetadata: {name: x, nmae: y}\n"
	  "spec: {controlPlane: {version: \"1.27\"}}\n",
	  KUP_INVALID, 3, 21, "metadata: unknown key 'nmae'; did you mean 'name'?" },
	{ HEAD "Spec:\n  controlPlane: {version: \"1.27\"}\n",
	  KUP_INVALID, 4, 1, "ClusterProfile: unknown key 'Spec'; did you mean 'spec'?" },
	/* names go into the runbook's commands: no shell metacharacters, no placeholders */
	{ "apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\nmetadata: {name: \"prod; rm -rf ~\"}\n"
	  "spec: {controlPlane: {version: \"1.27\"}}\n",
	  KUP_INVALID, 3, 18, "metadata.name: 'prod; rm -rf ~' is not a name: letters, digits and - _ . : / @ + only" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - {name: \"s{to}ystem\", version: \"1.27\"}\n",
	  KUP_INVALID, 7, 14, "spec.nodePools[0].name: 's{to}ystem' is not a name" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - {name: \"-general\", version: \"1.27\"}\n",
	  KUP_INVALID, 7, 14, "spec.nodePools[0].name: '-general' is not a name" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n    - {name: \"a$(id)\", version: \"1.27\"}\n",
	  KUP_INVALID, 7, 14, "spec.nodePools[0].name: 'a$(id)' is not a name" },
	{ HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  addons:\n    - {name: \"core dns\", version: \"1.10.1\"}\n",
	  KUP_INVALID, 7, 14, "spec.addons[0].name: 'core dns' is not a name" },
};

static void malformed_profiles(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kup_profile *p = (struct kup_profile *)1;
		struct kup_error err = KUP_ERROR_INIT;
		enum kup_status st = kup_profile_parse("bad.yaml", bad[i].text, strlen(bad[i].text),
						       &p, &err);
		if (st != bad[i].code)
			fail_msg("case %zu: status %d, expected %d (%s)", i, st, bad[i].code,
				 err.msg ? err.msg : "");
		assert_null(p);
		assert_non_null(err.msg);
		assert_string_equal(err.path, "bad.yaml");
		if (bad[i].line && (err.line != bad[i].line || err.column != bad[i].column))
			fail_msg("case %zu: at %u:%u, expected %u:%u (%s)", i, err.line, err.column,
				 bad[i].line, bad[i].column, err.msg);
		if (bad[i].code == KUP_PARSE)
			assert_true(err.line > 0);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, bad[i].msg);
		kup_error_release(&err);
	}
}

struct collect {
	size_t n;
	char msgs[8][160];
};

static void collect_fn(void *ctx, const struct kup_error *err)
{
	struct collect *c = ctx;

	if (c->n < 8)
		snprintf(c->msgs[c->n], sizeof(c->msgs[0]), "%u:%u: %s", err->line, err->column,
			 err->msg);
	c->n++;
}

static void every_problem_to_sink(void **state)
{
	static const char text[] =
		HEAD
		"spec:\n"
		"  provider: nope\n"
		"  controlPlane: {version: \"1.x\"}\n"
		"  nodePools:\n"
		"    - {name: a, version: \"bad\"}\n";
	struct collect c = { 0 };
	struct kup_error_sink sink = { collect_fn, &c };
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_profile *p = NULL;

	(void)state;
	assert_int_equal(kup_profile_parse_sink("m.yaml", text, strlen(text), &sink, &p, &err),
			 KUP_INVALID);
	assert_null(p);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.msgs[0],
			    "5:13: spec.provider: must be one of eks, gke, aks, kubeadm, generic, not 'nope'");
	assert_non_null(strstr(c.msgs[1], "6:27: spec.controlPlane.version: cannot parse '1.x'"));
	assert_non_null(strstr(c.msgs[2], "8:26: spec.nodePools[0].version: cannot parse 'bad'"));
	assert_int_equal(err.line, 5);
	kup_error_release(&err);
}

static void load_file_and_missing(void **state)
{
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	assert_int_equal(kup_profile_load(KUP_TEST_DATA "/profile/prod-eu-1.yaml", &p, &err),
			 KUP_OK);
	assert_non_null(p);
	assert_true(p->control_plane.valid);
	assert_true(p->npools > 0);
	kup_profile_free(p);
	p = NULL;
	assert_int_equal(kup_profile_load(KUP_TEST_DATA "/no/such/profile.yaml", &p, &err), KUP_IO);
	assert_null(p);
	kup_error_release(&err);
}

static void writes_quotes_when_needed(void **state)
{
	struct kup_profile *p = parse_ok(
		HEAD "spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n"
		"    - {name: \"yes\", version: \"1.27\", os: \"a \\\"quoted\\\" os\\n\", zones: [\"1\", \"us-east-1a\"]}\n");
	struct kup_buf y = KUP_BUF_INIT;
	struct kup_profile *q;

	(void)state;
	assert_int_equal(kup_profile_write_yaml(p, &y), KUP_OK);
	assert_non_null(strstr(y.buf, "- name: \"yes\"\n"));
	assert_non_null(strstr(y.buf, "zones: [\"1\", us-east-1a]\n"));
	assert_non_null(strstr(y.buf, "os: \"a \\\"quoted\\\" os\\n\"\n"));
	q = parse_ok(y.buf);
	assert_string_equal(q->pools[0].name, "yes");
	assert_string_equal(q->pools[0].os, "a \"quoted\" os\n");
	assert_string_equal(q->pools[0].zones[0], "1");
	kup_buf_release(&y);
	kup_profile_free(p);
	kup_profile_free(q);

	/* JSON may carry code points a YAML document may not: they are escaped
	 * (in a free-text field: names take only letters, digits, '-', '_', '.') */
	p = parse_ok("{\"apiVersion\": \"kupgrade.dev/v1alpha1\", \"kind\": \"ClusterProfile\",\n"
		     " \"metadata\": {\"name\": \"x\"},\n"
		     " \"spec\": {\"controlPlane\": {\"version\": \"1.30\"}, \"nodePools\": [{\"name\": \"p\",\n"
		     " \"version\": \"1.30\", \"os\": \"a\\u0085b\\u2028c\\ufeff\\u007f\"}]}}");
	kup_buf_init(&y);
	assert_int_equal(kup_profile_write_yaml(p, &y), KUP_OK);
	assert_non_null(strstr(y.buf, "os: \"a\\u0085b\\u2028c\\ufeff\\u007f\"\n"));
	q = parse_ok(y.buf);
	assert_string_equal(q->pools[0].os, p->pools[0].os);
	assert_string_equal(q->pools[0].os, "a\xc2\x85" "b\xe2\x80\xa8" "c\xef\xbb\xbf\x7f");
	kup_buf_release(&y);
	kup_profile_free(p);
	kup_profile_free(q);
}

static void names_accepted(void **state)
{
	/* Kubernetes names and labels, and kubeconfig context names (EKS ARNs, user@cluster) */
	struct kup_profile *p = parse_ok(
		"apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\n"
		"metadata: {name: \"arn:aws:eks:us-east-1:123456789012:cluster/Prod_EU-1.a\"}\n"
		"spec:\n  controlPlane: {version: \"1.27\"}\n  nodePools:\n"
		"    - {name: ng_1.spot-A, version: \"1.27\"}\n    - {name: \"2nd\", version: \"1.27\"}\n"
		"    - {name: kubernetes-admin@kubernetes+x, version: \"1.27\"}\n"
		"  addons:\n    - {name: aws-ebs-csi-driver, version: \"1.20.0\"}\n");

	(void)state;
	assert_string_equal(p->name, "arn:aws:eks:us-east-1:123456789012:cluster/Prod_EU-1.a");
	assert_string_equal(p->pools[0].name, "ng_1.spot-A");
	assert_string_equal(p->pools[1].name, "2nd");
	assert_string_equal(p->pools[2].name, "kubernetes-admin@kubernetes+x");
	assert_false(kup_profile_name_ok(NULL));
	assert_false(kup_profile_name_ok(""));
	assert_false(kup_profile_name_ok("a b"));
	assert_false(kup_profile_name_ok("/a"));
	assert_string_equal(p->addons[0].name, "aws-ebs-csi-driver");
	kup_profile_free(p);
}

static void provider_names(void **state)
{
	enum kup_provider pv;

	(void)state;
	assert_string_equal(kup_provider_name(KUP_PROVIDER_GENERIC), "generic");
	assert_string_equal(kup_provider_name(KUP_PROVIDER_KUBEADM), "kubeadm");
	assert_string_equal(kup_provider_name((enum kup_provider)99), "generic");
	assert_true(kup_provider_from_name("aks", &pv));
	assert_int_equal(pv, KUP_PROVIDER_AKS);
	assert_false(kup_provider_from_name("EKS", &pv));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_profile),
		cmocka_unit_test(round_trip_yaml_and_json),
		cmocka_unit_test(json_form),
		cmocka_unit_test(minimal_profile_defaults),
		cmocka_unit_test(malformed_profiles),
		cmocka_unit_test(every_problem_to_sink),
		cmocka_unit_test(load_file_and_missing),
		cmocka_unit_test(writes_quotes_when_needed),
		cmocka_unit_test(names_accepted),
		cmocka_unit_test(provider_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
