/*
 * fuzz_template.c - kup_template_scan() on arbitrary text: it must never
 * fail, and every item must point into the text with sane positions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/helm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	const char *text;
	size_t len;
	uint32_t lines;
	uint32_t last_section;
};

static void check_slice(const struct fz *f, struct kup_str s)
{
	if (s.n == 0)
		return;
	if (!s.p || s.p < f->text || s.p + s.n > f->text + f->len)
		abort();
}

static enum kup_status on_item(void *ctx, const struct kup_template_item *it)
{
	struct fz *f = ctx;

	check_slice(f, it->api_version);
	check_slice(f, it->kind);
	check_slice(f, it->name);
	if (it->api_version.n == 0 && it->kind.n == 0)
		abort();
	if (it->line < 1 || it->line > f->lines || it->column < 1 ||
	    it->section_line < 1 || it->section_line < f->last_section)
		abort();
	f->last_section = it->section_line;
	return KUP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f;
	size_t i;

	f.text = (const char *)data;
	f.len = size;
	f.lines = 1;
	f.last_section = 0;
	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			f.lines++;
	if (kup_template_scan(f.text, f.len, on_item, &f) != KUP_OK)
		abort();
	return 0;
}
