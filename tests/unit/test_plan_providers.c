/*
 * test_plan_providers.c - plans that the provider (or kubeadm) accepts.
 *
 * Every plan made here (the profiles of tests/data/plan-providers at every
 * target, 600 seeded profiles of kubeadm, EKS, GKE and AKS clusters, and
 * every profile a `plan` case of tests/cases names, at its --to) is
 * replayed step by step against rules written from the sources, not from
 * the planner:
 *  - kubeadm: before `kubeadm upgrade apply vX`, every kubelet (the
 *    control-plane nodes' too) is at most 1 minor behind X up to 1.28 and 3
 *    from 1.29 (policy.go detectTooOldKubelets; kubernetes#120825), and the
 *    upstream policy holds (2 for kubelets older than 1.25);
 *  - GKE and AKS: node pools at most 2 minors behind the control plane;
 *  - EKS: every add-on step to an EKS add-on names the version EKS publishes
 *    for the cluster version it runs under;
 *  - no pool is ever rolled onto a minor its OS image (EKS AL2: 1.32) or its
 *    runtime (docker: 1.23) cannot run, unless the step replaces it.
 * The KB's rows are checked against the same facts, so editing the data
 * without the sources fails here too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "kupgrade/kb.h"
#include "kupgrade/kbplan.h"
#include "kupgrade/kbrules.h"
#include "kupgrade/plan.h"
#include "kupgrade/profile.h"

static struct kup_kb *kb;       /* the embedded KB */
static struct kup_kb *testkb;   /* tests/data/plan-kb */
static unsigned checked_plans, checked_hops, checked_addon_steps, checked_replacements;

static int setup(void **state)
{
	struct kup_error err = KUP_ERROR_INIT;
	size_t n = 0;

	(void)state;
	if (kup_kb_load_embedded(&kb, &err) != KUP_OK)
		return -1;
	return kup_kb_load_dir(KUP_TEST_DATA "/plan-kb", &testkb, NULL, &n) == KUP_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	kup_kb_free(kb);
	kup_kb_free(testkb);
	return 0;
}

static struct kup_version ver(const char *s)
{
	struct kup_version v;
	struct kup_error err = KUP_ERROR_INIT;

	assert_int_equal(kup_version_parse(s, &v, &err), KUP_OK);
	kup_error_release(&err);
	return v;
}

static struct kup_profile *parse(const char *text)
{
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	if (kup_profile_parse("test.yaml", text, strlen(text), &p, &err) != KUP_OK)
		fail_msg("profile: %s\n%s", err.msg ? err.msg : "?", text);
	kup_error_release(&err);
	return p;
}

static struct kup_profile *load(const char *name)
{
	char path[512];
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	snprintf(path, sizeof(path), "%s/plan-providers/%s", KUP_TEST_DATA, name);
	assert_int_equal(kup_profile_load(path, &p, &err), KUP_OK);
	kup_error_release(&err);
	return p;
}

static struct kup_plan *plan_to(const struct kup_kb *k, const struct kup_profile *p,
				const char *to)
{
	struct kup_plan *plan = NULL;
	struct kup_plan_opts o;
	struct kup_error err = KUP_ERROR_INIT;

	memset(&o, 0, sizeof(o));
	o.target = ver(to);
	o.today = "2026-12-07";
	if (kup_plan(k, p, &o, &plan, &err) != KUP_OK)
		fail_msg("plan to %s: %s", to, err.msg ? err.msg : "?");
	kup_error_release(&err);
	return plan;
}

/* The end of life the KB gives minor 1.m (the data may be corrected; the planner must say it). */
static const char *eol_of(int m)
{
	size_t i;

	for (i = 0; i < kup_kb_release_count(kb); i++) {
		const struct kup_release *r = kup_kb_release_at(kb, i);

		if (r->version.major == 1 && r->version.minor == m)
			return r->end_of_life;
	}
	fail_msg("no release 1.%d in the KB", m);
	return NULL;
}

static bool has_text(const char *hay, const char *a, const char *b)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s%s", a, b);
	return hay && strstr(hay, buf);
}

/* ---- the rules, written from the sources ------------------------------------------- */

/* kubeadm's MaximumAllowedMinorVersionKubeletSkew for `kubeadm upgrade apply` to minor m. */
static int kubeadm_skew(int m)
{
	return m <= 28 ? 1 : 3;
}

/* The upstream policy: 3 minors, 2 for a kubelet older than 1.25. */
static bool upstream_ok(int cp, int kubelet)
{
	if (kubelet > cp)
		return false;
	return cp - kubelet <= (kubelet < 25 ? 2 : 3);
}

/* The last minor an OS image runs on EKS (AL2: 1.32), or 1000. */
static int os_last(const char *provider, const char *os)
{
	if (!os || strcmp(provider, "eks"))
		return 1000;
	if (!strncasecmp(os, "Amazon Linux 2", 14) && (os[14] == '\0' || os[14] == ' '))
		return 32;
	return 1000;
}

static int runtime_last(const char *rt)
{
	return rt && !strncasecmp(rt, "docker://", 9) ? 23 : 1000;
}

struct sim_pool {
	const char *name;
	int minor;
	const char *os;
	const char *runtime;
};

/* The pool a nodepool step names ("nodepool/NAME"). */
static struct sim_pool *find_pool(struct sim_pool *pools, size_t n, const char *comp)
{
	size_t i;

	if (strncmp(comp, "nodepool/", 9))
		return NULL;
	for (i = 0; i < n; i++)
		if (!strcmp(pools[i].name, comp + 9))
			return &pools[i];
	return NULL;
}

static int minor_of(const char *s)
{
	struct kup_version v = ver(s);

	return v.minor;
}

/*
 * Replays `plan` of profile `p` and checks the provider's rules at every
 * step; `what` names the case in failure messages.
 */
static unsigned checked_channels, blocked_by_channel, checked_patches, checked_images;

/*
 * A GKE or AKS control-plane or node pool step's provider_version, when
 * present: a patch of the step's `to` minor that the provider names for the
 * cluster's channel, or (a node pool) a node image version the provider
 * names for the pool's OS family at that minor.
 */
static void check_provider_version(const struct kup_profile *p, const struct kup_plan_step *s,
				   const char *pool_os, const char *what)
{
	const struct kup_provider_rules *r = kup_kb_provider_rules(kb, kup_provider_name(p->provider));
	const struct kup_provider_patch *pt;
	struct kup_version to = ver(s->to);
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "%s.", s->to);
	if (!strncmp(s->provider_version, prefix, strlen(prefix))) {
		pt = kup_rules_patch(r, &to, p->channel);
		if (!pt || strcmp(pt->version_text, s->provider_version))
			fail_msg("%s: step %u: %s is not the patch %s names for %s%s%s", what, s->order,
				 s->provider_version, kup_provider_name(p->provider), s->to,
				 p->channel ? " on channel " : "", p->channel ? p->channel : "");
		checked_patches++;
		return;
	}
	if (s->type == KUP_STEP_NODEPOOL) {
		const struct kup_node_image_rule *img = kup_rules_node_image(r, pool_os);
		const struct kup_node_image_version *iv =
			img ? kup_rules_image_version(r, img->family, &to) : NULL;

		if (iv && !strcmp(iv->version, s->provider_version)) {
			checked_images++;
			return;
		}
	}
	fail_msg("%s: step %u: provider_version %s is neither a %s patch nor a node image for it",
		 what, s->order, s->provider_version, s->to);
}

static void check_plan(const struct kup_profile *p, const struct kup_plan *plan,
		       const char *what)
{
	const char *prov = kup_provider_name(p->provider);
	const struct kup_provider_rules *eks = kup_kb_provider_rules(kb, "eks");
	struct sim_pool pools[16];
	size_t n = 0, i, j;
	int cp = p->control_plane.minor;
	bool kubeadm = p->provider == KUP_PROVIDER_KUBEADM, have_cp_pool = false;

	checked_plans++;
	for (i = 0; i < p->npools && n < 15; i++) {
		pools[n].name = p->pools[i].name;
		pools[n].minor = p->pools[i].version.minor;
		if (p->pools[i].kube_proxy.valid && p->pools[i].kube_proxy.minor < pools[n].minor)
			pools[n].minor = p->pools[i].kube_proxy.minor;
		pools[n].os = p->pools[i].os;
		pools[n].runtime = p->pools[i].runtime;
		have_cp_pool |= !strcmp(pools[n].name, "control-plane");
		n++;
	}
	if (kubeadm && !have_cp_pool) {
		/* the control-plane nodes' kubelets run the control plane's minor */
		pools[n].name = "control-plane";
		pools[n].minor = cp;
		pools[n].os = NULL;
		pools[n].runtime = NULL;
		n++;
	}
	if (plan->verdict == KUP_VERDICT_BLOCKED)
		return;   /* a blocked plan is not run */
	if (p->provider == KUP_PROVIDER_GKE && p->channel) {
		/* a cluster in a release channel only moves to minors the channel offers */
		const struct kup_channel_rule *ch =
			kup_rules_channel(kup_kb_provider_rules(kb, "gke"), p->channel);

		assert_non_null(ch);
		for (i = 0; i < plan->nsteps; i++)
			if (plan->steps[i].type == KUP_STEP_CONTROL_PLANE &&
			    minor_of(plan->steps[i].to) > ch->k8s_max.minor)
				fail_msg("%s: step %u: the %s channel offers up to 1.%d, not %s", what,
					 plan->steps[i].order, ch->channel, ch->k8s_max.minor,
					 plan->steps[i].to);
		checked_channels++;
	}
	for (i = 0; i < plan->nsteps; i++) {
		const struct kup_plan_step *s = &plan->steps[i];

		if ((p->provider == KUP_PROVIDER_GKE || p->provider == KUP_PROVIDER_AKS) &&
		    s->provider_version &&
		    (s->type == KUP_STEP_CONTROL_PLANE || s->type == KUP_STEP_NODEPOOL)) {
			struct sim_pool *sp = s->type == KUP_STEP_NODEPOOL
					      ? find_pool(pools, n, s->component) : NULL;

			check_provider_version(p, s, sp ? sp->os : NULL, what);
		}
		if (s->type == KUP_STEP_CONTROL_PLANE) {
			int to = minor_of(s->to);

			assert_int_equal(to, cp + 1);
			for (j = 0; j < n; j++) {
				if (!upstream_ok(to, pools[j].minor))
					fail_msg("%s: step %u: pool %s at 1.%d is out of the upstream skew "
						 "under 1.%d", what, s->order, pools[j].name, pools[j].minor, to);
				if (kubeadm && to - pools[j].minor > kubeadm_skew(to))
					fail_msg("%s: step %u: kubeadm upgrade apply v1.%d refuses pool %s "
						 "at 1.%d", what, s->order, to, pools[j].name, pools[j].minor);
				if ((!strcmp(prov, "gke") || !strcmp(prov, "aks")) &&
				    to - pools[j].minor > 2)
					fail_msg("%s: step %u: %s pool %s at 1.%d under 1.%d", what,
						 s->order, prov, pools[j].name, pools[j].minor, to);
			}
			cp = to;
			checked_hops++;
		} else if (s->type == KUP_STEP_NODEPOOL) {
			struct sim_pool *sp = find_pool(pools, n, s->component);
			int to = minor_of(s->to);
			bool replaced = s->reason && strstr(s->reason, ": replace it with ");

			assert_non_null(sp);
			assert_true(to <= cp);
			if (replaced) {
				checked_replacements++;
				if (to > os_last(prov, sp->os))
					sp->os = "Amazon Linux 2023";
				if (to > runtime_last(sp->runtime))
					sp->runtime = "containerd://";
			}
			if (to > os_last(prov, sp->os) || to > runtime_last(sp->runtime))
				fail_msg("%s: step %u: pool %s (%s, %s) rolled onto 1.%d", what, s->order,
					 sp->name, sp->os ? sp->os : "-", sp->runtime ? sp->runtime : "-",
					 to);
			sp->minor = to;
		} else if (s->type == KUP_STEP_ADDON && !strcmp(s->component, "kube-proxy")) {
			/* kube-proxy within 3 minors of the kubelet on its node (2 below 1.25) */
			int kp = minor_of(s->to);

			for (j = 0; j < n; j++)
				if (kp - pools[j].minor > (pools[j].minor < 25 ? 2 : 3) ||
				    kp > cp)
					fail_msg("%s: step %u: kube-proxy 1.%d with kubelet 1.%d on pool %s",
						 what, s->order, kp, pools[j].minor, pools[j].name);
			if (!strcmp(prov, "eks")) {
				const struct kup_managed_addon *m =
					kup_rules_managed_addon(eks, s->component, &s->cp_at);

				if (!m || strcmp(m->version_text, s->to))
					fail_msg("%s: step %u: kube-proxy %s is not what EKS publishes",
						 what, s->order, s->to);
				checked_addon_steps++;
			}
		} else if (s->type == KUP_STEP_ADDON && !strcmp(prov, "eks") &&
			   kup_rules_manages_addon(eks, s->component)) {
			const struct kup_managed_addon *m =
				kup_rules_managed_addon(eks, s->component, &s->cp_at);

			if (!m || strcmp(m->version_text, s->to))
				fail_msg("%s: step %u: %s %s is not what EKS publishes for %d.%d", what,
					 s->order, s->component, s->to, s->cp_at.major, s->cp_at.minor);
			assert_string_equal(s->provider_version, s->to);
			assert_non_null(s->command);
			assert_non_null(strstr(s->command, s->to));
			checked_addon_steps++;
		}
	}
}

/* ---- the KB's rows against the sources ----------------------------------------------------- */

static void test_kb_rows(void **state)
{
	const struct kup_provider_rules *k = kup_kb_provider_rules(kb, "kubeadm");
	const struct kup_provider_rules *g = kup_kb_provider_rules(kb, "gke");
	const struct kup_provider_rules *e = kup_kb_provider_rules(kb, "eks");
	const struct kup_provider_rules *all = kup_kb_provider_rules(kb, "all");
	struct kup_version v;
	int m;

	(void)state;
	assert_non_null(k);
	assert_non_null(g);
	assert_non_null(e);
	assert_non_null(all);
	for (m = 19; m <= 37; m++) {
		memset(&v, 0, sizeof(v));
		v.valid = true;
		v.major = 1;
		v.minor = m;
		assert_int_equal(kup_rules_node_skew(k, &v), kubeadm_skew(m));
		assert_int_equal(kup_rules_node_skew(g, &v), 2);
		assert_int_equal(kup_rules_node_skew(kup_kb_provider_rules(kb, "aks"), &v), 2);
		assert_int_equal(kup_rules_node_skew(e, &v), -1);
	}
	assert_string_equal(kup_rules_etcd(k, &(struct kup_version){ .valid = true, .major = 1,
								     .minor = 34 })->requires_text,
			    "3.5.32");
	assert_string_equal(kup_rules_etcd(k, &(struct kup_version){ .valid = true, .major = 1,
								     .minor = 33 })->version_text,
			    "3.5");
	assert_int_equal(kup_rules_node_image(e, "Amazon Linux 2")->k8s_max.minor, 32);
	assert_null(kup_rules_node_image(e, "Amazon Linux 2023.8.20250808")->k8s_max.valid ? "x"
										       : NULL);
	assert_string_equal(kup_rules_node_image(e, "Bottlerocket OS 1.19.2 (aws-k8s-1.27)")->family,
			    "Bottlerocket");
	assert_null(kup_rules_node_image(e, "Ubuntu 22.04"));
	/* GKE and AKS image families run every minor (no k8s_max): only Docker stops them */
	assert_string_equal(kup_rules_node_image(g, "Container-Optimized OS from Google")->family,
			    "COS_CONTAINERD");
	assert_false(kup_rules_node_image(g, "Ubuntu 22.04.4 LTS")->k8s_max.valid);
	assert_string_equal(kup_rules_node_image(kup_kb_provider_rules(kb, "aks"),
						 "CBL-Mariner/Linux")->family, "AzureLinux");
	/* Azure Linux 3.0 nodes: osImage is the os-release PRETTY_NAME */
	assert_string_equal(kup_rules_node_image(kup_kb_provider_rules(kb, "aks"),
						 "Microsoft Azure Linux 3.0")->family, "AzureLinux");
	assert_false(kup_rules_node_image(kup_kb_provider_rules(kb, "aks"),
					  "Ubuntu 18.04.6 LTS")->k8s_max.valid);
	/* AKS: the calendar with its LTS ends (1.29-1.37), what staying on takes */
	for (m = 29; m <= 37; m++) {
		const struct kup_provider_release *pr;

		memset(&v, 0, sizeof(v));
		v.valid = true;
		v.major = 1;
		v.minor = m;
		pr = kup_kb_find_provider_release(kb, "aks", &v);
		assert_non_null(pr);
		assert_non_null(pr->end_of_standard);
		assert_non_null(pr->end_of_extended);
		assert_true(strcmp(pr->end_of_extended, pr->end_of_standard) > 0);
	}
	assert_non_null(strstr(kup_kb_provider_rules(kb, "aks")->extended_support, "LTS"));
	assert_non_null(strstr(e->extended_support, "costs extra"));
	assert_int_equal(kup_rules_runtime(all, "docker://20.10.7")->k8s_max.minor, 23);
	assert_null(kup_rules_runtime(all, "containerd://1.7.2"));
	assert_null(kup_rules_runtime(all, "dockerd"));
}

static void test_expand(void **state)
{
	struct kup_buf b = KUP_BUF_INIT;
	struct kup_cmd_vars v = { "prod", "1.29", "1.30", NULL, "vpc-cni", "v1", NULL, "rapid",
				  "3", "0", NULL, NULL };

	(void)state;
	kup_rules_expand("a {cluster} {to} {pool} {addon}@{version} {channel} "
			 "{surge}/{unavailable} {batch_soak} {nope} {", &v, &b);
	assert_string_equal(b.buf, "a prod 1.30 {pool} vpc-cni@v1 rapid 3/0 {batch_soak} {nope} {");
	kup_buf_release(&b);
}

/* ---- the cases ---------------------------------------------------------------------- */

static size_t find_step(const struct kup_plan *p, const char *component, const char *to)
{
	size_t i;

	for (i = 0; i < p->nsteps; i++)
		if (!strcmp(p->steps[i].component, component) && (!to || !strcmp(p->steps[i].to, to)))
			return i;
	return (size_t)-1;
}

static void test_kubeadm_kubelets_before_refused_hop(void **state)
{
	struct kup_profile *p = load("kubeadm-skew.yaml");
	struct kup_plan *plan = plan_to(kb, p, "1.26");
	size_t roll = find_step(plan, "nodepool/workers", "1.23");
	size_t hop = find_step(plan, "control-plane", "1.24");

	(void)state;
	/* 1.21 kubelets: the skew policy would let 1.23 -> 1.24 go; kubeadm 1.24 does not */
	assert_true(roll != (size_t)-1 && hop != (size_t)-1 && roll < hop);
	assert_non_null(strstr(plan->steps[roll].reason, "(kubeadm 1.24 allows 1)"));
	assert_non_null(strstr(plan->steps[hop].command, "kubeadm upgrade apply v1.24"));
	/* the control-plane nodes' kubelets are a step at every hop */
	assert_int_not_equal(find_step(plan, "nodepool/control-plane", "1.24"), (size_t)-1);
	assert_int_not_equal(find_step(plan, "nodepool/control-plane", "1.26"), (size_t)-1);
	/* no provider support window: the target's upstream end of life is a risk with the date */
	{
		size_t r;

		for (r = 0; r < plan->nrisks; r++)
			if (!strcmp(plan->risks[r].id, "kubernetes-end-of-life/1.26"))
				break;
		assert_true(r < plan->nrisks);
		assert_true(has_text(plan->risks[r].message, "reached its end of life on ", eol_of(26)));
	}
	check_plan(p, plan, "kubeadm-skew");
	kup_plan_free(plan);
	kup_profile_free(p);
}

static void test_kubeadm_etcd(void **state)
{
	struct kup_profile *p = load("kubeadm-etcd.yaml");
	struct kup_plan *plan = plan_to(kb, p, "1.34");
	size_t pre = find_step(plan, "etcd", "3.5.32");
	size_t hop = find_step(plan, "control-plane", "1.34");
	size_t etcd = find_step(plan, "etcd", "3.6");
	size_t i;

	(void)state;
	assert_true(pre < hop && hop < etcd && etcd != (size_t)-1);
	assert_string_equal(plan->steps[pre].from, "3.5.21");
	for (i = 0; i < plan->nwarnings; i++)
		assert_null(strstr(plan->warnings[i], "etcd is not in the knowledge base"));
	kup_plan_free(plan);
	kup_profile_free(p);
	/* without the running etcd in the profile: a high risk at the hop, no guessed step */
	p = parse("apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\n"
		  "metadata: {name: e}\nspec:\n  provider: kubeadm\n"
		  "  controlPlane: {version: \"1.33.1\"}\n");
	plan = plan_to(kb, p, "1.34");
	assert_int_equal(find_step(plan, "etcd", "3.5.32"), (size_t)-1);
	for (i = 0; i < plan->nrisks; i++)
		if (!strcmp(plan->risks[i].id, "etcd-prerequisite/3.6"))
			break;
	assert_true(i < plan->nrisks);
	assert_int_equal(plan->risks[i].severity, KUP_SEV_HIGH);
	kup_plan_free(plan);
	kup_profile_free(p);
}

static void test_eks_pools_and_addons(void **state)
{
	struct kup_profile *p = load("eks-al2.yaml");
	struct kup_plan *plan = plan_to(kb, p, "1.34");
	size_t legacy = find_step(plan, "nodepool/legacy", "1.34");
	size_t i;

	(void)state;
	assert_int_not_equal(legacy, (size_t)-1);
	assert_non_null(strstr(plan->steps[legacy].command, "--node-ami-family AmazonLinux2023"));
	for (i = 0; i < plan->nsteps; i++)
		if (!strcmp(plan->steps[i].component, "coredns"))
			assert_non_null(strstr(plan->steps[i].to, "-eksbuild."));
	check_plan(p, plan, "eks-al2");
	kup_plan_free(plan);
	kup_profile_free(p);

	p = load("eks-docker.yaml");
	plan = plan_to(kb, p, "1.25");
	assert_non_null(strstr(plan->steps[find_step(plan, "nodepool/old", "1.25")].reason,
			       "runs the docker runtime"));
	check_plan(p, plan, "eks-docker");
	kup_plan_free(plan);
	kup_profile_free(p);

	/* GKE: a Docker-based image type moves to the containerd image type of its OS */
	p = load("gke-docker.yaml");
	plan = plan_to(kb, p, "1.24");
	assert_non_null(strstr(plan->steps[find_step(plan, "nodepool/old", "1.24")].command,
			       "--image-type COS_CONTAINERD"));
	assert_non_null(strstr(plan->steps[find_step(plan, "nodepool/ubu", "1.24")].command,
			       "--image-type UBUNTU_CONTAINERD"));
	check_plan(p, plan, "gke-docker");
	kup_plan_free(plan);
	kup_profile_free(p);
}

static void test_gke_skew_and_support_end(void **state)
{
	struct kup_profile *p = load("gke.yaml");
	struct kup_plan *plan = plan_to(kb, p, "1.33");
	size_t i;

	(void)state;
	assert_int_not_equal(find_step(plan, "nodepool/default-pool", "1.31"), (size_t)-1);
	for (i = 0; i < plan->nrisks; i++)
		if (!strcmp(plan->risks[i].id, "provider-support-ended/gke-1.33"))
			break;
	assert_true(i < plan->nrisks);
	assert_true(has_text(plan->risks[i].message, "end of standard support on ",
			     kup_kb_find_provider_release(kb, "gke", &(struct kup_version){
				     .valid = true, .major = 1, .minor = 33 })->end_of_standard));
	assert_non_null(strstr(plan->risks[i].message, "automatically"));
	assert_null(strstr(plan->risks[i].message, "costs extra"));
	check_plan(p, plan, "gke");
	kup_plan_free(plan);
	kup_profile_free(p);
}

static void test_at_target(void **state)
{
	struct kup_profile *p = load("at-target.yaml");
	struct kup_plan *plan = plan_to(kb, p, "1.28");
	struct kup_buf b = KUP_BUF_INIT;

	(void)state;
	assert_int_equal(plan->nsteps, 0);
	assert_int_equal(plan->verdict, KUP_VERDICT_READY_WITH_WARNINGS);
	assert_true(has_text(plan->warnings[0], "1.28 reached its end of life on ", eol_of(28)));
	assert_int_equal(kup_plan_render(plan, KUP_PLAN_MARKDOWN, &b), KUP_OK);
	assert_non_null(strstr(b.buf, "## Already at the target"));
	assert_null(strstr(b.buf, "Pre-upgrade"));
	assert_null(strstr(b.buf, "Post-upgrade"));
	kup_buf_release(&b);
	kup_plan_free(plan);
	kup_profile_free(p);
}

static void test_eol_on_the_path(void **state)
{
	struct kup_profile *p = parse("apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\n"
				      "metadata: {name: e}\nspec:\n  provider: kubeadm\n"
				      "  controlPlane: {version: \"1.27.3\"}\n"
				      "  addons:\n    - {name: istio, version: \"1.18.2\"}\n");
	struct kup_plan *plan = plan_to(kb, p, "1.28");
	size_t i;
	bool k8s = false, istio = false;

	(void)state;
	for (i = 0; i < plan->nwarnings; i++) {
		k8s |= has_text(plan->warnings[i], "Kubernetes 1.28 reached its end of life on ",
				eol_of(28));
		istio |= strstr(plan->warnings[i], "istio") && strstr(plan->warnings[i], "end of life");
	}
	assert_true(k8s);
	assert_true(istio);
	assert_int_equal(plan->verdict, KUP_VERDICT_READY_WITH_WARNINGS);
	kup_plan_free(plan);
	kup_profile_free(p);
}

static void test_nearest_lower_release(void **state)
{
	/* the test KB knows calico 3.25 (1.23-1.28) and 3.27 (1.27-1.29), not 3.26 */
	struct kup_profile *p = parse("apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\n"
				      "metadata: {name: c}\nspec:\n  provider: generic\n"
				      "  controlPlane: {version: \"1.27.3\"}\n"
				      "  addons:\n    - {name: calico, version: \"3.26.4\"}\n");
	struct kup_plan *plan = plan_to(testkb, p, "1.29");
	size_t i = find_step(plan, "calico", NULL);

	(void)state;
	assert_int_not_equal(i, (size_t)-1);
	assert_string_equal(plan->steps[i].from, "3.26.4");
	assert_non_null(strstr(plan->steps[i].reason, "Assumed: calico 3.26.4 is not in the "
						       "knowledge base: planned with the range of 3.25"));
	kup_plan_free(plan);
	kup_profile_free(p);
}

static void test_os_without_replacement_blocks(void **state)
{
	/* tests/data/plan-kb-rules: Dead End OS and Old OS end at 1.28; only Old OS has a successor */
	struct kup_kb *k = NULL;
	struct kup_profile *p;
	struct kup_plan *plan;
	size_t n = 0, i;

	(void)state;
	assert_int_equal(kup_kb_load_dir(KUP_TEST_DATA "/plan-kb-rules", &k, NULL, &n), KUP_OK);
	p = parse("apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\n"
		  "metadata: {name: os}\nspec:\n  provider: eks\n"
		  "  controlPlane: {version: \"1.27.3\"}\n  nodePools:\n"
		  "    - {name: stuck, version: \"1.27.3\", os: \"Dead End OS 4\"}\n"
		  "    - {name: old, version: \"1.27.3\", os: \"Old OS\"}\n"
		  "    - {name: fine, version: \"1.27.3\", os: \"Old OSX 2\"}\n");
	plan = plan_to(k, p, "1.28");
	/* 1.28 is still fine for both: no replacement, no blocker */
	assert_int_equal(plan->nblockers, 0);
	for (i = 0; i < plan->nsteps; i++)
		assert_null(strstr(plan->steps[i].reason, "replace it with"));
	kup_plan_free(plan);
	plan = plan_to(k, p, "1.29");
	assert_int_equal(plan->verdict, KUP_VERDICT_BLOCKED);
	assert_int_equal(plan->nblockers, 1);
	assert_string_equal(plan->blockers[0].id, "nodepool-os/stuck");
	assert_non_null(strstr(plan->blockers[0].message, "runs Kubernetes 1.28 at most"));
	/* the pool that cannot go is never planned onto 1.29; the other is replaced */
	assert_int_equal(find_step(plan, "nodepool/stuck", NULL), (size_t)-1);
	i = find_step(plan, "nodepool/old", "1.29");
	assert_int_not_equal(i, (size_t)-1);
	assert_non_null(strstr(plan->steps[i].reason, "replace it with New nodes at 1.29"));
	/* "Old OSX 2" is not "Old OS": a prefix only matches at a word boundary */
	i = find_step(plan, "nodepool/fine", "1.29");
	assert_null(strstr(plan->steps[i].reason, "replace"));
	kup_plan_free(plan);
	kup_profile_free(p);
	kup_kb_free(k);
}

/* ---- every plan of the case suite ---------------------------------------------------------- */

static unsigned case_plans, case_kubeadm, case_eks;

/* Plans profile file `path` to `to` with the embedded KB and replays it (kubeadm and EKS). */
static void case_profile(const char *path, const char *to, const char *today, const char *label)
{
	struct kup_profile *p = NULL;
	struct kup_plan *plan = NULL;
	struct kup_plan_opts o;
	struct kup_error err = KUP_ERROR_INIT;

	if (kup_profile_load(path, &p, &err) != KUP_OK) {
		kup_error_release(&err);
		return;   /* not a profile, or one the case shows an error for */
	}
	memset(&o, 0, sizeof(o));
	if (kup_version_parse(to, &o.target, &err) == KUP_OK) {
		o.today = today ? today : "2026-12-07";
		if (kup_plan(kb, p, &o, &plan, &err) == KUP_OK) {
			case_plans++;
			if (p->provider == KUP_PROVIDER_KUBEADM || p->provider == KUP_PROVIDER_EKS) {
				case_kubeadm += p->provider == KUP_PROVIDER_KUBEADM;
				case_eks += p->provider == KUP_PROVIDER_EKS;
				check_plan(p, plan, label);
			}
			kup_plan_free(plan);
		}
	}
	kup_error_release(&err);
	kup_profile_free(p);
}

/*
 * Every `plan` command of tests/cases: each profile it names (a file, or the
 * profiles of a directory) planned to its --to with the embedded KB (the
 * one users get; a case's own --kb may be a reduced one), and every kubeadm
 * and EKS plan replayed by check_plan.
 */
static void test_case_suite_plans(void **state)
{
	static const char *const with_arg[] = { "--to", "--today", "--kb", "--manifests", "--dump",
						"--chart-index", "--set", "-o", "--context",
						"--kubeconfig", "--allowed-registries", "--values",
						"--max-document-size", "--fail-on", NULL };
	DIR *d = opendir(KUP_SOURCE_DIR "/tests/cases");
	struct dirent *de;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[1024], line[2048], *tok, *save = NULL, *to = NULL, *today = NULL;
		char *files[8];
		size_t nfiles = 0, i;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/tests/cases/%s/cmd", KUP_SOURCE_DIR, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(line, sizeof(line), f) || strncmp(line, "plan ", 5) != 0) {
			fclose(f);
			continue;
		}
		fclose(f);
		line[strcspn(line, "\n")] = '\0';
		for (tok = strtok_r(line + 5, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			char *eq = strchr(tok, '=');
			const char *const *o;

			if (tok[0] == '-') {
				if (eq)
					*eq = '\0';
				for (o = with_arg; *o && strcmp(*o, tok) != 0; o++)
					;
				if (!*o)
					continue;
				if (!eq && !(eq = strtok_r(NULL, " ", &save)))
					break;
				if (!eq[0] || eq[0] == '=')
					eq++;
				if (!strcmp(tok, "--to"))
					to = eq;
				else if (!strcmp(tok, "--today"))
					today = eq;
				continue;
			}
			if (nfiles < 8)
				files[nfiles++] = tok;
		}
		if (!to)
			continue;
		for (i = 0; i < nfiles; i++) {
			char full[1536];
			struct stat st;

			snprintf(full, sizeof(full), "%s/tests/cases/%s/%s", KUP_SOURCE_DIR, de->d_name,
				 files[i]);
			if (stat(full, &st) != 0)
				continue;
			if (S_ISDIR(st.st_mode)) {
				DIR *sub = opendir(full);
				struct dirent *e;

				while (sub && (e = readdir(sub)) != NULL) {
					char one[2048];

					if (e->d_name[0] == '.')
						continue;
					snprintf(one, sizeof(one), "%s/%s", full, e->d_name);
					case_profile(one, to, today, de->d_name);
				}
				if (sub)
					closedir(sub);
			} else {
				case_profile(full, to, today, de->d_name);
			}
		}
	}
	closedir(d);
	print_message("case suite: %u plans, %u kubeadm, %u EKS replayed\n", case_plans, case_kubeadm,
		      case_eks);
	/* the suite has kubeadm and EKS plans, and they were replayed */
	assert_true(case_plans >= 20);
	assert_true(case_kubeadm >= 10);
	assert_true(case_eks >= 5);
}

/* ---- seeded profiles ---------------------------------------------------------------------------- */

static unsigned long rng = 88172645463325252UL;

static unsigned pick(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void test_seeded(void **state)
{
	static const char *const provs[] = { "kubeadm", "eks", "gke", "aks" };
	static const char *const channels[] = { "rapid", "regular", "stable", "extended", "none" };
	static const char *const oses[] = { "Amazon Linux 2", "Amazon Linux 2023.6.20250115",
					    "Bottlerocket OS 1.20.0", "Ubuntu 22.04.4 LTS" };
	char text[4096], name[64];
	int i;

	(void)state;
	for (i = 0; i < 600; i++) {
		const char *prov = provs[pick(4)];
		int cp = 21 + (int)pick(13), npools = 1 + (int)pick(3), j, to;
		size_t len;
		struct kup_profile *p;
		struct kup_plan *plan;

		len = (size_t)snprintf(text, sizeof(text),
				       "apiVersion: kupgrade.dev/v1alpha1\nkind: ClusterProfile\n"
				       "metadata: {name: s%d}\nspec:\n  provider: %s\n"
				       "  controlPlane: {version: \"1.%d.4\"}\n  nodePools:\n", i, prov,
				       cp);
		for (j = 0; j < npools; j++) {
			int behind = (int)pick(cp < 25 ? 3 : 4), pm = cp - behind;
			const char *os = oses[pick(4)];
			bool docker = pm < 24 && pick(2);

			if (!strcmp(prov, "kubeadm") && j == 0 && !pick(4))
				snprintf(name, sizeof(name), "control-plane");
			else
				snprintf(name, sizeof(name), "pool%d", j);
			if (!strcmp(name, "control-plane"))
				pm = cp - (int)pick(2);
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"    - {name: %s, version: \"1.%d.2\", count: 3, os: \"%s\", "
						"containerRuntime: \"%s\"}\n", name, pm, os,
						docker ? "docker://20.10.23" : "containerd://1.7.27");
		}
		if (!strcmp(prov, "gke") && pick(3))
			len += (size_t)snprintf(text + len, sizeof(text) - len, "  channel: %s\n",
						channels[pick(5)]);
		if (!strcmp(prov, "eks"))
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"  addons:\n    - {name: coredns, version: \"v1.8.7-eksbuild.1\"}\n"
						"    - {name: kube-proxy, version: \"v1.%d.1-eksbuild.1\"}\n"
						"    - {name: aws-node, version: \"v1.12.0-eksbuild.1\"}\n"
						"    - {name: aws-ebs-csi-driver, version: \"v1.20.0-eksbuild.1\"}\n"
						"    - {name: eks-pod-identity-agent, version: \"v1.0.0-eksbuild.1\"}\n", cp);
		else
			len += (size_t)snprintf(text + len, sizeof(text) - len, "  addons: []\n");
		p = parse(text);
		/* GKE up to 1.37, above what some channels offer */
		to = cp + (int)pick((unsigned)((strcmp(prov, "gke") ? 36 : 38) - cp));
		snprintf(name, sizeof(name), "1.%d", to);
		plan = plan_to(kb, p, name);
		if (p->channel) {
			const struct kup_channel_rule *ch =
				kup_rules_channel(kup_kb_provider_rules(kb, "gke"), p->channel);
			size_t b;
			bool found = false;

			for (b = 0; b < plan->nblockers; b++)
				found |= !strncmp(plan->blockers[b].id, "provider-channel/", 17);
			/* above the channel's newest minor: blocked by the channel, else never */
			assert_int_equal(found, to > cp && to > ch->k8s_max.minor);
			blocked_by_channel += found;
		}
		check_plan(p, plan, text);
		kup_plan_free(plan);
		kup_profile_free(p);
	}
	/* the checks ran on something: hops, EKS add-on steps and replacements */
	assert_true(checked_plans >= 600);
	assert_true(checked_hops > 500);
	assert_true(checked_addon_steps > 100);
	assert_true(checked_replacements > 20);
	assert_true(checked_channels > 20);
	assert_true(blocked_by_channel > 5);
	/* GKE patches on a channel, AKS patches and node images */
	assert_true(checked_patches > 20);
	assert_true(checked_images > 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kb_rows),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_kubeadm_kubelets_before_refused_hop),
		cmocka_unit_test(test_kubeadm_etcd),
		cmocka_unit_test(test_eks_pools_and_addons),
		cmocka_unit_test(test_gke_skew_and_support_end),
		cmocka_unit_test(test_at_target),
		cmocka_unit_test(test_eol_on_the_path),
		cmocka_unit_test(test_nearest_lower_release),
		cmocka_unit_test(test_os_without_replacement_blocks),
		cmocka_unit_test(test_seeded),
		cmocka_unit_test(test_case_suite_plans),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
