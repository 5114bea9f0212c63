/*
 * serve.c - one scan cycle of a live cluster against several targets, the
 * state the in-cluster mode keeps, and its renderers (Prometheus text,
 * JSON, HTML).  See include/kupgrade/serve.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/ingest.h"
#include "kupgrade/kbplan.h"
#include "kupgrade/kbrules.h"
#include "kupgrade/live.h"
#include "kupgrade/report.h"
#include "kupgrade/scan.h"
#include "kupgrade/serve.h"

struct kup_serve_cycle {
	struct kup_version *targets;
	struct kup_scan **scans;
	size_t ntargets;
	size_t objects;
	size_t errors;
	size_t relayed;             /* deprecated-API request counters read from /metrics */
	char *server_version;       /* "v1.20.2" */
	char *first_error;          /* the first resource that could not be listed */
	int *verdict;               /* per target: enum kup_verdict, or -1 (not planned) */
	size_t *blockers;           /* per target: the plan's blockers */
	time_t started;
};

void kup_serve_opts_init(struct kup_serve_opts *o)
{
	memset(o, 0, sizeof(*o));
}

/* ---- one cycle ---------------------------------------------------------- */

/* Every object goes to every target's scan. */
static enum kup_status tee_object(void *ctx, const struct kup_object *obj)
{
	struct kup_serve_cycle *c = ctx;
	size_t i;

	for (i = 0; i < c->ntargets; i++) {
		enum kup_status st = kup_scan_object(c->scans[i], obj);
		if (st != KUP_OK)
			return st;
	}
	return KUP_OK;
}

static void count_error(void *ctx, const struct kup_error *err)
{
	struct kup_serve_cycle *c = ctx;

	c->errors++;
	if (!c->first_error && err->msg)
		c->first_error = kup_strdup(err->msg);
}

void kup_serve_cycle_free(struct kup_serve_cycle *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->ntargets; i++)
		kup_scan_free(c->scans[i]);
	free(c->scans);
	free(c->targets);
	free(c->verdict);
	free(c->blockers);
	free(c->server_version);
	free(c->first_error);
	free(c);
}

enum kup_status kup_serve_cycle_run(struct kup_kube *k, const struct kup_kb *kb,
				    const struct kup_serve_opts *o, time_t now,
				    struct kup_serve_cycle **out, struct kup_error *err)
{
	struct kup_serve_cycle *c;
	struct kup_kube_discovery *d = NULL;
	struct kup_ingest *in = NULL;
	struct kup_ingest_opts io;
	struct kup_live_opts lo;
	struct kup_live_relay relay;
	struct kup_live_stats stats;
	enum kup_status st;
	size_t i, n = 0;

	*out = NULL;
	if (!k || !kb || !o || !o->ntargets || !o->targets)
		return KUP_INVALID;
	c = kup_calloc(1, sizeof(*c));
	if (!c)
		return KUP_NOMEM;
	c->started = now;
	c->ntargets = o->ntargets;
	c->targets = kup_calloc(o->ntargets, sizeof(*c->targets));
	c->scans = kup_calloc(o->ntargets, sizeof(*c->scans));
	c->verdict = kup_calloc(o->ntargets, sizeof(*c->verdict));
	c->blockers = kup_calloc(o->ntargets, sizeof(*c->blockers));
	if (!c->targets || !c->scans || !c->verdict || !c->blockers) {
		st = KUP_NOMEM;
		goto fail;
	}
	for (i = 0; i < o->ntargets; i++) {
		struct kup_scan_opts so;

		c->verdict[i] = -1;
		kup_scan_opts_init(&so);
		so.target = o->targets[i];
		c->targets[i] = o->targets[i];
		st = kup_scan_new(kb, &so, &c->scans[i]);
		if (st != KUP_OK)
			goto fail;
	}

	st = kup_kube_discover(k, &d, err);
	if (st != KUP_OK)
		goto fail;
	if (d->git_version && !(c->server_version = kup_strdup(d->git_version))) {
		st = KUP_NOMEM;
		goto fail;
	}

	kup_ingest_opts_init(&io);
	relay.fn = tee_object;
	relay.ctx = c;
	io.on_object = kup_live_relay_object;
	io.ctx = &relay;
	io.errors.fn = count_error;
	io.errors.ctx = c;
	st = kup_ingest_new(&io, &in);
	if (st != KUP_OK)
		goto fail;

	kup_live_opts_init(&lo);
	lo.namespace_ = o->namespace_;
	if (o->limit)
		lo.limit = o->limit;
	lo.cancel = o->cancel;
	lo.errors.fn = count_error;
	lo.errors.ctx = c;
	memset(&stats, 0, sizeof(stats));
	st = kup_live_collect(k, d, &lo, kup_live_ingest_page, in, &stats, err);
	if (st != KUP_OK)
		goto fail;
	st = kup_ingest_finish(in);
	if (st != KUP_OK)
		goto fail;
	c->objects = kup_ingest_stats(in)->objects;

	/* The server's own counters: a 403/404 is not a failure of the cycle. */
	{
		struct kup_error merr = KUP_ERROR_INIT;
		enum kup_status mst = kup_live_metrics(k, d, tee_object, c, &n, &merr);
		if (mst == KUP_OK)
			c->relayed = n;
		else if (mst != KUP_NOTFOUND)
			count_error(c, &merr);
		kup_error_release(&merr);
	}
	for (i = 0; i < c->ntargets; i++) {
		st = kup_scan_finish(c->scans[i]);
		if (st != KUP_OK)
			goto fail;
	}
	kup_ingest_free(in);
	kup_kube_discovery_free(d);
	*out = c;
	return KUP_OK;
fail:
	if (st == KUP_NOMEM && err && !err->msg)
		kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	kup_ingest_free(in);
	kup_kube_discovery_free(d);
	kup_serve_cycle_free(c);
	return st;
}

void kup_serve_cycle_set_plan(struct kup_serve_cycle *c, size_t target, enum kup_verdict v,
			      size_t nblockers)
{
	if (!c || target >= c->ntargets)
		return;
	c->verdict[target] = (int)v;
	c->blockers[target] = nblockers;
}

size_t kup_serve_cycle_objects(const struct kup_serve_cycle *c)
{
	return c ? c->objects : 0;
}

size_t kup_serve_cycle_errors(const struct kup_serve_cycle *c)
{
	return c ? c->errors : 0;
}

size_t kup_serve_cycle_findings(const struct kup_serve_cycle *c, size_t target)
{
	return c && target < c->ntargets ? kup_scan_count(c->scans[target]) : 0;
}

const char *kup_serve_cycle_server_version(const struct kup_serve_cycle *c)
{
	return c ? c->server_version : NULL;
}

/* ---- state -------------------------------------------------------------- */

void kup_serve_state_init(struct kup_serve_state *s)
{
	memset(s, 0, sizeof(*s));
}

void kup_serve_state_done(struct kup_serve_state *s, struct kup_serve_cycle *c, time_t start,
			  double duration_s)
{
	kup_serve_cycle_free(s->last);
	s->last = c;
	s->last_attempt = start;
	s->last_duration_s = duration_s;
	s->cycles++;
	s->last_failed = false;
	free(s->last_error);
	s->last_error = NULL;
}

void kup_serve_state_failed(struct kup_serve_state *s, const char *msg, time_t start,
			    double duration_s)
{
	s->last_attempt = start;
	s->last_duration_s = duration_s;
	s->cycles++;
	s->failures++;
	s->last_failed = true;
	free(s->last_error);
	s->last_error = msg ? kup_strdup(msg) : NULL;
}

void kup_serve_state_release(struct kup_serve_state *s)
{
	kup_serve_cycle_free(s->last);
	free(s->last_error);
	memset(s, 0, sizeof(*s));
}

/* ---- Prometheus text ---------------------------------------------------- */

/* A label value: backslash, double quote and newline escaped. */
static void label_value(struct kup_buf *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			kup_buf_adds(out, "\\\\");
		else if (*s == '"')
			kup_buf_adds(out, "\\\"");
		else if (*s == '\n')
			kup_buf_adds(out, "\\n");
		else
			kup_buf_addc(out, *s);
	}
}

static void family(struct kup_buf *out, const char *name, const char *type, const char *help)
{
	kup_buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Appends `name="value"` (with a leading comma unless first). */
static void label(struct kup_buf *out, bool first, const char *name, const char *value)
{
	kup_buf_addf(out, "%s%s=\"", first ? "" : ",", name);
	label_value(out, value ? value : "");
	kup_buf_addc(out, '"');
}

/* "apps/v1" -> group "apps", version "v1"; "v1" -> "", "v1". */
static void split_gv(const char *gv, char *group, size_t gsize, const char **version)
{
	const char *slash = gv ? strchr(gv, '/') : NULL;

	if (!slash) {
		group[0] = '\0';
		*version = gv ? gv : "";
		return;
	}
	snprintf(group, gsize, "%.*s", (int)(slash - gv), gv);
	*version = slash + 1;
}

/* The ISO date `iso` (00:00 UTC) as Unix time; false when malformed. */
static bool iso_date(const char *iso, long long *when)
{
	int y, m, d;
	struct tm tm;
	time_t t;

	if (!iso || sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*when = (long long)t;
	return true;
}

/* True when target is the minor right after the server's. */
static bool is_next_minor(const struct kup_serve_cycle *c, const struct kup_version *target)
{
	struct kup_version v;
	struct kup_error err = KUP_ERROR_INIT;
	bool next = false;

	if (c->server_version && kup_version_parse(c->server_version, &v, &err) == KUP_OK)
		next = target->major == v.major && target->minor == v.minor + 1;
	kup_error_release(&err);
	return next;
}

struct sample_key {
	const char *api_version;
	const char *kind;
	const char *namespace_;
	const char *status;
	const char *source;
	size_t count;
};

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_key(const void *pa, const void *pb)
{
	const struct sample_key *a = pa, *b = pb;
	int r;

	if ((r = cmp_str(a->api_version, b->api_version)) != 0)
		return r;
	if ((r = cmp_str(a->kind, b->kind)) != 0)
		return r;
	if ((r = cmp_str(a->namespace_, b->namespace_)) != 0)
		return r;
	if ((r = cmp_str(a->status, b->status)) != 0)
		return r;
	return cmp_str(a->source, b->source);
}

/* Objects per (group, version, kind, namespace, status, source) at one target. */
static void api_objects(struct kup_buf *out, const struct kup_serve_cycle *c, size_t t)
{
	const struct kup_scan *scan = c->scans[t];
	size_t n = kup_scan_count(scan), i, nkeys = 0;
	struct sample_key *keys;
	char tbuf[32];

	if (!n)
		return;
	keys = kup_calloc(n, sizeof(*keys));
	if (!keys) {
		out->oom = true;
		return;
	}
	for (i = 0; i < n; i++) {
		const struct kup_finding *f = kup_scan_at(scan, i);
		if (f->src.type == KUP_SRC_METRICS || f->status == KUP_FIND_UNDECIDED)
			continue;
		keys[nkeys].api_version = f->api_version;
		keys[nkeys].kind = f->kind;
		keys[nkeys].namespace_ = f->namespace_;
		keys[nkeys].status = kup_finding_status_name(f->status);
		keys[nkeys].source = kup_source_type_name(f->src.type);
		keys[nkeys].count = 1;
		nkeys++;
	}
	qsort(keys, nkeys, sizeof(*keys), cmp_key);
	kup_version_minor_str(&c->targets[t], tbuf, sizeof(tbuf));
	for (i = 0; i < nkeys;) {
		size_t j = i + 1, count = 1;
		char group[256];
		const char *version;

		while (j < nkeys && cmp_key(&keys[i], &keys[j]) == 0) {
			count++;
			j++;
		}
		split_gv(keys[i].api_version, group, sizeof(group), &version);
		kup_buf_adds(out, "kupgrade_api_objects{");
		label(out, true, "group", group);
		label(out, false, "version", version);
		label(out, false, "kind", keys[i].kind);
		label(out, false, "namespace", keys[i].namespace_);
		label(out, false, "target", tbuf);
		label(out, false, "status", keys[i].status);
		label(out, false, "source", keys[i].source);
		kup_buf_addf(out, "} %zu\n", count);
		i = j;
	}
	free(keys);
}

void kup_serve_metrics(const struct kup_serve_state *s, const struct kup_kb *kb,
		       struct kup_buf *out)
{
	const struct kup_serve_cycle *c = s->last;
	char tbuf[32];
	size_t t, i;

	family(out, "kupgrade_scans_total", "counter", "Scan cycles run since start.");
	kup_buf_addf(out, "kupgrade_scans_total %lu\n", s->cycles);
	family(out, "kupgrade_scan_failures_total", "counter",
	       "Scan cycles that failed (server unreachable, discovery refused).");
	kup_buf_addf(out, "kupgrade_scan_failures_total %lu\n", s->failures);
	family(out, "kupgrade_last_scan_success", "gauge",
	       "1 when the newest scan cycle succeeded, 0 when it failed or none ran yet.");
	kup_buf_addf(out, "kupgrade_last_scan_success %d\n", s->cycles && !s->last_failed ? 1 : 0);
	family(out, "kupgrade_last_scan_duration_seconds", "gauge",
	       "How long the newest scan cycle took.");
	kup_buf_addf(out, "kupgrade_last_scan_duration_seconds %.3f\n", s->last_duration_s);
	if (kb) {
		family(out, "kupgrade_knowledge_base_info", "gauge",
		       "The knowledge base in use: the newest Kubernetes minor it knows.");
		kup_buf_adds(out, "kupgrade_knowledge_base_info{");
		label(out, true, "newest", kup_version_minor_str(kup_kb_newest(kb), tbuf, sizeof(tbuf)));
		kup_buf_adds(out, "} 1\n");
	}
	if (!c)
		return;

	family(out, "kupgrade_last_scan_timestamp_seconds", "gauge",
	       "Start of the newest successful scan cycle (Unix time).");
	kup_buf_addf(out, "kupgrade_last_scan_timestamp_seconds %lld\n", (long long)c->started);
	family(out, "kupgrade_scan_objects", "gauge",
	       "Objects read in the newest successful scan cycle.");
	kup_buf_addf(out, "kupgrade_scan_objects %zu\n", c->objects);
	family(out, "kupgrade_scan_errors", "gauge",
	       "Resources that could not be read in the newest successful scan cycle.");
	kup_buf_addf(out, "kupgrade_scan_errors %zu\n", c->errors);
	if (c->server_version) {
		family(out, "kupgrade_server_info", "gauge", "The API server's version.");
		kup_buf_adds(out, "kupgrade_server_info{");
		label(out, true, "git_version", c->server_version);
		kup_buf_adds(out, "} 1\n");
	}

	family(out, "kupgrade_api_objects", "gauge",
	       "Objects using an API that is deprecated or removed at the target.");
	for (t = 0; t < c->ntargets; t++)
		api_objects(out, c, t);

	family(out, "kupgrade_target_findings", "gauge",
	       "Findings at the target by severity (removed blocks the upgrade).");
	family(out, "kupgrade_target_blocking", "gauge",
	       "1 when some object uses an API removed at the target: the upgrade is blocked.");
	for (t = 0; t < c->ntargets; t++) {
		size_t removed = 0, deprecated = 0, n = kup_scan_count(c->scans[t]);
		for (i = 0; i < n; i++) {
			enum kup_fail_level sev =
				kup_finding_severity(kup_scan_at(c->scans[t], i)->status);
			if (sev == KUP_FAIL_REMOVED)
				removed++;
			else if (sev == KUP_FAIL_DEPRECATED)
				deprecated++;
		}
		kup_version_minor_str(&c->targets[t], tbuf, sizeof(tbuf));
		kup_buf_adds(out, "kupgrade_target_findings{");
		label(out, true, "target", tbuf);
		kup_buf_addf(out, ",severity=\"removed\"} %zu\n", removed);
		kup_buf_adds(out, "kupgrade_target_findings{");
		label(out, true, "target", tbuf);
		kup_buf_addf(out, ",severity=\"deprecated\"} %zu\n", deprecated);
		kup_buf_adds(out, "kupgrade_target_blocking{");
		label(out, true, "target", tbuf);
		label(out, false, "next_minor", is_next_minor(c, &c->targets[t]) ? "true" : "false");
		kup_buf_addf(out, "} %d\n", removed ? 1 : 0);
	}

	/* The plan to each target (kup_serve_cycle_set_plan), where one was made. */
	family(out, "kupgrade_plan_verdict", "gauge",
	       "The upgrade plan's verdict to the target: 1 for the verdict it has "
	       "(READY, READY_WITH_WARNINGS, BLOCKED), 0 for the others.");
	for (t = 0; t < c->ntargets; t++) {
		int v;

		if (c->verdict[t] < 0)
			continue;
		kup_version_minor_str(&c->targets[t], tbuf, sizeof(tbuf));
		for (v = KUP_VERDICT_READY; v <= KUP_VERDICT_BLOCKED; v++) {
			kup_buf_adds(out, "kupgrade_plan_verdict{");
			label(out, true, "target", tbuf);
			label(out, false, "verdict", kup_verdict_name((enum kup_verdict)v));
			kup_buf_addf(out, "} %d\n", c->verdict[t] == v);
		}
	}
	family(out, "kupgrade_plan_blockers", "gauge",
	       "Blockers of the upgrade plan to the target (API removals, add-on ranges, "
	       "pre-flight checks): the plan is BLOCKED when this is above 0.");
	for (t = 0; t < c->ntargets; t++) {
		if (c->verdict[t] < 0)
			continue;
		kup_version_minor_str(&c->targets[t], tbuf, sizeof(tbuf));
		kup_buf_adds(out, "kupgrade_plan_blockers{");
		label(out, true, "target", tbuf);
		kup_buf_addf(out, "} %zu\n", c->blockers[t]);
	}

	/* The server's own counters, relayed once (they do not depend on the target). */
	family(out, "kupgrade_apiserver_deprecated_api_requested", "gauge",
	       "Deprecated APIs the API server saw requested since it started (its "
	       "apiserver_requested_deprecated_apis metric).");
	if (c->ntargets) {
		const struct kup_scan *scan = c->scans[0];
		for (i = 0; i < kup_scan_count(scan); i++) {
			const struct kup_finding *f = kup_scan_at(scan, i);
			char group[256];
			const char *version;

			if (f->src.type != KUP_SRC_METRICS)
				continue;
			split_gv(f->api_version, group, sizeof(group), &version);
			kup_buf_adds(out, "kupgrade_apiserver_deprecated_api_requested{");
			label(out, true, "group", group);
			label(out, false, "version", version);
			label(out, false, "kind", f->kind);
			label(out, false, "removed_release", f->removed_in);
			kup_buf_adds(out, "} 1\n");
		}
	}

	/* End of support of the server's minor. */
	if (c->server_version && kb) {
		struct kup_version v;
		struct kup_error err = KUP_ERROR_INIT;
		const char *prov = NULL;
		long long when;

		if (kup_version_parse(c->server_version, &v, &err) == KUP_OK) {
			/* the provider its version names (data/<provider>.yaml `recognize`) */
			prov = kup_kb_version_provider(kb, &v);
			family(out, "kupgrade_support_end_timestamp_seconds", "gauge",
			       "End of support of the server's minor version (Unix time; "
			       "upstream end of life, and the provider's standard and extended support).");
			for (i = 0; i < kup_kb_release_count(kb); i++) {
				const struct kup_release *r = kup_kb_release_at(kb, i);
				if (kup_version_cmp_minor(&r->version, &v) == 0 &&
				    iso_date(r->end_of_life, &when))
					kup_buf_addf(out, "kupgrade_support_end_timestamp_seconds{"
							  "kind=\"upstream\"} %lld\n", when);
			}
			if (prov) {
				const struct kup_provider_release *pr =
					kup_kb_find_provider_release(kb, prov, &v);
				if (pr && iso_date(pr->end_of_standard, &when))
					kup_buf_addf(out, "kupgrade_support_end_timestamp_seconds{"
							  "kind=\"provider-standard\",provider=\"%s\"} %lld\n",
						     prov, when);
				if (pr && iso_date(pr->end_of_extended, &when))
					kup_buf_addf(out, "kupgrade_support_end_timestamp_seconds{"
							  "kind=\"provider-extended\",provider=\"%s\"} %lld\n",
						     prov, when);
			}
		}
		kup_error_release(&err);
	}
}

/* ---- JSON and HTML ------------------------------------------------------ */

static void iso_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The scan's JSON report for target t (what `kupgrade scan -o json` prints). */
static void target_report(struct kup_buf *out, const struct kup_serve_cycle *c, size_t t,
			  enum kup_format fmt)
{
	const struct kup_scan *scan = c->scans[t];
	size_t n = kup_scan_count(scan), i;
	const struct kup_finding **list = kup_calloc(n + 1, sizeof(*list));
	struct kup_report rep;
	char tbuf[32];

	if (!list) {
		out->oom = true;
		return;
	}
	memset(&rep, 0, sizeof(rep));
	for (i = 0; i < n; i++)
		list[i] = kup_scan_at(scan, i);
	kup_report_set_findings(&rep, list, n);
	rep.target_version = kup_version_minor_str(&c->targets[t], tbuf, sizeof(tbuf));
	rep.summary.objects = c->objects;
	rep.summary.errors = c->errors;
	rep.tool_version = KUP_VERSION_STRING;
	if (kup_report_render(fmt, &rep, out) != KUP_OK)
		out->oom = true;
	free(list);
}

void kup_serve_findings(const struct kup_serve_state *s, struct kup_buf *out)
{
	const struct kup_serve_cycle *c = s->last;
	char when[32];
	size_t t;

	kup_buf_adds(out, "{\"schema_version\":1,");
	if (!c) {
		kup_buf_adds(out, "\"scanned_at\":null,\"server_version\":null,\"targets\":[]}\n");
		return;
	}
	iso_time(c->started, when, sizeof(when));
	kup_buf_adds(out, "\"scanned_at\":");
	kup_json_quote(out, when);
	kup_buf_adds(out, ",\"server_version\":");
	kup_json_quote(out, c->server_version);
	kup_buf_addf(out, ",\"objects\":%zu,\"errors\":%zu,\"targets\":[", c->objects, c->errors);
	for (t = 0; t < c->ntargets; t++) {
		if (t)
			kup_buf_addc(out, ',');
		target_report(out, c, t, KUP_FMT_JSON);
		/* the renderer ends its document with a newline: keep the array compact */
		while (out->len && out->buf[out->len - 1] == '\n')
			out->buf[--out->len] = '\0';
	}
	kup_buf_adds(out, "]}\n");
}

void kup_serve_html(const struct kup_serve_state *s, struct kup_buf *out)
{
	const struct kup_serve_cycle *c = s->last;
	char when[32], tbuf[32];
	size_t t, i;

	kup_buf_adds(out,
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>kupgrade: deprecated and removed APIs in use</title>\n<style>"
		"body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
		"table{border-collapse:collapse;width:100%;table-layout:auto}"
		"th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;"
		"overflow-wrap:anywhere;vertical-align:top}"
		"th{background:#f3f3f3}.removed{color:#a00;font-weight:bold}"
		".deprecated{color:#a60}.ok{color:#070;font-weight:bold}"
		".blocked{color:#a00;font-weight:bold}code{font-family:monospace}"
		"</style></head><body>\n<h1>kupgrade</h1>\n");
	if (!c) {
		kup_buf_adds(out, "<p id=\"state\">No scan has completed yet.");
		if (s->last_error) {
			kup_buf_adds(out, " The last attempt failed: ");
			kup_xml_escape(out, s->last_error);
		}
		kup_buf_adds(out, "</p></body></html>\n");
		return;
	}
	iso_time(c->started, when, sizeof(when));
	kup_buf_adds(out, "<p id=\"state\">Server <code>");
	kup_xml_escape(out, c->server_version ? c->server_version : "unknown");
	kup_buf_addf(out, "</code>, scanned %s: %zu objects, %zu resource error(s).", when, c->objects,
		     c->errors);
	if (s->last_failed && s->last_error) {
		kup_buf_adds(out, " The newest attempt failed: ");
		kup_xml_escape(out, s->last_error);
	}
	kup_buf_adds(out, "</p>\n");
	for (t = 0; t < c->ntargets; t++) {
		const struct kup_scan *scan = c->scans[t];
		size_t n = kup_scan_count(scan), removed = 0;

		for (i = 0; i < n; i++)
			if (kup_finding_severity(kup_scan_at(scan, i)->status) == KUP_FAIL_REMOVED)
				removed++;
		kup_version_minor_str(&c->targets[t], tbuf, sizeof(tbuf));
		kup_buf_addf(out, "<h2>Target %s: <span class=\"%s\" data-target=\"%s\">%s</span></h2>\n",
			     tbuf, removed ? "blocked" : "ok", tbuf,
			     removed ? "BLOCKED" : "no removed API in use");
		if (!n) {
			kup_buf_adds(out, "<p>No deprecated or removed APIs found.</p>\n");
			continue;
		}
		kup_buf_adds(out, "<table><thead><tr><th>status</th><th>kind</th><th>apiVersion</th>"
				  "<th>object</th><th>source</th><th>replacement</th></tr></thead><tbody>\n");
		for (i = 0; i < n; i++) {
			const struct kup_finding *f = kup_scan_at(scan, i);
			const char *status = kup_finding_status_name(f->status);
			bool rem = kup_finding_severity(f->status) == KUP_FAIL_REMOVED;

			kup_buf_addf(out, "<tr><td class=\"%s\">", rem ? "removed" : "deprecated");
			kup_xml_escape(out, status);
			kup_buf_adds(out, "</td><td>");
			kup_xml_escape(out, f->kind);
			kup_buf_adds(out, "</td><td><code>");
			kup_xml_escape(out, f->api_version);
			kup_buf_adds(out, "</code></td><td>");
			if (f->namespace_) {
				kup_xml_escape(out, f->namespace_);
				kup_buf_addc(out, '/');
			}
			kup_xml_escape(out, f->name ? f->name : (f->src.object ? f->src.object : ""));
			kup_buf_adds(out, "</td><td>");
			kup_xml_escape(out, kup_source_type_name(f->src.type));
			if (f->src.manager) {
				kup_buf_adds(out, " (");
				kup_xml_escape(out, f->src.manager);
				kup_buf_addc(out, ')');
			}
			kup_buf_adds(out, "</td><td><code>");
			kup_xml_escape(out, f->replacement ? f->replacement : "");
			kup_buf_adds(out, "</code></td></tr>\n");
		}
		kup_buf_adds(out, "</tbody></table>\n");
	}
	kup_buf_adds(out, "</body></html>\n");
}
