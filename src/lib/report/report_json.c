/*
 * report_json.c - the JSON document (schema_version 1), and the same
 * document as YAML.
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
	kup_emit_kstr(e, "status", kup_finding_status_name(f->status));
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

	kup_emit_init(&e, out, mode);
	kup_emit_begin_map(&e);
	kup_emit_kint(&e, "schema_version", 1);
	kup_emit_kstr(&e, "target_version", r->target_version);

	kup_emit_key(&e, "findings");
	kup_emit_begin_seq(&e);
	for (i = 0; i < r->nfindings; i++)
		emit_finding(&e, r->findings[i]);
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
	kup_emit_end(&e);

	kup_emit_end(&e);
	kup_emit_finish(&e);
}
