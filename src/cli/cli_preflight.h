/*
 * cli_preflight.h - `--preflight` and `--allowed-registries` for the verbs
 * that read objects (scan): the pre-flight checks of preflight.h run on the
 * same object stream, and their findings join the report.
 *
 * Use: cli_preflight_opts in the option table (a CLI_OPT_GROUP); offer every option
 * to cli_preflight_option(); cli_preflight_tee() on the ingest's callback;
 * before the report is rendered, cli_preflight_finish() adds the pre-flight
 * findings to it as items (report.h), so every format carries them.
 */
#ifndef KUP_CLI_PREFLIGHT_H
#define KUP_CLI_PREFLIGHT_H

#include "cli.h"
#include "cli_opt.h"
#include "kupgrade/object.h"
#include "kupgrade/preflight.h"
#include "kupgrade/report.h"

enum {
	CLI_OPT_PREFLIGHT = 1100,
	CLI_OPT_ALLOWED_REGISTRIES,
};

/* --preflight and --allowed-registries as an option table (cli_preflight.c). */
extern const struct cli_opt cli_preflight_opts[];
/* --allowed-registries alone (plan: its pre-flight pass always runs over the dumps). */
extern const struct cli_opt cli_allowed_registries_opt[];

struct cli_preflight {
	bool enabled;
	bool bad;
	char **allowed;
	size_t nallowed;
	const struct kup_kb *kb;
	struct kup_preflight *pf;
	kup_object_fn next;
	void *next_ctx;
	struct kup_report_item *items;
};

void cli_preflight_init(struct cli_preflight *p);
/* True when the option id c was one of the pre-flight options. */
bool cli_preflight_option(struct cli_preflight *p, int c, const char *arg);
/*
 * When enabled: starts the pass for `target` and makes *fn and *ctx feed both the
 * pass and what they fed before.  False when out of memory (message printed).
 */
bool cli_preflight_tee(struct cli_preflight *p, const struct kup_kb *kb,
		       const struct kup_version *target, kup_object_fn *fn, void **ctx);
/*
 * When enabled: settles the checks (server_version: the live server's
 * "v1.20.2", or NULL) and sets rep's items to their findings (owned by p,
 * valid until cli_preflight_release) and marks the pass as run.  False when
 * out of memory (message printed).
 */
bool cli_preflight_finish(struct cli_preflight *p, const char *server_version,
			  struct kup_report *rep);
void cli_preflight_release(struct cli_preflight *p);

#endif
