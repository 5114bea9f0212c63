/*
 * store_schema.c - the store's schema, one migration per version.
 *
 * A migration is applied once, in the same transaction as the row it adds
 * to schema_version; never edit a shipped migration, add the next one (and
 * raise KUP_STORE_SCHEMA_VERSION).  The two engines differ only in the
 * identity column and the append-only trigger.
 */
#include <stddef.h>

#include "fleet/store_int.h"

#define KUP_TABLES_V1(ID)                                                          \
	"CREATE TABLE clusters (\n"                                                \
	"  name TEXT PRIMARY KEY,\n"                                               \
	"  wave TEXT,\n"                                                           \
	"  state TEXT NOT NULL DEFAULT 'pending',\n"                               \
	"  version TEXT,\n"                                                        \
	"  target TEXT,\n"                                                         \
	"  next_step TEXT,\n"                                                      \
	"  blockers TEXT,\n"                                                       \
	"  reason TEXT,\n"                                                         \
	"  failures INTEGER NOT NULL DEFAULT 0,\n"                                 \
	"  attempt INTEGER NOT NULL DEFAULT 0,\n"                                  \
	"  updated_at BIGINT NOT NULL,\n"                                          \
	"  CHECK (state IN ('pending','running','holding','failed','done','blocked')));\n" \
	"CREATE INDEX clusters_wave ON clusters (wave, name);\n"                   \
	"CREATE TABLE waves (\n"                                                   \
	"  name TEXT PRIMARY KEY,\n"                                               \
	"  ord INTEGER NOT NULL DEFAULT 0,\n"                                      \
	"  state TEXT NOT NULL DEFAULT 'pending',\n"                               \
	"  started_at BIGINT NOT NULL DEFAULT 0,\n"                                \
	"  completed_at BIGINT NOT NULL DEFAULT 0,\n"                              \
	"  soak_until BIGINT NOT NULL DEFAULT 0,\n"                                \
	"  approved_by TEXT,\n"                                                    \
	"  approved_at BIGINT NOT NULL DEFAULT 0,\n"                               \
	"  paused INTEGER NOT NULL DEFAULT 0,\n"                                   \
	"  reason TEXT,\n"                                                         \
	"  updated_at BIGINT NOT NULL,\n"                                          \
	"  CHECK (state IN ('pending','running','soaking','complete','halted')));\n" \
	"CREATE TABLE steps (\n"                                                   \
	"  id " ID ",\n"                                                           \
	"  cluster TEXT NOT NULL,\n"                                               \
	"  attempt INTEGER NOT NULL,\n"                                            \
	"  ord INTEGER NOT NULL,\n"                                                \
	"  type TEXT NOT NULL,\n"                                                  \
	"  component TEXT NOT NULL,\n"                                             \
	"  from_version TEXT,\n"                                                   \
	"  to_version TEXT NOT NULL,\n"                                            \
	"  state TEXT NOT NULL,\n"                                                 \
	"  settled INTEGER NOT NULL DEFAULT 0,\n"                                  \
	"  pid BIGINT NOT NULL DEFAULT 0,\n"                                       \
	"  started_at BIGINT NOT NULL,\n"                                          \
	"  finished_at BIGINT NOT NULL DEFAULT 0,\n"                               \
	"  exit_code INTEGER NOT NULL DEFAULT -1,\n"                               \
	"  output_tail TEXT,\n"                                                    \
	"  run_by TEXT,\n"                                                         \
	"  UNIQUE (cluster, attempt, type, component, to_version),\n"             \
	"  CHECK (state IN ('started','succeeded','failed')));\n"                  \
	"CREATE INDEX steps_unfinished ON steps (id) WHERE state = 'started';\n"  \
	"CREATE INDEX steps_cluster ON steps (cluster, id);\n"                     \
	"CREATE TABLE leases (\n"                                                  \
	"  cluster TEXT PRIMARY KEY,\n"                                            \
	"  holder TEXT NOT NULL,\n"                                                \
	"  expires_at BIGINT NOT NULL);\n"                                         \
	"CREATE INDEX leases_holder ON leases (holder);\n"                         \
	"CREATE TABLE events (\n"                                                  \
	"  id " ID ",\n"                                                           \
	"  at BIGINT NOT NULL,\n"                                                  \
	"  cluster TEXT,\n"                                                        \
	"  wave TEXT,\n"                                                           \
	"  kind TEXT NOT NULL,\n"                                                  \
	"  message TEXT,\n"                                                        \
	"  exit_code INTEGER,\n"                                                   \
	"  output_tail TEXT,\n"                                                    \
	"  actor TEXT);\n"                                                         \
	"CREATE INDEX events_cluster ON events (cluster, id);\n"                   \
	"CREATE TABLE flags (\n"                                                   \
	"  name TEXT PRIMARY KEY,\n"                                               \
	"  value TEXT,\n"                                                          \
	"  actor TEXT,\n"                                                          \
	"  updated_at BIGINT NOT NULL);\n"

static const char sqlite_v1[] =
	KUP_TABLES_V1("INTEGER PRIMARY KEY AUTOINCREMENT")
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events\n"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;\n"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events\n"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;\n";

static const char pg_v1[] =
	KUP_TABLES_V1("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
	"CREATE FUNCTION kup_events_append_only() RETURNS trigger LANGUAGE plpgsql AS\n"
	"  'BEGIN RAISE EXCEPTION ''events are append-only''; END';\n"
	"CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events\n"
	"  FOR EACH ROW EXECUTE FUNCTION kup_events_append_only();\n";

const char *kup_store_migration(enum kup_store_kind kind, int version)
{
	switch (version) {
	case 1:
		return kind == KUP_STORE_POSTGRES ? pg_v1 : sqlite_v1;
	default:
		return NULL;
	}
}
