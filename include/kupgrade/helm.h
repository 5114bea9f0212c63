/*
 * helm.h - Helm v3 release records and un-rendered chart templates.
 *
 * Release records: Helm stores a release as base64(gzip(JSON)) in a Secret
 * (type helm.sh/release.v1, name sh.helm.release.v1.NAME.vREV) or a
 * ConfigMap (label owner=helm).  A Secret read through kubectl carries one
 * more base64 layer.  kup_helm_decode() takes the string as found in
 * `data.release` and peels as many base64 layers as there are, then gunzips
 * (bounded), then reads the release JSON.
 */
#ifndef KUPGRADE_HELM_H
#define KUPGRADE_HELM_H

#include "kupgrade/core.h"

struct kup_helm_hook {
	char *name;
	char *path;
	char *manifest;
	size_t manifest_len;
};

struct kup_helm_release {
	char *name;
	char *namespace_;
	char *status;              /* info.status: deployed, superseded, failed, ... */
	int64_t version;           /* the revision */
	char *chart_name;
	char *chart_version;
	char *manifest;            /* rendered YAML; "" when none */
	size_t manifest_len;
	struct kup_helm_hook *hooks;
	size_t nhooks;
};

void kup_helm_release_init(struct kup_helm_release *r);
void kup_helm_release_release(struct kup_helm_release *r);

/*
 * Decodes data.release.  `max_out` caps the decompressed size (a gzip bomb
 * is KUP_TOOBIG).  Errors (bad base64, truncated gzip, bad JSON, Helm v2
 * protobuf records) are KUP_ENCODING/KUP_PARSE with a message in err.
 */
enum kup_status kup_helm_decode(const char *data, size_t len, size_t max_out,
				struct kup_helm_release *out, struct kup_error *err);

/*
 * The first half of kup_helm_decode(): peels the base64 layers of data.release
 * and gunzips, appending the release JSON text to `json`; *nlayers (when not
 * NULL) gets the number of base64 layers found, so an encoder can put back as
 * many.
 */
enum kup_status kup_helm_unwrap(const char *data, size_t len, size_t max_out,
				struct kup_buf *json, unsigned *nlayers, struct kup_error *err);

struct kup_node;
/*
 * True when an object is a Helm v3 release record: a v1 Secret of type
 * helm.sh/release.v1, or a v1 ConfigMap labelled owner=helm.
 */
bool kup_helm_is_record(const struct kup_node *root);

/*
 * Encodes a release JSON as Helm's storage driver does and appends it to
 * out: base64(gzip(json)) (gzip at BestCompression with Go's header), and
 * when secret_layer, base64 once more (a Secret's data as the API shows
 * it).  False when memory ran out.  (src/lib/fix/helm_fix.c)
 */
bool kup_helm_encode_release(const char *json, size_t len, bool secret_layer,
			     struct kup_buf *out);

/* ---- chart templates ----------------------------------------------------- */

/*
 * One `---`-separated section of a template that names an apiVersion or a
 * kind.  Values are literal text; when the value contains a template action
 * ({{ ... }}), the *_templated flag is set and the text is the raw value.
 */
struct kup_template_item {
	struct kup_str api_version;
	struct kup_str kind;
	struct kup_str name;           /* metadata.name when literal, else empty */
	bool api_templated;
	bool kind_templated;
	uint32_t line;                 /* line of apiVersion (or of kind, or the section) */
	uint32_t column;
	uint32_t section_line;         /* first line of the section */
};

typedef enum kup_status (*kup_template_fn)(void *ctx, const struct kup_template_item *item);

/*
 * Scans a template tolerantly: never fails on template syntax; only
 * top-level (column 0 or the section's base indentation) `apiVersion:` and
 * `kind:` keys are taken; `{{- if }}` blocks may yield more than one item
 * per section (each apiVersion: starts a new item).
 */
enum kup_status kup_template_scan(const char *text, size_t len,
				  kup_template_fn fn, void *ctx);

#endif
