/*
 * store_snapshot.c - the store keeps a columnar snapshot of its rows (see
 * snapshot.h) in a table of its own, tagged with the id of the last import
 * run it reflects. Every change to stored rows happens in an import run, and
 * every committed run adds a row to `imports`, so the snapshot is current
 * exactly when its tag equals max(imports.id). A stale or damaged snapshot
 * is ignored and rebuilt; it is only a cache.
 */
#include "kefu/snapshot.h"
#include "store_int.h"

#include <string.h>

static const char *const create_sql =
	"CREATE TABLE IF NOT EXISTS snapshot(id INTEGER PRIMARY KEY CHECK (id = 1),"
	" import_id INTEGER NOT NULL, data BLOB NOT NULL) STRICT";

static int last_import(kefu_store *st, int64_t *out, kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT coalesce(max(id), 0) FROM imports", -1, &s, NULL) !=
		    SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		kefu_err_set(err, KEFU_ESTORE, "store: %s", sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return KEFU_ESTORE;
	}
	*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

static int blob_read(void *ctx, void *dst, size_t n, uint64_t off)
{
	/* sqlite3_blob_read takes int sizes: read in pieces of at most 1 GiB */
	while (n > 0) {
		int piece = n > ((size_t)1 << 30) ? 1 << 30 : (int)n;
		if (sqlite3_blob_read(ctx, dst, piece, (int)off) != SQLITE_OK)
			return -1;
		dst = (char *)dst + piece;
		off += (uint64_t)piece;
		n -= (size_t)piece;
	}
	return 0;
}

int kefu_store_load_cached(kefu_store *st, kefu_dataset **out, int *from_snapshot, kefu_err *err)
{
	*out = NULL;
	*from_snapshot = 0;
	int64_t current;
	int rc = last_import(st, &current, err);
	if (rc)
		return rc;
	/* 1. a current snapshot, read straight into the columns */
	sqlite3_stmt *s = NULL;
	int64_t tag = -1;
	if (sqlite3_prepare_v2(st->db, "SELECT import_id FROM snapshot WHERE id = 1", -1, &s, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		tag = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_blob *blob = NULL;
	if (tag == current &&
	    sqlite3_blob_open(st->db, "main", "snapshot", "data", 1, 0, &blob) == SQLITE_OK) {
		kefu_snap_reader rd = {blob_read, blob, (uint64_t)sqlite3_blob_bytes(blob), 0};
		kefu_err ignored = KEFU_ERR_INIT;
		rc = kefu_snapshot_read_from(out, &rd, &ignored);
		sqlite3_blob_close(blob);
		if (rc == 0) {
			*from_snapshot = 1;
			return 0;
		}
		rc = 0;
	}
	/* 2. the rows, then a new snapshot (best effort: a read-only store or a
	 * busy writer just means no cache this time) */
	kefu_dataset *ds;
	if (kefu_dataset_new(&ds))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	if ((rc = kefu_store_load(st, ds, err)) || (rc = kefu_dataset_finalize(ds, err))) {
		kefu_dataset_free(ds);
		return rc;
	}
	char *img;
	size_t n;
	kefu_err ignored = KEFU_ERR_INIT;
	if (n = 0, kefu_snapshot_write(ds, &img, &n, &ignored) == 0) {
		if (n < (size_t)1 << 31 &&
		    sqlite3_exec(st->db, create_sql, NULL, NULL, NULL) == SQLITE_OK &&
		    sqlite3_prepare_v2(st->db,
				       "INSERT OR REPLACE INTO snapshot(id, import_id, data) VALUES (1, ?, ?)",
				       -1, &s, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(s, 1, current);
			sqlite3_bind_blob64(s, 2, img, n, SQLITE_STATIC);
			sqlite3_step(s);
			sqlite3_finalize(s);
		}
		kefu_free(img);
	}
	*out = ds;
	return 0;
}
