/*
 * fuzz_helm.c - kup_helm_decode() on arbitrary data.release strings, with
 * the decompressed size capped at 1 MiB, plus kup_base64_decode().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/helm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_helm_release r;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf b;
	enum kup_status st;
	size_t i;

	st = kup_helm_decode((const char *)data, size, (size_t)1 << 20, &r, &err);
	if (st == KUP_OK) {
		/* the lengths must agree with the strings' storage */
		if (!r.name || !r.namespace_ || !r.status || !r.chart_name ||
		    !r.chart_version || !r.manifest || r.manifest[r.manifest_len] != '\0' ||
		    r.manifest_len > ((size_t)1 << 20))
			abort();
		for (i = 0; i < r.nhooks; i++)
			if (!r.hooks[i].name || !r.hooks[i].path ||
			    r.hooks[i].manifest[r.hooks[i].manifest_len] != '\0')
				abort();
	} else if (!err.msg || err.code != st) {
		abort();
	}
	kup_helm_release_release(&r);
	kup_error_release(&err);

	kup_buf_init(&b);
	if (kup_base64_decode((const char *)data, size, &b) && b.len > size / 4 * 3 + 3)
		abort();
	kup_buf_release(&b);
	return 0;
}
