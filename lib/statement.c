/*
 * statement.c - the printable statement (对账单) of one billing period:
 * the contract, each invoice with its lines, the KPI value each SLA line
 * used and the coverage note, as one self-contained HTML page (inline CSS,
 * escaped text) or an XLSX workbook (libxlsxwriter). The general KPI
 * report writers live in lib/write_*.c; this is billing's own small one.
 */
#include "kefu/billing.h"

#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>

#include "kefu/tz.h"

static const char *const kind_zh[] = {"后付 postpay", "预付固定 prepay fixed",
				      "预付浮动 prepay variable"};

static void html_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void yuan(char *buf, size_t cap, int64_t fen)
{
	kefu_decimal_format(fen, 1, -2, 2, 0, buf);
	(void)cap;
}

static void term_text(char *buf, size_t cap, const kefu_contract *c)
{
	char a[16], b[16];
	static const char *const kinds[] = {"month", "quarter", "year", "event"};
	kefu_day_format(c->start_day, a);
	kefu_day_format(c->end_day, b);
	snprintf(buf, cap, "%s %s .. %s%s", kinds[c->term], a, b,
		 c->renew_auto ? " (auto renewal)" : "");
}

static void coverage_text(char *buf, size_t cap, const kefu_contract *c)
{
	size_t o = 0;
	buf[0] = '\0';
	if (c->mode == KEFU_MODE_FULL) {
		snprintf(buf, cap, "全店外包 full (all hours)");
		return;
	}
	o = (size_t)snprintf(buf, cap, "部分外包 partial:");
	for (size_t i = 0; i < c->n_cov && o < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, " %02d:%02d-%02d:%02d", c->cov_start[i] / 3600,
				      c->cov_start[i] / 60 % 60, c->cov_end[i] / 3600,
				      c->cov_end[i] / 60 % 60);
}

int kefu_statement_html(FILE *f, const kefu_contract *c, const kefu_invoice *v, size_t n,
			const kefu_period_kpi *k, kefu_err *err)
{
	char buf[256], d1[16], d2[16];
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n<title>对账单 ",
	      f);
	html_esc(f, c->id);
	fputs("</title>\n<style>body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;"
	      "margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
	      "td,th{border:1px solid #bbb;padding:4px 10px}th{background:#f0f0f0;text-align:left}"
	      "td.amt{text-align:right;font-variant-numeric:tabular-nums}tr.total td{font-weight:bold}"
	      ".note{color:#555}@media print{body{margin:0}}</style></head><body>\n",
	      f);
	fputs("<h1>对账单 Statement</h1>\n<table>\n<tr><th>合同 contract</th><td>", f);
	html_esc(f, c->id);
	fputs("</td></tr>\n<tr><th>商家 merchant</th><td>", f);
	html_esc(f, c->merchant);
	fputs("</td></tr>\n<tr><th>服务商 vendor</th><td>", f);
	html_esc(f, c->vendor);
	fputs("</td></tr>\n<tr><th>店铺 shops</th><td>", f);
	for (size_t i = 0; i < c->n_shops; i++) {
		if (i)
			fputs(", ", f);
		html_esc(f, c->shops[i]);
	}
	fputs("</td></tr>\n<tr><th>模式 mode</th><td>", f);
	coverage_text(buf, sizeof buf, c);
	html_esc(f, buf);
	fputs("</td></tr>\n<tr><th>期限 term</th><td>", f);
	term_text(buf, sizeof buf, c);
	html_esc(f, buf);
	fprintf(f, "</td></tr>\n<tr><th>结算 settlement</th><td>%s, due %lld days</td></tr>\n",
		c->prepay ? "先付 prepay" : "后付 postpay", (long long)c->due_days);
	if (k && c->mode == KEFU_MODE_PARTIAL)
		fprintf(f, "<tr><th>覆盖时段内会话 chats inside coverage</th><td>%ld of %ld</td></tr>\n",
			k->chats_covered, k->chats);
	fputs("</table>\n", f);
	for (size_t i = 0; i < n; i++) {
		const kefu_invoice *inv = &v[i];
		kefu_day_format(inv->issue_day, d1);
		kefu_day_format(inv->due_day, d2);
		fputs("<h2>", f);
		html_esc(f, inv->id);
		fprintf(f, "</h2>\n<p>%04d-%02d · %s · 开票 issued %s · 到期 due %s</p>\n", inv->y,
			inv->m, kind_zh[inv->kind], d1, d2);
		fputs("<table>\n<tr><th>项目 line</th><th>指标值 KPI used</th><th>金额 amount "
		      "(元)</th></tr>\n",
		      f);
		for (size_t j = 0; j < inv->n_lines; j++) {
			const kefu_bill_line *l = &inv->lines[j];
			fputs("<tr><td>", f);
			html_esc(f, l->label);
			fputs("</td><td>", f);
			if (l->kind == KEFU_LINE_SLA && l->sla >= 0 && (size_t)l->sla < c->n_sla) {
				const kefu_sla_rule *r = &c->sla[l->sla];
				char t[48];
				kefu_decimal_format(l->kpi_num, l->kpi_den,
						    kefu_sla_metric_is_rate(r->metric) ? 2 : 0, 2, 0, t);
				fprintf(f, "%s = %s%s (target ", kefu_sla_metric_name(r->metric), t,
					kefu_sla_metric_is_rate(r->metric) ? "%" : " s");
				html_esc(f, r->target_text);
				fputs(")", f);
			}
			yuan(buf, sizeof buf, l->amount_fen);
			fprintf(f, "</td><td class=\"amt\">%s</td></tr>\n", buf);
		}
		yuan(buf, sizeof buf, inv->total_fen);
		fprintf(f, "<tr class=\"total\"><td>合计 total</td><td></td><td class=\"amt\">%s</td></tr>\n"
			   "</table>\n",
			buf);
		if (inv->notes[0]) {
			fputs("<p class=\"note\">", f);
			html_esc(f, inv->notes);
			fputs("</p>\n", f);
		}
	}
	fputs("<p class=\"note\">Lines are computed exactly in fen and rounded once, half away from "
	      "zero; the total is the sum of the rounded lines (settlement.md).</p>\n</body></html>\n",
	      f);
	if (ferror(f))
		return kefu_err_set(err, KEFU_EIO, "write error");
	return 0;
}

int kefu_statement_xlsx(const char *path, const kefu_contract *c, const kefu_invoice *v,
			size_t n, const kefu_period_kpi *k, kefu_err *err)
{
	char buf[256], d1[16], d2[16];
	lxw_workbook *wb = workbook_new(path);
	if (!wb)
		return kefu_err_set(err, KEFU_EIO, "%s: cannot create workbook", path);
	lxw_worksheet *ws = workbook_add_worksheet(wb, "对账单");
	lxw_format *bold = workbook_add_format(wb);
	lxw_format *money = workbook_add_format(wb);
	lxw_format *money_bold = workbook_add_format(wb);
	format_set_bold(bold);
	format_set_num_format(money, "#,##0.00");
	format_set_num_format(money_bold, "#,##0.00");
	format_set_bold(money_bold);
	worksheet_set_column(ws, 0, 0, 48, NULL);
	worksheet_set_column(ws, 1, 1, 28, NULL);
	worksheet_set_column(ws, 2, 2, 16, NULL);
	lxw_row_t r = 0;
	worksheet_write_string(ws, r++, 0, "对账单 Statement", bold);
	const char *labels[] = {"合同 contract", "商家 merchant", "服务商 vendor", "模式 mode",
				"期限 term"};
	coverage_text(buf, sizeof buf, c);
	char term[128];
	term_text(term, sizeof term, c);
	const char *vals[] = {c->id, c->merchant, c->vendor, buf, term};
	for (int i = 0; i < 5; i++) {
		worksheet_write_string(ws, r, 0, labels[i], bold);
		worksheet_write_string(ws, r++, 1, vals[i], NULL);
	}
	if (k && c->mode == KEFU_MODE_PARTIAL) {
		char cov[64];
		snprintf(cov, sizeof cov, "%ld of %ld", k->chats_covered, k->chats);
		worksheet_write_string(ws, r, 0, "覆盖时段内会话 chats inside coverage", bold);
		worksheet_write_string(ws, r++, 1, cov, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		const kefu_invoice *inv = &v[i];
		r++;
		kefu_day_format(inv->issue_day, d1);
		kefu_day_format(inv->due_day, d2);
		worksheet_write_string(ws, r++, 0, inv->id, bold);
		snprintf(buf, sizeof buf, "%04d-%02d %s, issued %s, due %s", inv->y, inv->m,
			 kind_zh[inv->kind], d1, d2);
		worksheet_write_string(ws, r++, 0, buf, NULL);
		worksheet_write_string(ws, r, 0, "项目 line", bold);
		worksheet_write_string(ws, r, 1, "指标值 KPI used", bold);
		worksheet_write_string(ws, r++, 2, "金额 amount (元)", bold);
		for (size_t j = 0; j <= inv->n_lines; j++) {
			const kefu_bill_line *l = j < inv->n_lines ? &inv->lines[j] : NULL;
			int64_t fen = l ? l->amount_fen : inv->total_fen;
			worksheet_write_string(ws, r, 0, l ? l->label : "合计 total", l ? NULL : bold);
			if (l && l->kind == KEFU_LINE_SLA && l->sla >= 0 && (size_t)l->sla < c->n_sla) {
				const kefu_sla_rule *rule = &c->sla[l->sla];
				char t[48];
				kefu_decimal_format(l->kpi_num, l->kpi_den,
						    kefu_sla_metric_is_rate(rule->metric) ? 2 : 0, 2, 0,
						    t);
				snprintf(buf, sizeof buf, "%s = %s%s (target %s)",
					 kefu_sla_metric_name(rule->metric), t,
					 kefu_sla_metric_is_rate(rule->metric) ? "%" : " s",
					 rule->target_text);
				worksheet_write_string(ws, r, 1, buf, NULL);
			}
			/* XLSX numbers are doubles: fen / 100 is the nearest double to the
			 * exact yuan amount and displays exactly with two decimals */
			worksheet_write_number(ws, r++, 2, (double)fen / 100.0, l ? money : money_bold);
		}
		if (inv->notes[0])
			worksheet_write_string(ws, r++, 0, inv->notes, NULL);
	}
	lxw_error e = workbook_close(wb);
	if (e != LXW_NO_ERROR)
		return kefu_err_set(err, KEFU_EIO, "%s: %s", path, lxw_strerror(e));
	return 0;
}
