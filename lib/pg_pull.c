/*
 * pg_pull.c - `kefu pull`: a PostgreSQL schema written by `kefu push` into
 * a local store, as one import run (pg_pull.h, docs/SCALE.md).
 *
 * Rows come by COPY ... TO STDOUT in text format, one row per
 * PQgetCopyData, are unescaped in place and handed to the store as the
 * same typed records the file loader makes, so a pulled row is stored,
 * deduplicated and counted exactly like an imported one.
 */
#include "kefu/pg_pull.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "kefu/pg_push.h"
#include "kefu/record.h"
#include "pg_conn.h"

size_t kefu_pg_copy_unescape(char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c != '\\' || i + 1 == n) {
			s[o++] = c;
			continue;
		}
		c = s[++i];
		switch (c) {
		case 'b': s[o++] = '\b'; break;
		case 'f': s[o++] = '\f'; break;
		case 'n': s[o++] = '\n'; break;
		case 'r': s[o++] = '\r'; break;
		case 't': s[o++] = '\t'; break;
		case 'v': s[o++] = '\v'; break;
		case 'x': {
			int v = 0, k = 0;
			while (k < 2 && i + 1 < n) {
				char h = s[i + 1];
				int d = h >= '0' && h <= '9'   ? h - '0'
					: h >= 'a' && h <= 'f' ? h - 'a' + 10
					: h >= 'A' && h <= 'F' ? h - 'A' + 10
							       : -1;
				if (d < 0)
					break;
				v = v * 16 + d;
				i++;
				k++;
			}
			s[o++] = k ? (char)v : 'x';
			break;
		}
		default:
			if (c >= '0' && c <= '7') {
				int v = c - '0', k = 1;
				while (k < 3 && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7') {
					v = v * 8 + (s[++i] - '0');
					k++;
				}
				s[o++] = (char)v;
			} else {
				s[o++] = c; /* \\ and any other escaped byte */
			}
			break;
		}
	}
	return o;
}

/* ---------------------------------------------------------------- rows */

#define MAX_COLS 10

typedef struct field {
	char *p;
	size_t n;
	int null;
} field;

typedef struct pull {
	pg_conn c;
	kefu_store *st;
	sqlite3 *db;
	const char *schema;
	char *filter; /* " IN ('a', 'b')" or NULL = every shop */
	kefu_err *err;
} pull;

/* Splits one COPY row (without its newline) into fields, unescaped. */
static int split_row(char *row, size_t n, field *f, int want)
{
	int k = 0;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && row[i] != '\t')
			continue;
		if (k == want)
			return -1;
		f[k].p = row + start;
		f[k].n = i - start;
		f[k].null = f[k].n == 2 && row[start] == '\\' && row[start + 1] == 'N';
		if (!f[k].null)
			f[k].n = kefu_pg_copy_unescape(f[k].p, f[k].n);
		k++;
		start = i + 1;
	}
	return k == want ? 0 : -1;
}

static kefu_str str_of(const field *f)
{
	kefu_str s = {f->null ? "" : f->p, f->null ? 0 : f->n};
	return s;
}

/* An integer column; NULL gives `none`. */
static int int_of(const field *f, int64_t none, int64_t *v)
{
	if (f->null) {
		*v = none;
		return 0;
	}
	char buf[32];
	if (f->n == 0 || f->n >= sizeof buf)
		return -1;
	memcpy(buf, f->p, f->n);
	buf[f->n] = '\0';
	char *end;
	errno = 0;
	long long x = strtoll(buf, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

typedef struct table_def {
	kefu_kind kind;
	const char *table;
	const char *select; /* %1$s = schema; the shop filter is appended */
	const char *filter_col;
} table_def;

static const table_def tables[] = {
	{KEFU_KIND_ORDERS, "orders",
	 "SELECT shop, order_id, buyer, created, paid, amount_fen, items, status, refund_fen"
	 " FROM %1$s.orders",
	 "shop"},
	{KEFU_KIND_RATINGS, "ratings",
	 "SELECT shop, order_id, buyer, ts, dsr_desc, dsr_service, dsr_shipping FROM %1$s.ratings",
	 "shop"},
	{KEFU_KIND_EVALS, "evals", "SELECT shop, agent, buyer, ts, level FROM %1$s.evals", "shop"},
	/* agents and presence have no shop: those seen in the pulled shops */
	{KEFU_KIND_AGENTS, "agents",
	 "SELECT agent, vendor, team, name, from_day, to_day, base_month_fen, commission_rate"
	 " FROM %1$s.agents",
	 "agent"},
	{KEFU_KIND_PRESENCE, "presence", "SELECT agent, login, logout FROM %1$s.presence",
	 "agent"},
};

/* The record of one row of kind k; a value kefu would not import is -1
 * with *why set. */
static int to_record(kefu_kind k, field *f, kefu_record *rec, const char **why)
{
	memset(rec, 0, sizeof *rec);
	rec->kind = k;
	int64_t v[6];
	*why = "a number column is not an integer";
	switch (k) {
	case KEFU_KIND_MESSAGES: {
		kefu_message_rec *m = &rec->u.msg;
		m->shop = str_of(&f[0]);
		m->buyer = str_of(&f[1]);
		m->agent = str_of(&f[2]);
		m->text = str_of(&f[5]);
		if (f[3].null || f[3].n != 1 || !strchr("BSA", f[3].p[0])) {
			*why = "dir is not B, S or A";
			return -1;
		}
		m->dir = f[3].p[0] == 'B' ? KEFU_DIR_B : f[3].p[0] == 'S' ? KEFU_DIR_S : KEFU_DIR_A;
		if (int_of(&f[4], 0, &m->ts) || f[4].null)
			return -1;
		break;
	}
	case KEFU_KIND_ORDERS: {
		kefu_order_rec *o = &rec->u.ord;
		o->shop = str_of(&f[0]);
		o->order_id = str_of(&f[1]);
		o->buyer = str_of(&f[2]);
		o->status = str_of(&f[7]);
		if (int_of(&f[3], 0, &o->created) || int_of(&f[4], KEFU_TS_NONE, &o->paid) ||
		    int_of(&f[5], 0, &o->amount) || int_of(&f[6], 0, &o->items) ||
		    int_of(&f[8], 0, &o->refund))
			return -1;
		if (o->amount < 0 || o->refund < 0 || o->items < 0) {
			*why = "a negative amount, refund or item count";
			return -1;
		}
		break;
	}
	case KEFU_KIND_RATINGS: {
		kefu_rating_rec *r = &rec->u.rat;
		r->shop = str_of(&f[0]);
		r->order_id = str_of(&f[1]);
		r->buyer = str_of(&f[2]);
		if (int_of(&f[3], 0, &r->ts) || int_of(&f[4], 0, &v[0]) || int_of(&f[5], 0, &v[1]) ||
		    int_of(&f[6], 0, &v[2]))
			return -1;
		for (int i = 0; i < 3; i++)
			if (v[i] < 1 || v[i] > 5) {
				*why = "a DSR score outside 1..5";
				return -1;
			}
		r->desc = (int)v[0];
		r->service = (int)v[1];
		r->shipping = (int)v[2];
		break;
	}
	case KEFU_KIND_EVALS: {
		kefu_eval_rec *e = &rec->u.ev;
		e->shop = str_of(&f[0]);
		e->agent = str_of(&f[1]);
		e->buyer = str_of(&f[2]);
		if (int_of(&f[3], 0, &e->ts) || int_of(&f[4], 0, &v[0]))
			return -1;
		if (v[0] < 1 || v[0] > 5) {
			*why = "an eval level outside 1..5";
			return -1;
		}
		e->level = (int)v[0];
		break;
	}
	case KEFU_KIND_AGENTS: {
		kefu_agent_rec *a = &rec->u.ag;
		a->agent = str_of(&f[0]);
		a->vendor = str_of(&f[1]);
		a->team = str_of(&f[2]);
		a->name = str_of(&f[3]);
		a->commission_rate = str_of(&f[7]);
		if (int_of(&f[4], INT64_MIN, &a->from_day) || int_of(&f[5], INT64_MAX, &a->to_day) ||
		    int_of(&f[6], -1, &a->base_month_fen))
			return -1;
		break;
	}
	case KEFU_KIND_PRESENCE: {
		kefu_presence_rec *p = &rec->u.pr;
		p->agent = str_of(&f[0]);
		if (int_of(&f[1], 0, &p->login) || int_of(&f[2], 0, &p->logout))
			return -1;
		break;
	}
	default: *why = "unknown kind"; return -1;
	}
	/* the first column is the key every kind needs */
	if (f[0].null || f[0].n == 0) {
		*why = "an empty key";
		return -1;
	}
	return 0;
}

/* Columns of each kind as pulled (indexed by kefu_kind). */
static const int kind_cols[KEFU_KIND_COUNT] = {
	[KEFU_KIND_MESSAGES] = 6, [KEFU_KIND_ORDERS] = 9, [KEFU_KIND_RATINGS] = 7,
	[KEFU_KIND_EVALS] = 5,	  [KEFU_KIND_AGENTS] = 8, [KEFU_KIND_PRESENCE] = 3,
};

int kefu_pg_parse_row(kefu_kind k, char *row, size_t n, kefu_record *rec, const char **why)
{
	field f[MAX_COLS];
	*why = "unknown kind";
	if (k <= KEFU_KIND_NONE || k >= KEFU_KIND_COUNT)
		return -1;
	*why = "wrong number of columns";
	if (split_row(row, n, f, kind_cols[k]))
		return -1;
	return to_record(k, f, rec, why);
}

/* Streams `sql` (a COPY ... TO STDOUT) into the import run as kind k. */
static int copy_rows(pull *p, kefu_kind k, const char *sql, const char *label)
{
	PGresult *r = PQexec(p->c.pg, sql);
	int ok = PQresultStatus(r) == PGRES_COPY_OUT;
	PQclear(r);
	if (!ok)
		return pg_fail(&p->c, label);
	int rc = 0;
	long line = 0;
	kefu_load_stats ls = {k, 0, 0, 0, 0, 0, 1};
	char *row;
	int n;
	while ((n = PQgetCopyData(p->c.pg, &row, 0)) > 0) {
		line++;
		ls.bytes += (uint64_t)n;
		if (rc) { /* drain the rest after a failure */
			PQfreemem(row);
			continue;
		}
		size_t len = (size_t)n;
		if (len && row[len - 1] == '\n')
			len--;
		kefu_record rec;
		const char *why;
		if (kefu_pg_parse_row(k, row, len, &rec, &why)) {
			rc = kefu_err_set(p->err, KEFU_EINVAL,
					  "PostgreSQL %s row %ld: %s; kefu would not import it", label,
					  line, why);
		} else {
			rc = kefu_store_import_row(p->st, &rec, label, line, p->err);
		}
		PQfreemem(row);
	}
	if (n == -2 && !rc)
		rc = pg_fail(&p->c, label);
	while ((r = PQgetResult(p->c.pg))) {
		if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pg_msg_fail(&p->c, label, PQresultErrorMessage(r));
		PQclear(r);
	}
	if (rc)
		return rc;
	ls.rows_read = ls.rows_ok = line;
	return kefu_store_import_note_file(p->st, label, &ls, p->err);
}

/* ------------------------------------------------------------- helpers */

/* Appends printf output to a growing string (*b NULL to start). */
static int appendf(char **b, size_t *n, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int appendf(char **b, size_t *n, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (w < 0)
		return -1;
	if (*n + (size_t)w + 1 > *cap) {
		size_t c = (*cap ? *cap * 2 : 256) + (size_t)w;
		char *nb = realloc(*b, c);
		if (!nb)
			return -1;
		*b = nb;
		*cap = c;
	}
	va_start(ap, fmt);
	vsnprintf(*b + *n, *cap - *n, fmt, ap);
	va_end(ap);
	*n += (size_t)w;
	return 0;
}

/* A quoted literal, or NULL on failure (message in the connection). */
static char *literal(pull *p, const char *s)
{
	return PQescapeLiteral(p->c.pg, s, strlen(s));
}

static const char state_sql[] =
	"CREATE TABLE IF NOT EXISTS pull_state(source TEXT NOT NULL, shop TEXT NOT NULL,"
	" store_no INTEGER NOT NULL, last_seg INTEGER NOT NULL,"
	" PRIMARY KEY(source, shop, store_no)) STRICT, WITHOUT ROWID;";

/* ------------------------------------------------------------- settings */

/* Each shop's settings as its own rows: at every day on which its store
 * changed a key for it or for '*', the value then in force (the shop's
 * own latest row, else the store's '*' latest row), which is how
 * kefu_store_settings_versions reads them. */
static const char settings_fmt[] =
	"WITH r AS (SELECT s.shop, st.key, st.value, st.from_day, st.shop = '*' AS star"
	" FROM %1$s.shops s JOIN %1$s.settings st ON st.store_id = s.store_id"
	" AND (st.shop = s.shop OR st.shop = '*')%2$s),"
	" d AS (SELECT DISTINCT shop, key, from_day FROM r)"
	" SELECT d.shop, d.key, coalesce("
	" (SELECT r.value FROM r WHERE r.shop = d.shop AND r.key = d.key AND NOT r.star"
	" AND r.from_day <= d.from_day ORDER BY r.from_day DESC LIMIT 1),"
	" (SELECT r.value FROM r WHERE r.shop = d.shop AND r.key = d.key AND r.star"
	" AND r.from_day <= d.from_day ORDER BY r.from_day DESC LIMIT 1)), d.from_day"
	" FROM d ORDER BY 1, 2, 4";

static int pull_settings(pull *p, long *count)
{
	char *sql = NULL, *where = NULL;
	size_t n = 0, cap = 0, wn = 0, wcap = 0;
	int rc = 0;
	if (p->filter && appendf(&where, &wn, &wcap, " WHERE s.shop%s", p->filter))
		return kefu_err_set(p->err, KEFU_ENOMEM, "out of memory");
	if (appendf(&sql, &n, &cap, settings_fmt, p->schema, where ? where : "")) {
		free(where);
		return kefu_err_set(p->err, KEFU_ENOMEM, "out of memory");
	}
	free(where);
	PGresult *r = NULL;
	rc = pg_exec(&p->c, "settings", sql, 0, NULL, &r);
	free(sql);
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		const char *shop = PQgetvalue(r, i, 0), *key = PQgetvalue(r, i, 1);
		rc = kefu_store_settings_set(p->st, shop, key, PQgetvalue(r, i, 2), pg_int(r, i, 3),
					     p->err);
		if (rc) {
			char msg[sizeof p->err->msg];
			snprintf(msg, sizeof msg, "%s", p->err->msg);
			kefu_err_set(p->err, KEFU_EINVAL, "PostgreSQL settings of shop %s, %s: %s",
				     shop, key, msg);
			rc = KEFU_EINVAL;
		}
		(*count)++;
	}
	PQclear(r);
	return rc;
}

/* ---------------------------------------------------------------- pull */

/* The shops to pull with their store number and last segment; checks
 * that every asked-for shop exists. */
static int select_shops(pull *p, const kefu_pg_pull_opts *o, PGresult **shops)
{
	char *sql = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (appendf(&sql, &n, &cap,
		    "SELECT s.shop, st.store_no, st.last_segment FROM %1$s.shops s"
		    " JOIN %1$s.stores st ON st.store_id = s.store_id%2$s%3$s ORDER BY s.shop",
		    p->schema, p->filter ? " WHERE s.shop" : "", p->filter ? p->filter : ""))
		return kefu_err_set(p->err, KEFU_ENOMEM, "out of memory");
	rc = pg_exec(&p->c, "shops", sql, 0, NULL, shops);
	free(sql);
	if (rc)
		return rc;
	for (size_t i = 0; i < o->nshops; i++) {
		int found = 0;
		for (int j = 0; j < PQntuples(*shops) && !found; j++)
			found = !strcmp(PQgetvalue(*shops, j, 0), o->shops[i]);
		if (!found) {
			rc = kefu_err_set(p->err, KEFU_EINVAL,
					  "shop '%s' is not in PostgreSQL schema %s", o->shops[i],
					  p->schema);
			PQclear(*shops);
			*shops = NULL;
			return rc;
		}
	}
	return 0;
}

/* The messages query: the pulled shops' messages in segments newer than
 * the ones this store already pulled from `source`. */
static int messages_sql(pull *p, const char *source, char **out)
{
	sqlite3_stmt *s = NULL;
	char *b = NULL;
	size_t n = 0, cap = 0;
	int bad = appendf(&b, &n, &cap,
			  "COPY (SELECT m.shop, m.buyer, m.agent, m.dir, m.ts, m.text"
			  " FROM %s.messages m",
			  p->schema);
	if (sqlite3_prepare_v2(p->db,
			       "SELECT shop, store_no, last_seg FROM pull_state WHERE source = ?1",
			       -1, &s, NULL) != SQLITE_OK) {
		free(b);
		return kefu_err_set(p->err, KEFU_ESTORE, "pull state: %s", sqlite3_errmsg(p->db));
	}
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	int k = 0, step;
	while (!bad && (step = sqlite3_step(s)) == SQLITE_ROW) {
		char *lit = literal(p, (const char *)sqlite3_column_text(s, 0));
		if (!lit) {
			bad = 1;
			break;
		}
		bad |= appendf(&b, &n, &cap, "%s(%s::text, %lld, %lld)",
			       k++ ? ", " : " LEFT JOIN (VALUES ", lit,
			       (long long)sqlite3_column_int64(s, 1),
			       (long long)sqlite3_column_int64(s, 2));
		PQfreemem(lit);
	}
	sqlite3_finalize(s);
	if (k)
		bad |= appendf(&b, &n, &cap,
			       ") AS p(shop, store_no, last_seg) ON p.shop = m.shop"
			       " AND p.store_no = m.store_no WHERE m.seg > coalesce(p.last_seg, 0)");
	else
		bad |= appendf(&b, &n, &cap, " WHERE true");
	if (p->filter)
		bad |= appendf(&b, &n, &cap, " AND m.shop%s", p->filter);
	bad |= appendf(&b, &n, &cap, ") TO STDOUT");
	if (bad) {
		free(b);
		return kefu_err_set(p->err, KEFU_ENOMEM, "out of memory");
	}
	*out = b;
	return 0;
}

static int pull_all(pull *p, const kefu_pg_pull_opts *o, kefu_pg_pull_stats *out)
{
	int rc;
	int64_t ver;
	PGresult *r = NULL, *shops = NULL;
	char *sql = NULL, source[128], q[160];
	size_t n = 0, cap = 0;
	if ((rc = pg_run(&p->c, "begin", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")) ||
	    (rc = pg_schema_version(&p->c, p->schema, &ver)))
		return rc;
	if (ver == 0)
		return kefu_err_set(p->err, KEFU_EINVAL,
				    "PostgreSQL has no kefu schema %s (kefu push creates it)",
				    p->schema);
	if (ver > KEFU_PG_SCHEMA_VERSION)
		return kefu_err_set(p->err, KEFU_EINVAL,
				    "PostgreSQL schema %s is at version %lld, newer than this kefu "
				    "(%d): upgrade kefu",
				    p->schema, (long long)ver, KEFU_PG_SCHEMA_VERSION);
	/* the incremental state is kept per schema, named by its schema_id */
	snprintf(q, sizeof q, "SELECT value FROM %s.kefu_meta WHERE key = 'schema_id'", p->schema);
	if ((rc = pg_exec(&p->c, "schema", q, 0, NULL, &r)))
		return rc;
	if (PQntuples(r) == 1)
		snprintf(source, sizeof source, "%s/%s", PQgetvalue(r, 0, 0), p->schema);
	else
		source[0] = '\0'; /* no id: every message again (deduplicated) */
	PQclear(r);
	if ((rc = select_shops(p, o, &shops)))
		return rc;
	out->shops = PQntuples(shops);
	if ((rc = kefu_store_import_begin(p->st, NULL, p->err)))
		goto done;
	char label[96];
	snprintf(label, sizeof label, "postgresql:%s.messages", p->schema);
	if ((rc = messages_sql(p, source, &sql)) ||
	    (rc = copy_rows(p, KEFU_KIND_MESSAGES, sql, label)))
		goto fail;
	for (size_t t = 0; t < sizeof tables / sizeof *tables; t++) {
		const table_def *d = &tables[t];
		n = 0;
		int bad = appendf(&sql, &n, &cap, "COPY (");
		bad |= appendf(&sql, &n, &cap, d->select, p->schema);
		if (p->filter && !strcmp(d->filter_col, "shop"))
			bad |= appendf(&sql, &n, &cap, " WHERE shop%s", p->filter);
		else if (p->filter)
			bad |= appendf(&sql, &n, &cap,
				       " WHERE agent IN (SELECT DISTINCT agent FROM %s.messages"
				       " WHERE shop%s UNION SELECT agent FROM %s.evals WHERE shop%s)",
				       p->schema, p->filter, p->schema, p->filter);
		bad |= appendf(&sql, &n, &cap, ") TO STDOUT");
		if (bad) {
			rc = kefu_err_set(p->err, KEFU_ENOMEM, "out of memory");
			goto fail;
		}
		snprintf(label, sizeof label, "postgresql:%s.%s", p->schema, d->table);
		if ((rc = copy_rows(p, d->kind, sql, label)))
			goto fail;
	}
	if ((rc = pull_settings(p, &out->settings)))
		goto fail;
	if (source[0]) {
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(p->db,
				       "INSERT INTO pull_state VALUES(?1, ?2, ?3, ?4)"
				       " ON CONFLICT(source, shop, store_no) DO UPDATE SET last_seg = excluded.last_seg",
				       -1, &s, NULL) != SQLITE_OK) {
			rc = kefu_err_set(p->err, KEFU_ESTORE, "pull state: %s",
					  sqlite3_errmsg(p->db));
			goto fail;
		}
		for (int i = 0; i < PQntuples(shops) && !rc; i++) {
			sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, PQgetvalue(shops, i, 0), -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 3, pg_int(shops, i, 1));
			sqlite3_bind_int64(s, 4, pg_int(shops, i, 2));
			if (sqlite3_step(s) != SQLITE_DONE)
				rc = kefu_err_set(p->err, KEFU_ESTORE, "pull state: %s",
						  sqlite3_errmsg(p->db));
			sqlite3_reset(s);
		}
		sqlite3_finalize(s);
		if (rc)
			goto fail;
	}
	rc = kefu_store_import_commit(p->st, p->err);
	goto done;
fail:
	kefu_store_import_rollback(p->st);
done:
	free(sql);
	PQclear(shops);
	return rc;
}

int kefu_pg_pull(kefu_store *st, const kefu_pg_pull_opts *o, kefu_pg_pull_stats *out,
		 kefu_err *err)
{
	memset(out, 0, sizeof *out);
	pull p;
	memset(&p, 0, sizeof p);
	p.st = st;
	p.err = err;
	p.schema = o->schema ? o->schema : "kefu";
	int rc;
	if ((rc = pg_schema_check(p.schema, err)))
		return rc;
	if ((rc = kefu_store_ensure_module(st, "pull", 1, state_sql, err)))
		return rc;
	p.db = kefu_store_sqlite(st);
	if ((rc = pg_connect(&p.c, o->conninfo, err)))
		return rc;
	if (o->nshops) {
		size_t n = 0, cap = 0;
		int bad = appendf(&p.filter, &n, &cap, " IN (");
		for (size_t i = 0; i < o->nshops && !bad; i++) {
			char *lit = literal(&p, o->shops[i]);
			bad = !lit || appendf(&p.filter, &n, &cap, "%s%s", i ? ", " : "", lit);
			PQfreemem(lit);
		}
		bad |= appendf(&p.filter, &n, &cap, ")");
		if (bad) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto done;
		}
	}
	rc = pull_all(&p, o, out);
done:
	free(p.filter);
	pg_close(&p.c);
	return rc;
}
