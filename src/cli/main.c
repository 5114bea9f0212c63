/*
 * main.c - the kupgrade command: dispatch to a subcommand.
 * Also runs as the kubectl plugin kubectl-kupgrade.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "kupgrade/emit.h"
#include "progress.h"

const char *kup_cli_name = "kupgrade";

void cli_error(const char *fmt, ...)
{
	va_list ap;

	cli_progress_clear();
	fprintf(stderr, "%s: error: ", kup_cli_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_warning(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: warning: ", kup_cli_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_print_warning(void *ctx, const struct kup_error *err)
{
	(void)ctx;
	cli_warning("%s", err->msg ? err->msg : kup_strerror(err->code));
}

bool cli_json_as_yaml(struct kup_buf *out)
{
	struct kup_buf y = KUP_BUF_INIT;
	struct kup_error err = KUP_ERROR_INIT;
	bool ok = !out->oom && kup_json_to_yaml(out->buf ? out->buf : "", out->len, &y, &err) &&
		  !y.oom;

	if (!ok) {
		cli_error("cannot write YAML: %s", err.msg ? err.msg : "out of memory");
		kup_buf_release(&y);
	} else {
		kup_buf_release(out);
		*out = y;
	}
	kup_error_release(&err);
	return ok;
}

bool cli_parse_size(const char *s, size_t *out)
{
	static const struct { const char *suffix; unsigned shift; } units[] = {
		{ "", 0 }, { "K", 10 }, { "KiB", 10 }, { "M", 20 }, { "MiB", 20 },
		{ "G", 30 }, { "GiB", 30 },
	};
	unsigned long long v;
	char *end;
	size_t i;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v == 0)
		return false;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (v > (unsigned long long)(SIZE_MAX >> units[i].shift))
			return false;
		*out = (size_t)v << units[i].shift;
		return true;
	}
	return false;
}

void cli_print_error(const struct kup_error *err)
{
	cli_progress_clear();
	if (err->path && err->line)
		fprintf(stderr, "%s:%u:%u: ", err->path, err->line, err->column ? err->column : 1);
	else if (err->path)
		fprintf(stderr, "%s: ", err->path);
	if (err->object)
		fprintf(stderr, "%s: ", err->object);
	fprintf(stderr, "%s\n", err->msg ? err->msg : kup_strerror(err->code));
}

static void print_kb_problem(void *ctx, const struct kup_error *err)
{
	(void)ctx;
	cli_print_error(err);
}

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d. */
static long days_since_epoch(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool parse_day(const char *s, long *out)
{
	int y, m, d;
	char tail;

	if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 ||
	    d > 31)
		return false;
	*out = days_since_epoch(y, m, d);
	return true;
}

/* Today as days since the epoch; KUPGRADE_TODAY=YYYY-MM-DD overrides the clock. */
static long today(void)
{
	long t;

	if (parse_day(getenv("KUPGRADE_TODAY"), &t))
		return t;
	return (long)(time(NULL) / 86400);
}

void cli_kb_warn_age(const struct kup_kb *kb)
{
	static bool warned;
	const char *checked = kup_kb_checked(kb);
	long day, age;

	if (warned || !parse_day(checked, &day))
		return;
	age = today() - day;
	if (age <= CLI_KB_MAX_AGE_DAYS)
		return;
	warned = true;
	fprintf(stderr,
		"%s: warning: the knowledge base was last checked on %s, %ld days ago: newer "
		"releases, removals and add-on versions are missing (kupgrade kb update BUNDLE)\n",
		kup_cli_name, checked, age);
}

void cli_kb_warn_target(const struct kup_kb *kb, const struct kup_version *target)
{
	static bool warned;
	const struct kup_version *newest = kup_kb_newest(kb);
	const struct kup_release *sched;
	char b1[32], b2[32];

	if (warned || !target->valid || !newest->valid)
		return;
	if (target->major < newest->major ||
	    (target->major == newest->major && target->minor <= newest->minor))
		return;
	warned = true;
	sched = kup_kb_find_scheduled(kb, target);
	if (sched) {
		fprintf(stderr,
			"%s: warning: Kubernetes %s is scheduled for %s, not released in the knowledge "
			"base (newest released: %s): what that release removes is not checked\n",
			kup_cli_name, kup_version_minor_str(target, b1, sizeof(b1)), sched->scheduled,
			kup_version_minor_str(newest, b2, sizeof(b2)));
		return;
	}
	fprintf(stderr,
		"%s: warning: the target %s is newer than the newest Kubernetes minor the knowledge "
		"base knows (%s): what that release removes is not checked\n",
		kup_cli_name, kup_version_minor_str(target, b1, sizeof(b1)),
		kup_version_minor_str(newest, b2, sizeof(b2)));
}

/* ", 1.38 scheduled for 2026-12-16" per scheduled release (no newline). */
void cli_kb_print_scheduled(const struct kup_kb *kb, FILE *out)
{
	size_t i;
	char b[32];

	for (i = 0; i < kup_kb_scheduled_count(kb); i++) {
		const struct kup_release *r = kup_kb_scheduled_at(kb, i);

		fprintf(out, ", %s scheduled for %s", kup_version_minor_str(&r->version, b, sizeof(b)),
			r->scheduled);
	}
}

static char kb_origin[PATH_MAX + 8] = "embedded";

const char *cli_kb_origin(void)
{
	return kb_origin;
}

bool cli_kb_base(char *buf, size_t size)
{
	const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	int n;

	if (x && x[0] == '/')
		n = snprintf(buf, size, "%s/kupgrade", x);
	else if (home && home[0] == '/')
		n = snprintf(buf, size, "%s/.local/share/kupgrade", home);
	else
		return false;
	return n > 0 && (size_t)n < size;
}

static void count_problem(void *ctx, const struct kup_error *err)
{
	(void)err;
	(*(size_t *)ctx)++;
}

/*
 * The installed knowledge base (cli_kb_base()/kb), when it loads and is newer
 * than `embedded`: it replaces it.  A broken one is announced and ignored.
 */
static struct kup_kb *prefer_installed(struct kup_kb *embedded)
{
	char base[PATH_MAX], dir[PATH_MAX + 4];
	struct kup_kb *kb = NULL;
	size_t n = 0;
	struct kup_error_sink sink = { count_problem, &n };
	const char *a, *b;
	struct stat st;

	if (!cli_kb_base(base, sizeof(base)))
		return embedded;
	snprintf(dir, sizeof(dir), "%s/kb", base);
	if (stat(dir, &st) != 0)
		return embedded;
	if (kup_kb_load_dir(dir, &kb, &sink, &n) != KUP_OK) {
		fprintf(stderr,
			"%s: warning: ignoring the installed knowledge base '%s' (%zu problem(s); "
			"'kupgrade kb validate %s' lists them)\n",
			kup_cli_name, dir, n, dir);
		return embedded;
	}
	a = kup_kb_checked(kb);
	b = kup_kb_checked(embedded);
	if (!a || (b && strcmp(a, b) <= 0)) {
		kup_kb_free(kb);
		return embedded;
	}
	kup_kb_free(embedded);
	snprintf(kb_origin, sizeof(kb_origin), "%s", dir);
	return kb;
}

struct kup_kb *cli_load_kb(const char *dir)
{
	struct kup_kb *kb = NULL;

	if (dir) {
		struct kup_error_sink sink = { print_kb_problem, NULL };
		size_t n = 0;
		if (kup_kb_load_dir(dir, &kb, &sink, &n) != KUP_OK) {
			cli_error("cannot load the knowledge base from '%s': %zu problem(s)", dir, n);
			return NULL;
		}
	} else {
		struct kup_error err = KUP_ERROR_INIT;
		if (kup_kb_load_embedded(&kb, &err) != KUP_OK) {
			cli_print_error(&err);
			kup_error_release(&err);
			return NULL;
		}
		kup_error_release(&err);
		snprintf(kb_origin, sizeof(kb_origin), "embedded");
		kb = prefer_installed(kb);
	}
	if (dir)
		snprintf(kb_origin, sizeof(kb_origin), "%s", dir);
	cli_kb_warn_age(kb);
	return kb;
}

static int cmd_version(int argc, char **argv)
{
	struct kup_kb *kb;
	struct cli_parse p;
	char b[32];
	int c;

	cli_parse_init(&p, &cli_cmd_version, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		cli_usage(&cli_cmd_version, c == 'h' ? stdout : stderr);
		return c == 'h' ? KUP_EXIT_OK : KUP_EXIT_ERROR;
	}
	if (p.npos) {
		cli_error("version takes no arguments ('%s')", p.pos[0]);
		return KUP_EXIT_ERROR;
	}
	kb = cli_load_kb(NULL);

	printf("kupgrade %s\n", KUP_VERSION_STRING);
	if (!kb)
		return KUP_EXIT_ERROR;
	printf("knowledge base: %s (%s), newest Kubernetes %s",
	       kup_kb_checked(kb) ? kup_kb_checked(kb) : "undated", cli_kb_origin(),
	       kup_version_minor_str(kup_kb_newest(kb), b, sizeof(b)));
	cli_kb_print_scheduled(kb, stdout);
	putchar('\n');
	kup_kb_free(kb);
	return fflush(stdout) == 0 ? KUP_EXIT_OK : KUP_EXIT_ERROR;
}

/* ---- stderr, redacted --------------------------------------------------------------------
 *
 * Everything the CLI writes to stderr (errors, warnings, -v request logs, fleet logs) goes
 * through kup_redact_to(): stderr is replaced by a stream whose writes are held until a
 * line is complete, then written to fd 2 with every secret masked.  No allocation (a
 * static line buffer), so it works when memory has run out.
 */
static char err_line[16384];
static size_t err_len;

static void fd2_out(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void err_flush_lines(bool all)
{
	size_t done = 0;

	for (size_t i = 0; i < err_len; i++)
		if (err_line[i] == '\n') {
			kup_redact_to(err_line + done, i + 1 - done, fd2_out, NULL);
			done = i + 1;
		}
	if (all && done < err_len) {
		kup_redact_to(err_line + done, err_len - done, fd2_out, NULL);
		done = err_len;
	}
	memmove(err_line, err_line + done, err_len - done);
	err_len -= done;
}

static ssize_t err_write(void *cookie, const char *buf, size_t size)
{
	size_t left = size;

	(void)cookie;
	while (left > 0) {
		size_t n = sizeof(err_line) - err_len;
		if (n > left)
			n = left;
		memcpy(err_line + err_len, buf, n);
		err_len += n;
		buf += n;
		left -= n;
		err_flush_lines(err_len == sizeof(err_line));
	}
	return (ssize_t)size;
}

static void err_at_exit(void)
{
	fflush(stderr);
	err_flush_lines(true);
}

static void redact_stderr(void)
{
	static bool done;
	cookie_io_functions_t fns = { NULL, err_write, NULL, NULL };
	FILE *fp;

	if (done)      /* main() runs more than once in the CLI fuzz target */
		return;
	done = true;
	fp = fopencookie(NULL, "w", fns);
	if (!fp)
		return;
	setvbuf(fp, NULL, _IONBF, 0);
	stderr = fp;
	atexit(err_at_exit);
}

static void usage(FILE *fp)
{
	cli_usage(&cli_cmd_kupgrade, fp);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "scan", cmd_scan },
	{ "fix", cmd_fix },
	{ "plan", cmd_plan },
	{ "profile", cmd_profile },
	{ "rollout", cmd_rollout },
	{ "fleet", cmd_fleet },
	{ "snapshot", cmd_snapshot },
	{ "drain", cmd_drain },
	{ "serve", cmd_serve },
	{ "kb", cmd_kb },
	{ "completion", cmd_completion },
	{ "__man", cmd_man },      /* hidden: the man pages, made at build time */
};

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	redact_stderr();
	base = base ? base + 1 : argv[0];
	if (strncmp(base, "kubectl-", 8) == 0)
		kup_cli_name = "kubectl kupgrade";
	if (argc < 2) {
		usage(stderr);
		return KUP_EXIT_ERROR;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		return cmd_version(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return KUP_EXIT_OK;
	}
	cli_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return KUP_EXIT_ERROR;
}
