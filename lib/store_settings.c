/*
 * store_settings.c - per-shop settings kept in the store, versioned by the
 * business day from which they apply (metrics.md section 2).
 *
 * Rows are (shop, key, value, from_day); shop '*' applies to every shop and
 * a shop's own rows take precedence over '*' rows whatever their dates.
 * from_day INT64_MIN means "from the beginning".
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kefu_store_settings_set(kefu_store *st, const char *shop, const char *key, const char *value,
			    int64_t from_day, kefu_err *err)
{
	kefu_settings scratch;
	int rc = kefu_settings_init(&scratch, err);
	if (rc)
		return rc;
	rc = kefu_settings_apply(&scratch, key, value, err);
	kefu_settings_clear(&scratch);
	if (rc)
		return rc;
	sqlite3_stmt *s = store_stmt(st, S_SET_PUT, err);
	if (!s)
		return KEFU_ESTORE;
	if (sqlite3_bind_text(s, 1, shop ? shop : "*", -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 4, from_day)) {
		rc = store_fail(st, err, "bind");
		sqlite3_reset(s);
		return rc;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		rc = store_fail(st, err, "save setting");
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	return 0;
}

/* One settings row in memory. */
typedef struct set_row {
	int star; /* 1 = '*' row */
	char *key, *value;
	int64_t from_day;
} set_row;

typedef struct set_rows {
	set_row *r;
	size_t n, cap;
} set_rows;

static void set_rows_free(set_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++) {
		kefu_free(rows->r[i].key);
		kefu_free(rows->r[i].value);
	}
	kefu_free(rows->r);
	memset(rows, 0, sizeof *rows);
}

/* Reads the rows of '*' and shop: '*' rows first, each group by from_day. */
static int read_rows(kefu_store *st, const char *shop, set_rows *rows, kefu_err *err)
{
	memset(rows, 0, sizeof *rows);
	sqlite3_stmt *s = store_stmt(st, S_SET_ROWS, err);
	if (!s)
		return KEFU_ESTORE;
	int rc;
	if (shop)
		sqlite3_bind_text(s, 1, shop, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (kefu_grow((void **)&rows->r, &rows->cap, rows->n + 1, sizeof *rows->r))
			goto oom;
		set_row *r = &rows->r[rows->n];
		const char *sh = (const char *)sqlite3_column_text(s, 0);
		r->star = sh && !strcmp(sh, "*");
		r->key = kefu_strndup((const char *)sqlite3_column_text(s, 1),
				      (size_t)sqlite3_column_bytes(s, 1));
		r->value = kefu_strndup((const char *)sqlite3_column_text(s, 2),
					(size_t)sqlite3_column_bytes(s, 2));
		r->from_day = sqlite3_column_int64(s, 3);
		rows->n++;
		if (!r->key || !r->value)
			goto oom;
	}
	if (rc != SQLITE_DONE) {
		rc = store_fail(st, err, "read settings");
		goto fail;
	}
	sqlite3_reset(s);
	return 0;
oom:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
fail:
	sqlite3_reset(s);
	set_rows_free(rows);
	return rc;
}

/* dst = base overlaid with every row whose from_day <= day. */
static int build_version(kefu_settings *dst, const kefu_settings *base, const set_rows *rows,
			 int64_t day, const char *shop, kefu_err *err)
{
	int rc = kefu_settings_copy(dst, base, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < rows->n; i++) {
		const set_row *r = &rows->r[i];
		if (r->from_day > day)
			continue;
		if ((rc = kefu_settings_apply(dst, r->key, r->value, err))) {
			char msg[sizeof err->msg];
			snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
			kefu_err_set(err, rc, "stored setting for shop %s: %s",
				     r->star ? "*" : (shop ? shop : "*"), msg);
			kefu_settings_clear(dst);
			return rc;
		}
	}
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int kefu_store_settings_versions(kefu_store *st, const char *shop, const kefu_settings *base,
				 kefu_settings_versions *out, kefu_err *err)
{
	memset(out, 0, sizeof *out);
	set_rows rows;
	int rc = read_rows(st, shop, &rows, err);
	if (rc)
		return rc;
	/* distinct from_days, plus the beginning */
	size_t nd = 0;
	int64_t *days = kefu_malloc((rows.n + 1) * sizeof *days);
	if (!days)
		goto oom;
	days[nd++] = INT64_MIN;
	for (size_t i = 0; i < rows.n; i++)
		days[nd++] = rows.r[i].from_day;
	qsort(days, nd, sizeof *days, cmp_i64);
	size_t w = 1;
	for (size_t i = 1; i < nd; i++)
		if (days[i] != days[w - 1])
			days[w++] = days[i];
	nd = w;
	out->v = kefu_calloc(nd, sizeof *out->v);
	if (!out->v)
		goto oom;
	out->from_day = days;
	days = NULL;
	for (size_t i = 0; i < nd; i++) {
		if ((rc = build_version(&out->v[i], base, &rows, out->from_day[i], shop, err)))
			goto fail;
		out->n = i + 1;
	}
	set_rows_free(&rows);
	return 0;
oom:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
fail:
	kefu_free(days);
	if (!out->n) {
		kefu_free(out->v);
		kefu_free(out->from_day);
		memset(out, 0, sizeof *out);
	} else {
		kefu_settings_versions_clear(out);
	}
	set_rows_free(&rows);
	return rc;
}

int kefu_store_settings_latest(kefu_store *st, const char *shop, kefu_settings *out,
			       kefu_err *err)
{
	memset(out, 0, sizeof *out);
	kefu_settings base;
	set_rows rows;
	int rc = kefu_settings_init(&base, err);
	if (rc)
		return rc;
	if ((rc = read_rows(st, shop, &rows, err)) == 0) {
		rc = build_version(out, &base, &rows, INT64_MAX, shop, err);
		set_rows_free(&rows);
	}
	kefu_settings_clear(&base);
	if (rc)
		memset(out, 0, sizeof *out);
	return rc;
}
