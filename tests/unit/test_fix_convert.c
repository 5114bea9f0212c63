/*
 * test_fix_convert.c - the HPA (autoscaling/v2beta1 -> v2) and CRD
 * (apiextensions.k8s.io/v1beta1 -> v1) converters, and their helpers:
 * copying a node's text re-indented, and the structural-schema check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/json.h"
#include "kupgrade/yaml.h"
#include "../../src/lib/fix/fix_int.h"

/* ---- harness ------------------------------------------------------------------------ */

typedef void (*doc_fn)(void *ctx, const char *text, const struct kup_node *root);

struct reader {
	doc_fn fn;
	void *ctx;
	const char *text;
	bool ran;
};

static enum kup_status on_doc(void *p, const struct kup_doc *doc)
{
	struct reader *r = p;
	if (!r->ran)
		r->fn(r->ctx, r->text, doc->root);
	r->ran = true;
	return KUP_OK;
}

/* Parses text (YAML or JSON) and calls fn on the first document; returns the error count. */
static size_t parse(const char *text, bool json, doc_fn fn, void *ctx)
{
	struct reader r = { fn, ctx, text, false };
	struct kup_arena a;
	kup_arena_init(&a, 4096);
	size_t nerr = 0;
	enum kup_status st;
	if (json) {
		struct kup_json_opts o;
		kup_json_opts_init(&o, "t.json");
		o.stream_items = false;
		st = kup_json_read_mem(text, strlen(text), &o, &a, on_doc, &r, &nerr);
	} else {
		struct kup_yaml_opts o;
		kup_yaml_opts_init(&o, "t.yaml");
		st = kup_yaml_read_mem(text, strlen(text), &o, &a, on_doc, &r, &nerr);
	}
	kup_arena_release(&a);
	assert_int_equal(st, KUP_OK);
	assert_true(r.ran || nerr);
	return nerr;
}

struct conv_ctx {
	kup_converter_fn conv;
	bool json;
	struct kup_buf out;
	bool unfixable;
	char *reason;
	char *summary;
};

static void run_conv(void *p, const char *text, const struct kup_node *root)
{
	struct conv_ctx *c = p;
	struct kup_fixer f;
	kup_fixer_init(&f, text, strlen(text), c->json);
	assert_true(c->conv(&f, root, "old", "new"));
	assert_false(f.oom);
	c->unfixable = f.unfixable;
	c->reason = f.reason ? strdup(f.reason) : NULL;
	c->summary = f.summary ? strdup(f.summary) : NULL;
	kup_buf_init(&c->out);
	if (!f.unfixable)
		assert_true(kup_fixer_apply(&f, 0, strlen(text), &c->out));
	kup_fixer_release(&f);
}

static void ignore_doc(void *p, const char *text, const struct kup_node *root)
{
	(void)p;
	(void)text;
	(void)root;
}

/* Converts; the result must parse again without errors. */
static void convert(const char *in, bool json, kup_converter_fn fn, struct conv_ctx *c)
{
	memset(c, 0, sizeof *c);
	c->conv = fn;
	c->json = json;
	assert_int_equal(parse(in, json, run_conv, c), 0);
	if (!c->unfixable)
		assert_int_equal(parse(c->out.buf, json, ignore_doc, NULL), 0);
}

static void conv_release(struct conv_ctx *c)
{
	kup_buf_release(&c->out);
	free(c->reason);
	free(c->summary);
}

static void check(const char *in, bool json, kup_converter_fn fn, const char *want)
{
	struct conv_ctx c;
	convert(in, json, fn, &c);
	if (c.unfixable)
		fail_msg("unfixable: %s", c.reason ? c.reason : "?");
	assert_string_equal(c.out.buf, want);
	conv_release(&c);
}

static void check_unfixable(const char *in, bool json, kup_converter_fn fn, const char *reason)
{
	struct conv_ctx c;
	convert(in, json, fn, &c);
	assert_true(c.unfixable);
	assert_non_null(c.reason);
	if (!strstr(c.reason, reason))
		fail_msg("reason '%s' lacks '%s'", c.reason, reason);
	conv_release(&c);
}

/* ---- fragments ------------------------------------------------------------------------ */

struct frag_ctx {
	const char *path[4];
	struct kup_buf out;
};

static void run_frag(void *p, const char *text, const struct kup_node *root)
{
	struct frag_ctx *c = p;
	const struct kup_node *n = root;
	for (size_t i = 0; i < 4 && c->path[i]; i++)
		n = kup_node_get(n, c->path[i]);
	assert_non_null(n);
	kup_buf_init(&c->out);
	kup_fix_fragment(text, n, NULL, 0, &c->out);
}

static char *frag(const char *text, const char *k1, const char *k2)
{
	struct frag_ctx c;
	memset(&c, 0, sizeof c);
	c.path[0] = k1;
	c.path[1] = k2;
	assert_int_equal(parse(text, false, run_frag, &c), 0);
	return c.out.buf;
}

static void expect_frag(const char *text, const char *k1, const char *k2, const char *want)
{
	char *got = frag(text, k1, k2);
	assert_string_equal(got, want);
	free(got);
}

static void test_fragment_block_map(void **state)
{
	(void)state;
	expect_frag("a:\n  b:\n    c: 1\n    # note\n  # less\n    d: [x,\n     y]\n  e: 2\n", "a", "b",
		    "c: 1\n# note\n# less\nd: [x,\n y]\n");
	/* CRLF becomes LF; trailing blanks go */
	expect_frag("a:\r\n    b: 1\r\n    c:\r\n      - x\r\n\r\nz: 1\r\n", "a", NULL,
		    "b: 1\nc:\n  - x\n");
	/* a map inside a sequence item */
	expect_frag("a:\n- name: x\n  v: 1\n", "a", NULL, "- name: x\n  v: 1\n");
}

static void test_fragment_scalars(void **state)
{
	(void)state;
	expect_frag("a: \"q\" # c\n", "a", NULL, "\"q\"");
	expect_frag("a: {x: 1,\n  y: 2}\n", "a", NULL, "{x: 1,\ny: 2}");
	/*
	 * a block scalar keeps its relative indentation and its line end; its
	 * lines go to indentation 0, the writer nests them under the key
	 */
	expect_frag("k:\n  d: |\n    one\n      two\n\n    three\nz: 1\n", "k", "d",
		    "|\none\n  two\n\nthree\n");
	/* 4-byte characters before the node count once as a column */
	expect_frag("k:\n  \xf0\x9f\x98\x80: {a: 1}\n", "k", "\xf0\x9f\x98\x80", "{a: 1}");
}

static void test_put_pair(void **state)
{
	(void)state;
	struct kup_buf b;
	kup_buf_init(&b);
	kup_fix_put_pair(&b, 2, 2, "m", "a: 1\nb:\n  - x\n");
	kup_fix_put_pair(&b, 2, 2, "s", "v");
	kup_fix_put_pair(&b, 0, 4, "d", "|\n  l1\n\n  l2\n");
	assert_string_equal(b.buf, "  m:\n    a: 1\n    b:\n      - x\n  s: v\n"
				   "d: |\n      l1\n\n      l2\n");
	kup_buf_release(&b);
}

struct step_ctx {
	size_t step, seq_step;
};

static void run_step(void *p, const char *text, const struct kup_node *root)
{
	(void)text;
	struct step_ctx *c = p;
	c->step = kup_fix_step(root);
	c->seq_step = kup_fix_seq_step(root, c->step);
}

static void expect_steps(const char *text, size_t step, size_t seq_step)
{
	struct step_ctx c = { 0, 0 };
	assert_int_equal(parse(text, false, run_step, &c), 0);
	assert_int_equal(c.step, step);
	assert_int_equal(c.seq_step, seq_step);
}

static void test_steps(void **state)
{
	(void)state;
	expect_steps("a: 1\nm:\n    k: v\n    l:\n    - x\n", 4, 0);
	expect_steps("m:\n  k: v\n  l:\n    - x\n", 2, 2);
	expect_steps("m:\n   l: [x]\n", 3, 3);   /* no block sequence: as deep as maps */
	expect_steps("m: {k: v}\n", 2, 2);
	expect_steps("- a\n", 2, 2);
}

/* ---- the structural check --------------------------------------------------------------- */

struct sc_ctx {
	bool ok;
	struct kup_buf why;
};

static void run_sc(void *p, const char *text, const struct kup_node *root)
{
	(void)text;
	struct sc_ctx *c = p;
	kup_buf_init(&c->why);
	c->ok = kup_crd_schema_structural(root, "s", &c->why);
}

static void expect_structural(const char *schema, const char *why)
{
	struct sc_ctx c;
	memset(&c, 0, sizeof c);
	assert_int_equal(parse(schema, false, run_sc, &c), 0);
	if (!why) {
		if (!c.ok)
			fail_msg("not structural: %s", c.why.buf);
	} else {
		assert_false(c.ok);
		assert_string_equal(c.why.buf, why);
	}
	kup_buf_release(&c.why);
}

static void test_structural(void **state)
{
	(void)state;
	expect_structural("type: object\nproperties:\n  a: {type: string}\n"
			  "  b: {x-kubernetes-int-or-string: true}\n"
			  "  c: {x-kubernetes-preserve-unknown-fields: true}\n"
			  "  d: {type: array, items: {type: integer}}\n"
			  "  e: {type: object, additionalProperties: {type: string}}\n"
			  "  f: {type: object, additionalProperties: true}\n", NULL);
	expect_structural("properties: {a: {type: string}}\n", "no type at s");
	expect_structural("type: object\nproperties:\n  spec:\n    type: object\n    properties:\n"
			  "      replicas: {minimum: 1}\n", "no type at s.properties.spec.properties.replicas");
	expect_structural("type: object\nproperties:\n  l: {type: array, items: {format: x}}\n",
			  "no type at s.properties.l.items");
	expect_structural("type: object\nproperties:\n  m: {type: object, additionalProperties: {}}\n",
			  "no type at s.properties.m.additionalProperties");
	expect_structural("type: object\nproperties:\n  l: {type: array, items: [{type: string}]}\n",
			  "items is a list at s.properties.l");
	expect_structural("type: object\nproperties:\n  a: {type: ~}\n", "no type at s.properties.a");
	expect_structural("type: object\nproperties:\n  a: {x-kubernetes-int-or-string: false}\n",
			  "no type at s.properties.a");
	expect_structural("type: object\nproperties:\n  a: true\n",
			  "a schema that is not a map at s.properties.a");
}

/* ---- HPA ------------------------------------------------------------------------------ */

static void test_hpa_resource_and_pods(void **state)
{
	(void)state;
	check("apiVersion: autoscaling/v2beta1\n"
	      "kind: HorizontalPodAutoscaler\n"
	      "metadata:\n"
	      "  name: web\n"
	      "spec:\n"
	      "  maxReplicas: 10\n"
	      "  metrics:\n"
	      "  # cpu first\n"
	      "  - type: Resource\n"
	      "    resource:\n"
	      "      name: cpu\n"
	      "      targetAverageUtilization: 80 # percent\n"
	      "  - type: Pods\n"
	      "    pods:\n"
	      "      metricName: packets-per-second\n"
	      "      selector:\n"
	      "        matchLabels:\n"
	      "          app: web\n"
	      "      targetAverageValue: 1k\n",
	      false, kup_convert_hpa_v2beta1,
	      "apiVersion: autoscaling/v2beta1\n"
	      "kind: HorizontalPodAutoscaler\n"
	      "metadata:\n"
	      "  name: web\n"
	      "spec:\n"
	      "  maxReplicas: 10\n"
	      "  metrics:\n"
	      "  # cpu first\n"
	      "  - type: Resource\n"
	      "    resource:\n"
	      "      name: cpu\n"
	      "      target:\n"
	      "        type: Utilization\n"
	      "        averageUtilization: 80 # percent\n"
	      "  - type: Pods\n"
	      "    pods:\n"
	      "      metric:\n"
	      "        name: packets-per-second\n"
	      "        selector:\n"
	      "          matchLabels:\n"
	      "            app: web\n"
	      "      target:\n"
	      "        type: AverageValue\n"
	      "        averageValue: 1k\n");
}

static void test_hpa_object_external_container(void **state)
{
	(void)state;
	check("spec:\n"
	      "  metrics:\n"
	      "  - type: Object\n"
	      "    object:\n"
	      "      target:\n"
	      "        kind: Ingress\n"
	      "        name: main\n"
	      "      metricName: requests-per-second\n"
	      "      targetValue: \"10k\"\n"
	      "      averageValue: 2k\n"
	      "  - type: External\n"
	      "    external: {metricName: queue, metricSelector: {matchLabels: {q: jobs}}, "
	      "targetAverageValue: 30}\n"
	      "  - type: ContainerResource\n"
	      "    containerResource:\n"
	      "      name: memory\n"
	      "      container: app\n"
	      "      targetAverageValue: 500Mi\n"
	      "status:\n"
	      "  currentReplicas: 2\n",
	      false, kup_convert_hpa_v2beta1,
	      "spec:\n"
	      "  metrics:\n"
	      "  - type: Object\n"
	      "    object:\n"
	      "      describedObject:\n"
	      "        kind: Ingress\n"
	      "        name: main\n"
	      "      metric:\n"
	      "        name: requests-per-second\n"
	      "      target:\n"
	      "        type: AverageValue\n"
	      "        averageValue: 2k\n"
	      "        value: \"10k\"\n"
	      "  - type: External\n"
	      "    external: {metric: {name: queue, selector: {matchLabels: {q: jobs}}}, "
	      "target: {type: AverageValue, averageValue: 30}}\n"
	      "  - type: ContainerResource\n"
	      "    containerResource:\n"
	      "      name: memory\n"
	      "      container: app\n"
	      "      target:\n"
	      "        type: AverageValue\n"
	      "        averageValue: 500Mi\n");
}

static void test_hpa_external_value_crlf_4space(void **state)
{
	(void)state;
	check("spec:\r\n"
	      "    metrics:\r\n"
	      "    -   type: External\r\n"
	      "        external:\r\n"
	      "            metricName: q\r\n"
	      "            metricSelector:\r\n"
	      "                matchLabels: {a: b}\r\n"
	      "            targetValue: 5\r\n"
	      "            targetAverageValue: 1\r\n",
	      false, kup_convert_hpa_v2beta1,
	      "spec:\r\n"
	      "    metrics:\r\n"
	      "    -   type: External\r\n"
	      "        external:\r\n"
	      "            metric:\r\n"
	      "                name: q\r\n"
	      "                selector:\r\n"
	      "                    matchLabels: {a: b}\r\n"
	      "            target:\r\n"
	      "                type: Value\r\n"
	      "                value: 5\r\n"
	      "                averageValue: 1\r\n");
}

static void test_hpa_json(void **state)
{
	(void)state;
	check("{\n"
	      "  \"spec\": {\n"
	      "    \"metrics\": [\n"
	      "      {\n"
	      "        \"type\": \"Resource\",\n"
	      "        \"resource\": {\n"
	      "          \"name\": \"cpu\",\n"
	      "          \"targetAverageUtilization\": 50\n"
	      "        }\n"
	      "      }\n"
	      "    ]\n"
	      "  }\n"
	      "}\n",
	      true, kup_convert_hpa_v2beta1,
	      "{\n"
	      "  \"spec\": {\n"
	      "    \"metrics\": [\n"
	      "      {\n"
	      "        \"type\": \"Resource\",\n"
	      "        \"resource\": {\n"
	      "          \"name\": \"cpu\",\n"
	      "          \"target\": {\n"
	      "            \"type\": \"Utilization\",\n"
	      "            \"averageUtilization\": 50\n"
	      "          }\n"
	      "        }\n"
	      "      }\n"
	      "    ]\n"
	      "  }\n"
	      "}\n");
}

static void test_hpa_block_scalar_and_no_final_newline(void **state)
{
	(void)state;
	check("spec:\n"
	      "  metrics:\n"
	      "  - type: External\n"
	      "    external:\n"
	      "      metricName: |\n"
	      "        multi\n"
	      "      targetValue: 1\n"
	      "status: {}",
	      false, kup_convert_hpa_v2beta1,
	      "spec:\n"
	      "  metrics:\n"
	      "  - type: External\n"
	      "    external:\n"
	      "      metric:\n"
	      "        name: |\n"
	      "          multi\n"
	      "      target:\n"
	      "        type: Value\n"
	      "        value: 1");
}

static void test_hpa_unfixable(void **state)
{
	(void)state;
	check_unfixable("spec:\n  metrics:\n  - type: Pods\n    pods:\n      targetAverageValue: 1\n",
			false, kup_convert_hpa_v2beta1, "spec.metrics[0].pods has no metricName");
	check_unfixable("spec:\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n",
			false, kup_convert_hpa_v2beta1, "spec.metrics[0].resource has no target");
}

static void test_hpa_nothing_to_do(void **state)
{
	(void)state;
	const char *in = "spec:\n  maxReplicas: 3 # no metrics\n";
	check(in, false, kup_convert_hpa_v2beta1, in);
	/* already in the v2 shape */
	in = "spec:\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n"
	     "      target: {type: Utilization, averageUtilization: 60}\n";
	check(in, false, kup_convert_hpa_v2beta1, in);
}

/* ---- CRD ------------------------------------------------------------------------------ */

static void test_crd_version_only(void **state)
{
	(void)state;
	check("apiVersion: apiextensions.k8s.io/v1beta1\n"
	      "kind: CustomResourceDefinition\n"
	      "spec:\n"
	      "  group: stable.example.com\n"
	      "  version: v1\n"
	      "  names:\n"
	      "    kind: CronTab\n"
	      "  validation:\n"
	      "    openAPIV3Schema:\n"
	      "      type: object\n"
	      "      properties:\n"
	      "        cronSpec: # the schedule\n"
	      "          type: string\n"
	      "  subresources:\n"
	      "    status: {}\n"
	      "  additionalPrinterColumns:\n"
	      "  - name: Spec\n"
	      "    type: string\n"
	      "    JSONPath: .spec.cronSpec\n",
	      false, kup_convert_crd_v1beta1,
	      "apiVersion: apiextensions.k8s.io/v1beta1\n"
	      "kind: CustomResourceDefinition\n"
	      "spec:\n"
	      "  group: stable.example.com\n"
	      "  versions:\n"
	      "  - name: v1\n"
	      "    served: true\n"
	      "    storage: true\n"
	      "    schema:\n"
	      "      openAPIV3Schema:\n"
	      "        type: object\n"
	      "        properties:\n"
	      "          cronSpec: # the schedule\n"
	      "            type: string\n"
	      "        x-kubernetes-preserve-unknown-fields: true\n"
	      "    subresources:\n"
	      "      status: {}\n"
	      "    additionalPrinterColumns:\n"
	      "    - name: Spec\n"
	      "      type: string\n"
	      "      jsonPath: .spec.cronSpec\n"
	      "  names:\n"
	      "    kind: CronTab\n"
	      "  scope: Namespaced\n");
}

static void test_crd_versions_copied_into_each(void **state)
{
	(void)state;
	check("spec:\n"
	      "  scope: Cluster\n"
	      "  preserveUnknownFields: false\n"
	      "  version: v2\n"
	      "  versions:\n"
	      "  - name: v2\n"
	      "    served: true\n"
	      "    storage: true\n"
	      "  - {name: v1, served: true, storage: false}\n"
	      "  validation:\n"
	      "    openAPIV3Schema: {type: object, properties: {a: {type: string}}}\n"
	      "  conversion:\n"
	      "    strategy: Webhook\n"
	      "    webhookClientConfig:\n"
	      "      service: {name: conv, namespace: sys}\n"
	      "      caBundle: Zm9v\n",
	      false, kup_convert_crd_v1beta1,
	      "spec:\n"
	      "  scope: Cluster\n"
	      "  preserveUnknownFields: false\n"
	      "  versions:\n"
	      "  - name: v2\n"
	      "    served: true\n"
	      "    storage: true\n"
	      "    schema:\n"
	      "      openAPIV3Schema: {type: object, properties: {a: {type: string}}}\n"
	      "  - {name: v1, served: true, storage: false, schema: "
	      "{openAPIV3Schema: {type: object, properties: {a: {type: string}}}}}\n"
	      "  conversion:\n"
	      "    strategy: Webhook\n"
	      "    webhook:\n"
	      "      clientConfig:\n"
	      "        service: {name: conv, namespace: sys}\n"
	      "        caBundle: Zm9v\n"
	      "      conversionReviewVersions:\n"
	      "      - v1beta1\n");
}

static void test_crd_no_schema(void **state)
{
	(void)state;
	check("spec:\n"
	      "  version: v1alpha1\n"
	      "  scope: Namespaced\n"
	      "  preserveUnknownFields: true\n"
	      "  conversion:\n"
	      "    strategy: None\n"
	      "    conversionReviewVersions: [v1]\n",
	      false, kup_convert_crd_v1beta1,
	      "spec:\n"
	      "  versions:\n"
	      "    - name: v1alpha1\n"
	      "      served: true\n"
	      "      storage: true\n"
	      "      schema:\n"
	      "        openAPIV3Schema:\n"
	      "          type: object\n"
	      "          x-kubernetes-preserve-unknown-fields: true\n"
	      "  scope: Namespaced\n"
	      "  conversion:\n"
	      "    strategy: None\n");
}

static void test_crd_per_version_schema(void **state)
{
	(void)state;
	check("spec:\n"
	      "  scope: Namespaced\n"
	      "  versions:\n"
	      "  - name: v1\n"
	      "    schema:\n"
	      "      openAPIV3Schema:\n"
	      "        type: object\n"
	      "    additionalPrinterColumns:\n"
	      "    - {name: Age, type: date, \"JSONPath\": .metadata.creationTimestamp}\n",
	      false, kup_convert_crd_v1beta1,
	      "spec:\n"
	      "  scope: Namespaced\n"
	      "  versions:\n"
	      "  - name: v1\n"
	      "    schema:\n"
	      "      openAPIV3Schema:\n"
	      "        type: object\n"
	      "        x-kubernetes-preserve-unknown-fields: true\n"
	      "    additionalPrinterColumns:\n"
	      "    - {name: Age, type: date, \"jsonPath\": .metadata.creationTimestamp}\n");
}

/* The schema ends with a block scalar; the file has no final line end; 4-space steps. */
static void test_crd_block_scalar_end(void **state)
{
	(void)state;
	check("spec:\n"
	      "    version: v1\n"
	      "    validation:\n"
	      "        openAPIV3Schema:\n"
	      "            type: object\n"
	      "            description: |\n"
	      "                line one\n"
	      "                  indented\n"
	      "    additionalPrinterColumns: []",
	      false, kup_convert_crd_v1beta1,
	      "spec:\n"
	      "    versions:\n"
	      "        - name: v1\n"
	      "          served: true\n"
	      "          storage: true\n"
	      "          schema:\n"
	      "              openAPIV3Schema:\n"
	      "                  type: object\n"
	      "                  description: |\n"
	      "                      line one\n"
	      "                        indented\n"
	      "                  x-kubernetes-preserve-unknown-fields: true\n"
	      "          additionalPrinterColumns: []\n"
	      "    scope: Namespaced\n");
}

static void test_crd_json(void **state)
{
	(void)state;
	check("{\"spec\": {\"version\": \"v1\", \"scope\": \"Cluster\", "
	      "\"validation\": {\"openAPIV3Schema\": {\"type\": \"object\"}}}}",
	      true, kup_convert_crd_v1beta1,
	      "{\"spec\": {\"versions\": [{\"name\": \"v1\", \"served\": true, \"storage\": true, "
	      "\"schema\": {\"openAPIV3Schema\": {\"type\": \"object\", "
	      "\"x-kubernetes-preserve-unknown-fields\": true}}}], \"scope\": \"Cluster\"}}");
}

/*
 * preserveUnknownFields (default true) kept unknown fields at every level:
 * every object schema gets the marker, except metadata at the root, a map
 * with additionalProperties, int-or-string; a root without a type gets one.
 */
static void test_crd_preserve_every_level(void **state)
{
	(void)state;
	check("spec:\n"
	      "  scope: Cluster\n"
	      "  versions:\n"
	      "  - name: v1\n"
	      "    schema:\n"
	      "      openAPIV3Schema:\n"
	      "        properties:\n"
	      "          metadata:\n"
	      "            type: object\n"
	      "          spec:\n"
	      "            type: object\n"
	      "            properties:\n"
	      "              list:\n"
	      "                type: array\n"
	      "                items:\n"
	      "                  type: object\n"
	      "                  properties: {a: {type: object}}\n"
	      "              labels:\n"
	      "                type: object\n"
	      "                additionalProperties: {type: string}\n"
	      "              port:\n"
	      "                x-kubernetes-int-or-string: true\n"
	      "              free:\n"
	      "                type: object\n"
	      "                x-kubernetes-preserve-unknown-fields: true\n",
	      false, kup_convert_crd_v1beta1,
	      "spec:\n"
	      "  scope: Cluster\n"
	      "  versions:\n"
	      "  - name: v1\n"
	      "    schema:\n"
	      "      openAPIV3Schema:\n"
	      "        properties:\n"
	      "          metadata:\n"
	      "            type: object\n"
	      "          spec:\n"
	      "            type: object\n"
	      "            properties:\n"
	      "              list:\n"
	      "                type: array\n"
	      "                items:\n"
	      "                  type: object\n"
	      "                  properties: {a: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n"
	      "                  x-kubernetes-preserve-unknown-fields: true\n"
	      "              labels:\n"
	      "                type: object\n"
	      "                additionalProperties: {type: string}\n"
	      "              port:\n"
	      "                x-kubernetes-int-or-string: true\n"
	      "              free:\n"
	      "                type: object\n"
	      "                x-kubernetes-preserve-unknown-fields: true\n"
	      "            x-kubernetes-preserve-unknown-fields: true\n"
	      "        type: object\n"
	      "        x-kubernetes-preserve-unknown-fields: true\n");
	/* preserveUnknownFields: false pruned already: only the root type is added */
	check("spec:\n"
	      "  scope: Cluster\n"
	      "  preserveUnknownFields: false\n"
	      "  version: v1\n"
	      "  validation:\n"
	      "    openAPIV3Schema:\n"
	      "      properties:\n"
	      "        spec: {type: object, properties: {a: {type: string}}}\n",
	      false, kup_convert_crd_v1beta1,
	      "spec:\n"
	      "  scope: Cluster\n"
	      "  preserveUnknownFields: false\n"
	      "  versions:\n"
	      "    - name: v1\n"
	      "      served: true\n"
	      "      storage: true\n"
	      "      schema:\n"
	      "        openAPIV3Schema:\n"
	      "          properties:\n"
	      "            spec: {type: object, properties: {a: {type: string}}}\n"
	      "          type: object\n");
}

static void test_crd_unfixable(void **state)
{
	(void)state;
	check_unfixable("spec:\n  version: v1\n  validation:\n    openAPIV3Schema:\n"
			"      type: object\n      properties:\n        spec:\n"
			"          properties: {replicas: {type: integer}}\n",
			false, kup_convert_crd_v1beta1,
			"the schema is not structural: no type at "
			"spec.validation.openAPIV3Schema.properties.spec");
	check_unfixable("spec:\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n"
			"        type: null\n        properties: {a: {type: string}}\n",
			false, kup_convert_crd_v1beta1,
			"no type at spec.versions[0].schema.openAPIV3Schema");
	check_unfixable("spec:\n  group: g\n", false, kup_convert_crd_v1beta1,
			"spec has neither version nor versions");
	check_unfixable("spec:\n  version: v2\n  versions:\n  - name: v1\n", false,
			kup_convert_crd_v1beta1, "spec.version 'v2' is not the first of spec.versions");
	check_unfixable("spec:\n  version: v1\n  conversion:\n    strategy: Webhook\n", false,
			kup_convert_crd_v1beta1, "webhookClientConfig is missing");
	check_unfixable("spec:\n  validation:\n    openAPIV3Schema: {type: object}\n  versions:\n"
			"  - name: v1\n    schema:\n      openAPIV3Schema: {type: object}\n", false,
			kup_convert_crd_v1beta1, "are both set");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fragment_block_map),
		cmocka_unit_test(test_fragment_scalars),
		cmocka_unit_test(test_put_pair),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_structural),
		cmocka_unit_test(test_hpa_resource_and_pods),
		cmocka_unit_test(test_hpa_object_external_container),
		cmocka_unit_test(test_hpa_external_value_crlf_4space),
		cmocka_unit_test(test_hpa_json),
		cmocka_unit_test(test_hpa_block_scalar_and_no_final_newline),
		cmocka_unit_test(test_hpa_unfixable),
		cmocka_unit_test(test_hpa_nothing_to_do),
		cmocka_unit_test(test_crd_version_only),
		cmocka_unit_test(test_crd_versions_copied_into_each),
		cmocka_unit_test(test_crd_no_schema),
		cmocka_unit_test(test_crd_per_version_schema),
		cmocka_unit_test(test_crd_block_scalar_end),
		cmocka_unit_test(test_crd_json),
		cmocka_unit_test(test_crd_preserve_every_level),
		cmocka_unit_test(test_crd_unfixable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
