/* selector.c - Kubernetes label selectors (selector.h). */
#include <string.h>

#include "kupgrade/selector.h"

static bool fill_values(struct kup_arena *a, const struct kup_node *vals, struct kup_sel_req *r)
{
	size_t j;

	if (!vals || vals->kind != KUP_NODE_SEQ || vals->len == 0)
		return true;
	r->values = kup_arena_zalloc(a, vals->len * sizeof(*r->values));
	if (!r->values)
		return false;
	for (j = 0; j < vals->len; j++) {
		const char *v = kup_node_str(vals->u.items[j]);
		if (!v)
			continue;
		r->values[r->nvalues] = kup_arena_strdup(a, v);
		if (!r->values[r->nvalues])
			return false;
		r->nvalues++;
	}
	return true;
}

static bool parse_op(const char *op, enum kup_sel_op *out)
{
	if (!op)
		return false;
	if (strcmp(op, "In") == 0)
		*out = KUP_SEL_IN;
	else if (strcmp(op, "NotIn") == 0)
		*out = KUP_SEL_NOT_IN;
	else if (strcmp(op, "Exists") == 0)
		*out = KUP_SEL_EXISTS;
	else if (strcmp(op, "DoesNotExist") == 0)
		*out = KUP_SEL_NOT_EXISTS;
	else
		return false;
	return true;
}

bool kup_selector_parse(struct kup_arena *a, const struct kup_node *sel, struct kup_selector *out)
{
	const struct kup_node *ml, *me;
	size_t i, n = 0;

	memset(out, 0, sizeof(*out));
	if (!sel || (sel->kind == KUP_NODE_SCALAR && sel->tag == KUP_TAG_NULL))
		return true;
	if (sel->kind != KUP_NODE_MAP) {
		out->nothing = true;
		return true;
	}
	ml = kup_node_get(sel, "matchLabels");
	me = kup_node_get(sel, "matchExpressions");
	if (ml && ml->kind == KUP_NODE_MAP)
		n += ml->len;
	if (me && me->kind == KUP_NODE_SEQ)
		n += me->len;
	if (n == 0)
		return true;
	out->reqs = kup_arena_zalloc(a, n * sizeof(*out->reqs));
	if (!out->reqs)
		goto oom;
	if (ml && ml->kind == KUP_NODE_MAP) {
		for (i = 0; i < ml->len; i++) {
			struct kup_sel_req *r = &out->reqs[out->nreqs++];
			const char *k = kup_node_str(ml->u.pairs[i].key);
			const char *v = kup_node_str(ml->u.pairs[i].value);

			r->op = KUP_SEL_IN;
			if (!k || !v) {
				out->nothing = true;
				continue;
			}
			r->key = kup_arena_strdup(a, k);
			r->values = kup_arena_zalloc(a, sizeof(*r->values));
			if (!r->key || !r->values)
				goto oom;
			r->values[0] = kup_arena_strdup(a, v);
			if (!r->values[0])
				goto oom;
			r->nvalues = 1;
		}
	}
	if (me && me->kind == KUP_NODE_SEQ) {
		for (i = 0; i < me->len; i++) {
			const struct kup_node *e = me->u.items[i];
			const char *k = kup_node_str(kup_node_get(e, "key"));
			struct kup_sel_req *r = &out->reqs[out->nreqs++];

			if (!k || !parse_op(kup_node_str(kup_node_get(e, "operator")), &r->op)) {
				out->nothing = true;
				continue;
			}
			r->key = kup_arena_strdup(a, k);
			if (!r->key || !fill_values(a, kup_node_get(e, "values"), r))
				goto oom;
		}
	}
	return true;
oom:
	out->nothing = true;
	return false;
}

bool kup_labels_copy(struct kup_arena *a, const struct kup_node *labels,
		     struct kup_label **out, size_t *n)
{
	size_t i;

	*out = NULL;
	*n = 0;
	if (!labels || labels->kind != KUP_NODE_MAP || labels->len == 0)
		return true;
	*out = kup_arena_zalloc(a, labels->len * sizeof(**out));
	if (!*out)
		return false;
	for (i = 0; i < labels->len; i++) {
		const char *k = kup_node_str(labels->u.pairs[i].key);
		const char *v = kup_node_str(labels->u.pairs[i].value);
		if (!k)
			continue;
		(*out)[*n].key = kup_arena_strdup(a, k);
		(*out)[*n].value = kup_arena_strdup(a, v ? v : "");
		if (!(*out)[*n].key || !(*out)[*n].value)
			return false;
		(*n)++;
	}
	return true;
}

const char *kup_labels_get(const struct kup_label *l, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(l[i].key, key) == 0)
			return l[i].value;
	return NULL;
}

static bool in_values(const struct kup_sel_req *r, const char *v)
{
	size_t i;

	for (i = 0; i < r->nvalues; i++)
		if (strcmp(r->values[i], v) == 0)
			return true;
	return false;
}

bool kup_selector_matches(const struct kup_selector *s, const struct kup_label *l, size_t n)
{
	size_t i;

	if (s->nothing)
		return false;
	for (i = 0; i < s->nreqs; i++) {
		const struct kup_sel_req *r = &s->reqs[i];
		const char *v = kup_labels_get(l, n, r->key);

		switch (r->op) {
		case KUP_SEL_IN:
			if (!v || !in_values(r, v))
				return false;
			break;
		case KUP_SEL_NOT_IN:
			if (v && in_values(r, v))
				return false;
			break;
		case KUP_SEL_EXISTS:
			if (!v)
				return false;
			break;
		case KUP_SEL_NOT_EXISTS:
			if (v)
				return false;
			break;
		}
	}
	return true;
}
