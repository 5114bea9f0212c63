/*
 * fuzz_helm_fix.c - kup_fix_helm_release() on arbitrary record files with
 * the embedded KB at target 1.25.  abort() when: a failed run changed the
 * text, or fixing the output again does not give the same bytes.
 * Inputs are capped at 256 KiB.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/fix.h"
#include "fuzz_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kup_kb *kb;

static void ignore_error(void *ctx, const struct kup_error *err)
{
	(void)ctx;
	if (!err->msg)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct kup_fix_opts opts;
	struct kup_fix_result r1, r2;
	struct kup_buf out1, out2;
	enum kup_status st;

	if (size > (256u << 10))
		return 0;
	if (!kb && kup_kb_load_embedded(&kb, NULL) != KUP_OK)
		abort();
	kup_fix_opts_init(&opts, kb);
	if (kup_version_parse("1.25", &opts.target, NULL) != KUP_OK)
		abort();
	fuzz_limits(&opts.limits);
	opts.errors.fn = ignore_error;
	kup_fix_result_init(&r1);
	kup_fix_result_init(&r2);
	kup_buf_init(&out1);
	kup_buf_init(&out2);

	st = kup_fix_helm_release("fuzz", text, size, &opts, &out1, &r1);
	if (st == KUP_NOMEM || out1.oom)
		goto out;
	if ((st != KUP_OK || r1.converted == 0) &&
	    (out1.len != size || memcmp(out1.buf, text, size) != 0))
		abort();   /* nothing fixed, yet the text changed */
	if (st != KUP_OK)
		goto out;
	st = kup_fix_helm_release("fuzz", out1.buf, out1.len, &opts, &out2, &r2);
	if (st == KUP_NOMEM || out2.oom)
		goto out;
	if (st != KUP_OK || out2.len != out1.len || memcmp(out2.buf, out1.buf, out1.len) != 0)
		abort();
out:
	kup_buf_release(&out1);
	kup_buf_release(&out2);
	kup_fix_result_release(&r1);
	kup_fix_result_release(&r2);
	return 0;
}
