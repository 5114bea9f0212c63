/*
 * report_json.c - the JSON document (schema_version 1), and the same
 * document as YAML.  The items of each family that ran follow the summary
 * as an array named by the family ("preflight", "chart-evaluation").
 *
 * The required names are a contract read by other tools and tests; extra
 * keys may follow them but never replace them.
 */
#include "report/report_int.h"

static void emit_source(struct kup_emit *e, const struct kup_source *src)
{
	kup_emit_key(e, "source");
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "type", kup_source_type_name(src->type));
	kup_emit_kstr(e, "path", src->path);
	kup_emit_kpos(e, "line", src->line);
	kup_emit_kpos(e, "column", src->column);
	if (src->release)
		kup_emit_kstr(e, "release", src->release);
	if (src->revision > 0)
		kup_emit_kint(e, "revision", src->revision);
	if (src->chart)
		kup_emit_kstr(e, "chart", src->chart);
	if (src->manager)
		kup_emit_kstr(e, "manager", src->manager);
	kup_emit_end(e);
}

static void emit_finding(struct kup_emit *e, const struct kup_finding *f)
{
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "status", kup_finding_label(f));
	kup_emit_kstr(e, "kind", f->kind);
	kup_emit_kstr(e, "api_version", f->api_version);
	kup_emit_kstr(e, "name", f->name);
	kup_emit_kstr(e, "namespace", f->namespace_);
	kup_emit_kstr(e, "deprecated_in", f->deprecated_in);
	kup_emit_kstr(e, "removed_in", f->removed_in);
	kup_emit_kstr(e, "replacement", f->replacement);
	emit_source(e, &f->src);
	/* extras */
	kup_emit_kstr(e, "component", f->component);
	kup_emit_kstr(e, "rule_id", f->rule_id);
	if (f->replacement_kind)
		kup_emit_kstr(e, "replacement_kind", f->replacement_kind);
	kup_emit_kstr(e, "replacement_available_in", f->replacement_available_in);
	kup_emit_kstr(e, "message", f->message);
	if (f->src.object)
		kup_emit_kstr(e, "object", f->src.object);
	kup_emit_kstr(e, "notes", f->notes);
	kup_emit_kstr(e, "source_url", f->source_url);
	if (f->ignored)
		kup_emit_kstr(e, "ignored", f->ignored);
	kup_emit_end(e);
}

/*
 * An item, in the shape `scan --preflight` has always had (check, severity,
 * kind, api_version, name, namespace, message, detail) plus its location and,
 * when known, remedy and source_url.
 */
static void emit_item(struct kup_emit *e, const struct kup_report_item *it)
{
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "check", it->rule_id);
	kup_emit_kstr(e, "severity", kup_item_severity_name(it->severity));
	kup_emit_kstr(e, "kind", it->kind);
	kup_emit_kstr(e, "api_version", it->api_version);
	kup_emit_kstr(e, "name", it->name);
	kup_emit_kstr(e, "namespace", it->namespace_);
	kup_emit_kstr(e, "message", it->message);
	kup_emit_kstr(e, "detail", it->detail);
	if (it->src.path)
		emit_source(e, &it->src);
	if (it->remedy)
		kup_emit_kstr(e, "remedy", it->remedy);
	if (it->source_url)
		kup_emit_kstr(e, "source_url", it->source_url);
	if (it->family == KUP_ITEM_CHART) {
		/* the evaluation by name: undecided or not-rendered, and why */
		kup_emit_kstr(e, "status", it->rule_id);
		kup_emit_kstr(e, "chart", it->src.chart);
		kup_emit_kstr(e, "template", it->src.path);
		kup_emit_kstr(e, "reason", it->reason);
	}
	kup_emit_end(e);
}

static void emit_error(struct kup_emit *e, const struct kup_error *err)
{
	kup_emit_begin_map(e);
	kup_emit_kstr(e, "path", err->path);
	kup_emit_kpos(e, "line", err->line);
	kup_emit_kpos(e, "column", err->column);
	kup_emit_kstr(e, "message", err->msg ? err->msg : kup_strerror(err->code));
	if (err->object)
		kup_emit_kstr(e, "object", err->object);
	kup_emit_end(e);
}

void kup_render_json(const struct kup_report *r, struct kup_buf *out, enum kup_emit_mode mode)
{
	struct kup_emit e;
	size_t i;
	int fam;

	kup_emit_init(&e, out, mode);
	kup_emit_begin_map(&e);
	kup_emit_kint(&e, "schema_version", 1);
	kup_emit_kstr(&e, "target_version", r->target_version);

	kup_emit_key(&e, "findings");
	kup_emit_begin_seq(&e);
	for (i = 0; i < r->nfindings; i++) {
		emit_finding(&e, r->findings[i]);
		kup_report_maybe_flush(r, out);
	}
	kup_emit_end(&e);

	kup_emit_key(&e, "errors");
	kup_emit_begin_seq(&e);
	for (i = 0; i < r->nerrors; i++)
		emit_error(&e, &r->errors[i]);
	kup_emit_end(&e);

	kup_emit_key(&e, "summary");
	kup_emit_begin_map(&e);
	kup_emit_kint(&e, "files", (int64_t)r->summary.files);
	kup_emit_kint(&e, "objects", (int64_t)r->summary.objects);
	kup_emit_kint(&e, "removed", (int64_t)r->summary.removed);
	kup_emit_kint(&e, "deprecated", (int64_t)r->summary.deprecated);
	kup_emit_kint(&e, "errors", (int64_t)r->summary.errors);
	if (r->summary.undecided)
		kup_emit_kint(&e, "undecided", (int64_t)r->summary.undecided);
	if (r->summary.ignored)
		kup_emit_kint(&e, "ignored", (int64_t)r->summary.ignored);
	kup_emit_end(&e);

	for (fam = 0; fam < KUP_ITEM_NFAMILIES; fam++) {
		if (!kup_report_shows(r, (enum kup_item_family)fam))
			continue;
		kup_emit_key(&e, kup_item_family_name((enum kup_item_family)fam));
		kup_emit_begin_seq(&e);
		for (i = 0; i < r->nitems; i++)
			if (r->items[i].family == (enum kup_item_family)fam) {
				emit_item(&e, &r->items[i]);
				kup_report_maybe_flush(r, out);
			}
		kup_emit_end(&e);
	}

	kup_emit_end(&e);
	kup_emit_finish(&e);
}
