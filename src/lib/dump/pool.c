/*
 * pool.c - the node pool of a Node (dump.h): one rule for every reader of
 * kubectl dumps (profile --from-dump, rollout scenario --from-dump) and
 * rollout run --pool, with kupgrade's own label and the pool labels from the
 * knowledge base.
 */
#include <string.h>

#include "kupgrade/dump.h"
#include "kupgrade/kbrules.h"

static const char *label_value(const struct kup_node *labels, const char *key)
{
	const struct kup_node *v = kup_node_get(labels, key);

	if (!v || v->kind != KUP_NODE_SCALAR || v->tag == KUP_TAG_NULL || v->len == 0 ||
	    strlen(v->u.str) != v->len)
		return NULL;
	return v->u.str;
}

/* kupgrade's own pool label: a user's grouping of self-managed nodes. */
#define KUP_POOL_LABEL "kupgrade.dev/pool"

const char *kup_dump_pool_label_at(const struct kup_kb *kb, size_t i)
{
	const struct kup_pool_label *pl;

	if (i == 0)
		return KUP_POOL_LABEL;
	pl = kb ? kup_kb_pool_label_at(kb, i - 1) : NULL;
	return pl ? pl->label : NULL;
}

const char *kup_dump_node_pool(const struct kup_kb *kb, const struct kup_node *obj)
{
	const struct kup_node *labels = kup_node_path(obj, "metadata", "labels", NULL);
	const char *label, *v;
	size_t i;

	if (!labels || labels->kind != KUP_NODE_MAP)
		return "default";
	for (i = 0; (label = kup_dump_pool_label_at(kb, i)) != NULL; i++)
		if ((v = label_value(labels, label)) != NULL)
			return v;
	/* Kubernetes' own role labels (kubeadm sets the first, before 1.24 the second). */
	if (kup_node_get(labels, "node-role.kubernetes.io/control-plane") ||
	    kup_node_get(labels, "node-role.kubernetes.io/master"))
		return "control-plane";
	return "default";
}
