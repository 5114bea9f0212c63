/*
 * kb_copy.h - for unit tests that check a fact follows data/: the source
 * tree's data/ YAML files copied into a temporary directory, each file's text
 * passed through the test's edit function, and loaded as a knowledge base.
 *
 *   char dir[] = "/tmp/kup-NAME-XXXXXX";
 *   struct kup_kb *kb = kb_copy_load(dir, edit, ctx);   // edit(name, text, ctx) returns the new text
 *   ...
 *   kup_kb_free(kb);
 *   kb_copy_remove(dir);
 *
 * Include after <cmocka.h>.
 */
#ifndef KUP_TEST_KB_COPY_H
#define KUP_TEST_KB_COPY_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kupgrade/core.h"
#include "kupgrade/kb.h"

/* name: the file's name (e.g. "eks.yaml"); text: malloc'd, owned by the function, which returns the text to write */
typedef char *(*kb_copy_edit_fn)(const char *name, char *text, void *ctx);

static struct kup_kb *kb_copy_load(char *dir, kb_copy_edit_fn edit, void *ctx)
{
	struct kup_kb *kb = NULL;
	struct dirent *de;
	size_t nproblems = 0;
	char path[1024];
	DIR *d;

	assert_non_null(mkdtemp(dir));
	d = opendir(KUP_SOURCE_DIR "/data");
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		struct kup_error err = KUP_ERROR_INIT;
		size_t l = strlen(de->d_name), len = 0;
		char *text = NULL;
		FILE *f;

		if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/data/%s", KUP_SOURCE_DIR, de->d_name);
		assert_int_equal(kup_read_file(path, (size_t)1 << 24, &text, &len, &err), KUP_OK);
		text = edit(de->d_name, text, ctx);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fputs(text, f) >= 0, 1);
		assert_int_equal(fclose(f), 0);
		free(text);
	}
	closedir(d);
	assert_int_equal(kup_kb_load_dir(dir, &kb, NULL, &nproblems), KUP_OK);
	assert_int_equal(nproblems, 0);
	return kb;
}

static void kb_copy_remove(const char *dir)
{
	char path[1024];
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

#endif
