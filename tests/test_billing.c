/*
 * test_billing.c - settlement.md's invoice lines by hand: the worked
 * example line for line, the pinned proration vectors, periods of terms
 * that start or end mid-month, commission tiers on their boundaries,
 * prepay invoices and event seats across a month boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kefu/billing.h"
#include "kefu/contract.h"
#include "kefu/tz.h"

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 16);
	assert_non_null(buf);
	*n = fread(buf, 1, (1 << 16) - 1, f);
	buf[*n] = '\0';
	fclose(f);
	return buf;
}

static kefu_contract *parse_text(const char *text)
{
	kefu_contract *c = NULL;
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_contract_parse(&c, text, strlen(text), "t.yaml", NULL, &err);
	if (rc)
		fail_msg("%s:%ld: %s", err.file, err.line, err.msg);
	return c;
}

static kefu_contract *parse_file(const char *name)
{
	char path[512];
	size_t n;
	snprintf(path, sizeof path, "%s/billing/%s", KEFU_TEST_FIXTURES, name);
	char *text = slurp(path, &n);
	kefu_contract *c = parse_text(text);
	free(text);
	return c;
}

static int64_t day(const char *s)
{
	int64_t d;
	assert_int_equal(kefu_day_parse(s, strlen(s), &d), 0);
	return d;
}

static const char *dayfmt(int64_t d)
{
	static char buf[16];
	kefu_day_format(d, buf);
	return buf;
}

static void compute(kefu_invoice **v, size_t *n, const kefu_contract *c, int y, int m,
		    const kefu_period_kpi *k)
{
	kefu_period p;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_billing_period(&p, c, y, m), 0);
	assert_int_equal(kefu_billing_compute(v, n, c, &p, k, &err), 0);
}

/* settlement.md worked example: January 2023, 16 of 31 days, credited
 * sales 1,234,567.89, first_resp_s 23.40, conv_rate 37.00%. */
static void test_worked_example(void **state)
{
	(void)state;
	kefu_contract *c = parse_file("hy-2023-017.yaml");
	kefu_period_kpi k = {0};
	k.sales_fen = 123456789;
	k.num[KEFU_SLA_FIRST_RESP_S] = 2340; /* 23.40 s as 2340/100 */
	k.den[KEFU_SLA_FIRST_RESP_S] = 100;
	k.num[KEFU_SLA_CONV_RATE] = 37;
	k.den[KEFU_SLA_CONV_RATE] = 100;
	kefu_invoice *v;
	size_t n;
	compute(&v, &n, c, 2023, 1, &k);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, "HY-2023-017-2023-01-P-r1");
	assert_string_equal(dayfmt(v[0].issue_day), "2023-02-01");
	assert_string_equal(dayfmt(v[0].due_day), "2023-02-16");
	assert_int_equal(v[0].n_lines, 5);
	const kefu_bill_line *l = v[0].lines;
	assert_string_equal(l[0].label, "base 6 x 4500.00 x 16/31");
	assert_int_equal(l[0].amount_fen, 1393548);
	assert_string_equal(l[1].label, "commission tier 1: 1,000,000.00 x 1.0%");
	assert_int_equal(l[1].amount_fen, 1000000);
	assert_string_equal(l[2].label, "commission tier 2: 234,567.89 x 1.5%");
	assert_int_equal(l[2].amount_fen, 351852);
	assert_string_equal(l[3].label, "sla first_resp_s 23.40 > 20: -2% of 13935.48");
	assert_int_equal(l[3].amount_fen, -27871);
	assert_int_equal(l[3].kpi_num * 100, 2340 * l[3].kpi_den);
	assert_string_equal(l[4].label, "sla conv_rate 37.00% >= 35%: +1% of 13935.48");
	assert_int_equal(l[4].amount_fen, 13935);
	assert_int_equal(v[0].total_fen, 2731464);
	kefu_invoices_free(v, n);
	kefu_contract_free(c);
}

/* The KPI is compared exactly: 20.004 s is above "<= 20" even though it
 * prints 20.00; exactly 20 meets it; 35% met by 7/20. */
static void test_sla_exact_compare(void **state)
{
	(void)state;
	kefu_contract *c = parse_file("hy-2023-017.yaml");
	kefu_period_kpi k = {0};
	k.num[KEFU_SLA_FIRST_RESP_S] = 5001; /* 20.004 */
	k.den[KEFU_SLA_FIRST_RESP_S] = 250;
	kefu_invoice *v;
	size_t n;
	compute(&v, &n, c, 2023, 2, &k);
	assert_int_equal(n, 1);
	/* base Feb full month 27000.00; penalty 2% = 540.00; conv no data */
	assert_int_equal(v[0].n_lines, 2);
	assert_int_equal(v[0].lines[0].amount_fen, 2700000);
	assert_string_equal(v[0].lines[1].label, "sla first_resp_s 20.00 > 20: -2% of 27000.00");
	assert_int_equal(v[0].lines[1].amount_fen, -54000);
	assert_non_null(strstr(v[0].notes, "sla conv_rate: no data"));
	kefu_invoices_free(v, n);
	k.num[KEFU_SLA_FIRST_RESP_S] = 5000; /* exactly 20 */
	k.num[KEFU_SLA_CONV_RATE] = 7;
	k.den[KEFU_SLA_CONV_RATE] = 20;
	compute(&v, &n, c, 2023, 2, &k);
	assert_int_equal(v[0].n_lines, 2);
	assert_int_equal(v[0].lines[1].kind, KEFU_LINE_SLA);
	assert_int_equal(v[0].lines[1].amount_fen, 27000);
	kefu_invoices_free(v, n);
	kefu_contract_free(c);
}

/* Pinned: 19.95 a month for 2 of 28 days = 142.5 fen -> 1.43. */
static void test_proration_vectors(void **state)
{
	(void)state;
	kefu_contract *c = parse_text("id: P1\nmerchant: m\nshops: [s1]\nvendor: v\nmode: full\n"
				      "term: {kind: month, months: 1, start: 2023-02-27}\n"
				      "fee: {scheme: fixed, fixed_month: \"19.95\"}\n"
				      "settlement: {mode: postpay, due_days: 0}\n");
	kefu_period_kpi k = {0};
	kefu_invoice *v;
	size_t n;
	compute(&v, &n, c, 2023, 2, &k);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].lines[0].label, "fixed 19.95 x 2/28");
	assert_int_equal(v[0].lines[0].amount_fen, 143);
	assert_string_equal(dayfmt(v[0].issue_day), "2023-03-01");
	kefu_invoices_free(v, n);
	kefu_contract_free(c);
	assert_int_equal(kefu_round_div(1995 * 2, 28), 143);
	assert_int_equal(kefu_round_div(-1995 * 2, 28), -143);
	assert_int_equal(kefu_round_div((__int128)2700000 * 16, 31), 1393548);
}

/* A month term starting 2023-03-10 ends 2023-04-09: March 22/31, April
 * 9/30, the April invoice issued the day after the term ends. */
static void test_term_ending_mid_month(void **state)
{
	(void)state;
	kefu_contract *c = parse_text("id: M1\nmerchant: m\nshops: [s1]\nvendor: v\nmode: full\n"
				      "term: {kind: month, months: 1, start: 2023-03-10}\n"
				      "fee: {scheme: fixed, seats: 2, fixed_per_seat_month: \"1500.00\"}\n"
				      "settlement: {mode: postpay, due_days: 10}\n");
	assert_string_equal(dayfmt(c->end_day), "2023-04-09");
	kefu_period *ps;
	size_t np;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_billing_periods(&ps, &np, c, day("2023-12-31"), &err), 0);
	assert_int_equal(np, 2);
	assert_string_equal(dayfmt(ps[1].last_day), "2023-04-09");
	kefu_free(ps);
	kefu_period_kpi k = {0};
	kefu_invoice *v;
	size_t n;
	compute(&v, &n, c, 2023, 3, &k);
	assert_string_equal(v[0].lines[0].label, "fixed 2 x 1500.00 x 22/31");
	assert_int_equal(v[0].lines[0].amount_fen, 212903); /* 300000*22/31 = 212903.22 */
	kefu_invoices_free(v, n);
	compute(&v, &n, c, 2023, 4, &k);
	assert_int_equal(v[0].lines[0].amount_fen, 90000);
	assert_string_equal(dayfmt(v[0].issue_day), "2023-04-10");
	assert_string_equal(dayfmt(v[0].due_day), "2023-04-20");
	kefu_invoices_free(v, n);
	kefu_period p;
	assert_int_equal(kefu_billing_period(&p, c, 2023, 5), KEFU_ENOTFOUND);
	assert_int_equal(kefu_billing_period(&p, c, 2023, 2), KEFU_ENOTFOUND);
	kefu_contract_free(c);
}

/* A quarter from 2023-01-16 has 4 billing periods: Jan 16-31, Feb, Mar,
 * Apr 1-15. */
static void test_quarter_mid_month(void **state)
{
	(void)state;
	kefu_contract *c = parse_file("hy-2023-017.yaml");
	kefu_period *ps;
	size_t np;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_billing_periods(&ps, &np, c, day("2024-12-31"), &err), 0);
	assert_int_equal(np, 4);
	const char *firsts[] = {"2023-01-16", "2023-02-01", "2023-03-01", "2023-04-01"};
	const char *lasts[] = {"2023-01-31", "2023-02-28", "2023-03-31", "2023-04-15"};
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(dayfmt(ps[i].first_day), firsts[i]);
		assert_string_equal(dayfmt(ps[i].last_day), lasts[i]);
	}
	kefu_free(ps);
	/* only the periods started by the given day */
	assert_int_equal(kefu_billing_periods(&ps, &np, c, day("2023-02-01"), &err), 0);
	assert_int_equal(np, 2);
	kefu_free(ps);
	kefu_contract_free(c);
}

/* Auto renewal: the next quarter starts 2023-04-16, so April is one full
 * period and billing goes on. */
static void test_auto_renewal(void **state)
{
	(void)state;
	kefu_contract *c = parse_text("id: A1\nmerchant: m\nshops: [s1]\nvendor: v\nmode: full\n"
				      "term: {kind: quarter, start: 2023-01-16, renew: auto}\n"
				      "fee: {scheme: fixed, fixed_month: \"100.00\"}\n"
				      "settlement: {mode: postpay, due_days: 0}\n");
	kefu_period *ps;
	size_t np;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_billing_periods(&ps, &np, c, day("2023-06-30"), &err), 0);
	assert_int_equal(np, 6);
	assert_string_equal(dayfmt(ps[3].last_day), "2023-04-30");
	kefu_free(ps);
	assert_string_equal(dayfmt(kefu_contract_term_end(c, day("2023-05-01"))), "2023-07-15");
	kefu_contract_free(c);
}

static size_t count_kind(const kefu_invoice *v, kefu_line_kind k)
{
	size_t c = 0;
	for (size_t i = 0; i < v->n_lines; i++)
		c += v->lines[i].kind == k;
	return c;
}

/* Sales exactly on the tier boundary touch tier 1 only; one fen above is
 * 0.015 fen in tier 2, rounded to 0 and not written; 34 fen above is
 * 0.51 fen -> 1 fen. Zero sales: no commission line at all. */
static void test_tiers(void **state)
{
	(void)state;
	kefu_contract *c = parse_file("hy-2023-017.yaml");
	kefu_period_kpi k = {0};
	kefu_invoice *v;
	size_t n;
	k.sales_fen = 100000000;
	compute(&v, &n, c, 2023, 2, &k);
	assert_int_equal(count_kind(&v[0], KEFU_LINE_COMMISSION), 1);
	assert_int_equal(v[0].lines[1].amount_fen, 1000000);
	kefu_invoices_free(v, n);
	k.sales_fen = 100000001;
	compute(&v, &n, c, 2023, 2, &k);
	assert_int_equal(count_kind(&v[0], KEFU_LINE_COMMISSION), 1);
	kefu_invoices_free(v, n);
	k.sales_fen = 100000034;
	compute(&v, &n, c, 2023, 2, &k);
	assert_int_equal(count_kind(&v[0], KEFU_LINE_COMMISSION), 2);
	assert_string_equal(v[0].lines[2].label, "commission tier 2: 0.34 x 1.5%");
	assert_int_equal(v[0].lines[2].amount_fen, 1);
	kefu_invoices_free(v, n);
	k.sales_fen = 0;
	compute(&v, &n, c, 2023, 2, &k);
	assert_int_equal(count_kind(&v[0], KEFU_LINE_COMMISSION), 0);
	assert_int_equal(v[0].n_lines, 1);
	assert_int_equal(v[0].total_fen, 2700000);
	kefu_invoices_free(v, n);
	kefu_contract_free(c);
}

static const char *prepay_yaml =
	"id: PP-1\nmerchant: m\nshops: [s1]\nvendor: v\nmode: full\n"
	"term: {kind: year, start: 2023-01-01}\n"
	"fee:\n  scheme: base_commission\n  seats: 2\n  base_per_seat_month: \"3000.00\"\n"
	"  commission: [{rate: \"2%\"}]\n"
	"settlement: {mode: prepay, due_days: 7}\n"
	"events: [{name: 双11, from: 2023-10-31, to: 2023-11-11, extra_seats: 10, per_seat_day: "
	"\"400.00\"}]\n";

/* Prepay: base and event lines at the period start, commission after the
 * period; no second invoice when there is nothing variable. The 双11 event
 * from 10-31 to 11-11 is 1 day in October and 11 in November. */
static void test_prepay_and_event_split(void **state)
{
	(void)state;
	kefu_contract *c = parse_text(prepay_yaml);
	kefu_period_kpi k = {0};
	kefu_invoice *v;
	size_t n;
	k.sales_fen = 5000000; /* 50,000.00 x 2% = 1,000.00 */
	compute(&v, &n, c, 2023, 10, &k);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].kind, KEFU_INV_PREPAY_FIXED);
	assert_string_equal(v[0].id, "PP-1-2023-10-F-r1");
	assert_string_equal(dayfmt(v[0].issue_day), "2023-10-01");
	assert_string_equal(dayfmt(v[0].due_day), "2023-10-08");
	assert_int_equal(v[0].n_lines, 2);
	assert_int_equal(v[0].lines[0].amount_fen, 600000);
	assert_string_equal(v[0].lines[1].label, "event 双11 10 x 400.00 x 1 days");
	assert_int_equal(v[0].lines[1].amount_fen, 400000);
	assert_int_equal(v[1].kind, KEFU_INV_PREPAY_VAR);
	assert_string_equal(dayfmt(v[1].issue_day), "2023-11-01");
	assert_int_equal(v[1].n_lines, 1);
	assert_int_equal(v[1].lines[0].amount_fen, 100000);
	kefu_invoices_free(v, n);
	k.sales_fen = 0;
	compute(&v, &n, c, 2023, 11, &k);
	assert_int_equal(n, 1); /* no empty variable invoice */
	assert_string_equal(v[0].lines[1].label, "event 双11 10 x 400.00 x 11 days");
	assert_int_equal(v[0].lines[1].amount_fen, 4400000);
	assert_int_equal(v[0].total_fen, 600000 + 4400000);
	kefu_invoices_free(v, n);
	compute(&v, &n, c, 2023, 12, &k);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].n_lines, 1);
	kefu_invoices_free(v, n);
	kefu_contract_free(c);
}

/* An event term: 双11 as its own contract from 10-31 to 11-11. */
static void test_event_term(void **state)
{
	(void)state;
	kefu_contract *c = parse_text("id: E1\nmerchant: m\nshops: [s1]\nvendor: v\nmode: full\n"
				      "term: {kind: event, start: 2023-10-31, end: 2023-11-11}\n"
				      "fee: {scheme: fixed, seats: 10, fixed_per_seat_month: "
				      "\"9300.00\"}\n"
				      "settlement: {mode: postpay, due_days: 5}\n");
	kefu_period_kpi k = {0};
	kefu_invoice *v;
	size_t n;
	compute(&v, &n, c, 2023, 10, &k);
	assert_int_equal(v[0].lines[0].amount_fen, 300000); /* 93000.00 x 1/31 */
	kefu_invoices_free(v, n);
	compute(&v, &n, c, 2023, 11, &k);
	assert_int_equal(v[0].lines[0].amount_fen, 3410000); /* 93000.00 x 11/30 */
	assert_string_equal(dayfmt(v[0].issue_day), "2023-11-12");
	kefu_invoices_free(v, n);
	kefu_contract_free(c);
}

static void test_ratio_parse(void **state)
{
	(void)state;
	kefu_ratio r;
	assert_int_equal(kefu_ratio_parse("1.5%", 4, &r), 0);
	assert_int_equal(r.num, 3);
	assert_int_equal(r.den, 200);
	assert_int_equal(kefu_ratio_parse("3.5%", 4, &r), 0);
	assert_int_equal(r.num * 1000, 35 * r.den);
	assert_int_equal(kefu_ratio_parse("0.015", 5, &r), 0);
	assert_int_equal(r.num * 200, 3 * r.den);
	assert_int_equal(kefu_ratio_parse("100%", 4, &r), 0);
	assert_int_equal(r.num, r.den);
	assert_int_not_equal(kefu_ratio_parse("1,5%", 4, &r), 0);
	assert_int_not_equal(kefu_ratio_parse("-1%", 3, &r), 0);
	assert_int_not_equal(kefu_ratio_parse("%", 1, &r), 0);
	assert_int_not_equal(kefu_ratio_parse("1.%", 3, &r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example),
		cmocka_unit_test(test_sla_exact_compare),
		cmocka_unit_test(test_proration_vectors),
		cmocka_unit_test(test_term_ending_mid_month),
		cmocka_unit_test(test_quarter_mid_month),
		cmocka_unit_test(test_auto_renewal),
		cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_prepay_and_event_split),
		cmocka_unit_test(test_event_term),
		cmocka_unit_test(test_ratio_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
