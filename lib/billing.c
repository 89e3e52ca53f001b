/*
 * billing.c - the pure part of settlement.md: billing periods, the KPIs a
 * period uses (from the engine's chats and order credits, filtered by
 * vendor, shops, days and coverage windows), and the invoice lines with
 * their exact rounding. No store access here (billing_store.c).
 */
#include "kefu/billing.h"

#include <stdio.h>
#include <string.h>

#include "kefu/tz.h"

int64_t kefu_round_div(__int128 num, __int128 den)
{
	if (den < 0)
		num = -num, den = -den;
	__int128 q = num / den, r = num % den;
	if (r < 0)
		r = -r;
	if (2 * r >= den)
		q += num < 0 ? -1 : 1;
	return (int64_t)q;
}

/* ------------------------------------------------------------ periods */

static int64_t month_first(int y, int m)
{
	return kefu_days_from_civil(y, (unsigned)m, 1);
}

static int64_t next_month_first(int y, int m)
{
	return m == 12 ? month_first(y + 1, 1) : month_first(y, m + 1);
}

int kefu_month_parse(const char *s, int *y, int *m)
{
	if (!s || strlen(s) != 7 || s[4] != '-')
		return KEFU_EPARSE;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return KEFU_EPARSE;
	int yy = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int mm = (s[5] - '0') * 10 + (s[6] - '0');
	if (mm < 1 || mm > 12 || yy < 1970)
		return KEFU_EPARSE;
	*y = yy;
	*m = mm;
	return 0;
}

int kefu_billing_period(kefu_period *out, const kefu_contract *c, int y, int m)
{
	int64_t first = month_first(y, m), end = next_month_first(y, m) - 1;
	int64_t a = first > c->start_day ? first : c->start_day;
	if (a > end)
		return KEFU_ENOTFOUND;
	int64_t term_end = kefu_contract_term_end(c, a);
	if (c->renew_auto) /* consecutive terms: the month is covered to its end */
		term_end = kefu_contract_term_end(c, end);
	int64_t b = end < term_end ? end : term_end;
	if (a > b)
		return KEFU_ENOTFOUND;
	out->y = y;
	out->m = m;
	out->first_day = a;
	out->last_day = b;
	out->month_days = end - first + 1;
	return 0;
}

int kefu_billing_periods(kefu_period **out, size_t *n, const kefu_contract *c,
			 int64_t through_day, kefu_err *err)
{
	kefu_period *v = NULL;
	size_t cap = 0, k = 0;
	int64_t y;
	unsigned m, d;
	*out = NULL;
	*n = 0;
	kefu_civil_from_days(c->start_day, &y, &m, &d);
	for (int yy = (int)y, mm = (int)m;; mm == 12 ? (yy++, mm = 1) : mm++) {
		kefu_period p;
		if (month_first(yy, mm) > through_day)
			break;
		if (kefu_billing_period(&p, c, yy, mm)) {
			if (month_first(yy, mm) > c->end_day && !c->renew_auto)
				break;
			continue;
		}
		if (p.first_day > through_day)
			break;
		if (kefu_grow((void **)&v, &cap, k + 1, sizeof *v)) {
			kefu_free(v);
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		}
		v[k++] = p;
	}
	*out = v;
	*n = k;
	return 0;
}

/* --------------------------------------------------------- period KPIs */

static int find_id(const kefu_dict *d, const char *s, uint32_t *id)
{
	return kefu_dict_find(d, s, strlen(s), id);
}

/* Sorted shop ids of the contract present in the data. */
static size_t contract_shops(const kefu_contract *c, const kefu_dataset *ds, uint8_t *is_shop,
			     size_t nshops)
{
	size_t k = 0;
	memset(is_shop, 0, nshops);
	for (size_t i = 0; i < c->n_shops; i++) {
		uint32_t id;
		if (find_id(ds->shops, c->shops[i], &id) == 0 && id < nshops) {
			is_shop[id] = 1;
			k++;
		}
	}
	return k;
}

static int agent_of_vendor(const kefu_dataset *ds, uint32_t agent, uint32_t vendor)
{
	const kefu_roster *r = &ds->roster;
	if (agent == KEFU_NO_ID || vendor == KEFU_NO_ID || !r->row_of_agent ||
	    agent >= kefu_dict_size(ds->agents))
		return 0;
	uint32_t row = r->row_of_agent[agent];
	return row != KEFU_NO_ID && r->vendor[row] == vendor;
}

/* Local seconds of day of instant t in the shop's zone on `day`. */
static int32_t local_sod(const kefu_billing_data *d, uint32_t shop, int64_t day, int64_t t)
{
	const kefu_settings *s = shop < d->nvs ? kefu_settings_at(&d->vs[shop], day) : NULL;
	int32_t off = s && s->tz ? kefu_tz_offset_at(s->tz, t) : 8 * 3600;
	int64_t lt = t + off;
	return (int32_t)(lt - kefu_floor_div(lt, 86400) * 86400);
}

static int chat_covered(const kefu_contract *c, const kefu_billing_data *d, const kefu_chat *ch)
{
	if (c->mode == KEFU_MODE_FULL)
		return 1;
	if (ch->f == KEFU_TS_NONE)
		return 0;
	return kefu_contract_covers(c, local_sod(d, ch->shop, ch->day, ch->f));
}

int kefu_billing_collect(kefu_period_kpi *out, uint8_t *chat_class, const kefu_contract *c,
			 const kefu_period *p, const kefu_billing_data *d, kefu_err *err)
{
	return kefu_billing_collect_ex(out, chat_class, c, p, d, 0, err);
}

int kefu_billing_collect_ex(kefu_period_kpi *out, uint8_t *chat_class, const kefu_contract *c,
			    const kefu_period *p, const kefu_billing_data *d, int others,
			    kefu_err *err)
{
	const kefu_dataset *ds = d->ds;
	const kefu_kpi_result *res = d->res;
	size_t nshops = kefu_dict_size(ds->shops);
	uint32_t vendor = KEFU_NO_ID;
	memset(out, 0, sizeof *out);
	if (chat_class)
		memset(chat_class, 0, res->n_chats);
	uint8_t *is_shop = kefu_calloc(nshops + 1, 1);
	uint8_t *covered = kefu_calloc(res->n_chats + 1, 1);
	if (!is_shop || !covered) {
		kefu_free(is_shop);
		kefu_free(covered);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	contract_shops(c, ds, is_shop, nshops);
	if (find_id(ds->vendors, c->vendor, &vendor))
		vendor = KEFU_NO_ID;
	int64_t *num = out->num, *den = out->den;
	/* chats: every chat is marked covered or not (credits below may go
	 * through a chat of a day outside the period) */
	for (size_t i = 0; i < res->n_chats; i++) {
		const kefu_chat *ch = &res->chats[i];
		if (ch->shop >= nshops || !is_shop[ch->shop] ||
		    agent_of_vendor(ds, ch->agent, vendor) == others)
			continue;
		covered[i] = (uint8_t)(others || chat_covered(c, d, ch));
		if (ch->day < p->first_day || ch->day > p->last_day)
			continue;
		out->chats++;
		if (chat_class)
			chat_class[i] = covered[i] ? KEFU_CHAT_COVERED : KEFU_CHAT_OUTSIDE;
		if (!covered[i])
			continue;
		out->chats_covered++;
		int consult = ch->f != KEFU_TS_NONE;
		if (ch->first_resp_s >= 0) {
			num[KEFU_SLA_FIRST_RESP_S] += ch->first_resp_s;
			den[KEFU_SLA_FIRST_RESP_S]++;
		}
		num[KEFU_SLA_AVG_RESP_S] += ch->resp_sum_s;
		den[KEFU_SLA_AVG_RESP_S] += ch->resp_n;
		num[KEFU_SLA_REPLY_RATE] += consult && ch->received;
		den[KEFU_SLA_REPLY_RATE] += consult;
		num[KEFU_SLA_CONV_RATE] += ch->inquiry && ch->converted;
		den[KEFU_SLA_CONV_RATE] += ch->inquiry;
		num[KEFU_SLA_THREE_MIN_RATE] += ch->rounds_3min_ok;
		den[KEFU_SLA_THREE_MIN_RATE] += ch->rounds_3min;
	}
	/* credited sales */
	for (size_t i = 0; i < res->n_orders && i < ds->ord.n; i++) {
		const kefu_order_credit *cr = &res->credit[i];
		uint32_t shop = ds->ord.shop[i];
		if (cr->excluded || cr->sale_agent == KEFU_NO_ID || cr->sale_day == INT64_MIN)
			continue;
		if (shop >= nshops || !is_shop[shop] ||
		    agent_of_vendor(ds, cr->sale_agent, vendor) == others)
			continue;
		if (cr->sale_day < p->first_day || cr->sale_day > p->last_day)
			continue;
		if (c->mode == KEFU_MODE_PARTIAL && !others &&
		    (cr->sale_chat == KEFU_NO_ID || cr->sale_chat >= res->n_chats ||
		     !covered[cr->sale_chat]))
			continue;
		int basis = c->sales_basis;
		if (basis < 0) {
			const kefu_settings *s =
				shop < d->nvs ? kefu_settings_at(&d->vs[shop], cr->sale_day) : NULL;
			basis = s ? (int)s->sales_basis : KEFU_SALES_GROSS;
		}
		int64_t amt = ds->ord.amount[i], ref = ds->ord.refund[i];
		if (basis == KEFU_SALES_NET)
			amt -= ref < amt ? (ref > 0 ? ref : 0) : amt;
		if (kefu_add_i64(&out->sales_fen, amt)) {
			kefu_free(is_shop);
			kefu_free(covered);
			return kefu_err_set(err, KEFU_EOVERFLOW, "sales overflow");
		}
		out->sales_orders++;
	}
	/* evals (satisfaction): business day in the period, ts inside coverage */
	for (size_t i = 0; i < ds->ev.n; i++) {
		uint32_t shop = ds->ev.shop[i];
		if (shop >= nshops || !is_shop[shop] ||
		    agent_of_vendor(ds, ds->ev.agent[i], vendor) == others)
			continue;
		const kefu_settings_versions *vs = shop < d->nvs ? &d->vs[shop] : NULL;
		int64_t day = vs ? kefu_settings_day_of(vs, ds->ev.ts[i])
				 : kefu_floor_div(ds->ev.ts[i] + 8 * 3600, 86400);
		if (day < p->first_day || day > p->last_day)
			continue;
		if (vs) {
			const kefu_settings *s = kefu_settings_at(vs, day);
			kefu_str b = kefu_dict_get(ds->buyers, ds->ev.buyer[i]);
			if (s && kefu_settings_excludes(s, b.p, b.n))
				continue;
		}
		if (c->mode == KEFU_MODE_PARTIAL && !others &&
		    !kefu_contract_covers(c, local_sod(d, shop, day, ds->ev.ts[i])))
			continue;
		num[KEFU_SLA_SAT_RATE] += ds->ev.level[i] >= 4;
		den[KEFU_SLA_SAT_RATE]++;
	}
	kefu_free(is_shop);
	kefu_free(covered);
	return 0;
}

/* ------------------------------------------------------------- lines */

const char *kefu_line_kind_name(kefu_line_kind k)
{
	static const char *const names[] = {"base", "fixed", "commission", "event", "sla"};
	return (unsigned)k < 5 ? names[k] : "?";
}

/* Yuan with 2 decimals, optionally with thousands separators. */
static void yuan(char *buf, size_t cap, int64_t fen, int sep)
{
	char digits[32];
	uint64_t a = fen < 0 ? (uint64_t)(-(fen + 1)) + 1 : (uint64_t)fen;
	snprintf(digits, sizeof digits, "%llu", (unsigned long long)(a / 100));
	size_t nd = strlen(digits), o = 0;
	if (fen < 0 && o + 1 < cap)
		buf[o++] = '-';
	for (size_t i = 0; i < nd && o + 2 < cap; i++) {
		if (sep && i && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	snprintf(buf + o, cap - o, ".%02u", (unsigned)(a % 100));
}

/* A ratio as written: percent with up to 4 decimals, trailing zeros kept
 * to one decimal ("1.0%", "1.5%", "2%"). Uses the text when given. */
static void pct_text(char *buf, size_t cap, kefu_ratio r)
{
	char t[48];
	kefu_decimal_format(r.num, r.den, 2, 4, 1, t);
	snprintf(buf, cap, "%s%%", t);
}

/* The KPI value as the statement prints it: seconds or percent, 2 dec. */
static void kpi_text(char *buf, size_t cap, kefu_sla_metric m, int64_t num, int64_t den)
{
	char t[48];
	if (kefu_sla_metric_is_rate(m)) {
		kefu_decimal_format(num, den, 2, 2, 0, t);
		snprintf(buf, cap, "%s%%", t);
	} else {
		kefu_decimal_format(num, den, 0, 2, 0, t);
		snprintf(buf, cap, "%s", t);
	}
}

/* 1 if num/den satisfies op target exactly. */
static int meets(kefu_sla_op op, int64_t num, int64_t den, kefu_ratio t)
{
	__int128 l = (__int128)num * t.den, r = (__int128)t.num * den;
	switch (op) {
	case KEFU_OP_LE:
		return l <= r;
	case KEFU_OP_LT:
		return l < r;
	case KEFU_OP_GE:
		return l >= r;
	case KEFU_OP_GT:
		return l > r;
	}
	return 0;
}

static const char *op_text(kefu_sla_op op, int negate)
{
	static const char *const ops[] = {"<=", "<", ">=", ">"};
	static const char *const neg[] = {">", ">=", "<", "<="};
	return negate ? neg[op] : ops[op];
}

typedef struct linebuf {
	kefu_bill_line *v;
	size_t n, cap;
} linebuf;

static kefu_bill_line *add_line(linebuf *b, kefu_line_kind kind, int64_t amount)
{
	if (amount == 0)
		return NULL;
	if (kefu_grow((void **)&b->v, &b->cap, b->n + 1, sizeof *b->v))
		return (kefu_bill_line *)-1;
	kefu_bill_line *l = &b->v[b->n++];
	memset(l, 0, sizeof *l);
	l->kind = kind;
	l->amount_fen = amount;
	l->sla = -1;
	return l;
}

#define ADD_OR_FAIL(l, b, kind, amt)                                                               \
	kefu_bill_line *l = add_line(b, kind, amt);                                                \
	if (l == (kefu_bill_line *)-1)                                                             \
		goto oom;

void kefu_invoices_free(kefu_invoice *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		kefu_free(v[i].lines);
	kefu_free(v);
}

void kefu_invoice_set_id(kefu_invoice *inv, const char *contract_id)
{
	static const char kinds[] = {'P', 'F', 'V'};
	snprintf(inv->id, sizeof inv->id, "%s-%04d-%02d-%c-r%d", contract_id, inv->y, inv->m,
		 kinds[inv->kind], inv->rev);
}

int kefu_billing_compute(kefu_invoice **out, size_t *n, const kefu_contract *c,
			 const kefu_period *p, const kefu_period_kpi *k, kefu_err *err)
{
	linebuf fixed = {0}, var = {0};
	char a[56], b[56], t[56];
	char notes[512] = "";
	*out = NULL;
	*n = 0;
	int64_t days = p->last_day - p->first_day + 1;
	/* base or fixed */
	int64_t base = 0;
	kefu_line_kind bk = c->scheme == KEFU_FEE_FIXED ? KEFU_LINE_FIXED : KEFU_LINE_BASE;
	if (c->scheme == KEFU_FEE_FIXED && c->fixed_month_fen >= 0) {
		base = kefu_round_div((__int128)c->fixed_month_fen * days, p->month_days);
		ADD_OR_FAIL(l, &fixed, bk, base);
		if (l) {
			yuan(a, sizeof a, c->fixed_month_fen, 0);
			snprintf(l->label, sizeof l->label, "fixed %s x %lld/%lld", a, (long long)days,
				 (long long)p->month_days);
		}
	} else {
		base = kefu_round_div((__int128)c->seats * c->per_seat_month_fen * days,
				      p->month_days);
		ADD_OR_FAIL(l, &fixed, bk, base);
		if (l) {
			yuan(a, sizeof a, c->per_seat_month_fen, 0);
			snprintf(l->label, sizeof l->label, "%s %lld x %s x %lld/%lld",
				 kefu_line_kind_name(bk), (long long)c->seats, a, (long long)days,
				 (long long)p->month_days);
		}
	}
	/* events */
	for (size_t i = 0; i < c->n_events; i++) {
		const kefu_event *e = &c->events[i];
		int64_t from = e->from_day > p->first_day ? e->from_day : p->first_day;
		int64_t to = e->to_day < p->last_day ? e->to_day : p->last_day;
		if (from > to)
			continue;
		int64_t ed = to - from + 1;
		int64_t amt = kefu_round_div((__int128)e->extra_seats * e->per_seat_day_fen * ed, 1);
		ADD_OR_FAIL(l, &fixed, KEFU_LINE_EVENT, amt);
		if (l) {
			yuan(a, sizeof a, e->per_seat_day_fen, 0);
			snprintf(l->label, sizeof l->label, "event %s %lld x %s x %lld days", e->name,
				 (long long)e->extra_seats, a, (long long)ed);
		}
	}
	/* commission: marginal tiers */
	for (size_t i = 0; i < c->n_tiers; i++) {
		const kefu_tier *tr = &c->tiers[i];
		if (k->sales_fen <= tr->from_fen)
			continue;
		int64_t top = k->sales_fen < tr->to_fen ? k->sales_fen : tr->to_fen;
		int64_t portion = top - tr->from_fen;
		int64_t amt = kefu_round_div((__int128)portion * tr->rate.num, tr->rate.den);
		ADD_OR_FAIL(l, &var, KEFU_LINE_COMMISSION, amt);
		if (l) {
			yuan(a, sizeof a, portion, 1);
			l->tier = (int)i + 1;
			snprintf(l->label, sizeof l->label, "commission tier %d: %s x %s", l->tier, a,
				 tr->rate_text);
		}
	}
	/* sla */
	for (size_t i = 0; i < c->n_sla; i++) {
		const kefu_sla_rule *r = &c->sla[i];
		int64_t num = k->num[r->metric], den = k->den[r->metric];
		const char *mn = kefu_sla_metric_name(r->metric);
		if (den == 0) {
			size_t o = strlen(notes);
			snprintf(notes + o, sizeof notes - o, "%ssla %s: no data, nothing applied",
				 o ? "; " : "", mn);
			continue;
		}
		int ok = meets(r->op, num, den, r->target);
		const kefu_sla_amount *am = ok ? &r->bonus : &r->penalty;
		if (!am->present) {
			/* no line, but the statement still shows the KPI */
			size_t o = strlen(notes);
			kpi_text(t, sizeof t, r->metric, num, den);
			snprintf(notes + o, sizeof notes - o, "%ssla %s %s (target %s): %s, no %s",
				 o ? "; " : "", mn, t, r->target_text, ok ? "met" : "missed",
				 ok ? "bonus" : "penalty");
			continue;
		}
		int64_t amt = am->is_pct ? kefu_round_div((__int128)base * am->pct.num, am->pct.den)
					 : am->fen;
		if (!ok)
			amt = -amt;
		ADD_OR_FAIL(l, &var, KEFU_LINE_SLA, amt);
		if (!l)
			continue;
		l->sla = (int)i;
		l->kpi_num = num;
		l->kpi_den = den;
		kpi_text(t, sizeof t, r->metric, num, den);
		const char *tv = r->target_text;
		while (*tv == '<' || *tv == '>' || *tv == '=' || *tv == ' ')
			tv++;
		if (am->is_pct) {
			pct_text(a, sizeof a, am->pct);
			yuan(b, sizeof b, base, 0);
			snprintf(l->label, sizeof l->label, "sla %s %s %s %s: %s%s of %s", mn, t,
				 op_text(r->op, !ok), tv, ok ? "+" : "-", a, b);
		} else {
			yuan(a, sizeof a, am->fen, 0);
			snprintf(l->label, sizeof l->label, "sla %s %s %s %s: %s%s", mn, t,
				 op_text(r->op, !ok), tv, ok ? "+" : "-", a);
		}
	}
	/* invoices */
	kefu_invoice *v = kefu_calloc(2, sizeof *v);
	if (!v)
		goto oom;
	size_t nv = 0;
	linebuf *parts[2] = {&fixed, &var};
	if (!c->prepay) {
		/* one postpay invoice: fixed lines then variable ones */
		if (fixed.n + var.n) {
			if (kefu_grow((void **)&fixed.v, &fixed.cap, fixed.n + var.n + 1,
				      sizeof *fixed.v)) {
				kefu_free(v);
				goto oom;
			}
			if (var.n)
				memcpy(fixed.v + fixed.n, var.v, var.n * sizeof *var.v);
			fixed.n += var.n;
			var.n = 0;
		}
		parts[1] = NULL;
	}
	for (int i = 0; i < 2; i++) {
		linebuf *lb = parts[i];
		if (!lb || lb->n == 0)
			continue;
		kefu_invoice *inv = &v[nv++];
		inv->kind = !c->prepay ? KEFU_INV_POSTPAY
				       : (i == 0 ? KEFU_INV_PREPAY_FIXED : KEFU_INV_PREPAY_VAR);
		inv->rev = 1;
		inv->y = p->y;
		inv->m = p->m;
		inv->issue_day = inv->kind == KEFU_INV_PREPAY_FIXED ? p->first_day : p->last_day + 1;
		inv->due_day = inv->issue_day + c->due_days;
		inv->lines = lb->v;
		inv->n_lines = lb->n;
		lb->v = NULL;
		for (size_t j = 0; j < inv->n_lines; j++)
			if (kefu_add_i64(&inv->total_fen, inv->lines[j].amount_fen)) {
				kefu_invoices_free(v, nv);
				kefu_free(fixed.v);
				kefu_free(var.v);
				return kefu_err_set(err, KEFU_EOVERFLOW, "invoice total overflow");
			}
		if (inv->kind != KEFU_INV_PREPAY_FIXED) {
			size_t o = 0;
			if (c->mode == KEFU_MODE_PARTIAL)
				o = (size_t)snprintf(inv->notes, sizeof inv->notes,
						     "chats inside coverage: %ld of %ld",
						     k->chats_covered, k->chats);
			if (notes[0] && o < sizeof inv->notes)
				snprintf(inv->notes + o, sizeof inv->notes - o, "%s%s", o ? "; " : "",
					 notes);
		}
		kefu_invoice_set_id(inv, c->id);
	}
	kefu_free(fixed.v);
	kefu_free(var.v);
	if (nv == 0) {
		kefu_free(v);
		v = NULL;
	}
	*out = v;
	*n = nv;
	return 0;
oom:
	kefu_free(fixed.v);
	kefu_free(var.v);
	return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
}

/* A numeric cell (table cells start empty). */
static void cell_num(kefu_cell *c, int64_t v)
{
	c->empty = 0;
	c->num = v;
	c->den = 1;
}

/* ------------------------------------------------------ invoice table */

int kefu_invoice_table(kefu_table **out, const kefu_contract *c, const kefu_invoice *v,
		       size_t n, kefu_err *err)
{
	static const struct {
		const char *name, *zh;
		kefu_coltype type;
	} cols[] = {
		{"invoice", "发票", KEFU_T_TEXT},     {"contract", "合同", KEFU_T_TEXT},
		{"period", "账期", KEFU_T_TEXT},      {"kind", "类型", KEFU_T_TEXT},
		{"rev", "版本", KEFU_T_INT},          {"issue", "开票日", KEFU_T_TEXT},
		{"due", "到期日", KEFU_T_TEXT},       {"line", "项目", KEFU_T_TEXT},
		{"type", "费用类别", KEFU_T_TEXT},    {"amount_fen", "金额", KEFU_T_FEN},
		{"metric", "指标", KEFU_T_TEXT},      {"kpi", "指标值", KEFU_T_TEXT},
		{"target", "目标", KEFU_T_TEXT},      {"kpi_num", "指标分子", KEFU_T_INT},
		{"kpi_den", "指标分母", KEFU_T_INT},
	};
	static const char *const kind_names[] = {"postpay", "prepay-fixed", "prepay-variable"};
	kefu_table *t = NULL;
	char buf[64];
	*out = NULL;
	if (kefu_table_new(&t, "invoice"))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		if (kefu_table_add_col(t, cols[i].name, cols[i].zh, cols[i].type))
			goto oom;
	for (size_t i = 0; i < n; i++) {
		const kefu_invoice *inv = &v[i];
		char period[16], issue[16], due[16];
		snprintf(period, sizeof period, "%04d-%02d", inv->y, inv->m);
		kefu_day_format(inv->issue_day, issue);
		kefu_day_format(inv->due_day, due);
		for (size_t j = 0; j <= inv->n_lines; j++) {
			const kefu_bill_line *l = j < inv->n_lines ? &inv->lines[j] : NULL;
			kefu_cell *r;
			if (kefu_table_add_row(t, &r))
				goto oom;
			const char *texts[] = {inv->id, c->id, period, kind_names[inv->kind]};
			for (int k = 0; k < 4; k++)
				if (kefu_cell_set_text(&r[k], texts[k], strlen(texts[k])))
					goto oom;
			cell_num(&r[4], inv->rev);
			if (kefu_cell_set_text(&r[5], issue, strlen(issue)) ||
			    kefu_cell_set_text(&r[6], due, strlen(due)))
				goto oom;
			const char *label = l ? l->label : "total";
			const char *type = l ? kefu_line_kind_name(l->kind) : "total";
			if (kefu_cell_set_text(&r[7], label, strlen(label)) ||
			    kefu_cell_set_text(&r[8], type, strlen(type)))
				goto oom;
			cell_num(&r[9], l ? l->amount_fen : inv->total_fen);
			const char *metric = "", *target = "";
			buf[0] = '\0';
			if (l && l->kind == KEFU_LINE_SLA && l->sla >= 0 && (size_t)l->sla < c->n_sla) {
				const kefu_sla_rule *rule = &c->sla[l->sla];
				metric = kefu_sla_metric_name(rule->metric);
				target = rule->target_text;
				kpi_text(buf, sizeof buf, rule->metric, l->kpi_num, l->kpi_den);
			}
			if (kefu_cell_set_text(&r[10], metric, strlen(metric)) ||
			    kefu_cell_set_text(&r[11], buf, strlen(buf)) ||
			    kefu_cell_set_text(&r[12], target, strlen(target)))
				goto oom;
			if (metric[0]) { /* the exact KPI: num/den */
				cell_num(&r[13], l->kpi_num);
				cell_num(&r[14], l->kpi_den);
			}
		}
		if (inv->notes[0]) {
			char key[200];
			snprintf(key, sizeof key, "notes[%s]", inv->id);
			if (kefu_table_add_meta(t, key, inv->notes))
				goto oom;
		}
	}
	*out = t;
	return 0;
oom:
	kefu_table_free(t);
	return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
}
