/*
 * bill_session.h - what `kefu bill`, `kefu payroll` and `kefu margin`
 * share: the store (kept open for the billing tables), its data loaded
 * once, per-shop settings versions, and one engine run per judge rule a
 * contract asks for (the shop's own setting, or the contract's override).
 */
#ifndef KEFU_BILL_SESSION_H
#define KEFU_BILL_SESSION_H

#include "kefu/billing.h"
#include "kefu/dataset.h"
#include "kefu/kpi.h"
#include "kefu/settings.h"
#include "kefu/store.h"

typedef struct bill_session {
	kefu_store *st;
	kefu_dataset *ds; /* NULL until bill_session_data */
	kefu_settings base;
	int have_base;
	/* [0]: the shops' own settings; [1 + rule]: judge_rule overridden */
	kefu_settings_versions *vs[4];
	size_t nvs;
	kefu_kpi_result *res[4];
} bill_session;

/* Opens the store (which must exist) with the billing tables. Prints
 * errors; returns an exit code. */
int bill_session_open(bill_session *s, const char *db, const char *cmd);
/* Loads the data once. Prints errors; returns an exit code. */
int bill_session_data(bill_session *s);
/* The engine run for judge_rule (-1 = the shops' settings); fills d. */
int bill_session_kpi(bill_session *s, int judge_rule, kefu_billing_data *d);
void bill_session_close(bill_session *s);

/* Today's date in Asia/Shanghai, or the --today value. */
int bill_today(const char *arg, int64_t *day);

#endif
