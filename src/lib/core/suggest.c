/*
 * suggest.c - "did you mean": the closest known word (core.h).
 *
 * Optimal string alignment distance (Levenshtein plus the swap of two
 * neighbours), with letters compared without case: "nodepools" is one
 * case change from "nodePools" and costs nothing, so it is always offered.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/core.h"

/* Words longer than this are never close to anything we offer. */
#define SUGGEST_MAX_LEN 64

static int lower(char c)
{
	return tolower((unsigned char)c);
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* The distance between a and b (lengths at most SUGGEST_MAX_LEN). */
static size_t distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];
	size_t i, j;

	for (i = 0; i <= na; i++)
		d[i][0] = i;
	for (j = 0; j <= nb; j++)
		d[0][j] = j;
	for (i = 1; i <= na; i++) {
		for (j = 1; j <= nb; j++) {
			size_t cost = lower(a[i - 1]) != lower(b[j - 1]);

			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
			    lower(a[i - 2]) == lower(b[j - 1]) && d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[na][nb];
}

const char *kup_suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t nw, limit, best_d = SIZE_MAX, i;

	if (!word || !candidates)
		return NULL;
	nw = strlen(word);
	if (nw == 0 || nw > SUGGEST_MAX_LEN)
		return NULL;
	limit = nw / 3;
	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	for (i = 0; i < n; i++) {
		size_t nc, d;

		if (!candidates[i])
			continue;
		nc = strlen(candidates[i]);
		if (nc > SUGGEST_MAX_LEN || (nc > nw ? nc - nw : nw - nc) > limit)
			continue;
		d = distance(word, nw, candidates[i], nc);
		if (d <= limit && d < best_d) {
			best = candidates[i];
			best_d = d;
		}
	}
	return best;
}
