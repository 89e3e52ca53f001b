/*
 * pg_push.c - `kefu push`: one PostgreSQL transaction that brings a
 * PostgreSQL schema up to date with a store (pg_push.h, docs/SCALE.md).
 *
 * Rows travel by COPY in text format through a 1 MB buffer; orders and the
 * other keyed kinds go to a temporary table first and are upserted from
 * there, so PostgreSQL itself says which rows were added, updated or
 * unchanged. The store is read inside one read transaction, so a push sees
 * one committed state of it even while an import runs.
 */
#include "kefu/pg_push.h"

#include <libpq-fe.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/msgseg.h"
#include "kefu/record.h"
#include "kefu/settings.h"
#include "kefu/table.h"
#include "kefu/tz.h"
#include "pg_conn.h"

#define COPY_FLUSH (1u << 20)

const char *kefu_pg_kind_name(int kind)
{
	static const char *const names[KEFU_PG_KIND_COUNT] = {
		"messages", "orders", "ratings", "evals", "agents", "presence", "settings"};
	return kind >= 0 && kind < KEFU_PG_KIND_COUNT ? names[kind] : "?";
}

int kefu_pg_schema_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 63 || (name[0] >= '0' && name[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_'))
			return 0;
	return 1;
}

size_t kefu_pg_copy_escape(char *dst, const char *src, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		switch (c) {
		case '\0': return (size_t)-1;
		case '\\': dst[o++] = '\\'; dst[o++] = '\\'; break;
		case '\t': dst[o++] = '\\'; dst[o++] = 't'; break;
		case '\n': dst[o++] = '\\'; dst[o++] = 'n'; break;
		case '\r': dst[o++] = '\\'; dst[o++] = 'r'; break;
		default: dst[o++] = c; break;
		}
	}
	return o;
}

/* ------------------------------------------------------------ store id */

static const char identity_sql[] =
	"CREATE TABLE IF NOT EXISTS push_identity(one INTEGER PRIMARY KEY CHECK(one = 1),"
	" store_id TEXT NOT NULL) STRICT;";

static int sqlite_fail(sqlite3 *db, kefu_err *err, const char *what)
{
	return kefu_err_set(err, KEFU_ESTORE, "%s: %s", what, sqlite3_errmsg(db));
}

static int read_store_id(sqlite3 *db, char out[33], int *found, kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	*found = 0;
	if (sqlite3_prepare_v2(db, "SELECT store_id FROM push_identity WHERE one = 1", -1, &s,
			       NULL) != SQLITE_OK)
		return sqlite_fail(db, err, "store id");
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		if (v && strlen(v) == 32) {
			memcpy(out, v, 33);
			*found = 1;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_fail(db, err, "store id");
	return 0;
}

int kefu_pg_store_id(kefu_store *st, char out[33], kefu_err *err)
{
	int rc, found;
	if ((rc = kefu_store_ensure_module(st, "push", 1, identity_sql, err)))
		return rc;
	sqlite3 *db = kefu_store_sqlite(st);
	if ((rc = read_store_id(db, out, &found, err)) || found)
		return rc;
	if (sodium_init() < 0)
		return kefu_err_set(err, KEFU_EIO, "libsodium failed to initialize");
	unsigned char raw[16];
	char hex[33];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
	sqlite3_stmt *s = NULL;
	/* OR IGNORE: a concurrent first push may have written one already. */
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO push_identity VALUES(1, ?1)", -1, &s,
			       NULL) != SQLITE_OK)
		return sqlite_fail(db, err, "store id");
	sqlite3_bind_text(s, 1, hex, 32, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sqlite_fail(db, err, "store id");
	if ((rc = read_store_id(db, out, &found, err)))
		return rc;
	return found ? 0 : kefu_err_set(err, KEFU_ESTORE, "store id: not written");
}

/* ------------------------------------------------------------ postgres */

typedef struct push {
	pg_conn c;
	sqlite3 *db;
	const char *schema;
	char store_id[33];
	int64_t store_no; /* stores.store_no: the short id messages carry */
	char *buf; /* COPY buffer */
	size_t n, cap;
	kefu_err *err; /* = c.err */
} push;

/* ---------------------------------------------------------------- COPY */

static int copy_begin(push *p, const char *sql)
{
	PGresult *r = PQexec(p->c.pg, sql);
	int ok = PQresultStatus(r) == PGRES_COPY_IN;
	PQclear(r);
	p->n = 0;
	return ok ? 0 : pg_fail(&p->c, "COPY");
}

static int copy_flush(push *p)
{
	if (p->n && PQputCopyData(p->c.pg, p->buf, (int)p->n) != 1)
		return pg_fail(&p->c, "COPY");
	p->n = 0;
	return 0;
}

static int copy_end(push *p)
{
	int rc = copy_flush(p);
	if (rc) {
		PQputCopyEnd(p->c.pg, "kefu: push failed");
	} else if (PQputCopyEnd(p->c.pg, NULL) != 1) {
		rc = pg_fail(&p->c, "COPY");
	}
	PGresult *r;
	while ((r = PQgetResult(p->c.pg))) {
		if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pg_msg_fail(&p->c, "COPY", PQresultErrorMessage(r));
		PQclear(r);
	}
	return rc;
}

/* Room for `need` more bytes in the buffer (flushing first when full). */
static int copy_room(push *p, size_t need)
{
	if (p->n + need <= p->cap)
		return 0;
	int rc = copy_flush(p);
	if (rc)
		return rc;
	if (need > p->cap) {
		char *b = realloc(p->buf, need);
		if (!b)
			return kefu_err_set(p->err, KEFU_ENOMEM, "out of memory");
		p->buf = b;
		p->cap = need;
	}
	return 0;
}

/* Appends one field and its separator ('\t' or '\n'). */
static int copy_text(push *p, const char *s, size_t n, char sep)
{
	int rc = copy_room(p, 2 * n + 1);
	if (rc)
		return rc;
	size_t w = kefu_pg_copy_escape(p->buf + p->n, s, n);
	if (w == (size_t)-1)
		return kefu_err_set(p->err, KEFU_EINVAL,
				    "a stored text holds a NUL byte, which PostgreSQL cannot store");
	p->n += w;
	p->buf[p->n++] = sep;
	return 0;
}

static int copy_int(push *p, int64_t v, char sep)
{
	int rc = copy_room(p, 24);
	if (rc)
		return rc;
	p->n += (size_t)snprintf(p->buf + p->n, 24, "%lld%c", (long long)v, sep);
	return 0;
}

static int copy_null(push *p, char sep)
{
	int rc = copy_room(p, 3);
	if (rc)
		return rc;
	p->buf[p->n++] = '\\';
	p->buf[p->n++] = 'N';
	p->buf[p->n++] = sep;
	return 0;
}

/* Sends every row of a SQLite query as COPY rows (integers, texts, NULLs). */
static int copy_query(push *p, const char *sql, long *rows)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sqlite_fail(p->db, p->err, "read store");
	int ncol = sqlite3_column_count(s), rc = 0, step;
	*rows = 0;
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		for (int c = 0; c < ncol && !rc; c++) {
			char sep = c + 1 == ncol ? '\n' : '\t';
			switch (sqlite3_column_type(s, c)) {
			case SQLITE_NULL: rc = copy_null(p, sep); break;
			case SQLITE_INTEGER: rc = copy_int(p, sqlite3_column_int64(s, c), sep); break;
			case SQLITE_TEXT:
				rc = copy_text(p, (const char *)sqlite3_column_text(s, c),
					       (size_t)sqlite3_column_bytes(s, c), sep);
				break;
			default:
				rc = kefu_err_set(p->err, KEFU_ESTORE,
						  "read store: unexpected value type in column %d", c);
				break;
			}
		}
		(*rows)++;
	}
	if (!rc && step != SQLITE_DONE)
		rc = sqlite_fail(p->db, p->err, "read store");
	sqlite3_finalize(s);
	return rc;
}

/* -------------------------------------------------------------- schema */

/* Created once per schema version, under an advisory lock so that two
 * first pushes do not race. Texts that are keys compare in byte order
 * (COLLATE "C"), as kefu and the published SQL do. */
static const char schema_fmt[] =
	"CREATE SCHEMA IF NOT EXISTS %1$s;"
	"CREATE TABLE IF NOT EXISTS %1$s.kefu_meta(key text PRIMARY KEY, value text NOT NULL);"
	"CREATE TABLE IF NOT EXISTS %1$s.stores(store_id text PRIMARY KEY,"
	" store_no integer GENERATED ALWAYS AS IDENTITY UNIQUE,"
	" first_push timestamptz NOT NULL DEFAULT now(),"
	" last_push timestamptz NOT NULL DEFAULT now(),"
	" last_segment bigint NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS %1$s.shops(shop text COLLATE \"C\" PRIMARY KEY,"
	" store_id text NOT NULL REFERENCES %1$s.stores, tz text NOT NULL);"
	"CREATE TABLE IF NOT EXISTS %1$s.messages(store_no integer NOT NULL, seg bigint NOT NULL,"
	" row integer NOT NULL, shop text COLLATE \"C\" NOT NULL, buyer text COLLATE \"C\" NOT NULL,"
	" agent text COLLATE \"C\" NOT NULL, dir char(1) NOT NULL CHECK (dir IN ('B', 'S', 'A')),"
	" ts bigint NOT NULL, text text COLLATE \"C\" NOT NULL, PRIMARY KEY (store_no, seg, row));"
	"CREATE INDEX IF NOT EXISTS messages_shop_ts ON %1$s.messages(shop, ts);"
	"CREATE TABLE IF NOT EXISTS %1$s.orders(shop text COLLATE \"C\" NOT NULL,"
	" order_id text COLLATE \"C\" NOT NULL, buyer text COLLATE \"C\" NOT NULL,"
	" created bigint NOT NULL, paid bigint, amount_fen bigint NOT NULL, items bigint NOT NULL,"
	" status text NOT NULL, refund_fen bigint NOT NULL, PRIMARY KEY (shop, order_id));"
	"CREATE TABLE IF NOT EXISTS %1$s.ratings(shop text COLLATE \"C\" NOT NULL,"
	" order_id text COLLATE \"C\" NOT NULL, buyer text COLLATE \"C\" NOT NULL,"
	" ts bigint NOT NULL, dsr_desc smallint NOT NULL, dsr_service smallint NOT NULL,"
	" dsr_shipping smallint NOT NULL, PRIMARY KEY (shop, order_id));"
	"CREATE TABLE IF NOT EXISTS %1$s.evals(shop text COLLATE \"C\" NOT NULL,"
	" agent text COLLATE \"C\" NOT NULL, buyer text COLLATE \"C\" NOT NULL, ts bigint NOT NULL,"
	" level smallint NOT NULL, PRIMARY KEY (shop, agent, buyer, ts));"
	"CREATE TABLE IF NOT EXISTS %1$s.agents(agent text COLLATE \"C\" PRIMARY KEY,"
	" vendor text NOT NULL, team text NOT NULL, name text NOT NULL, from_day bigint,"
	" to_day bigint, base_month_fen bigint, commission_rate text);"
	"CREATE TABLE IF NOT EXISTS %1$s.presence(agent text COLLATE \"C\" NOT NULL,"
	" login bigint NOT NULL, logout bigint NOT NULL, PRIMARY KEY (agent, login, logout));"
	"CREATE TABLE IF NOT EXISTS %1$s.settings(store_id text NOT NULL, shop text NOT NULL,"
	" key text NOT NULL, value text NOT NULL, from_day bigint NOT NULL,"
	" PRIMARY KEY (store_id, shop, key, from_day));"
	/* Local wall-clock seconds (as if UTC) of instant ts in zone tz: kefu
	 * writes fixed zones as "+HH:MM" and others by their Area/City name,
	 * which PostgreSQL knows from the same tz database. */
	"CREATE OR REPLACE FUNCTION %1$s.local_t(ts bigint, tz text) RETURNS bigint"
	" LANGUAGE sql STABLE STRICT AS $f$"
	" SELECT CASE WHEN tz ~ '^[+-][0-9]{2}:[0-9]{2}$' THEN ts"
	"  + (CASE WHEN left(tz, 1) = '-' THEN -1 ELSE 1 END)"
	"  * (substr(tz, 2, 2)::bigint * 3600 + substr(tz, 5, 2)::bigint * 60)"
	"  ELSE extract(epoch FROM to_timestamp(ts) AT TIME ZONE tz)::bigint END $f$;"
	"CREATE OR REPLACE VIEW %1$s.messages_local AS"
	" SELECT m.shop, m.buyer, m.agent, m.dir, m.ts, %1$s.local_t(m.ts, s.tz) AS t,"
	" to_char(to_timestamp(%1$s.local_t(m.ts, s.tz)) AT TIME ZONE 'UTC',"
	" 'YYYY-MM-DD HH24:MI:SS') AS ts_text, m.text"
	" FROM %1$s.messages m JOIN %1$s.shops s ON s.shop = m.shop;"
	"CREATE OR REPLACE VIEW %1$s.orders_local AS"
	" SELECT o.shop, o.order_id, o.buyer, o.created, %1$s.local_t(o.created, s.tz) AS created_t,"
	" to_char(to_timestamp(%1$s.local_t(o.created, s.tz)) AT TIME ZONE 'UTC',"
	" 'YYYY-MM-DD HH24:MI:SS') AS created_text, o.paid,"
	" %1$s.local_t(o.paid, s.tz) AS paid_t,"
	" to_char(to_timestamp(%1$s.local_t(o.paid, s.tz)) AT TIME ZONE 'UTC',"
	" 'YYYY-MM-DD HH24:MI:SS') AS paid_text,"
	" o.amount_fen, o.items, o.status, o.refund_fen"
	" FROM %1$s.orders o JOIN %1$s.shops s ON s.shop = o.shop;"
	"INSERT INTO %1$s.kefu_meta VALUES ('schema_version', '1')"
	" ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;"
	/* names this schema for `kefu pull`'s incremental state */
	"INSERT INTO %1$s.kefu_meta VALUES ('schema_id', md5(random()::text || clock_timestamp()))"
	" ON CONFLICT (key) DO NOTHING;";

static int ensure_schema(push *p)
{
	int rc;
	/* One lock for every kefu schema of the database: DDL is rare. */
	if ((rc = pg_run(&p->c, "lock", "SELECT pg_advisory_xact_lock(4257872391)")))
		return rc;
	int64_t ver = 0;
	if ((rc = pg_schema_version(&p->c, p->schema, &ver)))
		return rc;
	if (ver > KEFU_PG_SCHEMA_VERSION)
		return kefu_err_set(p->err, KEFU_EINVAL,
				    "PostgreSQL schema %s is at version %lld, newer than this kefu "
				    "(%d): upgrade kefu",
				    p->schema, (long long)ver, KEFU_PG_SCHEMA_VERSION);
	if (ver == KEFU_PG_SCHEMA_VERSION)
		return 0;
	size_t cap = sizeof schema_fmt + 64 * strlen(p->schema);
	char *ddl = malloc(cap);
	if (!ddl)
		return kefu_err_set(p->err, KEFU_ENOMEM, "out of memory");
	snprintf(ddl, cap, schema_fmt, p->schema);
	rc = pg_run(&p->c, "create schema", ddl);
	free(ddl);
	return rc;
}

/* -------------------------------------------------------------- shops */

/* Claims the store's shops (refusing any held by another store) and sets
 * their time zones; *n = number of shops. */
static int push_shops(push *p, kefu_store *st, long *n)
{
	char sql[512];
	int rc;
	snprintf(sql, sizeof sql,
		 "CREATE TEMP TABLE kefu_t_shops(shop text COLLATE \"C\", tz text) ON COMMIT DROP");
	if ((rc = pg_run(&p->c, "shops", sql)) ||
	    (rc = copy_begin(p, "COPY kefu_t_shops FROM STDIN")))
		return rc;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(p->db, "SELECT name FROM dim_shop ORDER BY name", -1, &s, NULL) !=
	    SQLITE_OK) {
		rc = sqlite_fail(p->db, p->err, "read shops");
		copy_end(p);
		return rc;
	}
	*n = 0;
	int step;
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		kefu_settings set;
		memset(&set, 0, sizeof set);
		if ((rc = kefu_store_settings_latest(st, name, &set, p->err)))
			break;
		/* fixed zones in one spelling, whatever the setting said */
		char fixed[16];
		int32_t off;
		const char *tz = kefu_tz_name(set.tz);
		if (kefu_tz_fixed(set.tz, &off)) {
			int32_t a = off < 0 ? -off : off;
			snprintf(fixed, sizeof fixed, "%c%02d:%02d", off < 0 ? '-' : '+',
				 (int)(a / 3600 % 100), (int)(a / 60 % 60));
			tz = fixed;
		}
		rc = copy_text(p, name, (size_t)sqlite3_column_bytes(s, 0), '\t');
		if (!rc)
			rc = copy_text(p, tz, strlen(tz), '\n');
		kefu_settings_clear(&set);
		(*n)++;
	}
	if (!rc && step != SQLITE_DONE)
		rc = sqlite_fail(p->db, p->err, "read shops");
	sqlite3_finalize(s);
	int rc2 = copy_end(p);
	if (rc || (rc = rc2))
		return rc;
	const char *params[] = {p->store_id};
	PGresult *r = NULL;
	snprintf(sql, sizeof sql,
		 "SELECT s.shop, s.store_id FROM %s.shops s JOIN kefu_t_shops t ON t.shop = s.shop"
		 " WHERE s.store_id <> $1 ORDER BY s.shop LIMIT 1",
		 p->schema);
	if ((rc = pg_exec(&p->c, "shops", sql, 1, params, &r)))
		return rc;
	if (PQntuples(r) > 0) {
		rc = kefu_err_set(p->err, KEFU_EINVAL,
				  "shop '%s' is pushed by another store (%s); a shop's data must "
				  "come from one store (docs/SCALE.md)",
				  PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
		PQclear(r);
		return rc;
	}
	PQclear(r);
	snprintf(sql, sizeof sql,
		 "INSERT INTO %s.shops(shop, store_id, tz) SELECT shop, $1, tz FROM kefu_t_shops"
		 " ON CONFLICT (shop) DO UPDATE SET tz = EXCLUDED.tz",
		 p->schema);
	return pg_exec(&p->c, "shops", sql, 1, params, NULL);
}

/* ----------------------------------------------------------- messages */

/* Names of one dimension, indexed by id. */
typedef struct names {
	char **v;
	size_t *len;
	size_t n;
} names;

static void names_free(names *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	free(d->len);
	memset(d, 0, sizeof *d);
}

static int names_load(push *p, const char *table, names *d)
{
	char sql[128];
	sqlite3_stmt *s = NULL;
	snprintf(sql, sizeof sql, "SELECT coalesce(max(id), 0) FROM %s", table);
	if (sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sqlite_fail(p->db, p->err, table);
	int64_t max = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_finalize(s);
	if (max < 0 || (uint64_t)max >= UINT32_MAX)
		return sqlite_fail(p->db, p->err, table);
	d->n = (size_t)max + 1;
	d->v = calloc(d->n, sizeof *d->v);
	d->len = calloc(d->n, sizeof *d->len);
	if (!d->v || !d->len)
		return kefu_err_set(p->err, KEFU_ENOMEM, "out of memory");
	snprintf(sql, sizeof sql, "SELECT id, name FROM %s", table);
	if (sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sqlite_fail(p->db, p->err, table);
	int rc = 0, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		size_t len = (size_t)sqlite3_column_bytes(s, 1);
		if (id < 0 || (size_t)id >= d->n || !(d->v[id] = malloc(len + 1))) {
			rc = kefu_err_set(p->err, KEFU_ENOMEM, "out of memory");
			break;
		}
		memcpy(d->v[id], sqlite3_column_text(s, 1), len);
		d->v[id][len] = '\0';
		d->len[id] = len;
	}
	if (!rc && step != SQLITE_DONE)
		rc = sqlite_fail(p->db, p->err, table);
	sqlite3_finalize(s);
	return rc;
}

typedef struct msg_ctx {
	push *p;
	names dim[3]; /* shop, agent, buyer */
	long rows, segments;
	int64_t last_seg;
} msg_ctx;

static int name_field(msg_ctx *m, int d, uint32_t id, char sep)
{
	names *n = &m->dim[d];
	if (id >= n->n || !n->v[id])
		return kefu_err_set(m->p->err, KEFU_ESTORE, "message refers to unknown name id %u",
				    id);
	return copy_text(m->p, n->v[id], n->len[id], sep);
}

static int copy_segment(void *ctx, const kefu_msgseg *seg, kefu_err *err)
{
	msg_ctx *m = ctx;
	push *p = m->p;
	(void)err;
	static const char dirs[] = {'B', 'S', 'A'};
	int rc = 0;
	for (size_t i = 0; i < seg->n && !rc; i++) {
		if (seg->dir[i] > KEFU_DIR_A)
			return kefu_err_set(p->err, KEFU_ESTORE, "message segment %lld is damaged",
					    (long long)seg->id);
		if ((rc = copy_room(p, 64)))
			break;
		p->n += (size_t)snprintf(p->buf + p->n, 64, "%lld\t%lld\t%zu\t",
					 (long long)p->store_no, (long long)seg->id, i);
		if ((rc = name_field(m, 0, seg->shop[i], '\t')) ||
		    (rc = name_field(m, 2, seg->buyer[i], '\t')) ||
		    (rc = name_field(m, 1, seg->agent[i], '\t')) || (rc = copy_room(p, 32)))
			break;
		p->n += (size_t)snprintf(p->buf + p->n, 32, "%c\t%lld\t", dirs[seg->dir[i]],
					 (long long)seg->ts[i]);
		rc = copy_text(p, seg->text + seg->text_off[i],
			       (size_t)(seg->text_off[i + 1] - seg->text_off[i]), '\n');
	}
	m->rows += (long)seg->n;
	m->segments++;
	if (seg->id > m->last_seg)
		m->last_seg = seg->id;
	return rc;
}

static int push_messages(push *p, int64_t after, kefu_pg_push_stats *out)
{
	msg_ctx m;
	memset(&m, 0, sizeof m);
	m.p = p;
	m.last_seg = after;
	int rc;
	if ((rc = names_load(p, "dim_shop", &m.dim[0])) ||
	    (rc = names_load(p, "dim_agent", &m.dim[1])) ||
	    (rc = names_load(p, "dim_buyer", &m.dim[2])))
		goto done;
	char sql[256];
	snprintf(sql, sizeof sql,
		 "COPY %s.messages(store_no, seg, row, shop, buyer, agent, dir, ts, text)"
		 " FROM STDIN",
		 p->schema);
	if ((rc = copy_begin(p, sql)))
		goto done;
	kefu_msgseg_filter f = KEFU_MSGSEG_ALL;
	f.id_lo = after + 1;
	kefu_msgseg seg;
	memset(&seg, 0, sizeof seg);
	rc = kefu_msgseg_scan(p->db, &f, &seg, copy_segment, &m, p->err);
	kefu_msgseg_free(&seg);
	int rc2 = copy_end(p);
	if (rc || (rc = rc2))
		goto done;
	const char *params[] = {p->store_id, NULL};
	char last[24];
	snprintf(last, sizeof last, "%lld", (long long)m.last_seg);
	params[1] = last;
	snprintf(sql, sizeof sql,
		 "UPDATE %s.stores SET last_segment = $2, last_push = now() WHERE store_id = $1",
		 p->schema);
	if ((rc = pg_exec(&p->c, "stores", sql, 2, params, NULL)))
		goto done;
	out->segments = m.segments;
	out->kind[KEFU_PG_MESSAGES].sent = m.rows;
	out->kind[KEFU_PG_MESSAGES].added = m.rows;
done:
	for (int d = 0; d < 3; d++)
		names_free(&m.dim[d]);
	return rc;
}

/* ------------------------------------------------------- keyed kinds */

typedef struct keyed_kind {
	int kind;
	const char *table;
	const char *const *cols; /* NULL-terminated; the first nkey are the key */
	int nkey;
	const char *sqlite; /* one row per stored row, columns as cols */
} keyed_kind;

static const char *const order_cols[] = {"shop",       "order_id", "buyer",
					 "created",    "paid",     "amount_fen",
					 "items",      "status",   "refund_fen",
					 NULL};
static const char *const rating_cols[] = {"shop",     "order_id",    "buyer",        "ts",
					  "dsr_desc", "dsr_service", "dsr_shipping", NULL};
static const char *const eval_cols[] = {"shop", "agent", "buyer", "ts", "level", NULL};
static const char *const agent_cols[] = {"agent",   "vendor", "team",
					 "name",    "from_day", "to_day",
					 "base_month_fen", "commission_rate", NULL};
static const char *const presence_cols[] = {"agent", "login", "logout", NULL};

static const keyed_kind keyed[] = {
	{KEFU_PG_ORDERS, "orders", order_cols, 2,
	 "SELECT s.name, o.order_id, b.name, o.created, o.paid, o.amount, o.items, o.status,"
	 " o.refund FROM orders o JOIN dim_shop s ON s.id = o.shop_id"
	 " JOIN dim_buyer b ON b.id = o.buyer_id"},
	{KEFU_PG_RATINGS, "ratings", rating_cols, 2,
	 "SELECT s.name, r.order_id, b.name, r.ts, r.dsr_desc, r.dsr_service, r.dsr_shipping"
	 " FROM ratings r JOIN dim_shop s ON s.id = r.shop_id JOIN dim_buyer b ON b.id = r.buyer_id"},
	{KEFU_PG_EVALS, "evals", eval_cols, 4,
	 "SELECT s.name, a.name, b.name, e.ts, e.level FROM evals e"
	 " JOIN dim_shop s ON s.id = e.shop_id JOIN dim_agent a ON a.id = e.agent_id"
	 " JOIN dim_buyer b ON b.id = e.buyer_id"},
	{KEFU_PG_AGENTS, "agents", agent_cols, 1,
	 "SELECT a.name, r.vendor, r.team, r.name, r.from_day, r.to_day, r.base_month_fen,"
	 " r.commission_rate FROM roster r JOIN dim_agent a ON a.id = r.agent_id"},
	{KEFU_PG_PRESENCE, "presence", presence_cols, 3,
	 "SELECT a.name, p.login, p.logout FROM presence p JOIN dim_agent a ON a.id = p.agent_id"},
};

/* Appends s to the growing string *b (NULL-safe, returns nonzero on ENOMEM). */
static int cat(char **b, size_t *n, size_t *cap, const char *s)
{
	size_t l = strlen(s);
	if (*n + l + 1 > *cap) {
		size_t c = (*cap ? *cap * 2 : 1024) + l;
		char *nb = realloc(*b, c);
		if (!nb)
			return -1;
		*b = nb;
		*cap = c;
	}
	memcpy(*b + *n, s, l + 1);
	*n += l;
	return 0;
}

/* The upsert of kind k from its temporary table: changed rows are
 * updated, equal ones left alone; returns (added, updated). */
static char *upsert_sql(const push *p, const keyed_kind *k)
{
	char *b = NULL, part[256];
	size_t n = 0, cap = 0;
	int ncol = 0, bad = 0;
	while (k->cols[ncol])
		ncol++;
	snprintf(part, sizeof part,
		 "WITH up AS (INSERT INTO %s.%s AS t SELECT * FROM kefu_t_%s ON CONFLICT (",
		 p->schema, k->table, k->table);
	bad |= cat(&b, &n, &cap, part);
	for (int c = 0; c < k->nkey; c++)
		bad |= cat(&b, &n, &cap, c ? ", " : "") | cat(&b, &n, &cap, k->cols[c]);
	if (k->nkey == ncol) {
		bad |= cat(&b, &n, &cap, ") DO NOTHING");
	} else {
		bad |= cat(&b, &n, &cap, ") DO UPDATE SET ");
		for (int c = k->nkey; c < ncol; c++) {
			snprintf(part, sizeof part, "%s%s = EXCLUDED.%s", c > k->nkey ? ", " : "",
				 k->cols[c], k->cols[c]);
			bad |= cat(&b, &n, &cap, part);
		}
		bad |= cat(&b, &n, &cap, " WHERE (");
		for (int c = k->nkey; c < ncol; c++) {
			snprintf(part, sizeof part, "%st.%s", c > k->nkey ? ", " : "", k->cols[c]);
			bad |= cat(&b, &n, &cap, part);
		}
		bad |= cat(&b, &n, &cap, ") IS DISTINCT FROM (");
		for (int c = k->nkey; c < ncol; c++) {
			snprintf(part, sizeof part, "%sEXCLUDED.%s", c > k->nkey ? ", " : "",
				 k->cols[c]);
			bad |= cat(&b, &n, &cap, part);
		}
		bad |= cat(&b, &n, &cap, ")");
	}
	/* xmax is 0 for a row this statement inserted, the locker otherwise */
	bad |= cat(&b, &n, &cap,
		   " RETURNING (xmax = 0) AS ins) SELECT count(*) FILTER (WHERE ins),"
		   " count(*) FILTER (WHERE NOT ins) FROM up");
	if (bad) {
		free(b);
		return NULL;
	}
	return b;
}

static int push_keyed(push *p, const keyed_kind *k, kefu_pg_push_counts *c)
{
	char sql[256];
	int rc;
	snprintf(sql, sizeof sql,
		 "CREATE TEMP TABLE kefu_t_%s (LIKE %s.%s INCLUDING DEFAULTS) ON COMMIT DROP",
		 k->table, p->schema, k->table);
	if ((rc = pg_run(&p->c, k->table, sql)))
		return rc;
	snprintf(sql, sizeof sql, "COPY kefu_t_%s FROM STDIN", k->table);
	if ((rc = copy_begin(p, sql)))
		return rc;
	rc = copy_query(p, k->sqlite, &c->sent);
	int rc2 = copy_end(p);
	if (rc || (rc = rc2))
		return rc;
	char *up = upsert_sql(p, k);
	if (!up)
		return kefu_err_set(p->err, KEFU_ENOMEM, "out of memory");
	PGresult *r = NULL;
	rc = pg_exec(&p->c, k->table, up, 0, NULL, &r);
	free(up);
	if (rc)
		return rc;
	c->added = (long)pg_int(r, 0, 0);
	c->updated = (long)pg_int(r, 0, 1);
	c->unchanged = c->sent - c->added - c->updated;
	PQclear(r);
	return 0;
}

/* Settings are few: this store's rows are replaced. */
static int push_settings(push *p, kefu_pg_push_counts *c)
{
	char sql[256];
	int rc;
	const char *params[] = {p->store_id};
	snprintf(sql, sizeof sql, "DELETE FROM %s.settings WHERE store_id = $1", p->schema);
	if ((rc = pg_exec(&p->c, "settings", sql, 1, params, NULL)))
		return rc;
	snprintf(sql, sizeof sql, "COPY %s.settings(store_id, shop, key, value, from_day) FROM STDIN",
		 p->schema);
	if ((rc = copy_begin(p, sql)))
		return rc;
	char q[160];
	snprintf(q, sizeof q, "SELECT '%s', shop, key, value, from_day FROM settings", p->store_id);
	rc = copy_query(p, q, &c->sent);
	int rc2 = copy_end(p);
	c->added = c->sent;
	return rc ? rc : rc2;
}

/* ----------------------------------------------------------- kpi_daily */

/* PostgreSQL type of a table column: exact numbers stay exact (numeric
 * keeps the decimal text kefu writes), the day is a date. */
static const char *kpi_type(const kefu_column *c)
{
	if (!strcmp(c->name, "day"))
		return "date";
	switch (c->type) {
	case KEFU_T_TEXT: return "text COLLATE \"C\"";
	case KEFU_T_INT:
	case KEFU_T_FEN:
	case KEFU_T_FLAG: return "bigint";
	default: return "numeric";
	}
}

/* Creates kpi_daily from the table's columns, or checks that the existing
 * one has the same columns in the same order. */
static int kpi_table(push *p, const kefu_table *t)
{
	char *sql = NULL, part[256];
	size_t n = 0, cap = 0;
	int bad = 0, rc;
	if (kefu_table_col(t, "shop") != 0 || kefu_table_col(t, "agent") != 1 ||
	    kefu_table_col(t, "day") != 2)
		return kefu_err_set(p->err, KEFU_EINVAL,
				    "kpi_daily: the KPI table must start with shop, agent, day");
	for (size_t c = 0; c < t->ncols; c++)
		if (!kefu_pg_schema_ok(t->cols[c].name))
			return kefu_err_set(p->err, KEFU_EINVAL, "kpi_daily: column name '%s'",
					    t->cols[c].name);
	snprintf(part, sizeof part, "CREATE TABLE IF NOT EXISTS %s.kpi_daily(store_no integer NOT NULL",
		 p->schema);
	bad |= cat(&sql, &n, &cap, part);
	for (size_t c = 0; c < t->ncols; c++) {
		snprintf(part, sizeof part, ", %s %s%s", t->cols[c].name, kpi_type(&t->cols[c]),
			 c < 3 ? " NOT NULL" : "");
		bad |= cat(&sql, &n, &cap, part);
	}
	bad |= cat(&sql, &n, &cap, ", PRIMARY KEY (shop, agent, day))");
	if (bad) {
		free(sql);
		return kefu_err_set(p->err, KEFU_ENOMEM, "out of memory");
	}
	rc = pg_run(&p->c, "kpi_daily", sql);
	free(sql);
	if (rc)
		return rc;
	/* a table made by another kefu version may have other columns */
	PGresult *r = NULL;
	const char *params[] = {p->schema};
	if ((rc = pg_exec(&p->c, "kpi_daily",
			  "SELECT column_name FROM information_schema.columns WHERE table_schema = $1"
			  " AND table_name = 'kpi_daily' ORDER BY ordinal_position",
			  1, params, &r)))
		return rc;
	int same = (size_t)PQntuples(r) == t->ncols + 1;
	for (size_t c = 0; same && c < t->ncols; c++)
		same = !strcmp(PQgetvalue(r, (int)c + 1, 0), t->cols[c].name);
	PQclear(r);
	if (!same)
		return kefu_err_set(p->err, KEFU_EINVAL,
				    "%s.kpi_daily has other columns than this kefu's KPI table "
				    "(made by another version?): drop it, or push into another schema",
				    p->schema);
	return 0;
}

/* Replaces the rows of this store's shops in kpi_daily with t's rows. */
static int push_kpi(push *p, const kefu_table *t, long *rows)
{
	char sql[256];
	int rc;
	if ((rc = kpi_table(p, t)))
		return rc;
	snprintf(sql, sizeof sql,
		 "DELETE FROM %s.kpi_daily WHERE shop IN (SELECT shop FROM kefu_t_shops)",
		 p->schema);
	if ((rc = pg_run(&p->c, "kpi_daily", sql)))
		return rc;
	snprintf(sql, sizeof sql, "COPY %s.kpi_daily FROM STDIN", p->schema);
	if ((rc = copy_begin(p, sql)))
		return rc;
	char buf[128];
	for (size_t r = 0; r < t->nrows && !rc; r++) {
		rc = copy_int(p, p->store_no, '\t');
		for (size_t c = 0; c < t->ncols && !rc; c++) {
			const kefu_cell *cell = kefu_table_cell(t, r, c);
			char sep = c + 1 == t->ncols ? '\n' : '\t';
			if (cell->empty) {
				rc = copy_null(p, sep);
			} else if (t->cols[c].type == KEFU_T_TEXT) {
				const char *v = cell->text ? cell->text : "";
				rc = copy_text(p, v, strlen(v), sep);
			} else {
				kefu_cell_format(&t->cols[c], cell, 0, buf, sizeof buf);
				rc = copy_text(p, buf, strlen(buf), sep);
			}
		}
	}
	int rc2 = copy_end(p);
	if (!rc && !rc2)
		*rows = (long)t->nrows;
	return rc ? rc : rc2;
}

/* ---------------------------------------------------------------- push */

static int push_all(push *p, kefu_store *st, const kefu_table *kpi, kefu_pg_push_stats *out)
{
	int rc;
	char sql[256];
	PGresult *r = NULL;
	const char *params[] = {p->store_id};
	if ((rc = pg_run(&p->c, "begin", "BEGIN")) || (rc = ensure_schema(p)))
		return rc;
	snprintf(sql, sizeof sql,
		 "INSERT INTO %s.stores(store_id) VALUES ($1) ON CONFLICT (store_id) DO NOTHING",
		 p->schema);
	if ((rc = pg_exec(&p->c, "stores", sql, 1, params, NULL)))
		return rc;
	/* FOR UPDATE: two pushes of one store take turns. */
	snprintf(sql, sizeof sql,
		 "SELECT last_segment, store_no FROM %s.stores WHERE store_id = $1 FOR UPDATE",
		 p->schema);
	if ((rc = pg_exec(&p->c, "stores", sql, 1, params, &r)))
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return kefu_err_set(p->err, KEFU_EIO, "PostgreSQL: stores: the store's row is missing");
	}
	int64_t after = pg_int(r, 0, 0);
	p->store_no = pg_int(r, 0, 1);
	PQclear(r);
	if (sqlite3_exec(p->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_fail(p->db, p->err, "read store");
	if (!(rc = push_shops(p, st, &out->shops)) && !(rc = push_messages(p, after, out))) {
		for (size_t i = 0; i < sizeof keyed / sizeof *keyed && !rc; i++)
			rc = push_keyed(p, &keyed[i], &out->kind[keyed[i].kind]);
		if (!rc)
			rc = push_settings(p, &out->kind[KEFU_PG_SETTINGS]);
		if (!rc && kpi)
			rc = push_kpi(p, kpi, &out->kpi_rows);
	}
	sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL);
	if (rc)
		return rc;
	return pg_run(&p->c, "commit", "COMMIT");
}

int kefu_pg_push(kefu_store *st, const kefu_pg_push_opts *o, kefu_pg_push_stats *out,
		 kefu_err *err)
{
	memset(out, 0, sizeof *out);
	push p;
	memset(&p, 0, sizeof p);
	p.err = err;
	p.schema = o->schema ? o->schema : "kefu";
	int rc;
	if ((rc = pg_schema_check(p.schema, err)))
		return rc;
	if ((rc = kefu_pg_store_id(st, p.store_id, err)))
		return rc;
	memcpy(out->store_id, p.store_id, sizeof out->store_id);
	p.db = kefu_store_sqlite(st);
	if ((rc = pg_connect(&p.c, o->conninfo, err)))
		return rc;
	p.cap = COPY_FLUSH;
	p.buf = malloc(p.cap);
	if (!p.buf) {
		pg_close(&p.c);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	rc = push_all(&p, st, o->kpi, out);
	/* On failure the open transaction dies with the connection. */
	pg_close(&p.c);
	free(p.buf);
	return rc;
}
