/*
 * fuzz_money.c - libFuzzer target for the exact money parser and formatter
 * (lib/record.c).
 *
 * The input is parsed as decimal yuan; a valid result must be within
 * 0..10^9 yuan and survive the round trip parse(format(x)) == x. The first 8
 * bytes are also read as an int64 fen value: formatting it must give two
 * decimals, and when it is within range, parse it back to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(int64_t fen)
{
	char buf[32];
	kefu_money_format(fen, buf);
	size_t l = strlen(buf);
	if (l < 4 || buf[l - 3] != '.')
		__builtin_trap();
	int64_t back = -1;
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_money_parse(buf, l, &back, &err);
	if (fen >= 0 && fen <= (int64_t)1000000000 * 100) {
		if (rc != 0 || back != fen)
			__builtin_trap();
	} else if (rc == 0) {
		__builtin_trap(); /* negative or above the limit must be refused */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t fen = -1;
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_money_parse((const char *)data, size, &fen, &err);
	if (rc == 0) {
		if (fen < 0 || fen > (int64_t)1000000000 * 100)
			__builtin_trap();
		round_trip(fen);
	} else if (rc != KEFU_EPARSE || err.msg[0] == '\0') {
		__builtin_trap();
	}
	if (size >= 8) {
		uint64_t u = 0;
		memcpy(&u, data, 8);
		round_trip((int64_t)u);
		round_trip((int64_t)(u % 200000000000ULL)); /* mostly in range */
	}
	return 0;
}
