/*
 * report_html.c - the self-contained HTML KPI report (report_html.h): builds
 * the report's data (the same result tables the other writers render, plus
 * the chart series) as JSON with jansson, and writes one HTML file with the
 * CSS, the ECharts bundle, the page script (report_html_app.c) and the data
 * escaped for HTML. A Content-Security-Policy in the file allows exactly
 * the two inline scripts (by SHA-256) and no network at all.
 */
#include "kefu/report_html.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kefu/assets.h"

/* Longest range drawn day by day (ten years). */
#define KEFU_HTML_MAX_DAYS 3660

/* Page script and style (report_html_app.c). */
extern const char kefu_report_html_js[];
extern const char kefu_report_html_css[];

static int selected(const kefu_report_opts *sel, uint32_t shop, uint32_t agent)
{
	if (sel->shops && !kefu_ids_contain(sel->shops, sel->n_shops, shop))
		return 0;
	if (sel->agents && (agent == KEFU_NO_ID || !kefu_ids_contain(sel->agents, sel->n_agents, agent)))
		return 0;
	return 1;
}

/* A JSON string from UTF-8 bytes; invalid bytes become U+FFFD. */
static json_t *jstr(const char *p, size_t n)
{
	json_t *s = json_stringn(p, n);
	if (s)
		return s;
	char *buf = malloc(n * 3 + 1);
	if (!buf)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		unsigned char b = (unsigned char)p[i];
		size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
		int ok = len > 0 && i + len <= n;
		for (size_t j = 1; ok && j < len; j++)
			ok = ((unsigned char)p[i + j] & 0xC0) == 0x80;
		if (ok && json_stringn(p + i, len) == NULL)
			ok = 0; /* overlong, surrogate or NUL */
		if (ok && b == 0)
			ok = 0;
		if (ok) {
			memcpy(buf + k, p + i, len);
			k += len;
			i += len;
		} else {
			memcpy(buf + k, "\xEF\xBF\xBD", 3);
			k += 3;
			i++;
		}
	}
	s = json_stringn(buf, k);
	free(buf);
	return s;
}

/* Decimal of a cell as a JSON number (the spec's table rounding), or null. */
static json_t *jnum(kefu_coltype type, const kefu_cell *c)
{
	char buf[64];
	if (c->empty)
		return json_null();
	switch (type) {
	case KEFU_T_INT:
	case KEFU_T_FLAG:
		return json_integer(c->num);
	case KEFU_T_FEN:
		kefu_decimal_format(c->num, 100, 0, 2, 1, buf);
		break;
	case KEFU_T_RATE: /* percent, 2 decimals */
		kefu_decimal_format(c->num, c->den, 2, 2, 1, buf);
		break;
	case KEFU_T_YUAN:
		kefu_decimal_format(c->num, c->den, -2, 2, 1, buf);
		break;
	case KEFU_T_MEAN:
		kefu_decimal_format(c->num, c->den, 0, 2, 1, buf);
		break;
	default:
		return json_null();
	}
	return json_real(strtod(buf, NULL));
}

/* Display text of a cell (table style), or null. */
static json_t *jtext(kefu_coltype type, const kefu_cell *c)
{
	if (c->empty)
		return json_null();
	if (type == KEFU_T_TEXT)
		return c->text ? jstr(c->text, strlen(c->text)) : json_string("");
	kefu_column col = {NULL, NULL, type};
	char buf[64];
	kefu_cell_format(&col, c, 1, buf, sizeof buf);
	return json_string(buf);
}

static const kefu_cell *cell_by(const kefu_table *t, size_t row, const char *name)
{
	long c = kefu_table_col(t, name);
	static const kefu_cell none = {1, 0, 0, NULL};
	if (c < 0 || row >= t->nrows)
		return &none;
	return kefu_table_cell(t, row, (size_t)c);
}

static kefu_coltype type_by(const kefu_table *t, const char *name)
{
	long c = kefu_table_col(t, name);
	return c < 0 ? KEFU_T_INT : t->cols[c].type;
}

/* Runs the rollup for the selection with another grouping and range. */
static int rollup(kefu_table **out, const kefu_dataset *ds, const kefu_kpi_result *res,
		  const kefu_report_opts *sel, kefu_by by, kefu_per per, int64_t from, int64_t to,
		  kefu_err *err)
{
	kefu_report_opts o = *sel;
	o.by = by;
	o.per = per;
	o.from_day = from;
	o.to_day = to;
	return kefu_report_kpi(out, ds, res, &o, err);
}

/* The five cards: key, label, unit, which direction is better. */
static const struct card {
	const char *col, *zh, *unit;
	int higher_better;
} cards[] = {
	{"conv_rate", "询单转化率", "%", 1},
	{"first_resp_s", "响应时间(平均首次响应)", "秒", 0},
	{"dsr_service", "DSR(服务态度)", "", 1},
	{"consults", "咨询量(咨询人数)", "人", 1},
	{"aov", "客单价", "元", 1},
};

static json_t *build_cards(const kefu_table *cur, const kefu_table *prev)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < sizeof cards / sizeof cards[0]; i++) {
		const struct card *k = &cards[i];
		kefu_coltype ty = type_by(cur, k->col);
		const kefu_cell *c = cell_by(cur, 0, k->col), *p = cell_by(prev, 0, k->col);
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "key", k->col, "zh", k->zh, "unit",
				      k->unit, "higher_better", k->higher_better);
		if (!o)
			continue;
		json_object_set_new(o, "value", jtext(ty, c));
		json_object_set_new(o, "v", jnum(ty, c));
		json_object_set_new(o, "prev", jtext(ty, p));
		json_object_set_new(o, "pv", jnum(ty, p));
		json_array_append_new(a, o);
	}
	return a;
}

/* Columns of the per-agent table, in 赤兔 order. */
static const char *const agent_cols[] = {
	"shop", "agent", "consults", "received", "unanswered", "inquiries", "first_resp_s",
	"avg_resp_s", "reply_rate", "three_min_rate", "slow_buyers", "converted", "conv_rate",
	"sales_fen", "sales_buyers", "sales_orders", "aov", "items_per_buyer", "qa_ratio",
	"avg_duration_s", "dsr_service", "sat_rate", "provisional", NULL};

static json_t *build_agents(const kefu_table *t)
{
	json_t *o = json_object(), *cols = json_array(), *rows = json_array(), *tot = json_array();
	if (!o || !cols || !rows || !tot) {
		json_decref(o);
		json_decref(cols);
		json_decref(rows);
		json_decref(tot);
		return NULL;
	}
	long idx[64];
	size_t n = 0;
	for (size_t i = 0; agent_cols[i] && n < 64; i++) {
		long c = kefu_table_col(t, agent_cols[i]);
		if (c < 0)
			continue;
		idx[n++] = c;
		json_array_append_new(cols, json_pack("{s:s, s:s, s:b}", "name", t->cols[c].name,
						      "zh", t->cols[c].zh, "text",
						      t->cols[c].type == KEFU_T_TEXT));
	}
	for (size_t r = 0; r < t->nrows; r++) {
		json_t *row = json_array();
		for (size_t i = 0; row && i < n; i++) {
			const kefu_column *col = &t->cols[idx[i]];
			const kefu_cell *c = kefu_table_cell(t, r, (size_t)idx[i]);
			json_array_append_new(row, json_pack("[o, o]", jtext(col->type, c),
							     col->type == KEFU_T_TEXT ? json_null()
										       : jnum(col->type, c)));
		}
		json_array_append_new(rows, row);
	}
	for (size_t i = 0; i < n; i++) {
		kefu_cell sum, mean;
		kefu_coltype st, mt;
		kefu_table_totals(t, (size_t)idx[i], &sum, &st, &mean, &mt);
		if (i == 0)
			json_array_append_new(tot, json_string("汇总"));
		else
			json_array_append_new(tot, jtext(st, &sum));
	}
	json_object_set_new(o, "columns", cols);
	json_object_set_new(o, "rows", rows);
	json_object_set_new(o, "total", tot);
	return o;
}

/* Daily series over every day of [from, to] (missing days: 0 counts, null
 * rates), plus credited vs silent sales. */
static json_t *build_daily(const kefu_table *daily, const kefu_kpi_result *res,
			   const kefu_report_opts *sel, int64_t from, int64_t to)
{
	static const char *const series[] = {"consults",     "received",   "inquiries", "converted",
					      "conv_rate",    "first_resp_s", "avg_resp_s", "sales_fen",
					      "reply_rate",   NULL};
	json_t *o = json_object(), *days = json_array(), *silent = json_array();
	if (!o || !days || !silent) {
		json_decref(o);
		json_decref(days);
		json_decref(silent);
		return NULL;
	}
	json_t *arr[16];
	size_t ns = 0;
	for (; series[ns]; ns++)
		arr[ns] = json_array();
	long daycol = kefu_table_col(daily, "day");
	size_t r = 0;
	int shop_level = sel->agents == NULL;
	char buf[16];
	int64_t silent_total = 0, credited_total = 0;
	/* silent sales of the selected shops per day, one pass */
	int64_t *sil_day = kefu_calloc((size_t)(to - from + 1), sizeof *sil_day);
	if (!sil_day) {
		json_decref(o);
		json_decref(days);
		json_decref(silent);
		for (size_t i = 0; i < ns; i++)
			json_decref(arr[i]);
		return NULL;
	}
	for (size_t i = 0; shop_level && i < res->n_shop_days; i++) {
		const kefu_shop_day *x = &res->shop_days[i];
		if (x->day >= from && x->day <= to && selected(sel, x->shop, KEFU_NO_ID))
			sil_day[x->day - from] += x->silent_fen;
	}
	for (int64_t d = from; d <= to; d++) {
		kefu_day_format(d, buf);
		json_array_append_new(days, json_string(buf));
		int have = 0;
		while (daycol >= 0 && r < daily->nrows) {
			const kefu_cell *c = kefu_table_cell(daily, r, (size_t)daycol);
			int cmp = c->text ? strcmp(c->text, buf) : -1;
			if (cmp < 0) {
				r++;
				continue;
			}
			have = cmp == 0;
			break;
		}
		for (size_t i = 0; i < ns; i++) {
			kefu_coltype ty = type_by(daily, series[i]);
			if (have)
				json_array_append_new(arr[i], jnum(ty, cell_by(daily, r, series[i])));
			else
				json_array_append_new(arr[i], ty == KEFU_T_INT || ty == KEFU_T_FEN
								      ? json_integer(0)
								      : json_null());
		}
		if (have) {
			const kefu_cell *s = cell_by(daily, r, "sales_fen");
			if (!s->empty)
				credited_total += s->num;
		}
		/* silent sales are a shop figure: not shown under an agent filter */
		if (shop_level) {
			int64_t sil = sil_day[d - from];
			kefu_cell c = {0, sil, 0, NULL};
			json_array_append_new(silent, jnum(KEFU_T_FEN, &c));
			silent_total += sil;
		} else {
			json_array_append_new(silent, json_null());
		}
	}
	kefu_free(sil_day);
	json_object_set_new(o, "days", days);
	for (size_t i = 0; i < ns; i++)
		json_object_set_new(o, series[i], arr[i]);
	json_object_set_new(o, "silent_fen", silent);
	kefu_cell ct = {0, credited_total, 0, NULL}, st = {0, silent_total, 0, NULL};
	kefu_column fen = {NULL, NULL, KEFU_T_FEN};
	char b1[64], b2[64];
	kefu_cell_format(&fen, &ct, 1, b1, sizeof b1);
	kefu_cell_format(&fen, &st, 1, b2, sizeof b2);
	json_object_set_new(o, "credited_total", json_string(b1));
	json_object_set_new(o, "silent_total", shop_level ? json_string(b2) : json_null());
	return o;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Consult volume by local hour x weekday, and the first-response
 * distribution, over the selected chats of [from, to]. */
static json_t *build_chats(const kefu_kpi_result *res, const kefu_report_opts *sel, int64_t from,
			   int64_t to, const kefu_html_report_opts *o, json_t **resp_out)
{
	int64_t grid[7][24];
	memset(grid, 0, sizeof grid);
	int64_t *gaps = kefu_malloc((res->n_chats + 1) * sizeof *gaps);
	if (!gaps)
		return NULL;
	size_t ng = 0;
	for (size_t i = 0; i < res->n_chats; i++) {
		const kefu_chat *c = &res->chats[i];
		if (c->day < from || c->day > to || !selected(sel, c->shop, c->agent))
			continue;
		if (c->received && c->first_resp_s >= 0)
			gaps[ng++] = c->first_resp_s;
		if (c->f == KEFU_TS_NONE)
			continue;
		int32_t off = 8 * 3600;
		if (o && o->shop_settings && c->shop < o->n_shop_settings &&
		    o->shop_settings[c->shop].n) {
			const kefu_settings *st = kefu_settings_at(&o->shop_settings[c->shop], c->day);
			if (st && st->tz)
				off = kefu_tz_offset_at(st->tz, c->f);
		}
		int64_t local = c->f + off;
		int64_t lday = kefu_floor_div(local, 86400);
		int hour = (int)((local - lday * 86400) / 3600);
		int wd = kefu_weekday(lday) - 1;
		grid[wd][hour]++;
	}
	json_t *heat = json_array();
	int64_t max = 0;
	for (int w = 0; heat && w < 7; w++)
		for (int h = 0; h < 24; h++) {
			json_array_append_new(heat, json_pack("[i, i, I]", h, w, (json_int_t)grid[w][h]));
			if (grid[w][h] > max)
				max = grid[w][h];
		}
	qsort(gaps, ng, sizeof *gaps, cmp_i64);
	static const struct {
		int64_t hi;
		const char *label;
	} buckets[] = {{10, "0-10秒"},     {30, "11-30秒"},    {60, "31-60秒"},
		       {180, "1-3分钟"},   {300, "3-5分钟"},   {600, "5-10分钟"},
		       {INT64_MAX, "10分钟以上"}};
	json_t *bl = json_array(), *bc = json_array();
	size_t k = 0;
	for (size_t b = 0; b < sizeof buckets / sizeof buckets[0]; b++) {
		int64_t cnt = 0;
		while (k < ng && gaps[k] <= buckets[b].hi) {
			k++;
			cnt++;
		}
		json_array_append_new(bl, json_string(buckets[b].label));
		json_array_append_new(bc, json_integer(cnt));
	}
	/* nearest-rank percentiles: the value at rank ceil(p n) */
	json_t *resp = json_pack("{s:I, s:o, s:o, s:o, s:o}", "n", (json_int_t)ng, "median",
				 ng ? json_integer(gaps[(ng + 1) / 2 - 1]) : json_null(), "p90",
				 ng ? json_integer(gaps[(9 * ng + 9) / 10 - 1]) : json_null(),
				 "labels", bl, "counts", bc);
	kefu_free(gaps);
	*resp_out = resp;
	json_t *out = json_pack("{s:o, s:I}", "data", heat, "max", (json_int_t)max);
	return out;
}

/* First and last day with rows in the selection, for an open range. */
static void data_range(const kefu_kpi_result *res, const kefu_report_opts *sel, int64_t *from,
		       int64_t *to)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (size_t i = 0; i < res->n_rows; i++) {
		const kefu_kpi_row *r = &res->rows[i];
		if (r->day < sel->from_day || r->day > sel->to_day || !selected(sel, r->shop, r->agent))
			continue;
		if (r->day < lo)
			lo = r->day;
		if (r->day > hi)
			hi = r->day;
	}
	*from = sel->from_day != INT64_MIN ? sel->from_day : lo;
	*to = sel->to_day != INT64_MAX ? sel->to_day : hi;
}

static int build_data(json_t **out, const kefu_dataset *ds, const kefu_kpi_result *res,
		      const kefu_report_opts *sel, const kefu_html_report_opts *o, kefu_err *err)
{
	*out = NULL;
	int64_t from, to;
	data_range(res, sel, &from, &to);
	json_t *root = json_object();
	kefu_table *cur = NULL, *prev = NULL, *agents = NULL, *daily = NULL;
	int rc = 0;
	if (!root)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory building the HTML report");
	const char *title = o && o->title ? o->title : "客服绩效报告";
	json_object_set_new(root, "title", jstr(title, strlen(title)));
	json_t *meta = json_array();
	if (o && o->meta)
		for (size_t i = 0; i < o->meta->nmeta; i++)
			json_array_append_new(meta, json_pack("[o, o]",
				jstr(o->meta->meta_key[i], strlen(o->meta->meta_key[i])),
				jstr(o->meta->meta_val[i], strlen(o->meta->meta_val[i]))));
	json_object_set_new(root, "meta", meta);
	if (from > to || from == INT64_MAX) {
		json_object_set_new(root, "empty", json_true());
		*out = root;
		return 0;
	}
	/* previous period of the same length */
	int64_t len = to - from + 1;
	if (len > KEFU_HTML_MAX_DAYS) {
		json_decref(root);
		return kefu_err_set(err, KEFU_EINVAL,
				    "the HTML report covers at most %d days; narrow --from/--to",
				    KEFU_HTML_MAX_DAYS);
	}
	int64_t pfrom = from - len, pto = from - 1;
	char b[4][16];
	kefu_day_format(from, b[0]);
	kefu_day_format(to, b[1]);
	kefu_day_format(pfrom, b[2]);
	kefu_day_format(pto, b[3]);
	json_object_set_new(root, "range", json_pack("{s:s, s:s, s:s, s:s, s:I}", "from", b[0], "to",
						     b[1], "prev_from", b[2], "prev_to", b[3], "days",
						     (json_int_t)len));
	if ((rc = rollup(&cur, ds, res, sel, KEFU_BY_ALL, KEFU_PER_RANGE, from, to, err)) ||
	    (rc = rollup(&prev, ds, res, sel, KEFU_BY_ALL, KEFU_PER_RANGE, pfrom, pto, err)) ||
	    (rc = rollup(&agents, ds, res, sel, KEFU_BY_AGENT, KEFU_PER_RANGE, from, to, err)) ||
	    (rc = rollup(&daily, ds, res, sel, KEFU_BY_ALL, KEFU_PER_DAY, from, to, err)))
		goto done;
	json_object_set_new(root, "cards", build_cards(cur, prev));
	json_object_set_new(root, "agents", build_agents(agents));
	json_object_set_new(root, "daily", build_daily(daily, res, sel, from, to));
	json_t *resp = NULL;
	json_t *heat = build_chats(res, sel, from, to, o, &resp);
	if (!heat) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory building the HTML report");
		goto done;
	}
	json_object_set_new(root, "heatmap", heat);
	json_object_set_new(root, "resp", resp);
	static const char *const funnel[][2] = {{"consults", "咨询"},
						{"received", "接待"},
						{"inquiries", "询单"},
						{"converted", "付款"}};
	json_t *fa = json_array();
	for (int i = 0; fa && i < 4; i++) {
		const kefu_cell *c = cell_by(cur, 0, funnel[i][0]);
		json_array_append_new(fa, json_pack("{s:s, s:I}", "name", funnel[i][1], "value",
						    (json_int_t)(c->empty ? 0 : c->num)));
	}
	json_object_set_new(root, "funnel", fa);
done:
	kefu_table_free(cur);
	kefu_table_free(prev);
	kefu_table_free(agents);
	kefu_table_free(daily);
	if (rc) {
		json_decref(root);
		return rc;
	}
	*out = root;
	return 0;
}

int kefu_html_json(FILE *out, const char *json, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		size_t skip = 1;
		unsigned char c = (unsigned char)json[i];
		if (c == '<')
			rep = "\\u003c";
		else if (c == '>')
			rep = "\\u003e";
		else if (c == '&')
			rep = "\\u0026";
		else if (c == 0xE2 && i + 2 < n && (unsigned char)json[i + 1] == 0x80 &&
			 ((unsigned char)json[i + 2] == 0xA8 || (unsigned char)json[i + 2] == 0xA9)) {
			rep = (unsigned char)json[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
			skip = 3;
		}
		if (!rep)
			continue;
		if (i > start && fwrite(json + start, 1, i - start, out) != i - start)
			return KEFU_EIO;
		if (fputs(rep, out) == EOF)
			return KEFU_EIO;
		i += skip - 1;
		start = i + 1;
	}
	if (n > start && fwrite(json + start, 1, n - start, out) != n - start)
		return KEFU_EIO;
	return 0;
}

/* Text for an HTML element or attribute. */
static void html_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* 'sha256-<base64>' of a script's text, for the CSP. */
static void csp_hash(const void *p, size_t n, char out[64])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, p, n);
	sodium_bin2base64(out, 64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
}

/* A script must not contain "</script" or "<!--" (they would end or change
 * the element); checked, not rewritten. */
static int script_safe(const char *p, size_t n)
{
	for (size_t i = 0; i + 3 < n; i++)
		if (p[i] == '<' && (p[i + 1] == '/' || p[i + 1] == '!')) {
			if (p[i + 1] == '!' && p[i + 2] == '-' && p[i + 3] == '-')
				return 0;
			if (p[i + 1] == '/' && i + 8 <= n && strncasecmp(p + i + 2, "script", 6) == 0)
				return 0;
		}
	return 1;
}

int kefu_html_page(FILE *out, const char *title, const char *body, const json_t *data,
		   const char *app, const char *css, kefu_err *err)
{
	const kefu_asset *ec = kefu_asset_echarts();
	size_t app_n = strlen(app);
	if (!script_safe((const char *)ec->data, ec->len) || !script_safe(app, app_n))
		return kefu_err_set(err, KEFU_EINVAL, "embedded script contains </script or <!--");
	char *js = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	if (!js)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory building an HTML page");
	if (sodium_init() < 0) {
		free(js);
		return kefu_err_set(err, KEFU_ENOMEM, "libsodium init failed");
	}
	char h1[64], h2[64];
	csp_hash(ec->data, ec->len, h1);
	csp_hash(app, app_n, h2);
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n", out);
	fprintf(out,
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"script-src 'sha256-%s' 'sha256-%s'; style-src 'unsafe-inline'; img-src data:; "
		"base-uri 'none'; form-action 'none'\">\n",
		h1, h2);
	fputs("<meta name=\"referrer\" content=\"no-referrer\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      out);
	html_text(out, title);
	fputs("</title>\n<style>\n", out);
	fputs(css, out);
	fputs("</style>\n</head>\n<body>\n", out);
	fputs(body, out);
	fputs("<script type=\"application/json\" id=\"kefu-data\">", out);
	int rc = kefu_html_json(out, js, strlen(js));
	free(js);
	fputs("</script>\n<script>", out);
	if (fwrite(ec->data, 1, ec->len, out) != ec->len)
		rc = KEFU_EIO;
	fputs("</script>\n<script>", out);
	fputs(app, out);
	fputs("</script>\n</body>\n</html>\n", out);
	if (rc || fflush(out) != 0 || ferror(out))
		return kefu_err_set(err, KEFU_EIO, "write error");
	return 0;
}

int kefu_write_html_report(FILE *out, const kefu_dataset *ds, const kefu_kpi_result *res,
			   const kefu_report_opts *sel, const kefu_html_report_opts *o,
			   kefu_err *err)
{
	json_t *data = NULL;
	int rc = build_data(&data, ds, res, sel, o, err);
	if (rc)
		return rc;
	static const char body[] =
		"<header><h1 id=\"title\"></h1><p id=\"range\"></p></header>\n"
		"<main>\n"
		"<section id=\"cards\" class=\"cards\"></section>\n"
		"<section><h2>客服明细</h2><div class=\"tablewrap\"><table id=\"agents\"></table></div>"
		"<p class=\"note\">点击列名排序。比率与均值由合计的分子与分母重新计算，不是比率的平均。</p></section>\n"
		"<section><h2>每日趋势</h2><div id=\"trend\" class=\"chart\"></div></section>\n"
		"<section class=\"two\"><div><h2>咨询量：小时 × 星期</h2><div id=\"heatmap\" class=\"chart\"></div></div>\n"
		"<div><h2>首次响应时间分布</h2><p id=\"respstat\" class=\"note\"></p><div id=\"resp\" class=\"chart\"></div></div></section>\n"
		"<section class=\"two\"><div><h2>转化漏斗</h2><div id=\"funnel\" class=\"chart\"></div></div>\n"
		"<div><h2>落实销售与静默销售</h2><p id=\"salesstat\" class=\"note\"></p><div id=\"sales\" class=\"chart\"></div></div></section>\n"
		"<section><h2>设置</h2><table id=\"meta\" class=\"meta\"></table></section>\n"
		"</main>\n";
	rc = kefu_html_page(out, o && o->title ? o->title : "客服绩效报告", body, data,
			    kefu_report_html_js, kefu_report_html_css, err);
	json_decref(data);
	return rc;
}
