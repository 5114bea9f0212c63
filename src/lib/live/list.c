/*
 * list.c - paginated lists (limit/continue), each page rewritten as a
 * kubectl List whose items carry apiVersion and kind, so the file readers
 * take it as they take `kubectl get -o json` output.
 *
 * The page is not parsed into a tree here: a small structural scanner finds
 * the top-level `metadata` and `items` members and the bounds of each item
 * (strings and brackets only), and the items are copied with
 * `"apiVersion":…,"kind":…,` spliced in after their opening brace.  Only the
 * last item's metadata.namespace/name is read (to resume after a 410).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/json.h"
#include "kupgrade/kube.h"
#include "live_int.h"

void kup_kube_list_opts_init(struct kup_kube_list_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->limit = 500;
	o->max_restarts = 3;
	o->page_bytes = (size_t)8 << 20;
}

void kup_kube_resource_set(struct kup_kube_resource *res, const char *group_version,
			   const char *name, const char *kind, bool namespaced)
{
	const char *slash = strchr(group_version, '/');

	memset(res, 0, sizeof(*res));
	res->group_version = group_version;
	res->group = slash ? NULL : "";
	res->version = slash ? slash + 1 : group_version;
	res->name = name;
	res->kind = kind;
	res->namespaced = namespaced;
	res->listable = true;
	res->preferred = true;
}

static void add_escaped(struct kup_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			kup_buf_addc(out, (char)c);
		} else {
			kup_buf_addc(out, '%');
			kup_buf_addc(out, hex[c >> 4]);
			kup_buf_addc(out, hex[c & 15]);
		}
	}
}

void kup_kube_path(struct kup_buf *out, const struct kup_kube_resource *res,
		   const char *namespace_, const char *name, const char *sub)
{
	if (strchr(res->group_version, '/'))
		kup_buf_addf(out, "/apis/%s", res->group_version);
	else
		kup_buf_addf(out, "/api/%s", res->group_version);
	if (namespace_ && *namespace_ && res->namespaced) {
		kup_buf_adds(out, "/namespaces/");
		add_escaped(out, namespace_);
	}
	kup_buf_addf(out, "/%s", res->name);
	if (name) {
		kup_buf_addc(out, '/');
		add_escaped(out, name);
		if (sub)
			kup_buf_addf(out, "/%s", sub);
	}
}

/* ---- the structural scanner ------------------------------------------- */

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at '"'; returns the byte after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			p++;
			continue;
		}
		if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Returns the byte after the value at p, or NULL when malformed. */
static const char *skip_value(const char *p, const char *end)
{
	size_t depth = 0;

	p = ws(p, end);
	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		const char *s = p;
		while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
		       *p != '\r' && *p != '\t')
			p++;
		return p > s ? p : NULL;
	}
	for (; p < end; p++) {
		switch (*p) {
		case '"':
			p = skip_string(p, end);
			if (!p)
				return NULL;
			p--;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return p + 1;
			break;
		default:
			break;
		}
	}
	return NULL;
}

/*
 * Finds the top-level member `key` of the object [p, end): vs and ve bound
 * its value.  Keys with escapes are compared raw (API keys have none).
 */
static bool find_member(const char *p, const char *end, const char *key, const char **vs,
			const char **ve)
{
	size_t klen = strlen(key);

	p = ws(p, end);
	if (p >= end || *p != '{')
		return false;
	p = ws(p + 1, end);
	while (p < end && *p == '"') {
		const char *ks = p + 1, *ke = skip_string(p, end), *v;
		if (!ke)
			return false;
		p = ws(ke, end);
		if (p >= end || *p != ':')
			return false;
		v = ws(p + 1, end);
		p = skip_value(v, end);
		if (!p)
			return false;
		if ((size_t)(ke - 1 - ks) == klen && memcmp(ks, key, klen) == 0) {
			*vs = v;
			*ve = p;
			return true;
		}
		p = ws(p, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
		else
			break;
	}
	return false;
}

/* "namespace/name" of an item (either may be empty) into key. */
static void item_key(const char *s, const char *e, struct kup_buf *key)
{
	const char *ms, *me;
	static const char *const kn[] = { "name" }, *const kns[] = { "namespace" };
	struct kup_str name = KUP_STR_NULL, ns = KUP_STR_NULL;

	kup_buf_reset(key);
	if (!find_member(s, e, "metadata", &ms, &me))
		return;
	kup_json_peek_strings(ms, (size_t)(me - ms), kns, 1, &ns);
	kup_json_peek_strings(ms, (size_t)(me - ms), kn, 1, &name);
	kup_buf_add(key, ns.p ? ns.p : "", ns.n);
	kup_buf_addc(key, '/');
	kup_buf_add(key, name.p ? name.p : "", name.n);
}

/* ---- listing ---------------------------------------------------------- */

struct pager {
	struct kup_kube *k;
	const struct kup_kube_resource *res;
	struct kup_buf page;        /* the rewritten page */
	struct kup_buf key;         /* scratch */
	struct kup_buf last;        /* key of the last item delivered */
	bool skipping;              /* after a restart: drop items up to `last` */
	char *cont;                 /* continue token of the next page */
	size_t delivered;
};

/*
 * Rewrites one response body into p->page; sets p->cont.  Returns the
 * number of items through *nitems.
 */
static enum kup_status rewrite_page(struct pager *p, const char *body, size_t len,
				    size_t *nitems, struct kup_error *err, const char *url)
{
	const char *end = body + len, *ms, *me, *is, *ie, *q;
	bool typed = false, decided = false;
	size_t n = 0;
	const char *last_s = NULL, *last_e = NULL;

	free(p->cont);
	p->cont = NULL;
	if (find_member(body, end, "metadata", &ms, &me)) {
		static const char *const kc[] = { "continue" };
		struct kup_str c = KUP_STR_NULL;
		if (kup_json_peek_strings(ms, (size_t)(me - ms), kc, 1, &c) && c.n) {
			p->cont = kup_strndup(c.p, c.n);
			if (!p->cont)
				return KUP_NOMEM;
		}
	} else if (!find_member(body, end, "items", &is, &ie)) {
		return kup_error_set(err, KUP_PARSE, NULL, 0, 0,
				     "the list from %s is not a Kubernetes list", url);
	}
	kup_buf_reset(&p->page);
	kup_buf_adds(&p->page, "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[");
	if (find_member(body, end, "items", &is, &ie) && *is == '[') {
		q = ws(is + 1, ie);
		while (q < ie && *q != ']') {
			const char *s = q, *e = skip_value(q, ie);
			if (!e || *s != '{')
				return kup_error_set(err, KUP_PARSE, NULL, 0, 0,
						     "the list from %s has a malformed item", url);
			if (p->skipping) {
				item_key(s, e, &p->key);
				if (p->key.len && strcmp(p->key.buf, p->last.buf ? p->last.buf : "") <= 0)
					goto next;
				p->skipping = false;
			}
			if (!decided) {
				static const char *const kk[] = { "apiVersion", "kind" };
				struct kup_str two[2];
				typed = kup_json_peek_strings(s, (size_t)(e - s), kk, 2, two);
				decided = true;
			}
			if (n)
				kup_buf_adds(&p->page, ",\n");
			if (typed) {
				kup_buf_add(&p->page, s, (size_t)(e - s));
			} else {
				const char *body_start = ws(s + 1, e);
				kup_buf_adds(&p->page, "{\"apiVersion\":");
				kup_live_json_str(&p->page, p->res->group_version);
				kup_buf_adds(&p->page, ",\"kind\":");
				kup_live_json_str(&p->page, p->res->kind ? p->res->kind : "");
				if (*body_start != '}')
					kup_buf_addc(&p->page, ',');
				kup_buf_add(&p->page, body_start, (size_t)(e - body_start));
			}
			n++;
			last_s = s;
			last_e = e;
next:
			q = ws(e, ie);
			if (q < ie && *q == ',')
				q = ws(q + 1, ie);
		}
	}
	kup_buf_adds(&p->page, "]}");
	if (p->page.oom)
		return KUP_NOMEM;
	if (last_s) {
		item_key(last_s, last_e, &p->key);
		kup_buf_reset(&p->last);
		kup_buf_add(&p->last, p->key.buf, p->key.len);
		if (p->last.oom)
			return KUP_NOMEM;
	}
	*nitems = n;
	return KUP_OK;
}

enum kup_status kup_live_rewrite_page(const char *group_version, const char *kind,
				      const char *body, size_t len, struct kup_buf *out,
				      char **cont, size_t *nitems, struct kup_error *err)
{
	struct kup_kube_resource res;
	struct pager p;
	enum kup_status st;

	kup_kube_resource_set(&res, group_version, "things", kind, true);
	memset(&p, 0, sizeof(p));
	p.res = &res;
	p.page = *out;
	kup_buf_init(&p.key);
	kup_buf_init(&p.last);
	st = rewrite_page(&p, body, len, nitems, err, "fuzz");
	*out = p.page;
	*cont = p.cont;
	kup_buf_release(&p.key);
	kup_buf_release(&p.last);
	return st;
}

enum kup_status kup_kube_list(struct kup_kube *k, const struct kup_kube_resource *res,
			      const struct kup_kube_list_opts *opts, kup_kube_page_fn fn, void *ctx,
			      struct kup_error *err)
{
	struct kup_kube_list_opts def;
	struct pager p;
	struct kup_kube_resp resp;
	struct kup_buf path = KUP_BUF_INIT, url = KUP_BUF_INIT, prev = KUP_BUF_INIT;
	enum kup_status st = KUP_OK;
	int restarts = 0;
	size_t index = 0;
	unsigned limit;
	static const char prefix[] = "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[";

	if (!opts) {
		kup_kube_list_opts_init(&def);
		opts = &def;
	}
	memset(&p, 0, sizeof(p));
	p.k = k;
	p.res = res;
	kup_buf_init(&p.page);
	kup_buf_init(&p.key);
	kup_buf_init(&p.last);
	kup_kube_resp_init(&resp);
	limit = opts->limit;
	kup_kube_path(&path, res, opts->namespace_, NULL, NULL);
	if (path.oom) {
		st = KUP_NOMEM;
		goto out;
	}
	for (;;) {
		struct kup_kube_page pg;
		size_t nitems = 0;
		char sep = '?';

		kup_buf_reset(&url);
		kup_buf_add(&url, path.buf, path.len);
		if (limit) {
			kup_buf_addf(&url, "%climit=%u", sep, limit);
			sep = '&';
		}
		if (opts->field_selector) {
			kup_buf_addf(&url, "%cfieldSelector=", sep);
			add_escaped(&url, opts->field_selector);
			sep = '&';
		}
		if (opts->label_selector) {
			kup_buf_addf(&url, "%clabelSelector=", sep);
			add_escaped(&url, opts->label_selector);
			sep = '&';
		}
		if (p.cont) {
			kup_buf_addf(&url, "%ccontinue=", sep);
			add_escaped(&url, p.cont);
		}
		if (url.oom) {
			st = KUP_NOMEM;
			goto out;
		}
		st = kup_kube_get(k, url.buf, &resp, err);
		if (st != KUP_OK) {
			if (resp.fail == KUP_KUBE_GONE && p.cont && restarts < opts->max_restarts) {
				/* the continue token expired: start again, skip what was delivered */
				restarts++;
				free(p.cont);
				p.cont = NULL;
				p.skipping = p.last.len > 0;
				kup_error_release(err);
				continue;
			}
			goto out;
		}
		kup_buf_reset(&prev);
		if (p.cont)
			kup_buf_adds(&prev, p.cont);
		st = rewrite_page(&p, resp.body.buf ? resp.body.buf : "", resp.body.len, &nitems, err,
				  url.buf);
		if (st == KUP_OK && p.cont && prev.len && strcmp(prev.buf, p.cont) == 0) {
			/* a server that hands back the token it was given would loop forever */
			st = kup_error_set(err, KUP_PARSE, NULL, 0, 0,
					   "the list from %s returned the continue token it was given",
					   url.buf);
			goto out;
		}
		if (st != KUP_OK) {
			if (st == KUP_NOMEM && !err->msg)
				kup_error_set(err, st, NULL, 0, 0, "out of memory");
			goto out;
		}
		memset(&pg, 0, sizeof(pg));
		pg.res = res;
		pg.path = path.buf;
		pg.text = p.page.buf;
		pg.len = p.page.len;
		pg.items = p.page.buf + sizeof(prefix) - 1;
		pg.items_len = p.page.len - (sizeof(prefix) - 1) - 2;
		pg.nitems = nitems;
		pg.index = index++;
		p.delivered += nitems;
		/* big objects: smaller pages from now on (a continue token allows it) */
		if (limit && opts->page_bytes && resp.body.len > opts->page_bytes && nitems) {
			size_t per = resp.body.len / nitems, want = per ? opts->page_bytes / per : 1;
			if (want < 1)
				want = 1;
			if (want < limit)
				limit = (unsigned)want;
		}
		st = fn(ctx, &pg);
		if (st != KUP_OK)
			goto out;
		if (!p.cont)
			break;
	}
out:
	if (st == KUP_NOMEM && !err->msg)
		kup_error_set(err, st, NULL, 0, 0, "out of memory");
	free(p.cont);
	kup_buf_release(&p.page);
	kup_buf_release(&p.key);
	kup_buf_release(&p.last);
	kup_buf_release(&path);
	kup_buf_release(&url);
	kup_buf_release(&prev);
	kup_kube_resp_release(&resp);
	return st;
}

/* ---- parsed items ----------------------------------------------------- */

struct items_ctx {
	kup_doc_fn fn;
	void *ctx;
	struct kup_arena arena;
	struct kup_error *err;
	bool bad;
};

static enum kup_status on_item(void *ctx, const struct kup_doc *doc)
{
	struct items_ctx *ic = ctx;

	if (!doc->list_item || !doc->root)
		return KUP_OK;
	return ic->fn(ic->ctx, doc);
}

static void on_item_error(void *ctx, const struct kup_error *e)
{
	struct items_ctx *ic = ctx;

	if (ic->bad)
		return;
	ic->bad = true;
	kup_error_copy(ic->err, e);
}

static enum kup_status on_page_items(void *ctx, const struct kup_kube_page *pg)
{
	struct items_ctx *ic = ctx;
	struct kup_json_opts jo;
	size_t nerr = 0;
	enum kup_status st;

	kup_json_opts_init(&jo, pg->path);
	jo.errors.fn = on_item_error;
	jo.errors.ctx = ic;
	st = kup_json_read_mem(pg->text, pg->len, &jo, &ic->arena, on_item, ic, &nerr);
	if (st == KUP_OK && ic->bad)
		st = KUP_PARSE;
	return st;
}

enum kup_status kup_kube_list_items(struct kup_kube *k, const struct kup_kube_resource *res,
				    const struct kup_kube_list_opts *opts, kup_doc_fn fn, void *ctx,
				    struct kup_error *err)
{
	struct items_ctx ic;
	enum kup_status st;

	ic.fn = fn;
	ic.ctx = ctx;
	ic.err = err;
	ic.bad = false;
	kup_arena_init(&ic.arena, 65536);
	st = kup_kube_list(k, res, opts, on_page_items, &ic, err);
	kup_arena_release(&ic.arena);
	return st;
}
