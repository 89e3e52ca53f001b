/*
 * test_qa_score.c - chat scores of quality inspection on hand-made chats
 * (tests/fixtures/qa/messages.csv): every rule kind, exceptions, buyer-side
 * rules, the score (100 minus the points of each rule hit once, floored at
 * 0), and reply gaps recomputed per run that reconcile with the engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kefu/loader.h"
#include "kefu/qa.h"
#include "testutil.h"

#define FIX KEFU_TEST_FIXTURES "/qa/"

static const char *rules_all =
	"rules:\n"
	"  - {id: adlaw, kind: keywords, severity: major, points: 5, words: [最好, 最],"
	" except: [不是最好, 最近]}\n"
	"  - {id: off, kind: regex, severity: critical, points: 20,"
	" pattern: '(微信|VX|QQ)\\s*[:：]?\\s*[0-9A-Za-z_-]{5,}'}\n"
	"  - {id: rude, kind: keywords, side: buyer, severity: info, points: 0, words: [傻逼]}\n"
	"  - {id: slow, kind: reply_gap, over_s: 180, severity: minor, points: 2}\n"
	"  - {id: noans, kind: unanswered, severity: major, points: 10}\n"
	"  - {id: copy, kind: auto_reply_copy, severity: minor, points: 3}\n"
	"  - {id: ratio, kind: qa_ratio, below: 0.5, severity: info, points: 1}\n";

typedef struct ctx {
	const kefu_dataset *ds;
	kefu_qa_msgs *msgs;
} ctx;

static int on_row(void *c_, const kefu_record *rec, const char *file, long line, kefu_err *err)
{
	(void)file;
	(void)line;
	(void)err;
	ctx *c = c_;
	const kefu_message_rec *m = &rec->u.msg;
	uint32_t s, a, b;
	assert_int_equal(kefu_dict_find(c->ds->shops, m->shop.p, m->shop.n, &s), 0);
	assert_int_equal(kefu_dict_find(c->ds->agents, m->agent.p, m->agent.n, &a), 0);
	assert_int_equal(kefu_dict_find(c->ds->buyers, m->buyer.p, m->buyer.n, &b), 0);
	return kefu_qa_msgs_add(c->msgs, s, a, b, (int)m->dir, m->ts, 0, m->text.p, m->text.n);
}

typedef struct fx {
	tu_run run;
	kefu_qa_msgs msgs;
	kefu_qa_rules *rs;
	kefu_qa_matcher *m;
	kefu_qa_result *qr;
} fx;

static void fx_run(fx *f, const char *rules, int threads)
{
	memset(f, 0, sizeof *f);
	const char *files[] = {FIX "messages.csv", NULL};
	tu_run_files(&f->run, files, NULL, NULL);
	kefu_err err = KEFU_ERR_INIT;
	kefu_load_opts lo = KEFU_LOAD_OPTS_INIT;
	lo.default_tz = f->run.vs[0].v[0].tz;
	ctx c = {f->run.ds, &f->msgs};
	assert_int_equal(kefu_load_file(FIX "messages.csv", &lo, on_row, NULL, &c, NULL, &err), 0);
	assert_int_equal(kefu_qa_msgs_sort(&f->msgs), 0);
	assert_int_equal(kefu_qa_rules_parse(&f->rs, rules, strlen(rules), "t", NULL, NULL, &err), 0);
	assert_int_equal(kefu_qa_matcher_new(&f->m, f->rs, &err), 0);
	kefu_qa_opts o = KEFU_QA_OPTS_INIT;
	o.shop_settings = f->run.vs;
	o.n_shop_settings = f->run.nvs;
	o.threads = threads;
	if (kefu_qa_inspect(&f->qr, f->run.ds, f->run.res, &f->msgs, f->rs, f->m, &o, &err))
		fail_msg("inspect: %s", err.msg);
}

static void fx_free(fx *f)
{
	kefu_qa_result_free(f->qr);
	kefu_qa_matcher_free(f->m);
	kefu_qa_rules_free(f->rs);
	kefu_qa_msgs_clear(&f->msgs);
	tu_run_free(&f->run);
}

/* The qa chat of (agent, buyer, day). */
static const kefu_qa_chat *chat_of(const fx *f, const char *agent, const char *buyer,
				   const char *day, size_t *qi)
{
	int64_t d;
	assert_int_equal(kefu_day_parse(day, strlen(day), &d), 0);
	for (size_t i = 0; i < f->qr->n_chats; i++) {
		const kefu_chat *c = &f->run.res->chats[f->qr->chats[i].chat];
		kefu_str a = kefu_dict_get(f->run.ds->agents, c->agent);
		kefu_str b = kefu_dict_get(f->run.ds->buyers, c->buyer);
		if (c->day == d && a.n == strlen(agent) && !memcmp(a.p, agent, a.n) &&
		    b.n == strlen(buyer) && !memcmp(b.p, buyer, b.n)) {
			if (qi)
				*qi = i;
			return &f->qr->chats[i];
		}
	}
	fail_msg("no chat %s %s %s", agent, buyer, day);
	return NULL;
}

/* Rule ids of a chat's hits, in hit order, with the matched text. */
static const char *hits_of(const fx *f, size_t qi)
{
	static char out[1024];
	size_t k = 0;
	out[0] = '\0';
	for (size_t h = 0; h < f->qr->n_hits; h++) {
		const kefu_qa_hit *ht = &f->qr->hits[h];
		if (ht->chat != qi)
			continue;
		const kefu_qa_rule *r = &f->rs->r[ht->rule];
		if (r->kind == KEFU_QA_KEYWORDS || r->kind == KEFU_QA_REGEX) {
			uint32_t mi = f->msgs.order[ht->msg];
			k += (size_t)snprintf(out + k, sizeof out - k, "%s%s=%.*s", k ? ";" : "", r->id,
					      (int)(ht->end - ht->start),
					      f->msgs.buf + f->msgs.off[mi] + ht->start);
		} else {
			k += (size_t)snprintf(out + k, sizeof out - k, "%s%s(%lld)", k ? ";" : "", r->id,
					      (long long)ht->value);
		}
	}
	return out;
}

static void every_rule_kind(void **state)
{
	(void)state;
	fx f;
	fx_run(&f, rules_all, 1);
	assert_int_equal(f.qr->n_chats, 6);
	size_t qi;
	const kefu_qa_chat *c;
	/* chat 1: slow first answer (240 s), 最好 (最 inside it is one hit), VX id */
	c = chat_of(&f, "店A:小美", "buyer1", "2024-03-01", &qi);
	assert_string_equal(hits_of(&f, qi), "slow(240);adlaw=最好;off=VX: kefu_2024");
	assert_int_equal(c->points, 27);
	assert_int_equal(c->score, 73);
	assert_int_equal(c->hits, 3);
	assert_int_equal(c->max_severity, KEFU_QA_CRITICAL);
	assert_int_equal(c->max_gap_s, 240);
	assert_int_equal(c->gap_sum_s, 270);
	assert_int_equal(c->gap_n, 2);
	/* chat 2: two questions, no answer: unanswered and answers/questions 0/2 */
	c = chat_of(&f, "店A:小美", "buyer2", "2024-03-01", &qi);
	assert_string_equal(hits_of(&f, qi), "noans(2);ratio(0)");
	assert_int_equal(c->score, 89);
	/* chat 3: copy of the shop's auto reply; 不是最好 and 最近 cancel 最好 and 最 */
	c = chat_of(&f, "店A:小美", "buyer3", "2024-03-01", &qi);
	assert_string_equal(hits_of(&f, qi), "copy(0)");
	assert_int_equal(c->score, 97);
	/* chat 4: clean */
	c = chat_of(&f, "店A:小美", "buyer4", "2024-03-01", &qi);
	assert_string_equal(hits_of(&f, qi), "");
	assert_int_equal(c->score, 100);
	assert_int_equal(c->max_severity, 255);
	/* chat 6: the buyer's insult is a buyer-side hit worth 0 points */
	c = chat_of(&f, "店A:小刚", "buyer5", "2024-03-02", &qi);
	assert_string_equal(hits_of(&f, qi), "rude=傻逼");
	assert_int_equal(c->score, 100);
	assert_int_equal(c->max_severity, KEFU_QA_INFO);
	fx_free(&f);
}

static void gaps_reconcile_with_engine(void **state)
{
	(void)state;
	fx f;
	fx_run(&f, rules_all, 2);
	for (size_t i = 0; i < f.qr->n_chats; i++) {
		const kefu_chat *c = &f.run.res->chats[f.qr->chats[i].chat];
		assert_int_equal(f.qr->chats[i].gap_sum_s, c->resp_sum_s);
		assert_int_equal(f.qr->chats[i].gap_n, c->resp_n);
	}
	fx_free(&f);
}

static void score_floors_at_zero(void **state)
{
	(void)state;
	fx f;
	fx_run(&f, "rules:\n"
		   "  - {id: a, kind: keywords, severity: major, points: 60, words: [最好]}\n"
		   "  - {id: b, kind: regex, severity: major, points: 50, pattern: 'VX'}\n"
		   "  - {id: c, kind: keywords, severity: major, points: 7, words: [亲]}\n",
	       1);
	size_t qi;
	const kefu_qa_chat *c = chat_of(&f, "店A:小美", "buyer1", "2024-03-01", &qi);
	assert_int_equal(c->points, 117);
	assert_int_equal(c->score, 0);
	/* 亲 appears in one message only once; one rule deducts once however many hits */
	c = chat_of(&f, "店A:小刚", "buyer5", "2024-03-02", &qi);
	assert_int_equal(c->score, 93);
	fx_free(&f);
}

static void day_range(void **state)
{
	(void)state;
	fx f;
	memset(&f, 0, sizeof f);
	fx_run(&f, rules_all, 1);
	size_t all = f.qr->n_chats;
	kefu_qa_opts o = KEFU_QA_OPTS_INIT;
	o.shop_settings = f.run.vs;
	o.n_shop_settings = f.run.nvs;
	assert_int_equal(kefu_day_parse("2024-03-02", 10, &o.from_day), 0);
	kefu_qa_result *r2 = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_qa_inspect(&r2, f.run.ds, f.run.res, &f.msgs, f.rs, f.m, &o, &err), 0);
	assert_int_equal(all, 6);
	assert_int_equal(r2->n_chats, 2);
	assert_int_equal(r2->n_hits, 1); /* the buyer's insult */
	kefu_qa_result_free(r2);
	fx_free(&f);
}


/* The k-th allocation fails, for every k until a run succeeds: each call
 * fails cleanly (an error code, no crash; ASan checks for leaks) or works. */
static void allocation_failures(void **state)
{
	(void)state;
	fx f;
	fx_run(&f, rules_all, 1);
	int done = 0;
	for (long k = 1; k < 20000 && !done; k++) {
		kefu_err err = KEFU_ERR_INIT;
		kefu_qa_rules *rs = NULL;
		kefu_qa_matcher *m = NULL;
		kefu_qa_result *qr = NULL;
		kefu_qa_opts o = KEFU_QA_OPTS_INIT;
		o.shop_settings = f.run.vs;
		o.n_shop_settings = f.run.nvs;
		o.threads = 2;
		kefu_alloc_fail_at(k);
		int rc = kefu_qa_rules_parse(&rs, rules_all, strlen(rules_all), "t", NULL, NULL, &err);
		if (!rc)
			rc = kefu_qa_matcher_new(&m, rs, &err);
		if (!rc)
			rc = kefu_qa_inspect(&qr, f.run.ds, f.run.res, &f.msgs, rs, m, &o, &err);
		kefu_alloc_fail_at(0);
		if (rc) {
			assert_true(rc < 0);
			assert_null(qr);
		} else {
			assert_int_equal(qr->n_chats, f.qr->n_chats);
			assert_int_equal(qr->n_hits, f.qr->n_hits);
			done = 1;
		}
		kefu_qa_result_free(qr);
		kefu_qa_matcher_free(m);
		kefu_qa_rules_free(rs);
	}
	assert_true(done);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_rule_kind),
		cmocka_unit_test(gaps_reconcile_with_engine),
		cmocka_unit_test(score_floors_at_zero),
		cmocka_unit_test(day_range),
		cmocka_unit_test(allocation_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
