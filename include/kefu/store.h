/*
 * store.h - the SQLite store: every imported row of every kind, the
 * per-shop versioned settings, an audit trail of order/rating/roster
 * updates and a log of import runs (docs/STORE.md).
 *
 * An import run is one transaction over any number of files: it is atomic
 * (a failed, interrupted or killed run leaves the store exactly as before)
 * and idempotent (importing the same rows again adds nothing). Semantics per
 * kind (formats.md "Import rules"):
 *   messages, presence  the whole row is the key: new (added) or unchanged;
 *   evals               key (shop, agent, buyer, ts): same level = unchanged,
 *                       another level = conflict (reported, not applied);
 *   orders, ratings     key (shop, order_id), roster key agent: a later row
 *                       with any value different updates the stored row
 *                       (updated; the old values go to the audit table).
 *
 * Ownership: a kefu_store is used by one thread at a time; the caller owns
 * it and releases it with kefu_store_close (which rolls back an import that
 * was neither committed nor rolled back). Strings passed in are borrowed for
 * the duration of the call.
 */
#ifndef KEFU_STORE_H
#define KEFU_STORE_H

#include <stdio.h>

#include "kefu/common.h"
#include "kefu/dataset.h"
#include "kefu/loader.h"
#include "kefu/record.h"
#include "kefu/settings.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kefu_store kefu_store;

/* Schema version kept in PRAGMA user_version. */
#define KEFU_STORE_SCHEMA_VERSION 2

/* How long a connection waits for another process's write lock. */
#define KEFU_STORE_BUSY_MS 10000

/* kefu_store_open_ex flags. */
#define KEFU_STORE_NOCREATE 0x1 /* fail with KEFU_ENOTFOUND if path does not exist */

/*
 * Opens (creating when needed) the store at path and brings its schema up
 * to date. Sets WAL, synchronous=NORMAL, foreign keys and a busy timeout.
 * A file that is not a kefu store, or one written by a newer schema, is
 * KEFU_ESTORE. On failure *out is NULL.
 */
int kefu_store_open(kefu_store **out, const char *path, kefu_err *err);
int kefu_store_open_ex(kefu_store **out, const char *path, unsigned flags, kefu_err *err);
/* Accepts NULL. Rolls back an open import run. */
void kefu_store_close(kefu_store *st);

/* --------------------------------------------------------------- modules */

/*
 * Engines that keep their own tables in the store (billing, users and
 * sessions, quality inspection, vendors, ...) declare them as a module:
 * kefu_store_ensure_module runs `sql` (CREATE TABLE ... STRICT statements)
 * once, in one transaction, and records (name, version) in the
 * kefu_modules table. Calling it again with the same version does nothing;
 * a higher version runs `sql` again, so module SQL should use
 * CREATE ... IF NOT EXISTS and additive changes; a store whose recorded
 * version is newer than `version` is KEFU_ESTORE ("upgrade kefu").
 */
int kefu_store_ensure_module(kefu_store *st, const char *name, int version, const char *sql,
			     kefu_err *err);

/* The store's SQLite connection, for module code (prepared statements
 * only). Borrowed: valid until kefu_store_close; do not close it. */
struct sqlite3 *kefu_store_sqlite(kefu_store *st);

/* ---------------------------------------------------------------- import */

/* Per-kind counts of one import run. read = added + unchanged + updated +
 * conflicts + rejected (rejected = rows the loader refused, as noted with
 * kefu_store_import_note_file). */
typedef struct kefu_import_counts {
	long read, added, unchanged, updated, conflicts, rejected;
} kefu_import_counts;

typedef struct kefu_import_stats {
	kefu_import_counts kind[KEFU_KIND_COUNT]; /* indexed by kefu_kind */
	long files;
	uint64_t bytes;
	int64_t run_id; /* row id in the imports table */
} kefu_import_stats;

typedef struct kefu_store_import_opts {
	/* Called for every eval conflict (same key, another level) with the
	 * row's file and line, column "level", the reason and the row rendered
	 * as canonical CSV (ts in UTC ISO 8601). Return negative to abort. */
	kefu_reject_fn on_conflict;
	void *ctx;
	int64_t now; /* time recorded in the run log and audit; 0 = time(NULL) */
	/* Total bytes of the run's input when known, else 0: sizes the set of
	 * message keys up front instead of doubling it as it fills. */
	uint64_t input_bytes;
} kefu_store_import_opts;

#define KEFU_STORE_IMPORT_OPTS_INIT {NULL, NULL, 0, 0}

/* Starts an import run (BEGIN IMMEDIATE). opts may be NULL. */
int kefu_store_import_begin(kefu_store *st, const kefu_store_import_opts *opts, kefu_err *err);
/* Applies one valid record. Fails (negative) only on store errors; the
 * run must then be rolled back. */
int kefu_store_import_row(kefu_store *st, const kefu_record *rec, const char *file, long line,
			  kefu_err *err);
/* The same with the loader's kefu_row_fn signature (ctx = the store). */
int kefu_store_row_cb(void *st, const kefu_record *rec, const char *file, long line,
		      kefu_err *err);
/* Records a loaded file in the run log and adds its rejected rows to the
 * counts. ls may be NULL (file not readable). */
int kefu_store_import_note_file(kefu_store *st, const char *file, const kefu_load_stats *ls,
				kefu_err *err);
/* Counts so far in the current (or last finished) run. */
const kefu_import_stats *kefu_store_import_stats(const kefu_store *st);
/* Writes the run log and commits. On failure the run is rolled back. */
int kefu_store_import_commit(kefu_store *st, kefu_err *err);
/* Discards everything the run did. Safe to call when no run is open. */
void kefu_store_import_rollback(kefu_store *st);

/* ------------------------------------------------------------------ load */

/* Adds every stored row (all kinds) to ds with kefu_dataset_add; the caller
 * finalizes. Reads one consistent snapshot. */
int kefu_store_load(kefu_store *st, kefu_dataset *ds, kefu_err *err);

/* A finalized dataset of every stored row, from the store's columnar
 * snapshot when it is current (store_snapshot.c), else loaded row by row and
 * then saved as the new snapshot. *from_snapshot tells which. The caller
 * frees *out with kefu_dataset_free. */
int kefu_store_load_cached(kefu_store *st, kefu_dataset **out, int *from_snapshot, kefu_err *err);

/* -------------------------------------------------------------- settings */

/* Sets key=value for shop (NULL = every shop, stored as '*') from business
 * day from_day on (INT64_MIN = from the beginning), replacing a value set
 * for the same (shop, key, from_day). The pair is validated with
 * kefu_settings_apply first (KEFU_EINVAL with the reason). */
int kefu_store_settings_set(kefu_store *st, const char *shop, const char *key, const char *value,
			    int64_t from_day, kefu_err *err);
/*
 * Builds shop's versions (shop NULL = only the '*' rows): one version per
 * distinct from_day among the rows of that shop and of '*', each equal to
 * base overlaid with every row whose from_day <= that day ('*' rows first,
 * then the shop's, each in from_day order). When no row is from the
 * beginning, a first version equal to base covers the days before the
 * earliest from_day (it has from_day INT64_MIN). out is overwritten (the
 * caller clears it with kefu_settings_versions_clear).
 */
int kefu_store_settings_versions(kefu_store *st, const char *shop, const kefu_settings *base,
				 kefu_settings_versions *out, kefu_err *err);
/* The latest version of shop's settings over the defaults (what imports and
 * exports use for naive timestamps). out must be released with
 * kefu_settings_clear. */
int kefu_store_settings_latest(kefu_store *st, const char *shop, kefu_settings *out,
			       kefu_err *err);

/* ---------------------------------------------------------------- export */

/*
 * Writes every stored row of kind (messages, orders, ratings, evals,
 * agents, presence) as canonical CSV with a header (formats.md column
 * order), sorted by key, RFC 4180 quoting, money with 2 decimals, times as
 * local "YYYY-MM-DD HH:MM:SS" in the shop's latest tz setting (presence:
 * the '*' setting); an instant whose local time is ambiguous (DST overlap)
 * is written in ISO 8601 with its offset so that re-importing gives the
 * same instant. Write errors are KEFU_EIO.
 */
int kefu_store_export(kefu_store *st, kefu_kind kind, FILE *out, kefu_err *err);

/* Number of stored rows of a kind (tests, summaries). */
int kefu_store_count(kefu_store *st, kefu_kind kind, int64_t *n, kefu_err *err);

#ifdef __cplusplus
}
#endif
#endif
