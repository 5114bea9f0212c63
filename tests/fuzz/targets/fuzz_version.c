/*
 * fuzz_version.c - kup_version_parse_n on arbitrary bytes: never reads past
 * the input, and what it accepts prints back to a version it accepts again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_version v, w;
	struct kup_error err = KUP_ERROR_INIT;
	char buf[64];

	if (kup_version_parse_n((const char *)data, size, &v, &err) == KUP_OK) {
		if (!v.valid || v.major < 0 || v.minor < 0 || v.patch < 0)
			abort();
		kup_version_str(&v, buf, sizeof(buf));
		if (kup_version_parse(buf, &w, NULL) != KUP_OK || kup_version_cmp(&v, &w) != 0)
			abort();
	} else if (!err.msg || v.valid) {
		abort();
	}
	kup_error_release(&err);
	return 0;
}
