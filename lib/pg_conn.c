/*
 * pg_conn.c - libpq plumbing shared by push and pull (pg_conn.h).
 */
#include "pg_conn.h"

#include "kefu/pg_push.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PostgreSQL's notices ("relation ... already exists, skipping") are not
 * kefu's output: the library never prints. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int pg_connect(pg_conn *c, const char *conninfo, kefu_err *err)
{
	c->err = err;
	c->pg = PQconnectdb(conninfo ? conninfo : "");
	if (!c->pg)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	int rc = 0;
	if (PQstatus(c->pg) != CONNECTION_OK)
		rc = pg_fail(c, "cannot connect");
	else if (PQsetClientEncoding(c->pg, "UTF8") != 0)
		rc = pg_fail(c, "client encoding");
	else
		PQsetNoticeProcessor(c->pg, quiet, NULL);
	if (rc)
		pg_close(c);
	return rc;
}

void pg_close(pg_conn *c)
{
	if (c->pg)
		PQfinish(c->pg);
	c->pg = NULL;
}

int pg_msg_fail(pg_conn *c, const char *what, const char *m)
{
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	return kefu_err_set(c->err, KEFU_EIO, "PostgreSQL: %s: %.*s", what, (int)n, m);
}

int pg_fail(pg_conn *c, const char *what)
{
	return pg_msg_fail(c, what, PQerrorMessage(c->pg));
}

/* Checks a statement's result; keeps it in *res when res is not NULL. */
static int pg_done(pg_conn *c, const char *what, PGresult *r, PGresult **res)
{
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		int rc = pg_msg_fail(c, what, PQresultErrorMessage(r));
		PQclear(r);
		return rc;
	}
	if (res)
		*res = r;
	else
		PQclear(r);
	return 0;
}

int pg_exec(pg_conn *c, const char *what, const char *sql, int np, const char *const *params,
	    PGresult **res)
{
	return pg_done(c, what, PQexecParams(c->pg, sql, np, NULL, params, NULL, NULL, 0), res);
}

int pg_run(pg_conn *c, const char *what, const char *sql)
{
	return pg_done(c, what, PQexec(c->pg, sql), NULL);
}

int64_t pg_int(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

int pg_schema_version(pg_conn *c, const char *schema, int64_t *ver)
{
	char sql[256];
	PGresult *r = NULL;
	int rc;
	*ver = 0;
	/* schema names are checked ([a-z0-9_]) before they get here */
	snprintf(sql, sizeof sql, "SELECT to_regclass('%s.kefu_meta') IS NOT NULL", schema);
	if ((rc = pg_exec(c, "schema", sql, 0, NULL, &r)))
		return rc;
	int have = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (!have)
		return 0;
	snprintf(sql, sizeof sql, "SELECT value FROM %s.kefu_meta WHERE key = 'schema_version'",
		 schema);
	if ((rc = pg_exec(c, "schema", sql, 0, NULL, &r)))
		return rc;
	*ver = PQntuples(r) == 1 ? pg_int(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

int pg_schema_check(const char *schema, kefu_err *err)
{
	if (kefu_pg_schema_ok(schema))
		return 0;
	return kefu_err_set(err, KEFU_EINVAL,
			    "schema name '%s': use lower-case letters, digits and '_' "
			    "(at most 63, not starting with a digit)",
			    schema ? schema : "");
}
