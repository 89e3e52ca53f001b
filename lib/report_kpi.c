/*
 * report_kpi.c - grouping of the (shop, agent, day) rows into the KPI table.
 */
#include "kefu/report.h"

#include <stdlib.h>
#include <string.h>

int kefu_by_parse(const char *s, kefu_by *out)
{
	static const char *const names[] = {"agent", "team", "vendor", "shop", "all"};
	for (int i = 0; i < 5; i++)
		if (!strcmp(s, names[i])) {
			*out = (kefu_by)i;
			return 0;
		}
	return KEFU_EINVAL;
}

int kefu_per_parse(const char *s, kefu_per *out)
{
	static const char *const names[] = {"day", "week", "month", "range"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*out = (kefu_per)i;
			return 0;
		}
	return KEFU_EINVAL;
}

int kefu_ids_contain(const uint32_t *a, size_t n, uint32_t v)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] == v)
			return 1;
		if (a[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

#define UNKNOWN_ID 0xFFFFFFFEu

static uint32_t team_of(const kefu_dataset *ds, uint32_t agent)
{
	uint32_t r = agent < kefu_dict_size(ds->agents) ? ds->roster.row_of_agent[agent] : KEFU_NO_ID;
	return r == KEFU_NO_ID ? UNKNOWN_ID : ds->roster.team[r];
}

static uint32_t vendor_of(const kefu_dataset *ds, uint32_t agent)
{
	uint32_t r = agent < kefu_dict_size(ds->agents) ? ds->roster.row_of_agent[agent] : KEFU_NO_ID;
	return r == KEFU_NO_ID ? UNKNOWN_ID : ds->roster.vendor[r];
}

static uint64_t group_key(const kefu_dataset *ds, kefu_by by, uint32_t shop, uint32_t agent)
{
	switch (by) {
	case KEFU_BY_AGENT: return (uint64_t)shop << 32 | agent;
	case KEFU_BY_TEAM: return team_of(ds, agent);
	case KEFU_BY_VENDOR: return vendor_of(ds, agent);
	case KEFU_BY_SHOP: return shop;
	default: return 0;
	}
}

int64_t kefu_period_start(kefu_per per, int64_t day)
{
	int64_t y;
	unsigned m, d;
	switch (per) {
	case KEFU_PER_DAY: return day;
	case KEFU_PER_WEEK: return day - (kefu_weekday(day) - 1);
	case KEFU_PER_MONTH:
		kefu_civil_from_days(day, &y, &m, &d);
		return kefu_days_from_civil(y, m, 1);
	default: return 0;
	}
}

int64_t kefu_period_end(kefu_per per, int64_t start)
{
	int64_t y;
	unsigned m, d;
	switch (per) {
	case KEFU_PER_DAY: return start;
	case KEFU_PER_WEEK: return start + 6;
	case KEFU_PER_MONTH:
		kefu_civil_from_days(start, &y, &m, &d);
		return (m == 12 ? kefu_days_from_civil(y + 1, 1, 1) : kefu_days_from_civil(y, m + 1, 1)) - 1;
	default: return INT64_MAX;
	}
}

static void period_label(kefu_per per, int64_t start, char *buf, size_t cap)
{
	int64_t y;
	unsigned m, d;
	if (per == KEFU_PER_WEEK) {
		/* ISO week: the week's Thursday decides the year */
		int64_t thu = start + 3;
		kefu_civil_from_days(thu, &y, &m, &d);
		int64_t jan1 = kefu_days_from_civil(y, 1, 1);
		snprintf(buf, cap, "%04d-W%02d", (int)y, (int)((thu - jan1) / 7 + 1));
	} else if (per == KEFU_PER_MONTH) {
		kefu_civil_from_days(start, &y, &m, &d);
		snprintf(buf, cap, "%04d-%02u", (int)y, m);
	} else {
		kefu_day_format(start, buf);
	}
}

typedef struct group {
	uint64_t key;
	int64_t pstart, first_day, last_day;
	uint32_t shop, agent; /* representative ids for names */
	int64_t v[KEFU_NCOLS];
	int provisional;
	int64_t paid_fen, paid_orders, silent_fen, silent_orders;
	kefu_str name1, name2; /* sort keys: shop/team/vendor, agent */
} group;

static int cmp_str(kefu_str a, kefu_str b)
{
	size_t n = a.n < b.n ? a.n : b.n;
	int c = memcmp(a.p, b.p, n);
	if (c)
		return c;
	return a.n < b.n ? -1 : a.n > b.n;
}

static int cmp_group(const void *x, const void *y)
{
	const group *a = x, *b = y;
	int c = cmp_str(a->name1, b->name1);
	if (!c)
		c = cmp_str(a->name2, b->name2);
	if (!c)
		c = a->pstart < b->pstart ? -1 : a->pstart > b->pstart;
	return c;
}

/* DSR window index: kept ratings keyed like the groups, sorted by (key,
 * day), with prefix sums for O(log n) window queries. */
typedef struct dsr_index {
	size_t n;
	uint64_t *key;
	int64_t *day;
	int64_t *pd, *ps, *psh; /* prefix sums, n + 1 entries */
} dsr_index;

static void dsr_free(dsr_index *x)
{
	kefu_free(x->key);
	kefu_free(x->day);
	kefu_free(x->pd);
	kefu_free(x->ps);
	kefu_free(x->psh);
}

static int dsr_build(dsr_index *x, const kefu_dataset *ds, const kefu_kpi_result *res,
		     const kefu_report_opts *o)
{
	memset(x, 0, sizeof *x);
	size_t n = res->n_kept;
	kefu_key3 *k = kefu_malloc((n + 1) * sizeof *k);
	if (!k)
		return KEFU_ENOMEM;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const kefu_kept_rating *r = &res->kept[i];
		int agent_level = o->by == KEFU_BY_AGENT || o->by == KEFU_BY_TEAM || o->by == KEFU_BY_VENDOR;
		if (agent_level && r->agent == KEFU_NO_ID)
			continue; /* unknown, unpaid or silent: the shop's DSR only */
		if (o->shops && !kefu_ids_contain(o->shops, o->n_shops, r->shop))
			continue;
		if (o->agents && (r->agent == KEFU_NO_ID || !kefu_ids_contain(o->agents, o->n_agents, r->agent)))
			continue;
		k[m++] = (kefu_key3){group_key(ds, o->by, r->shop, r->agent),
				     (uint64_t)r->day ^ (1ULL << 63), (uint32_t)i, 0};
	}
	/* sized by the selected ratings, not all of them (a one-shop query on
	 * the server should not touch every rating's worth of memory) */
	x->key = kefu_malloc((m + 1) * sizeof *x->key);
	x->day = kefu_malloc((m + 1) * sizeof *x->day);
	x->pd = kefu_malloc((m + 1) * sizeof *x->pd);
	x->ps = kefu_malloc((m + 1) * sizeof *x->ps);
	x->psh = kefu_malloc((m + 1) * sizeof *x->psh);
	if (!x->key || !x->day || !x->pd || !x->ps || !x->psh || kefu_sort_key3(k, m)) {
		kefu_free(k);
		dsr_free(x);
		return KEFU_ENOMEM;
	}
	x->pd[0] = x->ps[0] = x->psh[0] = 0;
	for (size_t i = 0; i < m; i++) {
		const kefu_kept_rating *r = &res->kept[k[i].idx];
		x->key[i] = k[i].hi;
		x->day[i] = r->day;
		x->pd[i + 1] = x->pd[i] + r->desc;
		x->ps[i + 1] = x->ps[i] + r->service;
		x->psh[i + 1] = x->psh[i] + r->shipping;
	}
	x->n = m;
	kefu_free(k);
	return 0;
}

/* First index with (key, day) >= (key, day). */
static size_t dsr_lower(const dsr_index *x, uint64_t key, int64_t day)
{
	size_t lo = 0, hi = x->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->key[mid] < key || (x->key[mid] == key && x->day[mid] < day))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void dsr_query(const dsr_index *x, uint64_t key, int64_t as_of, int64_t out[4])
{
	size_t a = dsr_lower(x, key, as_of - 179), b = dsr_lower(x, key, as_of + 1);
	out[0] = x->pd[b] - x->pd[a];
	out[1] = x->ps[b] - x->ps[a];
	out[2] = x->psh[b] - x->psh[a];
	out[3] = (int64_t)(b - a);
}

typedef struct derived {
	const char *name, *zh;
	kefu_coltype type;
	kefu_col num, den;
} derived;

static const derived derived_cols[] = {
	{"first_resp_s", "平均首次响应(秒)", KEFU_T_MEAN, KEFU_C_FIRST_RESP_SUM_S, KEFU_C_FIRST_RESP_N},
	{"avg_resp_s", "平均响应(秒)", KEFU_T_MEAN, KEFU_C_RESP_SUM_S, KEFU_C_RESP_N},
	{"reply_rate", "回复率", KEFU_T_RATE, KEFU_C_RECEIVED, KEFU_C_CONSULTS},
	{"conv_rate", "询单转化率", KEFU_T_RATE, KEFU_C_CONVERTED, KEFU_C_INQUIRIES},
	{"conv_next_day_rate", "询单->次日付款成功率", KEFU_T_RATE, KEFU_C_CONVERTED_NEXT_DAY, KEFU_C_INQUIRIES},
	{"aov", "客单价", KEFU_T_YUAN, KEFU_C_SALES_FEN, KEFU_C_SALES_BUYERS},
	{"items_per_buyer", "客件数", KEFU_T_MEAN, KEFU_C_SALES_ITEMS, KEFU_C_SALES_BUYERS},
	{"qa_ratio", "答问比", KEFU_T_RATE, KEFU_C_AGENT_MSGS, KEFU_C_BUYER_MSGS},
	{"three_min_rate", "3分钟人工响应率", KEFU_T_RATE, KEFU_C_ROUNDS_3MIN_OK, KEFU_C_ROUNDS_3MIN},
	{"avg_duration_s", "平均接待时长(秒)", KEFU_T_MEAN, KEFU_C_DURATION_SUM_S, KEFU_C_RECEIVED},
	{"sat_rate", "客户满意率", KEFU_T_RATE, KEFU_C_EVALS_SATISFIED, KEFU_C_EVALS},
};
#define NDERIVED (sizeof derived_cols / sizeof derived_cols[0])

static int add_columns(kefu_table *t, const kefu_report_opts *o)
{
	int rc = 0;
	switch (o->by) {
	case KEFU_BY_AGENT:
		rc |= kefu_table_add_col(t, "shop", "店铺", KEFU_T_TEXT);
		rc |= kefu_table_add_col(t, "agent", "客服", KEFU_T_TEXT);
		break;
	case KEFU_BY_TEAM: rc |= kefu_table_add_col(t, "team", "组别", KEFU_T_TEXT); break;
	case KEFU_BY_VENDOR: rc |= kefu_table_add_col(t, "vendor", "外包商", KEFU_T_TEXT); break;
	case KEFU_BY_SHOP: rc |= kefu_table_add_col(t, "shop", "店铺", KEFU_T_TEXT); break;
	case KEFU_BY_ALL: break;
	}
	if (o->per == KEFU_PER_DAY) {
		rc |= kefu_table_add_col(t, "day", "日期", KEFU_T_TEXT);
	} else {
		if (o->per != KEFU_PER_RANGE)
			rc |= kefu_table_add_col(t, "period", "周期", KEFU_T_TEXT);
		rc |= kefu_table_add_col(t, "from", "开始日期", KEFU_T_TEXT);
		rc |= kefu_table_add_col(t, "to", "结束日期", KEFU_T_TEXT);
	}
	for (int c = 0; c < KEFU_NCOLS; c++) {
		const kefu_col_info *ci = kefu_col_info_of((kefu_col)c);
		rc |= kefu_table_add_col(t, ci->name, ci->zh, ci->is_fen ? KEFU_T_FEN : KEFU_T_INT);
	}
	if (o->by == KEFU_BY_SHOP || o->by == KEFU_BY_ALL) {
		rc |= kefu_table_add_col(t, "paid_fen", "付款总额", KEFU_T_FEN);
		rc |= kefu_table_add_col(t, "paid_orders", "付款订单数", KEFU_T_INT);
		rc |= kefu_table_add_col(t, "silent_fen", "静默销售额", KEFU_T_FEN);
		rc |= kefu_table_add_col(t, "silent_orders", "静默订单数", KEFU_T_INT);
	}
	rc |= kefu_table_add_col(t, "dsr_desc", "描述相符", KEFU_T_MEAN);
	rc |= kefu_table_add_col(t, "dsr_service", "服务态度", KEFU_T_MEAN);
	rc |= kefu_table_add_col(t, "dsr_shipping", "物流服务", KEFU_T_MEAN);
	rc |= kefu_table_add_col(t, "dsr_n", "DSR评价数", KEFU_T_INT);
	for (size_t i = 0; i < NDERIVED; i++)
		rc |= kefu_table_add_col(t, derived_cols[i].name, derived_cols[i].zh, derived_cols[i].type);
	rc |= kefu_table_add_col(t, "provisional", "延迟统计", KEFU_T_FLAG);
	return rc ? KEFU_ENOMEM : 0;
}

static kefu_str key_name(const kefu_dataset *ds, kefu_by by, uint64_t key, int second)
{
	static const kefu_str unknown = {"unknown", 7}, all = {"all", 3}, none = {"", 0};
	switch (by) {
	case KEFU_BY_AGENT:
		return second ? kefu_dict_get(ds->agents, (uint32_t)key)
			      : kefu_dict_get(ds->shops, (uint32_t)(key >> 32));
	case KEFU_BY_TEAM:
		if (second)
			return none;
		return key == UNKNOWN_ID ? unknown : kefu_dict_get(ds->teams, (uint32_t)key);
	case KEFU_BY_VENDOR:
		if (second)
			return none;
		return key == UNKNOWN_ID ? unknown : kefu_dict_get(ds->vendors, (uint32_t)key);
	case KEFU_BY_SHOP: return second ? none : kefu_dict_get(ds->shops, (uint32_t)key);
	default: return second ? none : all;
	}
}

int kefu_report_kpi(kefu_table **out, const kefu_dataset *ds, const kefu_kpi_result *res,
		    const kefu_report_opts *o, kefu_err *err)
{
	*out = NULL;
	kefu_table *t = NULL;
	kefu_key3 *k = NULL;
	group *g = NULL;
	size_t ng = 0;
	dsr_index dx;
	int have_dx = 0;
	int rc = kefu_table_new(&t, "kefu KPI");
	if (rc || (rc = add_columns(t, o)))
		goto fail;
	int recon = (o->by == KEFU_BY_SHOP || o->by == KEFU_BY_ALL) && !o->agents;
	size_t nk = res->n_rows + (recon ? res->n_shop_days : 0);
	k = kefu_malloc((nk + 1) * sizeof *k);
	if (!k) {
		rc = KEFU_ENOMEM;
		goto fail;
	}
	size_t n = 0;
	int64_t min_day = INT64_MAX, max_day = INT64_MIN;
	for (size_t i = 0; i < res->n_rows; i++) {
		const kefu_kpi_row *r = &res->rows[i];
		if (r->day < o->from_day || r->day > o->to_day)
			continue;
		if (o->shops && !kefu_ids_contain(o->shops, o->n_shops, r->shop))
			continue;
		if (o->agents && !kefu_ids_contain(o->agents, o->n_agents, r->agent))
			continue;
		k[n++] = (kefu_key3){group_key(ds, o->by, r->shop, r->agent),
				     (uint64_t)kefu_period_start(o->per, r->day) ^ (1ULL << 63), (uint32_t)i, 0};
		if (r->day < min_day)
			min_day = r->day;
		if (r->day > max_day)
			max_day = r->day;
	}
	if (recon)
		for (size_t i = 0; i < res->n_shop_days; i++) {
			const kefu_shop_day *sd = &res->shop_days[i];
			if (sd->day < o->from_day || sd->day > o->to_day)
				continue;
			if (o->shops && !kefu_ids_contain(o->shops, o->n_shops, sd->shop))
				continue;
			k[n++] = (kefu_key3){group_key(ds, o->by, sd->shop, 0),
					     (uint64_t)kefu_period_start(o->per, sd->day) ^ (1ULL << 63),
					     (uint32_t)i, 1};
			if (sd->day < min_day)
				min_day = sd->day;
			if (sd->day > max_day)
				max_day = sd->day;
		}
	if ((rc = kefu_sort_key3(k, n)))
		goto fail;
	g = kefu_calloc(n + 1, sizeof *g);
	if (!g) {
		rc = KEFU_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || k[i].hi != k[i - 1].hi || k[i].lo != k[i - 1].lo) {
			group *ng_ = &g[ng++];
			ng_->key = k[i].hi;
			ng_->pstart = (int64_t)(k[i].lo ^ (1ULL << 63));
			ng_->first_day = INT64_MAX;
			ng_->last_day = INT64_MIN;
			ng_->name1 = key_name(ds, o->by, ng_->key, 0);
			ng_->name2 = key_name(ds, o->by, ng_->key, 1);
		}
		group *cur = &g[ng - 1];
		int64_t day;
		if (k[i].aux == 0) {
			const kefu_kpi_row *r = &res->rows[k[i].idx];
			day = r->day;
			for (int c = 0; c < KEFU_NCOLS; c++) {
				if (kefu_col_info_of((kefu_col)c)->is_max) {
					if (r->v[c] > cur->v[c])
						cur->v[c] = r->v[c];
				} else if (kefu_add_i64(&cur->v[c], r->v[c])) {
					rc = KEFU_EOVERFLOW;
					goto fail;
				}
			}
			if (!r->final_)
				cur->provisional = 1;
		} else {
			const kefu_shop_day *sd = &res->shop_days[k[i].idx];
			day = sd->day;
			cur->paid_fen += sd->paid_fen;
			cur->paid_orders += sd->paid_orders;
			cur->silent_fen += sd->silent_fen;
			cur->silent_orders += sd->silent_orders;
		}
		if (day < cur->first_day)
			cur->first_day = day;
		if (day > cur->last_day)
			cur->last_day = day;
	}
	qsort(g, ng, sizeof *g, cmp_group);
	if ((rc = dsr_build(&dx, ds, res, o)))
		goto fail;
	have_dx = 1;
	int64_t range_from = o->from_day != INT64_MIN ? o->from_day : min_day;
	int64_t range_to = o->to_day != INT64_MAX ? o->to_day : max_day;
	char buf[64];
	for (size_t i = 0; i < ng; i++) {
		group *cur = &g[i];
		kefu_cell *row;
		if ((rc = kefu_table_add_row(t, &row)))
			goto fail;
		size_t c = 0;
		kefu_str s1 = cur->name1, s2 = cur->name2;
		if (o->by == KEFU_BY_AGENT) {
			if ((rc = kefu_cell_set_text(&row[c++], s1.p, s1.n)) ||
			    (rc = kefu_cell_set_text(&row[c++], s2.p, s2.n)))
				goto fail;
		} else if (o->by != KEFU_BY_ALL) {
			if ((rc = kefu_cell_set_text(&row[c++], s1.p, s1.n)))
				goto fail;
		}
		int64_t pfrom, pto;
		if (o->per == KEFU_PER_RANGE) {
			pfrom = range_from;
			pto = range_to;
		} else {
			pfrom = cur->pstart;
			pto = kefu_period_end(o->per, cur->pstart);
			if (pfrom < o->from_day)
				pfrom = o->from_day;
			if (pto > o->to_day)
				pto = o->to_day;
		}
		if (o->per == KEFU_PER_DAY) {
			kefu_day_format(cur->pstart, buf);
			if ((rc = kefu_cell_set_text(&row[c++], buf, strlen(buf))))
				goto fail;
		} else {
			if (o->per != KEFU_PER_RANGE) {
				period_label(o->per, cur->pstart, buf, sizeof buf);
				if ((rc = kefu_cell_set_text(&row[c++], buf, strlen(buf))))
					goto fail;
			}
			kefu_day_format(pfrom, buf);
			if ((rc = kefu_cell_set_text(&row[c++], buf, strlen(buf))))
				goto fail;
			kefu_day_format(pto, buf);
			if ((rc = kefu_cell_set_text(&row[c++], buf, strlen(buf))))
				goto fail;
		}
		for (int v = 0; v < KEFU_NCOLS; v++) {
			row[c].empty = 0;
			row[c++].num = cur->v[v];
		}
		if (o->by == KEFU_BY_SHOP || o->by == KEFU_BY_ALL) {
			int64_t vals[4] = {cur->paid_fen, cur->paid_orders, cur->silent_fen,
					   cur->silent_orders};
			for (int v = 0; v < 4; v++) {
				row[c].empty = !recon;
				row[c++].num = vals[v];
			}
		}
		int64_t dsr[4];
		dsr_query(&dx, cur->key, pto, dsr);
		for (int v = 0; v < 3; v++) {
			row[c].empty = dsr[3] == 0;
			row[c].num = dsr[v];
			row[c++].den = dsr[3];
		}
		row[c].empty = 0;
		row[c++].num = dsr[3];
		for (size_t d = 0; d < NDERIVED; d++) {
			int64_t den = cur->v[derived_cols[d].den];
			row[c].empty = den == 0;
			row[c].num = cur->v[derived_cols[d].num];
			row[c++].den = den;
		}
		row[c].empty = 0;
		row[c++].num = cur->provisional;
	}
	kefu_free(k);
	kefu_free(g);
	dsr_free(&dx);
	*out = t;
	return 0;
fail:
	kefu_free(k);
	kefu_free(g);
	if (have_dx)
		dsr_free(&dx);
	kefu_table_free(t);
	return kefu_err_set(err, rc, rc == KEFU_EOVERFLOW ? "a sum overflowed int64"
							  : "out of memory building the report");
}
