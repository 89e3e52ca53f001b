/*
 * test_qa_match.c - the multi-pattern matcher of quality inspection: hits
 * at the very start and end of a message, exceptions, overlapping matches
 * within and across rules, CJK mixed with Latin, Latin case folding, sides,
 * invalid UTF-8, regexes Vectorscan can only prefilter or not take at all;
 * and the compiled matcher against the one-pattern-at-a-time reference on
 * generated text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kefu/qa.h"

typedef struct fx {
	kefu_qa_rules *rs;
	kefu_qa_matcher *m;
	kefu_qa_scratch *s;
	kefu_qa_reference *ref;
} fx;

static void fx_init(fx *f, const char *yaml)
{
	kefu_err err = KEFU_ERR_INIT;
	memset(f, 0, sizeof *f);
	if (kefu_qa_rules_parse(&f->rs, yaml, strlen(yaml), "t.yaml", NULL, NULL, &err))
		fail_msg("rules: %s", err.msg);
	if (kefu_qa_matcher_new(&f->m, f->rs, &err) || kefu_qa_scratch_new(&f->s, f->m, &err) ||
	    kefu_qa_reference_new(&f->ref, f->rs, &err))
		fail_msg("matcher: %s", err.msg);
}

static void fx_free(fx *f)
{
	kefu_qa_reference_free(f->ref);
	kefu_qa_scratch_free(f->s);
	kefu_qa_matcher_free(f->m);
	kefu_qa_rules_free(f->rs);
}

/* Hits of text as "rule:start-end:matched;..." */
static const char *scan(fx *f, kefu_qa_side side, const char *text)
{
	static char out[4096];
	const kefu_qa_match *h;
	size_t nh;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_qa_scan(f->s, side, text, strlen(text), &h, &nh, &err), 0);
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < nh; i++)
		k += (size_t)snprintf(out + k, sizeof out - k, "%s%s:%u-%u:%.*s", i ? ";" : "",
				      f->rs->r[h[i].rule].id, h[i].start, h[i].end,
				      (int)(h[i].end - h[i].start), text + h[i].start);
	/* the reference agrees on every hand-made case too */
	kefu_qa_match *rh = NULL;
	size_t rn = 0, cap = 0;
	assert_int_equal(kefu_qa_scan_reference(f->ref, side, text, strlen(text), &rh, &rn, &cap, &err), 0);
	assert_int_equal(rn, nh);
	for (size_t i = 0; i < nh; i++) {
		assert_int_equal(rh[i].rule, h[i].rule);
		assert_int_equal(rh[i].start, h[i].start);
		assert_int_equal(rh[i].end, h[i].end);
	}
	kefu_free(rh);
	return out;
}

static const char *rules1 =
	"rules:\n"
	"  - {id: adlaw, kind: keywords, severity: major, points: 5,\n"
	"     words: [最好, 第一, 国家级, 最, 第一名, NO.1], except: [不是最好, 最近, 第一时间]}\n"
	"  - {id: off, kind: regex, severity: critical, points: 20,\n"
	"     pattern: '(微信|VX|QQ)\\s*[:：]?\\s*[0-9A-Za-z_-]{5,}'}\n"
	"  - {id: rude, kind: keywords, side: buyer, severity: info, points: 0, words: [骗子]}\n"
	"  - {id: num, kind: keywords, severity: minor, points: 1, words: [第一名]}\n";

static void start_and_end(void **state)
{
	(void)state;
	fx f;
	fx_init(&f, rules1);
	/* 最好 at byte 0; 最 inside it is contained in the longer hit of the same rule */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "最好的"), "adlaw:0-6:最好");
	/* at the very end */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "这是国家级"), "adlaw:6-15:国家级");
	/* the whole message */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "最"), "adlaw:0-3:最");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, ""), "");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "你好"), "");
	fx_free(&f);
}

static void exceptions(void **state)
{
	(void)state;
	fx f;
	fx_init(&f, rules1);
	/* 不是最好 covers 最好 (and 最): no hit */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "不是最好的"), "");
	/* an exception cancels only the hit it covers */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "不是最好，但这是最好的"),
			    "adlaw:24-30:最好");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "最近第一时间发货"), "");
	/* an exception that only overlaps does not cancel: 最近 vs 最好 */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "第一次"), "adlaw:0-6:第一");
	fx_free(&f);
}

static void overlapping(void **state)
{
	(void)state;
	fx f;
	fx_init(&f, rules1);
	/* one rule: 第一名 contains 第一 -> one hit; another rule (num) hits too */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "销量第一名"),
			    "adlaw:6-15:第一名;num:6-15:第一名");
	fx_free(&f);
	/* overlapping but not contained: both kept */
	fx_init(&f, "rules:\n  - {id: r, kind: keywords, severity: minor, points: 1, words: [包邮到, 到家]}\n");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "包邮到家"), "r:0-9:包邮到;r:6-12:到家");
	/* a keyword overlapping itself: every occurrence */
	fx_free(&f);
	fx_init(&f, "rules:\n  - {id: r, kind: keywords, severity: minor, points: 1, words: [哈哈]}\n");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "哈哈哈"), "r:0-6:哈哈;r:3-9:哈哈");
	fx_free(&f);
}

static void cjk_and_latin(void **state)
{
	(void)state;
	fx f;
	fx_init(&f, rules1);
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "加我VX：kefu_2024给您优惠"),
			    "off:6-20:VX：kefu_2024");
	/* regex: two non-overlapping matches in one message */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "微信abcde或QQ 12345"),
			    "off:0-11:微信abcde;off:14-22:QQ 12345");
	/* keywords fold Latin case: NO.1 matches no.1 */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "全网no.1"), "adlaw:6-10:no.1");
	/* the regex is case-sensitive as written (PCRE2 semantics) */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "qq 12345"), "");
	fx_free(&f);
}

/* Keywords match ASCII in either width, written in the rule in either
 * width; a keyword's Latin edge must not touch another letter. */
static void widths_and_latin_edges(void **state)
{
	(void)state;
	fx f;
	fx_init(&f, "rules:\n"
		    "  - {id: c, kind: keywords, severity: minor, points: 1, words: [vx, ＱＱ号, 加 v]}\n"
		    "  - {id: s, kind: keywords, severity: minor, points: 1, words: [sb, 第1名],\n"
		    "     except: [sb卡]}\n");
	/* full-width text, half-width keyword, and the reverse */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "加ＶＸ聊"), "c:3-9:ＶＸ");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "Qq号多少"), "c:0-5:Qq号");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "ｑｑ号"), "c:0-9:ｑｑ号");
	/* space and digits in either width */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "请加　Ｖ"), "c:3-12:加　Ｖ");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "第１名"), "s:0-9:第１名");
	/* Latin edges: not inside a longer word, in either width; digits and CJK
	 * next to it are fine */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "usb线"), "");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "ｕｓｂ线"), "");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "sbs"), "");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "你个sb"), "s:6-8:sb");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "VX123"), "c:0-2:VX");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "sb,vx"), "s:0-2:sb;c:3-5:vx");
	/* an exception with a Latin edge obeys the same rule: usb卡 is no sb卡 */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "sb卡"), "");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "sb卡和usb卡"), "");
	fx_free(&f);
}

static void sides(void **state)
{
	(void)state;
	fx f;
	fx_init(&f, rules1);
	assert_string_equal(scan(&f, KEFU_QA_BUYER, "你们是骗子，最好退款"), "rude:9-15:骗子");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "骗子"), "");
	fx_free(&f);
}

static void invalid_utf8(void **state)
{
	(void)state;
	fx f;
	fx_init(&f, rules1);
	/* a stray continuation byte and a truncated sequence: offsets unchanged */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "\x80最好\xe6"), "adlaw:1-7:最好");
	fx_free(&f);
}

static void fallbacks(void **state)
{
	(void)state;
	fx f;
	/* a look-behind (prefilter) and a back-reference (PCRE2 alone) */
	fx_init(&f, "rules:\n"
		    "  - {id: phone, kind: regex, severity: major, points: 10,"
		    " pattern: '(?<![0-9])1[3-9][0-9]{9}(?![0-9])'}\n"
		    "  - {id: rep, kind: regex, severity: info, points: 0, pattern: '(.)\\1{3}'}\n"
		    "  - {id: kw, kind: keywords, severity: info, points: 0, words: [电话]}\n");
	kefu_qa_matcher_info info;
	kefu_qa_matcher_get_info(f.m, &info);
	assert_int_equal(info.patterns, 3);
	assert_int_equal(info.pcre_only + info.hs_prefilter, 2);
	assert_int_equal(info.hs_patterns, 3 - info.pcre_only);
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "电话13812345678"),
			    "kw:0-6:电话;phone:6-17:13812345678");
	/* 12 digits: the look-arounds refuse it */
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "138123456789"), "");
	assert_string_equal(scan(&f, KEFU_QA_AGENT, "好好好好的"), "rep:0-12:好好好好");
	fx_free(&f);
}

/* Generated messages from fragments that contain keywords, exceptions,
 * partial words, Latin in both cases and digits: the compiled matcher and
 * the reference must agree hit for hit. */
static void matches_reference(void **state)
{
	(void)state;
	static const char *frag[] = {"最", "好", "最好", "不是", "第一", "名", "国家", "级", "VX",
				     "vx", ":", "：", " ", "12345", "abc", "微信", "亲", "哦", "近",
				     "QQ", "no.", "1", "包邮", "到家", "哈", "\xe3\x80\x80", "，"};
	fx f;
	fx_init(&f, "rules:\n"
		    "  - {id: adlaw, kind: keywords, severity: major, points: 5,\n"
		    "     words: [最好, 第一, 国家级, 最, 第一名, NO.1, 哈哈], except: [不是最好, 最近, 不是最]}\n"
		    "  - {id: off, kind: regex, severity: critical, points: 20,\n"
		    "     pattern: '(?i)(微信|VX|QQ)\\s*[:：]?\\s*[0-9A-Za-z_-]{5,}', except: [QQ 12345]}\n"
		    "  - {id: two, kind: keywords, severity: minor, points: 1, words: [包邮到, 到家, 第一名]}\n"
		    "  - {id: dig, kind: regex, severity: minor, points: 1, pattern: '[0-9]{3}'}\n");
	uint64_t x = 12345;
	char text[512];
	size_t total = 0;
	for (int i = 0; i < 3000; i++) {
		size_t n = 0;
		int parts = 1 + (int)(x % 12);
		for (int p = 0; p < parts; p++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			const char *fr = frag[(x >> 33) % (sizeof frag / sizeof frag[0])];
			size_t fl = strlen(fr);
			memcpy(text + n, fr, fl);
			n += fl;
		}
		text[n] = '\0';
		const kefu_qa_match *h;
		size_t nh;
		kefu_err err = KEFU_ERR_INIT;
		assert_int_equal(kefu_qa_scan(f.s, KEFU_QA_AGENT, text, n, &h, &nh, &err), 0);
		kefu_qa_match *rh = NULL;
		size_t rn = 0, cap = 0;
		assert_int_equal(kefu_qa_scan_reference(f.ref, KEFU_QA_AGENT, text, n, &rh, &rn, &cap, &err), 0);
		if (rn != nh)
			fail_msg("'%s': %zu hits, reference %zu", text, nh, rn);
		for (size_t k = 0; k < nh; k++)
			if (rh[k].rule != h[k].rule || rh[k].start != h[k].start || rh[k].end != h[k].end)
				fail_msg("'%s': hit %zu differs", text, k);
		total += nh;
		kefu_free(rh);
	}
	assert_true(total > 1000); /* the fragments do hit */
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(start_and_end),  cmocka_unit_test(exceptions),
		cmocka_unit_test(overlapping),    cmocka_unit_test(cjk_and_latin),
		cmocka_unit_test(widths_and_latin_edges),
		cmocka_unit_test(sides),          cmocka_unit_test(invalid_utf8),
		cmocka_unit_test(fallbacks),      cmocka_unit_test(matches_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
