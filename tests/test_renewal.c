/*
 * test_renewal.c - the renewal review (lib/renewal.c) of a quarter contract
 * with one failed SLA month, checked figure by figure against hand
 * computation: the monthly SLA values and pass / fail, every invoice line
 * and total, the penalties and bonuses, the side-by-side comparison inside
 * the coverage window and the recommendation with its reasons; then the
 * other two verdicts, and the HTML and XLSX writers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kefu/billing.h"
#include "kefu/contract.h"
#include "kefu/renewal.h"
#include "testutil.h"

/* Partial contract, nights 18:00-09:00, Q1 2023: 2 seats x 3000.00 a month,
 * 1% commission, first response <= 20 s (penalty 2% of base), conversion
 * >= 50% (bonus 1% of base). */
static const char contract_yaml[] =
	"id: Q-2023\n"
	"merchant: 测试旗舰店\n"
	"shops: [s1]\n"
	"vendor: huiying\n"
	"mode: partial\n"
	"coverage: [\"18:00-09:00\"]\n"
	"term: {kind: quarter, start: 2023-01-01, renew: manual}\n"
	"fee:\n"
	"  scheme: base_commission\n"
	"  seats: 2\n"
	"  base_per_seat_month: \"3000.00\"\n"
	"  commission:\n"
	"    - {rate: \"1.0%\"}\n"
	"settlement: {mode: postpay, due_days: 15}\n"
	"sla:\n"
	"  - {metric: first_resp_s, target: \"<= 20\", penalty: \"2% of base\"}\n"
	"  - {metric: conv_rate, target: \">= 50%\", bonus: \"1% of base\"}\n";

static const char roster[] = "agent,vendor,team,name\n"
			     "s1:hy,huiying,夜班,HY\n"
			     "s1:me,inhouse,白班,ME\n";

typedef struct data {
	char msgs[16384], ords[8192];
} data;

/* Per month m (Jan..Mar), on the 10th: 4 huiying buyers at 20:00 answered
 * after gap[m] s, two of them buy 1000.00; 2 in-house buyers at 21:00
 * answered after ih_gap s, the first ih_buy of them buy 500.00; one in-house
 * buyer at 10:00 (outside coverage) answered after 8 s. */
static void make(data *d, const int gap[3], int ih_gap, int ih_buy)
{
	size_t mo = 0, oo = 0;
	int on = 0;
	mo += (size_t)snprintf(d->msgs + mo, sizeof d->msgs - mo, "shop,buyer,agent,dir,ts,text\n");
	oo += (size_t)snprintf(d->ords + oo, sizeof d->ords - oo,
			       "shop,order_id,buyer,created,paid,amount,items,status\n");
	for (int m = 1; m <= 3; m++) {
		for (int j = 0; j < 4; j++) {
			int g = gap[m - 1];
			mo += (size_t)snprintf(d->msgs + mo, sizeof d->msgs - mo,
					       "s1,h%d%d,s1:hy,B,2023-%02d-10 20:0%d:00,q\n"
					       "s1,h%d%d,s1:hy,A,2023-%02d-10 20:0%d:%02d,a\n",
					       m, j, m, j, m, j, m, j, g);
			if (j < 2)
				oo += (size_t)snprintf(d->ords + oo, sizeof d->ords - oo,
						       "s1,o%d,h%d%d,2023-%02d-10 20:0%d:50,2023-%02d-10 "
						       "20:0%d:55,1000.00,1,TRADE_FINISHED\n",
						       ++on, m, j, m, j, m, j);
		}
		for (int j = 0; j < 2; j++) {
			mo += (size_t)snprintf(d->msgs + mo, sizeof d->msgs - mo,
					       "s1,i%d%d,s1:me,B,2023-%02d-10 21:0%d:00,q\n"
					       "s1,i%d%d,s1:me,A,2023-%02d-10 21:0%d:%02d,a\n",
					       m, j, m, j, m, j, m, j, ih_gap);
			if (j < ih_buy)
				oo += (size_t)snprintf(d->ords + oo, sizeof d->ords - oo,
						       "s1,o%d,i%d%d,2023-%02d-10 21:0%d:50,2023-%02d-10 "
						       "21:0%d:55,500.00,1,TRADE_FINISHED\n",
						       ++on, m, j, m, j, m, j);
		}
		mo += (size_t)snprintf(d->msgs + mo, sizeof d->msgs - mo,
				       "s1,d%d,s1:me,B,2023-%02d-10 10:00:00,q\n"
				       "s1,d%d,s1:me,A,2023-%02d-10 10:00:08,a\n",
				       m, m, m, m);
	}
	assert_true(mo < sizeof d->msgs - 1 && oo < sizeof d->ords - 1);
}

typedef struct fixture {
	tu_run run;
	kefu_contract *c;
	kefu_renewal *r;
	data d;
} fixture;

static void build(fixture *f, const int gap[3], int ih_gap, int ih_buy)
{
	memset(f, 0, sizeof *f);
	make(&f->d, gap, ih_gap, ih_buy);
	const char *texts[] = {f->d.msgs, f->d.ords, roster, NULL};
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	tu_run_texts(&f->run, texts, NULL, &ro);
	assert_int_equal(f->run.rejected, 0);
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_contract_parse(&f->c, contract_yaml, strlen(contract_yaml), "q.yaml", NULL, &err))
		fail_msg("contract: %s", err.msg);
	kefu_billing_data bd = {f->run.ds, f->run.res, f->run.vs, f->run.nvs};
	kefu_renewal_opts o = {f->c, &bd, NULL, 0, INT64_MIN, "汇盈客服"};
	if (kefu_renewal_build(&f->r, &o, &err))
		fail_msg("review: %s", err.msg);
}

static void done(fixture *f)
{
	kefu_renewal_free(f->r);
	kefu_contract_free(f->c);
	tu_run_free(&f->run);
}

static const char *text_at(const kefu_table *t, size_t row, const char *col)
{
	long c = kefu_table_col(t, col);
	assert_true(c >= 0);
	static char buf[512];
	kefu_cell_format(&t->cols[c], kefu_table_cell(t, row, (size_t)c), 0, buf, sizeof buf);
	return buf;
}

static int has_reason(const kefu_renewal *r, const char *frag)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		if (strstr(r->reasons[i], frag))
			return 1;
	return 0;
}

/* Hand computation (every month 31/31, 28/28, 31/31 days: the full base):
 *   base 2 x 3000.00 = 6000.00; commission 2 x 1000.00 x 1% = 20.00;
 *   conversion 2/4 = 50% >= 50%: +1% of 6000.00 = +60.00 every month;
 *   first response Jan 10, Feb 30 > 20: -2% of 6000.00 = -120.00, Mar 15.
 *   totals: Jan 6080.00, Feb 5960.00, Mar 6080.00; invoiced 18120.00;
 *   penalties -120.00, bonuses 180.00. One failed month of three: renew
 *   with changed SLA. */
static void test_quarter_one_failed_month(void **state)
{
	(void)state;
	fixture f;
	const int gap[3] = {10, 30, 15};
	build(&f, gap, 5, 1);
	kefu_renewal *r = f.r;
	char d1[16], d2[16];
	kefu_day_format(r->term_start, d1);
	kefu_day_format(r->term_end, d2);
	assert_string_equal(d1, "2023-01-01");
	assert_string_equal(d2, "2023-03-31");
	assert_int_equal(r->months, 3);
	assert_int_equal(r->months_with_data, 3);
	assert_int_equal(r->months_failed, 1);
	assert_int_equal(r->invoiced_fen, 1812000);
	assert_int_equal(r->penalties_fen, -12000);
	assert_int_equal(r->bonuses_fen, 18000);
	assert_int_equal(r->verdict, KEFU_RENEWAL_RENEW_CHANGED_SLA);
	assert_string_equal(kefu_renewal_verdict_name(r->verdict), "renew with changed SLA");
	assert_true(has_reason(r, "SLA missed in 1 of 3 months with data"));
	assert_true(has_reason(r, "first_resp_s <= 20 missed in 2023-02 (30.00)"));
	assert_true(has_reason(r, "SLA penalties 120.00, bonuses 180.00"));

	/* SLA table: (month, metric) rows in order */
	static const char *const sla[][7] = {
		{"2023-01", "31", "4", "first_resp_s", "10.00", "pass", "0"},
		{"2023-01", "31", "4", "conv_rate", "50.00%", "pass", "6000"},
		{"2023-02", "28", "4", "first_resp_s", "30.00", "fail", "-12000"},
		{"2023-02", "28", "4", "conv_rate", "50.00%", "pass", "6000"},
		{"2023-03", "31", "4", "first_resp_s", "15.00", "pass", "0"},
		{"2023-03", "31", "4", "conv_rate", "50.00%", "pass", "6000"},
	};
	static const char *const sla_cols[] = {"month", "days", "chats", "metric", "value", "result",
					       "adjustment_fen"};
	assert_int_equal(r->sla->nrows, 6);
	for (size_t i = 0; i < 6; i++)
		for (size_t k = 0; k < 7; k++)
			assert_string_equal(text_at(r->sla, i, sla_cols[k]), sla[i][k]);
	assert_string_equal(text_at(r->sla, 2, "target"), "<= 20");

	/* invoices, line by line */
	static const char *const lines[][4] = {
		{"Q-2023-2023-01-P-r1", "2023-02-01", "2023-02-16", "600000"},
		{"Q-2023-2023-01-P-r1", "", "", "2000"},
		{"Q-2023-2023-01-P-r1", "", "", "6000"},
		{"Q-2023-2023-01-P-r1", "", "", "608000"},
		{"Q-2023-2023-02-P-r1", "2023-03-01", "2023-03-16", "600000"},
		{"Q-2023-2023-02-P-r1", "", "", "2000"},
		{"Q-2023-2023-02-P-r1", "", "", "-12000"},
		{"Q-2023-2023-02-P-r1", "", "", "6000"},
		{"Q-2023-2023-02-P-r1", "", "", "596000"},
		{"Q-2023-2023-03-P-r1", "2023-04-01", "2023-04-16", "600000"},
		{"Q-2023-2023-03-P-r1", "", "", "2000"},
		{"Q-2023-2023-03-P-r1", "", "", "6000"},
		{"Q-2023-2023-03-P-r1", "", "", "608000"},
	};
	assert_int_equal(r->invoices->nrows, 13);
	for (size_t i = 0; i < 13; i++) {
		assert_string_equal(text_at(r->invoices, i, "invoice"), lines[i][0]);
		if (lines[i][1][0]) {
			assert_string_equal(text_at(r->invoices, i, "issue"), lines[i][1]);
			assert_string_equal(text_at(r->invoices, i, "due"), lines[i][2]);
		}
		assert_string_equal(text_at(r->invoices, i, "amount_fen"), lines[i][3]);
	}
	assert_string_equal(text_at(r->invoices, 3, "line"), "total");
	assert_non_null(strstr(text_at(r->invoices, 6, "line"), "first_resp_s"));

	/* side by side inside 18:00-09:00 over the quarter: huiying 12 chats,
	 * first response (4x10 + 4x30 + 4x15)/12 = 18.333333, conversion 6/12,
	 * sales 6000.00; in-house 6 chats inside (the 10:00 ones are outside),
	 * 5 s, 3/6, 1500.00; paid inside 7500.00 -> shares 0.8 and 0.2 */
	const kefu_table *t = r->compare;
	const char *kh[] = {"segment", "inside", "group", "huiying", NULL};
	const char *ki[] = {"segment", "inside", "group", "inhouse", NULL};
	const char *ko[] = {"segment", "outside", "group", "inhouse", NULL};
	long rh = tu_find_row(t, kh), ri = tu_find_row(t, ki), ro_ = tu_find_row(t, ko);
	assert_true(rh >= 0 && ri >= 0 && ro_ >= 0);
	assert_string_equal(tu_fmt(t, rh, "consults"), "12");
	assert_string_equal(tu_fmt(t, rh, "first_resp_s"), "18.333333");
	assert_string_equal(tu_fmt(t, rh, "conv_rate"), "0.5");
	assert_string_equal(tu_fmt(t, rh, "sales_fen"), "600000");
	assert_string_equal(tu_fmt(t, rh, "share_of_paid"), "0.8");
	assert_string_equal(tu_fmt(t, rh, "name"), "汇盈客服");
	assert_string_equal(tu_fmt(t, ri, "consults"), "6");
	assert_string_equal(tu_fmt(t, ri, "first_resp_s"), "5");
	assert_string_equal(tu_fmt(t, ri, "sales_fen"), "150000");
	assert_string_equal(tu_fmt(t, ri, "share_of_paid"), "0.2");
	assert_string_equal(tu_fmt(t, ro_, "consults"), "3");
	assert_true(has_reason(r, "询单转化率 50.00% for huiying vs 50.00% for the in-house agents"));

	/* overview */
	assert_string_equal(text_at(r->overview, 0, "value"), "Q-2023");
	assert_string_equal(text_at(r->overview, 9, "value"), "18120.00");
	done(&f);
}

/* Two of three months failed: do not renew. */
static void test_majority_failed(void **state)
{
	(void)state;
	fixture f;
	const int gap[3] = {30, 25, 15};
	build(&f, gap, 5, 1);
	assert_int_equal(f.r->months_failed, 2);
	assert_int_equal(f.r->verdict, KEFU_RENEWAL_DO_NOT_RENEW);
	assert_true(has_reason(f.r, "SLA missed in 2 of 3 months with data"));
	assert_true(has_reason(f.r, "first_resp_s <= 20 missed in 2023-01 (30.00), 2023-02 (25.00)"));
	/* penalties 2 x 120.00 */
	assert_int_equal(f.r->penalties_fen, -24000);
	done(&f);
}

/* Every target met, but on the same night hours the in-house agents
 * convert more (2/2 = 100% vs 6/12 = 50%) and answer faster (5 s vs 12 s):
 * renew only with a changed SLA. Worse on one of the two only: renew. */
static void test_worse_than_inhouse(void **state)
{
	(void)state;
	fixture f;
	const int gap[3] = {12, 12, 12};
	build(&f, gap, 5, 2);
	assert_int_equal(f.r->months_failed, 0);
	assert_true(has_reason(f.r, "every SLA target met in all 3 months with data"));
	assert_int_equal(f.r->verdict, KEFU_RENEWAL_RENEW_CHANGED_SLA);
	assert_true(has_reason(f.r, "huiying converts less (50.00% vs 100.00%) and answers slower "
				    "(first response 12.00 s vs 5.00 s) than the in-house agents"));
	done(&f);

	build(&f, gap, 30, 2); /* in-house converts more but answers slower */
	assert_int_equal(f.r->verdict, KEFU_RENEWAL_RENEW);
	done(&f);
	build(&f, gap, 5, 1); /* in-house faster, same conversion */
	assert_int_equal(f.r->verdict, KEFU_RENEWAL_RENEW);
	assert_true(has_reason(f.r, "every SLA target met in all 3 months with data"));
	done(&f);
}

/* The writers: one self-contained HTML page with the verdict and escaped
 * text; an XLSX workbook (a zip). */
static void test_writers(void **state)
{
	(void)state;
	fixture f;
	const int gap[3] = {10, 30, 15};
	build(&f, gap, 5, 1);
	char path[] = "/tmp/kefu-test-review-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	FILE *fp = fopen(path, "wb");
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_renewal_html(fp, f.r, &err), 0);
	fclose(fp);
	fp = fopen(path, "rb");
	static char html[1 << 18];
	size_t n = fread(html, 1, sizeof html - 1, fp);
	html[n] = 0;
	fclose(fp);
	assert_non_null(strstr(html, "<!DOCTYPE html>"));
	assert_non_null(strstr(html, "调整SLA后续约"));
	assert_non_null(strstr(html, "first_resp_s &lt;= 20 missed in 2023-02 (30.00)"));
	assert_null(strstr(html, "<= 20"));
	assert_null(strstr(html, "<script"));
	assert_non_null(strstr(html, "<tr class=\"fail\">"));
	char xpath[64];
	snprintf(xpath, sizeof xpath, "%s.xlsx", path);
	assert_int_equal(kefu_renewal_xlsx(xpath, f.r, &err), 0);
	fp = fopen(xpath, "rb");
	assert_non_null(fp);
	char sig[2] = {0, 0};
	assert_int_equal(fread(sig, 1, 2, fp), 2);
	fclose(fp);
	assert_true(sig[0] == 'P' && sig[1] == 'K');
	assert_int_not_equal(kefu_renewal_xlsx("/nonexistent-dir/x.xlsx", f.r, &err), 0);
	unlink(path);
	unlink(xpath);
	done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quarter_one_failed_month),
		cmocka_unit_test(test_majority_failed),
		cmocka_unit_test(test_worse_than_inhouse),
		cmocka_unit_test(test_writers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
