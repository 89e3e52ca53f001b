/*
 * test_property.c - properties of the engine on random data: shuffled input
 * rows give byte-identical output (every grouping), totals reconcile
 * (paid = credited + silent per shop-day; grouped sums equal daily sums),
 * and counts stay consistent (unanswered = consults - received, ...).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kefu/snapshot.h"
#include "testutil.h"

static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

typedef struct lines {
	char **l;
	size_t n, cap;
} lines;

static void add_line(lines *ls, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (ls->n == ls->cap) {
		ls->cap = ls->cap ? ls->cap * 2 : 256;
		ls->l = realloc(ls->l, ls->cap * sizeof *ls->l);
	}
	ls->l[ls->n++] = strdup(buf);
}

static char *join(const char *header, lines *ls)
{
	size_t total = strlen(header) + 2;
	for (size_t i = 0; i < ls->n; i++)
		total += strlen(ls->l[i]) + 1;
	char *s = malloc(total);
	char *p = s + sprintf(s, "%s\n", header);
	for (size_t i = 0; i < ls->n; i++)
		p += sprintf(p, "%s\n", ls->l[i]);
	return s;
}

static void shuffle(lines *ls)
{
	for (size_t i = ls->n; i > 1; i--) {
		size_t j = rnd() % i;
		char *t = ls->l[i - 1];
		ls->l[i - 1] = ls->l[j];
		ls->l[j] = t;
	}
}

static void free_lines(lines *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		free(ls->l[i]);
	free(ls->l);
}

static void free_data(lines *m, lines *o, lines *r, lines *e)
{
	free_lines(m);
	free_lines(o);
	free_lines(r);
	free_lines(e);
}

static void ts(char *buf, int64_t t)
{
	/* 2023-03-01 00:00:00 + t seconds, local wall clock */
	int64_t day = t / 86400, sod = t % 86400;
	sprintf(buf, "2023-03-%02d %02d:%02d:%02d", (int)(1 + day), (int)(sod / 3600),
		(int)(sod / 60 % 60), (int)(sod % 60));
}

/* Random but structured data: 3 shops, 6 agents, 40 buyers, 5 days. */
static void make_data(lines *msgs, lines *ords, lines *rats, lines *evs)
{
	/* already escaped for a quoted CSV field */
	static const char *texts[] = {"在吗", "有货吗,亲", "\"\"包邮\"\"吗", "ok", "好的\n亲"};
	char a[32], b[32];
	for (int i = 0; i < 1500; i++) {
		int shop = (int)(rnd() % 3), agent = (int)(rnd() % 2), buyer = (int)(rnd() % 40);
		int64_t t = (int64_t)(rnd() % (5 * 86400 - 3600));
		int n = 1 + (int)(rnd() % 5);
		for (int k = 0; k < n; k++) {
			int r = (int)(rnd() % 10);
			const char *dir = r < 5 ? "B" : r < 6 ? "S" : "A";
			ts(a, t);
			add_line(msgs, "s%d,b%d,s%d:ag%d,%s,%s,\"%s\"", shop, buyer, shop, agent, dir, a,
				 texts[rnd() % 5]);
			if (rnd() % 20 == 0) /* exact duplicate row */
				add_line(msgs, "%s", msgs->l[msgs->n - 1]);
			t += (int64_t)(rnd() % 400);
		}
	}
	for (int i = 0; i < 300; i++) {
		int shop = (int)(rnd() % 3), buyer = (int)(rnd() % 45);
		int64_t c = (int64_t)(rnd() % (5 * 86400 - 7200));
		ts(a, c);
		int paid = rnd() % 5 != 0;
		if (paid)
			ts(b, c + (int64_t)(rnd() % 3600));
		add_line(ords, "s%d,o%d,b%d,%s,%s,%d.%02d,%d,TRADE_FINISHED,%d", shop, i, buyer, a,
			 paid ? b : "", (int)(rnd() % 500), (int)(rnd() % 100), 1 + (int)(rnd() % 3),
			 (int)(rnd() % 3 == 0 ? rnd() % 100 : 0));
		if (paid && rnd() % 2) {
			ts(b, c + 3600 + (int64_t)(rnd() % 3600));
			add_line(rats, "s%d,o%d,b%d,%s,%d,%d,%d", shop, i, buyer, b, 1 + (int)(rnd() % 5),
				 1 + (int)(rnd() % 5), 1 + (int)(rnd() % 5));
		}
	}
	for (int i = 0; i < 200; i++) {
		int shop = (int)(rnd() % 3);
		ts(a, (int64_t)(i * 2000 + (int)(rnd() % 1000)));
		add_line(evs, "s%d,s%d:ag%d,b%d,%s,%d", shop, shop, (int)(rnd() % 2),
			 (int)(rnd() % 40), a, 1 + (int)(rnd() % 5));
	}
}

static char *render(lines *m, lines *o, lines *r, lines *e, const kefu_report_opts *ro,
		    const char *const *sets)
{
	char *t[5] = {join("shop,buyer,agent,dir,ts,text", m),
		      join("shop,order_id,buyer,created,paid,amount,items,status,refund", o),
		      join("shop,order_id,buyer,ts,desc,service,shipping", r),
		      join("shop,agent,buyer,ts,level", e), NULL};
	tu_run run;
	tu_run_texts(&run, (const char *const *)t, sets, ro);
	assert_int_equal(run.rejected, 0);
	char *csv = tu_csv(run.table);
	tu_run_free(&run);
	for (int i = 0; i < 4; i++)
		free(t[i]);
	return csv;
}

static void test_shuffle_invariance(void **state)
{
	(void)state;
	static const kefu_by bys[] = {KEFU_BY_AGENT, KEFU_BY_SHOP, KEFU_BY_ALL};
	static const kefu_per pers[] = {KEFU_PER_DAY, KEFU_PER_WEEK, KEFU_PER_RANGE};
	const char *rules[][2] = {{NULL, NULL}, {"judge_rule=order", NULL}, {"judge_rule=payment", NULL}};
	for (int seed = 1; seed <= 3; seed++) {
		rng_state = (uint64_t)seed;
		lines m = {0}, o = {0}, r = {0}, e = {0};
		make_data(&m, &o, &r, &e);
		for (int k = 0; k < 3; k++) {
			kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
			ro.by = bys[k];
			ro.per = pers[k];
			char *before = render(&m, &o, &r, &e, &ro, rules[k][0] ? rules[k] : NULL);
			shuffle(&m);
			shuffle(&o);
			shuffle(&r);
			shuffle(&e);
			tu_threads = 1 + k; /* parallel parts must not change a byte */
			char *after = render(&m, &o, &r, &e, &ro, rules[k][0] ? rules[k] : NULL);
			tu_threads = 1;
			assert_true(strlen(before) > 200);
			assert_string_equal(before, after);
			free(before);
			free(after);
		}
		free_lines(&m);
		free_lines(&o);
		free_lines(&r);
		free_lines(&e);
	}
}

static void test_totals_reconcile(void **state)
{
	(void)state;
	rng_state = 42;
	lines m = {0}, o = {0}, r = {0}, e = {0};
	make_data(&m, &o, &r, &e);
	char *t[5] = {join("shop,buyer,agent,dir,ts,text", &m),
		      join("shop,order_id,buyer,created,paid,amount,items,status,refund", &o),
		      join("shop,order_id,buyer,ts,desc,service,shipping", &r),
		      join("shop,agent,buyer,ts,level", &e), NULL};
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	tu_run daily;
	tu_run_texts(&daily, (const char *const *)t, NULL, &ro);
	ro.by = KEFU_BY_SHOP;
	ro.per = KEFU_PER_RANGE;
	tu_run shops;
	tu_run_texts(&shops, (const char *const *)t, NULL, &ro);
	const char *cols[] = {"consults", "received", "inquiries", "resp_sum_s", "converted",
			      "sales_fen", "sales_orders", "buyer_msgs", "agent_chars", "evals", NULL};
	for (int c = 0; cols[c]; c++) {
		int64_t a = 0, b = 0;
		for (size_t i = 0; i < daily.table->nrows; i++)
			a += tu_int(daily.table, (long)i, cols[c]);
		for (size_t i = 0; i < shops.table->nrows; i++)
			b += tu_int(shops.table, (long)i, cols[c]);
		assert_int_equal(a, b);
	}
	int64_t credited = 0, silent = 0, paid = 0;
	for (size_t i = 0; i < shops.table->nrows; i++) {
		long row = (long)i;
		assert_int_equal(tu_int(shops.table, row, "paid_fen"),
				 tu_int(shops.table, row, "sales_fen") + tu_int(shops.table, row, "silent_fen"));
		credited += tu_int(shops.table, row, "sales_fen");
		silent += tu_int(shops.table, row, "silent_fen");
		paid += tu_int(shops.table, row, "paid_fen");
	}
	assert_true(credited > 0 && silent > 0);
	assert_int_equal(paid, credited + silent);
	for (size_t i = 0; i < daily.table->nrows; i++) {
		long row = (long)i;
		assert_int_equal(tu_int(daily.table, row, "unanswered"),
				 tu_int(daily.table, row, "consults") - tu_int(daily.table, row, "received"));
		assert_true(tu_int(daily.table, row, "inquiries") <= tu_int(daily.table, row, "received"));
		assert_true(tu_int(daily.table, row, "converted") <= tu_int(daily.table, row, "inquiries"));
		assert_true(tu_int(daily.table, row, "converted_next_day") <=
			    tu_int(daily.table, row, "converted"));
		assert_true(tu_int(daily.table, row, "rounds_3min_ok") <=
			    tu_int(daily.table, row, "rounds_3min"));
		assert_true(tu_int(daily.table, row, "first_resp_n") <= tu_int(daily.table, row, "received"));
	}
	tu_run_free(&daily);
	tu_run_free(&shops);
	for (int i = 0; i < 4; i++)
		free(t[i]);
	free_data(&m, &o, &r, &e);
}

/* Loading the rows into two datasets and merging them gives the same
 * report as one dataset (the parallel loader relies on this). */
static void test_merge_equals_single_load(void **state)
{
	(void)state;
	rng_state = 7;
	lines m = {0}, o = {0}, r = {0}, e = {0};
	make_data(&m, &o, &r, &e);
	const char *hdr[4] = {"shop,buyer,agent,dir,ts,text",
			      "shop,order_id,buyer,created,paid,amount,items,status,refund",
			      "shop,order_id,buyer,ts,desc,service,shipping", "shop,agent,buyer,ts,level"};
	lines *all[4] = {&m, &o, &r, &e};
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	ro.by = KEFU_BY_AGENT;
	char *whole[5];
	for (int i = 0; i < 4; i++)
		whole[i] = join(hdr[i], all[i]);
	whole[4] = NULL;
	tu_run one;
	tu_run_texts(&one, (const char *const *)whole, NULL, &ro);
	char *expect = tu_csv(one.table);
	tu_run_free(&one);
	/* first half of every kind in a, second half in b */
	kefu_dataset *a, *b;
	assert_int_equal(kefu_dataset_new(&a), 0);
	assert_int_equal(kefu_dataset_new(&b), 0);
	for (int i = 0; i < 4; i++) {
		size_t half = all[i]->n / 2;
		lines first = {all[i]->l, half, half}, second = {all[i]->l + half, all[i]->n - half, 0};
		char *t1 = join(hdr[i], &first), *t2 = join(hdr[i], &second);
		tu_load_text(a, t1);
		tu_load_text(b, t2);
		free(t1);
		free(t2);
	}
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_dataset_merge(a, b, &err), 0);
	kefu_dataset_free(b);
	tu_run merged;
	tu_run_dataset(&merged, a, NULL, &ro);
	char *got = tu_csv(merged.table);
	assert_string_equal(expect, got);
	free(expect);
	free(got);
	tu_run_free(&merged);
	for (int i = 0; i < 4; i++)
		free(whole[i]);
	free_data(&m, &o, &r, &e);
}

/* A snapshot image read back gives the same report; a cut or damaged image
 * is refused, never trusted. */
static void test_snapshot_roundtrip(void **state)
{
	(void)state;
	rng_state = 11;
	lines m = {0}, o = {0}, r = {0}, e = {0};
	make_data(&m, &o, &r, &e);
	add_line(&m, "%s", "s0,b1,s0:ag0,B,2023-03-01 10:00:00,x"); /* keep one fixed row */
	char *t[5] = {join("shop,buyer,agent,dir,ts,text", &m),
		      join("shop,order_id,buyer,created,paid,amount,items,status,refund", &o),
		      join("shop,order_id,buyer,ts,desc,service,shipping", &r),
		      join("shop,agent,buyer,ts,level", &e), NULL};
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	tu_run one;
	tu_run_texts(&one, (const char *const *)t, NULL, &ro);
	char *expect = tu_csv(one.table);
	char *img;
	size_t n;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_snapshot_write(one.ds, &img, &n, &err), 0);
	tu_run_free(&one);
	kefu_dataset *back;
	assert_int_equal(kefu_snapshot_read(&back, img, n, &err), 0);
	tu_run again;
	tu_run_dataset(&again, back, NULL, &ro);
	char *got = tu_csv(again.table);
	assert_string_equal(expect, got);
	tu_run_free(&again);
	/* cut images and a flipped magic are refused */
	for (size_t cut = 0; cut < n; cut += n / 97 + 1) {
		kefu_dataset *bad = NULL;
		assert_int_not_equal(kefu_snapshot_read(&bad, img, cut, &err), 0);
		assert_null(bad);
	}
	img[3] ^= 1;
	kefu_dataset *bad = NULL;
	assert_int_not_equal(kefu_snapshot_read(&bad, img, n, &err), 0);
	kefu_free(img);
	free(expect);
	free(got);
	for (int i = 0; i < 4; i++)
		free(t[i]);
	free_data(&m, &o, &r, &e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shuffle_invariance),
		cmocka_unit_test(test_totals_reconcile),
		cmocka_unit_test(test_merge_equals_single_load),
		cmocka_unit_test(test_snapshot_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
