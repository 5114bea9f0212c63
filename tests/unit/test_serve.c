/*
 * test_serve.c - the in-cluster mode's state and renderers before and after
 * a failed cycle (a cycle against a real API server is in
 * tests/integration/serve_live.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kupgrade/kb.h"
#include "kupgrade/serve.h"

static void test_no_cycle_yet(void **state)
{
	struct kup_serve_state s;
	struct kup_buf out = KUP_BUF_INIT;

	(void)state;
	kup_serve_state_init(&s);
	kup_serve_metrics(&s, NULL, &out);
	assert_false(out.oom);
	assert_non_null(strstr(out.buf, "# TYPE kupgrade_scans_total counter\nkupgrade_scans_total 0\n"));
	assert_non_null(strstr(out.buf, "\nkupgrade_last_scan_success 0\n"));
	/* nothing is claimed about a cluster nobody read */
	assert_null(strstr(out.buf, "kupgrade_api_objects"));
	assert_null(strstr(out.buf, "kupgrade_target_blocking"));
	assert_null(strstr(out.buf, "kupgrade_plan_"));
	kup_serve_cycle_set_plan(NULL, 0, KUP_VERDICT_BLOCKED, 1);   /* no cycle: ignored */
	kup_buf_reset(&out);
	kup_serve_findings(&s, &out);
	assert_string_equal(out.buf,
			    "{\"schema_version\":1,\"scanned_at\":null,\"server_version\":null,\"targets\":[]}\n");
	kup_buf_release(&out);
	kup_serve_state_release(&s);
}

static void test_failed_cycle_is_counted_and_escaped(void **state)
{
	struct kup_serve_state s;
	struct kup_buf out = KUP_BUF_INIT;
	struct kup_kb *kb = NULL;
	struct kup_error err = KUP_ERROR_INIT;

	(void)state;
	assert_int_equal(kup_kb_load_embedded(&kb, &err), KUP_OK);
	kup_serve_state_init(&s);
	kup_serve_state_failed(&s, "cannot connect to <script>alert(1)</script>", 1700000000, 0.25);
	kup_serve_state_failed(&s, "cannot connect again", 1700000300, 0.5);
	kup_serve_metrics(&s, kb, &out);
	assert_non_null(strstr(out.buf, "\nkupgrade_scans_total 2\n"));
	assert_non_null(strstr(out.buf, "\nkupgrade_scan_failures_total 2\n"));
	assert_non_null(strstr(out.buf, "\nkupgrade_last_scan_success 0\n"));
	assert_non_null(strstr(out.buf, "\nkupgrade_last_scan_duration_seconds 0.500\n"));
	assert_non_null(strstr(out.buf, "kupgrade_knowledge_base_info{newest=\""));
	kup_buf_reset(&out);
	kup_serve_html(&s, &out);
	assert_non_null(strstr(out.buf, "No scan has completed yet"));
	assert_non_null(strstr(out.buf, "cannot connect again"));
	kup_serve_state_release(&s);

	kup_serve_state_init(&s);
	kup_serve_state_failed(&s, "refused <script>", 1700000000, 0.25);
	kup_buf_reset(&out);
	kup_serve_html(&s, &out);
	assert_null(strstr(out.buf, "<script>"));
	assert_non_null(strstr(out.buf, "refused &lt;script&gt;"));
	kup_serve_state_release(&s);
	kup_buf_release(&out);
	kup_kb_free(kb);
	kup_error_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_cycle_yet),
		cmocka_unit_test(test_failed_cycle_is_counted_and_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
