/*
 * report_int.h - internals shared by the renderers of src/lib/report/.
 *
 * Each format family has one file; report.c dispatches and holds the
 * escaping helpers.  emit.c is a small streaming writer that produces the
 * same document either as pretty JSON or as block-style YAML, so json,
 * yaml and sarif never disagree on escaping.
 */
#ifndef KUP_REPORT_INT_H
#define KUP_REPORT_INT_H

#include "kupgrade/report.h"

/* ---- the JSON/YAML emitter ---------------------------------------------- */

enum kup_emit_mode { KUP_EMIT_JSON, KUP_EMIT_YAML };

#define KUP_EMIT_MAX_DEPTH 24

struct kup_emit_frame {
	bool seq;          /* sequence (array) or mapping (object) */
	unsigned char open;/* how the opener was written (YAML) */
	size_t n;          /* entries written so far */
	unsigned indent;   /* column of this container's entries (YAML) */
};

/*
 * Writes one document into `out`.  Calls nest like the document: begin a
 * map, then key/value pairs (kup_emit_key followed by one value or one
 * container), end it.  Inside a sequence, values come without keys.  JSON
 * is indented by two spaces; YAML is block style with every string double
 * quoted (JSON escapes are valid YAML).  kup_emit_finish() adds the final
 * newline.  Nesting deeper than KUP_EMIT_MAX_DEPTH sets `failed`.
 */
struct kup_emit {
	struct kup_buf *out;
	enum kup_emit_mode mode;
	int depth;
	bool failed;
	struct kup_emit_frame st[KUP_EMIT_MAX_DEPTH];
};

void kup_emit_init(struct kup_emit *e, struct kup_buf *out, enum kup_emit_mode mode);
void kup_emit_begin_map(struct kup_emit *e);
void kup_emit_begin_seq(struct kup_emit *e);
void kup_emit_end(struct kup_emit *e);
void kup_emit_finish(struct kup_emit *e);
void kup_emit_key(struct kup_emit *e, const char *key);
/* A string; NULL is written as null. */
void kup_emit_str(struct kup_emit *e, const char *s);
void kup_emit_int(struct kup_emit *e, int64_t v);
void kup_emit_bool(struct kup_emit *e, bool v);
void kup_emit_null(struct kup_emit *e);

/* key + value shorthands */
void kup_emit_kstr(struct kup_emit *e, const char *key, const char *s);
void kup_emit_kint(struct kup_emit *e, const char *key, int64_t v);
/* v, or null when v is 0 (lines and columns) */
void kup_emit_kpos(struct kup_emit *e, const char *key, uint32_t v);

/* ---- shared helpers ------------------------------------------------------ */

/*
 * Decodes one UTF-8 sequence at s[0..n).  Returns its length (1..4) and
 * stores the code point, or returns 0 for an invalid or truncated sequence
 * (overlong forms and surrogates are invalid).
 */
size_t kup_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * Appends s for a terminal or a plain-text cell: valid UTF-8 and printable
 * characters pass through, control characters become \n, \t, \r or \xHH,
 * invalid bytes become \xHH.  NULL appends nothing.
 */
void kup_text_sanitize(struct kup_buf *out, const char *s);

/* The SOURCE cell of table and markdown: "deploy.yaml:12", "helm:web@3:12 (secret.yaml)". */
void kup_source_label(struct kup_buf *out, const struct kup_source *src);

/* "path:line:column" with the unknown parts left out ("<input>" without a path). */
void kup_position_label(struct kup_buf *out, const char *path, uint32_t line, uint32_t column);

/* "3 removed, 2 deprecated in 5 objects from 4 files; target 1.32" */
void kup_summary_line(struct kup_buf *out, const struct kup_report *r);

/* Findings whose status is at no fail level (neither removed nor deprecated). */
size_t kup_report_count_other(const struct kup_report *r);

/* "Kind namespace/name" or "Kind name" ("(unnamed)" for no name). */
void kup_object_label(struct kup_buf *out, const struct kup_finding *f);

/* The finding's message, or "Ingress shop/web uses extensions/v1beta1: removed (deprecated in 1.14, removed in 1.22); use ..." */
void kup_finding_message(struct kup_buf *out, const struct kup_finding *f);

/* Whether s starts with http:// or https:// (NULL: false). */
bool kup_is_http_url(const char *s);

/* Items of family fam at severity l. */
size_t kup_report_count_items(const struct kup_report *r, enum kup_item_family fam,
			      enum kup_fail_level l);

/* Whether fam's section is rendered: its pass ran (r->passes) or it has items. */
bool kup_report_shows(const struct kup_report *r, enum kup_item_family fam);

/* Section titles of the human formats: "Pre-flight checks". */
const char *kup_item_family_title(enum kup_item_family f);

/* "Kind namespace/name", "Kind name", "Kind" or "" (items). */
void kup_item_object_label(struct kup_buf *out, const struct kup_report_item *it);

/* ---- renderers ----------------------------------------------------------- */

void kup_render_table(const struct kup_report *r, struct kup_buf *out);
void kup_render_json(const struct kup_report *r, struct kup_buf *out, enum kup_emit_mode mode);
void kup_render_csv(const struct kup_report *r, struct kup_buf *out);
void kup_render_markdown(const struct kup_report *r, struct kup_buf *out);
enum kup_status kup_render_sarif(const struct kup_report *r, struct kup_buf *out);
void kup_render_junit(const struct kup_report *r, struct kup_buf *out);
void kup_render_html(const struct kup_report *r, struct kup_buf *out);

#endif
