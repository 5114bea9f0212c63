/*
 * profile.c - reading and writing a ClusterProfile (profile.h).
 *
 * The text is read with the shared readers (JSON when the first significant
 * byte is '{', else YAML), and the one document is checked field by field.
 * Every problem names the field ("spec.nodePools[0].version: cannot parse
 * '1.x'") at the line and column of the offending node.  The first problem
 * goes into the caller's kup_error; with kup_profile_parse_sink() every
 * problem also goes to a sink.  An unknown key is a problem too, naming the
 * closest known key ("spec: unknown key 'nodepools'; did you mean
 * 'nodePools'?"): a typo must not silently drop the node pools or add-ons.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kupgrade/emit.h"
#include "kupgrade/json.h"
#include "kupgrade/profile.h"
#include "kupgrade/yaml.h"

#define PROFILE_API_VERSION "kupgrade.dev/v1alpha1"
#define PROFILE_KIND "ClusterProfile"
#define PROFILE_MAX_BYTES (16u * 1024u * 1024u)
#define PROFILE_MAX_COUNT 1000000

static const char *const provider_names[] = {
	[KUP_PROVIDER_GENERIC] = "generic",
	[KUP_PROVIDER_EKS] = "eks",
	[KUP_PROVIDER_GKE] = "gke",
	[KUP_PROVIDER_AKS] = "aks",
	[KUP_PROVIDER_KUBEADM] = "kubeadm",
};

const char *kup_provider_name(enum kup_provider p)
{
	if ((size_t)p < sizeof(provider_names) / sizeof(provider_names[0]))
		return provider_names[p];
	return "generic";
}

bool kup_provider_from_name(const char *s, enum kup_provider *out)
{
	size_t i;

	for (i = 0; i < sizeof(provider_names) / sizeof(provider_names[0]); i++) {
		if (strcmp(s, provider_names[i]) == 0) {
			*out = (enum kup_provider)i;
			return true;
		}
	}
	return false;
}

/* ---- parsing ----------------------------------------------------------- */

struct pctx {
	const char *path;
	const struct kup_error_sink *sink;
	struct kup_error *err;         /* the first problem */
	size_t problems;
	enum kup_status first;         /* the status of the first problem */
	size_t docs;                   /* non-empty documents seen */
	struct kup_profile *p;
	bool oom;
};

static void problem(struct pctx *c, enum kup_status code, const struct kup_node *at,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void problem(struct pctx *c, enum kup_status code, const struct kup_node *at,
		    const char *fmt, ...)
{
	struct kup_error e = KUP_ERROR_INIT;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kup_error_set(&e, code, c->path, at ? at->line : 0, at ? at->column : 0, "%s", msg);
	if (c->problems == 0 && c->err)
		kup_error_copy(c->err, &e);
	if (c->problems == 0)
		c->first = code;
	c->problems++;
	if (c->sink)
		kup_error_emit(c->sink, &e);
	kup_error_release(&e);
}

static void on_read_error(void *ctx, const struct kup_error *err)
{
	struct pctx *c = ctx;

	/* out of memory stays out of memory (a caller stops for it), the rest is malformed input */
	enum kup_status code = err->code == KUP_NOMEM ? KUP_NOMEM : KUP_PARSE;

	if (c->problems == 0 && c->err) {
		kup_error_copy(c->err, err);
		c->err->code = code;
		if (!c->err->path && c->path) {
			free(c->err->path);
			c->err->path = kup_strdup(c->path);
		}
	}
	if (c->problems == 0)
		c->first = code;
	c->problems++;
	if (c->sink)
		kup_error_emit(c->sink, err);
}

static char *dup_str(struct pctx *c, const char *s)
{
	return kup_arena_strdup_oom(&c->p->arena, s, &c->oom);
}

/*
 * A string field: a scalar other than null.  Missing is fine (NULL) unless
 * `required`; a collection or null is a problem.
 */
static const char *get_string(struct pctx *c, const struct kup_node *map, const char *key,
			      const char *field, bool required)
{
	const struct kup_node *n = kup_node_get(map, key);

	if (!n) {
		if (required)
			problem(c, KUP_INVALID, map, "%s: missing", field);
		return NULL;
	}
	if (n->kind != KUP_NODE_SCALAR || n->tag == KUP_TAG_NULL) {
		problem(c, KUP_INVALID, n, "%s: must be a string", field);
		return NULL;
	}
	if (n->len == 0 || strlen(n->u.str) != n->len) {
		if (n->len == 0 && !required)
			return NULL;
		problem(c, KUP_INVALID, n, "%s: must be a non-empty string", field);
		return NULL;
	}
	return dup_str(c, n->u.str);
}

/*
 * A cluster, node pool or add-on name: the runbook puts it into the commands
 * it prints (--name NAME), so only characters a shell takes as they are:
 * letters, digits, '-', '_', '.', and ':', '/', '@', '+' (kubeconfig context
 * names such as an EKS cluster ARN or kubernetes-admin@kubernetes), starting
 * with a letter or digit, at most 253.  A space, a quote, '$', ';' or '{'
 * would be pasted into a shell as it is.
 */
bool kup_profile_name_ok(const char *s)
{
	size_t i;

	if (!s || !*s)
		return false;
	for (i = 0; s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
		if (i >= KUP_PROFILE_MAX_NAME || (!alnum && (i == 0 || !strchr("-_.:/@+", ch))))
			return false;
	}
	return true;
}

static const char *get_name(struct pctx *c, const struct kup_node *map, const char *key,
			    const char *field)
{
	const char *s = get_string(c, map, key, field, true);

	if (s && !kup_profile_name_ok(s)) {
		problem(c, KUP_INVALID, kup_node_get(map, key),
			"%s: '%.64s' is not a name: letters, digits and - _ . : / @ + only, starting with a letter or digit, at most %d characters (the runbook's commands carry it)",
			field, s, KUP_PROFILE_MAX_NAME);
		return NULL;
	}
	return s;
}

static bool get_version(struct pctx *c, const struct kup_node *map, const char *key,
			const char *field, bool required, const char **text,
			struct kup_version *v)
{
	const struct kup_node *n = kup_node_get(map, key);
	struct kup_error e = KUP_ERROR_INIT;

	*text = NULL;
	memset(v, 0, sizeof(*v));
	if (!n) {
		if (required)
			problem(c, KUP_INVALID, map, "%s: missing", field);
		return !required;
	}
	if (n->kind != KUP_NODE_SCALAR || n->tag == KUP_TAG_NULL || n->tag == KUP_TAG_BOOL) {
		problem(c, KUP_VERSION, n, "%s: must be a version such as \"1.27.8\"", field);
		return false;
	}
	if (kup_version_parse_n(n->u.str, n->len, v, &e) != KUP_OK) {
		problem(c, KUP_VERSION, n,
			"%s: cannot parse '%.*s': expected MAJOR.MINOR[.PATCH] such as 1.27 or v1.27.8",
			field, (int)(n->len > 64 ? 64 : n->len), n->u.str);
		kup_error_release(&e);
		return false;
	}
	kup_error_release(&e);
	*text = dup_str(c, n->u.str);
	return true;
}

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const root_keys[] = { "apiVersion", "kind", "metadata", "spec" };
static const char *const metadata_keys[] = { "name", "labels", "annotations" };
static const char *const spec_keys[] = { "provider", "channel", "controlPlane", "nodePools",
					 "addons" };
static const char *const cp_keys[] = { "version" };
static const char *const pool_keys[] = {
	"name", "version", "kubeProxyVersion", "os", "containerRuntime", "kernelVersion", "count",
	"zones",
};
static const char *const addon_keys[] = { "name", "version", "upgradeMode", "image", "chart" };
static const char *const chart_keys[] = { "name", "version" };

/* Every key of map that is not in keys is a problem at the key, naming the closest known one. */
static void check_keys(struct pctx *c, const struct kup_node *map, const char *where,
		       const char *const *keys, size_t nkeys)
{
	size_t i, k;

	if (!map || map->kind != KUP_NODE_MAP)
		return;
	for (i = 0; i < map->len; i++) {
		const struct kup_node *key = map->u.pairs[i].key;
		const char *ks = key && key->kind == KUP_NODE_SCALAR ? key->u.str : NULL;
		const char *hint;

		for (k = 0; ks && k < nkeys; k++)
			if (strcmp(ks, keys[k]) == 0)
				break;
		if (ks && k < nkeys)
			continue;
		hint = kup_suggest(ks, keys, nkeys);
		if (hint)
			problem(c, KUP_INVALID, key, "%s: unknown key '%.64s'; did you mean '%s'?", where,
				ks, hint);
		else
			problem(c, KUP_INVALID, key, "%s: unknown key '%.64s'", where,
				ks ? ks : "(not a string)");
	}
}

static void parse_pool(struct pctx *c, const struct kup_node *n, size_t idx,
		       struct kup_nodepool *pool)
{
	char f[96];
	const struct kup_node *cn, *zn;
	size_t i;

	pool->line = n->line;
	pool->column = n->column;
	if (n->kind != KUP_NODE_MAP) {
		problem(c, KUP_INVALID, n, "spec.nodePools[%zu]: must be a mapping", idx);
		return;
	}
	snprintf(f, sizeof(f), "spec.nodePools[%zu]", idx);
	check_keys(c, n, f, pool_keys, NKEYS(pool_keys));
	snprintf(f, sizeof(f), "spec.nodePools[%zu].name", idx);
	pool->name = get_name(c, n, "name", f);
	snprintf(f, sizeof(f), "spec.nodePools[%zu].version", idx);
	get_version(c, n, "version", f, true, &pool->version_text, &pool->version);
	snprintf(f, sizeof(f), "spec.nodePools[%zu].kubeProxyVersion", idx);
	get_version(c, n, "kubeProxyVersion", f, false, &pool->kube_proxy_text, &pool->kube_proxy);
	snprintf(f, sizeof(f), "spec.nodePools[%zu].os", idx);
	pool->os = get_string(c, n, "os", f, false);
	snprintf(f, sizeof(f), "spec.nodePools[%zu].containerRuntime", idx);
	pool->runtime = get_string(c, n, "containerRuntime", f, false);
	snprintf(f, sizeof(f), "spec.nodePools[%zu].kernelVersion", idx);
	pool->kernel = get_string(c, n, "kernelVersion", f, false);

	cn = kup_node_get(n, "count");
	if (cn && !(cn->kind == KUP_NODE_SCALAR && cn->tag == KUP_TAG_NULL)) {
		int64_t v;
		if (!kup_node_int(cn, &v) || v < 0 || v > PROFILE_MAX_COUNT)
			problem(c, KUP_INVALID, cn,
				"spec.nodePools[%zu].count: must be a whole number from 0 to %d",
				idx, PROFILE_MAX_COUNT);
		else
			pool->count = (unsigned)v;
	}

	zn = kup_node_get(n, "zones");
	if (zn && !(zn->kind == KUP_NODE_SCALAR && zn->tag == KUP_TAG_NULL)) {
		if (zn->kind != KUP_NODE_SEQ) {
			problem(c, KUP_INVALID, zn, "spec.nodePools[%zu].zones: must be a list", idx);
			return;
		}
		pool->zones = kup_arena_zalloc(&c->p->arena, (zn->len ? zn->len : 1) * sizeof(char *));
		if (!pool->zones) {
			c->oom = true;
			return;
		}
		for (i = 0; i < zn->len; i++) {
			const struct kup_node *z = zn->u.items[i];
			if (z->kind != KUP_NODE_SCALAR || z->tag == KUP_TAG_NULL || z->len == 0) {
				problem(c, KUP_INVALID, z,
					"spec.nodePools[%zu].zones[%zu]: must be a non-empty string",
					idx, i);
				continue;
			}
			pool->zones[pool->nzones++] = dup_str(c, z->u.str);
		}
	}
}

static void parse_addon(struct pctx *c, const struct kup_node *n, size_t idx,
			struct kup_addon_inst *a)
{
	char f[96];
	const struct kup_node *ch;

	a->line = n->line;
	a->column = n->column;
	if (n->kind != KUP_NODE_MAP) {
		problem(c, KUP_INVALID, n, "spec.addons[%zu]: must be a mapping", idx);
		return;
	}
	snprintf(f, sizeof(f), "spec.addons[%zu]", idx);
	check_keys(c, n, f, addon_keys, NKEYS(addon_keys));
	snprintf(f, sizeof(f), "spec.addons[%zu].name", idx);
	a->name = get_name(c, n, "name", f);
	/* An add-on whose version could not be read (an image by digest) may leave it out. */
	snprintf(f, sizeof(f), "spec.addons[%zu].version", idx);
	get_version(c, n, "version", f, false, &a->version_text, &a->version);
	snprintf(f, sizeof(f), "spec.addons[%zu].upgradeMode", idx);
	a->upgrade_mode = get_string(c, n, "upgradeMode", f, false);
	if (a->upgrade_mode && strcmp(a->upgrade_mode, "in-place") != 0 &&
	    strcmp(a->upgrade_mode, "canary") != 0) {
		problem(c, KUP_INVALID, kup_node_get(n, "upgradeMode"),
			"%s: must be in-place or canary, not '%s'", f, a->upgrade_mode);
		a->upgrade_mode = NULL;
	}
	snprintf(f, sizeof(f), "spec.addons[%zu].image", idx);
	a->image = get_string(c, n, "image", f, false);

	ch = kup_node_get(n, "chart");
	if (ch && !(ch->kind == KUP_NODE_SCALAR && ch->tag == KUP_TAG_NULL)) {
		if (ch->kind != KUP_NODE_MAP) {
			problem(c, KUP_INVALID, ch, "spec.addons[%zu].chart: must be a mapping", idx);
			return;
		}
		snprintf(f, sizeof(f), "spec.addons[%zu].chart", idx);
		check_keys(c, ch, f, chart_keys, NKEYS(chart_keys));
		snprintf(f, sizeof(f), "spec.addons[%zu].chart.name", idx);
		a->chart_name = get_string(c, ch, "name", f, true);
		snprintf(f, sizeof(f), "spec.addons[%zu].chart.version", idx);
		a->chart_version = get_string(c, ch, "version", f, false);
		if (a->chart_version) {
			struct kup_version v;
			struct kup_error e = KUP_ERROR_INIT;
			if (kup_version_parse(a->chart_version, &v, &e) != KUP_OK)
				problem(c, KUP_VERSION, kup_node_get(ch, "version"),
					"%s: cannot parse '%.64s': expected a chart version such as 4.5.2",
					f, a->chart_version);
			kup_error_release(&e);
		}
	}
}

static void parse_root(struct pctx *c, const struct kup_node *root)
{
	struct kup_profile *p = c->p;
	const struct kup_node *n, *spec, *md, *cp, *seq;
	size_t i, j;

	if (root->kind != KUP_NODE_MAP) {
		problem(c, KUP_INVALID, root, "a ClusterProfile must be a mapping");
		return;
	}
	/* kubectl output given where a profile was expected: say how to get one */
	if (kup_node_get(root, "items") || kup_node_get(root, "serverVersion")) {
		problem(c, KUP_INVALID, root,
			"not a ClusterProfile but kubectl output: derive a profile with "
			"`kupgrade profile --from-dump FILE...`");
		return;
	}
	check_keys(c, root, "ClusterProfile", root_keys, NKEYS(root_keys));
	n = kup_node_get(root, "apiVersion");
	if (!n)
		problem(c, KUP_INVALID, root, "apiVersion: missing (expected '%s')", PROFILE_API_VERSION);
	else if (!kup_node_eq(n, PROFILE_API_VERSION))
		problem(c, KUP_INVALID, n, "apiVersion: expected '%s', not '%.64s'",
			PROFILE_API_VERSION, n->kind == KUP_NODE_SCALAR ? n->u.str : "(a collection)");
	n = kup_node_get(root, "kind");
	if (!n)
		problem(c, KUP_INVALID, root, "kind: missing (expected '%s')", PROFILE_KIND);
	else if (!kup_node_eq(n, PROFILE_KIND))
		problem(c, KUP_INVALID, n, "kind: expected '%s', not '%.64s'",
			PROFILE_KIND, n->kind == KUP_NODE_SCALAR ? n->u.str : "(a collection)");

	md = kup_node_get(root, "metadata");
	if (!md)
		problem(c, KUP_INVALID, root, "metadata.name: missing");
	else if (md->kind != KUP_NODE_MAP)
		problem(c, KUP_INVALID, md, "metadata: must be a mapping");
	else
		p->name = get_name(c, md, "name", "metadata.name");
	check_keys(c, md, "metadata", metadata_keys, NKEYS(metadata_keys));

	spec = kup_node_get(root, "spec");
	if (!spec) {
		problem(c, KUP_INVALID, root, "spec: missing");
		return;
	}
	if (spec->kind != KUP_NODE_MAP) {
		problem(c, KUP_INVALID, spec, "spec: must be a mapping");
		return;
	}

	check_keys(c, spec, "spec", spec_keys, NKEYS(spec_keys));
	p->provider = KUP_PROVIDER_GENERIC;
	p->provider_text = get_string(c, spec, "provider", "spec.provider", false);
	if (p->provider_text && !kup_provider_from_name(p->provider_text, &p->provider))
		problem(c, KUP_INVALID, kup_node_get(spec, "provider"),
			"spec.provider: must be one of eks, gke, aks, kubeadm, generic, not '%.64s'",
			p->provider_text);
	p->channel = get_string(c, spec, "channel", "spec.channel", false);

	cp = kup_node_get(spec, "controlPlane");
	if (!cp)
		problem(c, KUP_INVALID, spec, "spec.controlPlane.version: missing");
	else if (cp->kind != KUP_NODE_MAP)
		problem(c, KUP_INVALID, cp, "spec.controlPlane: must be a mapping");
	else
		get_version(c, cp, "version", "spec.controlPlane.version", true,
			    &p->cp_version_text, &p->control_plane);
	check_keys(c, cp, "spec.controlPlane", cp_keys, NKEYS(cp_keys));

	seq = kup_node_get(spec, "nodePools");
	if (seq && !(seq->kind == KUP_NODE_SCALAR && seq->tag == KUP_TAG_NULL)) {
		if (seq->kind != KUP_NODE_SEQ) {
			problem(c, KUP_INVALID, seq, "spec.nodePools: must be a list");
		} else if (seq->len) {
			p->pools = kup_arena_zalloc(&p->arena, seq->len * sizeof(*p->pools));
			if (!p->pools) {
				c->oom = true;
				return;
			}
			p->npools = seq->len;
			for (i = 0; i < seq->len; i++)
				parse_pool(c, seq->u.items[i], i, &p->pools[i]);
			for (i = 0; i < p->npools; i++)
				for (j = 0; j < i; j++)
					if (p->pools[i].name && p->pools[j].name &&
					    strcmp(p->pools[i].name, p->pools[j].name) == 0) {
						problem(c, KUP_INVALID, kup_node_get(seq->u.items[i], "name"),
							"spec.nodePools[%zu].name: '%s' is already the name of spec.nodePools[%zu]",
							i, p->pools[i].name, j);
						break;
					}
		}
	}

	seq = kup_node_get(spec, "addons");
	if (seq && !(seq->kind == KUP_NODE_SCALAR && seq->tag == KUP_TAG_NULL)) {
		if (seq->kind != KUP_NODE_SEQ) {
			problem(c, KUP_INVALID, seq, "spec.addons: must be a list");
		} else if (seq->len) {
			p->addons = kup_arena_zalloc(&p->arena, seq->len * sizeof(*p->addons));
			if (!p->addons) {
				c->oom = true;
				return;
			}
			p->naddons = seq->len;
			for (i = 0; i < seq->len; i++)
				parse_addon(c, seq->u.items[i], i, &p->addons[i]);
			for (i = 0; i < p->naddons; i++)
				for (j = 0; j < i; j++)
					if (p->addons[i].name && p->addons[j].name &&
					    strcmp(p->addons[i].name, p->addons[j].name) == 0) {
						problem(c, KUP_INVALID, kup_node_get(seq->u.items[i], "name"),
							"spec.addons[%zu].name: '%s' is already the name of spec.addons[%zu]",
							i, p->addons[i].name, j);
						break;
					}
		}
	}
}

static enum kup_status on_doc(void *ctx, const struct kup_doc *doc)
{
	struct pctx *c = ctx;

	if (!doc->root)
		return KUP_OK;
	if (++c->docs > 1) {
		problem(c, KUP_INVALID, doc->root,
			"more than one document: a profile file holds one ClusterProfile");
		return KUP_OK;
	}
	parse_root(c, doc->root);
	return c->oom ? KUP_NOMEM : KUP_OK;
}

enum kup_status kup_profile_parse_sink(const char *path, const char *text, size_t len,
				       const struct kup_error_sink *sink,
				       struct kup_profile **out, struct kup_error *err)
{
	struct pctx c;
	struct kup_arena arena;
	struct kup_profile *p;
	size_t nerr = 0;
	enum kup_status st;

	*out = NULL;
	if (!path)
		path = "-";
	p = kup_calloc(1, sizeof(*p));
	if (!p)
		return kup_error_set(err, KUP_NOMEM, path, 0, 0, "out of memory");
	kup_arena_init(&p->arena, 4 * 1024);
	memset(&c, 0, sizeof(c));
	c.path = path;
	c.sink = sink;
	c.err = err;
	c.p = p;
	p->path = kup_arena_strdup(&p->arena, path);
	/* a profile's tree is a few KiB: small blocks keep a fleet of profiles off the page-fault path */
	kup_arena_init(&arena, len < 8 * 1024 ? 16 * 1024 : 0);
	st = kup_docs_read_mem(text, len, path, NULL, false,
			       (struct kup_error_sink){ .fn = on_read_error, .ctx = &c }, &arena,
			       on_doc, &c, &nerr);
	kup_arena_release(&arena);
	if (st == KUP_OK && (c.oom || kup_arena_failed(&p->arena)))
		st = KUP_NOMEM;
	if (st != KUP_OK) {
		if (st == KUP_NOMEM)
			kup_error_set(err, KUP_NOMEM, path, 0, 0, "out of memory");
		else if (c.problems == 0)
			kup_error_set(err, st, path, 0, 0, "cannot read the profile: %s",
				      kup_strerror(st));
		goto fail;
	}
	if (c.problems == 0 && c.docs == 0) {
		problem(&c, KUP_INVALID, NULL, "empty file: expected a ClusterProfile");
	}
	if (c.problems) {
		st = c.first != KUP_OK ? c.first : KUP_INVALID;
		goto fail;
	}
	*out = p;
	return KUP_OK;
fail:
	kup_profile_free(p);
	return st;
}

enum kup_status kup_profile_parse(const char *path, const char *text, size_t len,
				  struct kup_profile **out, struct kup_error *err)
{
	return kup_profile_parse_sink(path, text, len, NULL, out, err);
}

/*
 * A regular file is read in one piece of its own size (kup_read_file grows
 * a 64 KiB buffer, which costs page faults when a fleet of small profiles is
 * read); stdin and the rest go through kup_read_file.
 */
static enum kup_status read_small(const char *path, char **out, size_t *len,
				  struct kup_error *err)
{
	struct stat sb;
	FILE *fp;
	char *buf;
	size_t n;

	if (strcmp(path, "-") == 0 || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size <= 0 || (unsigned long long)sb.st_size >= PROFILE_MAX_BYTES)
		return kup_read_file(path, PROFILE_MAX_BYTES, out, len, err);
	fp = fopen(path, "rb");
	if (!fp)
		return kup_read_file(path, PROFILE_MAX_BYTES, out, len, err);
	buf = kup_malloc((size_t)sb.st_size + 2);
	if (!buf) {
		fclose(fp);
		return kup_error_set(err, KUP_NOMEM, path, 0, 0, "cannot read '%s': out of memory", path);
	}
	n = fread(buf, 1, (size_t)sb.st_size + 1, fp);
	if (ferror(fp) || n > (size_t)sb.st_size) {
		/* an error, or the file grew while read: the general reader copes */
		fclose(fp);
		free(buf);
		return kup_read_file(path, PROFILE_MAX_BYTES, out, len, err);
	}
	fclose(fp);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return KUP_OK;
}

enum kup_status kup_profile_load(const char *path, struct kup_profile **out,
				 struct kup_error *err)
{
	char *text = NULL;
	size_t len = 0;
	enum kup_status st;

	*out = NULL;
	st = read_small(path, &text, &len, err);
	if (st != KUP_OK)
		return st;
	st = kup_profile_parse(path, text, len, out, err);
	free(text);
	return st;
}

void kup_profile_free(struct kup_profile *p)
{
	if (!p)
		return;
	kup_arena_release(&p->arena);
	free(p);
}

/* ---- writing ----------------------------------------------------------- */

static bool plain_safe(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
		      ch == '/'))
			return false;
	}
	return kup_scalar_resolve(s, n) == KUP_TAG_STR;
}

static void add_scalar(struct kup_buf *out, const char *s)
{
	if (plain_safe(s))
		kup_buf_adds(out, s);
	else
		kup_json_quote(out, s);
}

static void kv(struct kup_buf *out, const char *indent, const char *key, const char *val,
	       bool quote)
{
	if (!val)
		return;
	kup_buf_addf(out, "%s%s: ", indent, key);
	if (quote)
		kup_json_quote(out, val);
	else
		add_scalar(out, val);
	kup_buf_addc(out, '\n');
}

enum kup_status kup_profile_write_yaml(const struct kup_profile *p, struct kup_buf *out)
{
	size_t i, j;

	kup_buf_adds(out, "apiVersion: " PROFILE_API_VERSION "\nkind: " PROFILE_KIND "\nmetadata:\n");
	kv(out, "  ", "name", p->name ? p->name : "unnamed", false);
	kup_buf_adds(out, "spec:\n");
	kup_buf_addf(out, "  provider: %s\n", kup_provider_name(p->provider));
	if (p->channel)
		kv(out, "  ", "channel", p->channel, true);
	kup_buf_adds(out, "  controlPlane:\n");
	if (p->cp_version_text)
		kv(out, "    ", "version", p->cp_version_text, true);
	else
		kup_buf_adds(out, "    version: null\n");
	if (p->npools == 0)
		kup_buf_adds(out, "  nodePools: []\n");
	else
		kup_buf_adds(out, "  nodePools:\n");
	for (i = 0; i < p->npools; i++) {
		const struct kup_nodepool *np = &p->pools[i];
		kup_buf_adds(out, "    - ");
		kup_buf_adds(out, "name: ");
		add_scalar(out, np->name ? np->name : "default");
		kup_buf_addc(out, '\n');
		kv(out, "      ", "version", np->version_text, true);
		if (np->count)
			kup_buf_addf(out, "      count: %u\n", np->count);
		if (np->nzones) {
			kup_buf_adds(out, "      zones: [");
			for (j = 0; j < np->nzones; j++) {
				if (j)
					kup_buf_adds(out, ", ");
				add_scalar(out, np->zones[j]);
			}
			kup_buf_adds(out, "]\n");
		}
		kv(out, "      ", "os", np->os, true);
		kv(out, "      ", "containerRuntime", np->runtime, true);
		kv(out, "      ", "kubeProxyVersion", np->kube_proxy_text, true);
		kv(out, "      ", "kernelVersion", np->kernel, true);
	}
	if (p->naddons == 0)
		kup_buf_adds(out, "  addons: []\n");
	else
		kup_buf_adds(out, "  addons:\n");
	for (i = 0; i < p->naddons; i++) {
		const struct kup_addon_inst *a = &p->addons[i];
		kup_buf_adds(out, "    - name: ");
		add_scalar(out, a->name ? a->name : "unknown");
		kup_buf_addc(out, '\n');
		kv(out, "      ", "version", a->version_text, true);
		kv(out, "      ", "upgradeMode", a->upgrade_mode, false);
		if (a->chart_name) {
			kup_buf_adds(out, "      chart:\n");
			kv(out, "        ", "name", a->chart_name, false);
			kv(out, "        ", "version", a->chart_version, true);
		}
		kv(out, "      ", "image", a->image, true);
	}
	return out->oom ? KUP_NOMEM : KUP_OK;
}

enum kup_status kup_profile_write_json(const struct kup_profile *p, struct kup_buf *out)
{
	size_t i, j;

	kup_buf_adds(out, "{\"apiVersion\": \"" PROFILE_API_VERSION "\", \"kind\": \"" PROFILE_KIND
			  "\",\n \"metadata\": {\"name\": ");
	kup_json_quote(out, p->name ? p->name : "unnamed");
	kup_buf_adds(out, "},\n \"spec\": {\"provider\": ");
	kup_json_quote(out, kup_provider_name(p->provider));
	if (p->channel) {
		kup_buf_adds(out, ", \"channel\": ");
		kup_json_quote(out, p->channel);
	}
	kup_buf_adds(out, ", \"controlPlane\": {\"version\": ");
	kup_json_quote(out, p->cp_version_text);
	kup_buf_adds(out, "},\n  \"nodePools\": [");
	for (i = 0; i < p->npools; i++) {
		const struct kup_nodepool *np = &p->pools[i];
		kup_buf_adds(out, i ? ",\n   {" : "\n   {");
		kup_buf_adds(out, "\"name\": ");
		kup_json_quote(out, np->name ? np->name : "default");
		kup_buf_adds(out, ", \"version\": ");
		kup_json_quote(out, np->version_text);
		if (np->count)
			kup_buf_addf(out, ", \"count\": %u", np->count);
		if (np->nzones) {
			kup_buf_adds(out, ", \"zones\": [");
			for (j = 0; j < np->nzones; j++) {
				if (j)
					kup_buf_adds(out, ", ");
				kup_json_quote(out, np->zones[j]);
			}
			kup_buf_adds(out, "]");
		}
#define OPT(key, val) do { if (val) { kup_buf_adds(out, ", \"" key "\": "); kup_json_quote(out, val); } } while (0)
		OPT("os", np->os);
		OPT("containerRuntime", np->runtime);
		OPT("kubeProxyVersion", np->kube_proxy_text);
		OPT("kernelVersion", np->kernel);
		kup_buf_adds(out, "}");
	}
	kup_buf_adds(out, p->npools ? "\n  ],\n  \"addons\": [" : "],\n  \"addons\": [");
	for (i = 0; i < p->naddons; i++) {
		const struct kup_addon_inst *a = &p->addons[i];
		kup_buf_adds(out, i ? ",\n   {" : "\n   {");
		kup_buf_adds(out, "\"name\": ");
		kup_json_quote(out, a->name ? a->name : "unknown");
		OPT("version", a->version_text);
		OPT("upgradeMode", a->upgrade_mode);
		if (a->chart_name) {
			kup_buf_adds(out, ", \"chart\": {\"name\": ");
			kup_json_quote(out, a->chart_name);
			OPT("version", a->chart_version);
			kup_buf_adds(out, "}");
		}
		OPT("image", a->image);
#undef OPT
		kup_buf_adds(out, "}");
	}
	kup_buf_adds(out, p->naddons ? "\n  ]}}\n" : "]}}\n");
	return out->oom ? KUP_NOMEM : KUP_OK;
}
