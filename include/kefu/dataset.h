/*
 * dataset.h - the columnar in-memory model every engine reads: interned ids
 * and int64 columns, one struct of arrays per input kind.
 *
 * Life cycle: kefu_dataset_new, then kefu_dataset_add for every record (from
 * the loader or the store), then kefu_dataset_finalize, after which the
 * dataset is immutable. finalize renumbers every dictionary so that id order
 * equals byte order of the strings (ties and output order then never depend
 * on input row order), keeps the last row of each (shop, order_id) for
 * orders and ratings, and the first of each eval key.
 *
 * Ownership: the dataset owns all its arrays and strings; kefu_str values
 * returned by kefu_dict_get stay valid until kefu_dataset_free.
 */
#ifndef KEFU_DATASET_H
#define KEFU_DATASET_H

#include "kefu/common.h"
#include "kefu/record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kefu_dict kefu_dict;

int kefu_dict_new(kefu_dict **out);
void kefu_dict_free(kefu_dict *d);
/* Interns bytes; *id receives the id (existing or new). */
int kefu_dict_intern(kefu_dict *d, const char *p, size_t n, uint32_t *id);
/* Looks up without inserting: 0 and *id when found, KEFU_ENOTFOUND else. */
int kefu_dict_find(const kefu_dict *d, const char *p, size_t n, uint32_t *id);
kefu_str kefu_dict_get(const kefu_dict *d, uint32_t id);
uint32_t kefu_dict_size(const kefu_dict *d);
/* Renumbers ids into byte order; *map_out (caller frees) maps old -> new. */
int kefu_dict_sort(kefu_dict *d, uint32_t **map_out);

#define KEFU_NO_ID UINT32_MAX

typedef struct kefu_messages {
	size_t n, cap;
	uint32_t *shop, *agent, *buyer;
	uint8_t *dir;        /* kefu_dir */
	int64_t *ts;         /* UTC seconds */
	uint64_t *text_hash; /* identity of the text for exact-duplicate detection */
	uint32_t *chars;     /* Unicode code points of the text (A messages; 0 for B and S) */
} kefu_messages;

typedef struct kefu_orders {
	size_t n, cap;
	uint32_t *shop, *buyer, *order_id, *status;
	int64_t *created, *paid; /* paid = KEFU_TS_NONE when never paid */
	int64_t *amount, *items, *refund;
	uint32_t *seq;           /* insertion order (later replaces earlier) */
} kefu_orders;

typedef struct kefu_ratings {
	size_t n, cap;
	uint32_t *shop, *order_id, *buyer;
	int64_t *ts;
	uint8_t *desc, *service, *shipping;
	uint32_t *seq;
} kefu_ratings;

typedef struct kefu_evals {
	size_t n, cap;
	uint32_t *shop, *agent, *buyer;
	int64_t *ts;
	uint8_t *level;
	uint32_t *seq;
} kefu_evals;

/* Roster, indexed by agent id after finalize (KEFU_NO_ID = not in roster). */
typedef struct kefu_roster {
	size_t n, cap;           /* rows as added */
	uint32_t *agent, *vendor, *team, *name;
	int64_t *from_day, *to_day, *base_month_fen;
	uint32_t *commission_rate; /* id in dataset->texts, KEFU_NO_ID if absent */
	/* after finalize: per agent id, the roster row index or KEFU_NO_ID */
	uint32_t *row_of_agent;
} kefu_roster;

typedef struct kefu_presence {
	size_t n, cap;
	uint32_t *agent;
	int64_t *login, *logout;
} kefu_presence;

typedef struct kefu_dataset {
	kefu_dict *shops, *agents, *buyers, *order_ids, *statuses;
	kefu_dict *vendors, *teams, *texts; /* texts: names, rates */
	kefu_messages msg;
	kefu_orders ord;
	kefu_ratings rat;
	kefu_evals ev;
	kefu_roster roster;
	kefu_presence pres;
	int finalized;
	/* counts of rows replaced or dropped at finalize, for reporting */
	size_t orders_replaced, ratings_replaced, evals_duplicate;
} kefu_dataset;

int kefu_dataset_new(kefu_dataset **out);
void kefu_dataset_free(kefu_dataset *ds);
/* Appends one record (any kind). Copies / interns every string. */
int kefu_dataset_add(kefu_dataset *ds, const kefu_record *rec, kefu_err *err);
int kefu_dataset_finalize(kefu_dataset *ds, kefu_err *err);
/* Appends one message whose names are already interned in ds's shops,
 * agents and buyers dictionaries (the store's fast path: each name is
 * interned once, not once per row). KEFU_EINVAL for an id not in its
 * dictionary or a bad dir; KEFU_ENOMEM. */
int kefu_dataset_add_message_ids(kefu_dataset *ds, uint32_t shop, uint32_t agent, uint32_t buyer,
				 int dir, int64_t ts, const char *text, size_t text_n);
/* Reserves room for `rows` more rows of a kind, so that loading a large
 * file does not move its columns while they grow. Untouched reserved pages
 * cost no memory. Optional; 0 or KEFU_ENOMEM. */
int kefu_dataset_reserve(kefu_dataset *ds, kefu_kind kind, size_t rows);

/* Appends every row of src (not finalized) to dst (not finalized), as if
 * src's rows had been added after dst's: strings are interned into dst's
 * dictionaries and ids remapped; insertion order (later rows of an order
 * replace earlier ones) is kept. src is left unchanged. Used to load files
 * or parts of a file in parallel, one dataset per thread. */
int kefu_dataset_merge(kefu_dataset *dst, const kefu_dataset *src, kefu_err *err);

/* Code points of UTF-8 text (invalid bytes count one each). */
uint32_t kefu_utf8_count(const char *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif
