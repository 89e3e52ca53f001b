/*
 * payroll.c - the provider's side of settlement.md: each roster agent's pay
 * for a month (base prorated by active days + commission on credited
 * sales), its ledger posting, and the margin per contract (invoiced total
 * minus payroll allocated by the agent's share of received chats).
 */
#include "kefu/billing.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "kefu/ledger.h"
#include "kefu/tz.h"

int kefu_payroll_compute(kefu_pay_line **out, size_t *n, const kefu_dataset *ds,
			 const kefu_kpi_result *res, int y, int m, kefu_err *err)
{
	const kefu_roster *r = &ds->roster;
	uint32_t nagents = kefu_dict_size(ds->agents);
	int64_t first = kefu_days_from_civil(y, (unsigned)m, 1);
	int64_t next = m == 12 ? kefu_days_from_civil(y + 1, 1, 1)
			       : kefu_days_from_civil(y, (unsigned)m + 1, 1);
	kefu_pay_line *v = NULL;
	size_t k = 0;
	*out = NULL;
	*n = 0;
	if (!r->row_of_agent || nagents == 0)
		return 0;
	int64_t *sales = kefu_calloc(nagents, sizeof *sales);
	v = kefu_calloc(nagents, sizeof *v);
	if (!sales || !v) {
		kefu_free(sales);
		kefu_free(v);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < res->n_rows; i++) {
		const kefu_kpi_row *row = &res->rows[i];
		if (row->day >= first && row->day < next && row->agent < nagents)
			sales[row->agent] += row->v[KEFU_C_SALES_FEN];
	}
	for (uint32_t a = 0; a < nagents; a++) {
		uint32_t row = r->row_of_agent[a];
		if (row == KEFU_NO_ID)
			continue;
		int64_t base = r->base_month_fen[row];
		uint32_t rate_id = r->commission_rate[row];
		if (base <= 0 && rate_id == KEFU_NO_ID)
			continue;
		kefu_pay_line *l = &v[k];
		memset(l, 0, sizeof *l);
		l->agent = a;
		l->month_days = next - first;
		int64_t from = r->from_day[row] == INT64_MIN || r->from_day[row] < first
				       ? first
				       : r->from_day[row];
		int64_t to = r->to_day[row] == INT64_MAX || r->to_day[row] >= next ? next - 1
										    : r->to_day[row];
		l->active_days = to >= from ? to - from + 1 : 0;
		if (l->active_days == 0)
			continue;
		l->base_month_fen = base > 0 ? base : 0;
		l->base_fen = kefu_round_div((__int128)l->base_month_fen * l->active_days,
					     l->month_days);
		l->rate.num = 0;
		l->rate.den = 1;
		if (rate_id != KEFU_NO_ID) {
			kefu_str t = kefu_dict_get(ds->texts, rate_id);
			if (kefu_ratio_parse(t.p, t.n, &l->rate)) {
				kefu_free(sales);
				kefu_free(v);
				kefu_str an = kefu_dict_get(ds->agents, a);
				return kefu_err_set(err, KEFU_EINVAL,
						    "roster %.*s: commission_rate '%.*s' is not a rate",
						    (int)an.n, an.p, (int)t.n, t.p);
			}
		}
		l->sales_fen = sales[a];
		l->commission_fen = kefu_round_div((__int128)l->sales_fen * l->rate.num, l->rate.den);
		l->total_fen = l->base_fen + l->commission_fen;
		k++;
	}
	kefu_free(sales);
	if (k == 0) {
		kefu_free(v);
		v = NULL;
	}
	*out = v;
	*n = k;
	return 0;
}

/* A numeric cell (table cells start empty). */
static void cell_num(kefu_cell *c, int64_t v)
{
	c->empty = 0;
	c->num = v;
	c->den = 1;
}

static int set_text(kefu_cell *c, kefu_str s)
{
	return kefu_cell_set_text(c, s.p, s.n);
}

int kefu_payroll_table(kefu_table **out, const kefu_dataset *ds, const kefu_pay_line *v,
		       size_t n, kefu_err *err)
{
	static const struct {
		const char *name, *zh;
		kefu_coltype type;
	} cols[] = {{"agent", "客服", KEFU_T_TEXT},          {"vendor", "服务商", KEFU_T_TEXT},
		    {"active_days", "在岗天数", KEFU_T_INT},   {"month_days", "当月天数", KEFU_T_INT},
		    {"base_month_fen", "月底薪", KEFU_T_FEN}, {"base_fen", "底薪", KEFU_T_FEN},
		    {"sales_fen", "销售额", KEFU_T_FEN},       {"commission_rate", "提成比例", KEFU_T_RATE},
		    {"commission_fen", "提成", KEFU_T_FEN},   {"total_fen", "合计", KEFU_T_FEN}};
	kefu_table *t = NULL;
	*out = NULL;
	if (kefu_table_new(&t, "payroll"))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		if (kefu_table_add_col(t, cols[i].name, cols[i].zh, cols[i].type))
			goto oom;
	for (size_t i = 0; i < n; i++) {
		kefu_cell *r;
		if (kefu_table_add_row(t, &r))
			goto oom;
		uint32_t row = ds->roster.row_of_agent[v[i].agent];
		kefu_str vendor = {"", 0};
		if (row != KEFU_NO_ID && ds->roster.vendor[row] != KEFU_NO_ID)
			vendor = kefu_dict_get(ds->vendors, ds->roster.vendor[row]);
		if (set_text(&r[0], kefu_dict_get(ds->agents, v[i].agent)) || set_text(&r[1], vendor))
			goto oom;
		cell_num(&r[2], v[i].active_days);
		cell_num(&r[3], v[i].month_days);
		cell_num(&r[4], v[i].base_month_fen);
		cell_num(&r[5], v[i].base_fen);
		cell_num(&r[6], v[i].sales_fen);
		cell_num(&r[7], v[i].rate.num);
		r[7].den = v[i].rate.den;
		cell_num(&r[8], v[i].commission_fen);
		cell_num(&r[9], v[i].total_fen);
	}
	*out = t;
	return 0;
oom:
	kefu_table_free(t);
	return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
}

int kefu_payroll_post(kefu_store *st, const kefu_dataset *ds, const kefu_pay_line *v, size_t n,
		      int y, int m, long *added, kefu_err *err)
{
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	char period[16];
	int rc;
	*added = 0;
	snprintf(period, sizeof period, "%04d-%02d", y, m);
	if ((rc = kefu_billing_open(st, err)))
		return rc;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return kefu_err_set(err, KEFU_ESTORE, "payroll: %s", sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO billing_payroll(period, agent, base_fen, commission_fen)"
			       " VALUES(?1,?2,?3,?4) ON CONFLICT(period, agent) DO UPDATE SET"
			       " base_fen=excluded.base_fen, commission_fen=excluded.commission_fen",
			       -1, &s, NULL) != SQLITE_OK) {
		rc = kefu_err_set(err, KEFU_ESTORE, "payroll: %s", sqlite3_errmsg(db));
		goto fail;
	}
	int64_t last = m == 12 ? kefu_days_from_civil(y + 1, 1, 1) - 1
			       : kefu_days_from_civil(y, (unsigned)m + 1, 1) - 1;
	for (size_t i = 0; i < n; i++) {
		kefu_str an = kefu_dict_get(ds->agents, v[i].agent);
		kefu_posting p[3];
		kefu_transfer t;
		memset(p, 0, sizeof p);
		memset(&t, 0, sizeof t);
		snprintf(p[0].account, sizeof p[0].account, "expense:payroll");
		p[0].amount_fen = v[i].total_fen;
		snprintf(p[1].account, sizeof p[1].account, "payable:salary");
		p[1].amount_fen = -v[i].base_fen;
		snprintf(p[2].account, sizeof p[2].account, "payable:commission");
		p[2].amount_fen = -v[i].commission_fen;
		snprintf(t.id, sizeof t.id, "payroll:%s:%.*s", period, (int)an.n, an.p);
		t.day = last;
		snprintf(t.kind, sizeof t.kind, "payroll");
		snprintf(t.ref, sizeof t.ref, "%.*s", (int)an.n, an.p);
		t.p = p;
		t.n = 3;
		int a = 0;
		if ((rc = kefu_ledger_post(st, &t, &a, err)))
			goto fail;
		*added += a;
		sqlite3_bind_text(s, 1, period, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, an.p, (int)an.n, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, v[i].base_fen);
		sqlite3_bind_int64(s, 4, v[i].commission_fen);
		if (sqlite3_step(s) != SQLITE_DONE) {
			rc = kefu_err_set(err, KEFU_ESTORE, "payroll: %s", sqlite3_errmsg(db));
			goto fail;
		}
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		s = NULL;
		rc = kefu_err_set(err, KEFU_ESTORE, "payroll: %s", sqlite3_errmsg(db));
		goto fail;
	}
	return 0;
fail:
	sqlite3_finalize(s);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

#define WEIGHT 720720 /* lcm(1..16) */

int kefu_margin_table(kefu_table **out, kefu_store *st, const kefu_contract *const *cs,
		      size_t ncs, const kefu_dataset *ds, const kefu_kpi_result *res,
		      const kefu_pay_line *pay, size_t npay, int y, int m, kefu_err *err)
{
	static const struct {
		const char *name, *zh;
		kefu_coltype type;
	} cols[] = {{"contract", "合同", KEFU_T_TEXT},      {"merchant", "商家", KEFU_T_TEXT},
		    {"period", "账期", KEFU_T_TEXT},        {"invoiced_fen", "开票金额", KEFU_T_FEN},
		    {"payroll_fen", "分摊人力成本", KEFU_T_FEN}, {"margin_fen", "毛利", KEFU_T_FEN},
		    {"margin_rate", "毛利率", KEFU_T_RATE}};
	uint32_t nagents = kefu_dict_size(ds->agents), nshops = kefu_dict_size(ds->shops);
	int64_t first = kefu_days_from_civil(y, (unsigned)m, 1);
	int64_t next = m == 12 ? kefu_days_from_civil(y + 1, 1, 1)
			       : kefu_days_from_civil(y, (unsigned)m + 1, 1);
	char period[16];
	kefu_table *t = NULL;
	int rc = 0;
	*out = NULL;
	snprintf(period, sizeof period, "%04d-%02d", y, m);
	/* received chats per agent: total, and per contract */
	int64_t *total = kefu_calloc((size_t)nagents + 1, sizeof *total);
	int64_t *per = kefu_calloc(((size_t)nagents + 1) * (ncs + 1), sizeof *per);
	uint8_t *in = kefu_calloc(((size_t)nshops + 1) * (ncs + 1), 1);
	if (!total || !per || !in) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t c = 0; c < ncs; c++)
		for (size_t i = 0; i < cs[c]->n_shops; i++) {
			uint32_t id;
			if (!kefu_dict_find(ds->shops, cs[c]->shops[i], strlen(cs[c]->shops[i]), &id))
				in[(size_t)id * ncs + c] = 1;
		}
	for (size_t i = 0; i < res->n_chats; i++) {
		const kefu_chat *ch = &res->chats[i];
		if (!ch->received || ch->day < first || ch->day >= next || ch->agent >= nagents)
			continue;
		/* a chat on a shop of k contracts counts 1/k for each (exact for
		 * k <= 16 with weights in units of 1/720720) */
		int64_t k = 0;
		for (size_t c = 0; c < ncs; c++)
			k += in[(size_t)ch->shop * ncs + c];
		total[ch->agent] += WEIGHT;
		for (size_t c = 0; k && c < ncs; c++)
			if (in[(size_t)ch->shop * ncs + c])
				per[(size_t)ch->agent * ncs + c] += WEIGHT / k;
	}
	if (kefu_table_new(&t, "margin")) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		if (kefu_table_add_col(t, cols[i].name, cols[i].zh, cols[i].type)) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto done;
		}
	for (size_t c = 0; c < ncs; c++) {
		kefu_invoice *inv = NULL;
		size_t ninv = 0;
		int64_t invoiced = 0, cost = 0;
		if ((rc = kefu_billing_load(st, cs[c]->id, y, m, &inv, &ninv, err)))
			goto done;
		for (size_t i = 0; i < ninv; i++)
			invoiced += inv[i].total_fen;
		kefu_invoices_free(inv, ninv);
		for (size_t i = 0; i < npay; i++) {
			uint32_t a = pay[i].agent;
			if (total[a] == 0)
				continue;
			cost += kefu_round_div((__int128)pay[i].total_fen * per[(size_t)a * ncs + c],
					       total[a]);
		}
		kefu_cell *r;
		if (kefu_table_add_row(t, &r) ||
		    kefu_cell_set_text(&r[0], cs[c]->id, strlen(cs[c]->id)) ||
		    kefu_cell_set_text(&r[1], cs[c]->merchant, strlen(cs[c]->merchant)) ||
		    kefu_cell_set_text(&r[2], period, strlen(period))) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto done;
		}
		cell_num(&r[3], invoiced);
		cell_num(&r[4], cost);
		cell_num(&r[5], invoiced - cost);
		cell_num(&r[6], invoiced - cost);
		r[6].den = invoiced;
		r[6].empty = invoiced <= 0;
	}
	kefu_table_add_meta(t, "allocation",
			    "each agent's payroll is allocated to contracts by the agent's share of "
			    "received chats (接待) on the contract's shops in the month");
	*out = t;
	t = NULL;
done:
	kefu_table_free(t);
	kefu_free(total);
	kefu_free(per);
	kefu_free(in);
	return rc;
}
