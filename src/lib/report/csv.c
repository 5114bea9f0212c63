/*
 * csv.c - RFC 4180: a header row, one row per finding, CRLF line ends,
 * fields quoted only when they contain a comma, a quote, CR or LF.
 * Errors are not rows: the CLI reports them on stderr.
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

void kup_render_csv(const struct kup_report *r, struct kup_buf *out)
{
	size_t i;

	kup_buf_adds(out, header);
	for (i = 0; i < r->nfindings; i++) {
		const struct kup_finding *f = r->findings[i];

		field(out, kup_finding_status_name(f->status), false);
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
		field(out, f->src.manager, true);
	}
}
