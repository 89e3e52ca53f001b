/*
 * qa.h - quality inspection of every chat (客服质检, shared/spec/quality.md,
 * docs/QUALITY.md): a YAML rule file (qa_rules.c), one multi-pattern matcher
 * for all text rules of a rule set (qa_match.c: Vectorscan, PCRE2 where
 * Vectorscan cannot express a pattern), chat scores from text hits and the
 * behaviour rules on the KPI quantities (qa_score.c), and the module tables
 * in the store: runs, chat scores, hits, agent-day rollups and manual
 * reviews (qa_store.c).
 *
 * Ownership: every object returned through an out parameter belongs to the
 * caller and is released with its _free function (all accept NULL). Rule
 * sets are immutable after loading; a matcher borrows nothing from its rule
 * set once built and may be shared by threads, each with its own scratch.
 * Offsets are byte offsets into the UTF-8 text of a message.
 */
#ifndef KEFU_QA_H
#define KEFU_QA_H

#include "kefu/common.h"
#include "kefu/dataset.h"
#include "kefu/kpi.h"
#include "kefu/settings.h"
#include "kefu/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- rules */

typedef enum kefu_qa_kind {
	KEFU_QA_KEYWORDS = 0,
	KEFU_QA_REGEX,
	KEFU_QA_REPLY_GAP,
	KEFU_QA_UNANSWERED,
	KEFU_QA_AUTO_REPLY_COPY,
	KEFU_QA_QA_RATIO,
	KEFU_QA_KIND_COUNT
} kefu_qa_kind;

typedef enum kefu_qa_severity {
	KEFU_QA_INFO = 0,
	KEFU_QA_MINOR,
	KEFU_QA_MAJOR,
	KEFU_QA_CRITICAL
} kefu_qa_severity;

typedef enum kefu_qa_side { KEFU_QA_AGENT = 0, KEFU_QA_BUYER = 1 } kefu_qa_side;

const char *kefu_qa_kind_name(kefu_qa_kind k);
const char *kefu_qa_severity_name(kefu_qa_severity s);
const char *kefu_qa_side_name(kefu_qa_side s);

typedef struct kefu_qa_rule {
	char *id, *name;
	kefu_qa_kind kind;
	kefu_qa_severity severity;
	kefu_qa_side side;
	int points;             /* deducted once per chat with a hit */
	char **words;           /* keywords: inline and from files, unique */
	size_t n_words;
	char *pattern;          /* regex (PCRE2 syntax, UTF-8) */
	char **except;          /* phrases that cancel a hit they cover */
	size_t n_except;
	int64_t over_s;         /* reply_gap: a gap above this many seconds */
	int64_t below_num, below_den; /* qa_ratio: agent/buyer msgs below num/den */
	long line;              /* line of the rule in the file (1-based) */
} kefu_qa_rule;

typedef struct kefu_qa_rules {
	kefu_qa_rule *r;
	size_t n;
	char *source;  /* file name as given */
	uint64_t hash; /* hash of the file and list bytes (identifies the rule set) */
} kefu_qa_rules;

/* One problem of a rule file: where (1-based line and column; 0 when
 * unknown), which key ("rules[2].pattern") and why. */
typedef struct kefu_qa_problem {
	char file[256];
	long line, col;
	char key[96];
	char msg[320];
} kefu_qa_problem;

typedef struct kefu_qa_problems {
	kefu_qa_problem *p;
	size_t n, cap;
} kefu_qa_problems;

void kefu_qa_problems_clear(kefu_qa_problems *pr);

/*
 * Reads a rule file (YAML, or JSON which is YAML) and every keyword file it
 * names (paths relative to the rule file's folder). Every problem found is
 * appended to probs (syntax errors, unknown keys, bad values, invalid
 * regular expressions, empty lists, duplicate ids, unreadable files); when
 * there is at least one, the call fails with KEFU_EPARSE, *out is NULL and
 * err holds the first problem. probs may be NULL.
 */
int kefu_qa_rules_load(kefu_qa_rules **out, const char *path, kefu_qa_problems *probs,
		       kefu_err *err);
/* The same over text in memory; `name` is used in messages and `dir` for
 * relative list files (NULL: current directory). */
int kefu_qa_rules_parse(kefu_qa_rules **out, const char *text, size_t n, const char *name,
			const char *dir, kefu_qa_problems *probs, kefu_err *err);
void kefu_qa_rules_free(kefu_qa_rules *rs);

/* ------------------------------------------------------------ matcher */

typedef struct kefu_qa_matcher kefu_qa_matcher;
typedef struct kefu_qa_scratch kefu_qa_scratch;

/* A hit of a text rule in one message: rule index, byte span [start, end). */
typedef struct kefu_qa_match {
	uint32_t rule;
	uint32_t start, end;
} kefu_qa_match;

typedef struct kefu_qa_matcher_info {
	size_t patterns;     /* distinct patterns (keywords, exceptions, regexes) */
	size_t hs_patterns;  /* compiled into the Vectorscan databases */
	size_t hs_prefilter; /* of those, compiled in prefilter mode (PCRE2 confirms) */
	size_t pcre_only;    /* regexes Vectorscan cannot take: PCRE2 JIT on every message */
	double compile_s;    /* wall time of the compilation */
} kefu_qa_matcher_info;

/*
 * Compiles every text pattern of the rule set, per side, into one
 * Vectorscan database (keywords and exceptions as case-insensitive
 * literals with start of match, regexes as single-match prefilters whose
 * spans PCRE2 then finds exactly). A regex Vectorscan rejects is tried in
 * prefilter mode, then left to PCRE2 JIT alone. Fails (KEFU_EPARSE) only
 * when PCRE2 rejects a regex too.
 */
int kefu_qa_matcher_new(kefu_qa_matcher **out, const kefu_qa_rules *rs, kefu_err *err);
void kefu_qa_matcher_free(kefu_qa_matcher *m);
void kefu_qa_matcher_get_info(const kefu_qa_matcher *m, kefu_qa_matcher_info *info);

/* Per-thread scan state (Vectorscan scratch, PCRE2 match data, buffers). */
int kefu_qa_scratch_new(kefu_qa_scratch **out, const kefu_qa_matcher *m, kefu_err *err);
void kefu_qa_scratch_free(kefu_qa_scratch *s);

/*
 * Scans one message written by `side` in one pass and returns its hits
 * after exceptions: *hits points into the scratch (valid until the next
 * scan), sorted by start, end, rule. Within one rule a hit contained in
 * another hit of that rule is dropped (第一名 is one hit, not also 第一);
 * hits of different rules may overlap. Text that is not valid UTF-8 is
 * scanned with each bad byte read as U+FFFD (offsets stay those of the
 * original bytes).
 */
int kefu_qa_scan(kefu_qa_scratch *s, kefu_qa_side side, const char *text, size_t n,
		 const kefu_qa_match **hits, size_t *nhits, kefu_err *err);

/*
 * The reference: every pattern on its own, one after the other (a compiled
 * PCRE2 pattern per keyword, exception and regex), with the same hit
 * semantics. Slow; used by the tests and the fuzzer to check the
 * multi-pattern matcher. The reference borrows rs (keep it alive) and is
 * used by one thread at a time. hits is caller-owned (grown with
 * kefu_grow; free with kefu_free).
 */
typedef struct kefu_qa_reference kefu_qa_reference;
int kefu_qa_reference_new(kefu_qa_reference **out, const kefu_qa_rules *rs, kefu_err *err);
void kefu_qa_reference_free(kefu_qa_reference *ref);
int kefu_qa_scan_reference(kefu_qa_reference *ref, kefu_qa_side side, const char *text,
			   size_t n, kefu_qa_match **hits, size_t *nhits, size_t *cap,
			   kefu_err *err);

/* ------------------------------------------------------ chats, scores */

/* Message texts for inspection, sorted into streams (shop, agent, buyer,
 * then ts with B < S < A) by kefu_qa_msgs_sort. ids are dataset ids. */
typedef struct kefu_qa_msgs {
	size_t n, cap;
	uint32_t *shop, *agent, *buyer;
	uint8_t *dir;
	int64_t *ts;
	int64_t *ref;      /* the store's message row (messages.h), 0 if none */
	uint64_t *off;     /* text = buf + off[i], len[i] bytes */
	uint32_t *len;
	char *buf;
	size_t buf_n, buf_cap;
	uint32_t *order;   /* after sort: message indexes in stream order */
} kefu_qa_msgs;

int kefu_qa_msgs_add(kefu_qa_msgs *m, uint32_t shop, uint32_t agent, uint32_t buyer, int dir,
		     int64_t ts, int64_t ref, const char *text, size_t n);
int kefu_qa_msgs_sort(kefu_qa_msgs *m);
void kefu_qa_msgs_clear(kefu_qa_msgs *m);

/* One hit of a chat, text or behaviour. */
typedef struct kefu_qa_hit {
	uint32_t chat;   /* index into the result's chats */
	uint32_t rule;   /* index into the rule set */
	uint32_t msg;    /* position in msgs->order (stream order), UINT32_MAX if none */
	uint32_t start, end; /* text rules: byte span of the match */
	int64_t value;   /* reply_gap: gap in s; qa_ratio: agent msgs */
	int64_t value2;  /* qa_ratio: buyer msgs */
} kefu_qa_hit;

/* Score of one chat; `chat` indexes the KPI result's chats. */
typedef struct kefu_qa_chat {
	uint32_t chat;
	int score;       /* 100 - points of the rules hit, floored at 0 */
	int points;      /* points deducted (before flooring) */
	uint32_t hits;   /* hits of every rule */
	uint32_t rules_hit;
	uint8_t max_severity; /* highest severity hit, or 255 when none */
	int64_t gap_sum_s;    /* reply gaps of the chat's answered runs (= resp_sum_s) */
	int32_t gap_n;        /* answered runs (= resp_n) */
	int64_t max_gap_s;    /* longest reply gap, 0 when none */
} kefu_qa_chat;

typedef struct kefu_qa_opts {
	const kefu_settings_versions *shop_settings; /* per shop id, as for the KPI run */
	size_t n_shop_settings;
	int64_t from_day, to_day; /* chats of these business days (INT64_MIN/MAX = open) */
	int threads;              /* message scanning threads (>= 1) */
} kefu_qa_opts;

#define KEFU_QA_OPTS_INIT {NULL, 0, INT64_MIN, INT64_MAX, 1}

typedef struct kefu_qa_result {
	kefu_qa_chat *chats; /* chats in the day range, in KPI chat order */
	size_t n_chats;
	kefu_qa_hit *hits;   /* sorted by chat, then message order, rule */
	size_t n_hits;
	size_t msgs_scanned; /* A and B messages of those chats */
	size_t bytes_scanned;
	double scan_s;       /* wall time of the text pass */
} kefu_qa_result;

/*
 * Inspects every chat of res (the KPI engine's result over ds) whose day is
 * in range: text rules over the chat's messages found in msgs (sorted),
 * behaviour rules on the chat's quantities (reply gaps recomputed per run
 * exactly as the engine does; metrics.md), then the score. Messages of
 * excluded buyers and S-only days belong to no chat and are skipped.
 */
int kefu_qa_inspect(kefu_qa_result **out, const kefu_dataset *ds, const kefu_kpi_result *res,
		    const kefu_qa_msgs *msgs, const kefu_qa_rules *rs, const kefu_qa_matcher *m,
		    const kefu_qa_opts *opts, kefu_err *err);
void kefu_qa_result_free(kefu_qa_result *r);

/* Stable identity of a chat across runs: 12 hex digits of a hash of shop,
 * agent, buyer and day (buf >= 13 bytes). */
void kefu_qa_chat_key(kefu_str shop, kefu_str agent, kefu_str buyer, int64_t day, char *buf);

/* ------------------------------------------------------------- store */

struct kefu_store;

/* Creates the module's tables when needed (module "qa"). */
int kefu_qa_store_init(struct kefu_store *st, kefu_err *err);

/*
 * Loads the texts of every stored message whose ts is in [from_ts, to_ts]
 * into msgs (empty) with dataset ids (names looked up in ds; messages whose
 * names ds does not know are skipped) and sorts them. With threads > 1 and
 * a large file store, ranges of rows are read on that many read-only
 * connections in parallel (each its own read transaction).
 */
int kefu_qa_store_load_msgs(struct kefu_store *st, const kefu_dataset *ds, int64_t from_ts,
			    int64_t to_ts, int threads, kefu_qa_msgs *msgs, kefu_err *err);

/*
 * Saves one run (its rules, every chat score, every hit with its message,
 * rule and matched text, and the agent-day rollup) in one transaction;
 * *run_id receives its id. now: time recorded (0 = time(NULL)).
 */
int kefu_qa_store_save(struct kefu_store *st, const kefu_dataset *ds, const kefu_kpi_result *res,
		       const kefu_qa_msgs *msgs, const kefu_qa_rules *rs,
		       const kefu_qa_result *qr, int64_t from_day, int64_t to_day, int64_t now,
		       int64_t *run_id, kefu_err *err);

/* The latest run's id (KEFU_ENOTFOUND when there is none). */
int kefu_qa_store_latest_run(struct kefu_store *st, int64_t *run_id, kefu_err *err);

/* Filters of the stored reports. NULL / open = all. */
typedef struct kefu_qa_filter {
	int64_t run_id;           /* 0 = latest */
	int64_t from_day, to_day;
	const char *shop, *agent, *rule;
	int min_severity;         /* -1 = all */
	int per;                  /* agent report: a kefu_per (report.h), KEFU_PER_DAY = 0 */
} kefu_qa_filter;

#define KEFU_QA_FILTER_INIT {0, INT64_MIN, INT64_MAX, NULL, NULL, NULL, -1, 0}

/* One row per chat (shop, agent, buyer, day, chat, score, auto_score,
 * reviewed, points, hits, rules, severity), manual scores applied. */
int kefu_qa_report_chats(kefu_table **out, struct kefu_store *st, const kefu_qa_filter *f,
			 kefu_err *err);
/* The same table as kefu_qa_report_chats for a run just computed, built
 * from the result in memory instead of read back from the store (manual
 * reviews are read from the store and applied). */
int kefu_qa_report_result(kefu_table **out, struct kefu_store *st, const kefu_dataset *ds,
			  const kefu_kpi_result *res, const kefu_qa_rules *rs,
			  const kefu_qa_result *qr, const kefu_qa_filter *f, kefu_err *err);
/* One row per (shop, agent, day) — or per ISO week, month or the whole
 * range with f->per, summed from the days like the KPI rollup (columns
 * period, from, to instead of day) — with chats, chats with hits,
 * reviewed, score (mean of chat scores, manual scores applied), score_sum,
 * auto score mean, critical chats, hits. */
int kefu_qa_report_agents(kefu_table **out, struct kefu_store *st, const kefu_qa_filter *f,
			  kefu_err *err);
/* One row per hit (shop, agent, buyer, day, ts, side, rule, severity,
 * matched, text, chat). */
int kefu_qa_report_hits(kefu_table **out, struct kefu_store *st, const kefu_qa_filter *f,
			kefu_err *err);

/*
 * The review sample: per (shop, agent, day) up to per_agent chats not yet
 * reviewed: first chats with a critical hit (lowest score first), then
 * half of the remaining slots (rounded up) by lowest score among chats
 * that lost points, then the rest at random (order of a hash of the seed
 * and the chat key: the same seed gives the same sample).
 */
int kefu_qa_sample(kefu_table **out, struct kefu_store *st, const kefu_qa_filter *f,
		   int per_agent, uint64_t seed, kefu_err *err);

/* Records a manual score (0..100) for the chat with key `chat` (as listed
 * by the reports) of the given run (0 = latest); it overrides the
 * automatic score in reports from then on. KEFU_ENOTFOUND when no such
 * chat. */
int kefu_qa_review(struct kefu_store *st, int64_t run_id, const char *chat, int score,
		   const char *note, const char *reviewer, int64_t now, kefu_err *err);

#ifdef __cplusplus
}
#endif
#endif
