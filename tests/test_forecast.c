/*
 * test_forecast.c - the interval-volume forecast: grid building (finer and
 * coarser inputs, gaps), the template x level x event model on small
 * hand-computed histories, learned event multipliers, the counts CSV reader
 * and its errors, and the backtest on real call-centre data
 * (shared/data/bank_calls_5min_2003: train on the first 20 weeks, forecast
 * the 21st at 30 minutes, beat the naive same-weekday-last-week forecast).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kefu/staffing.h"
#include "kefu/tz.h"

static int64_t day_of(int y, int m, int d) { return kefu_days_from_civil(y, (unsigned)m, (unsigned)d); }

static void grid_finer_and_coarser(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	int64_t d0 = day_of(2024, 1, 1) * 86400;
	/* 5-minute input from 07:00 summed into 30-minute slots */
	int64_t ts[] = {d0 + 7 * 3600, d0 + 7 * 3600 + 300, d0 + 7 * 3600 + 1800, d0 + 86400 * 2 + 600};
	double c[] = {3, 4, 5, 7};
	kefu_volume_grid *g;
	assert_int_equal(kefu_volume_grid_build(&g, ts, c, 4, 0, 1800, &err), 0);
	assert_int_equal(g->ndays, 3);
	assert_int_equal(g->slots, 48);
	assert_true(g->count[14] == 7);
	assert_true(g->count[15] == 5);
	assert_int_equal(g->present[0], 1);
	assert_int_equal(g->present[1], 0); /* a day without rows is missing */
	assert_int_equal(g->present[2], 1);
	assert_true(g->count[2 * 48 + 0] == 7);
	kefu_volume_grid_free(g);
	/* hourly input (said so) split evenly into 15-minute slots; without
	 * saying, the two-hour gap is a gap and the rows stay whole */
	int64_t th[] = {d0 + 9 * 3600, d0 + 11 * 3600};
	double ch[] = {8, 2};
	assert_int_equal(kefu_volume_grid_build(&g, th, ch, 2, 3600, 900, &err), 0);
	assert_true(g->count[36] == 2 && g->count[39] == 2 && g->count[40] == 0);
	assert_true(g->count[44] == 0.5);
	kefu_volume_grid_free(g);
	assert_int_equal(kefu_volume_grid_build(&g, th, ch, 2, 0, 900, &err), 0);
	assert_true(g->count[36] == 8 && g->count[37] == 0 && g->count[44] == 2);
	kefu_volume_grid_free(g);
	/* 45-minute input cannot become 30-minute slots */
	int64_t t45[] = {d0, d0 + 2700};
	assert_int_equal(kefu_volume_grid_build(&g, t45, ch, 2, 0, 1800, &err), KEFU_EINVAL);
	assert_null(g);
	double bad[] = {1, -1};
	assert_int_equal(kefu_volume_grid_build(&g, th, bad, 2, 0, 900, &err), KEFU_EINVAL);
}

/* Three weeks of hourly history, Mondays 10 calls at 09:00 and 30 at 10:00,
 * other weekdays 4 at 09:00, last week everything doubled: templates over
 * 8 weeks give Monday mean (40+40+80)/3, the level is the last 2 weeks'
 * actual over their weekday means, the forecast mean x level x shape. */
static kefu_volume_grid *three_weeks(int64_t first)
{
	kefu_volume_grid *g;
	kefu_err err = KEFU_ERR_INIT;
	int64_t ts[21 * 2];
	double c[21 * 2];
	size_t n = 0;
	for (int d = 0; d < 21; d++) {
		int64_t day = first + d;
		double k = d >= 14 ? 2 : 1;
		int mon = kefu_weekday(day) == 1;
		ts[n] = day * 86400 + 9 * 3600;
		c[n++] = (mon ? 10 : 4) * k;
		ts[n] = day * 86400 + 10 * 3600;
		c[n++] = (mon ? 30 : 0) * k;
	}
	assert_int_equal(kefu_volume_grid_build(&g, ts, c, n, 0, 3600, &err), 0);
	return g;
}

static void model_hand_computed(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	int64_t first = day_of(2024, 1, 1); /* a Monday */
	assert_int_equal(kefu_weekday(first), 1);
	kefu_volume_grid *h = three_weeks(first), *f;
	kefu_forecast_opts o = KEFU_FORECAST_OPTS_INIT;
	o.level_weeks = 2;
	o.recent_weight = 0;
	int64_t from = first + 21;
	assert_int_equal(kefu_forecast_run(&f, h, from, from + 6, &o, NULL, &err), 0);
	/* Monday mean = (40 + 40 + 80) / 3; level over the last 14 days:
	 * actual 40 + 4*6 + 80 + 8*6 = 192 vs means 2*(160/3) + 12*(16/3) = 512/3 */
	double level = 192.0 / (512.0 / 3.0);
	double mon = 160.0 / 3.0 * level;
	assert_true(fabs(f->count[9] - mon * 0.25) < 1e-9);
	assert_true(fabs(f->count[10] - mon * 0.75) < 1e-9);
	assert_true(fabs(f->count[24 + 9] - 16.0 / 3.0 * level) < 1e-9);
	assert_true(f->count[24 + 10] == 0);
	kefu_volume_grid_free(f);

	/* defaults (level over 2 weeks = 1.125 as above, recent weight 0.25):
	 * Monday 09:00 = 0.75 * (160/3 * 1.125 * 0.25) + 0.25 * 20 = 16.25,
	 * 10:00 = 0.75 * 45 + 0.25 * 60 = 48.75; Tuesday 09:00 = 0.75 * 6 +
	 * 0.25 * 8 = 6.5 */
	o = (kefu_forecast_opts)KEFU_FORECAST_OPTS_INIT;
	assert_int_equal(kefu_forecast_run(&f, h, from, from + 6, &o, NULL, &err), 0);
	assert_true(fabs(f->count[9] - 16.25) < 1e-9);
	assert_true(fabs(f->count[10] - 48.75) < 1e-9);
	assert_true(fabs(f->count[24 + 9] - 6.5) < 1e-9);
	kefu_volume_grid_free(f);
	/* level over the last week only: (80 + 6*8) / (160/3 + 6*16/3) = 1.5,
	 * Monday 09:00 = 0.75 * 20 + 0.25 * 20 = 20, 10:00 = 60, Tuesday 8 */
	o.level_weeks = 1;
	assert_int_equal(kefu_forecast_run(&f, h, from, from + 6, &o, NULL, &err), 0);
	assert_true(fabs(f->count[9] - 20) < 1e-9);
	assert_true(fabs(f->count[10] - 60) < 1e-9);
	assert_true(fabs(f->count[24 + 9] - 8) < 1e-9);
	kefu_volume_grid_free(f);

	/* an explicit event multiplies its days */
	kefu_sale_event ev[1] = {{"promo", from + 1, from + 1, 3.0}};
	o.events = ev;
	o.nevents = 1;
	assert_int_equal(kefu_forecast_run(&f, h, from, from + 6, &o, NULL, &err), 0);
	assert_true(fabs(f->count[24 + 9] - 8.0 * 3) < 1e-9);
	kefu_volume_grid_free(f);

	/* an event to learn without past occurrence is refused by name */
	ev[0].multiplier = 0;
	assert_int_equal(kefu_forecast_run(&f, h, from, from + 6, &o, NULL, &err), KEFU_EINVAL);
	assert_non_null(strstr(err.msg, "promo"));
	kefu_volume_grid_free(h);
}

static void event_learned(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	int64_t first = day_of(2024, 1, 1);
	/* four flat weeks of 10 per day at 12:00; on days 15-16 (Tue, Wed) 40 */
	int64_t ts[28];
	double c[28];
	for (int d = 0; d < 28; d++) {
		ts[d] = (first + d) * 86400 + 12 * 3600;
		c[d] = (d == 15 || d == 16) ? 40 : 10;
	}
	kefu_volume_grid *h, *f;
	assert_int_equal(kefu_volume_grid_build(&h, ts, c, 28, 0, 1800, &err), 0);
	kefu_sale_event ev[2] = {{"1111", first + 15, first + 16, 0},
				 {"1111", first + 30, first + 30, 0}};
	kefu_forecast_opts o = KEFU_FORECAST_OPTS_INIT;
	o.events = ev;
	o.nevents = 2;
	double learned[2];
	assert_int_equal(kefu_forecast_run(&f, h, first + 28, first + 31, &o, learned, &err), 0);
	/* the past event days are not normal days: means stay 10, level 1 */
	assert_true(fabs(learned[1] - 4.0) < 1e-12);
	assert_true(fabs(f->count[2 * 48 + 24] - 40.0) < 1e-9);
	assert_true(fabs(f->count[1 * 48 + 24] - 10.0) < 1e-9);
	kefu_volume_grid_free(f);
	kefu_backtest bt;
	assert_int_equal(kefu_forecast_backtest(&bt, h, INT64_MAX, &o, &err), 0);
	assert_int_equal(bt.from_day, first + 21);
	assert_true(bt.mae < 1e-9 && bt.mape < 1e-12);
	kefu_volume_grid_free(h);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/kefu_counts_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void counts_csv(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	int64_t *ts;
	double *c;
	size_t n;
	char *p = write_tmp("rownames,DateTime,Calls\r\n1,2003-03-03T07:00:00Z,111\r\n"
			    "2,2003-03-03T07:05:00+05:00,113\r\n\r\n");
	assert_int_equal(kefu_volume_counts_read(&ts, &c, &n, p, &err), 0);
	assert_int_equal(n, 2);
	assert_true(ts[0] == day_of(2003, 3, 3) * 86400 + 7 * 3600); /* wall clock */
	assert_true(ts[1] - ts[0] == 300);
	assert_true(c[0] == 111 && c[1] == 113);
	kefu_free(ts);
	kefu_free(c);
	unlink(p);
	free(p);
	/* no header, count not last when named: here none, so last */
	p = write_tmp("2024-01-01 09:00,5\n2024-01-01 09:30,x\n");
	assert_int_equal(kefu_volume_counts_read(&ts, &c, &n, p, &err), KEFU_EPARSE);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 2);
	unlink(p);
	free(p);
	p = write_tmp("start,count\n2024-02-30 09:00,5\n");
	assert_int_equal(kefu_volume_counts_read(&ts, &c, &n, p, &err), KEFU_EPARSE);
	assert_int_equal(err.line, 2);
	unlink(p);
	free(p);
	assert_int_equal(kefu_volume_counts_read(&ts, &c, &n, "/nonexistent/x.csv", &err),
			 KEFU_EIO);
}

static void bank_calls_backtest(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	const char *path = KEFU_SHARED_DATA "/bank_calls_5min_2003/bank_calls.csv";
	if (access(path, R_OK)) {
		skip();
		return;
	}
	int64_t *ts;
	double *c;
	size_t n;
	assert_int_equal(kefu_volume_counts_read(&ts, &c, &n, path, &err), 0);
	assert_int_equal(n, 27716);
	kefu_volume_grid *h, *f;
	assert_int_equal(kefu_volume_grid_build(&h, ts, c, n, 0, 1800, &err), 0);
	kefu_free(ts);
	kefu_free(c);
	int64_t train_end = day_of(2003, 3, 3) + 20 * 7; /* 2003-07-21, a Monday */
	assert_int_equal(kefu_weekday(train_end), 1);
	kefu_forecast_opts o = KEFU_FORECAST_OPTS_INIT;
	assert_int_equal(kefu_forecast_run(&f, h, train_end, train_end + 4, &o, NULL, &err), 0);
	double ape = 0, ape_naive = 0, ae = 0;
	size_t m = 0, k = 0;
	size_t s = (size_t)h->slots;
	for (int d = 0; d < 5; d++) {
		size_t hd = (size_t)(train_end + d - h->first_day);
		assert_int_equal(h->present[hd], 1);
		assert_int_equal(h->present[hd - 7], 1);
		for (size_t i = 0; i < s; i++) {
			double a = h->count[hd * s + i];
			double fc = f->count[(size_t)d * s + i];
			double nv = h->count[(hd - 7) * s + i];
			ae += fabs(fc - a);
			k++;
			if (a > 0) {
				ape += fabs(fc - a) / a;
				ape_naive += fabs(nv - a) / a;
				m++;
			}
		}
	}
	/* 07:00-21:00 at 30 minutes: 29 slots a day with calls (21:00 has one
	 * five-minute interval) */
	assert_int_equal(m, 5 * 29);
	double mape = ape / (double)m, naive = ape_naive / (double)m;
	print_message("bank calls week 21: MAPE %.4f (naive same weekday last week %.4f), MAE %.2f\n",
		      mape, naive, ae / (double)k);
	assert_true(mape < naive);
	assert_true(mape < 0.15);
	kefu_volume_grid_free(f);
	/* the library's own backtest before week 21 holds back week 20 */
	kefu_backtest bt;
	assert_int_equal(kefu_forecast_backtest(&bt, h, train_end, &o, &err), 0);
	assert_int_equal(bt.from_day, train_end - 9); /* 7 days up to Friday 07-18 */
	assert_int_equal(bt.to_day, train_end - 3);
	assert_true(isfinite(bt.mape) && bt.mape > 0 && bt.mape < 0.2);
	assert_int_equal(bt.n_mape, 5 * 29);
	kefu_volume_grid_free(h);
}

/* handle time and concurrency from hand-made chats: agent 1 has two
 * overlapping chats [0,100] and [50,150] (each open alongside the other for
 * half its span: concurrency 1.5, rounded to 2), agent 2 one chat [0,60]
 * alone; a chat of another shop, an unanswered one and one outside the
 * window are ignored. */
static void measure_chats(void **state)
{
	(void)state;
	kefu_chat ch[6];
	memset(ch, 0, sizeof ch);
	const struct {
		uint32_t shop, agent;
		int64_t f, start, end;
		uint8_t received;
	} spec[6] = {{0, 9, 1000, 1000, 1100, 1}, {1, 1, 1000, 1000, 1100, 1},
		     {1, 1, 1050, 1050, 1150, 1}, {1, 1, 1200, 1200, 1900, 0},
		     {1, 2, 1000, 1000, 1060, 1}, {1, 2, 9000, 9000, 9500, 1}};
	for (int i = 0; i < 6; i++) {
		ch[i].shop = spec[i].shop;
		ch[i].agent = spec[i].agent;
		ch[i].f = spec[i].f;
		ch[i].start = spec[i].start;
		ch[i].end = spec[i].end;
		ch[i].received = spec[i].received;
		ch[i].buyer_msgs = 1;
	}
	kefu_kpi_result r;
	memset(&r, 0, sizeof r);
	r.chats = ch;
	r.n_chats = 6;
	kefu_staff_measure m;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_staff_measure_run(&m, &r, 1, 0, 5000, &err), 0);
	assert_int_equal(m.chats, 3);
	assert_true(fabs(m.aht_s - 260.0 / 3) < 1e-9);
	assert_true(fabs(m.concurrency - 260.0 / 210) < 1e-9);
	assert_int_equal(m.n_k[0], 1);
	assert_int_equal(m.n_k[1], 2);
	assert_true(m.aht_k[0] == 60 && m.aht_k[1] == 100);
	assert_true(isnan(m.aht_k[2]));
	/* a shop without chats measures nothing */
	assert_int_equal(kefu_staff_measure_run(&m, &r, 5, 0, 5000, &err), 0);
	assert_int_equal(m.chats, 0);
	assert_true(isnan(m.aht_s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grid_finer_and_coarser), cmocka_unit_test(model_hand_computed),
		cmocka_unit_test(event_learned),          cmocka_unit_test(counts_csv),
		cmocka_unit_test(bank_calls_backtest),    cmocka_unit_test(measure_chats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
