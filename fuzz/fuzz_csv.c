/*
 * fuzz_csv.c - libFuzzer target for the CSV reader (lib/csv.c).
 *
 * The first input byte picks options (small max_field, separator, BOM
 * stripping, read-buffer size); the rest is parsed twice, in place and
 * streamed through a tiny buffer, and both parses must give the same records,
 * errors, line numbers and raw bytes (differential check: a mismatch traps).
 * The physical-line reader used for JSON Lines gets the same treatment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/csv.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	h ^= kefu_hash_bytes(p, n) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h;
}

static uint64_t mixn(uint64_t h, uint64_t v) { return mix(h, &v, sizeof v); }

/* Parses everything; returns a digest of all results. mode 0 = records,
 * 1 = physical lines. */
static uint64_t digest(const char *p, size_t n, const kefu_csv_opts *o, size_t bufsize, int mode)
{
	kefu_csv *r = NULL;
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_csv_open_mem(&r, p, n, "fuzz", o, &err) != 0)
		return 1;
	if (bufsize)
		kefu_csv_set_bufsize_for_test(r, bufsize);
	uint64_t h = 0;
	for (size_t guard = 0; guard <= n + 2; guard++) {
		kefu_str *f = NULL, line;
		size_t nf = 0;
		long lno = 0;
		int rc = mode == 0 ? kefu_csv_next(r, &f, &nf, &lno, &err)
				   : kefu_csv_next_line(r, &line, &lno, &err);
		h = mixn(h, (uint64_t)(int64_t)rc);
		if (rc == 0)
			break;
		if (rc < 0 && rc != KEFU_EPARSE)
			__builtin_trap(); /* memory sources cannot fail otherwise */
		h = mixn(h, (uint64_t)lno);
		if (rc == KEFU_EPARSE) {
			if (err.line != lno || err.col < 0)
				__builtin_trap();
			h = mixn(h, (uint64_t)err.col);
			h = mix(h, err.msg, strlen(err.msg));
		} else if (mode == 0) {
			h = mixn(h, nf);
			for (size_t i = 0; i < nf; i++)
				h = mix(h, f[i].p, f[i].n);
		} else {
			h = mix(h, line.p, line.n);
		}
		kefu_str raw;
		kefu_csv_raw(r, &raw);
		h = mix(h, raw.p, raw.n);
		if (guard == n + 2)
			__builtin_trap(); /* more results than bytes: a loop */
	}
	if (kefu_csv_offset(r) != n)
		__builtin_trap();
	kefu_csv_free(r);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	kefu_csv_opts o = KEFU_CSV_OPTS_INIT;
	if (ctl & 1)
		o.max_field = 1 + (size_t)(ctl >> 4);
	if (ctl & 2)
		o.sep = ';';
	if (ctl & 4)
		o.strip_bom = 0;
	size_t bs = 1 + (size_t)((ctl >> 3) & 7) * 3;
	for (int mode = 0; mode < 2; mode++) {
		uint64_t a = digest(p, n, &o, 0, mode);
		uint64_t b = digest(p, n, &o, bs, mode);
		if (a != b)
			__builtin_trap();
	}
	return 0;
}
