/*
 * selector.h - Kubernetes label selectors (core; used by the pre-flight checks and drain).
 *
 * A selector ({matchLabels, matchExpressions}) is copied out of a node
 * tree into an arena so that it outlives the document it came from; labels
 * likewise.  Semantics are the API server's: an empty selector matches
 * every object; a malformed one (unknown operator, missing key) matches
 * none.
 */
#ifndef KUP_SELECTOR_H
#define KUP_SELECTOR_H

#include "kupgrade/core.h"
#include "kupgrade/node.h"

struct kup_label {
	const char *key;
	const char *value;
};

enum kup_sel_op { KUP_SEL_IN, KUP_SEL_NOT_IN, KUP_SEL_EXISTS, KUP_SEL_NOT_EXISTS };

struct kup_sel_req {
	enum kup_sel_op op;
	const char *key;
	const char **values;
	size_t nvalues;
};

struct kup_selector {
	struct kup_sel_req *reqs;
	size_t nreqs;
	bool nothing;     /* malformed (or absent where absent means "no pod"): matches nothing */
};

/*
 * Copies `sel` (may be NULL: an empty selector) into `out`.  False when the
 * arena ran out of memory (out then matches nothing).
 */
bool kup_selector_parse(struct kup_arena *a, const struct kup_node *sel, struct kup_selector *out);
/* Copies a labels map (may be NULL); false when out of memory. */
bool kup_labels_copy(struct kup_arena *a, const struct kup_node *labels,
		     struct kup_label **out, size_t *n);
const char *kup_labels_get(const struct kup_label *l, size_t n, const char *key);
bool kup_selector_matches(const struct kup_selector *s, const struct kup_label *l, size_t n);

#endif
