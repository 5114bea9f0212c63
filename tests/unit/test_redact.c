/*
 * test_redact.c - the one redaction function (core/redact.c) and its use by
 * kup_error_set().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/core.h"

static void expect_redacted(const char *in, const char *want)
{
	char *got = kup_redact(in);

	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("redact(\"%s\")\n  got  \"%s\"\n  want \"%s\"", in, got, want);
	assert_int_equal(kup_redact_needed(in, strlen(in)), strcmp(in, want) != 0);
	free(got);
}

static int teardown(void **state)
{
	(void)state;
	kup_secret_forget_all();
	return 0;
}

static void test_shapes(void **state)
{
	(void)state;
	expect_redacted("nothing secret here", "nothing secret here");
	expect_redacted("", "");
	expect_redacted("postgresql://kup:pw@db:5432/fleet", "postgresql://kup:***@db:5432/fleet");
	expect_redacted("store 'postgres://u:p%40ss@h/x?sslmode=require': refused",
			"store 'postgres://u:***@h/x?sslmode=require': refused");
	/* an unescaped '@' in the password: the last '@' ends the userinfo */
	expect_redacted("https://a:b@c@host:6443/api", "https://a:***@host:6443/api");
	/* a '/' in the password */
	expect_redacted("GET https://a:b/c@host/api 200", "GET https://a:***@host/api 200");
	/* no password: the user name is not a secret */
	expect_redacted("postgresql://kup@db/fleet", "postgresql://kup@db/fleet");
	expect_redacted("https://host:6443/api", "https://host:6443/api");
	expect_redacted("https://u:@host", "https://u:@host");
	expect_redacted("pg: host=/tmp password=hunter2 dbname=x",
			"pg: host=/tmp password=*** dbname=x");
	expect_redacted("password='it\\'s' user=x", "password=*** user=x");
	expect_redacted("password = 'a b\\' c' port=1", "password = *** port=1");
	expect_redacted("sslpassword=abc", "sslpassword=abc");
	expect_redacted("PASSWORD=abc", "PASSWORD=***");
	expect_redacted("?token=abc&x=1 access_token=zz", "?token=***&x=1 access_token=***");
	expect_redacted("Authorization: Bearer eyJhbGciOi.x.y rest", "Authorization: Bearer *** rest");
	expect_redacted("authorization: basic dXNlcjpwdw==", "authorization: basic ***");
	expect_redacted("key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----\nafter",
			"key:\n-----BEGIN RSA PRIVATE KEY-----***\n-----END RSA PRIVATE KEY-----\nafter");
	expect_redacted("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
			"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
	expect_redacted("-----BEGIN PRIVATE KEY-----\ntruncated", "-----BEGIN PRIVATE KEY-----***\n");
	/* idempotent */
	expect_redacted("postgresql://kup:***@db", "postgresql://kup:***@db");
}

static void test_registered(void **state)
{
	(void)state;
	assert_true(kup_secret_register("TokSecretQQQ-long-enough", 0));
	assert_true(kup_secret_register("pw12", 0));
	assert_true(kup_secret_register("abc", 0));          /* too short: shape only */
	assert_true(kup_secret_register("  spaced-secret-value\n", 0));
	assert_true(kup_secret_register("TokSecretQQQ-long-enough", 0));   /* once */
	assert_int_equal(kup_secret_count(), 3);
	expect_redacted("token TokSecretQQQ-long-enough refused", "token *** refused");
	expect_redacted("xTokSecretQQQ-long-enoughy", "x***y");
	expect_redacted("user admin pw12 end", "user admin *** end");
	expect_redacted("pw123 and apw12", "pw123 and apw12");    /* short: whole words only */
	expect_redacted("(pw12)", "(***)");
	expect_redacted("abc abc", "abc abc");
	expect_redacted("got spaced-secret-value!", "got ***!");
	assert_true(kup_secret_register_url("postgresql://u:Pa%2Fss%40wd@h/db"));
	expect_redacted("echo Pa/ss@wd", "echo ***");
	expect_redacted("echo Pa%2Fss%40wd", "echo ***");
	assert_true(kup_secret_register_url("host=x password='q uoted pw' dbname=y"));
	expect_redacted("it was q uoted pw", "it was ***");
	kup_secret_forget_all();
	assert_int_equal(kup_secret_count(), 0);
	expect_redacted("token TokSecretQQQ-long-enough refused",
			"token TokSecretQQQ-long-enough refused");
}

static void test_error_set(void **state)
{
	struct kup_error err = KUP_ERROR_INIT, copy = KUP_ERROR_INIT;

	(void)state;
	assert_true(kup_secret_register("ExecEnvValue-77", 0));
	kup_error_set(&err, KUP_IO, "postgresql://u:pw1@h/db", 0, 0,
		      "cannot connect to https://a:b@host (env ExecEnvValue-77)");
	assert_string_equal(err.path, "postgresql://u:***@h/db");
	assert_string_equal(err.msg, "cannot connect to https://a:***@host (env ***)");
	kup_error_set_object(&err, "Secret x/ExecEnvValue-77");
	assert_string_equal(err.object, "Secret x/***");
	assert_int_equal(kup_error_copy(&copy, &err), KUP_OK);
	assert_string_equal(copy.msg, err.msg);
	kup_error_release(&copy);
	kup_error_release(&err);
}

static void collect(void *ctx, const char *p, size_t n)
{
	kup_buf_add(ctx, p, n);
}

static void test_redact_to(void **state)
{
	struct kup_buf b = KUP_BUF_INIT;
	const char *in = "a https://x:y@h b";

	(void)state;
	kup_buf_init(&b);
	kup_redact_to(in, strlen(in), collect, &b);
	assert_string_equal(b.buf, "a https://x:***@h b");
	kup_buf_release(&b);
	/* not NUL-terminated input is read to n only */
	kup_buf_init(&b);
	kup_redact_to("password=abcdef", 11, collect, &b);
	assert_string_equal(b.buf, "password=***");
	kup_buf_release(&b);
}

static void expect_stripped(const char *in, size_t n, const char *want)
{
	char buf[256];
	size_t got;

	memcpy(buf, in, n);
	buf[n] = '\0';
	got = kup_strip_escapes(buf, n);
	assert_int_equal(got, strlen(want));
	assert_memory_equal(buf, want, got);
}

#define STRIP(in, want) expect_stripped(in, sizeof(in) - 1, want)

static void test_strip_escapes(void **state)
{
	(void)state;
	STRIP("plain text\n", "plain text\n");
	STRIP("\033[1;31mred\033[0m", "red");
	STRIP("a\033]0;window title\007b", "ab");
	STRIP("a\033]8;;http://x\033\\link\033]8;;\033\\b", "alinkb");
	STRIP("a\033Pq#0;2;0;0;0\033\\b", "ab");
	STRIP("a\0337b\033c", "ab");
	STRIP("a\033(Bb", "ab");
	STRIP("\xc2\x9b" "31mC1" "\xc2\x9b" "0m", "C1");
	STRIP("\xc2\x9d" "0;t" "\xc2\x9c" "z", "z");
	STRIP("10%\r50%\r100%\r\n", "10%\n50%\n100%\n");
	STRIP("bell\a back\bspace\x7f tab\tok", "bell backspace tab\tok");
	STRIP("caf\xc3\xa9 \xe2\x9c\x93" " x", "caf\xc3\xa9 \xe2\x9c\x93" " x");   /* UTF-8 stays */
	STRIP("cut\033", "cut");
	STRIP("cut\033[12", "cut");
	STRIP("cut\033]unterminated", "cut");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_shapes, teardown),
		cmocka_unit_test_teardown(test_registered, teardown),
		cmocka_unit_test_teardown(test_error_set, teardown),
		cmocka_unit_test_teardown(test_redact_to, teardown),
		cmocka_unit_test(test_strip_escapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
