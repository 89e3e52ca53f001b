/*
 * erlang.c - queueing models for staffing (staffing.md "Numerics"):
 * Erlang B by its recursion, Erlang C from B, and a birth-death chain for
 * Erlang A (patience) and the Erlang-Chat model (agents holding up to K
 * chats, handle time depending on concurrency). Never evaluates a^n / n!:
 * the chain keeps log-probabilities and the waiting-time tail of a queue
 * with abandonment uses the regularized incomplete beta by a recurrence in
 * log space, so everything stays finite up to thousands of agents.
 */
#include "kefu/staffing.h"

#include <math.h>
#include <stdlib.h>

double kefu_erlang_b(int n, double a)
{
	double b = 1.0;
	for (int k = 1; k <= n; k++)
		b = a * b / ((double)k + a * b);
	return b;
}

static double c_from_b(int n, double a, double b)
{
	return (double)n * b / ((double)n - a * (1.0 - b));
}

double kefu_erlang_c(int n, double a)
{
	if ((double)n <= a)
		return 1.0;
	return c_from_b(n, a, kefu_erlang_b(n, a));
}

int kefu_erlang_b_servers(double a, double max_block)
{
	double b = 1.0;
	int k = 0;
	while (b > max_block && k < 10000000) {
		k++;
		b = a * b / ((double)k + a * b);
	}
	return k;
}

double kefu_concurrency_factor(int k)
{
	static const double f[] = {1.0, 1.7, 2.5, 2.9, 3.5};
	return k >= 1 && k <= 5 ? f[k - 1] : 0.0;
}

static int check_model(const kefu_erlang_model *m, kefu_err *err)
{
	if (!(m->rate_per_s >= 0) || !isfinite(m->rate_per_s))
		return kefu_err_set(err, KEFU_EINVAL, "arrival rate must be >= 0");
	if (!(m->aht_s > 0) || !isfinite(m->aht_s))
		return kefu_err_set(err, KEFU_EINVAL, "handle time must be > 0");
	if (!(m->target_s >= 0) || !isfinite(m->target_s))
		return kefu_err_set(err, KEFU_EINVAL, "service-level time must be >= 0");
	if (!(m->patience_s >= 0) || !isfinite(m->patience_s))
		return kefu_err_set(err, KEFU_EINVAL, "patience must be >= 0");
	if (m->concurrency < 1 || m->concurrency > 1000)
		return kefu_err_set(err, KEFU_EINVAL, "concurrency must be 1..1000");
	if (m->aht_k) {
		for (int k = 0; k < m->concurrency; k++)
			if (!(m->aht_k[k] > 0) || !isfinite(m->aht_k[k]))
				return kefu_err_set(err, KEFU_EINVAL,
						    "handle time at concurrency %d must be > 0", k + 1);
	} else if (kefu_concurrency_factor(m->concurrency) == 0) {
		return kefu_err_set(err, KEFU_EINVAL,
				    "concurrency %d: give handle times per concurrency (factors "
				    "exist for 1..5)",
				    m->concurrency);
	}
	return 0;
}

/* Single-chat handle time of the model (factor method when K > 1). */
static double eff_aht(const kefu_erlang_model *m)
{
	if (m->aht_k)
		return m->aht_k[0];
	return m->aht_s / kefu_concurrency_factor(m->concurrency);
}

/* Erlang C in closed form. */
static void eval_c(kefu_erlang_figs *o, double lambda, double aht, double t, int n)
{
	double a = lambda * aht;
	o->agents = n;
	o->p_abandon = NAN;
	if ((double)n <= a) {
		o->unstable = 1;
		o->p_wait = 1.0;
		o->service_level = 0.0;
		o->asa_s = NAN;
		o->occupancy = 1.0;
		return;
	}
	double c = kefu_erlang_c(n, a);
	o->unstable = 0;
	o->p_wait = c;
	o->service_level = 1.0 - c * exp(-((double)n - a) * t / aht);
	o->asa_s = c * aht / ((double)n - a);
	o->occupancy = a / (double)n;
}

/* Total completion rate with j chats in service spread evenly over n agents
 * (an agent with k chats finishes at k / aht_k). */
static double chain_rate(const kefu_erlang_model *m, double aht1, int n, long j)
{
	if (!m->aht_k)
		return (double)j / aht1;
	long q = j / n, r = j % n;
	double rate = 0;
	if (q > 0)
		rate += (double)(n - r) * (double)q / m->aht_k[q - 1];
	if (r > 0)
		rate += (double)r * (double)(q + 1) / m->aht_k[q];
	return rate;
}

#define CHAIN_MAX_STATES 50000000L

/* The birth-death chain: states j = 0.. chats present; slots s = n * K
 * (K = 1 for the factor method); beyond s the chats wait, each leaving at
 * theta = 1 / patience. */
static int eval_chain(kefu_erlang_figs *o, const kefu_erlang_model *m, int n, kefu_err *err)
{
	double lambda = m->rate_per_s;
	double aht1 = eff_aht(m);
	int kk = m->aht_k ? m->concurrency : 1;
	long s = (long)n * kk;
	double theta = m->patience_s > 0 ? 1.0 / m->patience_s : 0.0;
	double d_full = chain_rate(m, aht1, n, s); /* completion rate, all slots busy */
	double t = m->target_s;
	o->agents = n;
	o->p_abandon = theta > 0 ? 0.0 : NAN;
	if (lambda <= 0) {
		o->unstable = 0;
		o->p_wait = 0;
		o->service_level = 1;
		o->asa_s = 0;
		o->occupancy = 0;
		return 0;
	}
	if (theta == 0 && lambda >= d_full) {
		o->unstable = 1;
		o->p_wait = 1.0;
		o->service_level = 0.0;
		o->asa_s = NAN;
		o->occupancy = 1.0;
		return 0;
	}
	/* log p_j for j = 0..s, then the queue */
	size_t cap = (size_t)s + 64, len = 0;
	double *lp = kefu_malloc(cap * sizeof *lp);
	if (!lp)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	lp[len++] = 0.0;
	double mx = 0.0;
	double loglam = log(lambda);
	for (long j = 1; j <= s; j++) {
		double v = lp[len - 1] + loglam - log(chain_rate(m, aht1, n, j));
		lp[len++] = v;
		if (v > mx)
			mx = v;
	}
	if (theta > 0) {
		for (long k = 1;; k++) {
			double d = d_full + (double)k * theta;
			double v = lp[len - 1] + loglam - log(d);
			if (len >= cap) {
				size_t nc = cap * 2;
				double *p = kefu_realloc(lp, nc * sizeof *lp);
				if (!p) {
					kefu_free(lp);
					return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
				}
				lp = p;
				cap = nc;
			}
			lp[len++] = v;
			if (v > mx)
				mx = v;
			if (lambda < d && v < mx - 45.0)
				break;
			if (k > CHAIN_MAX_STATES) {
				kefu_free(lp);
				return kefu_err_set(err, KEFU_EINVAL,
						    "queue too long to evaluate (patience too long)");
			}
		}
	}
	/* normalize: explicit states plus, without patience, the geometric tail
	 * p_{s+k} = p_s rho^k */
	double rho = theta > 0 ? 0 : lambda / d_full;
	double sum = 0, busy = 0, below = 0;
	for (size_t j = 0; j < len; j++) {
		double p = exp(lp[j] - mx);
		sum += p;
		long jj = (long)j;
		busy += (double)(jj < s ? jj : s) * p;
		if (jj < s)
			below += p;
	}
	double ps = exp(lp[s] - mx);
	double eq = 0, sl_wait = 0;
	if (theta == 0) {
		/* tail beyond s (state s already counted once) */
		double tail = ps * rho / (1 - rho);
		sum += tail;
		busy += (double)s * tail;
		eq = ps * rho / ((1 - rho) * (1 - rho));
		/* arrivals in states >= s: sum_k p_s rho^k P(Gamma(k+1, D) <= t) */
		sl_wait = ps / (1 - rho) * -expm1(-(d_full - lambda) * t);
	} else {
		/* served within t with k ahead: a/(a+m) I_x(m, a+1), m = k+1,
		 * a = D/theta, x = 1 - e^{-theta t}; I by I(m+1) = I(m) - T(m),
		 * T(m) = x^m (1-x)^b G(m+b) / (G(m+1) G(b)), b = a + 1. */
		double a = d_full / theta, b = a + 1.0;
		double ib, lt = 0, logx = 0;
		if (t > 0) {
			double x = -expm1(-theta * t);
			logx = log(x);
			ib = -expm1(-b * theta * t);              /* I_x(1, b) */
			lt = logx - b * theta * t + log(b);        /* log T(1) */
		} else {
			ib = 0;
		}
		for (size_t j = (size_t)s; j < len; j++) {
			double p = exp(lp[j] - mx);
			double mm = (double)(j - (size_t)s) + 1.0;
			eq += (mm - 1.0) * p;
			if (t > 0 && ib > 0) {
				sl_wait += p * a / (a + mm) * ib;
				ib -= exp(lt);
				if (ib < 0)
					ib = 0;
				lt += logx + log((mm + b) / (mm + 1.0));
			}
		}
	}
	kefu_free(lp);
	o->unstable = 0;
	o->p_wait = 1.0 - below / sum;
	eq /= sum;
	o->asa_s = eq / lambda;
	if (theta > 0)
		o->p_abandon = theta * eq / lambda;
	o->service_level = (below + sl_wait) / sum;
	if (o->service_level > 1)
		o->service_level = 1;
	o->occupancy = busy / sum / (double)s;
	return 0;
}

int kefu_erlang_eval(kefu_erlang_figs *out, const kefu_erlang_model *m, int agents,
		     kefu_err *err)
{
	int rc = check_model(m, err);
	if (rc)
		return rc;
	if (agents < 1)
		return kefu_err_set(err, KEFU_EINVAL, "agents must be >= 1");
	if (m->patience_s == 0 && !m->aht_k) {
		eval_c(out, m->rate_per_s, eff_aht(m), m->target_s, agents);
		return 0;
	}
	return eval_chain(out, m, agents, err);
}

int64_t kefu_staff_scheduled(int64_t raw, const kefu_staff_target *t)
{
	int64_t den = t->shrink_den - t->shrink_num; /* (1 - s) = den / shrink_den */
	if (raw <= 0 || t->shrink_num <= 0 || den <= 0)
		return raw;
	/* ceil(raw * shrink_den / den) */
	__int128 x = (__int128)raw * t->shrink_den;
	__int128 q = (x + den - 1) / den;
	return q > INT64_MAX ? INT64_MAX : (int64_t)q;
}

#define STAFF_MAX_AGENTS 1000000

int kefu_erlang_staff(kefu_erlang_figs *figs, int *raw, int64_t *scheduled,
		      const kefu_erlang_model *m, const kefu_staff_target *t, kefu_err *err)
{
	int rc = check_model(m, err);
	if (rc)
		return rc;
	if (!(t->service_level >= 0 && t->service_level < 1))
		return kefu_err_set(err, KEFU_EINVAL, "service level must be in [0, 1)");
	if (!(t->max_occupancy > 0 && t->max_occupancy <= 1))
		return kefu_err_set(err, KEFU_EINVAL, "max occupancy must be in (0, 1]");
	if (t->shrink_den <= 0 || t->shrink_num < 0 || t->shrink_num >= t->shrink_den)
		return kefu_err_set(err, KEFU_EINVAL, "shrinkage must be in [0, 1)");
	double lambda = m->rate_per_s;
	if (lambda <= 0) {
		figs->agents = 0;
		figs->unstable = 0;
		figs->p_wait = 0;
		figs->service_level = 1;
		figs->asa_s = 0;
		figs->occupancy = 0;
		figs->p_abandon = m->patience_s > 0 ? 0 : NAN;
		*raw = 0;
		*scheduled = 0;
		return 0;
	}
	int n;
	if (m->patience_s == 0 && !m->aht_k) {
		/* Erlang C: search from floor(A)+1 with B carried along. */
		double aht = eff_aht(m), a = lambda * aht;
		if (a > STAFF_MAX_AGENTS)
			return kefu_err_set(err, KEFU_EOVERFLOW, "load of %.0f erlangs is too large", a);
		n = (int)floor(a) + 1;
		double b = kefu_erlang_b(n, a);
		for (;;) {
			double c = c_from_b(n, a, b);
			double sl = 1.0 - c * exp(-((double)n - a) * m->target_s / aht);
			if (sl >= t->service_level && a / (double)n <= t->max_occupancy * (1 + 1e-12))
				break;
			if (n >= STAFF_MAX_AGENTS)
				return kefu_err_set(err, KEFU_EOVERFLOW, "more than %d agents needed",
						    STAFF_MAX_AGENTS);
			n++;
			b = a * b / ((double)n + a * b);
		}
		eval_c(figs, lambda, aht, m->target_s, n);
	} else {
		/* Served throughput is at most n * (best per-agent rate), so the
		 * service level cannot be met below sl * lambda / that rate. */
		double best = 0;
		int kk = m->aht_k ? m->concurrency : 1;
		for (int k = 1; k <= kk; k++) {
			double r = m->aht_k ? (double)k / m->aht_k[k - 1] : 1.0 / eff_aht(m);
			if (r > best)
				best = r;
		}
		double lo = floor(t->service_level * lambda / best);
		if (lo > STAFF_MAX_AGENTS)
			return kefu_err_set(err, KEFU_EOVERFLOW, "more than %d agents needed",
					    STAFF_MAX_AGENTS);
		n = lo < 1 ? 1 : (int)lo;
		for (;;) {
			rc = eval_chain(figs, m, n, err);
			if (rc)
				return rc;
			if (!figs->unstable && figs->service_level >= t->service_level &&
			    figs->occupancy <= t->max_occupancy * (1 + 1e-12))
				break;
			if (n >= STAFF_MAX_AGENTS)
				return kefu_err_set(err, KEFU_EOVERFLOW, "more than %d agents needed",
						    STAFF_MAX_AGENTS);
			n++;
		}
	}
	*raw = n;
	*scheduled = kefu_staff_scheduled(n, t);
	return 0;
}
