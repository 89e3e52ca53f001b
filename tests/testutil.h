/*
 * testutil.h - helpers shared by the unit tests: run the whole pipeline
 * (loader -> dataset -> engine -> report table) on in-memory CSV text or
 * fixture files with given settings, and read cells back by key.
 */
#ifndef KEFU_TESTUTIL_H
#define KEFU_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "kefu/dataset.h"
#include "kefu/kpi.h"
#include "kefu/report.h"
#include "kefu/settings.h"
#include "kefu/table.h"

typedef struct tu_run {
	kefu_dataset *ds;
	kefu_settings_versions *vs;
	size_t nvs;
	kefu_kpi_result *res;
	kefu_table *table;
	long rejected;
} tu_run;

/* Engine threads used by the helpers below (default 1). */
extern int tu_threads;

/* Inputs are CSV texts (NULL-terminated array); sets are KEY=VALUE strings
 * (NULL-terminated, may be NULL). Fails the test on any error. */
void tu_run_texts(tu_run *r, const char *const *csv_texts, const char *const *sets,
		  const kefu_report_opts *ro);
void tu_run_files(tu_run *r, const char *const *paths, const char *const *sets,
		  const kefu_report_opts *ro);
void tu_run_free(tu_run *r);
/* Loads CSV text into a dataset (Asia/Shanghai for naive timestamps). */
void tu_load_text(kefu_dataset *ds, const char *csv_text);
/* Runs settings, engine and report on a dataset the caller built (taken over). */
void tu_run_dataset(tu_run *r, kefu_dataset *ds, const char *const *sets,
		    const kefu_report_opts *ro);

/* Finds the row whose text key columns match (e.g. {"agent","s1:amy","day",
 * "2023-03-01", NULL}); returns -1 if none. */
long tu_find_row(const kefu_table *t, const char *const *kv);
/* Integer value (or numerator) of a cell; fails the test when empty. */
int64_t tu_int(const kefu_table *t, long row, const char *col);
int tu_empty(const kefu_table *t, long row, const char *col);
/* Machine-form text of a cell (CSV style), in a static buffer. */
const char *tu_fmt(const kefu_table *t, long row, const char *col);
/* Table-form text (2 decimals, percentages). */
const char *tu_fmt_table(const kefu_table *t, long row, const char *col);
/* Renders the table as CSV into a malloc'd string. */
char *tu_csv(const kefu_table *t);

#endif
