/*
 * test_loader.c - unit tests of lib/loader.c: kind detection from headers
 * and JSON keys, per-field validation of every kind, reject reporting
 * (file, physical line, column, reason, raw bytes), CSV and JSON Lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kefu/loader.h"
#include "testutil.h"

/* 2023-03-01 10:00:00 Asia/Shanghai = 02:00:00 UTC */
#define T0 INT64_C(1677636000)

/* ---- collecting callbacks ---- */

typedef struct rej {
	long line, col;
	char column[64];
	char reason[256];
	char raw[256];
	size_t raw_n;
} rej;

typedef struct coll {
	kefu_record recs[64];
	char text[64][512];  /* a printable copy of each record */
	long lines[64];
	size_t n;
	rej rejs[64];
	size_t nrej;
	int abort_row_at;    /* abort the load on this row (1-based), 0 = never */
	const kefu_tz *utc;
} coll;

static void cpy(char *dst, size_t cap, kefu_str s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;
	memcpy(dst, s.p, n);
	dst[n] = '\0';
}

static void fmt_rec(char *out, size_t cap, const kefu_record *r)
{
	char a[80], b[80], c[80], d[80];
	switch (r->kind) {
	case KEFU_KIND_MESSAGES:
		cpy(a, sizeof a, r->u.msg.shop);
		cpy(b, sizeof b, r->u.msg.buyer);
		cpy(c, sizeof c, r->u.msg.agent);
		cpy(d, sizeof d, r->u.msg.text);
		snprintf(out, cap, "%s|%s|%s|%c|%lld|%s", a, b, c, "BSA"[r->u.msg.dir], (long long)r->u.msg.ts, d);
		break;
	case KEFU_KIND_ORDERS:
		cpy(a, sizeof a, r->u.ord.shop);
		cpy(b, sizeof b, r->u.ord.order_id);
		cpy(c, sizeof c, r->u.ord.buyer);
		cpy(d, sizeof d, r->u.ord.status);
		if (r->u.ord.paid == KEFU_TS_NONE)
			snprintf(out, cap, "%s|%s|%s|%lld|unpaid|%lld|%lld|%s|%lld", a, b, c,
				 (long long)r->u.ord.created, (long long)r->u.ord.amount,
				 (long long)r->u.ord.items, d, (long long)r->u.ord.refund);
		else
			snprintf(out, cap, "%s|%s|%s|%lld|%lld|%lld|%lld|%s|%lld", a, b, c,
				 (long long)r->u.ord.created, (long long)r->u.ord.paid,
				 (long long)r->u.ord.amount, (long long)r->u.ord.items, d,
				 (long long)r->u.ord.refund);
		break;
	case KEFU_KIND_RATINGS:
		cpy(a, sizeof a, r->u.rat.shop);
		cpy(b, sizeof b, r->u.rat.order_id);
		cpy(c, sizeof c, r->u.rat.buyer);
		snprintf(out, cap, "%s|%s|%s|%lld|%d|%d|%d", a, b, c, (long long)r->u.rat.ts,
			 r->u.rat.desc, r->u.rat.service, r->u.rat.shipping);
		break;
	case KEFU_KIND_EVALS:
		cpy(a, sizeof a, r->u.ev.shop);
		cpy(b, sizeof b, r->u.ev.agent);
		cpy(c, sizeof c, r->u.ev.buyer);
		snprintf(out, cap, "%s|%s|%s|%lld|%d", a, b, c, (long long)r->u.ev.ts, r->u.ev.level);
		break;
	case KEFU_KIND_AGENTS:
		cpy(a, sizeof a, r->u.ag.agent);
		cpy(b, sizeof b, r->u.ag.vendor);
		cpy(c, sizeof c, r->u.ag.team);
		cpy(d, sizeof d, r->u.ag.commission_rate);
		snprintf(out, cap, "%s|%s|%s|%lld|%lld|%lld|%s", a, b, c,
			 (long long)r->u.ag.from_day, (long long)r->u.ag.to_day,
			 (long long)r->u.ag.base_month_fen, d);
		break;
	case KEFU_KIND_PRESENCE:
		cpy(a, sizeof a, r->u.pr.agent);
		snprintf(out, cap, "%s|%lld|%lld", a, (long long)r->u.pr.login,
			 (long long)r->u.pr.logout);
		break;
	default:
		snprintf(out, cap, "?");
	}
}

static int on_row(void *ctx, const kefu_record *rec, const char *file, long line, kefu_err *err)
{
	coll *c = ctx;
	assert_non_null(file);
	assert_true(c->n < 64);
	c->recs[c->n] = *rec; /* slices are dangling after return: only scalars used */
	fmt_rec(c->text[c->n], sizeof c->text[0], rec);
	c->lines[c->n] = line;
	c->n++;
	if (c->abort_row_at && (int)c->n == c->abort_row_at)
		return kefu_err_set(err, KEFU_EINVAL, "stop here");
	return 0;
}

static int on_reject(void *ctx, const char *file, long line, long col, const char *column,
		     const char *reason, kefu_str raw)
{
	coll *c = ctx;
	assert_non_null(file);
	assert_true(c->nrej < 64);
	rej *r = &c->rejs[c->nrej++];
	r->line = line;
	r->col = col;
	snprintf(r->column, sizeof r->column, "%s", column);
	snprintf(r->reason, sizeof r->reason, "%s", reason);
	r->raw_n = raw.n;
	cpy(r->raw, sizeof r->raw, raw);
	return 0;
}

static const kefu_tz *tz_for_shop(void *ctx, kefu_str shop)
{
	coll *c = ctx;
	if (shop.n == 6 && memcmp(shop.p, "utcshp", 6) == 0)
		return c->utc;
	return NULL;
}

static kefu_tz *g_sh, *g_utc;

static int setup(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_tz_load(&g_sh, "Asia/Shanghai", &err) || kefu_tz_load(&g_utc, "UTC", &err))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kefu_tz_free(g_sh);
	kefu_tz_free(g_utc);
	return 0;
}

/* Loads a string with the given kind/shop; returns the load's rc. */
static int load(coll *c, const char *data, kefu_kind kind, const char *shop,
		kefu_load_stats *st, kefu_err *err)
{
	memset(c, 0, sizeof *c);
	c->utc = g_utc;
	kefu_load_opts o = KEFU_LOAD_OPTS_INIT;
	o.kind = kind;
	o.shop = shop;
	o.default_tz = g_sh;
	o.tz_for_shop = tz_for_shop;
	o.tz_ctx = c;
	kefu_err_clear(err);
	return kefu_load_mem(data, strlen(data), "in.csv", &o, on_row, on_reject, c, st, err);
}

#define MSG_HDR "shop,buyer,agent,dir,ts,text\n"

static void assert_rej(const coll *c, size_t i, long line, long col, const char *column,
		       const char *reason_prefix)
{
	assert_true(i < c->nrej);
	const rej *r = &c->rejs[i];
	if (r->line != line || r->col != col || strcmp(r->column, column) != 0 ||
	    strncmp(r->reason, reason_prefix, strlen(reason_prefix)) != 0)
		fail_msg("reject %zu: got %ld:%ld:%s: %s, want %ld:%ld:%s: %s...", i, r->line, r->col,
			 r->column, r->reason, line, col, column, reason_prefix);
}

/* ---- header / kind detection ---- */

static void test_kind_from_header(void **state)
{
	(void)state;
	kefu_str m[] = {{"text", 4}, {"ts", 2}, {"dir", 3}, {"agent", 5}, {"buyer", 5}, {"shop", 4}};
	assert_int_equal(kefu_kind_from_header(m, 6), KEFU_KIND_MESSAGES);
	assert_int_equal(kefu_kind_from_header(m, 5), KEFU_KIND_NONE); /* shop missing */
	kefu_str o[] = {{"shop", 4},    {"order_id", 8}, {"buyer", 5}, {"created", 7}, {"paid", 4},
			{"amount", 6},  {"items", 5},    {"status", 6}, {"refund", 6}};
	assert_int_equal(kefu_kind_from_header(o, 8), KEFU_KIND_ORDERS);
	assert_int_equal(kefu_kind_from_header(o, 9), KEFU_KIND_ORDERS);
	kefu_str o2[] = {{"shop", 4},   {"order_id", 8}, {"buyer", 5},  {"created", 7},
			 {"paid", 4},   {"amount", 6},   {"items", 5},  {"status", 6},
			 {"coupon", 6}};
	assert_int_equal(kefu_kind_from_header(o2, 9), KEFU_KIND_NONE); /* unknown column */
	kefu_str a[] = {{"agent", 5}, {"vendor", 6}, {"team", 4}, {"name", 4}, {"from", 4},
			{"to", 2},    {"base_month", 10}, {"commission_rate", 15}};
	assert_int_equal(kefu_kind_from_header(a, 4), KEFU_KIND_AGENTS);
	assert_int_equal(kefu_kind_from_header(a, 8), KEFU_KIND_AGENTS);
	kefu_str p[] = {{"agent", 5}, {"login", 5}, {"logout", 6}};
	assert_int_equal(kefu_kind_from_header(p, 3), KEFU_KIND_PRESENCE);
	kefu_str e[] = {{"shop", 4}, {"agent", 5}, {"buyer", 5}, {"ts", 2}, {"level", 5}};
	assert_int_equal(kefu_kind_from_header(e, 5), KEFU_KIND_EVALS);
	kefu_str r[] = {{"shop", 4}, {"order_id", 8}, {"buyer", 5}, {"ts", 2},
			{"desc", 4}, {"service", 7},  {"shipping", 8}};
	assert_int_equal(kefu_kind_from_header(r, 7), KEFU_KIND_RATINGS);
	kefu_str dup[] = {{"agent", 5}, {"login", 5}, {"logout", 6}, {"login", 5}};
	assert_int_equal(kefu_kind_from_header(dup, 4), KEFU_KIND_NONE);
	kefu_str cased[] = {{"Agent", 5}, {"login", 5}, {"logout", 6}};
	assert_int_equal(kefu_kind_from_header(cased, 3), KEFU_KIND_NONE); /* names exact */
	assert_int_equal(kefu_kind_from_header(NULL, 0), KEFU_KIND_NONE);
}

static void test_header_errors(void **state)
{
	(void)state;
	coll c;
	kefu_err err;
	kefu_load_stats st;
	/* unknown column named in the error */
	assert_int_equal(load(&c, "shop,buyer,agent,dir,ts,text,mood\ns,b,a,B,1677636000,x,:)\n",
			      KEFU_KIND_NONE, NULL, &st, &err),
			 KEFU_EPARSE);
	assert_non_null(strstr(err.msg, "'mood'"));
	assert_string_equal(err.file, "in.csv");
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 7);
	/* ... ignored when the kind is given */
	assert_int_equal(load(&c, "shop,buyer,agent,dir,ts,text,mood\ns,b,a,B,1677636000,x,:)\n",
			      KEFU_KIND_MESSAGES, NULL, &st, &err),
			 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.text[0], "s|b|a|B|1677636000|x");
	/* missing column */
	assert_int_equal(load(&c, "shop,buyer,agent,dir,text\n", KEFU_KIND_NONE, NULL, &st, &err),
			 KEFU_EPARSE);
	assert_non_null(strstr(err.msg, "'ts'"));
	assert_int_equal(load(&c, "shop,buyer,agent,dir,text\n", KEFU_KIND_MESSAGES, NULL, &st, &err),
			 KEFU_EPARSE);
	assert_non_null(strstr(err.msg, "'ts'"));
	/* header names are exact: " buyer" is not buyer */
	assert_int_equal(load(&c, "shop, buyer,agent,dir,ts,text\n", KEFU_KIND_NONE, NULL, &st, &err),
			 KEFU_EPARSE);
	/* duplicate column */
	assert_int_equal(load(&c, "shop,buyer,agent,dir,ts,text,ts\n", KEFU_KIND_MESSAGES, NULL, &st, &err),
			 KEFU_EPARSE);
	assert_non_null(strstr(err.msg, "duplicate"));
	/* malformed header */
	assert_int_equal(load(&c, "shop,\"buyer\n", KEFU_KIND_NONE, NULL, &st, &err), KEFU_EPARSE);
	assert_string_equal(err.msg, "unterminated quoted field");
}

static void test_empty_and_header_only(void **state)
{
	(void)state;
	coll c;
	kefu_err err;
	kefu_load_stats st;
	assert_int_equal(load(&c, "", KEFU_KIND_NONE, NULL, &st, &err), KEFU_EPARSE);
	assert_string_equal(err.msg, "empty file: no header");
	assert_int_equal(load(&c, "\xEF\xBB\xBF", KEFU_KIND_NONE, NULL, &st, &err), KEFU_EPARSE);
	assert_string_equal(err.msg, "empty file: no header");
	/* header only: fine, 0 rows, kind known */
	assert_int_equal(load(&c, "shop,order_id,buyer,created,paid,amount,items,status",
			      KEFU_KIND_NONE, NULL, &st, &err),
			 0);
	assert_int_equal(st.kind, KEFU_KIND_ORDERS);
	assert_int_equal(st.rows_read, 0);
	assert_int_equal(c.n + c.nrej, 0);
}

static void test_messages_csv(void **state)
{
	(void)state;
	coll c;
	kefu_err err;
	kefu_load_stats st;
	const char *in = "\xEF\xBB\xBF" "ts,text,dir,shop,buyer,agent\r\n"
			 "2023-03-01 10:00:00,  hi  ,B, s1 , cntaobaoBob ,cntaobao旗舰店:小美\r\n"
			 "2023-03-01T02:00:00Z,\"a,\"\"b\"\"\r\nc\",A,s1,bob,x\r\n"
			 "2023-03-01T10:00:00+08:00,,S,s1,bob,x\r\n"
			 "2023-03-01T10:00:00.999+08:00,t,A,s1,bob,x\r\n"
			 "1677636000,t,A,s1,bob,x\r\n"
			 "1677636000999,t,A,s1,bob,x\r\n"
			 "2023-03-01 10:00:00,utc shop,B,utcshp,bob,x\r\n";
	assert_int_equal(load(&c, in, KEFU_KIND_NONE, NULL, &st, &err), 0);
	assert_int_equal(st.kind, KEFU_KIND_MESSAGES);
	assert_int_equal(c.nrej, 0);
	assert_int_equal(c.n, 7);
	assert_string_equal(c.text[0], "s1|Bob|旗舰店:小美|B|1677636000|  hi  ");
	assert_string_equal(c.text[1], "s1|bob|x|A|1677636000|a,\"b\"\r\nc");
	assert_string_equal(c.text[2], "s1|bob|x|S|1677636000|");
	assert_string_equal(c.text[3], "s1|bob|x|A|1677636000|t");
	assert_int_equal(c.recs[4].u.msg.ts, T0);
	assert_int_equal(c.recs[5].u.msg.ts, T0);
	assert_int_equal(c.recs[6].u.msg.ts, T0 + 8 * 3600); /* naive in the UTC shop */
	assert_int_equal(c.lines[0], 2);
	assert_int_equal(c.lines[1], 3);
	assert_int_equal(c.lines[2], 5); /* after the two-line record */
	assert_int_equal(st.rows_read, 7);
	assert_int_equal(st.rows_ok, 7);
	assert_int_equal(st.rows_rejected, 0);
	assert_int_equal(st.bytes, strlen(in));
}

static void test_messages_rejects(void **state)
{
	(void)state;
	coll c;
	kefu_err err;
	kefu_load_stats st;
	const char *in = MSG_HDR
		"s,b,a,X,2023-03-01 10:00:00,bad dir\n"        /* 2 */
		"s,b,a,B,2023-13-01 10:00:00,bad month\n"      /* 3 */
		"s,b,a,B,yesterday,bad ts\n"                   /* 4 */
		"s,b,a,B,2023-03-01 10:00:00\n"                /* 5: 5 fields */
		"s,b,a,B,2023-03-01 10:00:00,bad \xC3\x28 utf8\n" /* 6 */
		"\n"                                            /* 7: skipped */
		" \n"                                           /* 8: not empty */
		"s,\"b\nb\",a,B,2023-03-01 10:00:00,two\"lines\n" /* 9-10 */
		"s,  ,a,B,2023-03-01 10:00:00,empty buyer\n"   /* 11 */
		"s,b,a,b,2023-03-01 10:00:00,lowercase dir\n"  /* 12 */
		"s,b,a,B,2023-03-01 10:00:00,ok\n"             /* 13 */
		"s,b,a,A,2023-03-01 10:00:00,nul\xC0\x80\n"    /* 14: overlong */
		"s,b,a,A,2023-03-01 10:00:00,\xED\xA0\x80\n"   /* 15: surrogate */
		"s,b,a,A,2023-03-01 10:00:00,\xF0\x9F\x98\x80 emoji ok\n"; /* 16 */
	assert_int_equal(load(&c, in, KEFU_KIND_NONE, NULL, &st, &err), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.lines[0], 13);
	assert_int_equal(c.lines[1], 16);
	assert_int_equal(c.nrej, 11);
	assert_rej(&c, 0, 2, 4, "dir", "must be B, A or S");
	assert_rej(&c, 1, 3, 5, "ts", "invalid date");
	assert_rej(&c, 2, 4, 5, "ts", "invalid timestamp");
	assert_rej(&c, 3, 5, 0, "", "expected 6 fields, got 5");
	assert_rej(&c, 4, 6, 6, "text", "invalid UTF-8");
	assert_rej(&c, 5, 8, 0, "", "expected 6 fields, got 1");
	assert_rej(&c, 6, 9, 6, "text", "quote inside unquoted field");
	assert_rej(&c, 7, 11, 2, "buyer", "empty value");
	assert_rej(&c, 8, 12, 4, "dir", "must be B, A or S");
	assert_rej(&c, 9, 14, 6, "text", "invalid UTF-8");
	assert_rej(&c, 10, 15, 6, "text", "invalid UTF-8");
	/* raw bytes of the rejected row */
	assert_string_equal(c.rejs[3].raw, "s,b,a,B,2023-03-01 10:00:00");
	assert_string_equal(c.rejs[6].raw, "s,\"b\nb\",a,B,2023-03-01 10:00:00,two\"lines");
	assert_int_equal(st.rows_read, 13);
	assert_int_equal(st.rows_ok, 2);
	assert_int_equal(st.rows_rejected, 11);
}

static void test_shop_option(void **state)
{
	(void)state;
	coll c;
	kefu_err err;
	kefu_load_stats st;
	/* fills a missing shop column */
	assert_int_equal(load(&c, "buyer,agent,dir,ts,text\nb,a,B,1677636000,x\n", KEFU_KIND_NONE,
			      " myshop ", &st, &err),
			 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.text[0], "myshop|b|a|B|1677636000|x");
	/* overrides an existing one */
	assert_int_equal(load(&c, MSG_HDR "other,b,a,B,1677636000,x\n", KEFU_KIND_NONE, "myshop",
			      &st, &err),
			 0);
	assert_string_equal(c.text[0], "myshop|b|a|B|1677636000|x");
	/* the shop's time zone applies to naive timestamps */
	assert_int_equal(load(&c, "buyer,agent,dir,ts,text\nb,a,B,2023-03-01 10:00:00,x\n",
			      KEFU_KIND_NONE, "utcshp", &st, &err),
			 0);
	assert_int_equal(c.recs[0].u.msg.ts, T0 + 8 * 3600);
}

static void test_orders(void **state)
{
	(void)state;
	coll c;
	kefu_err err;
	kefu_load_stats st;
	const char *in =
		"shop,order_id,buyer,created,paid,amount,items,status,refund\n"
		"s, 1001 ,cntaobaob,2023-03-01 10:00:00,2023-03-01 10:05:00,12.5,2,TRADE_FINISHED,\n"
		"s,1002,b,2023-03-01 10:00:00,,0.1,1,WAIT_BUYER_PAY,0\n"
		"s,1003,b,2023-03-01 10:00:00,0,0,,TRADE_CLOSED,\n"
		"s,1004,b,2023-03-01 10:00:00,0000-00-00 00:00:00,1,1,x,\n"
		"s,1005,b,2023-03-01 10:00:00,null,1,1,x,\n"
		"s,1006,b,2023-03-01 10:00:00,NULL,1000000000,1,x,3.5\n"
		"s,1007,b,2023-03-01 10:00:00,2023-03-01 09:59:59,1,1,x,\n"    /* paid before created */
		"s,1008,b,2023-03-01 10:00:00,,1.234,1,x,\n"                   /* 3 decimals */
		"s,1009,b,2023-03-01 10:00:00,,-1,1,x,\n"                      /* negative */
		"s,1010,b,2023-03-01 10:00:00,,abc,1,x,\n"                     /* not a number */
		"s,1011,b,2023-03-01 10:00:00,,1000000000.01,1,x,\n"           /* too big */
		"s,1012,b,2023-03-01 10:00:00,,1,-1,x,\n"                      /* items */
		"s,1013,b,2023-03-01 10:00:00,,1,1.5,x,\n"                     /* items */
		"s,1014,b,2023-03-01 10:00:00,,1,1,x,-2\n"                     /* refund */
		"s,,b,2023-03-01 10:00:00,,1,1,x,\n"                           /* order_id */
		"s,1016,b,,,1,1,x,\n";                                         /* created */
	assert_int_equal(load(&c, in, KEFU_KIND_NONE, NULL, &st, &err), 0);
	assert_int_equal(st.kind, KEFU_KIND_ORDERS);
	assert_int_equal(c.n, 6);
	assert_string_equal(c.text[0], "s|1001|b|1677636000|1677636300|1250|2|TRADE_FINISHED|0");
	assert_string_equal(c.text[1], "s|1002|b|1677636000|unpaid|10|1|WAIT_BUYER_PAY|0");
	assert_string_equal(c.text[2], "s|1003|b|1677636000|unpaid|0|0|TRADE_CLOSED|0");
	assert_string_equal(c.text[3], "s|1004|b|1677636000|unpaid|100|1|x|0");
	assert_string_equal(c.text[4], "s|1005|b|1677636000|unpaid|100|1|x|0");
	assert_string_equal(c.text[5], "s|1006|b|1677636000|unpaid|100000000000|1|x|350");
	assert_int_equal(c.recs[1].u.ord.paid, KEFU_TS_NONE);
	assert_int_equal(c.nrej, 10);
	assert_rej(&c, 0, 8, 5, "paid", "paid before created");
	assert_rej(&c, 1, 9, 6, "amount", "more than 2 decimals");
	assert_rej(&c, 2, 10, 6, "amount", "negative");
	assert_rej(&c, 3, 11, 6, "amount", "not a number");
	assert_rej(&c, 4, 12, 6, "amount", "amount above 10^9 yuan");
	assert_rej(&c, 5, 13, 7, "items", "not an integer");
	assert_rej(&c, 6, 14, 7, "items", "not an integer");
	assert_rej(&c, 7, 15, 9, "refund", "negative");
	assert_rej(&c, 8, 16, 2, "order_id", "empty value");
	assert_rej(&c, 9, 17, 4, "created", "empty timestamp");
}

static void test_ratings_evals(void **state)
{
	(void)state;
	coll c;
	kefu_err err;
	kefu_load_stats st;
	assert_int_equal(load(&c,
			      "shop,order_id,buyer,ts,desc,service,shipping\n"
			      "s,1,b,2023-03-01 10:00:00,5,4, 3 \n"
			      "s,1,b,2023-03-01 10:00:00,6,4,3\n"
			      "s,1,b,2023-03-01 10:00:00,5,0,3\n"
			      "s,1,b,2023-03-01 10:00:00,5,4,\n",
			      KEFU_KIND_NONE, NULL, &st, &err),
			 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.text[0], "s|1|b|1677636000|5|4|3");
	assert_rej(&c, 0, 3, 5, "desc", "must be an integer from 1 to 5");
	assert_rej(&c, 1, 4, 6, "service", "must be an integer from 1 to 5");
	assert_rej(&c, 2, 5, 7, "shipping", "empty value");
	assert_int_equal(load(&c,
			      "shop,agent,buyer,ts,level\n"
			      "s,cntaobaoa,b,2023-03-01 10:00:00,1\n"
			      "s,a,b,2023-03-01 10:00:00,five\n",
			      KEFU_KIND_NONE, NULL, &st, &err),
			 0);
	assert_int_equal(st.kind, KEFU_KIND_EVALS);
	assert_string_equal(c.text[0], "s|a|b|1677636000|1");
	assert_rej(&c, 0, 3, 5, "level", "not an integer");
}

static void test_agents_presence(void **state)
{
	(void)state;
	coll c;
	kefu_err err;
	kefu_load_stats st;
	assert_int_equal(load(&c,
			      "agent,vendor,team,name,from,to,base_month,commission_rate\n"
			      "店:小美,VendorA,T1,Mei,2023-01-01,2023-12-31,5000,0.015\n"
			      "店:小王,,,,,,,\n"
			      "a3,v,t,n,2023-02-30,,,\n"
			      "a4,v,t,n,2023-03-01,2023-02-01,,\n"
			      "a5,v,t,n,,,12.345,\n"
			      "a6,v,t,n,,,,1.5\n"
			      "a7,v,t,n,,,,abc\n"
			      "a8,v,t,n,,,,1\n",
			      KEFU_KIND_NONE, NULL, &st, &err),
			 0);
	assert_int_equal(st.kind, KEFU_KIND_AGENTS);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.text[0], "店:小美|VendorA|T1|19358|19722|500000|0.015");
	char want[128];
	snprintf(want, sizeof want, "店:小王|||%lld|%lld|-1|", (long long)INT64_MIN,
		 (long long)INT64_MAX);
	assert_string_equal(c.text[1], want);
	assert_rej(&c, 0, 4, 5, "from", "invalid date");
	assert_rej(&c, 1, 5, 6, "to", "to before from");
	assert_rej(&c, 2, 6, 7, "base_month", "more than 2 decimals");
	assert_rej(&c, 3, 7, 8, "commission_rate", "must be a decimal fraction");
	assert_rej(&c, 4, 8, 8, "commission_rate", "must be a decimal fraction");
	assert_int_equal(load(&c,
			      "agent,login,logout\n"
			      "a,2023-03-01 09:00:00,2023-03-01 18:00:00\n"
			      "a,2023-03-01 18:00:00,2023-03-01 09:00:00\n",
			      KEFU_KIND_NONE, NULL, &st, &err),
			 0);
	assert_int_equal(st.kind, KEFU_KIND_PRESENCE);
	assert_string_equal(c.text[0], "a|1677632400|1677664800");
	assert_rej(&c, 0, 3, 3, "logout", "logout before login");
}

static void test_jsonl(void **state)
{
	(void)state;
	coll c;
	kefu_err err;
	kefu_load_stats st;
	const char *in =
		"\xEF\xBB\xBF  {\"shop\":\"s\",\"order_id\":\"1\",\"buyer\":\"b\",\"created\":\"2023-03-01 "
		"10:00:00\",\"paid\":null,\"amount\":12.5,\"items\":2,\"status\":\"x\"}\n"
		"{\"shop\":\"s\",\"order_id\":2,\"buyer\":\"b\",\"created\":1677636000,\"paid\":1677636060000,"
		"\"amount\":0.1,\"items\":\"3\",\"status\":\"x\",\"refund\":\"1\"}\n"
		"\n"
		"{\"shop\":\"s\",\"order_id\":\"3\",\"buyer\":\"b\",\"created\":1677636000,\"paid\":0,"
		"\"amount\":1000000000,\"items\":1,\"status\":\"x\"}\n"
		"{\"shop\":\"s\",\"order_id\":\"4\",\"buyer\":\"b\",\"created\":1677636000,\"paid\":0,"
		"\"amount\":1.234,\"items\":1,\"status\":\"x\"}\n"                       /* 5 */
		"{\"shop\":\"s\",\"order_id\":\"5\",\"buyer\":\"b\",\"created\":1677636000,\"paid\":0,"
		"\"amount\":1,\"items\":1,\"status\":\"x\",\"coupon\":1}\n"               /* 6 */
		"{\"shop\":\"s\",\"order_id\":\"6\"\n"                                    /* 7 */
		"[1,2]\n"                                                                 /* 8 */
		"{\"shop\":\"s\",\"order_id\":\"7\",\"buyer\":\"b\",\"created\":1677636000,\"paid\":0,"
		"\"amount\":true,\"items\":1,\"status\":\"x\"}\n"                         /* 9 */
		"{\"shop\":\"s\",\"order_id\":\"8\",\"buyer\":\"b\",\"created\":1677636000,\"paid\":0,"
		"\"items\":1,\"status\":\"x\"}\n"                                         /* 10 */
		"{\"shop\":\"s\",\"order_id\":\"9\",\"buyer\":\"b\",\"created\":1677636000,\"paid\":0,"
		"\"amount\":1e2,\"items\":1,\"status\":\"\\u00e9\\ud83d\\ude00\"}\n";     /* 11 */
	assert_int_equal(load(&c, in, KEFU_KIND_NONE, NULL, &st, &err), 0);
	assert_int_equal(st.kind, KEFU_KIND_ORDERS);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.text[0], "s|1|b|1677636000|unpaid|1250|2|x|0");
	assert_string_equal(c.text[1], "s|2|b|1677636000|1677636060|10|3|x|100");
	assert_string_equal(c.text[2], "s|3|b|1677636000|unpaid|100000000000|1|x|0");
	assert_int_equal(c.lines[0], 1);
	assert_int_equal(c.lines[2], 4);
	assert_int_equal(c.nrej, 7);
	assert_rej(&c, 0, 5, 0, "amount", "more than 2 decimals");
	assert_rej(&c, 1, 6, 0, "", "unknown key 'coupon'");
	assert_rej(&c, 2, 7, 0, "", "invalid JSON");
	assert_rej(&c, 3, 8, 0, "", "not a JSON object");
	assert_rej(&c, 4, 9, 0, "amount", "expected a string or a number");
	assert_rej(&c, 5, 10, 0, "amount", "missing key");
	assert_rej(&c, 6, 11, 0, "amount", "not a number");
	assert_int_equal(st.rows_read, 10);
	/* with the kind given, unknown keys are ignored */
	assert_int_equal(load(&c,
			      "{\"shop\":\"s\",\"buyer\":\"b\",\"agent\":\"a\",\"dir\":\"B\",\"ts\":"
			      "\"2023-03-01T10:00:00+08:00\",\"text\":\"hi\\n\",\"extra\":[1]}\n",
			      KEFU_KIND_MESSAGES, NULL, &st, &err),
			 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.text[0], "s|b|a|B|1677636000|hi\n");
	/* detection failure from the first object names the key */
	assert_int_equal(load(&c, "{\"shop\":\"s\",\"buyr\":\"b\"}\n", KEFU_KIND_NONE, NULL, &st,
			      &err),
			 KEFU_EPARSE);
	assert_non_null(strstr(err.msg, "'buyr'"));
	/* an invalid first line is a row error; detection uses the next one */
	assert_int_equal(load(&c, "{bad\n{\"agent\":\"a\",\"login\":1677636000,\"logout\":1677636001}\n",
			      KEFU_KIND_NONE, NULL, &st, &err),
			 0);
	assert_int_equal(st.kind, KEFU_KIND_PRESENCE);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.nrej, 1);
	/* invalid UTF-8 in a JSON line */
	assert_int_equal(load(&c,
			      "{\"agent\":\"a\",\"login\":1677636000,\"logout\":1677636001}\n"
			      "{\"agent\":\"\xFF\",\"login\":1677636000,\"logout\":1677636001}\n",
			      KEFU_KIND_NONE, NULL, &st, &err),
			 0);
	assert_rej(&c, 0, 2, 0, "", "invalid UTF-8");
}

/* Reference UTF-8 check: decode code points one by one (no NUL, no
 * overlongs, no surrogates, nothing above U+10FFFF). */
static int ref_utf8(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i], cp, k;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			k = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + k >= n)
			return 0; /* truncated sequence */
		for (unsigned j = 1; j <= k; j++) {
			if ((p[i + j] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + j] & 0x3F);
		}
		static const unsigned minv[4] = {0, 0x80, 0x800, 0x10000};
		if (cp < minv[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += k + 1;
	}
	return 1;
}

static void test_utf8_random(void **state)
{
	(void)state;
	static const unsigned char alpha[] = {'a',  0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0,
					      0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xE4,
					      0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF};
	uint64_t seed = 12345;
	char in[256];
	const char *pre = "agent,login,logout\n";
	size_t np = strlen(pre);
	memcpy(in, pre, np);
	long valid = 0;
	for (int iter = 0; iter < 20000; iter++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t n = 1 + (size_t)((seed >> 33) % 24);
		unsigned char t[32];
		for (size_t i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			t[i] = alpha[(seed >> 33) % sizeof alpha];
		}
		memcpy(in + np, t, n);
		const char *post = ",1,2\n";
		memcpy(in + np + n, post, strlen(post) + 1);
		coll c;
		memset(&c, 0, sizeof c);
		kefu_err err = KEFU_ERR_INIT;
		kefu_load_opts o = KEFU_LOAD_OPTS_INIT;
		o.default_tz = g_sh;
		size_t len = np + n + strlen(post);
		assert_int_equal(kefu_load_mem(in, len, "u", &o, on_row, on_reject, &c, NULL, &err), 0);
		int want = ref_utf8(t, n);
		/* 'a' and the agent key's trimming do not affect validity */
		if (want) {
			valid++;
			if (c.n != 1)
				fail_msg("iter %d: valid UTF-8 rejected: %s", iter, c.nrej ? c.rejs[0].reason : "");
		} else {
			assert_int_equal(c.n, 0);
			assert_int_equal(c.nrej, 1);
			assert_string_equal(c.rejs[0].column, "agent");
		}
	}
	assert_true(valid > 100);
}

/* A field above the 16 MiB limit is rejected and the next row is read. */
static void test_large_field(void **state)
{
	(void)state;
	size_t big = ((size_t)16 << 20) + 100;
	const char *pre = MSG_HDR "s,b,a,B,1677636000,";
	const char *post = "\ns,b,a,A,1677636001,after\n";
	size_t n = strlen(pre) + big + strlen(post);
	char *in = malloc(n + 1);
	assert_non_null(in);
	memcpy(in, pre, strlen(pre));
	memset(in + strlen(pre), 'x', big);
	memcpy(in + strlen(pre) + big, post, strlen(post) + 1);
	coll c;
	kefu_err err;
	kefu_load_stats st;
	assert_int_equal(load(&c, in, KEFU_KIND_NONE, NULL, &st, &err), 0);
	free(in);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.text[0], "s|b|a|A|1677636001|after");
	assert_int_equal(c.lines[0], 3);
	assert_int_equal(c.nrej, 1);
	assert_rej(&c, 0, 2, 6, "text", "field exceeds 16777216 bytes");
	assert_int_equal(c.rejs[0].raw_n, 64 << 10);
}

static void test_files_and_stdin(void **state)
{
	(void)state;
	coll c;
	memset(&c, 0, sizeof c);
	kefu_err err = KEFU_ERR_INIT;
	kefu_load_stats st;
	kefu_load_opts o = KEFU_LOAD_OPTS_INIT;
	o.default_tz = g_sh;
	char path[512];
	snprintf(path, sizeof path, "%s/csv/crlf_bom.csv", KEFU_TEST_FIXTURES);
	assert_int_equal(kefu_load_file(path, &o, on_row, on_reject, &c, &st, &err), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.lines[1], 4);
	assert_string_equal(c.text[0], "s1|b1|a1|B|1677636000|hello, \"world\"\r\nline2");
	/* missing file */
	assert_int_equal(kefu_load_file("/nonexistent/x.csv", &o, on_row, on_reject, &c, &st, &err),
			 KEFU_EIO);
	assert_string_equal(err.file, "/nonexistent/x.csv");
	/* "-" reads standard input */
	memset(&c, 0, sizeof c);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	int saved = dup(0);
	assert_int_equal(dup2(fd, 0), 0);
	close(fd);
	int rc = kefu_load_file("-", &o, on_row, on_reject, &c, &st, &err);
	dup2(saved, 0);
	close(saved);
	assert_int_equal(rc, 0);
	assert_int_equal(c.n, 2);
	/* default_tz is required */
	o.default_tz = NULL;
	assert_int_equal(kefu_load_file(path, &o, on_row, on_reject, &c, &st, &err), KEFU_EINVAL);
}

static void test_callback_abort(void **state)
{
	(void)state;
	coll c;
	memset(&c, 0, sizeof c);
	c.abort_row_at = 2;
	kefu_err err = KEFU_ERR_INIT;
	kefu_load_opts o = KEFU_LOAD_OPTS_INIT;
	o.default_tz = g_sh;
	const char *in = MSG_HDR "s,b,a,B,1,x\ns,b,a,B,2,x\ns,b,a,B,3,x\n";
	assert_int_equal(kefu_load_mem(in, strlen(in), "m", &o, on_row, on_reject, &c, NULL, &err),
			 KEFU_EINVAL);
	assert_string_equal(err.msg, "stop here");
	assert_int_equal(c.n, 2);
}

static void test_alloc_failure(void **state)
{
	(void)state;
	const char *in = MSG_HDR "s,b,a,B,1677636000,\"x\"\"y\"\ns,b,a,Q,1677636000,x\n";
	for (long k = 1; k < 30; k++) {
		coll c;
		memset(&c, 0, sizeof c);
		kefu_err err = KEFU_ERR_INIT;
		kefu_load_opts o = KEFU_LOAD_OPTS_INIT;
		o.default_tz = g_sh;
		kefu_alloc_fail_at(k);
		int rc = kefu_load_mem(in, strlen(in), "m", &o, on_row, on_reject, &c, NULL, &err);
		kefu_alloc_fail_at(0);
		assert_true(rc == 0 || rc == KEFU_ENOMEM);
		if (rc == 0)
			assert_int_equal(c.n + c.nrej, 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_from_header),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_empty_and_header_only),
		cmocka_unit_test(test_messages_csv),
		cmocka_unit_test(test_messages_rejects),
		cmocka_unit_test(test_shop_option),
		cmocka_unit_test(test_orders),
		cmocka_unit_test(test_ratings_evals),
		cmocka_unit_test(test_agents_presence),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_utf8_random),
		cmocka_unit_test(test_large_field),
		cmocka_unit_test(test_files_and_stdin),
		cmocka_unit_test(test_callback_abort),
		cmocka_unit_test(test_alloc_failure),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
