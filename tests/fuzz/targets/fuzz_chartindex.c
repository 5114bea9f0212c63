/*
 * fuzz_chartindex.c - kup_chart_index_parse() and kup_chart_pick() on
 * arbitrary bytes.  Properties, abort() when one breaks:
 *
 *  - a failure has a message and no index;
 *  - every kept chart version has a name and a semver version, entries are
 *    sorted by name and versions newest first, find() finds every entry;
 *  - a pick for each entry at a plain and a provider version succeeds, and
 *    what it chooses is not deprecated, not a pre-release, and matches
 *    the cluster version; a trapped version is above the chosen one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/chart.h"
#include "kupgrade/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_pick(const struct kup_chart_index *idx, const struct kup_chart_entry *e,
		       const char *k8s)
{
	struct kup_chart_pick p;
	struct kup_error err = KUP_ERROR_INIT;
	bool m = false;
	int c = 0;

	if (kup_chart_pick(idx, e->name, k8s, NULL, 0, &p, &err) != KUP_OK)
		abort();
	if (p.chosen) {
		if (p.chosen->deprecated || p.chosen->prerelease)
			abort();
		if (p.chosen->kube_version &&
		    (kup_semver_range_match(p.chosen->kube_version, k8s, &m, &err) != KUP_OK || !m))
			abort();
		if (p.trapped && (kup_semver_cmp(p.trapped->version, p.chosen->version, &c, &err) != KUP_OK ||
				  c < 0))
			abort();
	}
	kup_error_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_chart_index *idx = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	size_t i, j;
	int c = 0;

	if (size > 256 * 1024)
		return 0;
	if (kup_chart_index_parse("fuzz", (const char *)data, size, NULL, &idx, &err) != KUP_OK) {
		if (idx || !err.msg)
			abort();
		kup_error_release(&err);
		return 0;
	}
	for (i = 0; i < idx->nentries; i++) {
		const struct kup_chart_entry *e = &idx->entries[i];
		if (i && strcmp(idx->entries[i - 1].name, e->name) >= 0)
			abort();
		if (kup_chart_index_find(idx, e->name) != e)
			abort();
		for (j = 0; j < e->nversions; j++) {
			if (!e->versions[j].name || !e->versions[j].version)
				abort();
			if (j && (kup_semver_cmp(e->versions[j - 1].version, e->versions[j].version, &c,
						 &err) != KUP_OK || c < 0))
				abort();
		}
		check_pick(idx, e, "1.30.2");
		check_pick(idx, e, "v1.30.1-eks-1a2b3c");
	}
	kup_error_release(&err);
	kup_chart_index_free(idx);
	return 0;
}
