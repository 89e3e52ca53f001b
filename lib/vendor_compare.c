/*
 * vendor_compare.c - the side-by-side KPI table of each vendor's agents,
 * the merchant's in-house agents and the silent sales, on the same shops and
 * period, over all hours and (for partial outsourcing) inside and outside
 * the coverage windows (vendor.h). The figures come from the report engine
 * (kefu_report_kpi by vendor over the whole range) on the engine's result
 * or on its coverage restriction (coverage.h); this file only arranges them.
 */
#include "kefu/vendor.h"

#include <stdlib.h>
#include <string.h>

#include "kefu/coverage.h"

static const char *const copy_cols[] = {
	"consults",   "received",  "reply_rate", "first_resp_s", "avg_resp_s", "three_min_rate",
	"inquiries",  "converted", "conv_rate",  "sales_fen",    "sales_orders", "sales_buyers",
	"aov",        "dsr_desc",  "dsr_service", "dsr_shipping", "dsr_n",      NULL};

typedef struct segment {
	const char *name, *zh;
	kefu_kpi_result *own; /* restricted result (owned), NULL = the engine's */
	kefu_table *tv, *ta;  /* by vendor, by all */
} segment;

/* Sort rank of a group name: inhouse, vendors, unknown. */
static int group_rank(const char *g)
{
	if (!strcmp(g, "inhouse"))
		return 0;
	if (!strcmp(g, "unknown"))
		return 2;
	return 1;
}

static int cmp_group_names(const void *x, const void *y)
{
	const char *a = *(const char *const *)x, *b = *(const char *const *)y;
	int ra = group_rank(a), rb = group_rank(b);
	if (ra != rb)
		return ra - rb;
	return strcmp(a, b);
}

static long find_group(const kefu_table *t, long col, const char *g)
{
	for (size_t r = 0; r < t->nrows; r++) {
		const kefu_cell *c = kefu_table_cell(t, r, (size_t)col);
		if (c->text && !strcmp(c->text, g))
			return (long)r;
	}
	return -1;
}

static const char *label_of(const kefu_vendor_compare_opts *o, const char *g)
{
	if (!strcmp(g, "inhouse"))
		return "in-house (自有客服)";
	if (!strcmp(g, "unknown"))
		return "not in roster (未在花名册)";
	for (size_t i = 0; o->label_ids && i < o->n_labels; i++)
		if (!strcmp(o->label_ids[i], g))
			return o->labels[i];
	return g;
}

static int64_t cell_int(const kefu_table *t, long row, const char *col)
{
	long c = kefu_table_col(t, col);
	if (row < 0 || c < 0)
		return 0;
	const kefu_cell *x = kefu_table_cell(t, (size_t)row, (size_t)c);
	return x->empty ? 0 : x->num;
}

static void cnum(kefu_cell *c, int64_t num, int64_t den)
{
	c->empty = 0;
	c->num = num;
	c->den = den;
}

static int set_text(kefu_cell *c, const char *s)
{
	return kefu_cell_set_text(c, s, strlen(s));
}

int kefu_vendor_compare(kefu_table **out, const kefu_dataset *ds, const kefu_kpi_result *res,
			const kefu_vendor_compare_opts *o, kefu_err *err)
{
	*out = NULL;
	segment seg[3] = {{"all", "全时段", NULL, NULL, NULL},
			  {"inside", "覆盖时段内", NULL, NULL, NULL},
			  {"outside", "覆盖时段外", NULL, NULL, NULL}};
	size_t nseg = o->coverage ? 3 : 1;
	kefu_table *t = NULL;
	char **groups = NULL;
	size_t ng = 0, gcap = 0;
	char window[256] = "";
	int rc = 0;
	if (o->coverage)
		kefu_coverage_format(o->coverage, window, sizeof window);
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	ro.per = KEFU_PER_RANGE;
	ro.from_day = o->from_day;
	ro.to_day = o->to_day;
	ro.shops = o->shops;
	ro.n_shops = o->n_shops;
	for (size_t s = 0; s < nseg; s++) {
		const kefu_kpi_result *r = res;
		if (s > 0) {
			if ((rc = kefu_coverage_restrict(&seg[s].own, ds, res, o->shop_settings,
							 o->n_shop_settings, o->coverage, s == 1, err)))
				goto done;
			r = seg[s].own;
		}
		ro.by = KEFU_BY_VENDOR;
		if ((rc = kefu_report_kpi(&seg[s].tv, ds, r, &ro, err)))
			goto done;
		ro.by = KEFU_BY_ALL;
		if ((rc = kefu_report_kpi(&seg[s].ta, ds, r, &ro, err)))
			goto done;
		long vc = kefu_table_col(seg[s].tv, "vendor");
		for (size_t i = 0; i < seg[s].tv->nrows; i++) {
			char *g = kefu_table_cell(seg[s].tv, i, (size_t)vc)->text;
			size_t j = 0;
			while (j < ng && strcmp(groups[j], g))
				j++;
			if (j < ng)
				continue;
			if (kefu_grow((void **)&groups, &gcap, ng + 1, sizeof *groups))
				goto nomem;
			groups[ng++] = g;
		}
	}
	qsort(groups, ng, sizeof *groups, cmp_group_names);
	if ((rc = kefu_table_new(&t, "kefu vendor compare")))
		goto nomem;
	rc |= kefu_table_add_col(t, "segment", "时段", KEFU_T_TEXT);
	rc |= kefu_table_add_col(t, "window", "覆盖时段", KEFU_T_TEXT);
	rc |= kefu_table_add_col(t, "group", "外包商", KEFU_T_TEXT);
	rc |= kefu_table_add_col(t, "name", "名称", KEFU_T_TEXT);
	for (size_t i = 0; copy_cols[i]; i++) {
		long c = kefu_table_col(seg[0].tv, copy_cols[i]);
		if (c < 0) {
			rc = kefu_err_set(err, KEFU_EINVAL, "report has no column %s", copy_cols[i]);
			goto done;
		}
		rc |= kefu_table_add_col(t, seg[0].tv->cols[c].name, seg[0].tv->cols[c].zh,
					 seg[0].tv->cols[c].type);
	}
	rc |= kefu_table_add_col(t, "share_of_paid", "占付款总额", KEFU_T_RATE);
	rc |= kefu_table_add_col(t, "provisional", "延迟统计", KEFU_T_FLAG);
	if (rc)
		goto nomem;
	size_t share_col = t->ncols - 2, prov_col = t->ncols - 1;
	for (size_t s = 0; s < nseg; s++) {
		const kefu_table *tv = seg[s].tv, *ta = seg[s].ta;
		long vc = kefu_table_col(tv, "vendor");
		long arow = ta->nrows ? 0 : -1;
		int64_t paid = cell_int(ta, arow, "paid_fen");
		for (size_t gi = 0; gi <= ng; gi++) {
			kefu_cell *row;
			if (kefu_table_add_row(t, &row))
				goto nomem;
			const char *g = gi < ng ? groups[gi] : "silent";
			rc |= set_text(&row[0], seg[s].name);
			rc |= set_text(&row[1], s ? window : "");
			rc |= set_text(&row[2], g);
			rc |= set_text(&row[3], gi < ng ? label_of(o, g) : "silent sales (静默销售)");
			if (rc)
				goto nomem;
			long src = gi < ng ? find_group(tv, vc, g) : -1;
			for (size_t i = 0; copy_cols[i]; i++) {
				kefu_cell *dst = &row[4 + i];
				kefu_coltype ty = t->cols[4 + i].type;
				if (s > 0 && !strncmp(copy_cols[i], "dsr_", 4)) {
					/* DSR is not split by coverage (coverage.h) */
				} else if (src >= 0) {
					const kefu_cell *sc = kefu_table_cell(
						tv, (size_t)src, (size_t)kefu_table_col(tv, copy_cols[i]));
					dst->empty = sc->empty;
					dst->num = sc->num;
					dst->den = sc->den;
				} else if (gi == ng && !strcmp(copy_cols[i], "sales_fen")) {
					cnum(dst, cell_int(ta, arow, "silent_fen"), 0);
				} else if (gi == ng && !strcmp(copy_cols[i], "sales_orders")) {
					cnum(dst, cell_int(ta, arow, "silent_orders"), 0);
				} else if (gi < ng && (ty == KEFU_T_INT || ty == KEFU_T_FEN)) {
					cnum(dst, 0, 0); /* no rows in this segment */
				}
			}
			int64_t part = gi < ng ? (src >= 0 ? cell_int(tv, src, "sales_fen") : 0)
					       : cell_int(ta, arow, "silent_fen");
			if (paid > 0)
				cnum(&row[share_col], part, paid);
			cnum(&row[prov_col],
			     src >= 0 ? cell_int(tv, src, "provisional") : cell_int(ta, arow, "provisional"), 0);
		}
	}
	{
		char buf[64];
		rc |= kefu_table_add_meta(t, "coverage", window[0] ? window : "none");
		if (o->from_day != INT64_MIN) {
			kefu_day_format(o->from_day, buf);
			rc |= kefu_table_add_meta(t, "from", buf);
		}
		if (o->to_day != INT64_MAX) {
			kefu_day_format(o->to_day, buf);
			rc |= kefu_table_add_meta(t, "to", buf);
		}
		if (o->coverage)
			rc |= kefu_table_add_meta(
				t, "coverage_note",
				"inside/outside: chats by their first buyer message, silent sales by their sale time; DSR only over all hours");
		if (rc)
			goto nomem;
	}
	*out = t;
	t = NULL;
	rc = 0;
	goto done;
nomem:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
done:
	kefu_table_free(t);
	kefu_free(groups);
	for (size_t s = 0; s < 3; s++) {
		kefu_kpi_result_free(seg[s].own);
		kefu_table_free(seg[s].tv);
		kefu_table_free(seg[s].ta);
	}
	(void)seg[0].zh;
	return rc;
}
