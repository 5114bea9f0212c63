/*
 * fuzz_plan.c - a ClusterProfile text planned against the embedded KB.
 * The profile parser is fuzzed on its own (fuzz_profile); this target
 * checks what the planner does with every profile the parser accepts.
 * Properties, abort() when one breaks:
 *
 *  - a target below the control plane or beyond the KB is KUP_INVALID with
 *    a message naming the newest version, and no plan;
 *  - otherwise a plan: steps numbered 1..n; exactly (target - current)
 *    control-plane steps, each one minor up; no node-pool step ever moves a
 *    pool above the control plane of that moment; the verdict is BLOCKED
 *    exactly when there are blockers; the exit code matches the verdict;
 *  - kubeadm: before each control-plane step to 1.X, every node-pool step so
 *    far leaves no pool more than 1 minor behind it up to 1.28 (3 from 1.29),
 *    the rule `kubeadm upgrade apply` enforces, unless the plan is BLOCKED;
 *  - a command never keeps a template placeholder; an add-on step's provider
 *    version is the version the step goes to, a control-plane or node-pool
 *    step's a patch of the minor it goes to or (a pool) a node image version
 *    the provider's file names for that minor;
 *  - every renderer succeeds, and the JSON document parses (json-c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "kupgrade/kb.h"
#include "kupgrade/kbrules.h"
#include "kupgrade/plan.h"
#include "kupgrade/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kup_kb *kb;

/* A control-plane or node pool step's provider version: a patch of `to`, or a node image row's. */
static bool provider_version_ok(const struct kup_profile *p, const struct kup_plan_step *s)
{
	const struct kup_provider_rules *r = kup_kb_provider_rules(kb, kup_provider_name(p->provider));
	size_t n = strlen(s->to), i;
	struct kup_version to;

	if (!strncmp(s->provider_version, s->to, n) && s->provider_version[n] == '.')
		return true;
	if (s->type != KUP_STEP_NODEPOOL || !r || kup_version_parse(s->to, &to, NULL) != KUP_OK)
		return false;
	for (i = 0; i < r->nimage_versions; i++)
		if (!strcmp(r->image_versions[i].version, s->provider_version) &&
		    kup_version_cmp_minor(&r->image_versions[i].k8s_min, &to) <= 0 &&
		    kup_version_cmp_minor(&r->image_versions[i].k8s_max, &to) >= 0)
			return true;
	return false;
}

static void check_plan(const struct kup_plan *plan, const struct kup_profile *p,
		       const struct kup_version *target)
{
	struct kup_version cp = p->control_plane, to;
	struct kup_buf b = KUP_BUF_INIT;
	json_object *doc;
	unsigned hops = 0;
	size_t i;

	int pool_minor[64];
	size_t j, np = p->npools < 64 ? p->npools : 64;
	bool kubeadm = p->provider == KUP_PROVIDER_KUBEADM && plan->verdict != KUP_VERDICT_BLOCKED;
	bool braced = p->name && strchr(p->name, '{');

	for (j = 0; j < p->npools; j++)
		braced = braced || (p->pools[j].name && strchr(p->pools[j].name, '{'));
	for (j = 0; j < p->naddons; j++)
		braced = braced || (p->addons[j].name && strchr(p->addons[j].name, '{'));

	for (j = 0; j < np; j++) {
		pool_minor[j] = p->pools[j].version.valid ? p->pools[j].version.minor : cp.minor;
		if (p->pools[j].kube_proxy.valid && p->pools[j].kube_proxy.minor < pool_minor[j])
			pool_minor[j] = p->pools[j].kube_proxy.minor;
	}
	for (i = 0; i < plan->nsteps; i++) {
		const struct kup_plan_step *s = &plan->steps[i];

		if (s->order != i + 1 || !s->component || !s->to || !s->reason)
			abort();
		/* every placeholder expanded, unless a name itself has braces (a pool
		   named "s{to}ystem" is written as it is, not expanded again) */
		if (s->command && (!s->command[0] ||
				   (!braced && (strstr(s->command, "{to}") ||
						strstr(s->command, "{cluster}") ||
						strstr(s->command, "{pool}")))))
			abort();
		if (s->provider_version && s->type == KUP_STEP_ADDON &&
		    strcmp(s->provider_version, s->to))
			abort();
		if (s->provider_version && s->type != KUP_STEP_ADDON && !provider_version_ok(p, s))
			abort();
		if (s->type == KUP_STEP_CONTROL_PLANE) {
			if (kup_version_parse(s->to, &to, NULL) != KUP_OK ||
			    to.major != cp.major || to.minor != cp.minor + 1)
				abort();
			for (j = 0; kubeadm && j < np; j++)
				if (p->pools[j].version.valid &&
				    to.minor - pool_minor[j] > (to.minor <= 28 ? 1 : 3))
					abort();
			cp = to;
			hops++;
		} else if (s->type == KUP_STEP_NODEPOOL) {
			if (kup_version_parse(s->to, &to, NULL) != KUP_OK ||
			    kup_version_cmp_minor(&to, &cp) > 0)
				abort();
			for (j = 0; j < np; j++)
				if (p->pools[j].name && !strncmp(s->component, "nodepool/", 9) &&
				    !strcmp(s->component + 9, p->pools[j].name))
					pool_minor[j] = to.minor;
		}
	}
	if ((int)hops != target->minor - p->control_plane.minor)
		abort();
	if ((plan->verdict == KUP_VERDICT_BLOCKED) != (plan->nblockers > 0))
		abort();
	if (kup_plan_exit_code(plan) != (plan->verdict == KUP_VERDICT_READY ? 0
					 : plan->verdict == KUP_VERDICT_BLOCKED ? 3 : 2))
		abort();
	if (kup_plan_render(plan, KUP_PLAN_JSON, &b) != KUP_OK)
		abort();
	doc = json_tokener_parse(b.buf);
	if (!doc)
		abort();
	json_object_put(doc);
	kup_buf_reset(&b);
	if (kup_plan_render(plan, KUP_PLAN_TEXT, &b) != KUP_OK ||
	    kup_plan_render(plan, KUP_PLAN_MARKDOWN, &b) != KUP_OK ||
	    kup_plan_render(plan, KUP_PLAN_HTML, &b) != KUP_OK)
		abort();
	kup_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	const struct kup_version *newest;
	int d;

	if (size > 64 * 1024)
		return 0;
	if (!kb && kup_kb_load_embedded(&kb, &err) != KUP_OK)
		abort();
	if (kup_profile_parse("fuzz", (const char *)data, size, &p, &err) != KUP_OK) {
		kup_error_release(&err);
		return 0;
	}
	newest = kup_kb_newest(kb);
	for (d = -1; d <= 5; d++) {
		struct kup_plan_opts o;
		struct kup_plan *plan = NULL;
		enum kup_status st;
		bool bad;

		memset(&o, 0, sizeof(o));
		o.target.valid = true;
		o.target.major = p->control_plane.major;
		o.target.minor = p->control_plane.minor + d;
		bad = d < 0 || p->control_plane.minor + d < 0 ||
		      kup_version_cmp_minor(&o.target, newest) > 0;
		st = kup_plan(kb, p, &o, &plan, &err);
		if (bad) {
			if (st != KUP_INVALID || plan || !err.msg)
				abort();
		} else if (st == KUP_OK) {
			check_plan(plan, p, &o.target);
		} else if (st != KUP_INVALID || plan) {
			abort();
		}
		kup_plan_free(plan);
		kup_error_release(&err);
	}
	kup_profile_free(p);
	return 0;
}
