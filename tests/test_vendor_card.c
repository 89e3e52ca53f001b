/*
 * test_vendor_card.c - the vendor scorecard (lib/vendor_card.c) and the
 * vendor module's store tables and ranking (lib/vendor_store.c): weighted
 * score arithmetic computed by hand, required minimums, missing criteria
 * and evidence, the shipped default template, invalid cards rejected with
 * line and key, and assessments recorded, read back and ranked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kefu/store.h"
#include "kefu/table.h"
#include "kefu/vendor.h"

#define FIX KEFU_TEST_FIXTURES "/vendor"

static kefu_vendor_card *parse_ok(const char *text)
{
	kefu_vendor_card *c = NULL;
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_vendor_card_parse(&c, "t.yaml", text, strlen(text), NULL, &err);
	if (rc)
		fail_msg("parse failed: %s:%ld: %s", err.file, err.line, err.msg);
	return c;
}

static const char *fmt_score(const kefu_vendor_score *s)
{
	static char buf[64];
	kefu_decimal_format(s->num, s->den, 0, 2, 0, buf);
	return buf;
}

/* weights 2, 3, 5; scores 4, 2, unscored:
 * (2*4 + 3*2 + 5*0) / (2+3+5) = 14/10 = 1.40; c3 is required (min 3) and
 * unscored, so it fails; one missing. */
static void test_weighted_missing_required(void **state)
{
	(void)state;
	kefu_vendor_card *c = parse_ok("name: t\n"
				       "groups:\n"
				       "  - id: g1\n"
				       "    name: G1\n"
				       "    criteria:\n"
				       "      - {id: c1, name: C1, weight: 2, score: 4, evidence: x}\n"
				       "      - {id: c2, name: C2, weight: 3, score: 2}\n"
				       "  - id: g2\n"
				       "    name: G2\n"
				       "    criteria:\n"
				       "      - {id: c3, name: C3, weight: 5, required: true, min: 3}\n");
	assert_int_equal(c->n, 3);
	kefu_vendor_score s;
	kefu_vendor_card_score(c, &s);
	assert_int_equal(s.num, 1400); /* x100 weights: 200*4 + 300*2 */
	assert_int_equal(s.den, 1000);
	assert_string_equal(fmt_score(&s), "1.40");
	assert_int_equal(s.n_criteria, 3);
	assert_int_equal(s.n_scored, 2);
	assert_int_equal(s.n_missing, 1);
	assert_int_equal(s.n_required_failed, 1);
	assert_false(s.eligible);
	/* evidence not checked yet: both scored criteria lack found evidence */
	assert_int_equal(s.n_no_evidence, 2);
	/* groups: g1 = 14/5 = 2.80, g2 = 0/5 = 0.00 */
	kefu_vendor_score g;
	assert_int_equal(kefu_vendor_group_score(c, "g1", &g), 0);
	assert_string_equal(fmt_score(&g), "2.80");
	assert_int_equal(kefu_vendor_group_score(c, "g2", &g), 0);
	assert_string_equal(fmt_score(&g), "0.00");
	assert_int_equal(kefu_vendor_group_score(c, "nope", &g), KEFU_ENOTFOUND);
	kefu_vendor_card_free(c);
}

/* Decimal weights: (2.5*5 + 1.5*3) / 4 = 17/4 = 4.25. A required criterion
 * scoring exactly its minimum passes; one point below fails. required
 * without min means "at least 1". */
static void test_decimal_weights_minimums(void **state)
{
	(void)state;
	kefu_vendor_card *c = parse_ok("name: t\n"
				       "groups:\n"
				       "  - id: g\n"
				       "    name: G\n"
				       "    criteria:\n"
				       "      - {id: a, name: A, weight: 2.5, score: 5}\n"
				       "      - {id: b, name: B, weight: 1.50, score: 3, required: true, min: 3}\n");
	kefu_vendor_score s;
	kefu_vendor_card_score(c, &s);
	assert_int_equal(s.num, 250 * 5 + 150 * 3);
	assert_int_equal(s.den, 400);
	assert_string_equal(fmt_score(&s), "4.25");
	assert_true(s.eligible);
	kefu_vendor_card_free(c);

	c = parse_ok("name: t\n"
		     "groups:\n"
		     "  - id: g\n"
		     "    name: G\n"
		     "    criteria:\n"
		     "      - {id: a, name: A, weight: 1, score: 2, required: true, min: 3}\n"
		     "      - {id: b, name: B, weight: 1, score: 0, required: true}\n"
		     "      - {id: z, name: Z, weight: 1, score: 0}\n");
	kefu_vendor_card_score(c, &s);
	assert_int_equal(s.n_required_failed, 2); /* a: 2 < 3; b: 0 < 1 */
	assert_int_equal(c->c[1].min, 1);
	assert_false(s.eligible);
	/* 2/3 = 0.666.. -> 0.67; score 0 needs no evidence: 1 lacks it (a) */
	assert_string_equal(fmt_score(&s), "0.67");
	assert_int_equal(s.n_no_evidence, 1);
	kefu_vendor_card_free(c);
}

/* The fixture card: 26 / 10.5 = 2.476.. -> 2.48; premises scores 1 < 2;
 * capital's evidence exists, premises' does not. */
static void test_fixture_card_and_evidence(void **state)
{
	(void)state;
	kefu_vendor_card *c = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_vendor_card_load(&c, FIX "/filled-card.yaml", NULL, &err), 0);
	assert_string_equal(c->name, "test card");
	assert_string_equal(c->vendor, "alpha");
	assert_string_equal(c->assessor, "张三");
	assert_string_equal(c->date, "2024-03-15");
	assert_int_equal(c->n, 4);
	assert_string_equal(c->c[0].group_id, "hardware");
	assert_string_equal(c->c[0].group_name, "硬件与资金");
	assert_string_equal(c->c[0].note, "500万注册资本");
	assert_int_equal(c->c[0].line, 13);
	assert_int_equal(c->c[3].weight_x100, 150);
	assert_int_equal(c->c[3].score, -1);
	kefu_vendor_card_check_evidence(c, FIX);
	assert_int_equal(c->c[0].evidence_found, 1);
	assert_int_equal(c->c[1].evidence_found, 0);
	kefu_vendor_score s;
	kefu_vendor_card_score(c, &s);
	assert_int_equal(s.num, 300 * 4 + 200 * 1 + 400 * 3);
	assert_int_equal(s.den, 1050);
	assert_string_equal(fmt_score(&s), "2.48");
	assert_int_equal(s.n_missing, 1);
	assert_int_equal(s.n_no_evidence, 2); /* premises (not found), cases (none) */
	assert_int_equal(s.n_required_failed, 1);
	/* the per-criterion table */
	kefu_table *t = NULL;
	assert_int_equal(kefu_vendor_card_table(&t, c, &err), 0);
	assert_int_equal(t->nrows, 4);
	char buf[64];
	kefu_cell_format(&t->cols[kefu_table_col(t, "weighted")],
			 kefu_table_cell(t, 0, (size_t)kefu_table_col(t, "weighted")), 0, buf, sizeof buf);
	assert_string_equal(buf, "12");
	assert_true(kefu_table_cell(t, 3, (size_t)kefu_table_col(t, "score"))->empty);
	kefu_table_free(t);
	kefu_vendor_card_free(c);
}

/* The shipped template: four groups as in the article, 12 criteria, total
 * weight 32, five required; unfilled it scores 0 and is not eligible. */
static void test_default_template(void **state)
{
	(void)state;
	size_t len;
	const char *text = kefu_vendor_default_card(&len);
	assert_true(len > 100);
	kefu_vendor_card *c = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_vendor_card_parse(&c, "default", text, len, NULL, &err), 0);
	assert_int_equal(c->n, 12);
	const char *groups[] = {"hardware", "staff", "systems", "proof"};
	size_t gi = 0;
	int64_t w = 0;
	size_t required = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (i && strcmp(c->c[i].group_id, c->c[i - 1].group_id))
			gi++;
		assert_true(gi < 4);
		assert_string_equal(c->c[i].group_id, groups[gi]);
		w += c->c[i].weight_x100;
		required += (size_t)c->c[i].required;
		assert_int_equal(c->c[i].score, -1);
	}
	assert_int_equal(gi, 3);
	assert_int_equal(w, 3200);
	assert_int_equal(required, 5);
	kefu_vendor_score s;
	kefu_vendor_card_score(c, &s);
	assert_int_equal(s.num, 0);
	assert_int_equal(s.n_missing, 12);
	assert_false(s.eligible);
	kefu_vendor_card_free(c);
}

static int has_problem(const kefu_vendor_problems *ps, long line, const char *key, const char *frag)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->p[i].line == line && !strcmp(ps->p[i].key, key) && strstr(ps->p[i].reason, frag))
			return 1;
	return 0;
}

/* Every problem of an invalid card, each with its line and key path. */
static void test_invalid_card_lines_and_keys(void **state)
{
	(void)state;
	kefu_vendor_card *c = NULL;
	kefu_err err = KEFU_ERR_INIT;
	kefu_vendor_problems ps = {NULL, 0, 0};
	assert_int_equal(kefu_vendor_card_load(&c, FIX "/bad-card.yaml", &ps, &err), KEFU_EPARSE);
	assert_null(c);
	for (size_t i = 0; i < ps.n; i++)
		print_message("%ld %s: %s\n", ps.p[i].line, ps.p[i].key, ps.p[i].reason);
	assert_int_equal(ps.n, 9);
	assert_true(has_problem(&ps, 8, "groups[0].criteria[0].weight", "positive number"));
	assert_true(has_problem(&ps, 9, "groups[0].criteria[0].score", "0 to 5"));
	assert_true(has_problem(&ps, 11, "groups[0].criteria[1].weight", "at most 2 decimals"));
	assert_true(has_problem(&ps, 12, "groups[0].criteria[1].colour", "unknown key"));
	assert_true(has_problem(&ps, 10, "groups[0].criteria[1]", "missing key 'name'"));
	assert_true(has_problem(&ps, 10, "groups[0].criteria[1].id", "duplicate criterion id"));
	assert_true(has_problem(&ps, 15, "groups[1].criteria", "non-empty list"));
	assert_true(has_problem(&ps, 13, "groups[1].id", "duplicate group id"));
	assert_true(has_problem(&ps, 16, "date", "YYYY-MM-DD"));
	/* err carries the first problem with file and line */
	assert_int_equal(err.code, KEFU_EPARSE);
	assert_int_equal(err.line, 8);
	assert_non_null(strstr(err.file, "bad-card.yaml"));
	kefu_vendor_problems_clear(&ps);
}

/* Syntax errors, a non-mapping root and missing top-level keys. */
static void test_invalid_shapes(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		long line;
		const char *key, *frag;
	} cases[] = {
		{"name: x\ngroups: [\n  - a: b\n", 3, "", "YAML syntax"},
		{"- 1\n- 2\n", 1, "", "expected a mapping"},
		{"name: x\n", 1, "groups", "missing key"},
		{"groups:\n  - id: g\n    name: G\n    criteria: [{id: a, name: A, weight: 1}]\n", 1,
		 "name", "missing key"},
		{"name: x\ngroups: {a: 1}\n", 2, "groups", "non-empty list of groups"},
		{"name: x\nname: y\ngroups: []\n", 2, "", "YAML syntax"},
		{"name: x\ngroups:\n  - id: 'bad id'\n    name: G\n    criteria: [{id: a, name: A, weight: 1}]\n",
		 3, "groups[0].id", "expected an id"},
		{"name: x\ngroups:\n  - id: g\n    name: G\n    criteria: [{id: a, name: A, weight: 1, required: maybe}]\n",
		 5, "groups[0].criteria[0].required", "true or false"},
		{"name: x\ngroups:\n  - id: g\n    name: G\n    criteria: [{id: a, name: A, weight: 1, min: 2}]\n",
		 5, "groups[0].criteria[0].min", "required: true"},
		{"name: x\ngroups:\n  - id: g\n    name: G\n    criteria: [{id: a, name: A}]\n", 5,
		 "groups[0].criteria[0]", "missing key 'weight'"},
		{"kind: other\nname: x\ngroups:\n  - id: g\n    name: G\n    criteria: [{id: a, name: A, weight: 1}]\n",
		 1, "kind", "kefu-vendor-scorecard"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		kefu_vendor_card *c = NULL;
		kefu_err err = KEFU_ERR_INIT;
		kefu_vendor_problems ps = {NULL, 0, 0};
		int rc = kefu_vendor_card_parse(&c, "t.yaml", cases[i].text, strlen(cases[i].text), &ps,
						&err);
		if (rc != KEFU_EPARSE || !has_problem(&ps, cases[i].line, cases[i].key, cases[i].frag)) {
			for (size_t k = 0; k < ps.n; k++)
				print_message("case %zu: %ld [%s] %s\n", i, ps.p[k].line, ps.p[k].key,
					      ps.p[k].reason);
			fail_msg("case %zu not rejected as expected", i);
		}
		assert_null(c);
		kefu_vendor_problems_clear(&ps);
	}
}

/* Allocation failures while parsing never leak or crash. */
static void test_parse_alloc_failures(void **state)
{
	(void)state;
	size_t len;
	const char *text = kefu_vendor_default_card(&len);
	for (long k = 1; k < 400; k++) {
		kefu_vendor_card *c = NULL;
		kefu_err err = KEFU_ERR_INIT;
		kefu_alloc_fail_at(k);
		int rc = kefu_vendor_card_parse(&c, "default", text, len, NULL, &err);
		kefu_alloc_fail_at(0);
		if (rc == 0) {
			assert_int_equal(c->n, 12);
			kefu_vendor_card_free(c);
			break;
		}
		assert_int_equal(rc, KEFU_ENOMEM);
		assert_null(c);
	}
}

static char *temp_db(void)
{
	char *path = malloc(64);
	strcpy(path, "/tmp/kefu-test-vendor-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	return path;
}

static void remove_db(const char *path)
{
	char buf[128];
	unlink(path);
	snprintf(buf, sizeof buf, "%s-wal", path);
	unlink(buf);
	snprintf(buf, sizeof buf, "%s-shm", path);
	unlink(buf);
}

static kefu_vendor_card *card_with(int a, int b)
{
	char text[512];
	snprintf(text, sizeof text,
		 "name: t\ngroups:\n  - id: g\n    name: G\n    criteria:\n"
		 "      - {id: a, name: A, weight: 3, score: %d, required: true, min: 3}\n"
		 "      - {id: b, name: B, weight: 1, score: %d}\n",
		 a, b);
	return parse_ok(text);
}

/* Vendors and assessments in the store; rank: eligible vendors by score,
 * then the ineligible, then those never assessed. */
static void test_store_and_rank(void **state)
{
	(void)state;
	char *path = temp_db();
	kefu_store *st = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_store_open(&st, path, &err), 0);
	int created = 0;
	const char *agents[] = {"s1:va1", "s1:va2"};
	assert_int_equal(kefu_vendor_put(st, "alpha", "Alpha 客服", "王 138", NULL, agents, 2, &created, &err), 0);
	assert_int_equal(created, 1);
	assert_int_equal(kefu_vendor_put(st, "beta", NULL, NULL, NULL, NULL, 0, &created, &err), 0);
	assert_int_equal(kefu_vendor_put(st, "gamma", "Gamma", NULL, NULL, NULL, 0, &created, &err), 0);
	assert_int_equal(kefu_vendor_put(st, "delta", "Delta", NULL, NULL, NULL, 0, &created, &err), 0);
	/* update keeps what is not given, adds agents once */
	const char *more[] = {"s1:va1", "s1:va3"};
	assert_int_equal(kefu_vendor_put(st, "alpha", NULL, "李 139", NULL, more, 2, &created, &err), 0);
	assert_int_equal(created, 0);
	assert_int_equal(kefu_vendor_put(st, "inhouse", "x", NULL, NULL, NULL, 0, &created, &err), KEFU_EINVAL);
	assert_int_equal(kefu_vendor_put(st, "unknown", "x", NULL, NULL, NULL, 0, &created, &err), KEFU_EINVAL);
	assert_int_equal(kefu_vendor_put(st, "a,b", "x", NULL, NULL, NULL, 0, &created, &err), KEFU_EINVAL);
	kefu_vendor *v = NULL;
	assert_int_equal(kefu_vendor_get(&v, st, "alpha", &err), 0);
	assert_string_equal(v->name, "Alpha 客服");
	assert_string_equal(v->contact, "李 139");
	assert_int_equal(v->n_agents, 3);
	assert_string_equal(v->agents[2], "s1:va3");
	kefu_vendor_free(v);
	assert_int_equal(kefu_vendor_get(&v, st, "beta", &err), 0);
	assert_string_equal(v->name, "beta"); /* name defaults to the id */
	kefu_vendor_free(v);
	assert_int_equal(kefu_vendor_get(&v, st, "nobody", &err), KEFU_ENOTFOUND);

	/* alpha: (3*4+1*5)/4 = 4.25; beta (3*5+1*0)/4 = 3.75; gamma: a=2 < 3 -> not
	 * eligible although (3*2+1*5)/4... = 2.75; delta: never assessed. An older
	 * assessment of beta (score 5.00) is superseded by the later one. */
	kefu_vendor_card *c = card_with(4, 5);
	assert_int_equal(kefu_vendor_assess(st, "alpha", c, "张三", "2024-03-01", "a.yaml", NULL, &err), 0);
	kefu_vendor_card_free(c);
	c = card_with(5, 5);
	assert_int_equal(kefu_vendor_assess(st, "beta", c, "李四", "2024-02-01", "b0.yaml", NULL, &err), 0);
	kefu_vendor_card_free(c);
	c = card_with(5, 0);
	int64_t bid = 0;
	assert_int_equal(kefu_vendor_assess(st, "beta", c, "李四", "2024-03-02", "b.yaml", &bid, &err), 0);
	assert_true(bid > 0);
	assert_int_equal(kefu_vendor_assess(st, "beta", c, "", "2024-03-02", "b.yaml", NULL, &err), KEFU_EINVAL);
	assert_int_equal(kefu_vendor_assess(st, "beta", c, "x", "2024-3-2", "b.yaml", NULL, &err), KEFU_EINVAL);
	assert_int_equal(kefu_vendor_assess(st, "nobody", c, "x", "2024-03-02", "b.yaml", NULL, &err), KEFU_ENOTFOUND);
	kefu_vendor_card_free(c);
	c = card_with(2, 5);
	assert_int_equal(kefu_vendor_assess(st, "gamma", c, "王五", "2024-03-03", "g.yaml", NULL, &err), 0);
	kefu_vendor_card_free(c);

	kefu_vendor_card *latest = NULL;
	int64_t lid = 0;
	assert_int_equal(kefu_vendor_latest(&latest, &lid, st, "beta", &err), 0);
	assert_int_equal(lid, bid);
	assert_string_equal(latest->date, "2024-03-02");
	assert_string_equal(latest->file, "b.yaml");
	assert_int_equal(latest->n, 2);
	assert_int_equal(latest->c[0].score, 5);
	assert_int_equal(latest->c[0].min, 3);
	assert_int_equal(latest->c[0].required, 1);
	kefu_vendor_card_free(latest);
	assert_int_equal(kefu_vendor_latest(&latest, NULL, st, "delta", &err), KEFU_ENOTFOUND);

	kefu_table *t = NULL;
	assert_int_equal(kefu_vendor_rank(&t, st, &err), 0);
	assert_int_equal(t->nrows, 4);
	const char *order[] = {"alpha", "beta", "gamma", "delta"};
	const char *scores[] = {"4.25", "3.75", "2.75", ""};
	const char *failed[] = {"", "", "a(2<3)", ""};
	long vc = kefu_table_col(t, "vendor"), sc = kefu_table_col(t, "score"),
	     fc = kefu_table_col(t, "required_failed"), ec = kefu_table_col(t, "eligible"),
	     mc = kefu_table_col(t, "missing_evidence");
	assert_true(vc >= 0 && sc >= 0 && fc >= 0 && ec >= 0 && mc >= 0);
	assert_true(kefu_table_col(t, "score_g") >= 0);
	for (size_t r = 0; r < 4; r++) {
		char buf[64];
		assert_string_equal(kefu_table_cell(t, r, (size_t)vc)->text, order[r]);
		kefu_cell_format(&t->cols[sc], kefu_table_cell(t, r, (size_t)sc), 1, buf, sizeof buf);
		assert_string_equal(buf, scores[r]);
		assert_string_equal(kefu_table_cell(t, r, (size_t)fc)->text, failed[r]);
	}
	assert_int_equal(kefu_table_cell(t, 0, (size_t)ec)->num, 1);
	assert_int_equal(kefu_table_cell(t, 2, (size_t)ec)->num, 0);
	assert_true(kefu_table_cell(t, 3, (size_t)ec)->empty);
	assert_string_equal(kefu_table_cell(t, 0, (size_t)mc)->text, "a b");
	assert_string_equal(kefu_table_cell(t, 1, (size_t)mc)->text, "a");
	kefu_table_free(t);

	kefu_vendor **vs = NULL;
	size_t nv = 0;
	assert_int_equal(kefu_vendor_list(&vs, &nv, st, &err), 0);
	assert_int_equal(nv, 4);
	assert_string_equal(vs[0]->id, "alpha");
	assert_string_equal(vs[3]->id, "gamma");
	for (size_t i = 0; i < nv; i++)
		kefu_vendor_free(vs[i]);
	kefu_free(vs);
	kefu_store_close(st);
	/* reopening: the module is there, nothing is lost */
	assert_int_equal(kefu_store_open(&st, path, &err), 0);
	assert_int_equal(kefu_vendor_get(&v, st, "gamma", &err), 0);
	kefu_vendor_free(v);
	kefu_store_close(st);
	remove_db(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weighted_missing_required),
		cmocka_unit_test(test_decimal_weights_minimums),
		cmocka_unit_test(test_fixture_card_and_evidence),
		cmocka_unit_test(test_default_template),
		cmocka_unit_test(test_invalid_card_lines_and_keys),
		cmocka_unit_test(test_invalid_shapes),
		cmocka_unit_test(test_parse_alloc_failures),
		cmocka_unit_test(test_store_and_rank),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
