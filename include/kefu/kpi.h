/*
 * kpi.h - the KPI engine (metrics.md sections 3-9): question runs, chats,
 * crediting, conversion, sales, ratings, maturity, over a finalized dataset.
 * Produces per-(shop, agent, day) additive rows, per-chat detail, per-order
 * credit, shop-day reconciliation and the ratings kept for DSR.
 *
 * Ownership: kefu_kpi_run returns a kefu_kpi_result owned by the caller
 * (kefu_kpi_result_free). The result borrows nothing from the dataset except
 * ids; the dataset must outlive any use of those ids' names.
 */
#ifndef KEFU_KPI_H
#define KEFU_KPI_H

#include "kefu/common.h"
#include "kefu/dataset.h"
#include "kefu/settings.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Additive columns of section 5 (plus the eval counts of section 8), in
 * output order. All are sums over rows except max_concurrent (a maximum). */
typedef enum kefu_col {
	KEFU_C_CONSULTS,
	KEFU_C_RECEIVED,
	KEFU_C_UNANSWERED,
	KEFU_C_INQUIRIES,
	KEFU_C_FIRST_RESP_SUM_S,
	KEFU_C_FIRST_RESP_N,
	KEFU_C_RESP_SUM_S,
	KEFU_C_RESP_N,
	KEFU_C_SLOW_BUYERS,
	KEFU_C_ROUNDS_3MIN,
	KEFU_C_ROUNDS_3MIN_OK,
	KEFU_C_BUYER_MSGS,
	KEFU_C_AGENT_MSGS,
	KEFU_C_AGENT_CHARS,
	KEFU_C_DURATION_SUM_S,
	KEFU_C_MAX_CONCURRENT,
	KEFU_C_AUTO_MSGS,
	KEFU_C_CONVERTED,
	KEFU_C_CONVERTED_NEXT_DAY,
	KEFU_C_SALES_FEN,
	KEFU_C_SALES_BUYERS,
	KEFU_C_SALES_ORDERS,
	KEFU_C_SALES_ITEMS,
	KEFU_C_EVALS,
	KEFU_C_EVALS_SATISFIED,
	KEFU_C_EVALS_L1,
	KEFU_C_EVALS_L2,
	KEFU_C_EVALS_L3,
	KEFU_C_EVALS_L4,
	KEFU_C_EVALS_L5,
	KEFU_NCOLS
} kefu_col;

typedef struct kefu_col_info {
	const char *name; /* spec name, e.g. "first_resp_sum_s" */
	const char *zh;   /* Chinese label, e.g. "首次响应时长合计" */
	int is_max;       /* grouped by maximum instead of sum */
	int is_fen;       /* money in fen */
} kefu_col_info;

const kefu_col_info *kefu_col_info_of(kefu_col c);

/* One chat (metrics.md section 3): (shop, agent, buyer, business day). */
typedef struct kefu_chat {
	uint32_t shop, agent, buyer;
	int64_t day;
	int64_t f;            /* first B ts that day, KEFU_TS_NONE if none */
	int64_t start, end;   /* span */
	int64_t first_resp_s; /* -1 when the first run was not answered */
	int64_t resp_sum_s;
	int64_t agent_chars;
	int32_t resp_n, runs, buyer_msgs, agent_msgs, rounds_3min, rounds_3min_ok;
	uint8_t received, slow, inquiry, after_sale, converted, converted_next_day;
} kefu_chat;

/* Credit of one order (metrics.md section 6), indexed like dataset orders. */
typedef struct kefu_order_credit {
	uint32_t create_chat;  /* chat index of credit_create, KEFU_NO_ID if none */
	uint32_t sale_chat;    /* chat credited under the judge rule, KEFU_NO_ID if silent */
	uint32_t sale_agent;   /* KEFU_NO_ID if silent or unpaid */
	int64_t sale_day;      /* business day of the sale; INT64_MIN if unpaid */
	int64_t sale_fen;      /* per sales_basis; 0 if unpaid */
	uint8_t excluded;      /* buyer excluded by settings */
} kefu_order_credit;

typedef struct kefu_kpi_row {
	uint32_t shop, agent;
	int64_t day;
	uint8_t final_; /* 1 = final, 0 = provisional (延迟统计) */
	int64_t v[KEFU_NCOLS];
} kefu_kpi_row;

/* Shop-day reconciliation: paid total = credited + silent. */
typedef struct kefu_shop_day {
	uint32_t shop;
	int64_t day;
	int64_t paid_fen, paid_orders, credited_fen, credited_orders, silent_fen, silent_orders;
} kefu_shop_day;

/* A rating kept for DSR (first 3 per buyer per month), with its credit. */
typedef struct kefu_kept_rating {
	uint32_t shop, agent; /* agent KEFU_NO_ID: counts for the shop only */
	int64_t day;
	uint8_t desc, service, shipping;
} kefu_kept_rating;

typedef struct kefu_kpi_opts {
	/* Settings per shop id (dataset->shops order), n = number of shops. */
	const kefu_settings_versions *shop_settings;
	size_t n_shop_settings;
	int64_t as_of; /* INT64_MIN: latest timestamp in the data */
	int threads;   /* shops are split into this many parts computed in parallel */
} kefu_kpi_opts;

#define KEFU_KPI_OPTS_INIT {NULL, 0, INT64_MIN, 1}

typedef struct kefu_kpi_result {
	kefu_kpi_row *rows; /* sorted by shop, agent, day */
	size_t n_rows;
	kefu_chat *chats; /* sorted by shop, agent, buyer, day */
	size_t n_chats;
	kefu_order_credit *credit; /* n = dataset orders */
	size_t n_orders;
	kefu_shop_day *shop_days; /* sorted by shop, day */
	size_t n_shop_days;
	kefu_kept_rating *kept; /* sorted by shop, agent, day */
	size_t n_kept;
	int64_t as_of;
	size_t msgs_used, msgs_duplicate, msgs_excluded;
} kefu_kpi_result;

int kefu_kpi_run(kefu_kpi_result **out, const kefu_dataset *ds, const kefu_kpi_opts *opts,
		 kefu_err *err);
void kefu_kpi_result_free(kefu_kpi_result *r);

/* Generic radix sort of 16-byte keys with a 32-bit payload (ascending by
 * hi, then lo). Stable. Used by the engines for every sort-based pass. */
typedef struct kefu_key3 {
	uint64_t hi, lo;
	uint32_t idx;
	uint32_t aux;
} kefu_key3;
int kefu_sort_key3(kefu_key3 *a, size_t n);

/* Adds one chat's quantities to a row's counters (metrics.md section 5);
 * shared by the engine and coverage restriction. */
void kefu_chat_add_to_row(int64_t *v, const kefu_chat *c);

/* Sorts k (hi = shop, lo = sale day ^ 2^63, idx = order index into
 * credit) and fills r->shop_days with each shop-day's paid, credited and
 * silent sums; shared by the engine and coverage restriction
 * (lib/coverage.c). KEFU_ENOMEM or KEFU_EOVERFLOW on failure (r keeps
 * what was built, freed with r). */
int kefu_shop_days_from_keys(kefu_kpi_result *r, const kefu_order_credit *credit, kefu_key3 *k,
			     size_t n);

#ifdef __cplusplus
}
#endif
#endif
