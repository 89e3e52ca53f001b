/*
 * report.h - turns engine results into the neutral result table: grouping
 * (agent, team, vendor, shop, all) by period (day, ISO week, month, range),
 * sums of the additive columns first and ratios after (never an average of
 * averages), DSR as of each period's last day, shop reconciliation, and the
 * per-chat detail.
 *
 * Ownership: returned tables belong to the caller (kefu_table_free).
 */
#ifndef KEFU_REPORT_H
#define KEFU_REPORT_H

#include "kefu/dataset.h"
#include "kefu/kpi.h"
#include "kefu/table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kefu_by { KEFU_BY_AGENT, KEFU_BY_TEAM, KEFU_BY_VENDOR, KEFU_BY_SHOP, KEFU_BY_ALL } kefu_by;
typedef enum kefu_per { KEFU_PER_DAY, KEFU_PER_WEEK, KEFU_PER_MONTH, KEFU_PER_RANGE } kefu_per;

typedef struct kefu_report_opts {
	kefu_by by;
	kefu_per per;
	int64_t from_day, to_day; /* inclusive business days; INT64_MIN / INT64_MAX = open */
	const uint32_t *shops;    /* shop ids to keep (sorted); NULL = all */
	size_t n_shops;
	const uint32_t *agents;   /* agent ids to keep (sorted); NULL = all */
	size_t n_agents;
} kefu_report_opts;

#define KEFU_REPORT_OPTS_INIT {KEFU_BY_AGENT, KEFU_PER_DAY, INT64_MIN, INT64_MAX, NULL, 0, NULL, 0}

int kefu_by_parse(const char *s, kefu_by *out);
int kefu_per_parse(const char *s, kefu_per *out);

/* Periods: the first day of the period of `per` holding day (Monday of
 * its ISO week, 1st of its month; 0 for KEFU_PER_RANGE), and the last day
 * of the period starting at start (INT64_MAX for a range). */
int64_t kefu_period_start(kefu_per per, int64_t day);
int64_t kefu_period_end(kefu_per per, int64_t start);

/* 1 when v is in the ascending array a[0..n) (selection filters). */
int kefu_ids_contain(const uint32_t *a, size_t n, uint32_t v);

/* The KPI rollup table (metrics.md section 5 plus derived columns). */
int kefu_report_kpi(kefu_table **out, const kefu_dataset *ds, const kefu_kpi_result *res,
		    const kefu_report_opts *opts, kefu_err *err);

/* One row per chat with its quantities and credited orders (section 11). */
int kefu_report_chats(kefu_table **out, const kefu_dataset *ds, const kefu_kpi_result *res,
		      const kefu_report_opts *opts, const kefu_settings_versions *shop_settings,
		      kefu_err *err);

#ifdef __cplusplus
}
#endif
#endif
