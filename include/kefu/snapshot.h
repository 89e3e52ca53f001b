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

/* Dictionary images (used by the snapshot). */
int kefu_dict_write(const kefu_dict *d, char **buf, size_t *len, size_t *cap);
int kefu_dict_read(kefu_dict **out, const char **p, const char *end);

#ifdef __cplusplus
}
#endif
#endif
