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
 *
 * Documents: a document is the text between marker lines (a `%` directive
 * run right before `---` belongs to the document it introduces; a `...` line
 * belongs to neither side).  A stretch that holds only blank lines, comments
 * (or nothing: an empty file) is no document; an explicit `---` with no
 * content is one, delivered with root == NULL.  A malformed or oversized
 * document is reported through opts->errors, counted in *nerrors, keeps its
 * index, and is not delivered.
 *
 * Positions: doc->start/end and every node's start/end are byte offsets in
 * the whole input (the file), doc->line and node lines are file lines (plus
 * opts->line_offset).  doc->text points at the document's own text (both
 * readers), text_len bytes, which sit at offset doc->start of the input: the
 * bytes of a node are doc->text + (node->start - doc->start).
 *
 * Aliases share the anchored node (the tree is a DAG); an alias costs the
 * number of nodes of its full expansion, and a document whose aliases cost
 * more than max_aliases in total is an error.  Merge keys (`<<: *base`,
 * `<<: [*a, *b]`) are expanded: explicit keys win, then earlier maps.
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
	/*
	 * Members no caller reads, NULL-terminated, as json.h's skip_paths
	 * (components joined by '/', '*' for any key or element; at most 8
	 * paths of at most 8 components, the last a key, else the read
	 * functions return KUP_INVALID).  Such a member is read as any other
	 * (limits, node count, errors and positions exactly as in a full
	 * read) but builds no node: it is left out of its map.  A key matches
	 * by its text (a plain `<<` merge key never does).  An anchored node
	 * is built in full wherever it stands, so an alias to it expands as in
	 * a full read (only the member itself is left out), and skip paths do
	 * not apply inside it.  Default none.
	 */
	const char *const *skip_paths;
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

/* Same, streaming from an input (core.h; read in chunks, one document buffered). */
enum kup_status kup_yaml_read_input(struct kup_input *in, const struct kup_yaml_opts *opts,
				    struct kup_arena *arena, kup_doc_fn fn, void *ctx,
				    size_t *nerrors);
/* Same, streaming from a FILE from where it stands. */
enum kup_status kup_yaml_read_file(FILE *fp, const struct kup_yaml_opts *opts,
				   struct kup_arena *arena, kup_doc_fn fn, void *ctx,
				   size_t *nerrors);

/*
 * The value of one YAML line's scalar at s[0..n), for the readers that go
 * line by line (chart's rendered output, ingest's Go templates): a trailing
 * comment ('#' after a blank, outside quotes) and trailing blanks dropped,
 * then one pair of surrounding quotes (*skip = 1: the bytes dropped at the
 * front).  With `actions`, text inside Go-template actions ({{ ... }}) is
 * not looked at.
 */
struct kup_str kup_yaml_line_value(const char *s, size_t n, bool actions, size_t *skip);

#endif
