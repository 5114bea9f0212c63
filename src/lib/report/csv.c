/*
 * csv.c - RFC 4180: a header row, one row per finding, CRLF line ends,
 * fields quoted only when they contain a comma, a quote, CR or LF.
 * Errors are not rows: the CLI reports them on stderr.
 *
 * When the report has items (or a pass that produces them ran), three
 * columns follow: check, message, detail; the API findings fill them with
 * their rule id and message, and each item is a row whose status is its
 * severity (blocking, warning, info).
 */
#include <inttypes.h>

#include "report/report_int.h"

static const char header[] =
	"status,kind,api_version,name,namespace,deprecated_in,removed_in,replacement,"
	"source_type,path,line,column,release,revision,chart,manager\r\n";

static void field(struct kup_buf *out, const char *s, bool last)
{
	kup_csv_field(out, s);
	kup_buf_adds(out, last ? "\r\n" : ",");
}

static void number(struct kup_buf *out, int64_t v)
{
	if (v > 0)
		kup_buf_addf(out, "%" PRId64, v);
	kup_buf_addc(out, ',');
}

static bool has_items(const struct kup_report *r)
{
	int fam;

	for (fam = 0; fam < KUP_ITEM_NFAMILIES; fam++)
		if (kup_report_shows(r, (enum kup_item_family)fam))
			return true;
	return false;
}

static void item_row(struct kup_buf *out, const struct kup_report_item *it)
{
	field(out, kup_item_severity_name(it->severity), false);
	field(out, it->kind, false);
	field(out, it->api_version, false);
	field(out, it->name, false);
	field(out, it->namespace_, false);
	field(out, NULL, false);
	field(out, NULL, false);
	field(out, NULL, false);
	field(out, it->src.path ? kup_source_type_name(it->src.type) : NULL, false);
	field(out, it->src.path, false);
	number(out, it->src.line);
	number(out, it->src.column);
	field(out, NULL, false);
	number(out, 0);
	field(out, it->src.chart, false);
	field(out, NULL, false);
	field(out, it->rule_id, false);
	field(out, it->message, false);
	field(out, it->detail ? it->detail : it->reason, true);
}

void kup_render_csv(const struct kup_report *r, struct kup_buf *out)
{
	struct kup_buf msg = KUP_BUF_INIT;
	bool items = has_items(r);
	size_t i;

	if (items) {
		kup_buf_add(out, header, sizeof(header) - 3);
		kup_buf_adds(out, ",check,message,detail\r\n");
	} else {
		kup_buf_adds(out, header);
	}
	kup_buf_init(&msg);
	for (i = 0; i < r->nfindings; i++) {
		const struct kup_finding *f = r->findings[i];

		field(out, kup_finding_label(f), false);
		field(out, f->kind, false);
		field(out, f->api_version, false);
		field(out, f->name, false);
		field(out, f->namespace_, false);
		field(out, f->deprecated_in, false);
		field(out, f->removed_in, false);
		field(out, f->replacement, false);
		field(out, kup_source_type_name(f->src.type), false);
		field(out, f->src.path, false);
		number(out, f->src.line);
		number(out, f->src.column);
		field(out, f->src.release, false);
		number(out, f->src.revision);
		field(out, f->src.chart, false);
		field(out, f->src.manager, !items);
		if (items) {
			field(out, f->rule_id, false);
			kup_buf_reset(&msg);
			kup_finding_message(&msg, f);
			field(out, msg.buf, false);
			field(out, f->notes, true);
		}
		kup_report_maybe_flush(r, out);
	}
	for (i = 0; i < r->nitems; i++) {
		item_row(out, &r->items[i]);
		kup_report_maybe_flush(r, out);
	}
	if (msg.oom)
		out->oom = true;
	kup_buf_release(&msg);
}
