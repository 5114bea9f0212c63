/*
 * escape.c - the escapers every output shares: UTF-8 decoding, JSON (and
 * YAML double-quoted) string bodies, XML text, RFC 4180 CSV fields and
 * terminal-safe text.  One copy for the report renderers, the plan and
 * fleet documents and every verb's structured output.
 */
#include <inttypes.h>
#include <string.h>

#include "kupgrade/emit.h"

/* ---- UTF-8 --------------------------------------------------------------- */

size_t kup_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len, i;

	if (!n)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static const char replacement_char[] = "\xef\xbf\xbd"; /* U+FFFD */

/* ---- escaping ------------------------------------------------------------ */

/*
 * Code points escaped even though JSON would allow them raw: they are not
 * printable in YAML (C1 controls, non-characters, the BOM) or they break
 * lines in JavaScript (U+2028, U+2029).
 */
static bool json_must_escape(uint32_t cp)
{
	return cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0xfeff || cp == 0xfffe || cp == 0xffff;
}

void kup_json_quote(struct kup_buf *out, const char *s)
{
	if (!s) {
		kup_buf_adds(out, "null");
		return;
	}
	kup_buf_addc(out, '"');
	kup_json_escape(out, s);
	kup_buf_addc(out, '"');
}

void kup_json_escape(struct kup_buf *out, const char *s)
{
	if (s)
		kup_json_escape_n(out, s, strlen(s));
}

void kup_json_quote_n(struct kup_buf *out, const char *s, size_t n)
{
	kup_buf_addc(out, '"');
	kup_json_escape_n(out, s, n);
	kup_buf_addc(out, '"');
}

void kup_json_escape_n(struct kup_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0, len;
	uint32_t cp;

	while (i < n) {
		unsigned char c = p[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		kup_buf_add(out, s + start, i - start);
		if (c < 0x80) {
			switch (c) {
			case '"': kup_buf_adds(out, "\\\""); break;
			case '\\': kup_buf_adds(out, "\\\\"); break;
			case '\n': kup_buf_adds(out, "\\n"); break;
			case '\r': kup_buf_adds(out, "\\r"); break;
			case '\t': kup_buf_adds(out, "\\t"); break;
			case '\b': kup_buf_adds(out, "\\b"); break;
			case '\f': kup_buf_adds(out, "\\f"); break;
			default: kup_buf_addf(out, "\\u%04x", c); break;
			}
			i++;
		} else if (!(len = kup_utf8_decode(p + i, n - i, &cp))) {
			kup_buf_adds(out, replacement_char);
			i++;
		} else {
			if (json_must_escape(cp))
				kup_buf_addf(out, "\\u%04" PRIx32, cp);
			else
				kup_buf_add(out, s + i, len);
			i += len;
		}
		start = i;
	}
	kup_buf_add(out, s + start, i - start);
}

static bool xml_char_ok(uint32_t cp)
{
	return cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
	       (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

void kup_xml_escape(struct kup_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i = 0, start = 0, len;
	uint32_t cp;

	if (!s)
		return;
	n = strlen(s);
	while (i < n) {
		unsigned char c = p[i];
		const char *ent = NULL;

		if (c >= 0x20 && c < 0x80) {
			switch (c) {
			case '&': ent = "&amp;"; break;
			case '<': ent = "&lt;"; break;
			case '>': ent = "&gt;"; break;
			case '"': ent = "&quot;"; break;
			case '\'': ent = "&apos;"; break;
			default: i++; continue;
			}
			kup_buf_add(out, s + start, i - start);
			kup_buf_adds(out, ent);
			i++;
		} else if (c < 0x20) {
			kup_buf_add(out, s + start, i - start);
			/* character references keep newlines through attribute normalisation */
			if (c == '\n' || c == '\r' || c == '\t')
				kup_buf_addf(out, "&#%d;", c);
			else
				kup_buf_adds(out, replacement_char);
			i++;
		} else {
			len = kup_utf8_decode(p + i, n - i, &cp);
			if (len && xml_char_ok(cp)) {
				i += len;
				continue;
			}
			kup_buf_add(out, s + start, i - start);
			kup_buf_adds(out, replacement_char);
			i += len ? len : 1;
		}
		start = i;
	}
	kup_buf_add(out, s + start, i - start);
}

void kup_csv_field(struct kup_buf *out, const char *s)
{
	struct kup_buf clean = KUP_BUF_INIT;
	const char *q, *t;
	bool formula;

	if (!s)
		return;
	/* control characters (and bidirectional overrides) as visible escapes */
	kup_buf_init(&clean);
	kup_text_sanitize(&clean, s);
	if (clean.oom) {
		out->oom = true;
		kup_buf_release(&clean);
		return;
	}
	t = clean.buf;
	/* OWASP: a cell a spreadsheet would read as a formula is prefixed with ' and quoted */
	formula = *t && t[1] && strchr("=+-@", *t) != NULL;   /* a lone "-" (stdin) is text */
	if (!formula && !strpbrk(t, ",\"\r\n")) {
		kup_buf_adds(out, t);
		kup_buf_release(&clean);
		return;
	}
	kup_buf_addc(out, '"');
	if (formula)
		kup_buf_addc(out, '\'');
	while ((q = strchr(t, '"'))) {
		kup_buf_add(out, t, (size_t)(q - t) + 1);
		kup_buf_addc(out, '"');
		t = q + 1;
	}
	kup_buf_adds(out, t);
	kup_buf_addc(out, '"');
	kup_buf_release(&clean);
}

/* ---- plain text ---------------------------------------------------------- */

static bool text_must_escape(uint32_t cp)
{
	/* controls, and the bidirectional overrides that can disguise text */
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0xfeff;
}

void kup_text_sanitize(struct kup_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i = 0, start = 0, len;
	uint32_t cp;

	if (!s)
		return;
	n = strlen(s);
	while (i < n) {
		len = kup_utf8_decode(p + i, n - i, &cp);
		if (len && !text_must_escape(cp)) {
			i += len;
			continue;
		}
		kup_buf_add(out, s + start, i - start);
		if (!len) {
			kup_buf_addf(out, "\\x%02x", p[i]);
			i++;
		} else {
			switch (cp) {
			case '\n': kup_buf_adds(out, "\\n"); break;
			case '\r': kup_buf_adds(out, "\\r"); break;
			case '\t': kup_buf_adds(out, "\\t"); break;
			default:
				if (cp < 0x80)
					kup_buf_addf(out, "\\x%02" PRIx32, cp);
				else
					kup_buf_addf(out, "\\u%04" PRIx32, cp);
				break;
			}
			i += len;
		}
		start = i;
	}
	kup_buf_add(out, s + start, i - start);
}

void kup_md_escape(struct kup_buf *out, const char *s, const char *empty)
{
	struct kup_buf t = KUP_BUF_INIT;
	size_t i;

	if (!s || !*s) {
		if (empty)
			kup_buf_adds(out, empty);
		return;
	}
	kup_buf_init(&t);
	kup_text_sanitize(&t, s);
	for (i = 0; i < t.len; i++) {
		char c = t.buf[i];

		switch (c) {
		case '|': case '\\': case '`': case '*': case '_': case '[': case ']':
			kup_buf_addc(out, '\\');
			kup_buf_addc(out, c);
			break;
		case '<': kup_buf_adds(out, "&lt;"); break;
		case '>': kup_buf_adds(out, "&gt;"); break;
		case '&': kup_buf_adds(out, "&amp;"); break;
		default: kup_buf_addc(out, c); break;
		}
	}
	if (t.oom)
		out->oom = true;
	kup_buf_release(&t);
}

void kup_sh_quote(struct kup_buf *out, const char *s)
{
	kup_buf_addc(out, '\'');
	for (; s && *s; s++) {
		if (*s == '\'')
			kup_buf_adds(out, "'\\''");
		else
			kup_buf_addc(out, *s);
	}
	kup_buf_addc(out, '\'');
}
