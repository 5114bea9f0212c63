/* progress.c - the progress line on a terminal (progress.h). */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "kupgrade/live.h"

#define INTERVAL_MS 100

static struct cli_progress *active;

void cli_progress_init(struct cli_progress *p, bool quiet)
{
	struct winsize ws;

	memset(p, 0, sizeof(*p));
	p->on = !quiet && isatty(STDERR_FILENO);
	p->width = 80;
	if (p->on && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		p->width = ws.ws_col;
	active = p;
}

void cli_progress_update(struct cli_progress *p, const char *fmt, ...)
{
	char line[512];
	size_t max;
	va_list ap;
	int64_t t;

	if (!p->on)
		return;
	t = kup_mono_ms();
	if (p->last_ms && t - p->last_ms < INTERVAL_MS)
		return;
	p->last_ms = t;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one column short of the width, so the terminal never wraps the line */
	max = p->width - 1 < sizeof(line) - 1 ? p->width - 1 : sizeof(line) - 1;
	if (strlen(line) > max)
		line[max] = '\0';
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->shown = true;
}

static void clear(struct cli_progress *p)
{
	if (p->on && p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->shown = false;
		p->last_ms = 0;
	}
}

void cli_progress_end(struct cli_progress *p)
{
	clear(p);
	p->on = false;
	if (active == p)
		active = NULL;
}

void cli_progress_clear(void)
{
	if (active)
		clear(active);
}

void cli_log_stamped(const char *what, const char *line)
{
	time_t t = time(NULL);
	struct tm tm;
	char ts[32];

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	cli_progress_clear();
	if (what)
		fprintf(stderr, "%s %s: %s\n", ts, what, line);
	else
		fprintf(stderr, "%s %s\n", ts, line);
}

void cli_progress_live_page(void *ctx, const struct kup_kube_resource *res,
			    const struct kup_live_stats *so_far)
{
	cli_progress_update(ctx, "listing the cluster: %zu page%s, %zu object%s (%s%s%s)",
			    so_far->pages, so_far->pages == 1 ? "" : "s", so_far->items,
			    so_far->items == 1 ? "" : "s", res->name, *res->group ? "." : "",
			    res->group);
}
