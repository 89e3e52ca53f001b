/*
 * store_module.c - tables owned by engines outside the core store
 * (billing, users, quality inspection, vendors): created once per module
 * version and recorded in kefu_modules (store.h).
 */
#include "store_int.h"

#include <string.h>

static const char modules_sql[] =
	"CREATE TABLE IF NOT EXISTS kefu_modules(name TEXT PRIMARY KEY,"
	" version INTEGER NOT NULL) STRICT";

static int module_version(kefu_store *st, const char *name, int64_t *ver, kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT version FROM kefu_modules WHERE name=?1", -1, &s,
			       NULL) != SQLITE_OK)
		return store_fail(st, err, "module version");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	*ver = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, "module version");
	return 0;
}

int kefu_store_ensure_module(kefu_store *st, const char *name, int version, const char *sql,
			     kefu_err *err)
{
	int64_t ver = 0;
	int rc;
	if (st->in_import)
		return kefu_err_set(err, KEFU_EINVAL, "module %s: an import run is open", name);
	/* Fast path without the write lock: already at this version. */
	sqlite3_stmt *probe = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM sqlite_schema WHERE name='kefu_modules'", -1,
			       &probe, NULL) != SQLITE_OK)
		return store_fail(st, err, "module");
	int have_table = sqlite3_step(probe) == SQLITE_ROW;
	sqlite3_finalize(probe);
	if (have_table) {
		if ((rc = module_version(st, name, &ver, err)))
			return rc;
		if (ver == version)
			return 0;
	}
	if ((rc = store_exec(st, "BEGIN IMMEDIATE", err)))
		return rc;
	if ((rc = store_exec(st, modules_sql, err)) || (rc = module_version(st, name, &ver, err)))
		goto fail;
	if (ver > version) {
		rc = kefu_err_set(err, KEFU_ESTORE,
				  "store module %s is at version %lld, newer than this kefu (%d): "
				  "upgrade kefu",
				  name, (long long)ver, version);
		goto fail;
	}
	if (ver < version) {
		sqlite3_stmt *s = NULL;
		if ((rc = store_exec(st, sql, err)))
			goto fail;
		if (sqlite3_prepare_v2(st->db,
				       "INSERT INTO kefu_modules(name,version) VALUES(?1,?2)"
				       " ON CONFLICT(name) DO UPDATE SET version=excluded.version",
				       -1, &s, NULL) != SQLITE_OK) {
			rc = store_fail(st, err, "module");
			goto fail;
		}
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, version);
		int step = sqlite3_step(s);
		sqlite3_finalize(s);
		if (step != SQLITE_DONE) {
			rc = store_fail(st, err, "module");
			goto fail;
		}
	}
	if ((rc = store_exec(st, "COMMIT", err)))
		goto fail;
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

struct sqlite3 *kefu_store_sqlite(kefu_store *st)
{
	return st->db;
}
