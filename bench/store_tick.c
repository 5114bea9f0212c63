/*
 * store_tick.c - the store's share of one fleet tick over N clusters.
 *
 *   store_tick URL N [SEED]
 *
 * Declares N generated clusters (one transaction), then measures, best of
 * five ticks:
 *   redeclare  declare the same N clusters again (the fleet file re-read:
 *           nothing changes, nothing is written)
 *   list    stream every cluster (paged, 1000 a page)
 *   lease   acquire leases on every cluster for one holder (one statement)
 *   renew   extend them
 *   put1%   write the actual state of 1% of the clusters (the ones that
 *           changed), lease-checked, one kup_store_put_clusters call
 *   tick    redeclare + list + lease + put1%: what a reconcile tick asks of
 *           the store
 *   putall  write every cluster, lease-checked, one kup_store_put_clusters call
 *           (the worst tick: every cluster changed)
 * and, as the baseline measured in the same run, `raw`: the same rows read
 * with the engine's own C API in one query (SELECT every column of every
 * cluster, no paging, nothing copied).  Prints one line of key=value
 * figures (milliseconds, peak RSS in KiB) with list_ratio = list / raw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "kupgrade/store.h"

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static enum kup_status count_cluster(void *ctx, const struct kup_store_cluster *c)
{
	(void)c;
	(*(size_t *)ctx)++;
	return KUP_OK;
}

static void die(const char *what, const struct kup_error *err)
{
	fprintf(stderr, "store_tick: %s: %s\n", what, err->msg ? err->msg : "?");
	exit(1);
}

/* Writes every `every`-th cluster's actual state with put_clusters (lease-checked). */
static enum kup_status put_some(struct kup_store *s, char (*names)[32], size_t n, size_t every,
				unsigned salt, int64_t now, struct kup_error *err)
{
	struct kup_store_cluster *cs = calloc(n / every + 1, sizeof(*cs));
	char (*versions)[16] = calloc(n / every + 1, sizeof(*versions));
	size_t k = 0;
	enum kup_status st;

	if (!cs || !versions) {
		free(cs);
		free(versions);
		return KUP_NOMEM;
	}
	for (size_t i = 0; i < n; i += every, k++) {
		snprintf(versions[k], sizeof(versions[k]), "1.%u", 28 + (unsigned)((i + salt) % 3));
		cs[k] = (struct kup_store_cluster){ .name = names[i], .wave = i % 3 ? "prod" : "dev",
						    .state = KUP_CLUSTER_RUNNING, .version = versions[k],
						    .target = "1.31",
						    .next_step = "nodepool general -> 1.31" };
	}
	st = kup_store_put_clusters(s, cs, k, "bench", now, err);
	free(cs);
	free(versions);
	return st;
}

#define RAW_SQL "SELECT name, wave, state, version, target, next_step, blockers, reason, " \
		"failures, attempt, updated_at FROM clusters ORDER BY name"

/* The baseline: every cluster row through the engine's C API, one query. */
static double raw_list(const char *url, size_t n)
{
	struct timespec t0;
	size_t rows = 0, bytes = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!strncmp(url, "pg:", 3)) {
		PGconn *c = PQconnectdb(url + 3);
		PGresult *r;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = PQexec(c, RAW_SQL);
		rows = (size_t)PQntuples(r);
		for (int i = 0; i < PQntuples(r); i++)
			bytes += strlen(PQgetvalue(r, i, 0));
		PQclear(r);
		{
			double ms = ms_since(&t0);
			PQfinish(c);
			if (rows != n)
				return -1;
			return ms;
		}
	} else {
		sqlite3 *db = NULL;
		sqlite3_stmt *st = NULL;
		double ms;

		if (sqlite3_open(url + 7, &db) != SQLITE_OK)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		sqlite3_prepare_v2(db, RAW_SQL, -1, &st, NULL);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int i = 0; i < 11; i++) {
				const unsigned char *v = sqlite3_column_text(st, i);
				bytes += v ? 1 : 0;
			}
			rows++;
		}
		sqlite3_finalize(st);
		ms = ms_since(&t0);
		sqlite3_close(db);
		return rows == n && bytes ? ms : -1;
	}
}

int main(int argc, char **argv)
{
	struct kup_store *s = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_store_decl *d;
	char (*names)[32];
	size_t n, seen, held = 0, renewed = 0;
	unsigned seed;
	double best[7] = { 1e18, 1e18, 1e18, 1e18, 1e18, 1e18, 1e18 };
	double declare_ms, best_raw = 1e18;
	struct timespec t0;
	struct rusage ru;

	if (argc < 3) {
		fprintf(stderr, "usage: store_tick URL N [SEED]\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	seed = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 1;
	if (kup_store_open(argv[1], &s, &err))
		die("open", &err);
	d = calloc(n, sizeof(*d));
	names = calloc(n, sizeof(*names));
	if (!d || !names)
		return 1;
	srand(seed);
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "c%05zu-%03d", i, rand() % 1000);
		d[i] = (struct kup_store_decl){ names[i], i % 3 ? "prod" : "dev", "1.31" };
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (kup_store_declare_clusters(s, d, n, kup_store_now(), &err))
		die("declare", &err);
	declare_ms = ms_since(&t0);

	for (int run = 0; run < 5; run++) {
		double t[7], raw;
		struct timespec tick;
		int64_t now = kup_store_now();

		clock_gettime(CLOCK_MONOTONIC, &tick);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (kup_store_declare_clusters(s, d, n, now, &err))
			die("redeclare", &err);
		t[6] = ms_since(&t0);
		seen = 0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (kup_store_list_clusters(s, NULL, count_cluster, &seen, &err) || seen != n)
			die("list", &err);
		t[0] = ms_since(&t0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (kup_store_lease_acquire(s, "bench", NULL, n, now, 60000, NULL, NULL, &held, &err) ||
		    held != n)
			die("lease", &err);
		t[1] = ms_since(&t0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (put_some(s, names, n, 100, (unsigned)run, now, &err))
			die("put 1%", &err);
		t[3] = ms_since(&t0);
		t[4] = ms_since(&tick);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (kup_store_lease_renew(s, "bench", now, 60000, &renewed, &err) || renewed != n)
			die("renew", &err);
		t[2] = ms_since(&t0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (put_some(s, names, n, 1, (unsigned)run, now, &err))
			die("put all", &err);
		t[5] = ms_since(&t0);
		/* the baseline, interleaved with the runs so noise hits both */
		raw = raw_list(argv[1], n);
		if (raw < 0) {
			fprintf(stderr, "store_tick: the raw baseline read the wrong rows\n");
			return 1;
		}
		if (raw < best_raw)
			best_raw = raw;
		for (int i = 0; i < 7; i++)
			if (t[i] < best[i])
				best[i] = t[i];
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("store=%s clusters=%zu declare_ms=%.1f redeclare_ms=%.1f list_ms=%.1f lease_ms=%.1f renew_ms=%.1f "
	       "put1pct_ms=%.1f tick_ms=%.1f putall_ms=%.1f raw_list_ms=%.1f list_ratio=%.2f "
	       "maxrss_kb=%ld\n",
	       kup_store_kind(s) == KUP_STORE_POSTGRES ? "postgres" : "sqlite", n, declare_ms,
	       best[6], best[0], best[1], best[2], best[3], best[4], best[5], best_raw,
	       best_raw > 0 ? best[0] / best_raw : 0.0, ru.ru_maxrss);
	kup_store_close(s);
	free(d);
	free(names);
	kup_error_release(&err);
	return 0;
}
