/*
 * walk.c - the directory walk shared by scan and fix (ingest.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kupgrade/ingest.h"

#define MAX_DEPTH 64

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool manifest_name(const char *n)
{
	static const char *const exts[] = { ".yaml", ".yml", ".json" };
	size_t l = strlen(n), i;

	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t e = strlen(exts[i]);
		if (l > e && strcmp(n + l - e, exts[i]) == 0)
			return true;
	}
	return false;
}

static char *join(const char *a, const char *b)
{
	struct kup_buf p = KUP_BUF_INIT;
	size_t n = strlen(a);

	kup_buf_add(&p, a, n);
	if (n && a[n - 1] != '/')
		kup_buf_addc(&p, '/');
	kup_buf_adds(&p, b);
	return kup_buf_detach(&p, NULL);
}

static enum kup_status walk(const char *dir, const struct kup_walk *w, int depth)
{
	struct stat st;
	char *chart = join(dir, "Chart.yaml"), **names = NULL;
	size_t n = 0, cap = 0, i;
	enum kup_status rc = KUP_OK;
	struct dirent *de;
	DIR *d;

	if (!chart)
		return KUP_NOMEM;
	if (stat(chart, &st) == 0 && S_ISREG(st.st_mode)) {
		free(chart);
		return w->on_chart ? w->on_chart(w->ctx, dir) : KUP_OK;
	}
	free(chart);
	if (depth > MAX_DEPTH)
		return KUP_OK;
	d = opendir(dir);
	if (!d) {
		if (w->on_error)
			w->on_error(w->ctx, dir, errno);
		return KUP_OK;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (!kup_grow(&names, &cap, n + 1, sizeof(*names), 16) ||
		    !(names[n] = strdup(de->d_name))) {
			rc = KUP_NOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		char *p = rc == KUP_OK ? join(dir, names[i]) : NULL;

		if (rc == KUP_OK && !p)
			rc = KUP_NOMEM;
		if (p && stat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc = walk(p, w, depth + 1);
			else if (S_ISREG(st.st_mode) && manifest_name(names[i]) && w->on_file)
				rc = w->on_file(w->ctx, p);
		}
		free(p);
		free(names[i]);
	}
	free(names);
	return rc;
}

enum kup_status kup_walk_dir(const char *dir, const struct kup_walk *w)
{
	return walk(dir, w, 0);
}
