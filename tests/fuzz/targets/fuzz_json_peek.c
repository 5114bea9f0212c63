/*
 * fuzz_json_peek.c - kup_json_peek_strings against the full parser: when
 * peeking claims success on a document the parser accepts, each value must
 * equal the first top-level member of that name in the parsed tree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct kup_node *first_member(const struct kup_node *map, const char *key)
{
	size_t i;

	for (i = 0; i < map->len; i++)
		if (strcmp(map->u.pairs[i].key->u.str, key) == 0)
			return map->u.pairs[i].value;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "apiVersion", "kind" };
	struct kup_str out[2];
	struct kup_read_limits lim;
	struct kup_arena a;
	struct kup_node *root = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	size_t k;

	if (!kup_json_peek_strings((const char *)data, size, keys, 2, out))
		return 0;
	for (k = 0; k < 2; k++)
		if (!out[k].p || out[k].p < (const char *)data ||
		    out[k].p + out[k].n > (const char *)data + size)
			abort();
	kup_read_limits_default(&lim);
	kup_arena_init(&a, 0);
	if (kup_json_parse((const char *)data, size, &lim, &a, &root, &err) == KUP_OK) {
		if (!root || root->kind != KUP_NODE_MAP)
			abort();
		for (k = 0; k < 2; k++) {
			const struct kup_node *v = first_member(root, keys[k]);
			if (!v || v->kind != KUP_NODE_SCALAR || v->tag != KUP_TAG_STR ||
			    v->len != out[k].n || memcmp(v->u.str, out[k].p, v->len) != 0)
				abort();
		}
	}
	kup_error_release(&err);
	kup_arena_release(&a);
	return 0;
}
