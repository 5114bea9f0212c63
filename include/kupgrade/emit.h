/*
 * emit.h - the one writer of structured output, and the escapers.
 *
 * Every JSON and YAML document kupgrade writes (the scan report, plans,
 * profiles, rollout and fleet documents, kb listings ...) goes through
 * struct kup_emit, and every string in any output format through one of the
 * escapers below: there is no second JSON quoter.
 */
#ifndef KUPGRADE_EMIT_H
#define KUPGRADE_EMIT_H

#include <stdint.h>

#include "kupgrade/core.h"

/* ---- the JSON/YAML emitter ------------------------------------------------ */

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

/*
 * Writes the JSON text json[0..len) (one value) into e as the value at the
 * current position, so a JSON document made elsewhere comes out in e's
 * syntax (the YAML form of a verb's JSON output).  Key order is kept;
 * numbers are written as they were.  false, with a message in err, when the
 * text is not JSON or nests deeper than KUP_EMIT_MAX_DEPTH.
 */
bool kup_emit_json_text(struct kup_emit *e, const char *json, size_t len, struct kup_error *err);

/* A whole document: the JSON text json[0..len) re-written as YAML into out. */
bool kup_json_to_yaml(const char *json, size_t len, struct kup_buf *out, struct kup_error *err);

/* ---- escapers ------------------------------------------------------------------ */

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

/*
 * The escapers.  Each appends to out; NULL s appends
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
 * it contains a comma or a quote; neutralised for spreadsheets (OWASP CSV
 * injection): control characters and bidirectional overrides become visible
 * escapes as kup_text_sanitize writes them (\n, \t, \x1b, \u202e), and a
 * field of two or more characters starting with = + - or @ is written quoted
 * with a leading ' ("'=HYPERLINK(...)"; a lone "-", standard input, is text).  Every CSV renderer writes its text cells through it.
 */
void kup_json_escape(struct kup_buf *out, const char *s);
/* The same for s[0..n), which may hold NUL bytes (\u0000). */
void kup_json_escape_n(struct kup_buf *out, const char *s, size_t n);
void kup_json_quote_n(struct kup_buf *out, const char *s, size_t n);
/* kup_json_quote: a whole JSON string literal, quotes included; NULL s is `null`. */
void kup_json_quote(struct kup_buf *out, const char *s);
void kup_xml_escape(struct kup_buf *out, const char *s);
void kup_csv_field(struct kup_buf *out, const char *s);

/*
 * kup_md_escape: text for Markdown, a table cell included: sanitised as
 * kup_text_sanitize writes it (no line break survives), the characters
 * Markdown acts on (| \ ` * _ [ ]) backslashed, & < > as entities; NULL or
 * "" appends `empty` (NULL: nothing).
 */
void kup_md_escape(struct kup_buf *out, const char *s, const char *empty);

/*
 * kup_sh_quote: s as one /bin/sh word, single-quoted (a ' inside written
 * '\''); NULL is ''.
 */
void kup_sh_quote(struct kup_buf *out, const char *s);

#endif
