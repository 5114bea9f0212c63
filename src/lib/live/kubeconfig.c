/*
 * kubeconfig.c - kubeconfig files read and merged as kubectl reads them
 * (see kube.h), and the in-cluster configuration.
 *
 * Each file is read with the YAML reader and its tree copied into one arena
 * that lives while the context is resolved; the result copies what it needs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kupgrade/helm.h"
#include "kupgrade/kube.h"
#include "kupgrade/yaml.h"

#define KC_MAX_FILE (16u << 20)      /* a kubeconfig or credential file */
#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct kc_file {
	char *path;
	char *dir;                   /* for relative paths */
	bool no_file_refs;
	const struct kup_node *root; /* in the loader's arena, NULL when empty */
};

struct kc_loader {
	struct kc_file *files;
	size_t nfiles, cap;
	struct kup_arena arena;
	struct kup_arena doc_arena;
	struct kup_error *err;       /* first read error */
	bool failed;
	const char *cur_path;
	const struct kup_node *cur_root;
};

void kup_kubeconfig_opts_init(struct kup_kubeconfig_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static void exec_free(struct kup_exec_config *e)
{
	size_t i;

	if (!e)
		return;
	free(e->api_version);
	free(e->command);
	for (i = 0; i < e->nargs; i++)
		free(e->args[i]);
	free(e->args);
	for (i = 0; i < e->nenv; i++)
		free(e->env[i]);
	free(e->env);
	free(e->install_hint);
	free(e);
}

static void wipe_free(char *p, size_t n)
{
	if (!p)
		return;
	/* secrets do not linger in freed memory */
	volatile char *v = p;
	while (n--)
		*v++ = 0;
	free(p);
}

void kup_kubeconfig_free(struct kup_kubeconfig *cfg)
{
	if (!cfg)
		return;
	free(cfg->source);
	free(cfg->context);
	free(cfg->cluster_name);
	free(cfg->user_name);
	free(cfg->namespace_);
	free(cfg->server);
	free(cfg->tls_server_name);
	free(cfg->proxy_url);
	free(cfg->ca_data);
	free(cfg->cert_data);
	wipe_free(cfg->key_data, cfg->key_len);
	wipe_free(cfg->token, cfg->token ? strlen(cfg->token) : 0);
	free(cfg->token_file);
	free(cfg->username);
	wipe_free(cfg->password, cfg->password ? strlen(cfg->password) : 0);
	exec_free(cfg->exec);
	free(cfg);
}

/* ---- reading ---------------------------------------------------------- */

static struct kup_node *copy_node(struct kup_arena *a, const struct kup_node *n)
{
	struct kup_node *c;
	size_t i;

	if (!n)
		return NULL;
	c = kup_arena_alloc(a, sizeof(*c));
	if (!c)
		return NULL;
	*c = *n;
	if (n->kind == KUP_NODE_SCALAR) {
		c->u.str = kup_arena_strndup(a, n->u.str, n->len);
		if (!c->u.str)
			return NULL;
	} else if (n->kind == KUP_NODE_MAP) {
		c->u.pairs = kup_arena_alloc(a, (n->len ? n->len : 1) * sizeof(*c->u.pairs));
		if (!c->u.pairs)
			return NULL;
		for (i = 0; i < n->len; i++) {
			c->u.pairs[i].key = copy_node(a, n->u.pairs[i].key);
			c->u.pairs[i].value = copy_node(a, n->u.pairs[i].value);
			if (!c->u.pairs[i].key || (n->u.pairs[i].value && !c->u.pairs[i].value))
				return NULL;
		}
	} else if (n->kind == KUP_NODE_SEQ) {
		c->u.items = kup_arena_alloc(a, (n->len ? n->len : 1) * sizeof(*c->u.items));
		if (!c->u.items)
			return NULL;
		for (i = 0; i < n->len; i++) {
			c->u.items[i] = copy_node(a, n->u.items[i]);
			if (n->u.items[i] && !c->u.items[i])
				return NULL;
		}
	}
	return c;
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct kc_loader *l = ctx;

	if (!doc->root || l->cur_root)
		return KUP_OK;   /* a kubeconfig is one document; kubectl reads the first */
	l->cur_root = copy_node(&l->arena, doc->root);
	if (!l->cur_root)
		return KUP_NOMEM;
	return KUP_OK;
}

static void on_read_error(void *ctx, const struct kup_error *e)
{
	struct kc_loader *l = ctx;

	if (l->failed)
		return;
	l->failed = true;
	kup_error_set(l->err, KUP_PARSE, e->path, e->line, e->column,
		      "cannot read kubeconfig '%s': %s", l->cur_path,
		      e->msg ? e->msg : kup_strerror(e->code));
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return kup_strdup(".");
	if (slash == path)
		return kup_strdup("/");
	return kup_strndup(path, (size_t)(slash - path));
}

static enum kup_status add_text(struct kc_loader *l, const char *path, const char *text,
				size_t len)
{
	struct kup_yaml_opts yo;
	struct kc_file *f;
	size_t nerr = 0;
	enum kup_status st;

	if (!kup_grow(&l->files, &l->cap, l->nfiles + 1, sizeof(*l->files), 4))
		return KUP_NOMEM;
	f = &l->files[l->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = kup_strdup(path);
	f->dir = dir_of(path);
	if (!f->path || !f->dir) {
		free(f->path);
		free(f->dir);
		return KUP_NOMEM;
	}
	l->nfiles++;
	kup_yaml_opts_init(&yo, f->path);
	yo.errors.fn = on_read_error;
	yo.errors.ctx = l;
	l->cur_path = f->path;
	l->cur_root = NULL;
	st = kup_yaml_read_mem(text, len, &yo, &l->doc_arena, on_doc, l, &nerr);
	if (st != KUP_OK)
		return st;
	if (l->failed)
		return l->err->code;
	if (l->cur_root && l->cur_root->kind != KUP_NODE_MAP)
		return kup_error_set(l->err, KUP_PARSE, f->path, l->cur_root->line,
				     l->cur_root->column,
				     "cannot read kubeconfig '%s': expected a map at the top", f->path);
	f->root = l->cur_root;
	return KUP_OK;
}

static enum kup_status add_file(struct kc_loader *l, const char *path, bool must_exist)
{
	char *text = NULL;
	size_t len = 0;
	enum kup_status st;
	struct kup_error e = KUP_ERROR_INIT;

	if (!must_exist && access(path, F_OK) != 0)
		return KUP_OK;
	st = kup_read_file(path, KC_MAX_FILE, &text, &len, &e);
	if (st != KUP_OK) {
		kup_error_set(l->err, st, NULL, 0, 0, "cannot read kubeconfig '%s': %s", path,
			      e.msg ? e.msg : kup_strerror(st));
		kup_error_release(&e);
		return st;
	}
	st = add_text(l, path, text, len);
	free(text);
	return st;
}

/* ---- queries over the merged files ------------------------------------ */

static enum kup_status bad_type(struct kup_error *err, const char *path, const struct kup_node *n,
				const char *what, const char *want)
{
	return kup_error_set(err, KUP_PARSE, path, n->line, n->column,
			     "%s must be %s", what, want);
}

/* A string field (NULL when absent or null); false after an error. */
static bool get_str(const struct kup_node *map, const char *key, const char *path,
		    const char **out, struct kup_error *err)
{
	const struct kup_node *n = kup_node_get(map, key);

	*out = NULL;
	if (!n || (n->kind == KUP_NODE_SCALAR && n->tag == KUP_TAG_NULL))
		return true;
	if (n->kind != KUP_NODE_SCALAR) {
		bad_type(err, path, n, key, "a string");
		return false;
	}
	*out = n->u.str;
	return true;
}

static bool get_bool(const struct kup_node *map, const char *key, const char *path, bool *out,
		     struct kup_error *err)
{
	const struct kup_node *n = kup_node_get(map, key);

	*out = false;
	if (!n || (n->kind == KUP_NODE_SCALAR && n->tag == KUP_TAG_NULL))
		return true;
	if (!kup_node_bool(n, out)) {
		bad_type(err, path, n, key, "true or false");
		return false;
	}
	return true;
}

/*
 * Finds `name` in the `section` list (clusters, contexts, users) of the
 * files, first file first; returns the entry's inner map (`what`) and the
 * file it came from.
 */
static enum kup_status find_entry(struct kc_loader *l, const char *section, const char *what,
				  const char *name, const struct kup_node **out,
				  const struct kc_file **file, struct kup_error *err)
{
	size_t i, j;

	*out = NULL;
	*file = NULL;
	for (i = 0; i < l->nfiles; i++) {
		const struct kup_node *list = kup_node_get(l->files[i].root, section);
		if (!list || (list->kind == KUP_NODE_SCALAR && list->tag == KUP_TAG_NULL))
			continue;
		if (list->kind != KUP_NODE_SEQ)
			return bad_type(err, l->files[i].path, list, section, "a list");
		for (j = 0; j < list->len; j++) {
			const struct kup_node *e = list->u.items[j], *inner;
			const struct kup_node *nm = kup_node_get(e, "name");
			if (!e || e->kind != KUP_NODE_MAP)
				return bad_type(err, l->files[i].path, e ? e : list, section,
						"a list of maps with name and a value");
			if (!nm || nm->kind != KUP_NODE_SCALAR)
				continue;
			if (strcmp(nm->u.str, name) != 0)
				continue;
			inner = kup_node_get(e, what);
			if (inner && !(inner->kind == KUP_NODE_MAP ||
				       (inner->kind == KUP_NODE_SCALAR && inner->tag == KUP_TAG_NULL)))
				return bad_type(err, l->files[i].path, inner, what, "a map");
			*out = inner && inner->kind == KUP_NODE_MAP ? inner : e;
			*file = &l->files[i];
			return KUP_OK;
		}
	}
	return KUP_NOTFOUND;
}

static char *resolve_path(const struct kc_file *f, const char *p)
{
	struct kup_buf b = KUP_BUF_INIT;

	if (p[0] == '/' || !f)
		return kup_strdup(p);
	if (p[0] == '~' && p[1] == '/' && getenv("HOME")) {
		kup_buf_addf(&b, "%s%s", getenv("HOME"), p + 1);
	} else {
		kup_buf_addf(&b, "%s/%s", f->dir, p);
	}
	if (b.oom) {
		kup_buf_release(&b);
		return NULL;
	}
	return kup_buf_detach(&b, NULL);
}

/* Reads a file named by the kubeconfig (a CA, a key, a token file). */
static enum kup_status read_ref(const struct kc_file *f, const struct kup_node *at,
				const char *field, const char *p, char **out, size_t *len,
				struct kup_error *err)
{
	char *full = resolve_path(f, p);
	struct kup_error e = KUP_ERROR_INIT;
	enum kup_status st;

	if (!full)
		return KUP_NOMEM;
	if (f->no_file_refs)
		st = kup_error_set(&e, KUP_NOTFOUND, NULL, 0, 0, "not read (no_file_refs)");
	else
		st = kup_read_file(full, KC_MAX_FILE, out, len, &e);
	if (st != KUP_OK)
		kup_error_set(err, st, f ? f->path : NULL, at ? at->line : 0, at ? at->column : 0,
			      "cannot read %s '%s': %s", field, full,
			      e.msg ? e.msg : kup_strerror(st));
	kup_error_release(&e);
	free(full);
	return st;
}

/* `*-data` fields: base64 PEM. */
static enum kup_status decode_data(const struct kc_file *f, const struct kup_node *map,
				   const char *field, char **out, size_t *len,
				   struct kup_error *err)
{
	const struct kup_node *n = kup_node_get(map, field);
	struct kup_buf b = KUP_BUF_INIT;

	kup_buf_init(&b);
	if (!kup_base64_decode(n->u.str, n->len, &b) || b.oom) {
		kup_buf_release(&b);
		return kup_error_set(err, KUP_ENCODING, f->path, n->line, n->column,
				     "%s is not valid base64", field);
	}
	*out = kup_buf_detach(&b, len);
	return KUP_OK;
}

/* field (a path) or field-data (base64), data first as kubectl does. */
static enum kup_status get_blob(const struct kc_file *f, const struct kup_node *map,
				const char *field, char **out, size_t *len,
				struct kup_error *err)
{
	char dname[64];
	const char *path, *data;

	*out = NULL;
	*len = 0;
	snprintf(dname, sizeof(dname), "%s-data", field);
	if (!get_str(map, dname, f->path, &data, err) || !get_str(map, field, f->path, &path, err))
		return KUP_PARSE;
	if (data && *data)
		return decode_data(f, map, dname, out, len, err);
	if (path && *path)
		return read_ref(f, kup_node_get(map, field), field, path, out, len, err);
	return KUP_OK;
}

static bool dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src || !*src)
		return true;
	*dst = kup_strdup(src);
	return *dst != NULL;
}

static void trim_right(char *s, size_t *len)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	if (len)
		*len = n;
}

static enum kup_status load_exec(const struct kc_file *f, const struct kup_node *ex,
				 struct kup_exec_config **out, struct kup_error *err)
{
	struct kup_exec_config *e = kup_calloc(1, sizeof(*e));
	const char *api = NULL, *cmd = NULL, *hint = NULL, *mode = NULL;
	const struct kup_node *args, *env;
	enum kup_status st = KUP_PARSE;
	size_t i;

	if (!e)
		return KUP_NOMEM;
	if (ex->kind != KUP_NODE_MAP) {
		bad_type(err, f->path, ex, "exec", "a map");
		goto out;
	}
	if (!get_str(ex, "apiVersion", f->path, &api, err) ||
	    !get_str(ex, "command", f->path, &cmd, err) ||
	    !get_str(ex, "installHint", f->path, &hint, err) ||
	    !get_str(ex, "interactiveMode", f->path, &mode, err) ||
	    !get_bool(ex, "provideClusterInfo", f->path, &e->provide_cluster_info, err))
		goto out;
	if (!api || (strcmp(api, "client.authentication.k8s.io/v1") != 0 &&
		     strcmp(api, "client.authentication.k8s.io/v1beta1") != 0)) {
		const struct kup_node *at = kup_node_get(ex, "apiVersion");
		kup_error_set(err, KUP_INVALID, f->path, at ? at->line : ex->line,
			      at ? at->column : ex->column,
			      "exec apiVersion '%s' is not supported "
			      "(client.authentication.k8s.io/v1 or v1beta1)",
			      api ? api : "");
		goto out;
	}
	if (!cmd || !*cmd) {
		kup_error_set(err, KUP_INVALID, f->path, ex->line, ex->column,
			      "exec has no command");
		goto out;
	}
	if (!mode || !*mode) {
		if (strcmp(api, "client.authentication.k8s.io/v1") == 0) {
			kup_error_set(err, KUP_INVALID, f->path, ex->line, ex->column,
				      "exec interactiveMode must be set for "
				      "client.authentication.k8s.io/v1 (Never, IfAvailable or Always)");
			goto out;
		}
		e->interactive = KUP_EXEC_INTERACTIVE_IF_AVAILABLE;
	} else if (strcmp(mode, "Never") == 0) {
		e->interactive = KUP_EXEC_INTERACTIVE_NEVER;
	} else if (strcmp(mode, "IfAvailable") == 0) {
		e->interactive = KUP_EXEC_INTERACTIVE_IF_AVAILABLE;
	} else if (strcmp(mode, "Always") == 0) {
		e->interactive = KUP_EXEC_INTERACTIVE_ALWAYS;
	} else {
		const struct kup_node *at = kup_node_get(ex, "interactiveMode");
		kup_error_set(err, KUP_INVALID, f->path, at->line, at->column,
			      "exec interactiveMode '%s' is not Never, IfAvailable or Always",
			      mode);
		goto out;
	}
	e->api_version = kup_strdup(api);
	e->command = strchr(cmd, '/') ? resolve_path(f, cmd) : kup_strdup(cmd);
	if (!e->api_version || !e->command || !dup_opt(&e->install_hint, hint)) {
		st = KUP_NOMEM;
		goto out;
	}
	args = kup_node_get(ex, "args");
	if (args && !(args->kind == KUP_NODE_SCALAR && args->tag == KUP_TAG_NULL)) {
		if (args->kind != KUP_NODE_SEQ) {
			bad_type(err, f->path, args, "exec args", "a list of strings");
			goto out;
		}
		e->args = kup_calloc(args->len + 1, sizeof(*e->args));
		if (!e->args) {
			st = KUP_NOMEM;
			goto out;
		}
		for (i = 0; i < args->len; i++) {
			const struct kup_node *a = args->u.items[i];
			if (!a || a->kind != KUP_NODE_SCALAR) {
				bad_type(err, f->path, a ? a : args, "exec args", "a list of strings");
				goto out;
			}
			if (!(e->args[e->nargs] = kup_strdup(a->u.str))) {
				st = KUP_NOMEM;
				goto out;
			}
			e->nargs++;
		}
	}
	env = kup_node_get(ex, "env");
	if (env && !(env->kind == KUP_NODE_SCALAR && env->tag == KUP_TAG_NULL)) {
		if (env->kind != KUP_NODE_SEQ) {
			bad_type(err, f->path, env, "exec env", "a list of {name, value}");
			goto out;
		}
		e->env = kup_calloc(env->len + 1, sizeof(*e->env));
		if (!e->env) {
			st = KUP_NOMEM;
			goto out;
		}
		for (i = 0; i < env->len; i++) {
			const struct kup_node *v = env->u.items[i];
			const char *name = NULL, *value = NULL;
			struct kup_buf b = KUP_BUF_INIT;
			if (!v || v->kind != KUP_NODE_MAP) {
				bad_type(err, f->path, v ? v : env, "exec env", "a list of {name, value}");
				goto out;
			}
			if (!get_str(v, "name", f->path, &name, err) ||
			    !get_str(v, "value", f->path, &value, err))
				goto out;
			if (!kup_secret_register(value, 0)) {
				st = KUP_NOMEM;
				goto out;
			}
			if (!name || !*name || strchr(name, '=')) {
				kup_error_set(err, KUP_INVALID, f->path, v->line, v->column,
					      "exec env entry needs a name without '='");
				goto out;
			}
			kup_buf_addf(&b, "%s=%s", name, value ? value : "");
			if (b.oom) {
				kup_buf_release(&b);
				st = KUP_NOMEM;
				goto out;
			}
			e->env[e->nenv++] = kup_buf_detach(&b, NULL);
		}
	}
	*out = e;
	e = NULL;
	st = KUP_OK;
out:
	exec_free(e);
	if (st == KUP_PARSE && err->code != KUP_OK)
		st = err->code;
	return st;
}

static enum kup_status load_cluster(const struct kc_file *f, const struct kup_node *c,
				    struct kup_kubeconfig *cfg, struct kup_error *err)
{
	const char *server, *tsn, *proxy;
	enum kup_status st;
	size_t n;

	if (!get_str(c, "server", f->path, &server, err) ||
	    !get_str(c, "tls-server-name", f->path, &tsn, err) ||
	    !get_str(c, "proxy-url", f->path, &proxy, err) ||
	    !get_bool(c, "insecure-skip-tls-verify", f->path, &cfg->insecure, err))
		return KUP_PARSE;
	/* the passwords of userinfo in the URLs are secrets from here on */
	if (!kup_secret_register_url(server) || !kup_secret_register_url(proxy))
		return KUP_NOMEM;
	if (!server || !*server)
		return kup_error_set(err, KUP_INVALID, f->path, c->line, c->column,
				     "cluster '%s' has no server",
				     cfg->cluster_name);
	if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0) {
		const struct kup_node *at = kup_node_get(c, "server");
		return kup_error_set(err, KUP_INVALID, f->path, at->line, at->column,
				     "server '%s' is not an https:// URL",
				     server);
	}
	if (!(cfg->server = kup_strdup(server)) || !dup_opt(&cfg->tls_server_name, tsn) ||
	    !dup_opt(&cfg->proxy_url, proxy))
		return KUP_NOMEM;
	n = strlen(cfg->server);
	while (n > 8 && cfg->server[n - 1] == '/')
		cfg->server[--n] = '\0';
	st = get_blob(f, c, "certificate-authority", &cfg->ca_data, &cfg->ca_len, err);
	return st;
}

static enum kup_status load_user(const struct kc_file *f, const struct kup_node *u,
				 struct kup_kubeconfig *cfg, struct kup_error *err)
{
	const char *token, *token_file, *user, *pass;
	const struct kup_node *ap, *ex;
	enum kup_status st;

	ap = kup_node_get(u, "auth-provider");
	if (ap && !(ap->kind == KUP_NODE_SCALAR && ap->tag == KUP_TAG_NULL)) {
		const char *name = kup_node_str(kup_node_get(ap, "name"));
		const char *instead = "an exec credential plugin";
		if (name && strcmp(name, "gcp") == 0)
			instead = "the exec plugin gke-gcloud-auth-plugin (gcloud components install "
				  "gke-gcloud-auth-plugin, then gcloud container clusters get-credentials)";
		else if (name && strcmp(name, "azure") == 0)
			instead = "the exec plugin kubelogin (kubelogin convert-kubeconfig)";
		else if (name && strcmp(name, "oidc") == 0)
			instead = "an OIDC exec plugin such as kubelogin (kubectl oidc-login)";
		return kup_error_set(err, KUP_INVALID, f->path, ap->line, ap->column,
				     "user '%s' uses the auth-provider '%s', which is "
				     "not supported (kubectl removed it in 1.26): use %s",
				     cfg->user_name, name ? name : "?", instead);
	}
	if (!get_str(u, "token", f->path, &token, err) ||
	    !get_str(u, "tokenFile", f->path, &token_file, err) ||
	    !get_str(u, "username", f->path, &user, err) ||
	    !get_str(u, "password", f->path, &pass, err))
		return KUP_PARSE;
	/* every credential is a secret from here on, before anything can name it */
	{
		const char *keydata = kup_node_str(kup_node_get(u, "client-key-data"));
		if (!kup_secret_register(token, 0) || !kup_secret_register(pass, 0) ||
		    !kup_secret_register(keydata, 0))
			return KUP_NOMEM;
	}
	st = get_blob(f, u, "client-certificate", &cfg->cert_data, &cfg->cert_len, err);
	if (st == KUP_OK)
		st = get_blob(f, u, "client-key", &cfg->key_data, &cfg->key_len, err);
	if (st != KUP_OK)
		return st;
	if (cfg->key_data && !kup_secret_register(cfg->key_data, cfg->key_len))
		return KUP_NOMEM;
	if (!cfg->cert_data != !cfg->key_data)
		return kup_error_set(err, KUP_INVALID, f->path, u->line, u->column,
				     "user '%s' has a client %s without a client %s",
				     cfg->user_name, cfg->cert_data ? "certificate" : "key",
				     cfg->cert_data ? "key" : "certificate");
	if (token && *token) {
		if (!(cfg->token = kup_strdup(token)))
			return KUP_NOMEM;
	} else if (token_file && *token_file) {
		size_t len;
		if (!(cfg->token_file = resolve_path(f, token_file)))
			return KUP_NOMEM;
		st = read_ref(f, kup_node_get(u, "tokenFile"), "tokenFile", token_file, &cfg->token,
			      &len, err);
		if (st != KUP_OK)
			return st;
		trim_right(cfg->token, NULL);
		if (!kup_secret_register(cfg->token, 0))
			return KUP_NOMEM;
	}
	if ((user && *user) || (pass && *pass)) {
		if (!dup_opt(&cfg->username, user) || !(cfg->password = kup_strdup(pass ? pass : "")))
			return KUP_NOMEM;
		if (!cfg->username && !(cfg->username = kup_strdup("")))
			return KUP_NOMEM;
	}
	ex = kup_node_get(u, "exec");
	if (ex && !(ex->kind == KUP_NODE_SCALAR && ex->tag == KUP_TAG_NULL)) {
		st = load_exec(f, ex, &cfg->exec, err);
		if (st != KUP_OK)
			return st;
	}
	return KUP_OK;
}

static void files_label(const struct kc_loader *l, struct kup_buf *b)
{
	size_t i;

	for (i = 0; i < l->nfiles; i++)
		kup_buf_addf(b, "%s%s", i ? ":" : "", l->files[i].path);
}

static enum kup_status resolve(struct kc_loader *l, const struct kup_kubeconfig_opts *o,
			       struct kup_kubeconfig **out, struct kup_error *err)
{
	struct kup_kubeconfig *cfg = kup_calloc(1, sizeof(*cfg));
	const char *ctxname = o->context, *cluster = NULL, *user = NULL, *ns = NULL;
	const struct kup_node *ctx, *cl, *us;
	const struct kc_file *cf, *clf, *usf;
	struct kup_buf names = KUP_BUF_INIT;
	enum kup_status st = KUP_PARSE;
	size_t i;

	if (!cfg)
		return KUP_NOMEM;
	files_label(l, &names);
	if (names.oom) {
		st = KUP_NOMEM;
		goto out;
	}
	if (!ctxname || !*ctxname) {
		for (i = 0; i < l->nfiles && !ctxname; i++) {
			const char *cur = NULL;
			if (!get_str(l->files[i].root, "current-context", l->files[i].path, &cur, err))
				goto out;
			if (cur && *cur)
				ctxname = cur;
		}
	}
	if (!ctxname || !*ctxname) {
		st = kup_error_set(err, KUP_INVALID, NULL, 0, 0,
				   "no context: kubeconfig '%s' sets no current-context; name one "
				   "with --context", names.buf ? names.buf : "");
		goto out;
	}
	st = find_entry(l, "contexts", "context", ctxname, &ctx, &cf, err);
	if (st == KUP_NOTFOUND) {
		st = kup_error_set(err, KUP_NOTFOUND, NULL, 0, 0,
				   "context '%s' not found in kubeconfig '%s'", ctxname,
				   names.buf ? names.buf : "");
		goto out;
	}
	if (st != KUP_OK)
		goto out;
	if (!get_str(ctx, "cluster", cf->path, &cluster, err) ||
	    !get_str(ctx, "user", cf->path, &user, err) ||
	    !get_str(ctx, "namespace", cf->path, &ns, err)) {
		st = KUP_PARSE;
		goto out;
	}
	if (!cluster || !*cluster) {
		st = kup_error_set(err, KUP_INVALID, cf->path, ctx->line, ctx->column,
				   "context '%s' names no cluster", ctxname);
		goto out;
	}
	if (!(cfg->source = kup_strdup(cf->path)) || !(cfg->context = kup_strdup(ctxname)) ||
	    !(cfg->cluster_name = kup_strdup(cluster)) || !(cfg->user_name = kup_strdup(user ? user : "")) ||
	    !(cfg->namespace_ = kup_strdup(o->namespace_ && *o->namespace_ ? o->namespace_
				       : ns && *ns ? ns : "default"))) {
		st = KUP_NOMEM;
		goto out;
	}
	st = find_entry(l, "clusters", "cluster", cluster, &cl, &clf, err);
	if (st == KUP_NOTFOUND) {
		st = kup_error_set(err, KUP_NOTFOUND, cf->path, ctx->line, ctx->column,
				   "cluster '%s' of context '%s' not found",
				   cluster, ctxname);
		goto out;
	}
	if (st != KUP_OK || (st = load_cluster(clf, cl, cfg, err)) != KUP_OK)
		goto out;
	if (user && *user) {
		st = find_entry(l, "users", "user", user, &us, &usf, err);
		if (st == KUP_NOTFOUND) {
			st = kup_error_set(err, KUP_NOTFOUND, cf->path, ctx->line, ctx->column,
					   "user '%s' of context '%s' not found",
					   user, ctxname);
			goto out;
		}
		if (st != KUP_OK || (st = load_user(usf, us, cfg, err)) != KUP_OK)
			goto out;
	}
	*out = cfg;
	cfg = NULL;
	st = KUP_OK;
out:
	kup_buf_release(&names);
	kup_kubeconfig_free(cfg);
	return st;
}

static void loader_init(struct kc_loader *l, struct kup_error *err)
{
	memset(l, 0, sizeof(*l));
	kup_arena_init(&l->arena, 16384);
	kup_arena_init(&l->doc_arena, 16384);
	l->err = err;
}

static void loader_release(struct kc_loader *l)
{
	size_t i;

	for (i = 0; i < l->nfiles; i++) {
		free(l->files[i].path);
		free(l->files[i].dir);
	}
	free(l->files);
	kup_arena_release(&l->arena);
	kup_arena_release(&l->doc_arena);
}

enum kup_status kup_kubeconfig_load_mem(const char *name, const char *text, size_t len,
					const struct kup_kubeconfig_opts *opts,
					struct kup_kubeconfig **out, struct kup_error *err)
{
	struct kc_loader l;
	enum kup_status st;

	*out = NULL;
	loader_init(&l, err);
	st = add_text(&l, name, text, len);
	if (st == KUP_OK) {
		l.files[0].no_file_refs = opts->no_file_refs;
		st = resolve(&l, opts, out, err);
	}
	if (st == KUP_NOMEM && !err->msg)
		kup_error_set(err, st, name, 0, 0, "out of memory");
	loader_release(&l);
	return st;
}

/* ---- in-cluster ------------------------------------------------------- */

static enum kup_status in_cluster(const struct kup_kubeconfig_opts *o, struct kup_kubeconfig **out,
				  struct kup_error *err)
{
	const char *dir = o->in_cluster_dir ? o->in_cluster_dir : SA_DIR;
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	struct kup_kubeconfig *cfg = kup_calloc(1, sizeof(*cfg));
	struct kup_buf b = KUP_BUF_INIT;
	struct kup_error e = KUP_ERROR_INIT;
	char *ns = NULL;
	size_t len;
	enum kup_status st = KUP_NOMEM;

	if (!cfg)
		return KUP_NOMEM;
	kup_buf_addf(&b, "%s/token", dir);
	if (b.oom)
		goto out;
	if (!(cfg->token_file = kup_buf_detach(&b, NULL)))
		goto out;
	st = kup_read_file(cfg->token_file, KC_MAX_FILE, &cfg->token, &len, &e);
	if (st != KUP_OK) {
		kup_error_set(err, st, cfg->token_file, 0, 0,
			      "cannot read the service-account token '%s': %s", cfg->token_file,
			      e.msg ? e.msg : kup_strerror(st));
		goto out;
	}
	trim_right(cfg->token, NULL);
	if (!kup_secret_register(cfg->token, 0)) {
		st = KUP_NOMEM;
		goto out;
	}
	kup_buf_addf(&b, "%s/ca.crt", dir);
	if (b.oom) {
		st = KUP_NOMEM;
		goto out;
	}
	kup_error_release(&e);
	st = kup_read_file(b.buf, KC_MAX_FILE, &cfg->ca_data, &cfg->ca_len, &e);
	if (st != KUP_OK) {
		kup_error_set(err, st, b.buf, 0, 0, "cannot read the service-account CA '%s': %s",
			      b.buf, e.msg ? e.msg : kup_strerror(st));
		goto out;
	}
	kup_buf_reset(&b);
	kup_buf_addf(&b, "%s/namespace", dir);
	kup_error_release(&e);
	if (!b.oom && kup_read_file(b.buf, 4096, &ns, &len, &e) == KUP_OK)
		trim_right(ns, NULL);
	kup_buf_reset(&b);
	if (strchr(host, ':'))
		kup_buf_addf(&b, "https://[%s]:%s", host, port && *port ? port : "443");
	else
		kup_buf_addf(&b, "https://%s:%s", host, port && *port ? port : "443");
	st = KUP_NOMEM;
	if (b.oom || !(cfg->server = kup_buf_detach(&b, NULL)))
		goto out;
	if (!(cfg->source = kup_strdup("in-cluster")) || !(cfg->context = kup_strdup("")) ||
	    !(cfg->cluster_name = kup_strdup("")) || !(cfg->user_name = kup_strdup("")) ||
	    !(cfg->namespace_ = kup_strdup(o->namespace_ && *o->namespace_ ? o->namespace_
				       : ns && *ns ? ns : "default")))
		goto out;
	*out = cfg;
	cfg = NULL;
	st = KUP_OK;
out:
	free(ns);
	kup_error_release(&e);
	kup_buf_release(&b);
	kup_kubeconfig_free(cfg);
	return st;
}

enum kup_status kup_kubeconfig_load(const struct kup_kubeconfig_opts *opts,
				    struct kup_kubeconfig **out, struct kup_error *err)
{
	struct kc_loader l;
	enum kup_status st = KUP_OK;
	const char *env = opts->env_kubeconfig ? opts->env_kubeconfig : getenv("KUBECONFIG");
	const char *home = opts->home ? opts->home : getenv("HOME");

	*out = NULL;
	loader_init(&l, err);
	if (opts->kubeconfig && *opts->kubeconfig) {
		st = add_file(&l, opts->kubeconfig, true);
	} else if (env && *env) {
		char *copy = kup_strdup(env), *p, *next;
		size_t i;
		if (!copy) {
			st = KUP_NOMEM;
			goto out;
		}
		for (p = copy; p && st == KUP_OK; p = next) {
			next = strchr(p, ':');
			if (next)
				*next++ = '\0';
			if (!*p)
				continue;
			/* a file named twice is read once (kubectl dedups the list) */
			for (i = 0; i < l.nfiles; i++)
				if (strcmp(l.files[i].path, p) == 0)
					break;
			if (i == l.nfiles)
				st = add_file(&l, p, false);
		}
		free(copy);
	} else if (home && *home) {
		struct kup_buf b = KUP_BUF_INIT;
		kup_buf_addf(&b, "%s/.kube/config", home);
		if (b.oom)
			st = KUP_NOMEM;
		else
			st = add_file(&l, b.buf, false);
		kup_buf_release(&b);
	}
	if (st != KUP_OK)
		goto out;
	if (l.nfiles == 0) {
		if (!opts->no_in_cluster && getenv("KUBERNETES_SERVICE_HOST") &&
		    *getenv("KUBERNETES_SERVICE_HOST")) {
			st = in_cluster(opts, out, err);
			goto out;
		}
		st = kup_error_set(err, KUP_NOTFOUND, NULL, 0, 0,
				   "no kubeconfig: name one with --kubeconfig or KUBECONFIG, or create "
				   "~/.kube/config (inside a pod, KUBERNETES_SERVICE_HOST is used)");
		goto out;
	}
	st = resolve(&l, opts, out, err);
out:
	if (st == KUP_NOMEM && !err->msg)
		kup_error_set(err, st, NULL, 0, 0, "out of memory");
	loader_release(&l);
	return st;
}
