/*
 * contract_parse.c - contract files (settlement.md) from YAML (libfyaml) or
 * JSON (jansson) into kefu_contract. Both inputs are first turned into one
 * small tree (scalars keep their text, keys their line), then one validator
 * walks the tree, records every problem with line and dotted key, and only
 * builds a contract when there is none. Numbers are read from their text:
 * money to fen, rates to exact fractions, never through a double.
 */
#include "kefu/contract.h"

#include <jansson.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/record.h"
#include "kefu/settings.h"
#include "kefu/tz.h"

/* ------------------------------------------------------------ the tree */

enum { N_NULL, N_SCALAR, N_SEQ, N_MAP };

typedef struct cnode {
	int type;
	char *s; /* scalar text, NUL-terminated */
	size_t n;
	long line; /* 1-based, 0 unknown */
	char **keys;
	long *key_lines;
	struct cnode **kids;
	size_t nkids, cap;
} cnode;

static void cnode_free(cnode *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nkids; i++) {
		if (t->keys)
			kefu_free(t->keys[i]);
		cnode_free(t->kids[i]);
	}
	kefu_free(t->keys);
	kefu_free(t->key_lines);
	kefu_free(t->kids);
	kefu_free(t->s);
	kefu_free(t);
}

static cnode *cnode_new(int type, long line)
{
	cnode *t = kefu_calloc(1, sizeof *t);
	if (t) {
		t->type = type;
		t->line = line;
	}
	return t;
}

/* Appends kid (taken over) with key (copied; NULL for sequences). */
static int cnode_add(cnode *t, const char *key, size_t klen, long kline, cnode *kid)
{
	if (t->nkids == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 8;
		cnode **k = kefu_realloc(t->kids, nc * sizeof *k);
		if (!k)
			goto fail;
		t->kids = k;
		if (t->type == N_MAP) {
			char **ks = kefu_realloc(t->keys, nc * sizeof *ks);
			if (!ks)
				goto fail;
			t->keys = ks;
			long *kl = kefu_realloc(t->key_lines, nc * sizeof *kl);
			if (!kl)
				goto fail;
			t->key_lines = kl;
		}
		t->cap = nc;
	}
	if (t->type == N_MAP) {
		t->keys[t->nkids] = kefu_strndup(key, klen);
		if (!t->keys[t->nkids])
			goto fail;
		t->key_lines[t->nkids] = kline;
	}
	t->kids[t->nkids++] = kid;
	return 0;
fail:
	cnode_free(kid);
	return KEFU_ENOMEM;
}

static long token_line(struct fy_token *tok)
{
	const struct fy_mark *m = tok ? fy_token_start_mark(tok) : NULL;
	return m ? (long)m->line + 1 : 0;
}

static cnode *from_fy(struct fy_node *fn, long line)
{
	if (!fn)
		return cnode_new(N_NULL, line);
	switch (fy_node_get_type(fn)) {
	case FYNT_SCALAR: {
		size_t len = 0;
		const char *s = fy_node_get_scalar(fn, &len);
		long l = token_line(fy_node_get_scalar_token(fn));
		cnode *t = cnode_new(N_SCALAR, l ? l : line);
		if (!t)
			return NULL;
		/* a plain empty or "null"/"~" scalar is null */
		if (fy_node_get_style(fn) == FYNS_PLAIN &&
		    (len == 0 || (len == 4 && !memcmp(s, "null", 4)) || (len == 1 && s[0] == '~')))
			t->type = N_NULL;
		t->s = kefu_strndup(s ? s : "", s ? len : 0);
		t->n = len;
		if (!t->s) {
			cnode_free(t);
			return NULL;
		}
		return t;
	}
	case FYNT_SEQUENCE: {
		cnode *t = cnode_new(N_SEQ, line);
		void *it = NULL;
		struct fy_node *k;
		if (!t)
			return NULL;
		while ((k = fy_node_sequence_iterate(fn, &it))) {
			long l = fy_node_get_type(k) == FYNT_SCALAR
					 ? token_line(fy_node_get_scalar_token(k))
					 : 0;
			cnode *kid = from_fy(k, l ? l : line);
			if (!kid || cnode_add(t, NULL, 0, 0, kid)) {
				cnode_free(t);
				return NULL;
			}
			/* a nested map or list takes the line of its first key */
			if (!l && kid->nkids && kid->type == N_MAP)
				kid->line = kid->key_lines[0];
		}
		return t;
	}
	case FYNT_MAPPING: {
		cnode *t = cnode_new(N_MAP, line);
		void *it = NULL;
		struct fy_node_pair *p;
		if (!t)
			return NULL;
		while ((p = fy_node_mapping_iterate(fn, &it))) {
			struct fy_node *k = fy_node_pair_key(p);
			size_t klen = 0;
			const char *ks = k && fy_node_get_type(k) == FYNT_SCALAR
						 ? fy_node_get_scalar(k, &klen)
						 : "?";
			if (!ks)
				ks = "?", klen = 1;
			long kl = k && fy_node_get_type(k) == FYNT_SCALAR
					  ? token_line(fy_node_get_scalar_token(k))
					  : line;
			cnode *kid = from_fy(fy_node_pair_value(p), kl);
			if (!kid || cnode_add(t, ks, klen, kl, kid)) {
				cnode_free(t);
				return NULL;
			}
		}
		return t;
	}
	}
	return cnode_new(N_NULL, line);
}

static cnode *from_json(const json_t *j)
{
	cnode *t = NULL;
	char buf[64];
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *v;
		t = cnode_new(N_MAP, 0);
		if (!t)
			return NULL;
		json_object_foreach((json_t *)j, key, v) {
			cnode *kid = from_json(v);
			if (!kid || cnode_add(t, key, strlen(key), 0, kid)) {
				cnode_free(t);
				return NULL;
			}
		}
		return t;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *v;
		t = cnode_new(N_SEQ, 0);
		if (!t)
			return NULL;
		json_array_foreach(j, i, v) {
			cnode *kid = from_json(v);
			if (!kid || cnode_add(t, NULL, 0, 0, kid)) {
				cnode_free(t);
				return NULL;
			}
		}
		return t;
	}
	case JSON_STRING:
		t = cnode_new(N_SCALAR, 0);
		if (!t)
			return NULL;
		t->n = json_string_length(j);
		t->s = kefu_strndup(json_string_value(j), t->n);
		break;
	case JSON_INTEGER:
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		t = cnode_new(N_SCALAR, 0);
		if (!t)
			return NULL;
		t->n = strlen(buf);
		t->s = kefu_strndup(buf, t->n);
		break;
	case JSON_REAL:
		/* a binary double cannot carry an exact rate or amount: the
		 * validator reports it (text kept as a marker) */
		t = cnode_new(N_SCALAR, 0);
		if (!t)
			return NULL;
		t->s = kefu_strndup("\x01real", 5);
		t->n = 5;
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		t = cnode_new(N_SCALAR, 0);
		if (!t)
			return NULL;
		t->s = kefu_strndup(json_is_true(j) ? "true" : "false", json_is_true(j) ? 4 : 5);
		t->n = strlen(t->s ? t->s : "");
		break;
	default:
		return cnode_new(N_NULL, 0);
	}
	if (t && !t->s) {
		cnode_free(t);
		return NULL;
	}
	return t;
}

/* ------------------------------------------------------- number parsing */

/* Money >= 0 with at most 2 decimals (record.h's parser, no sign). */
static int money_parse(const char *s, size_t n, int64_t *fen)
{
	kefu_err e = KEFU_ERR_INIT;
	if (n == 0 || s[0] == '-' || s[0] == ' ' || s[n - 1] == ' ')
		return KEFU_EPARSE;
	return kefu_money_parse(s, n, fen, &e);
}

int kefu_ratio_parse(const char *s, size_t n, kefu_ratio *out)
{
	int pct = n > 0 && s[n - 1] == '%';
	int64_t num = 0, den = 1;
	int digits = 0, dec = -1;
	if (pct)
		n--;
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n == 0)
		return KEFU_EPARSE;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9') {
			if (dec >= 0 && ++dec > 9)
				return KEFU_EPARSE;
			if (num > (INT64_MAX / 1000 - 9) / 10)
				return KEFU_EOVERFLOW;
			num = num * 10 + (c - '0');
			if (dec > 0)
				den *= 10;
			digits++;
		} else if (c == '.' && dec < 0 && digits) {
			dec = 0;
		} else {
			return KEFU_EPARSE;
		}
	}
	if (!digits || dec == 0)
		return KEFU_EPARSE;
	if (pct)
		den *= 100;
	/* reduce by common factors of 2 and 5 (den is 2^a 5^b) */
	while (den % 10 == 0 && num % 10 == 0)
		num /= 10, den /= 10;
	while (den % 2 == 0 && num % 2 == 0)
		num /= 2, den /= 2;
	while (den % 5 == 0 && num % 5 == 0)
		num /= 5, den /= 5;
	out->num = num;
	out->den = den;
	return 0;
}

int64_t kefu_add_months(int64_t day, int months)
{
	int64_t y;
	unsigned m, d;
	kefu_civil_from_days(day, &y, &m, &d);
	int64_t mm = (int64_t)m - 1 + months;
	y += kefu_floor_div(mm, 12);
	mm -= kefu_floor_div(mm, 12) * 12;
	unsigned nm = (unsigned)mm + 1;
	int64_t first = kefu_days_from_civil(y, nm, 1);
	int64_t next_first = nm == 12 ? kefu_days_from_civil(y + 1, 1, 1)
				      : kefu_days_from_civil(y, nm + 1, 1);
	if (first + (int64_t)d - 1 < next_first)
		return first + (int64_t)d - 1;
	return next_first;
}

/* ------------------------------------------------------------ validator */

typedef struct vctx {
	kefu_contract_problems probs;
	int oom;
	long last_line; /* line of the enclosing key, for nodes without one */
} vctx;

void kefu_contract_problems_clear(kefu_contract_problems *p)
{
	if (!p)
		return;
	kefu_free(p->v);
	memset(p, 0, sizeof *p);
}

static void problem(vctx *v, long line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void problem(vctx *v, long line, const char *key, const char *fmt, ...)
{
	if (kefu_grow((void **)&v->probs.v, &v->probs.cap, v->probs.n + 1, sizeof *v->probs.v)) {
		v->oom = 1;
		return;
	}
	kefu_contract_problem *p = &v->probs.v[v->probs.n++];
	p->line = line;
	snprintf(p->key, sizeof p->key, "%s", key);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof p->reason, fmt, ap);
	va_end(ap);
}

/* Value of key in a map, with the key's line; NULL when absent. */
static cnode *mget(const cnode *m, const char *key, long *line)
{
	if (!m || m->type != N_MAP)
		return NULL;
	for (size_t i = 0; i < m->nkids; i++)
		if (!strcmp(m->keys[i], key)) {
			if (line)
				*line = m->key_lines[i];
			return m->kids[i];
		}
	return NULL;
}

static void join(char *out, size_t cap, const char *path, const char *key)
{
	snprintf(out, cap, "%s%s%s", path, path[0] ? "." : "", key);
}

/* Reports keys of m not in allowed (NULL-terminated). */
static void check_keys(vctx *v, const cnode *m, const char *path, const char *const *allowed)
{
	for (size_t i = 0; i < m->nkids; i++) {
		size_t k = 0;
		while (allowed[k] && strcmp(allowed[k], m->keys[i]))
			k++;
		if (!allowed[k]) {
			char p[128];
			join(p, sizeof p, path, m->keys[i]);
			problem(v, m->key_lines[i], p, "unknown key");
		}
	}
}

/* A scalar of map m: NULL when absent (reported when required) or not a
 * scalar (reported). *line gets the best line known. */
static const char *sget(vctx *v, const cnode *m, const char *path, const char *key, int required,
			long *line)
{
	char p[128];
	long l = m ? m->line : 0;
	cnode *n = mget(m, key, &l);
	if (line)
		*line = l ? l : v->last_line;
	join(p, sizeof p, path, key);
	if (!n || n->type == N_NULL) {
		if (required)
			problem(v, m && m->line ? m->line : v->last_line, p, "missing");
		return NULL;
	}
	if (n->type != N_SCALAR) {
		problem(v, l, p, "expected a single value");
		return NULL;
	}
	if (n->s[0] == '\x01') {
		problem(v, l, p, "write numbers with decimals as strings (\"1.5%%\", \"4500.00\")");
		return NULL;
	}
	return n->s;
}

static int parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	int64_t x = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (INT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (*s - '0');
	}
	if (x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int get_int(vctx *v, const cnode *m, const char *path, const char *key, int required,
		   int64_t lo, int64_t hi, int64_t *out)
{
	long l;
	const char *s = sget(v, m, path, key, required, &l);
	if (!s)
		return -1;
	if (parse_int(s, lo, hi, out)) {
		char p[128];
		join(p, sizeof p, path, key);
		problem(v, l, p, "expected a whole number from %lld to %lld, got '%s'", (long long)lo,
			(long long)hi, s);
		return -1;
	}
	return 0;
}

static int get_money(vctx *v, const cnode *m, const char *path, const char *key, int required,
		     int64_t *out)
{
	long l;
	const char *s = sget(v, m, path, key, required, &l);
	if (!s)
		return -1;
	if (money_parse(s, strlen(s), out)) {
		char p[128];
		join(p, sizeof p, path, key);
		problem(v, l, p, "expected an amount in yuan such as \"4500.00\", got '%s'", s);
		return -1;
	}
	return 0;
}

static int get_day(vctx *v, const cnode *m, const char *path, const char *key, int required,
		   int64_t *out)
{
	long l;
	const char *s = sget(v, m, path, key, required, &l);
	if (!s)
		return -1;
	if (kefu_day_parse(s, strlen(s), out)) {
		char p[128];
		join(p, sizeof p, path, key);
		problem(v, l, p, "expected a date YYYY-MM-DD, got '%s'", s);
		return -1;
	}
	return 0;
}

/* One of names[] (NULL-terminated); returns the index or -1. */
static int get_enum(vctx *v, const cnode *m, const char *path, const char *key, int required,
		    const char *const *names)
{
	long l;
	const char *s = sget(v, m, path, key, required, &l);
	if (!s)
		return -1;
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	char p[128], list[128] = "";
	join(p, sizeof p, path, key);
	for (int i = 0; names[i]; i++) {
		size_t o = strlen(list);
		snprintf(list + o, sizeof list - o, "%s%s", i ? " | " : "", names[i]);
	}
	problem(v, l, p, "expected %s, got '%s'", list, s);
	return -1;
}

/* A rate: ratio within 0..100%. */
static int check_rate(vctx *v, long line, const char *p, const char *s, kefu_ratio *out)
{
	if (kefu_ratio_parse(s, strlen(s), out)) {
		problem(v, line, p, "expected a rate such as \"1.5%%\", got '%s'", s);
		return -1;
	}
	if (out->num > out->den) {
		problem(v, line, p, "rate %s is over 100%%", s);
		return -1;
	}
	return 0;
}

static char *dup_str(vctx *v, const char *s)
{
	char *d = s ? kefu_strndup(s, strlen(s)) : NULL;
	if (s && !d)
		v->oom = 1;
	return d;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void parse_coverage(vctx *v, kefu_contract *c, const cnode *root)
{
	long l = root->line;
	cnode *cov = mget(root, "coverage", &l);
	if (c->mode == KEFU_MODE_FULL) {
		if (cov && cov->type != N_NULL)
			problem(v, l, "coverage", "a full contract covers all hours; remove coverage or "
						  "use mode: partial");
		return;
	}
	if (!cov || cov->type == N_NULL || (cov->type == N_SEQ && cov->nkids == 0)) {
		long ml = root->line;
		mget(root, "mode", &ml);
		problem(v, cov ? l : ml, "coverage",
			"missing: a partial contract needs its daily windows, e.g. [\"18:00-09:00\"]");
		return;
	}
	const cnode *list = cov;
	cnode one = {0};
	cnode *onekid[1];
	if (cov->type == N_SCALAR) { /* a single window written without brackets */
		onekid[0] = (cnode *)cov;
		one.type = N_SEQ;
		one.kids = onekid;
		one.nkids = 1;
		list = &one;
	}
	if (list->type != N_SEQ) {
		problem(v, l, "coverage", "expected a list of windows such as [\"18:00-09:00\"]");
		return;
	}
	for (size_t i = 0; i < list->nkids; i++) {
		const cnode *w = list->kids[i];
		char p[64];
		snprintf(p, sizeof p, "coverage[%zu]", i);
		long wl = w->line ? w->line : l;
		const char *dash = w->type == N_SCALAR ? strchr(w->s, '-') : NULL;
		int32_t a, b;
		if (!dash || kefu_clock_parse(w->s, (size_t)(dash - w->s), &a) ||
		    (strcmp(dash + 1, "24:00") ? kefu_clock_parse(dash + 1, strlen(dash + 1), &b)
					       : (b = 86400, 0))) {
			problem(v, wl, p, "expected a window HH:MM-HH:MM, got '%s'",
				w->type == N_SCALAR ? w->s : "?");
			continue;
		}
		if (a == b || (a == 0 && b == 86400 && 0)) {
			problem(v, wl, p, "empty window '%s'", w->s);
			continue;
		}
		if (c->n_cov >= sizeof c->cov_start / sizeof c->cov_start[0]) {
			problem(v, wl, p, "at most 16 windows");
			continue;
		}
		c->cov_start[c->n_cov] = a;
		c->cov_end[c->n_cov] = b == 86400 ? 0 : b;
		if (b == 86400 && a == 0)
			c->cov_end[c->n_cov] = 0; /* whole day: start == end after wrap */
		c->n_cov++;
	}
}

static void parse_term(vctx *v, kefu_contract *c, const cnode *root)
{
	static const char *const keys[] = {"kind", "start", "end", "months", "renew", NULL};
	static const char *const kinds[] = {"month", "quarter", "year", "event", NULL};
	static const char *const renew[] = {"manual", "auto", NULL};
	long l = root->line;
	cnode *t = mget(root, "term", &l);
	if (!t || t->type != N_MAP) {
		problem(v, t ? l : root->line, "term",
			t ? "expected {kind, start, ...}" : "missing");
		c->end_day = INT64_MIN;
		return;
	}
	v->last_line = l;
	check_keys(v, t, "term", keys);
	int kind = get_enum(v, t, "term", "kind", 1, kinds);
	int ok = get_day(v, t, "term", "start", 1, &c->start_day) == 0;
	int r = get_enum(v, t, "term", "renew", 0, renew);
	c->renew_auto = r == 1;
	if (kind < 0) {
		c->end_day = INT64_MIN;
		return;
	}
	c->term = (kefu_term_kind)kind;
	long el = l;
	int has_end = mget(t, "end", &el) != NULL, has_months = mget(t, "months", NULL) != NULL;
	int64_t months = 0;
	if (kind == KEFU_TERM_EVENT) {
		if (has_months)
			problem(v, el, "term.months", "an event term takes end:, not months:");
		if (get_day(v, t, "term", "end", 1, &c->end_day) || !ok) {
			c->end_day = INT64_MIN;
			return;
		}
		if (c->end_day < c->start_day) {
			sget(v, t, "term", "end", 0, &el);
			problem(v, el, "term.end", "end is before start");
		}
		if (c->renew_auto)
			problem(v, l, "term.renew", "an event term is not renewed");
		return;
	}
	if (has_end) {
		sget(v, t, "term", "end", 0, &el);
		problem(v, el, "term.end", "only an event term takes end: (month takes months: N)");
	}
	if (kind == KEFU_TERM_MONTH) {
		if (get_int(v, t, "term", "months", 0, 1, 120, &months))
			months = has_months ? 0 : 1;
	} else if (has_months) {
		problem(v, l, "term.months", "only a month term takes months:");
	}
	if (kind == KEFU_TERM_QUARTER)
		months = 3;
	if (kind == KEFU_TERM_YEAR)
		months = 12;
	c->months = (int)months;
	if (ok && months > 0)
		c->end_day = kefu_add_months(c->start_day, c->months) - 1;
	if (!ok)
		c->end_day = INT64_MIN; /* no term: events are not checked against it */
}

static void parse_tiers(vctx *v, kefu_contract *c, const cnode *fee, long fee_line)
{
	static const char *const keys[] = {"from", "to", "rate", NULL};
	long l = fee_line;
	cnode *list = mget(fee, "commission", &l);
	if (c->scheme == KEFU_FEE_FIXED) {
		if (list)
			problem(v, l, "fee.commission", "the fixed scheme has no commission");
		return;
	}
	if (!list || list->type != N_SEQ || list->nkids == 0) {
		problem(v, list ? l : fee_line, "fee.commission",
			list ? "expected a list of tiers such as [{to: \"1000000.00\", rate: "
			       "\"1.0%%\"}, {rate: \"1.5%%\"}]"
			     : "missing");
		return;
	}
	c->tiers = kefu_calloc(list->nkids, sizeof *c->tiers);
	if (!c->tiers) {
		v->oom = 1;
		return;
	}
	int64_t prev_to = 0;
	for (size_t i = 0; i < list->nkids; i++) {
		const cnode *t = list->kids[i];
		char p[64];
		snprintf(p, sizeof p, "fee.commission[%zu]", i);
		long tl = t->line ? t->line : l;
		if (t->type != N_MAP) {
			problem(v, tl, p, "expected {from, to, rate}");
			continue;
		}
		v->last_line = tl;
		check_keys(v, t, p, keys);
		kefu_tier *tier = &c->tiers[c->n_tiers++];
		tier->from_fen = prev_to;
		tier->to_fen = INT64_MAX;
		int has_from = mget(t, "from", NULL) != NULL;
		if (has_from)
			get_money(v, t, p, "from", 0, &tier->from_fen);
		if (mget(t, "to", NULL))
			get_money(v, t, p, "to", 0, &tier->to_fen);
		long rl;
		const char *rate = sget(v, t, p, "rate", 1, &rl);
		if (rate) {
			char rp[80];
			snprintf(rp, sizeof rp, "%s.rate", p);
			check_rate(v, rl, rp, rate, &tier->rate);
			snprintf(tier->rate_text, sizeof tier->rate_text, "%s", rate);
		}
		if (tier->to_fen <= tier->from_fen)
			problem(v, tl, p, "tier is empty or reversed: to must be above from");
		if (c->n_tiers > 1) {
			const kefu_tier *pt = &c->tiers[c->n_tiers - 2];
			if (pt->to_fen == INT64_MAX)
				problem(v, tl, p, "a tier after the open-ended tier (only the last tier "
						  "may omit to:)");
			else if (tier->from_fen < pt->to_fen)
				problem(v, tl, p, "overlaps or is out of order with the tier before "
						  "(tiers are [from, to) in increasing order)");
		}
		prev_to = tier->to_fen;
	}
}

static void parse_fee(vctx *v, kefu_contract *c, const cnode *root)
{
	static const char *const keys[] = {"scheme", "seats", "base_per_seat_month",
					   "fixed_per_seat_month", "fixed_month", "commission",
					   "sales_basis", "judge_rule", NULL};
	static const char *const schemes[] = {"base_commission", "fixed", NULL};
	static const char *const bases[] = {"gross", "net", NULL};
	static const char *const rules[] = {"order", "order_first", "payment", NULL};
	long l = root->line;
	cnode *fee = mget(root, "fee", &l);
	c->fixed_month_fen = -1;
	c->sales_basis = -1;
	c->judge_rule = -1;
	if (!fee || fee->type != N_MAP) {
		problem(v, fee ? l : root->line, "fee", fee ? "expected {scheme, ...}" : "missing");
		return;
	}
	v->last_line = l;
	check_keys(v, fee, "fee", keys);
	int s = get_enum(v, fee, "fee", "scheme", 1, schemes);
	if (s < 0)
		return;
	c->scheme = (kefu_fee_scheme)s;
	int has_seats = mget(fee, "seats", NULL) != NULL;
	if (c->scheme == KEFU_FEE_BASE_COMMISSION) {
		get_int(v, fee, "fee", "seats", 1, 1, 100000, &c->seats);
		get_money(v, fee, "fee", "base_per_seat_month", 1, &c->per_seat_month_fen);
		long xl = l;
		if (mget(fee, "fixed_per_seat_month", &xl) || mget(fee, "fixed_month", &xl))
			problem(v, xl, "fee", "fixed_per_seat_month / fixed_month belong to the fixed "
					      "scheme");
	} else {
		int ps = mget(fee, "fixed_per_seat_month", NULL) != NULL;
		int fm = mget(fee, "fixed_month", NULL) != NULL;
		long xl = l;
		if (mget(fee, "base_per_seat_month", &xl))
			problem(v, xl, "fee.base_per_seat_month",
				"the fixed scheme takes fixed_per_seat_month or fixed_month");
		if (ps == fm)
			problem(v, l, "fee",
				ps ? "give fixed_per_seat_month or fixed_month, not both"
				   : "missing fixed_per_seat_month or fixed_month");
		else if (ps) {
			get_int(v, fee, "fee", "seats", 1, 1, 100000, &c->seats);
			get_money(v, fee, "fee", "fixed_per_seat_month", 1, &c->per_seat_month_fen);
		} else {
			if (has_seats)
				get_int(v, fee, "fee", "seats", 0, 0, 100000, &c->seats);
			get_money(v, fee, "fee", "fixed_month", 1, &c->fixed_month_fen);
		}
	}
	parse_tiers(v, c, fee, l);
	if (mget(fee, "sales_basis", NULL))
		c->sales_basis = get_enum(v, fee, "fee", "sales_basis", 0, bases);
	if (mget(fee, "judge_rule", NULL))
		c->judge_rule = get_enum(v, fee, "fee", "judge_rule", 0, rules);
}

static void parse_settlement(vctx *v, kefu_contract *c, const cnode *root)
{
	static const char *const keys[] = {"mode", "due_days", NULL};
	static const char *const modes[] = {"postpay", "prepay", NULL};
	long l = root->line;
	cnode *s = mget(root, "settlement", &l);
	if (!s || s->type != N_MAP) {
		problem(v, s ? l : root->line, "settlement",
			s ? "expected {mode, due_days}" : "missing");
		return;
	}
	v->last_line = l;
	check_keys(v, s, "settlement", keys);
	c->prepay = get_enum(v, s, "settlement", "mode", 1, modes) == 1;
	get_int(v, s, "settlement", "due_days", 1, 0, 3650, &c->due_days);
}

static const char *const metric_names[] = {"first_resp_s", "avg_resp_s",     "reply_rate",
					   "conv_rate",    "three_min_rate", "sat_rate", NULL};

const char *kefu_sla_metric_name(kefu_sla_metric m)
{
	return m < KEFU_SLA_NMETRICS ? metric_names[m] : "?";
}

int kefu_sla_metric_is_rate(kefu_sla_metric m)
{
	return m != KEFU_SLA_FIRST_RESP_S && m != KEFU_SLA_AVG_RESP_S;
}

static void parse_amount(vctx *v, const cnode *r, const char *path, const char *key,
			 kefu_sla_amount *a)
{
	long l;
	const char *s = sget(v, r, path, key, 0, &l);
	char p[96];
	if (!s)
		return;
	join(p, sizeof p, path, key);
	a->present = 1;
	snprintf(a->text, sizeof a->text, "%s", s);
	const char *of = strstr(s, " of ");
	if (of) {
		const char *what = of + 4;
		if (strcmp(what, "base") && strcmp(what, "fixed")) {
			problem(v, l, p, "expected \"N%% of base\" or an amount, got '%s'", s);
			return;
		}
		if ((size_t)(of - s) < 1 || s[of - s - 1] != '%') {
			problem(v, l, p, "expected a percentage before 'of', got '%s'", s);
			return;
		}
		char pct[32];
		snprintf(pct, sizeof pct, "%.*s", (int)(of - s), s);
		a->is_pct = 1;
		check_rate(v, l, p, pct, &a->pct);
		return;
	}
	if (money_parse(s, strlen(s), &a->fen))
		problem(v, l, p, "expected \"N%% of base\" or an amount such as \"500.00\", got '%s'",
			s);
}

static void parse_sla(vctx *v, kefu_contract *c, const cnode *root)
{
	static const char *const keys[] = {"metric", "target", "penalty", "bonus", NULL};
	long l = root->line;
	cnode *list = mget(root, "sla", &l);
	if (!list || list->type == N_NULL)
		return;
	if (list->type != N_SEQ) {
		problem(v, l, "sla", "expected a list of {metric, target, penalty|bonus}");
		return;
	}
	c->sla = kefu_calloc(list->nkids + 1, sizeof *c->sla);
	if (!c->sla) {
		v->oom = 1;
		return;
	}
	for (size_t i = 0; i < list->nkids; i++) {
		const cnode *r = list->kids[i];
		char p[32];
		snprintf(p, sizeof p, "sla[%zu]", i);
		long rl = r->line ? r->line : l;
		if (r->type != N_MAP) {
			problem(v, rl, p, "expected {metric, target, penalty|bonus}");
			continue;
		}
		v->last_line = rl;
		check_keys(v, r, p, keys);
		kefu_sla_rule *rule = &c->sla[c->n_sla++];
		int m = get_enum(v, r, p, "metric", 1, metric_names);
		rule->metric = m < 0 ? KEFU_SLA_FIRST_RESP_S : (kefu_sla_metric)m;
		long tl;
		const char *t = sget(v, r, p, "target", 1, &tl);
		if (t) {
			char tp[48];
			snprintf(tp, sizeof tp, "%s.target", p);
			snprintf(rule->target_text, sizeof rule->target_text, "%s", t);
			size_t k = 0;
			if (!strncmp(t, "<=", 2))
				rule->op = KEFU_OP_LE, k = 2;
			else if (!strncmp(t, ">=", 2))
				rule->op = KEFU_OP_GE, k = 2;
			else if (t[0] == '<')
				rule->op = KEFU_OP_LT, k = 1;
			else if (t[0] == '>')
				rule->op = KEFU_OP_GT, k = 1;
			while (t[k] == ' ')
				k++;
			size_t tn = strlen(t + k);
			if (k == 0 || kefu_ratio_parse(t + k, tn, &rule->target))
				problem(v, tl, tp,
					"expected a comparison such as \"<= 20\" or \">= 35%%\", got "
					"'%s'",
					t);
			else if (m >= 0 && tn && t[k + tn - 1] == '%' &&
				 !kefu_sla_metric_is_rate((kefu_sla_metric)m))
				problem(v, tl, tp, "%s is in seconds, not a percentage",
					metric_names[m]);
			else if (m >= 0 && kefu_sla_metric_is_rate((kefu_sla_metric)m) &&
				 rule->target.num > rule->target.den)
				problem(v, tl, tp, "rate target %s is over 100%%", t + k);
		}
		parse_amount(v, r, p, "penalty", &rule->penalty);
		parse_amount(v, r, p, "bonus", &rule->bonus);
		if (!rule->penalty.present && !rule->bonus.present)
			problem(v, rl, p, "give a penalty, a bonus or both");
	}
}

static void parse_events(vctx *v, kefu_contract *c, const cnode *root)
{
	static const char *const keys[] = {"name", "from", "to", "extra_seats", "per_seat_day",
					   NULL};
	long l = root->line;
	cnode *list = mget(root, "events", &l);
	if (!list || list->type == N_NULL)
		return;
	if (list->type != N_SEQ) {
		problem(v, l, "events", "expected a list of {name, from, to, extra_seats, "
					"per_seat_day}");
		return;
	}
	c->events = kefu_calloc(list->nkids + 1, sizeof *c->events);
	if (!c->events) {
		v->oom = 1;
		return;
	}
	for (size_t i = 0; i < list->nkids; i++) {
		const cnode *e = list->kids[i];
		char p[32];
		snprintf(p, sizeof p, "events[%zu]", i);
		long el = e->line ? e->line : l;
		if (e->type != N_MAP) {
			problem(v, el, p, "expected {name, from, to, extra_seats, per_seat_day}");
			continue;
		}
		v->last_line = el;
		check_keys(v, e, p, keys);
		kefu_event *ev = &c->events[c->n_events++];
		ev->name = dup_str(v, sget(v, e, p, "name", 1, NULL));
		int ok = !get_day(v, e, p, "from", 1, &ev->from_day);
		ok &= !get_day(v, e, p, "to", 1, &ev->to_day);
		get_int(v, e, p, "extra_seats", 1, 1, 100000, &ev->extra_seats);
		get_money(v, e, p, "per_seat_day", 1, &ev->per_seat_day_fen);
		long tl = el;
		sget(v, e, p, "to", 0, &tl);
		if (ok && ev->to_day < ev->from_day) {
			char q[48];
			snprintf(q, sizeof q, "%s.to", p);
			problem(v, tl, q, "end before start");
		} else if (ok && c->end_day >= c->start_day &&
			   (ev->from_day < c->start_day || (!c->renew_auto && ev->to_day > c->end_day)))
			problem(v, el, p, "the event's dates must lie inside the term");
	}
}

static void validate(vctx *v, kefu_contract *c, const cnode *root)
{
	static const char *const keys[] = {"id",   "merchant", "shops",      "vendor", "mode",
					   "coverage", "term", "fee", "settlement", "sla", "events",
					   NULL};
	static const char *const modes[] = {"full", "partial", NULL};
	if (root->type != N_MAP) {
		problem(v, root->line ? root->line : 1, "", "expected a mapping of contract keys");
		return;
	}
	v->last_line = root->line ? root->line : 1;
	check_keys(v, root, "", keys);
	long l;
	const char *id = sget(v, root, "", "id", 1, &l);
	if (id) {
		int ok = id[0] != '\0' && strlen(id) <= 64;
		for (const char *q = id; *q; q++)
			if (!((*q >= '0' && *q <= '9') || (*q >= 'A' && *q <= 'Z') ||
			      (*q >= 'a' && *q <= 'z') || *q == '-' || *q == '_' || *q == '.'))
				ok = 0;
		if (!ok)
			problem(v, l, "id", "use 1 to 64 of A-Z a-z 0-9 - _ . (it names invoices)");
		c->id = dup_str(v, id);
	}
	c->merchant = dup_str(v, sget(v, root, "", "merchant", 1, NULL));
	c->vendor = dup_str(v, sget(v, root, "", "vendor", 1, NULL));
	cnode *shops = mget(root, "shops", &l);
	if (!shops || shops->type == N_NULL || (shops->type == N_SEQ && !shops->nkids))
		problem(v, shops ? l : v->last_line, "shops", "missing: list the contract's shops");
	else if (shops->type != N_SEQ)
		problem(v, l, "shops", "expected a list such as [s1, s2]");
	else {
		c->shops = kefu_calloc(shops->nkids, sizeof *c->shops);
		if (!c->shops)
			v->oom = 1;
		for (size_t i = 0; c->shops && i < shops->nkids; i++) {
			if (shops->kids[i]->type != N_SCALAR || !shops->kids[i]->n) {
				char p[32];
				snprintf(p, sizeof p, "shops[%zu]", i);
				problem(v, l, p, "expected a shop name");
				continue;
			}
			c->shops[c->n_shops++] = dup_str(v, shops->kids[i]->s);
		}
		if (c->shops && !v->oom) {
			qsort(c->shops, c->n_shops, sizeof *c->shops, cmp_str);
			for (size_t i = 1; i < c->n_shops; i++)
				if (!strcmp(c->shops[i], c->shops[i - 1]))
					problem(v, l, "shops", "shop '%s' listed twice", c->shops[i]);
		}
	}
	int mode = get_enum(v, root, "", "mode", 1, modes);
	c->mode = mode == 1 ? KEFU_MODE_PARTIAL : KEFU_MODE_FULL;
	if (mode >= 0)
		parse_coverage(v, c, root);
	parse_term(v, c, root);
	parse_fee(v, c, root);
	parse_settlement(v, c, root);
	parse_sla(v, c, root);
	parse_events(v, c, root);
}

void kefu_contract_free(kefu_contract *c)
{
	if (!c)
		return;
	kefu_free(c->id);
	kefu_free(c->merchant);
	kefu_free(c->vendor);
	for (size_t i = 0; i < c->n_shops; i++)
		kefu_free(c->shops[i]);
	kefu_free(c->shops);
	kefu_free(c->tiers);
	kefu_free(c->sla);
	for (size_t i = 0; i < c->n_events; i++)
		kefu_free(c->events[i].name);
	kefu_free(c->events);
	kefu_free(c);
}

/* Validates the tree; moves the problems out; returns the contract or
 * NULL. */
static int finish(kefu_contract **out, const cnode *root, const char *file,
		  kefu_contract_problems *probs, kefu_err *err)
{
	vctx v = {{0}, 0, 1};
	kefu_contract *c = kefu_calloc(1, sizeof *c);
	int rc = 0;
	*out = NULL;
	if (!c)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	validate(&v, c, root);
	if (v.oom) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	} else if (v.probs.n) {
		const kefu_contract_problem *p = &v.probs.v[0];
		kefu_err_set(err, KEFU_EPARSE, "%s%s%s%s", p->key, p->key[0] ? ": " : "", p->reason,
			     v.probs.n > 1 ? " (and more problems)" : "");
		kefu_err_at(err, file ? file : "", p->line, 0);
		rc = KEFU_EPARSE;
	}
	if (probs && v.probs.n) {
		for (size_t i = 0; i < v.probs.n; i++) {
			if (kefu_grow((void **)&probs->v, &probs->cap, probs->n + 1,
				      sizeof *probs->v))
				break;
			probs->v[probs->n++] = v.probs.v[i];
		}
	}
	kefu_free(v.probs.v);
	if (rc) {
		kefu_contract_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

static void parse_problem(kefu_contract_problems *probs, long line, const char *msg)
{
	if (probs && !kefu_grow((void **)&probs->v, &probs->cap, probs->n + 1, sizeof *probs->v)) {
		kefu_contract_problem *p = &probs->v[probs->n++];
		p->line = line;
		p->key[0] = '\0';
		snprintf(p->reason, sizeof p->reason, "%s", msg);
	}
}

/* libfyaml reports through the diag output callback as
 * "<input>:LINE:COL: error: MESSAGE"; the first error is kept. */
typedef struct yaml_diag {
	long line, col;
	char msg[256];
} yaml_diag;

static void diag_keep(struct fy_diag *d, void *user, const char *buf, size_t len)
{
	yaml_diag *yd = user;
	(void)d;
	if (yd->msg[0] || len == 0)
		return;
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%.*s", (int)(len < sizeof tmp ? len : sizeof tmp - 1), buf);
	char *e = strstr(tmp, ": error: ");
	if (!e)
		return;
	*e = '\0';
	snprintf(yd->msg, sizeof yd->msg, "%s", e + 9);
	size_t ml = strlen(yd->msg);
	while (ml && (yd->msg[ml - 1] == '\n' || yd->msg[ml - 1] == '\r'))
		yd->msg[--ml] = '\0';
	char *c2 = strrchr(tmp, ':');
	if (c2) {
		yd->col = strtol(c2 + 1, NULL, 10);
		*c2 = '\0';
		char *c1 = strrchr(tmp, ':');
		if (c1)
			yd->line = strtol(c1 + 1, NULL, 10);
	}
}

/* Offset of the first byte that is not valid UTF-8 or is a control
 * character YAML does not allow, or n. */
static size_t utf8_invalid_at(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		/* YAML's c-printable: no C0 controls but TAB, LF, CR; no DEL; no C1 but NEL */
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F ||
		    (c == 0xC2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F && s[i + 1] != 0x85))
			return i;
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		if (len == 0 || i + len > n || (len == 2 && c < 0xC2) || (len == 4 && c > 0xF4))
			return i;
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
		if ((len == 3 && c == 0xE0 && s[i + 1] < 0xA0) || (len == 3 && c == 0xED && s[i + 1] >= 0xA0) ||
		    (len == 4 && c == 0xF0 && s[i + 1] < 0x90) || (len == 4 && c == 0xF4 && s[i + 1] >= 0x90))
			return i;
		i += len;
	}
	return n;
}

int kefu_contract_parse(kefu_contract **out, const char *text, size_t n, const char *file,
			kefu_contract_problems *probs, kefu_err *err)
{
	size_t i = 0;
	cnode *root = NULL;
	int rc;
	*out = NULL;
	if (n >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		i = 3;
	size_t start = i;
	/* contracts are UTF-8 text; checked before any parser sees them (libfyaml
	 * 0.7.12 leaks on some malformed scalars with invalid bytes) */
	size_t bad = utf8_invalid_at((const unsigned char *)text, n);
	if (bad < n) {
		long ln = 1;
		for (size_t k = 0; k < bad; k++)
			ln += text[k] == '\n' || (text[k] == '\r' && text[k + 1] != '\n');
		parse_problem(probs, ln, "not valid UTF-8 text or a control character (save the contract as UTF-8)");
		kefu_err_set(err, KEFU_EPARSE, "not valid UTF-8 text or a control character (save the contract as UTF-8)");
		kefu_err_at(err, file ? file : "", ln, 0);
		return KEFU_EPARSE;
	}
	while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	if (i < n && text[i] == '{') {
		json_error_t je;
		json_t *j = json_loadb(text + start, n - start, JSON_REJECT_DUPLICATES, &je);
		if (!j) {
			parse_problem(probs, je.line, je.text);
			kefu_err_set(err, KEFU_EPARSE, "%s", je.text);
			kefu_err_at(err, file ? file : "", je.line, je.column);
			return KEFU_EPARSE;
		}
		root = from_json(j);
		json_decref(j);
		if (root)
			root->line = 1;
	} else {
		/* libfyaml 0.7.12 can loop forever scanning some malformed directives;
		 * a contract has no use for them, so a line starting with '%' is
		 * refused before the parser sees it */
		long ln = 1;
		const unsigned char *u = (const unsigned char *)text;
		for (size_t k = start; k < n; k++) {
			/* at column 0 after any YAML line break: LF, CR, NEL, LS, PS */
			int bol = k == start || u[k - 1] == '\n' || u[k - 1] == '\r' ||
				  (k >= start + 2 && u[k - 1] == 0x85 && u[k - 2] == 0xC2) ||
				  (k >= start + 3 && (u[k - 1] == 0xA8 || u[k - 1] == 0xA9) &&
				   u[k - 2] == 0x80 && u[k - 3] == 0xE2);
			if (bol && text[k] == '%') {
				const char *msg = "YAML directives (lines starting with %) are not "
						  "supported in contract files";
				parse_problem(probs, ln, msg);
				kefu_err_set(err, KEFU_EPARSE, "%s", msg);
				kefu_err_at(err, file ? file : "", ln, 1);
				return KEFU_EPARSE;
			}
			if (text[k] == '\n' || (text[k] == '\r' && (k + 1 >= n || text[k + 1] != '\n')))
				ln++;
		}
		struct fy_diag_cfg dc;
		yaml_diag yd = {0, 0, ""};
		fy_diag_cfg_default(&dc);
		dc.fp = NULL;
		dc.output_fn = diag_keep;
		dc.user = &yd;
		dc.colorize = false;
		struct fy_diag *diag = fy_diag_create(&dc);
		struct fy_parse_cfg pc = {NULL, FYPCF_QUIET, NULL, diag};
		/* line breaks normalized to LF (CRLF files from Windows editors; libfyaml
		 * 0.7.12 also fails to read back, and leaks, some scalars broken by a
		 * lone CR) */
		char *lf = kefu_malloc(n - start + 1);
		size_t m = 0;
		for (size_t k = start; lf && k < n; k++) {
			if (text[k] == '\r') {
				lf[m++] = '\n';
				if (k + 1 < n && text[k + 1] == '\n')
					k++;
			} else {
				lf[m++] = text[k];
			}
		}
		struct fy_document *doc =
			diag && lf ? fy_document_build_from_string(&pc, lf, m) : NULL;
		if (!doc) {
			long line = yd.line > 0 ? yd.line : 1;
			const char *msg = yd.msg[0] ? yd.msg : "empty, or not a YAML document";
			parse_problem(probs, line, msg);
			kefu_err_set(err, KEFU_EPARSE, "%s", msg);
			kefu_err_at(err, file ? file : "", line, yd.col);
			if (diag)
				fy_diag_destroy(diag);
			kefu_free(lf);
			return KEFU_EPARSE;
		}
		/* only a mapping can be a contract; other roots are not read at all
		 * (libfyaml 0.7.12 leaks reading back some malformed root scalars) */
		struct fy_node *rn = fy_document_root(doc);
		root = rn && fy_node_get_type(rn) == FYNT_MAPPING ? from_fy(rn, 1)
								   : cnode_new(N_SEQ, 1);
		fy_document_destroy(doc);
		kefu_free(lf);
		fy_diag_destroy(diag);
	}
	if (!root)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	rc = finish(out, root, file, probs, err);
	cnode_free(root);
	return rc;
}

int kefu_contract_from_json(kefu_contract **out, const void *json, kefu_contract_problems *probs,
			    kefu_err *err)
{
	*out = NULL;
	cnode *root = from_json((const json_t *)json);
	if (!root)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	int rc = finish(out, root, NULL, probs, err);
	cnode_free(root);
	return rc;
}

/* -------------------------------------------------------------- queries */

int64_t kefu_contract_term_end(const kefu_contract *c, int64_t day)
{
	if (!c->renew_auto || c->months <= 0 || day <= c->end_day)
		return c->end_day;
	/* whole terms after the first: start + k*months */
	int64_t y0, y1;
	unsigned m0, m1, d0, d1;
	kefu_civil_from_days(c->start_day, &y0, &m0, &d0);
	kefu_civil_from_days(day, &y1, &m1, &d1);
	int64_t k = ((y1 - y0) * 12 + (int64_t)m1 - (int64_t)m0) / c->months;
	if (k < 1)
		k = 1;
	for (;; k++) {
		int64_t end = kefu_add_months(c->start_day, (int)((k + 1) * c->months)) - 1;
		if (end >= day)
			return end;
	}
}

int kefu_contract_active(const kefu_contract *c, int64_t day)
{
	if (day < c->start_day)
		return 0;
	return c->renew_auto || day <= c->end_day;
}

int kefu_contract_covers(const kefu_contract *c, int32_t sod)
{
	if (c->mode == KEFU_MODE_FULL)
		return 1;
	for (size_t i = 0; i < c->n_cov; i++) {
		int32_t a = c->cov_start[i], b = c->cov_end[i];
		if (a < b ? (sod >= a && sod < b) : (sod >= a || sod < b))
			return 1;
	}
	return 0;
}
