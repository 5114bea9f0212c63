/*
 * core.c - status table, errors, byte buffers, the arena, small helpers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/core.h"

/* ---- status ------------------------------------------------------------- */

const char *kup_strerror(enum kup_status status)
{
	switch (status) {
#define KUP_X_CASE(name, num, text) case KUP_##name: return text;
	KUP_STATUS_TABLE(KUP_X_CASE)
#undef KUP_X_CASE
	}
	return "unknown error";
}

/* ---- errors ------------------------------------------------------------- */

void kup_error_init(struct kup_error *err)
{
	memset(err, 0, sizeof(*err));
}

void kup_error_release(struct kup_error *err)
{
	if (!err)
		return;
	free(err->path);
	free(err->object);
	free(err->msg);
	kup_error_init(err);
}

/* Every text an error carries passes through the one redaction function. */
static char *dup_or_null(const char *s)
{
	return s ? kup_redact(s) : NULL;
}

static enum kup_status error_vset(struct kup_error *err, enum kup_status code,
				  const char *path, uint32_t line, uint32_t column,
				  const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));

static enum kup_status error_vset(struct kup_error *err, enum kup_status code,
				  const char *path, uint32_t line, uint32_t column,
				  const char *fmt, va_list ap)
{
	struct kup_buf b = KUP_BUF_INIT;

	if (!err)
		return code;
	kup_error_release(err);
	err->code = code;
	err->path = dup_or_null(path);
	err->line = line;
	err->column = column;
	kup_buf_vaddf(&b, fmt, ap);
	if (!b.oom && kup_redact_needed(b.buf, b.len)) {
		struct kup_buf r = KUP_BUF_INIT;
		kup_buf_init(&r);
		kup_redact_add(&r, b.buf, b.len);
		kup_buf_release(&b);
		b = r;
	}
	err->msg = kup_buf_detach(&b, NULL);
	return code;
}

enum kup_status kup_error_set(struct kup_error *err, enum kup_status code,
			      const char *path, uint32_t line, uint32_t column,
			      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, code, path, line, column, fmt, ap);
	va_end(ap);
	return code;
}

void kup_error_set_object(struct kup_error *err, const char *object)
{
	if (!err)
		return;
	free(err->object);
	err->object = dup_or_null(object);
}

enum kup_status kup_error_copy(struct kup_error *dst, const struct kup_error *src)
{
	kup_error_release(dst);
	dst->code = src->code;
	dst->line = src->line;
	dst->column = src->column;
	dst->path = dup_or_null(src->path);
	dst->object = dup_or_null(src->object);
	dst->msg = dup_or_null(src->msg);
	if ((src->path && !dst->path) || (src->object && !dst->object) ||
	    (src->msg && !dst->msg))
		return KUP_NOMEM;
	return KUP_OK;
}

void kup_error_emit(const struct kup_error_sink *sink, const struct kup_error *err)
{
	if (sink && sink->fn)
		sink->fn(sink->ctx, err);
}

void kup_error_vreport(const struct kup_error_sink *sink, enum kup_status code,
		       const char *path, uint32_t line, uint32_t column, const char *object,
		       const char *fmt, va_list ap)
{
	struct kup_error err = KUP_ERROR_INIT;

	error_vset(&err, code, path, line, column, fmt, ap);
	if (!err.msg)
		err.msg = kup_strdup("out of memory");
	if (object)
		kup_error_set_object(&err, object);
	kup_error_emit(sink, &err);
	kup_error_release(&err);
}

void kup_error_report(const struct kup_error_sink *sink, enum kup_status code,
		      const char *path, uint32_t line, uint32_t column,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kup_error_vreport(sink, code, path, line, column, NULL, fmt, ap);
	va_end(ap);
}

/* ---- strings -------------------------------------------------------------- */

struct kup_str kup_str_c(const char *s)
{
	struct kup_str r = { s, s ? strlen(s) : 0 };
	return r;
}

bool kup_str_eq(struct kup_str a, struct kup_str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

bool kup_str_eqc(struct kup_str a, const char *s)
{
	return kup_str_eq(a, kup_str_c(s));
}

bool kup_str_has_prefix(struct kup_str s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.n >= n && memcmp(s.p, prefix, n) == 0;
}

bool kup_str_has_suffix(struct kup_str s, const char *suffix)
{
	size_t n = strlen(suffix);
	return s.n >= n && memcmp(s.p + s.n - n, suffix, n) == 0;
}

/* ---- buffers -------------------------------------------------------------- */

static char kup_buf_empty[1];

void kup_buf_init(struct kup_buf *b)
{
	b->buf = kup_buf_empty;
	b->len = 0;
	b->cap = 0;
	b->oom = false;
}

void kup_buf_release(struct kup_buf *b)
{
	if (b->cap)
		free(b->buf);
	kup_buf_init(b);
}

void kup_buf_reset(struct kup_buf *b)
{
	if (!b->buf)
		kup_buf_init(b);
	b->len = 0;
	if (b->cap)
		b->buf[0] = '\0';
}

bool kup_buf_grow(struct kup_buf *b, size_t extra)
{
	size_t need, cap;
	char *nb;

	if (!b->buf)
		kup_buf_init(b);
	if (b->oom)
		return false;
	if (extra > SIZE_MAX - b->len - 1) {
		b->oom = true;
		return false;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	nb = b->cap ? kup_realloc(b->buf, cap) : kup_malloc(cap);
	if (!nb) {
		b->oom = true;
		return false;
	}
	if (!b->cap)
		nb[0] = '\0';
	b->buf = nb;
	b->cap = cap;
	return true;
}

void kup_buf_add(struct kup_buf *b, const void *data, size_t len)
{
	if (!kup_buf_grow(b, len))
		return;
	if (len)
		memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void kup_buf_adds(struct kup_buf *b, const char *s)
{
	kup_buf_add(b, s, strlen(s));
}

void kup_buf_addc(struct kup_buf *b, char c)
{
	kup_buf_add(b, &c, 1);
}

void kup_buf_vaddf(struct kup_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (!kup_buf_grow(b, 64))
		return;
	va_copy(cp, ap);
	n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->buf[b->len] = '\0';
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (!kup_buf_grow(b, (size_t)n))
			return;
		va_copy(cp, ap);
		n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, cp);
		va_end(cp);
		if (n < 0)
			return;
	}
	b->len += (size_t)n;
}

void kup_buf_addf(struct kup_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kup_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *kup_buf_detach(struct kup_buf *b, size_t *len)
{
	char *r;

	if (!b->buf)
		kup_buf_init(b);
	if (b->oom) {
		kup_buf_release(b);
		if (len)
			*len = 0;
		return NULL;
	}
	if (!b->cap)
		kup_buf_grow(b, 0);
	if (b->oom) {
		kup_buf_release(b);
		return NULL;
	}
	r = b->buf;
	if (len)
		*len = b->len;
	kup_buf_init(b);
	return r;
}

/* ---- arena ---------------------------------------------------------------- */

struct kup_arena_block {
	struct kup_arena_block *next;
	size_t size;   /* usable bytes */
	size_t used;
	_Alignas(max_align_t) unsigned char data[];
};

#define KUP_ALIGN (sizeof(max_align_t))

void kup_arena_init(struct kup_arena *a, size_t block_size)
{
	a->head = NULL;
	a->block_size = block_size ? block_size : 64 * 1024;
	a->total = 0;
	a->cap = 0;
	a->failed = false;
}

static void free_blocks(struct kup_arena_block *b)
{
	while (b) {
		struct kup_arena_block *next = b->next;
		free(b);
		b = next;
	}
}

void kup_arena_release(struct kup_arena *a)
{
	free_blocks(a->head);
	a->head = NULL;
	a->total = 0;
	a->failed = false;
}

void kup_arena_reset(struct kup_arena *a)
{
	struct kup_arena_block *b = a->head, *first = NULL;

	/* Keep the oldest block of the default size (the last in the chain). */
	while (b) {
		struct kup_arena_block *next = b->next;
		if (!next && b->size == a->block_size) {
			first = b;
			break;
		}
		free(b);
		b = next;
	}
	a->head = first;
	a->total = first ? first->size : 0;
	if (first) {
		first->used = 0;
		first->next = NULL;
	}
	a->failed = false;
}

void *kup_arena_alloc(struct kup_arena *a, size_t size)
{
	struct kup_arena_block *b = a->head;
	size_t asize = (size + KUP_ALIGN - 1) & ~(KUP_ALIGN - 1);

	if (asize < size) {
		a->failed = true;
		return NULL;
	}
	if (!b || b->size - b->used < asize) {
		size_t bsize = asize > a->block_size / 4 ? asize : a->block_size;
		if (a->cap && a->total + bsize > a->cap) {
			a->failed = true;
			return NULL;
		}
		if (bsize > SIZE_MAX - sizeof(*b)) {
			a->failed = true;
			return NULL;
		}
		b = kup_malloc(sizeof(*b) + bsize);
		if (!b) {
			a->failed = true;
			return NULL;
		}
		b->size = bsize;
		b->used = 0;
		a->total += bsize;
		if (bsize == asize && a->head && a->head->size - a->head->used >= KUP_ALIGN * 8) {
			/* A big one-off: put it behind the current block, which still has room. */
			b->next = a->head->next;
			a->head->next = b;
			b->used = asize;
			return b->data;
		}
		b->next = a->head;
		a->head = b;
	}
	b->used += asize;
	return b->data + b->used - asize;
}

void *kup_arena_zalloc(struct kup_arena *a, size_t size)
{
	void *p = kup_arena_alloc(a, size);
	if (p)
		memset(p, 0, size);
	return p;
}

char *kup_arena_strndup(struct kup_arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX) {
		a->failed = true;
		return NULL;
	}
	p = kup_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *kup_arena_strdup(struct kup_arena *a, const char *s)
{
	return s ? kup_arena_strndup(a, s, strlen(s)) : NULL;
}

char *kup_arena_printf(struct kup_arena *a, const char *fmt, ...)
{
	struct kup_buf b = KUP_BUF_INIT;
	va_list ap;
	char *r;

	va_start(ap, fmt);
	kup_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (b.oom) {
		kup_buf_release(&b);
		a->failed = true;
		return NULL;
	}
	r = kup_arena_strndup(a, b.buf ? b.buf : "", b.len);
	kup_buf_release(&b);
	return r;
}

/* ---- helpers -------------------------------------------------------------- */

void *kup_xrealloc_array(void *ptr, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	return kup_realloc(ptr, (nmemb && size) ? nmemb * size : 1);
}

bool kup_grow(void *pptr, size_t *cap, size_t need, size_t size, size_t first)
{
	void **p = pptr;
	size_t ncap = *cap ? *cap : (first ? first : 8);
	void *np;

	if (need <= *cap)
		return true;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return false;
		ncap *= 2;
	}
	np = kup_xrealloc_array(*p, ncap, size);
	if (!np)
		return false;
	*p = np;
	*cap = ncap;
	return true;
}
