/*
 * cmd_serve.c - `kupgrade serve`: the in-cluster continuous mode.  Scans the
 * cluster every --interval and serves what it found over HTTP
 * (libmicrohttpd): /metrics (Prometheus), /healthz, /readyz, /report (HTML),
 * /api/v1/findings (JSON).  The scan, the state and the renderers are the
 * library's (kupgrade/serve.h); this file parses options, runs the loop and
 * answers requests.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_live.h"
#include "kupgrade/dump.h"
#include "kupgrade/plan.h"
#include "kupgrade/profile.h"
#include "kupgrade/serve.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct server {
	pthread_mutex_t lock;
	struct kup_serve_state state;
	const struct kup_kb *kb;
	char *token;                 /* NULL: no auth */
	size_t token_len;
};

/* Reads a small file whole (a token, a PEM); NUL-terminated; trailing newline dropped for tokens. */
static char *read_small_file(const char *path, bool trim, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!fp)
		return NULL;
	for (;;) {
		size_t got;
		if (n + 4096 + 1 > cap) {
			char *nb;
			cap = cap ? cap * 2 : 8192;
			if (cap > (1u << 20) || !(nb = kup_realloc(buf, cap))) {
				free(buf);
				fclose(fp);
				errno = EFBIG;
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, 4096, fp);
		n += got;
		if (got < 4096)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	if (!buf && !(buf = kup_malloc(1)))
		return NULL;
	while (trim && n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Constant-time comparison of the presented token with ours. */
static bool token_ok(const struct server *s, const char *auth)
{
	const char *p;
	size_t n, i;
	unsigned char diff = 0;

	if (!s->token)
		return true;
	if (!auth || strncmp(auth, "Bearer ", 7) != 0)
		return false;
	p = auth + 7;
	n = strlen(p);
	diff = (unsigned char)(n != s->token_len);
	for (i = 0; i < s->token_len; i++)
		diff |= (unsigned char)(s->token[i] ^ (i < n ? p[i] : 0));
	return diff == 0;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type,
			       struct kup_buf *body)
{
	struct MHD_Response *resp;
	enum MHD_Result r;
	size_t len = body->len;
	char *data;

	if (body->oom) {
		kup_buf_release(body);
		return MHD_NO;
	}
	data = kup_buf_detach(body, &len);
	resp = MHD_create_response_from_buffer(len, data ? data : (void *)"",
					       data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct server *s = cls;
	struct kup_buf body = KUP_BUF_INIT;
	unsigned status = MHD_HTTP_OK;
	const char *type = "text/plain; charset=utf-8";
	static int first_call_marker;

	(void)version;
	(void)upload_data;
	/* The first call for a request only announces it. */
	if (*req_cls != &first_call_marker) {
		*req_cls = &first_call_marker;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		kup_buf_adds(&body, "method not allowed\n");
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, type, &body);
	}
	if (strncmp(url, "/report", 7) == 0 || strncmp(url, "/api/", 5) == 0) {
		const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
		if (!token_ok(s, auth)) {
			kup_buf_adds(&body, "unauthorized: send 'Authorization: Bearer TOKEN'\n");
			return respond(conn, MHD_HTTP_UNAUTHORIZED, type, &body);
		}
	}
	pthread_mutex_lock(&s->lock);
	if (strcmp(url, "/metrics") == 0) {
		type = "text/plain; version=0.0.4; charset=utf-8";
		kup_serve_metrics(&s->state, s->kb, &body);
	} else if (strcmp(url, "/healthz") == 0 || strcmp(url, "/livez") == 0) {
		kup_buf_adds(&body, "ok\n");
	} else if (strcmp(url, "/readyz") == 0) {
		if (s->state.last) {
			kup_buf_adds(&body, "ok\n");
		} else {
			status = MHD_HTTP_SERVICE_UNAVAILABLE;
			kup_buf_adds(&body, "no scan has completed yet\n");
		}
	} else if (strcmp(url, "/report") == 0 || strcmp(url, "/") == 0) {
		if (strcmp(url, "/") == 0 && s->token) {
			/* "/" is the report too, behind the same token */
			const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								       "Authorization");
			if (!token_ok(s, auth)) {
				pthread_mutex_unlock(&s->lock);
				kup_buf_adds(&body, "unauthorized: send 'Authorization: Bearer TOKEN'\n");
				return respond(conn, MHD_HTTP_UNAUTHORIZED, type, &body);
			}
		}
		type = "text/html; charset=utf-8";
		kup_serve_html(&s->state, &body);
	} else if (strcmp(url, "/api/v1/findings") == 0) {
		type = "application/json";
		kup_serve_findings(&s->state, &body);
	} else {
		status = MHD_HTTP_NOT_FOUND;
		kup_buf_adds(&body, "not found: /metrics /healthz /readyz /report /api/v1/findings\n");
	}
	pthread_mutex_unlock(&s->lock);
	return respond(conn, status, type, &body);
}

/* "300", "30s", "5m", "1h" -> seconds; 0 on error. */
static long parse_duration(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v <= 0)
		return 0;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return v;
	if (strcmp(end, "m") == 0 && v <= 100000)
		return v * 60;
	if (strcmp(end, "h") == 0 && v <= 10000)
		return v * 3600;
	return 0;
}

/* "HOST:PORT", ":PORT", "[V6]:PORT" -> a socket address. */
static bool parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon;
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return false;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return false;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
		return false;
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return false;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (host[0] == '\0')
			a->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return false;
		*len = sizeof(*a);
	}
	return true;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Default targets: the server's next minor (when the KB knows it) and the KB's newest. */
static size_t default_targets(struct cli_live *live, const struct kup_kb *kb,
			      struct kup_version *out)
{
	const struct kup_version *newest = kup_kb_newest(kb);
	struct kup_kube_discovery *d = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	size_t n = 0;

	if (kup_kube_discover(live->k, &d, &err) == KUP_OK && d->git_version) {
		struct kup_version v;
		if (kup_version_parse(d->git_version, &v, &err) == KUP_OK) {
			struct kup_version next;
			memset(&next, 0, sizeof(next));
			next.major = v.major;
			next.minor = v.minor + 1;
			next.valid = true;
			if (kup_version_cmp_minor(&next, newest) < 0)
				out[n++] = next;
		}
	}
	kup_error_release(&err);
	kup_kube_discovery_free(d);
	out[n++] = *newest;
	return n;
}

enum {
	OPT_LISTEN = 256, OPT_INTERVAL, OPT_TO, OPT_TLS_CERT, OPT_TLS_KEY, OPT_TOKEN_FILE,
	OPT_ONCE, OPT_KB, OPT_LIVE_GROUP, OPT_PLAN,
};

static const struct cli_opt serve_opts[] = {
	{ OPT_LISTEN, 0, "listen", CLI_ARG, "ADDR:PORT",
	  "where to listen (':8080' for every IPv4 address, '[::]:8080' for IPv6; port 0 picks "
	  "one)", "127.0.0.1:8080", CLI_HINT_NONE, NULL, NULL },
	{ OPT_INTERVAL, 0, "interval", CLI_ARG, "DURATION",
	  "time between scans: 300, 30s, 5m, 1h", "5m", CLI_HINT_NONE, NULL, NULL },
	{ OPT_TO, 0, "to", CLI_ARG, "VERSION", "a target to judge against (repeatable)",
	  "the server's next minor and the newest the KB knows", CLI_HINT_NONE, NULL, NULL },
	{ OPT_TLS_CERT, 0, "tls-cert", CLI_ARG, "FILE", "serve HTTPS with this PEM certificate ...",
	  NULL, CLI_HINT_FILE, NULL, NULL },
	{ OPT_TLS_KEY, 0, "tls-key", CLI_ARG, "FILE", "... and this PEM key", NULL, CLI_HINT_FILE,
	  NULL, NULL },
	{ OPT_TOKEN_FILE, 0, "token-file", CLI_ARG, "FILE",
	  "/report and /api/ need 'Authorization: Bearer TOKEN' with the token in FILE (/metrics "
	  "and health stay open)", NULL, CLI_HINT_FILE, NULL, NULL },
	{ OPT_ONCE, 0, "once", CLI_NOARG, NULL, "scan once, print /metrics on stdout and exit", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ OPT_PLAN, 0, "plan", CLI_NOARG, NULL,
	  "also plan each target after each scan (a second read of the cluster, as plan "
	  "--context): kupgrade_plan_verdict and kupgrade_plan_blockers, pre-flight blockers "
	  "included", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_KB, 0, "kb", CLI_ARG, "DIR", "knowledge base directory", "built in", CLI_HINT_DIR,
	  NULL, NULL },
	CLI_OPT_HELP,
	{ OPT_LIVE_GROUP, 0, NULL, CLI_OPT_GROUP, NULL, "The cluster", NULL, CLI_HINT_NONE, NULL,
	  cli_live_opts },
	CLI_OPT_END,
};

const struct cli_cmd cli_cmd_serve = {
	"serve",
	"[--context NAME] [--kubeconfig FILE] [options]",
	"scan the cluster continuously; serve /metrics, /report and /api/v1/findings",
	"Scans the cluster every --interval for deprecated and removed APIs and serves the "
	"result: /metrics (Prometheus text format), /healthz, /readyz (after the first complete "
	"scan), /report (HTML) and /api/v1/findings (JSON).  In a pod it uses the service account "
	"(in-cluster configuration); it only reads.",
	serve_opts, CLI_HINT_NONE, NULL,
	"Stops on SIGTERM or SIGINT after the current page (a graceful shutdown).\n"
	"Exit codes: 0 stopped by a signal (or --once succeeded), 1 error.",
	NULL,
};

/*
 * --plan: snapshots the cluster (as `plan --context` does), derives its
 * profile and plans every target with the snapshot as the dump, so the
 * pre-flight blockers count; the verdicts go into the cycle.  A target the
 * planner refuses (below the control plane, beyond the KB) gets none.
 * Problems are warnings: the scan's result stands.  The snapshot installs
 * its own SIGINT/SIGTERM handlers; serve's are put back after it.
 */
static void plan_targets(struct cli_live *live, const struct kup_kb *kb,
			 struct kup_serve_cycle *cyc, const struct kup_version *targets, size_t n)
{
	struct sigaction old_int, old_term;
	struct kup_profile_dump_opts o;
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	char *snap = NULL, tbuf[32];
	size_t nerr = 0, i;
	int src;

	/* the snapshot lists what discovery finds now */
	kup_kube_discovery_free(live->disc);
	live->disc = NULL;
	if (kup_kube_discover(live->k, &live->disc, &err) != KUP_OK) {
		cli_warning("--plan: discovery failed: %s: no plan this cycle",
			    err.msg ? err.msg : kup_strerror(err.code));
		kup_error_release(&err);
		return;
	}
	sigaction(SIGINT, NULL, &old_int);
	sigaction(SIGTERM, NULL, &old_term);
	src = cli_live_snapshot_tmp(live, &snap);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (src != KUP_EXIT_OK && !snap) {
		cli_warning("--plan: cannot snapshot the cluster: no plan this cycle");
		return;
	}
	kup_profile_dump_opts_init(&o);
	if (kup_profile_from_dump_opts(kb, (const char *const *)&snap, 1, &o, &p, &nerr, &err) !=
	    KUP_OK) {
		cli_warning("--plan: %s", err.msg ? err.msg : "cannot derive the cluster's profile");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct kup_plan_opts po;
		struct kup_plan *plan = NULL;
		const char *dump = snap;

		memset(&po, 0, sizeof(po));
		po.target = targets[i];
		po.dumps = &dump;
		po.ndumps = 1;
		kup_error_release(&err);
		if (kup_plan(kb, p, &po, &plan, &err) != KUP_OK) {
			cli_warning("--plan: no plan to %s: %s",
				    kup_version_minor_str(&targets[i], tbuf, sizeof(tbuf)),
				    err.msg ? err.msg : "refused");
			continue;
		}
		kup_serve_cycle_set_plan(cyc, i, plan->verdict, plan->nblockers);
		kup_plan_free(plan);
	}
out:
	kup_error_release(&err);
	kup_profile_free(p);
	cli_live_snapshot_remove(snap);
}

#define MAX_TARGETS 16

int cmd_serve(int argc, char **argv)
{
	struct cli_parse p;
	struct cli_live live;
	struct server srv;
	struct kup_kb *kb = NULL;
	struct kup_version targets[MAX_TARGETS];
	size_t ntargets = 0;
	const char *listen_at = "127.0.0.1:8080", *kb_dir = NULL;
	const char *tls_cert = NULL, *tls_key = NULL, *token_file = NULL;
	char *cert_pem = NULL, *key_pem = NULL;
	struct sockaddr_storage addr;
	socklen_t addrlen = 0;
	struct MHD_Daemon *daemon = NULL;
	struct sigaction sa;
	long interval = 300;
	bool once = false, plan = false, usage_error = false, lock_ready = false;
	int c, rc = KUP_EXIT_OK;
	unsigned long cycle_no = 0;

	cli_live_init(&live);
	memset(&srv, 0, sizeof(srv));
	kup_serve_state_init(&srv.state);
	cli_parse_init(&p, &cli_cmd_serve, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		if (cli_live_option(&live, c, p.arg))
			continue;
		switch (c) {
		case OPT_LISTEN: listen_at = p.arg; break;
		case OPT_INTERVAL:
			interval = parse_duration(p.arg);
			if (!interval) {
				cli_error("--interval: '%s' is not a duration (300, 30s, 5m, 1h)", p.arg);
				usage_error = true;
			}
			break;
		case OPT_TO: {
			struct kup_error err = KUP_ERROR_INIT;
			if (ntargets == MAX_TARGETS) {
				cli_error("--to: at most %d targets", MAX_TARGETS);
				usage_error = true;
			} else if (kup_version_parse(p.arg, &targets[ntargets], &err) != KUP_OK) {
				cli_error("--to: %s", err.msg);
				usage_error = true;
			} else {
				ntargets++;
			}
			kup_error_release(&err);
			break;
		}
		case OPT_TLS_CERT: tls_cert = p.arg; break;
		case OPT_TLS_KEY: tls_key = p.arg; break;
		case OPT_TOKEN_FILE: token_file = p.arg; break;
		case OPT_ONCE: once = true; break;
		case OPT_PLAN: plan = true; break;
		case OPT_KB: kb_dir = p.arg; break;
		case 'h':
			cli_usage(&cli_cmd_serve, stdout);
			goto out;
		default:
			usage_error = true;
			break;
		}
	}
	argc = 1 + (int)p.npos;
	if (!usage_error && argc > 1) {
		cli_error("serve takes no arguments ('%s')", argv[1]);
		usage_error = true;
	}
	if (!usage_error && (!tls_cert) != (!tls_key)) {
		cli_error("--tls-cert and --tls-key go together");
		usage_error = true;
	}
	if (!usage_error && !parse_listen(listen_at, &addr, &addrlen)) {
		cli_error("--listen: '%s' is not ADDR:PORT (127.0.0.1:8080, :8080, [::]:8080)",
			  listen_at);
		usage_error = true;
	}
	if (usage_error || live.bad) {
		cli_usage(&cli_cmd_serve, stderr);
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	if (token_file) {
		srv.token = read_small_file(token_file, true, &srv.token_len);
		if (!srv.token || !srv.token_len) {
			cli_error("cannot read a token from '%s': %s", token_file,
				  srv.token ? "the file is empty" : strerror(errno));
			rc = KUP_EXIT_ERROR;
			goto out;
		}
	}
	if (tls_cert) {
		cert_pem = read_small_file(tls_cert, false, NULL);
		key_pem = read_small_file(tls_key, false, NULL);
		if (!cert_pem || !key_pem) {
			cli_error("cannot read '%s': %s", cert_pem ? tls_key : tls_cert, strerror(errno));
			rc = KUP_EXIT_ERROR;
			goto out;
		}
	}
	kb = cli_load_kb(kb_dir);
	if (!kb) {
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	srv.kb = kb;
	live.live = true;
	if (cli_live_connect(&live, false) != KUP_EXIT_OK) {
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	if (!ntargets)
		ntargets = default_targets(&live, kb, targets);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_mutex_init(&srv.lock, NULL) != 0) {
		cli_error("cannot create a mutex");
		rc = KUP_EXIT_ERROR;
		goto out;
	}
	lock_ready = true;

	if (!once) {
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
		const union MHD_DaemonInfo *info;

		if (addr.ss_family == AF_INET6)
			flags |= MHD_USE_IPv6;
		if (cert_pem)
			flags |= MHD_USE_TLS;
		daemon = cert_pem
			? MHD_start_daemon(flags, 0, NULL, NULL, handle, &srv,
					   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
					   MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
					   MHD_OPTION_HTTPS_MEM_KEY, key_pem,
					   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
					   MHD_OPTION_END)
			: MHD_start_daemon(flags, 0, NULL, NULL, handle, &srv,
					   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
					   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
					   MHD_OPTION_END);
		if (!daemon) {
			cli_error("cannot listen on %s%s", listen_at,
				  cert_pem ? " (or the TLS certificate and key were refused)" : "");
			rc = KUP_EXIT_ERROR;
			goto out;
		}
		info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
		fprintf(stderr, "%s: serving %s on port %u (every %lds; /metrics /healthz /readyz "
			"/report /api/v1/findings)\n", kup_cli_name, cert_pem ? "https" : "http",
			info ? (unsigned)info->port : 0u, interval);
	}

	while (!stop_requested) {
		struct kup_serve_opts so;
		struct kup_serve_cycle *cyc = NULL;
		struct kup_error err = KUP_ERROR_INIT;
		enum kup_status st;
		time_t start = time(NULL);
		double t0 = now_s(), dt;

		kup_serve_opts_init(&so);
		so.targets = targets;
		so.ntargets = ntargets;
		so.namespace_ = cli_live_namespace(&live);
		so.cancel = &stop_requested;
		st = kup_serve_cycle_run(live.k, kb, &so, start, &cyc, &err);
		if (st == KUP_OK && plan && !stop_requested)
			plan_targets(&live, kb, cyc, targets, ntargets);
		dt = now_s() - t0;
		cycle_no++;
		pthread_mutex_lock(&srv.lock);
		if (st == KUP_OK) {
			char tbuf[32];
			fprintf(stderr, "%s: scan %lu: %zu objects, %zu finding(s) at %s, %zu resource "
				"error(s) (%.1f s)\n", kup_cli_name, cycle_no,
				kup_serve_cycle_objects(cyc), kup_serve_cycle_findings(cyc, ntargets - 1),
				kup_version_minor_str(&targets[ntargets - 1], tbuf, sizeof(tbuf)),
				kup_serve_cycle_errors(cyc), dt);
			kup_serve_state_done(&srv.state, cyc, start, dt);
		} else if (st == KUP_STOP && stop_requested) {
			pthread_mutex_unlock(&srv.lock);
			kup_error_release(&err);
			break;
		} else {
			const char *msg = err.msg ? err.msg : kup_strerror(st);
			fprintf(stderr, "%s: scan %lu failed: %s\n", kup_cli_name, cycle_no, msg);
			kup_serve_state_failed(&srv.state, msg, start, dt);
		}
		pthread_mutex_unlock(&srv.lock);
		kup_error_release(&err);
		if (once) {
			struct kup_buf out = KUP_BUF_INIT;
			kup_serve_metrics(&srv.state, kb, &out);
			if (out.oom || (out.len && fwrite(out.buf, 1, out.len, stdout) != out.len) ||
			    fflush(stdout) != 0) {
				cli_error("cannot write the metrics");
				rc = KUP_EXIT_ERROR;
			}
			kup_buf_release(&out);
			if (st != KUP_OK)
				rc = KUP_EXIT_ERROR;
			break;
		}
		/* Sleep the interval in small steps, so a signal ends it at once. */
		for (long waited = 0; waited < interval * 10 && !stop_requested; waited++) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	if (stop_requested)
		fprintf(stderr, "%s: stopping\n", kup_cli_name);
out:
	if (daemon)
		MHD_stop_daemon(daemon);
	if (lock_ready)
		pthread_mutex_destroy(&srv.lock);
	kup_serve_state_release(&srv.state);
	free(srv.token);
	free(cert_pem);
	free(key_pem);
	cli_live_release(&live);
	kup_kb_free(kb);
	return rc;
}
