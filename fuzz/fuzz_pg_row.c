/*
 * fuzz_pg_row.c - libFuzzer target for the parser of the rows `kefu pull`
 * reads from PostgreSQL (COPY text format, lib/pg_pull.c).
 *
 * The first input byte picks the kind; the rest is one row. Checks: a
 * refused row says why; an accepted one has its key, direction and DSR or
 * eval levels in range and every string inside the row buffer; and
 * escaping any field's bytes then unescaping them gives the bytes back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/pg_pull.h"
#include "kefu/pg_push.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *buf, size_t n, kefu_str s)
{
	if (s.n && (s.p < buf || s.p + s.n > buf + n))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	kefu_kind k = (kefu_kind)(1 + data[0] % (KEFU_KIND_COUNT - 1));
	size_t n = size - 1;
	char *row = malloc(n + 1);
	if (!row)
		return 0;
	memcpy(row, data + 1, n);
	kefu_record rec;
	const char *why = NULL;
	if (kefu_pg_parse_row(k, row, n, &rec, &why) != 0) {
		if (!why || !why[0])
			__builtin_trap();
	} else {
		if (rec.kind != k)
			__builtin_trap();
		switch (k) {
		case KEFU_KIND_MESSAGES:
			if (!rec.u.msg.shop.n || rec.u.msg.dir > KEFU_DIR_A)
				__builtin_trap();
			inside(row, n, rec.u.msg.text);
			inside(row, n, rec.u.msg.buyer);
			break;
		case KEFU_KIND_RATINGS:
			if (rec.u.rat.desc < 1 || rec.u.rat.desc > 5 || rec.u.rat.service < 1 ||
			    rec.u.rat.service > 5 || rec.u.rat.shipping < 1 || rec.u.rat.shipping > 5)
				__builtin_trap();
			break;
		case KEFU_KIND_EVALS:
			if (rec.u.ev.level < 1 || rec.u.ev.level > 5)
				__builtin_trap();
			break;
		case KEFU_KIND_ORDERS:
			if (rec.u.ord.amount < 0 || rec.u.ord.refund < 0 || !rec.u.ord.shop.n)
				__builtin_trap();
			inside(row, n, rec.u.ord.order_id);
			break;
		default: break;
		}
	}
	/* escape then unescape is the identity on NUL-free bytes */
	const char *raw = (const char *)data + 1;
	if (!memchr(raw, '\0', n)) {
		char *esc = malloc(2 * n + 1);
		if (esc) {
			size_t w = kefu_pg_copy_escape(esc, raw, n);
			if (w == (size_t)-1 || kefu_pg_copy_unescape(esc, w) != n ||
			    memcmp(esc, raw, n) != 0)
				__builtin_trap();
			free(esc);
		}
	}
	free(row);
	return 0;
}
