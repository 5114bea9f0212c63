/* test_profile_dump.c - a ClusterProfile derived from kubectl output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/kb.h"
#include "kupgrade/dump.h"
#include "kupgrade/profile.h"

#define EX KUP_SOURCE_DIR "/examples/cluster/"

static const struct kup_addon_inst *addon(const struct kup_profile *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->naddons; i++)
		if (strcmp(p->addons[i].name, name) == 0)
			return &p->addons[i];
	return NULL;
}

static struct kup_kb *embedded(void)
{
	struct kup_kb *kb = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	assert_int_equal(kup_kb_load_embedded(&kb, &err), KUP_OK);
	kup_error_release(&err);
	return kb;
}

struct counter {
	size_t n;
	char last[300];
};

static void count_fn(void *ctx, const struct kup_error *err)
{
	struct counter *c = ctx;

	c->n++;
	snprintf(c->last, sizeof(c->last), "%s", err->msg);
}

static void derives_the_example_cluster(void **state)
{
	const char *paths[] = { EX "kubectl-get.json", EX "version.json" };
	struct kup_kb *kb = embedded();
	struct kup_profile *p = NULL, *q = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf y = KUP_BUF_INIT;
	const struct kup_addon_inst *a;

	(void)state;
	assert_int_equal(kup_profile_from_dump(kb, paths, 2, &p, &err), KUP_OK);
	assert_string_equal(p->name, "prod-eu-1");
	assert_int_equal(p->provider, KUP_PROVIDER_EKS);
	assert_string_equal(p->cp_version_text, "v1.27.8-eks-8cb36c9");
	assert_int_equal(p->control_plane.minor, 27);
	assert_int_equal(p->npools, 2);
	assert_string_equal(p->pools[1].name, "general");
	assert_int_equal(p->pools[1].count, 4);
	assert_int_equal(p->pools[1].nzones, 3);
	assert_string_equal(p->pools[1].zones[0], "eu-west-1a");
	assert_int_equal(p->pools[1].version.minor, 26);
	assert_string_equal(p->pools[1].os, "Amazon Linux 2");
	assert_string_equal(p->pools[1].runtime, "containerd://1.6.19");
	assert_true(p->pools[1].kube_proxy.valid);
	assert_string_equal(p->pools[0].name, "batch");
	assert_int_equal(p->pools[0].count, 2);
	assert_int_equal(p->naddons, 9);
	a = addon(p, "ingress-nginx");
	assert_non_null(a);
	assert_string_equal(a->version_text, "v1.6.4");     /* tag before the digest */
	assert_string_equal(a->chart_name, "ingress-nginx");
	assert_string_equal(a->chart_version, "4.5.2");
	a = addon(p, "istio");
	assert_string_equal(a->version_text, "1.17.2");
	a = addon(p, "aws-ebs-csi-driver");                 /* controller and node: one add-on */
	assert_string_equal(a->version_text, "v1.25.0");
	a = addon(p, "aws-node");
	assert_string_equal(a->version.pre, "eksbuild.1");
	assert_null(addon(p, "checkout"));                   /* not kube-system, not known */
	assert_null(addon(p, "cert-manager-webhook"));
	/* the profile writes back and parses */
	assert_int_equal(kup_profile_write_yaml(p, &y), KUP_OK);
	assert_int_equal(kup_profile_parse("derived.yaml", y.buf, y.len, &q, &err), KUP_OK);
	assert_int_equal(q->naddons, 9);
	kup_buf_release(&y);
	kup_profile_free(q);
	kup_profile_free(p);
	kup_kb_free(kb);
	kup_error_release(&err);
}

static void the_same_cluster_twice_counts_once(void **state)
{
	const char *paths[] = { EX "kubectl-get.json", EX "version.json", EX "kubectl-get.json" };
	struct kup_kb *kb = embedded();
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	assert_int_equal(kup_profile_from_dump(kb, paths, 3, &p, &err), KUP_OK);
	assert_int_equal(p->npools, 2);
	assert_int_equal(p->pools[0].count, 2);
	assert_int_equal(p->pools[1].count, 4);
	assert_int_equal(p->naddons, 9);
	kup_profile_free(p);
	kup_kb_free(kb);
	kup_error_release(&err);
}

static void without_a_kb_every_kube_system_workload_is_unknown(void **state)
{
	const char *paths[] = { EX "kubectl-get.json", EX "version.json" };
	struct counter w = { 0, "" };
	struct kup_profile_dump_opts o;
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	size_t nerr = 99;

	(void)state;
	kup_profile_dump_opts_init(&o);
	o.warnings.fn = count_fn;
	o.warnings.ctx = &w;
	o.name = "given";
	assert_int_equal(kup_profile_from_dump_opts(NULL, paths, 2, &o, &p, &nerr, &err), KUP_OK);
	assert_int_equal(nerr, 0);
	assert_string_equal(p->name, "given");
	/* coredns, kube-proxy, aws-node, ebs-csi-controller, ebs-csi-node, metrics-server, cluster-autoscaler */
	assert_int_equal(p->naddons, 7);
	/* one per add-on, and one for the pool: without the KB's pool labels every
	 * node is in "default", whose nodes run two kubelet versions */
	assert_int_equal(w.n, 8);
	assert_int_equal(p->npools, 1);
	assert_string_equal(p->pools[0].name, "default");
	assert_non_null(strstr(w.last, "is not in the knowledge base, not checked"));
	assert_non_null(addon(p, "ebs-csi-node"));
	kup_profile_free(p);
	kup_error_release(&err);
}

static void needs_a_server_version(void **state)
{
	const char *paths[] = { EX "kubectl-get.json" };
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	assert_int_equal(kup_profile_from_dump(NULL, paths, 1, &p, &err), KUP_NOTFOUND);
	assert_null(p);
	assert_non_null(strstr(err.msg, "no server version"));
	assert_int_equal(kup_profile_from_dump(NULL, paths, 0, &p, &err), KUP_USAGE);
	kup_error_release(&err);
}

static void malformed_dump_fails_with_position(void **state)
{
	const char *paths[] = { KUP_SOURCE_DIR "/tests/cases/profile-dump-malformed-item/dump.json" };
	const char *missing[] = { KUP_TEST_DATA "/no/such/dump.json" };
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	assert_int_equal(kup_profile_from_dump(NULL, paths, 1, &p, &err), KUP_PARSE);
	assert_null(p);
	assert_int_equal(err.line, 16);
	assert_int_equal(err.column, 45);
	assert_int_equal(kup_profile_from_dump(NULL, missing, 1, &p, &err), KUP_IO);
	kup_error_release(&err);
}

static void providers_and_mixed_pools(void **state)
{
	const char *aks[] = { KUP_TEST_DATA "/profile/aks-dump.yaml" };
	const char *kubeadm[] = { KUP_TEST_DATA "/profile/kubeadm-dump.json" };
	struct kup_kb *kb = embedded();
	struct counter w = { 0, "" };
	struct kup_profile_dump_opts o;
	struct kup_profile *p = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	const struct kup_addon_inst *a;
	size_t nerr = 0;

	(void)state;
	kup_profile_dump_opts_init(&o);
	o.warnings.fn = count_fn;
	o.warnings.ctx = &w;
	/* AKS, read from YAML: agentpool labels; a pool half upgraded is at its oldest */
	assert_int_equal(kup_profile_from_dump_opts(kb, aks, 1, &o, &p, &nerr, &err), KUP_OK);
	assert_int_equal(p->provider, KUP_PROVIDER_AKS);
	assert_string_equal(p->name, "aks-dump");
	assert_int_equal(p->npools, 2);
	assert_string_equal(p->pools[1].name, "user");
	assert_string_equal(p->pools[1].version_text, "v1.28.9");
	assert_int_equal(p->pools[1].count, 2);
	assert_int_equal(p->pools[1].nzones, 2);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.last, "node pool user mixes kubelet versions (1 of 2 nodes at v1.28.9, newest v1.29.4)"));
	a = addon(p, "coredns");
	assert_string_equal(a->version.pre, "hotfix.20240704");
	kup_profile_free(p);
	p = NULL;
	/* kubeadm: control-plane nodes form their own pool; calico's oldest image wins */
	w.n = 0;
	assert_int_equal(kup_profile_from_dump_opts(kb, kubeadm, 1, &o, &p, &nerr, &err), KUP_OK);
	assert_int_equal(p->provider, KUP_PROVIDER_KUBEADM);
	assert_int_equal(p->npools, 2);
	assert_string_equal(p->pools[0].name, "control-plane");
	assert_string_equal(p->pools[1].name, "default");
	assert_false(p->pools[1].kube_proxy.valid);
	assert_int_equal(p->naddons, 1);
	a = addon(p, "calico");
	assert_string_equal(a->version_text, "v3.25.2");
	assert_int_equal(w.n, 2);
	assert_non_null(strstr(w.last, "add-on calico runs at v3.25.2 and v3.26.4: profiled at the oldest"));
	kup_profile_free(p);
	kup_kb_free(kb);
	kup_error_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(derives_the_example_cluster),
		cmocka_unit_test(the_same_cluster_twice_counts_once),
		cmocka_unit_test(without_a_kb_every_kube_system_workload_is_unknown),
		cmocka_unit_test(needs_a_server_version),
		cmocka_unit_test(malformed_dump_fails_with_position),
		cmocka_unit_test(providers_and_mixed_pools),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
