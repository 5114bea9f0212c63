/*
 * walk.c - the directory walk shared by scan and fix (ingest.h).
 *
 * Symbolic links are followed, each directory and each file at most once: a
 * set of the (device, inode) pairs already reached, with the path each was
 * first reached by.  A link back to a directory on the way down is a loop,
 * a link to one already walked elsewhere a second way in; both are
 * warnings that name the link and are not followed.  A dangling link, an
 * entry that vanished between the listing and its turn, and a directory
 * that cannot be opened are errors that name the path; the walk goes on.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kupgrade/ingest.h"

#define MAX_DEPTH 64

struct seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct walker {
	const struct kup_walk *w;
	struct seen *seen;
	size_t nseen, cap;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool manifest_name(const char *n)
{
	static const char *const exts[] = { ".yaml", ".yml", ".json", NULL };

	return kup_has_ext(n, exts);
}


static void problem(const struct walker *wk, bool warning, const char *path, int errnum,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void problem(const struct walker *wk, bool warning, const char *path, int errnum,
		    const char *fmt, ...)
{
	struct kup_walk_problem p;
	struct kup_buf msg = KUP_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	kup_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	p.path = path;
	p.errnum = errnum;
	p.warning = warning;
	p.msg = msg.buf && !msg.oom ? msg.buf : "cannot read (out of memory)";
	if (warning ? wk->w->on_warning != NULL : wk->w->on_error != NULL)
		(warning ? wk->w->on_warning : wk->w->on_error)(wk->w->ctx, &p);
	kup_buf_release(&msg);
}

/*
 * Looks `st` up in the set; when absent adds it (reached by `path`) and
 * returns NULL, else the path it was first reached by.  *oom on failure.
 */
static const char *seen_before(struct walker *wk, const struct stat *st, const char *path,
			       bool *oom)
{
	size_t i;

	for (i = 0; i < wk->nseen; i++)
		if (wk->seen[i].dev == st->st_dev && wk->seen[i].ino == st->st_ino)
			return wk->seen[i].path;
	if (!kup_grow(&wk->seen, &wk->cap, wk->nseen + 1, sizeof(*wk->seen), 32) ||
	    !(wk->seen[wk->nseen].path = strdup(path))) {
		*oom = true;
		return NULL;
	}
	wk->seen[wk->nseen].dev = st->st_dev;
	wk->seen[wk->nseen].ino = st->st_ino;
	wk->nseen++;
	return NULL;
}

/* True when `dir` is `anc` or below it (by path). */
static bool under(const char *dir, const char *anc)
{
	size_t n = strlen(anc);

	if (n && anc[n - 1] == '/')
		n--;
	return strncmp(dir, anc, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

static enum kup_status walk(struct walker *wk, const char *dir, int depth);

/* One entry of a directory listing: `p` is its path. */
static enum kup_status entry(struct walker *wk, const char *dir, const char *p,
			     const char *name, int depth)
{
	struct stat st, lst;
	const char *first;
	bool oom = false;

	if (stat(p, &st) != 0) {
		int e = errno;

		if (lstat(p, &lst) == 0 && S_ISLNK(lst.st_mode)) {
			if (e == ENOENT)
				problem(wk, false, p, e, "cannot read '%s': a dangling symbolic link", p);
			else if (e == ELOOP)
				problem(wk, false, p, e, "cannot read '%s': too many levels of symbolic links", p);
			else
				problem(wk, false, p, e, "cannot read '%s': %s", p, strerror(e));
		} else if (e == ENOENT) {
			problem(wk, false, p, e, "cannot read '%s': it was removed during the walk", p);
		} else {
			problem(wk, false, p, e, "cannot read '%s': %s", p, strerror(e));
		}
		return KUP_OK;
	}
	if (S_ISDIR(st.st_mode)) {
		first = seen_before(wk, &st, p, &oom);
		if (oom)
			return KUP_NOMEM;
		if (first) {
			if (under(dir, first))
				problem(wk, true, p, ELOOP,
					"not following '%s': a symbolic link loop back to '%s'", p, first);
			else
				problem(wk, true, p, 0,
					"not following '%s': the same directory as '%s', read already",
					p, first);
			return KUP_OK;
		}
		return walk(wk, p, depth + 1);
	}
	if (!S_ISREG(st.st_mode) || !manifest_name(name) || !wk->w->on_file)
		return KUP_OK;
	/* A file reached twice (through a link) is read once. */
	first = seen_before(wk, &st, p, &oom);
	if (oom)
		return KUP_NOMEM;
	if (first)
		return KUP_OK;
	return wk->w->on_file(wk->w->ctx, p);
}

static enum kup_status walk(struct walker *wk, const char *dir, int depth)
{
	struct stat st;
	char *chart = kup_path_join(dir, "Chart.yaml"), **names = NULL;
	size_t n = 0, cap = 0, i;
	enum kup_status rc = KUP_OK;
	struct dirent *de;
	DIR *d;

	if (!chart)
		return KUP_NOMEM;
	if (stat(chart, &st) == 0 && S_ISREG(st.st_mode)) {
		free(chart);
		return wk->w->on_chart ? wk->w->on_chart(wk->w->ctx, dir) : KUP_OK;
	}
	free(chart);
	if (depth > MAX_DEPTH) {
		problem(wk, false, dir, ELOOP, "cannot read '%s': more than %d levels of directories",
			dir, MAX_DEPTH);
		return KUP_OK;
	}
	d = opendir(dir);
	if (!d) {
		int e = errno;

		problem(wk, false, dir, e, "cannot open directory '%s': %s", dir, strerror(e));
		return KUP_OK;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (!kup_grow(&names, &cap, n + 1, sizeof(*names), 16) ||
		    !(names[n] = kup_strdup(de->d_name))) {
			rc = KUP_NOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		char *p = rc == KUP_OK ? kup_path_join(dir, names[i]) : NULL;

		if (rc == KUP_OK && !p)
			rc = KUP_NOMEM;
		if (p)
			rc = entry(wk, dir, p, names[i], depth);
		free(p);
		free(names[i]);
	}
	free(names);
	return rc;
}

enum kup_status kup_walk_dir(const char *dir, const struct kup_walk *w)
{
	struct walker wk;
	struct stat st;
	enum kup_status rc;
	bool oom = false;
	size_t i;

	memset(&wk, 0, sizeof(wk));
	wk.w = w;
	/* The top directory is reached first: a link inside back to it is a loop. */
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		seen_before(&wk, &st, dir, &oom);
		if (oom)
			return KUP_NOMEM;
	}
	rc = walk(&wk, dir, 0);
	for (i = 0; i < wk.nseen; i++)
		free(wk.seen[i].path);
	free(wk.seen);
	return rc;
}
