/*
 * test_vendor_compare.c - `kefu vendor compare` (lib/vendor_compare.c) and
 * the coverage windows (lib/coverage.c). A generated data set of two
 * vendors, in-house agents and agents missing from the roster on two shops,
 * whose per-group figures (consults, received, response, 3-minute rate,
 * inquiries, conversion, sales, DSR, silent sales) are counted by the
 * generator itself while it writes the rows: one buyer per chat, one
 * question and at most one answer, so each figure is a plain count of what
 * was generated, independent of the engine's passes. Checked over all
 * hours and inside / outside an 18:00-09:00 coverage window, on both shops
 * and on one. Coverage parsing, boundaries and the restriction's sums are
 * tested on their own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/coverage.h"
#include "kefu/tz.h"
#include "kefu/vendor.h"
#include "testutil.h"

/* ------------------------------------------------------------ coverage */

static void test_coverage_parse(void **state)
{
	(void)state;
	kefu_coverage c;
	kefu_err err = KEFU_ERR_INIT;
	char buf[128];
	assert_int_equal(kefu_coverage_parse(&c, "18:00-09:00", 11, &err), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.start[0], 18 * 3600);
	assert_int_equal(c.end[0], 9 * 3600);
	/* half-open, crossing midnight */
	assert_true(kefu_coverage_holds_clock(&c, 18 * 3600));
	assert_true(kefu_coverage_holds_clock(&c, 23 * 3600 + 3599));
	assert_true(kefu_coverage_holds_clock(&c, 0));
	assert_true(kefu_coverage_holds_clock(&c, 9 * 3600 - 1));
	assert_false(kefu_coverage_holds_clock(&c, 9 * 3600));
	assert_false(kefu_coverage_holds_clock(&c, 18 * 3600 - 1));
	const char *two = " 12:00-13:30 , 22:00:30-24:00";
	assert_int_equal(kefu_coverage_parse(&c, two, strlen(two), &err), 0);
	assert_int_equal(c.n, 2);
	kefu_coverage_format(&c, buf, sizeof buf);
	assert_string_equal(buf, "12:00-13:30,22:00:30-24:00");
	assert_true(kefu_coverage_holds_clock(&c, 13 * 3600 + 1799));
	assert_false(kefu_coverage_holds_clock(&c, 13 * 3600 + 1800));
	assert_false(kefu_coverage_holds_clock(&c, 22 * 3600 + 29));
	assert_true(kefu_coverage_holds_clock(&c, 22 * 3600 + 30));
	assert_true(kefu_coverage_holds_clock(&c, 86399));
	assert_false(kefu_coverage_holds_clock(&c, 0));
	assert_int_equal(kefu_coverage_parse(&c, "00:00-24:00", 11, &err), 0);
	assert_true(kefu_coverage_holds_clock(&c, 0));
	assert_true(kefu_coverage_holds_clock(&c, 86399));
	kefu_coverage_format(&c, buf, sizeof buf);
	assert_string_equal(buf, "00:00-24:00");
	static const char *const bad[] = {"", "18:00", "18:00-", "25:00-01:00", "24:00-01:00",
					  "10:00-10:00", "9-10", "10:00-11:00,", "a-b",
					  ("0:00-0:30,1:00-2:00,3:00-4:00,5:00-6:00,7:00-8:00,9:00-10:00,"
					   "11:00-12:00,12:15-12:30,13:00-14:00,15:00-16:00,17:00-18:00,"
					   "18:10-18:20,19:00-19:30,20:00-20:30,21:00-21:30,22:00-22:30,"
					   "23:00-23:30")};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		kefu_err e2 = KEFU_ERR_INIT;
		if (kefu_coverage_parse(&c, bad[i], strlen(bad[i]), &e2) != KEFU_EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(c.n, 0);
		assert_non_null(strstr(e2.msg, "coverage"));
	}
	/* instants: local clock in the zone (Shanghai +08:00) */
	kefu_tz *tz = NULL;
	assert_int_equal(kefu_tz_load(&tz, "Asia/Shanghai", &err), 0);
	assert_int_equal(kefu_coverage_parse(&c, "18:00-09:00", 11, &err), 0);
	int64_t t;
	assert_int_equal(kefu_ts_parse("2024-03-01 08:59:59", 19, tz, &t, &err), 0);
	assert_true(kefu_coverage_holds(&c, tz, t));
	assert_false(kefu_coverage_holds(&c, tz, t + 1));
	assert_int_equal(kefu_ts_parse("2024-03-01T10:00:00Z", 20, tz, &t, &err), 0); /* 18:00 local */
	assert_true(kefu_coverage_holds(&c, tz, t));
	assert_false(kefu_coverage_holds(&c, tz, t - 1));
	kefu_tz_free(tz);
}

/* ----------------------------------------------------- generated data */

enum { G_INHOUSE, G_ALPHA, G_BETA, G_UNKNOWN, NG };
static const char *const group_names[NG] = {"inhouse", "alpha", "beta", "unknown"};
/* per shop: agent suffix and its group */
static const struct {
	const char *suffix;
	int group;
} agent_defs[] = {{"in1", G_INHOUSE}, {"in2", G_INHOUSE}, {"a1", G_ALPHA},
		  {"a2", G_ALPHA},    {"b1", G_BETA},     {"x1", G_UNKNOWN}};
#define NAGENTS (sizeof agent_defs / sizeof agent_defs[0])
#define NSHOPS 2
#define NDAYS 7
#define PER_AGENT_DAY 8

typedef struct expect {
	int64_t consults, received, fr_sum, fr_n, r3, r3_ok, inquiries, converted;
	int64_t sales_fen, sales_orders, sales_buyers;
	int64_t dsr_desc, dsr_service, dsr_shipping, dsr_n;
} expect;

/* [shop][segment 0 all, 1 inside, 2 outside][group] and the shop totals */
typedef struct world {
	expect e[NSHOPS][3][NG];
	int64_t paid[NSHOPS][3], silent[NSHOPS][3], silent_orders[NSHOPS][3];
	char *messages, *orders, *ratings, *agents;
} world;

typedef struct sbuf {
	char *p;
	size_t n, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int w = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (b->p && (size_t)w < b->cap - b->n) {
			b->n += (size_t)w;
			return;
		}
		b->cap = (b->cap + (size_t)w + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static int64_t rnd(int64_t lo, int64_t hi) /* inclusive */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return lo + (int64_t)(rng % (uint64_t)(hi - lo + 1));
}

/* Local "YYYY-MM-DD HH:MM:SS" of day number + seconds. */
static void ts_text(int64_t day, int64_t sec, char *buf)
{
	day += sec / 86400;
	sec %= 86400;
	char d[16];
	kefu_day_format(day, d);
	sprintf(buf, "%s %02d:%02d:%02d", d, (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
}

static int inside_18_09(int64_t sec)
{
	sec %= 86400;
	return sec >= 18 * 3600 || sec < 9 * 3600;
}

static void add_to(world *w, int shop, int in, int g, const expect *x)
{
	int segs[2] = {0, in ? 1 : 2};
	for (int k = 0; k < 2; k++) {
		expect *e = &w->e[shop][segs[k]][g];
		e->consults += x->consults;
		e->received += x->received;
		e->fr_sum += x->fr_sum;
		e->fr_n += x->fr_n;
		e->r3 += x->r3;
		e->r3_ok += x->r3_ok;
		e->inquiries += x->inquiries;
		e->converted += x->converted;
		e->sales_fen += x->sales_fen;
		e->sales_orders += x->sales_orders;
		e->sales_buyers += x->sales_buyers;
		if (k == 0) { /* DSR only over all hours */
			e->dsr_desc += x->dsr_desc;
			e->dsr_service += x->dsr_service;
			e->dsr_shipping += x->dsr_shipping;
			e->dsr_n += x->dsr_n;
		}
	}
}

static void add_paid(world *w, int shop, int in, int64_t fen, int silent)
{
	int segs[2] = {0, in ? 1 : 2};
	for (int k = 0; k < 2; k++) {
		w->paid[shop][segs[k]] += fen;
		if (silent) {
			w->silent[shop][segs[k]] += fen;
			w->silent_orders[shop][segs[k]]++;
		}
	}
}

static int64_t first_day, last_day;

static void generate(world *w)
{
	memset(w, 0, sizeof *w);
	rng = 0x9e3779b97f4a7c15ULL;
	assert_int_equal(kefu_day_parse("2024-03-01", 10, &first_day), 0);
	last_day = first_day + NDAYS - 1;
	sbuf m = {0}, o = {0}, r = {0}, a = {0};
	sb_printf(&m, "shop,buyer,agent,dir,ts,text\n");
	sb_printf(&o, "shop,order_id,buyer,created,paid,amount,items,status\n");
	sb_printf(&r, "shop,order_id,buyer,ts,desc,service,shipping\n");
	sb_printf(&a, "agent,vendor,team,name\n");
	for (int s = 0; s < NSHOPS; s++)
		for (size_t g = 0; g < NAGENTS; g++)
			if (agent_defs[g].group != G_UNKNOWN)
				sb_printf(&a, "s%d:%s,%s,t%d,n%zu\n", s + 1, agent_defs[g].suffix,
					  group_names[agent_defs[g].group], agent_defs[g].group, g);
	int order_no = 0;
	char t1[32], t2[32];
	for (int s = 0; s < NSHOPS; s++)
		for (int64_t d = first_day; d <= last_day; d++) {
			for (size_t ag = 0; ag < NAGENTS; ag++)
				for (int j = 0; j < PER_AGENT_DAY; j++) {
					int grp = agent_defs[ag].group;
					char buyer[64], agent[32];
					snprintf(buyer, sizeof buyer, "b%d_%lld_%zu_%d", s + 1, (long long)(d - first_day), ag, j);
					snprintf(agent, sizeof agent, "s%d:%s", s + 1, agent_defs[ag].suffix);
					int64_t t = rnd(0, 22) * 3600 + rnd(0, 49) * 60 + rnd(0, 59);
					int in = inside_18_09(t);
					expect x;
					memset(&x, 0, sizeof x);
					x.consults = 1;
					ts_text(d, t, t1);
					sb_printf(&m, "s%d,%s,%s,B,%s,q\n", s + 1, buyer, agent, t1);
					int in3 = t >= 8 * 3600; /* three_min_window 08:00-23:00 */
					x.r3 = in3;
					if (rnd(1, 100) <= 85) {
						int64_t gap = rnd(1, 400);
						ts_text(d, t + gap, t2);
						sb_printf(&m, "s%d,%s,%s,A,%s,a\n", s + 1, buyer, agent, t2);
						x.received = x.inquiries = x.fr_n = 1;
						x.fr_sum = gap;
						x.r3_ok = in3 && gap <= 180;
						if (rnd(1, 100) <= 40) {
							int64_t created = t + gap + 60, paid = created + 30;
							int64_t fen = rnd(1000, 50000);
							char c1[32], c2[32];
							ts_text(d, created, c1);
							ts_text(d, paid, c2);
							sb_printf(&o, "s%d,o%d,%s,%s,%s,%lld.%02lld,%lld,TRADE_FINISHED\n",
								  s + 1, ++order_no, buyer, c1, c2, (long long)(fen / 100),
								  (long long)(fen % 100), (long long)rnd(1, 3));
							x.converted = 1;
							x.sales_fen = fen;
							x.sales_orders = x.sales_buyers = 1;
							add_paid(w, s, in, fen, 0);
							if (rnd(1, 100) <= 50) {
								int ds_ = (int)rnd(1, 5), sv = (int)rnd(1, 5), sh = (int)rnd(1, 5);
								ts_text(d + 1, paid % 86400, c1);
								sb_printf(&r, "s%d,o%d,%s,%s,%d,%d,%d\n", s + 1, order_no,
									  buyer, c1, ds_, sv, sh);
								if (d + 1 <= last_day) { /* DSR as of the last day */
									x.dsr_desc = ds_;
									x.dsr_service = sv;
									x.dsr_shipping = sh;
									x.dsr_n = 1;
								}
							}
						}
					} else if (rnd(1, 100) <= 30) {
						/* unanswered, orders anyway: nobody can be credited */
						int64_t created = t + 600, paid = created + 30, fen = rnd(1000, 9000);
						ts_text(d, created, t1);
						ts_text(d, paid, t2);
						sb_printf(&o, "s%d,o%d,%s,%s,%s,%lld.%02lld,1,TRADE_FINISHED\n", s + 1,
							  ++order_no, buyer, t1, t2, (long long)(fen / 100),
							  (long long)(fen % 100));
						add_paid(w, s, inside_18_09(paid), fen, 1);
					}
					add_to(w, s, in, grp, &x);
				}
			/* buyers who never chat */
			for (int j = 0; j < 5; j++) {
				int64_t paid = rnd(0, 23) * 3600 + rnd(0, 58) * 60, fen = rnd(500, 20000);
				ts_text(d, paid - 0, t2);
				ts_text(d, paid, t1);
				sb_printf(&o, "s%d,o%d,quiet%d_%lld_%d,%s,%s,%lld.%02lld,1,TRADE_FINISHED\n", s + 1,
					  ++order_no, s + 1, (long long)(d - first_day), j, t1, t2,
					  (long long)(fen / 100), (long long)(fen % 100));
				add_paid(w, s, inside_18_09(paid), fen, 1);
			}
		}
	w->messages = m.p;
	w->orders = o.p;
	w->ratings = r.p;
	w->agents = a.p;
}

static void world_free(world *w)
{
	free(w->messages);
	free(w->orders);
	free(w->ratings);
	free(w->agents);
}

static long find(const kefu_table *t, const char *seg, const char *group)
{
	const char *kv[] = {"segment", seg, "group", group, NULL};
	return tu_find_row(t, kv);
}

static const kefu_cell *cell(const kefu_table *t, long row, const char *col)
{
	long c = kefu_table_col(t, col);
	assert_true(c >= 0);
	return kefu_table_cell(t, (size_t)row, (size_t)c);
}

/* a fraction cell equals num/den (empty when den is 0) */
static void check_frac(const kefu_table *t, long row, const char *col, int64_t num, int64_t den,
		       const char *what)
{
	const kefu_cell *c = cell(t, row, col);
	if (den == 0) {
		if (!c->empty)
			fail_msg("%s %s: expected empty", what, col);
		return;
	}
	if (c->empty || c->num * den != num * c->den)
		fail_msg("%s %s: got %lld/%lld, expected %lld/%lld", what, col, (long long)c->num,
			 (long long)c->den, (long long)num, (long long)den);
}

static void check_int(const kefu_table *t, long row, const char *col, int64_t v, const char *what)
{
	const kefu_cell *c = cell(t, row, col);
	if (c->empty || c->num != v)
		fail_msg("%s %s: got %s%lld, expected %lld", what, col, c->empty ? "empty " : "",
			 (long long)c->num, (long long)v);
}

static void check_world(const kefu_table *t, const world *w, int shop_mask, int with_cov)
{
	static const char *const segs[] = {"all", "inside", "outside"};
	int nseg = with_cov ? 3 : 1;
	assert_int_equal(t->nrows, (size_t)nseg * (NG + 1));
	for (int s = 0; s < nseg; s++) {
		int64_t paid = 0, silent = 0, silent_orders = 0;
		for (int sh = 0; sh < NSHOPS; sh++)
			if (shop_mask & (1 << sh)) {
				paid += w->paid[sh][s];
				silent += w->silent[sh][s];
				silent_orders += w->silent_orders[sh][s];
			}
		for (int g = 0; g < NG; g++) {
			expect e;
			memset(&e, 0, sizeof e);
			for (int sh = 0; sh < NSHOPS; sh++) {
				if (!(shop_mask & (1 << sh)))
					continue;
				const expect *x = &w->e[sh][s][g];
				e.consults += x->consults;
				e.received += x->received;
				e.fr_sum += x->fr_sum;
				e.fr_n += x->fr_n;
				e.r3 += x->r3;
				e.r3_ok += x->r3_ok;
				e.inquiries += x->inquiries;
				e.converted += x->converted;
				e.sales_fen += x->sales_fen;
				e.sales_orders += x->sales_orders;
				e.sales_buyers += x->sales_buyers;
				e.dsr_service += x->dsr_service;
				e.dsr_desc += x->dsr_desc;
				e.dsr_shipping += x->dsr_shipping;
				e.dsr_n += x->dsr_n;
			}
			char what[64];
			snprintf(what, sizeof what, "%s/%s", segs[s], group_names[g]);
			long row = find(t, segs[s], group_names[g]);
			if (row < 0)
				fail_msg("no row %s", what);
			assert_true(e.consults > 20); /* the data exercise every group */
			check_int(t, row, "consults", e.consults, what);
			check_int(t, row, "received", e.received, what);
			check_frac(t, row, "reply_rate", e.received, e.consults, what);
			check_frac(t, row, "first_resp_s", e.fr_sum, e.fr_n, what);
			check_frac(t, row, "avg_resp_s", e.fr_sum, e.fr_n, what);
			check_frac(t, row, "three_min_rate", e.r3_ok, e.r3, what);
			check_int(t, row, "inquiries", e.inquiries, what);
			check_int(t, row, "converted", e.converted, what);
			check_frac(t, row, "conv_rate", e.converted, e.inquiries, what);
			check_int(t, row, "sales_fen", e.sales_fen, what);
			check_int(t, row, "sales_orders", e.sales_orders, what);
			check_int(t, row, "sales_buyers", e.sales_buyers, what);
			check_frac(t, row, "aov", e.sales_fen, e.sales_buyers, what);
			check_frac(t, row, "share_of_paid", e.sales_fen, paid, what);
			if (s == 0) {
				assert_true(e.dsr_n > 0);
				check_frac(t, row, "dsr_service", e.dsr_service, e.dsr_n, what);
				check_frac(t, row, "dsr_desc", e.dsr_desc, e.dsr_n, what);
				check_frac(t, row, "dsr_shipping", e.dsr_shipping, e.dsr_n, what);
				check_int(t, row, "dsr_n", e.dsr_n, what);
			} else {
				assert_true(cell(t, row, "dsr_service")->empty);
				assert_true(cell(t, row, "dsr_n")->empty);
			}
		}
		long row = find(t, segs[s], "silent");
		assert_true(row >= 0);
		assert_true(silent > 0);
		check_int(t, row, "sales_fen", silent, "silent");
		check_int(t, row, "sales_orders", silent_orders, "silent");
		check_frac(t, row, "share_of_paid", silent, paid, "silent");
		assert_true(cell(t, row, "consults")->empty);
	}
	/* order: inhouse, vendors in byte order, unknown, silent */
	static const char *const order[] = {"inhouse", "alpha", "beta", "unknown", "silent"};
	for (size_t r = 0; r < NG + 1; r++)
		assert_string_equal(cell(t, (long)r, "group")->text, order[r]);
}

static void run_world(tu_run *r, const world *w)
{
	const char *texts[] = {w->messages, w->orders, w->ratings, w->agents, NULL};
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	tu_run_texts(r, texts, NULL, &ro);
	assert_int_equal(r->rejected, 0);
}

static void test_compare_generated(void **state)
{
	(void)state;
	world w;
	generate(&w);
	tu_run r;
	run_world(&r, &w);
	kefu_err err = KEFU_ERR_INIT;
	kefu_coverage cov;
	assert_int_equal(kefu_coverage_parse(&cov, "18:00-09:00", 11, &err), 0);
	const char *ids[] = {"alpha"}, *labels[] = {"Alpha 外包"};
	for (int with_cov = 0; with_cov < 2; with_cov++) {
		kefu_vendor_compare_opts co = KEFU_VENDOR_COMPARE_OPTS_INIT;
		co.from_day = first_day;
		co.to_day = last_day;
		co.coverage = with_cov ? &cov : NULL;
		co.shop_settings = r.vs;
		co.n_shop_settings = r.nvs;
		co.label_ids = ids;
		co.labels = labels;
		co.n_labels = 1;
		kefu_table *t = NULL;
		assert_int_equal(kefu_vendor_compare(&t, r.ds, r.res, &co, &err), 0);
		check_world(t, &w, 3, with_cov);
		assert_string_equal(cell(t, 1, "name")->text, "Alpha 外包");
		assert_string_equal(cell(t, 2, "name")->text, "beta");
		kefu_table_free(t);
	}
	/* one shop */
	uint32_t s1;
	assert_int_equal(kefu_dict_find(r.ds->shops, "s1", 2, &s1), 0);
	kefu_vendor_compare_opts co = KEFU_VENDOR_COMPARE_OPTS_INIT;
	co.from_day = first_day;
	co.to_day = last_day;
	co.shops = &s1;
	co.n_shops = 1;
	co.coverage = &cov;
	co.shop_settings = r.vs;
	co.n_shop_settings = r.nvs;
	kefu_table *t = NULL;
	assert_int_equal(kefu_vendor_compare(&t, r.ds, r.res, &co, &err), 0);
	check_world(t, &w, 1, 1);
	kefu_table_free(t);
	tu_run_free(&r);
	world_free(&w);
}

/* inside + outside = the engine's rows for every additive column but
 * max_concurrent and auto_msgs; 00:00-24:00 keeps everything. Checked on the
 * generated data and on metrics.md's worked example (auto replies, an
 * answer after midnight, evals). */
static void check_restrict_sums(tu_run *r, const char *window)
{
	kefu_err err = KEFU_ERR_INIT;
	kefu_coverage cov;
	assert_int_equal(kefu_coverage_parse(&cov, window, strlen(window), &err), 0);
	kefu_kpi_result *in = NULL, *out = NULL;
	assert_int_equal(kefu_coverage_restrict(&in, r->ds, r->res, r->vs, r->nvs, &cov, 1, &err), 0);
	assert_int_equal(kefu_coverage_restrict(&out, r->ds, r->res, r->vs, r->nvs, &cov, 0, &err), 0);
	size_t i = 0, o = 0;
	for (size_t k = 0; k < r->res->n_rows; k++) {
		const kefu_kpi_row *e = &r->res->rows[k];
		int64_t sum[KEFU_NCOLS] = {0};
		if (i < in->n_rows && in->rows[i].shop == e->shop && in->rows[i].agent == e->agent &&
		    in->rows[i].day == e->day) {
			assert_int_equal(in->rows[i].final_, e->final_);
			for (int c = 0; c < KEFU_NCOLS; c++)
				sum[c] += in->rows[i].v[c];
			i++;
		}
		if (o < out->n_rows && out->rows[o].shop == e->shop && out->rows[o].agent == e->agent &&
		    out->rows[o].day == e->day) {
			for (int c = 0; c < KEFU_NCOLS; c++)
				sum[c] += out->rows[o].v[c];
			o++;
		}
		for (int c = 0; c < KEFU_NCOLS; c++) {
			if (c == KEFU_C_MAX_CONCURRENT || c == KEFU_C_AUTO_MSGS)
				continue;
			if (sum[c] != e->v[c])
				fail_msg("%s row %zu col %s: %lld != %lld", window, k,
					 kefu_col_info_of((kefu_col)c)->name, (long long)sum[c],
					 (long long)e->v[c]);
		}
	}
	assert_int_equal(i, in->n_rows); /* every restricted row is one of the engine's */
	assert_int_equal(o, out->n_rows);
	/* shop days add up too */
	int64_t paid = 0, silent = 0, credited = 0;
	for (size_t k = 0; k < r->res->n_shop_days; k++) {
		paid -= r->res->shop_days[k].paid_fen;
		silent -= r->res->shop_days[k].silent_fen;
		credited -= r->res->shop_days[k].credited_fen;
	}
	for (int pass = 0; pass < 2; pass++) {
		const kefu_kpi_result *x = pass ? out : in;
		for (size_t k = 0; k < x->n_shop_days; k++) {
			paid += x->shop_days[k].paid_fen;
			silent += x->shop_days[k].silent_fen;
			credited += x->shop_days[k].credited_fen;
			assert_int_equal(x->shop_days[k].paid_fen,
					 x->shop_days[k].silent_fen + x->shop_days[k].credited_fen);
		}
	}
	assert_int_equal(paid, 0);
	assert_int_equal(silent, 0);
	assert_int_equal(credited, 0);
	if (!strcmp(window, "00:00-24:00")) {
		assert_int_equal(out->n_rows, 0);
		assert_int_equal(in->n_rows, r->res->n_rows);
		for (size_t k = 0; k < in->n_rows; k++)
			assert_int_equal(in->rows[k].v[KEFU_C_MAX_CONCURRENT],
					 r->res->rows[k].v[KEFU_C_MAX_CONCURRENT]);
	}
	kefu_kpi_result_free(in);
	kefu_kpi_result_free(out);
}

static const char example_messages[] =
	"shop,buyer,agent,dir,ts,text\n"
	"s1,b1,s1:amy,B,2023-03-01 10:00:00,在吗\n"
	"s1,b1,s1:amy,S,2023-03-01 10:00:01,您好，欢迎光临\n"
	"s1,b1,s1:amy,B,2023-03-01 10:00:20,有货吗\n"
	"s1,b1,s1:amy,A,2023-03-01 10:00:40,有的\n"
	"s1,b1,s1:amy,B,2023-03-01 10:05:00,包邮吗\n"
	"s1,b1,s1:amy,A,2023-03-01 10:07:30,包邮\n"
	"s1,b2,s1:amy,B,2023-03-01 11:00:00,hi\n"
	"s1,b2,s1:amy,A,2023-03-01 11:04:00,hello\n"
	"s1,b3,s1:bob,B,2023-03-01 23:59:00,在吗\n"
	"s1,b3,s1:bob,A,2023-03-02 00:01:00,在\n"
	"s1,b4,s1:bob,B,2023-03-01 12:00:00,?\n";
static const char example_orders[] =
	"shop,order_id,buyer,created,paid,amount,items,status\n"
	"s1,o1,b1,2023-03-01 10:10:00,2023-03-01 10:12:00,100.00,1,TRADE_FINISHED\n"
	"s1,o2,b2,2023-03-02 09:00:00,2023-03-02 09:01:00,50.00,1,TRADE_FINISHED\n"
	"s1,o3,b3,2023-03-04 12:00:00,2023-03-04 12:00:30,80.00,1,TRADE_FINISHED\n"
	"s1,o4,b5,2023-03-01 15:00:00,2023-03-01 15:00:10,30.00,1,TRADE_FINISHED\n";
static const char example_evals[] =
	"shop,agent,buyer,ts,level\n"
	"s1,s1:amy,b1,2023-03-01 10:20:00,5\n"
	"s1,s1:amy,b2,2023-03-01 20:00:00,2\n"
	"s1,s1:bob,b3,2023-03-02 00:05:00,4\n";

static void test_restrict_sums(void **state)
{
	(void)state;
	world w;
	generate(&w);
	tu_run r;
	run_world(&r, &w);
	check_restrict_sums(&r, "18:00-09:00");
	check_restrict_sums(&r, "12:00-13:00,20:30-02:15");
	check_restrict_sums(&r, "00:00-24:00");
	tu_run_free(&r);
	world_free(&w);

	const char *texts[] = {example_messages, example_orders, example_evals, NULL};
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	tu_run_texts(&r, texts, NULL, &ro);
	check_restrict_sums(&r, "18:00-09:00");
	check_restrict_sums(&r, "10:00-11:00");
	check_restrict_sums(&r, "00:00-24:00");
	/* 11:00-24:00 by hand: amy's b2 chat (f 11:00, gap 240, o2 50.00 on
	 * 03-02), bob's b3 (f 23:59) and b4 (12:00) chats; b1 (10:00) outside.
	 * bob's 03-02 chat (no B; starts 00:01) is outside; o4 (silent, paid
	 * 15:00:10) inside, o3 silent paid 12:00:30 inside, o1 credited via
	 * b1 outside. The eval at 20:00 inside, 10:20 and 00:05 outside. */
	kefu_err err = KEFU_ERR_INIT;
	kefu_coverage cov;
	assert_int_equal(kefu_coverage_parse(&cov, "11:00-24:00", 11, &err), 0);
	kefu_kpi_result *in = NULL;
	assert_int_equal(kefu_coverage_restrict(&in, r.ds, r.res, r.vs, r.nvs, &cov, 1, &err), 0);
	ro.by = KEFU_BY_AGENT;
	ro.per = KEFU_PER_RANGE;
	kefu_table *t = NULL;
	assert_int_equal(kefu_report_kpi(&t, r.ds, in, &ro, &err), 0);
	const char *amy[] = {"agent", "s1:amy", NULL}, *bob[] = {"agent", "s1:bob", NULL};
	long ra = tu_find_row(t, amy), rb = tu_find_row(t, bob);
	assert_true(ra >= 0 && rb >= 0);
	assert_int_equal(tu_int(t, ra, "consults"), 1);
	assert_int_equal(tu_int(t, ra, "first_resp_sum_s"), 240);
	assert_int_equal(tu_int(t, ra, "sales_fen"), 5000);
	assert_int_equal(tu_int(t, ra, "converted"), 1);
	assert_int_equal(tu_int(t, ra, "evals"), 1);
	assert_int_equal(tu_int(t, ra, "evals_satisfied"), 0);
	assert_int_equal(tu_int(t, ra, "auto_msgs"), 0);
	assert_int_equal(tu_int(t, rb, "consults"), 2);
	assert_int_equal(tu_int(t, rb, "received"), 1);
	assert_int_equal(tu_int(t, rb, "agent_msgs"), 0); /* the 00:01 answer is 03-02's chat */
	assert_int_equal(tu_int(t, rb, "evals"), 0);
	kefu_table_free(t);
	ro.by = KEFU_BY_ALL;
	assert_int_equal(kefu_report_kpi(&t, r.ds, in, &ro, &err), 0);
	assert_int_equal(tu_int(t, 0, "paid_fen"), 5000 + 3000 + 8000);
	assert_int_equal(tu_int(t, 0, "silent_fen"), 3000 + 8000);
	kefu_table_free(t);
	kefu_kpi_result_free(in);
	tu_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coverage_parse),
		cmocka_unit_test(test_compare_generated),
		cmocka_unit_test(test_restrict_sums),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
