/*
 * fuzz_json_diff - differential fuzzer: kupgrade's hand-written JSON reader
 * (kup_json_parse) against json-c 0.16's json_tokener with
 * JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8.
 *
 * They must agree on accept/reject, and when both accept, on the value:
 *  - strings byte-equal (\u0000 included: json-c keeps the length);
 *  - integers (KUP_TAG_INT) equal as int64; floats equal as the double
 *    strtod gives (json-c parses with strtod too);
 *  - objects: json-c keeps one value per key, the last one, so kupgrade's
 *    pairs (all kept, in order) are compared by their last occurrence, and
 *    the number of distinct keys must match.
 * On any other disagreement the fuzzer aborts.
 *
 * Where json-c's strict mode is more lenient than RFC 8259 (and so than
 * kupgrade, which must agree with Kubernetes' own strict reader), json-c
 * accepting and kupgrade rejecting is allowed, but only when the input
 * shows the construct (see lenient_ok()):
 *  1. raw control characters (< 0x20) inside strings: json-c accepts them;
 *  2. non-strict UTF-8: json-c's VALIDATE_UTF8 accepts overlong forms
 *     (C0 80), UTF-8-encoded surrogates (ED A0 80), code points above
 *     U+10FFFF (F4 90.., F5..F7 leads);
 *  3. NaN, Infinity and -Infinity: json-c accepts them even when strict;
 *  4. numbers outside the RFC grammar: "1.", "1.e5", "-.00" and some with
 *     leading zeros ("00", "-01", "[00]") are accepted by json-c;
 *  5. (with 4) the allowance holds only when some run of number characters
 *     in the input is not an RFC number, checked by an independent
 *     validator here, so a valid number that kupgrade rejected still aborts;
 *  8. single-quoted object keys ({'a':1}): json-c accepts them even when
 *     strict (single-quoted values it rejects).
 * And a json-c bug, allowed in the value comparison:
 *  6. json-c 0.16 turns a valid surrogate pair whose code point has its low
 *     16 bits in D800-DFFF (e.g. "\ud876\udc00", U+2D800) into one U+FFFD;
 *     kupgrade decodes the pair.  A kupgrade string holding such a code
 *     point is not compared (see same_text()); objects with such keys are
 *     not compared member by member.
 *  7. depth: json_tokener_new_ex(D) rejects a value with D containers
 *     around it, so "[[1]]" needs D = 3 but "[[]]" only D = 2; kupgrade's
 *     max_depth counts containers only ("[[1]]" needs 2).  json-c rejecting
 *     for depth while kupgrade accepts is allowed when kupgrade's tree has
 *     a value under DEPTH containers (the reverse cannot happen).
 * Other deliberate differences, handled without an exception:
 *  - a UTF-8 BOM at the start is skipped by kupgrade; json-c rejects it, so
 *    json-c is given the input after the BOM;
 *  - integers beyond int64: json-c clamps them to int64/uint64, kupgrade
 *    keeps the literal as a float: a KUP_TAG_FLOAT without '.', 'e' or 'E'
 *    matches any json-c integer;
 *  - object keys holding \u0000: json-c truncates keys at the NUL, so
 *    objects with such keys are not compared member by member;
 *  - raw NUL bytes: kupgrade must reject any input holding one (a NUL is
 *    never valid outside a string, and is a control character inside one);
 *    json-c, fed a C string, would stop at it, so it is not asked.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "kupgrade/json.h"

#define MAX_INPUT (32 * 1024)
#define DEPTH 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A 4-byte UTF-8 sequence at p whose code point has its low 16 bits in D800-DFFF. */
static bool jc_bad_pair(const uint8_t *p, size_t n)
{
	uint32_t cp;

	if (n < 4 || (p[0] & 0xF8) != 0xF0)
		return false;
	cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
	     ((uint32_t)(p[2] & 0x3F) << 6) | (uint32_t)(p[3] & 0x3F);
	return (cp & 0xFFFF) >= 0xD800 && (cp & 0xFFFF) <= 0xDFFF;
}

/*
 * Strings equal; a kupgrade string holding a code point of exception 6 is
 * not compared (json-c's state after such a pair also garbles the escapes
 * that follow it: "\ud876\uddc0\udccc" gives U+800CC).
 */
static bool same_text(const char *k, size_t kn, const char *j, size_t jn)
{
	size_t i;

	if (kn == jn && memcmp(k, j, kn) == 0)
		return true;
	for (i = 0; i < kn; i++)
		if (jc_bad_pair((const uint8_t *)k + i, kn - i))
			return true;
	return false;
}

/* Keys json-c cannot hold as kupgrade does: with a NUL (truncated) or exception 6. */
static bool odd_key(const struct kup_node *k)
{
	size_t i;

	if (memchr(k->u.str, '\0', k->len))
		return true;
	for (i = 0; i < k->len; i++)
		if (jc_bad_pair((const uint8_t *)k->u.str + i, k->len - i))
			return true;
	return false;
}

static bool same_key(const struct kup_node *a, const struct kup_node *b)
{
	return a->len == b->len && memcmp(a->u.str, b->u.str, a->len) == 0;
}

static bool same(const struct kup_node *k, struct json_object *j)
{
	size_t i, m, distinct = 0;

	switch (k->kind) {
	case KUP_NODE_SCALAR:
		switch (k->tag) {
		case KUP_TAG_NULL:
			return j == NULL;
		case KUP_TAG_BOOL:
			return json_object_is_type(j, json_type_boolean) &&
			       (json_object_get_boolean(j) != 0) == (strcmp(k->u.str, "true") == 0);
		case KUP_TAG_STR:
			return json_object_is_type(j, json_type_string) &&
			       same_text(k->u.str, k->len, json_object_get_string(j),
					 (size_t)json_object_get_string_len(j));
		case KUP_TAG_INT:
			return json_object_is_type(j, json_type_int) &&
			       json_object_get_int64(j) == strtoll(k->u.str, NULL, 10);
		case KUP_TAG_FLOAT:
			if (json_object_is_type(j, json_type_int))
				return strpbrk(k->u.str, ".eE") == NULL;   /* beyond int64 */
			if (!json_object_is_type(j, json_type_double))
				return false;
			{
				double a = strtod(k->u.str, NULL), b = json_object_get_double(j);
				return a == b || (isnan(a) && isnan(b));
			}
		default:
			return false;
		}
	case KUP_NODE_SEQ:
		if (!json_object_is_type(j, json_type_array) || json_object_array_length(j) != k->len)
			return false;
		for (i = 0; i < k->len; i++)
			if (!same(k->u.items[i], json_object_array_get_idx(j, i)))
				return false;
		return true;
	case KUP_NODE_MAP:
		if (!json_object_is_type(j, json_type_object))
			return false;
		for (i = 0; i < k->len; i++)
			if (odd_key(k->u.pairs[i].key))
				return true;   /* not comparable member by member */
		for (i = 0; i < k->len; i++) {
			struct json_object *v = NULL;
			bool later = false;

			for (m = i + 1; m < k->len && !later; m++)
				later = same_key(k->u.pairs[i].key, k->u.pairs[m].key);
			if (later)
				continue;   /* json-c keeps the last duplicate */
			distinct++;
			if (!json_object_object_get_ex(j, k->u.pairs[i].key->u.str, &v))
				return false;
			if (!same(k->u.pairs[i].value, v))
				return false;
		}
		return distinct == (size_t)json_object_object_length(j);
	default:
		return false;
	}
}

/* Strict UTF-8 (what kupgrade requires inside strings). */
static bool strict_utf8(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		size_t k, j;
		uint8_t lo = 0x80, hi = 0xBF;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			k = 2;
		else if (c >= 0xE0 && c <= 0xEF)
			k = 3;
		else if (c >= 0xF0 && c <= 0xF4)
			k = 4;
		else
			return false;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
		else if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
		if (i + k > n || p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (j = 2; j < k; j++)
			if ((p[i + j] & 0xC0) != 0x80)
				return false;
		i += k;
	}
	return true;
}

static bool contains(const uint8_t *p, size_t n, const char *s)
{
	size_t l = strlen(s), i;

	for (i = 0; i + l <= n; i++)
		if (memcmp(p + i, s, l) == 0)
			return true;
	return false;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool num_char(uint8_t c)
{
	return is_digit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

/* RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool rfc_number(const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (i < n && p[i] == '-')
		i++;
	if (i >= n || !is_digit(p[i]))
		return false;
	if (p[i] == '0')
		i++;
	else
		while (i < n && is_digit(p[i]))
			i++;
	if (i < n && p[i] == '.') {
		if (++i >= n || !is_digit(p[i]))
			return false;
		while (i < n && is_digit(p[i]))
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= n || !is_digit(p[i]))
			return false;
		while (i < n && is_digit(p[i]))
			i++;
	}
	return i == n;
}

/* Some run of number characters (starting with '-', '.' or a digit) is not an RFC number. */
static bool bad_number_run(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j;

		if (!(is_digit(p[i]) || p[i] == '-' || p[i] == '.') ||
		    (i > 0 && (num_char(p[i - 1]) || (p[i - 1] >= 'a' && p[i - 1] <= 'z') ||
			       (p[i - 1] >= 'A' && p[i - 1] <= 'Z')))) {
			i++;
			continue;
		}
		for (j = i; j < n && num_char(p[j]); j++)
			;
		if (!rfc_number(p + i, j - i))
			return true;
		i = j;
	}
	return false;
}

/* json-c accepted, kupgrade rejected: allowed only for the listed leniencies. */
static bool lenient_ok(const uint8_t *p, size_t n, const char *msg)
{
	if (msg && strstr(msg, "control character"))
		return true;                                   /* 1 */
	if (msg && strstr(msg, "invalid UTF-8") && !strict_utf8(p, n))
		return true;                                   /* 2 */
	if (msg && strstr(msg, "object key, found '''"))
		return true;                                   /* 8 */
	if (contains(p, n, "NaN") || contains(p, n, "Infinity"))
		return true;                                   /* 3 */
	if (msg && (strstr(msg, "number") || strstr(msg, "unexpected end")) && bad_number_run(p, n))
		return true;                                   /* 4, 5 */
	return false;
}

/* json-c's depth: the most containers around any value (an empty container is a leaf). */
static size_t jc_depth(const struct kup_node *k, size_t e)
{
	size_t i, m = e, d;

	if (k->kind == KUP_NODE_SEQ)
		for (i = 0; i < k->len; i++)
			if ((d = jc_depth(k->u.items[i], e + 1)) > m)
				m = d;
	if (k->kind == KUP_NODE_MAP)
		for (i = 0; i < k->len; i++)
			if ((d = jc_depth(k->u.pairs[i].value, e + 1)) > m)
				m = d;
	return m;
}

static bool ws_only(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
	return true;
}

static size_t n_docs;
static struct kup_buf doc_json;

static enum kup_status on_doc(void *ctx, const struct kup_doc *d)
{
	(void)ctx;
	n_docs++;
	kup_buf_reset(&doc_json);
	kup_node_to_json(d->root, &doc_json);
	return KUP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_arena a;
	struct kup_read_limits lim;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_node *root = NULL;
	struct json_tokener *tok;
	struct json_object *obj;
	const uint8_t *jdata = data;
	size_t jsize = size;
	char *buf;
	bool kup_ok, jc_ok;

	if (size > MAX_INPUT)
		return 0;
	kup_arena_init(&a, 0);
	kup_read_limits_default(&lim);
	lim.max_depth = DEPTH;
	kup_ok = kup_json_parse((const char *)data, size, &lim, &a, &root, &err) == KUP_OK;
	if (kup_ok && !root)
		abort();

	/* kup_json_read_mem (not streaming) must agree with kup_json_parse */
	if (kup_ok) {
		struct kup_arena a2;
		struct kup_json_opts o;
		struct kup_buf want = KUP_BUF_INIT;
		size_t nerr = 0;

		kup_arena_init(&a2, 0);
		kup_json_opts_init(&o, "fuzz");
		o.limits = lim;
		o.stream_items = false;
		n_docs = 0;
		kup_buf_init(&doc_json);
		if (kup_json_read_mem((const char *)data, size, &o, &a2, on_doc, NULL, &nerr) != KUP_OK ||
		    nerr != 0 || n_docs != 1)
			abort();
		kup_node_to_json(root, &want);
		if (strcmp(want.buf, doc_json.buf) != 0)
			abort();
		kup_buf_release(&want);
		kup_buf_release(&doc_json);
		kup_arena_release(&a2);
	}

	if (memchr(data, '\0', size)) {
		if (kup_ok)
			abort();   /* a raw NUL is never valid JSON */
		goto out;
	}
	if (size >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) {
		jdata += 3;    /* kupgrade skips a BOM; json-c does not */
		jsize -= 3;
	}
	buf = malloc(jsize + 1);
	if (!buf)
		abort();
	memcpy(buf, jdata, jsize);
	buf[jsize] = '\0';
	tok = json_tokener_new_ex(DEPTH);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)jsize + 1);
	{
		size_t off = json_tokener_get_parse_end(tok);

		jc_ok = json_tokener_get_error(tok) == json_tokener_success && off <= jsize &&
			ws_only(buf + off, jsize - off);
	}

	if (kup_ok && !jc_ok && json_tokener_get_error(tok) == json_tokener_error_depth &&
	    jc_depth(root, 0) >= DEPTH) {
		/* exception 7: json-c counts a value inside the deepest container as a level */
	} else if (kup_ok != jc_ok) {
		if (!(jc_ok && lenient_ok(jdata, jsize, err.msg))) {
			fprintf(stderr, "disagree: kupgrade %s (%s), json-c %s (%s)\n",
				kup_ok ? "accepts" : "rejects", err.msg ? err.msg : "",
				jc_ok ? "accepts" : "rejects",
				json_tokener_error_desc(json_tokener_get_error(tok)));
			abort();
		}
	} else if (kup_ok && !same(root, obj)) {
		fprintf(stderr, "disagree on the value: json-c %s\n",
			json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
		abort();
	}
	json_object_put(obj);
	json_tokener_free(tok);
	free(buf);
out:
	kup_error_release(&err);
	kup_arena_release(&a);
	return 0;
}
