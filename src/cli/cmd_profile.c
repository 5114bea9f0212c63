/*
 * cmd_profile.c - `kupgrade profile`: derive a ClusterProfile from kubectl
 * output (--from-dump), or check and normalise profile files.
 *
 *     kupgrade profile --from-dump FILE [FILE...] [-o yaml|json] [--name NAME] [--kb DIR]
 *     kupgrade profile PROFILE... [-o yaml|json]
 *     kupgrade profile --context NAME [--kubeconfig FILE] [-o yaml|json] [--name NAME]
 *
 * With --context, --kubeconfig or --live the live cluster is read: a
 * snapshot in a temporary file (removed on every path) is derived exactly
 * as --from-dump derives a `kupgrade snapshot`.
 *
 * The profile goes to stdout; errors and warnings to stderr.  Exit 0 when
 * all went well, 2 when warnings were printed (an add-on not in the
 * knowledge base, a version that could not be read), 1 on an error
 * (unreadable or malformed input: the rest is still read and printed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_live.h"
#include "kupgrade/dump.h"
#include "kupgrade/profile.h"

struct counter {
	size_t n;
	const char *label;     /* "warning: " or "" */
	const char *snap;      /* a temporary snapshot, named `as` in messages */
	const char *as;
};

static void print_problem(void *ctx, const struct kup_error *err)
{
	struct counter *c = ctx;

	const char *path = err->path;

	c->n++;
	if (path && c->snap && !strcmp(path, c->snap))
		path = c->as;
	if (path && err->line)
		fprintf(stderr, "%s:%u:%u: ", path, err->line, err->column ? err->column : 1);
	else if (path)
		fprintf(stderr, "%s: ", path);
	else
		fprintf(stderr, "%s: ", kup_cli_name);
	fprintf(stderr, "%s%s\n", c->label, err->msg ? err->msg : kup_strerror(err->code));
}

static bool emit(const struct kup_profile *p, bool json, bool separator)
{
	struct kup_buf out = KUP_BUF_INIT;
	enum kup_status st;

	kup_buf_init(&out);
	if (separator && !json)
		kup_buf_adds(&out, "---\n");
	st = json ? kup_profile_write_json(p, &out) : kup_profile_write_yaml(p, &out);
	if (st == KUP_OK)
		fwrite(out.buf, 1, out.len, stdout);
	kup_buf_release(&out);
	if (st != KUP_OK)
		cli_error("cannot write the profile: %s", kup_strerror(st));
	return st == KUP_OK;
}

static int from_dump(char **paths, size_t npaths, const char *kbdir, const char *name, bool json,
		     const char *as)
{
	struct kup_profile_dump_opts o;
	struct counter warnings = { 0, "warning: ", as ? paths[0] : NULL, as },
		       errors = { 0, "", as ? paths[0] : NULL, as };
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_profile *p = NULL;
	struct kup_kb *kb;
	size_t nerr = 0;
	int rc;

	kb = cli_load_kb(kbdir);
	if (!kb)
		return KUP_EXIT_ERROR;
	kup_profile_dump_opts_init(&o);
	o.warnings.fn = print_problem;
	o.warnings.ctx = &warnings;
	o.errors.fn = print_problem;
	o.errors.ctx = &errors;
	o.name = name;
	if (kup_profile_from_dump_opts(kb, (const char *const *)paths, npaths, &o, &p, &nerr,
				       &err) != KUP_OK) {
		cli_print_error(&err);
		kup_error_release(&err);
		kup_kb_free(kb);
		return KUP_EXIT_ERROR;
	}
	rc = emit(p, json, false) ? KUP_EXIT_OK : KUP_EXIT_ERROR;
	if (rc == KUP_EXIT_OK && nerr)
		rc = KUP_EXIT_ERROR;
	else if (rc == KUP_EXIT_OK && warnings.n)
		rc = KUP_EXIT_DEPRECATED;
	kup_profile_free(p);
	kup_error_release(&err);
	kup_kb_free(kb);
	return rc;
}

static int check_profiles(char **paths, size_t npaths, bool json)
{
	struct counter problems = { 0, "", NULL, NULL };
	struct kup_error_sink sink = { print_problem, &problems };
	int rc = KUP_EXIT_OK;
	size_t i, printed = 0;

	for (i = 0; i < npaths; i++) {
		struct kup_error err = KUP_ERROR_INIT;
		struct kup_profile *p = NULL;
		char *text = NULL;
		size_t len = 0;

		if (kup_read_file(paths[i], 16u * 1024u * 1024u, &text, &len, &err) != KUP_OK) {
			cli_print_error(&err);
			kup_error_release(&err);
			rc = KUP_EXIT_ERROR;
			continue;
		}
		if (kup_profile_parse_sink(paths[i], text, len, &sink, &p, &err) != KUP_OK) {
			/* every problem went to the sink */
			rc = KUP_EXIT_ERROR;
		} else {
			if (!emit(p, json, printed > 0))
				rc = KUP_EXIT_ERROR;
			printed++;
		}
		kup_profile_free(p);
		kup_error_release(&err);
		free(text);
	}
	return rc;
}

/* The live cluster: a snapshot in a temporary file, derived as --from-dump. */
static int from_live(struct cli_live *live, const char *kbdir, const char *name, bool json)
{
	char *snap = NULL, as[512];
	int rc, code;

	rc = cli_live_snapshot_tmp(live, &snap);
	if (!snap)
		return KUP_EXIT_ERROR;
	/* messages name the context, not the temporary file */
	snprintf(as, sizeof(as), "context %s",
		 live->cfg && live->cfg->context ? live->cfg->context : "(current)");
	code = from_dump(&snap, 1, kbdir, name, json, as);
	cli_live_snapshot_remove(snap);
	return rc == KUP_EXIT_ERROR ? KUP_EXIT_ERROR : code;
}

enum { OPT_NAME = 2000, OPT_LIVE_GROUP };

static const struct cli_opt profile_opts[] = {
	{ 'd', 0, "from-dump", CLI_ARG, "FILE",
	  "derive a ClusterProfile from kubectl output: the List of `kubectl get "
	  "nodes,deployments,daemonsets -A -o json` (or a `kupgrade snapshot`) and `kubectl "
	  "version -o json`, in one or more files (the arguments after it are dumps too).  Node "
	  "pools come from node labels and status, add-ons from the images of well-known workloads",
	  NULL, CLI_HINT_FILE, NULL, NULL },
	{ 'o', 'o', "output", CLI_ARG, "FORMAT", "the profile's format", "yaml", CLI_HINT_ENUM,
	  "yaml json", NULL },
	{ OPT_NAME, 0, "name", CLI_ARG, "NAME", "the cluster's name in the derived profile", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ 'k', 0, "kb", CLI_ARG, "DIR", "a knowledge base directory instead of the embedded one",
	  NULL, CLI_HINT_DIR, NULL, NULL },
	CLI_OPT_HELP,
	{ OPT_LIVE_GROUP, 0, NULL, CLI_OPT_GROUP, NULL,
	  "The live cluster (derived from a snapshot, as --from-dump derives one)", NULL,
	  CLI_HINT_NONE, NULL, cli_live_opts },
	CLI_OPT_END,
};

const struct cli_cmd cli_cmd_profile = {
	"profile",
	"--from-dump FILE [FILE...] [-o yaml|json] [--name NAME] [--kb DIR]\n"
	"PROFILE... [-o yaml|json]\n"
	"--context NAME [--kubeconfig FILE] [-o yaml|json] [--name NAME]",
	"derive a ClusterProfile from kubectl output or a live cluster; check profile files",
	"With --from-dump or a cluster, derives a ClusterProfile.  With PROFILE..., checks "
	"ClusterProfile files (every problem with file:line:column) and prints them normalised.",
	profile_opts, CLI_HINT_FILE, NULL,
	"Exit: 0 ok, 1 error, 2 warnings (an add-on the knowledge base does not know, a version "
	"that could not be read)",
	NULL,
};

int cmd_profile(int argc, char **argv)
{
	struct cli_parse p;
	struct cli_live live;
	const char *format = "yaml", *kbdir = NULL, *name = NULL;
	char **dumps = NULL;
	size_t ndumps = 0, cap = 0;
	int c, rc, first;
	bool json;

	cli_live_init(&live);
	cli_parse_init(&p, &cli_cmd_profile, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		if (cli_live_option(&live, c, p.arg)) {
			if (live.bad) {
				free(dumps);
				return KUP_EXIT_ERROR;
			}
			continue;
		}
		switch (c) {
		case 'd':
			if (!kup_grow(&dumps, &cap, ndumps + 1, sizeof(*dumps), 4)) {
				cli_error("out of memory");
				free(dumps);
				return KUP_EXIT_ERROR;
			}
			dumps[ndumps++] = (char *)p.arg;
			break;
		case 'o': format = p.arg; break;
		case OPT_NAME: name = p.arg; break;
		case 'k': kbdir = p.arg; break;
		case 'h': cli_usage(&cli_cmd_profile, stdout); free(dumps); return KUP_EXIT_OK;
		default: cli_usage(&cli_cmd_profile, stderr); free(dumps); return KUP_EXIT_ERROR;
		}
	}
	argc = 1 + (int)p.npos;
	first = 1;
	if (strcmp(format, "yaml") != 0 && strcmp(format, "json") != 0) {
		cli_error("unknown output format '%s' (yaml, json)", format);
		free(dumps);
		return KUP_EXIT_ERROR;
	}
	json = strcmp(format, "json") == 0;
	if (cli_live_wanted(&live)) {
		if (ndumps || first < argc) {
			cli_error("give --from-dump FILE, PROFILE... or a cluster (--context, "
				  "--kubeconfig, --live), not both");
			rc = KUP_EXIT_ERROR;
		} else {
			rc = from_live(&live, kbdir, name, json);
		}
		free(dumps);
		cli_live_release(&live);
		return rc;
	}
	if (ndumps) {
		/* the files after --from-dump FILE are dumps too */
		for (; first < argc; first++) {
			if (!kup_grow(&dumps, &cap, ndumps + 1, sizeof(*dumps), 4)) {
				cli_error("out of memory");
				free(dumps);
				return KUP_EXIT_ERROR;
			}
			dumps[ndumps++] = argv[first];
		}
		rc = from_dump(dumps, ndumps, kbdir, name, json, NULL);
		free(dumps);
		return rc;
	}
	free(dumps);
	if (first >= argc) {
		cli_error("name the kubectl output with --from-dump FILE, or profile files to check");
		cli_usage(&cli_cmd_profile, stderr);
		return KUP_EXIT_ERROR;
	}
	if (name || kbdir) {
		cli_error("--name and --kb go with --from-dump");
		return KUP_EXIT_ERROR;
	}
	return check_profiles(argv + first, (size_t)(argc - first), json);
}
