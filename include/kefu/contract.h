/*
 * contract.h - outsourcing contracts between a provider (vendor) and a
 * merchant (settlement.md "Contract file"): mode and coverage windows, term
 * and renewal, fee scheme with marginal commission tiers, settlement, SLA
 * rules and sale events. Parsed from YAML (libfyaml) or the same structure
 * as JSON (jansson); every problem is listed with its line and key, and a
 * contract with any problem is not returned.
 *
 * Money is int64 fen, rates and targets exact fractions (num/den); nothing
 * here uses floating point.
 *
 * Ownership: kefu_contract_parse returns a contract owned by the caller
 * (kefu_contract_free); problems are owned by the kefu_contract_problems
 * the caller passed (kefu_contract_problems_clear).
 */
#ifndef KEFU_CONTRACT_H
#define KEFU_CONTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "kefu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An exact non-negative fraction, e.g. "1.5%" = 15/1000. */
typedef struct kefu_ratio {
	int64_t num, den;
} kefu_ratio;

typedef enum kefu_contract_mode { KEFU_MODE_FULL, KEFU_MODE_PARTIAL } kefu_contract_mode;
typedef enum kefu_term_kind {
	KEFU_TERM_MONTH,
	KEFU_TERM_QUARTER,
	KEFU_TERM_YEAR,
	KEFU_TERM_EVENT
} kefu_term_kind;
typedef enum kefu_fee_scheme { KEFU_FEE_BASE_COMMISSION, KEFU_FEE_FIXED } kefu_fee_scheme;

/* SLA metrics, computed over the period's chats of the vendor's agents. */
typedef enum kefu_sla_metric {
	KEFU_SLA_FIRST_RESP_S,   /* first_resp_sum_s / first_resp_n (seconds) */
	KEFU_SLA_AVG_RESP_S,     /* resp_sum_s / resp_n (seconds) */
	KEFU_SLA_REPLY_RATE,     /* received / consults */
	KEFU_SLA_CONV_RATE,      /* converted / inquiries */
	KEFU_SLA_THREE_MIN_RATE, /* rounds_3min_ok / rounds_3min */
	KEFU_SLA_SAT_RATE,       /* evals_satisfied / evals */
	KEFU_SLA_NMETRICS
} kefu_sla_metric;

const char *kefu_sla_metric_name(kefu_sla_metric m);
/* 1 for rates (targets may be written with %), 0 for seconds. */
int kefu_sla_metric_is_rate(kefu_sla_metric m);

typedef enum kefu_sla_op { KEFU_OP_LE, KEFU_OP_LT, KEFU_OP_GE, KEFU_OP_GT } kefu_sla_op;

/* An SLA adjustment: a percentage of the period's rounded base (or fixed)
 * line, or a fixed amount. */
typedef struct kefu_sla_amount {
	int present;
	int is_pct;
	kefu_ratio pct; /* is_pct */
	int64_t fen;    /* !is_pct */
	char text[64];  /* as written, e.g. "2% of base" */
} kefu_sla_amount;

typedef struct kefu_sla_rule {
	kefu_sla_metric metric;
	kefu_sla_op op;
	kefu_ratio target;      /* seconds or fraction */
	char target_text[64];   /* as written, e.g. "<= 20" */
	kefu_sla_amount penalty; /* applied (negative) when the target is missed */
	kefu_sla_amount bonus;   /* applied (positive) when the target is met */
} kefu_sla_rule;

/* A marginal commission tier on [from_fen, to_fen); to_fen = INT64_MAX
 * for the open last tier. */
typedef struct kefu_tier {
	int64_t from_fen, to_fen;
	kefu_ratio rate;
	char rate_text[32];
} kefu_tier;

typedef struct kefu_event {
	char *name;
	int64_t from_day, to_day; /* inclusive day numbers */
	int64_t extra_seats;
	int64_t per_seat_day_fen;
} kefu_event;

typedef struct kefu_contract {
	char *id, *merchant, *vendor;
	char **shops; /* sorted by bytes, unique */
	size_t n_shops;
	kefu_contract_mode mode;
	int32_t cov_start[16], cov_end[16]; /* seconds after local midnight, [start, end) */
	size_t n_cov;                       /* end <= start: crosses midnight */
	kefu_term_kind term;
	int64_t start_day, end_day; /* first term, inclusive */
	int months;                 /* term length in months (0 for event) */
	int renew_auto;
	kefu_fee_scheme scheme;
	int64_t seats;
	int64_t per_seat_month_fen; /* base (base_commission) or fixed per seat */
	int64_t fixed_month_fen;    /* fixed scheme with fixed_month; -1 if unused */
	kefu_tier *tiers;
	size_t n_tiers;
	int sales_basis; /* -1 = the shop's setting, else kefu_sales_basis */
	int judge_rule;  /* -1 = the shop's setting, else kefu_judge_rule */
	int prepay;
	int64_t due_days;
	kefu_sla_rule *sla;
	size_t n_sla;
	kefu_event *events;
	size_t n_events;
} kefu_contract;

/* One problem of a contract file: line 0 when unknown (JSON input). */
typedef struct kefu_contract_problem {
	long line;
	char key[128];   /* dotted path, e.g. fee.commission[1].rate */
	char reason[256];
} kefu_contract_problem;

typedef struct kefu_contract_problems {
	kefu_contract_problem *v;
	size_t n, cap;
} kefu_contract_problems;

void kefu_contract_problems_clear(kefu_contract_problems *p);

/*
 * Parses a contract from text: JSON when the first non-blank byte is '{',
 * else YAML. On any problem returns KEFU_EPARSE, *out = NULL, every problem
 * appended to probs (may be NULL) and the first one in err. file names the
 * input in messages (may be NULL).
 */
int kefu_contract_parse(kefu_contract **out, const char *text, size_t n, const char *file,
			kefu_contract_problems *probs, kefu_err *err);
/* The same from a jansson object (the HTTP API). json is a json_t *. */
int kefu_contract_from_json(kefu_contract **out, const void *json, kefu_contract_problems *probs,
			    kefu_err *err);
void kefu_contract_free(kefu_contract *c);

/* Last day of the term that contains `day` (auto renewal extends the term
 * by whole terms), or the first term's end for manual renewal. */
int64_t kefu_contract_term_end(const kefu_contract *c, int64_t day);
/* 1 if the contract is in force on `day`. */
int kefu_contract_active(const kefu_contract *c, int64_t day);
/* 1 if local seconds-of-day `sod` lies in a coverage window (always 1 for
 * full contracts). */
int kefu_contract_covers(const kefu_contract *c, int32_t sod);

/* Exact decimal parser shared with the roster and the CLI (money:
 * kefu_money_parse in record.h).
 * Ratio "1.5%" (percent) or "0.015" (fraction), >= 0, at most 9 decimals. */
int kefu_ratio_parse(const char *s, size_t n, kefu_ratio *out);
/* Adds months to a day number: the same day of month, or the 1st of the
 * following month when that day does not exist. */
int64_t kefu_add_months(int64_t day, int months);

#ifdef __cplusplus
}
#endif
#endif
