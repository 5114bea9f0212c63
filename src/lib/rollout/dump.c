/*
 * dump.c - a RolloutScenario derived from a kubectl List dump.
 */
#include "kupgrade/rollout.h"

enum kup_status kup_ro_from_dump(const char *text, size_t len, const char *path,
				 struct kup_buf *out, struct kup_error *err)
{
	(void)text;
	(void)len;
	(void)out;
	return kup_error_set(err, KUP_INVALID, path, 0, 0, "not implemented yet");
}
