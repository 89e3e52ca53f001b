/*
 * load_piped.c - kefu_load_file with the parsing on a second thread
 * (loader.h). The worker runs kefu_load_file and copies every row and
 * reject, with its strings, into batches; the calling thread runs the
 * caller's callbacks on them in the original order. So callbacks never run
 * concurrently and never on the worker: a store import (one SQLite
 * connection, one reject file) keeps its single-threaded code while CSV
 * scanning, UTF-8 checks and time parsing overlap with its inserts.
 *
 * The per-shop time zone callback (opts->tz_for_shop) may read the store,
 * so the worker asks the calling thread for each shop it has not seen yet
 * and keeps the answers.
 */
#include "kefu/loader.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define BATCH_ITEMS 4096
#define BATCH_BYTES ((size_t)4 << 20)
#define NBATCH 16

typedef struct item {
	int is_reject;
	kefu_record rec;  /* kefu_str.p are arena offsets until delivered */
	long line, col;
	size_t column, reason; /* arena offsets of NUL-terminated strings */
	kefu_str raw;
} item;

typedef struct batch {
	item *it;
	size_t n, itcap;
	char *arena;
	size_t an, acap;
} batch;

typedef struct shop_tz {
	char *shop;
	size_t n;
	const kefu_tz *tz;
} shop_tz;

typedef struct piped {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	batch b[NBATCH];
	int full[NBATCH];   /* handed to the consumer, in order */
	size_t head, tail;  /* ring of full batch indexes */
	int nfull;
	int cur;            /* the batch the worker fills, -1 = none */
	int done, abort;
	/* time zone requests */
	int tz_pending;
	kefu_str tz_shop;
	const kefu_tz *tz_answer;
	shop_tz *tzc;
	size_t ntzc, tzcap;
	const shop_tz *last_tz_shop; /* the worker's last hit in tzc */
	/* the load */
	const char *path;
	kefu_load_opts opts;
	const kefu_load_opts *user_opts;
	kefu_load_stats *stats;
	kefu_err werr;
	int wrc;
	const char *file; /* the name the loader reports (stable for one file) */
	int oom;
	int queue[NBATCH];
} piped;

static int arena_put(batch *b, const char *p, size_t n, size_t *off)
{
	if (b->an + n + 1 > b->acap && kefu_grow((void **)&b->arena, &b->acap, b->an + n + 1, 1))
		return -1;
	if (n)
		memcpy(b->arena + b->an, p, n);
	b->arena[b->an + n] = '\0';
	*off = b->an;
	b->an += n + 1;
	return 0;
}

static int str_put(batch *b, kefu_str *s)
{
	size_t off;
	if (arena_put(b, s->p, s->n, &off))
		return -1;
	s->p = (const char *)(uintptr_t)off;
	return 0;
}

static void str_fix(const batch *b, kefu_str *s)
{
	s->p = b->arena + (uintptr_t)s->p;
}

/* Every string field of a record, by kind. */
static int rec_strings(kefu_record *r, kefu_str **out)
{
	int n = 0;
	switch (r->kind) {
	case KEFU_KIND_MESSAGES:
		out[n++] = &r->u.msg.shop, out[n++] = &r->u.msg.buyer;
		out[n++] = &r->u.msg.agent, out[n++] = &r->u.msg.text;
		break;
	case KEFU_KIND_ORDERS:
		out[n++] = &r->u.ord.shop, out[n++] = &r->u.ord.order_id;
		out[n++] = &r->u.ord.buyer, out[n++] = &r->u.ord.status;
		break;
	case KEFU_KIND_RATINGS:
		out[n++] = &r->u.rat.shop, out[n++] = &r->u.rat.order_id;
		out[n++] = &r->u.rat.buyer;
		break;
	case KEFU_KIND_EVALS:
		out[n++] = &r->u.ev.shop, out[n++] = &r->u.ev.agent, out[n++] = &r->u.ev.buyer;
		break;
	case KEFU_KIND_AGENTS:
		out[n++] = &r->u.ag.agent, out[n++] = &r->u.ag.vendor, out[n++] = &r->u.ag.team;
		out[n++] = &r->u.ag.name, out[n++] = &r->u.ag.commission_rate;
		break;
	case KEFU_KIND_PRESENCE:
		out[n++] = &r->u.pr.agent;
		break;
	default:
		break;
	}
	return n;
}

/* ------------------------------------------------------------- worker */

/* Hands the current batch over (waiting while all are full). */
static void hand_over(piped *P)
{
	if (P->cur < 0 || P->b[P->cur].n == 0)
		return;
	P->queue[P->tail] = P->cur;
	P->tail = (P->tail + 1) % NBATCH;
	P->nfull++;
	P->cur = -1;
	pthread_cond_broadcast(&P->cv);
}

/* A batch with room for one more item, or NULL when the load must stop. */
static batch *room(piped *P)
{
	if (P->cur >= 0) {
		batch *b = &P->b[P->cur];
		if (b->n < BATCH_ITEMS && b->an < BATCH_BYTES)
			return b;
		hand_over(P);
	}
	for (;;) {
		if (P->abort)
			return NULL;
		for (int i = 0; i < NBATCH; i++) {
			int busy = 0;
			for (int k = 0; k < P->nfull; k++)
				busy |= P->queue[(P->head + (size_t)k) % NBATCH] == i;
			if (!busy && !P->full[i]) {
				P->cur = i;
				P->b[i].n = 0;
				P->b[i].an = 0;
				return &P->b[i];
			}
		}
		pthread_cond_wait(&P->cv, &P->mu);
	}
}

static item *new_item(batch *b)
{
	if (b->n >= b->itcap && kefu_grow((void **)&b->it, &b->itcap, b->n + 1, sizeof *b->it))
		return NULL;
	return &b->it[b->n];
}

static int w_row(void *ctx, const kefu_record *rec, const char *file, long line, kefu_err *err)
{
	piped *P = ctx;
	/* The batch being filled is the worker's alone (only the worker sets
	 * P->cur, and the consumer sees a batch after hand_over under the
	 * lock), so the lock is taken only to switch batches. */
	batch *b = P->cur >= 0 ? &P->b[P->cur] : NULL;
	if (!b || b->n >= BATCH_ITEMS || b->an >= BATCH_BYTES || P->file != file) {
		pthread_mutex_lock(&P->mu);
		P->file = file;
		b = room(P);
		pthread_mutex_unlock(&P->mu);
		if (!b)
			return kefu_err_set(err, KEFU_EIO, "stopped");
	}
	item *it = new_item(b);
	if (!it)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	memset(it, 0, sizeof *it);
	it->rec = *rec;
	it->line = line;
	kefu_str *s[8];
	int ns = rec_strings(&it->rec, s);
	for (int i = 0; i < ns; i++)
		if (str_put(b, s[i]))
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	b->n++;
	return 0;
}

static int w_reject(void *ctx, const char *file, long line, long col, const char *column,
		    const char *reason, kefu_str raw)
{
	piped *P = ctx;
	pthread_mutex_lock(&P->mu);
	P->file = file;
	batch *b = room(P);
	item *it = b ? new_item(b) : NULL;
	int rc = 0;
	if (!b) {
		rc = KEFU_EIO;
	} else if (!it) {
		P->oom = 1;
		rc = KEFU_ENOMEM;
	} else {
		memset(it, 0, sizeof *it);
		it->is_reject = 1;
		it->line = line;
		it->col = col;
		it->raw = raw;
		if (arena_put(b, column ? column : "", column ? strlen(column) : 0, &it->column) ||
		    arena_put(b, reason ? reason : "", reason ? strlen(reason) : 0, &it->reason) ||
		    str_put(b, &it->raw)) {
			P->oom = 1;
			rc = KEFU_ENOMEM;
		} else {
			b->n++;
		}
	}
	pthread_mutex_unlock(&P->mu);
	return rc;
}

/* The worker's time zone callback: its own cache, else a request to the
 * calling thread. */
static const kefu_tz *w_tz(void *ctx, kefu_str shop)
{
	piped *P = ctx;
	const kefu_tz *tz = NULL;
	/* the last answer, without the lock (only the worker uses these) */
	if (P->last_tz_shop && P->last_tz_shop->n == shop.n &&
	    memcmp(P->last_tz_shop->shop, shop.p, shop.n) == 0)
		return P->last_tz_shop->tz;
	pthread_mutex_lock(&P->mu);
	for (size_t i = 0; i < P->ntzc; i++)
		if (P->tzc[i].n == shop.n && memcmp(P->tzc[i].shop, shop.p, shop.n) == 0) {
			tz = P->tzc[i].tz;
			P->last_tz_shop = &P->tzc[i];
			pthread_mutex_unlock(&P->mu);
			return tz;
		}
	/* rows already batched come first: the caller's callback may depend
	 * on them (it does not today, but order is the contract) */
	hand_over(P);
	P->tz_shop = shop;
	P->tz_pending = 1;
	pthread_cond_broadcast(&P->cv);
	while (P->tz_pending && !P->abort)
		pthread_cond_wait(&P->cv, &P->mu);
	if (!P->tz_pending) {
		tz = P->tz_answer;
		char *copy = kefu_malloc(shop.n + 1);
		if (copy && !kefu_grow((void **)&P->tzc, &P->tzcap, P->ntzc + 1, sizeof *P->tzc)) {
			memcpy(copy, shop.p, shop.n);
			copy[shop.n] = '\0';
			P->tzc[P->ntzc++] = (shop_tz){copy, shop.n, tz};
			P->last_tz_shop = NULL; /* the array may have moved */
		} else {
			kefu_free(copy);
		}
	}
	P->tz_pending = 0;
	pthread_mutex_unlock(&P->mu);
	return tz;
}

static void *worker(void *arg)
{
	piped *P = arg;
	P->wrc = kefu_load_file(P->path, &P->opts, w_row, w_reject, P, P->stats, &P->werr);
	pthread_mutex_lock(&P->mu);
	hand_over(P);
	P->done = 1;
	pthread_cond_broadcast(&P->cv);
	pthread_mutex_unlock(&P->mu);
	return NULL;
}

/* ----------------------------------------------------------- consumer */

int kefu_load_file_piped(const char *path, const kefu_load_opts *opts, kefu_row_fn on_row,
			 kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats,
			 kefu_err *err)
{
	kefu_load_stats local;
	stats = stats ? stats : &local;
	piped *P = kefu_calloc(1, sizeof *P);
	if (!P)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	pthread_mutex_init(&P->mu, NULL);
	pthread_cond_init(&P->cv, NULL);
	P->cur = -1;
	P->path = path;
	P->opts = *opts;
	P->user_opts = opts;
	P->stats = stats;
	P->werr = (kefu_err)KEFU_ERR_INIT;
	if (opts->tz_for_shop) {
		P->opts.tz_for_shop = w_tz;
		P->opts.tz_ctx = P;
	}
	pthread_t th;
	if (pthread_create(&th, NULL, worker, P) != 0) {
		pthread_mutex_destroy(&P->mu);
		pthread_cond_destroy(&P->cv);
		kefu_free(P);
		return kefu_load_file(path, opts, on_row, on_reject, ctx, stats, err);
	}
	int rc = 0;
	kefu_err cerr = KEFU_ERR_INIT;
	pthread_mutex_lock(&P->mu);
	for (;;) {
		/* batches handed over before a time zone request come first */
		if (P->tz_pending && !P->abort && P->nfull == 0) {
			kefu_str shop = P->tz_shop;
			pthread_mutex_unlock(&P->mu);
			const kefu_tz *tz = opts->tz_for_shop(opts->tz_ctx, shop);
			pthread_mutex_lock(&P->mu);
			P->tz_answer = tz;
			P->tz_pending = 0;
			pthread_cond_broadcast(&P->cv);
			continue;
		}
		if (P->nfull == 0) {
			if (P->done)
				break;
			pthread_cond_wait(&P->cv, &P->mu);
			continue;
		}
		int bi = P->queue[P->head];
		P->full[bi] = 1;
		P->head = (P->head + 1) % NBATCH;
		P->nfull--;
		const char *file = P->file;
		pthread_mutex_unlock(&P->mu);
		batch *b = &P->b[bi];
		for (size_t i = 0; i < b->n && rc == 0; i++) {
			item *it = &b->it[i];
			if (it->is_reject) {
				str_fix(b, &it->raw);
				rc = on_reject ? on_reject(ctx, file, it->line, it->col,
							   b->arena + it->column, b->arena + it->reason,
							   it->raw)
					       : 0;
				if (rc)
					kefu_err_set(&cerr, rc, "import stopped by the reject handler");
			} else {
				kefu_str *s[8];
				int ns = rec_strings(&it->rec, s);
				for (int k = 0; k < ns; k++)
					str_fix(b, s[k]);
				rc = on_row(ctx, &it->rec, file, it->line, &cerr);
			}
		}
		pthread_mutex_lock(&P->mu);
		P->full[bi] = 0;
		if (rc)
			P->abort = 1;
		pthread_cond_broadcast(&P->cv);
		if (rc)
			break;
	}
	pthread_mutex_unlock(&P->mu);
	pthread_join(th, NULL);
	if (rc) {
		if (err)
			*err = cerr;
	} else if (P->wrc) {
		rc = P->wrc;
		if (err)
			*err = P->werr;
	} else if (P->oom) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	for (int i = 0; i < NBATCH; i++) {
		kefu_free(P->b[i].it);
		kefu_free(P->b[i].arena);
	}
	for (size_t i = 0; i < P->ntzc; i++)
		kefu_free(P->tzc[i].shop);
	kefu_free(P->tzc);
	pthread_mutex_destroy(&P->mu);
	pthread_cond_destroy(&P->cv);
	kefu_free(P);
	return rc;
}
