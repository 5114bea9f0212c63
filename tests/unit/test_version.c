/* test_version.c - Kubernetes version parsing and comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/version.h"

static void parses_every_provider_form(void **state)
{
	static const struct {
		const char *in;
		int major, minor, patch;
		bool has_patch;
		const char *pre;
	} ok[] = {
		{ "1.32", 1, 32, 0, false, "" },
		{ "v1.32", 1, 32, 0, false, "" },
		{ "1.32.3", 1, 32, 3, true, "" },
		{ "v1.32.3-eks-1a2b3c", 1, 32, 3, true, "eks-1a2b3c" },
		{ "v1.30.1-gke.1329003", 1, 30, 1, true, "gke.1329003" },
		{ "1.33.0-rc.1+build.5", 1, 33, 0, true, "rc.1+build.5" },
		{ "1.0", 1, 0, 0, false, "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct kup_version v;
		struct kup_error err = KUP_ERROR_INIT;
		assert_int_equal(kup_version_parse(ok[i].in, &v, &err), KUP_OK);
		assert_true(v.valid);
		assert_int_equal(v.major, ok[i].major);
		assert_int_equal(v.minor, ok[i].minor);
		assert_int_equal(v.patch, ok[i].patch);
		assert_int_equal(v.has_patch, ok[i].has_patch);
		assert_string_equal(v.pre, ok[i].pre);
		kup_error_release(&err);
	}
}

static void rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"", "1", "v", "1.", "1.x", "x.1", "1.2.3.4", "01.2", "1.02", "1.2-", "1.2 ", " 1.2",
		"1.2.3-é", "v1.2.3-", "1..2", "-1.2", "1.2.-3", "99999999.1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kup_version v;
		struct kup_error err = KUP_ERROR_INIT;
		assert_int_equal(kup_version_parse(bad[i], &v, &err), KUP_VERSION);
		assert_false(v.valid);
		assert_non_null(err.msg);
		assert_non_null(strstr(err.msg, "malformed version"));
		kup_error_release(&err);
	}
}

static void compares(void **state)
{
	struct kup_version a, b;

	(void)state;
	kup_version_parse("1.9", &a, NULL);
	kup_version_parse("1.16", &b, NULL);
	assert_true(kup_version_cmp(&a, &b) < 0);
	assert_true(kup_version_cmp_minor(&b, &a) > 0);
	kup_version_parse("v1.32.3-eks-1", &a, NULL);
	kup_version_parse("1.32", &b, NULL);
	assert_int_equal(kup_version_cmp_minor(&a, &b), 0);
	assert_true(kup_version_cmp(&a, &b) > 0);
	kup_version_parse("2.0", &a, NULL);
	kup_version_parse("1.99", &b, NULL);
	assert_true(kup_version_cmp(&a, &b) > 0);
}

static void formats(void **state)
{
	struct kup_version v;
	char buf[32];

	(void)state;
	kup_version_parse("v1.30.1-gke.1329003", &v, NULL);
	assert_string_equal(kup_version_minor_str(&v, buf, sizeof(buf)), "1.30");
	assert_string_equal(kup_version_str(&v, buf, sizeof(buf)), "1.30.1");
}

/* The suffix has a fixed-size home: one that does not fit is refused, never cut. */
static void long_suffix(void **state)
{
	char s[128];
	struct kup_version v;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	memcpy(s, "v1.30.1-", 8);
	memset(s + 8, 'a', 63);
	s[8 + 63] = '\0';
	assert_int_equal(kup_version_parse(s, &v, NULL), KUP_OK);
	assert_int_equal(strlen(v.pre), 63);
	s[8 + 63] = 'a';
	s[8 + 64] = '\0';
	assert_int_equal(kup_version_parse(s, &v, &err), KUP_VERSION);
	assert_false(v.valid);
	kup_error_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_every_provider_form),
		cmocka_unit_test(rejects_malformed),
		cmocka_unit_test(compares),
		cmocka_unit_test(formats),
		cmocka_unit_test(long_suffix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
