/*
 * test_contract.c - contract files: the spec's YAML and the same structure
 * as JSON give the same contract; every problem of a bad contract is
 * listed with its line and key (unknown keys, overlapping or unordered
 * tiers, rates over 100%, coverage missing, end before start, ...); a
 * contract with problems is never returned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "kefu/contract.h"
#include "kefu/tz.h"

static char *slurp(const char *name, size_t *n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/billing/%s", KEFU_TEST_FIXTURES, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 16);
	assert_non_null(buf);
	*n = fread(buf, 1, (1 << 16) - 1, f);
	buf[*n] = '\0';
	fclose(f);
	return buf;
}

static kefu_contract *parse_fixture(const char *name)
{
	size_t n;
	char *t = slurp(name, &n);
	kefu_contract *c = NULL;
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_contract_parse(&c, t, n, name, NULL, &err))
		fail_msg("%s:%ld: %s", err.file, err.line, err.msg);
	free(t);
	return c;
}

static void same_contract(const kefu_contract *a, const kefu_contract *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->merchant, b->merchant);
	assert_string_equal(a->vendor, b->vendor);
	assert_int_equal(a->n_shops, b->n_shops);
	for (size_t i = 0; i < a->n_shops; i++)
		assert_string_equal(a->shops[i], b->shops[i]);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->n_cov, b->n_cov);
	assert_int_equal(a->cov_start[0], b->cov_start[0]);
	assert_int_equal(a->cov_end[0], b->cov_end[0]);
	assert_int_equal(a->start_day, b->start_day);
	assert_int_equal(a->end_day, b->end_day);
	assert_int_equal(a->seats, b->seats);
	assert_int_equal(a->per_seat_month_fen, b->per_seat_month_fen);
	assert_int_equal(a->n_tiers, b->n_tiers);
	for (size_t i = 0; i < a->n_tiers; i++) {
		assert_int_equal(a->tiers[i].from_fen, b->tiers[i].from_fen);
		assert_int_equal(a->tiers[i].to_fen, b->tiers[i].to_fen);
		assert_int_equal(a->tiers[i].rate.num, b->tiers[i].rate.num);
		assert_int_equal(a->tiers[i].rate.den, b->tiers[i].rate.den);
	}
	assert_int_equal(a->n_sla, b->n_sla);
	assert_int_equal(a->due_days, b->due_days);
	assert_int_equal(a->sales_basis, b->sales_basis);
	assert_int_equal(a->judge_rule, b->judge_rule);
}

static void test_spec_contract(void **state)
{
	(void)state;
	kefu_contract *c = parse_fixture("hy-2023-017.yaml");
	assert_string_equal(c->id, "HY-2023-017");
	assert_string_equal(c->merchant, "某某旗舰店");
	assert_int_equal(c->n_shops, 2);
	assert_int_equal(c->mode, KEFU_MODE_PARTIAL);
	assert_int_equal(c->n_cov, 1);
	assert_int_equal(c->cov_start[0], 18 * 3600);
	assert_int_equal(c->cov_end[0], 9 * 3600);
	assert_int_equal(c->term, KEFU_TERM_QUARTER);
	char d[16];
	kefu_day_format(c->end_day, d);
	assert_string_equal(d, "2023-04-15");
	assert_int_equal(c->seats, 6);
	assert_int_equal(c->per_seat_month_fen, 450000);
	assert_int_equal(c->n_tiers, 2);
	assert_int_equal(c->tiers[0].from_fen, 0);
	assert_int_equal(c->tiers[0].to_fen, 100000000);
	assert_int_equal(c->tiers[0].rate.num * 100, c->tiers[0].rate.den);
	assert_int_equal(c->tiers[1].from_fen, 100000000);
	assert_int_equal(c->tiers[1].to_fen, INT64_MAX);
	assert_int_equal(c->tiers[1].rate.num * 1000, 15 * c->tiers[1].rate.den);
	assert_int_equal(c->sales_basis, 0);
	assert_int_equal(c->judge_rule, 1);
	assert_int_equal(c->prepay, 0);
	assert_int_equal(c->due_days, 15);
	assert_int_equal(c->n_sla, 2);
	assert_int_equal(c->sla[0].metric, KEFU_SLA_FIRST_RESP_S);
	assert_int_equal(c->sla[0].op, KEFU_OP_LE);
	assert_int_equal(c->sla[0].target.num, 20);
	assert_int_equal(c->sla[0].target.den, 1);
	assert_true(c->sla[0].penalty.present && c->sla[0].penalty.is_pct);
	assert_false(c->sla[0].bonus.present);
	assert_int_equal(c->sla[1].op, KEFU_OP_GE);
	assert_int_equal(c->sla[1].target.num * 100, 35 * c->sla[1].target.den);
	/* coverage: 18:00 in, 08:59:59 in, 09:00 out, 17:59 out */
	assert_true(kefu_contract_covers(c, 18 * 3600));
	assert_true(kefu_contract_covers(c, 9 * 3600 - 1));
	assert_false(kefu_contract_covers(c, 9 * 3600));
	assert_false(kefu_contract_covers(c, 18 * 3600 - 60));
	kefu_contract *j = parse_fixture("hy-2023-017.json");
	same_contract(c, j);
	kefu_contract_free(j);
	/* and from a jansson object (the HTTP API) */
	size_t n;
	char *t = slurp("hy-2023-017.json", &n);
	json_error_t je;
	json_t *root = json_loadb(t, n, 0, &je);
	assert_non_null(root);
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_contract_from_json(&j, root, NULL, &err), 0);
	same_contract(c, j);
	kefu_contract_free(j);
	json_decref(root);
	free(t);
	kefu_contract_free(c);
}

typedef struct want {
	long line;
	const char *key;
	const char *reason_part;
} want;

static void expect_problems(const char *text, const want *w, size_t nw)
{
	kefu_contract *c = (kefu_contract *)1;
	kefu_contract_problems p = {0};
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_contract_parse(&c, text, strlen(text), "x.yaml", &p, &err),
			 KEFU_EPARSE);
	assert_null(c);
	for (size_t i = 0; i < p.n; i++)
		print_message("  %ld %s: %s\n", p.v[i].line, p.v[i].key, p.v[i].reason);
	assert_int_equal(p.n, nw);
	for (size_t i = 0; i < nw; i++) {
		assert_int_equal(p.v[i].line, w[i].line);
		assert_string_equal(p.v[i].key, w[i].key);
		assert_non_null(strstr(p.v[i].reason, w[i].reason_part));
	}
	assert_string_equal(err.file, "x.yaml");
	assert_int_equal(err.line, w[0].line);
	kefu_contract_problems_clear(&p);
}

static void test_bad_fixture(void **state)
{
	(void)state;
	size_t n;
	char *t = slurp("bad.yaml", &n);
	const want w[] = {
		{6, "colour", "unknown key"},
		{5, "coverage", "missing"},
		{7, "term.end", "end is before start"},
		{14, "fee.commission[1].rate", "over 100%"},
		{14, "fee.commission[1]", "overlaps or is out of order"},
		{15, "fee.commission[2]", "empty or reversed"},
		{18, "events[0].to", "end before start"},
	};
	expect_problems(t, w, sizeof w / sizeof w[0]);
	free(t);
}

static const char *head = "id: X\nmerchant: m\nshops: [s1]\nvendor: v\nmode: full\n"
			  "term: {kind: month, start: 2023-01-01}\n";

static void test_more_problems(void **state)
{
	(void)state;
	char buf[2048];
	/* tiers given out of order with explicit from */
	snprintf(buf, sizeof buf,
		 "%sfee:\n  scheme: base_commission\n  seats: 1\n  base_per_seat_month: \"1.00\"\n"
		 "  commission:\n    - {from: \"500.00\", to: \"900.00\", rate: \"1%%\"}\n"
		 "    - {from: \"0.00\", to: \"500.00\", rate: \"2%%\"}\n"
		 "settlement: {mode: postpay, due_days: 1}\n",
		 head);
	const want w1[] = {{13, "fee.commission[1]", "out of order"}};
	expect_problems(buf, w1, 1);
	/* an open tier before another; a fixed scheme with commission; bad money */
	snprintf(buf, sizeof buf,
		 "%sfee:\n  scheme: fixed\n  fixed_month: \"12,000\"\n"
		 "  commission: [{rate: \"1%%\"}]\n"
		 "settlement: {mode: later, due_days: -1}\n"
		 "sla:\n  - {metric: first_resp_s, target: \"<= 20%%\", penalty: \"2%% of bonus\"}\n"
		 "  - {metric: nps, target: \"~ 3\"}\n",
		 head);
	const want w2[] = {
		{9, "fee.fixed_month", "amount in yuan"},
		{10, "fee.commission", "no commission"},
		{11, "settlement.mode", "postpay | prepay"},
		{11, "settlement.due_days", "whole number"},
		{13, "sla[0].target", "in seconds"},
		{13, "sla[0].penalty", "of base"},
		{14, "sla[1].metric", "first_resp_s | avg_resp_s"},
		{14, "sla[1].target", "comparison"},
		{14, "sla[1]", "penalty, a bonus or both"},
	};
	expect_problems(buf, w2, sizeof w2 / sizeof w2[0]);
}

/* The empty mapping: every required key reported, at line 1. */
static void test_missing_everything(void **state)
{
	(void)state;
	const want w[] = {
		{1, "id", "missing"},    {1, "merchant", "missing"}, {1, "vendor", "missing"},
		{1, "shops", "missing"}, {1, "mode", "missing"},     {1, "term", "missing"},
		{1, "fee", "missing"},   {1, "settlement", "missing"},
	};
	expect_problems("{}\n", w, sizeof w / sizeof w[0]);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	kefu_contract *c = NULL;
	kefu_contract_problems p = {0};
	kefu_err err = KEFU_ERR_INIT;
	const char *y = "id: X\nshops: [s1\nmode: full\n";
	assert_int_equal(kefu_contract_parse(&c, y, strlen(y), "y.yaml", &p, &err), KEFU_EPARSE);
	assert_null(c);
	assert_int_equal(p.n, 1);
	assert_true(p.v[0].line >= 2);
	kefu_contract_problems_clear(&p);
	const char *j = "{\"id\": \"X\",\n \"shops\": [\"s1\",]}";
	assert_int_equal(kefu_contract_parse(&c, j, strlen(j), "j.json", &p, &err), KEFU_EPARSE);
	assert_int_equal(p.n, 1);
	assert_int_equal(err.line, 2);
	kefu_contract_problems_clear(&p);
	/* JSON numbers with a fraction are refused: rates are exact decimals */
	const char *r = "{\"id\": \"X\", \"merchant\": \"m\", \"shops\": [\"s1\"], \"vendor\": \"v\","
			" \"mode\": \"full\", \"term\": {\"kind\": \"year\", \"start\": "
			"\"2023-01-01\"}, \"fee\": {\"scheme\": \"fixed\", \"fixed_month\": 100.5},"
			" \"settlement\": {\"mode\": \"prepay\", \"due_days\": 0}}";
	assert_int_equal(kefu_contract_parse(&c, r, strlen(r), "r.json", &p, &err), KEFU_EPARSE);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.v[0].key, "fee.fixed_month");
	assert_int_equal(p.v[0].line, 0);
	assert_non_null(strstr(p.v[0].reason, "as strings"));
	kefu_contract_problems_clear(&p);
}

/* Input libfyaml must not see, and CRLF files keep their line numbers. */
static void test_text_checks(void **state)
{
	(void)state;
	const struct {
		const char *text;
		long line;
		const char *part;
	} cases[] = {
		{"id: X\nmerchant: \xff\n", 2, "UTF-8"},
		{"id: X\n\nmerchant: a\x01b\n", 3, "control character"},
		{"%YAML 1.2\n---\nid: X\n", 1, "directives"},
		{"id: X\r%TAG ! x\n", 2, "directives"},
		{"id: X\r\nmerchant: m\r\ncolour: 1\r\n", 3, "unknown key"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		kefu_contract *c = NULL;
		kefu_contract_problems p = {0};
		kefu_err err = KEFU_ERR_INIT;
		const char *t = cases[i].text;
		assert_int_equal(kefu_contract_parse(&c, t, strlen(t), "t", &p, &err), KEFU_EPARSE);
		assert_null(c);
		assert_true(p.n >= 1);
		size_t k = 0;
		while (k < p.n && !strstr(p.v[k].reason, cases[i].part))
			k++;
		assert_true(k < p.n);
		assert_int_equal(p.v[k].line, cases[i].line);
		kefu_contract_problems_clear(&p);
	}
}

static void test_terms(void **state)
{
	(void)state;
	char buf[1024];
	const char *fee = "fee: {scheme: fixed, fixed_month: \"1.00\"}\n"
			  "settlement: {mode: postpay, due_days: 0}\n";
	struct {
		const char *term, *end;
	} cases[] = {
		{"{kind: month, months: 3, start: 2023-01-31}", "2023-04-30"},
		{"{kind: month, start: 2023-01-31}", "2023-02-28"},
		{"{kind: year, start: 2024-02-29}", "2025-02-28"},
		{"{kind: quarter, start: 2023-11-16}", "2024-02-15"},
		{"{kind: event, start: 2023-10-31, end: 2023-11-11}", "2023-11-11"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(buf, sizeof buf,
			 "id: X\nmerchant: m\nshops: [s1]\nvendor: v\nmode: full\nterm: %s\n%s",
			 cases[i].term, fee);
		kefu_contract *c = NULL;
		kefu_err err = KEFU_ERR_INIT;
		if (kefu_contract_parse(&c, buf, strlen(buf), "t", NULL, &err))
			fail_msg("%s: %s", cases[i].term, err.msg);
		char d[16];
		kefu_day_format(c->end_day, d);
		assert_string_equal(d, cases[i].end);
		kefu_contract_free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_contract), cmocka_unit_test(test_bad_fixture),
		cmocka_unit_test(test_more_problems), cmocka_unit_test(test_missing_everything),
		cmocka_unit_test(test_syntax_errors), cmocka_unit_test(test_text_checks),
		cmocka_unit_test(test_terms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
