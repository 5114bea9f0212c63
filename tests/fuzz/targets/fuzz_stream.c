/*
 * fuzz_stream - the stream readers fed as a pipe feeds them: in small
 * chunks of random size, after a sniff that peeks a random number of bytes
 * (as ingest does before choosing a reader).
 *
 * Input: byte 0 picks the reader (even: JSON, odd: YAML); byte 1 seeds the
 * chunk sizes (1..64 bytes per read, or 1..4096 when bit 7 is set); byte 2
 * is the number of bytes peeked first (x 16).  The rest is the text.  Every
 * document and every error read from the chunked input must be exactly what
 * the same reader gives on the whole text in memory: same count, same
 * index, line, start and end, same tree (serialised as JSON), same messages
 * at the same positions.  A reader that lost, repeated or shifted bytes at a
 * chunk or peek boundary differs.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "kupgrade/json.h"
#include "kupgrade/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct chunks {
	const uint8_t *p;
	size_t len, pos;
	uint32_t rng;
	bool big;
};

/* A read as a pipe answers it: fewer bytes than asked, as many as were written. */
static ssize_t chunk_read(void *cookie, char *buf, size_t n)
{
	struct chunks *c = cookie;
	size_t take;

	c->rng = c->rng * 1103515245u + 12345u;
	take = 1 + (c->rng >> 16) % (c->big ? 4096u : 64u);
	if (take > n)
		take = n;
	if (take > c->len - c->pos)
		take = c->len - c->pos;
	memcpy(buf, c->p + c->pos, take);
	c->pos += take;
	return (ssize_t)take;
}

struct log {
	struct kup_buf b;
};

static enum kup_status on_doc(void *ctx, const struct kup_doc *d)
{
	struct log *l = ctx;

	kup_buf_addf(&l->b, "doc %zu %u %zu %zu %d: ", d->index, (unsigned)d->line, d->start,
		     d->end, d->list_item);
	kup_node_to_json(d->root, &l->b);
	kup_buf_addc(&l->b, '\n');
	return l->b.len > (1u << 20) ? KUP_STOP : KUP_OK;
}

static void on_err(void *ctx, const struct kup_error *e)
{
	struct log *l = ctx;

	kup_buf_addf(&l->b, "error %d %u:%u %s\n", (int)e->code, (unsigned)e->line,
		     (unsigned)e->column, e->msg ? e->msg : "");
}

static enum kup_status read_one(bool json, struct kup_input *in, const uint8_t *text, size_t n,
				struct log *l)
{
	struct kup_arena a;
	size_t nerr = 0;
	enum kup_status st;

	kup_arena_init(&a, 4096);
	if (json) {
		struct kup_json_opts o;

		kup_json_opts_init(&o, "fuzz.json");
		o.limits.max_depth = 16;
		o.limits.max_scalar = 4096;
		o.limits.max_document = 1 << 16;
		o.errors.fn = on_err;
		o.errors.ctx = l;
		st = in ? kup_json_read_input(in, &o, &a, on_doc, l, &nerr)
			: kup_json_read_mem((const char *)text, n, &o, &a, on_doc, l, &nerr);
	} else {
		struct kup_yaml_opts o;

		kup_yaml_opts_init(&o, "fuzz.yaml");
		o.limits.max_depth = 16;
		o.limits.max_scalar = 4096;
		o.limits.max_document = 1 << 16;
		o.errors.fn = on_err;
		o.errors.ctx = l;
		st = in ? kup_yaml_read_input(in, &o, &a, on_doc, l, &nerr)
			: kup_yaml_read_mem((const char *)text, n, &o, &a, on_doc, l, &nerr);
	}
	kup_buf_addf(&l->b, "status %d errors %zu\n", (int)st, nerr);
	kup_arena_release(&a);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const cookie_io_functions_t io = { chunk_read, NULL, NULL, NULL };
	struct chunks c;
	struct log mem, piped;
	struct kup_input in;
	const char *peeked;
	size_t want, got;
	enum kup_status st;
	bool json;
	FILE *fp;

	if (size < 3)
		return 0;
	json = (data[0] & 1) == 0;
	memset(&c, 0, sizeof(c));
	c.rng = data[1];
	c.big = data[1] & 0x80;
	c.p = data + 3;
	c.len = size - 3;
	want = (size_t)data[2] * 16;
	fp = fopencookie(&c, "r", io);
	if (!fp)
		return 0;
	setvbuf(fp, NULL, _IONBF, 0);   /* every fread reaches chunk_read, as read(2) on a pipe */
	kup_buf_init(&mem.b);
	kup_buf_init(&piped.b);
	kup_input_init_file(&in, fp);
	got = kup_input_peek(&in, want, &peeked);
	if (got != (want < c.len ? want : c.len) || memcmp(peeked, c.p, got) != 0)
		abort();   /* a peek returns the first bytes, all of them */
	st = read_one(json, &in, NULL, 0, &piped);
	read_one(json, NULL, c.p, c.len, &mem);
	if (in.consumed > c.len)
		abort();   /* no byte handed out twice */
	if (st == KUP_OK && !strstr(piped.b.buf ? piped.b.buf : "", "error ") &&
	    (!in.eof || in.consumed != c.len))
		abort();   /* a clean read read every byte */
	if (mem.b.oom || piped.b.oom)
		abort();
	if (mem.b.len != piped.b.len || memcmp(mem.b.buf, piped.b.buf, mem.b.len) != 0) {
		fprintf(stderr, "--- from memory\n%.*s--- chunked\n%.*s", (int)mem.b.len, mem.b.buf,
			(int)piped.b.len, piped.b.buf);
		abort();
	}
	kup_input_close(&in);
	fclose(fp);
	kup_buf_release(&mem.b);
	kup_buf_release(&piped.b);
	return 0;
}
