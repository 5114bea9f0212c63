/*
 * test_io.c - core's write path (kup_wfile, kup_write_file, kup_create_private)
 * under injected I/O failure: ENOSPC and EIO from write, fsync, close, rename
 * and open, through the one indirection (kup_io_set_ops).  Each time: the
 * original file is intact, the temporary file is gone, the error names the
 * file and the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "kupgrade/core.h"

enum { OP_OPEN, OP_WRITE, OP_FSYNC, OP_CLOSE, OP_RENAME, OP_N };
static int fail_op = -1, fail_errno, fail_nth, calls[OP_N];
static bool short_writes;

static bool should_fail(int op)
{
	return op == fail_op && ++calls[op] == fail_nth;
}

static int t_open(const char *p, int flags, mode_t mode)
{
	if (should_fail(OP_OPEN)) {
		errno = fail_errno;
		return -1;
	}
	return kup_io_real()->open(p, flags, mode);
}

static ssize_t t_write(int fd, const void *b, size_t n)
{
	if (should_fail(OP_WRITE)) {
		errno = fail_errno;
		return -1;
	}
	/* a disk that takes a few bytes at a time still gets everything */
	return kup_io_real()->write(fd, b, short_writes && n > 3 ? 3 : n);
}

static int t_fsync(int fd)
{
	if (should_fail(OP_FSYNC)) {
		errno = fail_errno;
		return -1;
	}
	return kup_io_real()->fsync(fd);
}

static int t_close(int fd)
{
	if (should_fail(OP_CLOSE)) {
		kup_io_real()->close(fd);
		errno = fail_errno;
		return -1;
	}
	return kup_io_real()->close(fd);
}

static int t_rename(const char *a, const char *b)
{
	if (should_fail(OP_RENAME)) {
		errno = fail_errno;
		return -1;
	}
	return kup_io_real()->rename(a, b);
}

static int t_unlink(const char *p)
{
	return kup_io_real()->unlink(p);
}

static const struct kup_io_ops test_ops = { t_open, t_write, t_fsync, t_close, t_rename, t_unlink };

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kup-test-io-XXXXXX");
	assert_non_null(mkdtemp(dir));
	kup_io_set_ops(&test_ops);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	kup_io_set_ops(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void arm(int op, int nth, int e)
{
	fail_op = op;
	fail_nth = nth;
	fail_errno = e;
	memset(calls, 0, sizeof(calls));
}

static size_t entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void expect_content(const char *path, const char *want)
{
	char buf[256] = "";
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_string_equal(buf, want);
}

static void test_write_ok(void **state)
{
	char path[300];
	struct kup_error err = KUP_ERROR_INIT;
	struct stat sb;

	(void)state;
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	arm(-1, 0, 0);
	short_writes = true;
	assert_int_equal(kup_write_file(path, "hello, world\n", 13, 0, &err), KUP_OK);
	short_writes = false;
	expect_content(path, "hello, world\n");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);   /* 0: private */
	assert_int_equal(kup_write_file(path, "again\n", 6, 0644, &err), KUP_OK);
	expect_content(path, "again\n");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(entries(), 1);
}

/* Every failure point, both errnos: the original intact, no temporary left, the error named. */
static void test_write_failures(void **state)
{
	static const struct { int op; const char *verb; } points[] = {
		{ OP_OPEN, "cannot create" }, { OP_WRITE, "cannot write" }, { OP_FSYNC, "cannot write" },
		{ OP_CLOSE, "cannot write" }, { OP_RENAME, "cannot replace" },
	};
	static const int errnos[] = { ENOSPC, EIO };
	char path[300], big[200000];

	(void)state;
	memset(big, 'x', sizeof(big));
	snprintf(path, sizeof(path), "%s/keep.yaml", dir);
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		for (size_t e = 0; e < 2; e++) {
			for (int big_one = 0; big_one < 2; big_one++) {
				struct kup_error err = KUP_ERROR_INIT;
				char want[400];

				put(path, "original\n");
				arm(points[i].op, 1, errnos[e]);
				assert_int_equal(kup_write_file(path, big_one ? big : "new\n",
								big_one ? sizeof(big) : 4, 0, &err),
						 KUP_IO);
				snprintf(want, sizeof(want), "%s '%s': %s", points[i].verb, path,
					 strerror(errnos[e]));
				assert_non_null(err.msg);
				if (strcmp(err.msg, want) != 0)
					fail_msg("op %d: got '%s', want '%s'", points[i].op, err.msg, want);
				expect_content(path, "original\n");
				assert_int_equal(entries(), 1);
				kup_error_release(&err);
			}
		}
	}
	/* the second write of a streamed file fails: same */
	{
		struct kup_wfile w;
		struct kup_error err = KUP_ERROR_INIT;
		put(path, "original\n");
		arm(OP_WRITE, 2, ENOSPC);
		assert_int_equal(kup_wfile_open(&w, path, 0600, &err), KUP_OK);
		for (int k = 0; k < 4; k++)
			kup_wfile_write(&w, big, sizeof(big));
		assert_true(w.failed);
		assert_false(kup_wfile_write(&w, "more", 4));
		assert_int_equal(kup_wfile_commit(&w, &err), KUP_IO);
		assert_non_null(strstr(err.msg, "No space left on device"));
		expect_content(path, "original\n");
		assert_int_equal(entries(), 1);
		kup_error_release(&err);
	}
	/* an abandoned file leaves nothing */
	{
		struct kup_wfile w;
		struct kup_error err = KUP_ERROR_INIT;
		arm(-1, 0, 0);
		assert_int_equal(kup_wfile_open(&w, path, 0600, &err), KUP_OK);
		kup_wfile_write(&w, "half", 4);
		kup_wfile_abort(&w);
		expect_content(path, "original\n");
		assert_int_equal(entries(), 1);
	}
}

static void test_create_private(void **state)
{
	char path[300];
	struct kup_error err = KUP_ERROR_INIT;
	struct stat sb;
	bool created;
	mode_t old = umask(0);

	(void)state;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	arm(-1, 0, 0);
	assert_int_equal(kup_create_private(path, &created, &err), KUP_OK);
	assert_true(created);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(kup_create_private(path, &created, &err), KUP_OK);
	assert_false(created);                   /* an existing file is left as it is */
	unlink(path);
	arm(OP_OPEN, 1, EIO);
	assert_int_equal(kup_create_private(path, &created, &err), KUP_IO);
	assert_non_null(strstr(err.msg, "cannot create"));
	assert_non_null(strstr(err.msg, "Input/output error"));
	assert_int_equal(entries(), 0);
	arm(OP_CLOSE, 1, ENOSPC);
	assert_int_equal(kup_create_private(path, &created, &err), KUP_IO);
	assert_int_equal(entries(), 0);          /* a file it could not finish is removed */
	kup_error_release(&err);
	umask(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_private, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
