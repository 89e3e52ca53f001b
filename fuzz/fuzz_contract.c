/*
 * fuzz_contract.c - libFuzzer target for contract files (lib/contract_parse.c):
 * any bytes, as YAML or JSON, give either a contract or a list of problems,
 * never a crash; a returned contract has no problems, a term whose end is
 * not before its start, and tiers in increasing order; with no contract
 * there is at least one problem. A valid contract's first period is then
 * computed with zero KPIs, which must not fail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/billing.h"
#include "kefu/contract.h"
#include "kefu/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kefu_contract *c = NULL;
	kefu_contract_problems p = {0};
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_contract_parse(&c, (const char *)data, size, "fuzz", &p, &err);
	if (rc == 0) {
		if (!c || p.n != 0 || c->end_day < c->start_day)
			__builtin_trap();
		for (size_t i = 1; i < c->n_tiers; i++)
			if (c->tiers[i].from_fen < c->tiers[i - 1].to_fen)
				__builtin_trap();
		int64_t y;
		unsigned m, d;
		kefu_civil_from_days(c->start_day, &y, &m, &d);
		kefu_period per;
		kefu_period_kpi k;
		memset(&k, 0, sizeof k);
		if (y > 1970 && y < 9000 && kefu_billing_period(&per, c, (int)y, (int)m) == 0) {
			kefu_invoice *v = NULL;
			size_t n = 0;
			if (kefu_billing_compute(&v, &n, c, &per, &k, &err) && err.code != KEFU_EOVERFLOW)
				__builtin_trap();
			kefu_invoices_free(v, n);
		}
	} else if (rc == KEFU_EPARSE && (c || p.n == 0)) {
		__builtin_trap();
	}
	kefu_contract_free(c);
	kefu_contract_problems_clear(&p);
	return 0;
}
