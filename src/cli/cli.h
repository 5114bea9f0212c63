/* cli.h - shared by the kupgrade subcommands. */
#ifndef KUP_CLI_H
#define KUP_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include "kupgrade/core.h"
#include "kupgrade/kb.h"
#include "cli_opt.h"

/* Exit codes, everywhere. */
enum {
	KUP_EXIT_OK = 0,
	KUP_EXIT_ERROR = 1,
	KUP_EXIT_DEPRECATED = 2,
	KUP_EXIT_REMOVED = 3,
};

extern const char *kup_cli_name;

#ifdef main
/* main.c, renamed kup_cli_main in the CLI fuzz target (-Dmain=kup_cli_main) */
int main(int argc, char **argv);
#endif

int cmd_scan(int argc, char **argv);
int cmd_kb(int argc, char **argv);
int cmd_fix(int argc, char **argv);
int cmd_plan(int argc, char **argv);       /* cmd_plan.c */
int cmd_profile(int argc, char **argv);    /* cmd_profile.c */
int cmd_rollout(int argc, char **argv);    /* cmd_rollout.c */
int cmd_rollout_run(int argc, char **argv); /* cmd_rollout_run.c */
int cmd_fleet(int argc, char **argv);      /* cmd_fleet.c */
int cmd_snapshot(int argc, char **argv);   /* cmd_live.c */
int cmd_drain(int argc, char **argv);      /* cmd_drain.c */
int cmd_serve(int argc, char **argv);      /* cmd_serve.c */

/* "kupgrade: error: ..." on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "kupgrade: warning: ..." on stderr: something skipped on purpose; the exit code is unchanged. */
void cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A kup_error_sink function printing each as a warning (cli_warning). */
void cli_print_warning(void *ctx, const struct kup_error *err);

/* The hint alone: prints "did you mean '--NAME'?" when a known name is close to `arg`. */
void cli_suggest_option(const char *arg, const char *const *names, size_t n);
/* Prints one input error as "path:line:column: message" on stderr. */
void cli_print_error(const struct kup_error *err);
/*
 * Parses a size: a number of bytes, or with a suffix K, M, G (powers of
 * 1024; KiB, MiB, GiB too).  False on anything else, zero, or overflow.
 */
bool cli_parse_size(const char *s, size_t *out);

/*
 * `-o yaml` of a verb whose document is built as JSON: replaces the JSON
 * text in *out with the same document as YAML (kup_json_to_yaml, the core
 * emitter).  false, with the reason printed, when that fails.
 */
bool cli_json_as_yaml(struct kup_buf *out);
/* Loads --kb DIR, or the embedded KB when dir is NULL; prints problems. */
struct kup_kb *cli_load_kb(const char *dir);
/*
 * Without --kb, cli_load_kb() loads the embedded KB, then the one installed
 * by 'kupgrade kb update' in cli_kb_base()/kb when that loads and is newer.
 * cli_kb_origin() says which ("embedded", or the directory) was loaded last.
 */
const char *cli_kb_origin(void);
/* "$XDG_DATA_HOME/kupgrade" (else "$HOME/.local/share/kupgrade"); false when neither is set. */
bool cli_kb_base(char *buf, size_t size);
/* A knowledge base older than this many days is announced on stderr. */
#define CLI_KB_MAX_AGE_DAYS 120
/*
 * Once per process, on stderr: the KB's newest `checked:` date is more than
 * CLI_KB_MAX_AGE_DAYS before today (KUPGRADE_TODAY=YYYY-MM-DD overrides the
 * clock).  cli_load_kb() calls it.
 */
void cli_kb_warn_age(const struct kup_kb *kb);
/* Once per process, on stderr: target's minor is newer than the KB's newest. */
void cli_kb_warn_target(const struct kup_kb *kb, const struct kup_version *target);
/* Appends ", 1.38 scheduled for YYYY-MM-DD" for each scheduled release the KB lists. */
void cli_kb_print_scheduled(const struct kup_kb *kb, FILE *out);

#endif
