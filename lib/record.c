/*
 * record.c - small helpers around the typed input rows: kind names, the
 * exact money parser and formatter (fen, never through a double), and key
 * normalisation (trimming, the "cntaobao" prefix of chat peers).
 */
#include "kefu/record.h"

#include <string.h>

static const char *const kind_names[KEFU_KIND_COUNT] = {
	NULL, "messages", "orders", "ratings", "evals", "agents", "presence",
};
static const char *const kind_singular[KEFU_KIND_COUNT] = {
	NULL, "message", "order", "rating", "eval", "agent", "presence",
};

const char *kefu_kind_name(kefu_kind k)
{
	if ((int)k <= (int)KEFU_KIND_NONE || (int)k >= (int)KEFU_KIND_COUNT)
		return NULL;
	return kind_names[k];
}

kefu_kind kefu_kind_parse(const char *s)
{
	if (!s)
		return KEFU_KIND_NONE;
	for (int k = KEFU_KIND_NONE + 1; k < KEFU_KIND_COUNT; k++) {
		if (strcmp(s, kind_names[k]) == 0 || strcmp(s, kind_singular[k]) == 0)
			return (kefu_kind)k;
	}
	return KEFU_KIND_NONE;
}

/* 10^9 yuan in fen: the largest accepted amount. */
#define MONEY_MAX_FEN ((int64_t)1000000000 * 100)

int kefu_money_parse(const char *s, size_t n, int64_t *fen, kefu_err *err)
{
	kefu_str t = kefu_str_trim((kefu_str){s, n});
	const char *p = t.p, *e = t.p + t.n;
	int neg = 0;
	if (p == e)
		return kefu_err_set(err, KEFU_EPARSE, "empty amount");
	if (*p == '-') {
		neg = 1;
		p++;
	}
	/* integer part: at least one digit */
	int64_t yuan = 0;
	int big = 0;
	const char *d0 = p;
	while (p < e && *p >= '0' && *p <= '9') {
		if (yuan > MONEY_MAX_FEN)
			big = 1; /* keep scanning for syntax, value already too large */
		else
			yuan = yuan * 10 + (*p - '0');
		p++;
	}
	if (p == d0)
		return kefu_err_set(err, KEFU_EPARSE, "not a number: '%.*s'",
				    (int)(t.n > 40 ? 40 : t.n), t.p);
	int64_t cents = 0;
	if (p < e && *p == '.') {
		p++;
		const char *f0 = p;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
		size_t nd = (size_t)(p - f0);
		if (p != e || nd == 0)
			return kefu_err_set(err, KEFU_EPARSE, "not a number: '%.*s'",
					    (int)(t.n > 40 ? 40 : t.n), t.p);
		if (nd > 2)
			return kefu_err_set(err, KEFU_EPARSE,
					    "more than 2 decimals: '%.*s'",
					    (int)(t.n > 40 ? 40 : t.n), t.p);
		cents = (f0[0] - '0') * 10 + (nd == 2 ? f0[1] - '0' : 0);
	}
	if (p != e)
		return kefu_err_set(err, KEFU_EPARSE, "not a number: '%.*s'",
				    (int)(t.n > 40 ? 40 : t.n), t.p);
	if (neg)
		return kefu_err_set(err, KEFU_EPARSE, "negative amount: '%.*s'",
				    (int)(t.n > 40 ? 40 : t.n), t.p);
	if (big || yuan > MONEY_MAX_FEN / 100)
		return kefu_err_set(err, KEFU_EPARSE, "amount above 10^9 yuan");
	int64_t v = yuan * 100 + cents;
	if (v > MONEY_MAX_FEN)
		return kefu_err_set(err, KEFU_EPARSE, "amount above 10^9 yuan");
	*fen = v;
	return 0;
}

void kefu_money_format(int64_t fen, char *buf)
{
	/* magnitude as unsigned so that INT64_MIN works too */
	uint64_t m = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
	char tmp[32];
	size_t n = 0;
	unsigned cents = (unsigned)(m % 100);
	uint64_t yuan = m / 100;
	tmp[n++] = (char)('0' + cents % 10);
	tmp[n++] = (char)('0' + cents / 10);
	tmp[n++] = '.';
	do {
		tmp[n++] = (char)('0' + (unsigned)(yuan % 10));
		yuan /= 10;
	} while (yuan);
	if (fen < 0)
		tmp[n++] = '-';
	size_t o = 0;
	while (n)
		buf[o++] = tmp[--n];
	buf[o] = '\0';
}

kefu_str kefu_str_trim(kefu_str s)
{
	while (s.n && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.n--;
	}
	while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

kefu_str kefu_str_strip_cntaobao(kefu_str s)
{
	static const char pfx[] = "cntaobao";
	const size_t k = sizeof pfx - 1;
	if (s.n >= k && memcmp(s.p, pfx, k) == 0) {
		s.p += k;
		s.n -= k;
	}
	return s;
}
