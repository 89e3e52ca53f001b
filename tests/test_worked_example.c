/*
 * test_worked_example.c - metrics.md section 10, value for value, from the
 * fixture files tests/fixtures/worked/ through loader, engine and report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

static const char *const worked_files[] = {KEFU_TEST_FIXTURES "/worked/messages.csv",
					   KEFU_TEST_FIXTURES "/worked/orders.csv", NULL};

static long row(const kefu_table *t, const char *agent, const char *day)
{
	const char *kv[] = {"shop", "s1", "agent", agent, "day", day, NULL};
	long r = tu_find_row(t, kv);
	assert_true(r >= 0);
	return r;
}

static void test_amy_0301(void **state)
{
	(void)state;
	tu_run r;
	tu_run_files(&r, worked_files, NULL, NULL);
	const kefu_table *t = r.table;
	long a = row(t, "s1:amy", "2023-03-01");
	assert_int_equal(tu_int(t, a, "consults"), 2);
	assert_int_equal(tu_int(t, a, "received"), 2);
	assert_int_equal(tu_int(t, a, "unanswered"), 0);
	assert_int_equal(tu_int(t, a, "inquiries"), 2);
	assert_int_equal(tu_int(t, a, "first_resp_sum_s"), 280);
	assert_int_equal(tu_int(t, a, "first_resp_n"), 2);
	assert_string_equal(tu_fmt_table(t, a, "first_resp_s"), "140.00");
	assert_int_equal(tu_int(t, a, "resp_sum_s"), 40 + 150 + 240);
	assert_int_equal(tu_int(t, a, "resp_n"), 3);
	assert_string_equal(tu_fmt_table(t, a, "avg_resp_s"), "143.33");
	assert_string_equal(tu_fmt(t, a, "avg_resp_s"), "143.333333");
	assert_int_equal(tu_int(t, a, "slow_buyers"), 2);
	assert_int_equal(tu_int(t, a, "rounds_3min"), 3);
	assert_int_equal(tu_int(t, a, "rounds_3min_ok"), 2);
	assert_int_equal(tu_int(t, a, "duration_sum_s"), 690);
	assert_int_equal(tu_int(t, a, "converted"), 2);
	assert_int_equal(tu_int(t, a, "converted_next_day"), 2);
	assert_int_equal(tu_int(t, a, "sales_fen"), 10000);
	assert_int_equal(tu_int(t, a, "sales_buyers"), 1);
	assert_int_equal(tu_int(t, a, "sales_orders"), 1);
	assert_int_equal(tu_int(t, a, "auto_msgs"), 1);
	assert_int_equal(tu_int(t, a, "buyer_msgs"), 4);
	assert_int_equal(tu_int(t, a, "agent_msgs"), 3);
	assert_string_equal(tu_fmt(t, a, "conv_rate"), "1");
	assert_string_equal(tu_fmt_table(t, a, "conv_rate"), "100.00%");
	assert_string_equal(tu_fmt(t, a, "aov"), "100");
	/* b1 and b2 chats do not overlap: [10:00, 10:07:30] and [11:00, 11:04] */
	assert_int_equal(tu_int(t, a, "max_concurrent"), 1);
	tu_run_free(&r);
}

static void test_amy_0302_sale_row(void **state)
{
	(void)state;
	tu_run r;
	tu_run_files(&r, worked_files, NULL, NULL);
	const kefu_table *t = r.table;
	long a = row(t, "s1:amy", "2023-03-02");
	assert_int_equal(tu_int(t, a, "sales_fen"), 5000);
	assert_int_equal(tu_int(t, a, "sales_buyers"), 1);
	const char *zero_cols[] = {"consults", "received", "inquiries", "buyer_msgs", "agent_msgs",
				   "resp_n", "duration_sum_s", "max_concurrent", NULL};
	for (int i = 0; zero_cols[i]; i++)
		assert_int_equal(tu_int(t, a, zero_cols[i]), 0);
	assert_true(tu_empty(t, a, "reply_rate"));
	assert_true(tu_empty(t, a, "first_resp_s"));
	tu_run_free(&r);
}

static void test_bob(void **state)
{
	(void)state;
	tu_run r;
	tu_run_files(&r, worked_files, NULL, NULL);
	const kefu_table *t = r.table;
	long b = row(t, "s1:bob", "2023-03-01");
	assert_int_equal(tu_int(t, b, "consults"), 2);
	assert_int_equal(tu_int(t, b, "received"), 1);
	assert_int_equal(tu_int(t, b, "unanswered"), 1);
	assert_int_equal(tu_int(t, b, "inquiries"), 1);
	assert_string_equal(tu_fmt_table(t, b, "first_resp_s"), "120.00");
	assert_int_equal(tu_int(t, b, "slow_buyers"), 1);
	assert_int_equal(tu_int(t, b, "rounds_3min"), 1);
	assert_int_equal(tu_int(t, b, "rounds_3min_ok"), 0);
	assert_int_equal(tu_int(t, b, "converted"), 0);
	assert_int_equal(tu_int(t, b, "sales_fen"), 0);
	assert_string_equal(tu_fmt(t, b, "reply_rate"), "0.5");
	assert_string_equal(tu_fmt_table(t, b, "reply_rate"), "50.00%");
	/* b3's chat spans 23:59 -> 00:01 next day (the answer): 120 s */
	assert_int_equal(tu_int(t, b, "duration_sum_s"), 120);
	long b2 = row(t, "s1:bob", "2023-03-02");
	assert_int_equal(tu_int(t, b2, "consults"), 0);
	assert_int_equal(tu_int(t, b2, "agent_msgs"), 1);
	tu_run_free(&r);
}

static void test_shop_reconciliation(void **state)
{
	(void)state;
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	ro.by = KEFU_BY_SHOP;
	tu_run r;
	tu_run_files(&r, worked_files, NULL, &ro);
	const kefu_table *t = r.table;
	const char *kv[] = {"shop", "s1", "day", "2023-03-01", NULL};
	long s = tu_find_row(t, kv);
	assert_true(s >= 0);
	assert_int_equal(tu_int(t, s, "paid_fen"), 13000);
	assert_int_equal(tu_int(t, s, "sales_fen"), 10000);
	assert_int_equal(tu_int(t, s, "silent_fen"), 3000);
	assert_int_equal(tu_int(t, s, "silent_orders"), 1);
	/* 03-04: o3 is silent (more than 48 h after b3's chat) */
	const char *kv4[] = {"shop", "s1", "day", "2023-03-04", NULL};
	long s4 = tu_find_row(t, kv4);
	assert_true(s4 >= 0);
	assert_int_equal(tu_int(t, s4, "paid_fen"), 8000);
	assert_int_equal(tu_int(t, s4, "silent_fen"), 8000);
	/* every shop-day: paid = credited + silent */
	for (size_t i = 0; i < t->nrows; i++)
		assert_int_equal(tu_int(t, (long)i, "paid_fen"),
				 tu_int(t, (long)i, "sales_fen") + tu_int(t, (long)i, "silent_fen"));
	tu_run_free(&r);
}

static void test_credit_detail(void **state)
{
	(void)state;
	tu_run r;
	tu_run_files(&r, worked_files, NULL, NULL);
	/* o1 and o2 credited to amy, o3 and o4 silent */
	const kefu_dataset *ds = r.ds;
	for (size_t i = 0; i < ds->ord.n; i++) {
		kefu_str oid = kefu_dict_get(ds->order_ids, ds->ord.order_id[i]);
		const kefu_order_credit *c = &r.res->credit[i];
		if ((oid.n == 2 && !memcmp(oid.p, "o1", 2)) || (oid.n == 2 && !memcmp(oid.p, "o2", 2))) {
			kefu_str ag = kefu_dict_get(ds->agents, c->sale_agent);
			assert_int_equal(ag.n, 6);
			assert_memory_equal(ag.p, "s1:amy", 6);
		} else {
			assert_int_equal(c->sale_agent, KEFU_NO_ID);
		}
	}
	tu_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_amy_0301),
		cmocka_unit_test(test_amy_0302_sale_row),
		cmocka_unit_test(test_bob),
		cmocka_unit_test(test_shop_reconciliation),
		cmocka_unit_test(test_credit_detail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
