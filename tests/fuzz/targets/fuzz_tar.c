/*
 * fuzz_tar.c - kup_tar_gz_read() on arbitrary bytes, raw and gzip'd: it
 * ends, and every delivered path is relative, without '..' components,
 * and within the limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kupgrade/helmchart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum kup_status on_file(void *ctx, const char *path, const char *d, size_t len)
{
	const struct kup_tar_limits *lim = ctx;
	const char *p;

	(void)d;
	if (!path[0] || path[0] == '/' || len > lim->max_file || strchr(path, '\\'))
		abort();
	for (p = path; *p;) {
		const char *s = strchr(p, '/');
		size_t n = s ? (size_t)(s - p) : strlen(p);
		if (n == 0 || (n == 2 && p[0] == '.' && p[1] == '.') || (n == 1 && p[0] == '.'))
			abort();
		p += n + (s ? 1 : 0);
	}
	return KUP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_tar_limits lim = { 1u << 20, 64u << 10, 64 };
	uLongf glen = compressBound((uLong)size) + 64;
	unsigned char *gz;
	z_stream zs;

	kup_tar_gz_read(data, size, "fuzz.tgz", &lim, NULL, on_file, &lim);
	/* the same bytes as a tar stream inside gzip */
	gz = malloc(glen);
	if (!gz)
		return 0;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK) {
		zs.next_in = (unsigned char *)data;
		zs.avail_in = (uInt)size;
		zs.next_out = gz;
		zs.avail_out = (uInt)glen;
		if (deflate(&zs, Z_FINISH) == Z_STREAM_END)
			kup_tar_gz_read(gz, zs.total_out, "fuzz.tgz", &lim, NULL, on_file, &lim);
		deflateEnd(&zs);
	}
	free(gz);
	return 0;
}
