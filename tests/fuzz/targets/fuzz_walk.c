/*
 * fuzz_walk - kup_walk_dir over trees of directories, files and symbolic
 * links (loops, links to links, dangling links, links up and across) that
 * the input describes.
 *
 * Input: pairs of bytes (op, arg).  op % 5: 0 mkdir NAME and enter it, 1
 * create file NAME, 2 symlink NAME -> TARGET, 3 go up one level, 4 remove
 * NAME.  arg picks NAME (low 3 bits, of 8 names, some .yaml) and TARGET
 * (high bits, of 8 targets: ".", "..", "../..", a sibling, a deeper path, a
 * dangling name...).  The tree is built in a fresh temporary directory.
 * Invariants: the walk ends; each file is handed to on_file once (by
 * device and inode), never more files than regular files exist; every
 * problem has a message naming its path; a warning is never an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kupgrade/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[8] = { "a", "b", "c.yaml", "d.yml", "e.json", "f", "g.yaml", "h" };
static const char *const targets[8] = { ".", "..", "../..", "a", "b/c.yaml", "nowhere.yaml",
					"c.yaml", "a/b" };

struct seen {
	dev_t dev[256];
	ino_t ino[256];
	size_t n;
	size_t files;   /* regular files created */
	size_t problems;
};

static enum kup_status on_file(void *ctx, const char *path)
{
	struct seen *s = ctx;
	struct stat st;
	size_t i;

	if (stat(path, &st) != 0)
		return KUP_OK;   /* gone: nothing to compare */
	for (i = 0; i < s->n; i++)
		if (s->dev[i] == st.st_dev && s->ino[i] == st.st_ino)
			abort();   /* the same file twice */
	if (s->n == 256)
		abort();
	s->dev[s->n] = st.st_dev;
	s->ino[s->n++] = st.st_ino;
	if (s->n > s->files)
		abort();
	return KUP_OK;
}

static void on_error(void *ctx, const struct kup_walk_problem *p)
{
	struct seen *s = ctx;

	if (p->warning || !p->path || !p->msg || !strstr(p->msg, p->path))
		abort();
	s->problems++;
}

static void on_warning(void *ctx, const struct kup_walk_problem *p)
{
	struct seen *s = ctx;

	if (!p->warning || !p->path || !p->msg || !strstr(p->msg, p->path))
		abort();
	s->problems++;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char root[64];
	char cwd[4096], path[4096];
	struct seen s;
	struct kup_walk w = { on_file, NULL, on_error, on_warning, &s };
	size_t i, depth = 0;

	if (size > 64)
		size = 64;   /* 32 operations are trees enough */
	snprintf(root, sizeof(root), "/tmp/kup-fuzz-walk-%d-XXXXXX", (int)getpid());
	if (!mkdtemp(root))
		return 0;
	memset(&s, 0, sizeof(s));
	snprintf(cwd, sizeof(cwd), "%s", root);
	for (i = 0; i + 1 < size; i += 2) {
		const char *name = names[data[i + 1] & 7];
		uint8_t op = data[i] % 5;
		struct stat st;

		if (snprintf(path, sizeof(path), "%s/%s", cwd, name) >= (int)sizeof(path))
			break;
		switch (op) {
		case 0:
			if (depth < 8 && mkdir(path, 0755) == 0) {
				snprintf(cwd, sizeof(cwd), "%s", path);
				depth++;
			}
			break;
		case 1: {
			FILE *fp = fopen(path, "wx");
			if (fp) {
				fputs("kind: ConfigMap\n", fp);
				fclose(fp);
				s.files++;
			}
			break;
		}
		case 2: {
			const char *t = targets[(data[i + 1] >> 3) & 7];
			size_t up = !strcmp(t, "..") ? 1 : !strcmp(t, "../..") ? 2 : 0;

			if (up <= depth)   /* never out of the temporary directory */
				(void)!symlink(t, path);
			break;
		}
		case 3:
			if (depth) {
				*strrchr(cwd, '/') = '\0';
				depth--;
			}
			break;
		case 4:
			if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
				if (S_ISREG(st.st_mode))
					s.files--;
				unlink(path);
			}
			break;
		}
	}
	if (kup_walk_dir(root, &w) != KUP_OK)
		abort();
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
