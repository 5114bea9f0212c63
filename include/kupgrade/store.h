/*
 * store.h - the fleet's durable state: clusters, waves, steps, leases and
 * an append-only event log, in SQLite (one file) or PostgreSQL.
 *
 * Invariants
 * - `struct kup_store` is an opaque handle on one connection.  It is not
 *   thread-safe; one process may open several (two replicas in one test).
 * - Every call that changes state runs in one transaction: it fully
 *   happens or not at all.  Calls made between kup_store_begin() and
 *   kup_store_commit() join the caller's transaction instead (batching:
 *   10,000 upserts in one commit).  A failed call inside a caller's
 *   transaction poisons it: kup_store_commit() then rolls back and returns
 *   the first error.
 * - Times are Unix milliseconds supplied by the caller (`now`), usually
 *   kup_store_now(); tests pass their own clock.  Leases compare `now`
 *   against the stored expiry, so replicas need roughly synchronised clocks
 *   (keep the lease TTL well above the clock skew).
 * - `holder` (a replica id) on a mutating call means "only if I hold this
 *   cluster's unexpired lease": the check runs in the same transaction as
 *   the change, and a lost lease gives KUP_CONFLICT with nothing changed.
 *   NULL skips the check (single controller, or an operator's command such
 *   as `fleet retry`).
 * - Strings handed to callbacks are borrowed for the duration of the call.
 *   kup_store_get_*() copy their strings into the caller's arena.
 * - Callbacks return KUP_OK to continue; any other status stops the
 *   iteration and is returned by the listing call unchanged (KUP_STOP is
 *   the polite way to stop early).
 *
 * Errors
 * - KUP_UNAVAILABLE: the store cannot be reached now (PostgreSQL down,
 *   connection lost, SQLite file locked past the busy timeout, a
 *   serialisation failure).  Nothing was changed; retry with backoff.  A
 *   lost PostgreSQL connection is re-established by the next call.
 * - KUP_CONFLICT: the change contradicts the recorded state: the step was
 *   already started, the step is not in the state the call expects, the
 *   lease is held by someone else, or retry on a cluster that has not failed.
 * - KUP_NOTFOUND: no such cluster / wave / step.
 * - KUP_INVALID: a bad URL, or a store written by a newer kupgrade (the
 *   message names both schema versions); KUP_IO: the SQLite file cannot be
 *   opened or created.
 */
#ifndef KUPGRADE_STORE_H
#define KUPGRADE_STORE_H

#include "kupgrade/core.h"

/* The schema version this build writes; stores above it are refused. */
#define KUP_STORE_SCHEMA_VERSION 1

struct kup_store;

enum kup_store_kind { KUP_STORE_SQLITE = 0, KUP_STORE_POSTGRES };

/* ---- open / close / transactions ------------------------------------- */

/*
 * Opens (creating when needed) the store at `url` and migrates its schema
 * to KUP_STORE_SCHEMA_VERSION in one transaction:
 *   "sqlite:PATH"  or a plain path  -> SQLite file PATH (created, WAL mode)
 *   "sqlite::memory:"               -> a private in-memory SQLite store
 *   "postgres://..." "postgresql://..." or a libpq keyword conninfo
 *   starting "pg:" ("pg:host=/tmp/x port=5432 dbname=kup")
 * A store whose schema_version is above this build's gives KUP_INVALID:
 *   "store 'URL' has schema version 7, newer than this kupgrade's 1: upgrade kupgrade"
 */
enum kup_status kup_store_open(const char *url, struct kup_store **out,
			       struct kup_error *err);
/* Closes the connection (rolling back an open transaction). NULL is fine. */
void kup_store_close(struct kup_store *s);

/*
 * How long a call waits for a lock held by another process or replica
 * before giving up with KUP_UNAVAILABLE (SQLite: the busy timeout, default
 * 5000 ms; PostgreSQL: lock_timeout, default none).  0 restores the default.
 */
enum kup_status kup_store_set_lock_timeout(struct kup_store *s, int ms, struct kup_error *err);

enum kup_store_kind kup_store_kind(const struct kup_store *s);
/* The schema version found in the store after open (== this build's). */
int kup_store_schema_version(const struct kup_store *s);
/* The current wall-clock time in Unix milliseconds. */
int64_t kup_store_now(void);

/*
 * Groups the following calls in one transaction (SQLite: BEGIN IMMEDIATE,
 * so the write lock is taken up front).  Not nestable by the caller.
 * kup_store_commit() commits, or rolls back and returns the first error of
 * a call that failed inside; kup_store_rollback() always rolls back.
 */
enum kup_status kup_store_begin(struct kup_store *s, struct kup_error *err);
enum kup_status kup_store_commit(struct kup_store *s, struct kup_error *err);
void kup_store_rollback(struct kup_store *s);

/* ---- clusters ---------------------------------------------------------- */

enum kup_cluster_state {
	KUP_CLUSTER_PENDING = 0,  /* not started, or between steps */
	KUP_CLUSTER_RUNNING,      /* a step is in flight */
	KUP_CLUSTER_HOLDING,      /* waiting on a gate: health, window, wave */
	KUP_CLUSTER_FAILED,       /* a step failed: stopped until `fleet retry` */
	KUP_CLUSTER_DONE,         /* at the target */
	KUP_CLUSTER_BLOCKED,      /* the plan is BLOCKED: see blockers */
};
/* "pending" "running" "holding" "failed" "done" "blocked". */
const char *kup_cluster_state_name(enum kup_cluster_state st);
/* Parses a name above; false when unknown. */
bool kup_cluster_state_parse(const char *name, enum kup_cluster_state *out);

/*
 * One cluster's row.  Desired state: wave, target.  Actual: version, state,
 * next_step (one line, what the plan says comes next), blockers (one per
 * line, NULL when none), reason (why it failed / is held).  `failures`
 * counts failed steps (raised by kup_store_step_finish/settle), `attempt`
 * counts `fleet retry` (raised by kup_store_retry_cluster).  Every string
 * may be NULL.
 */
struct kup_store_cluster {
	const char *name;
	const char *wave;
	enum kup_cluster_state state;
	const char *version;
	const char *target;
	const char *next_step;
	const char *blockers;
	const char *reason;
	unsigned failures;
	unsigned attempt;
	int64_t updated_at;
};

/*
 * Declares `n` clusters from the fleet file: inserts new ones as pending,
 * updates wave and target of existing ones and keeps their actual state;
 * a done cluster whose target changed becomes pending again.  One
 * transaction (or the caller's); on PostgreSQL 1000 rows to a statement.
 * Names must be unique within one call.
 */
struct kup_store_decl {
	const char *name;
	const char *wave;
	const char *target;
};
enum kup_status kup_store_declare_clusters(struct kup_store *s,
					   const struct kup_store_decl *decls, size_t n,
					   int64_t now, struct kup_error *err);

/*
 * Writes a cluster's row (insert or update by name): every field but
 * failures, attempt and updated_at (set to `now`).  With a holder, only
 * while that holder's lease on the cluster is valid.
 */
enum kup_status kup_store_put_cluster(struct kup_store *s, const struct kup_store_cluster *c,
				      const char *holder, int64_t now, struct kup_error *err);

/*
 * Writes `n` cluster rows as kup_store_put_cluster does, in one transaction
 * (or the caller's): all or none.  With a holder, every cluster's lease is
 * checked first; one missing gives KUP_CONFLICT naming it and writes
 * nothing.  On PostgreSQL the rows travel 1000 to a statement (a tick that
 * changed 10,000 clusters costs 10 round trips, not 20,000).  Names must be
 * unique within one call.
 */
enum kup_status kup_store_put_clusters(struct kup_store *s, const struct kup_store_cluster *cs,
				       size_t n, const char *holder, int64_t now,
				       struct kup_error *err);

/* Reads one cluster (strings in `arena`); KUP_NOTFOUND when absent. */
enum kup_status kup_store_get_cluster(struct kup_store *s, const char *name,
				      struct kup_arena *arena, struct kup_store_cluster *out,
				      struct kup_error *err);

/*
 * Streams clusters in name order, `page` rows per query (0: 1000), so the
 * memory held is one page whatever the fleet size.  `wave` (NULL: all)
 * filters; `after` (NULL: from the start) resumes after that name.
 */
struct kup_store_cluster_filter {
	const char *wave;
	const char *after;
	size_t page;
	size_t limit;        /* stop after this many rows; 0: no limit */
};
typedef enum kup_status (*kup_store_cluster_fn)(void *ctx, const struct kup_store_cluster *c);
enum kup_status kup_store_list_clusters(struct kup_store *s,
					const struct kup_store_cluster_filter *filter,
					kup_store_cluster_fn fn, void *ctx, struct kup_error *err);

/*
 * `fleet retry CLUSTER`: a failed cluster becomes pending with attempt+1
 * and its reason cleared, so its failed step may be started again (the
 * step uniqueness key includes the attempt).  An event "retry" records
 * `actor`.  KUP_CONFLICT when the cluster is not failed.
 */
enum kup_status kup_store_retry_cluster(struct kup_store *s, const char *name,
					const char *actor, int64_t now, struct kup_error *err);

/* ---- steps: exactly once ---------------------------------------------- */

enum kup_step_state {
	KUP_STEP_STARTED = 0,   /* recorded before the command runs */
	KUP_STEP_SUCCEEDED,
	KUP_STEP_FAILED,
};
/* "started" "succeeded" "failed". */
const char *kup_step_state_name(enum kup_step_state st);

/*
 * One step attempt.  `type` is the plan's step type name ("control-plane",
 * "nodepool", "addon", ...); `component`, `from`, `to` as in the plan.
 * `settled` is true when the outcome was decided by the verify command
 * after a crash, not by the command's own exit.  pid is 0 until recorded;
 * exit_code is -1 until finished.
 */
struct kup_store_step {
	int64_t id;
	const char *cluster;
	unsigned attempt;
	unsigned order;
	const char *type;
	const char *component;
	const char *from;
	const char *to;
	enum kup_step_state state;
	bool settled;
	int64_t pid;
	int64_t started_at;
	int64_t finished_at;
	int exit_code;
	const char *output_tail;
	const char *run_by;
};

/*
 * Records a step as started BEFORE its command runs and returns its id.
 * Reads cluster, order, type, component, from, to, run_by from `step`; the
 * attempt is the cluster's current attempt.  Unique on (cluster, attempt,
 * type, component, to): a second start of the same step gives KUP_CONFLICT
 * ("step 'nodepool general -> 1.31' of cluster 'x' was already started
 * (step 12, succeeded)") and changes nothing — the exactly-once guarantee
 * rests on this constraint plus the lease.  Also sets the cluster running
 * and appends a "step-started" event.
 */
enum kup_status kup_store_step_start(struct kup_store *s, const struct kup_store_step *step,
				     const char *holder, int64_t now, int64_t *id,
				     struct kup_error *err);

/*
 * Records the pid of the driver process once it is forked, so a successor
 * can wait for it to end before settling.  (Fork, record, then let the child
 * exec: a crash before the record leaves pid 0 = "unknown, it never exec'd".)
 */
enum kup_status kup_store_step_set_pid(struct kup_store *s, int64_t id, int64_t pid,
				       const char *holder, int64_t now, struct kup_error *err);

/*
 * Records the command's end: succeeded when `ok`, else failed (the cluster's
 * failures+1).  `output_tail` (may be NULL) is kept as given: the caller
 * trims it.  Appends a "step-succeeded"/"step-failed" event with the exit
 * code and tail.  KUP_CONFLICT when the step is not started (finished or
 * settled already).  The cluster row is left to the caller (put_cluster in
 * the same transaction).
 */
enum kup_status kup_store_step_finish(struct kup_store *s, int64_t id, bool ok, int exit_code,
				      const char *output_tail, const char *holder, int64_t now,
				      struct kup_error *err);

/*
 * Settles a started-but-unfinished step after a crash, from the verify
 * command's verdict: like finish, with settled = true and an event
 * "step-settled".  Call it only after the recorded pid has ended.
 */
enum kup_status kup_store_step_settle(struct kup_store *s, int64_t id, bool ok,
				      const char *output_tail, const char *holder, int64_t now,
				      struct kup_error *err);

typedef enum kup_status (*kup_store_step_fn)(void *ctx, const struct kup_store_step *st);

/* Streams started-but-unfinished steps (cluster NULL: all), by id. */
enum kup_status kup_store_list_unfinished(struct kup_store *s, const char *cluster,
					  kup_store_step_fn fn, void *ctx, struct kup_error *err);
/* Streams every step of a cluster (NULL: all clusters), by id. */
enum kup_status kup_store_list_steps(struct kup_store *s, const char *cluster,
				     kup_store_step_fn fn, void *ctx, struct kup_error *err);
/*
 * Reads the step (cluster, type, component, to) of the cluster's current
 * attempt, strings in `arena`; KUP_NOTFOUND when it was never started.
 */
enum kup_status kup_store_find_step(struct kup_store *s, const char *cluster, const char *type,
				    const char *component, const char *to,
				    struct kup_arena *arena, struct kup_store_step *out,
				    struct kup_error *err);

/* ---- waves, pause, approvals --------------------------------------------- */

enum kup_wave_state {
	KUP_WAVE_PENDING = 0,   /* not started */
	KUP_WAVE_RUNNING,       /* clusters in flight */
	KUP_WAVE_SOAKING,       /* every cluster done, soak_until in the future */
	KUP_WAVE_COMPLETE,      /* done, soaked (approval is a separate field) */
	KUP_WAVE_HALTED,        /* maxFailures reached */
};
/* "pending" "running" "soaking" "complete" "halted". */
const char *kup_wave_state_name(enum kup_wave_state st);
bool kup_wave_state_parse(const char *name, enum kup_wave_state *out);

/* Times are 0 when unset; approved_by NULL when not approved. */
struct kup_store_wave {
	const char *name;
	unsigned order;          /* position in the fleet file, 0-based */
	enum kup_wave_state state;
	int64_t started_at;
	int64_t completed_at;
	int64_t soak_until;
	const char *approved_by;
	int64_t approved_at;
	bool paused;
	const char *reason;
	int64_t updated_at;
};

/*
 * Writes a wave (insert or update by name): order, state, the three times
 * and reason.  approved_*, paused are kept (they belong to approve/pause).
 */
enum kup_status kup_store_put_wave(struct kup_store *s, const struct kup_store_wave *w,
				   int64_t now, struct kup_error *err);
enum kup_status kup_store_get_wave(struct kup_store *s, const char *name,
				   struct kup_arena *arena, struct kup_store_wave *out,
				   struct kup_error *err);
typedef enum kup_status (*kup_store_wave_fn)(void *ctx, const struct kup_store_wave *w);
/* Streams waves by order, then name. */
enum kup_status kup_store_list_waves(struct kup_store *s, kup_store_wave_fn fn, void *ctx,
				     struct kup_error *err);

/*
 * `fleet approve WAVE`: records who and when (the wave row is created when
 * absent) and appends an "approve" event.  Approving twice keeps the first
 * approval and succeeds.
 */
enum kup_status kup_store_approve_wave(struct kup_store *s, const char *wave, const char *actor,
				       int64_t now, struct kup_error *err);

/*
 * `fleet pause` / `fleet resume`: wave NULL pauses the whole fleet (a flag),
 * else that wave (its row created when absent).  Appends a "pause"/"resume"
 * event with `reason` (may be NULL).  Idempotent.  Resuming a wave also
 * clears its halted state back to running.
 */
enum kup_status kup_store_set_paused(struct kup_store *s, const char *wave, bool paused,
				     const char *actor, const char *reason, int64_t now,
				     struct kup_error *err);
/* Whether the whole fleet is paused (false on a fresh store). */
enum kup_status kup_store_fleet_paused(struct kup_store *s, bool *paused, struct kup_error *err);

/* ---- events: append-only ------------------------------------------------- */

/*
 * One event.  kind: "step-started" "step-succeeded" "step-failed"
 * "step-settled" "retry" "approve" "pause" "resume", or any word the loop
 * uses ("wave-started", "held", "blocked", ...).  exit_code is -1 when none.
 * The table refuses UPDATE and DELETE (a trigger), so history cannot be
 * rewritten through the store.
 */
struct kup_store_event {
	int64_t id;          /* assigned, increasing */
	int64_t at;
	const char *cluster;
	const char *wave;
	const char *kind;
	const char *message;
	int exit_code;
	const char *output_tail;
	const char *actor;
};

/* Appends an event (`id` ignored; `at` 0 means now); *id may be NULL. */
enum kup_status kup_store_add_event(struct kup_store *s, const struct kup_store_event *ev,
				    int64_t *id, struct kup_error *err);
typedef enum kup_status (*kup_store_event_fn)(void *ctx, const struct kup_store_event *ev);
/*
 * Streams events with id > since_id in id order (cluster NULL: all), at
 * most `limit` (0: all), paged internally.
 */
enum kup_status kup_store_list_events(struct kup_store *s, const char *cluster, int64_t since_id,
				      size_t limit, kup_store_event_fn fn, void *ctx,
				      struct kup_error *err);

/* ---- leases: one replica per cluster ----------------------------------- */

/*
 * Acquires up to `max` cluster leases for `holder` until now + ttl_ms, in
 * one transaction, and streams the names now held (new ones and renewed
 * ones of the same holder).  Candidates: clusters not done and not failed
 * (optionally only `wave`), whose lease is absent, expired or already
 * `holder`'s, in name order.  PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED
 * so replicas never wait on each other; SQLite: BEGIN IMMEDIATE.  A
 * replica that dies loses its leases by expiry.  *count (may be NULL)
 * receives the number held.
 */
typedef enum kup_status (*kup_store_name_fn)(void *ctx, const char *name);
enum kup_status kup_store_lease_acquire(struct kup_store *s, const char *holder, const char *wave,
					size_t max, int64_t now, int64_t ttl_ms,
					kup_store_name_fn fn, void *ctx, size_t *count,
					struct kup_error *err);
/* Acquires (or renews) one cluster's lease; KUP_CONFLICT when another holds it. */
enum kup_status kup_store_lease_acquire_one(struct kup_store *s, const char *cluster,
					    const char *holder, int64_t now, int64_t ttl_ms,
					    struct kup_error *err);
/*
 * Extends every lease still in `holder`'s name to now + ttl_ms, expired ones
 * included when nobody took them over meanwhile (taking over changes the
 * holder, so nobody acted on those clusters).  *renewed (may be NULL)
 * receives the count: fewer than you held means the others were taken.
 */
enum kup_status kup_store_lease_renew(struct kup_store *s, const char *holder, int64_t now,
				      int64_t ttl_ms, size_t *renewed, struct kup_error *err);
/* Releases `holder`'s lease on `cluster` (NULL: all its leases). */
enum kup_status kup_store_lease_release(struct kup_store *s, const char *holder,
					const char *cluster, struct kup_error *err);
/* KUP_OK when `holder` holds an unexpired lease on `cluster`, else KUP_CONFLICT. */
enum kup_status kup_store_lease_check(struct kup_store *s, const char *cluster,
				      const char *holder, int64_t now, struct kup_error *err);

/*
 * Streams the leases (cluster NULL: all) in cluster order, expired ones
 * included (compare expires_at with your clock): who acts on what, for
 * `fleet status`.
 */
typedef enum kup_status (*kup_store_lease_fn)(void *ctx, const char *cluster, const char *holder,
					      int64_t expires_at);
enum kup_status kup_store_list_leases(struct kup_store *s, const char *cluster,
				      kup_store_lease_fn fn, void *ctx, struct kup_error *err);

#endif
