/*
 * settings.h - the per-shop settings of metrics.md section 2, their
 * KEY=VALUE text form, and versioning by effective date.
 *
 * Ownership: a kefu_settings owns its tz and exclude list; copy with
 * kefu_settings_copy, release with kefu_settings_clear. A kefu_settings_set
 * owns every version it holds.
 */
#ifndef KEFU_SETTINGS_H
#define KEFU_SETTINGS_H

#include "kefu/common.h"
#include "kefu/tz.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kefu_judge_rule {
	KEFU_JUDGE_ORDER = 0,       /* credit_create; day of created; paid only */
	KEFU_JUDGE_ORDER_FIRST = 1, /* credit_create else credit_pay; day of paid */
	KEFU_JUDGE_PAYMENT = 2      /* credit_pay; day of paid */
} kefu_judge_rule;

typedef enum kefu_sales_basis { KEFU_SALES_GROSS = 0, KEFU_SALES_NET = 1 } kefu_sales_basis;

typedef struct kefu_settings {
	kefu_tz *tz;                    /* owned */
	int32_t day_split_s;
	kefu_judge_rule judge_rule;
	int64_t attribution_window_s;
	int32_t inquiry_validity_days;
	int64_t payment_window_s;
	int32_t after_sale_days;
	int64_t max_wait_s;
	int64_t slow_reply_s;
	int32_t three_min_start_s, three_min_end_s;
	kefu_sales_basis sales_basis;
	char **exclude_buyers;          /* owned, sorted by bytes, unique */
	size_t n_exclude;
} kefu_settings;

/* Fills defaults (loads Asia/Shanghai). */
int kefu_settings_init(kefu_settings *s, kefu_err *err);
void kefu_settings_clear(kefu_settings *s);
int kefu_settings_copy(kefu_settings *dst, const kefu_settings *src, kefu_err *err);

/* Applies one "key=value" (or key and value separately). Unknown keys and
 * bad values are KEFU_EINVAL with a message naming the key. */
int kefu_settings_apply(kefu_settings *s, const char *key, const char *value, kefu_err *err);
int kefu_settings_apply_kv(kefu_settings *s, const char *kv, kefu_err *err);

/* Number of keys and the i-th key name, in the spec's table order. */
size_t kefu_settings_key_count(void);
const char *kefu_settings_key(size_t i);
/* Writes the canonical text value of key i into buf (e.g. "48h", "08:00-23:00"). */
void kefu_settings_value(const kefu_settings *s, size_t i, char *buf, size_t cap);

/* 1 if buyer (bytes) is in the exclude list. */
int kefu_settings_excludes(const kefu_settings *s, const char *p, size_t n);

/* A shop's versions: version i is in force from day from_day[i] (the first
 * version covers all earlier days too). Sorted by from_day. */
typedef struct kefu_settings_versions {
	int64_t *from_day;
	kefu_settings *v;
	size_t n;
} kefu_settings_versions;

/* The version in force on business day `day`. */
const kefu_settings *kefu_settings_at(const kefu_settings_versions *vs, int64_t day);
/* Business day of instant t under versioned settings: the day computed with
 * the version whose range contains that day (first version as fallback). */
int64_t kefu_settings_day_of(const kefu_settings_versions *vs, int64_t t);
void kefu_settings_versions_clear(kefu_settings_versions *vs);

#ifdef __cplusplus
}
#endif
#endif
