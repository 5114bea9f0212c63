/* embedded.h - the knowledge base files compiled into the binary. */
#ifndef KUP_KB_EMBEDDED_H
#define KUP_KB_EMBEDDED_H
#include <stddef.h>
struct kup_embedded_file {
	const char *name;
	const char *data;
	size_t len;
};
/* Terminated by an entry whose name is NULL; sorted by name. */
extern const struct kup_embedded_file kup_embedded_kb[];
#endif
