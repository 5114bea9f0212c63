/*
 * fuzz_evidence.c - objects from arbitrary YAML go into the risk evidence
 * (kup_evidence_add_object), then every risk of the embedded knowledge base
 * is evaluated at every minor it knows: nothing crashes, and every evidence
 * string handed to the callback is non-empty and bounded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/kbplan.h"
#include "kupgrade/object.h"
#include "kupgrade/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct kup_object obj;

	if (!doc->root)
		return KUP_OK;
	memset(&obj, 0, sizeof(obj));
	kup_object_from_node(&obj, doc->root);
	obj.src.path = "fuzz.yaml";
	obj.src.line = doc->root->line;
	if (kup_evidence_add_object(ctx, &obj) == KUP_NOMEM)
		abort();
	return KUP_OK;
}

static enum kup_status on_risk(void *ctx, const struct kup_risk_rule *rule,
			       const struct kup_version *at, const char *evidence)
{
	(void)ctx;
	(void)at;
	if (!rule || !rule->id || !evidence || !evidence[0] || strlen(evidence) > 400)
		abort();
	return KUP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kup_kb *kb;
	struct kup_evidence *ev;
	struct kup_yaml_opts opts;
	struct kup_arena arena;
	struct kup_version at;
	size_t nerr = 0;
	int minor;

	if (!kb && kup_kb_load_embedded(&kb, NULL) != KUP_OK)
		abort();
	if (kup_evidence_new(&ev) != KUP_OK)
		abort();
	kup_yaml_opts_init(&opts, "fuzz.yaml");
	kup_arena_init(&arena, 0);
	kup_yaml_read_mem((const char *)data, size, &opts, &arena, on_doc, ev, &nerr);
	kup_arena_release(&arena);
	memset(&at, 0, sizeof(at));
	at.valid = true;
	at.major = 1;
	for (minor = 15; minor <= 40; minor++) {
		at.minor = minor;
		if (kup_risks_eval(kb, ev, &at, on_risk, NULL) != KUP_OK)
			abort();
	}
	kup_evidence_free(ev);
	return 0;
}
