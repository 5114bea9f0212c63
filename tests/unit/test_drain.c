/*
 * test_drain.c - kup_drain() against a scripted plain-HTTP stand-in for the
 * API server (a thread in this process), for what the 1.20 server of the
 * integration tests cannot show: the Eviction version chosen by discovery
 * (policy/v1 on 1.22+, policy/v1beta1 on 1.21 although PDB v1 exists), a
 * 429 retried until the budget allows it with the blocking PDB named, the
 * PDBs listed through the version the server serves, and a 500 that fails
 * the pod.  tests/integration/drain.sh runs the real thing.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "kupgrade/drain.h"
#include "live/live_int.h"

/* ---- the stand-in server -------------------------------------------------- */

struct server {
	int fd;
	int port;
	const char *git_version;     /* "v1.25.3" */
	bool policy_v1;              /* /apis/policy lists policy/v1 */
	int refuse_a;                /* evictions of pod a refused with 429 before one succeeds */
	bool fail_b;                 /* evictions of pod b answer 500 */
	/* what happened */
	char evict_bodies[8][512];
	int nevict;
	int a_evictions;
	bool a_gone, b_gone;
	bool patched;
	char pdb_path[256];
	bool stop;
};

/* Copies src into dst[size], truncating. */
static void copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *pod_json(const char *name)
{
	static char buf[2][600];
	static int i;
	char *b = buf[i++ & 1];
	char n[32];

	copy(n, sizeof(n), name);
	name = n;
	snprintf(b, 600,
		 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"x\",\"uid\":\"uid-%s\","
		 "\"labels\":{\"app\":\"%s\"},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
		 "\"kind\":\"ReplicaSet\",\"name\":\"rs\",\"uid\":\"r\",\"controller\":true}]},"
		 "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]},"
		 "\"status\":{\"phase\":\"Running\"}}",
		 name, name, name);
	return b;
}

static void respond(int c, int code, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			 code, strlen(body));
	if (write(c, head, (size_t)n) < 0 || write(c, body, strlen(body)) < 0)
		return;
}

static void route(struct server *s, int c, const char *method, const char *path, const char *body)
{
	char buf[2048];

	if (strcmp(method, "GET") == 0 && strcmp(path, "/version") == 0) {
		snprintf(buf, sizeof(buf), "{\"major\":\"1\",\"gitVersion\":\"%s\"}", s->git_version);
		respond(c, 200, buf);
	} else if (strcmp(method, "GET") == 0 && strcmp(path, "/apis/policy") == 0) {
		respond(c, 200, s->policy_v1
			? "{\"kind\":\"APIGroup\",\"name\":\"policy\",\"versions\":[{\"groupVersion\":\"policy/v1\",\"version\":\"v1\"},{\"groupVersion\":\"policy/v1beta1\",\"version\":\"v1beta1\"}]}"
			: "{\"kind\":\"APIGroup\",\"name\":\"policy\",\"versions\":[{\"groupVersion\":\"policy/v1beta1\",\"version\":\"v1beta1\"}]}");
	} else if (strcmp(method, "GET") == 0 && strcmp(path, "/api/v1/nodes/n1") == 0) {
		respond(c, 200, "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n1\"}}");
	} else if (strcmp(method, "PATCH") == 0 && strcmp(path, "/api/v1/nodes/n1") == 0) {
		s->patched = strstr(body, "\"unschedulable\":true") != NULL;
		respond(c, 200, "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n1\"},\"spec\":{\"unschedulable\":true}}");
	} else if (strcmp(method, "GET") == 0 && strncmp(path, "/api/v1/pods?", 13) == 0) {
		snprintf(buf, sizeof(buf),
			 "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"1\"},"
			 "\"items\":[%s,%s]}", pod_json("a"), pod_json("b"));
		respond(c, 200, buf);
	} else if (strcmp(method, "GET") == 0 && strstr(path, "/namespaces/x/poddisruptionbudgets")) {
		copy(s->pdb_path, sizeof(s->pdb_path), path);
		respond(c, 200, "{\"kind\":\"PodDisruptionBudgetList\",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":["
				"{\"metadata\":{\"name\":\"pdb-a\",\"namespace\":\"x\"},"
				"\"spec\":{\"minAvailable\":1,\"selector\":{\"matchLabels\":{\"app\":\"a\"}}},"
				"\"status\":{\"disruptionsAllowed\":0}},"
				"{\"metadata\":{\"name\":\"pdb-other\",\"namespace\":\"x\"},"
				"\"spec\":{\"minAvailable\":1,\"selector\":{\"matchLabels\":{\"app\":\"zzz\"}}},"
				"\"status\":{\"disruptionsAllowed\":0}}]}");
	} else if (strcmp(method, "POST") == 0 && strcmp(path, "/api/v1/namespaces/x/pods/a/eviction") == 0) {
		if (s->nevict < 8)
			copy(s->evict_bodies[s->nevict++], 512, body);
		if (s->a_evictions++ < s->refuse_a) {
			respond(c, 429, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
					"\"message\":\"Cannot evict pod as it would violate the pod's disruption budget.\","
					"\"reason\":\"TooManyRequests\",\"code\":429}");
		} else {
			s->a_gone = true;
			respond(c, 201, "{\"kind\":\"Status\",\"status\":\"Success\"}");
		}
	} else if (strcmp(method, "POST") == 0 && strcmp(path, "/api/v1/namespaces/x/pods/b/eviction") == 0) {
		if (s->nevict < 8)
			copy(s->evict_bodies[s->nevict++], 512, body);
		if (s->fail_b) {
			respond(c, 500, "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"etcd is on fire\",\"code\":500}");
		} else {
			s->b_gone = true;
			respond(c, 201, "{\"kind\":\"Status\",\"status\":\"Success\"}");
		}
	} else if (strcmp(method, "GET") == 0 && strncmp(path, "/api/v1/namespaces/x/pods/", 26) == 0) {
		const char *n = path + 26;
		bool gone = (strcmp(n, "a") == 0 && s->a_gone) || (strcmp(n, "b") == 0 && s->b_gone);
		if (gone)
			respond(c, 404, "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"code\":404}");
		else
			respond(c, 200, pod_json(n));
	} else {
		respond(c, 404, "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"code\":404}");
	}
}

/* Serves one connection: requests until the client closes it. */
static void serve_conn(struct server *s, int c)
{
	static char buf[65536];
	size_t len = 0;

	for (;;) {
		char *end, *p, method[16], path[1024];
		size_t clen = 0, need;
		ssize_t r;

		while (!(end = strstr(buf, "\r\n\r\n"))) {
			if (len >= sizeof(buf) - 1)
				return;
			r = read(c, buf + len, sizeof(buf) - 1 - len);
			if (r <= 0)
				return;
			len += (size_t)r;
			buf[len] = '\0';
		}
		if (sscanf(buf, "%15s %1023s", method, path) != 2)
			return;
		p = strstr(buf, "\r\nContent-Length:");
		if (p && p < end)
			clen = (size_t)strtoul(p + 17, NULL, 10);
		need = (size_t)(end + 4 - buf) + clen;
		while (len < need) {
			if (need >= sizeof(buf))
				return;
			r = read(c, buf + len, sizeof(buf) - 1 - len);
			if (r <= 0)
				return;
			len += (size_t)r;
			buf[len] = '\0';
		}
		{
			char body[4096];
			size_t bl = clen < sizeof(body) - 1 ? clen : sizeof(body) - 1;
			memcpy(body, end + 4, bl);
			body[bl] = '\0';
			route(s, c, method, path, body);
		}
		memmove(buf, buf + need, len - need);
		len -= need;
		buf[len] = '\0';
	}
}

static void *server_main(void *arg)
{
	struct server *s = arg;

	while (!s->stop) {
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			break;
		serve_conn(s, c);
		close(c);
	}
	return NULL;
}

static pthread_t start(struct server *s)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	pthread_t t;
	int one = 1;

	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 4), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&t, NULL, server_main, s), 0);
	return t;
}

static void stop(struct server *s, pthread_t t)
{
	s->stop = true;
	shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	pthread_join(t, NULL);
}

/* ---- the client side -------------------------------------------------------- */

struct lines {
	char text[8192];
};

static void on_progress(void *ctx, const char *line)
{
	struct lines *l = ctx;
	size_t n = strlen(l->text);
	snprintf(l->text + n, sizeof(l->text) - n, "%s\n", line);
}

static enum kup_status drain_n1(struct server *s, struct kup_drain_opts *o, struct kup_drain_result *res,
				struct lines *l)
{
	char cfgtext[512];
	struct kup_kubeconfig_opts ko;
	struct kup_kubeconfig *cfg = NULL;
	struct kup_kube_opts kopts;
	struct kup_kube *k = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	const char *nodes[] = { "n1" };
	enum kup_status st;

	snprintf(cfgtext, sizeof(cfgtext),
		 "apiVersion: v1\nkind: Config\ncurrent-context: t\n"
		 "clusters: [{name: t, cluster: {server: 'http://127.0.0.1:%d'}}]\n"
		 "users: [{name: t, user: {token: good-token}}]\n"
		 "contexts: [{name: t, context: {cluster: t, user: t}}]\n", s->port);
	kup_kubeconfig_opts_init(&ko);
	ko.no_in_cluster = true;
	assert_int_equal(kup_kubeconfig_load_mem("test", cfgtext, strlen(cfgtext), &ko, &cfg, &err), KUP_OK);
	kup_kube_opts_init(&kopts);
	kopts.retries = 0;
	assert_int_equal(kup_kube_new(cfg, &kopts, &k, &err), KUP_OK);
	o->progress = on_progress;
	o->ctx = l;
	o->backoff_ms = 50;
	o->max_backoff_ms = 100;
	st = kup_drain(k, nodes, 1, o, res, &err);
	kup_error_release(&err);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	return st;
}

static const struct kup_drain_pod *pod(const struct kup_drain_result *r, const char *name)
{
	size_t i;
	for (i = 0; i < r->npods; i++)
		if (strcmp(r->pods[i].name, name) == 0)
			return &r->pods[i];
	return NULL;
}

static void test_v1_on_125_with_a_refusal(void **state)
{
	struct server s = { .git_version = "v1.25.3", .policy_v1 = true, .refuse_a = 2 };
	struct kup_drain_opts o;
	struct kup_drain_result res;
	static struct lines l;
	pthread_t t;
	(void)state;

	memset(&l, 0, sizeof(l));
	t = start(&s);
	kup_drain_opts_init(&o);
	o.timeout_ms = 10000;
	kup_drain_result_init(&res);
	assert_int_equal(drain_n1(&s, &o, &res, &l), KUP_OK);
	stop(&s, t);
	assert_true(s.patched);
	assert_string_equal(res.eviction_version, "policy/v1");
	assert_non_null(strstr(s.evict_bodies[0], "\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\""));
	assert_null(strstr(s.evict_bodies[0], "v1beta1"));
	assert_non_null(strstr(s.pdb_path, "/apis/policy/v1/namespaces/x/poddisruptionbudgets"));
	assert_int_equal(s.a_evictions, 3);       /* two 429s, then 201 */
	assert_int_equal(res.evicted, 2);
	assert_int_equal(res.blocked, 0);
	assert_false(res.timed_out);
	assert_string_equal(kup_drain_state_name(pod(&res, "a")->state), "evicted");
	assert_string_equal(kup_drain_state_name(pod(&res, "b")->state), "evicted");
	assert_non_null(strstr(l.text, "node/n1 cordoned"));
	assert_non_null(strstr(l.text, "pod x/a: eviction blocked by PodDisruptionBudget x/pdb-a (it covers x/a): "
				       "Cannot evict pod as it would violate the pod's disruption budget; retrying in"));
	assert_null(strstr(l.text, "pdb-other"));
	assert_non_null(strstr(l.text, "pod x/a evicted"));
	kup_drain_result_release(&res);
}

static void test_v1beta1_on_121(void **state)
{
	/* 1.21 serves PDB policy/v1, but Eviction v1 came in 1.22 */
	struct server s = { .git_version = "v1.21.14", .policy_v1 = true };
	struct kup_drain_opts o;
	struct kup_drain_result res;
	static struct lines l;
	pthread_t t;
	(void)state;

	memset(&l, 0, sizeof(l));
	t = start(&s);
	kup_drain_opts_init(&o);
	o.grace_period = 7;
	kup_drain_result_init(&res);
	assert_int_equal(drain_n1(&s, &o, &res, &l), KUP_OK);
	stop(&s, t);
	assert_string_equal(res.eviction_version, "policy/v1beta1");
	assert_non_null(strstr(s.evict_bodies[0], "\"apiVersion\":\"policy/v1beta1\""));
	assert_non_null(strstr(s.evict_bodies[0], "\"deleteOptions\":{\"gracePeriodSeconds\":7}"));
	assert_int_equal(res.evicted, 2);
	kup_drain_result_release(&res);
}

static void test_timeout_and_failure(void **state)
{
	/* a is refused for ever; b's eviction fails with 500 */
	struct server s = { .git_version = "v1.20.2", .policy_v1 = false, .refuse_a = 1000, .fail_b = true };
	struct kup_drain_opts o;
	struct kup_drain_result res;
	struct kup_buf json = KUP_BUF_INIT;
	static struct lines l;
	pthread_t t;
	(void)state;

	memset(&l, 0, sizeof(l));
	t = start(&s);
	kup_drain_opts_init(&o);
	o.timeout_ms = 600;
	kup_drain_result_init(&res);
	assert_int_equal(drain_n1(&s, &o, &res, &l), KUP_OK);
	stop(&s, t);
	assert_string_equal(res.eviction_version, "policy/v1beta1");
	assert_non_null(strstr(s.pdb_path, "/apis/policy/v1beta1/namespaces/x/poddisruptionbudgets"));
	assert_true(res.timed_out);
	assert_int_equal(res.blocked, 1);
	assert_int_equal(res.failed, 1);
	assert_true(s.a_evictions >= 2);
	assert_string_equal(kup_drain_state_name(pod(&res, "a")->state), "blocked");
	assert_string_equal(pod(&res, "a")->pdbs, "x/pdb-a");
	assert_string_equal(kup_drain_state_name(pod(&res, "b")->state), "failed");
	assert_non_null(strstr(pod(&res, "b")->reason, "etcd is on fire"));
	kup_drain_render(&res, false, KUP_EMIT_JSON, &json);
	assert_non_null(strstr(json.buf, "\"summary\": {\n    \"evicted\": 0,\n    \"deleted\": 0,\n"
				   "    \"blocked\": 1,\n    \"failed\": 1,\n"));
	kup_buf_release(&json);
	kup_drain_result_release(&res);
}

/* ---- the dry run's arithmetic (kup_drain_dry_plan) ------------------------------------ */

static const char *web_values[] = { "web" }, *db_values[] = { "db" };
static struct kup_sel_req web_req = { KUP_SEL_IN, "app", web_values, 1 };
static struct kup_sel_req db_req = { KUP_SEL_IN, "app", db_values, 1 };
static const struct kup_label web_l[] = { { "app", "web" } }, db_l[] = { { "app", "db" } };

static struct kup_drain_budget budget(const char *ns, const char *name, int64_t allowed,
				      struct kup_sel_req *req)
{
	struct kup_drain_budget b;
	memset(&b, 0, sizeof(b));
	b.ns = ns;
	b.name = name;
	b.allowed = allowed;
	b.has_status = true;
	b.sel.reqs = req;
	b.sel.nreqs = 1;
	return b;
}

static struct kup_drain_candidate cand(const char *ns, const char *name, const struct kup_label *l)
{
	struct kup_drain_candidate c;
	memset(&c, 0, sizeof(c));
	c.ns = ns;
	c.name = name;
	c.labels = l;
	c.nlabels = 1;
	return c;
}

static void test_dry_plan(void **state)
{
	struct kup_drain_budget b[3];
	struct kup_drain_candidate p[6];
	(void)state;

	/* two pods under a budget allowing one: the first goes, the second waits for it */
	b[0] = budget("x", "web", 1, &web_req);
	p[0] = cand("x", "web-1", web_l);
	p[1] = cand("x", "web-2", web_l);
	kup_drain_dry_plan(b, 1, p, 2);
	assert_false(p[0].would_wait);
	assert_true(p[1].would_wait);
	assert_int_equal(p[1].holder, 0);
	assert_int_equal(b[0].left, 0);

	/* allowing two: web-1, web-2 go, web-3 waits; db pods under their own budget at 0 */
	b[0] = budget("x", "web", 2, &web_req);
	b[1] = budget("x", "db", 0, &db_req);
	p[0] = cand("x", "db-1", db_l);
	p[1] = cand("x", "web-1", web_l);
	p[2] = cand("x", "web-2", web_l);
	p[3] = cand("x", "web-3", web_l);
	p[4] = cand("y", "web-1", web_l);     /* another namespace: the budget does not cover it */
	kup_drain_dry_plan(b, 2, p, 5);
	assert_true(p[0].would_wait);
	assert_int_equal(p[0].holder, 1);
	assert_false(p[1].would_wait);
	assert_false(p[2].would_wait);
	assert_true(p[3].would_wait);
	assert_int_equal(p[3].holder, 0);
	assert_false(p[4].would_wait);

	/* two budgets over one pod: it takes one from each; the tighter one holds the next */
	b[0] = budget("x", "web-wide", 5, &web_req);
	b[1] = budget("x", "web-tight", 1, &web_req);
	p[0] = cand("x", "web-1", web_l);
	p[1] = cand("x", "web-2", web_l);
	kup_drain_dry_plan(b, 2, p, 2);
	assert_false(p[0].would_wait);
	assert_true(p[1].would_wait);
	assert_int_equal(p[1].holder, 1);
	assert_int_equal(b[0].left, 4);

	/* a budget the controller has not counted yet holds nobody; none at all: all go */
	b[0] = budget("x", "web", 0, &web_req);
	b[0].has_status = false;
	kup_drain_dry_plan(b, 1, p, 2);
	assert_false(p[0].would_wait);
	assert_false(p[1].would_wait);
	kup_drain_dry_plan(NULL, 0, p, 2);
	assert_false(p[1].would_wait);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_on_125_with_a_refusal),
		cmocka_unit_test(test_v1beta1_on_121),
		cmocka_unit_test(test_timeout_and_failure),
		cmocka_unit_test(test_dry_plan),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
