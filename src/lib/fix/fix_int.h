/*
 * fix_int.h - the edit engine shared by the converters (not public).
 *
 * A converter looks at one object's node tree (positions are byte offsets
 * into the file text) and records edits; nothing is applied until every
 * converter of the document has run.  Edits never overlap; when a converter
 * cannot express a change safely it calls kup_fixer_unfixable() and the
 * document is left untouched.
 *
 * Every helper keeps the style of the surrounding text: block or flow,
 * the map's own indentation (measured from the text, not assumed), quoting
 * of the value it replaces, the file's line ending (LF or CRLF), and for
 * JSON the file's indentation and commas.
 */
#ifndef KUP_FIX_INT_H
#define KUP_FIX_INT_H

#include "kupgrade/fix.h"

struct kup_edit {
	size_t start;     /* byte range of the file text to replace */
	size_t end;
	char *text;       /* replacement bytes (malloc'd) */
	size_t len;
};

struct kup_fixer {
	const char *text;          /* the whole file */
	size_t len;
	bool json;                 /* the file is JSON */
	const char *eol;           /* "\n" or "\r\n", as the file uses */
	struct kup_edit *edits;
	size_t nedits, cap;
	bool unfixable;            /* set by kup_fixer_unfixable() */
	char *reason;
	char *summary;             /* what the converter changed besides apiVersion, or NULL */
	bool oom;
	const struct kup_kb *kb;
	struct kup_version target;
	size_t first_edit;         /* overlap checks start here (the current object's edits) */
	bool json_style;           /* YAML text that looks like JSON: insert JSON-style flow */
	bool compact;              /* JSON without blanks after ':' and ',': insert alike */
};

/* ---- primitives (edit.c) --------------------------------------------------------- */

/* Replaces bytes [start, end) of the file with text. */
/* The offset where the line holding pos starts; just past the '\n' ending it (or len). */
size_t kup_fixer_line_start(const struct kup_fixer *f, size_t pos);
size_t kup_fixer_line_next(const struct kup_fixer *f, size_t pos);
bool kup_fixer_replace(struct kup_fixer *f, size_t start, size_t end, const char *text, size_t len);
/* Replaces a scalar's value, keeping its quoting style when the new text allows it. */
bool kup_fixer_set_scalar(struct kup_fixer *f, const struct kup_node *scalar, const char *value);
/* Renames the key of map pair i (keeps the key's quoting). */
bool kup_fixer_rename_key(struct kup_fixer *f, const struct kup_node *map, size_t i,
			  const char *new_key);
/* Removes pair i of a map, with its line(s) in block style and its comma in flow/JSON. */
bool kup_fixer_delete_pair(struct kup_fixer *f, const struct kup_node *map, size_t i);
/*
 * Adds `key: value` at the end of a map.  `value_yaml` is a YAML fragment in
 * block style written for indentation 0 (e.g. "type: OnDelete\n" for a map,
 * "Ignore" for a scalar, "- v1beta1\n" for a list); the engine re-indents it
 * to the map's style, or converts it to JSON / flow when the map is such.
 */
bool kup_fixer_add_pair(struct kup_fixer *f, const struct kup_node *map, const char *key,
			const char *value_yaml);
/* Replaces a whole value node (scalar or collection) by a YAML fragment, as add_pair. */
bool kup_fixer_replace_value(struct kup_fixer *f, const struct kup_node *map, size_t i,
			     const char *value_yaml);
/* Marks the object as needing a human; the document is left unchanged. */
void kup_fixer_unfixable(struct kup_fixer *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends to the summary of what was changed ("pathType: ImplementationSpecific added"). */
void kup_fixer_note(struct kup_fixer *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The index of `key` in a map, or -1. */
long kup_map_index(const struct kup_node *map, const char *key);
/*
 * The value of `key`, or NULL when the key is absent or its value is an
 * explicit null: the API server decodes `key: null` as absent and defaults
 * it, so converters treat both alike.
 */
const struct kup_node *kup_fix_val(const struct kup_node *map, const char *key);
/* True when n is a null scalar (`null`, `~`, nothing). */
bool kup_fix_is_null(const struct kup_node *n);
/* Writes `key: value_yaml` into map: the value replaced when the key is there, else added. */
bool kup_fixer_put(struct kup_fixer *f, const struct kup_node *map, const char *key,
		   const char *value_yaml);

/* Sets up a fixer over the whole file text (detects LF / CRLF). */
void kup_fixer_init(struct kup_fixer *f, const char *text, size_t len, bool json);
/* Drops the edits, reason and summary (between objects). */
void kup_fixer_reset(struct kup_fixer *f);
void kup_fixer_release(struct kup_fixer *f);
/*
 * Appends text[start, end) with the edits applied (sorted by offset;
 * insertions at one offset keep their order and come before a replacement
 * starting there).  False when an edit lies outside [start, end) or memory ran out.
 */
bool kup_fixer_apply(struct kup_fixer *f, size_t start, size_t end, struct kup_buf *out);
/* Sorts the edits as kup_fixer_apply() applies them. */
void kup_fixer_sort(struct kup_fixer *f);

/* ---- converters (convert_*.c) ------------------------------------------------------ */

/*
 * Converts one object from `from` (its apiVersion) to `to` (the replacement
 * chosen at the target).  The apiVersion scalar itself is rewritten by the
 * caller; the converter does the field migrations.  Returns false only when
 * memory ran out.
 */
typedef bool (*kup_converter_fn)(struct kup_fixer *f, const struct kup_node *obj,
				 const char *from, const char *to);

struct kup_converter {
	const char *kind;          /* NULL: any kind of the group */
	const char *from;          /* apiVersion converted from */
	kup_converter_fn fn;
};

/* convert_core.c */
bool kup_convert_apps(struct kup_fixer *f, const struct kup_node *obj, const char *from,
		      const char *to);
bool kup_convert_ingress(struct kup_fixer *f, const struct kup_node *obj, const char *from,
			 const char *to);
bool kup_convert_webhook(struct kup_fixer *f, const struct kup_node *obj, const char *from,
			 const char *to);
bool kup_convert_pdb(struct kup_fixer *f, const struct kup_node *obj, const char *from,
		     const char *to);
bool kup_convert_endpointslice(struct kup_fixer *f, const struct kup_node *obj,
			       const char *from, const char *to);
bool kup_convert_event(struct kup_fixer *f, const struct kup_node *obj, const char *from,
		       const char *to);
bool kup_convert_plc(struct kup_fixer *f, const struct kup_node *obj, const char *from,
		     const char *to);
bool kup_convert_csr(struct kup_fixer *f, const struct kup_node *obj, const char *from,
		     const char *to);
bool kup_convert_access_review(struct kup_fixer *f, const struct kup_node *obj,
			       const char *from, const char *to);
bool kup_convert_cert_manager(struct kup_fixer *f, const struct kup_node *obj,
			      const char *from, const char *to);
/* convert_hpa.c, convert_crd.c */
bool kup_convert_hpa_v2beta1(struct kup_fixer *f, const struct kup_node *obj, const char *from,
			     const char *to);
bool kup_convert_crd_v1beta1(struct kup_fixer *f, const struct kup_node *obj, const char *from,
			     const char *to);

/* ---- fragment helpers of the HPA and CRD converters (convert_crd.c) --------------- */

/*
 * kup_fix_fragment() appends the text of node `n` (file offsets into `text`)
 * as a YAML fragment for indentation 0: the substitutions `subs` (sorted,
 * inside [n->start, n->end]; an insertion may sit at n->end) are applied
 * first, the lines after the first lose the node's own indentation, CRLF
 * becomes LF, trailing blanks go.  A block collection's fragment ends with
 * "\n", a block scalar keeps its own line ends, anything else has none.
 */
struct kup_fix_subst {
	size_t start, end;
	const char *text;
};
void kup_fix_fragment(const char *text, const struct kup_node *n, const struct kup_fix_subst *subs,
		      size_t nsubs, struct kup_buf *out);
/* Appends `key: frag` at `indent`, nested lines `step` deeper, ending with "\n". */
void kup_fix_put_pair(struct kup_buf *out, size_t indent, size_t step, const char *key,
		      const char *frag);
/* The object's indentation step (2 when it cannot tell). */
size_t kup_fix_step(const struct kup_node *obj);
/* 0 when the object writes `key:\n- item` (sequence at its key's column), else step. */
size_t kup_fix_seq_step(const struct kup_node *obj, size_t step);
/*
 * Block-map edits that write fragments verbatim, each nested line
 * `indent + step` deep (copied text keeps its own relative indentation),
 * and that find the end of a pair whose last content is a block scalar
 * however deep it sits.  Flow maps and JSON go to the primitives above.
 */
bool kup_fix_set_value(struct kup_fixer *f, const struct kup_node *map, size_t i,
		       const char *frag, size_t step);
bool kup_fix_append_pair(struct kup_fixer *f, const struct kup_node *map, const char *key,
			 const char *frag, size_t step);
bool kup_fix_remove_pair(struct kup_fixer *f, const struct kup_node *map, size_t i);
/*
 * True when every schema node reached through properties, items and
 * additionalProperties has a type (or x-kubernetes-int-or-string /
 * x-kubernetes-preserve-unknown-fields true); else `why` gets
 * "no type at <base><path>" or another short reason.
 */
bool kup_crd_schema_structural(const struct kup_node *schema, const char *base,
			       struct kup_buf *why);

#endif
