/*
 * staff_html.c - the staffing plan as one self-contained page (report_html.h
 * kefu_write_html_staff): per shop the intervals' forecast volume, agents
 * needed (Erlang), scheduled (after shrinkage), on duty from the chosen
 * shifts and gaps, as one ECharts chart; the shifts table and the plan's
 * settings. Reads the plan's two neutral tables, so the page shows exactly
 * what `--show intervals` and the shifts table print.
 */
#include "kefu/report_html.h"

#include <jansson.h>
#include <string.h>

/* Page script and style (report_html_app.c). */
extern const char kefu_staff_html_js[];
extern const char kefu_report_html_css[];

/* A cell as a JSON number (null when empty). */
static json_t *cell_number(const kefu_column *col, const kefu_cell *c)
{
	if (c->empty)
		return json_null();
	if (col->type == KEFU_T_INT)
		return json_integer((json_int_t)c->num);
	return json_real((double)c->num / (double)(c->den ? c->den : 1));
}

static json_t *cell_text(const kefu_column *col, const kefu_cell *c)
{
	char buf[128];
	if (col->type == KEFU_T_TEXT)
		return json_string(c->text ? c->text : "");
	kefu_cell_format(col, c, 1, buf, sizeof buf);
	return json_string(buf);
}

/* One shop's series from its rows of the intervals table. */
static json_t *shop_series(const kefu_table *t, size_t from, size_t to, const long *ix)
{
	static const char *const keys[] = {"t", "volume", "raw", "need", "on_duty", "gap"};
	json_t *s = json_object(), *arr[6];
	for (int k = 0; k < 6; k++) {
		arr[k] = json_array();
		json_object_set_new(s, keys[k], arr[k]);
	}
	json_object_set_new(s, "name", json_string(kefu_table_cell(t, from, (size_t)ix[0])->text));
	for (size_t r = from; r < to; r++)
		for (int k = 0; k < 6; k++) {
			const kefu_cell *c = kefu_table_cell(t, r, (size_t)ix[k + 1]);
			json_array_append_new(arr[k], k == 0 ? json_string(c->text ? c->text : "")
							     : cell_number(&t->cols[ix[k + 1]], c));
		}
	return s;
}

int kefu_write_html_staff(FILE *out, const kefu_table *intervals, const kefu_table *shifts,
			  const char *title, kefu_err *err)
{
	static const char *const cols[] = {"shop",	       "interval_start", "volume", "raw_agents",
					   "scheduled_agents", "on_duty",	 "gap"};
	long ix[7];
	for (int k = 0; k < 7; k++)
		if ((ix[k] = kefu_table_col(intervals, cols[k])) < 0)
			return kefu_err_set(err, KEFU_EINVAL, "staff page: no column %s", cols[k]);
	json_t *root = json_object(), *shops = json_array(), *sh = json_object(),
	       *shcols = json_array(), *shrows = json_array(), *meta = json_array();
	json_object_set_new(root, "title", json_string(title ? title : "排班计划"));
	json_object_set_new(root, "shops", shops);
	json_object_set_new(sh, "columns", shcols);
	json_object_set_new(sh, "rows", shrows);
	json_object_set_new(root, "shifts", sh);
	json_object_set_new(root, "meta", meta);
	/* rows of one shop are consecutive */
	for (size_t r = 0; r < intervals->nrows;) {
		const char *name = kefu_table_cell(intervals, r, (size_t)ix[0])->text;
		size_t e = r + 1;
		while (e < intervals->nrows) {
			const char *n2 = kefu_table_cell(intervals, e, (size_t)ix[0])->text;
			if (!name || !n2 || strcmp(name, n2))
				break;
			e++;
		}
		json_array_append_new(shops, shop_series(intervals, r, e, ix));
		r = e;
	}
	for (size_t c = 0; c < shifts->ncols; c++)
		json_array_append_new(shcols, json_string(shifts->cols[c].zh ? shifts->cols[c].zh
									     : shifts->cols[c].name));
	for (size_t r = 0; r < shifts->nrows; r++) {
		json_t *row = json_array();
		for (size_t c = 0; c < shifts->ncols; c++)
			json_array_append_new(row, cell_text(&shifts->cols[c], kefu_table_cell(shifts, r, c)));
		json_array_append_new(shrows, row);
	}
	const kefu_table *mt = intervals->nmeta ? intervals : shifts;
	for (size_t m = 0; m < mt->nmeta; m++)
		json_array_append_new(meta, json_pack("[s,s]", mt->meta_key[m], mt->meta_val[m]));
	static const char body[] =
		"<header><h1 id=\"title\"></h1><p id=\"summary\"></p></header>\n"
		"<main>\n"
		"<div id=\"shops\"></div>\n"
		"<section><h2>班次</h2><div class=\"tablewrap\"><table id=\"shifts\"></table></div></section>\n"
		"<section><h2>设置</h2><table id=\"meta\" class=\"meta\"></table></section>\n"
		"</main>\n";
	int rc = kefu_html_page(out, title ? title : "排班计划", body, root, kefu_staff_html_js,
				kefu_report_html_css, err);
	json_decref(root);
	return rc;
}
