/*
 * sarif.c - SARIF 2.1.0 for GitHub code scanning and other SARIF readers.
 *
 * One rule per lifecycle row of the knowledge base (when r->kb is given),
 * plus one per rule id that findings use and the KB does not list (CRD
 * versions, undecided templates), plus one per rule id of the other
 * passes' items (pre-flight checks); every item is a result too, located
 * at the file its object was read from (or logically, by the object, when
 * that is unknown).  Input errors become tool execution notifications and
 * make the invocation unsuccessful.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

/* ---- the rule table ------------------------------------------------------ */

struct rule_ent {
	const char *id;
	const struct kup_api_rule *rule;     /* KB row, or NULL */
	const struct kup_finding *example;   /* first finding using it, for ids outside the KB */
	const struct kup_report_item *item;  /* first item using it (other passes' rules) */
};

struct rule_table {
	struct rule_ent *v;
	size_t n, cap;
	size_t *slots;       /* index + 1; 0 is empty */
	size_t nslots;       /* a power of two, more than twice cap */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static bool table_init(struct rule_table *t, size_t cap)
{
	memset(t, 0, sizeof(*t));
	t->cap = cap ? cap : 1;
	t->nslots = 8;
	while (t->nslots <= 2 * t->cap)
		t->nslots *= 2;
	t->v = kup_xrealloc_array(NULL, t->cap, sizeof(*t->v));
	t->slots = kup_calloc(t->nslots, sizeof(*t->slots));
	return t->v && t->slots;
}

static void table_release(struct rule_table *t)
{
	free(t->v);
	free(t->slots);
}

/* The index of id, adding it when absent (capacity is sized up front). */
static size_t table_get(struct rule_table *t, const char *id, const struct kup_api_rule *rule,
			const struct kup_finding *example, const struct kup_report_item *item)
{
	size_t mask = t->nslots - 1, i = (size_t)hash_str(id) & mask;

	while (t->slots[i]) {
		struct rule_ent *e = &t->v[t->slots[i] - 1];

		if (!strcmp(e->id, id)) {
			if (!e->rule)
				e->rule = rule;
			if (!e->example)
				e->example = example;
			if (!e->item)
				e->item = item;
			return t->slots[i] - 1;
		}
		i = (i + 1) & mask;
	}
	t->v[t->n] = (struct rule_ent){ id, rule, example, item };
	t->slots[i] = ++t->n;
	return t->n - 1;
}

static const char *synthetic_id(const struct kup_finding *f)
{
	switch (f->status) {
	case KUP_FIND_UNDECIDED:
	case KUP_FIND_NOT_RENDERED:
		return "undecided-template";
	case KUP_FIND_REMOVED:
	case KUP_FIND_OPT_IN_REMOVED:
		return "crd-removed-version";
	default:
		return "crd-deprecated-version";
	}
}

static const char *finding_rule_id(const struct kup_finding *f)
{
	if (f->rule_id)
		return f->rule_id;
	if (f->rule && f->rule->id)
		return f->rule->id;
	return synthetic_id(f);
}

/* An item's rule id ("pdb-blocking"); KB rule ids have slashes, these never do. */
static const char *item_rule_id(const struct kup_report_item *it)
{
	return it->rule_id ? it->rule_id : "unnamed";
}

/* ---- rule descriptions ---------------------------------------------------- */

static const char *level_name(enum kup_fail_level l)
{
	switch (l) {
	case KUP_FAIL_REMOVED: return "error";
	case KUP_FAIL_DEPRECATED: return "warning";
	default: return "note";
	}
}

/* The status a finding of this rule would have once the rule applies. */
static enum kup_finding_status rule_status(const struct kup_api_rule *rule)
{
	switch (rule->level) {
	case KUP_LEVEL_OPT_IN_BETA:
		return rule->removed_in.valid ? KUP_FIND_OPT_IN_REMOVED : KUP_FIND_OPT_IN_DEPRECATED;
	case KUP_LEVEL_GA_DEPRECATED:
		return KUP_FIND_GA_DEPRECATED;
	case KUP_LEVEL_ALPHA:
		return rule->removed_in.valid ? KUP_FIND_ALPHA_REMOVED : KUP_FIND_ALPHA_DEPRECATED;
	default:
		return rule->removed_in.valid ? KUP_FIND_REMOVED : KUP_FIND_DEPRECATED;
	}
}

static void pascal(struct kup_buf *out, const char *s)
{
	bool up = true;

	for (; s && *s; s++) {
		char c = *s;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum) {
			up = true;
			continue;
		}
		if (up && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		kup_buf_addc(out, c);
		up = false;
	}
}

static void add_version(struct kup_buf *out, const struct kup_api_rule *rule,
			const struct kup_version *v)
{
	char vb[64];

	if (rule->component && strcmp(rule->component, "kubernetes")) {
		kup_buf_adds(out, rule->component);
		kup_buf_addc(out, ' ');
	}
	kup_buf_adds(out, kup_version_str(v, vb, sizeof(vb)));
}

static void rule_short(struct kup_buf *out, const struct kup_api_rule *rule)
{
	kup_buf_addf(out, "%s %s is ", rule->kind ? rule->kind : "?",
		     rule->api_version ? rule->api_version : "?");
	if (rule->removed_in.valid) {
		kup_buf_adds(out, "removed in ");
		add_version(out, rule, &rule->removed_in);
	} else if (rule->deprecated_in.valid) {
		kup_buf_adds(out, "deprecated since ");
		add_version(out, rule, &rule->deprecated_in);
	} else {
		kup_buf_adds(out, "deprecated");
	}
}

static void rule_full(struct kup_buf *out, const struct kup_api_rule *rule)
{
	size_t i;

	rule_short(out, rule);
	if (rule->deprecated_in.valid && rule->removed_in.valid) {
		kup_buf_adds(out, " (deprecated since ");
		add_version(out, rule, &rule->deprecated_in);
		kup_buf_addc(out, ')');
	}
	kup_buf_addc(out, '.');
	for (i = 0; i < rule->nreplacements; i++) {
		const struct kup_api_replacement *rep = &rule->replacements[i];

		kup_buf_adds(out, i ? " Or " : " Use ");
		kup_buf_adds(out, rep->api_version ? rep->api_version : "?");
		if (rep->kind && (!rule->kind || strcmp(rep->kind, rule->kind)))
			kup_buf_addf(out, " %s", rep->kind);
		if (rep->available_in.valid) {
			kup_buf_adds(out, " (available since ");
			add_version(out, rule, &rep->available_in);
			kup_buf_addc(out, ')');
		}
		kup_buf_addc(out, '.');
	}
	if (rule->notes) {
		kup_buf_addc(out, ' ');
		kup_buf_adds(out, rule->notes);
	}
}

static void emit_text(struct kup_emit *e, const char *key, const char *text)
{
	kup_emit_key(e, key);
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "text", text);
	kup_emit_end(e);
}

/*
 * The rule's help, which GitHub code scanning shows beside an alert: what is
 * removed and when, the replacement(s) with the version each is served from,
 * the migration notes, and the guide.  Text and Markdown.
 */
static void emit_rule_help(struct kup_emit *e, const struct kup_api_rule *rule, const char *guide,
			   struct kup_buf *tmp)
{
	size_t i;

	kup_emit_key(e, "help");
	kup_emit_begin_map(e);
	kup_buf_reset(tmp);
	rule_full(tmp, rule);
	if (guide)
		kup_buf_addf(tmp, " Guide: %s", guide);
	kup_emit_kstr(e, "text", tmp->buf);

	kup_buf_reset(tmp);
	kup_buf_addf(tmp, "**%s `%s`** ", rule->kind ? rule->kind : "?",
		     rule->api_version ? rule->api_version : "?");
	if (rule->removed_in.valid) {
		kup_buf_adds(tmp, "is removed in ");
		add_version(tmp, rule, &rule->removed_in);
		if (rule->deprecated_in.valid) {
			kup_buf_adds(tmp, " (deprecated since ");
			add_version(tmp, rule, &rule->deprecated_in);
			kup_buf_addc(tmp, ')');
		}
	} else if (rule->deprecated_in.valid) {
		kup_buf_adds(tmp, "is deprecated since ");
		add_version(tmp, rule, &rule->deprecated_in);
	} else {
		kup_buf_adds(tmp, "is deprecated");
	}
	kup_buf_adds(tmp, ".\n\n");
	if (rule->nreplacements) {
		kup_buf_adds(tmp, "| replacement | served since |\n|---|---|\n");
		for (i = 0; i < rule->nreplacements; i++) {
			const struct kup_api_replacement *r = &rule->replacements[i];
			kup_buf_addf(tmp, "| `%s`", r->api_version ? r->api_version : "?");
			if (r->kind && (!rule->kind || strcmp(r->kind, rule->kind)))
				kup_buf_addf(tmp, " %s", r->kind);
			kup_buf_adds(tmp, " | ");
			if (r->available_in.valid)
				add_version(tmp, rule, &r->available_in);
			else
				kup_buf_adds(tmp, "-");
			kup_buf_adds(tmp, " |\n");
		}
		kup_buf_adds(tmp, "\n`kupgrade fix` rewrites manifests to the replacement where the change is "
			     "mechanical.\n\n");
	}
	if (rule->notes)
		kup_buf_addf(tmp, "%s\n\n", rule->notes);
	if (guide)
		kup_buf_addf(tmp, "[Migration guide](%s)\n", guide);
	kup_emit_kstr(e, "markdown", tmp->buf);
	kup_emit_end(e);
}

/*
 * partialFingerprints: what identifies a finding across runs however its
 * line moves (code scanning matches alerts by it): the rule, the object
 * (kind, namespace, name), where it was found (source type, file, Helm
 * release, manager).  FNV-1a, 64 bits, as hex.
 */
static void fp_add(uint64_t *h, const char *s)
{
	for (; s && *s; s++) {
		*h ^= (unsigned char)*s;
		*h *= 0x100000001b3ULL;
	}
	*h ^= 0x1f; /* a separator no field contains */
	*h *= 0x100000001b3ULL;
}

static void emit_fingerprint(struct kup_emit *e, const char *rule_id, const char *kind,
			     const char *namespace_, const char *name, const char *source,
			     const char *path, const char *release, const char *manager)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	char hex[17];

	fp_add(&h, rule_id);
	fp_add(&h, kind);
	fp_add(&h, namespace_);
	fp_add(&h, name);
	fp_add(&h, source);
	fp_add(&h, path);
	fp_add(&h, release);
	fp_add(&h, manager);
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)h);
	kup_emit_key(e, "partialFingerprints");
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "kupgradeFinding/v1", hex);
	kup_emit_end(e);
}

/* A rule of another pass: named after its id, described by its family. */
static void emit_item_rule(struct kup_emit *e, const struct rule_ent *ent, struct kup_buf *tmp)
{
	const struct kup_report_item *it = ent->item;
	const char *family = kup_item_family_name(it->family);

	kup_emit_begin_map(e);
	kup_emit_kstr(e, "id", ent->id);
	kup_buf_reset(tmp);
	pascal(tmp, ent->id);
	kup_emit_kstr(e, "name", tmp->buf);
	kup_buf_reset(tmp);
	kup_buf_addf(tmp, "%s: %s", kup_item_family_title(it->family), ent->id);
	emit_text(e, "shortDescription", tmp->buf);
	if (kup_is_http_url(it->source_url))
		kup_emit_kstr(e, "helpUri", it->source_url);
	kup_emit_key(e, "defaultConfiguration");
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "level", level_name(it->severity));
	kup_emit_end(e);
	kup_emit_key(e, "properties");
	kup_emit_begin_map(e);
	kup_emit_key(e, "tags");
	kup_emit_begin_seq(e);
	kup_emit_str(e, "kubernetes");
	kup_emit_str(e, family ? family : "other");
	kup_emit_end(e);
	kup_emit_end(e);
	kup_emit_end(e);
}

static void emit_rule(struct kup_emit *e, const struct rule_ent *ent, struct kup_buf *tmp)
{
	const struct kup_api_rule *rule = ent->rule;
	const struct kup_finding *f = ent->example;
	const char *help = NULL;
	enum kup_fail_level level;

	if (ent->item && !rule && !f) {
		emit_item_rule(e, ent, tmp);
		return;
	}
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "id", ent->id);

	kup_buf_reset(tmp);
	if (rule) {
		pascal(tmp, rule->removed_in.valid ? "removed-api" : "deprecated-api");
		pascal(tmp, rule->kind);
		pascal(tmp, rule->api_version);
	} else if (f && f->kind && f->api_version && (f->rule_id || f->rule)) {
		pascal(tmp, kup_finding_severity(f->status) == KUP_FAIL_REMOVED ? "removed-api"
										: "deprecated-api");
		pascal(tmp, f->kind);
		pascal(tmp, f->api_version);
	} else {
		pascal(tmp, ent->id);
	}
	kup_emit_kstr(e, "name", tmp->buf);

	kup_buf_reset(tmp);
	if (rule) {
		rule_short(tmp, rule);
	} else if (!strcmp(ent->id, "undecided-template")) {
		kup_buf_adds(tmp, "A chart template's apiVersion or kind is templated; render the chart to check it");
	} else if (!strcmp(ent->id, "crd-removed-version")) {
		kup_buf_adds(tmp, "A custom resource uses a version its CRD no longer serves");
	} else if (!strcmp(ent->id, "crd-deprecated-version")) {
		kup_buf_adds(tmp, "A custom resource uses a version its CRD marks deprecated");
	} else if (f) {
		kup_buf_addf(tmp, "%s %s is ", f->kind ? f->kind : "?",
			     f->api_version ? f->api_version : "?");
		if (f->deprecated_in)
			kup_buf_addf(tmp, "deprecated since %s%s", f->deprecated_in,
				     f->removed_in ? " and " : "");
		if (f->removed_in)
			kup_buf_addf(tmp, "removed in %s", f->removed_in);
		if (!f->deprecated_in && !f->removed_in)
			kup_buf_adds(tmp, kup_finding_status_name(f->status));
	} else {
		kup_buf_adds(tmp, ent->id);
	}
	emit_text(e, "shortDescription", tmp->buf);

	kup_buf_reset(tmp);
	if (rule)
		rule_full(tmp, rule);
	else if (f && f->notes)
		kup_buf_adds(tmp, f->notes);
	if (tmp->len)
		emit_text(e, "fullDescription", tmp->buf);

	if (rule && kup_is_http_url(rule->source))
		help = rule->source;
	else if (f && kup_is_http_url(f->source_url))
		help = f->source_url;
	if (help)
		kup_emit_kstr(e, "helpUri", help);
	if (rule)
		emit_rule_help(e, rule, help, tmp);

	if (rule)
		level = kup_finding_severity(rule_status(rule));
	else if (f)
		level = kup_finding_severity(f->status);
	else
		level = KUP_FAIL_NONE;
	kup_emit_key(e, "defaultConfiguration");
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "level", level_name(level));
	kup_emit_end(e);

	kup_emit_key(e, "properties");
	kup_emit_begin_map(e);
	kup_emit_key(e, "tags");
	kup_emit_begin_seq(e);
	kup_emit_str(e, "kubernetes");
	if (rule && rule->component && strcmp(rule->component, "kubernetes"))
		kup_emit_str(e, rule->component);
	else if (!rule && f && f->component && strcmp(f->component, "kubernetes"))
		kup_emit_str(e, f->component);
	kup_emit_end(e);
	if (rule) {
		char vb[64];

		kup_emit_kstr(e, "kind", rule->kind);
		kup_emit_kstr(e, "apiVersion", rule->api_version);
		kup_emit_kstr(e, "component", rule->component);
		if (rule->deprecated_in.valid)
			kup_emit_kstr(e, "deprecatedIn",
				      kup_version_str(&rule->deprecated_in, vb, sizeof(vb)));
		if (rule->removed_in.valid)
			kup_emit_kstr(e, "removedIn", kup_version_str(&rule->removed_in, vb, sizeof(vb)));
	}
	kup_emit_end(e);

	kup_emit_end(e);
}

/* ---- locations ------------------------------------------------------------ */

static bool uri_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-._~/!$&'()*+,;=:@", c) != NULL;
}

/* A relative reference for a path: "./" dropped, everything unusual percent-encoded. */
static void path_uri(struct kup_buf *out, const char *path)
{
	const unsigned char *p = (const unsigned char *)path;

	if (path[0] == '/')
		kup_buf_adds(out, "file://");
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	for (; *p; p++) {
		if (*p && uri_char_ok(*p))
			kup_buf_addc(out, (char)*p);
		else
			kup_buf_addf(out, "%%%02X", *p);
	}
}

static void emit_physical(struct kup_emit *e, const char *path, uint32_t line, uint32_t column,
			  struct kup_buf *tmp)
{
	kup_emit_key(e, "physicalLocation");
	kup_emit_begin_map(e);
	kup_emit_key(e, "artifactLocation");
	kup_emit_begin_map(e);
	kup_buf_reset(tmp);
	path_uri(tmp, path && *path ? path : "-");
	kup_emit_kstr(e, "uri", tmp->buf);
	if (!path || path[0] != '/')
		kup_emit_kstr(e, "uriBaseId", "%SRCROOT%");
	kup_emit_end(e);
	if (line) {
		kup_emit_key(e, "region");
		kup_emit_begin_map(e);
		kup_emit_kint(e, "startLine", line);
		if (column)
			kup_emit_kint(e, "startColumn", column);
		kup_emit_end(e);
	}
	kup_emit_end(e);
}

static void emit_result(struct kup_emit *e, const struct kup_finding *f, const char *rule_id,
			size_t rule_index, struct kup_buf *tmp)
{
	const struct kup_source *src = &f->src;
	bool helm = src->type == KUP_SRC_HELM_RELEASE;

	kup_emit_begin_map(e);
	kup_emit_kstr(e, "ruleId", rule_id);
	kup_emit_kint(e, "ruleIndex", (int64_t)rule_index);
	kup_emit_kstr(e, "level", level_name(kup_finding_severity(f->status)));
	kup_buf_reset(tmp);
	kup_finding_message(tmp, f);
	emit_text(e, "message", tmp->buf);
	emit_fingerprint(e, rule_id, f->kind, f->namespace_, f->name, kup_source_type_name(src->type),
			 src->path, src->release, src->manager);

	kup_emit_key(e, "locations");
	kup_emit_begin_seq(e);
	kup_emit_begin_map(e);
	/* a release's line is inside its manifest, not in the file that holds it */
	emit_physical(e, src->path, helm ? 0 : src->line, helm ? 0 : src->column, tmp);
	if (helm) {
		kup_emit_key(e, "logicalLocations");
		kup_emit_begin_seq(e);
		kup_emit_begin_map(e);
		kup_emit_kstr(e, "name", src->release ? src->release : "?");
		kup_buf_reset(tmp);
		kup_buf_addf(tmp, "helm-release/%s", src->release ? src->release : "?");
		if (src->revision > 0)
			kup_buf_addf(tmp, "@%lld", (long long)src->revision);
		kup_emit_kstr(e, "fullyQualifiedName", tmp->buf);
		kup_emit_kstr(e, "kind", "module");
		kup_emit_end(e);
		kup_emit_end(e);
	}
	kup_emit_end(e);
	kup_emit_end(e);

	kup_emit_key(e, "properties");
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "status", kup_finding_status_name(f->status));
	kup_emit_kstr(e, "kind", f->kind);
	kup_emit_kstr(e, "apiVersion", f->api_version);
	kup_emit_kstr(e, "name", f->name);
	kup_emit_kstr(e, "namespace", f->namespace_);
	kup_emit_kstr(e, "replacement", f->replacement);
	kup_emit_kstr(e, "sourceType", kup_source_type_name(src->type));
	if (helm && src->line)
		kup_emit_kint(e, "manifestLine", src->line);
	if (src->release)
		kup_emit_kstr(e, "release", src->release);
	if (src->revision > 0)
		kup_emit_kint(e, "revision", src->revision);
	if (src->chart)
		kup_emit_kstr(e, "chart", src->chart);
	if (src->manager)
		kup_emit_kstr(e, "manager", src->manager);
	if (src->object)
		kup_emit_kstr(e, "object", src->object);
	kup_emit_end(e);

	kup_emit_end(e);
}

static void emit_item_result(struct kup_emit *e, const struct kup_report_item *it,
			     const char *rule_id, size_t rule_index, struct kup_buf *tmp)
{
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "ruleId", rule_id);
	kup_emit_kint(e, "ruleIndex", (int64_t)rule_index);
	kup_emit_kstr(e, "level", level_name(it->severity));
	kup_buf_reset(tmp);
	kup_item_object_label(tmp, it);
	if (tmp->len)
		kup_buf_adds(tmp, ": ");
	kup_buf_adds(tmp, it->message ? it->message : "");
	if (it->detail) {
		kup_buf_adds(tmp, " (");
		kup_buf_adds(tmp, it->detail);
		kup_buf_addc(tmp, ')');
	}
	emit_text(e, "message", tmp->buf);
	emit_fingerprint(e, rule_id, it->kind, it->namespace_, it->name,
			 kup_item_family_name(it->family), it->src.path, NULL, NULL);

	kup_emit_key(e, "locations");
	kup_emit_begin_seq(e);
	kup_emit_begin_map(e);
	if (it->src.path)
		emit_physical(e, it->src.path, it->src.line, it->src.column, tmp);
	kup_emit_key(e, "logicalLocations");
	kup_emit_begin_seq(e);
	kup_emit_begin_map(e);
	kup_buf_reset(tmp);
	kup_buf_adds(tmp, it->name ? it->name : (it->kind ? it->kind : "?"));
	kup_emit_kstr(e, "name", tmp->buf);
	kup_buf_reset(tmp);
	kup_item_object_label(tmp, it);
	kup_emit_kstr(e, "fullyQualifiedName", tmp->len ? tmp->buf : "?");
	kup_emit_kstr(e, "kind", "object");
	kup_emit_end(e);
	kup_emit_end(e);
	kup_emit_end(e);
	kup_emit_end(e);

	kup_emit_key(e, "properties");
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "family", kup_item_family_name(it->family));
	kup_emit_kstr(e, "severity", kup_item_severity_name(it->severity));
	kup_emit_kstr(e, "kind", it->kind);
	kup_emit_kstr(e, "apiVersion", it->api_version);
	kup_emit_kstr(e, "name", it->name);
	kup_emit_kstr(e, "namespace", it->namespace_);
	if (it->detail)
		kup_emit_kstr(e, "detail", it->detail);
	if (it->remedy)
		kup_emit_kstr(e, "remedy", it->remedy);
	if (it->reason)
		kup_emit_kstr(e, "reason", it->reason);
	if (it->src.chart)
		kup_emit_kstr(e, "chart", it->src.chart);
	if (it->src.path)
		kup_emit_kstr(e, "sourceType", kup_source_type_name(it->src.type));
	kup_emit_end(e);

	kup_emit_end(e);
}

static void emit_notification(struct kup_emit *e, const struct kup_error *err, struct kup_buf *tmp)
{
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "level", "error");
	kup_buf_reset(tmp);
	kup_buf_adds(tmp, err->msg ? err->msg : kup_strerror(err->code));
	if (err->object)
		kup_buf_addf(tmp, " (%s)", err->object);
	emit_text(e, "message", tmp->buf);
	if (err->path) {
		kup_emit_key(e, "locations");
		kup_emit_begin_seq(e);
		kup_emit_begin_map(e);
		emit_physical(e, err->path, err->line, err->column, tmp);
		kup_emit_end(e);
		kup_emit_end(e);
	}
	kup_emit_end(e);
}

/* ---- the log --------------------------------------------------------------- */

enum kup_status kup_render_sarif(const struct kup_report *r, struct kup_buf *out)
{
	struct rule_table t;
	struct kup_buf tmp = KUP_BUF_INIT;
	struct kup_emit e;
	size_t *fidx = NULL, nkb = r->kb ? kup_kb_api_count(r->kb) : 0, i;
	enum kup_status st = KUP_OK;

	kup_buf_init(&tmp);
	memset(&t, 0, sizeof(t));
	if (nkb > SIZE_MAX / 4 || r->nfindings > SIZE_MAX / 4 - nkb ||
	    r->nitems > SIZE_MAX / 4 - nkb - r->nfindings ||
	    !table_init(&t, nkb + r->nfindings + r->nitems + 1)) {
		st = KUP_NOMEM;
		goto out;
	}
	fidx = kup_xrealloc_array(NULL, r->nfindings + r->nitems + 1, sizeof(*fidx));
	if (!fidx) {
		st = KUP_NOMEM;
		goto out;
	}
	for (i = 0; i < nkb; i++) {
		const struct kup_api_rule *rule = kup_kb_api_at(r->kb, i);

		if (rule && rule->id)
			table_get(&t, rule->id, rule, NULL, NULL);
	}
	for (i = 0; i < r->nfindings; i++) {
		const struct kup_finding *f = r->findings[i];

		fidx[i] = table_get(&t, finding_rule_id(f), f->rule, f, NULL);
	}
	for (i = 0; i < r->nitems; i++)
		fidx[r->nfindings + i] = table_get(&t, item_rule_id(&r->items[i]), NULL, NULL,
						   &r->items[i]);

	kup_emit_init(&e, out, KUP_EMIT_JSON);
	kup_emit_begin_map(&e);
	kup_emit_kstr(&e, "$schema", SARIF_SCHEMA);
	kup_emit_kstr(&e, "version", "2.1.0");
	kup_emit_key(&e, "runs");
	kup_emit_begin_seq(&e);
	kup_emit_begin_map(&e);

	kup_emit_key(&e, "tool");
	kup_emit_begin_map(&e);
	kup_emit_key(&e, "driver");
	kup_emit_begin_map(&e);
	kup_emit_kstr(&e, "name", "kupgrade");
#ifdef KUP_HOMEPAGE_URL
	kup_emit_kstr(&e, "informationUri", KUP_HOMEPAGE_URL);
#endif
	if (r->tool_version)
		kup_emit_kstr(&e, "version", r->tool_version);
	kup_emit_key(&e, "rules");
	kup_emit_begin_seq(&e);
	for (i = 0; i < t.n; i++)
		emit_rule(&e, &t.v[i], &tmp);
	kup_emit_end(&e);
	kup_emit_end(&e);
	kup_emit_end(&e);

	kup_emit_key(&e, "invocations");
	kup_emit_begin_seq(&e);
	kup_emit_begin_map(&e);
	kup_emit_key(&e, "executionSuccessful");
	kup_emit_bool(&e, r->nerrors == 0);
	if (r->nerrors) {
		kup_emit_key(&e, "toolExecutionNotifications");
		kup_emit_begin_seq(&e);
		for (i = 0; i < r->nerrors; i++)
			emit_notification(&e, &r->errors[i], &tmp);
		kup_emit_end(&e);
	}
	kup_emit_end(&e);
	kup_emit_end(&e);

	kup_emit_key(&e, "results");
	kup_emit_begin_seq(&e);
	for (i = 0; i < r->nfindings; i++)
		emit_result(&e, r->findings[i], t.v[fidx[i]].id, fidx[i], &tmp);
	for (i = 0; i < r->nitems; i++)
		emit_item_result(&e, &r->items[i], t.v[fidx[r->nfindings + i]].id,
				 fidx[r->nfindings + i], &tmp);
	kup_emit_end(&e);

	if (r->target_version) {
		kup_emit_key(&e, "properties");
		kup_emit_begin_map(&e);
		kup_emit_kstr(&e, "targetVersion", r->target_version);
		kup_emit_end(&e);
	}

	kup_emit_end(&e);
	kup_emit_end(&e);
	kup_emit_end(&e);
	kup_emit_finish(&e);
	if (e.failed)
		st = KUP_INVALID;
	if (tmp.oom)
		st = KUP_NOMEM;
out:
	free(fidx);
	table_release(&t);
	kup_buf_release(&tmp);
	return st;
}
