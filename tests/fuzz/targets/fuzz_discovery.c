/*
 * fuzz_discovery.c - discovery (/version, /api, /apis, each group version's
 * resources) over responses taken from the input (kube_fake.h): any status,
 * any body, any order.  Discovery either fails with a message, or gives a
 * result whose group versions are named and whose JSON form (what snapshots
 * carry) parses back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/json.h"
#include "kupgrade/kube.h"
#include "kube_fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake f = { (const char *)data, size, 0, 0 };
	struct kup_kubeconfig *cfg = NULL;
	struct kup_kube *k = fake_client(&f, &cfg);
	struct kup_kube_discovery *d = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	if (kup_kube_discover(k, &d, &err) == KUP_OK) {
		struct kup_buf b = KUP_BUF_INIT;
		struct kup_read_limits lim;
		struct kup_arena a;
		struct kup_node *root = NULL;

		if (!d)
			abort();
		kup_buf_init(&b);
		kup_kube_discovery_to_json(d, &b);
		kup_read_limits_default(&lim);
		kup_arena_init(&a, 4096);
		if (!b.oom && kup_json_parse(b.buf, b.len, &lim, &a, &root, &err) != KUP_OK)
			abort();
		for (size_t i = 0; i < d->ngvs; i++)
			if (!d->gvs[i].group_version)
				abort();
		kup_arena_release(&a);
		kup_buf_release(&b);
		kup_kube_discovery_free(d);
	} else if (!err.msg) {
		abort();
	}
	kup_error_release(&err);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_secret_forget_all();
	return 0;
}
