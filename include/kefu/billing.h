/*
 * billing.h - settlement.md "Billing periods and lines" and "Invoices":
 * billing periods (calendar months clipped to the term), the KPIs of a
 * period gathered from the engine's chats and credits (coverage windows
 * filter both), invoice lines (base or fixed prorated, commission tiers,
 * event seats, SLA penalties and bonuses), postpay and prepay invoices;
 * the store side (contracts, invoices, credit notes, payments: billing
 * module tables), payroll and margin, and the printable statement (对账单).
 *
 * Every line is an exact rational in fen (128-bit intermediates) rounded
 * once, half away from zero; totals are sums of rounded lines.
 *
 * Ownership: arrays returned through out parameters belong to the caller
 * (kefu_invoices_free, kefu_free); tables to the caller (kefu_table_free).
 * Contracts, datasets and results passed in are borrowed for the call.
 */
#ifndef KEFU_BILLING_H
#define KEFU_BILLING_H

#include <stdio.h>

#include "kefu/contract.h"
#include "kefu/dataset.h"
#include "kefu/kpi.h"
#include "kefu/settings.h"
#include "kefu/store.h"
#include "kefu/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rounds num/den (den != 0) half away from zero. */
int64_t kefu_round_div(__int128 num, __int128 den);

/* ------------------------------------------------------------ periods */

typedef struct kefu_period {
	int y, m;                     /* the calendar month */
	int64_t first_day, last_day;  /* covered days of that month (inclusive) */
	int64_t month_days;           /* days in the calendar month */
} kefu_period;

/* The period of month y-m, or KEFU_ENOTFOUND when no day of that month is
 * in the contract's term (auto renewal: every month from the start). */
int kefu_billing_period(kefu_period *out, const kefu_contract *c, int y, int m);
/* Every period whose first day is <= through_day, in order. */
int kefu_billing_periods(kefu_period **out, size_t *n, const kefu_contract *c,
			 int64_t through_day, kefu_err *err);
/* Parses "YYYY-MM". */
int kefu_month_parse(const char *s, int *y, int *m);

/* --------------------------------------------------------- period KPIs */

/* What a period's lines need from the data: credited sales of the
 * vendor's agents on the contract's shops (sale day in the period; for
 * partial contracts only through a chat whose first buyer message lies in
 * a coverage window), and num/den of every SLA metric over the same chats. */
typedef struct kefu_period_kpi {
	int64_t sales_fen;
	long sales_orders;
	int64_t num[KEFU_SLA_NMETRICS], den[KEFU_SLA_NMETRICS];
	long chats;         /* the vendor's chats on the shops in the period */
	long chats_covered; /* of those, with f inside coverage (= chats for full) */
} kefu_period_kpi;

/* Per chat of res: 0 = not a chat of this contract and period, 1 = the
 * vendor's chat outside coverage, 2 = inside coverage (used). */
enum { KEFU_CHAT_OTHER = 0, KEFU_CHAT_OUTSIDE = 1, KEFU_CHAT_COVERED = 2 };

typedef struct kefu_billing_data {
	const kefu_dataset *ds;
	const kefu_kpi_result *res; /* run with the contract's judge_rule */
	const kefu_settings_versions *vs; /* per shop id */
	size_t nvs;
} kefu_billing_data;

/* Fills *out. chat_class (may be NULL) has res->n_chats entries. */
int kefu_billing_collect(kefu_period_kpi *out, uint8_t *chat_class, const kefu_contract *c,
			 const kefu_period *p, const kefu_billing_data *d, kefu_err *err);

/* The same for the other agents on the contract's shops (the merchant's
 * in-house agents, every hour) when others = 1: the renewal review's side
 * by side. */
int kefu_billing_collect_ex(kefu_period_kpi *out, uint8_t *chat_class, const kefu_contract *c,
			    const kefu_period *p, const kefu_billing_data *d, int others,
			    kefu_err *err);

/* ----------------------------------------------------- lines, invoices */

typedef enum kefu_line_kind {
	KEFU_LINE_BASE,
	KEFU_LINE_FIXED,
	KEFU_LINE_COMMISSION,
	KEFU_LINE_EVENT,
	KEFU_LINE_SLA
} kefu_line_kind;

const char *kefu_line_kind_name(kefu_line_kind k);

typedef struct kefu_bill_line {
	kefu_line_kind kind;
	char label[400];
	int64_t amount_fen;
	int tier;      /* commission: 1-based tier number; else 0 */
	int sla;       /* sla: rule index; else -1 */
	int kpi_empty; /* sla: the KPI had no data */
	int64_t kpi_num, kpi_den;
} kefu_bill_line;

typedef enum kefu_invoice_kind {
	KEFU_INV_POSTPAY = 0,  /* "P": everything, after the period */
	KEFU_INV_PREPAY_FIXED, /* "F": base/fixed and events, at the period start */
	KEFU_INV_PREPAY_VAR    /* "V": commission and sla, after the period */
} kefu_invoice_kind;

typedef struct kefu_invoice {
	char id[160]; /* <contract>-<YYYY-MM>-<P|F|V>-r<rev> */
	kefu_invoice_kind kind;
	int rev;
	int y, m;
	int64_t issue_day, due_day;
	kefu_bill_line *lines;
	size_t n_lines;
	int64_t total_fen;
	char notes[512]; /* SLA rules with no data, coverage */
} kefu_invoice;

/* The period's invoices with rev 1: one for postpay; for prepay the fixed
 * one and the variable one. Lines of amount 0 are dropped; an invoice
 * without lines is not returned (*n may be 0). */
int kefu_billing_compute(kefu_invoice **out, size_t *n, const kefu_contract *c,
			 const kefu_period *p, const kefu_period_kpi *k, kefu_err *err);
void kefu_invoices_free(kefu_invoice *v, size_t n);
/* Sets inv->id from the contract id, period, kind and rev. */
void kefu_invoice_set_id(kefu_invoice *inv, const char *contract_id);

/* ----------------------------------------------------------- the store */

/* Creates the billing module tables (contracts, invoices, invoice_lines,
 * credit_notes, ledger_transfers, ledger_postings, payments, payroll). */
int kefu_billing_open(kefu_store *st, kefu_err *err);

/* Stores a contract's source text under its id after validating it.
 * *added: 1 new, 0 identical text already stored. Another text under the
 * same id is KEFU_EINVAL unless replace. */
int kefu_contract_store_add(kefu_store *st, const char *text, size_t n, const char *file,
			    int replace, int *added, kefu_contract_problems *probs, kefu_err *err);
/* Loads and parses a stored contract; KEFU_ENOTFOUND if unknown. */
int kefu_contract_store_get(kefu_store *st, const char *id, kefu_contract **out, kefu_err *err);
/* The stored source text of a contract (caller frees with kefu_free). */
int kefu_contract_store_source(kefu_store *st, const char *id, char **text, kefu_err *err);
/* Every stored contract id, sorted; the caller frees each and the array. */
int kefu_contract_store_ids(kefu_store *st, char ***ids, size_t *n, kefu_err *err);

typedef struct kefu_record_stats {
	long invoices_added, credit_notes_added, transfers_added, unchanged;
} kefu_record_stats;

/*
 * Records the computed invoices of period p (from kefu_billing_compute)
 * in one transaction. Only kinds in due_mask (bit 1 << kind) are
 * considered. Per kind: nothing stored and nothing computed: nothing; the
 * current revision has the same lines: unchanged; else the current
 * revision (if any) gets a credit note and the computed one is stored as
 * the next revision. Every invoice and credit note posts its ledger
 * transfer. Revision 1 is issued on its natural day; corrections on
 * max(natural day, today). On return the invoices carry the stored ids,
 * revisions and dates.
 */
int kefu_billing_record(kefu_store *st, const kefu_contract *c, const kefu_period *p,
			kefu_invoice *inv, size_t n, unsigned due_mask, int64_t today,
			kefu_record_stats *stats, kefu_err *err);

/* Current (not credited) invoices, with lines, of a contract (and month
 * when y > 0), in (period, kind) order. */
int kefu_billing_load(kefu_store *st, const char *contract, int y, int m, kefu_invoice **out,
		      size_t *n, kefu_err *err);

/* Table of invoices and credit notes of a contract (NULL = all). */
int kefu_billing_list_table(kefu_store *st, const char *contract, kefu_table **out,
			    kefu_err *err);

/* Records a payment: cash in; up to the contract's receivable balance
 * settles it, the rest goes to the contract's prepaid balance. payment_id
 * makes the call idempotent (same values: no-op; other values: error). */
int kefu_billing_pay(kefu_store *st, const char *payment_id, const char *contract,
		     const char *invoice, int64_t day, int64_t amount_fen, int *added,
		     kefu_err *err);

/* ------------------------------------------------------------ payroll */

typedef struct kefu_pay_line {
	uint32_t agent;
	int64_t active_days, month_days;
	int64_t base_month_fen, base_fen;
	int64_t sales_fen;
	kefu_ratio rate;
	int64_t commission_fen, total_fen;
} kefu_pay_line;

/* Payroll of month y-m for every roster agent with a pay plan (base_month
 * or commission_rate): base prorated by active days (roster from..to) +
 * commission rate x the agent's credited sales of the month. */
int kefu_payroll_compute(kefu_pay_line **out, size_t *n, const kefu_dataset *ds,
			 const kefu_kpi_result *res, int y, int m, kefu_err *err);
int kefu_payroll_table(kefu_table **out, const kefu_dataset *ds, const kefu_pay_line *v,
		       size_t n, kefu_err *err);
/* Posts the payroll (expense:payroll / payable:salary, payable:commission),
 * one transfer per agent and month, idempotent. */
int kefu_payroll_post(kefu_store *st, const kefu_dataset *ds, const kefu_pay_line *v, size_t n,
		      int y, int m, long *added, kefu_err *err);

/* Margin of month y-m per contract: invoiced total of the current
 * invoices of that period minus payroll allocated by each agent's share of
 * received chats on the contract's shops. */
int kefu_margin_table(kefu_table **out, kefu_store *st, const kefu_contract *const *cs,
		      size_t ncs, const kefu_dataset *ds, const kefu_kpi_result *res,
		      const kefu_pay_line *pay, size_t npay, int y, int m, kefu_err *err);

/* ------------------------------------------------------ renewal review */

/* settlement.md "Renewal review": one row per billing period of c started
 * by through_day: invoiced total of the current invoices, the provider's
 * credited sales, and per SLA rule the provider's KPI, met or not, and the
 * in-house agents' KPI on the same shops (all their hours). With all (the
 * contracts sharing payroll, as for kefu_margin_table; NULL = none) also
 * payroll and margin (the provider's view only). */
int kefu_review_table(kefu_table **out, kefu_store *st, const kefu_contract *c,
		      const kefu_billing_data *d, int64_t through_day,
		      const kefu_contract *const *all, size_t nall, kefu_err *err);

/* ---------------------------------------------------------- statements */

/* One invoice as the neutral table (line, kind, amount, KPI used). */
int kefu_invoice_table(kefu_table **out, const kefu_contract *c, const kefu_invoice *v,
		       size_t n, kefu_err *err);
/* Printable 对账单: a self-contained HTML page / an XLSX workbook. */
int kefu_statement_html(FILE *f, const kefu_contract *c, const kefu_invoice *v, size_t n,
			const kefu_period_kpi *k, kefu_err *err);
int kefu_statement_xlsx(const char *path, const kefu_contract *c, const kefu_invoice *v,
			size_t n, const kefu_period_kpi *k, kefu_err *err);

#ifdef __cplusplus
}
#endif
#endif
