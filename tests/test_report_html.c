/*
 * test_report_html.c - the HTML report writer (lib/report_html.c) without a
 * browser: the JSON-for-HTML escaping byte for byte; the worked example
 * (metrics.md section 10) report's embedded data read back with jansson
 * (cards against an empty previous period, funnel, response-time median
 * and p90 by nearest rank, hour x weekday cells, daily series, credited vs
 * silent sales, per-agent rows and 汇总); the Content-Security-Policy
 * hashes equal to the SHA-256 of the two inline scripts; hostile names
 * never appear raw; and allocation failures give an error, never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/assets.h"
#include "kefu/report_html.h"
#include "testutil.h"

#define W KEFU_TEST_FIXTURES "/worked/"

static char *escape(const char *in, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(kefu_html_json(f, in, n), 0);
	fclose(f);
	return buf;
}

static void test_json_escape(void **state)
{
	(void)state;
	const char *in = "{\"a\":\"</script><b>&amp;\"}";
	char *s = escape(in, strlen(in));
	assert_string_equal(s, "{\"a\":\"\\u003c/script\\u003e\\u003cb\\u003e\\u0026amp;\"}");
	free(s);
	/* U+2028 and U+2029 (E2 80 A8 / A9); U+2027 (E2 80 A7) left alone */
	s = escape("\"x\xE2\x80\xA8y\xE2\x80\xA9z\xE2\x80\xA7\"", 14);
	assert_string_equal(s, "\"x\\u2028y\\u2029z\xE2\x80\xA7\"");
	free(s);
	/* a truncated sequence at the end is copied as it is */
	s = escape("\"\xE2\x80", 3);
	assert_string_equal(s, "\"\xE2\x80");
	free(s);
	s = escape("", 0);
	assert_string_equal(s, "");
	free(s);
}

/* Renders the report of a run into a string. */
static char *render(tu_run *r, const kefu_report_opts *sel, const char *title, int *rc_out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	kefu_html_report_opts ho = KEFU_HTML_REPORT_OPTS_INIT;
	ho.title = title;
	ho.shop_settings = r->vs;
	ho.n_shop_settings = r->nvs;
	ho.meta = r->table;
	kefu_err err = KEFU_ERR_INIT;
	*rc_out = kefu_write_html_report(f, r->ds, r->res, sel, &ho, &err);
	fclose(f);
	return buf;
}

/* The embedded data, unescaped by jansson (\u003c is an ordinary escape). */
static json_t *data_of(const char *html)
{
	const char *tag = "id=\"kefu-data\">";
	const char *p = strstr(html, tag);
	assert_non_null(p);
	p += strlen(tag);
	const char *e = strstr(p, "</script>");
	assert_non_null(e);
	for (const char *q = p; q < e; q++)
		assert_true(*q != '<' && *q != '>' && *q != '&');
	json_error_t je;
	json_t *d = json_loadb(p, (size_t)(e - p), 0, &je);
	if (!d)
		fail_msg("data is not JSON: %s", je.text);
	return d;
}

static const char *sget(json_t *o, const char *path)
{
	json_t *v = json_object_get(o, path);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void test_worked_example_data(void **state)
{
	(void)state;
	const char *files[] = {W "messages.csv", W "orders.csv", NULL};
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	tu_run r;
	tu_run_files(&r, files, NULL, &ro);
	int rc;
	char *html = render(&r, &ro, NULL, &rc);
	assert_int_equal(rc, 0);
	json_t *d = data_of(html);
	json_t *range = json_object_get(d, "range");
	assert_string_equal(sget(range, "from"), "2023-03-01");
	assert_string_equal(sget(range, "to"), "2023-03-02");
	assert_string_equal(sget(range, "prev_from"), "2023-02-27");
	assert_string_equal(sget(range, "prev_to"), "2023-02-28");
	/* cards: conv 2/3, first response (40+240+120)/3, consults 4, aov 150/2 */
	json_t *cards = json_object_get(d, "cards");
	assert_int_equal(json_array_size(cards), 5);
	static const char *const want[][2] = {{"conv_rate", "66.67%"},
					      {"first_resp_s", "133.33"},
					      {"dsr_service", NULL},
					      {"consults", "4"},
					      {"aov", "75.00"}};
	for (size_t i = 0; i < 5; i++) {
		json_t *c = json_array_get(cards, i);
		assert_string_equal(sget(c, "key"), want[i][0]);
		if (want[i][1])
			assert_string_equal(sget(c, "value"), want[i][1]);
		else
			assert_true(json_is_null(json_object_get(c, "value")));
		assert_true(json_is_null(json_object_get(c, "prev"))); /* no data before */
	}
	/* funnel 咨询 4 > 接待 3 > 询单 3 > 付款 2 */
	json_t *fn = json_object_get(d, "funnel");
	int64_t fw[] = {4, 3, 3, 2};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(json_integer_value(json_object_get(json_array_get(fn, i), "value")),
				 fw[i]);
	/* first responses 40, 120, 240: median rank 2, p90 rank 3 */
	json_t *resp = json_object_get(d, "resp");
	assert_int_equal(json_integer_value(json_object_get(resp, "n")), 3);
	assert_int_equal(json_integer_value(json_object_get(resp, "median")), 120);
	assert_int_equal(json_integer_value(json_object_get(resp, "p90")), 240);
	json_t *counts = json_object_get(resp, "counts");
	/* 40 in 31-60 s, 120 in 1-3 min, 240 in 3-5 min */
	assert_int_equal(json_integer_value(json_array_get(counts, 2)), 1);
	assert_int_equal(json_integer_value(json_array_get(counts, 3)), 1);
	assert_int_equal(json_integer_value(json_array_get(counts, 4)), 1);
	/* heatmap: 2023-03-01 is a Wednesday (index 2); consults at 10, 11,
	 * 12 and 23 h local; cell order is weekday-major, 24 hours each */
	json_t *heat = json_object_get(json_object_get(d, "heatmap"), "data");
	assert_int_equal(json_array_size(heat), 7 * 24);
	int64_t total = 0;
	for (size_t i = 0; i < 7 * 24; i++)
		total += json_integer_value(json_array_get(json_array_get(heat, i), 2));
	assert_int_equal(total, 4);
	int hours[] = {10, 11, 12, 23};
	for (int i = 0; i < 4; i++) {
		json_t *cell = json_array_get(heat, (size_t)(2 * 24 + hours[i]));
		assert_int_equal(json_integer_value(json_array_get(cell, 0)), hours[i]);
		assert_int_equal(json_integer_value(json_array_get(cell, 1)), 2);
		assert_int_equal(json_integer_value(json_array_get(cell, 2)), 1);
	}
	/* daily: credited 100 + 50, silent 30 on 03-01 (o4) */
	json_t *daily = json_object_get(d, "daily");
	assert_int_equal(json_array_size(json_object_get(daily, "days")), 2);
	assert_true(json_real_value(json_array_get(json_object_get(daily, "sales_fen"), 0)) == 100.0);
	assert_true(json_real_value(json_array_get(json_object_get(daily, "sales_fen"), 1)) == 50.0);
	assert_true(json_real_value(json_array_get(json_object_get(daily, "silent_fen"), 0)) == 30.0);
	assert_string_equal(sget(daily, "credited_total"), "150.00");
	assert_string_equal(sget(daily, "silent_total"), "30.00");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(daily, "consults"), 1)), 0);
	assert_true(json_is_null(json_array_get(json_object_get(daily, "conv_rate"), 1)));
	/* agents: amy and bob; 汇总 from sums */
	json_t *ag = json_object_get(d, "agents");
	assert_int_equal(json_array_size(json_object_get(ag, "rows")), 2);
	json_t *cols = json_object_get(ag, "columns");
	size_t fr = 0;
	for (size_t i = 0; i < json_array_size(cols); i++)
		if (!strcmp(sget(json_array_get(cols, i), "name"), "first_resp_s"))
			fr = i;
	assert_true(fr > 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(ag, "total"), fr)),
			    "133.33");
	json_t *amy = json_array_get(json_object_get(ag, "rows"), 0);
	assert_string_equal(json_string_value(json_array_get(json_array_get(amy, 1), 0)), "s1:amy");
	assert_string_equal(json_string_value(json_array_get(json_array_get(amy, fr), 0)), "140.00");
	json_decref(d);
	/* the CSP names exactly the two inline scripts */
	assert_true(sodium_init() >= 0);
	const kefu_asset *ec = kefu_asset_echarts();
	unsigned char h[32];
	char b64[64], needle[96];
	crypto_hash_sha256(h, ec->data, ec->len);
	sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
	snprintf(needle, sizeof needle, "'sha256-%s'", b64);
	assert_non_null(strstr(html, needle));
	const char *last = strstr(html, "</script>\n<script>");
	assert_non_null(last);
	last = strstr(last + 1, "</script>\n<script>");
	assert_non_null(last);
	last += strlen("</script>\n<script>");
	const char *end = strstr(last, "</script>");
	crypto_hash_sha256(h, (const unsigned char *)last, (size_t)(end - last));
	sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
	snprintf(needle, sizeof needle, "'sha256-%s'", b64);
	assert_non_null(strstr(html, needle));
	free(html);
	/* a filtered selection: only bob, only 2023-03-01 */
	kefu_report_opts sel = ro;
	uint32_t bob;
	assert_int_equal(kefu_dict_find(r.ds->agents, "s1:bob", 6, &bob), 0);
	sel.agents = &bob;
	sel.n_agents = 1;
	sel.from_day = sel.to_day = kefu_days_from_civil(2023, 3, 1);
	html = render(&r, &sel, "<b>t</b>", &rc);
	assert_int_equal(rc, 0);
	assert_null(strstr(html, "<b>t</b>"));
	assert_non_null(strstr(html, "<title>&lt;b&gt;t&lt;/b&gt;</title>"));
	d = data_of(html);
	assert_string_equal(sget(d, "title"), "<b>t</b>");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(d, "funnel"), 0), "value")), 2);
	/* silent sales are shop-level: not shown under an agent filter */
	assert_true(json_is_null(json_object_get(json_object_get(d, "daily"), "silent_total")));
	json_decref(d);
	free(html);
	/* an empty selection (open range, an agent with no rows) still writes a page */
	uint32_t nobody = KEFU_NO_ID - 1;
	sel.agents = &nobody;
	sel.from_day = INT64_MIN;
	sel.to_day = INT64_MAX;
	html = render(&r, &sel, NULL, &rc);
	assert_int_equal(rc, 0);
	d = data_of(html);
	assert_true(json_is_true(json_object_get(d, "empty")));
	json_decref(d);
	free(html);
	/* allocation failures: an error or success, never a crash or leak */
	for (long k = 1; k < 400; k += 7) {
		kefu_alloc_fail_at(k);
		html = render(&r, &ro, NULL, &rc);
		kefu_alloc_fail_at(0);
		assert_true(rc == 0 || rc == KEFU_ENOMEM);
		free(html);
	}
	tu_run_free(&r);
}

static void test_hostile_names_escaped(void **state)
{
	(void)state;
	const char *csv = "shop,buyer,agent,dir,ts,text\n"
			  "\"</script><script>alert(1)</script>\",b1,\"x:<img src=x onerror=alert(2)>\",B,2023-03-01 10:00:00,hi\n"
			  "\"</script><script>alert(1)</script>\",b1,\"x:<img src=x onerror=alert(2)>\",A,2023-03-01 10:00:05,\"\xE2\x80\xA8\"\n";
	const char *texts[] = {csv, NULL};
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	tu_run r;
	tu_run_texts(&r, texts, NULL, &ro);
	int rc;
	char *html = render(&r, &ro, "\xE2\x80\xA8</title>", &rc);
	assert_int_equal(rc, 0);
	assert_null(strstr(html, "alert(1)</script>"));
	assert_null(strstr(html, "<img src=x"));
	assert_null(strstr(html, "</title>\xE2\x80\xA8"));
	json_t *d = data_of(html);
	json_t *row = json_array_get(json_object_get(json_object_get(d, "agents"), "rows"), 0);
	assert_string_equal(json_string_value(json_array_get(json_array_get(row, 0), 0)),
			    "</script><script>alert(1)</script>");
	assert_string_equal(json_string_value(json_array_get(json_array_get(row, 1), 0)),
			    "x:<img src=x onerror=alert(2)>");
	json_decref(d);
	free(html);
	tu_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_worked_example_data),
		cmocka_unit_test(test_hostile_names_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
