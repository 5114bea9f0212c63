/*
 * test_plan.c - the planner against the deterministic test KB of
 * tests/data/plan-kb/: path optimality (fewest node-pool rolls, then
 * steps), add-on intermediate versions, BLOCKED reasons, --keep-nodes,
 * target errors, risks at the right hop, renderers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/kb.h"
#include "kupgrade/kbplan.h"
#include "kupgrade/plan.h"
#include "kupgrade/profile.h"

static struct kup_kb *kb;

static int setup(void **state)
{
	size_t n = 0;

	(void)state;
	if (kup_kb_load_dir(KUP_TEST_DATA "/plan-kb", &kb, NULL, &n) != KUP_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kup_kb_free(kb);
	return 0;
}

/* Parses a profile from the text built with fmt, plans it to `to`. */
static struct kup_plan *plan_of(const char *to, bool keep, const char *profile)
{
	struct kup_profile *p = NULL;
	struct kup_plan *plan = NULL;
	struct kup_plan_opts o;
	struct kup_error err = KUP_ERROR_INIT;
	enum kup_status st;

	st = kup_profile_parse("test.yaml", profile, strlen(profile), &p, &err);
	if (st != KUP_OK)
		fprintf(stderr, "profile: %s\n", err.msg ? err.msg : "?");
	assert_int_equal(st, KUP_OK);
	memset(&o, 0, sizeof(o));
	assert_int_equal(kup_version_parse(to, &o.target, &err), KUP_OK);
	o.keep_nodes = keep;
	st = kup_plan(kb, p, &o, &plan, &err);
	if (st != KUP_OK)
		fprintf(stderr, "plan: %s\n", err.msg ? err.msg : "?");
	assert_int_equal(st, KUP_OK);
	kup_profile_free(p);
	kup_error_release(&err);
	return plan;
}

#define PROFILE(cp, pools, addons)                                                    \
	"apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\n"                   \
	"metadata: {name: test}\nspec:\n  provider: eks\n"                            \
	"  controlPlane: {version: \"" cp "\"}\n"                                     \
	"  nodePools:\n" pools "  addons:\n" addons
#define POOL(name, v) "    - {name: " name ", version: \"" v "\", count: 3}\n"
#define NO_ADDONS "    []\n"

/* "control-plane:1.28 nodepool/general:1.30 ..." - the plan's steps in order. */
static void steps_str(const struct kup_plan *p, char *buf, size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < p->nsteps && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s:%s", i ? " " : "",
					p->steps[i].component, p->steps[i].to);
}

static void assert_steps(const struct kup_plan *p, const char *want)
{
	char got[2048];

	steps_str(p, got, sizeof(got));
	assert_string_equal(got, want);
}

static bool has_blocker(const struct kup_plan *p, const char *msg)
{
	size_t i;

	for (i = 0; i < p->nblockers; i++)
		if (strstr(p->blockers[i].message, msg))
			return true;
	return false;
}

static const struct kup_plan_risk *risk(const struct kup_plan *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nrisks; i++)
		if (!strcmp(p->risks[i].id, id))
			return &p->risks[i];
	return NULL;
}

/* ---- node pools ------------------------------------------------------------- */

static void test_pool_rolls_once_at_the_end(void **state)
{
	struct kup_plan *p = plan_of("1.30", false,
		PROFILE("1.27.8", POOL("general", "1.27.3"), NO_ADDONS));

	(void)state;
	assert_steps(p, "control-plane:1.28 control-plane:1.29 control-plane:1.30 "
			"nodepool/general:1.30");
	assert_int_equal(p->node_rolls, 1);
	assert_int_equal(p->verdict, KUP_VERDICT_READY);
	assert_int_equal(kup_plan_exit_code(p), 0);
	assert_string_equal(p->steps[0].from, "1.27.8");
	assert_string_equal(p->steps[3].from, "1.27.3");
	assert_ptr_equal(kup_plan_next_step(p), &p->steps[0]);
	kup_plan_free(p);
}

static void test_pool_rolls_late_with_three_minor_skew(void **state)
{
	/* 1.26 under 1.27 -> 1.31: at 1.30 it would be 4 behind; roll at 1.29, then at the end */
	struct kup_plan *p = plan_of("1.31", false,
		PROFILE("1.27.8", POOL("general", "1.26.9"), NO_ADDONS));

	(void)state;
	assert_steps(p, "control-plane:1.28 control-plane:1.29 nodepool/general:1.29 "
			"control-plane:1.30 control-plane:1.31 nodepool/general:1.31");
	assert_int_equal(p->node_rolls, 2);
	assert_string_equal(p->steps[2].from, "1.26.9");
	assert_string_equal(p->steps[5].from, "1.29");
	kup_plan_free(p);
}

static void test_pool_two_minor_skew_before_1_25(void **state)
{
	/* the same shape under the pre-1.25 policy (2 minors) rolls mid-way */
	struct kup_plan *old = plan_of("1.24", false,
		PROFILE("1.21.5", POOL("general", "1.21.5"), NO_ADDONS));
	struct kup_plan *newer = plan_of("1.28", false,
		PROFILE("1.25.5", POOL("general", "1.25.5"), NO_ADDONS));

	(void)state;
	assert_steps(old, "control-plane:1.22 control-plane:1.23 nodepool/general:1.23 "
			  "control-plane:1.24 nodepool/general:1.24");
	assert_int_equal(old->node_rolls, 2);
	assert_steps(newer, "control-plane:1.26 control-plane:1.27 control-plane:1.28 "
			    "nodepool/general:1.28");
	assert_int_equal(newer->node_rolls, 1);
	kup_plan_free(old);
	kup_plan_free(newer);
}

static void test_keep_nodes(void **state)
{
	struct kup_plan *a = plan_of("1.31", true,
		PROFILE("1.27.8", POOL("general", "1.26.9") POOL("gpu", "1.27.1"), NO_ADDONS));

	(void)state;
	/* general must roll once (skew); gpu stays at 1.27 (4 behind 1.31 is too far: rolls at 1.30) */
	assert_steps(a, "control-plane:1.28 control-plane:1.29 nodepool/general:1.29 "
			"control-plane:1.30 nodepool/gpu:1.30 control-plane:1.31");
	assert_int_equal(a->node_rolls, 2);
	kup_plan_free(a);
	a = plan_of("1.30", true, PROFILE("1.27.8", POOL("general", "1.27.1"), NO_ADDONS));
	assert_steps(a, "control-plane:1.28 control-plane:1.29 control-plane:1.30");
	assert_int_equal(a->node_rolls, 0);
	kup_plan_free(a);
}

static void test_pool_too_far_behind_is_blocked(void **state)
{
	struct kup_plan *p = plan_of("1.29", false,
		PROFILE("1.28.4", POOL("general", "1.22.17"), NO_ADDONS));

	(void)state;
	assert_int_equal(p->verdict, KUP_VERDICT_BLOCKED);
	assert_int_equal(kup_plan_exit_code(p), 3);
	assert_true(has_blocker(p, "node pool general is at 1.22, more than 3 minors behind the "
				   "control plane 1.28: roll it before the first hop"));
	/* the plan still says what to do: roll first */
	assert_int_equal(p->steps[0].type, KUP_STEP_NODEPOOL);
	kup_plan_free(p);
}

static void test_pool_newer_than_cp_is_blocked(void **state)
{
	struct kup_plan *p = plan_of("1.28", false,
		PROFILE("1.27.8", POOL("general", "1.28.1"), NO_ADDONS));

	(void)state;
	assert_int_equal(p->verdict, KUP_VERDICT_BLOCKED);
	assert_true(has_blocker(p, "newer than the control plane 1.27"));
	kup_plan_free(p);
}

/* ---- add-ons ------------------------------------------------------------------ */

static void test_istio_one_minor_at_a_time(void **state)
{
	struct kup_plan *p = plan_of("1.31", false,
		PROFILE("1.27.8", POOL("general", "1.27.3"),
			"    - {name: istio, version: \"1.18.2\", upgradeMode: in-place}\n"));

	(void)state;
	/* the pool at 1.27 would be 4 behind 1.31: it rolls at 1.30, then ends at 1.31 */
	assert_steps(p, "istio:1.19 control-plane:1.28 istio:1.20 control-plane:1.29 "
			"istio:1.21 istio:1.22 control-plane:1.30 nodepool/general:1.30 "
			"istio:1.23 istio:1.24 control-plane:1.31 nodepool/general:1.31");
	assert_string_equal(p->steps[0].from, "1.18.2");
	assert_string_equal(p->steps[2].from, "1.19");
	assert_non_null(strstr(p->steps[0].reason, "at most 1 minor at a time"));
	assert_int_equal(p->verdict, KUP_VERDICT_READY);
	kup_plan_free(p);
}

static void test_istio_canary_two_minors(void **state)
{
	struct kup_plan *p = plan_of("1.31", false,
		PROFILE("1.27.8", POOL("general", "1.27.3"),
			"    - {name: istio, version: \"1.18.2\", upgradeMode: canary}\n"));

	(void)state;
	assert_steps(p, "istio:1.20 control-plane:1.28 control-plane:1.29 istio:1.22 "
			"control-plane:1.30 nodepool/general:1.30 istio:1.24 control-plane:1.31 "
			"nodepool/general:1.31");
	assert_non_null(strstr(p->steps[0].reason, "canary upgrades: at most 2 minors at a time"));
	kup_plan_free(p);
}

static void test_istio_unsupported_now_moves_first(void **state)
{
	/* 1.17 supports up to 1.26: on 1.27 it moves before anything else */
	struct kup_plan *p = plan_of("1.28", false,
		PROFILE("1.27.8", POOL("general", "1.27.3"),
			"    - {name: istio, version: \"1.17.2\"}\n"));

	(void)state;
	assert_steps(p, "istio:1.18 istio:1.19 control-plane:1.28 nodepool/general:1.28");
	assert_non_null(strstr(p->steps[0].reason, "does not support Kubernetes 1.27"));
	kup_plan_free(p);
}

static void test_any_hop_picks_fewest_moves(void **state)
{
	/* 3.27 would need a second move at 1.30; 3.28 covers 1.28-1.30 in one */
	struct kup_plan *p = plan_of("1.30", false,
		PROFILE("1.27.8", POOL("general", "1.27.3"),
			"    - {name: calico, version: \"3.25.1\"}\n"));

	(void)state;
	assert_steps(p, "control-plane:1.28 calico:3.28 control-plane:1.29 control-plane:1.30 "
			"nodepool/general:1.30");
	kup_plan_free(p);
}

static void test_gap_is_blocked(void **state)
{
	struct kup_plan *p = plan_of("1.28", false,
		PROFILE("1.26.3", POOL("general", "1.26.3"),
			"    - {name: gapmesh, version: \"1.0.4\"}\n"));

	(void)state;
	assert_int_equal(p->verdict, KUP_VERDICT_BLOCKED);
	assert_true(has_blocker(p, "no gapmesh release in the knowledge base supports both 1.26 "
				   "and 1.27"));
	assert_string_equal(p->blockers[0].id, "addon/gapmesh");
	kup_plan_free(p);
}

static void test_installed_too_new_is_tolerated(void **state)
{
	/* calico 3.29 starts at 1.29 in the test KB: running it on 1.27 is a warning, no move */
	struct kup_plan *p = plan_of("1.30", false,
		PROFILE("1.27.8", POOL("general", "1.27.3"),
			"    - {name: calico, version: \"3.29.0\"}\n"));

	(void)state;
	assert_steps(p, "control-plane:1.28 control-plane:1.29 control-plane:1.30 "
			"nodepool/general:1.30");
	assert_int_equal(p->nwarnings, 1);
	assert_non_null(strstr(p->warnings[0], "calico 3.29.0 is newer than what the knowledge "
					       "base lists for Kubernetes 1.27"));
	assert_int_equal(p->verdict, KUP_VERDICT_READY_WITH_WARNINGS);
	kup_plan_free(p);
}

static void test_unreachable_today_is_blocked(void **state)
{
	/* istio 1.20 stops at 1.29; on 1.30 only 1.22 fits, two minors away in place */
	struct kup_plan *p = plan_of("1.31", false,
		PROFILE("1.30.2", POOL("general", "1.30.2"),
			"    - {name: istio, version: \"1.20.3\"}\n"));

	(void)state;
	assert_int_equal(p->verdict, KUP_VERDICT_BLOCKED);
	assert_true(has_blocker(p, "istio 1.20.3 cannot reach a release that supports Kubernetes "
				   "1.30 (at most 1 minor per upgrade, in place), where the control "
				   "plane is today"));
	kup_plan_free(p);
	/* canary reaches 1.22 in one move */
	p = plan_of("1.31", false,
		PROFILE("1.30.2", POOL("general", "1.30.2"),
			"    - {name: istio, version: \"1.20.3\", upgradeMode: canary}\n"));
	assert_steps(p, "istio:1.22 istio:1.24 control-plane:1.31 nodepool/general:1.31");
	kup_plan_free(p);
}

static void test_follow_cp_addons_in_phase_one(void **state)
{
	struct kup_plan *p = plan_of("1.29", false,
		PROFILE("1.27.8", POOL("general", "1.27.3"),
			"    - {name: coredns, version: \"1.10.1\"}\n"
			"    - {name: kube-proxy, version: \"1.27.8\"}\n"));

	(void)state;
	/* CoreDNS 1.10.1 is also the 1.28 version: only the 1.29 hop moves it */
	assert_steps(p, "control-plane:1.28 kube-proxy:1.28 control-plane:1.29 coredns:1.11.1 "
			"kube-proxy:1.29 nodepool/general:1.29");
	kup_plan_free(p);
}

static void test_unknown_and_retired_addons(void **state)
{
	struct kup_plan *p = plan_of("1.28", false,
		PROFILE("1.27.8", POOL("general", "1.27.3"),
			"    - {name: frobnicator, version: \"0.3.1\"}\n"
			"    - {name: ingress-nginx, version: \"1.9.6\"}\n"));
	const struct kup_plan_risk *r;

	(void)state;
	assert_int_equal(p->nwarnings, 1);
	assert_string_equal(p->warnings[0],
			    "add-on frobnicator is not in the knowledge base, not checked");
	r = risk(p, "addon-retired/ingress-nginx");
	assert_non_null(r);
	assert_int_equal(r->severity, KUP_SEV_MEDIUM);
	assert_int_equal(p->verdict, KUP_VERDICT_READY_WITH_WARNINGS);
	assert_int_equal(kup_plan_exit_code(p), 2);
	kup_plan_free(p);
}

/* ---- target and risks ---------------------------------------------------------- */

static void test_target_errors(void **state)
{
	const char *prof = PROFILE("1.27.8", POOL("general", "1.27.3"), NO_ADDONS);
	struct kup_profile *p = NULL;
	struct kup_plan *plan = NULL;
	struct kup_plan_opts o;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	assert_int_equal(kup_profile_parse("t.yaml", prof, strlen(prof), &p, &err), KUP_OK);
	memset(&o, 0, sizeof(o));
	kup_version_parse("1.26", &o.target, &err);
	assert_int_equal(kup_plan(kb, p, &o, &plan, &err), KUP_INVALID);
	assert_null(plan);
	assert_non_null(strstr(err.msg, "below the current control plane 1.27"));
	assert_non_null(strstr(err.msg, "1.34"));
	kup_error_release(&err);
	kup_version_parse("1.40", &o.target, &err);
	assert_int_equal(kup_plan(kb, p, &o, &plan, &err), KUP_INVALID);
	assert_non_null(strstr(err.msg, "the newest version it knows is 1.34"));
	kup_error_release(&err);
	/* the same minor: nothing to do */
	kup_version_parse("1.27", &o.target, &err);
	assert_int_equal(kup_plan(kb, p, &o, &plan, &err), KUP_OK);
	assert_int_equal(plan->nsteps, 0);
	assert_null(kup_plan_next_step(plan));
	kup_plan_free(plan);
	kup_profile_free(p);
	kup_error_release(&err);
}

static void test_risks_at_their_hop(void **state)
{
	struct kup_plan *p = plan_of("1.25", false,
		PROFILE("1.23.4",
			"    - {name: old, version: \"1.23.4\", containerRuntime: \"docker://20.10.7\"}\n",
			NO_ADDONS));
	const struct kup_plan_risk *r;

	(void)state;
	r = risk(p, "test-dockershim");
	assert_non_null(r);
	assert_string_equal(r->at, "1.24");
	assert_int_equal(r->severity, KUP_SEV_HIGH);
	assert_non_null(strstr(r->evidence, "docker://20.10.7"));
	assert_null(risk(p, "test-low-1-29"));
	assert_int_equal(p->verdict, KUP_VERDICT_READY_WITH_WARNINGS);
	kup_plan_free(p);

	p = plan_of("1.30", false, PROFILE("1.28.1", POOL("general", "1.28.1"), NO_ADDONS));
	r = risk(p, "test-low-1-29");
	assert_non_null(r);
	assert_string_equal(r->at, "1.29");
	/* a low risk alone does not warn */
	assert_int_equal(p->verdict, KUP_VERDICT_READY);
	kup_plan_free(p);
}

static void test_manifests_step_before_the_removing_hop(void **state)
{
	const char *prof = PROFILE("1.23.4", POOL("general", "1.23.4"), NO_ADDONS);
	const char *paths[] = { KUP_TEST_DATA "/plan-manifests" };
	struct kup_profile *p = NULL;
	struct kup_plan *plan = NULL;
	struct kup_plan_opts o;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	assert_int_equal(kup_profile_parse("t.yaml", prof, strlen(prof), &p, &err), KUP_OK);
	memset(&o, 0, sizeof(o));
	kup_version_parse("1.25", &o.target, &err);
	o.manifests = paths;
	o.nmanifests = 1;
	assert_int_equal(kup_plan(kb, p, &o, &plan, &err), KUP_OK);
	assert_steps(plan, "control-plane:1.24 CronJob batch/v1beta1:batch/v1 control-plane:1.25 "
			   "nodepool/general:1.25");
	assert_int_equal(plan->steps[1].type, KUP_STEP_MANIFESTS);
	assert_non_null(strstr(plan->steps[1].reason, "kupgrade fix"));
	assert_non_null(strstr(plan->steps[1].reason, "cronjob.yaml:"));
	assert_int_equal(plan->verdict, KUP_VERDICT_BLOCKED);
	assert_string_equal(plan->blockers[0].id, "removed-api/kubernetes/batch/v1beta1/CronJob");
	/* the PodSecurityPolicy in the manifests is evidence for its risk */
	assert_non_null(risk(plan, "test-psp"));
	assert_string_equal(risk(plan, "test-psp")->at, "1.25");
	kup_plan_free(plan);
	kup_profile_free(p);
	kup_error_release(&err);
}

static struct kup_plan *plan_charts_of(const char *to, const char *pin, const char *profile)
{
	struct kup_profile *p = NULL;
	struct kup_plan *plan = NULL;
	struct kup_plan_opts o;
	struct kup_error err = KUP_ERROR_INIT;
	const char *pins[1] = { pin };

	assert_int_equal(kup_profile_parse("t.yaml", profile, strlen(profile), &p, &err), KUP_OK);
	memset(&o, 0, sizeof(o));
	kup_version_parse(to, &o.target, &err);
	o.chart_index = KUP_TEST_DATA "/plan-charts/index.yaml";
	o.pin_app = pins;
	o.npin_app = pin ? 1 : 0;
	assert_int_equal(kup_plan(kb, p, &o, &plan, &err), KUP_OK);
	kup_profile_free(p);
	kup_error_release(&err);
	return plan;
}

static bool has_warning(const struct kup_plan *p, const char *msg)
{
	size_t i;

	for (i = 0; i < p->nwarnings; i++)
		if (strstr(p->warnings[i], msg))
			return true;
	return false;
}

#define EKS_PROFILE(addons)                                                             \
	"apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\n"                     \
	"metadata: {name: c}\nspec:\n  provider: eks\n"                                 \
	"  controlPlane: {version: \"v1.27.8-eks-8cb36c9\"}\n"                           \
	"  nodePools:\n" POOL("general", "1.27.3") "  addons:\n" addons

static void test_charts_follow_the_addon_and_the_trap(void **state)
{
	/* ingress-nginx must reach 1.12 before 1.30 (1.9.6 stops at 1.29): chart 4.12.0 has
	 * kubeVersion '>=1.28.0', which Helm refuses on 1.29.0-eks-8cb36c9 */
	struct kup_plan *p = plan_charts_of("1.30", NULL, EKS_PROFILE(
		"    - {name: ingress-nginx, version: \"1.9.6\", chart: {name: ingress-nginx, "
		"version: \"4.9.1\"}}\n"));

	(void)state;
	assert_true(has_warning(p, "chart ingress-nginx 4.12.0 declares kubeVersion '>=1.28.0', "
				   "which Helm refuses on 1.29.0-eks-8cb36c9"));
	assert_true(has_warning(p, "no ingress-nginx chart in the index ships ingress-nginx 1.12"));
	kup_plan_free(p);
	/* pinned to the 1.11 line: the add-on moves to 1.11 and its chart to 4.11.3 */
	p = plan_charts_of("1.30", "ingress-nginx=~1.11.0", EKS_PROFILE(
		"    - {name: ingress-nginx, version: \"1.9.6\", chart: {name: ingress-nginx, "
		"version: \"4.9.1\"}}\n"));
	assert_steps(p, "control-plane:1.28 control-plane:1.29 ingress-nginx:1.11 "
			"ingress-nginx:4.11.3 control-plane:1.30 nodepool/general:1.30");
	assert_int_equal(p->steps[3].type, KUP_STEP_CHART);
	assert_string_equal(p->steps[3].from, "4.9.1");
	assert_int_equal(p->nwarnings, 0);
	kup_plan_free(p);
	/* a pin that leaves no release for 1.30 blocks, and says why */
	p = plan_charts_of("1.30", "ingress-nginx=~1.9.0", EKS_PROFILE(
		"    - {name: ingress-nginx, version: \"1.9.6\", chart: {name: ingress-nginx, "
		"version: \"4.9.1\"}}\n"));
	assert_int_equal(p->verdict, KUP_VERDICT_BLOCKED);
	assert_true(has_blocker(p, "(with --pin-app ingress-nginx=~1.9.0)"));
	kup_plan_free(p);
}

static void test_chart_must_move_when_kube_version_excludes(void **state)
{
	struct kup_plan *p = plan_charts_of("1.30", NULL, EKS_PROFILE(
		"    - {name: legacy, version: \"1.4.0\", chart: {name: legacy, version: \"1.4.0\"}}\n"));

	(void)state;
	/* '<1.29.0-0' stops matching at 1.29: the chart moves right after that hop */
	assert_steps(p, "control-plane:1.28 control-plane:1.29 legacy:2.1.0 control-plane:1.30 "
			"nodepool/general:1.30");
	assert_int_equal(p->steps[2].type, KUP_STEP_CHART);
	assert_non_null(strstr(p->steps[2].reason, "declares kubeVersion '>=1.20.0-0 <1.29.0-0', "
						   "which 1.29.0-eks-8cb36c9 does not satisfy"));
	kup_plan_free(p);
	/* an unknown chart is a warning */
	p = plan_charts_of("1.28", NULL, EKS_PROFILE(
		"    - {name: x, version: \"1.0\", chart: {name: nosuch, version: \"1.0.0\"}}\n"));
	assert_true(has_warning(p, "chart nosuch (add-on x) is not in the chart index, not checked"));
	kup_plan_free(p);
}

static struct kup_plan *plan_gke_on(const char *to, const char *today)
{
	const char *prof = "apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\n"
			   "metadata: {name: g}\nspec:\n  provider: gke\n"
			   "  controlPlane: {version: \"v1.30.4-gke.1348000\"}\n"
			   "  nodePools:\n" POOL("default", "1.30.4") "  addons: []\n";
	struct kup_profile *p = NULL;
	struct kup_plan *plan = NULL;
	struct kup_plan_opts o;
	struct kup_error err = KUP_ERROR_INIT;

	assert_int_equal(kup_profile_parse("t.yaml", prof, strlen(prof), &p, &err), KUP_OK);
	memset(&o, 0, sizeof(o));
	kup_version_parse(to, &o.target, &err);
	o.today = today;
	assert_int_equal(kup_plan(kb, p, &o, &plan, &err), KUP_OK);
	kup_profile_free(p);
	kup_error_release(&err);
	return plan;
}

static void test_provider_support_windows(void **state)
{
	struct kup_plan *p = plan_gke_on("1.31", "2025-06-01");
	const struct kup_plan_risk *r;

	(void)state;
	assert_null(risk(p, "provider-extended-support/gke-1.31"));
	kup_plan_free(p);
	p = plan_gke_on("1.31", "2026-01-15");
	r = risk(p, "provider-extended-support/gke-1.31");
	assert_non_null(r);
	assert_int_equal(r->severity, KUP_SEV_MEDIUM);
	assert_string_equal(r->at, "1.31");
	assert_non_null(strstr(r->message, "left standard support on 2025-10-01"));
	assert_non_null(strstr(r->mitigation, "up to gke 1.33"));
	kup_plan_free(p);
	p = plan_gke_on("1.31", "2026-11-21");
	r = risk(p, "provider-support-ended/gke-1.31");
	assert_non_null(r);
	assert_int_equal(r->severity, KUP_SEV_HIGH);
	kup_plan_free(p);
	/* beyond the provider's newest listed minor */
	p = plan_gke_on("1.34", "2026-11-21");
	assert_true(has_warning(p, "the knowledge base lists no gke 1.34 (its newest gke minor "
				   "is 1.33)"));
	kup_plan_free(p);
}

/* ---- optimality against an exhaustive search ------------------------------------ */

/*
 * A plain Dijkstra over every state (control-plane position, two pools'
 * minors, one add-on's release) with the lexicographic cost (rolls, steps),
 * written from the rules and nothing of plan.c: the planner's
 * constructive path must cost exactly the optimum, and be BLOCKED exactly
 * when no path exists.
 */
#define BF_POOLS 2
#define BF_MAXN 6
#define BF_SPAN 12          /* pool minors cp0-3 .. cp0+8 */
#define BF_MAXR 12

struct bf {
	int n, cp0, older[BF_MAXN + 1];
	const struct kup_addon_rule *a;
	int R, start, limit;
	bool fits[BF_MAXN + 1][BF_MAXR];     /* release may run at position k */
	bool lands[BF_MAXN + 1][BF_MAXR];    /* a move may land on it at position k */
};

static int bf_index(int k, const int *pool, int r)
{
	return ((k * BF_SPAN + pool[0]) * BF_SPAN + pool[1]) * BF_MAXR + r;
}

static bool bf_search(const struct bf *b, const int *pool0, int *rolls, int *steps)
{
	enum { N = (BF_MAXN + 1) * BF_SPAN * BF_SPAN * BF_MAXR };
	static int cost[N];
	static bool done[N];
	int i, target = b->cp0 + b->n;

	for (i = 0; i < N; i++) {
		cost[i] = 0x3fffffff;
		done[i] = false;
	}
	cost[bf_index(0, pool0, b->start)] = 0;
	for (;;) {
		int best = -1, k, r, pool[BF_POOLS], c, rest;

		for (i = 0; i < N; i++)
			if (!done[i] && cost[i] < 0x3fffffff && (best < 0 || cost[i] < cost[best]))
				best = i;
		if (best < 0)
			return false;
		done[best] = true;
		r = best % BF_MAXR;
		rest = best / BF_MAXR;
		pool[1] = rest % BF_SPAN;
		rest /= BF_SPAN;
		pool[0] = rest % BF_SPAN;
		k = rest / BF_SPAN;
		c = cost[best];
		/* pool minors are stored as offsets from cp0 - 3 */
		if (k == b->n && pool[0] == target - b->cp0 + 3 && pool[1] == target - b->cp0 + 3 &&
		    b->fits[k][r]) {
			*rolls = c / 1000;
			*steps = c % 1000;
			return true;
		}
#define RELAX(kk, p0, p1, rr, add)                                              \
		do {                                                                    \
			int np_[BF_POOLS] = { (p0), (p1) }, j_ = bf_index((kk), np_, (rr)); \
			if (c + (add) < cost[j_])                                           \
				cost[j_] = c + (add);                                       \
		} while (0)
		if (k < b->n && b->fits[k][r] && b->fits[k + 1][r] &&
		    b->cp0 + k + 1 - (pool[0] + b->cp0 - 3) <= b->older[k + 1] &&
		    b->cp0 + k + 1 - (pool[1] + b->cp0 - 3) <= b->older[k + 1])
			RELAX(k + 1, pool[0], pool[1], r, 1);
		for (i = 0; i < BF_POOLS; i++) {
			int v;

			for (v = pool[i] + 1; v <= k + 3; v++)
				RELAX(k, i == 0 ? v : pool[0], i == 1 ? v : pool[1], r, 1001);
		}
		for (i = r + 1; i < b->R; i++) {
			const struct kup_version *x = &b->a->releases[r].version;
			const struct kup_version *y = &b->a->releases[i].version;
			int d = x->major == y->major ? y->minor - x->minor : i - r;

			if (b->limit > 0 && d > b->limit)
				break;
			if (b->lands[k][i])
				RELAX(k, pool[0], pool[1], i, 1);
		}
#undef RELAX
	}
}

static void test_optimal_against_exhaustive_search(void **state)
{
	static const char *const addons[] = { "istio", "istio", "calico", "gapmesh" };
	uint64_t seed = 42;
	int trial, checked = 0, blocked = 0;

	(void)state;
	for (trial = 0; trial < 150; trial++) {
		struct bf b;
		char prof[1024], to[16];
		int cp0, n, pool0[BF_POOLS], i, k, rolls = 0, steps = 0, ver;
		const char *name;
		bool canary, found;
		struct kup_plan *p;
		struct kup_version v;
		unsigned psteps = 0;

#define RND() (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL, (int)(seed >> 33))
		memset(&b, 0, sizeof(b));
		cp0 = 24 + RND() % 6;
		n = RND() % 5;
		if (cp0 + n > 31)
			n = 31 - cp0;
		name = addons[RND() % 4];
		canary = RND() % 3 == 0;
		b.a = kup_kb_find_addon(kb, name);
		assert_non_null(b.a);
		b.R = (int)b.a->nreleases;
		b.start = RND() % b.R;
		b.n = n;
		b.cp0 = cp0;
		b.limit = b.a->hop == KUP_HOP_MINORS ? (canary ? b.a->max_hop_canary : b.a->max_hop) : -1;
		for (k = 0; k <= n; k++) {
			memset(&v, 0, sizeof(v));
			v.valid = true;
			v.major = 1;
			v.minor = cp0 + k;
			b.older[k] = kup_kb_skew_older(kb, "kubelet", &v);
			for (i = 0; i < b.R; i++) {
				const struct kup_addon_release *rel = &b.a->releases[i];
				bool sup = kup_addon_release_supports(rel, &v);
				bool low = rel->k8s_min.valid && kup_version_cmp_minor(&v, &rel->k8s_min) < 0;

				b.lands[k][i] = sup;
				b.fits[k][i] = sup || (i == b.start && low);
			}
		}
		/* pools within skew today */
		for (i = 0; i < BF_POOLS; i++)
			pool0[i] = 3 - RND() % (b.older[0] + 1);
		ver = b.a->releases[b.start].version.minor;
		snprintf(prof, sizeof(prof),
			 "apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\n"
			 "metadata: {name: bf}\nspec:\n  provider: generic\n"
			 "  controlPlane: {version: \"1.%d.1\"}\n  nodePools:\n"
			 "    - {name: a, version: \"1.%d.1\"}\n    - {name: b, version: \"1.%d.1\"}\n"
			 "  addons:\n    - {name: %s, version: \"%d.%d.0\", upgradeMode: %s}\n",
			 cp0, cp0 - 3 + pool0[0], cp0 - 3 + pool0[1], name,
			 b.a->releases[b.start].version.major, ver, canary ? "canary" : "in-place");
		snprintf(to, sizeof(to), "1.%d", cp0 + n);
		found = bf_search(&b, pool0, &rolls, &steps);
		p = plan_of(to, false, prof);
		for (i = 0; i < (int)p->nsteps; i++)
			psteps++;
		if (!found) {
			assert_int_equal(p->verdict, KUP_VERDICT_BLOCKED);
			blocked++;
		} else {
			if (p->node_rolls != (unsigned)rolls || psteps != (unsigned)steps)
				fprintf(stderr, "trial %d: %s", trial, prof);
			assert_int_not_equal(p->verdict, KUP_VERDICT_BLOCKED);
			assert_int_equal(p->node_rolls, rolls);
			assert_int_equal(psteps, steps);
			checked++;
		}
		kup_plan_free(p);
#undef RND
	}
	/* the trials cover both outcomes */
	assert_true(checked > 50);
	assert_true(blocked > 5);
}

/* ---- renderers ----------------------------------------------------------------- */

static void test_render_json_and_escaping(void **state)
{
	struct kup_plan *p = plan_of("1.28", false,
		"apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\n"
		"metadata: {name: x}\nspec:\n  provider: eks\n"
		"  controlPlane: {version: \"1.27.8\"}\n"
		"  nodePools:\n" POOL("general", "1.27.3")
		"  addons:\n    - {name: istio, version: \"1.18.2\"}\n");
	struct kup_buf b = KUP_BUF_INIT;

	(void)state;
	/* a profile name cannot hold these (profile.c), a cluster named after the
	 * profile's file path can: every renderer escapes it */
	p->cluster = "<b>\"x&y";
	assert_int_equal(kup_plan_render(p, KUP_PLAN_JSON, &b), KUP_OK);
	assert_non_null(strstr(b.buf, "\"schema_version\": 1"));
	assert_non_null(strstr(b.buf, "\"cluster\": \"<b>\\\"x&y\""));
	assert_non_null(strstr(b.buf, "\"verdict\": \"READY\""));
	assert_non_null(strstr(b.buf, "\"type\": \"addon\""));
	assert_non_null(strstr(b.buf, "\"component\": \"istio\""));
	assert_non_null(strstr(b.buf, "\"from\": \"1.18.2\""));
	assert_non_null(strstr(b.buf, "\"blockers\": []"));
	kup_buf_reset(&b);
	assert_int_equal(kup_plan_render(p, KUP_PLAN_HTML, &b), KUP_OK);
	assert_null(strstr(b.buf, "<b>"));
	assert_non_null(strstr(b.buf, "&lt;b&gt;&quot;x&amp;y"));
	assert_null(strstr(b.buf, "src="));
	assert_null(strstr(b.buf, "<link"));
	assert_non_null(strstr(b.buf, "Phase II: node pools"));
	kup_buf_reset(&b);
	assert_int_equal(kup_plan_render(p, KUP_PLAN_MARKDOWN, &b), KUP_OK);
	assert_non_null(strstr(b.buf, "## Pre-upgrade"));
	assert_non_null(strstr(b.buf, "## Hop 1: 1.27.8 to 1.28"));
	assert_non_null(strstr(b.buf, "### Phase I: control plane"));
	assert_non_null(strstr(b.buf, "- [ ] 1. **istio** 1.18.2 → 1.19"));
	assert_non_null(strstr(b.buf, "## Post-upgrade"));
	assert_non_null(strstr(b.buf, "\\<b\\>"));
	kup_buf_reset(&b);
	assert_int_equal(kup_plan_render(p, KUP_PLAN_TEXT, &b), KUP_OK);
	assert_non_null(strstr(b.buf, ": READY\n"));
	kup_buf_release(&b);
	assert_string_equal(kup_verdict_name(KUP_VERDICT_READY_WITH_WARNINGS), "READY_WITH_WARNINGS");
	assert_string_equal(kup_step_type_name(KUP_STEP_CONTROL_PLANE), "control-plane");
	assert_string_equal(kup_severity_name(KUP_SEV_MEDIUM), "medium");
	kup_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_rolls_once_at_the_end),
		cmocka_unit_test(test_pool_rolls_late_with_three_minor_skew),
		cmocka_unit_test(test_pool_two_minor_skew_before_1_25),
		cmocka_unit_test(test_keep_nodes),
		cmocka_unit_test(test_pool_too_far_behind_is_blocked),
		cmocka_unit_test(test_pool_newer_than_cp_is_blocked),
		cmocka_unit_test(test_istio_one_minor_at_a_time),
		cmocka_unit_test(test_istio_canary_two_minors),
		cmocka_unit_test(test_istio_unsupported_now_moves_first),
		cmocka_unit_test(test_any_hop_picks_fewest_moves),
		cmocka_unit_test(test_gap_is_blocked),
		cmocka_unit_test(test_installed_too_new_is_tolerated),
		cmocka_unit_test(test_unreachable_today_is_blocked),
		cmocka_unit_test(test_follow_cp_addons_in_phase_one),
		cmocka_unit_test(test_unknown_and_retired_addons),
		cmocka_unit_test(test_target_errors),
		cmocka_unit_test(test_risks_at_their_hop),
		cmocka_unit_test(test_manifests_step_before_the_removing_hop),
		cmocka_unit_test(test_charts_follow_the_addon_and_the_trap),
		cmocka_unit_test(test_chart_must_move_when_kube_version_excludes),
		cmocka_unit_test(test_provider_support_windows),
		cmocka_unit_test(test_optimal_against_exhaustive_search),
		cmocka_unit_test(test_render_json_and_escaping),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
