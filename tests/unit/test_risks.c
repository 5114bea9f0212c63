/*
 * test_risks.c - evidence gathering (profile and objects) and the risk
 * detectors of data/risks.yaml (kup_evidence_*, kup_risks_eval).
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
#include "kupgrade/object.h"
#include "kupgrade/profile.h"
#include "kupgrade/yaml.h"

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

static void add_profile(struct kup_evidence *ev, const char *text)
{
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	if (kup_profile_parse("p.yaml", text, strlen(text), &p, &err) != KUP_OK)
		fail_msg("profile: %u:%u: %s", err.line, err.column, err.msg ? err.msg : "?");
	assert_int_equal(kup_evidence_add_profile(ev, p), KUP_OK);
	kup_profile_free(p);
	kup_error_release(&err);
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct kup_evidence *ev = ctx;
	struct kup_object obj;

	if (!doc->root)
		return KUP_OK;
	memset(&obj, 0, sizeof(obj));
	kup_object_from_node(&obj, doc->root);
	obj.src.type = KUP_SRC_FILE;
	obj.src.path = "m.yaml";
	obj.src.line = doc->root->line;
	return kup_evidence_add_object(ev, &obj);
}

static void add_objects(struct kup_evidence *ev, const char *text)
{
	struct kup_yaml_opts opts;
	struct kup_arena arena;
	size_t nerr = 0;

	kup_yaml_opts_init(&opts, "m.yaml");
	kup_arena_init(&arena, 0);
	assert_int_equal(kup_yaml_read_mem(text, strlen(text), &opts, &arena, on_doc, ev, &nerr),
			 KUP_OK);
	assert_int_equal(nerr, 0);
	kup_arena_release(&arena);
}

struct fired {
	char text[16384];
	size_t n;
};

static enum kup_status on_risk(void *ctx, const struct kup_risk_rule *rule,
			       const struct kup_version *at, const char *evidence)
{
	struct fired *f = ctx;
	size_t len = strlen(f->text);

	assert_non_null(rule->message);
	assert_non_null(rule->mitigation);
	assert_non_null(rule->source);
	snprintf(f->text + len, sizeof(f->text) - len, "%s@%d.%d: %s\n", rule->id, at->major,
		 at->minor, evidence);
	f->n++;
	return KUP_OK;
}

/* Every risk that fires at `at`, one "id@at: evidence" line each. */
static void eval_at(const struct kup_kb *kb, const struct kup_evidence *ev, const char *at,
		    struct fired *f)
{
	struct kup_version v;

	memset(f, 0, sizeof(*f));
	assert_int_equal(kup_version_parse(at, &v, NULL), KUP_OK);
	assert_int_equal(kup_risks_eval(kb, ev, &v, on_risk, f), KUP_OK);
}

static bool fired(const struct fired *f, const char *id)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "%s@", id);
	for (p = f->text; (p = strstr(p, key)); p++)
		if (p == f->text || p[-1] == '\n')
			return true;
	return false;
}

static const char *evidence_of(const struct fired *f, const char *id, char *buf, size_t n)
{
	char key[128];
	const char *p, *e;

	snprintf(key, sizeof(key), "%s@", id);
	for (p = f->text; (p = strstr(p, key)); p++)
		if (p == f->text || p[-1] == '\n')
			break;
	if (!p)
		return "";
	p = strstr(p, ": ") + 2;
	e = strchr(p, '\n');
	snprintf(buf, n, "%.*s", (int)(e - p), p);
	return buf;
}

#define PROFILE_HEAD                                              \
	"apiVersion: kupgrade.dev/v1alpha1\n"                     \
	"kind: ClusterProfile\n"                                  \
	"metadata: {name: t}\n"                                   \
	"spec:\n"

/* ---- the shipped catalogue --------------------------------------------------------- */

static void dockershim_fires_with_pool_evidence(void **state)
{
	struct kup_kb *kb = embedded();
	struct kup_evidence *ev;
	struct fired f;
	char buf[512];

	(void)state;
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_profile(ev, PROFILE_HEAD
		    "  provider: kubeadm\n"
		    "  controlPlane: {version: \"1.23.4\"}\n"
		    "  nodePools:\n"
		    "    - {name: general, version: \"1.23.4\", containerRuntime: \"docker://20.10.7\"}\n"
		    "    - {name: batch, version: \"1.23.4\", containerRuntime: \"containerd://1.6.20\"}\n");
	eval_at(kb, ev, "1.24", &f);
	assert_true(fired(&f, "dockershim-removed"));
	assert_string_equal(evidence_of(&f, "dockershim-removed", buf, sizeof(buf)),
			    "node pool general runs docker://20.10.7");
	/* Outside its window it stays quiet even with the evidence. */
	eval_at(kb, ev, "1.23", &f);
	assert_false(fired(&f, "dockershim-removed"));
	eval_at(kb, ev, "1.25", &f);
	assert_false(fired(&f, "dockershim-removed"));
	kup_evidence_free(ev);

	/* No docker anywhere: no risk. */
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_profile(ev, PROFILE_HEAD
		    "  provider: kubeadm\n"
		    "  controlPlane: {version: \"1.23.4\"}\n"
		    "  nodePools:\n"
		    "    - {name: batch, version: \"1.23.4\", containerRuntime: \"containerd://1.6.20\"}\n");
	eval_at(kb, ev, "1.24", &f);
	assert_false(fired(&f, "dockershim-removed"));
	assert_false(fired(&f, "containerd-before-1-6-cri-v1alpha2"));
	kup_evidence_free(ev);
	kup_kb_free(kb);
}

static void empty_evidence_fires_only_always_rules(void **state)
{
	struct kup_kb *kb = embedded();
	struct kup_evidence *ev;
	struct fired f;
	const char *v[] = { "1.16", "1.22", "1.24", "1.25", "1.29", "1.33", "1.35", "1.36" };
	size_t i;

	(void)state;
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		eval_at(kb, ev, v[i], &f);
		assert_int_equal(f.n, 1);
		assert_true(fired(&f, "control-plane-one-minor-per-hop"));
	}
	kup_evidence_free(ev);
	kup_kb_free(kb);
}

static void kubelet_skew_boundary(void **state)
{
	struct kup_kb *kb = embedded();
	struct kup_evidence *ev;
	struct fired f;
	char buf[512];

	(void)state;
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_profile(ev, PROFILE_HEAD
		    "  provider: generic\n"
		    "  controlPlane: {version: \"1.26.3\"}\n"
		    "  nodePools:\n"
		    "    - {name: old, version: \"1.24.9\"}\n"
		    "    - {name: new, version: \"1.25.2\"}\n");
	/* 1.24 kubelets may be 2 minors behind: 1.26 ok, 1.27 not. */
	eval_at(kb, ev, "1.26", &f);
	assert_false(fired(&f, "kubelet-skew-exceeded"));
	eval_at(kb, ev, "1.27", &f);
	assert_true(fired(&f, "kubelet-skew-exceeded"));
	assert_string_equal(evidence_of(&f, "kubelet-skew-exceeded", buf, sizeof(buf)),
			    "node pool old runs kubelet 1.24.9");
	/* 1.25 kubelets may be 3 behind: 1.28 ok, 1.29 not. */
	kup_evidence_free(ev);
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_profile(ev, PROFILE_HEAD
		    "  controlPlane: {version: \"1.27.3\"}\n"
		    "  nodePools:\n"
		    "    - {name: new, version: \"v1.25.2-eks-1a2b\"}\n");
	eval_at(kb, ev, "1.28", &f);
	assert_false(fired(&f, "kubelet-skew-exceeded"));
	eval_at(kb, ev, "1.29", &f);
	assert_true(fired(&f, "kubelet-skew-exceeded"));
	kup_evidence_free(ev);
	kup_kb_free(kb);
}

static void provider_filter_and_node_os(void **state)
{
	struct kup_kb *kb = embedded();
	struct kup_evidence *ev;
	struct fired f;
	char buf[512];
	const char *pools =
		"  controlPlane: {version: \"1.32.1\"}\n"
		"  nodePools:\n"
		"    - {name: general, version: \"1.32.1\", os: \"Amazon Linux 2\", containerRuntime: \"containerd://1.7.11\"}\n"
		"    - {name: al2023, version: \"1.32.1\", os: \"Amazon Linux 2023.6.20241031\"}\n";
	char text[2048];

	(void)state;
	snprintf(text, sizeof(text), PROFILE_HEAD "  provider: eks\n%s", pools);
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_profile(ev, text);
	eval_at(kb, ev, "1.33", &f);
	assert_true(fired(&f, "eks-al2-no-ami"));
	assert_string_equal(evidence_of(&f, "eks-al2-no-ami", buf, sizeof(buf)),
			    "node pool general runs Amazon Linux 2");
	eval_at(kb, ev, "1.35", &f);
	assert_true(fired(&f, "cgroup-v1-kubelet-refuses"));
	assert_false(fired(&f, "containerd-1x-last-in-1-35"));
	eval_at(kb, ev, "1.36", &f);
	assert_true(fired(&f, "containerd-1x-last-in-1-35"));
	assert_string_equal(evidence_of(&f, "containerd-1x-last-in-1-35", buf, sizeof(buf)),
			    "node pool general runs containerd://1.7.11");
	kup_evidence_free(ev);

	/* Same pools on GKE: the EKS-only risk does not apply. */
	snprintf(text, sizeof(text), PROFILE_HEAD "  provider: gke\n%s", pools);
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_profile(ev, text);
	eval_at(kb, ev, "1.33", &f);
	assert_false(fired(&f, "eks-al2-no-ami"));
	kup_evidence_free(ev);
	kup_kb_free(kb);
}

static void object_evidence(void **state)
{
	struct kup_kb *kb = embedded();
	struct kup_evidence *ev;
	struct fired f;
	char buf[512];

	(void)state;
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_objects(ev,
		"apiVersion: policy/v1beta1\n"
		"kind: PodSecurityPolicy\n"
		"metadata: {name: restricted}\n"
		"---\n"
		"apiVersion: admissionregistration.k8s.io/v1\n"
		"kind: ValidatingWebhookConfiguration\n"
		"metadata: {name: policy}\n"
		"webhooks:\n"
		"  - name: safe.example.com\n"
		"    namespaceSelector:\n"
		"      matchExpressions:\n"
		"        - {key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}\n"
		"  - name: opt-in.example.com\n"
		"    namespaceSelector: {matchLabels: {inject: enabled}}\n"
		"  - name: ignore.example.com\n"
		"    failurePolicy: Ignore\n"
		"  - name: all.example.com\n"
		"---\n"
		"apiVersion: apiextensions.k8s.io/v1\n"
		"kind: CustomResourceDefinition\n"
		"metadata: {name: certificates.cert-manager.io}\n"
		"spec:\n"
		"  versions:\n"
		"    - {name: v1alpha2, served: false, storage: false}\n"
		"    - {name: v1, served: true, storage: true}\n"
		"status:\n"
		"  storedVersions: [v1alpha2, v1]\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: ConfigMap\n"
		"metadata: {name: kube-proxy, namespace: kube-system}\n"
		"data:\n"
		"  config.conf: |\n"
		"    apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
		"    kind: KubeProxyConfiguration\n"
		"    ipvs:\n"
		"      scheduler: rr\n"
		"    mode: \"ipvs\"\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Config\n"
		"users:\n"
		"  - name: old\n"
		"    user:\n"
		"      auth-provider: {name: gcp}\n"
		"  - name: eks\n"
		"    user:\n"
		"      exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: aws}\n");
	eval_at(kb, ev, "1.25", &f);
	assert_true(fired(&f, "psp-removed"));
	assert_string_equal(evidence_of(&f, "psp-removed", buf, sizeof(buf)),
			    "PodSecurityPolicy restricted (m.yaml:1) (policy/v1beta1)");
	assert_true(fired(&f, "webhook-fail-intercepts-kube-system"));
	assert_string_equal(evidence_of(&f, "webhook-fail-intercepts-kube-system", buf, sizeof(buf)),
			    "ValidatingWebhookConfiguration policy (m.yaml:5) webhook all.example.com "
			    "has failurePolicy Fail and intercepts kube-system");
	assert_true(fired(&f, "crd-stale-stored-versions"));
	assert_string_equal(evidence_of(&f, "crd-stale-stored-versions", buf, sizeof(buf)),
			    "CustomResourceDefinition certificates.cert-manager.io (m.yaml:19) still "
			    "lists v1alpha2 in status.storedVersions (storage version v1)");
	assert_true(fired(&f, "kubectl-exec-v1alpha1-removed"));
	assert_false(fired(&f, "kube-proxy-ipvs-deprecated"));
	assert_false(fired(&f, "kubectl-auth-providers-removed"));
	eval_at(kb, ev, "1.26", &f);
	assert_false(fired(&f, "psp-removed"));
	assert_true(fired(&f, "kubectl-auth-providers-removed"));
	eval_at(kb, ev, "1.35", &f);
	assert_true(fired(&f, "kube-proxy-ipvs-deprecated"));
	kup_evidence_free(ev);
	kup_kb_free(kb);
}

static void webhook_v1beta1_defaults_to_ignore(void **state)
{
	struct kup_kb *kb = embedded();
	struct kup_evidence *ev;
	struct fired f;

	(void)state;
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_objects(ev,
		"apiVersion: admissionregistration.k8s.io/v1beta1\n"
		"kind: MutatingWebhookConfiguration\n"
		"metadata: {name: old}\n"
		"webhooks:\n"
		"  - name: a.example.com\n");
	eval_at(kb, ev, "1.30", &f);
	assert_false(fired(&f, "webhook-fail-intercepts-kube-system"));
	kup_evidence_free(ev);
	kup_kb_free(kb);
}

static void eks_ebs_csi_needs_driver_absent(void **state)
{
	struct kup_kb *kb = embedded();
	struct kup_evidence *ev;
	struct fired f;
	char buf[512];
	const char *profile = PROFILE_HEAD
		"  provider: eks\n"
		"  controlPlane: {version: \"1.22.17\"}\n";
	const char *sc =
		"apiVersion: storage.k8s.io/v1\n"
		"kind: StorageClass\n"
		"metadata:\n"
		"  name: gp2\n"
		"  annotations: {storageclass.kubernetes.io/is-default-class: \"true\"}\n"
		"provisioner: kubernetes.io/aws-ebs\n";

	(void)state;
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_profile(ev, profile);
	add_objects(ev, sc);
	eval_at(kb, ev, "1.23", &f);
	assert_true(fired(&f, "eks-ebs-csi-driver-required"));
	assert_string_equal(evidence_of(&f, "eks-ebs-csi-driver-required", buf, sizeof(buf)),
			    "StorageClass gp2 (m.yaml:1) uses provisioner kubernetes.io/aws-ebs");
	assert_true(fired(&f, "in-tree-volume-plugins-migrated"));
	kup_evidence_free(ev);

	/* With the CSI driver installed the EKS risk is gone (the general one stays). */
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_profile(ev, profile);
	add_objects(ev, sc);
	add_objects(ev, "apiVersion: storage.k8s.io/v1\nkind: CSIDriver\nmetadata: {name: ebs.csi.aws.com}\n");
	eval_at(kb, ev, "1.23", &f);
	assert_false(fired(&f, "eks-ebs-csi-driver-required"));
	assert_true(fired(&f, "in-tree-volume-plugins-migrated"));
	kup_evidence_free(ev);
	kup_kb_free(kb);
}

static void helm_kube_version_trap(void **state)
{
	struct kup_kb *kb = embedded();
	struct kup_evidence *ev;
	struct fired f;
	char buf[512];

	(void)state;
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_profile(ev, PROFILE_HEAD "  provider: eks\n  controlPlane: {version: \"1.29.3\"}\n");
	add_objects(ev, "apiVersion: v2\nname: web\nversion: 1.2.3\nkubeVersion: \">=1.23.0\"\n");
	eval_at(kb, ev, "1.30", &f);
	assert_true(fired(&f, "helm-kubeversion-prerelease-trap"));
	assert_string_equal(evidence_of(&f, "helm-kubeversion-prerelease-trap", buf, sizeof(buf)),
			    "provider eks; chart web requires kubeVersion \">=1.23.0\" in m.yaml");
	kup_evidence_free(ev);

	/* A range ending in -0 is fine; so is a plain kubeadm cluster. */
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_profile(ev, PROFILE_HEAD "  provider: eks\n  controlPlane: {version: \"1.29.3\"}\n");
	add_objects(ev, "apiVersion: v2\nname: web\nversion: 1.2.3\nkubeVersion: \">=1.23.0-0\"\n");
	eval_at(kb, ev, "1.30", &f);
	assert_false(fired(&f, "helm-kubeversion-prerelease-trap"));
	kup_evidence_free(ev);
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_profile(ev, PROFILE_HEAD "  provider: kubeadm\n  controlPlane: {version: \"1.29.3\"}\n");
	add_objects(ev, "apiVersion: v2\nname: web\nversion: 1.2.3\nkubeVersion: \">=1.23.0\"\n");
	eval_at(kb, ev, "1.30", &f);
	assert_false(fired(&f, "helm-kubeversion-prerelease-trap"));
	kup_evidence_free(ev);
	kup_kb_free(kb);
}

static void workload_and_node_evidence(void **state)
{
	struct kup_kb *kb = embedded();
	struct kup_evidence *ev;
	struct fired f;
	char buf[512];

	(void)state;
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_profile(ev, PROFILE_HEAD "  provider: eks\n  controlPlane: {version: \"1.21.14\"}\n"
		    "  addons:\n    - {name: ingress-nginx, version: \"0.49.3\"}\n");
	add_objects(ev,
		"apiVersion: apps/v1\n"
		"kind: DaemonSet\n"
		"metadata: {name: logs, namespace: kube-system}\n"
		"spec:\n"
		"  template:\n"
		"    spec:\n"
		"      tolerations: [{key: node-role.kubernetes.io/master, effect: NoSchedule}]\n"
		"      containers:\n"
		"        - name: a\n"
		"          image: k8s.gcr.io/fluentd-elasticsearch:v2.4.0\n"
		"          livenessProbe: {exec: {command: [check]}}\n"
		"      volumes:\n"
		"        - {name: sock, hostPath: {path: /var/run/docker.sock}}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Node\n"
		"metadata: {name: ip-10-0-0-1}\n"
		"status:\n"
		"  nodeInfo: {kubeletVersion: v1.21.14-eks-1a2b, osImage: Amazon Linux 2,\n"
		"             containerRuntimeVersion: \"docker://20.10.17\", kernelVersion: 5.4.0}\n");
	eval_at(kb, ev, "1.22", &f);
	assert_true(fired(&f, "ingress-nginx-before-1-0"));
	assert_string_equal(evidence_of(&f, "ingress-nginx-before-1-0", buf, sizeof(buf)),
			    "add-on ingress-nginx 0.49.3");
	assert_true(fired(&f, "k8s-gcr-io-frozen"));
	eval_at(kb, ev, "1.20", &f);
	assert_true(fired(&f, "exec-probe-timeout-enforced"));
	eval_at(kb, ev, "1.24", &f);
	assert_true(fired(&f, "dockershim-removed"));
	assert_string_equal(evidence_of(&f, "dockershim-removed", buf, sizeof(buf)),
			    "Node ip-10-0-0-1 (m.yaml:15) runs docker://20.10.17");
	assert_true(fired(&f, "master-label-and-taint-removed"));
	assert_true(fired(&f, "eks-fluentd-docker-log-format"));
	kup_evidence_free(ev);
	kup_kb_free(kb);
}

/* ---- the detector language, on a KB written for the test ----------------------------- */

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

static void remove_dir(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	rmdir(dir);
}

#define RISK(id, from, until, extra, detect)                                           \
	"  - {id: " id ", title: t, severity: low, from: " from ", until: " until ", "  \
	extra "message: m, mitigation: x, source: https://example.com,\n"               \
	"     detect: " detect "}\n"

static void detector_semantics(void **state)
{
	char dir[] = "/tmp/kup-risks-XXXXXX";
	struct kup_kb *kb = NULL;
	struct kup_evidence *ev;
	struct fired f;
	size_t n = 0;
	char buf[512];

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "risks.yaml",
		"schema: kupgrade.dev/kb/risks/v1\n"
		"risks:\n"
		RISK("all-joins", "null", "null", "",
		     "{all: [{fact: provider, equals: aks}, {fact: pool.os, prefix: ubuntu}]}")
		RISK("not-blocks", "null", "null", "",
		     "{all: [{fact: provider}, {not: {fact: addon, key: azure-disk}}]}")
		RISK("not-passes", "null", "null", "",
		     "{all: [{fact: provider}, {not: {fact: addon, key: nothing}}]}")
		RISK("window", "\"1.28\"", "\"1.29\"", "", "{fact: provider}")
		RISK("more", "null", "null", "", "{fact: pool.version, version_at_least: \"1.27\"}")
		RISK("key-suffix", "null", "null", "",
		     "{fact: image.version, key: team/app, version_below: \"2.0\"}")
		RISK("other-provider", "null", "null", "provider: eks, ", "{fact: provider}")
		RISK("missing-fact", "null", "null", "", "{fact: pool.kernel}"));
	assert_int_equal(kup_kb_load_dir(dir, &kb, NULL, &n), KUP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(kup_kb_risk_count(kb), 8);

	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_profile(ev, PROFILE_HEAD
		    "  provider: aks\n"
		    "  controlPlane: {version: \"1.28.1\"}\n"
		    "  nodePools:\n"
		    "    - {name: a, version: \"1.27.1\", os: \"Ubuntu 22.04.4 LTS\"}\n"
		    "    - {name: b, version: \"1.28.1\"}\n"
		    "    - {name: c, version: \"1.28.1\"}\n"
		    "    - {name: d, version: \"1.26.1\"}\n"
		    "  addons:\n"
		    "    - {name: azure-disk, version: \"1.0.0\"}\n");
	add_objects(ev,
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n"
		"spec: {template: {spec: {containers: [{name: a, image: \"registry.example.com/team/app:v1.4.2\"}]}}}\n");
	eval_at(kb, ev, "1.28", &f);
	assert_string_equal(evidence_of(&f, "all-joins", buf, sizeof(buf)),
			    "provider aks; node pool a runs Ubuntu 22.04.4 LTS");
	assert_false(fired(&f, "not-blocks"));
	assert_string_equal(evidence_of(&f, "not-passes", buf, sizeof(buf)), "provider aks");
	assert_true(fired(&f, "window"));
	/* Pools a, b and c match (one fact per pool); d is older. */
	assert_string_equal(evidence_of(&f, "more", buf, sizeof(buf)),
			    "node pool a runs kubelet 1.27.1 (and 2 more)");
	assert_string_equal(evidence_of(&f, "key-suffix", buf, sizeof(buf)),
			    "Deployment app (m.yaml:1) runs image registry.example.com/team/app:v1.4.2");
	assert_false(fired(&f, "other-provider"));
	assert_false(fired(&f, "missing-fact"));
	eval_at(kb, ev, "1.27", &f);
	assert_false(fired(&f, "window"));
	eval_at(kb, ev, "1.29", &f);
	assert_true(fired(&f, "window"));
	eval_at(kb, ev, "1.30", &f);
	assert_false(fired(&f, "window"));
	kup_evidence_free(ev);
	kup_kb_free(kb);
	remove_dir(dir, "risks.yaml");
}

static enum kup_status stop_at_first(void *ctx, const struct kup_risk_rule *rule,
				     const struct kup_version *at, const char *evidence)
{
	size_t *n = ctx;

	(void)rule;
	(void)at;
	(void)evidence;
	(*n)++;
	return KUP_STOP;
}

static void callback_status_stops_and_bad_args(void **state)
{
	struct kup_kb *kb = embedded();
	struct kup_evidence *ev;
	struct kup_version v;
	size_t n = 0;

	(void)state;
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	assert_int_equal(kup_version_parse("1.30", &v, NULL), KUP_OK);
	assert_int_equal(kup_risks_eval(kb, ev, &v, stop_at_first, &n), KUP_STOP);
	assert_int_equal(n, 1);
	memset(&v, 0, sizeof(v));
	assert_int_equal(kup_risks_eval(kb, ev, &v, stop_at_first, &n), KUP_INVALID);
	assert_int_equal(kup_evidence_add_profile(ev, NULL), KUP_INVALID);
	assert_int_equal(kup_evidence_add_object(ev, NULL), KUP_INVALID);
	kup_evidence_free(ev);
	kup_evidence_free(NULL);
	kup_kb_free(kb);
}

/* Many objects: the evidence names the first and counts the rest. */
static void many_objects(void **state)
{
	struct kup_kb *kb = embedded();
	struct kup_evidence *ev;
	struct fired f;
	struct kup_buf text = KUP_BUF_INIT;
	char buf[512];
	int i;

	(void)state;
	for (i = 0; i < 2000; i++)
		kup_buf_addf(&text,
			     "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d%d, namespace: n}\n"
			     "spec: {template: {spec: {containers: [{name: a, image: \"k8s.gcr.io/pause:3.%d\"}]}}}\n",
			     i, i % 3);
	assert_false(text.oom);
	assert_int_equal(kup_evidence_new(&ev), KUP_OK);
	add_objects(ev, text.buf);
	eval_at(kb, ev, "1.30", &f);
	assert_string_equal(evidence_of(&f, "k8s-gcr-io-frozen", buf, sizeof(buf)),
			    "Deployment n/d0 (m.yaml:2) runs image k8s.gcr.io/pause:3.0 (and 1999 more)");
	kup_evidence_free(ev);
	kup_buf_release(&text);
	kup_kb_free(kb);
}

/* ---- every shipped risk has a witness ------------------------------------------------ */

struct witness {
	const char *id;
	const char *provider;
	const char *pools;    /* nodePools entries, or NULL */
	const char *addons;   /* addons entries, or NULL */
	const char *objects;  /* manifests, or NULL */
	const char *at;
};

#define POD(spec) "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: kube-system}\nspec: " spec "\n"

static const struct witness witnesses[] = {
	{ "dockershim-removed", "generic", "{name: a, version: \"1.23.1\", containerRuntime: \"docker://20.10.7\"}", NULL, NULL, "1.24" },
	{ "psp-removed", "generic", NULL, NULL, "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: p}\n", "1.25" },
	{ "cgroup-v1-kubelet-refuses", "generic", "{name: a, version: \"1.34.1\", os: \"Ubuntu 20.04.6 LTS\"}", NULL, NULL, "1.35" },
	{ "containerd-1x-last-in-1-35", "generic", "{name: a, version: \"1.35.1\", containerRuntime: \"containerd://1.7.2\"}", NULL, NULL, "1.36" },
	{ "eks-al2-no-ami", "eks", "{name: a, version: \"1.32.1\", os: \"Amazon Linux 2\"}", NULL, NULL, "1.33" },
	{ "control-plane-one-minor-per-hop", "generic", NULL, NULL, NULL, "1.30" },
	{ "kubelet-skew-exceeded", "generic", "{name: a, version: \"1.26.0\"}", NULL, NULL, "1.30" },
	{ "api-removals-1-16", "generic", NULL, NULL, "apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: d}\n", "1.16" },
	{ "exec-probe-timeout-enforced", "generic", NULL, NULL, POD("{containers: [{name: a, image: x, readinessProbe: {exec: {command: [x]}}}]}"), "1.20" },
	{ "gke-exec-probe-timeout-enforced", "gke", NULL, NULL, POD("{containers: [{name: a, image: x, livenessProbe: {timeoutSeconds: 5, exec: {command: [x]}}}]}"), "1.35" },
	{ "selflink-removed", "generic", NULL, NULL, POD("{containers: [{name: a, image: \"quay.io/external_storage/nfs-client-provisioner:v3.1.0\"}]}"), "1.20" },
	{ "api-removals-1-22", "generic", NULL, NULL, "apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: i}\n", "1.22" },
	{ "ingress-nginx-before-1-0", "generic", NULL, "{name: ingress-nginx, version: \"0.49.3\"}", NULL, "1.22" },
	{ "coredns-endpointslice-rbac", "kubeadm", NULL, "{name: coredns, version: \"1.8.0\"}", NULL, "1.22" },
	{ "eks-ebs-csi-driver-required", "eks", NULL, NULL, "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: gp2}\nprovisioner: kubernetes.io/aws-ebs\n", "1.23" },
	{ "eks-fluentd-docker-log-format", "eks", NULL, NULL, POD("{containers: [{name: a, image: \"fluent/fluentd-kubernetes-daemonset:v1.14\"}]}"), "1.24" },
	{ "sa-token-secrets-not-generated", "generic", NULL, NULL, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ci}\nsecrets: [{name: ci-token-abcde}]\n", "1.24" },
	{ "kubectl-exec-v1alpha1-removed", "generic", NULL, NULL, "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: aws}}}]\n", "1.24" },
	{ "master-label-and-taint-removed", "generic", NULL, NULL, POD("{nodeSelector: {node-role.kubernetes.io/master: \"\"}, containers: [{name: a, image: x}]}"), "1.25" },
	{ "api-removals-1-25", "generic", NULL, NULL, "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n", "1.25" },
	{ "eks-aws-lb-controller-before-2-4-7", "eks", NULL, NULL, POD("{containers: [{name: a, image: \"public.ecr.aws/eks/aws-load-balancer-controller:v2.4.5\"}]}"), "1.25" },
	{ "api-removals-1-26", "generic", NULL, NULL, "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n", "1.26" },
	{ "containerd-before-1-6-cri-v1alpha2", "generic", "{name: a, version: \"1.25.1\", containerRuntime: \"containerd://1.5.11\"}", NULL, NULL, "1.26" },
	{ "kubectl-auth-providers-removed", "gke", NULL, NULL, "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {auth-provider: {name: gcp}}}]\n", "1.26" },
	{ "api-removals-1-27", "generic", NULL, NULL, "apiVersion: storage.k8s.io/v1beta1\nkind: CSIStorageCapacity\nmetadata: {name: c}\n", "1.27" },
	{ "in-tree-volume-plugins-migrated", "gke", NULL, NULL, "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv}\nspec: {capacity: {storage: 1Gi}, gcePersistentDisk: {pdName: d}}\n", "1.28" },
	{ "rbd-volume-plugin-removed", "kubeadm", NULL, NULL, "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv}\nspec: {rbd: {image: i}}\n", "1.31" },
	{ "cephfs-volume-plugin-removed", "kubeadm", NULL, NULL, POD("{volumes: [{name: v, cephfs: {monitors: [m], path: /}}], containers: [{name: a, image: x}]}"), "1.31" },
	{ "k8s-gcr-io-frozen", "generic", NULL, NULL, POD("{containers: [{name: a, image: \"k8s.gcr.io/pause:3.2\"}]}"), "1.30" },
	{ "api-removals-1-29", "generic", NULL, NULL, "apiVersion: flowcontrol.apiserver.k8s.io/v1beta2\nkind: FlowSchema\nmetadata: {name: f}\n", "1.29" },
	{ "in-tree-cloud-providers-removed", "kubeadm", NULL, NULL, POD("{containers: [{name: kcm, image: x, command: [kube-controller-manager, --cloud-provider=aws]}]}"), "1.29" },
	{ "api-removals-1-32", "generic", NULL, NULL, "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: PriorityLevelConfiguration\nmetadata: {name: p}\n", "1.32" },
	{ "eks-anonymous-auth-restricted", "eks", NULL, NULL, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: anon}\nsubjects: [{kind: User, name: \"system:anonymous\"}]\n", "1.32" },
	{ "endpoints-api-deprecated", "generic", NULL, NULL, "apiVersion: v1\nkind: Endpoints\nmetadata: {name: e}\n", "1.33" },
	{ "kube-proxy-ipvs-deprecated", "kubeadm", NULL, NULL, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kube-proxy, namespace: kube-system}\ndata: {config.conf: \"kind: KubeProxyConfiguration\\nmode: ipvs\\n\"}\n", "1.35" },
	{ "helm-kubeversion-prerelease-trap", "aks", NULL, NULL, "apiVersion: v2\nname: c\nversion: 0.1.0\nkubeVersion: \">= 1.25.0 < 1.40.0\"\n", "1.30" },
	{ "webhook-fail-intercepts-kube-system", "generic", NULL, NULL, "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: m}\nwebhooks: [{name: a.example.com, failurePolicy: Fail, namespaceSelector: {}}]\n", "1.30" },
	{ "crd-stale-stored-versions", "generic", NULL, NULL, "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata: {name: a.example.com}\nspec: {version: v1}\nstatus: {storedVersions: [v1alpha1, v1]}\n", "1.30" },
	{ "ingress-nginx-retired", "generic", NULL, "{name: ingress-nginx, version: \"1.11.2\"}", NULL, "1.30" },
	{ "ingress-nginx-beyond-tested", "generic", NULL, NULL, POD("{containers: [{name: a, image: \"registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:0123\"}]}"), "1.36" },
	{ "eks-vpc-cni-1-16-on-old-clusters", "eks", NULL, "{name: aws-node, version: \"v1.16.0-eksbuild.1\"}", NULL, "1.23" },
	{ "eks-vpc-cni-too-old", "eks", NULL, "{name: vpc-cni, version: \"1.7.5\"}", NULL, "1.25" },
	{ "eks-coredns-addon-pdb-conflict", "eks", NULL, NULL, "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: coredns-pdb, namespace: kube-system}\n", "1.30" },
};

static void every_risk_has_a_witness(void **state)
{
	struct kup_kb *kb = embedded();
	size_t i, j;

	(void)state;
	for (i = 0; i < kup_kb_risk_count(kb); i++) {
		const struct kup_risk_rule *r = kup_kb_risk_at(kb, i);
		const struct witness *w = NULL;
		struct kup_evidence *ev;
		struct kup_buf prof = KUP_BUF_INIT;
		struct fired f;

		for (j = 0; j < sizeof(witnesses) / sizeof(witnesses[0]); j++)
			if (strcmp(witnesses[j].id, r->id) == 0)
				w = &witnesses[j];
		if (!w)
			fail_msg("risk %s has no witness in test_risks.c", r->id);
		kup_buf_addf(&prof, PROFILE_HEAD "  provider: %s\n  controlPlane: {version: \"1.20.0\"}\n",
			     w->provider);
		if (w->pools)
			kup_buf_addf(&prof, "  nodePools:\n    - %s\n", w->pools);
		if (w->addons)
			kup_buf_addf(&prof, "  addons:\n    - %s\n", w->addons);
		assert_int_equal(kup_evidence_new(&ev), KUP_OK);
		add_profile(ev, prof.buf);
		if (w->objects)
			add_objects(ev, w->objects);
		eval_at(kb, ev, w->at, &f);
		if (!fired(&f, r->id))
			fail_msg("risk %s does not fire on its witness at %s:\n%s", r->id, w->at, f.text);
		kup_evidence_free(ev);
		kup_buf_release(&prof);
	}
	kup_kb_free(kb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dockershim_fires_with_pool_evidence),
		cmocka_unit_test(empty_evidence_fires_only_always_rules),
		cmocka_unit_test(kubelet_skew_boundary),
		cmocka_unit_test(provider_filter_and_node_os),
		cmocka_unit_test(object_evidence),
		cmocka_unit_test(webhook_v1beta1_defaults_to_ignore),
		cmocka_unit_test(eks_ebs_csi_needs_driver_absent),
		cmocka_unit_test(helm_kube_version_trap),
		cmocka_unit_test(workload_and_node_evidence),
		cmocka_unit_test(detector_semantics),
		cmocka_unit_test(callback_status_stops_and_bad_args),
		cmocka_unit_test(many_objects),
		cmocka_unit_test(every_risk_has_a_witness),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
