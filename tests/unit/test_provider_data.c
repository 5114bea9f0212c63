/*
 * test_provider_data.c - one data row for each provider fact used twice.
 *
 * A provider's node pool upgrade defaults (data/<provider>.yaml,
 * node_upgrade) are what plan's runbook says about a pool roll and what the
 * rollout simulator's policy of that provider runs.  Checked on the
 * embedded knowledge base, then on a copy of data/ whose EKS, GKE and AKS
 * rows were changed: the runbook and the simulator both follow the copy.
 * `rollout tune`'s command for a tuned setting is the row's `setting`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include "kb_copy.h"

#include "kupgrade/kb.h"
#include "kupgrade/kbrules.h"
#include "kupgrade/plan.h"
#include "kupgrade/profile.h"
#include "kupgrade/rollout.h"

struct prov {
	const char *provider;
	const char *os;
	/* the change made in the copy: key of the default row and its new value */
	const char *key1, *val1, *key2, *val2;
};

static const struct prov provs[] = {
	{ "eks", "Amazon Linux 2023", "max_unavailable", "4", "drain_timeout", "1200" },
	{ "gke", "Container-Optimized OS from Google", "max_surge", "3", "drain_timeout", "1800" },
	{ "aks", "Ubuntu 22.04.5 LTS", "max_surge", "\"27%\"", "drain_timeout", "2700" },
};

static struct kup_plan *plan_of(const struct kup_kb *kb, const char *provider, const char *os)
{
	char text[1024];
	struct kup_profile *p = NULL;
	struct kup_plan *plan = NULL;
	struct kup_plan_opts o;
	struct kup_error err = KUP_ERROR_INIT;

	snprintf(text, sizeof(text),
		 "apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\nmetadata: {name: c}\n"
		 "spec:\n  provider: %s\n  controlPlane: {version: \"1.33.4\"}\n"
		 "  nodePools:\n    - {name: general, version: \"1.33.4\", count: 6, os: \"%s\", "
		 "containerRuntime: \"containerd://1.7.27\"}\n  addons: []\n", provider, os);
	assert_int_equal(kup_profile_parse("p.yaml", text, strlen(text), &p, &err), KUP_OK);
	memset(&o, 0, sizeof(o));
	assert_int_equal(kup_version_parse("1.34", &o.target, &err), KUP_OK);
	o.today = "2026-12-07";
	if (kup_plan(kb, p, &o, &plan, &err) != KUP_OK)
		fail_msg("plan %s: %s", provider, err.msg ? err.msg : "?");
	kup_error_release(&err);
	kup_profile_free(p);
	return plan;
}

static void count_str(char *b, size_t n, const char *field, const char *dflt,
		      const struct kup_node_count *c)
{
	snprintf(b, n, "%s %d%s", field ? field : dflt, c->value, c->pct ? "%" : "");
}

/*
 * The runbook of a plan with a pool roll names the default row's surge,
 * unavailable and drain timeout; the simulator's policy of the row has the
 * same knobs.  Returns the row.
 */
static const struct kup_pool_upgrade *check_same_row(const struct kup_kb *kb, const struct prov *pv)
{
	const struct kup_provider_rules *r = kup_kb_provider_rules(kb, pv->provider);
	const struct kup_pool_upgrade *u = kup_rules_pool_upgrade(r);
	struct kup_ro_policy pol;
	struct kup_plan *plan;
	struct kup_buf md = KUP_BUF_INIT;
	char want[160];

	assert_non_null(u);
	assert_ptr_equal(kup_kb_pool_upgrade(kb, u->policy), u);
	/* the simulator */
	assert_true(kup_ro_policy_with_kb(kb, u->policy, &pol));
	assert_int_equal(pol.max_surge.set, u->max_surge.set);
	assert_int_equal(pol.max_surge.pct, u->max_surge.pct);
	assert_int_equal(pol.max_surge.value, u->max_surge.value);
	assert_int_equal(pol.max_unavailable.set, u->max_unavailable.set);
	assert_int_equal(pol.max_unavailable.pct, u->max_unavailable.pct);
	assert_int_equal(pol.max_unavailable.value, u->max_unavailable.value);
	assert_true(pol.drain_timeout == u->drain_timeout);
	assert_int_equal(pol.on_timeout == KUP_RO_TIMEOUT_FORCE, u->on_timeout_force);
	assert_string_equal(pol.source, u->source);
	/* the runbook */
	plan = plan_of(kb, pv->provider, pv->os);
	assert_int_equal(kup_plan_render(plan, KUP_PLAN_MARKDOWN, &md), KUP_OK);
	assert_true(plan->node_rolls > 0);
	if (u->max_surge.set) {
		count_str(want, sizeof(want), u->surge_field, "maxSurge", &u->max_surge);
		if (!strstr(md.buf, want))
			fail_msg("%s runbook lacks '%s':\n%s", pv->provider, want, md.buf);
	}
	if (u->max_unavailable.set) {
		count_str(want, sizeof(want), u->unavailable_field, "maxUnavailable",
			  &u->max_unavailable);
		if (!strstr(md.buf, want))
			fail_msg("%s runbook lacks '%s':\n%s", pv->provider, want, md.buf);
	}
	snprintf(want, sizeof(want), "up to %.0f minutes per node", u->drain_timeout / 60);
	if (!strstr(md.buf, want))
		fail_msg("%s runbook lacks '%s':\n%s", pv->provider, want, md.buf);
	kup_buf_release(&md);
	kup_plan_free(plan);
	return u;
}

static void test_embedded(void **state)
{
	struct kup_kb *kb = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	size_t i;

	(void)state;
	assert_int_equal(kup_kb_load_embedded(&kb, &err), KUP_OK);
	for (i = 0; i < sizeof(provs) / sizeof(provs[0]); i++) {
		const struct kup_pool_upgrade *u = check_same_row(kb, &provs[i]);
		const struct kup_ro_policy *p = kup_ro_policy_find(u->policy);

		/* the simulator's table without a KB named: the embedded one */
		assert_non_null(p);
		assert_int_equal(p->max_surge.value, u->max_surge.value);
		assert_int_equal(p->max_unavailable.value, u->max_unavailable.value);
		assert_true(p->drain_timeout == u->drain_timeout);
	}
	/* kubeadm and generic pools are the user's: no provider default */
	assert_null(kup_rules_pool_upgrade(kup_kb_provider_rules(kb, "kubeadm")));
	assert_null(kup_rules_pool_upgrade(kup_kb_provider_rules(kb, "generic")));
	/* every data-backed simulator policy has its row */
	assert_non_null(kup_kb_pool_upgrade(kb, "gke-blue-green"));
	/* a provider's default policy is its file's first row (rollout tune --provider gke) */
	assert_string_equal(kup_ro_provider_policy("gke"),
			    kup_rules_pool_upgrade(kup_kb_provider_rules(kb, "gke"))->policy);
	assert_string_equal(kup_ro_provider_policy("gke"), "gke-surge");
	assert_string_equal(kup_ro_provider_policy("eks"), "eks");
	assert_string_equal(kup_ro_provider_policy("capi"), "capi");   /* not a KB provider */
	kup_kb_free(kb);
}

/* rollout tune's command for a tuned setting is the row's `setting`, filled in. */
static void test_tune_command(void **state)
{
	static const struct { const char *provider, *policy, *want; } cases[] = {
		{ "eks", "eks", "aws eks update-nodegroup-config --cluster-name <cluster> "
				"--nodegroup-name ng --update-config maxUnavailable=4" },
		{ "gke", "gke-surge", "gcloud container node-pools update ng --cluster <cluster> "
				      "--enable-surge-upgrade --max-surge-upgrade 3 "
				      "--max-unavailable-upgrade 4" },
		{ "gke", "gke-blue-green", "--standard-rollout-policy=batch-node-count=2,"
					   "batch-soak-duration=120s" },
		{ "aks", "aks", "az aks nodepool update --resource-group RESOURCE_GROUP --cluster-name "
				"<cluster> --name ng --max-surge 3 --max-unavailable 4" },
	};
	struct kup_kb *kb = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	size_t i;

	(void)state;
	assert_int_equal(kup_kb_load_embedded(&kb, &err), KUP_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kup_ro_tune t;
		struct kup_buf b = KUP_BUF_INIT;

		memset(&t, 0, sizeof(t));
		t.provider = cases[i].provider;
		assert_true(kup_ro_policy_with_kb(kb, cases[i].policy, &t.tuned));
		assert_ptr_equal(t.tuned.setting, kup_kb_pool_upgrade(kb, cases[i].policy)->setting);
		t.tuned.max_surge.set = t.tuned.max_unavailable.set = true;
		t.tuned.max_surge.pct = t.tuned.max_unavailable.pct = false;
		t.tuned.max_surge.value = 3;
		t.tuned.max_unavailable.value = 4;
		t.tuned.batch_nodes = 2;
		t.tuned.batch_soak = 120;
		kup_ro_tune_command(&t, "ng", &b);
		if (!b.buf || !strstr(b.buf, cases[i].want))
			fail_msg("%s: '%s', want '%s'", cases[i].policy, b.buf ? b.buf : "",
				 cases[i].want);
		kup_buf_release(&b);
	}
	kup_kb_free(kb);
}

/* In the first node_upgrade row of text, `key: OLD` becomes `key: val`. */
static char *set_key(char *text, const char *key, const char *val)
{
	char pat[64], *row = strstr(text, "\nnode_upgrade:"), *at, *eol, *out;
	size_t n;

	assert_non_null(row);
	snprintf(pat, sizeof(pat), "\n    %s: ", key);
	at = strstr(row, pat);
	assert_non_null(at);
	/* still the first row: the second row starts after it */
	{
		char *first = strstr(row, "\n  - "), *second = first ? strstr(first + 1, "\n  - ") : NULL;

		if (second && second < at)
			fail_msg("'%s' is not in the first node_upgrade row", key);
	}
	at += strlen(pat);
	eol = strchr(at, '\n');
	assert_non_null(eol);
	n = strlen(text) - (size_t)(eol - at) + strlen(val) + 1;
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, val, eol);
	free(text);
	return out;
}

/* test_copy_changes_both's changes to data/: two knobs of each provider's first node_upgrade row */
static char *provs_edit(const char *name, char *text, void *ctx)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < sizeof(provs) / sizeof(provs[0]); i++) {
		char want[32];

		snprintf(want, sizeof(want), "%s.yaml", provs[i].provider);
		if (strcmp(name, want) == 0) {
			text = set_key(text, provs[i].key1, provs[i].val1);
			text = set_key(text, provs[i].key2, provs[i].val2);
		}
	}
	return text;
}

static void test_copy_changes_both(void **state)
{
	char dir[] = "/tmp/kup-provdata-XXXXXX";
	struct kup_kb *emb = NULL, *kb = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	size_t i;

	(void)state;
	kb = kb_copy_load(dir, provs_edit, NULL);
	assert_int_equal(kup_kb_load_embedded(&emb, &err), KUP_OK);
	for (i = 0; i < sizeof(provs) / sizeof(provs[0]); i++) {
		const struct kup_pool_upgrade *u = check_same_row(kb, &provs[i]);
		const struct kup_pool_upgrade *e =
			kup_rules_pool_upgrade(kup_kb_provider_rules(emb, provs[i].provider));

		/* the copy really differs, in both changed knobs */
		assert_true(u->drain_timeout != e->drain_timeout);
		assert_true(u->drain_timeout == (double)atoi(provs[i].val2));
		if (!strcmp(provs[i].key1, "max_surge"))
			assert_true(u->max_surge.value != e->max_surge.value);
		else
			assert_true(u->max_unavailable.value != e->max_unavailable.value);
	}
	/* the simulator's table follows the KB it is given, and back */
	assert_int_equal(kup_ro_policies_from_kb(kb, &err), KUP_OK);
	assert_int_equal(kup_ro_policy_find("aks")->max_surge.value, 27);
	assert_true(kup_ro_policy_find("eks")->drain_timeout == 1200);
	assert_int_equal(kup_ro_policies_from_kb(NULL, &err), KUP_OK);   /* the embedded again */
	assert_int_equal(kup_ro_policy_find("aks")->max_surge.value,
			 kup_kb_pool_upgrade(emb, "aks")->max_surge.value);
	assert_int_equal(kup_ro_policies_from_kb(kb, &err), KUP_OK);
	assert_int_equal(kup_ro_policies_from_kb(emb, &err), KUP_OK);
	assert_int_equal(kup_ro_policy_find("aks")->max_surge.value,
			 kup_kb_pool_upgrade(emb, "aks")->max_surge.value);
	kup_kb_free(kb);
	kup_kb_free(emb);
	kb_copy_remove(dir);
}

/* A KB without a row for a data-backed policy is refused, the table kept. */
static void test_missing_row(void **state)
{
	struct kup_kb *kb = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_ro_policy pol;
	size_t n = 0;
	const struct kup_ro_policy *before = kup_ro_policy_find("aks");
	int64_t surge = before->max_surge.value;

	(void)state;
	assert_int_equal(kup_kb_load_dir(KUP_TEST_DATA "/plan-kb", &kb, NULL, &n), KUP_OK);
	if (kup_kb_pool_upgrade(kb, "aks"))
		skip();
	assert_false(kup_ro_policy_with_kb(kb, "aks", &pol));
	assert_int_equal(kup_ro_policies_from_kb(kb, &err), KUP_KB);
	assert_non_null(strstr(err.msg, "'eks'"));
	kup_error_release(&err);
	assert_int_equal(kup_ro_policy_find("aks")->max_surge.value, surge);
	/* a policy that is no provider's keeps its own defaults */
	assert_true(kup_ro_policy_with_kb(kb, "capi", &pol));
	assert_int_equal(pol.max_surge.value, 1);
	kup_kb_free(kb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded),
		cmocka_unit_test(test_copy_changes_both),
		cmocka_unit_test(test_missing_row),
		cmocka_unit_test(test_tune_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
