/*
 * fuzz_loader.c - libFuzzer target for the input loader (lib/loader.c) and
 * the money parser (lib/record.c).
 *
 * The first input byte picks the kind (or detection), whether a --shop
 * override is given (bit 3) and the mode (bits 4-5): 0 loads the rest from
 * memory as CSV or JSON Lines; 1 does the same with a --map (so JSON Lines
 * are read as a table); 2 and 3 load it from a temporary file as
 * taobao-trades-json and taobao-chatlog-json.
 * Every slice handed to the callbacks is read in full so that a dangling or
 * out-of-bounds slice shows up under AddressSanitizer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kefu/loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static void touch(kefu_str s)
{
	if (s.n)
		sink += kefu_hash_bytes(s.p, s.n);
}

static int on_row(void *ctx, const kefu_record *rec, const char *file, long line, kefu_err *err)
{
	(void)ctx;
	(void)err;
	sink += (uint64_t)line + strlen(file);
	switch (rec->kind) {
	case KEFU_KIND_MESSAGES:
		touch(rec->u.msg.shop);
		touch(rec->u.msg.buyer);
		touch(rec->u.msg.agent);
		touch(rec->u.msg.text);
		break;
	case KEFU_KIND_ORDERS:
		touch(rec->u.ord.shop);
		touch(rec->u.ord.order_id);
		touch(rec->u.ord.buyer);
		touch(rec->u.ord.status);
		if (rec->u.ord.amount < 0 || rec->u.ord.items < 0 || rec->u.ord.refund < 0 ||
		    (rec->u.ord.paid != KEFU_TS_NONE && rec->u.ord.paid < rec->u.ord.created))
			__builtin_trap();
		break;
	case KEFU_KIND_RATINGS:
		touch(rec->u.rat.shop);
		touch(rec->u.rat.order_id);
		touch(rec->u.rat.buyer);
		if (rec->u.rat.desc < 1 || rec->u.rat.desc > 5)
			__builtin_trap();
		break;
	case KEFU_KIND_EVALS:
		touch(rec->u.ev.shop);
		touch(rec->u.ev.agent);
		touch(rec->u.ev.buyer);
		break;
	case KEFU_KIND_AGENTS:
		touch(rec->u.ag.agent);
		touch(rec->u.ag.vendor);
		touch(rec->u.ag.team);
		touch(rec->u.ag.name);
		touch(rec->u.ag.commission_rate);
		break;
	case KEFU_KIND_PRESENCE:
		touch(rec->u.pr.agent);
		if (rec->u.pr.logout < rec->u.pr.login)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	return 0;
}

static int on_reject(void *ctx, const char *file, long line, long col, const char *column,
		     const char *reason, kefu_str raw)
{
	(void)ctx;
	sink += (uint64_t)line + (uint64_t)col + strlen(file) + strlen(column) + strlen(reason);
	if (raw.n > ((size_t)64 << 10))
		__builtin_trap();
	touch(raw);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kefu_tz *tz;
	kefu_err err = KEFU_ERR_INIT;
	if (!tz && kefu_tz_load(&tz, "+08:00", &err) != 0)
		return 0;
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	const char *p = (const char *)data + 1;
	size_t n = size - 1;

	/* the money parser and formatter on the raw bytes */
	int64_t fen;
	if (kefu_money_parse(p, n < 64 ? n : 64, &fen, &err) == 0) {
		char buf[32];
		if (fen < 0 || fen > INT64_C(100000000000))
			__builtin_trap();
		kefu_money_format(fen, buf);
		int64_t back;
		if (kefu_money_parse(buf, strlen(buf), &back, &err) != 0 || back != fen)
			__builtin_trap();
	}

	kefu_load_opts o = KEFU_LOAD_OPTS_INIT;
	o.kind = (kefu_kind)((ctl & 7) % KEFU_KIND_COUNT);
	o.shop = (ctl & 8) ? "fuzzshop" : NULL;
	o.default_tz = tz;
	kefu_load_stats st;
	int mode = (ctl >> 4) & 3;
	if (mode == 1)
		o.map = "order_id=单号,buyer=旺旺,created=下单,paid=付款|unpaid,amount=金额,"
			"items=件数,status=状态|status";
	if (mode >= 2) {
		static char path[64];
		if (!path[0])
			snprintf(path, sizeof path, "/tmp/kefu-fuzz-json-%ld", (long)getpid());
		FILE *f = fopen(path, "wb");
		if (!f)
			return 0;
		if (n)
			fwrite(p, 1, n, f);
		fclose(f);
		o.shop = "fuzzshop";
		o.kind = KEFU_KIND_NONE;
		o.format = mode == 2 ? "taobao-trades-json" : "taobao-chatlog-json";
		int rc = kefu_load_file(path, &o, on_row, on_reject, NULL, &st, &err);
		unlink(path);
		if (rc == 0 && st.rows_read != st.rows_ok + st.rows_rejected)
			__builtin_trap();
		return 0;
	}
	int rc = kefu_load_mem(p, n, "fuzz", &o, on_row, on_reject, NULL, &st, &err);
	if (rc == 0 && st.rows_read != st.rows_ok + st.rows_rejected)
		__builtin_trap();
	if (rc == 0 && st.bytes != n)
		__builtin_trap();
	return 0;
}
