/*
 * test_store.c - unit tests of the SQLite store (lib/store*.c): import
 * semantics (added / unchanged / updated / conflict), the audit trail,
 * atomicity, message segments (same keys, other days, damage, the
 * schema 1 upgrade), settings versions, export and
 * re-import round trips, load into a dataset, schema checks and allocation
 * failures. Every test uses its own temporary database under /tmp.
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
#include <unistd.h>

#include "kefu/dataset.h"
#include "kefu/loader.h"
#include "kefu/msgseg.h"
#include "kefu/snapshot.h"
#include "kefu/store.h"
#include "kefu/tz.h"
#include "testutil.h"

/* metrics.md section 10, as canonical CSV */
static const char example_messages[] =
	"shop,buyer,agent,dir,ts,text\n"
	"s1,b1,s1:amy,B,2023-03-01 10:00:00,在吗\n"
	"s1,b1,s1:amy,S,2023-03-01 10:00:01,您好，欢迎光临\n"
	"s1,b1,s1:amy,B,2023-03-01 10:00:20,有货吗\n"
	"s1,b1,s1:amy,A,2023-03-01 10:00:40,有的\n"
	"s1,b1,s1:amy,B,2023-03-01 10:05:00,包邮吗\n"
	"s1,b1,s1:amy,A,2023-03-01 10:07:30,包邮\n"
	"s1,b2,s1:amy,B,2023-03-01 11:00:00,hi\n"
	"s1,b2,s1:amy,A,2023-03-01 11:04:00,hello\n"
	"s1,b3,s1:bob,B,2023-03-01 23:59:00,在吗\n"
	"s1,b3,s1:bob,A,2023-03-02 00:01:00,在\n"
	"s1,b4,s1:bob,B,2023-03-01 12:00:00,?\n";

static const char example_orders[] =
	"shop,order_id,buyer,created,paid,amount,items,status\n"
	"s1,o1,b1,2023-03-01 10:10:00,2023-03-01 10:12:00,100.00,1,TRADE_FINISHED\n"
	"s1,o2,b2,2023-03-02 09:00:00,2023-03-02 09:01:00,50.00,1,TRADE_FINISHED\n"
	"s1,o3,b3,2023-03-04 12:00:00,2023-03-04 12:00:30,80.00,1,TRADE_FINISHED\n"
	"s1,o4,b5,2023-03-01 15:00:00,2023-03-01 15:00:10,30.00,1,TRADE_FINISHED\n";

typedef struct fixture {
	char path[64];
	kefu_store *st;
	kefu_tz *tz;
} fixture;

static void remove_db(const char *path)
{
	char p[96];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

static void new_db_path(char *path)
{
	strcpy(path, "/tmp/kefu-test-store-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path); /* let SQLite create it */
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	kefu_err err = KEFU_ERR_INIT;
	new_db_path(f->path);
	if (kefu_store_open(&f->st, f->path, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	if (kefu_tz_load(&f->tz, "Asia/Shanghai", &err) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	kefu_store_close(f->st);
	kefu_tz_free(f->tz);
	remove_db(f->path);
	free(f);
	return 0;
}

/* Conflicts/rejects seen by the callbacks. */
typedef struct seen {
	int n;
	char file[64];
	long line;
	char column[32];
	char reason[256];
	char raw[256];
} seen;

static int on_reject(void *ctx, const char *file, long line, long col, const char *column,
		     const char *reason, kefu_str raw)
{
	seen *s = ctx;
	if (getenv("KEFU_TEST_VERBOSE"))
		fprintf(stderr, "reject %s:%ld: %s: %s\n", file, line, column, reason);
	(void)col;
	s->n++;
	snprintf(s->file, sizeof s->file, "%s", file);
	s->line = line;
	snprintf(s->column, sizeof s->column, "%s", column);
	snprintf(s->reason, sizeof s->reason, "%s", reason);
	snprintf(s->raw, sizeof s->raw, "%.*s", (int)raw.n, raw.p);
	return 0;
}

/* Naive timestamps in each shop's latest tz setting (as `kefu import`). */
typedef struct tz_ctx {
	kefu_store *st;
	kefu_settings s[8];
	char shop[8][64];
	int n;
} tz_ctx;

static const kefu_tz *tz_for_shop(void *vctx, kefu_str shop)
{
	tz_ctx *c = vctx;
	for (int i = 0; i < c->n; i++)
		if (strlen(c->shop[i]) == shop.n && !memcmp(c->shop[i], shop.p, shop.n))
			return c->s[i].tz;
	if (c->n == 8 || shop.n >= 64)
		return NULL;
	kefu_err err = KEFU_ERR_INIT;
	snprintf(c->shop[c->n], 64, "%.*s", (int)shop.n, shop.p);
	if (kefu_store_settings_latest(c->st, c->shop[c->n], &c->s[c->n], &err))
		return NULL;
	return c->s[c->n++].tz;
}

/* The loader passes one context to both callbacks. */
typedef struct load_ctx {
	kefu_row_fn row;
	void *row_ctx;
	seen *rej;
} load_ctx;

static int lc_row(void *ctx, const kefu_record *rec, const char *file, long line, kefu_err *err)
{
	load_ctx *lc = ctx;
	return lc->row(lc->row_ctx, rec, file, line, err);
}

static int lc_reject(void *ctx, const char *file, long line, long col, const char *column,
		     const char *reason, kefu_str raw)
{
	load_ctx *lc = ctx;
	return on_reject(lc->rej, file, line, col, column, reason, raw);
}

/* Loads one CSV text into the open run of st. */
static int load_into(kefu_store *st, const kefu_tz *tz, const char *csv, const char *name,
		     kefu_row_fn row, void *row_ctx, seen *rej, kefu_err *err)
{
	kefu_load_opts lo = KEFU_LOAD_OPTS_INIT;
	kefu_load_stats ls;
	tz_ctx tc;
	memset(&tc, 0, sizeof tc);
	tc.st = st;
	lo.default_tz = tz;
	lo.tz_for_shop = tz_for_shop;
	lo.tz_ctx = &tc;
	memset(&ls, 0, sizeof ls);
	load_ctx lc = {row ? row : kefu_store_row_cb, row_ctx ? row_ctx : st, rej};
	int rc = kefu_load_mem(csv, strlen(csv), name, &lo, lc_row, lc_reject, &lc, &ls, err);
	for (int i = 0; i < tc.n; i++)
		kefu_settings_clear(&tc.s[i]);
	if (rc)
		return rc;
	return kefu_store_import_note_file(st, name, &ls, err);
}

/* A whole run over several CSV texts; returns the run's stats. */
static kefu_import_stats run_import(fixture *f, const char *const *csv, int n, seen *conf)
{
	kefu_err err = KEFU_ERR_INIT;
	seen rej;
	memset(&rej, 0, sizeof rej);
	kefu_store_import_opts io = KEFU_STORE_IMPORT_OPTS_INIT;
	io.on_conflict = on_reject;
	io.ctx = conf ? conf : &rej;
	io.now = 1700000000;
	assert_int_equal(kefu_store_import_begin(f->st, &io, &err), 0);
	for (int i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof name, "in%d.csv", i + 1);
		int rc = load_into(f->st, f->tz, csv[i], name, NULL, NULL, &rej, &err);
		if (rc)
			fprintf(stderr, "load: %s\n", err.msg);
		assert_int_equal(rc, 0);
	}
	assert_int_equal(kefu_store_import_commit(f->st, &err), 0);
	return *kefu_store_import_stats(f->st);
}

static int64_t count(fixture *f, kefu_kind k)
{
	int64_t n = -1;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_store_count(f->st, k, &n, &err), 0);
	return n;
}

/* Runs one SQL query returning a single text/integer cell, via a second
 * connection (what another process would see). */
static char *query1(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char *out = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		out = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static char *export_str(kefu_store *st, kefu_kind k)
{
	char *buf = NULL;
	size_t n = 0;
	kefu_err err = KEFU_ERR_INIT;
	FILE *mf = open_memstream(&buf, &n);
	assert_non_null(mf);
	int rc = kefu_store_export(st, k, mf, &err);
	if (rc)
		fprintf(stderr, "export: %s\n", err.msg);
	assert_int_equal(rc, 0);
	fclose(mf);
	return buf;
}

/* ------------------------------------------------------------------ tests */

static void test_example_import_and_reimport(void **state)
{
	fixture *f = *state;
	const char *in[] = {example_messages, example_orders};
	kefu_import_stats s = run_import(f, in, 2, NULL);
	const kefu_import_counts *m = &s.kind[KEFU_KIND_MESSAGES], *o = &s.kind[KEFU_KIND_ORDERS];
	assert_int_equal(m->read, 11);
	assert_int_equal(m->added, 11);
	assert_int_equal(m->unchanged, 0);
	assert_int_equal(o->read, 4);
	assert_int_equal(o->added, 4);
	assert_int_equal(s.files, 2);
	assert_true(s.run_id > 0);
	assert_int_equal(count(f, KEFU_KIND_MESSAGES), 11);
	assert_int_equal(count(f, KEFU_KIND_ORDERS), 4);

	/* the same rows again, in another order of files: nothing added */
	const char *again[] = {example_orders, example_messages};
	s = run_import(f, again, 2, NULL);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].read, 11);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].added, 0);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].unchanged, 11);
	assert_int_equal(s.kind[KEFU_KIND_ORDERS].unchanged, 4);
	assert_int_equal(s.kind[KEFU_KIND_ORDERS].updated, 0);
	assert_int_equal(count(f, KEFU_KIND_MESSAGES), 11);

	/* an exact duplicate row inside one file counts once */
	const char dup[] = "shop,buyer,agent,dir,ts,text\n"
			   "s1,b9,s1:amy,B,2023-03-05 10:00:00,x\n"
			   "s1,b9,s1:amy,B,2023-03-05 10:00:00,x\n"
			   "s1,b9,s1:amy,B,2023-03-05 10:00:00,y\n";
	const char *d[] = {dup};
	s = run_import(f, d, 1, NULL);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].added, 2);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].unchanged, 1);

	/* the run log */
	char *runs = query1(f->path, "SELECT count(*) FROM imports WHERE finished IS NOT NULL");
	assert_string_equal(runs, "3");
	free(runs);
	char *cnt = query1(f->path, "SELECT unchanged FROM import_counts WHERE run_id = 2 AND "
				    "kind = 'messages'");
	assert_string_equal(cnt, "11");
	free(cnt);
}

static void test_order_update_audit(void **state)
{
	fixture *f = *state;
	const char *in[] = {example_orders};
	run_import(f, in, 1, NULL);
	/* o1 amended (refund, status), o2 repeated unchanged, o5 new; then o1
	 * once more in a later file of the same run */
	const char upd[] =
		"shop,order_id,buyer,created,paid,amount,items,status,refund\n"
		"s1,o1,b1,2023-03-01 10:10:00,2023-03-01 10:12:00,100.00,1,TRADE_CLOSED,100\n"
		"s1,o2,b2,2023-03-02 09:00:00,2023-03-02 09:01:00,50.00,1,TRADE_FINISHED,\n"
		"s1,o5,b6,2023-03-03 09:00:00,,20.5,1,WAIT_BUYER_PAY,\n";
	const char upd2[] =
		"shop,order_id,buyer,created,paid,amount,items,status,refund\n"
		"s1,o1,b1,2023-03-01 10:10:00,2023-03-01 10:12:00,100.00,2,TRADE_CLOSED,100\n";
	const char *in2[] = {upd, upd2};
	kefu_import_stats s = run_import(f, in2, 2, NULL);
	const kefu_import_counts *o = &s.kind[KEFU_KIND_ORDERS];
	assert_int_equal(o->read, 4);
	assert_int_equal(o->updated, 2);
	assert_int_equal(o->unchanged, 1);
	assert_int_equal(o->added, 1);
	assert_int_equal(count(f, KEFU_KIND_ORDERS), 5);

	char *n = query1(f->path, "SELECT count(*) FROM audit");
	assert_string_equal(n, "2");
	free(n);
	char *old = query1(f->path, "SELECT old FROM audit ORDER BY id LIMIT 1");
	assert_non_null(strstr(old, "\"status\":\"TRADE_FINISHED\""));
	assert_non_null(strstr(old, "\"refund\":0"));
	assert_non_null(strstr(old, "\"amount\":10000"));
	free(old);
	char *nw = query1(f->path, "SELECT new FROM audit ORDER BY id LIMIT 1");
	assert_non_null(strstr(nw, "\"status\":\"TRADE_CLOSED\""));
	assert_non_null(strstr(nw, "\"refund\":10000"));
	free(nw);
	char *where = query1(f->path, "SELECT file || ':' || line || ':' || key || ':' || run_id "
				      "|| ':' || at FROM audit ORDER BY id LIMIT 1");
	assert_string_equal(where, "in1.csv:2:o1:2:1700000000");
	free(where);
	char *second = query1(f->path, "SELECT old FROM audit ORDER BY id DESC LIMIT 1");
	assert_non_null(strstr(second, "\"items\":1"));
	assert_non_null(strstr(second, "\"status\":\"TRADE_CLOSED\""));
	free(second);
	char *cur = query1(f->path, "SELECT items || '/' || status || '/' || refund FROM orders "
				    "WHERE order_id = 'o1'");
	assert_string_equal(cur, "2/TRADE_CLOSED/10000");
	free(cur);
	char *unpaid = query1(f->path, "SELECT coalesce(paid, 'null') FROM orders WHERE "
				       "order_id = 'o5'");
	assert_string_equal(unpaid, "null");
	free(unpaid);

	/* ratings: a buyer amends a rating */
	const char r1[] = "shop,order_id,buyer,ts,desc,service,shipping\n"
			  "s1,o1,b1,2023-03-05 10:00:00,5,5,5\n";
	const char r2[] = "shop,order_id,buyer,ts,desc,service,shipping\n"
			  "s1,o1,b1,2023-03-05 10:00:00,5,5,5\n"
			  "s1,o1,b1,2023-03-06 10:00:00,3,4,5\n";
	const char *ri[] = {r1};
	s = run_import(f, ri, 1, NULL);
	assert_int_equal(s.kind[KEFU_KIND_RATINGS].added, 1);
	const char *ri2[] = {r2};
	s = run_import(f, ri2, 1, NULL);
	assert_int_equal(s.kind[KEFU_KIND_RATINGS].unchanged, 1);
	assert_int_equal(s.kind[KEFU_KIND_RATINGS].updated, 1);
	char *rold = query1(f->path, "SELECT old FROM audit WHERE kind = 'ratings'");
	assert_non_null(strstr(rold, "\"desc\":5"));
	free(rold);
	assert_int_equal(count(f, KEFU_KIND_RATINGS), 1);
}

static void test_eval_conflict(void **state)
{
	fixture *f = *state;
	const char e1[] = "shop,agent,buyer,ts,level\n"
			  "s1,s1:amy,b1,2023-03-01 10:30:00,5\n"
			  "s1,s1:amy,b2,2023-03-01 11:30:00,4\n";
	const char e2[] = "shop,agent,buyer,ts,level\n"
			  "s1,s1:amy,b2,2023-03-01 11:30:00,4\n"
			  "s1,s1:amy,b1,2023-03-01 10:30:00,2\n";
	const char *a[] = {e1};
	kefu_import_stats s = run_import(f, a, 1, NULL);
	assert_int_equal(s.kind[KEFU_KIND_EVALS].added, 2);
	seen conf;
	memset(&conf, 0, sizeof conf);
	const char *b[] = {e2};
	s = run_import(f, b, 1, &conf);
	assert_int_equal(s.kind[KEFU_KIND_EVALS].read, 2);
	assert_int_equal(s.kind[KEFU_KIND_EVALS].unchanged, 1);
	assert_int_equal(s.kind[KEFU_KIND_EVALS].conflicts, 1);
	assert_int_equal(s.kind[KEFU_KIND_EVALS].added, 0);
	assert_int_equal(conf.n, 1);
	assert_string_equal(conf.file, "in1.csv");
	assert_int_equal(conf.line, 3);
	assert_string_equal(conf.column, "level");
	assert_non_null(strstr(conf.reason, "level 5"));
	assert_string_equal(conf.raw, "s1,s1:amy,b1,2023-03-01T02:30:00Z,2");
	/* not applied */
	char *lv = query1(f->path, "SELECT group_concat(level, ',') FROM (SELECT level FROM evals "
				   "ORDER BY ts)");
	assert_string_equal(lv, "5,4");
	free(lv);
	/* the conflict row re-imports as a conflict again (its raw is valid CSV) */
	char csv[512];
	snprintf(csv, sizeof csv, "shop,agent,buyer,ts,level\n%s\n", conf.raw);
	const char *c[] = {csv};
	memset(&conf, 0, sizeof conf);
	s = run_import(f, c, 1, &conf);
	assert_int_equal(s.kind[KEFU_KIND_EVALS].conflicts, 1);
}

/* A row callback that aborts after `limit` rows, like SIGINT would. */
typedef struct abort_ctx {
	kefu_store *st;
	int seen, limit;
} abort_ctx;

static int abort_row(void *vctx, const kefu_record *rec, const char *file, long line,
		     kefu_err *err)
{
	abort_ctx *a = vctx;
	if (++a->seen > a->limit)
		return kefu_err_set(err, KEFU_EIO, "interrupted");
	return kefu_store_import_row(a->st, rec, file, line, err);
}

static void test_atomic_rollback(void **state)
{
	fixture *f = *state;
	const char *in[] = {example_orders};
	run_import(f, in, 1, NULL);
	char *before_orders = export_str(f->st, KEFU_KIND_ORDERS);
	int64_t nm = count(f, KEFU_KIND_MESSAGES), no = count(f, KEFU_KIND_ORDERS);
	char *runs0 = query1(f->path, "SELECT count(*) FROM imports");

	kefu_err err = KEFU_ERR_INIT;
	seen rej;
	memset(&rej, 0, sizeof rej);
	assert_int_equal(kefu_store_import_begin(f->st, NULL, &err), 0);
	/* a whole file of new messages, plus an update of o1 ... */
	assert_int_equal(load_into(f->st, f->tz, example_messages, "m.csv", NULL, NULL, &rej, &err),
			 0);
	const char upd[] = "shop,order_id,buyer,created,paid,amount,items,status\n"
			   "s1,o1,b1,2023-03-01 10:10:00,,1.00,1,TRADE_CLOSED\n";
	assert_int_equal(load_into(f->st, f->tz, upd, "u.csv", NULL, NULL, &rej, &err), 0);
	/* ... then a file aborted midway */
	abort_ctx a = {f->st, 0, 3};
	int rc = load_into(f->st, f->tz, example_messages, "m2.csv", abort_row, &a, &rej, &err);
	assert_true(rc < 0);
	kefu_store_import_rollback(f->st);

	assert_int_equal(count(f, KEFU_KIND_MESSAGES), nm);
	assert_int_equal(count(f, KEFU_KIND_ORDERS), no);
	char *after_orders = export_str(f->st, KEFU_KIND_ORDERS);
	assert_string_equal(before_orders, after_orders);
	char *runs1 = query1(f->path, "SELECT count(*) FROM imports");
	assert_string_equal(runs0, runs1);
	char *audit = query1(f->path, "SELECT count(*) FROM audit");
	assert_string_equal(audit, "0");
	char *names = query1(f->path, "SELECT count(*) FROM dim_agent");
	assert_string_equal(names, "0");

	/* the name caches were reset: a new run inserts the names again */
	const char *m[] = {example_messages};
	kefu_import_stats s = run_import(f, m, 1, NULL);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].added, 11);

	/* closing the store with an open run rolls it back */
	assert_int_equal(kefu_store_import_begin(f->st, NULL, &err), 0);
	const char more[] = "shop,buyer,agent,dir,ts,text\ns2,z,s2:zoe,B,2023-03-01 10:00:00,x\n";
	assert_int_equal(load_into(f->st, f->tz, more, "x.csv", NULL, NULL, &rej, &err), 0);
	kefu_store_close(f->st);
	assert_int_equal(kefu_store_open(&f->st, f->path, &err), 0);
	assert_int_equal(count(f, KEFU_KIND_MESSAGES), 11);

	free(before_orders);
	free(after_orders);
	free(runs0);
	free(runs1);
	free(audit);
	free(names);
}

/* Two different messages of one shop and second whose value hashes share
 * their top 16 bits have the same segment key: the fingerprint still
 * tells them apart, so both are stored and each is found again. */
static void test_same_key_other_values(void **state)
{
	fixture *f = *state;
	kefu_err err = KEFU_ERR_INIT;
	/* ids as a fresh store gives them: shop 1, buyer 1, agent 1 */
	int64_t ts = kefu_days_from_civil(2023, 3, 1) * 86400 + 2 * 3600; /* 10:00 +08:00 */
	char a[16], b[16];
	uint64_t ka = 0;
	int found = 0;
	for (int i = 0; i < 100000 && !found; i++) {
		snprintf(b, sizeof b, "t%d", i);
		uint64_t k = kefu_msgseg_key(1, ts, kefu_msgseg_hash(1, 1, 1, 0, ts, b, strlen(b)));
		if (i == 0) {
			snprintf(a, sizeof a, "%s", b);
			ka = k;
		} else if (k == ka) {
			found = 1;
		}
	}
	assert_true(found);
	char csv[256];
	snprintf(csv, sizeof csv,
		 "shop,buyer,agent,dir,ts,text\ns1,b1,s1:amy,B,2023-03-01 10:00:00,%s\n"
		 "s1,b1,s1:amy,B,2023-03-01 10:00:00,%s\n",
		 a, b);
	const char *in[] = {csv};
	kefu_import_stats s = run_import(f, in, 1, NULL);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].added, 2);
	s = run_import(f, in, 1, NULL);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].added, 0);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].unchanged, 2);
	assert_int_equal(count(f, KEFU_KIND_MESSAGES), 2);
	(void)err;
}

/* Duplicates inside one run and across runs, runs of other days (whose
 * segments a run does not need to read), and one segment per run. */
static void test_message_segments(void **state)
{
	fixture *f = *state;
	char *csv = malloc(16384), *day2 = malloc(16384);
	size_t off = (size_t)snprintf(csv, 16384, "shop,buyer,agent,dir,ts,text\n");
	size_t off2 = (size_t)snprintf(day2, 16384, "shop,buyer,agent,dir,ts,text\n");
	for (int i = 0; i < 100; i++) {
		int k = i == 6 ? 5 : i == 40 ? 3 : i; /* row 6 = row 5, row 40 = row 3 */
		off += (size_t)snprintf(csv + off, 16384 - off,
					"s%d,b%d,s%d:a,%c,2023-03-01 10:%02d:%02d,msg %d\n", k % 3,
					k % 7, k % 3, "BAS"[k % 3], k / 60, k % 60, k);
		off2 += (size_t)snprintf(day2 + off2, 16384 - off2,
					 "s%d,b%d,s%d:a,%c,2023-03-02 10:%02d:%02d,msg %d\n", i % 3,
					 i % 7, i % 3, "BAS"[i % 3], i / 60, i % 60, i);
	}
	const char *in[] = {csv};
	kefu_import_stats s = run_import(f, in, 1, NULL);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].read, 100);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].added, 98);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].unchanged, 2);
	assert_int_equal(count(f, KEFU_KIND_MESSAGES), 98);
	s = run_import(f, in, 1, NULL);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].added, 0);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].unchanged, 100);
	/* the next day, then both days again in one run */
	const char *in2[] = {day2};
	s = run_import(f, in2, 1, NULL);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].added, 100);
	const char *both[] = {day2, csv};
	s = run_import(f, both, 2, NULL);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].added, 0);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].unchanged, 200);
	assert_int_equal(count(f, KEFU_KIND_MESSAGES), 198);
	char *segs = query1(f->path, "SELECT count(*) || ' ' || sum(rows) FROM msg_segments");
	assert_string_equal(segs, "2 198");
	free(segs);
	free(csv);
	free(day2);
}

/* A damaged segment is an error naming it, never a crash or a silent
 * loss. */
static void test_damaged_segment(void **state)
{
	fixture *f = *state;
	const char *in[] = {example_messages};
	run_import(f, in, 1, NULL);
	kefu_err err = KEFU_ERR_INIT;
	kefu_dataset *ds = NULL;
	static const char *const damage[] = {
		"UPDATE msg_segments SET keys = x'00'",
		"UPDATE msg_segments SET texts = zeroblob(20)",
		"UPDATE msg_segments SET rows = rows + 1",
	};
	for (size_t d = 0; d < sizeof damage / sizeof damage[0]; d++) {
		char *keys = query1(f->path, "SELECT hex(keys) || ',' || hex(texts) || ',' || rows"
					     " FROM msg_segments");
		exec_sql(f->path, damage[d]);
		assert_int_equal(kefu_dataset_new(&ds), 0);
		err = (kefu_err)KEFU_ERR_INIT;
		assert_int_equal(kefu_store_load(f->st, ds, &err), KEFU_ESTORE);
		assert_non_null(strstr(err.msg, "message segment 1 is damaged"));
		kefu_dataset_free(ds);
		char sql[4096];
		char *c1 = strchr(keys, ','), *c2 = strchr(c1 + 1, ',');
		*c1 = *c2 = '\0';
		snprintf(sql, sizeof sql,
			 "UPDATE msg_segments SET keys = x'%s', texts = x'%s', rows = %s", keys,
			 c1 + 1, c2 + 1);
		exec_sql(f->path, sql);
		free(keys);
	}
	assert_int_equal(kefu_dataset_new(&ds), 0);
	assert_int_equal(kefu_store_load(f->st, ds, &err), 0);
	kefu_dataset_free(ds);
}

/* A schema 1 store (messages as rows) is upgraded on open: same rows,
 * same export, and re-importing them adds nothing. */
static void test_upgrade_v1(void **state)
{
	fixture *f = *state;
	const char *in[] = {example_messages};
	run_import(f, in, 1, NULL);
	char *before = export_str(f->st, KEFU_KIND_MESSAGES);
	kefu_store_close(f->st);
	f->st = NULL;
	/* turn it into a schema 1 store by hand */
	exec_sql(f->path,
		 "CREATE TABLE messages(h INTEGER PRIMARY KEY,"
		 " shop_id INTEGER NOT NULL REFERENCES dim_shop(id),"
		 " buyer_id INTEGER NOT NULL REFERENCES dim_buyer(id),"
		 " agent_id INTEGER NOT NULL REFERENCES dim_agent(id),"
		 " dir INTEGER NOT NULL CHECK(dir BETWEEN 0 AND 2),"
		 " ts INTEGER NOT NULL, text TEXT NOT NULL) STRICT;");
	kefu_err err = KEFU_ERR_INIT;
	{
		/* copy the rows out of the segments with kefu's own reader */
		sqlite3 *db;
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		kefu_msgseg_filter all = KEFU_MSGSEG_ALL;
		assert_int_equal(kefu_msgseg_to_temp(db, &all, &err), 0);
		assert_int_equal(sqlite3_exec(db,
					      "INSERT INTO main.messages(h, shop_id, buyer_id,"
					      " agent_id, dir, ts, text) SELECT ref * 7919, shop_id,"
					      " buyer_id, agent_id, dir, ts, text FROM temp.messages;"
					      "DROP TABLE main.msg_segments; PRAGMA user_version = 1",
					      NULL, NULL, NULL),
				 SQLITE_OK);
		sqlite3_close(db);
	}
	assert_int_equal(kefu_store_open(&f->st, f->path, &err), 0);
	char *v = query1(f->path, "PRAGMA user_version");
	assert_string_equal(v, "2");
	free(v);
	v = query1(f->path, "SELECT count(*) FROM sqlite_schema WHERE name = 'messages'");
	assert_string_equal(v, "0");
	free(v);
	assert_int_equal(count(f, KEFU_KIND_MESSAGES), 11);
	char *after = export_str(f->st, KEFU_KIND_MESSAGES);
	assert_string_equal(before, after);
	kefu_import_stats s = run_import(f, in, 1, NULL);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].added, 0);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].unchanged, 11);
	free(before);
	free(after);
}

/* The store's snapshot: written compressed after a load from rows, used
 * while current, ignored (rebuilt from rows) when damaged; a raw image as
 * earlier versions stored it is still read. Every way gives the same
 * dataset image. */
static void test_snapshot_cache(void **state)
{
	fixture *f = *state;
	const char *in[] = {example_messages, example_orders};
	run_import(f, in, 2, NULL);
	kefu_err err = KEFU_ERR_INIT;
	kefu_dataset *ds = NULL;
	int cached = -1;
	char *img0 = NULL, *img = NULL;
	size_t n0 = 0, n = 0;
	assert_int_equal(kefu_store_load_cached(f->st, &ds, &cached, &err), 0);
	assert_int_equal(cached, 0);
	assert_int_equal(kefu_snapshot_write(ds, &img0, &n0, &err), 0);
	kefu_dataset_free(ds);
	char *magic = query1(f->path, "SELECT hex(substr(data, 1, 4)) FROM snapshot");
	assert_string_equal(magic, "28B52FFD"); /* a zstd frame */
	free(magic);
	assert_int_equal(kefu_store_load_cached(f->st, &ds, &cached, &err), 0);
	assert_int_equal(cached, 1);
	assert_int_equal(kefu_snapshot_write(ds, &img, &n, &err), 0);
	assert_int_equal(n, n0);
	assert_memory_equal(img, img0, n);
	kefu_dataset_free(ds);
	kefu_free(img);
	/* damaged (bytes in the middle of the frame flipped): rebuilt from the
	 * rows */
	{
		sqlite3 *db;
		sqlite3_stmt *q;
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT data FROM snapshot", -1, &q, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		int zn = sqlite3_column_bytes(q, 0);
		unsigned char *z = malloc((size_t)zn);
		memcpy(z, sqlite3_column_blob(q, 0), (size_t)zn);
		sqlite3_finalize(q);
		for (int i = zn / 3; i < zn / 3 + 8 && i < zn; i++)
			z[i] ^= 0x5a;
		assert_int_equal(sqlite3_prepare_v2(db, "UPDATE snapshot SET data = ?1", -1, &q, NULL),
				 SQLITE_OK);
		sqlite3_bind_blob(q, 1, z, zn, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(q), SQLITE_DONE);
		sqlite3_finalize(q);
		sqlite3_close(db);
		free(z);
	}
	assert_int_equal(kefu_store_load_cached(f->st, &ds, &cached, &err), 0);
	assert_int_equal(cached, 0);
	assert_int_equal(kefu_snapshot_write(ds, &img, &n, &err), 0);
	assert_memory_equal(img, img0, n0);
	kefu_dataset_free(ds);
	kefu_free(img);
	/* an uncompressed image (earlier versions) */
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE snapshot SET data = ?1", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, img0, (int)n0, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(kefu_store_load_cached(f->st, &ds, &cached, &err), 0);
	assert_int_equal(cached, 1);
	assert_int_equal(kefu_snapshot_write(ds, &img, &n, &err), 0);
	assert_memory_equal(img, img0, n0);
	kefu_dataset_free(ds);
	kefu_free(img);
	kefu_free(img0);
}

static void test_settings_versions(void **state)
{
	fixture *f = *state;
	kefu_err err = KEFU_ERR_INIT;
	kefu_settings base;
	kefu_settings_versions vs;
	assert_int_equal(kefu_settings_init(&base, &err), 0);

	/* no rows: one version equal to base */
	assert_int_equal(kefu_store_settings_versions(f->st, "s1", &base, &vs, &err), 0);
	assert_int_equal(vs.n, 1);
	assert_true(vs.from_day[0] == INT64_MIN);
	assert_int_equal(vs.v[0].slow_reply_s, 60);
	kefu_settings_versions_clear(&vs);

	int64_t d1 = kefu_days_from_civil(2023, 3, 1), d2 = kefu_days_from_civil(2023, 4, 1);
	/* invalid pairs are refused */
	assert_int_equal(kefu_store_settings_set(f->st, "s1", "slow_reply", "5", d1, &err),
			 KEFU_EINVAL);
	assert_int_equal(kefu_store_settings_set(f->st, "s1", "judge_rule", "first", d1, &err),
			 KEFU_EINVAL);
	/* '*' from the beginning, shop from d1, '*' from d2 */
	assert_int_equal(kefu_store_settings_set(f->st, NULL, "slow_reply_s", "45", INT64_MIN, &err),
			 0);
	assert_int_equal(kefu_store_settings_set(f->st, NULL, "max_wait", "10m", INT64_MIN, &err),
			 0);
	assert_int_equal(kefu_store_settings_set(f->st, "s1", "slow_reply_s", "30", d1, &err), 0);
	assert_int_equal(kefu_store_settings_set(f->st, NULL, "slow_reply_s", "90", d2, &err), 0);
	assert_int_equal(kefu_store_settings_set(f->st, NULL, "judge_rule", "payment", d2, &err), 0);
	/* replacing a value for the same (shop, key, day) */
	assert_int_equal(kefu_store_settings_set(f->st, NULL, "max_wait", "5m", INT64_MIN, &err), 0);

	assert_int_equal(kefu_store_settings_versions(f->st, "s1", &base, &vs, &err), 0);
	assert_int_equal(vs.n, 3);
	assert_true(vs.from_day[0] == INT64_MIN);
	assert_true(vs.from_day[1] == d1);
	assert_true(vs.from_day[2] == d2);
	assert_int_equal(vs.v[0].slow_reply_s, 45);
	assert_int_equal(vs.v[0].max_wait_s, 300);
	assert_int_equal(vs.v[1].slow_reply_s, 30);
	/* the shop's own row wins over a later '*' row */
	assert_int_equal(vs.v[2].slow_reply_s, 30);
	assert_int_equal(vs.v[2].judge_rule, KEFU_JUDGE_PAYMENT);
	assert_int_equal(vs.v[1].judge_rule, KEFU_JUDGE_ORDER_FIRST);
	assert_int_equal(kefu_settings_at(&vs, d1 - 1)->slow_reply_s, 45);
	assert_int_equal(kefu_settings_at(&vs, d1 + 5)->slow_reply_s, 30);
	kefu_settings_versions_clear(&vs);

	/* another shop sees only the '*' rows */
	assert_int_equal(kefu_store_settings_versions(f->st, "s2", &base, &vs, &err), 0);
	assert_int_equal(vs.n, 2);
	assert_int_equal(vs.v[0].slow_reply_s, 45);
	assert_int_equal(vs.v[1].slow_reply_s, 90);
	kefu_settings_versions_clear(&vs);
	assert_int_equal(kefu_store_settings_versions(f->st, NULL, &base, &vs, &err), 0);
	assert_int_equal(vs.n, 2);
	kefu_settings_versions_clear(&vs);

	/* two dates only (nothing from the beginning): base first */
	assert_int_equal(kefu_store_settings_set(f->st, "s3only", "tz", "+09:00", d1, &err), 0);
	assert_int_equal(kefu_store_settings_versions(f->st, "s3only", &base, &vs, &err), 0);
	assert_int_equal(vs.n, 3);
	assert_string_equal(kefu_tz_name(vs.v[0].tz), "Asia/Shanghai");
	assert_string_equal(kefu_tz_name(vs.v[1].tz), "+09:00");
	kefu_settings_versions_clear(&vs);

	/* latest */
	kefu_settings latest;
	assert_int_equal(kefu_store_settings_latest(f->st, "s1", &latest, &err), 0);
	assert_int_equal(latest.slow_reply_s, 30);
	assert_int_equal(latest.judge_rule, KEFU_JUDGE_PAYMENT);
	kefu_settings_clear(&latest);
	kefu_settings_clear(&base);
}

/* Every kind with awkward values, for the round trip. */
static const char rt_messages[] =
	"text,ts,dir,agent,buyer,shop\n"
	"\"comma, quote \"\" and\nnewline\",2023-03-01 10:00:00,B,店:小美,cntaobao买家1,店铺一\n"
	",2023-03-01 10:00:01,S,店:小美,买家1,店铺一\n"
	"\" leading and trailing \",2023-03-01 10:00:02,A,店:小美,买家1,店铺一\n"
	"\"crlf\r\ninside\",2023-03-01T02:00:03Z,A,店:小美,买家1,店铺一\n"
	"ny,2023-11-05 01:30:00,B,ny:al,bob,nyshop\n"
	"ny later,2023-11-05T01:30:00-05:00,A,ny:al,bob,nyshop\n"
	"ny early,2023-11-05T01:30:00-04:00,A,ny:al,bob,nyshop\n";
static const char rt_orders[] =
	"shop,order_id,buyer,created,paid,amount,items,status,refund\n"
	"店铺一,1234567890123,买家1,2023-03-01 10:10:00,,12.5,0,WAIT_BUYER_PAY,\n"
	"店铺一,o2,买家1,2023-03-01 10:10:00,2023-03-01 10:11:00,0,3,\"a,b\",1.01\n";
static const char rt_ratings[] = "shop,order_id,buyer,ts,desc,service,shipping\n"
				 "店铺一,o2,买家1,2023-03-09 10:00:00,1,2,3\n";
static const char rt_evals[] = "shop,agent,buyer,ts,level\n"
			       "店铺一,店:小美,买家1,2023-03-01 10:20:00,4\n";
static const char rt_agents[] =
	"agent,vendor,team,name,from,to,base_month,commission_rate\n"
	"店:小美,inhouse,A组,小美,2023-01-01,,3000,0.015\n"
	"ny:al,v1,,Al,,2023-12-31,,\n";
static const char rt_presence[] = "agent,login,logout\n"
				  "店:小美,2023-03-01 08:55:00,2023-03-01 18:00:00\n";

static void test_export_roundtrip(void **state)
{
	fixture *f = *state;
	kefu_err err = KEFU_ERR_INIT;
	/* nyshop's naive times are New York time (with a DST overlap) */
	assert_int_equal(
		kefu_store_settings_set(f->st, "nyshop", "tz", "America/New_York", INT64_MIN, &err),
		0);
	const char *in[] = {rt_messages, rt_orders, rt_ratings, rt_evals, rt_agents, rt_presence};
	kefu_import_stats s = run_import(f, in, 6, NULL);
	for (int k = KEFU_KIND_MESSAGES; k <= KEFU_KIND_PRESENCE; k++)
		assert_int_equal(s.kind[k].rejected, 0);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].added, 7);
	assert_int_equal(count(f, KEFU_KIND_AGENTS), 2);

	char *exp[KEFU_KIND_COUNT] = {NULL};
	for (int k = KEFU_KIND_MESSAGES; k <= KEFU_KIND_PRESENCE; k++)
		exp[k] = export_str(f->st, (kefu_kind)k);
	assert_non_null(strstr(exp[KEFU_KIND_MESSAGES],
			       "店铺一,买家1,店:小美,B,2023-03-01 10:00:00,\"comma, quote \"\" and\n"
			       "newline\"\n"));
	assert_non_null(strstr(exp[KEFU_KIND_MESSAGES], "\" leading and trailing \""));
	/* the ambiguous New York 01:30 is written with its offset */
	assert_non_null(strstr(exp[KEFU_KIND_MESSAGES], "nyshop,bob,ny:al,B,2023-11-05 01:30:00,ny\n"));
	assert_non_null(strstr(exp[KEFU_KIND_MESSAGES], "2023-11-05T01:30:00-05:00,ny later\n"));
	assert_string_equal(exp[KEFU_KIND_ORDERS],
			    "shop,order_id,buyer,created,paid,amount,items,status,refund\n"
			    "店铺一,1234567890123,买家1,2023-03-01 10:10:00,,12.50,0,"
			    "WAIT_BUYER_PAY,0.00\n"
			    "店铺一,o2,买家1,2023-03-01 10:10:00,2023-03-01 10:11:00,0.00,3,\"a,b\","
			    "1.01\n");
	assert_string_equal(exp[KEFU_KIND_AGENTS],
			    "agent,vendor,team,name,from,to,base_month,commission_rate\n"
			    "ny:al,v1,,Al,,2023-12-31,,\n"
			    "店:小美,inhouse,A组,小美,2023-01-01,,3000.00,0.015\n");

	/* re-import every export into a fresh store: identical exports */
	fixture g;
	memset(&g, 0, sizeof g);
	new_db_path(g.path);
	g.tz = f->tz;
	assert_int_equal(kefu_store_open(&g.st, g.path, &err), 0);
	assert_int_equal(
		kefu_store_settings_set(g.st, "nyshop", "tz", "America/New_York", INT64_MIN, &err),
		0);
	const char *again[] = {exp[1], exp[2], exp[3], exp[4], exp[5], exp[6]};
	s = run_import(&g, again, 6, NULL);
	assert_int_equal(s.kind[KEFU_KIND_MESSAGES].added, 7);
	for (int k = KEFU_KIND_MESSAGES; k <= KEFU_KIND_PRESENCE; k++) {
		char *e2 = export_str(g.st, (kefu_kind)k);
		assert_string_equal(exp[k], e2);
		free(e2);
	}
	/* and re-importing the export into the original store changes nothing */
	s = run_import(f, again, 6, NULL);
	for (int k = KEFU_KIND_MESSAGES; k <= KEFU_KIND_PRESENCE; k++) {
		assert_int_equal(s.kind[k].added, 0);
		assert_int_equal(s.kind[k].updated, 0);
		assert_int_equal(s.kind[k].conflicts, 0);
	}
	kefu_store_close(g.st);
	remove_db(g.path);
	for (int k = 0; k < KEFU_KIND_COUNT; k++)
		free(exp[k]);
}

static void test_load_dataset(void **state)
{
	fixture *f = *state;
	const char *in[] = {example_messages, example_orders, rt_agents, rt_evals};
	run_import(f, in, 4, NULL);
	kefu_dataset *ds = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_dataset_new(&ds), 0);
	int rc = kefu_store_load(f->st, ds, &err);
	if (rc)
		fprintf(stderr, "load: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(kefu_dataset_finalize(ds, &err), 0);
	assert_int_equal(ds->msg.n, 11);
	assert_int_equal(ds->ord.n, 4);
	assert_int_equal(ds->ev.n, 1);
	assert_int_equal(ds->roster.n, 2);
	uint32_t id;
	assert_int_equal(kefu_dict_find(ds->agents, "s1:bob", 6, &id), 0);
	assert_int_equal(kefu_dict_find(ds->buyers, "b5", 2, &id), 0);
	/* o1 amount 100.00 */
	int found = 0;
	for (size_t i = 0; i < ds->ord.n; i++) {
		kefu_str oid = kefu_dict_get(ds->order_ids, ds->ord.order_id[i]);
		if (oid.n == 2 && !memcmp(oid.p, "o1", 2)) {
			assert_int_equal(ds->ord.amount[i], 10000);
			found = 1;
		}
	}
	assert_true(found);
	kefu_dataset_free(ds);
}

static void test_open_checks(void **state)
{
	(void)state;
	char path[64];
	kefu_err err = KEFU_ERR_INIT;
	kefu_store *st = NULL;
	new_db_path(path);
	/* NOCREATE on a missing file */
	assert_int_equal(kefu_store_open_ex(&st, path, KEFU_STORE_NOCREATE, &err), KEFU_ENOTFOUND);
	assert_null(st);
	/* another application's database */
	exec_sql(path, "CREATE TABLE t(x)");
	assert_int_equal(kefu_store_open(&st, path, &err), KEFU_ESTORE);
	assert_null(st);
	assert_non_null(strstr(err.msg, "not a kefu store"));
	remove_db(path);
	/* a newer schema */
	assert_int_equal(kefu_store_open(&st, path, &err), 0);
	kefu_store_close(st);
	exec_sql(path, "PRAGMA user_version = 99");
	assert_int_equal(kefu_store_open(&st, path, &err), KEFU_ESTORE);
	assert_non_null(strstr(err.msg, "newer"));
	remove_db(path);
	/* a file that is not SQLite at all */
	FILE *fp = fopen(path, "w");
	fputs("shop,buyer\nthis is not a database, it is a CSV file with enough bytes to fill "
	      "a header of one hundred bytes...................................\n",
	      fp);
	fclose(fp);
	assert_int_equal(kefu_store_open(&st, path, &err), KEFU_ESTORE);
	assert_null(st);
	remove_db(path);
	/* schema version and WAL */
	assert_int_equal(kefu_store_open(&st, path, &err), 0);
	kefu_store_close(st);
	char *v = query1(path, "PRAGMA user_version");
	assert_int_equal(atoi(v), KEFU_STORE_SCHEMA_VERSION);
	free(v);
	char *j = query1(path, "PRAGMA journal_mode");
	assert_string_equal(j, "wal");
	free(j);
	remove_db(path);
}

/* Module tables: created once per version, re-run on a higher version,
 * refused when the store's module is newer. */
static void test_modules(void **state)
{
	fixture *f = *state;
	kefu_err err = KEFU_ERR_INIT;
	const char *v1 = "CREATE TABLE IF NOT EXISTS m_a(x INTEGER) STRICT";
	const char *v2 = "CREATE TABLE IF NOT EXISTS m_a(x INTEGER) STRICT;"
			 "CREATE TABLE IF NOT EXISTS m_b(y TEXT) STRICT";
	assert_int_equal(kefu_store_ensure_module(f->st, "m", 1, v1, &err), 0);
	/* same version again: sql not run (a bad statement would fail) */
	assert_int_equal(kefu_store_ensure_module(f->st, "m", 1, "not sql", &err), 0);
	assert_int_equal(kefu_store_ensure_module(f->st, "m", 2, v2, &err), 0);
	char *n = query1(f->path, "SELECT count(*) FROM sqlite_schema WHERE name IN ('m_a','m_b')");
	assert_string_equal(n, "2");
	free(n);
	char *ver = query1(f->path, "SELECT version FROM kefu_modules WHERE name='m'");
	assert_string_equal(ver, "2");
	free(ver);
	assert_int_equal(kefu_store_ensure_module(f->st, "m", 1, v1, &err), KEFU_ESTORE);
	assert_non_null(strstr(err.msg, "newer"));
	/* a failing module leaves nothing behind */
	assert_int_not_equal(kefu_store_ensure_module(f->st, "bad", 1,
						      "CREATE TABLE m_c(x) STRICT; nonsense", &err),
			     0);
	n = query1(f->path, "SELECT count(*) FROM sqlite_schema WHERE name='m_c'");
	assert_string_equal(n, "0");
	free(n);
	assert_non_null(kefu_store_sqlite(f->st));
}

static void test_alloc_failures(void **state)
{
	fixture *f = *state;
	const char *in[] = {example_messages, example_orders};
	/* fail the k-th allocation of a run; whatever happens, nothing leaks
	 * and a failed run leaves the store as it was */
	for (long k = 1; k < 400; k++) {
		kefu_err err = KEFU_ERR_INIT;
		seen rej;
		memset(&rej, 0, sizeof rej);
		int64_t before = count(f, KEFU_KIND_MESSAGES);
		kefu_alloc_fail_at(k);
		int rc = kefu_store_import_begin(f->st, NULL, &err);
		for (int i = 0; i < 2 && rc == 0; i++)
			rc = load_into(f->st, f->tz, in[i], "x.csv", NULL, NULL, &rej, &err);
		if (rc == 0)
			rc = kefu_store_import_commit(f->st, &err);
		else
			kefu_store_import_rollback(f->st);
		kefu_alloc_fail_at(0);
		if (rc) {
			assert_int_equal(count(f, KEFU_KIND_MESSAGES), before);
		} else {
			assert_int_equal(count(f, KEFU_KIND_MESSAGES), 11);
			if (before == 11 && k > 200)
				break;
		}
	}
	kefu_alloc_fail_at(0);
	assert_int_equal(count(f, KEFU_KIND_MESSAGES), 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_example_import_and_reimport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_update_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eval_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_key_other_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_dataset, setup, teardown),
		cmocka_unit_test(test_open_checks),
		cmocka_unit_test_setup_teardown(test_modules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
