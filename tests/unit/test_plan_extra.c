/*
 * test_plan_extra.c - kup_plan_opts.extra_risks / extra_blockers (the
 * pre-flight findings `plan` carries in from a dump or a live cluster):
 * copied into the plan, deduplicated by id, `at` defaulting to the current
 * control-plane minor, counted in the verdict and rendered like the others.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/kb.h"
#include "kupgrade/plan.h"
#include "kupgrade/profile.h"

static struct kup_kb *kb;

static int setup(void **state)
{
	size_t n = 0;

	(void)state;
	return kup_kb_load_dir(KUP_TEST_DATA "/plan-kb", &kb, NULL, &n) == KUP_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	kup_kb_free(kb);
	return 0;
}

#define PROFILE                                                                       \
	"apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\n"                   \
	"metadata: {name: test}\nspec:\n  provider: eks\n"                            \
	"  controlPlane: {version: \"1.28.3\"}\n"                                     \
	"  nodePools:\n    - {name: general, version: \"1.28.3\", count: 3}\n"        \
	"  addons: []\n"

static struct kup_plan *plan_with(const struct kup_plan_risk *r, size_t nr,
				  const struct kup_plan_blocker *b, size_t nb)
{
	struct kup_profile *p = NULL;
	struct kup_plan *plan = NULL;
	struct kup_plan_opts o;
	struct kup_error err = KUP_ERROR_INIT;

	assert_int_equal(kup_profile_parse("test.yaml", PROFILE, strlen(PROFILE), &p, &err), KUP_OK);
	memset(&o, 0, sizeof(o));
	assert_int_equal(kup_version_parse("1.28", &o.target, &err), KUP_OK);
	o.today = "2024-06-01";      /* provider support windows: a fixed day */
	o.extra_risks = r;
	o.nextra_risks = nr;
	o.extra_blockers = b;
	o.nextra_blockers = nb;
	assert_int_equal(kup_plan(kb, p, &o, &plan, &err), KUP_OK);
	kup_profile_free(p);
	kup_error_release(&err);
	return plan;
}

static const struct kup_plan_risk *risk(const struct kup_plan *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nrisks; i++)
		if (!strcmp(p->risks[i].id, id))
			return &p->risks[i];
	return NULL;
}

static void test_none_is_ready(void **state)
{
	struct kup_plan *p = plan_with(NULL, 0, NULL, 0);

	(void)state;
	assert_int_equal(p->verdict, KUP_VERDICT_READY);
	assert_int_equal(p->nblockers, 0);
	kup_plan_free(p);
}

static void test_risks_copied_and_counted(void **state)
{
	char id[64], msg[64];
	struct kup_plan_risk r[3];
	struct kup_plan *p;
	const struct kup_plan_risk *got;

	(void)state;
	memset(r, 0, sizeof(r));
	/* strings that die before the plan is read: the plan must hold copies */
	snprintf(id, sizeof(id), "preflight/pdb-blocking/shop/web");
	snprintf(msg, sizeof(msg), "allows 0 disruptions now");
	r[0].id = id;
	r[0].severity = KUP_SEV_HIGH;
	r[0].message = msg;
	r[0].evidence = "PodDisruptionBudget shop/web (policy/v1)";
	r[0].mitigation = "relax it";
	r[0].source = "https://kubernetes.io/docs/tasks/run-application/configure-pdb/";
	r[1] = r[0];                    /* the same id twice: kept once */
	r[2].id = "preflight/image-registry/shop/api";
	r[2].severity = KUP_SEV_LOW;
	r[2].at = "1.28";
	r[2].message = "image from docker.io";
	p = plan_with(r, 3, NULL, 0);
	memset(id, 'x', sizeof(id) - 1);
	memset(msg, 'x', sizeof(msg) - 1);
	got = risk(p, "preflight/pdb-blocking/shop/web");
	assert_non_null(got);
	assert_string_equal(got->message, "allows 0 disruptions now");
	assert_string_equal(got->at, "1.28");      /* the current control plane */
	assert_string_equal(got->evidence, "PodDisruptionBudget shop/web (policy/v1)");
	assert_non_null(risk(p, "preflight/image-registry/shop/api"));
	assert_int_equal(p->nrisks, 2);
	/* a high risk makes the plan READY_WITH_WARNINGS, not BLOCKED */
	assert_int_equal(p->verdict, KUP_VERDICT_READY_WITH_WARNINGS);
	kup_plan_free(p);
}

static void test_low_risk_alone_stays_ready(void **state)
{
	struct kup_plan_risk r;
	struct kup_plan *p;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.id = "preflight/x/y";
	r.severity = KUP_SEV_LOW;
	r.message = "m";
	p = plan_with(&r, 1, NULL, 0);
	assert_int_equal(p->verdict, KUP_VERDICT_READY);
	assert_int_equal(p->nrisks, 1);
	kup_plan_free(p);
}

static void test_blocker_blocks_and_renders(void **state)
{
	struct kup_plan_blocker b = { "preflight/webhook-unavailable/hooks",
				       "ValidatingWebhookConfiguration hooks: no ready endpoint" };
	struct kup_buf out = KUP_BUF_INIT;
	struct kup_plan *p;

	(void)state;
	p = plan_with(NULL, 0, &b, 1);
	assert_int_equal(p->verdict, KUP_VERDICT_BLOCKED);
	assert_int_equal(kup_plan_exit_code(p), 3);
	assert_int_equal(p->nblockers, 1);
	assert_ptr_not_equal(p->blockers[0].id, b.id);
	assert_int_equal(kup_plan_render(p, KUP_PLAN_JSON, &out), KUP_OK);
	assert_non_null(strstr(out.buf, "\"id\": \"preflight/webhook-unavailable/hooks\""));
	assert_non_null(strstr(out.buf, "\"verdict\": \"BLOCKED\""));
	kup_buf_release(&out);
	kup_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_is_ready),
		cmocka_unit_test(test_risks_copied_and_counted),
		cmocka_unit_test(test_low_risk_alone_stays_ready),
		cmocka_unit_test(test_blocker_blocks_and_renders),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
