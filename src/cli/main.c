/*
 * main.c - the kupgrade command: dispatch to a subcommand.
 * Also runs as the kubectl plugin kubectl-kupgrade.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *kup_cli_name = "kupgrade";

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", kup_cli_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_print_error(const struct kup_error *err)
{
	if (err->path && err->line)
		fprintf(stderr, "%s:%u:%u: ", err->path, err->line, err->column ? err->column : 1);
	else if (err->path)
		fprintf(stderr, "%s: ", err->path);
	if (err->object)
		fprintf(stderr, "%s: ", err->object);
	fprintf(stderr, "%s\n", err->msg ? err->msg : kup_strerror(err->code));
}

static void print_kb_problem(void *ctx, const struct kup_error *err)
{
	(void)ctx;
	cli_print_error(err);
}

struct kup_kb *cli_load_kb(const char *dir)
{
	struct kup_kb *kb = NULL;

	if (dir) {
		struct kup_error_sink sink = { print_kb_problem, NULL };
		size_t n = 0;
		if (kup_kb_load_dir(dir, &kb, &sink, &n) != KUP_OK) {
			cli_error("cannot load the knowledge base from '%s': %zu problem(s)", dir, n);
			return NULL;
		}
	} else {
		struct kup_error err = KUP_ERROR_INIT;
		if (kup_kb_load_embedded(&kb, &err) != KUP_OK) {
			cli_print_error(&err);
			kup_error_release(&err);
			return NULL;
		}
		kup_error_release(&err);
	}
	return kb;
}

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: %s <command> [options]\n"
		"\n"
		"Commands:\n"
		"  scan [PATH...]      find removed and deprecated Kubernetes APIs in manifests,\n"
		"                      cluster dumps, Helm releases and chart templates\n"
		"  fix [PATH...]       rewrite manifests to the APIs served at the target version\n"
		"  plan PROFILE|DIR    the readiness verdict, the upgrade path and the runbook\n"
		"  profile             derive a ClusterProfile from kubectl output\n"
		"  rollout SUBCOMMAND  plan and simulate zero-downtime node-pool upgrades\n"
		"  fleet SUBCOMMAND    upgrade a fleet of clusters in waves (a control loop)\n"
		"  snapshot            save a live cluster to one file for offline use\n"
		"  drain NODE...       cordon and drain nodes, naming the PDBs that block\n"
		"  kb list             list the API lifecycle rules of the knowledge base\n"
		"  kb validate [DIR]   check a knowledge base directory (default: the embedded one)\n"
		"  version             print the version\n"
		"\n"
		"Run '%s <command> --help' for the options of a command.\n",
		kup_cli_name, kup_cli_name);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "scan", cmd_scan },
	{ "fix", cmd_fix },
	{ "plan", cmd_plan },
	{ "profile", cmd_profile },
	{ "rollout", cmd_rollout },
	{ "fleet", cmd_fleet },
	{ "snapshot", cmd_snapshot },
	{ "drain", cmd_drain },
	{ "kb", cmd_kb },
};

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	base = base ? base + 1 : argv[0];
	if (strncmp(base, "kubectl-", 8) == 0)
		kup_cli_name = "kubectl kupgrade";
	if (argc < 2) {
		usage(stderr);
		return KUP_EXIT_ERROR;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("kupgrade %s\n", KUP_VERSION_STRING);
		return KUP_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return KUP_EXIT_OK;
	}
	cli_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return KUP_EXIT_ERROR;
}
