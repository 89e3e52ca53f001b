/*
 * dict.c - string interning: bytes -> dense uint32 ids, stored in one arena.
 * Open addressing with linear probing; ids can be renumbered into byte
 * order so id comparisons equal byte comparisons of the strings.
 */
#include "kefu/dataset.h"
#include "kefu/kpi.h" /* kefu_sort_key3 */
#include "kefu/snapshot.h"

#include <stdlib.h>
#include <string.h>

typedef struct slot {
	uint64_t hash;
	uint32_t id1; /* id + 1, 0 = empty */
	uint32_t len;
} slot;

struct kefu_dict {
	char *arena;
	size_t arena_n, arena_cap;
	uint64_t *off;    /* per id: offset in arena */
	uint32_t *len;    /* per id */
	uint64_t *hash;   /* per id */
	uint32_t n, cap;  /* ids, capacity of per-id arrays */
	slot *slots;      /* id + 1 (0 = empty) with the hash: one cache line per probe */
	size_t nslots;    /* power of two */
};

int kefu_dict_new(kefu_dict **out)
{
	*out = NULL;
	kefu_dict *d = kefu_calloc(1, sizeof *d);
	if (!d)
		return KEFU_ENOMEM;
	d->nslots = 1024;
	d->slots = kefu_calloc(d->nslots, sizeof *d->slots);
	if (!d->slots) {
		kefu_free(d);
		return KEFU_ENOMEM;
	}
	*out = d;
	return 0;
}

void kefu_dict_free(kefu_dict *d)
{
	if (!d)
		return;
	kefu_free(d->arena);
	kefu_free(d->off);
	kefu_free(d->len);
	kefu_free(d->hash);
	kefu_free(d->slots);
	kefu_free(d);
}

static int rehash(kefu_dict *d, size_t nslots)
{
	slot *slots = kefu_calloc(nslots, sizeof *slots);
	if (!slots)
		return KEFU_ENOMEM;
	size_t mask = nslots - 1;
	for (uint32_t id = 0; id < d->n; id++) {
		size_t i = (size_t)d->hash[id] & mask;
		while (slots[i].id1)
			i = (i + 1) & mask;
		slots[i] = (slot){d->hash[id], id + 1, d->len[id]};
	}
	kefu_free(d->slots);
	d->slots = slots;
	d->nslots = nslots;
	return 0;
}

static int lookup(const kefu_dict *d, const char *p, size_t n, uint64_t h, size_t *at)
{
	size_t mask = d->nslots - 1, i = (size_t)h & mask;
	for (;;) {
		const slot *s = &d->slots[i];
		if (!s->id1) {
			*at = i;
			return 0;
		}
		if (s->hash == h && s->len == n && memcmp(d->arena + d->off[s->id1 - 1], p, n) == 0) {
			*at = i;
			return 1;
		}
		i = (i + 1) & mask;
	}
}

int kefu_dict_find(const kefu_dict *d, const char *p, size_t n, uint32_t *id)
{
	size_t at;
	if (lookup(d, p, n, kefu_hash_bytes(p, n), &at)) {
		*id = d->slots[at].id1 - 1;
		return 0;
	}
	return KEFU_ENOTFOUND;
}

int kefu_dict_intern(kefu_dict *d, const char *p, size_t n, uint32_t *id)
{
	if (n > UINT32_MAX)
		return KEFU_EINVAL;
	uint64_t h = kefu_hash_bytes(p, n);
	size_t at;
	if (lookup(d, p, n, h, &at)) {
		*id = d->slots[at].id1 - 1;
		return 0;
	}
	if (d->n == UINT32_MAX - 1)
		return KEFU_EOVERFLOW;
	if (d->n == d->cap) {
		size_t cap = d->cap;
		if (kefu_grow((void **)&d->off, &cap, (size_t)d->n + 1, sizeof *d->off))
			return KEFU_ENOMEM;
		cap = d->cap;
		if (kefu_grow((void **)&d->len, &cap, (size_t)d->n + 1, sizeof *d->len))
			return KEFU_ENOMEM;
		cap = d->cap;
		if (kefu_grow((void **)&d->hash, &cap, (size_t)d->n + 1, sizeof *d->hash))
			return KEFU_ENOMEM;
		d->cap = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
	}
	if (kefu_grow((void **)&d->arena, &d->arena_cap, d->arena_n + n + 1, 1))
		return KEFU_ENOMEM;
	memcpy(d->arena + d->arena_n, p, n);
	d->arena[d->arena_n + n] = '\0';
	uint32_t nid = d->n++;
	d->off[nid] = d->arena_n;
	d->len[nid] = (uint32_t)n;
	d->hash[nid] = h;
	d->arena_n += n + 1;
	d->slots[at] = (slot){h, nid + 1, (uint32_t)n};
	if ((size_t)d->n * 2 > d->nslots) {
		int rc = rehash(d, d->nslots * 2);
		if (rc)
			return rc;
	}
	*id = nid;
	return 0;
}

kefu_str kefu_dict_get(const kefu_dict *d, uint32_t id)
{
	kefu_str s = {"", 0};
	if (id < d->n) {
		s.p = d->arena + d->off[id];
		s.n = d->len[id];
	}
	return s;
}

uint32_t kefu_dict_size(const kefu_dict *d) { return d->n; }

/* qsort has no context argument in C11: sort (offset,len) pairs instead. */
typedef struct {
	const char *p;
	uint32_t len;
	uint32_t id;
} sort_ent;

static int cmp_ent(const void *a, const void *b)
{
	const sort_ent *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

int kefu_dict_sort(kefu_dict *d, uint32_t **map_out)
{
	*map_out = NULL;
	uint32_t *map = kefu_malloc(((size_t)d->n + 1) * sizeof *map);
	sort_ent *e = kefu_malloc(((size_t)d->n + 1) * sizeof *e);
	uint64_t *off = kefu_malloc(((size_t)d->n + 1) * sizeof *off);
	uint32_t *len = kefu_malloc(((size_t)d->n + 1) * sizeof *len);
	uint64_t *hash = kefu_malloc(((size_t)d->n + 1) * sizeof *hash);
	if (!map || !e || !off || !len || !hash)
		goto oom;
	/* Radix sort on the first 16 bytes (big-endian, zero padded), then a
	 * full comparison inside the rare groups whose first 16 bytes tie. */
	kefu_key3 *k = kefu_malloc(((size_t)d->n + 1) * sizeof *k);
	if (!k)
		goto oom;
	for (uint32_t i = 0; i < d->n; i++) {
		unsigned char b[16] = {0};
		memcpy(b, d->arena + d->off[i], d->len[i] < 16 ? d->len[i] : 16);
		uint64_t hi = 0, lo = 0;
		for (int j = 0; j < 8; j++) {
			hi = hi << 8 | b[j];
			lo = lo << 8 | b[8 + j];
		}
		k[i] = (kefu_key3){hi, lo, i, 0};
	}
	if (kefu_sort_key3(k, d->n)) {
		kefu_free(k);
		goto oom;
	}
	for (uint32_t i = 0; i < d->n; i++)
		e[i] = (sort_ent){d->arena + d->off[k[i].idx], d->len[k[i].idx], k[i].idx};
	for (uint32_t i = 0; i < d->n;) {
		uint32_t j = i + 1;
		while (j < d->n && k[j].hi == k[i].hi && k[j].lo == k[i].lo)
			j++;
		if (j - i > 1)
			qsort(e + i, j - i, sizeof *e, cmp_ent);
		i = j;
	}
	kefu_free(k);
	for (uint32_t i = 0; i < d->n; i++) {
		uint32_t old = e[i].id;
		map[old] = i;
		off[i] = d->off[old];
		len[i] = d->len[old];
		hash[i] = d->hash[old];
	}
	kefu_free(e);
	kefu_free(d->off);
	kefu_free(d->len);
	kefu_free(d->hash);
	d->off = off;
	d->len = len;
	d->hash = hash;
	d->cap = d->n;
	if (rehash(d, d->nslots)) {
		kefu_free(map);
		return KEFU_ENOMEM;
	}
	*map_out = map;
	return 0;
oom:
	kefu_free(map);
	kefu_free(e);
	kefu_free(off);
	kefu_free(len);
	kefu_free(hash);
	return KEFU_ENOMEM;
}

/* ---- images for snapshots ---- */

int kefu_dict_write_to(const kefu_dict *d, kefu_snap_writer *w)
{
	uint32_t n = d->n;
	if (kefu_snap_put_to(w, &n, sizeof n) || kefu_snap_put_to(w, d->arena, d->arena_n) ||
	    kefu_snap_put_to(w, d->off, (size_t)n * sizeof *d->off) ||
	    kefu_snap_put_to(w, d->len, (size_t)n * sizeof *d->len))
		return KEFU_EIO;
	return 0;
}

typedef struct buf_sink {
	char **buf;
	size_t *len, *cap;
} buf_sink;

static int buf_write(void *ctx, const void *p, size_t n)
{
	buf_sink *b = ctx;
	if (kefu_grow((void **)b->buf, b->cap, *b->len + n, 1))
		return -1;
	if (n)
		memcpy(*b->buf + *b->len, p, n);
	*b->len += n;
	return 0;
}

int kefu_dict_write(const kefu_dict *d, char **buf, size_t *len, size_t *cap)
{
	buf_sink b = {buf, len, cap};
	kefu_snap_writer w = {buf_write, &b};
	return kefu_dict_write_to(d, &w) ? KEFU_ENOMEM : 0;
}

int kefu_dict_read(kefu_dict **out, kefu_snap_reader *rd)
{
	*out = NULL;
	uint32_t n;
	size_t len, an;
	if (kefu_snap_section(rd, &len) || len != sizeof n || kefu_snap_bytes(rd, &n, sizeof n) ||
	    kefu_snap_section(rd, &an))
		return KEFU_EPARSE;
	kefu_dict *d;
	if (kefu_dict_new(&d))
		return KEFU_ENOMEM;
	d->arena = kefu_malloc(an + 1);
	d->off = kefu_malloc(((size_t)n + 1) * sizeof *d->off);
	d->len = kefu_malloc(((size_t)n + 1) * sizeof *d->len);
	d->hash = kefu_malloc(((size_t)n + 1) * sizeof *d->hash);
	int rc = KEFU_ENOMEM;
	if (!d->arena || !d->off || !d->len || !d->hash)
		goto fail;
	rc = KEFU_EPARSE;
	if (kefu_snap_bytes(rd, d->arena, an) || kefu_snap_section(rd, &len) ||
	    len != (size_t)n * sizeof *d->off || kefu_snap_bytes(rd, d->off, len) ||
	    kefu_snap_section(rd, &len) || len != (size_t)n * sizeof *d->len ||
	    kefu_snap_bytes(rd, d->len, len))
		goto fail;
	d->arena_n = an;
	d->arena_cap = an + 1;
	d->n = d->cap = n;
	for (uint32_t i = 0; i < n; i++) {
		if (d->off[i] > an || d->len[i] > an - d->off[i])
			goto fail;
		d->hash[i] = kefu_hash_bytes(d->arena + d->off[i], d->len[i]);
	}
	size_t ns = 1024;
	while (ns < (size_t)n * 2 + 2)
		ns *= 2;
	rc = KEFU_ENOMEM;
	if (rehash(d, ns))
		goto fail;
	*out = d;
	return 0;
fail:
	kefu_dict_free(d);
	return rc;
}
