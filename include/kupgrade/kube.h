/*
 * kube.h - talking to a live Kubernetes API server: kubeconfig, an HTTPS
 * client, discovery and paginated lists.
 *
 * The pieces, in the order a caller uses them:
 *
 *   struct kup_kubeconfig *cfg;   kup_kubeconfig_load()   which server, which credentials
 *   struct kup_kube *k;           kup_kube_new()          one libcurl handle, reused
 *   struct kup_kube_discovery *d; kup_kube_discover()     /version, /api, /apis, resources
 *   kup_kube_list() / kup_kube_list_items()              paginated lists, page by page
 *   kup_kube_request()                                   any other call (PATCH, POST ...)
 *
 * Secrets (tokens, passwords, private keys, certificates) are held in memory
 * only, never written to an error message or a log line.  The log callback
 * receives "METHOD URL STATUS DURATION" and nothing else.
 *
 * Every call returns an `enum kup_status` and fills a `struct kup_error`
 * whose message is meant for a human as is:
 *   certificate verify failed for https://10.0.0.1:6443: check certificate-authority ...
 *   unauthorized (401) from https://...: the credentials of user 'admin' were refused ...
 *   forbidden: cannot list resource "secrets" in API group "" at the cluster scope ...
 *   cannot connect to https://127.0.0.1:6443: connection refused (is the API server running?)
 * and the failure class is in kup_kube_last_fail() / resp->fail, so a
 * caller can tell them apart without reading the text.
 */
#ifndef KUPGRADE_KUBE_H
#define KUPGRADE_KUBE_H

#include <time.h>
#include "kupgrade/core.h"
#include "kupgrade/node.h"

/* ---- kubeconfig ------------------------------------------------------- */

/*
 * Where to find the configuration, as kubectl's flags say it.  Every field
 * may be NULL.
 *
 * Files: `kubeconfig` (--kubeconfig; must exist), else $KUBECONFIG (a
 * ':'-separated list; missing files are skipped), else ~/.kube/config,
 * else the in-cluster configuration (service-account token, ca.crt and
 * namespace under `in_cluster_dir`, server from KUBERNETES_SERVICE_HOST
 * and KUBERNETES_SERVICE_PORT).
 *
 * Merging (kubectl's rules): for clusters, contexts and users the first
 * file that defines a name wins; current-context comes from the first file
 * that sets it.  Relative paths in a file resolve against that file's
 * directory.
 */
struct kup_kubeconfig_opts {
	const char *kubeconfig;     /* --kubeconfig FILE */
	const char *context;        /* --context NAME (default: current-context) */
	const char *namespace_;     /* -n NAME (default: the context's, else "default") */
	const char *env_kubeconfig; /* tests: used instead of $KUBECONFIG when set */
	const char *home;           /* tests: used instead of $HOME when set */
	const char *in_cluster_dir; /* default /var/run/secrets/kubernetes.io/serviceaccount */
	bool no_in_cluster;         /* never fall back to the in-cluster configuration */
	bool no_file_refs;          /* fuzzing: files a kubeconfig names are not read (an error) */
};
void kup_kubeconfig_opts_init(struct kup_kubeconfig_opts *o);

/* interactiveMode of an exec plugin. */
enum kup_exec_interactive {
	KUP_EXEC_INTERACTIVE_IF_AVAILABLE = 0,  /* default for v1beta1 */
	KUP_EXEC_INTERACTIVE_NEVER,
	KUP_EXEC_INTERACTIVE_ALWAYS,
};

/* users[].user.exec: a client-go credential plugin. */
struct kup_exec_config {
	char *api_version;          /* client.authentication.k8s.io/v1 or /v1beta1 */
	char *command;              /* resolved against the kubeconfig's directory when it has a '/' */
	char **args;
	size_t nargs;
	char **env;                 /* "NAME=value" */
	size_t nenv;
	char *install_hint;         /* shown when the command cannot be run, or NULL */
	bool provide_cluster_info;  /* KUBERNETES_EXEC_INFO carries spec.cluster */
	enum kup_exec_interactive interactive;
};

/*
 * The resolved configuration: one context, its cluster and its user.
 * Everything is owned by the struct.  Byte blobs (PEM) are NUL-terminated.
 */
struct kup_kubeconfig {
	char *source;               /* the file the context came from, or "in-cluster" */
	char *context;              /* the context's name ("" in-cluster) */
	char *cluster_name;
	char *user_name;
	char *namespace_;           /* never NULL: -n, the context's, or "default" */
	/* cluster */
	char *server;               /* https://host:port[/prefix], no trailing '/' */
	char *tls_server_name;      /* or NULL */
	char *proxy_url;            /* or NULL */
	bool insecure;              /* insecure-skip-tls-verify: true (callers warn) */
	char *ca_data;              /* PEM, or NULL (system CAs) */
	size_t ca_len;
	/* user */
	char *cert_data;            /* client certificate PEM, or NULL */
	size_t cert_len;
	char *key_data;             /* client key PEM, or NULL */
	size_t key_len;
	char *token;                /* bearer token (token, or read from tokenFile), or NULL */
	char *token_file;           /* tokenFile, re-read when the token is refused; or NULL */
	char *username;             /* basic auth, or NULL */
	char *password;
	struct kup_exec_config *exec;   /* or NULL */
};

/*
 * Reads and merges the kubeconfig files and resolves one context.  Errors
 * name the file, line and column ("cannot read kubeconfig 'a.yaml': line 3,
 * column 5: ...") or what is missing ("context 'prod' not found in
 * $HOME/.kube/config"); a user with an auth-provider is refused with what
 * to use instead (an exec plugin such as gke-gcloud-auth-plugin or
 * kubelogin).
 */
enum kup_status kup_kubeconfig_load(const struct kup_kubeconfig_opts *opts,
				    struct kup_kubeconfig **out, struct kup_error *err);
/* Same, from text already in memory (fuzzing, tests); `name` names it in errors. */
enum kup_status kup_kubeconfig_load_mem(const char *name, const char *text, size_t len,
					const struct kup_kubeconfig_opts *opts,
					struct kup_kubeconfig **out, struct kup_error *err);
void kup_kubeconfig_free(struct kup_kubeconfig *cfg);

/* ---- the client ------------------------------------------------------- */

/* Why a request failed, for callers that act on it (exit codes, retries). */
enum kup_kube_fail {
	KUP_KUBE_OK = 0,
	KUP_KUBE_CONNECT,       /* refused, unreachable, DNS: the server is not there */
	KUP_KUBE_TLS,           /* certificate verification or handshake failed */
	KUP_KUBE_TIMEOUT,
	KUP_KUBE_UNAUTHORIZED,  /* 401 */
	KUP_KUBE_FORBIDDEN,     /* 403 */
	KUP_KUBE_NOT_FOUND,     /* 404 */
	KUP_KUBE_CONFLICT,      /* 409 */
	KUP_KUBE_GONE,          /* 410 (an expired continue token) */
	KUP_KUBE_TOO_MANY,      /* 429 after the retries (or at once for writes) */
	KUP_KUBE_SERVER,        /* 5xx after the retries */
	KUP_KUBE_HTTP,          /* any other non-2xx status */
	KUP_KUBE_CREDENTIALS,   /* the exec plugin or a credential file failed */
	KUP_KUBE_PROTOCOL,      /* a response that is not what the API promises */
	KUP_KUBE_TOO_BIG,       /* a response body over the cap */
};
/* "connect", "tls", "timeout", "unauthorized", "forbidden", ... */
const char *kup_kube_fail_name(enum kup_kube_fail f);

struct kup_kube_resp;
struct kup_kube_opts {
	long connect_timeout_ms;   /* default 10000 */
	long timeout_ms;           /* whole request, default 120000 */
	int retries;               /* reads: extra attempts on 429/5xx/connection errors (default 4) */
	long backoff_ms;           /* first wait, doubled each time, capped at 10 s (default 250) */
	long max_retry_after_ms;   /* cap on a server's Retry-After (default 30000) */
	size_t max_body;           /* cap on one response body (default 512 MiB) */
	/*
	 * Ask for gzip responses: 1 always, 0 never, -1 (default) unless the
	 * server is a loopback address (where compressing costs more than it saves).
	 */
	int compress;
	/* -v: one line per request ("GET https://h/api 200 12ms"); may be NULL. */
	void (*log)(void *ctx, const char *line);
	/* warnings (insecure-skip-tls-verify, the server's Warning headers); may be NULL. */
	void (*warn)(void *ctx, const char *line);
	void *log_ctx;
	/* tests: the clock used to check exec credential expiry (NULL: time()). */
	time_t (*now)(void);
	/*
	 * Tests and fuzzing: answers every request instead of the network -
	 * sets resp->status (0: the server cannot be reached), resp->body and
	 * resp->retry_after_ms; a non-OK return fails the call.  NULL: libcurl.
	 */
	enum kup_status (*transport)(void *ctx, const char *method, const char *url,
				     const char *body, size_t len, struct kup_kube_resp *resp);
	void *transport_ctx;
};
void kup_kube_opts_init(struct kup_kube_opts *o);

struct kup_kube;

/* A client for cfg (cfg must outlive it).  Does not connect yet. */
enum kup_status kup_kube_new(const struct kup_kubeconfig *cfg, const struct kup_kube_opts *opts,
			     struct kup_kube **out, struct kup_error *err);
void kup_kube_free(struct kup_kube *k);
/* The failure class of the last failed call (KUP_KUBE_OK after a success). */
enum kup_kube_fail kup_kube_last_fail(const struct kup_kube *k);
/* How often the exec plugin ran (tests: the credential is cached until it expires). */
unsigned kup_kube_exec_runs(const struct kup_kube *k);
/* How many connections were opened so far (1 while the first one is reused). */
unsigned kup_kube_connections(const struct kup_kube *k);
/* The server URL ("https://127.0.0.1:6443"), a userinfo password masked (for messages and labels). */
const char *kup_kube_server(const struct kup_kube *k);

struct kup_kube_resp {
	long status;               /* HTTP status, 0 when no response */
	enum kup_kube_fail fail;
	struct kup_buf body;       /* the body (a Status object on most errors) */
	long retry_after_ms;       /* the server's Retry-After, -1 when none */
};
void kup_kube_resp_init(struct kup_kube_resp *r);
void kup_kube_resp_release(struct kup_kube_resp *r);

/*
 * One request.  `path` starts with '/' and may carry a query
 * ("/api/v1/pods?limit=500"); `body` (len bytes, may be NULL) is sent with
 * `content_type` (e.g. "application/merge-patch+json").  GET requests are
 * retried with backoff on 429, 5xx and connection errors, honouring
 * Retry-After; other methods are sent once.  Returns KUP_OK for a 2xx
 * answer; otherwise KUP_IO with resp->status, resp->fail, resp->body and a
 * message in err.  The previous body in resp is discarded.
 */
enum kup_status kup_kube_request(struct kup_kube *k, const char *method, const char *path,
				 const char *content_type, const char *body, size_t len,
				 struct kup_kube_resp *resp, struct kup_error *err);
/* kup_kube_request(k, "GET", path, NULL, NULL, 0, resp, err). */
enum kup_status kup_kube_get(struct kup_kube *k, const char *path, struct kup_kube_resp *resp,
			     struct kup_error *err);

/*
 * Parses a Retry-After value: delta seconds ("3") or an HTTP date ("Wed, 21
 * Oct 2015 07:28:00 GMT", relative to now).  False when malformed.
 */
bool kup_kube_parse_retry_after(const char *value, time_t now, long *ms);

/* ---- discovery -------------------------------------------------------- */

struct kup_kube_resource {
	const char *group;          /* "" for the core group */
	const char *version;        /* "v1" */
	const char *group_version;  /* "v1", "apps/v1" */
	const char *name;           /* plural: "deployments" */
	const char *kind;           /* "Deployment" */
	bool namespaced;
	bool listable;              /* verbs contain "list" */
	const char *verbs;          /* "create,delete,get,list,..." as discovery lists them, or "" */
	bool preferred;             /* chosen for lists: see kup_kube_discover() */
};

struct kup_kube_group_version {
	const char *group;
	const char *group_version;
	bool preferred;             /* the group's preferredVersion */
	const char *error;          /* this version's resource list could not be read, or NULL */
};

struct kup_kube_discovery {
	char *version_json;         /* the /version body, compact JSON */
	const char *git_version;    /* "v1.20.2" */
	struct kup_kube_group_version *gvs;
	size_t ngvs;
	struct kup_kube_resource *res;
	size_t nres;
	struct kup_arena arena;     /* holds the strings */
};

/*
 * Reads /version, /api, /apis and every group version's resource list
 * (subresources such as pods/status are skipped).  A group version whose
 * list fails (an unavailable aggregated API) is recorded in gvs[].error
 * and the rest goes on.
 *
 * `preferred` marks what a whole-cluster list reads, as client-go's
 * ServerPreferredResources does: per group, the preferred version, then the
 * group's other versions for resources the preferred one lacks (batch/v1beta1
 * cronjobs on 1.20).  Resources the legacy `extensions` group serves and
 * another group also serves (ingresses, deployments ...) are not preferred
 * in `extensions`, so no object is listed twice.
 */
enum kup_status kup_kube_discover(struct kup_kube *k, struct kup_kube_discovery **out,
				  struct kup_error *err);
void kup_kube_discovery_free(struct kup_kube_discovery *d);
/* The resource `name` ("pods", "evictions" is a subresource: not here) in group_version, or NULL. */
const struct kup_kube_resource *kup_kube_discovery_find(const struct kup_kube_discovery *d,
							const char *group_version,
							const char *name);
/* True when group_version ("policy/v1") is served. */
bool kup_kube_discovery_serves(const struct kup_kube_discovery *d, const char *group_version);
/*
 * Appends the discovery as one compact JSON object (what a snapshot keeps):
 *   {"serverVersion": <the /version body>,
 *    "groupVersions": [{"groupVersion": "apps/v1", "preferred": true,
 *                       "resources": [{"name": "deployments", "kind": "Deployment",
 *                                      "namespaced": true, "verbs": ["list"]}]}, ...]}
 */
void kup_kube_discovery_to_json(const struct kup_kube_discovery *d, struct kup_buf *out);

/* ---- lists ------------------------------------------------------------ */

struct kup_kube_list_opts {
	const char *namespace_;       /* NULL: every namespace (or a cluster-scoped resource) */
	const char *field_selector;   /* e.g. "type=helm.sh/release.v1", or NULL */
	const char *label_selector;
	unsigned limit;               /* page size (default 500) */
	int max_restarts;             /* on 410 Gone (default 3) */
	/*
	 * A page larger than this (default 8 MiB) makes the next pages smaller
	 * (limit scaled down, at least 1), so big objects (1 MiB ConfigMaps,
	 * Helm releases) do not make a page of 500 hundreds of MiB.
	 */
	size_t page_bytes;
};
void kup_kube_list_opts_init(struct kup_kube_list_opts *o);

/*
 * One page of a list, rewritten as a kubectl List whose items carry
 * apiVersion and kind (the API server leaves them out of list items):
 *   {"apiVersion":"v1","kind":"List","items":[{"apiVersion":"apps/v1","kind":"Deployment",...},...]}
 * `items` points into `text` at the first item (the items separated by
 * ",\n", without the brackets; items_len 0 when the page is empty).  Valid only
 * during the callback.
 */
struct kup_kube_page {
	const struct kup_kube_resource *res;
	const char *path;             /* the list path without the query: "/apis/apps/v1/deployments" */
	const char *text;
	size_t len;
	const char *items;
	size_t items_len;
	size_t nitems;
	size_t index;                 /* 0-based page number */
};
typedef enum kup_status (*kup_kube_page_fn)(void *ctx, const struct kup_kube_page *page);

/*
 * Lists `res` page by page (limit/continue).  When a continue token expires
 * (410 Gone) the list starts again and skips the items already delivered
 * (lists come in key order: namespace/name), at most max_restarts times.
 * Only one page is held in memory.  A callback status other than KUP_OK
 * stops the list and is returned.
 */
enum kup_status kup_kube_list(struct kup_kube *k, const struct kup_kube_resource *res,
			      const struct kup_kube_list_opts *opts, kup_kube_page_fn fn, void *ctx,
			      struct kup_error *err);

/*
 * Same, with each item parsed (nodes valid during the call; doc->path is the
 * list path).  For callers that look at objects (drain, pre-flight checks).
 */
enum kup_status kup_kube_list_items(struct kup_kube *k, const struct kup_kube_resource *res,
				    const struct kup_kube_list_opts *opts, kup_doc_fn fn, void *ctx,
				    struct kup_error *err);

/*
 * A resource by coordinates, for callers without discovery at hand:
 * fills *res (strings borrowed from the arguments; res->group is "" for the
 * core group and NULL otherwise, since only group_version is needed).
 */
void kup_kube_resource_set(struct kup_kube_resource *res, const char *group_version,
			   const char *name, const char *kind, bool namespaced);

/*
 * The path of a resource collection or object: "/api/v1/namespaces/ns/pods",
 * "/apis/apps/v1/deployments", with "/NAME" and "/SUBRESOURCE" when given
 * (namespace_, name and sub may be NULL).  Names are percent-encoded.
 */
void kup_kube_path(struct kup_buf *out, const struct kup_kube_resource *res,
		   const char *namespace_, const char *name, const char *sub);

#endif
