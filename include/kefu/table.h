/*
 * table.h - the one neutral result table between computation and output.
 * Every writer (terminal, CSV, JSON) renders this same table; cells keep
 * exact values (integers, fen, or a rational num/den for means and rates)
 * and each writer rounds exactly as metrics.md section 5 says.
 *
 * Ownership: the table owns its cells, strings and metadata
 * (kefu_table_free). Writers borrow it.
 */
#ifndef KEFU_TABLE_H
#define KEFU_TABLE_H

#include <stdio.h>

#include "kefu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kefu_coltype {
	KEFU_T_TEXT,   /* text key */
	KEFU_T_INT,    /* count or sum */
	KEFU_T_FEN,    /* money in fen (CSV/JSON integer; table/zh as yuan) */
	KEFU_T_MEAN,   /* num/den, a mean (seconds, items): 6 dec in CSV, 2 in tables */
	KEFU_T_RATE,   /* num/den fraction: 6 dec in CSV; percent with 2 dec in tables */
	KEFU_T_YUAN,   /* num/den with num in fen: yuan value (aov) */
	KEFU_T_FLAG    /* 0/1 */
} kefu_coltype;

typedef struct kefu_column {
	char *name, *zh;
	kefu_coltype type;
} kefu_column;

typedef struct kefu_cell {
	int empty;      /* 1 = undefined (empty denominator, no value) */
	int64_t num;    /* INT/FEN/FLAG value, or numerator */
	int64_t den;    /* denominator for MEAN/RATE/YUAN */
	char *text;     /* TEXT cells */
} kefu_cell;

typedef struct kefu_table {
	kefu_column *cols;
	size_t ncols, capcols;
	kefu_cell *cells; /* row-major */
	size_t nrows, caprows;
	char **meta_key, **meta_val; /* settings used etc., in order */
	size_t nmeta, capmeta;
	char *title;
} kefu_table;

int kefu_table_new(kefu_table **out, const char *title);
void kefu_table_free(kefu_table *t);
int kefu_table_add_col(kefu_table *t, const char *name, const char *zh, kefu_coltype type);
/* Appends an empty row; returns its cells through *row (valid until the next add). */
int kefu_table_add_row(kefu_table *t, kefu_cell **row);
int kefu_cell_set_text(kefu_cell *c, const char *p, size_t n);
int kefu_table_add_meta(kefu_table *t, const char *key, const char *val);
kefu_cell *kefu_table_cell(const kefu_table *t, size_t row, size_t col);
/* Column index by name, or -1. */
long kefu_table_col(const kefu_table *t, const char *name);

/* Exact decimal: num/den (den > 0) scaled by 10^scale_pow10 and rounded
 * half away from zero to `decimals` places, written to buf (>= 48 bytes).
 * trim: drop trailing zeros (and a trailing point). */
void kefu_decimal_format(int64_t num, int64_t den, int scale_pow10, int decimals, int trim,
			 char *buf);

/* Formats one cell: machine form (CSV/JSON: integers, fen, 6-decimal
 * means and fractions) or table form (2 decimals, percentages, yuan). */
void kefu_cell_format(const kefu_column *col, const kefu_cell *c, int table_style, char *buf,
		      size_t cap);

typedef struct kefu_write_opts {
	int zh;          /* Chinese labels and table-style numbers */
	int excel_bom;   /* CSV: write a UTF-8 BOM */
	int color;       /* terminal: ANSI colors allowed */
	int meta;        /* CSV: leading '#' lines with the settings used */
	const char *const *columns; /* terminal: only these columns (NULL-terminated); NULL = all */
	int no_totals;   /* XLSX: leave out the 汇总 and 均值 rows */
} kefu_write_opts;

#define KEFU_WRITE_OPTS_INIT {0, 0, 0, 0, NULL, 0}

/* Writers return 0 or KEFU_EIO. */
int kefu_write_csv(const kefu_table *t, FILE *out, const kefu_write_opts *o, kefu_err *err);
int kefu_write_json(const kefu_table *t, FILE *out, const kefu_write_opts *o, kefu_err *err);
int kefu_write_text(const kefu_table *t, FILE *out, const kefu_write_opts *o, kefu_err *err);

/*
 * XLSX (docs/REPORTS.md): one sheet "报表" with the Chinese (赤兔 /
 * 生意参谋) column names, numbers as numbers (counts "0", money in yuan
 * and means "0.00", rates "0.00%", each value the exact spec rounding of
 * the cell: 2 decimals, rates 4 decimals of the fraction), empty cells for
 * undefined values, then a 汇总 row (sums; rates and means recomputed from
 * the summed numerators and denominators, never averages of ratios) and a
 * 均值 row (sums divided by the row count; rates as in 汇总), and a sheet
 * "设置" with the table's metadata. Writes `path` directly (not atomic:
 * the caller writes a temporary name and renames). o->zh is ignored (always
 * Chinese); o->no_totals drops the two summary rows.
 * Returns 0, KEFU_EIO (cannot write path) or KEFU_ENOMEM.
 */
int kefu_write_xlsx(const kefu_table *t, const char *path, const kefu_write_opts *o, kefu_err *err);

/* The 汇总 (sum) and 均值 (mean) cells of column col over all rows, as the
 * XLSX writer and the HTML report show them. *sum_type / *mean_type get the
 * type to format them with (a mean of counts is KEFU_T_MEAN). Cells are
 * empty when undefined. Text cells are left empty. */
void kefu_table_totals(const kefu_table *t, size_t col, kefu_cell *sum, kefu_coltype *sum_type,
		       kefu_cell *mean, kefu_coltype *mean_type);

/* Chinese name of a judge rule setting value ("order_first" -> "下单优先判定",
 * "order" -> "下单判定", "payment" -> "付款判定"), or NULL. */
const char *kefu_judge_rule_zh(const char *rule);

/* Default report file name: "<prefix>_<judge rule zh>_<from>至<to>.<ext>"
 * with the judge rule read from the table's "settings" metadata and the
 * range from `from`/`to` (YYYY-MM-DD) or, when NULL, the table's first and
 * last day ("day", "from" and "to" columns). Parts that are unknown are
 * left out. Writes at most cap bytes (NUL-terminated). */
void kefu_report_file_name(const kefu_table *t, const char *prefix, const char *from,
			   const char *to, const char *ext, char *buf, size_t cap);

/* Terminal display width of UTF-8 text (CJK and fullwidth count 2). */
size_t kefu_display_width(const char *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif
