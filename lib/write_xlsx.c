/*
 * write_xlsx.c - XLSX writer for the result table (libxlsxwriter): Chinese
 * column names, numbers as numbers with the exact spec rounding (the cell
 * value is the decimal the spec prints; the number format only shows it),
 * 汇总 and 均值 rows recomputed from sums, the metadata on a second sheet,
 * and the default report file name with the judge rule (docs/REPORTS.md).
 */
#include "kefu/table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

/* Excel's limits: 1,048,576 rows (header + data + 2 summary rows), 16,384
 * columns, 32,767 characters in a cell. */
#define XLSX_MAX_ROWS 1048576u
#define XLSX_MAX_COLS 16384u
#define XLSX_MAX_CELL 32767u

static int is_window_col(const kefu_column *c)
{
	/* DSR is a trailing 180-day window as of the row's last day: summing
	 * it over rows of different days counts the same ratings twice. */
	return strncmp(c->name, "dsr_", 4) == 0;
}

static int is_max_col(const kefu_column *c)
{
	return strcmp(c->name, "max_concurrent") == 0;
}

/* 1 when every row has the same period end (the "day" or "to" column), or
 * the table has no period column. */
static int single_period(const kefu_table *t)
{
	long c = kefu_table_col(t, "day");
	if (c < 0)
		c = kefu_table_col(t, "to");
	if (c < 0)
		return 1;
	const char *first = NULL;
	for (size_t r = 0; r < t->nrows; r++) {
		const kefu_cell *cell = kefu_table_cell(t, r, (size_t)c);
		const char *s = cell->empty || !cell->text ? "" : cell->text;
		if (!first)
			first = s;
		else if (strcmp(first, s))
			return 0;
	}
	return 1;
}

void kefu_table_totals(const kefu_table *t, size_t col, kefu_cell *sum, kefu_coltype *sum_type,
		       kefu_cell *mean, kefu_coltype *mean_type)
{
	const kefu_column *c = &t->cols[col];
	memset(sum, 0, sizeof *sum);
	memset(mean, 0, sizeof *mean);
	sum->empty = mean->empty = 1;
	*sum_type = *mean_type = c->type;
	if (c->type == KEFU_T_TEXT || t->nrows == 0)
		return;
	if (is_window_col(c) && !single_period(t))
		return;
	int64_t num = 0, den = 0, n = 0;
	int overflow = 0, any = 0;
	for (size_t r = 0; r < t->nrows; r++) {
		const kefu_cell *cell = kefu_table_cell(t, r, col);
		switch (c->type) {
		case KEFU_T_INT:
		case KEFU_T_FEN:
		case KEFU_T_FLAG:
			if (cell->empty)
				continue;
			any = 1;
			n++;
			if (is_max_col(c) || c->type == KEFU_T_FLAG) {
				if (cell->num > num)
					num = cell->num;
			} else {
				overflow |= kefu_add_i64(&num, cell->num);
			}
			break;
		default:
			/* an empty ratio has den 0 (and num 0): adding it changes nothing */
			if (cell->empty || cell->den <= 0)
				continue;
			overflow |= kefu_add_i64(&num, cell->num);
			overflow |= kefu_add_i64(&den, cell->den);
			break;
		}
	}
	if (overflow)
		return;
	switch (c->type) {
	case KEFU_T_INT:
	case KEFU_T_FEN:
		if (!any)
			return;
		sum->empty = 0;
		sum->num = num;
		if (is_max_col(c)) {
			/* a maximum: its 均值 is the mean of the rows' maxima */
			int64_t s = 0;
			for (size_t r = 0; r < t->nrows; r++) {
				const kefu_cell *cell = kefu_table_cell(t, r, col);
				if (!cell->empty && kefu_add_i64(&s, cell->num))
					return;
			}
			mean->num = s;
		} else {
			mean->num = num;
		}
		mean->empty = 0;
		mean->den = n;
		*mean_type = c->type == KEFU_T_FEN ? KEFU_T_YUAN : KEFU_T_MEAN;
		return;
	case KEFU_T_FLAG:
		if (!any)
			return;
		sum->empty = 0;
		sum->num = num;
		return; /* no mean of a flag */
	default:
		if (den == 0)
			return;
		sum->empty = mean->empty = 0;
		sum->num = mean->num = num;
		sum->den = mean->den = den;
		return;
	}
}

const char *kefu_judge_rule_zh(const char *rule)
{
	if (!rule)
		return NULL;
	if (!strcmp(rule, "order_first"))
		return "下单优先判定";
	if (!strcmp(rule, "order"))
		return "下单判定";
	if (!strcmp(rule, "payment"))
		return "付款判定";
	return NULL;
}

/* The judge_rule value in the "settings" metadata line ("tz=... judge_rule=X ..."). */
static const char *judge_of(const kefu_table *t, char *buf, size_t cap)
{
	for (size_t i = 0; i < t->nmeta; i++) {
		if (strcmp(t->meta_key[i], "settings"))
			continue;
		const char *p = strstr(t->meta_val[i], "judge_rule=");
		if (!p || (p != t->meta_val[i] && p[-1] != ' '))
			return NULL;
		p += strlen("judge_rule=");
		size_t n = strcspn(p, " ");
		if (n >= cap)
			return NULL;
		memcpy(buf, p, n);
		buf[n] = '\0';
		return buf;
	}
	return NULL;
}

/* Smallest and largest YYYY-MM-DD text in the day / from / to columns. */
static void day_range(const kefu_table *t, char lo[16], char hi[16])
{
	static const char *const names[] = {"day", "from", "to"};
	lo[0] = hi[0] = '\0';
	for (int k = 0; k < 3; k++) {
		long c = kefu_table_col(t, names[k]);
		if (c < 0)
			continue;
		for (size_t r = 0; r < t->nrows; r++) {
			const kefu_cell *cell = kefu_table_cell(t, r, (size_t)c);
			if (cell->empty || !cell->text || strlen(cell->text) != 10)
				continue;
			if (!lo[0] || strcmp(cell->text, lo) < 0)
				memcpy(lo, cell->text, 11);
			if (!hi[0] || strcmp(cell->text, hi) > 0)
				memcpy(hi, cell->text, 11);
		}
	}
}

void kefu_report_file_name(const kefu_table *t, const char *prefix, const char *from,
			   const char *to, const char *ext, char *buf, size_t cap)
{
	char rule[64], lo[16], hi[16];
	const char *zh = kefu_judge_rule_zh(judge_of(t, rule, sizeof rule));
	day_range(t, lo, hi);
	if (!from)
		from = lo;
	if (!to)
		to = hi;
	int n = snprintf(buf, cap, "%s", prefix && prefix[0] ? prefix : "kefu");
	if (zh && n >= 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, "_%s", zh);
	if (from[0] && to[0] && n >= 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, "_%s至%s", from, to);
	if (ext && ext[0] && n >= 0 && (size_t)n < cap)
		snprintf(buf + n, cap - (size_t)n, ".%s", ext);
}

/* The spec's decimal for a cell, as text and as the double Excel stores
 * (the double nearest that decimal; libxlsxwriter prints it with %.16G,
 * which gives the same decimal back). Returns the format index to use. */
enum { F_INT, F_DEC2, F_PCT, F_NFMT };

static int cell_number(kefu_coltype type, const kefu_cell *c, double *out)
{
	char buf[64];
	int f;
	switch (type) {
	case KEFU_T_INT:
	case KEFU_T_FLAG:
		snprintf(buf, sizeof buf, "%lld", (long long)c->num);
		f = F_INT;
		break;
	case KEFU_T_FEN:
		kefu_decimal_format(c->num, 100, 0, 2, 1, buf);
		f = F_DEC2;
		break;
	case KEFU_T_MEAN:
		kefu_decimal_format(c->num, c->den, 0, 2, 1, buf);
		f = F_DEC2;
		break;
	case KEFU_T_RATE:
		/* percent with 2 decimals = the fraction with 4 */
		kefu_decimal_format(c->num, c->den, 0, 4, 1, buf);
		f = F_PCT;
		break;
	case KEFU_T_YUAN:
		kefu_decimal_format(c->num, c->den, -2, 2, 1, buf);
		f = F_DEC2;
		break;
	default:
		return -1;
	}
	*out = strtod(buf, NULL);
	return f;
}

/* Column width in Excel character units from the header and a sample of
 * cells (CJK counts 2). */
static double col_width(const kefu_table *t, size_t c)
{
	size_t w = kefu_display_width(t->cols[c].zh, strlen(t->cols[c].zh));
	size_t lim = t->nrows < 200 ? t->nrows : 200;
	if (t->cols[c].type == KEFU_T_TEXT)
		for (size_t r = 0; r < lim; r++) {
			const kefu_cell *cell = kefu_table_cell(t, r, c);
			if (!cell->empty && cell->text) {
				size_t n = strlen(cell->text);
				size_t d = kefu_display_width(cell->text, n < 200 ? n : 200);
				if (d > w)
					w = d;
			}
		}
	else if (w < 8)
		w = 8;
	if (w > 60)
		w = 60;
	return (double)w + 2.0;
}

/* Cuts UTF-8 text to at most XLSX_MAX_CELL code points (Excel's limit is
 * in UTF-16 units; code points above U+FFFF count 2). Returns a pointer to
 * s itself or to a copy in *tmp (caller frees). */
static const char *cell_text(const char *s, char **tmp)
{
	size_t units = 0, i = 0, n = strlen(s);
	*tmp = NULL;
	while (i < n) {
		unsigned char b = (unsigned char)s[i];
		size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
		size_t u = len == 4 ? 2 : 1;
		if (units + u > XLSX_MAX_CELL) {
			*tmp = kefu_strndup(s, i);
			return *tmp;
		}
		units += u;
		i += len;
	}
	return s;
}

static int lxw_fail(kefu_err *err, const char *path, lxw_error e)
{
	if (e == LXW_ERROR_MEMORY_MALLOC_FAILED)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory writing %s", path);
	return kefu_err_set(err, KEFU_EIO, "%s: cannot write XLSX: %s", path, lxw_strerror(e));
}

static lxw_error write_row_cells(lxw_worksheet *ws, lxw_row_t row, const kefu_table *t, size_t r,
				 lxw_format **fmt)
{
	lxw_error e = LXW_NO_ERROR;
	for (size_t c = 0; c < t->ncols && !e; c++) {
		const kefu_cell *cell = kefu_table_cell(t, r, c);
		lxw_col_t col = (lxw_col_t)c;
		if (cell->empty)
			continue;
		if (t->cols[c].type == KEFU_T_TEXT) {
			char *tmp;
			const char *s = cell_text(cell->text ? cell->text : "", &tmp);
			if (!s)
				return LXW_ERROR_MEMORY_MALLOC_FAILED;
			e = worksheet_write_string(ws, row, col, s, NULL);
			kefu_free(tmp);
			continue;
		}
		double v;
		int f = cell_number(t->cols[c].type, cell, &v);
		e = worksheet_write_number(ws, row, col, v, fmt[f]);
	}
	return e;
}

static lxw_error write_totals(lxw_worksheet *ws, lxw_row_t row, const kefu_table *t,
			      lxw_format **fmt, lxw_format *bold)
{
	/* constant-memory mode: rows strictly in order, so one pass per row */
	lxw_error e = LXW_NO_ERROR;
	for (int which = 0; which < 2 && !e; which++) {
		lxw_row_t rr = row + (lxw_row_t)which;
		if (t->ncols && t->cols[0].type == KEFU_T_TEXT)
			e = worksheet_write_string(ws, rr, 0, which ? "均值" : "汇总", bold);
		for (size_t c = 0; c < t->ncols && !e; c++) {
			kefu_cell sum, mean;
			kefu_coltype st, mt;
			kefu_table_totals(t, c, &sum, &st, &mean, &mt);
			const kefu_cell *v = which ? &mean : &sum;
			double d;
			if (v->empty)
				continue;
			int f = cell_number(which ? mt : st, v, &d);
			e = worksheet_write_number(ws, rr, (lxw_col_t)c, d, fmt[f]);
		}
	}
	return e;
}

int kefu_write_xlsx(const kefu_table *t, const char *path, const kefu_write_opts *o, kefu_err *err)
{
	int totals = !(o && o->no_totals) && t->nrows > 0;
	if (t->ncols > XLSX_MAX_COLS)
		return kefu_err_set(err, KEFU_EINVAL, "%s: %zu columns, XLSX allows %u", path,
				    t->ncols, XLSX_MAX_COLS);
	if (t->nrows + 1 + (totals ? 2u : 0u) > XLSX_MAX_ROWS)
		return kefu_err_set(err, KEFU_EINVAL, "%s: %zu rows, XLSX allows %u (use CSV)", path,
				    t->nrows, XLSX_MAX_ROWS - 3);
	/* Create the file first: libxlsxwriter would print its own message to
	 * stderr when it cannot, and the library never prints. */
	FILE *probe = fopen(path, "wb");
	if (!probe)
		return kefu_err_set(err, KEFU_EIO, "%s: cannot create: %s", path, strerror(errno));
	fclose(probe);
	lxw_workbook_options wopt = {1, NULL, 0}; /* constant memory: rows stream to a temp file */
	lxw_workbook *wb = workbook_new_opt(path, &wopt);
	if (!wb)
		return kefu_err_set(err, KEFU_ENOMEM, "%s: cannot start the XLSX workbook", path);
	/* Deterministic output: a fixed creation time instead of now. */
	lxw_doc_properties props;
	memset(&props, 0, sizeof props);
	props.title = t->title;
	props.created = 946684800; /* 2000-01-01T00:00:00Z */
	lxw_error e = workbook_set_properties(wb, &props);
	lxw_worksheet *ws = workbook_add_worksheet(wb, "报表");
	lxw_worksheet *meta = workbook_add_worksheet(wb, "设置");
	lxw_format *fmt[F_NFMT], *head = workbook_add_format(wb), *bold = workbook_add_format(wb);
	fmt[F_INT] = workbook_add_format(wb);
	fmt[F_DEC2] = workbook_add_format(wb);
	fmt[F_PCT] = workbook_add_format(wb);
	if (!ws || !meta || !head || !bold || !fmt[F_INT] || !fmt[F_DEC2] || !fmt[F_PCT]) {
		workbook_close(wb);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory writing %s", path);
	}
	format_set_num_format(fmt[F_INT], "0");
	format_set_num_format(fmt[F_DEC2], "0.00");
	format_set_num_format(fmt[F_PCT], "0.00%");
	format_set_bold(head);
	format_set_bg_color(head, 0xDDEBF7);
	format_set_bold(bold);
	for (size_t c = 0; c < t->ncols && !e; c++)
		e = worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, col_width(t, c), NULL);
	for (size_t c = 0; c < t->ncols && !e; c++)
		e = worksheet_write_string(ws, 0, (lxw_col_t)c, t->cols[c].zh, head);
	if (!e && t->ncols) {
		worksheet_freeze_panes(ws, 1, 0);
		e = worksheet_autofilter(ws, 0, 0, (lxw_row_t)t->nrows, (lxw_col_t)(t->ncols - 1));
	}
	for (size_t r = 0; r < t->nrows && !e; r++)
		e = write_row_cells(ws, (lxw_row_t)(r + 1), t, r, fmt);
	if (!e && totals)
		e = write_totals(ws, (lxw_row_t)(t->nrows + 1), t, fmt, bold);
	/* metadata sheet: key, value */
	if (!e)
		e = worksheet_set_column(meta, 0, 0, 24, NULL);
	if (!e)
		e = worksheet_set_column(meta, 1, 1, 120, NULL);
	if (!e)
		e = worksheet_write_string(meta, 0, 0, "项目", head);
	if (!e)
		e = worksheet_write_string(meta, 0, 1, "值", head);
	for (size_t i = 0; i < t->nmeta && !e; i++) {
		char *tmp, *tmp2;
		const char *k = cell_text(t->meta_key[i], &tmp);
		const char *v = cell_text(t->meta_val[i], &tmp2);
		if (!k || !v)
			e = LXW_ERROR_MEMORY_MALLOC_FAILED;
		if (!e)
			e = worksheet_write_string(meta, (lxw_row_t)(i + 1), 0, k, NULL);
		if (!e)
			e = worksheet_write_string(meta, (lxw_row_t)(i + 1), 1, v, NULL);
		kefu_free(tmp);
		kefu_free(tmp2);
	}
	lxw_error ce = workbook_close(wb);
	if (e)
		return lxw_fail(err, path, e);
	if (ce)
		return lxw_fail(err, path, ce);
	return 0;
}
