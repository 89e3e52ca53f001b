/*
 * tz.c - time zones (TZif reader, fixed offsets), civil-date math, business
 * days and timestamp parsing. No localtime(): every conversion takes an
 * explicit zone so results never depend on the process environment.
 */
#include "kefu/tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct kefu_tz {
	char name[64];
	size_t n;          /* transitions */
	int64_t *at;       /* transition instants (UTC), ascending */
	int32_t *off_after;/* offset in force from at[i] */
	int32_t off_before;/* offset before the first transition (or fixed) */
};

/* ---- civil dates (Howard Hinnant's algorithms) ---- */

int64_t kefu_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void kefu_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t yy = (int64_t)yoe + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

int kefu_weekday(int64_t day)
{
	/* 1970-01-01 was a Thursday (4). */
	int64_t w = (day + 3) % 7;
	if (w < 0)
		w += 7;
	return (int)w + 1;
}

static int days_in_month(int64_t y, unsigned m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

void kefu_day_format(int64_t day, char *buf)
{
	int64_t y;
	unsigned m, d;
	kefu_civil_from_days(day, &y, &m, &d);
	char tmp[48];
	snprintf(tmp, sizeof tmp, "%04d-%02u-%02u", (int)y, m, d);
	memcpy(buf, tmp, 10);
	buf[10] = '\0';
}

/* ---- zones ---- */

static int parse_fixed(const char *s, int32_t *off)
{
	if (!strcmp(s, "UTC") || !strcmp(s, "Z") || !strcmp(s, "GMT") || !strcmp(s, "Etc/UTC")) {
		*off = 0;
		return 0;
	}
	if (!strncmp(s, "UTC", 3))
		s += 3;
	if (*s != '+' && *s != '-')
		return -1;
	int sign = *s == '-' ? -1 : 1;
	s++;
	int h = 0, mnt = 0, nd = 0;
	while (*s >= '0' && *s <= '9' && nd < 2) {
		h = h * 10 + (*s++ - '0');
		nd++;
	}
	if (nd == 0)
		return -1;
	if (*s == ':')
		s++;
	if (*s) {
		if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9') || s[2])
			return -1;
		mnt = (s[0] - '0') * 10 + (s[1] - '0');
	}
	if (h > 14 || mnt > 59)
		return -1;
	*off = sign * (h * 3600 + mnt * 60);
	return 0;
}

static int64_t be64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return (int64_t)v;
}

static int32_t be32(const unsigned char *p)
{
	return (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
			 p[3]);
}

/* Parses TZif data (v2+ 64-bit section preferred). */
static int parse_tzif(kefu_tz *tz, const unsigned char *b, size_t n)
{
	if (n < 44 || memcmp(b, "TZif", 4) != 0)
		return -1;
	int version = b[4];
	const unsigned char *h = b;
	size_t tsz = 4;
	for (int pass = 0; pass < 2; pass++) {
		if ((size_t)(h - b) + 44 > n)
			return -1;
		uint32_t isutc = (uint32_t)be32(h + 20), isstd = (uint32_t)be32(h + 24),
			 leap = (uint32_t)be32(h + 28), timecnt = (uint32_t)be32(h + 32),
			 typecnt = (uint32_t)be32(h + 36), charcnt = (uint32_t)be32(h + 40);
		size_t body = timecnt * tsz + timecnt + typecnt * 6 + charcnt + leap * (tsz + 4) +
			      isstd + isutc;
		const unsigned char *d = h + 44;
		if ((size_t)(d - b) + body > n || typecnt == 0)
			return -1;
		if (pass == 0 && version >= '2') {
			h = d + body;
			tsz = 8;
			continue;
		}
		const unsigned char *times = d, *idx = d + timecnt * tsz,
				    *types = idx + timecnt;
		tz->at = kefu_calloc(timecnt ? timecnt : 1, sizeof *tz->at);
		tz->off_after = kefu_calloc(timecnt ? timecnt : 1, sizeof *tz->off_after);
		if (!tz->at || !tz->off_after)
			return -1;
		/* Offset before the first transition: the first non-DST type. */
		tz->off_before = be32(types);
		for (uint32_t i = 0; i < typecnt; i++)
			if (!types[i * 6 + 4]) {
				tz->off_before = be32(types + i * 6);
				break;
			}
		for (uint32_t i = 0; i < timecnt; i++) {
			tz->at[i] = tsz == 8 ? be64(times + i * 8) : be32(times + i * 4);
			unsigned ti = idx[i];
			if (ti >= typecnt)
				return -1;
			tz->off_after[i] = be32(types + ti * 6);
		}
		tz->n = timecnt;
		return 0;
	}
	return -1;
}

static int load_file(const char *path, unsigned char **out, size_t *outn)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t cap = 8192, n = 0;
	unsigned char *buf = kefu_malloc(cap);
	while (buf) {
		if (n == cap) {
			unsigned char *nb = cap > (1 << 22) ? NULL : kefu_realloc(buf, cap * 2);
			if (!nb) {
				kefu_free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kefu_free(buf);
			buf = NULL;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf)
		return -1;
	*out = buf;
	*outn = n;
	return 0;
}

int kefu_tz_load(kefu_tz **out, const char *name, kefu_err *err)
{
	*out = NULL;
	if (!name || !name[0] || strlen(name) >= 64)
		return kefu_err_set(err, KEFU_EINVAL, "invalid time zone name");
	kefu_tz *tz = kefu_calloc(1, sizeof *tz);
	if (!tz)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	snprintf(tz->name, sizeof tz->name, "%s", name);
	int32_t off;
	if (parse_fixed(name, &off) == 0) {
		tz->off_before = off;
		*out = tz;
		return 0;
	}
	/* Reject path tricks: zone names are Area/City words. */
	for (const char *p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '/' || *p == '_' || *p == '-' || *p == '+') ||
		    (p[0] == '.' && p[1] == '.'))
			goto bad;
	char path[512];
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
	unsigned char *data = NULL;
	size_t n = 0;
	if (load_file(path, &data, &n) == 0) {
		int rc = parse_tzif(tz, data, n);
		kefu_free(data);
		if (rc == 0) {
			*out = tz;
			return 0;
		}
		kefu_free(tz->at);
		kefu_free(tz->off_after);
		tz->at = NULL;
		tz->off_after = NULL;
		tz->n = 0;
	} else if (!strcmp(name, "Asia/Shanghai") || !strcmp(name, "PRC") ||
		   !strcmp(name, "Asia/Chongqing")) {
		/* China has had no DST since 1991: a fixed +08:00 is exact for shop data. */
		tz->off_before = 8 * 3600;
		*out = tz;
		return 0;
	}
bad:
	kefu_tz_free(tz);
	return kefu_err_set(err, KEFU_EINVAL,
			    "unknown time zone '%s' (use an IANA name such as Asia/Shanghai or an offset such as +08:00)",
			    name);
}

void kefu_tz_free(kefu_tz *tz)
{
	if (!tz)
		return;
	kefu_free(tz->at);
	kefu_free(tz->off_after);
	kefu_free(tz);
}

const char *kefu_tz_name(const kefu_tz *tz) { return tz->name; }

int kefu_tz_fixed(const kefu_tz *tz, int32_t *off)
{
	if (tz->n)
		return 0;
	*off = tz->off_before;
	return 1;
}

int32_t kefu_tz_offset_at(const kefu_tz *tz, int64_t t)
{
	if (tz->n == 0 || t < tz->at[0])
		return tz->off_before;
	if (t >= tz->at[tz->n - 1]) /* the common case: after the last transition */
		return tz->off_after[tz->n - 1];
	size_t lo = 0, hi = tz->n; /* find last at[i] <= t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->off_after[lo];
}

int64_t kefu_tz_local_to_utc(const kefu_tz *tz, int64_t local)
{
	if (tz->n == 0)
		return local - tz->off_before;
	int32_t oa = kefu_tz_offset_at(tz, local - 50400);
	int32_t ob = kefu_tz_offset_at(tz, local + 50400);
	int64_t ua = local - oa, ub = local - ob;
	int va = kefu_tz_offset_at(tz, ua) == oa, vb = kefu_tz_offset_at(tz, ub) == ob;
	if (va && vb)
		return ua < ub ? ua : ub;
	if (vb && !va)
		return ub;
	return ua;
}

int64_t kefu_business_day(const kefu_tz *tz, int32_t day_split_s, int64_t t)
{
	return kefu_floor_div(t + kefu_tz_offset_at(tz, t) - day_split_s, 86400);
}

int64_t kefu_day_start(const kefu_tz *tz, int32_t day_split_s, int64_t day)
{
	return kefu_tz_local_to_utc(tz, day * 86400 + day_split_s);
}

void kefu_ts_format(const kefu_tz *tz, int64_t t, char *buf)
{
	int64_t local = t + kefu_tz_offset_at(tz, t);
	int64_t day = kefu_floor_div(local, 86400);
	int64_t sod = local - day * 86400;
	int64_t y;
	unsigned m, d;
	kefu_civil_from_days(day, &y, &m, &d);
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%04d-%02u-%02u %02d:%02d:%02d", (int)y, m, d, (int)(sod / 3600),
		 (int)(sod / 60 % 60), (int)(sod % 60));
	memcpy(buf, tmp, 19);
	buf[19] = '\0';
}

/* ---- parsing ---- */

static int digits(const char *s, size_t n, size_t at, size_t count, int *out)
{
	if (at + count > n)
		return -1;
	int v = 0;
	for (size_t i = 0; i < count; i++) {
		char c = s[at + i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*out = v;
	return 0;
}

int kefu_day_parse(const char *s, size_t n, int64_t *day)
{
	int y, m, d;
	if (n != 10 || digits(s, n, 0, 4, &y) || s[4] != '-' || digits(s, n, 5, 2, &m) ||
	    s[7] != '-' || digits(s, n, 8, 2, &d) || m < 1 || m > 12 || d < 1 ||
	    d > days_in_month(y, (unsigned)m))
		return KEFU_EPARSE;
	*day = kefu_days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

int kefu_ts_parse(const char *s, size_t n, const kefu_tz *tz, int64_t *out, kefu_err *err)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return kefu_err_set(err, KEFU_EPARSE, "empty timestamp");
	/* Integer epoch: 12+ digits are milliseconds. */
	size_t i = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == n) {
		if (n > 18)
			return kefu_err_set(err, KEFU_EPARSE, "epoch timestamp out of range");
		int64_t v = 0;
		for (i = 0; i < n; i++)
			v = v * 10 + (s[i] - '0');
		*out = n >= 12 ? v / 1000 : v;
		return 0;
	}
	int y, mo, d, hh = 0, mi = 0, ss = 0;
	if (digits(s, n, 0, 4, &y) || (s[4] != '-' && s[4] != '/'))
		goto bad;
	size_t p = 5;
	/* month and day may be 1 or 2 digits when separated by '/' or '-' */
	int v = 0, nd = 0;
	while (p < n && s[p] >= '0' && s[p] <= '9' && nd < 2) {
		v = v * 10 + (s[p++] - '0');
		nd++;
	}
	if (!nd || p >= n || s[p] != s[4])
		goto bad;
	mo = v;
	p++;
	v = 0;
	nd = 0;
	while (p < n && s[p] >= '0' && s[p] <= '9' && nd < 2) {
		v = v * 10 + (s[p++] - '0');
		nd++;
	}
	if (!nd)
		goto bad;
	d = v;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (unsigned)mo))
		return kefu_err_set(err, KEFU_EPARSE, "invalid date in timestamp '%.*s'", (int)(n > 40 ? 40 : n), s);
	int has_offset = 0;
	int32_t off = 0;
	if (p < n) {
		if (s[p] != ' ' && s[p] != 'T')
			goto bad;
		p++;
		if (digits(s, n, p, 2, &hh) || p + 2 >= n || s[p + 2] != ':' ||
		    digits(s, n, p + 3, 2, &mi))
			goto bad;
		p += 5;
		if (p < n && s[p] == ':') {
			if (digits(s, n, p + 1, 2, &ss))
				goto bad;
			p += 3;
			if (p < n && (s[p] == '.' || s[p] == ',')) {
				p++;
				size_t f0 = p;
				while (p < n && s[p] >= '0' && s[p] <= '9')
					p++;
				if (p == f0)
					goto bad;
			}
		}
		if (hh > 23 || mi > 59 || ss > 59)
			return kefu_err_set(err, KEFU_EPARSE, "invalid time of day in timestamp '%.*s'", (int)(n > 40 ? 40 : n), s);
		if (p < n) {
			if (s[p] == 'Z' && p + 1 == n) {
				has_offset = 1;
			} else if (s[p] == '+' || s[p] == '-') {
				char buf[16];
				size_t len = n - p;
				if (len >= sizeof buf)
					goto bad;
				memcpy(buf, s + p, len);
				buf[len] = '\0';
				if (parse_fixed(buf, &off) != 0)
					goto bad;
				has_offset = 1;
			} else {
				goto bad;
			}
		}
	}
	int64_t local = kefu_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + hh * 3600 +
			mi * 60 + ss;
	*out = has_offset ? local - off : kefu_tz_local_to_utc(tz, local);
	return 0;
bad:
	return kefu_err_set(err, KEFU_EPARSE,
			    "invalid timestamp '%.*s' (expected YYYY-MM-DD HH:MM:SS, ISO 8601 or epoch)",
			    (int)(n > 40 ? 40 : n), s);
}

int kefu_duration_parse(const char *s, size_t n, int64_t *out_s)
{
	if (n == 0)
		return KEFU_EPARSE;
	int64_t v = 0;
	size_t i = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		if (v > INT64_MAX / 10 - 10)
			return KEFU_EPARSE;
		v = v * 10 + (s[i++] - '0');
	}
	if (i == 0)
		return KEFU_EPARSE;
	int64_t mul = 1;
	if (i < n) {
		if (i + 1 != n)
			return KEFU_EPARSE;
		switch (s[i]) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		default: return KEFU_EPARSE;
		}
	}
	if (v > INT64_MAX / mul / 4)
		return KEFU_EPARSE;
	*out_s = v * mul;
	return 0;
}

int kefu_clock_parse(const char *s, size_t n, int32_t *out_s)
{
	int h, m, sec = 0;
	if (n < 4)
		return KEFU_EPARSE;
	size_t p = 0;
	if (s[1] == ':') { /* H:MM */
		if (digits(s, n, 0, 1, &h))
			return KEFU_EPARSE;
		p = 2;
	} else {
		if (digits(s, n, 0, 2, &h) || s[2] != ':')
			return KEFU_EPARSE;
		p = 3;
	}
	if (digits(s, n, p, 2, &m))
		return KEFU_EPARSE;
	p += 2;
	if (p < n) {
		if (s[p] != ':' || digits(s, n, p + 1, 2, &sec) || p + 3 != n)
			return KEFU_EPARSE;
	}
	if (h > 24 || m > 59 || sec > 59 || (h == 24 && (m || sec)))
		return KEFU_EPARSE;
	*out_s = h * 3600 + m * 60 + sec;
	return 0;
}
