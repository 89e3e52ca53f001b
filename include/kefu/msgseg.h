/*
 * msgseg.h - stored messages as columnar segments (docs/STORE.md).
 *
 * The store keeps messages in the table msg_segments, one row per segment
 * of up to KEFU_MSGSEG_MAX messages written by one import run: small
 * columns for pruning (row count, time range) and two zstd blobs, the
 * value columns and the concatenated texts. Segments are never
 * rewritten, so (segment id, row) addresses a message for good
 * (kefu_msgseg_ref). Writing 64K rows as two blobs instead of 64K B-tree
 * inserts is what makes an import run at disk speed.
 *
 * Ownership: a kefu_msgseg is the caller's (zero it, pass it to decode or
 * scan as often as needed, kefu_msgseg_free once); its columns stay valid
 * until the next decode into it. A writer is the caller's too.
 */
#ifndef KEFU_MSGSEG_H
#define KEFU_MSGSEG_H

#include <stddef.h>
#include <stdint.h>

#include "kefu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sqlite3;

/* Rows per segment at most; also the row bits of a reference. */
#define KEFU_MSGSEG_MAX 65536
#define KEFU_MSGSEG_ROW_BITS 17

/* The table (part of the store schema). */
#define KEFU_MSGSEG_SCHEMA_SQL                                                                    \
	"CREATE TABLE msg_segments(id INTEGER PRIMARY KEY,"                                        \
	" run_id INTEGER NOT NULL REFERENCES imports(id),"                                         \
	" rows INTEGER NOT NULL CHECK(rows BETWEEN 1 AND 65536),"                                  \
	" min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL,"                                       \
	" keys BLOB NOT NULL, texts BLOB NOT NULL) STRICT;"

/* One message going into a segment. */
typedef struct kefu_msgseg_row {
	int64_t ts;
	uint32_t shop, buyer, agent; /* dimension ids */
	uint8_t dir;
	uint32_t text_n;
	const char *text;
} kefu_msgseg_row;

/* A decoded segment: column i of every array is row i. */
typedef struct kefu_msgseg {
	int64_t id;
	size_t n;
	int64_t *ts;
	uint32_t *shop, *buyer, *agent;
	uint8_t *dir;
	uint64_t *text_off; /* n + 1 offsets into text (NULL without texts) */
	char *text;	    /* NULL when the scan asked for keys only */
	/* buffers, reused across decodes */
	void *kbuf, *tbuf, *obuf;
	size_t kcap, tcap, ocap;
} kefu_msgseg;

/* The 64-bit hash of every value of a message; its key (shop and time in
 * the high bits, so rows of a shop and second sort together, then 16 bits
 * of the hash) and its fingerprint (the hash, never 0). Two messages with
 * the same key and fingerprint are taken to be the same message. */
uint64_t kefu_msgseg_hash(uint32_t shop, uint32_t buyer, uint32_t agent, int dir, int64_t ts,
			  const char *text, size_t text_n);
uint64_t kefu_msgseg_key(uint32_t shop, int64_t ts, uint64_t hash);
uint64_t kefu_msgseg_fp(uint64_t hash);

/* The permanent address of row `row` of segment `seg`. */
static inline int64_t kefu_msgseg_ref(int64_t seg, size_t row)
{
	return seg << KEFU_MSGSEG_ROW_BITS | (int64_t)row;
}

typedef struct kefu_msgseg_writer kefu_msgseg_writer;
int kefu_msgseg_writer_new(kefu_msgseg_writer **out, kefu_err *err);
void kefu_msgseg_writer_free(kefu_msgseg_writer *w);
/* Writes rows[0..n) (1 <= n <= KEFU_MSGSEG_MAX) as one segment of run
 * run_id, inside the caller's transaction. *seg_id gets its id (may be
 * NULL). */
int kefu_msgseg_write(kefu_msgseg_writer *w, struct sqlite3 *db, int64_t run_id,
		      const kefu_msgseg_row *rows, size_t n, int64_t *seg_id, kefu_err *err);

/* Which segments a scan visits: those whose time range meets
 * [from_ts, to_ts] and whose id is in [id_lo, id_hi]. Rows inside a
 * visited segment are not filtered. */
typedef struct kefu_msgseg_filter {
	int64_t from_ts, to_ts, id_lo, id_hi;
	int with_text; /* 0: keys only (text and text_off NULL) */
} kefu_msgseg_filter;
#define KEFU_MSGSEG_ALL {INT64_MIN, INT64_MAX, INT64_MIN, INT64_MAX, 1}

/* Calls fn once per visited segment, in id order; a nonzero return from fn
 * stops the scan and is returned. A damaged segment is KEFU_ESTORE. */
typedef int (*kefu_msgseg_fn)(void *ctx, const kefu_msgseg *seg, kefu_err *err);
int kefu_msgseg_scan(struct sqlite3 *db, const kefu_msgseg_filter *f, kefu_msgseg *seg,
		     kefu_msgseg_fn fn, void *ctx, kefu_err *err);
/* Decodes the blobs of segment `id` holding `rows` messages (as stored:
 * zstd frames) into seg; texts only with with_text. Anything that does
 * not add up is KEFU_ESTORE "message segment N is damaged (why)". */
int kefu_msgseg_decode(int64_t id, int64_t rows, const void *keys, size_t keys_n,
		       const void *texts, size_t texts_n, int with_text, kefu_msgseg *seg,
		       kefu_err *err);
/* Decodes segment `id` into seg (KEFU_ENOTFOUND when there is none). */
int kefu_msgseg_get(struct sqlite3 *db, int64_t id, int with_text, kefu_msgseg *seg,
		    kefu_err *err);
void kefu_msgseg_free(kefu_msgseg *seg);

/* Number of stored messages; lowest and highest segment id (0, 0 when
 * there is none). */
int kefu_msgseg_count(struct sqlite3 *db, int64_t *n, kefu_err *err);
int kefu_msgseg_id_range(struct sqlite3 *db, int64_t *lo, int64_t *hi, kefu_err *err);

/* Fills TEMP table messages(ref, shop_id, buyer_id, agent_id, dir, ts,
 * text) with the messages of the segments f visits (replacing it), for
 * readers that want SQL over messages (exports). ref is kefu_msgseg_ref. */
int kefu_msgseg_to_temp(struct sqlite3 *db, const kefu_msgseg_filter *f, kefu_err *err);

/* Schema 1 -> 2: moves the rows of the old messages table into segments
 * and drops it, inside the caller's write transaction. */
int kefu_msgseg_migrate_v1(struct sqlite3 *db, kefu_err *err);

#ifdef __cplusplus
}
#endif
#endif
