/*
 * test_kubeconfig.c - kubeconfig files read and merged as kubectl does:
 * KUBECONFIG merge rules, every auth form, relative paths, errors with
 * file:line:column, the in-cluster configuration.
 *
 * Fixtures: tests/data/live/kubeconfig/ (a.yaml, b/b.yaml with paths
 * relative to b/, certs/, sa/ for in-cluster).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/kube.h"

#define DIR KUP_TEST_DATA "/live/kubeconfig"
#define A DIR "/a.yaml"
#define B DIR "/b/b.yaml"

static struct kup_kubeconfig *load_env(const char *env, const char *context, const char *ns,
				       enum kup_status want, struct kup_error *err)
{
	struct kup_kubeconfig_opts o;
	struct kup_kubeconfig *cfg = NULL;
	enum kup_status st;

	kup_kubeconfig_opts_init(&o);
	o.env_kubeconfig = env;
	o.home = "/nonexistent-home";
	o.context = context;
	o.namespace_ = ns;
	o.no_in_cluster = true;
	st = kup_kubeconfig_load(&o, &cfg, err);
	if (st != want)
		fail_msg("status %d, want %d: %s", st, want, err->msg ? err->msg : "");
	if (want == KUP_OK)
		assert_non_null(cfg);
	else
		assert_null(cfg);
	return cfg;
}

static struct kup_kubeconfig *load_ok(const char *env, const char *context)
{
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_kubeconfig *cfg = load_env(env, context, NULL, KUP_OK, &err);

	kup_error_release(&err);
	return cfg;
}

/* First file to set current-context wins; first file to define a name wins. */
static void test_merge_first_wins(void **state)
{
	struct kup_kubeconfig *cfg = load_ok(A ":" B, NULL);

	(void)state;
	assert_string_equal(cfg->context, "a-ctx");
	assert_string_equal(cfg->source, A);
	assert_string_equal(cfg->cluster_name, "shared");
	assert_string_equal(cfg->server, "https://a.example:6443"); /* trailing '/' dropped */
	assert_string_equal(cfg->token, "tok-a");
	assert_string_equal(cfg->namespace_, "team-a");
	assert_non_null(cfg->ca_data);
	assert_string_equal(cfg->ca_data, "CA-FROM-FILE\n");
	assert_false(cfg->insecure);
	kup_kubeconfig_free(cfg);

	/* the other order: b's current-context and b's "shared" cluster */
	cfg = load_ok(B ":" A, NULL);
	assert_string_equal(cfg->context, "b-ctx");
	assert_string_equal(cfg->server, "https://10.1.2.3:443");
	kup_kubeconfig_free(cfg);

	/* a context defined in both files: a's, and twice in a: the first */
	cfg = load_ok(A ":" B, "shared-ctx");
	assert_string_equal(cfg->user_name, "certuser");
	assert_string_equal(cfg->server, "https://a.example:6443");
	assert_string_equal(cfg->cert_data, "CERT-FROM-FILE\n");
	assert_string_equal(cfg->key_data, "KEY-FROM-FILE\n");
	assert_int_equal(cfg->cert_len, strlen("CERT-FROM-FILE\n"));
	assert_null(cfg->token);
	assert_string_equal(cfg->namespace_, "default");
	kup_kubeconfig_free(cfg);

	/* user tokuser is in both: a's token */
	cfg = load_ok(B ":" A, "insecure-ctx");
	assert_true(cfg->insecure);
	assert_string_equal(cfg->user_name, "");
	assert_null(cfg->token);
	kup_kubeconfig_free(cfg);
}

static void test_missing_files_skipped(void **state)
{
	struct kup_kubeconfig *cfg = load_ok(DIR "/nope.yaml:" B ":" DIR "/nope2.yaml", NULL);

	(void)state;
	assert_string_equal(cfg->context, "b-ctx");
	kup_kubeconfig_free(cfg);
	/* the same file twice is read once */
	cfg = load_ok(B ":" B, "file-ctx");
	assert_string_equal(cfg->token, "tok-from-file");
	kup_kubeconfig_free(cfg);
}

static void test_namespace_flag(void **state)
{
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_kubeconfig *cfg = load_env(A, NULL, "other", KUP_OK, &err);

	(void)state;
	assert_string_equal(cfg->namespace_, "other");
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
}

static void test_cluster_fields(void **state)
{
	struct kup_kubeconfig *cfg = load_ok(B, "b-ctx");

	(void)state;
	assert_string_equal(cfg->ca_data, "CA-FROM-DATA\n");
	assert_int_equal(cfg->ca_len, 13);
	assert_string_equal(cfg->tls_server_name, "kube.test");
	assert_string_equal(cfg->proxy_url, "http://proxy.internal:3128");
	/* basic auth */
	assert_string_equal(cfg->username, "admin");
	assert_string_equal(cfg->password, "s3cret");
	assert_null(cfg->exec);
	kup_kubeconfig_free(cfg);
}

static void test_token_file_relative(void **state)
{
	struct kup_kubeconfig *cfg = load_ok(B, "file-ctx");

	(void)state;
	assert_string_equal(cfg->token, "tok-from-file");   /* trailing newlines trimmed */
	assert_string_equal(cfg->token_file, DIR "/b/token.txt");
	kup_kubeconfig_free(cfg);
}

static void test_cert_data(void **state)
{
	struct kup_kubeconfig *cfg = load_ok(B, "data-ctx");

	(void)state;
	assert_string_equal(cfg->cert_data, "CERT-DATA\n");
	assert_string_equal(cfg->key_data, "KEY-DATA\n");
	kup_kubeconfig_free(cfg);
}

static void test_exec(void **state)
{
	struct kup_kubeconfig *cfg = load_ok(B, "exec-ctx");
	const struct kup_exec_config *e = cfg->exec;

	(void)state;
	assert_non_null(e);
	assert_string_equal(e->api_version, "client.authentication.k8s.io/v1");
	assert_string_equal(e->command, DIR "/b/./bin/plugin");
	assert_int_equal(e->nargs, 3);
	assert_string_equal(e->args[0], "get-token");
	assert_string_equal(e->args[2], "b");
	assert_int_equal(e->nenv, 1);
	assert_string_equal(e->env[0], "PLUGIN_MODE=fast");
	assert_string_equal(e->install_hint, "install the plugin with 'apt-get install plugin'");
	assert_true(e->provide_cluster_info);
	assert_int_equal(e->interactive, KUP_EXEC_INTERACTIVE_NEVER);
	kup_kubeconfig_free(cfg);

	cfg = load_ok(B, "exec-beta-ctx");
	e = cfg->exec;
	assert_string_equal(e->command, "gke-gcloud-auth-plugin");   /* no '/': PATH */
	assert_int_equal(e->interactive, KUP_EXEC_INTERACTIVE_IF_AVAILABLE);
	assert_false(e->provide_cluster_info);
	assert_int_equal(e->nargs, 0);
	kup_kubeconfig_free(cfg);
}

static void expect_error(const char *env, const char *context, enum kup_status want,
			 const char *needle, uint32_t line)
{
	struct kup_error err = KUP_ERROR_INIT;

	load_env(env, context, NULL, want, &err);
	assert_non_null(err.msg);
	if (!strstr(err.msg, needle))
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
	if (line)
		assert_int_equal(err.line, line);
	kup_error_release(&err);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(B, "nomode-ctx", KUP_INVALID, "interactiveMode must be set", 0);
	expect_error(B, "gcp-ctx", KUP_INVALID, "gke-gcloud-auth-plugin", 0);
	expect_error(B, "nope", KUP_NOTFOUND, "context 'nope' not found", 0);
	expect_error(B, "nouser-ctx", KUP_NOTFOUND, "user 'ghost' of context 'nouser-ctx' not found", 0);
	expect_error(B, "nocluster-ctx", KUP_NOTFOUND, "cluster 'ghost'", 0);
	expect_error(B, "halfcert-ctx", KUP_INVALID, "client certificate without a client key", 0);
	expect_error(DIR "/nocurrent.yaml", NULL, KUP_INVALID, "sets no current-context", 0);
	expect_error(DIR "/bad.yaml", NULL, KUP_PARSE, "contexts must be a list", 5);
	expect_error(DIR "/broken.yaml", NULL, KUP_PARSE, "cannot read kubeconfig", 0);
	expect_error(DIR "/none-of-these.yaml", NULL, KUP_NOTFOUND, "no kubeconfig", 0);
}

static void test_auth_provider_secret_not_shown(void **state)
{
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	load_env(B, "gcp-ctx", NULL, KUP_INVALID, &err);
	assert_null(strstr(err.msg, "secret-should-not-appear"));
	assert_non_null(err.path);
	assert_int_equal(err.line, 69);
	kup_error_release(&err);
}

static void test_explicit_file_must_exist(void **state)
{
	struct kup_kubeconfig_opts o;
	struct kup_kubeconfig *cfg = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	kup_kubeconfig_opts_init(&o);
	o.kubeconfig = DIR "/missing.yaml";
	o.no_in_cluster = true;
	assert_int_not_equal(kup_kubeconfig_load(&o, &cfg, &err), KUP_OK);
	assert_non_null(strstr(err.msg, "missing.yaml"));
	kup_error_release(&err);
	/* --kubeconfig wins over KUBECONFIG */
	o.kubeconfig = B;
	o.env_kubeconfig = A;
	assert_int_equal(kup_kubeconfig_load(&o, &cfg, &err), KUP_OK);
	assert_string_equal(cfg->context, "b-ctx");
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
}

static void test_home_default(void **state)
{
	struct kup_kubeconfig_opts o;
	struct kup_kubeconfig *cfg = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	kup_kubeconfig_opts_init(&o);
	o.env_kubeconfig = "";
	o.home = "/nonexistent-home";
	o.no_in_cluster = true;
	assert_int_equal(kup_kubeconfig_load(&o, &cfg, &err), KUP_NOTFOUND);
	assert_non_null(strstr(err.msg, "~/.kube/config"));
	kup_error_release(&err);
}

static void test_in_cluster(void **state)
{
	struct kup_kubeconfig_opts o;
	struct kup_kubeconfig *cfg = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
	kup_kubeconfig_opts_init(&o);
	o.env_kubeconfig = DIR "/nope.yaml";
	o.in_cluster_dir = DIR "/sa";
	assert_int_equal(kup_kubeconfig_load(&o, &cfg, &err), KUP_OK);
	assert_string_equal(cfg->server, "https://10.0.0.1:6443");
	assert_string_equal(cfg->token, "sa-token");
	assert_string_equal(cfg->ca_data, "SA-CA\n");
	assert_string_equal(cfg->namespace_, "sa-ns");
	assert_string_equal(cfg->source, "in-cluster");
	kup_kubeconfig_free(cfg);

	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	o.namespace_ = "flag-ns";
	assert_int_equal(kup_kubeconfig_load(&o, &cfg, &err), KUP_OK);
	assert_string_equal(cfg->server, "https://[fd00::1]:6443");
	assert_string_equal(cfg->namespace_, "flag-ns");
	kup_kubeconfig_free(cfg);

	/* a kubeconfig, when there is one, wins */
	o.env_kubeconfig = B;
	assert_int_equal(kup_kubeconfig_load(&o, &cfg, &err), KUP_OK);
	assert_string_equal(cfg->context, "b-ctx");
	kup_kubeconfig_free(cfg);

	/* a missing token is an error naming the file */
	o.env_kubeconfig = DIR "/nope.yaml";
	o.in_cluster_dir = DIR "/certs";
	assert_int_not_equal(kup_kubeconfig_load(&o, &cfg, &err), KUP_OK);
	assert_non_null(strstr(err.msg, "service-account token"));
	kup_error_release(&err);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

/* Text from memory: odd inputs fail cleanly. */
static void test_mem_inputs(void **state)
{
	static const char *const bad[] = {
		"", "---\n", "[]", "a: [", "current-context: [x]\n", "\xef\xbb\xbf" "current-context: x\n",
		"current-context: c\ncontexts:\n- name: c\n  context: 5\n",
		"current-context: c\ncontexts:\n- name: c\n  context: {cluster: k}\nclusters:\n"
		"- name: k\n  cluster: {server: ftp://x}\n",
		"current-context: c\ncontexts:\n- name: c\n  context: {cluster: k}\nclusters:\n"
		"- name: k\n  cluster: {server: 'https://x', certificate-authority-data: '!!!'}\n",
		"current-context: c\ncontexts:\n- 7\n",
	};
	static const char ok[] =
		"current-context: c\r\ncontexts:\r\n- name: c\r\n  context: {cluster: k, user: u}\r\n"
		"clusters:\r\n- name: k\r\n  cluster: {server: 'https://x:1'}\r\n"
		"users:\r\n- name: u\r\n  user: {token: t}\r\n";
	struct kup_kubeconfig_opts o;
	struct kup_kubeconfig *cfg;
	struct kup_error err = KUP_ERROR_INIT;
	size_t i;

	(void)state;
	kup_kubeconfig_opts_init(&o);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg = NULL;
		if (kup_kubeconfig_load_mem("mem.yaml", bad[i], strlen(bad[i]), &o, &cfg, &err) == KUP_OK)
			fail_msg("input %zu was accepted", i);
		assert_null(cfg);
		assert_non_null(err.msg);
		kup_error_release(&err);
	}
	assert_int_equal(kup_kubeconfig_load_mem("mem.yaml", ok, strlen(ok), &o, &cfg, &err), KUP_OK);
	assert_string_equal(cfg->server, "https://x:1");
	assert_string_equal(cfg->token, "t");
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_first_wins),
		cmocka_unit_test(test_missing_files_skipped),
		cmocka_unit_test(test_namespace_flag),
		cmocka_unit_test(test_cluster_fields),
		cmocka_unit_test(test_token_file_relative),
		cmocka_unit_test(test_cert_data),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_auth_provider_secret_not_shown),
		cmocka_unit_test(test_explicit_file_must_exist),
		cmocka_unit_test(test_home_default),
		cmocka_unit_test(test_in_cluster),
		cmocka_unit_test(test_mem_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
