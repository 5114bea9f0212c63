/*
 * drain.c - cordon and drain nodes through the Eviction API (drain.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kupgrade/drain.h"
#include "kupgrade/json.h"
#include "kupgrade/report.h"
#include "kupgrade/selector.h"
#include "live_int.h"

/* A pod to drain, copied out of its list page. */
struct dpod {
	const char *node;
	const char *ns;
	const char *name;
	const char *uid;
	struct kup_label *labels;
	size_t nlabels;
	bool mirror;
	bool daemonset;
	bool unmanaged;
	bool emptydir;
	bool done;               /* settled: evicted and gone, deleted, failed */
	bool evicted;            /* eviction accepted, waiting for it to go */
	bool blocked;            /* last eviction refused by a budget */
	const char *pdbs;        /* the budgets named for the last refusal */
	const char *reason;
	size_t result;           /* index in res->pods */
};

struct dpdb {
	const char *ns;
	const char *name;
	int64_t allowed;
	bool has_status;
	struct kup_selector sel;
};

struct drain {
	struct kup_kube *k;
	const struct kup_drain_opts *o;
	struct kup_drain_result *res;
	struct kup_error *err;
	struct kup_arena a;          /* pods, PDBs */
	struct dpod *pods;
	size_t npods, podcap;
	const char *cur_node;
	const char *eviction_gv;
	const char *pdb_gv;
	struct kup_kube_resp resp;
	bool oom;
};

const char *kup_drain_state_name(enum kup_drain_state s)
{
	switch (s) {
	case KUP_DRAIN_POD_EVICTED: return "evicted";
	case KUP_DRAIN_POD_TERMINATING: return "terminating";
	case KUP_DRAIN_POD_DELETED: return "deleted";
	case KUP_DRAIN_POD_BLOCKED: return "blocked";
	case KUP_DRAIN_POD_FAILED: return "failed";
	case KUP_DRAIN_POD_SKIPPED: return "skipped";
	case KUP_DRAIN_POD_REFUSED: return "refused";
	case KUP_DRAIN_POD_WOULD_EVICT: return "would-evict";
	case KUP_DRAIN_POD_WOULD_BLOCK: return "would-block";
	}
	return "unknown";
}

void kup_drain_opts_init(struct kup_drain_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->grace_period = -1;
	o->backoff_ms = 1000;
	o->max_backoff_ms = 5000;
}

void kup_drain_result_init(struct kup_drain_result *r)
{
	memset(r, 0, sizeof(*r));
	kup_arena_init(&r->arena, 16 * 1024);
}

void kup_drain_result_release(struct kup_drain_result *r)
{
	free(r->pods);
	free(r->cordoned);
	kup_arena_release(&r->arena);
	memset(r, 0, sizeof(*r));
}


static void progress(struct drain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct drain *d, const char *fmt, ...)
{
	struct kup_buf b = KUP_BUF_INIT;
	va_list ap;

	if (!d->o->progress)
		return;
	va_start(ap, fmt);
	kup_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (b.buf)
		d->o->progress(d->o->ctx, b.buf);
	kup_buf_release(&b);
}

/* A copy in the result's arena (rdup) or the drain's own (adup); d->oom when memory ran out. */
static const char *rdup(struct drain *d, const char *s)
{
	return kup_arena_strdup_oom(&d->res->arena, s, &d->oom);
}

static const char *adup(struct drain *d, const char *s)
{
	return kup_arena_strdup_oom(&d->a, s, &d->oom);
}

/* Adds a pod to the result; returns its index. */
static size_t add_result(struct drain *d, const struct dpod *p, enum kup_drain_state st,
			 const char *pdbs, const char *reason)
{
	struct kup_drain_result *r = d->res;
	struct kup_drain_pod *rp;

	if (!kup_grow(&r->pods, &r->cap, r->npods + 1, sizeof(*r->pods), 16)) {
		d->oom = true;
		return 0;
	}
	rp = &r->pods[r->npods];
	rp->node = rdup(d, p->node);
	rp->namespace_ = rdup(d, p->ns);
	rp->name = rdup(d, p->name);
	rp->state = st;
	rp->pdbs = rdup(d, pdbs);
	rp->reason = rdup(d, reason);
	return r->npods++;
}

static void set_result(struct drain *d, const struct dpod *p, enum kup_drain_state st,
		       const char *pdbs, const char *reason)
{
	struct kup_drain_pod *rp = &d->res->pods[p->result];

	rp->state = st;
	rp->pdbs = rdup(d, pdbs);
	rp->reason = rdup(d, reason);
}

/* ---- requests ------------------------------------------------------------- */

/* Parses the last response body into *root (nodes in `a`). */
static bool parse_body(struct drain *d, struct kup_arena *a, struct kup_node **root)
{
	*root = NULL;
	if (!d->resp.body.buf || d->resp.body.len == 0)
		return false;
	return kup_json_parse(d->resp.body.buf, d->resp.body.len, NULL, a, root, NULL) == KUP_OK;
}

/* The message of a Status body, or NULL. */
static const char *status_message(struct drain *d, struct kup_arena *a)
{
	struct kup_node *root;

	if (!parse_body(d, a, &root))
		return NULL;
	return kup_node_str(kup_node_get(root, "message"));
}

static void version_of(struct drain *d, int *minor)
{
	struct kup_arena a;
	struct kup_node *root;
	struct kup_error e = KUP_ERROR_INIT;
	const char *gv;
	struct kup_version v;

	*minor = 0;
	kup_arena_init(&a, 4096);
	if (kup_kube_get(d->k, "/version", &d->resp, &e) == KUP_OK && parse_body(d, &a, &root)) {
		gv = kup_node_str(kup_node_get(root, "gitVersion"));
		if (gv && kup_version_parse(gv, &v, NULL) == KUP_OK && v.major == 1)
			*minor = v.minor;
	}
	kup_error_release(&e);
	kup_arena_release(&a);
}

/* Which policy versions the server serves: /apis/policy. */
static enum kup_status pick_versions(struct drain *d)
{
	struct kup_arena a;
	struct kup_node *root;
	const struct kup_node *vs;
	bool v1 = false;
	int minor;
	size_t i;

	kup_arena_init(&a, 4096);
	if (kup_kube_get(d->k, "/apis/policy", &d->resp, d->err) != KUP_OK) {
		kup_arena_release(&a);
		if (d->resp.status == 404) {
			/* no policy group at all: a very old server; try v1beta1 */
			kup_error_release(d->err);
			d->eviction_gv = d->pdb_gv = "policy/v1beta1";
			return KUP_OK;
		}
		return KUP_IO;
	}
	if (parse_body(d, &a, &root)) {
		vs = kup_node_get(root, "versions");
		for (i = 0; vs && vs->kind == KUP_NODE_SEQ && i < vs->len; i++)
			if (kup_node_eq(kup_node_get(vs->u.items[i], "groupVersion"), "policy/v1"))
				v1 = true;
	}
	kup_arena_release(&a);
	version_of(d, &minor);
	/* PDB policy/v1 came in 1.21, Eviction policy/v1 in 1.22. */
	d->pdb_gv = v1 ? "policy/v1" : "policy/v1beta1";
	d->eviction_gv = (v1 && minor >= 22) ? "policy/v1" : "policy/v1beta1";
	return KUP_OK;
}

/* ---- collecting pods ---------------------------------------------------------- */

static enum kup_status on_pod(void *ctx, const struct kup_doc *doc)
{
	struct drain *d = ctx;
	const struct kup_node *r = doc->root;
	const struct kup_node *meta = kup_node_get(r, "metadata");
	const struct kup_node *owners = kup_node_get(meta, "ownerReferences");
	const struct kup_node *vols = kup_node_path(r, "spec", "volumes", NULL);
	struct dpod *p;
	size_t i;

	if (!r || !kup_node_get(meta, "name"))
		return KUP_OK;
	if (!kup_grow(&d->pods, &d->podcap, d->npods + 1, sizeof(*d->pods), 16))
		return KUP_NOMEM;
	p = &d->pods[d->npods++];
	memset(p, 0, sizeof(*p));
	p->node = d->cur_node;
	p->ns = adup(d, kup_node_str(kup_node_get(meta, "namespace")));
	p->name = adup(d, kup_node_str(kup_node_get(meta, "name")));
	p->uid = adup(d, kup_node_str(kup_node_get(meta, "uid")));
	if (!p->ns)
		p->ns = "";
	if (!kup_labels_copy(&d->a, kup_node_get(meta, "labels"), &p->labels, &p->nlabels))
		d->oom = true;
	p->mirror = kup_node_path(meta, "annotations", "kubernetes.io/config.mirror", NULL) != NULL;
	p->unmanaged = true;
	for (i = 0; owners && owners->kind == KUP_NODE_SEQ && i < owners->len; i++) {
		const struct kup_node *o = owners->u.items[i];
		bool ctrl = false;
		kup_node_bool(kup_node_get(o, "controller"), &ctrl);
		if (!ctrl)
			continue;
		p->unmanaged = false;
		if (kup_node_eq(kup_node_get(o, "kind"), "DaemonSet"))
			p->daemonset = true;
	}
	for (i = 0; vols && vols->kind == KUP_NODE_SEQ && i < vols->len; i++)
		if (kup_node_get(vols->u.items[i], "emptyDir"))
			p->emptydir = true;
	return d->oom ? KUP_NOMEM : KUP_OK;
}

static enum kup_status list_pods(struct drain *d, const char *node)
{
	struct kup_kube_resource res;
	struct kup_kube_list_opts lo;
	struct kup_buf fs = KUP_BUF_INIT;
	enum kup_status st;

	kup_kube_resource_set(&res, "v1", "pods", "Pod", true);
	kup_kube_list_opts_init(&lo);
	kup_buf_addf(&fs, "spec.nodeName=%s", node);
	if (fs.oom)
		return KUP_NOMEM;
	lo.field_selector = fs.buf;
	d->cur_node = node;
	st = kup_kube_list_items(d->k, &res, &lo, on_pod, d, d->err);
	kup_buf_release(&fs);
	return st;
}

/* ---- PDBs ------------------------------------------------------------------ */

struct pdb_list {
	struct drain *d;
	struct dpdb *v;
	size_t n, cap;
};

static enum kup_status on_pdb(void *ctx, const struct kup_doc *doc)
{
	struct pdb_list *l = ctx;
	struct drain *d = l->d;
	const struct kup_node *meta = kup_node_get(doc->root, "metadata");
	const struct kup_node *da = kup_node_path(doc->root, "status", "disruptionsAllowed", NULL);
	const struct kup_node *sel = kup_node_path(doc->root, "spec", "selector", NULL);
	struct dpdb *p;

	if (!kup_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v), 8))
		return KUP_NOMEM;
	p = &l->v[l->n++];
	memset(p, 0, sizeof(*p));
	p->ns = adup(d, kup_node_str(kup_node_get(meta, "namespace")));
	p->name = adup(d, kup_node_str(kup_node_get(meta, "name")));
	p->has_status = da && kup_node_int(da, &p->allowed);
	if (!p->ns)
		p->ns = "";
	if (!p->name)
		p->name = "";
	if (!kup_selector_parse(&d->a, sel, &p->sel))
		d->oom = true;
	if (!sel)
		p->sel.nothing = true;
	return d->oom ? KUP_NOMEM : KUP_OK;
}

/* Lists the PDBs of `ns` after those l holds. */
static enum kup_status list_pdbs_append(struct drain *d, const char *ns, struct pdb_list *l)
{
	struct kup_kube_resource res;
	struct kup_kube_list_opts lo;

	l->d = d;
	kup_kube_resource_set(&res, d->pdb_gv, "poddisruptionbudgets", "PodDisruptionBudget", true);
	kup_kube_list_opts_init(&lo);
	lo.namespace_ = ns;
	return kup_kube_list_items(d->k, &res, &lo, on_pdb, l, d->err);
}

/* Lists the PDBs of `ns` into l (replacing what it held). */
static enum kup_status list_pdbs(struct drain *d, const char *ns, struct pdb_list *l)
{
	struct kup_kube_resource res;
	struct kup_kube_list_opts lo;

	l->n = 0;
	l->d = d;
	kup_kube_resource_set(&res, d->pdb_gv, "poddisruptionbudgets", "PodDisruptionBudget", true);
	kup_kube_list_opts_init(&lo);
	lo.namespace_ = ns;
	return kup_kube_list_items(d->k, &res, &lo, on_pdb, l, d->err);
}

/*
 * The budgets covering pod p, as "ns/name" text into out: those allowing 0
 * disruptions when `zero_only`, else (none at 0) every one that matches.
 */
static size_t covering(const struct pdb_list *l, const struct dpod *p, bool zero_only,
		       struct kup_buf *out)
{
	size_t i, n = 0;
	int pass;

	for (pass = 0; pass < 2 && n == 0; pass++) {
		for (i = 0; i < l->n; i++) {
			const struct dpdb *b = &l->v[i];
			if (strcmp(b->ns, p->ns) != 0 || !kup_selector_matches(&b->sel, p->labels, p->nlabels))
				continue;
			if (pass == 0 && !(b->has_status && b->allowed <= 0))
				continue;
			kup_buf_addf(out, "%s%s/%s", n ? ", " : "", b->ns, b->name);
			n++;
		}
		if (zero_only)
			break;
	}
	return n;
}

/* The pods (of this drain) that budget-named text covers: "ns/a, ns/b". */
static void covered_pods(const struct drain *d, const struct pdb_list *l, const struct dpod *p,
			 struct kup_buf *out)
{
	size_t i, j, n = 0;

	for (i = 0; i < l->n; i++) {
		const struct dpdb *b = &l->v[i];
		if (strcmp(b->ns, p->ns) != 0 || !kup_selector_matches(&b->sel, p->labels, p->nlabels))
			continue;
		for (j = 0; j < d->npods; j++) {
			const struct dpod *q = &d->pods[j];
			if (q->done)
				continue;
			if (strcmp(q->ns, b->ns) != 0 || !kup_selector_matches(&b->sel, q->labels, q->nlabels))
				continue;
			if (n < 10)
				kup_buf_addf(out, "%s%s/%s", n ? ", " : "", q->ns, q->name);
			n++;
		}
		break;
	}
	if (n > 10)
		kup_buf_addf(out, " and %zu more", n - 10);
}

/* ---- the steps ---------------------------------------------------------------- */

static enum kup_status cordon(struct drain *d, const char *node)
{
	struct kup_kube_resource res;
	struct kup_buf path = KUP_BUF_INIT;
	static const char patch[] = "{\"spec\":{\"unschedulable\":true}}";
	enum kup_status st;

	kup_kube_resource_set(&res, "v1", "nodes", "Node", false);
	kup_kube_path(&path, &res, NULL, node, NULL);
	if (path.oom)
		return KUP_NOMEM;
	st = kup_kube_request(d->k, "PATCH", path.buf, "application/merge-patch+json", patch,
			      sizeof(patch) - 1, &d->resp, d->err);
	kup_buf_release(&path);
	if (st != KUP_OK)
		return st;
	if (!kup_grow(&d->res->cordoned, &d->res->cordoned_cap, d->res->ncordoned + 1,
		      sizeof(*d->res->cordoned), 4))
		return KUP_NOMEM;
	d->res->cordoned[d->res->ncordoned++] = rdup(d, node);
	progress(d, "node/%s cordoned", node);
	return KUP_OK;
}

static enum kup_status get_node(struct drain *d, const char *node)
{
	struct kup_kube_resource res;
	struct kup_buf path = KUP_BUF_INIT;
	enum kup_status st;

	kup_kube_resource_set(&res, "v1", "nodes", "Node", false);
	kup_kube_path(&path, &res, NULL, node, NULL);
	if (path.oom)
		return KUP_NOMEM;
	st = kup_kube_get(d->k, path.buf, &d->resp, d->err);
	kup_buf_release(&path);
	if (st != KUP_OK && d->resp.status == 404) {
		kup_error_set(d->err, KUP_NOTFOUND, NULL, 0, 0, "node '%s' not found", node);
		return KUP_NOTFOUND;
	}
	return st;
}

enum evict_outcome { EV_OK, EV_GONE, EV_BLOCKED, EV_FAILED };

static enum evict_outcome evict(struct drain *d, struct dpod *p, struct kup_buf *why)
{
	struct kup_kube_resource res;
	struct kup_buf path = KUP_BUF_INIT, body = KUP_BUF_INIT;
	struct kup_error e = KUP_ERROR_INIT;
	struct kup_arena a;
	enum evict_outcome out;
	const char *msg;

	kup_kube_resource_set(&res, "v1", "pods", "Pod", true);
	kup_kube_path(&path, &res, p->ns, p->name, "eviction");
	kup_buf_addf(&body, "{\"apiVersion\":\"%s\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"",
		     d->eviction_gv);
	kup_json_escape(&body, p->name);
	kup_buf_adds(&body, "\",\"namespace\":\"");
	kup_json_escape(&body, p->ns);
	kup_buf_adds(&body, "\"}");
	if (d->o->grace_period >= 0)
		kup_buf_addf(&body, ",\"deleteOptions\":{\"gracePeriodSeconds\":%ld}", d->o->grace_period);
	kup_buf_adds(&body, "}");
	if (path.oom || body.oom) {
		kup_buf_release(&path);
		kup_buf_release(&body);
		d->oom = true;
		return EV_FAILED;
	}
	if (kup_kube_request(d->k, "POST", path.buf, "application/json", body.buf, body.len, &d->resp,
			     &e) == KUP_OK) {
		out = EV_OK;
	} else if (d->resp.status == 404) {
		out = EV_GONE;
	} else if (d->resp.status == 429) {
		kup_arena_init(&a, 4096);
		msg = status_message(d, &a);
		if (msg) {
			size_t n = strlen(msg);
			while (n > 0 && (msg[n - 1] == '.' || msg[n - 1] == ' '))
				n--;   /* the server's sentence, without its full stop */
			kup_buf_add(why, msg, n);
		} else {
			kup_buf_adds(why, "too many requests");
		}
		kup_arena_release(&a);
		out = EV_BLOCKED;
	} else {
		kup_buf_adds(why, e.msg ? e.msg : "eviction failed");
		out = EV_FAILED;
	}
	kup_error_release(&e);
	kup_buf_release(&path);
	kup_buf_release(&body);
	return out;
}

/* True when the pod is gone (404, or the name now belongs to another pod). */
static bool pod_gone(struct drain *d, const struct dpod *p)
{
	struct kup_kube_resource res;
	struct kup_buf path = KUP_BUF_INIT;
	struct kup_error e = KUP_ERROR_INIT;
	struct kup_arena a;
	struct kup_node *root;
	bool gone = false;

	kup_kube_resource_set(&res, "v1", "pods", "Pod", true);
	kup_kube_path(&path, &res, p->ns, p->name, NULL);
	if (path.oom)
		return false;
	kup_arena_init(&a, 8192);
	if (kup_kube_get(d->k, path.buf, &d->resp, &e) == KUP_OK) {
		if (p->uid && parse_body(d, &a, &root) &&
		    !kup_node_eq(kup_node_path(root, "metadata", "uid", NULL), p->uid))
			gone = true;
	} else if (d->resp.status == 404) {
		gone = true;
	}
	kup_arena_release(&a);
	kup_error_release(&e);
	kup_buf_release(&path);
	return gone;
}

static bool delete_pod(struct drain *d, const struct dpod *p, struct kup_buf *why)
{
	struct kup_kube_resource res;
	struct kup_buf path = KUP_BUF_INIT, body = KUP_BUF_INIT;
	struct kup_error e = KUP_ERROR_INIT;
	bool ok;

	kup_kube_resource_set(&res, "v1", "pods", "Pod", true);
	kup_kube_path(&path, &res, p->ns, p->name, NULL);
	kup_buf_adds(&body, "{\"apiVersion\":\"v1\",\"kind\":\"DeleteOptions\"");
	if (d->o->grace_period >= 0)
		kup_buf_addf(&body, ",\"gracePeriodSeconds\":%ld", d->o->grace_period);
	kup_buf_adds(&body, "}");
	if (path.oom || body.oom) {
		d->oom = true;
		ok = false;
	} else {
		ok = kup_kube_request(d->k, "DELETE", path.buf, "application/json", body.buf, body.len,
				      &d->resp, &e) == KUP_OK ||
		     d->resp.status == 404;
		if (!ok)
			kup_buf_adds(why, e.msg ? e.msg : "delete failed");
	}
	kup_error_release(&e);
	kup_buf_release(&path);
	kup_buf_release(&body);
	return ok;
}

/* Sorts pods out; true when none is refused. */
static bool classify(struct drain *d)
{
	const struct kup_drain_opts *o = d->o;
	size_t i;
	bool ok = true;

	for (i = 0; i < d->npods; i++) {
		struct dpod *p = &d->pods[i];
		if (p->mirror) {
			p->done = true;
			p->result = add_result(d, p, KUP_DRAIN_POD_SKIPPED, NULL, "mirror pod (static, managed by the kubelet)");
			d->res->skipped++;
		} else if (p->daemonset) {
			p->done = true;
			p->result = add_result(d, p, KUP_DRAIN_POD_SKIPPED, NULL, "DaemonSet-managed pod");
			d->res->skipped++;
		} else if (p->unmanaged && !o->force) {
			p->done = true;
			p->result = add_result(d, p, KUP_DRAIN_POD_REFUSED, NULL,
					       "no controller manages it: it would not come back (use --force)");
			d->res->refused++;
			ok = false;
		} else if (p->emptydir && !o->delete_emptydir_data) {
			p->done = true;
			p->result = add_result(d, p, KUP_DRAIN_POD_REFUSED, NULL,
					       "it uses emptyDir volumes, whose data is lost (use --delete-emptydir-data)");
			d->res->refused++;
			ok = false;
		} else {
			p->result = add_result(d, p, o->dry_run ? KUP_DRAIN_POD_WOULD_EVICT : KUP_DRAIN_POD_BLOCKED,
					       NULL, NULL);
		}
	}
	return ok;
}

static bool covers(const struct kup_drain_budget *b, const char *ns, const struct kup_label *l,
		   size_t n)
{
	return strcmp(b->ns, ns) == 0 && kup_selector_matches(&b->sel, l, n);
}

void kup_drain_dry_plan(struct kup_drain_budget *b, size_t nb, struct kup_drain_candidate *p,
			size_t np)
{
	for (size_t j = 0; j < nb; j++)
		b[j].left = b[j].allowed;
	for (size_t i = 0; i < np; i++) {
		p[i].would_wait = false;
		p[i].holder = 0;
		for (size_t j = 0; j < nb; j++)
			if (b[j].has_status && b[j].left <= 0 &&
			    covers(&b[j], p[i].ns, p[i].labels, p[i].nlabels)) {
				p[i].would_wait = true;
				p[i].holder = j;
				break;
			}
		if (p[i].would_wait)
			continue;
		for (size_t j = 0; j < nb; j++)
			if (b[j].has_status && covers(&b[j], p[i].ns, p[i].labels, p[i].nlabels))
				b[j].left--;
	}
}

/*
 * The dry run: every budget of every namespace the pods are in, then the pods
 * in eviction order against them (kup_drain_dry_plan), each waiting pod named
 * with the budget that holds it and the pods that took its disruptions.
 */
static enum kup_status dry_run(struct drain *d)
{
	struct pdb_list l = { d, NULL, 0, 0 };
	struct kup_drain_budget *b = NULL;
	struct kup_drain_candidate *c = NULL;
	size_t nc = 0, i, j;
	enum kup_status st = KUP_OK;

	/* the budgets of each namespace once, whatever order the pods come in */
	for (i = 0; i < d->npods; i++) {
		bool seen = false;
		if (d->pods[i].done)
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = !d->pods[j].done && strcmp(d->pods[j].ns, d->pods[i].ns) == 0;
		if (seen)
			continue;
		st = list_pdbs_append(d, d->pods[i].ns, &l);
		if (st != KUP_OK)
			goto out;
	}
	b = kup_calloc(l.n ? l.n : 1, sizeof(*b));
	c = kup_calloc(d->npods ? d->npods : 1, sizeof(*c));
	if (!b || !c) {
		st = KUP_NOMEM;
		goto out;
	}
	for (j = 0; j < l.n; j++) {
		b[j].ns = l.v[j].ns;
		b[j].name = l.v[j].name;
		b[j].allowed = l.v[j].allowed;
		b[j].has_status = l.v[j].has_status;
		b[j].sel = l.v[j].sel;
	}
	for (i = 0; i < d->npods; i++) {
		const struct dpod *p = &d->pods[i];
		if (p->done)
			continue;
		c[nc].ns = p->ns;
		c[nc].name = p->name;
		c[nc].labels = p->labels;
		c[nc].nlabels = p->nlabels;
		nc++;
	}
	kup_drain_dry_plan(b, l.n, c, nc);
	for (i = 0, nc = 0; i < d->npods; i++) {
		struct dpod *p = &d->pods[i];
		const struct kup_drain_candidate *k;
		const struct kup_drain_budget *h;
		struct kup_buf why = KUP_BUF_INIT, name = KUP_BUF_INIT;
		size_t ntakers = 0;

		if (p->done)
			continue;
		k = &c[nc++];
		if (!k->would_wait) {
			progress(d, "pod %s/%s on node/%s: would be evicted", p->ns, p->name, p->node);
			continue;
		}
		h = &b[k->holder];
		kup_buf_addf(&name, "%s/%s", h->ns, h->name);
		kup_buf_addf(&why, "PodDisruptionBudget %s allows %lld disruption%s now", name.buf,
			     (long long)h->allowed, h->allowed == 1 ? "" : "s");
		/* who took them: the pods before this one that it covers and that would go */
		for (size_t q = 0; q + 1 < nc; q++) {
			if (c[q].would_wait || !covers(h, c[q].ns, c[q].labels, c[q].nlabels))
				continue;
			if (ntakers < 10)
				kup_buf_addf(&why, "%s%s/%s", ntakers ? ", " : ", taken by the eviction of ",
					     c[q].ns, c[q].name);
			ntakers++;
		}
		if (ntakers > 10)
			kup_buf_addf(&why, " and %zu more", ntakers - 10);
		kup_buf_adds(&why, ": this pod would wait for ");
		kup_buf_adds(&why, ntakers ? "a replacement to become ready" : "the budget to allow one");
		if (why.oom || name.oom) {
			d->oom = true;
		} else {
			set_result(d, p, KUP_DRAIN_POD_WOULD_BLOCK, name.buf, why.buf);
			progress(d, "pod %s/%s on node/%s: would wait: %s", p->ns, p->name, p->node, why.buf);
		}
		kup_buf_release(&why);
		kup_buf_release(&name);
	}
	if (d->oom)
		st = KUP_NOMEM;
out:
	free(b);
	free(c);
	free(l.v);
	return st;
}

static enum kup_status evict_all(struct drain *d)
{
	const struct kup_drain_opts *o = d->o;
	struct pdb_list l = { d, NULL, 0, 0 };
	long start = kup_mono_ms(), backoff = o->backoff_ms > 0 ? o->backoff_ms : 1000;
	long maxb = o->max_backoff_ms > 0 ? o->max_backoff_ms : 5000;
	enum kup_status st = KUP_OK;
	size_t i, left;

	for (;;) {
		bool refused_any = false;

		left = 0;
		for (i = 0; i < d->npods; i++) {
			struct dpod *p = &d->pods[i];
			struct kup_buf why = KUP_BUF_INIT;

			if (p->done)
				continue;
			if (p->evicted) {
				if (pod_gone(d, p)) {
					p->done = true;
					set_result(d, p, KUP_DRAIN_POD_EVICTED, NULL, NULL);
					d->res->evicted++;
					progress(d, "pod %s/%s evicted", p->ns, p->name);
				} else {
					left++;
				}
				continue;
			}
			switch (evict(d, p, &why)) {
			case EV_OK:
				p->evicted = true;
				p->blocked = false;
				progress(d, "pod %s/%s: eviction accepted (%s)", p->ns, p->name, d->eviction_gv);
				if (pod_gone(d, p)) {
					p->done = true;
					set_result(d, p, KUP_DRAIN_POD_EVICTED, NULL, NULL);
					d->res->evicted++;
					progress(d, "pod %s/%s evicted", p->ns, p->name);
				} else {
					left++;
				}
				break;
			case EV_GONE:
				p->done = true;
				set_result(d, p, KUP_DRAIN_POD_EVICTED, NULL, "already gone");
				d->res->evicted++;
				break;
			case EV_BLOCKED: {
				struct kup_buf names = KUP_BUF_INIT, cov = KUP_BUF_INIT, line = KUP_BUF_INIT;
				bool was = p->blocked;

				refused_any = true;
				left++;
				p->blocked = true;
				/* read the budgets again: their status says who blocks now */
				if (list_pdbs(d, p->ns, &l) != KUP_OK) {
					kup_error_release(d->err);
					l.n = 0;
				}
				if (covering(&l, p, false, &names) > 0) {
					covered_pods(d, &l, p, &cov);
					kup_buf_addf(&line, "blocked by PodDisruptionBudget %s (it covers %s): %s",
						     names.buf, cov.buf ? cov.buf : "", why.buf ? why.buf : "");
				} else {
					kup_buf_addf(&line, "refused: %s", why.buf ? why.buf : "");
				}
				p->pdbs = adup(d, names.buf);
				p->reason = adup(d, line.buf);
				set_result(d, p, KUP_DRAIN_POD_BLOCKED, names.buf, line.buf);
				if (!was || backoff >= maxb)
					progress(d, "pod %s/%s: eviction %s; retrying in %.1fs", p->ns, p->name,
						 line.buf ? line.buf : "", (double)backoff / 1000.0);
				kup_buf_release(&names);
				kup_buf_release(&cov);
				kup_buf_release(&line);
				break;
			}
			case EV_FAILED:
				p->done = true;
				set_result(d, p, KUP_DRAIN_POD_FAILED, NULL, why.buf);
				d->res->failed++;
				progress(d, "pod %s/%s: eviction failed: %s", p->ns, p->name, why.buf ? why.buf : "");
				break;
			}
			kup_buf_release(&why);
			if (d->oom) {
				st = KUP_NOMEM;
				goto out;
			}
		}
		if (left == 0)
			break;
		if (o->timeout_ms > 0 && kup_mono_ms() - start >= o->timeout_ms) {
			d->res->timed_out = true;
			break;
		}
		{
			long wait = refused_any ? backoff : 500;
			if (o->timeout_ms > 0 && kup_mono_ms() + wait - start > o->timeout_ms)
				wait = o->timeout_ms - (kup_mono_ms() - start);
			kup_sleep_ms(wait);
			if (refused_any)
				backoff = backoff * 2 > maxb ? maxb : backoff * 2;
		}
	}
	if (!d->res->timed_out)
		goto out;
	progress(d, "timeout after %lds with %zu pod%s left", o->timeout_ms / 1000, left, left == 1 ? "" : "s");
	for (i = 0; i < d->npods; i++) {
		struct dpod *p = &d->pods[i];
		struct kup_buf why = KUP_BUF_INIT;

		if (p->done)
			continue;
		if (o->on_timeout == KUP_DRAIN_TIMEOUT_FORCE) {
			if (delete_pod(d, p, &why)) {
				set_result(d, p, KUP_DRAIN_POD_DELETED, p->pdbs,
					   p->evicted ? "still terminating at the timeout: deleted"
						      : "still blocked at the timeout: deleted (--on-timeout force)");
				d->res->deleted++;
				progress(d, "pod %s/%s deleted (--on-timeout force)", p->ns, p->name);
			} else {
				set_result(d, p, KUP_DRAIN_POD_FAILED, p->pdbs, why.buf);
				d->res->failed++;
			}
		} else if (p->evicted) {
			set_result(d, p, KUP_DRAIN_POD_TERMINATING, NULL,
				   "evicted but still terminating at the timeout");
			d->res->blocked++;
		} else {
			d->res->blocked++;
		}
		kup_buf_release(&why);
	}
out:
	free(l.v);
	return st;
}

enum kup_status kup_drain(struct kup_kube *k, const char *const *nodes, size_t nnodes,
			  const struct kup_drain_opts *opts, struct kup_drain_result *res,
			  struct kup_error *err)
{
	struct kup_drain_opts defaults;
	struct drain d;
	enum kup_status st;
	size_t i;

	if (!k || !res || (!nodes && nnodes))
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "drain: missing arguments");
	if (!opts) {
		kup_drain_opts_init(&defaults);
		opts = &defaults;
	}
	memset(&d, 0, sizeof(d));
	d.k = k;
	d.o = opts;
	d.res = res;
	d.err = err;
	kup_arena_init(&d.a, 16 * 1024);
	kup_kube_resp_init(&d.resp);

	st = pick_versions(&d);
	if (st != KUP_OK)
		goto out;
	res->eviction_version = d.eviction_gv;
	for (i = 0; i < nnodes; i++) {
		st = get_node(&d, nodes[i]);
		if (st != KUP_OK)
			goto out;
	}
	for (i = 0; i < nnodes; i++) {
		size_t before = d.npods;

		st = list_pods(&d, nodes[i]);
		if (st != KUP_OK)
			goto out;
		progress(&d, "node/%s: %zu pod%s", nodes[i], d.npods - before,
			 d.npods - before == 1 ? "" : "s");
	}
	if (!classify(&d)) {
		st = kup_error_set(err, KUP_INVALID, NULL, 0, 0,
				   "cannot drain: %zu pod%s refused (see the list); nothing was changed",
				   res->refused, res->refused == 1 ? "" : "s");
		if (!opts->dry_run)
			goto out;
	}
	if (opts->dry_run) {
		enum kup_status st2 = dry_run(&d);
		if (st == KUP_OK)
			st = st2;
		goto out;
	}
	for (i = 0; i < nnodes; i++) {
		st = cordon(&d, nodes[i]);
		if (st != KUP_OK)
			goto out;
	}
	st = evict_all(&d);
out:
	if (d.oom && st == KUP_OK)
		st = kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	kup_kube_resp_release(&d.resp);
	free(d.pods);
	kup_arena_release(&d.a);
	return st;
}

/* ---- rendering --------------------------------------------------------------- */

void kup_drain_render(const struct kup_drain_result *r, bool dry_run, enum kup_emit_mode mode,
		      struct kup_buf *out)
{
	struct kup_emit e;
	size_t i;

	kup_emit_init(&e, out, mode);
	kup_emit_begin_map(&e);
	kup_emit_kint(&e, "schema_version", 1);
	kup_emit_key(&e, "dry_run");
	kup_emit_bool(&e, dry_run);
	kup_emit_kstr(&e, "eviction_version", r->eviction_version);
	kup_emit_key(&e, "cordoned");
	kup_emit_begin_seq(&e);
	for (i = 0; i < r->ncordoned; i++)
		kup_emit_str(&e, r->cordoned[i]);
	kup_emit_end(&e);
	kup_emit_key(&e, "pods");
	kup_emit_begin_seq(&e);
	for (i = 0; i < r->npods; i++) {
		const struct kup_drain_pod *p = &r->pods[i];

		kup_emit_begin_map(&e);
		kup_emit_kstr(&e, "node", p->node);
		kup_emit_kstr(&e, "namespace", p->namespace_);
		kup_emit_kstr(&e, "name", p->name);
		kup_emit_kstr(&e, "state", kup_drain_state_name(p->state));
		kup_emit_kstr(&e, "pdbs", p->pdbs);
		kup_emit_kstr(&e, "reason", p->reason);
		kup_emit_end(&e);
	}
	kup_emit_end(&e);
	kup_emit_key(&e, "summary");
	kup_emit_begin_map(&e);
	kup_emit_kint(&e, "evicted", (int64_t)r->evicted);
	kup_emit_kint(&e, "deleted", (int64_t)r->deleted);
	kup_emit_kint(&e, "blocked", (int64_t)r->blocked);
	kup_emit_kint(&e, "failed", (int64_t)r->failed);
	kup_emit_kint(&e, "skipped", (int64_t)r->skipped);
	kup_emit_kint(&e, "refused", (int64_t)r->refused);
	kup_emit_key(&e, "timed_out");
	kup_emit_bool(&e, r->timed_out);
	kup_emit_end(&e);
	kup_emit_end(&e);
	kup_emit_finish(&e);
}

void kup_drain_render_text(const struct kup_drain_result *r, struct kup_buf *out)
{
	size_t i;

	kup_buf_addf(out, "%-16s %-40s %-12s %s\n", "NODE", "POD", "STATE", "REASON");
	for (i = 0; i < r->npods; i++) {
		const struct kup_drain_pod *p = &r->pods[i];
		struct kup_buf pod = KUP_BUF_INIT;

		kup_buf_addf(&pod, "%s/%s", p->namespace_ ? p->namespace_ : "", p->name ? p->name : "");
		kup_buf_addf(out, "%-16s %-40s %-12s %s\n", p->node ? p->node : "", pod.buf ? pod.buf : "",
			     kup_drain_state_name(p->state), p->reason ? p->reason : "");
		kup_buf_release(&pod);
	}
}
