/*
 * kpi_engine.c - metrics.md sections 3-9 as sort-based passes over the
 * columnar dataset:
 *   1. messages sorted by (shop, agent, buyer, ts, B<S<A), exact duplicates
 *      dropped; one walk per stream builds chats and question runs;
 *   2. (shop, buyer) merge of orders and received chats: crediting,
 *      售后 / 询单, conversion, sales;
 *   3. rows per (shop, agent, day) assembled from chats, sales, S messages
 *      and evals; max concurrency by a sweep; maturity; kept ratings.
 * Every tie is broken by ids, which are in byte order, so the output does
 * not depend on input row order.
 */
#include "kefu/kpi.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const kefu_col_info col_info[KEFU_NCOLS] = {
	[KEFU_C_CONSULTS] = {"consults", "咨询人数", 0, 0},
	[KEFU_C_RECEIVED] = {"received", "接待人数", 0, 0},
	[KEFU_C_UNANSWERED] = {"unanswered", "未回复人数", 0, 0},
	[KEFU_C_INQUIRIES] = {"inquiries", "询单人数", 0, 0},
	[KEFU_C_FIRST_RESP_SUM_S] = {"first_resp_sum_s", "首次响应时长合计(秒)", 0, 0},
	[KEFU_C_FIRST_RESP_N] = {"first_resp_n", "首次响应次数", 0, 0},
	[KEFU_C_RESP_SUM_S] = {"resp_sum_s", "响应时长合计(秒)", 0, 0},
	[KEFU_C_RESP_N] = {"resp_n", "响应次数", 0, 0},
	[KEFU_C_SLOW_BUYERS] = {"slow_buyers", "慢响应人数", 0, 0},
	[KEFU_C_ROUNDS_3MIN] = {"rounds_3min", "3分钟考核轮次", 0, 0},
	[KEFU_C_ROUNDS_3MIN_OK] = {"rounds_3min_ok", "3分钟内响应轮次", 0, 0},
	[KEFU_C_BUYER_MSGS] = {"buyer_msgs", "买家消息数", 0, 0},
	[KEFU_C_AGENT_MSGS] = {"agent_msgs", "客服消息数", 0, 0},
	[KEFU_C_AGENT_CHARS] = {"agent_chars", "客服字数", 0, 0},
	[KEFU_C_DURATION_SUM_S] = {"duration_sum_s", "接待时长(秒)", 0, 0},
	[KEFU_C_MAX_CONCURRENT] = {"max_concurrent", "最大同时接待", 1, 0},
	[KEFU_C_AUTO_MSGS] = {"auto_msgs", "自动回复数", 0, 0},
	[KEFU_C_CONVERTED] = {"converted", "询单->最终付款人数", 0, 0},
	[KEFU_C_CONVERTED_NEXT_DAY] = {"converted_next_day", "询单->次日付款人数", 0, 0},
	[KEFU_C_SALES_FEN] = {"sales_fen", "销售额", 0, 1},
	[KEFU_C_SALES_BUYERS] = {"sales_buyers", "销售人数", 0, 0},
	[KEFU_C_SALES_ORDERS] = {"sales_orders", "销售订单数", 0, 0},
	[KEFU_C_SALES_ITEMS] = {"sales_items", "销售量", 0, 0},
	[KEFU_C_EVALS] = {"evals", "评价数", 0, 0},
	[KEFU_C_EVALS_SATISFIED] = {"evals_satisfied", "满意评价数", 0, 0},
	[KEFU_C_EVALS_L1] = {"evals_l1", "很不满意", 0, 0},
	[KEFU_C_EVALS_L2] = {"evals_l2", "不满意", 0, 0},
	[KEFU_C_EVALS_L3] = {"evals_l3", "一般", 0, 0},
	[KEFU_C_EVALS_L4] = {"evals_l4", "满意", 0, 0},
	[KEFU_C_EVALS_L5] = {"evals_l5", "很满意", 0, 0},
};

const kefu_col_info *kefu_col_info_of(kefu_col c)
{
	return (unsigned)c < KEFU_NCOLS ? &col_info[c] : NULL;
}

typedef struct engine {
	const kefu_dataset *ds;
	const kefu_kpi_opts *opts;
	kefu_kpi_result *res;
	uint64_t *excluded; /* sorted (shop << 32 | buyer) keys */
	size_t n_excluded;
	size_t chats_cap;
	uint32_t shop_lo, shop_hi; /* this part computes shops [shop_lo, shop_hi) */
} engine;

static int in_part(const engine *e, uint32_t shop)
{
	return shop >= e->shop_lo && shop < e->shop_hi;
}

static const kefu_settings_versions *versions_of(const engine *e, uint32_t shop)
{
	return &e->opts->shop_settings[shop];
}

static int64_t day_of(const engine *e, uint32_t shop, int64_t t)
{
	return kefu_settings_day_of(versions_of(e, shop), t);
}

static const kefu_settings *settings_on(const engine *e, uint32_t shop, int64_t day)
{
	return kefu_settings_at(versions_of(e, shop), day);
}

static int64_t day_start(const engine *e, uint32_t shop, int64_t day)
{
	const kefu_settings *s = settings_on(e, shop, day);
	return kefu_day_start(s->tz, s->day_split_s, day);
}

static int is_excluded(const engine *e, uint32_t shop, uint32_t buyer)
{
	uint64_t k = (uint64_t)shop << 32 | buyer;
	size_t lo = 0, hi = e->n_excluded;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->excluded[mid] == k)
			return 1;
		if (e->excluded[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* exclude_buyers: the latest version's list applies to the shop's whole
 * history (it names the shop's own and platform accounts). */
static int build_exclusions(engine *e)
{
	const kefu_dataset *ds = e->ds;
	size_t cap = 0;
	for (uint32_t s = 0; s < kefu_dict_size(ds->shops); s++) {
		const kefu_settings_versions *vs = versions_of(e, s);
		const kefu_settings *last = &vs->v[vs->n - 1];
		for (size_t i = 0; i < last->n_exclude; i++) {
			uint32_t b;
			const char *nm = last->exclude_buyers[i];
			if (kefu_dict_find(ds->buyers, nm, strlen(nm), &b))
				continue;
			if (kefu_grow((void **)&e->excluded, &cap, e->n_excluded + 1, sizeof(uint64_t)))
				return KEFU_ENOMEM;
			e->excluded[e->n_excluded++] = (uint64_t)s << 32 | b;
		}
	}
	if (e->n_excluded)
		qsort(e->excluded, e->n_excluded, sizeof(uint64_t), cmp_u64);
	return 0;
}

/* ---------- pass 1: streams, runs, chats ---------- */

typedef struct pending_run {
	uint32_t chat;
	int64_t day, first_b;
	uint8_t is_first, in_3min;
} pending_run;

static int new_chat(engine *e, uint32_t shop, uint32_t agent, uint32_t buyer, int64_t day,
		    int64_t t, uint32_t *idx)
{
	kefu_kpi_result *r = e->res;
	if (kefu_grow((void **)&r->chats, &e->chats_cap, r->n_chats + 1, sizeof(kefu_chat)))
		return KEFU_ENOMEM;
	kefu_chat *c = &r->chats[r->n_chats];
	memset(c, 0, sizeof *c);
	c->shop = shop;
	c->agent = agent;
	c->buyer = buyer;
	c->day = day;
	c->f = KEFU_TS_NONE;
	c->start = t;
	c->end = t;
	c->first_resp_s = -1;
	*idx = (uint32_t)r->n_chats++;
	return 0;
}

/* Local time of day (seconds) of instant t for the three-minute window. */
static int32_t local_clock(const kefu_settings *s, int64_t t)
{
	int64_t local = t + kefu_tz_offset_at(s->tz, t);
	return (int32_t)(local - kefu_floor_div(local, 86400) * 86400);
}

typedef struct day_count {
	uint64_t key_hi; /* shop << 32 | agent */
	int64_t day;
} day_count;

static int cmp_u64_(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Finds the distinct (shop << 32 | agent) pairs of the messages, sorted, and
 * writes each message's pair rank into k[i].aux. *pairs_out (caller frees)
 * maps rank -> pair. A small open-addressing table: pairs are few. */
static int pair_ranks(const kefu_messages *m, uint64_t **pairs_out, size_t *npairs, kefu_key3 *k,
		      size_t nk)
{
	size_t cap = 1024, n = 0;
	uint64_t *keys = kefu_malloc(cap * sizeof *keys);
	uint32_t *first = kefu_malloc(cap * sizeof *first); /* first-seen index + 1 */
	uint64_t *list = NULL;
	uint32_t *rank = NULL;
	size_t list_cap = 0;
	int rc = KEFU_ENOMEM;
	if (!keys || !first)
		goto done;
	memset(first, 0, cap * sizeof *first);
	for (size_t i = 0; i < nk; i++) {
		uint64_t key = (uint64_t)m->shop[k[i].idx] << 32 | m->agent[k[i].idx];
		size_t h = (size_t)(key * 0x9E3779B97F4A7C15ULL >> 20) & (cap - 1);
		while (first[h] && keys[h] != key)
			h = (h + 1) & (cap - 1);
		if (!first[h]) {
			if (kefu_grow((void **)&list, &list_cap, n + 1, sizeof *list))
				goto done;
			list[n] = key;
			keys[h] = key;
			first[h] = (uint32_t)++n;
			if (n * 2 > cap) { /* rebuild larger */
				size_t ncap = cap * 4;
				uint64_t *nk = kefu_malloc(ncap * sizeof *nk);
				uint32_t *nf = kefu_calloc(ncap, sizeof *nf);
				if (!nk || !nf) {
					kefu_free(nk);
					kefu_free(nf);
					goto done;
				}
				for (size_t j = 0; j < cap; j++) {
					if (!first[j])
						continue;
					size_t g = (size_t)(keys[j] * 0x9E3779B97F4A7C15ULL >> 20) & (ncap - 1);
					while (nf[g])
						g = (g + 1) & (ncap - 1);
					nk[g] = keys[j];
					nf[g] = first[j];
				}
				kefu_free(keys);
				kefu_free(first);
				keys = nk;
				first = nf;
				cap = ncap;
				h = (size_t)(key * 0x9E3779B97F4A7C15ULL >> 20) & (cap - 1);
				while (keys[h] != key || !first[h])
					h = (h + 1) & (cap - 1);
			}
		}
		k[i].aux = first[h] - 1; /* first-seen index for now */
	}
	/* rank = position of the pair in sorted order */
	uint64_t *sorted = kefu_malloc((n + 1) * sizeof *sorted);
	rank = kefu_malloc((n + 1) * sizeof *rank);
	if (!sorted || !rank) {
		kefu_free(sorted);
		goto done;
	}
	if (n)
		memcpy(sorted, list, n * sizeof *list);
	qsort(sorted, n, sizeof *sorted, cmp_u64_);
	for (size_t j = 0; j < n; j++) {
		size_t lo = 0, hi = n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (sorted[mid] < list[j])
				lo = mid + 1;
			else
				hi = mid;
		}
		rank[j] = (uint32_t)lo;
	}
	for (size_t i = 0; i < nk; i++)
		k[i].aux = rank[k[i].aux];
	*pairs_out = sorted;
	*npairs = n;
	rc = 0;
done:
	kefu_free(keys);
	kefu_free(first);
	kefu_free(list);
	kefu_free(rank);
	return rc;
}

static int walk_messages(engine *e, kefu_key3 **auto_out, size_t *n_auto_out)
{
	const kefu_messages *m = &e->ds->msg;
	kefu_kpi_result *r = e->res;
	int rc = 0;
	kefu_key3 *k = kefu_malloc((m->n + 1) * sizeof *k);
	int64_t *mday = kefu_malloc((m->n + 1) * sizeof *mday);
	kefu_key3 *autos = NULL;
	size_t n_auto = 0, auto_cap = 0;
	pending_run *pend = NULL;
	size_t pend_cap = 0;
	if (!k || !mday) {
		rc = KEFU_ENOMEM;
		goto done;
	}
	/* Stream key: shop, agent, buyer; then ts with B < S < A. Times are
	 * offset from the minimum so they sort as unsigned. */
	int64_t min_ts = INT64_MAX;
	for (size_t i = 0; i < m->n; i++)
		if (m->ts[i] < min_ts)
			min_ts = m->ts[i];
	/* this part's messages, excluded buyers dropped */
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (!in_part(e, m->shop[i]))
			continue;
		if (e->n_excluded && is_excluded(e, m->shop[i], m->buyer[i])) {
			r->msgs_excluded++;
			continue;
		}
		k[n].lo = (uint64_t)(m->ts[i] - min_ts) << 2 | m->dir[i];
		k[n].idx = (uint32_t)i;
		n++;
	}
	/* (shop, agent) pairs get ranks in (shop, agent) order, so one 64-bit
	 * word (pair rank, buyer) orders the streams. */
	size_t npairs = 0;
	uint64_t *pairs = NULL;
	if ((rc = pair_ranks(m, &pairs, &npairs, k, n)))
		goto done;
	for (size_t i = 0; i < n; i++)
		k[i].hi = (uint64_t)k[i].aux << 32 | m->buyer[k[i].idx];
	if ((rc = kefu_sort_key3(k, n))) {
		kefu_free(pairs);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t pk = pairs[k[i].hi >> 32];
		k[i].aux = (uint32_t)(pk >> 32); /* shop */
		k[i].hi = (pk << 32) | (uint32_t)k[i].hi; /* agent, buyer */
	}
	kefu_free(pairs);
	/* ts and dir are in the sort key: decode them instead of gathering
	 * from the columns (random access is what costs at 10M rows) */
	for (size_t i = 0; i < n; i++)
		mday[i] = day_of(e, k[i].aux, (int64_t)(k[i].lo >> 2) + min_ts);
	/* A chat has at least one message: reserve the upper bound (untouched
	 * pages cost nothing) so the array never moves while it grows. */
	if (kefu_grow((void **)&r->chats, &e->chats_cap, n + 1, sizeof(kefu_chat))) {
		rc = KEFU_ENOMEM;
		goto done;
	}

	size_t i = 0;
	while (i < n) {
		/* one stream: same shop (aux) and hi (agent, buyer) */
		size_t j = i;
		while (j < n && k[j].aux == k[i].aux && k[j].hi == k[i].hi)
			j++;
		uint32_t shop = k[i].aux, agent = (uint32_t)(k[i].hi >> 32),
			 buyer = (uint32_t)k[i].hi;
		uint32_t cur = KEFU_NO_ID;
		int64_t cur_day = INT64_MIN;
		size_t npend = 0;
		int open_run = 0; /* last pending run accepts more B messages */
		const kefu_settings *st = NULL;
		for (size_t x = i; x < j; x++) {
			uint32_t mi = k[x].idx;
			/* exact duplicate: same key and same text as an earlier row */
			int dup = 0;
			for (size_t y = x; y > i && k[y - 1].lo == k[x].lo; y--)
				if (m->text_hash[k[y - 1].idx] == m->text_hash[mi]) {
					dup = 1;
					break;
				}
			if (dup) {
				r->msgs_duplicate++;
				continue;
			}
			r->msgs_used++;
			int64_t t = (int64_t)(k[x].lo >> 2) + min_ts, d = mday[x];
			int dir = (int)(k[x].lo & 3);
			if (dir == KEFU_DIR_S) {
				if (kefu_grow((void **)&autos, &auto_cap, n_auto + 1, sizeof *autos)) {
					rc = KEFU_ENOMEM;
					goto done;
				}
				autos[n_auto++] = (kefu_key3){(uint64_t)shop << 32 | agent,
							      (uint64_t)d, 0, 0};
				continue;
			}
			if (d != cur_day) {
				if ((rc = new_chat(e, shop, agent, buyer, d, t, &cur)))
					goto done;
				cur_day = d;
				st = settings_on(e, shop, d);
				open_run = 0;
			}
			kefu_chat *c = &r->chats[cur];
			if (t > c->end)
				c->end = t;
			if (dir == KEFU_DIR_B) {
				c->buyer_msgs++;
				if (c->f == KEFU_TS_NONE)
					c->f = t;
				if (!open_run) {
					if (kefu_grow((void **)&pend, &pend_cap, npend + 1, sizeof *pend)) {
						rc = KEFU_ENOMEM;
						goto done;
					}
					int32_t clk = local_clock(st, t);
					pend[npend++] = (pending_run){
						cur, d, t, (uint8_t)(c->runs == 0),
						(uint8_t)(clk >= st->three_min_start_s &&
							  clk < st->three_min_end_s)};
					c->runs++;
					if (pend[npend - 1].in_3min)
						c->rounds_3min++;
					open_run = 1;
				}
			} else { /* A */
				c->agent_msgs++;
				c->agent_chars += m->chars[mi];
				for (size_t p = 0; p < npend; p++) {
					pending_run *pr = &pend[p];
					const kefu_settings *ps = settings_on(e, shop, pr->day);
					int64_t limit = day_start(e, shop, pr->day + 1) + ps->max_wait_s;
					if (t > limit)
						continue; /* unanswered */
					kefu_chat *rc_ = &r->chats[pr->chat];
					int64_t gap = t - pr->first_b;
					rc_->received = 1;
					rc_->resp_sum_s += gap;
					rc_->resp_n++;
					if (gap > ps->slow_reply_s)
						rc_->slow = 1;
					if (pr->is_first)
						rc_->first_resp_s = gap;
					if (pr->in_3min && gap <= 180)
						rc_->rounds_3min_ok++;
					if (t > rc_->end)
						rc_->end = t;
				}
				npend = 0;
				open_run = 0;
			}
		}
		i = j;
	}
	*auto_out = autos;
	*n_auto_out = n_auto;
	autos = NULL;
done:
	kefu_free(k);
	kefu_free(mday);
	kefu_free(autos);
	kefu_free(pend);
	return rc;
}

/* ---------- pass 2: orders x received chats per (shop, buyer) ---------- */

/* Picks the crediting chat for an event at t among the received chats
 * cand[0..nc) of one (shop, buyer): in-chat first, then last touch. */
static uint32_t credit_at(const engine *e, const uint32_t *cand, size_t nc, uint32_t shop,
			  int64_t t)
{
	const kefu_chat *chats = e->res->chats;
	const kefu_settings *s = settings_on(e, shop, day_of(e, shop, t));
	for (int step = 0; step < 2; step++) {
		uint32_t best = KEFU_NO_ID;
		for (size_t i = 0; i < nc; i++) {
			const kefu_chat *c = &chats[cand[i]];
			int ok = step == 0 ? (c->start <= t && t <= c->end)
					   : (c->end >= t - s->attribution_window_s && c->end < t);
			if (!ok)
				continue;
			if (best == KEFU_NO_ID) {
				best = cand[i];
				continue;
			}
			const kefu_chat *b = &chats[best];
			if (c->end > b->end || (c->end == b->end && (c->agent < b->agent ||
								     (c->agent == b->agent && c->day < b->day))))
				best = cand[i];
		}
		if (best != KEFU_NO_ID)
			return best;
	}
	return KEFU_NO_ID;
}

typedef struct sale_rec {
	uint32_t shop, agent, buyer;
	int64_t day, fen, items;
} sale_rec;

static int cmp_sale(const void *a, const void *b)
{
	const sale_rec *x = a, *y = b;
	if (x->shop != y->shop)
		return x->shop < y->shop ? -1 : 1;
	if (x->agent != y->agent)
		return x->agent < y->agent ? -1 : 1;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return x->buyer < y->buyer ? -1 : x->buyer > y->buyer;
}

static int credit_orders(engine *e, sale_rec **sales_out, size_t *n_sales_out)
{
	const kefu_dataset *ds = e->ds;
	const kefu_orders *o = &ds->ord;
	kefu_kpi_result *r = e->res;
	int rc = 0;
	size_t no = o->n, nch = r->n_chats;
	kefu_key3 *ok = kefu_malloc((no + 1) * sizeof *ok);
	kefu_key3 *ck = kefu_malloc((nch + 1) * sizeof *ck);
	uint32_t *recv = kefu_malloc((nch + 1) * sizeof *recv);
	sale_rec *sales = kefu_malloc((no + 1) * sizeof *sales);
	size_t n_sales = 0;
	r->credit = kefu_calloc(no + 1, sizeof *r->credit);
	r->n_orders = no;
	if (!ok || !ck || !recv || !sales || !r->credit) {
		rc = KEFU_ENOMEM;
		goto done;
	}
	size_t nin = 0;
	for (size_t i = 0; i < no; i++) {
		r->credit[i] = (kefu_order_credit){KEFU_NO_ID, KEFU_NO_ID, KEFU_NO_ID, INT64_MIN, 0, 0};
		if (in_part(e, o->shop[i]))
			ok[nin++] = (kefu_key3){(uint64_t)o->shop[i] << 32 | o->buyer[i],
						(uint64_t)o->created[i] ^ (1ULL << 63), (uint32_t)i, 0};
	}
	no = nin;
	for (size_t i = 0; i < nch; i++)
		ck[i] = (kefu_key3){(uint64_t)r->chats[i].shop << 32 | r->chats[i].buyer,
				    (uint64_t)r->chats[i].day ^ (1ULL << 63), (uint32_t)i, 0};
	if ((rc = kefu_sort_key3(ok, no)) || (rc = kefu_sort_key3(ck, nch)))
		goto done;
	size_t oi = 0, ci = 0;
	while (oi < no || ci < nch) {
		uint64_t key = oi < no && (ci >= nch || ok[oi].hi <= ck[ci].hi) ? ok[oi].hi : ck[ci].hi;
		size_t oj = oi, cj = ci;
		while (oj < no && ok[oj].hi == key)
			oj++;
		while (cj < nch && ck[cj].hi == key)
			cj++;
		uint32_t shop = (uint32_t)(key >> 32), buyer = (uint32_t)key;
		int excl = e->n_excluded && is_excluded(e, shop, buyer);
		size_t nrecv = 0;
		for (size_t x = ci; x < cj; x++)
			if (r->chats[ck[x].idx].received)
				recv[nrecv++] = ck[x].idx;
		/* credit each order */
		for (size_t x = oi; x < oj; x++) {
			uint32_t oid = ok[x].idx;
			kefu_order_credit *cr = &r->credit[oid];
			if (excl) {
				cr->excluded = 1;
				continue;
			}
			cr->create_chat = credit_at(e, recv, nrecv, shop, o->created[oid]);
			if (o->paid[oid] == KEFU_TS_NONE)
				continue;
			int64_t cday = day_of(e, shop, o->created[oid]);
			const kefu_settings *s = settings_on(e, shop, cday);
			uint32_t chat = KEFU_NO_ID;
			int64_t sday;
			if (s->judge_rule == KEFU_JUDGE_ORDER) {
				chat = cr->create_chat;
				sday = cday;
			} else {
				if (s->judge_rule == KEFU_JUDGE_ORDER_FIRST)
					chat = cr->create_chat;
				if (chat == KEFU_NO_ID)
					chat = credit_at(e, recv, nrecv, shop, o->paid[oid]);
				sday = day_of(e, shop, o->paid[oid]);
			}
			const kefu_settings *ss = settings_on(e, shop, sday);
			int64_t fen = o->amount[oid];
			if (ss->sales_basis == KEFU_SALES_NET)
				fen -= o->refund[oid] < fen ? o->refund[oid] : fen;
			cr->sale_chat = chat;
			cr->sale_day = sday;
			cr->sale_fen = fen;
			cr->sale_agent = chat == KEFU_NO_ID ? KEFU_NO_ID : r->chats[chat].agent;
			sales[n_sales++] = (sale_rec){shop, cr->sale_agent, buyer, sday, fen, o->items[oid]};
		}
		/* 售后, 询单 and conversion of this buyer's chats */
		for (size_t x = ci; x < cj; x++) {
			kefu_chat *c = &r->chats[ck[x].idx];
			if (!c->received || c->f == KEFU_TS_NONE || excl)
				continue;
			const kefu_settings *s = settings_on(e, shop, c->day);
			int64_t after_from = c->f - (int64_t)s->after_sale_days * 86400;
			int64_t valid_end = day_start(e, shop, c->day + s->inquiry_validity_days);
			int64_t next_end = day_start(e, shop, c->day + 2);
			for (size_t y = oi; y < oj; y++) {
				uint32_t oid = ok[y].idx;
				if (o->paid[oid] != KEFU_TS_NONE && o->paid[oid] >= after_from &&
				    o->paid[oid] < c->f)
					c->after_sale = 1;
			}
			c->inquiry = !c->after_sale;
			if (!c->inquiry)
				continue;
			for (size_t y = oi; y < oj; y++) {
				uint32_t oid = ok[y].idx;
				uint32_t cc = r->credit[oid].create_chat;
				if (o->paid[oid] == KEFU_TS_NONE || cc == KEFU_NO_ID ||
				    r->chats[cc].agent != c->agent)
					continue;
				if (o->created[oid] >= c->f && o->created[oid] < valid_end) {
					c->converted = 1;
					if (o->paid[oid] < next_end)
						c->converted_next_day = 1;
				}
			}
		}
		oi = oj;
		ci = cj;
	}
	qsort(sales, n_sales, sizeof *sales, cmp_sale);
	*sales_out = sales;
	*n_sales_out = n_sales;
	sales = NULL;
done:
	kefu_free(ok);
	kefu_free(ck);
	kefu_free(recv);
	kefu_free(sales);
	return rc;
}

/* ---------- pass 3: rows ---------- */

static int cmp_row_key(const kefu_kpi_row *a, uint32_t shop, uint32_t agent, int64_t day)
{
	if (a->shop != shop)
		return a->shop < shop ? -1 : 1;
	if (a->agent != agent)
		return a->agent < agent ? -1 : 1;
	if (a->day != day)
		return a->day < day ? -1 : 1;
	return 0;
}

static kefu_kpi_row *find_row(kefu_kpi_result *r, uint32_t shop, uint32_t agent, int64_t day)
{
	size_t lo = 0, hi = r->n_rows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_row_key(&r->rows[mid], shop, agent, day);
		if (c == 0)
			return &r->rows[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int build_rows(engine *e, const sale_rec *sales, size_t n_sales)
{
	kefu_kpi_result *r = e->res;
	size_t nk = r->n_chats + n_sales;
	kefu_key3 *k = kefu_malloc((nk + 1) * sizeof *k);
	if (!k)
		return KEFU_ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < r->n_chats; i++)
		k[n++] = (kefu_key3){(uint64_t)r->chats[i].shop << 32 | r->chats[i].agent,
				     (uint64_t)r->chats[i].day ^ (1ULL << 63), 0, 0};
	for (size_t i = 0; i < n_sales; i++)
		if (sales[i].agent != KEFU_NO_ID)
			k[n++] = (kefu_key3){(uint64_t)sales[i].shop << 32 | sales[i].agent,
					     (uint64_t)sales[i].day ^ (1ULL << 63), 0, 0};
	int rc = kefu_sort_key3(k, n);
	if (rc) {
		kefu_free(k);
		return rc;
	}
	size_t nrows = 0;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || k[i].hi != k[i - 1].hi || k[i].lo != k[i - 1].lo)
			nrows++;
	r->rows = kefu_calloc(nrows + 1, sizeof *r->rows);
	if (!r->rows) {
		kefu_free(k);
		return KEFU_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (i == 0 || k[i].hi != k[i - 1].hi || k[i].lo != k[i - 1].lo) {
			kefu_kpi_row *row = &r->rows[r->n_rows++];
			row->shop = (uint32_t)(k[i].hi >> 32);
			row->agent = (uint32_t)k[i].hi;
			row->day = (int64_t)(k[i].lo ^ (1ULL << 63));
		}
	kefu_free(k);
	/* chats */
	for (size_t i = 0; i < r->n_chats; i++) {
		const kefu_chat *c = &r->chats[i];
		kefu_kpi_row *row = find_row(r, c->shop, c->agent, c->day);
		kefu_chat_add_to_row(row->v, c);
	}
	/* sales: sorted by shop, agent, day, buyer */
	for (size_t i = 0; i < n_sales; i++) {
		const sale_rec *s = &sales[i];
		if (s->agent == KEFU_NO_ID)
			continue;
		kefu_kpi_row *row = find_row(r, s->shop, s->agent, s->day);
		if (kefu_add_i64(&row->v[KEFU_C_SALES_FEN], s->fen))
			return KEFU_EOVERFLOW;
		row->v[KEFU_C_SALES_ORDERS]++;
		row->v[KEFU_C_SALES_ITEMS] += s->items;
		if (i == 0 || cmp_sale(&sales[i - 1], s) != 0)
			row->v[KEFU_C_SALES_BUYERS]++;
	}
	return 0;
}

/* Shifts instants to non-negative values that still fit 62 bits. */
#define BIAS (INT64_C(1) << 61)

static int add_concurrency(engine *e)
{
	kefu_kpi_result *r = e->res;
	size_t n = r->n_chats * 2;
	kefu_key3 *k = kefu_malloc((n + 1) * sizeof *k);
	uint32_t *row_of = kefu_malloc((r->n_chats + 1) * sizeof *row_of);
	if (!k || !row_of) {
		kefu_free(k);
		kefu_free(row_of);
		return KEFU_ENOMEM;
	}
	for (size_t i = 0; i < r->n_chats; i++) {
		const kefu_chat *c = &r->chats[i];
		row_of[i] = (uint32_t)(find_row(r, c->shop, c->agent, c->day) - r->rows);
		/* closed spans: at the same instant a start sorts before an end */
		k[2 * i] = (kefu_key3){row_of[i], (uint64_t)(c->start + BIAS) << 1, 0, 0};
		k[2 * i + 1] = (kefu_key3){row_of[i], (uint64_t)(c->end + BIAS) << 1 | 1, 0, 0};
	}
	int rc = kefu_sort_key3(k, n);
	if (!rc) {
		int64_t cur = 0;
		for (size_t i = 0; i < n; i++) {
			if (i > 0 && k[i].hi != k[i - 1].hi)
				cur = 0;
			if (k[i].lo & 1) {
				cur--;
			} else {
				cur++;
				int64_t *mx = &r->rows[k[i].hi].v[KEFU_C_MAX_CONCURRENT];
				if (cur > *mx)
					*mx = cur;
			}
		}
	}
	kefu_free(k);
	kefu_free(row_of);
	return rc;
}

static void add_autos_and_evals(engine *e, const kefu_key3 *autos, size_t n_auto)
{
	kefu_kpi_result *r = e->res;
	for (size_t i = 0; i < n_auto; i++) {
		kefu_kpi_row *row = find_row(r, (uint32_t)(autos[i].hi >> 32), (uint32_t)autos[i].hi,
					     (int64_t)autos[i].lo);
		if (row)
			row->v[KEFU_C_AUTO_MSGS]++;
	}
	const kefu_evals *ev = &e->ds->ev;
	for (size_t i = 0; i < ev->n; i++) {
		if (!in_part(e, ev->shop[i]))
			continue;
		if (e->n_excluded && is_excluded(e, ev->shop[i], ev->buyer[i]))
			continue;
		int64_t d = day_of(e, ev->shop[i], ev->ts[i]);
		kefu_kpi_row *row = find_row(r, ev->shop[i], ev->agent[i], d);
		if (!row || ev->level[i] < 1 || ev->level[i] > 5)
			continue;
		row->v[KEFU_C_EVALS]++;
		row->v[KEFU_C_EVALS_SATISFIED] += ev->level[i] >= 4;
		row->v[KEFU_C_EVALS_L1 + ev->level[i] - 1]++;
	}
}

void kefu_chat_add_to_row(int64_t *v, const kefu_chat *c)
{
	int consult = c->buyer_msgs > 0;
	v[KEFU_C_CONSULTS] += consult;
	v[KEFU_C_RECEIVED] += c->received;
	v[KEFU_C_UNANSWERED] += consult && !c->received;
	v[KEFU_C_INQUIRIES] += c->inquiry;
	if (c->first_resp_s >= 0) {
		v[KEFU_C_FIRST_RESP_SUM_S] += c->first_resp_s;
		v[KEFU_C_FIRST_RESP_N]++;
	}
	v[KEFU_C_RESP_SUM_S] += c->resp_sum_s;
	v[KEFU_C_RESP_N] += c->resp_n;
	v[KEFU_C_SLOW_BUYERS] += c->slow;
	v[KEFU_C_ROUNDS_3MIN] += c->rounds_3min;
	v[KEFU_C_ROUNDS_3MIN_OK] += c->rounds_3min_ok;
	v[KEFU_C_BUYER_MSGS] += c->buyer_msgs;
	v[KEFU_C_AGENT_MSGS] += c->agent_msgs;
	v[KEFU_C_AGENT_CHARS] += c->agent_chars;
	if (c->received)
		v[KEFU_C_DURATION_SUM_S] += c->end - c->start;
	v[KEFU_C_CONVERTED] += c->converted;
	v[KEFU_C_CONVERTED_NEXT_DAY] += c->converted_next_day;
}

int kefu_shop_days_from_keys(kefu_kpi_result *r, const kefu_order_credit *credit, kefu_key3 *k,
			     size_t n)
{
	int rc = kefu_sort_key3(k, n);
	if (rc)
		return rc;
	r->shop_days = kefu_calloc(n + 1, sizeof *r->shop_days);
	if (!r->shop_days)
		return KEFU_ENOMEM;
	r->n_shop_days = 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || k[i].hi != k[i - 1].hi || k[i].lo != k[i - 1].lo) {
			kefu_shop_day *sd = &r->shop_days[r->n_shop_days++];
			sd->shop = (uint32_t)k[i].hi;
			sd->day = (int64_t)(k[i].lo ^ (1ULL << 63));
		}
		kefu_shop_day *sd = &r->shop_days[r->n_shop_days - 1];
		const kefu_order_credit *cr = &credit[k[i].idx];
		if (kefu_add_i64(&sd->paid_fen, cr->sale_fen))
			return KEFU_EOVERFLOW;
		sd->paid_orders++;
		if (cr->sale_agent == KEFU_NO_ID) {
			sd->silent_fen += cr->sale_fen;
			sd->silent_orders++;
		} else {
			sd->credited_fen += cr->sale_fen;
			sd->credited_orders++;
		}
	}
	return 0;
}

static int build_shop_days(engine *e)
{
	const kefu_orders *o = &e->ds->ord;
	kefu_kpi_result *r = e->res;
	kefu_key3 *k = kefu_malloc((o->n + 1) * sizeof *k);
	if (!k)
		return KEFU_ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < o->n; i++)
		if (r->credit[i].sale_day != INT64_MIN)
			k[n++] = (kefu_key3){o->shop[i], (uint64_t)r->credit[i].sale_day ^ (1ULL << 63),
					     (uint32_t)i, 0};
	int rc = kefu_shop_days_from_keys(r, r->credit, k, n);
	kefu_free(k);
	return rc;
}

/* Ratings: keep the first 3 per (shop, buyer, calendar month of the
 * rating's business day) by (ts, order_id bytes); credit via the order. */
static int build_kept_ratings(engine *e)
{
	const kefu_dataset *ds = e->ds;
	const kefu_ratings *rt = &ds->rat;
	const kefu_orders *o = &ds->ord;
	kefu_kpi_result *r = e->res;
	kefu_key3 *k = kefu_malloc((rt->n + 1) * sizeof *k);
	int64_t *rday = kefu_malloc((rt->n + 1) * sizeof *rday);
	int rc = 0;
	if (!k || !rday) {
		rc = KEFU_ENOMEM;
		goto done;
	}
	size_t n = 0;
	for (size_t i = 0; i < rt->n; i++) {
		if (!in_part(e, rt->shop[i]))
			continue;
		if (e->n_excluded && is_excluded(e, rt->shop[i], rt->buyer[i]))
			continue;
		int64_t d = day_of(e, rt->shop[i], rt->ts[i]);
		int64_t y;
		unsigned mo, dd;
		kefu_civil_from_days(d, &y, &mo, &dd);
		rday[i] = d;
		uint64_t month = (uint64_t)(y * 12 + mo);
		/* hi: shop, buyer; lo: month (high bits), ts biased; aux: order id */
		k[n] = (kefu_key3){(uint64_t)rt->shop[i] << 32 | rt->buyer[i],
				   month << 40 | (((uint64_t)rt->ts[i] + (1ULL << 39)) & ((1ULL << 40) - 1)),
				   (uint32_t)i, rt->order_id[i]};
		n++;
	}
	if ((rc = kefu_sort_key3(k, n)))
		goto done;
	/* equal (shop, buyer, month, ts): order by order_id bytes (= id order) */
	for (size_t i = 1; i < n; i++) {
		size_t j = i;
		kefu_key3 x = k[i];
		while (j > 0 && k[j - 1].hi == x.hi && k[j - 1].lo == x.lo && k[j - 1].aux > x.aux) {
			k[j] = k[j - 1];
			j--;
		}
		k[j] = x;
	}
	r->kept = kefu_calloc(n + 1, sizeof *r->kept);
	if (!r->kept) {
		rc = KEFU_ENOMEM;
		goto done;
	}
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || k[i].hi != k[i - 1].hi || (k[i].lo >> 40) != (k[i - 1].lo >> 40))
			run = 0;
		if (run++ >= 3)
			continue;
		uint32_t ri = k[i].idx;
		kefu_kept_rating *kr = &r->kept[r->n_kept++];
		kr->shop = rt->shop[ri];
		kr->day = rday[ri];
		kr->desc = rt->desc[ri];
		kr->service = rt->service[ri];
		kr->shipping = rt->shipping[ri];
		kr->agent = KEFU_NO_ID;
		/* orders are sorted by (shop, order_id) after finalize */
		uint64_t want = (uint64_t)rt->shop[ri] << 32 | rt->order_id[ri];
		size_t lo = 0, hi = o->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			uint64_t got = (uint64_t)o->shop[mid] << 32 | o->order_id[mid];
			if (got < want)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < o->n && o->shop[lo] == rt->shop[ri] && o->order_id[lo] == rt->order_id[ri])
			kr->agent = r->credit[lo].sale_agent;
	}
	/* sort kept by (shop, agent, day) for window queries */
	for (size_t i = 0; i < r->n_kept; i++)
		k[i] = (kefu_key3){(uint64_t)r->kept[i].shop << 32 | r->kept[i].agent,
				   (uint64_t)r->kept[i].day ^ (1ULL << 63), (uint32_t)i, 0};
	if ((rc = kefu_sort_key3(k, r->n_kept)))
		goto done;
	kefu_kept_rating *sorted = kefu_malloc((r->n_kept + 1) * sizeof *sorted);
	if (!sorted) {
		rc = KEFU_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < r->n_kept; i++)
		sorted[i] = r->kept[k[i].idx];
	kefu_free(r->kept);
	r->kept = sorted;
done:
	kefu_free(k);
	kefu_free(rday);
	return rc;
}

static int64_t latest_ts(const kefu_dataset *ds)
{
	int64_t m = INT64_MIN;
	for (size_t i = 0; i < ds->msg.n; i++)
		if (ds->msg.ts[i] > m)
			m = ds->msg.ts[i];
	for (size_t i = 0; i < ds->ord.n; i++) {
		if (ds->ord.created[i] > m)
			m = ds->ord.created[i];
		if (ds->ord.paid[i] != KEFU_TS_NONE && ds->ord.paid[i] > m)
			m = ds->ord.paid[i];
	}
	for (size_t i = 0; i < ds->rat.n; i++)
		if (ds->rat.ts[i] > m)
			m = ds->rat.ts[i];
	for (size_t i = 0; i < ds->ev.n; i++)
		if (ds->ev.ts[i] > m)
			m = ds->ev.ts[i];
	return m;
}

/* Computes shops [shop_lo, shop_hi) into *out. Nothing crosses shops in
 * metrics.md, so parts are independent and can run on separate threads. */
static int run_part(kefu_kpi_result **out, const kefu_dataset *ds, const kefu_kpi_opts *opts,
		    uint32_t shop_lo, uint32_t shop_hi, int64_t as_of)
{
	*out = NULL;
	engine e = {ds, opts, NULL, NULL, 0, 0, shop_lo, shop_hi};
	kefu_kpi_result *r = kefu_calloc(1, sizeof *r);
	kefu_key3 *autos = NULL;
	size_t n_auto = 0;
	sale_rec *sales = NULL;
	size_t n_sales = 0;
	int rc;
	if (!r)
		return KEFU_ENOMEM;
	e.res = r;
	if ((rc = build_exclusions(&e)) || (rc = walk_messages(&e, &autos, &n_auto)) ||
	    (rc = credit_orders(&e, &sales, &n_sales)) || (rc = build_rows(&e, sales, n_sales)) ||
	    (rc = add_concurrency(&e)))
		goto fail;
	if ((rc = kefu_sort_key3(autos, n_auto)))
		goto fail;
	add_autos_and_evals(&e, autos, n_auto);
	if ((rc = build_shop_days(&e)) || (rc = build_kept_ratings(&e)))
		goto fail;
	r->as_of = as_of;
	for (size_t i = 0; i < r->n_rows; i++) {
		kefu_kpi_row *row = &r->rows[i];
		const kefu_settings *s = settings_on(&e, row->shop, row->day);
		int64_t final_at = day_start(&e, row->shop, row->day + s->inquiry_validity_days) +
				   s->payment_window_s;
		row->final_ = r->as_of >= final_at;
	}
	kefu_free(autos);
	kefu_free(sales);
	kefu_free(e.excluded);
	*out = r;
	return 0;
fail:
	kefu_free(autos);
	kefu_free(sales);
	kefu_free(e.excluded);
	kefu_kpi_result_free(r);
	return rc;
}

typedef struct part_job {
	const kefu_dataset *ds;
	const kefu_kpi_opts *opts;
	uint32_t lo, hi;
	int64_t as_of;
	kefu_kpi_result *res;
	int rc;
} part_job;

static void *part_thread(void *arg)
{
	part_job *j = arg;
	j->rc = run_part(&j->res, j->ds, j->opts, j->lo, j->hi, j->as_of);
	return NULL;
}

/* Appends src's arrays to dst (src's shops all come after dst's). */
static int append_result(kefu_kpi_result *dst, kefu_kpi_result *src)
{
#define APPEND(field, count)                                                                 \
	do {                                                                                 \
		void *p_ = kefu_realloc(dst->field, (dst->count + src->count + 1) * sizeof *dst->field); \
		if (!p_)                                                                     \
			return KEFU_ENOMEM;                                                  \
		dst->field = p_;                                                             \
		memcpy(dst->field + dst->count, src->field, src->count * sizeof *src->field); \
	} while (0)
	uint32_t chat_base = (uint32_t)dst->n_chats;
	APPEND(rows, n_rows);
	APPEND(chats, n_chats);
	APPEND(shop_days, n_shop_days);
	APPEND(kept, n_kept);
#undef APPEND
	dst->n_rows += src->n_rows;
	dst->n_chats += src->n_chats;
	dst->n_shop_days += src->n_shop_days;
	dst->n_kept += src->n_kept;
	/* credits: take src's entries for src's orders, shifting chat indices */
	for (size_t i = 0; i < src->n_orders; i++) {
		kefu_order_credit c = src->credit[i];
		if (c.create_chat == KEFU_NO_ID && c.sale_day == INT64_MIN && !c.excluded)
			continue;
		if (c.create_chat != KEFU_NO_ID)
			c.create_chat += chat_base;
		if (c.sale_chat != KEFU_NO_ID)
			c.sale_chat += chat_base;
		dst->credit[i] = c;
	}
	dst->msgs_used += src->msgs_used;
	dst->msgs_duplicate += src->msgs_duplicate;
	dst->msgs_excluded += src->msgs_excluded;
	return 0;
}

int kefu_kpi_run(kefu_kpi_result **out, const kefu_dataset *ds, const kefu_kpi_opts *opts,
		 kefu_err *err)
{
	*out = NULL;
	if (!ds->finalized)
		return kefu_err_set(err, KEFU_EINVAL, "dataset not finalized");
	uint32_t nshops = kefu_dict_size(ds->shops);
	if (opts->n_shop_settings < nshops)
		return kefu_err_set(err, KEFU_EINVAL, "settings missing for some shops");
	int64_t as_of = opts->as_of != INT64_MIN ? opts->as_of : latest_ts(ds);
	/* Split the shops into contiguous parts of about equal message counts. */
	int nparts = opts->threads > 1 ? opts->threads : 1;
	if (nparts > 16)
		nparts = 16;
	if ((uint32_t)nparts > nshops)
		nparts = nshops ? (int)nshops : 1;
	part_job jobs[16];
	uint32_t bound[17];
	bound[0] = 0;
	bound[nparts] = nshops;
	if (nparts > 1) {
		size_t *per = kefu_calloc((size_t)nshops + 1, sizeof *per);
		if (!per)
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		for (size_t i = 0; i < ds->msg.n; i++)
			per[ds->msg.shop[i]]++;
		size_t total = ds->msg.n, acc = 0;
		int p = 1;
		for (uint32_t sh = 0; sh < nshops && p < nparts; sh++) {
			acc += per[sh];
			if (acc * (size_t)nparts >= total * (size_t)p)
				bound[p++] = sh + 1;
		}
		while (p < nparts) /* fewer natural cut points than parts */
			bound[p++] = nshops;
		kefu_free(per);
	}
	for (int i = 0; i < nparts; i++)
		jobs[i] = (part_job){ds, opts, bound[i], bound[i + 1], as_of, NULL, 0};
	pthread_t tid[16];
	int started[16] = {0};
	for (int i = 1; i < nparts; i++)
		started[i] = pthread_create(&tid[i], NULL, part_thread, &jobs[i]) == 0;
	part_thread(&jobs[0]);
	for (int i = 1; i < nparts; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			part_thread(&jobs[i]); /* no thread: run it here */
	}
	int rc = 0;
	for (int i = 0; i < nparts && !rc; i++)
		rc = jobs[i].rc;
	kefu_kpi_result *r = jobs[0].res;
	for (int i = 1; i < nparts && !rc; i++)
		rc = append_result(r, jobs[i].res);
	for (int i = rc ? 0 : 1; i < nparts; i++)
		kefu_kpi_result_free(jobs[i].res);
	if (rc)
		return kefu_err_set(err, rc, rc == KEFU_EOVERFLOW ? "a sum overflowed int64"
								  : "out of memory in the KPI engine");
	*out = r;
	return 0;
}

void kefu_kpi_result_free(kefu_kpi_result *r)
{
	if (!r)
		return;
	kefu_free(r->rows);
	kefu_free(r->chats);
	kefu_free(r->credit);
	kefu_free(r->shop_days);
	kefu_free(r->kept);
	kefu_free(r);
}
