/*
 * fuzz_drain.c - `kupgrade drain` over responses taken from the input
 * (kube_fake.h): discovery, the node, the pod list, the PDB lists, the
 * cordon, evictions (201, 429 with Retry-After, 404, 500 ...) and the polls
 * that wait for pods to go.  The first byte chooses the options (dry run,
 * force, emptyDir, on-timeout force).  The drain either fails with a message
 * or gives a result whose counts add up and whose JSON parses back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/drain.h"
#include "kupgrade/json.h"
#include "kube_fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake f;
	struct kup_kubeconfig *cfg = NULL;
	struct kup_kube *k;
	struct kup_drain_opts o;
	struct kup_drain_result res;
	struct kup_error err = KUP_ERROR_INIT;
	const char *nodes[] = { "n1", "n2" };
	unsigned flags = size ? data[0] : 0;
	enum kup_status st;

	if (size)
		data++, size--;
	f.p = (const char *)data;
	f.n = size;
	f.off = 0;
	f.calls = 0;
	k = fake_client(&f, &cfg);
	kup_drain_opts_init(&o);
	o.dry_run = flags & 1;
	o.force = flags & 2;
	o.delete_emptydir_data = flags & 4;
	o.on_timeout = flags & 8 ? KUP_DRAIN_TIMEOUT_FORCE : KUP_DRAIN_TIMEOUT_FAIL;
	o.grace_period = flags & 16 ? 0 : -1;
	o.timeout_ms = 3;
	o.backoff_ms = 1;
	o.max_backoff_ms = 1;
	kup_drain_result_init(&res);
	st = kup_drain(k, nodes, flags & 32 ? 2 : 1, &o, &res, &err);
	if (st != KUP_OK && !err.msg)
		abort();
	{
		size_t counted = res.evicted + res.deleted + res.blocked + res.failed + res.skipped +
				 res.refused;
		struct kup_buf b = KUP_BUF_INIT;
		struct kup_read_limits lim;
		struct kup_arena a;
		struct kup_node *root = NULL;

		if (st == KUP_OK && !o.dry_run && counted > res.npods)
			abort();
		for (size_t i = 0; i < res.npods; i++)
			if (!res.pods[i].name || !res.pods[i].namespace_)
				abort();
		kup_buf_init(&b);
		kup_drain_render(&res, o.dry_run, KUP_EMIT_JSON, &b);
		kup_read_limits_default(&lim);
		kup_arena_init(&a, 4096);
		if (!b.oom && kup_json_parse(b.buf, b.len, &lim, &a, &root, &err) != KUP_OK)
			abort();
		kup_buf_reset(&b);
		kup_drain_render_text(&res, &b);
		kup_arena_release(&a);
		kup_buf_release(&b);
	}
	kup_drain_result_release(&res);
	kup_error_release(&err);
	kup_kube_free(k);
	kup_kubeconfig_free(cfg);
	kup_secret_forget_all();
	return 0;
}
