/*
 * test_dump_pools.c - the dump readers derive the same node pools from the
 * same dump: a ClusterProfile (kup_profile_from_dump, `profile --from-dump`)
 * and a RolloutScenario (kup_ro_from_dump, `rollout scenario --from-dump`),
 * both through kup_dump_node_pool() with the KB's pool labels.  And which
 * provider a dump is: the knowledge base's `recognize` rows (data/<provider>.yaml),
 * checked on a copy of data/ whose rows were changed; plan's runbook and
 * provider names follow the copy's `service` rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include "kb_copy.h"

#include "kupgrade/dump.h"
#include "kupgrade/kb.h"
#include "kupgrade/kbrules.h"
#include "kupgrade/plan.h"
#include "kupgrade/profile.h"
#include "kupgrade/rollout.h"

struct pool { const char *name; unsigned nodes; };

static int cmp_pool(const void *a, const void *b)
{
	return strcmp(((const struct pool *)a)->name, ((const struct pool *)b)->name);
}

/* Pools of both readers for one dump file, sorted by name; returns how many
 * (the same for both, checked) and leaves them in prof[] and ro[]. */
static size_t both(const struct kup_kb *kb, const char *path, const char *version,
		   struct pool *prof, struct pool *ro, size_t cap, struct kup_profile **pp,
		   struct kup_ro_scenario **sp)
{
	const char *paths[] = { path, version };
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf yaml = KUP_BUF_INIT;
	char *text = NULL;
	size_t len = 0, i;

	assert_int_equal(kup_profile_from_dump(kb, paths, version ? 2 : 1, pp, &err), KUP_OK);
	assert_int_equal(kup_read_file(path, (size_t)1 << 26, &text, &len, &err), KUP_OK);
	if (kup_ro_from_dump(kb, text, len, path, &yaml, &err) != KUP_OK)
		fail_msg("%s: %s", path, err.msg ? err.msg : "?");
	assert_int_equal(kup_ro_scenario_parse(yaml.buf, yaml.len, "scenario", sp, &err), KUP_OK);
	assert_int_equal((*pp)->npools, (*sp)->npools);
	assert_true((*pp)->npools <= cap);
	for (i = 0; i < (*pp)->npools; i++) {
		prof[i].name = (*pp)->pools[i].name;
		prof[i].nodes = (*pp)->pools[i].count;
		ro[i].name = (*sp)->pools[i].name;
		ro[i].nodes = (unsigned)(*sp)->pools[i].nodes;
	}
	qsort(prof, (*pp)->npools, sizeof(*prof), cmp_pool);
	qsort(ro, (*sp)->npools, sizeof(*ro), cmp_pool);
	for (i = 0; i < (*pp)->npools; i++) {
		assert_string_equal(prof[i].name, ro[i].name);
		assert_int_equal(prof[i].nodes, ro[i].nodes);
	}
	free(text);
	kup_buf_release(&yaml);
	kup_error_release(&err);
	return (*pp)->npools;
}

static struct kup_kb *embedded(void)
{
	struct kup_kb *kb = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	assert_int_equal(kup_kb_load_embedded(&kb, &err), KUP_OK);
	kup_error_release(&err);
	return kb;
}

/* Every way of naming a pool, with the names each reader must find. */
static void test_every_label(void **state)
{
	static const struct pool want[] = {
		{ "control-plane", 1 }, { "default", 2 }, { "default-pool", 1 },
		{ "ng-general", 2 }, { "self-managed", 1 }, { "spot", 1 }, { "sys", 1 }, { "user", 1 },
	};
	struct kup_kb *kb = embedded();
	struct kup_profile *p = NULL;
	struct kup_ro_scenario *sc = NULL;
	struct pool prof[16], ro[16];
	size_t n, i;

	(void)state;
	n = both(kb, KUP_TEST_DATA "/dump/pools.yaml", NULL, prof, ro, 16, &p, &sc);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++) {
		assert_string_equal(prof[i].name, want[i].name);
		assert_int_equal(prof[i].nodes, want[i].nodes);
	}
	kup_profile_free(p);
	kup_ro_scenario_free(sc);
	kup_kb_free(kb);
}

/* The bundled dumps: AKS (system/user pools), kubeadm, the EKS example. */
static void test_bundled_dumps(void **state)
{
	static const char *const files[][2] = {
		{ KUP_TEST_DATA "/profile/aks-dump.yaml", NULL },
		{ KUP_TEST_DATA "/profile/kubeadm-dump.json", NULL },
		{ KUP_SOURCE_DIR "/examples/cluster/kubectl-get.json",
		  KUP_SOURCE_DIR "/examples/cluster/version.json" },
	};
	struct kup_kb *kb = embedded();
	size_t f;

	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct kup_profile *p = NULL;
		struct kup_ro_scenario *sc = NULL;
		struct pool prof[64], ro[64];

		assert_true(both(kb, files[f][0], files[f][1], prof, ro, 64, &p, &sc) > 0);
		kup_profile_free(p);
		kup_ro_scenario_free(sc);
	}
	kup_kb_free(kb);
}

/* The labels come from the KB: without one, no node is in a provider pool. */
static void test_labels_from_kb(void **state)
{
	struct kup_kb *kb = embedded();
	const struct kup_pool_label *pl;
	size_t i;
	bool eks = false, aks = false, gke = false;

	(void)state;
	for (i = 0; (pl = kup_kb_pool_label_at(kb, i)) != NULL; i++) {
		assert_non_null(pl->source);
		eks |= strcmp(pl->label, "eks.amazonaws.com/nodegroup") == 0;
		gke |= strcmp(pl->label, "cloud.google.com/gke-nodepool") == 0;
		aks |= strcmp(pl->label, "kubernetes.azure.com/agentpool") == 0;
	}
	assert_true(eks && gke && aks);
	/* the list rollout run --pool selects by: kupgrade's own, then the KB's, in order */
	assert_string_equal(kup_dump_pool_label_at(kb, 0), "kupgrade.dev/pool");
	for (i = 0; (pl = kup_kb_pool_label_at(kb, i)) != NULL; i++)
		assert_string_equal(kup_dump_pool_label_at(kb, i + 1), pl->label);
	assert_null(kup_dump_pool_label_at(kb, i + 1));
	assert_string_equal(kup_dump_pool_label_at(NULL, 0), "kupgrade.dev/pool");
	assert_null(kup_dump_pool_label_at(NULL, 1));
	kup_kb_free(kb);
}

/* The provider a dump is recognised as; *name (when not NULL): the profile's name, copied. */
static enum kup_provider provider_named(const struct kup_kb *kb, const char *path,
					const char *version, char *name, size_t cap)
{
	const char *paths[] = { path, version };
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	enum kup_provider out;

	if (kup_profile_from_dump(kb, paths, version ? 2 : 1, &p, &err) != KUP_OK)
		fail_msg("%s: %s", path, err.msg ? err.msg : "?");
	out = p->provider;
	if (name)
		snprintf(name, cap, "%s", p->name ? p->name : "");
	kup_profile_free(p);
	return out;
}

static enum kup_provider provider_of(const struct kup_kb *kb, const char *path, const char *version)
{
	return provider_named(kb, path, version, NULL, 0);
}

/* The runbook of an upgrade of a `provider` profile, as markdown (the caller frees it). */
static char *runbook_of(const struct kup_kb *kb, const char *provider)
{
	char text[512];
	struct kup_profile *p = NULL;
	struct kup_plan *plan = NULL;
	struct kup_plan_opts o;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf md = KUP_BUF_INIT;

	snprintf(text, sizeof(text),
		 "apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\nmetadata: {name: c}\n"
		 "spec:\n  provider: %s\n  controlPlane: {version: \"1.33.4\"}\n"
		 "  nodePools:\n    - {name: general, version: \"1.33.4\", count: 3}\n  addons: []\n",
		 provider);
	assert_int_equal(kup_profile_parse("p.yaml", text, strlen(text), &p, &err), KUP_OK);
	memset(&o, 0, sizeof(o));
	assert_int_equal(kup_version_parse("1.34", &o.target, &err), KUP_OK);
	o.today = "2026-12-07";
	if (kup_plan(kb, p, &o, &plan, &err) != KUP_OK)
		fail_msg("plan %s: %s", provider, err.msg ? err.msg : "?");
	assert_int_equal(kup_plan_render(plan, KUP_PLAN_MARKDOWN, &md), KUP_OK);
	kup_plan_free(plan);
	kup_profile_free(p);
	return kup_buf_detach(&md, NULL);
}

/* text with its one `from` replaced by `to` (text freed). */
static char *swap(char *text, const char *from, const char *to)
{
	char *at = strstr(text, from), *out;
	size_t n;

	if (!at)
		fail_msg("'%s' is not in the file", from);
	assert_null(strstr(at + 1, from));
	n = strlen(text) - strlen(from) + strlen(to) + 1;
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	free(text);
	return out;
}

/*
 * Recognition on the embedded KB: the bundled AKS, kubeadm and EKS dumps are
 * what their rows say, and a version names its provider.
 */
static void test_recognize_embedded(void **state)
{
	struct kup_kb *kb = embedded();
	const struct kup_recognize_rule *r;
	struct kup_version v;
	size_t i;

	(void)state;
	for (i = 0; (r = kup_kb_recognize_at(kb, i)) != NULL; i++)
		assert_non_null(r->source);
	assert_true(i >= 5);
	assert_int_equal(provider_of(kb, KUP_TEST_DATA "/profile/aks-dump.yaml", NULL), KUP_PROVIDER_AKS);
	assert_int_equal(provider_of(kb, KUP_TEST_DATA "/profile/kubeadm-dump.json", NULL),
			 KUP_PROVIDER_KUBEADM);
	assert_int_equal(provider_of(kb, KUP_SOURCE_DIR "/examples/cluster/kubectl-get.json",
				     KUP_SOURCE_DIR "/examples/cluster/version.json"), KUP_PROVIDER_EKS);
	assert_int_equal(kup_version_parse("v1.28.5-eks-6fd2b6a", &v, NULL), KUP_OK);
	assert_string_equal(kup_kb_version_provider(kb, &v), "eks");
	assert_int_equal(kup_version_parse("v1.29.4-gke.1043002", &v, NULL), KUP_OK);
	assert_string_equal(kup_kb_version_provider(kb, &v), "gke");
	assert_int_equal(kup_version_parse("v1.29.4", &v, NULL), KUP_OK);
	assert_null(kup_kb_version_provider(kb, &v));
	assert_string_equal(kup_kb_provider_display(kb, "eks"), "EKS");
	assert_true(kup_kb_provider_managed(kb, "aks"));
	assert_false(kup_kb_provider_managed(kb, "kubeadm"));
	kup_kb_free(kb);
}

/* test_recognize_copy's changes to data/ */
static char *recognize_edit(const char *name, char *text, void *ctx)
{
	(void)ctx;
	if (!strcmp(name, "aks.yaml")) {
		text = swap(text, "{node_label_prefix: kubernetes.azure.com/,",
			    "{node_label_prefix: example.invalid/,");
		text = swap(text, "service: {name: AKS, managed: true,",
			    "service: {name: AKS, managed: false,");
	}
	if (!strcmp(name, "kubeadm.yaml"))
		text = swap(text, "\nrecognize:\n",
			    "\nrecognize:\n  - {node_label_prefix: kubernetes.azure.com/, "
			    "source: https://example.invalid/kupgrade-test}\n");
	if (!strcmp(name, "eks.yaml")) {
		text = swap(text, "{version_prefix: \"eks-\",", "{version_prefix: \"eksx-\",");
		text = swap(text, "service: {name: EKS,", "service: {name: Amazon-EKS-test,");
		text = swap(text, "{label: alpha.eksctl.io/cluster-name,",
			    "{label: example.invalid/cluster-name,");
	}
	return text;
}

/*
 * A copy of data/ where AKS's label prefix moved to kubeadm's file, EKS's
 * version prefix changed, AKS is no longer managed and EKS has another
 * name: the same dumps and plans follow the copy.
 */
static void test_recognize_copy(void **state)
{
	char dir[] = "/tmp/kup-recognize-XXXXXX";
	struct kup_kb *kb = NULL, *emb = embedded();
	struct kup_version v;
	char *md;

	(void)state;
	kb = kb_copy_load(dir, recognize_edit, NULL);

	/* the AKS dump is kubeadm's now (its labels moved there), and AKS before with the embedded */
	assert_int_equal(provider_of(emb, KUP_TEST_DATA "/profile/aks-dump.yaml", NULL), KUP_PROVIDER_AKS);
	assert_int_equal(provider_of(kb, KUP_TEST_DATA "/profile/aks-dump.yaml", NULL),
			 KUP_PROVIDER_KUBEADM);
	/* a version no longer names EKS (serve's support-end metric reads the same row) */
	assert_int_equal(kup_version_parse("v1.28.5-eks-6fd2b6a", &v, NULL), KUP_OK);
	assert_null(kup_kb_version_provider(kb, &v));
	assert_int_equal(kup_version_parse("v1.28.5-eksx-6fd2b6a", &v, NULL), KUP_OK);
	assert_string_equal(kup_kb_version_provider(kb, &v), "eks");
	assert_string_equal(kup_kb_provider_display(kb, "eks"), "Amazon-EKS-test");

	/* the EKS example is named after eksctl's cluster-name label, only while the KB lists it */
	{
		char name[128];

		provider_named(emb, KUP_SOURCE_DIR "/examples/cluster/kubectl-get.json",
			       KUP_SOURCE_DIR "/examples/cluster/version.json", name, sizeof(name));
		assert_string_equal(name, "prod-eu-1");
		provider_named(kb, KUP_SOURCE_DIR "/examples/cluster/kubectl-get.json",
			       KUP_SOURCE_DIR "/examples/cluster/version.json", name, sizeof(name));
		assert_string_not_equal(name, "prod-eu-1");
	}

	/* the runbook's backup advice follows `managed` */
	md = runbook_of(emb, "aks");
	assert_non_null(strstr(md, "velero backup create"));
	assert_null(strstr(md, "etcdctl snapshot save"));
	free(md);
	md = runbook_of(kb, "aks");
	assert_non_null(strstr(md, "etcdctl snapshot save"));
	free(md);

	kup_kb_free(kb);
	kup_kb_free(emb);
	kb_copy_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_label),
		cmocka_unit_test(test_bundled_dumps),
		cmocka_unit_test(test_labels_from_kb),
		cmocka_unit_test(test_recognize_embedded),
		cmocka_unit_test(test_recognize_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
