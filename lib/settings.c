/*
 * settings.c - per-shop settings (metrics.md section 2): defaults, the
 * KEY=VALUE form, canonical printing, and effective-date versions.
 * Table-driven: adding a setting means adding a row to `keys`.
 */
#include "kefu/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = {
	"tz", "day_split", "judge_rule", "attribution_window", "inquiry_validity_days",
	"payment_window", "after_sale_days", "max_wait", "slow_reply_s", "three_min_window",
	"sales_basis", "exclude_buyers",
};
#define NKEYS (sizeof keys / sizeof keys[0])

size_t kefu_settings_key_count(void) { return NKEYS; }
const char *kefu_settings_key(size_t i) { return i < NKEYS ? keys[i] : NULL; }

int kefu_settings_init(kefu_settings *s, kefu_err *err)
{
	memset(s, 0, sizeof *s);
	s->day_split_s = 0;
	s->judge_rule = KEFU_JUDGE_ORDER_FIRST;
	s->attribution_window_s = 48 * 3600;
	s->inquiry_validity_days = 2;
	s->payment_window_s = 72 * 3600;
	s->after_sale_days = 5;
	s->max_wait_s = 15 * 60;
	s->slow_reply_s = 60;
	s->three_min_start_s = 8 * 3600;
	s->three_min_end_s = 23 * 3600;
	s->sales_basis = KEFU_SALES_GROSS;
	return kefu_tz_load(&s->tz, "Asia/Shanghai", err);
}

static void free_excludes(kefu_settings *s)
{
	for (size_t i = 0; i < s->n_exclude; i++)
		kefu_free(s->exclude_buyers[i]);
	kefu_free(s->exclude_buyers);
	s->exclude_buyers = NULL;
	s->n_exclude = 0;
}

void kefu_settings_clear(kefu_settings *s)
{
	if (!s)
		return;
	kefu_tz_free(s->tz);
	s->tz = NULL;
	free_excludes(s);
}

int kefu_settings_copy(kefu_settings *dst, const kefu_settings *src, kefu_err *err)
{
	*dst = *src;
	dst->tz = NULL;
	dst->exclude_buyers = NULL;
	dst->n_exclude = 0;
	int rc = kefu_tz_load(&dst->tz, kefu_tz_name(src->tz), err);
	if (rc)
		return rc;
	if (src->n_exclude) {
		dst->exclude_buyers = kefu_calloc(src->n_exclude, sizeof(char *));
		if (!dst->exclude_buyers)
			goto oom;
		for (size_t i = 0; i < src->n_exclude; i++) {
			dst->exclude_buyers[i] = kefu_strndup(src->exclude_buyers[i],
							      strlen(src->exclude_buyers[i]));
			if (!dst->exclude_buyers[i])
				goto oom;
			dst->n_exclude = i + 1;
		}
	}
	return 0;
oom:
	kefu_settings_clear(dst);
	return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int set_excludes(kefu_settings *s, const char *v, kefu_err *err)
{
	free_excludes(s);
	size_t cap = 0;
	const char *p = v;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		kefu_str t = {p, len};
		while (t.n && (t.p[0] == ' ' || t.p[0] == '\t')) {
			t.p++;
			t.n--;
		}
		while (t.n && (t.p[t.n - 1] == ' ' || t.p[t.n - 1] == '\t'))
			t.n--;
		if (t.n) {
			if (kefu_grow((void **)&s->exclude_buyers, &cap, s->n_exclude + 1,
				      sizeof(char *)))
				goto oom;
			char *dup = kefu_strndup(t.p, t.n);
			if (!dup)
				goto oom;
			s->exclude_buyers[s->n_exclude++] = dup;
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (s->n_exclude > 1) {
		qsort(s->exclude_buyers, s->n_exclude, sizeof(char *), cmp_cstr);
		size_t w = 1;
		for (size_t i = 1; i < s->n_exclude; i++) {
			if (strcmp(s->exclude_buyers[i], s->exclude_buyers[w - 1]))
				s->exclude_buyers[w++] = s->exclude_buyers[i];
			else
				kefu_free(s->exclude_buyers[i]);
		}
		s->n_exclude = w;
	}
	return 0;
oom:
	free_excludes(s);
	return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
}

static int parse_int(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	if (!*v)
		return -1;
	long long x = strtoll(v, &end, 10);
	if (*end || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

int kefu_settings_apply(kefu_settings *s, const char *key, const char *v, kefu_err *err)
{
	int64_t x;
	size_t n = strlen(v);
	if (!strcmp(key, "tz")) {
		kefu_tz *tz;
		int rc = kefu_tz_load(&tz, v, err);
		if (rc)
			return rc;
		kefu_tz_free(s->tz);
		s->tz = tz;
		return 0;
	}
	if (!strcmp(key, "day_split")) {
		int32_t c;
		if (kefu_clock_parse(v, n, &c) || c >= 86400)
			goto bad;
		s->day_split_s = c;
		return 0;
	}
	if (!strcmp(key, "judge_rule")) {
		if (!strcmp(v, "order"))
			s->judge_rule = KEFU_JUDGE_ORDER;
		else if (!strcmp(v, "order_first"))
			s->judge_rule = KEFU_JUDGE_ORDER_FIRST;
		else if (!strcmp(v, "payment"))
			s->judge_rule = KEFU_JUDGE_PAYMENT;
		else
			goto bad;
		return 0;
	}
	if (!strcmp(key, "attribution_window")) {
		if (kefu_duration_parse(v, n, &x) || x > 366LL * 86400)
			goto bad;
		s->attribution_window_s = x;
		return 0;
	}
	if (!strcmp(key, "inquiry_validity_days")) {
		if (parse_int(v, 1, 366, &x))
			goto bad;
		s->inquiry_validity_days = (int32_t)x;
		return 0;
	}
	if (!strcmp(key, "payment_window")) {
		if (kefu_duration_parse(v, n, &x) || x > 366LL * 86400)
			goto bad;
		s->payment_window_s = x;
		return 0;
	}
	if (!strcmp(key, "after_sale_days")) {
		if (parse_int(v, 0, 366, &x))
			goto bad;
		s->after_sale_days = (int32_t)x;
		return 0;
	}
	if (!strcmp(key, "max_wait")) {
		if (kefu_duration_parse(v, n, &x) || x > 12 * 3600)
			goto bad;
		s->max_wait_s = x;
		return 0;
	}
	if (!strcmp(key, "slow_reply_s")) {
		if (kefu_duration_parse(v, n, &x) || x > 86400)
			goto bad;
		s->slow_reply_s = x;
		return 0;
	}
	if (!strcmp(key, "three_min_window")) {
		const char *dash = strchr(v, '-');
		int32_t a, b;
		if (!dash || kefu_clock_parse(v, (size_t)(dash - v), &a) ||
		    kefu_clock_parse(dash + 1, strlen(dash + 1), &b) || a >= b)
			goto bad;
		s->three_min_start_s = a;
		s->three_min_end_s = b;
		return 0;
	}
	if (!strcmp(key, "sales_basis")) {
		if (!strcmp(v, "gross"))
			s->sales_basis = KEFU_SALES_GROSS;
		else if (!strcmp(v, "net"))
			s->sales_basis = KEFU_SALES_NET;
		else
			goto bad;
		return 0;
	}
	if (!strcmp(key, "exclude_buyers"))
		return set_excludes(s, v, err);
	return kefu_err_set(err, KEFU_EINVAL, "unknown setting '%s'", key);
bad:
	return kefu_err_set(err, KEFU_EINVAL, "invalid value '%s' for setting %s", v, key);
}

int kefu_settings_apply_kv(kefu_settings *s, const char *kv, kefu_err *err)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return kefu_err_set(err, KEFU_EINVAL, "expected KEY=VALUE, got '%s'", kv);
	char key[64];
	size_t kl = (size_t)(eq - kv);
	if (kl >= sizeof key)
		return kefu_err_set(err, KEFU_EINVAL, "unknown setting '%.*s'", (int)kl, kv);
	memcpy(key, kv, kl);
	key[kl] = '\0';
	return kefu_settings_apply(s, key, eq + 1, err);
}

static void fmt_duration(int64_t s, char *buf, size_t cap)
{
	if (s && s % 3600 == 0)
		snprintf(buf, cap, "%lldh", (long long)(s / 3600));
	else if (s && s % 60 == 0)
		snprintf(buf, cap, "%lldm", (long long)(s / 60));
	else
		snprintf(buf, cap, "%llds", (long long)s);
}

static void fmt_clock(int32_t s, char *buf, size_t cap)
{
	if (s % 60)
		snprintf(buf, cap, "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, cap, "%02d:%02d", s / 3600, s / 60 % 60);
}

void kefu_settings_value(const kefu_settings *s, size_t i, char *buf, size_t cap)
{
	static const char *const judge[] = {"order", "order_first", "payment"};
	char a[16], b[16];
	buf[0] = '\0';
	switch (i) {
	case 0: snprintf(buf, cap, "%s", kefu_tz_name(s->tz)); break;
	case 1: fmt_clock(s->day_split_s, buf, cap); break;
	case 2: snprintf(buf, cap, "%s", judge[s->judge_rule]); break;
	case 3: fmt_duration(s->attribution_window_s, buf, cap); break;
	case 4: snprintf(buf, cap, "%d", s->inquiry_validity_days); break;
	case 5: fmt_duration(s->payment_window_s, buf, cap); break;
	case 6: snprintf(buf, cap, "%d", s->after_sale_days); break;
	case 7: fmt_duration(s->max_wait_s, buf, cap); break;
	case 8: snprintf(buf, cap, "%lld", (long long)s->slow_reply_s); break;
	case 9:
		fmt_clock(s->three_min_start_s, a, sizeof a);
		fmt_clock(s->three_min_end_s, b, sizeof b);
		snprintf(buf, cap, "%s-%s", a, b);
		break;
	case 10: snprintf(buf, cap, "%s", s->sales_basis == KEFU_SALES_NET ? "net" : "gross"); break;
	case 11: {
		size_t off = 0;
		for (size_t k = 0; k < s->n_exclude && off < cap; k++) {
			int w = snprintf(buf + off, cap - off, "%s%s", k ? "," : "",
					 s->exclude_buyers[k]);
			if (w < 0)
				break;
			off += (size_t)w;
		}
		break;
	}
	default: break;
	}
}

int kefu_settings_excludes(const kefu_settings *s, const char *p, size_t n)
{
	size_t lo = 0, hi = s->n_exclude;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *e = s->exclude_buyers[mid];
		size_t en = strlen(e);
		int c = memcmp(e, p, en < n ? en : n);
		if (c == 0)
			c = en < n ? -1 : en > n ? 1 : 0;
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

const kefu_settings *kefu_settings_at(const kefu_settings_versions *vs, int64_t day)
{
	size_t k = 0;
	for (size_t i = 1; i < vs->n; i++)
		if (vs->from_day[i] <= day)
			k = i;
	return &vs->v[k];
}

int64_t kefu_settings_day_of(const kefu_settings_versions *vs, int64_t t)
{
	const kefu_settings *s0 = &vs->v[0];
	int64_t d = kefu_business_day(s0->tz, s0->day_split_s, t);
	if (vs->n == 1)
		return d;
	for (size_t i = vs->n; i-- > 1;) {
		const kefu_settings *s = &vs->v[i];
		int64_t di = kefu_business_day(s->tz, s->day_split_s, t);
		if (di >= vs->from_day[i])
			return di;
	}
	return d;
}

void kefu_settings_versions_clear(kefu_settings_versions *vs)
{
	if (!vs)
		return;
	for (size_t i = 0; i < vs->n; i++)
		kefu_settings_clear(&vs->v[i]);
	kefu_free(vs->v);
	kefu_free(vs->from_day);
	memset(vs, 0, sizeof *vs);
}
