/*
 * markdown.c - a heading, a summary line and a GitHub table with the
 * columns of the table format; a section per family of items (pre-flight
 * checks) with its own table; errors as a list below.  Cell text is
 * escaped so that no input can end a cell, start a new row or inject HTML.
 */
#include "report/report_int.h"

static const char header[] =
	"| Status | Kind | Namespace | Name | API version | Replacement | Removed in | Source |\n"
	"|---|---|---|---|---|---|---|---|\n";

/* Sanitised text with the characters that Markdown would act on escaped; "-" for none. */
static void md_text(struct kup_buf *out, const char *s)
{
	kup_md_escape(out, s, "-");
}

static void md_cell(struct kup_buf *out, const char *s)
{
	kup_buf_addc(out, ' ');
	md_text(out, s);
	kup_buf_adds(out, " |");
}

static const char item_header[] =
	"| Severity | Check | Kind | Namespace | Name | Message | Source |\n"
	"|---|---|---|---|---|---|---|\n";

void kup_render_markdown_items(const struct kup_report *r, struct kup_buf *out, struct kup_buf *t)
{
	size_t i, n;
	int fam;

	for (fam = 0; fam < KUP_ITEM_NFAMILIES; fam++) {
		if (!kup_report_shows(r, (enum kup_item_family)fam))
			continue;
		kup_buf_adds(out, "\n## ");
		kup_buf_adds(out, kup_item_family_title((enum kup_item_family)fam));
		kup_buf_adds(out, "\n\n");
		for (i = 0, n = 0; i < r->nitems; i++)
			n += r->items[i].family == (enum kup_item_family)fam;
		if (n == 0) {
			kup_buf_adds(out, "Nothing found.\n");
			continue;
		}
		kup_buf_addf(out, "%zu blocking, %zu warning%s.\n\n",
			     kup_report_count_items(r, (enum kup_item_family)fam, KUP_FAIL_REMOVED),
			     kup_report_count_items(r, (enum kup_item_family)fam, KUP_FAIL_DEPRECATED),
			     kup_report_count_items(r, (enum kup_item_family)fam, KUP_FAIL_DEPRECATED) == 1
				     ? "" : "s");
		kup_buf_adds(out, item_header);
		for (i = 0; i < r->nitems; i++) {
			const struct kup_report_item *it = &r->items[i];

			if (it->family != (enum kup_item_family)fam)
				continue;
			kup_buf_addc(out, '|');
			md_cell(out, kup_item_severity_name(it->severity));
			md_cell(out, it->rule_id);
			md_cell(out, it->kind);
			md_cell(out, it->namespace_);
			md_cell(out, it->name);
			kup_buf_reset(t);
			kup_buf_adds(t, it->message ? it->message : "");
			if (it->detail) {
				kup_buf_adds(t, " (");
				kup_buf_adds(t, it->detail);
				kup_buf_addc(t, ')');
			}
			if (it->remedy) {
				kup_buf_adds(t, " Remedy: ");
				kup_buf_adds(t, it->remedy);
			}
			if (it->source_url) {
				kup_buf_adds(t, " See ");
				kup_buf_adds(t, it->source_url);
			}
			md_cell(out, t->buf);
			kup_buf_reset(t);
			if (it->src.path)
				kup_source_label(t, &it->src);
			md_cell(out, t->buf);
			kup_buf_addc(out, '\n');
		}
	}
}

void kup_render_markdown(const struct kup_report *r, struct kup_buf *out)
{
	struct kup_buf t = KUP_BUF_INIT;
	size_t i;

	kup_buf_init(&t);
	kup_buf_adds(out, "# ");
	md_text(out, r->title ? r->title : "Kubernetes API deprecations");
	if (r->target_version) {
		kup_buf_adds(out, " for ");
		md_text(out, r->target_version);
	}
	kup_buf_adds(out, "\n\n");

	if (r->items_only && r->nfindings == 0) {
		kup_buf_addf(out, "%zu file%s.\n", r->summary.files, r->summary.files == 1 ? "" : "s");
	} else if (r->nfindings == 0) {
		kup_buf_adds(out, "No deprecated or removed APIs found");
		if (r->target_version) {
			kup_buf_adds(out, " for target ");
			md_text(out, r->target_version);
		}
		kup_buf_adds(out, ".\n");
	} else {
		kup_summary_line(&t, r);
		md_text(out, t.buf);
		kup_buf_adds(out, ".\n\n");
		kup_buf_adds(out, header);
		for (i = 0; i < r->nfindings; i++) {
			const struct kup_finding *f = r->findings[i];

			kup_buf_addc(out, '|');
			md_cell(out, kup_finding_label(f));
			md_cell(out, f->kind);
			md_cell(out, f->namespace_);
			md_cell(out, f->name);
			md_cell(out, f->api_version);
			kup_buf_reset(&t);
			if (f->replacement) {
				kup_buf_adds(&t, f->replacement);
				if (f->replacement_kind) {
					kup_buf_addc(&t, ' ');
					kup_buf_adds(&t, f->replacement_kind);
				}
			}
			md_cell(out, t.buf);
			md_cell(out, f->removed_in);
			kup_buf_reset(&t);
			kup_source_label(&t, &f->src);
			md_cell(out, t.buf);
			kup_buf_addc(out, '\n');
		}
	}

	kup_render_markdown_items(r, out, &t);
	if (r->nerrors)
		kup_buf_adds(out, "\n## Errors\n\n");
	for (i = 0; i < r->nerrors; i++) {
		const struct kup_error *err = &r->errors[i];

		kup_buf_reset(&t);
		kup_position_label(&t, err->path, err->line, err->column);
		kup_buf_adds(out, "- ");
		md_text(out, t.buf);
		kup_buf_adds(out, ": ");
		md_text(out, err->msg ? err->msg : kup_strerror(err->code));
		if (err->object) {
			kup_buf_adds(out, " (");
			md_text(out, err->object);
			kup_buf_addc(out, ')');
		}
		kup_buf_addc(out, '\n');
	}
	if (t.oom)
		out->oom = true;
	kup_buf_release(&t);
}
