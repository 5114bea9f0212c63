/*
 * client.c - the HTTPS client of kube.h: one libcurl easy handle (so one
 * reused connection), credentials from memory, retries for reads, and
 * error messages a person can act on.
 *
 * Nothing secret is ever formatted into a message or a log line: messages
 * name the URL, the user's *name* in the kubeconfig and the server's Status
 * message; the log line is method, URL, status and duration.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kupgrade/json.h"
#include "kupgrade/kube.h"
#include "live_int.h"

#define MAX_WARNINGS 64

struct kup_kube {
	CURL *h;
	const struct kup_kubeconfig *cfg;
	struct kup_kube_opts o;
	char *base;                  /* URL prefix requests are made to */
	struct curl_slist *connect_to;
	char errbuf[CURL_ERROR_SIZE];
	enum kup_kube_fail last_fail;
	long os_errno;               /* of the last failed connection */
	/* exec plugin credential cache */
	struct kup_exec_cred cred;
	bool cred_valid;
	unsigned exec_runs;
	unsigned connects;           /* connections opened */
	char *token;                 /* current bearer token (cfg's, re-read from tokenFile) */
	char *shown_server;          /* cfg->server with a userinfo password masked */
	/* request state */
	struct kup_kube_resp *resp;
	bool too_big;
	char *warnings[MAX_WARNINGS];
	size_t nwarnings;
};

static bool curl_ready;

static const char *const fail_names[] = {
	"ok", "connect", "tls", "timeout", "unauthorized", "forbidden", "not-found",
	"conflict", "gone", "too-many-requests", "server", "http", "credentials", "protocol",
	"too-big",
};

const char *kup_kube_fail_name(enum kup_kube_fail f)
{
	if ((size_t)f < sizeof(fail_names) / sizeof(fail_names[0]))
		return fail_names[f];
	return "unknown";
}

void kup_kube_opts_init(struct kup_kube_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = 10000;
	o->timeout_ms = 120000;
	o->retries = 4;
	o->backoff_ms = 250;
	o->max_retry_after_ms = 30000;
	o->max_body = (size_t)512 << 20;
	o->compress = -1;
}

/* True when the server URL names a loopback host. */
static bool loopback(const char *server)
{
	const char *h = strstr(server, "://");

	h = h ? h + 3 : server;
	return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0 ||
	       strncmp(h, "[::1]", 5) == 0;
}

void kup_kube_resp_init(struct kup_kube_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->retry_after_ms = -1;
}

void kup_kube_resp_release(struct kup_kube_resp *r)
{
	kup_buf_release(&r->body);
	kup_kube_resp_init(r);
}

enum kup_kube_fail kup_kube_last_fail(const struct kup_kube *k)
{
	return k->last_fail;
}

unsigned kup_kube_exec_runs(const struct kup_kube *k)
{
	return k->exec_runs;
}

unsigned kup_kube_connections(const struct kup_kube *k)
{
	return k->connects;
}

const char *kup_kube_server(const struct kup_kube *k)
{
	/* the form fit for messages and labels: a userinfo password masked */
	return k->shown_server ? k->shown_server : k->cfg->server;
}

/* ---- Retry-After ------------------------------------------------------ */

static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

bool kup_kube_parse_retry_after(const char *value, time_t now, long *ms)
{
	const char *p = value;
	char *end;
	long long secs;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p >= '0' && *p <= '9') {
		errno = 0;
		secs = strtoll(p, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (errno || *end || secs < 0)
			return false;
		if (secs > 86400)
			secs = 86400;
		*ms = (long)(secs * 1000);
		return true;
	}
	{
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		char wd[4], mon[4], zone[4];
		int d, y, hh, mm, ss, i, n = 0;
		struct tm tm;
		time_t t;

		if (sscanf(p, "%3s, %d %3s %d %d:%d:%d %3s%n", wd, &d, mon, &y, &hh, &mm, &ss, zone,
			   &n) != 8)
			return false;
		while (p[n] == ' ' || p[n] == '\r' || p[n] == '\n')
			n++;
		if (p[n] || strcmp(zone, "GMT") != 0 || d < 1 || d > 31 || hh > 23 || mm > 59 ||
		    ss > 60 || y < 1970 || y > 9999 || hh < 0 || mm < 0 || ss < 0)
			return false;
		for (i = 0; i < 12; i++)
			if (strcmp(mon, months[i]) == 0)
				break;
		if (i == 12)
			return false;
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = i;
		tm.tm_mday = d;
		tm.tm_hour = hh;
		tm.tm_min = mm;
		tm.tm_sec = ss;
		t = timegm(&tm);
		if (t == (time_t)-1)
			return false;
		*ms = t > now ? (long)((t - now) > 86400 ? 86400000 : (t - now) * 1000) : 0;
		return true;
	}
}

/* ---- setup ------------------------------------------------------------ */

static void blob(CURL *h, CURLoption opt, const char *data, size_t len)
{
	struct curl_blob b;

	b.data = (void *)(uintptr_t)data;
	b.len = len;
	b.flags = CURL_BLOB_COPY;
	curl_easy_setopt(h, opt, &b);
}

static void set_client_cert(struct kup_kube *k, const char *cert, size_t clen, const char *key,
			    size_t klen)
{
	if (cert && key) {
		blob(k->h, CURLOPT_SSLCERT_BLOB, cert, clen);
		curl_easy_setopt(k->h, CURLOPT_SSLCERTTYPE, "PEM");
		blob(k->h, CURLOPT_SSLKEY_BLOB, key, klen);
		curl_easy_setopt(k->h, CURLOPT_SSLKEYTYPE, "PEM");
	}
}

/*
 * With tls-server-name, requests go to https://NAME:PORT/... and libcurl is
 * told to connect to the real host: SNI and verification use NAME.
 */
static enum kup_status setup_base(struct kup_kube *k, struct kup_error *err)
{
	const char *server = k->cfg->server, *hp, *slash, *colon;
	struct kup_buf b = KUP_BUF_INIT;
	char *host = NULL;
	const char *port = "443";
	size_t hlen;

	if (!k->cfg->tls_server_name) {
		k->base = kup_strdup(server);
		return k->base ? KUP_OK : KUP_NOMEM;
	}
	hp = strstr(server, "://");
	hp = hp ? hp + 3 : server;
	slash = strchr(hp, '/');
	hlen = slash ? (size_t)(slash - hp) : strlen(hp);
	if (hp[0] == '[') {
		const char *rb = memchr(hp, ']', hlen);
		if (!rb)
			return kup_error_set(err, KUP_INVALID, NULL, 0, 0, "bad server URL '%s'", server);
		colon = rb + 1 < hp + hlen && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(hp, ':', hlen);
	}
	host = kup_strndup(hp, colon ? (size_t)(colon - hp) : hlen);
	if (!host)
		return KUP_NOMEM;
	if (colon)
		port = colon + 1;
	{
		size_t plen = (size_t)((hp + hlen) - port);
		if (!colon)
			plen = 3;
		kup_buf_addf(&b, "%s:%.*s:%s:%.*s", k->cfg->tls_server_name, (int)plen, port, host,
			     (int)plen, port);
		if (!b.oom)
			k->connect_to = curl_slist_append(NULL, b.buf);
		kup_buf_reset(&b);
		kup_buf_addf(&b, "https://%s:%.*s%s", k->cfg->tls_server_name, (int)plen, port,
			     slash ? slash : "");
	}
	free(host);
	if (b.oom || !k->connect_to) {
		kup_buf_release(&b);
		return KUP_NOMEM;
	}
	k->base = kup_buf_detach(&b, NULL);
	curl_easy_setopt(k->h, CURLOPT_CONNECT_TO, k->connect_to);
	return KUP_OK;
}

enum kup_status kup_kube_new(const struct kup_kubeconfig *cfg, const struct kup_kube_opts *opts,
			     struct kup_kube **out, struct kup_error *err)
{
	struct kup_kube *k;
	enum kup_status st;

	*out = NULL;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return kup_error_set(err, KUP_IO, NULL, 0, 0, "cannot initialise libcurl");
		curl_ready = true;
	}
	k = kup_calloc(1, sizeof(*k));
	if (!k)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	k->cfg = cfg;
	if (opts)
		k->o = *opts;
	else
		kup_kube_opts_init(&k->o);
	k->h = curl_easy_init();
	if (!k->h) {
		free(k);
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "cannot create a libcurl handle");
	}
	if (!(k->shown_server = kup_redact(cfg->server))) {
		kup_kube_free(k);
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	}
	if (cfg->token && !(k->token = kup_strdup(cfg->token))) {
		kup_kube_free(k);
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	}
	st = setup_base(k, err);
	if (st != KUP_OK) {
		kup_kube_free(k);
		if (!err->msg)
			kup_error_set(err, st, NULL, 0, 0, "out of memory");
		return st;
	}
	curl_easy_setopt(k->h, CURLOPT_ERRORBUFFER, k->errbuf);
	curl_easy_setopt(k->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k->h, CURLOPT_CONNECTTIMEOUT_MS, k->o.connect_timeout_ms);
	curl_easy_setopt(k->h, CURLOPT_TIMEOUT_MS, k->o.timeout_ms);
	curl_easy_setopt(k->h, CURLOPT_USERAGENT, "kupgrade/" KUP_VERSION_STRING);
	curl_easy_setopt(k->h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(k->h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(k->h, CURLOPT_FOLLOWLOCATION, 0L);
	if (cfg->insecure) {
		curl_easy_setopt(k->h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(k->h, CURLOPT_SSL_VERIFYHOST, 0L);
		if (k->o.warn)
			k->o.warn(k->o.log_ctx, "insecure-skip-tls-verify is set: the server's "
				  "certificate is not checked");
	} else {
		curl_easy_setopt(k->h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(k->h, CURLOPT_SSL_VERIFYHOST, 2L);
		if (cfg->ca_data)
			blob(k->h, CURLOPT_CAINFO_BLOB, cfg->ca_data, cfg->ca_len);
	}
	if (cfg->proxy_url) {
		/* as kubectl: an explicit proxy-url is used whatever NO_PROXY says */
		curl_easy_setopt(k->h, CURLOPT_PROXY, cfg->proxy_url);
		curl_easy_setopt(k->h, CURLOPT_NOPROXY, "");
	}
	if (k->o.compress > 0 || (k->o.compress < 0 && !loopback(cfg->server)))
		curl_easy_setopt(k->h, CURLOPT_ACCEPT_ENCODING, "gzip");
	set_client_cert(k, cfg->cert_data, cfg->cert_len, cfg->key_data, cfg->key_len);
	if (cfg->username) {
		curl_easy_setopt(k->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(k->h, CURLOPT_USERNAME, cfg->username);
		curl_easy_setopt(k->h, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
	}
	*out = k;
	return KUP_OK;
}

void kup_kube_free(struct kup_kube *k)
{
	size_t i;

	if (!k)
		return;
	if (k->h)
		curl_easy_cleanup(k->h);
	curl_slist_free_all(k->connect_to);
	free(k->base);
	free(k->shown_server);
	if (k->token) {
		memset(k->token, 0, strlen(k->token));
		free(k->token);
	}
	kup_exec_cred_release(&k->cred);
	for (i = 0; i < k->nwarnings; i++)
		free(k->warnings[i]);
	free(k);
}

/* ---- credentials ------------------------------------------------------ */

static time_t now_of(const struct kup_kube *k)
{
	return k->o.now ? k->o.now() : time(NULL);
}

/* Runs the exec plugin when there is no cached credential or it expired. */
static enum kup_status exec_credential(struct kup_kube *k, bool force, struct kup_error *err)
{
	enum kup_status st;

	if (!k->cfg->exec)
		return KUP_OK;
	if (k->cred_valid && !force && (!k->cred.has_expiry || now_of(k) < k->cred.expiry))
		return KUP_OK;
	kup_exec_cred_release(&k->cred);
	k->cred_valid = false;
	k->exec_runs++;
	st = kup_exec_run(k->cfg, &k->cred, err);
	if (st != KUP_OK)
		return st;
	k->cred_valid = true;
	if (k->cred.cert && k->cred.key)
		set_client_cert(k, k->cred.cert, k->cred.cert_len, k->cred.key, k->cred.key_len);
	return KUP_OK;
}

/* Re-reads tokenFile (kubectl does so when a token is refused). */
static bool reread_token_file(struct kup_kube *k)
{
	char *text = NULL;
	size_t len = 0, n;
	struct kup_error e = KUP_ERROR_INIT;

	if (!k->cfg->token_file || k->cfg->exec)
		return false;
	if (kup_read_file(k->cfg->token_file, 1 << 20, &text, &len, &e) != KUP_OK) {
		kup_error_release(&e);
		return false;
	}
	n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		text[--n] = '\0';
	if (k->token && strcmp(k->token, text) == 0) {
		memset(text, 0, n);
		free(text);
		return false;
	}
	if (k->token) {
		memset(k->token, 0, strlen(k->token));
		free(k->token);
	}
	k->token = text;
	return true;
}

/* ---- one exchange ----------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct kup_kube *k = ctx;
	size_t len = size * n;

	if (k->resp->body.len + len > k->o.max_body) {
		k->too_big = true;
		return 0;
	}
	kup_buf_add(&k->resp->body, data, len);
	if (k->resp->body.oom)
		return 0;
	return len;
}

static void remember_warning(struct kup_kube *k, const char *text, size_t len)
{
	size_t i;
	char *w;

	for (i = 0; i < k->nwarnings; i++)
		if (strlen(k->warnings[i]) == len && memcmp(k->warnings[i], text, len) == 0)
			return;
	{
		struct kup_buf b = KUP_BUF_INIT;
		kup_buf_init(&b);
		kup_redact_add(&b, text, len);
		if (!(w = kup_buf_detach(&b, NULL)))
			return;
	}
	if (k->o.warn)
		k->o.warn(k->o.log_ctx, w);
	if (k->nwarnings < MAX_WARNINGS)
		k->warnings[k->nwarnings++] = w;
	else
		free(w);
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct kup_kube *k = ctx;
	size_t len = size * n, vlen;
	const char *v;

	if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		char tmp[128];
		long ms;
		vlen = len - 12;
		if (vlen >= sizeof(tmp))
			vlen = sizeof(tmp) - 1;
		memcpy(tmp, data + 12, vlen);
		tmp[vlen] = '\0';
		if (kup_kube_parse_retry_after(tmp, time(NULL), &ms))
			k->resp->retry_after_ms = ms;
	} else if (len > 8 && strncasecmp(data, "Warning:", 8) == 0) {
		/* Warning: 299 - "extensions/v1beta1 Ingress is deprecated ..." */
		v = data + 8;
		vlen = len - 8;
		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
			vlen--;
		if (vlen > 6 && memcmp(v, "299 - ", 6) == 0) {
			v += 6;
			vlen -= 6;
			if (vlen >= 2 && v[0] == '"') {
				const char *q = memchr(v + 1, '"', vlen - 1);
				if (q)
					vlen = (size_t)(q - v) + 1;
				v++;
				vlen -= 2;
			}
		}
		remember_warning(k, v, vlen);
	}
	return len;
}

/* Splits an API path into verb, group, resource, namespace for a 403 message. */
static void describe_request(const char *method, const char *path, struct kup_buf *out)
{
	char seg[8][256];
	size_t nseg = 0, i = 0;
	const char *p = path, *q;
	const char *group = "", *ns = NULL, *res = NULL, *name = NULL, *sub = NULL, *verb;
	bool watch = strstr(path, "watch=true") || strstr(path, "watch=1");

	q = strchr(path, '?');
	while (*p && p != q && nseg < 8) {
		size_t n;
		while (*p == '/')
			p++;
		n = strcspn(p, "/?");
		if (!n)
			break;
		snprintf(seg[nseg], sizeof(seg[nseg]), "%.*s", (int)(n < 255 ? n : 255), p);
		nseg++;
		p += n;
	}
	if (nseg >= 2 && strcmp(seg[0], "api") == 0)
		i = 2;
	else if (nseg >= 3 && strcmp(seg[0], "apis") == 0) {
		group = seg[1];
		i = 3;
	} else {
		kup_buf_addf(out, "cannot %s path \"%.*s\"",
			     strcmp(method, "GET") == 0 ? "get" : "access",
			     (int)(q ? (size_t)(q - path) : strlen(path)), path);
		return;
	}
	if (i < nseg && strcmp(seg[i], "namespaces") == 0 && i + 2 < nseg) {
		ns = seg[i + 1];
		i += 2;
	}
	if (i < nseg)
		res = seg[i++];
	if (i < nseg)
		name = seg[i++];
	if (i < nseg)
		sub = seg[i++];
	if (strcmp(method, "GET") == 0)
		verb = watch ? "watch" : name ? "get" : "list";
	else if (strcmp(method, "POST") == 0)
		verb = "create";
	else if (strcmp(method, "PUT") == 0)
		verb = "update";
	else if (strcmp(method, "PATCH") == 0)
		verb = "patch";
	else if (strcmp(method, "DELETE") == 0)
		verb = name ? "delete" : "deletecollection";
	else
		verb = method;
	kup_buf_addf(out, "cannot %s resource \"%s%s%s\" in API group \"%s\"", verb,
		     res ? res : "", sub ? "/" : "", sub ? sub : "", group);
	if (ns)
		kup_buf_addf(out, " in the namespace \"%s\"", ns);
	else if (!name || (res && strcmp(res, "namespaces") != 0))
		kup_buf_adds(out, " at the cluster scope");
}

/* The `message` of a Status body, copied into b (nothing when there is none). */
static void status_message(const struct kup_buf *body, struct kup_buf *b)
{
	struct kup_arena a;
	struct kup_node *root = NULL;
	struct kup_error e = KUP_ERROR_INIT;
	struct kup_read_limits lim;
	const char *msg;

	if (!body->len || body->len > (1u << 20))
		return;
	kup_read_limits_default(&lim);
	kup_arena_init(&a, 4096);
	if (kup_json_parse(body->buf, body->len, &lim, &a, &root, &e) == KUP_OK &&
	    (msg = kup_node_str(kup_node_get(root, "message"))) && *msg)
		kup_buf_addf(b, "%s", msg);
	kup_error_release(&e);
	kup_arena_release(&a);
}

static bool retryable(enum kup_kube_fail f, long status)
{
	return f == KUP_KUBE_CONNECT || f == KUP_KUBE_TIMEOUT || status == 429 ||
	       (status >= 500 && status != 501);
}

static enum kup_kube_fail classify_http(long status)
{
	if (status == 401)
		return KUP_KUBE_UNAUTHORIZED;
	if (status == 403)
		return KUP_KUBE_FORBIDDEN;
	if (status == 404)
		return KUP_KUBE_NOT_FOUND;
	if (status == 409)
		return KUP_KUBE_CONFLICT;
	if (status == 410)
		return KUP_KUBE_GONE;
	if (status == 429)
		return KUP_KUBE_TOO_MANY;
	if (status >= 500)
		return KUP_KUBE_SERVER;
	return KUP_KUBE_HTTP;
}

static enum kup_kube_fail classify_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return KUP_KUBE_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return KUP_KUBE_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		return KUP_KUBE_TLS;
	default:
		return KUP_KUBE_PROTOCOL;
	}
}

static double elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1000.0 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Fills err for a failed exchange. */
static void failure_message(struct kup_kube *k, const char *method, const char *url,
			    const char *path, CURLcode rc, struct kup_kube_resp *resp,
			    struct kup_error *err)
{
	struct kup_buf b = KUP_BUF_INIT, m = KUP_BUF_INIT;
	const char *user = k->cfg->user_name && *k->cfg->user_name ? k->cfg->user_name : NULL;

	kup_buf_init(&b);
	if (resp->fail == KUP_KUBE_TOO_BIG) {
		kup_buf_addf(&b, "the response of %s %s is larger than %zu bytes", method, url,
			     k->o.max_body);
	} else if (resp->status == 0) {
		const char *detail = k->errbuf[0] ? k->errbuf : curl_easy_strerror(rc);
		switch (resp->fail) {
		case KUP_KUBE_TLS:
			if (rc == CURLE_PEER_FAILED_VERIFICATION)
				kup_buf_addf(&b, "certificate verify failed for %s: check "
					     "certificate-authority of cluster '%s' in '%s' (%s)",
					     k->cfg->server, k->cfg->cluster_name, k->cfg->source, detail);
			else if (rc == CURLE_SSL_CERTPROBLEM)
				kup_buf_addf(&b, "cannot use the client certificate of user '%s' for %s (%s)",
					     user ? user : "", k->cfg->server, detail);
			else
				kup_buf_addf(&b, "TLS handshake with %s failed: %s", k->cfg->server,
					     detail);
			break;
		case KUP_KUBE_CONNECT:
			if (rc == CURLE_COULDNT_CONNECT && k->os_errno == ECONNREFUSED)
				kup_buf_addf(&b, "cannot connect to %s: connection refused (is the API "
					     "server running?)", k->cfg->server);
			else
				kup_buf_addf(&b, "cannot connect to %s: %s", k->cfg->server, detail);
			break;
		case KUP_KUBE_TIMEOUT:
			kup_buf_addf(&b, "%s %s timed out: %s", method, url, detail);
			break;
		default:
			kup_buf_addf(&b, "%s %s failed: %s", method, url, detail);
			break;
		}
	} else {
		status_message(&resp->body, &m);
		switch (resp->fail) {
		case KUP_KUBE_UNAUTHORIZED:
			kup_buf_addf(&b, "unauthorized (401) from %s: the credentials of user '%s' were "
				     "refused (token expired or wrong, or a client certificate the "
				     "server does not trust)", url, user ? user : "(none)");
			break;
		case KUP_KUBE_FORBIDDEN:
			kup_buf_adds(&b, "forbidden: ");
			describe_request(method, path, &b);
			kup_buf_addf(&b, " (user '%s' lacks the RBAC permission", user ? user : "(none)");
			if (m.len)
				kup_buf_addf(&b, "; server: %s", m.buf);
			kup_buf_addc(&b, ')');
			break;
		case KUP_KUBE_NOT_FOUND:
			kup_buf_addf(&b, "not found (404): %s %s%s%s", method, url, m.len ? ": " : "",
				     m.len ? m.buf : "");
			break;
		case KUP_KUBE_GONE:
			kup_buf_addf(&b, "gone (410): %s %s%s%s", method, url, m.len ? ": " : "",
				     m.len ? m.buf : "");
			break;
		case KUP_KUBE_TOO_MANY:
			kup_buf_addf(&b, "too many requests (429): %s %s%s%s", method, url,
				     m.len ? ": " : "", m.len ? m.buf : "");
			break;
		case KUP_KUBE_SERVER:
			kup_buf_addf(&b, "server error (%ld): %s %s%s%s", resp->status, method, url,
				     m.len ? ": " : "", m.len ? m.buf : "");
			break;
		default:
			kup_buf_addf(&b, "HTTP %ld: %s %s%s%s", resp->status, method, url,
				     m.len ? ": " : "", m.len ? m.buf : "");
			break;
		}
	}
	kup_error_set(err, KUP_IO, NULL, 0, 0, "%s", b.oom ? "out of memory" : b.buf);
	kup_buf_release(&b);
	kup_buf_release(&m);
}

static enum kup_status perform(struct kup_kube *k, const char *method, const char *url,
			       const char *content_type, const char *body, size_t len,
			       struct kup_kube_resp *resp, CURLcode *rcout)
{
	struct curl_slist *hdrs = NULL;
	struct kup_buf auth = KUP_BUF_INIT;
	struct timespec t0;
	const char *token = NULL;
	CURLcode rc;
	long status = 0;

	kup_buf_reset(&resp->body);
	resp->status = 0;
	resp->fail = KUP_KUBE_OK;
	resp->retry_after_ms = -1;
	k->resp = resp;
	k->too_big = false;
	k->errbuf[0] = '\0';
	if (k->o.transport) {
		/* tests and fuzzing: the answer comes from memory, not the network */
		enum kup_status st = k->o.transport(k->o.transport_ctx, method, url, body, len, resp);
		if (st != KUP_OK)
			return st;
		if (resp->body.oom)
			return KUP_NOMEM;
		if (resp->body.len > k->o.max_body) {
			*rcout = CURLE_WRITE_ERROR;
			k->too_big = true;
			resp->status = 0;
			resp->fail = KUP_KUBE_TOO_BIG;
			return KUP_OK;
		}
		*rcout = resp->status ? CURLE_OK : CURLE_COULDNT_CONNECT;
		if (!resp->status)
			resp->fail = KUP_KUBE_CONNECT;
		else if (resp->status < 200 || resp->status > 299)
			resp->fail = classify_http(resp->status);
		return KUP_OK;
	}
	if (k->cfg->exec && k->cred_valid && k->cred.token)
		token = k->cred.token;
	else if (k->token)
		token = k->token;
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (content_type) {
		struct kup_buf ct = KUP_BUF_INIT;
		kup_buf_addf(&ct, "Content-Type: %s", content_type);
		if (!ct.oom)
			hdrs = curl_slist_append(hdrs, ct.buf);
		kup_buf_release(&ct);
	}
	if (token) {
		kup_buf_addf(&auth, "Authorization: Bearer %s", token);
		if (!auth.oom)
			hdrs = curl_slist_append(hdrs, auth.buf);
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(k->h, CURLOPT_URL, url);
	curl_easy_setopt(k->h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(k->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(k->h, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(k->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k->h, CURLOPT_HEADERDATA, k);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(k->h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(k->h, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		curl_easy_setopt(k->h, CURLOPT_POST, 1L);
		curl_easy_setopt(k->h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(k->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
		curl_easy_setopt(k->h, CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") == 0 ? NULL : method);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = curl_easy_perform(k->h);
	curl_easy_setopt(k->h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	if (auth.buf)
		memset(auth.buf, 0, auth.len);
	kup_buf_release(&auth);
	*rcout = rc;
	k->os_errno = 0;
	if (rc != CURLE_OK)
		curl_easy_getinfo(k->h, CURLINFO_OS_ERRNO, &k->os_errno);
	if (rc == CURLE_OK)
		curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &status);
	resp->status = status;
	{
		long nc = 0;
		if (curl_easy_getinfo(k->h, CURLINFO_NUM_CONNECTS, &nc) == CURLE_OK && nc > 0)
			k->connects += (unsigned)nc;
	}
	if (k->o.log) {
		struct kup_buf line = KUP_BUF_INIT;
		if (rc == CURLE_OK)
			kup_buf_addf(&line, "%s %s %ld %.0fms", method, url, status, elapsed_ms(&t0));
		else
			kup_buf_addf(&line, "%s %s failed (%s) %.0fms", method, url,
				     curl_easy_strerror(rc), elapsed_ms(&t0));
		if (!line.oom) {
			char *shown = kup_redact(line.buf);
			if (shown)
				k->o.log(k->o.log_ctx, shown);
			free(shown);
		}
		kup_buf_release(&line);
	}
	if (resp->body.oom)
		return KUP_NOMEM;
	if (rc != CURLE_OK)
		resp->fail = k->too_big ? KUP_KUBE_TOO_BIG : classify_curl(rc);
	else if (status < 200 || status > 299)
		resp->fail = classify_http(status);
	return KUP_OK;
}

enum kup_status kup_kube_request(struct kup_kube *k, const char *method, const char *path,
				 const char *content_type, const char *body, size_t len,
				 struct kup_kube_resp *resp, struct kup_error *err)
{
	struct kup_buf url = KUP_BUF_INIT;
	bool is_read = strcmp(method, "GET") == 0, refreshed = false;
	long backoff = k->o.backoff_ms > 0 ? k->o.backoff_ms : 1;
	int attempt = 0;
	enum kup_status st;
	CURLcode rc = CURLE_OK;

	kup_buf_addf(&url, "%s%s", k->base, path);
	if (url.oom) {
		kup_buf_release(&url);
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	}
	for (;;) {
		st = exec_credential(k, false, err);
		if (st != KUP_OK) {
			k->last_fail = KUP_KUBE_CREDENTIALS;
			resp->fail = KUP_KUBE_CREDENTIALS;
			goto out;
		}
		st = perform(k, method, url.buf, content_type, body, len, resp, &rc);
		if (st != KUP_OK) {
			kup_error_set(err, st, NULL, 0, 0, "out of memory");
			goto out;
		}
		if (resp->fail == KUP_KUBE_OK)
			break;
		/* a refused credential is fetched again once (exec plugin, tokenFile) */
		if (resp->fail == KUP_KUBE_UNAUTHORIZED && !refreshed) {
			refreshed = true;
			if (k->cfg->exec) {
				st = exec_credential(k, true, err);
				if (st != KUP_OK) {
					k->last_fail = resp->fail = KUP_KUBE_CREDENTIALS;
					goto out;
				}
				continue;
			}
			if (reread_token_file(k))
				continue;
		}
		if (!is_read && resp->fail != KUP_KUBE_CONNECT)
			break;
		if (!is_read && rc != CURLE_COULDNT_CONNECT)
			break;   /* a write is repeated only when it surely never left */
		if (!retryable(resp->fail, resp->status) || attempt >= k->o.retries)
			break;
		attempt++;
		{
			long wait = backoff;
			if (resp->retry_after_ms >= 0)
				wait = resp->retry_after_ms < k->o.max_retry_after_ms
					       ? resp->retry_after_ms : k->o.max_retry_after_ms;
			kup_sleep_ms(wait);
			backoff = backoff * 2 > 10000 ? 10000 : backoff * 2;
		}
	}
	k->last_fail = resp->fail;
	if (resp->fail == KUP_KUBE_OK) {
		st = KUP_OK;
	} else {
		failure_message(k, method, url.buf, path, rc, resp, err);
		st = resp->fail == KUP_KUBE_TOO_BIG ? KUP_TOOBIG : KUP_IO;
		err->code = st;
	}
out:
	kup_buf_release(&url);
	return st;
}

enum kup_status kup_kube_get(struct kup_kube *k, const char *path, struct kup_kube_resp *resp,
			     struct kup_error *err)
{
	return kup_kube_request(k, "GET", path, NULL, NULL, 0, resp, err);
}
