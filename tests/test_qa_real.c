/*
 * test_qa_real.c - quality inspection on real data: the 广告法, abuse and
 * LDNOOBW word lists of shared/data/zh_forbidden_words run over the real
 * Taobao service chat of shared/data/zh_taobao_ecd_sample (100 contexts,
 * buyer and seller turns alternating, plus 10 candidate seller replies
 * each). Checks the compiled matcher against the one-pattern reference on
 * every message, the hit counts per 1,000 messages recorded in
 * docs/QUALITY.md, and that the default rule set's exceptions keep the
 * false positives of single-character terms such as 最 down while true
 * hits stay. KEFU_QA_SHOW=1 prints every hit (to look at them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kefu/qa.h"

/* Counts read one by one (KEFU_QA_SHOW=1) and classified in docs/QUALITY.md:
 * raw 广告法 list on the 1,232 seller messages: 43 hits, 7 true (最低价 x2,
 * 最优 x4, 最低 77); the LDNOOBW and abuse lists: 20 hits, none true (奶 in
 * 奶油, 性 in 性价比 ...); buyer side: 3 (妈的B true; 乳头, 奶 not). The
 * default rule set: 广告法 8 hits (6 true), off-platform 1 (true: 微信号
 * tealove2015), promise 1 (not clear). */
#define RAW_ADLAW_HITS 43
#define RAW_ABUSE_HITS 20
#define RAW_BUYER_HITS 3
#define DEFAULT_ADLAW_HITS 8
#define DEFAULT_ALL_HITS 10

#define ECD KEFU_SHARED_DATA "/zh_taobao_ecd_sample/ecd_sample_test.txt"
#define WORDS KEFU_SHARED_DATA "/zh_forbidden_words/"
#define DEFAULT_RULES KEFU_TEST_FIXTURES "/../../data/qa/default.yaml"

typedef struct corpus {
	char **text;
	int *buyer; /* 1 = buyer turn, 0 = seller */
	size_t n, cap;
} corpus;

static int alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Word-segmented text back to chat text: spaces removed except between two
 * Latin letters or digits ("EMS 随机" -> "EMS随机", "iphone 6" stays). */
static char *unsegment(const char *p, size_t n)
{
	char *o = malloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == ' ') {
			if (k && alnum(o[k - 1]) && i + 1 < n && alnum(p[i + 1]))
				o[k++] = ' ';
			continue;
		}
		o[k++] = p[i];
	}
	o[k] = '\0';
	return o;
}

static void add(corpus *c, char *t, int buyer)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->text = realloc(c->text, c->cap * sizeof *c->text);
		c->buyer = realloc(c->buyer, c->cap * sizeof *c->buyer);
	}
	c->text[c->n] = t;
	c->buyer[c->n++] = buyer;
}

static int load(corpus *c)
{
	memset(c, 0, sizeof *c);
	FILE *f = fopen(ECD, "rb");
	if (!f)
		return -1;
	char *line = NULL, *prev_ctx = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		char *tab = strchr(line, '\t');
		char *last = strrchr(line, '\t');
		if (!tab || tab == last)
			continue;
		/* context = between the label and the last tab */
		size_t cn = (size_t)(last - tab - 1);
		if (!prev_ctx || strlen(prev_ctx) != cn || memcmp(prev_ctx, tab + 1, cn)) {
			free(prev_ctx);
			prev_ctx = strndup(tab + 1, cn);
			int turn = 0;
			char *p = tab + 1;
			while (p <= last - 0 && p < last) {
				char *e = strchr(p, '\t');
				if (!e || e > last)
					e = last;
				add(c, unsegment(p, (size_t)(e - p)), turn % 2 == 0);
				turn++;
				p = e + 1;
			}
		}
		add(c, unsegment(last + 1, strlen(last + 1)), 0);
	}
	free(line);
	free(prev_ctx);
	fclose(f);
	return 0;
}

static void corpus_free(corpus *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->text[i]);
	free(c->text);
	free(c->buyer);
}

typedef struct counts {
	size_t msgs[2], hits[2], msgs_hit[2]; /* [0] seller, [1] buyer */
	size_t per_rule[16];
} counts;

/* Scans the corpus with both matchers (they must agree) and counts hits. */
static void run(const corpus *c, kefu_qa_rules *rs, counts *ct, int show)
{
	kefu_err err = KEFU_ERR_INIT;
	kefu_qa_matcher *m = NULL;
	kefu_qa_scratch *s = NULL;
	kefu_qa_reference *ref = NULL;
	assert_int_equal(kefu_qa_matcher_new(&m, rs, &err), 0);
	assert_int_equal(kefu_qa_scratch_new(&s, m, &err), 0);
	assert_int_equal(kefu_qa_reference_new(&ref, rs, &err), 0);
	memset(ct, 0, sizeof *ct);
	kefu_qa_match *rh = NULL;
	size_t rcap = 0;
	for (size_t i = 0; i < c->n; i++) {
		const char *t = c->text[i];
		size_t n = strlen(t);
		kefu_qa_side side = c->buyer[i] ? KEFU_QA_BUYER : KEFU_QA_AGENT;
		const kefu_qa_match *h;
		size_t nh, rn = 0;
		assert_int_equal(kefu_qa_scan(s, side, t, n, &h, &nh, &err), 0);
		assert_int_equal(kefu_qa_scan_reference(ref, side, t, n, &rh, &rn, &rcap, &err), 0);
		assert_int_equal(rn, nh);
		for (size_t k = 0; k < nh; k++) {
			assert_int_equal(rh[k].rule, h[k].rule);
			assert_int_equal(rh[k].start, h[k].start);
			assert_int_equal(rh[k].end, h[k].end);
			if (h[k].rule < 16)
				ct->per_rule[h[k].rule]++;
			if (show)
				printf("%s %-12s %.*s | %s\n", c->buyer[i] ? "B" : "A",
				       rs->r[h[k].rule].id, (int)(h[k].end - h[k].start), t + h[k].start, t);
		}
		ct->msgs[c->buyer[i]]++;
		ct->hits[c->buyer[i]] += nh;
		ct->msgs_hit[c->buyer[i]] += nh > 0;
	}
	kefu_free(rh);
	kefu_qa_reference_free(ref);
	kefu_qa_scratch_free(s);
	kefu_qa_matcher_free(m);
}

static int show(void)
{
	const char *e = getenv("KEFU_QA_SHOW");
	return e && e[0] == '1';
}

static void raw_lists(void **state)
{
	(void)state;
	corpus c;
	if (load(&c)) {
		print_message("skipped: %s not readable\n", ECD);
		skip();
	}
	/* 100 contexts: 332 buyer turns and 332 seller turns, plus 1,000
	 * candidate replies (some repeat a context turn: counted as written) */
	assert_int_equal(c.n, 1564);
	char yaml[2048];
	snprintf(yaml, sizeof yaml,
		 "rules:\n"
		 "  - {id: adlaw, kind: keywords, severity: major, points: 5, file: %s}\n"
		 "  - {id: abuse, kind: keywords, severity: critical, points: 30, file: %s}\n"
		 "  - {id: ldnoobw, kind: keywords, severity: critical, points: 30, file: %s}\n"
		 "  - {id: abuse-b, kind: keywords, side: buyer, severity: info, points: 0, file: [%s, %s]}\n",
		 WORDS "adlaw_extreme_words_es3344520.txt", WORDS "abuse_words_houbb.txt",
		 WORDS "ldnoobw_zh.txt", WORDS "abuse_words_houbb.txt", WORDS "ldnoobw_zh.txt");
	kefu_qa_rules *rs = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_qa_rules_parse(&rs, yaml, strlen(yaml), "raw", NULL, NULL, &err), 0);
	assert_int_equal(rs->r[0].n_words, 191); /* 195 lines, 191 unique */
	counts ct;
	run(&c, rs, &ct, show());
	print_message("raw lists: seller %zu msgs, %zu hits, %zu msgs hit; buyer %zu msgs, %zu hits\n",
		      ct.msgs[0], ct.hits[0], ct.msgs_hit[0], ct.msgs[1], ct.hits[1]);
	print_message("per rule: adlaw %zu abuse %zu ldnoobw %zu buyer %zu\n", ct.per_rule[0],
		      ct.per_rule[1], ct.per_rule[2], ct.per_rule[3]);
	assert_int_equal(ct.msgs[0], 1232);
	assert_int_equal(ct.msgs[1], 332);
	assert_int_equal(ct.per_rule[0], RAW_ADLAW_HITS);
	assert_int_equal(ct.per_rule[1] + ct.per_rule[2], RAW_ABUSE_HITS);
	assert_int_equal(ct.per_rule[3], RAW_BUYER_HITS);
	kefu_qa_rules_free(rs);
	corpus_free(&c);
}

static void default_rules(void **state)
{
	(void)state;
	corpus c;
	if (load(&c)) {
		print_message("skipped: %s not readable\n", ECD);
		skip();
	}
	kefu_qa_rules *rs = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_qa_rules_load(&rs, DEFAULT_RULES, NULL, &err), 0);
	counts ct;
	run(&c, rs, &ct, show());
	print_message("default rules: seller %zu hits in %zu msgs; buyer %zu hits\n", ct.hits[0],
		      ct.msgs_hit[0], ct.hits[1]);
	for (size_t r = 0; r < rs->n && r < 16; r++)
		if (ct.per_rule[r])
			print_message("  %s %zu\n", rs->r[r].id, ct.per_rule[r]);
	assert_int_equal(ct.per_rule[0], DEFAULT_ADLAW_HITS);
	assert_int_equal(ct.hits[0] + ct.hits[1], DEFAULT_ALL_HITS);
	kefu_qa_rules_free(rs);
	corpus_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(raw_lists),
		cmocka_unit_test(default_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
