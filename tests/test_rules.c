/*
 * test_rules.c - one test per rule of metrics.md sections 3-9, each on a
 * tiny hand-computed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#define MSG_HDR "shop,buyer,agent,dir,ts,text\n"
#define ORD_HDR "shop,order_id,buyer,created,paid,amount,items,status\n"

static long row_of(const kefu_table *t, const char *agent, const char *day)
{
	const char *kv[] = {"agent", agent, "day", day, NULL};
	return tu_find_row(t, kv);
}

/* Runs messages (+ optional orders) with settings; returns the table row. */
static long run1(tu_run *r, const char *msgs, const char *orders, const char *const *sets,
		 const char *agent, const char *day)
{
	const char *texts[3] = {msgs, orders, NULL};
	tu_run_texts(r, texts, sets, NULL);
	return row_of(r->table, agent, day);
}

static void test_s_rows_neither_end_nor_answer(void **state)
{
	(void)state;
	tu_run r;
	long a = run1(&r,
		      MSG_HDR "s,b,s:a,B,2023-03-01 10:00:00,q1\n"
			      "s,b,s:a,S,2023-03-01 10:00:05,auto\n"
			      "s,b,s:a,B,2023-03-01 10:00:30,q2\n"
			      "s,b,s:a,A,2023-03-01 10:01:00,ans\n",
		      NULL, NULL, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "resp_n"), 1); /* one run */
	assert_int_equal(tu_int(r.table, a, "resp_sum_s"), 60); /* clock from first B */
	assert_int_equal(tu_int(r.table, a, "auto_msgs"), 1);
	assert_int_equal(tu_int(r.table, a, "received"), 1);
	tu_run_free(&r);
	/* only an S reply: unanswered */
	a = run1(&r,
		 MSG_HDR "s,b,s:a,B,2023-03-01 10:00:00,q1\n"
			 "s,b,s:a,S,2023-03-01 10:00:05,auto\n",
		 NULL, NULL, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "received"), 0);
	assert_int_equal(tu_int(r.table, a, "unanswered"), 1);
	tu_run_free(&r);
}

static void test_equal_timestamps(void **state)
{
	(void)state;
	tu_run r;
	/* A listed before B at the same second still answers it: B < S < A */
	long a = run1(&r,
		      MSG_HDR "s,b,s:a,A,2023-03-01 10:00:00,ans\n"
			      "s,b,s:a,B,2023-03-01 10:00:00,q\n",
		      NULL, NULL, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "received"), 1);
	assert_int_equal(tu_int(r.table, a, "first_resp_sum_s"), 0);
	assert_int_equal(tu_int(r.table, a, "first_resp_n"), 1);
	tu_run_free(&r);
}

static void test_exact_duplicate_counts_once(void **state)
{
	(void)state;
	tu_run r;
	long a = run1(&r,
		      MSG_HDR "s,b,s:a,B,2023-03-01 10:00:00,q\n"
			      "s,b,s:a,B,2023-03-01 10:00:00,q\n"
			      "s,b,s:a,B,2023-03-01 10:00:00,other text\n"
			      "s,b,s:a,A,2023-03-01 10:00:10,ans\n",
		      NULL, NULL, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "buyer_msgs"), 2);
	assert_int_equal(r.res->msgs_duplicate, 1);
	tu_run_free(&r);
}

static void test_midnight_and_max_wait(void **state)
{
	(void)state;
	tu_run r;
	/* runs on 03-01 23:50 and 03-02 00:05; one A at 00:10 answers both */
	const char *msgs = MSG_HDR "s,b,s:a,B,2023-03-01 23:50:00,q1\n"
				   "s,b,s:a,B,2023-03-02 00:05:00,q2\n"
				   "s,b,s:a,A,2023-03-02 00:10:00,ans\n";
	long a = run1(&r, msgs, NULL, NULL, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "received"), 1);
	assert_int_equal(tu_int(r.table, a, "resp_sum_s"), 1200);
	long b = row_of(r.table, "s:a", "2023-03-02");
	assert_int_equal(tu_int(r.table, b, "received"), 1);
	assert_int_equal(tu_int(r.table, b, "resp_sum_s"), 300);
	assert_int_equal(tu_int(r.table, b, "consults"), 1);
	tu_run_free(&r);
	/* the boundary is inclusive: 00:15:00 answers, 00:15:01 does not */
	a = run1(&r, MSG_HDR "s,b,s:a,B,2023-03-01 23:50:00,q\ns,b,s:a,A,2023-03-02 00:15:00,a\n",
		 NULL, NULL, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "received"), 1);
	tu_run_free(&r);
	a = run1(&r, MSG_HDR "s,b,s:a,B,2023-03-01 23:50:00,q\ns,b,s:a,A,2023-03-02 00:15:01,a\n",
		 NULL, NULL, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "received"), 0);
	assert_int_equal(tu_int(r.table, a, "unanswered"), 1);
	tu_run_free(&r);
	/* max_wait=0: only the business day itself */
	const char *sets[] = {"max_wait=0", NULL};
	a = run1(&r, MSG_HDR "s,b,s:a,B,2023-03-01 23:50:00,q\ns,b,s:a,A,2023-03-02 00:00:01,a\n",
		 NULL, sets, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "received"), 0);
	tu_run_free(&r);
}

static void test_first_run_unanswered_later_answered(void **state)
{
	(void)state;
	tu_run r;
	/* run 1 at 09:00 answered by nobody until the next day's... no: the
	 * first A (10:00) answers it. Make run 1 unanswered by a day change. */
	long a = run1(&r,
		      MSG_HDR "s,b,s:a,B,2023-03-01 08:00:00,q1\n"
			      "s,b,s:a,A,2023-03-01 08:30:00,a1\n"
			      "s,b,s:a,B,2023-03-01 09:00:00,q2\n"
			      "s,b,s:a,A,2023-03-01 09:00:45,a2\n",
		      NULL, NULL, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "first_resp_sum_s"), 1800);
	assert_int_equal(tu_int(r.table, a, "resp_n"), 2);
	assert_int_equal(tu_int(r.table, a, "slow_buyers"), 1);
	assert_int_equal(tu_int(r.table, a, "rounds_3min"), 2);
	assert_int_equal(tu_int(r.table, a, "rounds_3min_ok"), 1);
	/* three-minute window: 08:00 inclusive counts, 23:00 exclusive does not */
	tu_run_free(&r);
	a = run1(&r,
		 MSG_HDR "s,b,s:a,B,2023-03-01 07:59:59,q\ns,b,s:a,A,2023-03-01 08:00:10,a\n"
			 "s,c,s:a,B,2023-03-01 23:00:00,q\ns,c,s:a,A,2023-03-01 23:00:10,a\n"
			 "s,d,s:a,B,2023-03-01 22:59:59,q\ns,d,s:a,A,2023-03-01 23:03:00,a\n",
		 NULL, NULL, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "rounds_3min"), 1);
	assert_int_equal(tu_int(r.table, a, "rounds_3min_ok"), 0); /* gap 181 s */
	tu_run_free(&r);
}

static void test_transfer_leaves_run_unanswered(void **state)
{
	(void)state;
	tu_run r;
	long a = run1(&r,
		      MSG_HDR "s,b,s:amy,B,2023-03-01 10:00:00,q\n"
			      "s,b,s:bob,B,2023-03-01 10:01:00,q again\n"
			      "s,b,s:bob,A,2023-03-01 10:02:00,bob answers\n",
		      NULL, NULL, "s:amy", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "consults"), 1);
	assert_int_equal(tu_int(r.table, a, "unanswered"), 1);
	long b = row_of(r.table, "s:bob", "2023-03-01");
	assert_int_equal(tu_int(r.table, b, "received"), 1);
	tu_run_free(&r);
}

static void test_after_sale(void **state)
{
	(void)state;
	tu_run r;
	const char *msgs = MSG_HDR "s,b,s:a,B,2023-03-10 10:00:00,where is my parcel\n"
				   "s,b,s:a,A,2023-03-10 10:00:30,checking\n";
	/* paid exactly 5 x 24 h before f: 售后 (interval is closed at the start) */
	long a = run1(&r, msgs,
		      ORD_HDR "s,o1,b,2023-03-05 09:00:00,2023-03-05 10:00:00,10,1,TRADE_FINISHED\n",
		      NULL, "s:a", "2023-03-10");
	assert_int_equal(tu_int(r.table, a, "received"), 1);
	assert_int_equal(tu_int(r.table, a, "inquiries"), 0);
	tu_run_free(&r);
	/* one second earlier: outside the window, an inquiry */
	a = run1(&r, msgs,
		 ORD_HDR "s,o1,b,2023-03-05 09:00:00,2023-03-05 09:59:59,10,1,TRADE_FINISHED\n",
		 NULL, "s:a", "2023-03-10");
	assert_int_equal(tu_int(r.table, a, "inquiries"), 1);
	tu_run_free(&r);
	/* unpaid order does not make 售后; refunded still does */
	a = run1(&r, msgs,
		 ORD_HDR "s,o1,b,2023-03-08 09:00:00,,10,1,WAIT_BUYER_PAY\n", NULL, "s:a",
		 "2023-03-10");
	assert_int_equal(tu_int(r.table, a, "inquiries"), 1);
	tu_run_free(&r);
}

static void test_crediting_in_chat_and_last_touch(void **state)
{
	(void)state;
	tu_run r;
	/* amy's chat 10:00-10:30, bob's chat 10:10-10:20; order at 10:15 is
	 * inside both: latest end wins -> amy */
	const char *msgs = MSG_HDR "s,b,s:amy,B,2023-03-01 10:00:00,q\n"
				   "s,b,s:amy,A,2023-03-01 10:30:00,a\n"
				   "s,b,s:bob,B,2023-03-01 10:10:00,q\n"
				   "s,b,s:bob,A,2023-03-01 10:20:00,a\n";
	long a = run1(&r, msgs,
		      ORD_HDR "s,o1,b,2023-03-01 10:15:00,2023-03-01 10:16:00,10,1,X\n", NULL,
		      "s:amy", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "sales_fen"), 1000);
	tu_run_free(&r);
	/* after both: last touch, latest end -> amy (10:30) */
	a = run1(&r, msgs,
		 ORD_HDR "s,o1,b,2023-03-02 10:00:00,2023-03-02 10:16:00,10,1,X\n", NULL, "s:amy",
		 "2023-03-02");
	assert_int_equal(tu_int(r.table, a, "sales_fen"), 1000);
	tu_run_free(&r);
}

static void test_attribution_window_boundary(void **state)
{
	(void)state;
	tu_run r;
	const char *msgs = MSG_HDR "s,b,s:a,B,2023-03-01 10:00:00,q\n"
				   "s,b,s:a,A,2023-03-01 10:00:30,a\n";
	/* end 10:00:30; created exactly 48 h later: end in [t-48h, t) -> credited */
	long a = run1(&r, msgs,
		      ORD_HDR "s,o1,b,2023-03-03 10:00:30,2023-03-03 10:01:00,10,1,X\n", NULL,
		      "s:a", "2023-03-03");
	assert_true(a >= 0);
	assert_int_equal(tu_int(r.table, a, "sales_fen"), 1000);
	tu_run_free(&r);
	/* one second later: silent */
	a = run1(&r, msgs,
		 ORD_HDR "s,o1,b,2023-03-03 10:00:31,2023-03-03 10:01:00,10,1,X\n", NULL, "s:a",
		 "2023-03-03");
	assert_true(a < 0);
	tu_run_free(&r);
}

static void test_ties_smallest_agent(void **state)
{
	(void)state;
	tu_run r;
	/* both chats end at 10:05: the smaller agent name in bytes wins */
	const char *msgs = MSG_HDR "s,b,s:zed,B,2023-03-01 10:00:00,q\n"
				   "s,b,s:zed,A,2023-03-01 10:05:00,a\n"
				   "s,b,s:amy,B,2023-03-01 10:01:00,q\n"
				   "s,b,s:amy,A,2023-03-01 10:05:00,a\n";
	long a = run1(&r, msgs,
		      ORD_HDR "s,o1,b,2023-03-01 11:00:00,2023-03-01 11:00:10,10,1,X\n", NULL,
		      "s:amy", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "sales_fen"), 1000);
	long z = row_of(r.table, "s:zed", "2023-03-01");
	assert_int_equal(tu_int(r.table, z, "sales_fen"), 0);
	/* both chats contain 10:03: in-chat tie on end -> amy again */
	tu_run_free(&r);
	tu_run_free(&r);
}

static void test_judge_rules(void **state)
{
	(void)state;
	tu_run r;
	/* created 03-01 11:00 after amy's chat (last touch amy); bob chats
	 * 03-04 and the order is paid during bob's chat on 03-04 (72 h later,
	 * amy's chat is out of the window for the payment). */
	const char *msgs = MSG_HDR "s,b,s:amy,B,2023-03-01 10:00:00,q\n"
				   "s,b,s:amy,A,2023-03-01 10:00:30,a\n"
				   "s,b,s:bob,B,2023-03-04 10:00:00,q\n"
				   "s,b,s:bob,A,2023-03-04 10:10:00,a\n";
	const char *ord = ORD_HDR "s,o1,b,2023-03-01 11:00:00,2023-03-04 10:05:00,10,1,X\n";
	const char *order_rule[] = {"judge_rule=order", NULL};
	long a = run1(&r, msgs, ord, order_rule, "s:amy", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "sales_fen"), 1000); /* day of created */
	tu_run_free(&r);
	/* order_first: credit_create (amy) but the sale counts on the payment
	 * day 03-04, which gives amy a row there with no chat */
	long b;
	const char *texts[] = {msgs, ord, NULL};
	tu_run_texts(&r, texts, NULL, NULL);
	{
		const char *kv[] = {"agent", "s:amy", "day", "2023-03-04", NULL};
		long x = tu_find_row(r.table, kv);
		assert_true(x >= 0);
		assert_int_equal(tu_int(r.table, x, "sales_fen"), 1000);
	}
	tu_run_free(&r);
	const char *pay_rule[] = {"judge_rule=payment", NULL};
	b = run1(&r, msgs, ord, pay_rule, "s:bob", "2023-03-04");
	assert_int_equal(tu_int(r.table, b, "sales_fen"), 1000);
	/* conversion follows credit_create whatever the rule: amy converted?
	 * created 03-01 11:00 < start of 03-03: yes */
	long a1 = row_of(r.table, "s:amy", "2023-03-01");
	assert_int_equal(tu_int(r.table, a1, "converted"), 1);
	assert_int_equal(tu_int(r.table, a1, "converted_next_day"), 0); /* paid 03-04 */
	tu_run_free(&r);
	/* unpaid orders earn nothing under any rule */
	b = run1(&r, msgs, ORD_HDR "s,o1,b,2023-03-01 11:00:00,,10,1,X\n", order_rule, "s:amy",
		 "2023-03-01");
	assert_int_equal(tu_int(r.table, b, "sales_fen"), 0);
	assert_int_equal(tu_int(r.table, b, "converted"), 0);
	tu_run_free(&r);
}

static void test_conversion_windows(void **state)
{
	(void)state;
	tu_run r;
	const char *msgs = MSG_HDR "s,b,s:a,B,2023-03-01 22:00:00,q\n"
				   "s,b,s:a,A,2023-03-01 22:00:30,a\n";
	/* created just before the start of D+2 (03-03 00:00): converted; last
	 * touch is within 48 h (22:00:30 -> 03-02 23:59:59) */
	long a = run1(&r, msgs,
		      ORD_HDR "s,o1,b,2023-03-02 23:59:59,2023-03-03 00:00:10,10,1,X\n", NULL,
		      "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "converted"), 1);
	assert_int_equal(tu_int(r.table, a, "converted_next_day"), 0);
	tu_run_free(&r);
	a = run1(&r, msgs,
		 ORD_HDR "s,o1,b,2023-03-03 00:00:00,2023-03-03 00:00:10,10,1,X\n", NULL, "s:a",
		 "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "converted"), 0);
	tu_run_free(&r);
	/* inquiry_validity_days=1: only the same day */
	const char *v1[] = {"inquiry_validity_days=1", NULL};
	a = run1(&r, msgs,
		 ORD_HDR "s,o1,b,2023-03-02 08:00:00,2023-03-02 08:00:10,10,1,X\n", v1, "s:a",
		 "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "converted"), 0);
	tu_run_free(&r);
	/* an order created before f does not convert */
	a = run1(&r, msgs,
		 ORD_HDR "s,o1,b,2023-03-01 21:00:00,2023-03-01 22:00:10,10,1,X\n", NULL, "s:a",
		 "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "converted"), 0);
	tu_run_free(&r);
}

static void test_empty_denominators(void **state)
{
	(void)state;
	tu_run r;
	long a = run1(&r, MSG_HDR "s,b,s:a,A,2023-03-01 10:00:00,hello proactive\n", NULL, NULL,
		      "s:a", "2023-03-01");
	const char *cols[] = {"first_resp_s", "avg_resp_s", "reply_rate", "conv_rate",
			      "conv_next_day_rate", "aov", "items_per_buyer", "qa_ratio",
			      "three_min_rate", "avg_duration_s", "sat_rate", "dsr_desc", NULL};
	for (int i = 0; cols[i]; i++)
		assert_true(tu_empty(r.table, a, cols[i]));
	char *csv = tu_csv(r.table);
	assert_null(strstr(csv, ",nan"));
	assert_null(strstr(csv, ",inf"));
	free(csv);
	tu_run_free(&r);
}

static void test_later_order_row_replaces(void **state)
{
	(void)state;
	tu_run r;
	const char *msgs = MSG_HDR "s,b,s:a,B,2023-03-01 10:00:00,q\ns,b,s:a,A,2023-03-01 10:00:30,a\n";
	const char *texts[] = {msgs,
			       ORD_HDR "s,o1,b,2023-03-01 11:00:00,,10,1,WAIT_BUYER_PAY\n",
			       ORD_HDR "s,o1,b,2023-03-01 11:00:00,2023-03-01 11:30:00,12.5,2,TRADE_FINISHED\n",
			       NULL};
	tu_run_texts(&r, texts, NULL, NULL);
	long a = row_of(r.table, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "sales_fen"), 1250);
	assert_int_equal(tu_int(r.table, a, "sales_items"), 2);
	assert_string_equal(tu_fmt(r.table, a, "aov"), "12.5");
	tu_run_free(&r);
}

static void test_sales_basis_net_and_buyers(void **state)
{
	(void)state;
	tu_run r;
	const char *msgs = MSG_HDR "s,b,s:a,B,2023-03-01 10:00:00,q\ns,b,s:a,A,2023-03-01 10:00:30,a\n";
	const char *ord = "shop,order_id,buyer,created,paid,amount,items,status,refund\n"
			  "s,o1,b,2023-03-01 11:00:00,2023-03-01 11:30:00,100,1,X,30\n"
			  "s,o2,b,2023-03-01 11:10:00,2023-03-01 11:31:00,10,3,X,50\n";
	const char *net[] = {"sales_basis=net", NULL};
	long a = run1(&r, msgs, ord, net, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "sales_fen"), 7000); /* 70 + max(0, 10-50) */
	assert_int_equal(tu_int(r.table, a, "sales_orders"), 2);
	assert_int_equal(tu_int(r.table, a, "sales_buyers"), 1);
	assert_int_equal(tu_int(r.table, a, "sales_items"), 4);
	tu_run_free(&r);
	a = run1(&r, msgs, ord, NULL, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "sales_fen"), 11000);
	tu_run_free(&r);
}

static void test_max_concurrent(void **state)
{
	(void)state;
	tu_run r;
	/* b1 [10:00,10:10], b2 [10:05,10:20], b3 [10:10,10:30] (closed spans:
	 * b1 and b3 share 10:10, so all three share 10:10) , b4 [11:00, 11:00] */
	long a = run1(&r,
		      MSG_HDR "s,b1,s:a,B,2023-03-01 10:00:00,q\ns,b1,s:a,A,2023-03-01 10:10:00,a\n"
			      "s,b2,s:a,B,2023-03-01 10:05:00,q\ns,b2,s:a,A,2023-03-01 10:20:00,a\n"
			      "s,b3,s:a,B,2023-03-01 10:10:00,q\ns,b3,s:a,A,2023-03-01 10:30:00,a\n"
			      "s,b4,s:a,B,2023-03-01 11:00:00,q\n",
		      NULL, NULL, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "max_concurrent"), 3);
	tu_run_free(&r);
}

static void test_day_split(void **state)
{
	(void)state;
	tu_run r;
	const char *sets[] = {"day_split=06:00", NULL};
	/* 03-02 05:00 belongs to business day 03-01 */
	long a = run1(&r,
		      MSG_HDR "s,b,s:a,B,2023-03-02 05:00:00,q\ns,b,s:a,A,2023-03-02 05:00:30,a\n",
		      NULL, sets, "s:a", "2023-03-01");
	assert_true(a >= 0);
	assert_int_equal(tu_int(r.table, a, "received"), 1);
	tu_run_free(&r);
}

static void test_exclude_buyers(void **state)
{
	(void)state;
	tu_run r;
	const char *sets[] = {"exclude_buyers=me, bot", NULL};
	long a = run1(&r,
		      MSG_HDR "s,b,s:a,B,2023-03-01 10:00:00,q\ns,b,s:a,A,2023-03-01 10:00:30,a\n"
			      "s,me,s:a,B,2023-03-01 10:00:00,q\n"
			      "s,bot,s:a,B,2023-03-01 10:00:00,q\n",
		      ORD_HDR "s,o1,me,2023-03-01 10:00:10,2023-03-01 10:00:20,10,1,X\n", sets,
		      "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "consults"), 1);
	assert_int_equal(tu_int(r.table, a, "sales_fen"), 0);
	tu_run_free(&r);
}

static void test_evals_and_dsr(void **state)
{
	(void)state;
	tu_run r;
	const char *msgs = MSG_HDR "s,b,s:a,B,2023-03-01 10:00:00,q\ns,b,s:a,A,2023-03-01 10:00:30,a\n";
	const char *ord = ORD_HDR "s,o1,b,2023-03-01 11:00:00,2023-03-01 11:00:10,10,1,X\n"
				  "s,o2,b,2023-03-01 11:00:00,2023-03-01 11:00:10,10,1,X\n"
				  "s,o3,b,2023-03-01 11:00:00,2023-03-01 11:00:10,10,1,X\n"
				  "s,o4,b,2023-03-01 11:00:00,2023-03-01 11:00:10,10,1,X\n"
				  "s,o9,x,2023-03-01 11:00:00,2023-03-01 11:00:10,10,1,X\n";
	/* four ratings by b in March: only the first 3 (by ts, then order id)
	 * are kept; o9 is silent: shop only */
	const char *rat = "shop,order_id,buyer,ts,desc,service,shipping\n"
			  "s,o4,b,2023-03-01 12:00:00,1,1,1\n"
			  "s,o2,b,2023-03-01 12:00:00,5,5,5\n"
			  "s,o1,b,2023-03-01 12:00:00,4,4,4\n"
			  "s,o3,b,2023-03-01 12:00:00,3,3,3\n"
			  "s,o9,x,2023-03-01 12:00:00,2,2,2\n";
	const char *ev = "shop,agent,buyer,ts,level\n"
			 "s,s:a,b,2023-03-01 10:01:00,5\n"
			 "s,s:a,b,2023-03-01 10:01:00,5\n"
			 "s,s:a,c,2023-03-01 10:02:00,2\n";
	const char *texts[] = {msgs, ord, rat, ev, NULL};
	tu_run_texts(&r, texts, NULL, NULL);
	long a = row_of(r.table, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "dsr_n"), 3);
	assert_string_equal(tu_fmt(r.table, a, "dsr_desc"), "4"); /* (4+5+3)/3 */
	assert_int_equal(tu_int(r.table, a, "evals"), 2);
	assert_int_equal(tu_int(r.table, a, "evals_satisfied"), 1);
	assert_int_equal(tu_int(r.table, a, "evals_l2"), 1);
	assert_string_equal(tu_fmt(r.table, a, "sat_rate"), "0.5");
	tu_run_free(&r);
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	ro.by = KEFU_BY_SHOP;
	tu_run_texts(&r, texts, NULL, &ro);
	const char *kv[] = {"shop", "s", "day", "2023-03-01", NULL};
	long s = tu_find_row(r.table, kv);
	assert_int_equal(tu_int(r.table, s, "dsr_n"), 4);
	assert_string_equal(tu_fmt(r.table, s, "dsr_desc"), "3.5"); /* (4+5+3+2)/4 */
	tu_run_free(&r);
}

static void test_maturity(void **state)
{
	(void)state;
	tu_run r;
	const char *msgs = MSG_HDR "s,b,s:a,B,2023-03-01 10:00:00,q\ns,b,s:a,A,2023-03-01 10:00:30,a\n"
				   "s,c,s:a,B,2023-03-06 00:00:00,q\n";
	/* final at start(03-03) + 72 h = 03-06 00:00:00; as_of = latest ts */
	long a = run1(&r, msgs, NULL, NULL, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "provisional"), 0);
	long b = row_of(r.table, "s:a", "2023-03-06");
	assert_int_equal(tu_int(r.table, b, "provisional"), 1);
	tu_run_free(&r);
	a = run1(&r,
		 MSG_HDR "s,b,s:a,B,2023-03-01 10:00:00,q\ns,b,s:a,A,2023-03-01 10:00:30,a\n"
			 "s,c,s:a,B,2023-03-05 23:59:59,q\n",
		 NULL, NULL, "s:a", "2023-03-01");
	assert_int_equal(tu_int(r.table, a, "provisional"), 1);
	tu_run_free(&r);
}

static void test_grouping_sums_then_derives(void **state)
{
	(void)state;
	tu_run r;
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	ro.by = KEFU_BY_ALL;
	ro.per = KEFU_PER_RANGE;
	/* day 1: 1 of 1 answered in 10 s; day 2: 3 runs answered in 100 s each
	 * -> mean of gaps 310/4 = 77.5 (not the mean of daily means 55) */
	const char *texts[] = {
		MSG_HDR "s,b,s:a,B,2023-03-01 10:00:00,q\ns,b,s:a,A,2023-03-01 10:00:10,a\n"
			"s,b,s:a,B,2023-03-02 10:00:00,q\ns,b,s:a,A,2023-03-02 10:01:40,a\n"
			"s,b,s:a,B,2023-03-02 11:00:00,q\ns,b,s:a,A,2023-03-02 11:01:40,a\n"
			"s,b,s:a,B,2023-03-02 12:00:00,q\ns,b,s:a,A,2023-03-02 12:01:40,a\n",
		NULL};
	tu_run_texts(&r, texts, NULL, &ro);
	assert_int_equal(r.table->nrows, 1);
	assert_string_equal(tu_fmt(r.table, 0, "avg_resp_s"), "77.5");
	assert_int_equal(tu_int(r.table, 0, "consults"), 2); /* buyer-days */
	assert_string_equal(tu_fmt(r.table, 0, "from"), "2023-03-01");
	assert_string_equal(tu_fmt(r.table, 0, "to"), "2023-03-02");
	tu_run_free(&r);
	/* ISO week label */
	ro.by = KEFU_BY_AGENT;
	ro.per = KEFU_PER_WEEK;
	tu_run_texts(&r, texts, NULL, &ro);
	assert_int_equal(r.table->nrows, 1);
	assert_string_equal(tu_fmt(r.table, 0, "period"), "2023-W09");
	assert_string_equal(tu_fmt(r.table, 0, "from"), "2023-02-27");
	tu_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s_rows_neither_end_nor_answer),
		cmocka_unit_test(test_equal_timestamps),
		cmocka_unit_test(test_exact_duplicate_counts_once),
		cmocka_unit_test(test_midnight_and_max_wait),
		cmocka_unit_test(test_first_run_unanswered_later_answered),
		cmocka_unit_test(test_transfer_leaves_run_unanswered),
		cmocka_unit_test(test_after_sale),
		cmocka_unit_test(test_crediting_in_chat_and_last_touch),
		cmocka_unit_test(test_attribution_window_boundary),
		cmocka_unit_test(test_ties_smallest_agent),
		cmocka_unit_test(test_judge_rules),
		cmocka_unit_test(test_conversion_windows),
		cmocka_unit_test(test_empty_denominators),
		cmocka_unit_test(test_later_order_row_replaces),
		cmocka_unit_test(test_sales_basis_net_and_buyers),
		cmocka_unit_test(test_max_concurrent),
		cmocka_unit_test(test_day_split),
		cmocka_unit_test(test_exclude_buyers),
		cmocka_unit_test(test_evals_and_dsr),
		cmocka_unit_test(test_maturity),
		cmocka_unit_test(test_grouping_sums_then_derives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
