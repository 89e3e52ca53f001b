/*
 * test_load_piped.c - kefu_load_file_piped delivers exactly what
 * kefu_load_file delivers: the same rows, rejects, order, stats and
 * errors, with every callback (the time zone one too) on the calling
 * thread; a callback's error stops the load.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kefu/loader.h"
#include "kefu/tz.h"

typedef struct trace {
	char *buf;
	size_t len;
	FILE *f;
	pthread_t caller;
	int wrong_thread;
	long stop_after; /* rows; 0 = never */
	long rows;
	kefu_tz *tz8, *utc;
	int seen_east, seen_other;
} trace;

static void trace_str(trace *t, kefu_str s)
{
	fprintf(t->f, "[%.*s]", (int)s.n, s.p);
}

static int on_row(void *ctx, const kefu_record *r, const char *file, long line, kefu_err *err)
{
	trace *t = ctx;
	t->wrong_thread |= !pthread_equal(pthread_self(), t->caller);
	fprintf(t->f, "row %s:%ld kind %d ", file, line, (int)r->kind);
	if (r->kind == KEFU_KIND_MESSAGES) {
		trace_str(t, r->u.msg.shop);
		trace_str(t, r->u.msg.buyer);
		trace_str(t, r->u.msg.agent);
		trace_str(t, r->u.msg.text);
		fprintf(t->f, " %d %lld", (int)r->u.msg.dir, (long long)r->u.msg.ts);
	} else if (r->kind == KEFU_KIND_ORDERS) {
		trace_str(t, r->u.ord.shop);
		trace_str(t, r->u.ord.order_id);
		trace_str(t, r->u.ord.buyer);
		trace_str(t, r->u.ord.status);
		fprintf(t->f, " %lld %lld %lld", (long long)r->u.ord.created, (long long)r->u.ord.paid,
			(long long)r->u.ord.amount);
	}
	fputc('\n', t->f);
	if (t->stop_after && ++t->rows == t->stop_after)
		return kefu_err_set(err, KEFU_EIO, "stop requested");
	return 0;
}

static int on_reject(void *ctx, const char *file, long line, long col, const char *column,
		     const char *reason, kefu_str raw)
{
	trace *t = ctx;
	t->wrong_thread |= !pthread_equal(pthread_self(), t->caller);
	fprintf(t->f, "reject %s:%ld:%ld %s: %s ", file, line, col, column, reason);
	trace_str(t, raw);
	fputc('\n', t->f);
	return 0;
}

/* shop "east" is UTC+8, every other shop UTC (so times differ by shop) */
static const kefu_tz *tz_for_shop(void *ctx, kefu_str shop)
{
	trace *t = ctx;
	t->wrong_thread |= !pthread_equal(pthread_self(), t->caller);
	int east = shop.n == 4 && !memcmp(shop.p, "east", 4);
	/* the first request per shop: the sequential loader asks on every row,
	 * the piped one once per shop */
	int *seen = east ? &t->seen_east : &t->seen_other;
	if (!*seen)
		fprintf(t->f, "tz %.*s\n", (int)shop.n, shop.p);
	*seen = 1;
	return east ? t->tz8 : t->utc;
}

/* Equal traces, else the first differing line is printed. */
static void assert_same_trace(const char *a, const char *b)
{
	size_t i = 0, line = 1, start = 0;
	while (a[i] && a[i] == b[i]) {
		if (a[i] == '\n') {
			line++;
			start = i + 1;
		}
		i++;
	}
	if (a[i] || b[i]) {
		print_error("traces differ at line %zu:\n  sequential: %.200s\n  piped:      %.200s\n",
			    line, a + start, b + start);
		fail();
	}
}

typedef int (*load_fn)(const char *, const kefu_load_opts *, kefu_row_fn, kefu_reject_fn, void *,
		       kefu_load_stats *, kefu_err *);

static char *run(load_fn fn, const char *path, long stop_after, int *rc, kefu_load_stats *st,
		 kefu_err *err)
{
	trace t;
	memset(&t, 0, sizeof t);
	t.f = open_memstream(&t.buf, &t.len);
	t.caller = pthread_self();
	t.stop_after = stop_after;
	kefu_err e = KEFU_ERR_INIT;
	assert_int_equal(kefu_tz_load(&t.tz8, "+08:00", &e), 0);
	assert_int_equal(kefu_tz_load(&t.utc, "UTC", &e), 0);
	kefu_load_opts o = KEFU_LOAD_OPTS_INIT;
	o.default_tz = t.utc;
	o.tz_for_shop = tz_for_shop;
	o.tz_ctx = &t;
	*rc = fn(path, &o, on_row, on_reject, &t, st, err);
	fclose(t.f);
	kefu_tz_free(t.tz8);
	kefu_tz_free(t.utc);
	assert_false(t.wrong_thread);
	return t.buf;
}

static char *write_file(const char *text)
{
	char *path = strdup("/tmp/kefu-test-piped-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* Many rows (several batches), rejects between them, two shops. */
static char *big_text(void)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	fputs("shop,buyer,agent,dir,ts,text\n", f);
	for (int i = 0; i < 20000; i++) {
		if (i % 997 == 5)
			fprintf(f, "%s,b%d,a1,X,2023-03-01 10:00:00,bad dir\n", i % 2 ? "east" : "west", i);
		else if (i % 1999 == 7)
			fprintf(f, "east,b%d,a1,B,not a time,x\n", i);
		else
			fprintf(f, "%s,b%d,a%d,%c,2023-03-01 %02d:%02d:%02d,\"text %d, \"\"q\"\"\n"
				   "line two\"\n",
				i % 3 ? "east" : "west", i % 500, i % 7, "BAS"[i % 3], i % 24, i % 60,
				(i * 7) % 60, i);
	}
	fclose(f);
	return buf;
}

static void test_same_as_sequential(void **state)
{
	(void)state;
	char *text = big_text();
	char *path = write_file(text);
	free(text);
	int rc1, rc2;
	kefu_load_stats s1, s2;
	kefu_err e1 = KEFU_ERR_INIT, e2 = KEFU_ERR_INIT;
	char *a = run(kefu_load_file, path, 0, &rc1, &s1, &e1);
	char *b = run(kefu_load_file_piped, path, 0, &rc2, &s2, &e2);
	assert_int_equal(rc1, 0);
	assert_int_equal(rc2, 0);
	assert_same_trace(a, b);
	assert_true(strlen(a) > 1000000);           /* several batches */
	assert_non_null(strstr(a, "reject "));      /* rejects are in the trace */
	assert_non_null(strstr(a, "tz east"));       /* so are time zone requests */
	assert_int_equal(s1.rows_read, s2.rows_read);
	assert_int_equal(s1.rows_ok, s2.rows_ok);
	assert_int_equal(s1.rows_rejected, s2.rows_rejected);
	assert_int_equal(s1.rows_read, 20000);
	assert_true(s1.rows_rejected > 20);
	assert_int_equal((long long)s1.bytes, (long long)s2.bytes);
	free(a);
	free(b);
	unlink(path);
	free(path);
}

static void test_callback_error_stops(void **state)
{
	(void)state;
	char *text = big_text();
	char *path = write_file(text);
	free(text);
	int rc1, rc2;
	kefu_load_stats s1, s2;
	kefu_err e1 = KEFU_ERR_INIT, e2 = KEFU_ERR_INIT;
	char *a = run(kefu_load_file, path, 5000, &rc1, &s1, &e1);
	char *b = run(kefu_load_file_piped, path, 5000, &rc2, &s2, &e2);
	assert_int_equal(rc1, KEFU_EIO);
	assert_int_equal(rc2, KEFU_EIO);
	assert_string_equal(e2.msg, "stop requested");
	/* the callbacks saw exactly the same prefix */
	assert_same_trace(a, b);
	free(a);
	free(b);
	unlink(path);
	free(path);
}

static void test_file_errors(void **state)
{
	(void)state;
	int rc1, rc2;
	kefu_load_stats s1, s2;
	kefu_err e1 = KEFU_ERR_INIT, e2 = KEFU_ERR_INIT;
	char *a = run(kefu_load_file, "/nonexistent/kefu.csv", 0, &rc1, &s1, &e1);
	char *b = run(kefu_load_file_piped, "/nonexistent/kefu.csv", 0, &rc2, &s2, &e2);
	assert_int_equal(rc1, KEFU_EIO);
	assert_int_equal(rc2, rc1);
	assert_string_equal(e1.msg, e2.msg);
	free(a);
	free(b);
	char *path = write_file("no,such,columns\n1,2,3\n");
	a = run(kefu_load_file, path, 0, &rc1, &s1, &e1);
	b = run(kefu_load_file_piped, path, 0, &rc2, &s2, &e2);
	assert_int_equal(rc1, KEFU_EPARSE);
	assert_int_equal(rc2, rc1);
	assert_string_equal(e1.msg, e2.msg);
	assert_int_equal(e1.line, e2.line);
	free(a);
	free(b);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_sequential),
		cmocka_unit_test(test_callback_error_stops),
		cmocka_unit_test(test_file_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
