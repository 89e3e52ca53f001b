/*
 * test_qa_rules.c - the quality-inspection rule file (shared/spec/quality.md):
 * the spec's example parses to the values it states; keyword list files;
 * every problem of a bad file is listed with its line, column and key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kefu/qa.h"

#define FIX KEFU_TEST_FIXTURES "/qa/"

static void spec_example(void **state)
{
	(void)state;
	kefu_qa_rules *rs = NULL;
	kefu_qa_problems pr = {0};
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_qa_rules_load(&rs, FIX "spec_example.yaml", &pr, &err), 0);
	assert_int_equal(pr.n, 0);
	assert_int_equal(rs->n, 3);
	const kefu_qa_rule *a = &rs->r[0], *o = &rs->r[1], *s = &rs->r[2];
	assert_string_equal(a->id, "adlaw");
	assert_string_equal(a->name, "广告法极限词");
	assert_int_equal(a->kind, KEFU_QA_KEYWORDS);
	assert_int_equal(a->side, KEFU_QA_AGENT);
	assert_int_equal(a->severity, KEFU_QA_MAJOR);
	assert_int_equal(a->points, 5);
	assert_int_equal(a->n_words, 3);
	assert_string_equal(a->words[0], "最好");
	assert_string_equal(a->words[2], "国家级");
	assert_int_equal(a->n_except, 1);
	assert_string_equal(a->except[0], "不是最好");
	assert_int_equal(a->line, 2);
	assert_string_equal(o->id, "offplatform");
	assert_string_equal(o->name, "offplatform"); /* name defaults to the id */
	assert_int_equal(o->kind, KEFU_QA_REGEX);
	assert_int_equal(o->side, KEFU_QA_AGENT);
	assert_int_equal(o->severity, KEFU_QA_CRITICAL);
	assert_int_equal(o->points, 20);
	assert_string_equal(o->pattern, "(微信|VX|QQ)\\s*[:：]?\\s*[0-9A-Za-z_-]{5,}");
	assert_int_equal(s->kind, KEFU_QA_REPLY_GAP);
	assert_int_equal(s->over_s, 180);
	assert_int_equal(s->severity, KEFU_QA_MINOR);
	assert_int_equal(s->points, 2);
	kefu_qa_rules_free(rs);
}

static void list_file(void **state)
{
	(void)state;
	kefu_qa_rules *rs = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_qa_rules_load(&rs, FIX "with_file.yaml", NULL, &err), 0);
	const kefu_qa_rule *a = &rs->r[0];
	/* comments and blank lines skipped, spaces trimmed, inline words added */
	assert_int_equal(a->n_words, 4);
	assert_string_equal(a->words[0], "最佳");
	assert_string_equal(a->words[1], "国家级");
	assert_string_equal(a->words[2], "NO.1");
	assert_string_equal(a->words[3], "最好");
	kefu_qa_rules_free(rs);
}

static const kefu_qa_problem *find(const kefu_qa_problems *pr, const char *key, const char *msg)
{
	for (size_t i = 0; i < pr->n; i++)
		if (!strcmp(pr->p[i].key, key) && strstr(pr->p[i].msg, msg))
			return &pr->p[i];
	for (size_t i = 0; i < pr->n; i++)
		print_message("problem %ld:%ld %s: %s\n", pr->p[i].line, pr->p[i].col, pr->p[i].key,
			      pr->p[i].msg);
	fail_msg("no problem %s: %s", key, msg);
	return NULL;
}

static void bad_file_lists_every_problem(void **state)
{
	(void)state;
	kefu_qa_rules *rs = NULL;
	kefu_qa_problems pr = {0};
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_qa_rules_load(&rs, FIX "bad.yaml", &pr, &err), KEFU_EPARSE);
	assert_null(rs);
	const kefu_qa_problem *p;
	p = find(&pr, "rules[0].words", "empty list");
	assert_int_equal(p->line, 6);
	assert_string_equal(p->file, FIX "bad.yaml");
	p = find(&pr, "rules[1].pattern", "invalid regular expression");
	assert_int_equal(p->line, 11);
	/* the value starts at column 14 after the quote; PCRE2 reports the
	 * missing parenthesis at the end of the pattern (offset 8 bytes) */
	assert_true(p->col > 14);
	p = find(&pr, "rules[2].colour", "unknown key 'colour'");
	assert_int_equal(p->line, 17);
	assert_int_equal(p->col, 5);
	p = find(&pr, "rules[3].id", "[a-z0-9_-]");
	assert_int_equal(p->line, 18);
	p = find(&pr, "rules[3].severity", "unknown severity 'huge'");
	assert_int_equal(p->line, 20);
	p = find(&pr, "rules[3].points", "0 to 100");
	assert_int_equal(p->line, 21);
	p = find(&pr, "rules[3].file", "no words");
	assert_int_equal(p->line, 22);
	assert_int_equal(pr.n, 7);
	/* err carries the first problem with its position */
	assert_int_equal(err.line, 6);
	assert_string_equal(err.file, FIX "bad.yaml");
	kefu_qa_problems_clear(&pr);
}

static void syntax_error_has_line(void **state)
{
	(void)state;
	kefu_qa_rules *rs = NULL;
	kefu_qa_problems pr = {0};
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_qa_rules_load(&rs, FIX "syntax.yaml", &pr, &err), KEFU_EPARSE);
	assert_true(pr.n >= 1);
	assert_true(strstr(pr.p[0].msg, "YAML syntax") != NULL);
	assert_int_equal(pr.p[0].line, 4);
	kefu_qa_problems_clear(&pr);
}

static int parse(const char *text, kefu_qa_problems *pr)
{
	kefu_qa_rules *rs = NULL;
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_qa_rules_parse(&rs, text, strlen(text), "t.yaml", NULL, pr, &err);
	kefu_qa_rules_free(rs);
	return rc;
}

static void more_bad_values(void **state)
{
	(void)state;
	kefu_qa_problems pr = {0};
	/* empty rules, unknown top-level key */
	assert_int_equal(parse("rules: []\nversion: 2\n", &pr), KEFU_EPARSE);
	find(&pr, "rules", "empty list of rules");
	find(&pr, "", "unknown key 'version'");
	kefu_qa_problems_clear(&pr);
	/* a key of another kind, a duplicate id, a regex matching "" */
	assert_int_equal(parse("rules:\n"
			       "  - {id: a, kind: keywords, severity: minor, points: 1, words: [x], over_s: 3}\n"
			       "  - {id: a, kind: regex, severity: minor, points: 1, pattern: 'x*'}\n"
			       "  - {id: c, kind: qa_ratio, severity: minor, points: 1, below: abc}\n"
			       "  - {id: d, kind: colour, severity: minor, points: 1}\n"
			       "  - {id: e, kind: unanswered, points: 1}\n",
			       &pr),
			 KEFU_EPARSE);
	assert_int_equal(find(&pr, "rules[0].over_s", "does not apply to kind keywords")->line, 2);
	assert_int_equal(find(&pr, "rules[1].id", "duplicate id 'a'")->line, 3);
	find(&pr, "rules[1].pattern", "matches the empty string");
	find(&pr, "rules[2].below", "positive decimal");
	find(&pr, "rules[3].kind", "unknown kind 'colour'");
	assert_int_equal(find(&pr, "rules[4].severity", "missing key 'severity'")->line, 6);
	kefu_qa_problems_clear(&pr);
	/* JSON is accepted (the API takes the same rules as JSON) */
	assert_int_equal(parse("{\"rules\": [{\"id\": \"r\", \"kind\": \"qa_ratio\", \"below\": \"0.25\","
			       " \"severity\": \"info\", \"points\": 0}]}",
			       &pr),
			 0);
	assert_int_equal(pr.n, 0);
}

static void below_is_exact(void **state)
{
	(void)state;
	kefu_qa_rules *rs = NULL;
	kefu_err err = KEFU_ERR_INIT;
	const char *t = "rules:\n  - {id: r, kind: qa_ratio, below: 0.35, severity: info, points: 0}\n";
	assert_int_equal(kefu_qa_rules_parse(&rs, t, strlen(t), "t", NULL, NULL, &err), 0);
	assert_int_equal(rs->r[0].below_num, 35);
	assert_int_equal(rs->r[0].below_den, 100);
	kefu_qa_rules_free(rs);
}

static void default_rules_are_valid(void **state)
{
	(void)state;
	kefu_qa_rules *rs = NULL;
	kefu_qa_problems pr = {0};
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_qa_rules_load(&rs, KEFU_TEST_FIXTURES "/../../data/qa/default.yaml",
					    &pr, &err),
			 0);
	assert_int_equal(pr.n, 0);
	assert_true(rs->n >= 6);
	kefu_qa_matcher *m = NULL;
	assert_int_equal(kefu_qa_matcher_new(&m, rs, &err), 0);
	kefu_qa_matcher_free(m);
	kefu_qa_rules_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_example),
		cmocka_unit_test(list_file),
		cmocka_unit_test(bad_file_lists_every_problem),
		cmocka_unit_test(syntax_error_has_line),
		cmocka_unit_test(more_bad_values),
		cmocka_unit_test(below_is_exact),
		cmocka_unit_test(default_rules_are_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
