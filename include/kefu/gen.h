/*
 * gen.h - deterministic, realistic synthetic data for demos, tests and
 * benchmarks (`kefu gen`).
 *
 * The generator writes the five canonical CSV files of formats.md
 * (messages, orders, ratings, evals, agents) as byte chunks handed to a
 * caller-supplied sink, so the library never touches the file system. The
 * same options always give the same bytes: the generator has its own PRNG
 * (xoshiro256** seeded through splitmix64 per shop and day), uses no clock,
 * no locale and no libm, and its floating-point arithmetic is limited to
 * IEEE basic operations.
 *
 * Shape of the data (all timestamps are local "YYYY-MM-DD HH:MM:SS"):
 * several shops with Chinese names and sub-account agents ("店名:小美"), a
 * roster with outsourcing vendors and teams, buyers with CJK and latin
 * nicks, evening peaks, log-normal reply delays with a long tail, about 8%
 * unanswered chats, auto-replies, transfers, chats across midnight, rare
 * exact duplicate message rows, orders inside and after chats, silent and
 * unpaid orders, refunds, after-sale chats, DSR ratings and chat evals.
 *
 * Memory is bounded by the number of shops and agents, not by the number
 * of messages: rows are streamed out per (day, shop).
 */
#ifndef KEFU_GEN_H
#define KEFU_GEN_H

#include "kefu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kefu_gen_file {
	KEFU_GEN_MESSAGES = 0,
	KEFU_GEN_ORDERS,
	KEFU_GEN_RATINGS,
	KEFU_GEN_EVALS,
	KEFU_GEN_AGENTS,
	KEFU_GEN_FILE_COUNT
} kefu_gen_file;

typedef struct kefu_gen_opts {
	uint64_t seed;     /* PRNG seed */
	uint64_t messages; /* exact number of message rows to write (> 0) */
	uint32_t shops;    /* 0 = automatic: one per ~200k messages, at least 3 */
	uint32_t days;     /* number of business days covered (1..3660) */
	int64_t start_day; /* first day, days since 1970-01-01 (2024-10-20) */
} kefu_gen_opts;

#define KEFU_GEN_OPTS_INIT {1, 100000, 0, 30, 20016}

/*
 * Receives `n` bytes of CSV for `file`, in order. Chunks always end on a
 * row boundary. Returns 0, or a negative KEFU_E* code to abort the run
 * (that code is then returned by kefu_gen_run).
 */
typedef int (*kefu_gen_write_fn)(void *ctx, kefu_gen_file file, const char *p, size_t n);

typedef struct kefu_gen_stats {
	uint64_t rows[KEFU_GEN_FILE_COUNT];  /* data rows, header excluded */
	uint64_t bytes[KEFU_GEN_FILE_COUNT]; /* bytes written, header included */
} kefu_gen_stats;

/* "messages.csv", "orders.csv", ...; NULL for an invalid value. */
const char *kefu_gen_file_name(kefu_gen_file f);

/* The automatic shop count for n messages. */
uint32_t kefu_gen_default_shops(uint64_t messages);

/*
 * Generates the data set described by opts, streaming it to write(ctx, ...).
 * stats may be NULL. Returns 0, KEFU_EINVAL for bad options (message in
 * err), KEFU_ENOMEM, or the sink's error code. Nothing is retained after
 * the call returns.
 */
int kefu_gen_run(const kefu_gen_opts *opts, kefu_gen_write_fn write, void *ctx,
		 kefu_gen_stats *stats, kefu_err *err);

#ifdef __cplusplus
}
#endif
#endif
