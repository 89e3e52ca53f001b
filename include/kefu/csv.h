/*
 * csv.h - streaming RFC 4180 CSV reader, the import hot path.
 *
 * Reads from a file descriptor through one reused buffer (no mmap: page
 * faults are expensive on our machines). Handles a UTF-8 BOM, CRLF / LF /
 * CR-only line endings detected from the file's first line ending (a bare CR
 * inside an LF file is data, a bare CR or LF inside a CRLF file is data),
 * quoted fields with embedded separators, newlines and doubled quotes, and a
 * maximum field size.
 *
 * Ownership: the reader owns its buffers; the field slices returned by
 * kefu_csv_next() stay valid until the next call or kefu_csv_free().
 */
#ifndef KEFU_CSV_H
#define KEFU_CSV_H

#include "kefu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kefu_csv kefu_csv;

typedef struct kefu_csv_opts {
	char sep;              /* field separator, default ',' */
	size_t max_field;      /* bytes; longer fields are a row error. default 16 MiB */
	int strip_bom;         /* default 1 */
} kefu_csv_opts;

#define KEFU_CSV_OPTS_INIT {',', (size_t)16 << 20, 1}

/* Opens a reader on fd (not closed by the reader). name is used in errors.
 * opts may be NULL for defaults. */
int kefu_csv_open_fd(kefu_csv **out, int fd, const char *name,
		     const kefu_csv_opts *opts, kefu_err *err);
/* Opens a reader on a part of a file for parallel loads: reads at most
 * `limit` bytes from fd's current offset, takes the line-ending mode found
 * at the file's start (kefu_csv_mode of a reader on the start; 0 = detect)
 * and strips no BOM. Line numbers count from 1 at the range start. */
int kefu_csv_open_fd_range(kefu_csv **out, int fd, const char *name, const kefu_csv_opts *opts,
			   uint64_t limit, int mode, kefu_err *err);
/* The line-ending mode in use (0 until the first line ending is seen). */
int kefu_csv_mode(const kefu_csv *r);
/* The physical line number at the current position. */
long kefu_csv_line(const kefu_csv *r);

/* Opens a reader over a memory buffer (borrowed; must outlive the reader). */
int kefu_csv_open_mem(kefu_csv **out, const char *data, size_t n, const char *name,
		      const kefu_csv_opts *opts, kefu_err *err);

/*
 * Reads the next record.
 * Returns 1 with *fields / *nfields set, 0 at end of input, or a negative
 * code. KEFU_EPARSE means this record was malformed (unterminated quote,
 * stray quote inside an unquoted field, field longer than max_field,
 * character after a closing quote): err holds the file, the 1-based physical
 * line where the record starts, the 1-based column (field number) and the
 * reason; the reader has skipped past the bad record, so the caller may
 * continue calling kefu_csv_next(). KEFU_EIO is fatal.
 * *line is set to the 1-based physical line on which the record starts.
 * An empty line yields a record with one empty field (callers skip it).
 */
int kefu_csv_next(kefu_csv *r, kefu_str **fields, size_t *nfields, long *line,
		  kefu_err *err);

/* Looks at up to `want` bytes after the BOM without consuming them (the
 * loader tells JSON Lines from CSV this way, also on stdin). */
int kefu_csv_peek(kefu_csv *r, size_t want, kefu_str *out, kefu_err *err);
/* Reads one physical line with the same line-ending detection (JSON Lines). */
int kefu_csv_next_line(kefu_csv *r, kefu_str *line, long *lineno, kefu_err *err);
/* The last record's raw bytes without its line ending, at most 64 KiB
 * (what a reject file receives). Valid until the next read. */
void kefu_csv_raw(const kefu_csv *r, kefu_str *raw);
/* Test hook: this reader's buffer size (and, on a memory reader, chunked
 * reads of at most n bytes). Call before the first read. */
void kefu_csv_set_bufsize_for_test(kefu_csv *r, size_t n);

/* Bytes consumed so far (for progress bars). */
uint64_t kefu_csv_offset(const kefu_csv *r);

void kefu_csv_free(kefu_csv *r);

#ifdef __cplusplus
}
#endif
#endif
