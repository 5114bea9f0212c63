/*
 * cmd_plan.c - `kupgrade plan PROFILE|DIR/ --to V`: parse options, load the
 * profile(s), call kup_plan(), render, set the exit code (0 READY,
 * 2 READY_WITH_WARNINGS, 3 BLOCKED, 1 error).
 *
 * With a directory, every *.yaml, *.yml and *.json file in it is one
 * profile: one summary table (or one JSON document holding every plan) and
 * the worst exit code; a malformed profile is reported with
 * file:line:column and the others are still planned (exit 1).
 *
 * With --context/--kubeconfig/--live instead of PROFILE the cluster is
 * read live: a snapshot in a temporary file gives the profile (as
 * `profile --from-dump` derives it) and is the --dump of the plan, so the
 * plan is the one `plan` gives offline on the same snapshot.  Whenever
 * dumps are read, the pre-flight checks (preflight.h) run over them and
 * their findings join the risks, or the blockers (a Fail webhook without
 * endpoints, a CRD storing a version that is not served).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_live.h"
#include "plan_tune.h"
#include "cli_preflight.h"
#include "kupgrade/chart.h"
#include "kupgrade/helmchart.h"
#include "kupgrade/report.h"
#include "kupgrade/plan.h"
#include "kupgrade/dump.h"
#include "kupgrade/profile.h"

enum {
	OPT_TO = 256, OPT_KB, OPT_CHART_INDEX, OPT_PIN_APP, OPT_TODAY, OPT_MAX_DOC, OPT_KEEP_NODES,
	OPT_MANIFESTS, OPT_DUMP, OPT_REGISTRIES_GROUP, OPT_LIVE_GROUP, OPT_SET, OPT_SURGE, OPT_UNAVAIL,
};

static const struct cli_opt plan_opts[] = {
	{ OPT_TO, 0, "to", CLI_ARG, "VERSION", "target Kubernetes version (required)", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ OPT_MANIFESTS, 0, "manifests", CLI_ARGS, "PATH",
	  "manifests scanned for API removals at every hop (PROFILE may follow them: plan "
	  "--manifests DIR PROFILE --to V); a Helm chart among them is rendered for each hop's "
	  "version", NULL, CLI_HINT_PATH, NULL, NULL },
	{ 'f', 'f', "values", CLI_ARG, "FILE",
	  "values for the charts among --manifests, after their values.yaml (repeatable)", NULL,
	  CLI_HINT_FILE, NULL, NULL },
	{ OPT_SET, 0, "set", CLI_ARG, "KEY=VALUE[,...]",
	  "values for those charts, after --values (repeatable)", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_DUMP, 0, "dump", CLI_ARGS, "FILE",
	  "kubectl dumps (get -A -o json), scanned the same way", NULL, CLI_HINT_FILE, NULL, NULL },
	{ OPT_MAX_DOC, 0, "max-document-size", CLI_ARG, "SIZE",
	  "refuse a manifest or dump item larger than SIZE (see scan --help)", "256M", CLI_HINT_NONE,
	  NULL, NULL },
	{ OPT_CHART_INDEX, 0, "chart-index", CLI_ARG, "FILE",
	  "a Helm repository index.yaml for chart choices", NULL, CLI_HINT_FILE, NULL, NULL },
	{ OPT_PIN_APP, 0, "pin-app", CLI_ARG, "NAME=CONSTRAINT",
	  "only charts whose appVersion satisfies CONSTRAINT (repeatable)", NULL, CLI_HINT_NONE, NULL,
	  NULL },
	{ OPT_SURGE, 0, "max-surge", CLI_ARG, "N",
	  "with a dump or a cluster, the pool rolls' settings are tuned by simulation within this "
	  "many surge nodes", "10% of the nodes", CLI_HINT_NONE, NULL, NULL },
	{ OPT_UNAVAIL, 0, "max-unavailable", CLI_ARG, "M",
	  "... and this many unavailable nodes", "0", CLI_HINT_NONE, NULL, NULL },
	{ OPT_KEEP_NODES, 0, "keep-nodes", CLI_NOARG, NULL,
	  "node pools move only as far as the skew policy needs", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_TODAY, 0, "today", CLI_ARG, "YYYY-MM-DD", "the date for provider support windows",
	  "today", CLI_HINT_NONE, NULL, NULL },
	{ 'o', 'o', "output", CLI_ARG, "FORMAT", "the runbook's format (table is text); csv, sarif, "
	  "junit: the blockers and risks as findings", "text", CLI_HINT_ENUM,
	  "text table markdown json yaml html csv sarif junit", NULL },
	{ OPT_KB, 0, "kb", CLI_ARG, "DIR",
	  "read the knowledge base from DIR instead of the embedded one", NULL, CLI_HINT_DIR, NULL,
	  NULL },
	{ OPT_REGISTRIES_GROUP, 0, NULL, CLI_OPT_GROUP, NULL, NULL, NULL, CLI_HINT_NONE, NULL,
	  cli_allowed_registries_opt },
	CLI_OPT_HELP,
	{ OPT_LIVE_GROUP, 0, NULL, CLI_OPT_GROUP, NULL,
	  "Live cluster (instead of PROFILE: the profile is derived from it and its objects are "
	  "the --dump)", NULL, CLI_HINT_NONE, NULL, cli_live_opts },
	CLI_OPT_END,
};

const struct cli_cmd cli_cmd_plan = {
	"plan",
	"PROFILE|DIR/ --to VERSION [options]\n--context NAME --to VERSION [options]",
	"the readiness verdict, the upgrade path and the runbook",
	"Decides whether a cluster can be upgraded to VERSION, in what order and through which "
	"intermediate versions (fewest node-pool rolls, then fewest steps), with the risks that "
	"apply at each hop, and writes the runbook.  PROFILE is a ClusterProfile (YAML or JSON, "
	"see `kupgrade profile`); a directory plans every profile in it.  With --context, "
	"--kubeconfig or --live the profile is derived from the live cluster and its objects are "
	"scanned as a --dump.  The pre-flight checks run over every dump (webhooks, PDBs at 0, CRD "
	"stored versions, registries, APIServices); their findings are risks, or blockers.\n\n"
	"Flags and PROFILE come in any order.",
	plan_opts, CLI_HINT_PATH, NULL,
	"Exit codes: 0 READY, 2 READY_WITH_WARNINGS, 3 BLOCKED, 1 error.",
	NULL,
};

struct strv {
	const char **v;
	size_t n, cap;
};

static bool strv_add(struct strv *s, const char *x)
{
	if (!kup_grow(&s->v, &s->cap, s->n + 1, sizeof(*s->v), 8))
		return false;
	s->v[s->n++] = x;
	return true;
}

/*
 * The --manifests and --dump inputs are read more than once: the pre-flight
 * pass and the plan's own scan both read each dump, and a directory run
 * scans them once for each profile.  A pipe, a FIFO, a socket, a process
 * substitution or '-' can be read only once, so each such input is copied,
 * once, into a private temporary directory ($TMPDIR, else /tmp; mode 0700,
 * the copies 0600, all removed when the command ends) and read from there
 * under the name it was given.  Regular files and directories are read
 * where they are.
 */
struct spool {
	char *dir;          /* the temporary directory, NULL until one is needed */
	char **files;       /* the copies, removed by spool_release */
	size_t n, cap_files;
};

static bool is_stream(const char *path)
{
	struct stat sb;

	return !strcmp(path, "-") ||
	       (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode));
}

/* Copies `path` into a new file of the spool; *copy is its path. */
static bool spool_one(struct spool *sp, const char *path, char **copy)
{
	struct kup_input in;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf name = KUP_BUF_INIT;
	char buf[65536];
	int fd = -1;
	bool ok = false;

	*copy = NULL;
	if (!sp->dir) {
		const char *tmp = getenv("TMPDIR");
		struct kup_buf d = KUP_BUF_INIT;

		kup_buf_addf(&d, "%s/kupgrade-input-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (d.oom || !mkdtemp(d.buf)) {
			cli_error("cannot create a temporary directory for '%s': %s", path,
				  d.oom ? "out of memory" : strerror(errno));
			kup_buf_release(&d);
			return false;
		}
		sp->dir = kup_buf_detach(&d, NULL);
	}
	if (!kup_grow(&sp->files, &sp->cap_files, sp->n + 1, sizeof(*sp->files), 4)) {
		cli_error("out of memory");
		return false;
	}
	kup_buf_addf(&name, "%s/%zu", sp->dir, sp->n);
	if (name.oom) {
		cli_error("out of memory");
		goto out;
	}
	if (kup_input_open(&in, path, &err) != KUP_OK) {
		cli_print_error(&err);
		goto out;
	}
	fd = open(name.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		cli_error("cannot copy '%s' to '%s': %s", path, name.buf, strerror(errno));
		kup_input_close(&in);
		goto out;
	}
	sp->files[sp->n++] = kup_buf_detach(&name, NULL);
	for (;;) {
		size_t got = kup_input_read(&in, buf, sizeof(buf)), off = 0;

		while (off < got) {
			ssize_t w = write(fd, buf + off, got - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				cli_error("cannot copy '%s' to '%s': %s", path, sp->files[sp->n - 1],
					  strerror(errno));
				goto close;
			}
			off += (size_t)w;
		}
		if (!got)
			break;
	}
	if (in.error) {
		cli_error("cannot read '%s': %s", path, strerror(in.errnum));
		goto close;
	}
	*copy = sp->files[sp->n - 1];
	ok = true;
close:
	if (close(fd) != 0 && ok) {
		cli_error("cannot copy '%s': %s", path, strerror(errno));
		ok = false;
	}
	kup_input_close(&in);
out:
	kup_buf_release(&name);
	kup_error_release(&err);
	return ok;
}

/*
 * Replaces each stream among paths->v by its copy; names->v[i] becomes the
 * name it was given (NULL where the path is read where it is).
 */
static bool spool_streams(struct spool *sp, struct strv *paths, struct strv *names)
{
	size_t i;

	for (i = 0; i < paths->n; i++) {
		char *copy;

		if (!strv_add(names, NULL)) {
			cli_error("out of memory");
			return false;
		}
		if (!is_stream(paths->v[i]))
			continue;
		if (!spool_one(sp, paths->v[i], &copy))
			return false;
		names->v[i] = paths->v[i];
		paths->v[i] = copy;
	}
	return true;
}

static void spool_release(struct spool *sp)
{
	size_t i;

	for (i = 0; i < sp->n; i++) {
		unlink(sp->files[i]);
		free(sp->files[i]);
	}
	free(sp->files);
	if (sp->dir)
		rmdir(sp->dir);
	free(sp->dir);
	memset(sp, 0, sizeof(*sp));
}

static void print_input_error(void *ctx, const struct kup_error *err)
{
	(void)ctx;
	cli_print_error(err);
}

/* One planned profile of a directory run. */
struct row {
	char *path;
	struct kup_profile *profile;
	struct kup_plan *plan;
	int code;          /* exit code of this profile */
};

static int worst(int a, int b)
{
	if (a == KUP_EXIT_ERROR || b == KUP_EXIT_ERROR)
		return KUP_EXIT_ERROR;
	return a > b ? a : b;
}

static bool has_profile_ext(const char *name)
{
	static const char *const exts[] = { ".yaml", ".yml", ".json", NULL };

	return kup_has_ext(name, exts);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every profile file of dir, sorted; NULL on failure (reported). */
static char **list_profiles(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d) {
		cli_error("cannot open '%s'", dir);
		return NULL;
	}
	while ((de = readdir(d))) {
		struct kup_buf b = KUP_BUF_INIT;
		struct stat sb;
		size_t dl = strlen(dir);

		if (de->d_name[0] == '.' || !has_profile_ext(de->d_name))
			continue;
		kup_buf_addf(&b, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", de->d_name);
		if (b.oom || stat(b.buf, &sb) || !S_ISREG(sb.st_mode) ||
		    !kup_grow(&v, &cap, *n + 1, sizeof(*v), 16)) {
			kup_buf_release(&b);
			continue;
		}
		v[(*n)++] = kup_buf_detach(&b, NULL);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_str);
	if (!v)
		v = kup_calloc(1, sizeof(*v));
	return v;
}

/* Loads and plans one profile; prints its errors; returns the exit code. */
/* the pool rolls' tuned settings, from the dumps (one tuning per provider) */
static struct cli_plan_tune plan_tune;

static int plan_one(const struct kup_kb *kb, const char *path, const struct kup_plan_opts *opts_in,
		    struct row *row)
{
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_plan_opts o = *opts_in;
	const struct kup_plan_opts *opts = &o;
	int code;

	if (!row->profile && kup_profile_load(path, &row->profile, &err) != KUP_OK) {
		if (!err.path)
			fprintf(stderr, "%s: ", path);
		cli_print_error(&err);
		kup_error_release(&err);
		return KUP_EXIT_ERROR;
	}
	if (o.ndumps) {
		/* a dump or the live cluster gives the rollout scenario: tune the pool rolls */
		if (!cli_plan_tune(kb, kup_provider_name(row->profile->provider), row->profile->name, o.dumps,
				   o.dump_names, o.ndumps, &plan_tune)) {
			cli_error("out of memory");
			return KUP_EXIT_ERROR;
		}
		o.tuned = plan_tune.v;
		o.ntuned = plan_tune.n;
	}
	if (kup_plan(kb, row->profile, opts, &row->plan, &err) != KUP_OK) {
		cli_error("%s: %s", path, err.msg ? err.msg : kup_strerror(err.code));
		kup_error_release(&err);
		return KUP_EXIT_ERROR;
	}
	code = kup_plan_exit_code(row->plan);
	if (row->plan->input_errors)
		code = KUP_EXIT_ERROR;
	return code;
}

static unsigned count_hops(const struct kup_plan *p)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < p->nsteps; i++)
		n += p->steps[i].type == KUP_STEP_CONTROL_PLANE;
	return n;
}

static const char *top_risk(const struct kup_plan *p)
{
	const struct kup_plan_risk *best = NULL;
	size_t i;

	for (i = 0; i < p->nrisks; i++)
		if (!best || p->risks[i].severity > best->severity)
			best = &p->risks[i];
	return best ? best->id : "-";
}



/*
 * A directory run, accumulated one profile at a time so that no plan is
 * kept after its row is written: the summary table (text or Markdown), the
 * per-cluster JSON documents and error list, the Markdown runbooks.
 */
struct fleet {
	enum kup_plan_format fmt;
	struct kup_buf table;
	struct kup_buf docs;           /* JSON plans, or Markdown runbooks */
	struct kup_buf errors;         /* JSON error paths */
	size_t nplans, nerrors;
	size_t nrows;                  /* rows in the table (HTML) */
};

/* HTML text: & < > " ' as entities, control characters as spaces. */
static void html_cell(struct kup_buf *out, const char *s)
{
	kup_xml_escape(out, s ? s : "");
}

static void fleet_header(struct fleet *f)
{
	if (f->fmt == KUP_PLAN_HTML)
		return; /* the page's head is written by fleet_finish() */
	if (f->fmt == KUP_PLAN_MARKDOWN)
		kup_buf_adds(&f->table, "| cluster | from | to | verdict | hops | node rolls | "
				       "blockers | top risk |\n|---|---|---|---|---|---|---|---|\n");
	else if (f->fmt != KUP_PLAN_JSON)
		kup_buf_addf(&f->table, "%-24s %-21s %-6s %-20s %4s %10s %8s  %s\n", "CLUSTER",
			     "FROM", "TO", "VERDICT", "HOPS", "NODE-ROLLS", "BLOCKERS", "TOP RISK");
}

static void fleet_add(struct fleet *f, const struct row *r)
{
	const struct kup_plan *p = r->plan;
	bool md = f->fmt == KUP_PLAN_MARKDOWN;

	if (f->fmt == KUP_PLAN_JSON) {
		struct kup_buf one = KUP_BUF_INIT;
		const char *s;

		if (!p) {
			kup_buf_adds(&f->errors, f->nerrors++ ? ",\n    " : "\n    ");
			kup_json_quote(&f->errors, r->path);
			return;
		}
		kup_plan_render(p, KUP_PLAN_JSON, &one);
		if (one.oom || !one.buf) {
			f->docs.oom = true;
			kup_buf_release(&one);
			return;
		}
		kup_buf_adds(&f->docs, f->nplans++ ? ",\n    " : "\n    ");
		/* the document indented by four spaces, without its final newline */
		for (s = one.buf; *s; s++) {
			if (*s == '\n') {
				if (s[1])
					kup_buf_adds(&f->docs, "\n    ");
			} else {
				kup_buf_addc(&f->docs, *s);
			}
		}
		kup_buf_release(&one);
		return;
	}
	if (f->fmt == KUP_PLAN_HTML) {
		f->nrows++;
		const char *verdict = p ? kup_verdict_name(p->verdict) : "ERROR";
		kup_buf_addf(&f->table, "<tr class=\"%s\"><td>", p ? (p->verdict == KUP_VERDICT_BLOCKED ?
			     "blocked" : p->verdict == KUP_VERDICT_READY ? "ready" : "warnings") : "error");
		html_cell(&f->table, p ? p->cluster : r->path);
		kup_buf_adds(&f->table, "</td><td>");
		html_cell(&f->table, p ? p->from : "-");
		kup_buf_adds(&f->table, "</td><td>");
		html_cell(&f->table, p ? p->to : "-");
		kup_buf_addf(&f->table, "</td><td class=\"verdict\">%s</td>", verdict);
		if (p)
			kup_buf_addf(&f->table, "<td class=\"n\">%u</td><td class=\"n\">%u</td>"
				     "<td class=\"n\">%zu</td><td>", count_hops(p), p->node_rolls, p->nblockers);
		else
			kup_buf_adds(&f->table, "<td class=\"n\"></td><td class=\"n\"></td><td class=\"n\"></td><td>");
		html_cell(&f->table, p ? top_risk(p) : "-");
		kup_buf_adds(&f->table, "</td></tr>\n");
		return;
	}
	if (!p) {
		if (md) {
			kup_buf_adds(&f->table, "| ");
			kup_md_escape(&f->table, r->path, NULL);
			kup_buf_adds(&f->table, " | - | - | ERROR | - | - | - | - |\n");
		} else
			kup_buf_addf(&f->table, "%-24s %-21s %-6s %-20s %4s %10s %8s  %s\n", r->path,
				     "-", "-", "ERROR", "-", "-", "-", "-");
		return;
	}
	if (md) {
		kup_buf_adds(&f->table, "| ");
		kup_md_escape(&f->table, p->cluster, NULL);
		kup_buf_adds(&f->table, " | ");
		kup_md_escape(&f->table, p->from, NULL);
		kup_buf_addf(&f->table, " | %s | %s | %u | %u | %zu | %s |\n", p->to,
			     kup_verdict_name(p->verdict), count_hops(p), p->node_rolls,
			     p->nblockers, top_risk(p));
	} else
		kup_buf_addf(&f->table, "%-24s %-21s %-6s %-20s %4u %10u %8zu  %s\n", p->cluster,
			     p->from, p->to, kup_verdict_name(p->verdict), count_hops(p),
			     p->node_rolls, p->nblockers, top_risk(p));
	if (md) {
		kup_buf_adds(&f->docs, "\n---\n\n");
		kup_plan_render(p, KUP_PLAN_MARKDOWN, &f->docs);
	}
}

/*
 * -o csv|sarif|junit: the blockers and risks of every plan (one profile or
 * a directory's) as items of the report model, located at their profile.
 * Their exit code is the plans' own (kup_plan_report_items).
 */
static bool render_report(const struct row *rows, size_t n,
			  const char *to, enum kup_format fmt, struct kup_buf *out)
{
	struct kup_arena strings;
	struct kup_report_item *all = NULL, *items;
	struct kup_report rep;
	size_t nall = 0, cap = 0, k, i, j;
	bool ok = true;

	kup_arena_init(&strings, 4096);
	memset(&rep, 0, sizeof(rep));
	for (i = 0; i < n && ok; i++) {
		if (!rows[i].plan)
			continue;
		rep.summary.files++;
		if (kup_plan_report_items(rows[i].plan, &strings, &items, &k) != KUP_OK ||
		    !kup_grow(&all, &cap, nall + k + 1, sizeof(*all), 16)) {
			ok = false;
			break;
		}
		for (j = 0; j < k; j++) {
			all[nall] = items[j];
			all[nall].src.type = KUP_SRC_FILE;
			all[nall].src.path = rows[i].path;
			nall++;
		}
	}
	rep.items = all;
	rep.nitems = nall;
	rep.passes = 1u << KUP_ITEM_RISK;
	rep.target_version = to;
	rep.tool_version = KUP_VERSION_STRING;
	rep.has_fail_on = true;
	rep.fail_on = KUP_FAIL_DEPRECATED;
	if (ok && kup_report_render(fmt, &rep, out) != KUP_OK)
		ok = false;
	free(all);
	kup_arena_release(&strings);
	return ok;
}

/* The whole output of a directory run. */
static void fleet_finish(struct fleet *f, const char *to, struct kup_buf *out)
{
	switch (f->fmt) {
	case KUP_PLAN_JSON:
		kup_buf_adds(out, "{\n  \"schema_version\": 1,\n  \"to\": ");
		kup_json_quote(out, to);
		kup_buf_adds(out, ",\n  \"plans\": [");
		kup_buf_add(out, f->docs.buf ? f->docs.buf : "", f->docs.len);
		kup_buf_adds(out, f->nplans ? "\n  ],\n  \"errors\": [" : "],\n  \"errors\": [");
		kup_buf_add(out, f->errors.buf ? f->errors.buf : "", f->errors.len);
		kup_buf_adds(out, f->nerrors ? "\n  ]\n}\n" : "]\n}\n");
		break;
	case KUP_PLAN_HTML:
		/* one self-contained page: the table, sortable by a click on a header */
		kup_buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
			     "<meta charset=\"utf-8\">\n<title>kupgrade plan: ");
		html_cell(out, to);
		kup_buf_adds(out, "</title>\n<style>\n"
			     "body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24}\n"
			     "table{border-collapse:collapse;font-size:.9rem}"
			     "td,th{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left}"
			     "th{background:#f6f8fa;cursor:pointer;user-select:none}"
			     "th[aria-sort=ascending]::after{content:\" \\25B2\"}"
			     "th[aria-sort=descending]::after{content:\" \\25BC\"}"
			     "td.n{text-align:right}tr.blocked td.verdict{background:#fee4e2;color:#b42318;"
			     "font-weight:bold}tr.warnings td.verdict{background:#fef0c7}"
			     "tr.ready td.verdict{background:#d1fadf}tr.error td{color:#b42318}\n"
			     "</style>\n</head>\n<body>\n<h1>Upgrade plans to ");
		html_cell(out, to);
		kup_buf_addf(out, "</h1>\n<p>%zu cluster%s. Click a column to sort.</p>\n"
			     "<table id=\"plans\"><thead><tr><th>cluster</th><th>from</th><th>to</th>"
			     "<th>verdict</th><th data-type=\"n\">hops</th><th data-type=\"n\">node rolls</th>"
			     "<th data-type=\"n\">blockers</th><th>top risk</th></tr></thead><tbody>\n",
			     f->nrows, f->nrows == 1 ? "" : "s");
		kup_buf_add(out, f->table.buf ? f->table.buf : "", f->table.len);
		kup_buf_adds(out, "</tbody></table>\n<script>\n"
			     "document.querySelectorAll('#plans th').forEach(function(th,i){\n"
			     " th.addEventListener('click',function(){\n"
			     "  var tb=th.closest('table').tBodies[0],num=th.dataset.type==='n',\n"
			     "      asc=th.getAttribute('aria-sort')!=='ascending';\n"
			     "  th.parentNode.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort');});\n"
			     "  th.setAttribute('aria-sort',asc?'ascending':'descending');\n"
			     "  Array.from(tb.rows).sort(function(a,b){\n"
			     "   var x=a.cells[i].textContent,y=b.cells[i].textContent;\n"
			     "   var c=num?(Number(x)||0)-(Number(y)||0):x.localeCompare(y,undefined,{numeric:true});\n"
			     "   return asc?c:-c;}).forEach(function(r){tb.appendChild(r);});\n"
			     " });\n});\n"
			     "/* #sort=COLUMN or #sort=-COLUMN (descending): a link to a sorted view */\n"
			     "(function(){var m=/^#sort=(-?)(.+)$/.exec(location.hash);if(!m)return;\n"
			     " var ths=Array.from(document.querySelectorAll('#plans th')),\n"
			     "     th=ths.find(function(h){return h.textContent===decodeURIComponent(m[2]);});\n"
			     " if(!th)return;th.click();if(m[1])th.click();})();\n"
			     "</script>\n</body>\n</html>\n");
		break;
	default:
		kup_buf_add(out, f->table.buf ? f->table.buf : "", f->table.len);
		kup_buf_add(out, f->docs.buf ? f->docs.buf : "", f->docs.len);
		break;
	}
	if (f->table.oom || f->docs.oom || f->errors.oom)
		out->oom = true;
}

static void fleet_release(struct fleet *f)
{
	kup_buf_release(&f->table);
	kup_buf_release(&f->docs);
	kup_buf_release(&f->errors);
}

static bool write_out(struct kup_buf *out)
{
	if (out->oom) {
		cli_error("out of memory");
		return false;
	}
	if (out->len && fwrite(out->buf, 1, out->len, stdout) != out->len)
		return false;
	return fflush(stdout) == 0;
}

/*
 * The live cluster: a snapshot in a temporary file (*snap) and the profile
 * derived from it, named after the snapshot's context as `profile
 * --from-dump` names it.  Returns the exit code so far: KUP_EXIT_OK, or
 * KUP_EXIT_ERROR with *profile NULL on failure, or with *profile set when
 * resources were skipped (each named on stderr).
 */
static int live_profile(struct cli_live *live, const struct kup_kb *kb, char **snap,
			struct kup_profile **profile)
{
	struct kup_profile_dump_opts o;
	struct kup_error_sink sink = { print_input_error, NULL };
	struct kup_error err = KUP_ERROR_INIT;
	size_t nerr = 0;
	int rc;

	*profile = NULL;
	rc = cli_live_snapshot_tmp(live, snap);
	if (!*snap)
		return KUP_EXIT_ERROR;
	kup_profile_dump_opts_init(&o);
	o.errors = sink;
	if (kup_profile_from_dump_opts(kb, (const char *const *)snap, 1, &o, profile, &nerr,
				       &err) != KUP_OK) {
		cli_error("cannot derive a profile from the cluster: %s",
			  err.msg ? err.msg : kup_strerror(err.code));
		kup_error_release(&err);
		return KUP_EXIT_ERROR;
	}
	/* name the cluster, not the temporary file, in messages */
	(*profile)->path = kup_arena_printf(&(*profile)->arena, "context %s",
					    live->cfg && live->cfg->context ? live->cfg->context
									    : "(current)");
	return nerr ? KUP_EXIT_ERROR : rc;
}

/*
 * A live plan's evidence names the temporary snapshot, gone when the
 * command ends: name the context instead ("context prod:1234").
 */
static bool rename_snapshot(struct kup_buf *out, const char *snap, const char *label)
{
	struct kup_buf b = KUP_BUF_INIT;
	const char *s = out->buf, *hit;
	size_t n = strlen(snap);

	if (!s || !n)
		return true;
	while ((hit = strstr(s, snap))) {
		kup_buf_add(&b, s, (size_t)(hit - s));
		kup_buf_adds(&b, label);
		s = hit + n;
	}
	kup_buf_adds(&b, s);
	if (b.oom) {
		kup_buf_release(&b);
		return false;
	}
	kup_buf_release(out);
	*out = b;
	return true;
}

int cmd_plan(int argc, char **argv)
{
	struct kup_plan_opts opts;
	struct strv manifests = { 0 }, dumps = { 0 }, pins = { 0 }, values = { 0 }, sets = { 0 };
	struct strv *tail_sv = NULL;     /* the PATH... list that took the last free argument */
	struct cli_parse p;
	struct strv manifest_names = { 0 }, dump_names = { 0 };
	struct spool spool = { 0 };
	const char *target = NULL, *kb_dir = NULL, *format = "text", *input = NULL;
	enum kup_plan_format fmt = KUP_PLAN_TEXT;
	enum kup_format rfmt = KUP_FMT_CSV;
	bool report = false;
	struct kup_error_sink sink = { print_input_error, NULL };
	struct kup_error_sink warn_sink = { cli_print_warning, NULL };
	struct kup_kb *kb = NULL;
	struct kup_buf out = KUP_BUF_INIT;
	struct kup_error err = KUP_ERROR_INIT;
	struct row *rows = NULL;
	struct fleet fl = { KUP_PLAN_TEXT, KUP_BUF_INIT, KUP_BUF_INIT, KUP_BUF_INIT, 0, 0, 0 };
	struct kup_chart_index *index = NULL;
	char **files = NULL;
	size_t nfiles = 0, i;
	struct stat sb;
	struct cli_live live;
	struct cli_preflight pre;
	struct kup_profile *live_prof = NULL;
	char *snap = NULL;
	int rc = KUP_EXIT_ERROR, code = KUP_EXIT_OK, c;
	bool dir = false;

	memset(&opts, 0, sizeof(opts));
	plan_tune.max_surge = plan_tune.max_unavailable = -1;
	cli_live_init(&live);
	cli_preflight_init(&pre);
	cli_parse_init(&p, &cli_cmd_plan, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		const char *v = p.arg;

		if (cli_live_option(&live, c, v) || cli_preflight_option(&pre, c, v)) {
			if (live.bad || pre.bad)
				goto out;
			continue;
		}
		switch (c) {
		case 'h':
			cli_usage(&cli_cmd_plan, stdout);
			rc = KUP_EXIT_OK;
			goto out;
		case OPT_TO: target = v; break;
		case OPT_KB: kb_dir = v; break;
		case 'o': format = v; break;
		case OPT_CHART_INDEX: opts.chart_index = v; break;
		case OPT_PIN_APP:
			if (!strchr(v, '=') || *v == '=') {
				cli_error("bad --pin-app '%s': expected NAME=CONSTRAINT", v);
				goto out;
			}
			if (!strv_add(&pins, v))
				goto oom;
			break;
		case OPT_TODAY:
			opts.today = v;
			if (strlen(opts.today) != 10 || opts.today[4] != '-' || opts.today[7] != '-') {
				cli_error("bad --today '%s': expected YYYY-MM-DD", opts.today);
				goto out;
			}
			break;
		case OPT_MAX_DOC:
			if (!cli_parse_size(v, &opts.max_document)) {
				cli_error("bad --max-document-size '%s': a size such as 64M or 1G", v);
				goto out;
			}
			break;
		case OPT_KEEP_NODES: opts.keep_nodes = true; break;
		case OPT_SURGE:
		case OPT_UNAVAIL: {
			char *end;
			long n = strtol(v, &end, 10);

			if (!*v || *end || n < 0 || n > 1000000) {
				cli_error("--%s: expected a number of nodes from 0 to 1000000, not '%s'",
					  c == OPT_SURGE ? "max-surge" : "max-unavailable", v);
				goto out;
			}
			*(c == OPT_SURGE ? &plan_tune.max_surge : &plan_tune.max_unavailable) = (int)n;
			break;
		}
		case OPT_SET:
			if (!kup_chart_set_check(v, &err)) {
				cli_error("%s", err.msg ? err.msg : "bad --set");
				goto out;
			}
			/* fall through */
		case 'f':
			if (!strv_add(c == 'f' ? &values : &sets, v))
				goto oom;
			break;
		case OPT_MANIFESTS:
		case OPT_DUMP:
			if (!strv_add(c == OPT_MANIFESTS ? &manifests : &dumps, v))
				goto oom;
			if (!p.name)    /* a value after the first: PATH... took a free argument */
				tail_sv = c == OPT_MANIFESTS ? &manifests : &dumps;
			break;
		default:
			cli_usage(&cli_cmd_plan, stderr);
			goto out;
		}
	}
	if (p.npos > 1) {
		cli_error("one PROFILE or DIR/ only (got '%s' and '%s')", p.pos[0], p.pos[1]);
		goto out;
	}
	input = p.npos ? p.pos[0] : NULL;
	/*
	 * Flags and positionals in any order: in `plan --manifests DIR PROFILE
	 * --to V` the PATH... list swallowed the profile.  Without a PROFILE or
	 * DIR/ (and no live cluster), the last argument such a list took after
	 * its first value is the PROFILE.
	 */
	if (!input && !cli_live_wanted(&live) && tail_sv && tail_sv->n > 1 &&
	    tail_sv->v[tail_sv->n - 1] == p.list_tail && (input = cli_parse_untail(&p)) != NULL)
		tail_sv->n--;
	if (input && cli_live_wanted(&live)) {
		cli_error("give PROFILE or DIR/, or a cluster (--context, --kubeconfig, --live), "
			  "not both");
		goto out;
	}
	if ((!input && !cli_live_wanted(&live)) || !target) {
		cli_error("%s", !target ? "missing --to VERSION" : "missing PROFILE or DIR/ "
			  "(or --context NAME for the live cluster)");
		cli_usage(&cli_cmd_plan, stderr);
		goto out;
	}
	if (!strcmp(format, "text") || !strcmp(format, "table"))
		fmt = KUP_PLAN_TEXT;
	else if (!strcmp(format, "markdown") || !strcmp(format, "md"))
		fmt = KUP_PLAN_MARKDOWN;
	else if (!strcmp(format, "json"))
		fmt = KUP_PLAN_JSON;
	else if (!strcmp(format, "html"))
		fmt = KUP_PLAN_HTML;
	else if (!strcmp(format, "yaml"))
		fmt = KUP_PLAN_YAML;
	else if (kup_format_parse(format, &rfmt) &&
		 (rfmt == KUP_FMT_CSV || rfmt == KUP_FMT_SARIF || rfmt == KUP_FMT_JUNIT))
		report = true;   /* blockers and risks through the report model */
	else {
		cli_error("unknown output format '%s' (text, table, markdown, json, yaml, html, "
			  "csv, sarif, junit)", format);
		goto out;
	}
	if (kup_version_parse(target, &opts.target, &err) != KUP_OK) {
		cli_error("bad --to '%s': %s", target, err.msg ? err.msg : "malformed version");
		goto out;
	}
	kb = cli_load_kb(kb_dir);
	if (!kb)
		goto out;
	if (!input) {
		code = live_profile(&live, kb, &snap, &live_prof);
		if (!live_prof)
			goto out;
		if (!strv_add(&dumps, snap))
			goto oom;
	}
	if (!spool_streams(&spool, &manifests, &manifest_names) ||
	    !spool_streams(&spool, &dumps, &dump_names))
		goto out;
	if (dumps.n) {
		opts.allowed_registries = (const char *const *)pre.allowed;
		opts.nallowed = pre.nallowed;
	} else if (pre.nallowed) {
		cli_error("--allowed-registries checks the objects of a --dump or a live cluster: "
			  "give one");
		goto out;
	}
	opts.manifests = manifests.v;
	opts.manifest_names = manifest_names.v;
	opts.nmanifests = manifests.n;
	opts.dumps = dumps.v;
	opts.dump_names = dump_names.v;
	opts.ndumps = dumps.n;
	opts.pin_app = pins.v;
	opts.npin_app = pins.n;
	opts.chart_values = values.v;
	opts.nchart_values = values.n;
	opts.chart_set = sets.v;
	opts.nchart_set = sets.n;
	opts.errors = &sink;
	opts.warnings = &warn_sink;

	if (!input) {
		files = kup_calloc(1, sizeof(*files));
		if (!files || !live_prof->path || !(files[0] = kup_strdup(live_prof->path)))
			goto oom;
		nfiles = 1;
	} else if ((dir = strcmp(input, "-") && !stat(input, &sb) && S_ISDIR(sb.st_mode))) {
#ifdef __GLIBC__
		/*
		 * Thousands of profiles allocate and free the same sizes: keep the
		 * top of the heap instead of returning it to the kernel after each
		 * (a third of the run was brk calls; bench/plan.sh).
		 */
		mallopt(M_TRIM_THRESHOLD, 256 << 20);
		mallopt(M_TOP_PAD, 16 << 20);
#endif
		files = list_profiles(input, &nfiles);
		/* one index for every profile of the directory */
		if (opts.chart_index) {
			if (kup_chart_index_load(opts.chart_index, &sink, &index, &err) != KUP_OK) {
				cli_print_error(&err);
				goto out;
			}
			opts.chart_index_loaded = index;
		}
		if (!files)
			goto out;
		if (!nfiles) {
			cli_error("no profile (*.yaml, *.yml, *.json) in '%s'", input);
			goto out;
		}
	} else {
		files = kup_calloc(1, sizeof(*files));
		if (!files || !(files[0] = kup_strdup(input)))
			goto oom;
		nfiles = 1;
	}
	rows = kup_calloc(nfiles, sizeof(*rows));
	if (!rows)
		goto oom;
	/* a directory as YAML: its JSON document re-written */
	fl.fmt = fmt == KUP_PLAN_YAML ? KUP_PLAN_JSON : fmt;
	fleet_header(&fl);
	if (live_prof) {
		rows[0].profile = live_prof;
		live_prof = NULL;
	}
	for (i = 0; i < nfiles; i++) {
		rows[i].path = files[i];
		rows[i].code = plan_one(kb, files[i], &opts, &rows[i]);
		code = worst(code, rows[i].code);
		if (dir && !report) {
			fleet_add(&fl, &rows[i]);
			kup_plan_free(rows[i].plan);
			kup_profile_free(rows[i].profile);
			rows[i].plan = NULL;
			rows[i].profile = NULL;
		}
	}
	if (report) {
		if (!render_report(rows, nfiles, target, rfmt, &out))
			goto oom;
	} else if (!dir) {
		if (rows[0].plan && kup_plan_render(rows[0].plan, fmt, &out) != KUP_OK)
			goto oom;
		if (snap && !rename_snapshot(&out, snap, rows[0].profile->path))
			goto oom;
	} else {
		fleet_finish(&fl, target, &out);
		if (fmt == KUP_PLAN_YAML && !out.oom) {
			struct kup_buf y = KUP_BUF_INIT;

			if (!kup_json_to_yaml(out.buf, out.len, &y, &err)) {
				cli_error("cannot write YAML: %s", err.msg ? err.msg : "out of memory");
				kup_buf_release(&y);
				goto out;
			}
			kup_buf_release(&out);
			out = y;
		}
	}
	if (!write_out(&out))
		goto out;
	rc = code;
	goto out;

oom:
	cli_error("out of memory");
	rc = KUP_EXIT_ERROR;
out:
	for (i = 0; rows && i < nfiles; i++) {
		kup_plan_free(rows[i].plan);
		kup_profile_free(rows[i].profile);
	}
	free(rows);
	for (i = 0; files && i < nfiles; i++)
		free(files[i]);
	free(files);
	free(manifests.v);
	free(dumps.v);
	free(manifest_names.v);
	free(dump_names.v);
	spool_release(&spool);
	free(pins.v);
	free(values.v);
	free(sets.v);
	kup_chart_index_free(index);
	kup_kb_free(kb);
	kup_buf_release(&out);
	fleet_release(&fl);
	kup_error_release(&err);
	kup_profile_free(live_prof);
	cli_preflight_release(&pre);
	cli_live_snapshot_remove(snap);
	cli_live_release(&live);
	cli_plan_tune_release(&plan_tune);
	return rc;
}
