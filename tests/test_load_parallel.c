/*
 * test_load_parallel.c - a file loaded in parallel parts gives exactly the
 * dataset and the rejected rows (with their line numbers) of a sequential
 * load, including when split points fall inside quoted multi-line fields
 * (the loader must notice and fall back) and with CRLF line endings.
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

#include "kefu/loader.h"
#include "kefu/snapshot.h"
#include "kefu/tz.h"

typedef struct rej_log {
	char *text;
	size_t n;
	FILE *f;
} rej_log;

static int log_reject(void *ctx, const char *file, long line, long col, const char *column,
		      const char *reason, kefu_str raw)
{
	(void)file;
	(void)raw;
	fprintf(((rej_log *)ctx)->f, "%ld:%ld:%s:%s\n", line, col, column, reason);
	return 0;
}

/* Loads path with `threads`; returns the finalized dataset's snapshot image
 * and the reject log. */
static void load(const char *path, int threads, char **img, size_t *n, char **rejects, int *parts)
{
	kefu_tz *tz;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_tz_load(&tz, "Asia/Shanghai", &err), 0);
	kefu_load_opts lo = KEFU_LOAD_OPTS_INIT;
	lo.default_tz = tz;
	kefu_dataset *ds;
	assert_int_equal(kefu_dataset_new(&ds), 0);
	rej_log log = {NULL, 0, NULL};
	log.f = open_memstream(&log.text, &log.n);
	kefu_load_stats st;
	if (kefu_load_into(ds, path, &lo, threads, log_reject, &log, &st, &err))
		fail_msg("load: %s", err.msg);
	fclose(log.f);
	*parts = st.parts;
	assert_int_equal(kefu_dataset_finalize(ds, &err), 0);
	assert_int_equal(kefu_snapshot_write(ds, img, n, &err), 0);
	*rejects = log.text;
	kefu_dataset_free(ds);
	kefu_tz_free(tz);
}

static char *write_file(const char *eol, int long_quotes, int bad_rows)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/kefu-par-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "shop,buyer,agent,dir,ts,text%s", eol);
	uint64_t x = 99;
	for (int i = 0; i < 20000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		int day = 1 + (int)(x >> 59) % 28, sec = (int)((x >> 20) % 86400);
		const char *dir = (x >> 40) % 3 == 0 ? "A" : "B";
		if (bad_rows && i % 997 == 5)
			fprintf(f, "s%d,b%d,s:a%d,Q,2023-03-%02d 10:00:00,bad dir%s", (int)(x % 3),
				(int)(x >> 33) % 50, (int)(x >> 45) % 4, day, eol);
		else if (long_quotes && i % 3 == 0) /* many line endings inside quotes */
			fprintf(f, "s%d,b%d,s:a%d,%s,2023-03-%02d %02d:%02d:%02d,\"多行%s文本%s,\"\"引号\"\"%s\"%s",
				(int)(x % 3), (int)(x >> 33) % 50, (int)(x >> 45) % 4, dir, day, sec / 3600,
				sec / 60 % 60, sec % 60, eol, eol, eol, eol);
		else
			fprintf(f, "s%d,b%d,s:a%d,%s,2023-03-%02d %02d:%02d:%02d,在吗%s", (int)(x % 3),
				(int)(x >> 33) % 50, (int)(x >> 45) % 4, dir, day, sec / 3600, sec / 60 % 60,
				sec % 60, eol);
	}
	fclose(f);
	return path;
}

static void check_same(const char *eol, int long_quotes, int bad_rows, int want_parallel)
{
	int parts;
	char *path = write_file(eol, long_quotes, bad_rows);
	kefu_load_set_min_part_for_test(4096);
	char *a, *b, *ra, *rb;
	size_t na, nb;
	load(path, 1, &a, &na, &ra, &parts);
	assert_int_equal(parts, 1);
	for (int threads = 2; threads <= 7; threads += 5) {
		load(path, threads, &b, &nb, &rb, &parts);
		if (want_parallel)
			assert_int_equal(parts, threads);
		assert_int_equal(na, nb);
		assert_memory_equal(a, b, na);
		assert_string_equal(ra, rb);
		kefu_free(b);
		free(rb);
	}
	if (bad_rows)
		assert_true(strlen(ra) > 100); /* rejects were reported, with lines */
	kefu_free(a);
	free(ra);
	unlink(path);
	kefu_load_set_min_part_for_test((uint64_t)32 << 20);
}

static void test_lf(void **state)
{
	(void)state;
	check_same("\n", 0, 1, 1);
}

static void test_crlf(void **state)
{
	(void)state;
	check_same("\r\n", 0, 1, 1);
}

static void test_quoted_newlines_fall_back(void **state)
{
	(void)state;
	check_same("\n", 1, 1, 0);
}

static void test_cr_only(void **state)
{
	(void)state;
	check_same("\r", 1, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lf),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_quoted_newlines_fall_back),
		cmocka_unit_test(test_cr_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
