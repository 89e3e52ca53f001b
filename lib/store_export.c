/*
 * store_export.c - writes stored rows back out as canonical CSV
 * (formats.md column order), so that importing the export into an empty
 * store reproduces the same data: RFC 4180 quoting, money with 2 decimals,
 * timestamps as local wall-clock time in the shop's latest tz setting (ISO
 * 8601 with an offset when the local time is ambiguous), rows sorted by
 * their key in byte order.
 */
#include "store_int.h"

#include <string.h>

/* Latest settings per shop id (few shops: a short list). */
typedef struct tz_entry {
	int64_t shop_id;
	kefu_settings s;
} tz_entry;

typedef struct tz_cache {
	tz_entry *e;
	size_t n, cap;
} tz_cache;

static void tz_cache_free(tz_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		kefu_settings_clear(&c->e[i].s);
	kefu_free(c->e);
	memset(c, 0, sizeof *c);
}

/* tz of shop_id (named shop; NULL and id -1 = the '*' settings). */
static int tz_of(kefu_store *st, tz_cache *c, int64_t shop_id, const char *shop,
		 const kefu_tz **tz, kefu_err *err)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].shop_id == shop_id) {
			*tz = c->e[i].s.tz;
			return 0;
		}
	if (kefu_grow((void **)&c->e, &c->cap, c->n + 1, sizeof *c->e))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	tz_entry *e = &c->e[c->n];
	int rc = kefu_store_settings_latest(st, shop, &e->s, err);
	if (rc)
		return rc;
	e->shop_id = shop_id;
	c->n++;
	*tz = e->s.tz;
	return 0;
}

enum { X_TEXT, X_INT, X_TS, X_TS_OPT, X_MONEY, X_MONEY_OPT, X_DAY_MIN, X_DAY_MAX, X_DIR };

/* One export: header, query, and the type of each output column. Column 0
 * of every query is the shop id (-1 when the kind has no shop) and column 1
 * the shop name (NULL then), both for the time zone; output column c is
 * query column c + 2. */
typedef struct export_def {
	kefu_kind kind;
	const char *header;
	const char *sql;
	int ncol;
	int type[10];
} export_def;

static const export_def defs[] = {
	{KEFU_KIND_MESSAGES, "shop,buyer,agent,dir,ts,text",
	 "SELECT m.shop_id, s.name, s.name, b.name, a.name, m.dir, m.ts, m.text FROM temp.messages m"
	 " JOIN dim_shop s ON s.id = m.shop_id JOIN dim_buyer b ON b.id = m.buyer_id"
	 " JOIN dim_agent a ON a.id = m.agent_id"
	 " ORDER BY s.name, b.name, a.name, m.ts, m.dir, m.text",
	 6, {X_TEXT, X_TEXT, X_TEXT, X_DIR, X_TS, X_TEXT}},
	{KEFU_KIND_ORDERS, "shop,order_id,buyer,created,paid,amount,items,status,refund",
	 "SELECT o.shop_id, s.name, s.name, o.order_id, b.name, o.created, o.paid, o.amount, o.items,"
	 " o.status, o.refund FROM orders o JOIN dim_shop s ON s.id = o.shop_id"
	 " JOIN dim_buyer b ON b.id = o.buyer_id ORDER BY s.name, o.order_id",
	 9, {X_TEXT, X_TEXT, X_TEXT, X_TS, X_TS_OPT, X_MONEY, X_INT, X_TEXT, X_MONEY}},
	{KEFU_KIND_RATINGS, "shop,order_id,buyer,ts,desc,service,shipping",
	 "SELECT r.shop_id, s.name, s.name, r.order_id, b.name, r.ts, r.dsr_desc, r.dsr_service,"
	 " r.dsr_shipping FROM ratings r JOIN dim_shop s ON s.id = r.shop_id"
	 " JOIN dim_buyer b ON b.id = r.buyer_id ORDER BY s.name, r.order_id",
	 7, {X_TEXT, X_TEXT, X_TEXT, X_TS, X_INT, X_INT, X_INT}},
	{KEFU_KIND_EVALS, "shop,agent,buyer,ts,level",
	 "SELECT e.shop_id, s.name, s.name, a.name, b.name, e.ts, e.level FROM evals e"
	 " JOIN dim_shop s ON s.id = e.shop_id JOIN dim_agent a ON a.id = e.agent_id"
	 " JOIN dim_buyer b ON b.id = e.buyer_id ORDER BY s.name, a.name, b.name, e.ts",
	 5, {X_TEXT, X_TEXT, X_TEXT, X_TS, X_INT}},
	{KEFU_KIND_AGENTS, "agent,vendor,team,name,from,to,base_month,commission_rate",
	 "SELECT -1, NULL, a.name, r.vendor, r.team, r.name, r.from_day, r.to_day,"
	 " r.base_month_fen, r.commission_rate FROM roster r"
	 " JOIN dim_agent a ON a.id = r.agent_id ORDER BY a.name",
	 8, {X_TEXT, X_TEXT, X_TEXT, X_TEXT, X_DAY_MIN, X_DAY_MAX, X_MONEY_OPT, X_TEXT}},
	{KEFU_KIND_PRESENCE, "agent,login,logout",
	 "SELECT -1, NULL, a.name, p.login, p.logout FROM presence p"
	 " JOIN dim_agent a ON a.id = p.agent_id ORDER BY a.name, p.login, p.logout",
	 3, {X_TEXT, X_TS, X_TS}},
};

static int write_row(sqlite3_stmt *s, const export_def *d, const kefu_tz *tz, FILE *out)
{
	char buf[48];
	for (int c = 0; c < d->ncol; c++) {
		int col = c + 2;
		const char *p = buf;
		size_t n;
		int null = sqlite3_column_type(s, col) == SQLITE_NULL;
		int64_t v = sqlite3_column_int64(s, col);
		switch (d->type[c]) {
		case X_TEXT:
			p = (const char *)sqlite3_column_text(s, col);
			n = (size_t)sqlite3_column_bytes(s, col);
			if (!p)
				p = "";
			break;
		case X_INT: snprintf(buf, sizeof buf, "%lld", (long long)v); n = strlen(buf); break;
		case X_TS:
		case X_TS_OPT:
			if (null)
				buf[0] = '\0';
			else
				store_format_ts(tz, v, buf);
			n = strlen(buf);
			break;
		case X_MONEY:
		case X_MONEY_OPT:
			if (null)
				buf[0] = '\0';
			else
				kefu_money_format(v, buf);
			n = strlen(buf);
			break;
		case X_DAY_MIN:
		case X_DAY_MAX:
			if (null)
				buf[0] = '\0';
			else
				kefu_day_format(v, buf);
			n = strlen(buf);
			break;
		case X_DIR:
			p = v == KEFU_DIR_B ? "B" : v == KEFU_DIR_A ? "A" : "S";
			n = 1;
			break;
		default: n = 0; break;
		}
		if (store_csv_field(out, p, n, c == 0))
			return EOF;
	}
	return putc('\n', out) == EOF ? EOF : 0;
}

int kefu_store_export(kefu_store *st, kefu_kind kind, FILE *out, kefu_err *err)
{
	const export_def *d = NULL;
	for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
		if (defs[i].kind == kind)
			d = &defs[i];
	if (!d)
		return kefu_err_set(err, KEFU_EINVAL, "cannot export kind %d", (int)kind);
	tz_cache cache = {NULL, 0, 0};
	sqlite3_stmt *s = NULL;
	int rc = 0, own_txn = !st->in_import, step;
	if (st->in_import && (rc = store_flush_messages(st, err)))
		return rc;
	if (own_txn && (rc = store_exec(st, "BEGIN", err)))
		return rc;
	if (kind == KEFU_KIND_MESSAGES) {
		/* sorted by names: SQL over a temp copy of the segments */
		kefu_msgseg_filter all = KEFU_MSGSEG_ALL;
		if ((rc = kefu_msgseg_to_temp(st->db, &all, err)))
			goto out;
	}
	if (sqlite3_prepare_v2(st->db, d->sql, -1, &s, NULL) != SQLITE_OK) {
		rc = store_fail(st, err, "export");
		goto out;
	}
	if (fprintf(out, "%s\n", d->header) < 0)
		goto io;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const kefu_tz *tz = NULL;
		int64_t shop_id = sqlite3_column_int64(s, 0);
		if ((rc = tz_of(st, &cache, shop_id, (const char *)sqlite3_column_text(s, 1), &tz,
				err)))
			goto out;
		if (write_row(s, d, tz, out))
			goto io;
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(st, err, "export");
		goto out;
	}
	if (fflush(out) != 0 || ferror(out))
		goto io;
	goto out;
io:
	rc = kefu_err_set(err, KEFU_EIO, "write error while exporting %s", kefu_kind_name(kind));
out:
	sqlite3_finalize(s);
	if (kind == KEFU_KIND_MESSAGES)
		sqlite3_exec(st->db, "DROP TABLE IF EXISTS temp.messages", NULL, NULL, NULL);
	tz_cache_free(&cache);
	if (own_txn)
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}
