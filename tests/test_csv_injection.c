/*
 * test_csv_injection.c - the CSV writer against spreadsheet formula
 * injection (lib/write_csv.c): text cells beginning with = + - @ tab or CR
 * are written as a quoted field with a leading single quote; plain numbers
 * in text cells (-278.71, +5) and numeric columns (negative money) stay
 * numbers; other text is unchanged; RFC 4180 quoting still applies; the
 * optional UTF-8 BOM (--excel) comes first. Each case is written through
 * kefu_write_csv and compared byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/table.h"

/* Writes a one-text-column table with one row holding `text`, and a FEN
 * column holding fen; returns the data line (without the header). */
static char *csv_line(const char *text, int64_t fen, int zh, int bom, char **whole)
{
	kefu_table *t;
	assert_int_equal(kefu_table_new(&t, "t"), 0);
	assert_int_equal(kefu_table_add_col(t, "agent", "客服", KEFU_T_TEXT), 0);
	assert_int_equal(kefu_table_add_col(t, "sales_fen", "销售额", KEFU_T_FEN), 0);
	kefu_cell *r;
	assert_int_equal(kefu_table_add_row(t, &r), 0);
	assert_int_equal(kefu_cell_set_text(&r[0], text, strlen(text)), 0);
	r[1].empty = 0;
	r[1].num = fen;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	kefu_write_opts wo = KEFU_WRITE_OPTS_INIT;
	wo.zh = zh;
	wo.excel_bom = bom;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_write_csv(t, f, &wo, &err), 0);
	fclose(f);
	kefu_table_free(t);
	char *nl = strchr(buf, '\n');
	assert_non_null(nl);
	char *line = strdup(nl + 1);
	if (whole)
		*whole = buf;
	else
		free(buf);
	return line;
}

static void expect(const char *text, const char *want)
{
	char *line = csv_line(text, 100, 0, 0, NULL);
	assert_string_equal(line, want);
	free(line);
}

static void test_formula_starts_neutralised(void **state)
{
	(void)state;
	expect("=1+1", "\"'=1+1\",100\n");
	expect("=cmd|' /C calc'!A0", "\"'=cmd|' /C calc'!A0\",100\n");
	expect("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",100\n");
	expect("+SUM(1,1)", "\"'+SUM(1,1)\",100\n");
	expect("-2+3", "\"'-2+3\",100\n");
	expect("@SUM(A1)", "\"'@SUM(A1)\",100\n");
	expect("\t=1", "\"'\t=1\",100\n");
	expect("\r=1", "\"'\r=1\",100\n");
	expect("-", "\"'-\",100\n");
	expect("+86 138", "\"'+86 138\",100\n");
	expect("-1e3", "\"'-1e3\",100\n");
	expect("-.5", "\"'-.5\",100\n");
	expect("-5.", "\"'-5.\",100\n");
}

static void test_numbers_and_plain_text_unchanged(void **state)
{
	(void)state;
	expect("-278.71", "-278.71,100\n");
	expect("+5", "+5,100\n");
	expect("12", "12,100\n");
	expect("s1:小美", "s1:小美,100\n");
	expect("a=b", "a=b,100\n");
	expect(" =1", " =1,100\n"); /* a leading space is not a formula */
	expect("", ",100\n");
	/* RFC 4180 quoting without neutralising */
	expect("a,b", "\"a,b\",100\n");
	expect("say \"hi\"", "\"say \"\"hi\"\"\",100\n");
	expect("two\nlines", "\"two\nlines\",100\n");
}

static void test_numeric_columns_stay_numbers(void **state)
{
	(void)state;
	char *line = csv_line("x", -27871, 0, 0, NULL);
	assert_string_equal(line, "x,-27871\n");
	free(line);
	line = csv_line("x", -27871, 1, 0, NULL); /* --zh: yuan */
	assert_string_equal(line, "x,-278.71\n");
	free(line);
}

static void test_excel_bom(void **state)
{
	(void)state;
	char *whole = NULL;
	char *line = csv_line("=1", 1, 1, 1, &whole);
	assert_memory_equal(whole, "\xEF\xBB\xBF客服,销售额\n", strlen("\xEF\xBB\xBF客服,销售额\n"));
	assert_string_equal(line, "\"'=1\",0.01\n");
	free(line);
	free(whole);
	line = csv_line("=1", 1, 0, 0, &whole);
	assert_memory_equal(whole, "agent,sales_fen\n", 16);
	free(line);
	free(whole);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formula_starts_neutralised),
		cmocka_unit_test(test_numbers_and_plain_text_unchanged),
		cmocka_unit_test(test_numeric_columns_stay_numbers),
		cmocka_unit_test(test_excel_bom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
