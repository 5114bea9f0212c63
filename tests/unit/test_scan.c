/*
 * test_scan.c - the API check over the object stream, with the embedded KB:
 * statuses at the boundaries, the best replacement at the target, --from,
 * add-on axes, CRD-declared versions, and the sources of dump objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/ingest.h"
#include "kupgrade/kb.h"
#include "kupgrade/scan.h"

static struct kup_kb *kb;

static int setup(void **state)
{
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	if (kup_kb_load_embedded(&kb, &err) != KUP_OK)
		return -1;
	kup_error_release(&err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kup_kb_free(kb);
	return 0;
}

struct run {
	struct kup_scan *scan;
	size_t errors;
};

static void count_errors(void *ctx, const struct kup_error *err)
{
	struct run *r = ctx;
	(void)err;
	r->errors++;
}

/* Scans text at target `to` (from: NULL or a version); the caller frees r->scan. */
static void scan_text(struct run *r, const char *text, const char *to, const char *from,
		      const char *addon, const char *addon_v)
{
	struct kup_scan_opts so;
	struct kup_ingest_opts io;
	struct kup_ingest *in;
	struct kup_version av;
	const char *names[1];

	memset(r, 0, sizeof(*r));
	kup_scan_opts_init(&so);
	assert_int_equal(kup_version_parse(to, &so.target, NULL), KUP_OK);
	if (from)
		assert_int_equal(kup_version_parse(from, &so.from, NULL), KUP_OK);
	if (addon) {
		names[0] = addon;
		assert_int_equal(kup_version_parse(addon_v, &av, NULL), KUP_OK);
		so.addon_names = names;
		so.addon_targets = &av;
		so.naddons = 1;
	}
	assert_int_equal(kup_scan_new(kb, &so, &r->scan), KUP_OK);
	kup_ingest_opts_init(&io);
	io.on_object = kup_scan_object;
	io.ctx = r->scan;
	io.errors.fn = count_errors;
	io.errors.ctx = r;
	assert_int_equal(kup_ingest_new(&io, &in), KUP_OK);
	assert_int_equal(kup_ingest_mem(in, "t.yaml", text, strlen(text)), KUP_OK);
	assert_int_equal(kup_ingest_finish(in), KUP_OK);
	assert_int_equal(kup_scan_finish(r->scan), KUP_OK);
	kup_ingest_free(in);
}

#define FS_V1BETA1 "apiVersion: flowcontrol.apiserver.k8s.io/v1beta1\nkind: FlowSchema\nmetadata: {name: fs}\n"

static void flowschema_replacement_follows_target(void **state)
{
	static const struct {
		const char *to;
		enum kup_finding_status status;
		const char *replacement;
	} rows[] = {
		{ "1.23", KUP_FIND_DEPRECATED, "flowcontrol.apiserver.k8s.io/v1beta2" },
		{ "1.25", KUP_FIND_DEPRECATED, "flowcontrol.apiserver.k8s.io/v1beta2" },
		{ "1.26", KUP_FIND_REMOVED, "flowcontrol.apiserver.k8s.io/v1beta3" },
		{ "1.28", KUP_FIND_REMOVED, "flowcontrol.apiserver.k8s.io/v1beta3" },
		{ "1.29", KUP_FIND_REMOVED, "flowcontrol.apiserver.k8s.io/v1" },
		{ "v1.33.2-eks-abc", KUP_FIND_REMOVED, "flowcontrol.apiserver.k8s.io/v1" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct run r;
		const struct kup_finding *f;
		scan_text(&r, FS_V1BETA1, rows[i].to, NULL, NULL, NULL);
		assert_int_equal(kup_scan_count(r.scan), 1);
		f = kup_scan_at(r.scan, 0);
		assert_int_equal(f->status, rows[i].status);
		assert_string_equal(f->replacement, rows[i].replacement);
		assert_string_equal(f->removed_in, "1.26");
		assert_string_equal(f->deprecated_in, "1.23");
		kup_scan_free(r.scan);
	}
}

static void boundaries(void **state)
{
	const char *ing = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\n";
	struct run r;

	(void)state;
	scan_text(&r, ing, "1.13", NULL, NULL, NULL);
	assert_int_equal(kup_scan_count(r.scan), 0);
	kup_scan_free(r.scan);
	scan_text(&r, ing, "1.14", NULL, NULL, NULL);
	assert_int_equal(kup_scan_count(r.scan), 1);
	assert_int_equal(kup_scan_at(r.scan, 0)->status, KUP_FIND_DEPRECATED);
	kup_scan_free(r.scan);
	scan_text(&r, ing, "1.21.14", NULL, NULL, NULL);
	assert_int_equal(kup_scan_at(r.scan, 0)->status, KUP_FIND_DEPRECATED);
	kup_scan_free(r.scan);
	scan_text(&r, ing, "1.22", NULL, NULL, NULL);
	assert_int_equal(kup_scan_at(r.scan, 0)->status, KUP_FIND_REMOVED);
	assert_string_equal(kup_scan_at(r.scan, 0)->namespace_, "shop");
	assert_string_equal(kup_scan_at(r.scan, 0)->name, "web");
	assert_int_equal(kup_scan_at(r.scan, 0)->src.line, 1);
	assert_int_equal(kup_finding_severity(kup_scan_at(r.scan, 0)->status), KUP_FAIL_REMOVED);
	kup_scan_free(r.scan);
}

static void from_limits_to_changes(void **state)
{
	const char *two = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: a}\n---\n"
			  "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: b}\n";
	struct run r;

	(void)state;
	/* Ingress is already gone at 1.22; CronJob goes at 1.25. */
	scan_text(&r, two, "1.25", "1.22", NULL, NULL);
	assert_int_equal(kup_scan_count(r.scan), 1);
	assert_string_equal(kup_scan_at(r.scan, 0)->kind, "CronJob");
	kup_scan_free(r.scan);
	/* Deprecated at both ends: no change, nothing reported. */
	scan_text(&r, two, "1.24", "1.23", NULL, NULL);
	assert_int_equal(kup_scan_count(r.scan), 0);
	kup_scan_free(r.scan);
}

static void addon_axis(void **state)
{
	const char *cert = "apiVersion: cert-manager.io/v1alpha2\nkind: Certificate\nmetadata: {name: c}\n";
	struct run r;

	(void)state;
	scan_text(&r, cert, "1.30", NULL, "cert-manager", "1.3");
	assert_int_equal(kup_scan_count(r.scan), 0);
	kup_scan_free(r.scan);
	scan_text(&r, cert, "1.30", NULL, "cert-manager", "1.5");
	assert_int_equal(kup_scan_count(r.scan), 1);
	assert_int_equal(kup_scan_at(r.scan, 0)->status, KUP_FIND_DEPRECATED);
	assert_string_equal(kup_scan_at(r.scan, 0)->component, "cert-manager");
	kup_scan_free(r.scan);
	scan_text(&r, cert, "1.16", NULL, "cert-manager", "1.6");
	assert_int_equal(kup_scan_at(r.scan, 0)->status, KUP_FIND_REMOVED);
	assert_string_equal(kup_scan_at(r.scan, 0)->replacement, "cert-manager.io/v1");
	kup_scan_free(r.scan);
}

static void levels(void **state)
{
	const char *y = "apiVersion: v1\nkind: Endpoints\nmetadata: {name: e}\n---\n"
			"apiVersion: admissionregistration.k8s.io/v1beta1\nkind: ValidatingAdmissionPolicy\n"
			"metadata: {name: p}\n";
	struct run r;

	(void)state;
	scan_text(&r, y, "1.34", NULL, NULL, NULL);
	assert_int_equal(kup_scan_count(r.scan), 2);
	assert_int_equal(kup_scan_at(r.scan, 0)->status, KUP_FIND_GA_DEPRECATED);
	assert_int_equal(kup_finding_severity(KUP_FIND_GA_DEPRECATED), KUP_FAIL_NONE);
	assert_int_equal(kup_scan_at(r.scan, 1)->status, KUP_FIND_OPT_IN_REMOVED);
	kup_scan_free(r.scan);
	scan_text(&r, y, "1.32", NULL, NULL, NULL);
	assert_int_equal(kup_scan_count(r.scan), 1);
	assert_int_equal(kup_scan_at(r.scan, 0)->status, KUP_FIND_OPT_IN_DEPRECATED);
	kup_scan_free(r.scan);
}

static void crd_declared_versions(void **state)
{
	/* The custom resources come before their CRD. */
	const char *y =
		"apiVersion: example.com/v1alpha1\nkind: Widget\nmetadata: {name: old}\n---\n"
		"apiVersion: example.com/v1beta1\nkind: Widget\nmetadata: {name: mid}\n---\n"
		"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: new}\n---\n"
		"apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: other}\n---\n"
		"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
		"metadata: {name: widgets.example.com}\n"
		"spec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n"
		"  versions:\n"
		"  - {name: v1alpha1, served: false, storage: false}\n"
		"  - {name: v1beta1, served: true, storage: false, deprecated: true,\n"
		"     deprecationWarning: \"example.com/v1beta1 Widget is deprecated; use v1\"}\n"
		"  - {name: v1, served: true, storage: true}\n";
	struct run r;
	const struct kup_finding *f;

	(void)state;
	scan_text(&r, y, "1.30", NULL, NULL, NULL);
	assert_int_equal(kup_scan_count(r.scan), 2);
	f = kup_scan_at(r.scan, 0);
	assert_string_equal(f->name, "old");
	assert_int_equal(f->status, KUP_FIND_REMOVED);
	assert_string_equal(f->replacement, "example.com/v1");
	f = kup_scan_at(r.scan, 1);
	assert_string_equal(f->name, "mid");
	assert_int_equal(f->status, KUP_FIND_DEPRECATED);
	assert_string_equal(f->message, "example.com/v1beta1 Widget is deprecated; use v1");
	kup_scan_free(r.scan);
}

static void dump_sources(void **state)
{
	const char *dump =
		"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
		"  {\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\",\n"
		"   \"metadata\": {\"name\": \"web\", \"namespace\": \"shop\",\n"
		"     \"annotations\": {\"kubectl.kubernetes.io/last-applied-configuration\":\n"
		"       \"{\\\"apiVersion\\\":\\\"extensions/v1beta1\\\",\\\"kind\\\":\\\"Deployment\\\",\\\"metadata\\\":{\\\"name\\\":\\\"web\\\"}}\\n\"},\n"
		"     \"managedFields\": [\n"
		"       {\"apiVersion\": \"apps/v1beta2\", \"manager\": \"old-operator\", \"operation\": \"Update\"},\n"
		"       {\"apiVersion\": \"apps/v1\", \"manager\": \"kube-controller-manager\", \"operation\": \"Update\"}]}}\n"
		"]}\n";
	struct run r;
	const struct kup_finding *f;

	(void)state;
	scan_text(&r, dump, "1.16", NULL, NULL, NULL);
	assert_int_equal(r.errors, 0);
	assert_int_equal(kup_scan_count(r.scan), 2);
	f = kup_scan_at(r.scan, 0);
	assert_int_equal(f->src.type, KUP_SRC_LAST_APPLIED);
	assert_string_equal(f->api_version, "extensions/v1beta1");
	assert_string_equal(f->namespace_, "shop");
	assert_int_equal(f->src.line, 5);
	f = kup_scan_at(r.scan, 1);
	assert_int_equal(f->src.type, KUP_SRC_MANAGED_FIELDS);
	assert_string_equal(f->api_version, "apps/v1beta2");
	assert_string_equal(f->src.manager, "old-operator");
	assert_int_equal(f->src.line, 7);
	kup_scan_free(r.scan);
}

static void lists_nested_and_typed(void **state)
{
	const char *y =
		"apiVersion: v1\nkind: List\nitems:\n"
		"- apiVersion: extensions/v1beta1\n  kind: DeploymentList\n  items:\n"
		"  - apiVersion: extensions/v1beta1\n    kind: Deployment\n    metadata: {name: inner}\n"
		"- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: fine}\n";
	struct run r;

	(void)state;
	scan_text(&r, y, "1.16", NULL, NULL, NULL);
	assert_int_equal(kup_scan_count(r.scan), 2);
	assert_string_equal(kup_scan_at(r.scan, 0)->kind, "DeploymentList");
	assert_int_equal(kup_scan_at(r.scan, 0)->src.line, 4);
	assert_string_equal(kup_scan_at(r.scan, 1)->kind, "Deployment");
	assert_string_equal(kup_scan_at(r.scan, 1)->name, "inner");
	assert_int_equal(kup_scan_at(r.scan, 1)->src.line, 7);
	kup_scan_free(r.scan);
}

static void malformed_document_does_not_stop_the_rest(void **state)
{
	const char *y = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: a}\n---\n"
			"key: [unclosed\n---\n"
			"apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: b}\n";
	struct run r;

	(void)state;
	scan_text(&r, y, "1.25", NULL, NULL, NULL);
	assert_int_equal(r.errors, 1);
	assert_int_equal(kup_scan_count(r.scan), 2);
	assert_string_equal(kup_scan_at(r.scan, 1)->kind, "PodDisruptionBudget");
	assert_int_equal(kup_scan_at(r.scan, 1)->src.line, 7);
	kup_scan_free(r.scan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flowschema_replacement_follows_target),
		cmocka_unit_test(boundaries),
		cmocka_unit_test(from_limits_to_changes),
		cmocka_unit_test(addon_axis),
		cmocka_unit_test(levels),
		cmocka_unit_test(crd_declared_versions),
		cmocka_unit_test(dump_sources),
		cmocka_unit_test(lists_nested_and_typed),
		cmocka_unit_test(malformed_document_does_not_stop_the_rest),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
