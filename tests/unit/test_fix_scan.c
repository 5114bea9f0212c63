/*
 * test_fix_scan.c - what `fix` promises about its output, checked over every
 * manifest the project ships (examples/manifests and the inputs of the
 * scan and fix cases), at several targets:
 *  - after fixing, a scan at the same target finds no removed API other
 *    than the ones fix reported as unfixable;
 *  - fixing the output again changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/fix.h"
#include "kupgrade/ingest.h"
#include "kupgrade/scan.h"

static struct kup_kb *kb;

static int setup(void **state)
{
	(void)state;
	return kup_kb_load_embedded(&kb, NULL) == KUP_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	kup_kb_free(kb);
	return 0;
}

static void count_error(void *ctx, const struct kup_error *err)
{
	(void)err;
	(*(size_t *)ctx)++;
}

/* Removed-level findings of a scan of text at target (only file-sourced objects). */
static size_t removed_in(const char *name, const char *text, size_t len,
			 const struct kup_version *target, size_t *errors)
{
	struct kup_scan_opts so;
	struct kup_ingest_opts io;
	struct kup_scan *scan;
	struct kup_ingest *in;
	size_t i, n = 0;

	kup_scan_opts_init(&so);
	so.target = *target;
	assert_int_equal(kup_scan_new(kb, &so, &scan), KUP_OK);
	kup_ingest_opts_init(&io);
	io.on_object = kup_scan_object;
	io.ctx = scan;
	io.errors.fn = count_error;
	io.errors.ctx = errors;
	io.last_applied = false;
	io.managed_fields = false;
	assert_int_equal(kup_ingest_new(&io, &in), KUP_OK);
	assert_int_equal(kup_ingest_mem(in, name, text, len), KUP_OK);
	assert_int_equal(kup_ingest_finish(in), KUP_OK);
	assert_int_equal(kup_scan_finish(scan), KUP_OK);
	for (i = 0; i < kup_scan_count(scan); i++) {
		const struct kup_finding *f = kup_scan_at(scan, i);
		/* Custom resources are judged against their CRD, which fix does not touch. */
		if (f->rule && f->src.type == KUP_SRC_FILE &&
		    kup_finding_severity(f->status) == KUP_FAIL_REMOVED)
			n++;
	}
	kup_ingest_free(in);
	kup_scan_free(scan);
	return n;
}

static size_t check_file(const char *path, const char *to)
{
	struct kup_fix_opts fo;
	struct kup_fix_result r1, r2;
	struct kup_buf once = KUP_BUF_INIT, twice = KUP_BUF_INIT;
	struct kup_error err = KUP_ERROR_INIT;
	size_t len = 0, errors = 0, left;
	char *text = NULL;

	assert_int_equal(kup_read_file(path, 16u << 20, &text, &len, &err), KUP_OK);
	kup_fix_opts_init(&fo, kb);
	assert_int_equal(kup_version_parse(to, &fo.target, NULL), KUP_OK);
	kup_fix_result_init(&r1);
	kup_fix_result_init(&r2);
	kup_buf_init(&once);
	kup_buf_init(&twice);
	assert_int_equal(kup_fix_text(path, text, len, &fo, &once, &r1), KUP_OK);
	if (r1.errors == 0) {
		left = removed_in(path, once.buf, once.len, &fo.target, &errors);
		if (left != r1.unfixable_removed)
			fail_msg("%s at %s: %zu removed APIs left after fix, %zu reported unfixable",
				 path, to, left, r1.unfixable_removed);
	}
	assert_int_equal(kup_fix_text(path, once.buf, once.len, &fo, &twice, &r2), KUP_OK);
	if (once.len != twice.len || memcmp(once.buf, twice.buf, once.len) != 0)
		fail_msg("%s at %s: fixing the output again changed it", path, to);
	assert_int_equal(r2.converted, 0);
	kup_fix_result_release(&r1);
	kup_fix_result_release(&r2);
	kup_buf_release(&once);
	kup_buf_release(&twice);
	free(text);
	return 1;
}

static void every_shipped_manifest(void **state)
{
	static const char *const patterns[] = {
		KUP_SOURCE_DIR "/examples/manifests/*.yaml",
		KUP_SOURCE_DIR "/examples/manifests/*.json",
		KUP_SOURCE_DIR "/tests/cases/row-*/*.yaml",
		KUP_SOURCE_DIR "/tests/cases/fix-*/*.yaml",
		KUP_SOURCE_DIR "/tests/cases/fix-*/*.json",
	};
	static const char *const targets[] = { "1.16", "1.22", "1.25", "1.29", "1.37" };
	size_t p, t, i, files = 0;

	(void)state;
	for (p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
		glob_t g;
		if (glob(patterns[p], 0, NULL, &g) != 0)
			continue;
		for (i = 0; i < g.gl_pathc; i++)
			for (t = 0; t < sizeof(targets) / sizeof(targets[0]); t++)
				files += check_file(g.gl_pathv[i], targets[t]);
		globfree(&g);
	}
	assert_true(files > 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_shipped_manifest),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
