/*
 * snapshot.h - a finalized dataset as one flat byte image, so that a store
 * can keep its columns ready to use: `kefu kpi --db` then reads one blob
 * instead of re-reading and re-interning every row.
 *
 * Format (little-endian, host layout, versioned by magic): "KEFUSNP1", then
 * every dictionary (count, arena bytes, offsets, lengths) and every column
 * of every kind, each as a u64 byte count followed by the bytes.
 *
 * Ownership: kefu_snapshot_write returns a buffer the caller frees with
 * kefu_free; kefu_snapshot_read returns a new finalized dataset.
 */
#ifndef KEFU_SNAPSHOT_H
#define KEFU_SNAPSHOT_H

#include "kefu/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

int kefu_snapshot_write(const kefu_dataset *ds, char **out, size_t *outn, kefu_err *err);
/* KEFU_EPARSE when the image is not a snapshot of this version or is cut. */
int kefu_snapshot_read(kefu_dataset **out, const char *p, size_t n, kefu_err *err);

/* Reads an image piecewise straight into the dataset's columns (one copy),
 * e.g. from an SQLite incremental blob. read() fills dst with n bytes at
 * offset off of the image and returns 0, or nonzero on failure. */
typedef struct kefu_snap_reader {
	int (*read)(void *ctx, void *dst, size_t n, uint64_t off);
	void *ctx;
	uint64_t size, pos;
} kefu_snap_reader;
int kefu_snapshot_read_from(kefu_dataset **out, kefu_snap_reader *rd, kefu_err *err);

/* Writes an image piecewise, e.g. into a compressor, without building it
 * in memory first: write() takes the next n bytes and returns 0, or
 * nonzero to stop. kefu_snapshot_write_to returns KEFU_EIO when it did. */
typedef struct kefu_snap_writer {
	int (*write)(void *ctx, const void *p, size_t n);
	void *ctx;
} kefu_snap_writer;
int kefu_snapshot_write_to(const kefu_dataset *ds, kefu_snap_writer *w, kefu_err *err);

/* One section: u64 length, then that many bytes. put appends one to a
 * growing buffer, put_to hands one to a writer; section and bytes read one
 * back. */
int kefu_snap_put(char **buf, size_t *len, size_t *cap, const void *p, size_t n);
int kefu_snap_put_to(kefu_snap_writer *w, const void *p, size_t n);
int kefu_snap_section(kefu_snap_reader *rd, size_t *len);
int kefu_snap_bytes(kefu_snap_reader *rd, void *dst, size_t len);

/* Dictionary images (used by the snapshot). */
int kefu_dict_write(const kefu_dict *d, char **buf, size_t *len, size_t *cap);
int kefu_dict_write_to(const kefu_dict *d, kefu_snap_writer *w);
int kefu_dict_read(kefu_dict **out, kefu_snap_reader *rd);

#ifdef __cplusplus
}
#endif
#endif
