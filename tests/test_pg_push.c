/*
 * test_pg_push.c - the parts of `kefu push` and `kefu pull` that need no
 * server: COPY text escaping and unescaping (every special byte, octal and
 * hex escapes, NUL refused, UTF-8 untouched, every byte round-trips), schema name
 * checks, the store's push id (stable, 32 hex digits) and the error of an
 * unreachable server (nothing written, no password in the message). The
 * push itself runs against a real PostgreSQL in tests/e2e/pg_push.sh.
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

#include "kefu/pg_pull.h"
#include "kefu/pg_push.h"
#include "kefu/store.h"

static void check_escape(const char *in, size_t n, const char *want)
{
	char out[64];
	assert_true(2 * n <= sizeof out);
	size_t w = kefu_pg_copy_escape(out, in, n);
	assert_int_equal(w, strlen(want));
	assert_memory_equal(out, want, w);
}

static void test_escape(void **state)
{
	(void)state;
	check_escape("plain", 5, "plain");
	check_escape("a\tb", 3, "a\\tb");
	check_escape("a\nb\rc", 5, "a\\nb\\rc");
	check_escape("back\\slash", 10, "back\\\\slash");
	check_escape("\\N", 2, "\\\\N"); /* a text "\N" is not NULL */
	check_escape("亲，在的呢", strlen("亲，在的呢"), "亲，在的呢");
	check_escape("", 0, "");
	check_escape("\t\t", 2, "\\t\\t");
	char out[8];
	assert_int_equal(kefu_pg_copy_escape(out, "a\0b", 3), (size_t)-1);
}

static void check_unescape(const char *in, const char *want, size_t want_n)
{
	char buf[64];
	size_t n = strlen(in);
	memcpy(buf, in, n);
	size_t w = kefu_pg_copy_unescape(buf, n);
	assert_int_equal(w, want_n);
	assert_memory_equal(buf, want, w);
}

static void test_unescape(void **state)
{
	(void)state;
	check_unescape("plain", "plain", 5);
	check_unescape("a\\\\tb", "a\\tb", 4);  /* an escaped backslash, then t */
	check_unescape("a\\tb", "a\tb", 3);     /* \t is a tab */
	check_unescape("\\b\\f\\n\\r\\t\\v", "\b\f\n\r\t\v", 6);
	check_unescape("\\101\\x42\\7", "AB\a", 3);
	check_unescape("\\xZ", "xZ", 2);        /* \x without hex digits is x */
	check_unescape("\\.", ".", 1);          /* any other escaped byte is itself */
	check_unescape("end\\", "end\\", 4);    /* a trailing lone backslash stays */
	check_unescape("亲\\n在", "亲\n在", strlen("亲\n在"));
	/* every byte but NUL survives escape then unescape */
	char raw[255], esc[510];
	for (int i = 0; i < 255; i++)
		raw[i] = (char)(i + 1);
	size_t n = kefu_pg_copy_escape(esc, raw, sizeof raw);
	assert_int_equal(kefu_pg_copy_unescape(esc, n), sizeof raw);
	assert_memory_equal(esc, raw, sizeof raw);
}

static void test_schema_names(void **state)
{
	(void)state;
	assert_true(kefu_pg_schema_ok("kefu"));
	assert_true(kefu_pg_schema_ok("tenant_2"));
	assert_true(kefu_pg_schema_ok("_x"));
	assert_false(kefu_pg_schema_ok(""));
	assert_false(kefu_pg_schema_ok(NULL));
	assert_false(kefu_pg_schema_ok("2kefu"));
	assert_false(kefu_pg_schema_ok("Kefu"));
	assert_false(kefu_pg_schema_ok("a-b"));
	assert_false(kefu_pg_schema_ok("a;drop"));
	assert_false(kefu_pg_schema_ok("a\"b"));
	char long_name[65];
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	assert_false(kefu_pg_schema_ok(long_name));
	long_name[63] = '\0';
	assert_true(kefu_pg_schema_ok(long_name));
}

static void test_store_id_and_no_server(void **state)
{
	(void)state;
	char dir[] = "/tmp/kefu-test-pg.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof path, "%s/s.db", dir);
	kefu_store *st = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_store_open(&st, path, &err), 0);
	char a[33], b[33];
	assert_int_equal(kefu_pg_store_id(st, a, &err), 0);
	assert_int_equal(strlen(a), 32);
	assert_int_equal(strspn(a, "0123456789abcdef"), 32);
	assert_int_equal(kefu_pg_store_id(st, b, &err), 0);
	assert_string_equal(a, b);

	/* a socket directory where no server listens */
	char conn[160];
	snprintf(conn, sizeof conn, "host=%s port=1 user=kefu password=sekret-word dbname=x",
		 dir);
	kefu_pg_push_opts o = {conn, NULL, NULL};
	kefu_pg_push_stats s;
	assert_int_equal(kefu_pg_push(st, &o, &s, &err), KEFU_EIO);
	assert_non_null(strstr(err.msg, "cannot connect"));
	assert_null(strstr(err.msg, "sekret-word"));
	assert_string_equal(s.store_id, a);

	kefu_pg_push_opts bad = {conn, "No-Such", NULL};
	assert_int_equal(kefu_pg_push(st, &bad, &s, &err), KEFU_EINVAL);
	kefu_store_close(st);

	/* the id survives reopening */
	assert_int_equal(kefu_store_open(&st, path, &err), 0);
	assert_int_equal(kefu_pg_store_id(st, b, &err), 0);
	assert_string_equal(a, b);
	kefu_store_close(st);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_schema_names),
		cmocka_unit_test(test_store_id_and_no_server),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
