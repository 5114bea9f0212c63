/*
 * html.c - one self-contained HTML page: a summary, the API findings as a
 * table with the columns of the table format, one table per family of
 * items (pre-flight checks), and the input errors.  No script and no
 * external resource; every text goes through kup_xml_escape(), so no input
 * can open an element.  Each finding is one <tr> whose class names what it
 * is ("finding removed", "item preflight blocking"), for tests and styles.
 */
#include <string.h>

#include "report/report_int.h"

static const char style[] =
	"body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
	"table{border-collapse:collapse;margin:1em 0}"
	"th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
	"th{background:#f3f3f3}"
	".removed td:first-child,.blocking td:first-child{color:#b00020;font-weight:bold}"
	".deprecated td:first-child,.warning td:first-child{color:#8a5a00;font-weight:bold}"
	".detail{color:#555;font-size:.9em}";

static void esc(struct kup_buf *out, const char *s)
{
	kup_xml_escape(out, s && *s ? s : "-");
}

/*
 * Escaped text where a `code span` (as messages and remedies write
 * commands) becomes <code>; a lone backtick stays a backtick.
 */
static void esc_code(struct kup_buf *out, const char *s)
{
	struct kup_buf part = KUP_BUF_INIT;
	const char *open, *close;

	if (!s || !*s || !strchr(s, '`')) {
		esc(out, s);
		return;
	}
	kup_buf_init(&part);
	while (*s) {
		open = strchr(s, '`');
		close = open ? strchr(open + 1, '`') : NULL;
		if (!close) {
			kup_xml_escape(out, s);
			break;
		}
		kup_buf_reset(&part);
		kup_buf_add(&part, s, (size_t)(open - s));
		kup_xml_escape(out, part.buf);
		kup_buf_reset(&part);
		kup_buf_add(&part, open + 1, (size_t)(close - open - 1));
		kup_buf_adds(out, "<code>");
		kup_xml_escape(out, part.buf);
		kup_buf_adds(out, "</code>");
		s = close + 1;
	}
	if (part.oom)
		out->oom = true;
	kup_buf_release(&part);
}

static void cell(struct kup_buf *out, const char *s)
{
	kup_buf_adds(out, "<td>");
	esc(out, s);
	kup_buf_adds(out, "</td>");
}

static const char *level_class(enum kup_fail_level l)
{
	switch (l) {
	case KUP_FAIL_REMOVED: return "removed";
	case KUP_FAIL_DEPRECATED: return "deprecated";
	default: return "other";
	}
}

static void render_findings(const struct kup_report *r, struct kup_buf *out, struct kup_buf *t)
{
	size_t i;

	kup_buf_adds(out, "<h2>API lifecycle</h2>\n");
	if (r->nfindings == 0) {
		kup_buf_adds(out, "<p>No deprecated or removed APIs found.</p>\n");
		return;
	}
	kup_buf_reset(t);
	kup_summary_line(t, r);
	kup_buf_adds(out, "<p>");
	esc(out, t->buf);
	kup_buf_adds(out, ".</p>\n<table>\n<tr><th>Status</th><th>Kind</th><th>Namespace</th>"
			  "<th>Name</th><th>API version</th><th>Replacement</th><th>Removed in</th>"
			  "<th>Source</th><th>Message</th></tr>\n");
	for (i = 0; i < r->nfindings; i++) {
		const struct kup_finding *f = r->findings[i];

		kup_buf_addf(out, "<tr class=\"finding %s\">",
			     level_class(kup_finding_severity(f->status)));
		cell(out, kup_finding_label(f));
		cell(out, f->kind);
		cell(out, f->namespace_);
		cell(out, f->name);
		cell(out, f->api_version);
		kup_buf_reset(t);
		if (f->replacement) {
			kup_buf_adds(t, f->replacement);
			if (f->replacement_kind) {
				kup_buf_addc(t, ' ');
				kup_buf_adds(t, f->replacement_kind);
			}
		}
		cell(out, t->buf);
		cell(out, f->removed_in);
		kup_buf_reset(t);
		kup_source_label(t, &f->src);
		cell(out, t->buf);
		kup_buf_reset(t);
		kup_finding_message(t, f);
		kup_buf_adds(out, "<td>");
		esc(out, t->buf);
		if (kup_is_http_url(f->source_url)) {
			kup_buf_adds(out, " <a href=\"");
			kup_xml_escape(out, f->source_url);
			kup_buf_adds(out, "\">source</a>");
		}
		kup_buf_adds(out, "</td></tr>\n");
	}
	kup_buf_adds(out, "</table>\n");
}

void kup_render_html_items(const struct kup_report *r, struct kup_buf *out, struct kup_buf *t)
{
	size_t i, n;
	int fam;

	for (fam = 0; fam < KUP_ITEM_NFAMILIES; fam++) {
		enum kup_item_family f = (enum kup_item_family)fam;

		if (!kup_report_shows(r, f))
			continue;
		kup_buf_adds(out, "<h2>");
		esc(out, kup_item_family_title(f));
		kup_buf_adds(out, "</h2>\n");
		for (i = 0, n = 0; i < r->nitems; i++)
			n += r->items[i].family == f;
		if (n == 0) {
			kup_buf_adds(out, "<p>Nothing found.</p>\n");
			continue;
		}
		kup_buf_addf(out, "<p>%zu blocking, %zu warning%s.</p>\n",
			     kup_report_count_items(r, f, KUP_FAIL_REMOVED),
			     kup_report_count_items(r, f, KUP_FAIL_DEPRECATED),
			     kup_report_count_items(r, f, KUP_FAIL_DEPRECATED) == 1 ? "" : "s");
		kup_buf_adds(out, "<table>\n<tr><th>Severity</th><th>Check</th><th>Kind</th>"
				  "<th>Namespace</th><th>Name</th><th>Message</th><th>Source</th></tr>\n");
		for (i = 0; i < r->nitems; i++) {
			const struct kup_report_item *it = &r->items[i];

			if (it->family != f)
				continue;
			kup_buf_adds(out, "<tr class=\"item ");
			kup_buf_adds(out, kup_item_family_name(f));
			kup_buf_addc(out, ' ');
			kup_buf_adds(out, kup_item_severity_name(it->severity));
			kup_buf_adds(out, "\">");
			cell(out, kup_item_severity_name(it->severity));
			cell(out, it->rule_id);
			cell(out, it->kind);
			cell(out, it->namespace_);
			cell(out, it->name);
			kup_buf_adds(out, "<td>");
			esc_code(out, it->message);
			if (it->detail) {
				kup_buf_adds(out, "<div class=\"detail\">");
				esc_code(out, it->detail);
				kup_buf_adds(out, "</div>");
			}
			if (it->remedy) {
				kup_buf_adds(out, "<div class=\"detail\">");
				esc_code(out, it->remedy);
				kup_buf_adds(out, "</div>");
			}
			if (kup_is_http_url(it->source_url)) {
				kup_buf_adds(out, " <a href=\"");
				kup_xml_escape(out, it->source_url);
				kup_buf_adds(out, "\">source</a>");
			}
			kup_buf_adds(out, "</td>");
			kup_buf_reset(t);
			if (it->src.path)
				kup_source_label(t, &it->src);
			cell(out, t->buf);
			kup_buf_adds(out, "</tr>\n");
		}
		kup_buf_adds(out, "</table>\n");
	}
}

void kup_render_html(const struct kup_report *r, struct kup_buf *out)
{
	struct kup_buf t = KUP_BUF_INIT;
	size_t i;

	kup_buf_init(&t);
	kup_buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			  "<title>");
	esc(out, r->title ? r->title : "kupgrade report");
	if (r->target_version) {
		kup_buf_adds(out, " for ");
		esc(out, r->target_version);
	}
	kup_buf_addf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", style);
	esc(out, r->title ? r->title : "kupgrade report");
	if (r->target_version) {
		kup_buf_adds(out, " for ");
		esc(out, r->target_version);
	}
	kup_buf_adds(out, "</h1>\n");
	kup_buf_addf(out, "<p>%zu object%s from %zu file%s", r->summary.objects,
		     r->summary.objects == 1 ? "" : "s", r->summary.files,
		     r->summary.files == 1 ? "" : "s");
	if (r->tool_version) {
		kup_buf_adds(out, "; kupgrade ");
		esc(out, r->tool_version);
	}
	kup_buf_adds(out, ".</p>\n");
	if (!r->items_only || r->nfindings)
		render_findings(r, out, &t);
	kup_render_html_items(r, out, &t);
	if (r->nerrors) {
		kup_buf_adds(out, "<h2>Errors</h2>\n<ul>\n");
		for (i = 0; i < r->nerrors; i++) {
			const struct kup_error *err = &r->errors[i];

			kup_buf_reset(&t);
			kup_position_label(&t, err->path, err->line, err->column);
			kup_buf_adds(&t, ": ");
			kup_buf_adds(&t, err->msg ? err->msg : kup_strerror(err->code));
			if (err->object) {
				kup_buf_adds(&t, " (");
				kup_buf_adds(&t, err->object);
				kup_buf_addc(&t, ')');
			}
			kup_buf_adds(out, "<li class=\"error\">");
			esc(out, t.buf);
			kup_buf_adds(out, "</li>\n");
		}
		kup_buf_adds(out, "</ul>\n");
	}
	kup_buf_adds(out, "</body>\n</html>\n");
	if (t.oom)
		out->oom = true;
	kup_buf_release(&t);
}
