/*
 * helm.c - decoding Helm v3 release records.
 *
 * Helm's storage drivers (helm.sh/helm/v3/pkg/storage/driver) write a
 * release as encodeRelease(rls) = base64.StdEncoding(gzip(json.Marshal(rls)))
 * and store that string in `data.release` of a Secret (type
 * helm.sh/release.v1) or a ConfigMap (label owner=helm).  Read through the
 * API as JSON/YAML, a Secret's data is base64'd once more; a ConfigMap's is
 * not.  decodeRelease only gunzips when the gzip magic 1f 8b 08 is there, so
 * plain JSON is a valid record too.
 *
 * So we peel: gzip magic -> gunzip (bounded by max_out); '{' -> JSON; else
 * one more base64 layer, at most KUP_HELM_MAX_LAYERS of them.  Helm v2
 * (Tiller) records are gzip(protobuf hapi.release.Release) and are refused
 * with a clear message rather than misparsed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kupgrade/helm.h"
#include "kupgrade/node.h"
#include "kupgrade/json.h"

#define KUP_HELM_MAX_LAYERS 3
/* The cap used when the caller passes max_out == 0. */
#define KUP_HELM_DEFAULT_MAX_OUT ((size_t)64 << 20)
#define KUP_HELM_CHUNK 16384
/*
 * A release refused when it decompresses to more than this many times its
 * gzip size (once past the floor): Helm release JSON compresses about 4 to
 * 15 times, a gzip bomb about a thousand.
 */
#define KUP_HELM_MAX_RATIO 100u
#define KUP_HELM_RATIO_FLOOR ((size_t)8 << 20)

void kup_helm_release_init(struct kup_helm_release *r)
{
	memset(r, 0, sizeof(*r));
}

void kup_helm_release_release(struct kup_helm_release *r)
{
	size_t i;

	free(r->name);
	free(r->namespace_);
	free(r->status);
	free(r->chart_name);
	free(r->chart_version);
	free(r->manifest);
	for (i = 0; i < r->nhooks; i++) {
		free(r->hooks[i].name);
		free(r->hooks[i].path);
		free(r->hooks[i].manifest);
	}
	free(r->hooks);
	kup_helm_release_init(r);
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

static size_t skip_space(const unsigned char *p, size_t len)
{
	size_t i = 0;

	while (i < len && is_space(p[i]))
		i++;
	return i;
}

/*
 * Explains why kup_base64_decode() refused p[0..len): the offset of the
 * first offending byte, or a truncation.
 */
static enum kup_status base64_error(const unsigned char *p, size_t len,
				    unsigned layer, struct kup_error *err)
{
	size_t i, n = 0, pad = 0;
	char where[32] = "";

	if (layer > 0)
		snprintf(where, sizeof(where), " (base64 layer %u)", layer + 1);
	for (i = 0; i < len; i++) {
		if (is_space(p[i]))
			continue;
		if (p[i] == '=') {
			if (n % 4 < 2 || pad == 2)
				break;
			pad++;
		} else if (!is_b64_char(p[i]) || pad) {
			break;
		}
		n++;
		if (pad && n % 4 == 0) {
			/* padding closes the data; anything after is bad */
			size_t j = i + 1;

			while (j < len && is_space(p[j]))
				j++;
			if (j < len) {
				i = j;
				break;
			}
		}
	}
	if (i < len)
		return kup_error_set(err, KUP_ENCODING, NULL, 0, 0,
				     "invalid base64 at byte %zu in release%s", i, where);
	return kup_error_set(err, KUP_ENCODING, NULL, 0, 0,
			     "truncated base64 in release%s: %zu characters is not a multiple of 4",
			     where, n);
}

/*
 * One inflate pass over in[0..len).  With dst NULL the output goes to a
 * small scratch buffer and is only counted; else into dst[0..cap).  *total
 * gets the decompressed size; past `limit` the pass stops with KUP_TOOBIG
 * (the caller words the message).  Concatenated gzip members are read in
 * turn (Go's gzip.Reader is multistream); any other trailing bytes are an
 * error, as they are for Helm.
 */
static enum kup_status inflate_pass(const unsigned char *in, size_t len, size_t limit,
				    unsigned char *dst, size_t cap, size_t *total,
				    struct kup_error *err)
{
	unsigned char scratch[KUP_HELM_CHUNK];
	z_stream zs;
	enum kup_status st = KUP_OK;
	size_t out = 0;
	int zr;

	*total = 0;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0,
				     "cannot initialise zlib for release");
	zs.next_in = (unsigned char *)(uintptr_t)in;
	for (;;) {
		size_t room, got;

		/* feed in chunks: avail_in is only 32 bits wide */
		if (zs.avail_in == 0 && len > 0) {
			size_t take = len > UINT_MAX ? UINT_MAX : len;

			zs.avail_in = (uInt)take;
			len -= take;
		}
		if (dst) {
			/* one byte more than the first pass counted: a stream that grew shows */
			zs.next_out = dst + out;
			room = cap - out;
		} else {
			zs.next_out = scratch;
			room = sizeof(scratch);
		}
		if (room > UINT_MAX)
			room = UINT_MAX;
		if (room == 0) {
			st = KUP_TOOBIG;
			goto out;
		}
		zs.avail_out = (uInt)room;
		zr = inflate(&zs, Z_NO_FLUSH);
		got = room - zs.avail_out;
		out += got;
		if (out > limit) {
			st = KUP_TOOBIG;
			goto out;
		}
		if (zr == Z_STREAM_END) {
			size_t rest = zs.avail_in + len;
			const unsigned char *next = zs.next_in;

			if (rest == 0)
				break;
			if (rest >= 2 && next[0] == 0x1f && next[1] == 0x8b) {
				/* another gzip member */
				if (inflateReset(&zs) != Z_OK) {
					st = kup_error_set(err, KUP_ENCODING, NULL, 0, 0,
							   "corrupted gzip stream in release");
					goto out;
				}
				continue;
			}
			st = kup_error_set(err, KUP_ENCODING, NULL, 0, 0,
					   "trailing garbage after gzip stream in release");
			goto out;
		}
		if (zr == Z_OK)
			continue;
		if (zr == Z_BUF_ERROR && zs.avail_in == 0 && len == 0) {
			st = kup_error_set(err, KUP_ENCODING, NULL, 0, 0,
					   "truncated gzip stream in release");
			goto out;
		}
		if (zr == Z_BUF_ERROR)
			continue;
		if (zr == Z_MEM_ERROR) {
			st = kup_error_set(err, KUP_NOMEM, NULL, 0, 0,
					   "out of memory decompressing release");
			goto out;
		}
		st = kup_error_set(err, KUP_ENCODING, NULL, 0, 0,
				   "corrupted gzip stream in release: %s",
				   zs.msg ? zs.msg : "bad data");
		goto out;
	}
out:
	*total = out;
	inflateEnd(&zs);
	return st;
}

/*
 * Gunzips in[0..len) into out, refusing output past max_out bytes or past
 * KUP_HELM_MAX_RATIO times the compressed size (with a floor of
 * KUP_HELM_RATIO_FLOOR: small records may compress better).  Two streaming
 * passes: the first inflates into a 16 KiB scratch buffer only to count, so
 * a gzip bomb is refused in constant memory before anything is held; the
 * second inflates into a buffer of exactly that size.
 */
static enum kup_status gunzip(const unsigned char *in, size_t len, size_t max_out,
			      struct kup_buf *out, struct kup_error *err)
{
	size_t by_ratio = len > SIZE_MAX / KUP_HELM_MAX_RATIO ? SIZE_MAX : len * KUP_HELM_MAX_RATIO;
	size_t limit = max_out, total = 0, again = 0;
	enum kup_status st;

	if (by_ratio < KUP_HELM_RATIO_FLOOR)
		by_ratio = KUP_HELM_RATIO_FLOOR;
	if (by_ratio < limit)
		limit = by_ratio;
	st = inflate_pass(in, len, limit, NULL, 0, &total, err);
	if (st == KUP_TOOBIG) {
		if (limit == max_out)
			return kup_error_set(err, KUP_TOOBIG, NULL, 0, 0,
					     "release decompresses to more than %zu bytes", max_out);
		return kup_error_set(err, KUP_TOOBIG, NULL, 0, 0,
				     "release decompresses to more than %u times its %zu "
				     "compressed bytes (a gzip bomb?)", KUP_HELM_MAX_RATIO, len);
	}
	if (st != KUP_OK)
		return st;
	if (!kup_buf_grow(out, total + 1))
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0,
				     "out of memory decompressing release");
	st = inflate_pass(in, len, total, (unsigned char *)out->buf + out->len, total, &again, err);
	if (st == KUP_OK && again != total)
		st = KUP_ENCODING;
	if (st == KUP_TOOBIG || st == KUP_ENCODING)
		return kup_error_set(err, KUP_ENCODING, NULL, 0, 0,
				     "corrupted gzip stream in release");
	if (st != KUP_OK)
		return st;
	out->len += total;
	out->buf[out->len] = '\0';
	return KUP_OK;
}

/* ---- the release JSON --------------------------------------------------- */

/*
 * Copies the string under `key` of `map` into *dst ("" when missing or
 * null).  A value of another type is an error, as it is for Go's
 * json.Unmarshal into Helm's typed Release.
 */
static enum kup_status take_str(const struct kup_node *map, const char *key,
				const char *where, char **dst, size_t *dst_len,
				struct kup_error *err)
{
	const struct kup_node *v = map ? kup_node_get(map, key) : NULL;
	const char *s = "";
	size_t n = 0;

	if (v && v->kind == KUP_NODE_SCALAR && v->tag == KUP_TAG_STR) {
		s = v->u.str;
		n = v->len;
	} else if (v && !(v->kind == KUP_NODE_SCALAR && v->tag == KUP_TAG_NULL)) {
		return kup_error_set(err, KUP_PARSE, NULL, v->line, v->column,
				     "release field '%s%s' is not a string", where, key);
	}
	*dst = kup_memdupz(s, n);
	if (!*dst)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	if (dst_len)
		*dst_len = n;
	return KUP_OK;
}

/* A member that must be an object when present; NULL when absent or null. */
static enum kup_status take_map(const struct kup_node *map, const char *key,
				const struct kup_node **dst, struct kup_error *err)
{
	const struct kup_node *v = kup_node_get(map, key);

	*dst = NULL;
	if (!v || (v->kind == KUP_NODE_SCALAR && v->tag == KUP_TAG_NULL))
		return KUP_OK;
	if (v->kind != KUP_NODE_MAP)
		return kup_error_set(err, KUP_PARSE, NULL, v->line, v->column,
				     "release field '%s' is not an object", key);
	*dst = v;
	return KUP_OK;
}

static enum kup_status take_hooks(const struct kup_node *root,
				  struct kup_helm_release *r, struct kup_error *err)
{
	const struct kup_node *v = kup_node_get(root, "hooks");
	enum kup_status st;
	size_t i;

	if (!v || (v->kind == KUP_NODE_SCALAR && v->tag == KUP_TAG_NULL))
		return KUP_OK;
	if (v->kind != KUP_NODE_SEQ)
		return kup_error_set(err, KUP_PARSE, NULL, v->line, v->column,
				     "release field 'hooks' is not an array");
	if (v->len == 0)
		return KUP_OK;
	r->hooks = kup_calloc(v->len, sizeof(*r->hooks));
	if (!r->hooks)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	for (i = 0; i < v->len; i++) {
		const struct kup_node *h = v->u.items[i];
		struct kup_helm_hook *hk = &r->hooks[r->nhooks];

		if (h->kind == KUP_NODE_SCALAR && h->tag == KUP_TAG_NULL)
			continue;   /* a null entry: Go leaves a nil *Hook; skip it */
		if (h->kind != KUP_NODE_MAP)
			return kup_error_set(err, KUP_PARSE, NULL, h->line, h->column,
					     "release field 'hooks[%zu]' is not an object", i);
		r->nhooks++;
		if ((st = take_str(h, "name", "hooks[].", &hk->name, NULL, err)) ||
		    (st = take_str(h, "path", "hooks[].", &hk->path, NULL, err)) ||
		    (st = take_str(h, "manifest", "hooks[].", &hk->manifest,
				   &hk->manifest_len, err)))
			return st;
	}
	return KUP_OK;
}

static enum kup_status take_release(const struct kup_node *root,
				    struct kup_helm_release *r, struct kup_error *err)
{
	const struct kup_node *info, *chart, *meta = NULL, *ver;
	enum kup_status st;

	if (!root || root->kind != KUP_NODE_MAP)
		return kup_error_set(err, KUP_PARSE, NULL, root ? root->line : 0,
				     root ? root->column : 0, "release json is not an object");
	if ((st = take_str(root, "name", "", &r->name, NULL, err)) ||
	    (st = take_str(root, "namespace", "", &r->namespace_, NULL, err)) ||
	    (st = take_str(root, "manifest", "", &r->manifest, &r->manifest_len, err)) ||
	    (st = take_map(root, "info", &info, err)) ||
	    (st = take_map(root, "chart", &chart, err)))
		return st;
	/* take_str() on a NULL map yields "" */
	if ((st = take_str(info, "status", "info.", &r->status, NULL, err)))
		return st;
	if (chart && (st = take_map(chart, "metadata", &meta, err)))
		return st;
	if ((st = take_str(meta, "name", "chart.metadata.", &r->chart_name, NULL, err)) ||
	    (st = take_str(meta, "version", "chart.metadata.", &r->chart_version, NULL, err)))
		return st;
	ver = kup_node_get(root, "version");
	if (ver && !(ver->kind == KUP_NODE_SCALAR && ver->tag == KUP_TAG_NULL) &&
	    !kup_node_int(ver, &r->version))
		return kup_error_set(err, KUP_PARSE, NULL, ver->line, ver->column,
				     "release field 'version' is not an integer");
	return take_hooks(root, r, err);
}

static enum kup_status parse_release_json(const char *text, size_t len, size_t max_out,
					  struct kup_helm_release *out,
					  struct kup_error *err)
{
	struct kup_read_limits limits;
	struct kup_arena arena;
	struct kup_node *root = NULL;
	struct kup_error jerr = KUP_ERROR_INIT;
	enum kup_status st;

	kup_read_limits_default(&limits);
	if (limits.max_document > max_out)
		limits.max_document = max_out;
	if (limits.max_scalar > max_out)
		limits.max_scalar = max_out;
	kup_arena_init(&arena, 64 * 1024);
	st = kup_json_parse(text, len, &limits, &arena, &root, &jerr);
	if (st != KUP_OK) {
		if (st != KUP_NOMEM && st != KUP_TOOBIG)
			st = KUP_PARSE;
		kup_error_set(err, st, NULL, jerr.line, jerr.column,
			      "cannot parse release json: %s",
			      jerr.msg ? jerr.msg : kup_strerror(jerr.code));
		goto out;
	}
	st = take_release(root, out, err);
out:
	kup_error_release(&jerr);
	kup_arena_release(&arena);
	return st;
}

/* ---- peeling the layers -------------------------------------------------- */

/*
 * Helm v2 stored gzip(protobuf hapi.release.Release) (or, before
 * compression, bare protobuf).  Field 1 (name, a string) comes first, so the
 * record starts with the tag byte 0x0a and a sane varint length.
 */
static bool looks_like_protobuf(const unsigned char *p, size_t len)
{
	return len >= 2 && p[0] == 0x0a && p[1] < 0x80 && (size_t)p[1] + 2 <= len;
}

static bool is_gzip(const unsigned char *p, size_t len)
{
	return len >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 0x08;
}

enum kup_status kup_helm_unwrap(const char *data, size_t len, size_t max_out,
				struct kup_buf *json, unsigned *nlayers, struct kup_error *err)
{
	struct kup_buf bufs[2] = { KUP_BUF_INIT, KUP_BUF_INIT };
	const unsigned char *cur = (const unsigned char *)data;
	size_t n = len, skip;
	unsigned layers = 0, which = 0;
	enum kup_status st;

	kup_buf_init(&bufs[0]);
	kup_buf_init(&bufs[1]);
	if (max_out == 0)
		max_out = KUP_HELM_DEFAULT_MAX_OUT;
	if (!data)
		n = 0;
	for (;;) {
		skip = skip_space(cur, n);
		if (skip == n) {
			st = kup_error_set(err, KUP_PARSE, NULL, 0, 0,
					   layers ? "release record decodes to nothing"
						  : "release record is empty");
			goto out;
		}
		if (is_gzip(cur + skip, n - skip)) {
			struct kup_buf *gz = &bufs[which];

			kup_buf_reset(gz);
			st = gunzip(cur + skip, n - skip, max_out, gz, err);
			if (st != KUP_OK)
				goto out;
			cur = (const unsigned char *)gz->buf;
			n = gz->len;
			skip = skip_space(cur, n);
			if (looks_like_protobuf(cur, n)) {
				st = kup_error_set(err, KUP_ENCODING, NULL, 0, 0,
						   "helm v2 release records are not supported");
				goto out;
			}
			if (skip < n && cur[skip] < 0x20) {
				st = kup_error_set(err, KUP_ENCODING, NULL, 0, 0,
						   "release payload is binary after gunzip, not json");
				goto out;
			}
			break;
		}
		if (cur[skip] == '{')
			break;
		if (layers > 0 && looks_like_protobuf(cur, n)) {
			st = kup_error_set(err, KUP_ENCODING, NULL, 0, 0,
					   "helm v2 release records are not supported");
			goto out;
		}
		if (layers == KUP_HELM_MAX_LAYERS) {
			st = kup_error_set(err, KUP_ENCODING, NULL, 0, 0,
					   "release record is not gzip or json after %u base64 layers",
					   layers);
			goto out;
		}
		{
			struct kup_buf *next = &bufs[which];

			kup_buf_reset(next);
			if (!kup_base64_decode((const char *)cur, n, next)) {
				if (next->oom)
					st = kup_error_set(err, KUP_NOMEM, NULL, 0, 0,
							   "out of memory decoding release");
				else if (layers > 0 && !is_b64_char(cur[skip]))
					st = kup_error_set(err, KUP_ENCODING, NULL, 0, 0,
							   "release record is not base64, gzip or json after %u base64 layer%s",
							   layers, layers == 1 ? "" : "s");
				else
					st = base64_error(cur, n, layers, err);
				goto out;
			}
			cur = (const unsigned char *)next->buf;
			n = next->len;
			which ^= 1;
			layers++;
		}
	}
	kup_buf_add(json, cur, n);
	st = json->oom ? kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory decoding release")
		       : KUP_OK;
out:
	if (nlayers)
		*nlayers = layers;
	kup_buf_release(&bufs[0]);
	kup_buf_release(&bufs[1]);
	return st;
}

enum kup_status kup_helm_decode(const char *data, size_t len, size_t max_out,
				struct kup_helm_release *out, struct kup_error *err)
{
	struct kup_buf json = KUP_BUF_INIT;
	enum kup_status st;

	kup_helm_release_init(out);
	kup_buf_init(&json);
	if (max_out == 0)
		max_out = KUP_HELM_DEFAULT_MAX_OUT;
	st = kup_helm_unwrap(data, len, max_out, &json, NULL, err);
	if (st == KUP_OK)
		st = parse_release_json(json.buf, json.len, max_out, out, err);
	kup_buf_release(&json);
	if (st != KUP_OK)
		kup_helm_release_release(out);
	return st;
}

bool kup_helm_is_record(const struct kup_node *root)
{
	const struct kup_node *labels;

	if (!kup_node_eq(kup_node_get(root, "apiVersion"), "v1"))
		return false;
	if (kup_node_eq(kup_node_get(root, "kind"), "Secret"))
		return kup_node_eq(kup_node_get(root, "type"), "helm.sh/release.v1");
	if (!kup_node_eq(kup_node_get(root, "kind"), "ConfigMap"))
		return false;
	labels = kup_node_path(root, "metadata", "labels", NULL);
	return kup_node_eq(kup_node_get(labels, "owner"), "helm") ||
	       kup_node_eq(kup_node_get(labels, "OWNER"), "helm");
}
