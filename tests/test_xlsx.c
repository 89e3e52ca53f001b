/*
 * test_xlsx.c - unit tests of the XLSX reader (lib/xlsx.c) on the fixtures
 * in tests/fixtures/xlsx (written by make_fixtures.py there): every cell of
 * an Excel-like seller-center report (shared strings, inline and rich text,
 * dates, datetimes, times, exponent numbers, gaps), a second sheet, the 1904
 * date system, a minimal workbook without optional parts, broken inputs with
 * their messages, limits, the exact serial and number conversions, memory
 * vs file reads and allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/xlsx.h"
#include "testutil.h"

#define FIX KEFU_TEST_FIXTURES "/xlsx/"

/* Reads every row of a sheet into one text: "row:cell|cell\n" per row;
 * on error appends "ERR code file:line:col msg". Returns a malloc'd string. */
static char *dump(kefu_xlsx *x)
{
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap);
	assert_non_null(out);
	out[0] = '\0';
	kefu_str *c;
	size_t nc;
	long row;
	kefu_err err = KEFU_ERR_INIT;
	int rc;
	while ((rc = kefu_xlsx_next(x, &c, &nc, &row, &err)) == 1) {
		size_t need = n + 32;
		for (size_t i = 0; i < nc; i++)
			need += c[i].n + 1;
		while (need + 1 > cap) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		n += (size_t)sprintf(out + n, "%ld:", row);
		for (size_t i = 0; i < nc; i++) {
			if (i)
				out[n++] = '|';
			memcpy(out + n, c[i].p, c[i].n);
			n += c[i].n;
		}
		out[n++] = '\n';
		out[n] = '\0';
	}
	if (rc != 0) {
		if (n + 700 > cap) {
			cap = n + 700;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		snprintf(out + n, cap - n, "ERR %d %s:%ld:%ld %s", rc, err.file, err.line, err.col,
			 err.msg);
		/* errors are sticky */
		kefu_err e2 = KEFU_ERR_INIT;
		assert_int_equal(kefu_xlsx_next(x, &c, &nc, &row, &e2), rc);
		assert_string_equal(e2.msg, err.msg);
	} else {
		assert_int_equal(kefu_xlsx_next(x, &c, &nc, &row, &err), 0);
	}
	return out;
}

static char *dump_file(const char *name, const char *sheet)
{
	char path[1024];
	snprintf(path, sizeof path, FIX "%s", name);
	kefu_xlsx *x = NULL;
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_xlsx_open(&x, path, sheet, &err);
	if (rc != 0) {
		assert_null(x);
		char *out = malloc(1024);
		assert_non_null(out);
		snprintf(out, 1024, "OPEN %d %s", rc, err.msg);
		return out;
	}
	char *out = dump(x);
	kefu_xlsx_free(x);
	return out;
}

static char *slurp(const char *name, size_t *n)
{
	char path[1024];
	snprintf(path, sizeof path, FIX "%s", name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	*n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static const char REPORT1[] =
	"1:店铺|买家|客服|方向|时间|金额|日期|备注\n"
	"2:旗舰店|tb_买家01|旗舰店:小美|B|2023-03-01 10:00:00|-278.71|2023-03-01|加粗 和普通\n"
	"3:旗舰店|  前后空格  |||2023-03-01 12:00:01|1000||A & B <C> 中\"\n"
	"4:内联 & 文本|富文本|TRUE|#N/A|店铺x||123000|第一行\r\n第二行 _x0041_\n"
	"6:12:00:00|36:00:00|1900-02-29|1900-03-01|1900-01-01|12.5|FALSE|东京\n"
	"7:0.0015|-0.25|100.50||-1|2958465.9999999|2023-03-16 00:00:00|A\n"
	"8:|||||||A\n"
	"9:\n";

static void test_report_first_sheet(void **state)
{
	(void)state;
	char *got = dump_file("report.xlsx", NULL);
	assert_string_equal(got, REPORT1);
	free(got);
	/* by name, too */
	got = dump_file("report.xlsx", "会话明细");
	assert_string_equal(got, REPORT1);
	free(got);
}

static void test_report_cells_positions(void **state)
{
	(void)state;
	kefu_xlsx *x = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_xlsx_open(&x, FIX "report.xlsx", NULL, &err), 0);
	kefu_str *c;
	size_t n;
	long row;
	assert_int_equal(kefu_xlsx_next(x, &c, &n, &row, &err), 1);
	assert_int_equal(row, 1);
	assert_int_equal(n, 8);
	assert_int_equal(kefu_xlsx_next(x, &c, &n, &row, &err), 1);
	assert_int_equal(kefu_xlsx_next(x, &c, &n, &row, &err), 1);
	/* row 3: C3, D3 and G3 absent: empty strings at their positions */
	assert_int_equal(row, 3);
	assert_int_equal(n, 8);
	assert_int_equal(c[2].n, 0);
	assert_int_equal(c[3].n, 0);
	assert_int_equal(c[6].n, 0);
	assert_int_equal(c[5].n, 4);
	assert_memory_equal(c[5].p, "1000", 4);
	kefu_xlsx_free(x);
}

static void test_second_sheet_and_names(void **state)
{
	(void)state;
	char *got = dump_file("report.xlsx", "Sheet2");
	assert_string_equal(got, "1:第二页|2\n2:|3.25\n");
	free(got);
	kefu_xlsx *x = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_xlsx_open(&x, FIX "report.xlsx", NULL, &err), 0);
	assert_int_equal(kefu_xlsx_sheet_count(x), 2);
	assert_string_equal(kefu_xlsx_sheet_name(x, 0), "会话明细");
	assert_string_equal(kefu_xlsx_sheet_name(x, 1), "Sheet2");
	assert_null(kefu_xlsx_sheet_name(x, 2));
	kefu_xlsx_free(x);
}

static void test_sheet_not_found(void **state)
{
	(void)state;
	kefu_xlsx *x = (kefu_xlsx *)&x;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_xlsx_open(&x, FIX "report.xlsx", "Nope", &err), KEFU_EPARSE);
	assert_null(x);
	assert_string_equal(err.msg, "sheet 'Nope' not found");
	assert_string_equal(err.file, FIX "report.xlsx");
}

static void test_date1904(void **state)
{
	(void)state;
	char *got = dump_file("date1904.xlsx", NULL);
	assert_string_equal(got, "1:日期\n2:2023-03-02 18:00:00\n3:1904-01-01\n");
	free(got);
}

static void test_minimal_workbook(void **state)
{
	(void)state;
	/* no _rels/.rels, no sharedStrings.xml, no styles.xml (s="1" is then
	 * not a date), an absolute relationship target, prefixed elements */
	char *got = dump_file("minimal.xlsx", NULL);
	assert_string_equal(got, "1:a||1\n2:|44986\n");
	free(got);
}

static void test_broken_inputs(void **state)
{
	(void)state;
	char *got = dump_file("broken.xlsx", NULL);
	assert_string_equal(got, "OPEN -4 not an XLSX file (not a zip archive: Not a zip archive)");
	free(got);
	got = dump_file("not_a_zip.xlsx", NULL);
	assert_string_equal(got, "OPEN -4 not an XLSX file (not a zip archive: Not a zip archive)");
	free(got);
	got = dump_file("does_not_exist.xlsx", NULL);
	assert_string_equal(got, "OPEN -3 cannot open: No such file");
	free(got);
	/* a zip without a workbook */
	got = dump_file("make_fixtures.py", NULL);
	assert_true(strncmp(got, "OPEN -4 not an XLSX file", 24) == 0);
	free(got);

	got = dump_file("bad_sst_index.xlsx", NULL);
	assert_string_equal(got, "ERR -4 " FIX "bad_sst_index.xlsx:1:1 shared string index '99' "
				 "out of range");
	free(got);
	got = dump_file("bad_xml.xlsx", NULL);
	assert_string_equal(got, "1:1\nERR -4 " FIX "bad_xml.xlsx:2:0 xl/worksheets/sheet1.xml:2:395: "
				 "XML error: not well-formed (invalid token)");
	free(got);
	got = dump_file("dtd.xlsx", NULL);
	assert_string_equal(got, "ERR -4 " FIX "dtd.xlsx:0:0 DTD not allowed in XLSX parts");
	free(got);
	got = dump_file("out_of_order.xlsx", NULL);
	assert_string_equal(got, "ERR -4 " FIX "out_of_order.xlsx:1:2 cell B1 out of order");
	free(got);
	got = dump_file("corrupt_data.xlsx", NULL);
	assert_string_equal(got, "ERR -4 " FIX "corrupt_data.xlsx:1:0 xl/worksheets/sheet1.xml: "
				 "Zlib error: data error");
	free(got);
}

static void test_limits(void **state)
{
	(void)state;
	kefu_xlsx *x = NULL;
	kefu_err err = KEFU_ERR_INIT;
	kefu_xlsx_opts o = KEFU_XLSX_OPTS_INIT;
	o.max_sst_bytes = 200;
	assert_int_equal(kefu_xlsx_open_opts(&x, FIX "report.xlsx", NULL, &o, &err), KEFU_EPARSE);
	assert_null(x);
	assert_string_equal(err.msg, "shared strings table larger than the limit of 200 bytes");
	assert_string_equal(err.file, FIX "report.xlsx");

	o = (kefu_xlsx_opts)KEFU_XLSX_OPTS_INIT;
	o.max_cell_bytes = 16;
	assert_int_equal(kefu_xlsx_open_opts(&x, FIX "report.xlsx", NULL, &o, &err), 0);
	char *got = dump(x);
	/* row 3, column E: "4.4986500011574E+4" is 18 bytes */
	const char *e = strstr(got, "ERR -4 " FIX "report.xlsx:3:5 cell longer than 16 bytes");
	if (!e)
		fprintf(stderr, "%s\n", got);
	assert_non_null(e);
	free(got);
	kefu_xlsx_free(x);

	o = (kefu_xlsx_opts)KEFU_XLSX_OPTS_INIT;
	o.max_part_bytes = 100;
	assert_int_equal(kefu_xlsx_open_opts(&x, FIX "report.xlsx", NULL, &o, &err), KEFU_EPARSE);
	assert_string_equal(err.msg, "_rels/.rels is larger than 100 bytes");
}

static const char *serial(const char *s, int d1904, int kind)
{
	static char buf[32];
	int n = kefu_xlsx_serial_format(s, strlen(s), d1904, kind, buf);
	if (n < 0)
		return "ERR";
	assert_int_equal((size_t)n, strlen(buf));
	return buf;
}

static void test_serial_format(void **state)
{
	(void)state;
	/* 1 date, 2 datetime, 3 time */
	assert_string_equal(serial("44986", 0, 1), "2023-03-01");
	assert_string_equal(serial("44986", 0, 2), "2023-03-01 00:00:00");
	assert_string_equal(serial("44986.5", 0, 2), "2023-03-01 12:00:00");
	assert_string_equal(serial("44986.9999942129", 0, 2), "2023-03-01 23:59:59");
	assert_string_equal(serial("44986.999994212962963", 0, 2), "2023-03-02 00:00:00");
	assert_string_equal(serial("44986.99999421", 0, 2), "2023-03-01 23:59:59");
	assert_string_equal(serial("44986.9999999", 0, 2), "2023-03-02 00:00:00");
	/* exactly half a second rounds up: 1/172800 = 0.000005787037037037... */
	assert_string_equal(serial("0.000005787037037037037037037037037", 0, 3), "00:00:00");
	assert_string_equal(serial("0.0000057870370370370370370370370371", 0, 3), "00:00:01");
	assert_string_equal(serial("4.4986E+4", 0, 1), "2023-03-01");
	assert_string_equal(serial("4.49865E4", 0, 2), "2023-03-01 12:00:00");
	assert_string_equal(serial("1", 0, 1), "1900-01-01");
	assert_string_equal(serial("59", 0, 1), "1900-02-28");
	assert_string_equal(serial("60", 0, 1), "1900-02-29");
	assert_string_equal(serial("61", 0, 1), "1900-03-01");
	assert_string_equal(serial("0", 0, 1), "1900-01-00");
	assert_string_equal(serial("2958465", 0, 1), "9999-12-31");
	assert_string_equal(serial("2958466", 0, 1), "ERR");
	assert_string_equal(serial("0", 1, 1), "1904-01-01");
	assert_string_equal(serial("43525", 1, 1), "2023-03-02");
	assert_string_equal(serial("2957003", 1, 1), "9999-12-31");
	assert_string_equal(serial("2957004", 1, 1), "ERR");
	assert_string_equal(serial("0.75", 0, 3), "18:00:00");
	assert_string_equal(serial("2.0416666666666665", 0, 3), "49:00:00");
	assert_string_equal(serial("-1", 0, 1), "ERR");
	assert_string_equal(serial("-0", 0, 1), "1900-01-00");
	assert_string_equal(serial("abc", 0, 1), "ERR");
	assert_string_equal(serial("", 0, 1), "ERR");
	assert_string_equal(serial("1e999999", 0, 1), "ERR");
	assert_string_equal(serial(".5", 0, 3), "12:00:00");
}

static const char *num(const char *s)
{
	static char buf[128];
	int n = kefu_xlsx_number_text(s, strlen(s), buf, sizeof buf);
	return n < 0 ? "ERR" : buf;
}

static void test_number_text(void **state)
{
	(void)state;
	assert_string_equal(num("-278.71"), "-278.71");
	assert_string_equal(num("100.50"), "100.50"); /* no exponent: as stored */
	assert_string_equal(num("1E+3"), "1000");
	assert_string_equal(num("1.23E+5"), "123000");
	assert_string_equal(num("1.23456E+2"), "123.456");
	assert_string_equal(num("1.5E-3"), "0.0015");
	assert_string_equal(num("-2.5E-1"), "-0.25");
	assert_string_equal(num("12345678901234567E-20"), "0.00012345678901234567");
	assert_string_equal(num("9.9999999999999998E+22"), "99999999999999998000000");
	assert_string_equal(num("0E+5"), "0");
	assert_string_equal(num("-0.0E-2"), "0");
	assert_string_equal(num("001.500E1"), "15");
	assert_string_equal(num("1e2"), "100");
	assert_string_equal(num("1E+"), "ERR");
	assert_string_equal(num("E5"), "ERR");
	assert_string_equal(num("1.2.3"), "ERR");
	assert_string_equal(num("1E+200"), "ERR"); /* does not fit the buffer */
}

static void test_mem_equals_file(void **state)
{
	(void)state;
	const char *names[] = {"report.xlsx", "date1904.xlsx", "minimal.xlsx",
			       "bad_sst_index.xlsx", "corrupt_data.xlsx", NULL};
	for (size_t i = 0; names[i]; i++) {
		size_t n;
		char *data = slurp(names[i], &n);
		char path[1024];
		snprintf(path, sizeof path, FIX "%s", names[i]);
		kefu_xlsx *x = NULL;
		kefu_err err = KEFU_ERR_INIT;
		assert_int_equal(kefu_xlsx_open_mem(&x, data, n, path, NULL, NULL, &err), 0);
		char *a = dump(x);
		kefu_xlsx_free(x);
		char *b = dump_file(names[i], NULL);
		assert_string_equal(a, b);
		free(a);
		free(b);
		free(data);
	}
	size_t n;
	char *data = slurp("broken.xlsx", &n);
	kefu_xlsx *x = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_xlsx_open_mem(&x, data, n, "mem", NULL, NULL, &err), KEFU_EPARSE);
	assert_null(x);
	assert_true(strncmp(err.msg, "not an XLSX file", 16) == 0);
	free(data);
}

static void test_alloc_failures(void **state)
{
	(void)state;
	char *want = dump_file("report.xlsx", NULL);
	int ok = 0;
	for (long k = 1; k < 2000 && !ok; k++) {
		kefu_xlsx *x = NULL;
		kefu_err err = KEFU_ERR_INIT;
		kefu_alloc_fail_at(k);
		int rc = kefu_xlsx_open(&x, FIX "report.xlsx", NULL, &err);
		if (rc != 0) {
			kefu_alloc_fail_at(0);
			/* expat 2.5 reports a few of its allocation failures as
			 * XML errors (a failed namespace binding is "unbound
			 * prefix"): accepted, as long as it is a clean error */
			if (rc != KEFU_ENOMEM)
				assert_non_null(strstr(err.msg, "XML error"));
			assert_true(rc == KEFU_ENOMEM || rc == KEFU_EPARSE);
			assert_null(x);
			continue;
		}
		char *got = dump(x);
		kefu_alloc_fail_at(0);
		kefu_xlsx_free(x);
		if (strstr(got, "ERR ")) {
			assert_true(strstr(got, "ERR -1 ") || strstr(got, "XML error"));
		} else {
			assert_string_equal(got, want);
			ok = 1;
		}
		free(got);
	}
	kefu_alloc_fail_at(0);
	assert_true(ok);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_first_sheet),
		cmocka_unit_test(test_report_cells_positions),
		cmocka_unit_test(test_second_sheet_and_names),
		cmocka_unit_test(test_sheet_not_found),
		cmocka_unit_test(test_date1904),
		cmocka_unit_test(test_minimal_workbook),
		cmocka_unit_test(test_broken_inputs),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_serial_format),
		cmocka_unit_test(test_number_text),
		cmocka_unit_test(test_mem_equals_file),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
