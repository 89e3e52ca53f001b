/*
 * record.h - the typed rows of every input kind (metrics.md section 1,
 * formats.md), as produced by the loader and consumed by the dataset
 * builder and the store. Also the exact money parser.
 *
 * Ownership: string slices in a record are borrowed from the producer and
 * valid only during the callback that receives the record; consumers copy
 * (intern) what they keep.
 */
#ifndef KEFU_RECORD_H
#define KEFU_RECORD_H

#include "kefu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kefu_kind {
	KEFU_KIND_NONE = 0,
	KEFU_KIND_MESSAGES,
	KEFU_KIND_ORDERS,
	KEFU_KIND_RATINGS,
	KEFU_KIND_EVALS,
	KEFU_KIND_AGENTS,
	KEFU_KIND_PRESENCE,
	KEFU_KIND_COUNT
} kefu_kind;

/* "messages", "orders", ... ; NULL for an invalid kind. */
const char *kefu_kind_name(kefu_kind k);
/* Parses a kind name (singular or plural accepted). */
kefu_kind kefu_kind_parse(const char *s);

/* Sentinel for "never paid" in kefu_order_rec.paid and the order columns. */
#define KEFU_TS_NONE INT64_MIN

typedef enum kefu_dir { KEFU_DIR_B = 0, KEFU_DIR_S = 1, KEFU_DIR_A = 2 } kefu_dir;

typedef struct kefu_message_rec {
	kefu_str shop, buyer, agent, text;
	kefu_dir dir;
	int64_t ts; /* UTC seconds */
} kefu_message_rec;

typedef struct kefu_order_rec {
	kefu_str shop, order_id, buyer, status;
	int64_t created;   /* UTC seconds */
	int64_t paid;      /* UTC seconds or KEFU_TS_NONE */
	int64_t amount;    /* fen */
	int64_t items;
	int64_t refund;    /* fen, 0 when absent */
} kefu_order_rec;

typedef struct kefu_rating_rec {
	kefu_str shop, order_id, buyer;
	int64_t ts;
	int desc, service, shipping; /* 1..5 */
} kefu_rating_rec;

typedef struct kefu_eval_rec {
	kefu_str shop, agent, buyer;
	int64_t ts;
	int level; /* 1..5 */
} kefu_eval_rec;

typedef struct kefu_agent_rec {
	kefu_str agent, vendor, team, name;
	int64_t from_day, to_day;       /* day numbers, INT64_MIN/INT64_MAX when open */
	int64_t base_month_fen;         /* -1 when absent */
	kefu_str commission_rate;       /* exact decimal text, empty when absent */
} kefu_agent_rec;

typedef struct kefu_presence_rec {
	kefu_str agent;
	int64_t login, logout;
} kefu_presence_rec;

/* One parsed row of any kind. */
typedef struct kefu_record {
	kefu_kind kind;
	union {
		kefu_message_rec msg;
		kefu_order_rec ord;
		kefu_rating_rec rat;
		kefu_eval_rec ev;
		kefu_agent_rec ag;
		kefu_presence_rec pr;
	} u;
} kefu_record;

/*
 * Parses decimal yuan ("12", "12.5", "12.50", optional surrounding spaces)
 * exactly into fen. Errors (KEFU_EPARSE, reason in err->msg): empty,
 * negative, more than 2 decimals, not a number, above 10^9 yuan.
 */
int kefu_money_parse(const char *s, size_t n, int64_t *fen, kefu_err *err);
/* Formats fen as yuan with 2 decimals ("-278.71"); buf >= 32 bytes. */
void kefu_money_format(int64_t fen, char *buf);

/* Trims ASCII spaces/tabs; strips a leading "cntaobao" (chat peers). */
kefu_str kefu_str_trim(kefu_str s);
kefu_str kefu_str_strip_cntaobao(kefu_str s);

#ifdef __cplusplus
}
#endif
#endif
