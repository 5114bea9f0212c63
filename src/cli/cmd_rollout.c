/*
 * cmd_rollout.c - `kupgrade rollout check|plan|simulate|policies|scenario`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_live.h"
#include "kupgrade/rollout.h"
#include "kupgrade/report.h"
#include "progress.h"

enum { O_POLICY = 'p', O_SEEDS = 's', O_SURGE = 'S', O_UNAVAIL = 'U', O_PRESCALE = 'P',
       O_PROVIDER = 'R', O_FROM_DUMP = 'd', O_LIVE_GROUP = 3000 };

#define OPT_OUTPUT(values, def)                                                                   \
	{ 'o', 'o', "output", CLI_ARG, "FORMAT", "the result's format", def, CLI_HINT_ENUM, values, \
	  NULL }
#define OPT_BUDGET                                                                                \
	{ O_SURGE, 0, "max-surge", CLI_ARG, "N", "nodes added above the pool's size at once "     \
	  "(overrides the scenario's limit)", NULL, CLI_HINT_NONE, NULL, NULL },                   \
	{ O_UNAVAIL, 0, "max-unavailable", CLI_ARG, "M", "nodes unavailable at once (overrides "  \
	  "the scenario's limit)", NULL, CLI_HINT_NONE, NULL, NULL },                              \
	{ O_PRESCALE, 0, "pre-scale", CLI_NOARG, NULL, "let kupgrade start Deployment "           \
	  "replacements first", NULL, CLI_HINT_NONE, NULL, NULL },                                 \
	{ O_PROVIDER, 0, "provider", CLI_ARG, "NAME", "the provider whose knobs are used", NULL,  \
	  CLI_HINT_ENUM, "eks gke aks capi karpenter openshift", NULL }
#define OPT_SEEDS(def)                                                                            \
	{ O_SEEDS, 0, "seeds", CLI_ARG, "N", "random timings to run (1 to 100000)", def,          \
	  CLI_HINT_NONE, NULL, NULL }
#define OPT_QUIET                                                                                 \
	{ 'q', 'q', "quiet", CLI_NOARG, NULL, "no progress line on stderr (shown only on a "      \
	  "terminal)", NULL, CLI_HINT_NONE, NULL, NULL }

static const struct cli_opt check_opts[] = {
	OPT_OUTPUT("table json yaml", "table"), OPT_BUDGET, OPT_QUIET, CLI_OPT_HELP, CLI_OPT_END,
};
static const struct cli_opt plan_opts[] = {
	OPT_OUTPUT("table json yaml", "table"), OPT_BUDGET, OPT_QUIET, CLI_OPT_HELP,
	{ O_LIVE_GROUP, 0, NULL, CLI_OPT_GROUP, NULL,
	  "The live cluster instead of SCENARIO (its scenario as `rollout scenario --context` "
	  "derives it)", NULL, CLI_HINT_NONE, NULL, cli_live_opts },
	CLI_OPT_END,
};
static const struct cli_opt simulate_opts[] = {
	{ O_POLICY, 0, "policy", CLI_ARG, "NAME|all", "the policies to run (see 'rollout policies')",
	  "all", CLI_HINT_NONE, NULL, NULL },
	OPT_SEEDS("20"), OPT_OUTPUT("table json yaml csv", "table"), OPT_BUDGET, OPT_QUIET,
	CLI_OPT_HELP, CLI_OPT_END,
};
static const struct cli_opt tune_opts[] = {
	OPT_SEEDS("20"), OPT_OUTPUT("text json yaml", "text"), OPT_BUDGET, OPT_QUIET, CLI_OPT_HELP,
	CLI_OPT_END,
};
static const struct cli_opt policies_opts[] = {
	CLI_OPT_HELP, CLI_OPT_END,
};
static const struct cli_opt scenario_opts[] = {
	{ O_FROM_DUMP, 0, "from-dump", CLI_ARG, "DUMP",
	  "`kubectl get nodes,pods,replicasets,deployments,statefulsets,daemonsets,pdb -A -o json` "
	  "or a snapshot file", NULL, CLI_HINT_FILE, NULL, NULL },
	CLI_OPT_HELP,
	{ O_LIVE_GROUP, 0, NULL, CLI_OPT_GROUP, NULL,
	  "The live cluster (a snapshot in a temporary file)", NULL, CLI_HINT_NONE, NULL,
	  cli_live_opts },
	CLI_OPT_END,
};

static const struct cli_cmd ro_check = {
	"rollout check", "SCENARIO [-o table|json|yaml]",
	"name every blocker before the roll starts (exit 3 when one would stop it)", NULL,
	check_opts, CLI_HINT_FILE, NULL, NULL, NULL,
};
static const struct cli_cmd ro_plan = {
	"rollout plan", "SCENARIO [-o table|json|yaml]\n--context NAME [--kubeconfig FILE] "
	"[--max-surge N] [--max-unavailable M] [-o table|json|yaml]",
	"the kupgrade policy's steps on the scenario's seed, with expected times",
	"With --context, --kubeconfig or --live the scenario is derived from the live cluster "
	"(as `rollout scenario --context` derives it; set the budget with --max-surge and "
	"--max-unavailable).",
	plan_opts, CLI_HINT_FILE, NULL, NULL, NULL,
};
static const struct cli_cmd ro_simulate = {
	"rollout simulate",
	"SCENARIO [--policy NAME|all] [--seeds N] [--max-surge N] [--max-unavailable M] "
	"[--pre-scale] [-q] [-o table|json|yaml|csv]",
	"run the policies side by side on the same workloads and random timings",
	"Each provider runs at its documented defaults and at the budget (the scenario's limits, "
	"or --max-surge / --max-unavailable), kupgrade at the budget; --pre-scale lets kupgrade "
	"start Deployment replacements first.",
	simulate_opts, CLI_HINT_FILE, NULL, NULL, NULL,
};
static const struct cli_cmd ro_tune = {
	"rollout tune",
	"SCENARIO --provider eks|gke|aks|capi|karpenter|openshift [--max-surge N] "
	"[--max-unavailable M] [--seeds N] [-o text|json|yaml]",
	"the fastest setting of a provider's own knobs within the budget",
	"The fastest setting of a provider's own knobs within the budget with 0 PDB-violation "
	"seconds, and the provider's command that sets it.",
	tune_opts, CLI_HINT_FILE, NULL, NULL, NULL,
};
static const struct cli_cmd ro_policies = {
	"rollout policies", "", "the policies, what they do and their sources", NULL,
	policies_opts, CLI_HINT_NONE, NULL, NULL, NULL,
};
static const struct cli_cmd ro_scenario = {
	"rollout scenario",
	"--from-dump DUMP\n--context NAME [--kubeconfig FILE]",
	"derive a RolloutScenario from a dump, a snapshot or the live cluster",
	"Derives a RolloutScenario from `kubectl get nodes,pods,replicasets,deployments,"
	"statefulsets,daemonsets,pdb -A -o json` or a snapshot file, or from the live cluster "
	"(--context, --kubeconfig, --live: a snapshot in a temporary file).",
	scenario_opts, CLI_HINT_NONE, NULL, NULL, NULL,
};

static const struct cli_opt rollout_opts[] = { CLI_OPT_HELP, CLI_OPT_END };
static const struct cli_cmd *const rollout_subs[] = {
	&ro_check, &ro_plan, &ro_simulate, &ro_tune, &cli_cmd_rollout_run, &ro_policies,
	&ro_scenario, NULL,
};

const struct cli_cmd cli_cmd_rollout = {
	"rollout", "SUBCOMMAND [options]",
	"plan, simulate, tune and run zero-downtime node-pool upgrades",
	"Run 'kupgrade rollout SUBCOMMAND --help' for the options of each.",
	rollout_opts, CLI_HINT_NONE, NULL, NULL, rollout_subs,
};

static struct kup_ro_scenario *load(const char *path)
{
	struct kup_ro_scenario *sc = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	if (kup_ro_scenario_load(path, &sc, &err) != KUP_OK) {
		cli_print_error(&err);
		kup_error_release(&err);
		return NULL;
	}
	kup_error_release(&err);
	return sc;
}

/* Numbers as JSON: integers without a fraction, others with one decimal. */
static void json_num(struct kup_buf *b, double v)
{
	if (v == (double)(long long)v)
		kup_buf_addf(b, "%lld", (long long)v);
	else
		kup_buf_addf(b, "%.1f", v);
}

/* -o yaml: the JSON document written as YAML (parse_common sets it) */
static bool want_yaml;

static int flush(struct kup_buf *b)
{
	if (want_yaml && !b->oom && !cli_json_as_yaml(b)) {
		kup_buf_release(b);
		return KUP_EXIT_ERROR;
	}
	if (b->oom) {
		cli_error("out of memory");
		kup_buf_release(b);
		return KUP_EXIT_ERROR;
	}
	if (b->len)
		fwrite(b->buf, 1, b->len, stdout);
	kup_buf_release(b);
	return KUP_EXIT_OK;
}

/* The budget flags: -1 = not given. */
struct budget_args {
	int max_surge, max_unavailable;
	bool pre_scale;
	const char *provider;
};

static int parse_count(const char *flag, const char *v, int *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (!*v || *end || n < 0 || n > 1000000) {
		cli_error("%s: expected a number of nodes from 0 to 1000000, not '%s'", flag, v);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* -q/--quiet: no progress line (simulate shows one on a terminal) */
static bool quiet;

/* live: accepts --context/--kubeconfig/--live (then no SCENARIO); NULL: a SCENARIO only */
static int parse_live(const struct cli_cmd *cmd, int argc, char **argv, const char *formats,
		      const char **format, const char **policy, int *seeds, struct budget_args *ba,
		      struct cli_live *live);

static int parse_common(const struct cli_cmd *cmd, int argc, char **argv, const char *formats,
			const char **format, const char **policy, int *seeds, struct budget_args *ba)
{
	return parse_live(cmd, argc, argv, formats, format, policy, seeds, ba, NULL);
}

static int parse_live(const struct cli_cmd *cmd, int argc, char **argv, const char *formats,
		      const char **format, const char **policy, int *seeds, struct budget_args *ba,
		      struct cli_live *live)
{
	struct cli_parse p;
	int c;

	if (ba) {
		ba->max_surge = ba->max_unavailable = -1;
		ba->pre_scale = false;
		ba->provider = NULL;
	}
	cli_parse_init(&p, cmd, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		if (live && cli_live_option(live, c, p.arg)) {
			if (live->bad)
				return -1;
			continue;
		}
		switch (c) {
		case 'o': *format = p.arg; break;
		case 'q': quiet = true; break;
		case 'S':
		case 'U':
		case 'P':
		case 'R':
			if (!ba) {
				cli_usage(cmd, stderr);
				return -1;
			}
			if (c == 'P')
				ba->pre_scale = true;
			else if (c == 'R')
				ba->provider = p.arg;
			else if (parse_count(c == 'S' ? "--max-surge" : "--max-unavailable", p.arg,
					     c == 'S' ? &ba->max_surge : &ba->max_unavailable))
				return -1;
			break;
		case 'p':
			if (!policy) {
				cli_usage(cmd, stderr);
				return -1;
			}
			*policy = p.arg;
			break;
		case 's': {
			char *end;
			long v;
			if (!seeds) {
				cli_usage(cmd, stderr);
				return -1;
			}
			v = strtol(p.arg, &end, 10);
			if (*end || v < 1 || v > 100000) {
				cli_error("--seeds: expected a number from 1 to 100000, not '%s'", p.arg);
				return -1;
			}
			*seeds = (int)v;
			break;
		}
		case 'h': cli_usage(cmd, stdout); return 1;
		default: cli_usage(cmd, stderr); return -1;
		}
	}
	argc = 1 + (int)p.npos;
	if (strcmp(*format, "yaml") == 0 && strstr(formats, "json")) {
		want_yaml = true;
		*format = "json";
	}
	if (!strstr(formats, *format) || strchr(*format, '|')) {
		cli_error("unknown output format '%s' (%s)", *format, formats);
		return -1;
	}
	if (live && cli_live_wanted(live)) {
		if (argc != 1) {
			cli_error("give SCENARIO or a cluster (--context, --kubeconfig, --live), not both");
			return -1;
		}
		return 0;
	}
	if (argc != 2) {
		cli_error(live ? "expected one SCENARIO file (or --context NAME for the live cluster)"
			  : "expected one SCENARIO file");
		cli_usage(cmd, stderr);
		return -1;
	}
	return 0;
}

/* --max-surge / --max-unavailable override the scenario's limits. */
static void apply_budget(struct kup_ro_scenario *sc, const struct budget_args *ba)
{
	if (ba->max_surge >= 0)
		sc->max_surge = ba->max_surge;
	if (ba->max_unavailable >= 0)
		sc->max_unavailable = ba->max_unavailable;
}

static void budget_text(char *buf, size_t n, const struct kup_ro_scenario *sc)
{
	char s[16], u[16];

	if (sc->max_surge >= 0)
		snprintf(s, sizeof(s), "%d", sc->max_surge);
	else
		snprintf(s, sizeof(s), "none");
	if (sc->max_unavailable >= 0)
		snprintf(u, sizeof(u), "%d", sc->max_unavailable);
	else
		snprintf(u, sizeof(u), "none");
	snprintf(buf, n, "maxSurgeNodes %s, maxUnavailableNodes %s", s, u);
}

static const char *sev_name(enum kup_ro_severity s)
{
	return s == KUP_RO_BLOCK ? "BLOCKER" : s == KUP_RO_WARN ? "WARNING" : "INFO";
}

static int rollout_check(int argc, char **argv)
{
	const char *format = "table";
	struct kup_ro_scenario *sc;
	struct kup_ro_findings f;
	struct kup_buf b = KUP_BUF_INIT;
	size_t i, blockers = 0, warnings = 0;
	struct budget_args ba;
	int rc = parse_common(&ro_check, argc, argv, "table|json", &format, NULL, NULL, &ba);

	if (rc)
		return rc > 0 ? KUP_EXIT_OK : KUP_EXIT_ERROR;
	sc = load(argv[1]);
	if (!sc)
		return KUP_EXIT_ERROR;
	apply_budget(sc, &ba);
	if (kup_ro_check(sc, &f) != KUP_OK) {
		cli_error("out of memory");
		kup_ro_scenario_free(sc);
		return KUP_EXIT_ERROR;
	}
	for (i = 0; i < f.n; i++) {
		blockers += f.v[i].sev == KUP_RO_BLOCK;
		warnings += f.v[i].sev == KUP_RO_WARN;
	}
	if (strcmp(format, "json") == 0) {
		kup_buf_adds(&b, "{\"schema_version\": 1, \"scenario\": ");
		kup_json_quote(&b, sc->name ? sc->name : "");
		kup_buf_adds(&b, ", \"findings\": [");
		for (i = 0; i < f.n; i++) {
			kup_buf_adds(&b, i ? ",\n  {\"severity\": " : "\n  {\"severity\": ");
			kup_json_quote(&b, f.v[i].sev == KUP_RO_BLOCK ? "blocker" :
				      f.v[i].sev == KUP_RO_WARN ? "warning" : "info");
			kup_buf_adds(&b, ", \"code\": ");
			kup_json_quote(&b, f.v[i].code ? f.v[i].code : "");
			kup_buf_adds(&b, ", \"object\": ");
			kup_json_quote(&b, f.v[i].object ? f.v[i].object : "");
			kup_buf_adds(&b, ", \"message\": ");
			kup_json_quote(&b, f.v[i].msg ? f.v[i].msg : "");
			kup_buf_adds(&b, "}");
		}
		kup_buf_addf(&b, "%s], \"blockers\": %zu, \"warnings\": %zu}\n", f.n ? "\n" : "",
			     blockers, warnings);
	} else {
		for (i = 0; i < f.n; i++)
			kup_buf_addf(&b, "%-8s %-27s %-28s %s\n", sev_name(f.v[i].sev), f.v[i].code,
				     f.v[i].object ? f.v[i].object : "-", f.v[i].msg);
		kup_buf_addf(&b, "%s: %zu blocker(s), %zu warning(s)\n", sc->name, blockers, warnings);
	}
	kup_ro_findings_release(&f);
	kup_ro_scenario_free(sc);
	rc = flush(&b);
	if (rc)
		return rc;
	return blockers ? KUP_EXIT_REMOVED : KUP_EXIT_OK;
}

static void fmt_time(char *buf, size_t n, double s)
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, n, "%ldh%02ldm%02lds", t / 3600, (t / 60) % 60, t % 60);
	else if (t >= 60)
		snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, n, "%lds", t);
}

/*
 * The live cluster's scenario: a snapshot in a temporary file read as a dump
 * (as `rollout scenario --context`), named after the context.  NULL after an
 * error (printed); *partial when resources were skipped (named on stderr).
 */
static struct kup_ro_scenario *load_live(struct cli_live *live, bool *partial)
{
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf b = KUP_BUF_INIT;
	struct kup_ro_scenario *sc = NULL;
	struct kup_kb *kb = NULL;
	char *text = NULL, *snap = NULL, label[512];
	size_t len = 0;

	*partial = cli_live_snapshot_tmp(live, &snap) == KUP_EXIT_ERROR;
	if (!snap)
		return NULL;
	snprintf(label, sizeof(label), "context %s",
		 live->cfg && live->cfg->context ? live->cfg->context : "(current)");
	kb = cli_load_kb(NULL);
	if (!kb || kup_read_file(snap, (size_t)1 << 30, &text, &len, &err) != KUP_OK ||
	    kup_ro_from_dump(kb, text, len, label, &b, &err) != KUP_OK || b.oom ||
	    kup_ro_scenario_parse(b.buf, b.len, label, &sc, &err) != KUP_OK) {
		if (kb)
			cli_print_error(&err);
		kup_ro_scenario_free(sc);
		sc = NULL;
	}
	kup_kb_free(kb);
	free(text);
	kup_buf_release(&b);
	kup_error_release(&err);
	cli_live_snapshot_remove(snap);
	return sc;
}

static int rollout_plan(int argc, char **argv)
{
	const char *format = "table";
	struct kup_ro_scenario *sc;
	struct kup_ro_plan plan;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf b = KUP_BUF_INIT;
	struct budget_args ba;
	struct cli_live live;
	bool partial = false;
	size_t i;
	int k, rc;

	cli_live_init(&live);
	rc = parse_live(&ro_plan, argc, argv, "table|json", &format, NULL, NULL, &ba, &live);
	if (rc) {
		cli_live_release(&live);
		return rc > 0 ? KUP_EXIT_OK : KUP_EXIT_ERROR;
	}
	sc = cli_live_wanted(&live) ? load_live(&live, &partial) : load(argv[1]);
	cli_live_release(&live);
	if (!sc)
		return KUP_EXIT_ERROR;
	apply_budget(sc, &ba);
	if (kup_ro_plan(sc, &plan, &err) != KUP_OK) {
		cli_print_error(&err);
		kup_error_release(&err);
		kup_ro_scenario_free(sc);
		return KUP_EXIT_ERROR;
	}
	if (strcmp(format, "json") == 0) {
		kup_buf_adds(&b, "{\"schema_version\": 1, \"scenario\": ");
		kup_json_quote(&b, sc->name ? sc->name : "");
		kup_buf_addf(&b, ", \"policy\": \"kupgrade\", \"seed\": %llu, \"makespan_s\": ",
			     (unsigned long long)sc->seed);
		json_num(&b, plan.m.makespan_s);
		kup_buf_adds(&b, ", \"lower_bound_s\": ");
		json_num(&b, kup_ro_lower_bound(sc, sc->seed));
		kup_buf_adds(&b, ", \"steps\": [");
		for (i = 0; i < plan.n; i++) {
			const struct kup_ro_batch *bt = &plan.v[i];
			kup_buf_addf(&b, "%s{\"step\": %d, \"start_s\": ", i ? ",\n  " : "\n  ", bt->index);
			json_num(&b, bt->start_s);
			kup_buf_adds(&b, ", \"end_s\": ");
			json_num(&b, bt->end_s);
			kup_buf_adds(&b, ", \"nodes\": [");
			for (k = 0; k < bt->nnodes; k++) {
				const char *nm = kup_ro_node_name(sc, bt->nodes[k]);
				kup_buf_adds(&b, k ? ", " : "");
				if (nm)
					kup_json_quote(&b, nm);
				else
					kup_buf_addf(&b, "\"node-%d\"", bt->nodes[k]);
			}
			kup_buf_adds(&b, "]}");
		}
		kup_buf_addf(&b, "%s]}\n", plan.n ? "\n" : "");
	} else {
		char t0[32], t1[32];
		kup_buf_addf(&b, "plan for %s (policy kupgrade, seed %llu): %zu steps\n", sc->name,
			     (unsigned long long)sc->seed, plan.n);
		kup_buf_addf(&b, "%-5s %-10s %-10s %-6s %s\n", "STEP", "START", "DONE", "NODES",
			     "OLD NODES DRAINED");
		for (i = 0; i < plan.n; i++) {
			const struct kup_ro_batch *bt = &plan.v[i];
			fmt_time(t0, sizeof(t0), bt->start_s);
			fmt_time(t1, sizeof(t1), bt->end_s);
			kup_buf_addf(&b, "%-5d %-10s %-10s %-6d ", bt->index, t0, t1, bt->nnodes);
			for (k = 0; k < bt->nnodes && k < 8; k++) {
				const char *nm = kup_ro_node_name(sc, bt->nodes[k]);
				if (nm)
					kup_buf_addf(&b, "%s%s", k ? " " : "", nm);
				else
					kup_buf_addf(&b, "%snode-%d", k ? " " : "", bt->nodes[k]);
			}
			if (bt->nnodes > 8)
				kup_buf_addf(&b, " +%d more", bt->nnodes - 8);
			kup_buf_addc(&b, '\n');
		}
		fmt_time(t0, sizeof(t0), plan.m.makespan_s);
		fmt_time(t1, sizeof(t1), kup_ro_lower_bound(sc, sc->seed));
		kup_buf_addf(&b, "expected makespan %s (lower bound %s), peak extra nodes %d, "
			     "PDB violation %.0f s, deficit %.0f pod-s, quarantined %d\n", t0, t1,
			     plan.m.peak_extra_nodes, plan.m.pdb_violation_s, plan.m.deficit_pod_s,
			     plan.m.quarantined);
	}
	rc = plan.m.failed || plan.m.quarantined ? KUP_EXIT_REMOVED : KUP_EXIT_OK;
	if (partial)
		rc = KUP_EXIT_ERROR;   /* resources skipped: the scenario may miss workloads */
	kup_ro_plan_release(&plan);
	kup_ro_scenario_free(sc);
	kup_error_release(&err);
	if (flush(&b))
		return KUP_EXIT_ERROR;
	return rc;
}

/* A limit: its number, or null when not set. */
static void json_limit(struct kup_buf *b, int v)
{
	if (v >= 0)
		kup_buf_addf(b, "%d", v);
	else
		kup_buf_adds(b, "null");
}

static void summary_json(struct kup_buf *b, const struct kup_ro_summary *s, bool first)
{
	kup_buf_adds(b, first ? "{\"policy\": " : ",\n  {\"policy\": ");
	kup_json_quote(b, s->policy ? s->policy : "");
	kup_buf_adds(b, ", \"budget\": ");
	kup_json_quote(b, s->equal ? "equal" : "default");
	kup_buf_addf(b, ", \"seeds\": %d,\n   \"makespan_s\": {\"median\": ", s->seeds);
	json_num(b, s->makespan_median);
	kup_buf_adds(b, ", \"p90\": ");
	json_num(b, s->makespan_p90);
	kup_buf_adds(b, "}, \"pdb_violation_s\": ");
	json_num(b, s->pdb_violation_s);
	kup_buf_adds(b, ", \"deficit_pod_s\": ");
	json_num(b, s->deficit_pod_s);
	kup_buf_adds(b, ",\n   \"write_unavailable_s\": ");
	json_num(b, s->write_unavailable_s);
	kup_buf_addf(b, ", \"peak_extra_nodes\": %d, \"peak_unavailable_nodes\": %d, "
		     "\"min_ready_nodes\": %d, \"node_hours\": ", s->peak_extra_nodes,
		     s->peak_unavailable_nodes, s->min_ready_nodes);
	json_num(b, s->node_hours);
	kup_buf_adds(b, ",\n   \"extra_pod_starts\": ");
	json_num(b, s->extra_pod_starts);
	kup_buf_adds(b, ", \"double_evictions\": ");
	json_num(b, s->double_evictions);
	kup_buf_adds(b, ", \"stuck_drains\": ");
	json_num(b, s->stuck_drains);
	kup_buf_adds(b, ", \"forced_deletions\": ");
	json_num(b, s->forced_deletions);
	kup_buf_addf(b, ", \"failed_runs\": %d", s->failed_runs);
	if (s->fail_reason) {
		kup_buf_adds(b, ", \"fail_reason\": ");
		kup_json_quote(b, s->fail_reason);
	}
	if (s->blocker) {
		kup_buf_adds(b, ", \"blocker\": ");
		kup_json_quote(b, s->blocker);
	}
	kup_buf_adds(b, "}");
}

struct sim_progress {
	struct cli_progress pg;
	const char *policy;
	size_t run, runs;
};

static void on_seed(void *ctx, int done, int seeds)
{
	struct sim_progress *sp = ctx;

	cli_progress_update(&sp->pg, "simulating: %s (%zu of %zu), seed %d of %d", sp->policy,
			    sp->run, sp->runs, done, seeds);
}

static int rollout_simulate(int argc, char **argv)
{
	struct sim_progress sp;
	const char *format = "table", *policy = "all";
	struct kup_ro_scenario *sc;
	struct kup_ro_summary *sum;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf b = KUP_BUF_INIT;
	struct budget_args ba;
	size_t i, n = 0;
	int pass, seeds = 20;
	int rc = parse_common(&ro_simulate, argc, argv, "table|json|csv", &format, &policy, &seeds, &ba);
	char budget[128];

	if (rc)
		return rc > 0 ? KUP_EXIT_OK : KUP_EXIT_ERROR;
	if (strcmp(policy, "all") != 0 && !kup_ro_policy_find(policy)) {
		cli_error("unknown policy '%s' (see `%s rollout policies`)", policy, kup_cli_name);
		return KUP_EXIT_ERROR;
	}
	sc = load(argv[1]);
	if (!sc)
		return KUP_EXIT_ERROR;
	apply_budget(sc, &ba);
	budget_text(budget, sizeof(budget), sc);
	sum = kup_calloc(2 * kup_ro_policy_count(), sizeof(*sum));
	if (!sum) {
		kup_ro_scenario_free(sc);
		cli_error("out of memory");
		return KUP_EXIT_ERROR;
	}
	cli_progress_init(&sp.pg, quiet);
	sp.runs = 0;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < kup_ro_policy_count(); i++) {
			const struct kup_ro_policy *p = kup_ro_policy_at(i);
			if ((strcmp(policy, "all") == 0 || strcmp(policy, p->name) == 0) &&
			    !(pass == 0 && p->mode == KUP_RO_MODE_KUPGRADE))
				sp.runs++;
		}
	/* providers at their documented defaults, then every policy at the budget */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < kup_ro_policy_count(); i++) {
			const struct kup_ro_policy *p = kup_ro_policy_at(i);
			struct kup_ro_opts opts = { pass == 1, ba.pre_scale, false, on_seed, &sp };
			if (strcmp(policy, "all") != 0 && strcmp(policy, p->name) != 0)
				continue;
			if (pass == 0 && p->mode == KUP_RO_MODE_KUPGRADE)
				continue;   /* kupgrade has no defaults but the budget */
			sp.policy = p->name;
			sp.run = n + 1;
			if (kup_ro_simulate_seeds(sc, p, &opts, seeds, &sum[n], &err) != KUP_OK) {
				cli_progress_end(&sp.pg);
				cli_print_error(&err);
				kup_error_release(&err);
				free(sum);
				kup_ro_scenario_free(sc);
				return KUP_EXIT_ERROR;
			}
			n++;
		}
	}
	cli_progress_end(&sp.pg);
	if (strcmp(format, "json") == 0) {
		kup_buf_adds(&b, "{\"schema_version\": 1, \"scenario\": ");
		kup_json_quote(&b, sc->name ? sc->name : "");
		kup_buf_adds(&b, ", \"limits\": {\"maxSurgeNodes\": ");
		json_limit(&b, sc->max_surge);
		kup_buf_adds(&b, ", \"maxUnavailableNodes\": ");
		json_limit(&b, sc->max_unavailable);
		kup_buf_addf(&b, "}, \"pre_scale\": %s,\n \"results\": [",
			     ba.pre_scale ? "true" : "false");
		for (i = 0; i < n; i++)
			summary_json(&b, &sum[i], i == 0);
		kup_buf_adds(&b, "]}\n");
	} else if (strcmp(format, "csv") == 0) {
		kup_buf_adds(&b, "policy,seeds,makespan_median_s,makespan_p90_s,pdb_violation_s,"
			     "deficit_pod_s,write_unavailable_s,peak_extra_nodes,node_hours,"
			     "double_evictions,stuck_drains,forced_deletions,failed_runs,estimate_s,"
			     "lower_bound_s,makespan_over_lower_bound,budget,peak_unavailable_nodes,"
			     "min_ready_nodes,extra_pod_starts\n");
		for (i = 0; i < n; i++) {
			const struct kup_ro_summary *s = &sum[i];
			kup_csv_field(&b, s->policy);
			kup_buf_addf(&b, ",%d,%.1f,%.1f,%.1f,%.1f,%.1f,%d,%.2f,%.2f,%.2f,%.2f,%d,%.1f,%.1f,%.3f,"
				     "%s,%d,%d,%.1f\n",
				     s->seeds, s->makespan_median, s->makespan_p90,
				     s->pdb_violation_s, s->deficit_pod_s, s->write_unavailable_s,
				     s->peak_extra_nodes, s->node_hours, s->double_evictions,
				     s->stuck_drains, s->forced_deletions, s->failed_runs,
				     s->estimate_s, s->lower_bound_median, s->ratio_lb_median,
				     s->equal ? "equal" : "default", s->peak_unavailable_nodes,
				     s->min_ready_nodes, s->extra_pod_starts);
		}
	} else {
		char t0[32], t1[32], t2[32];
		kup_buf_addf(&b, "scenario %s, %d seed(s) from %llu; times are medians (p90)\n"
			     "budget: %s%s\n", sc->name, seeds, (unsigned long long)sc->seed, budget,
			     ba.pre_scale ? "; --pre-scale" : "");
		kup_buf_addf(&b, "%-15s %-7s %-21s %-10s %8s %10s %8s %5s %5s %6s %8s %6s %6s %6s %s\n",
			     "POLICY", "BUDGET", "MAKESPAN (P90)", "ESTIMATE", "PDB-VIOL", "DEFICIT",
			     "WRITE-UN", "EXTRA", "UNAV", "XPODS", "NODE-H", "2xEVIC", "STUCK", "FORCED",
			     "FAILED");
		for (i = 0; i < n; i++) {
			const struct kup_ro_summary *s = &sum[i];
			char mk[80];
			fmt_time(t0, sizeof(t0), s->makespan_median);
			fmt_time(t1, sizeof(t1), s->makespan_p90);
			fmt_time(t2, sizeof(t2), s->estimate_s);
			snprintf(mk, sizeof(mk), "%s (%s)", t0, t1);
			kup_buf_addf(&b, "%-15s %-7s %-21s %-10s %8.0f %10.0f %8.0f %5d %5d %6.0f %8.1f %6.1f %6.1f %6.1f %d/%d",
				     s->policy, s->equal ? "equal" : "default", mk, t2,
				     s->pdb_violation_s, s->deficit_pod_s, s->write_unavailable_s,
				     s->peak_extra_nodes, s->peak_unavailable_nodes, s->extra_pod_starts,
				     s->node_hours, s->double_evictions, s->stuck_drains,
				     s->forced_deletions, s->failed_runs, s->seeds);
			if (s->fail_reason)
				kup_buf_addf(&b, " %s", s->fail_reason);
			if (s->blocker)
				kup_buf_addf(&b, " (blocked by the PDB of %s)", s->blocker);
			kup_buf_addc(&b, '\n');
		}
		fmt_time(t0, sizeof(t0), n ? sum[n - 1].lower_bound_median : 0);
		kup_buf_addf(&b, "lower bound on the makespan under the budget (docs/rollout.md), median "
			     "over the seeds: %s\n", t0);
	}
	free(sum);
	kup_ro_scenario_free(sc);
	return flush(&b);
}

/* The knobs of a provider policy, as the provider names them. */
static void json_settings(struct kup_buf *b, const struct kup_ro_policy *p)
{
	kup_ro_tune_settings(p, true, b);
}

static void on_tune(void *ctx, int setting, int seed, int seeds, double best_s)
{
	struct sim_progress *sp = ctx;
	char best[32] = "none yet";

	if (best_s >= 0)
		fmt_time(best, sizeof(best), best_s);
	if (setting == 0)
		cli_progress_update(&sp->pg, "tuning %s: the documented defaults, seed %d of %d", sp->policy,
				    seed, seeds);
	else
		cli_progress_update(&sp->pg, "tuning %s: setting %d, seed %d of %d; best so far %s",
				    sp->policy, setting, seed, seeds, best);
}

static int rollout_tune(int argc, char **argv)
{
	struct sim_progress sp;
	const char *format = "text";
	struct kup_ro_scenario *sc;
	struct kup_ro_tune t;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf b = KUP_BUF_INIT, cmd = KUP_BUF_INIT;
	struct budget_args ba;
	int seeds = 20, rc = parse_common(&ro_tune, argc, argv, "text|json", &format, NULL, &seeds, &ba);
	const char *pool;
	char budget[128], t0[32], t1[32];
	enum kup_status st;

	if (rc)
		return rc > 0 ? KUP_EXIT_OK : KUP_EXIT_ERROR;
	if (!ba.provider) {
		cli_error("expected --provider eks|gke|aks|capi|karpenter|openshift");
		return KUP_EXIT_ERROR;
	}
	sc = load(argv[1]);
	if (!sc)
		return KUP_EXIT_ERROR;
	apply_budget(sc, &ba);
	memset(&sp, 0, sizeof(sp));
	sp.policy = ba.provider;
	cli_progress_init(&sp.pg, quiet);
	st = kup_ro_tune_progress(sc, ba.provider, seeds, on_tune, &sp, &t, &err);
	cli_progress_end(&sp.pg);
	if (st != KUP_OK) {
		cli_print_error(&err);
		kup_error_release(&err);
		kup_ro_scenario_free(sc);
		return KUP_EXIT_ERROR;
	}
	pool = sc->npools ? sc->pools[0].name : NULL;
	if (t.found)
		kup_ro_tune_command(&t, pool, &cmd);
	budget_text(budget, sizeof(budget), sc);
	if (strcmp(format, "json") == 0) {
		kup_buf_adds(&b, "{\"schema_version\": 1, \"scenario\": ");
		kup_json_quote(&b, sc->name ? sc->name : "");
		kup_buf_adds(&b, ", \"provider\": ");
		kup_json_quote(&b, t.provider ? t.provider : "");
		kup_buf_addf(&b, ", \"seeds\": %d, \"limits\": {\"maxSurgeNodes\": %d, "
			     "\"maxUnavailableNodes\": %d}, \"tried\": %d,\n \"default\": {\"settings\": ",
			     t.seeds, sc->max_surge, sc->max_unavailable, t.tried);
		json_settings(&b, &t.def);
		kup_buf_adds(&b, ", \"makespan_s\": {\"median\": ");
		json_num(&b, t.def_sum.makespan_median);
		kup_buf_adds(&b, ", \"p90\": ");
		json_num(&b, t.def_sum.makespan_p90);
		kup_buf_adds(&b, "}, \"pdb_violation_s\": ");
		json_num(&b, t.def_sum.pdb_violation_s);
		kup_buf_addf(&b, ", \"peak_extra_nodes\": %d, \"peak_unavailable_nodes\": %d, "
			     "\"failed_runs\": %d},\n \"tuned\": ", t.def_sum.peak_extra_nodes,
			     t.def_sum.peak_unavailable_nodes, t.def_sum.failed_runs);
		if (t.found) {
			kup_buf_adds(&b, "{\"settings\": ");
			json_settings(&b, &t.tuned);
			kup_buf_adds(&b, ", \"makespan_s\": {\"median\": ");
			json_num(&b, t.tuned_sum.makespan_median);
			kup_buf_adds(&b, ", \"p90\": ");
			json_num(&b, t.tuned_sum.makespan_p90);
			kup_buf_adds(&b, "}, \"pdb_violation_s\": ");
			json_num(&b, t.tuned_sum.pdb_violation_s);
			kup_buf_addf(&b, ", \"peak_extra_nodes\": %d, \"peak_unavailable_nodes\": %d}",
				     t.tuned_sum.peak_extra_nodes, t.tuned_sum.peak_unavailable_nodes);
			kup_buf_adds(&b, ",\n \"commands\": [");
			kup_json_quote(&b, cmd.buf ? cmd.buf : "");
			kup_buf_adds(&b, "]}\n");
		} else {
			kup_buf_adds(&b, "null,\n \"commands\": []}\n");
		}
	} else {
		fmt_time(t0, sizeof(t0), t.def_sum.makespan_median);
		kup_buf_addf(&b, "%s on %s, %d seed(s), budget: %s\n", t.provider, sc->name, t.seeds,
			     budget);
		kup_buf_addf(&b, "default: %s median, PDB violation %.0f s, %d extra and %d unavailable "
			     "nodes at the peak%s\n", t0, t.def_sum.pdb_violation_s,
			     t.def_sum.peak_extra_nodes, t.def_sum.peak_unavailable_nodes,
			     t.def_sum.failed_runs ? ", failed on some seeds" : "");
		if (t.found) {
			fmt_time(t0, sizeof(t0), t.tuned_sum.makespan_median);
			fmt_time(t1, sizeof(t1), t.tuned_sum.makespan_p90);
			kup_buf_addf(&b, "tuned:   %s median (p90 %s), PDB violation %.0f s, %d extra and %d "
				     "unavailable nodes at the peak; %d settings tried\n", t0, t1,
				     t.tuned_sum.pdb_violation_s, t.tuned_sum.peak_extra_nodes,
				     t.tuned_sum.peak_unavailable_nodes, t.tried);
			kup_buf_addf(&b, "  %s\n", cmd.buf);
		} else {
			kup_buf_addf(&b, "tuned:   no setting within the budget finishes with 0 PDB-violation "
				     "seconds on every seed (%d tried)\n", t.tried);
		}
	}
	kup_buf_release(&cmd);
	kup_ro_scenario_free(sc);
	kup_error_release(&err);
	rc = flush(&b);
	if (rc)
		return rc;
	return t.found ? KUP_EXIT_OK : KUP_EXIT_REMOVED;
}

static int rollout_policies(int argc, char **argv)
{
	struct kup_buf b = KUP_BUF_INIT;
	struct cli_parse pa;
	size_t i;
	int c;

	cli_parse_init(&pa, &ro_policies, argc, argv);
	while ((c = cli_parse_next(&pa)) != -1) {
		if (c == 'h') {
			cli_usage(&ro_policies, stdout);
			return KUP_EXIT_OK;
		}
		cli_usage(&ro_policies, stderr);
		return KUP_EXIT_ERROR;
	}

	for (i = 0; i < kup_ro_policy_count(); i++) {
		const struct kup_ro_policy *p = kup_ro_policy_at(i);
		const char *sep = "";

		kup_buf_addf(&b, "%s\n  %s\n  defaults: ", p->name, p->summary);
		if (p->max_surge.set) {
			kup_buf_addf(&b, "maxSurge %lld%s", (long long)p->max_surge.value,
				     p->max_surge.pct ? "%" : "");
			sep = ", ";
		}
		if (p->max_unavailable.set) {
			kup_buf_addf(&b, "%smaxUnavailable %lld%s", sep, (long long)p->max_unavailable.value,
				     p->max_unavailable.pct ? "%" : "");
			sep = ", ";
		}
		if (p->drain_timeout > 0)
			kup_buf_addf(&b, "%sdrain timeout %.0f s, then %s%s%s%s", sep, p->drain_timeout,
				     p->on_timeout == KUP_RO_TIMEOUT_FORCE ? "force"
				     : p->on_timeout == KUP_RO_TIMEOUT_QUARANTINE ? "quarantine" : "fail",
				     p->timeout_error ? " (" : "", p->timeout_error ? p->timeout_error : "",
				     p->timeout_error ? ")" : "");
		else
			kup_buf_addf(&b, "%sno drain timeout", sep);
		kup_buf_addf(&b, "\n  source: %s\n", p->source);
	}
	return flush(&b);
}

static int rollout_scenario(int argc, char **argv)
{
	struct cli_parse p;
	const char *dump = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf b = KUP_BUF_INIT;
	struct cli_live live;
	struct kup_kb *kb = NULL;
	char *text = NULL, *snap = NULL, label[512];
	size_t len = 0;
	int c, rc;

	cli_live_init(&live);
	cli_parse_init(&p, &ro_scenario, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		if (cli_live_option(&live, c, p.arg)) {
			if (live.bad)
				return KUP_EXIT_ERROR;
			continue;
		}
		switch (c) {
		case 'd': dump = p.arg; break;
		case 'h': cli_usage(&ro_scenario, stdout); return KUP_EXIT_OK;
		default: cli_usage(&ro_scenario, stderr); return KUP_EXIT_ERROR;
		}
	}
	argc = 1 + (int)p.npos;
	if (!dump == !cli_live_wanted(&live) || argc != 1) {
		cli_error("expected --from-dump DUMP or a cluster (--context, --kubeconfig, --live)");
		return KUP_EXIT_ERROR;
	}
	if (!dump) {
		/* the live cluster: a snapshot in a temporary file, read as a dump */
		rc = cli_live_snapshot_tmp(&live, &snap);
		/* the scenario names the context, not the temporary file */
		snprintf(label, sizeof(label), "context %s",
			 live.cfg && live.cfg->context ? live.cfg->context : "(current)");
		cli_live_release(&live);
		if (!snap)
			return KUP_EXIT_ERROR;
		dump = snap;
	} else {
		rc = KUP_EXIT_OK;
	}
	kb = cli_load_kb(NULL);
	if (!kb || kup_read_file(dump, (size_t)1 << 30, &text, &len, &err) != KUP_OK ||
	    kup_ro_from_dump(kb, text, len, snap ? label : dump, &b, &err) != KUP_OK) {
		if (kb)
			cli_print_error(&err);
		kup_kb_free(kb);
		kup_error_release(&err);
		free(text);
		kup_buf_release(&b);
		cli_live_snapshot_remove(snap);
		return KUP_EXIT_ERROR;
	}
	kup_kb_free(kb);
	free(text);
	kup_error_release(&err);
	cli_live_snapshot_remove(snap);
	c = flush(&b);
	return rc == KUP_EXIT_ERROR ? KUP_EXIT_ERROR : c;
}

static int dispatch(int argc, char **argv, const char *sub)
{
	if (strcmp(sub, "check") == 0)
		return rollout_check(argc - 1, argv + 1);
	if (strcmp(sub, "plan") == 0)
		return rollout_plan(argc - 1, argv + 1);
	if (strcmp(sub, "simulate") == 0)
		return rollout_simulate(argc - 1, argv + 1);
	if (strcmp(sub, "run") == 0)
		return cmd_rollout_run(argc - 1, argv + 1);
	if (strcmp(sub, "tune") == 0)
		return rollout_tune(argc - 1, argv + 1);
	return rollout_policies(argc - 1, argv + 1);
}

int cmd_rollout(int argc, char **argv)
{
	const char *sub;

	if (argc < 2) {
		cli_usage(&cli_cmd_rollout, stderr);
		return KUP_EXIT_ERROR;
	}
	sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
		cli_usage(&cli_cmd_rollout, stdout);
		return KUP_EXIT_OK;
	}
	if (strcmp(sub, "check") == 0 || strcmp(sub, "plan") == 0 || strcmp(sub, "simulate") == 0 ||
	    strcmp(sub, "run") == 0 || strcmp(sub, "tune") == 0 || strcmp(sub, "policies") == 0) {
		/* the providers' defaults of the simulator's policies: the node_upgrade rows of
		 * the knowledge base plan uses (the installed one when newer), one source */
		struct kup_error err = KUP_ERROR_INIT;
		struct kup_kb *kb = cli_load_kb(NULL);
		int rc;

		if (!kb)
			return KUP_EXIT_ERROR;
		if (kup_ro_policies_from_kb(kb, &err) != KUP_OK) {
			cli_error("%s", err.msg ? err.msg : "the knowledge base has no node_upgrade rows");
			kup_error_release(&err);
			kup_kb_free(kb);
			return KUP_EXIT_ERROR;
		}
		rc = dispatch(argc, argv, sub);
		(void)kup_ro_policies_from_kb(NULL, NULL);
		kup_kb_free(kb);
		return rc;
	}
	if (strcmp(sub, "scenario") == 0)
		return rollout_scenario(argc - 1, argv + 1);
	cli_error("unknown rollout subcommand '%s' (check, plan, simulate, tune, run, policies, scenario)", sub);
	return KUP_EXIT_ERROR;
}
