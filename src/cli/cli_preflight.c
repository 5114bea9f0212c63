/* cli_preflight.c - the pre-flight options of scan (cli_preflight.h). */
#include <stdlib.h>
#include <string.h>

#include "cli_preflight.h"
#include "kupgrade/kbplan.h"

#define ALLOWED_REGISTRIES                                                                   \
	{ CLI_OPT_ALLOWED_REGISTRIES, 0, "allowed-registries", CLI_ARG, "LIST",                    \
	  "comma-separated registries (or registry/path prefixes) images may come from; "          \
	  "implies --preflight", NULL, CLI_HINT_NONE, NULL, NULL }

const struct cli_opt cli_preflight_opts[] = {
	{ CLI_OPT_PREFLIGHT, 0, "preflight", CLI_NOARG, NULL,
	  "also run the pre-flight checks (webhooks without endpoints, PDBs at 0, CRD stored "
	  "versions, node skew, APIServices)", NULL, CLI_HINT_NONE, NULL, NULL },
	ALLOWED_REGISTRIES,
	CLI_OPT_END,
};

const struct cli_opt cli_allowed_registries_opt[] = {
	ALLOWED_REGISTRIES,
	CLI_OPT_END,
};

void cli_preflight_init(struct cli_preflight *p)
{
	memset(p, 0, sizeof(*p));
}

static bool add_registries(struct cli_preflight *p, const char *list)
{
	const char *s = list;

	while (*s) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		char **v;

		while (n > 0 && (*s == ' '))
			s++, n--;
		while (n > 0 && s[n - 1] == ' ')
			n--;
		if (n > 0) {
			v = kup_xrealloc_array(p->allowed, p->nallowed + 1, sizeof(*v));
			if (!v)
				return false;
			p->allowed = v;
			p->allowed[p->nallowed] = kup_strndup(s, n);
			if (!p->allowed[p->nallowed])
				return false;
			p->nallowed++;
		}
		if (!e)
			break;
		s = e + 1;
	}
	return true;
}

bool cli_preflight_option(struct cli_preflight *p, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_PREFLIGHT:
		p->enabled = true;
		return true;
	case CLI_OPT_ALLOWED_REGISTRIES:
		p->enabled = true;
		if (!add_registries(p, arg)) {
			cli_error("out of memory");
			p->bad = true;
		} else if (p->nallowed == 0) {
			cli_error("--allowed-registries: name at least one registry");
			p->bad = true;
		}
		return true;
	default:
		return false;
	}
}

static enum kup_status tee(void *ctx, const struct kup_object *obj)
{
	struct cli_preflight *p = ctx;
	enum kup_status st = kup_preflight_object(p->pf, obj);

	if (st != KUP_OK)
		return st;
	return p->next(p->next_ctx, obj);
}

static int skew_older(void *ctx, const char *component, const struct kup_version *apiserver)
{
	return kup_kb_skew_older(ctx, component, apiserver);
}

bool cli_preflight_tee(struct cli_preflight *p, const struct kup_kb *kb,
		       const struct kup_version *target, kup_object_fn *fn, void **ctx)
{
	struct kup_preflight_opts o;

	if (!p->enabled)
		return true;
	kup_preflight_opts_init(&o);
	o.target = *target;
	o.allowed_registries = (const char *const *)p->allowed;
	o.nallowed = p->nallowed;
	o.skew_older = skew_older;
	o.skew_ctx = (void *)kb;
	if (kup_preflight_new(kb, &o, &p->pf) != KUP_OK) {
		cli_error("out of memory");
		return false;
	}
	p->kb = kb;
	p->next = *fn;
	p->next_ctx = *ctx;
	*fn = tee;
	*ctx = p;
	return true;
}

bool cli_preflight_finish(struct cli_preflight *p, const char *server_version,
			  struct kup_report *rep)
{
	size_t i, n;

	if (!p->pf)
		return true;
	if (server_version) {
		struct kup_version v;
		if (kup_version_parse(server_version, &v, NULL) == KUP_OK)
			kup_preflight_set_server(p->pf, &v);
	}
	if (kup_preflight_finish(p->pf) != KUP_OK) {
		cli_error("pre-flight checks: out of memory");
		return false;
	}
	n = kup_preflight_count(p->pf);
	p->items = kup_xrealloc_array(NULL, n ? n : 1, sizeof(*p->items));
	if (!p->items) {
		cli_error("pre-flight checks: out of memory");
		return false;
	}
	for (i = 0; i < n; i++)
		kup_report_item_from_preflight(&p->items[i], kup_preflight_at(p->pf, i));
	rep->items = p->items;
	rep->nitems = n;
	rep->passes |= 1u << KUP_ITEM_PREFLIGHT;
	return true;
}

void cli_preflight_release(struct cli_preflight *p)
{
	size_t i;

	for (i = 0; i < p->nallowed; i++)
		free(p->allowed[i]);
	free(p->allowed);
	kup_preflight_free(p->pf);
	free(p->items);
	memset(p, 0, sizeof(*p));
}
