/*
 * cmd_kb.c - `kupgrade kb list` and `kupgrade kb validate [DIR]`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kupgrade/report.h"

static const char *level_name(enum kup_api_level l)
{
	switch (l) {
	case KUP_LEVEL_BUILTIN: return "builtin";
	case KUP_LEVEL_OPT_IN_BETA: return "opt-in-beta";
	case KUP_LEVEL_GA_DEPRECATED: return "ga-deprecated";
	case KUP_LEVEL_ADDON: return "addon";
	}
	return "?";
}

static void kb_usage(FILE *fp)
{
	fprintf(fp,
		"usage: %s kb list [-o table|json] [--kb DIR]\n"
		"       %s kb validate [DIR]\n"
		"\n"
		"list      the API lifecycle rules: component, level, kind, apiVersion,\n"
		"          deprecated in, removed in, replacements\n"
		"validate  checks a knowledge base directory (schema, required fields,\n"
		"          well-formed versions, duplicate rows, a source URL on every entry);\n"
		"          without DIR, the knowledge base embedded in this binary\n",
		kup_cli_name, kup_cli_name);
}

static const char *vstr(const struct kup_version *v, char *buf, size_t n)
{
	if (!v->valid)
		return "-";
	return kup_version_str(v, buf, n);
}

static int kb_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "kb", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *format = "table";
	struct kup_kb *kb;
	struct kup_buf out = KUP_BUF_INIT;
	size_t i, j;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': format = optarg; break;
		case 'k': dir = optarg; break;
		case 'h': kb_usage(stdout); return KUP_EXIT_OK;
		default: kb_usage(stderr); return KUP_EXIT_ERROR;
		}
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
		cli_error("unknown output format '%s' (table, json)", format);
		return KUP_EXIT_ERROR;
	}
	kb = cli_load_kb(dir);
	if (!kb)
		return KUP_EXIT_ERROR;
	if (strcmp(format, "json") == 0) {
		kup_buf_adds(&out, "{\"schema_version\": 1, \"apis\": [");
		for (i = 0; i < kup_kb_api_count(kb); i++) {
			const struct kup_api_rule *r = kup_kb_api_at(kb, i);
			char b1[32], b2[32];
			kup_buf_adds(&out, i ? ",\n  {" : "\n  {");
			kup_buf_adds(&out, "\"id\": ");
			kup_json_escape(&out, r->id);
			kup_buf_adds(&out, ", \"component\": ");
			kup_json_escape(&out, r->component);
			kup_buf_addf(&out, ", \"level\": \"%s\", \"kind\": ", level_name(r->level));
			kup_json_escape(&out, r->kind);
			kup_buf_adds(&out, ", \"api_version\": ");
			kup_json_escape(&out, r->api_version);
			if (r->deprecated_in.valid)
				kup_buf_addf(&out, ", \"deprecated_in\": \"%s\"",
					     vstr(&r->deprecated_in, b1, sizeof(b1)));
			else
				kup_buf_adds(&out, ", \"deprecated_in\": null");
			if (r->removed_in.valid)
				kup_buf_addf(&out, ", \"removed_in\": \"%s\"",
					     vstr(&r->removed_in, b2, sizeof(b2)));
			else
				kup_buf_adds(&out, ", \"removed_in\": null");
			kup_buf_adds(&out, ", \"replacements\": [");
			for (j = 0; j < r->nreplacements; j++) {
				const struct kup_api_replacement *rp = &r->replacements[j];
				kup_buf_adds(&out, j ? ", {\"api_version\": " : "{\"api_version\": ");
				kup_json_escape(&out, rp->api_version);
				kup_buf_adds(&out, ", \"kind\": ");
				kup_json_escape(&out, rp->kind ? rp->kind : r->kind);
				if (rp->available_in.valid)
					kup_buf_addf(&out, ", \"available_in\": \"%s\"}",
						     vstr(&rp->available_in, b1, sizeof(b1)));
				else
					kup_buf_adds(&out, ", \"available_in\": null}");
			}
			kup_buf_adds(&out, "], \"source\": ");
			kup_json_escape(&out, r->source);
			kup_buf_adds(&out, "}");
		}
		kup_buf_adds(&out, "\n]}\n");
	} else {
		kup_buf_addf(&out, "%-13s %-14s %-34s %-44s %-10s %-8s %s\n", "COMPONENT", "LEVEL",
			     "KIND", "API-VERSION", "DEPRECATED", "REMOVED", "REPLACEMENTS");
		for (i = 0; i < kup_kb_api_count(kb); i++) {
			const struct kup_api_rule *r = kup_kb_api_at(kb, i);
			char b1[32], b2[32], b3[32];
			kup_buf_addf(&out, "%-13s %-14s %-34s %-44s %-10s %-8s ", r->component,
				     level_name(r->level), r->kind, r->api_version,
				     vstr(&r->deprecated_in, b1, sizeof(b1)),
				     vstr(&r->removed_in, b2, sizeof(b2)));
			if (!r->nreplacements)
				kup_buf_adds(&out, "none");
			for (j = 0; j < r->nreplacements; j++)
				kup_buf_addf(&out, "%s%s (%s)", j ? ", " : "",
					     r->replacements[j].api_version,
					     r->replacements[j].available_in.valid
						     ? vstr(&r->replacements[j].available_in, b3, sizeof(b3))
						     : "?");
			kup_buf_addc(&out, '\n');
		}
		kup_buf_addf(&out, "\n%zu rules, %zu releases, newest %d.%d\n", kup_kb_api_count(kb),
			     kup_kb_release_count(kb), kup_kb_newest(kb)->major,
			     kup_kb_newest(kb)->minor);
	}
	if (!out.oom && out.len)
		fwrite(out.buf, 1, out.len, stdout);
	kup_buf_release(&out);
	kup_kb_free(kb);
	return fflush(stdout) == 0 ? KUP_EXIT_OK : KUP_EXIT_ERROR;
}

static void print_problem(void *ctx, const struct kup_error *err)
{
	(void)ctx;
	cli_print_error(err);
}

static int kb_validate(int argc, char **argv)
{
	struct kup_kb *kb = NULL;
	size_t n = 0;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		kb_usage(stdout);
		return KUP_EXIT_OK;
	}
	if (argc > 2) {
		kb_usage(stderr);
		return KUP_EXIT_ERROR;
	}
	if (argc == 2) {
		struct kup_error_sink sink = { print_problem, NULL };
		if (kup_kb_load_dir(argv[1], &kb, &sink, &n) != KUP_OK) {
			fprintf(stderr, "%s: %zu problem(s)\n", argv[1], n);
			return KUP_EXIT_ERROR;
		}
	} else {
		kb = cli_load_kb(NULL);
		if (!kb)
			return KUP_EXIT_ERROR;
	}
	printf("%s: ok: %zu API rules, %zu releases\n", argc == 2 ? argv[1] : "embedded",
	       kup_kb_api_count(kb), kup_kb_release_count(kb));
	kup_kb_free(kb);
	return KUP_EXIT_OK;
}

int cmd_kb(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		kb_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? KUP_EXIT_ERROR : KUP_EXIT_OK;
	}
	if (strcmp(argv[1], "list") == 0)
		return kb_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "validate") == 0)
		return kb_validate(argc - 1, argv + 1);
	cli_error("unknown kb command '%s'", argv[1]);
	kb_usage(stderr);
	return KUP_EXIT_ERROR;
}
