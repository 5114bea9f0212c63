/*
 * cli_doc.c - what is made from the option tables besides parsing and
 * --help (cli_opt.h): the list of commands, `kupgrade completion
 * bash|zsh|fish` and the man pages (`kupgrade __man [VERB]`, run by the
 * build).  Nothing here is written by hand per command: a new option in a
 * table shows up in all of them.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opt.h"

static const struct cli_opt help_only[] = { CLI_OPT_HELP, CLI_OPT_END };

const struct cli_cmd cli_cmd_version = {
	"version", "", "print the version and the knowledge base's date", NULL, help_only,
	CLI_HINT_NONE, NULL, NULL, NULL,
};

const struct cli_cmd cli_cmd_completion = {
	"completion", "bash|zsh|fish",
	"print a shell completion script",
	"Prints the completion script for the shell, made from the same option tables as the "
	"parser and --help: options and their values (formats and levels, files, directories, "
	"kubeconfig contexts through `kubectl config get-contexts -o name` when kubectl is "
	"installed).\n\n"
	"bash: source <(kupgrade completion bash), or save it as "
	"/usr/share/bash-completion/completions/kupgrade.  zsh: kupgrade completion zsh > "
	"\"${fpath[1]}/_kupgrade\".  fish: kupgrade completion fish > "
	"~/.config/fish/completions/kupgrade.fish.",
	help_only, CLI_HINT_ENUM, "bash zsh fish", NULL, NULL,
};

const struct cli_cmd *const cli_commands[] = {
	&cli_cmd_scan, &cli_cmd_fix, &cli_cmd_plan, &cli_cmd_profile, &cli_cmd_rollout,
	&cli_cmd_fleet, &cli_cmd_snapshot, &cli_cmd_drain, &cli_cmd_serve, &cli_cmd_kb,
	&cli_cmd_completion, &cli_cmd_version, NULL,
};

static const struct cli_opt top_opts[] = {
	CLI_OPT_HELP,
	{ 'V', 0, "version", CLI_NOARG, NULL, "print the version, as 'kupgrade version'", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	CLI_OPT_END,
};

const struct cli_cmd cli_cmd_kupgrade = {
	"", "<command> [options]",
	"make Kubernetes upgrades boring: scan, fix, plan, roll",
	"kupgrade finds removed and deprecated Kubernetes APIs in manifests, cluster dumps, Helm "
	"releases and charts; rewrites manifests to the replacement APIs; plans the control "
	"plane, node pool and add-on upgrade path with each provider's rules; and rolls node pools "
	"against PodDisruptionBudgets and zones.  It is also a kubectl plugin (kubectl kupgrade).",
	top_opts, CLI_HINT_NONE, NULL,
	"Run 'kupgrade <command> --help' for the options of a command.",
	cli_commands,
};

/* The last word of a command's name: "simulate" for "rollout simulate". */
static const char *leaf(const struct cli_cmd *c)
{
	const char *s = strrchr(c->name, ' ');

	return s ? s + 1 : c->name;
}

static const char *hint_name(enum cli_hint h)
{
	switch (h) {
	case CLI_HINT_FILE: return "file";
	case CLI_HINT_DIR: return "dir";
	case CLI_HINT_PATH: return "path";
	case CLI_HINT_CONTEXT: return "context";
	case CLI_HINT_NAMESPACE: return "namespace";
	case CLI_HINT_NODE: return "node";
	case CLI_HINT_ENUM: return "enum";
	case CLI_HINT_NONE: break;
	}
	return "none";
}

typedef void (*opt_fn)(const struct cli_opt *o, void *ctx);

static void each_opt(const struct cli_opt *t, opt_fn fn, void *ctx)
{
	for (; t && t->id; t++) {
		if (t->arg == CLI_OPT_GROUP)
			each_opt(t->group, fn, ctx);
		else
			fn(t, ctx);
	}
}

/* Every command with options of its own: the verbs, and the subcommands of those with some. */
typedef void (*cmd_fn)(const struct cli_cmd *c, void *ctx);

static void each_cmd(cmd_fn fn, void *ctx)
{
	for (const struct cli_cmd *const *c = cli_commands; *c; c++) {
		fn(*c, ctx);
		for (const struct cli_cmd *const *s = (*c)->subs; s && *s; s++)
			fn(*s, ctx);
	}
}

/* ---- bash ------------------------------------------------------------------------------ */

static void bash_spelling(const struct cli_opt *o, void *ctx)
{
	FILE *fp = ctx;

	if (o->short_name)
		fprintf(fp, " -%c", o->short_name);
	if (o->name)
		fprintf(fp, " --%s", o->name);
}

static void bash_value(const struct cli_opt *o, void *ctx)
{
	const struct cli_cmd *c = ((const struct cli_cmd **)ctx)[0];
	FILE *fp = ((FILE **)ctx)[1];

	if (o->arg == CLI_NOARG)
		return;
	fputs("\t", fp);
	if (o->short_name)
		fprintf(fp, "\"%s -%c\"%s", c->name, o->short_name, o->name ? "|" : "");
	if (o->name)
		fprintf(fp, "\"%s --%s\"", c->name, o->name);
	fprintf(fp, ") echo %s%s%s ;;\n", hint_name(o->hint), o->values ? " " : "",
		o->values ? o->values : "");
}

static void bash_cmd_opts(const struct cli_cmd *c, void *ctx)
{
	FILE *fp = ctx;

	fprintf(fp, "\t\"%s\") echo \"", c->name);
	each_opt(c->opts, bash_spelling, fp);
	fputs("\" ;;\n", fp);
}

static void bash_cmd_values(const struct cli_cmd *c, void *ctx)
{
	const void *pair[2] = { c, ctx };

	each_opt(c->opts, bash_value, pair);
}

static void bash_cmd_pos(const struct cli_cmd *c, void *ctx)
{
	FILE *fp = ctx;

	if (c->subs) {
		fprintf(fp, "\t\"%s\") echo enum", c->name);
		for (const struct cli_cmd *const *s = c->subs; *s; s++)
			fprintf(fp, " %s", leaf(*s));
		fputs(" ;;\n", fp);
	} else if (c->positional != CLI_HINT_NONE) {
		fprintf(fp, "\t\"%s\") echo %s%s%s ;;\n", c->name, hint_name(c->positional),
			c->positional_values ? " " : "",
			c->positional_values ? c->positional_values : "");
	}
}

static void completion_bash(FILE *fp)
{
	fputs("# bash completion for kupgrade and kubectl-kupgrade, made by `kupgrade completion bash`\n"
	      "# from the option tables the parser uses.\n"
	      "\n"
	      "# _kupgrade_opts CMD: every option of the command CMD (\"scan\", \"rollout simulate\")\n"
	      "_kupgrade_opts() {\n"
	      "\tcase $1 in\n", fp);
	each_cmd(bash_cmd_opts, fp);
	fputs("\tesac\n"
	      "}\n"
	      "\n"
	      "# _kupgrade_value_of CMD OPTION: what OPTION's value is (HINT [VALUES...]); nothing for a flag\n"
	      "_kupgrade_value_of() {\n"
	      "\tcase \"$1 $2\" in\n", fp);
	each_cmd(bash_cmd_values, fp);
	fputs("\tesac\n"
	      "}\n"
	      "\n"
	      "# _kupgrade_positional CMD: what CMD's arguments are (HINT [VALUES...])\n"
	      "_kupgrade_positional() {\n"
	      "\tcase $1 in\n"
	      "\t\"\") echo enum", fp);
	for (const struct cli_cmd *const *c = cli_commands; *c; c++)
		fprintf(fp, " %s", (*c)->name);
	fputs(" ;;\n", fp);
	each_cmd(bash_cmd_pos, fp);
	fputs("\tesac\n"
	      "}\n"
	      "\n"
	      "# _kupgrade_complete CUR HINT [VALUES...]: fills COMPREPLY\n"
	      "_kupgrade_complete() {\n"
	      "\tlocal cur=$1 hint=$2 IFS=$'\\n'\n"
	      "\tshift 2\n"
	      "\tcase $hint in\n"
	      "\tfile | path) COMPREPLY=($(compgen -f -- \"$cur\")); compopt -o filenames 2>/dev/null ;;\n"
	      "\tdir) COMPREPLY=($(compgen -d -- \"$cur\")); compopt -o filenames 2>/dev/null ;;\n"
	      "\tcontext)\n"
	      "\t\tcommand -v kubectl >/dev/null 2>&1 &&\n"
	      "\t\t\tCOMPREPLY=($(compgen -W \"$(kubectl config get-contexts -o name 2>/dev/null)\" -- \"$cur\")) ;;\n"
	      "\tnamespace | node)\n"
	      "\t\tcommand -v kubectl >/dev/null 2>&1 &&\n"
	      "\t\t\tCOMPREPLY=($(compgen -W \"$(kubectl get \"${hint}s\" -o name --request-timeout=5s 2>/dev/null |\n"
	      "\t\t\t\tsed 's,^[^/]*/,,')\" -- \"$cur\")) ;;\n"
	      "\tenum) COMPREPLY=($(compgen -W \"$*\" -- \"$cur\")) ;;\n"
	      "\t*) COMPREPLY=() ;;\n"
	      "\tesac\n"
	      "}\n"
	      "\n"
	      "_kupgrade() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev= cmd= spec i=1 sub pre= k\n"
	      "\tCOMPREPLY=()\n"
	      "\t((COMP_CWORD > 1)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	      "\t# '--output=js' comes as '--output' '=' 'js' while '=' is in COMP_WORDBREAKS\n"
	      "\tif [[ $cur == = ]]; then\n"
	      "\t\tcur=\n"
	      "\telif [[ $prev == = ]] && ((COMP_CWORD > 2)); then\n"
	      "\t\tprev=${COMP_WORDS[COMP_CWORD - 2]}\n"
	      "\telif [[ $cur == --*=* ]]; then\n"
	      "\t\tprev=${cur%%=*}\n"
	      "\t\tpre=$prev=\n"
	      "\t\tcur=${cur#*=}\n"
	      "\tfi\n"
	      "\t# the command: the verb, then its subcommand when it has some\n"
	      "\tif ((COMP_CWORD > 1)); then\n"
	      "\t\tcmd=${COMP_WORDS[1]}\n"
	      "\t\ti=2\n"
	      "\t\tsub=$(_kupgrade_positional \"$cmd\")\n"
	      "\t\tif [[ $cmd != completion && $sub == enum* ]]; then\n"
	      "\t\t\tif ((COMP_CWORD == 2)); then\n"
	      "\t\t\t\t_kupgrade_complete \"$cur\" $sub\n"
	      "\t\t\t\treturn\n"
	      "\t\t\tfi\n"
	      "\t\t\tcmd=\"$cmd ${COMP_WORDS[2]}\"\n"
	      "\t\t\ti=3\n"
	      "\t\tfi\n"
	      "\tfi\n"
	      "\tif ((COMP_CWORD > i)) || [[ -n $pre ]]; then\n"
	      "\t\tspec=$(_kupgrade_value_of \"$cmd\" \"$prev\")\n"
	      "\t\tif [[ -n $spec ]]; then\n"
	      "\t\t\t_kupgrade_complete \"$cur\" $spec\n"
	      "\t\t\t# '--output=j' is one word when '=' is not in COMP_WORDBREAKS\n"
	      "\t\t\tfor k in \"${!COMPREPLY[@]}\"; do COMPREPLY[k]=$pre${COMPREPLY[k]}; done\n"
	      "\t\t\treturn\n"
	      "\t\tfi\n"
	      "\tfi\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$(_kupgrade_opts \"$cmd\")\" -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\t_kupgrade_complete \"$cur\" $(_kupgrade_positional \"$cmd\")\n"
	      "}\n"
	      "complete -F _kupgrade kupgrade kubectl-kupgrade\n", fp);
}

/* ---- zsh ------------------------------------------------------------------------------- */

/* The help's first clause, for a completion menu: no quotes, brackets or colons. */
static void short_help(FILE *fp, const char *help, bool fish)
{
	size_t n = 0, cut = 0;

	if (!help)
		return;
	while (help[n] && help[n] != ';' && help[n] != '(' && help[n] != '\n' && n < 70) {
		if (help[n] == ' ')
			cut = n;
		n++;
	}
	if (help[n] && help[n] != ';' && help[n] != '(' && help[n] != '\n' && cut)
		n = cut;
	while (n && help[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < n; i++) {
		char c = help[i];
		if (c == '\'')
			fputs(fish ? "\\'" : "'\\''", fp);
		else if (!fish && (c == '[' || c == ']' || c == ':' || c == '\\'))
			fputc(c == '[' ? '(' : c == ']' ? ')' : c == ':' ? ',' : '/', fp);
		else if (c == '`')
			continue;
		else
			fputc(c, fp);
	}
}

static void zsh_action(FILE *fp, enum cli_hint h, const char *values)
{
	switch (h) {
	case CLI_HINT_FILE:
	case CLI_HINT_PATH: fputs("_files", fp); break;
	case CLI_HINT_DIR: fputs("_files -/", fp); break;
	case CLI_HINT_CONTEXT: fputs("_kupgrade_contexts", fp); break;
	case CLI_HINT_NAMESPACE: fputs("_kupgrade_kubectl_names namespaces", fp); break;
	case CLI_HINT_NODE: fputs("_kupgrade_kubectl_names nodes", fp); break;
	case CLI_HINT_ENUM: fprintf(fp, "(%s)", values ? values : ""); break;
	case CLI_HINT_NONE: fputs(" ", fp); break;
	}
}

static void zsh_opt(const struct cli_opt *o, void *ctx)
{
	FILE *fp = ctx;
	int forms = !!o->short_name + !!o->name;

	fputs("\t\t", fp);
	if (forms == 2)
		fprintf(fp, "'(-%c --%s)'{-%c%s,--%s%s}'[", o->short_name, o->name, o->short_name,
			o->arg != CLI_NOARG ? "+" : "", o->name, o->arg != CLI_NOARG ? "=" : "");
	else if (o->name)
		fprintf(fp, "'--%s%s[", o->name, o->arg != CLI_NOARG ? "=" : "");
	else
		fprintf(fp, "'-%c%s[", o->short_name, o->arg != CLI_NOARG ? "+" : "");
	short_help(fp, o->help, false);
	fputs("]", fp);
	if (o->arg != CLI_NOARG) {
		fprintf(fp, ":%s:", o->argname ? o->argname : "VALUE");
		zsh_action(fp, o->hint, o->values);
	}
	fputs("' \\\n", fp);
}

static void zsh_fn_name(FILE *fp, const struct cli_cmd *c)
{
	fputs("_kupgrade_", fp);
	for (const char *p = c->name; *p; p++)
		fputc(*p == ' ' || *p == '-' ? '_' : *p, fp);
}

static void zsh_cmd(const struct cli_cmd *c, void *ctx)
{
	FILE *fp = ctx;

	zsh_fn_name(fp, c);
	fputs("() {\n", fp);
	if (c->subs) {
		fputs("\tlocal -a subs\n\tsubs=(\n", fp);
		for (const struct cli_cmd *const *s = c->subs; *s; s++) {
			fprintf(fp, "\t\t'%s:", leaf(*s));
			short_help(fp, (*s)->summary, false);
			fputs("'\n", fp);
		}
		fputs("\t)\n"
		      "\tif ((CURRENT == 2)); then\n"
		      "\t\t_describe -t commands 'subcommand' subs\n"
		      "\t\treturn\n"
		      "\tfi\n"
		      "\tlocal fn=${funcstack[1]}_${words[2]//-/_}\n"
		      "\tshift words\n"
		      "\t((CURRENT--))\n"
		      "\t(($+functions[$fn])) && $fn\n"
		      "}\n\n", fp);
		return;
	}
	fputs("\t_arguments -s -S \\\n", fp);
	each_opt(c->opts, zsh_opt, fp);
	if (c->positional != CLI_HINT_NONE) {
		fputs("\t\t'*:argument:", fp);
		zsh_action(fp, c->positional, c->positional_values);
		fputs("'\n", fp);
	} else {
		fputs("\t\t'*: :'\n", fp);
	}
	fputs("}\n\n", fp);
}

static void completion_zsh(FILE *fp)
{
	fputs("#compdef kupgrade kubectl-kupgrade\n"
	      "# zsh completion for kupgrade, made by `kupgrade completion zsh` from the option\n"
	      "# tables the parser uses.\n"
	      "\n"
	      "_kupgrade_contexts() {\n"
	      "\tlocal -a ctx\n"
	      "\t(($+commands[kubectl])) && ctx=(${(f)\"$(kubectl config get-contexts -o name 2>/dev/null)\"})\n"
	      "\t_describe -t contexts 'context' ctx\n"
	      "}\n"
	      "\n"
	      "_kupgrade_kubectl_names() {\n"
	      "\tlocal -a names\n"
	      "\t(($+commands[kubectl])) &&\n"
	      "\t\tnames=(${${(f)\"$(kubectl get $1 -o name --request-timeout=5s 2>/dev/null)\"}#*/})\n"
	      "\t_describe -t $1 ${1%s} names\n"
	      "}\n"
	      "\n", fp);
	each_cmd(zsh_cmd, fp);
	fputs("_kupgrade() {\n"
	      "\tlocal -a cmds\n"
	      "\tcmds=(\n", fp);
	for (const struct cli_cmd *const *c = cli_commands; *c; c++) {
		fprintf(fp, "\t\t'%s:", (*c)->name);
		short_help(fp, (*c)->summary, false);
		fputs("'\n", fp);
	}
	fputs("\t)\n"
	      "\tif ((CURRENT == 2)); then\n"
	      "\t\t_describe -t commands 'command' cmds\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tlocal fn=_kupgrade_${words[2]//-/_}\n"
	      "\tshift words\n"
	      "\t((CURRENT--))\n"
	      "\t(($+functions[$fn])) && $fn\n"
	      "}\n"
	      "\n"
	      "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n"
	      "\t_kupgrade \"$@\"\n"
	      "else\n"
	      "\tcompdef _kupgrade kupgrade kubectl-kupgrade\n"
	      "fi\n", fp);
}

/* ---- fish ------------------------------------------------------------------------------ */

static void fish_action(FILE *fp, enum cli_hint h, const char *values)
{
	switch (h) {
	case CLI_HINT_FILE:
	case CLI_HINT_PATH: fputs(" -r -F", fp); break;
	case CLI_HINT_DIR: fputs(" -x -a '(__fish_complete_directories)'", fp); break;
	case CLI_HINT_CONTEXT: fputs(" -x -a '(__kupgrade_contexts)'", fp); break;
	case CLI_HINT_NAMESPACE: fputs(" -x -a '(__kupgrade_kubectl_names namespaces)'", fp); break;
	case CLI_HINT_NODE: fputs(" -x -a '(__kupgrade_kubectl_names nodes)'", fp); break;
	case CLI_HINT_ENUM: fprintf(fp, " -x -a '%s'", values ? values : ""); break;
	case CLI_HINT_NONE: fputs(" -x", fp); break;
	}
}

static void fish_opt(const struct cli_opt *o, void *ctx)
{
	const struct cli_cmd *c = ((const struct cli_cmd **)ctx)[0];
	FILE *fp = ((FILE **)ctx)[1];

	fprintf(fp, "complete -c kupgrade -n '__kupgrade_is %s'", c->name);
	if (o->short_name)
		fprintf(fp, " -s %c", o->short_name);
	if (o->name)
		fprintf(fp, " -l %s", o->name);
	if (o->arg != CLI_NOARG)
		fish_action(fp, o->hint, o->values);
	fputs(" -d '", fp);
	short_help(fp, o->help, true);
	fputs("'\n", fp);
}

static void fish_cmd(const struct cli_cmd *c, void *ctx)
{
	FILE *fp = ctx;
	const void *pair[2] = { c, fp };

	if (c->subs) {
		for (const struct cli_cmd *const *s = c->subs; *s; s++) {
			fprintf(fp, "complete -c kupgrade -n '__kupgrade_needs_sub %s' -a %s -d '", c->name,
				leaf(*s));
			short_help(fp, (*s)->summary, true);
			fputs("'\n", fp);
		}
		return;
	}
	each_opt(c->opts, fish_opt, (void *)pair);
	if (c->positional != CLI_HINT_NONE) {
		fprintf(fp, "complete -c kupgrade -n '__kupgrade_is %s'", c->name);
		fish_action(fp, c->positional, c->positional_values);
		fputs("\n", fp);
	}
}

static void completion_fish(FILE *fp)
{
	fputs("# fish completion for kupgrade, made by `kupgrade completion fish` from the option\n"
	      "# tables the parser uses.\n"
	      "\n"
	      "# the command so far: the verb, and its subcommand when it has some\n"
	      "function __kupgrade_cmd\n"
	      "\tset -l w (commandline -opc)\n"
	      "\tif test (count $w) -lt 2\n"
	      "\t\treturn\n"
	      "\tend\n"
	      "\tif contains -- $w[2]", fp);
	for (const struct cli_cmd *const *c = cli_commands; *c; c++)
		if ((*c)->subs)
			fprintf(fp, " %s", (*c)->name);
	fputs("\n"
	      "\t\tand test (count $w) -ge 3\n"
	      "\t\techo \"$w[2] $w[3]\"\n"
	      "\telse\n"
	      "\t\techo $w[2]\n"
	      "\tend\n"
	      "end\n"
	      "\n"
	      "function __kupgrade_is\n"
	      "\tset -l c (__kupgrade_cmd)\n"
	      "\ttest \"$c\" = \"$argv\"\n"
	      "end\n"
	      "\n"
	      "function __kupgrade_needs_sub\n"
	      "\tset -l w (commandline -opc)\n"
	      "\ttest (count $w) -eq 2; and test \"$w[2]\" = \"$argv[1]\"\n"
	      "end\n"
	      "\n"
	      "function __kupgrade_contexts\n"
	      "\tcommand -q kubectl; and kubectl config get-contexts -o name 2>/dev/null\n"
	      "end\n"
	      "\n"
	      "function __kupgrade_kubectl_names\n"
	      "\tcommand -q kubectl; and kubectl get $argv[1] -o name --request-timeout=5s 2>/dev/null | string replace -r '^[^/]*/' ''\n"
	      "end\n"
	      "\n"
	      "complete -c kupgrade -f\n"
	      "complete -c kubectl-kupgrade -w kupgrade\n", fp);
	for (const struct cli_cmd *const *c = cli_commands; *c; c++) {
		fprintf(fp, "complete -c kupgrade -n 'test (count (commandline -opc)) -eq 1' -a %s -d '",
			(*c)->name);
		short_help(fp, (*c)->summary, true);
		fputs("'\n", fp);
	}
	each_cmd(fish_cmd, fp);
}

int cmd_completion(int argc, char **argv)
{
	struct cli_parse p;
	int c;

	cli_parse_init(&p, &cli_cmd_completion, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		cli_usage(&cli_cmd_completion, c == 'h' ? stdout : stderr);
		return c == 'h' ? KUP_EXIT_OK : KUP_EXIT_ERROR;
	}
	if (p.npos != 1) {
		cli_error("completion: name the shell: bash, zsh or fish");
		return KUP_EXIT_ERROR;
	}
	if (strcmp(p.pos[0], "bash") == 0)
		completion_bash(stdout);
	else if (strcmp(p.pos[0], "zsh") == 0)
		completion_zsh(stdout);
	else if (strcmp(p.pos[0], "fish") == 0)
		completion_fish(stdout);
	else {
		cli_error("completion: unknown shell '%s' (bash, zsh, fish)", p.pos[0]);
		return KUP_EXIT_ERROR;
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? KUP_EXIT_OK : KUP_EXIT_ERROR;
}

/* ---- man pages ------------------------------------------------------------------------- */

/* Text for roff: '\' and '-' escaped, no line starting with '.' or '''. */
static void roff(FILE *fp, const char *s, size_t n)
{
	bool bol = true;

	for (size_t i = 0; i < n && s[i]; i++) {
		char c = s[i];
		if (bol && (c == '.' || c == '\''))
			fputs("\\&", fp);
		bol = false;
		if (c == '\\')
			fputs("\\e", fp);
		else if (c == '-')
			fputs("\\-", fp);
		else if (c == '\n') {
			fputs("\n.br\n", fp);
			bol = true;
		} else
			fputc(c, fp);
	}
}

static void roffs(FILE *fp, const char *s)
{
	roff(fp, s, strlen(s));
}

static void man_paragraphs(FILE *fp, const char *d)
{
	while (d && *d) {
		const char *end = strstr(d, "\n\n");
		size_t n = end ? (size_t)(end - d) : strlen(d);
		fputs(".PP\n", fp);
		roff(fp, d, n);
		fputc('\n', fp);
		d += n;
		if (*d)
			d += 2;
	}
}

static void man_opts(FILE *fp, const struct cli_opt *t)
{
	for (; t && t->id; t++) {
		if (t->arg == CLI_OPT_GROUP) {
			if (t->help) {
				fputs(".PP\n", fp);
				roffs(fp, t->help);
				fputs(":\n", fp);
			}
			man_opts(fp, t->group);
			continue;
		}
		fputs(".TP\n", fp);
		if (t->short_name)
			fprintf(fp, "\\fB\\-%c\\fR%s", t->short_name, t->name ? ", " : "");
		if (t->name) {
			fputs("\\fB\\-\\-", fp);
			roffs(fp, t->name);
			fputs("\\fR", fp);
		}
		if (t->arg != CLI_NOARG) {
			fputs(" \\fI", fp);
			roffs(fp, t->argname ? t->argname : "VALUE");
			fputs(t->arg == CLI_ARGS ? "\\fR...\n" : "\\fR\n", fp);
		} else {
			fputc('\n', fp);
		}
		roffs(fp, t->help ? t->help : "");
		if (t->hint == CLI_HINT_ENUM && t->values) {
			fputs(" (", fp);
			for (const char *v = t->values; *v; v++)
				if (*v == ' ')
					fputs(", ", fp);
				else
					fputc(*v, fp);
			fputs(")", fp);
		}
		if (t->def) {
			fputs(" (default: ", fp);
			roffs(fp, t->def);
			fputc(')', fp);
		}
		fputc('\n', fp);
	}
}

static void man_synopsis(FILE *fp, const struct cli_cmd *c)
{
	const char *u = c->usage ? c->usage : "[options]";

	while (*u) {
		size_t n = strcspn(u, "\n");
		fputs(".B kupgrade", fp);
		if (*c->name) {
			fputc(' ', fp);
			roffs(fp, c->name);
		}
		fputc('\n', fp);
		if (n) {
			roff(fp, u, n);
			fputc('\n', fp);
		}
		u += n;
		if (*u) {
			u++;
			fputs(".br\n", fp);
		}
	}
}

static void man_header(FILE *fp, const char *title, const char *name, const char *summary)
{
	fputs(".\\\" Made by `kupgrade __man` from the option tables; do not edit.\n", fp);
	fprintf(fp, ".TH %s 1 \"\" \"kupgrade %s\" \"User Commands\"\n", title, KUP_VERSION_STRING);
	fputs(".SH NAME\n", fp);
	roffs(fp, name);
	fputs(" \\- ", fp);
	roffs(fp, summary);
	fputs("\n.SH SYNOPSIS\n", fp);
}

static void man_page(FILE *fp, const struct cli_cmd *c)
{
	char title[64], name[64];
	size_t i;

	snprintf(name, sizeof(name), "kupgrade-%s", c->name);
	for (i = 0; name[i] && i < sizeof(title) - 1; i++)
		title[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 'a' + 'A' : name[i]);
	title[i] = '\0';
	man_header(fp, title, name, c->summary);
	man_synopsis(fp, c);
	fputs(".SH DESCRIPTION\n", fp);
	if (c->description)
		man_paragraphs(fp, c->description);
	else {
		fputs(".PP\n", fp);
		roffs(fp, c->summary);
		fputs(".\n", fp);
	}
	if (c->subs) {
		fputs(".SH COMMANDS\n", fp);
		for (const struct cli_cmd *const *s = c->subs; *s; s++) {
			fputs(".SS \"", fp);
			roffs(fp, (*s)->name);
			fputs("\"\n", fp);
			man_synopsis(fp, *s);
			fputs(".PP\n", fp);
			roffs(fp, (*s)->summary);
			fputs(".\n", fp);
			if ((*s)->description)
				man_paragraphs(fp, (*s)->description);
			if ((*s)->opts && (*s)->opts->id) {
				fputs(".PP\nOptions:\n", fp);
				man_opts(fp, (*s)->opts);
			}
			if ((*s)->trailer)
				man_paragraphs(fp, (*s)->trailer);
		}
	}
	if (c->opts && c->opts->id) {
		fputs(".SH OPTIONS\n", fp);
		man_opts(fp, c->opts);
	}
	if (c->trailer) {
		fputs(".SH EXIT STATUS\n", fp);
		man_paragraphs(fp, c->trailer);
	}
	fputs(".SH SEE ALSO\n\\fBkupgrade\\fR(1)\n", fp);
}

static void man_top(FILE *fp)
{
	const struct cli_cmd *c = &cli_cmd_kupgrade;
	bool first = true;

	man_header(fp, "KUPGRADE", "kupgrade", c->summary);
	man_synopsis(fp, c);
	fputs(".br\n.B kubectl kupgrade\n<command> [options]\n", fp);
	fputs(".SH DESCRIPTION\n", fp);
	man_paragraphs(fp, c->description);
	fputs(".SH COMMANDS\n", fp);
	for (const struct cli_cmd *const *s = c->subs; *s; s++) {
		fputs(".TP\n\\fB", fp);
		roffs(fp, (*s)->name);
		fputs("\\fR\n", fp);
		roffs(fp, (*s)->summary);
		fputs("; see \\fBkupgrade\\-", fp);
		roffs(fp, (*s)->name);
		fputs("\\fR(1).\n", fp);
	}
	fputs(".SH OPTIONS\n", fp);
	man_opts(fp, c->opts);
	fputs(".SH EXIT STATUS\n.PP\n0 success; 1 an error; 2 and 3 as each command says (deprecated "
	      "and removed APIs found, a plan with warnings or blocked).\n", fp);
	fputs(".SH ENVIRONMENT\n.TP\n\\fBNO_COLOR\\fR\nno colours in tables\n"
	      ".TP\n\\fBKUBECONFIG\\fR\nthe kubeconfig files, as kubectl reads them\n"
	      ".TP\n\\fBXDG_DATA_HOME\\fR\nwhere \\fBkupgrade kb update\\fR installs a knowledge base "
	      "(else \\fI~/.local/share\\fR)\n", fp);
	fputs(".SH SEE ALSO\n", fp);
	for (const struct cli_cmd *const *s = c->subs; *s; s++) {
		fprintf(fp, "%s\\fBkupgrade\\-", first ? "" : ",\n");
		roffs(fp, (*s)->name);
		fputs("\\fR(1)", fp);
		first = false;
	}
	fputs(",\n\\fBkubectl\\fR(1)\n", fp);
}

int cmd_man(int argc, char **argv)
{
	if (argc < 2) {
		man_top(stdout);
	} else {
		const struct cli_cmd *const *c;
		for (c = cli_commands; *c; c++)
			if (strcmp((*c)->name, argv[1]) == 0)
				break;
		if (!*c) {
			cli_error("__man: unknown command '%s'", argv[1]);
			return KUP_EXIT_ERROR;
		}
		man_page(stdout, *c);
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? KUP_EXIT_OK : KUP_EXIT_ERROR;
}
