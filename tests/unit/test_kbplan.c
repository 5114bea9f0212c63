/*
 * test_kbplan.c - the planning half of the knowledge base: loading
 * skew.yaml, providers.yaml, addons.yaml and risks.yaml (with every
 * malformed field reported at file:line:column) and the queries of kbplan.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kupgrade/kbplan.h"
#include "kupgrade/plan.h"

/* ---- helpers ----------------------------------------------------------------- */

static struct kup_kb *embedded(void)
{
	struct kup_kb *kb = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	if (kup_kb_load_embedded(&kb, &err) != KUP_OK)
		fail_msg("embedded kb: %s", err.msg ? err.msg : "?");
	kup_error_release(&err);
	return kb;
}

static struct kup_version V(const char *s)
{
	struct kup_version v;

	if (kup_version_parse(s, &v, NULL) != KUP_OK)
		fail_msg("bad version %s", s);
	return v;
}

struct problems {
	char text[16384];
	size_t n;
};

static void collect(void *ctx, const struct kup_error *err)
{
	struct problems *p = ctx;
	size_t len = strlen(p->text);

	snprintf(p->text + len, sizeof(p->text) - len, "%s:%u:%u: %s\n",
		 strrchr(err->path, '/') ? strrchr(err->path, '/') + 1 : err->path,
		 err->line, err->column, err->msg);
	p->n++;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void remove_file(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

/* Loads a directory holding one file; returns the problems as text. */
static enum kup_status load_one(const char *name, const char *text, struct problems *p,
				struct kup_kb **out)
{
	char dir[] = "/tmp/kup-kbplan-XXXXXX";
	struct kup_error_sink sink = { collect, p };
	size_t n = 0;
	enum kup_status st;

	memset(p, 0, sizeof(*p));
	assert_non_null(mkdtemp(dir));
	write_file(dir, name, text);
	*out = NULL;
	st = kup_kb_load_dir(dir, out, &sink, &n);
	assert_int_equal(n, p->n);
	remove_file(dir, name);
	rmdir(dir);
	return st;
}

static void expect_problems(const char *name, const char *text, const char *want)
{
	struct problems p;
	struct kup_kb *kb;

	assert_int_equal(load_one(name, text, &p, &kb), KUP_KB);
	assert_null(kb);
	assert_string_equal(p.text, want);
}

/* ---- the shipped facts ------------------------------------------------------------ */

static void skew_policy(void **state)
{
	struct kup_kb *kb = embedded();
	struct kup_version v;

	(void)state;
	assert_int_equal(kup_kb_cp_max_hop(kb), 1);
	assert_non_null(kup_kb_skew_source(kb));
	assert_true(strncmp(kup_kb_skew_source(kb), "https://", 8) == 0);
	/* kubelet: 3 older when the oldest allowed kubelet is >= 1.25, else 2. */
	v = V("1.26");
	assert_int_equal(kup_kb_skew_older(kb, "kubelet", &v), 2);
	v = V("1.27.8");
	assert_int_equal(kup_kb_skew_older(kb, "kubelet", &v), 2);   /* 1.24 kubelets: only 2 */
	v = V("1.28");
	assert_int_equal(kup_kb_skew_older(kb, "kubelet", &v), 3);   /* 1.25 kubelets: 3 */
	v = V("v1.31.2-eks-1a2b");
	assert_int_equal(kup_kb_skew_older(kb, "kubelet", &v), 3);
	v = V("1.22");
	assert_int_equal(kup_kb_skew_older(kb, "kubelet", &v), 2);
	assert_int_equal(kup_kb_skew_newer(kb, "kubelet", &v), 0);
	assert_int_equal(kup_kb_skew_older(kb, "kube-proxy", &v), 2);
	v = V("1.30");
	assert_int_equal(kup_kb_skew_older(kb, "kube-proxy", &v), 3);
	assert_int_equal(kup_kb_skew_newer(kb, "kube-proxy", &v), 0);
	assert_int_equal(kup_kb_skew_older(kb, "kube-controller-manager", &v), 1);
	assert_int_equal(kup_kb_skew_newer(kb, "kube-controller-manager", &v), 0);
	assert_int_equal(kup_kb_skew_older(kb, "kube-scheduler", &v), 1);
	assert_int_equal(kup_kb_skew_older(kb, "cloud-controller-manager", &v), 1);
	assert_int_equal(kup_kb_skew_older(kb, "kubectl", &v), 1);
	assert_int_equal(kup_kb_skew_newer(kb, "kubectl", &v), 1);
	assert_int_equal(kup_kb_skew_older(kb, "etcd", &v), -1);
	assert_int_equal(kup_kb_skew_newer(kb, "etcd", &v), -1);
	assert_int_equal(kup_kb_skew_older(kb, NULL, &v), -1);
	kup_kb_free(kb);
}

static void provider_windows(void **state)
{
	struct kup_kb *kb = embedded();
	const struct kup_provider_release *r, *prev = NULL;
	struct kup_version v;
	size_t i;

	(void)state;
	assert_true(kup_kb_provider_release_count(kb) >= 34);
	v = V("1.29");
	r = kup_kb_find_provider_release(kb, "eks", &v);
	assert_non_null(r);
	assert_string_equal(r->end_of_standard, "2025-03-23");
	assert_string_equal(r->end_of_extended, "2026-03-23");
	v = V("1.29.4");
	assert_ptr_equal(kup_kb_find_provider_release(kb, "EKS", &v), r);
	v = V("1.21");
	r = kup_kb_find_provider_release(kb, "eks", &v);
	assert_non_null(r);
	assert_null(r->end_of_extended);               /* no extended support before 1.23 */
	r = kup_kb_find_provider_release(kb, "gke", &v);
	assert_non_null(r);
	assert_string_equal(r->end_of_standard, "2023-01-31");
	assert_null(kup_kb_find_provider_release(kb, "aks", &v));
	v = V("1.99");
	assert_null(kup_kb_find_provider_release(kb, "eks", &v));
	for (i = 0; i < kup_kb_provider_release_count(kb); i++) {
		r = kup_kb_provider_release_at(kb, i);
		assert_non_null(r->source);
		if (prev && strcmp(prev->provider, r->provider) == 0)
			assert_true(kup_version_cmp(&prev->version, &r->version) < 0);
		prev = r;
	}
	assert_null(kup_kb_provider_release_at(kb, i));
	kup_kb_free(kb);
}

static void addon_lookup_by_alias(void **state)
{
	struct kup_kb *kb = embedded();
	const struct kup_addon_rule *a;
	static const char *const wanted[] = {
		"coredns", "kube-proxy", "calico", "istio", "cert-manager", "ingress-nginx",
		"metrics-server", "cluster-autoscaler", "aws-node", "aws-ebs-csi-driver",
	};
	size_t i, j;

	(void)state;
	assert_true(kup_kb_addon_count(kb) >= 10);
	for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		a = kup_kb_find_addon(kb, wanted[i]);
		assert_non_null(a);
		assert_string_equal(a->name, wanted[i]);
		assert_true(a->nworkloads > 0);
		assert_true(a->nimages > 0);
		assert_non_null(a->source);
	}
	assert_ptr_equal(kup_kb_find_addon(kb, "istiod"), kup_kb_find_addon(kb, "istio"));
	assert_ptr_equal(kup_kb_find_addon(kb, "ISTIO"), kup_kb_find_addon(kb, "istio"));
	assert_ptr_equal(kup_kb_find_addon(kb, "vpc-cni"), kup_kb_find_addon(kb, "aws-node"));
	assert_ptr_equal(kup_kb_find_addon(kb, "ebs-csi"), kup_kb_find_addon(kb, "aws-ebs-csi-driver"));
	assert_null(kup_kb_find_addon(kb, "node-local-dns"));
	assert_ptr_equal(kup_kb_find_addon(kb, "linkerd2"), kup_kb_find_addon(kb, "linkerd"));
	assert_non_null(kup_kb_find_addon(kb, "linkerd"));
	assert_null(kup_kb_find_addon(kb, NULL));
	/* Workload names a profile derives add-ons from. */
	a = kup_kb_find_addon(kb, "aws-ebs-csi-driver");
	for (i = j = 0; i < a->nworkloads; i++)
		j += strcmp(a->workloads[i], "ebs-csi-controller") == 0;
	assert_int_equal(j, 1);
	a = kup_kb_find_addon(kb, "calico");
	assert_string_equal(a->workloads[0], "calico-node");
	/* Hop rules. */
	a = kup_kb_find_addon(kb, "istio");
	assert_int_equal(a->hop, KUP_HOP_MINORS);
	assert_int_equal(a->max_hop, 1);
	assert_int_equal(a->max_hop_canary, 2);
	assert_true(a->data_plane_follows);
	assert_false(a->managed_with_cp);
	a = kup_kb_find_addon(kb, "coredns");
	assert_int_equal(a->hop, KUP_HOP_PER_CP);
	assert_true(a->managed_with_cp);
	a = kup_kb_find_addon(kb, "kube-proxy");
	assert_int_equal(a->hop, KUP_HOP_MATCH_CP);
	assert_true(a->managed_with_cp);
	assert_int_equal(kup_kb_find_addon(kb, "cluster-autoscaler")->hop, KUP_HOP_MATCH_CP);
	assert_non_null(kup_kb_find_addon(kb, "ingress-nginx")->retired);
	assert_null(kup_kb_find_addon(kb, "calico")->retired);
	/* Releases ascend. */
	for (i = 0; i < kup_kb_addon_count(kb); i++) {
		a = kup_kb_addon_at(kb, i);
		for (j = 1; j < a->nreleases; j++)
			assert_true(kup_version_cmp(&a->releases[j - 1].version,
						    &a->releases[j].version) <= 0);
	}
	assert_null(kup_kb_addon_at(kb, kup_kb_addon_count(kb)));
	kup_kb_free(kb);
}

static void addon_release_for_and_supports(void **state)
{
	struct kup_kb *kb = embedded();
	const struct kup_addon_rule *a;
	const struct kup_addon_release *r;
	struct kup_version v, k;

	(void)state;
	a = kup_kb_find_addon(kb, "istio");
	v = V("1.17.2");
	r = kup_addon_release_for(a, &v);
	assert_non_null(r);
	assert_string_equal(r->version_text, "1.17");
	k = V("1.26");
	assert_true(kup_addon_release_supports(r, &k));
	k = V("1.27.3");
	assert_false(kup_addon_release_supports(r, &k));
	k = V("1.22");
	assert_false(kup_addon_release_supports(r, &k));
	v = V("1.9.0");
	assert_null(kup_addon_release_for(a, &v));
	/* ingress-nginx rows by patch: the highest row not above the version. */
	a = kup_kb_find_addon(kb, "ingress-nginx");
	v = V("1.10.0");
	r = kup_addon_release_for(a, &v);
	assert_string_equal(r->version_text, "1.10.0");
	assert_int_equal(r->k8s_max.minor, 29);
	v = V("v1.10.4");
	r = kup_addon_release_for(a, &v);
	assert_string_equal(r->version_text, "1.10.1");
	assert_int_equal(r->k8s_max.minor, 30);
	v = V("1.8.1");                                  /* below the only 1.8 row */
	r = kup_addon_release_for(a, &v);
	assert_string_equal(r->version_text, "1.8.4");
	v = V("1.6.4");
	r = kup_addon_release_for(a, &v);
	assert_string_equal(r->chart_version, "4.5.x");
	/* CoreDNS: one row per Kubernetes minor; exact or nearest lower. */
	a = kup_kb_find_addon(kb, "coredns");
	v = V("1.10.1");
	r = kup_addon_release_for(a, &v);
	assert_string_equal(r->version_text, "1.10.1");
	assert_true(r->for_k8s.valid);
	v = V("1.9.4");
	r = kup_addon_release_for(a, &v);
	assert_string_equal(r->version_text, "1.9.3");
	v = V("1.6.0");
	assert_null(kup_addon_release_for(a, &v));
	/* Open upper bound counts as supported. */
	a = kup_kb_find_addon(kb, "metrics-server");
	v = V("0.7.1");
	r = kup_addon_release_for(a, &v);
	assert_non_null(r);
	assert_false(r->k8s_max.valid);
	k = V("1.40");
	assert_true(kup_addon_release_supports(r, &k));
	k = V("1.26");
	assert_false(kup_addon_release_supports(r, &k));
	assert_false(kup_addon_release_supports(NULL, &k));
	assert_null(kup_addon_release_for(NULL, &v));
	kup_kb_free(kb);
}

static void risk_catalogue(void **state)
{
	struct kup_kb *kb = embedded();
	size_t i, j, n = kup_kb_risk_count(kb);
	static const char *const required[] = {
		"dockershim-removed", "psp-removed", "cgroup-v1-kubelet-refuses",
		"containerd-1x-last-in-1-35", "eks-al2-no-ami", "eks-ebs-csi-driver-required",
		"kubectl-auth-providers-removed", "in-tree-volume-plugins-migrated",
		"helm-kubeversion-prerelease-trap", "webhook-fail-intercepts-kube-system",
		"crd-stale-stored-versions",
	};

	(void)state;
	assert_true(n >= 34);
	for (i = 0; i < n; i++) {
		const struct kup_risk_rule *r = kup_kb_risk_at(kb, i);
		assert_non_null(r->title);
		assert_non_null(r->message);
		assert_non_null(r->mitigation);
		assert_true(strncmp(r->source, "https://", 8) == 0);
		assert_true(r->severity >= KUP_SEV_LOW && r->severity <= KUP_SEV_HIGH);
		for (j = 0; j < i; j++)
			assert_string_not_equal(kup_kb_risk_at(kb, j)->id, r->id);
	}
	assert_null(kup_kb_risk_at(kb, n));
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		for (j = 0; j < n; j++)
			if (strcmp(kup_kb_risk_at(kb, j)->id, required[i]) == 0)
				break;
		if (j == n)
			fail_msg("missing risk %s", required[i]);
	}
	for (j = 0; j < n; j++)
		if (strcmp(kup_kb_risk_at(kb, j)->id, "psp-removed") == 0)
			break;
	assert_int_equal(kup_kb_risk_at(kb, j)->severity, KUP_SEV_HIGH);
	assert_int_equal(kup_kb_risk_at(kb, j)->from.minor, 25);
	assert_int_equal(kup_kb_risk_at(kb, j)->until.minor, 25);
	kup_kb_free(kb);
}

/* ---- the loader ---------------------------------------------------------------------- */

static void good_files_load(void **state)
{
	struct problems p;
	struct kup_kb *kb;
	char dir[] = "/tmp/kup-kbplan-XXXXXX";
	struct kup_error_sink sink = { collect, &p };
	const struct kup_addon_rule *a;
	size_t n = 0;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_non_null(mkdtemp(dir));
	write_file(dir, "skew.yaml",
		   "schema: kupgrade.dev/kb/skew/v1\n"
		   "source: https://example.com/skew\n"
		   "checked: \"2026-01-01\"\n"
		   "control_plane: {max_hop: 1, source: https://example.com/cp}\n"
		   "components:\n"
		   "  - {component: kubelet, older: 3, newer: 0, older_before: {version: \"1.25\", older: 2},\n"
		   "     source: https://example.com/k}\n");
	write_file(dir, "addons.yaml",
		   "schema: kupgrade.dev/kb/addons/v1\n"
		   "addons:\n"
		   "  - name: mesh\n"
		   "    aliases: [meshd]\n"
		   "    images: [/meshd]\n"
		   "    workloads: [meshd]\n"
		   "    hop: minors\n"
		   "    max_hop: 1\n"
		   "    source: https://example.com/mesh\n"
		   "    releases:\n"
		   "      - {version: \"2.1\", k8s_min: \"1.28\", k8s_max: \"1.30\", source: https://example.com/2.1, checked: \"2026-12-07\"}\n"
		   "      - {version: \"2.0\", k8s_min: \"1.27\", source: https://example.com/2.0, checked: \"2026-12-07\"}\n");
	write_file(dir, "providers.yaml",
		   "schema: kupgrade.dev/kb/providers/v1\n"
		   "releases:\n"
		   "  - {provider: eks, version: \"1.30\", end_of_standard: \"2025-07-23\", source: https://example.com/e, checked: \"2026-12-07\"}\n");
	write_file(dir, "risks.yaml",
		   "schema: kupgrade.dev/kb/risks/v1\n"
		   "risks:\n"
		   "  - {id: r1, title: t, severity: medium, from: \"1.25\", until: null, message: m,\n"
		   "     mitigation: x, source: https://example.com/r, detect: {fact: provider}}\n");
	assert_int_equal(kup_kb_load_dir(dir, &kb, &sink, &n), KUP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(kup_kb_api_count(kb), 0);
	assert_int_equal(kup_kb_cp_max_hop(kb), 1);
	assert_int_equal(kup_kb_provider_release_count(kb), 1);
	assert_int_equal(kup_kb_risk_count(kb), 1);
	assert_int_equal(kup_kb_risk_at(kb, 0)->severity, KUP_SEV_MEDIUM);
	assert_false(kup_kb_risk_at(kb, 0)->until.valid);
	a = kup_kb_find_addon(kb, "MESHD");
	assert_non_null(a);
	assert_int_equal(a->max_hop_canary, 1);          /* defaults to max_hop */
	assert_int_equal(a->nreleases, 2);
	assert_string_equal(a->releases[0].version_text, "2.0");   /* sorted */
	assert_false(a->releases[0].k8s_max.valid);
	remove_file(dir, "skew.yaml");
	remove_file(dir, "addons.yaml");
	remove_file(dir, "providers.yaml");
	remove_file(dir, "risks.yaml");
	rmdir(dir);
	kup_kb_free(kb);
}

static void unknown_schema(void **state)
{
	(void)state;
	expect_problems("x.yaml", "schema: kupgrade.dev/kb/addons/v9\naddons: []\n",
			"x.yaml:1:9: unknown schema 'kupgrade.dev/kb/addons/v9'\n");
}

static void skew_problems(void **state)
{
	(void)state;
	expect_problems("skew.yaml",
		"schema: kupgrade.dev/kb/skew/v1\n"
		"source: ftp://example.com\n"
		"control_plane: {max_hop: 0, source: https://example.com}\n"
		"components:\n"
		"  - {component: kubelet, older: three, newer: 0, source: https://example.com}\n"
		"  - {component: kubectl, older: 1, newer: 1, older_before: {version: 1.25, older: 2},\n"
		"     source: https://example.com}\n"
		"  - {component: kube-proxy, older: 3, newer: 0, source: https://example.com, colour: red}\n"
		"  - {component: kube-proxy, older: 3, newer: 0, source: https://example.com}\n"
		"  - {component: kube-proxy, older: 3, newer: 0, source: https://example.com}\n",
		"skew.yaml:2:9: 'source' must be an http(s) URL\n"
		"skew.yaml:3:26: 'max_hop' must be an integer from 1 to 10\n"
		"skew.yaml:5:33: 'older' must be an integer from 0 to 10\n"
		"skew.yaml:6:70: 'version' must be a quoted version string such as \"1.22\"\n"
		"skew.yaml:6:60: 'older' here must not exceed the component's 'older'\n"
		"skew.yaml:8:78: unknown key 'colour'\n"
		"skew.yaml:10:5: duplicate skew rule for kube-proxy\n");
}

static void provider_problems(void **state)
{
	(void)state;
	expect_problems("providers.yaml",
		"schema: kupgrade.dev/kb/providers/v1\n"
		"releases:\n"
		"  - {provider: eks, version: \"1.30.2\", source: https://example.com, checked: \"2026-12-07\"}\n"
		"  - {provider: eks, version: \"1.31\", end_of_standard: \"2026-13\", source: https://example.com, checked: \"2026-12-07\"}\n"
		"  - {provider: eks, version: \"1.32\", end_of_standard: \"2026-03-23\",\n"
		"     end_of_extended: \"2025-03-23\", source: https://example.com, checked: \"2026-12-07\"}\n"
		"  - {version: \"1.33\", source: https://example.com, checked: \"2026-12-07\"}\n"
		"  - {provider: eks, version: \"1.34\", checked: \"2026-12-07\"}\n"
		"  - {provider: eks, version: \"1.35\", source: https://example.com, checked: \"2026-12-07\"}\n"
		"  - {provider: eks, version: \"1.35\", source: https://example.com, checked: \"2026-12-07\"}\n"
		"  - {provider: openshift, version: \"1.35\", source: https://example.com, checked: \"2026-12-07\"}\n",
		"providers.yaml:3:30: 'version' must be a minor such as \"1.29\"\n"
		"providers.yaml:4:55: 'end_of_standard' must be a date YYYY-MM-DD\n"
		"providers.yaml:5:5: end_of_extended is before end_of_standard\n"
		"providers.yaml:7:5: missing 'provider'\n"
		"providers.yaml:8:5: missing 'source'\n"
		"providers.yaml:10:5: duplicate release eks 1.35\n"
		"providers.yaml:11:16: unknown provider 'openshift' (eks, gke, aks, kubeadm, generic)\n");
}

static void addon_problems(void **state)
{
	(void)state;
	expect_problems("addons.yaml",
		"schema: kupgrade.dev/kb/addons/v1\n"
		"addons:\n"
		"  - {name: a, hop: sideways, source: https://example.com, releases: []}\n"
		"  - {name: b, hop: minors, source: https://example.com, releases: []}\n"
		"  - {name: c, hop: any, max_hop: 2, source: https://example.com, releases: []}\n"
		"  - {name: d, hop: any, source: https://example.com}\n"
		"  - {name: e, hop: any, aliases: [x, 3, ''], source: https://example.com, releases: []}\n"
		"  - name: f\n"
		"    hop: per-cp\n"
		"    source: https://example.com\n"
		"    releases:\n"
		"      - {version: \"1.9.3\", source: https://example.com}\n"
		"      - {version: \"1.9.3\", for_k8s: \"1.25\", k8s_min: \"1.26\", k8s_max: \"1.24\", source: https://example.com, checked: \"2026-12-07\"}\n"
		"      - {version: \"1.10.1\", for_k8s: \"1.27\", released: 2023-01-01, source: https://example.com}\n"
		"  - {name: g, hop: minors, max_hop: 2, max_hop_canary: 1, data_plane_follows: maybe,\n"
		"     source: https://example.com, releases: []}\n"
		"  - {name: h, hop: any, source: https://example.com,\n"
		"     releases: [{version: \"1.0\", for_k8s: \"1.20\", source: https://example.com}]}\n"
		"  - {name: i, hop: any, source: https://example.com, releases: []}\n"
		"  - {name: I, hop: any, source: https://example.com, releases: []}\n"
		"  - {name: j, aliases: [i], hop: any, source: https://example.com, releases: []}\n",
		"addons.yaml:3:20: unknown hop rule 'sideways' (any, minors, match-cp, per-cp)\n"
		"addons.yaml:4:5: missing 'max_hop'\n"
		"addons.yaml:5:5: max_hop belongs to add-ons with hop: minors\n"
		"addons.yaml:6:5: missing 'releases' (write [] when none is sourced)\n"
		"addons.yaml:7:41: 'aliases' items must be non-empty strings\n"
		"addons.yaml:12:9: missing 'for_k8s'\n"
		"addons.yaml:13:9: k8s_min is after k8s_max\n"
		"addons.yaml:15:5: max_hop_canary is below max_hop\n"
		"addons.yaml:15:79: 'data_plane_follows' must be true or false\n"
		"addons.yaml:18:43: 'for_k8s' belongs to add-ons with hop: per-cp\n"
		"addons.yaml:20:5: add-on name or alias 'I' is already taken\n"
		"addons.yaml:21:5: add-on name or alias 'i' is already taken\n");
}

static void risk_problems(void **state)
{
	(void)state;
	expect_problems("risks.yaml",
		"schema: kupgrade.dev/kb/risks/v1\n"
		"risks:\n"
		"  - {id: Bad_ID, title: t, severity: urgent, from: \"1.x\", until: null,\n"
		"     message: m, mitigation: x, source: https://example.com, detect: {fact: provider}}\n"
		"  - {id: r2, title: t, severity: low, from: \"1.26\", until: \"1.25\",\n"
		"     message: m, mitigation: x, source: https://example.com, detect: {fact: provider}}\n"
		"  - {id: r3, title: t, severity: low, message: m, mitigation: x, source: https://example.com}\n"
		"  - {id: r4, title: t, severity: low, from: null, until: null, message: m, mitigation: x,\n"
		"     source: https://example.com, detect: {not: {fact: provider}}}\n"
		"  - {id: r5, title: t, severity: low, from: null, until: null, message: m, mitigation: x,\n"
		"     source: https://example.com, detect: {any: []}}\n"
		"  - {id: r6, title: t, severity: low, from: null, until: null, message: m, mitigation: x,\n"
		"     source: https://example.com, detect: {all: [{always: yes}]}}\n"
		"  - {id: r7, title: t, severity: low, from: null, until: null, message: m, mitigation: x,\n"
		"     source: https://example.com, detect: {fact: pool.version, behind: 3, version_below: 1.25}}\n"
		"  - {id: r8, title: t, severity: low, from: null, until: null, message: m, mitigation: x,\n"
		"     source: https://example.com, detect: {any: [{fact: pool.os}, {not: {fact: wat}}]}}\n"
		"  - {id: r9, title: t, severity: low, from: null, until: null, message: m, mitigation: x,\n"
		"     source: https://example.com, detect: {key: k, in: []}}\n"
		"  - {id: r10, title: t, severity: low, from: null, until: null, message: m, mitigation: x,\n"
		"     source: https://example.com, detect: {fact: provider}}\n"
		"  - {id: r10, title: t, severity: low, from: null, until: null, message: m, mitigation: x,\n"
		"     source: https://example.com, detect: {fact: provider}}\n",
		"risks.yaml:3:10: 'id' must be lower-case letters, digits and '-'\n"
		"risks.yaml:3:38: unknown severity 'urgent' (high, medium, low)\n"
		"risks.yaml:3:52: 'from': malformed version '1.x': expected MAJOR.MINOR[.PATCH] such as 1.32 or v1.32.3\n"
		"risks.yaml:5:5: 'from' is after 'until'\n"
		"risks.yaml:7:5: missing 'from' (write null when any version)\n"
		"risks.yaml:7:5: missing 'until' (write null when open)\n"
		"risks.yaml:7:5: missing 'detect'\n"
		"risks.yaml:9:43: the detector needs a condition that is not under 'not'\n"
		"risks.yaml:11:49: 'any' must be a non-empty list of conditions\n"
		"risks.yaml:13:50: 'always' must be the whole detector\n"
		"risks.yaml:15:64: unknown key 'behind'\n"
		"risks.yaml:15:90: 'version_below' must be a quoted version string such as \"1.22\"\n"
		"risks.yaml:17:80: unknown fact 'wat' (see data/README.md)\n"
		"risks.yaml:19:43: missing 'fact'\n"
		"risks.yaml:19:56: 'in' must not be empty\n"
		"risks.yaml:22:5: duplicate risk 'r10'\n");
}

static void deep_detector_is_refused(void **state)
{
	struct kup_buf t = KUP_BUF_INIT;
	struct problems p;
	struct kup_kb *kb;
	int i;

	(void)state;
	kup_buf_adds(&t, "schema: kupgrade.dev/kb/risks/v1\nrisks:\n"
		     "  - {id: deep, title: t, severity: low, from: null, until: null, message: m,\n"
		     "     mitigation: x, source: https://example.com, detect: ");
	for (i = 0; i < 40; i++)
		kup_buf_adds(&t, "{all: [");
	kup_buf_adds(&t, "{fact: provider}");
	for (i = 0; i < 40; i++)
		kup_buf_adds(&t, "]}");
	kup_buf_adds(&t, "}\n");
	assert_false(t.oom);
	assert_int_equal(load_one("risks.yaml", t.buf, &p, &kb), KUP_KB);
	assert_non_null(strstr(p.text, "detector nested deeper than 16"));
	kup_buf_release(&t);
}

/* node_upgrade rows: counts, times, what follows a timeout, one row per simulator policy. */
static void node_upgrade_problems(void **state)
{
	(void)state;
	expect_problems("aks.yaml",
			"schema: kupgrade.dev/kb/provider-rules/v1\nprovider: aks\nnode_upgrade:\n"
			"  - {policy: aks, strategy: s, max_surge: \"10%\", source: https://x}\n"
			"  - {policy: a, strategy: s, max_surge: \"10 %\", max_unavailable: 0, "
			"source: https://x}\n"
			"  - {policy: b, strategy: s, max_unavailable: 1, drain_timeout: 60, "
			"on_timeout: later, source: https://x}\n"
			"  - {policy: c, strategy: s, source: https://x}\n"
			"  - {policy: aks, strategy: s, max_surge: 1, source: https://x}\n",
			"aks.yaml:5:41: 'max_surge' must be a node count (an integer) or a percentage "
			"(\"10%\")\n"
			"aks.yaml:6:81: 'on_timeout' must be fail or force, not 'later'\n"
			"aks.yaml:7:5: a node_upgrade row needs max_surge or max_unavailable\n"
			"aks.yaml:8:5: node_upgrade policy 'aks' is listed twice\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(skew_policy),
		cmocka_unit_test(provider_windows),
		cmocka_unit_test(addon_lookup_by_alias),
		cmocka_unit_test(addon_release_for_and_supports),
		cmocka_unit_test(risk_catalogue),
		cmocka_unit_test(good_files_load),
		cmocka_unit_test(unknown_schema),
		cmocka_unit_test(skew_problems),
		cmocka_unit_test(provider_problems),
		cmocka_unit_test(addon_problems),
		cmocka_unit_test(risk_problems),
		cmocka_unit_test(deep_detector_is_refused),
		cmocka_unit_test(node_upgrade_problems),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
