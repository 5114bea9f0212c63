/* embedded.h - the knowledge base files compiled into the binary, already parsed. */
#ifndef KUP_KB_EMBEDDED_H
#define KUP_KB_EMBEDDED_H
#include <stddef.h>
#include "kupgrade/node.h"
/*
 * One document of a file of data/ as the YAML reader built it (positions,
 * tags and styles included), written at build time by kup-embed
 * (tools/embed.c).  The nodes are static: never freed, never modified.
 */
struct kup_embedded_doc {
	const char *name;        /* the file's name, "apis.yaml" */
	size_t index;            /* the document's position in its file */
	uint32_t line;
	size_t start, end;
	struct kup_node *root;   /* NULL for an empty document */
};
/* Files sorted by name, each file's documents in order; terminated by name NULL. */
extern const struct kup_embedded_doc kup_embedded_docs[];
#endif
