/*
 * json.h - a streaming JSON reader producing the node tree of node.h.
 *
 * RFC 8259 JSON, strictly: no comments, no trailing commas, no NaN.  Strings
 * are validated as UTF-8 and unescaped (\uNNNN with surrogate pairs).
 *
 * Streaming: when the top-level value is an object with an `items` array
 * (a kubectl List), each element of that array is delivered as its own
 * document (list_item = true, index = position) as soon as it is complete,
 * and the arena is reset after it; the remaining top-level members are then
 * delivered as one more document without `items`.  So a 300 MB dump needs
 * memory for one item, not for the whole file.  A top-level array is read
 * the same way: each element is delivered as its own document as soon as it
 * is complete (list_item = true; index counts on from the documents before
 * it, so a 20 MB array of objects needs memory for one object).  Any other top-level
 * value is one document.  Several top-level values in a row (concatenated JSON) are
 * several documents.
 *
 * A syntax error is reported with line and column; inside an `items` array
 * the reader reports the bad item and, where it can resynchronise, carries
 * on with the next item.
 */
#ifndef KUPGRADE_JSON_H
#define KUPGRADE_JSON_H

#include <stdio.h>
#include "kupgrade/node.h"

struct kup_json_opts {
	const char *path;
	struct kup_read_limits limits;
	struct kup_error_sink errors;
	bool stream_items;       /* stream a top-level `items` array (default true) */
	/*
	 * Members no caller reads, NULL-terminated, each a path from the root
	 * of a document (each streamed item is one): its components, object
	 * keys or '*' for any key or any array element, joined by '/' (the
	 * components metadata, managedFields, *, fieldsV1 name the fieldsV1
	 * of every managedFields entry).  Their values are checked as
	 * any other (a syntax error is reported where it is) but built into
	 * no node: the member is left out of its map.  At most 8 paths of at
	 * most 8 components, the last one a key; otherwise the read functions
	 * return KUP_INVALID.  Default none.
	 */
	const char *const *skip_paths;
};
void kup_json_opts_init(struct kup_json_opts *o, const char *path);

enum kup_status kup_json_read_mem(const char *text, size_t len,
				  const struct kup_json_opts *opts,
				  struct kup_arena *arena, kup_doc_fn fn, void *ctx,
				  size_t *nerrors);

/* Same, streaming from an input (core.h): any kind of file, after a peek. */
enum kup_status kup_json_read_input(struct kup_input *in, const struct kup_json_opts *opts,
				    struct kup_arena *arena, kup_doc_fn fn, void *ctx,
				    size_t *nerrors);
/* Same, streaming from a FILE from where it stands. */
enum kup_status kup_json_read_file(FILE *fp, const struct kup_json_opts *opts,
				   struct kup_arena *arena, kup_doc_fn fn, void *ctx,
				   size_t *nerrors);

/*
 * Parses one JSON value held in memory (e.g. a last-applied-configuration
 * annotation) into `*out`, nodes in `arena`.  Positions are relative to
 * `text`.  On failure fills err (line/column relative to text).
 */
enum kup_status kup_json_parse(const char *text, size_t len,
			       const struct kup_read_limits *limits,
			       struct kup_arena *arena, struct kup_node **out,
			       struct kup_error *err);

/*
 * Looks for top-level string members of a JSON object without building a
 * tree: fills out[i] with the value of keys[i] when it is a string without
 * escapes.  Stops as soon as every key is found; nested values are skipped
 * by bracket counting and are not validated.  Returns true when every key
 * was found this way; false when the text is not an object, a key is
 * missing, or something could not be decided cheaply (an escape in a key or
 * value, a malformed member) - then parse it with kup_json_parse().
 * kubectl writes last-applied-configuration with sorted keys, so
 * apiVersion and kind are found in the first bytes.
 */
bool kup_json_peek_strings(const char *text, size_t len, const char *const *keys,
			   size_t nkeys, struct kup_str *out);

#endif
