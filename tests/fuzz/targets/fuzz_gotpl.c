/*
 * fuzz_gotpl.c - the chart template evaluator (chart/gotpl.h) on arbitrary
 * text: the first line holds values (YAML flow map), the rest is a
 * template.  Parsing either fails with a position inside the text or
 * succeeds; rendering ends within its budget; the markers of the output are
 * well formed (every region closed, every index a known reason).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chart/gotpl.h"
#include "kupgrade/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has(void *ctx, const char *s, size_t n, const char **why)
{
	(void)ctx;
	if (n && s[0] == 'v')
		return 1;
	if (n && s[0] == 'x') {
		*why = "fuzz";
		return -1;
	}
	return 0;
}

struct vctx {
	struct gt_engine *e;
	struct gt_val v;
};

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct vctx *c = ctx;
	c->v = gt_from_node(c->e, doc->root);
	return KUP_OK;
}

static size_t read_idx(const char *s, size_t n, size_t *i)
{
	size_t idx = 0, digits = 0;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9' && digits < 12) {
		idx = idx * 10 + (size_t)(s[(*i)++] - '0');
		digits++;
	}
	if (digits == 0 || *i >= n || s[*i] != GT_M_SEP)
		abort();
	(*i)++;
	return idx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nl = memchr(text, '\n', size);
	size_t vlen = nl ? (size_t)(nl - text) : 0, i, nerr = 0;
	/* a smaller budget than the CLI's: 4,000,000 steps take over libFuzzer's 10 s
	 * under ASan and coverage on a loaded machine (test_gotpl covers the default) */
	struct gt_caps caps = { "v1.25.0", "1", "25", has, NULL, 100000 };
	struct kup_arena a, ya;
	struct gt_engine *e;
	struct gt_file *f;
	struct kup_error err = KUP_ERROR_INIT;
	struct gt_out o;
	struct gt_val dot, cv, kv;
	struct vctx vc;
	struct kup_yaml_opts yo;
	int depth = 0;

	kup_arena_init(&a, 0);
	e = gt_new(&a, &caps);
	if (!e)
		return 0;
	vc.e = e;
	vc.v = gt_nil();
	kup_yaml_opts_init(&yo, "values");
	kup_arena_init(&ya, 0);
	kup_yaml_read_mem(text, vlen, &yo, &ya, on_doc, &vc, &nerr);
	kup_arena_release(&ya);
	dot = gt_map_new(e);
	cv = gt_map_new(e);
	kv = gt_map_new(e);
	if (dot.k == GT_MAP && cv.k == GT_MAP && kv.k == GT_MAP) {
		gt_map_set(e, kv.u.m, "GitVersion", gt_strc(e, "v1.25.0"));
		gt_map_set(e, cv.u.m, "KubeVersion", kv);
		gt_map_set(e, cv.u.m, "APIVersions", gt_apiv());
		gt_map_set(e, dot.u.m, "Capabilities", cv);
		gt_map_set(e, dot.u.m, "Values", vc.v);
	}
	f = gt_parse(e, "fuzz", text + vlen, size - vlen, &err);
	if (!f) {
		if (err.code != KUP_NOMEM && (err.line < 1 || err.column < 1 || !err.msg))
			abort();
		kup_error_release(&err);
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.top = true;
	if (gt_render(e, f, dot, &o) == KUP_OK) {
		const char *s = o.buf.buf;
		for (i = 0; i < o.buf.len;) {
			char c = s[i++];
			if (c == GT_M_UNK || c == GT_M_GUARD || c == GT_M_DEAD) {
				size_t idx = read_idx(s, o.buf.len, &i);
				if (!gt_reason(e, idx))
					abort();
				if (c != GT_M_UNK)
					depth++;
			} else if (c == GT_M_GUARD_END || c == GT_M_DEAD_END) {
				if (--depth < 0)
					abort();
			} else if (c == GT_M_SEP) {
				abort();
			}
		}
		if (depth != 0)
			abort();
		for (i = 1; i < o.nspans; i++)
			if (o.spans[i].out < o.spans[i - 1].out || o.spans[i].src > size - vlen)
				abort();
	}
	gt_out_release(&o);
out:
	gt_free(e);
	kup_arena_release(&a);
	return 0;
}
