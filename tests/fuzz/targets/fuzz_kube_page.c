/*
 * fuzz_kube_page.c - a list response page rewritten as a kubectl List
 * (apiVersion and kind spliced into each item), the /metrics parser and the
 * exec plugin's ExecCredential parser, on arbitrary bytes.  When the page is valid JSON and the rewrite succeeds,
 * the rewritten page is valid JSON with as many items as reported, each
 * with an apiVersion and a kind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/json.h"
#include "kupgrade/live.h"
#include "live/live_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum kup_status on_obj(void *ctx, const struct kup_object *obj)
{
	size_t *n = ctx;

	if (obj->src.type != KUP_SRC_METRICS || !obj->api_version.n || !obj->kind.n)
		abort();
	(*n)++;
	return KUP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct kup_buf out = KUP_BUF_INIT;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_read_limits lim;
	struct kup_arena a;
	struct kup_node *in_root = NULL, *out_root = NULL;
	char *cont = NULL;
	size_t nitems = 0, nobj = 0, count = 0, i;
	bool valid;

	kup_read_limits_default(&lim);
	kup_arena_init(&a, 4096);
	valid = kup_json_parse(text, size, &lim, &a, &in_root, &err) == KUP_OK;
	kup_error_release(&err);
	kup_buf_init(&out);
	if (kup_live_rewrite_page("apps/v1", "Deployment", text, size, &out, &cont, &nitems, &err) ==
	    KUP_OK) {
		if (out.oom)
			abort();
		if (valid && in_root->kind == KUP_NODE_MAP) {
			const struct kup_node *items;
			if (kup_json_parse(out.buf, out.len, &lim, &a, &out_root, &err) != KUP_OK)
				abort();
			items = kup_node_get(out_root, "items");
			if (!items || items->kind != KUP_NODE_SEQ || items->len != nitems)
				abort();
			for (i = 0; i < items->len; i++)
				if (!kup_node_get(items->u.items[i], "apiVersion") ||
				    !kup_node_get(items->u.items[i], "kind"))
					abort();
		}
	} else if (!err.msg) {
		abort();
	}
	kup_error_release(&err);
	free(cont);
	kup_buf_release(&out);
	kup_arena_release(&a);

	if (kup_live_metrics_parse(text, size, "/metrics", NULL, on_obj, &nobj, &count) != KUP_OK ||
	    nobj != count)
		abort();

	{
		struct kup_exec_cred cred;
		if (kup_exec_parse(NULL, text, size, &cred, &err) == KUP_OK) {
			if (!cred.token && !(cred.cert && cred.key))
				abort();
			kup_exec_cred_release(&cred);
		} else if (!err.msg || cred.token || cred.cert || cred.key) {
			abort();
		}
		kup_error_release(&err);
	}
	return 0;
}
