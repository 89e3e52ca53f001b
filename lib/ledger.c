/*
 * ledger.c - double-entry transfers in the billing module tables
 * (billing_transfers, billing_postings): posting with replay detection,
 * balances, totals, and the journal and balance tables.
 */
#include "kefu/ledger.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "kefu/billing.h"
#include "kefu/tz.h"

static int db_fail(kefu_store *st, kefu_err *err, const char *what)
{
	return kefu_err_set(err, KEFU_ESTORE, "%s: %s", what, sqlite3_errmsg(kefu_store_sqlite(st)));
}

/* Canonical text of the non-zero postings, "account=amount;..." in order. */
static int fingerprint(const kefu_transfer *t, char **out, int64_t *sum)
{
	size_t cap = 64 + t->n * 128, o = 0;
	char *s = kefu_malloc(cap);
	if (!s)
		return KEFU_ENOMEM;
	s[0] = '\0';
	*sum = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->p[i].amount_fen == 0)
			continue;
		int w = snprintf(s + o, cap - o, "%s=%lld;", t->p[i].account,
				 (long long)t->p[i].amount_fen);
		if (w < 0 || (size_t)w >= cap - o) {
			kefu_free(s);
			return KEFU_EINVAL;
		}
		o += (size_t)w;
		if (kefu_add_i64(sum, t->p[i].amount_fen)) {
			kefu_free(s);
			return KEFU_EOVERFLOW;
		}
	}
	*out = s;
	return 0;
}

int kefu_ledger_post(kefu_store *st, const kefu_transfer *t, int *added, kefu_err *err)
{
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	char *fp = NULL;
	int64_t sum;
	int rc;
	*added = 0;
	if ((rc = fingerprint(t, &fp, &sum)))
		return kefu_err_set(err, rc, "transfer %s: bad postings", t->id);
	if (sum != 0) {
		kefu_free(fp);
		return kefu_err_set(err, KEFU_EINVAL, "transfer %s: debits and credits differ by %lld fen",
				    t->id, (long long)sum);
	}
	if (sqlite3_prepare_v2(db, "SELECT fingerprint FROM billing_transfers WHERE id=?1", -1, &s,
			       NULL) != SQLITE_OK) {
		kefu_free(fp);
		return db_fail(st, err, "ledger");
	}
	sqlite3_bind_text(s, 1, t->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int same = !strcmp((const char *)sqlite3_column_text(s, 0), fp);
		sqlite3_finalize(s);
		kefu_free(fp);
		if (!same)
			return kefu_err_set(err, KEFU_EINVAL,
					    "transfer %s was already posted with other amounts", t->id);
		return 0;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE) {
		kefu_free(fp);
		return db_fail(st, err, "ledger");
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO billing_transfers(id, day, kind, ref, fingerprint)"
				   " VALUES(?1, ?2, ?3, ?4, ?5)",
			       -1, &s, NULL) != SQLITE_OK) {
		kefu_free(fp);
		return db_fail(st, err, "ledger");
	}
	sqlite3_bind_text(s, 1, t->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, t->day);
	sqlite3_bind_text(s, 3, t->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, t->ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, fp, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	kefu_free(fp);
	if (rc != SQLITE_DONE)
		return db_fail(st, err, "ledger");
	if (sqlite3_prepare_v2(db, "INSERT INTO billing_postings(transfer, seq, account, amount_fen)"
				   " VALUES(?1, ?2, ?3, ?4)",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, err, "ledger");
	int seq = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->p[i].amount_fen == 0)
			continue;
		sqlite3_bind_text(s, 1, t->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, ++seq);
		sqlite3_bind_text(s, 3, t->p[i].account, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, t->p[i].amount_fen);
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlite3_finalize(s);
			return db_fail(st, err, "ledger");
		}
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	*added = 1;
	return 0;
}

int kefu_ledger_balance(kefu_store *st, const char *account, int64_t *balance, kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	*balance = 0;
	if (kefu_billing_open(st, err))
		return err->code;
	if (sqlite3_prepare_v2(kefu_store_sqlite(st),
			       "SELECT coalesce(sum(amount_fen), 0) FROM billing_postings WHERE "
			       "account=?1",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, err, "ledger balance");
	sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return db_fail(st, err, "ledger balance");
	}
	*balance = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

int kefu_ledger_totals(kefu_store *st, int64_t *debits, int64_t *credits, int64_t *transfers,
		       kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	if (kefu_billing_open(st, err))
		return err->code;
	if (sqlite3_prepare_v2(kefu_store_sqlite(st),
			       "SELECT coalesce(sum(CASE WHEN amount_fen > 0 THEN amount_fen END), 0),"
			       " coalesce(-sum(CASE WHEN amount_fen < 0 THEN amount_fen END), 0),"
			       " (SELECT count(*) FROM billing_transfers) FROM billing_postings",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, err, "ledger totals");
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return db_fail(st, err, "ledger totals");
	}
	*debits = sqlite3_column_int64(s, 0);
	*credits = sqlite3_column_int64(s, 1);
	*transfers = sqlite3_column_int64(s, 2);
	sqlite3_finalize(s);
	return 0;
}

/* Runs sql and turns each row into a table row; column types given. */
static int query_table(kefu_store *st, kefu_table **out, const char *title, const char *sql,
		       const char *const *names, const char *const *zh, const kefu_coltype *types,
		       size_t ncols, kefu_err *err)
{
	kefu_table *t = NULL;
	sqlite3_stmt *s = NULL;
	*out = NULL;
	if (kefu_billing_open(st, err))
		return err->code;
	if (kefu_table_new(&t, title))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	for (size_t i = 0; i < ncols; i++)
		if (kefu_table_add_col(t, names[i], zh[i], types[i]))
			goto oom;
	if (sqlite3_prepare_v2(kefu_store_sqlite(st), sql, -1, &s, NULL) != SQLITE_OK) {
		kefu_table_free(t);
		return db_fail(st, err, title);
	}
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		kefu_cell *r;
		if (kefu_table_add_row(t, &r))
			goto oom;
		for (size_t i = 0; i < ncols; i++) {
			if (types[i] == KEFU_T_TEXT) {
				const char *v = (const char *)sqlite3_column_text(s, (int)i);
				char day[16];
				if (sqlite3_column_type(s, (int)i) == SQLITE_INTEGER) {
					kefu_day_format(sqlite3_column_int64(s, (int)i), day);
					v = day;
				}
				if (kefu_cell_set_text(&r[i], v ? v : "", v ? strlen(v) : 0))
					goto oom;
			} else {
				r[i].empty = 0;
				r[i].num = sqlite3_column_int64(s, (int)i);
				r[i].den = 1;
			}
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		kefu_table_free(t);
		return db_fail(st, err, title);
	}
	*out = t;
	return 0;
oom:
	sqlite3_finalize(s);
	kefu_table_free(t);
	return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
}

int kefu_ledger_balances_table(kefu_store *st, kefu_table **out, kefu_err *err)
{
	static const char *const names[] = {"account", "debit_fen", "credit_fen", "balance_fen"};
	static const char *const zh[] = {"科目", "借方", "贷方", "余额"};
	static const kefu_coltype types[] = {KEFU_T_TEXT, KEFU_T_FEN, KEFU_T_FEN, KEFU_T_FEN};
	return query_table(st, out, "ledger balances",
			   "SELECT account,"
			   " coalesce(sum(CASE WHEN amount_fen > 0 THEN amount_fen END), 0),"
			   " coalesce(-sum(CASE WHEN amount_fen < 0 THEN amount_fen END), 0),"
			   " sum(amount_fen) FROM billing_postings GROUP BY account ORDER BY account",
			   names, zh, types, 4, err);
}

int kefu_ledger_journal_table(kefu_store *st, kefu_table **out, kefu_err *err)
{
	static const char *const names[] = {"day",     "transfer",  "kind",      "ref",
					    "account", "debit_fen", "credit_fen"};
	static const char *const zh[] = {"日期", "凭证", "类型", "单据", "科目", "借方", "贷方"};
	static const kefu_coltype types[] = {KEFU_T_TEXT, KEFU_T_TEXT, KEFU_T_TEXT, KEFU_T_TEXT,
					     KEFU_T_TEXT, KEFU_T_FEN,  KEFU_T_FEN};
	return query_table(st, out, "ledger journal",
			   "SELECT t.day, t.id, t.kind, t.ref, p.account,"
			   " CASE WHEN p.amount_fen > 0 THEN p.amount_fen ELSE 0 END,"
			   " CASE WHEN p.amount_fen < 0 THEN -p.amount_fen ELSE 0 END"
			   " FROM billing_transfers t JOIN billing_postings p ON p.transfer = t.id"
			   " ORDER BY t.day, t.id, p.seq",
			   names, zh, types, 7, err);
}
