/*
 * staff_measure.c - handle time and concurrency of a shop measured from its
 * own chats (staffing.md step 1; definitions in docs/STAFFING.md):
 * handle time = span of a received chat (end - start, metrics.md
 * duration_s); per agent, the number of that agent's chats open at each
 * instant is a step function; a chat's concurrency is its time-average over
 * the chat's span, the effective concurrency is total chat time over the
 * agent's busy time (the union of spans), and AHT_k is the mean handle time
 * of the chats whose rounded concurrency is k.
 */
#include "kefu/staffing.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct ev {
	int64_t t;
	int d; /* +1 start, -1 end */
} ev;

static int cmp_ev(const void *a, const void *b)
{
	const ev *x = a, *y = b;
	if (x->t != y->t)
		return (x->t > y->t) - (x->t < y->t);
	return y->d - x->d; /* starts before ends: touching spans overlap */
}

/* Integral of the open-chat count from the first breakpoint to x. */
static double integ(const int64_t *bt, const double *pre, const int *cnt, size_t m, int64_t x)
{
	size_t lo = 0, hi = m; /* last k with bt[k] <= x */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (bt[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	size_t k = lo - 1;
	return pre[k] + (double)cnt[k] * (double)(x - bt[k]);
}

int kefu_staff_measure_run(kefu_staff_measure *m, const kefu_kpi_result *r, uint32_t shop,
			   int64_t from_ts, int64_t to_ts, kefu_err *err)
{
	memset(m, 0, sizeof *m);
	double dur_sum = 0, busy_sum = 0, conc_dur = 0;
	double ksum[5] = {0};
	/* chats are sorted by shop, agent: find the shop's block */
	size_t i = 0, hi = r->n_chats;
	while (i < hi) {
		size_t mid = i + (hi - i) / 2;
		if (r->chats[mid].shop < shop)
			i = mid + 1;
		else
			hi = mid;
	}
	ev *e = NULL;
	int64_t *bt = NULL;
	double *pre = NULL;
	int *cnt = NULL;
	size_t cap = 0;
	while (i < r->n_chats && r->chats[i].shop == shop) {
		uint32_t agent = r->chats[i].agent;
		size_t j = i;
		while (j < r->n_chats && r->chats[j].shop == shop && r->chats[j].agent == agent)
			j++;
		size_t n = 0;
		for (size_t k = i; k < j; k++) {
			const kefu_chat *c = &r->chats[k];
			if (c->received && c->f != KEFU_TS_NONE && c->f >= from_ts && c->f < to_ts)
				n++;
		}
		if (n) {
			if (2 * n > cap) {
				cap = 2 * n;
				ev *ne = kefu_realloc(e, cap * sizeof *ne);
				if (ne)
					e = ne;
				int64_t *nb = ne ? kefu_realloc(bt, cap * sizeof *nb) : NULL;
				if (nb)
					bt = nb;
				double *np = nb ? kefu_realloc(pre, cap * sizeof *np) : NULL;
				if (np)
					pre = np;
				int *nc = np ? kefu_realloc(cnt, cap * sizeof *nc) : NULL;
				if (nc)
					cnt = nc;
				if (!nc) {
					kefu_free(e);
					kefu_free(bt);
					kefu_free(pre);
					kefu_free(cnt);
					return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
				}
			}
			size_t ne = 0;
			for (size_t k = i; k < j; k++) {
				const kefu_chat *c = &r->chats[k];
				if (!c->received || c->f == KEFU_TS_NONE || c->f < from_ts || c->f >= to_ts)
					continue;
				e[ne++] = (ev){c->start, 1};
				e[ne++] = (ev){c->end, -1};
			}
			qsort(e, ne, sizeof *e, cmp_ev);
			/* step function: breakpoints at distinct times */
			size_t mb = 0;
			int open = 0;
			for (size_t k = 0; k < ne; k++) {
				open += e[k].d;
				if (k + 1 < ne && e[k + 1].t == e[k].t)
					continue;
				bt[mb] = e[k].t;
				cnt[mb] = open;
				pre[mb] = mb ? pre[mb - 1] + (double)cnt[mb - 1] * (double)(bt[mb] - bt[mb - 1])
					     : 0;
				if (mb && cnt[mb - 1] > 0)
					busy_sum += (double)(bt[mb] - bt[mb - 1]);
				mb++;
			}
			for (size_t k = i; k < j; k++) {
				const kefu_chat *c = &r->chats[k];
				if (!c->received || c->f == KEFU_TS_NONE || c->f < from_ts || c->f >= to_ts)
					continue;
				double d = (double)(c->end - c->start);
				double conc = 1;
				if (d > 0) {
					conc = (integ(bt, pre, cnt, mb, c->end) -
						integ(bt, pre, cnt, mb, c->start)) / d;
					conc_dur += d;
				}
				int kk = (int)floor(conc + 0.5);
				if (kk < 1)
					kk = 1;
				if (kk > 5)
					kk = 5;
				ksum[kk - 1] += d;
				m->n_k[kk - 1]++;
				dur_sum += d;
				m->chats++;
			}
		}
		i = j;
	}
	kefu_free(e);
	kefu_free(bt);
	kefu_free(pre);
	kefu_free(cnt);
	m->aht_s = m->chats ? dur_sum / (double)m->chats : NAN;
	m->concurrency = busy_sum > 0 ? conc_dur / busy_sum : NAN;
	for (int k = 0; k < 5; k++)
		m->aht_k[k] = m->n_k[k] ? ksum[k] / (double)m->n_k[k] : NAN;
	return 0;
}
