/*
 * skip_path.h - the readers' skip paths (core-private; json.c and yaml.c).
 *
 * A reader given kup_json_opts.skip_paths / kup_yaml_opts.skip_paths
 * validates the values at those paths but builds no nodes for them.  A
 * path is components split at '/', '*' standing for every element of a
 * sequence or every member of a map; it names a member, so it cannot end
 * in '*'.  While reading, each open collection carries a mask of the paths
 * that still match down to it; kup_skip_below() gives its child's mask.
 */
#ifndef KUP_CORE_SKIP_PATH_H
#define KUP_CORE_SKIP_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define KUP_SKIP_PATHS 8
#define KUP_SKIP_DEPTH 8

struct kup_skip_set {
	struct kup_skip_path {
		const char *comp[KUP_SKIP_DEPTH];
		size_t clen[KUP_SKIP_DEPTH];
		size_t n;
	} p[KUP_SKIP_PATHS];
	unsigned n;
	unsigned root;          /* every path: the mask a document's root starts with */
};

/* paths (NULL-terminated, may be NULL) into s; false when one is malformed or there are too many. */
static inline bool kup_skip_compile(struct kup_skip_set *s, const char *const *paths)
{
	size_t i;

	s->n = 0;
	s->root = 0;
	for (i = 0; paths && paths[i]; i++) {
		struct kup_skip_path *p;
		const char *c = paths[i];

		if (i >= KUP_SKIP_PATHS)
			return false;
		p = &s->p[i];
		p->n = 0;
		for (;;) {
			const char *e = strchr(c, '/');
			size_t n = e ? (size_t)(e - c) : strlen(c);

			if (n == 0 || p->n == KUP_SKIP_DEPTH)
				return false;
			p->comp[p->n] = c;
			p->clen[p->n++] = n;
			if (!e)
				break;
			c = e + 1;
		}
		if (p->clen[p->n - 1] == 1 && p->comp[p->n - 1][0] == '*')
			return false;   /* a path names a member, not every element */
		s->root |= 1u << i;
	}
	s->n = (unsigned)i;
	return true;
}

/*
 * The paths of act (a mask of s) still matching below the child at path
 * depth d: a member named key (klen bytes), or an element (key NULL).
 * *skip is set when one of them ends at that child.
 */
static inline unsigned kup_skip_below(const struct kup_skip_set *s, unsigned act, size_t d,
				      const char *key, size_t klen, bool *skip)
{
	unsigned out = 0, i;

	*skip = false;
	for (i = 0; i < s->n; i++) {
		const struct kup_skip_path *p = &s->p[i];
		bool star;

		if (!(act >> i & 1u) || d >= p->n)
			continue;
		star = p->clen[d] == 1 && p->comp[d][0] == '*';
		if (!star && (!key || p->clen[d] != klen || p->comp[d][0] != key[0] ||
			      memcmp(p->comp[d], key, klen) != 0))
			continue;
		if (d + 1 == p->n)
			*skip = true;
		else
			out |= 1u << i;
	}
	return out;
}

#endif
