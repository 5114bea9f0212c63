/*
 * test_preflight.c - the pre-flight checks (preflight.h) on hand-written
 * objects: each check fires on the broken case and stays quiet on the
 * healthy twin; label selectors; image registries; a dump file
 * (tests/data/preflight/cluster.json) read through the object stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/ingest.h"
#include "kupgrade/json.h"
#include "kupgrade/kb.h"
#include "kupgrade/kbplan.h"
#include "kupgrade/plan.h"
#include "kupgrade/preflight.h"
#include "kupgrade/report.h"
#include "kupgrade/selector.h"

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

static int skew_policy(void *ctx, const char *component, const struct kup_version *v)
{
	(void)ctx;
	(void)component;
	/* the test's own policy: 2 minors before 1.28, 3 from 1.28 */
	return v->minor >= 28 ? 3 : 2;
}

struct opts {
	const char *target;
	const char *server;
	const char *const *allowed;
	size_t nallowed;
};

static struct kup_preflight *run_pf(const char *text, const struct opts *o)
{
	struct kup_preflight_opts po;
	struct kup_ingest_opts io;
	struct kup_ingest *in;
	struct kup_preflight *pf;

	kup_preflight_opts_init(&po);
	if (o && o->target)
		assert_int_equal(kup_version_parse(o->target, &po.target, NULL), KUP_OK);
	if (o && o->server)
		assert_int_equal(kup_version_parse(o->server, &po.server, NULL), KUP_OK);
	if (o) {
		po.allowed_registries = o->allowed;
		po.nallowed = o->nallowed;
	}
	po.skew_older = skew_policy;
	assert_int_equal(kup_preflight_new(kb, &po, &pf), KUP_OK);
	kup_ingest_opts_init(&io);
	io.on_object = kup_preflight_object;
	io.ctx = pf;
	assert_int_equal(kup_ingest_new(&io, &in), KUP_OK);
	if (text[0] == '/')
		assert_int_equal(kup_ingest_path(in, text), KUP_OK);
	else
		assert_int_equal(kup_ingest_mem(in, "t.yaml", text, strlen(text)), KUP_OK);
	assert_int_equal(kup_ingest_finish(in), KUP_OK);
	kup_ingest_free(in);
	assert_int_equal(kup_preflight_finish(pf), KUP_OK);
	return pf;
}

/* The pass's findings as the items of an otherwise empty report, rendered. */
static void render_pf(const struct kup_preflight *pf, enum kup_format fmt, struct kup_buf *out)
{
	struct kup_report_item *items = calloc(kup_preflight_count(pf) + 1, sizeof(*items));
	struct kup_report r;

	assert_non_null(items);
	for (size_t i = 0; i < kup_preflight_count(pf); i++)
		kup_report_item_from_preflight(&items[i], kup_preflight_at(pf, i));
	memset(&r, 0, sizeof(r));
	r.items = items;
	r.nitems = kup_preflight_count(pf);
	r.passes = 1u << KUP_ITEM_PREFLIGHT;
	assert_int_equal(kup_report_render(fmt, &r, out), KUP_OK);
	free(items);
}

/* The number of findings of `check` (NULL: all). */
static size_t count(const struct kup_preflight *pf, const char *check)
{
	size_t i, n = 0;

	for (i = 0; i < kup_preflight_count(pf); i++)
		if (!check || strcmp(kup_preflight_at(pf, i)->check, check) == 0)
			n++;
	return n;
}

static const struct kup_preflight_finding *find(const struct kup_preflight *pf, const char *check,
						 const char *name)
{
	size_t i;

	for (i = 0; i < kup_preflight_count(pf); i++) {
		const struct kup_preflight_finding *f = kup_preflight_at(pf, i);
		if (strcmp(f->check, check) == 0 && (!name || (f->name && strcmp(f->name, name) == 0)))
			return f;
	}
	return NULL;
}

/* ---- webhooks ---- */

static const char *webhooks =
	"apiVersion: admissionregistration.k8s.io/v1\n"
	"kind: ValidatingWebhookConfiguration\n"
	"metadata: {name: gatekeeper}\n"
	"webhooks:\n"
	"- name: check.gatekeeper.sh\n"
	"  failurePolicy: Fail\n"
	"  clientConfig: {service: {namespace: gk, name: gk-svc}}\n"
	"  namespaceSelector:\n"
	"    matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}]\n"
	"- name: ignore.example.com\n"
	"  failurePolicy: Ignore\n"
	"  clientConfig: {service: {namespace: gk, name: down}}\n"
	"---\n"
	"apiVersion: admissionregistration.k8s.io/v1beta1\n"
	"kind: MutatingWebhookConfiguration\n"
	"metadata: {name: legacy}\n"
	"webhooks:\n"
	"- name: defaults-to-ignore.example.com\n"
	"  clientConfig: {service: {namespace: gk, name: down}}\n"
	"---\n"
	"apiVersion: admissionregistration.k8s.io/v1\n"
	"kind: MutatingWebhookConfiguration\n"
	"metadata: {name: istio}\n"
	"webhooks:\n"
	"- name: sidecar.istio.io\n"
	"  clientConfig: {service: {namespace: istio-system, name: istiod}}\n";

static void test_webhook_no_endpoints(void **state)
{
	struct kup_preflight *pf;
	const struct kup_preflight_finding *f;
	struct kup_buf text = KUP_BUF_INIT;
	(void)state;

	/* no Endpoints anywhere in the input: a manifest scan, nothing decided */
	pf = run_pf(webhooks, NULL);
	assert_int_equal(count(pf, "webhook-unavailable"), 0);
	/* istio: v1 defaults to Fail, no namespaceSelector -> intercepts kube-system */
	f = find(pf, "webhook-kube-system", "istio");
	assert_non_null(f);
	assert_int_equal(f->severity, KUP_FAIL_DEPRECATED);
	assert_non_null(strstr(f->message, "sidecar.istio.io"));
	/* gatekeeper excludes kube-system by its metadata.name label */
	assert_null(find(pf, "webhook-kube-system", "gatekeeper"));
	kup_preflight_free(pf);

	/* with Endpoints: gk-svc has none ready, istiod has one */
	{
		struct kup_buf b = KUP_BUF_INIT;
		kup_buf_adds(&b, webhooks);
		kup_buf_adds(&b, "---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: gk-svc, namespace: gk}\n"
				 "subsets: [{notReadyAddresses: [{ip: 10.0.0.5}]}]\n"
				 "---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: istiod, namespace: istio-system}\n"
				 "subsets: [{addresses: [{ip: 10.0.0.6}]}]\n");
		pf = run_pf(b.buf, NULL);
		kup_buf_release(&b);
	}
	assert_int_equal(count(pf, "webhook-unavailable"), 1);
	f = find(pf, "webhook-unavailable", "gatekeeper");
	assert_non_null(f);
	assert_int_equal(f->severity, KUP_FAIL_REMOVED);
	assert_string_equal(f->kind, "ValidatingWebhookConfiguration");
	assert_non_null(strstr(f->message, "gk/gk-svc"));
	assert_int_equal(kup_preflight_worst(pf), KUP_FAIL_REMOVED);
	render_pf(pf, KUP_FMT_TABLE, &text);
	assert_non_null(strstr(text.buf, "blocking  webhook-unavailable"));
	kup_buf_release(&text);
	kup_preflight_free(pf);

	/* the same via an EndpointSlice that is ready */
	{
		struct kup_buf b = KUP_BUF_INIT;
		kup_buf_adds(&b, webhooks);
		kup_buf_adds(&b, "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
				 "metadata: {name: gk-svc-abc, namespace: gk, labels: {kubernetes.io/service-name: gk-svc}}\n"
				 "endpoints: [{addresses: [10.0.0.5], conditions: {ready: true}}]\n");
		pf = run_pf(b.buf, NULL);
		kup_buf_release(&b);
	}
	assert_int_equal(count(pf, "webhook-unavailable"), 1);   /* istiod has none now */
	assert_non_null(find(pf, "webhook-unavailable", "istio"));
	kup_preflight_free(pf);
}

static void test_webhook_kube_system_labels(void **state)
{
	struct kup_preflight *pf;
	(void)state;

	/* a 1.20 kube-system has no metadata.name label: NotIn on it does not exclude */
	pf = run_pf("apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n---\n"
		    "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\n"
		    "metadata: {name: a}\nwebhooks:\n- name: a.x\n  clientConfig: {url: 'https://x'}\n"
		    "  namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, "
		    "operator: NotIn, values: [kube-system]}]}\n"
		    "---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\n"
		    "metadata: {name: b}\nwebhooks:\n- name: b.x\n  clientConfig: {url: 'https://x'}\n"
		    "  namespaceSelector: {matchLabels: {webhooks: enabled}}\n",
		    NULL);
	assert_non_null(find(pf, "webhook-kube-system", "a"));
	assert_null(find(pf, "webhook-kube-system", "b"));
	/* url webhooks are never checked against Endpoints */
	assert_int_equal(count(pf, "webhook-unavailable"), 0);
	kup_preflight_free(pf);
}

/* ---- PDBs ---- */

static const char *pdbs =
	"apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: shop}\n"
	"spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}\n"
	"status: {disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 2}\n"
	"---\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: db, namespace: shop}\n"
	"spec: {maxUnavailable: 1, selector: {matchExpressions: [{key: app, operator: In, values: [db]}]}}\n"
	"status: {disruptionsAllowed: 1}\n"
	"---\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: manifest, namespace: shop}\n"
	"spec: {maxUnavailable: 0, selector: {matchLabels: {app: web}}}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: shop, labels: {app: web}}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-2, namespace: shop, labels: {app: web, tier: x}}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-3, namespace: other, labels: {app: web}}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata: {name: db-1, namespace: shop, labels: {app: db}}\n";

static void test_pdb_blocking(void **state)
{
	struct kup_preflight *pf;
	const struct kup_preflight_finding *f;
	(void)state;

	pf = run_pf(pdbs, NULL);
	assert_int_equal(count(pf, "pdb-blocking"), 1);   /* db allows 1; manifest has no status */
	f = find(pf, "pdb-blocking", "web");
	assert_non_null(f);
	assert_string_equal(f->namespace_, "shop");
	assert_int_equal(f->severity, KUP_FAIL_REMOVED);
	assert_non_null(f->detail);
	assert_string_equal(f->detail, "pods: shop/web-1, shop/web-2");
	assert_non_null(strstr(f->message, "allows 0 disruptions now: a drain waits on every pod it covers"));
	kup_preflight_free(pf);
}

static void test_selectors(void **state)
{
	struct kup_arena a;
	struct kup_arena na;
	struct kup_node *sel, *lab;
	struct kup_selector s;
	struct kup_label *l;
	size_t n;
	(void)state;

	kup_arena_init(&a, 4096);
	kup_arena_init(&na, 4096);
	/* parse a selector and labels from JSON */
#define PARSE(txt, out) assert_int_equal(kup_json_parse(txt, strlen(txt), NULL, &na, &out, NULL), KUP_OK)
	{
		PARSE("{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":["
		      "{\"key\":\"tier\",\"operator\":\"NotIn\",\"values\":[\"db\",\"cache\"]},"
		      "{\"key\":\"canary\",\"operator\":\"DoesNotExist\"},"
		      "{\"key\":\"zone\",\"operator\":\"Exists\"}]}", sel);
		assert_true(kup_selector_parse(&a, sel, &s));
		PARSE("{\"app\":\"web\",\"tier\":\"front\",\"zone\":\"a\"}", lab);
		assert_true(kup_labels_copy(&a, lab, &l, &n));
		assert_true(kup_selector_matches(&s, l, n));
		PARSE("{\"app\":\"web\",\"tier\":\"db\",\"zone\":\"a\"}", lab);
		assert_true(kup_labels_copy(&a, lab, &l, &n));
		assert_false(kup_selector_matches(&s, l, n));
		PARSE("{\"app\":\"web\",\"zone\":\"a\",\"canary\":\"1\"}", lab);
		assert_true(kup_labels_copy(&a, lab, &l, &n));
		assert_false(kup_selector_matches(&s, l, n));
		PARSE("{\"app\":\"web\"}", lab);
		assert_true(kup_labels_copy(&a, lab, &l, &n));
		assert_false(kup_selector_matches(&s, l, n));   /* zone must exist */
		/* empty selector: everything; unknown operator: nothing */
		PARSE("{}", sel);
		assert_true(kup_selector_parse(&a, sel, &s));
		assert_true(kup_selector_matches(&s, l, n));
		PARSE("{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Gt\",\"values\":[\"1\"]}]}", sel);
		assert_true(kup_selector_parse(&a, sel, &s));
		assert_false(kup_selector_matches(&s, l, n));
	}
#undef PARSE
	kup_arena_release(&na);
	kup_arena_release(&a);
}

/* ---- CRDs ---- */

static void test_crd_stored_versions(void **state)
{
	struct kup_preflight *pf;
	const struct kup_preflight_finding *f;
	struct opts o = { "1.25", NULL, NULL, 0 };
	(void)state;

	pf = run_pf("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
		    "metadata: {name: widgets.example.com}\n"
		    "spec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n"
		    "  versions:\n  - {name: v1, served: true, storage: true}\n"
		    "  - {name: v1beta1, served: false, storage: false}\n"
		    "status: {storedVersions: [v1alpha1, v1beta1, v1]}\n"
		    "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
		    "metadata: {name: fine.example.com}\n"
		    "spec:\n  group: example.com\n  names: {kind: Fine, plural: fines}\n"
		    "  versions:\n  - {name: v1, served: true, storage: true}\n"
		    "status: {storedVersions: [v1]}\n",
		    &o);
	assert_int_equal(count(pf, "crd-stored-version"), 2);
	f = find(pf, "crd-stored-version", "widgets.example.com");
	assert_non_null(f);
	assert_int_equal(f->severity, KUP_FAIL_REMOVED);
	assert_null(find(pf, "crd-stored-version", "fine.example.com"));
	{
		size_t i;
		bool alpha = false, beta = false;
		for (i = 0; i < kup_preflight_count(pf); i++) {
			const char *m = kup_preflight_at(pf, i)->message;
			if (strstr(m, "lists v1alpha1, which the CRD does not list"))
				alpha = true;
			if (strstr(m, "lists v1beta1, which the CRD no longer serves"))
				beta = true;
		}
		assert_true(alpha);
		assert_true(beta);
	}
	kup_preflight_free(pf);
}

static void test_crd_builtin_removed(void **state)
{
	/* a CRD in a built-in group whose stored version the KB says is removed */
	static const char *crd =
		"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
		"metadata: {name: flowschemas.flowcontrol.apiserver.k8s.io}\n"
		"spec:\n  group: flowcontrol.apiserver.k8s.io\n  names: {kind: FlowSchema, plural: flowschemas}\n"
		"  versions:\n  - {name: v1beta1, served: true, storage: true}\n"
		"status: {storedVersions: [v1beta1]}\n";
	struct opts before = { "1.25", NULL, NULL, 0 };
	struct opts after = { "1.26", NULL, NULL, 0 };
	struct kup_preflight *pf;
	(void)state;

	pf = run_pf(crd, &before);
	assert_int_equal(count(pf, "crd-stored-version"), 0);
	kup_preflight_free(pf);
	pf = run_pf(crd, &after);
	assert_int_equal(count(pf, "crd-stored-version"), 1);
	assert_non_null(strstr(kup_preflight_at(pf, 0)->message, "removed in 1.26"));
	kup_preflight_free(pf);
}

/* ---- images ---- */

static void test_image_registry(void **state)
{
	static const char *const allowed[] = { "registry.internal", "public.ecr.aws/eks" };
	struct opts o = { NULL, NULL, allowed, 2 };
	struct kup_preflight *pf;
	const struct kup_preflight_finding *f;
	(void)state;

	assert_false(kup_image_allowed("nginx:1.19", allowed, 2));
	assert_true(kup_image_allowed("registry.internal/team/app:1", allowed, 2));
	assert_false(kup_image_allowed("registry.internal.evil.com/app:1", allowed, 2));
	assert_true(kup_image_allowed("public.ecr.aws/eks/coredns:v1.8", allowed, 2));
	assert_false(kup_image_allowed("public.ecr.aws/other/x:1", allowed, 2));
	{
		static const char *const hub[] = { "docker.io" };
		assert_true(kup_image_allowed("nginx", hub, 1));
		assert_true(kup_image_allowed("bitnami/redis:7", hub, 1));
		assert_true(kup_image_allowed("docker.io/library/nginx", hub, 1));
		assert_false(kup_image_allowed("quay.io/x/y", hub, 1));
	}
	{
		char buf[64];
		assert_string_equal(kup_image_registry("nginx", buf, sizeof(buf)), "docker.io");
		assert_string_equal(kup_image_registry("bitnami/redis", buf, sizeof(buf)), "docker.io");
		assert_string_equal(kup_image_registry("localhost/x", buf, sizeof(buf)), "localhost");
		assert_string_equal(kup_image_registry("reg:5000/x", buf, sizeof(buf)), "reg:5000");
		assert_string_equal(kup_image_registry("gcr.io/a/b@sha256:00", buf, sizeof(buf)), "gcr.io");
	}

	pf = run_pf("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
		    "spec:\n  template:\n    spec:\n      initContainers: [{name: i, image: 'busybox:1.36'}]\n"
		    "      containers: [{name: a, image: 'nginx:1.19'}, {name: b, image: 'registry.internal/app:2'}]\n"
		    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: shop}\n"
		    "spec: {containers: [{name: a, image: 'nginx:1.19'}]}\n"
		    "---\napiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: nightly, namespace: ops}\n"
		    "spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: 'quay.io/x/y:1'}]}}}}}\n",
		    &o);
	assert_int_equal(count(pf, "image-registry"), 3);
	f = find(pf, "image-registry", "web");
	assert_non_null(f);
	assert_int_equal(f->severity, KUP_FAIL_DEPRECATED);
	f = NULL;
	{
		size_t i;
		for (i = 0; i < kup_preflight_count(pf); i++)
			if (strstr(kup_preflight_at(pf, i)->message, "image nginx:1.19 "))
				f = kup_preflight_at(pf, i);
	}
	assert_non_null(f);
	assert_string_equal(f->kind, "Deployment");
	assert_string_equal(f->detail, "used by 2 objects");
	assert_non_null(strstr(f->message, "Docker Hub"));
	assert_non_null(find(pf, "image-registry", "nightly"));
	kup_preflight_free(pf);

	/* without allowed registries the check is off */
	pf = run_pf("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{image: nginx}]}\n",
		    NULL);
	assert_int_equal(count(pf, NULL), 0);
	kup_preflight_free(pf);
}

/* ---- nodes ---- */

static const char *nodes =
	"apiVersion: v1\nkind: Node\nmetadata: {name: ok}\n"
	"status: {nodeInfo: {kubeletVersion: v1.20.2, kubeProxyVersion: v1.20.2}}\n"
	"---\napiVersion: v1\nkind: Node\nmetadata: {name: old}\n"
	"status: {nodeInfo: {kubeletVersion: v1.17.9, kubeProxyVersion: v1.18.1}}\n"
	"---\napiVersion: v1\nkind: Node\nmetadata: {name: new}\n"
	"status: {nodeInfo: {kubeletVersion: v1.21.0, kubeProxyVersion: v1.20.2}}\n"
	"---\napiVersion: v1\nkind: Node\nmetadata: {name: eks}\n"
	"status: {nodeInfo: {kubeletVersion: v1.19.6-eks-49a6c0, kubeProxyVersion: v1.19.6-eks-49a6c0}}\n";

static void test_node_skew(void **state)
{
	struct opts o = { "1.22", "1.20.2", NULL, 0 };
	struct kup_preflight *pf;
	size_t i, blocking = 0, warnings = 0;
	bool old_kubelet = false, new_kubelet = false, eks_target = false, old_proxy_target = false;
	(void)state;

	pf = run_pf(nodes, &o);
	for (i = 0; i < kup_preflight_count(pf); i++) {
		const struct kup_preflight_finding *f = kup_preflight_at(pf, i);
		assert_string_equal(f->check, "node-skew");
		if (f->severity == KUP_FAIL_REMOVED)
			blocking++;
		else
			warnings++;
		if (strcmp(f->name, "old") == 0 && strstr(f->message, "kubelet v1.17.9 is 3 minors older than kube-apiserver 1.20 (the policy allows 2)"))
			old_kubelet = true;
		if (strcmp(f->name, "old") == 0 && strstr(f->message, "kube-proxy v1.18.1 would be 4 minors older than a 1.22"))
			old_proxy_target = true;
		if (strcmp(f->name, "new") == 0 && strstr(f->message, "kubelet v1.21.0 is newer than kube-apiserver 1.20"))
			new_kubelet = true;
		if (strcmp(f->name, "eks") == 0 && strstr(f->message, "would be 3 minors older than a 1.22"))
			eks_target = true;
		assert_string_not_equal(f->name, "ok");
	}
	assert_true(old_kubelet);
	assert_true(new_kubelet);
	assert_true(eks_target);
	assert_true(old_proxy_target);
	assert_int_equal(blocking, 2);
	assert_int_equal(warnings, 3);   /* old proxy, eks kubelet + proxy vs 1.22 */
	kup_preflight_free(pf);

	/* no server version, no target: nothing to compare with */
	pf = run_pf(nodes, NULL);
	assert_int_equal(count(pf, NULL), 0);
	kup_preflight_free(pf);
}

/* ---- APIService ---- */

static void test_apiservice(void **state)
{
	struct kup_preflight *pf;
	const struct kup_preflight_finding *f;
	(void)state;

	pf = run_pf("apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1beta1.metrics.k8s.io}\n"
		    "status: {conditions: [{type: Available, status: 'False', reason: MissingEndpoints,"
		    " message: endpoints for service/metrics-server in kube-system have no addresses}]}\n"
		    "---\napiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1.apps}\n"
		    "status: {conditions: [{type: Available, status: 'True', reason: Local}]}\n",
		    NULL);
	assert_int_equal(count(pf, NULL), 1);
	f = find(pf, "apiservice-unavailable", "v1beta1.metrics.k8s.io");
	assert_non_null(f);
	assert_non_null(strstr(f->message, "MissingEndpoints"));
	assert_non_null(strstr(f->detail, "metrics-server"));
	kup_preflight_free(pf);
}

/* ---- intent is not state ---- */

static void test_ignores_intent(void **state)
{
	struct kup_preflight *pf;
	(void)state;

	/* the PDB's last-applied copy has no status; the live one allows 1 */
	pf = run_pf("apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: x\n  namespace: n\n"
		    "  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"apiVersion\":"
		    "\"policy/v1beta1\",\"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\"x\",\"namespace\":\"n\"},"
		    "\"status\":{\"disruptionsAllowed\":0}}'\n"
		    "spec: {maxUnavailable: 1}\nstatus: {disruptionsAllowed: 1}\n",
		    NULL);
	assert_int_equal(count(pf, NULL), 0);
	kup_preflight_free(pf);
}

/* ---- a dump file ---- */

static void test_dump_file(void **state)
{
	static const char *const allowed[] = { "registry.internal" };
	struct opts o = { "1.22", "1.20.2", allowed, 1 };
	struct kup_preflight *pf;
	struct kup_buf json = KUP_BUF_INIT;
	(void)state;

	pf = run_pf(KUP_TEST_DATA "/preflight/cluster.json", &o);
	assert_non_null(find(pf, "webhook-unavailable", "policy-hooks"));
	assert_non_null(find(pf, "webhook-kube-system", "policy-hooks"));
	assert_non_null(find(pf, "pdb-blocking", "web"));
	assert_null(find(pf, "pdb-blocking", "api"));
	assert_non_null(find(pf, "crd-stored-version", "gadgets.example.com"));
	assert_non_null(find(pf, "image-registry", "web"));
	assert_non_null(find(pf, "node-skew", "node-old"));
	assert_null(find(pf, "node-skew", "node-new"));
	assert_non_null(find(pf, "apiservice-unavailable", "v1beta1.metrics.k8s.io"));
	assert_int_equal(count(pf, NULL), 8);
	/* blocking first */
	assert_int_equal(kup_preflight_at(pf, 0)->severity, KUP_FAIL_REMOVED);
	/* every finding knows where its object was read */
	for (size_t i = 0; i < kup_preflight_count(pf); i++) {
		assert_non_null(kup_preflight_at(pf, i)->src.path);
		assert_true(kup_preflight_at(pf, i)->src.line > 0);
	}
	render_pf(pf, KUP_FMT_JSON, &json);
	assert_non_null(strstr(json.buf, "\"check\": \"pdb-blocking\",\n      \"severity\": \"blocking\",\n"
					 "      \"kind\": \"PodDisruptionBudget\",\n"
					 "      \"api_version\": \"policy/v1beta1\",\n"
					 "      \"name\": \"web\",\n      \"namespace\": \"shop\""));
	assert_non_null(strstr(json.buf, "\"detail\": \"pods: shop/web-1\""));
	kup_buf_release(&json);
	kup_preflight_free(pf);
}

/*
 * data/preflight.yaml names only checks the pass makes (a typo would keep a
 * check out of every plan), and keeps the two that the planner decides
 * otherwise (node-skew, webhook-kube-system) out.
 */
static void test_plan_rules(void **state)
{
	static const char *const allowed[] = { "registry.internal" };
	struct opts o = { "1.22", NULL, allowed, 1 };
	struct kup_preflight *pf;
	const struct kup_preflight_rule *r;
	size_t i;

	(void)state;
	pf = run_pf(KUP_TEST_DATA "/preflight/cluster.json", &o);
	assert_true(kup_kb_preflight_count(kb) >= 5);
	for (i = 0; i < kup_kb_preflight_count(kb); i++) {
		r = kup_kb_preflight_at(kb, i);
		if (count(pf, r->check) == 0)
			fail_msg("data/preflight.yaml: '%s' is not a check the pass makes", r->check);
		assert_non_null(r->mitigation);
		assert_true(strncmp(r->source, "https://", 8) == 0);
	}
	assert_null(kup_kb_preflight_rule(kb, "node-skew"));
	assert_null(kup_kb_preflight_rule(kb, "webhook-kube-system"));
	assert_true(kup_kb_preflight_rule(kb, "webhook-unavailable")->blocks);
	assert_true(kup_kb_preflight_rule(kb, "crd-stored-version")->blocks);
	assert_false(kup_kb_preflight_rule(kb, "pdb-blocking")->blocks);
	assert_int_equal(kup_kb_preflight_rule(kb, "image-registry")->severity, KUP_SEV_MEDIUM);
	kup_preflight_free(pf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_no_endpoints),
		cmocka_unit_test(test_plan_rules),
		cmocka_unit_test(test_webhook_kube_system_labels),
		cmocka_unit_test(test_pdb_blocking),
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_crd_stored_versions),
		cmocka_unit_test(test_crd_builtin_removed),
		cmocka_unit_test(test_image_registry),
		cmocka_unit_test(test_node_skew),
		cmocka_unit_test(test_apiservice),
		cmocka_unit_test(test_ignores_intent),
		cmocka_unit_test(test_dump_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
