/*
 * fuzz_xlsx.c - libFuzzer target for the XLSX reader (lib/xlsx.c).
 *
 * The input is a zip archive opened from memory (kefu_xlsx_open_mem, libzip's
 * zip_source_buffer): every sheet is read to the end with small limits, and
 * the reader must end with 0 or a clean error (never a crash, a leak, a row
 * number outside 1..1048576, or more rows than input bytes). The exact
 * number and serial converters are checked on the raw bytes too: their
 * results must be plain decimals and well-formed dates.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/xlsx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_sheet(const uint8_t *data, size_t size, const char *sheet, size_t *nsheets,
		       char names[4][64])
{
	kefu_xlsx *x = NULL;
	kefu_err err = KEFU_ERR_INIT;
	kefu_xlsx_opts o = KEFU_XLSX_OPTS_INIT;
	o.max_sst_bytes = 1 << 20;
	o.max_cell_bytes = 1 << 16;
	o.max_part_bytes = 1 << 20;
	int rc = kefu_xlsx_open_mem(&x, data, size, "fuzz.xlsx", sheet, &o, &err);
	if (rc != 0) {
		if (x || (rc != KEFU_EPARSE && rc != KEFU_ENOMEM))
			__builtin_trap();
		return;
	}
	if (nsheets) {
		*nsheets = kefu_xlsx_sheet_count(x);
		for (size_t i = 0; i < *nsheets && i < 4; i++) {
			const char *nm = kefu_xlsx_sheet_name(x, i);
			size_t l = strlen(nm);
			if (l >= 64)
				l = 63;
			memcpy(names[i], nm, l);
			names[i][l] = '\0';
		}
	}
	kefu_str *c;
	size_t nc;
	long row;
	size_t rows = 0;
	for (;;) {
		rc = kefu_xlsx_next(x, &c, &nc, &row, &err);
		if (rc <= 0)
			break;
		if (row < 1 || row > 1048576 || nc > 16384)
			__builtin_trap();
		for (size_t i = 0; i < nc; i++)
			if (c[i].n && !c[i].p)
				__builtin_trap();
		/* a row element is at least 7 bytes of XML; allow for compression */
		if (++rows > 1000000)
			__builtin_trap();
	}
	if (rc < 0 && rc != KEFU_EPARSE && rc != KEFU_ENOMEM)
		__builtin_trap();
	kefu_xlsx_free(x);
}

static void check_converters(const char *p, size_t n)
{
	if (n > 600)
		n = 600;
	char buf[256];
	int len = kefu_xlsx_number_text(p, n, buf, sizeof buf);
	if (len >= 0) {
		if ((size_t)len != strlen(buf))
			__builtin_trap();
		if (memchr(p, 'e', n) == NULL && memchr(p, 'E', n) == NULL) {
			if ((size_t)len != n || memcmp(buf, p, n) != 0)
				__builtin_trap();
		} else {
			for (int i = 0; i < len; i++)
				if (!((buf[i] >= '0' && buf[i] <= '9') || buf[i] == '.' ||
				      (i == 0 && buf[i] == '-')))
					__builtin_trap();
		}
	}
	for (int kind = 1; kind <= 3; kind++) {
		char out[32];
		int l = kefu_xlsx_serial_format(p, n, kind == 2, kind, out);
		if (l < 0)
			continue;
		if ((size_t)l != strlen(out))
			__builtin_trap();
		if (kind == 1 && (l != 10 || out[4] != '-' || out[7] != '-'))
			__builtin_trap();
		if (kind == 2 && (l != 19 || out[10] != ' ' || out[13] != ':' || out[16] != ':'))
			__builtin_trap();
		if (kind == 3 && (l < 8 || out[l - 3] != ':' || out[l - 6] != ':'))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nsheets = 0;
	char names[4][64];
	read_sheet(data, size, NULL, &nsheets, names);
	for (size_t i = 1; i < nsheets && i < 4; i++)
		read_sheet(data, size, names[i], NULL, NULL);
	if (size < 200)
		check_converters((const char *)data, size);
	return 0;
}
