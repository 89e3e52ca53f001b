/*
 * staffing.h - staffing plans from inquiry volume (spec staffing.md):
 * queueing models (Erlang B, Erlang C, Erlang A with patience, the
 * Erlang-Chat chain for agents holding up to K chats), the interval-volume
 * forecast with weekday templates, a level and sale-event multipliers, the
 * least-cost shift cover, and handle time / concurrency measured from a
 * shop's own chats. Definitions and choices: docs/STAFFING.md.
 *
 * Queueing math is in double (not money); shift costs are int64 (fen, or
 * paid minutes when no cost is given). Times are seconds.
 *
 * Ownership: every kefu_*_new/build function returns an object owned by the
 * caller and freed with the matching *_free (NULL accepted). Input arrays
 * are borrowed for the duration of the call only.
 */
#ifndef KEFU_STAFFING_H
#define KEFU_STAFFING_H

#include <stdint.h>

#include "kefu/common.h"
#include "kefu/kpi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- Erlang */

/* Erlang B blocking probability for n servers and offered load a (erlangs),
 * by the recursion B(0)=1, B(k) = a B(k-1) / (k + a B(k-1)). n >= 0, a >= 0. */
double kefu_erlang_b(int n, double a);
/* Erlang C probability of waiting: N B / (N - a (1 - B)); 1 when n <= a
 * (unstable queue). */
double kefu_erlang_c(int n, double a);
/* Fewest servers with Erlang B blocking <= max_block (0 < max_block < 1). */
int kefu_erlang_b_servers(double a, double max_block);

/* Concurrency factor f_K (1, 1.7, 2.5, 2.9, 3.5 for K = 1..5); 0 otherwise. */
double kefu_concurrency_factor(int k);

/* One queueing model. */
typedef struct kefu_erlang_model {
	double rate_per_s;   /* arrivals per second (lambda) */
	double aht_s;        /* handle time of one chat alone (K = 1) */
	double target_s;     /* service-level threshold t */
	double patience_s;   /* mean patience; 0 = nobody leaves (Erlang C) */
	int concurrency;     /* K >= 1 chats per agent */
	const double *aht_k; /* K handle times at concurrency 1..K (borrowed), or
			      * NULL: the concurrency-factor method aht / f_K */
} kefu_erlang_model;

#define KEFU_ERLANG_MODEL_INIT {0, 0, 0, 0, 1, NULL}

/* Figures for a given number of agents. Fractions, not percentages. */
typedef struct kefu_erlang_figs {
	int agents;
	int unstable;        /* 1: arrivals >= capacity with no abandonment */
	double p_wait;       /* an arrival finds every slot busy */
	double service_level;/* answered within t (abandoned count as missed) */
	double asa_s;        /* mean wait over all arrivals; NaN when unstable */
	double occupancy;    /* busy share of agent capacity */
	double p_abandon;    /* NaN when there is no patience */
} kefu_erlang_figs;

/* Evaluates the model for `agents` >= 1. Returns 0 or KEFU_EINVAL (bad
 * model: non-positive rates, K outside 1..5 without aht_k, ...). */
int kefu_erlang_eval(kefu_erlang_figs *out, const kefu_erlang_model *m, int agents,
		     kefu_err *err);

/* A staffing target. */
typedef struct kefu_staff_target {
	double service_level;  /* e.g. 0.8 */
	double max_occupancy;  /* e.g. 0.85; 1 = no cap */
	int64_t shrink_num, shrink_den; /* shrinkage as an exact fraction < 1 */
} kefu_staff_target;

#define KEFU_STAFF_TARGET_INIT {0.8, 1.0, 0, 1}

/* Scheduled agents for raw agents: ceil(raw / (1 - shrinkage)), exact. */
int64_t kefu_staff_scheduled(int64_t raw, const kefu_staff_target *t);

/* Fewest agents meeting the service level and the occupancy cap (raw), the
 * scheduled count, and the figures at `raw`. Zero volume needs 0 agents.
 * Returns 0, KEFU_EINVAL, or KEFU_EOVERFLOW when more than 1e6 agents would
 * be needed. */
int kefu_erlang_staff(kefu_erlang_figs *figs, int *raw, int64_t *scheduled,
		      const kefu_erlang_model *m, const kefu_staff_target *t, kefu_err *err);

/* -------------------------------------------------------------- Forecast */

/* Interval counts on a grid of whole local days: count[d * slots + i] is
 * the volume of slot i (interval_s long, from local midnight) on day
 * first_day + d; present[d] says the day has data (a day without any row
 * is missing, not zero; inside a present day a missing interval is 0). */
typedef struct kefu_volume_grid {
	int64_t first_day; /* days since 1970-01-01 (local) */
	size_t ndays;
	int interval_s;    /* 900, 1800 or 3600 (any divisor of 86400 works) */
	int slots;         /* 86400 / interval_s */
	double *count;
	uint8_t *present;
} kefu_volume_grid;

/* Builds a grid from points (local wall-clock start in seconds since the
 * epoch, count). input_s is the length of one input interval; 0 infers it
 * as the gcd of the gaps between starts within a day, and when that is
 * longer than interval_s takes the longer gaps for missing rows (gaps are
 * allowed) and uses interval_s. A finer input is summed into the grid's
 * intervals; a coarser one (given explicitly) is split evenly over the
 * grid intervals it covers; other combinations are KEFU_EINVAL. */
int kefu_volume_grid_build(kefu_volume_grid **out, const int64_t *start, const double *count,
			   size_t n, int input_s, int interval_s, kefu_err *err);
void kefu_volume_grid_free(kefu_volume_grid *g);

/* Reads a counts CSV (path "-" = stdin): a header row is optional; the
 * time column is the first whose value reads as "YYYY-MM-DD[T ]HH:MM[:SS]"
 * (also with '/'), taken as local wall-clock time (a trailing Z, offset or
 * fraction is ignored: exports often mislabel local times); the count
 * column is the one named count/calls/volume/consults/inquiries, else the
 * last column. Blank lines are skipped. On a bad row: KEFU_EPARSE with
 * file:line:column. Arrays are allocated with kefu_malloc (kefu_free). */
int kefu_volume_counts_read(int64_t **start, double **count, size_t *n, const char *path,
			    kefu_err *err);
/* The same over a memory buffer (borrowed); name is used in errors. */
int kefu_volume_counts_read_mem(int64_t **start, double **count, size_t *n, const char *data,
				size_t len, const char *name, kefu_err *err);
/* Parses a wall-clock time as above into seconds since the epoch (as if
 * UTC). Returns 0 or KEFU_EPARSE. */
int kefu_wallclock_parse(const char *s, size_t n, int64_t *out);

/* A sale event: days [from_day, to_day] have their volume multiplied.
 * multiplier <= 0 means "learn it from past occurrences of the same name". */
typedef struct kefu_sale_event {
	const char *name;
	int64_t from_day, to_day;
	double multiplier;
} kefu_sale_event;

typedef struct kefu_forecast_opts {
	int weeks;        /* template: the last `weeks` normal days of each weekday (8) */
	int level_weeks;  /* level: the last `level_weeks` weeks of normal days (2) */
	double recent_weight; /* weight of the latest normal same-weekday day (0.25) */
	const kefu_sale_event *events;
	size_t nevents;
} kefu_forecast_opts;

#define KEFU_FORECAST_OPTS_INIT {8, 2, 0.25, NULL, 0}

/* Forecast for days [from_day, to_day] at the grid's interval from the
 * history days before from_day: per interval
 *   multipliers x ((1 - r) x mean_w x level x shape_w[i] + r x latest_w[i])
 * where mean_w and shape_w are the weekday's daily mean and intraday shares
 * over its last `weeks` normal days, level = actual / mean over the last
 * `level_weeks` weeks of normal days, latest_w the weekday's most recent
 * normal day and r = recent_weight (docs/STAFFING.md). The result is a grid (present = 1 for every
 * day). learned[e] (if not NULL, nevents entries) receives the multiplier
 * used for each event. KEFU_EINVAL when an event must be learned and the
 * history has no past occurrence of that name. */
int kefu_forecast_run(kefu_volume_grid **out, const kefu_volume_grid *hist, int64_t from_day,
		      int64_t to_day, const kefu_forecast_opts *o, double *learned, kefu_err *err);

/* Backtest: hold back the final 7 days of the history before before_day
 * (up to the last present day; INT64_MAX: the whole history), forecast
 * them from the days before, and compare. MAPE over
 * intervals with a nonzero actual; MAE over all intervals of present days.
 * n = intervals compared (MAE). KEFU_EINVAL when the history is too short. */
typedef struct kefu_backtest {
	double mape, mae;
	size_t n, n_mape;
	int64_t from_day, to_day;
} kefu_backtest;
int kefu_forecast_backtest(kefu_backtest *bt, const kefu_volume_grid *hist, int64_t before_day,
			   const kefu_forecast_opts *o, kefu_err *err);

/* ----------------------------------------------------------- Shift cover */

/* A shift pattern, repeated every day: starts at start_s after local
 * midnight and lasts len_s (may run past midnight). cost per shift. */
typedef struct kefu_shift_pattern {
	const char *name;
	int32_t start_s, len_s;
	int64_t cost;
} kefu_shift_pattern;

/* One shift instance of the solution. */
typedef struct kefu_shift_use {
	size_t pattern;
	int64_t day;      /* day the shift starts (may be first_day - 1) */
	int64_t agents;
} kefu_shift_use;

typedef struct kefu_cover_gap {
	size_t slot;      /* index into the demand array */
	int64_t need, covered;
	int uncovered;    /* 1: no pattern covers the slot; 0: over the cap */
} kefu_cover_gap;

typedef struct kefu_cover {
	kefu_shift_use *uses; /* agents > 0 only, by day then pattern */
	size_t nuses;
	int64_t *covered;     /* agents on duty per slot */
	kefu_cover_gap *gaps; /* slots whose need is not met */
	size_t ngaps;
	int64_t total_cost;
	int64_t agent_shifts;
} kefu_cover;

/* Covers demand[0..nslots) (slot i starts at day first_day, i * interval_s
 * after local midnight) with shifts of the patterns at least total cost (a
 * min-cost flow on the interval matrix: exact). max_agents > 0 caps the
 * agents that can be on duty: a slot needing more is a gap covered up to
 * the cap. */
int kefu_shift_cover(kefu_cover **out, const int64_t *demand, size_t nslots, int64_t first_day,
		     int interval_s, const kefu_shift_pattern *pats, size_t npats,
		     int64_t max_agents, kefu_err *err);
void kefu_cover_free(kefu_cover *c);

/* ------------------------------------------------------------ Measuring */

/* Handle time and concurrency of one shop measured from its chats.
 * handle time = end - start of a received chat (duration_s of metrics.md);
 * concurrency of a chat = time-average number of the same agent's chats
 * open during its span; effective concurrency = sum of durations / agent
 * busy time (union of spans). aht_k[k-1]: mean duration of chats whose
 * rounded concurrency is k (k = 1..5; the last bucket takes >= 5), n_k the
 * counts. */
typedef struct kefu_staff_measure {
	size_t chats;        /* received chats measured */
	double aht_s;
	double concurrency;
	double aht_k[5];
	size_t n_k[5];
} kefu_staff_measure;

/* Measures chats of `shop` (dataset shop id) in result r whose first buyer
 * message lies in [from_ts, to_ts). */
int kefu_staff_measure_run(kefu_staff_measure *m, const kefu_kpi_result *r, uint32_t shop,
			   int64_t from_ts, int64_t to_ts, kefu_err *err);

#ifdef __cplusplus
}
#endif
#endif
