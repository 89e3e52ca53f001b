/*
 * store_snapshot.c - the store keeps a columnar snapshot of its rows (see
 * snapshot.h) in a table of its own, tagged with the id of the last import
 * run it reflects. Every change to stored rows happens in an import run, and
 * every committed run adds a row to `imports`, so the snapshot is current
 * exactly when its tag equals max(imports.id). A stale or damaged snapshot
 * is ignored and rebuilt; it is only a cache.
 */
#include "kefu/snapshot.h"
#include "store_int.h"

#include <string.h>
#include <zstd.h>

/* The image is stored as one zstd frame (level 1, two worker threads):
 * the columns compress about 4x, which is that much less to write into
 * the WAL, checkpoint and read back. The frame carries a checksum,
 * checked before an image is used. Images stored raw by earlier versions
 * are still read. */
#define SNAP_ZSTD_LEVEL 1
#define SNAP_ZSTD_MAGIC 0xFD2FB528u

static const char *const create_sql =
	"CREATE TABLE IF NOT EXISTS snapshot(id INTEGER PRIMARY KEY CHECK (id = 1),"
	" import_id INTEGER NOT NULL, data BLOB NOT NULL) STRICT";

static int last_import(kefu_store *st, int64_t *out, kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT coalesce(max(id), 0) FROM imports", -1, &s, NULL) !=
		    SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		kefu_err_set(err, KEFU_ESTORE, "store: %s", sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return KEFU_ESTORE;
	}
	*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

static int blob_read(void *ctx, void *dst, size_t n, uint64_t off)
{
	/* sqlite3_blob_read takes int sizes: read in pieces of at most 1 GiB */
	while (n > 0) {
		int piece = n > ((size_t)1 << 30) ? 1 << 30 : (int)n;
		if (sqlite3_blob_read(ctx, dst, piece, (int)off) != SQLITE_OK)
			return -1;
		dst = (char *)dst + piece;
		off += (uint64_t)piece;
		n -= (size_t)piece;
	}
	return 0;
}

/* Sequential reads of a zstd frame stored in a blob: the snapshot reader
 * asks for consecutive byte ranges, each decompressed straight into its
 * destination. */
typedef struct zblob {
	sqlite3_blob *blob;
	uint64_t blob_n, blob_off;
	ZSTD_DCtx *dctx;
	char in[1 << 17];
	ZSTD_inBuffer ib;
	uint64_t out_off; /* bytes of the image delivered so far */
	int done;	  /* the frame ended (checksum verified) */
} zblob;

/* Refills the input buffer from the blob; -1 at its end or on error. */
static int zblob_fill(zblob *z)
{
	uint64_t left = z->blob_n - z->blob_off;
	int piece = left > sizeof z->in ? (int)sizeof z->in : (int)left;
	if (piece == 0 || sqlite3_blob_read(z->blob, z->in, piece, (int)z->blob_off) != SQLITE_OK)
		return -1;
	z->blob_off += (uint64_t)piece;
	z->ib = (ZSTD_inBuffer){z->in, (size_t)piece, 0};
	return 0;
}

static int zblob_read(void *ctx, void *dst, size_t n, uint64_t off)
{
	zblob *z = ctx;
	if (off != z->out_off)
		return -1; /* only sequential reads */
	ZSTD_outBuffer ob = {dst, n, 0};
	while (ob.pos < ob.size) {
		/* with the input used up the decoder may still hold output */
		if (z->ib.pos == z->ib.size && z->blob_off < z->blob_n && zblob_fill(z))
			return -1;
		if (z->done)
			return -1; /* the frame ended early */
		size_t in = z->ib.pos, out = ob.pos;
		size_t r = ZSTD_decompressStream(z->dctx, &ob, &z->ib);
		if (ZSTD_isError(r) || (z->ib.pos == in && ob.pos == out))
			return -1; /* damaged, or the blob ended inside the frame */
		z->done = r == 0;
	}
	z->out_off += n;
	return 0;
}

/* After the whole image was read: the frame must end exactly at the end
 * of the blob, with its checksum matching (a damaged column would decode
 * without complaint otherwise). 0 when it does. */
static int zblob_finish(zblob *z)
{
	char spare[16];
	while (!z->done) {
		ZSTD_outBuffer ob = {spare, sizeof spare, 0};
		size_t in = z->ib.pos;
		size_t r = ZSTD_decompressStream(z->dctx, &ob, &z->ib);
		if (ZSTD_isError(r) || ob.pos > 0)
			return -1; /* damaged, or more image than its header said */
		z->done = r == 0;
		if (!z->done && z->ib.pos == z->ib.size &&
		    (z->blob_off == z->blob_n ? z->ib.pos == in : zblob_fill(z) != 0))
			return -1;
	}
	/* nothing may follow the frame */
	return z->ib.pos == z->ib.size && z->blob_off == z->blob_n ? 0 : -1;
}

/* Reads a stored image (zstd or raw) into a dataset. */
static int read_image(sqlite3_blob *blob, kefu_dataset **out)
{
	uint64_t n = (uint64_t)sqlite3_blob_bytes(blob);
	unsigned char head[18];
	kefu_err ignored = KEFU_ERR_INIT;
	uint32_t magic = 0;
	if (n >= 4 && sqlite3_blob_read(blob, head, 4, 0) == SQLITE_OK)
		memcpy(&magic, head, 4);
	if (magic != SNAP_ZSTD_MAGIC) {
		kefu_snap_reader rd = {blob_read, blob, n, 0};
		return kefu_snapshot_read_from(out, &rd, &ignored);
	}
	int hn = n < sizeof head ? (int)n : (int)sizeof head;
	if (sqlite3_blob_read(blob, head, hn, 0) != SQLITE_OK)
		return -1;
	unsigned long long size = ZSTD_getFrameContentSize(head, (size_t)hn);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
		return -1;
	zblob *z = kefu_calloc(1, sizeof *z);
	if (!z || !(z->dctx = ZSTD_createDCtx())) {
		kefu_free(z);
		return -1;
	}
	z->blob = blob;
	z->blob_n = n;
	kefu_snap_reader rd = {zblob_read, z, (uint64_t)size, 0};
	int rc = kefu_snapshot_read_from(out, &rd, &ignored);
	if (rc == 0 && zblob_finish(z)) {
		kefu_dataset_free(*out);
		*out = NULL;
		rc = -1;
	}
	ZSTD_freeDCtx(z->dctx);
	kefu_free(z);
	return rc;
}

/* Streaming the image into zstd: sections go from the dataset's columns
 * straight into the compressor (no 344 MB image in memory at 10M
 * messages), after a first pass that only counts the bytes so that the
 * frame header can carry the image's size. */
typedef struct zsink {
	ZSTD_CCtx *c;
	char *out;
	size_t len, cap;
	uint64_t total; /* counting pass */
} zsink;

static int count_write(void *ctx, const void *p, size_t n)
{
	(void)p;
	((zsink *)ctx)->total += n;
	return 0;
}

static int zsink_push(zsink *z, const void *p, size_t n, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = {p, n, 0};
	for (;;) {
		if (z->cap - z->len < ZSTD_CStreamOutSize() &&
		    kefu_grow((void **)&z->out, &z->cap, z->len + ZSTD_CStreamOutSize(), 1))
			return -1;
		ZSTD_outBuffer ob = {z->out + z->len, z->cap - z->len, 0};
		size_t r = ZSTD_compressStream2(z->c, &ob, &in, end);
		if (ZSTD_isError(r))
			return -1;
		z->len += ob.pos;
		if (end == ZSTD_e_end ? r == 0 : in.pos == in.size)
			return 0;
	}
}

static int zsink_write(void *ctx, const void *p, size_t n)
{
	return zsink_push(ctx, p, n, ZSTD_e_continue);
}

/* The dataset's image as one zstd frame (NULL when it cannot be made:
 * then no snapshot is kept this time). */
static char *compress_dataset(const kefu_dataset *ds, size_t *zn)
{
	zsink z;
	memset(&z, 0, sizeof z);
	kefu_err ignored = KEFU_ERR_INIT;
	kefu_snap_writer counter = {count_write, &z};
	if (kefu_snapshot_write_to(ds, &counter, &ignored) || !(z.c = ZSTD_createCCtx()))
		return NULL;
	ZSTD_CCtx_setParameter(z.c, ZSTD_c_compressionLevel, SNAP_ZSTD_LEVEL);
	ZSTD_CCtx_setParameter(z.c, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(z.c, ZSTD_c_nbWorkers, 2); /* ignored by a single-thread libzstd */
	ZSTD_CCtx_setPledgedSrcSize(z.c, z.total);
	kefu_snap_writer w = {zsink_write, &z};
	int rc = kefu_snapshot_write_to(ds, &w, &ignored) || zsink_push(&z, NULL, 0, ZSTD_e_end);
	ZSTD_freeCCtx(z.c);
	if (rc) {
		kefu_free(z.out);
		return NULL;
	}
	*zn = z.len;
	return z.out;
}

int kefu_store_load_cached(kefu_store *st, kefu_dataset **out, int *from_snapshot, kefu_err *err)
{
	*out = NULL;
	*from_snapshot = 0;
	int64_t current;
	int rc = last_import(st, &current, err);
	if (rc)
		return rc;
	/* 1. a current snapshot, read straight into the columns */
	sqlite3_stmt *s = NULL;
	int64_t tag = -1;
	if (sqlite3_prepare_v2(st->db, "SELECT import_id FROM snapshot WHERE id = 1", -1, &s, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		tag = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_blob *blob = NULL;
	if (tag == current &&
	    sqlite3_blob_open(st->db, "main", "snapshot", "data", 1, 0, &blob) == SQLITE_OK) {
		rc = read_image(blob, out);
		sqlite3_blob_close(blob);
		if (rc == 0) {
			*from_snapshot = 1;
			return 0;
		}
		rc = 0;
	}
	/* 2. the rows, then a new snapshot (best effort: a read-only store or a
	 * busy writer just means no cache this time) */
	kefu_dataset *ds;
	if (kefu_dataset_new(&ds))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	if ((rc = kefu_store_load(st, ds, err)) || (rc = kefu_dataset_finalize(ds, err))) {
		kefu_dataset_free(ds);
		return rc;
	}
	size_t n = 0;
	char *img = compress_dataset(ds, &n);
	if (img) {
		if (n < (size_t)1 << 31 &&
		    sqlite3_exec(st->db, create_sql, NULL, NULL, NULL) == SQLITE_OK &&
		    sqlite3_prepare_v2(st->db,
				       "INSERT OR REPLACE INTO snapshot(id, import_id, data) VALUES (1, ?, ?)",
				       -1, &s, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(s, 1, current);
			sqlite3_bind_blob64(s, 2, img, n, SQLITE_STATIC);
			sqlite3_step(s);
			sqlite3_finalize(s);
		}
		kefu_free(img);
	}
	*out = ds;
	return 0;
}
