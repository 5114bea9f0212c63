/*
 * yaml_read - kup_yaml_read_file over a file, for comparison with the bare
 * event loop of yaml_events.c.
 *
 *   yaml_read FILE
 *
 * Prints "<nodes> nodes, <documents> documents, <errors> errors".  Not part
 * of libkupgrade: a stand-alone benchmark tool.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kupgrade/yaml.h"

struct count {
	unsigned long long nodes, docs;
};

static unsigned long long walk(const struct kup_node *n)
{
	unsigned long long c = 1;
	size_t i;

	if (!n)
		return 0;
	if (n->kind == KUP_NODE_MAP)
		for (i = 0; i < n->len; i++)
			c += walk(n->u.pairs[i].key) + walk(n->u.pairs[i].value);
	else if (n->kind == KUP_NODE_SEQ)
		for (i = 0; i < n->len; i++)
			c += walk(n->u.items[i]);
	return c;
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct count *c = ctx;

	c->docs++;
	if (getenv("YAML_READ_WALK"))
		c->nodes += walk(doc->root);
	return KUP_OK;
}

int main(int argc, char **argv)
{
	struct kup_yaml_opts opts;
	struct kup_arena arena;
	struct count c = { 0, 0 };
	size_t nerrors = 0;
	enum kup_status st;
	FILE *fp;

	if (argc != 2) {
		fputs("usage: yaml_read FILE\n", stderr);
		return 2;
	}
	fp = fopen(argv[1], "rb");
	if (!fp) {
		perror(argv[1]);
		return 1;
	}
	kup_yaml_opts_init(&opts, argv[1]);
	kup_arena_init(&arena, 64 * 1024);
	st = kup_yaml_read_file(fp, &opts, &arena, on_doc, &c, &nerrors);
	kup_arena_release(&arena);
	fclose(fp);
	printf("%llu nodes, %llu documents, %zu errors\n", c.nodes, c.docs, nerrors);
	return st == KUP_OK && nerrors == 0 ? 0 : 1;
}
