/* test_fleet.c - the Fleet parser, durations, windows, maxConcurrent, the gates, templates, drivers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "kupgrade/fleet.h"

static const char issue_fleet[] =
	"apiVersion: kupgrade.dev/v1alpha1\n"
	"kind: Fleet\n"
	"metadata: {name: acme}\n"
	"spec:\n"
	"  target: {version: \"1.31\"}\n"
	"  clusters:\n"
	"    - {name: dev-1, profile: clusters/dev-1.yaml, labels: {env: dev}}\n"
	"    - {name: prod-eu, context: prod-eu, labels: {env: prod}}\n"
	"    - {name: staging-1, profile: /abs/s1.yaml, labels: {env: staging}}\n"
	"  waves:\n"
	"    - {name: dev, selector: {env: dev}, maxConcurrent: \"100%\", soak: 1h}\n"
	"    - {name: staging, selector: {env: staging}, maxConcurrent: 2, soak: 24h, approval: true}\n"
	"    - {name: prod, selector: {env: prod}, maxConcurrent: \"25%\", maxFailures: 1,\n"
	"       window: \"Sat 02:00-06:00 UTC\"}\n"
	"  health: {command: \"./health.sh {cluster}\", interval: 30s, successes: 3}\n"
	"  driver:\n"
	"    control-plane: \"eksctl upgrade cluster --name {cluster} --version {version} --approve\"\n"
	"    nodepool: \"./roll-pool.sh {cluster} {pool} {version}\"\n"
	"    addon: \"./addon.sh {cluster} {addon} {version}\"\n"
	"    verify: \"./verify.sh {cluster} {type} {component} {version}\"\n"
	"    timeout: 45m\n";

struct errs {
	size_t n;
	char first[512];
};

static void collect(void *ctx, const struct kup_error *e)
{
	struct errs *es = ctx;
	if (!es->n)
		snprintf(es->first, sizeof(es->first), "%s:%u:%u: %s", e->path ? e->path : "?",
			 (unsigned)e->line, (unsigned)e->column, e->msg ? e->msg : "?");
	es->n++;
}

static void parses_the_issue_fleet(void **state)
{
	struct kup_fleet *f = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	(void)state;

	assert_int_equal(kup_fleet_parse("/x/y/fleet.yaml", issue_fleet, strlen(issue_fleet), NULL, &f,
					 &err), KUP_OK);
	assert_string_equal(f->name, "acme");
	assert_string_equal(f->target_text, "1.31");
	assert_int_equal(f->target.minor, 31);
	assert_int_equal(f->nclusters, 3);
	assert_int_equal(f->nwaves, 3);
	assert_string_equal(f->clusters[0].profile, "/x/y/clusters/dev-1.yaml");
	assert_string_equal(f->clusters[2].profile, "/abs/s1.yaml");
	assert_null(f->clusters[1].profile);
	assert_string_equal(f->clusters[1].context, "prod-eu");
	assert_int_equal(f->clusters[0].wave, 0);
	assert_int_equal(f->clusters[1].wave, 2);
	assert_int_equal(f->clusters[2].wave, 1);
	assert_true(f->waves[0].max_percent);
	assert_int_equal(f->waves[0].max_value, 100);
	assert_int_equal(f->waves[0].soak, 3600);
	assert_false(f->waves[1].max_percent);
	assert_int_equal(f->waves[1].max_value, 2);
	assert_int_equal(f->waves[1].soak, 86400);
	assert_true(f->waves[1].approval);
	assert_int_equal(f->waves[2].max_failures, 1);
	assert_true(f->waves[2].window.set);
	assert_int_equal(f->waves[2].window.days, 1u << 5);
	assert_int_equal(f->waves[2].window.start_min, 120);
	assert_int_equal(f->waves[2].window.end_min, 360);
	assert_int_equal(f->timeout, 45 * 60);
	assert_int_equal(f->health_interval, 30);
	assert_int_equal(f->health_successes, 3);
	assert_non_null(f->cmd[KUP_FLEET_CMD_VERIFY].text);
	assert_null(f->cmd[KUP_FLEET_CMD_CHART].text);
	assert_string_equal(f->dir, "/x/y");
	assert_int_equal(kup_fleet_find_wave(f, "prod"), 2);
	assert_int_equal(kup_fleet_find_cluster(f, "nope"), -1);
	kup_fleet_free(f);
	kup_error_release(&err);
}

/* Replaces `from` in the issue fleet by `to` and returns the first error "path:line:col: msg". */
static size_t first_error(const char *from, const char *to, char *out, size_t size)
{
	char text[8192];
	const char *at = strstr(issue_fleet, from);
	struct kup_fleet *f = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct errs es = { 0, "" };
	struct kup_error_sink sink = { collect, &es };

	assert_non_null(at);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - issue_fleet), issue_fleet, to, at + strlen(from));
	assert_int_not_equal(kup_fleet_parse("f.yaml", text, strlen(text), &sink, &f, &err), KUP_OK);
	assert_null(f);
	assert_true(es.n > 0);
	assert_int_equal(err.code == KUP_PARSE || err.code == KUP_INVALID, 1);
	snprintf(out, size, "%s", es.first);
	kup_error_release(&err);
	return es.n;
}

static void reports_file_line_column(void **state)
{
	char e[512];
	(void)state;

	first_error("soak: 1h}", "soak: 1 hour}", e, sizeof(e));
	assert_string_equal(e, "f.yaml:11:70: soak '1 hour' is not a duration (30s, 45m, 1h, 24h, 1h30m)");
	first_error("\"25%\"", "\"250%\"", e, sizeof(e));
	assert_string_equal(e, "f.yaml:13:58: maxConcurrent '250%' must be between 1% and 100%");
	first_error("maxConcurrent: 2,", "maxConcurrent: 0,", e, sizeof(e));
	assert_string_equal(e, "f.yaml:12:64: maxConcurrent must be at least 1");
	first_error("Sat 02:00", "Sxt 02:00", e, sizeof(e));
	assert_non_null(strstr(e, "f.yaml:14:16: window 'Sxt 02:00-06:00 UTC': unknown day 'Sxt'"));
	first_error("06:00 UTC", "06:00 CET", e, sizeof(e));
	assert_non_null(strstr(e, "unsupported time zone 'CET': only UTC is supported"));
	first_error("06:00 UTC", "06:00", e, sizeof(e));
	assert_non_null(strstr(e, "needs a time zone"));
	first_error("02:00-06:00", "02:00-25:00", e, sizeof(e));
	assert_non_null(strstr(e, "expected a time range"));
	first_error("{env: staging}}", "{env: qa}}", e, sizeof(e));
	assert_string_equal(e, "f.yaml:9:7: cluster 'staging-1' is in no wave (no wave selector matches its labels)");
	first_error("{name: prod-eu, context: prod-eu,", "{name: dev-1, context: prod-eu,", e, sizeof(e));
	assert_non_null(strstr(e, "f.yaml:8:14: duplicate cluster 'dev-1'"));
	first_error("version: \"1.31\"", "version: \"1.x\"", e, sizeof(e));
	assert_non_null(strstr(e, "f.yaml:5:21: target version '1.x'"));
	first_error("{cluster} {pool}", "{cluster} {poool}", e, sizeof(e));
	assert_non_null(strstr(e, "f.yaml:18:15: nodepool command: unknown placeholder at '{poool}"));
	first_error("    timeout: 45m\n", "    timeout: 45m\n    helm: x\n", e, sizeof(e));
	assert_non_null(strstr(e, "f.yaml:22:5: unknown key 'helm' in spec.driver"));
	first_error("kind: Fleet", "kind: Flet", e, sizeof(e));
	assert_string_equal(e, "f.yaml:2:7: kind must be Fleet");
	first_error("profile: clusters/dev-1.yaml, ", "", e, sizeof(e));
	assert_non_null(strstr(e, "needs a profile (a ClusterProfile file) or a context"));
	/* YAML syntax errors keep their position */
	first_error("  waves:\n", "  waves: [\n", e, sizeof(e));
	assert_non_null(strstr(e, "f.yaml:"));
	/* several problems are all reported */
	assert_true(first_error("soak: 1h}", "soak: x, approval: maybe}", e, sizeof(e)) >= 2);
}

static void rejects_odd_input(void **state)
{
	static const char *const bad[] = {
		"", "---\n", "[1, 2]\n", "kind: Fleet\n", "\xef\xbb\xbf", "a: b\n---\nc: d\n",
		"apiVersion: kupgrade.dev/v1alpha1\nkind: Fleet\nspec: {target: {version: \"1.31\"}, "
		"clusters: [], waves: []}\n",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kup_fleet *f = NULL;
		struct kup_error err = KUP_ERROR_INIT;
		assert_int_not_equal(kup_fleet_parse("b.yaml", bad[i], strlen(bad[i]), NULL, &f, &err), KUP_OK);
		assert_null(f);
		assert_non_null(err.msg);
		kup_error_release(&err);
	}
}

static void durations(void **state)
{
	int64_t s;
	char buf[32];
	(void)state;
	assert_true(kup_fleet_parse_duration("30s", &s)); assert_int_equal(s, 30);
	assert_true(kup_fleet_parse_duration("45m", &s)); assert_int_equal(s, 2700);
	assert_true(kup_fleet_parse_duration("24h", &s)); assert_int_equal(s, 86400);
	assert_true(kup_fleet_parse_duration("1h30m", &s)); assert_int_equal(s, 5400);
	assert_true(kup_fleet_parse_duration("2d", &s)); assert_int_equal(s, 172800);
	assert_true(kup_fleet_parse_duration("0", &s)); assert_int_equal(s, 0);
	assert_false(kup_fleet_parse_duration("", &s));
	assert_false(kup_fleet_parse_duration("10", &s));
	assert_false(kup_fleet_parse_duration("-1h", &s));
	assert_false(kup_fleet_parse_duration("1x", &s));
	assert_false(kup_fleet_parse_duration("h", &s));
	assert_false(kup_fleet_parse_duration("99999999999999999999h", &s));
	assert_string_equal(kup_fleet_format_duration(5400, buf, sizeof(buf)), "1h30m");
	assert_string_equal(kup_fleet_format_duration(86400 + 5, buf, sizeof(buf)), "1d5s");
	assert_string_equal(kup_fleet_format_duration(0, buf, sizeof(buf)), "0s");
}

/* 2026-11-21 is a Saturday. */
static time_t at(int mday, int h, int m)
{
	struct tm tm = { 0 };
	tm.tm_year = 2026 - 1900;
	tm.tm_mon = 10;
	tm.tm_mday = mday;
	tm.tm_hour = h;
	tm.tm_min = m;
	return timegm(&tm);
}

static void windows(void **state)
{
	struct kup_fleet_window w;
	char why[256];
	(void)state;

	assert_true(kup_fleet_parse_window("Sat 02:00-06:00 UTC", &w, why, sizeof(why)));
	assert_false(kup_fleet_window_open(&w, at(21, 1, 59)));
	assert_true(kup_fleet_window_open(&w, at(21, 2, 0)));
	assert_true(kup_fleet_window_open(&w, at(21, 5, 59)));
	assert_false(kup_fleet_window_open(&w, at(21, 6, 0)));
	assert_false(kup_fleet_window_open(&w, at(22, 3, 0)));      /* Sunday */
	assert_true(kup_fleet_window_open(&w, at(28, 3, 0)));       /* next Saturday */
	assert_int_equal(kup_fleet_window_next(&w, at(21, 1, 0)), at(21, 2, 0));
	assert_int_equal(kup_fleet_window_next(&w, at(21, 7, 0)), at(28, 2, 0));
	assert_int_equal(kup_fleet_window_next(&w, at(21, 3, 0)), at(21, 3, 0));

	/* past midnight, and a wrap from Sunday into Monday */
	assert_true(kup_fleet_parse_window("Sun 22:00-04:00 UTC", &w, why, sizeof(why)));
	assert_true(kup_fleet_window_open(&w, at(22, 23, 0)));
	assert_true(kup_fleet_window_open(&w, at(23, 3, 59)));      /* Monday */
	assert_false(kup_fleet_window_open(&w, at(23, 4, 0)));
	assert_false(kup_fleet_window_open(&w, at(21, 23, 0)));     /* Saturday night */

	/* ranges and lists */
	assert_true(kup_fleet_parse_window("Mon-Fri 09:00-17:00 UTC", &w, why, sizeof(why)));
	assert_int_equal(w.days, 0x1f);
	assert_false(kup_fleet_window_open(&w, at(21, 10, 0)));
	assert_true(kup_fleet_window_open(&w, at(23, 9, 0)));
	assert_int_equal(kup_fleet_window_next(&w, at(21, 10, 0)), at(23, 9, 0));
	assert_true(kup_fleet_parse_window("Fri..Mon 00:00-24:00 UTC", &w, why, sizeof(why)));
	assert_int_equal(w.days, (1u << 4) | (1u << 5) | (1u << 6) | 1u);
	assert_true(kup_fleet_parse_window("Sat,Sun 00:00-24:00 UTC", &w, why, sizeof(why)));
	assert_true(kup_fleet_window_open(&w, at(22, 23, 59)));
	assert_false(kup_fleet_window_open(&w, at(23, 0, 0)));
	assert_true(kup_fleet_parse_window("daily 00:00-01:00 Z", &w, why, sizeof(why)));
	assert_int_equal(w.days, 0x7f);

	assert_false(kup_fleet_parse_window("Sat", &w, why, sizeof(why)));
	assert_false(kup_fleet_parse_window("Sat 02:00-02:00 UTC", &w, why, sizeof(why)));
	assert_false(kup_fleet_parse_window("Sat 2:00-6:00 UTC", &w, why, sizeof(why)));
	assert_false(kup_fleet_parse_window("Sat 02:60-06:00 UTC", &w, why, sizeof(why)));
	assert_false(kup_fleet_parse_window("Sat 24:00-06:00 UTC", &w, why, sizeof(why)));
	assert_false(kup_fleet_parse_window("Sat 02:00-06:00 Europe/Paris", &w, why, sizeof(why)));
	assert_non_null(strstr(why, "only UTC"));

	/* an unset window is always open */
	memset(&w, 0, sizeof(w));
	assert_true(kup_fleet_window_open(&w, at(21, 1, 0)));
}

static void max_concurrent_rounding(void **state)
{
	struct kup_fleet_wave w;
	(void)state;
	memset(&w, 0, sizeof(w));
	w.max_percent = true;
	w.max_value = 25;
	assert_int_equal(kup_fleet_max_concurrent(&w, 10), 3);   /* 2.5 rounds up */
	assert_int_equal(kup_fleet_max_concurrent(&w, 8), 2);
	assert_int_equal(kup_fleet_max_concurrent(&w, 1), 1);
	assert_int_equal(kup_fleet_max_concurrent(&w, 0), 1);    /* at least 1 */
	w.max_value = 100;
	assert_int_equal(kup_fleet_max_concurrent(&w, 10), 10);
	w.max_value = 1;
	assert_int_equal(kup_fleet_max_concurrent(&w, 10000), 100);
	assert_int_equal(kup_fleet_max_concurrent(&w, 10001), 101);
	w.max_percent = false;
	w.max_value = 2;
	assert_int_equal(kup_fleet_max_concurrent(&w, 10), 2);
	assert_int_equal(kup_fleet_max_concurrent(&w, 1), 2);
}

/* ---- gates --------------------------------------------------------------- */

static struct kup_fleet *gate_fleet(const char *extra_prod)
{
	char text[4096];
	struct kup_fleet *f = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	snprintf(text, sizeof(text),
		 "apiVersion: kupgrade.dev/v1alpha1\nkind: Fleet\nmetadata: {name: g}\nspec:\n"
		 "  target: {version: \"1.31\"}\n  clusters:\n"
		 "    - {name: d1, profile: d1.yaml, labels: {env: dev}}\n"
		 "    - {name: d2, profile: d2.yaml, labels: {env: dev}}\n"
		 "    - {name: s1, profile: s1.yaml, labels: {env: staging}}\n"
		 "    - {name: s2, profile: s2.yaml, labels: {env: staging}}\n"
		 "    - {name: s3, profile: s3.yaml, labels: {env: staging}}\n"
		 "    - {name: p1, profile: p1.yaml, labels: {env: prod}}\n"
		 "  waves:\n"
		 "    - {name: dev, selector: {env: dev}, soak: 1h}\n"
		 "    - {name: staging, selector: {env: staging}, maxConcurrent: 2, approval: true}\n"
		 "    - {name: prod, selector: {env: prod}%s}\n"
		 "  driver: {control-plane: a, nodepool: b, verify: c}\n", extra_prod);
	assert_int_equal(kup_fleet_parse("g.yaml", text, strlen(text), NULL, &f, &err), KUP_OK);
	kup_error_release(&err);
	return f;
}

static void wave_gating(void **state)
{
	struct kup_fleet *f = gate_fleet(", window: \"Sat 02:00-06:00 UTC\"");
	struct kup_fleet_cluster_view cv[6];
	struct kup_fleet_wave_view wv[3];
	struct kup_fleet_decision d[6];
	bool changed[3];
	int64_t now = (int64_t)at(21, 3, 0) * 1000;
	(void)state;

	memset(cv, 0, sizeof(cv));
	memset(wv, 0, sizeof(wv));
	/* everything pending: only dev may start; staging waits on dev */
	kup_fleet_decide(f, cv, wv, false, now, d, changed);
	assert_int_equal(d[0].wait, KUP_FLEET_GO);
	assert_int_equal(d[1].wait, KUP_FLEET_GO);
	assert_int_equal(d[2].wait, KUP_FLEET_WAIT_EARLIER_WAVE);
	assert_int_equal(d[2].wave, 0);
	assert_int_equal(d[5].wait, KUP_FLEET_WAIT_EARLIER_WAVE);
	assert_false(changed[0]);

	/* dev done: it completes now and soaks for an hour */
	cv[0].state = cv[1].state = KUP_FLEET_DONE;
	kup_fleet_decide(f, cv, wv, false, now, d, changed);
	assert_true(changed[0]);
	assert_int_equal(wv[0].complete_at_ms, now);
	assert_int_equal(d[0].wait, KUP_FLEET_WAIT_NONE);
	assert_int_equal(d[2].wait, KUP_FLEET_WAIT_SOAK);
	assert_int_equal(d[2].until_ms, now + 3600 * 1000);
	/* soaked: staging starts, two at a time (maxConcurrent 2) */
	kup_fleet_decide(f, cv, wv, false, now + 3600 * 1000, d, changed);
	assert_false(changed[0]);
	assert_int_equal(d[2].wait, KUP_FLEET_GO);
	assert_int_equal(d[3].wait, KUP_FLEET_GO);
	assert_int_equal(d[4].wait, KUP_FLEET_WAIT_CONCURRENCY);
	/* one in progress, one done: the third may start */
	cv[2].state = KUP_FLEET_UPGRADING;
	cv[3].state = KUP_FLEET_DONE;
	kup_fleet_decide(f, cv, wv, false, now + 3600 * 1000, d, changed);
	assert_int_equal(d[2].wait, KUP_FLEET_GO);
	assert_int_equal(d[4].wait, KUP_FLEET_GO);
	/* two in progress: the third waits */
	cv[3].state = KUP_FLEET_POST_HEALTH;
	kup_fleet_decide(f, cv, wv, false, now + 3600 * 1000, d, changed);
	assert_int_equal(d[4].wait, KUP_FLEET_WAIT_CONCURRENCY);
	/* staging done: prod waits for approval of staging (no soak) */
	cv[2].state = cv[3].state = cv[4].state = KUP_FLEET_DONE;
	kup_fleet_decide(f, cv, wv, false, now + 3600 * 1000, d, changed);
	assert_int_equal(d[5].wait, KUP_FLEET_WAIT_APPROVAL);
	assert_int_equal(d[5].wave, 1);
	wv[1].approved = true;
	kup_fleet_decide(f, cv, wv, false, now + 3600 * 1000, d, changed);
	assert_int_equal(d[5].wait, KUP_FLEET_GO);           /* Sat 04:00: inside the window */
	kup_fleet_decide(f, cv, wv, false, now + 4 * 3600 * 1000, d, changed);
	assert_int_equal(d[5].wait, KUP_FLEET_WAIT_WINDOW);  /* Sat 07:00 */
	assert_int_equal(d[5].until_ms, (int64_t)at(28, 2, 0) * 1000);
	/* halted or paused: nobody moves; a paused wave holds its clusters */
	kup_fleet_decide(f, cv, wv, true, now + 3600 * 1000, d, changed);
	assert_int_equal(d[5].wait, KUP_FLEET_WAIT_HALTED);
	wv[2].paused = true;
	kup_fleet_decide(f, cv, wv, false, now + 3600 * 1000, d, changed);
	assert_int_equal(d[5].wait, KUP_FLEET_WAIT_WAVE_PAUSED);
	wv[2].paused = false;
	/* a failed dev cluster re-opens nothing: dev is not complete any more */
	cv[0].state = KUP_FLEET_FAILED;
	kup_fleet_decide(f, cv, wv, false, now + 3600 * 1000, d, changed);
	assert_true(changed[0]);
	assert_int_equal(wv[0].complete_at_ms, 0);
	assert_int_equal(d[5].wait, KUP_FLEET_WAIT_EARLIER_WAVE);
	assert_int_equal(d[0].wait, KUP_FLEET_WAIT_NONE);
	kup_fleet_free(f);
}

static void blocked_and_at_target_need_no_slot(void **state)
{
	struct kup_fleet *f = gate_fleet("");
	struct kup_fleet_cluster_view cv[6];
	struct kup_fleet_wave_view wv[3];
	struct kup_fleet_decision d[6];
	(void)state;
	memset(cv, 0, sizeof(cv));
	memset(wv, 0, sizeof(wv));
	cv[0].state = cv[1].state = KUP_FLEET_DONE;
	wv[0].complete_at_ms = 1;
	/* s1 blocked, s2 at target: both are bookkeeping (GO) and take no slot */
	cv[2].blocked = true;
	cv[3].at_target = true;
	kup_fleet_decide(f, cv, wv, false, 10LL * 3600 * 1000, d, NULL);
	assert_int_equal(d[2].wait, KUP_FLEET_GO);
	assert_int_equal(d[3].wait, KUP_FLEET_GO);
	assert_int_equal(d[4].wait, KUP_FLEET_GO);
	/* held clusters stay held: the wave never completes */
	cv[2].state = KUP_FLEET_HELD;
	cv[3].state = cv[4].state = KUP_FLEET_DONE;
	wv[1].approved = true;
	kup_fleet_decide(f, cv, wv, false, 10LL * 3600 * 1000, d, NULL);
	assert_int_equal(d[5].wait, KUP_FLEET_WAIT_EARLIER_WAVE);
	assert_int_equal(d[5].wave, 1);
	kup_fleet_free(f);
}

/* ---- templates and drivers -------------------------------------------------- */

static void templates_are_shell_quoted(void **state)
{
	struct kup_fleet_vars v = { 0 };
	struct kup_buf b = KUP_BUF_INIT;
	size_t bad = 0;
	(void)state;
	v.cluster = "it's; rm -rf /";
	v.version = "1.31";
	v.pool = "general";
	kup_buf_init(&b);
	assert_int_equal(kup_fleet_expand("./x.sh {cluster} {pool} {version} {addon} {x", &v, &b), KUP_OK);
	assert_string_equal(b.buf, "./x.sh 'it'\\''s; rm -rf /' 'general' '1.31' '' {x");
	kup_buf_release(&b);
	assert_true(kup_fleet_check_template("a {cluster} {type} {component} {kubeconfig} {context}", &bad));
	assert_false(kup_fleet_check_template("a {clusterx}", &bad));
	assert_int_equal(bad, 2);
	assert_false(kup_fleet_check_template("a {cluster", &bad));
}

static void drivers_run_capture_and_time_out(void **state)
{
	struct kup_driver d = { 0 };
	struct kup_error err = KUP_ERROR_INIT;
	char out[256], cmd[512];
	(void)state;

	snprintf(out, sizeof(out), "/tmp/kup-test-fleet-%ld.out", (long)getpid());
	/* output tail, exit code, cwd */
	kup_driver_release(&d);
	assert_int_equal(kup_driver_run("echo hello; echo err >&2; pwd; exit 3", "/", out, 5000, &d, &err), KUP_OK);
	assert_int_equal(d.status, 3);
	assert_string_equal(d.tail, "hello\nerr\n/\n");
	assert_false(d.timed_out);
	assert_int_equal(access(out, F_OK), -1);       /* removed */
	/* terminal control and secrets never reach the tail (shown, stored, in the report) */
	assert_true(kup_secret_register("DriverSecret-42", 0));
	kup_driver_release(&d);
	assert_int_equal(kup_driver_run("printf '\\033[31mred\\033[0m \\033]0;title\\007ok\\r\\nx\\033[2Ky DriverSecret-42\\n'",
					NULL, out, 5000, &d, &err), KUP_OK);
	assert_string_equal(d.tail, "red ok\nxy ***\n");
	kup_secret_forget_all();
	/* only the tail of long output is kept */
	kup_driver_release(&d);
	assert_int_equal(kup_driver_run("i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done",
					NULL, out, 5000, &d, &err), KUP_OK);
	assert_int_equal(d.status, 0);
	assert_true(d.tail_cut);
	assert_int_equal(d.tail_len, KUP_FLEET_TAIL);
	assert_non_null(strstr(d.tail, "line-1999\n"));
	/* a timeout kills the whole process group (the background sleep too) */
	snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! > %s.pid; wait", out);
	int64_t t0 = kup_mono_ms();
	kup_driver_release(&d);
	assert_int_equal(kup_driver_run(cmd, NULL, out, 200, &d, &err), KUP_OK);
	assert_true(d.timed_out);
	assert_true(d.status == 124 || d.status == 128 + 15);
	assert_true(kup_mono_ms() - t0 < 5000);
	{
		char pidf[300];
		FILE *fp;
		long bg = 0;
		snprintf(pidf, sizeof(pidf), "%s.pid", out);
		fp = fopen(pidf, "r");
		assert_non_null(fp);
		assert_int_equal(fscanf(fp, "%ld", &bg), 1);
		fclose(fp);
		unlink(pidf);
		usleep(100000);
		assert_false(kup_process_group_alive((pid_t)bg));
	}
	kup_driver_release(&d);
	kup_error_release(&err);
}

static void a_child_never_let_go_never_runs(void **state)
{
	struct kup_driver d = { 0 };
	struct kup_error err = KUP_ERROR_INIT;
	char out[256], marker[300];
	(void)state;
	snprintf(out, sizeof(out), "/tmp/kup-test-fleet-go-%ld.out", (long)getpid());
	snprintf(marker, sizeof(marker), "%s.ran", out);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "touch %s", marker);
	assert_int_equal(kup_driver_spawn(&d, cmd, NULL, out, &err), KUP_OK);
	assert_true(d.pid > 0);
	assert_true(kup_process_group_alive(d.pid));
	/* the controller "dies": the go pipe closes; the child exits without exec */
	close(d.go_fd);
	d.go_fd = -1;
	int wst = 0;
	assert_int_equal(waitpid(d.pid, &wst, 0), d.pid);
	assert_true(WIFEXITED(wst));
	assert_int_equal(WEXITSTATUS(wst), 127);
	assert_int_equal(access(marker, F_OK), -1);
	assert_false(kup_process_group_alive(d.pid));
	/* and left word of it where a successor looks */
	assert_true(kup_driver_never_ran(out, d.pid));
	assert_false(kup_driver_never_ran(out, d.pid + 1));
	unlink(out);
	assert_false(kup_driver_never_ran(out, d.pid));
	/* a driver let go is not mistaken for one that never ran */
	kup_driver_release(&d);
	assert_int_equal(kup_driver_run("echo ran", NULL, out, 5000, &d, &err), KUP_OK);
	assert_false(kup_driver_never_ran(out, d.pid));
	kup_driver_release(&d);
	kup_error_release(&err);
}

/*
 * The output path is the driver's own copy, whole: a path of more than 600
 * characters (the struct used to cut it at 511, and the driver then wrote
 * and removed another file) is written, read back as the tail and removed.
 */
static void a_long_output_path_survives_whole(void **state)
{
	struct kup_driver d = { 0 };
	struct kup_error err = KUP_ERROR_INIT;
	char dir[1024], seg[201], out[1100];
	size_t i;
	(void)state;

	memset(seg, 'd', 200);
	seg[200] = '\0';
	snprintf(dir, sizeof(dir), "/tmp/kup-test-fleet-long-%ld", (long)getpid());
	assert_int_equal(mkdir(dir, 0700), 0);
	for (i = 0; i < 3; i++) {
		size_t n = strlen(dir);
		snprintf(dir + n, sizeof(dir) - n, "/%s", seg);
		assert_int_equal(mkdir(dir, 0700), 0);
	}
	snprintf(out, sizeof(out), "%s/driver.out", dir);
	assert_true(strlen(out) > 600);
	assert_int_equal(kup_driver_spawn(&d, "echo whole", NULL, out, &err), KUP_OK);
	assert_string_equal(d.out_path, out);
	assert_int_equal(kup_driver_go(&d, 5000), KUP_OK);
	while (!kup_driver_poll(&d))
		usleep(5000);
	assert_int_equal(d.status, 0);
	assert_string_equal(d.tail, "whole\n");   /* read from the whole path */
	assert_int_equal(access(out, F_OK), -1);  /* and removed there */
	kup_driver_release(&d);
	assert_null(d.out_path);
	kup_driver_release(&d);                   /* twice is fine */
	for (i = 0; i < 4; i++) {
		char *slash = strrchr(dir, '/');
		assert_int_equal(rmdir(dir), 0);
		*slash = '\0';
	}
	kup_error_release(&err);
}

static void the_clock_scales(void **state)
{
	struct kup_fleet_clock c;
	(void)state;
	kup_fleet_clock_init(&c, 3600, 1000000);
	assert_true(kup_fleet_clock_now_ms(&c) >= 1000000);
	assert_int_equal(kup_fleet_clock_real_ms(&c, 3600 * 1000), 1000);
	assert_int_equal(kup_fleet_clock_real_ms(&c, 1), 1);
	usleep(20000);
	assert_true(kup_fleet_clock_now_ms(&c) >= 1000000 + 20 * 3600);
	c.fixed = true;
	assert_int_equal(kup_fleet_clock_now_ms(&c), 1000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_the_issue_fleet),
		cmocka_unit_test(reports_file_line_column),
		cmocka_unit_test(rejects_odd_input),
		cmocka_unit_test(durations),
		cmocka_unit_test(windows),
		cmocka_unit_test(max_concurrent_rounding),
		cmocka_unit_test(wave_gating),
		cmocka_unit_test(blocked_and_at_target_need_no_slot),
		cmocka_unit_test(templates_are_shell_quoted),
		cmocka_unit_test(drivers_run_capture_and_time_out),
		cmocka_unit_test(a_child_never_let_go_never_runs),
		cmocka_unit_test(a_long_output_path_survives_whole),
		cmocka_unit_test(the_clock_scales),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
