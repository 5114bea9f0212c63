/*
 * node.c - queries over the document tree of node.h, the YAML 1.1 scalar
 * resolver Kubernetes uses, and a compact JSON serializer.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/node.h"

void kup_read_limits_default(struct kup_read_limits *l)
{
	l->max_depth = 512;
	l->max_scalar = (size_t)64 << 20;
	l->max_document = (size_t)256 << 20;
	l->max_aliases = 10000;
	l->max_nodes = 0;
}

size_t kup_read_limits_nodes(const struct kup_read_limits *l)
{
	size_t doc;

	if (l && l->max_nodes)
		return l->max_nodes;
	doc = l && l->max_document ? l->max_document : (size_t)256 << 20;
	return doc / KUP_BYTES_PER_NODE ? doc / KUP_BYTES_PER_NODE : 1;
}

/* ---- queries ---------------------------------------------------------- */

const struct kup_node *kup_node_get(const struct kup_node *map, const char *key)
{
	size_t klen, i;

	if (!map || map->kind != KUP_NODE_MAP || !key)
		return NULL;
	klen = strlen(key);
	/* Later duplicates win, as in Kubernetes' reader. */
	for (i = map->len; i-- > 0;) {
		const struct kup_node *k = map->u.pairs[i].key;
		if (k->kind == KUP_NODE_SCALAR && k->len == klen &&
		    memcmp(k->u.str, key, klen) == 0)
			return map->u.pairs[i].value;
	}
	return NULL;
}

const struct kup_node *kup_node_path(const struct kup_node *node, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, node);
	while (node && (key = va_arg(ap, const char *)) != NULL)
		node = kup_node_get(node, key);
	va_end(ap);
	return node;
}

const char *kup_node_str(const struct kup_node *node)
{
	if (!node || node->kind != KUP_NODE_SCALAR)
		return NULL;
	return node->u.str;
}

struct kup_str kup_node_slice(const struct kup_node *node)
{
	if (!node || node->kind != KUP_NODE_SCALAR)
		return KUP_STR_NULL;
	return (struct kup_str){ node->u.str, node->len };
}

bool kup_node_eq(const struct kup_node *node, const char *s)
{
	size_t n;

	if (!node || node->kind != KUP_NODE_SCALAR || node->tag != KUP_TAG_STR || !s)
		return false;
	n = strlen(s);
	return node->len == n && memcmp(node->u.str, s, n) == 0;
}

/* ---- the resolver ----------------------------------------------------- */

/*
 * Copies s without underscores into buf (Go's yaml.v2 strips every `_`
 * before parsing numbers).  Returns the new length, or SIZE_MAX when it does
 * not fit.
 */
static size_t strip_underscores(const char *s, size_t n, char *buf, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '_')
			continue;
		if (o + 1 >= cap)
			return SIZE_MAX;
		buf[o++] = s[i];
	}
	buf[o] = '\0';
	return o;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/*
 * Go's strconv.ParseInt(s, 0, 64) then ParseUint(s, 0, 64): an optional
 * sign, then 0x/0o/0b, a legacy leading-0 octal, or decimal.  On success
 * stores the magnitude and sign.  Fails on overflow of uint64 (and of int64
 * for negatives, which ParseUint would refuse anyway).
 */
static bool parse_go_int(const char *s, size_t n, uint64_t *mag, bool *neg)
{
	size_t i = 0;
	unsigned base = 10;
	uint64_t v = 0;

	*neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		*neg = s[i] == '-';
		i++;
	}
	if (i >= n)
		return false;
	if (s[i] == '0' && i + 1 < n) {
		char c = s[i + 1];
		if (c == 'x' || c == 'X') {
			base = 16;
			i += 2;
		} else if (c == 'o' || c == 'O') {
			base = 8;
			i += 2;
		} else if (c == 'b' || c == 'B') {
			base = 2;
			i += 2;
		} else {
			base = 8;
			i += 1;
		}
		if (i >= n)
			return false;
	}
	for (; i < n; i++) {
		int d = digit_value(s[i]);
		if (d >= (int)base)
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	if (*neg && v > (uint64_t)INT64_MAX + 1)
		return false;
	*mag = v;
	return true;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < n && s[i] == '.') {
		i++;
		for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			d++;
		if (!d)
			return false;
	} else {
		for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			d++;
		if (!d)
			return false;
		if (i < n && s[i] == '.')
			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			d++;
		if (!d)
			return false;
	}
	return i == n;
}

struct word {
	const char *w;
	uint8_t len;
};
#define W(s) { s, sizeof(s) - 1 }

static bool in_list(const char *s, size_t n, const struct word *list)
{
	for (; list->w; list++)
		if (list->len == n && memcmp(list->w, s, n) == 0)
			return true;
	return false;
}

static const struct word true_words[] = {
	W("y"), W("Y"), W("yes"), W("Yes"), W("YES"), W("true"), W("True"),
	W("TRUE"), W("on"), W("On"), W("ON"), { NULL, 0 }
};
static const struct word false_words[] = {
	W("n"), W("N"), W("no"), W("No"), W("NO"), W("false"), W("False"),
	W("FALSE"), W("off"), W("Off"), W("OFF"), { NULL, 0 }
};
static const struct word null_words[] = {
	W("~"), W("null"), W("Null"), W("NULL"), { NULL, 0 }
};
static const struct word special_floats[] = {
	W(".nan"), W(".NaN"), W(".NAN"), W(".inf"), W(".Inf"), W(".INF"),
	W("+.inf"), W("+.Inf"), W("+.INF"), W("-.inf"), W("-.Inf"), W("-.INF"),
	{ NULL, 0 }
};

/* A float that strconv.ParseFloat reads without overflowing. */
static bool finite_float(const char *s, size_t n)
{
	char buf[64], *tmp = buf;
	double d;

	if (n >= sizeof(buf)) {
		tmp = kup_malloc(n + 1);
		if (!tmp)
			return true;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	d = strtod(tmp, NULL);
	if (tmp != buf)
		free(tmp);
	return isfinite(d);
}

/* Ints and floats: the digits and sign cases of go-yaml v2's resolve(). */
static enum kup_scalar_tag resolve_number(const char *s, size_t n)
{
	char small[128], *buf = small;
	enum kup_scalar_tag tag = KUP_TAG_STR;
	size_t m;
	uint64_t mag;
	bool neg;

	if (n >= sizeof(small)) {
		buf = kup_malloc(n + 1);
		if (!buf)
			return KUP_TAG_STR;
	}
	m = strip_underscores(s, n, buf, n >= sizeof(small) ? n + 1 : sizeof(small));
	if (parse_go_int(buf, m, &mag, &neg))
		tag = KUP_TAG_INT;
	else if (yaml_style_float(buf, m) && finite_float(buf, m))
		tag = KUP_TAG_FLOAT;
	if (buf != small)
		free(buf);
	return tag;
}

enum kup_scalar_tag kup_scalar_resolve(const char *s, size_t n)
{
	char c;

	if (n == 0)
		return KUP_TAG_NULL;
	c = s[0];
	/* go-yaml v2 only looks further for these first characters. */
	switch (c) {
	case '~': case 'n': case 'N':
		if (n > 5)
			return KUP_TAG_STR;
		if (in_list(s, n, null_words))
			return KUP_TAG_NULL;
		/* fall through */
	case 'y': case 'Y': case 't': case 'T': case 'f': case 'F':
	case 'o': case 'O':
		if (n > 5)
			return KUP_TAG_STR;
		if (in_list(s, n, true_words))
			return KUP_TAG_BOOL;
		if (in_list(s, n, false_words))
			return KUP_TAG_BOOL;
		return KUP_TAG_STR;
	case '.':
		if (in_list(s, n, special_floats))
			return KUP_TAG_FLOAT;
		/* strconv.ParseFloat on the text as is (no `_` stripping) */
		return yaml_style_float(s, n) && finite_float(s, n) ? KUP_TAG_FLOAT
								     : KUP_TAG_STR;
	case '+': case '-':
		if (in_list(s, n, special_floats))
			return KUP_TAG_FLOAT;
		return resolve_number(s, n);
	default:
		if (c < '0' || c > '9')
			return KUP_TAG_STR;
		return resolve_number(s, n);
	}
}

bool kup_node_int(const struct kup_node *node, int64_t *out)
{
	char buf[128];
	size_t m;
	uint64_t mag;
	bool neg;

	if (!node || node->kind != KUP_NODE_SCALAR || node->tag != KUP_TAG_INT)
		return false;
	m = strip_underscores(node->u.str, node->len, buf, sizeof(buf));
	if (m == SIZE_MAX || !parse_go_int(buf, m, &mag, &neg))
		return false;
	if (neg) {
		if (mag == (uint64_t)INT64_MAX + 1)
			*out = INT64_MIN;
		else
			*out = -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return false;
		*out = (int64_t)mag;
	}
	return true;
}

bool kup_node_bool(const struct kup_node *node, bool *out)
{
	if (!node || node->kind != KUP_NODE_SCALAR || node->tag != KUP_TAG_BOOL)
		return false;
	if (in_list(node->u.str, node->len, true_words))
		*out = true;
	else if (in_list(node->u.str, node->len, false_words))
		*out = false;
	else
		return false;   /* an explicit !!bool on something else */
	return true;
}

/* ---- JSON ------------------------------------------------------------- */

static void json_string(struct kup_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	kup_buf_addc(out, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[6];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		kup_buf_add(out, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\t': esc = "\\t"; break;
		case '\r': esc = "\\r"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			u[0] = '\\';
			u[1] = 'u';
			u[2] = '0';
			u[3] = '0';
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			kup_buf_add(out, u, 6);
			continue;
		}
		kup_buf_adds(out, esc);
	}
	kup_buf_add(out, s + run, n - run);
	kup_buf_addc(out, '"');
}

static void json_int(struct kup_buf *out, const struct kup_node *node)
{
	char buf[128];
	size_t m;
	uint64_t mag;
	bool neg;

	m = strip_underscores(node->u.str, node->len, buf, sizeof(buf));
	if (m == SIZE_MAX || !parse_go_int(buf, m, &mag, &neg)) {
		json_string(out, node->u.str, node->len);
		return;
	}
	kup_buf_addf(out, "%s%llu", neg && mag ? "-" : "", (unsigned long long)mag);
}

static void json_float(struct kup_buf *out, const struct kup_node *node)
{
	char buf[128], num[40];
	size_t m;
	double d;
	char *end;

	m = strip_underscores(node->u.str, node->len, buf, sizeof(buf));
	if (m == SIZE_MAX || !yaml_style_float(buf, m)) {
		/* .inf, .nan and friends (or an explicit !!float on text) */
		json_string(out, node->u.str, node->len);
		return;
	}
	d = strtod(buf, &end);
	if (!isfinite(d)) {
		json_string(out, node->u.str, node->len);
		return;
	}
	snprintf(num, sizeof(num), "%.15g", d);
	if (strtod(num, NULL) != d)
		snprintf(num, sizeof(num), "%.17g", d);
	kup_buf_adds(out, num);
}

static void to_json(const struct kup_node *node, struct kup_buf *out)
{
	size_t i;

	if (!node) {
		kup_buf_adds(out, "null");
		return;
	}
	switch (node->kind) {
	case KUP_NODE_SCALAR:
		switch (node->tag) {
		case KUP_TAG_NULL:
			kup_buf_adds(out, "null");
			break;
		case KUP_TAG_BOOL: {
			bool b;
			if (kup_node_bool(node, &b))
				kup_buf_adds(out, b ? "true" : "false");
			else
				json_string(out, node->u.str, node->len);
			break;
		}
		case KUP_TAG_INT:
			json_int(out, node);
			break;
		case KUP_TAG_FLOAT:
			json_float(out, node);
			break;
		default:
			json_string(out, node->u.str, node->len);
		}
		break;
	case KUP_NODE_SEQ:
		kup_buf_addc(out, '[');
		for (i = 0; i < node->len; i++) {
			if (i)
				kup_buf_addc(out, ',');
			to_json(node->u.items[i], out);
		}
		kup_buf_addc(out, ']');
		break;
	case KUP_NODE_MAP:
		kup_buf_addc(out, '{');
		for (i = 0; i < node->len; i++) {
			const struct kup_node *k = node->u.pairs[i].key;
			if (i)
				kup_buf_addc(out, ',');
			if (k && k->kind == KUP_NODE_SCALAR) {
				json_string(out, k->u.str, k->len);
			} else {
				/* A collection as a key: its JSON text, as a string. */
				struct kup_buf kb = KUP_BUF_INIT;
				to_json(k, &kb);
				if (kb.oom)
					out->oom = true;
				else
					json_string(out, kb.buf, kb.len);
				kup_buf_release(&kb);
			}
			kup_buf_addc(out, ':');
			to_json(node->u.pairs[i].value, out);
		}
		kup_buf_addc(out, '}');
		break;
	default:
		kup_buf_adds(out, "null");
	}
}

void kup_node_to_json(const struct kup_node *node, struct kup_buf *out)
{
	to_json(node, out);
}
