/*
 * test_walk.c - kup_walk_dir (ingest.h) on trees that change while walked
 * and on links: a file removed between the listing and its turn, a file
 * replaced by a dangling link, a directory removed mid-walk, loops, the same
 * file through two links, and the order of what is reported.  The files
 * are removed from inside on_file, which runs between the listing of a
 * directory and the turn of its later entries, as another process would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "kupgrade/ingest.h"

static char root[200];

struct log {
	char files[16][256];
	size_t nfiles;
	char errors[8][512];
	int errnums[8];
	size_t nerrors;
	char warnings[8][512];
	size_t nwarnings;
	const char *remove_at;      /* when on_file gets a path ending in this ... */
	const char *remove_what;    /* ... remove this path (relative to root) */
	bool rmdir_it;
};

static void path_of(char *out, size_t n, const char *rel)
{
	snprintf(out, n, "%s/%s", root, rel);
}

static void put(const char *rel)
{
	char p[512];
	FILE *fp;

	path_of(p, sizeof p, rel);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", fp);
	fclose(fp);
}

static void dir(const char *rel)
{
	char p[512];

	path_of(p, sizeof p, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void link_(const char *target, const char *rel)
{
	char p[512];

	path_of(p, sizeof p, rel);
	assert_int_equal(symlink(target, p), 0);
}

static const char *rel(const char *path)
{
	size_t n = strlen(root);

	return strncmp(path, root, n) == 0 && path[n] == '/' ? path + n + 1 : path;
}

static enum kup_status on_file(void *ctx, const char *path)
{
	struct log *l = ctx;
	size_t n = strlen(path);

	assert_true(l->nfiles < 16);
	snprintf(l->files[l->nfiles++], sizeof l->files[0], "%s", rel(path));
	if (l->remove_at && n >= strlen(l->remove_at) &&
	    strcmp(path + n - strlen(l->remove_at), l->remove_at) == 0) {
		char p[512];

		path_of(p, sizeof p, l->remove_what);
		if (l->rmdir_it) {
			char f[600];

			snprintf(f, sizeof f, "%s/inner.yaml", p);
			assert_int_equal(unlink(f), 0);
			assert_int_equal(rmdir(p), 0);
		} else {
			assert_int_equal(unlink(p), 0);
		}
	}
	return KUP_OK;
}

static void on_error(void *ctx, const struct kup_walk_problem *p)
{
	struct log *l = ctx;

	assert_false(p->warning);
	assert_true(l->nerrors < 8);
	l->errnums[l->nerrors] = p->errnum;
	snprintf(l->errors[l->nerrors++], sizeof l->errors[0], "%s", p->msg);
}

static void on_warning(void *ctx, const struct kup_walk_problem *p)
{
	struct log *l = ctx;

	assert_true(p->warning);
	assert_true(l->nwarnings < 8);
	snprintf(l->warnings[l->nwarnings++], sizeof l->warnings[0], "%s", p->msg);
}

static void walk(struct log *l)
{
	struct kup_walk w = { on_file, NULL, on_error, on_warning, l };

	assert_int_equal(kup_walk_dir(root, &w), KUP_OK);
}

/* The message with the root's path taken out, for comparison. */
static const char *unrooted(const char *msg)
{
	static char out[512];
	const char *s = msg, *hit;
	size_t n = strlen(root), o = 0;

	while ((hit = strstr(s, root)) && o + (size_t)(hit - s) + 5 < sizeof out) {
		memcpy(out + o, s, (size_t)(hit - s));
		o += (size_t)(hit - s);
		memcpy(out + o, "ROOT", 4);
		o += 4;
		s = hit + n;
	}
	snprintf(out + o, sizeof out - o, "%s", s);
	return out;
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(root, sizeof root, "%s/kup-walk-XXXXXX", t && *t && strlen(t) < 100 ? t : "/tmp");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_file_removed_mid_walk(void **state)
{
	struct log l;

	(void)state;
	memset(&l, 0, sizeof l);
	put("a.yaml");
	put("b.yaml");
	put("c.yaml");
	l.remove_at = "/a.yaml";   /* a is read: b vanishes before its turn */
	l.remove_what = "b.yaml";
	walk(&l);
	assert_int_equal(l.nfiles, 2);
	assert_string_equal(l.files[0], "a.yaml");
	assert_string_equal(l.files[1], "c.yaml");   /* the rest is still read */
	assert_int_equal(l.nerrors, 1);
	assert_int_equal(l.errnums[0], ENOENT);
	assert_string_equal(unrooted(l.errors[0]),
			    "cannot read 'ROOT/b.yaml': it was removed during the walk");
}

static void test_directory_removed_mid_walk(void **state)
{
	struct log l;

	(void)state;
	memset(&l, 0, sizeof l);
	put("a.yaml");
	dir("b");
	put("b/inner.yaml");
	put("c.yaml");
	l.remove_at = "/a.yaml";
	l.remove_what = "b";
	l.rmdir_it = true;
	walk(&l);
	assert_int_equal(l.nfiles, 2);
	assert_string_equal(l.files[1], "c.yaml");
	assert_int_equal(l.nerrors, 1);
	assert_string_equal(unrooted(l.errors[0]),
			    "cannot read 'ROOT/b': it was removed during the walk");
}

static void test_dangling_link(void **state)
{
	struct log l;

	(void)state;
	memset(&l, 0, sizeof l);
	put("a.yaml");
	link_("nowhere.yaml", "b.yaml");
	link_("b.yaml", "c.yaml");      /* a link to a dangling link dangles too */
	put("d.yaml");
	walk(&l);
	assert_int_equal(l.nfiles, 2);
	assert_int_equal(l.nerrors, 2);
	assert_string_equal(unrooted(l.errors[0]), "cannot read 'ROOT/b.yaml': a dangling symbolic link");
	assert_string_equal(unrooted(l.errors[1]), "cannot read 'ROOT/c.yaml': a dangling symbolic link");
}

static void test_link_to_itself(void **state)
{
	struct log l;

	(void)state;
	memset(&l, 0, sizeof l);
	link_("self.yaml", "self.yaml");
	put("z.yaml");
	walk(&l);
	assert_int_equal(l.nfiles, 1);
	assert_int_equal(l.nerrors, 1);
	assert_int_equal(l.errnums[0], ELOOP);
	assert_string_equal(unrooted(l.errors[0]),
			    "cannot read 'ROOT/self.yaml': too many levels of symbolic links");
}

static void test_loops_and_second_ways_in(void **state)
{
	struct log l;

	(void)state;
	memset(&l, 0, sizeof l);
	dir("a");
	dir("a/b");
	put("a/b/f.yaml");
	link_(".", "a/b/here");          /* a loop onto itself */
	link_("../..", "a/b/top");       /* a loop onto the root */
	link_("a/b", "z");               /* a second way into a/b, after it */
	link_("a/b/f.yaml", "y.yaml");   /* the same file again */
	walk(&l);
	assert_int_equal(l.nfiles, 1);
	assert_string_equal(l.files[0], "a/b/f.yaml");
	assert_int_equal(l.nerrors, 0);
	assert_int_equal(l.nwarnings, 3);
	assert_string_equal(unrooted(l.warnings[0]),
			    "not following 'ROOT/a/b/here': a symbolic link loop back to 'ROOT/a/b'");
	assert_string_equal(unrooted(l.warnings[1]),
			    "not following 'ROOT/a/b/top': a symbolic link loop back to 'ROOT'");
	assert_string_equal(unrooted(l.warnings[2]),
			    "not following 'ROOT/z': the same directory as 'ROOT/a/b', read already");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_removed_mid_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_removed_mid_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dangling_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_to_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loops_and_second_ways_in, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
