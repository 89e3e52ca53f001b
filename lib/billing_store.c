/*
 * billing_store.c - the billing module tables of the store: contracts (the
 * validated source text), invoices with their lines, credit notes,
 * payments and payroll; recording a period's invoices idempotently (same
 * lines: nothing; other lines: a credit note and the next revision) with
 * their ledger transfers, in one transaction.
 */
#include "kefu/billing.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "kefu/ledger.h"
#include "kefu/tz.h"

static const char billing_sql[] =
	"CREATE TABLE IF NOT EXISTS billing_contracts(id TEXT PRIMARY KEY, source TEXT NOT NULL)"
	" STRICT;"
	"CREATE TABLE IF NOT EXISTS billing_invoices(id TEXT PRIMARY KEY, contract TEXT NOT NULL,"
	" period TEXT NOT NULL, kind INTEGER NOT NULL, rev INTEGER NOT NULL,"
	" issue_day INTEGER NOT NULL, due_day INTEGER NOT NULL, total_fen INTEGER NOT NULL,"
	" fingerprint TEXT NOT NULL, notes TEXT NOT NULL, credited_by TEXT,"
	" UNIQUE(contract, period, kind, rev)) STRICT;"
	"CREATE TABLE IF NOT EXISTS billing_invoice_lines(invoice TEXT NOT NULL,"
	" seq INTEGER NOT NULL, kind INTEGER NOT NULL, label TEXT NOT NULL,"
	" amount_fen INTEGER NOT NULL, tier INTEGER NOT NULL, sla INTEGER NOT NULL,"
	" kpi_num INTEGER NOT NULL, kpi_den INTEGER NOT NULL, PRIMARY KEY(invoice, seq)) STRICT;"
	"CREATE TABLE IF NOT EXISTS billing_credit_notes(id TEXT PRIMARY KEY,"
	" invoice TEXT NOT NULL UNIQUE, contract TEXT NOT NULL, period TEXT NOT NULL,"
	" issue_day INTEGER NOT NULL, total_fen INTEGER NOT NULL) STRICT;"
	"CREATE TABLE IF NOT EXISTS billing_transfers(id TEXT PRIMARY KEY, day INTEGER NOT NULL,"
	" kind TEXT NOT NULL, ref TEXT NOT NULL, fingerprint TEXT NOT NULL) STRICT;"
	"CREATE TABLE IF NOT EXISTS billing_postings(transfer TEXT NOT NULL, seq INTEGER NOT NULL,"
	" account TEXT NOT NULL, amount_fen INTEGER NOT NULL, PRIMARY KEY(transfer, seq)) STRICT;"
	"CREATE INDEX IF NOT EXISTS billing_postings_account ON billing_postings(account);"
	"CREATE TABLE IF NOT EXISTS billing_payments(id TEXT PRIMARY KEY, contract TEXT NOT NULL,"
	" invoice TEXT NOT NULL, day INTEGER NOT NULL, amount_fen INTEGER NOT NULL) STRICT;"
	"CREATE TABLE IF NOT EXISTS billing_payroll(period TEXT NOT NULL, agent TEXT NOT NULL,"
	" base_fen INTEGER NOT NULL, commission_fen INTEGER NOT NULL,"
	" PRIMARY KEY(period, agent)) STRICT;";

int kefu_billing_open(kefu_store *st, kefu_err *err)
{
	return kefu_store_ensure_module(st, "billing", 1, billing_sql, err);
}

static int db_fail(kefu_store *st, kefu_err *err, const char *what)
{
	return kefu_err_set(err, KEFU_ESTORE, "%s: %s", what, sqlite3_errmsg(kefu_store_sqlite(st)));
}

static int exec(kefu_store *st, const char *sql, kefu_err *err)
{
	if (sqlite3_exec(kefu_store_sqlite(st), sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(st, err, sql);
	return 0;
}

static int prep(kefu_store *st, sqlite3_stmt **s, const char *sql, kefu_err *err)
{
	if (sqlite3_prepare_v2(kefu_store_sqlite(st), sql, -1, s, NULL) != SQLITE_OK)
		return db_fail(st, err, "billing");
	return 0;
}

/* ------------------------------------------------------------ contracts */

int kefu_contract_store_add(kefu_store *st, const char *text, size_t n, const char *file,
			    int replace, int *added, kefu_contract_problems *probs, kefu_err *err)
{
	kefu_contract *c = NULL;
	sqlite3_stmt *s = NULL;
	int rc;
	*added = 0;
	if ((rc = kefu_contract_parse(&c, text, n, file, probs, err)))
		return rc;
	if ((rc = kefu_billing_open(st, err)))
		goto done;
	if ((rc = prep(st, &s, "SELECT source FROM billing_contracts WHERE id=?1", err)))
		goto done;
	sqlite3_bind_text(s, 1, c->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *old = (const char *)sqlite3_column_text(s, 0);
		size_t on = (size_t)sqlite3_column_bytes(s, 0);
		int same = on == n && !memcmp(old, text, n);
		sqlite3_finalize(s);
		s = NULL;
		if (same) {
			rc = 0;
			goto done;
		}
		if (!replace) {
			rc = kefu_err_set(err, KEFU_EINVAL,
					  "contract %s is already stored with another text (use "
					  "--replace; invoices already issued stay as they are)",
					  c->id);
			goto done;
		}
	} else if (rc != SQLITE_DONE) {
		rc = db_fail(st, err, "contract");
		goto done;
	}
	sqlite3_finalize(s);
	s = NULL;
	if ((rc = prep(st, &s, "INSERT OR REPLACE INTO billing_contracts(id, source) VALUES(?1, ?2)",
		       err)))
		goto done;
	sqlite3_bind_text(s, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, (int)n, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = db_fail(st, err, "contract");
	else
		*added = 1, rc = 0;
done:
	sqlite3_finalize(s);
	kefu_contract_free(c);
	return rc;
}

int kefu_contract_store_source(kefu_store *st, const char *id, char **text, kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;
	*text = NULL;
	if ((rc = kefu_billing_open(st, err)) ||
	    (rc = prep(st, &s, "SELECT source FROM billing_contracts WHERE id=?1", err)))
		return rc;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			return kefu_err_set(err, KEFU_ENOTFOUND, "no contract '%s' in the store", id);
		return db_fail(st, err, "contract");
	}
	*text = kefu_strndup((const char *)sqlite3_column_text(s, 0),
			     (size_t)sqlite3_column_bytes(s, 0));
	sqlite3_finalize(s);
	return *text ? 0 : kefu_err_set(err, KEFU_ENOMEM, "out of memory");
}

int kefu_contract_store_get(kefu_store *st, const char *id, kefu_contract **out, kefu_err *err)
{
	char *text = NULL;
	*out = NULL;
	int rc = kefu_contract_store_source(st, id, &text, err);
	if (rc)
		return rc;
	rc = kefu_contract_parse(out, text, strlen(text), id, NULL, err);
	kefu_free(text);
	return rc;
}

int kefu_contract_store_ids(kefu_store *st, char ***ids, size_t *n, kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	char **v = NULL;
	size_t cap = 0, k = 0;
	int rc;
	*ids = NULL;
	*n = 0;
	if ((rc = kefu_billing_open(st, err)) ||
	    (rc = prep(st, &s, "SELECT id FROM billing_contracts ORDER BY id", err)))
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (kefu_grow((void **)&v, &cap, k + 1, sizeof *v) ||
		    !(v[k] = kefu_strndup((const char *)sqlite3_column_text(s, 0),
					  (size_t)sqlite3_column_bytes(s, 0)))) {
			rc = KEFU_ENOMEM;
			break;
		}
		k++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		for (size_t i = 0; i < k; i++)
			kefu_free(v[i]);
		kefu_free(v);
		return rc == KEFU_ENOMEM ? kefu_err_set(err, rc, "out of memory")
					 : db_fail(st, err, "contracts");
	}
	*ids = v;
	*n = k;
	return 0;
}

/* A numeric cell (table cells start empty). */
static void cell_num(kefu_cell *c, int64_t v)
{
	c->empty = 0;
	c->num = v;
	c->den = 1;
}

/* ------------------------------------------------------------- invoices */

static void period_text(char *buf, size_t cap, int y, int m)
{
	snprintf(buf, cap, "%04d-%02d", y, m);
}

/* The lines of an invoice as one canonical text (its identity). */
static char *fingerprint(const kefu_invoice *inv)
{
	size_t cap = 64 + inv->n_lines * 480, o = 0;
	char *s = kefu_malloc(cap);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < inv->n_lines; i++) {
		const kefu_bill_line *l = &inv->lines[i];
		int w = snprintf(s + o, cap - o, "%d|%s|%lld\n", (int)l->kind, l->label,
				 (long long)l->amount_fen);
		if (w > 0 && (size_t)w < cap - o)
			o += (size_t)w;
	}
	return s;
}

static const char *const revenue_account[] = {"revenue:base", "revenue:base",
					      "revenue:commission", "revenue:event", "revenue:sla"};

static int post_invoice(kefu_store *st, const kefu_contract *c, const kefu_invoice *inv,
			kefu_record_stats *stats, kefu_err *err)
{
	kefu_posting p[8];
	kefu_transfer t;
	int added, rc;
	int64_t rev[5] = {0};
	memset(p, 0, sizeof p);
	memset(&t, 0, sizeof t);
	for (size_t i = 0; i < inv->n_lines; i++)
		rev[inv->lines[i].kind] += inv->lines[i].amount_fen;
	size_t n = 0;
	char prepaid[96];
	snprintf(prepaid, sizeof prepaid, "prepaid:%s", c->id);
	int64_t bal = 0, recv = 0, use = 0;
	if (inv->total_fen > 0) {
		char racc[96];
		snprintf(racc, sizeof racc, "receivable:%s", c->id);
		if ((rc = kefu_ledger_balance(st, prepaid, &bal, err)) ||
		    (rc = kefu_ledger_balance(st, racc, &recv, err)))
			return rc;
		/* what the merchant does not yet owe: first a credit already on the
		 * receivable (e.g. from a credit note), then the prepaid balance (a
		 * liability: a credit balance is money held) */
		int64_t need = inv->total_fen - (recv < 0 ? -recv : 0);
		if (need > 0 && -bal > 0)
			use = -bal < need ? -bal : need;
	}
	snprintf(p[n].account, sizeof p[n].account, "%s", prepaid);
	p[n++].amount_fen = use;
	snprintf(p[n].account, sizeof p[n].account, "receivable:%s", c->id);
	p[n++].amount_fen = inv->total_fen - use;
	int64_t base = rev[KEFU_LINE_BASE] + rev[KEFU_LINE_FIXED];
	const int64_t amounts[] = {base, rev[KEFU_LINE_COMMISSION], rev[KEFU_LINE_EVENT],
				   rev[KEFU_LINE_SLA]};
	const char *accounts[] = {revenue_account[0], revenue_account[2], revenue_account[3],
				  revenue_account[4]};
	for (int i = 0; i < 4; i++) {
		snprintf(p[n].account, sizeof p[n].account, "%s", accounts[i]);
		p[n++].amount_fen = -amounts[i];
	}
	snprintf(t.id, sizeof t.id, "inv:%s", inv->id);
	t.day = inv->issue_day;
	snprintf(t.kind, sizeof t.kind, "invoice");
	snprintf(t.ref, sizeof t.ref, "%s", inv->id);
	t.p = p;
	t.n = n;
	if ((rc = kefu_ledger_post(st, &t, &added, err)))
		return rc;
	stats->transfers_added += added;
	return 0;
}

/* Reverses the invoice's transfer as the credit note's transfer. */
static int post_credit(kefu_store *st, const char *invoice_id, const char *cn_id, int64_t day,
		       kefu_record_stats *stats, kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	kefu_posting *p = NULL;
	size_t cap = 0, n = 0;
	char tid[200];
	int rc, added;
	snprintf(tid, sizeof tid, "inv:%s", invoice_id);
	if ((rc = prep(st, &s,
		       "SELECT account, amount_fen FROM billing_postings WHERE transfer=?1 ORDER BY "
		       "seq",
		       err)))
		return rc;
	sqlite3_bind_text(s, 1, tid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (kefu_grow((void **)&p, &cap, n + 1, sizeof *p)) {
			sqlite3_finalize(s);
			kefu_free(p);
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		}
		snprintf(p[n].account, sizeof p[n].account, "%s", sqlite3_column_text(s, 0));
		p[n++].amount_fen = -sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		kefu_free(p);
		return db_fail(st, err, "credit note");
	}
	kefu_transfer t;
	memset(&t, 0, sizeof t);
	snprintf(t.id, sizeof t.id, "cn:%s", cn_id);
	t.day = day;
	snprintf(t.kind, sizeof t.kind, "credit");
	snprintf(t.ref, sizeof t.ref, "%s", cn_id);
	t.p = p;
	t.n = n;
	rc = kefu_ledger_post(st, &t, &added, err);
	kefu_free(p);
	if (!rc)
		stats->transfers_added += added;
	return rc;
}

static int insert_invoice(kefu_store *st, const kefu_contract *c, const kefu_invoice *inv,
			  const char *fp, kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	char period[16];
	int rc;
	period_text(period, sizeof period, inv->y, inv->m);
	if ((rc = prep(st, &s,
		       "INSERT INTO billing_invoices(id, contract, period, kind, rev, issue_day,"
		       " due_day, total_fen, fingerprint, notes) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
		       err)))
		return rc;
	sqlite3_bind_text(s, 1, inv->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, period, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, (int)inv->kind);
	sqlite3_bind_int(s, 5, inv->rev);
	sqlite3_bind_int64(s, 6, inv->issue_day);
	sqlite3_bind_int64(s, 7, inv->due_day);
	sqlite3_bind_int64(s, 8, inv->total_fen);
	sqlite3_bind_text(s, 9, fp, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, inv->notes, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, err, "invoice");
	if ((rc = prep(st, &s,
		       "INSERT INTO billing_invoice_lines(invoice, seq, kind, label, amount_fen, tier,"
		       " sla, kpi_num, kpi_den) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
		       err)))
		return rc;
	for (size_t i = 0; i < inv->n_lines; i++) {
		const kefu_bill_line *l = &inv->lines[i];
		sqlite3_bind_text(s, 1, inv->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, (int)i + 1);
		sqlite3_bind_int(s, 3, (int)l->kind);
		sqlite3_bind_text(s, 4, l->label, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, l->amount_fen);
		sqlite3_bind_int(s, 6, l->tier);
		sqlite3_bind_int(s, 7, l->sla);
		sqlite3_bind_int64(s, 8, l->kpi_num);
		sqlite3_bind_int64(s, 9, l->kpi_den);
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlite3_finalize(s);
			return db_fail(st, err, "invoice line");
		}
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return 0;
}

typedef struct current {
	int found;
	char id[160];
	int rev;
	int64_t issue_day, due_day, total;
	char *fp;
	int max_rev;
} current;

static int load_current(kefu_store *st, const char *contract, const char *period, int kind,
			current *cur, kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;
	memset(cur, 0, sizeof *cur);
	if ((rc = prep(st, &s,
		       "SELECT id, rev, issue_day, due_day, total_fen, fingerprint FROM "
		       "billing_invoices WHERE contract=?1 AND period=?2 AND kind=?3 AND credited_by "
		       "IS NULL",
		       err)))
		return rc;
	sqlite3_bind_text(s, 1, contract, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, period, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, kind);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		cur->found = 1;
		snprintf(cur->id, sizeof cur->id, "%s", sqlite3_column_text(s, 0));
		cur->rev = sqlite3_column_int(s, 1);
		cur->issue_day = sqlite3_column_int64(s, 2);
		cur->due_day = sqlite3_column_int64(s, 3);
		cur->total = sqlite3_column_int64(s, 4);
		cur->fp = kefu_strndup((const char *)sqlite3_column_text(s, 5),
				       (size_t)sqlite3_column_bytes(s, 5));
		if (!cur->fp) {
			sqlite3_finalize(s);
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		}
	} else if (rc != SQLITE_DONE) {
		sqlite3_finalize(s);
		return db_fail(st, err, "invoice");
	}
	sqlite3_finalize(s);
	if ((rc = prep(st, &s,
		       "SELECT coalesce(max(rev), 0) FROM billing_invoices WHERE contract=?1 AND "
		       "period=?2 AND kind=?3",
		       err)))
		return rc;
	sqlite3_bind_text(s, 1, contract, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, period, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, kind);
	if (sqlite3_step(s) == SQLITE_ROW)
		cur->max_rev = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

static int credit_note(kefu_store *st, const kefu_contract *c, const char *period,
		       const current *cur, int64_t day, kefu_record_stats *stats, kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	char cn[200];
	int rc;
	snprintf(cn, sizeof cn, "CN-%s", cur->id);
	if ((rc = prep(st, &s,
		       "INSERT INTO billing_credit_notes(id, invoice, contract, period, issue_day,"
		       " total_fen) VALUES(?1,?2,?3,?4,?5,?6)",
		       err)))
		return rc;
	sqlite3_bind_text(s, 1, cn, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, cur->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, period, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, day);
	sqlite3_bind_int64(s, 6, -cur->total);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, err, "credit note");
	if ((rc = prep(st, &s, "UPDATE billing_invoices SET credited_by=?1 WHERE id=?2", err)))
		return rc;
	sqlite3_bind_text(s, 1, cn, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, cur->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, err, "credit note");
	stats->credit_notes_added++;
	return post_credit(st, cur->id, cn, day, stats, err);
}

int kefu_billing_record(kefu_store *st, const kefu_contract *c, const kefu_period *p,
			kefu_invoice *inv, size_t n, unsigned due_mask, int64_t today,
			kefu_record_stats *stats, kefu_err *err)
{
	char period[16];
	int rc;
	period_text(period, sizeof period, p->y, p->m);
	if ((rc = kefu_billing_open(st, err)) || (rc = exec(st, "BEGIN IMMEDIATE", err)))
		return rc;
	for (int kind = KEFU_INV_POSTPAY; kind <= KEFU_INV_PREPAY_VAR; kind++) {
		if (!(due_mask & (1u << kind)))
			continue;
		kefu_invoice *comp = NULL;
		for (size_t i = 0; i < n; i++)
			if ((int)inv[i].kind == kind)
				comp = &inv[i];
		current cur;
		if ((rc = load_current(st, c->id, period, kind, &cur, err)))
			goto fail;
		char *fp = comp ? fingerprint(comp) : NULL;
		if (comp && !fp) {
			kefu_free(cur.fp);
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto fail;
		}
		if (!cur.found && !comp) {
			kefu_free(cur.fp);
			continue;
		}
		if (cur.found && comp && !strcmp(cur.fp, fp)) {
			snprintf(comp->id, sizeof comp->id, "%s", cur.id);
			comp->rev = cur.rev;
			comp->issue_day = cur.issue_day;
			comp->due_day = cur.due_day;
			stats->unchanged++;
			kefu_free(cur.fp);
			kefu_free(fp);
			continue;
		}
		int64_t natural = comp ? comp->issue_day : cur.issue_day;
		int64_t day = today > natural ? today : natural;
		if (cur.found && (rc = credit_note(st, c, period, &cur, day, stats, err))) {
			kefu_free(cur.fp);
			kefu_free(fp);
			goto fail;
		}
		kefu_free(cur.fp);
		if (comp) {
			comp->rev = cur.max_rev + 1;
			if (comp->rev > 1)
				comp->issue_day = day;
			comp->due_day = comp->issue_day + c->due_days;
			kefu_invoice_set_id(comp, c->id);
			rc = insert_invoice(st, c, comp, fp, err);
			if (!rc)
				rc = post_invoice(st, c, comp, stats, err);
			if (rc) {
				kefu_free(fp);
				goto fail;
			}
			stats->invoices_added++;
		}
		kefu_free(fp);
	}
	if ((rc = exec(st, "COMMIT", err)))
		goto fail;
	return 0;
fail:
	sqlite3_exec(kefu_store_sqlite(st), "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int kefu_billing_load(kefu_store *st, const char *contract, int y, int m, kefu_invoice **out,
		      size_t *n, kefu_err *err)
{
	sqlite3_stmt *s = NULL, *ls = NULL;
	kefu_invoice *v = NULL;
	size_t cap = 0, k = 0;
	char period[16];
	int rc;
	*out = NULL;
	*n = 0;
	period_text(period, sizeof period, y, m);
	if ((rc = kefu_billing_open(st, err)) ||
	    (rc = prep(st, &s,
		       "SELECT id, kind, rev, period, issue_day, due_day, total_fen, notes FROM "
		       "billing_invoices WHERE contract=?1 AND (?2 IS NULL OR period=?2) AND "
		       "credited_by IS NULL ORDER BY period, kind",
		       err)) ||
	    (rc = prep(st, &ls,
		       "SELECT kind, label, amount_fen, tier, sla, kpi_num, kpi_den FROM "
		       "billing_invoice_lines WHERE invoice=?1 ORDER BY seq",
		       err))) {
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_bind_text(s, 1, contract, -1, SQLITE_STATIC);
	if (y > 0)
		sqlite3_bind_text(s, 2, period, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 2);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (kefu_grow((void **)&v, &cap, k + 1, sizeof *v))
			goto oom;
		kefu_invoice *inv = &v[k++];
		memset(inv, 0, sizeof *inv);
		snprintf(inv->id, sizeof inv->id, "%s", sqlite3_column_text(s, 0));
		inv->kind = (kefu_invoice_kind)sqlite3_column_int(s, 1);
		inv->rev = sqlite3_column_int(s, 2);
		kefu_month_parse((const char *)sqlite3_column_text(s, 3), &inv->y, &inv->m);
		inv->issue_day = sqlite3_column_int64(s, 4);
		inv->due_day = sqlite3_column_int64(s, 5);
		inv->total_fen = sqlite3_column_int64(s, 6);
		snprintf(inv->notes, sizeof inv->notes, "%s", sqlite3_column_text(s, 7));
		size_t lcap = 0;
		sqlite3_bind_text(ls, 1, inv->id, -1, SQLITE_STATIC);
		while (sqlite3_step(ls) == SQLITE_ROW) {
			if (kefu_grow((void **)&inv->lines, &lcap, inv->n_lines + 1,
				      sizeof *inv->lines))
				goto oom;
			kefu_bill_line *l = &inv->lines[inv->n_lines++];
			memset(l, 0, sizeof *l);
			l->kind = (kefu_line_kind)sqlite3_column_int(ls, 0);
			snprintf(l->label, sizeof l->label, "%s", sqlite3_column_text(ls, 1));
			l->amount_fen = sqlite3_column_int64(ls, 2);
			l->tier = sqlite3_column_int(ls, 3);
			l->sla = sqlite3_column_int(ls, 4);
			l->kpi_num = sqlite3_column_int64(ls, 5);
			l->kpi_den = sqlite3_column_int64(ls, 6);
		}
		sqlite3_reset(ls);
	}
	sqlite3_finalize(s);
	sqlite3_finalize(ls);
	if (rc != SQLITE_DONE) {
		kefu_invoices_free(v, k);
		return db_fail(st, err, "invoices");
	}
	*out = v;
	*n = k;
	return 0;
oom:
	sqlite3_finalize(s);
	sqlite3_finalize(ls);
	kefu_invoices_free(v, k);
	return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
}

int kefu_billing_list_table(kefu_store *st, const char *contract, kefu_table **out,
			    kefu_err *err)
{
	static const struct {
		const char *name, *zh;
		kefu_coltype type;
	} cols[] = {{"document", "单据", KEFU_T_TEXT}, {"type", "类型", KEFU_T_TEXT},
		    {"contract", "合同", KEFU_T_TEXT}, {"period", "账期", KEFU_T_TEXT},
		    {"issue", "开票日", KEFU_T_TEXT},  {"due", "到期日", KEFU_T_TEXT},
		    {"total_fen", "金额", KEFU_T_FEN},  {"status", "状态", KEFU_T_TEXT}};
	static const char *const kinds[] = {"invoice", "invoice-prepay-fixed",
					    "invoice-prepay-variable"};
	kefu_table *t = NULL;
	sqlite3_stmt *s = NULL;
	int rc;
	*out = NULL;
	if ((rc = kefu_billing_open(st, err)))
		return rc;
	if (kefu_table_new(&t, "invoices"))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		if (kefu_table_add_col(t, cols[i].name, cols[i].zh, cols[i].type))
			goto oom;
	if ((rc = prep(st, &s,
		       "SELECT id, kind, contract, period, issue_day, due_day, total_fen,"
		       " coalesce('credited by ' || credited_by, 'current') FROM billing_invoices"
		       " WHERE ?1 IS NULL OR contract=?1"
		       " UNION ALL SELECT id, -1, contract, period, issue_day, NULL, total_fen,"
		       " 'credits ' || invoice FROM billing_credit_notes WHERE ?1 IS NULL OR "
		       "contract=?1 ORDER BY 3, 4, 5, 1",
		       err))) {
		kefu_table_free(t);
		return rc;
	}
	if (contract)
		sqlite3_bind_text(s, 1, contract, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		kefu_cell *r;
		char issue[16] = "", due[16] = "";
		if (kefu_table_add_row(t, &r))
			goto oom;
		int kind = sqlite3_column_int(s, 1);
		const char *type = kind < 0 ? "credit-note" : kinds[kind % 3];
		kefu_day_format(sqlite3_column_int64(s, 4), issue);
		if (sqlite3_column_type(s, 5) != SQLITE_NULL)
			kefu_day_format(sqlite3_column_int64(s, 5), due);
		const char *texts[] = {(const char *)sqlite3_column_text(s, 0), type,
				       (const char *)sqlite3_column_text(s, 2),
				       (const char *)sqlite3_column_text(s, 3), issue, due};
		for (int i = 0; i < 6; i++)
			if (kefu_cell_set_text(&r[i], texts[i], strlen(texts[i])))
				goto oom;
		cell_num(&r[6], sqlite3_column_int64(s, 6));
		const char *status = (const char *)sqlite3_column_text(s, 7);
		if (kefu_cell_set_text(&r[7], status, strlen(status)))
			goto oom;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		kefu_table_free(t);
		return db_fail(st, err, "invoices");
	}
	*out = t;
	return 0;
oom:
	sqlite3_finalize(s);
	kefu_table_free(t);
	return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------- payments */

int kefu_billing_pay(kefu_store *st, const char *payment_id, const char *contract,
		     const char *invoice, int64_t day, int64_t amount_fen, int *added,
		     kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;
	*added = 0;
	if (amount_fen <= 0)
		return kefu_err_set(err, KEFU_EINVAL, "a payment amount must be above 0");
	if ((rc = kefu_billing_open(st, err)) || (rc = exec(st, "BEGIN IMMEDIATE", err)))
		return rc;
	if ((rc = prep(st, &s,
		       "SELECT contract, invoice, day, amount_fen FROM billing_payments WHERE id=?1",
		       err)))
		goto fail;
	sqlite3_bind_text(s, 1, payment_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int same = !strcmp((const char *)sqlite3_column_text(s, 0), contract) &&
			   !strcmp((const char *)sqlite3_column_text(s, 1), invoice ? invoice : "") &&
			   sqlite3_column_int64(s, 2) == day &&
			   sqlite3_column_int64(s, 3) == amount_fen;
		sqlite3_finalize(s);
		s = NULL;
		rc = same ? 0
			  : kefu_err_set(err, KEFU_EINVAL,
					 "payment %s was already recorded with other values",
					 payment_id);
		goto fail; /* nothing to write either way */
	}
	sqlite3_finalize(s);
	s = NULL;
	if (invoice) {
		if ((rc = prep(st, &s, "SELECT 1 FROM billing_invoices WHERE id=?1 AND contract=?2",
			       err)))
			goto fail;
		sqlite3_bind_text(s, 1, invoice, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, contract, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		s = NULL;
		if (rc != SQLITE_ROW) {
			rc = kefu_err_set(err, KEFU_ENOTFOUND, "no invoice %s of contract %s", invoice,
					  contract);
			goto fail;
		}
	}
	kefu_posting p[3];
	memset(p, 0, sizeof p);
	snprintf(p[0].account, sizeof p[0].account, "cash");
	p[0].amount_fen = amount_fen;
	snprintf(p[1].account, sizeof p[1].account, "receivable:%s", contract);
	snprintf(p[2].account, sizeof p[2].account, "prepaid:%s", contract);
	int64_t recv = 0;
	if ((rc = kefu_ledger_balance(st, p[1].account, &recv, err)))
		goto fail;
	int64_t settle = recv > 0 ? (recv < amount_fen ? recv : amount_fen) : 0;
	p[1].amount_fen = -settle;
	p[2].amount_fen = -(amount_fen - settle);
	kefu_transfer t;
	memset(&t, 0, sizeof t);
	snprintf(t.id, sizeof t.id, "pay:%s", payment_id);
	t.day = day;
	snprintf(t.kind, sizeof t.kind, "payment");
	snprintf(t.ref, sizeof t.ref, "%s", payment_id);
	t.p = p;
	t.n = 3;
	if ((rc = kefu_ledger_post(st, &t, added, err)))
		goto fail;
	if ((rc = prep(st, &s,
		       "INSERT INTO billing_payments(id, contract, invoice, day, amount_fen)"
		       " VALUES(?1,?2,?3,?4,?5)",
		       err)))
		goto fail;
	sqlite3_bind_text(s, 1, payment_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, contract, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, invoice ? invoice : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, day);
	sqlite3_bind_int64(s, 5, amount_fen);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE) {
		rc = db_fail(st, err, "payment");
		goto fail;
	}
	return exec(st, "COMMIT", err);
fail:
	sqlite3_finalize(s);
	sqlite3_exec(kefu_store_sqlite(st), "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
