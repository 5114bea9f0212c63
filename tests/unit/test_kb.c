/* test_kb.c - loading and validating the knowledge base. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kupgrade/kb.h"
#include "kupgrade/yaml.h"
#include "kb/embedded.h"

static void embedded_kb_loads(void **state)
{
	struct kup_kb *kb;
	struct kup_error err = KUP_ERROR_INIT;
	const struct kup_api_rule *r;
	size_t i, lists = 0;

	(void)state;
	assert_int_equal(kup_kb_load_embedded(&kb, &err), KUP_OK);
	assert_true(kup_kb_api_count(kb) >= 150);
	r = kup_kb_find_api(kb, "extensions/v1beta1", 18, "Ingress", 7);
	assert_non_null(r);
	assert_string_equal(r->component, "kubernetes");
	assert_int_equal(r->removed_in.minor, 22);
	assert_int_equal(r->deprecated_in.minor, 14);
	assert_non_null(r->source);
	assert_null(kup_kb_find_api(kb, "apps/v1", 7, "Deployment", 10));
	/* Every guide group is expanded. */
	assert_non_null(kup_kb_find_api(kb, "authorization.k8s.io/v1beta1", 28, "SelfSubjectRulesReview", 22));
	assert_non_null(kup_kb_find_api(kb, "authorization.k8s.io/v1beta1", 28, "LocalSubjectAccessReview", 24));
	assert_non_null(kup_kb_find_api(kb, "events.k8s.io/v1beta1", 21, "Event", 5));
	for (i = 0; i < kup_kb_api_count(kb); i++) {
		r = kup_kb_api_at(kb, i);
		assert_non_null(r->source);
		assert_true(strncmp(r->source, "http", 4) == 0);
		if (strlen(r->kind) > 4 && strcmp(r->kind + strlen(r->kind) - 4, "List") == 0)
			lists++;
	}
	assert_true(lists > 30);
	assert_true(kup_kb_newest(kb)->valid);
	assert_true(kup_kb_has_component(kb, "cert-manager"));
	assert_true(kup_kb_has_component(kb, "istio"));
	kup_kb_free(kb);
	kup_error_release(&err);
}

struct problems {
	char text[8192];
	size_t n;
};

static void collect(void *ctx, const struct kup_error *err)
{
	struct problems *p = ctx;
	size_t len = strlen(p->text);

	snprintf(p->text + len, sizeof(p->text) - len, "%s:%u:%u: %s\n",
		 strrchr(err->path, '/') ? strrchr(err->path, '/') + 1 : err->path,
		 err->line, err->column, err->msg);
	p->n++;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void validate_reports_each_problem_with_position(void **state)
{
	char dir[] = "/tmp/kup-kb-XXXXXX";
	struct problems p;
	struct kup_kb *kb = NULL;
	size_t n = 0;
	struct kup_error_sink sink = { collect, &p };
	char cmd[600];

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_non_null(mkdtemp(dir));
	write_file(dir, "apis.yaml",
		   "schema: kupgrade.dev/kb/apis/v1\n"
		   "apis:\n"
		   "- kind: Ingress\n"
		   "  api_version: extensions/v1beta1\n"
		   "  component: kubernetes\n"
		   "  level: builtin\n"
		   "  deprecated_in: \"1.14\"\n"
		   "  removed_in: \"1.22\"\n"
		   "  replacements: []\n"
		   "  source: https://example.org/a\n"
		   "- kind: Ingress\n"                      /* duplicate */
		   "  api_version: extensions/v1beta1\n"
		   "  component: kubernetes\n"
		   "  level: builtin\n"
		   "  deprecated_in: \"1.14\"\n"
		   "  removed_in: \"1.22\"\n"
		   "  replacements: []\n"
		   "  source: https://example.org/a\n"
		   "- kind: Foo\n"                          /* no source, bad version */
		   "  api_version: foo.io/v1\n"
		   "  component: kubernetes\n"
		   "  level: builtin\n"
		   "  deprecated_in: \"1.x\"\n"
		   "  removed_in: \"1.22\"\n"
		   "  replacements: []\n"
		   "- kind: Bar\n"                          /* unknown key, unknown level, unquoted */
		   "  api_version: bar.io/v1\n"
		   "  component: kubernetes\n"
		   "  level: sometimes\n"
		   "  deprecated_in: 1.20\n"
		   "  removed_in: null\n"
		   "  replacements: []\n"
		   "  colour: red\n"
		   "  source: https://example.org/b\n");
	write_file(dir, "other.yaml", "schema: kupgrade.dev/kb/nothing/v9\n");
	assert_int_equal(kup_kb_load_dir(dir, &kb, &sink, &n), KUP_KB);
	assert_null(kb);
	assert_non_null(strstr(p.text, "apis.yaml:11:3: duplicate entry for extensions/v1beta1 Ingress"));
	assert_non_null(strstr(p.text, "apis.yaml:23:18: 'deprecated_in': malformed version '1.x'"));
	assert_non_null(strstr(p.text, "apis.yaml:19:3: missing 'source'"));
	assert_non_null(strstr(p.text, "apis.yaml:29:10: unknown level 'sometimes'"));
	assert_non_null(strstr(p.text, "apis.yaml:30:18: 'deprecated_in' must be a quoted version string"));
	assert_non_null(strstr(p.text, "apis.yaml:33:3: unknown key 'colour'"));
	assert_non_null(strstr(p.text, "other.yaml:1:9: unknown schema 'kupgrade.dev/kb/nothing/v9'"));
	assert_int_equal(n, p.n);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* `status: scheduled`: kept apart from the released minors, validated like them. */
static void scheduled_releases(void **state)
{
	char dir[] = "/tmp/kup-kb-XXXXXX";
	struct problems p;
	struct kup_kb *kb = NULL;
	size_t n = 0;
	struct kup_error_sink sink = { collect, &p };
	const struct kup_release *r;
	char cmd[600];

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_non_null(mkdtemp(dir));
	write_file(dir, "releases.yaml",
		   "schema: kupgrade.dev/kb/releases/v1\n"
		   "releases:\n"
		   "- {version: \"1.38\", status: scheduled, scheduled: \"2026-12-16\", source: https://example.org/s, checked: \"2026-12-07\"}\n"
		   "- {version: \"1.37\", status: released, released: \"2026-08-26\", source: https://example.org/r}\n"
		   "- {version: \"1.36\", released: \"2026-04-22\", source: https://example.org/r}\n");
	assert_int_equal(kup_kb_load_dir(dir, &kb, &sink, &n), KUP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(kup_kb_release_count(kb), 2);
	assert_int_equal(kup_kb_newest(kb)->minor, 37);
	assert_int_equal(kup_kb_scheduled_count(kb), 1);
	r = kup_kb_scheduled_at(kb, 0);
	assert_int_equal(r->version.minor, 38);
	assert_string_equal(r->scheduled, "2026-12-16");
	assert_null(r->released);
	assert_ptr_equal(kup_kb_find_scheduled(kb, &r->version), r);
	assert_null(kup_kb_find_scheduled(kb, kup_kb_newest(kb)));
	assert_null(kup_kb_scheduled_at(kb, 1));
	kup_kb_free(kb);

	/* every way to get it wrong, each at its position */
	write_file(dir, "releases.yaml",
		   "schema: kupgrade.dev/kb/releases/v1\n"
		   "releases:\n"
		   "- {version: \"1.40\", released: \"2027-01-01\", source: https://example.org/a}\n"
		   "- {version: \"1.39\", status: planned, released: \"2027-01-01\", source: https://example.org/a}\n"
		   "- {version: \"1.41\", status: scheduled, released: \"2027-01-01\", scheduled: \"2027-04-01\", source: https://example.org/a, checked: \"2026-12-07\"}\n"
		   "- {version: \"1.42\", status: scheduled, source: https://example.org/a, checked: \"2026-12-07\"}\n"
		   "- {version: \"1.43\", released: \"2027-01-01\", scheduled: \"2027-04-01\", source: https://example.org/a}\n"
		   "- {version: \"1.44\", status: scheduled, scheduled: \"soon\", source: https://example.org/a, checked: \"2026-12-07\"}\n"
		   "- {version: \"1.30\", status: scheduled, scheduled: \"2027-04-01\", source: https://example.org/a, checked: \"2026-12-07\"}\n"
		   "- {version: \"1.45\", status: scheduled, scheduled: \"2027-04-01\", source: https://example.org/a, checked: \"2026-12-07\"}\n"
		   "- {version: \"1.46\", released: \"2027-01-01\", source: https://example.org/a}\n");
	memset(&p, 0, sizeof(p));
	kb = NULL;
	assert_int_equal(kup_kb_load_dir(dir, &kb, &sink, &n), KUP_KB);
	assert_null(kb);
	assert_non_null(strstr(p.text, "releases.yaml:4:29: 'status' must be released or scheduled, not 'planned'"));
	assert_non_null(strstr(p.text, "releases.yaml:5:50: a scheduled release has no 'released' date (use 'scheduled')"));
	assert_non_null(strstr(p.text, "releases.yaml:6:3: missing 'scheduled'"));
	assert_non_null(strstr(p.text, "releases.yaml:7:56: 'scheduled' needs 'status: scheduled'"));
	assert_non_null(strstr(p.text, "releases.yaml:8:51: 'scheduled' must be a date YYYY-MM-DD"));
	assert_non_null(strstr(p.text, "releases.yaml:9:3: scheduled release 1.30 is not newer than released 1.40"));
	assert_non_null(strstr(p.text, "releases.yaml:11:3: released 1.46 is newer than scheduled 1.45"));
	assert_int_equal(n, p.n);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void repo_data_dir_validates(void **state)
{
	struct problems p;
	struct kup_kb *kb = NULL;
	size_t n = 0;
	struct kup_error_sink sink = { collect, &p };

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(kup_kb_load_dir(KUP_SOURCE_DIR "/data", &kb, &sink, &n), KUP_OK);
	assert_int_equal(n, 0);
	assert_non_null(kb);
	kup_kb_free(kb);
}

/* ---- the embedded trees (tools/embed.c) are the trees the YAML reader builds ---- */

static void same_tree(const struct kup_node *a, const struct kup_node *b)
{
	size_t i;

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->tag, b->tag);
	assert_int_equal(a->style, b->style);
	assert_int_equal(a->line, b->line);
	assert_int_equal(a->column, b->column);
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->end, b->end);
	assert_int_equal(a->len, b->len);
	if (a->kind == KUP_NODE_SCALAR) {
		assert_memory_equal(a->u.str, b->u.str, a->len + 1);
	} else if (a->kind == KUP_NODE_MAP) {
		for (i = 0; i < a->len; i++) {
			same_tree(a->u.pairs[i].key, b->u.pairs[i].key);
			same_tree(a->u.pairs[i].value, b->u.pairs[i].value);
		}
	} else {
		for (i = 0; i < a->len; i++)
			same_tree(a->u.items[i], b->u.items[i]);
	}
}

struct tree_walk {
	const struct kup_embedded_doc *next;   /* the embedded document to compare with */
	const char *name;
	size_t docs;
};

static enum kup_status compare_doc(void *ctx, const struct kup_doc *doc)
{
	struct tree_walk *w = ctx;
	const struct kup_embedded_doc *e = w->next++;

	assert_non_null(e->name);
	assert_string_equal(e->name, w->name);
	assert_int_equal(e->index, doc->index);
	assert_int_equal(e->line, doc->line);
	assert_int_equal(e->start, doc->start);
	assert_int_equal(e->end, doc->end);
	if (!doc->root)
		assert_null(e->root);
	else
		same_tree(e->root, doc->root);
	w->docs++;
	return KUP_OK;
}

static void embedded_trees_match_data_dir(void **state)
{
	struct tree_walk w = { kup_embedded_docs, NULL, 0 };
	size_t files = 0;

	(void)state;
	while (w.next->name) {
		char path[512], *text = NULL;
		struct kup_error err = KUP_ERROR_INIT;
		struct kup_yaml_opts opts;
		struct kup_arena arena;
		size_t len = 0, nerr = 0, before = w.docs;

		w.name = w.next->name;
		snprintf(path, sizeof(path), "%s/data/%s", KUP_SOURCE_DIR, w.name);
		assert_int_equal(kup_read_file(path, 64u << 20, &text, &len, &err), KUP_OK);
		kup_yaml_opts_init(&opts, path);
		kup_arena_init(&arena, 0);
		assert_int_equal(kup_yaml_read_mem(text, len, &opts, &arena, compare_doc, &w, &nerr),
				 KUP_OK);
		assert_int_equal(nerr, 0);
		assert_true(w.docs > before);
		kup_arena_release(&arena);
		free(text);
		files++;
	}
	assert_true(files >= 10);
}

/* The embedded KB and the data/ directory load to the same rules. */
static void embedded_kb_equals_data_dir(void **state)
{
	struct kup_kb *emb = NULL, *dir = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct problems p;
	struct kup_error_sink sink = { collect, &p };
	size_t n = 0, i;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(kup_kb_load_embedded(&emb, &err), KUP_OK);
	assert_int_equal(kup_kb_load_dir(KUP_SOURCE_DIR "/data", &dir, &sink, &n), KUP_OK);
	assert_int_equal(kup_kb_api_count(emb), kup_kb_api_count(dir));
	for (i = 0; i < kup_kb_api_count(emb); i++) {
		const struct kup_api_rule *a = kup_kb_api_at(emb, i), *b = kup_kb_api_at(dir, i);
		assert_string_equal(a->id, b->id);
		assert_ptr_equal(kup_kb_find_api(emb, a->api_version, strlen(a->api_version), a->kind,
						 strlen(a->kind)), a);
	}
	assert_int_equal(kup_kb_release_count(emb), kup_kb_release_count(dir));
	kup_kb_free(emb);
	kup_kb_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(embedded_kb_loads),
		cmocka_unit_test(validate_reports_each_problem_with_position),
		cmocka_unit_test(scheduled_releases),
		cmocka_unit_test(repo_data_dir_validates),
		cmocka_unit_test(embedded_trees_match_data_dir),
		cmocka_unit_test(embedded_kb_equals_data_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
