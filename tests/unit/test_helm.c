/*
 * test_helm.c - Helm v3 release record decoding and base64.
 *
 * The fixtures in tests/data/helm/ are real release encodings built by
 * tests/data/helm/make-release.sh from release-shop.json (the three stored
 * forms: Secret as kubectl prints it in JSON and YAML, ConfigMap) and the
 * broken records err-*.txt.
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

#include "kupgrade/helm.h"

#define DATA KUP_TEST_DATA "/helm/"
#define MIB ((size_t)1 << 20)

static char *slurp(const char *name, size_t *len)
{
	struct kup_error err = KUP_ERROR_INIT;
	char *text = NULL;
	size_t n = 0;
	enum kup_status st = kup_read_file(name, 64 * MIB, &text, &n, &err);

	if (st != KUP_OK)
		fail_msg("cannot read '%s': %s", name, err.msg ? err.msg : "?");
	kup_error_release(&err);
	if (len)
		*len = n;
	return text;
}

/* The expected release, read independently with json-c. */
struct expect {
	json_object *root;
	const char *manifest;
	size_t manifest_len;
};

static void expect_load(struct expect *e)
{
	char *text = slurp(DATA "release-shop.json", NULL);
	json_object *m;

	e->root = json_tokener_parse(text);
	free(text);
	assert_non_null(e->root);
	assert_true(json_object_object_get_ex(e->root, "manifest", &m));
	e->manifest = json_object_get_string(m);
	e->manifest_len = (size_t)json_object_get_string_len(m);
}

static void assert_shop(const struct kup_helm_release *r)
{
	struct expect e;
	json_object *hooks, *h, *v;

	expect_load(&e);
	assert_string_equal(r->name, "shop");
	assert_string_equal(r->namespace_, "shop");
	assert_int_equal(r->version, 3);
	assert_string_equal(r->status, "deployed");
	assert_string_equal(r->chart_name, "shop");
	assert_string_equal(r->chart_version, "1.4.2");

	/* the manifest, byte for byte */
	assert_int_equal(r->manifest_len, e.manifest_len);
	assert_memory_equal(r->manifest, e.manifest, e.manifest_len);
	assert_int_equal(strlen(r->manifest), r->manifest_len);
	assert_non_null(strstr(r->manifest,
			       "# Source: shop/templates/deployment-legacy.yaml\n"
			       "apiVersion: extensions/v1beta1\nkind: Deployment\n"));
	assert_non_null(strstr(r->manifest,
			       "# Source: shop/templates/deployment.yaml\n"
			       "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-web\n"));
	/* Go escapes & < > as \u0026 \u003c \u003e: they must come back */
	assert_non_null(strstr(r->manifest, "--feature=a&b\", \"--max=<10>\""));
	assert_non_null(strstr(r->manifest, "gr\xc3\xbc\xc3\x9f" "e \xe2\x80\x94 caf\xc3\xa9"));
	assert_memory_equal(r->manifest, "---\n# Source: shop/templates/serviceaccount.yaml\n", 49);

	/* hooks */
	assert_true(json_object_object_get_ex(e.root, "hooks", &hooks));
	assert_int_equal(r->nhooks, 2);
	assert_string_equal(r->hooks[0].name, "shop-db-cleanup");
	assert_string_equal(r->hooks[0].path, "shop/templates/hooks/db-cleanup-cronjob.yaml");
	assert_non_null(strstr(r->hooks[0].manifest,
			       "apiVersion: batch/v1beta1\nkind: CronJob\n"));
	h = json_object_array_get_idx(hooks, 0);
	assert_true(json_object_object_get_ex(h, "manifest", &v));
	assert_int_equal(r->hooks[0].manifest_len, (size_t)json_object_get_string_len(v));
	assert_string_equal(r->hooks[0].manifest, json_object_get_string(v));
	assert_string_equal(r->hooks[1].name, "shop-test-connection");
	assert_string_equal(r->hooks[1].path, "shop/templates/tests/test-connection.yaml");
	assert_non_null(strstr(r->hooks[1].manifest, "apiVersion: v1\nkind: Pod\n"));
	json_object_put(e.root);
}

static void decode_ok(const char *data, size_t len, struct kup_helm_release *r)
{
	struct kup_error err = KUP_ERROR_INIT;
	enum kup_status st = kup_helm_decode(data, len, 16 * MIB, r, &err);

	if (st != KUP_OK)
		fail_msg("decode failed: %s: %s", kup_strerror(st), err.msg ? err.msg : "?");
	kup_error_release(&err);
}

/* data.release of `kubectl get secret -o json` */
static void test_secret_json(void **state)
{
	char *text = slurp(DATA "shop.v3-secret.json", NULL);
	json_object *root = json_tokener_parse(text), *data, *rel, *v;
	struct kup_helm_release r;

	assert_non_null(root);
	/* the fixture has the real Secret shape */
	assert_true(json_object_object_get_ex(root, "type", &v));
	assert_string_equal(json_object_get_string(v), "helm.sh/release.v1");
	assert_true(json_object_object_get_ex(root, "metadata", &v));
	assert_true(json_object_object_get_ex(v, "name", &v));
	assert_string_equal(json_object_get_string(v), "sh.helm.release.v1.shop.v3");
	assert_true(json_object_object_get_ex(root, "data", &data));
	assert_true(json_object_object_get_ex(data, "release", &rel));
	/* two base64 layers: the outer decodes to "H4sI" = base64 of 1f 8b 08 */
	assert_memory_equal(json_object_get_string(rel), "SDRzSUFBQUFBQUFD", 16);

	decode_ok(json_object_get_string(rel), (size_t)json_object_get_string_len(rel), &r);
	assert_shop(&r);
	kup_helm_release_release(&r);
	assert_null(r.name);
	assert_int_equal(r.nhooks, 0);
	json_object_put(root);
	free(text);
}

/* The value of `  release: ` in a kubectl YAML dump. */
static void yaml_release(const char *file, const char **p, size_t *n, char **owned)
{
	const char *key = "\n  release: ", *s, *e;

	*owned = slurp(file, NULL);
	s = strstr(*owned, key);
	assert_non_null(s);
	s += strlen(key);
	e = strchr(s, '\n');
	assert_non_null(e);
	*p = s;
	*n = (size_t)(e - s);
}

static void test_secret_yaml(void **state)
{
	struct kup_helm_release r;
	const char *p;
	size_t n;
	char *text;

	yaml_release(DATA "shop.v3-secret.yaml", &p, &n, &text);
	assert_non_null(strstr(text, "\ntype: helm.sh/release.v1\n"));
	assert_non_null(strstr(text, "\n    owner: helm\n"));
	decode_ok(p, n, &r);
	assert_shop(&r);
	kup_helm_release_release(&r);
	free(text);
}

/* ConfigMap driver: one base64 layer ("H4sI...") */
static void test_configmap_yaml(void **state)
{
	struct kup_helm_release r;
	const char *p;
	size_t n;
	char *text;

	yaml_release(DATA "shop.v3-configmap.yaml", &p, &n, &text);
	assert_memory_equal(p, "H4sIAAAAAAAC/", 13);   /* Go's gzip header */
	assert_non_null(strstr(text, "\nkind: ConfigMap\n"));
	decode_ok(p, n, &r);
	assert_shop(&r);
	kup_helm_release_release(&r);
	free(text);
}

/* The bare strings, with their trailing newline; and the JSON itself. */
static void test_bare_forms(void **state)
{
	static const char *const files[] = {
		DATA "shop.v3.configmap-release.txt",
		DATA "shop.v3.secret-release.txt",
		DATA "release-shop.json",
	};
	size_t i, n;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct kup_helm_release r;
		char *text = slurp(files[i], &n);

		decode_ok(text, n, &r);
		assert_shop(&r);
		kup_helm_release_release(&r);
		free(text);
	}
}

/* base64 wrapped at 76 columns with CRLF, and surrounded by blanks */
static void test_wrapped_base64(void **state)
{
	struct kup_helm_release r;
	struct kup_buf b = KUP_BUF_INIT;
	size_t n, i;
	char *text = slurp(DATA "shop.v3.secret-release.txt", &n);

	kup_buf_init(&b);
	kup_buf_adds(&b, "  \r\n");
	for (i = 0; i < n; i++) {
		if (i && i % 76 == 0)
			kup_buf_adds(&b, "\r\n");
		kup_buf_addc(&b, text[i]);
	}
	kup_buf_adds(&b, "\t \n");
	decode_ok(b.buf, b.len, &r);
	assert_shop(&r);
	kup_helm_release_release(&r);
	kup_buf_release(&b);
	free(text);
}

/* Pre-compression records: base64(json) with no gzip, as decodeRelease allows. */
static void test_uncompressed_record(void **state)
{
	struct kup_helm_release r;
	size_t n;
	char *text = slurp(DATA "err-plain-json.txt", &n);

	decode_ok(text, n, &r);
	assert_string_equal(r.name, "broken");
	assert_string_equal(r.namespace_, "default");
	assert_string_equal(r.status, "deployed");
	assert_int_equal(r.version, 1);
	assert_string_equal(r.chart_name, "");
	assert_int_equal(r.manifest_len, 200 * strlen("apiVersion: v1\nkind: ConfigMap\n"));
	kup_helm_release_release(&r);
	free(text);
}

static void expect_error(const char *data, size_t len, size_t max_out,
			 enum kup_status code, const char *msg)
{
	struct kup_helm_release r;
	struct kup_error err = KUP_ERROR_INIT;
	enum kup_status st = kup_helm_decode(data, len, max_out, &r, &err);

	if (st != code)
		fail_msg("expected %s, got %s (%s)", kup_strerror(code), kup_strerror(st),
			 err.msg ? err.msg : "no message");
	assert_int_equal(err.code, code);
	assert_non_null(err.msg);
	if (!strstr(err.msg, msg))
		fail_msg("message '%s' lacks '%s'", err.msg, msg);
	/* on failure nothing is left allocated in the release */
	assert_null(r.name);
	assert_null(r.manifest);
	assert_null(r.hooks);
	kup_error_release(&err);
}

static void expect_file_error(const char *name, size_t max_out, enum kup_status code,
			      const char *msg)
{
	char path[512];
	size_t n;
	char *text;

	snprintf(path, sizeof(path), DATA "%s", name);
	text = slurp(path, &n);
	expect_error(text, n, max_out, code, msg);
	free(text);
}

static void test_errors_base64(void **state)
{
	expect_file_error("err-truncated-base64.txt", MIB, KUP_ENCODING,
			  "truncated base64 in release");
	expect_file_error("err-invalid-base64.txt", MIB, KUP_ENCODING,
			  "invalid base64 at byte 40 in release");
	expect_error("", 0, MIB, KUP_PARSE, "release record is empty");
	expect_error(" \r\n\t", 4, MIB, KUP_PARSE, "release record is empty");
	expect_error(NULL, 0, MIB, KUP_PARSE, "release record is empty");
	expect_error("SDRz!UFB", 8, MIB, KUP_ENCODING, "invalid base64 at byte 4");
	expect_error("Zg==Zg==", 8, MIB, KUP_ENCODING, "invalid base64 at byte 4");
	/* "hello" decodes to bytes that are neither base64, gzip nor json */
	expect_error("aGVsbG8=", 8, MIB, KUP_ENCODING, "(base64 layer 2)");
	expect_error("AAECAw==", 8, MIB, KUP_ENCODING,
		     "release record is not base64, gzip or json after 1 base64 layer");
}

static void test_errors_gzip(void **state)
{
	expect_file_error("err-truncated-gzip.txt", MIB, KUP_ENCODING,
			  "truncated gzip stream in release");
	expect_file_error("err-bad-crc.txt", MIB, KUP_ENCODING,
			  "corrupted gzip stream in release: incorrect data check");
	expect_file_error("err-corrupt-gzip.txt", MIB, KUP_ENCODING,
			  "corrupted gzip stream in release");
	expect_file_error("err-double-gzip.txt", MIB, KUP_ENCODING,
			  "binary after gunzip");
	expect_file_error("err-trailing-garbage.txt", MIB, KUP_ENCODING,
			  "trailing garbage after gzip stream in release");
	/* just the magic */
	expect_error("H4sI", 4, MIB, KUP_ENCODING, "truncated gzip stream in release");
}

/* Concatenated gzip members are one stream, as for Go's gzip.Reader. */
static void test_multi_member(void **state)
{
	struct kup_helm_release r;
	size_t n;
	char *text = slurp(DATA "err-multi-member.txt", &n);

	decode_ok(text, n, &r);
	assert_string_equal(r.name, "two");
	assert_int_equal(r.version, 2);
	kup_helm_release_release(&r);
	free(text);
}

/* gzip (one member) of text, as Helm's gzip.Writer writes it. */
static unsigned char *gzip_of(const char *text, size_t n, size_t *out_len)
{
	z_stream zs;
	size_t cap = n / 2 + 1024;
	unsigned char *out = malloc(cap);

	memset(&zs, 0, sizeof(zs));
	assert_non_null(out);
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)(uintptr_t)text;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_len = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

/*
 * 8 MiB of JSON in ~8 KiB of gzip (a thousand to one): refused past max_out,
 * and refused under a larger cap too, past the expansion ratio (100, once
 * past 8 MiB), counted in a first pass that holds nothing.
 */
static void test_gzip_bomb(void **state)
{
	struct kup_helm_release r;
	size_t n, i, zn;
	char *text = slurp(DATA "err-gzip-bomb.txt", &n), *json;
	unsigned char *z;

	assert_true(n < 16 * 1024);
	expect_error(text, n, MIB, KUP_TOOBIG, "release decompresses to more than 1048576 bytes");
	expect_error(text, n, 8 * MIB, KUP_TOOBIG, "more than 8388608 bytes");
	expect_error(text, n, 16 * MIB, KUP_TOOBIG,
		     "release decompresses to more than 100 times its 8");
	free(text);

	/* the same ratio under the 8 MiB floor decodes: small records may compress that well */
	json = malloc(7 * MIB);
	assert_non_null(json);
	memcpy(json, "{\"name\":\"bomb\",\"manifest\":\"", 27);
	for (i = 27; i < 7 * MIB - 2; i++)
		json[i] = ' ';
	memcpy(json + 7 * MIB - 2, "\"}", 2);
	z = gzip_of(json, 7 * MIB, &zn);
	assert_true(zn * 100 < 7 * MIB);
	decode_ok((const char *)z, zn, &r);    /* 16 MiB cap */
	assert_string_equal(r.name, "bomb");
	assert_int_equal(r.manifest_len, 7 * MIB - 29);
	assert_int_equal(r.manifest[0], ' ');
	kup_helm_release_release(&r);
	free(z);
	free(json);
}

static void test_errors_json(void **state)
{
	expect_file_error("err-not-json.txt", MIB, KUP_PARSE, "cannot parse release json");
	expect_file_error("err-bad-json.txt", MIB, KUP_PARSE, "cannot parse release json");
	expect_file_error("err-json-array.txt", MIB, KUP_PARSE, "release json is not an object");
	expect_error("{\"name\":1}", 10, MIB, KUP_PARSE, "release field 'name' is not a string");
	expect_error("{\"version\":\"3\"}", 15, MIB, KUP_PARSE,
		     "release field 'version' is not an integer");
	expect_error("{\"version\":3.5}", 15, MIB, KUP_PARSE,
		     "release field 'version' is not an integer");
	expect_error("{\"hooks\":{}}", 12, MIB, KUP_PARSE, "release field 'hooks' is not an array");
	expect_error("{\"hooks\":[1]}", 13, MIB, KUP_PARSE,
		     "release field 'hooks[0]' is not an object");
	expect_error("{\"hooks\":[{\"manifest\":[]}]}", 27, MIB, KUP_PARSE,
		     "release field 'hooks[].manifest' is not a string");
	expect_error("{\"info\":[]}", 11, MIB, KUP_PARSE, "release field 'info' is not an object");
	expect_error("{\"chart\":{\"metadata\":{\"version\":1.2}}}", 38, MIB, KUP_PARSE,
		     "release field 'chart.metadata.version' is not a string");
	expect_error("{\"name\":\"x\"", 11, MIB, KUP_PARSE, "cannot parse release json");
}

static void test_helm_v2(void **state)
{
	expect_file_error("err-helm-v2.txt", MIB, KUP_ENCODING,
			  "helm v2 release records are not supported");
	expect_file_error("err-helm-v2-uncompressed.txt", MIB, KUP_ENCODING,
			  "helm v2 release records are not supported");
}

/* Minimal and null-laden records decode, with "" for what is missing. */
static void test_minimal_json(void **state)
{
	static const char min[] = "{}";
	static const char nulls[] =
		"{\"name\":null,\"info\":null,\"chart\":{\"metadata\":null},"
		"\"hooks\":[null,{\"name\":\"h\",\"manifest\":\"a\\u0000b\"},null],"
		"\"version\":null,\"manifest\":\"x\\u0000y\"}";
	struct kup_helm_release r;

	decode_ok(min, sizeof(min) - 1, &r);
	assert_string_equal(r.name, "");
	assert_string_equal(r.namespace_, "");
	assert_string_equal(r.status, "");
	assert_string_equal(r.chart_name, "");
	assert_string_equal(r.chart_version, "");
	assert_string_equal(r.manifest, "");
	assert_int_equal(r.manifest_len, 0);
	assert_int_equal(r.version, 0);
	assert_int_equal(r.nhooks, 0);
	kup_helm_release_release(&r);

	decode_ok(nulls, sizeof(nulls) - 1, &r);
	assert_string_equal(r.name, "");
	assert_int_equal(r.nhooks, 1);
	assert_string_equal(r.hooks[0].name, "h");
	assert_string_equal(r.hooks[0].path, "");
	/* embedded NULs survive, with the length */
	assert_int_equal(r.hooks[0].manifest_len, 3);
	assert_memory_equal(r.hooks[0].manifest, "a\0b", 4);
	assert_int_equal(r.manifest_len, 3);
	assert_memory_equal(r.manifest, "x\0y", 4);
	kup_helm_release_release(&r);
}

/* ---- base64 ---------------------------------------------------------------- */

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(const unsigned char *in, size_t n, struct kup_buf *out)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];

		kup_buf_addc(out, b64chars[v >> 18 & 63]);
		kup_buf_addc(out, b64chars[v >> 12 & 63]);
		kup_buf_addc(out, b64chars[v >> 6 & 63]);
		kup_buf_addc(out, b64chars[v & 63]);
	}
	if (n - i == 1) {
		unsigned v = (unsigned)in[i] << 16;

		kup_buf_addc(out, b64chars[v >> 18 & 63]);
		kup_buf_addc(out, b64chars[v >> 12 & 63]);
		kup_buf_adds(out, "==");
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;

		kup_buf_addc(out, b64chars[v >> 18 & 63]);
		kup_buf_addc(out, b64chars[v >> 12 & 63]);
		kup_buf_addc(out, b64chars[v >> 6 & 63]);
		kup_buf_addc(out, '=');
	}
}

static void test_base64(void **state)
{
	struct kup_buf b;
	struct kup_buf enc;
	unsigned char all[256];
	size_t i, n;

	kup_buf_init(&b);
	assert_true(kup_base64_decode("", 0, &b));
	assert_int_equal(b.len, 0);
	assert_true(kup_base64_decode("Zg==", 4, &b));
	assert_string_equal(b.buf, "f");
	kup_buf_reset(&b);
	assert_true(kup_base64_decode("Zm8=", 4, &b));
	assert_string_equal(b.buf, "fo");
	kup_buf_reset(&b);
	assert_true(kup_base64_decode(" Zm\r\n9v\t", 8, &b));
	assert_string_equal(b.buf, "foo");
	/* appends; a failure leaves what was there */
	assert_true(kup_base64_decode("YmFy", 4, &b));
	assert_string_equal(b.buf, "foobar");
	assert_false(kup_base64_decode("YmF", 3, &b));
	assert_false(kup_base64_decode("Zg=", 3, &b));
	assert_false(kup_base64_decode("Z===", 4, &b));
	assert_false(kup_base64_decode("Zg==Zg==", 8, &b));
	assert_false(kup_base64_decode("Zg=a", 4, &b));
	assert_false(kup_base64_decode("Zm9v*", 5, &b));
	assert_false(kup_base64_decode("Zm9-", 4, &b));     /* URL alphabet: no */
	assert_false(kup_base64_decode("Zm9\0v", 5, &b));
	assert_int_equal(b.len, 6);
	assert_string_equal(b.buf, "foobar");

	/* every byte value, every length, round trip */
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)(255 - i);
	kup_buf_init(&enc);
	for (n = 0; n <= 256; n++) {
		kup_buf_reset(&enc);
		kup_buf_reset(&b);
		b64_encode(all, n, &enc);
		assert_true(kup_base64_decode(enc.buf, enc.len, &b));
		assert_int_equal(b.len, n);
		assert_memory_equal(b.buf, all, n);
	}
	kup_buf_release(&enc);
	kup_buf_release(&b);
}

/* Four base64 layers is one too many. */
static void test_too_many_layers(void **state)
{
	struct kup_buf a, b;
	size_t n;
	char *text = slurp(DATA "shop.v3.secret-release.txt", &n);

	kup_buf_init(&a);
	kup_buf_init(&b);
	b64_encode((const unsigned char *)text, n, &a);          /* 3 layers: ok */
	{
		struct kup_helm_release r;

		decode_ok(a.buf, a.len, &r);
		assert_string_equal(r.name, "shop");
		kup_helm_release_release(&r);
	}
	b64_encode((const unsigned char *)a.buf, a.len, &b);     /* 4 layers */
	expect_error(b.buf, b.len, MIB, KUP_ENCODING,
		     "release record is not gzip or json after 3 base64 layers");
	kup_buf_release(&a);
	kup_buf_release(&b);
	free(text);
}

/* Every prefix of a real record is an error, never a crash or a success. */
static void test_every_prefix(void **state)
{
	static const char *const files[] = {
		DATA "shop.v3.configmap-release.txt",
		DATA "shop.v3.secret-release.txt",
	};
	size_t f, n, k;

	for (f = 0; f < 2; f++) {
		char *text = slurp(files[f], &n);

		while (n && (text[n - 1] == '\n'))
			n--;
		for (k = 0; k < n; k++) {
			struct kup_helm_release r;
			struct kup_error err = KUP_ERROR_INIT;
			enum kup_status st = kup_helm_decode(text, k, MIB, &r, &err);

			if (st == KUP_OK)
				fail_msg("prefix of %zu bytes of %s decoded", k, files[f]);
			assert_true(st == KUP_ENCODING || st == KUP_PARSE);
			assert_non_null(err.msg);
			kup_error_release(&err);
		}
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_json),
		cmocka_unit_test(test_secret_yaml),
		cmocka_unit_test(test_configmap_yaml),
		cmocka_unit_test(test_bare_forms),
		cmocka_unit_test(test_wrapped_base64),
		cmocka_unit_test(test_uncompressed_record),
		cmocka_unit_test(test_errors_base64),
		cmocka_unit_test(test_errors_gzip),
		cmocka_unit_test(test_multi_member),
		cmocka_unit_test(test_gzip_bomb),
		cmocka_unit_test(test_errors_json),
		cmocka_unit_test(test_helm_v2),
		cmocka_unit_test(test_minimal_json),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_too_many_layers),
		cmocka_unit_test(test_every_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
