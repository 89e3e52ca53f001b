/*
 * serve_data.c - the dataset and engine result the server answers from,
 * loaded once through kpi_session_run (the same code path as `kefu kpi
 * --db`, so the API's numbers are the CLI's numbers) and kept across
 * requests. At most once a second a request checks the store's version (the
 * last import run and a hash of the settings table); when it changed, one
 * thread loads a new snapshot while the others keep answering from the old
 * one, which is freed when its last request ends.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

void serve_data_init(serve_data *d, const char *db)
{
	memset(d, 0, sizeof *d);
	d->db = db;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
}

static void snap_free(serve_snap *s)
{
	if (!s)
		return;
	kpi_session_free(&s->s);
	for (size_t i = 0; i < SERVE_CACHE_SLOTS; i++) {
		free(s->cache[i].key);
		free(s->cache[i].body);
	}
	pthread_mutex_destroy(&s->cmu);
	free(s);
}

char *serve_cache_get(serve_snap *s, const char *key, size_t *len)
{
	char *out = NULL;
	pthread_mutex_lock(&s->cmu);
	for (size_t i = 0; i < SERVE_CACHE_SLOTS; i++) {
		serve_cached *c = &s->cache[i];
		if (c->key && !strcmp(c->key, key)) {
			if ((out = malloc(c->len + 1))) {
				memcpy(out, c->body, c->len);
				*len = c->len;
				c->used = ++s->tick;
			}
			break;
		}
	}
	pthread_mutex_unlock(&s->cmu);
	return out;
}

void serve_cache_put(serve_snap *s, size_t cap, const char *key, const char *body, size_t len)
{
	if (len > cap / 4) /* one answer never takes more than a quarter */
		return;
	char *k = strdup(key), *b = malloc(len + 1);
	if (!k || !b) {
		free(k);
		free(b);
		return;
	}
	memcpy(b, body, len);
	pthread_mutex_lock(&s->cmu);
	for (;;) {
		/* free slot, or evict the least recently used */
		serve_cached *victim = NULL;
		for (size_t i = 0; i < SERVE_CACHE_SLOTS; i++) {
			serve_cached *c = &s->cache[i];
			if (c->key && !strcmp(c->key, key)) { /* another thread was first */
				pthread_mutex_unlock(&s->cmu);
				free(k);
				free(b);
				return;
			}
			if (!victim || (victim->key && (!c->key || c->used < victim->used)))
				victim = c;
		}
		if (!victim->key && s->cache_bytes + len <= cap) {
			victim->key = k;
			victim->body = b;
			victim->len = len;
			victim->used = ++s->tick;
			s->cache_bytes += len;
			break;
		}
		if (!victim->key) { /* free slot but too many bytes: evict the oldest */
			victim = NULL;
			for (size_t i = 0; i < SERVE_CACHE_SLOTS; i++)
				if (s->cache[i].key && (!victim || s->cache[i].used < victim->used))
					victim = &s->cache[i];
		}
		s->cache_bytes -= victim->len;
		free(victim->key);
		free(victim->body);
		memset(victim, 0, sizeof *victim);
	}
	pthread_mutex_unlock(&s->cmu);
}

void serve_data_free(serve_data *d)
{
	snap_free(d->cur);
	d->cur = NULL;
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The store's version: last import run id and a hash of the settings. */
static int store_version(kefu_store *st, int64_t *run_id, unsigned char hash[32], kefu_err *err)
{
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	int rc = 0;
	*run_id = 0;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM imports", -1, &s, NULL) ||
	    sqlite3_step(s) != SQLITE_ROW)
		rc = kefu_err_set(err, KEFU_ESTORE, "store version: %s", sqlite3_errmsg(db));
	else
		*run_id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc)
		return rc;
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, 32);
	if (sqlite3_prepare_v2(db, "SELECT shop, key, value, from_day FROM settings ORDER BY 1, 2, 4",
			       -1, &s, NULL)) {
		rc = kefu_err_set(err, KEFU_ESTORE, "store version: %s", sqlite3_errmsg(db));
	} else {
		int step;
		while ((step = sqlite3_step(s)) == SQLITE_ROW)
			for (int c = 0; c < 4; c++) {
				const unsigned char *v = sqlite3_column_text(s, c);
				int n = sqlite3_column_bytes(s, c);
				crypto_generichash_update(&h, v ? v : (const unsigned char *)"", (size_t)n);
				crypto_generichash_update(&h, (const unsigned char *)"", 1);
			}
		if (step != SQLITE_DONE)
			rc = kefu_err_set(err, KEFU_ESTORE, "store version: %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(s);
	crypto_generichash_final(&h, hash, 32);
	return rc;
}

static serve_snap *snap_load(serve_data *d, int64_t run_id, const unsigned char hash[32],
			     kefu_err *err)
{
	serve_snap *s = calloc(1, sizeof *s);
	if (!s) {
		kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		return NULL;
	}
	kpi_session_opts o;
	memset(&o, 0, sizeof o);
	o.db = d->db;
	o.quiet = 1;
	if (kpi_session_run(&s->s, &o)) {
		kpi_session_free(&s->s);
		free(s);
		kefu_err_set(err, KEFU_ESTORE, "cannot load the store (see the server log)");
		return NULL;
	}
	s->refs = 1; /* the reference held by serve_data.cur */
	pthread_mutex_init(&s->cmu, NULL);
	s->run_id = run_id;
	memcpy(s->settings_hash, hash, 32);
	return s;
}

serve_snap *serve_data_acquire(serve_data *d, kefu_store *st, kefu_err *err)
{
	pthread_mutex_lock(&d->mu);
	for (;;) {
		int64_t t = now_ms();
		if (d->cur && (d->loading || t - d->checked_ms < 1000)) {
			serve_snap *s = d->cur;
			s->refs++;
			pthread_mutex_unlock(&d->mu);
			return s;
		}
		if (!d->loading)
			break;
		pthread_cond_wait(&d->cv, &d->mu); /* first load by another thread */
	}
	d->loading = 1;
	d->checked_ms = now_ms();
	pthread_mutex_unlock(&d->mu);

	int64_t run_id = 0;
	unsigned char hash[32];
	serve_snap *fresh = NULL;
	int rc = store_version(st, &run_id, hash, err);
	if (!rc && (!d->cur || d->cur->run_id != run_id ||
		    memcmp(d->cur->settings_hash, hash, 32) != 0))
		if (!(fresh = snap_load(d, run_id, hash, err)))
			rc = KEFU_ESTORE;

	pthread_mutex_lock(&d->mu);
	serve_snap *old = NULL;
	if (fresh) {
		old = d->cur;
		d->cur = fresh;
		if (old && --old->refs > 0)
			old = NULL;
	}
	d->loading = 0;
	pthread_cond_broadcast(&d->cv);
	/* after a failed check or load, keep answering from the old snapshot
	 * and retry a second later */
	serve_snap *s = d->cur;
	if (s)
		s->refs++;
	pthread_mutex_unlock(&d->mu);
	snap_free(old);
	return s;
}

void serve_data_release(serve_data *d, serve_snap *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&d->mu);
	int last = --s->refs == 0;
	pthread_mutex_unlock(&d->mu);
	if (last)
		snap_free(s);
}
