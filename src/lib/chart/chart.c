/*
 * chart.c - Helm charts rendered for a target (helmchart.h).
 *
 * Loading follows helm.sh/helm/v3/pkg/chart/loader and chartutil: Chart.yaml
 * (apiVersion v2 `dependencies`, v1 requirements.yaml), values.yaml,
 * templates/ (files whose name starts with '_' only define helpers; NOTES.txt
 * is not a manifest), sub-charts in charts/ and file:// dependencies, crds/.
 * Values: chart defaults, then each values file, then each --set (later
 * wins, maps merged deeply, null deletes); a sub-chart's values are its own
 * defaults overridden by the parent's values under its name (or alias), and
 * `global` is pushed down.  A dependency is disabled by the first of its
 * `condition` paths that holds a bool, else by its `tags` when none is true.
 * Library charts (type: library) only provide helpers.
 *
 * The rendered text of each template is then read as YAML documents split at
 * `---` lines, line by line, for top-level apiVersion/kind and
 * metadata.name/namespace (the markers of gotpl.h tell what is unknown,
 * guarded or not rendered); positions map back into the template.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chart/gotpl.h"
#include "kupgrade/helmchart.h"
#include "kupgrade/yaml.h"

#define MAX_CHART_DEPTH 16
#define MAX_TEMPLATE_BYTES (16u << 20)

void kup_chart_opts_init(struct kup_chart_opts *o)
{
	memset(o, 0, sizeof(*o));
	kup_read_limits_default(&o->limits);
}

struct dep {
	const char *name, *alias, *condition, *repository;
	const char **tags;
	size_t ntags;
};

struct tfile {
	const char *path;       /* on disk */
	const char *tname;      /* chart/templates/x.yaml */
	const char *text;
	size_t len;
	struct gt_file *f;
	bool render;
};

struct chart {
	const char *dir;
	const char *tname;      /* template path prefix: "name" or "parent/charts/name" */
	const char *label;      /* name-version */
	const char *name, *version, *app_version, *type, *kube_version, *api_version;
	struct gt_val defaults;
	struct dep *deps;
	size_t ndeps;
	struct chart **subs;
	size_t nsubs;
	struct chart *parent;
	const char *key;        /* the values key in the parent */
	bool enabled;
	bool library;
	struct gt_val values;
	struct tfile *files;
	size_t nfiles;
};

/* A file inside a chart archive: "dir/app-1.0.0.tgz/app/templates/x.yaml". */
struct ventry {
	const char *path;
	const char *data;      /* NUL-terminated copy */
	size_t len;
};

struct renderer {
	const struct kup_chart_opts *opts;
	struct kup_arena arena;
	struct gt_engine *e;
	kup_chart_fn fn;
	void *ctx;
	char version[96], major[16], minor[16];
	struct ventry *vents;   /* files of mounted archives, by virtual path */
	size_t nvents, vcap;
	const char **crds;      /* "group/version" and "group/version/Kind" of crds/ */
	size_t ncrds, crdcap;
	enum kup_status st;
};

/* ---- small helpers ---- */

static char *adup(struct renderer *r, const char *s)
{
	bool oom = false;
	char *d = kup_arena_strdup_oom(&r->arena, s ? s : "", &oom);

	if (oom)
		r->st = KUP_NOMEM;
	return d;
}

static char *ajoin(struct renderer *r, const char *a, const char *b)
{
	char *d = kup_arena_printf(&r->arena, "%s%s%s", a,
				   (*a && a[strlen(a) - 1] != '/') ? "/" : "", b);
	if (!d)
		r->st = KUP_NOMEM;
	return d;
}

static bool disk_is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool disk_is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void report(struct renderer *r, enum kup_status code, const char *path, uint32_t line,
		   uint32_t col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void report(struct renderer *r, enum kup_status code, const char *path, uint32_t line,
		   uint32_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kup_error_vreport(&r->opts->errors, code, path, line, col, NULL, fmt, ap);
	va_end(ap);
}

/* ---- files: the disk, or the archives mounted so far ---- */

static bool under(const char *path, const char *dir, size_t dn)
{
	return strncmp(path, dir, dn) == 0 && path[dn] == '/';
}

static const struct ventry *v_find(const struct renderer *r, const char *p)
{
	size_t i;

	for (i = 0; i < r->nvents; i++)
		if (strcmp(r->vents[i].path, p) == 0)
			return &r->vents[i];
	return NULL;
}

static bool v_is_dir(struct renderer *r, const char *p)
{
	size_t i, n = strlen(p);

	for (i = 0; i < r->nvents; i++)
		if (under(r->vents[i].path, p, n))
			return true;
	return disk_is_dir(p);
}

static bool v_is_file(struct renderer *r, const char *p)
{
	return v_find(r, p) || disk_is_file(p);
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of a directory (dot-entries skipped), in the arena. */
static size_t list_dir(struct renderer *r, const char *dir, char ***out)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0, i, dn = strlen(dir);

	*out = NULL;
	for (i = 0; i < r->nvents; i++) {
		const char *rest = r->vents[i].path + dn + 1, *slash;
		size_t k, len;
		bool dup = false;
		if (!under(r->vents[i].path, dir, dn))
			continue;
		slash = strchr(rest, '/');
		len = slash ? (size_t)(slash - rest) : strlen(rest);
		for (k = 0; k < n; k++)
			if (strlen(v[k]) == len && memcmp(v[k], rest, len) == 0)
				dup = true;
		if (dup || rest[0] == '.')
			continue;
		if (!kup_grow(&v, &cap, n + 1, sizeof(*v), 16) ||
		    !(v[n] = kup_arena_strndup(&r->arena, rest, len))) {
			r->st = KUP_NOMEM;
			break;
		}
		n++;
	}
	d = n ? NULL : opendir(dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (!kup_grow(&v, &cap, n + 1, sizeof(*v), 16)) {
			r->st = KUP_NOMEM;
			break;
		}
		if (!(v[n] = adup(r, de->d_name)))
			break;
		n++;
	}
	if (d)
		closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_cstr);
	if (n) {
		char **a = kup_arena_alloc(&r->arena, n * sizeof(*a));
		if (!a) {
			r->st = KUP_NOMEM;
			n = 0;
		} else {
			memcpy(a, v, n * sizeof(*a));
		}
		*out = a;
	}
	free(v);
	return n;
}

/* Reads a file into the arena; NULL (reported) when it cannot. */
static const char *read_text(struct renderer *r, const char *path, size_t *len)
{
	struct kup_error err = KUP_ERROR_INIT;
	char *text = NULL, *copy;
	const struct ventry *ve = v_find(r, path);

	if (ve) {
		*len = ve->len;
		return ve->data;
	}
	if (kup_read_file(path, MAX_TEMPLATE_BYTES, &text, len, &err) != KUP_OK) {
		report(r, err.code, path, 0, 0, "%s", err.msg ? err.msg : "cannot read");
		kup_error_release(&err);
		return NULL;
	}
	copy = kup_arena_strndup(&r->arena, text, *len);
	free(text);
	if (!copy)
		r->st = KUP_NOMEM;
	return copy;
}

/* ---- YAML files into values ---- */

struct yaml_val {
	struct renderer *r;
	struct gt_val v;
	bool got;
	const struct kup_node **raw;   /* for Chart.yaml: the callback reads nodes itself */
	void (*on_root)(struct renderer *r, const struct kup_node *root, void *ctx);
	void *ctx;
};

static void forward_error(void *ctx, const struct kup_error *err)
{
	struct renderer *r = ctx;
	kup_error_emit(&r->opts->errors, err);
}

static enum kup_status on_yaml_doc(void *ctx, const struct kup_doc *doc)
{
	struct yaml_val *y = ctx;

	if (y->got || !doc->root)
		return KUP_OK;
	y->got = true;
	if (y->on_root)
		y->on_root(y->r, doc->root, y->ctx);
	else
		y->v = gt_from_node(y->r->e, doc->root);
	return KUP_OK;
}

static bool read_yaml(struct renderer *r, const char *path, struct yaml_val *y)
{
	struct kup_yaml_opts yo;
	struct kup_arena a;
	const char *text;
	size_t len = 0, nerr = 0;

	y->r = r;
	y->v = gt_nil();
	text = read_text(r, path, &len);
	if (!text)
		return false;
	kup_yaml_opts_init(&yo, path);
	yo.limits = r->opts->limits;
	yo.errors.fn = forward_error;
	yo.errors.ctx = r;
	kup_arena_init(&a, 0);
	kup_yaml_read_mem(text, len, &yo, &a, on_yaml_doc, y, &nerr);
	kup_arena_release(&a);
	return nerr == 0;
}

/* ---- Chart.yaml ---- */

static const char *node_dup(struct renderer *r, const struct kup_node *n)
{
	const char *s = kup_node_str(n);
	return s ? adup(r, s) : NULL;
}

static void read_deps(struct renderer *r, struct chart *c, const struct kup_node *list)
{
	size_t i, j;

	if (!list || list->kind != KUP_NODE_SEQ || list->len == 0)
		return;
	c->deps = kup_arena_zalloc(&r->arena, list->len * sizeof(*c->deps));
	if (!c->deps) {
		r->st = KUP_NOMEM;
		return;
	}
	for (i = 0; i < list->len; i++) {
		const struct kup_node *d = list->u.items[i], *tags = kup_node_get(d, "tags");
		struct dep *dp = &c->deps[c->ndeps];
		dp->name = node_dup(r, kup_node_get(d, "name"));
		if (!dp->name)
			continue;
		dp->alias = node_dup(r, kup_node_get(d, "alias"));
		dp->condition = node_dup(r, kup_node_get(d, "condition"));
		dp->repository = node_dup(r, kup_node_get(d, "repository"));
		if (tags && tags->kind == KUP_NODE_SEQ && tags->len) {
			dp->tags = kup_arena_zalloc(&r->arena, tags->len * sizeof(*dp->tags));
			for (j = 0; dp->tags && j < tags->len; j++)
				if (kup_node_str(tags->u.items[j]))
					dp->tags[dp->ntags++] = node_dup(r, tags->u.items[j]);
		}
		c->ndeps++;
	}
}

static void on_chart_yaml(struct renderer *r, const struct kup_node *root, void *ctx)
{
	struct chart *c = ctx;

	c->name = node_dup(r, kup_node_get(root, "name"));
	c->version = node_dup(r, kup_node_get(root, "version"));
	c->app_version = node_dup(r, kup_node_get(root, "appVersion"));
	c->type = node_dup(r, kup_node_get(root, "type"));
	c->kube_version = node_dup(r, kup_node_get(root, "kubeVersion"));
	c->api_version = node_dup(r, kup_node_get(root, "apiVersion"));
	read_deps(r, c, kup_node_get(root, "dependencies"));
}

static void on_requirements(struct renderer *r, const struct kup_node *root, void *ctx)
{
	struct chart *c = ctx;

	if (c->ndeps == 0)
		read_deps(r, c, kup_node_get(root, "dependencies"));
}

/* ---- crds/ ---- */

static void add_crd_key(struct renderer *r, const char *g, const char *v, const char *k)
{
	char *s = k ? kup_arena_printf(&r->arena, "%s/%s/%s", g, v, k)
		    : kup_arena_printf(&r->arena, "%s/%s", g, v);

	if (!s || !kup_grow(&r->crds, &r->crdcap, r->ncrds + 1, sizeof(*r->crds), 16)) {
		r->st = KUP_NOMEM;
		return;
	}
	r->crds[r->ncrds++] = s;
}

static enum kup_status on_crd_doc(void *ctx, const struct kup_doc *doc)
{
	struct renderer *r = ctx;
	const struct kup_node *spec = kup_node_get(doc->root, "spec"), *vers;
	const char *group = kup_node_str(kup_node_get(spec, "group"));
	const char *kind = kup_node_str(kup_node_path(spec, "names", "kind", NULL));
	size_t i;

	if (!kup_node_eq(kup_node_get(doc->root, "kind"), "CustomResourceDefinition") || !group || !kind)
		return KUP_OK;
	vers = kup_node_get(spec, "versions");
	if (vers && vers->kind == KUP_NODE_SEQ) {
		for (i = 0; i < vers->len; i++) {
			const char *v = kup_node_str(kup_node_get(vers->u.items[i], "name"));
			bool served = true;
			kup_node_bool(kup_node_get(vers->u.items[i], "served"), &served);
			if (!v || !served)
				continue;
			add_crd_key(r, group, v, NULL);
			add_crd_key(r, group, v, kind);
		}
	} else if (kup_node_str(kup_node_get(spec, "version"))) {
		const char *v = kup_node_str(kup_node_get(spec, "version"));
		add_crd_key(r, group, v, NULL);
		add_crd_key(r, group, v, kind);
	}
	return KUP_OK;
}

static void read_crds(struct renderer *r, const char *dir)
{
	static const char *const yaml_exts[] = { ".yaml", ".yml", NULL };
	char **names;
	size_t n = list_dir(r, dir, &names), i;

	for (i = 0; i < n && r->st == KUP_OK; i++) {
		char *p = ajoin(r, dir, names[i]);
		size_t tl = 0, nerr = 0;
		const char *text;
		struct kup_yaml_opts yo;
		struct kup_arena a;

		if (!p)
			return;
		if (v_is_dir(r, p)) {
			read_crds(r, p);
			continue;
		}
		if (!kup_has_ext(names[i], yaml_exts))
			continue;
		/* errors in crds/ are reported by the ingest, which reads them as manifests */
		{
			struct kup_error err = KUP_ERROR_INIT;
			char *t = NULL;
			const struct ventry *ve = v_find(r, p);
			if (ve) {
				t = kup_memdupz(ve->data, ve->len);
				if (!t) {
					r->st = KUP_NOMEM;
					return;
				}
				tl = ve->len;
			} else if (kup_read_file(p, MAX_TEMPLATE_BYTES, &t, &tl, &err) != KUP_OK) {
				kup_error_release(&err);
				continue;
			}
			text = t;
			kup_yaml_opts_init(&yo, p);
			yo.limits = r->opts->limits;
			kup_arena_init(&a, 0);
			kup_yaml_read_mem(text, tl, &yo, &a, on_crd_doc, r, &nerr);
			kup_arena_release(&a);
			free(t);
		}
	}
}

/* ---- loading a chart ---- */

static void add_templates(struct renderer *r, struct chart *c, const char *dir, const char *tdir)
{
	char **names;
	size_t n = list_dir(r, dir, &names), i;
	static const char *const exts[] = { ".yaml", ".yml", ".json", ".tpl", NULL };

	for (i = 0; i < n && r->st == KUP_OK; i++) {
		char *p = ajoin(r, dir, names[i]), *tn = ajoin(r, tdir, names[i]);
		struct tfile *nf;
		size_t len = strlen(names[i]), k;
		bool ok = false;

		if (!p || !tn)
			return;
		if (v_is_dir(r, p)) {
			add_templates(r, c, p, tn);
			continue;
		}
		for (k = 0; exts[k]; k++) {
			size_t el = strlen(exts[k]);
			if (len > el && strcmp(names[i] + len - el, exts[k]) == 0)
				ok = true;
		}
		if (!ok)
			continue;
		nf = kup_arena_alloc(&r->arena, (c->nfiles + 1) * sizeof(*nf));
		if (!nf) {
			r->st = KUP_NOMEM;
			return;
		}
		if (c->nfiles)
			memcpy(nf, c->files, c->nfiles * sizeof(*nf));
		c->files = nf;
		memset(&nf[c->nfiles], 0, sizeof(*nf));
		nf[c->nfiles].path = p;
		nf[c->nfiles].tname = tn;
		nf[c->nfiles].render = names[i][0] != '_';
		c->nfiles++;
	}
}

static bool add_sub(struct renderer *r, struct chart *c, struct chart *s)
{
	struct chart **ns = kup_arena_alloc(&r->arena, (c->nsubs + 1) * sizeof(*ns));

	if (!ns) {
		r->st = KUP_NOMEM;
		return false;
	}
	if (c->nsubs)
		memcpy(ns, c->subs, c->nsubs * sizeof(*ns));
	ns[c->nsubs++] = s;
	c->subs = ns;
	return true;
}

static struct chart *load_chart(struct renderer *r, const char *dir, struct chart *parent, int depth);

struct mount {
	struct renderer *r;
	const char *at;
};

static enum kup_status on_entry(void *ctx, const char *path, const char *data, size_t len)
{
	struct mount *m = ctx;
	struct renderer *r = m->r;
	struct ventry *ve;

	if (!kup_grow(&r->vents, &r->vcap, r->nvents + 1, sizeof(*r->vents), 64))
		return KUP_NOMEM;
	ve = &r->vents[r->nvents];
	ve->path = kup_arena_printf(&r->arena, "%s/%s", m->at, path);
	ve->data = kup_arena_strndup(&r->arena, data, len);
	ve->len = len;
	if (!ve->path || !ve->data)
		return KUP_NOMEM;
	r->nvents++;
	return KUP_OK;
}

/*
 * Mounts the archive at `path` (on disk or inside an archive already
 * mounted) and returns its chart directory: the top-level folder holding
 * Chart.yaml; NULL (reported) when there is none.
 */
static const char *mount_archive(struct renderer *r, const char *path)
{
	const struct ventry *ve = v_find(r, path);
	struct kup_error err = KUP_ERROR_INIT;
	struct mount m = { r, path };
	char *disk = NULL, **names;
	const char *data;
	size_t len = 0, n, i;
	enum kup_status st;
	struct kup_tar_limits lim;

	if (ve) {
		data = ve->data;
		len = ve->len;
	} else {
		if (kup_read_file(path, (size_t)64 << 20, &disk, &len, &err) != KUP_OK) {
			report(r, err.code, path, 0, 0, "%s", err.msg ? err.msg : "cannot read");
			kup_error_release(&err);
			return NULL;
		}
		data = disk;
	}
	kup_tar_limits_default(&lim);
	st = kup_tar_gz_read((const unsigned char *)data, len, path, &lim, &r->opts->errors,
			     on_entry, &m);
	free(disk);
	if (st == KUP_NOMEM) {
		r->st = KUP_NOMEM;
		return NULL;
	}
	n = list_dir(r, path, &names);
	for (i = 0; i < n; i++) {
		char *d = ajoin(r, path, names[i]), *cy = d ? ajoin(r, d, "Chart.yaml") : NULL;
		if (cy && v_find(r, cy))
			return d;
	}
	if (st == KUP_OK)
		report(r, KUP_PARSE, path, 0, 0, "chart archive without a top-level folder holding Chart.yaml");
	return NULL;
}

static void load_subcharts(struct renderer *r, struct chart *c, int depth)
{
	char *sub = ajoin(r, c->dir, "charts");
	char **names;
	size_t n, i, j;

	if (!sub)
		return;
	n = v_is_dir(r, sub) ? list_dir(r, sub, &names) : 0;
	for (i = 0; i < n && r->st == KUP_OK; i++) {
		char *p = ajoin(r, sub, names[i]);
		size_t len = strlen(names[i]);
		if (!p)
			return;
		if (v_is_dir(r, p)) {
			char *cy = ajoin(r, p, "Chart.yaml");
			if (cy && v_is_file(r, cy)) {
				struct chart *s = load_chart(r, p, c, depth + 1);
				if (s)
					add_sub(r, c, s);
			}
		} else if ((len > 4 && strcmp(names[i] + len - 4, ".tgz") == 0) ||
			   (len > 7 && strcmp(names[i] + len - 7, ".tar.gz") == 0)) {
			const char *cd = mount_archive(r, p);
			if (cd) {
				struct chart *s = load_chart(r, cd, c, depth + 1);
				if (s)
					add_sub(r, c, s);
			}
		}
	}
	/* file:// dependencies that charts/ lacks */
	for (j = 0; j < c->ndeps && r->st == KUP_OK; j++) {
		const struct dep *d = &c->deps[j];
		bool have = false;
		if (!d->repository || strncmp(d->repository, "file://", 7) != 0)
			continue;
		for (i = 0; i < c->nsubs; i++)
			if (c->subs[i]->name && strcmp(c->subs[i]->name, d->name) == 0)
				have = true;
		if (!have) {
			const char *rel = d->repository + 7;
			char *p = rel[0] == '/' ? adup(r, rel) : ajoin(r, c->dir, rel);
			char *cy = p ? ajoin(r, p, "Chart.yaml") : NULL;
			if (cy && v_is_file(r, cy)) {
				struct chart *s = load_chart(r, p, c, depth + 1);
				if (s)
					add_sub(r, c, s);
			} else if (cy) {
				report(r, KUP_NOTFOUND, c->dir, 0, 0,
				       "dependency '%s' (%s) has no Chart.yaml at '%s'", d->name,
				       d->repository, p);
			}
		}
	}
}

static struct chart *load_chart(struct renderer *r, const char *dir, struct chart *parent, int depth)
{
	struct chart *c = kup_arena_zalloc(&r->arena, sizeof(*c));
	struct yaml_val y;
	char *cy, *vy, *ry, *td, *cd;

	if (!c) {
		r->st = KUP_NOMEM;
		return NULL;
	}
	if (depth > MAX_CHART_DEPTH) {
		report(r, KUP_TOOBIG, dir, 0, 0, "sub-charts nested more than %d levels", MAX_CHART_DEPTH);
		return NULL;
	}
	c->dir = adup(r, dir);
	c->parent = parent;
	cy = ajoin(r, dir, "Chart.yaml");
	vy = ajoin(r, dir, "values.yaml");
	ry = ajoin(r, dir, "requirements.yaml");
	td = ajoin(r, dir, "templates");
	cd = ajoin(r, dir, "crds");
	if (!cy || !vy || !ry || !td || !cd)
		return NULL;
	memset(&y, 0, sizeof(y));
	y.on_root = on_chart_yaml;
	y.ctx = c;
	read_yaml(r, cy, &y);
	if (!c->name) {
		const char *slash = strrchr(dir, '/');
		c->name = adup(r, slash && slash[1] ? slash + 1 : dir);
	}
	c->library = c->type && strcmp(c->type, "library") == 0;
	c->label = c->version ? kup_arena_printf(&r->arena, "%s-%s", c->name, c->version) : c->name;
	c->tname = parent ? kup_arena_printf(&r->arena, "%s/charts/%s", parent->tname, c->name)
			  : c->name;
	if (v_is_file(r, ry)) {
		memset(&y, 0, sizeof(y));
		y.on_root = on_requirements;
		y.ctx = c;
		read_yaml(r, ry, &y);
	}
	c->defaults = gt_map_new(r->e);
	if (v_is_file(r, vy)) {
		memset(&y, 0, sizeof(y));
		if (read_yaml(r, vy, &y) && y.v.k == GT_MAP)
			c->defaults = y.v;
		else if (y.got && y.v.k != GT_MAP && y.v.k != GT_NIL)
			report(r, KUP_PARSE, vy, 0, 0, "values.yaml is not a map");
	}
	if (v_is_dir(r, td))
		add_templates(r, c, td, kup_arena_printf(&r->arena, "%s/templates", c->tname));
	if (v_is_dir(r, cd))
		read_crds(r, cd);
	load_subcharts(r, c, depth);
	return c;
}

/* ---- values ---- */

/* A dotted path into values (a.b.c); NULL when absent. */
static struct gt_val *values_path(struct gt_val *v, const char *path)
{
	const char *p = path;

	while (v && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (v->k != GT_MAP)
			return NULL;
		v = gt_map_get(v->u.m, p, n);
		p = dot ? dot + 1 : p + n;
	}
	return v;
}

/* Helm's strvals for one --set argument: a.b=c,d.e=f (\, and \. escape). */
static bool apply_set(struct renderer *r, struct gt_val *root, const char *arg, struct kup_error *err)
{
	const char *p = arg;

	while (*p) {
		struct gt_val *cur = root;
		struct kup_buf key = KUP_BUF_INIT, val = KUP_BUF_INIT;
		bool ok = true;

		for (;;) {
			/* one key segment */
			kup_buf_reset(&key);
			while (*p && *p != '.' && *p != '=' && *p != ',') {
				if (*p == '\\' && p[1])
					p++;
				if (*p == '[') {
					kup_error_set(err, KUP_USAGE, NULL, 0, 0,
						      "--set '%s': list indices are not supported", arg);
					ok = false;
					break;
				}
				kup_buf_addc(&key, *p++);
			}
			if (!ok)
				break;
			if (key.len == 0 || (*p != '.' && *p != '=')) {
				kup_error_set(err, KUP_USAGE, NULL, 0, 0, "--set '%s': expected KEY=VALUE", arg);
				ok = false;
				break;
			}
			if (!r) {
				if (*p == '=')
					break;
				p++;
				continue;
			}
			{
				char *k = kup_arena_strndup(&r->arena, key.buf, key.len);
				struct gt_val *next;
				if (!k) {
					r->st = KUP_NOMEM;
					ok = false;
					break;
				}
				if (*p == '=') {
					/* the value */
					const char *v0;
					p++;
					v0 = p;
					kup_buf_reset(&val);
					while (*p && *p != ',') {
						if (*p == '\\' && p[1])
							p++;
						kup_buf_addc(&val, *p++);
					}
					(void)v0;
					{
						struct gt_val sv;
						const char *vs = val.buf ? val.buf : "";
						enum kup_scalar_tag t = kup_scalar_resolve(vs, val.len);
						if (t == KUP_TAG_NULL && val.len && strcmp(vs, "null") == 0)
							sv = gt_nil();
						else if (t == KUP_TAG_BOOL && (!strcmp(vs, "true") || !strcmp(vs, "false")))
							sv = gt_bool(vs[0] == 't');
						else if (t == KUP_TAG_INT) {
							char *end;
							long long iv = strtoll(vs, &end, 10);
							sv = *end ? gt_str(r->e, vs, val.len) : gt_nil();
							if (!*end) {
								sv.k = GT_INT;
								sv.u.i = iv;
							}
						} else
							sv = gt_str(r->e, vs, val.len);
						if (sv.k == GT_NIL)
							gt_map_del(cur->u.m, k, strlen(k));
						else
							gt_map_set(r->e, cur->u.m, k, sv);
					}
					break;
				}
				next = gt_map_get(cur->u.m, k, strlen(k));
				if (!next || next->k != GT_MAP) {
					gt_map_set(r->e, cur->u.m, k, gt_map_new(r->e));
					next = gt_map_get(cur->u.m, k, strlen(k));
				}
				if (!next || next->k != GT_MAP) {
					r->st = KUP_NOMEM;
					ok = false;
					break;
				}
				cur = next;
				p++;
			}
		}
		if (ok && !r) {
			/* checking only: skip the value */
			p++;
			while (*p && *p != ',') {
				if (*p == '\\' && p[1])
					p++;
				p++;
			}
		}
		kup_buf_release(&key);
		kup_buf_release(&val);
		if (!ok)
			return false;
		if (*p == ',')
			p++;
	}
	return true;
}

bool kup_chart_set_check(const char *arg, struct kup_error *err)
{
	return apply_set(NULL, NULL, arg, err);
}

static bool dep_enabled(struct chart *parent, const struct dep *d)
{
	struct gt_val *tags;
	size_t i;
	bool any_true = false, any_false = false;

	if (d->condition) {
		char *conds = strdup(d->condition), *p, *save = NULL;
		if (conds) {
			for (p = strtok_r(conds, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
				struct gt_val *v;
				while (*p == ' ')
					p++;
				v = values_path(&parent->values, p);
				if (v && v->k == GT_BOOL) {
					bool b = v->u.b;
					free(conds);
					return b;
				}
			}
			free(conds);
		}
	}
	if (d->ntags == 0)
		return true;
	tags = values_path(&parent->values, "tags");
	for (i = 0; i < d->ntags; i++) {
		struct gt_val *t = tags && tags->k == GT_MAP ? gt_map_get(tags->u.m, d->tags[i], strlen(d->tags[i])) : NULL;
		if (t && t->k == GT_BOOL) {
			if (t->u.b)
				any_true = true;
			else
				any_false = true;
		}
	}
	return any_true || !any_false;
}

/* Scopes values down the tree and decides which sub-charts are enabled. */
static void scope_values(struct renderer *r, struct chart *c)
{
	size_t i, j;

	for (i = 0; i < c->nsubs; i++) {
		struct chart *s = c->subs[i];
		const struct dep *d = NULL;
		struct gt_val *mine, *pg, sv;

		for (j = 0; j < c->ndeps; j++)
			if (strcmp(c->deps[j].name, s->name) == 0) {
				d = &c->deps[j];
				break;
			}
		s->key = d && d->alias ? d->alias : s->name;
		s->enabled = c->enabled && (!d || dep_enabled(c, d));
		if (!s->enabled)
			continue;
		sv = gt_copy(r->e, s->defaults);
		if (sv.k != GT_MAP)
			sv = gt_map_new(r->e);
		if (sv.k != GT_MAP)
			return;
		mine = c->values.k == GT_MAP ? gt_map_get(c->values.u.m, s->key, strlen(s->key)) : NULL;
		if (mine && mine->k == GT_MAP)
			gt_merge(r->e, sv.u.m, mine->u.m);
		pg = c->values.k == GT_MAP ? gt_map_get(c->values.u.m, "global", 6) : NULL;
		if (pg && pg->k == GT_MAP) {
			struct gt_val *sg = gt_map_get(sv.u.m, "global", 6);
			struct gt_val g = sg && sg->k == GT_MAP ? *sg : gt_map_new(r->e);
			if (g.k == GT_MAP) {
				gt_merge(r->e, g.u.m, pg->u.m);
				gt_map_set(r->e, sv.u.m, "global", g);
			}
		}
		s->values = sv;
		scope_values(r, s);
	}
}

/* ---- capabilities ---- */

static bool builtin_group(const char *g, size_t n)
{
	return !memchr(g, '.', n) || (n > 7 && memcmp(g + n - 7, ".k8s.io", 7) == 0);
}

static bool served_rule(const struct kup_api_rule *rule, const struct kup_version *target)
{
	if (rule->level == KUP_LEVEL_OPT_IN_BETA || rule->level == KUP_LEVEL_ADDON ||
	    rule->level == KUP_LEVEL_ALPHA || rule->level == KUP_LEVEL_CONFIG)
		return false;
	return !rule->removed_in.valid || kup_version_cmp_minor(&rule->removed_in, target) > 0;
}

static int has_cb(void *ctx, const char *s, size_t n, const char **why)
{
	struct renderer *r = ctx;
	const struct kup_kb *kb = r->opts->kb;
	const struct kup_version *t = &r->opts->target;
	const char *kind = NULL, *s1 = memchr(s, '/', n), *s2;
	size_t avn = n, kn = 0, i, j, gn;
	bool mentioned = false;

	/* "v1", "v1/Pod", "apps/v1", "apps/v1/Deployment" */
	s2 = s1 ? memchr(s1 + 1, '/', n - (size_t)(s1 + 1 - s)) : NULL;
	if (s2) {
		avn = (size_t)(s2 - s);
		kind = s2 + 1;
		kn = n - avn - 1;
	} else if (s1 && s1 + 1 < s + n && s1[1] >= 'A' && s1[1] <= 'Z') {
		avn = (size_t)(s1 - s);
		kind = s1 + 1;
		kn = n - avn - 1;
	}
	for (i = 0; i < r->ncrds; i++)
		if (strlen(r->crds[i]) == n && memcmp(r->crds[i], s, n) == 0)
			return 1;
	if (!kb) {
		*why = "no knowledge base";
		return -1;
	}
	for (i = 0; i < kup_kb_api_count(kb); i++) {
		const struct kup_api_rule *rule = kup_kb_api_at(kb, i);
		if (strlen(rule->api_version) == avn && memcmp(rule->api_version, s, avn) == 0 &&
		    (!kind || (strlen(rule->kind) == kn && memcmp(rule->kind, kind, kn) == 0))) {
			mentioned = true;
			if (served_rule(rule, t))
				return 1;
		}
		for (j = 0; j < rule->nreplacements; j++) {
			const struct kup_api_replacement *rp = &rule->replacements[j];
			const char *rk = rp->kind ? rp->kind : rule->kind;
			const struct kup_api_rule *own;
			if (strlen(rp->api_version) != avn || memcmp(rp->api_version, s, avn) != 0)
				continue;
			if (kind && (strlen(rk) != kn || memcmp(rk, kind, kn) != 0))
				continue;
			mentioned = true;
			if (rule->level == KUP_LEVEL_ADDON || rule->level == KUP_LEVEL_CONFIG)
				continue;
			own = kup_kb_find_api(kb, rp->api_version, strlen(rp->api_version), rk, strlen(rk));
			if (own && !served_rule(own, t))
				continue;
			if (!rp->available_in.valid || kup_version_cmp_minor(&rp->available_in, t) <= 0)
				return 1;
		}
	}
	s1 = memchr(s, '/', avn);
	gn = s1 ? (size_t)(s1 - s) : 0;
	if (!mentioned && builtin_group(s, gn)) {
		*why = "the knowledge base does not say whether it is served";
		return -1;
	}
	return 0;
}

/* ---- reading the rendered text ---- */

struct line {
	struct kup_buf text;     /* live bytes, unknown markers kept */
	size_t *off;             /* output offset of each byte */
	size_t cap;
	long guard;              /* first guard reason seen on the line, -1 none */
};

struct item {
	struct kup_str api, kind;
	size_t api_off, kind_off;
	long api_reason, kind_reason;   /* unknown value or guard reason, -1 none */
	bool has_api, has_kind;
};

struct dead_region {
	size_t start, end;       /* content, in the output */
	size_t reason;
	size_t doc;              /* the live document it started in */
	const char *kind;        /* that document's kind, when it had one */
	const char *name, *namespace_;
	bool filled;
};

struct doc_state {
	struct item *items;
	size_t nitems, cap;
	long base_indent;
	bool in_metadata;
	long meta_indent;
	char *name, *namespace_;
	const char *kind;        /* the last literal kind */
};

struct reader {
	struct renderer *r;
	struct chart *c;
	struct tfile *tf;
	struct gt_out *out;
	enum kup_chart_state state;
	const char *reason;      /* for not-rendered passes */
	const char *borrow_kind; /* for dead regions: from the document around them */
	const char *borrow_name, *borrow_ns;
	struct dead_region *dead;
	size_t ndead, deadcap;
	size_t doc_index;
	struct doc_state d;
};

/* The line and column (in characters) of byte `src` of a template's text. */
static void src_pos(const struct tfile *tf, size_t src, uint32_t *line, uint32_t *col)
{
	uint32_t l = 1, c = 1;
	size_t i;

	if (src > tf->len)
		src = tf->len;
	for (i = 0; i < src; i++) {
		if (tf->text[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)tf->text[i] & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static void map_pos(const struct reader *rd, size_t off, uint32_t *line, uint32_t *col)
{
	const struct gt_out *o = rd->out;
	size_t lo = 0, hi = o->nspans, src = 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (o->spans[mid].out <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0) {
		const struct gt_span *s = &o->spans[lo - 1];
		src = s->src + (s->verbatim ? off - s->out : 0);
	}
	src_pos(rd->tf, src, line, col);
}

static long marker_reason(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == GT_M_UNK) {
			long idx = 0;
			size_t j = i + 1;
			while (j < n && s[j] >= '0' && s[j] <= '9')
				idx = idx * 10 + (s[j++] - '0');
			return idx;
		}
	return -1;
}

static enum kup_status emit(struct reader *rd, const struct item *it)
{
	struct renderer *r = rd->r;
	struct kup_chart_object o;
	const struct doc_state *d = &rd->d;
	long why = -1;
	char *api = NULL, *kind = NULL;

	memset(&o, 0, sizeof(o));
	o.state = rd->state;
	o.path = rd->tf->path;
	o.chart = rd->c->label;
	o.reason = rd->reason;
	o.api_version = it->api;
	o.kind = it->kind;
	if (!it->has_kind && rd->borrow_kind)
		o.kind = kup_str_c(rd->borrow_kind);
	if (d->name || rd->borrow_name)
		o.name = kup_str_c(d->name ? d->name : rd->borrow_name);
	if (d->namespace_ || rd->borrow_ns)
		o.namespace_ = kup_str_c(d->namespace_ ? d->namespace_ : rd->borrow_ns);
	map_pos(rd, it->has_api ? it->api_off : it->kind_off, &o.line, &o.column);
	if (it->api_reason >= 0)
		why = it->api_reason;
	else if (it->kind_reason >= 0)
		why = it->kind_reason;
	if (why >= 0 && o.state != KUP_CHART_NOT_RENDERED) {
		o.state = KUP_CHART_UNDECIDED;
		o.reason = gt_reason(r->e, (size_t)why);
	}
	if (why >= 0) {
		/* show what is known: the text without its markers */
		struct kup_str *fld[2] = { &o.api_version, &o.kind };
		char **dst[2] = { &api, &kind };
		int k;
		for (k = 0; k < 2; k++) {
			struct kup_str v = *fld[k];
			size_t i, w = 0;
			char *p;
			if (!v.p || !memchr(v.p, GT_M_UNK, v.n))
				continue;
			p = kup_arena_alloc(&r->arena, v.n + 1);
			if (!p) {
				r->st = KUP_NOMEM;
				return KUP_NOMEM;
			}
			for (i = 0; i < v.n; i++) {
				if (v.p[i] == GT_M_UNK) {
					while (i < v.n && v.p[i] != GT_M_SEP)
						i++;
					if (w + 3 <= v.n) {
						memcpy(p + w, "???", 3);
						w += 3;
					}
					continue;
				}
				p[w++] = v.p[i];
			}
			p[w] = '\0';
			*dst[k] = p;
			*fld[k] = (struct kup_str){ p, w };
		}
	}
	if (!o.api_version.n && !o.kind.n && o.state == KUP_CHART_RENDERED)
		return KUP_OK;
	return r->fn(r->ctx, &o);
}

static enum kup_status flush_doc(struct reader *rd)
{
	struct doc_state *d = &rd->d;
	enum kup_status st = KUP_OK;
	size_t i;
	const char *last_kind = NULL;
	struct item shared_kind;
	bool have_kind = false;

	memset(&shared_kind, 0, sizeof(shared_kind));
	for (i = 0; i < d->nitems; i++)
		if (d->items[i].has_kind) {
			shared_kind = d->items[i];
			have_kind = true;
		}
	if (have_kind && shared_kind.kind_reason < 0 && shared_kind.kind.n) {
		char *k = kup_arena_strndup(&rd->r->arena, shared_kind.kind.p, shared_kind.kind.n);
		last_kind = k;
	}
	for (i = 0; i < rd->ndead; i++)
		if (rd->dead[i].doc == rd->doc_index && !rd->dead[i].filled) {
			rd->dead[i].filled = true;
			rd->dead[i].kind = last_kind;
			rd->dead[i].name = d->name ? kup_arena_strdup(&rd->r->arena, d->name) : NULL;
			rd->dead[i].namespace_ =
				d->namespace_ ? kup_arena_strdup(&rd->r->arena, d->namespace_) : NULL;
		}
	for (i = 0; i < d->nitems && st == KUP_OK; i++) {
		struct item it = d->items[i];
		if (!it.has_kind && have_kind) {
			it.kind = shared_kind.kind;
			it.kind_off = shared_kind.kind_off;
			it.kind_reason = shared_kind.kind_reason;
			it.has_kind = true;
		}
		if (!it.has_api) {
			size_t j;
			/* a kind without its own apiVersion line: takes the last one */
			bool found = false;
			for (j = d->nitems; j > 0; j--)
				if (d->items[j - 1].has_api) {
					found = true;
					break;
				}
			if (found)
				continue;   /* the apiVersion items carry this kind */
		}
		st = emit(rd, &it);
	}
	free(d->items);
	free(d->name);
	free(d->namespace_);
	memset(d, 0, sizeof(*d));
	d->base_indent = -1;
	d->meta_indent = -1;
	rd->doc_index++;
	return st;
}

static struct item *doc_item(struct doc_state *d, bool api)
{
	struct item *it;
	size_t i;

	/* an apiVersion (kind) fills the first item still lacking one */
	for (i = 0; i < d->nitems; i++)
		if (api ? !d->items[i].has_api : !d->items[i].has_kind)
			return &d->items[i];
	if (!kup_grow(&d->items, &d->cap, d->nitems + 1, sizeof(*d->items), 4))
		return NULL;
	it = &d->items[d->nitems++];
	memset(it, 0, sizeof(*it));
	it->api_reason = it->kind_reason = -1;
	return it;
}

static enum kup_status on_line(struct reader *rd, struct line *ln)
{
	struct doc_state *d = &rd->d;
	const char *s = ln->text.buf ? ln->text.buf : "";
	size_t n = ln->text.len, ind = 0, i, kend, voff, skip;
	struct kup_str key, val;
	bool top;

	while (ind < n && (s[ind] == ' ' || s[ind] == '\t'))
		ind++;
	if (ind == n || s[ind] == '#')
		return KUP_OK;
	if (ind == 0 && n >= 3 && memcmp(s, "...", 3) == 0 &&
	    (n == 3 || s[3] == ' ' || s[3] == '\t' || s[3] == '\r'))
		return flush_doc(rd);
	if (ind == 0 && n >= 3 && memcmp(s, "---", 3) == 0) {
		/* Helm splits at ^---\s* : what follows on the line starts the next document */
		enum kup_status st = flush_doc(rd);
		size_t k = 3;
		while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
			k++;
		if (st != KUP_OK || k == n)
			return st;
		memmove(ln->text.buf, ln->text.buf + k, n - k);
		memmove(ln->off, ln->off + k, (n - k) * sizeof(*ln->off));
		ln->text.len = n - k;
		return on_line(rd, ln);
	}
	if (s[ind] == '-' || s[ind] == '{' || s[ind] == '[')
		return KUP_OK;
	/* key: value */
	if (s[ind] == '"' || s[ind] == '\'') {
		char q = s[ind];
		for (i = ind + 1; i < n && s[i] != q; i++)
			;
		if (i >= n)
			return KUP_OK;
		key = (struct kup_str){ s + ind + 1, i - ind - 1 };
		i++;
		while (i < n && s[i] == ' ')
			i++;
		if (i >= n || s[i] != ':')
			return KUP_OK;
	} else {
		for (i = ind; i < n; i++)
			if (s[i] == ':' && (i + 1 == n || s[i + 1] == ' ' || s[i + 1] == '\t' || s[i + 1] == '\r'))
				break;
		if (i >= n)
			return KUP_OK;
		kend = i;
		while (kend > ind && s[kend - 1] == ' ')
			kend--;
		key = (struct kup_str){ s + ind, kend - ind };
	}
	voff = i + 1;
	while (voff < n && (s[voff] == ' ' || s[voff] == '\t'))
		voff++;
	val = kup_yaml_line_value(s + voff, n - voff, false, &skip);
	if (d->base_indent < 0 || (long)ind < d->base_indent)
		d->base_indent = (long)ind;
	top = (long)ind == d->base_indent;
	if (!top) {
		if (d->in_metadata) {
			if (d->meta_indent < 0)
				d->meta_indent = (long)ind;
			if ((long)ind == d->meta_indent && val.n && !memchr(val.p, GT_M_UNK, val.n)) {
				if (kup_str_eqc(key, "name") && !d->name)
					d->name = kup_memdupz(val.p, val.n);
				else if (kup_str_eqc(key, "namespace") && !d->namespace_)
					d->namespace_ = kup_memdupz(val.p, val.n);
			}
		}
		return KUP_OK;
	}
	d->in_metadata = kup_str_eqc(key, "metadata") && val.n == 0;
	d->meta_indent = -1;
	if (kup_str_eqc(key, "apiVersion") || kup_str_eqc(key, "kind")) {
		bool api = key.p[0] == 'a';
		struct item *it = doc_item(d, api);
		long why = marker_reason(val.p, val.n);
		char *copy;
		if (!it)
			return KUP_NOMEM;
		if (why < 0 && ln->guard >= 0)
			why = ln->guard;
		copy = kup_arena_strndup(&rd->r->arena, val.p, val.n);
		if (!copy)
			return KUP_NOMEM;
		if (api) {
			it->has_api = true;
			it->api = (struct kup_str){ copy, val.n };
			it->api_off = ln->off[voff + skip < n ? voff + skip : (n ? n - 1 : 0)];
			it->api_reason = why;
		} else {
			it->has_kind = true;
			it->kind = (struct kup_str){ copy, val.n };
			it->kind_off = ln->off[voff + skip < n ? voff + skip : (n ? n - 1 : 0)];
			it->kind_reason = why;
		}
	}
	return KUP_OK;
}

static bool line_add(struct line *ln, char c, size_t off)
{
	if (!kup_grow(&ln->off, &ln->cap, ln->text.len + 1, sizeof(*ln->off), 128))
		return false;
	ln->off[ln->text.len] = off;
	kup_buf_addc(&ln->text, c);
	return !ln->text.oom;
}

static size_t read_idx(const char *s, size_t n, size_t *i)
{
	size_t idx = 0;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9')
		idx = idx * 10 + (size_t)(s[(*i)++] - '0');
	if (*i < n && s[*i] == GT_M_SEP)
		(*i)++;
	return idx;
}

/*
 * Reads out[start, end) as YAML lines.  Dead regions are skipped (and
 * remembered when `collect`), guard markers taint the lines they touch.
 */
static enum kup_status read_range(struct reader *rd, size_t start, size_t end, bool collect)
{
	const char *s = rd->out->buf.buf ? rd->out->buf.buf : "";
	struct line ln;
	long gstack[64];
	int gdepth = 0;
	size_t i = start;
	enum kup_status st = KUP_OK;

	memset(&ln, 0, sizeof(ln));
	ln.guard = -1;
	rd->d.base_indent = -1;
	rd->d.meta_indent = -1;
	while (i < end && st == KUP_OK) {
		char c = s[i];
		if (c == GT_M_DEAD) {
			size_t idx, depth = 1, cs;
			i++;
			idx = read_idx(s, end, &i);
			cs = i;
			while (i < end && depth) {
				if (s[i] == GT_M_DEAD)
					depth++;
				else if (s[i] == GT_M_DEAD_END)
					depth--;
				i++;
			}
			if (collect && kup_grow(&rd->dead, &rd->deadcap, rd->ndead + 1, sizeof(*rd->dead), 8)) {
				struct dead_region *dr = &rd->dead[rd->ndead++];
				memset(dr, 0, sizeof(*dr));
				dr->start = cs;
				dr->end = depth ? i : i - 1;
				dr->reason = idx;
				/* on a line that starts with ---, the region belongs to the next document */
				dr->doc = rd->doc_index + (ln.text.len >= 3 && memcmp(ln.text.buf, "---", 3) == 0);
				dr->kind = NULL;
			}
			continue;
		}
		if (c == GT_M_GUARD) {
			size_t idx;
			if (i > start && s[i - 1] == GT_M_GUARD_END && ln.text.len &&
			    !line_add(&ln, '|', i)) {
				st = KUP_NOMEM;
				break;
			}
			i++;
			idx = read_idx(s, end, &i);
			if (gdepth < 64)
				gstack[gdepth] = (long)idx;
			gdepth++;
			if (ln.guard < 0)
				ln.guard = (long)idx;
			continue;
		}
		if (c == GT_M_GUARD_END) {
			if (gdepth > 0)
				gdepth--;
			i++;
			continue;
		}
		if (c == GT_M_DEAD_END) {
			i++;
			continue;
		}
		if (c == '\n') {
			st = on_line(rd, &ln);
			ln.text.len = 0;
			ln.guard = gdepth > 0 ? gstack[gdepth - 1 < 64 ? gdepth - 1 : 63] : -1;
			i++;
			continue;
		}
		if (gdepth > 0 && ln.guard < 0)
			ln.guard = gstack[gdepth - 1 < 64 ? gdepth - 1 : 63];
		if (!line_add(&ln, c, i)) {
			st = KUP_NOMEM;
			break;
		}
		i++;
	}
	if (st == KUP_OK && ln.text.len)
		st = on_line(rd, &ln);
	if (st == KUP_OK)
		st = flush_doc(rd);
	kup_buf_release(&ln.text);
	free(ln.off);
	return st;
}

static enum kup_status read_output(struct renderer *r, struct chart *c, struct tfile *tf,
				   struct gt_out *out)
{
	struct reader rd;
	enum kup_status st;
	size_t i;

	memset(&rd, 0, sizeof(rd));
	rd.r = r;
	rd.c = c;
	rd.tf = tf;
	rd.out = out;
	rd.state = KUP_CHART_RENDERED;
	st = read_range(&rd, 0, out->buf.len, true);
	for (i = 0; i < rd.ndead && st == KUP_OK; i++) {
		rd.state = KUP_CHART_NOT_RENDERED;
		rd.reason = gt_reason(r->e, rd.dead[i].reason);
		rd.borrow_kind = rd.dead[i].kind;
		rd.borrow_name = rd.dead[i].name;
		rd.borrow_ns = rd.dead[i].namespace_;
		st = read_range(&rd, rd.dead[i].start, rd.dead[i].end, false);
	}
	free(rd.dead);
	return st;
}

/* ---- rendering ---- */

static struct gt_val chart_obj(struct renderer *r, const struct chart *c)
{
	struct gt_val m = gt_map_new(r->e);

	if (m.k != GT_MAP)
		return m;
	gt_map_set(r->e, m.u.m, "Name", gt_strc(r->e, c->name));
	gt_map_set(r->e, m.u.m, "Version", gt_strc(r->e, c->version ? c->version : ""));
	gt_map_set(r->e, m.u.m, "AppVersion", gt_strc(r->e, c->app_version ? c->app_version : ""));
	gt_map_set(r->e, m.u.m, "Type", gt_strc(r->e, c->type ? c->type : "application"));
	gt_map_set(r->e, m.u.m, "KubeVersion", gt_strc(r->e, c->kube_version ? c->kube_version : ""));
	gt_map_set(r->e, m.u.m, "APIVersion", gt_strc(r->e, c->api_version ? c->api_version : "v1"));
	return m;
}

static struct gt_val root_dot(struct renderer *r, const struct chart *c, const struct tfile *tf)
{
	struct gt_engine *e = r->e;
	struct gt_val dot = gt_map_new(e), rel = gt_map_new(e), caps = gt_map_new(e),
		      kv = gt_map_new(e), tpl = gt_map_new(e);
	char *base;

	if (dot.k != GT_MAP || rel.k != GT_MAP || caps.k != GT_MAP || kv.k != GT_MAP || tpl.k != GT_MAP)
		return gt_nil();
	/* helm template's defaults */
	gt_map_set(e, rel.u.m, "Name", gt_strc(e, "release-name"));
	gt_map_set(e, rel.u.m, "Namespace", gt_strc(e, "default"));
	gt_map_set(e, rel.u.m, "Service", gt_strc(e, "Helm"));
	gt_map_set(e, rel.u.m, "IsInstall", gt_bool(true));
	gt_map_set(e, rel.u.m, "IsUpgrade", gt_bool(false));
	gt_map_set(e, rel.u.m, "Revision", gt_int(1));
	gt_map_set(e, kv.u.m, "Version", gt_strc(e, r->version));
	gt_map_set(e, kv.u.m, "GitVersion", gt_strc(e, r->version));
	gt_map_set(e, kv.u.m, "Major", gt_strc(e, r->major));
	gt_map_set(e, kv.u.m, "Minor", gt_strc(e, r->minor));
	gt_map_set(e, caps.u.m, "KubeVersion", kv);
	gt_map_set(e, caps.u.m, "APIVersions", gt_apiv());
	gt_map_set(e, caps.u.m, "HelmVersion",
		   gt_unknown(e, ".Capabilities.HelmVersion depends on the helm binary"));
	gt_map_set(e, tpl.u.m, "Name", gt_strc(e, tf->tname));
	base = kup_arena_printf(&r->arena, "%s/templates", c->tname);
	gt_map_set(e, tpl.u.m, "BasePath", gt_strc(e, base ? base : ""));
	gt_map_set(e, dot.u.m, "Values", c->values);
	gt_map_set(e, dot.u.m, "Release", rel);
	gt_map_set(e, dot.u.m, "Chart", chart_obj(r, c));
	gt_map_set(e, dot.u.m, "Capabilities", caps);
	gt_map_set(e, dot.u.m, "Template", tpl);
	gt_map_set(e, dot.u.m, "Files", gt_unknown(e, ".Files (files of the chart) is not evaluated"));
	return dot;
}

/* Parses the templates of c and its enabled sub-charts, deepest first. */
static void parse_all(struct renderer *r, struct chart *c)
{
	size_t i;

	for (i = 0; i < c->nsubs; i++)
		if (c->subs[i]->enabled)
			parse_all(r, c->subs[i]);
	for (i = 0; i < c->nfiles && r->st == KUP_OK; i++) {
		struct tfile *tf = &c->files[i];
		struct kup_error err = KUP_ERROR_INIT;
		tf->text = read_text(r, tf->path, &tf->len);
		if (!tf->text)
			continue;
		tf->f = gt_parse(r->e, tf->tname, tf->text, tf->len, &err);
		if (!tf->f) {
			if (err.code == KUP_NOMEM)
				r->st = KUP_NOMEM;
			else
				report(r, err.code, tf->path, err.line, err.column,
				       "cannot parse template: %s", err.msg ? err.msg : "syntax error");
		}
		kup_error_release(&err);
	}
}

static bool is_notes(const char *name)
{
	const char *slash = strrchr(name, '/');
	return strcmp(slash ? slash + 1 : name, "NOTES.txt") == 0;
}

static void render_all(struct renderer *r, struct chart *c, size_t *nfiles)
{
	size_t i;

	(*nfiles)++;   /* Chart.yaml */
	for (i = 0; i < c->nsubs && r->st == KUP_OK; i++)
		if (c->subs[i]->enabled)
			render_all(r, c->subs[i], nfiles);
	if (c->library)
		return;
	for (i = 0; i < c->nfiles && r->st == KUP_OK; i++) {
		struct tfile *tf = &c->files[i];
		struct gt_out out;
		enum kup_status st;

		if (!tf->f || !tf->render || is_notes(tf->path))
			continue;
		(*nfiles)++;
		memset(&out, 0, sizeof(out));
		out.top = true;
		st = gt_render(r->e, tf->f, root_dot(r, c, tf), &out);
		if (st == KUP_NOMEM) {
			r->st = KUP_NOMEM;
		} else if (st == KUP_TOOBIG) {
			struct kup_chart_object o;
			size_t site = 0;
			memset(&o, 0, sizeof(o));
			o.state = KUP_CHART_UNDECIDED;
			o.path = tf->path;
			o.reason = gt_budget(r->e, &site);
			src_pos(tf, site, &o.line, &o.column);
			o.chart = c->label;
			r->st = r->fn(r->ctx, &o);
		} else {
			r->st = read_output(r, c, tf, &out);
		}
		gt_out_release(&out);
	}
}

enum kup_status kup_chart_render_dir(const char *dir, struct kup_chart_opts *opts,
				     kup_chart_fn fn, void *ctx)
{
	struct renderer r;
	struct gt_caps caps;
	size_t nfiles = 0;
	struct chart *c;
	size_t i;
	char vbuf[64];

	memset(&r, 0, sizeof(r));
	r.opts = opts;
	r.fn = fn;
	r.ctx = ctx;
	kup_arena_init(&r.arena, 256 * 1024);
	kup_version_str(&opts->target, vbuf, sizeof(vbuf));
	snprintf(r.version, sizeof(r.version), "v%d.%d.%d%s%s", opts->target.major,
		 opts->target.minor, opts->target.patch, opts->target.pre[0] ? "-" : "",
		 opts->target.pre);
	snprintf(r.major, sizeof(r.major), "%d", opts->target.major);
	snprintf(r.minor, sizeof(r.minor), "%d", opts->target.minor);
	memset(&caps, 0, sizeof(caps));
	caps.version = r.version;
	caps.major = r.major;
	caps.minor = r.minor;
	caps.has = has_cb;
	caps.has_ctx = &r;
	r.e = gt_new(&r.arena, &caps);
	if (!r.e) {
		kup_arena_release(&r.arena);
		return KUP_NOMEM;
	}
	if (disk_is_file(dir)) {
		const char *cd = mount_archive(&r, dir);
		c = cd ? load_chart(&r, cd, NULL, 0) : NULL;
	} else {
		c = load_chart(&r, dir, NULL, 0);
	}
	if (c && r.st == KUP_OK) {
		struct kup_error err = KUP_ERROR_INIT;
		c->enabled = true;
		c->values = gt_copy(r.e, c->defaults);
		for (i = 0; i < opts->nvalues_files && r.st == KUP_OK; i++) {
			struct yaml_val y;
			memset(&y, 0, sizeof(y));
			if (read_yaml(&r, opts->values_files[i], &y) && y.v.k == GT_MAP)
				gt_merge(r.e, c->values.u.m, y.v.u.m);
		}
		for (i = 0; i < opts->nset && r.st == KUP_OK; i++)
			if (!apply_set(&r, &c->values, opts->set[i], &err)) {
				report(&r, KUP_USAGE, NULL, 0, 0, "%s", err.msg ? err.msg : "bad --set");
				kup_error_release(&err);
			}
		scope_values(&r, c);
		parse_all(&r, c);
		if (r.st == KUP_OK)
			render_all(&r, c, &nfiles);
	}
	if (gt_oom(r.e) || kup_arena_failed(&r.arena))
		r.st = KUP_NOMEM;
	opts->files_read = nfiles;
	gt_free(r.e);
	free(r.vents);
	free(r.crds);
	kup_arena_release(&r.arena);
	return r.st;
}
