/*
 * test_write_xlsx.c - the XLSX writer (lib/write_xlsx.c) checked cell by
 * cell by reading the file back with kefu's own XLSX reader: Chinese
 * headers, exact decimals stored as numbers (and as number cells, not
 * strings, in the sheet XML), hostile text stored as text (never a
 * formula), 汇总 and 均值 rows recomputed from sums, the metadata sheet, the
 * worked example (metrics.md section 10) over a range, and the default file
 * name with the judge rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "kefu/xlsx.h"
#include "testutil.h"

#define W KEFU_TEST_FIXTURES "/worked/"

/* The whole sheet as rows of cells. */
typedef struct sheet {
	char *cell[64][96];
	size_t ncells[64];
	long nrows;
} sheet;

static void read_sheet(sheet *s, const char *path, const char *name)
{
	memset(s, 0, sizeof *s);
	kefu_xlsx *x = NULL;
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_xlsx_open(&x, path, name, &err);
	if (rc)
		fail_msg("open %s: %s", path, err.msg);
	kefu_str *c;
	size_t nc;
	long row;
	while ((rc = kefu_xlsx_next(x, &c, &nc, &row, &err)) == 1) {
		assert_true(row >= 1 && row <= 64);
		for (size_t i = 0; i < nc && i < 96; i++)
			s->cell[row - 1][i] = strndup(c[i].p, c[i].n);
		s->ncells[row - 1] = nc;
		if (row > s->nrows)
			s->nrows = row;
	}
	assert_int_equal(rc, 0);
	kefu_xlsx_free(x);
}

static void free_sheet(sheet *s)
{
	for (int r = 0; r < 64; r++)
		for (int c = 0; c < 96; c++)
			free(s->cell[r][c]);
}

/* Cell at 1-based row and 0-based column; "" when absent. */
static const char *at(const sheet *s, long row, size_t col)
{
	const char *v = row >= 1 && row <= 64 && col < 96 ? s->cell[row - 1][col] : NULL;
	return v ? v : "";
}

static size_t colx(const sheet *s, const char *zh)
{
	for (size_t c = 0; c < s->ncells[0]; c++)
		if (!strcmp(at(s, 1, c), zh))
			return c;
	fail_msg("no column %s", zh);
	return 0;
}

#define CELL(s, row, zh, want) assert_string_equal(at(s, row, colx(s, zh)), want)

/* The raw XML of the first sheet (xl/worksheets/sheet1.xml). */
static char *sheet_xml(const char *path)
{
	int ze = 0;
	zip_t *z = zip_open(path, ZIP_RDONLY, &ze);
	assert_non_null(z);
	zip_stat_t st;
	assert_int_equal(zip_stat(z, "xl/worksheets/sheet1.xml", 0, &st), 0);
	char *buf = malloc(st.size + 1);
	zip_file_t *f = zip_fopen(z, "xl/worksheets/sheet1.xml", 0);
	assert_non_null(f);
	assert_int_equal(zip_fread(f, buf, st.size), (zip_int64_t)st.size);
	buf[st.size] = '\0';
	zip_fclose(f);
	zip_close(z);
	return buf;
}

/* "n" for a number cell, "s" for a shared string, "inlineStr", "str"... */
static const char *cell_kind(const char *xml, const char *ref)
{
	static char kind[16];
	char pat[32];
	snprintf(pat, sizeof pat, "<c r=\"%s\"", ref);
	const char *p = strstr(xml, pat);
	if (!p)
		return "absent";
	const char *end = strchr(p, '>');
	const char *t = strstr(p, " t=\"");
	if (!t || t > end)
		return "n";
	t += 4;
	size_t n = strcspn(t, "\"");
	snprintf(kind, sizeof kind, "%.*s", (int)n, t);
	return kind;
}

static char *tmp_path(const char *name)
{
	static char buf[256];
	snprintf(buf, sizeof buf, "/tmp/kefu_test_xlsx_%ld_%s", (long)getpid(), name);
	return buf;
}

static void set_ratio(kefu_cell *c, int64_t num, int64_t den)
{
	c->empty = den == 0;
	c->num = num;
	c->den = den;
}

static void set_int(kefu_cell *c, int64_t v)
{
	c->empty = 0;
	c->num = v;
}

/* A hand-built table: every column type, hostile text, negative money,
 * values that need rounding, an empty ratio. */
static kefu_table *hand_table(void)
{
	kefu_table *t;
	assert_int_equal(kefu_table_new(&t, "test"), 0);
	assert_int_equal(kefu_table_add_col(t, "shop", "店铺", KEFU_T_TEXT), 0);
	assert_int_equal(kefu_table_add_col(t, "agent", "客服", KEFU_T_TEXT), 0);
	assert_int_equal(kefu_table_add_col(t, "day", "日期", KEFU_T_TEXT), 0);
	assert_int_equal(kefu_table_add_col(t, "consults", "咨询人数", KEFU_T_INT), 0);
	assert_int_equal(kefu_table_add_col(t, "sales_fen", "销售额", KEFU_T_FEN), 0);
	assert_int_equal(kefu_table_add_col(t, "first_resp_s", "平均首次响应(秒)", KEFU_T_MEAN), 0);
	assert_int_equal(kefu_table_add_col(t, "conv_rate", "询单转化率", KEFU_T_RATE), 0);
	assert_int_equal(kefu_table_add_col(t, "aov", "客单价", KEFU_T_YUAN), 0);
	assert_int_equal(kefu_table_add_col(t, "max_concurrent", "最大同时接待", KEFU_T_INT), 0);
	assert_int_equal(kefu_table_add_col(t, "dsr_service", "服务态度", KEFU_T_MEAN), 0);
	assert_int_equal(kefu_table_add_col(t, "provisional", "延迟统计", KEFU_T_FLAG), 0);
	kefu_cell *r;
	assert_int_equal(kefu_table_add_row(t, &r), 0);
	kefu_cell_set_text(&r[0], "s1", 2);
	const char *evil = "=HYPERLINK(\"http://x\",\"y\")";
	kefu_cell_set_text(&r[1], evil, strlen(evil));
	kefu_cell_set_text(&r[2], "2023-03-01", 10);
	set_int(&r[3], 3);
	set_int(&r[4], -27871);        /* -278.71 yuan */
	set_ratio(&r[5], 281, 2);      /* 140.5 */
	set_ratio(&r[6], 1, 3);        /* 0.3333 -> 33.33% */
	set_ratio(&r[7], 10001, 3);    /* 3333.67 fen -> 33.34 yuan */
	set_int(&r[8], 2);
	set_ratio(&r[9], 14, 3);       /* 4.67 */
	set_int(&r[10], 0);
	assert_int_equal(kefu_table_add_row(t, &r), 0);
	kefu_cell_set_text(&r[0], "s1", 2);
	kefu_cell_set_text(&r[1], "s1:小美", strlen("s1:小美"));
	kefu_cell_set_text(&r[2], "2023-03-01", 10);
	set_int(&r[3], 6);
	set_int(&r[4], 100);           /* 1.00 */
	set_ratio(&r[5], 11, 3);       /* 3.666.. -> 3.67 */
	set_ratio(&r[6], 0, 0);        /* undefined */
	set_ratio(&r[7], 100, 1);      /* 1.00 */
	set_int(&r[8], 5);
	set_ratio(&r[9], 5, 1);
	set_int(&r[10], 1);
	assert_int_equal(kefu_table_add_meta(t, "settings", "tz=Asia/Shanghai judge_rule=payment x=1"), 0);
	assert_int_equal(kefu_table_add_meta(t, "as_of", "2023-03-04 12:00:30"), 0);
	return t;
}

static void test_hand_table_cells(void **state)
{
	(void)state;
	kefu_table *t = hand_table();
	kefu_err err = KEFU_ERR_INIT;
	kefu_write_opts wo = KEFU_WRITE_OPTS_INIT;
	const char *path = tmp_path("hand.xlsx");
	assert_int_equal(kefu_write_xlsx(t, path, &wo, &err), 0);
	sheet s;
	read_sheet(&s, path, "报表");
	assert_int_equal(s.nrows, 5); /* header, 2 rows, 汇总, 均值 */
	/* headers: the Chinese names in column order */
	assert_string_equal(at(&s, 1, 0), "店铺");
	assert_string_equal(at(&s, 1, 5), "平均首次响应(秒)");
	assert_string_equal(at(&s, 1, 10), "延迟统计");
	/* row 2 */
	CELL(&s, 2, "客服", "=HYPERLINK(\"http://x\",\"y\")");
	CELL(&s, 2, "咨询人数", "3");
	CELL(&s, 2, "销售额", "-278.71");
	CELL(&s, 2, "平均首次响应(秒)", "140.5");
	CELL(&s, 2, "询单转化率", "0.3333");
	CELL(&s, 2, "客单价", "33.34");
	CELL(&s, 2, "服务态度", "4.67");
	CELL(&s, 2, "延迟统计", "0");
	/* row 3 */
	CELL(&s, 3, "客服", "s1:小美");
	CELL(&s, 3, "销售额", "1");
	CELL(&s, 3, "平均首次响应(秒)", "3.67");
	CELL(&s, 3, "询单转化率", "");
	/* 汇总: sums; ratios from summed numerators and denominators */
	CELL(&s, 4, "店铺", "汇总");
	CELL(&s, 4, "咨询人数", "9");
	CELL(&s, 4, "销售额", "-277.71");
	/* (281 + 11) / (2 + 3) = 58.4, not the mean of 140.5 and 3.67 */
	CELL(&s, 4, "平均首次响应(秒)", "58.4");
	CELL(&s, 4, "询单转化率", "0.3333");
	/* (10001 + 100) fen / (3 + 1) buyers = 2525.25 fen -> 25.25 yuan */
	CELL(&s, 4, "客单价", "25.25");
	CELL(&s, 4, "最大同时接待", "5");
	/* same day for both rows: the DSR window total is meaningful: 19/4 */
	CELL(&s, 4, "服务态度", "4.75");
	CELL(&s, 4, "延迟统计", "1");
	/* 均值: sums / 2 rows; ratios as in 汇总 */
	CELL(&s, 5, "店铺", "均值");
	CELL(&s, 5, "咨询人数", "4.5");
	CELL(&s, 5, "销售额", "-138.86"); /* -138.855 rounds away from zero */
	CELL(&s, 5, "平均首次响应(秒)", "58.4");
	CELL(&s, 5, "最大同时接待", "3.5");
	CELL(&s, 5, "延迟统计", "");
	free_sheet(&s);
	/* cell kinds in the XML: numbers are numbers, text is a string, never a formula */
	char *xml = sheet_xml(path);
	assert_string_equal(cell_kind(xml, "D2"), "n");
	assert_string_equal(cell_kind(xml, "E2"), "n");
	assert_string_equal(cell_kind(xml, "G2"), "n");
	/* text: an inline string (constant-memory mode) */
	assert_string_equal(cell_kind(xml, "B2"), "inlineStr");
	assert_string_equal(cell_kind(xml, "A4"), "inlineStr");
	assert_string_equal(cell_kind(xml, "E5"), "n");
	assert_string_equal(cell_kind(xml, "G3"), "absent"); /* undefined: no cell */
	assert_null(strstr(xml, "<f>"));
	free(xml);
	/* metadata sheet */
	read_sheet(&s, path, "设置");
	assert_string_equal(at(&s, 2, 0), "settings");
	assert_string_equal(at(&s, 3, 1), "2023-03-04 12:00:30");
	free_sheet(&s);
	/* without totals */
	wo.no_totals = 1;
	assert_int_equal(kefu_write_xlsx(t, path, &wo, &err), 0);
	read_sheet(&s, path, NULL);
	assert_int_equal(s.nrows, 3);
	free_sheet(&s);
	unlink(path);
	/* default name: judge rule from the settings, range from the day column */
	char name[256];
	kefu_report_file_name(t, "客服绩效", NULL, NULL, "xlsx", name, sizeof name);
	assert_string_equal(name, "客服绩效_付款判定_2023-03-01至2023-03-01.xlsx");
	kefu_report_file_name(t, "客服绩效", "2023-01-01", "2023-01-31", "xlsx", name, sizeof name);
	assert_string_equal(name, "客服绩效_付款判定_2023-01-01至2023-01-31.xlsx");
	kefu_table_free(t);
}

static void test_window_total_blank_over_days(void **state)
{
	(void)state;
	kefu_table *t = hand_table();
	/* second row on another day: a DSR total would count ratings twice */
	kefu_cell *c = kefu_table_cell(t, 1, 2);
	kefu_cell_set_text(c, "2023-03-02", 10);
	kefu_cell sum, mean;
	kefu_coltype st, mt;
	kefu_table_totals(t, 9, &sum, &st, &mean, &mt);
	assert_true(sum.empty);
	assert_true(mean.empty);
	kefu_table_totals(t, 3, &sum, &st, &mean, &mt);
	assert_false(sum.empty);
	assert_int_equal(sum.num, 9);
	assert_int_equal(mt, KEFU_T_MEAN);
	assert_int_equal(mean.num, 9);
	assert_int_equal(mean.den, 2);
	kefu_table_free(t);
}

/* The worked example over its range, by agent: hand-computed in
 * metrics.md section 10. */
static void test_worked_example_range(void **state)
{
	(void)state;
	const char *files[] = {W "messages.csv", W "orders.csv", NULL};
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	ro.per = KEFU_PER_RANGE;
	tu_run r;
	tu_run_files(&r, files, NULL, &ro);
	kefu_err err = KEFU_ERR_INIT;
	kefu_write_opts wo = KEFU_WRITE_OPTS_INIT;
	const char *path = tmp_path("worked.xlsx");
	assert_int_equal(kefu_write_xlsx(r.table, path, &wo, &err), 0);
	sheet s;
	read_sheet(&s, path, NULL);
	assert_int_equal(s.nrows, 5);
	CELL(&s, 2, "客服", "s1:amy");
	CELL(&s, 2, "开始日期", "2023-03-01");
	CELL(&s, 2, "结束日期", "2023-03-02");
	CELL(&s, 2, "咨询人数", "2");
	CELL(&s, 2, "平均首次响应(秒)", "140");
	CELL(&s, 2, "平均响应(秒)", "143.33");
	CELL(&s, 2, "销售额", "150");
	CELL(&s, 2, "客单价", "75");
	CELL(&s, 2, "询单转化率", "1");
	CELL(&s, 2, "接待时长(秒)", "690");
	CELL(&s, 3, "客服", "s1:bob");
	CELL(&s, 3, "未回复人数", "1");
	CELL(&s, 3, "回复率", "0.5");
	CELL(&s, 3, "平均首次响应(秒)", "120");
	CELL(&s, 3, "询单转化率", "0");
	/* 汇总: 4 consults, 3 received; first response (40+240+120)/3 */
	CELL(&s, 4, "店铺", "汇总");
	CELL(&s, 4, "咨询人数", "4");
	CELL(&s, 4, "接待人数", "3");
	CELL(&s, 4, "平均首次响应(秒)", "133.33");
	CELL(&s, 4, "询单转化率", "0.6667");
	CELL(&s, 4, "回复率", "0.75");
	CELL(&s, 4, "销售额", "150");
	/* 均值 */
	CELL(&s, 5, "咨询人数", "2");
	CELL(&s, 5, "销售额", "75");
	CELL(&s, 5, "平均首次响应(秒)", "133.33");
	free_sheet(&s);
	unlink(path);
	tu_run_free(&r);
}

static void test_unwritable_path(void **state)
{
	(void)state;
	kefu_table *t = hand_table();
	kefu_err err = KEFU_ERR_INIT;
	kefu_write_opts wo = KEFU_WRITE_OPTS_INIT;
	int rc = kefu_write_xlsx(t, "/nonexistent-dir/x.xlsx", &wo, &err);
	assert_int_equal(rc, KEFU_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x.xlsx"));
	kefu_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_table_cells),
		cmocka_unit_test(test_window_total_blank_over_days),
		cmocka_unit_test(test_worked_example_range),
		cmocka_unit_test(test_unwritable_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
