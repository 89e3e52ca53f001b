/*
 * fuzz_ts.c - libFuzzer target for the timestamp, duration and clock
 * parsers (lib/tz.c).
 *
 * The first input byte picks a fixed time zone (+08:00, UTC, -05:30,
 * +14:00); the rest is parsed by kefu_ts_parse, kefu_duration_parse and
 * kefu_clock_parse. Checks: errors come with a reason; a parsed instant
 * formatted back as local "YYYY-MM-DD HH:MM:SS" parses to the same instant
 * (fixed offsets have no gaps or overlaps); a clock time is within a day.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const zones[] = {"+08:00", "UTC", "-05:30", "+14:00"};
	if (size < 1)
		return 0;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	kefu_tz *tz = NULL;
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_tz_load(&tz, zones[data[0] & 3], &err) != 0)
		__builtin_trap();

	int64_t t = 0;
	int rc = kefu_ts_parse(s, n, tz, &t, &err);
	if (rc != 0) {
		if (rc != KEFU_EPARSE || err.msg[0] == '\0')
			__builtin_trap();
	} else if (t > -62135596800LL && t < 253402300800LL - 86400) {
		/* years 1..9999: the local text must read back to the instant */
		char buf[64];
		kefu_ts_format(tz, t, buf);
		int64_t t2 = 0;
		kefu_err e2 = KEFU_ERR_INIT;
		if (kefu_ts_parse(buf, strlen(buf), tz, &t2, &e2) == 0 && t2 != t)
			__builtin_trap();
	}

	int64_t d = 0;
	rc = kefu_duration_parse(s, n, &d);
	if (rc != 0 && rc != KEFU_EPARSE)
		__builtin_trap();

	int32_t c = -1;
	rc = kefu_clock_parse(s, n, &c);
	if (rc == 0 && (c < 0 || c > 86400))
		__builtin_trap();
	if (rc != 0 && rc != KEFU_EPARSE)
		__builtin_trap();

	kefu_tz_free(tz);
	return 0;
}
