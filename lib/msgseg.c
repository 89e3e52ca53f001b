/*
 * msgseg.c - stored messages as columnar segments: encoding, the writer,
 * scans and the schema 1 -> 2 migration (include/kefu/msgseg.h).
 *
 * A segment's key blob is zstd over
 *   u32 magic 'KMS2', u32 n,
 *   ts[n] as u64 deltas from the previous row (rows are in key order:
 *   by shop, then time, so the deltas are small and compress to almost
 *   nothing), shop[n] buyer[n] agent[n] text_n[n] u32, dir[n] u8,
 * in host byte order (little-endian only, checked below); the text blob is
 * zstd over the texts back to back. Keys and fingerprints are not stored:
 * they are hashes of the values and cost 16 incompressible bytes a row,
 * more than everything else together; an import recomputes them for the
 * few segments it checks against. Everything read back is checked
 * (sizes, counts, text lengths, dir), so a damaged segment is an error
 * with its id, never a crash.
 */
#include "kefu/msgseg.h"

#include <sqlite3.h>
#include <string.h>
#include <zstd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "msgseg.c stores columns in little-endian order"
#endif

#define SEG_MAGIC 0x32534d4bu /* "KMS2" */
/* bytes per row in the key blob: ts, 4 u32 columns, dir */
#define ROW_BYTES (8 + 4 * 4 + 1)
/* zstd level 1: the fastest level that still compresses chat text about
 * tenfold; the import is bound by how many bytes reach the disk */
#define SEG_ZSTD_LEVEL 1

uint64_t kefu_msgseg_hash(uint32_t shop, uint32_t buyer, uint32_t agent, int dir, int64_t ts,
			  const char *text, size_t text_n)
{
	uint64_t h = kefu_hash_bytes(text, text_n);
	h = kefu_mix64(h ^ shop);
	h = kefu_mix64(h ^ (uint64_t)buyer * 0x9e3779b97f4a7c15ULL);
	h = kefu_mix64(h ^ agent);
	h = kefu_mix64(h ^ (uint64_t)dir);
	return kefu_mix64(h ^ (uint64_t)ts);
}

uint64_t kefu_msgseg_key(uint32_t shop, int64_t ts, uint64_t hash)
{
	/* shop and time in the high bits: rows of one shop and second sort
	 * together; 16 bits of the value hash tell them apart */
	return ((uint64_t)shop & 0xffffu) << 48 | (uint64_t)(uint32_t)ts << 16 | (hash >> 48);
}

uint64_t kefu_msgseg_fp(uint64_t hash)
{
	return hash | 1;
}

/* ---------------------------------------------------------------- writer */

struct kefu_msgseg_writer {
	ZSTD_CCtx *cctx;
	unsigned char *raw; /* key columns */
	char *text;	    /* texts back to back */
	void *zk, *zt;	    /* compressed */
	size_t raw_cap, text_cap, zk_cap, zt_cap;
	sqlite3 *db;
	sqlite3_stmt *ins;
};

int kefu_msgseg_writer_new(kefu_msgseg_writer **out, kefu_err *err)
{
	kefu_msgseg_writer *w = kefu_calloc(1, sizeof *w);
	if (!w || !(w->cctx = ZSTD_createCCtx())) {
		kefu_free(w);
		*out = NULL;
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	*out = w;
	return 0;
}

void kefu_msgseg_writer_free(kefu_msgseg_writer *w)
{
	if (!w)
		return;
	ZSTD_freeCCtx(w->cctx);
	sqlite3_finalize(w->ins);
	kefu_free(w->raw);
	kefu_free(w->text);
	kefu_free(w->zk);
	kefu_free(w->zt);
	kefu_free(w);
}

static int grow_bytes(void **p, size_t *cap, size_t need)
{
	return kefu_grow(p, cap, need ? need : 1, 1);
}

static int compress_into(kefu_msgseg_writer *w, void **dst, size_t *cap, const void *src,
			 size_t n, size_t *out, kefu_err *err)
{
	size_t bound = ZSTD_compressBound(n);
	if (grow_bytes(dst, cap, bound))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	size_t z = ZSTD_compressCCtx(w->cctx, *dst, *cap, src, n, SEG_ZSTD_LEVEL);
	if (ZSTD_isError(z))
		return kefu_err_set(err, KEFU_ESTORE, "store: compress messages: %s",
				    ZSTD_getErrorName(z));
	*out = z;
	return 0;
}

static int db_fail(sqlite3 *db, kefu_err *err, const char *what)
{
	return kefu_err_set(err, KEFU_ESTORE, "%s: %s", what, sqlite3_errmsg(db));
}

int kefu_msgseg_write(kefu_msgseg_writer *w, sqlite3 *db, int64_t run_id,
		      const kefu_msgseg_row *rows, size_t n, int64_t *seg_id, kefu_err *err)
{
	if (n == 0 || n > KEFU_MSGSEG_MAX)
		return kefu_err_set(err, KEFU_EINVAL, "store: segment of %zu messages", n);
	size_t raw_n = 8 + n * ROW_BYTES, text_n = 0;
	for (size_t i = 0; i < n; i++)
		text_n += rows[i].text_n;
	if (grow_bytes((void **)&w->raw, &w->raw_cap, raw_n) ||
	    grow_bytes((void **)&w->text, &w->text_cap, text_n))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	unsigned char *p = w->raw;
	uint32_t hdr[2] = {SEG_MAGIC, (uint32_t)n};
	memcpy(p, hdr, sizeof hdr);
	p += sizeof hdr;
	uint64_t *ts = (void *)p; /* raw is malloc-aligned */
	uint32_t *shop = (uint32_t *)(ts + n), *buyer = shop + n, *agent = buyer + n,
		 *tn = agent + n;
	uint8_t *dir = (uint8_t *)(tn + n);
	uint64_t pt = 0;
	int64_t min_ts = INT64_MAX, max_ts = INT64_MIN;
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		const kefu_msgseg_row *r = &rows[i];
		ts[i] = (uint64_t)r->ts - pt;
		pt = (uint64_t)r->ts;
		shop[i] = r->shop;
		buyer[i] = r->buyer;
		agent[i] = r->agent;
		tn[i] = r->text_n;
		dir[i] = r->dir;
		if (r->text_n)
			memcpy(w->text + off, r->text, r->text_n);
		off += r->text_n;
		if (r->ts < min_ts)
			min_ts = r->ts;
		if (r->ts > max_ts)
			max_ts = r->ts;
	}
	size_t zk, zt;
	int rc;
	if ((rc = compress_into(w, &w->zk, &w->zk_cap, w->raw, raw_n, &zk, err)) ||
	    (rc = compress_into(w, &w->zt, &w->zt_cap, w->text, text_n, &zt, err)))
		return rc;
	if (w->db != db) {
		sqlite3_finalize(w->ins);
		w->ins = NULL;
		w->db = db;
	}
	if (!w->ins && sqlite3_prepare_v3(db,
					  "INSERT INTO msg_segments(run_id, rows, min_ts, max_ts,"
					  " keys, texts) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
					  -1, SQLITE_PREPARE_PERSISTENT, &w->ins, NULL) != SQLITE_OK)
		return db_fail(db, err, "store: write messages");
	sqlite3_stmt *s = w->ins;
	sqlite3_reset(s);
	if (sqlite3_bind_int64(s, 1, run_id) || sqlite3_bind_int64(s, 2, (int64_t)n) ||
	    sqlite3_bind_int64(s, 3, min_ts) || sqlite3_bind_int64(s, 4, max_ts) ||
	    sqlite3_bind_blob64(s, 5, w->zk, zk, SQLITE_STATIC) ||
	    sqlite3_bind_blob64(s, 6, w->zt, zt, SQLITE_STATIC) || sqlite3_step(s) != SQLITE_DONE) {
		rc = db_fail(db, err, "store: write messages");
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	if (seg_id)
		*seg_id = sqlite3_last_insert_rowid(db);
	return 0;
}

/* ---------------------------------------------------------------- decode */

void kefu_msgseg_free(kefu_msgseg *seg)
{
	if (!seg)
		return;
	kefu_free(seg->kbuf);
	kefu_free(seg->tbuf);
	kefu_free(seg->obuf);
	memset(seg, 0, sizeof *seg);
}

static int damaged(kefu_err *err, int64_t id, const char *why)
{
	return kefu_err_set(err, KEFU_ESTORE, "store: message segment %lld is damaged (%s)",
			    (long long)id, why);
}

/* Decompresses z into *buf (grown), which must hold exactly `want` bytes
 * (want < 0: any size, returned in *got). */
static int unzip(const void *z, size_t zn, void **buf, size_t *cap, size_t *got, int64_t id,
		 kefu_err *err)
{
	unsigned long long size = ZSTD_getFrameContentSize(z, zn);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
	    size > (unsigned long long)SIZE_MAX / 2)
		return damaged(err, id, "bad frame");
	if (grow_bytes(buf, cap, (size_t)size + 1))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	size_t n = ZSTD_decompress(*buf, *cap, z, zn);
	if (ZSTD_isError(n) || n != size)
		return damaged(err, id, "bad frame");
	*got = n;
	return 0;
}

int kefu_msgseg_decode(int64_t id, int64_t rows, const void *zk, size_t zkn, const void *zt,
		       size_t ztn, int with_text, kefu_msgseg *seg, kefu_err *err)
{
	size_t kn, tn;
	int rc;
	if (rows < 1 || rows > KEFU_MSGSEG_MAX || !zk)
		return damaged(err, id, "row count");
	size_t n = (size_t)rows;
	if ((rc = unzip(zk, zkn, &seg->kbuf, &seg->kcap, &kn, id, err)))
		return rc;
	uint32_t hdr[2];
	if (kn != 8 + n * ROW_BYTES)
		return damaged(err, id, "key size");
	memcpy(hdr, seg->kbuf, sizeof hdr);
	if (hdr[0] != SEG_MAGIC || hdr[1] != n)
		return damaged(err, id, "key header");
	unsigned char *p = (unsigned char *)seg->kbuf + 8;
	seg->id = id;
	seg->n = n;
	seg->ts = (int64_t *)(void *)p;
	seg->shop = (uint32_t *)(seg->ts + n);
	seg->buyer = seg->shop + n;
	seg->agent = seg->buyer + n;
	uint32_t *len = seg->agent + n;
	seg->dir = (uint8_t *)(len + n);
	uint64_t pt = 0, total = 0;
	for (size_t i = 0; i < n; i++) {
		pt += (uint64_t)seg->ts[i];
		seg->ts[i] = (int64_t)pt;
		total += len[i];
		if (seg->dir[i] > 2)
			return damaged(err, id, "direction");
	}
	seg->text = NULL;
	seg->text_off = NULL;
	if (!with_text)
		return 0;
	if (!zt)
		return damaged(err, id, "no texts");
	if ((rc = unzip(zt, ztn, &seg->tbuf, &seg->tcap, &tn, id, err)))
		return rc;
	if (tn != total)
		return damaged(err, id, "text size");
	if (kefu_grow(&seg->obuf, &seg->ocap, n + 1, sizeof(uint64_t)))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	seg->text = seg->tbuf;
	seg->text[tn] = '\0';
	seg->text_off = seg->obuf;
	uint64_t off = 0;
	for (size_t i = 0; i < n; i++) {
		seg->text_off[i] = off;
		off += len[i];
	}
	seg->text_off[n] = off;
	return 0;
}

static int decode_row(sqlite3_stmt *s, int with_text, kefu_msgseg *seg, kefu_err *err)
{
	return kefu_msgseg_decode(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
				  sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2),
				  with_text ? sqlite3_column_blob(s, 3) : NULL,
				  with_text ? (size_t)sqlite3_column_bytes(s, 3) : 0, with_text, seg,
				  err);
}

int kefu_msgseg_scan(sqlite3 *db, const kefu_msgseg_filter *f, kefu_msgseg *seg,
		     kefu_msgseg_fn fn, void *ctx, kefu_err *err)
{
	/* texts are not even read from disk for a keys-only scan */
	const char *sql = f->with_text
				  ? "SELECT id, rows, keys, texts FROM msg_segments WHERE max_ts >= ?1"
				    " AND min_ts <= ?2 AND id BETWEEN ?3 AND ?4 ORDER BY id"
				  : "SELECT id, rows, keys FROM msg_segments WHERE max_ts >= ?1"
				    " AND min_ts <= ?2 AND id BETWEEN ?3 AND ?4 ORDER BY id";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "store: read messages");
	sqlite3_bind_int64(s, 1, f->from_ts);
	sqlite3_bind_int64(s, 2, f->to_ts);
	sqlite3_bind_int64(s, 3, f->id_lo);
	sqlite3_bind_int64(s, 4, f->id_hi);
	int rc = 0, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = decode_row(s, f->with_text, seg, err)) || (rc = fn(ctx, seg, err)))
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_fail(db, err, "store: read messages");
	sqlite3_finalize(s);
	return rc;
}

int kefu_msgseg_get(sqlite3 *db, int64_t id, int with_text, kefu_msgseg *seg, kefu_err *err)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       with_text ? "SELECT id, rows, keys, texts FROM msg_segments WHERE id = ?1"
					 : "SELECT id, rows, keys FROM msg_segments WHERE id = ?1",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "store: read messages");
	sqlite3_bind_int64(s, 1, id);
	int step = sqlite3_step(s), rc;
	if (step == SQLITE_ROW)
		rc = decode_row(s, with_text, seg, err);
	else if (step == SQLITE_DONE)
		rc = kefu_err_set(err, KEFU_ENOTFOUND, "store: no message segment %lld",
				  (long long)id);
	else
		rc = db_fail(db, err, "store: read messages");
	sqlite3_finalize(s);
	return rc;
}

static int two_ints(sqlite3 *db, const char *sql, int64_t *a, int64_t *b, kefu_err *err)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "store: read messages");
	int rc = 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*a = sqlite3_column_int64(s, 0);
		if (b)
			*b = sqlite3_column_int64(s, 1);
	} else {
		rc = db_fail(db, err, "store: read messages");
	}
	sqlite3_finalize(s);
	return rc;
}

int kefu_msgseg_count(sqlite3 *db, int64_t *n, kefu_err *err)
{
	*n = 0;
	return two_ints(db, "SELECT coalesce(sum(rows), 0) FROM msg_segments", n, NULL, err);
}

int kefu_msgseg_id_range(sqlite3 *db, int64_t *lo, int64_t *hi, kefu_err *err)
{
	*lo = *hi = 0;
	return two_ints(db, "SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM msg_segments",
			lo, hi, err);
}

/* -------------------------------------------------------- temp table */

typedef struct temp_fill {
	sqlite3 *db;
	sqlite3_stmt *ins;
} temp_fill;

static int fill_segment(void *ctx, const kefu_msgseg *seg, kefu_err *err)
{
	temp_fill *t = ctx;
	for (size_t i = 0; i < seg->n; i++) {
		sqlite3_stmt *s = t->ins;
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, kefu_msgseg_ref(seg->id, i));
		sqlite3_bind_int64(s, 2, seg->shop[i]);
		sqlite3_bind_int64(s, 3, seg->buyer[i]);
		sqlite3_bind_int64(s, 4, seg->agent[i]);
		sqlite3_bind_int(s, 5, seg->dir[i]);
		sqlite3_bind_int64(s, 6, seg->ts[i]);
		sqlite3_bind_text64(s, 7, seg->text + seg->text_off[i],
				    seg->text_off[i + 1] - seg->text_off[i], SQLITE_STATIC,
				    SQLITE_UTF8);
		if (sqlite3_step(s) != SQLITE_DONE)
			return db_fail(t->db, err, "store: read messages");
	}
	sqlite3_reset(t->ins);
	return 0;
}

int kefu_msgseg_to_temp(sqlite3 *db, const kefu_msgseg_filter *f, kefu_err *err)
{
	temp_fill t = {db, NULL};
	kefu_msgseg seg;
	kefu_msgseg_filter all = *f;
	all.with_text = 1;
	memset(&seg, 0, sizeof seg);
	if (sqlite3_exec(db,
			 "DROP TABLE IF EXISTS temp.messages;"
			 "CREATE TEMP TABLE messages(ref INTEGER PRIMARY KEY,"
			 " shop_id INTEGER NOT NULL, buyer_id INTEGER NOT NULL,"
			 " agent_id INTEGER NOT NULL, dir INTEGER NOT NULL, ts INTEGER NOT NULL,"
			 " text TEXT NOT NULL)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO temp.messages(ref, shop_id, buyer_id, agent_id, dir, ts,"
			       " text) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			       -1, &t.ins, NULL) != SQLITE_OK)
		return db_fail(db, err, "store: read messages");
	int rc = kefu_msgseg_scan(db, &all, &seg, fill_segment, &t, err);
	sqlite3_finalize(t.ins);
	kefu_msgseg_free(&seg);
	return rc;
}

/* ------------------------------------------------------------- migration */

int kefu_msgseg_migrate_v1(sqlite3 *db, kefu_err *err)
{
	kefu_msgseg_writer *w = NULL;
	kefu_msgseg_row *rows = NULL;
	char *arena = NULL;
	size_t arena_n = 0, arena_cap = 0, n = 0;
	sqlite3_stmt *s = NULL;
	int64_t run = 0;
	int rc;
	if ((rc = kefu_msgseg_writer_new(&w, err)))
		return rc;
	if (sqlite3_exec(db,
			 "INSERT INTO imports(started, finished) SELECT 0, 0"
			 " WHERE NOT EXISTS (SELECT 1 FROM imports)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    (rc = two_ints(db, "SELECT max(id) FROM imports", &run, NULL, err))) {
		rc = rc ? rc : db_fail(db, err, "store: upgrade");
		goto out;
	}
	if (!(rows = kefu_malloc(KEFU_MSGSEG_MAX * sizeof *rows))) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(db,
			       "SELECT shop_id, buyer_id, agent_id, dir, ts, text FROM messages"
			       " ORDER BY h",
			       -1, &s, NULL) != SQLITE_OK) {
		rc = db_fail(db, err, "store: upgrade");
		goto out;
	}
	int step;
	for (;;) {
		step = sqlite3_step(s);
		if (step == SQLITE_ROW) {
			const char *t = (const char *)sqlite3_column_text(s, 5);
			size_t tn = (size_t)sqlite3_column_bytes(s, 5);
			if (kefu_grow((void **)&arena, &arena_cap, arena_n + tn + 1, 1)) {
				rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
				goto out;
			}
			if (tn)
				memcpy(arena + arena_n, t, tn);
			kefu_msgseg_row *r = &rows[n++];
			r->shop = (uint32_t)sqlite3_column_int64(s, 0);
			r->buyer = (uint32_t)sqlite3_column_int64(s, 1);
			r->agent = (uint32_t)sqlite3_column_int64(s, 2);
			r->dir = (uint8_t)sqlite3_column_int(s, 3);
			r->ts = sqlite3_column_int64(s, 4);
			r->text_n = (uint32_t)tn;
			r->text = (const char *)(uintptr_t)arena_n; /* offset until the flush */
			arena_n += tn;
		} else if (step != SQLITE_DONE) {
			rc = db_fail(db, err, "store: upgrade");
			goto out;
		}
		if (n && (n == KEFU_MSGSEG_MAX || step == SQLITE_DONE)) {
			for (size_t i = 0; i < n; i++)
				rows[i].text = arena + (uintptr_t)rows[i].text;
			if ((rc = kefu_msgseg_write(w, db, run, rows, n, NULL, err)))
				goto out;
			n = arena_n = 0;
		}
		if (step == SQLITE_DONE)
			break;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_exec(db, "DROP TABLE messages", NULL, NULL, NULL) != SQLITE_OK)
		rc = db_fail(db, err, "store: upgrade");
out:
	sqlite3_finalize(s);
	kefu_msgseg_writer_free(w);
	kefu_free(rows);
	kefu_free(arena);
	return rc;
}
