/*
 * cmd_drain.c - `kupgrade drain NODE...`: cordon, evict through the
 * Eviction API, name the PodDisruptionBudgets that block (drain.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_live.h"
#include "kupgrade/drain.h"

/* "90", "90s", "5m", "1h", "1m30s" -> milliseconds; false when malformed. */
static bool parse_duration(const char *s, long *ms)
{
	long total = 0;
	const char *p = s;

	if (!*p)
		return false;
	while (*p) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v < 0 || v > 10L * 24 * 3600)
			return false;
		switch (*end) {
		case '\0':
		case 's':
			total += v * 1000;
			break;
		case 'm':
			if (end[1] == 's') {
				total += v;
				end++;
			} else {
				total += v * 60 * 1000;
			}
			break;
		case 'h':
			total += v * 3600 * 1000;
			break;
		default:
			return false;
		}
		p = *end ? end + 1 : end;
	}
	*ms = total;
	return true;
}

static void on_progress(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s: drain: %s\n", kup_cli_name, line);
}

enum {
	OPT_DRY_RUN = 256, OPT_FORCE, OPT_EMPTYDIR, OPT_IGNORE_DS, OPT_GRACE, OPT_TIMEOUT,
	OPT_ON_TIMEOUT, OPT_BACKOFF, OPT_LIVE_GROUP,
};

static const struct cli_opt drain_opts[] = {
	{ OPT_DRY_RUN, 0, "dry-run", CLI_NOARG, NULL,
	  "list the pods that would be evicted, in order, and those that would wait (the budget's "
	  "allowed disruptions taken by the evictions before them), naming the budget; change "
	  "nothing", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_FORCE, 0, "force", CLI_NOARG, NULL, "also evict pods that no controller manages", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ OPT_EMPTYDIR, 0, "delete-emptydir-data", CLI_NOARG, NULL,
	  "also evict pods with emptyDir volumes (their data is lost)", NULL, CLI_HINT_NONE, NULL,
	  NULL },
	{ OPT_EMPTYDIR, 0, "delete-local-data", CLI_NOARG, NULL,
	  "the old name of --delete-emptydir-data (kubectl's)", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_IGNORE_DS, 0, "ignore-daemonsets", CLI_NOARG, NULL,
	  "accepted for kubectl compatibility (always the case)", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_GRACE, 0, "grace-period", CLI_ARG, "SECS", "the pods' termination grace period",
	  "their own", CLI_HINT_NONE, NULL, NULL },
	{ OPT_TIMEOUT, 0, "timeout", CLI_ARG, "DURATION",
	  "give up after DURATION (30s, 5m, 1h; 0 = never)", "5m", CLI_HINT_NONE, NULL, NULL },
	{ OPT_ON_TIMEOUT, 0, "on-timeout", CLI_ARG, "fail|force",
	  "at the timeout: stop (exit 3), or delete what is left", "fail", CLI_HINT_ENUM,
	  "fail force", NULL },
	{ OPT_BACKOFF, 0, "backoff", CLI_ARG, "DURATION",
	  "the first wait after a refused eviction (500ms, 2s), doubling up to 5s", "1s",
	  CLI_HINT_NONE, NULL, NULL },
	{ 'o', 'o', "output", CLI_ARG, "FORMAT", "the result on stdout", "table", CLI_HINT_ENUM,
	  "table json yaml", NULL },
	CLI_OPT_HELP,
	{ OPT_LIVE_GROUP, 0, NULL, CLI_OPT_GROUP, NULL, "The cluster", NULL, CLI_HINT_NONE, NULL,
	  cli_live_opts },
	CLI_OPT_END,
};

const struct cli_cmd cli_cmd_drain = {
	"drain",
	"NODE... [--context NAME] [--kubeconfig FILE] [options]",
	"cordon and drain nodes, naming the PodDisruptionBudgets that block",
	"Cordons the nodes, then evicts their pods through the Eviction API (policy/v1, or "
	"policy/v1beta1 where the server has no v1), retrying while a PodDisruptionBudget refuses "
	"and naming it, until the pods are gone or the timeout passes.  DaemonSet-managed and "
	"mirror pods are left alone.",
	drain_opts, CLI_HINT_NODE, NULL,
	"Exit status: 0 drained (or nothing would block), 1 error (pods refused, API failures), 3 "
	"blocked or timed out (or, with --dry-run, a budget would block).",
	NULL,
};

int cmd_drain(int argc, char **argv)
{
	struct cli_parse p;
	struct cli_live live;
	struct kup_drain_opts o;
	struct kup_drain_result res;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf out = KUP_BUF_INIT;
	bool json = false, yaml = false;
	enum kup_status st;
	int c, rc = KUP_EXIT_ERROR;
	size_t i;

	cli_live_init(&live);
	kup_drain_opts_init(&o);
	o.timeout_ms = 5 * 60 * 1000;
	o.progress = on_progress;
	kup_drain_result_init(&res);
	cli_parse_init(&p, &cli_cmd_drain, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		if (cli_live_option(&live, c, p.arg))
			continue;
		switch (c) {
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		case OPT_EMPTYDIR:
			o.delete_emptydir_data = true;
			break;
		case OPT_IGNORE_DS:
			break;
		case OPT_GRACE: {
			char *end;
			errno = 0;
			o.grace_period = strtol(p.arg, &end, 10);
			if (*end || errno || o.grace_period < -1) {
				cli_error("bad --grace-period '%s': want seconds", p.arg);
				goto out;
			}
			break;
		}
		case OPT_TIMEOUT:
			if (!parse_duration(p.arg, &o.timeout_ms)) {
				cli_error("bad --timeout '%s': want a duration such as 30s, 5m or 1h", p.arg);
				goto out;
			}
			break;
		case OPT_BACKOFF:
			if (!parse_duration(p.arg, &o.backoff_ms) || o.backoff_ms == 0) {
				cli_error("bad --backoff '%s': want a duration such as 500ms or 2s", p.arg);
				goto out;
			}
			break;
		case OPT_ON_TIMEOUT:
			if (strcmp(p.arg, "fail") == 0) {
				o.on_timeout = KUP_DRAIN_TIMEOUT_FAIL;
			} else if (strcmp(p.arg, "force") == 0) {
				o.on_timeout = KUP_DRAIN_TIMEOUT_FORCE;
			} else {
				cli_error("bad --on-timeout '%s': want fail or force", p.arg);
				goto out;
			}
			break;
		case 'o':
			if (strcmp(p.arg, "json") == 0 || strcmp(p.arg, "yaml") == 0) {
				json = true;
				yaml = p.arg[0] == 'y';
			} else if (strcmp(p.arg, "table") == 0) {
				json = false;
			} else {
				cli_error("bad --output '%s': want table, json or yaml", p.arg);
				goto out;
			}
			break;
		case 'h':
			cli_usage(&cli_cmd_drain, stdout);
			rc = KUP_EXIT_OK;
			goto out;
		default:
			cli_usage(&cli_cmd_drain, stderr);
			goto out;
		}
	}
	argc = 1 + (int)p.npos;
	if (live.bad)
		goto out;
	if (argc < 2) {
		cli_error("drain: name at least one node");
		cli_usage(&cli_cmd_drain, stderr);
		goto out;
	}
	if (cli_live_connect(&live, false) != KUP_EXIT_OK)
		goto out;
	st = kup_drain(live.k, (const char *const *)&argv[1], (size_t)(argc - 1), &o, &res,
		       &err);
	if (json)
		kup_drain_render(&res, o.dry_run, yaml ? KUP_EMIT_YAML : KUP_EMIT_JSON, &out);
	else if (res.npods > 0)
		kup_drain_render_text(&res, &out);
	if (out.buf)
		fputs(out.buf, stdout);
	if (st != KUP_OK) {
		cli_error("drain: %s", err.msg ? err.msg : kup_strerror(st));
		if (st == KUP_INVALID) {
			for (i = 0; i < res.npods; i++)
				if (res.pods[i].state == KUP_DRAIN_POD_REFUSED)
					fprintf(stderr, "%s: drain: pod %s/%s on node/%s refused: %s\n",
						kup_cli_name, res.pods[i].namespace_, res.pods[i].name,
						res.pods[i].node, res.pods[i].reason);
		}
		goto out;
	}
	if (o.dry_run) {
		size_t would_block = 0;
		for (i = 0; i < res.npods; i++)
			if (res.pods[i].state == KUP_DRAIN_POD_WOULD_BLOCK)
				would_block++;
		fprintf(stderr, "%s: drain: dry run: nothing was changed; %zu pod%s would wait for a budget\n",
			kup_cli_name, would_block, would_block == 1 ? "" : "s");
		rc = would_block ? KUP_EXIT_REMOVED : KUP_EXIT_OK;
		goto out;
	}
	fprintf(stderr, "%s: drain: %zu evicted, %zu deleted, %zu blocked, %zu failed, %zu skipped%s\n",
		kup_cli_name, res.evicted, res.deleted, res.blocked, res.failed, res.skipped,
		res.timed_out ? " (timed out)" : "");
	if (res.failed)
		rc = KUP_EXIT_ERROR;
	else if (res.blocked)
		rc = KUP_EXIT_REMOVED;
	else
		rc = KUP_EXIT_OK;
out:
	kup_buf_release(&out);
	kup_error_release(&err);
	kup_drain_result_release(&res);
	cli_live_release(&live);
	return rc;
}
