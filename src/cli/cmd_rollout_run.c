/*
 * cmd_rollout_run.c - `kupgrade rollout run`: a node-pool roll on a live
 * cluster through an exec provider, its state in the fleet store.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "cli_live.h"
#include "kupgrade/dump.h"
#include "kupgrade/fleet.h"
#include "kupgrade/kb.h"
#include "kupgrade/json.h"
#include "kupgrade/node.h"
#include "kupgrade/report.h"
#include "kupgrade/rollout.h"
#include "kupgrade/store.h"

static volatile sig_atomic_t stop_signal;
static bool in_place_line;   /* the status line of an in-place roll */

static void on_signal(int sig)
{
	stop_signal = sig;
}

enum {
	O_POOL = 2000, O_SELECTOR, O_TO, O_PROVIDER, O_PROVISION, O_RETIRE,
	O_MAX_SURGE, O_MAX_UNAVAILABLE, O_DRAIN_TIMEOUT, O_PROVISION_TIMEOUT, O_POLICY,
	O_STATE, O_RESUME, O_ABORT, O_DRY_RUN, O_LIVE_GROUP, O_UPGRADE, O_UPGRADE_TIMEOUT,
};

static const struct cli_opt run_opts[] = {
	{ O_POOL, 0, "pool", CLI_ARG, "NAME",
	  "nodes with a node-pool label of that value (kupgrade.dev/pool, or a provider's pool label "
	  "from the knowledge base: EKS, Karpenter, GKE, AKS)",
	  NULL, CLI_HINT_NONE, NULL, NULL },
	{ O_SELECTOR, 0, "selector", CLI_ARG, "LABELS", "nodes matching a label selector instead",
	  NULL, CLI_HINT_NONE, NULL, NULL },
	{ O_TO, 0, "to", CLI_ARG, "VERSION", "the kubelet version the new nodes run", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ O_PROVIDER, 0, "provider", CLI_ARG, "exec", "how nodes are made and retired", NULL,
	  CLI_HINT_ENUM, "exec", NULL },
	{ O_PROVISION, 0, "provision", CLI_ARG, "CMD",
	  "makes one node: 'CMD {pool} {zone} {version}'; its last stdout line names the node",
	  NULL, CLI_HINT_NONE, NULL, NULL },
	{ O_RETIRE, 0, "retire", CLI_ARG, "CMD", "retires one drained node: 'CMD {node}'", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ O_UPGRADE, 0, "upgrade", CLI_ARG, "CMD",
	  "in place (kubeadm, self-managed), instead of --provision and --retire: upgrades one "
	  "drained node, 'CMD {node} {version}'; the node is uncordoned once Ready at VERSION",
	  NULL, CLI_HINT_NONE, NULL, NULL },
	{ O_UPGRADE_TIMEOUT, 0, "upgrade-timeout", CLI_ARG, "DURATION",
	  "per upgrade command, and again for the node to be Ready at VERSION after it", "10m",
	  CLI_HINT_NONE, NULL, NULL },
	{ O_MAX_SURGE, 0, "max-surge", CLI_ARG, "N", "nodes made before old ones go (required for a roll; "
	  "0 or left out with --upgrade)", NULL, CLI_HINT_NONE, NULL, NULL },
	{ O_MAX_UNAVAILABLE, 0, "max-unavailable", CLI_ARG, "M", "nodes drained at once (required for a roll; "
	  "at least 1 with --upgrade)", NULL, CLI_HINT_NONE, NULL, NULL },
	{ O_DRAIN_TIMEOUT, 0, "drain-timeout", CLI_ARG, "DURATION", "per node (30s, 15m, 1h)",
	  "15m", CLI_HINT_NONE, NULL, NULL },
	{ O_PROVISION_TIMEOUT, 0, "provision-timeout", CLI_ARG, "DURATION",
	  "per provision command", "10m", CLI_HINT_NONE, NULL, NULL },
	{ O_POLICY, 0, "policy", CLI_ARG, "NAME",
	  "kupgrade (old nodes tainted PreferNoSchedule, zone-matched replacements, a blocked "
	  "drain quarantined after the drain timeout), capi (random order, a blocked drain fails "
	  "the roll) or eks (surge nodes Ready first, then S + M drains at a time, each node "
	  "terminated 60 s after its drain), all at the same budget", "kupgrade", CLI_HINT_ENUM,
	  "kupgrade capi eks", NULL },
	{ O_STATE, 0, "state", CLI_ARG, "URL", "where the roll is recorded: sqlite:PATH or "
	  "postgresql://...", "sqlite:kupgrade-rollout.db", CLI_HINT_NONE, NULL, NULL },
	{ O_RESUME, 0, "resume", CLI_NOARG, NULL,
	  "carry on the roll recorded in the state (after a crash or kill -9: nothing runs twice)",
	  NULL, CLI_HINT_NONE, NULL, NULL },
	{ O_ABORT, 0, "abort", CLI_NOARG, NULL,
	  "stop the recorded roll: remove the taints and cordons kupgrade set", NULL, CLI_HINT_NONE,
	  NULL, NULL },
	{ O_DRY_RUN, 0, "dry-run", CLI_NOARG, NULL, "print the plan; run nothing", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ 'q', 'q', "quiet", CLI_NOARG, NULL, "no status line on stderr (shown only on a terminal)",
	  NULL, CLI_HINT_NONE, NULL, NULL },
	{ 'o', 'o', "output", CLI_ARG, "FORMAT", "the result's format", "text", CLI_HINT_ENUM,
	  "text json yaml", NULL },
	CLI_OPT_HELP,
	{ O_LIVE_GROUP, 0, NULL, CLI_OPT_GROUP, NULL, "The cluster", NULL, CLI_HINT_NONE, NULL,
	  cli_live_opts },
	CLI_OPT_END,
};

const struct cli_cmd cli_cmd_rollout_run = {
	"rollout run",
	"--context CTX (--pool NAME | --selector LABELS) --to VERSION --provider exec "
	"--provision 'CMD {pool} {zone} {version}' --retire 'CMD {node}' [options]\n"
	"--context CTX (--pool NAME | --selector LABELS) --to VERSION --provider exec "
	"--upgrade 'CMD {node} {version}' --max-unavailable M [options]\n"
	"--state URL --resume | --abort [--context CTX] [-o text|json|yaml]",
	"perform a node-pool roll on a live cluster through the provider's commands",
	"Replaces the pool's old nodes (kubelet minor below VERSION): new nodes through the "
	"provision command (its last stdout line names the node), old nodes drained through the "
	"Eviction API (PDBs honoured, blockers named) within the budget, then retired through the "
	"retire command and their Node deleted.  With --upgrade (in place) no node is made or "
	"retired: at most M nodes at a time are drained (cordoned), upgraded by the command and "
	"uncordoned once Ready at VERSION; a failing command is retried after 5, 10 and 20 s.  "
	"Every command is recorded in the state before it "
	"starts: --resume after a crash or kill -9 runs nothing twice; --abort removes the taints "
	"and cordons kupgrade set.  SIGINT and SIGTERM stop after the running commands, the state "
	"saved.",
	run_opts, CLI_HINT_NONE, NULL, NULL, NULL,
};

static bool duration(const char *s, long *secs)
{
	int64_t v;

	if (!kup_fleet_parse_duration(s, &v) || v < 0 || v > LONG_MAX / 1000)
		return false;
	*secs = (long)v;
	return true;
}

static void progress(void *ctx, const char *line)
{
	(void)ctx;
	cli_log_stamped("rollout", line);
}

/* The redrawn line on a terminal (not with -q, not into a pipe). */
static void status(void *ctx, const struct kup_ro_run_status *s)
{
	struct cli_progress *pg = ctx;

	if (in_place_line) {
		cli_progress_update(pg, "%d/%d upgraded, %d draining, %d upgrading, unavailable %d, %.0f s%s%s",
				    s->upgraded, s->old_nodes, s->draining, s->upgrading, s->unavailable,
				    s->elapsed_s, s->holding ? "; " : "", s->holding ? s->holding : "");
		return;
	}
	cli_progress_update(pg, "%d/%d replaced%s%.0d%s, %d draining, %d waiting for workloads, "
			    "%d provisioning, %d new Ready, unavailable %d, extra %d, %.0f s%s%s",
			    s->replaced, s->old_nodes, s->quarantined ? " (quarantined " : "", s->quarantined,
			    s->quarantined ? ")" : "", s->draining, s->waiting_ready, s->provisioning,
			    s->new_ready, s->unavailable, s->extra, s->elapsed_s, s->holding ? "; " : "",
			    s->holding ? s->holding : "");
}

/* The parameters of a roll, kept as an event so --resume and --abort need only --state. */
struct params {
	char name[512], selector[512], pool[256], to[64], policy[32];
	char provision[2048], retire[2048], upgrade[2048], kubeconfig[1024], context[256];
	int max_surge, max_unavailable;
	long drain_timeout, provision_timeout, upgrade_timeout;
	bool found;
};

static void params_json(const struct params *p, struct kup_buf *b)
{
	kup_buf_adds(b, "{\"selector\": ");
	kup_json_quote(b, p->selector);
	kup_buf_adds(b, ", \"pool\": ");
	kup_json_quote(b, p->pool);
	kup_buf_adds(b, ", \"to\": ");
	kup_json_quote(b, p->to);
	kup_buf_adds(b, ", \"policy\": ");
	kup_json_quote(b, p->policy);
	kup_buf_adds(b, ", \"provision\": ");
	kup_json_quote(b, p->provision);
	kup_buf_adds(b, ", \"retire\": ");
	kup_json_quote(b, p->retire);
	kup_buf_adds(b, ", \"upgrade\": ");
	kup_json_quote(b, p->upgrade);
	kup_buf_adds(b, ", \"kubeconfig\": ");
	kup_json_quote(b, p->kubeconfig);
	kup_buf_adds(b, ", \"context\": ");
	kup_json_quote(b, p->context);
	kup_buf_addf(b, ", \"max_surge\": %d, \"max_unavailable\": %d, \"drain_timeout\": %ld, "
		     "\"provision_timeout\": %ld, \"upgrade_timeout\": %ld}", p->max_surge, p->max_unavailable,
		     p->drain_timeout, p->provision_timeout, p->upgrade_timeout);
}

static void copy_str(const struct kup_node *root, const char *key, char *dst, size_t n)
{
	const char *v = kup_node_str(kup_node_get(root, key));

	snprintf(dst, n, "%s", v ? v : "");
}

static enum kup_status on_param_event(void *ctx, const struct kup_store_event *ev)
{
	struct params *p = ctx;
	struct kup_arena arena;
	struct kup_node *root = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	int64_t v;

	if (strcmp(ev->kind, "run-params") != 0 || !ev->message)
		return KUP_OK;   /* the last one wins: an earlier start may have failed */
	kup_arena_init(&arena, 4096);
	if (kup_json_parse(ev->message, strlen(ev->message), NULL, &arena, &root, &err) == KUP_OK && root) {
		snprintf(p->name, sizeof(p->name), "%s", ev->cluster ? ev->cluster : "");
		copy_str(root, "selector", p->selector, sizeof(p->selector));
		copy_str(root, "pool", p->pool, sizeof(p->pool));
		copy_str(root, "to", p->to, sizeof(p->to));
		copy_str(root, "policy", p->policy, sizeof(p->policy));
		copy_str(root, "provision", p->provision, sizeof(p->provision));
		copy_str(root, "retire", p->retire, sizeof(p->retire));
		copy_str(root, "upgrade", p->upgrade, sizeof(p->upgrade));
		copy_str(root, "kubeconfig", p->kubeconfig, sizeof(p->kubeconfig));
		copy_str(root, "context", p->context, sizeof(p->context));
		if (kup_node_int(kup_node_get(root, "max_surge"), &v))
			p->max_surge = (int)v;
		if (kup_node_int(kup_node_get(root, "max_unavailable"), &v))
			p->max_unavailable = (int)v;
		if (kup_node_int(kup_node_get(root, "drain_timeout"), &v))
			p->drain_timeout = (long)v;
		if (kup_node_int(kup_node_get(root, "provision_timeout"), &v))
			p->provision_timeout = (long)v;
		if (kup_node_int(kup_node_get(root, "upgrade_timeout"), &v))
			p->upgrade_timeout = (long)v;
		p->found = true;
	}
	kup_error_release(&err);
	kup_arena_release(&arena);
	return KUP_OK;
}


static void summary(const struct params *p, const struct kup_ro_run_result *r, bool json,
		    struct kup_buf *b)
{
	if (json) {
		kup_buf_adds(b, "{\"schema_version\": 1, \"roll\": ");
		kup_json_quote(b, p->name);
		kup_buf_adds(b, ", \"policy\": ");
		kup_json_quote(b, p->policy);
		kup_buf_adds(b, ", \"to\": ");
		kup_json_quote(b, p->to);
		kup_buf_addf(b, ", \"mode\": \"%s\", \"upgraded\": %d", p->upgrade[0] ? "in-place" : "replace",
			     r->upgraded);
		kup_buf_addf(b, ", \"limits\": {\"maxSurgeNodes\": %d, \"maxUnavailableNodes\": %d},\n"
			     " \"old_nodes\": %d, \"replaced\": %d, \"quarantined\": %d, \"provisioned\": %d, "
			     "\"retired\": %d,\n \"makespan_s\": %.1f, \"pdb_violation_s\": %.1f, "
			     "\"peak_extra_nodes\": %d, \"peak_unavailable_nodes\": %d, \"min_ready_nodes\": %d,\n"
			     " \"failed\": %s, \"stopped\": %s, \"blocker\": ",
			     p->max_surge, p->max_unavailable, r->old_nodes, r->replaced, r->quarantined,
			     r->provisioned, r->retired, r->makespan_s, r->pdb_violation_s,
			     r->peak_extra_nodes, r->peak_unavailable_nodes, r->min_ready_nodes,
			     r->failed ? "true" : "false", r->stopped ? "true" : "false");
		if (r->blocker)
			kup_json_quote(b, r->blocker);
		else
			kup_buf_adds(b, "null");
		kup_buf_adds(b, ", \"reason\": ");
		if (r->reason)
			kup_json_quote(b, r->reason);
		else
			kup_buf_adds(b, "null");
		kup_buf_adds(b, "}\n");
		return;
	}
	kup_buf_addf(b, "roll %s (%spolicy %s, to %s, maxSurgeNodes %d, maxUnavailableNodes %d): %s\n",
		     p->name, p->upgrade[0] ? "in place, " : "", p->policy, p->to, p->max_surge,
		     p->max_unavailable,
		     r->failed ? "FAILED" : r->stopped ? "stopped" : "done");
	if (p->upgrade[0])
		kup_buf_addf(b, "  %d old node(s): %d upgraded in place\n", r->old_nodes, r->upgraded);
	else
		kup_buf_addf(b, "  %d old node(s): %d replaced, %d quarantined; %d provisioned, %d retired\n",
			     r->old_nodes, r->replaced, r->quarantined, r->provisioned, r->retired);
	kup_buf_addf(b, "  makespan %.0f s, PDB violation %.0f s, peak extra %d, peak unavailable %d, "
		     "min ready %d\n", r->makespan_s, r->pdb_violation_s, r->peak_extra_nodes,
		     r->peak_unavailable_nodes, r->min_ready_nodes);
	if (r->blocker)
		kup_buf_addf(b, "  blocked by PodDisruptionBudget %s\n", r->blocker);
	if (r->reason)
		kup_buf_addf(b, "  %s\n", r->reason);
}

int cmd_rollout_run(int argc, char **argv)
{
	struct cli_parse pp;
	struct params p;
	struct cli_live live;
	struct kup_ro_run_opts o;
	struct kup_ro_run_result res = { 0 };
	struct kup_store *st = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf b = KUP_BUF_INIT, drain = KUP_BUF_INIT, sel = KUP_BUF_INIT;
	struct kup_kb *kb = NULL;
	const char *format = "text", *state = "sqlite:kupgrade-rollout.db", *provider = NULL;
	bool resume = false, abort_ = false, dry_run = false, yaml = false, quiet = false;
	struct cli_progress pg;
	char self[PATH_MAX], dir[PATH_MAX];
	int c, rc = KUP_EXIT_ERROR;
	ssize_t n;

	memset(&p, 0, sizeof(p));
	p.max_surge = p.max_unavailable = -1;
	p.drain_timeout = 15 * 60;
	p.provision_timeout = 10 * 60;
	p.upgrade_timeout = 10 * 60;
	snprintf(p.policy, sizeof(p.policy), "kupgrade");
	cli_live_init(&live);
	cli_parse_init(&pp, &cli_cmd_rollout_run, argc, argv);
	while ((c = cli_parse_next(&pp)) != -1) {
		if (cli_live_option(&live, c, pp.arg)) {
			if (live.bad)
				return KUP_EXIT_ERROR;
			continue;
		}
		switch (c) {
		case O_POOL: snprintf(p.pool, sizeof(p.pool), "%s", pp.arg); break;
		case O_SELECTOR: snprintf(p.selector, sizeof(p.selector), "%s", pp.arg); break;
		case O_TO: snprintf(p.to, sizeof(p.to), "%s", pp.arg); break;
		case O_PROVIDER: provider = pp.arg; break;
		case O_PROVISION: snprintf(p.provision, sizeof(p.provision), "%s", pp.arg); break;
		case O_RETIRE: snprintf(p.retire, sizeof(p.retire), "%s", pp.arg); break;
		case O_UPGRADE: snprintf(p.upgrade, sizeof(p.upgrade), "%s", pp.arg); break;
		case O_MAX_SURGE:
		case O_MAX_UNAVAILABLE: {
			char *end;
			long v = strtol(pp.arg, &end, 10);
			if (!*pp.arg || *end || v < 0 || v > 100000) {
				cli_error("--%s: expected a number of nodes, not '%s'",
					  c == O_MAX_SURGE ? "max-surge" : "max-unavailable", pp.arg);
				return KUP_EXIT_ERROR;
			}
			if (c == O_MAX_SURGE)
				p.max_surge = (int)v;
			else
				p.max_unavailable = (int)v;
			break;
		}
		case O_DRAIN_TIMEOUT:
		case O_PROVISION_TIMEOUT:
		case O_UPGRADE_TIMEOUT:
			if (!duration(pp.arg, c == O_DRAIN_TIMEOUT ? &p.drain_timeout :
				      c == O_PROVISION_TIMEOUT ? &p.provision_timeout : &p.upgrade_timeout)) {
				cli_error("bad duration '%s' (30s, 15m, 1h)", pp.arg);
				return KUP_EXIT_ERROR;
			}
			break;
		case O_POLICY: snprintf(p.policy, sizeof(p.policy), "%s", pp.arg); break;
		case O_STATE: state = pp.arg; break;
		case O_RESUME: resume = true; break;
		case O_ABORT: abort_ = true; break;
		case O_DRY_RUN: dry_run = true; break;
		case 'q': quiet = true; break;
		case 'o': format = pp.arg; break;
		case 'h': cli_usage(&cli_cmd_rollout_run, stdout); return KUP_EXIT_OK;
		default: cli_usage(&cli_cmd_rollout_run, stderr); return KUP_EXIT_ERROR;
		}
	}
	argc = 1 + (int)pp.npos;
	if ((yaml = strcmp(format, "yaml") == 0))
		format = "json";   /* the JSON summary, re-written */
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
		cli_error("unknown output format '%s' (text|json|yaml)", format);
		return KUP_EXIT_ERROR;
	}
	if (argc != 1 || (resume && abort_)) {
		cli_usage(&cli_cmd_rollout_run, stderr);
		return KUP_EXIT_ERROR;
	}
	if (kup_store_open(state, &st, &err) != KUP_OK) {
		cli_print_error(&err);
		kup_error_release(&err);
		return KUP_EXIT_ERROR;
	}
	if (resume || abort_) {
		struct params q = p;
		memset(&q, 0, sizeof(q));
		if (kup_store_list_events(st, NULL, 0, 0, on_param_event, &q, &err) != KUP_OK) {
			cli_print_error(&err);
			goto out;
		}
		if (!q.found) {
			cli_error("no roll is recorded in '%s'", state);
			goto out;
		}
		p = q;
		if (p.kubeconfig[0] && !live.kubeconfig)
			live.kubeconfig = p.kubeconfig;
		if (p.context[0] && !live.context)
			live.context = p.context;
		live.live = true;
	} else {
		if (!provider || strcmp(provider, "exec") != 0) {
			cli_error("--provider exec is required (the provider's commands: --provision and "
				  "--retire, or --upgrade)");
			goto out;
		}
		if (p.upgrade[0] && (p.provision[0] || p.retire[0])) {
			cli_error("--upgrade (in place) or --provision and --retire (replace), not both");
			goto out;
		}
		if (p.upgrade[0] && !strstr(p.upgrade, "{node}")) {
			cli_error("--upgrade: the command must name the node it upgrades: {node}");
			goto out;
		}
		if (p.upgrade[0]) {
			if (p.max_surge > 0) {
				cli_error("--max-surge %d: an in-place upgrade makes no node (leave it out or "
					  "give 0)", p.max_surge);
				goto out;
			}
			p.max_surge = 0;
			if (p.max_unavailable < 1) {
				cli_error("--upgrade needs --max-unavailable M, at least 1: a node is "
					  "unavailable while it is upgraded");
				goto out;
			}
			if (strcmp(p.policy, "eks") == 0) {
				cli_error("--policy eks replaces nodes; --upgrade runs kupgrade or capi");
				goto out;
			}
		}
		if (!p.to[0] || (!p.upgrade[0] && (!p.provision[0] || !p.retire[0])) ||
		    (!p.pool[0] && !p.selector[0])) {
			cli_error("expected --to, --provision and --retire (or --upgrade), and --pool or "
				  "--selector");
			goto out;
		}
		if (p.max_surge < 0 || p.max_unavailable < 0) {
			cli_error("a roll needs a budget: --max-surge N and --max-unavailable M");
			goto out;
		}
		if (!kup_ro_run_policy_ok(p.policy)) {
			cli_error("--policy: the executor runs kupgrade, capi and eks, not '%s'", p.policy);
			goto out;
		}
		snprintf(p.kubeconfig, sizeof(p.kubeconfig), "%s", live.kubeconfig ? live.kubeconfig : "");
		snprintf(p.context, sizeof(p.context), "%s", live.context ? live.context : "");
		snprintf(p.name, sizeof(p.name), "rollout/%.200s/%.250s", p.context[0] ? p.context : "current",
			 p.pool[0] ? p.pool : p.selector);
	}
	if (cli_live_connect(&live, false) != KUP_EXIT_OK)
		goto out;
	if (p.selector[0]) {
		kup_buf_adds(&sel, p.selector);
	} else {
		/* the pool labels of profile --from-dump and rollout scenario --from-dump
		 * (kup_dump_pool_label_at: kupgrade.dev/pool, then the KB's); the first
		 * one that has nodes is used */
		struct kup_kube_resp resp;
		struct kup_buf tried = KUP_BUF_INIT;
		const char *key;
		size_t i;

		kb = cli_load_kb(NULL);
		if (!kb)
			goto out;
		kup_kube_resp_init(&resp);
		for (i = 0; (key = kup_dump_pool_label_at(kb, i)) != NULL; i++) {
			struct kup_buf path = KUP_BUF_INIT;
			kup_buf_addf(&tried, "%s%s", i ? ", " : "", key);
			kup_buf_addf(&path, "/api/v1/nodes?limit=1&labelSelector=%s%%3D%s", key, p.pool);
			if (kup_kube_get(live.k, path.buf, &resp, &err) == KUP_OK && resp.body.buf &&
			    strstr(resp.body.buf, "\"name\"")) {
				kup_buf_addf(&sel, "%s=%s", key, p.pool);
				kup_buf_release(&path);
				break;
			}
			kup_error_release(&err);
			kup_buf_release(&path);
		}
		kup_kube_resp_release(&resp);
		if (!sel.len) {
			cli_error("no node carries a node-pool label '%s' (%s); use --selector", p.pool,
				  tried.buf ? tried.buf : "");
			kup_buf_release(&tried);
			goto out;
		}
		kup_buf_release(&tried);
	}
	/* drains: this binary's `drain` (the Eviction API, 429 retries, blockers named) */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		cli_error("cannot find this program's path for the drains");
		goto out;
	}
	self[n] = '\0';
	kup_sh_quote(&drain, self);
	kup_buf_adds(&drain, " drain");
	if (live.kubeconfig) {
		kup_buf_adds(&drain, " --kubeconfig ");
		kup_sh_quote(&drain, live.kubeconfig);
	}
	if (live.context) {
		kup_buf_adds(&drain, " --context ");
		kup_sh_quote(&drain, live.context);
	}
	kup_buf_addf(&drain, " --timeout %lds --on-timeout fail {node}", p.drain_timeout);
	if (!getcwd(dir, sizeof(dir)))
		snprintf(dir, sizeof(dir), ".");
	memset(&o, 0, sizeof(o));
	o.name = p.name;
	o.label_selector = sel.buf;
	o.pool = p.pool[0] ? p.pool : p.selector;
	o.to = p.to;
	o.provision = p.provision;
	o.retire = p.retire;
	o.upgrade = p.upgrade[0] ? p.upgrade : NULL;
	o.upgrade_timeout_s = p.upgrade_timeout;
	in_place_line = o.upgrade != NULL;
	o.drain = drain.buf;
	o.policy = p.policy;
	o.max_surge = p.max_surge;
	o.max_unavailable = p.max_unavailable;
	o.drain_timeout_s = p.drain_timeout;
	o.provision_timeout_s = p.provision_timeout;
	o.dir = dir;
	o.resume = resume;
	o.dry_run = dry_run;
	o.seed = 1;
	o.stop = &stop_signal;
	o.progress = progress;
	if (abort_) {
		if (kup_ro_run_abort(live.k, st, &o, &b, &err) != KUP_OK) {
			cli_print_error(&err);
			goto out;
		}
		rc = KUP_EXIT_OK;
		goto out;
	}
	if (!resume && !dry_run) {
		/* the parameters first, so --resume and --abort need only --state */
		struct kup_store_event ev;
		struct kup_buf js = KUP_BUF_INIT;
		params_json(&p, &js);
		memset(&ev, 0, sizeof(ev));
		ev.cluster = p.name;
		ev.kind = "run-params";
		ev.message = js.buf;
		ev.exit_code = -1;
		ev.actor = "kupgrade rollout run";
		if (kup_store_add_event(st, &ev, NULL, &err) != KUP_OK) {
			kup_buf_release(&js);
			cli_print_error(&err);
			goto out;
		}
		kup_buf_release(&js);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	cli_progress_init(&pg, quiet);
	o.status = status;
	o.ctx = &pg;
	if (kup_ro_run(live.k, st, &o, &res, &err) != KUP_OK) {
		cli_progress_end(&pg);
		cli_print_error(&err);
		goto out;
	}
	cli_progress_end(&pg);
	if (dry_run) {
		kup_buf_addf(&b, "dry run: %d old node(s) would be %s\n", res.old_nodes,
			     o.upgrade ? "upgraded in place" : "replaced");
		rc = KUP_EXIT_OK;
		goto out;
	}
	{
		struct kup_buf doc = KUP_BUF_INIT;

		summary(&p, &res, strcmp(format, "json") == 0, &doc);
		if (yaml && !cli_json_as_yaml(&doc)) {
			kup_buf_release(&doc);
			rc = KUP_EXIT_ERROR;
			goto out;
		}
		kup_buf_add(&b, doc.buf ? doc.buf : "", doc.len);
		kup_buf_release(&doc);
	}
	rc = res.stopped ? 128 + (int)stop_signal : res.failed || res.quarantined ? KUP_EXIT_REMOVED
								       : KUP_EXIT_OK;
out:
	if (b.len)
		fwrite(b.buf, 1, b.len, stdout);
	kup_ro_run_result_release(&res);
	kup_buf_release(&b);
	kup_buf_release(&drain);
	kup_buf_release(&sel);
	kup_error_release(&err);
	if (resume || abort_) {
		live.kubeconfig = NULL;
		live.context = NULL;
	}
	cli_live_release(&live);
	kup_store_close(st);
	kup_kb_free(kb);
	return rc;
}
