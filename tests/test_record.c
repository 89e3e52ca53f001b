/*
 * test_record.c - unit tests of lib/record.c: kind names, the exact money
 * parser and formatter, key trimming and the cntaobao prefix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "kefu/record.h"
#include "testutil.h"

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(kefu_kind_name(KEFU_KIND_MESSAGES), "messages");
	assert_string_equal(kefu_kind_name(KEFU_KIND_ORDERS), "orders");
	assert_string_equal(kefu_kind_name(KEFU_KIND_RATINGS), "ratings");
	assert_string_equal(kefu_kind_name(KEFU_KIND_EVALS), "evals");
	assert_string_equal(kefu_kind_name(KEFU_KIND_AGENTS), "agents");
	assert_string_equal(kefu_kind_name(KEFU_KIND_PRESENCE), "presence");
	assert_null(kefu_kind_name(KEFU_KIND_NONE));
	assert_null(kefu_kind_name(KEFU_KIND_COUNT));
	assert_null(kefu_kind_name((kefu_kind)-1));
	for (int k = 1; k < KEFU_KIND_COUNT; k++)
		assert_int_equal(kefu_kind_parse(kefu_kind_name((kefu_kind)k)), k);
	assert_int_equal(kefu_kind_parse("message"), KEFU_KIND_MESSAGES);
	assert_int_equal(kefu_kind_parse("order"), KEFU_KIND_ORDERS);
	assert_int_equal(kefu_kind_parse("rating"), KEFU_KIND_RATINGS);
	assert_int_equal(kefu_kind_parse("eval"), KEFU_KIND_EVALS);
	assert_int_equal(kefu_kind_parse("agent"), KEFU_KIND_AGENTS);
	assert_int_equal(kefu_kind_parse("Orders"), KEFU_KIND_NONE);
	assert_int_equal(kefu_kind_parse(""), KEFU_KIND_NONE);
	assert_int_equal(kefu_kind_parse(NULL), KEFU_KIND_NONE);
}

static int64_t money_ok(const char *s)
{
	int64_t fen = -12345;
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_money_parse(s, strlen(s), &fen, &err);
	if (rc != 0)
		fail_msg("'%s' rejected: %s", s, err.msg);
	return fen;
}

static void money_bad(const char *s, const char *reason_prefix)
{
	int64_t fen = -12345;
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_money_parse(s, strlen(s), &fen, &err);
	if (rc != KEFU_EPARSE)
		fail_msg("'%s' accepted as %lld", s, (long long)fen);
	assert_int_equal(err.code, KEFU_EPARSE);
	if (strncmp(err.msg, reason_prefix, strlen(reason_prefix)) != 0)
		fail_msg("'%s': reason '%s', want '%s...'", s, err.msg, reason_prefix);
	assert_int_equal(fen, -12345); /* untouched on error */
}

static void test_money_parse_ok(void **state)
{
	(void)state;
	assert_int_equal(money_ok("0"), 0);
	assert_int_equal(money_ok("0.1"), 10);
	assert_int_equal(money_ok("0.01"), 1);
	assert_int_equal(money_ok("12"), 1200);
	assert_int_equal(money_ok("12.5"), 1250);
	assert_int_equal(money_ok("12.50"), 1250);
	assert_int_equal(money_ok("278.71"), 27871);
	assert_int_equal(money_ok("007.05"), 705);
	assert_int_equal(money_ok("  12.5 "), 1250);
	assert_int_equal(money_ok("\t3\t"), 300);
	assert_int_equal(money_ok("1000000000"), INT64_C(100000000000));
	assert_int_equal(money_ok("1000000000.00"), INT64_C(100000000000));
	assert_int_equal(money_ok("999999999.99"), INT64_C(99999999999));
	/* the classic double trap: 0.29 * 100 != 29 in binary floating point */
	assert_int_equal(money_ok("0.29"), 29);
	assert_int_equal(money_ok("1.15"), 115);
	/* not NUL-terminated input: only n bytes are read */
	int64_t fen;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_money_parse("12.345", 4, &fen, &err), 0);
	assert_int_equal(fen, 1230);
}

static void test_money_parse_bad(void **state)
{
	(void)state;
	money_bad("", "empty");
	money_bad("   ", "empty");
	money_bad("-1", "negative");
	money_bad("-0.50", "negative");
	money_bad("1.234", "more than 2 decimals");
	money_bad("0.001", "more than 2 decimals");
	money_bad("1000000000.01", "amount above 10^9 yuan");
	money_bad("1000000001", "amount above 10^9 yuan");
	money_bad("99999999999999999999999999", "amount above 10^9 yuan");
	money_bad("abc", "not a number");
	money_bad("12a", "not a number");
	money_bad("1,234.00", "not a number");
	money_bad("1e5", "not a number");
	money_bad("+5", "not a number");
	money_bad("12.", "not a number");
	money_bad(".5", "not a number");
	money_bad("1 2", "not a number");
	money_bad("--1", "not a number");
	money_bad("¥12", "not a number");
	money_bad("12.5.0", "not a number");
	money_bad("NaN", "not a number");
}

static void test_money_format(void **state)
{
	(void)state;
	char buf[32];
	static const struct {
		int64_t fen;
		const char *s;
	} cases[] = {
		{0, "0.00"},       {1, "0.01"},         {10, "0.10"},
		{1250, "12.50"},   {-27871, "-278.71"}, {-1, "-0.01"},
		{100, "1.00"},     {INT64_C(100000000000), "1000000000.00"},
		{INT64_MAX, "92233720368547758.07"},
		{INT64_MIN, "-92233720368547758.08"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		kefu_money_format(cases[i].fen, buf);
		assert_string_equal(buf, cases[i].s);
	}
	/* round trip */
	for (int64_t v = 0; v < 100000; v += 7) {
		int64_t back;
		kefu_err err = KEFU_ERR_INIT;
		kefu_money_format(v, buf);
		assert_int_equal(kefu_money_parse(buf, strlen(buf), &back, &err), 0);
		assert_int_equal(back, v);
	}
}

static void assert_str(kefu_str s, const char *want)
{
	assert_int_equal(s.n, strlen(want));
	assert_memory_equal(s.p, want, s.n);
}

static void test_trim_and_strip(void **state)
{
	(void)state;
	assert_str(kefu_str_trim((kefu_str){"  a b \t", 7}), "a b");
	assert_str(kefu_str_trim((kefu_str){"\t\t", 2}), "");
	assert_str(kefu_str_trim((kefu_str){"", 0}), "");
	assert_str(kefu_str_trim((kefu_str){"x\n", 2}), "x\n"); /* only spaces and tabs */
	assert_str(kefu_str_strip_cntaobao((kefu_str){"cntaobao旗舰店:小美", strlen("cntaobao旗舰店:小美")}),
		   "旗舰店:小美");
	assert_str(kefu_str_strip_cntaobao((kefu_str){"cntaobao", 8}), "");
	assert_str(kefu_str_strip_cntaobao((kefu_str){"cntaoba", 7}), "cntaoba");
	assert_str(kefu_str_strip_cntaobao((kefu_str){"CNTAOBAOx", 9}), "CNTAOBAOx");
	assert_str(kefu_str_strip_cntaobao((kefu_str){"xcntaobao", 9}), "xcntaobao");
	/* only one prefix is stripped */
	assert_str(kefu_str_strip_cntaobao((kefu_str){"cntaobaocntaobaoy", 17}), "cntaobaoy");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_money_parse_ok),
		cmocka_unit_test(test_money_parse_bad),
		cmocka_unit_test(test_money_format),
		cmocka_unit_test(test_trim_and_strip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
