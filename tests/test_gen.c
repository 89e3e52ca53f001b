/*
 * test_gen.c - unit tests of the synthetic data generator (lib/gen.c):
 * determinism (same options -> same bytes, another seed -> other bytes),
 * the exact message count, and basic validity of every file, checked with a
 * small independent RFC 4180 reader so the generator's quoting is verified
 * by code that does not share it. Also sink errors and allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kefu/gen.h"
#include "kefu/tz.h"
#include "testutil.h"

typedef struct membuf {
	char *p;
	size_t n, cap;
} membuf;

typedef struct memsink {
	membuf f[KEFU_GEN_FILE_COUNT];
	int fail_after; /* fail the k-th write (0 = never) */
	int writes;
} memsink;

static int mem_write(void *ctx, kefu_gen_file f, const char *p, size_t n)
{
	memsink *s = ctx;
	s->writes++;
	if (s->fail_after && s->writes >= s->fail_after)
		return KEFU_EIO;
	membuf *b = &s->f[f];
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		assert_non_null(b->p);
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	return 0;
}

static void memsink_free(memsink *s)
{
	for (int i = 0; i < KEFU_GEN_FILE_COUNT; i++)
		free(s->f[i].p);
	memset(s, 0, sizeof *s);
}

static void run_gen(memsink *s, uint64_t seed, uint64_t n)
{
	kefu_gen_opts o = KEFU_GEN_OPTS_INIT;
	o.seed = seed;
	o.messages = n;
	o.days = 7;
	kefu_err err = KEFU_ERR_INIT;
	kefu_gen_stats st;
	memset(s, 0, sizeof *s);
	assert_int_equal(kefu_gen_run(&o, mem_write, s, &st, &err), 0);
	assert_int_equal(st.rows[KEFU_GEN_MESSAGES], n);
	for (int i = 0; i < KEFU_GEN_FILE_COUNT; i++)
		assert_int_equal(st.bytes[i], s->f[i].n);
}

/* ---- a tiny independent CSV reader (RFC 4180, LF line ends) ---- */

#define MAXF 16
typedef struct row {
	size_t nf;
	char *f[MAXF];
	size_t len[MAXF];
} row;

/* Parses one record at *pos; returns 1, 0 at end, -1 on malformed input.
 * Unescaped field copies are written into scratch (caller frees). */
static int next_row(const membuf *b, size_t *pos, row *r, char *scratch)
{
	size_t i = *pos, o = 0;
	if (i >= b->n)
		return 0;
	r->nf = 0;
	for (;;) {
		if (r->nf == MAXF)
			return -1;
		r->f[r->nf] = scratch + o;
		size_t start = o;
		if (i < b->n && b->p[i] == '"') {
			i++;
			for (;;) {
				if (i >= b->n)
					return -1; /* unterminated */
				if (b->p[i] == '"') {
					if (i + 1 < b->n && b->p[i + 1] == '"') {
						scratch[o++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				scratch[o++] = b->p[i++];
			}
			if (i < b->n && b->p[i] != ',' && b->p[i] != '\n')
				return -1; /* character after closing quote */
		} else {
			while (i < b->n && b->p[i] != ',' && b->p[i] != '\n') {
				if (b->p[i] == '"' || b->p[i] == '\r')
					return -1;
				scratch[o++] = b->p[i++];
			}
		}
		r->len[r->nf] = o - start;
		scratch[o++] = '\0';
		r->nf++;
		if (i >= b->n)
			return -1; /* every row must end with LF */
		if (b->p[i++] == '\n')
			break;
	}
	*pos = i;
	return 1;
}

static int is_ts(const char *s, size_t n, const kefu_tz *tz)
{
	if (n != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
		return 0;
	int64_t t;
	kefu_err err = KEFU_ERR_INIT;
	return kefu_ts_parse(s, n, tz, &t, &err) == 0;
}

static int is_money(const char *s, size_t n)
{
	if (n < 4 || s[n - 3] != '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (i != n - 3 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

static int valid_utf8(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
		if (k == 9 || (k && i + k >= n))
			return 0;
		for (size_t j = 1; j <= k; j++)
			if ((s[i + j] & 0xC0) != 0x80)
				return 0;
		i += k + 1;
	}
	return 1;
}

/* Checks a file's header and that every row has nf fields; calls check on
 * each row. Returns the number of data rows. */
static size_t check_file(const membuf *b, const char *header, size_t nf,
			 void (*check)(const row *r, const kefu_tz *tz), const kefu_tz *tz)
{
	size_t hl = strlen(header);
	assert_true(b->n > hl);
	assert_memory_equal(b->p, header, hl);
	assert_int_equal(b->p[hl], '\n');
	assert_true(valid_utf8(b->p, b->n));
	char *scratch = malloc(b->n + 1);
	assert_non_null(scratch);
	size_t pos = hl + 1, rows = 0;
	row r;
	int rc;
	while ((rc = next_row(b, &pos, &r, scratch)) == 1) {
		assert_int_equal(r.nf, nf);
		if (check)
			check(&r, tz);
		rows++;
	}
	assert_int_equal(rc, 0);
	free(scratch);
	return rows;
}

static size_t n_dir[3], n_quoted_newline;

static void check_message(const row *r, const kefu_tz *tz)
{
	assert_true(r->len[0] > 0 && r->len[1] > 0 && r->len[2] > r->len[0]);
	/* agent is "<shop>:<nick>" */
	assert_memory_equal(r->f[2], r->f[0], r->len[0]);
	assert_int_equal(r->f[2][r->len[0]], ':');
	assert_int_equal(r->len[3], 1);
	const char *d = strchr("BAS", r->f[3][0]);
	assert_non_null(d);
	n_dir[d - "BAS"]++;
	assert_true(is_ts(r->f[4], r->len[4], tz));
	assert_true(r->len[5] > 0);
	if (memchr(r->f[5], '\n', r->len[5]))
		n_quoted_newline++;
}

static void check_order(const row *r, const kefu_tz *tz)
{
	assert_true(r->len[1] >= 19);
	assert_true(is_ts(r->f[3], r->len[3], tz));
	assert_true(r->len[4] == 0 || is_ts(r->f[4], r->len[4], tz));
	if (r->len[4])
		assert_true(strcmp(r->f[4], r->f[3]) >= 0); /* paid after created */
	assert_true(is_money(r->f[5], r->len[5]));
	assert_true(atoi(r->f[6]) >= 1);
	assert_true(r->len[7] > 0);
	assert_true(is_money(r->f[8], r->len[8]));
}

static void check_rating(const row *r, const kefu_tz *tz)
{
	assert_true(is_ts(r->f[3], r->len[3], tz));
	for (int i = 4; i < 7; i++)
		assert_true(r->len[i] == 1 && r->f[i][0] >= '1' && r->f[i][0] <= '5');
}

static void check_eval(const row *r, const kefu_tz *tz)
{
	assert_true(is_ts(r->f[3], r->len[3], tz));
	assert_true(r->len[4] == 1 && r->f[4][0] >= '1' && r->f[4][0] <= '5');
}

static void check_agent(const row *r, const kefu_tz *tz)
{
	(void)tz;
	assert_true(r->len[0] > 0 && memchr(r->f[0], ':', r->len[0]));
	assert_true(!strcmp(r->f[1], "inhouse") || !strncmp(r->f[1], "v_", 2));
	assert_true(r->len[2] > 0 && r->len[3] > 0);
}

static void test_deterministic(void **state)
{
	(void)state;
	memsink a, b, c;
	run_gen(&a, 42, 5000);
	run_gen(&b, 42, 5000);
	run_gen(&c, 43, 5000);
	for (int i = 0; i < KEFU_GEN_FILE_COUNT; i++) {
		assert_int_equal(a.f[i].n, b.f[i].n);
		assert_memory_equal(a.f[i].p, b.f[i].p, a.f[i].n);
	}
	assert_true(a.f[KEFU_GEN_MESSAGES].n != c.f[KEFU_GEN_MESSAGES].n ||
		    memcmp(a.f[KEFU_GEN_MESSAGES].p, c.f[KEFU_GEN_MESSAGES].p,
			   a.f[KEFU_GEN_MESSAGES].n) != 0);
	assert_true(a.f[KEFU_GEN_ORDERS].n != c.f[KEFU_GEN_ORDERS].n ||
		    memcmp(a.f[KEFU_GEN_ORDERS].p, c.f[KEFU_GEN_ORDERS].p,
			   a.f[KEFU_GEN_ORDERS].n) != 0);
	memsink_free(&a);
	memsink_free(&b);
	memsink_free(&c);
}

static void test_valid(void **state)
{
	(void)state;
	kefu_tz *tz = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_tz_load(&tz, "+08:00", &err), 0);
	memsink s;
	run_gen(&s, 7, 20000);
	memset(n_dir, 0, sizeof n_dir);
	n_quoted_newline = 0;
	size_t nm = check_file(&s.f[KEFU_GEN_MESSAGES], "shop,buyer,agent,dir,ts,text", 6,
			       check_message, tz);
	assert_int_equal(nm, 20000);
	/* all three directions and multi-line texts occur */
	assert_true(n_dir[0] > 5000 && n_dir[1] > 5000 && n_dir[2] > 200);
	assert_true(n_quoted_newline > 0);
	size_t no = check_file(&s.f[KEFU_GEN_ORDERS],
			       "shop,order_id,buyer,created,paid,amount,items,status,refund", 9,
			       check_order, tz);
	assert_true(no > 1000 && no < 4000); /* roughly messages / 10 */
	size_t nr = check_file(&s.f[KEFU_GEN_RATINGS], "shop,order_id,buyer,ts,desc,service,shipping",
			       7, check_rating, tz);
	assert_true(nr > 100);
	size_t ne = check_file(&s.f[KEFU_GEN_EVALS], "shop,agent,buyer,ts,level", 5, check_eval, tz);
	assert_true(ne > 100);
	size_t na = check_file(&s.f[KEFU_GEN_AGENTS], "agent,vendor,team,name", 4, check_agent, tz);
	assert_true(na >= 6);
	memsink_free(&s);
	kefu_tz_free(tz);
}

static void test_small_and_bad_options(void **state)
{
	(void)state;
	memsink s;
	run_gen(&s, 1, 1); /* one message still gives well-formed files */
	memsink_free(&s);

	kefu_gen_opts o = KEFU_GEN_OPTS_INIT;
	kefu_err err = KEFU_ERR_INIT;
	o.messages = 0;
	assert_int_equal(kefu_gen_run(&o, mem_write, &s, NULL, &err), KEFU_EINVAL);
	o = (kefu_gen_opts)KEFU_GEN_OPTS_INIT;
	o.days = 0;
	assert_int_equal(kefu_gen_run(&o, mem_write, &s, NULL, &err), KEFU_EINVAL);
	assert_int_equal(kefu_gen_default_shops(10), 3);
	assert_int_equal(kefu_gen_default_shops(10000000), 50);
	assert_string_equal(kefu_gen_file_name(KEFU_GEN_EVALS), "evals.csv");
	assert_null(kefu_gen_file_name(KEFU_GEN_FILE_COUNT));
}

static void test_sink_error(void **state)
{
	(void)state;
	kefu_gen_opts o = KEFU_GEN_OPTS_INIT;
	o.messages = 200000;
	memsink s;
	memset(&s, 0, sizeof s);
	s.fail_after = 2;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_gen_run(&o, mem_write, &s, NULL, &err), KEFU_EIO);
	memsink_free(&s);
}

static void test_alloc_failures(void **state)
{
	(void)state;
	kefu_gen_opts o = KEFU_GEN_OPTS_INIT;
	o.messages = 1000;
	for (long k = 1; k < 40; k++) {
		memsink s;
		memset(&s, 0, sizeof s);
		kefu_err err = KEFU_ERR_INIT;
		kefu_alloc_fail_at(k);
		int rc = kefu_gen_run(&o, mem_write, &s, NULL, &err);
		kefu_alloc_fail_at(0);
		assert_true(rc == 0 || rc == KEFU_ENOMEM);
		memsink_free(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_small_and_bad_options),
		cmocka_unit_test(test_sink_error),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
