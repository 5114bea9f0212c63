/*
 * alloc.c - the allocation indirection of core.h (kup_malloc and friends).
 *
 * In a normal build each is the libc call.  With -DKUP_FAULT_INJECTION=ON
 * (the "torture" build) every call is counted and the Nth one fails, as
 * $KUP_ALLOC_FAIL=N says ("N+" fails it and every one after).
 * $KUP_ALLOC_COUNT=FILE writes the number of calls made to FILE at exit, so
 * a test knows how many points there are to fail; $KUP_ALLOC_BACKTRACE prints
 * the stack of the failing call on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kupgrade/core.h"

#ifdef KUP_FAULT_INJECTION
#include <execinfo.h>
#include <unistd.h>

static unsigned long alloc_calls, alloc_fail_at;
static bool alloc_fail_after, alloc_env_read;
static const char *count_file;

static void write_count(void)
{
	FILE *fp;

	if (count_file && (fp = fopen(count_file, "w")) != NULL) {
		fprintf(fp, "%lu\n", alloc_calls);
		fclose(fp);
	}
}

static void read_env(void)
{
	const char *v = getenv("KUP_ALLOC_FAIL");

	alloc_env_read = true;
	if (v && *v) {
		char *end;
		alloc_fail_at = strtoul(v, &end, 10);
		alloc_fail_after = *end == '+';
	}
	count_file = getenv("KUP_ALLOC_COUNT");
	if (count_file && *count_file)
		atexit(write_count);
}

static bool fail_now(void)
{
	if (!alloc_env_read)
		read_env();
	alloc_calls++;
	if (!alloc_fail_at)
		return false;
	if (alloc_calls == alloc_fail_at && getenv("KUP_ALLOC_BACKTRACE")) {
		/* where the failing allocation is (tests/torture/run.sh shows it) */
		void *frames[32];
		int n = backtrace(frames, 32);
		backtrace_symbols_fd(frames, n, STDERR_FILENO);
	}
	return alloc_calls == alloc_fail_at || (alloc_fail_after && alloc_calls > alloc_fail_at);
}

bool kup_fault_enabled(void)
{
	return true;
}

void kup_fault_alloc_set(unsigned long fail_at, bool and_after)
{
	alloc_env_read = true;
	alloc_calls = 0;
	alloc_fail_at = fail_at;
	alloc_fail_after = and_after;
}

unsigned long kup_fault_alloc_count(void)
{
	return alloc_calls;
}
#else
#define fail_now() false

bool kup_fault_enabled(void)
{
	return false;
}

void kup_fault_alloc_set(unsigned long fail_at, bool and_after)
{
	(void)fail_at;
	(void)and_after;
}

unsigned long kup_fault_alloc_count(void)
{
	return 0;
}
#endif

void *kup_malloc(size_t n)
{
	if (fail_now())
		return NULL;
	return malloc(n ? n : 1);
}

void *kup_calloc(size_t nmemb, size_t size)
{
	if (fail_now())
		return NULL;
	if (!nmemb || !size)
		return calloc(1, 1);
	return calloc(nmemb, size);
}

void *kup_realloc(void *p, size_t n)
{
	if (fail_now())
		return NULL;
	return realloc(p, n ? n : 1);
}

char *kup_strdup(const char *s)
{
	if (fail_now())
		return NULL;
	return strdup(s);
}

char *kup_strndup(const char *s, size_t n)
{
	if (fail_now())
		return NULL;
	return strndup(s, n);
}

char *kup_memdupz(const void *s, size_t n)
{
	char *p = n < SIZE_MAX ? kup_malloc(n + 1) : NULL;

	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *kup_strdup_oom(const char *s, bool *oom)
{
	char *r;

	if (!s)
		return NULL;
	r = kup_strdup(s);
	if (!r)
		*oom = true;
	return r;
}

char *kup_arena_strdup_oom(struct kup_arena *a, const char *s, bool *oom)
{
	char *r;

	if (!s)
		return NULL;
	r = kup_arena_strdup(a, s);
	if (!r)
		*oom = true;
	return r;
}
