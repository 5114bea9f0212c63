/*
 * fuzz_semver.c - Helm ranges on arbitrary bytes.  The input is split at the
 * first newline: the range before, the version after.  Properties, abort()
 * when one breaks:
 *
 *  - kup_semver_range_check() and kup_semver_range_match() agree on whether
 *    the range is well formed, and an error has a message and a column
 *    inside the range (+1 for the end);
 *  - matching with KUP_SEMVER_IGNORE_PRE never fails on a range and version
 *    that matched without it;
 *  - kup_semver_cmp is antisymmetric and a version equals itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char range[512], version[256];
	const uint8_t *nl;
	size_t rn, vn;
	struct kup_error err = KUP_ERROR_INIT;
	enum kup_status st, st2;
	bool m = false, m2 = false;
	int c1 = 0, c2 = 0;

	nl = memchr(data, '\n', size);
	rn = nl ? (size_t)(nl - data) : size;
	vn = nl ? size - rn - 1 : 0;
	if (rn >= sizeof(range) || vn >= sizeof(version))
		return 0;
	memcpy(range, data, rn);
	range[rn] = '\0';
	if (nl)
		memcpy(version, nl + 1, vn);
	version[vn] = '\0';
	if (strlen(range) != rn || strlen(version) != vn)
		return 0;

	st = kup_semver_range_check(range, &err);
	if (st != KUP_OK && (!err.msg || err.column < 1 || err.column > rn + 1))
		abort();
	kup_error_release(&err);
	st2 = kup_semver_range_match(range, "1.2.3", &m, &err);
	if ((st == KUP_OK) != (st2 == KUP_OK))
		abort();
	kup_error_release(&err);
	if (st != KUP_OK || !vn)
		return 0;

	st = kup_semver_range_match(range, version, &m, &err);
	kup_error_release(&err);
	if (st != KUP_OK)
		return 0;
	if (kup_semver_range_match_flags(range, version, KUP_SEMVER_IGNORE_PRE, &m2, &err) != KUP_OK)
		abort();
	kup_error_release(&err);
	(void)m2;
	if (kup_semver_cmp(version, version, &c1, &err) != KUP_OK || c1 != 0)
		abort();
	if (kup_semver_cmp(version, "1.2.3-rc.1", &c1, &err) != KUP_OK ||
	    kup_semver_cmp("1.2.3-rc.1", version, &c2, &err) != KUP_OK ||
	    (c1 > 0) != (c2 < 0) || (c1 == 0) != (c2 == 0))
		abort();
	kup_error_release(&err);
	return 0;
}
