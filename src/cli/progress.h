/*
 * progress.h - one line of progress on a terminal, for the long jobs (scan,
 * snapshot, rollout simulate, fleet run).
 *
 * The line goes to stderr, rewritten in place with '\r' at most ten times a
 * second, and is cleared by cli_progress_end().  It is never written when
 * stderr is not a terminal or when the command was given -q/--quiet, so what
 * a pipe or a log file receives does not change.  Colour is not used, so
 * NO_COLOR has nothing to turn off.
 */
#ifndef KUP_CLI_PROGRESS_H
#define KUP_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct cli_progress {
	bool on;            /* stderr is a terminal and not --quiet */
	bool shown;         /* a line is on the screen now */
	int64_t last_ms;    /* monotonic time of the last line written */
	size_t width;       /* the terminal's columns (the line is cut to fit) */
};

/* Sets up p; on only when !quiet and stderr is a terminal.  Becomes the active line. */
void cli_progress_init(struct cli_progress *p, bool quiet);
/*
 * Rewrites the line with the formatted text, unless the previous one was
 * written less than 100 ms ago (the first is written at once).
 */
void cli_progress_update(struct cli_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Clears the line; later updates write nothing.  p stops being the active line. */
void cli_progress_end(struct cli_progress *p);
/*
 * Clears the active line, if one is shown, so that a message can be written
 * to stderr; the next update writes the line again.  Safe with none active.
 */
void cli_progress_clear(void);
/*
 * A log line on stderr: "HH:MM:SS " (UTC), then "WHAT: " when what is not
 * NULL, then the line; a progress line on the screen is cleared first.
 */
void cli_log_stamped(const char *what, const char *line);

/*
 * A kup_live_opts on_page callback (ctx: a struct cli_progress) for the
 * commands that list a cluster: "listing the cluster: 12 pages, 3400 objects
 * (deployments.apps)".
 */
struct kup_kube_resource;
struct kup_live_stats;
void cli_progress_live_page(void *ctx, const struct kup_kube_resource *res,
			    const struct kup_live_stats *so_far);

#endif
