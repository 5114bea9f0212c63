/*
 * report.h - renderers: findings and errors in, text out.
 *
 * A renderer never decides anything: status, severity and order come from
 * the scan.  Every format carries the same facts.
 */
#ifndef KUPGRADE_REPORT_H
#define KUPGRADE_REPORT_H

#include "kupgrade/scan.h"

enum kup_format {
	KUP_FMT_TABLE = 0,
	KUP_FMT_JSON,
	KUP_FMT_YAML,
	KUP_FMT_CSV,
	KUP_FMT_MARKDOWN,
	KUP_FMT_SARIF,
	KUP_FMT_JUNIT,
};

/* Parses "table", "json", ...; false when unknown. */
bool kup_format_parse(const char *s, enum kup_format *out);

struct kup_report_summary {
	size_t files;
	size_t objects;
	size_t removed;       /* findings at the removed level */
	size_t deprecated;    /* findings at the deprecated level */
	size_t errors;
};

struct kup_report {
	const char *target_version;              /* "1.32" */
	const struct kup_finding *const *findings;
	size_t nfindings;
	const struct kup_error *errors;
	size_t nerrors;
	struct kup_report_summary summary;
	const struct kup_kb *kb;                 /* for SARIF rules */
	const char *tool_version;
	bool color;                              /* table only */
};

/* Renders into out (appending). */
enum kup_status kup_report_render(enum kup_format fmt, const struct kup_report *r,
				  struct kup_buf *out);

/* Helpers shared by the renderers (escaping). */
void kup_json_escape(struct kup_buf *out, const char *s);
void kup_xml_escape(struct kup_buf *out, const char *s);
void kup_csv_field(struct kup_buf *out, const char *s);

#endif
