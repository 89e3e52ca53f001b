/*
 * store_import.c - import runs into the store (formats.md "Import rules").
 *
 * A run is one write transaction (BEGIN IMMEDIATE ... COMMIT) over any
 * number of files, so it is atomic; every row is classified per kind as
 * added, unchanged, updated (orders, ratings, roster: a later row of the
 * same key with any value different; old values go to the audit table) or
 * a conflict (evals: same key, another level; reported, not applied).
 *
 * Hot path: names resolve to dimension ids through in-memory caches; each
 * order, rating, eval, roster or presence row is one INSERT ... ON
 * CONFLICT DO NOTHING on a reused prepared statement, followed by a keyed
 * SELECT only when the key already exists. Messages are collected 64K at
 * a time, sorted by key, checked against the run's key set (store_keys.c:
 * a message whose key and 64-bit fingerprint of all values are stored is
 * unchanged) and written as one columnar segment (msgseg.h).
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int bind_ts_or_null(sqlite3_stmt *s, int i, int64_t v, int64_t none)
{
	return v == none ? sqlite3_bind_null(s, i) : sqlite3_bind_int64(s, i, v);
}

/* Column value equals v, where `none` stands for SQL NULL. */
static int col_eq_int(sqlite3_stmt *s, int i, int64_t v, int64_t none)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return v == none;
	return v != none && sqlite3_column_int64(s, i) == v;
}

static int col_eq_str(sqlite3_stmt *s, int i, kefu_str v)
{
	const unsigned char *p = sqlite3_column_text(s, i);
	size_t n = (size_t)sqlite3_column_bytes(s, i);
	return n == v.n && (n == 0 || memcmp(p, v.p, n) == 0);
}

/* Steps a write statement to completion; 1 when it changed a row. */
static int step_write(kefu_store *st, sqlite3_stmt *s, int *changed, kefu_err *err,
		      const char *what)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		rc = store_fail(st, err, what);
		sqlite3_reset(s);
		return rc;
	}
	if (changed)
		*changed = sqlite3_changes(st->db) > 0;
	sqlite3_reset(s);
	return 0;
}

static int bind_fail(kefu_store *st, sqlite3_stmt *s, kefu_err *err)
{
	int rc = store_fail(st, err, "bind");
	sqlite3_reset(s);
	return rc;
}

#define STMT(var, id)                                  \
	do {                                           \
		if (!((var) = store_stmt(st, (id), err))) \
			return KEFU_ESTORE;            \
	} while (0)

/* ------------------------------------------------------------- messages */

/* Sorts the pending rows by key (as signed, the order of segment keys),
 * ties in arrival order: a stable LSD radix sort (8 passes of 8 bits,
 * skipping digits every key shares) of (key, index) pairs in buffers kept
 * across flushes. Returns the row order. */
static const uint32_t *sort_pending(kefu_store *st, kefu_err *err)
{
	size_t n = st->nmsg;
	if (!st->sort_k) {
		st->sort_k = kefu_malloc(STORE_MSG_BUFFER * 2 * sizeof *st->sort_k);
		st->sort_ix = kefu_malloc(STORE_MSG_BUFFER * 2 * sizeof *st->sort_ix);
		if (!st->sort_k || !st->sort_ix) {
			kefu_free(st->sort_k);
			kefu_free(st->sort_ix);
			st->sort_k = NULL;
			st->sort_ix = NULL;
			kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			return NULL;
		}
	}
	uint64_t *ka = st->sort_k, *kb = st->sort_k + STORE_MSG_BUFFER;
	uint32_t *ia = st->sort_ix, *ib = st->sort_ix + STORE_MSG_BUFFER;
	for (size_t i = 0; i < n; i++) {
		ka[i] = st->msg[i].h ^ (1ULL << 63);
		ia[i] = (uint32_t)i;
	}
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[257] = {0};
		for (size_t i = 0; i < n; i++)
			count[((ka[i] >> shift) & 0xff) + 1]++;
		if (count[((ka[0] >> shift) & 0xff) + 1] == n)
			continue; /* every key has this digit */
		for (int d = 0; d < 256; d++)
			count[d + 1] += count[d];
		for (size_t i = 0; i < n; i++) {
			size_t d = count[(ka[i] >> shift) & 0xff]++;
			kb[d] = ka[i];
			ib[d] = ia[i];
		}
		uint64_t *tk = ka;
		ka = kb;
		kb = tk;
		uint32_t *ti = ia;
		ia = ib;
		ib = ti;
	}
	return ia;
}

int store_flush_messages(kefu_store *st, kefu_err *err)
{
	kefu_import_counts *c = &st->stats.kind[KEFU_KIND_MESSAGES];
	size_t n = st->nmsg;
	int rc = 0;
	if (!n)
		return 0;
	const uint32_t *order = sort_pending(st, err);
	if (!order)
		return KEFU_ENOMEM;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		if (st->msg[i].ts < lo)
			lo = st->msg[i].ts;
		if (st->msg[i].ts > hi)
			hi = st->msg[i].ts;
	}
	if ((rc = store_keys_load(st, lo, hi, err)))
		return rc;
	if (!st->seg_rows && !(st->seg_rows = kefu_malloc(STORE_MSG_BUFFER * sizeof *st->seg_rows)))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	/* a row already stored, or repeated within the run, is unchanged */
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const store_msg_row *r = &st->msg[order[i]];
		if (i + 8 < n) {
			const store_msg_row *ahead = &st->msg[order[i + 8]];
			store_keys_prefetch(&st->keys, ahead->h, ahead->fp);
		}
		int added = store_keys_add(&st->keys, r->h, r->fp);
		if (added < 0)
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		if (!added) {
			c->unchanged++;
			continue;
		}
		st->seg_rows[m++] = (kefu_msgseg_row){r->ts,	  r->shop, r->buyer,
						      r->agent, r->dir,	 (uint32_t)r->text_n,
						      st->msg_text + r->text_off};
	}
	if (m) {
		if (!st->segw && (rc = kefu_msgseg_writer_new(&st->segw, err)))
			return rc;
		if ((rc = kefu_msgseg_write(st->segw, st->db, st->stats.run_id, st->seg_rows, m, NULL,
					    err)))
			return rc;
		c->added += (long)m;
	}
	st->nmsg = 0;
	st->msg_text_n = 0;
	return 0;
}

/* A dimension id as a segment column (ids are rowids; 2^32 names of one
 * kind is far beyond any shop). */
static int seg_id(int64_t id, uint32_t *out, kefu_err *err)
{
	if (id < 0 || id > (int64_t)UINT32_MAX)
		return kefu_err_set(err, KEFU_EOVERFLOW, "store: name id %lld out of range",
				    (long long)id);
	*out = (uint32_t)id;
	return 0;
}

static int import_message(kefu_store *st, const kefu_message_rec *m, kefu_err *err)
{
	int64_t shop, buyer, agent;
	int rc;
	if ((rc = store_dim_id(st, DIM_SHOP, m->shop, &shop, err)) ||
	    (rc = store_dim_id(st, DIM_BUYER, m->buyer, &buyer, err)) ||
	    (rc = store_dim_id(st, DIM_AGENT, m->agent, &agent, err)))
		return rc;
	if (m->text.n > UINT32_MAX)
		return kefu_err_set(err, KEFU_EOVERFLOW, "message text longer than 4 GB");
	if (kefu_grow((void **)&st->msg_text, &st->msg_text_cap, st->msg_text_n + m->text.n + 1,
		      1) ||
	    kefu_grow((void **)&st->msg, &st->msgcap, st->nmsg + 1, sizeof *st->msg))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	store_msg_row *r = &st->msg[st->nmsg];
	if ((rc = seg_id(shop, &r->shop, err)) || (rc = seg_id(buyer, &r->buyer, err)) ||
	    (rc = seg_id(agent, &r->agent, err)))
		return rc;
	st->nmsg++;
	r->dir = (uint8_t)m->dir;
	r->ts = m->ts;
	uint64_t hash =
		kefu_msgseg_hash(r->shop, r->buyer, r->agent, r->dir, m->ts, m->text.p, m->text.n);
	r->h = kefu_msgseg_key(r->shop, m->ts, hash);
	r->fp = kefu_msgseg_fp(hash);
	r->text_off = st->msg_text_n;
	r->text_n = m->text.n;
	if (m->text.n)
		memcpy(st->msg_text + st->msg_text_n, m->text.p, m->text.n);
	st->msg_text_n += m->text.n;
	return st->nmsg == STORE_MSG_BUFFER || st->msg_text_n >= STORE_MSG_TEXT_MAX
		       ? store_flush_messages(st, err)
		       : 0;
}

/* --------------------------------------------------------------- orders */

static int import_order(kefu_store *st, const kefu_order_rec *o, const char *file, long line,
			kefu_import_counts *c, kefu_err *err)
{
	int64_t shop, buyer;
	int rc, changed = 0;
	sqlite3_stmt *s;
	if ((rc = store_dim_id(st, DIM_SHOP, o->shop, &shop, err)) ||
	    (rc = store_dim_id(st, DIM_BUYER, o->buyer, &buyer, err)))
		return rc;
	STMT(s, S_ORD_INS);
	if (sqlite3_bind_int64(s, 1, shop) || store_bind_str(s, 2, o->order_id) ||
	    sqlite3_bind_int64(s, 3, buyer) || sqlite3_bind_int64(s, 4, o->created) ||
	    bind_ts_or_null(s, 5, o->paid, KEFU_TS_NONE) || sqlite3_bind_int64(s, 6, o->amount) ||
	    sqlite3_bind_int64(s, 7, o->items) || store_bind_str(s, 8, o->status) ||
	    sqlite3_bind_int64(s, 9, o->refund))
		return bind_fail(st, s, err);
	if ((rc = step_write(st, s, &changed, err, "insert order")))
		return rc;
	if (changed) {
		c->added++;
		return 0;
	}
	STMT(s, S_ORD_GET);
	sqlite3_bind_int64(s, 1, shop);
	store_bind_str(s, 2, o->order_id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = store_fail(st, err, "read order");
		sqlite3_reset(s);
		return rc;
	}
	int64_t id = sqlite3_column_int64(s, 0);
	int same = sqlite3_column_int64(s, 1) == buyer && sqlite3_column_int64(s, 2) == o->created &&
		   col_eq_int(s, 3, o->paid, KEFU_TS_NONE) &&
		   sqlite3_column_int64(s, 4) == o->amount && sqlite3_column_int64(s, 5) == o->items &&
		   col_eq_str(s, 6, o->status) && sqlite3_column_int64(s, 7) == o->refund;
	sqlite3_reset(s);
	if (same) {
		c->unchanged++;
		return 0;
	}
	STMT(s, S_ORD_AUDIT);
	if (sqlite3_bind_int64(s, 1, st->stats.run_id) || sqlite3_bind_int64(s, 2, st->iopts.now) ||
	    sqlite3_bind_text(s, 3, file ? file : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 4, line) || store_bind_str(s, 5, o->buyer) ||
	    sqlite3_bind_int64(s, 6, o->created) ||
	    bind_ts_or_null(s, 7, o->paid, KEFU_TS_NONE) || sqlite3_bind_int64(s, 8, o->amount) ||
	    sqlite3_bind_int64(s, 9, o->items) || store_bind_str(s, 10, o->status) ||
	    sqlite3_bind_int64(s, 11, o->refund) || sqlite3_bind_int64(s, 12, id))
		return bind_fail(st, s, err);
	if ((rc = step_write(st, s, NULL, err, "audit order")))
		return rc;
	STMT(s, S_ORD_UPD);
	if (sqlite3_bind_int64(s, 1, buyer) || sqlite3_bind_int64(s, 2, o->created) ||
	    bind_ts_or_null(s, 3, o->paid, KEFU_TS_NONE) || sqlite3_bind_int64(s, 4, o->amount) ||
	    sqlite3_bind_int64(s, 5, o->items) || store_bind_str(s, 6, o->status) ||
	    sqlite3_bind_int64(s, 7, o->refund) || sqlite3_bind_int64(s, 8, id))
		return bind_fail(st, s, err);
	if ((rc = step_write(st, s, NULL, err, "update order")))
		return rc;
	c->updated++;
	return 0;
}

/* -------------------------------------------------------------- ratings */

static int import_rating(kefu_store *st, const kefu_rating_rec *r, const char *file, long line,
			 kefu_import_counts *c, kefu_err *err)
{
	int64_t shop, buyer;
	int rc, changed = 0;
	sqlite3_stmt *s;
	if ((rc = store_dim_id(st, DIM_SHOP, r->shop, &shop, err)) ||
	    (rc = store_dim_id(st, DIM_BUYER, r->buyer, &buyer, err)))
		return rc;
	STMT(s, S_RAT_INS);
	if (sqlite3_bind_int64(s, 1, shop) || store_bind_str(s, 2, r->order_id) ||
	    sqlite3_bind_int64(s, 3, buyer) || sqlite3_bind_int64(s, 4, r->ts) ||
	    sqlite3_bind_int(s, 5, r->desc) || sqlite3_bind_int(s, 6, r->service) ||
	    sqlite3_bind_int(s, 7, r->shipping))
		return bind_fail(st, s, err);
	if ((rc = step_write(st, s, &changed, err, "insert rating")))
		return rc;
	if (changed) {
		c->added++;
		return 0;
	}
	STMT(s, S_RAT_GET);
	sqlite3_bind_int64(s, 1, shop);
	store_bind_str(s, 2, r->order_id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = store_fail(st, err, "read rating");
		sqlite3_reset(s);
		return rc;
	}
	int64_t id = sqlite3_column_int64(s, 0);
	int same = sqlite3_column_int64(s, 1) == buyer && sqlite3_column_int64(s, 2) == r->ts &&
		   sqlite3_column_int(s, 3) == r->desc && sqlite3_column_int(s, 4) == r->service &&
		   sqlite3_column_int(s, 5) == r->shipping;
	sqlite3_reset(s);
	if (same) {
		c->unchanged++;
		return 0;
	}
	STMT(s, S_RAT_AUDIT);
	if (sqlite3_bind_int64(s, 1, st->stats.run_id) || sqlite3_bind_int64(s, 2, st->iopts.now) ||
	    sqlite3_bind_text(s, 3, file ? file : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 4, line) || store_bind_str(s, 5, r->buyer) ||
	    sqlite3_bind_int64(s, 6, r->ts) || sqlite3_bind_int(s, 7, r->desc) ||
	    sqlite3_bind_int(s, 8, r->service) || sqlite3_bind_int(s, 9, r->shipping) ||
	    sqlite3_bind_int64(s, 10, id))
		return bind_fail(st, s, err);
	if ((rc = step_write(st, s, NULL, err, "audit rating")))
		return rc;
	STMT(s, S_RAT_UPD);
	if (sqlite3_bind_int64(s, 1, buyer) || sqlite3_bind_int64(s, 2, r->ts) ||
	    sqlite3_bind_int(s, 3, r->desc) || sqlite3_bind_int(s, 4, r->service) ||
	    sqlite3_bind_int(s, 5, r->shipping) || sqlite3_bind_int64(s, 6, id))
		return bind_fail(st, s, err);
	if ((rc = step_write(st, s, NULL, err, "update rating")))
		return rc;
	c->updated++;
	return 0;
}

/* ---------------------------------------------------------------- evals */

/* Reports an eval conflict through the caller's callback. */
static int report_conflict(kefu_store *st, const kefu_eval_rec *e, int stored, const char *file,
			   long line, kefu_err *err)
{
	if (!st->iopts.on_conflict)
		return 0;
	char reason[160], ts[32], lv[8];
	snprintf(reason, sizeof reason,
		 "conflict: an eval with the same shop, agent, buyer and ts is stored with "
		 "level %d, this row has level %d (not applied)",
		 stored, e->level);
	store_format_utc(e->ts, ts);
	snprintf(lv, sizeof lv, "%d", e->level);
	char *raw = NULL;
	size_t rawn = 0, rawcap = 0;
	int rc = 0;
	if ((rc = store_csv_append(&raw, &rawn, &rawcap, e->shop.p, e->shop.n, 1)) ||
	    (rc = store_csv_append(&raw, &rawn, &rawcap, e->agent.p, e->agent.n, 0)) ||
	    (rc = store_csv_append(&raw, &rawn, &rawcap, e->buyer.p, e->buyer.n, 0)) ||
	    (rc = store_csv_append(&raw, &rawn, &rawcap, ts, strlen(ts), 0)) ||
	    (rc = store_csv_append(&raw, &rawn, &rawcap, lv, strlen(lv), 0))) {
		kefu_free(raw);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	rc = st->iopts.on_conflict(st->iopts.ctx, file ? file : "", line, 0, "level", reason,
				   (kefu_str){raw, rawn});
	kefu_free(raw);
	if (rc < 0)
		return err && err->code ? err->code : kefu_err_set(err, rc, "import aborted");
	return 0;
}

static int import_eval(kefu_store *st, const kefu_eval_rec *e, const char *file, long line,
		       kefu_import_counts *c, kefu_err *err)
{
	int64_t shop, agent, buyer;
	int rc, changed = 0;
	sqlite3_stmt *s;
	if ((rc = store_dim_id(st, DIM_SHOP, e->shop, &shop, err)) ||
	    (rc = store_dim_id(st, DIM_AGENT, e->agent, &agent, err)) ||
	    (rc = store_dim_id(st, DIM_BUYER, e->buyer, &buyer, err)))
		return rc;
	STMT(s, S_EV_INS);
	if (sqlite3_bind_int64(s, 1, shop) || sqlite3_bind_int64(s, 2, agent) ||
	    sqlite3_bind_int64(s, 3, buyer) || sqlite3_bind_int64(s, 4, e->ts) ||
	    sqlite3_bind_int(s, 5, e->level))
		return bind_fail(st, s, err);
	if ((rc = step_write(st, s, &changed, err, "insert eval")))
		return rc;
	if (changed) {
		c->added++;
		return 0;
	}
	STMT(s, S_EV_GET);
	sqlite3_bind_int64(s, 1, shop);
	sqlite3_bind_int64(s, 2, agent);
	sqlite3_bind_int64(s, 3, buyer);
	sqlite3_bind_int64(s, 4, e->ts);
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = store_fail(st, err, "read eval");
		sqlite3_reset(s);
		return rc;
	}
	int stored = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	if (stored == e->level) {
		c->unchanged++;
		return 0;
	}
	c->conflicts++;
	return report_conflict(st, e, stored, file, line, err);
}

/* --------------------------------------------------------------- roster */

static int bind_roster(sqlite3_stmt *s, int at, const kefu_agent_rec *a)
{
	return store_bind_str(s, at, a->vendor) || store_bind_str(s, at + 1, a->team) ||
	       store_bind_str(s, at + 2, a->name) ||
	       bind_ts_or_null(s, at + 3, a->from_day, INT64_MIN) ||
	       bind_ts_or_null(s, at + 4, a->to_day, INT64_MAX) ||
	       (a->base_month_fen < 0 ? sqlite3_bind_null(s, at + 5)
				      : sqlite3_bind_int64(s, at + 5, a->base_month_fen)) ||
	       (a->commission_rate.n ? store_bind_str(s, at + 6, a->commission_rate)
				     : sqlite3_bind_null(s, at + 6));
}

static int import_agent(kefu_store *st, const kefu_agent_rec *a, const char *file, long line,
			kefu_import_counts *c, kefu_err *err)
{
	int64_t agent;
	int rc, changed = 0;
	sqlite3_stmt *s;
	if ((rc = store_dim_id(st, DIM_AGENT, a->agent, &agent, err)))
		return rc;
	STMT(s, S_ROS_INS);
	if (sqlite3_bind_int64(s, 1, agent) || bind_roster(s, 2, a))
		return bind_fail(st, s, err);
	if ((rc = step_write(st, s, &changed, err, "insert roster row")))
		return rc;
	if (changed) {
		c->added++;
		return 0;
	}
	STMT(s, S_ROS_GET);
	sqlite3_bind_int64(s, 1, agent);
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = store_fail(st, err, "read roster row");
		sqlite3_reset(s);
		return rc;
	}
	int rate_same = sqlite3_column_type(s, 6) == SQLITE_NULL
				? a->commission_rate.n == 0
				: a->commission_rate.n != 0 && col_eq_str(s, 6, a->commission_rate);
	int same = col_eq_str(s, 0, a->vendor) && col_eq_str(s, 1, a->team) &&
		   col_eq_str(s, 2, a->name) && col_eq_int(s, 3, a->from_day, INT64_MIN) &&
		   col_eq_int(s, 4, a->to_day, INT64_MAX) &&
		   col_eq_int(s, 5, a->base_month_fen < 0 ? -1 : a->base_month_fen, -1) && rate_same;
	sqlite3_reset(s);
	if (same) {
		c->unchanged++;
		return 0;
	}
	STMT(s, S_ROS_AUDIT);
	if (sqlite3_bind_int64(s, 1, st->stats.run_id) || sqlite3_bind_int64(s, 2, st->iopts.now) ||
	    sqlite3_bind_text(s, 3, file ? file : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 4, line) || bind_roster(s, 5, a) ||
	    sqlite3_bind_int64(s, 12, agent))
		return bind_fail(st, s, err);
	if ((rc = step_write(st, s, NULL, err, "audit roster row")))
		return rc;
	STMT(s, S_ROS_UPD);
	if (bind_roster(s, 1, a) || sqlite3_bind_int64(s, 8, agent))
		return bind_fail(st, s, err);
	if ((rc = step_write(st, s, NULL, err, "update roster row")))
		return rc;
	c->updated++;
	return 0;
}

/* ------------------------------------------------------------- presence */

static int import_presence(kefu_store *st, const kefu_presence_rec *p, kefu_import_counts *c,
			   kefu_err *err)
{
	int64_t agent;
	int rc, changed = 0;
	sqlite3_stmt *s;
	if ((rc = store_dim_id(st, DIM_AGENT, p->agent, &agent, err)))
		return rc;
	STMT(s, S_PRE_INS);
	if (sqlite3_bind_int64(s, 1, agent) || sqlite3_bind_int64(s, 2, p->login) ||
	    sqlite3_bind_int64(s, 3, p->logout))
		return bind_fail(st, s, err);
	if ((rc = step_write(st, s, &changed, err, "insert presence")))
		return rc;
	if (changed)
		c->added++;
	else
		c->unchanged++;
	return 0;
}

/* ------------------------------------------------------------------ run */

int kefu_store_import_begin(kefu_store *st, const kefu_store_import_opts *opts, kefu_err *err)
{
	if (st->in_import)
		return kefu_err_set(err, KEFU_EINVAL, "an import run is already open");
	kefu_store_import_opts def = KEFU_STORE_IMPORT_OPTS_INIT;
	st->iopts = opts ? *opts : def;
	if (!st->iopts.now)
		st->iopts.now = (int64_t)time(NULL);
	memset(&st->stats, 0, sizeof st->stats);
	st->file_seq = 0;
	st->nmsg = 0;
	st->msg_text_n = 0;
	/* During the run: statement journals (multi-row inserts) in memory
	 * rather than temp files, and a page cache large enough that pages
	 * are not spilled to the WAL and rewritten; both back to normal after
	 * the run (exports sort large tables through temp files). */
	int rc = store_exec(st, STORE_PRAGMA_RUN, err);
	if (rc)
		return rc;
	if ((rc = store_exec(st, "BEGIN IMMEDIATE", err))) {
		sqlite3_exec(st->db, STORE_PRAGMA_NORMAL, NULL, NULL, NULL);
		return rc;
	}
	st->in_import = 1;
	sqlite3_stmt *s = store_stmt(st, S_RUN_BEGIN, err);
	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, st->iopts.now);
	if ((rc = step_write(st, s, NULL, err, "start import run")))
		goto fail;
	st->stats.run_id = sqlite3_last_insert_rowid(st->db);
	/* names other processes added since the last run are only seen by a
	 * fresh preload (taken under this run's write lock) */
	store_dim_cache_clear(st);
	if ((rc = store_keys_begin(st, err)) || (rc = store_dim_preload(st, err)))
		goto fail;
	return 0;
fail:
	kefu_store_import_rollback(st);
	return err && err->code ? err->code : KEFU_ESTORE;
}

int kefu_store_import_row(kefu_store *st, const kefu_record *rec, const char *file, long line,
			  kefu_err *err)
{
	if (!st->in_import)
		return kefu_err_set(err, KEFU_EINVAL, "no import run is open");
	if (rec->kind <= KEFU_KIND_NONE || rec->kind >= KEFU_KIND_COUNT)
		return kefu_err_set(err, KEFU_EINVAL, "invalid record kind");
	kefu_import_counts *c = &st->stats.kind[rec->kind];
	c->read++;
	int rc;
	switch (rec->kind) {
	case KEFU_KIND_MESSAGES: rc = import_message(st, &rec->u.msg, err); break;
	case KEFU_KIND_ORDERS: rc = import_order(st, &rec->u.ord, file, line, c, err); break;
	case KEFU_KIND_RATINGS: rc = import_rating(st, &rec->u.rat, file, line, c, err); break;
	case KEFU_KIND_EVALS: rc = import_eval(st, &rec->u.ev, file, line, c, err); break;
	case KEFU_KIND_AGENTS: rc = import_agent(st, &rec->u.ag, file, line, c, err); break;
	case KEFU_KIND_PRESENCE: rc = import_presence(st, &rec->u.pr, c, err); break;
	default: rc = kefu_err_set(err, KEFU_EINVAL, "invalid record kind"); break;
	}
	if (rc && err && !err->file[0] && file)
		kefu_err_at(err, file, line, 0);
	return rc;
}

int kefu_store_row_cb(void *st, const kefu_record *rec, const char *file, long line,
		      kefu_err *err)
{
	return kefu_store_import_row(st, rec, file, line, err);
}

int kefu_store_import_note_file(kefu_store *st, const char *file, const kefu_load_stats *ls,
				kefu_err *err)
{
	if (!st->in_import)
		return kefu_err_set(err, KEFU_EINVAL, "no import run is open");
	kefu_load_stats zero = {KEFU_KIND_NONE, 0, 0, 0, 0, 0, 0};
	int rc = store_flush_messages(st, err);
	if (rc)
		return rc;
	if (!ls)
		ls = &zero;
	if (ls->kind > KEFU_KIND_NONE && ls->kind < KEFU_KIND_COUNT) {
		kefu_import_counts *c = &st->stats.kind[ls->kind];
		c->rejected += ls->rows_rejected;
		c->read += ls->rows_rejected;
	}
	st->stats.files++;
	st->stats.bytes += ls->bytes;
	const char *kn = kefu_kind_name(ls->kind);
	sqlite3_stmt *s = store_stmt(st, S_RUN_FILE, err);
	if (!s)
		return KEFU_ESTORE;
	if (sqlite3_bind_int64(s, 1, st->stats.run_id) || sqlite3_bind_int64(s, 2, ++st->file_seq) ||
	    sqlite3_bind_text(s, 3, file ? file : "", -1, SQLITE_TRANSIENT) ||
	    sqlite3_bind_text(s, 4, kn ? kn : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 5, ls->rows_read) || sqlite3_bind_int64(s, 6, ls->rows_rejected) ||
	    sqlite3_bind_int64(s, 7, (int64_t)ls->bytes))
		return bind_fail(st, s, err);
	return step_write(st, s, NULL, err, "log import file");
}

const kefu_import_stats *kefu_store_import_stats(const kefu_store *st) { return &st->stats; }

int kefu_store_import_commit(kefu_store *st, kefu_err *err)
{
	if (!st->in_import)
		return kefu_err_set(err, KEFU_EINVAL, "no import run is open");
	int rc;
	sqlite3_stmt *s;
	if (store_flush_messages(st, err))
		goto fail;
	s = store_stmt(st, S_RUN_FINISH, err);
	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, st->stats.run_id);
	sqlite3_bind_int64(s, 2, st->iopts.now);
	sqlite3_bind_int64(s, 3, st->stats.files);
	sqlite3_bind_int64(s, 4, (int64_t)st->stats.bytes);
	if ((rc = step_write(st, s, NULL, err, "finish import run")))
		goto fail;
	for (int k = KEFU_KIND_NONE + 1; k < KEFU_KIND_COUNT; k++) {
		const kefu_import_counts *c = &st->stats.kind[k];
		if (!c->read)
			continue;
		if (!(s = store_stmt(st, S_RUN_COUNTS, err)))
			goto fail;
		sqlite3_bind_int64(s, 1, st->stats.run_id);
		sqlite3_bind_text(s, 2, kefu_kind_name((kefu_kind)k), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, c->read);
		sqlite3_bind_int64(s, 4, c->added);
		sqlite3_bind_int64(s, 5, c->unchanged);
		sqlite3_bind_int64(s, 6, c->updated);
		sqlite3_bind_int64(s, 7, c->conflicts);
		sqlite3_bind_int64(s, 8, c->rejected);
		if ((rc = step_write(st, s, NULL, err, "log import counts")))
			goto fail;
	}
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, err, "commit");
		goto fail;
	}
	st->in_import = 0;
	store_keys_free(&st->keys);
	sqlite3_exec(st->db, STORE_PRAGMA_NORMAL, NULL, NULL, NULL);
	return 0;
fail:
	kefu_store_import_rollback(st);
	return err && err->code ? err->code : KEFU_ESTORE;
}

void kefu_store_import_rollback(kefu_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < S_COUNT; i++)
		if (st->stmt[i])
			sqlite3_reset(st->stmt[i]);
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	if (st->in_import)
		sqlite3_exec(st->db, STORE_PRAGMA_NORMAL, NULL, NULL, NULL);
	st->in_import = 0;
	st->nmsg = 0;
	st->msg_text_n = 0;
	store_keys_free(&st->keys);
	/* names inserted by the run are gone: forget their ids */
	store_dim_cache_clear(st);
}
