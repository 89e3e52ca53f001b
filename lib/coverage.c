/*
 * coverage.c - time-of-day coverage windows and the restriction of a KPI
 * result to the chats inside or outside them (coverage.h). Used by
 * `kefu vendor compare --coverage` so that a night provider's numbers are
 * compared with the in-house agents' numbers of the same hours.
 */
#include "kefu/coverage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_S 86400

int kefu_coverage_parse(kefu_coverage *out, const char *s, size_t n, kefu_err *err)
{
	memset(out, 0, sizeof *out);
	size_t i = 0;
	if (n == 0)
		return kefu_err_set(err, KEFU_EINVAL, "coverage: empty (expected e.g. 18:00-09:00)");
	while (i <= n) {
		size_t j = i;
		while (j < n && s[j] != ',')
			j++;
		/* trim spaces */
		size_t a = i, b = j;
		while (a < b && s[a] == ' ')
			a++;
		while (b > a && s[b - 1] == ' ')
			b--;
		const char *dash = memchr(s + a, '-', b - a);
		int32_t st, en;
		if (!dash || kefu_clock_parse(s + a, (size_t)(dash - (s + a)), &st) ||
		    kefu_clock_parse(dash + 1, (size_t)(s + b - dash - 1), &en)) {
			memset(out, 0, sizeof *out);
			return kefu_err_set(err, KEFU_EINVAL,
					    "coverage: '%.*s': expected HH:MM-HH:MM (local time)",
					    (int)(b - a), s + a);
		}
		if (st == DAY_S) {
			memset(out, 0, sizeof *out);
			return kefu_err_set(err, KEFU_EINVAL, "coverage: '%.*s': 24:00 is only an end",
					    (int)(b - a), s + a);
		}
		if (en == DAY_S)
			en = st == 0 ? DAY_S : 0;
		if (st == en) {
			memset(out, 0, sizeof *out);
			return kefu_err_set(err, KEFU_EINVAL,
					    "coverage: '%.*s': empty window (use 00:00-24:00 for the whole day)",
					    (int)(b - a), s + a);
		}
		if (out->n >= KEFU_COVERAGE_MAX) {
			memset(out, 0, sizeof *out);
			return kefu_err_set(err, KEFU_EINVAL, "coverage: more than %d windows",
					    KEFU_COVERAGE_MAX);
		}
		out->start[out->n] = st;
		out->end[out->n] = en;
		out->n++;
		i = j + 1;
	}
	return 0;
}

static void clock_fmt(int32_t s, char *buf, size_t cap)
{
	if (s % 60)
		snprintf(buf, cap, "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, cap, "%02d:%02d", s / 3600, s / 60 % 60);
}

void kefu_coverage_format(const kefu_coverage *c, char *buf, size_t cap)
{
	size_t off = 0;
	if (cap)
		buf[0] = '\0';
	for (size_t i = 0; i < c->n; i++) {
		char a[16], b[16];
		clock_fmt(c->start[i], a, sizeof a);
		clock_fmt(c->end[i], b, sizeof b);
		int w = snprintf(buf + off, cap - off, "%s%s-%s", i ? "," : "", a,
				 c->end[i] == DAY_S || c->end[i] == 0 ? "24:00" : b);
		if (w < 0 || (size_t)w >= cap - off)
			return;
		off += (size_t)w;
	}
}

int kefu_coverage_holds_clock(const kefu_coverage *c, int32_t x)
{
	for (size_t i = 0; i < c->n; i++) {
		int32_t a = c->start[i], b = c->end[i];
		if (a < b ? (x >= a && x < b) : (x >= a || x < b))
			return 1;
	}
	return 0;
}

int kefu_coverage_holds(const kefu_coverage *c, const kefu_tz *tz, int64_t t)
{
	int64_t local = t + kefu_tz_offset_at(tz, t);
	int64_t clk = local % DAY_S;
	if (clk < 0)
		clk += DAY_S;
	return kefu_coverage_holds_clock(c, (int32_t)clk);
}

int64_t kefu_coverage_chat_instant(const kefu_chat *ch)
{
	return ch->f != KEFU_TS_NONE ? ch->f : ch->start;
}

static int cmp_row(const kefu_kpi_row *r, uint32_t shop, uint32_t agent, int64_t day)
{
	if (r->shop != shop)
		return r->shop < shop ? -1 : 1;
	if (r->agent != agent)
		return r->agent < agent ? -1 : 1;
	return r->day < day ? -1 : r->day > day;
}

/* Index of the (shop, agent, day) row of res, or SIZE_MAX. */
static size_t row_index(const kefu_kpi_result *res, uint32_t shop, uint32_t agent, int64_t day)
{
	size_t lo = 0, hi = res->n_rows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_row(&res->rows[mid], shop, agent, day);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

static const kefu_settings *settings_of(const kefu_settings_versions *vs, size_t nvs,
					uint32_t shop, int64_t day)
{
	if (shop >= nvs || vs[shop].n == 0)
		return NULL;
	return kefu_settings_at(&vs[shop], day);
}

static int chat_kept(const kefu_chat *ch, const kefu_settings_versions *vs, size_t nvs,
		     const kefu_coverage *cov, int inside)
{
	const kefu_settings *st = settings_of(vs, nvs, ch->shop, ch->day);
	if (!st)
		return 0;
	return kefu_coverage_holds(cov, st->tz, kefu_coverage_chat_instant(ch)) == inside;
}

#define BIAS (INT64_C(1) << 61)

int kefu_coverage_restrict(kefu_kpi_result **out, const kefu_dataset *ds,
			   const kefu_kpi_result *res, const kefu_settings_versions *vs, size_t nvs,
			   const kefu_coverage *cov, int inside, kefu_err *err)
{
	*out = NULL;
	int rc = 0;
	kefu_kpi_result *r = NULL;
	kefu_kpi_row *acc = NULL;
	uint8_t *used = NULL, *chat_in = NULL;
	kefu_key3 *k = NULL;
	size_t nk = 0;
	inside = inside ? 1 : 0;
	if (!cov || cov->n == 0)
		return kefu_err_set(err, KEFU_EINVAL, "coverage: no window given");
	r = kefu_calloc(1, sizeof *r);
	acc = kefu_calloc(res->n_rows + 1, sizeof *acc);
	used = kefu_calloc(res->n_rows + 1, 1);
	chat_in = kefu_calloc(res->n_chats + 1, 1);
	size_t kcap = 2 * res->n_chats + res->n_orders + 1;
	k = kefu_malloc(kcap * sizeof *k);
	if (!r || !acc || !used || !chat_in || !k) {
		rc = KEFU_ENOMEM;
		goto fail;
	}
	r->as_of = res->as_of;
	for (size_t i = 0; i < res->n_rows; i++) {
		acc[i].shop = res->rows[i].shop;
		acc[i].agent = res->rows[i].agent;
		acc[i].day = res->rows[i].day;
		acc[i].final_ = res->rows[i].final_;
	}
	/* chats, as the engine sums them into rows */
	for (size_t i = 0; i < res->n_chats; i++) {
		const kefu_chat *c = &res->chats[i];
		if (!chat_kept(c, vs, nvs, cov, inside))
			continue;
		size_t ri = row_index(res, c->shop, c->agent, c->day);
		if (ri == SIZE_MAX)
			continue;
		chat_in[i] = 1;
		used[ri] = 1;
		kefu_chat_add_to_row(acc[ri].v, c);
		/* span endpoints for max_concurrent */
		k[nk++] = (kefu_key3){ri, (uint64_t)(c->start + BIAS) << 1, 0, 0};
		k[nk++] = (kefu_key3){ri, (uint64_t)(c->end + BIAS) << 1 | 1, 0, 0};
	}
	if ((rc = kefu_sort_key3(k, nk)))
		goto fail;
	int64_t cur = 0;
	for (size_t i = 0; i < nk; i++) {
		if (i > 0 && k[i].hi != k[i - 1].hi)
			cur = 0;
		if (k[i].lo & 1) {
			cur--;
		} else {
			int64_t *mx = &acc[k[i].hi].v[KEFU_C_MAX_CONCURRENT];
			if (++cur > *mx)
				*mx = cur;
		}
	}
	/* credited sales through kept chats: (row, buyer) sorted for distinct buyers */
	nk = 0;
	size_t no = res->n_orders < ds->ord.n ? res->n_orders : ds->ord.n;
	for (size_t o = 0; o < no; o++) {
		const kefu_order_credit *cr = &res->credit[o];
		if (cr->sale_day == INT64_MIN || cr->sale_agent == KEFU_NO_ID || cr->sale_chat == KEFU_NO_ID)
			continue;
		if (cr->sale_chat >= res->n_chats || !chat_in[cr->sale_chat])
			continue;
		size_t ri = row_index(res, ds->ord.shop[o], cr->sale_agent, cr->sale_day);
		if (ri == SIZE_MAX)
			continue;
		k[nk++] = (kefu_key3){ri, ds->ord.buyer[o], (uint32_t)o, 0};
	}
	if ((rc = kefu_sort_key3(k, nk)))
		goto fail;
	for (size_t i = 0; i < nk; i++) {
		int64_t *v = acc[k[i].hi].v;
		const kefu_order_credit *cr = &res->credit[k[i].idx];
		used[k[i].hi] = 1;
		if (kefu_add_i64(&v[KEFU_C_SALES_FEN], cr->sale_fen)) {
			rc = KEFU_EOVERFLOW;
			goto fail;
		}
		v[KEFU_C_SALES_ORDERS]++;
		v[KEFU_C_SALES_ITEMS] += ds->ord.items[k[i].idx];
		if (i == 0 || k[i].hi != k[i - 1].hi || k[i].lo != k[i - 1].lo)
			v[KEFU_C_SALES_BUYERS]++;
	}
	/* evals by their own timestamp (the engine's exclusions and rows) */
	const kefu_evals *ev = &ds->ev;
	for (size_t i = 0; i < ev->n; i++) {
		uint32_t shop = ev->shop[i];
		if (shop >= nvs || vs[shop].n == 0)
			continue;
		const kefu_settings *last = &vs[shop].v[vs[shop].n - 1];
		if (last->n_exclude) {
			kefu_str b = kefu_dict_get(ds->buyers, ev->buyer[i]);
			if (kefu_settings_excludes(last, b.p, b.n))
				continue;
		}
		int64_t d = kefu_settings_day_of(&vs[shop], ev->ts[i]);
		const kefu_settings *st = kefu_settings_at(&vs[shop], d);
		if (kefu_coverage_holds(cov, st->tz, ev->ts[i]) != inside)
			continue;
		size_t ri = row_index(res, shop, ev->agent[i], d);
		if (ri == SIZE_MAX || ev->level[i] < 1 || ev->level[i] > 5)
			continue;
		int64_t *v = acc[ri].v;
		used[ri] = 1;
		v[KEFU_C_EVALS]++;
		v[KEFU_C_EVALS_SATISFIED] += ev->level[i] >= 4;
		v[KEFU_C_EVALS_L1 + ev->level[i] - 1]++;
	}
	/* rows with anything kept, in res's order */
	r->rows = kefu_calloc(res->n_rows + 1, sizeof *r->rows);
	if (!r->rows) {
		rc = KEFU_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < res->n_rows; i++)
		if (used[i])
			r->rows[r->n_rows++] = acc[i];
	/* shop days: every paid order classified by its chat or, if silent, its sale instant */
	nk = 0;
	for (size_t o = 0; o < no; o++) {
		const kefu_order_credit *cr = &res->credit[o];
		if (cr->sale_day == INT64_MIN)
			continue;
		int keep;
		if (cr->sale_agent != KEFU_NO_ID && cr->sale_chat != KEFU_NO_ID &&
		    cr->sale_chat < res->n_chats) {
			keep = chat_in[cr->sale_chat];
		} else {
			const kefu_settings *st = settings_of(vs, nvs, ds->ord.shop[o], cr->sale_day);
			if (!st)
				continue;
			int64_t t = st->judge_rule == KEFU_JUDGE_ORDER || ds->ord.paid[o] == KEFU_TS_NONE
					    ? ds->ord.created[o]
					    : ds->ord.paid[o];
			keep = kefu_coverage_holds(cov, st->tz, t) == inside;
		}
		if (keep)
			k[nk++] = (kefu_key3){ds->ord.shop[o], (uint64_t)cr->sale_day ^ (1ULL << 63),
					      (uint32_t)o, 0};
	}
	if ((rc = kefu_shop_days_from_keys(r, res->credit, k, nk)))
		goto fail;
	kefu_free(acc);
	kefu_free(used);
	kefu_free(chat_in);
	kefu_free(k);
	*out = r;
	return 0;
fail:
	kefu_free(acc);
	kefu_free(used);
	kefu_free(chat_in);
	kefu_free(k);
	kefu_kpi_result_free(r);
	return kefu_err_set(err, rc, rc == KEFU_EOVERFLOW ? "coverage: a sum overflowed int64"
							  : "coverage: out of memory");
}
