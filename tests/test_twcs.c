/*
 * test_twcs.c - real conversations: the TWCS support tweets
 * (../shared/data/twcs_customer_support_twitter) mapped to messages
 * (docs/metrics.md, "Real data"): company = shop and agent, customer =
 * buyer, inbound = B, company reply = A whose buyer is the author of the
 * tweet it answers. First-response figures from the engine are checked
 * against an independent computation written here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kefu/csv.h"
#include "kefu/tz.h"
#include "testutil.h"

#define TWCS KEFU_SHARED_DATA "/twcs_customer_support_twitter/twcs_head5000.csv"

typedef struct tweet {
	char *id, *author, *text, *resp, *parent;
	int inbound;
	int64_t ts;
	const char *company, *buyer;
	int resolving;
} tweet;

static tweet *tweets;
static size_t ntweets;

static int64_t parse_created(const char *s)
{
	/* "Tue Oct 31 22:10:47 +0000 2017" */
	static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char m[4] = {0};
	int d, hh, mm, ss, y, off;
	if (sscanf(s, "%*3s %3s %d %d:%d:%d %d %d", m, &d, &hh, &mm, &ss, &off, &y) != 7)
		return INT64_MIN;
	for (unsigned i = 0; i < 12; i++)
		if (!strcmp(m, mon[i]))
			return kefu_days_from_civil(y, i + 1, (unsigned)d) * 86400 + hh * 3600 + mm * 60 + ss;
	return INT64_MIN;
}

static tweet *find(const char *id)
{
	if (!id || !id[0])
		return NULL;
	/* the head file writes parents as floats: "3.0" */
	char buf[64];
	snprintf(buf, sizeof buf, "%s", id);
	char *dot = strchr(buf, '.');
	if (dot)
		*dot = '\0';
	for (size_t i = 0; i < ntweets; i++)
		if (!strcmp(tweets[i].id, buf))
			return &tweets[i];
	return NULL;
}

static const char *company_of(tweet *t)
{
	if (!t->inbound)
		return t->author;
	tweet *p = find(t->parent);
	if (p && !p->inbound)
		return p->author;
	char *resp = strdup(t->resp ? t->resp : "");
	const char *found = NULL;
	for (char *tok = strtok(resp, ","); tok && !found; tok = strtok(NULL, ",")) {
		tweet *r = find(tok);
		if (r && !r->inbound)
			found = r->author;
	}
	free(resp);
	return found;
}

static const char *buyer_of(tweet *t)
{
	if (t->inbound)
		return t->author;
	if (t->resolving)
		return NULL;
	tweet *p = find(t->parent);
	if (!p)
		return NULL;
	t->resolving = 1;
	const char *b = p->inbound ? p->author : buyer_of(p);
	t->resolving = 0;
	return b;
}

static int load_twcs(void)
{
	FILE *f = fopen(TWCS, "rb");
	if (!f)
		return -1;
	kefu_csv *r;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_csv_open_fd(&r, fileno(f), TWCS, NULL, &err), 0);
	kefu_str *fl;
	size_t nf;
	long line;
	int rc, header = 1;
	size_t cap = 0;
	while ((rc = kefu_csv_next(r, &fl, &nf, &line, &err)) != 0) {
		assert_true(rc > 0);
		if (header) {
			header = 0;
			continue;
		}
		assert_int_equal(nf, 8);
		if (ntweets == cap) {
			cap = cap ? cap * 2 : 1024;
			tweets = realloc(tweets, cap * sizeof *tweets);
		}
		tweet *t = &tweets[ntweets++];
		memset(t, 0, sizeof *t);
		t->id = strndup(fl[1].p, fl[1].n);
		t->author = strndup(fl[2].p, fl[2].n);
		t->inbound = fl[3].n == 4 && !memcmp(fl[3].p, "True", 4);
		char *created = strndup(fl[4].p, fl[4].n);
		t->ts = parse_created(created);
		free(created);
		assert_true(t->ts != INT64_MIN);
		t->text = strndup(fl[5].p, fl[5].n);
		t->resp = strndup(fl[6].p, fl[6].n);
		t->parent = strndup(fl[7].p, fl[7].n);
	}
	kefu_csv_free(r);
	fclose(f);
	return 0;
}

/* Writes the mapped messages as canonical CSV text (ISO timestamps, Z). */
static char *to_messages(size_t *kept)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	fprintf(f, "shop,buyer,agent,dir,ts,text\n");
	*kept = 0;
	for (size_t i = 0; i < ntweets; i++) {
		tweet *t = &tweets[i];
		t->company = company_of(t);
		t->buyer = buyer_of(t);
		if (!t->company || !t->buyer)
			continue;
		char day[16];
		int64_t d = t->ts / 86400, sod = t->ts % 86400;
		kefu_day_format(d, day);
		fprintf(f, "%s,%s,%s,%s,%sT%02d:%02d:%02dZ,\"", t->company, t->buyer, t->company,
			t->inbound ? "B" : "A", day, (int)(sod / 3600), (int)(sod / 60 % 60),
			(int)(sod % 60));
		for (const char *p = t->text; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputs("\"\n", f);
		(*kept)++;
	}
	fclose(f);
	return buf;
}

static int cmp_tweet_ts(const void *a, const void *b)
{
	const tweet *x = *(tweet *const *)a, *y = *(tweet *const *)b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->inbound > y->inbound ? -1 : x->inbound < y->inbound; /* B before A */
}

/* Independent first response per chat, straight from the definition, with
 * UTC days and max_wait 15 min: the first B of the day f, the first A at
 * or after f, answered if it is no later than the next day's start + 15 m. */
static void independent(const char *company, int64_t *sum, int64_t *count)
{
	tweet **v = malloc(ntweets * sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < ntweets; i++)
		if (tweets[i].company && tweets[i].buyer && !strcmp(tweets[i].company, company))
			v[n++] = &tweets[i];
	qsort(v, n, sizeof *v, cmp_tweet_ts);
	*sum = *count = 0;
	for (size_t i = 0; i < n; i++) {
		if (!v[i]->inbound)
			continue;
		int64_t day = v[i]->ts / 86400;
		int first = 1; /* is this the buyer's first B of the day? */
		for (size_t j = 0; j < i; j++)
			if (v[j]->inbound && !strcmp(v[j]->buyer, v[i]->buyer) && v[j]->ts / 86400 == day)
				first = 0;
		if (!first)
			continue;
		for (size_t j = i + 1; j < n; j++) {
			if (v[j]->inbound || strcmp(v[j]->buyer, v[i]->buyer))
				continue;
			if (v[j]->ts <= (day + 1) * 86400 + 900) {
				*sum += v[j]->ts - v[i]->ts;
				(*count)++;
			}
			break;
		}
	}
	free(v);
}

static void test_twcs_first_response(void **state)
{
	(void)state;
	if (access(TWCS, R_OK) != 0)
		skip();
	assert_int_equal(load_twcs(), 0);
	assert_int_equal(ntweets, 5000);
	size_t kept;
	char *msgs = to_messages(&kept);
	assert_true(kept > 4000);
	const char *texts[] = {msgs, NULL};
	const char *sets[] = {"tz=UTC", NULL};
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	ro.by = KEFU_BY_SHOP;
	ro.per = KEFU_PER_RANGE;
	tu_run r;
	tu_run_texts(&r, texts, sets, &ro);
	assert_int_equal(r.rejected, 0);
	int checked = 0;
	int64_t total_n = 0;
	for (size_t i = 0; i < r.table->nrows; i++) {
		const char *shop = kefu_table_cell(r.table, i, 0)->text;
		int64_t sum, count;
		independent(shop, &sum, &count);
		assert_int_equal(tu_int(r.table, (long)i, "first_resp_sum_s"), sum);
		assert_int_equal(tu_int(r.table, (long)i, "first_resp_n"), count);
		total_n += count;
		checked++;
	}
	assert_true(checked > 50); /* 76 company accounts, minus those without chats */
	assert_true(total_n > 1000);
	/* AmazonHelp must be there with answered chats */
	const char *kv[] = {"shop", "AmazonHelp", NULL};
	long a = tu_find_row(r.table, kv);
	assert_true(a >= 0);
	assert_true(tu_int(r.table, a, "received") > 0);
	tu_run_free(&r);
	free(msgs);
	for (size_t i = 0; i < ntweets; i++) {
		free(tweets[i].id);
		free(tweets[i].author);
		free(tweets[i].text);
		free(tweets[i].resp);
		free(tweets[i].parent);
	}
	free(tweets);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twcs_first_response),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
