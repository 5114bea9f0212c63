/*
 * exec.c - client-go credential plugins (users[].user.exec): run the
 * command, read its ExecCredential.
 *
 * The plugin gets our environment plus its `env` entries plus
 * KUBERNETES_EXEC_INFO (an ExecCredential with spec.interactive and, with
 * provideClusterInfo, spec.cluster); its stderr is the user's; its stdout
 * (at most 1 MiB) is the credential.  stdin is passed only when
 * interactiveMode allows it and stdin is a terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kupgrade/json.h"
#include "kupgrade/report.h"
#include "live_int.h"

#define EXEC_MAX_OUT (1u << 20)

extern char **environ;

void kup_exec_cred_release(struct kup_exec_cred *c)
{
	if (c->token) {
		memset(c->token, 0, strlen(c->token));
		free(c->token);
	}
	free(c->cert);
	if (c->key) {
		memset(c->key, 0, c->key_len);
		free(c->key);
	}
	memset(c, 0, sizeof(*c));
}

void kup_live_json_str(struct kup_buf *b, const char *s)
{
	kup_json_quote(b, s ? s : "");
}

static void base64_add(struct kup_buf *b, const char *data, size_t len)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)data;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		kup_buf_addc(b, tbl[v >> 18]);
		kup_buf_addc(b, tbl[(v >> 12) & 63]);
		kup_buf_addc(b, tbl[(v >> 6) & 63]);
		kup_buf_addc(b, tbl[v & 63]);
	}
	if (len - i == 1) {
		unsigned v = (unsigned)p[i] << 16;
		kup_buf_addc(b, tbl[v >> 18]);
		kup_buf_addc(b, tbl[(v >> 12) & 63]);
		kup_buf_adds(b, "==");
	} else if (len - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		kup_buf_addc(b, tbl[v >> 18]);
		kup_buf_addc(b, tbl[(v >> 12) & 63]);
		kup_buf_addc(b, tbl[(v >> 6) & 63]);
		kup_buf_addc(b, '=');
	}
}

bool kup_rfc3339_parse(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec, n = 0;
	struct tm tm;
	const char *p;
	time_t t;
	long off = 0;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
	    sec > 60)
		return false;
	p = s + n;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om, m = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5 || oh > 23 || om > 59)
			return false;
		off = (long)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return false;
	}
	if (*p)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*out = t - off;
	return true;
}

enum kup_status kup_exec_parse(const char *api_version, const char *text, size_t len,
			       struct kup_exec_cred *out, struct kup_error *err)
{
	struct kup_arena a;
	struct kup_node *root = NULL;
	struct kup_error e = KUP_ERROR_INIT;
	struct kup_read_limits lim;
	const struct kup_node *status;
	const char *av, *kind, *tok, *cert, *key, *exp;
	enum kup_status st;

	memset(out, 0, sizeof(*out));
	kup_read_limits_default(&lim);
	kup_arena_init(&a, 4096);
	st = kup_json_parse(text, len, &lim, &a, &root, &e);
	if (st != KUP_OK) {
		kup_error_set(err, KUP_PARSE, NULL, 0, 0,
			      "the exec plugin printed no valid ExecCredential JSON: line %u, column %u: %s",
			      e.line, e.column, e.msg ? e.msg : kup_strerror(st));
		goto out;
	}
	st = KUP_PARSE;
	av = kup_node_str(kup_node_get(root, "apiVersion"));
	kind = kup_node_str(kup_node_get(root, "kind"));
	if (!kind || strcmp(kind, "ExecCredential") != 0) {
		kup_error_set(err, st, NULL, 0, 0, "the exec plugin printed kind '%s', not ExecCredential",
			      kind ? kind : "");
		goto out;
	}
	if (!av || (api_version && strcmp(av, api_version) != 0)) {
		kup_error_set(err, st, NULL, 0, 0,
			      "the exec plugin printed apiVersion '%s', the kubeconfig asks for '%s'",
			      av ? av : "", api_version ? api_version : "");
		goto out;
	}
	status = kup_node_get(root, "status");
	if (!status || status->kind != KUP_NODE_MAP) {
		kup_error_set(err, st, NULL, 0, 0, "the exec plugin's ExecCredential has no status");
		goto out;
	}
	tok = kup_node_str(kup_node_get(status, "token"));
	cert = kup_node_str(kup_node_get(status, "clientCertificateData"));
	key = kup_node_str(kup_node_get(status, "clientKeyData"));
	exp = kup_node_str(kup_node_get(status, "expirationTimestamp"));
	if (!kup_secret_register(tok, 0) || !kup_secret_register(key, 0)) {
		st = KUP_NOMEM;
		goto out;
	}
	if ((!tok || !*tok) && (!cert || !*cert || !key || !*key)) {
		kup_error_set(err, st, NULL, 0, 0,
			      "the exec plugin's ExecCredential has neither status.token nor "
			      "status.clientCertificateData and clientKeyData");
		goto out;
	}
	if ((cert && *cert) != (key && *key)) {
		kup_error_set(err, st, NULL, 0, 0,
			      "the exec plugin's ExecCredential has a client %s without a client %s",
			      cert && *cert ? "certificate" : "key", cert && *cert ? "key" : "certificate");
		goto out;
	}
	if (exp && *exp) {
		if (!kup_rfc3339_parse(exp, &out->expiry)) {
			kup_error_set(err, st, NULL, 0, 0,
				      "the exec plugin's expirationTimestamp '%s' is not RFC 3339", exp);
			goto out;
		}
		out->has_expiry = true;
	}
	st = KUP_NOMEM;
	if (tok && *tok && !(out->token = kup_strdup(tok)))
		goto out;
	if (cert && *cert) {
		out->cert_len = strlen(cert);
		out->key_len = strlen(key);
		if (!(out->cert = kup_strdup(cert)) || !(out->key = kup_strdup(key)))
			goto out;
	}
	st = KUP_OK;
out:
	if (st != KUP_OK) {
		kup_exec_cred_release(out);
		if (st == KUP_NOMEM && !err->msg)
			kup_error_set(err, st, NULL, 0, 0, "out of memory");
	}
	kup_error_release(&e);
	kup_arena_release(&a);
	return st;
}

static void exec_info(const struct kup_kubeconfig *cfg, bool interactive, struct kup_buf *b)
{
	kup_buf_adds(b, "KUBERNETES_EXEC_INFO={\"apiVersion\":");
	kup_live_json_str(b, cfg->exec->api_version);
	kup_buf_adds(b, ",\"kind\":\"ExecCredential\",\"spec\":{");
	if (cfg->exec->provide_cluster_info) {
		kup_buf_adds(b, "\"cluster\":{\"server\":");
		kup_live_json_str(b, cfg->server);
		if (cfg->tls_server_name) {
			kup_buf_adds(b, ",\"tls-server-name\":");
			kup_live_json_str(b, cfg->tls_server_name);
		}
		if (cfg->insecure)
			kup_buf_adds(b, ",\"insecure-skip-tls-verify\":true");
		if (cfg->ca_data) {
			kup_buf_adds(b, ",\"certificate-authority-data\":\"");
			base64_add(b, cfg->ca_data, cfg->ca_len);
			kup_buf_addc(b, '"');
		}
		if (cfg->proxy_url) {
			kup_buf_adds(b, ",\"proxy-url\":");
			kup_live_json_str(b, cfg->proxy_url);
		}
		kup_buf_adds(b, "},");
	}
	kup_buf_addf(b, "\"interactive\":%s}}", interactive ? "true" : "false");
}

enum kup_status kup_exec_run(const struct kup_kubeconfig *cfg, struct kup_exec_cred *out,
			     struct kup_error *err)
{
	const struct kup_exec_config *ex = cfg->exec;
	posix_spawn_file_actions_t fa;
	char **argv = NULL, **envp = NULL;
	struct kup_buf info = KUP_BUF_INIT, outb = KUP_BUF_INIT;
	size_t nenv = 0, i, j;
	int pipefd[2] = { -1, -1 }, rc, wstatus = 0;
	bool interactive = false, fa_ready = false;
	pid_t pid = -1;
	enum kup_status st = KUP_NOMEM;

	memset(out, 0, sizeof(*out));
	if (ex->interactive != KUP_EXEC_INTERACTIVE_NEVER && isatty(STDIN_FILENO))
		interactive = true;
	if (ex->interactive == KUP_EXEC_INTERACTIVE_ALWAYS && !interactive)
		return kup_error_set(err, KUP_INVALID, NULL, 0, 0,
				     "exec plugin '%s' of user '%s' needs an interactive terminal "
				     "(interactiveMode: Always) and stdin is not one",
				     ex->command, cfg->user_name);
	argv = kup_calloc(ex->nargs + 2, sizeof(*argv));
	while (environ && environ[nenv])
		nenv++;
	envp = kup_calloc(nenv + ex->nenv + 2, sizeof(*envp));
	if (!argv || !envp)
		goto out;
	argv[0] = ex->command;
	for (i = 0; i < ex->nargs; i++)
		argv[i + 1] = ex->args[i];
	/* the plugin's own env entries override ours; KUBERNETES_EXEC_INFO last */
	j = 0;
	for (i = 0; i < nenv; i++) {
		size_t k, nl = strcspn(environ[i], "=");
		bool overridden = strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21) == 0;
		for (k = 0; k < ex->nenv && !overridden; k++)
			if (strncmp(ex->env[k], environ[i], nl + 1) == 0)
				overridden = true;
		if (!overridden)
			envp[j++] = environ[i];
	}
	for (i = 0; i < ex->nenv; i++)
		envp[j++] = ex->env[i];
	exec_info(cfg, interactive, &info);
	if (info.oom)
		goto out;
	envp[j++] = info.buf;
	envp[j] = NULL;
	if (pipe(pipefd) != 0 || fcntl(pipefd[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(pipefd[1], F_SETFD, FD_CLOEXEC) != 0) {
		st = kup_error_set(err, KUP_IO, NULL, 0, 0, "cannot run exec plugin '%s': %s",
				   ex->command, strerror(errno));
		goto out;
	}
	if (posix_spawn_file_actions_init(&fa) != 0)
		goto out;
	fa_ready = true;
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	if (!interactive)
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	rc = posix_spawnp(&pid, ex->command, &fa, NULL, argv, envp);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (rc != 0) {
		pid = -1;
		if (rc == ENOENT)
			st = kup_error_set(err, KUP_NOTFOUND, NULL, 0, 0,
					   "exec plugin '%s' of user '%s' not found%s%s", ex->command,
					   cfg->user_name, ex->install_hint ? ": " : " (is it installed "
					   "and on PATH?)", ex->install_hint ? ex->install_hint : "");
		else
			st = kup_error_set(err, KUP_IO, NULL, 0, 0,
					   "cannot run exec plugin '%s' of user '%s': %s", ex->command,
					   cfg->user_name, strerror(rc));
		goto out;
	}
	for (;;) {
		char chunk[4096];
		ssize_t n = read(pipefd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (outb.len + (size_t)n > EXEC_MAX_OUT) {
			kill(pid, SIGKILL);
			st = kup_error_set(err, KUP_TOOBIG, NULL, 0, 0,
					   "exec plugin '%s' printed more than %u bytes", ex->command,
					   EXEC_MAX_OUT);
			goto out;
		}
		kup_buf_add(&outb, chunk, (size_t)n);
	}
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (outb.oom)
		goto out;
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
		if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127 && ex->install_hint)
			st = kup_error_set(err, KUP_IO, NULL, 0, 0,
					   "exec plugin '%s' of user '%s' could not run: %s",
					   ex->command, cfg->user_name, ex->install_hint);
		else if (WIFEXITED(wstatus))
			st = kup_error_set(err, KUP_IO, NULL, 0, 0,
					   "exec plugin '%s' of user '%s' failed with exit code %d",
					   ex->command, cfg->user_name, WEXITSTATUS(wstatus));
		else
			st = kup_error_set(err, KUP_IO, NULL, 0, 0,
					   "exec plugin '%s' of user '%s' was killed by signal %d",
					   ex->command, cfg->user_name, WTERMSIG(wstatus));
		goto out;
	}
	st = kup_exec_parse(ex->api_version, outb.buf ? outb.buf : "", outb.len, out, err);
	if (st != KUP_OK && err->msg) {
		char *msg = err->msg;
		err->msg = NULL;
		kup_error_set(err, st, NULL, 0, 0, "exec plugin '%s' of user '%s': %s", ex->command,
			      cfg->user_name, msg);
		free(msg);
	}
out:
	if (pid > 0)
		while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
			;
	if (fa_ready)
		posix_spawn_file_actions_destroy(&fa);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (outb.buf)
		memset(outb.buf, 0, outb.len);
	kup_buf_release(&outb);
	kup_buf_release(&info);
	free(argv);
	free(envp);
	if (st == KUP_NOMEM && !err->msg)
		kup_error_set(err, st, NULL, 0, 0, "out of memory");
	return st;
}
