/*
 * cmd_drain.c - `kupgrade drain NODE...`: cordon, evict through the
 * Eviction API, name the PodDisruptionBudgets that block (drain.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_live.h"
#include "kupgrade/drain.h"

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: %s drain NODE... [--context NAME] [--kubeconfig FILE] [options]\n"
		"\n"
		"Cordons the nodes, then evicts their pods through the Eviction API (policy/v1,\n"
		"or policy/v1beta1 where the server has no v1), retrying while a\n"
		"PodDisruptionBudget refuses and naming it, until the pods are gone or the\n"
		"timeout passes.  DaemonSet-managed and mirror pods are left alone.\n"
		"\n"
		"  --dry-run                 list the pods that would be evicted, in order, and those\n"
		"                            that would wait (the budget's allowed disruptions taken\n"
		"                            by the evictions before them), naming the budget; change nothing\n"
		"  --force                   also evict pods that no controller manages\n"
		"  --delete-emptydir-data    also evict pods with emptyDir volumes (their data is lost)\n"
		"  --ignore-daemonsets       accepted for kubectl compatibility (always the case)\n"
		"  --grace-period SECS       the pods' termination grace period (default: their own)\n"
		"  --timeout DURATION        give up after DURATION (30s, 5m, 1h; 0 = never; default 5m)\n"
		"  --on-timeout fail|force   at the timeout: stop (exit 3), or delete what is left\n"
		"  --backoff DURATION        the first wait after a refused eviction (500ms, 2s;\n"
		"                            default 1s), doubling up to 5s\n"
		"  -o, --output FORMAT       the result on stdout: table (default), json, yaml\n"
		"%s"
		"\n"
		"Exit status: 0 drained (or nothing would block), 1 error (pods refused, API\n"
		"failures), 3 blocked or timed out (or, with --dry-run, a budget would block).\n",
		kup_cli_name, CLI_LIVE_USAGE);
}

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
	OPT_ON_TIMEOUT, OPT_BACKOFF,
};

int cmd_drain(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "delete-emptydir-data", no_argument, NULL, OPT_EMPTYDIR },
		{ "delete-local-data", no_argument, NULL, OPT_EMPTYDIR },
		{ "ignore-daemonsets", no_argument, NULL, OPT_IGNORE_DS },
		{ "grace-period", required_argument, NULL, OPT_GRACE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "on-timeout", required_argument, NULL, OPT_ON_TIMEOUT },
		{ "backoff", required_argument, NULL, OPT_BACKOFF },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		CLI_LIVE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
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
	optind = 1;
	while ((c = cli_getopt(argc, argv, "o:h" CLI_LIVE_SHORTOPTS, longopts)) != -1) {
		if (cli_live_option(&live, c, optarg))
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
			o.grace_period = strtol(optarg, &end, 10);
			if (*end || errno || o.grace_period < -1) {
				cli_error("bad --grace-period '%s': want seconds", optarg);
				goto out;
			}
			break;
		}
		case OPT_TIMEOUT:
			if (!parse_duration(optarg, &o.timeout_ms)) {
				cli_error("bad --timeout '%s': want a duration such as 30s, 5m or 1h", optarg);
				goto out;
			}
			break;
		case OPT_BACKOFF:
			if (!parse_duration(optarg, &o.backoff_ms) || o.backoff_ms == 0) {
				cli_error("bad --backoff '%s': want a duration such as 500ms or 2s", optarg);
				goto out;
			}
			break;
		case OPT_ON_TIMEOUT:
			if (strcmp(optarg, "fail") == 0) {
				o.on_timeout = KUP_DRAIN_TIMEOUT_FAIL;
			} else if (strcmp(optarg, "force") == 0) {
				o.on_timeout = KUP_DRAIN_TIMEOUT_FORCE;
			} else {
				cli_error("bad --on-timeout '%s': want fail or force", optarg);
				goto out;
			}
			break;
		case 'o':
			if (strcmp(optarg, "json") == 0 || strcmp(optarg, "yaml") == 0) {
				json = true;
				yaml = optarg[0] == 'y';
			} else if (strcmp(optarg, "table") == 0) {
				json = false;
			} else {
				cli_error("bad --output '%s': want table, json or yaml", optarg);
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			rc = KUP_EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (live.bad)
		goto out;
	if (optind >= argc) {
		cli_error("drain: name at least one node");
		usage(stderr);
		goto out;
	}
	if (cli_live_connect(&live, false) != KUP_EXIT_OK)
		goto out;
	st = kup_drain(live.k, (const char *const *)&argv[optind], (size_t)(argc - optind), &o, &res,
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
