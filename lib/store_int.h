/*
 * store_int.h - internals shared by the store's source files (store.c:
 * open, schema, statement cache and name caches; store_import.c,
 * store_load.c, store_export.c, store_settings.c). Not installed.
 */
#ifndef KEFU_STORE_INT_H
#define KEFU_STORE_INT_H

#include <sqlite3.h>

#include "kefu/msgseg.h"
#include "kefu/store.h"

/* Every SQL statement the store runs, prepared once and reused. */
enum store_stmt {
	S_DIM_GET0, S_DIM_GET1, S_DIM_GET2, /* id by name: shop, agent, buyer */
	S_DIM_ADD0, S_DIM_ADD1, S_DIM_ADD2,
	S_ORD_INS, S_ORD_GET, S_ORD_AUDIT, S_ORD_UPD,
	S_RAT_INS, S_RAT_GET, S_RAT_AUDIT, S_RAT_UPD,
	S_EV_INS, S_EV_GET,
	S_ROS_INS, S_ROS_GET, S_ROS_AUDIT, S_ROS_UPD,
	S_PRE_INS,
	S_RUN_BEGIN, S_RUN_FILE, S_RUN_FINISH, S_RUN_COUNTS,
	S_SET_PUT, S_SET_ROWS,
	S_COUNT
};

/* The three name dimensions. */
enum store_dim { DIM_SHOP = 0, DIM_AGENT = 1, DIM_BUYER = 2, DIM_COUNT };

/* name -> id cache of one dimension table (open addressing). Holds only
 * ids that exist in the database or in the open transaction; cleared on
 * rollback. */
typedef struct store_name_slot {
	uint64_t h;
	int64_t id; /* 0 = empty slot */
	char *name;
	size_t n;
} store_name_slot;

typedef struct store_name_cache {
	store_name_slot *slot;
	size_t cap, used;
	const char *last; /* the last name found (a slot's copy) */
	size_t last_n;
	int64_t last_id;  /* 0: none */
	int complete;	  /* holds every stored name: a miss is a new name */
} store_name_cache;

/* A run preloads dimensions of at most this many names (a miss then
 * needs no lookup in SQLite); larger ones are looked up name by name. */
#define STORE_DIM_PRELOAD_MAX 2000000

/* Connection settings outside import runs and during them (see
 * kefu_store_import_begin). */
#define STORE_PRAGMA_NORMAL                                                                        \
	"PRAGMA temp_store=FILE; PRAGMA cache_size=-65536; PRAGMA foreign_keys=ON"
/* Foreign keys are off during a run: every id the run writes comes from
 * the run's own dimension lookups, so the three parent look-ups per message
 * (a fifth of the insert cost) could never fail. Set before BEGIN: the
 * pragma is a no-op inside a transaction. */
#define STORE_PRAGMA_RUN                                                                           \
	"PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384; PRAGMA foreign_keys=OFF"

/* Messages are collected STORE_MSG_BUFFER at a time (one segment), or
 * fewer when their texts pass STORE_MSG_TEXT_MAX bytes, then sorted by
 * key, checked against the key set and written as one segment. */
#define STORE_MSG_BUFFER KEFU_MSGSEG_MAX
#define STORE_MSG_TEXT_MAX (64u << 20)

typedef struct store_msg_row {
	uint64_t h, fp;
	int64_t ts;
	uint32_t shop, buyer, agent;
	uint8_t dir;
	size_t text_off, text_n; /* in store.msg_text */
} store_msg_row;

/* Identities of stored messages (store_keys.c): open addressing on
 * (h, fp); fp is never 0, so fp == 0 marks an empty slot. loaded has one
 * bit per segment id <= seg_hi (the segments stored before the run). */
typedef struct store_key {
	uint64_t h, fp;
} store_key;

typedef struct store_keyset {
	store_key *slot;
	size_t cap, used;
	uint8_t *loaded;
	int64_t seg_hi;
} store_keyset;

struct kefu_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	store_name_cache dim[DIM_COUNT];
	int in_import;
	kefu_store_import_opts iopts;
	kefu_import_stats stats;
	long file_seq;
	/* messages waiting for the next batch insert */
	store_msg_row *msg;
	size_t nmsg, msgcap;
	char *msg_text;
	size_t msg_text_n, msg_text_cap;
	kefu_msgseg_row *seg_rows; /* the segment being written */
	uint64_t *sort_k;	   /* radix sort scratch, 2 x STORE_MSG_BUFFER */
	uint32_t *sort_ix;
	kefu_msgseg_writer *segw;
	kefu_msgseg keyseg; /* decode buffer for key loading */
	store_keyset keys;  /* only inside a run */
};

/* Inserts the pending messages of the open run (store_import.c). */
int store_flush_messages(kefu_store *st, kefu_err *err);

/* The key set of a run: start it (remembers which segments are older than
 * the run), load the keys of older segments meeting [from_ts, to_ts],
 * add a key (1 added, 0 already there, KEFU_ENOMEM), free it. */
int store_keys_begin(kefu_store *st, kefu_err *err);
int store_keys_load(kefu_store *st, int64_t from_ts, int64_t to_ts, kefu_err *err);
int store_keys_add(store_keyset *k, uint64_t h, uint64_t fp);
/* Fetches the slot store_keys_add(h, fp) will look at first: called a few
 * rows ahead, it hides the cache miss of a large set. */
static inline void store_keys_prefetch(const store_keyset *k, uint64_t h, uint64_t fp)
{
	if (k->cap)
		__builtin_prefetch(&k->slot[(fp ^ h * 0x9e3779b97f4a7c15ULL) & (k->cap - 1)]);
}
void store_keys_free(store_keyset *k);

/* Sets err from the connection's last error: "<what>: <sqlite message>". */
int store_fail(kefu_store *st, kefu_err *err, const char *what);
/* The prepared statement id, reset and ready for binding (NULL + err). */
sqlite3_stmt *store_stmt(kefu_store *st, enum store_stmt id, kefu_err *err);
/* Runs a constant SQL text (no data in it). */
int store_exec(kefu_store *st, const char *sql, kefu_err *err);
/* Binds a slice as text (empty slices bind "", never NULL). */
int store_bind_str(sqlite3_stmt *s, int i, kefu_str v);
/* Id of a name in a dimension table, inserting it when absent. */
int store_dim_id(kefu_store *st, enum store_dim d, kefu_str name, int64_t *id, kefu_err *err);
/* Loads every name of the small dimensions into their caches. */
int store_dim_preload(kefu_store *st, kefu_err *err);
/* Forgets every cached name (after a rollback). */
void store_dim_cache_clear(kefu_store *st);

/* Formats instant t as "YYYY-MM-DDTHH:MM:SSZ" (buf >= 32). */
void store_format_utc(int64_t t, char *buf);
/* Formats t for export: local time in tz, or ISO 8601 with the offset
 * when the local time is ambiguous (buf >= 40). */
void store_format_ts(const kefu_tz *tz, int64_t t, char *buf);
/* Appends one CSV field (RFC 4180 quoting) to out; sep written before it
 * unless first. Returns 0 or EOF. */
int store_csv_field(FILE *out, const char *p, size_t n, int first);
/* The same appended to a growable buffer (kefu_free it); KEFU_ENOMEM. */
int store_csv_append(char **buf, size_t *len, size_t *cap, const char *p, size_t n, int first);

#endif
