/*
 * fuzz_preflight.c - the pre-flight checks on arbitrary objects: ingest
 * (YAML or JSON, Lists) into the pass with every check on (a server
 * version, a target, allowed registries, a skew policy), then the
 * findings as report items in every format; the JSON rendering must parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/ingest.h"
#include "kupgrade/json.h"
#include "kupgrade/preflight.h"
#include "kupgrade/report.h"
#include "fuzz_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kup_kb *kb;

static void ignore_error(void *ctx, const struct kup_error *err)
{
	(void)ctx;
	if (!err->msg)
		abort();
}

static int skew(void *ctx, const char *component, const struct kup_version *v)
{
	(void)ctx;
	(void)component;
	return v->minor >= 28 ? 3 : 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = { "registry.internal", "public.ecr.aws/eks", "docker.io" };
	struct kup_preflight_opts po;
	struct kup_ingest_opts io;
	struct kup_ingest *in = NULL;
	struct kup_preflight *pf = NULL;
	struct kup_buf out = KUP_BUF_INIT;
	struct kup_arena a;
	struct kup_node *root = NULL;
	struct kup_report_item *items;
	struct kup_report r;
	size_t i;
	int fmt;

	if (!kb && kup_kb_load_embedded(&kb, NULL) != KUP_OK)
		abort();
	kup_preflight_opts_init(&po);
	kup_version_parse("1.25", &po.target, NULL);
	kup_version_parse("v1.20.2", &po.server, NULL);
	po.allowed_registries = allowed;
	po.nallowed = (size & 2) ? 3 : 1;
	po.skew_older = skew;
	po.max_pods_listed = 3;
	if (kup_preflight_new(kb, &po, &pf) != KUP_OK)
		abort();
	kup_ingest_opts_init(&io);
	fuzz_limits(&io.limits);
	io.errors.fn = ignore_error;
	io.on_object = kup_preflight_object;
	io.ctx = pf;
	if (kup_ingest_new(&io, &in) != KUP_OK)
		abort();
	kup_ingest_mem(in, "fuzz.yaml", (const char *)data, size);
	kup_ingest_finish(in);
	kup_preflight_finish(pf);
	for (i = 0; i < kup_preflight_count(pf); i++) {
		const struct kup_preflight_finding *f = kup_preflight_at(pf, i);
		if (!f->check || !f->message)
			abort();
	}
	items = calloc(kup_preflight_count(pf) + 1, sizeof(*items));
	if (!items)
		abort();
	for (i = 0; i < kup_preflight_count(pf); i++)
		kup_report_item_from_preflight(&items[i], kup_preflight_at(pf, i));
	memset(&r, 0, sizeof(r));
	r.items = items;
	r.nitems = kup_preflight_count(pf);
	r.passes = 1u << KUP_ITEM_PREFLIGHT;
	r.kb = kb;
	for (fmt = KUP_FMT_TABLE; fmt <= KUP_FMT_HTML; fmt++) {
		kup_buf_reset(&out);
		if (kup_report_render((enum kup_format)fmt, &r, &out) != KUP_OK && !out.oom)
			abort();
		if (fmt != KUP_FMT_JSON && fmt != KUP_FMT_SARIF)
			continue;
		kup_arena_init(&a, 4096);
		if (!out.oom && kup_json_parse(out.buf, out.len, NULL, &a, &root, NULL) != KUP_OK)
			abort();
		kup_arena_release(&a);
	}
	free(items);
	kup_buf_release(&out);
	kup_ingest_free(in);
	kup_preflight_free(pf);
	return 0;
}
