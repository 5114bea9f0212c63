/*
 * test_semver.c - Helm (Masterminds/semver v3) ranges: operators, wildcards,
 * tilde and caret, hyphen ranges, ||, and the pre-release trap that makes
 * `>=1.23.0` refuse 1.30.1-eks-1a2b3c.  Expected results follow Masterminds'
 * constraints.go and its tests (TestConstraintsCheck), the v3.4.0 release
 * notes (a pre-release in one comparator opens its whole AND group, not
 * the other alternatives) and helm/helm#3810.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/version.h"

static const struct {
	const char *range;
	const char *version;
	bool match;
} cases[] = {
	/* the pre-release trap: provider suffixes are pre-releases */
	{ ">=1.23.0", "1.30.1-eks-1a2b3c", false },
	{ ">=1.23.0", "v1.30.1-eks-1a2b3c", false },
	{ ">=1.23.0-0", "1.30.1-eks-1a2b3c", true },
	{ ">=1.23.0-0", "v1.30.1-gke.1329003", true },
	{ ">=1.23.0", "1.30.1", true },
	{ ">=1.21.0-0", "v1.20.15-eks-abc", false },
	/* per AND group (Masterminds v3.4): one pre-release comparator opens the group */
	{ ">=1.23.0-0 <2.0.0", "1.30.1-eks-1a2b3c", true },
	{ "<2.0.0 >=1.23.0-0", "1.30.1-eks-1a2b3c", true },
	{ ">1.0.0-beta.1 < 2 || > 3", "1.5.0-rc.1", true },
	{ ">1.0.0-beta.1 < 2 || > 3", "3.5.0-rc.1", false },   /* not across || */
	{ ">1.0.0-beta.1 < 2 || > 3", "4.0.0", true },
	{ ">1.0.0-beta.1 < 2 || > 3", "3.5.0", false },  /* >3 means 4 and up */
	{ "1.0.0-alpha.1 - 1.1.0", "1.0.0-alpha.2", true },
	{ ">=1.23.0-0 <2.0.0-0", "1.30.1-eks-1a2b3c", true },
	{ ">= 1.19.0-0 < 1.30.0-0", "v1.29.4-gke.100", true },
	{ ">= 1.19.0-0 < 1.30.0-0", "v1.30.0-gke.100", false },
	{ "^1.20.0-0", "v1.27.8-eks-1", true },
	{ "^1.20.0", "v1.27.8-eks-1", false },
	{ "~1.27.0-0", "1.27.8-eks-1", true },
	{ ">1.2.3-alpha.1", "1.2.3-alpha.2", true },
	{ ">1.2.3-alpha.10", "1.2.3-alpha.9", false },
	{ ">=1.2.3-alpha", "1.2.3-1", false },
	{ "<1.2.3-beta", "1.2.3-alpha", true },
	/* wildcards */
	{ "*", "1.2.3", true },
	{ "*", "1.2.3-alpha.1", false },
	{ "*-0", "1.2.3-alpha.1", true },
	{ "x", "0.1.0", true },
	{ "1.27.x", "1.27.8", true },
	{ "1.27.x", "1.27.8-eks-1", false },
	{ "1.27.*", "1.28.0", false },
	{ "1.X", "1.4", true },
	{ "x.1x", "7.0.0", true },            /* parts after a wildcard are not read */
	{ "1.18446744073709551615", "1.18446744073709551615.0", true },
	{ "2.*", "3.4.5", false },
	{ "<1.x", "1.1.1", false },
	{ "<1.x", "0.1.1", true },
	{ "<=1.1.x", "1.2.500", false },
	{ "<=1.1", "1.1.9", true },
	{ "!=4.x", "4.1.0", false },
	{ "!=4.x", "5.1.0", true },
	{ "!=4.1", "5.1.0-alpha.1", false },
	{ "!=4.1-alpha", "4.1.1-alpha", false },
	/* plain and equality operators */
	{ "1.2.3", "1.2.3", true },
	{ "v1.2.3", "1.2.3", true },
	{ "=1.2.3", "1.2.4", false },
	{ "1.2.3+build.5", "1.2.3", true },
	{ "= 2.0", "2.0.7", true },
	{ "4.1", "4.1.0", true },
	{ "!=1.25.0", "1.25.0", false },
	{ "!=1.25.0", "1.26.0", true },
	{ "!=1.25.0", "1.26.0-eks-1", false },  /* != refuses pre-releases too (v3.4) */
	{ "!=1.25.0-0", "1.26.0-eks-1", true },
	{ ">1.1", "1.1.9", false },
	{ ">1.1", "1.2.0", true },
	{ ">11", "11.1.0", false },
	{ "=> 1.2", "1.2.0", true },
	{ "=< 1.2", "1.2.5", true },
	{ "<= 1.29", "1.30.0", false },
	/* tilde and caret */
	{ "~1.2.3", "1.2.5", true },
	{ "~1.2.3", "1.2.2", false },
	{ "~1.2.3", "1.3.0", false },
	{ "~> 1.27", "1.27.16", true },
	{ "~1", "1.9.0", true },
	{ "~*", "2.1.1", true },
	{ "~0.0.0", "1.2.3", true },
	{ "^1.2.3", "1.8.9", true },
	{ "^1.2.3", "2.0.0", false },
	{ "^1.2.3", "1.2.1", false },
	{ "^0.2.3", "0.2.5", true },
	{ "^0.2.3", "0.3.0", false },
	{ "^0.0.3", "0.0.4", false },
	{ "^0.0.0", "1.2.3", false },
	{ "^1.x", "1.1.1-beta1", false },
	{ "^1.1.2-alpha", "1.2.1-beta1", true },
	/* hyphen ranges */
	{ "1.20 - 1.29", "1.29.9", true },
	{ "1.20 - 1.29", "1.30.0", false },
	{ "1.20.0 - 1.29.0", "1.29.9", false },
	{ "1.20 - 1.29", "1.19.9", false },
	{ "1.1-3", "4.3.2", false },    /* no spaces: 1.1 with pre-release 3 */
	/* sets and alternatives */
	{ ">=1.1, <2, !=1.2.3", "1.2.3", false },
	{ ">=1.1, <2, !=1.2.3", "1.2.4", true },
	{ ">=1.1    <2    !=1.2.3", "1.2.3", false },
	{ ">= 1.1, <     2", "1.9.0", true },
	{ ">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true },
	{ ">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false },
	{ "<1.19.0 || >=1.21.0", "1.20.5", false },
	{ "<1.19.0 || >=1.21.0", "1.22.0", true },
	{ "<1.19.0||>=1.21.0-0", "1.22.0-eks-1", true },
	{ "1.20 - 1.22 || 1.25 - 1.27", "1.26.3", true },
	{ "1.20 - 1.22 || 1.25 - 1.27", "1.24.3", false },
};

static void range_table(void **state)
{
	size_t i;

	(void)state;
	assert_true(sizeof(cases) / sizeof(cases[0]) >= 40);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kup_error err = KUP_ERROR_INIT;
		bool m = !cases[i].match;
		enum kup_status st = kup_semver_range_match(cases[i].range, cases[i].version, &m, &err);
		if (st != KUP_OK)
			fail_msg("'%s' vs '%s': unexpected error %s", cases[i].range, cases[i].version,
				 err.msg);
		if (m != cases[i].match)
			fail_msg("'%s' vs '%s': got %s, expected %s", cases[i].range, cases[i].version,
				 m ? "match" : "no match", cases[i].match ? "match" : "no match");
		kup_error_release(&err);
	}
}

static const struct {
	const char *range;
	uint32_t column;
	const char *msg;
} bad_ranges[] = {
	{ "", 1, "expected a version" },
	{ "   ", 4, "expected a version" },
	{ "||", 1, "expected a version" },
	{ ">=1.2 ||", 9, "expected a version" },
	{ ">=", 3, "expected a version" },
	{ ">= bar", 4, "expected a version" },
	{ "BAR >= 1.2.3", 1, "expected a version" },
	{ "1.2.3.4", 6, "unexpected character" },
	{ "12.3.34~ 1.2.3", 8, "unexpected character" },
	{ ">=1.2,", 7, "expected a version after ','" },
	{ ">=1.2, ", 8, "expected a version after ','" },
	{ ", >=1.2", 1, "unexpected ','" },
	{ ">=1.2,,<2", 7, "unexpected ','" },
	{ ">=1.2<2", 6, "unexpected character" },
	{ "1.2a", 4, "unexpected character" },
	{ "1.x.y", 4, "unexpected character" },
	{ "1.2 - ", 7, "expected a version" },
	{ ">1.2 - 1.4", 6, "a hyphen range takes versions without operators" },
	{ "1.2.3-", 6, "empty pre-release" },
	{ "1.2.3-01", 7, "leading zero" },
	{ "1.2.3+", 6, "empty build metadata" },
	{ "1.2 | 1.3", 5, "expected a version" },
	{ "xx", 1, "malformed version number" },
	{ "1.99999999999999999999", 3, "malformed version number" },   /* past 2^64 */
	{ "1.2x", 3, "malformed version number" },
	{ ">=1.20 || <", 12, "expected a version" },
	{ "1 || 2 || 3 || 4 || 5 || 6 || 7 || 8 || 9 || 10 || 11 || 12 || 13 || 14 || 15 || 16 || "
	  "17 || 18 || 19 || 20 || 21 || 22 || 23 || 24 || 25 || 26 || 27 || 28 || 29 || 30 || 31 || "
	  "32 || 33", 183, "more than 32 alternatives" },
};

static void malformed_ranges(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_ranges) / sizeof(bad_ranges[0]); i++) {
		struct kup_error err = KUP_ERROR_INIT;
		bool m = true;
		enum kup_status st = kup_semver_range_match(bad_ranges[i].range, "1.2.3", &m, &err);
		if (st != KUP_VERSION)
			fail_msg("'%s': status %d, expected an error", bad_ranges[i].range, st);
		assert_false(m);
		assert_non_null(err.msg);
		if (!strstr(err.msg, bad_ranges[i].msg) || err.column != bad_ranges[i].column)
			fail_msg("'%s': column %u '%s', expected column %u '%s'", bad_ranges[i].range,
				 err.column, err.msg, bad_ranges[i].column, bad_ranges[i].msg);
		assert_int_equal(kup_semver_range_check(bad_ranges[i].range, &err), KUP_VERSION);
		kup_error_release(&err);
	}
}

static void malformed_versions(void **state)
{
	static const char *const bad[] = { "", "v", "1.x", "latest", "1.2.3.4", "1.2.3-",
					   "1.2.3-01", "1..2", " 1.2.3", "1.2.3 " };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kup_error err = KUP_ERROR_INIT;
		bool m = true;
		if (kup_semver_range_match(">=0.0.0-0", bad[i], &m, &err) != KUP_VERSION)
			fail_msg("version '%s' accepted", bad[i]);
		assert_false(m);
		assert_non_null(strstr(err.msg, "cannot parse version"));
		kup_error_release(&err);
	}
}

static void malformed_alternative_after_match(void **state)
{
	struct kup_error err = KUP_ERROR_INIT;
	bool m = true;

	(void)state;
	/* an earlier alternative matching does not hide a malformed later one */
	assert_int_equal(kup_semver_range_match(">=1.0 || >=foo", "1.2.3", &m, &err), KUP_VERSION);
	assert_false(m);
	kup_error_release(&err);
	assert_int_equal(kup_semver_range_check(">=1.21.0-0 <1.33.0-0 || 2.x", &err), KUP_OK);
}

static void ignore_prerelease_flag(void **state)
{
	struct kup_error err = KUP_ERROR_INIT;
	bool m = true;

	(void)state;
	assert_int_equal(kup_semver_range_match_flags(">=1.23.0", "1.30.1-eks-1a2b3c",
						      KUP_SEMVER_IGNORE_PRE, &m, &err), KUP_OK);
	assert_true(m);
	assert_int_equal(kup_semver_range_match_flags("<1.30.0", "1.30.1-eks-1a2b3c",
						      KUP_SEMVER_IGNORE_PRE, &m, &err), KUP_OK);
	assert_false(m);
	assert_int_equal(kup_semver_range_match_flags(">=1.23.0", "1.30.1-eks-1a2b3c", 0, &m, &err),
			 KUP_OK);
	assert_false(m);
	assert_int_equal(kup_semver_range_match_flags(">=1.23.0", "1.30.1-eks-1a2b3c",
						      KUP_SEMVER_INCLUDE_PRE, &m, &err), KUP_OK);
	assert_true(m);
	assert_int_equal(kup_semver_range_match_flags("<1.30.0", "1.30.1-eks-1a2b3c",
						      KUP_SEMVER_INCLUDE_PRE, &m, &err), KUP_OK);
	assert_false(m);
}

static void length_limit(void **state)
{
	char range[600];
	struct kup_error err = KUP_ERROR_INIT;
	bool m = true;
	size_t i;

	(void)state;
	/* 256 comparators in 511 bytes are fine; 513 bytes are not (Masterminds MaxConstraintLen) */
	for (i = 0; i < 255; i++)
		memcpy(range + 2 * i, "1 ", 2);
	range[510] = '1';
	range[511] = '\0';
	assert_int_equal(kup_semver_range_match(range, "1.0.0", &m, &err), KUP_OK);
	assert_true(m);
	range[511] = ' ';
	range[512] = '1';
	range[513] = '\0';
	assert_int_equal(kup_semver_range_match(range, "1.0.0", &m, &err), KUP_VERSION);
	assert_non_null(strstr(err.msg, "longer than 512 characters"));
	kup_error_release(&err);
}

static void compare_versions(void **state)
{
	static const struct { const char *a, *b; int cmp; } t[] = {
		{ "1.2.3", "1.2.4", -1 },
		{ "1.10.0", "1.9.0", 1 },
		{ "1.2.3-alpha", "1.2.3", -1 },
		{ "1.2.3-alpha.2", "1.2.3-alpha.10", -1 },
		{ "1.2.3-alpha", "1.2.3-alpha.1", -1 },
		{ "1.2.3-1", "1.2.3-alpha", -1 },
		{ "1.2.3-beta", "1.2.3-alpha.5", 1 },
		{ "v1.2", "1.2.0", 0 },
		{ "1.2.3+a", "1.2.3+b", 0 },
		{ "4.10.1", "4.9.12", 1 },
	};
	size_t i;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int c = 99;
		assert_int_equal(kup_semver_cmp(t[i].a, t[i].b, &c, &err), KUP_OK);
		if ((c > 0) - (c < 0) != t[i].cmp)
			fail_msg("%s vs %s: %d, expected %d", t[i].a, t[i].b, c, t[i].cmp);
		assert_int_equal(kup_semver_cmp(t[i].b, t[i].a, &c, &err), KUP_OK);
		assert_int_equal((c > 0) - (c < 0), -t[i].cmp);
	}
	assert_int_equal(kup_semver_cmp("1.x", "1.2", &(int){ 0 }, &err), KUP_VERSION);
	kup_error_release(&err);
	assert_true(kup_semver_is_prerelease("v1.30.1-gke.1329003"));
	assert_false(kup_semver_is_prerelease("1.30.1+build"));
	assert_false(kup_semver_is_prerelease("nonsense"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(range_table),
		cmocka_unit_test(malformed_ranges),
		cmocka_unit_test(malformed_versions),
		cmocka_unit_test(malformed_alternative_after_match),
		cmocka_unit_test(ignore_prerelease_flag),
		cmocka_unit_test(length_limit),
		cmocka_unit_test(compare_versions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
