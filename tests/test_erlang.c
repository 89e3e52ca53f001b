/*
 * test_erlang.c - the queueing models of staffing.md: every vector of the
 * spec's table at its printed precision, Erlang B/C against an exact
 * rational computation (small bignums in this file) on a grid up to
 * N = 5000, finiteness at high N, Erlang A and the chat chain checked
 * against each other where they must agree.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kefu/staffing.h"

/* |got - want| <= half a unit in the last printed place */
static void near(double got, double want, int decimals)
{
	double tol = 0.5 * pow(10, -decimals) + 1e-12;
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.10f, want %.*f", got, decimals, want);
}

static kefu_erlang_model model(double per_interval, double interval_s, double aht_s, double t)
{
	kefu_erlang_model m = KEFU_ERLANG_MODEL_INIT;
	m.rate_per_s = per_interval / interval_s;
	m.aht_s = aht_s;
	m.target_s = t;
	return m;
}

static kefu_staff_target target(double sl, double occ, int64_t sn, int64_t sd)
{
	kefu_staff_target t = KEFU_STAFF_TARGET_INIT;
	t.service_level = sl;
	t.max_occupancy = occ;
	t.shrink_num = sn;
	t.shrink_den = sd;
	return t;
}

static void vector_rows_1_to_3(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	kefu_erlang_model m = model(100, 1800, 180, 19.8);
	kefu_erlang_figs f;
	int raw;
	int64_t sched;
	kefu_staff_target t = target(0.8, 0.85, 3, 10);
	assert_int_equal(kefu_erlang_staff(&f, &raw, &sched, &m, &t, &err), 0);
	assert_int_equal(raw, 14);
	assert_int_equal(sched, 20);
	near(f.service_level, 0.887853, 6);
	near(f.occupancy, 0.714286, 6);
	near(f.p_wait, 0.174132, 6);
	assert_true(isnan(f.p_abandon));

	t = target(0.9, 0.85, 3, 10);
	assert_int_equal(kefu_erlang_staff(&f, &raw, &sched, &m, &t, &err), 0);
	assert_int_equal(raw, 15);
	assert_int_equal(sched, 22);
	near(f.service_level, 0.941127, 6);
	near(f.occupancy, 0.666667, 6);
	near(f.p_wait, 0.102042, 6);

	t = target(0.8, 0.70, 3, 10);
	assert_int_equal(kefu_erlang_staff(&f, &raw, &sched, &m, &t, &err), 0);
	assert_int_equal(raw, 15);
	assert_int_equal(sched, 22);
}

static void vector_row_4_grid(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	kefu_erlang_model m = model(100, 1800, 180, 20);
	const double pw[] = {0.682118, 0.449388, 0.285270, 0.174132};
	const double sl[] = {0.389614, 0.640158, 0.795595, 0.888350};
	const double asa[] = {122.78, 40.44, 17.12, 7.84};
	for (int i = 0; i < 4; i++) {
		kefu_erlang_figs f;
		assert_int_equal(kefu_erlang_eval(&f, &m, 11 + i, &err), 0);
		assert_false(f.unstable);
		near(f.p_wait, pw[i], 6);
		near(f.service_level, sl[i], 6);
		near(f.asa_s, asa[i], 2);
	}
	/* N = 10 = A: unstable, never a finite wait */
	kefu_erlang_figs f;
	assert_int_equal(kefu_erlang_eval(&f, &m, 10, &err), 0);
	assert_true(f.unstable);
	assert_true(f.p_wait == 1.0);
	assert_true(f.service_level == 0.0);
	assert_true(isnan(f.asa_s));
	assert_int_equal(kefu_erlang_eval(&f, &m, 3, &err), 0);
	assert_true(f.unstable);
}

static void vector_erlang_b(void **state)
{
	(void)state;
	near(kefu_erlang_b(1, 1), 0.5, 12);
	near(kefu_erlang_b(2, 1), 0.2, 12);
	int n = kefu_erlang_b_servers(10, 0.02);
	assert_int_equal(n, 17);
	assert_true(kefu_erlang_b(16, 10) > 0.02);
	kefu_staff_target t = target(0.8, 1, 3, 10);
	assert_int_equal(kefu_staff_scheduled(n, &t), 25);
}

static void vector_erlang_a(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	kefu_erlang_model m = model(100, 1800, 180, 20);
	m.patience_s = 300;
	kefu_erlang_figs f;
	assert_int_equal(kefu_erlang_eval(&f, &m, 14, &err), 0);
	near(f.p_wait, 0.14526, 5);
	near(f.p_abandon, 0.013984, 6);
	near(f.occupancy, 0.704297, 6);
	near(f.asa_s / 60, 0.069919, 6);
	near(f.service_level, 0.916792, 6);
	/* with patience even N <= A is a finite, stable queue */
	assert_int_equal(kefu_erlang_eval(&f, &m, 8, &err), 0);
	assert_false(f.unstable);
	assert_true(f.p_abandon > 0.1 && f.p_abandon < 1);
}

static void vector_24_hours(void **state)
{
	(void)state;
	const double vol[24] = {12, 8, 6, 5, 5, 8, 20, 45, 70, 85, 90, 88,
				80, 78, 82, 80, 70, 60, 48, 40, 32, 26, 20, 15};
	const int want_c[24] = {5, 3, 3, 3, 3, 3, 5, 8, 12, 13, 13, 13,
				12, 12, 12, 12, 12, 10, 9, 8, 6, 6, 5, 5};
	const int want_a[24] = {3, 3, 3, 3, 3, 3, 5, 8, 10, 12, 13, 13,
				12, 12, 12, 12, 10, 9, 8, 8, 6, 6, 5, 5};
	kefu_err err = KEFU_ERR_INIT;
	kefu_staff_target t = target(0.8, 0.85, 3, 10);
	int64_t sum_c = 0, sum_a = 0;
	for (int h = 0; h < 24; h++) {
		kefu_erlang_model m = model(vol[h], 3600, 240, 20);
		kefu_erlang_figs f;
		int raw;
		int64_t s;
		assert_int_equal(kefu_erlang_staff(&f, &raw, &s, &m, &t, &err), 0);
		assert_int_equal(s, want_c[h]);
		sum_c += s;
		m.patience_s = 480;
		assert_int_equal(kefu_erlang_staff(&f, &raw, &s, &m, &t, &err), 0);
		assert_int_equal(s, want_a[h]);
		sum_a += s;
	}
	assert_int_equal(sum_c, 193);
	assert_int_equal(sum_a, 184);
}

/* ---- exact rationals with a tiny bignum (base 2^32 limbs) ---- */
typedef struct big {
	uint32_t *d;
	size_t n, cap;
} big;

static void big_set(big *b, uint32_t v)
{
	if (!b->cap) {
		b->cap = 16;
		b->d = calloc(b->cap, 4);
	}
	b->d[0] = v;
	b->n = v ? 1 : 0;
}
static void big_reserve(big *b, size_t n)
{
	if (n > b->cap) {
		b->cap = n * 2;
		b->d = realloc(b->d, b->cap * 4);
		assert_non_null(b->d);
	}
}
static void big_mul(big *b, uint32_t m)
{
	uint64_t carry = 0;
	for (size_t i = 0; i < b->n; i++) {
		uint64_t v = (uint64_t)b->d[i] * m + carry;
		b->d[i] = (uint32_t)v;
		carry = v >> 32;
	}
	if (carry) {
		big_reserve(b, b->n + 1);
		b->d[b->n++] = (uint32_t)carry;
	}
	while (b->n && !b->d[b->n - 1])
		b->n--;
}
static void big_copy(big *dst, const big *src)
{
	if (!dst->cap)
		big_set(dst, 0);
	big_reserve(dst, src->n);
	memcpy(dst->d, src->d, src->n * 4);
	dst->n = src->n;
}
static void big_add(big *a, const big *b) /* a += b */
{
	size_t n = a->n > b->n ? a->n : b->n;
	big_reserve(a, n + 1);
	uint64_t carry = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t v = carry + (i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0);
		a->d[i] = (uint32_t)v;
		carry = v >> 32;
	}
	a->n = n;
	if (carry)
		a->d[a->n++] = (uint32_t)carry;
}
static void big_sub(big *a, const big *b) /* a -= b, a >= b */
{
	int64_t borrow = 0;
	for (size_t i = 0; i < a->n; i++) {
		int64_t v = (int64_t)a->d[i] - borrow - (i < b->n ? (int64_t)b->d[i] : 0);
		borrow = v < 0;
		if (v < 0)
			v += (int64_t)1 << 32;
		a->d[i] = (uint32_t)v;
	}
	assert_int_equal(borrow, 0);
	while (a->n && !a->d[a->n - 1])
		a->n--;
}
/* log2-scaled value: mantissa from the top 3 limbs */
static long double big_ld(const big *b, long *exp2)
{
	long double v = 0;
	size_t lo = b->n > 3 ? b->n - 3 : 0;
	for (size_t i = b->n; i-- > lo;)
		v = v * 4294967296.0L + b->d[i];
	*exp2 = (long)lo * 32;
	return v;
}
static double big_ratio(const big *num, const big *den)
{
	long e1, e2;
	long double a = big_ld(num, &e1), b = big_ld(den, &e2);
	return (double)ldexpl(a / b, (int)(e1 - e2));
}
static void big_free(big *b) { free(b->d); }

/* Exact B and C for n servers and a = p/q: B = p^n / T_n with
 * T_n = n q T_{n-1} + p^n (T_0 = 1); C = n q P / (n q T - p (T - P)). */
static void exact_bc(int n, uint32_t p, uint32_t q, double *b_out, double *c_out)
{
	big pn = {0}, t = {0}, tmp = {0};
	big_set(&pn, 1);
	big_set(&t, 1);
	for (int k = 1; k <= n; k++) {
		big_mul(&pn, p);
		big_mul(&t, (uint32_t)k);
		big_mul(&t, q);
		big_add(&t, &pn);
	}
	*b_out = big_ratio(&pn, &t);
	/* den = n q T - p (T - P) */
	big den = {0}, tp = {0}, num = {0};
	big_copy(&den, &t);
	big_mul(&den, (uint32_t)n);
	big_mul(&den, q);
	big_copy(&tp, &t);
	big_sub(&tp, &pn);
	big_mul(&tp, p);
	big_sub(&den, &tp);
	big_copy(&num, &pn);
	big_mul(&num, (uint32_t)n);
	big_mul(&num, q);
	*c_out = big_ratio(&num, &den);
	big_free(&pn);
	big_free(&t);
	big_free(&tmp);
	big_free(&den);
	big_free(&tp);
	big_free(&num);
}

static void erlang_exact_grid(void **state)
{
	(void)state;
	const int ns[] = {1, 2, 3, 7, 20, 50, 137, 500, 1000, 2500, 5000};
	/* a = n * frac with frac from {1/10, 1/2, 9/10, 99/100}, plus a = n - 1/2 */
	for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
		int n = ns[i];
		uint32_t fr[][2] = {{1, 10}, {1, 2}, {9, 10}, {99, 100}, {0, 0}};
		for (int j = 0; j < 5; j++) {
			uint32_t p, q;
			if (fr[j][1]) {
				p = (uint32_t)n * fr[j][0];
				q = fr[j][1];
			} else {
				p = (uint32_t)(2 * n - 1);
				q = 2;
			}
			double a = (double)p / (double)q;
			double eb, ec;
			exact_bc(n, p, q, &eb, &ec);
			double b = kefu_erlang_b(n, a), c = kefu_erlang_c(n, a);
			assert_true(isfinite(b) && isfinite(c));
			if (fabs(b - eb) > 1e-9 * eb)
				fail_msg("B(%d, %g) = %.17g, exact %.17g", n, a, b, eb);
			if (fabs(c - ec) > 1e-9 * ec)
				fail_msg("C(%d, %g) = %.17g, exact %.17g", n, a, c, ec);
		}
	}
}

static void erlang_high_n_finite(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	/* 5000 agents' worth of load, C and A, plus a staffing search there */
	for (int n = 1; n <= 5000; n += 499) {
		kefu_erlang_model m = KEFU_ERLANG_MODEL_INIT;
		m.aht_s = 180;
		m.rate_per_s = 0.97 * n / 180.0;
		m.target_s = 20;
		kefu_erlang_figs f;
		assert_int_equal(kefu_erlang_eval(&f, &m, n, &err), 0);
		assert_false(f.unstable);
		assert_true(isfinite(f.p_wait) && f.p_wait >= 0 && f.p_wait <= 1);
		assert_true(isfinite(f.service_level) && isfinite(f.asa_s));
		m.patience_s = 300;
		assert_int_equal(kefu_erlang_eval(&f, &m, n, &err), 0);
		assert_true(isfinite(f.p_wait) && f.p_wait >= 0 && f.p_wait <= 1);
		assert_true(isfinite(f.service_level) && f.service_level >= 0 &&
			    f.service_level <= 1);
		assert_true(isfinite(f.p_abandon) && isfinite(f.asa_s));
	}
	kefu_erlang_model m = KEFU_ERLANG_MODEL_INIT;
	m.aht_s = 180;
	m.rate_per_s = 4800 / 180.0;
	m.target_s = 20;
	kefu_staff_target t = target(0.8, 1, 0, 1);
	kefu_erlang_figs f;
	int raw;
	int64_t s;
	assert_int_equal(kefu_erlang_staff(&f, &raw, &s, &m, &t, &err), 0);
	assert_true(raw > 4800 && raw < 4900);
	assert_true(f.service_level >= 0.8);
	kefu_erlang_figs g;
	assert_int_equal(kefu_erlang_eval(&g, &m, raw - 1, &err), 0);
	assert_true(g.service_level < 0.8);
}

/* The chain with patience and K = 1 is Erlang A; with a huge patience it
 * approaches Erlang C; the chat chain with AHT_k = k * AHT (no speed-up) and
 * K slots per agent behaves like Erlang C with n K servers. */
static void chain_consistency(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	kefu_erlang_model m = model(100, 1800, 180, 20);
	kefu_erlang_figs c, a;
	assert_int_equal(kefu_erlang_eval(&c, &m, 12, &err), 0);
	m.patience_s = 1e7;
	assert_int_equal(kefu_erlang_eval(&a, &m, 12, &err), 0);
	assert_true(fabs(a.p_wait - c.p_wait) < 1e-4);
	assert_true(fabs(a.service_level - c.service_level) < 1e-4);
	assert_true(fabs(a.asa_s - c.asa_s) < 0.05);

	double ahtk[3] = {180, 180, 180}; /* no slow-down: 12 servers */
	kefu_erlang_model k = model(100, 1800, 180, 20);
	k.concurrency = 3;
	k.aht_k = ahtk;
	kefu_erlang_figs ch, c12;
	assert_int_equal(kefu_erlang_eval(&ch, &k, 4, &err), 0);
	m.patience_s = 0;
	assert_int_equal(kefu_erlang_eval(&c12, &m, 12, &err), 0);
	near(ch.p_wait, c12.p_wait, 9);
	near(ch.service_level, c12.service_level, 9);
	near(ch.asa_s, c12.asa_s, 6);
	near(ch.occupancy, c12.occupancy, 9);

	/* with patience too: 7 agents x 2 slots at no slow-down = Erlang A with
	 * 14 agents (the spec's Erlang A vector) */
	double aht2[2] = {180, 180};
	kefu_erlang_model k2 = model(100, 1800, 180, 20);
	k2.concurrency = 2;
	k2.aht_k = aht2;
	k2.patience_s = 300;
	kefu_erlang_figs chp;
	assert_int_equal(kefu_erlang_eval(&chp, &k2, 7, &err), 0);
	near(chp.p_wait, 0.14526, 5);
	near(chp.p_abandon, 0.013984, 6);
	near(chp.service_level, 0.916792, 6);
	near(chp.occupancy, 0.704297, 6);

	/* factor method: K = 3 -> AHT / 2.5 */
	kefu_erlang_model fm = model(100, 1800, 180, 20);
	fm.concurrency = 3;
	kefu_erlang_figs ff, fc;
	assert_int_equal(kefu_erlang_eval(&ff, &fm, 5, &err), 0);
	kefu_erlang_model m2 = model(100, 1800, 72, 20);
	assert_int_equal(kefu_erlang_eval(&fc, &m2, 5, &err), 0);
	near(ff.p_wait, fc.p_wait, 12);
	fm.concurrency = 6;
	assert_int_equal(kefu_erlang_eval(&ff, &fm, 5, &err), KEFU_EINVAL);
}

static void bad_models(void **state)
{
	(void)state;
	kefu_err err = KEFU_ERR_INIT;
	kefu_erlang_model m = model(100, 1800, 0, 20);
	kefu_erlang_figs f;
	assert_int_equal(kefu_erlang_eval(&f, &m, 3, &err), KEFU_EINVAL);
	m.aht_s = NAN;
	assert_int_equal(kefu_erlang_eval(&f, &m, 3, &err), KEFU_EINVAL);
	m = model(0, 1800, 180, 20);
	kefu_staff_target t = target(0.8, 0.85, 3, 10);
	int raw;
	int64_t s;
	assert_int_equal(kefu_erlang_staff(&f, &raw, &s, &m, &t, &err), 0);
	assert_int_equal(raw, 0);
	assert_int_equal(s, 0);
	t.shrink_num = 10;
	assert_int_equal(kefu_erlang_staff(&f, &raw, &s, &m, &t, &err), KEFU_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vector_rows_1_to_3), cmocka_unit_test(vector_row_4_grid),
		cmocka_unit_test(vector_erlang_b),    cmocka_unit_test(vector_erlang_a),
		cmocka_unit_test(vector_24_hours),    cmocka_unit_test(erlang_exact_grid),
		cmocka_unit_test(erlang_high_n_finite), cmocka_unit_test(chain_consistency),
		cmocka_unit_test(bad_models),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
