/*
 * pg_push.h - copies a store's data into PostgreSQL, where many stores
 * (one per machine, each holding its own shops) meet in one database and
 * the published SQL definitions compute KPIs over all of them
 * (docs/SCALE.md).
 *
 * A push is one PostgreSQL transaction: a push that fails or is killed
 * leaves the database as before, and pushing again sends only what is new.
 * Message segments are never rewritten in the store, so messages go once,
 * by segment id; orders, ratings, evals, agents and presence are upserted
 * by their keys; settings are replaced. Every store has a random id, kept
 * in the store, and a shop belongs to the first store that pushed it: a
 * push from another store that holds the same shop is refused, so no
 * message is counted twice.
 *
 * Ownership: the caller owns the store and the options; the stats are
 * plain values.
 */
#ifndef KEFU_PG_PUSH_H
#define KEFU_PG_PUSH_H

#include <stddef.h>

#include "kefu/common.h"
#include "kefu/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the PostgreSQL schema this kefu writes (kefu_meta). */
#define KEFU_PG_SCHEMA_VERSION 1

struct kefu_table;

typedef struct kefu_pg_push_opts {
	/* libpq connection string or URI; "" = libpq's PG* environment */
	const char *conninfo;
	/* the PostgreSQL schema (NULL = "kefu"): [a-z_][a-z0-9_]*, at most 63 */
	const char *schema;
	/* kefu's KPI rollup of this store (per shop, agent and day, as `kefu
	 * kpi --db --by agent --per day` makes it) to store as the table
	 * kpi_daily, replacing this store's shops' rows; NULL = leave it */
	const struct kefu_table *kpi;
} kefu_pg_push_opts;

/* One kind: sent = rows sent, added + updated + unchanged = sent. */
typedef struct kefu_pg_push_counts {
	long sent, added, updated, unchanged;
} kefu_pg_push_counts;

enum {
	KEFU_PG_MESSAGES,
	KEFU_PG_ORDERS,
	KEFU_PG_RATINGS,
	KEFU_PG_EVALS,
	KEFU_PG_AGENTS,
	KEFU_PG_PRESENCE,
	KEFU_PG_SETTINGS,
	KEFU_PG_KIND_COUNT
};

typedef struct kefu_pg_push_stats {
	char store_id[33]; /* 32 hex digits */
	long shops;	   /* shops of this store */
	long segments;	   /* message segments sent */
	kefu_pg_push_counts kind[KEFU_PG_KIND_COUNT];
	long kpi_rows;	   /* rows written to kpi_daily (0 without opts->kpi) */
} kefu_pg_push_stats;

/* Name of a KEFU_PG_* kind ("messages", ...). */
const char *kefu_pg_kind_name(int kind);

/* Pushes st into the database of o->conninfo. Failures: KEFU_EINVAL (bad
 * schema name, a shop held by another store, a schema newer than this
 * kefu), KEFU_EIO (connection or statement failure, with PostgreSQL's
 * message), KEFU_ESTORE (reading the store). Nothing is written then. */
int kefu_pg_push(kefu_store *st, const kefu_pg_push_opts *o, kefu_pg_push_stats *out,
		 kefu_err *err);

/* The store's push id (created on first use): 32 hex digits and a NUL. */
int kefu_pg_store_id(kefu_store *st, char out[33], kefu_err *err);

/* Writes src[0..n) escaped for COPY's text format (backslash, tab, LF, CR)
 * into dst, which must hold 2 * n bytes; returns the length written, or
 * (size_t)-1 when src holds a NUL byte (PostgreSQL text cannot). */
size_t kefu_pg_copy_escape(char *dst, const char *src, size_t n);

/* 1 when name is a schema name kefu accepts. */
int kefu_pg_schema_ok(const char *name);

#ifdef __cplusplus
}
#endif
#endif
