/*
 * store_int.h - the store's backend interface (SQLite, PostgreSQL).
 *
 * store.c holds every operation once, written as SQL that both engines
 * accept ($1-style parameters, CAST, ON CONFLICT, RETURNING); a backend
 * only runs statements and reports rows as text.  The few statements that
 * differ (row locks, identity columns) are chosen by `kind`.
 */
#ifndef KUP_STORE_INT_H
#define KUP_STORE_INT_H

#include "kupgrade/store.h"

enum kup_sp_type { KUP_SP_NULL = 0, KUP_SP_TEXT, KUP_SP_INT };

/* One statement parameter: text (NULL pointer = SQL NULL), integer or NULL. */
struct kup_sp {
	enum kup_sp_type t;
	const char *s;
	int64_t i;
};

#define KUP_SP_MAX 16

/*
 * Receives one result row: `vals[i]` is the text of column i, NULL for SQL
 * NULL; valid during the call only.
 */
typedef enum kup_status (*kup_store_row_cb)(void *ctx, int ncol, const char *const *vals);

struct kup_store_backend {
	/*
	 * Runs one statement.  `sql` must be a string literal (its address keys
	 * the prepared-statement cache).  `fn` may be NULL; *changes (may be
	 * NULL) receives the rows changed.
	 */
	enum kup_status (*query)(struct kup_store *s, const char *sql, const struct kup_sp *p,
				 int np, kup_store_row_cb fn, void *ctx, int64_t *changes,
				 struct kup_error *err);
	/* Runs a parameterless script (several statements). */
	enum kup_status (*script)(struct kup_store *s, const char *sql, struct kup_error *err);
	/* Reconnects when the connection was lost; KUP_UNAVAILABLE if it cannot. */
	enum kup_status (*ensure)(struct kup_store *s, struct kup_error *err);
	/* Lock wait in ms (0: the engine's default). */
	enum kup_status (*lock_timeout)(struct kup_store *s, int ms, struct kup_error *err);
	void (*close)(struct kup_store *s);
};

struct kup_store {
	const struct kup_store_backend *be;
	enum kup_store_kind kind;
	char *where;             /* the URL for messages, password hidden */
	void *impl;              /* the backend's connection state */
	int depth;               /* transaction nesting */
	bool user_tx;            /* kup_store_begin() is open */
	enum kup_status tx_status;
	struct kup_error tx_err;
	int schema;
};

enum kup_status kup_store_sqlite_open(struct kup_store *s, const char *path,
				      struct kup_error *err);
enum kup_status kup_store_pg_open(struct kup_store *s, const char *conninfo,
				  struct kup_error *err);

/* The migrations: kup_store_migration(kind, v) for v in 1..KUP_STORE_SCHEMA_VERSION. */
const char *kup_store_migration(enum kup_store_kind kind, int version);

#endif
