/*
 * review.c - settlement.md "Renewal review": per billing period of a
 * contract, what the merchant decides renewal on: the invoiced total, the
 * provider's KPIs against the SLA targets beside the in-house agents' KPIs
 * on the same shops, and (provider's view) payroll and margin.
 */
#include "kefu/billing.h"

#include <stdio.h>
#include <string.h>

static void cell_num(kefu_cell *c, int64_t v)
{
	c->empty = 0;
	c->num = v;
	c->den = 1;
}

static void cell_ratio(kefu_cell *c, int64_t num, int64_t den)
{
	c->empty = den == 0;
	c->num = num;
	c->den = den ? den : 1;
}

static int met(kefu_sla_op op, int64_t num, int64_t den, kefu_ratio t)
{
	__int128 l = (__int128)num * t.den, r = (__int128)t.num * den;
	return op == KEFU_OP_LE ? l <= r : op == KEFU_OP_LT ? l < r : op == KEFU_OP_GE ? l >= r : l > r;
}

int kefu_review_table(kefu_table **out, kefu_store *st, const kefu_contract *c,
		      const kefu_billing_data *d, int64_t through_day,
		      const kefu_contract *const *all, size_t nall, kefu_err *err)
{
	kefu_table *t = NULL;
	kefu_period *ps = NULL;
	size_t np = 0;
	char name[96], zh[96];
	int rc;
	*out = NULL;
	if ((rc = kefu_billing_periods(&ps, &np, c, through_day, err)))
		return rc;
	if (kefu_table_new(&t, "renewal review"))
		goto oom;
	if (kefu_table_add_col(t, "period", "账期", KEFU_T_TEXT) ||
	    kefu_table_add_col(t, "days", "天数", KEFU_T_INT) ||
	    kefu_table_add_col(t, "invoiced_fen", "开票金额", KEFU_T_FEN) ||
	    kefu_table_add_col(t, "sales_fen", "服务商销售额", KEFU_T_FEN) ||
	    kefu_table_add_col(t, "inhouse_sales_fen", "自营销售额", KEFU_T_FEN))
		goto oom;
	for (size_t i = 0; i < c->n_sla; i++) {
		const char *m = kefu_sla_metric_name(c->sla[i].metric);
		kefu_coltype ty = kefu_sla_metric_is_rate(c->sla[i].metric) ? KEFU_T_RATE : KEFU_T_MEAN;
		snprintf(name, sizeof name, "%s", m);
		snprintf(zh, sizeof zh, "%s 服务商", m);
		if (kefu_table_add_col(t, name, zh, ty))
			goto oom;
		snprintf(name, sizeof name, "%s_met", m);
		snprintf(zh, sizeof zh, "%s 达标 (%s)", m, c->sla[i].target_text);
		if (kefu_table_add_col(t, name, zh, KEFU_T_FLAG))
			goto oom;
		snprintf(name, sizeof name, "%s_inhouse", m);
		snprintf(zh, sizeof zh, "%s 自营", m);
		if (kefu_table_add_col(t, name, zh, ty))
			goto oom;
	}
	if (all && (kefu_table_add_col(t, "payroll_fen", "分摊人力成本", KEFU_T_FEN) ||
		    kefu_table_add_col(t, "margin_fen", "毛利", KEFU_T_FEN)))
		goto oom;
	for (size_t i = 0; i < np; i++) {
		const kefu_period *p = &ps[i];
		kefu_period_kpi k, h;
		kefu_invoice *inv = NULL;
		size_t ninv = 0;
		int64_t invoiced = 0;
		char period[16];
		if ((rc = kefu_billing_collect_ex(&k, NULL, c, p, d, 0, err)) ||
		    (rc = kefu_billing_collect_ex(&h, NULL, c, p, d, 1, err)) ||
		    (rc = kefu_billing_load(st, c->id, p->y, p->m, &inv, &ninv, err)))
			goto fail;
		for (size_t j = 0; j < ninv; j++)
			invoiced += inv[j].total_fen;
		kefu_invoices_free(inv, ninv);
		kefu_cell *r;
		if (kefu_table_add_row(t, &r))
			goto oom;
		snprintf(period, sizeof period, "%04d-%02d", p->y, p->m);
		if (kefu_cell_set_text(&r[0], period, strlen(period)))
			goto oom;
		cell_num(&r[1], p->last_day - p->first_day + 1);
		cell_num(&r[2], invoiced);
		cell_num(&r[3], k.sales_fen);
		cell_num(&r[4], h.sales_fen);
		size_t col = 5;
		for (size_t j = 0; j < c->n_sla; j++) {
			const kefu_sla_rule *rule = &c->sla[j];
			int64_t num = k.num[rule->metric], den = k.den[rule->metric];
			cell_ratio(&r[col], num, den);
			if (den) {
				cell_num(&r[col + 1], met(rule->op, num, den, rule->target));
			}
			cell_ratio(&r[col + 2], h.num[rule->metric], h.den[rule->metric]);
			col += 3;
		}
		if (all) {
			kefu_pay_line *pay = NULL;
			size_t npay = 0;
			kefu_table *mt = NULL;
			if ((rc = kefu_payroll_compute(&pay, &npay, d->ds, d->res, p->y, p->m, err)) ||
			    (rc = kefu_margin_table(&mt, st, all, nall, d->ds, d->res, pay, npay, p->y,
						    p->m, err))) {
				kefu_free(pay);
				goto fail;
			}
			for (size_t row = 0; row < mt->nrows; row++) {
				const kefu_cell *mc = kefu_table_cell(mt, row, 0);
				if (mc->text && !strcmp(mc->text, c->id)) {
					int64_t cost = kefu_table_cell(mt, row, 4)->num;
					cell_num(&r[col], cost);
					cell_num(&r[col + 1], invoiced - cost);
				}
			}
			kefu_table_free(mt);
			kefu_free(pay);
		}
	}
	kefu_table_add_meta(t, "contract", c->id);
	kefu_table_add_meta(t, "inhouse",
			    "the other agents on the contract's shops, all hours; the provider's "
			    "KPIs are inside coverage for partial contracts");
	kefu_free(ps);
	*out = t;
	return 0;
oom:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
fail:
	kefu_free(ps);
	kefu_table_free(t);
	return rc;
}
