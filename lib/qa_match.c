/*
 * qa_match.c - the text matcher of quality inspection: every keyword,
 * exception phrase and regular expression of a rule set compiled once, per
 * side, into one Vectorscan database, so a message is read in one pass
 * whatever the number of patterns (docs/QUALITY.md).
 *
 * Keywords and exceptions are literals whose ASCII letters match either
 * case (Latin case folding; other characters match themselves), reported
 * with their start (SOM_LEFTMOST). A regex is compiled as a single-match pattern: Vectorscan
 * only says whether the message may match, and PCRE2 (JIT) then finds the
 * exact spans with PCRE2 semantics, on those messages only. Regexes
 * Vectorscan cannot express exactly are compiled in prefilter mode (a
 * superset, PCRE2 confirms); the few it cannot take at all run through
 * PCRE2 alone on every message of their side. Also here: the reference
 * matcher (one PCRE2 pattern at a time) that the tests compare against,
 * and the naive strstr-style loop the benchmark measures.
 */
#include "kefu/qa.h"

#include <hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

enum { PAT_LIT = 0, PAT_RE = 1 };
enum { ROLE_HIT = 0, ROLE_EXCEPT = 1 };

typedef struct owner {
	uint32_t rule;
	uint8_t role;
	uint8_t side;
} owner;

typedef struct pattern {
	char *text; /* the phrase or the regex source */
	uint8_t type;
	uint8_t sides;  /* bit per side */
	uint8_t mode;   /* 0 exact in HS, 1 prefilter in HS, 2 PCRE2 only */
	uint8_t edges;  /* literals: literal_edges() */
	owner *own;
	size_t n_own, cap_own;
	pcre2_code *re; /* regexes */
} pattern;

struct kefu_qa_matcher {
	pattern *pat;
	size_t n_pat, cap_pat;
	hs_database_t *db[2];      /* per side; NULL when the side has no HS pattern */
	uint32_t *pcre_only[2];    /* per side: regex patterns run by PCRE2 alone */
	size_t n_pcre_only[2];
	size_t n_rules;
	kefu_qa_matcher_info info;
};

typedef struct raw_match {
	uint32_t pat, from, to;
} raw_match;

/* A candidate or exception span of one rule. */
typedef struct span {
	uint32_t rule, start, end;
} span;

struct kefu_qa_scratch {
	const kefu_qa_matcher *m;
	hs_scratch_t *hs;
	pcre2_match_data *md;
	raw_match *raw;
	size_t n_raw, cap_raw;
	int oom;
	span *cand, *exc;
	size_t n_cand, cap_cand, n_exc, cap_exc;
	kefu_qa_match *out;
	size_t cap_out;
	char *fixed; /* a copy of invalid UTF-8 text with bad bytes as '?' */
	size_t cap_fixed;
};

/* ------------------------------------------------------------ helpers */

/* Text to scan: the message itself when valid UTF-8, else a copy in the
 * scratch with every invalid byte replaced by '?' (same offsets). */
static const char *utf8_safe(kefu_qa_scratch *s, const char *text, size_t n)
{
	const unsigned char *u = (const unsigned char *)text;
	size_t i = 0;
	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = kefu_utf8_char(u, n, i);
		if (!k)
			break;
		i += k;
	}
	if (i == n)
		return text;
	if (kefu_grow((void **)&s->fixed, &s->cap_fixed, n + 1, 1))
		return NULL;
	memcpy(s->fixed, text, n);
	while (i < n) {
		size_t k = u[i] < 0x80 ? 1 : kefu_utf8_char(u, n, i);
		if (!k) {
			s->fixed[i] = '?';
			k = 1;
		}
		i += k;
	}
	return s->fixed;
}

static size_t utf8_char_len(const char *p, size_t n, size_t i)
{
	size_t k = 1;
	while (i + k < n && ((unsigned char)p[i + k] & 0xc0) == 0x80)
		k++;
	return k;
}

static int cmp_span_rule(const void *a, const void *b)
{
	const span *x = a, *y = b;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1; /* longer first */
	return 0;
}

static int cmp_match_out(const void *a, const void *b)
{
	const kefu_qa_match *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return 0;
}

static int push_span(span **a, size_t *n, size_t *cap, uint32_t rule, uint32_t s, uint32_t e)
{
	if (kefu_grow((void **)a, cap, *n + 1, sizeof **a))
		return KEFU_ENOMEM;
	(*a)[(*n)++] = (span){rule, s, e};
	return 0;
}

/*
 * The hit semantics shared by both matchers: a candidate is cancelled by an
 * exception span of its rule that covers it; of the remaining candidates of
 * one rule, one contained in another (or equal to it) is dropped. Output
 * sorted by start, end, rule.
 */
static int filter_spans(span *cand, size_t n_cand, span *exc, size_t n_exc, kefu_qa_match **out,
			size_t *n_out, size_t *cap_out)
{
	if (n_cand > 1)
		qsort(cand, n_cand, sizeof *cand, cmp_span_rule);
	if (n_exc > 1)
		qsort(exc, n_exc, sizeof *exc, cmp_span_rule);
	size_t n = 0, e0 = 0;
	uint32_t cur_rule = UINT32_MAX, max_end = 0;
	int have = 0;
	for (size_t i = 0; i < n_cand; i++) {
		const span *c = &cand[i];
		if (c->rule != cur_rule) {
			cur_rule = c->rule;
			have = 0;
			while (e0 < n_exc && exc[e0].rule < c->rule)
				e0++;
		}
		int cancelled = 0;
		for (size_t e = e0; e < n_exc && exc[e].rule == c->rule && exc[e].start <= c->start; e++)
			if (exc[e].end >= c->end) {
				cancelled = 1;
				break;
			}
		if (cancelled)
			continue;
		if (have && c->end <= max_end)
			continue; /* inside a kept hit of this rule (same or earlier start) */
		if (kefu_grow((void **)out, cap_out, n + 1, sizeof **out))
			return KEFU_ENOMEM;
		(*out)[n++] = (kefu_qa_match){c->rule, c->start, c->end};
		if (!have || c->end > max_end)
			max_end = c->end;
		have = 1;
	}
	if (n > 1)
		qsort(*out, n, sizeof **out, cmp_match_out);
	*n_out = n;
	return 0;
}

/* ----------------------------------------------------------- building */

static void pattern_clear(pattern *p)
{
	kefu_free(p->text);
	kefu_free(p->own);
	pcre2_code_free(p->re);
}

void kefu_qa_matcher_free(kefu_qa_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_pat; i++)
		pattern_clear(&m->pat[i]);
	kefu_free(m->pat);
	for (int s = 0; s < 2; s++) {
		hs_free_database(m->db[s]);
		kefu_free(m->pcre_only[s]);
	}
	kefu_free(m);
}

/* Index of the pattern (type, text), added when new. Linear probing over a
 * temporary hash index. */
typedef struct pat_index {
	uint32_t *slot; /* pattern index + 1; 0 = empty */
	size_t cap;
} pat_index;

static uint8_t literal_edges(const char *lit);

static int pat_find_or_add(kefu_qa_matcher *m, pat_index *ix, int type, const char *text,
			   uint32_t *out)
{
	uint64_t h = kefu_hash_bytes(text, strlen(text)) ^ (uint64_t)type * 0x9e3779b97f4a7c15ULL;
	size_t i = (size_t)h & (ix->cap - 1);
	while (ix->slot[i]) {
		pattern *p = &m->pat[ix->slot[i] - 1];
		if (p->type == type && !strcmp(p->text, text)) {
			*out = ix->slot[i] - 1;
			return 0;
		}
		i = (i + 1) & (ix->cap - 1);
	}
	if (kefu_grow((void **)&m->pat, &m->cap_pat, m->n_pat + 1, sizeof *m->pat))
		return KEFU_ENOMEM;
	pattern *p = &m->pat[m->n_pat];
	memset(p, 0, sizeof *p);
	p->type = (uint8_t)type;
	p->edges = type == PAT_LIT ? literal_edges(text) : 0;
	if (!(p->text = kefu_strndup(text, strlen(text))))
		return KEFU_ENOMEM;
	ix->slot[i] = (uint32_t)++m->n_pat;
	*out = (uint32_t)(m->n_pat - 1);
	return 0;
}

static int add_owner(pattern *p, uint32_t rule, int role, int side)
{
	for (size_t i = 0; i < p->n_own; i++)
		if (p->own[i].rule == rule && p->own[i].role == role)
			return 0;
	if (kefu_grow((void **)&p->own, &p->cap_own, p->n_own + 1, sizeof *p->own))
		return KEFU_ENOMEM;
	p->own[p->n_own++] = (owner){rule, (uint8_t)role, (uint8_t)side};
	p->sides |= (uint8_t)(1u << side);
	return 0;
}

/* Full-width forms (U+FF01..U+FF5E, and U+3000 for the space) are how
 * chat text writes ASCII to slip past filters (ＶＸ for VX): a keyword
 * matches either width, whichever width the rule file wrote it in. */

/* The ASCII character a full-width character at p stands for, or 0. */
static unsigned fullwidth_ascii(const unsigned char *p, size_t n)
{
	if (n < 3)
		return 0;
	if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
		return ' ';
	if (p[0] != 0xEF)
		return 0;
	if (p[1] == 0xBC && p[2] >= 0x81 && p[2] <= 0xBF)
		return p[2] - 0x60u; /* U+FF01.. -> '!'.. */
	if (p[1] == 0xBD && p[2] >= 0x80 && p[2] <= 0x9E)
		return p[2] - 0x20u; /* U+FF40.. -> '`'.. */
	return 0;
}

static int ascii_letter(unsigned c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* Latin edges of a literal: bit 1 when it starts with a letter, bit 2 when
 * it ends with one (either width). Such an edge must not touch another
 * letter in the text: `sb` is not in `usb`, while `VX` is in `加VX123`. */
static uint8_t literal_edges(const char *lit)
{
	const unsigned char *u = (const unsigned char *)lit;
	size_t n = strlen(lit);
	uint8_t e = 0;
	if (n && (ascii_letter(u[0]) || ascii_letter(fullwidth_ascii(u, n))))
		e |= 1;
	if (n && (ascii_letter(u[n - 1]) || (n >= 3 && ascii_letter(fullwidth_ascii(u + n - 3, 3)))))
		e |= 2;
	return e;
}

/* 1 when a match [from, to) of a literal with these edges stands alone. */
static int edges_ok(const char *text, size_t n, uint32_t from, uint32_t to, uint8_t edges)
{
	const unsigned char *t = (const unsigned char *)text;
	if ((edges & 1) && from > 0 &&
	    (ascii_letter(t[from - 1]) ||
	     (from >= 3 && ascii_letter(fullwidth_ascii(t + from - 3, 3)))))
		return 0;
	if ((edges & 2) && to < n &&
	    (ascii_letter(t[to]) || ascii_letter(fullwidth_ascii(t + to, n - to))))
		return 0;
	return 1;
}

static size_t put_utf8(char *out, unsigned cp)
{
	out[0] = (char)(0xE0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[2] = (char)(0x80 | (cp & 0x3F));
	return 3;
}

/* A literal as an expression for Vectorscan and PCRE2 alike: every ASCII
 * character (written in either width) as a class of its half- and
 * full-width forms, letters in both cases ([xXｘＸ]: Latin case folding,
 * the same in both engines whatever their Unicode tables), other UTF-8
 * sequences kept (they match themselves only). */
static char *hs_escape(const char *lit)
{
	size_t n = strlen(lit);
	char *out = kefu_malloc(n * 12 + 1);
	if (!out)
		return NULL;
	size_t k = 0;
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)lit;
	for (size_t i = 0; i < n; i++) {
		unsigned c = u[i], fw = fullwidth_ascii(u + i, n - i);
		if (fw) {
			c = fw;
			i += 2;
		}
		if (c >= 0x80) {
			out[k++] = (char)c;
		} else if (c < 0x20 || c == 0x7F) {
			out[k++] = '\\';
			out[k++] = 'x';
			out[k++] = hex[c >> 4];
			out[k++] = hex[c & 15];
		} else {
			out[k++] = '[';
			if (ascii_letter(c)) {
				out[k++] = (char)(c | 0x20);
				out[k++] = (char)(c & ~0x20u);
				k += put_utf8(out + k, (c | 0x20) + 0xFEE0);
				k += put_utf8(out + k, (c & ~0x20u) + 0xFEE0);
			} else {
				out[k++] = '\\';
				out[k++] = 'x';
				out[k++] = hex[c >> 4];
				out[k++] = hex[c & 15];
				k += put_utf8(out + k, c == ' ' ? 0x3000 : c + 0xFEE0);
			}
			out[k++] = ']';
		}
	}
	out[k] = '\0';
	return out;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Compiles the side's HS patterns, demoting regexes Vectorscan rejects:
 * exact -> prefilter -> PCRE2 only. */
static int compile_side(kefu_qa_matcher *m, int side, kefu_err *err)
{
	size_t cnt = 0;
	for (size_t i = 0; i < m->n_pat; i++)
		if (m->pat[i].sides & (1u << side))
			cnt++;
	if (!cnt)
		return 0;
	size_t po_cap = 0;
	char **expr = kefu_calloc(cnt, sizeof *expr);
	unsigned *flags = kefu_calloc(cnt, sizeof *flags);
	unsigned *ids = kefu_calloc(cnt, sizeof *ids);
	int rc = 0;
	if (!expr || !flags || !ids) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto done;
	}
	for (;;) {
		size_t k = 0;
		for (size_t i = 0; i < cnt; i++)
			kefu_free(expr[i]);
		memset(expr, 0, cnt * sizeof *expr);
		for (size_t i = 0; i < m->n_pat; i++) {
			pattern *p = &m->pat[i];
			if (!(p->sides & (1u << side)) || p->mode == 2)
				continue;
			if (p->type == PAT_LIT) {
				expr[k] = hs_escape(p->text);
				flags[k] = HS_FLAG_UTF8 | HS_FLAG_SOM_LEFTMOST;
			} else {
				expr[k] = kefu_strndup(p->text, strlen(p->text));
				flags[k] = HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_SINGLEMATCH |
					   HS_FLAG_ALLOWEMPTY | (p->mode == 1 ? HS_FLAG_PREFILTER : 0);
			}
			if (!expr[k]) {
				rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
				goto done;
			}
			ids[k] = (unsigned)i;
			k++;
		}
		if (!k)
			break;
		hs_compile_error_t *ce = NULL;
		hs_database_t *db = NULL;
		if (hs_compile_multi((const char *const *)expr, flags, ids, (unsigned)k, HS_MODE_BLOCK,
				     NULL, &db, &ce) == HS_SUCCESS) {
			m->db[side] = db;
			break;
		}
		int at = ce ? ce->expression : -1;
		char why[256];
		snprintf(why, sizeof why, "%s", ce && ce->message ? ce->message : "unknown error");
		hs_free_compile_error(ce);
		if (at < 0 || (size_t)at >= k || m->pat[ids[at]].type != PAT_RE) {
			rc = kefu_err_set(err, KEFU_EINVAL, "Vectorscan cannot compile the rule set: %s%s%s",
					  why, at >= 0 && (size_t)at < k ? " in " : "",
					  at >= 0 && (size_t)at < k ? m->pat[ids[at]].text : "");
			goto done;
		}
		m->pat[ids[at]].mode++; /* exact -> prefilter -> PCRE2 only */
	}
	for (size_t i = 0; i < m->n_pat; i++) {
		pattern *p = &m->pat[i];
		if (!(p->sides & (1u << side)) || p->mode != 2)
			continue;
		if (kefu_grow((void **)&m->pcre_only[side], &po_cap, m->n_pcre_only[side] + 1,
			      sizeof(uint32_t))) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto done;
		}
		m->pcre_only[side][m->n_pcre_only[side]++] = (uint32_t)i;
	}
done:
	if (expr)
		for (size_t i = 0; i < cnt; i++)
			kefu_free(expr[i]);
	kefu_free(expr);
	kefu_free(flags);
	kefu_free(ids);
	return rc;
}

static pcre2_code *compile_pcre(const char *pat, uint32_t extra, kefu_err *err)
{
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP | extra, &ec, &eo, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof msg);
		kefu_err_set(err, KEFU_EPARSE, "invalid regular expression '%s' at offset %zu: %s", pat,
			     (size_t)eo, (const char *)msg);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* without JIT it still works */
	return re;
}

int kefu_qa_matcher_new(kefu_qa_matcher **out, const kefu_qa_rules *rs, kefu_err *err)
{
	*out = NULL;
	double t0 = now_s();
	kefu_qa_matcher *m = kefu_calloc(1, sizeof *m);
	pat_index ix = {NULL, 0};
	int rc = 0;
	if (!m)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	m->n_rules = rs->n;
	size_t total = 0;
	for (size_t r = 0; r < rs->n; r++)
		total += rs->r[r].n_words + rs->r[r].n_except + 1;
	ix.cap = 16;
	while (ix.cap < total * 2)
		ix.cap <<= 1;
	ix.slot = kefu_calloc(ix.cap, sizeof *ix.slot);
	if (!ix.slot) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t r = 0; r < rs->n; r++) {
		const kefu_qa_rule *ru = &rs->r[r];
		if (ru->kind != KEFU_QA_KEYWORDS && ru->kind != KEFU_QA_REGEX)
			continue;
		uint32_t pi;
		for (size_t w = 0; w < ru->n_words; w++)
			if (pat_find_or_add(m, &ix, PAT_LIT, ru->words[w], &pi) ||
			    add_owner(&m->pat[pi], (uint32_t)r, ROLE_HIT, ru->side))
				goto oom;
		for (size_t w = 0; w < ru->n_except; w++)
			if (pat_find_or_add(m, &ix, PAT_LIT, ru->except[w], &pi) ||
			    add_owner(&m->pat[pi], (uint32_t)r, ROLE_EXCEPT, ru->side))
				goto oom;
		if (ru->kind == KEFU_QA_REGEX && ru->pattern) {
			if (pat_find_or_add(m, &ix, PAT_RE, ru->pattern, &pi) ||
			    add_owner(&m->pat[pi], (uint32_t)r, ROLE_HIT, ru->side))
				goto oom;
			if (!m->pat[pi].re && !(m->pat[pi].re = compile_pcre(ru->pattern, 0, err))) {
				rc = KEFU_EPARSE;
				goto fail;
			}
		}
	}
	for (int side = 0; side < 2; side++)
		if ((rc = compile_side(m, side, err)))
			goto fail;
	kefu_free(ix.slot);
	m->info.patterns = m->n_pat;
	for (size_t i = 0; i < m->n_pat; i++) {
		if (m->pat[i].mode < 2)
			m->info.hs_patterns++;
		if (m->pat[i].mode == 1)
			m->info.hs_prefilter++;
		if (m->pat[i].mode == 2)
			m->info.pcre_only++;
	}
	m->info.compile_s = now_s() - t0;
	*out = m;
	return 0;
oom:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
fail:
	kefu_free(ix.slot);
	kefu_qa_matcher_free(m);
	return rc;
}

void kefu_qa_matcher_get_info(const kefu_qa_matcher *m, kefu_qa_matcher_info *info)
{
	*info = m->info;
}

int kefu_qa_scratch_new(kefu_qa_scratch **out, const kefu_qa_matcher *m, kefu_err *err)
{
	*out = NULL;
	kefu_qa_scratch *s = kefu_calloc(1, sizeof *s);
	if (!s)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	s->m = m;
	for (int side = 0; side < 2; side++)
		if (m->db[side] && hs_alloc_scratch(m->db[side], &s->hs) != HS_SUCCESS) {
			kefu_qa_scratch_free(s);
			return kefu_err_set(err, KEFU_ENOMEM, "cannot allocate Vectorscan scratch");
		}
	s->md = pcre2_match_data_create(32, NULL);
	if (!s->md) {
		kefu_qa_scratch_free(s);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

void kefu_qa_scratch_free(kefu_qa_scratch *s)
{
	if (!s)
		return;
	hs_free_scratch(s->hs);
	pcre2_match_data_free(s->md);
	kefu_free(s->raw);
	kefu_free(s->cand);
	kefu_free(s->exc);
	kefu_free(s->out);
	kefu_free(s->fixed);
	kefu_free(s);
}

/* -------------------------------------------------------------- scan */

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	(void)flags;
	kefu_qa_scratch *s = ctx;
	if (kefu_grow((void **)&s->raw, &s->cap_raw, s->n_raw + 1, sizeof *s->raw)) {
		s->oom = 1;
		return 1; /* stop */
	}
	s->raw[s->n_raw++] = (raw_match){id, (uint32_t)from, (uint32_t)to};
	return 0;
}

/* All non-overlapping PCRE2 matches of a regex pattern (global matching as
 * pcre2_substitute does it), as candidates of its owners on this side. */
static int regex_spans(kefu_qa_scratch *s, const pattern *p, int side, const char *text,
		       size_t n)
{
	PCRE2_SIZE start = 0;
	while (start <= n) {
		int r = pcre2_match(p->re, (PCRE2_SPTR)text, n, start, PCRE2_NO_UTF_CHECK, s->md, NULL);
		if (r < 0)
			break;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
		size_t a = ov[0], b = ov[1];
		if (b > a)
			for (size_t o = 0; o < p->n_own; o++)
				if (p->own[o].side == side &&
				    push_span(&s->cand, &s->n_cand, &s->cap_cand, p->own[o].rule,
					      (uint32_t)a, (uint32_t)b))
					return KEFU_ENOMEM;
		start = b > a ? b : b + (b < n ? utf8_char_len(text, n, b) : 1);
	}
	return 0;
}

int kefu_qa_scan(kefu_qa_scratch *s, kefu_qa_side side, const char *text, size_t n,
		 const kefu_qa_match **hits, size_t *nhits, kefu_err *err)
{
	const kefu_qa_matcher *m = s->m;
	*hits = NULL;
	*nhits = 0;
	s->n_raw = s->n_cand = s->n_exc = 0;
	s->oom = 0;
	if ((unsigned)side > 1 || n > UINT32_MAX)
		return kefu_err_set(err, KEFU_EINVAL, "scan: bad side or message too long");
	if (!m->db[side] && !m->n_pcre_only[side])
		return 0;
	const char *t = utf8_safe(s, text, n);
	if (!t)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	if (m->db[side]) {
		hs_error_t e = hs_scan(m->db[side], n ? t : "", (unsigned)n, 0, s->hs, on_match, s);
		if (s->oom)
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
			return kefu_err_set(err, KEFU_EINVAL, "Vectorscan scan failed (%d)", (int)e);
	}
	for (size_t i = 0; i < s->n_raw; i++) {
		const raw_match *r = &s->raw[i];
		const pattern *p = &m->pat[r->pat];
		if (p->type == PAT_RE) {
			if (regex_spans(s, p, side, t, n))
				return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			continue;
		}
		if (p->edges && !edges_ok(t, n, r->from, r->to, p->edges))
			continue; /* a Latin keyword inside a longer word */
		for (size_t o = 0; o < p->n_own; o++) {
			if (p->own[o].side != side)
				continue;
			int rc = p->own[o].role == ROLE_HIT
					 ? push_span(&s->cand, &s->n_cand, &s->cap_cand, p->own[o].rule,
						     r->from, r->to)
					 : push_span(&s->exc, &s->n_exc, &s->cap_exc, p->own[o].rule,
						     r->from, r->to);
			if (rc)
				return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		}
	}
	for (size_t i = 0; i < m->n_pcre_only[side]; i++)
		if (regex_spans(s, &m->pat[m->pcre_only[side][i]], side, t, n))
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	if (!s->n_cand)
		return 0;
	if (filter_spans(s->cand, s->n_cand, s->exc, s->n_exc, &s->out, nhits, &s->cap_out))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	*hits = s->out;
	return 0;
}

/* --------------------------------------------------------- reference */

/* The reference: per rule, one compiled PCRE2 pattern per keyword, per
 * exception and for the regex, each run on its own. */
typedef struct ref_rule {
	pcre2_code **words, **exc, *re;
} ref_rule;

struct kefu_qa_reference {
	const kefu_qa_rules *rs;
	ref_rule *r;
	pcre2_match_data *md;
	span *cand, *exc;
	size_t cap_cand, cap_exc;
	char *fixed;
	size_t cap_fixed;
};

void kefu_qa_reference_free(kefu_qa_reference *ref)
{
	if (!ref)
		return;
	for (size_t i = 0; ref->r && i < ref->rs->n; i++) {
		for (size_t w = 0; ref->r[i].words && w < ref->rs->r[i].n_words; w++)
			pcre2_code_free(ref->r[i].words[w]);
		for (size_t w = 0; ref->r[i].exc && w < ref->rs->r[i].n_except; w++)
			pcre2_code_free(ref->r[i].exc[w]);
		kefu_free(ref->r[i].words);
		kefu_free(ref->r[i].exc);
		pcre2_code_free(ref->r[i].re);
	}
	kefu_free(ref->r);
	pcre2_match_data_free(ref->md);
	kefu_free(ref->cand);
	kefu_free(ref->exc);
	kefu_free(ref->fixed);
	kefu_free(ref);
}

static pcre2_code *compile_literal(const char *lit, kefu_err *err)
{
	char *esc = hs_escape(lit);
	if (!esc) {
		kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		return NULL;
	}
	pcre2_code *re = compile_pcre(esc, 0, err);
	kefu_free(esc);
	return re;
}

int kefu_qa_reference_new(kefu_qa_reference **out, const kefu_qa_rules *rs, kefu_err *err)
{
	*out = NULL;
	kefu_qa_reference *ref = kefu_calloc(1, sizeof *ref);
	if (!ref)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	ref->rs = rs;
	ref->r = kefu_calloc(rs->n + 1, sizeof *ref->r);
	ref->md = pcre2_match_data_create(32, NULL);
	if (!ref->r || !ref->md)
		goto oom;
	for (size_t i = 0; i < rs->n; i++) {
		const kefu_qa_rule *ru = &rs->r[i];
		ref_rule *rr = &ref->r[i];
		if (ru->kind != KEFU_QA_KEYWORDS && ru->kind != KEFU_QA_REGEX)
			continue;
		rr->words = kefu_calloc(ru->n_words + 1, sizeof *rr->words);
		rr->exc = kefu_calloc(ru->n_except + 1, sizeof *rr->exc);
		if (!rr->words || !rr->exc)
			goto oom;
		for (size_t w = 0; w < ru->n_words; w++)
			if (!(rr->words[w] = compile_literal(ru->words[w], err)))
				goto fail;
		for (size_t w = 0; w < ru->n_except; w++)
			if (!(rr->exc[w] = compile_literal(ru->except[w], err)))
				goto fail;
		if (ru->kind == KEFU_QA_REGEX && !(rr->re = compile_pcre(ru->pattern, 0, err)))
			goto fail;
	}
	*out = ref;
	return 0;
oom:
	kefu_err_set(err, KEFU_ENOMEM, "out of memory");
fail:
	kefu_qa_reference_free(ref);
	return err->code ? err->code : KEFU_ENOMEM;
}

/* Every occurrence of a literal (overlapping ones too). */
static int ref_literal(kefu_qa_reference *ref, const pcre2_code *re, uint8_t edges,
		       const char *t, size_t n, uint32_t rule, span **a, size_t *na, size_t *cap)
{
	PCRE2_SIZE start = 0;
	while (start < n) {
		if (pcre2_match(re, (PCRE2_SPTR)t, n, start, PCRE2_NO_UTF_CHECK, ref->md, NULL) < 0)
			break;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ref->md);
		if (edges_ok(t, n, (uint32_t)ov[0], (uint32_t)ov[1], edges) &&
		    push_span(a, na, cap, rule, (uint32_t)ov[0], (uint32_t)ov[1]))
			return KEFU_ENOMEM;
		start = ov[0] + utf8_char_len(t, n, ov[0]);
	}
	return 0;
}

int kefu_qa_scan_reference(kefu_qa_reference *ref, kefu_qa_side side, const char *text,
			   size_t n, kefu_qa_match **hits, size_t *nhits, size_t *cap,
			   kefu_err *err)
{
	const kefu_qa_rules *rs = ref->rs;
	size_t nc = 0, ne = 0;
	int rc = 0;
	*nhits = 0;
	kefu_qa_scratch tmp;
	memset(&tmp, 0, sizeof tmp);
	tmp.fixed = ref->fixed;
	tmp.cap_fixed = ref->cap_fixed;
	const char *t = utf8_safe(&tmp, text, n);
	ref->fixed = tmp.fixed;
	ref->cap_fixed = tmp.cap_fixed;
	if (!t)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	for (size_t r = 0; !rc && r < rs->n; r++) {
		const kefu_qa_rule *ru = &rs->r[r];
		const ref_rule *rr = &ref->r[r];
		if ((ru->kind != KEFU_QA_KEYWORDS && ru->kind != KEFU_QA_REGEX) || ru->side != side)
			continue;
		for (size_t w = 0; !rc && w < ru->n_words; w++)
			rc = ref_literal(ref, rr->words[w], literal_edges(ru->words[w]), t, n,
					 (uint32_t)r, &ref->cand, &nc, &ref->cap_cand);
		for (size_t w = 0; !rc && w < ru->n_except; w++)
			rc = ref_literal(ref, rr->exc[w], literal_edges(ru->except[w]), t, n,
					 (uint32_t)r, &ref->exc, &ne, &ref->cap_exc);
		if (!rc && rr->re) {
			pattern p;
			memset(&p, 0, sizeof p);
			owner o = {(uint32_t)r, ROLE_HIT, (uint8_t)side};
			p.own = &o;
			p.n_own = 1;
			p.re = rr->re;
			kefu_qa_scratch s;
			memset(&s, 0, sizeof s);
			s.md = ref->md;
			s.cand = ref->cand;
			s.n_cand = nc;
			s.cap_cand = ref->cap_cand;
			rc = regex_spans(&s, &p, side, t, n);
			ref->cand = s.cand;
			nc = s.n_cand;
			ref->cap_cand = s.cap_cand;
		}
	}
	if (rc)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	if (nc && filter_spans(ref->cand, nc, ref->exc, ne, hits, nhits, cap))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	return 0;
}
