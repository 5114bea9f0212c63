/*
 * fuzz_fix.c - kup_fix_text() on arbitrary bytes with the embedded KB at
 * target 1.32.  Two properties, abort() when either breaks:
 *
 *  - the output still parses: read as the input was (JSON when the first
 *    significant byte is '{' or '[', else YAML), it has as many documents
 *    and no more malformed ones: a document that parsed before parses after;
 *  - fixing is idempotent: fixing the output again gives the same bytes.
 *
 * Inputs are capped at 256 KiB to keep each run fast.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/fix.h"
#include "kupgrade/json.h"
#include "kupgrade/yaml.h"
#include "fuzz_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kup_kb *kb;

static void ignore_error(void *ctx, const struct kup_error *err)
{
	(void)ctx;
	if (!err->msg)
		abort();
}

struct counts {
	size_t docs;     /* delivered (parsed) */
	size_t errors;   /* malformed */
};

static enum kup_status count_doc(void *ctx, const struct kup_doc *doc)
{
	struct counts *c = ctx;

	(void)doc;
	c->docs++;
	return KUP_OK;
}

static bool looks_json(const char *text, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' ||
			   text[i] == '\n'))
		i++;
	return i < len && (text[i] == '{' || text[i] == '[');
}

static void set_limits(struct kup_read_limits *l)
{
	kup_read_limits_default(l);
	fuzz_limits(l);
}

/* Parses text as the fixer would have; `json` is the input's kind. */
static struct counts parse(const char *text, size_t len, bool json)
{
	struct counts c = { 0, 0 };
	struct kup_arena arena;
	enum kup_status st;

	kup_arena_init(&arena, 16 * 1024);
	if (json) {
		struct kup_json_opts o;

		kup_json_opts_init(&o, "fuzz");
		set_limits(&o.limits);
		o.errors.fn = ignore_error;
		st = kup_json_read_mem(text, len, &o, &arena, count_doc, &c, &c.errors);
	} else {
		struct kup_yaml_opts o;

		kup_yaml_opts_init(&o, "fuzz");
		set_limits(&o.limits);
		o.errors.fn = ignore_error;
		st = kup_yaml_read_mem(text, len, &o, &arena, count_doc, &c, &c.errors);
	}
	if (st != KUP_OK && st != KUP_NOMEM && st != KUP_TOOBIG)
		abort();
	kup_arena_release(&arena);
	return c;
}

/*
 * The input with each span replaced by its output bytes is the output; and
 * fixing with edits_only gives the same spans, whose bytes are the same.
 */
static bool spans_rebuild(const char *text, size_t size, const struct kup_fix_result *r,
			  const struct kup_buf *out, const struct kup_fix_opts *opts)
{
	if (!r->spans_valid)
		return false;
	struct kup_buf re = KUP_BUF_INIT, eo = KUP_BUF_INIT;
	struct kup_fix_result r3;
	struct kup_fix_opts o = *opts;
	bool ok = true;
	size_t pos = 0;
	kup_buf_init(&re);
	kup_buf_init(&eo);
	kup_fix_result_init(&r3);
	for (size_t i = 0; i < r->nspans && ok; i++) {
		const struct kup_fix_span *sp = &r->spans[i];
		if (sp->start < pos || sp->end > size || sp->out_end > out->len ||
		    sp->out_start > sp->out_end)
			ok = false;
		else {
			kup_buf_add(&re, text + pos, sp->start - pos);
			kup_buf_add(&re, out->buf + sp->out_start, sp->out_end - sp->out_start);
			pos = sp->end;
		}
	}
	if (ok) {
		kup_buf_add(&re, text + pos, size - pos);
		ok = re.oom || (re.len == out->len && (!re.len || memcmp(re.buf, out->buf, re.len) == 0));
	}
	o.edits_only = true;
	if (ok && kup_fix_text("fuzz", text, size, &o, &eo, &r3) == KUP_OK && !eo.oom) {
		ok = r3.nspans == r->nspans;
		for (size_t i = 0; ok && i < r3.nspans; i++) {
			const struct kup_fix_span *a = &r->spans[i], *b = &r3.spans[i];
			ok = a->start == b->start && a->end == b->end &&
			     a->out_end - a->out_start == b->out_end - b->out_start &&
			     memcmp(out->buf + a->out_start, eo.buf + b->out_start,
				    a->out_end - a->out_start) == 0;
		}
	}
	kup_buf_release(&re);
	kup_buf_release(&eo);
	kup_fix_result_release(&r3);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct kup_fix_opts opts;
	struct kup_fix_result r1, r2;
	struct kup_buf out1, out2;
	struct counts before, after;
	bool json;

	if (size > (256u << 10))
		return 0;
	if (!kb && kup_kb_load_embedded(&kb, NULL) != KUP_OK)
		abort();
	kup_fix_opts_init(&opts, kb);
	if (kup_version_parse("1.32", &opts.target, NULL) != KUP_OK)
		abort();
	set_limits(&opts.limits);
	opts.errors.fn = ignore_error;
	kup_fix_result_init(&r1);
	kup_fix_result_init(&r2);
	kup_buf_init(&out1);
	kup_buf_init(&out2);

	if (kup_fix_text("fuzz", text, size, &opts, &out1, &r1) != KUP_OK || out1.oom)
		goto out;   /* out of memory: nothing to check */
	if (r1.converted == 0 && (out1.len != size || memcmp(out1.buf, text, size) != 0))
		abort();    /* nothing converted, yet the text changed */

	json = looks_json(text, size);
	before = parse(text, size, json);
	after = parse(out1.buf, out1.len, json);
	if (after.docs != before.docs || after.errors != before.errors)
		abort();

	if (!spans_rebuild(text, size, &r1, &out1, &opts))
		abort();    /* the spans (whole and edits-only) do not give the output back */

	if (kup_fix_text("fuzz", out1.buf, out1.len, &opts, &out2, &r2) != KUP_OK || out2.oom)
		goto out;
	if (out2.len != out1.len || memcmp(out2.buf, out1.buf, out1.len) != 0)
		abort();
	if (r2.converted != 0)
		abort();
out:
	kup_buf_release(&out1);
	kup_buf_release(&out2);
	kup_fix_result_release(&r1);
	kup_fix_result_release(&r2);
	return 0;
}
