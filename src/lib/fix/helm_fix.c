/*
 * helm_fix.c - `fix --helm-release`: repairs the manifest stored in a Helm
 * v3 release record.
 *
 * `helm upgrade` builds the objects of the current release's stored
 * manifest before anything else; when that manifest names an API the
 * cluster no longer serves, it stops with "unable to build kubernetes
 * objects from current release manifest".  The cure is to rewrite the
 * stored manifest to the replacement APIs and put the record back.
 *
 * The record (a Secret of type helm.sh/release.v1 or a ConfigMap labelled
 * owner=helm, as kubectl dumps it, YAML or JSON, alone or in a List) is read
 * with the project's readers.  For each release (namespace/name) the
 * revision Helm's upgrade reads is picked: the newest deployed one, else the
 * newest.  Its data.release is peeled (base64 layers, gunzip) down to the
 * release JSON text, the manifest and every hook manifest are fixed with
 * kup_fix_text(), and the JSON text is spliced: only the byte ranges of
 * those string values are replaced, with the new text encoded the way Go's
 * encoding/json does.  The JSON is then encoded as Helm's storage driver
 * does (gzip at BestCompression, base64; one more base64 layer for a
 * Secret read through the API), and the record file is written back with
 * only that data.release scalar replaced.  Nothing changed: output == input.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kupgrade/fix.h"
#include "kupgrade/helm.h"
#include "kupgrade/json.h"
#include "kupgrade/yaml.h"

#define HF_CHUNK 65536

/* ---- encoding --------------------------------------------------------------- */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends standard base64 (padded, no line breaks) of in[0..len) to out. */
static void base64_encode(const unsigned char *in, size_t len, struct kup_buf *out)
{
	size_t i;
	char q[4];

	if (!kup_buf_grow(out, (len + 2) / 3 * 4 + 1))
		return;
	for (i = 0; i + 3 <= len; i += 3) {
		q[0] = b64_alphabet[in[i] >> 2];
		q[1] = b64_alphabet[(in[i] & 3) << 4 | in[i + 1] >> 4];
		q[2] = b64_alphabet[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		q[3] = b64_alphabet[in[i + 2] & 63];
		kup_buf_add(out, q, 4);
	}
	if (len - i == 1) {
		q[0] = b64_alphabet[in[i] >> 2];
		q[1] = b64_alphabet[(in[i] & 3) << 4];
		q[2] = '=';
		q[3] = '=';
		kup_buf_add(out, q, 4);
	} else if (len - i == 2) {
		q[0] = b64_alphabet[in[i] >> 2];
		q[1] = b64_alphabet[(in[i] & 3) << 4 | in[i + 1] >> 4];
		q[2] = b64_alphabet[(in[i + 1] & 15) << 2];
		q[3] = '=';
		kup_buf_add(out, q, 4);
	}
}

static void put_le32(struct kup_buf *out, uint32_t v)
{
	unsigned char b[4];

	b[0] = (unsigned char)(v & 0xff);
	b[1] = (unsigned char)(v >> 8 & 0xff);
	b[2] = (unsigned char)(v >> 16 & 0xff);
	b[3] = (unsigned char)(v >> 24 & 0xff);
	kup_buf_add(out, b, 4);
}

/*
 * gzip as Go's compress/gzip writes it at gzip.BestCompression with an
 * empty Header: 1f 8b 08, no flags, mtime 0, XFL 2 (best compression),
 * OS 255 (unknown).  zlib's own gzip wrapper would write the OS byte of
 * the host, so the 10-byte header is written here, followed by raw deflate
 * at level 9 and the CRC-32 / ISIZE trailer.  The deflate bytes themselves
 * may differ from Go's compress/flate (a different encoder); any valid
 * deflate stream is read back by Helm's gzip.Reader, so that is fine.
 */
static bool gzip_go(const unsigned char *in, size_t len, struct kup_buf *out)
{
	static const unsigned char header[10] = {
		0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff
	};
	z_stream zs;
	uLong crc = crc32(0L, Z_NULL, 0);
	size_t left = len;
	const unsigned char *p = in;
	int zr;

	kup_buf_add(out, header, sizeof(header));
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	zs.next_in = (unsigned char *)(uintptr_t)in;
	for (;;) {
		size_t room;
		int flush;

		if (zs.avail_in == 0 && left > 0) {
			size_t take = left > UINT_MAX ? UINT_MAX : left;

			zs.avail_in = (uInt)take;
			crc = crc32(crc, p, (uInt)take);
			p += take;
			left -= take;
		}
		flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
		if (!kup_buf_grow(out, HF_CHUNK))
			break;
		room = out->cap - out->len - 1;
		if (room > UINT_MAX)
			room = UINT_MAX;
		zs.next_out = (unsigned char *)out->buf + out->len;
		zs.avail_out = (uInt)room;
		zr = deflate(&zs, flush);
		out->len += room - zs.avail_out;
		out->buf[out->len] = '\0';
		if (zr == Z_STREAM_END)
			break;
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			deflateEnd(&zs);
			return false;
		}
	}
	deflateEnd(&zs);
	if (out->oom)
		return false;
	put_le32(out, (uint32_t)crc);
	put_le32(out, (uint32_t)(len & 0xffffffffu));
	return !out->oom;
}

/* json -> gzip -> base64, then `extra` more base64 layers. */
static bool encode_layers(const char *json, size_t len, unsigned extra, struct kup_buf *out)
{
	struct kup_buf a = KUP_BUF_INIT, b = KUP_BUF_INIT;
	bool ok;

	kup_buf_init(&a);
	kup_buf_init(&b);
	ok = gzip_go((const unsigned char *)json, len, &a);
	while (ok && extra-- > 0) {
		struct kup_buf t;

		kup_buf_reset(&b);
		base64_encode((const unsigned char *)a.buf, a.len, &b);
		ok = !b.oom;
		t = a;
		a = b;
		b = t;
	}
	if (ok)
		base64_encode((const unsigned char *)a.buf, a.len, out);
	kup_buf_release(&a);
	kup_buf_release(&b);
	return ok && !out->oom;
}

bool kup_helm_encode_release(const char *json, size_t len, bool secret_layer,
			     struct kup_buf *out)
{
	return encode_layers(json, len, secret_layer ? 1 : 0, out);
}

/*
 * Appends s[0..len) as a JSON string the way Go's encoding/json marshals a
 * string (with HTML escaping on, json.Marshal's default): ", \ and the
 * control characters \n \r \t escaped, other control characters as \u00XX
 * (lower-case hex; Go before 1.22 also wrote \b and \f that way, which is
 * what the records we read hold), <, > and & as \u003c \u003e \u0026,
 * U+2028 and U+2029 as \u2028 \u2029, and each byte of invalid UTF-8 as
 * \ufffd.  DEL and every other character are written as they are.
 */
static void go_json_string(const char *s, size_t len, struct kup_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	kup_buf_addc(out, '"');
	while (i < len) {
		unsigned char c = p[i];
		size_t n = 0;
		uint32_t cp = 0;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' &&
		    c != '>' && c != '&') {
			i++;
			continue;
		}
		kup_buf_add(out, s + run, i - run);
		if (c < 0x80) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			if (c == '"' || c == '\\') {
				kup_buf_addc(out, '\\');
				kup_buf_addc(out, (char)c);
			} else if (c == '\n') {
				kup_buf_adds(out, "\\n");
			} else if (c == '\r') {
				kup_buf_adds(out, "\\r");
			} else if (c == '\t') {
				kup_buf_adds(out, "\\t");
			} else {
				kup_buf_add(out, esc, 6);
			}
			i++;
			run = i;
			continue;
		}
		/* a multi-byte sequence: validate as Go's utf8.DecodeRuneInString */
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			cp = c & 0x07;
		}
		if (n && i + n <= len) {
			size_t k;

			for (k = 1; k < n; k++) {
				if ((p[i + k] & 0xc0) != 0x80)
					break;
				cp = cp << 6 | (p[i + k] & 0x3f);
			}
			if (k < n || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
			    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				n = 0;
		} else {
			n = 0;
		}
		if (n == 0) {
			kup_buf_adds(out, "\\ufffd");
			i++;
		} else if (cp == 0x2028 || cp == 0x2029) {
			kup_buf_adds(out, cp == 0x2028 ? "\\u2028" : "\\u2029");
			i += n;
		} else {
			kup_buf_add(out, s + i, n);
			i += n;
		}
		run = i;
	}
	kup_buf_add(out, s + run, i - run);
	kup_buf_addc(out, '"');
}

/* ---- decoding ---------------------------------------------------------------- */

/* ---- the record file --------------------------------------------------------- */

/* One release record (a revision) found in the file. */
struct hf_record {
	size_t start, end;        /* the data.release scalar in the file */
	uint8_t style;
	uint32_t line, column;
	char *data;               /* its value */
	size_t data_len;
	char *key;                /* namespace/name of the release */
	char *label;              /* "name.vREV" for paths */
	int64_t version;
	bool deployed;
	bool chosen;
};

struct hf_ctx {
	const char *path;
	const struct kup_fix_opts *opts;
	struct kup_fix_result *res;
	struct hf_record *recs;
	size_t nrecs, cap;
	size_t candidates;
	bool oom;
};

/* Bounds the decompressed release by the document size limit, as ingest does. */
static size_t hf_max_release(const struct hf_ctx *c)
{
	return c->opts->limits.max_document;
}

static void hf_report(struct hf_ctx *c, uint32_t line, uint32_t column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void hf_report(struct hf_ctx *c, uint32_t line, uint32_t column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kup_error_vreport(&c->opts->errors, KUP_PARSE, c->path, line, column, NULL, fmt, ap);
	va_end(ap);
	c->res->errors++;
}

static void add_record(struct hf_ctx *c, const struct kup_node *root)
{
	const struct kup_node *data = kup_node_path(root, "data", "release", NULL);
	struct kup_helm_release rel;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf key = KUP_BUF_INIT, label = KUP_BUF_INIT;
	struct hf_record *r;
	const char *name = kup_node_str(kup_node_path(root, "metadata", "name", NULL));

	c->candidates++;
	if (!data || data->kind != KUP_NODE_SCALAR || data->tag != KUP_TAG_STR) {
		hf_report(c, root->line, root->column,
			  "helm release record '%s' has no data.release", name ? name : "");
		return;
	}
	kup_helm_release_init(&rel);
	if (kup_helm_decode(data->u.str, data->len, hf_max_release(c), &rel, &err) != KUP_OK) {
		hf_report(c, data->line, data->column, "cannot decode helm release '%s': %s",
			  name ? name : "", err.msg ? err.msg : kup_strerror(err.code));
		kup_error_release(&err);
		return;
	}
	kup_error_release(&err);
	if (!kup_grow(&c->recs, &c->cap, c->nrecs + 1, sizeof(*c->recs), 4)) {
		c->oom = true;
		goto out;
	}
	r = &c->recs[c->nrecs];
	memset(r, 0, sizeof(*r));
	r->start = data->start;
	r->end = data->end;
	r->style = data->style;
	r->line = data->line;
	r->column = data->column;
	r->version = rel.version;
	r->deployed = rel.status && strcmp(rel.status, "deployed") == 0;
	kup_buf_addf(&key, "%s/%s", rel.namespace_, rel.name);
	kup_buf_addf(&label, "%s.v%lld", rel.name, (long long)rel.version);
	r->data = kup_memdupz(data->u.str, data->len);
	r->data_len = data->len;
	r->key = kup_buf_detach(&key, NULL);
	r->label = kup_buf_detach(&label, NULL);
	if (!r->data || !r->key || !r->label) {
		free(r->data);
		free(r->key);
		free(r->label);
		c->oom = true;
		goto out;
	}
	c->nrecs++;
out:
	kup_buf_release(&key);
	kup_buf_release(&label);
	kup_helm_release_release(&rel);
}

static void walk(struct hf_ctx *c, const struct kup_node *n, unsigned depth)
{
	const struct kup_node *items;
	size_t i;

	if (!n || depth > 8)
		return;
	if (n->kind == KUP_NODE_SEQ) {
		/* a bare array of records (kubectl never prints one, jq does) */
		for (i = 0; i < n->len; i++)
			walk(c, n->u.items[i], depth + 1);
		return;
	}
	if (n->kind != KUP_NODE_MAP)
		return;
	items = kup_node_get(n, "items");
	if (items && items->kind == KUP_NODE_SEQ) {
		const char *kind = kup_node_str(kup_node_get(n, "kind"));
		size_t kl = kind ? strlen(kind) : 0;

		if (kl >= 4 && strcmp(kind + kl - 4, "List") == 0) {
			for (i = 0; i < items->len; i++)
				walk(c, items->u.items[i], depth + 1);
			return;
		}
	}
	if (kup_helm_is_record(n))
		add_record(c, n);
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct hf_ctx *c = ctx;

	walk(c, doc->root, 0);
	return c->oom ? KUP_NOMEM : KUP_OK;
}

static void forward_error(void *ctx, const struct kup_error *err)
{
	struct hf_ctx *c = ctx;

	kup_error_emit(&c->opts->errors, err);
}

/* ---- fixing one release -------------------------------------------------------- */

struct hf_splice {
	size_t start, end;
	struct kup_buf text;
};

static int cmp_splice(const void *a, const void *b)
{
	const struct hf_splice *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Fixes the manifest in string node `v` of the release JSON; when it
 * changed, records a splice of the node's bytes.
 */
static enum kup_status fix_manifest(const struct kup_node *v, const char *path,
				    const struct kup_fix_opts *opts, struct kup_fix_result *res,
				    struct hf_splice *sp, size_t *nsp)
{
	struct kup_buf fixed = KUP_BUF_INIT;
	enum kup_status st;

	if (!v || v->kind != KUP_NODE_SCALAR || v->tag != KUP_TAG_STR || v->len == 0)
		return KUP_OK;
	kup_buf_init(&fixed);
	struct kup_fix_opts whole = *opts;   /* the manifest is needed whole */
	whole.edits_only = false;
	st = kup_fix_text(path, v->u.str, v->len, &whole, &fixed, res);
	if (st == KUP_OK && fixed.oom)
		st = KUP_NOMEM;
	if (st == KUP_OK && (fixed.len != v->len || memcmp(fixed.buf, v->u.str, v->len) != 0)) {
		struct hf_splice *s = &sp[(*nsp)++];

		s->start = v->start;
		s->end = v->end;
		kup_buf_init(&s->text);
		go_json_string(fixed.buf, fixed.len, &s->text);
		if (s->text.oom)
			st = KUP_NOMEM;
	}
	kup_buf_release(&fixed);
	return st;
}

/*
 * Fixes the release of record r; on a change, appends the new data.release
 * value to `value`.  Returns KUP_OK (also when nothing changed or the
 * record could not be read: reported), or KUP_NOMEM.
 */
static enum kup_status fix_record(struct hf_ctx *c, const struct hf_record *r,
				  struct kup_buf *value, bool *changed)
{
	struct kup_buf json = KUP_BUF_INIT, out = KUP_BUF_INIT, path = KUP_BUF_INIT;
	struct kup_read_limits limits;
	struct kup_arena arena;
	struct kup_node *root = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct hf_splice *sp = NULL;
	size_t nsp = 0, i, pos;
	const struct kup_node *hooks;
	unsigned layers;
	enum kup_status st = KUP_OK;

	*changed = false;
	kup_buf_init(&json);
	kup_arena_init(&arena, 64 * 1024);
	st = kup_helm_unwrap(r->data, r->data_len, hf_max_release(c), &json, &layers, &err);
	if (st != KUP_OK) {
		if (st != KUP_NOMEM) {
			hf_report(c, r->line, r->column, "cannot decode helm release '%s': %s", r->label,
				  err.msg ? err.msg : kup_strerror(st));
			st = KUP_OK;
		}
		kup_error_release(&err);
		goto out;
	}
	kup_read_limits_default(&limits);
	if (limits.max_document < json.len + 1)
		limits.max_document = json.len + 1;
	if (limits.max_scalar < json.len + 1)
		limits.max_scalar = json.len + 1;
	if (kup_json_parse(json.buf, json.len, &limits, &arena, &root, &err) != KUP_OK ||
	    !root || root->kind != KUP_NODE_MAP) {
		if (err.code == KUP_NOMEM)
			st = KUP_NOMEM;
		else
			hf_report(c, r->line, r->column, "cannot parse release json of '%s': %s",
				  r->label, err.msg ? err.msg : "not an object");
		goto out;
	}
	hooks = kup_node_get(root, "hooks");
	sp = kup_calloc(1 + (hooks && hooks->kind == KUP_NODE_SEQ ? hooks->len : 0), sizeof(*sp));
	if (!sp) {
		st = KUP_NOMEM;
		goto out;
	}
	kup_buf_addf(&path, "%s/manifest", r->label);
	if (path.oom) {
		st = KUP_NOMEM;
		goto out;
	}
	st = fix_manifest(kup_node_get(root, "manifest"), path.buf, c->opts, c->res, sp, &nsp);
	for (i = 0; st == KUP_OK && hooks && hooks->kind == KUP_NODE_SEQ && i < hooks->len; i++) {
		const struct kup_node *h = hooks->u.items[i];
		const char *hp = kup_node_str(kup_node_get(h, "path"));

		kup_buf_reset(&path);
		kup_buf_addf(&path, "%s/hooks/%s", r->label, hp && *hp ? hp : "?");
		if (path.oom) {
			st = KUP_NOMEM;
			break;
		}
		st = fix_manifest(kup_node_get(h, "manifest"), path.buf, c->opts, c->res, sp, &nsp);
	}
	if (st != KUP_OK || nsp == 0)
		goto out;
	qsort(sp, nsp, sizeof(*sp), cmp_splice);
	kup_buf_init(&out);
	for (i = 0, pos = 0; i < nsp; i++) {
		kup_buf_add(&out, json.buf + pos, sp[i].start - pos);
		kup_buf_add(&out, sp[i].text.buf, sp[i].text.len);
		pos = sp[i].end;
	}
	kup_buf_add(&out, json.buf + pos, json.len - pos);
	if (out.oom || !encode_layers(out.buf, out.len, layers > 1 ? layers - 1 : 0, value)) {
		st = KUP_NOMEM;
		goto out;
	}
	*changed = true;
out:
	for (i = 0; i < nsp; i++)
		kup_buf_release(&sp[i].text);
	free(sp);
	kup_buf_release(&json);
	kup_buf_release(&out);
	kup_buf_release(&path);
	kup_error_release(&err);
	kup_arena_release(&arena);
	return st;
}

/*
 * Writes the new data.release value in the style of the scalar it replaces
 * (orig[0..olen), the scalar's bytes).
 */
static void put_scalar(struct kup_buf *out, uint8_t style, const struct kup_buf *value,
		       const char *orig, size_t olen)
{
	/* base64 needs no escaping in any quoting style */
	if (style == KUP_STYLE_SINGLE) {
		kup_buf_addc(out, '\'');
		kup_buf_add(out, value->buf, value->len);
		kup_buf_addc(out, '\'');
	} else if (style == KUP_STYLE_PLAIN) {
		kup_buf_add(out, value->buf, value->len);
	} else {
		/* double (and JSON); a block scalar becomes double-quoted */
		kup_buf_addc(out, '"');
		kup_buf_add(out, value->buf, value->len);
		kup_buf_addc(out, '"');
		if (style == KUP_STYLE_LITERAL || style == KUP_STYLE_FOLDED) {
			/* a block scalar's range ends after its line breaks: keep them */
			size_t e = olen;

			while (e > 0 && (orig[e - 1] == '\n' || orig[e - 1] == '\r' ||
					 orig[e - 1] == ' ' || orig[e - 1] == '\t'))
				e--;
			kup_buf_add(out, orig + e, olen - e);
		}
	}
}

/* Is a better than b as the revision `helm upgrade` reads? */
static bool better(const struct hf_record *a, const struct hf_record *b)
{
	if (a->deployed != b->deployed)
		return a->deployed;
	return a->version > b->version;
}

enum kup_status kup_fix_helm_release(const char *path, const char *text, size_t len,
				     const struct kup_fix_opts *opts, struct kup_buf *out,
				     struct kup_fix_result *res)
{
	struct hf_ctx c;
	struct kup_arena arena;
	struct kup_error_sink sink;
	size_t nerr = 0, i, j, pos = 0;
	enum kup_status st;

	memset(&c, 0, sizeof(c));
	c.path = path;
	c.opts = opts;
	c.res = res;
	sink.fn = forward_error;
	sink.ctx = &c;
	kup_arena_init(&arena, 64 * 1024);
	st = kup_docs_read_mem(text, len, path, &opts->limits, false, sink, &arena, on_doc, &c, &nerr);
	kup_arena_release(&arena);
	res->errors += nerr;
	if (c.oom)
		st = KUP_NOMEM;
	if (st != KUP_OK)
		goto out;
	if (c.candidates == 0) {
		kup_error_report(&opts->errors, KUP_NOTFOUND, path, 0, 0,
				 "no helm release record (secret of type helm.sh/release.v1 or configmap labelled owner=helm)");
		st = KUP_NOTFOUND;
		goto copy;
	}
	if (c.nrecs == 0) {
		st = KUP_ENCODING;   /* every record was reported */
		goto copy;
	}
	/* the revision helm upgrade reads, per release */
	for (i = 0; i < c.nrecs; i++) {
		bool best = true;

		for (j = 0; j < c.nrecs && best; j++)
			if (j != i && strcmp(c.recs[i].key, c.recs[j].key) == 0 &&
			    (better(&c.recs[j], &c.recs[i]) ||
			     (!better(&c.recs[i], &c.recs[j]) && j < i)))
				best = false;
		c.recs[i].chosen = best;
	}
	/* records come in file order, so the splices do too */
	for (i = 0; i < c.nrecs; i++) {
		struct kup_buf value = KUP_BUF_INIT;
		bool changed = false;

		if (!c.recs[i].chosen)
			continue;
		kup_buf_init(&value);
		st = fix_record(&c, &c.recs[i], &value, &changed);
		if (st == KUP_OK && changed) {
			kup_buf_add(out, text + pos, c.recs[i].start - pos);
			put_scalar(out, c.recs[i].style, &value, text + c.recs[i].start,
				   c.recs[i].end - c.recs[i].start);
			pos = c.recs[i].end;
		}
		kup_buf_release(&value);
		if (st != KUP_OK)
			goto out;
	}
copy:
	kup_buf_add(out, text + pos, len - pos);
	if (out->oom)
		st = KUP_NOMEM;
out:
	for (i = 0; i < c.nrecs; i++) {
		free(c.recs[i].data);
		free(c.recs[i].key);
		free(c.recs[i].label);
	}
	free(c.recs);
	/* the manifests' spans are not the record's: compare the texts whole */
	free(res->spans);
	res->spans = NULL;
	res->nspans = 0;
	res->spans_valid = false;
	return st;
}
