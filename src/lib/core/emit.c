/*
 * emit.c - one streaming writer, two syntaxes: pretty JSON and block YAML.
 *
 * YAML needs to know whether a container is empty before it can choose
 * between "key:\n  - a" and "key: []", so the opener is written lazily:
 * each frame remembers how it was opened, and the first entry (or the end,
 * for an empty container) finishes the line.
 */
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <json-c/json.h>

#include "kupgrade/emit.h"

enum {
	OPEN_ROOT = 0,     /* nothing written */
	OPEN_AFTER_KEY,    /* "key:" written, line still open */
	OPEN_AFTER_DASH,   /* "- " written, line still open */
};

void kup_emit_init(struct kup_emit *e, struct kup_buf *out, enum kup_emit_mode mode)
{
	memset(e, 0, sizeof(*e));
	e->out = out;
	e->mode = mode;
}

static void indent(struct kup_buf *out, unsigned n)
{
	static const char spaces[] = "                                                ";

	while (n > 0) {
		unsigned k = n < sizeof(spaces) - 1 ? n : (unsigned)sizeof(spaces) - 1;

		kup_buf_add(out, spaces, k);
		n -= k;
	}
}

static struct kup_emit_frame *top(struct kup_emit *e)
{
	return e->depth > 0 ? &e->st[e->depth - 1] : NULL;
}

/* The high bit of every byte of v that is < 0x20, '"', '\\', 0x7f or >= 0x80 (and maybe above one). */
static inline uint64_t json_bad8(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\'), d = v ^ (ones * 0x7f);

	return (((q - ones) & ~q) | ((b - ones) & ~b) | ((d - ones) & ~d) |
		((v - ones * 0x20) & ~v) | v) & high;
}

/*
 * The fast path of JSON output (reports with thousands of findings): a
 * string of printable ASCII other than '"' and '\\' is copied as it is, in
 * one reserve of the buffer; anything else goes through kup_json_escape().
 */
static bool json_plain(const char *s, size_t n)
{
	size_t i = 0;
	uint64_t v;

#if defined(__SSE2__)
	/* 16 bytes at a time; the signed compare below ' ' takes every byte >= 0x80 too */
	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i m = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
				     _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
			_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)),
				     _mm_cmplt_epi8(x, _mm_set1_epi8(0x20))));

		if (_mm_movemask_epi8(m))
			return false;
	}
#endif
	/* 8 bytes at a time, the last 8 overlapping what was checked: no byte loop */
	if (n >= 8) {
		for (; i + 8 <= n; i += 8) {
			memcpy(&v, s + i, 8);
			if (json_bad8(v))
				return false;
		}
		if (i < n) {
			memcpy(&v, s + n - 8, 8);
			return !json_bad8(v);
		}
		return true;
	}
	if (n >= 4) {
		/* the first and the last 4 bytes, side by side */
		uint32_t a, b;

		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		return !json_bad8((uint64_t)a | (uint64_t)b << 32);
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			return false;
	}
	return true;
}

static char *reserve(struct kup_buf *out, size_t n)
{
	if (out->buf && !out->oom && n < out->cap - out->len)
		return out->buf + out->len;   /* room already (kup_buf_grow's first test) */
	return kup_buf_grow(out, n) ? out->buf + out->len : NULL;
}

static void put_quoted(struct kup_buf *out, const char *s, size_t n, const char *tail,
		       size_t ntail)
{
	char *p;

	if (json_plain(s, n) && (p = reserve(out, n + 2 + ntail))) {
		*p++ = '"';
		memcpy(p, s, n);
		p += n;
		*p++ = '"';
		memcpy(p, tail, ntail);
		out->len += n + 2 + ntail;
		out->buf[out->len] = '\0';
		return;
	}
	kup_buf_addc(out, '"');
	kup_json_escape(out, s);
	kup_buf_addc(out, '"');
	kup_buf_add(out, tail, ntail);
}

/* YAML: starts an entry of the current container ("key:" or "- "). */
static void yaml_entry(struct kup_emit *e, const char *key)
{
	struct kup_emit_frame *f = top(e);

	if (!f)
		return;
	if (f->n == 0 && f->open == OPEN_AFTER_KEY) {
		kup_buf_addc(e->out, '\n');
		indent(e->out, f->indent);
	} else if (f->n > 0) {
		indent(e->out, f->indent);
	}
	f->n++;
	if (f->seq) {
		kup_buf_adds(e->out, "- ");
	} else {
		size_t i;
		bool plain = key[0] != '\0';

		for (i = 0; key[i]; i++)
			if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A' && key[i] <= 'Z') ||
			      (key[i] >= '0' && key[i] <= '9') || key[i] == '_'))
				plain = false;
		if (plain) {
			kup_buf_adds(e->out, key);
		} else {
			kup_buf_addc(e->out, '"');
			kup_json_escape(e->out, key);
			kup_buf_addc(e->out, '"');
		}
		kup_buf_addc(e->out, ':');
	}
}

/* JSON: the separator and indentation before a value in a sequence. */
static void json_before_value(struct kup_emit *e)
{
	struct kup_emit_frame *f = top(e);

	if (!f || !f->seq)
		return;
	if (f->n)
		kup_buf_addc(e->out, ',');
	kup_buf_addc(e->out, '\n');
	indent(e->out, (unsigned)e->depth * 2);
	f->n++;
}

void kup_emit_key(struct kup_emit *e, const char *key)
{
	struct kup_emit_frame *f = top(e);

	if (e->failed || !f || f->seq) {
		e->failed = true;
		return;
	}
	if (e->mode == KUP_EMIT_YAML) {
		yaml_entry(e, key);
		return;
	}
	{
		unsigned ind = (unsigned)e->depth * 2;
		char *p = ind <= 64 ? reserve(e->out, ind + 2) : NULL;

		if (p) {
			if (f->n)
				*p++ = ',';
			*p++ = '\n';
			memset(p, ' ', ind);
			e->out->len += ind + 1 + (f->n ? 1 : 0);
			e->out->buf[e->out->len] = '\0';
		} else {
			if (f->n)
				kup_buf_addc(e->out, ',');
			kup_buf_addc(e->out, '\n');
			indent(e->out, ind);
		}
	}
	put_quoted(e->out, key, strlen(key), ": ", 2);
	f->n++;
}

/* Before a scalar: in YAML a sequence entry starts here, a map value gets its space. */
static void before_scalar(struct kup_emit *e)
{
	struct kup_emit_frame *f = top(e);

	if (e->mode == KUP_EMIT_JSON) {
		json_before_value(e);
		return;
	}
	if (f && f->seq)
		yaml_entry(e, NULL);
	else if (f)
		kup_buf_addc(e->out, ' ');
}

static void after_scalar(struct kup_emit *e)
{
	if (e->mode == KUP_EMIT_YAML)
		kup_buf_addc(e->out, '\n');
}

static void begin(struct kup_emit *e, bool seq)
{
	struct kup_emit_frame *parent = top(e), *f;

	if (e->failed)
		return;
	if (e->depth >= KUP_EMIT_MAX_DEPTH) {
		e->failed = true;
		return;
	}
	f = &e->st[e->depth];
	memset(f, 0, sizeof(*f));
	f->seq = seq;
	if (e->mode == KUP_EMIT_JSON) {
		json_before_value(e);
		kup_buf_addc(e->out, seq ? '[' : '{');
	} else if (!parent) {
		f->open = OPEN_ROOT;
		f->indent = 0;
	} else {
		if (parent->seq) {
			yaml_entry(e, NULL);
			f->open = OPEN_AFTER_DASH;
		} else {
			f->open = OPEN_AFTER_KEY;
		}
		f->indent = parent->indent + 2;
	}
	e->depth++;
}

void kup_emit_begin_map(struct kup_emit *e)
{
	begin(e, false);
}

void kup_emit_begin_seq(struct kup_emit *e)
{
	begin(e, true);
}

void kup_emit_end(struct kup_emit *e)
{
	struct kup_emit_frame *f = top(e);

	if (e->failed)
		return;
	if (!f) {
		e->failed = true;
		return;
	}
	e->depth--;
	if (e->mode == KUP_EMIT_JSON) {
		if (f->n) {
			kup_buf_addc(e->out, '\n');
			indent(e->out, (unsigned)e->depth * 2);
		}
		kup_buf_addc(e->out, f->seq ? ']' : '}');
		return;
	}
	if (f->n)
		return;
	if (f->open == OPEN_AFTER_KEY)
		kup_buf_addc(e->out, ' ');
	kup_buf_adds(e->out, f->seq ? "[]\n" : "{}\n");
}

void kup_emit_finish(struct kup_emit *e)
{
	if (e->depth != 0)
		e->failed = true;
	if (e->mode == KUP_EMIT_JSON)
		kup_buf_addc(e->out, '\n');
}

void kup_emit_str(struct kup_emit *e, const char *s)
{
	if (e->failed)
		return;
	if (!s) {
		kup_emit_null(e);
		return;
	}
	before_scalar(e);
	if (e->mode == KUP_EMIT_JSON) {
		put_quoted(e->out, s, strlen(s), "", 0);
		return;
	}
	kup_buf_addc(e->out, '"');
	kup_json_escape(e->out, s);
	kup_buf_addc(e->out, '"');
	after_scalar(e);
}

void kup_emit_int(struct kup_emit *e, int64_t v)
{
	if (e->failed)
		return;
	before_scalar(e);
	{
		char d[24], *q = d + sizeof(d);
		uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

		do
			*--q = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		if (v < 0)
			*--q = '-';
		kup_buf_add(e->out, q, (size_t)(d + sizeof(d) - q));
	}
	after_scalar(e);
}

void kup_emit_bool(struct kup_emit *e, bool v)
{
	if (e->failed)
		return;
	before_scalar(e);
	kup_buf_adds(e->out, v ? "true" : "false");
	after_scalar(e);
}

void kup_emit_null(struct kup_emit *e)
{
	if (e->failed)
		return;
	before_scalar(e);
	kup_buf_adds(e->out, "null");
	after_scalar(e);
}

void kup_emit_kstr(struct kup_emit *e, const char *key, const char *s)
{
	kup_emit_key(e, key);
	kup_emit_str(e, s);
}

void kup_emit_kint(struct kup_emit *e, const char *key, int64_t v)
{
	kup_emit_key(e, key);
	kup_emit_int(e, v);
}

void kup_emit_kpos(struct kup_emit *e, const char *key, uint32_t v)
{
	kup_emit_key(e, key);
	if (v)
		kup_emit_int(e, v);
	else
		kup_emit_null(e);
}

/* ---- a JSON text through the emitter --------------------------------------- */

/* A scalar written as given (a number as the JSON text had it). */
static void emit_raw(struct kup_emit *e, const char *text)
{
	if (e->failed)
		return;
	before_scalar(e);
	kup_buf_adds(e->out, text);
	after_scalar(e);
}

static void emit_jobj(struct kup_emit *e, struct json_object *o)
{
	size_t i, n;

	if (e->failed)
		return;
	switch (json_object_get_type(o)) {
	case json_type_null:
		kup_emit_null(e);
		break;
	case json_type_boolean:
		kup_emit_bool(e, json_object_get_boolean(o));
		break;
	case json_type_int:
	case json_type_double:
		emit_raw(e, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		break;
	case json_type_string:
		kup_emit_str(e, json_object_get_string(o));
		break;
	case json_type_array:
		kup_emit_begin_seq(e);
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			emit_jobj(e, json_object_array_get_idx(o, i));
		kup_emit_end(e);
		break;
	case json_type_object:
		kup_emit_begin_map(e);
		json_object_object_foreach(o, key, val) {
			kup_emit_key(e, key);
			emit_jobj(e, val);
		}
		kup_emit_end(e);
		break;
	}
}

bool kup_emit_json_text(struct kup_emit *e, const char *json, size_t len, struct kup_error *err)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;

	if (len > INT_MAX) {
		kup_error_set(err, KUP_INVALID, NULL, 0, 0, "a JSON document larger than %d bytes", INT_MAX);
		return false;
	}
	tok = json_tokener_new_ex(KUP_EMIT_MAX_DEPTH + 1);
	if (!tok) {
		kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
		return false;
	}
	o = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!o && jerr == json_tokener_success)
		jerr = json_tokener_continue;   /* cannot happen for a value; null is an object here */
	if (jerr != json_tokener_success || json_tokener_get_parse_end(tok) < len) {
		size_t end = json_tokener_get_parse_end(tok);

		/* trailing whitespace is fine */
		while (jerr == json_tokener_success && end < len && strchr(" \t\r\n", json[end]))
			end++;
		if (jerr != json_tokener_success || end < len) {
			kup_error_set(err, KUP_PARSE, NULL, 0, 0, "not one JSON value: %s",
				      jerr != json_tokener_success ? json_tokener_error_desc(jerr)
								   : "text after the value");
			json_object_put(o);
			json_tokener_free(tok);
			return false;
		}
	}
	emit_jobj(e, o);
	json_object_put(o);
	json_tokener_free(tok);
	if (e->failed) {
		kup_error_set(err, KUP_INVALID, NULL, 0, 0, "JSON nested deeper than %d levels",
			      KUP_EMIT_MAX_DEPTH);
		return false;
	}
	return true;
}

bool kup_json_to_yaml(const char *json, size_t len, struct kup_buf *out, struct kup_error *err)
{
	struct kup_emit e;

	kup_emit_init(&e, out, KUP_EMIT_YAML);
	if (!kup_emit_json_text(&e, json, len, err))
		return false;
	kup_emit_finish(&e);
	return !e.failed;
}
