/*
 * pg_conn.h - the libpq plumbing shared by `kefu push` and `kefu pull`
 * (internal to lib/): one connection in UTF-8, statements whose failure
 * becomes a kefu_err "PostgreSQL: what: message", and the version of a
 * kefu schema.
 *
 * Ownership: a pg_conn is the caller's; pg_close releases the connection
 * (an open transaction dies with it, which is how every failure rolls
 * back). err is borrowed for the connection's life.
 */
#ifndef KEFU_PG_CONN_H
#define KEFU_PG_CONN_H

#include <libpq-fe.h>
#include <stdint.h>

#include "kefu/common.h"

typedef struct pg_conn {
	PGconn *pg;
	kefu_err *err;
} pg_conn;

/* Connects (conninfo "" = libpq's PG* environment) with client encoding
 * UTF8. On failure the connection is closed and err says why. */
int pg_connect(pg_conn *c, const char *conninfo, kefu_err *err);
void pg_close(pg_conn *c);

/* err = "PostgreSQL: what: m" (m without its trailing newline); KEFU_EIO. */
int pg_msg_fail(pg_conn *c, const char *what, const char *m);
/* The same with the connection's last message. */
int pg_fail(pg_conn *c, const char *what);
/* One statement with text parameters params[0..np); the result goes to
 * *res when res is not NULL (caller PQclears it). */
int pg_exec(pg_conn *c, const char *what, const char *sql, int np, const char *const *params,
	    PGresult **res);
/* Statements without parameters, several per string allowed. */
int pg_run(pg_conn *c, const char *what, const char *sql);
/* A column as an integer (0 when NULL). */
int64_t pg_int(PGresult *r, int row, int col);
/* 0 when schema is a name kefu accepts (kefu_pg_schema_ok), else
 * KEFU_EINVAL saying what a name may hold. */
int pg_schema_check(const char *schema, kefu_err *err);
/* The kefu_meta schema_version of schema (0 when there is no such schema). */
int pg_schema_version(pg_conn *c, const char *schema, int64_t *ver);

#endif
