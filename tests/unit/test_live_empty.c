/*
 * test_live_empty.c - kup_live_check_empty (live.h) on canned discovery
 * answers and list counts: an API server that answers but lists nothing is
 * reported, a normal one is not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kupgrade/kube.h"
#include "kupgrade/live.h"

struct msgs {
	char m[4][200];
	size_t n;
};

static void collect(void *ctx, const struct kup_error *err)
{
	struct msgs *ms = ctx;

	assert_true(ms->n < 4);
	snprintf(ms->m[ms->n++], sizeof ms->m[0], "%s", err->msg);
}

static size_t check(const struct kup_kube_discovery *d, const struct kup_live_stats *st,
		    struct msgs *ms)
{
	struct kup_error_sink sink = { collect, ms };

	memset(ms, 0, sizeof(*ms));
	return kup_live_check_empty(d, st, &sink);
}

static void test_discovery(void **state)
{
	struct kup_kube_group_version gvs[2];
	struct kup_kube_resource res[1];
	struct kup_kube_discovery d;
	struct msgs ms;

	(void)state;
	memset(&d, 0, sizeof(d));
	memset(gvs, 0, sizeof(gvs));
	memset(res, 0, sizeof(res));
	/* /api and /apis answered empty lists */
	assert_int_equal(check(&d, NULL, &ms), 1);
	assert_string_equal(ms.m[0], "the API server's discovery lists no API group versions: "
			    "nothing could be read");
	/* group versions, but no resource in any */
	gvs[0].group = "";
	gvs[0].group_version = "v1";
	d.gvs = gvs;
	d.ngvs = 1;
	assert_int_equal(check(&d, NULL, &ms), 1);
	assert_non_null(strstr(ms.m[0], "lists no resources"));
	/* only the core group */
	res[0].group = "";
	res[0].group_version = "v1";
	res[0].name = "configmaps";
	d.res = res;
	d.nres = 1;
	assert_int_equal(check(&d, NULL, &ms), 1);
	assert_non_null(strstr(ms.m[0], "no API groups besides the core one"));
	/* core and apps: a normal answer */
	gvs[1].group = "apps";
	gvs[1].group_version = "apps/v1";
	d.ngvs = 2;
	assert_int_equal(check(&d, NULL, &ms), 0);
}

static void test_lists(void **state)
{
	struct kup_live_stats st;
	struct msgs ms;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.namespaces = -1;   /* not listed (-n NS): nothing to say */
	st.nodes = -1;
	assert_int_equal(check(NULL, &st, &ms), 0);
	st.namespaces = 0;
	st.nodes = 0;
	assert_int_equal(check(NULL, &st, &ms), 2);
	assert_non_null(strstr(ms.m[0], "empty list of namespaces"));
	assert_string_equal(ms.m[1], "the cluster answered an empty list of nodes");
	st.namespaces = 4;
	st.nodes = 3;
	assert_int_equal(check(NULL, &st, &ms), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
