/*
 * report_html.h - the self-contained HTML KPI report (docs/REPORTS.md) and
 * the Taobao outsourcing program's per-sub-account KPI set
 * (`taobao.weike.performance.put` fields) as JSON.
 *
 * The HTML report is one file: inline CSS, the ECharts bundle compiled into
 * the binary (assets.h), the report's own script and its data as JSON in a
 * <script type="application/json"> element, escaped for HTML (kefu_html_json).
 * Opening it needs no network. All data reaches the page through textContent
 * or ECharts options whose tooltip formatters escape every value.
 *
 * Content, for the selection `sel` (filters and range; by/per ignored):
 * summary cards for 询单转化率, 响应时间 (平均首次响应), DSR (服务态度),
 * 咨询量 and 客单价 against the previous period of the same length; the
 * per-agent table (sortable, 赤兔 column names, 汇总 row); daily trend
 * lines; consult volume by hour x weekday; first-response time
 * distribution with median and p90; the funnel 咨询 > 接待 > 询单 > 付款;
 * credited vs silent (静默) sales per day.
 *
 * Ownership: everything is borrowed; nothing is kept after the call.
 */
#ifndef KEFU_REPORT_HTML_H
#define KEFU_REPORT_HTML_H

#include <stdio.h>

#include "kefu/dataset.h"
#include "kefu/kpi.h"
#include "kefu/report.h"
#include "kefu/settings.h"
#include "kefu/table.h"
#include "kefu/tz.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kefu_html_report_opts {
	const char *title; /* page heading; NULL = "客服绩效报告" */
	/* Settings per shop id (dataset->shops order), for the local hour and
	 * weekday of the heatmap (the version in force on the chat's day);
	 * NULL = a fixed +08:00 (China). */
	const kefu_settings_versions *shop_settings;
	size_t n_shop_settings;
	/* Metadata shown at the bottom ("settings", "as_of", ...): a table whose
	 * meta_key/meta_val are used (its rows are ignored); NULL = none. */
	const kefu_table *meta;
} kefu_html_report_opts;

#define KEFU_HTML_REPORT_OPTS_INIT {NULL, NULL, 0, NULL}

/*
 * Writes the HTML report of the selection to out. sel->by and sel->per are
 * ignored; sel's shop and agent filters and day range apply to every
 * figure (an open range means the days that have rows). The previous
 * period is the same number of days just before the range. A range of
 * more than 3660 days is KEFU_EINVAL (nothing written).
 * Returns 0, KEFU_EIO (write error), KEFU_EINVAL, KEFU_ENOMEM or KEFU_EOVERFLOW.
 */
int kefu_write_html_report(FILE *out, const kefu_dataset *ds, const kefu_kpi_result *res,
			   const kefu_report_opts *sel, const kefu_html_report_opts *o,
			   kefu_err *err);

/*
 * One self-contained page: `body` (static HTML, no data in it), then data
 * as JSON in <script type="application/json" id="kefu-data">, ECharts and
 * the page script `app`, all inline, under a CSP that allows exactly those
 * two scripts (by hash) and inline styles. The page script builds every
 * element from the data with textContent. 0, KEFU_EIO, KEFU_EINVAL (a
 * script that could end its element), KEFU_ENOMEM.
 */
struct json_t;
int kefu_html_page(FILE *out, const char *title, const char *body, const struct json_t *data,
		   const char *app, const char *css, kefu_err *err);

/*
 * The staffing plan as one page (kefu staff plan -o plan.html): per shop a
 * chart over the intervals (forecast volume, agents needed, scheduled, on
 * duty, gaps), the shifts, and the plan's settings. intervals and shifts
 * are the plan's two tables (either may have no rows). */
int kefu_write_html_staff(FILE *out, const kefu_table *intervals, const kefu_table *shifts,
			  const char *title, kefu_err *err);

/*
 * Escapes JSON text for a <script type="application/json"> element (or any
 * HTML context): '<' '>' '&' as \u003c \u003e \u0026, U+2028 and U+2029 as
 * \u2028 \u2029. The input must be JSON (the escapes are only valid inside
 * strings, where jansson puts every such character). Writes to out;
 * returns 0 or KEFU_EIO.
 */
int kefu_html_json(FILE *out, const char *json, size_t n);

/*
 * The `taobao.weike.performance.put` field set per sub-account and window
 * (docs/REPORTS.md has the mapping) from a KPI table grouped --by agent (any
 * --per): {"method": "taobao.weike.performance.put", "settings": {...},
 * "performances": [{"sub_account", "shop", "start_date", "end_date",
 * "first_response_time", ...}, ...]}. Times in seconds, rates as
 * fractions, money in yuan (6 decimals at most, exact rounding); fields
 * without data are null. ds: the dataset whose presence rows (login,
 * logout) give the online_* fields, local times in tz (NULL ds or no
 * presence rows of an agent: null). Returns 0, KEFU_EINVAL (not an agent
 * table), KEFU_EIO or KEFU_ENOMEM.
 */
int kefu_write_weike_json(const kefu_table *t, const kefu_dataset *ds, const kefu_tz *tz,
			  FILE *out, kefu_err *err);

#ifdef __cplusplus
}
#endif
#endif
