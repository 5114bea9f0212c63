/*
 * report_int.h - internals shared by the renderers of src/lib/report/.
 *
 * Each format family has one file; report.c dispatches and holds the
 * helpers the renderers share.  The escapers and the JSON/YAML emitter are
 * in core (kupgrade/emit.h), so json, yaml and sarif never disagree on
 * escaping with each other or with any other verb's output.
 */
#ifndef KUP_REPORT_INT_H
#define KUP_REPORT_INT_H

#include "kupgrade/report.h"

/* ---- shared helpers ------------------------------------------------------ */

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
/* Between two findings or items of json, yaml and csv: hands the text to r->flush when there is enough. */
static inline void kup_report_maybe_flush(const struct kup_report *r, struct kup_buf *out)
{
	if (r->flush && out->len >= KUP_REPORT_FLUSH_AT && !out->oom)
		r->flush(r->flush_ctx, out);
}
void kup_render_markdown(const struct kup_report *r, struct kup_buf *out);
enum kup_status kup_render_sarif(const struct kup_report *r, struct kup_buf *out);
void kup_render_junit(const struct kup_report *r, struct kup_buf *out);
void kup_render_html(const struct kup_report *r, struct kup_buf *out);

/* The items' sections alone (kup_report_render_items); t is scratch. */
void kup_render_table_items(const struct kup_report *r, struct kup_buf *out);
void kup_render_markdown_items(const struct kup_report *r, struct kup_buf *out, struct kup_buf *t);
void kup_render_html_items(const struct kup_report *r, struct kup_buf *out, struct kup_buf *t);

#endif
