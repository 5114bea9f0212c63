/*
 * cmd_kb.c - `kupgrade kb list`, `kb addons`, `kb risks` and
 * `kupgrade kb validate [DIR]`.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kupgrade/kbplan.h"
#include "kupgrade/plan.h"
#include "kupgrade/report.h"

static const char *level_name(enum kup_api_level l)
{
	switch (l) {
	case KUP_LEVEL_BUILTIN: return "builtin";
	case KUP_LEVEL_OPT_IN_BETA: return "opt-in-beta";
	case KUP_LEVEL_ALPHA: return "alpha";
	case KUP_LEVEL_CONFIG: return "config";
	case KUP_LEVEL_GA_DEPRECATED: return "ga-deprecated";
	case KUP_LEVEL_ADDON: return "addon";
	}
	return "?";
}

/* -o yaml: the JSON listing written as YAML (set by the option parsers) */
static bool want_yaml;
static int print_and_free(struct kup_buf *out, struct kup_kb *kb);

static const struct cli_opt listing_table[] = {
	{ 'o', 'o', "output", CLI_ARG, "FORMAT", "the listing's format", "table", CLI_HINT_ENUM,
	  "table json yaml", NULL },
	{ 'k', 0, "kb", CLI_ARG, "DIR", "read the knowledge base from DIR instead of the embedded one",
	  NULL, CLI_HINT_DIR, NULL, NULL },
	CLI_OPT_HELP,
	CLI_OPT_END,
};
static const struct cli_opt help_only[] = { CLI_OPT_HELP, CLI_OPT_END };

static const struct cli_cmd kb_list_cmd = {
	"kb list", "[-o table|json|yaml] [--kb DIR]",
	"the API lifecycle rules: component, level, kind, apiVersion, deprecated in, removed in, "
	"replacements", NULL, listing_table, CLI_HINT_NONE, NULL, NULL, NULL,
};
static const struct cli_cmd kb_addons_cmd = {
	"kb addons", "[-o table|json|yaml] [--kb DIR]",
	"the add-ons the planner knows: hop rule, workloads, supported Kubernetes versions per "
	"release", NULL, listing_table, CLI_HINT_NONE, NULL, NULL, NULL,
};
static const struct cli_cmd kb_risks_cmd = {
	"kb risks", "[-o table|json|yaml] [--kb DIR]",
	"the catalogue of known upgrade risks: id, severity, window, provider, title", NULL,
	listing_table, CLI_HINT_NONE, NULL, NULL, NULL,
};
static const struct cli_cmd kb_validate_cmd = {
	"kb validate", "[DIR]",
	"check a knowledge base directory (default: the one in use)",
	"Checks a knowledge base directory: schema, required fields, well-formed versions, "
	"duplicate rows, a source URL on every entry.  Without DIR, the knowledge base in use.",
	help_only, CLI_HINT_DIR, NULL, NULL, NULL,
};
static const struct cli_cmd kb_update_cmd = {
	"kb update", "BUNDLE",
	"install a newer knowledge base from a bundle",
	"Installs a newer knowledge base from a bundle ('make kb-bundle'): every file is checked "
	"against the bundle's MANIFEST (size, sha256) and the whole knowledge base validated before "
	"it replaces the installed one in $XDG_DATA_HOME/kupgrade/kb; it is used instead of the "
	"embedded one while its date is newer.",
	help_only, CLI_HINT_FILE, NULL, NULL, NULL,
};
static const struct cli_cmd kb_status_cmd = {
	"kb status", "",
	"the embedded and the installed knowledge base, and which is in use", NULL,
	help_only, CLI_HINT_NONE, NULL, NULL, NULL,
};
static const struct cli_cmd *const kb_subs[] = {
	&kb_list_cmd, &kb_addons_cmd, &kb_risks_cmd, &kb_validate_cmd, &kb_update_cmd,
	&kb_status_cmd, NULL,
};

const struct cli_cmd cli_cmd_kb = {
	"kb", "SUBCOMMAND [options]",
	"the knowledge base: list its rules, add-ons and risks; validate and update it",
	"Run 'kupgrade kb SUBCOMMAND --help' for the options of each.",
	help_only, CLI_HINT_NONE, NULL, NULL, kb_subs,
};

/*
 * The subcommands without options: -h/--help, else the positional
 * arguments left in argv[1..]; returns their count, or -1 after the help
 * (exit 0) and -2 after an unknown option (exit 1).
 */
static int no_options(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_parse p;
	int c;

	cli_parse_init(&p, cmd, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		cli_usage(cmd, c == 'h' ? stdout : stderr);
		return c == 'h' ? -1 : -2;
	}
	return (int)p.npos;
}

/* A JSON string literal (quotes included), or null. */
static const char *vstr(const struct kup_version *v, char *buf, size_t n)
{
	if (!v->valid)
		return "-";
	return kup_version_str(v, buf, n);
}

static int kb_list(int argc, char **argv)
{
	struct cli_parse p;
	const char *dir = NULL, *format = "table";
	struct kup_kb *kb;
	struct kup_buf out = KUP_BUF_INIT;
	size_t i, j;
	int c;

	cli_parse_init(&p, &kb_list_cmd, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		switch (c) {
		case 'o': format = p.arg; break;
		case 'k': dir = p.arg; break;
		case 'h': cli_usage(&kb_list_cmd, stdout); return KUP_EXIT_OK;
		default: cli_usage(&kb_list_cmd, stderr); return KUP_EXIT_ERROR;
		}
	}
	argc = 1 + (int)p.npos;
	if ((want_yaml = strcmp(format, "yaml") == 0))
		format = "json";
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
		cli_error("unknown output format '%s' (table, json, yaml)", format);
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
			kup_json_quote(&out, r->id);
			kup_buf_adds(&out, ", \"component\": ");
			kup_json_quote(&out, r->component);
			kup_buf_addf(&out, ", \"level\": \"%s\", \"kind\": ", level_name(r->level));
			kup_json_quote(&out, r->kind);
			kup_buf_adds(&out, ", \"api_version\": ");
			kup_json_quote(&out, r->api_version);
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
				kup_json_quote(&out, rp->api_version);
				kup_buf_adds(&out, ", \"kind\": ");
				kup_json_quote(&out, rp->kind ? rp->kind : r->kind);
				if (rp->available_in.valid)
					kup_buf_addf(&out, ", \"available_in\": \"%s\"}",
						     vstr(&rp->available_in, b1, sizeof(b1)));
				else
					kup_buf_adds(&out, ", \"available_in\": null}");
			}
			kup_buf_adds(&out, "], \"source\": ");
			kup_json_quote(&out, r->source);
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
	return print_and_free(&out, kb);
}

/* Parses `-o table|json|yaml` and `--kb DIR` for the listing commands. */
static int listing_opts(const struct cli_cmd *cmd, int argc, char **argv, const char **format,
			const char **dir)
{
	struct cli_parse p;
	int c;

	*format = "table";
	*dir = NULL;
	cli_parse_init(&p, cmd, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		switch (c) {
		case 'o': *format = p.arg; break;
		case 'k': *dir = p.arg; break;
		case 'h': cli_usage(cmd, stdout); return -1;
		default: cli_usage(cmd, stderr); return KUP_EXIT_ERROR;
		}
	}
	argc = 1 + (int)p.npos;
	if (argc > 1) {
		cli_error("unexpected argument '%s'", argv[1]);
		return KUP_EXIT_ERROR;
	}
	if ((want_yaml = strcmp(*format, "yaml") == 0))
		*format = "json";
	if (strcmp(*format, "table") != 0 && strcmp(*format, "json") != 0) {
		cli_error("unknown output format '%s' (table, json, yaml)", *format);
		return KUP_EXIT_ERROR;
	}
	return KUP_EXIT_OK;
}

static const char *hop_name(enum kup_hop_rule h)
{
	switch (h) {
	case KUP_HOP_ANY: return "any";
	case KUP_HOP_MINORS: return "minors";
	case KUP_HOP_MATCH_CP: return "match-cp";
	case KUP_HOP_PER_CP: return "per-cp";
	}
	return "?";
}

static int print_and_free(struct kup_buf *out, struct kup_kb *kb)
{
	int rc = KUP_EXIT_OK;

	if (want_yaml && !out->oom && !cli_json_as_yaml(out)) {
		rc = KUP_EXIT_ERROR;
	} else if (out->oom) {
		cli_error("out of memory");
		rc = KUP_EXIT_ERROR;
	} else if (out->len) {
		fwrite(out->buf, 1, out->len, stdout);
	}
	kup_buf_release(out);
	kup_kb_free(kb);
	if (fflush(stdout) != 0)
		rc = KUP_EXIT_ERROR;
	return rc;
}

static void json_version(struct kup_buf *out, const char *key, const struct kup_version *v)
{
	char b[32];

	kup_buf_addf(out, ", \"%s\": ", key);
	if (v->valid)
		kup_buf_addf(out, "\"%s\"", kup_version_str(v, b, sizeof(b)));
	else
		kup_buf_adds(out, "null");
}

static void json_list(struct kup_buf *out, const char *key, const char **v, size_t n)
{
	size_t i;

	kup_buf_addf(out, ", \"%s\": [", key);
	for (i = 0; i < n; i++) {
		if (i)
			kup_buf_adds(out, ", ");
		kup_json_quote(out, v[i]);
	}
	kup_buf_addc(out, ']');
}

static int kb_addons(int argc, char **argv)
{
	const char *format, *dir;
	struct kup_buf out = KUP_BUF_INIT;
	struct kup_kb *kb;
	size_t i, j;
	int rc = listing_opts(&kb_addons_cmd, argc, argv, &format, &dir);

	if (rc)
		return rc < 0 ? KUP_EXIT_OK : rc;
	if (!(kb = cli_load_kb(dir)))
		return KUP_EXIT_ERROR;
	if (strcmp(format, "json") == 0) {
		kup_buf_adds(&out, "{\"schema_version\": 1, \"addons\": [");
		for (i = 0; i < kup_kb_addon_count(kb); i++) {
			const struct kup_addon_rule *a = kup_kb_addon_at(kb, i);
			kup_buf_adds(&out, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
			kup_json_quote(&out, a->name);
			json_list(&out, "aliases", a->aliases, a->naliases);
			json_list(&out, "images", a->images, a->nimages);
			json_list(&out, "workloads", a->workloads, a->nworkloads);
			kup_buf_addf(&out, ", \"hop\": \"%s\"", hop_name(a->hop));
			if (a->hop == KUP_HOP_MINORS)
				kup_buf_addf(&out, ", \"max_hop\": %d, \"max_hop_canary\": %d", a->max_hop,
					     a->max_hop_canary);
			kup_buf_addf(&out, ", \"data_plane_follows\": %s, \"managed_with_cp\": %s",
				     a->data_plane_follows ? "true" : "false",
				     a->managed_with_cp ? "true" : "false");
			kup_buf_adds(&out, ", \"retired\": ");
			kup_json_quote(&out, a->retired);
			kup_buf_adds(&out, ", \"source\": ");
			kup_json_quote(&out, a->source);
			kup_buf_adds(&out, ", \"releases\": [");
			for (j = 0; j < a->nreleases; j++) {
				const struct kup_addon_release *r = &a->releases[j];
				kup_buf_adds(&out, j ? ", {\"version\": " : "{\"version\": ");
				kup_json_quote(&out, r->version_text);
				json_version(&out, "k8s_min", &r->k8s_min);
				json_version(&out, "k8s_max", &r->k8s_max);
				if (r->for_k8s.valid)
					json_version(&out, "for_k8s", &r->for_k8s);
				if (r->chart_version) {
					kup_buf_adds(&out, ", \"chart\": ");
					kup_json_quote(&out, r->chart_version);
				}
				kup_buf_adds(&out, ", \"source\": ");
				kup_json_quote(&out, r->source);
				kup_buf_addc(&out, '}');
			}
			kup_buf_adds(&out, "]}");
		}
		kup_buf_adds(&out, "\n]}\n");
		return print_and_free(&out, kb);
	}
	kup_buf_addf(&out, "%-20s %-9s %-28s %s\n", "ADDON", "HOP", "WORKLOADS", "KUBERNETES");
	for (i = 0; i < kup_kb_addon_count(kb); i++) {
		const struct kup_addon_rule *a = kup_kb_addon_at(kb, i);
		struct kup_buf w = KUP_BUF_INIT;
		char hop[32], b1[32], b2[32];

		for (j = 0; j < a->nworkloads; j++)
			kup_buf_addf(&w, "%s%s", j ? "," : "", a->workloads[j]);
		if (a->hop == KUP_HOP_MINORS)
			snprintf(hop, sizeof(hop), "minors/%d", a->max_hop);
		else
			snprintf(hop, sizeof(hop), "%s", hop_name(a->hop));
		kup_buf_addf(&out, "%-20s %-9s %-28s ", a->name, hop, w.buf ? w.buf : "-");
		kup_buf_release(&w);
		if (a->hop == KUP_HOP_MATCH_CP)
			kup_buf_adds(&out, "follows the control-plane minor");
		else if (!a->nreleases)
			kup_buf_adds(&out, "no sourced ranges");
		for (j = 0; j < a->nreleases; j++) {
			const struct kup_addon_release *r = &a->releases[j];
			if (r->for_k8s.valid)
				kup_buf_addf(&out, "%s%s@%s", j ? " " : "", r->version_text,
					     kup_version_minor_str(&r->for_k8s, b1, sizeof(b1)));
			else
				kup_buf_addf(&out, "%s%s:%s-%s", j ? " " : "", r->version_text,
					     r->k8s_min.valid ? kup_version_minor_str(&r->k8s_min, b1, sizeof(b1)) : "",
					     r->k8s_max.valid ? kup_version_minor_str(&r->k8s_max, b2, sizeof(b2)) : "");
		}
		if (a->retired)
			kup_buf_adds(&out, " (retired)");
		kup_buf_addc(&out, '\n');
	}
	kup_buf_addf(&out, "\n%zu add-ons\n", kup_kb_addon_count(kb));
	return print_and_free(&out, kb);
}

static int kb_risks(int argc, char **argv)
{
	const char *format, *dir;
	struct kup_buf out = KUP_BUF_INIT;
	struct kup_kb *kb;
	size_t i;
	int rc = listing_opts(&kb_risks_cmd, argc, argv, &format, &dir);

	if (rc)
		return rc < 0 ? KUP_EXIT_OK : rc;
	if (!(kb = cli_load_kb(dir)))
		return KUP_EXIT_ERROR;
	if (strcmp(format, "json") == 0) {
		kup_buf_adds(&out, "{\"schema_version\": 1, \"risks\": [");
		for (i = 0; i < kup_kb_risk_count(kb); i++) {
			const struct kup_risk_rule *r = kup_kb_risk_at(kb, i);
			kup_buf_adds(&out, i ? ",\n  {\"id\": " : "\n  {\"id\": ");
			kup_json_quote(&out, r->id);
			kup_buf_adds(&out, ", \"title\": ");
			kup_json_quote(&out, r->title);
			kup_buf_addf(&out, ", \"severity\": \"%s\"",
				     kup_severity_name((enum kup_severity)r->severity));
			json_version(&out, "from", &r->from);
			json_version(&out, "until", &r->until);
			kup_buf_adds(&out, ", \"provider\": ");
			kup_json_quote(&out, r->provider);
			kup_buf_adds(&out, ", \"message\": ");
			kup_json_quote(&out, r->message);
			kup_buf_adds(&out, ", \"mitigation\": ");
			kup_json_quote(&out, r->mitigation);
			kup_buf_adds(&out, ", \"source\": ");
			kup_json_quote(&out, r->source);
			kup_buf_addc(&out, '}');
		}
		kup_buf_adds(&out, "\n]}\n");
		return print_and_free(&out, kb);
	}
	kup_buf_addf(&out, "%-38s %-8s %-6s %-6s %-8s %s\n", "ID", "SEVERITY", "FROM", "UNTIL",
		     "PROVIDER", "TITLE");
	for (i = 0; i < kup_kb_risk_count(kb); i++) {
		const struct kup_risk_rule *r = kup_kb_risk_at(kb, i);
		char b1[32], b2[32];
		kup_buf_addf(&out, "%-38s %-8s %-6s %-6s %-8s %s\n", r->id,
			     kup_severity_name((enum kup_severity)r->severity),
			     vstr(&r->from, b1, sizeof(b1)), vstr(&r->until, b2, sizeof(b2)),
			     r->provider ? r->provider : "-", r->title);
	}
	kup_buf_addf(&out, "\n%zu risks\n", kup_kb_risk_count(kb));
	return print_and_free(&out, kb);
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

	int npos = no_options(&kb_validate_cmd, argc, argv);

	if (npos < 0)
		return npos == -1 ? KUP_EXIT_OK : KUP_EXIT_ERROR;
	argc = npos + 1;
	if (argc > 2) {
		cli_usage(&kb_validate_cmd, stderr);
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
	printf("%s: ok: %zu API rules, %zu releases (%zu scheduled), %zu add-ons, %zu risks, "
	       "%zu provider releases\n",
	       argc == 2 ? argv[1] : cli_kb_origin(), kup_kb_api_count(kb), kup_kb_release_count(kb),
	       kup_kb_scheduled_count(kb), kup_kb_addon_count(kb), kup_kb_risk_count(kb),
	       kup_kb_provider_release_count(kb));
	kup_kb_free(kb);
	return KUP_EXIT_OK;
}

static void describe(const char *label, const struct kup_kb *kb)
{
	char b[32];

	printf("%-10s %s, newest Kubernetes %s", label,
	       kup_kb_checked(kb) ? kup_kb_checked(kb) : "undated",
	       kup_version_minor_str(kup_kb_newest(kb), b, sizeof(b)));
	cli_kb_print_scheduled(kb, stdout);
	printf(", %zu API rules, %zu add-ons, %zu risks\n", kup_kb_api_count(kb),
	       kup_kb_addon_count(kb), kup_kb_risk_count(kb));
}

static int kb_status(int argc, char **argv)
{
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_kb *embedded = NULL, *inuse;
	char base[PATH_MAX];

	int npos = no_options(&kb_status_cmd, argc, argv);

	if (npos < 0)
		return npos == -1 ? KUP_EXIT_OK : KUP_EXIT_ERROR;
	if (npos != 0) {
		cli_usage(&kb_status_cmd, stderr);
		return KUP_EXIT_ERROR;
	}
	if (kup_kb_load_embedded(&embedded, &err) != KUP_OK) {
		cli_print_error(&err);
		kup_error_release(&err);
		return KUP_EXIT_ERROR;
	}
	describe("embedded:", embedded);
	if (!(inuse = cli_load_kb(NULL))) {
		kup_kb_free(embedded);
		return KUP_EXIT_ERROR;
	}
	if (strcmp(cli_kb_origin(), "embedded") != 0) {
		printf("installed: %s\n", cli_kb_origin());
		describe("", inuse);
		printf("in use:    installed (newer than the embedded one)\n");
	} else {
		if (cli_kb_base(base, sizeof(base)))
			printf("installed: none in use under %s/kb\n", base);
		else
			printf("installed: none (neither XDG_DATA_HOME nor HOME is set)\n");
		printf("in use:    embedded\n");
	}
	kup_kb_free(inuse);
	kup_kb_free(embedded);
	return fflush(stdout) == 0 ? KUP_EXIT_OK : KUP_EXIT_ERROR;
}

static int kb_update(int argc, char **argv)
{
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_error_sink sink = { print_problem, NULL };
	struct kup_kb *inuse;
	char base[PATH_MAX], *date = NULL, *than = NULL;
	size_t n = 0;
	int rc = KUP_EXIT_OK;

	int npos = no_options(&kb_update_cmd, argc, argv);

	if (npos < 0)
		return npos == -1 ? KUP_EXIT_OK : KUP_EXIT_ERROR;
	if (npos != 1) {
		cli_usage(&kb_update_cmd, stderr);
		return KUP_EXIT_ERROR;
	}
	if (!cli_kb_base(base, sizeof(base))) {
		cli_error("cannot install a knowledge base: neither XDG_DATA_HOME nor HOME is set");
		return KUP_EXIT_ERROR;
	}
	/* The bundle must be newer than the knowledge base in use now. */
	if (!(inuse = cli_load_kb(NULL)))
		return KUP_EXIT_ERROR;
	if (kup_kb_checked(inuse) && !(than = strdup(kup_kb_checked(inuse)))) {
		kup_kb_free(inuse);
		cli_error("out of memory");
		return KUP_EXIT_ERROR;
	}
	kup_kb_free(inuse);
	if (kup_kb_install(argv[1], base, than, &sink, &n, &date, &err) != KUP_OK) {
		cli_print_error(&err);
		fprintf(stderr, "%s: the installed knowledge base is unchanged\n", kup_cli_name);
		rc = KUP_EXIT_ERROR;
	} else {
		printf("installed the knowledge base of %s in %s/kb (it replaces the one of %s)\n",
		       date, base, than ? than : "no date");
	}
	kup_error_release(&err);
	free(date);
	free(than);
	return rc;
}

int cmd_kb(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_usage(&cli_cmd_kb, argc < 2 ? stderr : stdout);
		return argc < 2 ? KUP_EXIT_ERROR : KUP_EXIT_OK;
	}
	if (strcmp(argv[1], "list") == 0)
		return kb_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "validate") == 0)
		return kb_validate(argc - 1, argv + 1);
	if (strcmp(argv[1], "addons") == 0)
		return kb_addons(argc - 1, argv + 1);
	if (strcmp(argv[1], "risks") == 0)
		return kb_risks(argc - 1, argv + 1);
	if (strcmp(argv[1], "update") == 0)
		return kb_update(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return kb_status(argc - 1, argv + 1);
	cli_error("unknown kb command '%s'", argv[1]);
	cli_usage(&cli_cmd_kb, stderr);
	return KUP_EXIT_ERROR;
}
