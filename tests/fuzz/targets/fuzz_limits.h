/* fuzz_limits.h - the read limits the ingest-based harnesses fuzz under:
 * small enough that one input cannot spend the run's memory, large enough
 * for every seed.  One place, so the harnesses cannot drift apart. */
#ifndef KUPGRADE_FUZZ_LIMITS_H
#define KUPGRADE_FUZZ_LIMITS_H

#include "kupgrade/node.h"

static inline void fuzz_limits(struct kup_read_limits *l)
{
	l->max_depth = 64;
	l->max_scalar = 1u << 20;
	l->max_document = 4u << 20;
	l->max_aliases = 1000;
}

#endif
