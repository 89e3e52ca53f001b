/*
 * tz.h - time zones and business days without localtime(): a small TZif
 * reader over the system zoneinfo, fixed offsets, and civil-date math.
 *
 * Ownership: kefu_tz objects are immutable after load; the caller frees them
 * with kefu_tz_free().
 */
#ifndef KEFU_TZ_H
#define KEFU_TZ_H

#include "kefu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kefu_tz kefu_tz;

/* Loads "Area/City" from $TZDIR or /usr/share/zoneinfo, or parses a fixed
 * offset "+08:00", "-0530", "UTC", "Z". Asia/Shanghai falls back to +08:00
 * (no DST since 1991) when the zoneinfo file is missing. */
int kefu_tz_load(kefu_tz **out, const char *name, kefu_err *err);
void kefu_tz_free(kefu_tz *tz);
const char *kefu_tz_name(const kefu_tz *tz);
/* 1 and *off = the offset when tz never changes its offset, else 0. */
int kefu_tz_fixed(const kefu_tz *tz, int32_t *off);

/* UTC offset in seconds in force at the UTC instant t. */
int32_t kefu_tz_offset_at(const kefu_tz *tz, int64_t t);
/* Converts local wall-clock seconds (as if UTC) to a UTC instant. In a gap
 * the offset before the transition is used; in an overlap the earlier
 * instant is chosen. */
int64_t kefu_tz_local_to_utc(const kefu_tz *tz, int64_t local);

/* Days since 1970-01-01 for a civil date, and back. */
int64_t kefu_days_from_civil(int64_t y, unsigned m, unsigned d);
void kefu_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* ISO weekday 1 = Monday .. 7 = Sunday of a day number. */
int kefu_weekday(int64_t day);

/* Business day of instant t: local date of (t + offset - day_split_s). */
static inline int64_t kefu_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
int64_t kefu_business_day(const kefu_tz *tz, int32_t day_split_s, int64_t t);
/* UTC instant at which business day `day` starts. */
int64_t kefu_day_start(const kefu_tz *tz, int32_t day_split_s, int64_t day);

/* Formats a day number as YYYY-MM-DD into buf (>= 11 bytes). */
void kefu_day_format(int64_t day, char *buf);
/* Parses YYYY-MM-DD into a day number. Returns 0 or KEFU_EPARSE. */
int kefu_day_parse(const char *s, size_t n, int64_t *day);

/*
 * Parses a timestamp (formats.md): "YYYY-MM-DD HH:MM:SS" local to tz,
 * ISO 8601 with 'T' and an offset (Z, +08:00, +0800, optional fraction),
 * or integer epoch (12+ digits = milliseconds, floored; fewer = seconds).
 * "YYYY-MM-DDTHH:MM:SS" without offset and "YYYY/MM/DD HH:MM[:SS]" are also
 * read as local. Sub-second parts are floored. On error returns KEFU_EPARSE
 * and a reason in err->msg.
 */
int kefu_ts_parse(const char *s, size_t n, const kefu_tz *tz, int64_t *out, kefu_err *err);
/* Formats instant t as local "YYYY-MM-DD HH:MM:SS" in tz (buf >= 20). */
void kefu_ts_format(const kefu_tz *tz, int64_t t, char *buf);

/* Parses a duration: "90" (seconds), "90s", "15m", "48h", "2d". */
int kefu_duration_parse(const char *s, size_t n, int64_t *out_s);
/* Parses a clock time "HH:MM" or "HH:MM:SS" to seconds after midnight. */
int kefu_clock_parse(const char *s, size_t n, int32_t *out_s);

#ifdef __cplusplus
}
#endif
#endif
