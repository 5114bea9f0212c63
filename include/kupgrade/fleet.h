/*
 * fleet.h - a fleet of clusters upgraded in waves by a crash-safe control loop.
 *
 *     apiVersion: kupgrade.dev/v1alpha1
 *     kind: Fleet
 *     metadata: {name: acme}
 *     spec:
 *       target: {version: "1.31"}
 *       clusters:
 *         - {name: dev-1, profile: clusters/dev-1.yaml, labels: {env: dev}}
 *         - {name: prod-eu, context: prod-eu, labels: {env: prod}}
 *       waves:
 *         - {name: dev, selector: {env: dev}, maxConcurrent: "100%", soak: 1h}
 *         - {name: staging, selector: {env: staging}, maxConcurrent: 2, soak: 24h, approval: true}
 *         - {name: prod, selector: {env: prod}, maxConcurrent: "25%", maxFailures: 1,
 *            window: "Sat 02:00-06:00 UTC"}
 *       health: {command: "./health.sh {cluster}", interval: 30s, successes: 3}
 *       driver:
 *         control-plane: "eksctl upgrade cluster --name {cluster} --version {version} --approve"
 *         nodepool: "./roll-pool.sh {cluster} {pool} {version}"
 *         addon: "./addon.sh {cluster} {addon} {version}"
 *         verify: "./verify.sh {cluster} {type} {component} {version}"
 *         timeout: 45m
 *
 * The parser (fleet.c) checks everything it can before anything runs and
 * reports each problem with file, line and column.  A cluster belongs to
 * the first wave whose selector matches its labels; a cluster that no wave
 * selects is an error.  Profile paths are relative to the fleet file.
 *
 * Gates (decided by kup_fleet_decide(), a pure function): a wave starts
 * only when every earlier wave is complete (all its clusters at the
 * target), soaked (`soak` after the moment it completed) and, when it says
 * `approval: true`, approved (`kupgrade fleet approve WAVE`).  Within a
 * wave at most maxConcurrent clusters are in progress ("25%" of the wave,
 * rounded up, at least 1).  A wave with a window starts new steps only
 * while the window is open.  A failed step stops its cluster and pauses its
 * wave; when a wave has maxFailures failed clusters the whole fleet halts.
 *
 * Every string lives in the fleet's arena; kup_fleet_free() frees all.
 */
#ifndef KUPGRADE_FLEET_H
#define KUPGRADE_FLEET_H

#include <sys/types.h>
#include <time.h>
#include "kupgrade/core.h"
#include "kupgrade/version.h"
#include "kupgrade/plan.h"

struct kup_profile;
struct kup_kb;

/* ---- the fleet file ---------------------------------------------------- */

struct kup_fleet_label {
	const char *key;
	const char *value;
};

/*
 * A weekly maintenance window, in UTC: `days` bit 0 is Monday ... bit 6
 * Sunday; the window opens at start_min (minutes after midnight) on each of
 * those days and lasts until end_min (1..1440); end_min <= start_min means
 * it ends the next day ("Fri 22:00-04:00 UTC").
 */
struct kup_fleet_window {
	bool set;
	uint8_t days;
	int start_min;
	int end_min;
	const char *text;
};

struct kup_fleet_wave {
	const char *name;
	struct kup_fleet_label *selector;
	size_t nselector;
	bool max_percent;          /* maxConcurrent "25%" (true) or 2 (false) */
	unsigned max_value;        /* 1..100 with max_percent, else >= 1 */
	int64_t soak;              /* seconds; 0 when none */
	bool approval;
	unsigned max_failures;     /* 0: no halt (a failure still pauses the wave) */
	struct kup_fleet_window window;
	size_t nclusters;          /* clusters in this wave */
	uint32_t line, column;
};

struct kup_fleet_cluster {
	const char *name;
	const char *profile;       /* the profile path, resolved against the fleet file; or NULL */
	const char *profile_text;  /* as written */
	const char *context;       /* a kubeconfig context; or NULL */
	const char *kubeconfig;    /* kubeconfig: as written, or NULL */
	/*
	 * dump: a kubectl dump (get -A -o json) or kupgrade snapshot of the
	 * cluster, resolved like profile; or NULL.  Its objects are scanned and
	 * pre-flight checked by the planner as `plan --dump` does, so the fleet
	 * holds the cluster on the same blockers.  A context cluster's objects
	 * are read live instead.
	 */
	const char *dump;
	const char *dump_text;
	struct kup_fleet_label *labels;
	size_t nlabels;
	size_t wave;               /* index into waves */
	uint32_t line, column;
};

/* The commands of a fleet, one per step type, plus verify and health. */
enum kup_fleet_cmd {
	KUP_FLEET_CMD_ADDON = KUP_STEP_ADDON,
	KUP_FLEET_CMD_CONTROL_PLANE = KUP_STEP_CONTROL_PLANE,
	KUP_FLEET_CMD_NODEPOOL = KUP_STEP_NODEPOOL,
	KUP_FLEET_CMD_CHART = KUP_STEP_CHART,
	KUP_FLEET_CMD_MANIFESTS = KUP_STEP_MANIFESTS,
	KUP_FLEET_CMD_VERIFY,
	KUP_FLEET_CMD_HEALTH,
	KUP_FLEET_NCMD
};

struct kup_fleet_command {
	const char *text;          /* NULL when not given */
	uint32_t line, column;
};

struct kup_fleet {
	const char *path;
	const char *dir;           /* the directory of the fleet file (commands run there) */
	const char *name;
	const char *target_text;
	struct kup_version target;
	struct kup_fleet_cluster *clusters;
	size_t nclusters;
	struct kup_fleet_wave *waves;
	size_t nwaves;
	struct kup_fleet_command cmd[KUP_FLEET_NCMD];
	int64_t timeout;           /* driver timeout, seconds (default 1h) */
	int64_t health_interval;   /* seconds (default 30s) */
	unsigned health_successes; /* consecutive successes (default 1) */
	struct kup_arena arena;
};

/*
 * Parses a Fleet from text.  Every problem is sent to `sink` (may be NULL)
 * with path, line and column; the first is also left in `err`.  Returns
 * KUP_OK, or KUP_PARSE when the text is not YAML / KUP_INVALID when the
 * Fleet is not valid (nothing is returned then).
 */
enum kup_status kup_fleet_parse(const char *path, const char *text, size_t len,
				const struct kup_error_sink *sink, struct kup_fleet **out,
				struct kup_error *err);
/* Reads and parses a fleet file. */
enum kup_status kup_fleet_load(const char *path, const struct kup_error_sink *sink,
			       struct kup_fleet **out, struct kup_error *err);
void kup_fleet_free(struct kup_fleet *f);

/* The index of the cluster called `name`, or -1. */
long kup_fleet_find_cluster(const struct kup_fleet *f, const char *name);
/* The index of the wave called `name`, or -1. */
long kup_fleet_find_wave(const struct kup_fleet *f, const char *name);

/* "addon", "control-plane", ..., "verify", "health". */
const char *kup_fleet_cmd_name(enum kup_fleet_cmd c);

/*
 * Durations: "30s", "45m", "1h", "24h", "2d", "1h30m", "0"; false when
 * malformed (negative, no unit, overflow).
 */
bool kup_fleet_parse_duration(const char *s, int64_t *secs);
/* "1h30m", "45s", "0s" into buf. */
char *kup_fleet_format_duration(int64_t secs, char *buf, size_t size);

/* "Sat 02:00-06:00 UTC", "Mon-Fri 22:00-04:00 UTC", "Sat,Sun 00:00-24:00 UTC". */
bool kup_fleet_parse_window(const char *s, struct kup_fleet_window *w,
			    char *why, size_t why_size);
/* True when t (seconds since the epoch) falls inside the window (an unset window is always open). */
bool kup_fleet_window_open(const struct kup_fleet_window *w, time_t t);
/* The next moment >= t at which the window is open (t itself when open). */
time_t kup_fleet_window_next(const struct kup_fleet_window *w, time_t t);

/* maxConcurrent for a wave of n clusters: a percentage is rounded up, at least 1. */
unsigned kup_fleet_max_concurrent(const struct kup_fleet_wave *w, size_t n);

/* ---- commands ---------------------------------------------------------- */

/*
 * The values substituted into a command.  Each {name} of the template is
 * replaced by the value shell-quoted ('...'); a NULL value becomes ''.
 * Unknown placeholders are rejected by the parser.
 */
struct kup_fleet_vars {
	const char *cluster;
	const char *version;
	const char *pool;
	const char *addon;
	const char *kubeconfig;
	const char *context;
	const char *type;
	const char *component;
};
enum kup_status kup_fleet_expand(const char *tmpl, const struct kup_fleet_vars *v,
				 struct kup_buf *out);
/* True when every {placeholder} of tmpl is known; else *bad is its offset. */
bool kup_fleet_check_template(const char *tmpl, size_t *bad);

/*
 * A running driver: /bin/sh -c CMD in its own process group (pgid == pid),
 * in `dir`, stdin /dev/null, stdout and stderr appended to the file
 * `out_path` (a file, not a pipe: a driver outlives a controller killed
 * with -9 without a SIGPIPE), of which the last KUP_FLEET_TAIL bytes are
 * kept when it ends.
 *
 * kup_driver_spawn() forks a child that waits on a "go" pipe before it
 * execs, so the caller can record the pid (durably) before the command
 * runs: kup_driver_go() then lets it run.  If the caller dies before
 * kup_driver_go(), the child reads end-of-file and exits 127 without ever
 * running the command.  A spawned driver holds memory:
 * kup_driver_release() frees it (after kup_driver_poll() said done, or
 * kup_driver_abort()); spawning again into the same struct needs a release
 * first.
 */
#define KUP_FLEET_TAIL 4096
struct kup_driver {
	pid_t pid;
	int go_fd;
	char *out_path;             /* malloc'd copy, whole whatever its length; "" for none */
	/* The last KUP_FLEET_TAIL bytes of the output, NUL-terminated once done;
	   a bounded window by design: tail_cut says when the output was longer. */
	char tail[KUP_FLEET_TAIL + 1];
	size_t tail_len;
	bool tail_cut;              /* output was longer than the tail */
	int64_t deadline_ms;        /* monotonic ms; 0 = none */
	int64_t kill_at_ms;         /* SIGKILL when SIGTERM was not enough */
	bool timed_out;
	bool done;
	int status;                 /* exit code, 128+signal */
};
enum kup_status kup_driver_spawn(struct kup_driver *d, const char *cmd, const char *dir,
				 const char *out_path, struct kup_error *err);
/* Lets the child exec; the timeout (real ms, 0: none) starts now. */
enum kup_status kup_driver_go(struct kup_driver *d, int64_t timeout_ms);
/*
 * Reaps the driver when it has exited; kills its process group past the
 * deadline (SIGTERM, SIGKILL 2 s later).  Returns true when the driver is
 * done (d->status and the tail set, the output file removed).
 */
bool kup_driver_poll(struct kup_driver *d);
/* Runs a command to completion (spawn, go, poll); for verify and tests. */
enum kup_status kup_driver_run(const char *cmd, const char *dir, const char *out_path,
			       int64_t timeout_ms, struct kup_driver *d, struct kup_error *err);
/*
 * A child that was never let go writes this line (and its pid) to its
 * output file before it exits; kup_driver_never_ran() recognises it, so a
 * successor knows that a step whose pid was recorded never ran.
 */
#define KUP_DRIVER_NOT_RUN "kupgrade-fleet: not run: the controller ended before letting it start"
bool kup_driver_never_ran(const char *out_path, pid_t pid);
/* Reads the last KUP_FLEET_TAIL bytes of a file into buf (NUL-terminated). */
size_t kup_fleet_read_tail(const char *path, char *buf, size_t size, bool *cut);
/* Kills and reaps a driver (at shutdown). */
void kup_driver_abort(struct kup_driver *d);
/* Frees what a spawned driver holds (out_path); a zeroed or released driver is fine. */
void kup_driver_release(struct kup_driver *d);

/* True while process group `pgid` (or process `pid`) has a live member. */
bool kup_process_group_alive(pid_t pgid);

/* Monotonic milliseconds: kup_mono_ms() (core.h). */

/* ---- the clock ----------------------------------------------------------- */

/*
 * Fleet time.  Real time by default; a clock with `scale` > 1 runs that
 * many times faster (3600: an hour per second), anchored at `anchor_real`
 * (real time) = `anchor_fleet` (fleet time), so soak and health intervals
 * pass quickly in demos and tests.  `fixed` pins the time (tests).
 */
struct kup_fleet_clock {
	double scale;               /* 1 = real time */
	int64_t anchor_real_ms;
	int64_t anchor_fleet_ms;
	bool fixed;
};
void kup_fleet_clock_init(struct kup_fleet_clock *c, double scale, int64_t fleet_now_ms);
int64_t kup_fleet_clock_now_ms(const struct kup_fleet_clock *c);
/* Real milliseconds that `fleet_ms` of fleet time take. */
int64_t kup_fleet_clock_real_ms(const struct kup_fleet_clock *c, int64_t fleet_ms);

/* ---- the decision -------------------------------------------------------- */

/* What a cluster is doing, as recorded. */
enum kup_fleet_state {
	KUP_FLEET_PENDING = 0,      /* not started */
	KUP_FLEET_PRE_HEALTH,       /* health gate before the first step */
	KUP_FLEET_UPGRADING,        /* between steps or running one */
	KUP_FLEET_POST_HEALTH,      /* health gate after the last step */
	KUP_FLEET_DONE,             /* at the target, healthy */
	KUP_FLEET_FAILED,           /* a step, verify or health gate failed: stopped */
	KUP_FLEET_HELD,             /* plan BLOCKED (or cannot be read): not attempted */
};
/* "pending", "pre-health", "upgrading", "post-health", "done", "failed", "held". */
const char *kup_fleet_state_name(enum kup_fleet_state s);
bool kup_fleet_state_parse(const char *s, enum kup_fleet_state *out);

struct kup_fleet_cluster_view {
	enum kup_fleet_state state;
	bool at_target;             /* the profile says every component is at the target */
	bool blocked;               /* the plan is BLOCKED (or the profile unreadable) */
	bool busy;                  /* a step or gate is running now */
};

struct kup_fleet_wave_view {
	int64_t complete_at_ms;     /* fleet time the wave was first seen complete; 0 = not */
	bool approved;
	bool paused;
};

enum kup_fleet_wait {
	KUP_FLEET_GO = 0,           /* may act now */
	KUP_FLEET_WAIT_NONE,        /* nothing to do (done / held / failed) */
	KUP_FLEET_WAIT_HALTED,      /* the fleet is halted or paused */
	KUP_FLEET_WAIT_WAVE_PAUSED, /* its wave is paused after a failure */
	KUP_FLEET_WAIT_EARLIER_WAVE,/* an earlier wave is not complete */
	KUP_FLEET_WAIT_SOAK,        /* an earlier wave is soaking */
	KUP_FLEET_WAIT_APPROVAL,    /* an earlier wave needs approval */
	KUP_FLEET_WAIT_WINDOW,      /* the wave's window is closed */
	KUP_FLEET_WAIT_CONCURRENCY, /* maxConcurrent clusters of the wave are in progress */
};
const char *kup_fleet_wait_name(enum kup_fleet_wait w);

struct kup_fleet_decision {
	enum kup_fleet_wait wait;
	size_t wave;                /* for SOAK/APPROVAL/EARLIER_WAVE: the wave waited on */
	int64_t until_ms;           /* SOAK/WINDOW: when the wait ends */
};

/*
 * Decides, for every cluster, whether it may act now (start or continue
 * its upgrade) under the gates described at the top.  `clusters` and
 * `decisions` have f->nclusters entries, `waves` f->nwaves; `halted` stops
 * everything.  Clusters in progress (state PRE_HEALTH, UPGRADING or
 * POST_HEALTH) count against maxConcurrent; a cluster may start only when
 * the count is below it (in file order).  `waves[i].complete_at_ms` is
 * filled in here when wave i is seen complete for the first time
 * (changed_waves gets its bit set so the caller can record it).  False when
 * memory ran out: then nobody moves (every decision waits), which a caller
 * must not show as the fleet's state.
 */
bool kup_fleet_decide(const struct kup_fleet *f, const struct kup_fleet_cluster_view *clusters,
		      struct kup_fleet_wave_view *waves, bool halted, int64_t now_ms,
		      struct kup_fleet_decision *decisions, bool *changed_waves);

/* ---- the next step of one cluster ---------------------------------------- */

/*
 * What the planner says a cluster should do next.  The strings are
 * allocated, of any length (a blocker list is never cut): a zeroed struct
 * or one filled by kup_fleet_next_step() is released with
 * kup_fleet_next_release().  After kup_fleet_next_step() returns KUP_OK,
 * `version` is set, `component`, `from` and `to` are set for a STEP and
 * `why` for BLOCKED (never NULL then; "" when unknown).  The copy in a
 * struct kup_fleet_row lives in the snapshot's arena instead.
 */
struct kup_fleet_next {
	enum { KUP_FLEET_NEXT_STEP, KUP_FLEET_NEXT_DONE, KUP_FLEET_NEXT_BLOCKED } kind;
	enum kup_step_type type;
	char *component;            /* "control-plane", "nodepool/general", "coredns" */
	char *from;
	char *to;
	unsigned remaining;         /* steps left, this one included */
	char *why;                  /* BLOCKED: the blockers, "; "-separated */
	char *version;              /* the control-plane version now */
};

/* Frees the strings of n and zeroes it. */
void kup_fleet_next_release(struct kup_fleet_next *n);
/* Makes n BLOCKED with a formatted `why`; KUP_NOMEM when memory ran out. */
enum kup_status kup_fleet_next_block(struct kup_fleet_next *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Plans one cluster with kup_plan() and returns its first step (out is
 * released first: zeroed or from an earlier call).  Without a
 * knowledge base (kb NULL: tests, benchmarks) it falls back to a minimal
 * path (control plane one minor at a time, node pools following) and says
 * so through *fallback.  `dump` (NULL: none) is the cluster's objects, a
 * kubectl dump or snapshot: scanned at every hop and pre-flight checked, its
 * findings joining the blockers by data/preflight.yaml exactly as for
 * `plan --dump` (kup_plan_opts.dumps); a blocker found there blocks the
 * cluster.
 */
enum kup_status kup_fleet_next_step(const struct kup_kb *kb, const struct kup_profile *p,
				    const struct kup_version *target, const char *dump,
				    struct kup_fleet_next *out, bool *fallback,
				    struct kup_error *err);

/* ---- the loop and what it shows (loop.c, fleet_render.c, report_html.c) ---- */

struct kup_store;

/* One cluster as `fleet status` shows it. */
struct kup_fleet_row {
	const char *name;
	const char *wave;
	const char *version;        /* the control plane now (profile), or NULL */
	const char *target;
	enum kup_fleet_state state;
	struct kup_fleet_next next; /* valid when has_next */
	bool has_next;
	struct kup_fleet_decision decision;
	const char *reason;         /* why it failed / is held / what it waits for */
	const char *blockers;       /* "; "-separated, or NULL */
	unsigned failures;
	unsigned attempt;
	int64_t updated_at;
	const struct kup_profile *profile;   /* NULL when unreadable or a context */
};

struct kup_fleet_wave_row {
	const char *name;
	size_t nclusters, ndone, nfailed, nheld, nrunning;
	int64_t complete_at_ms;
	int64_t soak_until_ms;
	bool approval;
	const char *approved_by;
	bool paused;
	bool halted;
	const char *reason;
};

/* Everything status, plan and report show, read in one pass. */
struct kup_fleet_snapshot {
	const struct kup_fleet *fleet;
	int64_t now_ms;
	bool paused;                /* the fleet-wide flag */
	bool halted;                /* a wave reached maxFailures */
	bool planner_fallback;      /* no knowledge base: the minimal path was used */
	struct kup_fleet_row *rows;
	size_t nrows;
	struct kup_fleet_wave_row *waves;
	size_t nwaves;
	struct kup_arena arena;
};

/*
 * The profile of a cluster given by `context:`, read from the live cluster
 * (the CLI snapshots it through the live client and derives the profile,
 * as `kupgrade plan --context` does).  Without one, such clusters are held
 * ("the live client is not linked").  Called again after each step of the
 * cluster (and by status on every call).
 */
typedef enum kup_status (*kup_fleet_live_fn)(void *ctx, const struct kup_fleet_cluster *c,
					     struct kup_profile **out, char **dump,
					     struct kup_error *err);
/*
 * fn may also leave in *dump the snapshot it read (a file), which the loop
 * gives the planner as the cluster's dump (pre-flight blockers as `plan
 * --context`) and then hands to done(ctx, dump) to remove; *dump NULL: none.
 */
struct kup_fleet_live {
	kup_fleet_live_fn fn;
	void *ctx;
	void (*done)(void *ctx, char *dump);
};

/*
 * Reads the store and every cluster's profile and decides the gates as a
 * tick would, changing nothing.  `kb` may be NULL (minimal planner), `live`
 * may be NULL.
 */
enum kup_status kup_fleet_snapshot(const struct kup_fleet *f, struct kup_store *s,
				   const struct kup_kb *kb, const struct kup_fleet_live *live,
				   int64_t now_ms, struct kup_fleet_snapshot **out,
				   struct kup_error *err);
void kup_fleet_snapshot_free(struct kup_fleet_snapshot *snap);

enum kup_fleet_format { KUP_FLEET_TABLE = 0, KUP_FLEET_JSON, KUP_FLEET_HTML };
/* `fleet status`: a table or JSON (schema_version 1). */
enum kup_status kup_fleet_render_status(const struct kup_fleet_snapshot *snap,
					enum kup_fleet_format fmt, struct kup_buf *out);
/* `fleet plan`: what the next tick would do, one line per cluster that moves or waits. */
enum kup_status kup_fleet_render_plan(const struct kup_fleet_snapshot *snap, struct kup_buf *out);
/*
 * `fleet report -o html`: one self-contained page (inline CSS and SVG):
 * clusters by version against the end-of-life dates, drift, wave progress,
 * blockers and risks per cluster, and the timeline of the event log.
 */
enum kup_status kup_fleet_render_html(const struct kup_fleet_snapshot *snap, struct kup_store *s,
				      const struct kup_kb *kb, struct kup_buf *out,
				      struct kup_error *err);

/*
 * The fast-forward clock a store was started with (an event "clock" that
 * `fleet run --time-scale` writes once); *found false when it runs on real
 * time.  status, plan and report use it so that they see the loop's time.
 */
enum kup_status kup_fleet_clock_from_store(struct kup_store *s, struct kup_fleet_clock *c,
					   bool *found, struct kup_error *err);

/* A progress line from the loop (stderr in the CLI). */
typedef void (*kup_fleet_log_fn)(void *ctx, const char *line);

struct kup_fleet_run_result;
struct kup_fleet_run_opts {
	const char *store_url;
	bool once;                  /* one tick (its steps run to completion), then return */
	bool until_done;            /* return when nothing is left that time alone moves */
	int64_t tick_ms;            /* real ms between ticks (default 10 s) */
	double time_scale;          /* fleet time runs this much faster (default 1) */
	int64_t now_ms;             /* fleet time at start (0: real time, or the store's clock) */
	const char *holder;         /* this replica's id (default host:pid) */
	int64_t lease_ttl_ms;       /* real ms (default 30 s) */
	const struct kup_kb *kb;    /* may be NULL */
	struct kup_fleet_live live; /* fn NULL: clusters given by context are held */
	const char *work_dir;       /* driver output files (default $TMPDIR or /tmp) */
	kup_fleet_log_fn log;
	void *log_ctx;
	volatile int *stop;         /* set (by a signal handler) to stop after the tick */
	unsigned max_ticks;         /* 0: no limit */
	/* called after each tick with the ticks and the clusters' counts so far (may be NULL) */
	void (*on_tick)(void *ctx, const struct kup_fleet_run_result *so_far);
	void *tick_ctx;
};

/* What a run ended with. */
struct kup_fleet_run_result {
	size_t ndone, nfailed, nheld, npending;
	unsigned ticks;
	int64_t first_tick_ms;      /* real ms the first full tick took */
	int64_t first_tick_cpu_ms;  /* CPU ms (user + system, this process) of the first tick */
	int64_t last_tick_ms;       /* real ms the last full tick took */
	bool needs_person;          /* failed, held, approval, pause or halt left */
	size_t store_errors;        /* store writes that failed (logged; not lost leases) */
};

/*
 * The control loop: `kupgrade fleet run`.  Refuses at start (KUP_INVALID)
 * a fleet whose plans need a step type without a driver command, or that
 * has no verify command.  Returns KUP_OK when it stopped normally
 * (res->needs_person says whether a person must act), KUP_UNAVAILABLE when
 * --once could not reach the store.
 */
enum kup_status kup_fleet_run(const char *fleet_path, const struct kup_fleet_run_opts *o,
			      struct kup_fleet_run_result *res, struct kup_error *err);

#endif
