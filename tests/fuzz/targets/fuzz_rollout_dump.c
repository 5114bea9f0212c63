/*
 * fuzz_rollout_dump.c - kup_ro_from_dump on arbitrary bytes; whatever
 * scenario it writes must parse back with kup_ro_scenario_parse.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kupgrade/rollout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_buf out = KUP_BUF_INIT;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_ro_scenario *sc = NULL;

	if (size > 1 << 16)
		return 0;
	if (kup_ro_from_dump(NULL, (const char *)data, size, "fuzz.json", &out, &err) == KUP_OK) {
		struct kup_error e2 = KUP_ERROR_INIT;
		/* a derived scenario may be refused (e.g. no pods left), never malformed YAML */
		if (kup_ro_scenario_parse(out.buf, out.len, "derived.yaml", &sc, &e2) != KUP_OK &&
		    e2.code != KUP_PARSE)
			abort();
		kup_ro_scenario_free(sc);
		kup_error_release(&e2);
	} else if (!err.msg) {
		abort();
	}
	kup_buf_release(&out);
	kup_error_release(&err);
	return 0;
}
