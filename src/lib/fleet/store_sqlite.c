/*
 * store_sqlite.c - the store on one SQLite file.
 *
 * WAL journal, synchronous=FULL (a committed step record survives a crash
 * of the machine, not only of the process), a 5 s busy timeout after which
 * a locked file is KUP_UNAVAILABLE.  Statements are prepared once and kept,
 * keyed by the address of their SQL literal; `$N` parameters are rewritten
 * to SQLite's `?N`.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fleet/store_int.h"

#define STMT_CACHE 128

struct lite {
	sqlite3 *db;
	struct {
		const char *key;
		sqlite3_stmt *stmt;
	} cache[STMT_CACHE];
	size_t ncache;
};

static enum kup_status lite_status(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return KUP_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return KUP_UNAVAILABLE;
	case SQLITE_CONSTRAINT:
		return KUP_CONFLICT;
	case SQLITE_NOMEM:
		return KUP_NOMEM;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_READONLY:
		return KUP_IO;
	default:
		return KUP_IO;
	}
}

static enum kup_status lite_error(struct kup_store *s, int rc, const char *what,
				  struct kup_error *err)
{
	struct lite *l = s->impl;
	enum kup_status st = lite_status(rc);

	if (st == KUP_UNAVAILABLE)
		return kup_error_set(err, st, s->where, 0, 0,
				     "store '%s' is locked by another process (%s): retry later",
				     s->where, sqlite3_errmsg(l->db));
	return kup_error_set(err, st, s->where, 0, 0, "store '%s': %s: %s", s->where, what,
			     sqlite3_errmsg(l->db));
}

/* `$12` -> `?12`: both engines then read the same SQL. */
static char *lite_sql(const char *sql)
{
	char *out = kup_strdup(sql);

	for (char *p = out; p && *p; p++)
		if (p[0] == '$' && p[1] >= '0' && p[1] <= '9')
			p[0] = '?';
	return out;
}

static enum kup_status lite_prepare(struct kup_store *s, const char *sql, sqlite3_stmt **out,
				    bool *cached, struct kup_error *err)
{
	struct lite *l = s->impl;
	char *text;
	int rc;

	*cached = false;
	for (size_t i = 0; i < l->ncache; i++) {
		if (l->cache[i].key == sql && !sqlite3_stmt_busy(l->cache[i].stmt)) {
			*out = l->cache[i].stmt;
			*cached = true;
			return KUP_OK;
		}
	}
	text = lite_sql(sql);
	if (!text)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "store: out of memory");
	rc = sqlite3_prepare_v2(l->db, text, -1, out, NULL);
	free(text);
	if (rc != SQLITE_OK)
		return lite_error(s, rc, "cannot prepare a statement", err);
	if (l->ncache < STMT_CACHE) {
		bool known = false;

		for (size_t i = 0; i < l->ncache; i++)
			known |= l->cache[i].key == sql;
		if (!known) {
			l->cache[l->ncache].key = sql;
			l->cache[l->ncache].stmt = *out;
			l->ncache++;
			*cached = true;
		}
	}
	return KUP_OK;
}

static enum kup_status lite_query(struct kup_store *s, const char *sql, const struct kup_sp *p,
				  int np, kup_store_row_cb fn, void *ctx, int64_t *changes,
				  struct kup_error *err)
{
	struct lite *l = s->impl;
	sqlite3_stmt *stmt = NULL;
	const char *vals[32];
	bool cached;
	enum kup_status st;
	int rc = SQLITE_OK;

	if (changes)
		*changes = 0;
	st = lite_prepare(s, sql, &stmt, &cached, err);
	if (st)
		return st;
	for (int i = 0; i < np && rc == SQLITE_OK; i++) {
		switch (p[i].t) {
		case KUP_SP_TEXT:
			rc = sqlite3_bind_text(stmt, i + 1, p[i].s, -1, SQLITE_STATIC);
			break;
		case KUP_SP_INT:
			rc = sqlite3_bind_int64(stmt, i + 1, p[i].i);
			break;
		default:
			rc = sqlite3_bind_null(stmt, i + 1);
			break;
		}
	}
	if (rc != SQLITE_OK) {
		st = lite_error(s, rc, "cannot bind a parameter", err);
		goto out;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int ncol = sqlite3_column_count(stmt);

		if (ncol > 32)
			ncol = 32;
		for (int i = 0; i < ncol; i++)
			vals[i] = (const char *)sqlite3_column_text(stmt, i);
		if (fn && (st = fn(ctx, ncol, vals)) != KUP_OK) {
			if (st == KUP_NOMEM)
				kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "store: out of memory");
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		st = lite_error(s, rc, "statement failed", err);
		goto out;
	}
	if (changes)
		*changes = sqlite3_changes(l->db);
out:
	if (cached) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	} else {
		sqlite3_finalize(stmt);
	}
	return st;
}

static enum kup_status lite_script(struct kup_store *s, const char *sql, struct kup_error *err)
{
	struct lite *l = s->impl;
	int rc = sqlite3_exec(l->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return lite_error(s, rc, "statement failed", err);
	return KUP_OK;
}

static enum kup_status lite_ensure(struct kup_store *s, struct kup_error *err)
{
	(void)s;
	(void)err;
	return KUP_OK;
}

static enum kup_status lite_lock_timeout(struct kup_store *s, int ms, struct kup_error *err)
{
	struct lite *l = s->impl;

	(void)err;
	sqlite3_busy_timeout(l->db, ms ? ms : 5000);
	return KUP_OK;
}

static void lite_close(struct kup_store *s)
{
	struct lite *l = s->impl;

	for (size_t i = 0; i < l->ncache; i++)
		sqlite3_finalize(l->cache[i].stmt);
	sqlite3_close(l->db);
	free(l);
	s->impl = NULL;
}

static const struct kup_store_backend lite_backend = {
	.query = lite_query,
	.script = lite_script,
	.ensure = lite_ensure,
	.lock_timeout = lite_lock_timeout,
	.close = lite_close,
};

#ifdef KUP_FAULT_INJECTION
/*
 * A VFS wrapping SQLite's default one, so $KUP_IO_FAIL=sqlite-write:N:ERRNO
 * and sqlite-sync:N:ERRNO fail SQLite's own Nth xWrite or xSync (database,
 * journal or WAL alike): ENOSPC as SQLITE_FULL, anything else as an I/O
 * error.  Everything else passes through to the wrapped file.
 */
struct fault_file {
	sqlite3_file base;
	sqlite3_file *real;     /* right after this struct, szOsFile of the real VFS */
};

#define REAL(f) (((struct fault_file *)(f))->real)

static int ff_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}
static int ff_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}
static int ff_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	if (kup_io_fault("sqlite-write"))
		return errno == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_WRITE;
	return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}
static int ff_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int ff_sync(sqlite3_file *f, int flags)
{
	if (kup_io_fault("sqlite-sync"))
		return errno == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_FSYNC;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int ff_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int ff_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}
static int ff_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}
static int ff_check_lock(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int ff_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int ff_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int ff_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int ff_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp);
}
static int ff_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void ff_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int ff_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

/* version 2: no memory-mapped fetches (xFetch), which would bypass xRead */
static const sqlite3_io_methods ff_methods = {
	2, ff_close, ff_read, ff_write, ff_truncate, ff_sync, ff_file_size, ff_lock, ff_unlock,
	ff_check_lock, ff_control, ff_sector, ff_device, ff_shm_map, ff_shm_lock, ff_shm_barrier,
	ff_shm_unmap, NULL, NULL,
};

static sqlite3_vfs ff_vfs;

static int ff_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	sqlite3_vfs *real = vfs->pAppData;
	struct fault_file *ff = (struct fault_file *)f;
	int rc;

	ff->real = (sqlite3_file *)(ff + 1);
	rc = real->xOpen(real, name, ff->real, flags, out);
	f->pMethods = rc == SQLITE_OK && ff->real->pMethods ? &ff_methods : NULL;
	return rc;
}

#define FF_VFS(f) (((sqlite3_vfs *)vfs->pAppData)->f)
static int ff_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	return FF_VFS(xDelete)(vfs->pAppData, name, sync);
}
static int ff_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	return FF_VFS(xAccess)(vfs->pAppData, name, flags, out);
}
static int ff_full(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	return FF_VFS(xFullPathname)(vfs->pAppData, name, n, out);
}
static void *ff_dlopen(sqlite3_vfs *vfs, const char *name)
{
	return FF_VFS(xDlOpen)(vfs->pAppData, name);
}
static void ff_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
	FF_VFS(xDlError)(vfs->pAppData, n, msg);
}
static void (*ff_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	return FF_VFS(xDlSym)(vfs->pAppData, h, sym);
}
static void ff_dlclose(sqlite3_vfs *vfs, void *h)
{
	FF_VFS(xDlClose)(vfs->pAppData, h);
}
static int ff_random(sqlite3_vfs *vfs, int n, char *out)
{
	return FF_VFS(xRandomness)(vfs->pAppData, n, out);
}
static int ff_sleep(sqlite3_vfs *vfs, int us)
{
	return FF_VFS(xSleep)(vfs->pAppData, us);
}
static int ff_time(sqlite3_vfs *vfs, double *out)
{
	return FF_VFS(xCurrentTime)(vfs->pAppData, out);
}
static int ff_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	return FF_VFS(xGetLastError)(vfs->pAppData, n, out);
}
static int ff_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	return FF_VFS(xCurrentTimeInt64)(vfs->pAppData, out);
}

/* The wrapper's name, registered on first use; NULL (the default VFS) if that fails. */
static const char *fault_vfs(void)
{
	static bool done;
	sqlite3_vfs *real;

	if (done)
		return ff_vfs.zName;
	real = sqlite3_vfs_find(NULL);
	if (!real || real->iVersion < 2)
		return NULL;
	ff_vfs.iVersion = 2;
	ff_vfs.szOsFile = (int)sizeof(struct fault_file) + real->szOsFile;
	ff_vfs.mxPathname = real->mxPathname;
	ff_vfs.zName = "kup-fault";
	ff_vfs.pAppData = real;
	ff_vfs.xOpen = ff_open;
	ff_vfs.xDelete = ff_delete;
	ff_vfs.xAccess = ff_access;
	ff_vfs.xFullPathname = ff_full;
	ff_vfs.xDlOpen = ff_dlopen;
	ff_vfs.xDlError = ff_dlerror;
	ff_vfs.xDlSym = ff_dlsym;
	ff_vfs.xDlClose = ff_dlclose;
	ff_vfs.xRandomness = ff_random;
	ff_vfs.xSleep = ff_sleep;
	ff_vfs.xCurrentTime = ff_time;
	ff_vfs.xGetLastError = ff_last_error;
	ff_vfs.xCurrentTimeInt64 = ff_time64;
	if (sqlite3_vfs_register(&ff_vfs, 0) != SQLITE_OK)
		return NULL;
	done = true;
	return ff_vfs.zName;
}
#else
static const char *fault_vfs(void)
{
	return NULL;
}
#endif

enum kup_status kup_store_sqlite_open(struct kup_store *s, const char *path,
				      struct kup_error *err)
{
	struct lite *l = kup_calloc(1, sizeof(*l));
	bool memory = !strcmp(path, ":memory:"), created = false;
	enum kup_status st;
	int rc;

	if (!l)
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "store: out of memory");
	s->be = &lite_backend;
	s->impl = l;
	/* the store holds cluster data: created 0600 (SQLite's -wal and -shm take its mode) */
	if (!memory && strncmp(path, "file:", 5) != 0 &&
	    (st = kup_create_private(path, &created, err)) != KUP_OK)
		return st;
	rc = sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, fault_vfs());
	if (rc != SQLITE_OK) {
		st = kup_error_set(err, KUP_IO, path, 0, 0, "cannot open store '%s': %s", s->where,
				   l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc));
		if (created)
			kup_io()->unlink(path);
		return st;
	}
	sqlite3_extended_result_codes(l->db, 0);
	sqlite3_busy_timeout(l->db, 5000);
	st = lite_script(s, memory ? "PRAGMA foreign_keys = ON"
				   : "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
				     "PRAGMA foreign_keys = ON", err);
	if (st && err && err->msg && strstr(err->msg, "file is not a database")) {
		char *m = err->msg;

		err->msg = NULL;
		st = kup_error_set(err, KUP_INVALID, path, 0, 0,
				   "cannot open store '%s': not a SQLite database", s->where);
		free(m);
	}
	return st;
}
