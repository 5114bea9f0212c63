/* sniff.c - JSON or YAML, from the first significant byte (core.h). */
#include <string.h>

#include "kupgrade/core.h"
#include "kupgrade/json.h"
#include "kupgrade/yaml.h"

bool kup_looks_json(const char *text, size_t len)
{
	size_t i = 0;

	if (!text)
		return false;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	return i < len && (text[i] == '{' || text[i] == '[');
}

enum kup_status kup_docs_read_mem(const char *text, size_t len, const char *path,
				  const struct kup_read_limits *limits, bool stream_items,
				  struct kup_error_sink errors, struct kup_arena *arena,
				  kup_doc_fn fn, void *ctx, size_t *nerrors)
{
	if (kup_looks_json(text, len)) {
		struct kup_json_opts jo;

		kup_json_opts_init(&jo, path);
		if (limits)
			jo.limits = *limits;
		jo.errors = errors;
		jo.stream_items = stream_items;
		return kup_json_read_mem(text, len, &jo, arena, fn, ctx, nerrors);
	}
	struct kup_yaml_opts yo;

	kup_yaml_opts_init(&yo, path);
	if (limits)
		yo.limits = *limits;
	yo.errors = errors;
	return kup_yaml_read_mem(text, len, &yo, arena, fn, ctx, nerrors);
}
