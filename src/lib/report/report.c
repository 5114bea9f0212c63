/*
 * report.c - format names, the render dispatch, escaping and the small
 * helpers the renderers share.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/preflight.h"
#include "report/report_int.h"

/* ---- formats ------------------------------------------------------------- */

static const struct {
	const char *name;
	enum kup_format fmt;
} formats[] = {
	{ "table", KUP_FMT_TABLE },
	{ "json", KUP_FMT_JSON },
	{ "yaml", KUP_FMT_YAML },
	{ "csv", KUP_FMT_CSV },
	{ "markdown", KUP_FMT_MARKDOWN },
	{ "sarif", KUP_FMT_SARIF },
	{ "junit", KUP_FMT_JUNIT },
	{ "html", KUP_FMT_HTML },
};

bool kup_format_parse(const char *s, enum kup_format *out)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (!strcmp(s, formats[i].name)) {
			if (out)
				*out = formats[i].fmt;
			return true;
		}
	}
	return false;
}

/* ---- the model ------------------------------------------------------------ */

const char *kup_item_family_name(enum kup_item_family f)
{
	switch (f) {
	case KUP_ITEM_PREFLIGHT: return "preflight";
	case KUP_ITEM_RISK: return "risk";
	case KUP_ITEM_FIX: return "fix";
	case KUP_ITEM_CHART: return "chart-evaluation";
	case KUP_ITEM_NFAMILIES: break;
	}
	return NULL;
}

const char *kup_item_severity_name(enum kup_fail_level l)
{
	switch (l) {
	case KUP_FAIL_REMOVED: return "blocking";
	case KUP_FAIL_DEPRECATED: return "warning";
	case KUP_FAIL_NONE: break;
	}
	return "info";
}

void kup_report_item_from_preflight(struct kup_report_item *it,
				    const struct kup_preflight_finding *f)
{
	memset(it, 0, sizeof(*it));
	it->family = KUP_ITEM_PREFLIGHT;
	it->severity = f->severity;
	it->rule_id = f->check;
	it->kind = f->kind;
	it->api_version = f->api_version;
	it->name = f->name;
	it->namespace_ = f->namespace_;
	it->src = f->src;
	it->message = f->message;
	it->detail = f->detail;
}

bool kup_finding_is_chart_evaluation(const struct kup_finding *f)
{
	return f && (f->status == KUP_FIND_UNDECIDED || f->status == KUP_FIND_NOT_RENDERED);
}

void kup_report_item_from_chart(struct kup_report_item *it, const struct kup_finding *f,
				bool fail_undecided)
{
	memset(it, 0, sizeof(*it));
	it->family = KUP_ITEM_CHART;
	it->rule_id = kup_finding_status_name(f->status);
	it->severity = fail_undecided && f->status == KUP_FIND_UNDECIDED ? KUP_FAIL_DEPRECATED
									 : KUP_FAIL_NONE;
	it->kind = f->kind;
	it->api_version = f->api_version;
	it->name = f->name;
	it->namespace_ = f->namespace_;
	it->src = f->src;
	it->message = f->message ? f->message : "not judged";
	it->reason = f->reason;
	it->source_url = f->source_url;
}

enum kup_status kup_report_set_scan(struct kup_report *r, const struct kup_finding **list, size_t n)
{
	struct kup_report_item *items;
	size_t i, napi = 0, nchart = 0, k;

	for (i = 0; i < n; i++)
		nchart += kup_finding_is_chart_evaluation(list[i]);
	items = r->nitems + nchart ? kup_xrealloc_array(NULL, r->nitems + nchart, sizeof(*items))
				   : NULL;
	if (r->nitems + nchart && !items)
		return KUP_NOMEM;
	if (r->nitems)
		memcpy(items, r->items, r->nitems * sizeof(*items));
	k = r->nitems;
	for (i = 0; i < n; i++) {
		if (kup_finding_is_chart_evaluation(list[i]))
			kup_report_item_from_chart(&items[k++], list[i], r->fail_undecided);
		else
			list[napi++] = list[i];
	}
	kup_report_set_findings(r, list, napi);
	free(r->owned_items);
	r->owned_items = items;
	r->items = items;
	r->nitems = k;
	return KUP_OK;
}

void kup_report_release(struct kup_report *r)
{
	free(r->owned_items);
	r->owned_items = NULL;
}

void kup_report_set_findings(struct kup_report *r, const struct kup_finding *const *list, size_t n)
{
	size_t i;

	r->findings = list;
	r->nfindings = n;
	r->summary.removed = 0;
	r->summary.deprecated = 0;
	for (i = 0; i < n; i++) {
		enum kup_fail_level sev = kup_finding_severity(list[i]->status);
		if (list[i]->ignored)
			continue;   /* accepted: counted in summary.ignored */
		if (sev == KUP_FAIL_REMOVED)
			r->summary.removed++;
		else if (sev == KUP_FAIL_DEPRECATED)
			r->summary.deprecated++;
	}
}

enum kup_fail_level kup_report_worst(const struct kup_report *r)
{
	enum kup_fail_level w = KUP_FAIL_NONE, l;
	size_t i;

	if (!r)
		return w;
	for (i = 0; r->findings && i < r->nfindings; i++)
		if (!r->findings[i]->ignored && (l = kup_finding_severity(r->findings[i]->status)) > w)
			w = l;
	for (i = 0; r->items && i < r->nitems; i++)
		if (r->items[i].severity > w)
			w = r->items[i].severity;
	if (r->fail_undecided && r->summary.undecided && w < KUP_FAIL_DEPRECATED)
		w = KUP_FAIL_DEPRECATED;
	return w;
}

int kup_report_exit_code(const struct kup_report *r, enum kup_fail_level fail_on)
{
	enum kup_fail_level w = kup_report_worst(r);

	if (r && r->nerrors)
		return 1;
	if (fail_on == KUP_FAIL_NONE || w < fail_on)
		return 0;
	return w == KUP_FAIL_REMOVED ? 3 : 2;
}

size_t kup_report_count_items(const struct kup_report *r, enum kup_item_family fam,
			      enum kup_fail_level l)
{
	size_t i, n = 0;

	for (i = 0; i < r->nitems; i++)
		if (r->items[i].family == fam && r->items[i].severity == l)
			n++;
	return n;
}

bool kup_report_shows(const struct kup_report *r, enum kup_item_family fam)
{
	size_t i;

	if (r->passes & (1u << fam))
		return true;
	for (i = 0; i < r->nitems; i++)
		if (r->items[i].family == fam)
			return true;
	return false;
}

/* ---- rendering ------------------------------------------------------------ */

enum kup_status kup_report_render(enum kup_format fmt, const struct kup_report *r,
				  struct kup_buf *out)
{
	enum kup_status st = KUP_OK;

	if (!r || !out || (r->nfindings && !r->findings) || (r->nerrors && !r->errors) ||
	    (r->nitems && !r->items))
		return KUP_INVALID;
	if (!out->buf)
		kup_buf_init(out);
	switch (fmt) {
	case KUP_FMT_TABLE:
		kup_render_table(r, out);
		break;
	case KUP_FMT_JSON:
		kup_render_json(r, out, KUP_EMIT_JSON);
		break;
	case KUP_FMT_YAML:
		kup_render_json(r, out, KUP_EMIT_YAML);
		break;
	case KUP_FMT_CSV:
		kup_render_csv(r, out);
		break;
	case KUP_FMT_MARKDOWN:
		kup_render_markdown(r, out);
		break;
	case KUP_FMT_SARIF:
		st = kup_render_sarif(r, out);
		break;
	case KUP_FMT_JUNIT:
		kup_render_junit(r, out);
		break;
	case KUP_FMT_HTML:
		kup_render_html(r, out);
		break;
	default:
		return KUP_INVALID;
	}
	if (st == KUP_OK && out->oom)
		st = KUP_NOMEM;
	return st;
}

enum kup_status kup_report_render_items(enum kup_format fmt, const struct kup_report *r,
					struct kup_buf *out)
{
	struct kup_buf t = KUP_BUF_INIT;

	if (!r || !out || (r->nitems && !r->items))
		return KUP_INVALID;
	if (!out->buf)
		kup_buf_init(out);
	kup_buf_init(&t);
	switch (fmt) {
	case KUP_FMT_TABLE:
		kup_render_table_items(r, out);
		break;
	case KUP_FMT_MARKDOWN:
		kup_render_markdown_items(r, out, &t);
		break;
	case KUP_FMT_HTML:
		kup_render_html_items(r, out, &t);
		break;
	default:
		kup_buf_release(&t);
		return KUP_INVALID;
	}
	if (t.oom)
		out->oom = true;
	kup_buf_release(&t);
	return out->oom ? KUP_NOMEM : KUP_OK;
}

void kup_position_label(struct kup_buf *out, const char *path, uint32_t line, uint32_t column)
{
	kup_text_sanitize(out, path ? path : "<input>");
	if (line) {
		kup_buf_addf(out, ":%" PRIu32, line);
		if (column)
			kup_buf_addf(out, ":%" PRIu32, column);
	}
}

void kup_source_label(struct kup_buf *out, const struct kup_source *src)
{
	switch (src->type) {
	case KUP_SRC_HELM_RELEASE:
		kup_buf_adds(out, "helm:");
		kup_text_sanitize(out, src->release ? src->release : "?");
		if (src->revision > 0)
			kup_buf_addf(out, "@%" PRId64, src->revision);
		if (src->line)
			kup_buf_addf(out, ":%" PRIu32, src->line);
		kup_buf_adds(out, " (");
		kup_text_sanitize(out, src->path ? src->path : "<input>");
		kup_buf_addc(out, ')');
		break;
	case KUP_SRC_LAST_APPLIED:
		kup_buf_adds(out, "last-applied (");
		kup_position_label(out, src->path, src->line, 0);
		kup_buf_addc(out, ')');
		break;
	case KUP_SRC_MANAGED_FIELDS:
		kup_buf_adds(out, "managed-fields");
		if (src->manager) {
			kup_buf_addc(out, ':');
			kup_text_sanitize(out, src->manager);
		}
		kup_buf_adds(out, " (");
		kup_position_label(out, src->path, src->line, 0);
		kup_buf_addc(out, ')');
		break;
	case KUP_SRC_CHART_TEMPLATE:
		kup_position_label(out, src->path, src->line, 0);
		if (src->chart) {
			kup_buf_adds(out, " (chart ");
			kup_text_sanitize(out, src->chart);
			kup_buf_addc(out, ')');
		} else {
			kup_buf_adds(out, " (template)");
		}
		break;
	case KUP_SRC_METRICS:
		kup_buf_adds(out, "metrics (");
		kup_text_sanitize(out, src->path ? src->path : "/metrics");
		kup_buf_addc(out, ')');
		break;
	case KUP_SRC_FILE:
	default:
		kup_position_label(out, src->path, src->line, 0);
		break;
	}
}

size_t kup_report_count_other(const struct kup_report *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nfindings; i++)
		if (kup_finding_severity(r->findings[i]->status) == KUP_FAIL_NONE)
			n++;
	return n;
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void kup_summary_line(struct kup_buf *out, const struct kup_report *r)
{
	const struct kup_report_summary *s = &r->summary;
	size_t other = kup_report_count_other(r);

	kup_buf_addf(out, "%zu removed, %zu deprecated", s->removed, s->deprecated);
	if (other)
		kup_buf_addf(out, ", %zu other", other);
	kup_buf_addf(out, " in %zu %s from %zu %s", s->objects, plural(s->objects, "object", "objects"),
		     s->files, plural(s->files, "file", "files"));
	if (r->target_version) {
		kup_buf_adds(out, "; target ");
		kup_text_sanitize(out, r->target_version);
	}
	if (s->errors)
		kup_buf_addf(out, "; %zu %s", s->errors, plural(s->errors, "error", "errors"));
}

void kup_object_label(struct kup_buf *out, const struct kup_finding *f)
{
	kup_buf_adds(out, f->kind ? f->kind : "?");
	kup_buf_addc(out, ' ');
	if (f->namespace_) {
		kup_buf_adds(out, f->namespace_);
		kup_buf_addc(out, '/');
	}
	kup_buf_adds(out, f->name ? f->name : "(unnamed)");
}

/* The finding's message, or one made from its fields. */
void kup_finding_message(struct kup_buf *out, const struct kup_finding *f)
{
	if (f->message) {
		kup_buf_adds(out, f->message);
		return;
	}
	kup_object_label(out, f);
	kup_buf_addf(out, " uses %s", f->api_version ? f->api_version : "?");
	if (f->status == KUP_FIND_UNDECIDED) {
		kup_buf_adds(out, ", which is templated");
		return;
	}
	kup_buf_addf(out, ": %s", kup_finding_status_name(f->status));
	if (f->deprecated_in && f->removed_in)
		kup_buf_addf(out, " (deprecated in %s, removed in %s)", f->deprecated_in, f->removed_in);
	else if (f->removed_in)
		kup_buf_addf(out, " (removed in %s)", f->removed_in);
	else if (f->deprecated_in)
		kup_buf_addf(out, " (deprecated in %s)", f->deprecated_in);
	if (f->replacement)
		kup_buf_addf(out, "; use %s%s%s", f->replacement, f->replacement_kind ? " " : "",
			     f->replacement_kind ? f->replacement_kind : "");
}

const char *kup_item_family_title(enum kup_item_family f)
{
	switch (f) {
	case KUP_ITEM_PREFLIGHT: return "Pre-flight checks";
	case KUP_ITEM_RISK: return "Upgrade blockers and risks";
	case KUP_ITEM_FIX: return "Fix results";
	case KUP_ITEM_CHART: return "Chart evaluations";
	case KUP_ITEM_NFAMILIES: break;
	}
	return "Other findings";
}

void kup_item_object_label(struct kup_buf *out, const struct kup_report_item *it)
{
	if (it->kind && *it->kind)
		kup_buf_adds(out, it->kind);
	if (!it->name)
		return;
	if (it->kind && *it->kind)
		kup_buf_addc(out, ' ');
	if (it->namespace_) {
		kup_buf_adds(out, it->namespace_);
		kup_buf_addc(out, '/');
	}
	kup_buf_adds(out, it->name);
}

bool kup_is_http_url(const char *s)
{
	return s && (!strncmp(s, "https://", 8) || !strncmp(s, "http://", 7));
}
