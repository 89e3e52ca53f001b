/*
 * store.c - the SQLite store's core: opening a database, creating and
 * checking the schema (STRICT tables, WAL, PRAGMA user_version), the table
 * of prepared statements reused by every operation, and the in-memory
 * caches of dimension ids (shop, agent and buyer names). The operations
 * themselves live in store_import.c, store_load.c, store_export.c and
 * store_settings.c. docs/STORE.md describes the schema.
 */
#include "store_int.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* 'KEFU' in PRAGMA application_id marks our databases. */
#define STORE_APP_ID 0x4b454655

/* The whole schema, version KEFU_STORE_SCHEMA_VERSION. Dimension tables
 * keep every name once; rows refer to them by id. */
static const char schema_sql[] =
	"CREATE TABLE dim_shop(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;"
	"CREATE TABLE dim_agent(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;"
	"CREATE TABLE dim_buyer(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;"
	/* one row per import run; finished is NULL only inside the run */
	"CREATE TABLE imports(id INTEGER PRIMARY KEY, started INTEGER NOT NULL,"
	" finished INTEGER, files INTEGER NOT NULL DEFAULT 0,"
	" bytes INTEGER NOT NULL DEFAULT 0) STRICT;"
	"CREATE TABLE import_files(run_id INTEGER NOT NULL REFERENCES imports(id),"
	" seq INTEGER NOT NULL, path TEXT NOT NULL, kind TEXT NOT NULL,"
	" rows_read INTEGER NOT NULL, rows_rejected INTEGER NOT NULL,"
	" bytes INTEGER NOT NULL, PRIMARY KEY(run_id, seq)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE import_counts(run_id INTEGER NOT NULL REFERENCES imports(id),"
	" kind TEXT NOT NULL, read INTEGER NOT NULL, added INTEGER NOT NULL,"
	" unchanged INTEGER NOT NULL, updated INTEGER NOT NULL,"
	" conflicts INTEGER NOT NULL, rejected INTEGER NOT NULL,"
	" PRIMARY KEY(run_id, kind)) STRICT, WITHOUT ROWID;"
	/* messages: columnar segments (msgseg.h, docs/STORE.md) */
	KEFU_MSGSEG_SCHEMA_SQL
	"CREATE TABLE orders(id INTEGER PRIMARY KEY,"
	" shop_id INTEGER NOT NULL REFERENCES dim_shop(id), order_id TEXT NOT NULL,"
	" buyer_id INTEGER NOT NULL REFERENCES dim_buyer(id),"
	" created INTEGER NOT NULL, paid INTEGER, amount INTEGER NOT NULL,"
	" items INTEGER NOT NULL, status TEXT NOT NULL, refund INTEGER NOT NULL,"
	" UNIQUE(shop_id, order_id)) STRICT;"
	"CREATE TABLE ratings(id INTEGER PRIMARY KEY,"
	" shop_id INTEGER NOT NULL REFERENCES dim_shop(id), order_id TEXT NOT NULL,"
	" buyer_id INTEGER NOT NULL REFERENCES dim_buyer(id), ts INTEGER NOT NULL,"
	" dsr_desc INTEGER NOT NULL CHECK(dsr_desc BETWEEN 1 AND 5),"
	" dsr_service INTEGER NOT NULL CHECK(dsr_service BETWEEN 1 AND 5),"
	" dsr_shipping INTEGER NOT NULL CHECK(dsr_shipping BETWEEN 1 AND 5),"
	" UNIQUE(shop_id, order_id)) STRICT;"
	"CREATE TABLE evals(id INTEGER PRIMARY KEY,"
	" shop_id INTEGER NOT NULL REFERENCES dim_shop(id),"
	" agent_id INTEGER NOT NULL REFERENCES dim_agent(id),"
	" buyer_id INTEGER NOT NULL REFERENCES dim_buyer(id), ts INTEGER NOT NULL,"
	" level INTEGER NOT NULL CHECK(level BETWEEN 1 AND 5),"
	" UNIQUE(shop_id, agent_id, buyer_id, ts)) STRICT;"
	/* roster: one row per agent; NULL = open date / no pay plan */
	"CREATE TABLE roster(agent_id INTEGER PRIMARY KEY REFERENCES dim_agent(id),"
	" vendor TEXT NOT NULL, team TEXT NOT NULL, name TEXT NOT NULL,"
	" from_day INTEGER, to_day INTEGER, base_month_fen INTEGER,"
	" commission_rate TEXT) STRICT;"
	"CREATE TABLE presence(id INTEGER PRIMARY KEY,"
	" agent_id INTEGER NOT NULL REFERENCES dim_agent(id),"
	" login INTEGER NOT NULL, logout INTEGER NOT NULL,"
	" UNIQUE(agent_id, login, logout)) STRICT;"
	/* old and new values of every update, as JSON objects */
	"CREATE TABLE audit(id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES imports(id), at INTEGER NOT NULL,"
	" kind TEXT NOT NULL, shop TEXT NOT NULL, key TEXT NOT NULL,"
	" file TEXT NOT NULL, line INTEGER NOT NULL,"
	" old TEXT NOT NULL, new TEXT NOT NULL) STRICT;"
	/* shop '*' = every shop; from_day = business day number, INT64_MIN =
	 * from the beginning */
	"CREATE TABLE settings(shop TEXT NOT NULL, key TEXT NOT NULL,"
	" value TEXT NOT NULL, from_day INTEGER NOT NULL,"
	" PRIMARY KEY(shop, key, from_day)) STRICT, WITHOUT ROWID;";

static const char *const stmt_sql[S_COUNT] = {
	[S_DIM_GET0] = "SELECT id FROM dim_shop WHERE name = ?1",
	[S_DIM_GET1] = "SELECT id FROM dim_agent WHERE name = ?1",
	[S_DIM_GET2] = "SELECT id FROM dim_buyer WHERE name = ?1",
	[S_DIM_ADD0] = "INSERT INTO dim_shop(name) VALUES(?1)",
	[S_DIM_ADD1] = "INSERT INTO dim_agent(name) VALUES(?1)",
	[S_DIM_ADD2] = "INSERT INTO dim_buyer(name) VALUES(?1)",

	[S_ORD_INS] = "INSERT INTO orders(shop_id, order_id, buyer_id, created, paid, amount,"
		      " items, status, refund) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		      " ON CONFLICT(shop_id, order_id) DO NOTHING",
	[S_ORD_GET] = "SELECT id, buyer_id, created, paid, amount, items, status, refund"
		      " FROM orders WHERE shop_id = ?1 AND order_id = ?2",
	[S_ORD_AUDIT] =
		"INSERT INTO audit(run_id, at, kind, shop, key, file, line, old, new)"
		" SELECT ?1, ?2, 'orders', s.name, o.order_id, ?3, ?4,"
		" json_object('buyer', b.name, 'created', o.created, 'paid', o.paid,"
		"  'amount', o.amount, 'items', o.items, 'status', o.status,"
		"  'refund', o.refund),"
		" json_object('buyer', ?5, 'created', ?6, 'paid', ?7, 'amount', ?8,"
		"  'items', ?9, 'status', ?10, 'refund', ?11)"
		" FROM orders o JOIN dim_shop s ON s.id = o.shop_id"
		" JOIN dim_buyer b ON b.id = o.buyer_id WHERE o.id = ?12",
	[S_ORD_UPD] = "UPDATE orders SET buyer_id = ?1, created = ?2, paid = ?3, amount = ?4,"
		      " items = ?5, status = ?6, refund = ?7 WHERE id = ?8",

	[S_RAT_INS] = "INSERT INTO ratings(shop_id, order_id, buyer_id, ts, dsr_desc,"
		      " dsr_service, dsr_shipping) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		      " ON CONFLICT(shop_id, order_id) DO NOTHING",
	[S_RAT_GET] = "SELECT id, buyer_id, ts, dsr_desc, dsr_service, dsr_shipping"
		      " FROM ratings WHERE shop_id = ?1 AND order_id = ?2",
	[S_RAT_AUDIT] =
		"INSERT INTO audit(run_id, at, kind, shop, key, file, line, old, new)"
		" SELECT ?1, ?2, 'ratings', s.name, r.order_id, ?3, ?4,"
		" json_object('buyer', b.name, 'ts', r.ts, 'desc', r.dsr_desc,"
		"  'service', r.dsr_service, 'shipping', r.dsr_shipping),"
		" json_object('buyer', ?5, 'ts', ?6, 'desc', ?7, 'service', ?8,"
		"  'shipping', ?9)"
		" FROM ratings r JOIN dim_shop s ON s.id = r.shop_id"
		" JOIN dim_buyer b ON b.id = r.buyer_id WHERE r.id = ?10",
	[S_RAT_UPD] = "UPDATE ratings SET buyer_id = ?1, ts = ?2, dsr_desc = ?3,"
		      " dsr_service = ?4, dsr_shipping = ?5 WHERE id = ?6",

	[S_EV_INS] = "INSERT INTO evals(shop_id, agent_id, buyer_id, ts, level)"
		     " VALUES(?1, ?2, ?3, ?4, ?5)"
		     " ON CONFLICT(shop_id, agent_id, buyer_id, ts) DO NOTHING",
	[S_EV_GET] = "SELECT level FROM evals WHERE shop_id = ?1 AND agent_id = ?2"
		     " AND buyer_id = ?3 AND ts = ?4",

	[S_ROS_INS] = "INSERT INTO roster(agent_id, vendor, team, name, from_day, to_day,"
		      " base_month_fen, commission_rate) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		      " ON CONFLICT(agent_id) DO NOTHING",
	[S_ROS_GET] = "SELECT vendor, team, name, from_day, to_day, base_month_fen,"
		      " commission_rate FROM roster WHERE agent_id = ?1",
	[S_ROS_AUDIT] =
		"INSERT INTO audit(run_id, at, kind, shop, key, file, line, old, new)"
		" SELECT ?1, ?2, 'agents', '', a.name, ?3, ?4,"
		" json_object('vendor', r.vendor, 'team', r.team, 'name', r.name,"
		"  'from', r.from_day, 'to', r.to_day, 'base_month_fen', r.base_month_fen,"
		"  'commission_rate', r.commission_rate),"
		" json_object('vendor', ?5, 'team', ?6, 'name', ?7, 'from', ?8, 'to', ?9,"
		"  'base_month_fen', ?10, 'commission_rate', ?11)"
		" FROM roster r JOIN dim_agent a ON a.id = r.agent_id WHERE r.agent_id = ?12",
	[S_ROS_UPD] = "UPDATE roster SET vendor = ?1, team = ?2, name = ?3, from_day = ?4,"
		      " to_day = ?5, base_month_fen = ?6, commission_rate = ?7"
		      " WHERE agent_id = ?8",

	[S_PRE_INS] = "INSERT INTO presence(agent_id, login, logout) VALUES(?1, ?2, ?3)"
		      " ON CONFLICT(agent_id, login, logout) DO NOTHING",

	[S_RUN_BEGIN] = "INSERT INTO imports(started) VALUES(?1)",
	[S_RUN_FILE] = "INSERT INTO import_files(run_id, seq, path, kind, rows_read,"
		       " rows_rejected, bytes) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_RUN_FINISH] = "UPDATE imports SET finished = ?2, files = ?3, bytes = ?4 WHERE id = ?1",
	[S_RUN_COUNTS] = "INSERT INTO import_counts(run_id, kind, read, added, unchanged,"
			 " updated, conflicts, rejected) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",

	[S_SET_PUT] = "INSERT INTO settings(shop, key, value, from_day) VALUES(?1, ?2, ?3, ?4)"
		      " ON CONFLICT(shop, key, from_day) DO UPDATE SET value = excluded.value",
	[S_SET_ROWS] = "SELECT shop, key, value, from_day FROM settings"
		       " WHERE shop = '*' OR shop = ?1"
		       " ORDER BY shop <> '*', from_day, key",
};

int store_fail(kefu_store *st, kefu_err *err, const char *what)
{
	const char *msg = st && st->db ? sqlite3_errmsg(st->db) : "cannot open database";
	return kefu_err_set(err, KEFU_ESTORE, "%s: %s", what, msg);
}

int store_exec(kefu_store *st, const char *sql, kefu_err *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, err, "store");
	return 0;
}

sqlite3_stmt *store_stmt(kefu_store *st, enum store_stmt id, kefu_err *err)
{
	sqlite3_stmt *s = st->stmt[id];
	if (s) {
		sqlite3_reset(s);
		return s;
	}
	if (sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
	    SQLITE_OK) {
		store_fail(st, err, "prepare");
		return NULL;
	}
	st->stmt[id] = s;
	return s;
}

int store_bind_str(sqlite3_stmt *s, int i, kefu_str v)
{
	if (v.n > (size_t)INT_MAX)
		return SQLITE_TOOBIG;
	return sqlite3_bind_text(s, i, v.n ? v.p : "", (int)v.n, SQLITE_STATIC);
}

/* ------------------------------------------------------ dimension caches */

static void name_cache_free(store_name_cache *c)
{
	for (size_t i = 0; i < c->cap; i++)
		kefu_free(c->slot[i].name);
	kefu_free(c->slot);
	memset(c, 0, sizeof *c);
}

void store_dim_cache_clear(kefu_store *st)
{
	for (int d = 0; d < DIM_COUNT; d++)
		name_cache_free(&st->dim[d]);
}

static store_name_slot *name_cache_find(store_name_cache *c, uint64_t h, const char *p, size_t n)
{
	if (!c->cap)
		return NULL;
	size_t mask = c->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		store_name_slot *s = &c->slot[i];
		if (!s->id)
			return NULL;
		if (s->h == h && s->n == n && (n == 0 || memcmp(s->name, p, n) == 0))
			return s;
	}
}

static int name_cache_put(store_name_cache *c, uint64_t h, const char *p, size_t n, int64_t id)
{
	if ((c->used + 1) * 4 >= c->cap * 3) {
		size_t ncap = c->cap ? c->cap * 2 : 256;
		store_name_slot *ns = kefu_calloc(ncap, sizeof *ns);
		if (!ns)
			return KEFU_ENOMEM;
		for (size_t i = 0; i < c->cap; i++) {
			store_name_slot *o = &c->slot[i];
			if (!o->id)
				continue;
			size_t j = (size_t)o->h & (ncap - 1);
			while (ns[j].id)
				j = (j + 1) & (ncap - 1);
			ns[j] = *o;
		}
		kefu_free(c->slot);
		c->slot = ns;
		c->cap = ncap;
	}
	char *copy = kefu_strndup(p, n);
	if (!copy)
		return KEFU_ENOMEM;
	size_t j = (size_t)h & (c->cap - 1);
	while (c->slot[j].id)
		j = (j + 1) & (c->cap - 1);
	c->slot[j] = (store_name_slot){h, id, copy, n};
	c->used++;
	return 0;
}

int store_dim_id(kefu_store *st, enum store_dim d, kefu_str name, int64_t *id, kefu_err *err)
{
	store_name_cache *c = &st->dim[d];
	/* consecutive rows mostly repeat the shop, agent and buyer */
	if (c->last_id && c->last_n == name.n && (name.n == 0 || memcmp(c->last, name.p, name.n) == 0)) {
		*id = c->last_id;
		return 0;
	}
	uint64_t h = kefu_hash_bytes(name.p, name.n);
	store_name_slot *hit = name_cache_find(c, h, name.p, name.n);
	if (hit) {
		*id = hit->id;
		c->last = hit->name;
		c->last_n = hit->n;
		c->last_id = hit->id;
		return 0;
	}
	sqlite3_stmt *s = NULL;
	int rc = SQLITE_DONE; /* a complete cache knows every stored name */
	if (!c->complete) {
		if (!(s = store_stmt(st, (enum store_stmt)(S_DIM_GET0 + d), err)))
			return KEFU_ESTORE;
		if (store_bind_str(s, 1, name) != SQLITE_OK)
			return store_fail(st, err, "bind");
		rc = sqlite3_step(s);
	}
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	} else if (rc == SQLITE_DONE) {
		if (s)
			sqlite3_reset(s);
		s = store_stmt(st, (enum store_stmt)(S_DIM_ADD0 + d), err);
		if (!s)
			return KEFU_ESTORE;
		if (store_bind_str(s, 1, name) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE) {
			rc = store_fail(st, err, "insert name");
			sqlite3_reset(s);
			return rc;
		}
		sqlite3_reset(s);
		*id = sqlite3_last_insert_rowid(st->db);
	} else {
		rc = store_fail(st, err, "look up name");
		sqlite3_reset(s);
		return rc;
	}
	if (name_cache_put(c, h, name.p, name.n, *id))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	c->last_id = 0; /* set again on the next hit */
	return 0;
}

int store_dim_preload(kefu_store *st, kefu_err *err)
{
	static const char *const sql[DIM_COUNT][2] = {
		{"SELECT count(*) FROM dim_shop", "SELECT id, name FROM dim_shop"},
		{"SELECT count(*) FROM dim_agent", "SELECT id, name FROM dim_agent"},
		{"SELECT count(*) FROM dim_buyer", "SELECT id, name FROM dim_buyer"},
	};
	for (int d = 0; d < DIM_COUNT; d++) {
		store_name_cache *c = &st->dim[d];
		sqlite3_stmt *s;
		if (c->complete)
			continue;
		if (sqlite3_prepare_v2(st->db, sql[d][0], -1, &s, NULL) != SQLITE_OK)
			return store_fail(st, err, "read names");
		int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
		sqlite3_finalize(s);
		if (n < 0 || n > STORE_DIM_PRELOAD_MAX)
			continue;
		if (sqlite3_prepare_v2(st->db, sql[d][1], -1, &s, NULL) != SQLITE_OK)
			return store_fail(st, err, "read names");
		int step, rc = 0;
		while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
			const char *p = (const char *)sqlite3_column_text(s, 1);
			size_t len = (size_t)sqlite3_column_bytes(s, 1);
			uint64_t h = kefu_hash_bytes(p ? p : "", len);
			if (!name_cache_find(c, h, p ? p : "", len) &&
			    name_cache_put(c, h, p ? p : "", len, sqlite3_column_int64(s, 0)))
				rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		}
		if (!rc && step != SQLITE_DONE)
			rc = store_fail(st, err, "read names");
		sqlite3_finalize(s);
		if (rc)
			return rc;
		c->complete = 1;
	}
	return 0;
}

/* ---------------------------------------------------------- formatting */

void store_format_utc(int64_t t, char *buf)
{
	int64_t day = kefu_floor_div(t, 86400), sec = t - day * 86400, y;
	unsigned m, d;
	kefu_civil_from_days(day, &y, &m, &d);
	snprintf(buf, 32, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
		 (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
}

void store_format_ts(const kefu_tz *tz, int64_t t, char *buf)
{
	int32_t off = kefu_tz_offset_at(tz, t);
	if (kefu_tz_local_to_utc(tz, t + off) == t) {
		kefu_ts_format(tz, t, buf);
		return;
	}
	/* ambiguous or skipped local time: keep the instant exact */
	if (off % 60 == 0) {
		int32_t a = off < 0 ? -off : off;
		kefu_ts_format(tz, t, buf);
		buf[10] = 'T';
		snprintf(buf + 19, 21, "%c%02d:%02d", off < 0 ? '-' : '+', (int)(a / 3600),
			 (int)(a / 60 % 60));
	} else {
		store_format_utc(t, buf);
	}
}

static int needs_quotes(const char *p, size_t n);

int store_csv_field(FILE *out, const char *p, size_t n, int first)
{
	if (!first && putc(',', out) == EOF)
		return EOF;
	if (!needs_quotes(p, n))
		return n && fwrite(p, 1, n, out) != n ? EOF : 0;
	if (putc('"', out) == EOF)
		return EOF;
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '"')
			continue;
		/* write up to and including the quote, then double it */
		if (fwrite(p + start, 1, i + 1 - start, out) != i + 1 - start || putc('"', out) == EOF)
			return EOF;
		start = i + 1;
	}
	if (n > start && fwrite(p + start, 1, n - start, out) != n - start)
		return EOF;
	return putc('"', out) == EOF ? EOF : 0;
}

static int needs_quotes(const char *p, size_t n)
{
	if (n && (p[0] == ' ' || p[0] == '\t' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		return 1;
	for (size_t i = 0; i < n; i++)
		if (p[i] == ',' || p[i] == '"' || p[i] == '\r' || p[i] == '\n')
			return 1;
	return 0;
}

int store_csv_append(char **buf, size_t *len, size_t *cap, const char *p, size_t n, int first)
{
	/* worst case: every byte a quote, plus separator, quotes and NUL */
	if (n > (SIZE_MAX - 8) / 2 || kefu_grow((void **)buf, cap, *len + 2 * n + 8, 1))
		return KEFU_ENOMEM;
	char *w = *buf + *len;
	if (!first)
		*w++ = ',';
	if (!needs_quotes(p, n)) {
		if (n)
			memcpy(w, p, n);
		w += n;
	} else {
		*w++ = '"';
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '"')
				*w++ = '"';
			*w++ = p[i];
		}
		*w++ = '"';
	}
	*w = '\0';
	*len = (size_t)(w - *buf);
	return 0;
}

/* ---------------------------------------------------------- open / close */

static int read_pragma_int(kefu_store *st, const char *sql, int64_t *v, kefu_err *err)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, err, "open");
	int rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, "open");
	return 0;
}

/* Creates the schema in an empty database, or checks an existing one. */
static int ensure_schema(kefu_store *st, const char *path, kefu_err *err)
{
	int64_t app, ver, ntab;
	int rc;
	if ((rc = read_pragma_int(st, "PRAGMA application_id", &app, err)) ||
	    (rc = read_pragma_int(st, "PRAGMA user_version", &ver, err)) ||
	    (rc = read_pragma_int(st, "SELECT count(*) FROM sqlite_schema", &ntab, err)))
		return rc;
	if ((app != 0 && app != STORE_APP_ID) || (app == 0 && ntab > 0))
		return kefu_err_set(err, KEFU_ESTORE, "%s: not a kefu store", path);
	if (ver > KEFU_STORE_SCHEMA_VERSION)
		return kefu_err_set(err, KEFU_ESTORE,
				    "%s: store schema version %lld is newer than this kefu "
				    "(%d): upgrade kefu",
				    path, (long long)ver, KEFU_STORE_SCHEMA_VERSION);
	/* a new store: 16 KB pages (message segments are large blobs; a
	 * quarter of the page writes at commit and checkpoint), set before
	 * the first write fixes the size */
	if (ntab == 0 && sqlite3_exec(st->db, "PRAGMA page_size=16384", NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, err, "set page size");
	if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, err, "set WAL mode");
	if (ver == KEFU_STORE_SCHEMA_VERSION)
		return 0;
	/* Empty database: create the schema; schema 1: upgrade it. Both under
	 * the write lock, re-checking in case another process got there first. */
	if ((rc = store_exec(st, "BEGIN IMMEDIATE", err)))
		return rc;
	if ((rc = read_pragma_int(st, "PRAGMA user_version", &ver, err)))
		goto fail;
	if (ver == 1) {
		/* schema 2 keeps messages as segments (msgseg.h) */
		char pragma[64];
		if ((rc = store_exec(st, KEFU_MSGSEG_SCHEMA_SQL, err)) ||
		    (rc = kefu_msgseg_migrate_v1(st->db, err)))
			goto fail;
		snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", KEFU_STORE_SCHEMA_VERSION);
		if ((rc = store_exec(st, pragma, err)))
			goto fail;
	} else if (ver == 0) {
		char pragma[96];
		if ((rc = store_exec(st, schema_sql, err)))
			goto fail;
		snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d; PRAGMA application_id=%d",
			 KEFU_STORE_SCHEMA_VERSION, STORE_APP_ID);
		if ((rc = store_exec(st, pragma, err)))
			goto fail;
	}
	if ((rc = store_exec(st, "COMMIT", err)))
		goto fail;
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int kefu_store_open_ex(kefu_store **out, const char *path, unsigned flags, kefu_err *err)
{
	*out = NULL;
	struct stat sb;
	if ((flags & KEFU_STORE_NOCREATE) && stat(path, &sb) != 0)
		return kefu_err_set(err, KEFU_ENOTFOUND, "%s: no such store", path);
	kefu_store *st = kefu_calloc(1, sizeof *st);
	if (!st)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	int rc;
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &st->db, oflags, NULL) != SQLITE_OK) {
		rc = kefu_err_set(err, KEFU_ESTORE, "%s: %s", path,
				  st->db ? sqlite3_errmsg(st->db) : "cannot open database");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, KEFU_STORE_BUSY_MS);
	if ((rc = ensure_schema(st, path, err)))
		goto fail;
	/* synchronous=NORMAL is durable across application crashes under WAL
	 * (a power loss may lose the last commits, never corrupt). */
	if ((rc = store_exec(st,
			     "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; " STORE_PRAGMA_NORMAL,
			     err)))
		goto fail;
	*out = st;
	return 0;
fail:
	if (rc == KEFU_ESTORE && err && !strstr(err->msg, path)) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		kefu_err_set(err, KEFU_ESTORE, "%s: %s", path, msg);
	}
	kefu_store_close(st);
	return rc;
}

int kefu_store_open(kefu_store **out, const char *path, kefu_err *err)
{
	return kefu_store_open_ex(out, path, 0, err);
}

void kefu_store_close(kefu_store *st)
{
	if (!st)
		return;
	if (st->in_import)
		kefu_store_import_rollback(st);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	store_dim_cache_clear(st);
	kefu_free(st->msg_text);
	kefu_free(st->msg);
	kefu_free(st->seg_rows);
	kefu_free(st->sort_k);
	kefu_free(st->sort_ix);
	kefu_msgseg_writer_free(st->segw);
	kefu_msgseg_free(&st->keyseg);
	store_keys_free(&st->keys);
	sqlite3_close(st->db);
	kefu_free(st);
}

int kefu_store_count(kefu_store *st, kefu_kind kind, int64_t *n, kefu_err *err)
{
	static const char *const sql[KEFU_KIND_COUNT] = {
		[KEFU_KIND_MESSAGES] = "SELECT coalesce(sum(rows), 0) FROM msg_segments",
		[KEFU_KIND_ORDERS] = "SELECT count(*) FROM orders",
		[KEFU_KIND_RATINGS] = "SELECT count(*) FROM ratings",
		[KEFU_KIND_EVALS] = "SELECT count(*) FROM evals",
		[KEFU_KIND_AGENTS] = "SELECT count(*) FROM roster",
		[KEFU_KIND_PRESENCE] = "SELECT count(*) FROM presence",
	};
	*n = 0;
	if (kind <= KEFU_KIND_NONE || kind >= KEFU_KIND_COUNT)
		return kefu_err_set(err, KEFU_EINVAL, "invalid kind");
	if (st->in_import) {
		int rc = store_flush_messages(st, err);
		if (rc)
			return rc;
	}
	return read_pragma_int(st, sql[kind], n, err);
}
