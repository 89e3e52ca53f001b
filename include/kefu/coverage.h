/*
 * coverage.h - time-of-day coverage windows (settlement.md: a partial
 * outsourcing contract covers given daily windows, e.g. "18:00-09:00") and
 * the restriction of a KPI result to the chats inside or outside them.
 *
 * A window is half-open [start, end) in the shop's local wall-clock time;
 * end <= start means it crosses midnight ("18:00-09:00" = 18:00..24:00 plus
 * 00:00..09:00). "00:00-24:00" is the whole day. Several windows may be
 * given, separated by commas; an instant is inside when any window holds it.
 *
 * A chat belongs to the windows by its first buyer message f (settlement.md
 * "only sales credited through a chat whose first buyer message f falls
 * inside the coverage windows count, and the SLA KPIs are computed over those
 * chats only"); a chat without a buyer message (an agent's message only, e.g.
 * an answer after midnight) by its start. A credited sale goes with the chat
 * it is credited through; a silent sale (credited to nobody) by its sale
 * instant: created under judge_rule order, paid otherwise.
 *
 * Ownership: kefu_coverage is a plain value. kefu_coverage_restrict returns
 * a new kefu_kpi_result owned by the caller (kefu_kpi_result_free); it
 * borrows nothing from its inputs.
 */
#ifndef KEFU_COVERAGE_H
#define KEFU_COVERAGE_H

#include "kefu/common.h"
#include "kefu/dataset.h"
#include "kefu/kpi.h"
#include "kefu/settings.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KEFU_COVERAGE_MAX 16

typedef struct kefu_coverage {
	size_t n;
	int32_t start[KEFU_COVERAGE_MAX], end[KEFU_COVERAGE_MAX]; /* seconds after local midnight */
} kefu_coverage;

/* Parses "HH:MM-HH:MM[,HH:MM-HH:MM...]" (seconds allowed, "24:00" only as an
 * end, start == end only as 00:00-24:00). 0 or KEFU_EINVAL with the reason;
 * *out is then empty. */
int kefu_coverage_parse(kefu_coverage *out, const char *s, size_t n, kefu_err *err);
/* Canonical text ("18:00-09:00,12:00-13:30") into buf (>= 16 * n + 1). */
void kefu_coverage_format(const kefu_coverage *c, char *buf, size_t cap);
/* 1 when the local clock time (seconds after midnight, 0..86399) is inside. */
int kefu_coverage_holds_clock(const kefu_coverage *c, int32_t clock_s);
/* 1 when instant t (UTC seconds) is inside, in time zone tz. */
int kefu_coverage_holds(const kefu_coverage *c, const kefu_tz *tz, int64_t t);
/* The instant a chat is classified by: f, else start. */
int64_t kefu_coverage_chat_instant(const kefu_chat *ch);

/*
 * Rebuilds the (shop, agent, day) rows and the shop days of res from the
 * chats inside (inside = 1) or outside (inside = 0) the windows, each shop's
 * clock taken from its settings version of the chat's day (shop_settings as
 * given to kefu_kpi_run). Chat columns are sums over the kept chats, sales
 * over orders credited through kept chats, evals by their own timestamp,
 * max_concurrent over the kept chats; auto_msgs (S messages belong to no
 * chat) are 0. Kept ratings (DSR) are not split: the restricted result has
 * none, so DSR columns of reports on it are empty; it has no chats or
 * credits either (rows, shop_days and as_of only). The inside and outside
 * results add up to res for every column but max_concurrent and auto_msgs.
 * Each row keeps res's final flag.
 */
int kefu_coverage_restrict(kefu_kpi_result **out, const kefu_dataset *ds,
			   const kefu_kpi_result *res, const kefu_settings_versions *shop_settings,
			   size_t n_shop_settings, const kefu_coverage *cov, int inside,
			   kefu_err *err);

#ifdef __cplusplus
}
#endif
#endif
