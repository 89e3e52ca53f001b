/*
 * testutil.c - helpers shared by the unit tests.
 */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kefu/loader.h"

int tu_threads = 1;

static int on_row(void *ctx, const kefu_record *rec, const char *file, long line, kefu_err *err)
{
	(void)file;
	(void)line;
	return kefu_dataset_add(((tu_run *)ctx)->ds, rec, err);
}

static int on_reject(void *ctx, const char *file, long line, long col, const char *column,
		     const char *reason, kefu_str raw)
{
	(void)raw;
	((tu_run *)ctx)->rejected++;
	fprintf(stderr, "reject %s:%ld:%ld: %s: %s\n", file, line, col, column, reason);
	return 0;
}

static void finish(tu_run *r, const char *const *sets, const kefu_report_opts *ro)
{
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_dataset_finalize(r->ds, &err), 0);
	r->nvs = kefu_dict_size(r->ds->shops);
	r->vs = calloc(r->nvs + 1, sizeof *r->vs);
	for (size_t i = 0; i < r->nvs; i++) {
		r->vs[i].v = calloc(1, sizeof(kefu_settings));
		r->vs[i].from_day = calloc(1, sizeof(int64_t));
		r->vs[i].from_day[0] = INT64_MIN;
		r->vs[i].n = 1;
		assert_int_equal(kefu_settings_init(&r->vs[i].v[0], &err), 0);
		for (size_t k = 0; sets && sets[k]; k++) {
			if (kefu_settings_apply_kv(&r->vs[i].v[0], sets[k], &err))
				fail_msg("setting %s: %s", sets[k], err.msg);
		}
	}
	kefu_kpi_opts ko = KEFU_KPI_OPTS_INIT;
	ko.shop_settings = r->vs;
	ko.n_shop_settings = r->nvs;
	ko.threads = tu_threads;
	if (kefu_kpi_run(&r->res, r->ds, &ko, &err))
		fail_msg("engine: %s", err.msg);
	kefu_report_opts def = KEFU_REPORT_OPTS_INIT;
	if (kefu_report_kpi(&r->table, r->ds, r->res, ro ? ro : &def, &err))
		fail_msg("report: %s", err.msg);
}

static void start(tu_run *r)
{
	memset(r, 0, sizeof *r);
	assert_int_equal(kefu_dataset_new(&r->ds), 0);
}

static kefu_tz *default_tz(void)
{
	static kefu_tz *tz;
	kefu_err err = KEFU_ERR_INIT;
	if (!tz)
		assert_int_equal(kefu_tz_load(&tz, "Asia/Shanghai", &err), 0);
	return tz;
}

void tu_run_texts(tu_run *r, const char *const *texts, const char *const *sets,
		  const kefu_report_opts *ro)
{
	start(r);
	kefu_err err = KEFU_ERR_INIT;
	kefu_tz *tz = NULL;
	const char *tzname = "Asia/Shanghai";
	for (size_t k = 0; sets && sets[k]; k++)
		if (!strncmp(sets[k], "tz=", 3))
			tzname = sets[k] + 3;
	assert_int_equal(kefu_tz_load(&tz, tzname, &err), 0);
	for (size_t i = 0; texts[i]; i++) {
		kefu_load_opts lo = KEFU_LOAD_OPTS_INIT;
		lo.default_tz = tz;
		kefu_load_stats ls;
		char name[32];
		snprintf(name, sizeof name, "input%zu.csv", i);
		if (kefu_load_mem(texts[i], strlen(texts[i]), name, &lo, on_row, on_reject, r, &ls, &err))
			fail_msg("load %s: %s", name, err.msg);
	}
	kefu_tz_free(tz);
	finish(r, sets, ro);
}

void tu_run_files(tu_run *r, const char *const *paths, const char *const *sets,
		  const kefu_report_opts *ro)
{
	start(r);
	kefu_err err = KEFU_ERR_INIT;
	for (size_t i = 0; paths[i]; i++) {
		kefu_load_opts lo = KEFU_LOAD_OPTS_INIT;
		lo.default_tz = default_tz();
		kefu_load_stats ls;
		if (kefu_load_file(paths[i], &lo, on_row, on_reject, r, &ls, &err))
			fail_msg("load %s: %s", paths[i], err.msg);
	}
	finish(r, sets, ro);
}

void tu_run_free(tu_run *r)
{
	kefu_table_free(r->table);
	kefu_kpi_result_free(r->res);
	for (size_t i = 0; i < r->nvs; i++)
		kefu_settings_versions_clear(&r->vs[i]);
	free(r->vs);
	kefu_dataset_free(r->ds);
	memset(r, 0, sizeof *r);
}

long tu_find_row(const kefu_table *t, const char *const *kv)
{
	for (size_t row = 0; row < t->nrows; row++) {
		int ok = 1;
		for (size_t i = 0; kv[i]; i += 2) {
			long c = kefu_table_col(t, kv[i]);
			if (c < 0)
				fail_msg("no column %s", kv[i]);
			const kefu_cell *cell = kefu_table_cell(t, row, (size_t)c);
			if (cell->empty || !cell->text || strcmp(cell->text, kv[i + 1])) {
				ok = 0;
				break;
			}
		}
		if (ok)
			return (long)row;
	}
	return -1;
}

static const kefu_cell *cell_of(const kefu_table *t, long row, const char *col)
{
	long c = kefu_table_col(t, col);
	if (c < 0)
		fail_msg("no column %s", col);
	if (row < 0 || (size_t)row >= t->nrows)
		fail_msg("no such row for column %s", col);
	return kefu_table_cell(t, (size_t)row, (size_t)c);
}

int64_t tu_int(const kefu_table *t, long row, const char *col)
{
	const kefu_cell *c = cell_of(t, row, col);
	if (c->empty)
		fail_msg("cell %s is empty", col);
	return c->num;
}

int tu_empty(const kefu_table *t, long row, const char *col)
{
	return cell_of(t, row, col)->empty;
}

const char *tu_fmt(const kefu_table *t, long row, const char *col)
{
	static char buf[256];
	kefu_cell_format(&t->cols[kefu_table_col(t, col)], cell_of(t, row, col), 0, buf, sizeof buf);
	return buf;
}

const char *tu_fmt_table(const kefu_table *t, long row, const char *col)
{
	static char buf[256];
	kefu_cell_format(&t->cols[kefu_table_col(t, col)], cell_of(t, row, col), 1, buf, sizeof buf);
	return buf;
}

char *tu_csv(const kefu_table *t)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	kefu_err err = KEFU_ERR_INIT;
	kefu_write_opts wo = KEFU_WRITE_OPTS_INIT;
	assert_int_equal(kefu_write_csv(t, f, &wo, &err), 0);
	fclose(f);
	return buf;
}

static int add_only(void *ctx, const kefu_record *rec, const char *file, long line, kefu_err *err)
{
	(void)file;
	(void)line;
	return kefu_dataset_add((kefu_dataset *)ctx, rec, err);
}

static int reject_fails(void *ctx, const char *file, long line, long col, const char *column,
			const char *reason, kefu_str raw)
{
	(void)ctx;
	(void)raw;
	fail_msg("unexpected reject %s:%ld:%ld: %s: %s", file, line, col, column, reason);
	return -1;
}

void tu_load_text(kefu_dataset *ds, const char *text)
{
	kefu_err err = KEFU_ERR_INIT;
	kefu_load_opts lo = KEFU_LOAD_OPTS_INIT;
	lo.default_tz = default_tz();
	kefu_load_stats ls;
	if (kefu_load_mem(text, strlen(text), "text.csv", &lo, add_only, reject_fails, ds, &ls, &err))
		fail_msg("load: %s", err.msg);
}

void tu_run_dataset(tu_run *r, kefu_dataset *ds, const char *const *sets,
		    const kefu_report_opts *ro)
{
	memset(r, 0, sizeof *r);
	r->ds = ds;
	finish(r, sets, ro);
}
