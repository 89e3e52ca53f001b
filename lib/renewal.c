/*
 * renewal.c - the renewal review document (renewal.h): SLA months, invoices,
 * side-by-side comparison and the recommendation, built on the billing
 * engine (periods, period KPIs, invoice lines) and the vendor comparison;
 * written as a self-contained HTML page or an XLSX workbook.
 */
#include "kefu/renewal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "kefu/coverage.h"
#include "kefu/vendor.h"

const char *kefu_renewal_verdict_name(kefu_renewal_verdict v)
{
	switch (v) {
	case KEFU_RENEWAL_RENEW: return "renew";
	case KEFU_RENEWAL_RENEW_CHANGED_SLA: return "renew with changed SLA";
	default: return "do not renew";
	}
}

const char *kefu_renewal_verdict_zh(kefu_renewal_verdict v)
{
	switch (v) {
	case KEFU_RENEWAL_RENEW: return "续约";
	case KEFU_RENEWAL_RENEW_CHANGED_SLA: return "调整SLA后续约";
	default: return "不续约";
	}
}

void kefu_renewal_free(kefu_renewal *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_reasons; i++)
		kefu_free(r->reasons[i]);
	kefu_free(r->reasons);
	kefu_table_free(r->overview);
	kefu_table_free(r->sla);
	kefu_table_free(r->invoices);
	kefu_table_free(r->compare);
	kefu_free(r);
}

static int add_reason(kefu_renewal *r, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int add_reason(kefu_renewal *r, size_t *cap, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (kefu_grow((void **)&r->reasons, cap, r->n_reasons + 1, sizeof *r->reasons))
		return KEFU_ENOMEM;
	char *s = kefu_strndup(buf, strlen(buf));
	if (!s)
		return KEFU_ENOMEM;
	r->reasons[r->n_reasons++] = s;
	return 0;
}

static void cnum(kefu_cell *c, int64_t num, int64_t den)
{
	c->empty = 0;
	c->num = num;
	c->den = den;
}

static int ctext(kefu_cell *c, const char *s)
{
	return kefu_cell_set_text(c, s, strlen(s));
}

/* a/b OP c/d with b, d > 0. */
static int meets(kefu_sla_op op, int64_t a, int64_t b, int64_t c, int64_t d)
{
	__int128 x = (__int128)a * d, y = (__int128)c * b;
	switch (op) {
	case KEFU_OP_LE: return x <= y;
	case KEFU_OP_LT: return x < y;
	case KEFU_OP_GE: return x >= y;
	default: return x > y;
	}
}

static void value_text(kefu_sla_metric m, int64_t num, int64_t den, char *buf)
{
	if (kefu_sla_metric_is_rate(m)) {
		char tmp[48];
		kefu_decimal_format(num, den, 2, 2, 0, tmp);
		snprintf(buf, 64, "%s%%", tmp);
	} else {
		kefu_decimal_format(num, den, 0, 2, 0, buf);
	}
}

static void month_text(int y, int m, char *buf)
{
	snprintf(buf, 16, "%04d-%02d", y, m);
}

static const char *kind_text(kefu_invoice_kind k)
{
	return k == KEFU_INV_POSTPAY ? "postpay" : k == KEFU_INV_PREPAY_FIXED ? "prepay fixed" : "prepay variable";
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Finds the value of a compare row's column: group g in segment seg. */
static const kefu_cell *cmp_cell(const kefu_table *t, const char *seg, const char *g,
				 const char *col)
{
	long sc = kefu_table_col(t, "segment"), gc = kefu_table_col(t, "group"),
	     cc = kefu_table_col(t, col);
	if (sc < 0 || gc < 0 || cc < 0)
		return NULL;
	for (size_t r = 0; r < t->nrows; r++) {
		const kefu_cell *a = kefu_table_cell(t, r, (size_t)sc), *b = kefu_table_cell(t, r, (size_t)gc);
		if (a->text && b->text && !strcmp(a->text, seg) && !strcmp(b->text, g))
			return kefu_table_cell(t, r, (size_t)cc);
	}
	return NULL;
}

int kefu_renewal_build(kefu_renewal **out, const kefu_renewal_opts *o, kefu_err *err)
{
	*out = NULL;
	const kefu_contract *c = o->contract;
	const kefu_billing_data *d = o->data;
	kefu_renewal *r = kefu_calloc(1, sizeof *r);
	kefu_period *ps = NULL;
	size_t np = 0, rcap = 0;
	kefu_invoice *inv = NULL;
	size_t ninv = 0;
	uint32_t *shop_ids = NULL;
	int rc = 0;
	char buf[512], b2[64];
	if (!r)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	/* the term under review */
	int64_t start = c->start_day, end = kefu_contract_term_end(c, c->start_day);
	if (o->day != INT64_MIN)
		while (end < o->day && c->renew_auto) {
			start = end + 1;
			end = kefu_contract_term_end(c, start);
		}
	r->term_start = start;
	r->term_end = end;
	r->through = o->day == INT64_MIN || o->day > end ? end : o->day;
	if (r->through < start) {
		kefu_renewal_free(r);
		return kefu_err_set(err, KEFU_EINVAL, "review day is before the contract starts");
	}
	if ((rc = kefu_billing_periods(&ps, &np, c, r->through, err)))
		goto fail;
	/* tables */
	rc = kefu_table_new(&r->sla, "SLA by month");
	rc |= kefu_table_add_col(r->sla, "month", "月份", KEFU_T_TEXT);
	rc |= kefu_table_add_col(r->sla, "days", "服务天数", KEFU_T_INT);
	rc |= kefu_table_add_col(r->sla, "chats", "覆盖会话数", KEFU_T_INT);
	rc |= kefu_table_add_col(r->sla, "metric", "指标", KEFU_T_TEXT);
	rc |= kefu_table_add_col(r->sla, "value", "实际值", KEFU_T_TEXT);
	rc |= kefu_table_add_col(r->sla, "target", "目标", KEFU_T_TEXT);
	rc |= kefu_table_add_col(r->sla, "result", "结果", KEFU_T_TEXT);
	rc |= kefu_table_add_col(r->sla, "adjustment_fen", "奖惩金额", KEFU_T_FEN);
	rc |= kefu_table_new(&r->invoices, "Invoices");
	rc |= kefu_table_add_col(r->invoices, "invoice", "发票", KEFU_T_TEXT);
	rc |= kefu_table_add_col(r->invoices, "month", "月份", KEFU_T_TEXT);
	rc |= kefu_table_add_col(r->invoices, "kind", "类型", KEFU_T_TEXT);
	rc |= kefu_table_add_col(r->invoices, "issue", "开票日", KEFU_T_TEXT);
	rc |= kefu_table_add_col(r->invoices, "due", "到期日", KEFU_T_TEXT);
	rc |= kefu_table_add_col(r->invoices, "line", "项目", KEFU_T_TEXT);
	rc |= kefu_table_add_col(r->invoices, "amount_fen", "金额", KEFU_T_FEN);
	if (rc)
		goto nomem;
	/* failed metrics, for the reasons: per rule, the months missed */
	char missed[16][256];
	size_t nrules = c->n_sla < 16 ? c->n_sla : 16;
	memset(missed, 0, sizeof missed);
	r->invoices_recorded = o->stored != NULL;
	for (size_t pi = 0; pi < np; pi++) {
		const kefu_period *p = &ps[pi];
		if (p->last_day < start || p->first_day > end)
			continue;
		r->months++;
		kefu_period_kpi k;
		if ((rc = kefu_billing_collect(&k, NULL, c, p, d, err)) ||
		    (rc = kefu_billing_compute(&inv, &ninv, c, p, &k, err)))
			goto fail;
		char month[16];
		month_text(p->y, p->m, month);
		int any_data = 0, any_fail = 0;
		for (size_t s = 0; s < c->n_sla; s++) {
			const kefu_sla_rule *rule = &c->sla[s];
			kefu_cell *row;
			if (kefu_table_add_row(r->sla, &row))
				goto nomem;
			rc = ctext(&row[0], month);
			cnum(&row[1], p->last_day - p->first_day + 1, 0);
			cnum(&row[2], k.chats_covered, 0);
			rc |= ctext(&row[3], kefu_sla_metric_name(rule->metric));
			int64_t num = k.num[rule->metric], den = k.den[rule->metric];
			const char *result;
			if (den <= 0) {
				rc |= ctext(&row[4], "");
				result = "no data";
			} else {
				any_data = 1;
				value_text(rule->metric, num, den, buf);
				rc |= ctext(&row[4], buf);
				int ok = meets(rule->op, num, den, rule->target.num, rule->target.den);
				result = ok ? "pass" : "fail";
				if (!ok) {
					any_fail = 1;
					if (s < nrules) {
						size_t l = strlen(missed[s]);
						snprintf(missed[s] + l, sizeof missed[s] - l, "%s%s (%s)",
							 l ? ", " : "", month, buf);
					}
				}
			}
			rc |= ctext(&row[5], rule->target_text);
			rc |= ctext(&row[6], result);
			int64_t adj = 0;
			for (size_t i = 0; i < ninv; i++)
				for (size_t l = 0; l < inv[i].n_lines; l++)
					if (inv[i].lines[l].kind == KEFU_LINE_SLA && inv[i].lines[l].sla == (int)s)
						adj += inv[i].lines[l].amount_fen;
			cnum(&row[7], adj, 0);
			if (rc)
				goto nomem;
		}
		r->months_with_data += (size_t)any_data;
		r->months_failed += (size_t)any_fail;
		if (!o->stored) {
			/* invoices computed from the data */
			for (size_t i = 0; i < ninv; i++) {
				kefu_invoice_set_id(&inv[i], c->id);
				for (size_t l = 0; l <= inv[i].n_lines; l++) {
					kefu_cell *row;
					if (kefu_table_add_row(r->invoices, &row))
						goto nomem;
					const kefu_bill_line *bl = l < inv[i].n_lines ? &inv[i].lines[l] : NULL;
					rc = ctext(&row[0], inv[i].id);
					rc |= ctext(&row[1], month);
					rc |= ctext(&row[2], kind_text(inv[i].kind));
					kefu_day_format(inv[i].issue_day, b2);
					rc |= ctext(&row[3], b2);
					kefu_day_format(inv[i].due_day, b2);
					rc |= ctext(&row[4], b2);
					rc |= ctext(&row[5], bl ? bl->label : "total");
					cnum(&row[6], bl ? bl->amount_fen : inv[i].total_fen, 0);
					if (rc)
						goto nomem;
					if (bl && bl->kind == KEFU_LINE_SLA) {
						if (bl->amount_fen < 0)
							r->penalties_fen += bl->amount_fen;
						else
							r->bonuses_fen += bl->amount_fen;
					}
				}
				r->invoiced_fen += inv[i].total_fen;
			}
		}
		kefu_invoices_free(inv, ninv);
		inv = NULL;
		ninv = 0;
	}
	if (o->stored) {
		for (size_t i = 0; i < o->n_stored; i++) {
			const kefu_invoice *si = &o->stored[i];
			int64_t mfirst = kefu_days_from_civil(si->y, (unsigned)si->m, 1);
			int64_t mnext = si->m == 12 ? kefu_days_from_civil(si->y + 1, 1, 1)
						    : kefu_days_from_civil(si->y, (unsigned)si->m + 1, 1);
			if (mfirst > r->through || mnext <= start)
				continue; /* another term */
			char month[16];
			month_text(si->y, si->m, month);
			for (size_t l = 0; l <= si->n_lines; l++) {
				kefu_cell *row;
				if (kefu_table_add_row(r->invoices, &row))
					goto nomem;
				const kefu_bill_line *bl = l < si->n_lines ? &si->lines[l] : NULL;
				rc = ctext(&row[0], si->id);
				rc |= ctext(&row[1], month);
				rc |= ctext(&row[2], kind_text(si->kind));
				kefu_day_format(si->issue_day, b2);
				rc |= ctext(&row[3], b2);
				kefu_day_format(si->due_day, b2);
				rc |= ctext(&row[4], b2);
				rc |= ctext(&row[5], bl ? bl->label : "total");
				cnum(&row[6], bl ? bl->amount_fen : si->total_fen, 0);
				if (rc)
					goto nomem;
				if (bl && bl->kind == KEFU_LINE_SLA) {
					if (bl->amount_fen < 0)
						r->penalties_fen += bl->amount_fen;
					else
						r->bonuses_fen += bl->amount_fen;
				}
			}
			r->invoiced_fen += si->total_fen;
		}
	}
	/* side by side: the contract's shops over the term reviewed */
	shop_ids = kefu_calloc(c->n_shops + 1, sizeof *shop_ids);
	if (!shop_ids)
		goto nomem;
	size_t nsh = 0;
	for (size_t i = 0; i < c->n_shops; i++) {
		uint32_t id;
		if (kefu_dict_find(d->ds->shops, c->shops[i], strlen(c->shops[i]), &id) == 0)
			shop_ids[nsh++] = id;
	}
	qsort(shop_ids, nsh, sizeof *shop_ids, cmp_u32);
	kefu_coverage cov;
	memset(&cov, 0, sizeof cov);
	if (c->mode == KEFU_MODE_PARTIAL)
		for (size_t i = 0; i < c->n_cov && cov.n < KEFU_COVERAGE_MAX; i++) {
			cov.start[cov.n] = c->cov_start[i];
			cov.end[cov.n] = c->cov_end[i];
			cov.n++;
		}
	kefu_vendor_compare_opts co = KEFU_VENDOR_COMPARE_OPTS_INIT;
	co.from_day = start;
	co.to_day = r->through;
	co.shops = shop_ids;
	co.n_shops = nsh;
	co.coverage = cov.n ? &cov : NULL;
	co.shop_settings = d->vs;
	co.n_shop_settings = d->nvs;
	const char *ids[1] = {c->vendor}, *labels[1] = {o->vendor_name};
	if (o->vendor_name) {
		co.label_ids = ids;
		co.labels = labels;
		co.n_labels = 1;
	}
	if ((rc = kefu_vendor_compare(&r->compare, d->ds, d->res, &co, err)))
		goto fail;

	/* recommendation */
	const char *seg = cov.n ? "inside" : "all";
	const kefu_cell *vc = cmp_cell(r->compare, seg, c->vendor, "conv_rate"),
			*ic = cmp_cell(r->compare, seg, "inhouse", "conv_rate"),
			*vf = cmp_cell(r->compare, seg, c->vendor, "first_resp_s"),
			*iff = cmp_cell(r->compare, seg, "inhouse", "first_resp_s");
	int worse_both = vc && ic && vf && iff && !vc->empty && !ic->empty && !vf->empty &&
			 !iff->empty && meets(KEFU_OP_LT, vc->num, vc->den, ic->num, ic->den) &&
			 meets(KEFU_OP_GT, vf->num, vf->den, iff->num, iff->den);
	if (r->months_with_data == 0 && c->n_sla) {
		r->verdict = KEFU_RENEWAL_DO_NOT_RENEW;
		rc = add_reason(r, &rcap,
				"no SLA KPI could be computed in any month of the term: kefu has no "
				"chats of %s's agents on the contract's shops%s, so nothing shows the "
				"service was delivered",
				c->vendor, cov.n ? " inside the coverage windows" : "");
	} else if (r->months_failed * 2 > r->months_with_data) {
		r->verdict = KEFU_RENEWAL_DO_NOT_RENEW;
		rc = add_reason(r, &rcap, "SLA missed in %zu of %zu months with data", r->months_failed,
				r->months_with_data);
	} else if (r->months_failed > 0) {
		r->verdict = KEFU_RENEWAL_RENEW_CHANGED_SLA;
		rc = add_reason(r, &rcap,
				"SLA missed in %zu of %zu months with data: renew only with the missed "
				"targets renegotiated or their penalties raised",
				r->months_failed, r->months_with_data);
	} else {
		r->verdict = KEFU_RENEWAL_RENEW;
		if (c->n_sla)
			rc = add_reason(r, &rcap, "every SLA target met in all %zu months with data",
					r->months_with_data);
		else
			rc = add_reason(r, &rcap, "the contract has no SLA targets");
	}
	for (size_t s = 0; !rc && s < nrules; s++)
		if (missed[s][0])
			rc = add_reason(r, &rcap, "%s %s missed in %s",
					kefu_sla_metric_name(c->sla[s].metric), c->sla[s].target_text,
					missed[s]);
	if (!rc && worse_both) {
		char a[48], b[48], x[48], y[48];
		kefu_decimal_format(vc->num, vc->den, 2, 2, 0, a);
		kefu_decimal_format(ic->num, ic->den, 2, 2, 0, b);
		kefu_decimal_format(vf->num, vf->den, 0, 2, 0, x);
		kefu_decimal_format(iff->num, iff->den, 0, 2, 0, y);
		rc = add_reason(r, &rcap,
				"on the same shops and %s, %s converts less (%s%% vs %s%%) and answers "
				"slower (first response %s s vs %s s) than the in-house agents",
				cov.n ? "hours" : "period", c->vendor, a, b, x, y);
		if (!rc && r->verdict == KEFU_RENEWAL_RENEW)
			r->verdict = KEFU_RENEWAL_RENEW_CHANGED_SLA;
	} else if (!rc && vc && ic && !vc->empty && !ic->empty) {
		char a[48], b[48];
		kefu_decimal_format(vc->num, vc->den, 2, 2, 0, a);
		kefu_decimal_format(ic->num, ic->den, 2, 2, 0, b);
		rc = add_reason(r, &rcap, "询单转化率 %s%% for %s vs %s%% for the in-house agents on the same %s",
				a, c->vendor, b, cov.n ? "hours" : "shops and period");
	}
	if (!rc && (r->penalties_fen || r->bonuses_fen)) {
		char a[48], b[48];
		kefu_money_format(-r->penalties_fen, a);
		kefu_money_format(r->bonuses_fen, b);
		rc = add_reason(r, &rcap, "SLA penalties %s, bonuses %s over the term", a, b);
	}
	if (rc)
		goto nomem;

	/* overview */
	if (kefu_table_new(&r->overview, "Renewal review") ||
	    kefu_table_add_col(r->overview, "item", "项目", KEFU_T_TEXT) ||
	    kefu_table_add_col(r->overview, "value", "内容", KEFU_T_TEXT))
		goto nomem;
	char t1[16], t2[16], t3[16], covtxt[256] = "";
	kefu_day_format(start, t1);
	kefu_day_format(end, t2);
	kefu_day_format(r->through, t3);
	if (cov.n)
		kefu_coverage_format(&cov, covtxt, sizeof covtxt);
	char shops[512] = "";
	for (size_t i = 0; i < c->n_shops; i++) {
		size_t l = strlen(shops);
		snprintf(shops + l, sizeof shops - l, "%s%s", i ? ", " : "", c->shops[i]);
	}
	char term[64], reviewed[64], inv_total[48], months[64], verdict[128];
	snprintf(term, sizeof term, "%s .. %s", t1, t2);
	snprintf(reviewed, sizeof reviewed, "%s .. %s", t1, t3);
	kefu_money_format(r->invoiced_fen, inv_total);
	snprintf(months, sizeof months, "%zu months, %zu with data, %zu failed", r->months,
		 r->months_with_data, r->months_failed);
	snprintf(verdict, sizeof verdict, "%s (%s)", kefu_renewal_verdict_name(r->verdict),
		 kefu_renewal_verdict_zh(r->verdict));
	const char *items[][2] = {
		{"contract 合同", c->id},
		{"vendor 外包商", o->vendor_name ? o->vendor_name : c->vendor},
		{"merchant 商家", c->merchant ? c->merchant : ""},
		{"shops 店铺", shops},
		{"mode 模式", c->mode == KEFU_MODE_PARTIAL ? "partial 部分外包" : "full 全店外包"},
		{"coverage 覆盖时段", cov.n ? covtxt : "all hours"},
		{"term 合同期", term},
		{"reviewed 评估区间", reviewed},
		{"SLA months 月度SLA", months},
		{"invoiced 开票合计", inv_total},
		{"invoices 发票来源", r->invoices_recorded ? "recorded in the store" : "computed from the data (not recorded)"},
		{"recommendation 建议", verdict},
	};
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
		kefu_cell *row;
		if (kefu_table_add_row(r->overview, &row) || ctext(&row[0], items[i][0]) ||
		    ctext(&row[1], items[i][1]))
			goto nomem;
	}
	kefu_free(ps);
	kefu_free(shop_ids);
	*out = r;
	return 0;
nomem:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
fail:
	kefu_invoices_free(inv, ninv);
	kefu_free(ps);
	kefu_free(shop_ids);
	kefu_renewal_free(r);
	return rc;
}

/* ---------------------------------------------------------------- HTML */

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void html_table(FILE *f, const kefu_table *t, const char *cls)
{
	fprintf(f, "<table class=\"%s\"><thead><tr>", cls);
	for (size_t c = 0; c < t->ncols; c++) {
		fputs("<th>", f);
		esc(f, t->cols[c].zh);
		fputs("<br><small>", f);
		esc(f, t->cols[c].name);
		fputs("</small></th>", f);
	}
	fputs("</tr></thead><tbody>\n", f);
	long res_col = kefu_table_col(t, "result");
	for (size_t r = 0; r < t->nrows; r++) {
		const char *rc = "";
		if (res_col >= 0) {
			const kefu_cell *x = kefu_table_cell(t, r, (size_t)res_col);
			rc = x->text && !strcmp(x->text, "fail") ? " class=\"fail\""
			     : x->text && !strcmp(x->text, "pass") ? " class=\"pass\"" : "";
		}
		fprintf(f, "<tr%s>", rc);
		for (size_t c = 0; c < t->ncols; c++) {
			char buf[1024];
			kefu_cell_format(&t->cols[c], kefu_table_cell(t, r, c), 1, buf, sizeof buf);
			fputs(t->cols[c].type == KEFU_T_TEXT ? "<td>" : "<td class=\"n\">", f);
			esc(f, buf);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

int kefu_renewal_html(FILE *f, const kefu_renewal *r, kefu_err *err)
{
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
	      "<title>kefu renewal review 续约评估</title><style>"
	      "body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:2em;color:#222}"
	      "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px}"
	      "th{background:#f4f4f4;font-weight:600}td.n{text-align:right}small{color:#777}"
	      "tr.fail td{background:#fde8e8}tr.pass td{background:#eef8ee}"
	      ".verdict{font-size:1.4em;padding:.6em 1em;border-radius:6px;display:inline-block}"
	      ".v0{background:#e3f5e1}.v1{background:#fff4d6}.v2{background:#fde0e0}"
	      "</style></head><body>\n<h1>续约评估 Renewal review</h1>\n",
	      f);
	fprintf(f, "<p class=\"verdict v%d\">", (int)r->verdict);
	esc(f, kefu_renewal_verdict_zh(r->verdict));
	fputs(" — ", f);
	esc(f, kefu_renewal_verdict_name(r->verdict));
	fputs("</p>\n<ul>\n", f);
	for (size_t i = 0; i < r->n_reasons; i++) {
		fputs("<li>", f);
		esc(f, r->reasons[i]);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n<h2>概况 Overview</h2>\n", f);
	html_table(f, r->overview, "overview");
	fputs("<h2>月度SLA Monthly KPIs against the SLA</h2>\n", f);
	html_table(f, r->sla, "sla");
	fputs("<h2>发票与奖惩 Invoices, penalties and bonuses</h2>\n", f);
	html_table(f, r->invoices, "invoices");
	fputs("<h2>外包商与自有客服对比 Provider beside the in-house agents</h2>\n", f);
	html_table(f, r->compare, "compare");
	fputs("<p><small>kefu: KPIs by docs/metrics.md; invoice lines by settlement.md; the "
	      "recommendation rules are in docs/VENDORS.md.</small></p>\n</body></html>\n",
	      f);
	if (ferror(f))
		return kefu_err_set(err, KEFU_EIO, "write error");
	return 0;
}

/* ---------------------------------------------------------------- XLSX */

static void xlsx_table(lxw_workbook *wb, const char *name, const kefu_table *t, lxw_format *bold,
		       lxw_format *money, lxw_format *dec)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, name);
	for (size_t c = 0; c < t->ncols; c++) {
		char h[256];
		snprintf(h, sizeof h, "%s %s", t->cols[c].zh, t->cols[c].name);
		worksheet_write_string(ws, 0, (lxw_col_t)c, h, bold);
		worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c,
				     t->cols[c].type == KEFU_T_TEXT ? 22 : 14, NULL);
	}
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			const kefu_cell *x = kefu_table_cell(t, r, c);
			lxw_row_t row = (lxw_row_t)(r + 1);
			lxw_col_t col = (lxw_col_t)c;
			if (x->empty)
				continue;
			char buf[1024];
			switch (t->cols[c].type) {
			case KEFU_T_TEXT: worksheet_write_string(ws, row, col, x->text ? x->text : "", NULL); break;
			case KEFU_T_INT:
			case KEFU_T_FLAG: worksheet_write_number(ws, row, col, (double)x->num, NULL); break;
			case KEFU_T_FEN:
				/* display only: the exact value is the text of the other writers */
				worksheet_write_number(ws, row, col, (double)x->num / 100.0, money);
				break;
			default:
				kefu_cell_format(&t->cols[c], x, 0, buf, sizeof buf);
				worksheet_write_number(ws, row, col, strtod(buf, NULL),
						       t->cols[c].type == KEFU_T_RATE ? NULL : dec);
			}
		}
}

int kefu_renewal_xlsx(const char *path, const kefu_renewal *r, kefu_err *err)
{
	lxw_workbook *wb = workbook_new(path);
	if (!wb)
		return kefu_err_set(err, KEFU_EIO, "%s: cannot create workbook", path);
	lxw_format *bold = workbook_add_format(wb);
	format_set_bold(bold);
	lxw_format *money = workbook_add_format(wb);
	format_set_num_format(money, "#,##0.00");
	lxw_format *dec = workbook_add_format(wb);
	format_set_num_format(dec, "0.00");
	lxw_worksheet *ws = workbook_add_worksheet(wb, "结论 Verdict");
	worksheet_set_column(ws, 0, 0, 110, NULL);
	char v[128];
	snprintf(v, sizeof v, "%s — %s", kefu_renewal_verdict_zh(r->verdict),
		 kefu_renewal_verdict_name(r->verdict));
	worksheet_write_string(ws, 0, 0, v, bold);
	for (size_t i = 0; i < r->n_reasons; i++)
		worksheet_write_string(ws, (lxw_row_t)(i + 2), 0, r->reasons[i], NULL);
	xlsx_table(wb, "概况 Overview", r->overview, bold, money, dec);
	xlsx_table(wb, "SLA", r->sla, bold, money, dec);
	xlsx_table(wb, "发票 Invoices", r->invoices, bold, money, dec);
	xlsx_table(wb, "对比 Compare", r->compare, bold, money, dec);
	lxw_error e = workbook_close(wb);
	if (e != LXW_NO_ERROR)
		return kefu_err_set(err, KEFU_EIO, "%s: %s", path, lxw_strerror(e));
	return 0;
}
