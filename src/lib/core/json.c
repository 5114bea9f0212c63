/*
 * json.c - a hand-written streaming JSON reader (see json.h).
 *
 * Why not json-c's tokener: a 300 MB kubectl dump must be read at several
 * hundred MB/s with one item in memory.  json-c stays the reference: the
 * differential fuzzer (tests/fuzz/targets/fuzz_json_diff.c) checks that this
 * reader and json_tokener (JSON_TOKENER_STRICT) agree on every input, except
 * where json-c is more lenient than RFC 8259 (listed in that file).
 *
 * Behaviour worth knowing:
 *  - Input is read in 256 KiB chunks into one reusable buffer (never the whole
 *    file, never mmap).  A token that straddles two chunks is moved to the
 *    start of the buffer; a token longer than the buffer grows it (bounded by
 *    limits.max_scalar).
 *  - A UTF-8 byte order mark at offset 0 is skipped (RFC 8259 forbids it,
 *    but editors on Windows write it).  Columns count characters after it.
 *  - Whitespace is RFC whitespace only: space, tab, CR, LF.  CRLF counts as
 *    one line break.
 *  - Strings must be valid UTF-8 (no overlong forms, no encoded surrogates,
 *    nothing above U+10FFFF); raw control characters (< 0x20) are errors.
 *    \u0000 is kept as a NUL byte inside the text (len counts it).  A lone
 *    surrogate in a \u escape becomes U+FFFD, as json-c does.
 *  - Numbers follow the RFC grammar (no leading zeros, no "1.", no NaN or
 *    Infinity).  Integral literals without fraction or exponent that fit
 *    int64 are KUP_TAG_INT, every other number KUP_TAG_FLOAT; the text is the
 *    literal as written.
 *  - Columns count UTF-8 characters (lead bytes), 1-based.
 *  - Duplicate object keys are kept, in order (the caller decides; json-c
 *    keeps the last).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/json.h"
#include "skip_path.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define JSON_SSE2 1   /* 16 bytes at a time: every x86-64 has SSE2 */
#endif

#define JSON_CHUNK ((size_t)256 << 10)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define JSON_SWAR 1   /* 8 bytes at a time where byte order allows */
#endif
/*
 * Nodes and scalar text are bumped out of slabs of this size taken from the
 * caller's arena (one arena call per slab, not one per node and one per
 * string); text longer than a quarter slab goes to the arena directly.
 */
#define JSON_SLAB ((size_t)16 << 10)
#define DEFAULT_MAX_DEPTH 512
#define DEFAULT_MAX_SCALAR ((size_t)64 << 20)
#define DEFAULT_MAX_DOCUMENT ((size_t)256 << 20)

struct jr {
	/* input: bytes [0, len) of buf; buf[0] is at absolute offset base */
	const char *buf;
	size_t len;
	size_t pos;
	size_t base;
	bool eof;
	struct kup_input *in;
	char *own;
	size_t cap;
	bool io_error;
	bool nomem;

	/*
	 * position: line of pos; col characters counted from the line start up
	 * to col_abs.  While line_ascii holds, every byte from line_start up to
	 * pos is ASCII, so a column is a subtraction and col/col_abs wait.
	 */
	uint32_t line;
	uint32_t col;
	size_t col_abs;
	size_t line_start;
	bool line_ascii;

	/* paths whose values are validated but not built (json.h, skip_paths) */
	struct kup_skip_set skip;

	/* output */
	struct kup_arena *arena;
	char *slab, *slab_end;       /* the free part of the current slab of arena */
	size_t max_depth, max_scalar, max_document;
	size_t nodes, max_nodes;     /* of the current document */
	size_t item;                 /* the streamed item being read, SIZE_MAX: none */
	size_t depth;
	struct kup_node **stk;
	size_t nstk, capstk;
	char *sbuf;
	size_t scap;
	size_t doc_start;

	/* the pending error */
	bool failed;
	bool e_fatal;       /* cannot resynchronise (end of input, limits, memory) */
	bool e_in_string;   /* the error position is inside a string */
	size_t e_depth;
	enum kup_status e_code;
	uint32_t e_line, e_col;
	char e_msg[200];
};

/* ---- input ------------------------------------------------------------------ */

static inline const unsigned char *ubuf(const struct jr *r)
{
	return (const unsigned char *)r->buf;
}

/* Counts characters from col_abs up to `abs` (on the current line). */
static void col_advance(struct jr *r, size_t abs)
{
	const unsigned char *p, *e;
	uint32_t n = 0;

	if (abs <= r->col_abs)
		return;
	if (abs > r->base + r->len)
		abs = r->base + r->len;
	p = ubuf(r) + (r->col_abs - r->base);
	e = ubuf(r) + (abs - r->base);
#ifdef JSON_SWAR
	while (e - p >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		/* continuation bytes: bit 7 set, bit 6 clear */
		v = (v & ~(v << 1) & 0x8080808080808080ull) >> 7;
		n += 8 - (uint32_t)((v * 0x0101010101010101ull) >> 56);
		p += 8;
	}
#endif
	for (; p < e; p++)
		n += (*p & 0xC0) != 0x80;
	r->col += n;
	r->col_abs = abs;
}

static inline uint32_t col_at(struct jr *r, size_t abs)
{
	if (r->line_ascii)
		return (uint32_t)(abs - r->line_start) + 1;
	col_advance(r, abs);
	return r->col + 1;
}

/*
 * Bytes from `abs` (in the buffer) on may not be ASCII: columns are counted
 * from there by col_advance until the next line.  Every byte from the line
 * start up to `abs` is ASCII.
 */
static inline void line_not_ascii(struct jr *r, size_t abs)
{
	if (!r->line_ascii)
		return;
	r->line_ascii = false;
	r->col = (uint32_t)(abs - r->line_start);
	r->col_abs = abs;
}

static inline void newline_at(struct jr *r, size_t rel)
{
	r->line++;
	r->col = 0;
	r->col_abs = r->base + rel + 1;
	r->line_start = r->col_abs;
	r->line_ascii = true;
}

/*
 * Reads more input, keeping the bytes from r->pos on (the token being
 * scanned).  Returns false at the end of input (or on a read error or out
 * of memory, flagged in r).
 */
static bool refill(struct jr *r)
{
	size_t keep = r->pos, n;

	if (r->eof)
		return false;
	if (!r->line_ascii)
		col_advance(r, r->base + keep);
	if (keep > 0) {
		memmove(r->own, r->own + keep, r->len - keep);
		r->len -= keep;
		r->base += keep;
		r->pos = 0;
	}
	if (r->len == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : JSON_CHUNK;
		char *nb;

		if (ncap < r->cap || (nb = kup_realloc(r->own, ncap)) == NULL) {
			r->nomem = true;
			r->eof = true;
			return false;
		}
		r->own = nb;
		r->cap = ncap;
	}
	r->buf = r->own;
	n = kup_input_read(r->in, r->own + r->len, r->cap - r->len);
	if (n == 0) {
		r->eof = true;
		if (r->in->error)
			r->io_error = true;
		return false;
	}
	r->len += n;
	return true;
}

/* Makes at least `need` bytes available from r->pos + off; false at the end. */
static inline bool need(struct jr *r, size_t off, size_t n)
{
	while (r->len - r->pos < off + n)
		if (!refill(r))
			return false;
	return true;
}

/* ---- errors ----------------------------------------------------------------- */

/*
 * Records an error at buffer index `rel` (relative to buf); leaves r->pos
 * there so an items-array resync can start from it.
 */
static void jerr(struct jr *r, size_t rel, bool fatal, bool in_string,
		 enum kup_status code, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static void jerr(struct jr *r, size_t rel, bool fatal, bool in_string,
		 enum kup_status code, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	if (rel > r->len)
		rel = r->len;
	r->failed = true;
	r->e_fatal = fatal;
	r->e_in_string = in_string;
	r->e_depth = r->depth;
	r->e_code = code;
	/* a resync may pass over anything: count characters from here on */
	line_not_ascii(r, r->base + r->pos);
	r->e_line = r->line;
	r->e_col = col_at(r, r->base + rel);
	r->pos = rel;
	va_start(ap, fmt);
	vsnprintf(r->e_msg, sizeof(r->e_msg), fmt, ap);
	va_end(ap);
}

/* The end of input where more was needed: a read error, no memory, or truncation. */
static void jerr_eof(struct jr *r, bool in_string)
{
	if (r->nomem)
		jerr(r, r->len, true, in_string, KUP_NOMEM, "out of memory");
	else if (r->io_error)
		jerr(r, r->len, true, in_string, KUP_IO, "read error");
	else
		jerr(r, r->len, true, in_string, KUP_PARSE, "unexpected end of input");
}

static void jerr_char(struct jr *r, size_t rel, const char *what)
{
	unsigned char c = ubuf(r)[rel];

	if (c > 0x20 && c < 0x7f)
		jerr(r, rel, false, false, KUP_PARSE, "%s, found '%c'", what, c);
	else
		jerr(r, rel, false, false, KUP_PARSE, "%s, found byte 0x%02x", what, c);
}

static void jerr_nomem(struct jr *r)
{
	r->nomem = true;
	jerr(r, r->pos, true, false, KUP_NOMEM, "out of memory");
}

/* ---- building nodes --------------------------------------------------------- */

/* Forgets the current slab: its arena was reset, or another arena is used now. */
static inline void slab_drop(struct jr *r)
{
	r->slab = r->slab_end = NULL;
}

static inline void use_arena(struct jr *r, struct kup_arena *a)
{
	r->arena = a;
	slab_drop(r);
}

static void *jalloc_slow(struct jr *r, size_t size)
{
	char *s;

	if (size > JSON_SLAB / 4) {
		s = kup_arena_alloc(r->arena, size);
	} else if ((s = kup_arena_alloc(r->arena, JSON_SLAB)) != NULL) {
		r->slab = s + size;   /* the arena's blocks are aligned for anything */
		r->slab_end = s + JSON_SLAB;
	}
	if (!s)
		jerr_nomem(r);
	return s;
}

/*
 * `size` bytes aligned to `align` (1 for text, 8 for nodes and arrays) from
 * the current slab, valid until the arena is reset; NULL (the error set)
 * when out of memory.
 */
static inline void *jalloc(struct jr *r, size_t size, size_t align)
{
	if (r->slab) {
		char *p = r->slab + ((0 - (uintptr_t)r->slab) & (align - 1));

		if (p <= r->slab_end && (size_t)(r->slab_end - p) >= size) {
			r->slab = p + size;
			return p;
		}
	}
	return jalloc_slow(r, size);
}

static inline __attribute__((always_inline)) struct kup_node *new_node(struct jr *r, uint8_t kind,
								      size_t rel)
{
	struct kup_node *n;

	if (++r->nodes > r->max_nodes) {
		if (r->item != SIZE_MAX)
			jerr(r, rel, false, false, KUP_TOOBIG,
			     "item %zu holds more than %zu nodes (one per %d bytes of the document "
			     "size limit)", r->item, r->max_nodes, KUP_BYTES_PER_NODE);
		else
			jerr(r, rel, false, false, KUP_TOOBIG,
			     "document holds more than %zu nodes (one per %d bytes of the document "
			     "size limit)", r->max_nodes, KUP_BYTES_PER_NODE);
		return NULL;
	}
	n = jalloc(r, sizeof(*n), 8);
	if (!n)
		return NULL;
	n->kind = kind;
	n->tag = KUP_TAG_STR;
	n->style = kind == KUP_NODE_SCALAR ? KUP_STYLE_PLAIN : KUP_STYLE_FLOW;
	n->line = r->line;
	n->column = col_at(r, r->base + rel);
	n->start = r->base + rel;
	n->end = n->start;
	n->len = 0;
	n->u.str = NULL;
	return n;
}

static bool push_grow(struct jr *r, struct kup_node *n)
{
	if (r->nstk == r->capstk) {
		size_t ncap = r->capstk ? r->capstk * 2 : 256;
		struct kup_node **ns = kup_xrealloc_array(r->stk, ncap, sizeof(*ns));

		if (!ns) {
			jerr_nomem(r);
			return false;
		}
		r->stk = ns;
		r->capstk = ncap;
	}
	r->stk[r->nstk++] = n;
	return true;
}

static inline bool push(struct jr *r, struct kup_node *n)
{
	if (r->nstk < r->capstk) {
		r->stk[r->nstk++] = n;
		return true;
	}
	return push_grow(r, n);
}

static bool scratch(struct jr *r, size_t want)
{
	if (want <= r->scap)
		return true;
	{
		size_t ncap = r->scap ? r->scap : 4096;
		char *nb;

		while (ncap < want)
			ncap *= 2;
		nb = kup_realloc(r->sbuf, ncap);
		if (!nb) {
			jerr_nomem(r);
			return false;
		}
		r->sbuf = nb;
		r->scap = ncap;
	}
	return true;
}

/* ---- whitespace ------------------------------------------------------------- */

/* skip_ws past its two common cases. */
/* Index of the first byte at or after i that is not a space (indentation), or n. */
static inline size_t skip_spaces(const unsigned char *b, size_t i, size_t n)
{
#if defined(JSON_SSE2)
	/* 16 bytes at a time, up to the first other byte */
	while (i + 16 <= n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));

		if (m != 0xFFFF)
			return i + (size_t)__builtin_ctz(~m);
		i += 16;
	}
#elif defined(JSON_SWAR)
	/* 8 bytes at a time */
	for (;;) {
		uint64_t v;

		if (i + 8 > n)
			break;
		memcpy(&v, b + i, 8);
		if (v != 0x2020202020202020ull)
			break;
		i += 8;
	}
#endif
	while (i < n && b[i] == ' ')
		i++;
	return i;
}

/* skip_ws past its two common cases; a line break and its indentation first. */
static __attribute__((noinline)) int skip_ws_run(struct jr *r)
{
	for (;;) {
		const unsigned char *b = ubuf(r);
		size_t i = r->pos, n = r->len, from = r->base + r->pos;

		while (i < n) {
			unsigned c = b[i];

			if (c == '\n') {
				newline_at(r, i);
				i = skip_spaces(b, i + 1, n);
			} else if (c == ' ') {
				i = skip_spaces(b, i + 1, n);
			} else if (c == '\t' || c == '\r') {
				i++;
			} else {
				r->pos = i;
				/*
				 * the column cursor is within this run: whitespace is one
				 * byte a character (on an ASCII line the cursor waits)
				 */
				if (!r->line_ascii && r->col_abs >= from) {
					r->col += (uint32_t)(r->base + i - r->col_abs);
					r->col_abs = r->base + i;
				}
				return (int)c;
			}
		}
		r->pos = n;
		if (!refill(r))
			return -1;
	}
}

/*
 * Skips whitespace; returns the next byte (at r->pos) or -1 at the end.
 * Inline: none at all (before ',' and ':') or one space (after ':').
 */
static inline int skip_ws(struct jr *r)
{
	const unsigned char *b = ubuf(r);
	size_t i = r->pos;

	if (i + 1 < r->len) {
		if (b[i] > ' ')
			return (int)b[i];
		if (b[i] == ' ' && b[i + 1] > ' ') {
			if (!r->line_ascii && r->col_abs >= r->base + i) {   /* as skip_ws_run */
				r->col++;
				r->col_abs = r->base + i + 1;
			}
			r->pos = i + 1;
			return (int)b[i + 1];
		}
	}
	return skip_ws_run(r);
}

/* ---- strings ---------------------------------------------------------------- */

/* Index of the first byte at or after `i` that needs care (" \ < 0x20 >= 0x80), or n. */
static inline size_t scan_plain(const unsigned char *b, size_t i, size_t n)
{
#if defined(JSON_SSE2)
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
		      space = _mm_set1_epi8(' ');

	while (i + 16 <= n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
		/* signed compare: below ' ' holds the control bytes and every byte >= 0x80 */
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
						      _mm_cmpeq_epi8(v, bslash)),
					 _mm_cmplt_epi8(v, space));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);

		if (bits)
			return i + (size_t)__builtin_ctz(bits);
		i += 16;
	}
#endif
#ifdef JSON_SWAR
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;

	while (i + 8 <= n) {
		uint64_t v, q, s, m;

		memcpy(&v, b + i, 8);
		q = v ^ (ones * '"');
		s = v ^ (ones * '\\');
		m = ((q - ones) & ~q) | ((s - ones) & ~s) | ((v - ones * 0x20) & ~v) | v;
		m &= high;
		if (m)
			return i + ((size_t)__builtin_ctzll(m) >> 3);
		i += 8;
	}
#endif
	for (; i < n; i++) {
		unsigned c = b[i];
		if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
			return i;
	}
	return n;
}

static int hexval(unsigned c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	return -1;
}

static long hex4(const unsigned char *p)
{
	int a = hexval(p[0]), b = hexval(p[1]), c = hexval(p[2]), d = hexval(p[3]);

	if ((a | b | c | d) < 0)
		return -1;
	return (long)((a << 12) | (b << 8) | (c << 4) | d);
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Length of the UTF-8 sequence that lead byte c starts (strict), 0 when c cannot lead. */
static size_t utf8_len(unsigned c)
{
	if (c >= 0xC2 && c <= 0xDF)
		return 2;
	if (c >= 0xE0 && c <= 0xEF)
		return 3;
	if (c >= 0xF0 && c <= 0xF4)
		return 4;
	return 0;
}

/* Validates the k-byte sequence at p (no overlong, no surrogates, <= U+10FFFF). */
static bool utf8_ok(const unsigned char *p, size_t k)
{
	size_t i;
	unsigned lo = 0x80, hi = 0xBF;

	switch (p[0]) {
	case 0xE0: lo = 0xA0; break;
	case 0xED: hi = 0x9F; break;
	case 0xF0: lo = 0x90; break;
	case 0xF4: hi = 0x8F; break;
	default: break;
	}
	if (p[1] < lo || p[1] > hi)
		return false;
	for (i = 2; i < k; i++)
		if ((p[i] & 0xC0) != 0x80)
			return false;
	return true;
}

static bool too_long(struct jr *r, size_t raw, size_t rel)
{
	if (raw <= r->max_scalar)
		return false;
	jerr(r, rel, true, true, KUP_TOOBIG, "string longer than %zu bytes", r->max_scalar);
	return true;
}

/*
 * The slow path: escapes, non-ASCII or control characters.  `off` is the
 * scan offset (from the opening quote at r->pos) of the first such byte.
 */
static bool parse_string_slow(struct jr *r, struct kup_node *n, size_t off)
{
	size_t olen = off - 1;
	char *text;

	if (!scratch(r, olen + (r->len - r->pos - off) + 16))
		return false;
	memcpy(r->sbuf, r->buf + r->pos + 1, olen);
	for (;;) {
		const unsigned char *b = ubuf(r) + r->pos;
		size_t avail = r->len - r->pos, s = off;
		unsigned c;

		if (!scratch(r, olen + (avail - off) + 16))
			return false;
#if defined(JSON_SSE2)
		/*
		 * Copy while scanning, 16 bytes at a time (scratch has 16 bytes
		 * of room past the rest of the input): the stretches between the
		 * escapes of an annotation's JSON are short.
		 */
		while (off + 16 <= avail) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + off));
			unsigned bits = (unsigned)_mm_movemask_epi8(_mm_or_si128(
				_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
					     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
				_mm_cmplt_epi8(v, _mm_set1_epi8(' '))));

			_mm_storeu_si128((__m128i *)(void *)(r->sbuf + olen), v);
			if (bits) {
				size_t k = (size_t)__builtin_ctz(bits);
				unsigned e;

				off += k;
				olen += k;
				/*
				 * \" \\ \/ \n \t go on here (one output byte for two:
				 * scratch still has room); anything else, the end of the
				 * string or a length past the limit below.
				 */
				if (b[off] != '\\' || off + 1 >= avail || off - 1 > r->max_scalar)
					goto special;
				e = b[off + 1];
				if (e == '"' || e == '\\' || e == '/')
					r->sbuf[olen] = (char)e;
				else if (e == 'n')
					r->sbuf[olen] = '\n';
				else if (e == 't')
					r->sbuf[olen] = '\t';
				else
					goto special;
				olen++;
				off += 2;
				continue;
			}
			off += 16;
			olen += 16;
		}
		s = off;
#endif
		off = scan_plain(b, off, avail);
		memcpy(r->sbuf + olen, b + s, off - s);
		olen += off - s;
#if defined(JSON_SSE2)
	special:
#endif
		if (too_long(r, off - 1, r->pos + off))
			return false;
		if (off == avail) {
			if (!refill(r)) {
				jerr_eof(r, true);
				return false;
			}
			continue;
		}
		c = b[off];
		if (c == '"')
			break;
		if (c == '\\') {
			unsigned e;

			if (!need(r, off, 2)) {
				jerr_eof(r, true);
				return false;
			}
			b = ubuf(r) + r->pos;
			e = b[off + 1];
			switch (e) {
			case '"': case '\\': case '/':
				r->sbuf[olen++] = (char)e; off += 2; continue;
			case 'b': r->sbuf[olen++] = '\b'; off += 2; continue;
			case 'f': r->sbuf[olen++] = '\f'; off += 2; continue;
			case 'n': r->sbuf[olen++] = '\n'; off += 2; continue;
			case 'r': r->sbuf[olen++] = '\r'; off += 2; continue;
			case 't': r->sbuf[olen++] = '\t'; off += 2; continue;
			case 'u': {
				long cp;

				if (!need(r, off, 6)) {
					size_t i, have = r->len - r->pos - off;

					b = ubuf(r) + r->pos;
					for (i = 2; i < have && !r->nomem && !r->io_error; i++)
						if (hexval(b[off + i]) < 0) {
							jerr(r, r->pos + off, false, true, KUP_PARSE,
							     "invalid \\u escape in string");
							return false;
						}
					jerr_eof(r, true);
					return false;
				}
				b = ubuf(r) + r->pos;
				cp = hex4(b + off + 2);
				if (cp < 0) {
					jerr(r, r->pos + off, false, true, KUP_PARSE,
					     "invalid \\u escape in string");
					return false;
				}
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					long lo = -1;

					/* A pair needs 12 bytes; at the end of input it is a lone surrogate. */
					if (need(r, off, 12)) {
						b = ubuf(r) + r->pos;
						if (b[off + 6] == '\\' && b[off + 7] == 'u')
							lo = hex4(b + off + 8);
					} else if (r->nomem || r->io_error) {
						jerr_eof(r, true);
						return false;
					}
					if (lo >= 0xDC00 && lo <= 0xDFFF) {
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						off += 12;
					} else {
						cp = 0xFFFD;
						off += 6;
					}
				} else {
					if (cp >= 0xDC00 && cp <= 0xDFFF)
						cp = 0xFFFD;
					off += 6;
				}
				olen += put_utf8(r->sbuf + olen, (uint32_t)cp);
				continue;
			}
			default:
				if (e > 0x20 && e < 0x7f)
					jerr(r, r->pos + off, false, true, KUP_PARSE,
					     "invalid escape '\\%c' in string", e);
				else
					jerr(r, r->pos + off, false, true, KUP_PARSE,
					     "invalid escape in string");
				return false;
			}
		}
		if (c < 0x20) {
			jerr(r, r->pos + off, false, true, KUP_PARSE,
			     "control character U+%04X in string must be escaped", c);
			return false;
		}
		line_not_ascii(r, r->base + r->pos);   /* the opening quote; ASCII up to it */
		{
			size_t k = utf8_len(c), have;

			if (k == 0) {
				jerr(r, r->pos + off, false, true, KUP_PARSE, "invalid UTF-8 in string");
				return false;
			}
			if (!need(r, off, k)) {
				if (r->nomem || r->io_error) {
					jerr_eof(r, true);
					return false;
				}
				/* Truncated at the end of input: invalid if what is there is already wrong. */
				b = ubuf(r) + r->pos;
				have = r->len - r->pos - off;
				for (size_t i = 1; i < have; i++)
					if ((b[off + i] & 0xC0) != 0x80) {
						jerr(r, r->pos + off, false, true, KUP_PARSE,
						     "invalid UTF-8 in string");
						return false;
					}
				jerr_eof(r, true);
				return false;
			}
			b = ubuf(r) + r->pos;
			if (!utf8_ok(b + off, k)) {
				jerr(r, r->pos + off, false, true, KUP_PARSE, "invalid UTF-8 in string");
				return false;
			}
			memcpy(r->sbuf + olen, b + off, k);
			olen += k;
			off += k;
		}
	}
	text = jalloc(r, olen + 1, 1);
	if (!text)
		return false;
	memcpy(text, r->sbuf, olen);
	text[olen] = '\0';
	n->u.str = text;
	n->len = olen;
	n->end = r->base + r->pos + off + 1;
	r->pos += off + 1;
	return true;
}

/* A string at r->pos (the opening quote) into a new scalar node. */
static inline __attribute__((always_inline)) struct kup_node *parse_string(struct jr *r)
{
	struct kup_node *n = new_node(r, KUP_NODE_SCALAR, r->pos);
	size_t off = 1;
	const unsigned char *b;
	char *text;

	if (!n)
		return NULL;
	n->style = KUP_STYLE_DOUBLE;
	for (;;) {
		size_t avail = r->len - r->pos;

		b = ubuf(r) + r->pos;
		off = scan_plain(b, off, avail);
		if (off < avail)
			break;
		if (too_long(r, off - 1, r->pos + off))
			return NULL;
		if (!refill(r)) {
			jerr_eof(r, true);
			return NULL;
		}
	}
	if (b[off] != '"')
		return parse_string_slow(r, n, off) ? n : NULL;
	if (too_long(r, off - 1, r->pos + off))
		return NULL;
#if defined(JSON_SSE2)
	if (off <= 16 && r->len - r->pos >= 17) {
		/* a short string (most keys): one 16-byte copy, the bytes after it overwritten below */
		text = jalloc(r, 16, 1);
		if (!text)
			return NULL;
		_mm_storeu_si128((__m128i *)(void *)text,
				 _mm_loadu_si128((const __m128i *)(const void *)(b + 1)));
	} else
#endif
	{
		text = jalloc(r, off, 1);
		if (!text)
			return NULL;
		memcpy(text, b + 1, off - 1);
	}
	text[off - 1] = '\0';
	n->u.str = text;
	n->len = off - 1;
	n->end = r->base + r->pos + off + 1;
	r->pos += off + 1;
	return n;
}

/* ---- numbers and literals --------------------------------------------------- */

static inline bool is_digit(unsigned c)
{
	return c - '0' < 10;
}

/* A byte that may not directly follow a number or literal. */
static inline bool is_word(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
	       c == '_' || c == '.' || c == '+' || c == '-' || c >= 0x80;
}

/* Checks the byte after a number or literal (at r->pos + off). */
static bool check_delim(struct jr *r, size_t off, const char *what)
{
	if (!need(r, off, 1)) {
		if (r->nomem || r->io_error) {
			jerr_eof(r, false);
			return false;
		}
		return true;   /* the end of input is a delimiter */
	}
	if (is_word(ubuf(r)[r->pos + off])) {
		jerr(r, r->pos + off, false, false, KUP_PARSE, "invalid %s", what);
		return false;
	}
	return true;
}

static struct kup_node *parse_number(struct jr *r)
{
	struct kup_node *n = new_node(r, KUP_NODE_SCALAR, r->pos);
	const unsigned char *b;
	size_t off = 0, i = 0, end;
	bool integral = true, neg = false;
	char *text;

	if (!n)
		return NULL;
	/* Find the span of number characters, refilling across chunk ends. */
	for (;;) {
		size_t avail = r->len - r->pos;

		b = ubuf(r) + r->pos;
		while (off < avail) {
			unsigned c = b[off];
			if (is_digit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')
				off++;
			else
				break;
		}
		if (off > r->max_scalar) {
			jerr(r, r->pos, true, false, KUP_TOOBIG, "number longer than %zu bytes",
			     r->max_scalar);
			return NULL;
		}
		if (off < avail || !refill(r))
			break;
	}
	if (r->nomem || r->io_error) {
		jerr_eof(r, false);
		return NULL;
	}
	b = ubuf(r) + r->pos;
	end = off;
	if (i < end && b[i] == '-') {
		neg = true;
		i++;
	}
	if (i >= end || !is_digit(b[i]))
		goto bad;
	if (b[i] == '0') {
		i++;
		if (i < end && is_digit(b[i])) {
			jerr(r, r->pos + i - 1, false, false, KUP_PARSE, "leading zero in number");
			return NULL;
		}
	} else {
		while (i < end && is_digit(b[i]))
			i++;
	}
	if (i < end && b[i] == '.') {
		integral = false;
		i++;
		if (i >= end || !is_digit(b[i]))
			goto bad;
		while (i < end && is_digit(b[i]))
			i++;
	}
	if (i < end && (b[i] == 'e' || b[i] == 'E')) {
		integral = false;
		i++;
		if (i < end && (b[i] == '+' || b[i] == '-'))
			i++;
		if (i >= end || !is_digit(b[i]))
			goto bad;
		while (i < end && is_digit(b[i]))
			i++;
	}
	if (i != end)
		goto bad;
	if (!check_delim(r, end, "number"))
		return NULL;
	b = ubuf(r) + r->pos;
	if (integral) {
		uint64_t v = 0;
		size_t k;

		for (k = neg ? 1 : 0; k < end; k++) {
			unsigned d = b[k] - '0';
			if (v > (UINT64_MAX - d) / 10) {
				integral = false;
				break;
			}
			v = v * 10 + d;
		}
		if (integral && v > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
			integral = false;
	}
	n->tag = integral ? KUP_TAG_INT : KUP_TAG_FLOAT;
	text = jalloc(r, end + 1, 1);
	if (!text)
		return NULL;
	memcpy(text, b, end);
	text[end] = '\0';
	n->u.str = text;
	n->len = end;
	n->end = n->start + end;
	r->pos += end;
	return n;
bad:
	if (i >= end && r->eof && end == r->len - r->pos) {
		jerr_eof(r, false);   /* "-", "1.", "1e+" cut off by the end of input */
		return NULL;
	}
	jerr(r, r->pos + (i < end ? i : end), false, false, KUP_PARSE, "invalid number");
	return NULL;
}

static struct kup_node *parse_literal(struct jr *r, const char *word, size_t wlen,
				      uint8_t tag)
{
	struct kup_node *n = new_node(r, KUP_NODE_SCALAR, r->pos);
	const unsigned char *b;
	size_t have, i;

	if (!n)
		return NULL;
	need(r, 0, wlen);
	if (r->nomem || r->io_error) {
		jerr_eof(r, false);
		return NULL;
	}
	b = ubuf(r) + r->pos;
	have = r->len - r->pos;
	for (i = 0; i < wlen; i++) {
		if (i >= have) {
			jerr_eof(r, false);
			return NULL;
		}
		if (b[i] != (unsigned char)word[i]) {
			jerr(r, r->pos + i, false, false, KUP_PARSE, "invalid literal (expected '%s')", word);
			return NULL;
		}
	}
	if (!check_delim(r, wlen, "literal"))
		return NULL;
	n->tag = tag;
	n->u.str = word;   /* static text: valid for as long as anything */
	n->len = wlen;
	n->end = n->start + wlen;
	r->pos += wlen;
	return n;
}

/* ---- values ----------------------------------------------------------------- */

static struct kup_node *parse_value(struct jr *r, int c, unsigned act, size_t pd);
static bool skip_value(struct jr *r, int c);

static bool check_doc_size(struct jr *r)
{
	if (r->base + r->pos - r->doc_start <= r->max_document)
		return true;
	if (r->item != SIZE_MAX)   /* a streamed item: skipped, the next one is read */
		jerr(r, r->pos, false, false, KUP_TOOBIG, "item %zu is larger than %zu bytes",
		     r->item, r->max_document);
	else
		jerr(r, r->pos, true, false, KUP_TOOBIG, "document larger than %zu bytes",
		     r->max_document);
	return false;
}

static bool enter(struct jr *r)
{
	if (r->depth >= r->max_depth) {
		jerr(r, r->pos, false, false, KUP_TOOBIG, "nesting deeper than %zu", r->max_depth);
		return false;
	}
	r->depth++;
	return true;
}

static bool finish_seq(struct jr *r, struct kup_node *n, size_t base)
{
	size_t cnt = r->nstk - base;

	n->len = cnt;
	n->u.items = NULL;
	if (cnt) {
		n->u.items = jalloc(r, cnt * sizeof(*n->u.items), 8);
		if (!n->u.items)
			return false;
		memcpy(n->u.items, r->stk + base, cnt * sizeof(*n->u.items));
	}
	r->nstk = base;
	return true;
}

static bool finish_map(struct jr *r, struct kup_node *n, size_t base)
{
	size_t cnt = (r->nstk - base) / 2;

	n->len = cnt;
	n->u.pairs = NULL;
	if (cnt) {
		n->u.pairs = jalloc(r, cnt * sizeof(*n->u.pairs), 8);
		if (!n->u.pairs)
			return false;
		/* the stack holds key, value, key, value ...: the layout of the pairs */
		_Static_assert(sizeof(struct kup_pair) == 2 * sizeof(struct kup_node *) &&
				       offsetof(struct kup_pair, value) == sizeof(struct kup_node *),
			       "struct kup_pair is two node pointers");
		memcpy(n->u.pairs, r->stk + base, cnt * sizeof(*n->u.pairs));
	}
	r->nstk = base;
	return true;
}

/* The skip paths (a mask of r->skip) still matching below an array at path depth pd. */
static unsigned elem_act(const struct jr *r, unsigned act, size_t pd)
{
	bool skip;

	return kup_skip_below(&r->skip, act, pd, NULL, 0, &skip);
}

/*
 * The skip paths still matching below member `key` of an object at path
 * depth pd; *skip set when one of them ends there.
 */
static unsigned member_act(const struct jr *r, unsigned act, size_t pd,
			   const struct kup_node *key, bool *skip)
{
	return kup_skip_below(&r->skip, act, pd, key->u.str, key->len, skip);
}

static struct kup_node *parse_array(struct jr *r, unsigned act, size_t pd)
{
	struct kup_node *n;
	size_t base = r->nstk;
	int c;

	if (act)
		act = elem_act(r, act, pd);

	if (!enter(r))
		return NULL;
	n = new_node(r, KUP_NODE_SEQ, r->pos);
	if (!n)
		return NULL;
	r->pos++;
	c = skip_ws(r);
	if (c != ']') {
		for (;;) {
			struct kup_node *v;

			if (c < 0) {
				jerr_eof(r, false);
				return NULL;
			}
			v = parse_value(r, c, act, pd + 1);
			if (!v || !push(r, v))
				return NULL;
			c = skip_ws(r);
			if (c == ',') {
				r->pos++;
				c = skip_ws(r);
				continue;
			}
			if (c == ']')
				break;
			if (c < 0)
				jerr_eof(r, false);
			else
				jerr_char(r, r->pos, "expected ',' or ']' after array element");
			return NULL;
		}
	}
	r->pos++;
	n->end = r->base + r->pos;
	r->depth--;
	if (!finish_seq(r, n, base))
		return NULL;
	return n;
}

/* After a key: expects ':' and leaves r->pos at the value's first byte (in *vc). */
static inline __attribute__((always_inline)) bool key_colon(struct jr *r, int *vc)
{
	int c = skip_ws(r);

	if (c != ':') {
		if (c < 0)
			jerr_eof(r, false);
		else
			jerr_char(r, r->pos, "expected ':' after object key");
		return false;
	}
	r->pos++;
	c = skip_ws(r);
	if (c < 0) {
		jerr_eof(r, false);
		return false;
	}
	*vc = c;
	return true;
}

/* After '{' or ',': expects a key, ':' and leaves r->pos at the value's first byte. */
static inline __attribute__((always_inline)) struct kup_node *parse_key(struct jr *r, int c,
								       int *vc)
{
	struct kup_node *k;

	if (c != '"') {
		if (c < 0)
			jerr_eof(r, false);
		else
			jerr_char(r, r->pos, "expected a string as object key");
		return NULL;
	}
	k = parse_string(r);
	if (!k || !key_colon(r, vc))
		return NULL;
	return k;
}

/* After a member: ',' (then the next key's first byte in *c) or '}' (returns 1); 0 on error. */
static inline __attribute__((always_inline)) int after_member(struct jr *r, int *c)
{
	*c = skip_ws(r);
	if (*c == ',') {
		r->pos++;
		*c = skip_ws(r);
		return 2;
	}
	if (*c == '}')
		return 1;
	if (*c < 0)
		jerr_eof(r, false);
	else
		jerr_char(r, r->pos, "expected ',' or '}' after object member");
	return 0;
}

static struct kup_node *parse_object(struct jr *r, unsigned act, size_t pd)
{
	struct kup_node *n;
	size_t base = r->nstk;
	int c;

	if (!enter(r))
		return NULL;
	n = new_node(r, KUP_NODE_MAP, r->pos);
	if (!n)
		return NULL;
	r->pos++;
	c = skip_ws(r);
	if (c != '}') {
		for (;;) {
			struct kup_node *k, *v;
			int vc, st;

			k = parse_key(r, c, &vc);
			if (!k)
				return NULL;
			if (act) {
				bool skip;
				unsigned cact = member_act(r, act, pd, k, &skip);

				if (skip) {
					/* validated, left out of the map */
					if (!skip_value(r, vc))
						return NULL;
					goto next;
				}
				v = parse_value(r, vc, cact, pd + 1);
			} else {
				v = parse_value(r, vc, 0, 0);
			}
			if (!v || !push(r, k) || !push(r, v))
				return NULL;
		next:
			st = after_member(r, &c);
			if (st == 0)
				return NULL;
			if (st == 1)
				break;
		}
	}
	r->pos++;
	n->end = r->base + r->pos;
	r->depth--;
	if (!finish_map(r, n, base))
		return NULL;
	return n;
}

/*
 * The value whose first byte c is at r->pos.  act: the skip paths (a mask
 * of r->skip) that match the path down to here, pd components long.
 */
static struct kup_node *parse_value(struct jr *r, int c, unsigned act, size_t pd)
{
	if (!check_doc_size(r))
		return NULL;
	switch (c) {
	case '"':
		return parse_string(r);
	case '{':
		return parse_object(r, act, pd);
	case '[':
		return parse_array(r, act, pd);
	case 't':
		return parse_literal(r, "true", 4, KUP_TAG_BOOL);
	case 'f':
		return parse_literal(r, "false", 5, KUP_TAG_BOOL);
	case 'n':
		return parse_literal(r, "null", 4, KUP_TAG_NULL);
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return parse_number(r);
	default:
		jerr_char(r, r->pos, "expected a value");
		return NULL;
	}
}

/* ---- skipping: validated as parse_value would, nothing built ------------------ */

/*
 * Undoes what a parse that built something for a skipped value took: its
 * nodes are not counted, and its memory is handed back when the slab is
 * still the same.
 */
struct jmark {
	char *slab, *slab_end;
	size_t nodes;
};

static inline struct jmark mark(const struct jr *r)
{
	struct jmark m = { r->slab, r->slab_end, r->nodes };
	return m;
}

static inline void unwind(struct jr *r, struct jmark m)
{
	if (r->slab_end == m.slab_end && m.slab)
		r->slab = m.slab;
	r->nodes = m.nodes;
}

/* A string at r->pos; the rare ones with escapes or non-ASCII text go through parse_string. */
static bool skip_string(struct jr *r)
{
	const unsigned char *b;
	size_t off = 1;

	for (;;) {
		size_t avail = r->len - r->pos;

		b = ubuf(r) + r->pos;
		off = scan_plain(b, off, avail);
		if (off < avail)
			break;
		if (too_long(r, off - 1, r->pos + off))
			return false;
		if (!refill(r)) {
			jerr_eof(r, true);
			return false;
		}
	}
	if (b[off] != '"') {
		struct jmark m = mark(r);
		bool ok = parse_string(r) != NULL;

		unwind(r, m);
		return ok;
	}
	if (too_long(r, off - 1, r->pos + off))
		return false;
	r->pos += off + 1;
	return true;
}

static bool skip_array(struct jr *r)
{
	int c;

	if (!enter(r))
		return false;
	r->pos++;
	c = skip_ws(r);
	if (c != ']') {
		for (;;) {
			if (c < 0) {
				jerr_eof(r, false);
				return false;
			}
			if (!skip_value(r, c))
				return false;
			c = skip_ws(r);
			if (c == ',') {
				r->pos++;
				c = skip_ws(r);
				continue;
			}
			if (c == ']')
				break;
			if (c < 0)
				jerr_eof(r, false);
			else
				jerr_char(r, r->pos, "expected ',' or ']' after array element");
			return false;
		}
	}
	r->pos++;
	r->depth--;
	return true;
}

static bool skip_object(struct jr *r)
{
	int c;

	if (!enter(r))
		return false;
	r->pos++;
	c = skip_ws(r);
	if (c != '}') {
		for (;;) {
			int vc, st;

			if (c != '"') {
				if (c < 0)
					jerr_eof(r, false);
				else
					jerr_char(r, r->pos, "expected a string as object key");
				return false;
			}
			if (!skip_string(r) || !key_colon(r, &vc) || !skip_value(r, vc))
				return false;
			st = after_member(r, &c);
			if (st == 0)
				return false;
			if (st == 1)
				break;
		}
	}
	r->pos++;
	r->depth--;
	return true;
}

/*
 * Reads past the value whose first byte c is at r->pos, checking it as
 * parse_value does (the same errors at the same places) without building it.
 * Its array and object loops mirror parse_value's on purpose (a `duplicates`
 * run lists the pair): one skips and allocates nothing, the other builds
 * nodes; they are kept apart rather than one loop with a build flag.
 */
static bool skip_value(struct jr *r, int c)
{
	if (!check_doc_size(r))
		return false;
	switch (c) {
	case '"':
		return skip_string(r);
	case '{':
		return skip_object(r);
	case '[':
		return skip_array(r);
	default: {
		/* numbers and literals: few, parsed and dropped */
		struct jmark m = mark(r);
		bool ok = parse_value(r, c, 0, 0) != NULL;

		unwind(r, m);
		return ok;
	}
	}
}

/* ---- deep copy (the wrapper members around a streamed items array) ---------- */

static struct kup_node *copy_node(struct jr *r, struct kup_arena *a, const struct kup_node *s)
{
	struct kup_node *d = kup_arena_alloc(a, sizeof(*d));
	size_t i;

	if (!d) {
		jerr_nomem(r);
		return NULL;
	}
	*d = *s;
	if (s->kind == KUP_NODE_SCALAR) {
		if (s->tag == KUP_TAG_BOOL || s->tag == KUP_TAG_NULL)
			return d;   /* static text */
		{
			char *t = kup_arena_alloc(a, s->len + 1);

			if (!t) {
				jerr_nomem(r);
				return NULL;
			}
			memcpy(t, s->u.str, s->len + 1);   /* may hold NUL bytes (\u0000) */
			d->u.str = t;
		}
	} else if (s->kind == KUP_NODE_SEQ) {
		if (!s->len)
			return d;
		d->u.items = kup_arena_alloc(a, s->len * sizeof(*d->u.items));
		if (!d->u.items) {
			jerr_nomem(r);
			return NULL;
		}
		for (i = 0; i < s->len; i++)
			if (!(d->u.items[i] = copy_node(r, a, s->u.items[i])))
				return NULL;
	} else {
		if (!s->len)
			return d;
		d->u.pairs = kup_arena_alloc(a, s->len * sizeof(*d->u.pairs));
		if (!d->u.pairs) {
			jerr_nomem(r);
			return NULL;
		}
		for (i = 0; i < s->len; i++) {
			d->u.pairs[i].key = copy_node(r, a, s->u.pairs[i].key);
			d->u.pairs[i].value = copy_node(r, a, s->u.pairs[i].value);
			if (!d->u.pairs[i].key || !d->u.pairs[i].value)
				return NULL;
		}
	}
	return d;
}

/* ---- the document stream ---------------------------------------------------- */

struct jrun {
	struct jr r;
	const struct kup_json_opts *opts;
	struct kup_arena *arena;   /* the caller's */
	struct kup_arena priv;     /* the wrapper around a streamed items array */
	kup_doc_fn fn;
	void *ctx;
	const char *text;          /* whole input (mem), else NULL */
	size_t text_len;
	size_t ndocs;
	size_t nerrors;
	enum kup_status stop;      /* the callback's status, or KUP_NOMEM */
};

static void report(struct jrun *j)
{
	struct jr *r = &j->r;

	j->nerrors++;
	kup_error_report(&j->opts->errors, r->e_code, j->opts->path, r->e_line, r->e_col,
			 "%s", r->e_msg);
	if (r->e_code == KUP_NOMEM)
		j->stop = KUP_NOMEM;
}

static bool deliver(struct jrun *j, struct kup_node *root, size_t index, bool list_item)
{
	struct kup_doc d;
	enum kup_status st;

	d.root = root;
	d.index = index;
	d.line = root->line;
	d.start = root->start;
	d.end = root->end;
	d.path = j->opts->path;
	/* The document's own text (node.h), when the whole input is in memory. */
	d.text = j->text && d.end <= j->text_len ? j->text + d.start : NULL;
	d.text_len = d.text ? d.end - d.start : 0;
	d.list_item = list_item;
	st = j->fn ? j->fn(j->ctx, &d) : KUP_OK;
	kup_arena_reset(j->arena);
	slab_drop(&j->r);
	if (st != KUP_OK) {
		j->stop = st;
		return false;
	}
	return true;
}

/*
 * After an error inside an item at r->pos: skips to the end of that item by
 * bracket depth, respecting strings.  Returns ',' or ']' (at r->pos) when the
 * items array can go on, -1 when it cannot.
 */
static int resync(struct jr *r, size_t nest, bool in_str)
{
	for (;;) {
		const unsigned char *b = ubuf(r);
		size_t i = r->pos, n = r->len;

		while (i < n) {
			unsigned c = b[i];

			if (c >= 0x80)
				line_not_ascii(r, r->base + i);
			if (c == '\n') {
				newline_at(r, i);
			} else if (in_str) {
				if (c == '\\') {
					if (i + 1 >= n)
						break;
					i++;
					if (b[i] >= 0x80)
						line_not_ascii(r, r->base + i);
					if (b[i] == '\n')
						newline_at(r, i);
				} else if (c == '"') {
					in_str = false;
				}
			} else if (c == '"') {
				in_str = true;
			} else if (c == '[' || c == '{') {
				nest++;
			} else if (c == ']' || c == '}') {
				if (nest == 0) {
					r->pos = i;
					return c == ']' ? ']' : -1;
				}
				nest--;
			} else if (c == ',' && nest == 0) {
				r->pos = i;
				return ',';
			}
			i++;
		}
		r->pos = i;
		if (!refill(r))
			return -1;
	}
}

/* The items array at r->pos ('['): each element is a document. */
/*
 * Streams the array at r->pos, each element a document of index *pidx,
 * *pidx + 1, ... (*pidx is left one past the last element).
 */
static bool stream_items(struct jrun *j, size_t *pidx)
{
	struct jr *r = &j->r;
	size_t base = r->nstk, depth = r->depth;
	int c;

	r->pos++;
	r->depth++;   /* the items array itself */
	c = skip_ws(r);
	if (c == ']') {
		r->pos++;
		r->depth = depth;
		return true;
	}
	for (;;) {
		struct kup_node *v = NULL;

		r->doc_start = r->base + r->pos;
		r->nodes = 0;
		r->item = *pidx;
		if (c < 0)
			jerr_eof(r, false);
		else
			v = parse_value(r, c, r->skip.root, 0);
		if (v) {
			if (!deliver(j, v, *pidx, true))
				return false;
			c = skip_ws(r);
			if (c == ',') {
				r->pos++;
				c = skip_ws(r);
				(*pidx)++;
				if (c == ']') {
					jerr_char(r, r->pos, "expected a value");
					report(j);
					r->failed = false;
					break;
				}
				continue;
			}
			if (c == ']')
				break;
			if (c < 0)
				jerr_eof(r, false);
			else
				jerr_char(r, r->pos, "expected ',' or ']' after array element");
			r->depth = depth + 1;
			r->e_depth = depth + 1;
		}
		/* A bad item: report it and try to carry on with the next one. */
		report(j);
		kup_arena_reset(j->arena);
		slab_drop(r);
		r->nstk = base;
		if (r->e_fatal) {
			r->failed = false;   /* reported */
			return false;
		}
		c = resync(r, r->e_depth > depth + 1 ? r->e_depth - depth - 1 : 0, r->e_in_string);
		r->failed = false;
		r->depth = depth + 1;
		if (c < 0) {
			if (r->nomem || r->io_error || r->pos >= r->len) {
				/* the resync ran into the end: the file ends inside the array */
				jerr_eof(r, false);
			} else {
				jerr_char(r, r->pos, "cannot find the end of the bad item");
			}
			r->e_fatal = true;
			return false;   /* caller sees r->failed: reported there */
		}
		if (c == ']')
			break;
		r->pos++;
		c = skip_ws(r);
		(*pidx)++;
	}
	r->pos++;
	r->depth = depth;
	(*pidx)++;   /* one past the last element */
	return true;
}

/* A top-level object at r->pos, streaming a member `items` that is an array. */
static struct kup_node *parse_top_object(struct jrun *j, bool *streamed)
{
	struct jr *r = &j->r;
	struct kup_node *n;
	size_t base = r->nstk, k;
	int c;

	*streamed = false;
	if (!enter(r))
		return NULL;
	n = new_node(r, KUP_NODE_MAP, r->pos);
	if (!n)
		return NULL;
	r->pos++;
	c = skip_ws(r);
	if (c != '}') {
		for (;;) {
			struct kup_node *key, *v;
			int vc, st;

			key = parse_key(r, c, &vc);
			if (!key)
				return NULL;
			if (!*streamed && vc == '[' && key->len == 5 && memcmp(key->u.str, "items", 5) == 0) {
				/* Move what we have (and the map node) out of the caller's arena. */
				for (k = base; k < r->nstk; k++)
					if (!(r->stk[k] = copy_node(r, &j->priv, r->stk[k])))
						return NULL;
				if (!(n = copy_node(r, &j->priv, n)))
					return NULL;
				kup_arena_reset(j->arena);
				use_arena(r, j->arena);
				*streamed = true;
				size_t idx = 0;

				if (!stream_items(j, &idx))
					return NULL;
				use_arena(r, &j->priv);
				r->doc_start = r->base + r->pos;
				r->nodes = 0;
				r->item = SIZE_MAX;
			} else {
				bool skip = false;
				unsigned cact = r->skip.root ? member_act(r, r->skip.root, 0, key, &skip) : 0;

				if (skip) {
					if (!skip_value(r, vc))
						return NULL;
				} else {
					v = parse_value(r, vc, cact, 1);
					if (!v || !push(r, key) || !push(r, v))
						return NULL;
				}
			}
			st = after_member(r, &c);
			if (st == 0)
				return NULL;
			if (st == 1)
				break;
		}
	}
	r->pos++;
	n->end = r->base + r->pos;
	r->depth--;
	if (!finish_map(r, n, base))
		return NULL;
	return n;
}

static void skip_bom(struct jr *r)
{
	const unsigned char *b;

	if (!need(r, 0, 3))
		return;
	b = ubuf(r) + r->pos;
	if (b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
		r->pos += 3;
		r->col_abs = r->base + r->pos;
		r->line_start = r->col_abs;
	}
}

static void jr_init(struct jr *r, const struct kup_read_limits *l, struct kup_arena *arena)
{
	memset(r, 0, sizeof(*r));
	r->line = 1;
	r->line_ascii = true;
	r->arena = arena;
	r->max_depth = l && l->max_depth ? l->max_depth : DEFAULT_MAX_DEPTH;
	r->max_scalar = l && l->max_scalar ? l->max_scalar : DEFAULT_MAX_SCALAR;
	r->max_document = l && l->max_document ? l->max_document : DEFAULT_MAX_DOCUMENT;
	r->item = SIZE_MAX;
	r->max_nodes = l && l->max_nodes ? l->max_nodes : r->max_document / KUP_BYTES_PER_NODE;
	if (!r->max_nodes)
		r->max_nodes = 1;
}

static void jr_release(struct jr *r)
{
	free(r->own);
	free(r->stk);
	free(r->sbuf);
}

static enum kup_status run(struct jrun *j, size_t *nerrors)
{
	struct jr *r = &j->r;
	bool stream = j->opts->stream_items;

	skip_bom(r);
	for (;;) {
		struct kup_node *v;
		bool streamed = false;
		int c = skip_ws(r);

		if (c < 0) {
			if (r->nomem || r->io_error) {
				jerr_eof(r, false);
				report(j);
			}
			break;
		}
		r->doc_start = r->base + r->pos;
		r->nodes = 0;
		r->item = SIZE_MAX;
		r->depth = 0;
		r->nstk = 0;
		if (c == '[' && stream) {
			/* A top-level array is read like a List's items: one element at a time. */
			use_arena(r, j->arena);
			if (!stream_items(j, &j->ndocs)) {
				if (r->failed)
					report(j);
				break;
			}
			use_arena(r, j->arena);
			continue;
		} else if (c == '{' && stream) {
			use_arena(r, j->arena);
			v = parse_top_object(j, &streamed);
		} else {
			v = parse_value(r, c, r->skip.root, 0);
		}
		if (j->stop != KUP_OK)
			break;
		if (!v) {
			if (r->failed)
				report(j);
			break;   /* outside an items array there is no safe place to resume */
		}
		if (streamed) {
			struct kup_node *root;

			kup_arena_reset(j->arena);
			slab_drop(r);
			root = copy_node(r, j->arena, v);
			kup_arena_reset(&j->priv);
			if (!root) {
				report(j);
				break;
			}
			v = root;
		}
		if (!deliver(j, v, j->ndocs++, false))
			break;
		use_arena(r, j->arena);
	}
	kup_arena_release(&j->priv);
	if (nerrors)
		*nerrors = j->nerrors;
	return j->stop;
}

void kup_json_opts_init(struct kup_json_opts *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	o->path = path;
	kup_read_limits_default(&o->limits);
	o->stream_items = true;
}

static bool jrun_init(struct jrun *j, const struct kup_json_opts *opts,
		      struct kup_arena *arena, kup_doc_fn fn, void *ctx)
{
	memset(j, 0, sizeof(*j));
	jr_init(&j->r, &opts->limits, arena);
	j->opts = opts;
	j->arena = arena;
	kup_arena_init(&j->priv, 16 * 1024);
	j->fn = fn;
	j->ctx = ctx;
	j->stop = KUP_OK;
	return kup_skip_compile(&j->r.skip, opts->skip_paths);
}

enum kup_status kup_json_read_mem(const char *text, size_t len,
				  const struct kup_json_opts *opts,
				  struct kup_arena *arena, kup_doc_fn fn, void *ctx,
				  size_t *nerrors)
{
	struct jrun j;
	enum kup_status st;

	if (nerrors)
		*nerrors = 0;
	if (!opts || !arena || (!text && len))
		return KUP_INVALID;
	if (!jrun_init(&j, opts, arena, fn, ctx)) {
		kup_arena_release(&j.priv);
		return KUP_INVALID;
	}
	j.r.buf = text ? text : "";
	j.r.len = len;
	j.r.eof = true;
	j.text = text;
	j.text_len = len;
	st = run(&j, nerrors);
	jr_release(&j.r);
	return st;
}

enum kup_status kup_json_read_input(struct kup_input *in, const struct kup_json_opts *opts,
				    struct kup_arena *arena, kup_doc_fn fn, void *ctx,
				    size_t *nerrors)
{
	struct jrun j;
	enum kup_status st;

	if (nerrors)
		*nerrors = 0;
	if (!in || !opts || !arena)
		return KUP_INVALID;
	if (!jrun_init(&j, opts, arena, fn, ctx)) {
		kup_arena_release(&j.priv);
		return KUP_INVALID;
	}
	j.r.in = in;
	j.r.buf = "";
	st = run(&j, nerrors);
	jr_release(&j.r);
	return st;
}

enum kup_status kup_json_read_file(FILE *fp, const struct kup_json_opts *opts,
				   struct kup_arena *arena, kup_doc_fn fn, void *ctx,
				   size_t *nerrors)
{
	struct kup_input in;

	if (nerrors)
		*nerrors = 0;
	if (!fp)
		return KUP_INVALID;
	kup_input_init_file(&in, fp);
	return kup_json_read_input(&in, opts, arena, fn, ctx, nerrors);
}

enum kup_status kup_json_parse(const char *text, size_t len,
			       const struct kup_read_limits *limits,
			       struct kup_arena *arena, struct kup_node **out,
			       struct kup_error *err)
{
	struct jr r;
	struct kup_node *v = NULL;
	enum kup_status st = KUP_OK;
	int c;

	if (out)
		*out = NULL;
	if (!arena || !out || (!text && len))
		return KUP_INVALID;
	jr_init(&r, limits, arena);
	r.buf = text ? text : "";
	r.len = len;
	r.eof = true;
	skip_bom(&r);
	c = skip_ws(&r);
	if (c < 0)
		jerr_eof(&r, false);
	else
		v = parse_value(&r, c, 0, 0);
	if (v) {
		c = skip_ws(&r);
		if (c >= 0)
			jerr_char(&r, r.pos, "unexpected content after the value");
	}
	if (r.failed) {
		st = r.e_code;
		if (err)
			kup_error_set(err, st, NULL, r.e_line, r.e_col, "%s", r.e_msg);
	} else {
		*out = v;
	}
	jr_release(&r);
	return st;
}

/* ---- peeking -------------------------------------------------------------- */

static size_t peek_ws(const char *t, size_t i, size_t n)
{
	while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
		i++;
	return i;
}

/* Index just past a string starting at t[i] == '"', or SIZE_MAX; *esc set when escaped. */
static size_t peek_string(const char *t, size_t i, size_t n, bool *esc)
{
	*esc = false;
	for (i++; i < n; i++) {
		if (t[i] == '"')
			return i + 1;
		if (t[i] == '\\') {
			*esc = true;
			i++;
		}
	}
	return SIZE_MAX;
}

/* Index just past the value starting at t[i], or n on failure. */
static size_t peek_skip(const char *t, size_t i, size_t n)
{
	size_t depth = 0;
	bool esc;

	do {
		if (i >= n)
			return n;
		switch (t[i]) {
		case '"':
			i = peek_string(t, i, n, &esc);
			if (i == SIZE_MAX)
				return n;
			break;
		case '{':
		case '[':
			depth++;
			i++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return n;
			depth--;
			i++;
			break;
		default:
			if (depth == 0) {
				/* a scalar: up to the next delimiter */
				while (i < n && t[i] != ',' && t[i] != '}' && t[i] != ']' &&
				       t[i] != ' ' && t[i] != '\n' && t[i] != '\r' && t[i] != '\t')
					i++;
				return i;
			}
			i++;
			break;
		}
	} while (depth > 0);
	return i;
}

bool kup_json_peek_strings(const char *text, size_t len, const char *const *keys,
			   size_t nkeys, struct kup_str *out)
{
	size_t i = peek_ws(text, 0, len), found = 0, k;
	bool esc;

	for (k = 0; k < nkeys; k++)
		out[k] = KUP_STR_NULL;
	if (i >= len || text[i] != '{')
		return false;
	i++;
	while (found < nkeys) {
		size_t ks, ke, vs, ve;

		i = peek_ws(text, i, len);
		if (i >= len || text[i] != '"')
			return false;
		ks = i + 1;
		i = peek_string(text, i, len, &esc);
		if (i == SIZE_MAX || esc)
			return false;
		ke = i - 1;
		i = peek_ws(text, i, len);
		if (i >= len || text[i] != ':')
			return false;
		i = peek_ws(text, i + 1, len);
		if (i >= len)
			return false;
		vs = i;
		if (text[i] == '"') {
			i = peek_string(text, i, len, &esc);
			if (i == SIZE_MAX)
				return false;
			ve = i;
		} else {
			esc = false;
			i = peek_skip(text, i, len);
			if (i >= len)
				return false;
			ve = i;
		}
		for (k = 0; k < nkeys; k++) {
			if (strlen(keys[k]) != ke - ks || memcmp(keys[k], text + ks, ke - ks) != 0)
				continue;
			if (text[vs] != '"' || esc || out[k].p)
				return false;   /* not a plain string, or a duplicate: parse it */
			out[k].p = text + vs + 1;
			out[k].n = ve - vs - 2;
			found++;
		}
		if (found == nkeys)
			break;
		i = peek_ws(text, i, len);
		if (i >= len || text[i] != ',')
			return false;
		i++;
	}
	return true;
}
