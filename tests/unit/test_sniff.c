/*
 * test_sniff.c - kup_looks_json(): the one JSON/YAML sniffer of the
 * in-memory readers (profile, profile --from-dump, chart index, fix, Helm fix).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/core.h"

#define J(s) kup_looks_json(s, sizeof(s) - 1)

static void test_json(void **state)
{
	(void)state;
	assert_true(J("{}"));
	assert_true(J("[1]"));
	assert_true(J("\xef\xbb\xbf{\"a\": 1}"));
	assert_true(J(" \t\r\n\r\n  {"));
	assert_true(J("\xef\xbb\xbf\r\n["));
}

static void test_yaml(void **state)
{
	(void)state;
	assert_false(J(""));
	assert_false(J("   \n\t"));
	assert_false(J("\xef\xbb\xbf"));
	assert_false(J("apiVersion: v1\n"));
	assert_false(J("---\n{}"));
	assert_false(J("# {\n"));
	assert_false(J("- [a]\n"));
	assert_false(J("\xef\xbb"));           /* a truncated BOM is not skipped */
	assert_false(kup_looks_json(NULL, 0));
	assert_false(kup_looks_json("{", 0));  /* the length counts, not the NUL */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_yaml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
