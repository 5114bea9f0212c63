/*
 * sim.c - the discrete-event rollout simulator: nodes, pods, PDBs, zones,
 * the scheduler, drains, and one generic controller per policy mode.
 *
 * Costs: one binary heap of events; per-workload counters (ready, expected,
 * pods per zone) updated in O(1); the scheduler samples at most a few
 * feasible nodes per zone from a rotating cursor (like kube-scheduler's
 * percentageOfNodesToScore) and pending pods are retried only when capacity
 * appears, with a per-pass memo of the smallest request that did not fit.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/rng.h"
#include "rollout/sim.h"

#define HORIZON_S (14.0 * 86400.0)
#define MAX_EVENTS 200000000ull
#define SCORE_SAMPLE 8
#define STUCK_S 3600.0
#define KUP_STEP_GAP 2.0
#define KUP_TICK 5.0
#define KUP_QUARANTINE_S 1800.0

enum {
	EV_NODE_READY = 1,
	EV_POD_READY,
	EV_POD_GONE,
	EV_EVICT,
	EV_TIMEOUT,
	EV_STUCK,
	EV_POST,
	EV_REBOOTED,
	EV_SCHED,
	EV_STEP,
	EV_TICK,
	EV_WAKE,
};

enum { J_WAIT = 0, J_DRAIN, J_REPLACE, J_HOLD, J_DONE };

/* ---- events ------------------------------------------------------------------ */

static bool ev_less(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void push(struct kup_ro_sim *s, double t, int type, int a, uint32_t b)
{
	size_t i;
	struct sim_ev e;

	if (s->nheap == s->capheap && !kup_grow(&s->heap, &s->capheap, s->nheap + 1,
						sizeof(*s->heap), 1024)) {
		s->stop = true;
		s->m->failed = true;
		return;
	}
	e.t = t;
	e.seq = s->seq++;
	e.type = type;
	e.a = a;
	e.b = b;
	i = s->nheap++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!ev_less(&e, &s->heap[p]))
			break;
		s->heap[i] = s->heap[p];
		i = p;
	}
	s->heap[i] = e;
}

static struct sim_ev pop(struct kup_ro_sim *s)
{
	struct sim_ev top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0, n = s->nheap;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct sim_ev *mv = &last;
		if (l < n && ev_less(&s->heap[l], mv)) {
			m = l;
			mv = &s->heap[l];
		}
		if (r < n && ev_less(&s->heap[r], mv))
			m = r;
		if (m == i)
			break;
		s->heap[i] = s->heap[m];
		i = m;
	}
	if (n)
		s->heap[i] = last;
	return top;
}

/* ---- helpers ------------------------------------------------------------------- */

static const struct kup_ro_workload *W(const struct kup_ro_sim *s, int w)
{
	return &s->sc->wls[w];
}

static int intpct(const struct kup_ro_intpct *v, int of, bool up)
{
	if (!v->set)
		return 0;
	if (!v->pct)
		return (int)v->value;
	if (up)
		return (int)((v->value * of + 99) / 100);
	return (int)(v->value * of / 100);
}

static void advance(struct kup_ro_sim *s, double t)
{
	if (t > s->last_t) {
		s->node_s += (double)s->existing * (t - s->last_t);
		s->last_t = t;
	}
	s->now = t;
}

static void wl_touch(struct kup_ro_sim *s, int w)
{
	struct sim_wl *x = &s->wls[w];
	double dt = s->now - x->last_t;
	int def;

	if (dt > 0) {
		def = x->want_ready - x->ready;
		if (def > 0)
			x->deficit += def * dt;
		if (W(s, w)->has_pdb && x->ready < x->desired0)
			x->viol += dt;
	}
	x->last_t = s->now;
}

static void wl_expected(struct kup_ro_sim *s, int w, int delta)
{
	struct sim_wl *x = &s->wls[w];

	wl_touch(s, w);
	x->expected += delta;
	x->desired = W(s, w)->has_pdb ? kup_ro_pdb_desired_healthy(&W(s, w)->pdb, x->expected) : 0;
}

static void wake(struct kup_ro_sim *s)
{
	double t;

	if (s->step_queued)
		return;
	t = s->now;
	if (s->pol->mode == KUP_RO_MODE_KUPGRADE && t < s->last_step + KUP_STEP_GAP)
		t = s->last_step + KUP_STEP_GAP;
	s->step_queued = true;
	push(s, t, EV_STEP, 0, 0);
}

static void sched_soon(struct kup_ro_sim *s)
{
	if (s->npending && !s->sched_queued) {
		s->sched_queued = true;
		push(s, s->now, EV_SCHED, 0, 0);
	}
}

/* ---- nodes --------------------------------------------------------------------- */

static void zone_add(struct kup_ro_sim *s, int id)
{
	struct sim_node *n = &s->nodes[id];
	int z = n->zone;

	if (n->zpos >= 0)
		return;
	if (s->zlen[z] == s->zcap[z]) {
		size_t cap = (size_t)s->zcap[z];
		if (!kup_grow(&s->zlist[z], &cap, (size_t)s->zlen[z] + 1, sizeof(int), 64)) {
			s->stop = s->m->failed = true;
			return;
		}
		s->zcap[z] = (int)cap;
	}
	n->zpos = s->zlen[z];
	s->zlist[z][s->zlen[z]++] = id;
	s->zfail_cpu[z] = s->zfail_mem[z] = -1;
	s->zhard_cpu[z] = s->zhard_mem[z] = -1;
	s->avail++;
}

static void zone_remove(struct kup_ro_sim *s, int id)
{
	struct sim_node *n = &s->nodes[id];
	int z = n->zone, last;

	if (n->zpos < 0)
		return;
	last = s->zlist[z][--s->zlen[z]];
	s->zlist[z][n->zpos] = last;
	s->nodes[last].zpos = n->zpos;
	n->zpos = -1;
	s->avail--;
	if (s->n0 - s->avail > s->m->peak_unavailable_nodes)
		s->m->peak_unavailable_nodes = s->n0 - s->avail;
	if (s->avail < s->m->min_ready_nodes)
		s->m->min_ready_nodes = s->avail;
}

/*
 * How many more nodes may stop being Ready-and-schedulable without more
 * than maxUnavailableNodes of the pool's n0 being so (INT_MAX: no budget).
 */
static int budget_room(const struct kup_ro_sim *s)
{
	if (!s->enforce || s->budget_m < 0)
		return INT_MAX;
	return s->avail - (s->n0 - s->budget_m);
}

/* Whether node `id` may be cordoned now (one that is not schedulable costs nothing). */
static bool may_take(const struct kup_ro_sim *s, int id)
{
	return s->nodes[id].zpos < 0 || budget_room(s) >= 1;
}

static void cordon(struct kup_ro_sim *s, int id)
{
	s->nodes[id].cordoned = true;
	if (s->nodes[id].soft) {
		s->nodes[id].soft = false;
		s->nsoft--;
	}
	zone_remove(s, id);
}

/*
 * Cordons (taints) the next old nodes in policy order while the budget
 * allows, so the nodes drained next take no pods back.
 */
static void cordon_ahead(struct kup_ro_sim *s)
{
	int c;

	for (c = s->cursor; c < s->norder && budget_room(s) >= 1; c++) {
		int id = s->order[c];
		const struct sim_node *n = &s->nodes[id];
		if (n->done || n->cordoned || n->quarantined || n->state != NS_READY)
			continue;
		cordon(s, id);
	}
}

static int node_add(struct kup_ro_sim *s, int zone, int pool, bool is_new, int state)
{
	const struct kup_ro_pool *p = &s->sc->pools[pool];
	struct sim_node *n;
	size_t cap = s->capnodes;

	if (s->nnodes == s->capnodes) {
		if (!kup_grow(&s->nodes, &cap, s->nnodes + 1, sizeof(*s->nodes), 256)) {
			s->stop = s->m->failed = true;
			return -1;
		}
		s->capnodes = cap;
	}
	n = &s->nodes[s->nnodes];
	memset(n, 0, sizeof(*n));
	n->zone = zone;
	n->pool = pool;
	n->is_new = is_new;
	n->state = (uint8_t)state;
	n->zpos = -1;
	n->job = -1;
	n->batch = -1;
	n->free_cpu = p->cap.cpu_m - s->ds_cpu;
	n->free_mem = p->cap.mem - s->ds_mem;
	n->free_pods = (int)p->cap.pods - s->ds_pods;
	n->t_created = s->now;
	s->existing++;
	s->zone_nodes[zone]++;
	if (s->existing - s->n0 > s->m->peak_extra_nodes)
		s->m->peak_extra_nodes = s->existing - s->n0;
	return (int)s->nnodes++;
}

/* Requests a new node; -1 when the limits (maxSurgeNodes, zoneCapacity) forbid it. */
static int request_node(struct kup_ro_sim *s, int zone, int pool, int job)
{
	const struct kup_ro_scenario *sc = s->sc;
	int id;

	if (sc->max_surge >= 0 && s->existing + 1 - s->n0 > sc->max_surge)
		return -1;
	if (sc->zone_cap[zone] >= 0 && s->zone_nodes[zone] + 1 > sc->zone_cap[zone])
		return -1;
	id = node_add(s, zone, pool, true, NS_PROVISIONING);
	if (id < 0)
		return -1;
	s->nodes[id].job = job;
	s->zone_new[zone]++;
	s->provisioning++;
	push(s, s->now + kup_rs_draw(&sc->t.provision, s->seed, KUP_RS_PROVISION,
				     (uint64_t)s->prov_seq++), EV_NODE_READY, id, 0);
	return id;
}

static void node_delete(struct kup_ro_sim *s, int id)
{
	struct sim_node *n = &s->nodes[id];

	zone_remove(s, id);
	n->state = NS_GONE;
	s->existing--;
	s->zone_nodes[n->zone]--;
	if (n->is_new)
		s->zone_new[n->zone]--;
}

/* ---- pods ---------------------------------------------------------------------- */

static bool fits(const struct sim_node *n, const struct kup_ro_workload *w)
{
	return n->free_cpu >= w->req.cpu_m && n->free_mem >= w->req.mem && n->free_pods >= 1;
}

static double score(const struct kup_ro_sim *s, const struct sim_node *n)
{
	const struct kup_ro_pool *p = &s->sc->pools[n->pool];

	return (double)n->free_cpu / (double)p->cap.cpu_m + (double)n->free_mem / (double)p->cap.mem;
}

/*
 * The best of up to SCORE_SAMPLE feasible nodes of zone z from the zone's
 * cursor; the cursor moves to the first feasible node seen, so the next
 * scan starts where there was room.  A request that did not fit is
 * remembered per zone (zfail_*) until room appears in the zone again, so a
 * full zone costs O(1) per attempt.
 */
static int scan_zone(struct kup_ro_sim *s, int z, const struct kup_ro_workload *w, double *best_score,
		     bool soft)
{
	int len = s->zlen[z], c, i, found = 0, best = -1, first = -1;

	if (len == 0)
		return -1;
	if (s->zfail_cpu[z] >= 0 && w->req.cpu_m >= s->zfail_cpu[z] && w->req.mem >= s->zfail_mem[z])
		return -1;
	if (!soft && s->zhard_cpu[z] >= 0 && w->req.cpu_m >= s->zhard_cpu[z] &&
	    w->req.mem >= s->zhard_mem[z])
		return -1;
	c = s->zcur[z] % len;
	for (i = 0; i < len; i++) {
		int k = (c + i) % len, id = s->zlist[z][k];
		const struct sim_node *n = &s->nodes[id];
		if (!fits(n, w) || (n->soft && !soft))
			continue;
		if (first < 0)
			first = k;
		if (best < 0 || score(s, n) > *best_score) {
			best = id;
			*best_score = score(s, n);
		}
		if (++found >= SCORE_SAMPLE)
			break;
	}
	if (best < 0) {
		if (!soft && s->nsoft > 0) {
			/* only the nodes without PreferNoSchedule were full */
			if (s->zhard_cpu[z] < 0 || (w->req.cpu_m <= s->zhard_cpu[z] &&
						    w->req.mem <= s->zhard_mem[z])) {
				s->zhard_cpu[z] = w->req.cpu_m;
				s->zhard_mem[z] = w->req.mem;
			}
			return -1;
		}
		if (s->zfail_cpu[z] < 0 || (w->req.cpu_m <= s->zfail_cpu[z] && w->req.mem <= s->zfail_mem[z])) {
			s->zfail_cpu[z] = w->req.cpu_m;
			s->zfail_mem[z] = w->req.mem;
		}
		return -1;
	}
	s->zcur[z] = (first + 1) % len;
	return best;
}

/* Room appeared in zone z: forget what did not fit there. */
static void zone_room(struct kup_ro_sim *s, int z)
{
	s->zfail_cpu[z] = -1;
	s->zfail_mem[z] = -1;
	s->zhard_cpu[z] = -1;
	s->zhard_mem[z] = -1;
}

struct memo {
	int64_t *cpu, *mem;
};

static void pod_start(struct kup_ro_sim *s, int pid);

static void bind(struct kup_ro_sim *s, int pid, int nid)
{
	struct sim_pod *p = &s->pods[pid];
	struct sim_node *n = &s->nodes[nid];
	const struct kup_ro_workload *w = W(s, p->wl);

	if (n->npods == n->cappods) {
		size_t cap = (size_t)n->cappods;
		if (!kup_grow(&n->pods, &cap, (size_t)n->npods + 1, sizeof(int), 8)) {
			s->stop = s->m->failed = true;
			return;
		}
		n->cappods = (int)cap;
	}
	p->nslot = n->npods;
	n->pods[n->npods++] = pid;
	n->req_cpu += w->req.cpu_m;
	n->req_mem += w->req.mem;
	n->free_cpu -= w->req.cpu_m;
	n->free_mem -= w->req.mem;
	n->free_pods--;
	p->node = nid;
	s->wls[p->wl].zcount[n->zone]++;
}

static void unbind(struct kup_ro_sim *s, int pid)
{
	struct sim_pod *p = &s->pods[pid];
	struct sim_node *n = &s->nodes[p->node];
	const struct kup_ro_workload *w = W(s, p->wl);
	int last = n->pods[--n->npods];

	n->pods[p->nslot] = last;
	s->pods[last].nslot = p->nslot;
	n->req_cpu -= w->req.cpu_m;
	n->req_mem -= w->req.mem;
	n->free_cpu += w->req.cpu_m;
	n->free_mem += w->req.mem;
	n->free_pods++;
	p->node = -1;
	if (n->zpos >= 0) {
		zone_room(s, n->zone);
		sched_soon(s);
	}
}

static bool place_pass(struct kup_ro_sim *s, int pid, struct memo *mm, bool soft);

/*
 * Nodes tainted PreferNoSchedule (kupgrade's old nodes beyond the budget)
 * are scored last by kube-scheduler's TaintToleration: taken only when no
 * other node fits.
 */
static bool place(struct kup_ro_sim *s, int pid, struct memo *mm)
{
	if (s->nsoft == 0)
		return place_pass(s, pid, mm, true);
	return place_pass(s, pid, NULL, false) || place_pass(s, pid, mm, true);
}

static bool place_pass(struct kup_ro_sim *s, int pid, struct memo *mm, bool soft)
{
	struct sim_pod *p = &s->pods[pid];
	const struct kup_ro_workload *w = W(s, p->wl);
	const int *zc = s->wls[p->wl].zcount;
	int z, nz = (int)s->sc->nzones, minc = 0, best = -1;
	double bs = -1;

	if (w->spread_zone) {
		minc = zc[0];
		for (z = 1; z < nz; z++)
			if (zc[z] < minc)
				minc = zc[z];
	}
	if (p->surge && p->twin >= 0 && s->pods[p->twin].node >= 0) {
		/*
		 * A surge pod replaces its original, which leaves right after:
		 * it goes to the original's zone (spread counted without the
		 * original), the way kupgrade pins it there.
		 */
		double sc = -1;
		int id;
		z = s->nodes[s->pods[p->twin].node].zone;
		if ((id = scan_zone(s, z, w, &sc, false)) >= 0 ||
		    (s->nsoft > 0 && (id = scan_zone(s, z, w, &sc, true)) >= 0)) {
			bind(s, pid, id);
			pod_start(s, pid);
			return true;
		}
	}
	for (z = 0; z < nz; z++) {
		double sc = -1;
		int id;
		if (w->spread_zone && zc[z] != minc)
			continue;
		if (mm && mm->cpu[z] >= 0 && w->req.cpu_m >= mm->cpu[z] && w->req.mem >= mm->mem[z])
			continue;
		id = scan_zone(s, z, w, &sc, soft);
		if (id < 0) {
			if (mm && (mm->cpu[z] < 0 || (w->req.cpu_m <= mm->cpu[z] && w->req.mem <= mm->mem[z]))) {
				mm->cpu[z] = w->req.cpu_m;
				mm->mem[z] = w->req.mem;
			}
			continue;
		}
		if (best < 0 || sc > bs) {
			best = id;
			bs = sc;
		}
	}
	if (best < 0)
		return false;
	bind(s, pid, best);
	pod_start(s, pid);
	return true;
}

static void pending_add(struct kup_ro_sim *s, int pid)
{
	if (s->npending == s->cappending &&
	    !kup_grow(&s->pending, &s->cappending, s->npending + 1, sizeof(int), 64)) {
		s->stop = s->m->failed = true;
		return;
	}
	s->pending[s->npending++] = pid;
}

static void sched_pass(struct kup_ro_sim *s)
{
	int64_t mcpu[64], mmem[64];
	struct memo mm = { mcpu, mmem };
	size_t i, keep = 0;

	for (i = 0; i < s->sc->nzones; i++)
		mcpu[i] = mmem[i] = -1;
	for (i = 0; i < s->npending; i++) {
		int pid = s->pending[i];
		if (s->pods[pid].state != PS_PENDING)
			continue;
		if (!place(s, pid, &mm))
			s->pending[keep++] = pid;
	}
	s->npending = keep;
}

static int pod_new(struct kup_ro_sim *s, int w, int ord, bool surge)
{
	struct sim_pod *p;
	size_t cap = s->cappods;
	int slot = s->wls[w].base + ord;

	if (s->npods == s->cappods) {
		if (!kup_grow(&s->pods, &cap, s->npods + 1, sizeof(*s->pods), 1024)) {
			s->stop = s->m->failed = true;
			return -1;
		}
		s->cappods = cap;
	}
	p = &s->pods[s->npods];
	memset(p, 0, sizeof(*p));
	p->wl = w;
	p->ord = ord;
	p->node = -1;
	p->twin = -1;
	p->surge = surge;
	p->t0 = s->now;
	p->state = PS_PENDING;
	p->inc = ++s->slot_inc[slot];
	if (W(s, w)->kind == KUP_RO_DATABASE) {
		struct sim_wl *x = &s->wls[w];
		size_t c = (size_t)x->capdbp;
		if (x->ndbp == x->capdbp) {
			if (!kup_grow(&x->dbp, &c, (size_t)x->ndbp + 1, sizeof(int), 8)) {
				s->stop = s->m->failed = true;
				return -1;
			}
			x->capdbp = (int)c;
		}
		x->dbp[x->ndbp++] = (int)s->npods;
	}
	return (int)s->npods++;
}

/* A new pod of slot (w, ord): scheduled now or queued. */
static int pod_create(struct kup_ro_sim *s, int w, int ord, bool surge)
{
	int pid = pod_new(s, w, ord, surge);

	if (pid < 0)
		return -1;
	if (!place(s, pid, NULL))
		pending_add(s, pid);
	return pid;
}

static void pod_start(struct kup_ro_sim *s, int pid)
{
	struct sim_pod *p = &s->pods[pid];
	const struct kup_ro_workload *w = W(s, p->wl);
	int slot = s->wls[p->wl].base + p->ord;

	p->state = PS_STARTING;
	if (p->ord < w->unready)
		return;   /* crash-looping: Running, never Ready */
	push(s, s->now + kup_rs_draw(&s->sc->t.pod_start, s->seed, KUP_RS_POD_START,
				     ((uint64_t)slot << 20) | p->inc), EV_POD_READY, pid, p->inc);
}

static void db_promote(struct kup_ro_sim *s, int w, int old)
{
	struct sim_wl *x = &s->wls[w];
	int k, best = -1;

	/* the most suitable reader: Ready, preferably already upgraded */
	for (k = 0; k < x->ndbp; k++) {
		int i = x->dbp[k];
		const struct sim_pod *q = &s->pods[i];
		if (i == old || q->state != PS_READY)
			continue;
		if (best < 0 || (s->nodes[q->node].is_new && !s->nodes[s->pods[best].node].is_new))
			best = i;
	}
	if (best >= 0) {
		x->writer = best;
		s->m->write_unavailable_s += W(s, w)->failover_s;
		s->m->failovers++;
	} else {
		x->writer = -1;
		x->down_since = s->now;
	}
}

static void try_evict(struct kup_ro_sim *s, int pid);

static void terminate(struct kup_ro_sim *s, int pid)
{
	struct sim_pod *p = &s->pods[pid];
	struct sim_wl *x = &s->wls[p->wl];
	const struct kup_ro_workload *w = W(s, p->wl);
	int node = p->node;

	wl_touch(s, p->wl);
	if (p->state == PS_READY)
		x->ready--;
	p->state = PS_TERMINATING;
	p->evicting = false;
	if (node >= 0)
		x->zcount[s->nodes[node].zone]--;
	push(s, s->now + w->grace, EV_POD_GONE, pid, p->inc);
	if (w->kind == KUP_RO_DATABASE && x->writer == pid)
		db_promote(s, p->wl, pid);
	if (w->kind == KUP_RO_DEPLOYMENT) {
		if (p->twin >= 0) {
			/* its surge replacement takes over; the temporary scale-up ends */
			s->pods[p->twin].surge = false;
			s->pods[p->twin].twin = -1;
			wl_expected(s, p->wl, -1);
		} else {
			pod_create(s, p->wl, p->ord, false);
		}
	}
}

static void try_evict(struct kup_ro_sim *s, int pid)
{
	struct sim_pod *p = &s->pods[pid];
	struct sim_wl *x = &s->wls[p->wl];
	const struct kup_ro_workload *w = W(s, p->wl);
	int slot;

	if (p->state != PS_STARTING && p->state != PS_READY)
		return;
	if (w->has_pdb && !kup_ro_eviction_allowed(&w->pdb, x->expected, x->ready,
						   p->state == PS_READY)) {
		double retry = s->pol->retry > 0 ? s->pol->retry :
			kup_rs_draw(&s->sc->t.eviction_retry, s->seed, KUP_RS_RETRY,
				    (uint64_t)s->m->evictions_429);
		s->m->evictions_429++;
		p->evicting = true;
		push(s, s->now + retry, EV_EVICT, pid, p->inc);
		return;
	}
	slot = x->base + p->ord;
	s->m->evictions++;
	if (s->slot_evict[slot] < UINT16_MAX)
		s->slot_evict[slot]++;
	if (s->slot_evict[slot] > 1)
		s->m->double_evictions++;
	terminate(s, pid);
}

/* ---- drains -------------------------------------------------------------------- */

static void drain_done(struct kup_ro_sim *s, int id)
{
	struct sim_node *n = &s->nodes[id];

	n->draining = false;
	push(s, s->now + s->pol->post_cordon +
	     kup_rs_draw(&s->sc->t.drain_overhead, s->seed, KUP_RS_DRAIN_OVERHEAD, (uint64_t)id),
	     EV_POST, id, 0);
}

static void start_drain(struct kup_ro_sim *s, int id)
{
	struct sim_node *n = &s->nodes[id];
	int i, npods = n->npods;
	int *copy;
	double gmax = 0;

	cordon(s, id);
	n->draining = true;
	n->drain_t0 = s->now;
	n->gen++;
	s->drains_started++;
	if (s->pol->drain_timeout > 0)
		push(s, s->now + s->pol->drain_timeout, EV_TIMEOUT, id, (uint32_t)n->gen);
	push(s, s->now + (s->pol->drain_timeout > 0 && s->pol->drain_timeout < STUCK_S ?
			  s->pol->drain_timeout : STUCK_S), EV_STUCK, id, (uint32_t)n->gen);
	if (npods == 0) {
		drain_done(s, id);
		return;
	}
	copy = kup_malloc((size_t)npods * sizeof(int));
	if (!copy) {
		s->stop = s->m->failed = true;
		return;
	}
	memcpy(copy, n->pods, (size_t)npods * sizeof(int));
	for (i = 0; i < npods; i++)
		if (W(s, s->pods[copy[i]].wl)->grace > gmax)
			gmax = W(s, s->pods[copy[i]].wl)->grace;
	for (i = 0; i < npods; i++) {
		int pid = copy[i];
		struct sim_pod *p = &s->pods[pid];
		const struct kup_ro_workload *w = W(s, p->wl);
		if (p->state != PS_STARTING && p->state != PS_READY)
			continue;
		if (s->pol->mode == KUP_RO_MODE_KUPGRADE && s->pre_scale && w->kind == KUP_RO_DEPLOYMENT &&
		    p->ord >= w->unready && p->twin < 0 &&
		    (w->replicas == 1 || w->grace + 2 * s->sc->t.pod_start.p90 <= gmax ||
		     (w->has_pdb && !kup_ro_eviction_allowed(&w->pdb, s->wls[p->wl].expected,
							     s->wls[p->wl].ready,
							     p->state == PS_READY)))) {
			/* start the replacement first; evict when it is Ready */
			int q;
			wl_expected(s, p->wl, +1);
			q = pod_new(s, p->wl, p->ord, true);
			s->m->extra_pod_starts++;
			if (q >= 0) {
				s->pods[q].twin = pid;
				s->pods[pid].twin = q;
				if (!place(s, q, NULL))
					pending_add(s, q);
			}
			continue;
		}
		try_evict(s, pid);
	}
	free(copy);
}

static void force_node(struct kup_ro_sim *s, int id)
{
	struct sim_node *n = &s->nodes[id];
	int i, npods = n->npods;
	int *copy = kup_malloc((size_t)(npods ? npods : 1) * sizeof(int));

	if (!copy) {
		s->stop = s->m->failed = true;
		return;
	}
	memcpy(copy, n->pods, (size_t)npods * sizeof(int));
	for (i = 0; i < npods; i++) {
		struct sim_pod *p = &s->pods[copy[i]];
		if (p->state == PS_STARTING || p->state == PS_READY) {
			s->m->forced_deletions++;
			terminate(s, copy[i]);
		}
	}
	free(copy);
}

/* ---- policy bookkeeping --------------------------------------------------------- */

static int job_new(struct kup_ro_sim *s, int old, int surge, int state)
{
	bool surged = surge >= 0;
	size_t cap = (size_t)s->capjobs;

	if (s->njobs == s->capjobs) {
		if (!kup_grow(&s->jobs, &cap, (size_t)s->njobs + 1, sizeof(*s->jobs), 64)) {
			s->stop = s->m->failed = true;
			return -1;
		}
		s->capjobs = (int)cap;
	}
	s->jobs[s->njobs].old = old;
	s->jobs[s->njobs].surge = surge;
	s->jobs[s->njobs].state = state;
	s->jobs[s->njobs].surged = surged;
	s->surging += surged;
	s->nodes[old].job = s->njobs;
	if (surge >= 0)
		s->nodes[surge].job = s->njobs;
	s->active++;
	return s->njobs++;
}

static void old_done(struct kup_ro_sim *s, int id)
{
	struct sim_node *n = &s->nodes[id];

	if (n->done)
		return;
	n->done = true;
	s->old_left--;
	if (s->plan && n->batch >= 0 && (size_t)n->batch < s->plan->n &&
	    s->plan->v[n->batch].end_s < s->now)
		s->plan->v[n->batch].end_s = s->now;
}

static void job_finish(struct kup_ro_sim *s, int j)
{
	if (j < 0 || s->jobs[j].state == J_DONE)
		return;
	s->jobs[j].state = J_DONE;
	s->active--;
	s->surging -= s->jobs[j].surged;
}

/* The next old node in policy order that is still to do, or -1. */
static int next_old(struct kup_ro_sim *s)
{
	while (s->cursor < s->norder) {
		int id = s->order[s->cursor];
		const struct sim_node *n = &s->nodes[id];
		if (!n->done && !n->draining && n->job < 0 && !n->quarantined)
			return id;
		s->cursor++;
	}
	return -1;
}

static int surge_count(const struct kup_ro_sim *s)
{
	return intpct(&s->pol->max_surge, s->n0, true);
}

static int unavail_count(const struct kup_ro_sim *s)
{
	return intpct(&s->pol->max_unavailable, s->n0, false);
}

/* ---- modes ------------------------------------------------------------------------ */

static void step_slots(struct kup_ro_sim *s)
{
	int surge = surge_count(s), unav = unavail_count(s), p = surge + unav;

	if (s->pol->in_place)
		surge = 0, p = unav > 0 ? unav : 1;
	if (s->pol->parallel_cap > 0 && p > s->pol->parallel_cap)
		p = s->pol->parallel_cap;
	while (s->active < p) {
		int id = next_old(s), j, sid;
		if (id < 0)
			break;
		if (s->surging < surge) {
			sid = request_node(s, s->nodes[id].zone, s->nodes[id].pool, -1);
			if (sid < 0)
				break;
			j = job_new(s, id, sid, J_WAIT);
			(void)j;
		} else {
			if (!may_take(s, id))
				break;
			j = job_new(s, id, -1, J_DRAIN);
			if (j < 0)
				break;
			start_drain(s, id);
		}
		s->cursor++;
	}
}

static void step_asg(struct kup_ro_sim *s)
{
	int nz = 0, z, i, mu = unavail_count(s);

	if (mu < 1)
		mu = 1;
	if (s->phase == 0) {
		int want;
		for (z = 0; z < (int)s->sc->nzones; z++)
			nz += s->zone_old[z] > 0;
		want = 2 * nz > mu ? 2 * nz : mu;
		for (i = 0; i < want; i++) {
			int zz, pass;
			/* round-robin over the zones that hold nodes */
			for (pass = 0, zz = i % (int)s->sc->nzones; pass < (int)s->sc->nzones; pass++) {
				if (s->zone_old[zz] > 0)
					break;
				zz = (zz + 1) % (int)s->sc->nzones;
			}
			if (request_node(s, zz, 0, -1) >= 0)
				s->batch_left++;
		}
		s->replacements_left = s->n0 - s->batch_left;
		s->phase = 1;
		return;
	}
	if (s->phase == 1) {
		if (s->provisioning)
			return;
		/* all old nodes unschedulable; within the budget, the next ones in order */
		if (budget_room(s) == INT_MAX)
			for (i = 0; i < s->n0; i++)
				cordon(s, i);
		s->phase = 2;
	}
	cordon_ahead(s);
	while (s->active < mu) {
		int id = next_old(s);
		if (id < 0 || !may_take(s, id))
			break;
		if (job_new(s, id, -1, J_DRAIN) < 0)
			break;
		start_drain(s, id);
		s->cursor++;
	}
}

static void step_batch(struct kup_ro_sim *s)
{
	int sg = surge_count(s), b = sg + unavail_count(s), i, z;

	if (b < 1)
		sg = b = 1;
	if (s->phase == 0) {
		/* surge nodes; as many old nodes as surge + unavailable drained per set */
		for (i = 0, z = 0; i < sg; i++, z = (z + 1) % (int)s->sc->nzones)
			request_node(s, z, 0, -1);
		s->phase = 1;
		return;
	}
	if (s->phase == 1) {
		if (s->provisioning || s->rebooting)
			return;
		s->njobs = 0;
		s->active = 0;
		for (i = 0; i < b; i++) {
			int id = next_old(s);
			if (id < 0 || !may_take(s, id))
				break;
			job_new(s, id, -1, J_DRAIN);
			start_drain(s, id);
			s->cursor++;
		}
		if (s->njobs == 0)
			return;
		s->batch_left = s->njobs;
		s->phase = 2;
		return;
	}
	if (s->phase == 2 && s->batch_left == 0) {
		bool last = next_old(s) < 0;
		for (i = 0; i < s->njobs; i++) {
			int id = s->jobs[i].old;
			if (s->nodes[id].quarantined || s->nodes[id].state == NS_GONE)
				continue;
			if (last) {
				node_delete(s, id);
				old_done(s, id);
			} else {
				s->nodes[id].state = NS_REBOOTING;
				s->rebooting++;
				push(s, s->now + kup_rs_draw(&s->sc->t.provision, s->seed, KUP_RS_REBOOT,
							     (uint64_t)id), EV_REBOOTED, id, 0);
			}
		}
		s->phase = 1;
	}
}

static void step_blue_green(struct kup_ro_sim *s)
{
	int i;

	if (s->phase == 0) {
		for (i = 0; i < s->n0; i++)
			if (request_node(s, s->nodes[i].zone, s->nodes[i].pool, -1) < 0) {
				/* the green pool does not fit the quota: the upgrade fails */
				s->m->failed = true;
				s->m->fail_reason = "the green pool does not fit maxSurgeNodes";
				s->stop = true;
				return;
			}
		s->phase = 1;
		return;
	}
	if (s->phase == 1) {
		if (s->provisioning)
			return;
		for (i = 0; i < s->n0; i++)
			if (may_take(s, i))
				cordon(s, i);
		s->phase = 2;
	}
	if (s->phase == 2) {
		int k, bn = s->pol->batch_nodes > 0 ? s->pol->batch_nodes : 1;
		if (s->active > 0 || s->now < s->soak_until)
			return;
		for (k = 0; k < bn; k++) {
			int id = next_old(s);
			if (id < 0 || !may_take(s, id))
				break;
			job_new(s, id, -1, J_DRAIN);
			start_drain(s, id);
			s->cursor++;
		}
		if (s->active == 0 && next_old(s) < 0) {
			s->phase = 3;
			s->soak_until = s->now + s->pol->pool_soak;
			push(s, s->soak_until, EV_WAKE, 0, 0);
		}
		return;
	}
	if (s->phase == 3 && s->now >= s->soak_until) {
		for (i = 0; i < s->n0; i++)
			if (s->nodes[i].state != NS_GONE && !s->nodes[i].quarantined) {
				node_delete(s, i);
				old_done(s, i);
			}
		s->phase = 4;
	}
}

static bool pdb_blocks(struct kup_ro_sim *s, int id)
{
	const struct sim_node *n = &s->nodes[id];
	int i;

	for (i = 0; i < n->npods; i++) {
		const struct sim_pod *p = &s->pods[n->pods[i]];
		const struct kup_ro_workload *w = W(s, p->wl);
		const struct sim_wl *x = &s->wls[p->wl];
		if (w->has_pdb && x->ready - x->desired <= 0)
			return true;
	}
	return false;
}

static void step_karpenter(struct kup_ro_sim *s)
{
	int budget = intpct(&s->pol->max_unavailable, s->n0, true), c, tried = 0;
	bool early;

	if (budget < 1)
		budget = 1;
	while (s->cursor < s->norder && (s->nodes[s->order[s->cursor]].done ||
					 s->nodes[s->order[s->cursor]].job >= 0))
		s->cursor++;
	if (s->disrupting >= budget)
		return;
	/* one command per pass: the first candidate whose pods can be evicted */
	for (c = s->cursor; c < s->norder && tried < 200; c++) {
		int id = s->order[c], sid;
		const struct sim_node *n = &s->nodes[id];
		if (n->done || n->job >= 0 || n->quarantined)
			continue;
		tried++;
		if (pdb_blocks(s, id))
			continue;
		/*
		 * karpenter.sh/disrupted:NoSchedule before the replacement; within
		 * a budget that has no room for it, when the replacement is Ready
		 */
		early = may_take(s, id);
		if (early)
			cordon(s, id);
		sid = request_node(s, n->zone, n->pool, -1);
		if (sid < 0) {
			if (early) {
				s->nodes[id].cordoned = false;
				zone_add(s, id);
			}
			return;
		}
		job_new(s, id, sid, J_WAIT);
		s->disrupting++;
		/* a command succeeded: the next pass at once (RequeueAfter Immediately) */
		push(s, s->now, EV_WAKE, 0, 0);
		return;
	}
}

/* ---- kupgrade ------------------------------------------------------------------------ */

static void kup_surge(struct kup_ro_sim *s)
{
	int nz = (int)s->sc->nzones, z;
	bool progress = true;

	while (progress) {
		int best = -1, gap = 0;
		progress = false;
		for (z = 0; z < nz; z++) {
			int g = s->zone_old[z] - s->zone_new[z];
			if (g > gap && (s->sc->zone_cap[z] < 0 || s->zone_nodes[z] < s->sc->zone_cap[z])) {
				gap = g;
				best = z;
			}
		}
		if (best < 0)
			break;
		if (request_node(s, best, 0, -1) >= 0)
			progress = true;
	}
}

/*
 * Whether old node `id` can be drained now: every pod fits the room left on
 * new nodes in its zone, and every PDB has the disruptions its pods need.
 * A node holding more pods of a workload than the workload's whole budget
 * needs the whole budget free; the rest of its pods retry (429).  A
 * Deployment's PDB is a queue instead: at most its budget + 1 of its pods
 * wait for eviction on draining nodes (none queued: any node may start).
 * On success the budgets are taken.
 */
static bool kup_fits(struct kup_ro_sim *s, int id, int step, int64_t *cpu, int64_t *mem,
		     int64_t *pods)
{
	struct sim_node *n = &s->nodes[id];
	int z = n->zone, k, nt = 0;
	int64_t need_cpu = 0, need_mem = 0, need_pods = 0;
	int *touched = s->scratch;
	const int nstamp = ++s->nstamp;

	/*
	 * Cheap first: a candidate is not draining, so every pod bound to it
	 * is starting or Ready and needs room.
	 */
	if (n->req_cpu > cpu[z] || n->req_mem > mem[z] || n->npods > pods[z])
		return false;
	for (k = 0; k < n->npods; k++) {
		const struct sim_pod *p = &s->pods[n->pods[k]];
		struct sim_wl *x = &s->wls[p->wl];
		const struct kup_ro_workload *w = W(s, p->wl);
		if (p->state != PS_READY && p->state != PS_STARTING)
			continue;
		need_cpu += w->req.cpu_m;
		need_mem += w->req.mem;
		need_pods++;
		if (w->kind == KUP_RO_DATABASE && x->writer == n->pods[k] && x->chain > 0)
			return false;   /* readers first: the writer's node goes last */
		if (!w->has_pdb)
			continue;
		if (w->kind == KUP_RO_DEPLOYMENT && p->ord >= w->unready) {
			if (s->pre_scale || w->unready)
				continue;   /* surged first (--pre-scale); crash-looping: its own budget below */
			if (x->qstamp != step) {
				x->qstamp = step;
				x->queued = 0;
			}
			if (x->nstamp != nstamp) {
				x->nstamp = nstamp;
				x->ncount = 0;
				touched[nt++] = p->wl;
			}
			x->ncount++;
			continue;
		}
		if (x->stamp != step) {
			x->stamp = step;
			x->tmp = x->ready - x->desired;
		}
		if (x->nstamp != nstamp) {
			x->nstamp = nstamp;
			x->ncount = 0;
			touched[nt++] = p->wl;
		}
		x->ncount++;
	}
	if (need_cpu > cpu[z] || need_mem > mem[z] || need_pods > pods[z])
		return false;
	for (k = 0; k < nt; k++) {
		const struct sim_wl *x = &s->wls[touched[k]];
		int full = x->expected - x->desired;
		int need = x->ncount < full ? x->ncount : full;
		if (W(s, touched[k])->kind == KUP_RO_DEPLOYMENT && !W(s, touched[k])->unready) {
			/*
			 * at most its budget + 1 pods waiting for eviction on
			 * draining nodes: one more node would only wait in the
			 * PDB's queue (429s) while holding the node budget; one
			 * in reserve keeps the chain busy between steps
			 */
			if (full > 0 && x->queued > 0 && x->queued + x->ncount > full + 1)
				return false;
			continue;
		}
		/*
		 * A PDB that allows 0 disruptions even at full health never
		 * will: the drain starts anyway, so its timeout (quarantine)
		 * ends it instead of the roll waiting for good.
		 */
		if (full > 0 && need > x->tmp)
			return false;
	}
	for (k = 0; k < nt; k++) {
		struct sim_wl *x = &s->wls[touched[k]];
		int full = x->expected - x->desired;
		if (W(s, touched[k])->kind == KUP_RO_DEPLOYMENT && !W(s, touched[k])->unready) {
			x->queued += x->ncount;
			continue;
		}
		if (full > 0)
			x->tmp -= x->ncount < full ? x->ncount : full;
	}
	cpu[z] -= need_cpu;
	mem[z] -= need_mem;
	pods[z] -= need_pods;
	return true;
}

/*
 * A surge pod that found no room within a minute is given up: its
 * original is evicted the ordinary way (under its PDB).
 */
static void kup_cancel_stale_surges(struct kup_ro_sim *s)
{
	size_t i, keep = 0;

	for (i = 0; i < s->npending; i++) {
		int pid = s->pending[i];
		struct sim_pod *p = &s->pods[pid];
		if (p->state == PS_PENDING && p->surge && p->twin >= 0 && s->now - p->t0 > 60) {
			int orig = p->twin;
			p->state = PS_GONE;
			p->twin = -1;
			s->pods[orig].twin = -1;
			wl_expected(s, p->wl, -1);
			try_evict(s, orig);
			continue;
		}
		s->pending[keep++] = pid;
	}
	s->npending = keep;
}

static void step_kupgrade(struct kup_ro_sim *s)
{
	int nz = (int)s->sc->nzones, z, i, rejects = 0, c;
	int64_t cpu[64], mem[64], pods[64];
	const int step = ++s->phase;
	int bidx = -1;
	double pend_cpu = 0, pend_mem = 0;

	s->last_step = s->now;
	kup_surge(s);
	if (budget_room(s) == INT_MAX)
		cordon_ahead(s);
	kup_cancel_stale_surges(s);
	for (z = 0; z < nz; z++) {
		cpu[z] = mem[z] = pods[z] = 0;
		for (i = 0; i < s->zlen[z]; i++) {
			const struct sim_node *n = &s->nodes[s->zlist[z][i]];
			cpu[z] += n->free_cpu;
			mem[z] += n->free_mem;
			pods[z] += n->free_pods;
		}
		/* leave room for fragmentation */
		cpu[z] = cpu[z] * 95 / 100;
		mem[z] = mem[z] * 95 / 100;
	}
	/* room already promised to drains in flight */
	while (s->job_lo < s->njobs && s->jobs[s->job_lo].state == J_DONE)
		s->job_lo++;
	for (i = s->job_lo; i < s->njobs; i++) {
		const struct sim_node *n;
		int k;
		if (s->jobs[i].state == J_DONE)
			continue;
		n = &s->nodes[s->jobs[i].old];
		if (!n->draining)
			continue;
		for (k = 0; k < n->npods; k++) {
			const struct sim_pod *p = &s->pods[n->pods[k]];
			const struct kup_ro_workload *w = W(s, p->wl);
			bool owed;
			if (p->state == PS_READY || p->state == PS_STARTING) {
				struct sim_wl *x = &s->wls[p->wl];
				if (x->qstamp != step) {
					x->qstamp = step;
					x->queued = 0;
				}
				x->queued++;
			}
			if (p->state == PS_READY || p->state == PS_STARTING)
				owed = p->twin < 0 || s->pods[p->twin].node < 0;
			else
				owed = p->state == PS_TERMINATING && w->kind != KUP_RO_DEPLOYMENT;
			if (owed) {
				cpu[n->zone] -= w->req.cpu_m;
				mem[n->zone] -= w->req.mem;
				pods[n->zone]--;
			}
		}
	}
	for (i = 0; i < (int)s->npending; i++) {
		const struct kup_ro_workload *w = W(s, s->pods[s->pending[i]].wl);
		if (s->pods[s->pending[i]].surge)
			continue;   /* owed above, through its original */
		pend_cpu += (double)w->req.cpu_m;
		pend_mem += (double)w->req.mem;
	}
	for (z = 0; z < nz; z++) {
		cpu[z] -= (int64_t)(pend_cpu / nz);
		mem[z] -= (int64_t)(pend_mem / nz);
		pods[z] -= (int64_t)s->npending / nz;
	}
	/* replacements still looking for room: start nothing new until they land */
	for (i = 0; i < (int)s->npending; i++)
		if (!s->pods[s->pending[i]].surge)
			return;
	for (c = s->cursor; c < s->norder && rejects < 1024; c++) {
		int id = s->order[c];
		struct sim_node *n = &s->nodes[id];
		if (n->done || n->draining || n->quarantined || n->job >= 0)
			continue;
		if (!may_take(s, id) || !kup_fits(s, id, step, cpu, mem, pods)) {
			rejects++;
			continue;
		}
		if (s->plan && bidx < 0) {
			struct kup_ro_batch *b;
			if (s->plan->n == s->plan->cap &&
			    !kup_grow(&s->plan->v, &s->plan->cap, s->plan->n + 1, sizeof(*s->plan->v), 16)) {
				s->stop = s->m->failed = true;
				return;
			}
			bidx = (int)s->plan->n++;
			b = &s->plan->v[bidx];
			memset(b, 0, sizeof(*b));
			b->index = bidx + 1;
			b->start_s = b->end_s = s->now;
		}
		if (bidx >= 0) {
			struct kup_ro_batch *b = &s->plan->v[bidx];
			int *nv = kup_realloc(b->nodes, (size_t)(b->nnodes + 1) * sizeof(int));
			if (!nv) {
				s->stop = s->m->failed = true;
				return;
			}
			b->nodes = nv;
			b->nodes[b->nnodes++] = id;
			n->batch = bidx;
		}
		job_new(s, id, -1, J_DRAIN);
		start_drain(s, id);
	}
	while (s->cursor < s->norder && s->nodes[s->order[s->cursor]].job >= 0)
		s->cursor++;
}

/* ---- DB writer gating for kupgrade ------------------------------------------------- */

static void kup_db_update(struct kup_ro_sim *s)
{
	size_t w;

	/* chain > 0 while some reader of the database still sits on an old node */
	for (w = 0; w < s->sc->nwls; w++) {
		struct sim_wl *x = &s->wls[w];
		int k, left = 0;
		if (W(s, (int)w)->kind != KUP_RO_DATABASE)
			continue;
		for (k = 0; k < x->ndbp; k++) {
			int i = x->dbp[k];
			const struct sim_pod *p = &s->pods[i];
			if (i == x->writer || p->state == PS_GONE || p->state == PS_TERMINATING)
				continue;
			if (p->node < 0 || !s->nodes[p->node].is_new || p->state != PS_READY)
				left++;
		}
		x->chain = left;
	}
}

static void policy_step(struct kup_ro_sim *s)
{
	switch (s->pol->mode) {
	case KUP_RO_MODE_SLOTS: step_slots(s); break;
	case KUP_RO_MODE_ASG: step_asg(s); break;
	case KUP_RO_MODE_BATCH: step_batch(s); break;
	case KUP_RO_MODE_BLUE_GREEN: step_blue_green(s); break;
	case KUP_RO_MODE_KARPENTER: step_karpenter(s); break;
	case KUP_RO_MODE_KUPGRADE:
		kup_db_update(s);
		step_kupgrade(s);
		break;
	}
}

/* A drained node leaves (or reboots, or waits for the batch). */
static void on_post(struct kup_ro_sim *s, int id)
{
	struct sim_node *n = &s->nodes[id];
	int j = n->job;

	if (n->quarantined || n->state == NS_GONE)
		return;
	switch (s->pol->mode) {
	case KUP_RO_MODE_BATCH:
		s->batch_left--;
		wake(s);
		return;
	case KUP_RO_MODE_BLUE_GREEN:
		/* blue nodes stay (cordoned, for rollback) until the pool soak ends */
		job_finish(s, j);
		if (s->active == 0) {
			s->soak_until = s->now + s->pol->batch_soak;
			push(s, s->soak_until, EV_WAKE, 0, 0);
		}
		return;
	default:
		break;
	}
	if (s->pol->in_place) {
		n->state = NS_REBOOTING;
		s->rebooting++;
		push(s, s->now + kup_rs_draw(&s->sc->t.reboot, s->seed, KUP_RS_REBOOT, (uint64_t)id),
		     EV_REBOOTED, id, 0);
		return;
	}
	node_delete(s, id);
	old_done(s, id);
	if (s->pol->mode == KUP_RO_MODE_ASG && s->replacements_left > 0) {
		s->replacements_left--;
		request_node(s, n->zone, n->pool, -1);
	}
	if (s->pol->mode == KUP_RO_MODE_KARPENTER)
		s->disrupting--;
	if (s->pol->mode == KUP_RO_MODE_SLOTS && j >= 0 && s->jobs[j].surge < 0) {
		/* an unavailable slot: the node is deleted and recreated */
		int r = request_node(s, n->zone, n->pool, j);
		if (r >= 0) {
			s->jobs[j].state = J_REPLACE;
			s->jobs[j].surge = r;
			return;
		}
	}
	job_finish(s, j);
	wake(s);
}

static void on_node_ready(struct kup_ro_sim *s, int id)
{
	struct sim_node *n = &s->nodes[id];
	int j = n->job;

	n->state = NS_READY;
	s->provisioning--;
	if (!n->cordoned)
		zone_add(s, id);
	sched_soon(s);
	if (j >= 0 && s->jobs[j].state == J_WAIT && s->jobs[j].surge == id) {
		s->jobs[j].state = J_DRAIN;
		start_drain(s, s->jobs[j].old);
	} else if (j >= 0 && s->jobs[j].state == J_REPLACE) {
		job_finish(s, j);
	}
	wake(s);
}

/*
 * The workload whose PDB holds the drain of node `id`: a pod still on it
 * with a PDB that allows no disruption now (NULL: none).  *never is set
 * when that PDB allows none even at full health.
 */
static const char *drain_blocker(const struct kup_ro_sim *s, int id, bool *never)
{
	const struct sim_node *n = &s->nodes[id];
	int k;

	*never = false;
	for (k = 0; k < n->npods; k++) {
		const struct sim_pod *p = &s->pods[n->pods[k]];
		const struct kup_ro_workload *w = W(s, p->wl);
		const struct sim_wl *x = &s->wls[p->wl];
		if (!w->has_pdb || (p->state != PS_READY && p->state != PS_STARTING))
			continue;
		if (!kup_ro_eviction_allowed(&w->pdb, x->expected, x->ready, p->state == PS_READY)) {
			*never = x->expected - x->desired <= 0;
			return w->name;
		}
	}
	return NULL;
}

static void on_timeout(struct kup_ro_sim *s, int id)
{
	struct sim_node *n = &s->nodes[id];
	bool never;
	const char *b = drain_blocker(s, id, &never);

	s->m->stuck_drains++;
	if (b && !s->m->blocker)
		s->m->blocker = b;
	switch (s->pol->on_timeout) {
	case KUP_RO_TIMEOUT_FAIL:
		s->m->failed = true;
		s->m->fail_reason = s->pol->timeout_error ? s->pol->timeout_error :
			"drain timeout: the upgrade fails";
		s->stop = true;
		break;
	case KUP_RO_TIMEOUT_FORCE:
		force_node(s, id);
		break;
	case KUP_RO_TIMEOUT_QUARANTINE:
		n->draining = false;
		n->quarantined = true;
		s->m->quarantined++;
		old_done(s, id);
		if (s->pol->mode == KUP_RO_MODE_BATCH)
			s->batch_left--;
		else
			job_finish(s, n->job);
		wake(s);
		break;
	case KUP_RO_TIMEOUT_NONE:
		break;
	}
}

/* ---- setup -------------------------------------------------------------------------- */

struct sort_ctx {
	const struct kup_ro_sim *s;
	const double *key;
};

static struct sort_ctx g_sort;   /* qsort has no context argument in C17 */

static int cmp_order(const void *pa, const void *pb)
{
	int a = *(const int *)pa, b = *(const int *)pb;
	const struct kup_ro_sim *s = g_sort.s;

	if (g_sort.key) {
		if (g_sort.key[a] > g_sort.key[b])
			return -1;
		if (g_sort.key[a] < g_sort.key[b])
			return 1;
	} else {
		int c = strcmp(s->sc->zones[s->nodes[a].zone], s->sc->zones[s->nodes[b].zone]);
		if (c)
			return c;
	}
	return (a > b) - (a < b);
}

static bool build_order(struct kup_ro_sim *s)
{
	int i;
	double *key = NULL;

	s->order = kup_malloc((size_t)s->n0 * sizeof(int) + 1);
	if (!s->order)
		return false;
	s->norder = s->n0;
	for (i = 0; i < s->n0; i++)
		s->order[i] = i;
	g_sort.s = s;
	g_sort.key = NULL;
	switch (s->pol->order) {
	case KUP_RO_ORDER_RANDOM:
		for (i = s->n0 - 1; i > 0; i--) {
			int j = (int)(kup_rs_u64(s->seed, KUP_RS_ORDER, (uint64_t)i) % (uint64_t)(i + 1));
			int t = s->order[i];
			s->order[i] = s->order[j];
			s->order[j] = t;
		}
		break;
	case KUP_RO_ORDER_ZONE:
		qsort(s->order, (size_t)s->n0, sizeof(int), cmp_order);
		break;
	case KUP_RO_ORDER_NAME:
		break;
	case KUP_RO_ORDER_BLOCKING: {
		size_t w;
		key = kup_calloc((size_t)s->n0 + 1, sizeof(double));
		if (!key)
			return false;
		/*
		 * chain(w): seconds its PDB makes the roll take, one budget-full
		 * at a time, for pods replaced only after they are gone
		 * (StatefulSet, database).  Deployments' PDBs are kept busy by
		 * kup_fits' queue instead (ordering their nodes first too was
		 * slower on huge-5000: 3,231 s against 2,828 s).
		 * Nodes with the longest chain first (they start early), then the
		 * shortest drains first (their slots come back soonest), the
		 * database writer's node last.
		 */
		for (w = 0; w < s->sc->nwls; w++) {
			const struct kup_ro_workload *wl = &s->sc->wls[w];
			int budget = wl->has_pdb ? wl->replicas - s->wls[w].desired : wl->replicas;
			if (budget < 1)
				budget = 1;
			s->wls[w].chain = wl->kind == KUP_RO_DEPLOYMENT ? 0 :
				ceil((double)wl->replicas / budget) *
				(s->sc->t.pod_start.median + wl->grace);
		}
		for (i = 0; i < s->n0; i++) {
			const struct sim_node *n = &s->nodes[i];
			double kmax = 0, gmax = 0;
			bool writer = false;
			int k;
			for (k = 0; k < n->npods; k++) {
				const struct sim_pod *p = &s->pods[n->pods[k]];
				const struct sim_wl *x = &s->wls[p->wl];
				if (W(s, p->wl)->kind == KUP_RO_DATABASE && x->writer == n->pods[k])
					writer = true;   /* the writer's node goes last */
				if (x->chain > kmax)
					kmax = x->chain;
				if (W(s, p->wl)->grace > gmax)
					gmax = W(s, p->wl)->grace;
			}
			key[i] = writer ? -1e12 - gmax : kmax > 0 ? 1e6 + kmax : -gmax;
		}
		for (w = 0; w < s->sc->nwls; w++)
			s->wls[w].chain = 0;
		g_sort.key = key;
		qsort(s->order, (size_t)s->n0, sizeof(int), cmp_order);
		break;
	}
	}
	free(key);
	g_sort.key = NULL;
	return true;
}

static void sim_release(struct kup_ro_sim *s)
{
	size_t i;

	for (i = 0; i < s->nnodes; i++)
		free(s->nodes[i].pods);
	free(s->nodes);
	free(s->pods);
	for (i = 0; s->wls && i < s->sc->nwls; i++) {
		free(s->wls[i].zcount);
		free(s->wls[i].dbp);
	}
	free(s->wls);
	free(s->slot_inc);
	free(s->slot_evict);
	if (s->zlist)
		for (i = 0; i < s->sc->nzones; i++)
			free(s->zlist[i]);
	free(s->zlist);
	free(s->zlen);
	free(s->zcap);
	free(s->zcur);
	free(s->zone_nodes);
	free(s->zone_old);
	free(s->zone_new);
	free(s->zfail_cpu);
	free(s->zfail_mem);
	free(s->zhard_cpu);
	free(s->zhard_mem);
	free(s->heap);
	free(s->pending);
	free(s->order);
	free(s->jobs);
	free(s->scratch);
}

/* Builds the cluster at t = 0: old nodes and the initial placement. */
static enum kup_status sim_setup(struct kup_ro_sim *s, const struct kup_ro_scenario *sc,
				 const struct kup_ro_policy *pol, uint64_t seed,
				 struct kup_ro_metrics *m, struct kup_error *err)
{
	size_t nz = sc->nzones, i, w;
	int node = 0, round;

	memset(s, 0, sizeof(*s));
	memset(m, 0, sizeof(*m));
	s->sc = sc;
	s->pol = pol;
	s->seed = seed;
	s->m = m;
	s->last_step = -1e9;
	s->zlist = kup_calloc(nz, sizeof(*s->zlist));
	s->zlen = kup_calloc(nz, sizeof(int));
	s->zcap = kup_calloc(nz, sizeof(int));
	s->zcur = kup_calloc(nz, sizeof(int));
	s->zone_nodes = kup_calloc(nz, sizeof(int));
	s->zone_old = kup_calloc(nz, sizeof(int));
	s->zone_new = kup_calloc(nz, sizeof(int));
	s->zfail_cpu = kup_malloc(nz * sizeof(int64_t));
	s->zfail_mem = kup_malloc(nz * sizeof(int64_t));
	s->zhard_cpu = kup_malloc(nz * sizeof(int64_t));
	s->zhard_mem = kup_malloc(nz * sizeof(int64_t));
	if (s->zfail_cpu && s->zfail_mem && s->zhard_cpu && s->zhard_mem)
		for (i = 0; i < nz; i++)
			s->zfail_cpu[i] = s->zfail_mem[i] = s->zhard_cpu[i] = s->zhard_mem[i] = -1;
	s->wls = kup_calloc(sc->nwls + 1, sizeof(*s->wls));
	if (!s->zlist || !s->zlen || !s->zcap || !s->zcur || !s->zone_nodes || !s->zone_old ||
	    !s->zone_new || !s->wls || !s->zfail_cpu || !s->zfail_mem || !s->zhard_cpu ||
	    !s->zhard_mem)
		goto nomem;
	for (w = 0; w < sc->nwls; w++) {
		const struct kup_ro_workload *wl = &sc->wls[w];
		struct sim_wl *x = &s->wls[w];
		x->zcount = kup_calloc(nz, sizeof(int));
		if (!x->zcount)
			goto nomem;
		x->writer = -1;
		x->down_since = -1;
		x->base = (int)s->nslots;
		if (wl->kind == KUP_RO_DAEMONSET) {
			s->ds_cpu += wl->req.cpu_m;
			s->ds_mem += wl->req.mem;
			s->ds_pods++;
			continue;
		}
		s->nslots += (size_t)wl->replicas;
		x->expected = wl->replicas;
		x->want_ready = wl->replicas - wl->unready;
		x->desired = wl->has_pdb ? kup_ro_pdb_desired_healthy(&wl->pdb, wl->replicas) : 0;
		x->desired0 = x->desired;
	}
	{
		int64_t maxp = 1;
		for (i = 0; i < sc->npools; i++)
			if (sc->pools[i].cap.pods > maxp)
				maxp = sc->pools[i].cap.pods;
		s->scratch = kup_calloc((size_t)maxp + 1, sizeof(int));
		if (!s->scratch)
			goto nomem;
	}
	s->slot_inc = kup_calloc(s->nslots + 1, sizeof(*s->slot_inc));
	s->slot_evict = kup_calloc(s->nslots + 1, sizeof(*s->slot_evict));
	if (!s->slot_inc || !s->slot_evict)
		goto nomem;
	/* old nodes: the pool's members' zones, else zones round-robin within each pool */
	for (i = 0; i < sc->npools; i++) {
		int k;
		for (k = 0; k < sc->pools[i].nodes; k++, node++) {
			int z = sc->pools[i].member_zone ? sc->pools[i].member_zone[k] : (int)((size_t)k % nz);
			int id = node_add(s, z, (int)i, false, NS_READY);
			if (id < 0)
				goto nomem;
			s->zone_old[s->nodes[id].zone]++;
			zone_add(s, id);
		}
	}
	s->n0 = node;
	s->old_left = node;
	s->m->peak_extra_nodes = 0;
	/* initial placement: workloads interleaved, one replica per round */
	for (round = 0;; round++) {
		bool any = false;
		for (w = 0; w < sc->nwls; w++) {
			const struct kup_ro_workload *wl = &sc->wls[w];
			int pid;
			if (wl->kind == KUP_RO_DAEMONSET || round >= wl->replicas)
				continue;
			any = true;
			pid = pod_new(s, (int)w, round, false);
			if (pid < 0)
				goto nomem;
			if (!place(s, pid, NULL)) {
				pending_add(s, pid);
				continue;
			}
			s->nheap = 0;   /* initial pods are Ready at t = 0 */
			if (round >= wl->unready) {
				s->pods[pid].state = PS_READY;
				s->wls[w].ready++;
			}
			if (wl->kind == KUP_RO_DATABASE && round == 0)
				s->wls[w].writer = pid;
		}
		if (!any)
			break;
	}
	s->nheap = 0;
	s->seq = 0;
	if (s->stop)
		goto nomem;
	return KUP_OK;
nomem:
	return kup_error_set(err, KUP_NOMEM, sc->path, 0, 0, "out of memory");
}

static void db_on_ready(struct kup_ro_sim *s, int pid)
{
	struct sim_pod *p = &s->pods[pid];
	struct sim_wl *x = &s->wls[p->wl];

	if (W(s, p->wl)->kind == KUP_RO_DATABASE && x->writer < 0 && x->down_since >= 0) {
		x->writer = pid;
		s->m->write_unavailable_s += s->now - x->down_since + W(s, p->wl)->failover_s;
		s->m->failovers++;
		x->down_since = -1;
	}
}

static void dispatch(struct kup_ro_sim *s, const struct sim_ev *e)
{
	struct sim_pod *p;

	switch (e->type) {
	case EV_NODE_READY:
		on_node_ready(s, e->a);
		break;
	case EV_POD_READY:
		p = &s->pods[e->a];
		if (p->state != PS_STARTING || p->inc != e->b)
			break;
		wl_touch(s, p->wl);
		p->state = PS_READY;
		s->wls[p->wl].ready++;
		db_on_ready(s, e->a);
		if (p->surge && p->twin >= 0)
			try_evict(s, p->twin);
		if (s->pol->mode == KUP_RO_MODE_KUPGRADE || s->pol->mode == KUP_RO_MODE_KARPENTER)
			wake(s);
		break;
	case EV_POD_GONE:
		p = &s->pods[e->a];
		if (p->state != PS_TERMINATING || p->inc != e->b)
			break;
		{
			int node = p->node;
			p->state = PS_GONE;
			if (node >= 0) {
				unbind(s, e->a);
				if (s->nodes[node].draining && s->nodes[node].npods == 0)
					drain_done(s, node);
			}
			if (W(s, p->wl)->kind != KUP_RO_DEPLOYMENT)
				pod_create(s, p->wl, p->ord, false);
		}
		break;
	case EV_EVICT:
		p = &s->pods[e->a];
		if (p->inc != e->b || !p->evicting || p->node < 0 || !s->nodes[p->node].draining)
			break;
		p->evicting = false;
		try_evict(s, e->a);
		break;
	case EV_TIMEOUT:
		if (s->nodes[e->a].draining && (uint32_t)s->nodes[e->a].gen == e->b)
			on_timeout(s, e->a);
		break;
	case EV_STUCK:
		if (s->pol->drain_timeout <= 0 && s->nodes[e->a].draining &&
		    (uint32_t)s->nodes[e->a].gen == e->b) {
			bool never;
			const char *b = drain_blocker(s, e->a, &never);
			s->m->stuck_drains++;
			if (b && !s->m->blocker)
				s->m->blocker = b;
			if (never) {
				/* no timeout and a PDB at 0: the roll would wait for good */
				s->m->failed = true;
				s->m->fail_reason = "drain blocked for good: a PDB allows 0 disruptions "
						    "and the policy has no drain timeout";
				s->stop = true;
			}
		}
		break;
	case EV_POST:
		on_post(s, e->a);
		break;
	case EV_REBOOTED: {
		struct sim_node *n = &s->nodes[e->a];
		n->state = NS_READY;
		s->rebooting--;
		if (!n->is_new) {
			n->is_new = true;
			s->zone_new[n->zone]++;
		}
		n->cordoned = false;
		zone_add(s, e->a);
		old_done(s, e->a);
		sched_soon(s);
		if (s->pol->mode != KUP_RO_MODE_BATCH)
			job_finish(s, n->job);
		n->job = -1;
		wake(s);
		break;
	}
	case EV_SCHED:
		s->sched_queued = false;
		sched_pass(s);
		break;
	case EV_STEP:
		s->step_queued = false;
		/* Karpenter acts once per polling pass only */
		if (s->pol->mode != KUP_RO_MODE_KARPENTER)
			policy_step(s);
		break;
	case EV_TICK:
		policy_step(s);
		if (s->old_left > 0) {
			double period = s->pol->mode == KUP_RO_MODE_KARPENTER ? s->pol->poll : KUP_TICK;
			push(s, s->now + (period > 0 ? period : KUP_TICK), EV_TICK, 0, 0);
		}
		break;
	case EV_WAKE:
		policy_step(s);
		break;
	}
}

static bool finished(const struct kup_ro_sim *s)
{
	if (s->old_left > 0 || s->provisioning > 0)
		return false;
	if (s->pol->mode == KUP_RO_MODE_BLUE_GREEN)
		return s->phase == 4;
	if (s->pol->mode == KUP_RO_MODE_BATCH)
		return s->phase == 1 || s->phase == 2;
	return true;
}

static void finish_metrics(struct kup_ro_sim *s)
{
	size_t w;

	advance(s, s->now);
	s->m->makespan_s = s->now;
	for (w = 0; w < s->sc->nwls; w++) {
		if (W(s, (int)w)->kind == KUP_RO_DAEMONSET)
			continue;
		wl_touch(s, (int)w);
		s->m->pdb_violation_s += s->wls[w].viol;
		s->m->deficit_pod_s += s->wls[w].deficit;
		if (s->wls[w].down_since >= 0)
			s->m->write_unavailable_s += s->now - s->wls[w].down_since;
	}
	s->m->node_hours = s->node_s / 3600.0;
}

enum kup_status kup_ro_simulate_plan(const struct kup_ro_scenario *sc, const struct kup_ro_policy *pol,
				     const struct kup_ro_opts *opts, uint64_t seed,
				     struct kup_ro_metrics *m, struct kup_ro_plan *plan,
				     struct kup_error *err)
{
	static const struct kup_ro_opts none;
	struct kup_ro_sim s;
	struct kup_ro_policy mapped;
	enum kup_status st;

	if (!opts)
		opts = &none;
	if (opts->equal && !opts->keep_knobs) {
		kup_ro_policy_at_budget(pol, sc, &mapped);
		pol = &mapped;
	}
	st = sim_setup(&s, sc, pol, seed, m, err);
	if (st != KUP_OK) {
		sim_release(&s);
		return st;
	}
	s.plan = plan;
	s.enforce = opts->equal || pol->mode == KUP_RO_MODE_KUPGRADE;
	s.pre_scale = opts->pre_scale;
	s.budget_m = sc->max_unavailable;
	m->min_ready_nodes = s.avail;
	if (!build_order(&s)) {
		sim_release(&s);
		return kup_error_set(err, KUP_NOMEM, sc->path, 0, 0, "out of memory");
	}
	if (s.enforce && s.budget_m == 0 && (sc->max_surge == 0 || pol->in_place)) {
		/* nothing may be added and nothing taken out: the roll cannot start */
		m->failed = true;
		m->fail_reason = pol->in_place ? "an in-place policy needs maxUnavailableNodes >= 1"
					       : "maxSurgeNodes 0 and maxUnavailableNodes 0: no node "
						 "can be added or taken out";
		finish_metrics(&s);
		sim_release(&s);
		return KUP_OK;
	}
	if (pol->mode == KUP_RO_MODE_KUPGRADE) {
		/*
		 * old nodes tainted PreferNoSchedule: replacements land on new
		 * nodes while they have room.  Without maxUnavailableNodes they
		 * are all tainted NoSchedule at once; within a budget, a node is
		 * tainted NoSchedule when its drain starts (a tainted node waiting
		 * would hold the budget idle)
		 */
		int i;
		for (i = 0; i < s.n0; i++) {
			s.nodes[i].soft = true;
			s.nsoft++;
		}
		if (budget_room(&s) == INT_MAX)
			cordon_ahead(&s);
	}
	push(&s, 0, EV_STEP, 0, 0);
	s.step_queued = true;
	if (pol->mode == KUP_RO_MODE_KARPENTER || pol->mode == KUP_RO_MODE_KUPGRADE)
		push(&s, pol->mode == KUP_RO_MODE_KARPENTER ? pol->poll : KUP_TICK, EV_TICK, 0, 0);
	if (s.npending)
		sched_soon(&s);
	while (!s.stop && s.nheap > 0) {
		struct sim_ev e = pop(&s);
		if (e.t > HORIZON_S || m->events >= MAX_EVENTS) {
			m->failed = true;
			advance(&s, e.t > HORIZON_S ? HORIZON_S : e.t);
			break;
		}
		advance(&s, e.t);
		m->events++;
		dispatch(&s, &e);
		if (finished(&s))
			break;
	}
	if (!finished(&s))
		m->failed = true;
	finish_metrics(&s);
	sim_release(&s);
	return KUP_OK;
}

enum kup_status kup_ro_simulate(const struct kup_ro_scenario *sc, const struct kup_ro_policy *pol,
				uint64_t seed, struct kup_ro_metrics *m, struct kup_error *err)
{
	return kup_ro_simulate_plan(sc, pol, NULL, seed, m, NULL, err);
}

enum kup_status kup_ro_simulate_opts(const struct kup_ro_scenario *sc, const struct kup_ro_policy *pol,
				     const struct kup_ro_opts *opts, uint64_t seed,
				     struct kup_ro_metrics *m, struct kup_error *err)
{
	return kup_ro_simulate_plan(sc, pol, opts, seed, m, NULL, err);
}

enum kup_status kup_ro_place(const struct kup_ro_scenario *sc, struct kup_ro_placement *pl,
			     struct kup_error *err)
{
	static const struct kup_ro_policy none = { .name = "place" };
	struct kup_ro_metrics m;
	struct kup_ro_sim s;
	enum kup_status st;
	size_t i;

	memset(pl, 0, sizeof(*pl));
	st = sim_setup(&s, sc, &none, sc->seed, &m, err);
	if (st != KUP_OK) {
		sim_release(&s);
		return st;
	}
	pl->nnodes = (size_t)s.n0;
	pl->npods = s.npods;
	pl->node_zone = kup_malloc((pl->nnodes + 1) * sizeof(int));
	pl->node_pool = kup_malloc((pl->nnodes + 1) * sizeof(int));
	pl->pod_wl = kup_malloc((pl->npods + 1) * sizeof(int));
	pl->pod_ord = kup_malloc((pl->npods + 1) * sizeof(int));
	pl->pod_node = kup_malloc((pl->npods + 1) * sizeof(int));
	if (!pl->node_zone || !pl->node_pool || !pl->pod_wl || !pl->pod_ord || !pl->pod_node) {
		sim_release(&s);
		kup_ro_placement_release(pl);
		return kup_error_set(err, KUP_NOMEM, sc->path, 0, 0, "out of memory");
	}
	for (i = 0; i < pl->nnodes; i++) {
		pl->node_zone[i] = s.nodes[i].zone;
		pl->node_pool[i] = s.nodes[i].pool;
	}
	for (i = 0; i < pl->npods; i++) {
		pl->pod_wl[i] = s.pods[i].wl;
		pl->pod_ord[i] = s.pods[i].ord;
		pl->pod_node[i] = s.pods[i].node;
		if (s.pods[i].node < 0)
			pl->unplaced++;
	}
	sim_release(&s);
	return KUP_OK;
}

void kup_ro_placement_release(struct kup_ro_placement *pl)
{
	free(pl->node_zone);
	free(pl->node_pool);
	free(pl->pod_wl);
	free(pl->pod_ord);
	free(pl->pod_node);
	memset(pl, 0, sizeof(*pl));
}
