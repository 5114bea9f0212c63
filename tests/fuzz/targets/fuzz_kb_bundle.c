/*
 * fuzz_kb_bundle.c - kup_kb_bundle_unpack() on one arbitrary file: it either
 * unpacks (every file it wrote is one the MANIFEST listed, so the directory
 * then holds only *.yaml) or reports what is wrong and writes nothing; it
 * never crashes.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kupgrade/kb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Empties dir; returns how many entries there were and whether all were *.yaml. */
static size_t empty_dir(const char *dir, int *all_yaml)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];
	size_t n = 0;

	*all_yaml = 1;
	if (!d)
		abort();
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
			*all_yaml = 0;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
		n++;
	}
	closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64], out[80];
	char path[128];
	struct kup_error err = KUP_ERROR_INIT;
	enum kup_status st;
	int all_yaml;
	size_t n;
	FILE *fp;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/kup-fuzz-bundle-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(out, sizeof(out), "%s/out", dir);
		if (mkdir(out, 0700) != 0)
			abort();
	}
	snprintf(path, sizeof(path), "%s/bundle.tar", dir);
	fp = fopen(path, "wb");
	if (!fp)
		abort();
	if (size && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);
	st = kup_kb_bundle_unpack(path, out, &err);
	n = empty_dir(out, &all_yaml);
	if (st == KUP_OK && (!n || !all_yaml))
		abort();
	if (st != KUP_OK && (!err.msg || n))
		abort();
	kup_error_release(&err);
	return 0;
}
