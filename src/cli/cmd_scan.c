/*
 * cmd_scan.c - `kupgrade scan`: parse options, run ingest -> scan -> report,
 * set the exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_live.h"
#include "cli_preflight.h"
#include "kupgrade/ignore.h"
#include "progress.h"
#include "kupgrade/ingest.h"
#include "kupgrade/live.h"
#include "kupgrade/report.h"
#include "kupgrade/scan.h"

enum {
	OPT_TO = 256, OPT_FROM, OPT_FAIL_ON, OPT_KB, OPT_ALL_REV, OPT_UNDECIDED, OPT_NO_COLOR,
	OPT_TARGETS, OPT_NO_LA, OPT_NO_MF, OPT_SET, OPT_IGNORE_FILE, OPT_SHOW_IGNORED, OPT_ANNOTATION, OPT_MAX_DOC,
	OPT_LIVE_GROUP, OPT_PREFLIGHT_GROUP,
};

static const struct cli_opt scan_opts[] = {
	{ OPT_TO, 0, "to", CLI_ARG, "VERSION", "target Kubernetes version", "newest in the KB",
	  CLI_HINT_NONE, NULL, NULL },
	{ OPT_FROM, 0, "from", CLI_ARG, "VERSION",
	  "only report what changes between VERSION and the target", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_TARGETS, 0, "target-versions", CLI_ARG, "C=V,...",
	  "add-on targets, e.g. cert-manager=1.12,istio=1.8", NULL, CLI_HINT_NONE, NULL, NULL },
	{ 'o', 'o', "output", CLI_ARG, "FORMAT", "the report format", "table", CLI_HINT_ENUM,
	  "table json yaml csv markdown sarif junit html", NULL },
	{ OPT_FAIL_ON, 0, "fail-on", CLI_ARG, "LEVEL",
	  "the exit code's level: removed, deprecated, undecided (deprecated, or a chart object "
	  "not judged: exit 2) or none", "deprecated", CLI_HINT_ENUM,
	  "removed deprecated undecided none", NULL },
	{ 'f', 'f', "values", CLI_ARG, "FILE",
	  "chart values, after the chart's values.yaml (repeatable)", NULL, CLI_HINT_FILE, NULL, NULL },
	{ OPT_SET, 0, "set", CLI_ARG, "KEY=VALUE[,...]", "chart values, after --values (repeatable)",
	  NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_ALL_REV, 0, "all-revisions", CLI_NOARG, NULL,
	  "scan every Helm release revision, not only the newest deployed", NULL, CLI_HINT_NONE,
	  NULL, NULL },
	{ OPT_IGNORE_FILE, 0, "ignore-file", CLI_ARG, "FILE",
	  "accept findings: lines of RULE-PATTERN PATH-PATTERN [reason] (inline '# kupgrade:ignore "
	  "RULE reason' comments always apply, in files, pipes and FIFOs alike)", NULL, CLI_HINT_FILE,
	  NULL, NULL },
	{ OPT_SHOW_IGNORED, 0, "show-ignored", CLI_NOARG, NULL,
	  "list accepted findings (status 'ignored'); never failing", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_UNDECIDED, 0, "show-undecided", CLI_NOARG, NULL,
	  "list chart objects not judged (and why) and those not rendered at the target (and the "
	  "guard)", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_NO_LA, 0, "no-last-applied", CLI_NOARG, NULL,
	  "ignore last-applied-configuration annotations", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_ANNOTATION, 0, "annotation", CLI_ARG, "NAME",
	  "also read NAME like last-applied (a tool's copy of the applied object; "
	  "kapp.k14s.io/original always is)", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_NO_MF, 0, "no-managed-fields", CLI_NOARG, NULL, "ignore metadata.managedFields", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ OPT_MAX_DOC, 0, "max-document-size", CLI_ARG, "SIZE",
	  "refuse a document (one object, or one item of a List or top-level array) larger than "
	  "SIZE, or of more than one node per 8 bytes of it; Helm releases decompressing past it "
	  "are refused too", "256M", CLI_HINT_NONE, NULL, NULL },
	{ OPT_KB, 0, "kb", CLI_ARG, "DIR",
	  "read the knowledge base from DIR instead of the embedded one", NULL, CLI_HINT_DIR, NULL,
	  NULL },
	{ OPT_NO_COLOR, 0, "no-color", CLI_NOARG, NULL,
	  "never colour the table (NO_COLOR is honoured too)", NULL, CLI_HINT_NONE, NULL, NULL },
	{ 'q', 'q', "quiet", CLI_NOARG, NULL, "no progress line on stderr (shown only on a terminal)",
	  NULL, CLI_HINT_NONE, NULL, NULL },
	CLI_OPT_HELP,
	{ OPT_PREFLIGHT_GROUP, 0, NULL, CLI_OPT_GROUP, NULL, NULL, NULL, CLI_HINT_NONE, NULL,
	  cli_preflight_opts },
	{ OPT_LIVE_GROUP, 0, NULL, CLI_OPT_GROUP, NULL,
	  "Live cluster (every listable resource, Helm release Secrets, and the API server's "
	  "apiserver_requested_deprecated_apis metric, source 'metrics')", NULL, CLI_HINT_NONE, NULL,
	  cli_live_opts },
	CLI_OPT_END,
};

const struct cli_cmd cli_cmd_scan = {
	"scan",
	"[PATH...] [options]\n--context NAME [--kubeconfig FILE] [options]",
	"find removed and deprecated Kubernetes APIs in manifests, cluster dumps, Helm releases "
	"and chart templates",
	"Reads files, directories (recursively: .yaml .yml .json; a directory with Chart.yaml is "
	"a Helm chart) and '-' for stdin, and reports every object whose API is removed or "
	"deprecated at the target version.  Cluster dumps are judged by their "
	"last-applied-configuration and managedFields; Helm release records are decoded and their "
	"manifests scanned.",
	scan_opts, CLI_HINT_PATH, NULL,
	"Exit codes: 0 nothing at the fail level, 1 error, 2 deprecated found, 3 removed found.",
	NULL,
};

struct collected {
	struct kup_error *errors;
	size_t n, cap;
	bool oom;
};

static void collect_error(void *ctx, const struct kup_error *err)
{
	struct collected *c = ctx;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct kup_error *ne = kup_xrealloc_array(c->errors, cap, sizeof(*ne));
		if (!ne) {
			c->oom = true;
			return;
		}
		c->errors = ne;
		c->cap = cap;
	}
	kup_error_init(&c->errors[c->n]);
	if (kup_error_copy(&c->errors[c->n], err) != KUP_OK)
		c->oom = true;
	c->n++;
}

/* Adds "name=version[,name=version]" to the add-on target lists. */
static bool parse_targets(const char *arg, const char ***names, struct kup_version **vers,
			  size_t *n)
{
	char *copy = kup_strdup(arg), *p, *save = NULL;
	bool ok = true;

	if (!copy)
		return false;
	for (p = strtok_r(copy, ",", &save); p && ok; p = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(p, '=');
		struct kup_error err = KUP_ERROR_INIT;
		struct kup_version v;
		const char **nn;
		struct kup_version *nv;

		if (!eq || eq == p) {
			cli_error("bad --target-versions entry '%s': expected COMPONENT=VERSION", p);
			ok = false;
			break;
		}
		*eq = '\0';
		if (kup_version_parse(eq + 1, &v, &err) != KUP_OK) {
			cli_error("bad --target-versions entry for '%s': %s", p, err.msg);
			kup_error_release(&err);
			ok = false;
			break;
		}
		nn = kup_xrealloc_array(*names, *n + 1, sizeof(*nn));
		if (nn)
			*names = nn;
		nv = kup_xrealloc_array(*vers, *n + 1, sizeof(*nv));
		if (nv)
			*vers = nv;
		if (!nn || !nv || !((*names)[*n] = kup_strdup(p))) {
			ok = false;
			break;
		}
		(*vers)[*n] = v;
		(*n)++;
	}
	free(copy);
	return ok;
}

static void live_progress(void *ctx, const struct kup_kube_resource *res, size_t n)
{
	(void)ctx;
	cli_progress_clear();
	fprintf(stderr, "%s: %s%s%s: %zu\n", kup_cli_name, res->name, *res->group ? "." : "",
		res->group, n);
}

static void scan_progress(void *ctx, const struct kup_ingest_stats *s)
{
	cli_progress_update(ctx, "scanning: %zu file%s, %.1f MB, %zu object%s", s->files,
			    s->files == 1 ? "" : "s", (double)s->bytes / 1e6, s->objects,
			    s->objects == 1 ? "" : "s");
}

/*
 * Reads the live cluster into the ingest (objects) and the scan (metrics).
 * A resource that cannot be listed is an error in `errs` (exit 1, the rest
 * is scanned); a failure that stops everything is printed and KUP_STOP
 * returned.
 */
static enum kup_status scan_live(struct cli_live *live, struct kup_ingest *in,
				 struct kup_scan *scan, struct collected *errs,
				 struct kup_live_stats *stats, struct cli_progress *pg)
{
	struct kup_live_opts lo;
	struct kup_error err = KUP_ERROR_INIT;
	enum kup_status st;
	size_t n = 0;

	kup_live_opts_init(&lo);
	lo.namespace_ = cli_live_namespace(live);
	lo.errors.fn = collect_error;
	lo.errors.ctx = errs;
	if (live->verbose)
		lo.progress = live_progress;
	lo.on_page = cli_progress_live_page;
	lo.progress_ctx = pg;
	st = kup_live_collect(live->k, live->disc, &lo, kup_live_ingest_page, in, stats, &err);
	if (st != KUP_OK) {
		cli_error("%s", err.msg ? err.msg : kup_strerror(st));
		kup_error_release(&err);
		return KUP_STOP;
	}
	if (!cli_live_check_collected(live, stats)) {
		struct kup_error e = KUP_ERROR_INIT;

		/* counted with the input errors: exit 1, the report still printed */
		kup_error_set(&e, KUP_PARSE, NULL, 0, 0, "the cluster answered empty lists (--strict)");
		collect_error(errs, &e);
		kup_error_release(&e);
	}
	st = kup_live_metrics(live->k, live->disc, kup_scan_object, scan, &n, &err);
	if (st == KUP_NOTFOUND) {
		fprintf(stderr, "%s: note: %s\n", kup_cli_name, err.msg ? err.msg : "no /metrics");
	} else if (st != KUP_OK) {
		collect_error(errs, &err);
	} else if (live->verbose) {
		fprintf(stderr, "%s: /metrics: %zu deprecated API(s) requested since the API server "
			"started\n", kup_cli_name, n);
	}
	kup_error_release(&err);
	return KUP_OK;
}


/* kup_report.flush: writes the report's text so far to stdout (ctx: a bool set on a failure). */
static void write_report_part(void *ctx, struct kup_buf *out)
{
	bool *failed = ctx;

	if (!*failed && out->len && fwrite(out->buf, 1, out->len, stdout) != out->len)
		*failed = true;
	kup_buf_reset(out);
}

int cmd_scan(int argc, char **argv)
{
	struct cli_parse p;
	struct cli_live live;
	struct cli_preflight pre;
	struct kup_live_relay relay;
	struct kup_live_stats lstats;
	const char *to = NULL, *from = NULL, *kb_dir = NULL;
	enum kup_format fmt = KUP_FMT_TABLE;
	enum kup_fail_level fail_on = KUP_FAIL_DEPRECATED;
	struct kup_scan_opts so;
	struct kup_ingest_opts io;
	struct kup_chart_opts co;
	const char **values_files = NULL, **sets = NULL, **annotations = NULL;
	bool fail_undecided = false, show_ignored = false;
	const char *ignore_file = NULL;
	struct kup_ignore *ign = NULL;
	size_t nlisted = 0;
	struct kup_kb *kb = NULL;
	struct kup_scan *scan = NULL;
	struct kup_ingest *in = NULL;
	struct collected errs = { NULL, 0, 0, false };
	const char **addon_names = NULL;
	struct kup_version *addon_vers = NULL;
	size_t naddons = 0, i;
	const struct kup_finding **list = NULL;
	struct kup_report rep;
	struct kup_buf out = KUP_BUF_INIT;
	bool color, usage_error = false, quiet = false, write_failed = false;
	int c, rc = KUP_EXIT_OK;
	char tbuf[32];
	struct cli_progress pg;

	memset(&pg, 0, sizeof(pg));
	memset(&rep, 0, sizeof(rep));
	kup_scan_opts_init(&so);
	kup_ingest_opts_init(&io);
	kup_chart_opts_init(&co);
	cli_live_init(&live);
	cli_preflight_init(&pre);
	memset(&lstats, 0, sizeof(lstats));
	color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	cli_parse_init(&p, &cli_cmd_scan, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		if (cli_live_option(&live, c, p.arg) || cli_preflight_option(&pre, c, p.arg))
			continue;
		switch (c) {
		case 'q': quiet = true; break;
		case OPT_TO: to = p.arg; break;
		case OPT_FROM: from = p.arg; break;
		case 'o':
			if (!kup_format_parse(p.arg, &fmt)) {
				cli_error("unknown output format '%s' (table, json, yaml, csv, markdown, sarif, junit, html)",
					  p.arg);
				usage_error = true;
			}
			break;
		case OPT_FAIL_ON:
			if (strcmp(p.arg, "removed") == 0)
				fail_on = KUP_FAIL_REMOVED;
			else if (strcmp(p.arg, "deprecated") == 0)
				fail_on = KUP_FAIL_DEPRECATED;
			else if (strcmp(p.arg, "none") == 0)
				fail_on = KUP_FAIL_NONE;
			else if (strcmp(p.arg, "undecided") == 0) {
				fail_on = KUP_FAIL_DEPRECATED;
				fail_undecided = true;
			} else {
				cli_error("unknown --fail-on level '%s' (removed, deprecated, undecided, none)",
					  p.arg);
				usage_error = true;
			}
			break;
		case OPT_KB: kb_dir = p.arg; break;
		case OPT_ALL_REV: io.all_revisions = true; break;
		case OPT_UNDECIDED: so.show_undecided = true; break;
		case OPT_NO_COLOR: color = false; break;
		case OPT_NO_LA: io.last_applied = false; break;
		case OPT_NO_MF: io.managed_fields = false; break;
		case OPT_IGNORE_FILE: ignore_file = p.arg; break;
		case OPT_SHOW_IGNORED: show_ignored = true; break;
		case 'f':
		case OPT_SET:
		case OPT_ANNOTATION: {
			const char ***v = c == 'f' ? &values_files : c == OPT_SET ? &sets : &annotations;
			size_t *nv = c == 'f' ? &co.nvalues_files : c == OPT_SET ? &co.nset : &io.nannotations;
			const char **nn = kup_xrealloc_array(*v, *nv + 1, sizeof(*nn));
			struct kup_error err = KUP_ERROR_INIT;
			if (!nn) {
				cli_error("out of memory");
				usage_error = true;
				break;
			}
			*v = nn;
			nn[(*nv)++] = p.arg;
			if (c == OPT_SET && !kup_chart_set_check(p.arg, &err)) {
				cli_error("%s", err.msg ? err.msg : "bad --set");
				usage_error = true;
			}
			kup_error_release(&err);
			break;
		}
		case OPT_MAX_DOC:
			if (!cli_parse_size(p.arg, &io.limits.max_document)) {
				cli_error("bad --max-document-size '%s': a size such as 64M or 1G", p.arg);
				usage_error = true;
			}
			break;
		case OPT_TARGETS:
			if (!parse_targets(p.arg, &addon_names, &addon_vers, &naddons))
				usage_error = true;
			break;
		case 'h':
			cli_usage(&cli_cmd_scan, stdout);
			rc = KUP_EXIT_OK;
			goto out;
		default:
			usage_error = true;
			break;
		}
	}
	argc = 1 + (int)p.npos;
	if (usage_error || live.bad || pre.bad) {
		cli_usage(&cli_cmd_scan, stderr);
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	kb = cli_load_kb(kb_dir);
	if (!kb) {
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	if (to) {
		struct kup_error err = KUP_ERROR_INIT;
		if (kup_version_parse(to, &so.target, &err) != KUP_OK) {
			cli_error("--to: %s", err.msg);
			kup_error_release(&err);
			rc = KUP_EXIT_ERROR;
			goto out;
		}
	} else {
		so.target = *kup_kb_newest(kb);
	}
	cli_kb_warn_target(kb, &so.target);
	if (from) {
		struct kup_error err = KUP_ERROR_INIT;
		if (kup_version_parse(from, &so.from, &err) != KUP_OK) {
			cli_error("--from: %s", err.msg);
			kup_error_release(&err);
			rc = KUP_EXIT_ERROR;
			goto out;
		}
		if (kup_version_cmp(&so.from, &so.target) > 0) {
			cli_error("--from %s is newer than the target", from);
			rc = KUP_EXIT_ERROR;
			goto out;
		}
	}
	for (i = 0; i < naddons; i++)
		if (!kup_kb_has_component(kb, addon_names[i]) || strcmp(addon_names[i], "kubernetes") == 0) {
			cli_error("--target-versions: unknown add-on '%s' (see 'kupgrade kb list')",
				  addon_names[i]);
			rc = KUP_EXIT_ERROR;
			goto out;
		}
	so.addon_names = addon_names;
	so.addon_targets = addon_vers;
	so.naddons = naddons;
	if (kup_scan_new(kb, &so, &scan) != KUP_OK) {
		cli_error("out of memory");
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	io.errors.fn = collect_error;
	io.errors.ctx = &errs;
	co.target = so.target;
	co.kb = kb;
	co.values_files = values_files;
	co.set = sets;
	io.chart = &co;
	io.annotations = annotations;
	io.warnings.fn = cli_print_warning;
	io.on_object = kup_scan_object;
	io.ctx = scan;
	/* -v logs every request on stderr: no progress line between those */
	cli_progress_init(&pg, quiet || live.verbose);
	if (!cli_live_wanted(&live)) {
		io.on_progress = scan_progress;
		io.progress_ctx = &pg;
	} else {
		/* live pages: positions inside a page mean nothing to a reader */
		relay.fn = kup_scan_object;
		relay.ctx = scan;
		io.on_object = kup_live_relay_object;
		io.ctx = &relay;
	}
	if (!cli_preflight_tee(&pre, kb, &so.target, &io.on_object, &io.ctx)) {
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	/* the inline comments of a pipe or FIFO are noted as the scan reads it */
	ign = kup_ignore_new();
	if (!ign) {
		cli_error("out of memory");
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	io.on_bytes = kup_ignore_tap;
	io.bytes_ctx = ign;
	if (kup_ingest_new(&io, &in) != KUP_OK) {
		cli_error("out of memory");
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	{
		int first = 1;
		enum kup_status st = KUP_OK;
		if (cli_live_wanted(&live)) {
			if (cli_live_connect(&live, true) != KUP_EXIT_OK) {
				rc = KUP_EXIT_ERROR;
				goto out;
			}
			st = scan_live(&live, in, scan, &errs, &lstats, &pg);
			if (st == KUP_STOP) {
				rc = KUP_EXIT_ERROR;
				goto out;
			}
		} else if (first >= argc) {
			if (isatty(STDIN_FILENO)) {
				cli_error("no input: name files or directories, or '-' for stdin");
				cli_usage(&cli_cmd_scan, stderr);
				rc = KUP_EXIT_ERROR;
				goto out;
			}
			st = kup_ingest_path(in, "-");
		}
		for (i = (size_t)first; i < (size_t)argc && st == KUP_OK; i++)
			st = kup_ingest_path(in, argv[i]);
		if (st == KUP_OK)
			st = kup_ingest_finish(in);
		if (st == KUP_OK)
			st = kup_scan_finish(scan);
		cli_progress_end(&pg);
		if (st != KUP_OK) {
			cli_error("scan stopped: %s", kup_strerror(st));
			rc = KUP_EXIT_ERROR;
			goto out;
		}
	}

	if (ignore_file && kup_ignore_load(ign, ignore_file, &io.errors) != KUP_OK) {
		cli_error("cannot read --ignore-file '%s'", ignore_file);
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	memset(&rep, 0, sizeof(rep));
	rep.summary.ignored = kup_ignore_apply(ign, scan);
	rep.summary.ignored_listed = show_ignored;
	list = kup_calloc(kup_scan_count(scan) + 1, sizeof(*list));
	if (!list) {
		cli_error("out of memory");
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	for (i = 0; i < kup_scan_count(scan); i++) {
		const struct kup_finding *f = kup_scan_at(scan, i);
		if (!f->ignored || show_ignored)
			list[nlisted++] = f;
	}
	rep.target_version = kup_version_minor_str(&so.target, tbuf, sizeof(tbuf));
	rep.errors = errs.errors;
	rep.nerrors = errs.n;
	rep.summary.files = kup_ingest_stats(in)->files;
	rep.summary.objects = kup_ingest_stats(in)->objects;
	rep.summary.errors = errs.n;
	rep.summary.undecided = kup_scan_undecided(scan);
	rep.summary.undecided_listed = so.show_undecided;
	rep.kb = kb;
	rep.tool_version = KUP_VERSION_STRING;
	rep.color = color;
	rep.has_fail_on = true;
	rep.fail_on = fail_on;
	rep.fail_undecided = fail_undecided;
	if (!cli_preflight_finish(&pre, live.disc ? live.disc->git_version : NULL, &rep)) {
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	/* the chart evaluations become items of their own family, after the pre-flight ones */
	if (kup_report_set_scan(&rep, list, nlisted) != KUP_OK) {
		cli_error("out of memory");
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	/* json, yaml and csv are written while they are drawn (a long finding list is not held whole) */
	rep.flush = write_report_part;
	rep.flush_ctx = &write_failed;
	if (kup_report_render(fmt, &rep, &out) != KUP_OK || out.oom) {
		cli_error("cannot render the report");
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	if (write_failed || (out.len && fwrite(out.buf, 1, out.len, stdout) != out.len)) {
		cli_error("cannot write the report");
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	if (fflush(stdout) != 0) {
		cli_error("cannot write the report");
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	for (i = 0; i < errs.n; i++)
		cli_print_error(&errs.errors[i]);
	rc = errs.oom ? KUP_EXIT_ERROR : kup_report_exit_code(&rep, fail_on);
out:
	kup_report_release(&rep);
	cli_progress_end(&pg);
	kup_buf_release(&out);
	cli_live_release(&live);
	cli_preflight_release(&pre);
	free(list);
	kup_ingest_free(in);
	kup_ignore_free(ign);
	kup_scan_free(scan);
	kup_kb_free(kb);
	for (i = 0; i < errs.n; i++)
		kup_error_release(&errs.errors[i]);
	free(errs.errors);
	for (i = 0; i < naddons; i++)
		free((char *)addon_names[i]);
	free(addon_names);
	free(addon_vers);
	free(values_files);
	free(sets);
	free(annotations);
	return rc;
}
