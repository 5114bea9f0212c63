/*
 * fuzz_ignore.c - inline `# kupgrade:ignore` comments (ignore.h) read two
 * ways from the same bytes: from a regular file, which kup_ignore_apply reads
 * again, and from an input that cannot be read again (a pipe), whose comments
 * the kup_ignore_tap notes while the scan reads it, here fed in chunks of
 * random size (1..64 bytes, from byte 0) as a pipe delivers them.  Both must
 * accept exactly the same findings with the same reasons.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kupgrade/ignore.h"
#include "kupgrade/ingest.h"
#include "kupgrade/scan.h"
#include "fuzz_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kup_kb *kb;
static char file[64];

struct chunker {
	struct kup_ignore *ign;
	uint32_t rnd;
};

/* The tap, given the reader's bytes in pieces of 1..64. */
static void chunked(void *ctx, const char *path, const char *buf, size_t n)
{
	struct chunker *c = ctx;

	while (n) {
		size_t k;
		c->rnd = c->rnd * 1103515245u + 12345u;
		k = 1 + (c->rnd >> 16) % 64;
		if (k > n)
			k = n;
		kup_ignore_tap(c->ign, path, buf, k);
		buf += k;
		n -= k;
	}
}

static void no_error(void *ctx, const struct kup_error *err)
{
	(void)ctx;
	if (!err->msg)
		abort();
}

/* Scans `path` (or the buffer as `name`), applies the inline comments (*ign
 * holds the reasons the findings point to). */
static struct kup_scan *scan_one(const char *path, const char *name, const char *text, size_t len,
				 uint32_t seed, struct kup_ignore **ign)
{
	struct kup_scan_opts so;
	struct kup_ingest_opts io;
	struct kup_ingest *in = NULL;
	struct kup_scan *scan = NULL;
	struct chunker c;

	c.ign = kup_ignore_new();
	c.rnd = seed;
	if (!c.ign)
		abort();
	kup_scan_opts_init(&so);
	kup_version_parse("1.25", &so.target, NULL);
	so.show_undecided = true;
	if (kup_scan_new(kb, &so, &scan) != KUP_OK)
		abort();
	kup_ingest_opts_init(&io);
	fuzz_limits(&io.limits);
	io.errors.fn = no_error;
	io.on_object = kup_scan_object;
	io.ctx = scan;
	io.on_bytes = chunked;
	io.bytes_ctx = &c;
	if (kup_ingest_new(&io, &in) != KUP_OK)
		abort();
	if (path)
		kup_ingest_path(in, path);
	else
		kup_ingest_mem(in, name, text, len);
	kup_ingest_finish(in);
	kup_scan_finish(scan);
	kup_ignore_apply(c.ign, scan);
	kup_ingest_free(in);
	*ign = c.ign;
	return scan;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_scan *a, *b;
	struct kup_ignore *ia, *ib;
	FILE *f;
	size_t i;

	if (!kb) {
		const char *tmp = getenv("TMPDIR");
		if (kup_kb_load_embedded(&kb, NULL) != KUP_OK)
			abort();
		snprintf(file, sizeof(file), "%.30s/fuzz_ignore-%ld.yaml", tmp && *tmp ? tmp : "/tmp",
			 (long)getpid());
	}
	if (size < 1)
		return 0;
	f = fopen(file, "wb");
	if (!f)
		abort();
	if (fwrite(data + 1, 1, size - 1, f) != size - 1 || fclose(f) != 0)
		abort();
	a = scan_one(file, NULL, NULL, 0, 0, &ia);
	/* a name that is no file: not read again, its comments come from the tap */
	b = scan_one(NULL, "pipe:fuzz_ignore.yaml", (const char *)data + 1, size - 1, data[0], &ib);
	if (kup_scan_count(a) != kup_scan_count(b))
		abort();
	for (i = 0; i < kup_scan_count(a); i++) {
		const struct kup_finding *fa = kup_scan_at(a, i), *fb = kup_scan_at(b, i);
		if (fa->src.line != fb->src.line || !fa->ignored != !fb->ignored ||
		    (fa->ignored && strcmp(fa->ignored, fb->ignored) != 0))
			abort();
	}
	kup_scan_free(a);
	kup_scan_free(b);
	kup_ignore_free(ia);
	kup_ignore_free(ib);
	unlink(file);
	return 0;
}
