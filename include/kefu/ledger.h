/*
 * ledger.h - the double-entry journal of settlement.md "Ledger": every
 * invoice, credit note, payment and payroll posts one transfer whose
 * postings sum to zero (debits positive, credits negative, int64 fen).
 * Transfer ids are unique: posting the same transfer again is a no-op,
 * posting another amount under an existing id is KEFU_EINVAL.
 *
 * Accounts (docs/BILLING.md): receivable:<contract>, prepaid:<contract>,
 * revenue:base, revenue:commission, revenue:event, revenue:sla, cash,
 * expense:payroll, payable:salary, payable:commission.
 *
 * The tables live in the billing module of the store (kefu_billing_open).
 * kefu_ledger_post does not open a transaction of its own: callers group
 * it with the rows it belongs to.
 *
 * Ownership: transfers passed in are borrowed; tables returned belong to
 * the caller.
 */
#ifndef KEFU_LEDGER_H
#define KEFU_LEDGER_H

#include "kefu/common.h"
#include "kefu/store.h"
#include "kefu/table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kefu_posting {
	char account[96];
	int64_t amount_fen; /* > 0 debit, < 0 credit */
} kefu_posting;

typedef struct kefu_transfer {
	char id[256];
	int64_t day;
	char kind[16]; /* invoice, credit, payment, payroll */
	char ref[256]; /* invoice or payment id */
	kefu_posting *p;
	size_t n;
} kefu_transfer;

/* Posts t. *added = 1 when new, 0 when the same transfer was already
 * posted. Postings of amount 0 are dropped; the rest must sum to 0. */
int kefu_ledger_post(kefu_store *st, const kefu_transfer *t, int *added, kefu_err *err);

/* Balance (debits - credits) of one account. */
int kefu_ledger_balance(kefu_store *st, const char *account, int64_t *balance, kefu_err *err);

/* Sums over the whole journal: debits, credits (as a positive number) and
 * the number of transfers. A sound ledger has debits == credits. */
int kefu_ledger_totals(kefu_store *st, int64_t *debits, int64_t *credits, int64_t *transfers,
		       kefu_err *err);

/* Balances per account (account, debit_fen, credit_fen, balance_fen) and
 * the journal (transfer, day, kind, ref, account, debit_fen, credit_fen). */
int kefu_ledger_balances_table(kefu_store *st, kefu_table **out, kefu_err *err);
int kefu_ledger_journal_table(kefu_store *st, kefu_table **out, kefu_err *err);

#ifdef __cplusplus
}
#endif
#endif
