/*
 * fuzz_scan.c - the whole pipeline on arbitrary bytes: ingest (YAML or JSON,
 * Lists, last-applied annotations, managedFields, Helm release records)
 * into the API check with the embedded knowledge base, then every renderer.
 * Inputs starting with '{' take the JSON path, others the YAML path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/ingest.h"
#include "kupgrade/report.h"
#include "kupgrade/scan.h"
#include "fuzz_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kup_kb *kb;

static void ignore_error(void *ctx, const struct kup_error *err)
{
	size_t *n = ctx;

	if (!err->msg)
		abort();
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_scan_opts so;
	struct kup_ingest_opts io;
	struct kup_ingest *in = NULL;
	struct kup_scan *scan = NULL;
	size_t nerr = 0, i;
	int f;

	if (!kb && kup_kb_load_embedded(&kb, NULL) != KUP_OK)
		abort();
	kup_scan_opts_init(&so);
	kup_version_parse("1.25", &so.target, NULL);
	kup_version_parse("1.16", &so.from, NULL);
	so.show_undecided = true;
	if (kup_scan_new(kb, &so, &scan) != KUP_OK)
		abort();
	kup_ingest_opts_init(&io);
	fuzz_limits(&io.limits);
	io.errors.fn = ignore_error;
	io.errors.ctx = &nerr;
	io.on_object = kup_scan_object;
	io.ctx = scan;
	io.all_revisions = size & 1;
	if (kup_ingest_new(&io, &in) != KUP_OK)
		abort();
	kup_ingest_mem(in, "fuzz.yaml", (const char *)data, size);
	kup_ingest_finish(in);
	kup_scan_finish(scan);
	for (f = KUP_FMT_TABLE; f <= KUP_FMT_HTML; f++) {
		struct kup_report r;
		struct kup_buf out = KUP_BUF_INIT;
		const struct kup_finding **list = calloc(kup_scan_count(scan) + 1, sizeof(*list));

		if (!list)
			abort();
		for (i = 0; i < kup_scan_count(scan); i++)
			list[i] = kup_scan_at(scan, i);
		memset(&r, 0, sizeof(r));
		r.target_version = "1.25";
		r.findings = list;
		r.nfindings = kup_scan_count(scan);
		r.summary.errors = nerr;
		r.tool_version = "fuzz";
		kup_report_render((enum kup_format)f, &r, &out);
		kup_buf_release(&out);
		free(list);
	}
	kup_ingest_free(in);
	kup_scan_free(scan);
	return 0;
}
