/*
 * collect.c - every listable resource of a cluster into one page stream
 * (see live.h), the ingest adaptor, and /metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/ingest.h"
#include "kupgrade/live.h"
#include "live_int.h"

void kup_live_opts_init(struct kup_live_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->limit = 500;
}

bool kup_live_wants(const struct kup_kube_resource *res, const char *namespace_)
{
	if (!res->preferred || !res->listable)
		return false;
	if (strcmp(res->name, "events") == 0 &&
	    (strcmp(res->group, "") == 0 || strcmp(res->group, "events.k8s.io") == 0))
		return false;
	if (strcmp(res->group, "") == 0 && strcmp(res->name, "componentstatuses") == 0)
		return false;
	if (namespace_ && *namespace_ && !res->namespaced)
		return false;
	return true;
}

/* A failure after which listing more resources is pointless. */
static bool fatal(enum kup_kube_fail f)
{
	return f == KUP_KUBE_CONNECT || f == KUP_KUBE_TLS || f == KUP_KUBE_UNAUTHORIZED ||
	       f == KUP_KUBE_CREDENTIALS || f == KUP_KUBE_TIMEOUT;
}

struct counting {
	kup_kube_page_fn fn;
	void *ctx;
	size_t items, pages;
	const volatile sig_atomic_t *cancel;
	const struct kup_live_opts *o;
	const struct kup_kube_resource *res;
	const struct kup_live_stats *before;  /* the resources done */
};

static enum kup_status count_page(void *ctx, const struct kup_kube_page *pg)
{
	struct counting *c = ctx;
	enum kup_status st;

	if (c->cancel && *c->cancel)
		return KUP_STOP;
	c->items += pg->nitems;
	c->pages++;
	st = c->fn(c->ctx, pg);
	if (c->o->on_page) {
		struct kup_live_stats now = *c->before;
		now.items += c->items;
		now.pages += c->pages;
		c->o->on_page(c->o->progress_ctx, c->res, &now);
	}
	return st;
}

enum kup_status kup_live_collect(struct kup_kube *k, const struct kup_kube_discovery *d,
				 const struct kup_live_opts *o, kup_kube_page_fn fn, void *ctx,
				 struct kup_live_stats *stats, struct kup_error *err)
{
	struct kup_live_opts def;
	struct kup_live_stats local;
	size_t i;

	if (!o) {
		kup_live_opts_init(&def);
		o = &def;
	}
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	stats->namespaces = -1;
	stats->nodes = -1;
	for (i = 0; i < d->nres; i++) {
		const struct kup_kube_resource *res = &d->res[i];
		struct kup_kube_list_opts lo;
		struct counting c = { fn, ctx, 0, 0, o->cancel, o, res, stats };
		struct kup_error e = KUP_ERROR_INIT;
		enum kup_status st;

		if (!kup_live_wants(res, o->namespace_))
			continue;
		if (o->cancel && *o->cancel)
			return kup_error_set(err, KUP_STOP, NULL, 0, 0, "interrupted");
		kup_kube_list_opts_init(&lo);
		lo.namespace_ = o->namespace_ && *o->namespace_ ? o->namespace_ : NULL;
		if (o->limit)
			lo.limit = o->limit;
		if (!o->all_secrets && strcmp(res->group, "") == 0 && strcmp(res->name, "secrets") == 0) {
			lo.field_selector = "type=helm.sh/release.v1";
			/* release records are large: smaller pages */
			if (lo.limit > 50)
				lo.limit = 50;
		}
		st = kup_kube_list(k, res, &lo, count_page, &c, &e);
		stats->items += c.items;
		stats->pages += c.pages;
		if (st == KUP_OK) {
			stats->resources++;
			if (strcmp(res->group_version, "v1") == 0 && strcmp(res->name, "namespaces") == 0)
				stats->namespaces = (long)c.items;
			else if (strcmp(res->group_version, "v1") == 0 && strcmp(res->name, "nodes") == 0)
				stats->nodes = (long)c.items;
			if (o->progress)
				o->progress(o->progress_ctx, res, c.items);
			kup_error_release(&e);
			continue;
		}
		if ((st == KUP_IO && !fatal(kup_kube_last_fail(k))) || st == KUP_PARSE) {
			/* this resource is skipped, named, and the rest goes on */
			struct kup_error rep = KUP_ERROR_INIT;
			stats->skipped++;
			kup_error_set(&rep, st, NULL, 0, 0, "%s; skipped %s (%s)%s",
				      e.msg ? e.msg : kup_strerror(st), res->name, res->group_version,
				      c.items ? " after a partial list" : "");
			kup_error_emit(&o->errors, &rep);
			kup_error_release(&rep);
			kup_error_release(&e);
			continue;
		}
		kup_error_release(err);
		*err = e;
		if (st == KUP_STOP && !err->msg)
			kup_error_set(err, st, NULL, 0, 0, "interrupted");
		return st;
	}
	return KUP_OK;
}

enum kup_status kup_live_ingest_page(void *ingest, const struct kup_kube_page *page)
{
	return kup_ingest_mem(ingest, page->path, page->text, page->len);
}

enum kup_status kup_live_relay_object(void *relay, const struct kup_object *obj)
{
	struct kup_live_relay *r = relay;
	struct kup_object o = *obj;

	if (o.src.type != KUP_SRC_HELM_RELEASE) {
		o.src.line = 0;
		o.src.column = 0;
	}
	return r->fn(r->ctx, &o);
}

/* ---- /metrics --------------------------------------------------------- */

/* Reads label="value" pairs up to '}'; fills the four labels we want. */
static const char *parse_labels(const char *p, const char *end, struct kup_buf *vals,
				size_t off[4], bool have[4])
{
	static const char *const want[4] = { "group", "version", "resource", "subresource" };

	for (;;) {
		const char *ks;
		size_t kl, i;
		int which = -1;

		while (p < end && (*p == ' ' || *p == ','))
			p++;
		if (p < end && *p == '}')
			return p + 1;
		ks = p;
		while (p < end && *p != '=' && *p != '}' && *p != '\n')
			p++;
		if (p >= end || *p != '=' || p + 1 >= end || p[1] != '"')
			return NULL;
		kl = (size_t)(p - ks);
		for (i = 0; i < 4; i++)
			if (strlen(want[i]) == kl && memcmp(want[i], ks, kl) == 0)
				which = (int)i;
		p += 2;
		if (which >= 0) {
			off[which] = vals->len;
			have[which] = true;
		}
		while (p < end && *p != '"' && *p != '\n') {
			char c = *p;
			if (c == '\\' && p + 1 < end) {
				p++;
				c = *p == 'n' ? '\n' : *p;
			}
			if (which >= 0)
				kup_buf_addc(vals, c);
			p++;
		}
		if (p >= end || *p != '"')
			return NULL;
		p++;
		if (which >= 0)
			kup_buf_addc(vals, '\0');
	}
}

enum kup_status kup_live_metrics_parse(const char *text, size_t len, const char *path,
				       const struct kup_kube_discovery *d, kup_object_fn fn,
				       void *ctx, size_t *count)
{
	static const char metric[] = "apiserver_requested_deprecated_apis{";
	const char *p = text, *end = text + len;
	struct kup_buf vals = KUP_BUF_INIT, seen = KUP_BUF_INIT;
	enum kup_status st = KUP_OK;
	size_t n = 0;

	kup_buf_init(&vals);
	kup_buf_init(&seen);
	while (p < end && st == KUP_OK) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *q;
		size_t off[4] = { 0, 0, 0, 0 };
		bool have[4] = { false, false, false, false };
		struct kup_buf gv = KUP_BUF_INIT, key = KUP_BUF_INIT;
		const char *group, *version, *resource, *kind;
		const struct kup_kube_resource *r = NULL;
		struct kup_object obj;
		double value;
		char *vend;

		if (!eol)
			eol = end;
		if ((size_t)(eol - p) <= sizeof(metric) - 1 || memcmp(p, metric, sizeof(metric) - 1) != 0)
			goto next;
		kup_buf_reset(&vals);
		q = parse_labels(p + sizeof(metric) - 1, eol, &vals, off, have);
		if (!q || !have[1] || !have[2] || vals.oom)
			goto next;
		{
			char num[64];
			size_t nl;
			while (q < eol && *q == ' ')
				q++;
			nl = (size_t)(eol - q) < sizeof(num) - 1 ? (size_t)(eol - q) : sizeof(num) - 1;
			memcpy(num, q, nl);
			num[nl] = '\0';
			value = strtod(num, &vend);
			if (vend == num || value == 0.0)
				goto next;
		}
		group = have[0] ? vals.buf + off[0] : "";
		version = vals.buf + off[1];
		resource = vals.buf + off[2];
		if (!*version || !*resource)
			goto next;
		if (*group)
			kup_buf_addf(&gv, "%s/%s", group, version);
		else
			kup_buf_adds(&gv, version);
		kup_buf_addf(&key, "\n%s %s\n", gv.buf ? gv.buf : "", resource);
		if (gv.oom || key.oom) {
			kup_buf_release(&gv);
			kup_buf_release(&key);
			st = KUP_NOMEM;
			break;
		}
		if (seen.len && strstr(seen.buf, key.buf)) {
			kup_buf_release(&gv);
			kup_buf_release(&key);
			goto next;   /* one object per group/version/resource (subresources folded) */
		}
		kup_buf_add(&seen, key.buf, key.len);
		if (d)
			r = kup_kube_discovery_find(d, gv.buf, resource);
		kind = r ? r->kind : resource;
		memset(&obj, 0, sizeof(obj));
		obj.api_version = kup_str_c(gv.buf);
		obj.kind = kup_str_c(kind);
		obj.src.type = KUP_SRC_METRICS;
		obj.src.path = path;
		st = fn(ctx, &obj);
		n++;
		kup_buf_release(&gv);
		kup_buf_release(&key);
next:
		p = eol + 1;
	}
	if (vals.oom || seen.oom)
		st = KUP_NOMEM;
	kup_buf_release(&vals);
	kup_buf_release(&seen);
	if (count)
		*count = n;
	return st;
}

enum kup_status kup_live_metrics(struct kup_kube *k, const struct kup_kube_discovery *d,
				 kup_object_fn fn, void *ctx, size_t *count, struct kup_error *err)
{
	struct kup_kube_resp resp;
	struct kup_buf path = KUP_BUF_INIT;
	enum kup_status st;

	if (count)
		*count = 0;
	kup_kube_resp_init(&resp);
	st = kup_kube_get(k, "/metrics", &resp, err);
	if (st != KUP_OK) {
		if (resp.fail == KUP_KUBE_FORBIDDEN || resp.fail == KUP_KUBE_NOT_FOUND) {
			char *msg = err->msg;
			err->msg = NULL;
			kup_error_set(err, KUP_NOTFOUND, NULL, 0, 0,
				      "deprecated API requests not checked: %s", msg ? msg : "");
			free(msg);
			st = KUP_NOTFOUND;
		}
		goto out;
	}
	kup_buf_addf(&path, "%s/metrics", kup_kube_server(k));
	if (path.oom) {
		st = kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
		goto out;
	}
	st = kup_live_metrics_parse(resp.body.buf ? resp.body.buf : "", resp.body.len, path.buf, d,
				    fn, ctx, count);
	if (st == KUP_NOMEM)
		kup_error_set(err, st, NULL, 0, 0, "out of memory");
out:
	kup_buf_release(&path);
	kup_kube_resp_release(&resp);
	return st;
}

size_t kup_live_check_empty(const struct kup_kube_discovery *d, const struct kup_live_stats *stats,
			    const struct kup_error_sink *sink)
{
	size_t n = 0, i;
	bool named = false;

	if (d) {
		for (i = 0; i < d->ngvs; i++)
			if (d->gvs[i].group && *d->gvs[i].group)
				named = true;
		if (d->ngvs == 0) {
			kup_error_report(sink, KUP_PARSE, NULL, 0, 0,
					 "the API server's discovery lists no API group versions: "
					 "nothing could be read");
			n++;
		} else if (d->nres == 0) {
			kup_error_report(sink, KUP_PARSE, NULL, 0, 0,
					 "the API server's discovery lists no resources: "
					 "nothing could be read");
			n++;
		} else if (!named) {
			kup_error_report(sink, KUP_PARSE, NULL, 0, 0,
					 "the API server's discovery lists no API groups besides the "
					 "core one (no apps, batch, networking.k8s.io...): "
					 "their objects could not be read");
			n++;
		}
	}
	if (stats && stats->namespaces == 0) {
		kup_error_report(sink, KUP_PARSE, NULL, 0, 0,
				 "the cluster answered an empty list of namespaces: a cluster has "
				 "at least default and kube-system");
		n++;
	}
	if (stats && stats->nodes == 0) {
		kup_error_report(sink, KUP_PARSE, NULL, 0, 0,
				 "the cluster answered an empty list of nodes");
		n++;
	}
	return n;
}
