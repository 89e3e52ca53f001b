/*
 * fuzz_msgseg.c - libFuzzer target for the message segment decoder
 * (lib/msgseg.c), which reads blobs back from the store.
 *
 * Input: byte 0 picks the mode, bytes 1-2 the row count (1..1024), the
 * rest is split in two at byte 3's share: the key part and the text part.
 * Mode 0 hands both parts to the decoder as they are (zstd frame errors);
 * mode 1 compresses them first, so the decoder's checks of the raw columns
 * (header, sizes, text lengths, directions) are reached. Checks: a failure
 * is KEFU_ESTORE with a message; a success has consistent columns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "kefu/msgseg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	int mode = data[0] & 1, with_text = (data[0] >> 1) & 1;
	int64_t rows = 1 + ((data[1] | data[2] << 8) & 1023);
	const uint8_t *p = data + 4;
	size_t n = size - 4, split = n * data[3] / 255;
	const void *k = p, *t = p + split;
	size_t kn = split, tn = n - split;
	void *zk = NULL, *zt = NULL;
	if (mode) {
		size_t ck = ZSTD_compressBound(kn), ct = ZSTD_compressBound(tn);
		zk = malloc(ck);
		zt = malloc(ct);
		if (!zk || !zt)
			__builtin_trap();
		kn = ZSTD_compress(zk, ck, k, kn, 1);
		tn = ZSTD_compress(zt, ct, t, tn, 1);
		if (ZSTD_isError(kn) || ZSTD_isError(tn))
			__builtin_trap();
		k = zk;
		t = zt;
	}
	kefu_msgseg seg;
	memset(&seg, 0, sizeof seg);
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_msgseg_decode(42, rows, k, kn, t, tn, with_text, &seg, &err);
	if (rc) {
		if (rc != KEFU_ESTORE || !err.msg[0])
			__builtin_trap();
	} else {
		if (seg.n != (size_t)rows || seg.id != 42)
			__builtin_trap();
		for (size_t i = 0; i < seg.n; i++) {
			if (seg.dir[i] > 2)
				__builtin_trap();
			if (with_text && seg.text_off[i] > seg.text_off[i + 1])
				__builtin_trap();
		}
		if (with_text && seg.text[seg.text_off[seg.n]] != '\0')
			__builtin_trap();
	}
	kefu_msgseg_free(&seg);
	free(zk);
	free(zt);
	return 0;
}
