/*
 * bill_session.c - loading the store's data once for the billing commands
 * and running the engine per judge rule (bill_session.h).
 */
#include "bill_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "kefu/tz.h"

int bill_session_open(bill_session *s, const char *db, const char *cmd)
{
	kefu_err err = KEFU_ERR_INIT;
	memset(s, 0, sizeof *s);
	char *path = db ? strdup(db) : cli_default_db();
	if (!path) {
		cli_errorf("out of memory");
		return KEFU_EXIT_FAIL;
	}
	int rc = kefu_store_open_ex(&s->st, path, KEFU_STORE_NOCREATE, &err);
	free(path);
	if (rc || kefu_billing_open(s->st, &err)) {
		cli_print_err(&err);
		(void)cmd;
		return KEFU_EXIT_STORE;
	}
	return 0;
}

int bill_session_data(bill_session *s)
{
	kefu_err err = KEFU_ERR_INIT;
	int cached = 0;
	if (s->ds)
		return 0;
	if (kefu_settings_init(&s->base, &err)) {
		cli_print_err(&err);
		return KEFU_EXIT_FAIL;
	}
	s->have_base = 1;
	if (kefu_store_load_cached(s->st, &s->ds, &cached, &err)) {
		cli_print_err(&err);
		return KEFU_EXIT_STORE;
	}
	if (!s->ds->finalized && kefu_dataset_finalize(s->ds, &err)) {
		cli_print_err(&err);
		return KEFU_EXIT_FAIL;
	}
	s->nvs = kefu_dict_size(s->ds->shops);
	s->vs[0] = calloc(s->nvs + 1, sizeof *s->vs[0]);
	if (!s->vs[0]) {
		cli_errorf("out of memory");
		return KEFU_EXIT_FAIL;
	}
	for (size_t i = 0; i < s->nvs; i++) {
		kefu_str name = kefu_dict_get(s->ds->shops, (uint32_t)i);
		char *nm = strndup(name.p, name.n);
		int rc = nm ? kefu_store_settings_versions(s->st, nm, &s->base, &s->vs[0][i], &err)
			    : KEFU_ENOMEM;
		free(nm);
		if (rc) {
			cli_print_err(&err);
			return KEFU_EXIT_STORE;
		}
	}
	return 0;
}

static int session_threads(void)
{
	const char *th = getenv("KEFU_THREADS");
	if (th && atoi(th) > 0)
		return atoi(th);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus > 0 ? (int)cpus : 1;
}

int bill_session_kpi(bill_session *s, int judge_rule, kefu_billing_data *d)
{
	static const char *const rules[] = {"order", "order_first", "payment"};
	kefu_err err = KEFU_ERR_INIT;
	int rc = bill_session_data(s);
	int k = judge_rule < 0 ? 0 : judge_rule + 1;
	if (rc)
		return rc;
	if (!s->vs[k]) {
		s->vs[k] = calloc(s->nvs + 1, sizeof *s->vs[k]);
		if (!s->vs[k]) {
			cli_errorf("out of memory");
			return KEFU_EXIT_FAIL;
		}
		for (size_t i = 0; i < s->nvs; i++) {
			const kefu_settings_versions *src = &s->vs[0][i];
			kefu_settings_versions *dst = &s->vs[k][i];
			dst->v = calloc(src->n + 1, sizeof *dst->v);
			dst->from_day = calloc(src->n + 1, sizeof *dst->from_day);
			if (!dst->v || !dst->from_day) {
				cli_errorf("out of memory");
				return KEFU_EXIT_FAIL;
			}
			for (size_t j = 0; j < src->n; j++) {
				if (kefu_settings_copy(&dst->v[j], &src->v[j], &err) ||
				    kefu_settings_apply(&dst->v[j], "judge_rule", rules[judge_rule],
							&err)) {
					cli_print_err(&err);
					return KEFU_EXIT_FAIL;
				}
				dst->from_day[j] = src->from_day[j];
				dst->n = j + 1;
			}
		}
	}
	if (!s->res[k]) {
		kefu_kpi_opts ko = KEFU_KPI_OPTS_INIT;
		ko.shop_settings = s->vs[k];
		ko.n_shop_settings = s->nvs;
		ko.threads = session_threads();
		if (kefu_kpi_run(&s->res[k], s->ds, &ko, &err)) {
			cli_print_err(&err);
			return KEFU_EXIT_FAIL;
		}
	}
	d->ds = s->ds;
	d->res = s->res[k];
	d->vs = s->vs[k];
	d->nvs = s->nvs;
	return 0;
}

void bill_session_close(bill_session *s)
{
	for (int k = 0; k < 4; k++) {
		if (s->vs[k])
			for (size_t i = 0; i < s->nvs; i++)
				kefu_settings_versions_clear(&s->vs[k][i]);
		free(s->vs[k]);
		kefu_kpi_result_free(s->res[k]);
	}
	if (s->have_base)
		kefu_settings_clear(&s->base);
	kefu_dataset_free(s->ds);
	kefu_store_close(s->st);
	memset(s, 0, sizeof *s);
}

int bill_today(const char *arg, int64_t *day)
{
	if (arg)
		return kefu_day_parse(arg, strlen(arg), day) ? -1 : 0;
	*day = kefu_floor_div((int64_t)time(NULL) + 8 * 3600, 86400);
	return 0;
}
