/*
 * test_dump_pools.c - the dump readers derive the same node pools from the
 * same dump: a ClusterProfile (kup_profile_from_dump, `profile --from-dump`)
 * and a RolloutScenario (kup_ro_from_dump, `rollout scenario --from-dump`),
 * both through kup_dump_node_pool() with the KB's pool labels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/dump.h"
#include "kupgrade/kb.h"
#include "kupgrade/kbrules.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_label),
		cmocka_unit_test(test_bundled_dumps),
		cmocka_unit_test(test_labels_from_kb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
