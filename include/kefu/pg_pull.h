/*
 * pg_pull.h - the other direction of pg_push.h: imports a PostgreSQL
 * schema written by `kefu push` (every shop, or some) into a local store,
 * so that every kefu command (kpi, report, bill, staff, qa, serve) runs
 * over the shops of many machines (docs/SCALE.md).
 *
 * A pull is one import run of the store (store.h): atomic, idempotent,
 * with the usual added / unchanged / updated counts. It reads PostgreSQL
 * in one REPEATABLE READ, READ ONLY transaction, so it sees each push
 * whole or not at all. Messages are pulled incrementally: the store
 * remembers, per source schema and shop, the last segment it pulled.
 * Settings come along as each shop's own rows, with the pushing store's
 * '*' rows folded in, so each shop's versions equal those of its own
 * store.
 *
 * Ownership: the caller owns the store; strings in the options are
 * borrowed for the call.
 */
#ifndef KEFU_PG_PULL_H
#define KEFU_PG_PULL_H

#include <stddef.h>

#include "kefu/common.h"
#include "kefu/record.h"
#include "kefu/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kefu_pg_pull_opts {
	const char *conninfo;	  /* as in kefu_pg_push_opts */
	const char *schema;	  /* NULL = "kefu" */
	const char *const *shops; /* only these shops (each must exist); NULL = every shop */
	size_t nshops;
} kefu_pg_pull_opts;

typedef struct kefu_pg_pull_stats {
	long shops;    /* shops pulled */
	long settings; /* settings rows written */
	/* the import run's counts per kind: kefu_store_import_stats() */
} kefu_pg_pull_stats;

/* Pulls into st. Failures: KEFU_EINVAL (bad schema name, no such schema
 * or shop, a schema newer than this kefu, a row kefu would not import,
 * named with its table and key), KEFU_EIO (PostgreSQL), KEFU_ESTORE.
 * The store is unchanged then. */
int kefu_pg_pull(kefu_store *st, const kefu_pg_pull_opts *o, kefu_pg_pull_stats *out,
		 kefu_err *err);

/* Parses one COPY text row of kind k (the columns pg_pull.c selects; row
 * without its newline, unescaped in place, so rec's strings point into it)
 * into rec. A row kefu would not import is -1 with *why set (static
 * text); 0 otherwise. */
int kefu_pg_parse_row(kefu_kind k, char *row, size_t n, kefu_record *rec, const char **why);

/* Unescapes one field of COPY's text format in place (\b \f \n \r \t \v
 * \\, octal \ooo, hex \xhh, any other escaped byte as itself); returns the
 * new length. The caller has already recognised \N (NULL). */
size_t kefu_pg_copy_unescape(char *s, size_t n);

#ifdef __cplusplus
}
#endif
#endif
