/*
 * test_helm_fix.c - `fix --helm-release` (kup_fix_helm_release) and the
 * release encoder (kup_helm_encode_release).
 *
 * The output is decoded independently of the library: base64 by a decoder
 * written here, gzip by zlib directly, the release JSON by json-c and by a
 * byte scanner, so a bug shared by the library's decoder and encoder cannot
 * hide itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <zlib.h>

#include "kupgrade/fix.h"
#include "kupgrade/helm.h"
#include "kupgrade/version.h"

#define DATA KUP_TEST_DATA "/helm/"
#define MIB ((size_t)1 << 20)

static struct kup_kb *kb;

static int setup(void **state)
{
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	if (kup_kb_load_embedded(&kb, &err) != KUP_OK)
		return -1;
	kup_error_release(&err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kup_kb_free(kb);
	return 0;
}

static char *slurp(const char *name, size_t *len)
{
	struct kup_error err = KUP_ERROR_INIT;
	char *text = NULL;
	size_t n = 0;

	if (kup_read_file(name, 64 * MIB, &text, &n, &err) != KUP_OK)
		fail_msg("cannot read '%s': %s", name, err.msg ? err.msg : "?");
	kup_error_release(&err);
	*len = n;
	return text;
}

/* ---- an independent decoder ----------------------------------------------- */

struct bytes {
	unsigned char *p;
	size_t n;
};

static int b64v(unsigned char c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *f = c ? strchr(a, c) : NULL;

	return f ? (int)(f - a) : -1;
}

/* Strict: the alphabet and '=' only, no whitespace, length a multiple of 4. */
static struct bytes unb64(const char *s, size_t n)
{
	struct bytes b = { malloc(n / 4 * 3 + 1), 0 };
	size_t i;

	assert_non_null(b.p);
	assert_int_equal(n % 4, 0);
	for (i = 0; i < n; i += 4) {
		int v[4], k, pad = 0;

		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else {
				v[k] = b64v((unsigned char)s[i + k]);
				assert_true(v[k] >= 0);
				assert_int_equal(pad, 0);
			}
		}
		b.p[b.n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			b.p[b.n++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			b.p[b.n++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return b;
}

static struct bytes gunzip_z(const struct bytes *in)
{
	z_stream zs;
	struct bytes out = { NULL, 0 };
	size_t cap = 1 << 16;
	int zr;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 31), Z_OK);
	out.p = malloc(cap + 1);
	assert_non_null(out.p);
	zs.next_in = in->p;
	zs.avail_in = (uInt)in->n;
	do {
		if (out.n == cap) {
			cap *= 2;
			out.p = realloc(out.p, cap + 1);
			assert_non_null(out.p);
		}
		zs.next_out = out.p + out.n;
		zs.avail_out = (uInt)(cap - out.n);
		zr = inflate(&zs, Z_NO_FLUSH);
		out.n = cap - zs.avail_out;
		assert_true(zr == Z_OK || zr == Z_STREAM_END);
	} while (zr != Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0);   /* one member, nothing after it */
	inflateEnd(&zs);
	out.p[out.n] = '\0';
	return out;
}

/* The gzip header Go's compress/gzip writes at BestCompression. */
static const unsigned char go_header[10] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff
};

/* Decodes `layers` base64 layers and gunzips; checks Go's gzip header. */
static char *decode_release(const char *s, size_t n, int layers, size_t *len)
{
	struct bytes b = unb64(s, n), z;
	int i;

	for (i = 1; i < layers; i++) {
		struct bytes t = unb64((const char *)b.p, b.n);
		free(b.p);
		b = t;
	}
	assert_true(b.n >= 18);
	assert_memory_equal(b.p, go_header, sizeof(go_header));
	z = gunzip_z(&b);
	free(b.p);
	*len = z.n;
	return (char *)z.p;
}

/*
 * Finds the value of data.release in a record's text (the nth one): YAML
 * `release: VALUE` or JSON `"release": "VALUE"`; [*start, *end) excludes
 * quotes.
 */
static bool find_release(const char *text, size_t nth, size_t *start, size_t *end)
{
	const char *p = text;

	for (;;) {
		const char *y = strstr(p, "release: ");
		const char *j = strstr(p, "\"release\": \"");
		const char *q;

		if (!y && !j)
			return false;
		if (j && (!y || j < y)) {
			q = j + strlen("\"release\": \"");
		} else {
			q = y + strlen("release: ");
			if (*q == '"' || *q == '\'')
				q++;
		}
		if (nth-- == 0) {
			size_t e = (size_t)(q - text);

			while (text[e] && b64v((unsigned char)text[e]) >= 0)
				e++;
			while (text[e] == '=')
				e++;
			*start = (size_t)(q - text);
			*end = e;
			return true;
		}
		p = q;
	}
}

/*
 * Splits release JSON text at the values of every "manifest" member: the
 * number of such values, and the bytes outside them concatenated (`rest`).
 */
static size_t outside_manifests(const char *json, size_t len, char **rest, size_t *rest_len)
{
	const char *key = "\"manifest\":\"";
	size_t klen = strlen(key), i = 0, n = 0, r = 0;
	char *o = malloc(len + 1);

	assert_non_null(o);
	while (i < len) {
		if (i + klen <= len && memcmp(json + i, key, klen) == 0) {
			memcpy(o + r, key, klen);
			r += klen;
			i += klen;
			while (i < len && json[i] != '"')
				i += json[i] == '\\' ? 2 : 1;
			n++;
			continue;
		}
		o[r++] = json[i++];
	}
	o[r] = '\0';
	*rest = o;
	*rest_len = r;
	return n;
}

/* ---- running the fixer ----------------------------------------------------- */

struct run {
	struct kup_buf out;
	struct kup_fix_result res;
	enum kup_status st;
	size_t reported;
};

static void count_error(void *ctx, const struct kup_error *err)
{
	struct run *r = ctx;

	(void)err;
	r->reported++;
}

static void run_fix(struct run *r, const char *text, size_t len, const char *to)
{
	struct kup_fix_opts o;
	struct kup_error err = KUP_ERROR_INIT;

	memset(r, 0, sizeof(*r));
	kup_fix_opts_init(&o, kb);
	assert_int_equal(kup_version_parse(to, &o.target, &err), KUP_OK);
	o.errors.fn = count_error;
	o.errors.ctx = r;
	kup_buf_init(&r->out);
	kup_fix_result_init(&r->res);
	r->st = kup_fix_helm_release("rec", text, len, &o, &r->out, &r->res);
	assert_false(r->out.oom);
}

static void run_done(struct run *r)
{
	kup_buf_release(&r->out);
	kup_fix_result_release(&r->res);
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_string(v);
}

/*
 * The common checks on a fixed record: `in` was the input (one record, or
 * the nth in a List), `layers` base64 layers.
 */
static void check_fixed(const char *in, size_t in_len, const char *out, size_t out_len,
			size_t nth, int layers)
{
	size_t is, ie, os, oe, ij_len, oj_len, ir_len, or_len;
	char *ij, *oj, *ir, *orr;
	json_object *iroot, *oroot, *v, *hooks;
	const char *m;

	assert_true(find_release(in, nth, &is, &ie));
	assert_true(find_release(out, nth, &os, &oe));
	/* the record outside data.release is byte-identical */
	assert_int_equal(os, is);
	assert_memory_equal(out, in, is);
	assert_int_equal(out_len - oe, in_len - ie);
	assert_memory_equal(out + oe, in + ie, in_len - ie);
	assert_true(oe - os != ie - is || memcmp(out + os, in + is, ie - is) != 0);

	ij = decode_release(in + is, ie - is, layers, &ij_len);
	oj = decode_release(out + os, oe - os, layers, &oj_len);
	/* every byte of the release JSON outside the manifests is unchanged */
	assert_int_equal(outside_manifests(ij, ij_len, &ir, &ir_len),
			 outside_manifests(oj, oj_len, &orr, &or_len));
	assert_int_equal(ir_len, or_len);
	assert_memory_equal(ir, orr, ir_len);

	iroot = json_tokener_parse(ij);
	oroot = json_tokener_parse(oj);
	assert_non_null(iroot);
	assert_non_null(oroot);
	m = jstr(oroot, "manifest");
	assert_null(strstr(m, "extensions/v1beta1"));
	assert_non_null(strstr(m, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-legacy"));
	/* the untouched parts of the manifest are still there, UTF-8 raw */
	assert_non_null(strstr(m, "value: \"gr\xc3\xbc\xc3\x9f" "e \xe2\x80\x94 caf\xc3\xa9\""));
	assert_non_null(strstr(m, "args: [\"--mode=legacy\", \"--feature=a&b\", \"--max=<10>\"]"));
	/* Go's escaping in the JSON text itself */
	assert_non_null(strstr(oj, "--feature=a\\u0026b"));
	assert_non_null(strstr(oj, "--max=\\u003c10\\u003e"));
	assert_non_null(strstr(oj, "gr\xc3\xbc\xc3\x9f" "e"));
	assert_null(memchr(oj, '<', oj_len));
	assert_null(memchr(oj, '&', oj_len));
	/* the hook CronJob went to batch/v1 */
	assert_true(json_object_object_get_ex(oroot, "hooks", &hooks));
	v = json_object_array_get_idx(hooks, 0);
	assert_non_null(strstr(jstr(v, "manifest"), "apiVersion: batch/v1\nkind: CronJob"));
	assert_null(strstr(jstr(v, "manifest"), "batch/v1beta1"));
	assert_string_equal(jstr(v, "name"), "shop-db-cleanup");
	/* and the other fields equal as values too */
	assert_string_equal(jstr(oroot, "name"), "shop");
	assert_true(json_object_object_get_ex(oroot, "chart", &v));
	{
		json_object *w;

		assert_true(json_object_object_get_ex(iroot, "chart", &w));
		assert_true(json_object_equal(v, w));
	}
	json_object_put(iroot);
	json_object_put(oroot);
	free(ij);
	free(oj);
	free(ir);
	free(orr);
}

static void fix_file(const char *name, int layers)
{
	struct run r, again;
	size_t len;
	char *text = slurp(name, &len);

	run_fix(&r, text, len, "1.25");
	assert_int_equal(r.st, KUP_OK);
	assert_int_equal(r.reported, 0);
	assert_true(r.res.converted >= 2);   /* Deployment and the hook's CronJob */
	assert_int_equal(r.res.errors, 0);
	check_fixed(text, len, r.out.buf, r.out.len, 0, layers);

	/* fixing the output again changes nothing */
	run_fix(&again, r.out.buf, r.out.len, "1.25");
	assert_int_equal(again.st, KUP_OK);
	assert_int_equal(again.res.converted, 0);
	assert_int_equal(again.out.len, r.out.len);
	assert_memory_equal(again.out.buf, r.out.buf, r.out.len);
	run_done(&again);
	run_done(&r);
	free(text);
}

static void test_secret_yaml(void **state)
{
	(void)state;
	fix_file(DATA "shop.v3-secret.yaml", 2);
}

static void test_secret_json(void **state)
{
	(void)state;
	fix_file(DATA "shop.v3-secret.json", 2);
}

static void test_configmap_yaml(void **state)
{
	(void)state;
	fix_file(DATA "shop.v3-configmap.yaml", 1);
}

/* Builds a record YAML of a release JSON (a ConfigMap or a Secret). */
static void record_yaml(struct kup_buf *b, const char *json, bool secret, const char *name,
			int rev, const char *status)
{
	struct kup_buf enc = KUP_BUF_INIT;

	kup_buf_init(&enc);
	assert_true(kup_helm_encode_release(json, strlen(json), secret, &enc));
	kup_buf_addf(b, "- apiVersion: v1\n  data:\n    release: %s\n  kind: %s\n"
		     "  metadata:\n    labels:\n      name: %s\n      owner: helm\n"
		     "      status: %s\n      version: \"%d\"\n"
		     "    name: sh.helm.release.v1.%s.v%d   # revision %d\n"
		     "    namespace: shop\n%s",
		     enc.buf, secret ? "Secret" : "ConfigMap", name, status, rev, name, rev,
		     rev, secret ? "  type: helm.sh/release.v1\n" : "");
	kup_buf_release(&enc);
}

static void release_json(struct kup_buf *b, const char *name, int rev, const char *status,
			 const char *manifest_json)
{
	kup_buf_addf(b, "{\"name\":\"%s\",\"info\":{\"status\":\"%s\",\"notes\":\"a \\u003c b\"},"
		     "\"manifest\":\"%s\",\"version\":%d,\"namespace\":\"shop\"}",
		     name, status, manifest_json, rev);
}

#define DEPLOY "# \\u2028\\n# \\u0026\\napiVersion: extensions/v1beta1\\nkind: DaemonSet\\n" \
	"metadata:\\n  name: agent\\nspec:\\n  selector:\\n    matchLabels:\\n      a: b\\n" \
	"  template:\\n    metadata:\\n      labels:\\n        a: b\\n"

/* Only the revision helm upgrade reads is touched; the others stay as they are. */
static void check_list(const char *const *status, int nrev, bool secret, int want)
{
	struct kup_buf text = KUP_BUF_INIT, j = KUP_BUF_INIT;
	struct run r;
	int i;

	kup_buf_init(&text);
	kup_buf_init(&j);
	kup_buf_adds(&text, "apiVersion: v1\r\nitems:\n");
	for (i = 0; i < nrev; i++) {
		kup_buf_reset(&j);
		release_json(&j, "shop", i + 1, status[i], DEPLOY);
		record_yaml(&text, j.buf, secret, "shop", i + 1, status[i]);
	}
	kup_buf_adds(&text, "kind: List\nmetadata:\n  resourceVersion: \"\"\n");
	run_fix(&r, text.buf, text.len, "1.32");
	assert_int_equal(r.st, KUP_OK);
	assert_int_equal(r.res.converted, 1);
	for (i = 0; i < nrev; i++) {
		size_t is, ie, os, oe, ilen, olen;
		char *ij, *oj;

		assert_true(find_release(text.buf, (size_t)i, &is, &ie));
		assert_true(find_release(r.out.buf, (size_t)i, &os, &oe));
		if (i + 1 != want) {
			assert_int_equal(oe - os, ie - is);
			assert_memory_equal(r.out.buf + os, text.buf + is, ie - is);
			continue;
		}
		ij = decode_release(text.buf + is, ie - is, secret ? 2 : 1, &ilen);
		oj = decode_release(r.out.buf + os, oe - os, secret ? 2 : 1, &olen);
		assert_non_null(strstr(ij, "extensions/v1beta1\\nkind: DaemonSet"));
		assert_non_null(strstr(oj, "apps/v1\\nkind: DaemonSet"));
		/* U+2028 and & written as Go writes them */
		assert_non_null(strstr(oj, "\"manifest\":\"# \\u2028\\n# \\u0026\\napiVersion: apps/v1"));
		assert_non_null(strstr(oj, "\"notes\":\"a \\u003c b\""));
		free(ij);
		free(oj);
	}
	/* the text after the last record, and the CRLF line before, are unchanged */
	assert_memory_equal(r.out.buf, "apiVersion: v1\r\nitems:\n", 23);
	assert_true(r.out.len > 40);
	assert_string_equal(r.out.buf + r.out.len - 40 + 0,
			    text.buf + text.len - 40);
	run_done(&r);
	kup_buf_release(&text);
	kup_buf_release(&j);
}

static void test_list_newest(void **state)
{
	const char *const st1[] = { "superseded", "deployed" };
	const char *const st2[] = { "superseded", "deployed", "failed" };
	const char *const st3[] = { "superseded", "failed" };

	(void)state;
	check_list(st1, 2, true, 2);
	check_list(st1, 2, false, 2);
	/* a failed upgrade after the deployed revision: upgrade reads the deployed one */
	check_list(st2, 3, true, 2);
	/* nothing deployed: the newest */
	check_list(st3, 2, false, 2);
}

/* A JSON List (kubectl get secret -o json) and a bare JSON array of records. */
static void test_json_list(void **state)
{
	static const char *const open_[] = { "{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n", "[\n" };
	static const char *const close_[] = { "\n    ],\n    \"kind\": \"List\"\n}\n", "\n]\n" };
	size_t k;

	(void)state;
	for (k = 0; k < 2; k++) {
		struct kup_buf text = KUP_BUF_INIT, j = KUP_BUF_INIT, enc = KUP_BUF_INIT;
		struct run r, again;
		int rev;

		kup_buf_init(&text);
		kup_buf_init(&j);
		kup_buf_init(&enc);
		kup_buf_adds(&text, open_[k]);
		for (rev = 2; rev <= 3; rev++) {
			kup_buf_reset(&j);
			kup_buf_reset(&enc);
			release_json(&j, "shop", rev, rev == 3 ? "deployed" : "superseded", DEPLOY);
			assert_true(kup_helm_encode_release(j.buf, j.len, true, &enc));
			kup_buf_addf(&text, "%s        {\n            \"apiVersion\": \"v1\",\n"
				     "            \"data\": {\n                \"release\": \"%s\"\n"
				     "            },\n            \"kind\": \"Secret\",\n"
				     "            \"type\": \"helm.sh/release.v1\"\n        }",
				     rev == 3 ? ",\n" : "", enc.buf);
		}
		kup_buf_adds(&text, close_[k]);
		run_fix(&r, text.buf, text.len, "1.32");
		assert_int_equal(r.st, KUP_OK);
		assert_int_equal(r.res.converted, 1);
		{
			size_t is, ie, os, oe, n;
			char *oj;

			/* v2 untouched, byte for byte, up to v3's value */
			assert_true(find_release(text.buf, 1, &is, &ie));
			assert_true(find_release(r.out.buf, 1, &os, &oe));
			assert_int_equal(os, is);
			assert_memory_equal(r.out.buf, text.buf, is);
			assert_string_equal(r.out.buf + oe, text.buf + ie);
			oj = decode_release(r.out.buf + os, oe - os, 2, &n);
			assert_non_null(strstr(oj, "apiVersion: apps/v1\\nkind: DaemonSet"));
			assert_non_null(strstr(oj, "\"version\":3,"));
			free(oj);
		}
		run_fix(&again, r.out.buf, r.out.len, "1.32");
		assert_int_equal(again.out.len, r.out.len);
		assert_memory_equal(again.out.buf, r.out.buf, r.out.len);
		run_done(&again);
		run_done(&r);
		kup_buf_release(&text);
		kup_buf_release(&j);
		kup_buf_release(&enc);
	}
}

static void test_two_releases(void **state)
{
	struct kup_buf text = KUP_BUF_INIT, j = KUP_BUF_INIT;
	struct run r;

	(void)state;
	kup_buf_init(&text);
	kup_buf_init(&j);
	kup_buf_adds(&text, "apiVersion: v1\nkind: List\nitems:\n");
	release_json(&j, "a", 1, "deployed", DEPLOY);
	record_yaml(&text, j.buf, true, "a", 1, "deployed");
	kup_buf_reset(&j);
	release_json(&j, "b", 7, "deployed", DEPLOY);
	record_yaml(&text, j.buf, false, "b", 7, "deployed");
	run_fix(&r, text.buf, text.len, "1.32");
	assert_int_equal(r.st, KUP_OK);
	/* each release is fixed */
	assert_int_equal(r.res.converted, 2);
	run_done(&r);
	kup_buf_release(&text);
	kup_buf_release(&j);
}

static void test_nothing_to_fix(void **state)
{
	struct kup_buf text = KUP_BUF_INIT, j = KUP_BUF_INIT;
	struct run r;

	(void)state;
	kup_buf_init(&text);
	kup_buf_init(&j);
	kup_buf_adds(&text, "kind: List\nitems:\n");
	release_json(&j, "ok", 1, "deployed", "apiVersion: apps/v1\\nkind: Deployment\\n");
	record_yaml(&text, j.buf, true, "ok", 1, "deployed");
	run_fix(&r, text.buf, text.len, "1.32");
	assert_int_equal(r.st, KUP_OK);
	assert_int_equal(r.reported, 0);
	assert_int_equal(r.res.converted, 0);
	assert_int_equal(r.out.len, text.len);
	assert_memory_equal(r.out.buf, text.buf, text.len);
	run_done(&r);
	kup_buf_release(&text);
	kup_buf_release(&j);
}

/*
 * data.release written as a literal block (wrapped), single- or
 * double-quoted: the new value keeps the quoting (a block becomes
 * double-quoted) and the line breaks after it.
 */
static void test_record_styles(void **state)
{
	static const char *const style[] = { "|\n    ", "'", "\"", ">-\n    " };
	static const char *const close[] = { "\n\n", "'\n", "\"\n", "\n" };
	struct kup_buf j = KUP_BUF_INIT, enc = KUP_BUF_INIT;
	size_t k;

	(void)state;
	kup_buf_init(&j);
	kup_buf_init(&enc);
	release_json(&j, "s", 2, "deployed", DEPLOY);
	assert_true(kup_helm_encode_release(j.buf, j.len, false, &enc));
	assert_true(enc.len > 100);
	for (k = 0; k < 4; k++) {
		struct kup_buf text = KUP_BUF_INIT;
		struct run r, again;
		const char *v, *e;
		size_t jl;
		char *oj;
		char q = k == 1 ? '\'' : '"';

		kup_buf_init(&text);
		kup_buf_addf(&text, "apiVersion: v1\nkind: ConfigMap\ndata:\n  release: %s", style[k]);
		if (k == 0 || k == 3) {
			kup_buf_add(&text, enc.buf, 76);
			kup_buf_adds(&text, "\n    ");
			kup_buf_add(&text, enc.buf + 76, enc.len - 76);
		} else {
			kup_buf_add(&text, enc.buf, enc.len);
		}
		kup_buf_addf(&text, "%smetadata:\n  labels:\n    owner: helm\n", close[k]);
		run_fix(&r, text.buf, text.len, "1.32");
		assert_int_equal(r.st, KUP_OK);
		assert_int_equal(r.res.converted, 1);
		v = strstr(r.out.buf, "release: ");
		assert_non_null(v);
		v += strlen("release: ");
		assert_int_equal(*v, q);
		v++;
		e = strchr(v, q);
		assert_non_null(e);
		assert_memory_equal(r.out.buf, text.buf, (size_t)(v - 1 - r.out.buf));
		assert_string_equal(e + 1, k == 0 ? "\n\nmetadata:\n  labels:\n    owner: helm\n"
					   : "\nmetadata:\n  labels:\n    owner: helm\n");
		oj = decode_release(v, (size_t)(e - v), 1, &jl);
		assert_non_null(strstr(oj, "apiVersion: apps/v1\\nkind: DaemonSet"));
		free(oj);
		run_fix(&again, r.out.buf, r.out.len, "1.32");
		assert_int_equal(again.res.converted, 0);
		assert_int_equal(again.out.len, r.out.len);
		assert_memory_equal(again.out.buf, r.out.buf, r.out.len);
		run_done(&again);
		run_done(&r);
		kup_buf_release(&text);
	}
	kup_buf_release(&j);
	kup_buf_release(&enc);
}

static void test_not_a_release(void **state)
{
	static const char *const inputs[] = {
		"",
		"apiVersion: v1\nkind: Secret\ndata:\n  release: SDRzSQ==\n",
		"apiVersion: v1\nkind: ConfigMap\ndata:\n  release: x\n",
		"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []}",
		"key: [unclosed\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct run r;
		size_t len = strlen(inputs[i]);

		run_fix(&r, inputs[i], len, "1.32");
		assert_int_equal(r.st, KUP_NOTFOUND);
		assert_true(r.reported >= 1);
		assert_int_equal(r.out.len, len);
		assert_memory_equal(r.out.buf, inputs[i], len);
		run_done(&r);
	}
}

static void test_broken_release(void **state)
{
	static const char *const bad[] = {
		"err-truncated-gzip.txt", "err-bad-crc.txt", "err-invalid-base64.txt",
		"err-helm-v2.txt", "err-not-json.txt",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kup_buf text = KUP_BUF_INIT, path = KUP_BUF_INIT;
		struct run r;
		size_t n;
		char *data;

		kup_buf_init(&path);
		kup_buf_addf(&path, "%s%s", DATA, bad[i]);
		data = slurp(path.buf, &n);
		while (n && (data[n - 1] == '\n'))
			n--;
		kup_buf_init(&text);
		kup_buf_addf(&text, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n"
			     "    owner: helm\ndata:\n  release: %.*s\n", (int)n, data);
		run_fix(&r, text.buf, text.len, "1.32");
		assert_int_equal(r.st, KUP_ENCODING);
		assert_int_equal(r.reported, 1);
		assert_int_equal(r.res.errors, 1);
		assert_int_equal(r.out.len, text.len);
		assert_memory_equal(r.out.buf, text.buf, text.len);
		run_done(&r);
		free(data);
		kup_buf_release(&text);
		kup_buf_release(&path);
	}
}

/* ---- the encoder ---------------------------------------------------------- */

static void roundtrip(const char *json, size_t len)
{
	struct kup_buf a = KUP_BUF_INIT, b = KUP_BUF_INIT;
	size_t n;
	char *back;

	kup_buf_init(&a);
	kup_buf_init(&b);
	assert_true(kup_helm_encode_release(json, len, false, &a));
	assert_true(kup_helm_encode_release(json, len, true, &b));
	assert_null(memchr(a.buf, '\n', a.len));
	back = decode_release(a.buf, a.len, 1, &n);
	assert_int_equal(n, len);
	assert_memory_equal(back, json, len);
	free(back);
	back = decode_release(b.buf, b.len, 2, &n);
	assert_int_equal(n, len);
	assert_memory_equal(back, json, len);
	free(back);
	/* and the library's own decoder agrees with the Secret form */
	{
		struct kup_helm_release rel;
		struct kup_error err = KUP_ERROR_INIT;

		if (len && json[0] == '{') {
			assert_int_equal(kup_helm_decode(b.buf, b.len, 0, &rel, &err), KUP_OK);
			kup_helm_release_release(&rel);
		}
		kup_error_release(&err);
	}
	kup_buf_release(&a);
	kup_buf_release(&b);
}

static void test_encode_roundtrip(void **state)
{
	size_t len, i;
	char *text = slurp(DATA "release-shop.json", &len);
	char *big;

	(void)state;
	roundtrip(text, len);
	roundtrip("", 0);
	roundtrip("{}", 2);
	roundtrip("{\"name\":\"x\"}", 12);
	/* every base64 padding case */
	roundtrip("{\"a\":1}", 7);
	roundtrip("{\"a\":12}", 8);
	roundtrip("{\"a\":123}", 9);
	/* 3 MiB of incompressible-ish bytes: several deflate rounds */
	big = malloc(3 * MIB);
	assert_non_null(big);
	for (i = 0; i < 3 * MIB; i++)
		big[i] = (char)((i * 2654435761u) >> 13);
	roundtrip(big, 3 * MIB);
	free(big);
	free(text);
}

/* The fixture was gzipped with Go's header; ours matches it byte for byte. */
static void test_encode_header_matches_fixture(void **state)
{
	size_t len, i;
	char *rec = slurp(DATA "shop.v3.configmap-release.txt", &len);
	struct bytes z;
	struct kup_buf a = KUP_BUF_INIT;
	size_t jlen;
	char *json;
	struct bytes mine;

	(void)state;
	while (len && rec[len - 1] == '\n')
		len--;
	z = unb64(rec, len);
	json = decode_release(rec, len, 1, &jlen);
	kup_buf_init(&a);
	assert_true(kup_helm_encode_release(json, jlen, false, &a));
	mine = unb64(a.buf, a.len);
	for (i = 0; i < 10; i++)
		assert_int_equal(mine.p[i], z.p[i]);
	/* the trailer (CRC-32, ISIZE) is a function of the data alone */
	assert_memory_equal(mine.p + mine.n - 8, z.p + z.n - 8, 8);
	free(mine.p);
	free(z.p);
	free(json);
	free(rec);
	kup_buf_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_roundtrip),
		cmocka_unit_test(test_encode_header_matches_fixture),
		cmocka_unit_test(test_secret_yaml),
		cmocka_unit_test(test_secret_json),
		cmocka_unit_test(test_configmap_yaml),
		cmocka_unit_test(test_list_newest),
		cmocka_unit_test(test_json_list),
		cmocka_unit_test(test_two_releases),
		cmocka_unit_test(test_nothing_to_fix),
		cmocka_unit_test(test_record_styles),
		cmocka_unit_test(test_not_a_release),
		cmocka_unit_test(test_broken_release),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
