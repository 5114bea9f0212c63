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

/*
 * Renders into out (appending).  Findings are rendered in the order given.
 * KUP_INVALID for a NULL report or buffer, an unknown format, or a count
 * without its array; KUP_NOMEM when `out` ran out of memory (its sticky
 * flag).  The machine formats (json, yaml, sarif, junit) always produce
 * valid UTF-8: invalid bytes in the input become U+FFFD.  table and
 * markdown show control characters as \n, \x1b, ... so that input can
 * never drive the terminal.  tests/data/report/ holds a golden file of
 * every format.
 */
enum kup_status kup_report_render(enum kup_format fmt, const struct kup_report *r,
				  struct kup_buf *out);

/*
 * Helpers shared by the renderers.  Each appends to out; NULL s appends
 * nothing.
 *
 * kup_json_escape: the body of a JSON string literal, without the quotes.
 * Control characters, U+007F-U+009F, U+2028/9, U+FEFF and U+FFFE/F become
 * \uNNNN (so the result is also a valid YAML double-quoted scalar body);
 * invalid UTF-8 bytes become U+FFFD.
 *
 * kup_xml_escape: text for an XML 1.0 attribute value or element: & < > " '
 * as entities, TAB/LF/CR as character references, and characters XML 1.0
 * cannot carry (other controls, U+FFFE/F, invalid UTF-8) as U+FFFD.
 *
 * kup_csv_field: one RFC 4180 field, quoted (with quotes doubled) only when
 * it contains a comma, a quote, CR or LF.
 */
void kup_json_escape(struct kup_buf *out, const char *s);
/* kup_json_quote: a whole JSON string literal, quotes included; NULL s is `null`. */
void kup_json_quote(struct kup_buf *out, const char *s);
void kup_xml_escape(struct kup_buf *out, const char *s);
void kup_csv_field(struct kup_buf *out, const char *s);

#endif
