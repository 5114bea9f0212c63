/*
 * test_fix_write.c - `kupgrade fix --write [--backup]` on real files: the
 * result, the mode kept, FILE.orig, no temporary left behind, untouched
 * files not rewritten, exit codes; symlinks followed, hard links kept,
 * FIFOs refused, numbered backups, owner kept, --check.  Runs the built CLI (../kupgrade next
 * to this test's directory); skipped when it is not there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "kupgrade/core.h"

static char bin[4200];
static char dir[64];

static const char in_text[] =
	"# keep me\r\n"
	"apiVersion: batch/v1beta1\r\n"
	"kind: CronJob\r\n"
	"metadata: {name: c}\r\n";
static const char want_text[] =
	"# keep me\r\n"
	"apiVersion: batch/v1\r\n"
	"kind: CronJob\r\n"
	"metadata: {name: c}\r\n";
static const char psp_text[] =
	"apiVersion: policy/v1beta1\n"
	"kind: PodSecurityPolicy\n"
	"metadata: {name: p}\n";

static void put(const char *name, const char *text, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *fp = fopen(p, "wb");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(p, mode), 0);
}

static char *get(const char *name)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	char *out = NULL;
	size_t len = 0;
	struct kup_error err = KUP_ERROR_INIT;
	if (kup_read_file(p, 1 << 20, &out, &len, &err) != KUP_OK) {
		kup_error_release(&err);
		return NULL;
	}
	return out;
}

static mode_t mode_of(const char *name)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	assert_int_equal(stat(p, &st), 0);
	return st.st_mode & 07777;
}

static int run(const char *args)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "cd '%s' && '%s' fix %s 2>/dev/null >/dev/null", dir, bin, args);
	int rc = system(cmd);
	assert_true(WIFEXITED(rc));
	return WEXITSTATUS(rc);
}

static size_t count_entries(void)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "%s", "/tmp/kup-fix-write-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_write_backup(void **state)
{
	(void)state;
	put("in.yaml", in_text, 0640);
	put("psp.yaml", psp_text, 0600);
	assert_int_equal(run("--to 1.25 --write --backup in.yaml psp.yaml"), 3);
	char *got = get("in.yaml");
	assert_non_null(got);
	assert_string_equal(got, want_text);
	free(got);
	got = get("in.yaml.orig");
	assert_non_null(got);
	assert_string_equal(got, in_text);
	free(got);
	assert_int_equal(mode_of("in.yaml"), 0640);
	/* the unfixable file is neither rewritten nor backed up; no temporaries */
	got = get("psp.yaml");
	assert_string_equal(got, psp_text);
	free(got);
	assert_null(get("psp.yaml.orig"));
	assert_int_equal(count_entries(), 3);
	/* idempotent: nothing more to write, the backup is not replaced */
	put("in.yaml.orig", "sentinel", 0600);
	assert_int_equal(run("--to 1.25 --write --backup in.yaml"), 0);
	got = get("in.yaml.orig");
	assert_string_equal(got, "sentinel");
	free(got);
}

static void test_write_no_backup(void **state)
{
	(void)state;
	put("a.yaml", in_text, 0644);
	put("bad.yaml", "key: [unclosed\n", 0644);
	assert_int_equal(run("--to 1.25 --write a.yaml bad.yaml missing.yaml"), 1);
	char *got = get("a.yaml");
	assert_string_equal(got, want_text);
	free(got);
	got = get("bad.yaml");
	assert_string_equal(got, "key: [unclosed\n");
	free(got);
	assert_null(get("a.yaml.orig"));
	assert_int_equal(count_entries(), 2);
}

static void test_diff_writes_nothing(void **state)
{
	(void)state;
	put("a.yaml", in_text, 0644);
	assert_int_equal(run("--to 1.25 a.yaml"), 0);
	char *got = get("a.yaml");
	assert_string_equal(got, in_text);
	free(got);
	assert_int_equal(run("--to 1.25 --backup a.yaml"), 1);   /* --backup needs --write */
}

static void path_of(const char *name, char *p, size_t n)
{
	snprintf(p, n, "%s/%s", dir, name);
}

/* A symbolic link: its target is rewritten, the link stays a link. */
static void test_write_symlink(void **state)
{
	(void)state;
	char real[256], link_[256];
	put("real.yaml", in_text, 0640);
	path_of("real.yaml", real, sizeof real);
	path_of("link.yaml", link_, sizeof link_);
	assert_int_equal(symlink("real.yaml", link_), 0);
	assert_int_equal(run("--to 1.25 --write link.yaml"), 0);
	struct stat st;
	assert_int_equal(lstat(link_, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	char *got = get("real.yaml");
	assert_string_equal(got, want_text);
	free(got);
	assert_int_equal(mode_of("real.yaml"), 0640);
	assert_int_equal(count_entries(), 2);
}

/* Hard links: rewritten in place (same inode) after a backup, without --backup too. */
static void test_write_hardlink(void **state)
{
	(void)state;
	char a[256], b[256];
	put("a.yaml", in_text, 0644);
	path_of("a.yaml", a, sizeof a);
	path_of("b.yaml", b, sizeof b);
	assert_int_equal(link(a, b), 0);
	struct stat before, after, other;
	assert_int_equal(stat(a, &before), 0);
	assert_int_equal(run("--to 1.25 --write a.yaml"), 0);
	assert_int_equal(stat(a, &after), 0);
	assert_int_equal(stat(b, &other), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(after.st_ino, other.st_ino);
	assert_int_equal(after.st_nlink, 2);
	char *got = get("b.yaml");
	assert_string_equal(got, want_text);
	free(got);
	got = get("a.yaml.orig");
	assert_non_null(got);
	assert_string_equal(got, in_text);
	free(got);
}

/* A FIFO is refused (exit 1) and not replaced by a regular file. */
static void test_write_fifo(void **state)
{
	(void)state;
	char f[256];
	path_of("f.yaml", f, sizeof f);
	assert_int_equal(mkfifo(f, 0644), 0);
	assert_int_equal(run("--to 1.25 --write f.yaml"), 1);
	struct stat st;
	assert_int_equal(lstat(f, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(count_entries(), 1);
}

/* --backup never overwrites a backup: FILE.orig.1 when FILE.orig exists. */
static void test_backup_numbered(void **state)
{
	(void)state;
	put("in.yaml", in_text, 0644);
	put("in.yaml.orig", "sentinel", 0600);
	assert_int_equal(run("--to 1.25 --write --backup in.yaml"), 0);
	char *got = get("in.yaml.orig");
	assert_string_equal(got, "sentinel");
	free(got);
	got = get("in.yaml.orig.1");
	assert_non_null(got);
	assert_string_equal(got, in_text);
	free(got);
	got = get("in.yaml");
	assert_string_equal(got, want_text);
	free(got);
}

/* The owner and group are kept (needs root to give the file to someone else). */
static void test_write_owner(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char p[256];
	put("o.yaml", in_text, 0644);
	path_of("o.yaml", p, sizeof p);
	assert_int_equal(chown(p, 4321, 4322), 0);
	assert_int_equal(run("--to 1.25 --write o.yaml"), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 4321);
	assert_int_equal(st.st_gid, 4322);
	char *got = get("o.yaml");
	assert_string_equal(got, want_text);
	free(got);
}

/* --check: exit 3 when something would change, nothing written; 0 once fixed. */
static void test_check(void **state)
{
	(void)state;
	put("a.yaml", in_text, 0644);
	assert_int_equal(run("--to 1.25 --check a.yaml"), 3);
	char *got = get("a.yaml");
	assert_string_equal(got, in_text);
	free(got);
	assert_int_equal(count_entries(), 1);
	put("b.yaml", want_text, 0644);
	assert_int_equal(run("--to 1.25 --check b.yaml"), 0);
	assert_int_equal(run("--to 1.25 --check --write b.yaml"), 1);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return 0;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	snprintf(bin, sizeof bin, "%s/../kupgrade", self);
	if (access(bin, X_OK) != 0) {
		fprintf(stderr, "test_fix_write: %s not built, skipped\n", bin);
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_no_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_hardlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_numbered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
