/*
 * junit.c - JUnit XML for CI test reports: one testcase per finding (a
 * failure for removed- and deprecated-level ones at or above the run's
 * --fail-on, else passing with the finding in <system-out>), one per input error (an
 * error), or a single passing testcase when no API finding was found; one
 * testcase per item of the other passes (classname "preflight", ...), a
 * failure when it blocks or warns.
 */
#include <inttypes.h>
#include <string.h>

#include "report/report_int.h"

static void attr(struct kup_buf *out, const char *name, const char *value)
{
	kup_buf_addf(out, " %s=\"", name);
	kup_xml_escape(out, value);
	kup_buf_addc(out, '"');
}

/* Element text: escaped like an attribute, but newlines stay newlines. */
static void text(struct kup_buf *out, const char *s)
{
	struct kup_buf line = KUP_BUF_INIT;
	const char *nl;

	kup_buf_init(&line);
	while ((nl = strchr(s, '\n'))) {
		kup_buf_reset(&line);
		kup_buf_add(&line, s, (size_t)(nl - s));
		kup_xml_escape(out, line.buf);
		kup_buf_addc(out, '\n');
		s = nl + 1;
	}
	kup_xml_escape(out, s);
	if (line.oom)
		out->oom = true;
	kup_buf_release(&line);
}

/* True when a finding of this severity fails the run (--fail-on). */
static bool fails(const struct kup_report *r, enum kup_fail_level level)
{
	if (level == KUP_FAIL_NONE)
		return false;
	if (!r->has_fail_on)
		return true;
	return r->fail_on != KUP_FAIL_NONE && level >= r->fail_on;
}

static void counts(struct kup_buf *out, size_t tests, size_t failures, size_t errors)
{
	kup_buf_addf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\"", tests, failures, errors);
}

static void finding_case(struct kup_buf *out, const struct kup_report *r,
			 const struct kup_finding *f, struct kup_buf *tmp)
{
	enum kup_fail_level level = kup_finding_severity(f->status);
	bool failing = fails(r, level);

	kup_buf_adds(out, "    <testcase");
	attr(out, "classname", f->src.path ? f->src.path : "-");
	kup_buf_reset(tmp);
	kup_object_label(tmp, f);
	kup_buf_addc(tmp, ' ');
	kup_buf_adds(tmp, f->api_version ? f->api_version : "?");
	attr(out, "name", tmp->buf);
	if (level == KUP_FAIL_NONE) {
		kup_buf_adds(out, "/>\n");
		return;
	}
	if (failing) {
		kup_buf_adds(out, ">\n      <failure");
		kup_buf_reset(tmp);
		kup_finding_message(tmp, f);
		attr(out, "message", tmp->buf);
		attr(out, "type", level == KUP_FAIL_REMOVED ? "removed" : "deprecated");
		kup_buf_addc(out, '>');
	} else {
		/* below --fail-on: reported, not failed */
		kup_buf_adds(out, ">\n      <system-out>");
	}

	/* the body: every fact on its own line */
	kup_buf_reset(tmp);
	kup_buf_addf(tmp, "status: %s\n", kup_finding_status_name(f->status));
	if (f->deprecated_in)
		kup_buf_addf(tmp, "deprecated in: %s\n", f->deprecated_in);
	if (f->removed_in)
		kup_buf_addf(tmp, "removed in: %s\n", f->removed_in);
	if (f->replacement)
		kup_buf_addf(tmp, "replacement: %s%s%s\n", f->replacement,
			     f->replacement_kind ? " " : "", f->replacement_kind ? f->replacement_kind : "");
	kup_buf_adds(tmp, "source: ");
	kup_source_label(tmp, &f->src);
	kup_buf_addc(tmp, '\n');
	if (f->src.object)
		kup_buf_addf(tmp, "object: %s\n", f->src.object);
	if (f->notes)
		kup_buf_addf(tmp, "notes: %s\n", f->notes);
	if (f->source_url)
		kup_buf_addf(tmp, "see: %s\n", f->source_url);
	text(out, tmp->buf);
	kup_buf_adds(out, failing ? "</failure>\n    </testcase>\n" : "</system-out>\n    </testcase>\n");
}

static void item_case(struct kup_buf *out, const struct kup_report *r,
		      const struct kup_report_item *it, struct kup_buf *tmp)
{
	bool failing = fails(r, it->severity);

	kup_buf_adds(out, "    <testcase");
	attr(out, "classname", kup_item_family_name(it->family));
	kup_buf_reset(tmp);
	kup_buf_adds(tmp, it->rule_id ? it->rule_id : "?");
	kup_buf_addc(tmp, ' ');
	kup_item_object_label(tmp, it);
	attr(out, "name", tmp->buf);
	if (it->severity == KUP_FAIL_NONE && !it->reason) {
		kup_buf_adds(out, "/>\n");
		return;
	}
	if (failing) {
		kup_buf_adds(out, ">\n      <failure");
		attr(out, "message", it->message ? it->message : "");
		attr(out, "type", kup_item_severity_name(it->severity));
		kup_buf_addc(out, '>');
	} else {
		kup_buf_adds(out, ">\n      <system-out>");
	}
	kup_buf_reset(tmp);
	kup_buf_addf(tmp, "severity: %s\n", kup_item_severity_name(it->severity));
	kup_buf_addf(tmp, "check: %s\n", it->rule_id ? it->rule_id : "?");
	if (it->api_version)
		kup_buf_addf(tmp, "api version: %s\n", it->api_version);
	if (it->detail)
		kup_buf_addf(tmp, "detail: %s\n", it->detail);
	if (it->reason)
		kup_buf_addf(tmp, "reason: %s\n", it->reason);
	if (it->src.path) {
		kup_buf_adds(tmp, "source: ");
		kup_source_label(tmp, &it->src);
		kup_buf_addc(tmp, '\n');
	}
	if (it->remedy)
		kup_buf_addf(tmp, "remedy: %s\n", it->remedy);
	if (it->source_url)
		kup_buf_addf(tmp, "see: %s\n", it->source_url);
	text(out, tmp->buf);
	kup_buf_adds(out, failing ? "</failure>\n    </testcase>\n" : "</system-out>\n    </testcase>\n");
}

static void error_case(struct kup_buf *out, const struct kup_error *err, struct kup_buf *tmp)
{
	const char *msg = err->msg ? err->msg : kup_strerror(err->code);

	kup_buf_adds(out, "    <testcase");
	attr(out, "classname", err->path ? err->path : "-");
	kup_buf_reset(tmp);
	kup_buf_adds(tmp, "read ");
	kup_position_label(tmp, err->path, err->line, err->column);
	attr(out, "name", tmp->buf);
	kup_buf_adds(out, ">\n      <error");
	attr(out, "message", msg);
	attr(out, "type", kup_strerror(err->code));
	kup_buf_addc(out, '>');
	kup_buf_reset(tmp);
	kup_position_label(tmp, err->path, err->line, err->column);
	kup_buf_adds(tmp, ": ");
	kup_buf_adds(tmp, msg);
	if (err->object)
		kup_buf_addf(tmp, " (%s)", err->object);
	text(out, tmp->buf);
	kup_buf_adds(out, "</error>\n    </testcase>\n");
}

void kup_render_junit(const struct kup_report *r, struct kup_buf *out)
{
	struct kup_buf tmp = KUP_BUF_INIT;
	size_t i, failures = 0, tests;

	kup_buf_init(&tmp);
	for (i = 0; i < r->nfindings; i++)
		if (fails(r, kup_finding_severity(r->findings[i]->status)))
			failures++;
	for (i = 0; i < r->nitems; i++)
		if (fails(r, r->items[i].severity))
			failures++;
	tests = (r->nfindings ? r->nfindings : 1) + r->nitems + r->nerrors;

	kup_buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
	attr(out, "name", "kupgrade");
	counts(out, tests, failures, r->nerrors);
	kup_buf_adds(out, ">\n  <testsuite");
	attr(out, "name", "kupgrade scan");
	counts(out, tests, failures, r->nerrors);
	kup_buf_adds(out, " skipped=\"0\">\n");
	if (r->target_version) {
		kup_buf_adds(out, "    <properties>\n      <property name=\"target_version\"");
		attr(out, "value", r->target_version);
		kup_buf_adds(out, "/>\n    </properties>\n");
	}
	for (i = 0; i < r->nfindings; i++)
		finding_case(out, r, r->findings[i], &tmp);
	if (!r->nfindings)
		kup_buf_adds(out, "    <testcase classname=\"kupgrade\" name=\"no removed or deprecated APIs\"/>\n");
	for (i = 0; i < r->nitems; i++)
		item_case(out, r, &r->items[i], &tmp);
	for (i = 0; i < r->nerrors; i++)
		error_case(out, &r->errors[i], &tmp);
	kup_buf_adds(out, "  </testsuite>\n</testsuites>\n");
	if (tmp.oom)
		out->oom = true;
	kup_buf_release(&tmp);
}
