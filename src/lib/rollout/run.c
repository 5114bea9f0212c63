/*
 * run.c - `rollout run`: a node-pool roll on a live cluster.
 *
 * The executor reads the pool's Nodes afresh before every decision, keeps
 * the budget (maxSurgeNodes, maxUnavailableNodes) against what it read,
 * and runs three kinds of commands through the fleet's driver (own
 * process group, output in a file, pid recorded before the command may
 * start): the provider's provision and retire commands, and a drain
 * command (`kupgrade drain NODE ...`: the Eviction API with 429 retries and
 * the blocking PDB named).  Every command is a step of the fleet store,
 * recorded before it starts (unique on the roll, the step type, the node
 * and the try), so a successor after kill -9 neither repeats a command
 * that ran nor skips one that never did.  The library never prints:
 * progress goes to opts->progress.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kupgrade/emit.h"
#include "kupgrade/fleet.h"
#include "kupgrade/json.h"
#include "kupgrade/kube.h"
#include "kupgrade/node.h"
#include "kupgrade/rollout.h"
#include "kupgrade/store.h"

#define TAINT_KEY "kupgrade.dev/rollout"
#define MAX_NODES_RUN 4096

enum { OLD_PENDING = 0, OLD_DRAINING, OLD_DRAINED, OLD_RETIRING, OLD_DONE, OLD_QUARANTINED,
       OLD_UPGRADING,          /* in place: the upgrade command runs */
       OLD_UPGRADED };         /* in place: the command succeeded; waiting for Ready at the target */
enum { JOB_PROVISION = 0, JOB_DRAIN, JOB_RETIRE, JOB_UPGRADE };

struct rnode {                 /* one Node as read now */
	char *name;
	char *zone;
	int major, minor;
	bool ready, unsched;
	int prefer_taint;          /* index of our PreferNoSchedule taint, -1 */
	int ntaints;
};

struct old {                   /* an old node of the roll */
	char name[256];
	char zone[128];
	int state;
	int tries;                 /* drain / retire tries so far */
	char *blocker;             /* the last PodDisruptionBudget its drain named ("ns/name"), or NULL */
	char owners[1024];         /* "ns/Kind/name ..." of its pods (not DaemonSets), read before the drain */
	int64_t drained_ms;        /* when it was found drained (monotonic), 0 */
	bool ready_logged;         /* "waiting for ... to be Ready" said once */
	bool drained_by_us;        /* in place: a drain (which cordons) was recorded for it */
	int up_failures;           /* in place: upgrade commands failed so far */
	int64_t up_not_before;     /* in place: monotonic ms, the next upgrade try waits until then */
	int64_t up_done_ms;        /* in place: when the upgrade command ended (monotonic) */
	bool up_unknown;           /* in place: that command was a killed predecessor's, its exit unknown */
};

struct job {
	int kind;
	int old;                   /* JOB_DRAIN, JOB_RETIRE: the old node; -1 */
	char zone[128];
	int64_t step;
	struct kup_driver drv;
	bool adopted;              /* an orphan of a killed predecessor: poll its pid, not waitpid */
	int gen;                   /* JOB_PROVISION: the retry round it was started in */
	pid_t pid;
	char out[600];
};

struct run {
	struct kup_kube *k;
	struct kup_store *st;
	const struct kup_ro_run_opts *o;
	struct kup_ro_run_result *r;
	struct kup_error *err;
	struct rnode *nodes;
	size_t nnodes, capnodes;
	struct old *olds;
	int nold;
	struct job *jobs;
	int njobs, capjobs;
	int provisions;            /* provision steps so far (the next one's sequence) */
	char **claimed;            /* new nodes named by provision steps */
	int nclaimed, capclaimed;
	int tmaj, tmin;            /* target */
	int64_t t0;                /* the roll's start (ms), from the store */
	int64_t last_ms;
	uint64_t rng;
	int prov_failures;         /* provision rounds failed in a row (0: none) */
	int prov_gen;              /* the current provision round */
	int64_t prov_not_before;   /* monotonic ms: the next provision try waits until then */
	int64_t *claimed_ms;       /* per claimed node: when its provision step named it */
	char pdb_path[128];
	char holder[128];          /* this process's lease on the roll */
	const struct kup_ro_policy *pol;  /* the simulator's policy of the same name */
	bool asg_draining;         /* eks: the surge nodes were Ready, drains may start */
	int64_t stuck_ms;          /* in place: since when nothing could start (monotonic), 0 */
};

#define LEASE_TTL_MS 10000
#define PROVISION_RETRIES 3

static void say(struct run *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct run *R, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (R->o->progress)
		R->o->progress(R->o->ctx, line);
}

/* Sets *dst to the formatted text, whole (the old value freed); NULL when out of memory. */
static void set_text(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_text(char **dst, const char *fmt, ...)
{
	struct kup_buf b = KUP_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	kup_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(*dst);
	*dst = kup_buf_detach(&b, NULL);
}

void kup_ro_run_result_release(struct kup_ro_run_result *res)
{
	if (!res)
		return;
	free(res->blocker);
	free(res->reason);
	res->blocker = res->reason = NULL;
}

static void event(struct run *R, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void event(struct run *R, const char *kind, const char *fmt, ...)
{
	struct kup_store_event ev;
	struct kup_error e = KUP_ERROR_INIT;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&ev, 0, sizeof(ev));
	ev.cluster = R->o->name;
	ev.kind = kind;
	ev.message = msg;
	ev.exit_code = -1;
	ev.actor = "kupgrade rollout run";
	if (kup_store_add_event(R->st, &ev, NULL, &e) != KUP_OK)
		say(R, "cannot record event %s: %s", kind, e.msg ? e.msg : "?");
	kup_error_release(&e);
	say(R, "%s", msg);
}

static bool parse_version(const char *s, int *maj, int *min)
{
	if (!s)
		return false;
	if (*s == 'v')
		s++;
	return sscanf(s, "%d.%d", maj, min) == 2;
}

static void nodes_clear(struct run *R)
{
	size_t i;

	for (i = 0; i < R->nnodes; i++) {
		free(R->nodes[i].name);
		free(R->nodes[i].zone);
	}
	R->nnodes = 0;
}

static enum kup_status on_node(void *ctx, const struct kup_doc *doc)
{
	struct run *R = ctx;
	const struct kup_node *n = doc->root, *conds, *taints;
	struct rnode *x;
	size_t i;

	if (R->nnodes == R->capnodes &&
	    !kup_grow(&R->nodes, &R->capnodes, R->nnodes + 1, sizeof(*R->nodes), 64))
		return KUP_NOMEM;
	x = &R->nodes[R->nnodes];
	memset(x, 0, sizeof(*x));
	x->prefer_taint = -1;
	x->name = strdup(kup_node_str(kup_node_path(n, "metadata", "name", NULL)) ?
			 kup_node_str(kup_node_path(n, "metadata", "name", NULL)) : "");
	{
		const char *z = kup_node_str(kup_node_path(n, "metadata", "labels",
							   "topology.kubernetes.io/zone", NULL));
		x->zone = strdup(z ? z : "");
	}
	if (!x->name || !x->zone)
		return KUP_NOMEM;
	if (!parse_version(kup_node_str(kup_node_path(n, "status", "nodeInfo", "kubeletVersion", NULL)),
			   &x->major, &x->minor))
		x->major = x->minor = 0;
	kup_node_bool(kup_node_path(n, "spec", "unschedulable", NULL), &x->unsched);
	conds = kup_node_path(n, "status", "conditions", NULL);
	for (i = 0; conds && conds->kind == KUP_NODE_SEQ && i < conds->len; i++) {
		const struct kup_node *c = conds->u.items[i];
		if (kup_node_eq(kup_node_get(c, "type"), "Ready"))
			x->ready = kup_node_eq(kup_node_get(c, "status"), "True");
	}
	taints = kup_node_path(n, "spec", "taints", NULL);
	for (i = 0; taints && taints->kind == KUP_NODE_SEQ && i < taints->len; i++) {
		const struct kup_node *t = taints->u.items[i];
		x->ntaints++;
		if (kup_node_eq(kup_node_get(t, "key"), TAINT_KEY) &&
		    kup_node_eq(kup_node_get(t, "effect"), "PreferNoSchedule"))
			x->prefer_taint = (int)i;
	}
	R->nnodes++;
	return KUP_OK;
}

/* A fresh read of the pool's Nodes; no action is taken without one. */
static enum kup_status read_nodes(struct run *R)
{
	struct kup_kube_resource res;
	struct kup_kube_list_opts lo;

	nodes_clear(R);
	kup_kube_resource_set(&res, "v1", "nodes", "Node", false);
	kup_kube_list_opts_init(&lo);
	lo.label_selector = R->o->label_selector;
	return kup_kube_list_items(R->k, &res, &lo, on_node, R, R->err);
}

static const struct rnode *find_node(const struct run *R, const char *name)
{
	size_t i;

	for (i = 0; i < R->nnodes; i++)
		if (strcmp(R->nodes[i].name, name) == 0)
			return &R->nodes[i];
	return NULL;
}

static bool is_old(const struct run *R, const struct rnode *n)
{
	return n->major < R->tmaj || (n->major == R->tmaj && n->minor < R->tmin);
}

static bool claimed(const struct run *R, const char *name)
{
	int i;

	for (i = 0; i < R->nclaimed; i++)
		if (strcmp(R->claimed[i], name) == 0)
			return true;
	return false;
}

static void claim(struct run *R, const char *name)
{
	size_t cap = (size_t)R->capclaimed;
	char *d;

	if (claimed(R, name))
		return;
	if (R->nclaimed == R->capclaimed) {
		int64_t *ms;
		if (!kup_grow(&R->claimed, &cap, (size_t)R->nclaimed + 1, sizeof(char *), 16))
			return;
		ms = kup_realloc(R->claimed_ms, cap * sizeof(int64_t));
		if (!ms)
			return;
		R->claimed_ms = ms;
		R->capclaimed = (int)cap;
	}
	d = strdup(name);
	if (d) {
		R->claimed_ms[R->nclaimed] = kup_mono_ms();
		R->claimed[R->nclaimed++] = d;
	}
}

/*
 * A node a provision step named that is still not Ready (or not there)
 * provision-timeout after it was named: the roll stops, the node named.
 * Once seen Ready a node is not checked again.
 */
static void check_claimed_ready(struct run *R)
{
	int i;

	for (i = 0; i < R->nclaimed && !R->r->failed; i++) {
		const struct rnode *n;
		if (R->claimed_ms[i] < 0)
			continue;
		n = find_node(R, R->claimed[i]);
		if (n && n->ready) {
			R->claimed_ms[i] = -1;
			continue;
		}
		if (R->o->provision_timeout_s > 0 &&
		    kup_mono_ms() - R->claimed_ms[i] > (int64_t)R->o->provision_timeout_s * 1000) {
			R->r->failed = true;
			set_text(&R->r->reason,
				 "node %s, named by the provision command, is %s after %ld s",
				 R->claimed[i], n ? "not Ready" : "not registered", R->o->provision_timeout_s);
		}
	}
}

static int find_old(const struct run *R, const char *name)
{
	int i;

	for (i = 0; i < R->nold; i++)
		if (strcmp(R->olds[i].name, name) == 0)
			return i;
	return -1;
}

/* The last non-empty line of `text` into buf: a provision command's node name. */
static void last_line(const char *text, char *buf, size_t n)
{
	const char *end = text + strlen(text), *b;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	b = end;
	while (b > text && b[-1] != '\n')
		b--;
	snprintf(buf, n, "%.*s", (int)(end - b), b);
}

/* ---- commands ------------------------------------------------------------------- */

static void expand(const char *tmpl, const char *pool, const char *zone, const char *version,
		   const char *node, struct kup_buf *out)
{
	const char *p = tmpl;

	while (*p) {
		const char *v = NULL;
		size_t skip = 0;
		if (strncmp(p, "{pool}", 6) == 0)
			v = pool, skip = 6;
		else if (strncmp(p, "{zone}", 6) == 0)
			v = zone, skip = 6;
		else if (strncmp(p, "{version}", 9) == 0)
			v = version, skip = 9;
		else if (strncmp(p, "{node}", 6) == 0)
			v = node, skip = 6;
		if (skip) {
			kup_sh_quote(out, v);   /* single-quoted for /bin/sh */
			p += skip;
		} else {
			kup_buf_addc(out, *p++);
		}
	}
}

static const char *kind_name(int kind)
{
	return kind == JOB_PROVISION ? "provision" : kind == JOB_DRAIN ? "drain" :
	       kind == JOB_UPGRADE ? "upgrade" : "retire";
}

static bool in_place(const struct run *R)
{
	return R->o->upgrade && R->o->upgrade[0];
}

static struct job *job_add(struct run *R)
{
	size_t cap = (size_t)R->capjobs;

	if (R->njobs == R->capjobs) {
		if (!kup_grow(&R->jobs, &cap, (size_t)R->njobs + 1, sizeof(*R->jobs), 16))
			return NULL;
		R->capjobs = (int)cap;
	}
	memset(&R->jobs[R->njobs], 0, sizeof(R->jobs[0]));
	R->jobs[R->njobs].old = -1;
	return &R->jobs[R->njobs++];
}

static void out_path(const struct run *R, int64_t step, char *buf, size_t n)
{
	snprintf(buf, n, "%s/kupgrade-rollout-step-%lld.out", R->o->dir ? R->o->dir : ".",
		 (long long)step);
}

/*
 * Records the step, then starts its command.  The step key is (roll, kind,
 * component, version#try): a second start of the same key is refused by
 * the store, so nothing runs twice.
 */
static bool start_job(struct run *R, int kind, int old, const char *zone, const char *component,
		      int try_, const char *cmd, long timeout_s)
{
	struct kup_store_step step;
	struct kup_error e = KUP_ERROR_INIT;
	struct job *j;
	char to[128];
	int64_t id;

	memset(&step, 0, sizeof(step));
	snprintf(to, sizeof(to), "%s#%d", R->o->to, try_);
	step.cluster = R->o->name;
	step.order = (unsigned)R->njobs;
	step.type = kind_name(kind);
	step.component = component;
	step.to = to;
	step.run_by = "kupgrade rollout run";
	if (kup_store_step_start(R->st, &step, R->holder, kup_store_now(), &id, &e) != KUP_OK) {
		say(R, "cannot record %s of %s: %s", kind_name(kind), component, e.msg ? e.msg : "?");
		kup_error_release(&e);
		return false;
	}
	j = job_add(R);
	if (!j)
		return false;
	j->kind = kind;
	j->old = old;
	j->step = id;
	snprintf(j->zone, sizeof(j->zone), "%s", zone ? zone : "");
	out_path(R, id, j->out, sizeof(j->out));
	if (kup_driver_spawn(&j->drv, cmd, R->o->dir, j->out, &e) != KUP_OK ||
	    kup_store_step_set_pid(R->st, id, j->drv.pid, R->holder, kup_store_now(), &e) != KUP_OK) {
		say(R, "cannot start %s of %s: %s", kind_name(kind), component, e.msg ? e.msg : "?");
		kup_error_release(&e);
		if (j->drv.pid > 0)
			kup_driver_abort(&j->drv);
		kup_driver_release(&j->drv);
		kup_store_step_finish(R->st, id, false, -1, "not started", R->holder, kup_store_now(), &e);
		kup_error_release(&e);
		R->njobs--;
		return false;
	}
	kup_driver_go(&j->drv, timeout_s > 0 ? timeout_s * 1000 : 0);
	j->pid = j->drv.pid;
	say(R, "step %lld: %s %s started: %s", (long long)id, kind_name(kind), component, cmd);
	return true;
}

/* ---- the budget --------------------------------------------------------------------- */

static int find_old(const struct run *R, const char *name);

/*
 * Ready-and-schedulable nodes of the pool now.  A node whose drain was
 * started counts as taken out even before the drain's cordon shows in a
 * read: the budget is never spent twice on one node.
 */
static int available(const struct run *R)
{
	size_t i;
	int a = 0;

	for (i = 0; i < R->nnodes; i++) {
		int k = find_old(R, R->nodes[i].name);
		if (k >= 0 && R->olds[k].state != OLD_PENDING &&
		    !(in_place(R) && R->olds[k].state == OLD_DONE))
			continue;
		a += R->nodes[i].ready && !R->nodes[i].unsched;
	}
	return a;
}

/*
 * The node count the budget is kept against: the old nodes (replace); in
 * place, every node of the pool, an old node missing from the read included.
 */
static int pool_size(const struct run *R)
{
	int i, n;

	if (!in_place(R))
		return R->nold;
	n = (int)R->nnodes;
	for (i = 0; i < R->nold; i++)
		n += !find_node(R, R->olds[i].name);
	return n;
}

static int jobs_of(const struct run *R, int kind)
{
	int i, n = 0;

	for (i = 0; i < R->njobs; i++)
		n += R->jobs[i].kind == kind;
	return n;
}

/* PDBs: seconds during which some PDB had fewer healthy pods than it requires. */
static enum kup_status on_pdb(void *ctx, const struct kup_doc *doc)
{
	bool *viol = ctx;
	int64_t cur = 0, des = 0;

	if (kup_node_int(kup_node_path(doc->root, "status", "currentHealthy", NULL), &cur) &&
	    kup_node_int(kup_node_path(doc->root, "status", "desiredHealthy", NULL), &des) && cur < des)
		*viol = true;
	return KUP_OK;
}

static void sample_pdbs(struct run *R, double dt)
{
	struct kup_kube_resource res;
	struct kup_kube_list_opts lo;
	struct kup_error e = KUP_ERROR_INIT;
	bool viol = false;

	if (!R->pdb_path[0]) {
		struct kup_kube_resp resp;
		kup_kube_resp_init(&resp);
		snprintf(R->pdb_path, sizeof(R->pdb_path), "policy/v1");
		if (kup_kube_get(R->k, "/apis/policy/v1", &resp, &e) != KUP_OK)
			snprintf(R->pdb_path, sizeof(R->pdb_path), "policy/v1beta1");
		kup_kube_resp_release(&resp);
		kup_error_release(&e);
	}
	kup_kube_resource_set(&res, R->pdb_path, "poddisruptionbudgets", "PodDisruptionBudget", true);
	kup_kube_list_opts_init(&lo);
	if (kup_kube_list_items(R->k, &res, &lo, on_pdb, &viol, &e) == KUP_OK && viol)
		R->r->pdb_violation_s += dt;
	kup_error_release(&e);
}

/* ---- decisions ------------------------------------------------------------------------ */

static bool is_kupgrade(const struct run *R)
{
	return strcmp(R->o->policy, "kupgrade") == 0;
}

static bool is_eks(const struct run *R)
{
	return strcmp(R->o->policy, "eks") == 0;
}

bool kup_ro_run_policy_ok(const char *name)
{
	return name && (strcmp(name, "kupgrade") == 0 || strcmp(name, "capi") == 0 ||
			strcmp(name, "eks") == 0);
}

/* kupgrade: old nodes PreferNoSchedule, so replacements land on new nodes while they have room. */
static void taint_prefer(struct run *R)
{
	size_t i;

	for (i = 0; i < R->nnodes; i++) {
		const struct rnode *n = &R->nodes[i];
		struct kup_kube_resp resp;
		struct kup_error e = KUP_ERROR_INIT;
		struct kup_buf path = KUP_BUF_INIT;
		const char *body, *type;
		if (!is_old(R, n) || n->prefer_taint >= 0)
			continue;
		event(R, "taint", "node %s: taint %s:PreferNoSchedule", n->name, TAINT_KEY);
		kup_buf_addf(&path, "/api/v1/nodes/%s", n->name);
		if (n->ntaints == 0) {
			type = "application/merge-patch+json";
			body = "{\"spec\":{\"taints\":[{\"key\":\"" TAINT_KEY "\",\"effect\":\"PreferNoSchedule\"}]}}";
		} else {
			type = "application/json-patch+json";
			body = "[{\"op\":\"add\",\"path\":\"/spec/taints/-\",\"value\":{\"key\":\"" TAINT_KEY
			       "\",\"effect\":\"PreferNoSchedule\"}}]";
		}
		kup_kube_resp_init(&resp);
		if (kup_kube_request(R->k, "PATCH", path.buf, type, body, strlen(body), &resp, &e) != KUP_OK)
			say(R, "node %s: cannot taint: %s", n->name, e.msg ? e.msg : "?");
		kup_kube_resp_release(&resp);
		kup_error_release(&e);
		kup_buf_release(&path);
	}
}

/* The zone a new node should go to: the one whose old nodes lack replacements most. */
static const char *provision_zone(struct run *R)
{
	int i, best = -1, bestgap = -1000000;

	for (i = 0; i < R->nold; i++) {
		int k, gap = 0;
		const char *z = R->olds[i].zone;
		if (R->olds[i].state >= OLD_DONE)
			continue;
		for (k = 0; k < R->nold; k++)
			gap += strcmp(R->olds[k].zone, z) == 0 && R->olds[k].state < OLD_DRAINED;
		for (k = 0; k < R->njobs; k++)
			gap -= R->jobs[k].kind == JOB_PROVISION && strcmp(R->jobs[k].zone, z) == 0;
		{
			size_t n;
			for (n = 0; n < R->nnodes; n++)
				gap -= !is_old(R, &R->nodes[n]) && strcmp(R->nodes[n].zone, z) == 0;
		}
		if (!is_kupgrade(R) && !is_eks(R))
			gap = 0;   /* CAPI: no zone matching, old nodes in order; EKS: AZ-balanced */
		if (gap > bestgap) {
			bestgap = gap;
			best = i;
		}
	}
	return best >= 0 ? R->olds[best].zone : "";
}

/* The next old node to drain: kupgrade, one in the zone with the most spare new nodes; else random. */
static int pick_drain(struct run *R)
{
	int i, best = -1;
	long bestscore = -1000000;

	for (i = 0; i < R->nold; i++) {
		const struct rnode *n;
		long score = 0;
		if (R->olds[i].state != OLD_PENDING)
			continue;
		n = find_node(R, R->olds[i].name);
		if (!n)
			continue;
		if (is_kupgrade(R)) {
			size_t k;
			int j;
			for (k = 0; k < R->nnodes; k++)
				score += !is_old(R, &R->nodes[k]) && R->nodes[k].ready &&
					 strcmp(R->nodes[k].zone, n->zone) == 0;
			for (j = 0; j < R->nold; j++)
				score -= (R->olds[j].state == OLD_DRAINING || R->olds[j].state == OLD_DRAINED ||
					  R->olds[j].state == OLD_RETIRING) &&
					 strcmp(R->olds[j].zone, n->zone) == 0;
		} else {
			R->rng = R->rng * 6364136223846793005ull + 1442695040888963407ull;
			score = (long)(R->rng >> 40);
		}
		if (score > bestscore) {
			bestscore = score;
			best = i;
		}
	}
	return best;
}

static void read_owners(struct run *R, struct old *od);

/* EKS updateConfig.maxUnavailable at the budget: min(100, S + M), at least 1. */
static int asg_parallel(const struct run *R)
{
	int mu = R->o->max_surge + R->o->max_unavailable;

	return mu < 1 ? 1 : mu > 100 ? 100 : mu;
}

static void act(struct run *R)
{
	const struct kup_ro_run_opts *o = R->o;
	int n0 = pool_size(R), extra = 0, avail = available(R);
	struct kup_buf cmd = KUP_BUF_INIT;

	/*
	 * surge: nodes above the pool size, those being provisioned included
	 * (the old nodes still there are n0 - retired)
	 */
	if (!in_place(R)) {
		/* new nodes: those our provision steps named (registered or not yet) */
		int newn = R->nclaimed, prov = jobs_of(R, JOB_PROVISION), need = 0;
		/*
		 * one new node per old node, quarantined ones included: a
		 * quarantined node stays cordoned, so its replacement is what
		 * keeps the budget for the drains after it
		 */
		need = R->nold;
		extra = newn + prov - R->r->retired;
		while (!*o->stop && extra < o->max_surge && newn + prov < need &&
		       kup_mono_ms() >= R->prov_not_before && (R->prov_failures == 0 || prov == 0)) {
			char comp[64];
			const char *z = provision_zone(R);
			kup_buf_reset(&cmd);
			expand(o->provision, o->pool, z, o->to, NULL, &cmd);
			snprintf(comp, sizeof(comp), "new-%d", R->provisions);
			if (!start_job(R, JOB_PROVISION, -1, z, comp, 0, cmd.buf, o->provision_timeout_s))
				break;
			R->jobs[R->njobs - 1].gen = R->prov_gen;
			R->provisions++;
			prov++;
			extra++;
		}
	}
	/*
	 * EKS: no drain before every surge node is Ready, then at most its
	 * updateConfig.maxUnavailable (maxSurgeNodes + maxUnavailableNodes, as
	 * the simulator maps the budget) old nodes in flight
	 */
	if (is_eks(R) && !R->asg_draining) {
		int i, newn = R->nclaimed, prov = jobs_of(R, JOB_PROVISION);
		bool all = prov == 0 && (extra >= o->max_surge || newn >= R->nold);
		for (i = 0; i < R->nclaimed && all; i++)
			all = R->claimed_ms[i] < 0;
		for (i = 0; i < R->nold; i++)
			all = all || R->olds[i].state != OLD_PENDING;   /* --resume */
		if (!all) {
			kup_buf_release(&cmd);
			return;
		}
		R->asg_draining = true;
		event(R, "surge-ready", "%d surge node(s) Ready: drains start, at most %d at a time",
		      R->nclaimed, asg_parallel(R));
	}
	/* drains within maxUnavailableNodes, counted on the fresh read */
	while (!*o->stop) {
		int k = pick_drain(R);
		const struct rnode *n;
		char comp[300];
		if (k < 0)
			break;
		if (is_eks(R)) {
			int i, inflight = 0;
			for (i = 0; i < R->nold; i++)
				inflight += R->olds[i].state == OLD_DRAINING || R->olds[i].state == OLD_DRAINED ||
					    R->olds[i].state == OLD_RETIRING;
			if (inflight >= asg_parallel(R))
				break;
		}
		n = find_node(R, R->olds[k].name);
		if (n && n->ready && !n->unsched && n0 - (avail - 1) > o->max_unavailable)
			break;
		read_owners(R, &R->olds[k]);
		kup_buf_reset(&cmd);
		expand(o->drain, o->pool, NULL, o->to, R->olds[k].name, &cmd);
		snprintf(comp, sizeof(comp), "%s", R->olds[k].name);
		if (!start_job(R, JOB_DRAIN, k, R->olds[k].zone, comp, R->olds[k].tries++, cmd.buf,
			       o->drain_timeout_s + 60))
			break;
		R->olds[k].state = OLD_DRAINING;
		R->olds[k].drained_by_us = true;
		if (n && n->ready && !n->unsched)
			avail--;
	}
	kup_buf_release(&cmd);
}

static void delete_node(struct run *R, const char *name)
{
	struct kup_kube_resp resp;
	struct kup_error e = KUP_ERROR_INIT;
	struct kup_buf path = KUP_BUF_INIT;

	kup_buf_addf(&path, "/api/v1/nodes/%s", name);
	kup_kube_resp_init(&resp);
	if (kup_kube_request(R->k, "DELETE", path.buf, NULL, NULL, 0, &resp, &e) != KUP_OK &&
	    resp.status != 404)
		say(R, "node %s: cannot delete the Node object: %s", name, e.msg ? e.msg : "?");
	kup_kube_resp_release(&resp);
	kup_error_release(&e);
	kup_buf_release(&path);
}

/* A finished command: record it, then the next state of its node. */
static void job_done(struct run *R, struct job *j, bool ok, int status, const char *tail)
{
	struct kup_error e = KUP_ERROR_INIT;
	char name[256];

	if (kup_store_step_finish(R->st, j->step, ok, status, tail, R->holder, kup_store_now(), &e) != KUP_OK)
		say(R, "cannot record the end of step %lld: %s", (long long)j->step, e.msg ? e.msg : "?");
	kup_error_release(&e);
	switch (j->kind) {
	case JOB_PROVISION:
		last_line(tail, name, sizeof(name));
		if (ok && *name) {
			claim(R, name);
			R->r->provisioned++;
			R->prov_failures = 0;
			R->prov_not_before = 0;
			say(R, "step %lld: provisioned %s", (long long)j->step, name);
		} else if (j->gen != R->prov_gen) {
			/* started in the same round as one that failed already: that one counts */
			say(R, "step %lld: the provision command failed (exit %d) as well", (long long)j->step,
			    status);
		} else if (++R->prov_failures <= PROVISION_RETRIES) {
			/*
			 * retried after 5, 10, 20 s, one command at a time until one
			 * succeeds; the budget counts nothing for it meanwhile
			 */
			long wait_ms = 5000L << (R->prov_failures - 1);
			R->prov_gen++;
			R->prov_not_before = kup_mono_ms() + wait_ms;
			event(R, "provision-retry", "step %lld: the provision command failed (exit %d%s): "
			      "retry %d of %d in %ld s", (long long)j->step, status,
			      ok ? ", no node name printed" : "", R->prov_failures, PROVISION_RETRIES,
			      wait_ms / 1000);
		} else {
			R->r->failed = true;
			set_text(&R->r->reason,
				 "the provision command still failed after %d retries (5, 10, 20 s; last exit %d): "
				 "%.160s", PROVISION_RETRIES, status, tail);
		}
		break;
	case JOB_DRAIN: {
		struct old *od = &R->olds[j->old];
		if (ok) {
			od->state = OLD_DRAINED;
			say(R, "node %s drained", od->name);
			break;
		}
		{
			/* the last budget the drain named: the one still holding at its end */
			const char *p = NULL, *q = tail;
			while ((q = strstr(q, "PodDisruptionBudget ")) != NULL)
				p = q++;
			if (p) {
				size_t n = strcspn(p + 20, " (,\n");
				set_text(&od->blocker, "%.*s", (int)n, p + 20);
			}
		}
		if (in_place(R)) {
			/*
			 * in place a quarantined node would hold the budget for
			 * good: the roll stops, the node left cordoned (--abort
			 * uncordons it; --resume drains it again)
			 */
			R->r->failed = true;
			od->state = OLD_PENDING;
			set_text(&R->r->reason, "drain of %s failed (exit %d)%s%s", od->name, status,
				 od->blocker ? ": blocked by PodDisruptionBudget " : "",
				 od->blocker ? od->blocker : "");
		} else if (is_kupgrade(R)) {
			od->state = OLD_QUARANTINED;
			R->r->quarantined++;
			event(R, "quarantine", "node %s: drain blocked%s%s past the drain timeout: "
			      "quarantined (cordoned, left at its version)", od->name,
			      od->blocker ? " by PodDisruptionBudget " : "", od->blocker ? od->blocker : "");
		} else {
			const char *why = R->pol && R->pol->timeout_error ? R->pol->timeout_error : NULL;
			R->r->failed = true;
			set_text(&R->r->reason, "%s%sdrain of %s failed (exit %d)%s%s",
				 why ? why : "", why ? ": " : "", od->name, status,
				 od->blocker ? ": blocked by PodDisruptionBudget " : "",
				 od->blocker ? od->blocker : "");
		}
		if (od->blocker)
			set_text(&R->r->blocker, "%s", od->blocker);
		break;
	}
	case JOB_UPGRADE: {
		struct old *od = &R->olds[j->old];
		if (ok) {
			od->state = OLD_UPGRADED;
			od->up_done_ms = kup_mono_ms();
			say(R, "node %s: the upgrade command succeeded; waiting for it to be Ready at %s",
			    od->name, R->o->to);
		} else if (++od->up_failures <= PROVISION_RETRIES) {
			/* as a provision: retried after 5, 10, 20 s; the node stays cordoned */
			long wait_ms = 5000L << (od->up_failures - 1);
			od->state = OLD_DRAINED;
			od->up_not_before = kup_mono_ms() + wait_ms;
			event(R, "upgrade-retry", "node %s: the upgrade command failed (exit %d%s): retry %d "
			      "of %d in %ld s", od->name, status, j->drv.timed_out ? ", timed out" : "",
			      od->up_failures, PROVISION_RETRIES, wait_ms / 1000);
		} else {
			od->state = OLD_DRAINED;
			R->r->failed = true;
			set_text(&R->r->reason,
				 "node %s: the upgrade command still failed after %d retries (5, 10, 20 s; "
				 "last exit %d): %.160s", od->name, PROVISION_RETRIES, status, tail);
		}
		break;
	}
	case JOB_RETIRE: {
		struct old *od = &R->olds[j->old];
		if (ok) {
			delete_node(R, od->name);
			od->state = OLD_DONE;
			R->r->retired++;
			say(R, "node %s retired", od->name);
		} else {
			R->r->failed = true;
			set_text(&R->r->reason, "retire of %s failed (exit %d)",
				 od->name, status);
		}
		break;
	}
	}
}

static void poll_jobs(struct run *R)
{
	int i;

	for (i = 0; i < R->njobs;) {
		struct job *j = &R->jobs[i];
		bool done;
		if (j->adopted) {
			done = j->pid <= 0 || !kup_process_group_alive(j->pid);
			if (done) {
				bool cut;
				j->drv.tail_len = kup_fleet_read_tail(j->out, j->drv.tail, sizeof(j->drv.tail), &cut);
				/* the exit code of an orphan is not known: its output decides */
				j->drv.status = j->pid <= 0 || kup_driver_never_ran(j->out, j->pid) ? 127 : 0;
				if (j->kind == JOB_DRAIN)
					j->drv.status = 1;   /* interrupted: drained again */
				remove(j->out);
			}
		} else {
			done = kup_driver_poll(&j->drv);
		}
		if (!done) {
			i++;
			continue;
		}
		if (j->adopted && j->kind == JOB_DRAIN) {
			struct kup_error e = KUP_ERROR_INIT;
			kup_store_step_settle(R->st, j->step, false, "interrupted: drained again", R->holder,
					      kup_store_now(), &e);
			kup_error_release(&e);
			R->olds[j->old].state = OLD_PENDING;
		} else if (j->adopted) {
			struct kup_error e = KUP_ERROR_INIT;
			bool ok = j->drv.status == 0;
			char name[256];
			if (j->kind == JOB_PROVISION) {
				last_line(j->drv.tail, name, sizeof(name));
				ok = ok && *name && !strstr(name, KUP_DRIVER_NOT_RUN);
			}
			kup_store_step_settle(R->st, j->step, ok, j->drv.tail, R->holder, kup_store_now(), &e);
			kup_error_release(&e);
			if (ok && j->kind == JOB_PROVISION) {
				claim(R, name);
				R->r->provisioned++;
			} else if (ok && j->kind == JOB_RETIRE) {
				delete_node(R, R->olds[j->old].name);
				R->olds[j->old].state = OLD_DONE;
				R->r->retired++;
			} else if (j->kind == JOB_RETIRE) {
				R->olds[j->old].state = OLD_DRAINED;   /* never ran: retire again */
			} else if (ok && j->kind == JOB_UPGRADE) {
				/*
				 * it ran (its exit code is not known): never run twice;
				 * the node must come Ready at the target in time
				 */
				R->olds[j->old].state = OLD_UPGRADED;
				R->olds[j->old].up_done_ms = kup_mono_ms();
				R->olds[j->old].up_unknown = true;
			} else if (j->kind == JOB_UPGRADE) {
				R->olds[j->old].state = OLD_DRAINED;   /* never ran: upgrade now */
			}
			say(R, "step %lld (%s of a previous run) settled: %s", (long long)j->step,
			    kind_name(j->kind), ok ? "succeeded" : "not run");
		} else {
			job_done(R, j, j->drv.status == 0 && !j->drv.timed_out, j->drv.status, j->drv.tail);
		}
		kup_driver_release(&j->drv);
		R->jobs[i] = R->jobs[--R->njobs];
	}
}

/* ---- the evicted workloads ---------------------------------------------------------- */

static enum kup_status on_pod_owner(void *ctx, const struct kup_doc *doc)
{
	struct old *od = ctx;
	const struct kup_node *refs = kup_node_path(doc->root, "metadata", "ownerReferences", NULL);
	const char *ns = kup_node_str(kup_node_path(doc->root, "metadata", "namespace", NULL));
	size_t i;

	if (kup_node_path(doc->root, "metadata", "deletionTimestamp", NULL))
		return KUP_OK;
	for (i = 0; refs && refs->kind == KUP_NODE_SEQ && i < refs->len; i++) {
		const char *kind = kup_node_str(kup_node_get(refs->u.items[i], "kind"));
		const char *name = kup_node_str(kup_node_get(refs->u.items[i], "name"));
		char one[600];
		size_t len = strlen(od->owners);
		if (!kind || !name || !ns ||
		    (strcmp(kind, "ReplicaSet") != 0 && strcmp(kind, "StatefulSet") != 0))
			continue;   /* DaemonSet pods stay; bare pods and Jobs have no replicas to wait for */
		snprintf(one, sizeof(one), "%s/%s/%s", ns, kind, name);
		{
			/* once each */
			const char *p = od->owners;
			size_t n = strlen(one);
			bool seen = false;
			while ((p = strstr(p, one)) != NULL) {
				if ((p == od->owners || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
					seen = true;
				p += n;
			}
			if (seen)
				continue;
		}
		if (len + strlen(one) + 2 < sizeof(od->owners))
			snprintf(od->owners + len, sizeof(od->owners) - len, "%s%s", len ? " " : "", one);
	}
	return KUP_OK;
}

/* The controllers of the node's pods, read before its drain starts (and recorded for --resume). */
static void read_owners(struct run *R, struct old *od)
{
	struct kup_kube_resource res;
	struct kup_kube_list_opts lo;
	struct kup_error e = KUP_ERROR_INIT;
	char fs[300];

	/* kept from a previous try (--resume): a drain again finds fewer pods */
	snprintf(fs, sizeof(fs), "spec.nodeName=%s", od->name);
	kup_kube_resource_set(&res, "v1", "pods", "Pod", true);
	kup_kube_list_opts_init(&lo);
	lo.field_selector = fs;
	if (kup_kube_list_items(R->k, &res, &lo, on_pod_owner, od, &e) != KUP_OK)
		say(R, "node %s: cannot list its pods (%s): its workloads are not waited for",
		    od->name, e.msg ? e.msg : "?");
	kup_error_release(&e);
	if (od->owners[0]) {
		struct kup_store_event ev;
		char msg[1400];
		snprintf(msg, sizeof(msg), "%s %s", od->name, od->owners);
		memset(&ev, 0, sizeof(ev));
		ev.cluster = R->o->name;
		ev.kind = "drain-owners";
		ev.message = msg;
		ev.exit_code = -1;
		if (kup_store_add_event(R->st, &ev, NULL, &e) != KUP_OK)
			say(R, "cannot record the workloads of %s: %s", od->name, e.msg ? e.msg : "?");
		kup_error_release(&e);
	}
}

struct ready_ctx {
	bool found, ready;
};

static enum kup_status on_owner(void *ctx, const struct kup_doc *doc)
{
	struct ready_ctx *c = ctx;
	int64_t want = 1, have = 0;

	c->found = true;
	kup_node_int(kup_node_path(doc->root, "spec", "replicas", NULL), &want);
	kup_node_int(kup_node_path(doc->root, "status", "readyReplicas", NULL), &have);
	c->ready = have >= want;
	return KUP_OK;
}

/*
 * Whether every workload that had pods on the node has all its replicas
 * Ready again (a ReplicaSet or StatefulSet that is gone counts as Ready);
 * the first that is not goes into `which`.  A read that fails is "not yet".
 */
static bool owners_ready(struct run *R, const struct old *od, char *which, size_t n)
{
	const char *p = od->owners;

	while (*p) {
		char one[600], ns[256], kind[32], name[300], fs[320];
		size_t len = strcspn(p, " ");
		struct kup_kube_resource res;
		struct kup_kube_list_opts lo;
		struct kup_error e = KUP_ERROR_INIT;
		struct ready_ctx c = { false, false };
		enum kup_status st;
		snprintf(one, sizeof(one), "%.*s", (int)len, p);
		p += len;
		while (*p == ' ')
			p++;
		if (sscanf(one, "%255[^/]/%31[^/]/%299s", ns, kind, name) != 3)
			continue;
		kup_kube_resource_set(&res, "apps/v1", strcmp(kind, "ReplicaSet") == 0 ? "replicasets" :
				      "statefulsets", kind, true);
		kup_kube_list_opts_init(&lo);
		lo.namespace_ = ns;
		snprintf(fs, sizeof(fs), "metadata.name=%s", name);
		lo.field_selector = fs;
		st = kup_kube_list_items(R->k, &res, &lo, on_owner, &c, &e);
		kup_error_release(&e);
		if (st != KUP_OK || (c.found && !c.ready)) {
			snprintf(which, n, "%s", one);
			return false;
		}
	}
	return true;
}

/*
 * Drained nodes: retired through the provider once the workloads their pods
 * belonged to are Ready again (at most the drain timeout, then retired
 * anyway, said so: the pods are no longer on the node).
 */
static void retire_drained(struct run *R)
{
	int i;
	struct kup_buf cmd = KUP_BUF_INIT;

	for (i = 0; i < R->nold && !*R->o->stop; i++) {
		struct old *od = &R->olds[i];
		char which[600];
		if (od->state != OLD_DRAINED)
			continue;
		if (!od->drained_ms)
			od->drained_ms = kup_mono_ms();
		if (R->pol && R->pol->post_cordon > 0 && !is_kupgrade(R) &&
		    kup_mono_ms() - od->drained_ms < (int64_t)(R->pol->post_cordon * 1000))
			continue;   /* EKS: terminated 60 s after the drain */
		if (od->owners[0] && !owners_ready(R, od, which, sizeof(which))) {
			long waited = (long)((kup_mono_ms() - od->drained_ms) / 1000);
			long limit = R->o->drain_timeout_s > 0 ? R->o->drain_timeout_s : 900;
			if (waited < limit) {
				if (!od->ready_logged)
					say(R, "node %s drained: waiting for %s to be Ready before retiring it",
					    od->name, which);
				od->ready_logged = true;
				continue;
			}
			event(R, "ready-timeout", "node %s: %s not Ready %ld s after the drain: retiring the "
			      "node anyway (its pods are gone from it)", od->name, which, waited);
		}
		kup_buf_reset(&cmd);
		expand(R->o->retire, R->o->pool, od->zone, R->o->to, od->name, &cmd);
		if (start_job(R, JOB_RETIRE, i, od->zone, od->name, od->tries++, cmd.buf,
			      R->o->provision_timeout_s))
			od->state = OLD_RETIRING;
	}
	kup_buf_release(&cmd);
}

/* ---- in place ------------------------------------------------------------------------------ */

/* Drained nodes: the upgrade command, recorded first (a failed one waits for its backoff). */
static void upgrade_drained(struct run *R)
{
	int i;
	struct kup_buf cmd = KUP_BUF_INIT;

	for (i = 0; i < R->nold && !*R->o->stop; i++) {
		struct old *od = &R->olds[i];
		if (od->state != OLD_DRAINED || kup_mono_ms() < od->up_not_before)
			continue;
		kup_buf_reset(&cmd);
		expand(R->o->upgrade, R->o->pool, od->zone, R->o->to, od->name, &cmd);
		if (start_job(R, JOB_UPGRADE, i, od->zone, od->name, od->tries++, cmd.buf,
			      R->o->upgrade_timeout_s))
			od->state = OLD_UPGRADING;
	}
	kup_buf_release(&cmd);
}

/*
 * A node upgraded in place: kupgrade's PreferNoSchedule taint removed and,
 * with `cordon` (kupgrade cordoned it), uncordoned; recorded first; false
 * when the PATCH failed.
 */
static bool uncordon(struct run *R, const struct rnode *n, bool cordon)
{
	struct kup_kube_resp resp;
	struct kup_error e = KUP_ERROR_INIT;
	struct kup_buf path = KUP_BUF_INIT, body = KUP_BUF_INIT;
	bool ok;

	cordon = cordon && n->unsched;
	if (!cordon && n->prefer_taint < 0)
		return true;
	event(R, "uncordon", "node %s: Ready at v%d.%d:%s%s", n->name, n->major, n->minor,
	      n->prefer_taint >= 0 ? " taint " TAINT_KEY " removed" : "", cordon ? " uncordoned" : "");
	kup_buf_adds(&body, "[");
	if (n->prefer_taint >= 0)
		kup_buf_addf(&body, "{\"op\":\"test\",\"path\":\"/spec/taints/%d/key\",\"value\":\"%s\"},"
			     "{\"op\":\"remove\",\"path\":\"/spec/taints/%d\"}", n->prefer_taint, TAINT_KEY,
			     n->prefer_taint);
	if (cordon)
		kup_buf_addf(&body, "%s{\"op\":\"add\",\"path\":\"/spec/unschedulable\",\"value\":false}",
			     n->prefer_taint >= 0 ? "," : "");
	kup_buf_adds(&body, "]");
	kup_buf_addf(&path, "/api/v1/nodes/%s", n->name);
	kup_kube_resp_init(&resp);
	ok = kup_kube_request(R->k, "PATCH", path.buf, "application/json-patch+json", body.buf, body.len,
			      &resp, &e) == KUP_OK;
	if (!ok)
		say(R, "node %s: cannot uncordon (%s): tried again", n->name, e.msg ? e.msg : "?");
	kup_kube_resp_release(&resp);
	kup_error_release(&e);
	kup_buf_release(&path);
	kup_buf_release(&body);
	return ok;
}

/*
 * In place, every pass: a node Ready at the target is done (uncordoned if
 * kupgrade cordoned it), whatever the state recorded says, so nothing is
 * upgraded twice; an upgraded node not Ready at the target within the
 * upgrade timeout stops the roll, named.
 */
static void finish_upgraded(struct run *R)
{
	int i;

	for (i = 0; i < R->nold; i++) {
		struct old *od = &R->olds[i];
		const struct rnode *n = find_node(R, od->name);
		bool at_target = n && n->ready && !is_old(R, n);
		if (od->state != OLD_PENDING && od->state != OLD_DRAINED && od->state != OLD_UPGRADED)
			continue;
		if (at_target) {
			/* kupgrade cordoned it: uncordoned (also after a failure elsewhere) */
			bool ours = od->drained_by_us || od->state == OLD_UPGRADED;
			if (*R->o->stop && ((ours && n->unsched) || n->prefer_taint >= 0))
				continue;   /* left to the --resume */
			if (!uncordon(R, n, ours))
				continue;
			if (od->state != OLD_UPGRADED)
				event(R, "at-target", "node %s is Ready at v%d.%d already: not upgraded again",
				      od->name, n->major, n->minor);
			od->state = OLD_DONE;
			R->r->upgraded++;
			say(R, "node %s upgraded", od->name);
			continue;
		}
		if (R->r->failed)
			continue;
		if (od->state == OLD_UPGRADED && R->o->upgrade_timeout_s > 0 &&
		    kup_mono_ms() - od->up_done_ms > (int64_t)R->o->upgrade_timeout_s * 1000 &&
		    od->up_unknown && od->up_failures < PROVISION_RETRIES && !*R->o->stop) {
			/*
			 * a killed predecessor's command whose exit is not known, and
			 * the node not at the target: it did not upgrade it; a retry
			 */
			long wait_ms = 5000L << od->up_failures;
			od->up_failures++;
			od->up_unknown = false;
			od->state = OLD_DRAINED;
			od->up_not_before = kup_mono_ms() + wait_ms;
			event(R, "upgrade-retry", "node %s: not at %s %ld s after a previous run's upgrade "
			      "command (its exit not known): retry %d of %d in %ld s", od->name, R->o->to,
			      R->o->upgrade_timeout_s, od->up_failures, PROVISION_RETRIES, wait_ms / 1000);
			continue;
		}
		if (od->state == OLD_UPGRADED && R->o->upgrade_timeout_s > 0 &&
		    kup_mono_ms() - od->up_done_ms > (int64_t)R->o->upgrade_timeout_s * 1000) {
			R->r->failed = true;
			set_text(&R->r->reason,
				 "node %s: upgraded, but %s %ld s after the upgrade command (left cordoned)",
				 od->name, !n ? "not registered" : !n->ready ? "not Ready" :
				 "still at the old kubelet version", R->o->upgrade_timeout_s);
		}
	}
}

/*
 * In place, nothing running and nothing waiting, yet no drain could start
 * (other nodes not Ready or cordoned hold the budget): true once that has
 * lasted the drain timeout, so no roll hangs.
 */
static bool stuck_in_place(struct run *R)
{
	int i;

	for (i = 0; i < R->nold; i++)
		if (R->olds[i].state == OLD_DRAINED || R->olds[i].state == OLD_UPGRADED) {
			R->stuck_ms = 0;
			return false;
		}
	if (!R->stuck_ms)
		R->stuck_ms = kup_mono_ms();
	return kup_mono_ms() - R->stuck_ms > (R->o->drain_timeout_s > 0 ? R->o->drain_timeout_s : 900) * 1000L;
}

/* ---- state from the store ---------------------------------------------------------------- */

static enum kup_status on_step(void *ctx, const struct kup_store_step *s)
{
	struct run *R = ctx;
	int k = -1;
	char name[256];

	if (strcmp(s->type, "provision") == 0) {
		R->provisions++;
		if (s->state == KUP_STEP_SUCCEEDED && s->output_tail) {
			last_line(s->output_tail, name, sizeof(name));
			if (*name)
				claim(R, name);
			R->r->provisioned++;
		}
	} else {
		k = find_old(R, s->component);
		if (k < 0)
			return KUP_OK;   /* a node that is gone and retired: counted below */
		if (R->olds[k].tries <= atoi(strchr(s->to, '#') ? strchr(s->to, '#') + 1 : "0"))
			R->olds[k].tries = atoi(strchr(s->to, '#') ? strchr(s->to, '#') + 1 : "0") + 1;
		if (strcmp(s->type, "drain") == 0)
			R->olds[k].drained_by_us = true;
		if (strcmp(s->type, "drain") == 0 && s->state == KUP_STEP_SUCCEEDED &&
		    R->olds[k].state < OLD_DRAINED)
			R->olds[k].state = OLD_DRAINED;
		/*
		 * in place: an upgrade that succeeded is not run again (the node
		 * waits for Ready at the target); one that failed counts a retry
		 */
		if (strcmp(s->type, "upgrade") == 0 && s->state == KUP_STEP_SUCCEEDED) {
			R->olds[k].state = OLD_UPGRADED;
			R->olds[k].up_done_ms = kup_mono_ms();
			R->olds[k].up_unknown = s->settled;
		}
		if (strcmp(s->type, "upgrade") == 0 && s->state == KUP_STEP_FAILED && !s->settled)
			R->olds[k].up_failures++;
		/*
		 * a drain that failed is a quarantine; one settled as failed by a
		 * successor was interrupted by a kill and drained again (a later
		 * try of the same node follows it)
		 */
		if (strcmp(s->type, "drain") == 0 && s->state == KUP_STEP_FAILED && !s->settled &&
		    is_kupgrade(R) && !in_place(R) && R->olds[k].state == OLD_PENDING) {
			R->olds[k].state = OLD_QUARANTINED;
			R->r->quarantined++;
		}
		if (strcmp(s->type, "retire") == 0 && s->state == KUP_STEP_SUCCEEDED) {
			R->olds[k].state = OLD_DONE;
			R->r->retired++;
		}
	}
	if (s->state == KUP_STEP_STARTED) {
		/* a command of a killed predecessor: wait for it, then settle */
		struct job *j = job_add(R);
		if (!j)
			return KUP_NOMEM;
		j->kind = strcmp(s->type, "provision") == 0 ? JOB_PROVISION :
			  strcmp(s->type, "drain") == 0 ? JOB_DRAIN :
			  strcmp(s->type, "upgrade") == 0 ? JOB_UPGRADE : JOB_RETIRE;
		j->old = k;
		j->step = s->id;
		j->adopted = true;
		j->pid = (pid_t)s->pid;
		out_path(R, s->id, j->out, sizeof(j->out));
		if (k >= 0)
			R->olds[k].state = j->kind == JOB_DRAIN ? OLD_DRAINING :
					   j->kind == JOB_UPGRADE ? OLD_UPGRADING : OLD_RETIRING;
		if (j->pid <= 0) {
			/* the pid was never recorded: the command never started */
			j->pid = 0;
		}
	}
	return KUP_OK;
}

/* Old nodes: recorded at the start ("old-node" events), so a resumed run knows the whole set. */
static enum kup_status on_event(void *ctx, const struct kup_store_event *ev)
{
	struct run *R = ctx;
	size_t cap = (size_t)R->nold;

	if (strcmp(ev->kind, "run-started") == 0 && R->t0 == 0)
		R->t0 = ev->at;
	if (strcmp(ev->kind, "drain-owners") == 0 && ev->message) {
		char name[256];
		size_t len = strcspn(ev->message, " ");
		int k;
		snprintf(name, sizeof(name), "%.*s", (int)len, ev->message);
		k = find_old(R, name);
		if (k >= 0)
			snprintf(R->olds[k].owners, sizeof(R->olds[k].owners), "%s",
				 ev->message[len] ? ev->message + len + 1 : "");
		return KUP_OK;
	}
	if (strcmp(ev->kind, "old-node") != 0 || !ev->message)
		return KUP_OK;
	if (!kup_grow(&R->olds, &cap, (size_t)R->nold + 1, sizeof(*R->olds), (size_t)R->nold + 1))
		return KUP_NOMEM;
	memset(&R->olds[R->nold], 0, sizeof(R->olds[0]));
	sscanf(ev->message, "%255s %127s", R->olds[R->nold].name, R->olds[R->nold].zone);
	if (strcmp(R->olds[R->nold].zone, "-") == 0)
		R->olds[R->nold].zone[0] = '\0';
	R->nold++;
	return KUP_OK;
}

static void release(struct run *R)
{
	int i;

	nodes_clear(R);
	free(R->nodes);
	for (i = 0; R->olds && i < R->nold; i++)
		free(R->olds[i].blocker);
	free(R->olds);
	for (i = 0; i < R->njobs; i++) {
		if (!R->jobs[i].adopted && !R->jobs[i].drv.done)
			kup_driver_abort(&R->jobs[i].drv);
		kup_driver_release(&R->jobs[i].drv);
	}
	free(R->jobs);
	for (i = 0; i < R->nclaimed; i++)
		free(R->claimed[i]);
	free(R->claimed);
	free(R->claimed_ms);
}

/*
 * The status line's facts; `holding` is the last "retrying" line of a
 * running drain's output (the pod and the PodDisruptionBudget that refused
 * it), read from the drain's output file.
 */
static void report_status(struct run *R, int unav, int extra)
{
	struct kup_ro_run_status s;
	char tail[2048], line[512];
	int i;

	memset(&s, 0, sizeof(s));
	line[0] = '\0';
	s.old_nodes = R->nold;
	s.replaced = R->r->retired;
	s.upgraded = R->r->upgraded;
	s.quarantined = R->r->quarantined;
	s.unavailable = unav;
	s.extra = extra;
	s.elapsed_s = R->t0 > 0 ? (double)(kup_store_now() - R->t0) / 1000.0 : 0;
	for (i = 0; i < R->njobs; i++) {
		const struct job *j = &R->jobs[i];
		s.draining += j->kind == JOB_DRAIN;
		s.retiring += j->kind == JOB_RETIRE;
		s.provisioning += j->kind == JOB_PROVISION;
		s.upgrading += j->kind == JOB_UPGRADE;
		if (j->kind == JOB_DRAIN && !line[0]) {
			bool cut;
			const char *p, *q;
			size_t n = kup_fleet_read_tail(j->out, tail, sizeof(tail), &cut);
			tail[n < sizeof(tail) ? n : sizeof(tail) - 1] = '\0';
			p = NULL;
			for (q = tail; (q = strstr(q, "retrying in")) != NULL; q++)
				p = q;
			if (p) {
				const char *b = p;
				while (b > tail && b[-1] != '\n')
					b--;
				snprintf(line, sizeof(line), "%.*s", (int)(strcspn(b, "\n")), b);
			}
		}
	}
	for (i = 0; i < R->nold; i++) {
		s.waiting_ready += R->olds[i].state == OLD_DRAINED && !in_place(R);
		s.upgrading += R->olds[i].state == OLD_UPGRADED;
	}
	for (i = 0; i < R->nclaimed; i++) {
		const struct rnode *n = find_node(R, R->claimed[i]);
		s.new_ready += n && n->ready;
	}
	s.holding = line[0] ? line : NULL;
	R->o->status(R->o->ctx, &s);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

enum kup_status kup_ro_run(struct kup_kube *k, struct kup_store *st, const struct kup_ro_run_opts *o,
			   struct kup_ro_run_result *res, struct kup_error *err)
{
	struct run R;
	struct kup_store_cluster row;
	struct kup_arena arena;
	enum kup_status s;
	int i, failures = 0;
	bool fresh;

	memset(&R, 0, sizeof(R));
	memset(res, 0, sizeof(*res));
	res->min_ready_nodes = -1;
	R.k = k;
	R.st = st;
	R.o = o;
	R.r = res;
	R.err = err;
	R.rng = o->seed ? o->seed : 1;
	if (!parse_version(o->to, &R.tmaj, &R.tmin))
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "--to: '%s' is not a version", o->to);
	if (!kup_ro_run_policy_ok(o->policy))
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0,
				     "--policy: the executor runs kupgrade, capi and eks, not '%s'", o->policy);
	if (in_place(&R) && (o->max_surge != 0 || o->max_unavailable < 1 || is_eks(&R)))
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "--upgrade (in place): %s",
				     o->max_surge != 0 ? "no node is made, so --max-surge must be 0" :
				     o->max_unavailable < 1 ? "a node is unavailable while it is upgraded, so "
				     "--max-unavailable must be at least 1" :
				     "--policy eks replaces nodes; in place runs kupgrade or capi");
	R.pol = kup_ro_policy_find(o->policy);
	kup_arena_init(&arena, 4096);
	s = kup_store_get_cluster(st, o->name, &arena, &row, err);
	fresh = s == KUP_NOTFOUND;
	kup_arena_release(&arena);
	if (s != KUP_OK && s != KUP_NOTFOUND)
		return s;
	kup_error_release(err);
	if (fresh == o->resume) {
		return kup_error_set(err, KUP_CONFLICT, NULL, 0, 0, fresh ?
				     "no roll '%s' is recorded in the state: nothing to resume" :
				     "a roll '%s' is already recorded in the state: use --resume or --abort",
				     o->name);
	}
	/* the pool as it is now */
	for (i = 0; (s = read_nodes(&R)) != KUP_OK; i++) {
		if (s == KUP_NOMEM || i >= 5) {
			release(&R);
			return s;
		}
		say(&R, "cannot read the nodes (%s): retrying", err->msg ? err->msg : "?");
		kup_error_release(err);
		sleep_ms(1000L << i);
	}
	if (fresh) {
		struct kup_store_cluster c;
		size_t n;
		int nold = 0;
		for (n = 0; n < R.nnodes; n++)
			nold += is_old(&R, &R.nodes[n]);
		if (R.nnodes == 0) {
			release(&R);
			return kup_error_set(err, KUP_NOTFOUND, NULL, 0, 0,
					     "no node matches the pool selector '%s'",
					     o->label_selector ? o->label_selector : "");
		}
		if (o->dry_run) {
			for (n = 0; n < R.nnodes; n++)
				if (is_old(&R, &R.nodes[n]))
					say(&R, "would %s %s (zone %s, v%d.%d)",
					    in_place(&R) ? "upgrade" : "replace", R.nodes[n].name,
					    R.nodes[n].zone[0] ? R.nodes[n].zone : "-", R.nodes[n].major,
					    R.nodes[n].minor);
			res->old_nodes = nold;
			release(&R);
			return KUP_OK;
		}
		memset(&c, 0, sizeof(c));
		c.name = o->name;
		c.state = KUP_CLUSTER_RUNNING;
		c.target = o->to;
		if ((s = kup_store_put_cluster(st, &c, NULL, kup_store_now(), err)) != KUP_OK) {
			release(&R);
			return s;
		}
		event(&R, "run-started", "roll %s to %s%s: policy %s, maxSurgeNodes %d, "
		      "maxUnavailableNodes %d, %d old node(s) of %zu", o->name, o->to,
		      in_place(&R) ? " in place" : "", o->policy, o->max_surge, o->max_unavailable, nold,
		      R.nnodes);
		for (n = 0; n < R.nnodes; n++) {
			struct kup_store_event ev;
			char msg[400];
			if (!is_old(&R, &R.nodes[n]))
				continue;
			snprintf(msg, sizeof(msg), "%s %s", R.nodes[n].name,
				 R.nodes[n].zone[0] ? R.nodes[n].zone : "-");
			memset(&ev, 0, sizeof(ev));
			ev.cluster = o->name;
			ev.kind = "old-node";
			ev.message = msg;
			ev.exit_code = -1;
			if ((s = kup_store_add_event(st, &ev, NULL, err)) != KUP_OK) {
				release(&R);
				return s;
			}
		}
	}
	/*
	 * One process acts on a roll: a lease, renewed every pass and checked
	 * in the same transaction as every step; a killed holder's lease
	 * expires after LEASE_TTL_MS, so --resume waits that long at most.
	 */
	{
		char host[64] = "host";
		gethostname(host, sizeof(host) - 1);
		snprintf(R.holder, sizeof(R.holder), "rollout-run@%.60s:%ld", host, (long)getpid());
	}
	for (i = 0;; i++) {
		s = kup_store_lease_acquire_one(st, o->name, R.holder, kup_store_now(), LEASE_TTL_MS, err);
		if (s != KUP_CONFLICT || i >= 2 * LEASE_TTL_MS / 500 + 4 || *o->stop)
			break;
		if (i == 0)
			say(&R, "another process holds the roll: waiting for its lease to expire");
		kup_error_release(err);
		sleep_ms(500);
	}
	if (s != KUP_OK) {
		release(&R);
		return s;
	}
	if ((s = kup_store_list_events(st, o->name, 0, 0, on_event, &R, err)) != KUP_OK ||
	    (s = kup_store_list_steps(st, o->name, on_step, &R, err)) != KUP_OK) {
		release(&R);
		return s;
	}
	if (!fresh)
		event(&R, "run-resumed", "roll %s resumed: %d job(s) of the previous run to settle",
		      o->name, R.njobs);
	res->old_nodes = R.nold;
	R.last_ms = kup_mono_ms();
	for (;;) {
		int64_t now = kup_mono_ms();
		double dt = (double)(now - R.last_ms) / 1000.0;
		int active = 0, a, unav, extra;
		R.last_ms = now;
		if (kup_store_lease_acquire_one(st, o->name, R.holder, kup_store_now(), LEASE_TTL_MS,
						err) != KUP_OK) {
			res->failed = true;
			set_text(&res->reason, "lost the roll's lease: %s",
				 err->msg ? err->msg : "?");
			kup_error_release(err);
			break;
		}
		poll_jobs(&R);
		if ((s = read_nodes(&R)) != KUP_OK) {
			if (s == KUP_NOMEM || ++failures > 8)
				break;
			say(&R, "cannot read the nodes (%s): no action until a fresh read", err->msg ? err->msg : "?");
			kup_error_release(err);
			sleep_ms(250L << (failures < 5 ? failures : 5));
			continue;
		}
		failures = 0;
		check_claimed_ready(&R);
		if (in_place(&R))
			finish_upgraded(&R);
		a = available(&R);
		unav = pool_size(&R) - a;
		if (unav > res->peak_unavailable_nodes)
			res->peak_unavailable_nodes = unav;
		if (res->min_ready_nodes < 0 || a < res->min_ready_nodes)
			res->min_ready_nodes = a;
		extra = (int)R.nnodes - R.nold;   /* nodes above the pool's size now */
		if (extra > res->peak_extra_nodes)
			res->peak_extra_nodes = extra;
		sample_pdbs(&R, dt);
		if (is_kupgrade(&R) && !*o->stop)
			taint_prefer(&R);
		if (!res->failed && !*o->stop) {
			if (in_place(&R))
				upgrade_drained(&R);
			else
				retire_drained(&R);
			act(&R);
		}
		for (i = 0; i < R.nold; i++)
			active += R.olds[i].state != OLD_DONE && R.olds[i].state != OLD_QUARANTINED;
		if (R.njobs)
			R.stuck_ms = 0;
		if (!res->failed && !*o->stop && in_place(&R) && R.njobs == 0 && active > 0 &&
		    stuck_in_place(&R)) {
			res->failed = true;
			set_text(&res->reason, "in place: %d node(s) left to upgrade, "
				 "but %d of the pool's %d nodes are unavailable (not Ready or cordoned) and "
				 "the budget is %d", active, unav, pool_size(&R), o->max_unavailable);
		}
		if (o->status)
			report_status(&R, unav, extra);
		if (R.njobs == 0 && (active == 0 || res->failed || *o->stop))
			break;
		sleep_ms(250);
	}
	res->replaced = res->retired;
	res->stopped = *o->stop != 0;
	if (R.t0 > 0)
		res->makespan_s = (double)(kup_store_now() - R.t0) / 1000.0;
	{
		struct kup_store_cluster c;
		memset(&c, 0, sizeof(c));
		c.name = o->name;
		c.target = o->to;
		c.state = res->failed ? KUP_CLUSTER_FAILED : res->stopped ? KUP_CLUSTER_PENDING :
			  KUP_CLUSTER_DONE;
		c.reason = res->failed ? res->reason : NULL;
		kup_store_put_cluster(st, &c, NULL, kup_store_now(), err);
		kup_error_release(err);
		kup_store_lease_release(st, R.holder, o->name, err);
		kup_error_release(err);
	}
	if (res->failed)
		event(&R, "run-failed", "roll %s stopped: %s", o->name, res->reason ? res->reason : "?");
	else if (res->stopped)
		event(&R, "run-stopped", "roll %s stopped by a signal; resume with --resume", o->name);
	else if (in_place(&R))
		event(&R, "run-done", "roll %s done: %d node(s) upgraded in place in %.0f s", o->name,
		      res->upgraded, res->makespan_s);
	else
		event(&R, "run-done", "roll %s done: %d node(s) replaced, %d quarantined in %.0f s",
		      o->name, res->retired, res->quarantined, res->makespan_s);
	release(&R);
	return s == KUP_NOMEM ? s : KUP_OK;
}

/* ---- abort ------------------------------------------------------------------------------ */

enum kup_status kup_ro_run_abort(struct kup_kube *k, struct kup_store *st,
				 const struct kup_ro_run_opts *o, struct kup_buf *left,
				 struct kup_error *err)
{
	struct run R;
	struct kup_ro_run_result res;
	enum kup_status s;
	size_t i;

	memset(&R, 0, sizeof(R));
	memset(&res, 0, sizeof(res));
	R.k = k;
	R.st = st;
	R.o = o;
	R.r = &res;
	R.err = err;
	if (!parse_version(o->to, &R.tmaj, &R.tmin))
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "--to: '%s' is not a version", o->to);
	/* nobody else may act on the roll meanwhile: its lease, as a run takes it */
	{
		char host[64] = "host";
		int w;
		gethostname(host, sizeof(host) - 1);
		snprintf(R.holder, sizeof(R.holder), "rollout-abort@%.60s:%ld", host, (long)getpid());
		for (w = 0;; w++) {
			s = kup_store_lease_acquire_one(st, o->name, R.holder, kup_store_now(),
							LEASE_TTL_MS, err);
			if (s != KUP_CONFLICT || w >= 2 * LEASE_TTL_MS / 500 + 4)
				break;
			kup_error_release(err);
			sleep_ms(500);
		}
		if (s == KUP_CONFLICT) {
			release(&R);
			return s;
		}
		kup_error_release(err);
	}
	if ((s = kup_store_list_events(st, o->name, 0, 0, on_event, &R, err)) != KUP_OK ||
	    (s = read_nodes(&R)) != KUP_OK) {
		release(&R);
		return s;
	}
	if (R.nold == 0) {
		release(&R);
		return kup_error_set(err, KUP_NOTFOUND, NULL, 0, 0, "no roll '%s' is recorded in the state",
				     o->name);
	}
	for (i = 0; i < R.nnodes; i++) {
		const struct rnode *n = &R.nodes[i];
		struct kup_kube_resp resp;
		struct kup_error e = KUP_ERROR_INIT;
		struct kup_buf path = KUP_BUF_INIT, body = KUP_BUF_INIT;
		if (find_old(&R, n->name) < 0)
			continue;
		kup_buf_addf(&path, "/api/v1/nodes/%s", n->name);
		kup_kube_resp_init(&resp);
		if (n->prefer_taint >= 0) {
			kup_buf_addf(&body, "[{\"op\":\"test\",\"path\":\"/spec/taints/%d/key\",\"value\":\"%s\"},"
				     "{\"op\":\"remove\",\"path\":\"/spec/taints/%d\"}]", n->prefer_taint,
				     TAINT_KEY, n->prefer_taint);
			event(&R, "untaint", "node %s: taint %s removed", n->name, TAINT_KEY);
			if (kup_kube_request(k, "PATCH", path.buf, "application/json-patch+json", body.buf,
					     body.len, &resp, &e) != KUP_OK)
				kup_buf_addf(left, "node %s: cannot remove the taint: %s\n", n->name,
					     e.msg ? e.msg : "?");
			kup_error_release(&e);
		}
		if (n->unsched) {
			static const char un[] = "{\"spec\":{\"unschedulable\":false}}";
			event(&R, "uncordon", "node %s uncordoned", n->name);
			if (kup_kube_request(k, "PATCH", path.buf, "application/merge-patch+json", un,
					     strlen(un), &resp, &e) != KUP_OK)
				kup_buf_addf(left, "node %s: cannot uncordon: %s\n", n->name,
					     e.msg ? e.msg : "?");
			kup_error_release(&e);
		}
		kup_buf_addf(left, "%s node %s left at v%d.%d\n", is_old(&R, n) ? "old" : "upgraded", n->name,
			     n->major, n->minor);
		kup_kube_resp_release(&resp);
		kup_buf_release(&path);
		kup_buf_release(&body);
	}
	for (i = 0; i < R.nnodes; i++)
		if (!is_old(&R, &R.nodes[i]) && find_old(&R, R.nodes[i].name) < 0)
			kup_buf_addf(left, "new node %s kept\n", R.nodes[i].name);
	{
		struct kup_store_cluster c;
		memset(&c, 0, sizeof(c));
		c.name = o->name;
		c.target = o->to;
		c.state = KUP_CLUSTER_FAILED;
		c.reason = "aborted";
		kup_store_put_cluster(st, &c, NULL, kup_store_now(), err);
		kup_error_release(err);
	}
	event(&R, "run-aborted", "roll %s aborted", o->name);
	kup_store_lease_release(st, R.holder, o->name, err);
	kup_error_release(err);
	release(&R);
	kup_ro_run_result_release(&res);
	return KUP_OK;
}
