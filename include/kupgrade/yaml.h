/*
 * yaml.h - a YAML stream reader over libyaml's event API.
 *
 * The stream is split into documents at `---` / `...` marker lines, and
 * each document is parsed on its own, so one malformed document is reported
 * (path:line:column) and the rest are still read.  A UTF-8 BOM is skipped,
 * CRLF is accepted, anchors and aliases are expanded (bounded by
 * max_aliases), empty documents are delivered with root == NULL.
 *
 * Only one document's text and tree are in memory at a time.
 */
#ifndef KUPGRADE_YAML_H
#define KUPGRADE_YAML_H

#include <stdio.h>
#include "kupgrade/node.h"

struct kup_yaml_opts {
	const char *path;                /* name used in documents and errors */
	struct kup_read_limits limits;
	struct kup_error_sink errors;    /* each malformed document */
	size_t line_offset;              /* added to every line (text embedded in another file) */
};
void kup_yaml_opts_init(struct kup_yaml_opts *o, const char *path);

/*
 * Reads every document of `text` (len bytes), calling fn for each; nodes go
 * into `arena`, which is reset after each document.  Offsets are relative
 * to `text`.  Returns KUP_OK when the stream was read (even if documents
 * were reported as errors: see `*nerrors`), or the status fn stopped with.
 */
enum kup_status kup_yaml_read_mem(const char *text, size_t len,
				  const struct kup_yaml_opts *opts,
				  struct kup_arena *arena, kup_doc_fn fn, void *ctx,
				  size_t *nerrors);

/* Same, streaming from a FILE (read in chunks; one document buffered). */
enum kup_status kup_yaml_read_file(FILE *fp, const struct kup_yaml_opts *opts,
				   struct kup_arena *arena, kup_doc_fn fn, void *ctx,
				   size_t *nerrors);

#endif
