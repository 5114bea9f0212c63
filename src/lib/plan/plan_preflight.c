/*
 * plan_preflight.c - pre-flight findings as plan risks and blockers
 * (plan_int.h), by the rules of data/preflight.yaml.
 */
#include <stdlib.h>
#include <string.h>

#include "kupgrade/kbplan.h"
#include "kupgrade/preflight.h"
#include "plan/plan_int.h"

struct extras {
	struct kup_arena *a;
	struct kup_plan_risk *risks;
	size_t nrisks, rcap;
	struct kup_plan_blocker *blockers;
	size_t nblockers, bcap;
	bool oom;
};

/* An id not yet used: base, else base/2, base/3... */
static const char *unique_id(struct extras *x, const char *base)
{
	const char *id = base;
	unsigned n = 1;
	size_t i;

	for (;;) {
		bool used = false;

		for (i = 0; i < x->nrisks && !used; i++)
			used = !strcmp(x->risks[i].id, id);
		for (i = 0; i < x->nblockers && !used; i++)
			used = !strcmp(x->blockers[i].id, id);
		if (!used || !id)
			return id;
		id = kup_arena_printf(x->a, "%s/%u", base, ++n);
	}
}

static void add_finding(struct extras *x, const struct kup_preflight_rule *rule,
			const struct kup_preflight_finding *f)
{
	const char *kind = f->kind ? f->kind : "?", *name = f->name ? f->name : "?";
	const char *ns = f->namespace_, *msg = f->message ? f->message : "";
	const char *obj, *id;

	obj = kup_arena_printf(x->a, "%s %s%s%s", kind, ns ? ns : "", ns ? "/" : "", name);
	id = unique_id(x, kup_arena_printf(x->a, "preflight/%s/%s%s%s", f->check, ns ? ns : "",
					   ns ? "/" : "", name));
	if (!obj || !id) {
		x->oom = true;
		return;
	}
	if (rule->blocks && f->severity >= KUP_FAIL_REMOVED) {
		struct kup_plan_blocker *b;

		if (!kup_grow(&x->blockers, &x->bcap, x->nblockers + 1, sizeof(*x->blockers), 4)) {
			x->oom = true;
			return;
		}
		b = &x->blockers[x->nblockers++];
		b->id = id;
		b->message = kup_arena_printf(x->a, "%s: %s%s%s (%s)", obj, msg,
					      f->detail ? "; " : "", f->detail ? f->detail : "",
					      rule->mitigation);
		x->oom |= !b->message;
	} else {
		struct kup_plan_risk *r;

		if (!kup_grow(&x->risks, &x->rcap, x->nrisks + 1, sizeof(*x->risks), 8)) {
			x->oom = true;
			return;
		}
		r = &x->risks[x->nrisks++];
		memset(r, 0, sizeof(*r));
		r->id = id;
		r->severity = (enum kup_severity)rule->severity;
		r->message = kup_arena_strdup(x->a, msg);
		r->evidence = kup_arena_printf(x->a, "%s (%s)%s%s", obj,
					       f->api_version ? f->api_version : "?",
					       f->detail ? ": " : "", f->detail ? f->detail : "");
		r->mitigation = rule->mitigation;
		r->source = rule->source;
		x->oom |= !r->evidence || !r->message;
	}
}

enum kup_status kup_plan_preflight_map(const struct kup_kb *kb, const struct kup_preflight *pf,
				       struct kup_arena *a, struct kup_plan_risk **risks,
				       size_t *nrisks, struct kup_plan_blocker **blockers,
				       size_t *nblockers)
{
	struct extras x;
	size_t i;

	memset(&x, 0, sizeof(x));
	x.a = a;
	for (i = 0; i < kup_preflight_count(pf) && !x.oom; i++) {
		const struct kup_preflight_finding *f = kup_preflight_at(pf, i);
		const struct kup_preflight_rule *rule = kup_kb_preflight_rule(kb, f->check);

		if (rule)
			add_finding(&x, rule, f);
	}
	if (x.oom || kup_arena_failed(a)) {
		free(x.risks);
		free(x.blockers);
		*risks = NULL;
		*blockers = NULL;
		*nrisks = *nblockers = 0;
		return KUP_NOMEM;
	}
	*risks = x.risks;
	*nrisks = x.nrisks;
	*blockers = x.blockers;
	*nblockers = x.nblockers;
	return KUP_OK;
}
