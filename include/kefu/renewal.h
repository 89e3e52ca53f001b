/*
 * renewal.h - the renewal review document of an outsourcing contract (settlement.md
 * "Renewal review", issue 8): the SLA KPIs of every billing period of the
 * term against their targets with pass / fail, the invoices and SLA
 * penalties and bonuses over the term, the provider's KPIs beside the
 * merchant's in-house agents on the same shops and period (inside the
 * coverage windows for partial contracts), and a plain recommendation
 * (renew / renew with changed SLA / do not renew) with its reasons.
 * Written as one self-contained HTML page or an XLSX workbook.
 *
 * (billing.h's kefu_review_table, `kefu contract review`, is the per-period
 * table of the billing engine, with payroll and margin for the provider;
 * this is the merchant's decision document of `kefu review`, built on the
 * same billing API.)
 *
 * Ownership: kefu_renewal_build returns a review owned by the caller
 * (kefu_renewal_free); its tables belong to it. Inputs are borrowed.
 */
#ifndef KEFU_RENEWAL_H
#define KEFU_RENEWAL_H

#include <stdio.h>

#include "kefu/billing.h"
#include "kefu/contract.h"
#include "kefu/table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kefu_renewal_verdict {
	KEFU_RENEWAL_RENEW,
	KEFU_RENEWAL_RENEW_CHANGED_SLA,
	KEFU_RENEWAL_DO_NOT_RENEW
} kefu_renewal_verdict;

const char *kefu_renewal_verdict_name(kefu_renewal_verdict v); /* "renew", ... */
const char *kefu_renewal_verdict_zh(kefu_renewal_verdict v);   /* "续约", ... */

typedef struct kefu_renewal {
	kefu_renewal_verdict verdict;
	char **reasons; /* plain sentences, in order of weight */
	size_t n_reasons;
	int64_t term_start, term_end, through; /* days; through = last day reviewed */
	size_t months;        /* billing periods reviewed */
	size_t months_with_data, months_failed;
	int64_t invoiced_fen, penalties_fen, bonuses_fen; /* penalties <= 0 */
	int invoices_recorded; /* 1: the store's invoices; 0: computed from the data */
	kefu_table *overview;  /* item, value */
	kefu_table *sla;       /* month, metric, value, target, result, adjustment_fen */
	kefu_table *invoices;  /* invoice, month, kind, issue, due, line, amount_fen */
	kefu_table *compare;   /* kefu_vendor_compare on the contract's shops and term */
} kefu_renewal;

typedef struct kefu_renewal_opts {
	const kefu_contract *contract;
	const kefu_billing_data *data; /* engine run with the contract's judge_rule */
	/* the store's current invoices of the contract (kefu_billing_load);
	 * NULL: computed from the data (kefu_billing_compute) */
	const kefu_invoice *stored;
	size_t n_stored;
	/* the review day: the term containing it is reviewed, up to it;
	 * INT64_MIN: the first term, to its end */
	int64_t day;
	/* vendor display name (may be NULL) */
	const char *vendor_name;
} kefu_renewal_opts;

int kefu_renewal_build(kefu_renewal **out, const kefu_renewal_opts *o, kefu_err *err);
void kefu_renewal_free(kefu_renewal *r);

/* One self-contained HTML page (inline CSS, no script). */
int kefu_renewal_html(FILE *f, const kefu_renewal *r, kefu_err *err);
/* An XLSX workbook: 结论 / SLA / 发票 / 对比 sheets. */
int kefu_renewal_xlsx(const char *path, const kefu_renewal *r, kefu_err *err);

#ifdef __cplusplus
}
#endif
#endif
