/*
 * test_suggest.c - kup_suggest(): the "did you mean" of every strict reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/core.h"

static const char *const keys[] = { "apiVersion", "kind", "metadata", "spec", "nodePools",
				    "addons", "zones", "version", "os" };
#define N (sizeof(keys) / sizeof(keys[0]))

static void test_close_words(void **state)
{
	(void)state;
	/* case only: free */
	assert_string_equal(kup_suggest("nodepools", keys, N), "nodePools");
	assert_string_equal(kup_suggest("addOns", keys, N), "addons");
	assert_string_equal(kup_suggest("APIVERSION", keys, N), "apiVersion");
	/* one edit each: delete, insert, substitute, swap */
	assert_string_equal(kup_suggest("zone", keys, N), "zones");
	assert_string_equal(kup_suggest("specs", keys, N), "spec");
	assert_string_equal(kup_suggest("kinf", keys, N), "kind");
	assert_string_equal(kup_suggest("verison", keys, N), "version");
	assert_string_equal(kup_suggest("metadtaa", keys, N), "metadata");
	/* the nearer wins */
	assert_string_equal(kup_suggest("nodePool", keys, N), "nodePools");
}

static void test_nothing_close(void **state)
{
	(void)state;
	assert_null(kup_suggest("surgeLimit", keys, N));
	assert_null(kup_suggest("x", keys, N));
	assert_null(kup_suggest("ab", keys, N));
	assert_null(kup_suggest("", keys, N));
	assert_null(kup_suggest(NULL, keys, N));
	assert_null(kup_suggest("spec", NULL, 0));
	assert_null(kup_suggest("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", keys, N));
	/* a third of the length at most: 'metaXXXX' is 4 edits from 'metadata' */
	assert_null(kup_suggest("metaXXXX", keys, N));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_close_words),
		cmocka_unit_test(test_nothing_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
