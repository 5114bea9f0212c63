/*
 * test_client.c - the API client against a local HTTPS server
 * (tests/data/live/server.py, python3 http.server + ssl, certificates made
 * by tests/data/live/mkcerts.sh in a temporary directory): pagination,
 * 429 + Retry-After, 5xx retries, 410 restart, 401/403/wrong CA/refused
 * messages, client certificates, basic auth, tls-server-name, exec plugins
 * (cached until expiry), secrets kept out of -v logs, discovery, /metrics,
 * snapshots.  The real kube-apiserver is the integration tests' job.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <cmocka.h>

#include "kupgrade/ingest.h"
#include "kupgrade/json.h"
#include "kupgrade/kube.h"
#include "kupgrade/live.h"

#define LIVE KUP_TEST_DATA "/live"
#define NOBJ 1234

/* The CLI's shared live helpers (cli_live.h), with the few CLI functions they use. */
#include "../../src/cli/cmd_live.c"
#include "../../src/cli/cli_opt.c"
#include "../../src/cli/progress.c"
const char *kup_cli_name = "kupgrade";
void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
void cli_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
void cli_print_error(const struct kup_error *err)
{
	fprintf(stderr, "%s\n", err->msg ? err->msg : "?");
}

static char dir[256];
static int port;
static pid_t server_pid = -1;
static pid_t proxy_pid = -1;
static int proxy_port;

static void write_file(const char *name, const char *text, int mode)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, (mode_t)mode);
}

static int setup(void **state)
{
	char path[512], buf[32];
	int i;
	FILE *fp;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kup-client-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "'%s/mkcerts.sh' '%s'", LIVE, dir);
	if (system(path) != 0)
		return -1;
	server_pid = fork();
	if (server_pid == 0) {
		char n[16];
		snprintf(n, sizeof(n), "%d", NOBJ);
		execlp("python3", "python3", LIVE "/server.py", dir, "--objects", n, (char *)NULL);
		_exit(127);
	}
	proxy_pid = fork();
	if (proxy_pid == 0) {
		execlp("python3", "python3", LIVE "/proxy.py", dir, (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/proxy-port", dir);
	for (i = 0; i < 200 && proxy_port <= 0; i++) {
		fp = fopen(path, "r");
		if (fp) {
			if (fgets(buf, sizeof(buf), fp))
				proxy_port = atoi(buf);
			fclose(fp);
		}
		if (proxy_port <= 0)
			usleep(50000);
	}
	if (proxy_port <= 0)
		return -1;
	snprintf(path, sizeof(path), "%s/port", dir);
	for (i = 0; i < 200; i++) {
		fp = fopen(path, "r");
		if (fp) {
			if (fgets(buf, sizeof(buf), fp))
				port = atoi(buf);
			fclose(fp);
			if (port > 0)
				return 0;
		}
		usleep(50000);
	}
	return -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	if (proxy_pid > 0) {
		kill(proxy_pid, SIGTERM);
		waitpid(proxy_pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return -1;
	return 0;
}

/* A kubeconfig with one context; `cluster` and `user` are YAML flow maps. */
static struct kup_kubeconfig *config(const char *cluster, const char *user)
{
	char text[4096];
	struct kup_kubeconfig_opts o;
	struct kup_kubeconfig *cfg = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	snprintf(text, sizeof(text),
		 "current-context: c\n"
		 "contexts:\n- name: c\n  context: {cluster: k, user: u}\n"
		 "clusters:\n- name: k\n  cluster: %s\n"
		 "users:\n- name: u\n  user: %s\n",
		 cluster, user);
	write_file("kc.yaml", text, 0600);
	kup_kubeconfig_opts_init(&o);
	snprintf(text, sizeof(text), "%s/kc.yaml", dir);
	o.kubeconfig = text;
	if (kup_kubeconfig_load(&o, &cfg, &err) != KUP_OK)
		fail_msg("kubeconfig: %s", err.msg);
	kup_error_release(&err);
	return cfg;
}

static struct kup_kubeconfig *std_config(const char *user)
{
	char cluster[512];

	snprintf(cluster, sizeof(cluster),
		 "{server: 'https://127.0.0.1:%d', certificate-authority: ca.crt}", port);
	return config(cluster, user);
}

struct logbuf {
	struct kup_buf lines;
	struct kup_buf warnings;
};

static void log_fn(void *ctx, const char *line)
{
	struct logbuf *l = ctx;

	kup_buf_addf(&l->lines, "%s\n", line);
}

static void warn_fn(void *ctx, const char *line)
{
	struct logbuf *l = ctx;

	kup_buf_addf(&l->warnings, "%s\n", line);
}

static struct kup_kube *client(const struct kup_kubeconfig *cfg, struct kup_kube_opts *o)
{
	struct kup_kube *k = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	if (kup_kube_new(cfg, o, &k, &err) != KUP_OK)
		fail_msg("client: %s", err.msg);
	kup_error_release(&err);
	return k;
}

/* Lines of requests.log containing `needle`. */
static int requests(const char *needle)
{
	char path[512], line[2048];
	FILE *fp;
	int n = 0;

	snprintf(path, sizeof(path), "%s/requests.log", dir);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (strstr(line, needle))
			n++;
	fclose(fp);
	return n;
}

static void expect_get_fail(struct kup_kube *k, const char *path, enum kup_kube_fail fail,
			    const char *needle)
{
	struct kup_kube_resp resp;
	struct kup_error err = KUP_ERROR_INIT;

	kup_kube_resp_init(&resp);
	assert_int_not_equal(kup_kube_get(k, path, &resp, &err), KUP_OK);
	if (resp.fail != fail)
		fail_msg("fail %s, want %s (%s)", kup_kube_fail_name(resp.fail),
			 kup_kube_fail_name(fail), err.msg ? err.msg : "");
	assert_int_equal(kup_kube_last_fail(k), fail);
	assert_non_null(err.msg);
	if (!strstr(err.msg, needle))
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
	kup_error_release(&err);
	kup_kube_resp_release(&resp);
}

static void expect_get_ok(struct kup_kube *k, const char *path)
{
	struct kup_kube_resp resp;
	struct kup_error err = KUP_ERROR_INIT;

	kup_kube_resp_init(&resp);
	if (kup_kube_get(k, path, &resp, &err) != KUP_OK)
		fail_msg("GET %s: %s", path, err.msg);
	assert_int_equal(resp.status, 200);
	kup_error_release(&err);
	kup_kube_resp_release(&resp);
}

/* ---- lists ------------------------------------------------------------ */

struct seen {
	size_t items, pages;
	char last[256];
	bool sorted;
	bool typed;
	char names[16][64];
};

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct seen *s = ctx;
	const char *ns = kup_node_str(kup_node_path(doc->root, "metadata", "namespace", NULL));
	const char *name = kup_node_str(kup_node_path(doc->root, "metadata", "name", NULL));
	char key[256];

	assert_non_null(name);
	snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name);
	if (s->items && strcmp(key, s->last) <= 0)
		s->sorted = false;
	snprintf(s->last, sizeof(s->last), "%s", key);
	if (!kup_node_eq(kup_node_get(doc->root, "apiVersion"), "v1") ||
	    !kup_node_str(kup_node_get(doc->root, "kind")))
		s->typed = false;
	if (s->items < 16)
		snprintf(s->names[s->items], sizeof(s->names[0]), "%s", name);
	s->items++;
	return KUP_OK;
}

static void test_pagination(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: good-token}");
	struct kup_kube *k = client(cfg, NULL);
	struct kup_kube_resource res;
	struct kup_kube_list_opts lo;
	struct kup_error err = KUP_ERROR_INIT;
	struct seen s;
	int before = requests("GET /api/v1/configmaps?limit=100");

	(void)state;
	memset(&s, 0, sizeof(s));
	s.sorted = s.typed = true;
	kup_kube_resource_set(&res, "v1", "configmaps", "ConfigMap", true);
	kup_kube_list_opts_init(&lo);
	lo.limit = 100;
	assert_int_equal(kup_kube_list_items(k, &res, &lo, on_doc, &s, &err), KUP_OK);
	assert_int_equal(s.items, NOBJ);
	assert_true(s.sorted);      /* no item twice, none lost */
	assert_true(s.typed);       /* apiVersion and kind spliced in */
	assert_int_equal(requests("GET /api/v1/configmaps?limit=100") - before, (NOBJ + 99) / 100);

	/* one namespace */
	memset(&s, 0, sizeof(s));
	s.sorted = s.typed = true;
	lo.namespace_ = "ns-003";
	assert_int_equal(kup_kube_list_items(k, &res, &lo, on_doc, &s, &err), KUP_OK);
	assert_int_equal(s.items, 13);   /* 3, 103, ... 1203 */
	assert_int_equal(requests("GET /api/v1/namespaces/ns-003/configmaps?limit=100"), 1);
	/* 14 requests over one connection */
	assert_int_equal(kup_kube_connections(k), 1);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
}

static void test_gone_restarts(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: good-token}");
	struct kup_kube *k = client(cfg, NULL);
	struct kup_kube_resource res;
	struct kup_error err = KUP_ERROR_INIT;
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.sorted = s.typed = true;
	kup_kube_resource_set(&res, "v1", "things", "Thing", true);
	assert_int_equal(kup_kube_list_items(k, &res, NULL, on_doc, &s, &err), KUP_OK);
	assert_int_equal(s.items, 4);
	assert_string_equal(s.names[0], "a");
	assert_string_equal(s.names[1], "b");
	assert_string_equal(s.names[2], "c");
	assert_string_equal(s.names[3], "d");
	assert_true(s.sorted);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
}

/* A server that repeats the continue token it was given does not make us loop. */
static void test_continue_loop(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: good-token}");
	struct kup_kube *k = client(cfg, NULL);
	struct kup_kube_resource res;
	struct kup_error err = KUP_ERROR_INIT;
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.sorted = s.typed = true;
	kup_kube_resource_set(&res, "v1", "loops", "Loop", true);
	assert_int_equal(kup_kube_list_items(k, &res, NULL, on_doc, &s, &err), KUP_PARSE);
	assert_non_null(strstr(err.msg, "returned the continue token it was given"));
	assert_int_equal(requests("GET /api/v1/loops"), 2);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
}

/* Pages of big objects get smaller: limit scaled down to page_bytes. */
static void test_page_shrinks(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: good-token}");
	struct kup_kube *k = client(cfg, NULL);
	struct kup_kube_resource res;
	struct kup_kube_list_opts lo;
	struct kup_error err = KUP_ERROR_INIT;
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.sorted = s.typed = true;
	kup_kube_resource_set(&res, "v1", "bigthings", "BigThing", true);
	kup_kube_list_opts_init(&lo);
	lo.limit = 20;
	lo.page_bytes = 100000;   /* ~5 items of 20 kB */
	assert_int_equal(kup_kube_list_items(k, &res, &lo, on_doc, &s, &err), KUP_OK);
	assert_int_equal(s.items, 40);
	assert_true(s.sorted);
	assert_int_equal(requests("GET /api/v1/bigthings?limit=20 "), 1);
	assert_int_equal(requests("GET /api/v1/bigthings?limit=4&continue=20 "), 1);
	assert_int_equal(requests("GET /api/v1/bigthings?limit=4&continue="), 5);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
}

/* gzip: asked for when told to (and by default only off loopback), decoded. */
static void test_compress(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: good-token}");
	struct kup_kube_opts o;
	struct kup_kube *k;
	struct kup_kube_resource res;
	struct kup_kube_list_opts lo;
	struct kup_error err = KUP_ERROR_INIT;
	struct seen s;
	int before = requests(" gzip");

	(void)state;
	kup_kube_opts_init(&o);
	o.compress = 1;
	k = client(cfg, &o);
	memset(&s, 0, sizeof(s));
	s.sorted = s.typed = true;
	kup_kube_resource_set(&res, "v1", "configmaps", "ConfigMap", true);
	kup_kube_list_opts_init(&lo);
	lo.limit = 700;
	assert_int_equal(kup_kube_list_items(k, &res, &lo, on_doc, &s, &err), KUP_OK);
	assert_int_equal(s.items, NOBJ);
	assert_true(s.sorted);
	assert_int_equal(requests("GET /api/v1/configmaps?limit=700") , 2);
	assert_int_equal(requests(" gzip") - before, 2);
	kup_kube_free(k);
	/* default on 127.0.0.1: not asked for */
	k = client(cfg, NULL);
	expect_get_ok(k, "/version");
	assert_int_equal(requests(" gzip") - before, 2);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
}

/* ---- retries ---------------------------------------------------------- */

static void test_retry_after(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: good-token}");
	struct kup_kube_opts o;
	struct kup_kube *k;
	struct timespec t0, t1;
	double ms;

	(void)state;
	kup_kube_opts_init(&o);
	o.backoff_ms = 10;   /* so the wait measured is the server's Retry-After: 1 */
	k = client(cfg, &o);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_get_ok(k, "/flaky");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1000 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(ms >= 900);
	assert_int_equal(requests("GET /flaky "), 2);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
}

static void test_server_errors_retried(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: good-token}");
	struct kup_kube_opts o;
	struct kup_kube *k;
	struct kup_kube_resp resp;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	kup_kube_opts_init(&o);
	o.retries = 2;
	o.backoff_ms = 5;
	k = client(cfg, &o);
	expect_get_fail(k, "/always503", KUP_KUBE_SERVER, "etcd is sad");
	assert_int_equal(requests("GET /always503"), 3);
	/* a write is sent once */
	kup_kube_resp_init(&resp);
	assert_int_equal(kup_kube_request(k, "POST", "/always503", "application/json", "{}", 2,
					  &resp, &err), KUP_IO);
	assert_int_equal(resp.status, 503);
	assert_int_equal(requests("POST /always503"), 1);
	kup_kube_resp_release(&resp);
	kup_error_release(&err);
	/* 404 is not retried */
	expect_get_fail(k, "/nothing-here", KUP_KUBE_NOT_FOUND, "not found (404)");
	assert_int_equal(requests("GET /nothing-here"), 1);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
}

static void test_timeout(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: good-token}");
	struct kup_kube_opts o;
	struct kup_kube *k;

	(void)state;
	kup_kube_opts_init(&o);
	o.timeout_ms = 500;
	o.retries = 0;
	k = client(cfg, &o);
	expect_get_fail(k, "/slow", KUP_KUBE_TIMEOUT, "timed out");
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
}

static void test_retry_after_parse(void **state)
{
	long ms = -1;
	time_t now = 1445412475;   /* Wed, 21 Oct 2015 07:27:55 GMT */

	(void)state;
	assert_true(kup_kube_parse_retry_after("3", now, &ms));
	assert_int_equal(ms, 3000);
	assert_true(kup_kube_parse_retry_after(" 0\r\n", now, &ms));
	assert_int_equal(ms, 0);
	assert_true(kup_kube_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now, &ms));
	assert_int_equal(ms, 5000);
	assert_true(kup_kube_parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT\r\n", now, &ms));
	assert_int_equal(ms, 0);   /* in the past: at once */
	assert_true(kup_kube_parse_retry_after("999999999", now, &ms));
	assert_int_equal(ms, 86400000L);   /* capped at a day */
	assert_false(kup_kube_parse_retry_after("", now, &ms));
	assert_false(kup_kube_parse_retry_after("-1", now, &ms));
	assert_false(kup_kube_parse_retry_after("1.5", now, &ms));
	assert_false(kup_kube_parse_retry_after("soon", now, &ms));
	assert_false(kup_kube_parse_retry_after("Wed, 21 Oct 2015 07:28:00 PST", now, &ms));
	assert_false(kup_kube_parse_retry_after("Wed, 21 Foo 2015 07:28:00 GMT", now, &ms));
	assert_false(kup_kube_parse_retry_after("Wed, 21 Oct 2015 25:28:00 GMT", now, &ms));
}

/* ---- failures with messages ------------------------------------------- */

static void test_unauthorized(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: wrong-token-value}");
	struct kup_kube *k = client(cfg, NULL);

	(void)state;
	expect_get_fail(k, "/version", KUP_KUBE_UNAUTHORIZED, "token expired or wrong");
	expect_get_fail(k, "/version", KUP_KUBE_UNAUTHORIZED, "user 'u'");
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	/* no credentials at all */
	cfg = std_config("{}");
	k = client(cfg, NULL);
	expect_get_fail(k, "/api", KUP_KUBE_UNAUTHORIZED, "unauthorized (401)");
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
}

static void test_token_file_reread(void **state)
{
	char user[600];
	struct kup_kubeconfig *cfg;
	struct kup_kube *k;

	(void)state;
	write_file("tok.txt", "stale-token\n", 0600);
	snprintf(user, sizeof(user), "{tokenFile: tok.txt}");
	cfg = std_config(user);
	k = client(cfg, NULL);
	/* the server learns a new token, the file changes: one 401, then OK */
	write_file("token", "rotated-token", 0600);
	write_file("tok.txt", "rotated-token\n", 0600);
	expect_get_ok(k, "/version");
	assert_int_equal(requests("bearer:stale-token"), 1);
	assert_int_equal(requests("bearer:rotated-token"), 1);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
}

static void test_forbidden(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: good-token}");
	struct kup_kube *k = client(cfg, NULL);
	struct kup_kube_resource res;
	struct kup_error err = KUP_ERROR_INIT;
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	kup_kube_resource_set(&res, "v1", "secrets", "Secret", true);
	assert_int_equal(kup_kube_list_items(k, &res, NULL, on_doc, &s, &err), KUP_IO);
	assert_int_equal(kup_kube_last_fail(k), KUP_KUBE_FORBIDDEN);
	assert_non_null(strstr(err.msg, "forbidden: cannot list resource \"secrets\" in API group "
				       "\"\" at the cluster scope"));
	assert_int_equal(requests("GET /api/v1/secrets?limit=500 "), 1);   /* never retried */
	kup_error_release(&err);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
}

/* A 403 names the verb, the resource (with subresource), the group and the scope. */
static void test_forbidden_messages(void **state)
{
	static const struct {
		const char *method, *path, *want;
	} cases[] = {
		{ "POST", "/api/v1/namespaces/locked/pods/web-1/eviction",
		  "forbidden: cannot create resource \"pods/eviction\" in API group \"\" in the "
		  "namespace \"locked\" (user 'u' lacks the RBAC permission; server: locked is forbidden)" },
		{ "GET", "/apis/apps/v1/namespaces/locked/deployments/web",
		  "cannot get resource \"deployments\" in API group \"apps\" in the namespace \"locked\"" },
		{ "GET", "/apis/policy/v1beta1/namespaces/locked/poddisruptionbudgets?limit=500",
		  "cannot list resource \"poddisruptionbudgets\" in API group \"policy\" in the "
		  "namespace \"locked\"" },
		{ "PATCH", "/api/v1/nodes/locked-node",
		  "cannot patch resource \"nodes\" in API group \"\" at the cluster scope" },
		{ "DELETE", "/api/v1/namespaces/locked",
		  "cannot delete resource \"namespaces\" in API group \"\"" },
		{ "GET", "/locked/metrics", "cannot get path \"/locked/metrics\"" },
	};
	struct kup_kubeconfig *cfg = std_config("{token: good-token}");
	struct kup_kube *k = client(cfg, NULL);
	struct kup_kube_resp resp;
	struct kup_error err = KUP_ERROR_INIT;
	size_t i;

	(void)state;
	kup_kube_resp_init(&resp);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(kup_kube_request(k, cases[i].method, cases[i].path,
						  "application/json", "{}", 2, &resp, &err), KUP_IO);
		assert_int_equal(resp.fail, KUP_KUBE_FORBIDDEN);
		assert_int_equal(resp.status, 403);
		if (!strstr(err.msg, cases[i].want))
			fail_msg("'%s' lacks '%s'", err.msg, cases[i].want);
		assert_null(strstr(err.msg, "good-token"));
		kup_error_release(&err);
	}
	kup_kube_resp_release(&resp);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
}

static void test_wrong_ca(void **state)
{
	char cluster[512];
	struct kup_kubeconfig *cfg;
	struct kup_kube *k;
	char want[128];

	(void)state;
	snprintf(cluster, sizeof(cluster),
		 "{server: 'https://127.0.0.1:%d', certificate-authority: other-ca.crt}", port);
	cfg = config(cluster, "{token: good-token}");
	k = client(cfg, NULL);
	snprintf(want, sizeof(want), "certificate verify failed for https://127.0.0.1:%d: check "
		 "certificate-authority", port);
	expect_get_fail(k, "/version", KUP_KUBE_TLS, want);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
}

static void test_refused(void **state)
{
	struct kup_kubeconfig *cfg;
	struct kup_kube_opts o;
	struct kup_kube *k;

	(void)state;
	cfg = config("{server: 'https://127.0.0.1:1', certificate-authority: ca.crt}",
		     "{token: good-token}");
	kup_kube_opts_init(&o);
	o.backoff_ms = 1;
	k = client(cfg, &o);
	expect_get_fail(k, "/version", KUP_KUBE_CONNECT,
			"cannot connect to https://127.0.0.1:1: connection refused (is the API "
			"server running?)");
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
}

static void test_insecure_warned(void **state)
{
	char cluster[512];
	struct kup_kubeconfig *cfg;
	struct kup_kube_opts o;
	struct kup_kube *k;
	struct logbuf lb = { KUP_BUF_INIT, KUP_BUF_INIT };

	(void)state;
	snprintf(cluster, sizeof(cluster),
		 "{server: 'https://127.0.0.1:%d', insecure-skip-tls-verify: true}", port);
	cfg = config(cluster, "{token: good-token}");
	kup_kube_opts_init(&o);
	o.warn = warn_fn;
	o.log_ctx = &lb;
	k = client(cfg, &o);
	expect_get_ok(k, "/version");
	assert_non_null(lb.warnings.buf);
	assert_non_null(strstr(lb.warnings.buf, "insecure-skip-tls-verify"));
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_buf_release(&lb.lines);
	kup_buf_release(&lb.warnings);
}

/* ---- credentials ------------------------------------------------------ */

static void test_client_cert_and_basic(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{client-certificate: client.crt, client-key: client.key}");
	struct kup_kube *k = client(cfg, NULL);

	(void)state;
	expect_get_ok(k, "/api");
	assert_true(requests("GET /api cert:admin") >= 1);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);

	cfg = std_config("{username: admin, password: secret}");
	k = client(cfg, NULL);
	expect_get_ok(k, "/apis");
	assert_true(requests("GET /apis basic:admin") >= 1);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
}

static void test_tls_server_name(void **state)
{
	char cluster[512];
	struct kup_kubeconfig *cfg;
	struct kup_kube *k;

	(void)state;
	snprintf(cluster, sizeof(cluster),
		 "{server: 'https://127.0.0.1:%d', certificate-authority: ca.crt, "
		 "tls-server-name: kube.test}", port);
	cfg = config(cluster, "{token: good-token}");
	k = client(cfg, NULL);
	expect_get_ok(k, "/version");
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	/* a name the certificate does not have: refused, so the name is really used */
	snprintf(cluster, sizeof(cluster),
		 "{server: 'https://127.0.0.1:%d', certificate-authority: ca.crt, "
		 "tls-server-name: other.test}", port);
	cfg = config(cluster, "{token: good-token}");
	k = client(cfg, NULL);
	expect_get_fail(k, "/version", KUP_KUBE_TLS, "127.0.0.1");
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
}

/* proxy-url: the tunnel goes through the proxy, NO_PROXY notwithstanding. */
static void test_proxy_url(void **state)
{
	char cluster[512], want[64], path[512], *log = NULL;
	struct kup_kubeconfig *cfg;
	struct kup_kube *k;
	struct kup_error err = KUP_ERROR_INIT;
	size_t len;

	(void)state;
	setenv("NO_PROXY", "127.0.0.1,localhost", 1);
	snprintf(cluster, sizeof(cluster),
		 "{server: 'https://127.0.0.1:%d', certificate-authority: ca.crt, "
		 "proxy-url: 'http://127.0.0.1:%d'}", port, proxy_port);
	cfg = config(cluster, "{token: good-token}");
	k = client(cfg, NULL);
	expect_get_ok(k, "/version");
	expect_get_ok(k, "/api");
	snprintf(path, sizeof(path), "%s/proxy.log", dir);
	assert_int_equal(kup_read_file(path, 1 << 20, &log, &len, &err), KUP_OK);
	snprintf(want, sizeof(want), "CONNECT 127.0.0.1:%d\n", port);
	assert_string_equal(log, want);   /* one tunnel, reused */
	free(log);
	unsetenv("NO_PROXY");
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
}

static time_t fake_now;
static time_t clock_fn(void)
{
	return fake_now;
}

static int count_lines(const char *name)
{
	char path[512], line[256];
	FILE *fp;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		n++;
	fclose(fp);
	return n;
}

static void test_exec_plugin(void **state)
{
	char user[1024], path[512], *info = NULL;
	struct kup_kubeconfig *cfg;
	struct kup_kube_opts o;
	struct kup_kube *k;
	struct kup_error err = KUP_ERROR_INIT;
	struct logbuf lb = { KUP_BUF_INIT, KUP_BUF_INIT };
	size_t len;

	(void)state;
	write_file("plugin.sh",
		   "#!/bin/sh\n"
		   "echo run >> \"$(dirname \"$0\")/exec-count\"\n"
		   "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$(dirname \"$0\")/exec-info\"\n"
		   "n=$(wc -l < \"$(dirname \"$0\")/exec-count\")\n"
		   "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
		   "\"status\":{\"token\":\"exec-token-%s-%s\",\"expirationTimestamp\":\"2030-01-01T00:00:00Z\"}}'"
		   " \"$n\" \"$PLUGIN_FLAVOUR\"\n",
		   0700);
	snprintf(user, sizeof(user),
		 "{exec: {apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh, "
		 "args: [a, b], env: [{name: PLUGIN_FLAVOUR, value: mint}], interactiveMode: Never, "
		 "provideClusterInfo: true}}");
	cfg = std_config(user);
	kup_kube_opts_init(&o);
	o.now = clock_fn;
	o.log = log_fn;
	o.log_ctx = &lb;
	fake_now = 1800000000;   /* 2027: before the expiry */
	k = client(cfg, &o);
	expect_get_ok(k, "/version");
	expect_get_ok(k, "/api");
	expect_get_ok(k, "/apis");
	assert_int_equal(kup_kube_exec_runs(k), 1);
	assert_int_equal(count_lines("exec-count"), 1);
	assert_int_equal(requests("bearer:exec-token-1-mint"), 3);
	/* the credential expires: the plugin runs again */
	fake_now = 1900000000;   /* 2030-03 */
	expect_get_ok(k, "/version");
	assert_int_equal(kup_kube_exec_runs(k), 2);
	assert_int_equal(count_lines("exec-count"), 2);
	assert_int_equal(requests("bearer:exec-token-2-mint"), 1);
	/* KUBERNETES_EXEC_INFO: apiVersion, spec.interactive, spec.cluster */
	snprintf(path, sizeof(path), "%s/exec-info", dir);
	assert_int_equal(kup_read_file(path, 1 << 20, &info, &len, &err), KUP_OK);
	assert_non_null(strstr(info, "\"apiVersion\":\"client.authentication.k8s.io/v1\""));
	assert_non_null(strstr(info, "\"interactive\":false"));
	assert_non_null(strstr(info, "\"certificate-authority-data\":\"LS0t"));
	snprintf(path, sizeof(path), "\"server\":\"https://127.0.0.1:%d\"", port);
	assert_non_null(strstr(info, path));
	/* the token never reaches the log */
	assert_non_null(lb.lines.buf);
	assert_null(strstr(lb.lines.buf, "exec-token"));
	free(info);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
	kup_buf_release(&lb.lines);
	kup_buf_release(&lb.warnings);
}

static void test_exec_failures(void **state)
{
	struct kup_kubeconfig *cfg;
	struct kup_kube *k;

	(void)state;
	cfg = std_config("{exec: {apiVersion: client.authentication.k8s.io/v1beta1, "
			 "command: kup-no-such-plugin, installHint: 'run: apt-get install kup-plugin'}}");
	k = client(cfg, NULL);
	expect_get_fail(k, "/version", KUP_KUBE_CREDENTIALS,
			"exec plugin 'kup-no-such-plugin' of user 'u' not found: run: apt-get install "
			"kup-plugin");
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);

	write_file("garbage.sh", "#!/bin/sh\necho not json\n", 0700);
	cfg = std_config("{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ./garbage.sh}}");
	k = client(cfg, NULL);
	expect_get_fail(k, "/version", KUP_KUBE_CREDENTIALS, "no valid ExecCredential");
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);

	write_file("wrongver.sh", "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
		   "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"x\"}}'\n", 0700);
	cfg = std_config("{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ./wrongver.sh}}");
	k = client(cfg, NULL);
	expect_get_fail(k, "/version", KUP_KUBE_CREDENTIALS, "the kubeconfig asks for");
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);

	write_file("fails.sh", "#!/bin/sh\nexit 3\n", 0700);
	cfg = std_config("{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ./fails.sh}}");
	k = client(cfg, NULL);
	expect_get_fail(k, "/version", KUP_KUBE_CREDENTIALS, "failed with exit code 3");
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);

	cfg = std_config("{exec: {apiVersion: client.authentication.k8s.io/v1, command: ./fails.sh, "
			 "interactiveMode: Always}}");
	k = client(cfg, NULL);
	expect_get_fail(k, "/version", KUP_KUBE_CREDENTIALS, "needs an interactive terminal");
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
}

/* A refused exec credential is fetched again once, whatever its expiry says. */
static void test_exec_refreshed_on_401(void **state)
{
	struct kup_kubeconfig *cfg;
	struct kup_kube *k;

	(void)state;
	write_file("rotating.sh",
		   "#!/bin/sh\n"
		   "f=\"$(dirname \"$0\")/rotating-count\"\n"
		   "echo run >> \"$f\"\n"
		   "if [ \"$(wc -l < \"$f\")\" -eq 1 ]; then t=revoked; else t=exec-token-fresh; fi\n"
		   "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
		   "\"status\":{\"token\":\"%s\"}}' \"$t\"\n",
		   0700);
	cfg = std_config("{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ./rotating.sh}}");
	k = client(cfg, NULL);
	expect_get_ok(k, "/version");
	assert_int_equal(kup_kube_exec_runs(k), 2);
	assert_int_equal(requests("bearer:revoked"), 1);
	assert_int_equal(requests("bearer:exec-token-fresh"), 1);
	/* no expiry: cached for good */
	expect_get_ok(k, "/api");
	assert_int_equal(kup_kube_exec_runs(k), 2);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
}

/* -v shows method, URL, status and duration; never a token, password or key. */
static void test_log_redaction(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: good-token, username: admin, password: secret}");
	struct kup_kube_opts o;
	struct kup_kube *k;
	struct logbuf lb = { KUP_BUF_INIT, KUP_BUF_INIT };
	char want[128];

	(void)state;
	kup_kube_opts_init(&o);
	o.log = log_fn;
	o.warn = warn_fn;
	o.log_ctx = &lb;
	k = client(cfg, &o);
	expect_get_ok(k, "/version");
	expect_get_ok(k, "/apis/extensions/v1beta1/ingresses");
	expect_get_fail(k, "/api/v1/secrets", KUP_KUBE_FORBIDDEN, "forbidden");
	snprintf(want, sizeof(want), "GET https://127.0.0.1:%d/version 200 ", port);
	assert_non_null(strstr(lb.lines.buf, want));
	assert_non_null(strstr(lb.lines.buf, "/api/v1/secrets 403 "));
	assert_null(strstr(lb.lines.buf, "good-token"));
	assert_null(strstr(lb.lines.buf, "secret "));
	assert_null(strstr(lb.lines.buf, "Bearer"));
	/* the server's Warning header, once */
	assert_string_equal(lb.warnings.buf,
			    "extensions/v1beta1 Ingress is deprecated in v1.14+, unavailable in v1.22+\n");
	expect_get_ok(k, "/apis/extensions/v1beta1/ingresses");
	assert_string_equal(lb.warnings.buf,
			    "extensions/v1beta1 Ingress is deprecated in v1.14+, unavailable in v1.22+\n");
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_buf_release(&lb.lines);
	kup_buf_release(&lb.warnings);
}

/* ---- discovery, metrics, snapshot ------------------------------------- */

static void test_discovery(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: good-token}");
	struct kup_kube *k = client(cfg, NULL);
	struct kup_kube_discovery *d = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	const struct kup_kube_resource *r;
	struct kup_buf js = KUP_BUF_INIT;
	struct kup_arena a;
	struct kup_node *root = NULL;
	struct kup_read_limits lim;

	(void)state;
	assert_int_equal(kup_kube_discover(k, &d, &err), KUP_OK);
	assert_string_equal(d->git_version, "v1.20.2");
	assert_int_equal(d->ngvs, 3);
	assert_true(kup_kube_discovery_serves(d, "extensions/v1beta1"));
	assert_false(kup_kube_discovery_serves(d, "policy/v1"));
	assert_null(kup_kube_discovery_find(d, "v1", "pods/status"));   /* subresource */
	r = kup_kube_discovery_find(d, "v1", "bindings");
	assert_non_null(r);
	assert_false(r->listable);
	r = kup_kube_discovery_find(d, "extensions/v1beta1", "deployments");
	assert_non_null(r);
	assert_false(r->preferred);      /* apps serves deployments */
	r = kup_kube_discovery_find(d, "extensions/v1beta1", "ingresses");
	assert_true(r->preferred);       /* nobody else does here */
	assert_string_equal(r->kind, "Ingress");
	r = kup_kube_discovery_find(d, "v1", "nodes");
	assert_false(r->namespaced);
	assert_string_equal(r->verbs, "list,get");
	kup_kube_discovery_to_json(d, &js);
	kup_read_limits_default(&lim);
	kup_arena_init(&a, 4096);
	assert_int_equal(kup_json_parse(js.buf, js.len, &lim, &a, &root, &err), KUP_OK);
	assert_true(kup_node_eq(kup_node_path(root, "serverVersion", "gitVersion", NULL), "v1.20.2"));
	assert_int_equal(kup_node_get(root, "groupVersions")->len, 3);
	kup_arena_release(&a);
	kup_buf_release(&js);
	kup_kube_discovery_free(d);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
}

struct objs {
	size_t n;
	char seen[8][96];
};

static enum kup_status on_obj(void *ctx, const struct kup_object *obj)
{
	struct objs *o = ctx;

	if (o->n < 8)
		snprintf(o->seen[o->n], sizeof(o->seen[0]), "%s %.*s %.*s", kup_source_type_name(obj->src.type),
			 (int)obj->api_version.n, obj->api_version.p, (int)obj->kind.n, obj->kind.p);
	o->n++;
	return KUP_OK;
}

static void test_metrics_parse(void **state)
{
	static const char text[] =
		"# HELP apiserver_requested_deprecated_apis x\n"
		"apiserver_requested_deprecated_apis{group=\"extensions\",removed_release=\"1.22\","
		"resource=\"ingresses\",subresource=\"\",version=\"v1beta1\"} 1\n"
		"apiserver_requested_deprecated_apis{group=\"extensions\",removed_release=\"1.22\","
		"resource=\"ingresses\",subresource=\"status\",version=\"v1beta1\"} 1\n"
		"apiserver_requested_deprecated_apis{group=\"batch\",removed_release=\"1.25\","
		"resource=\"cronjobs\",subresource=\"\",version=\"v1beta1\"} 0\n"
		"apiserver_requested_deprecated_apis{group=\"\",resource=\"componentstatuses\","
		"version=\"v1\"} 1\n"
		"apiserver_requested_deprecated_apis{group=\"x\",resource=\"broken\n"
		"apiserver_requested_deprecated_apis{group=\"a\\\"b\",resource=\"r\",version=\"v\"} 2e0\n"
		"apiserver_requested_deprecated_apis_other{group=\"x\",resource=\"y\",version=\"v\"} 1\n";
	struct objs o;
	size_t n = 0;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(kup_live_metrics_parse(text, sizeof(text) - 1, "/metrics", NULL, on_obj, &o,
						&n), KUP_OK);
	assert_int_equal(n, 3);
	assert_string_equal(o.seen[0], "metrics extensions/v1beta1 ingresses");
	assert_string_equal(o.seen[1], "metrics v1 componentstatuses");
	assert_string_equal(o.seen[2], "metrics a\"b/v r");
	/* empty and truncated inputs */
	assert_int_equal(kup_live_metrics_parse("", 0, "/metrics", NULL, on_obj, &o, &n), KUP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(kup_live_metrics_parse(text, 60, "/metrics", NULL, on_obj, &o, &n), KUP_OK);
	assert_int_equal(n, 0);
}

static void test_metrics_live(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: good-token}");
	struct kup_kube *k = client(cfg, NULL);
	struct kup_kube_discovery *d = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct objs o;
	size_t n = 0;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(kup_kube_discover(k, &d, &err), KUP_OK);
	assert_int_equal(kup_live_metrics(k, d, on_obj, &o, &n, &err), KUP_OK);
	assert_int_equal(n, 2);
	assert_string_equal(o.seen[0], "metrics extensions/v1beta1 Ingress");   /* kind from discovery */
	assert_string_equal(o.seen[1], "metrics policy/v1beta1 podsecuritypolicies");
	kup_kube_discovery_free(d);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
}

static void count_problem(void *ctx, const struct kup_error *e)
{
	struct kup_buf *b = ctx;

	kup_buf_addf(b, "%s\n", e->msg);
}

/* I/O that fails the Nth call of one operation (core's indirection, kup_io_set_ops). */
static const char *io_fail_op;
static int io_fail_errno, io_fail_nth, io_calls;

static bool io_fails(const char *op)
{
	if (strcmp(op, io_fail_op) != 0 || ++io_calls != io_fail_nth)
		return false;
	errno = io_fail_errno;
	return true;
}

static int fio_open(const char *p, int fl, mode_t m)
{
	return io_fails("open") ? -1 : kup_io_real()->open(p, fl, m);
}

static ssize_t fio_write(int fd, const void *b, size_t n)
{
	return io_fails("write") ? -1 : kup_io_real()->write(fd, b, n);
}

static int fio_fsync(int fd)
{
	return io_fails("fsync") ? -1 : kup_io_real()->fsync(fd);
}

static int fio_close(int fd)
{
	if (io_fails("close")) {
		kup_io_real()->close(fd);
		errno = io_fail_errno;
		return -1;
	}
	return kup_io_real()->close(fd);
}

static int fio_rename(const char *a, const char *b)
{
	return io_fails("rename") ? -1 : kup_io_real()->rename(a, b);
}

static int fio_unlink(const char *p)
{
	return kup_io_real()->unlink(p);
}

static const struct kup_io_ops failing_io = {
	fio_open, fio_write, fio_fsync, fio_close, fio_rename, fio_unlink,
};

static void test_snapshot(void **state)
{
	struct kup_kubeconfig *cfg = std_config("{token: good-token}");
	struct kup_kube *k = client(cfg, NULL);
	struct kup_kube_discovery *d = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_live_opts lo;
	struct kup_live_stats stats;
	struct kup_snapshot_info info = { "ctx", "https://x", 1800000000 };
	struct kup_ingest_opts io;
	struct kup_ingest *in = NULL;
	struct objs o;
	struct kup_buf problems = KUP_BUF_INIT;
	char path[512], *text = NULL;
	size_t len;
	DIR *dp;
	struct dirent *de;

	(void)state;
	assert_int_equal(kup_kube_discover(k, &d, &err), KUP_OK);
	kup_live_opts_init(&lo);
	lo.errors.fn = count_problem;
	lo.errors.ctx = &problems;
	snprintf(path, sizeof(path), "%s/snap.json", dir);
	assert_int_equal(kup_live_snapshot(k, d, path, &info, &lo, &stats, &err), KUP_OK);
	assert_int_equal(stats.skipped, 0);
	assert_null(problems.buf);
	/* configmaps, (no helm secrets), pods, nodes, deployments, ingresses */
	assert_int_equal(stats.resources, 6);
	assert_int_equal(stats.items, NOBJ + 1 + 2 + 1);
	assert_int_equal(requests("GET /api/v1/secrets?limit=50&fieldSelector=type%3Dhelm.sh%2Frelease.v1 "), 1);
	assert_int_equal(requests("GET /apis/extensions/v1beta1/deployments"), 0);
	assert_int_equal(kup_read_file(path, 64 << 20, &text, &len, &err), KUP_OK);
	assert_non_null(strstr(text, "\"kupgrade.dev/server-version\":\"v1.20.2\""));
	assert_non_null(strstr(text, "\"kupgrade.dev/snapshot-time\":\"2027-01-15T08:00:00Z\""));
	assert_non_null(strstr(text, "\"kupgrade.dev/discovery\":{\"serverVersion\""));
	assert_non_null(strstr(text, "\n{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\""));
	free(text);
	/* no temporary file left behind */
	dp = opendir(dir);
	while ((de = readdir(dp)))
		assert_null(strstr(de->d_name, ".kupgrade-"));
	closedir(dp);
	/* read back as a file: every object, and the last-applied/managedFields ones */
	memset(&o, 0, sizeof(o));
	kup_ingest_opts_init(&io);
	io.on_object = on_obj;
	io.ctx = &o;
	assert_int_equal(kup_ingest_new(&io, &in), KUP_OK);
	assert_int_equal(kup_ingest_path(in, path), KUP_OK);
	assert_int_equal(kup_ingest_finish(in), KUP_OK);
	assert_int_equal(kup_ingest_stats(in)->errors, 0);
	/* items + the List itself + last-applied + one managed-fields entry */
	assert_int_equal(o.n, NOBJ + 4 + 1 + 2);
	kup_ingest_free(in);

	/* ENOSPC or EIO from any write, the fsync, the close or the rename: the snapshot
	 * already there is intact, no temporary file is left, the error names the file */
	{
		static const char *const fails[] = { "write", "fsync", "close", "rename" };
		for (size_t f = 0; f < 4; f++) {
			for (int e = 0; e < 2; e++) {
				char *again = NULL, want[700];
				size_t len2;
				io_fail_op = fails[f];
				io_fail_errno = e ? EIO : ENOSPC;
				io_fail_nth = f == 0 ? 2 : 1;     /* a page, not the head */
				io_calls = 0;
				kup_io_set_ops(&failing_io);
				assert_int_equal(kup_live_snapshot(k, d, path, &info, &lo, &stats, &err),
						 KUP_IO);
				kup_io_set_ops(NULL);
				snprintf(want, sizeof(want), "'%s': %s", path, strerror(io_fail_errno));
				assert_non_null(err.msg);
				if (!strstr(err.msg, want))
					fail_msg("%s: '%s' does not name '%s'", fails[f], err.msg, want);
				kup_error_release(&err);
				assert_int_equal(kup_read_file(path, 64 << 20, &again, &len2, &err), KUP_OK);
				assert_int_equal(len2, len);
				assert_non_null(strstr(again, "\"kupgrade.dev/snapshot-time\":\"2027-01-15T08:00:00Z\""));
				free(again);
				dp = opendir(dir);
				while ((de = readdir(dp)))
					assert_null(strstr(de->d_name, ".kupgrade-"));
				closedir(dp);
			}
		}
	}

	/* a file that cannot be written: an error, nothing left behind */
	assert_int_equal(kup_live_snapshot(k, d, "/nonexistent-dir/snap.json", &info, &lo, &stats,
					   &err), KUP_IO);
	assert_non_null(strstr(err.msg, "cannot create"));
	kup_error_release(&err);

	/* cancelled (a signal): stopped, no file and no temporary file left */
	{
		static volatile sig_atomic_t stop = 1;
		char other[512];
		struct stat stbuf;
		snprintf(other, sizeof(other), "%s/cancelled.json", dir);
		lo.cancel = &stop;
		assert_int_equal(kup_live_snapshot(k, d, other, &info, &lo, &stats, &err), KUP_STOP);
		assert_non_null(strstr(err.msg, "interrupted"));
		kup_error_release(&err);
		assert_int_not_equal(stat(other, &stbuf), 0);
		dp = opendir(dir);
		while ((de = readdir(dp)))
			assert_null(strstr(de->d_name, ".kupgrade-"));
		closedir(dp);
		lo.cancel = NULL;
	}

	/* a restricted resource is named and skipped, the rest is written */
	lo.all_secrets = true;
	assert_int_equal(kup_live_snapshot(k, d, path, &info, &lo, &stats, &err), KUP_OK);
	assert_int_equal(stats.skipped, 1);
	assert_non_null(strstr(problems.buf, "forbidden: cannot list resource \"secrets\""));
	assert_non_null(strstr(problems.buf, "skipped secrets (v1)"));
	assert_int_equal(stats.items, NOBJ + 4);

	kup_buf_release(&problems);
	kup_kube_discovery_free(d);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
}

/* cli_live_snapshot_tmp: a snapshot in a fresh temporary directory, removed after. */
static void test_cli_snapshot_tmp(void **state)
{
	struct cli_live l;
	char kc[600], *path = NULL, *text = NULL, *slash;
	size_t len;
	struct kup_error err = KUP_ERROR_INIT;
	struct stat stbuf;

	(void)state;
	kup_kubeconfig_free(std_config("{token: good-token}"));   /* writes kc.yaml */
	snprintf(kc, sizeof(kc), "%s/kc.yaml", dir);
	cli_live_init(&l);
	assert_true(cli_live_option(&l, CLI_OPT_KUBECONFIG, kc));
	assert_true(cli_live_wanted(&l));
	assert_false(cli_live_option(&l, 'x', NULL));
	setenv("TMPDIR", dir, 1);
	assert_int_equal(cli_live_snapshot_tmp(&l, &path), KUP_EXIT_OK);
	unsetenv("TMPDIR");
	assert_non_null(path);
	assert_ptr_equal(strstr(path, dir), path);
	assert_int_equal(kup_read_file(path, 64 << 20, &text, &len, &err), KUP_OK);
	assert_non_null(strstr(text, "\"kupgrade.dev/server-version\":\"v1.20.2\""));
	free(text);
	slash = strrchr(path, '/');
	*slash = '\0';
	assert_int_equal(stat(path, &stbuf), 0);
	*slash = '/';
	{
		char d[600];
		snprintf(d, sizeof(d), "%.*s", (int)(slash - path), path);
		cli_live_snapshot_remove(path);
		assert_int_not_equal(stat(d, &stbuf), 0);   /* the directory is gone too */
	}
	cli_live_release(&l);
	kup_error_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after_parse),
		cmocka_unit_test(test_metrics_parse),
		cmocka_unit_test(test_pagination),
		cmocka_unit_test(test_gone_restarts),
		cmocka_unit_test(test_page_shrinks),
		cmocka_unit_test(test_continue_loop),
		cmocka_unit_test(test_compress),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_server_errors_retried),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_unauthorized),
		cmocka_unit_test(test_token_file_reread),
		cmocka_unit_test(test_forbidden),
		cmocka_unit_test(test_forbidden_messages),
		cmocka_unit_test(test_wrong_ca),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_insecure_warned),
		cmocka_unit_test(test_client_cert_and_basic),
		cmocka_unit_test(test_tls_server_name),
		cmocka_unit_test(test_proxy_url),
		cmocka_unit_test(test_exec_plugin),
		cmocka_unit_test(test_exec_failures),
		cmocka_unit_test(test_exec_refreshed_on_401),
		cmocka_unit_test(test_log_redaction),
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_metrics_live),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_cli_snapshot_tmp),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
