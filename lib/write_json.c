/*
 * write_json.c - JSON writer for the result table, through jansson:
 * {"title", "settings": {..}, "columns": [..], "rows": [{..}, ..]} with
 * stable key order (the column order). Integers stay exact int64; means and
 * rates are numbers rounded to 6 decimals; undefined values are null.
 */
#include "kefu/table.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *cell_json(const kefu_column *col, const kefu_cell *c)
{
	if (c->empty)
		return json_null();
	switch (col->type) {
	case KEFU_T_TEXT:
		return json_string(c->text ? c->text : "");
	case KEFU_T_INT:
	case KEFU_T_FEN:
		return json_integer(c->num);
	case KEFU_T_FLAG:
		return json_boolean(c->num != 0);
	default: {
		/* Round exactly to 6 decimals, then hand jansson the nearest
		 * double; it prints up to 17 significant digits, so we dump with
		 * JSON_REAL_PRECISION(15) which reproduces the 6-decimal text. */
		char buf[64];
		kefu_cell_format(col, c, 0, buf, sizeof buf);
		return json_real(strtod(buf, NULL));
	}
	}
}

int kefu_write_json(const kefu_table *t, FILE *out, const kefu_write_opts *o, kefu_err *err)
{
	(void)o;
	json_t *root = json_object();
	json_t *settings = json_object();
	json_t *cols = json_array();
	json_t *rows = json_array();
	int rc = 0;
	if (!root || !settings || !cols || !rows) {
		json_decref(root);
		json_decref(settings);
		json_decref(cols);
		json_decref(rows);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	json_object_set_new(root, "title", json_string(t->title));
	for (size_t i = 0; i < t->nmeta; i++)
		json_object_set_new(settings, t->meta_key[i], json_string(t->meta_val[i]));
	json_object_set_new(root, "settings", settings);
	for (size_t c = 0; c < t->ncols; c++) {
		json_t *col = json_object();
		json_object_set_new(col, "name", json_string(t->cols[c].name));
		json_object_set_new(col, "zh", json_string(t->cols[c].zh));
		json_array_append_new(cols, col);
	}
	json_object_set_new(root, "columns", cols);
	for (size_t r = 0; r < t->nrows; r++) {
		json_t *row = json_object();
		for (size_t c = 0; c < t->ncols; c++)
			json_object_set_new(row, o->zh ? t->cols[c].zh : t->cols[c].name,
					    cell_json(&t->cols[c], kefu_table_cell(t, r, c)));
		json_array_append_new(rows, row);
	}
	json_object_set_new(root, "rows", rows);
	if (json_dumpf(root, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) != 0)
		rc = kefu_err_set(err, KEFU_EIO, "write error");
	fputc('\n', out);
	if (!rc && (fflush(out) != 0 || ferror(out)))
		rc = kefu_err_set(err, KEFU_EIO, "write error");
	json_decref(root);
	return rc;
}
