/* live_int.h - shared inside src/lib/live (not installed). */
#ifndef KUP_LIVE_INT_H
#define KUP_LIVE_INT_H

#include <time.h>
#include "kupgrade/kube.h"
#include "kupgrade/selector.h"

/* A credential from an exec plugin (ExecCredential status). */
struct kup_exec_cred {
	char *token;
	char *cert;          /* clientCertificateData (PEM) */
	size_t cert_len;
	char *key;           /* clientKeyData (PEM) */
	size_t key_len;
	bool has_expiry;
	time_t expiry;       /* expirationTimestamp */
};
void kup_exec_cred_release(struct kup_exec_cred *c);

/*
 * Runs cfg->exec's command as client-go does (environment plus env entries
 * plus KUBERNETES_EXEC_INFO; stdin per interactiveMode; stderr passed
 * through) and parses its ExecCredential from stdout.
 */
enum kup_status kup_exec_run(const struct kup_kubeconfig *cfg, struct kup_exec_cred *out,
			     struct kup_error *err);

/* Parses an ExecCredential document (exposed for tests through the plugin). */
enum kup_status kup_exec_parse(const char *api_version, const char *text, size_t len,
			       struct kup_exec_cred *out, struct kup_error *err);

/* Parses "2026-11-21T13:00:00Z" (RFC 3339, offsets and fractions too). */
bool kup_rfc3339_parse(const char *s, time_t *out);

/*
 * Rewrites one list response body as a kubectl List whose items carry
 * apiVersion and kind (see struct kup_kube_page); *cont gets the continue
 * token (malloc'd, or NULL).  Exposed for the fuzzer.
 */
enum kup_status kup_live_rewrite_page(const char *group_version, const char *kind,
				      const char *body, size_t len, struct kup_buf *out,
				      char **cont, size_t *nitems, struct kup_error *err);

/*
 * The dry run of a drain (drain.c): the pods in the order the drain would
 * evict them, against the PodDisruptionBudgets' allowed disruptions.  Each
 * pod whose every covering budget (same namespace, selector matches) still
 * has a disruption left would be evicted and takes one from each of them;
 * a pod covered by a budget with none left would wait, and `holder` names
 * the first such budget.  A budget with no status yet (the disruption
 * controller has not counted it) never holds a pod, as the API server
 * decides at eviction time.  Exposed for the unit test.
 */
struct kup_drain_budget {
	const char *ns;
	const char *name;
	int64_t allowed;              /* status.disruptionsAllowed */
	bool has_status;
	struct kup_selector sel;
	int64_t left;                 /* out: disruptions the dry run leaves */
};
struct kup_drain_candidate {
	const char *ns;
	const char *name;
	const struct kup_label *labels;
	size_t nlabels;
	bool would_wait;              /* out */
	size_t holder;                /* out: index of the budget that holds it */
};
void kup_drain_dry_plan(struct kup_drain_budget *b, size_t nb, struct kup_drain_candidate *p,
			size_t np);

/* JSON string escaping into b (quotes included). */
void kup_live_json_str(struct kup_buf *b, const char *s);

#endif
