/*
 * tar.c - chart archives (.tgz) read in memory (helmchart.h).
 *
 * gzip (zlib, concatenated members allowed) then POSIX ustar/pax/GNU tar:
 * 512-byte headers with octal sizes and a checksum; regular files ('0',
 * '\0', '7') are delivered, directories and links skipped, pax 'x' headers
 * give the next entry's path, GNU 'L' its long name, 'g' headers are
 * ignored.  Every entry's path is checked: not absolute, no '..' component,
 * no NUL or backslash; "./" prefixes are dropped.  A bad entry is reported
 * (its index and name) and skipped; a bad header ends the archive.  The
 * uncompressed size, each file and the entry count are capped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kupgrade/helmchart.h"

void kup_tar_limits_default(struct kup_tar_limits *l)
{
	l->max_total = (size_t)64 << 20;
	l->max_file = (size_t)16 << 20;
	l->max_entries = 10000;
}

static enum kup_status gunzip_all(const unsigned char *in, size_t len, size_t cap,
				  unsigned char **out, size_t *outlen, const char *name,
				  const struct kup_error_sink *sink)
{
	z_stream zs;
	unsigned char *buf = NULL;
	size_t n = 0, bcap = 0;
	int zr = Z_OK;

	*out = NULL;
	*outlen = 0;
	memset(&zs, 0, sizeof(zs));
	if (len < 2 || in[0] != 0x1f || in[1] != 0x8b) {
		kup_error_report(sink, KUP_PARSE, name, 0, 0, "not a gzip archive");
		return KUP_PARSE;
	}
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return KUP_NOMEM;
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
	for (;;) {
		if (n == bcap) {
			size_t ncap = bcap ? bcap * 2 : 65536;
			unsigned char *nb;
			if (bcap >= cap) {
				kup_error_report(sink, KUP_TOOBIG, name, 0, 0,
						 "archive larger than %zu bytes uncompressed", cap);
				zr = Z_MEM_ERROR;
				break;
			}
			if (ncap > cap)
				ncap = cap;
			nb = realloc(buf, ncap);
			if (!nb) {
				inflateEnd(&zs);
				free(buf);
				return KUP_NOMEM;
			}
			buf = nb;
			bcap = ncap;
		}
		zs.next_out = buf + n;
		zs.avail_out = (uInt)(bcap - n);
		zr = inflate(&zs, Z_NO_FLUSH);
		n = bcap - zs.avail_out;
		if (zr == Z_STREAM_END) {
			/* another gzip member may follow */
			if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
				if (inflateReset(&zs) != Z_OK)
					break;
				continue;
			}
			break;
		}
		if (zr != Z_OK && !(zr == Z_BUF_ERROR && zs.avail_out == 0)) {
			kup_error_report(sink, KUP_PARSE, name, 0, 0, "corrupt gzip data: %s",
					 zs.msg ? zs.msg : "inflate failed");
			break;
		}
		if (zs.avail_in == 0 && zs.avail_out != 0) {
			kup_error_report(sink, KUP_PARSE, name, 0, 0, "truncated gzip data");
			zr = Z_DATA_ERROR;
			break;
		}
	}
	inflateEnd(&zs);
	if (zr != Z_STREAM_END) {
		free(buf);
		return KUP_PARSE;
	}
	*out = buf;
	*outlen = n;
	return KUP_OK;
}

static bool octal(const unsigned char *p, size_t n, size_t *out)
{
	size_t v = 0, i = 0;
	bool any = false;

	if (n && (p[0] & 0x80))
		return false;   /* base-256: sizes past 8 GB, never a chart */
	while (i < n && (p[i] == ' ' || p[i] == '\0'))
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
		if (v > (SIZE_MAX >> 3))
			return false;
		v = v * 8 + (size_t)(p[i] - '0');
		any = true;
	}
	for (; i < n; i++)
		if (p[i] != ' ' && p[i] != '\0')
			return false;
	*out = v;
	return any;
}

/* Checks and normalises an entry path into buf; NULL with *why when refused. */
static const char *clean_path(const char *p, size_t n, char *buf, size_t size, const char **why)
{
	size_t i = 0, w = 0;

	if (memchr(p, '\0', n))
		n = strlen(p);
	if (n == 0) {
		*why = "empty path";
		return NULL;
	}
	if (p[0] == '/') {
		*why = "absolute path";
		return NULL;
	}
	if (memchr(p, '\\', n)) {
		*why = "backslash in path";
		return NULL;
	}
	while (i < n) {
		size_t j = i;
		while (j < n && p[j] != '/')
			j++;
		if (j - i == 2 && p[i] == '.' && p[i + 1] == '.') {
			*why = "'..' in path";
			return NULL;
		}
		if (!(j - i == 0 || (j - i == 1 && p[i] == '.'))) {
			if (w + (j - i) + 2 > size) {
				*why = "path too long";
				return NULL;
			}
			if (w)
				buf[w++] = '/';
			memcpy(buf + w, p + i, j - i);
			w += j - i;
		}
		i = j + 1;
	}
	if (w == 0) {
		*why = "empty path";
		return NULL;
	}
	buf[w] = '\0';
	return buf;
}

/* The value of `path=` in a pax header block, or NULL. */
static const char *pax_path(const unsigned char *d, size_t n, size_t *plen)
{
	size_t i = 0;

	while (i < n) {
		size_t len = 0, j = i;
		while (j < n && d[j] >= '0' && d[j] <= '9') {
			len = len * 10 + (size_t)(d[j] - '0');
			if (len > n)
				return NULL;
			j++;
		}
		if (j == i || j >= n || d[j] != ' ' || len == 0 || i + len > n)
			return NULL;
		j++;
		if (i + len - j > 5 && memcmp(d + j, "path=", 5) == 0) {
			*plen = i + len - 1 - (j + 5);
			return (const char *)d + j + 5;
		}
		i += len;
	}
	return NULL;
}

enum kup_status kup_tar_gz_read(const unsigned char *gz, size_t len, const char *name,
				const struct kup_tar_limits *lim, const struct kup_error_sink *sink,
				kup_tar_fn fn, void *ctx)
{
	struct kup_tar_limits dl;
	unsigned char *tar = NULL;
	size_t tlen = 0, off = 0, entries = 0, zero_blocks = 0;
	enum kup_status st;
	char pathbuf[4096], longname[4096];
	bool have_long = false;

	if (!lim) {
		kup_tar_limits_default(&dl);
		lim = &dl;
	}
	st = gunzip_all(gz, len, lim->max_total, &tar, &tlen, name, sink);
	if (st != KUP_OK)
		return st == KUP_NOMEM ? KUP_NOMEM : KUP_PARSE;
	st = KUP_OK;
	while (off + 512 <= tlen && st == KUP_OK) {
		const unsigned char *h = tar + off;
		size_t size = 0, sum = 0, want = 0, i, blocks;
		char type = (char)h[156];
		const char *why = NULL, *path;
		char raw[257];

		for (i = 0; i < 512 && h[i] == 0; i++)
			;
		if (i == 512) {
			off += 512;
			if (++zero_blocks == 2)
				break;
			continue;
		}
		zero_blocks = 0;
		if (++entries > lim->max_entries) {
			kup_error_report(sink, KUP_TOOBIG, name, 0, 0, "more than %zu archive entries",
					 lim->max_entries);
			st = KUP_PARSE;
			break;
		}
		for (i = 0; i < 512; i++)
			sum += (i >= 148 && i < 156) ? ' ' : h[i];
		if (!octal(h + 148, 8, &want) || want != sum || !octal(h + 124, 12, &size)) {
			kup_error_report(sink, KUP_PARSE, name, 0, 0,
					 "entry %zu: bad tar header (checksum or size)", entries);
			st = KUP_PARSE;
			break;
		}
		blocks = size / 512 + (size % 512 != 0);
		if (size > tlen || off + 512 + blocks * 512 > tlen) {
			kup_error_report(sink, KUP_PARSE, name, 0, 0, "entry %zu: truncated archive", entries);
			st = KUP_PARSE;
			break;
		}
		if (type == 'x' || type == 'L') {
			size_t pl = 0;
			const char *pp = type == 'x' ? pax_path(h + 512, size, &pl) : (const char *)h + 512;
			if (type == 'L')
				pl = size;
			if (pp && pl < sizeof(longname)) {
				memcpy(longname, pp, pl);
				longname[pl] = '\0';
				have_long = true;
			}
			off += 512 + blocks * 512;
			continue;
		}
		if (type == 'g') {
			off += 512 + blocks * 512;
			continue;
		}
		if (have_long) {
			path = clean_path(longname, strlen(longname), pathbuf, sizeof(pathbuf), &why);
			have_long = false;
		} else {
			size_t pn = 0, nn = strnlen((const char *)h, 100);
			/* ustar: prefix (155 bytes at 345) + '/' + name */
			if (memcmp(h + 257, "ustar", 5) == 0 && h[345]) {
				pn = strnlen((const char *)h + 345, 155);
				memcpy(raw, h + 345, pn);
				raw[pn++] = '/';
			}
			memcpy(raw + pn, h, nn);
			raw[pn + nn] = '\0';
			path = clean_path(raw, pn + nn, pathbuf, sizeof(pathbuf), &why);
		}
		if (type == '0' || type == '\0' || type == '7') {
			if (!path) {
				kup_error_report(sink, KUP_PARSE, name, 0, 0, "entry %zu skipped: %s", entries, why);
			} else if (size > lim->max_file) {
				kup_error_report(sink, KUP_TOOBIG, name, 0, 0,
						 "entry %zu '%s' skipped: larger than %zu bytes", entries, path,
						 lim->max_file);
			} else {
				st = fn(ctx, path, (const char *)h + 512, size);
			}
		}
		off += 512 + blocks * 512;
	}
	free(tar);
	return st;
}
