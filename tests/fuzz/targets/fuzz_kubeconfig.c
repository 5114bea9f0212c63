/*
 * fuzz_kubeconfig.c - kup_kubeconfig_load_mem on arbitrary bytes (files it
 * names are not read): either a resolved context with a server and a
 * namespace, or an error with a message; never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kup_kubeconfig_opts o;
	struct kup_kubeconfig *cfg = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	enum kup_status st;

	kup_kubeconfig_opts_init(&o);
	o.no_file_refs = true;
	o.no_in_cluster = true;
	st = kup_kubeconfig_load_mem("fuzz.yaml", (const char *)data, size, &o, &cfg, &err);
	if (st == KUP_OK) {
		if (!cfg || !cfg->server || !cfg->namespace_ || !cfg->context || !cfg->user_name ||
		    (strncmp(cfg->server, "https://", 8) != 0 && strncmp(cfg->server, "http://", 7) != 0))
			abort();
		if (!cfg->cert_data != !cfg->key_data)
			abort();
		if (cfg->exec && (!cfg->exec->command || !*cfg->exec->command))
			abort();
	} else if (cfg || !err.msg) {
		abort();
	}
	kup_kubeconfig_free(cfg);
	kup_error_release(&err);
	return 0;
}
