/*
 * fuzz_profile.c - kup_profile_parse() on arbitrary bytes.  Properties,
 * abort() when one breaks:
 *
 *  - a failure has a message and no profile; a success has a profile with a
 *    valid control-plane version;
 *  - what parses writes back (YAML and JSON) to text that parses again and
 *    writes the same YAML: the writer round-trips every profile the reader accepts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kup_profile *reparse(const char *text)
{
	struct kup_profile *q = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	if (kup_profile_parse("rt", text, strlen(text), &q, &err) != KUP_OK)
		abort();
	kup_error_release(&err);
	return q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_profile *p = NULL, *q, *r;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf y = KUP_BUF_INIT, y2 = KUP_BUF_INIT, j = KUP_BUF_INIT;
	enum kup_status st;

	if (size > 256 * 1024)
		return 0;
	st = kup_profile_parse("fuzz", (const char *)data, size, &p, &err);
	if (st != KUP_OK) {
		if (p || !err.msg)
			abort();
		kup_error_release(&err);
		return 0;
	}
	if (!p || !p->control_plane.valid)
		abort();
	kup_error_release(&err);
	if (kup_profile_write_yaml(p, &y) != KUP_OK || kup_profile_write_json(p, &j) != KUP_OK)
		abort();
	q = reparse(y.buf);
	r = reparse(j.buf);
	if (kup_profile_write_yaml(r, &y2) != KUP_OK || strcmp(y.buf, y2.buf) != 0)
		abort();
	kup_buf_release(&y);
	kup_buf_release(&y2);
	kup_buf_release(&j);
	kup_profile_free(p);
	kup_profile_free(q);
	kup_profile_free(r);
	return 0;
}
