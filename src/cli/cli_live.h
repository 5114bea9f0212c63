/*
 * cli_live.h - the kubectl-style connection flags every live verb shares
 * (--kubeconfig, --context, -n/--namespace, -A/--all-namespaces, -v) and
 * the connection they lead to.  Implemented in cmd_live.c.
 *
 * Use: include cli_live_opts in the command's option table (a CLI_OPT_GROUP
 * entry), offer every option to cli_live_option() first,
 * then cli_live_connect() when cli_live_wanted().
 */
#ifndef KUP_CLI_LIVE_H
#define KUP_CLI_LIVE_H

#include "cli.h"
#include "cli_opt.h"
#include "kupgrade/kube.h"
#include "kupgrade/live.h"

enum {
	CLI_OPT_KUBECONFIG = 1000,
	CLI_OPT_CONTEXT,
	CLI_OPT_LIVE,
	CLI_OPT_REQUEST_TIMEOUT,
	CLI_OPT_STRICT,
};

/* The connection flags as an option table, for a CLI_OPT_GROUP entry (cmd_live.c). */
extern const struct cli_opt cli_live_opts[];

struct cli_live {
	const char *kubeconfig;
	const char *context;
	const char *namespace_;        /* -n; NULL with -A or nothing */
	bool all_namespaces;
	bool live;                     /* --live, --context or --kubeconfig given */
	int verbose;
	long timeout_s;
	bool bad;                      /* a live option had a bad value */
	bool strict;                   /* --strict: an empty answer is an error */
	struct kup_kubeconfig *cfg;
	struct kup_kube *k;
	struct kup_kube_discovery *disc;
};

void cli_live_init(struct cli_live *l);
/* True when the option id c (argument arg) was one of the live options. */
bool cli_live_option(struct cli_live *l, int c, const char *arg);
/* True when the command should read a live cluster. */
bool cli_live_wanted(const struct cli_live *l);
/*
 * Loads the kubeconfig, makes the client and, when discover, reads
 * discovery.  Prints the error ("kupgrade: error: ...") and returns
 * KUP_EXIT_ERROR on failure, KUP_EXIT_OK on success.
 */
int cli_live_connect(struct cli_live *l, bool discover);
/*
 * After a collection: an empty list of namespaces or nodes (and what
 * discovery already said) is a warning, or with --strict an error.  False
 * when --strict and something was empty (printed).
 */
bool cli_live_check_collected(const struct cli_live *l, const struct kup_live_stats *stats);
/*
 * For verbs that read a cluster dump (plan, profile, rollout): connects
 * (when not yet connected), writes a snapshot of the cluster to a fresh
 * temporary directory and sets *path to the file (malloc'd).  Prints what
 * went wrong and returns KUP_EXIT_ERROR on failure (*path NULL), or when
 * resources were skipped (each named on stderr; *path set: the snapshot
 * holds the rest).  Remove it with cli_live_snapshot_remove().
 */
int cli_live_snapshot_tmp(struct cli_live *l, char **path);
void cli_live_snapshot_remove(char *path);
/* The namespace to restrict lists to: -n, or NULL for every namespace. */
const char *cli_live_namespace(const struct cli_live *l);
void cli_live_release(struct cli_live *l);

#endif
