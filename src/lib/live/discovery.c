/*
 * discovery.c - /version, /api, /apis and each group version's resources
 * (see kube.h for which resources are `preferred`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/json.h"
#include "kupgrade/kube.h"
#include "live_int.h"

struct disc {
	struct kup_kube_discovery *d;
	size_t gcap, rcap;
	struct kup_arena tmp;
	struct kup_read_limits lim;
};

void kup_kube_discovery_free(struct kup_kube_discovery *d)
{
	if (!d)
		return;
	free(d->version_json);
	free(d->gvs);
	free(d->res);
	kup_arena_release(&d->arena);
	free(d);
}

static enum kup_status parse_body(struct disc *ds, const struct kup_kube_resp *resp,
				  const char *path, struct kup_node **root, struct kup_error *err)
{
	struct kup_error e = KUP_ERROR_INIT;
	enum kup_status st;

	kup_arena_reset(&ds->tmp);
	st = kup_json_parse(resp->body.buf ? resp->body.buf : "", resp->body.len, &ds->lim,
			    &ds->tmp, root, &e);
	if (st != KUP_OK)
		kup_error_set(err, KUP_PARSE, NULL, 0, 0, "cannot parse the answer to GET %s: %s",
			      path, e.msg ? e.msg : kup_strerror(st));
	kup_error_release(&e);
	return st;
}

static enum kup_status add_gv(struct disc *ds, const char *group, const char *gv, bool preferred)
{
	struct kup_kube_discovery *d = ds->d;
	struct kup_kube_group_version *g;

	if (!kup_grow(&d->gvs, &ds->gcap, d->ngvs + 1, sizeof(*d->gvs), 32))
		return KUP_NOMEM;
	g = &d->gvs[d->ngvs];
	memset(g, 0, sizeof(*g));
	g->group = kup_arena_strdup(&d->arena, group);
	g->group_version = kup_arena_strdup(&d->arena, gv);
	g->preferred = preferred;
	if (!g->group || !g->group_version)
		return KUP_NOMEM;
	d->ngvs++;
	return KUP_OK;
}

static enum kup_status read_resources(struct disc *ds, struct kup_kube *k, size_t gi,
				      struct kup_kube_resp *resp, struct kup_error *err)
{
	struct kup_kube_discovery *d = ds->d;
	struct kup_kube_group_version *g = &d->gvs[gi];
	struct kup_buf path = KUP_BUF_INIT;
	struct kup_node *root = NULL;
	const struct kup_node *list;
	struct kup_error e = KUP_ERROR_INIT;
	enum kup_status st;
	size_t i, j;
	const char *version = strchr(g->group_version, '/');

	version = version ? version + 1 : g->group_version;
	kup_buf_addf(&path, "%s/%s", *g->group ? "/apis" : "/api", g->group_version);
	if (path.oom)
		return KUP_NOMEM;
	st = kup_kube_get(k, path.buf, resp, &e);
	if (st == KUP_OK)
		st = parse_body(ds, resp, path.buf, &root, &e);
	if (st != KUP_OK) {
		/* an unavailable aggregated API: noted, the rest goes on */
		g->error = kup_arena_strdup(&d->arena, e.msg ? e.msg : kup_strerror(st));
		kup_error_release(&e);
		kup_buf_release(&path);
		/* but a server that refuses us altogether is an error */
		if (resp->fail == KUP_KUBE_UNAUTHORIZED || resp->fail == KUP_KUBE_CONNECT ||
		    resp->fail == KUP_KUBE_TLS || resp->fail == KUP_KUBE_CREDENTIALS) {
			kup_error_set(err, KUP_IO, NULL, 0, 0, "%s", g->error ? g->error : "failed");
			return KUP_IO;
		}
		return g->error ? KUP_OK : KUP_NOMEM;
	}
	kup_buf_release(&path);
	list = kup_node_get(root, "resources");
	if (!list || list->kind != KUP_NODE_SEQ)
		return KUP_OK;
	for (i = 0; i < list->len; i++) {
		const struct kup_node *r = list->u.items[i], *verbs;
		const char *name = kup_node_str(kup_node_get(r, "name"));
		const char *kind = kup_node_str(kup_node_get(r, "kind"));
		struct kup_kube_resource *res;
		struct kup_buf vb = KUP_BUF_INIT;
		bool ns = false;

		if (!name || !kind || strchr(name, '/'))
			continue;   /* subresources */
		kup_node_bool(kup_node_get(r, "namespaced"), &ns);
		if (!kup_grow(&d->res, &ds->rcap, d->nres + 1, sizeof(*d->res), 128))
			return KUP_NOMEM;
		res = &d->res[d->nres];
		memset(res, 0, sizeof(*res));
		res->group = g->group;
		res->group_version = g->group_version;
		res->version = kup_arena_strdup(&d->arena, version);
		res->name = kup_arena_strdup(&d->arena, name);
		res->kind = kup_arena_strdup(&d->arena, kind);
		res->namespaced = ns;
		verbs = kup_node_get(r, "verbs");
		kup_buf_init(&vb);
		if (verbs && verbs->kind == KUP_NODE_SEQ)
			for (j = 0; j < verbs->len; j++) {
				const char *v = kup_node_str(verbs->u.items[j]);
				if (!v)
					continue;
				if (strcmp(v, "list") == 0)
					res->listable = true;
				kup_buf_addf(&vb, "%s%s", vb.len ? "," : "", v);
			}
		res->verbs = vb.oom ? NULL : kup_arena_strdup(&d->arena, vb.buf);
		kup_buf_release(&vb);
		if (!res->version || !res->name || !res->kind || !res->verbs)
			return KUP_NOMEM;
		d->nres++;
	}
	return KUP_OK;
}

static bool seen_in_group(const struct kup_kube_discovery *d, const char *group, const char *name,
			  bool other_group)
{
	size_t i;

	for (i = 0; i < d->nres; i++) {
		const struct kup_kube_resource *r = &d->res[i];
		if (!r->preferred || strcmp(r->name, name) != 0)
			continue;
		if (other_group ? strcmp(r->group, group) != 0 : strcmp(r->group, group) == 0)
			return true;
	}
	return false;
}

static void mark_preferred(struct kup_kube_discovery *d)
{
	size_t g, i, pass;

	/* per group: the preferred version first, then the others in server order */
	for (pass = 0; pass < 2; pass++)
		for (g = 0; g < d->ngvs; g++) {
			if (d->gvs[g].preferred != (pass == 0))
				continue;
			for (i = 0; i < d->nres; i++) {
				struct kup_kube_resource *r = &d->res[i];
				if (r->group_version != d->gvs[g].group_version)
					continue;
				if (!seen_in_group(d, r->group, r->name, false))
					r->preferred = true;
			}
		}
	/* the legacy extensions group aliases resources other groups serve */
	for (i = 0; i < d->nres; i++) {
		struct kup_kube_resource *r = &d->res[i];
		if (r->preferred && strcmp(r->group, "extensions") == 0 &&
		    seen_in_group(d, "extensions", r->name, true))
			r->preferred = false;
	}
}

enum kup_status kup_kube_discover(struct kup_kube *k, struct kup_kube_discovery **out,
				  struct kup_error *err)
{
	struct disc ds;
	struct kup_kube_resp resp;
	struct kup_node *root = NULL;
	const struct kup_node *n;
	enum kup_status st;
	size_t i, j, ncore;

	*out = NULL;
	memset(&ds, 0, sizeof(ds));
	ds.d = kup_calloc(1, sizeof(*ds.d));
	if (!ds.d)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	kup_arena_init(&ds.d->arena, 65536);
	kup_arena_init(&ds.tmp, 65536);
	kup_read_limits_default(&ds.lim);
	kup_kube_resp_init(&resp);

	st = kup_kube_get(k, "/version", &resp, err);
	if (st != KUP_OK)
		goto out;
	if ((st = parse_body(&ds, &resp, "/version", &root, err)) != KUP_OK)
		goto out;
	st = KUP_NOMEM;
	{
		struct kup_buf b = KUP_BUF_INIT;
		kup_node_to_json(root, &b);
		if (b.oom) {
			kup_buf_release(&b);
			goto out;
		}
		ds.d->version_json = kup_buf_detach(&b, NULL);
		if (!ds.d->version_json)
			goto out;
	}
	ds.d->git_version = kup_arena_strdup(&ds.d->arena,
					     kup_node_str(kup_node_get(root, "gitVersion"))
						     ? kup_node_str(kup_node_get(root, "gitVersion"))
						     : "");
	if (!ds.d->git_version)
		goto out;

	st = kup_kube_get(k, "/api", &resp, err);
	if (st != KUP_OK)
		goto out;
	if ((st = parse_body(&ds, &resp, "/api", &root, err)) != KUP_OK)
		goto out;
	n = kup_node_get(root, "versions");
	for (i = 0; n && n->kind == KUP_NODE_SEQ && i < n->len; i++) {
		const char *v = kup_node_str(n->u.items[i]);
		if (v && (st = add_gv(&ds, "", v, i == 0)) != KUP_OK)
			goto out;
	}
	ncore = ds.d->ngvs;

	st = kup_kube_get(k, "/apis", &resp, err);
	if (st != KUP_OK)
		goto out;
	if ((st = parse_body(&ds, &resp, "/apis", &root, err)) != KUP_OK)
		goto out;
	n = kup_node_get(root, "groups");
	for (i = 0; n && n->kind == KUP_NODE_SEQ && i < n->len; i++) {
		const struct kup_node *g = n->u.items[i];
		const char *name = kup_node_str(kup_node_get(g, "name"));
		const char *pref = kup_node_str(kup_node_path(g, "preferredVersion", "groupVersion", NULL));
		const struct kup_node *vs = kup_node_get(g, "versions");
		if (!name || !vs || vs->kind != KUP_NODE_SEQ)
			continue;
		for (j = 0; j < vs->len; j++) {
			const char *gv = kup_node_str(kup_node_get(vs->u.items[j], "groupVersion"));
			if (!gv)
				continue;
			st = add_gv(&ds, name, gv, pref ? strcmp(gv, pref) == 0 : j == 0);
			if (st != KUP_OK)
				goto out;
		}
	}
	(void)ncore;
	for (i = 0; i < ds.d->ngvs; i++) {
		st = read_resources(&ds, k, i, &resp, err);
		if (st != KUP_OK)
			goto out;
	}
	mark_preferred(ds.d);
	if (kup_arena_failed(&ds.d->arena)) {
		st = KUP_NOMEM;
		goto out;
	}
	*out = ds.d;
	ds.d = NULL;
	st = KUP_OK;
out:
	if (st == KUP_NOMEM && !err->msg)
		kup_error_set(err, st, NULL, 0, 0, "out of memory");
	kup_kube_resp_release(&resp);
	kup_arena_release(&ds.tmp);
	kup_kube_discovery_free(ds.d);
	return st;
}

const struct kup_kube_resource *kup_kube_discovery_find(const struct kup_kube_discovery *d,
							const char *group_version,
							const char *name)
{
	size_t i;

	for (i = 0; i < d->nres; i++)
		if (strcmp(d->res[i].group_version, group_version) == 0 &&
		    strcmp(d->res[i].name, name) == 0)
			return &d->res[i];
	return NULL;
}

bool kup_kube_discovery_serves(const struct kup_kube_discovery *d, const char *group_version)
{
	size_t i;

	for (i = 0; i < d->ngvs; i++)
		if (strcmp(d->gvs[i].group_version, group_version) == 0 && !d->gvs[i].error)
			return true;
	return false;
}

void kup_kube_discovery_to_json(const struct kup_kube_discovery *d, struct kup_buf *out)
{
	size_t g, i;

	kup_buf_adds(out, "{\"serverVersion\":");
	kup_buf_adds(out, d->version_json ? d->version_json : "{}");
	kup_buf_adds(out, ",\"groupVersions\":[");
	for (g = 0; g < d->ngvs; g++) {
		bool first = true;
		if (g)
			kup_buf_addc(out, ',');
		kup_buf_adds(out, "{\"groupVersion\":");
		kup_live_json_str(out, d->gvs[g].group_version);
		kup_buf_addf(out, ",\"preferred\":%s", d->gvs[g].preferred ? "true" : "false");
		if (d->gvs[g].error) {
			kup_buf_adds(out, ",\"error\":");
			kup_live_json_str(out, d->gvs[g].error);
		}
		kup_buf_adds(out, ",\"resources\":[");
		for (i = 0; i < d->nres; i++) {
			const struct kup_kube_resource *r = &d->res[i];
			const char *v = r->verbs, *c;
			if (r->group_version != d->gvs[g].group_version)
				continue;
			if (!first)
				kup_buf_addc(out, ',');
			first = false;
			kup_buf_adds(out, "{\"name\":");
			kup_live_json_str(out, r->name);
			kup_buf_adds(out, ",\"kind\":");
			kup_live_json_str(out, r->kind);
			kup_buf_addf(out, ",\"namespaced\":%s,\"verbs\":[",
				     r->namespaced ? "true" : "false");
			while (v && *v) {
				char verb[128];
				c = strchr(v, ',');
				snprintf(verb, sizeof(verb), "%.*s",
					 (int)(c ? (size_t)(c - v) : strlen(v)), v);
				if (v != r->verbs)
					kup_buf_addc(out, ',');
				kup_live_json_str(out, verb);
				v = c ? c + 1 : NULL;
			}
			kup_buf_adds(out, "]}");
		}
		kup_buf_adds(out, "]}");
	}
	kup_buf_adds(out, "]}");
}
