/*
 * cmd_fleet.c - `kupgrade fleet run|status|plan|events|report|retry|resume|pause|approve|validate`.
 */
#define _GNU_SOURCE 1
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_live.h"
#include "kupgrade/fleet.h"
#include "kupgrade/store.h"
#include "kupgrade/dump.h"
#include "kupgrade/profile.h"
#include "kupgrade/report.h"
#include "progress.h"

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static const char *store_url(const char *given)
{
	const char *env = getenv("KUPGRADE_FLEET_STORE");
	if (given)
		return given;
	if (env && *env)
		return env;
	return "sqlite:kupgrade-fleet.db";
}

static const char *actor(const char *given)
{
	static char buf[128];
	const char *u = getenv("USER");
	if (given)
		return given;
	snprintf(buf, sizeof(buf), "%s", u && *u ? u : "operator");
	return buf;
}

/* "10s", "500ms", "1m" into milliseconds. */
static bool parse_ms(const char *s, int64_t *ms)
{
	size_t n = strlen(s);
	int64_t secs;
	if (n > 2 && strcmp(s + n - 2, "ms") == 0) {
		char *end;
		long long v = strtoll(s, &end, 10);
		if (end != s + n - 2 || v < 0)
			return false;
		*ms = v;
		return true;
	}
	if (!kup_fleet_parse_duration(s, &secs))
		return false;
	*ms = secs * 1000;
	return true;
}

/* Seconds since the epoch, or 2026-11-21T02:00:00Z; into ms. */
static bool parse_time(const char *s, int64_t *ms)
{
	struct tm tm;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*s && !*end) {
		*ms = v * 1000;
		return true;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, "Z") != 0))
		return false;
	*ms = (int64_t)timegm(&tm) * 1000;
	return true;
}

static void print_sink(void *ctx, const struct kup_error *e)
{
	size_t *n = ctx;
	if (n)
		(*n)++;
	cli_print_error(e);
}

static struct kup_fleet *load_fleet(const char *path)
{
	struct kup_fleet *f = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	size_t shown = 0;
	struct kup_error_sink sink = { print_sink, &shown };
	if (kup_fleet_load(path, &sink, &f, &err) != KUP_OK) {
		f = NULL;
		/* a failure no problem was reported for (out of memory) is said too */
		if (!shown)
			cli_print_error(&err);
	}
	kup_error_release(&err);
	return f;
}

static struct kup_store *open_store(const char *url)
{
	struct kup_store *s = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	if (kup_store_open(url, &s, &err) != KUP_OK) {
		char *shown = kup_redact(url);
		cli_error("cannot open the store '%s': %s", shown ? shown : "***",
			  err.msg ? err.msg : kup_strerror(err.code));
		free(shown);
		s = NULL;
	}
	kup_error_release(&err);
	return s;
}

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	cli_log_stamped(NULL, line);
}

static void on_tick(void *ctx, const struct kup_fleet_run_result *r)
{
	cli_progress_update(ctx, "fleet: tick %u; clusters: %zu done, %zu failed, %zu held, "
			    "%zu not done", r->ticks, r->ndone, r->nfailed, r->nheld, r->npending);
}

/*
 * A cluster given by `context:`: a snapshot of the live cluster through the
 * live client (as `kupgrade plan --context`), its profile derived from it.
 */
static void live_done(void *ctx, char *dump)
{
	(void)ctx;
	cli_live_snapshot_remove(dump);
}

/* The live cluster's profile; its snapshot stays for the planner (*dump) when asked. */
static enum kup_status live_profile(void *ctx, const struct kup_fleet_cluster *c,
				    struct kup_profile **out, char **dump, struct kup_error *err)
{
	const struct kup_kb *kb = ctx;
	struct cli_live l;
	struct kup_profile_dump_opts o;
	char *snap = NULL;
	size_t nerr = 0;
	enum kup_status st;

	*out = NULL;
	cli_live_init(&l);
	l.context = c->context;
	l.kubeconfig = c->kubeconfig;
	l.live = true;
	if (cli_live_snapshot_tmp(&l, &snap) != KUP_EXIT_OK && !snap) {
		cli_live_release(&l);
		return kup_error_set(err, KUP_UNAVAILABLE, NULL, 0, 0, "cannot read the cluster");
	}
	kup_profile_dump_opts_init(&o);
	o.name = c->name;
	st = kup_profile_from_dump_opts(kb, (const char *const *)&snap, 1, &o, out, &nerr, err);
	if (st == KUP_OK)
		(*out)->path = kup_arena_printf(&(*out)->arena, "context %s", c->context);
	if (dump && st == KUP_OK)
		*dump = snap;
	else
		cli_live_snapshot_remove(snap);
	cli_live_release(&l);
	return st;
}

enum { OPT_STORE = 256, OPT_ONCE, OPT_TICK, OPT_SCALE, OPT_NOW, OPT_HOLDER, OPT_TTL, OPT_KB,
       OPT_BY, OPT_REASON, OPT_CLUSTER, OPT_SINCE, OPT_UNTIL, OPT_WORK };

static const struct cli_opt fleet_opts[] = {
	{ OPT_STORE, 0, "store", CLI_ARG, "URL", "the fleet's store: sqlite:PATH or postgres://...",
	  "$KUPGRADE_FLEET_STORE, else sqlite:kupgrade-fleet.db", CLI_HINT_NONE, NULL, NULL },
	{ OPT_ONCE, 0, "once", CLI_NOARG, NULL, "run: one tick, then exit", NULL, CLI_HINT_NONE,
	  NULL, NULL },
	{ OPT_UNTIL, 0, "until-done", CLI_NOARG, NULL,
	  "run: exit when every cluster is done, failed or waiting on a person", NULL, CLI_HINT_NONE,
	  NULL, NULL },
	{ OPT_TICK, 0, "tick", CLI_ARG, "DURATION", "run: time between ticks (10s, 500ms)", "10s",
	  CLI_HINT_NONE, NULL, NULL },
	{ OPT_SCALE, 0, "time-scale", CLI_ARG, "N",
	  "fast-forward (demos, tests): fleet time runs N times faster (soak, health interval, "
	  "driver timeout); the store remembers it", "1", CLI_HINT_NONE, NULL, NULL },
	{ OPT_NOW, 0, "now", CLI_ARG, "TIME",
	  "fleet time: seconds since the epoch, or 2026-11-21T02:00:00Z ($KUP_FLEET_NOW too)", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ OPT_HOLDER, 0, "holder", CLI_ARG, "ID", "run: this controller's name in the store's lease",
	  NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_TTL, 0, "lease-ttl", CLI_ARG, "DURATION", "run: how long the lease outlives a silent "
	  "controller", "30s", CLI_HINT_NONE, NULL, NULL },
	{ OPT_KB, 0, "kb", CLI_ARG, "DIR", "read the knowledge base from DIR instead of the embedded "
	  "one", NULL, CLI_HINT_DIR, NULL, NULL },
	{ OPT_WORK, 0, "work-dir", CLI_ARG, "DIR", "run: where the cluster drivers run", NULL,
	  CLI_HINT_DIR, NULL, NULL },
	{ OPT_BY, 0, "by", CLI_ARG, "NAME", "retry, pause, resume, approve: who does it", "$USER",
	  CLI_HINT_NONE, NULL, NULL },
	{ OPT_REASON, 0, "reason", CLI_ARG, "TEXT", "pause: why", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_CLUSTER, 0, "cluster", CLI_ARG, "NAME", "events: only this cluster's", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ OPT_SINCE, 0, "since", CLI_ARG, "ID", "events: only those after event ID", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ 'o', 'o', "output", CLI_ARG, "FORMAT",
	  "status and events: table, json or yaml; report: html", "table", CLI_HINT_ENUM,
	  "table json yaml html", NULL },
	{ 'q', 'q', "quiet", CLI_NOARG, NULL, "run: no progress line on stderr (shown only on a "
	  "terminal)", NULL, CLI_HINT_NONE, NULL, NULL },
	CLI_OPT_HELP,
	CLI_OPT_END,
};

#define FLEET_SUB(var, name, usage, summary)                                                    \
	static const struct cli_cmd var = { "fleet " name, usage, summary, NULL, fleet_opts,     \
					    CLI_HINT_FILE, NULL, FLEET_EXIT, NULL }
#define FLEET_EXIT                                                                               \
	"Exit: 0 done (or stopped), 2 waiting on a person (approval, pause), 3 failed, held or "  \
	"halted clusters, 1 error."

FLEET_SUB(fleet_run, "run", "FLEET [--store URL] [--once] [--until-done] [--tick 10s] "
	  "[--time-scale N] [--now TIME] [--holder ID] [--lease-ttl 30s] [--kb DIR] [-q]",
	  "the control loop: upgrade the fleet's clusters wave by wave");
FLEET_SUB(fleet_status, "status", "FLEET [--store URL] [-o table|json|yaml]",
	  "each cluster's state, step and blockers");
FLEET_SUB(fleet_plan, "plan", "FLEET [--store URL]", "what the next ticks would do");
FLEET_SUB(fleet_events, "events", "[--store URL] [--cluster NAME] [--since ID] [-o table|json|yaml]",
	  "the fleet's event log");
FLEET_SUB(fleet_report, "report", "FLEET [--store URL] -o html [FILE]",
	  "the fleet's HTML report");
FLEET_SUB(fleet_retry, "retry", "CLUSTER [--store URL] [--by NAME]",
	  "retry a failed cluster");
FLEET_SUB(fleet_pause, "pause", "[WAVE] [--store URL] [--by NAME] [--reason TEXT]",
	  "pause the fleet, or one wave");
FLEET_SUB(fleet_resume, "resume", "[WAVE] [--store URL] [--by NAME]",
	  "resume the fleet, or one wave");
FLEET_SUB(fleet_approve, "approve", "WAVE [--store URL] [--by NAME]",
	  "approve a wave that waits for approval");
FLEET_SUB(fleet_validate, "validate", "FLEET", "check a fleet file");

static const struct cli_cmd *const fleet_subs[] = {
	&fleet_run, &fleet_status, &fleet_plan, &fleet_events, &fleet_report, &fleet_retry,
	&fleet_pause, &fleet_resume, &fleet_approve, &fleet_validate, NULL,
};
static const struct cli_opt fleet_top_opts[] = { CLI_OPT_HELP, CLI_OPT_END };

const struct cli_cmd cli_cmd_fleet = {
	"fleet", "SUBCOMMAND [options]",
	"upgrade a fleet of clusters in waves (a control loop)",
	"The store is --store URL (sqlite:PATH, postgres://...), else $KUPGRADE_FLEET_STORE, else "
	"sqlite:kupgrade-fleet.db in the current directory.  Fast-forward (demos, tests): "
	"--time-scale 3600 runs fleet time an hour per second (soak, health interval, driver "
	"timeout); the store remembers it.  --now (or $KUP_FLEET_NOW: seconds since the epoch, or "
	"2026-11-21T02:00:00Z) sets fleet time.\n\n"
	"Run 'kupgrade fleet SUBCOMMAND --help' for the options of each.",
	fleet_top_opts, CLI_HINT_NONE, NULL, FLEET_EXIT, fleet_subs,
};

struct args {
	const char *store, *holder, *kb, *by, *reason, *cluster, *output, *work_dir;
	bool once, until_done, quiet;
	int64_t tick_ms, now_ms, ttl_ms, since;
	double scale;
	char *pos[4];
	int npos;
};

static int parse_args(const struct cli_cmd *cmd, int argc, char **argv, struct args *a)
{
	struct cli_parse p;
	int c;
	const char *env;

	memset(a, 0, sizeof(*a));
	a->scale = 1;
	a->ttl_ms = 30000;
	a->tick_ms = 10000;
	if ((env = getenv("KUP_FLEET_NOW")) && *env && !parse_time(env, &a->now_ms)) {
		cli_error("KUP_FLEET_NOW '%s' is not a time (seconds since the epoch, or "
			  "2026-11-21T02:00:00Z)", env);
		return -1;
	}
	if ((env = getenv("KUP_FLEET_TIME_SCALE")) && *env)
		a->scale = atof(env);
	cli_parse_init(&p, cmd, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		switch (c) {
		case 'q': a->quiet = true; break;
		case OPT_STORE: a->store = p.arg; break;
		case OPT_ONCE: a->once = true; break;
		case OPT_UNTIL: a->until_done = true; break;
		case OPT_TICK:
			if (!parse_ms(p.arg, &a->tick_ms) || a->tick_ms <= 0) {
				cli_error("--tick '%s' is not a duration (10s, 500ms)", p.arg);
				return -1;
			}
			break;
		case OPT_SCALE: {
			char *end;
			a->scale = strtod(p.arg, &end);
			if (*end || a->scale < 1 || a->scale > 1e7) {
				cli_error("--time-scale '%s' must be a number from 1 to 10000000", p.arg);
				return -1;
			}
			break;
		}
		case OPT_NOW:
			if (!parse_time(p.arg, &a->now_ms)) {
				cli_error("--now '%s' is not a time (seconds since the epoch, or "
					  "2026-11-21T02:00:00Z)", p.arg);
				return -1;
			}
			break;
		case OPT_HOLDER: a->holder = p.arg; break;
		case OPT_TTL:
			if (!parse_ms(p.arg, &a->ttl_ms) || a->ttl_ms <= 0) {
				cli_error("--lease-ttl '%s' is not a duration", p.arg);
				return -1;
			}
			break;
		case OPT_KB: a->kb = p.arg; break;
		case OPT_BY: a->by = p.arg; break;
		case OPT_REASON: a->reason = p.arg; break;
		case OPT_CLUSTER: a->cluster = p.arg; break;
		case OPT_SINCE: a->since = atoll(p.arg); break;
		case OPT_WORK: a->work_dir = p.arg; break;
		case 'o': a->output = p.arg; break;
		case 'h': cli_usage(cmd, stdout); return 1;
		default: cli_usage(cmd, stderr); return -1;
		}
	}
	argc = 1 + (int)p.npos;
	for (int i = 1; i < argc; i++) {
		if (a->npos == 4) {
			cli_error("too many arguments");
			return -1;
		}
		a->pos[a->npos++] = argv[i];
	}
	return 0;
}

static int64_t fleet_now(struct kup_store *s, const struct args *a)
{
	struct kup_fleet_clock c;
	struct kup_error err = KUP_ERROR_INIT;
	bool found = false;
	if (a->now_ms)
		return a->now_ms;
	kup_fleet_clock_init(&c, 1, 0);
	if (kup_fleet_clock_from_store(s, &c, &found, &err) != KUP_OK)
		kup_error_release(&err);
	return kup_fleet_clock_now_ms(&c);
}

static int cmd_run(struct args *a)
{
	struct kup_fleet_run_opts o;
	struct kup_fleet_run_result res;
	struct kup_error err = KUP_ERROR_INIT;
	struct cli_progress pg;
	struct kup_kb *kb;
	struct sigaction sa;
	enum kup_status st;
	int rc;

	if (a->npos != 1) {
		cli_error("fleet run needs the fleet file");
		return KUP_EXIT_ERROR;
	}
	/* the fleet file is checked before anything else happens */
	struct kup_fleet *f = load_fleet(a->pos[0]);
	if (!f)
		return KUP_EXIT_ERROR;
	kup_fleet_free(f);
	kb = cli_load_kb(a->kb);
	if (!kb)
		return KUP_EXIT_ERROR;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	memset(&o, 0, sizeof(o));
	o.store_url = store_url(a->store);
	o.once = a->once;
	o.until_done = a->until_done;
	o.tick_ms = a->tick_ms;
	o.time_scale = a->scale;
	o.now_ms = a->now_ms;
	o.holder = a->holder;
	o.lease_ttl_ms = a->ttl_ms;
	o.kb = kb;
	o.live.fn = live_profile;
	o.live.ctx = kb;
	o.live.done = live_done;
	o.work_dir = a->work_dir;
	o.log = log_line;
	o.stop = &stop_flag;
	cli_progress_init(&pg, a->quiet);
	o.on_tick = on_tick;
	o.tick_ctx = &pg;
	st = kup_fleet_run(a->pos[0], &o, &res, &err);
	cli_progress_end(&pg);
	kup_kb_free(kb);
	if (st != KUP_OK) {
		cli_print_error(&err);
		kup_error_release(&err);
		return KUP_EXIT_ERROR;
	}
	fprintf(stderr, "fleet: %zu done, %zu failed, %zu held, %zu not done (%u tick%s; first tick "
		"%lld ms, %lld ms CPU; last tick %lld ms)\n", res.ndone, res.nfailed, res.nheld,
		res.npending, res.ticks, res.ticks == 1 ? "" : "s", (long long)res.first_tick_ms,
		(long long)res.first_tick_cpu_ms, (long long)res.last_tick_ms);
	rc = res.nfailed || res.nheld ? KUP_EXIT_REMOVED : res.needs_person ? KUP_EXIT_DEPRECATED
		: KUP_EXIT_OK;
	if (o.once && res.store_errors) {
		/* a later tick would retry them; --once has none: not a success */
		cli_error("%zu store write%s failed (above): not recorded", res.store_errors,
			  res.store_errors == 1 ? "" : "s");
		rc = KUP_EXIT_ERROR;
	}
	return rc;
}

static int with_snapshot(struct args *a, const char *what)
{
	struct kup_fleet *f;
	struct kup_store *s;
	struct kup_kb *kb;
	struct kup_fleet_snapshot *snap = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf out = KUP_BUF_INIT;
	int rc = KUP_EXIT_ERROR;
	enum kup_fleet_format fmt = KUP_FLEET_TABLE;
	const char *file = NULL;
	bool yaml = false;

	if (a->npos < 1 || (a->npos > 1 && strcmp(what, "report") != 0) || a->npos > 2) {
		cli_error("fleet %s needs the fleet file%s", what,
			  strcmp(what, "report") == 0 ? " (and optionally the output FILE)" : "");
		return KUP_EXIT_ERROR;
	}
	if (a->output) {
		if ((strcmp(a->output, "json") == 0 || strcmp(a->output, "yaml") == 0) &&
		    strcmp(what, "status") == 0) {
			fmt = KUP_FLEET_JSON;
			yaml = a->output[0] == 'y';
		}
		else if (strcmp(a->output, "html") == 0 && strcmp(what, "report") == 0)
			fmt = KUP_FLEET_HTML;
		else if (strcmp(a->output, "table") != 0 || strcmp(what, "report") == 0) {
			cli_error("unknown output format '%s' for fleet %s (%s)", a->output, what,
				  strcmp(what, "report") == 0 ? "html" : "table, json, yaml");
			return KUP_EXIT_ERROR;
		}
	}
	if (strcmp(what, "report") == 0) {
		fmt = KUP_FLEET_HTML;
		file = a->npos == 2 ? a->pos[1] : NULL;
	}
	if (!(f = load_fleet(a->pos[0])))
		return KUP_EXIT_ERROR;
	if (!(s = open_store(store_url(a->store)))) {
		kup_fleet_free(f);
		return KUP_EXIT_ERROR;
	}
	kb = cli_load_kb(a->kb);
	if (!kb)
		goto out;
	struct kup_fleet_live live = { live_profile, kb, live_done };
	if (kup_fleet_snapshot(f, s, kb, &live, fleet_now(s, a), &snap, &err) != KUP_OK) {
		cli_print_error(&err);
		goto out;
	}
	if (strcmp(what, "plan") == 0)
		kup_fleet_render_plan(snap, &out);
	else if (fmt == KUP_FLEET_HTML) {
		if (kup_fleet_render_html(snap, s, kb, &out, &err) != KUP_OK) {
			cli_print_error(&err);
			goto out;
		}
	} else
		kup_fleet_render_status(snap, fmt, &out);
	if (yaml && !out.oom && !cli_json_as_yaml(&out))
		goto out;
	if (out.oom) {
		cli_error("out of memory");
		goto out;
	}
	if (file) {
		/* the report holds cluster data: 0600, written whole or not at all */
		if (kup_write_file(file, out.buf, out.len, 0600, &err) != KUP_OK) {
			cli_print_error(&err);
			goto out;
		}
		fprintf(stderr, "wrote %s\n", file);
	} else if (out.len) {
		fwrite(out.buf, 1, out.len, stdout);
	}
	rc = KUP_EXIT_OK;
	if (snap->halted || snap->paused)
		rc = KUP_EXIT_DEPRECATED;
	for (size_t i = 0; i < snap->nrows; i++)
		if (snap->rows[i].state == KUP_FLEET_FAILED || snap->rows[i].state == KUP_FLEET_HELD)
			rc = KUP_EXIT_REMOVED;
out:
	kup_buf_release(&out);
	kup_error_release(&err);
	kup_fleet_snapshot_free(snap);
	if (kb)
		kup_kb_free(kb);
	kup_store_close(s);
	kup_fleet_free(f);
	return rc;
}

struct ev_ctx {
	bool json;
	size_t n;
	struct kup_buf *doc;   /* -o yaml: the JSON document gathered here, then re-written */
};

static enum kup_status print_event(void *ctx, const struct kup_store_event *ev)
{
	struct ev_ctx *c = ctx;
	time_t t = (time_t)(ev->at / 1000);
	struct tm tm;
	char ts[32];
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (c->json) {
		struct kup_buf b = KUP_BUF_INIT;
		kup_buf_init(&b);
		kup_buf_addf(&b, "%s{\"id\": %lld, \"at\": \"%s\", \"kind\": \"%s\"", c->n ? ",\n " : "\n ",
			     (long long)ev->id, ts, ev->kind ? ev->kind : "");
		const char *keys[] = { "cluster", "wave", "message", "actor", "output_tail" };
		const char *vals[] = { ev->cluster, ev->wave, ev->message, ev->actor, ev->output_tail };
		for (int i = 0; i < 5; i++) {
			if (!vals[i])
				continue;
			kup_buf_addf(&b, ", \"%s\": ", keys[i]);
			kup_json_quote(&b, vals[i]);
		}
		if (ev->exit_code >= 0)
			kup_buf_addf(&b, ", \"exit_code\": %d", ev->exit_code);
		kup_buf_addc(&b, '}');
		if (c->doc)
			kup_buf_add(c->doc, b.buf, b.len);
		else
			fputs(b.buf, stdout);
		kup_buf_release(&b);
	} else {
		printf("%-6lld %s %-15s %-14s %-16s", (long long)ev->id, ts, ev->kind ? ev->kind : "",
		       ev->wave ? ev->wave : "-", ev->cluster ? ev->cluster : "-");
		if (ev->exit_code >= 0)
			printf(" exit %d", ev->exit_code);
		printf(" %s", ev->message ? ev->message : "");
		if (ev->actor)
			printf(" [%s]", ev->actor);
		putchar('\n');
	}
	c->n++;
	return KUP_OK;
}

static int cmd_events(struct args *a)
{
	struct kup_store *s;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf doc = KUP_BUF_INIT;
	struct ev_ctx c = { false, 0, NULL };
	int rc = KUP_EXIT_OK;

	if (a->output && (strcmp(a->output, "json") == 0 || strcmp(a->output, "yaml") == 0)) {
		c.json = true;
		if (a->output[0] == 'y')
			c.doc = &doc;
	} else if (a->output && strcmp(a->output, "table") != 0) {
		cli_error("unknown output format '%s' (table, json, yaml)", a->output);
		return KUP_EXIT_ERROR;
	}
	if (!(s = open_store(store_url(a->store))))
		return KUP_EXIT_ERROR;
	if (c.doc)
		kup_buf_adds(&doc, "{\"schema_version\": 1, \"events\": [");
	else if (c.json)
		fputs("{\"schema_version\": 1, \"events\": [", stdout);
	if (kup_store_list_events(s, a->cluster, a->since, 0, print_event, &c, &err) != KUP_OK) {
		cli_error("cannot read events: %s", err.msg ? err.msg : "?");
		rc = KUP_EXIT_ERROR;
	}
	if (c.doc) {
		kup_buf_adds(&doc, "\n]}\n");
		if (!cli_json_as_yaml(&doc))
			rc = KUP_EXIT_ERROR;
		else if (doc.len)
			fwrite(doc.buf, 1, doc.len, stdout);
		kup_buf_release(&doc);
	} else if (c.json)
		fputs("\n]}\n", stdout);
	kup_error_release(&err);
	kup_store_close(s);
	return rc;
}

struct failed_ctx {
	const char *except;
	size_t n;
};

static enum kup_status count_failed(void *ctx, const struct kup_store_cluster *c)
{
	struct failed_ctx *fc = ctx;
	if (c->state == KUP_CLUSTER_FAILED && strcmp(c->name, fc->except) != 0)
		fc->n++;
	return KUP_OK;
}

struct wave_names {
	char *names[64];
	size_t n;
};

static enum kup_status collect_wave(void *ctx, const struct kup_store_wave *w)
{
	struct wave_names *wn = ctx;
	if ((w->paused || w->state == KUP_WAVE_HALTED) && wn->n < 64 && w->name)
		wn->names[wn->n++] = kup_strdup(w->name);
	return KUP_OK;
}

static int cmd_operator(struct args *a, const char *what)
{
	struct kup_store *s;
	struct kup_error err = KUP_ERROR_INIT;
	enum kup_status st = KUP_OK;
	int64_t now;
	const char *who = actor(a->by);

	if ((strcmp(what, "retry") == 0 || strcmp(what, "approve") == 0) && a->npos != 1) {
		cli_error("fleet %s needs one %s name", what, strcmp(what, "retry") == 0 ? "cluster" : "wave");
		return KUP_EXIT_ERROR;
	}
	if (a->npos > 1) {
		cli_error("fleet %s takes at most one wave name", what);
		return KUP_EXIT_ERROR;
	}
	if (!(s = open_store(store_url(a->store))))
		return KUP_EXIT_ERROR;
	now = fleet_now(s, a);
	if (strcmp(what, "retry") == 0) {
		struct kup_store_cluster c;
		struct kup_arena arena;
		kup_arena_init(&arena, 1024);
		st = kup_store_get_cluster(s, a->pos[0], &arena, &c, &err);
		if (st == KUP_OK)
			st = kup_store_retry_cluster(s, a->pos[0], who, now, &err);
		if (st == KUP_OK && c.wave) {
			/* the wave paused for this failure goes on when no other cluster of it failed */
			struct kup_store_cluster_filter flt = { 0 };
			struct failed_ctx fc = { a->pos[0], 0 };
			flt.wave = c.wave;
			if (kup_store_list_clusters(s, &flt, count_failed, &fc, &err) == KUP_OK && !fc.n) {
				struct kup_store_wave w;
				if (kup_store_get_wave(s, c.wave, &arena, &w, &err) == KUP_OK && w.paused &&
				    w.state != KUP_WAVE_HALTED)
					st = kup_store_set_paused(s, c.wave, false, who, "retry", now, &err);
				kup_error_release(&err);
			}
		}
		if (st == KUP_OK)
			printf("cluster %s will be retried (attempt %u)\n", a->pos[0], c.attempt + 1);
		kup_arena_release(&arena);
	} else if (strcmp(what, "approve") == 0) {
		st = kup_store_approve_wave(s, a->pos[0], who, now, &err);
		if (st == KUP_OK)
			printf("wave %s approved by %s\n", a->pos[0], who);
	} else {
		bool pause = strcmp(what, "pause") == 0;
		st = kup_store_set_paused(s, a->npos ? a->pos[0] : NULL, pause, who, a->reason, now, &err);
		if (st == KUP_OK && !pause && !a->npos) {
			/* resume with no wave: the fleet flag and every paused or halted wave */
			struct wave_names wn = { { NULL }, 0 };
			st = kup_store_list_waves(s, collect_wave, &wn, &err);
			for (size_t i = 0; st == KUP_OK && i < wn.n; i++) {
				st = kup_store_set_paused(s, wn.names[i], false, who, a->reason, now, &err);
				if (st == KUP_OK)
					printf("wave %s resumed\n", wn.names[i]);
			}
			for (size_t i = 0; i < wn.n; i++)
				free(wn.names[i]);
		}
		if (st == KUP_OK)
			printf("%s %s%s\n", a->npos ? "wave" : "fleet", a->npos ? a->pos[0] : "",
			       pause ? (a->npos ? " paused" : "paused") : (a->npos ? " resumed" : "resumed"));
	}
	if (st != KUP_OK) {
		cli_error("cannot %s: %s", what, err.msg ? err.msg : kup_strerror(st));
		kup_error_release(&err);
		kup_store_close(s);
		return KUP_EXIT_ERROR;
	}
	kup_store_close(s);
	return KUP_EXIT_OK;
}

static int cmd_validate(struct args *a)
{
	struct kup_fleet *f;
	if (a->npos != 1) {
		cli_error("fleet validate needs the fleet file");
		return KUP_EXIT_ERROR;
	}
	if (!(f = load_fleet(a->pos[0])))
		return KUP_EXIT_ERROR;
	printf("fleet %s: %zu clusters in %zu waves, target %s\n", f->name, f->nclusters, f->nwaves,
	       f->target_text);
	for (size_t w = 0; w < f->nwaves; w++) {
		char soak[32];
		const struct kup_fleet_wave *wv = &f->waves[w];
		printf("  wave %s: %zu clusters, maxConcurrent %u, soak %s%s%s%s\n", wv->name, wv->nclusters,
		       kup_fleet_max_concurrent(wv, wv->nclusters),
		       kup_fleet_format_duration(wv->soak, soak, sizeof(soak)),
		       wv->approval ? ", approval" : "", wv->window.set ? ", window " : "",
		       wv->window.set ? wv->window.text : "");
	}
	for (int c = 0; c < KUP_FLEET_NCMD; c++)
		if (!f->cmd[c].text && c != KUP_FLEET_CMD_HEALTH)
			printf("  note: no %s command\n", kup_fleet_cmd_name((enum kup_fleet_cmd)c));
	kup_fleet_free(f);
	return KUP_EXIT_OK;
}

int cmd_fleet(int argc, char **argv)
{
	struct args a;
	const char *sub;
	int r;

	const struct cli_cmd *cmd = NULL;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_usage(&cli_cmd_fleet, argc < 2 ? stderr : stdout);
		return argc < 2 ? KUP_EXIT_ERROR : KUP_EXIT_OK;
	}
	sub = argv[1];
	for (const struct cli_cmd *const *s = fleet_subs; *s; s++)
		if (strcmp((*s)->name + strlen("fleet "), sub) == 0)
			cmd = *s;
	if (!cmd) {
		cli_error("unknown fleet subcommand '%s' (run, status, plan, events, report, retry, "
			  "pause, resume, approve, validate)", sub);
		return KUP_EXIT_ERROR;
	}
	r = parse_args(cmd, argc - 1, argv + 1, &a);
	if (r)
		return r > 0 ? KUP_EXIT_OK : KUP_EXIT_ERROR;
	if (strcmp(sub, "run") == 0)
		return cmd_run(&a);
	if (strcmp(sub, "status") == 0 || strcmp(sub, "plan") == 0 || strcmp(sub, "report") == 0)
		return with_snapshot(&a, sub);
	if (strcmp(sub, "events") == 0)
		return cmd_events(&a);
	if (strcmp(sub, "retry") == 0 || strcmp(sub, "pause") == 0 || strcmp(sub, "resume") == 0 ||
	    strcmp(sub, "approve") == 0)
		return cmd_operator(&a, sub);
	if (strcmp(sub, "validate") == 0)
		return cmd_validate(&a);
	cli_error("unknown fleet subcommand '%s' (run, status, plan, events, report, retry, pause, "
		  "resume, approve, validate)", sub);
	return KUP_EXIT_ERROR;
}
