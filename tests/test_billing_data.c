/*
 * test_billing_data.c - billing from real engine output: the period's
 * credited sales and SLA KPIs of the vendor's agents (coverage windows
 * filter chats and sales; net basis with refunds above the amount), the
 * cross-check against the KPI report by vendor, and the store side:
 * billing twice adds nothing, changed data gives exactly one credit note
 * and one new invoice, payments, and the ledger balanced after every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "kefu/billing.h"
#include "kefu/ledger.h"
#include "kefu/tz.h"
#include "testutil.h"

/* Shop s1 and s2; vendor huiying's agents s1:hy1, s2:hy2; in-house s1:me.
 * Coverage 18:00-09:00 (Asia/Shanghai). In January (term from 01-16):
 *   b1 20:00 night, answered in 30 s, buys 1000.00       inside coverage
 *   b2 12:00 day, answered in 10 s, buys 500.00           outside
 *   b3 08:00 (s2) answered in 20 s, buys 300.00, refund 400.00   inside
 *   b5 23:00 never answered                                inside
 *   b4 with the in-house agent, buys 200.00                not the vendor
 *   b6 on 01-10, before the term, buys 100.00              outside the period */
static const char *messages_csv =
	"shop,buyer,agent,dir,ts,text\n"
	"s1,b1,s1:hy1,B,2023-01-20 20:00:00,在吗\n"
	"s1,b1,s1:hy1,A,2023-01-20 20:00:30,在的亲\n"
	"s1,b2,s1:hy1,B,2023-01-20 12:00:00,有货吗\n"
	"s1,b2,s1:hy1,A,2023-01-20 12:00:10,有的\n"
	"s2,b3,s2:hy2,B,2023-01-21 08:00:00,包邮吗\n"
	"s2,b3,s2:hy2,A,2023-01-21 08:00:20,包邮\n"
	"s1,b5,s1:hy1,B,2023-01-25 23:00:00,人呢\n"
	"s1,b4,s1:me,B,2023-01-22 21:00:00,你好\n"
	"s1,b4,s1:me,A,2023-01-22 21:00:05,您好\n"
	"s1,b6,s1:hy1,B,2023-01-10 20:00:00,在吗\n"
	"s1,b6,s1:hy1,A,2023-01-10 20:00:10,在\n";

static const char *orders_csv =
	"shop,order_id,buyer,created,paid,amount,items,status,refund\n"
	"s1,o1,b1,2023-01-20 20:10:00,2023-01-20 20:11:00,1000.00,1,TRADE_FINISHED,0\n"
	"s1,o2,b2,2023-01-20 12:05:00,2023-01-20 12:06:00,500.00,1,TRADE_FINISHED,0\n"
	"s2,o3,b3,2023-01-21 08:30:00,2023-01-21 08:31:00,300.00,1,TRADE_CLOSED,400.00\n"
	"s1,o4,b4,2023-01-22 21:10:00,2023-01-22 21:11:00,200.00,1,TRADE_FINISHED,0\n"
	"s1,o6,b6,2023-01-10 20:05:00,2023-01-10 20:06:00,100.00,1,TRADE_FINISHED,0\n";

static const char *roster_csv = "agent,vendor,team,name,from,to,base_month,commission_rate\n"
				"s1:hy1,huiying,T1,HY1,2023-01-16,,3100.00,0.01\n"
				"s2:hy2,huiying,T1,HY2,,,3000.00,\n"
				"s1:me,inhouse,T0,Me,,,,\n";

static const char *extra_order_csv =
	"shop,order_id,buyer,created,paid,amount,items,status,refund\n"
	"s1,o7,b1,2023-01-20 20:20:00,2023-01-20 20:21:00,50.00,1,TRADE_FINISHED,0\n";

static char *contract_text(const char *mode_cov, const char *basis)
{
	char *buf = malloc(2048);
	assert_non_null(buf);
	snprintf(buf, 2048,
		 "id: HY-2023-017\nmerchant: 某某旗舰店\nshops: [s1, s2]\nvendor: huiying\n%s\n"
		 "term: {kind: quarter, start: 2023-01-16, renew: manual}\n"
		 "fee:\n  scheme: base_commission\n  seats: 6\n  base_per_seat_month: \"4500.00\"\n"
		 "  commission:\n    - {to: \"1000000.00\", rate: \"1.0%%\"}\n    - {rate: \"1.5%%\"}\n"
		 "  sales_basis: %s\n"
		 "settlement: {mode: postpay, due_days: 15}\n"
		 "sla:\n  - {metric: first_resp_s, target: \"<= 20\", penalty: \"2%% of base\"}\n"
		 "  - {metric: conv_rate, target: \">= 35%%\", bonus: \"1%% of base\"}\n"
		 "  - {metric: sat_rate, target: \">= 90%%\", penalty: \"100.00\"}\n",
		 mode_cov, basis);
	return buf;
}

static kefu_contract *contract(const char *mode_cov, const char *basis)
{
	char *t = contract_text(mode_cov, basis);
	kefu_contract *c = NULL;
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_contract_parse(&c, t, strlen(t), "c.yaml", NULL, &err))
		fail_msg("%s", err.msg);
	free(t);
	return c;
}

static void run_data(tu_run *r, int extra)
{
	kefu_dataset *ds;
	assert_int_equal(kefu_dataset_new(&ds), 0);
	tu_load_text(ds, messages_csv);
	tu_load_text(ds, orders_csv);
	tu_load_text(ds, roster_csv);
	if (extra)
		tu_load_text(ds, extra_order_csv);
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	ro.by = KEFU_BY_VENDOR;
	ro.per = KEFU_PER_RANGE;
	int64_t from, to;
	kefu_day_parse("2023-01-16", 10, &from);
	kefu_day_parse("2023-01-31", 10, &to);
	ro.from_day = from;
	ro.to_day = to;
	tu_run_dataset(r, ds, NULL, &ro);
}

static kefu_billing_data data_of(const tu_run *r)
{
	kefu_billing_data d = {r->ds, r->res, r->vs, r->nvs};
	return d;
}

static void collect(kefu_period_kpi *k, uint8_t **cls, const kefu_contract *c, const tu_run *r,
		    int y, int m)
{
	kefu_period p;
	kefu_err err = KEFU_ERR_INIT;
	kefu_billing_data d = data_of(r);
	assert_int_equal(kefu_billing_period(&p, c, y, m), 0);
	if (cls)
		*cls = calloc(r->res->n_chats + 1, 1);
	assert_int_equal(kefu_billing_collect(k, cls ? *cls : NULL, c, &p, &d, &err), 0);
}

static void test_partial_coverage(void **state)
{
	(void)state;
	tu_run r;
	run_data(&r, 0);
	kefu_contract *c = contract("mode: partial\ncoverage: [\"18:00-09:00\"]", "gross");
	kefu_period_kpi k;
	uint8_t *cls;
	collect(&k, &cls, c, &r, 2023, 1);
	assert_int_equal(k.chats, 4);         /* b1, b2, b3, b5 */
	assert_int_equal(k.chats_covered, 3); /* b2 at noon is outside */
	assert_int_equal(k.sales_fen, 100000 + 30000);
	assert_int_equal(k.sales_orders, 2);
	assert_int_equal(k.num[KEFU_SLA_FIRST_RESP_S], 30 + 20);
	assert_int_equal(k.den[KEFU_SLA_FIRST_RESP_S], 2);
	assert_int_equal(k.num[KEFU_SLA_REPLY_RATE], 2);
	assert_int_equal(k.den[KEFU_SLA_REPLY_RATE], 3);
	assert_int_equal(k.num[KEFU_SLA_CONV_RATE], 2);
	assert_int_equal(k.den[KEFU_SLA_CONV_RATE], 2);
	assert_int_equal(k.den[KEFU_SLA_SAT_RATE], 0);
	/* exactly the chats named above are classified */
	size_t in = 0, out = 0;
	for (size_t i = 0; i < r.res->n_chats; i++) {
		kefu_str b = kefu_dict_get(r.ds->buyers, r.res->chats[i].buyer);
		if (cls[i] == KEFU_CHAT_COVERED) {
			in++;
			assert_true(b.n == 2 && (b.p[1] == '1' || b.p[1] == '3' || b.p[1] == '5'));
		} else if (cls[i] == KEFU_CHAT_OUTSIDE) {
			out++;
			assert_memory_equal(b.p, "b2", 2);
		}
	}
	assert_int_equal(in, 3);
	assert_int_equal(out, 1);
	free(cls);
	/* the in-house side (renewal review): s1:me's chat with b4 at 21:00, all
	 * hours, and its 200.00 sale */
	kefu_period_kpi h;
	kefu_period pj;
	kefu_err e2 = KEFU_ERR_INIT;
	kefu_billing_data dj = data_of(&r);
	kefu_billing_period(&pj, c, 2023, 1);
	assert_int_equal(kefu_billing_collect_ex(&h, NULL, c, &pj, &dj, 1, &e2), 0);
	assert_int_equal(h.chats, 1);
	assert_int_equal(h.sales_fen, 20000);
	assert_int_equal(h.num[KEFU_SLA_FIRST_RESP_S], 5);
	assert_int_equal(h.den[KEFU_SLA_FIRST_RESP_S], 1);
	/* the invoice: base 13935.48, tier 1 on 1300.00 = 13.00, first_resp
	 * 25 > 20: -278.71, conv 100% >= 35%: +139.35; sat_rate has no data */
	kefu_invoice *v;
	size_t n;
	kefu_period p;
	kefu_err err = KEFU_ERR_INIT;
	kefu_billing_period(&p, c, 2023, 1);
	assert_int_equal(kefu_billing_compute(&v, &n, c, &p, &k, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].n_lines, 4);
	assert_string_equal(v[0].lines[1].label, "commission tier 1: 1,300.00 x 1.0%");
	assert_int_equal(v[0].lines[1].amount_fen, 1300);
	assert_string_equal(v[0].lines[2].label, "sla first_resp_s 25.00 > 20: -2% of 13935.48");
	assert_int_equal(v[0].total_fen, 1393548 + 1300 - 27871 + 13935);
	assert_non_null(strstr(v[0].notes, "chats inside coverage: 3 of 4"));
	assert_non_null(strstr(v[0].notes, "sla sat_rate: no data"));
	kefu_invoices_free(v, n);
	kefu_contract_free(c);
	tu_run_free(&r);
}

/* Net basis: o3's refund 400.00 above its 300.00 counts 0, never
 * negative; full mode also counts the daytime sale. Full-mode sales equal
 * the KPI report's sales_fen of the vendor over the same days. */
static void test_net_and_full(void **state)
{
	(void)state;
	tu_run r;
	run_data(&r, 0);
	kefu_contract *c = contract("mode: partial\ncoverage: [\"18:00-09:00\"]", "net");
	kefu_period_kpi k;
	collect(&k, NULL, c, &r, 2023, 1);
	assert_int_equal(k.sales_fen, 100000);
	kefu_contract_free(c);
	c = contract("mode: full", "gross");
	collect(&k, NULL, c, &r, 2023, 1);
	assert_int_equal(k.sales_fen, 100000 + 50000 + 30000);
	assert_int_equal(k.chats, 4);
	assert_int_equal(k.chats_covered, 4);
	assert_int_equal(k.num[KEFU_SLA_FIRST_RESP_S], 60);
	assert_int_equal(k.den[KEFU_SLA_FIRST_RESP_S], 3);
	const char *kv[] = {"vendor", "huiying", NULL};
	long row = tu_find_row(r.table, kv);
	assert_true(row >= 0);
	assert_int_equal(tu_int(r.table, row, "sales_fen"), k.sales_fen);
	assert_int_equal(tu_int(r.table, row, "first_resp_sum_s"), k.num[KEFU_SLA_FIRST_RESP_S]);
	assert_int_equal(tu_int(r.table, row, "consults"), k.den[KEFU_SLA_REPLY_RATE]);
	kefu_contract_free(c);
	c = contract("mode: full", "net");
	collect(&k, NULL, c, &r, 2023, 1);
	assert_int_equal(k.sales_fen, 100000 + 50000);
	/* a month with no sales at all: no commission line */
	kefu_contract_free(c);
	tu_run_free(&r);
}

static void check_balanced(kefu_store *st, int64_t want_transfers)
{
	kefu_err err = KEFU_ERR_INIT;
	int64_t d, c, n;
	assert_int_equal(kefu_ledger_totals(st, &d, &c, &n, &err), 0);
	assert_int_equal(d, c);
	assert_int_equal(n, want_transfers);
}

static long count(kefu_store *st, const char *sql)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(kefu_store_sqlite(st), sql, -1, &s, NULL), 0);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	long v = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void bill(kefu_store *st, const kefu_contract *c, const tu_run *r, int y, int m,
		 kefu_record_stats *rs)
{
	kefu_period p;
	kefu_period_kpi k;
	kefu_invoice *v;
	size_t n;
	kefu_err err = KEFU_ERR_INIT;
	kefu_billing_data d = data_of(r);
	memset(rs, 0, sizeof *rs);
	assert_int_equal(kefu_billing_period(&p, c, y, m), 0);
	assert_int_equal(kefu_billing_collect(&k, NULL, c, &p, &d, &err), 0);
	assert_int_equal(kefu_billing_compute(&v, &n, c, &p, &k, &err), 0);
	int64_t today;
	kefu_day_parse("2023-03-05", 10, &today);
	if (kefu_billing_record(st, c, &p, v, n, 1u << KEFU_INV_POSTPAY, today, rs, &err))
		fail_msg("%s", err.msg);
	kefu_invoices_free(v, n);
}

static void test_idempotent_and_correction(void **state)
{
	(void)state;
	char path[] = "/tmp/kefu_billing_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	kefu_store *st = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_store_open(&st, path, &err), 0);
	assert_int_equal(kefu_billing_open(st, &err), 0);
	check_balanced(st, 0);
	tu_run r;
	run_data(&r, 0);
	kefu_contract *c = contract("mode: partial\ncoverage: [\"18:00-09:00\"]", "gross");
	kefu_record_stats rs;
	bill(st, c, &r, 2023, 1, &rs);
	assert_int_equal(rs.invoices_added, 1);
	assert_int_equal(rs.transfers_added, 1);
	check_balanced(st, 1);
	int64_t recv;
	assert_int_equal(kefu_ledger_balance(st, "receivable:HY-2023-017", &recv, &err), 0);
	assert_int_equal(recv, 1393548 + 1300 - 27871 + 13935);
	/* billing the same period again: nothing new */
	bill(st, c, &r, 2023, 1, &rs);
	assert_int_equal(rs.invoices_added, 0);
	assert_int_equal(rs.transfers_added, 0);
	assert_int_equal(rs.credit_notes_added, 0);
	assert_int_equal(rs.unchanged, 1);
	check_balanced(st, 1);
	assert_int_equal(count(st, "SELECT count(*) FROM billing_invoices"), 1);
	/* a payment of 10000.00: settles part of the receivable; replays are no-ops */
	int added;
	int64_t day;
	kefu_day_parse("2023-02-10", 10, &day);
	assert_int_equal(kefu_billing_pay(st, "BANK-1", "HY-2023-017", "HY-2023-017-2023-01-P-r1",
					  day, 1000000, &added, &err),
			 0);
	assert_int_equal(added, 1);
	assert_int_equal(kefu_billing_pay(st, "BANK-1", "HY-2023-017", "HY-2023-017-2023-01-P-r1",
					  day, 1000000, &added, &err),
			 0);
	assert_int_equal(added, 0);
	assert_int_equal(kefu_billing_pay(st, "BANK-1", "HY-2023-017", "HY-2023-017-2023-01-P-r1",
					  day, 1000001, &added, &err),
			 KEFU_EINVAL);
	check_balanced(st, 2);
	/* a late order: exactly one credit note and one replacement invoice */
	tu_run r2;
	run_data(&r2, 1);
	bill(st, c, &r2, 2023, 1, &rs);
	assert_int_equal(rs.credit_notes_added, 1);
	assert_int_equal(rs.invoices_added, 1);
	assert_int_equal(rs.transfers_added, 2);
	check_balanced(st, 4);
	kefu_invoice *v;
	size_t n;
	assert_int_equal(kefu_billing_load(st, "HY-2023-017", 2023, 1, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, "HY-2023-017-2023-01-P-r2");
	assert_int_equal(v[0].rev, 2);
	char d1[16];
	kefu_day_format(v[0].issue_day, d1);
	assert_string_equal(d1, "2023-03-05"); /* corrections are issued on the run day */
	assert_int_equal(v[0].lines[1].amount_fen, 1350); /* 1350.00 x 1% */
	int64_t total2 = v[0].total_fen;
	kefu_invoices_free(v, n);
	assert_int_equal(count(st, "SELECT count(*) FROM billing_credit_notes"), 1);
	assert_int_equal(count(st, "SELECT total_fen FROM billing_credit_notes"),
			 -(1393548 + 1300 - 27871 + 13935));
	/* receivable = new total - payment */
	assert_int_equal(kefu_ledger_balance(st, "receivable:HY-2023-017", &recv, &err), 0);
	assert_int_equal(recv, total2 - 1000000);
	/* and again: nothing */
	bill(st, c, &r2, 2023, 1, &rs);
	assert_int_equal(rs.invoices_added + rs.credit_notes_added + rs.transfers_added, 0);
	check_balanced(st, 4);
	/* a transfer replayed with another amount is refused */
	kefu_posting p[2] = {{"cash", 5}, {"revenue:base", -5}};
	kefu_transfer t = {"inv:HY-2023-017-2023-01-P-r2", 0, "invoice", "x", p, 2};
	assert_int_equal(kefu_ledger_post(st, &t, &added, &err), KEFU_EINVAL);
	kefu_posting q[2] = {{"cash", 5}, {"revenue:base", -4}};
	kefu_transfer u = {"new", 0, "invoice", "x", q, 2};
	assert_int_equal(kefu_ledger_post(st, &u, &added, &err), KEFU_EINVAL);
	check_balanced(st, 4);
	kefu_contract_free(c);
	tu_run_free(&r);
	tu_run_free(&r2);
	kefu_store_close(st);
	unlink(path);
	char wal[64];
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", path);
	unlink(wal);
}

/* Payroll: hy1 from 01-16 (16 of 31 days of 3100.00 = 1600.00) plus 1% of
 * credited sales in January from 01-16 on (b1 1000.00 + b2 500.00 + b5
 * none); hy2 the whole month 3000.00, no rate. Margin: hy1's cost all on
 * the contract's shops. */
static void test_payroll(void **state)
{
	(void)state;
	tu_run r;
	run_data(&r, 0);
	kefu_pay_line *pay;
	size_t n;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_payroll_compute(&pay, &n, r.ds, r.res, 2023, 1, &err), 0);
	assert_int_equal(n, 2);
	kefu_str a0 = kefu_dict_get(r.ds->agents, pay[0].agent);
	assert_memory_equal(a0.p, "s1:hy1", 6);
	assert_int_equal(pay[0].active_days, 16);
	assert_int_equal(pay[0].base_fen, 160000);
	/* the agent's sales of the whole month: b6 on 01-10 too (100.00) */
	assert_int_equal(pay[0].sales_fen, 100000 + 50000 + 10000);
	assert_int_equal(pay[0].commission_fen, 1600);
	assert_int_equal(pay[0].total_fen, 161600);
	assert_int_equal(pay[1].active_days, 31);
	assert_int_equal(pay[1].total_fen, 300000);
	kefu_free(pay);
	tu_run_free(&r);
}

static void test_bad_contract_nothing_stored(void **state)
{
	(void)state;
	char path[] = "/tmp/kefu_billing_bad_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	kefu_store *st = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_store_open(&st, path, &err), 0);
	char *t = contract_text("mode: partial", "gross"); /* coverage missing */
	kefu_contract_problems probs = {0};
	int added = 0;
	assert_int_equal(kefu_contract_store_add(st, t, strlen(t), "c.yaml", 0, &added, &probs, &err),
			 KEFU_EPARSE);
	assert_int_equal(added, 0);
	assert_int_equal(probs.n, 1);
	assert_string_equal(probs.v[0].key, "coverage");
	assert_int_equal(probs.v[0].line, 5);
	kefu_contract_problems_clear(&probs);
	free(t);
	assert_int_equal(kefu_billing_open(st, &err), 0);
	assert_int_equal(count(st, "SELECT count(*) FROM billing_contracts"), 0);
	t = contract_text("mode: full", "gross");
	assert_int_equal(kefu_contract_store_add(st, t, strlen(t), "c.yaml", 0, &added, NULL, &err),
			 0);
	assert_int_equal(added, 1);
	assert_int_equal(kefu_contract_store_add(st, t, strlen(t), "c.yaml", 0, &added, NULL, &err),
			 0);
	assert_int_equal(added, 0);
	free(t);
	kefu_contract *c = NULL;
	assert_int_equal(kefu_contract_store_get(st, "HY-2023-017", &c, &err), 0);
	assert_int_equal(c->mode, KEFU_MODE_FULL);
	kefu_contract_free(c);
	assert_int_equal(kefu_contract_store_get(st, "nope", &c, &err), KEFU_ENOTFOUND);
	kefu_store_close(st);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_coverage),
		cmocka_unit_test(test_net_and_full),
		cmocka_unit_test(test_idempotent_and_correction),
		cmocka_unit_test(test_payroll),
		cmocka_unit_test(test_bad_contract_nothing_stored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
