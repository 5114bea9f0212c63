/*
 * node.h - the parsed form of one YAML or JSON document.
 *
 * Both readers (yaml.h, json.h) build the same small tree in an arena that
 * the caller resets between documents.  Nodes are immutable once built.
 *
 * Positions: `line` and `column` are 1-based and count characters as an
 * editor does; `start` and `end` are byte offsets into the text the reader
 * was given (the whole file, not the document), so a fixer can splice bytes.
 * For a scalar, [start, end) covers the scalar as written (quotes included);
 * for a collection, it covers the whole collection.
 *
 * Scalars keep their decoded text (escapes resolved, NUL-terminated, `len`
 * bytes) and the tag resolved the way Kubernetes' YAML reader resolves plain
 * scalars (YAML 1.1-ish booleans such as yes/no/on/off are booleans).
 * Quoted and block scalars are always strings.
 */
#ifndef KUPGRADE_NODE_H
#define KUPGRADE_NODE_H

#include "kupgrade/core.h"

enum kup_node_kind {
	KUP_NODE_SCALAR = 1,
	KUP_NODE_MAP,
	KUP_NODE_SEQ,
};

enum kup_scalar_tag {
	KUP_TAG_STR = 0,
	KUP_TAG_NULL,
	KUP_TAG_BOOL,
	KUP_TAG_INT,
	KUP_TAG_FLOAT,
};

enum kup_scalar_style {
	KUP_STYLE_PLAIN = 0,
	KUP_STYLE_SINGLE,   /* 'single' */
	KUP_STYLE_DOUBLE,   /* "double" (and every JSON string) */
	KUP_STYLE_LITERAL,  /* | */
	KUP_STYLE_FOLDED,   /* > */
	KUP_STYLE_FLOW,     /* a flow collection {..} [..] (collections only) */
	KUP_STYLE_BLOCK,    /* a block collection (collections only) */
};

struct kup_node;

struct kup_pair {
	struct kup_node *key;
	struct kup_node *value;
};

struct kup_node {
	uint8_t kind;     /* enum kup_node_kind */
	uint8_t tag;      /* enum kup_scalar_tag (scalars) */
	uint8_t style;    /* enum kup_scalar_style */
	uint32_t line;
	uint32_t column;
	size_t start;
	size_t end;
	size_t len;       /* scalar: bytes of text; map: pairs; seq: items */
	union {
		const char *str;          /* scalar text, NUL-terminated */
		struct kup_pair *pairs;   /* map */
		struct kup_node **items;  /* seq */
	} u;
};

/*
 * One document of a file.  `root` is NULL for an empty document.  `index` is
 * the 0-based position of the document in its file (for JSON list streaming,
 * see json.h, the index of the item).  `line` is the 1-based line the
 * document starts on; [start, end) its byte range in the input.
 */
struct kup_doc {
	struct kup_node *root;
	size_t index;
	uint32_t line;
	size_t start;
	size_t end;
	const char *path;        /* the name to report, as given by the caller */
	/*
	 * The document's own text when the reader holds it (text[0] is the byte
	 * at offset `start`, text_len == end - start), else NULL; a node's bytes
	 * are text + (node->start - start).
	 */
	const char *text;
	size_t text_len;
	bool list_item;          /* streamed out of a top-level `items` array */
};

/*
 * Receives each document; return KUP_OK to continue, anything else stops
 * the reader, which then returns that status.  The document and its nodes
 * are valid only during the call (the arena is reset afterwards).
 */
typedef enum kup_status (*kup_doc_fn)(void *ctx, const struct kup_doc *doc);

/* Limits every reader enforces; past one, the document is an error. */
struct kup_read_limits {
	size_t max_depth;       /* nesting depth (default 512) */
	size_t max_scalar;      /* bytes of one scalar (default 64 MiB) */
	size_t max_document;    /* bytes of one document (default 256 MiB) */
	size_t max_aliases;     /* alias expansions per document (default 10000) */
	size_t max_nodes;       /* nodes of one document; 0: derived, kup_read_limits_nodes */
};
void kup_read_limits_default(struct kup_read_limits *l);
/*
 * The node cap of one document: max_nodes, or when 0 one node per
 * KUP_BYTES_PER_NODE bytes of max_document (32 Mi nodes for 256 MiB).  A
 * node takes 48 bytes of memory (64 with its text's share on average), so a
 * document's tree stays within about 8 times the size limit whatever its
 * shape; real manifests spend 15 to 40 bytes of text on a node.
 */
#define KUP_BYTES_PER_NODE 8
size_t kup_read_limits_nodes(const struct kup_read_limits *l);

/* ---- queries ---------------------------------------------------------- */

/* The value under `key` in a map, or NULL (also when `map` is not a map). */
const struct kup_node *kup_node_get(const struct kup_node *map, const char *key);
/* Walks a NULL-terminated list of keys: kup_node_path(root, "metadata", "name", NULL). */
const struct kup_node *kup_node_path(const struct kup_node *node, ...);
/* The text of a scalar, or NULL when the node is missing or not a scalar. */
const char *kup_node_str(const struct kup_node *node);
/* The text as a slice; {NULL, 0} when missing or not a scalar. */
struct kup_str kup_node_slice(const struct kup_node *node);
/* True when the node is a string scalar equal to s. */
bool kup_node_eq(const struct kup_node *node, const char *s);
/* Integer value of an int scalar; false when not an integer. */
bool kup_node_int(const struct kup_node *node, int64_t *out);
bool kup_node_bool(const struct kup_node *node, bool *out);

/*
 * Resolves the tag of a plain YAML scalar the way Kubernetes (sigs.k8s.io/yaml,
 * YAML 1.1 rules) would: null ~ "" -> null; true/false/yes/no/on/off (any
 * case form YAML 1.1 allows) -> bool; decimal, 0x, 0o, legacy 0-octal and
 * sexagesimal-free integers -> int; floats incl. .inf/.nan -> float.
 */
enum kup_scalar_tag kup_scalar_resolve(const char *s, size_t n);

/* Serializes a node as compact JSON (for reports and tests). */
void kup_node_to_json(const struct kup_node *node, struct kup_buf *out);

/*
 * Reads every document of a text held in memory, as JSON when
 * kup_looks_json() says so and as YAML otherwise (json.c, yaml.c): the one
 * sniff-then-read of the readers that hold their text in memory.  limits
 * NULL: the readers' defaults; stream_items: a top-level JSON `items` array
 * streamed item by item (kup_json_opts).
 */
enum kup_status kup_docs_read_mem(const char *text, size_t len, const char *path,
				  const struct kup_read_limits *limits, bool stream_items,
				  struct kup_error_sink errors, struct kup_arena *arena,
				  kup_doc_fn fn, void *ctx, size_t *nerrors);

#endif
