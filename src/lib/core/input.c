/*
 * input.c - inputs read once, front to back, from any kind of file (core.h).
 *
 * Why: a pipe, a FIFO, a socket or a process substitution can be read only
 * once.  A reader that sniffs the first bytes and then rewinds (or opens the
 * file again) silently loses them there, and a scanner that loses its input
 * reports it clean.  So nothing here seeks or reopens: the sniffed bytes stay
 * in a small buffer in front of the FILE and are handed out first.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kupgrade/core.h"

void kup_input_init_file(struct kup_input *in, FILE *fp)
{
	memset(in, 0, sizeof(*in));
	in->fp = fp;
}

void kup_input_init_mem(struct kup_input *in, const char *text, size_t len)
{
	memset(in, 0, sizeof(*in));
	in->head = (char *)text;
	in->head_len = text ? len : 0;
	in->eof = true;
}

/* The descriptor a path names, for /dev/stdin and /dev/fd/N (also /proc/self/fd/N); else -1. */
static int named_fd(const char *path)
{
	static const char *const dirs[] = { "/dev/fd/", "/proc/self/fd/" };
	size_t i;

	if (strcmp(path, "/dev/stdin") == 0)
		return 0;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t n = strlen(dirs[i]);
		char *end;
		long fd;

		if (strncmp(path, dirs[i], n) != 0 || path[n] < '0' || path[n] > '9')
			continue;
		errno = 0;
		fd = strtol(path + n, &end, 10);
		if (*end == '\0' && errno == 0 && fd >= 0 && fd <= INT_MAX)
			return (int)fd;
	}
	return -1;
}

enum kup_status kup_input_open(struct kup_input *in, const char *path, struct kup_error *err)
{
	FILE *fp;
	int e, fd;

	kup_input_init_file(in, NULL);
	if (strcmp(path, "-") == 0) {
		in->fp = stdin;
		return KUP_OK;
	}
	fp = fopen(path, "rb");
	if (!fp) {
		e = errno;
		/* A socket behind /dev/stdin or /dev/fd/N cannot be opened again: read it where it is. */
		if (e == ENXIO && (fd = named_fd(path)) >= 0) {
			int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);

			if (d >= 0 && (fp = fdopen(d, "rb")) == NULL) {
				e = errno;
				close(d);
			} else if (d < 0) {
				e = errno;
			}
		}
		if (!fp) {
			in->errnum = e;
			return kup_error_set(err, KUP_IO, path, 0, 0, "cannot open '%s': %s", path,
					     strerror(e));
		}
	}
	in->fp = fp;
	in->own_fp = true;
	return KUP_OK;
}

/* Reads from the FILE, noting the end and errors. */
static size_t fill(struct kup_input *in, char *buf, size_t n)
{
	size_t got;

	if (!in->fp || in->eof || in->error || n == 0)
		return 0;
	got = fread(buf, 1, n, in->fp);
	if (got < n) {
		if (ferror(in->fp)) {
			in->error = true;
			in->errnum = errno ? errno : EIO;
		} else if (feof(in->fp)) {
			in->eof = true;
		}
	}
	return got;
}

size_t kup_input_peek(struct kup_input *in, size_t n, const char **out)
{
	size_t have = in->head_len - in->head_pos;

	if (have < n && in->fp) {
		/* Slide what is left to the front, then read the rest of n after it. */
		if (in->head_pos) {
			memmove(in->head, in->head + in->head_pos, have);
			in->head_len = have;
			in->head_pos = 0;
		}
		if (in->head_cap < n) {
			char *nh = realloc(in->head, n);

			if (!nh) {
				in->error = true;
				in->errnum = ENOMEM;
				*out = in->head ? in->head : "";
				return have;
			}
			in->head = nh;
			in->head_cap = n;
			in->own_head = true;
		}
		while (in->head_len < n) {
			size_t got = fill(in, in->head + in->head_len, n - in->head_len);

			if (got == 0)
				break;
			in->head_len += got;
		}
		have = in->head_len;
	}
	*out = in->head ? in->head + in->head_pos : "";
	return have < n ? have : n;
}

size_t kup_input_read(struct kup_input *in, void *buf, size_t n)
{
	size_t have = in->head_len - in->head_pos, got;

	if (have) {
		got = have < n ? have : n;
		memcpy(buf, in->head + in->head_pos, got);
		in->head_pos += got;
		in->consumed += got;
	} else {
		got = fill(in, buf, n);
		in->consumed += got;
	}
	if (got && in->tap)
		in->tap(in->tap_ctx, buf, got);
	return got;
}

void kup_input_close(struct kup_input *in)
{
	if (in->own_fp && in->fp)
		fclose(in->fp);
	if (in->own_head)
		free(in->head);
	memset(in, 0, sizeof(*in));
}

enum kup_status kup_read_file(const char *path, size_t cap, char **out,
			      size_t *len, struct kup_error *err)
{
	struct kup_input in;
	struct kup_buf b = KUP_BUF_INIT;
	enum kup_status st;

	*out = NULL;
	*len = 0;
	st = kup_input_open(&in, path, err);
	if (st != KUP_OK)
		return st;
	for (;;) {
		size_t n;

		if (!kup_buf_grow(&b, 65536)) {
			st = kup_error_set(err, KUP_NOMEM, path, 0, 0,
					   "cannot read '%s': out of memory", path);
			break;
		}
		n = kup_input_read(&in, b.buf + b.len, b.cap - b.len - 1);
		b.len += n;
		b.buf[b.len] = '\0';
		if (cap && b.len > cap) {
			st = kup_error_set(err, KUP_TOOBIG, path, 0, 0,
					   "cannot read '%s': larger than %zu bytes", path, cap);
			break;
		}
		if (n == 0) {
			if (in.error)
				st = kup_error_set(err, KUP_IO, path, 0, 0, "cannot read '%s': %s",
						   path, strerror(in.errnum));
			break;
		}
	}
	kup_input_close(&in);
	if (st != KUP_OK) {
		kup_buf_release(&b);
		return st;
	}
	*out = kup_buf_detach(&b, len);
	return *out ? KUP_OK : kup_error_set(err, KUP_NOMEM, path, 0, 0, "out of memory");
}
