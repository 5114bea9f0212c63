/*
 * kube_fake.h - a kup_kube client whose requests are answered from the fuzz
 * input (kup_kube_opts.transport), for the discovery and drain targets.
 *
 * The input is a sequence of responses separated by "\n~~\n": each starts
 * with a three-digit status ("200", "429", "000" for an unreachable server),
 * optionally ",SECONDS" for Retry-After, then a newline and the body.
 * Requests past the last response get 404 with an empty body; after 300
 * requests every request fails to connect, so no loop runs for ever.
 */
#ifndef KUP_FUZZ_KUBE_FAKE_H
#define KUP_FUZZ_KUBE_FAKE_H

#include <stdlib.h>
#include <string.h>

#include "kupgrade/kube.h"

struct fake {
	const char *p;
	size_t n, off;
	unsigned calls;
};

static enum kup_status fake_transport(void *ctx, const char *method, const char *url,
				      const char *body, size_t len, struct kup_kube_resp *resp)
{
	struct fake *f = ctx;
	const char *chunk, *end, *nl;
	size_t clen;

	(void)method;
	(void)url;
	(void)body;
	(void)len;
	if (++f->calls > 300) {
		resp->status = 0;
		return KUP_OK;
	}
	if (f->off >= f->n) {
		resp->status = 404;
		return KUP_OK;
	}
	chunk = f->p + f->off;
	clen = f->n - f->off;
	end = NULL;
	for (size_t i = 0; i + 4 <= clen; i++)
		if (memcmp(chunk + i, "\n~~\n", 4) == 0) {
			end = chunk + i;
			break;
		}
	if (!end)
		end = chunk + clen;
	f->off = (size_t)(end - f->p) + (end < f->p + f->n ? 4 : 0);
	resp->status = 0;
	for (int i = 0; i < 3 && chunk + i < end && chunk[i] >= '0' && chunk[i] <= '9'; i++)
		resp->status = resp->status * 10 + (chunk[i] - '0');
	nl = memchr(chunk, '\n', (size_t)(end - chunk));
	if (chunk + 3 < end && chunk[3] == ',') {
		/* digits up to the chunk's end: the input is not NUL-terminated */
		long secs = 0;
		for (const char *q = chunk + 4; q < end && *q >= '0' && *q <= '9' && secs < 100000; q++)
			secs = secs * 10 + (*q - '0');
		resp->retry_after_ms = secs * 1000;
	}
	if (nl)
		kup_buf_add(&resp->body, nl + 1, (size_t)(end - nl - 1));
	return KUP_OK;
}

static const char fake_kubeconfig[] =
	"apiVersion: v1\nkind: Config\ncurrent-context: c\n"
	"clusters: [{name: k, cluster: {server: \"https://127.0.0.1:1\"}}]\n"
	"contexts: [{name: c, context: {cluster: k, user: u}}]\n"
	"users: [{name: u, user: {token: fuzz-token}}]\n";

/* A client answered by f; NULL when it cannot be made. */
static struct kup_kube *fake_client(struct fake *f, struct kup_kubeconfig **cfg)
{
	struct kup_kubeconfig_opts ko;
	struct kup_kube_opts o;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_kube *k = NULL;

	kup_kubeconfig_opts_init(&ko);
	ko.no_in_cluster = true;
	ko.no_file_refs = true;
	if (kup_kubeconfig_load_mem("fuzz", fake_kubeconfig, sizeof(fake_kubeconfig) - 1, &ko, cfg,
				    &err) != KUP_OK)
		abort();
	kup_kube_opts_init(&o);
	o.retries = 1;
	o.backoff_ms = 0;
	o.max_retry_after_ms = 0;
	o.max_body = 1 << 20;
	o.transport = fake_transport;
	o.transport_ctx = f;
	if (kup_kube_new(*cfg, &o, &k, &err) != KUP_OK)
		abort();
	kup_error_release(&err);
	return k;
}

#endif
