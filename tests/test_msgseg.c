/*
 * test_msgseg.c - message segments (lib/msgseg.c): written rows read back
 * exactly (full segments, empty texts, extreme values, rows out of time
 * order), scans prune by time and id, the temp table, references, and
 * damaged blobs rejected with the segment named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "kefu/msgseg.h"

static sqlite3 *new_db(void)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE imports(id INTEGER PRIMARY KEY);"
				      "INSERT INTO imports(id) VALUES(1);" KEFU_MSGSEG_SCHEMA_SQL,
				      NULL, NULL, NULL),
			 SQLITE_OK);
	return db;
}

static uint64_t rnd_state = 0x1234567;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* n random rows; texts point into *arena (caller frees) */
static kefu_msgseg_row *random_rows(size_t n, char **arena)
{
	kefu_msgseg_row *r = calloc(n, sizeof *r);
	*arena = malloc(n * 40 + 1);
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		r[i].ts = (int64_t)(rnd() % 4000000000ULL) - 1000000000LL;
		if (i % 97 == 0)
			r[i].ts = i % 2 ? INT64_MAX : INT64_MIN; /* extremes survive the deltas */
		r[i].shop = (uint32_t)(rnd() % 70000);
		r[i].buyer = (uint32_t)rnd();
		r[i].agent = i % 5 == 0 ? UINT32_MAX : (uint32_t)(rnd() % 1000);
		r[i].dir = (uint8_t)(rnd() % 3);
		size_t len = i % 7 == 0 ? 0 : rnd() % 40;
		for (size_t k = 0; k < len; k++)
			(*arena)[off + k] = (char)(rnd() & 0xff); /* any bytes, NUL too */
		r[i].text = *arena + off;
		r[i].text_n = (uint32_t)len;
		off += len;
	}
	return r;
}

typedef struct collect {
	size_t segs, rows;
	int64_t ids[8];
} collect;

static int count_seg(void *ctx, const kefu_msgseg *seg, kefu_err *err)
{
	(void)err;
	collect *c = ctx;
	if (c->segs < 8)
		c->ids[c->segs] = seg->id;
	c->segs++;
	c->rows += seg->n;
	return 0;
}

static void check_equal(const kefu_msgseg *g, const kefu_msgseg_row *r, size_t n)
{
	assert_int_equal(g->n, n);
	for (size_t i = 0; i < n; i++) {
		assert_true(g->ts[i] == r[i].ts);
		assert_int_equal(g->shop[i], r[i].shop);
		assert_int_equal(g->buyer[i], r[i].buyer);
		assert_int_equal(g->agent[i], r[i].agent);
		assert_int_equal(g->dir[i], r[i].dir);
		assert_int_equal(g->text_off[i + 1] - g->text_off[i], r[i].text_n);
		if (r[i].text_n)
			assert_memory_equal(g->text + g->text_off[i], r[i].text, r[i].text_n);
	}
}

static void test_round_trip(void **state)
{
	(void)state;
	sqlite3 *db = new_db();
	kefu_msgseg_writer *w;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_msgseg_writer_new(&w, &err), 0);
	size_t sizes[] = {1, 2, 1000, KEFU_MSGSEG_MAX};
	char *arena[4];
	kefu_msgseg_row *rows[4];
	for (int k = 0; k < 4; k++) {
		rows[k] = random_rows(sizes[k], &arena[k]);
		int64_t id = 0;
		assert_int_equal(kefu_msgseg_write(w, db, 1, rows[k], sizes[k], &id, &err), 0);
		assert_int_equal(id, k + 1);
	}
	/* too many or no rows are refused */
	assert_int_equal(kefu_msgseg_write(w, db, 1, rows[3], KEFU_MSGSEG_MAX + 1, NULL, &err),
			 KEFU_EINVAL);
	assert_int_equal(kefu_msgseg_write(w, db, 1, rows[3], 0, NULL, &err), KEFU_EINVAL);
	kefu_msgseg g;
	memset(&g, 0, sizeof g);
	for (int k = 0; k < 4; k++) {
		assert_int_equal(kefu_msgseg_get(db, k + 1, 1, &g, &err), 0);
		assert_int_equal(g.id, k + 1);
		check_equal(&g, rows[k], sizes[k]);
		/* keys only: no texts */
		assert_int_equal(kefu_msgseg_get(db, k + 1, 0, &g, &err), 0);
		assert_null(g.text);
		assert_int_equal(g.n, sizes[k]);
	}
	assert_int_equal(kefu_msgseg_get(db, 9, 1, &g, &err), KEFU_ENOTFOUND);
	int64_t n, lo, hi;
	assert_int_equal(kefu_msgseg_count(db, &n, &err), 0);
	assert_int_equal(n, 1 + 2 + 1000 + KEFU_MSGSEG_MAX);
	assert_int_equal(kefu_msgseg_id_range(db, &lo, &hi, &err), 0);
	assert_int_equal(lo, 1);
	assert_int_equal(hi, 4);
	kefu_msgseg_free(&g);
	for (int k = 0; k < 4; k++) {
		free(rows[k]);
		free(arena[k]);
	}
	kefu_msgseg_writer_free(w);
	sqlite3_close(db);
}

static void test_scan_prunes(void **state)
{
	(void)state;
	sqlite3 *db = new_db();
	kefu_msgseg_writer *w;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_msgseg_writer_new(&w, &err), 0);
	/* three segments: days 0, 1 and 2 (two rows each) */
	for (int d = 0; d < 3; d++) {
		kefu_msgseg_row r[2] = {{d * 86400 + 10, 1, 2, 3, 0, 1, "a"},
					{d * 86400 + 20, 1, 2, 3, 1, 2, "bc"}};
		assert_int_equal(kefu_msgseg_write(w, db, 1, r, 2, NULL, &err), 0);
	}
	kefu_msgseg g;
	memset(&g, 0, sizeof g);
	collect c = {0};
	kefu_msgseg_filter f = {86400 + 15, 86400 + 15, INT64_MIN, INT64_MAX, 1};
	assert_int_equal(kefu_msgseg_scan(db, &f, &g, count_seg, &c, &err), 0);
	assert_int_equal(c.segs, 1);
	assert_int_equal(c.ids[0], 2);
	memset(&c, 0, sizeof c);
	kefu_msgseg_filter all = KEFU_MSGSEG_ALL;
	all.id_lo = 2;
	assert_int_equal(kefu_msgseg_scan(db, &all, &g, count_seg, &c, &err), 0);
	assert_int_equal(c.segs, 2);
	assert_int_equal(c.rows, 4);
	/* the temp table: every row with its reference */
	kefu_msgseg_filter every = KEFU_MSGSEG_ALL;
	assert_int_equal(kefu_msgseg_to_temp(db, &every, &err), 0);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*), sum(length(text)), max(ref) FROM"
					    " temp.messages",
					    -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(s, 0), 6);
	assert_int_equal(sqlite3_column_int64(s, 1), 9);
	assert_int_equal(sqlite3_column_int64(s, 2), kefu_msgseg_ref(3, 1));
	sqlite3_finalize(s);
	assert_int_equal(kefu_msgseg_ref(3, 1), (3 << 17) + 1);
	kefu_msgseg_free(&g);
	kefu_msgseg_writer_free(w);
	sqlite3_close(db);
}

/* Hand-made raw columns, compressed here: every inconsistency is caught. */
static void test_damage(void **state)
{
	(void)state;
	unsigned char raw[8 + 2 * 25];
	uint32_t hdr[2] = {0x32534d4bu, 2};
	memset(raw, 0, sizeof raw);
	memcpy(raw, hdr, 8);
	uint32_t lens[2] = {1, 2};
	memcpy(raw + 8 + 2 * 8 + 3 * 2 * 4, lens, sizeof lens); /* text_n after ts, shop, buyer, agent */
	unsigned char zk[256], zt[64], bad[256];
	size_t nk = ZSTD_compress(zk, sizeof zk, raw, sizeof raw, 1);
	size_t nt = ZSTD_compress(zt, sizeof zt, "abc", 3, 1);
	kefu_msgseg g;
	memset(&g, 0, sizeof g);
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_msgseg_decode(5, 2, zk, nk, zt, nt, 1, &g, &err), 0);
	assert_int_equal(g.text_off[2], 3);
	/* wrong row count, no frame, truncated frame, wrong text size, bad dir,
	 * bad magic */
	assert_int_equal(kefu_msgseg_decode(5, 3, zk, nk, zt, nt, 1, &g, &err), KEFU_ESTORE);
	assert_non_null(strstr(err.msg, "message segment 5 is damaged"));
	assert_int_equal(kefu_msgseg_decode(5, 0, zk, nk, zt, nt, 1, &g, &err), KEFU_ESTORE);
	assert_int_equal(kefu_msgseg_decode(5, 2, "x", 1, zt, nt, 1, &g, &err), KEFU_ESTORE);
	assert_int_equal(kefu_msgseg_decode(5, 2, zk, nk - 3, zt, nt, 1, &g, &err), KEFU_ESTORE);
	size_t n2 = ZSTD_compress(bad, sizeof bad, "abcd", 4, 1);
	assert_int_equal(kefu_msgseg_decode(5, 2, zk, nk, bad, n2, 1, &g, &err), KEFU_ESTORE);
	assert_non_null(strstr(err.msg, "text size"));
	raw[sizeof raw - 1] = 3; /* dir of row 2 */
	n2 = ZSTD_compress(bad, sizeof bad, raw, sizeof raw, 1);
	assert_int_equal(kefu_msgseg_decode(5, 2, bad, n2, zt, nt, 1, &g, &err), KEFU_ESTORE);
	assert_non_null(strstr(err.msg, "direction"));
	raw[sizeof raw - 1] = 0;
	raw[0] ^= 1;
	n2 = ZSTD_compress(bad, sizeof bad, raw, sizeof raw, 1);
	assert_int_equal(kefu_msgseg_decode(5, 2, bad, n2, zt, nt, 1, &g, &err), KEFU_ESTORE);
	assert_non_null(strstr(err.msg, "key header"));
	/* keys only never looks at the texts */
	assert_int_equal(kefu_msgseg_decode(5, 2, zk, nk, NULL, 0, 0, &g, &err), 0);
	kefu_msgseg_free(&g);
}

/* The key keeps shop and second exactly; the fingerprint is never 0. */
static void test_key(void **state)
{
	(void)state;
	uint64_t h = kefu_msgseg_hash(7, 8, 9, 1, 1700000000, "hi", 2);
	uint64_t k = kefu_msgseg_key(7, 1700000000, h);
	assert_int_equal(k >> 48, 7);
	assert_int_equal((k >> 16) & 0xffffffffu, 1700000000u);
	assert_int_equal(k & 0xffff, h >> 48);
	assert_true(kefu_msgseg_fp(0) != 0);
	/* every value changes the hash */
	assert_true(kefu_msgseg_hash(7, 8, 9, 1, 1700000000, "hj", 2) != h);
	assert_true(kefu_msgseg_hash(7, 8, 9, 2, 1700000000, "hi", 2) != h);
	assert_true(kefu_msgseg_hash(7, 8, 8, 1, 1700000000, "hi", 2) != h);
	assert_true(kefu_msgseg_hash(7, 9, 9, 1, 1700000000, "hi", 2) != h);
	assert_true(kefu_msgseg_hash(6, 8, 9, 1, 1700000000, "hi", 2) != h);
	assert_true(kefu_msgseg_hash(7, 8, 9, 1, 1700000001, "hi", 2) != h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_scan_prunes),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
