/*
 * serve.h - what the parts of `kefu serve` share: the server context, the
 * per-request state, the cached dataset (serve_data.c) and the API
 * handlers (serve_api.c). The HTTP side (limits, headers, routing,
 * static files) is serve.c. docs/SERVER.md describes the whole.
 */
#ifndef KEFU_SERVE_H
#define KEFU_SERVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "kefu/auth.h"
#include "kefu/store.h"
#include "kpi_session.h"

/* One loaded dataset with its engine result, shared by requests through a
 * reference count; replaced when the store's import run or settings change. */
typedef struct serve_cached {
	char *key;  /* report kind and the tenancy-resolved selection */
	char *body; /* the rendered JSON */
	size_t len;
	uint64_t used; /* tick of the last hit (least recently used is evicted) */
} serve_cached;

#define SERVE_CACHE_SLOTS 256

typedef struct serve_snap {
	int refs;
	kpi_session s;
	int64_t run_id;
	unsigned char settings_hash[32];
	/* rendered answers of this snapshot (never stale: a new snapshot
	 * starts empty) */
	pthread_mutex_t cmu;
	serve_cached cache[SERVE_CACHE_SLOTS];
	size_t cache_bytes;
	uint64_t tick;
} serve_snap;

typedef struct serve_data {
	const char *db;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	serve_snap *cur;
	int loading;
	int64_t checked_ms; /* last version check */
	size_t cache_cap;   /* bytes of rendered answers kept per snapshot; 0 = off */
} serve_data;

typedef struct serve_ctx {
	const char *db;
	kefu_auth *auth;
	serve_data data;
	int tls;
	size_t max_body;
	double rate, burst; /* requests per second per client address; 0 = off */
	int access_log;
	pthread_key_t store_key; /* per-thread kefu_store */
	pthread_mutex_t rl_mu;
	struct rl_slot *rl; /* rate limiter table */
} serve_ctx;

/* An API answer built by a handler. */
typedef struct serve_resp {
	unsigned status;
	const char *ctype;
	char *body; /* malloc'd */
	size_t len;
	char cookie[256];      /* Set-Cookie value, or empty */
	char disposition[512]; /* Content-Disposition, or empty */
	int retry_after;       /* seconds, or 0 */
	const char *csp;       /* a stricter page's own Content-Security-Policy, or NULL */
} serve_resp;

/* A request as the API handlers see it. */
typedef struct serve_req {
	serve_ctx *ctx;
	struct MHD_Connection *con;
	const char *method;
	const char *path;  /* after /api/v1/, decoded */
	const char *param; /* the '*' segment of the route, or NULL */
	const char *body;
	size_t body_len;
	kefu_store *st;    /* this thread's store connection */
	kefu_user *user;   /* NULL before login */
	const char *token; /* session token from the cookie */
	int bearer;	   /* the user came from an API token (no session, no CSRF) */
} serve_req;

/* serve.c: takes cost tokens from the client's bucket; 0 or seconds to wait. */
int serve_rate_take(serve_ctx *c, struct MHD_Connection *con, double cost);

/* serve_data.c */
void serve_data_init(serve_data *d, const char *db);
void serve_data_free(serve_data *d);
/* The current snapshot (reloading it first if the store changed); NULL
 * with err set on failure. Release with serve_data_release. */
serve_snap *serve_data_acquire(serve_data *d, kefu_store *st, kefu_err *err);
void serve_data_release(serve_data *d, serve_snap *s);
/* A copy of the cached answer for key (malloc'd, *len set), or NULL. */
char *serve_cache_get(serve_snap *s, const char *key, size_t *len);
/* Keeps a copy of body under key if it fits in cap bytes (evicting the
 * least recently used answers). */
void serve_cache_put(serve_snap *s, size_t cap, const char *key, const char *body, size_t len);

/* serve_api.c: dispatches one /api/v1/ request; fills r. */
void serve_api(serve_req *q, serve_resp *r);
/* serve_review.c: GET contracts (the contracts the user may review) and
 * GET contracts/{id}/review (the renewal review page). */
void serve_contracts(serve_req *q, serve_resp *r);
void serve_review(serve_req *q, serve_resp *r);
/* Sets a JSON error answer. */
void serve_error(serve_resp *r, unsigned status, const char *msg);

#endif
