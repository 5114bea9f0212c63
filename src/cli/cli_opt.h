/*
 * cli_opt.h - one declarative table of options per command, in the spirit
 * of git's parse-options: the parser, `--help`, the shell completions
 * (`kupgrade completion bash|zsh|fish`) and the man pages (`kupgrade
 * __man`) are all made from the same tables, so they cannot disagree.
 *
 * A command is a struct cli_cmd: its name ("scan", "rollout simulate"), the
 * usage lines, a summary, a description, its option table and what its
 * positional arguments are.  An option table is an array of struct cli_opt
 * ended by an entry whose id is 0; an entry of kind CLI_OPT_GROUP includes
 * another table (the live-cluster flags, the pre-flight flags) under a
 * heading, so shared flags are written once.
 *
 * The parser takes flags and positional arguments in any order, as kubectl
 * does: `--opt=VALUE`, `--opt VALUE`, `-o VALUE`, `-oVALUE`, clustered short
 * flags (`-qA`), `--` ends the options, `-` alone is an argument (stdin).  A
 * long option may be shortened to any unambiguous prefix.  An unknown option
 * is an error naming the closest known one ("did you mean '--to'?").  A
 * CLI_ARGS option takes one or more values: every following argument up to
 * the next option (`--manifests a.yaml b/ --to 1.30`).
 */
#ifndef KUP_CLI_OPT_H
#define KUP_CLI_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum cli_arg {
	CLI_NOARG,      /* a flag */
	CLI_ARG,        /* one value */
	CLI_ARGS,       /* one or more values (PATH...), each returned on its own */
	CLI_OPT_GROUP,  /* not an option: includes `group` under the heading `help` */
};

/* What a value (or a positional argument) is, for the shell completions. */
enum cli_hint {
	CLI_HINT_NONE,     /* free text: nothing to complete */
	CLI_HINT_FILE,     /* a file name ('-' too where the help says so) */
	CLI_HINT_DIR,      /* a directory */
	CLI_HINT_PATH,     /* a file or a directory */
	CLI_HINT_CONTEXT,  /* a kubeconfig context (kubectl config get-contexts -o name) */
	CLI_HINT_NAMESPACE, /* a namespace (kubectl get namespaces -o name) */
	CLI_HINT_NODE,     /* a node (kubectl get nodes -o name) */
	CLI_HINT_ENUM,     /* one of `values` */
};

struct cli_opt {
	int id;                  /* what cli_parse_next() returns; 0 ends a table */
	char short_name;         /* 'o' for -o, or 0 */
	const char *name;        /* "output" for --output, or NULL (short only) */
	enum cli_arg arg;
	const char *argname;     /* "FORMAT", shown in --help and the man page */
	const char *help;        /* one sentence or a few; wrapped when printed */
	const char *def;         /* the default, shown as "(default: DEF)", or NULL */
	enum cli_hint hint;
	const char *values;      /* CLI_HINT_ENUM: the values, space-separated */
	const struct cli_opt *group; /* CLI_OPT_GROUP: the included table */
};

#define CLI_OPT_END { 0, 0, NULL, CLI_NOARG, NULL, NULL, NULL, CLI_HINT_NONE, NULL, NULL }

struct cli_cmd {
	const char *name;        /* "scan", or "rollout simulate" for a subcommand */
	const char *usage;       /* the synopses after "kupgrade NAME ", '\n' between them */
	const char *summary;     /* one line, lower case, no full stop */
	const char *description; /* paragraphs, '\n\n' between them; or NULL */
	const struct cli_opt *opts;
	enum cli_hint positional; /* what the positional arguments are (CLI_HINT_NONE: none or text) */
	const char *positional_values; /* CLI_HINT_ENUM for the positionals */
	const char *trailer;     /* printed after the options ("Exit codes: ..."), or NULL */
	const struct cli_cmd *const *subs; /* subcommands, NULL-terminated, or NULL */
};

/* The standard -h/--help entry; its id is 'h'. */
#define CLI_OPT_HELP { 'h', 'h', "help", CLI_NOARG, NULL, "show this help and exit", NULL, \
		       CLI_HINT_NONE, NULL, NULL }

/*
 * The parser's state.  cli_parse_init() sets it up over argv[1..argc-1]
 * (argv[0] is the command's name).  Each cli_parse_next() returns the id of
 * the next option, with its value in `arg` (NULL for a flag), and
 * `name` the option as given ("--output", "-o"); -1 at the end; '?' after
 * an unknown option or a missing value (the error is printed, with the
 * closest known option).  The positional arguments are gathered, in their
 * order, in argv[1..npos] (argv is permuted in place, as getopt does); they
 * are `pos` and `npos` once cli_parse_next() has returned -1.
 */
struct cli_parse {
	const struct cli_cmd *cmd;
	int argc;
	char **argv;
	int next;                /* the next argv index to read */
	const char *cluster;     /* the rest of a cluster of short flags (-qA) */
	bool dashdash;           /* after `--`: everything is positional */
	const struct cli_opt *list; /* a CLI_ARGS option still taking values */
	const char *arg;         /* the value of the option just returned */
	const char *name;        /* the option as given */
	const struct cli_opt *opt; /* the table entry just returned */
	char **pos;              /* the positional arguments (argv + 1) */
	size_t npos;
	const char *list_tail;   /* the last value a CLI_ARGS option took after its first */
};

void cli_parse_init(struct cli_parse *p, const struct cli_cmd *cmd, int argc, char **argv);
int cli_parse_next(struct cli_parse *p);

/*
 * Takes back the last value a CLI_ARGS option took after its first, as the
 * positional argument: in `plan --manifests DIR PROFILE --to V` the PATH...
 * list swallowed the profile.  The caller removes it from its own list.
 * NULL when there is none.
 */
const char *cli_parse_untail(struct cli_parse *p);

/* The command's --help: usage, description, options (wrapped), trailer. */
void cli_usage(const struct cli_cmd *cmd, FILE *fp);

/* The commands (each in its cmd_*.c). */
extern const struct cli_cmd cli_cmd_scan, cli_cmd_fix, cli_cmd_plan, cli_cmd_profile,
	cli_cmd_rollout, cli_cmd_fleet, cli_cmd_snapshot, cli_cmd_drain, cli_cmd_serve, cli_cmd_kb,
	cli_cmd_version, cli_cmd_completion, cli_cmd_rollout_run;

/* Every command, for the completions and the man pages (cli_doc.c). */
extern const struct cli_cmd *const cli_commands[];
extern const struct cli_cmd cli_cmd_kupgrade;   /* the top level */
/* `kupgrade completion bash|zsh|fish` */
int cmd_completion(int argc, char **argv);
/* `kupgrade __man [VERB]`: the roff man page kupgrade(1) or kupgrade-VERB(1) */
int cmd_man(int argc, char **argv);

#endif
