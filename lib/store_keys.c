/*
 * store_keys.c - the set of stored message identities an import run
 * checks new messages against (store_int.h).
 *
 * A message is identified by its key h and fingerprint fp (msgseg.h).
 * The set is filled lazily: before a buffer of new messages is settled,
 * keys of every older segment whose time range meets the buffer's are
 * recomputed from its values (they are not stored), so a daily import of new days touches
 * almost nothing and re-importing a month reads that month's keys once.
 * A stored copy of a message has the same time, so it always lies in a
 * loaded segment. Rows the run adds go into the set as they are settled.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MADV_HUGEPAGE */
#include "store_int.h"

#include <string.h>
#include <sys/mman.h>

/* Slot arrays of 4 MB and more come straight from mmap with transparent
 * huge pages: a 10M-message run grows the set to 256 MB, and page faults
 * in 4K pages cost more than a tenth of the import on these machines. */
#define BIG_SLOTS ((size_t)4 << 20)
/* at most 64M slots (1 GB of address space) up front */
#define KEYS_PRESIZE_MAX ((uint64_t)1 << 26)

static store_key *slots_alloc(size_t n)
{
	size_t bytes = n * sizeof(store_key);
	if (bytes < BIG_SLOTS)
		return kefu_calloc(n, sizeof(store_key));
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, bytes, MADV_HUGEPAGE); /* a hint: without it, plain pages */
#endif
	return p; /* anonymous pages are zero */
}

static void slots_free(store_key *p, size_t n)
{
	if (!p)
		return;
	if (n * sizeof(store_key) < BIG_SLOTS)
		kefu_free(p);
	else
		munmap(p, n * sizeof(store_key));
}

void store_keys_free(store_keyset *k)
{
	slots_free(k->slot, k->cap);
	kefu_free(k->loaded);
	memset(k, 0, sizeof *k);
}

/* the same index as store_keys_prefetch */
static size_t slot_of(uint64_t h, uint64_t fp, size_t mask)
{
	return (size_t)((fp ^ h * 0x9e3779b97f4a7c15ULL) & mask);
}

static int keys_grow(store_keyset *k)
{
	size_t ncap = k->cap ? k->cap * 2 : 1 << 16;
	store_key *ns = slots_alloc(ncap);
	if (!ns)
		return KEFU_ENOMEM;
	for (size_t i = 0; i < k->cap; i++) {
		store_key *o = &k->slot[i];
		if (!o->fp)
			continue;
		size_t j = slot_of(o->h, o->fp, ncap - 1);
		while (ns[j].fp)
			j = (j + 1) & (ncap - 1);
		ns[j] = *o;
	}
	slots_free(k->slot, k->cap);
	k->slot = ns;
	k->cap = ncap;
	return 0;
}

int store_keys_add(store_keyset *k, uint64_t h, uint64_t fp)
{
	if ((k->used + 1) * 4 >= k->cap * 3 && keys_grow(k))
		return KEFU_ENOMEM;
	size_t mask = k->cap - 1;
	for (size_t i = slot_of(h, fp, mask);; i = (i + 1) & mask) {
		store_key *s = &k->slot[i];
		if (!s->fp) {
			s->h = h;
			s->fp = fp;
			k->used++;
			return 1;
		}
		if (s->fp == fp && s->h == h)
			return 0;
	}
}

int store_keys_begin(kefu_store *st, kefu_err *err)
{
	store_keyset *k = &st->keys;
	int64_t lo, hi;
	store_keys_free(k);
	int rc = kefu_msgseg_id_range(st->db, &lo, &hi, err);
	if (rc)
		return rc;
	k->seg_hi = hi;
	/* a message row of canonical CSV is rarely under 128 bytes: room for
	 * input_bytes / 128 keys at 3/4 load, so a run seldom regrows the set
	 * (untouched pages of an anonymous map cost nothing) */
	uint64_t want = st->iopts.input_bytes / 128 * 4 / 3;
	if (want > KEYS_PRESIZE_MAX)
		want = KEYS_PRESIZE_MAX;
	if (want > (1u << 16)) {
		size_t cap = (size_t)1 << 16;
		while (cap < want)
			cap *= 2;
		if (!(k->slot = slots_alloc(cap)))
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		k->cap = cap;
	}
	if (!(k->loaded = kefu_calloc((size_t)hi / 8 + 1, 1)))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	return 0;
}

int store_keys_load(kefu_store *st, int64_t from_ts, int64_t to_ts, kefu_err *err)
{
	store_keyset *k = &st->keys;
	if (k->seg_hi < 1)
		return 0; /* nothing was stored before this run */
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT id FROM msg_segments WHERE max_ts >= ?1 AND min_ts <= ?2"
			       " AND id BETWEEN 1 AND ?3 ORDER BY id",
			       -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, err, "read message keys");
	sqlite3_bind_int64(s, 1, from_ts);
	sqlite3_bind_int64(s, 2, to_ts);
	sqlite3_bind_int64(s, 3, k->seg_hi);
	int rc = 0, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		if (k->loaded[id >> 3] & (1u << (id & 7)))
			continue;
		k->loaded[id >> 3] |= (uint8_t)(1u << (id & 7));
		if ((rc = kefu_msgseg_get(st->db, id, 1, &st->keyseg, err)))
			break;
		const kefu_msgseg *g = &st->keyseg;
		for (size_t i = 0; i < g->n; i++) {
			uint64_t hash = kefu_msgseg_hash(g->shop[i], g->buyer[i], g->agent[i],
							 g->dir[i], g->ts[i], g->text + g->text_off[i],
							 g->text_off[i + 1] - g->text_off[i]);
			if (store_keys_add(k, kefu_msgseg_key(g->shop[i], g->ts[i], hash),
					   kefu_msgseg_fp(hash)) < 0) {
				rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
				break;
			}
		}
		if (rc)
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = store_fail(st, err, "read message keys");
	sqlite3_finalize(s);
	return rc;
}
