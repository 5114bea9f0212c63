/*
 * cmd_live.c - `kupgrade snapshot`, and the connection flags every live
 * verb shares (cli_live.h).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_live.h"
#include "kupgrade/live.h"
#include "progress.h"

/* ---- shared connection flags ------------------------------------------ */

const struct cli_opt cli_live_opts[] = {
	{ CLI_OPT_CONTEXT, 0, "context", CLI_ARG, "NAME", "the kubeconfig context",
	  "current-context", CLI_HINT_CONTEXT, NULL, NULL },
	{ CLI_OPT_KUBECONFIG, 0, "kubeconfig", CLI_ARG, "FILE", "the kubeconfig",
	  "$KUBECONFIG, ~/.kube/config, or the in-cluster service account", CLI_HINT_FILE, NULL, NULL },
	{ CLI_OPT_LIVE, 0, "live", CLI_NOARG, NULL, "read the cluster of the current context", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ 'n', 'n', "namespace", CLI_ARG, "NS", "only namespaced objects in NS", NULL,
	  CLI_HINT_NAMESPACE, NULL, NULL },
	{ 'A', 'A', "all-namespaces", CLI_NOARG, NULL, "every namespace (the default)", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ CLI_OPT_REQUEST_TIMEOUT, 0, "request-timeout", CLI_ARG, "SECS", "per request", "120",
	  CLI_HINT_NONE, NULL, NULL },
	{ 'v', 'v', "verbose", CLI_NOARG, NULL,
	  "log each request (method, URL, status, time) on stderr", NULL, CLI_HINT_NONE, NULL, NULL },
	{ CLI_OPT_STRICT, 0, "strict", CLI_NOARG, NULL,
	  "a cluster that lists nothing (no API groups, no namespaces, no nodes) is an error "
	  "(exit 1), not a warning", NULL, CLI_HINT_NONE, NULL, NULL },
	CLI_OPT_END,
};

void cli_live_init(struct cli_live *l)
{
	memset(l, 0, sizeof(*l));
	l->timeout_s = 120;
}

bool cli_live_option(struct cli_live *l, int c, const char *arg)
{
	char *end;

	switch (c) {
	case CLI_OPT_KUBECONFIG:
		l->kubeconfig = arg;
		l->live = true;
		return true;
	case CLI_OPT_CONTEXT:
		l->context = arg;
		l->live = true;
		return true;
	case CLI_OPT_LIVE:
		l->live = true;
		return true;
	case CLI_OPT_REQUEST_TIMEOUT:
		l->timeout_s = strtol(arg, &end, 10);
		if (*end || end == arg || l->timeout_s <= 0 || l->timeout_s > 86400) {
			cli_error("--request-timeout: '%s' is not a number of seconds", arg);
			l->bad = true;
		}
		return true;
	case 'n':
		l->namespace_ = arg;
		return true;
	case 'A':
		l->all_namespaces = true;
		return true;
	case 'v':
		l->verbose++;
		return true;
	case CLI_OPT_STRICT:
		l->strict = true;
		return true;
	default:
		return false;
	}
}

bool cli_live_wanted(const struct cli_live *l)
{
	return l->live;
}

const char *cli_live_namespace(const struct cli_live *l)
{
	if (l->all_namespaces || !l->namespace_ || !*l->namespace_)
		return NULL;
	return l->namespace_;
}

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s: %s\n", kup_cli_name, line);
}

static void warn_line(void *ctx, const char *line)
{
	const struct cli_live *l = ctx;

	/* the server's deprecation warnings about our own lists are for -v */
	if (strncmp(line, "insecure-skip-tls-verify", 24) != 0 && !l->verbose)
		return;
	fprintf(stderr, "%s: warning: %s\n", kup_cli_name, line);
}

static void print_empty(void *ctx, const struct kup_error *err)
{
	const struct cli_live *l = ctx;

	if (l->strict)
		cli_error("%s (--strict)", err->msg);
	else
		cli_warning("%s (--strict makes this an error)", err->msg);
}

bool cli_live_check_collected(const struct cli_live *l, const struct kup_live_stats *stats)
{
	struct kup_error_sink sink = { print_empty, (void *)(uintptr_t)l };

	return kup_live_check_empty(NULL, stats, &sink) == 0 || !l->strict;
}

int cli_live_connect(struct cli_live *l, bool discover)
{
	struct kup_kubeconfig_opts ko;
	struct kup_kube_opts o;
	struct kup_error err = KUP_ERROR_INIT;
	int rc = KUP_EXIT_ERROR;

	kup_kubeconfig_opts_init(&ko);
	ko.kubeconfig = l->kubeconfig;
	ko.context = l->context;
	ko.namespace_ = l->namespace_;
	if (kup_kubeconfig_load(&ko, &l->cfg, &err) != KUP_OK) {
		fprintf(stderr, "%s: error: ", kup_cli_name);
		cli_print_error(&err);
		goto out;
	}
	kup_kube_opts_init(&o);
	o.timeout_ms = l->timeout_s * 1000;
	o.warn = warn_line;
	o.log_ctx = l;
	if (l->verbose)
		o.log = log_line;
	if (kup_kube_new(l->cfg, &o, &l->k, &err) != KUP_OK) {
		cli_error("%s", err.msg ? err.msg : "cannot create the API client");
		goto out;
	}
	if (discover && kup_kube_discover(l->k, &l->disc, &err) != KUP_OK) {
		cli_error("%s", err.msg ? err.msg : "discovery failed");
		goto out;
	}
	if (l->disc) {
		struct kup_error_sink sink = { print_empty, l };
		size_t i;

		if (kup_live_check_empty(l->disc, NULL, &sink) && l->strict)
			goto out;
		for (i = 0; i < l->disc->ngvs; i++)
			if (l->disc->gvs[i].error)
				fprintf(stderr, "%s: warning: API %s is unavailable, its resources are "
					"not read: %s\n", kup_cli_name, l->disc->gvs[i].group_version,
					l->disc->gvs[i].error);
	}
	rc = KUP_EXIT_OK;
out:
	kup_error_release(&err);
	return rc;
}

void cli_live_release(struct cli_live *l)
{
	kup_kube_discovery_free(l->disc);
	kup_kube_free(l->k);
	kup_kubeconfig_free(l->cfg);
	l->disc = NULL;
	l->k = NULL;
	l->cfg = NULL;
}

static void print_skipped(void *ctx, const struct kup_error *err)
{
	size_t *n = ctx;

	(*n)++;
	cli_progress_clear();
	fprintf(stderr, "%s: error: %s\n", kup_cli_name, err->msg ? err->msg : "failed");
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

int cli_live_snapshot_tmp(struct cli_live *l, char **path)
{
	struct kup_live_opts lo;
	struct kup_live_stats stats;
	struct kup_snapshot_info info;
	struct kup_error err = KUP_ERROR_INIT;
	const char *tmp = getenv("TMPDIR");
	char dir[4096], *file = NULL;
	size_t problems = 0;
	int n;

	*path = NULL;
	if (!l->k && cli_live_connect(l, true) != KUP_EXIT_OK)
		return KUP_EXIT_ERROR;
	n = snprintf(dir, sizeof(dir), "%s/kupgrade-snapshot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(dir) || !mkdtemp(dir)) {
		cli_error("cannot create a temporary directory for the snapshot");
		return KUP_EXIT_ERROR;
	}
	n = (int)strlen(dir) + 16;
	file = kup_malloc((size_t)n);
	if (!file) {
		rmdir(dir);
		cli_error("out of memory");
		return KUP_EXIT_ERROR;
	}
	snprintf(file, (size_t)n, "%s/snapshot.json", dir);
	kup_live_opts_init(&lo);
	lo.namespace_ = cli_live_namespace(l);
	lo.errors.fn = print_skipped;
	lo.errors.ctx = &problems;
	memset(&info, 0, sizeof(info));
	info.context = l->cfg->context;
	info.server = l->cfg->server;
	{
		/*
		 * Ctrl-C/SIGTERM: stop after the current page and remove the
		 * temporary file (below).  The handler stays: a signal once the
		 * snapshot is read waits for the verb, which removes the file.
		 */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		lo.cancel = &interrupted;
	}
	if (kup_live_snapshot(l->k, l->disc, file, &info, &lo, &stats, &err) != KUP_OK) {
		fprintf(stderr, "%s: error: ", kup_cli_name);
		cli_print_error(&err);
		kup_error_release(&err);
		cli_live_snapshot_remove(file);
		return KUP_EXIT_ERROR;
	}
	*path = file;
	if (!cli_live_check_collected(l, &stats))
		problems++;
	return problems ? KUP_EXIT_ERROR : KUP_EXIT_OK;
}

void cli_live_snapshot_remove(char *path)
{
	char *slash;

	if (!path)
		return;
	unlink(path);
	slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		rmdir(path);
	}
	free(path);
}

/* ---- snapshot --------------------------------------------------------- */

static void print_problem(void *ctx, const struct kup_error *err)
{
	size_t *n = ctx;

	(*n)++;
	cli_progress_clear();
	fprintf(stderr, "%s: error: %s\n", kup_cli_name, err->msg ? err->msg : "failed");
}

static void progress(void *ctx, const struct kup_kube_resource *res, size_t n)
{
	(void)ctx;
	cli_progress_clear();
	fprintf(stderr, "%s: %s%s%s: %zu\n", kup_cli_name, res->name, *res->group ? "." : "",
		res->group, n);
}

enum { OPT_PAGE_SIZE = 300, OPT_LIVE_GROUP };

static const struct cli_opt snapshot_opts[] = {
	{ 'o', 'o', "output", CLI_ARG, "FILE", "where to write ('-' for stdout)", NULL, CLI_HINT_FILE,
	  NULL, NULL },
	{ OPT_PAGE_SIZE, 0, "page-size", CLI_ARG, "N", "objects per list request", "500",
	  CLI_HINT_NONE, NULL, NULL },
	{ 'q', 'q', "quiet", CLI_NOARG, NULL, "no progress line on stderr (shown only on a terminal)",
	  NULL, CLI_HINT_NONE, NULL, NULL },
	CLI_OPT_HELP,
	{ OPT_LIVE_GROUP, 0, NULL, CLI_OPT_GROUP, NULL, "The cluster", NULL, CLI_HINT_NONE, NULL,
	  cli_live_opts },
	CLI_OPT_END,
};

const struct cli_cmd cli_cmd_snapshot = {
	"snapshot",
	"-o FILE [--context NAME] [--kubeconfig FILE] [options]",
	"save a live cluster to one file for offline use",
	"Saves a live cluster to one file: a kubectl List of every object (Secrets only when they "
	"are Helm release records; Events are left out), with the server version and discovery in "
	"it.  scan, plan, profile --from-dump and rollout read it offline as they read the "
	"cluster.  The file is written to a temporary file beside FILE and renamed when complete "
	"(mode 0600: it holds Helm releases).",
	snapshot_opts, CLI_HINT_NONE, NULL,
	"Exit codes: 0 written, 1 error (a resource that could not be read is named; the file is "
	"still written without it).",
	NULL,
};

int cmd_snapshot(int argc, char **argv)
{
	struct cli_parse p;
	struct cli_live l;
	struct kup_live_opts lo;
	struct kup_live_stats stats;
	struct kup_snapshot_info info;
	struct kup_error err = KUP_ERROR_INIT;
	enum kup_status st;
	const char *out = NULL;
	size_t problems = 0;
	int c, rc = KUP_EXIT_ERROR;
	bool usage_error = false, quiet = false;
	struct cli_progress pg;

	memset(&pg, 0, sizeof(pg));
	cli_live_init(&l);
	kup_live_opts_init(&lo);
	cli_parse_init(&p, &cli_cmd_snapshot, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		if (cli_live_option(&l, c, p.arg))
			continue;
		switch (c) {
		case 'q': quiet = true; break;
		case 'o': out = p.arg; break;
		case OPT_PAGE_SIZE: {
			char *end;
			long v = strtol(p.arg, &end, 10);
			if (*end || v < 1 || v > 100000) {
				cli_error("--page-size: '%s' is not a number from 1 to 100000", p.arg);
				usage_error = true;
			}
			lo.limit = (unsigned)v;
			break;
		}
		case 'h':
			cli_usage(&cli_cmd_snapshot, stdout);
			return KUP_EXIT_OK;
		default:
			usage_error = true;
			break;
		}
	}
	argc = 1 + (int)p.npos;
	if (!usage_error && !out) {
		cli_error("name the snapshot file with -o FILE");
		usage_error = true;
	}
	if (!usage_error && argc > 1) {
		cli_error("unexpected argument '%s'", argv[1]);
		usage_error = true;
	}
	if (usage_error || l.bad) {
		cli_usage(&cli_cmd_snapshot, stderr);
		return KUP_EXIT_ERROR;
	}
	if (cli_live_connect(&l, true) != KUP_EXIT_OK)
		goto out;
	lo.namespace_ = cli_live_namespace(&l);
	lo.errors.fn = print_problem;
	lo.errors.ctx = &problems;
	if (l.verbose)
		lo.progress = progress;
	/* -v logs every request on stderr: no progress line between those */
	cli_progress_init(&pg, quiet || l.verbose);
	lo.on_page = cli_progress_live_page;
	lo.progress_ctx = &pg;
	memset(&info, 0, sizeof(info));
	info.context = l.cfg->context;
	info.server = l.cfg->server;
	{
		/* Ctrl-C: stop after the current page, leave no file behind */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		lo.cancel = &interrupted;
	}
	st = kup_live_snapshot(l.k, l.disc, out, &info, &lo, &stats, &err);
	cli_progress_end(&pg);
	if (st != KUP_OK) {
		fprintf(stderr, "%s: error: ", kup_cli_name);
		cli_print_error(&err);
		goto out;
	}
	fprintf(stderr, "%s: snapshot of %s (%s): %zu objects of %zu resources written to %s%s\n",
		kup_cli_name, l.cfg->server, l.disc->git_version, stats.items, stats.resources,
		strcmp(out, "-") == 0 ? "standard output" : out,
		stats.skipped ? "; some resources were skipped (see above)" : "");
	if (!cli_live_check_collected(&l, &stats))
		problems++;
	rc = problems ? KUP_EXIT_ERROR : KUP_EXIT_OK;
out:
	cli_progress_end(&pg);
	kup_error_release(&err);
	cli_live_release(&l);
	return rc;
}
