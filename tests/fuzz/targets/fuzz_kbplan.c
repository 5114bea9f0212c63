/*
 * fuzz_kbplan.c - the knowledge-base loader on one arbitrary file (any of
 * the planning schemas, or none): it loads or reports problems, never
 * crashes; what loads answers every query and evaluates its risks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kupgrade/kbplan.h"
#include "kupgrade/kbrules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ctx, const struct kup_error *err)
{
	(void)ctx;
	if (!err->msg)
		abort();
}

static enum kup_status on_risk(void *ctx, const struct kup_risk_rule *rule,
			       const struct kup_version *at, const char *evidence)
{
	(void)ctx;
	(void)at;
	if (!rule->id || !evidence || !evidence[0])
		abort();
	return KUP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	char path[128];
	struct kup_error_sink sink = { ignore, NULL };
	struct kup_kb *kb = NULL;
	struct kup_evidence *ev;
	struct kup_version v;
	size_t n = 0, i, j;
	FILE *fp;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/kup-fuzz-kbplan-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/kb.yaml", dir);
	fp = fopen(path, "wb");
	if (!fp)
		abort();
	if (size && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);
	if (kup_kb_load_dir(dir, &kb, &sink, &n) != KUP_OK) {
		if (kb)
			abort();
		return 0;
	}
	if (n)
		abort();
	memset(&v, 0, sizeof(v));
	v.valid = true;
	v.major = 1;
	v.minor = 30;
	(void)kup_kb_skew_older(kb, "kubelet", &v);
	(void)kup_kb_cp_max_hop(kb);
	for (i = 0; i < kup_kb_addon_count(kb); i++) {
		const struct kup_addon_rule *a = kup_kb_addon_at(kb, i);
		if (kup_kb_find_addon(kb, a->name) != a)
			abort();
		for (j = 0; j < a->nreleases; j++)
			if (kup_addon_release_for(a, &a->releases[j].version) == NULL)
				abort();
	}
	for (i = 0; i < kup_kb_provider_release_count(kb); i++)
		(void)kup_kb_provider_release_at(kb, i);
	{
		static const char *const provs[] = { "generic", "eks", "gke", "aks", "kubeadm", "all" };
		struct kup_buf b = KUP_BUF_INIT;
		struct kup_cmd_vars cv = { "c", "1.29", "1.30", "p", "a", "v1", "f", "rapid",
					   "1", "0", "1", "0" };

		for (i = 0; i < 6; i++) {
			const struct kup_provider_rules *r = kup_kb_provider_rules(kb, provs[i]);

			if (!r)
				continue;
			(void)kup_rules_node_skew(r, &v);
			(void)kup_rules_etcd(r, &v);
			(void)kup_rules_node_image(r, "Amazon Linux 2");
			(void)kup_rules_runtime(r, "docker://20.10.7");
			for (j = 0; j < r->nmanaged_addons; j++)
				if (!kup_rules_managed_addon(r, r->managed_addons[j].addon,
							     &r->managed_addons[j].k8s))
					abort();
			kup_rules_expand(r->commands.control_plane, &cv, &b);
			kup_rules_expand(r->commands.nodepool, &cv, &b);
			kup_rules_expand(r->commands.addon, &cv, &b);
			kup_rules_expand(r->commands.channel, &cv, &b);
			for (j = 0; j < r->nchannels; j++)
				if (kup_rules_channel(r, r->channels[j].channel) != &r->channels[j] ||
				    kup_version_cmp_minor(&r->channels[j].k8s_min,
							  &r->channels[j].k8s_max) > 0)
					abort();
		}
		kup_buf_release(&b);
	}
	if (kup_evidence_new(&ev) != KUP_OK)
		abort();
	if (kup_risks_eval(kb, ev, &v, on_risk, NULL) != KUP_OK)
		abort();
	kup_evidence_free(ev);
	kup_kb_free(kb);
	return 0;
}
