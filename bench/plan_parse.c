/*
 * plan_parse - the baseline of bench/plan.sh: reads every profile of a
 * folder with libkupgrade (kup_profile_load) and, with --plan VERSION, also
 * plans each one against the embedded KB (kup_plan), rendering nothing.
 *
 *   plan_parse DIR [--plan VERSION]
 *
 * Prints "<profiles> <failed>" and, with --plan, the verdict counts.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/kb.h"
#include "kupgrade/plan.h"
#include "kupgrade/profile.h"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	struct kup_kb *kb = NULL;
	struct kup_plan_opts o;
	struct kup_error err = KUP_ERROR_INIT;
	unsigned long n = 0, failed = 0, verdicts[3] = { 0, 0, 0 };
	char **names = NULL, path[4096];
	size_t nn = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;

	if (argc != 2 && !(argc == 4 && !strcmp(argv[2], "--plan"))) {
		fprintf(stderr, "usage: plan_parse DIR [--plan VERSION]\n");
		return 2;
	}
	memset(&o, 0, sizeof(o));
	if (argc == 4) {
		if (kup_version_parse(argv[3], &o.target, &err) != KUP_OK ||
		    kup_kb_load_embedded(&kb, &err) != KUP_OK) {
			fprintf(stderr, "plan_parse: %s\n", err.msg ? err.msg : "error");
			return 1;
		}
	}
	if (!(d = opendir(argv[1]))) {
		perror(argv[1]);
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strstr(de->d_name, ".yaml"))
			continue;
		if (!kup_grow(&names, &cap, nn + 1, sizeof(*names), 1024) ||
		    !(names[nn] = strdup(de->d_name)))
			return 1;
		nn++;
	}
	closedir(d);
	qsort(names, nn, sizeof(*names), cmp);
	for (i = 0; i < nn; i++) {
		struct kup_profile *p = NULL;
		struct kup_plan *plan = NULL;

		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		n++;
		if (kup_profile_load(path, &p, &err) != KUP_OK) {
			failed++;
		} else if (kb) {
			if (kup_plan(kb, p, &o, &plan, &err) != KUP_OK)
				failed++;
			else
				verdicts[plan->verdict]++;
			kup_plan_free(plan);
		}
		kup_profile_free(p);
		kup_error_release(&err);
		free(names[i]);
	}
	free(names);
	if (kb)
		printf("%lu %lu ready=%lu warnings=%lu blocked=%lu\n", n, failed, verdicts[0],
		       verdicts[1], verdicts[2]);
	else
		printf("%lu %lu\n", n, failed);
	kup_kb_free(kb);
	return failed ? 1 : 0;
}
