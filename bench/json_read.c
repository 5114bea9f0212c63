/*
 * json_read - reads a JSON file with kup_json_read_file (items streamed) and
 * does what `jq -c '.items[] | select(.apiVersion=="X")'` does: prints each
 * matching item as compact JSON on stdout.  On stderr: documents, items,
 * matches, errors, seconds, MB/s and peak RSS (getrusage).
 *
 *   json_read FILE [APIVERSION]       (default APIVERSION: extensions/v1beta1)
 *
 * A benchmark tool, not part of libkupgrade; build with -O2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "kupgrade/json.h"

struct count {
	const char *want;
	size_t docs, items, matches;
	struct kup_buf out;
};

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct count *c = ctx;

	c->docs++;
	if (!doc->list_item)
		return KUP_OK;
	c->items++;
	if (kup_node_eq(kup_node_get(doc->root, "apiVersion"), c->want)) {
		c->matches++;
		kup_buf_reset(&c->out);
		kup_node_to_json(doc->root, &c->out);
		kup_buf_addc(&c->out, '\n');
		fwrite(c->out.buf, 1, c->out.len, stdout);
	}
	return KUP_OK;
}

static void on_error(void *ctx, const struct kup_error *e)
{
	(void)ctx;
	fprintf(stderr, "json_read: %s:%u:%u: %s\n", e->path ? e->path : "-", e->line, e->column,
		e->msg ? e->msg : "");
}

int main(int argc, char **argv)
{
	struct count c = { 0 };
	struct kup_json_opts o;
	struct kup_arena a;
	struct timespec t0, t1;
	struct rusage ru;
	struct stat st;
	size_t nerr = 0;
	enum kup_status s;
	double secs;
	FILE *fp;

	if (argc < 2) {
		fprintf(stderr, "usage: json_read FILE [APIVERSION]\n");
		return 2;
	}
	c.want = argc > 2 ? argv[2] : "extensions/v1beta1";
	kup_buf_init(&c.out);
	fp = fopen(argv[1], "rb");
	if (!fp || fstat(fileno(fp), &st) != 0) {
		perror(argv[1]);
		return 1;
	}
	kup_json_opts_init(&o, argv[1]);
	o.errors.fn = on_error;
	kup_arena_init(&a, 256 * 1024);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = kup_json_read_file(fp, &o, &a, on_doc, &c, &nerr);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fclose(fp);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr,
		"json_read: status=%s docs=%zu items=%zu matches=%zu errors=%zu bytes=%lld "
		"seconds=%.3f MB/s=%.1f maxrss_kb=%ld\n",
		kup_strerror(s), c.docs, c.items, c.matches, nerr, (long long)st.st_size, secs,
		secs > 0 ? (double)st.st_size / 1e6 / secs : 0.0, ru.ru_maxrss);
	kup_arena_release(&a);
	kup_buf_release(&c.out);
	return s == KUP_OK && nerr == 0 ? 0 : 1;
}
