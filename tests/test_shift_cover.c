/*
 * test_shift_cover.c - the least-cost shift cover: a hand-checked day/night
 * example, random small instances against brute-force enumeration of every
 * shift count, uncovered intervals named as gaps, the agent cap, and a
 * 30-day 15-minute instance for size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kefu/staffing.h"

static void day_night_by_hand(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	/* one day at hourly slots: 2 agents 09-18, 1 agent otherwise */
	int64_t dem[24];
	for (int h = 0; h < 24; h++)
		dem[h] = (h >= 9 && h < 18) ? 2 : 1;
	kefu_shift_pattern p[2] = {{"day", 9 * 3600, 9 * 3600, 900},
				   {"night", 18 * 3600, 15 * 3600, 1500}};
	kefu_cover *c;
	assert_int_equal(kefu_shift_cover(&c, dem, 24, 100, 3600, p, 2, 0, &err), 0);
	/* night from day 99 covers 00-09, night of day 100 covers 18-24,
	 * 2 day shifts cover 09-18 */
	assert_int_equal(c->ngaps, 0);
	assert_int_equal(c->total_cost, 1500 * 2 + 900 * 2);
	assert_int_equal(c->agent_shifts, 4);
	for (int h = 0; h < 24; h++)
		assert_int_equal(c->covered[h], dem[h]);
	assert_int_equal(c->nuses, 3);
	assert_int_equal(c->uses[0].day, 99);
	assert_int_equal(c->uses[0].pattern, 1);
	kefu_cover_free(c);
}

static void gaps_and_cap(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	int64_t dem[24] = {0};
	dem[3] = 2;   /* nobody works at 03:00 */
	dem[10] = 5;  /* above the cap of 3 */
	dem[11] = 1;
	kefu_shift_pattern p[1] = {{"day", 9 * 3600, 9 * 3600, 10}};
	kefu_cover *c;
	assert_int_equal(kefu_shift_cover(&c, dem, 24, 0, 3600, p, 1, 3, &err), 0);
	assert_int_equal(c->ngaps, 2);
	assert_int_equal(c->gaps[0].slot, 3);
	assert_int_equal(c->gaps[0].uncovered, 1);
	assert_int_equal(c->gaps[0].need, 2);
	assert_int_equal(c->gaps[0].covered, 0);
	assert_int_equal(c->gaps[1].slot, 10);
	assert_int_equal(c->gaps[1].uncovered, 0);
	assert_int_equal(c->gaps[1].covered, 3);
	assert_int_equal(c->total_cost, 30);
	kefu_cover_free(c);
	/* no pattern at all: every needed slot is a gap */
	assert_int_equal(kefu_shift_cover(&c, dem, 24, 0, 3600, p, 0, 0, &err), 0);
	assert_int_equal(c->ngaps, 3);
	assert_int_equal(c->total_cost, 0);
	kefu_cover_free(c);
	kefu_shift_pattern bad[1] = {{"x", 0, 0, 1}};
	assert_int_equal(kefu_shift_cover(&c, dem, 24, 0, 3600, bad, 1, 0, &err), KEFU_EINVAL);
}

/* brute force: every count 0..maxd for every instance the solver sees */
typedef struct bf_inst {
	size_t a, b;
	int64_t cost;
} bf_inst;

static int64_t brute(const int64_t *dem, size_t n, const bf_inst *in, size_t nin, int64_t maxd)
{
	int64_t best = INT64_MAX;
	int64_t x[16] = {0};
	for (;;) {
		int64_t cov[64] = {0}, cost = 0;
		for (size_t k = 0; k < nin; k++) {
			cost += x[k] * in[k].cost;
			for (size_t i = in[k].a; i < in[k].b; i++)
				cov[i] += x[k];
		}
		int ok = 1;
		for (size_t i = 0; i < n && ok; i++)
			ok = cov[i] >= dem[i];
		if (ok && cost < best)
			best = cost;
		size_t k = 0;
		while (k < nin && x[k] == maxd)
			x[k++] = 0;
		if (k == nin)
			break;
		x[k]++;
	}
	return best;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t xs(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void random_vs_brute_force(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	for (int trial = 0; trial < 300; trial++) {
		/* one day of 12 two-hour slots, 2..4 patterns in whole slots that
		 * do not wrap (so instances are exactly one per pattern), plus
		 * a wrapping pattern in some trials */
		size_t n = 12;
		int64_t dem[12];
		int64_t maxd = 0;
		for (size_t i = 0; i < n; i++) {
			dem[i] = (int64_t)(xs() % 4);
			if (dem[i] > maxd)
				maxd = dem[i];
		}
		size_t np = 2 + (size_t)(xs() % 3);
		kefu_shift_pattern p[5];
		bf_inst in[8];
		size_t nin = 0;
		for (size_t k = 0; k < np; k++) {
			int a = (int)(xs() % 12);
			int len = 1 + (int)(xs() % 6);
			if (a + len > 12)
				len = 12 - a;
			p[k] = (kefu_shift_pattern){"p", a * 7200, len * 7200, 1 + (int64_t)(xs() % 20)};
			in[nin++] = (bf_inst){(size_t)a, (size_t)(a + len), p[k].cost};
		}
		if (trial % 3 == 0) {
			/* 20:00 for 8 h: covers slots 10-11 today and 0 from yesterday */
			p[np] = (kefu_shift_pattern){"night", 20 * 3600, 8 * 3600, 1 + (int64_t)(xs() % 20)};
			in[nin++] = (bf_inst){0, 2, p[np].cost};  /* yesterday's, 20-04 -> 00-04 */
			in[nin++] = (bf_inst){10, 12, p[np].cost};
			np++;
		}
		kefu_cover *c;
		assert_int_equal(kefu_shift_cover(&c, dem, n, 0, 7200, p, np, 0, &err), 0);
		/* uncovered slots are gaps; brute force on the rest */
		int64_t d2[12];
		memcpy(d2, dem, sizeof d2);
		for (size_t g = 0; g < c->ngaps; g++) {
			assert_int_equal(c->gaps[g].uncovered, 1);
			d2[c->gaps[g].slot] = 0;
		}
		int64_t want = brute(d2, n, in, nin, maxd);
		if (c->total_cost != want)
			fail_msg("trial %d: cover cost %lld, brute force %lld", trial,
				 (long long)c->total_cost, (long long)want);
		for (size_t i = 0; i < n; i++)
			assert_true(c->covered[i] >= d2[i]);
		kefu_cover_free(c);
	}
}

static void thirty_days_fifteen_minutes(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	size_t n = 30 * 96;
	int64_t *dem = calloc(n, sizeof *dem);
	assert_non_null(dem);
	for (size_t i = 0; i < n; i++) {
		size_t q = i % 96;
		dem[i] = q >= 36 && q < 88 ? 3 + (int64_t)((i * 7919) % 5) : 1;
	}
	kefu_shift_pattern p[3] = {{"early", 8 * 3600, 8 * 3600, 800},
				   {"late", 14 * 3600, 9 * 3600, 950},
				   {"night", 22 * 3600, 10 * 3600, 1200}};
	kefu_cover *c;
	assert_int_equal(kefu_shift_cover(&c, dem, n, 0, 900, p, 3, 0, &err), 0);
	assert_int_equal(c->ngaps, 0);
	for (size_t i = 0; i < n; i++)
		assert_true(c->covered[i] >= dem[i]);
	assert_true(c->total_cost > 0);
	kefu_cover_free(c);
	free(dem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(day_night_by_hand),
		cmocka_unit_test(gaps_and_cap),
		cmocka_unit_test(random_vs_brute_force),
		cmocka_unit_test(thirty_days_fifteen_minutes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
