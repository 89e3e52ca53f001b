/*
 * loader.c - reads canonical input files (formats.md): CSV with a header row
 * or JSON Lines with the same keys. Detects the kind from the header (or the
 * first object's keys), validates every field of every row and hands typed
 * records to the caller. A bad row is reported to the reject callback with
 * file, physical start line, column and reason, and the load goes on.
 *
 * Field rules (one place, shared by CSV and JSON Lines):
 *  - shop, buyer, agent, order_id are keys: leading/trailing spaces and tabs
 *    are trimmed, buyer and agent lose a leading "cntaobao"; they must not be
 *    empty. opts->shop fills a missing shop column or overrides it.
 *  - text is kept exactly as stored.
 *  - timestamps go through kefu_ts_parse in the shop's time zone.
 *  - paid: empty, "0", "0000-00-00 00:00:00" or "null" (any case) = unpaid.
 *  - items: an integer >= 0; an empty items field is read as 0 (the export
 *    did not say; counting it as one item would invent sales volume).
 *  - every field must be valid UTF-8 without NUL bytes.
 *  - a line of 0 bytes is skipped silently; anything else that is not a
 *    well-formed row is rejected.
 *
 * Non-canonical CSV (docs/IMPORT.md, mapping.h): a preset (--format, or
 * detected from the header when the canonical kinds do not match) and/or a
 * --map spec turn the file's columns into canonical values before the same
 * per-field rules run; rejects then name the source column. GB18030 input
 * (--encoding, or detected on the first 64 KiB) goes through a transcoding
 * stage in front of the CSV reader.
 */
#include "kefu/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kefu/csv.h"
#include "kefu/xlsx.h"
#include "kefu/mapping.h"


/* Every column name of every canonical kind. */
enum {
	C_SHOP, C_BUYER, C_AGENT, C_DIR, C_TS, C_TEXT, C_ORDER_ID, C_CREATED, C_PAID,
	C_AMOUNT, C_ITEMS, C_STATUS, C_REFUND, C_DESC, C_SERVICE, C_SHIPPING, C_LEVEL,
	C_VENDOR, C_TEAM, C_NAME, C_FROM, C_TO, C_BASE_MONTH, C_COMMISSION_RATE, C_LOGIN,
	C_LOGOUT, C_COUNT
};

static const char *const col_names[C_COUNT] = {
	"shop", "buyer", "agent", "dir", "ts", "text", "order_id", "created", "paid",
	"amount", "items", "status", "refund", "desc", "service", "shipping", "level",
	"vendor", "team", "name", "from", "to", "base_month", "commission_rate", "login",
	"logout",
};

#define KIND_MAXCOLS 12
typedef struct kind_def {
	signed char req[KIND_MAXCOLS]; /* -1 terminated */
	signed char opt[KIND_MAXCOLS];
} kind_def;

static const kind_def kinds[KEFU_KIND_COUNT] = {
	[KEFU_KIND_MESSAGES] = {{C_SHOP, C_BUYER, C_AGENT, C_DIR, C_TS, C_TEXT, -1}, {-1}},
	[KEFU_KIND_ORDERS] = {{C_SHOP, C_ORDER_ID, C_BUYER, C_CREATED, C_PAID, C_AMOUNT, C_ITEMS,
			       C_STATUS, -1},
			      {C_REFUND, -1}},
	[KEFU_KIND_RATINGS] = {{C_SHOP, C_ORDER_ID, C_BUYER, C_TS, C_DESC, C_SERVICE, C_SHIPPING,
				-1},
			       {-1}},
	[KEFU_KIND_EVALS] = {{C_SHOP, C_AGENT, C_BUYER, C_TS, C_LEVEL, -1}, {-1}},
	[KEFU_KIND_AGENTS] = {{C_AGENT, C_VENDOR, C_TEAM, C_NAME, -1},
			      {C_FROM, C_TO, C_BASE_MONTH, C_COMMISSION_RATE, -1}},
	[KEFU_KIND_PRESENCE] = {{C_AGENT, C_LOGIN, C_LOGOUT, -1}, {-1}},
};

#define RAW_MAX ((size_t)64 << 10)
#define DETECT_BYTES ((size_t)64 << 10) /* encoding detection window */

static int col_lookup(const char *p, size_t n)
{
	for (int c = 0; c < C_COUNT; c++) {
		if (strlen(col_names[c]) == n && memcmp(col_names[c], p, n) == 0)
			return c;
	}
	return -1;
}

/* 1 required, 2 optional, 0 unknown for kind k. */
static int col_role(kefu_kind k, int c)
{
	for (int i = 0; kinds[k].req[i] >= 0; i++)
		if (kinds[k].req[i] == c)
			return 1;
	for (int i = 0; kinds[k].opt[i] >= 0; i++)
		if (kinds[k].opt[i] == c)
			return 2;
	return 0;
}

/* Diagnosis of a header against one kind. */
typedef struct hdr_diag {
	int matched;      /* required columns present */
	int missing;      /* first missing required column id, -1 if none */
	long unknown_at;  /* 0-based index of the first unknown column, -1 if none */
	long dup_at;      /* 0-based index of the first duplicate column, -1 */
} hdr_diag;

static void diagnose(kefu_kind k, const kefu_str *names, size_t n, int shop_optional,
		     hdr_diag *d)
{
	unsigned long long seen = 0;
	d->matched = 0;
	d->missing = -1;
	d->unknown_at = -1;
	d->dup_at = -1;
	for (size_t i = 0; i < n; i++) {
		int c = col_lookup(names[i].p, names[i].n);
		int role = c >= 0 ? col_role(k, c) : 0;
		if (c == C_SHOP && shop_optional && kinds[k].req[0] == C_SHOP)
			role = 2;
		if (!role) {
			if (d->unknown_at < 0)
				d->unknown_at = (long)i;
			continue;
		}
		if (seen & (1ULL << c)) {
			if (d->dup_at < 0)
				d->dup_at = (long)i;
			continue;
		}
		seen |= 1ULL << c;
		if (role == 1)
			d->matched++;
	}
	for (int i = 0; kinds[k].req[i] >= 0; i++) {
		int c = kinds[k].req[i];
		if (c == C_SHOP && shop_optional)
			continue;
		if (!(seen & (1ULL << c))) {
			d->missing = c;
			break;
		}
	}
}

static kefu_kind detect(const kefu_str *names, size_t n, int shop_optional, kefu_kind *best)
{
	int best_score = -1;
	*best = KEFU_KIND_NONE;
	for (int k = KEFU_KIND_NONE + 1; k < KEFU_KIND_COUNT; k++) {
		hdr_diag d;
		diagnose((kefu_kind)k, names, n, shop_optional, &d);
		if (d.missing < 0 && d.unknown_at < 0 && d.dup_at < 0)
			return *best = (kefu_kind)k;
		if (d.matched > best_score) {
			best_score = d.matched;
			*best = (kefu_kind)k;
		}
	}
	return KEFU_KIND_NONE;
}

kefu_kind kefu_kind_from_header(const kefu_str *names, size_t n)
{
	kefu_kind best;
	return detect(names, n, 0, &best);
}

/*
 * Validates a header (or the first JSON object's keys) and fills the map
 * column id -> index in names (-1 absent). kind: given or detected.
 * Unknown columns are an error only when the kind was detected.
 */
static int setup_columns(kefu_kind *kind, const kefu_str *names, size_t n, int shop_optional,
			 long map[C_COUNT], const char *file, long line, const char *what,
			 kefu_err *err)
{
	kefu_kind k = *kind;
	hdr_diag d;
	if (k == KEFU_KIND_NONE) {
		kefu_kind best;
		k = detect(names, n, shop_optional, &best);
		if (k == KEFU_KIND_NONE) {
			diagnose(best, names, n, shop_optional, &d);
			long col = 0;
			if (d.dup_at >= 0) {
				kefu_err_set(err, KEFU_EPARSE, "duplicate %s '%.*s'", what,
					     (int)(names[d.dup_at].n > 64 ? 64 : names[d.dup_at].n),
					     names[d.dup_at].p);
				col = d.dup_at + 1;
			} else if (d.unknown_at >= 0) {
				const kefu_str *u = &names[d.unknown_at];
				kefu_err_set(err, KEFU_EPARSE,
					     "unknown %s '%.*s' (closest input kind: %s)", what,
					     (int)(u->n > 64 ? 64 : u->n), u->p, kefu_kind_name(best));
				col = d.unknown_at + 1;
			} else {
				kefu_err_set(err, KEFU_EPARSE,
					     "missing %s '%s' (closest input kind: %s)", what,
					     col_names[d.missing], kefu_kind_name(best));
			}
			kefu_err_at(err, file, line, col);
			return KEFU_EPARSE;
		}
	}
	diagnose(k, names, n, shop_optional, &d);
	if (d.missing >= 0) {
		kefu_err_set(err, KEFU_EPARSE, "missing %s '%s' for %s", what, col_names[d.missing],
			     kefu_kind_name(k));
		kefu_err_at(err, file, line, 0);
		return KEFU_EPARSE;
	}
	if (d.dup_at >= 0) {
		kefu_err_set(err, KEFU_EPARSE, "duplicate %s '%.*s'", what,
			     (int)(names[d.dup_at].n > 64 ? 64 : names[d.dup_at].n),
			     names[d.dup_at].p);
		kefu_err_at(err, file, line, d.dup_at + 1);
		return KEFU_EPARSE;
	}
	for (int c = 0; c < C_COUNT; c++)
		map[c] = -1;
	for (size_t i = 0; i < n; i++) {
		int c = col_lookup(names[i].p, names[i].n);
		if (c >= 0 && col_role(k, c))
			map[c] = (long)i;
	}
	*kind = k;
	return 0;
}

/* ---- UTF-8 ---- */

/* 1 if s is valid UTF-8 (no overlongs, surrogates or values above U+10FFFF)
 * and holds no NUL byte. Fast paths: 8 ASCII bytes at a time, and the
 * 3-byte sequences E1..EC / EE..EF (all of CJK) with a plain mask test. */
static int utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	while (p < e) {
		unsigned c = *p;
		if (c < 0x80) {
			while (e - p >= 8) {
				uint64_t w;
				memcpy(&w, p, 8);
				/* any byte >= 0x80, or any zero byte */
				if ((w & 0x8080808080808080ULL) ||
				    ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL))
					break;
				p += 8;
			}
			while (p < e && *p < 0x80) {
				if (*p == 0)
					return 0;
				p++;
			}
			continue;
		}
		if (c >= 0xE1 && c != 0xED && c <= 0xEF) {
			if (e - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
				return 0;
			p += 3;
			continue;
		}
		size_t need;
		unsigned lo = 0x80, hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
		} else if (c == 0xE0) {
			need = 2;
			lo = 0xA0;
		} else if (c == 0xED) {
			need = 2;
			hi = 0x9F; /* no surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else {
			return 0;
		}
		if ((size_t)(e - p) <= need)
			return 0;
		if (p[1] < lo || p[1] > hi)
			return 0;
		for (size_t i = 2; i <= need; i++)
			if (p[i] < 0x80 || p[i] > 0xBF)
				return 0;
		p += need + 1;
	}
	return 1;
}

/* ---- the per-row validation, shared by CSV and JSON Lines ---- */

typedef struct loader {
	const kefu_load_opts *opts;
	kefu_row_fn on_row;
	kefu_reject_fn on_reject;
	void *ctx;
	kefu_load_stats *stats;
	const char *file;
	kefu_kind kind;
	long map[C_COUNT];         /* CSV: column id -> field index */
	const kefu_str *hdr;       /* CSV header names (for reject column names) */
	size_t nhdr;
	kefu_str shop_override;
	int have_shop_override;
	const kefu_str *given_hdr; /* range loads: the file's header (input has none) */
	size_t given_nhdr;
	kefu_mapping *mapping;     /* what mb was bound from (mb borrows it) */
	kefu_mapping_bound *mb;    /* non-NULL: mapped CSV */
	kefu_str *mvals;           /* per mapping entry, per row */
	const char *cname[C_COUNT]; /* reject column names (mapped: source names) */
	int transcoded;            /* read through the GB18030 stage */
	const char *preset;        /* the preset in use, for messages */
} loader;

/* One row as column values. present[c] = 0 when the column is absent. */
typedef struct row_vals {
	kefu_str v[C_COUNT];
	unsigned char present[C_COUNT];
	long col[C_COUNT];         /* 1-based position for error reports, 0 unknown */
} row_vals;

/* A failed field check: column id and reason. */
typedef struct row_fail {
	int c;
	char reason[400];
} row_fail;

static int fail(row_fail *f, int c, const char *reason)
{
	f->c = c;
	size_t n = strlen(reason);
	if (n >= sizeof f->reason)
		n = sizeof f->reason - 1;
	memcpy(f->reason, reason, n);
	f->reason[n] = '\0';
	return -1;
}

static kefu_str get(const row_vals *rv, int c)
{
	if (!rv->present[c]) {
		kefu_str e = {"", 0};
		return e;
	}
	return rv->v[c];
}

/* A key column: trimmed, optionally without "cntaobao", non-empty. */
static int key_field(const row_vals *rv, int c, int strip, kefu_str *out, row_fail *f)
{
	kefu_str s = kefu_str_trim(get(rv, c));
	if (strip)
		s = kefu_str_strip_cntaobao(s);
	if (s.n == 0)
		return fail(f, c, "empty value");
	*out = s;
	return 0;
}

static const kefu_tz *tz_for(const loader *L, kefu_str shop)
{
	const kefu_tz *tz = NULL;
	if (L->opts->tz_for_shop)
		tz = L->opts->tz_for_shop(L->opts->tz_ctx, shop);
	return tz ? tz : L->opts->default_tz;
}

static int ts_field(const row_vals *rv, int c, const kefu_tz *tz, int64_t *out, row_fail *f)
{
	kefu_str s = get(rv, c);
	kefu_err e = KEFU_ERR_INIT;
	if (kefu_ts_parse(s.p, s.n, tz, out, &e) != 0)
		return fail(f, c, e.msg[0] ? e.msg : "invalid timestamp");
	return 0;
}

static int money_field(const row_vals *rv, int c, int64_t *out, row_fail *f)
{
	kefu_str s = get(rv, c);
	kefu_err e = KEFU_ERR_INIT;
	if (kefu_money_parse(s.p, s.n, out, &e) != 0)
		return fail(f, c, e.msg[0] ? e.msg : "invalid amount");
	return 0;
}

/* Non-negative integer (ASCII digits, surrounding spaces allowed). */
static int int_field(const row_vals *rv, int c, int64_t lo, int64_t hi, int empty_ok,
		     int64_t empty_val, int64_t *out, row_fail *f)
{
	kefu_str s = kefu_str_trim(get(rv, c));
	if (s.n == 0) {
		if (empty_ok) {
			*out = empty_val;
			return 0;
		}
		return fail(f, c, "empty value");
	}
	int64_t v = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return fail(f, c, "not an integer");
		if (v > hi)
			continue; /* already out of range; keep checking syntax */
		v = v * 10 + (s.p[i] - '0');
	}
	if (v < lo || v > hi)
		return fail(f, c, lo == 1 && hi == 5 ? "must be an integer from 1 to 5"
						     : "integer out of range");
	*out = v;
	return 0;
}

static int is_unpaid(kefu_str s)
{
	s = kefu_str_trim(s);
	if (s.n == 0)
		return 1;
	if (s.n == 1 && s.p[0] == '0')
		return 1;
	if (s.n == 19 && memcmp(s.p, "0000-00-00 00:00:00", 19) == 0)
		return 1;
	if (s.n == 4 && (s.p[0] | 0x20) == 'n' && (s.p[1] | 0x20) == 'u' &&
	    (s.p[2] | 0x20) == 'l' && (s.p[3] | 0x20) == 'l')
		return 1;
	return 0;
}

/* commission_rate: digits with an optional fraction, from 0 to 1. */
static int rate_ok(kefu_str s)
{
	size_t i = 0, n = s.n;
	const char *p = s.p;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	size_t ni = i;
	if (ni == 0)
		return 0;
	int frac_nonzero = 0;
	if (i < n && p[i] == '.') {
		size_t f0 = ++i;
		while (i < n && p[i] >= '0' && p[i] <= '9') {
			if (p[i] != '0')
				frac_nonzero = 1;
			i++;
		}
		if (i == f0)
			return 0;
	}
	if (i != n)
		return 0;
	size_t k = 0;
	while (k < ni && p[k] == '0')
		k++;
	if (k == ni)
		return 1;                                /* 0.xxx */
	return ni - k == 1 && p[k] == '1' && !frac_nonzero; /* 1, 1.00 */
}

/* Converts a row into a record; on failure fills f and returns -1. */
static int build(const loader *L, const row_vals *rv, kefu_record *rec, row_fail *f)
{
	memset(rec, 0, sizeof *rec);
	rec->kind = L->kind;
	kefu_str shop = {"", 0};
	const kefu_tz *tz = L->opts->default_tz;
	int has_shop = kinds[L->kind].req[0] == C_SHOP;
	if (has_shop) {
		if (L->have_shop_override) {
			shop = L->shop_override;
		} else if (key_field(rv, C_SHOP, 0, &shop, f)) {
			return -1;
		}
		tz = tz_for(L, shop);
	} else if (L->have_shop_override) {
		tz = tz_for(L, L->shop_override);
	}
	switch (L->kind) {
	case KEFU_KIND_MESSAGES: {
		kefu_message_rec *m = &rec->u.msg;
		m->shop = shop;
		if (key_field(rv, C_BUYER, 1, &m->buyer, f) ||
		    key_field(rv, C_AGENT, 1, &m->agent, f))
			return -1;
		kefu_str d = kefu_str_trim(get(rv, C_DIR));
		if (d.n == 1 && d.p[0] == 'B')
			m->dir = KEFU_DIR_B;
		else if (d.n == 1 && d.p[0] == 'A')
			m->dir = KEFU_DIR_A;
		else if (d.n == 1 && d.p[0] == 'S')
			m->dir = KEFU_DIR_S;
		else
			return fail(f, C_DIR, "must be B, A or S");
		if (ts_field(rv, C_TS, tz, &m->ts, f))
			return -1;
		m->text = get(rv, C_TEXT);
		return 0;
	}
	case KEFU_KIND_ORDERS: {
		kefu_order_rec *o = &rec->u.ord;
		o->shop = shop;
		if (key_field(rv, C_ORDER_ID, 0, &o->order_id, f) ||
		    key_field(rv, C_BUYER, 1, &o->buyer, f) ||
		    ts_field(rv, C_CREATED, tz, &o->created, f))
			return -1;
		if (is_unpaid(get(rv, C_PAID))) {
			o->paid = KEFU_TS_NONE;
		} else {
			if (ts_field(rv, C_PAID, tz, &o->paid, f))
				return -1;
			if (o->paid < o->created)
				return fail(f, C_PAID, "paid before created");
		}
		if (money_field(rv, C_AMOUNT, &o->amount, f))
			return -1;
		/* empty items = 0: see the header comment */
		if (int_field(rv, C_ITEMS, 0, 1000000000, 1, 0, &o->items, f))
			return -1;
		o->status = kefu_str_trim(get(rv, C_STATUS));
		o->refund = 0;
		if (rv->present[C_REFUND] && kefu_str_trim(rv->v[C_REFUND]).n &&
		    money_field(rv, C_REFUND, &o->refund, f))
			return -1;
		return 0;
	}
	case KEFU_KIND_RATINGS: {
		kefu_rating_rec *r = &rec->u.rat;
		int64_t a, b, c;
		r->shop = shop;
		if (key_field(rv, C_ORDER_ID, 0, &r->order_id, f) ||
		    key_field(rv, C_BUYER, 1, &r->buyer, f) || ts_field(rv, C_TS, tz, &r->ts, f) ||
		    int_field(rv, C_DESC, 1, 5, 0, 0, &a, f) ||
		    int_field(rv, C_SERVICE, 1, 5, 0, 0, &b, f) ||
		    int_field(rv, C_SHIPPING, 1, 5, 0, 0, &c, f))
			return -1;
		r->desc = (int)a;
		r->service = (int)b;
		r->shipping = (int)c;
		return 0;
	}
	case KEFU_KIND_EVALS: {
		kefu_eval_rec *e = &rec->u.ev;
		int64_t lv;
		e->shop = shop;
		if (key_field(rv, C_AGENT, 1, &e->agent, f) ||
		    key_field(rv, C_BUYER, 1, &e->buyer, f) || ts_field(rv, C_TS, tz, &e->ts, f) ||
		    int_field(rv, C_LEVEL, 1, 5, 0, 0, &lv, f))
			return -1;
		e->level = (int)lv;
		return 0;
	}
	case KEFU_KIND_AGENTS: {
		kefu_agent_rec *a = &rec->u.ag;
		if (key_field(rv, C_AGENT, 1, &a->agent, f))
			return -1;
		a->vendor = kefu_str_trim(get(rv, C_VENDOR));
		a->team = kefu_str_trim(get(rv, C_TEAM));
		a->name = kefu_str_trim(get(rv, C_NAME));
		a->from_day = INT64_MIN;
		a->to_day = INT64_MAX;
		a->base_month_fen = -1;
		kefu_str s = kefu_str_trim(get(rv, C_FROM));
		if (s.n && kefu_day_parse(s.p, s.n, &a->from_day))
			return fail(f, C_FROM, "invalid date (expected YYYY-MM-DD)");
		s = kefu_str_trim(get(rv, C_TO));
		if (s.n && kefu_day_parse(s.p, s.n, &a->to_day))
			return fail(f, C_TO, "invalid date (expected YYYY-MM-DD)");
		if (a->to_day < a->from_day)
			return fail(f, C_TO, "to before from");
		if (kefu_str_trim(get(rv, C_BASE_MONTH)).n &&
		    money_field(rv, C_BASE_MONTH, &a->base_month_fen, f))
			return -1;
		s = kefu_str_trim(get(rv, C_COMMISSION_RATE));
		if (s.n && !rate_ok(s))
			return fail(f, C_COMMISSION_RATE,
				    "must be a decimal fraction from 0 to 1 (e.g. 0.015)");
		a->commission_rate = s;
		return 0;
	}
	case KEFU_KIND_PRESENCE: {
		kefu_presence_rec *p = &rec->u.pr;
		if (key_field(rv, C_AGENT, 1, &p->agent, f) ||
		    ts_field(rv, C_LOGIN, tz, &p->login, f) ||
		    ts_field(rv, C_LOGOUT, tz, &p->logout, f))
			return -1;
		if (p->logout < p->login)
			return fail(f, C_LOGOUT, "logout before login");
		return 0;
	}
	default:
		return fail(f, -1, "no input kind");
	}
}

static int reject(loader *L, long line, long col, const char *column, const char *reason,
		  kefu_str raw, kefu_err *err)
{
	L->stats->rows_read++;
	L->stats->rows_rejected++;
	if (raw.n > RAW_MAX)
		raw.n = RAW_MAX;
	if (!L->on_reject)
		return 0;
	int rc = L->on_reject(L->ctx, L->file, line, col, column, reason, raw);
	if (rc < 0) {
		kefu_err_set(err, rc, "load aborted while rejecting a row: %s", reason);
		kefu_err_at(err, L->file, line, col);
		return rc;
	}
	return 0;
}

/* Validates row values and emits the record or the rejection. */
static int emit(loader *L, const row_vals *rv, long line, kefu_str raw, kefu_err *err)
{
	kefu_record rec;
	row_fail f;
	if (build(L, rv, &rec, &f) != 0) {
		const char *cname = f.c >= 0 ? (L->cname[f.c] ? L->cname[f.c] : col_names[f.c]) : "";
		long col = f.c >= 0 ? rv->col[f.c] : 0;
		return reject(L, line, col, cname, f.reason, raw, err);
	}
	L->stats->rows_read++;
	L->stats->rows_ok++;
	if (!L->on_row)
		return 0;
	int rc = L->on_row(L->ctx, &rec, L->file, line, err);
	if (rc < 0) {
		if (err && err->code == 0) {
			kefu_err_set(err, rc, "load aborted by the row handler");
			kefu_err_at(err, L->file, line, 0);
		}
		return rc;
	}
	return 0;
}

/* ---- mapped CSV ---- */

int kefu_load_opts_mapped(const kefu_load_opts *opts)
{
	kefu_encoding enc = KEFU_ENC_AUTO;
	kefu_encoding_parse(opts->encoding, &enc);
	return (opts->format && strcmp(opts->format, "canonical")) || opts->map ||
	       (opts->time_format && opts->time_format[0]) || enc == KEFU_ENC_GB18030;
}

/* Chooses the mapping for a CSV header (UTF-8 already): the --format preset,
 * or a preset detected when the header is no canonical kind, plus --map;
 * with only --time-format, the identity mapping of the canonical columns.
 * Leaves L->mb NULL for plain canonical files. */
static int setup_mapping(loader *L, const kefu_str *hdr, size_t nhdr, long line, kefu_err *err)
{
	const kefu_load_opts *o = L->opts;
	const kefu_preset *pre = NULL;
	kefu_mapping *m = NULL;
	int rc = 0;
	int canonical = o->format && !strcmp(o->format, "canonical");
	if (o->format && !canonical) {
		pre = kefu_presets_find(o->presets, o->format);
		if (!pre) {
			rc = kefu_err_set(err, KEFU_EINVAL, "unknown format '%.64s'", o->format);
			goto fail;
		}
		if (!pre->spec) {
			rc = kefu_err_set(err, KEFU_EINVAL, "format '%s' does not read CSV files",
					  pre->name);
			goto fail;
		}
	} else if (!canonical && !o->map && L->kind == KEFU_KIND_NONE) {
		kefu_kind best;
		if (detect(hdr, nhdr, L->have_shop_override, &best) == KEFU_KIND_NONE) {
			const kefu_preset *second = NULL;
			pre = kefu_presets_detect(o->presets, hdr, nhdr, &second);
			if (pre && second) {
				rc = kefu_err_set(err, KEFU_EPARSE,
						  "the header matches the formats '%s' and '%s': choose "
						  "one with --format",
						  pre->name, second->name);
				goto fail;
			}
		}
	}
	if (pre)
		L->preset = pre->name;
	rc = kefu_mapping_parse(&m, pre ? pre->spec : "", err);
	if (!rc && o->map)
		rc = kefu_mapping_extend(m, o->map, err);
	if (!rc && !pre && !o->map && o->time_format && o->time_format[0]) {
		/* identity mapping of the canonical columns */
		for (size_t i = 0; !rc && i < nhdr; i++) {
			int c = col_lookup(hdr[i].p, hdr[i].n);
			if (c < 0)
				continue;
			char ent[64];
			snprintf(ent, sizeof ent, "%s=%s", col_names[c], col_names[c]);
			rc = kefu_mapping_extend(m, ent, err);
		}
	}
	if (rc)
		goto fail;
	if (!pre && !o->map && !(o->time_format && o->time_format[0])) {
		kefu_mapping_free(m);
		return 0;
	}
	rc = kefu_mapping_bind(&L->mb, m, hdr, nhdr, o->time_format, err);
	if (rc)
		goto fail;
	L->mapping = m;
	m = NULL;
	L->mvals = kefu_calloc(kefu_mapping_bound_count(L->mb) + 1, sizeof *L->mvals);
	if (!L->mvals) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto fail;
	}
	return 0;
fail:
	kefu_mapping_free(m);
	kefu_mapping_bound_free(L->mb);
	L->mb = NULL;
	kefu_mapping_free(L->mapping);
	L->mapping = NULL;
	kefu_err_at(err, L->file, line, 0);
	return rc;
}

/* ---- CSV ---- */

/* Where the rows of a table come from: a CSV reader, or an XLSX sheet whose
 * rows are padded to the header width and whose raw text (for the reject
 * file) is the cells joined by commas. */
typedef struct row_src {
	kefu_csv *csv;
	kefu_xlsx *xlsx;
	int jsonl; /* csv is read line by line; each JSON object is a row */
	const char *name; /* for jsonl errors */
	kefu_str *pad;
	size_t padcap, width;
	char *raw;
	size_t rawcap, rawn;
	long row;
	/* jsonl: the first object's keys are the header; that object is then
	 * returned again as the first row (its line is still in the reader) */
	char **keys;
	size_t nkeys;
	kefu_str pending;
	long pending_line;
	int has_pending;
} row_src;

static int jsonl_next(row_src *s, kefu_str **f, size_t *nf, long *line, kefu_err *err);

static int src_next(row_src *s, kefu_str **f, size_t *nf, long *line, kefu_err *err)
{
	if (s->jsonl)
		return jsonl_next(s, f, nf, line, err);
	if (s->csv)
		return kefu_csv_next(s->csv, f, nf, line, err);
	kefu_str *cells;
	size_t n;
	int rc = kefu_xlsx_next(s->xlsx, &cells, &n, &s->row, err);
	if (rc <= 0)
		return rc;
	*line = s->row;
	size_t w = n > s->width ? n : s->width;
	if (kefu_grow((void **)&s->pad, &s->padcap, w + 1, sizeof *s->pad))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	size_t rawlen = 0, used = 0;
	for (size_t i = 0; i < n; i++) {
		s->pad[i] = cells[i];
		rawlen += cells[i].n + 1;
		if (cells[i].n)
			used = i + 1;
	}
	for (size_t i = n; i < w; i++)
		s->pad[i] = (kefu_str){"", 0};
	if (kefu_grow((void **)&s->raw, &s->rawcap, rawlen + 1, 1))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	s->rawn = 0;
	for (size_t i = 0; i < used; i++) {
		if (i)
			s->raw[s->rawn++] = ',';
		if (cells[i].n)
			memcpy(s->raw + s->rawn, cells[i].p, cells[i].n);
		s->rawn += cells[i].n;
	}
	*f = s->pad;
	/* a row without any value is an empty line */
	*nf = used ? w : 1;
	return 1;
}

static void src_raw(const row_src *s, kefu_str *raw)
{
	if (s->csv) { /* CSV, and the line of a JSON object */
		kefu_csv_raw(s->csv, raw);
		return;
	}
	raw->p = s->raw ? s->raw : "";
	raw->n = s->rawn;
}

static long src_lines(const row_src *s)
{
	return s->csv ? kefu_csv_line(s->csv) - 1 : s->row;
}

static int load_table(loader *L, row_src *src, kefu_err *err);

static int load_csv(loader *L, kefu_csv *r, kefu_err *err)
{
	row_src src;
	memset(&src, 0, sizeof src);
	src.csv = r;
	return load_table(L, &src, err);
}

static int load_table(loader *L, row_src *src, kefu_err *err)
{
	kefu_str *f;
	size_t nf;
	long line = 0;
	kefu_str *hdr = NULL, *tnames = NULL;
	char *hdrbuf = NULL;
	int rc;
	if (L->given_hdr) { /* a range of a file: the header was read by the caller */
		f = (kefu_str *)L->given_hdr;
		nf = L->given_nhdr;
		rc = 1;
	} else {
		rc = src_next(src, &f, &nf, &line, err);
	}
	if (rc == 0) {
		rc = kefu_err_set(err, KEFU_EPARSE, "empty file: no header");
		kefu_err_at(err, L->file, 1, 0);
		goto cleanup;
	}
	if (rc < 0)
		goto cleanup;
	/* copy the header: field slices die at the next read */
	size_t total = 0;
	for (size_t i = 0; i < nf; i++)
		total += f[i].n;
	hdr = kefu_calloc(nf, sizeof *hdr);
	hdrbuf = kefu_malloc(total + 1);
	if (!hdr || !hdrbuf) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto cleanup;
	}
	total = 0;
	for (size_t i = 0; i < nf; i++) {
		if (f[i].n)
			memcpy(hdrbuf + total, f[i].p, f[i].n);
		hdr[i].p = hdrbuf + total;
		hdr[i].n = f[i].n;
		total += f[i].n;
	}
	size_t nhdr = nf;
	src->width = nf;
	for (size_t i = 0; i < nhdr; i++) {
		if (!utf8_ok(hdr[i].p, hdr[i].n)) {
			rc = kefu_err_set(err, KEFU_EPARSE, "header: invalid UTF-8");
			kefu_err_at(err, L->file, line, (long)i + 1);
			goto cleanup;
		}
	}
	rc = setup_mapping(L, hdr, nhdr, line, err);
	if (rc)
		goto cleanup;
	if (L->mb) {
		size_t nt = kefu_mapping_bound_count(L->mb);
		tnames = kefu_calloc(nt + 1, sizeof *tnames);
		if (!tnames) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto cleanup;
		}
		int has_shop = 0;
		for (size_t i = 0; i < nt; i++) {
			tnames[i] = kefu_mapping_bound_target(L->mb, i);
			has_shop |= tnames[i].n == 4 && !memcmp(tnames[i].p, "shop", 4);
		}
		rc = setup_columns(&L->kind, tnames, nt, L->have_shop_override || !has_shop, L->map,
				   L->file, line, "mapped column", err);
		if (rc)
			goto cleanup;
		if (kinds[L->kind].req[0] == C_SHOP && !L->have_shop_override && L->map[C_SHOP] < 0) {
			rc = kefu_err_set(err, KEFU_EPARSE,
					  "%s%s%s the file has no shop column: give --shop (or map "
					  "shop=...)",
					  L->preset ? "format " : "",
					  L->preset ? L->preset : "", L->preset ? ":" : "");
			kefu_err_at(err, L->file, line, 0);
			goto cleanup;
		}
	} else {
		rc = setup_columns(&L->kind, hdr, nhdr, L->have_shop_override, L->map, L->file, line,
				   "column", err);
		if (rc)
			goto cleanup;
	}
	L->stats->kind = L->kind;
	L->hdr = hdr;
	L->nhdr = nhdr;

	row_vals rv;
	memset(&rv, 0, sizeof rv);
	for (int c = 0; c < C_COUNT; c++) {
		rv.present[c] = L->map[c] >= 0;
		rv.col[c] = L->map[c] >= 0 ? L->map[c] + 1 : 0;
		if (L->mb && L->map[c] >= 0) {
			rv.col[c] = kefu_mapping_bound_col(L->mb, (size_t)L->map[c]);
			L->cname[c] = kefu_mapping_bound_source(L->mb, (size_t)L->map[c]);
		}
	}
	for (;;) {
		kefu_err e = KEFU_ERR_INIT;
		kefu_str raw;
		rc = src_next(src, &f, &nf, &line, &e);
		if (rc == 0)
			break;
		if (rc == KEFU_EPARSE) {
			src_raw(src, &raw);
			const char *cname = "";
			char cbuf[128];
			if (e.col >= 1 && (size_t)e.col <= nhdr) {
				size_t k = hdr[e.col - 1].n < sizeof cbuf - 1 ? hdr[e.col - 1].n
									     : sizeof cbuf - 1;
				memcpy(cbuf, hdr[e.col - 1].p, k);
				cbuf[k] = '\0';
				cname = cbuf;
			}
			rc = reject(L, e.line, e.col, cname, e.msg, raw, err);
			if (rc)
				goto cleanup;
			continue;
		}
		if (rc < 0) {
			if (err)
				*err = e;
			goto cleanup;
		}
		src_raw(src, &raw);
		if (nf == 1 && raw.n == 0)
			continue; /* a completely empty line */
		if (nf != nhdr) {
			kefu_err tmp = KEFU_ERR_INIT;
			kefu_err_set(&tmp, KEFU_EPARSE, "expected %zu fields, got %zu", nhdr, nf);
			rc = reject(L, line, 0, "", tmp.msg, raw, err);
			if (rc)
				goto cleanup;
			continue;
		}
		size_t bad = nf;
		for (size_t i = 0; i < nf; i++) {
			if (!utf8_ok(f[i].p, f[i].n)) {
				bad = i;
				break;
			}
		}
		if (bad < nf) {
			char cbuf[128];
			size_t k = hdr[bad].n < sizeof cbuf - 1 ? hdr[bad].n : sizeof cbuf - 1;
			memcpy(cbuf, hdr[bad].p, k);
			cbuf[k] = '\0';
			rc = reject(L, line, (long)bad + 1, cbuf,
				    L->transcoded ? "invalid GB18030 byte sequence or NUL byte"
						  : "invalid UTF-8 or NUL byte",
				    raw, err);
			if (rc)
				goto cleanup;
			continue;
		}
		if (L->mb) {
			size_t mbad = 0;
			const char *why = NULL;
			if (kefu_mapping_apply(L->mb, f, nf, L->mvals, &mbad, &why)) {
				if (mbad == SIZE_MAX) {
					rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
					goto cleanup;
				}
				rc = reject(L, line, kefu_mapping_bound_col(L->mb, mbad),
					    kefu_mapping_bound_source(L->mb, mbad), why, raw, err);
				if (rc)
					goto cleanup;
				continue;
			}
			for (int c = 0; c < C_COUNT; c++)
				if (L->map[c] >= 0)
					rv.v[c] = L->mvals[L->map[c]];
		} else {
			for (int c = 0; c < C_COUNT; c++)
				if (L->map[c] >= 0)
					rv.v[c] = f[L->map[c]];
		}
		rc = emit(L, &rv, line, raw, err);
		if (rc)
			goto cleanup;
	}
	rc = 0;
cleanup:
	L->stats->lines = src_lines(src);
	L->hdr = NULL;
	L->nhdr = 0;
	kefu_mapping_bound_free(L->mb);
	L->mb = NULL;
	kefu_mapping_free(L->mapping);
	L->mapping = NULL;
	kefu_free(L->mvals);
	L->mvals = NULL;
	kefu_free(tnames);
	kefu_free(hdr);
	kefu_free(hdrbuf);
	return rc;
}

/* ---- JSON Lines ---- */

/* Skips one JSON value starting at p (whitespace already skipped); returns
 * the end or NULL. Used only to find the raw text of numbers. */
static const char *skip_value(const char *p, const char *e)
{
	if (p >= e)
		return NULL;
	if (*p == '"') {
		for (p++; p < e; p++) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				return p + 1;
		}
		return NULL;
	}
	if (*p == '{' || *p == '[') {
		int depth = 0;
		for (; p < e; p++) {
			if (*p == '"') {
				const char *q = skip_value(p, e);
				if (!q)
					return NULL;
				p = q - 1;
			} else if (*p == '{' || *p == '[') {
				if (++depth > 64)
					return NULL;
			} else if (*p == '}' || *p == ']') {
				if (--depth == 0)
					return p + 1;
			}
		}
		return NULL;
	}
	while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
	       *p != '\r' && *p != '\n')
		p++;
	return p;
}

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* Raw text of the value of top-level key `key` (unescaped keys only). */
static int raw_value(const char *line, size_t n, const char *key, kefu_str *out)
{
	const char *p = line, *e = line + n;
	size_t klen = strlen(key);
	p = skip_ws(p, e);
	if (p >= e || *p != '{')
		return -1;
	p++;
	for (;;) {
		p = skip_ws(p, e);
		if (p >= e || *p != '"')
			return -1;
		const char *k0 = p + 1;
		const char *q = skip_value(p, e);
		if (!q)
			return -1;
		size_t kn = (size_t)(q - 1 - k0);
		p = skip_ws(q, e);
		if (p >= e || *p != ':')
			return -1;
		p = skip_ws(p + 1, e);
		const char *v0 = p;
		q = skip_value(p, e);
		if (!q)
			return -1;
		if (kn == klen && memcmp(k0, key, klen) == 0) {
			out->p = v0;
			out->n = (size_t)(q - v0);
			return 0;
		}
		p = skip_ws(q, e);
		if (p < e && *p == ',') {
			p++;
			continue;
		}
		return -1;
	}
}

static size_t fmt_i64(char *buf, long long v)
{
	char tmp[24];
	size_t n = 0;
	unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		tmp[n++] = (char)('0' + (unsigned)(m % 10));
		m /= 10;
	} while (m);
	size_t o = 0;
	if (v < 0)
		buf[o++] = '-';
	while (n)
		buf[o++] = tmp[--n];
	return o;
}

/*
 * JSON Lines read as a table, for --map, presets and --time-format: the
 * keys of the first object are the header (in their order), and each later
 * object gives one value per header key (a missing key is an empty value).
 * Strings are used decoded, numbers with their exact text (money never goes
 * through a double), true/false as words, null as empty. A key the first
 * object lacks, a nested value or a line that is not an object is a row
 * error; nothing is silently ignored.
 */
static int jsonl_fail(const row_src *s, kefu_err *e, long line, const char *fmt, const char *arg)
{
	kefu_err_set(e, KEFU_EPARSE, fmt, arg);
	kefu_err_at(e, s->name, line, 0);
	return KEFU_EPARSE;
}

static int jsonl_put(row_src *s, const char *p, size_t n, size_t *off)
{
	if (kefu_grow((void **)&s->raw, &s->rawcap, s->rawn + n + 1, 1))
		return -1;
	if (n)
		memcpy(s->raw + s->rawn, p, n);
	*off = s->rawn;
	s->rawn += n;
	return 0;
}

static int jsonl_next(row_src *s, kefu_str **f, size_t *nf, long *lineno, kefu_err *err)
{
	kefu_str line;
	int rc = 1;
	for (;;) {
		if (s->has_pending) {
			s->has_pending = 0;
			line = s->pending;
			*lineno = s->pending_line;
		} else {
			rc = kefu_csv_next_line(s->csv, &line, lineno, err);
		}
		if (rc != 1)
			return rc;
		/* blank lines before the first object are not a header */
		if (s->keys || skip_ws(line.p, line.p + line.n) < line.p + line.n)
			break;
	}
	s->rawn = 0;
	if (skip_ws(line.p, line.p + line.n) == line.p + line.n) {
		if (kefu_grow((void **)&s->pad, &s->padcap, 1, sizeof *s->pad))
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		s->pad[0] = (kefu_str){"", 0};
		*f = s->pad;
		*nf = 1;
		return 1;
	}
	if (!utf8_ok(line.p, line.n))
		return jsonl_fail(s, err, *lineno, "invalid UTF-8 or NUL byte%s", "");
	json_error_t je;
	json_t *obj = json_loadb(line.p, line.n, JSON_REJECT_DUPLICATES, &je);
	if (!obj || !json_is_object(obj)) {
		json_decref(obj);
		return obj ? jsonl_fail(s, err, *lineno, "not a JSON object%s", "")
			   : jsonl_fail(s, err, *lineno, "invalid JSON: %s", je.text);
	}
	const char *k;
	json_t *v;
	if (!s->keys) { /* the header */
		size_t nk = json_object_size(obj), i = 0;
		s->keys = kefu_calloc(nk ? nk : 1, sizeof *s->keys);
		if (!s->keys || kefu_grow((void **)&s->pad, &s->padcap, nk + 1, sizeof *s->pad)) {
			json_decref(obj);
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		}
		json_object_foreach(obj, k, v) {
			size_t kn = strlen(k);
			if (!(s->keys[i] = kefu_malloc(kn + 1))) {
				json_decref(obj);
				return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			}
			memcpy(s->keys[i], k, kn + 1);
			s->pad[i] = (kefu_str){s->keys[i], strlen(s->keys[i])};
			s->nkeys = ++i;
		}
		json_decref(obj);
		*f = s->pad;
		*nf = s->nkeys;
		s->pending = line;
		s->pending_line = *lineno;
		s->has_pending = 1;
		return 1;
	}
	size_t *off = kefu_calloc(s->nkeys + 1, sizeof *off);
	size_t *len = kefu_calloc(s->nkeys + 1, sizeof *len);
	if (!off || !len) {
		kefu_free(off);
		kefu_free(len);
		json_decref(obj);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	rc = 1;
	json_object_foreach(obj, k, v) {
		size_t i = 0;
		while (i < s->nkeys && strcmp(s->keys[i], k))
			i++;
		if (i == s->nkeys) {
			rc = jsonl_fail(s, err, *lineno,
					"key '%.64s' is not in the first object (its keys are the "
					"columns)",
					k);
			break;
		}
		const char *p = "";
		size_t n = 0;
		char word[8];
		kefu_str rv;
		if (json_is_string(v)) {
			p = json_string_value(v);
			n = json_string_length(v);
		} else if (json_is_number(v) && raw_value(line.p, line.n, k, &rv) == 0) {
			p = rv.p;
			n = rv.n;
		} else if (json_is_true(v) || json_is_false(v)) {
			n = (size_t)snprintf(word, sizeof word, "%s", json_is_true(v) ? "true" : "false");
			p = word;
		} else if (!json_is_null(v)) {
			rc = jsonl_fail(s, err, *lineno, "key '%.64s': nested objects and arrays are not "
						      "values",
					k);
			break;
		}
		if (jsonl_put(s, p, n, &off[i])) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			break;
		}
		len[i] = n;
	}
	json_decref(obj);
	if (rc == 1) {
		for (size_t i = 0; i < s->nkeys; i++)
			s->pad[i] = (kefu_str){len[i] ? s->raw + off[i] : "", len[i]};
		*f = s->pad;
		*nf = s->nkeys;
	}
	kefu_free(off);
	kefu_free(len);
	return rc;
}

static int load_jsonl(loader *L, kefu_csv *r, kefu_err *err)
{
	int rc = 0;
	int configured = L->kind != KEFU_KIND_NONE;
	int explicit_kind = configured;
	char numbuf[C_COUNT][24];
	kefu_str line;
	long lineno = 0;
	if (configured)
		L->stats->kind = L->kind;
	for (;;) {
		kefu_err e = KEFU_ERR_INIT;
		rc = kefu_csv_next_line(r, &line, &lineno, &e);
		if (rc == 0)
			break;
		kefu_str raw;
		kefu_csv_raw(r, &raw);
		if (rc == KEFU_EPARSE) {
			if ((rc = reject(L, e.line, 0, "", e.msg, raw, err)))
				return rc;
			continue;
		}
		if (rc < 0) {
			if (err)
				*err = e;
			return rc;
		}
		if (line.n == 0)
			continue; /* a completely empty line */
		if (!utf8_ok(line.p, line.n)) {
			if ((rc = reject(L, lineno, 0, "", "invalid UTF-8 or NUL byte", raw, err)))
				return rc;
			continue;
		}
		json_error_t je;
		json_t *obj = json_loadb(line.p, line.n, JSON_REJECT_DUPLICATES, &je);
		if (!obj || !json_is_object(obj)) {
			kefu_err tmp = KEFU_ERR_INIT;
			if (obj)
				kefu_err_set(&tmp, KEFU_EPARSE, "not a JSON object");
			else
				kefu_err_set(&tmp, KEFU_EPARSE, "invalid JSON: %s", je.text);
			json_decref(obj);
			if ((rc = reject(L, lineno, 0, "", tmp.msg, raw, err)))
				return rc;
			continue;
		}
		/* keys of this object */
		size_t nk = json_object_size(obj);
		kefu_str keys[64];
		const char *k;
		json_t *v;
		size_t i = 0;
		int too_many = nk > 64;
		if (!too_many) {
			json_object_foreach(obj, k, v) {
				keys[i].p = k;
				keys[i].n = strlen(k);
				i++;
			}
		}
		if (!configured) {
			if (too_many) {
				json_decref(obj);
				rc = kefu_err_set(err, KEFU_EPARSE, "too many keys in the first object");
				kefu_err_at(err, L->file, lineno, 0);
				return rc;
			}
			rc = setup_columns(&L->kind, keys, nk, L->have_shop_override, L->map, L->file,
					   lineno, "key", err);
			if (rc) {
				json_decref(obj);
				return rc;
			}
			L->stats->kind = L->kind;
			configured = 1;
		}
		row_vals rv;
		memset(&rv, 0, sizeof rv);
		const char *why = NULL;
		int badc = -1;
		const char *badkey = NULL;
		json_object_foreach(obj, k, v) {
			int c = col_lookup(k, strlen(k));
			if (c < 0 || !col_role(L->kind, c)) {
				if (!explicit_kind && !(c == C_SHOP && L->have_shop_override)) {
					why = "unknown key";
					badkey = k;
					break;
				}
				continue;
			}
			rv.present[c] = 1;
			if (json_is_string(v)) {
				rv.v[c].p = json_string_value(v);
				rv.v[c].n = json_string_length(v);
			} else if (json_is_integer(v)) {
				size_t n = fmt_i64(numbuf[c], json_integer_value(v));
				rv.v[c].p = numbuf[c];
				rv.v[c].n = n;
			} else if (json_is_real(v)) {
				/* the number as written, never via the double */
				if (raw_value(line.p, line.n, k, &rv.v[c])) {
					why = "unreadable number";
					badc = c;
					break;
				}
			} else if (json_is_null(v)) {
				rv.v[c].p = "";
				rv.v[c].n = 0;
			} else {
				why = "expected a string or a number";
				badc = c;
				break;
			}
		}
		if (!why) {
			for (int q = 0; kinds[L->kind].req[q] >= 0; q++) {
				int c = kinds[L->kind].req[q];
				if (!rv.present[c] && !(c == C_SHOP && L->have_shop_override)) {
					why = "missing key";
					badc = c;
					break;
				}
			}
		}
		if (why) {
			kefu_err tmp = KEFU_ERR_INIT;
			if (badkey)
				kefu_err_set(&tmp, KEFU_EPARSE, "%s '%.64s'", why, badkey);
			else
				kefu_err_set(&tmp, KEFU_EPARSE, "%s", why);
			rc = reject(L, lineno, 0, badc >= 0 ? col_names[badc] : "", tmp.msg, raw, err);
			json_decref(obj);
			if (rc)
				return rc;
			continue;
		}
		/* strings from JSON may hold \u0000 only with JSON_ALLOW_NUL (off);
		 * escapes cannot produce invalid UTF-8 in jansson. */
		rc = emit(L, &rv, lineno, raw, err);
		json_decref(obj);
		if (rc)
			return rc;
	}
	if (!configured) {
		/* no valid object at all: nothing to detect the kind from */
		L->stats->kind = L->kind;
	}
	return 0;
}

/* ---- entry points ---- */

static void loader_init(loader *L, const char *name, const kefu_load_opts *opts,
			kefu_row_fn on_row, kefu_reject_fn on_reject, void *ctx,
			kefu_load_stats *stats)
{
	memset(L, 0, sizeof *L);
	L->opts = opts;
	L->on_row = on_row;
	L->on_reject = on_reject;
	L->ctx = ctx;
	L->stats = stats;
	L->file = name;
	L->kind = opts->kind;
	if (opts->shop) {
		L->shop_override = kefu_str_trim((kefu_str){opts->shop, strlen(opts->shop)});
		L->have_shop_override = 1;
	}
}

static int load_reader(kefu_csv *r, const char *name, const kefu_load_opts *opts,
		       kefu_row_fn on_row, kefu_reject_fn on_reject, void *ctx,
		       kefu_load_stats *stats, int transcoded, kefu_err *err)
{
	loader L;
	loader_init(&L, name, opts, on_row, on_reject, ctx, stats);
	L.transcoded = transcoded;
	/* JSON Lines if the first non-space byte is '{' */
	kefu_str head;
	size_t want = 4096;
	int rc;
	for (;;) {
		rc = kefu_csv_peek(r, want, &head, err);
		if (rc)
			return rc;
		size_t i = 0;
		while (i < head.n && (head.p[i] == ' ' || head.p[i] == '\t' || head.p[i] == '\r' ||
				      head.p[i] == '\n'))
			i++;
		if (head.n == 0) {
			rc = kefu_err_set(err, KEFU_EPARSE, "empty file: no header");
			kefu_err_at(err, name, 1, 0);
			return rc;
		}
		if (i < head.n || head.n < want || want >= ((size_t)1 << 20)) {
			if (i < head.n && head.p[i] == '{' &&
			    ((opts->format && strcmp(opts->format, "canonical")) || opts->map ||
			     (opts->time_format && opts->time_format[0]))) {
				row_src src;
				memset(&src, 0, sizeof src);
				src.csv = r;
				src.jsonl = 1;
				src.name = name;
				rc = load_table(&L, &src, err);
				for (size_t k = 0; k < src.nkeys; k++)
					kefu_free(src.keys[k]);
				kefu_free(src.keys);
				kefu_free(src.pad);
				kefu_free(src.raw);
			} else if (i < head.n && head.p[i] == '{')
				rc = load_jsonl(&L, r, err);
			else
				rc = load_csv(&L, r, err);
			break;
		}
		want *= 4;
	}
	stats->bytes = kefu_csv_offset(r);
	return rc;
}

static int check_opts(const kefu_load_opts *opts, kefu_err *err)
{
	if (!opts || !opts->default_tz)
		return kefu_err_set(err, KEFU_EINVAL, "loader: default_tz is required");
	if ((int)opts->kind < 0 || (int)opts->kind >= (int)KEFU_KIND_COUNT)
		return kefu_err_set(err, KEFU_EINVAL, "loader: invalid kind");
	if (opts->shop && kefu_str_trim((kefu_str){opts->shop, strlen(opts->shop)}).n == 0)
		return kefu_err_set(err, KEFU_EINVAL, "loader: empty shop name");
	kefu_encoding enc;
	if (kefu_encoding_parse(opts->encoding, &enc))
		return kefu_err_set(err, KEFU_EINVAL,
				    "unknown encoding '%.64s' (use utf-8, gb18030 or gbk)",
				    opts->encoding);
	return 0;
}

/* An XLSX workbook (a zip file): the first row of the sheet is the header,
 * then the same column setup, mapping and field checks as CSV. */
static int load_xlsx(const char *path, const kefu_load_opts *opts, kefu_row_fn on_row,
		     kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats, kefu_err *err)
{
	row_src src;
	memset(&src, 0, sizeof src);
	int rc = kefu_xlsx_open(&src.xlsx, path, opts->sheet, err);
	if (rc) {
		if (err && !err->file[0])
			kefu_err_at(err, path, 0, 0);
		return rc;
	}
	loader L;
	loader_init(&L, path, opts, on_row, on_reject, ctx, stats);
	rc = load_table(&L, &src, err);
	kefu_xlsx_free(src.xlsx);
	kefu_free(src.pad);
	kefu_free(src.raw);
	return rc;
}

/* Which Open Platform JSON a file holds, from its first 4 KiB, rather than
 * canonical JSON Lines: chat records name "direction" with "from_id",
 * "msgs" or "content"; trades start with '[' (canonical input never does)
 * or name both "tid" and "buyer_nick" (an object per line, or an API
 * response wrapping the trades). */
enum { OP_NONE, OP_TRADES, OP_CHATLOG };
static int sniff_open_platform(int fd)
{
	char buf[4097];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return OP_NONE;
	buf[n] = '\0';
	size_t i = 0;
	if (n >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB &&
	    (unsigned char)buf[2] == 0xBF)
		i = 3;
	while (i < (size_t)n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	if (i >= (size_t)n || (buf[i] != '[' && buf[i] != '{'))
		return OP_NONE;
	const char *b = buf + i;
	if (strstr(b, "\"direction\"") &&
	    (strstr(b, "\"from_id\"") || strstr(b, "\"msgs\"") || strstr(b, "\"content\"")))
		return OP_CHATLOG;
	if (buf[i] == '[')
		return OP_TRADES;
	return strstr(b, "\"tid\":") && strstr(b, "\"buyer_nick\":") ? OP_TRADES : OP_NONE;
}

/* 1 when the file starts like a zip archive (XLSX). */
static int looks_like_zip(int fd)
{
	unsigned char m[4];
	return pread(fd, m, 4, 0) == 4 && m[0] == 'P' && m[1] == 'K' && m[2] == 3 && m[3] == 4;
}

/* Common start of every entry point: clear the stats and the error, check
 * the options. */
static int begin_load(kefu_load_stats *stats, const kefu_load_opts *opts, kefu_err *err)
{
	memset(stats, 0, sizeof *stats);
	kefu_err_clear(err);
	return check_opts(opts, err);
}

int kefu_load_file(const char *path, const kefu_load_opts *opts, kefu_row_fn on_row,
		   kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats, kefu_err *err)
{
	kefu_load_stats local;
	stats = stats ? stats : &local;
	int rc = begin_load(stats, opts, err);
	if (rc)
		return rc;
	if (opts->format && !strcmp(opts->format, "taobao-trades-json"))
		return kefu_load_taobao_trades(path, opts, on_row, on_reject, ctx, stats, err);
	if (opts->format && !strcmp(opts->format, "taobao-chatlog-json"))
		return kefu_load_taobao_chatlog(path, opts, on_row, on_reject, ctx, stats, err);
	int is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "<stdin>" : path;
	int fd = 0;
	if (!is_stdin) {
		do {
			fd = open(path, O_RDONLY | O_CLOEXEC);
		} while (fd < 0 && errno == EINTR);
		if (fd < 0) {
			rc = kefu_err_set(err, KEFU_EIO, "cannot open: %s", strerror(errno));
			kefu_err_at(err, path, 0, 0);
			return rc;
		}
	}
	int op = !is_stdin && !opts->format && !opts->map ? sniff_open_platform(fd) : OP_NONE;
	if (op != OP_NONE) {
		close(fd);
		return op == OP_TRADES
			       ? kefu_load_taobao_trades(path, opts, on_row, on_reject, ctx, stats, err)
			       : kefu_load_taobao_chatlog(path, opts, on_row, on_reject, ctx, stats, err);
	}
	if (!is_stdin && looks_like_zip(fd)) {
		close(fd);
		return load_xlsx(path, opts, on_row, on_reject, ctx, stats, err);
	}
	kefu_csv *r = NULL;
	kefu_encoding enc = KEFU_ENC_AUTO;
	kefu_transcoder *tc = NULL;
	char *prefix = NULL;
	int rfd = fd;
	kefu_encoding_parse(opts->encoding, &enc);
	if (enc != KEFU_ENC_UTF8) {
		/* read up to 64 KiB to detect (or just start) the encoding */
		size_t cap = DETECT_BYTES, n = 0;
		int eof = 0;
		prefix = kefu_malloc(cap);
		if (!prefix) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto done;
		}
		while (n < cap) {
			ssize_t got = read(fd, prefix + n, cap - n);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				rc = kefu_err_set(err, KEFU_EIO, "read error: %s", strerror(errno));
				kefu_err_at(err, name, 0, 0);
				goto done;
			}
			if (got == 0) {
				eof = 1;
				break;
			}
			n += (size_t)got;
		}
		if (enc == KEFU_ENC_AUTO)
			enc = kefu_encoding_detect(prefix, n, eof);
		if (enc == KEFU_ENC_UTF8 && lseek(fd, -(off_t)n, SEEK_CUR) >= 0) {
			rfd = fd; /* the plain reader, from the start again */
		} else {
			rc = kefu_transcoder_start(&tc, &rfd, fd, prefix, n, enc, err);
			if (rc) {
				kefu_err_at(err, name, 0, 0);
				goto done;
			}
		}
	}
	rc = kefu_csv_open_fd(&r, rfd, name, NULL, err);
	if (rc == 0)
		rc = load_reader(r, name, opts, on_row, on_reject, ctx, stats,
				 enc == KEFU_ENC_GB18030, err);
done:
	kefu_csv_free(r);
	{
		kefu_err e2 = KEFU_ERR_INIT;
		int trc = kefu_transcoder_finish(tc, &e2);
		if (trc && rc == 0) {
			rc = trc;
			if (err) {
				*err = e2;
				kefu_err_at(err, name, 0, 0);
			}
		}
	}
	kefu_free(prefix);
	if (!is_stdin)
		close(fd);
	return rc;
}

int kefu_load_mem(const char *data, size_t n, const char *name, const kefu_load_opts *opts,
		  kefu_row_fn on_row, kefu_reject_fn on_reject, void *ctx,
		  kefu_load_stats *stats, kefu_err *err)
{
	kefu_load_stats local;
	stats = stats ? stats : &local;
	int rc = begin_load(stats, opts, err);
	if (rc)
		return rc;
	if (!name)
		name = "<memory>";
	kefu_csv *r = NULL;
	kefu_encoding enc = KEFU_ENC_AUTO;
	char *conv = NULL;
	size_t conv_n = 0;
	if (kefu_encoding_parse(opts->encoding, &enc))
		return kefu_err_set(err, KEFU_EINVAL, "loader: unknown encoding");
	/* memory buffers are UTF-8 unless opts->encoding says otherwise:
	 * detection is for files (kefu_load_file) */
	if (enc == KEFU_ENC_GB18030) {
		rc = kefu_transcode_mem(&conv, &conv_n, data, n, err);
		if (rc)
			return rc;
		data = conv ? conv : "";
		n = conv_n;
	}
	rc = kefu_csv_open_mem(&r, data, n, name, NULL, err);
	if (rc == 0)
		rc = load_reader(r, name, opts, on_row, on_reject, ctx, stats,
				 enc == KEFU_ENC_GB18030, err);
	kefu_csv_free(r);
	kefu_free(conv);
	return rc;
}

int kefu_load_csv_range(int fd, uint64_t limit, int mode, const char *name, const kefu_str *header,
			size_t nheader, const kefu_load_opts *opts, kefu_row_fn on_row,
			kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats, kefu_err *err)
{
	kefu_load_stats local;
	stats = stats ? stats : &local;
	int rc = begin_load(stats, opts, err);
	if (rc)
		return rc;
	kefu_csv_opts co = KEFU_CSV_OPTS_INIT;
	co.strip_bom = header == NULL; /* only the file's start has a BOM */
	kefu_csv *r = NULL;
	rc = kefu_csv_open_fd_range(&r, fd, name, &co, limit, mode, err);
	if (rc == 0) {
		loader L;
		loader_init(&L, name, opts, on_row, on_reject, ctx, stats);
		L.given_hdr = header;
		L.given_nhdr = nheader;
		rc = load_csv(&L, r, err);
		stats->bytes = kefu_csv_offset(r);
	}
	kefu_csv_free(r);
	return rc;
}
