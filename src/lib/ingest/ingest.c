/*
 * ingest.c - paths in, labelled objects out (see ingest.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kupgrade/helm.h"
#include "kupgrade/ingest.h"
#include "kupgrade/json.h"
#include "kupgrade/yaml.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"
/*
 * kapp keeps the applied object in this annotation (kube-no-trouble reads it
 * with `-A kapp.k14s.io/original`: https://github.com/doitintl/kube-no-trouble#arguments).
 */
#define KAPP_ORIGINAL "kapp.k14s.io/original"
#define MAX_LIST_DEPTH 32

/*
 * What no check reads, left out of the trees the JSON reader builds (still
 * checked for syntax): the field sets of managedFields entries, about a
 * quarter of the nodes of a kubectl dump.  Of an entry only apiVersion and
 * manager are read (handle_managed).
 */
static const char *const skip_paths[] = { "metadata/managedFields/*/fieldsV1", NULL };

struct file_id {
	dev_t dev;
	ino_t ino;
};

/* A Helm release held until the whole input was read. */
struct held_release {
	char *key;                 /* namespace/name */
	char *path;
	struct kup_helm_release rel;
};

struct kup_ingest {
	struct kup_ingest_opts opts;
	struct kup_ingest_stats stats;
	struct kup_arena doc_arena;     /* the reader's per-document arena */
	struct kup_arena inner_arena;   /* release manifests and annotations */
	struct held_release *held;
	size_t nheld, held_cap;
	struct file_id *seen;           /* files read, so a file named twice is read once */
	size_t nseen, seen_cap;
	int depth;                      /* nested reads (helm inside a file) */
};

/* Context of one read: where the text came from. */
struct read_ctx {
	struct kup_ingest *in;
	struct kup_source src;          /* template for objects of this text */
	const char *ns_default;         /* namespace for objects without one (Helm) */
	uint32_t line_base;             /* added to lines (0 for files) */
};

const char *kup_source_type_name(enum kup_source_type t)
{
	switch (t) {
	case KUP_SRC_FILE: return "file";
	case KUP_SRC_HELM_RELEASE: return "helm-release";
	case KUP_SRC_LAST_APPLIED: return "last-applied";
	case KUP_SRC_MANAGED_FIELDS: return "managed-fields";
	case KUP_SRC_CHART_TEMPLATE: return "chart-template";
	case KUP_SRC_METRICS: return "metrics";
	}
	return "unknown";
}

void kup_object_from_node(struct kup_object *obj, const struct kup_node *root)
{
	const struct kup_node *md = kup_node_get(root, "metadata");

	obj->root = root;
	obj->api_version = kup_node_slice(kup_node_get(root, "apiVersion"));
	obj->kind = kup_node_slice(kup_node_get(root, "kind"));
	obj->name = kup_node_slice(kup_node_get(md, "name"));
	obj->namespace_ = kup_node_slice(kup_node_get(md, "namespace"));
	if (!obj->api_version.p)
		obj->api_version = KUP_STR_LIT("");
	if (!obj->kind.p)
		obj->kind = KUP_STR_LIT("");
}

void kup_ingest_opts_init(struct kup_ingest_opts *o)
{
	memset(o, 0, sizeof(*o));
	kup_read_limits_default(&o->limits);
	o->last_applied = true;
	o->managed_fields = true;
}

enum kup_status kup_ingest_new(const struct kup_ingest_opts *opts, struct kup_ingest **out)
{
	struct kup_ingest *in = kup_calloc(1, sizeof(*in));

	*out = NULL;
	if (!in)
		return KUP_NOMEM;
	in->opts = *opts;
	kup_arena_init(&in->doc_arena, 256 * 1024);
	kup_arena_init(&in->inner_arena, 64 * 1024);
	*out = in;
	return KUP_OK;
}

static void free_held(struct held_release *h)
{
	free(h->key);
	free(h->path);
	kup_helm_release_release(&h->rel);
}

void kup_ingest_free(struct kup_ingest *in)
{
	size_t i;

	if (!in)
		return;
	for (i = 0; i < in->nheld; i++)
		free_held(&in->held[i]);
	free(in->held);
	free(in->seen);
	kup_arena_release(&in->doc_arena);
	kup_arena_release(&in->inner_arena);
	free(in);
}

const struct kup_ingest_stats *kup_ingest_stats(const struct kup_ingest *in)
{
	return &in->stats;
}

static void note_progress(const struct kup_ingest *in)
{
	if (in->opts.on_progress)
		in->opts.on_progress(in->opts.progress_ctx, &in->stats);
}

static void count_error(void *ctx, const struct kup_error *err)
{
	struct kup_ingest *in = ctx;

	in->stats.errors++;
	kup_error_emit(&in->opts.errors, err);
}

static void report(struct kup_ingest *in, enum kup_status code, const char *path,
		   uint32_t line, uint32_t col, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static void report(struct kup_ingest *in, enum kup_status code, const char *path,
		   uint32_t line, uint32_t col, const char *object, const char *fmt, ...)
{
	struct kup_error_sink sink = { count_error, in };
	va_list ap;

	va_start(ap, fmt);
	kup_error_vreport(&sink, code, path, line, col, object, fmt, ap);
	va_end(ap);
}

/* The key node of `key` in a map (for the line of `apiVersion:`). */
static const struct kup_node *key_node(const struct kup_node *map, const char *key)
{
	size_t i;

	if (!map || map->kind != KUP_NODE_MAP)
		return NULL;
	for (i = map->len; i-- > 0;) {
		const struct kup_node *k = map->u.pairs[i].key;
		if (k->kind == KUP_NODE_SCALAR && strcmp(k->u.str, key) == 0)
			return k;
	}
	return NULL;
}

static enum kup_status emit(struct read_ctx *rc, struct kup_object *obj)
{
	if (!rc->in->opts.on_object)
		return KUP_OK;
	return rc->in->opts.on_object(rc->in->opts.ctx, obj);
}

/* "Deployment shop/web" for messages, in the inner arena. */
static const char *describe(struct kup_ingest *in, const struct kup_object *obj)
{
	if (obj->namespace_.n)
		return kup_arena_printf(&in->inner_arena, "%.*s %.*s/%.*s", (int)obj->kind.n,
					obj->kind.p, (int)obj->namespace_.n, obj->namespace_.p,
					(int)obj->name.n, obj->name.p ? obj->name.p : "");
	return kup_arena_printf(&in->inner_arena, "%.*s %.*s", (int)obj->kind.n, obj->kind.p,
				(int)obj->name.n, obj->name.p ? obj->name.p : "");
}

/*
 * Items of a typed list (DeploymentList) as the API server returns them carry
 * no apiVersion/kind of their own: they inherit them from the list.
 */
struct inherited {
	struct kup_str api_version;
	struct kup_str kind;
};

static enum kup_status handle_node(struct read_ctx *rc, const struct kup_node *root, int depth,
				   const struct inherited *inh);
static enum kup_status read_text(struct kup_ingest *in, const struct read_ctx *tmpl,
				 const char *text, size_t len);

/* ---- Helm releases ---------------------------------------------------------- */

static enum kup_status ingest_release(struct kup_ingest *in, const char *path,
				      const struct kup_helm_release *rel)
{
	struct read_ctx rc;
	char chart[512];
	enum kup_status st;
	size_t i;

	memset(&rc, 0, sizeof(rc));
	rc.in = in;
	rc.src.type = KUP_SRC_HELM_RELEASE;
	rc.src.path = path;
	rc.src.release = rel->name;
	rc.src.revision = rel->version;
	snprintf(chart, sizeof(chart), "%s-%s", rel->chart_name ? rel->chart_name : "",
		 rel->chart_version ? rel->chart_version : "");
	rc.src.chart = rel->chart_name ? chart : NULL;
	rc.ns_default = rel->namespace_;
	st = read_text(in, &rc, rel->manifest ? rel->manifest : "", rel->manifest_len);
	for (i = 0; i < rel->nhooks && st == KUP_OK; i++)
		st = read_text(in, &rc, rel->hooks[i].manifest ? rel->hooks[i].manifest : "",
			       rel->hooks[i].manifest_len);
	return st;
}

static bool release_better(const struct kup_helm_release *a, const struct kup_helm_release *b)
{
	bool ad = a->status && strcmp(a->status, "deployed") == 0;
	bool bd = b->status && strcmp(b->status, "deployed") == 0;

	if (ad != bd)
		return ad;
	return a->version > b->version;
}

static enum kup_status hold_release(struct kup_ingest *in, const char *path,
				    struct kup_helm_release *rel)
{
	struct kup_buf key = KUP_BUF_INIT;
	size_t i;

	kup_buf_addf(&key, "%s/%s", rel->namespace_ ? rel->namespace_ : "",
		     rel->name ? rel->name : "");
	if (key.oom)
		return KUP_NOMEM;
	for (i = 0; i < in->nheld; i++) {
		if (strcmp(in->held[i].key, key.buf) != 0)
			continue;
		kup_buf_release(&key);
		if (release_better(rel, &in->held[i].rel)) {
			char *p = kup_strdup(path);
			if (!p)
				return KUP_NOMEM;
			kup_helm_release_release(&in->held[i].rel);
			free(in->held[i].path);
			in->held[i].rel = *rel;
			in->held[i].path = p;
			kup_helm_release_init(rel);
		}
		return KUP_OK;
	}
	if (in->nheld == in->held_cap) {
		size_t cap = in->held_cap ? in->held_cap * 2 : 16;
		struct held_release *nh = kup_xrealloc_array(in->held, cap, sizeof(*nh));
		if (!nh) {
			kup_buf_release(&key);
			return KUP_NOMEM;
		}
		in->held = nh;
		in->held_cap = cap;
	}
	in->held[in->nheld].key = kup_buf_detach(&key, NULL);
	in->held[in->nheld].path = kup_strdup(path);
	if (!in->held[in->nheld].key || !in->held[in->nheld].path) {
		free(in->held[in->nheld].key);
		free(in->held[in->nheld].path);
		return KUP_NOMEM;
	}
	in->held[in->nheld].rel = *rel;
	kup_helm_release_init(rel);
	in->nheld++;
	return KUP_OK;
}

static enum kup_status handle_release(struct read_ctx *rc, const struct kup_object *obj,
				      const struct kup_node *root)
{
	struct kup_ingest *in = rc->in;
	const struct kup_node *data = kup_node_path(root, "data", "release", NULL);
	struct kup_helm_release rel;
	struct kup_error err = KUP_ERROR_INIT;
	enum kup_status st;

	if (!data || data->kind != KUP_NODE_SCALAR) {
		report(in, KUP_PARSE, rc->src.path, rc->line_base + (root->line), root->column, describe(in, obj),
		       "helm release record '%.*s' has no data.release", (int)obj->name.n,
		       obj->name.p ? obj->name.p : "");
		return KUP_OK;
	}
	kup_helm_release_init(&rel);
	st = kup_helm_decode(data->u.str, data->len, in->opts.limits.max_document, &rel, &err);
	if (st != KUP_OK) {
		report(in, st, rc->src.path, data->line + rc->line_base, data->column,
		       describe(in, obj), "cannot decode helm release '%.*s': %s",
		       (int)obj->name.n, obj->name.p ? obj->name.p : "",
		       err.msg ? err.msg : kup_strerror(st));
		kup_error_release(&err);
		kup_helm_release_release(&rel);
		return st == KUP_NOMEM ? st : KUP_OK;
	}
	kup_error_release(&err);
	if (!rel.namespace_ && obj->namespace_.n)
		rel.namespace_ = kup_strndup(obj->namespace_.p, obj->namespace_.n);
	if (in->opts.all_revisions)
		st = ingest_release(in, rc->src.path, &rel);
	else
		st = hold_release(in, rc->src.path, &rel);
	kup_helm_release_release(&rel);
	return st;
}

static int cmp_held(const void *a, const void *b)
{
	const struct held_release *x = a, *y = b;
	return strcmp(x->key, y->key);
}

enum kup_status kup_ingest_finish(struct kup_ingest *in)
{
	enum kup_status st = KUP_OK;
	size_t i;

	if (in->nheld > 1)
		qsort(in->held, in->nheld, sizeof(*in->held), cmp_held);
	for (i = 0; i < in->nheld && st == KUP_OK; i++)
		st = ingest_release(in, in->held[i].path, &in->held[i].rel);
	for (i = 0; i < in->nheld; i++)
		free_held(&in->held[i]);
	in->nheld = 0;
	return st;
}

/* ---- last-applied and managed fields --------------------------------------------- */

static enum kup_status handle_last_applied(struct read_ctx *rc, const struct kup_object *live,
					   const struct kup_node *ann, const char *name)
{
	static const char *const keys[] = { "apiVersion", "kind" };
	struct kup_ingest *in = rc->in;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_node *root = NULL;
	struct kup_object obj;
	struct kup_str peek[2];
	enum kup_status st;

	memset(&obj, 0, sizeof(obj));
	obj.src = rc->src;
	obj.src.type = KUP_SRC_LAST_APPLIED;
	if (strcmp(name, LAST_APPLIED) != 0)
		obj.src.manager = name;   /* the tool's annotation */
	obj.src.line = ann->line + rc->line_base;
	obj.src.column = ann->column;
	/*
	 * The check needs only apiVersion and kind (name and namespace are the
	 * live object's): read them without building a tree when that is
	 * possible, which it is for what kubectl writes.
	 */
	if (kup_json_peek_strings(ann->u.str, ann->len, keys, 2, peek)) {
		obj.api_version = peek[0];
		obj.kind = peek[1];
		obj.name = live->name;
		obj.namespace_ = live->namespace_;
		return emit(rc, &obj);
	}
	st = kup_json_parse(ann->u.str, ann->len, &in->opts.limits, &in->inner_arena, &root, &err);
	if (st != KUP_OK) {
		report(in, st, rc->src.path, ann->line + rc->line_base, ann->column, describe(in, live),
		       "cannot parse the %s%s of %s: %s",
		       strcmp(name, LAST_APPLIED) ? name : "last-applied-configuration",
		       strcmp(name, LAST_APPLIED) ? " annotation" : "", describe(in, live),
		       err.msg ? err.msg : kup_strerror(st));
		kup_error_release(&err);
		return st == KUP_NOMEM ? st : KUP_OK;
	}
	if (!root || root->kind != KUP_NODE_MAP)
		return KUP_OK;
	kup_object_from_node(&obj, root);
	obj.root = NULL;   /* the same for both paths: the check sees no tree */
	obj.name = live->name;
	obj.namespace_ = live->namespace_;
	return emit(rc, &obj);
}

static enum kup_status handle_managed(struct read_ctx *rc, const struct kup_object *live,
				      const struct kup_node *mf)
{
	size_t i, j;
	enum kup_status st = KUP_OK;

	for (i = 0; i < mf->len && st == KUP_OK; i++) {
		const struct kup_node *e = mf->u.items[i];
		const struct kup_node *av = kup_node_get(e, "apiVersion");
		const struct kup_node *mgr = kup_node_get(e, "manager");
		struct kup_object obj;
		bool seen = false;

		if (!av || av->kind != KUP_NODE_SCALAR)
			continue;
		/* One entry per distinct (apiVersion, manager). */
		for (j = 0; j < i && !seen; j++) {
			const struct kup_node *e2 = mf->u.items[j];
			seen = kup_str_eq(kup_node_slice(kup_node_get(e2, "apiVersion")),
					  kup_node_slice(av)) &&
			       kup_str_eq(kup_node_slice(kup_node_get(e2, "manager")),
					  kup_node_slice(mgr));
		}
		if (seen)
			continue;
		memset(&obj, 0, sizeof(obj));
		obj.api_version = kup_node_slice(av);
		obj.kind = live->kind;
		obj.name = live->name;
		obj.namespace_ = live->namespace_;
		obj.src = rc->src;
		obj.src.type = KUP_SRC_MANAGED_FIELDS;
		obj.src.line = av->line + rc->line_base;
		obj.src.column = av->column;
		obj.src.manager = kup_node_str(mgr);
		st = emit(rc, &obj);
	}
	return st;
}

/* ---- objects ------------------------------------------------------------------- */

static enum kup_status handle_node(struct read_ctx *rc, const struct kup_node *root, int depth,
				   const struct inherited *inh)
{
	struct kup_ingest *in = rc->in;
	struct kup_object obj;
	const struct kup_node *items, *k, *md, *ann;
	enum kup_status st;
	size_t i;

	if (!root || root->kind != KUP_NODE_MAP)
		return KUP_OK;
	memset(&obj, 0, sizeof(obj));
	kup_object_from_node(&obj, root);
	if (inh && !obj.api_version.n && !obj.kind.n) {
		obj.api_version = inh->api_version;
		obj.kind = inh->kind;
	}
	if (!obj.api_version.n && !obj.kind.n)
		return KUP_OK;   /* not a Kubernetes object (values, kustomization parts ...) */
	if (!obj.namespace_.n && rc->ns_default)
		obj.namespace_ = kup_str_c(rc->ns_default);
	obj.src = rc->src;
	k = key_node(root, "apiVersion");
	if (!k)
		k = key_node(root, "kind");
	obj.src.line = (k ? k->line : root->line) + rc->line_base;
	obj.src.column = k ? k->column : root->column;
	st = emit(rc, &obj);
	if (st != KUP_OK)
		return st;

	items = kup_node_get(root, "items");
	if (items && items->kind == KUP_NODE_SEQ && kup_str_has_suffix(obj.kind, "List")) {
		/* A list is a container: its items are counted, not the list. */
		if (depth >= MAX_LIST_DEPTH) {
			report(in, KUP_TOOBIG, rc->src.path, obj.src.line, obj.src.column, NULL,
			       "lists nested deeper than %d", MAX_LIST_DEPTH);
			return KUP_OK;
		}
		struct inherited child = { obj.api_version, obj.kind };
		/* "DeploymentList" -> "Deployment"; a plain List gives nothing to inherit. */
		child.kind.n -= 4;
		if (!child.kind.n)
			child.api_version = child.kind;
		for (i = 0; i < items->len && st == KUP_OK; i++)
			st = handle_node(rc, items->u.items[i], depth + 1, child.kind.n ? &child : NULL);
		return st;
	}

	/* The rest of a streamed JSON list (its items went before) is no object either. */
	if (kup_str_has_suffix(obj.kind, "List") && !items)
		return KUP_OK;
	if (rc->src.type == KUP_SRC_FILE || rc->src.type == KUP_SRC_HELM_RELEASE)
		in->stats.objects++;
	if (rc->src.type == KUP_SRC_FILE && kup_helm_is_record(root)) {
		st = handle_release(rc, &obj, root);
		if (st != KUP_OK)
			return st;
	}
	md = kup_node_get(root, "metadata");
	if (in->opts.last_applied) {
		const struct kup_node *anns = kup_node_get(md, "annotations");
		size_t ai;
		for (ai = 0; anns && ai < 2 + in->opts.nannotations; ai++) {
			const char *an = ai == 0 ? LAST_APPLIED : ai == 1 ? KAPP_ORIGINAL
					 : in->opts.annotations[ai - 2];
			ann = kup_node_get(anns, an);
			if (ann && ann->kind == KUP_NODE_SCALAR && ann->len) {
				st = handle_last_applied(rc, &obj, ann, an);
				if (st != KUP_OK)
					return st;
			}
		}
	}
	if (in->opts.managed_fields) {
		const struct kup_node *mf = kup_node_get(md, "managedFields");
		if (mf && mf->kind == KUP_NODE_SEQ)
			st = handle_managed(rc, &obj, mf);
	}
	return st;
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct read_ctx *rc = ctx;
	enum kup_status st;

	rc->in->stats.documents++;
	if (doc->root && doc->root->kind == KUP_NODE_SEQ) {
		/* A YAML stream whose document is a sequence of objects: like a List (JSON streams them). */
		size_t i;

		st = KUP_OK;
		for (i = 0; i < doc->root->len && st == KUP_OK; i++)
			st = handle_node(rc, doc->root->u.items[i], 0, NULL);
	} else {
		st = handle_node(rc, doc->root, 0, NULL);
	}
	kup_arena_reset(&rc->in->inner_arena);
	note_progress(rc->in);
	return st;
}

static void forward_error(void *ctx, const struct kup_error *err)
{
	struct read_ctx *rc = ctx;

	if (rc->line_base && err->line) {
		struct kup_error e2 = *err;
		e2.line += rc->line_base;
		count_error(rc->in, &e2);
		return;
	}
	count_error(rc->in, err);
}

/* Reads text held in memory (a release manifest) as YAML, nested in a file. */
static enum kup_status read_text(struct kup_ingest *in, const struct read_ctx *tmpl,
				 const char *text, size_t len)
{
	struct read_ctx rc = *tmpl;
	struct kup_yaml_opts yo;
	struct kup_arena arena;
	size_t nerr = 0;
	enum kup_status st;

	if (in->depth > 2)
		return KUP_OK;
	in->depth++;
	kup_yaml_opts_init(&yo, tmpl->src.path);
	yo.limits = in->opts.limits;
	yo.errors.fn = forward_error;
	yo.errors.ctx = &rc;
	kup_arena_init(&arena, 64 * 1024);
	st = kup_yaml_read_mem(text, len, &yo, &arena, on_doc, &rc, &nerr);
	kup_arena_release(&arena);
	in->depth--;
	return st;
}

/* ---- files ------------------------------------------------------------------------ */

/*
 * Sniffs the format from the first bytes without consuming them (the reader
 * gets them next): JSON when the first non-blank character after a BOM is
 * '{' or '['; binary when they hold a NUL byte.
 */
#define SNIFF_BYTES 4096

static bool looks_json(struct kup_input *fi, bool *binary)
{
	const char *p;
	size_t n;

	n = kup_input_peek(fi, SNIFF_BYTES, &p);
	*binary = memchr(p, 0, n) != NULL;
	return kup_looks_json(p, n);
}

struct bytes_tap {
	struct kup_ingest *in;
	const char *path;
};

static void tap_bytes(void *ctx, const char *buf, size_t n)
{
	struct bytes_tap *t = ctx;

	t->in->opts.on_bytes(t->in->opts.bytes_ctx, t->path, buf, n);
}

static enum kup_status read_stream(struct kup_ingest *in, struct kup_input *fi, const char *path)
{
	struct read_ctx rc;
	struct bytes_tap tap = { in, path };
	bool binary, json;
	size_t nerr = 0;
	enum kup_status st;

	if (in->opts.on_bytes) {
		fi->tap = tap_bytes;
		fi->tap_ctx = &tap;
	}
	memset(&rc, 0, sizeof(rc));
	rc.in = in;
	rc.src.type = KUP_SRC_FILE;
	rc.src.path = path;
	in->stats.files++;
	json = looks_json(fi, &binary);
	if (binary) {
		report(in, KUP_ENCODING, path, 0, 0, NULL,
		       "cannot read '%s': binary file (NUL bytes)", path);
		return KUP_OK;
	}
	if (json) {
		struct kup_json_opts jo;
		kup_json_opts_init(&jo, path);
		jo.limits = in->opts.limits;
		jo.errors.fn = forward_error;
		jo.errors.ctx = &rc;
		jo.skip_paths = skip_paths;
		st = kup_json_read_input(fi, &jo, &in->doc_arena, on_doc, &rc, &nerr);
	} else {
		struct kup_yaml_opts yo;
		kup_yaml_opts_init(&yo, path);
		yo.limits = in->opts.limits;
		yo.errors.fn = forward_error;
		yo.errors.ctx = &rc;
		yo.skip_paths = skip_paths;
		st = kup_yaml_read_input(fi, &yo, &in->doc_arena, on_doc, &rc, &nerr);
	}
	kup_arena_reset(&in->doc_arena);
	in->stats.bytes += fi->consumed;   /* what the reader took: a pipe cannot be measured first */
	note_progress(in);
	return st;
}

/* True when this file was read already (named twice, or through a link). */
static bool seen_file(struct kup_ingest *in, FILE *fp)
{
	struct stat st;
	size_t i;

	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	for (i = 0; i < in->nseen; i++)
		if (in->seen[i].dev == st.st_dev && in->seen[i].ino == st.st_ino)
			return true;
	if (in->nseen == in->seen_cap) {
		size_t cap = in->seen_cap ? in->seen_cap * 2 : 64;
		struct file_id *ns = kup_xrealloc_array(in->seen, cap, sizeof(*ns));
		if (!ns)
			return false;
		in->seen = ns;
		in->seen_cap = cap;
	}
	in->seen[in->nseen].dev = st.st_dev;
	in->seen[in->nseen].ino = st.st_ino;
	in->nseen++;
	return false;
}

/*
 * Reads one file of any kind - a regular file, '-' (standard input), a pipe,
 * a FIFO, a socket, /dev/stdin, a process substitution - once, front to
 * back, reporting it as `name`.
 */
static enum kup_status read_file(struct kup_ingest *in, const char *path, const char *name)
{
	struct kup_input fi;
	struct kup_error err;
	enum kup_status st;

	kup_error_init(&err);
	if (kup_input_open(&fi, path, &err) != KUP_OK) {
		in->stats.files++;
		report(in, KUP_IO, name, 0, 0, NULL, "cannot open '%s': %s", name,
		       strerror(fi.errnum));
		kup_error_release(&err);
		return KUP_OK;
	}
	kup_error_release(&err);
	if (fi.own_fp && seen_file(in, fi.fp)) {
		kup_input_close(&fi);
		return KUP_OK;
	}
	st = read_stream(in, &fi, name);
	if (fi.error)
		report(in, KUP_IO, name, 0, 0, NULL, "cannot read '%s': %s", name,
		       strerror(fi.errnum));
	kup_input_close(&fi);
	return st;
}

enum kup_status kup_ingest_mem(struct kup_ingest *in, const char *name, const char *text,
			       size_t len)
{
	struct kup_input fi;

	kup_input_init_mem(&fi, text, len);
	return read_stream(in, &fi, name);
}

/* ---- directories and charts --------------------------------------------------------- */

struct name_list {
	char **v;
	size_t n;
};

static void names_release(struct name_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool list_dir(const char *dir, struct name_list *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	out->v = NULL;
	out->n = 0;
	if (!d)
		return false;
	while ((de = readdir(d))) {
		char **nv;
		if (de->d_name[0] == '.')
			continue;   /* ., .., .git, editor files */
		nv = kup_xrealloc_array(out->v, out->n + 1, sizeof(*nv));
		if (!nv)
			break;
		out->v = nv;
		if (!(out->v[out->n] = kup_strdup(de->d_name)))
			break;
		out->n++;
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return true;
}




static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}


struct tmpl_ctx {
	struct kup_ingest *in;
	struct kup_source src;
	struct kup_template_item *section;   /* the items of the current section */
	size_t n, cap;
	bool oom;
};

/* Emits the items of one section, each with its conditional alternatives. */
static enum kup_status flush_section(struct tmpl_ctx *tc)
{
	struct kup_str *alts = NULL;
	enum kup_status st = KUP_OK;
	size_t i, j;

	if (tc->n > 1 && !(alts = kup_calloc(tc->n, sizeof(*alts))))
		st = KUP_NOMEM;
	for (i = 0; i < tc->n && st == KUP_OK; i++) {
		const struct kup_template_item *it = &tc->section[i];
		struct kup_object obj;
		size_t na = 0;

		memset(&obj, 0, sizeof(obj));
		obj.api_version = it->api_version;
		obj.kind = it->kind;
		obj.name = it->name;
		obj.undecidable = it->api_templated || it->kind_templated;
		obj.src = tc->src;
		obj.src.line = it->line;
		obj.src.column = it->column;
		for (j = 0; j < tc->n && alts; j++) {
			const struct kup_template_item *o = &tc->section[j];
			if (j != i && !o->api_templated && !o->kind_templated &&
			    kup_str_eq(o->kind, it->kind) && !kup_str_eq(o->api_version, it->api_version))
				alts[na++] = o->api_version;
		}
		obj.alternatives = na ? alts : NULL;
		obj.nalternatives = na;
		tc->in->stats.objects++;
		if (tc->in->opts.on_object)
			st = tc->in->opts.on_object(tc->in->opts.ctx, &obj);
	}
	free(alts);
	tc->n = 0;
	return st;
}

static enum kup_status on_template_item(void *ctx, const struct kup_template_item *it)
{
	struct tmpl_ctx *tc = ctx;
	enum kup_status st;

	if (tc->n && tc->section[0].section_line != it->section_line) {
		st = flush_section(tc);
		if (st != KUP_OK)
			return st;
	}
	if (tc->n == tc->cap) {
		size_t cap = tc->cap ? tc->cap * 2 : 8;
		struct kup_template_item *ns = kup_xrealloc_array(tc->section, cap, sizeof(*ns));
		if (!ns)
			return KUP_NOMEM;
		tc->section = ns;
		tc->cap = cap;
	}
	tc->section[tc->n++] = *it;
	return KUP_OK;
}

struct chart_meta {
	char *label;
};

static enum kup_status on_chart_doc(void *ctx, const struct kup_doc *doc)
{
	struct chart_meta *cm = ctx;
	const char *name = kup_node_str(kup_node_get(doc->root, "name"));
	const char *version = kup_node_str(kup_node_get(doc->root, "version"));
	struct kup_buf b = KUP_BUF_INIT;

	if (cm->label || !name)
		return KUP_OK;
	kup_buf_adds(&b, name);
	if (version)
		kup_buf_addf(&b, "-%s", version);
	cm->label = kup_buf_detach(&b, NULL);
	return KUP_OK;
}

/* Chart.yaml's name and version as "name-version" (NULL when unreadable). */
static char *chart_label(struct kup_ingest *in, const char *chart_yaml)
{
	struct read_ctx rc;
	struct kup_yaml_opts yo;
	struct chart_meta cm = { NULL };
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_arena a;
	char *text = NULL;
	size_t len = 0, nerr = 0;

	if (kup_read_file(chart_yaml, 1u << 20, &text, &len, &err) != KUP_OK) {
		report(in, err.code, chart_yaml, 0, 0, NULL, "%s", err.msg ? err.msg : "cannot read");
		kup_error_release(&err);
		return NULL;
	}
	memset(&rc, 0, sizeof(rc));
	rc.in = in;
	kup_yaml_opts_init(&yo, chart_yaml);
	yo.limits = in->opts.limits;
	yo.errors.fn = forward_error;
	yo.errors.ctx = &rc;
	kup_arena_init(&a, 0);
	kup_yaml_read_mem(text, len, &yo, &a, on_chart_doc, &cm, &nerr);
	kup_arena_release(&a);
	free(text);
	return cm.label;
}

static enum kup_status read_chart(struct kup_ingest *in, const char *dir);

static enum kup_status read_templates(struct kup_ingest *in, const char *tdir, const char *chart)
{
	struct name_list l;
	enum kup_status st = KUP_OK;
	size_t i;
	static const char *const exts[] = { ".yaml", ".yml", ".json", ".tpl", NULL };

	if (!list_dir(tdir, &l))
		return KUP_OK;
	for (i = 0; i < l.n && st == KUP_OK; i++) {
		char *p = kup_path_join(tdir, l.v[i]);
		if (!p) {
			st = KUP_NOMEM;
			break;
		}
		if (is_dir(p)) {
			st = read_templates(in, p, chart);
		} else if (l.v[i][0] != '_' && kup_has_ext(l.v[i], exts)) {
			char *text = NULL;
			size_t len = 0;
			struct kup_error err = KUP_ERROR_INIT;
			in->stats.files++;
			if (kup_read_file(p, 64u << 20, &text, &len, &err) != KUP_OK) {
				report(in, err.code, p, 0, 0, NULL, "%s",
				       err.msg ? err.msg : "cannot read");
			} else {
				struct tmpl_ctx tc;
				memset(&tc, 0, sizeof(tc));
				tc.in = in;
				tc.src.type = KUP_SRC_CHART_TEMPLATE;
				tc.src.path = p;
				tc.src.chart = chart;
				st = kup_template_scan(text, len, on_template_item, &tc);
				if (st == KUP_OK)
					st = flush_section(&tc);
				free(tc.section);
				in->stats.bytes += len;
			}
			kup_error_release(&err);
			free(text);
			note_progress(in);
		}
		free(p);
	}
	names_release(&l);
	return st;
}

static enum kup_status walk_file(void *ctx, const char *path)
{
	return read_file(ctx, path, path);
}

static enum kup_status walk_chart(void *ctx, const char *dir)
{
	return read_chart(ctx, dir);
}

static void walk_error(void *ctx, const struct kup_walk_problem *p)
{
	report(ctx, KUP_IO, p->path, 0, 0, NULL, "%s", p->msg);
}

static void walk_warning(void *ctx, const struct kup_walk_problem *p)
{
	struct kup_ingest *in = ctx;

	kup_error_report(&in->opts.warnings, KUP_OK, p->path, 0, 0, "%s", p->msg);
}

static enum kup_status read_dir(struct kup_ingest *in, const char *dir)
{
	struct kup_walk w = { walk_file, walk_chart, walk_error, walk_warning, in };

	return kup_walk_dir(dir, &w);
}

static enum kup_status on_rendered(void *ctx, const struct kup_chart_object *co)
{
	struct kup_ingest *in = ctx;
	struct kup_object obj;

	memset(&obj, 0, sizeof(obj));
	obj.api_version = co->api_version;
	obj.kind = co->kind;
	obj.name = co->name;
	obj.namespace_ = co->namespace_;
	obj.undecidable = co->state == KUP_CHART_UNDECIDED;
	obj.not_rendered = co->state == KUP_CHART_NOT_RENDERED;
	obj.reason = co->reason;
	obj.src.type = KUP_SRC_CHART_TEMPLATE;
	obj.src.path = co->path;
	obj.src.line = co->line;
	obj.src.column = co->column;
	obj.src.chart = co->chart;
	in->stats.objects++;
	return in->opts.on_object ? in->opts.on_object(in->opts.ctx, &obj) : KUP_OK;
}

/*
 * A chart rendered for the target: its templates (and its sub-charts') go
 * through helmchart.h; every other folder (crds/, CRD folders, examples)
 * is read as plain manifests, also in sub-chart directories.
 */
static enum kup_status read_chart_files(struct kup_ingest *in, const char *dir, bool sub)
{
	struct name_list l;
	enum kup_status st = KUP_OK;
	size_t i;

	if (!list_dir(dir, &l))
		return KUP_OK;
	for (i = 0; i < l.n && st == KUP_OK; i++) {
		char *p = kup_path_join(dir, l.v[i]);
		if (!p) {
			st = KUP_NOMEM;
			break;
		}
		if (is_dir(p) && strcmp(l.v[i], "templates") != 0) {
			if (sub || strcmp(l.v[i], "charts") == 0) {
				char *cy = kup_path_join(p, "Chart.yaml");
				struct stat sb;
				if (strcmp(l.v[i], "charts") == 0)
					st = read_chart_files(in, p, true);
				else if (cy && stat(cy, &sb) == 0)
					st = read_chart_files(in, p, false);
				else
					st = read_dir(in, p);
				free(cy);
			} else {
				st = read_dir(in, p);
			}
		}
		free(p);
	}
	names_release(&l);
	return st;
}

static enum kup_status render_chart(struct kup_ingest *in, const char *dir)
{
	struct kup_chart_opts co = *in->opts.chart;
	enum kup_status st;

	co.errors.fn = count_error;
	co.errors.ctx = in;
	co.limits = in->opts.limits;
	st = kup_chart_render_dir(dir, &co, on_rendered, in);
	in->stats.files += co.files_read;
	if (st == KUP_OK)
		st = read_chart_files(in, dir, false);
	return st;
}

static enum kup_status read_chart(struct kup_ingest *in, const char *dir)
{
	char *cy = kup_path_join(dir, "Chart.yaml"), *tdir = kup_path_join(dir, "templates"),
	     *crds = kup_path_join(dir, "crds"), *sub = kup_path_join(dir, "charts");
	char *label = NULL;
	enum kup_status st = KUP_OK;

	if (in->opts.chart) {
		st = render_chart(in, dir);
		goto out;
	}
	if (!cy || !tdir || !crds || !sub) {
		st = KUP_NOMEM;
		goto out;
	}
	label = chart_label(in, cy);
	in->stats.files++;
	if (is_dir(tdir))
		st = read_templates(in, tdir, label);
	if (st == KUP_OK && is_dir(crds))
		st = read_dir(in, crds);
	if (st == KUP_OK && is_dir(sub)) {
		struct name_list l;
		size_t i;
		if (list_dir(sub, &l)) {
			for (i = 0; i < l.n && st == KUP_OK; i++) {
				char *p = kup_path_join(sub, l.v[i]);
				if (p && is_dir(p))
					st = read_dir(in, p);
				free(p);
			}
			names_release(&l);
		}
	}
out:
	free(cy);
	free(tdir);
	free(crds);
	free(sub);
	free(label);
	return st;
}

enum kup_status kup_ingest_path(struct kup_ingest *in, const char *path)
{
	size_t n = strlen(path);

	if (in->opts.chart && ((n > 4 && strcmp(path + n - 4, ".tgz") == 0) ||
			       (n > 7 && strcmp(path + n - 7, ".tar.gz") == 0)) && !is_dir(path))
		return render_chart(in, path);   /* a chart archive */
	if (strcmp(path, "-") != 0 && is_dir(path))
		return read_dir(in, path);
	return read_file(in, path, path);
}

enum kup_status kup_ingest_path_as(struct kup_ingest *in, const char *path, const char *name)
{
	return name ? read_file(in, path, name) : kup_ingest_path(in, path);
}
