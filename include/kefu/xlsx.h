/*
 * xlsx.h - streaming reader for XLSX workbooks (Office Open XML
 * spreadsheets, as saved by Excel, WPS or LibreOffice), giving the rows of
 * one sheet as UTF-8 text cells, the way a CSV export of that sheet would.
 *
 * Built on libzip (the archive) and expat (the XML). The sheet's XML is
 * parsed incrementally from zip_fread() chunks and suspended at the end of
 * every row, so memory does not grow with the sheet; the shared string table
 * (needed for random access) and the cell styles are held in memory, the
 * shared strings under a size limit.
 *
 * Cell text (docs/XLSX.md has the details):
 *   - shared strings (t="s") and inline strings (t="inlineStr") resolved;
 *     rich text runs concatenated; phonetic runs (rPh) skipped; the OOXML
 *     escape _xHHHH_ decoded;
 *   - numbers: the <v> text as stored; an exponent form ("1.23E+5",
 *     "1E-3") rewritten exactly as a plain decimal ("123000", "0.001");
 *   - booleans: TRUE / FALSE; errors: their text (#N/A); formula strings:
 *     the cached value;
 *   - numbers in a cell whose style is a date format: converted exactly from
 *     the Excel serial (1900 system with its leap-year bug, or 1904) to
 *     "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DD" for date-only formats and
 *     "HH:MM:SS" for time-only formats, rounded to the nearest second;
 *   - cells missing in the middle of a row (by their r="C5" reference) are
 *     empty strings, so positions match the header.
 *
 * Ownership: the reader owns its buffers; the cell slices returned by
 * kefu_xlsx_next() stay valid until the next call or kefu_xlsx_free().
 */
#ifndef KEFU_XLSX_H
#define KEFU_XLSX_H

#include "kefu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kefu_xlsx kefu_xlsx;

typedef struct kefu_xlsx_opts {
	size_t max_sst_bytes;  /* shared strings held in memory; default 256 MiB */
	size_t max_cell_bytes; /* one cell's text; default 1 MiB */
	size_t max_part_bytes; /* workbook, rels and styles parts; default 64 MiB */
} kefu_xlsx_opts;

#define KEFU_XLSX_OPTS_INIT {(size_t)256 << 20, (size_t)1 << 20, (size_t)64 << 20}

/*
 * Opens the workbook at path and positions the reader before the first row
 * of the sheet named `sheet` (NULL = the first sheet in workbook order).
 * Reads the workbook, its relationships, the styles and the shared strings.
 * Errors: KEFU_EIO (cannot open the file), KEFU_EPARSE ("not an XLSX
 * file", "sheet 'X' not found", malformed XML, shared strings above the
 * limit), KEFU_ENOMEM. On failure *out is NULL.
 */
int kefu_xlsx_open(kefu_xlsx **out, const char *path, const char *sheet, kefu_err *err);
/* Same with options (NULL = defaults). */
int kefu_xlsx_open_opts(kefu_xlsx **out, const char *path, const char *sheet,
			const kefu_xlsx_opts *opts, kefu_err *err);
/* Same over a memory buffer (borrowed; must outlive the reader); name is
 * used in errors. For tests and the fuzzer. */
int kefu_xlsx_open_mem(kefu_xlsx **out, const void *data, size_t n, const char *name,
		       const char *sheet, const kefu_xlsx_opts *opts, kefu_err *err);

/*
 * Reads the next row that is present in the sheet. Returns 1 with *cells /
 * *ncells set and *row set to the 1-based sheet row number (rows absent
 * from the XML are skipped, so row numbers may jump), 0 at the end of the
 * sheet, or a negative code: KEFU_EPARSE (malformed XML, bad cell
 * reference, shared string index out of range, cell above the size limit,
 * corrupt zip data; err has the file, the row as line and the column
 * number) or KEFU_ENOMEM. Errors are fatal: later calls return the same code.
 */
int kefu_xlsx_next(kefu_xlsx *x, kefu_str **cells, size_t *ncells, long *row, kefu_err *err);

/* Names of the workbook's sheets in order (valid until kefu_xlsx_free). */
size_t kefu_xlsx_sheet_count(const kefu_xlsx *x);
const char *kefu_xlsx_sheet_name(const kefu_xlsx *x, size_t i);

/* Converts an Excel serial given as decimal text (plain or with exponent)
 * to "YYYY-MM-DD HH:MM:SS" (kind 2), "YYYY-MM-DD" (kind 1) or "HH:MM:SS"
 * (kind 3; hours may exceed 23 for serials of a day or more) into buf (>=
 * 32 bytes), exactly, rounding to the nearest second (halves up).
 * Returns the length, or -1 when the text is not a number or the serial is
 * negative or after 9999-12-31. Exposed for tests. */
int kefu_xlsx_serial_format(const char *s, size_t n, int date1904, int kind, char *buf);

/* Rewrites a decimal number in exponent form as a plain decimal into out
 * (cap bytes). Returns the length, or -1 when s is not a number or the result
 * does not fit; text without an exponent is copied unchanged. Exposed for
 * tests. */
int kefu_xlsx_number_text(const char *s, size_t n, char *out, size_t cap);

void kefu_xlsx_free(kefu_xlsx *x);

#ifdef __cplusplus
}
#endif
#endif
