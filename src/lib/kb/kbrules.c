/*
 * kbrules.c - provider rules (schema kupgrade.dev/kb/provider-rules/v1):
 * what kubeadm, EKS, GKE, AKS accept on top of the upstream skew policy,
 * their etcd lines, the add-on versions they publish, the node OS families
 * and container runtimes each minor runs, and their commands.  Loaded by
 * kb.c's loader (file:line:column problems), queried through kbrules.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kupgrade/profile.h"
#include "kb/kb_int.h"

/* Slot order: the provider enum, then "all". */
static const char *const slot_names[KUP_RULES_SLOTS] = {
	"generic", "eks", "gke", "aks", "kubeadm", "all"
};

static int slot_of(const char *name)
{
	int i;

	for (i = 0; i < KUP_RULES_SLOTS; i++)
		if (name && strcmp(name, slot_names[i]) == 0)
			return i;
	return -1;
}

static bool is_null(const struct kup_node *n)
{
	return !n || (n->kind == KUP_NODE_SCALAR && n->tag == KUP_TAG_NULL);
}

static const char *text(struct kup_kb_loader *ld, const struct kup_node *map, const char *key,
			bool required)
{
	const struct kup_node *n = kup_kbl_want_str(ld, map, key, required);

	return n ? kup_kbl_str(ld, n) : NULL;
}

/* A Kubernetes minor ("1.29"): no patch, no pre-release. */
static void minor(struct kup_kb_loader *ld, const struct kup_node *map, const char *key,
		  bool required, struct kup_version *out)
{
	kup_kbl_want_version(ld, map, key, required, out);
	if (out->valid && (out->has_patch || out->pre[0])) {
		kup_kbl_problem(ld, kup_node_get(map, key), "'%s' must be a minor such as \"1.29\"",
				key);
		out->valid = false;
	}
}

static void range(struct kup_kb_loader *ld, const struct kup_node *e, struct kup_version *lo,
		  struct kup_version *hi)
{
	minor(ld, e, "k8s_min", false, lo);
	minor(ld, e, "k8s_max", false, hi);
	if (lo->valid && hi->valid && kup_version_cmp_minor(lo, hi) > 0)
		kup_kbl_problem(ld, e, "k8s_min is above k8s_max");
}

/* The list under `key` (absent or null: NULL without a problem). */
static const struct kup_node *list_of(struct kup_kb_loader *ld, const struct kup_node *root,
				      const char *key)
{
	const struct kup_node *n = kup_node_get(root, key);

	if (is_null(n))
		return NULL;
	if (n->kind != KUP_NODE_SEQ) {
		kup_kbl_problem(ld, n, "'%s' must be a list", key);
		return NULL;
	}
	return n;
}

static bool is_map(struct kup_kb_loader *ld, const struct kup_node *e, const char *what)
{
	if (e->kind != KUP_NODE_MAP) {
		kup_kbl_problem(ld, e, "%s must be a mapping", what);
		return false;
	}
	return true;
}

/* Appends one element to a growable array held as a const pointer in the public struct. */
static void *push(struct kup_kb_loader *ld, const void *arr_field, size_t *n, size_t *cap,
		  size_t size)
{
	void **arr = (void **)arr_field;
	char *p;

	if (!kup_grow(arr, cap, *n + 1, size, 8)) {
		ld->oom = true;
		return NULL;
	}
	p = (char *)*arr + *n * size;
	memset(p, 0, size);
	(*n)++;
	return p;
}

/*
 * One table of rows in a provider file (node_skew, etcd, patches ...): every
 * item a mapping with only `keys`, read by `read` into a zeroed row; a row
 * read without a problem, and that `read` keeps (it returns false for a row
 * it reported, such as a duplicate), is appended to the table's array.
 */
union any_row {
	struct kup_node_skew_rule skew;
	struct kup_etcd_rule etcd;
	struct kup_managed_addon addon;
	struct kup_node_image_rule image;
	struct kup_runtime_rule runtime;
	struct kup_channel_rule channel;
	struct kup_provider_patch patch;
	struct kup_node_image_version image_version;
};

struct row_table {
	const char *key; /* the list's key in the file */
	const char *what;
	const char *const *keys;
	size_t size;
	bool (*read)(struct kup_kb_loader *ld, const struct kup_rules_slot *s,
		     const struct kup_node *e, union any_row *row);
};

static void load_rows(struct kup_kb_loader *ld, const struct kup_node *root,
		      const struct kup_rules_slot *s, const struct row_table *t,
		      const void *arr_field, size_t *n, size_t *cap)
{
	const struct kup_node *list = list_of(ld, root, t->key);
	union any_row row;
	size_t i;

	for (i = 0; list && i < list->len && !ld->oom; i++) {
		const struct kup_node *e = list->u.items[i];
		size_t bad = ld->problems;
		void *dst;

		if (!is_map(ld, e, t->what))
			continue;
		memset(&row, 0, sizeof(row));
		kup_kbl_check_keys(ld, e, t->keys);
		if (!t->read(ld, s, e, &row) || ld->problems != bad)
			continue;
		dst = push(ld, arr_field, n, cap, t->size);
		if (dst)
			memcpy(dst, &row, t->size);
	}
}

static bool read_node_skew(struct kup_kb_loader *ld, const struct kup_rules_slot *s,
			   const struct kup_node *e, union any_row *row)
{
	struct kup_node_skew_rule *r = &row->skew;
	const struct kup_node *o = kup_node_get(e, "older");
	int64_t v;

	(void)s;
	kup_kbl_want_checked(ld, e);
	range(ld, e, &r->k8s_min, &r->k8s_max);
	if (!o || !kup_node_int(o, &v) || v < 0 || v > 10)
		kup_kbl_problem(ld, o ? o : e, "'older' must be an integer from 0 to 10");
	else
		r->older = (int)v;
	kup_kbl_want_source(ld, e, "source", &r->source);
	return true;
}

static bool read_etcd(struct kup_kb_loader *ld, const struct kup_rules_slot *s,
		      const struct kup_node *e, union any_row *row)
{
	struct kup_etcd_rule *r = &row->etcd;

	(void)s;
	kup_kbl_want_checked(ld, e);
	range(ld, e, &r->k8s_min, &r->k8s_max);
	kup_kbl_want_version(ld, e, "version", true, &r->version);
	r->version_text = text(ld, e, "version", false);
	kup_kbl_want_version(ld, e, "requires", false, &r->requires);
	r->requires_text = r->requires.valid ? text(ld, e, "requires", false) : NULL;
	kup_kbl_want_source(ld, e, "source", &r->source);
	return true;
}

static bool read_managed_addon(struct kup_kb_loader *ld, const struct kup_rules_slot *s,
			       const struct kup_node *e, union any_row *row)
{
	struct kup_managed_addon *r = &row->addon;
	size_t bad = ld->problems;

	kup_kbl_want_checked(ld, e);
	r->addon = text(ld, e, "addon", true);
	r->provider_name = text(ld, e, "provider_name", false);
	minor(ld, e, "k8s", true, &r->k8s);
	kup_kbl_want_version(ld, e, "version", true, &r->version);
	r->version_text = text(ld, e, "version", false);
	kup_kbl_want_source(ld, e, "source", &r->source);
	if (ld->problems != bad)
		return false;
	if (kup_rules_managed_addon(&s->r, r->addon, &r->k8s)) {
		kup_kbl_problem(ld, e, "duplicate managed add-on %s for %d.%d", r->addon,
				r->k8s.major, r->k8s.minor);
		return false;
	}
	return true;
}

static bool read_node_image(struct kup_kb_loader *ld, const struct kup_rules_slot *s,
			    const struct kup_node *e, union any_row *row)
{
	struct kup_node_image_rule *r = &row->image;

	(void)s;
	kup_kbl_want_checked(ld, e);
	r->family = text(ld, e, "family", true);
	r->os = text(ld, e, "os", true);
	range(ld, e, &r->k8s_min, &r->k8s_max);
	r->replace_with = text(ld, e, "replace_with", false);
	kup_kbl_want_source(ld, e, "source", &r->source);
	return true;
}

static bool read_runtime(struct kup_kb_loader *ld, const struct kup_rules_slot *s,
			 const struct kup_node *e, union any_row *row)
{
	struct kup_runtime_rule *r = &row->runtime;

	(void)s;
	kup_kbl_want_checked(ld, e);
	r->runtime = text(ld, e, "runtime", true);
	minor(ld, e, "k8s_max", true, &r->k8s_max);
	r->replace_with = text(ld, e, "replace_with", false);
	kup_kbl_want_source(ld, e, "source", &r->source);
	return true;
}

/* Required k8s_min..k8s_max in order (read after the row's other problems). */
static bool in_order(struct kup_kb_loader *ld, const struct kup_node *e,
		     const struct kup_version *lo, const struct kup_version *hi)
{
	if (kup_version_cmp_minor(lo, hi) > 0) {
		kup_kbl_problem(ld, e, "k8s_min is above k8s_max");
		return false;
	}
	return true;
}

static bool read_channel(struct kup_kb_loader *ld, const struct kup_rules_slot *s,
			 const struct kup_node *e, union any_row *row)
{
	struct kup_channel_rule *r = &row->channel;
	size_t bad = ld->problems;

	r->channel = text(ld, e, "channel", true);
	minor(ld, e, "k8s_min", true, &r->k8s_min);
	minor(ld, e, "k8s_max", true, &r->k8s_max);
	r->checked = kup_kbl_want_date(ld, e, "checked", true);
	kup_kbl_want_source(ld, e, "source", &r->source);
	if (ld->problems != bad || !in_order(ld, e, &r->k8s_min, &r->k8s_max))
		return false;
	if (kup_rules_channel(&s->r, r->channel)) {
		kup_kbl_problem(ld, e, "duplicate channel '%s'", r->channel);
		return false;
	}
	return true;
}

/*
 * Patch versions the provider names per minor (`patches`): the version's
 * minor must be the row's, a channel must be one this provider lists.
 */
static bool read_patch(struct kup_kb_loader *ld, const struct kup_rules_slot *s,
		       const struct kup_node *e, union any_row *row)
{
	struct kup_provider_patch *r = &row->patch;
	struct kup_version v;
	size_t bad = ld->problems, j;

	/* a snapshot that changes weekly: the day it was read */
	r->checked = kup_kbl_want_date(ld, e, "checked", true);
	minor(ld, e, "k8s", true, &r->k8s);
	r->channel = text(ld, e, "channel", false);
	kup_kbl_want_version(ld, e, "version", true, &v);
	r->version_text = text(ld, e, "version", false);
	r->published = kup_kbl_want_date(ld, e, "published", false);
	kup_kbl_want_source(ld, e, "source", &r->source);
	if (ld->problems != bad)
		return false;
	if (!v.has_patch || kup_version_cmp_minor(&v, &r->k8s) != 0) {
		kup_kbl_problem(ld, kup_node_get(e, "version"),
				"'version' %s is not a patch of %d.%d", r->version_text,
				r->k8s.major, r->k8s.minor);
		return false;
	}
	if (r->channel && !kup_rules_channel(&s->r, r->channel)) {
		kup_kbl_problem(ld, kup_node_get(e, "channel"),
				"channel '%s' is not in this provider's channels", r->channel);
		return false;
	}
	for (j = 0; j < s->r.npatches; j++)
		if (kup_version_cmp_minor(&s->r.patches[j].k8s, &r->k8s) == 0 &&
		    (s->r.patches[j].channel ? r->channel &&
		     !strcasecmp(s->r.patches[j].channel, r->channel) : !r->channel)) {
			kup_kbl_problem(ld, e, "duplicate patch row for %d.%d%s%s", r->k8s.major,
					r->k8s.minor, r->channel ? " on channel " : "",
					r->channel ? r->channel : "");
			return false;
		}
	return true;
}

/* Node image versions per OS family (`node_image_versions`): the family must be a node_images row's. */
static bool read_image_version(struct kup_kb_loader *ld, const struct kup_rules_slot *s,
			       const struct kup_node *e, union any_row *row)
{
	struct kup_node_image_version *r = &row->image_version;
	size_t bad = ld->problems, j;

	(void)kup_kbl_want_date(ld, e, "checked", true);
	r->family = text(ld, e, "family", true);
	r->image = text(ld, e, "image", false);
	minor(ld, e, "k8s_min", true, &r->k8s_min);
	minor(ld, e, "k8s_max", true, &r->k8s_max);
	r->version = text(ld, e, "version", true);
	r->published = kup_kbl_want_date(ld, e, "published", false);
	kup_kbl_want_source(ld, e, "source", &r->source);
	if (ld->problems != bad || !in_order(ld, e, &r->k8s_min, &r->k8s_max))
		return false;
	for (j = 0; j < s->r.nnode_images; j++)
		if (!strcmp(s->r.node_images[j].family, r->family))
			return true;
	kup_kbl_problem(ld, kup_node_get(e, "family"),
			"family '%s' is not in this provider's node_images", r->family);
	return false;
}

#define ROW_KEYS(...) ((const char *const[]){ __VA_ARGS__, "source", "checked", "notes", NULL })

static const struct row_table skew_rows = {
	"node_skew", "a node_skew row", ROW_KEYS("k8s_min", "k8s_max", "older"),
	sizeof(struct kup_node_skew_rule), read_node_skew };
static const struct row_table etcd_rows = {
	"etcd", "an etcd row", ROW_KEYS("k8s_min", "k8s_max", "version", "requires"),
	sizeof(struct kup_etcd_rule), read_etcd };
static const struct row_table addon_rows = {
	"managed_addons", "a managed_addons row", ROW_KEYS("addon", "provider_name", "k8s", "version"),
	sizeof(struct kup_managed_addon), read_managed_addon };
static const struct row_table image_rows = {
	"node_images", "a node_images row", ROW_KEYS("family", "os", "k8s_min", "k8s_max", "replace_with"),
	sizeof(struct kup_node_image_rule), read_node_image };
static const struct row_table runtime_rows = {
	"runtimes", "a runtimes row", ROW_KEYS("runtime", "k8s_max", "replace_with"),
	sizeof(struct kup_runtime_rule), read_runtime };
static const struct row_table channel_rows = {
	"channels", "a channels row", ROW_KEYS("channel", "k8s_min", "k8s_max"),
	sizeof(struct kup_channel_rule), read_channel };
static const struct row_table patch_rows = {
	"patches", "a patches row", ROW_KEYS("k8s", "channel", "version", "published"),
	sizeof(struct kup_provider_patch), read_patch };
static const struct row_table image_version_rows = {
	"node_image_versions", "a node_image_versions row",
	ROW_KEYS("family", "image", "k8s_min", "k8s_max", "version", "published"),
	sizeof(struct kup_node_image_version), read_image_version };

/* Label rows {label, source} into *rows (pool_labels, cluster_name_labels). */
static void load_labels(struct kup_kb_loader *ld, struct kup_rules_slot *s,
			const struct kup_node *list, const char *what,
			const struct kup_pool_label **rows, size_t *nrows, size_t *cap)
{
	static const char *const keys[] = { "label", "source", "checked", "notes", NULL };
	size_t i, j;

	for (i = 0; list && i < list->len && !ld->oom; i++) {
		const struct kup_node *e = list->u.items[i];
		struct kup_pool_label r, *dst;
		size_t bad = ld->problems;

		if (!is_map(ld, e, what))
			continue;
		memset(&r, 0, sizeof(r));
		kup_kbl_check_keys(ld, e, keys);
		kup_kbl_want_checked(ld, e);
		r.label = text(ld, e, "label", true);
		r.provider = s->r.provider;
		kup_kbl_want_source(ld, e, "source", &r.source);
		for (j = 0; r.label && j < *nrows; j++)
			if (strcmp((*rows)[j].label, r.label) == 0)
				kup_kbl_problem(ld, e, "label '%s' is listed twice", r.label);
		if (ld->problems != bad)
			continue;
		dst = push(ld, rows, nrows, cap, sizeof(r));
		if (dst)
			*dst = r;
	}
}

static void load_recognize(struct kup_kb_loader *ld, struct kup_rules_slot *s,
			   const struct kup_node *list)
{
	static const char *const keys[] = { "version_prefix", "node_label", "node_label_prefix",
					    "node_annotation_prefix", "configmap", "source",
					    "checked", "notes", NULL };
	size_t i, j, k;

	for (i = 0; list && i < list->len && !ld->oom; i++) {
		const struct kup_node *e = list->u.items[i];
		struct kup_recognize_rule r, *dst;
		size_t bad = ld->problems;
		int found = 0;

		if (!is_map(ld, e, "a recognize row"))
			continue;
		memset(&r, 0, sizeof(r));
		kup_kbl_check_keys(ld, e, keys);
		kup_kbl_want_checked(ld, e);
		for (k = 0; k < 5; k++) {
			const struct kup_node *n = kup_node_get(e, keys[k]);

			if (is_null(n))
				continue;
			if (found++)
				continue;
			r.on = (enum kup_recognize_on)k;
			r.value = text(ld, e, keys[k], true);
		}
		if (found != 1)
			kup_kbl_problem(ld, e, "a recognize row needs exactly one of version_prefix, "
					"node_label, node_label_prefix, node_annotation_prefix, configmap");
		if (!strcmp(s->r.provider, "generic") || !strcmp(s->r.provider, "all"))
			kup_kbl_problem(ld, e, "'recognize' belongs to a provider's own file, not '%s'",
					s->r.provider);
		r.provider = s->r.provider;
		kup_kbl_want_source(ld, e, "source", &r.source);
		for (j = 0; r.value && j < s->r.nrecognize; j++)
			if (s->r.recognize[j].on == r.on && strcmp(s->r.recognize[j].value, r.value) == 0)
				kup_kbl_problem(ld, e, "recognize row '%s' is listed twice", r.value);
		if (ld->problems != bad)
			continue;
		dst = push(ld, &s->r.recognize, &s->r.nrecognize, &s->recognize_cap, sizeof(r));
		if (dst)
			*dst = r;
	}
}

/* A node count: a non-negative integer or "N%" (0..100). */
static void node_count(struct kup_kb_loader *ld, const struct kup_node *map, const char *key,
		       struct kup_node_count *out)
{
	const struct kup_node *n = kup_node_get(map, key);
	int64_t v;

	memset(out, 0, sizeof(*out));
	if (is_null(n))
		return;
	if (kup_node_int(n, &v) && v >= 0 && v <= 10000) {
		out->set = true;
		out->value = (int)v;
		return;
	}
	if (n->kind == KUP_NODE_SCALAR && n->len >= 2 && n->len <= 4 &&
	    n->u.str[n->len - 1] == '%') {
		int x = 0;
		size_t i;

		for (i = 0; i + 1 < n->len && isdigit((unsigned char)n->u.str[i]); i++)
			x = x * 10 + (n->u.str[i] - '0');
		if (i + 1 == n->len && x <= 100) {
			out->set = out->pct = true;
			out->value = x;
			return;
		}
	}
	kup_kbl_problem(ld, n, "'%s' must be a node count (an integer) or a percentage (\"10%%\")",
			key);
}

/* A non-negative number of seconds (an integer below ten days). */
static double seconds(struct kup_kb_loader *ld, const struct kup_node *map, const char *key)
{
	const struct kup_node *n = kup_node_get(map, key);
	int64_t v;

	if (is_null(n))
		return 0;
	if (!kup_node_int(n, &v) || v < 0 || v > 864000) {
		kup_kbl_problem(ld, n, "'%s' must be a number of seconds from 0 to 864000", key);
		return 0;
	}
	return (double)v;
}

static void load_pool_upgrades(struct kup_kb_loader *ld, struct kup_rules_slot *s,
			       const struct kup_node *list)
{
	static const char *const keys[] = { "policy", "strategy", "max_surge", "max_unavailable",
					    "surge_field", "unavailable_field", "parallel_cap",
					    "drain_timeout", "on_timeout", "timeout_error",
					    "post_cordon", "batch_nodes", "batch_soak", "pool_soak",
					    "note", "advice", "setting", "source", "checked", "notes",
					    NULL };
	size_t i, j, k;

	for (i = 0; list && i < list->len && !ld->oom; i++) {
		const struct kup_node *e = list->u.items[i], *n;
		struct kup_pool_upgrade r, *dst;
		size_t bad = ld->problems;
		const char *ot;
		int64_t v;

		if (!is_map(ld, e, "a node_upgrade row"))
			continue;
		memset(&r, 0, sizeof(r));
		kup_kbl_check_keys(ld, e, keys);
		kup_kbl_want_checked(ld, e);
		r.policy = text(ld, e, "policy", true);
		r.provider = s->r.provider;
		r.strategy = text(ld, e, "strategy", true);
		node_count(ld, e, "max_surge", &r.max_surge);
		node_count(ld, e, "max_unavailable", &r.max_unavailable);
		r.surge_field = text(ld, e, "surge_field", false);
		r.unavailable_field = text(ld, e, "unavailable_field", false);
		n = kup_node_get(e, "parallel_cap");
		if (!is_null(n)) {
			if (!kup_node_int(n, &v) || v < 1 || v > 10000)
				kup_kbl_problem(ld, n, "'parallel_cap' must be an integer from 1 to 10000");
			else
				r.parallel_cap = (int)v;
		}
		n = kup_node_get(e, "batch_nodes");
		if (!is_null(n)) {
			if (!kup_node_int(n, &v) || v < 1 || v > 10000)
				kup_kbl_problem(ld, n, "'batch_nodes' must be an integer from 1 to 10000");
			else
				r.batch_nodes = (int)v;
		}
		r.drain_timeout = seconds(ld, e, "drain_timeout");
		r.post_cordon = seconds(ld, e, "post_cordon");
		r.batch_soak = seconds(ld, e, "batch_soak");
		r.pool_soak = seconds(ld, e, "pool_soak");
		ot = text(ld, e, "on_timeout", false);
		if (ot && strcmp(ot, "fail") != 0 && strcmp(ot, "force") != 0)
			kup_kbl_problem(ld, kup_node_get(e, "on_timeout"),
					"'on_timeout' must be fail or force, not '%s'", ot);
		r.on_timeout_force = ot && !strcmp(ot, "force");
		if (ot && !r.drain_timeout)
			kup_kbl_problem(ld, e, "'on_timeout' without a drain_timeout");
		if (r.drain_timeout && !ot)
			kup_kbl_problem(ld, e, "a drain_timeout needs on_timeout (fail or force)");
		r.timeout_error = text(ld, e, "timeout_error", false);
		r.note = text(ld, e, "note", false);
		r.advice = text(ld, e, "advice", false);
		r.setting = text(ld, e, "setting", false);
		if (!r.max_surge.set && !r.max_unavailable.set)
			kup_kbl_problem(ld, e, "a node_upgrade row needs max_surge or max_unavailable");
		kup_kbl_want_source(ld, e, "source", &r.source);
		/* a simulator policy takes its defaults from one row of one provider */
		for (k = 0; r.policy && k < KUP_RULES_SLOTS; k++) {
			const struct kup_provider_rules *o = &ld->kb->plan.rules[k].r;

			for (j = 0; j < o->npool_upgrades; j++)
				if (strcmp(o->pool_upgrades[j].policy, r.policy) == 0)
					kup_kbl_problem(ld, e, "node_upgrade policy '%s' is listed "
							"twice", r.policy);
		}
		if (ld->problems != bad)
			continue;
		dst = push(ld, &s->r.pool_upgrades, &s->r.npool_upgrades, &s->pool_upgrades_cap,
			   sizeof(r));
		if (dst)
			*dst = r;
	}
}

/* A scalar that may be set by one document only. */
static void set_once(struct kup_kb_loader *ld, const struct kup_node *map, const char *key,
		     const char **field)
{
	const struct kup_node *n = kup_node_get(map, key);
	const char *v;

	if (is_null(n))
		return;
	v = text(ld, map, key, false);
	if (!v)
		return;
	if (*field) {
		kup_kbl_problem(ld, n, "'%s' is already given for this provider", key);
		return;
	}
	*field = v;
}

static void load_commands(struct kup_kb_loader *ld, struct kup_rules_slot *s,
			  const struct kup_node *c)
{
	static const char *const keys[] = { "plan", "control_plane", "control_plane_nodes",
					    "nodepool", "nodepool_replace", "addon", "node_image",
					    "channel", "source", "checked", "notes", NULL };
	struct kup_provider_commands *k = &s->r.commands;
	const char *src = NULL;

	if (is_null(c) || !is_map(ld, c, "'commands'"))
		return;
	kup_kbl_check_keys(ld, c, keys);
	kup_kbl_want_checked(ld, c);
	set_once(ld, c, "plan", &k->plan);
	set_once(ld, c, "control_plane", &k->control_plane);
	set_once(ld, c, "control_plane_nodes", &k->control_plane_nodes);
	set_once(ld, c, "nodepool", &k->nodepool);
	set_once(ld, c, "nodepool_replace", &k->nodepool_replace);
	set_once(ld, c, "addon", &k->addon);
	set_once(ld, c, "node_image", &k->node_image);
	set_once(ld, c, "channel", &k->channel);
	kup_kbl_want_source(ld, c, "source", &src);
	if (src && !k->source)
		k->source = src;
}

void kup_kbrules_load(struct kup_kb_loader *ld, const struct kup_node *root)
{
	static const char *const top[] = { "schema", "provider", "source", "checked", "notes",
					   "node_skew", "etcd", "managed_addons", "node_images",
					   "runtimes", "commands", "control_plane_nodes",
					   "support_end", "extended_support", "channels",
					   "pool_labels", "node_upgrade", "recognize", "service",
					   "cluster_name_labels", "patches", "node_image_versions",
					   NULL };
	const struct kup_node *pn, *n;
	struct kup_rules_slot *s;
	int slot;

	kup_kbl_check_keys(ld, root, top);
	kup_kbl_want_checked(ld, root);
	pn = kup_kbl_want_str(ld, root, "provider", true);
	if (!pn)
		return;
	slot = slot_of(pn->u.str);
	if (slot < 0) {
		kup_kbl_problem(ld, pn, "unknown provider '%s' (eks, gke, aks, kubeadm, generic, all)",
				pn->u.str);
		return;
	}
	s = &ld->kb->plan.rules[slot];
	s->r.provider = slot_names[slot];
	ld->kb->plan.nrules_docs++;
	load_rows(ld, root, s, &skew_rows, &s->r.node_skew, &s->r.nnode_skew, &s->skew_cap);
	load_rows(ld, root, s, &etcd_rows, &s->r.etcd, &s->r.netcd, &s->etcd_cap);
	load_rows(ld, root, s, &addon_rows, &s->r.managed_addons, &s->r.nmanaged_addons,
		  &s->addons_cap);
	load_rows(ld, root, s, &image_rows, &s->r.node_images, &s->r.nnode_images, &s->images_cap);
	load_rows(ld, root, s, &runtime_rows, &s->r.runtimes, &s->r.nruntimes, &s->runtimes_cap);
	load_rows(ld, root, s, &channel_rows, &s->r.channels, &s->r.nchannels, &s->channels_cap);
	load_rows(ld, root, s, &patch_rows, &s->r.patches, &s->r.npatches, &s->patches_cap);
	load_rows(ld, root, s, &image_version_rows, &s->r.image_versions, &s->r.nimage_versions,
		  &s->image_versions_cap);
	load_labels(ld, s, list_of(ld, root, "pool_labels"), "a pool_labels row",
		    &s->r.pool_labels, &s->r.npool_labels, &s->pool_labels_cap);
	load_labels(ld, s, list_of(ld, root, "cluster_name_labels"), "a cluster_name_labels row",
		    &s->r.name_labels, &s->r.nname_labels, &s->name_labels_cap);
	load_recognize(ld, s, list_of(ld, root, "recognize"));
	load_pool_upgrades(ld, s, list_of(ld, root, "node_upgrade"));
	load_commands(ld, s, kup_node_get(root, "commands"));
	n = kup_node_get(root, "control_plane_nodes");
	if (!is_null(n) && is_map(ld, n, "'control_plane_nodes'")) {
		static const char *const keys[] = { "upgrade", "source", "checked", "notes", NULL };
		const struct kup_node *u = kup_node_get(n, "upgrade");
		bool v = false;

		kup_kbl_check_keys(ld, n, keys);
		if (!u || !kup_node_bool(u, &v))
			kup_kbl_problem(ld, u ? u : n, "'upgrade' must be true or false");
		s->r.control_plane_nodes = v;
		kup_kbl_want_source(ld, n, "source", &s->r.control_plane_nodes_source);
	}
	n = kup_node_get(root, "service");
	if (!is_null(n) && is_map(ld, n, "'service'")) {
		static const char *const keys[] = { "name", "managed", "source", "checked", "notes",
						    NULL };
		const struct kup_node *m = kup_node_get(n, "managed");
		bool v = false;

		kup_kbl_check_keys(ld, n, keys);
		kup_kbl_want_checked(ld, n);
		set_once(ld, n, "name", &s->r.display);
		if (!m || !kup_node_bool(m, &v))
			kup_kbl_problem(ld, m ? m : n, "'managed' must be true or false");
		s->r.managed = v;
		kup_kbl_want_source(ld, n, "source", &s->r.service_source);
	}
	n = kup_node_get(root, "support_end");
	if (!is_null(n) && is_map(ld, n, "'support_end'")) {
		static const char *const keys[] = { "message", "source", "checked", "notes", NULL };

		kup_kbl_check_keys(ld, n, keys);
		set_once(ld, n, "message", &s->r.support_end);
		if (s->r.support_end && !s->r.support_end_source)
			kup_kbl_want_source(ld, n, "source", &s->r.support_end_source);
	}
	n = kup_node_get(root, "extended_support");
	if (!is_null(n) && is_map(ld, n, "'extended_support'")) {
		static const char *const keys[] = { "message", "channel", "source", "checked",
						    "notes", NULL };
		const struct kup_node *c;

		kup_kbl_check_keys(ld, n, keys);
		set_once(ld, n, "message", &s->r.extended_support);
		if (s->r.extended_support && !s->r.extended_support_source)
			kup_kbl_want_source(ld, n, "source", &s->r.extended_support_source);
		/* extended support only in one release channel (GKE's Extended): it must
		 * be one of this file's channels rows (loaded above) */
		set_once(ld, n, "channel", &s->r.extended_support_channel);
		c = kup_node_get(n, "channel");
		if (s->r.extended_support_channel && c &&
		    !kup_rules_channel(&s->r, s->r.extended_support_channel))
			kup_kbl_problem(ld, c, "extended_support channel '%s' is not a channels row",
					s->r.extended_support_channel);
	}
}

static int cmp_etcd(const void *a, const void *b)
{
	const struct kup_etcd_rule *x = a, *y = b;

	if (!x->k8s_min.valid || !y->k8s_min.valid)
		return (int)y->k8s_min.valid - (int)x->k8s_min.valid;
	return kup_version_cmp_minor(&x->k8s_min, &y->k8s_min);
}

void kup_kbrules_finish(struct kup_kb_loader *ld)
{
	size_t i;

	for (i = 0; i < KUP_RULES_SLOTS; i++) {
		struct kup_provider_rules *r = &ld->kb->plan.rules[i].r;

		if (r->netcd > 1)
			qsort((void *)r->etcd, r->netcd, sizeof(*r->etcd), cmp_etcd);
	}
}

void kup_kbrules_release(struct kup_kbplan *p)
{
	size_t i;

	for (i = 0; i < KUP_RULES_SLOTS; i++) {
		struct kup_provider_rules *r = &p->rules[i].r;

		free((void *)r->node_skew);
		free((void *)r->etcd);
		free((void *)r->managed_addons);
		free((void *)r->node_images);
		free((void *)r->runtimes);
		free((void *)r->channels);
		free((void *)r->pool_labels);
		free((void *)r->recognize);
		free((void *)r->name_labels);
		free((void *)r->pool_upgrades);
		free((void *)r->patches);
		free((void *)r->image_versions);
	}
	memset(p->rules, 0, sizeof(p->rules));
	p->nrules_docs = 0;
}

/* ---- queries --------------------------------------------------------------------- */

const struct kup_provider_rules *kup_kb_provider_rules(const struct kup_kb *kb,
						       const char *provider)
{
	int slot = slot_of(provider);

	if (!kb || slot < 0 || !kb->plan.rules[slot].r.provider)
		return NULL;
	return &kb->plan.rules[slot].r;
}

static bool in_range(const struct kup_version *lo, const struct kup_version *hi,
		     const struct kup_version *v)
{
	if (lo->valid && kup_version_cmp_minor(v, lo) < 0)
		return false;
	if (hi->valid && kup_version_cmp_minor(v, hi) > 0)
		return false;
	return true;
}

/*
 * NAME(kb, i): the i-th row of one per-provider list (`field`, `nfield`)
 * over every provider file, in slot order (generic, eks, gke, aks, kubeadm,
 * all), each file's rows in order; NULL past the end.
 */
#define ROW_AT(name, type, field)                                               \
	const type *name(const struct kup_kb *kb, size_t i)                     \
	{                                                                       \
		size_t slot;                                                    \
                                                                                \
		for (slot = 0; kb && slot < KUP_RULES_SLOTS; slot++) {          \
			const struct kup_provider_rules *r = &kb->plan.rules[slot].r; \
                                                                                \
			if (i < r->n##field)                                    \
				return &r->field[i];                            \
			i -= r->n##field;                                       \
		}                                                               \
		return NULL;                                                    \
	}

ROW_AT(kup_kb_pool_label_at, struct kup_pool_label, pool_labels)
ROW_AT(kup_kb_name_label_at, struct kup_pool_label, name_labels)
ROW_AT(kup_kb_recognize_at, struct kup_recognize_rule, recognize)

const char *kup_kb_version_provider(const struct kup_kb *kb, const struct kup_version *v)
{
	const struct kup_recognize_rule *r;
	size_t i;

	for (i = 0; v && v->valid && (r = kup_kb_recognize_at(kb, i)) != NULL; i++)
		if (r->on == KUP_RECOGNIZE_VERSION_PREFIX &&
		    strncmp(v->pre, r->value, strlen(r->value)) == 0)
			return r->provider;
	return NULL;
}

const char *kup_kb_provider_display(const struct kup_kb *kb, const char *provider)
{
	const struct kup_provider_rules *r = kup_kb_provider_rules(kb, provider);

	return r && r->display ? r->display : provider;
}

bool kup_kb_provider_managed(const struct kup_kb *kb, const char *provider)
{
	const struct kup_provider_rules *r = kup_kb_provider_rules(kb, provider);

	return r && r->managed;
}

const struct kup_pool_upgrade *kup_kb_pool_upgrade(const struct kup_kb *kb, const char *policy)
{
	size_t i, j;

	for (i = 0; kb && policy && i < KUP_RULES_SLOTS; i++) {
		const struct kup_provider_rules *r = &kb->plan.rules[i].r;

		for (j = 0; j < r->npool_upgrades; j++)
			if (strcmp(r->pool_upgrades[j].policy, policy) == 0)
				return &r->pool_upgrades[j];
	}
	return NULL;
}

const struct kup_pool_upgrade *kup_rules_pool_upgrade(const struct kup_provider_rules *r)
{
	return r && r->npool_upgrades ? &r->pool_upgrades[0] : NULL;
}

int kup_rules_node_skew(const struct kup_provider_rules *r, const struct kup_version *cp)
{
	size_t i;

	for (i = 0; r && i < r->nnode_skew; i++)
		if (in_range(&r->node_skew[i].k8s_min, &r->node_skew[i].k8s_max, cp))
			return r->node_skew[i].older;
	return -1;
}

const struct kup_etcd_rule *kup_rules_etcd(const struct kup_provider_rules *r,
					   const struct kup_version *cp)
{
	size_t i;

	for (i = 0; r && i < r->netcd; i++)
		if (in_range(&r->etcd[i].k8s_min, &r->etcd[i].k8s_max, cp))
			return &r->etcd[i];
	return NULL;
}

const struct kup_managed_addon *kup_rules_managed_addon(const struct kup_provider_rules *r,
							const char *addon,
							const struct kup_version *k8s)
{
	size_t i;

	for (i = 0; r && addon && i < r->nmanaged_addons; i++)
		if (strcasecmp(r->managed_addons[i].addon, addon) == 0 &&
		    kup_version_cmp_minor(&r->managed_addons[i].k8s, k8s) == 0)
			return &r->managed_addons[i];
	return NULL;
}

bool kup_rules_manages_addon(const struct kup_provider_rules *r, const char *addon)
{
	size_t i;

	for (i = 0; r && addon && i < r->nmanaged_addons; i++)
		if (strcasecmp(r->managed_addons[i].addon, addon) == 0)
			return true;
	return false;
}

const struct kup_node_image_rule *kup_rules_node_image(const struct kup_provider_rules *r,
						       const char *os)
{
	size_t i;

	for (i = 0; r && os && i < r->nnode_images; i++) {
		const char *p = r->node_images[i].os;
		size_t n = strlen(p);

		if (strncasecmp(os, p, n) == 0 && !isalnum((unsigned char)os[n]))
			return &r->node_images[i];
	}
	return NULL;
}

const struct kup_runtime_rule *kup_rules_runtime(const struct kup_provider_rules *r,
						 const char *runtime)
{
	size_t i;

	for (i = 0; r && runtime && i < r->nruntimes; i++) {
		const char *p = r->runtimes[i].runtime;
		size_t n = strlen(p);

		if (strncasecmp(runtime, p, n) == 0 && (runtime[n] == ':' || runtime[n] == '\0'))
			return &r->runtimes[i];
	}
	return NULL;
}

const struct kup_channel_rule *kup_rules_channel(const struct kup_provider_rules *r,
						 const char *name)
{
	size_t i;

	for (i = 0; r && name && i < r->nchannels; i++)
		if (strcasecmp(r->channels[i].channel, name) == 0)
			return &r->channels[i];
	return NULL;
}

const struct kup_provider_patch *kup_rules_patch(const struct kup_provider_rules *r,
						 const struct kup_version *k8s,
						 const char *channel)
{
	const struct kup_provider_patch *any = NULL;
	size_t i;

	for (i = 0; r && k8s && i < r->npatches; i++) {
		const struct kup_provider_patch *p = &r->patches[i];

		if (kup_version_cmp_minor(&p->k8s, k8s) != 0)
			continue;
		if (!p->channel) {
			if (!any)
				any = p;
		} else if (channel && !strcasecmp(p->channel, channel)) {
			return p;
		}
	}
	return any;
}

const struct kup_node_image_version *kup_rules_image_version(const struct kup_provider_rules *r,
							     const char *family,
							     const struct kup_version *k8s)
{
	size_t i;

	for (i = 0; r && family && k8s && i < r->nimage_versions; i++)
		if (!strcmp(r->image_versions[i].family, family) &&
		    in_range(&r->image_versions[i].k8s_min, &r->image_versions[i].k8s_max, k8s))
			return &r->image_versions[i];
	return NULL;
}

void kup_rules_expand(const char *tmpl, const struct kup_cmd_vars *v, struct kup_buf *out)
{
	static const char *const names[] = { "cluster", "from", "to", "pool", "addon", "version",
					     "family", "channel", "surge", "unavailable",
					     "batch_nodes", "batch_soak" };
	const char *vals[12];
	const char *p = tmpl, *open;
	size_t i;

	vals[0] = v->cluster;
	vals[1] = v->from;
	vals[2] = v->to;
	vals[3] = v->pool;
	vals[4] = v->addon;
	vals[5] = v->version;
	vals[6] = v->family;
	vals[7] = v->channel;
	vals[8] = v->surge;
	vals[9] = v->unavailable;
	vals[10] = v->batch_nodes;
	vals[11] = v->batch_soak;
	while (p && (open = strchr(p, '{'))) {
		const char *close = strchr(open, '}');
		bool done = false;

		kup_buf_add(out, p, (size_t)(open - p));
		if (!close) {
			p = open;
			break;
		}
		for (i = 0; i < sizeof(vals) / sizeof(vals[0]) && !done; i++) {
			size_t n = strlen(names[i]);

			if ((size_t)(close - open - 1) == n && strncmp(open + 1, names[i], n) == 0 &&
			    vals[i]) {
				kup_buf_adds(out, vals[i]);
				done = true;
			}
		}
		if (!done)
			kup_buf_add(out, open, (size_t)(close - open + 1));
		p = close + 1;
	}
	if (p)
		kup_buf_adds(out, p);
}
