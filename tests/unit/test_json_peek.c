/* test_json_peek.c - reading top-level strings of a JSON object without a tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/json.h"

static const char *const keys[] = { "apiVersion", "kind" };

static bool peek(const char *text, struct kup_str *out)
{
	return kup_json_peek_strings(text, strlen(text), keys, 2, out);
}

static void finds_sorted_and_unsorted_members(void **state)
{
	struct kup_str out[2];

	(void)state;
	assert_true(peek("{\"apiVersion\":\"apps/v1beta1\",\"kind\":\"Deployment\",\"metadata\":{}}\n", out));
	assert_int_equal(out[0].n, 12);
	assert_memory_equal(out[0].p, "apps/v1beta1", 12);
	assert_memory_equal(out[1].p, "Deployment", 10);
	/* after nested values holding brackets and quotes inside strings */
	assert_true(peek(" {\"metadata\": {\"a\": [1, {\"b\": \"}]\\\"\"}], \"c\": null},\n"
			 "  \"spec\": true, \"kind\" : \"Ingress\", \"apiVersion\":\"extensions/v1beta1\"}", out));
	assert_memory_equal(out[0].p, "extensions/v1beta1", 18);
	assert_memory_equal(out[1].p, "Ingress", 7);
}

static void declines_what_needs_a_parser(void **state)
{
	struct kup_str out[2];

	(void)state;
	assert_false(peek("", out));
	assert_false(peek("[1]", out));
	assert_false(peek("{\"apiVersion\":\"v1\"}", out));                 /* kind missing */
	assert_false(peek("{\"apiVersion\":\"v\\u0031\",\"kind\":\"K\"}", out)); /* escape in value */
	assert_false(peek("{\"apiVersion\":1,\"kind\":\"K\"}", out));          /* not a string */
	assert_false(peek("{\"apiVersion\":\"v1\",\"kind\": ", out));          /* truncated */
	assert_false(peek("{\"apiVersion\":\"v1\" \"kind\":\"K\"}", out));     /* no comma */
	assert_false(peek("{\"apiVersion\":\"v1\",\"apiVersion\":\"v2\",\"kind\":\"K\"}", out));
	assert_false(peek("{\"a\":{\"b\":\"unterminated}", out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_sorted_and_unsorted_members),
		cmocka_unit_test(declines_what_needs_a_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
