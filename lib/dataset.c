/*
 * dataset.c - building the columnar model: append records, then finalize
 * (renumber dictionaries into byte order, keep the last row per order key).
 */
#include "kefu/dataset.h"

#include <stdlib.h>
#include <string.h>

int kefu_dataset_new(kefu_dataset **out)
{
	*out = NULL;
	kefu_dataset *ds = kefu_calloc(1, sizeof *ds);
	if (!ds)
		return KEFU_ENOMEM;
	kefu_dict **dicts[] = {&ds->shops,   &ds->agents, &ds->buyers, &ds->order_ids,
			       &ds->statuses, &ds->vendors, &ds->teams, &ds->texts};
	for (size_t i = 0; i < sizeof dicts / sizeof dicts[0]; i++)
		if (kefu_dict_new(dicts[i])) {
			kefu_dataset_free(ds);
			return KEFU_ENOMEM;
		}
	*out = ds;
	return 0;
}

#define FREE_ALL(...)                                                                   \
	do {                                                                            \
		void *ptrs_[] = {__VA_ARGS__};                                          \
		for (size_t i_ = 0; i_ < sizeof ptrs_ / sizeof ptrs_[0]; i_++)          \
			kefu_free(ptrs_[i_]);                                           \
	} while (0)

void kefu_dataset_free(kefu_dataset *ds)
{
	if (!ds)
		return;
	kefu_dict_free(ds->shops);
	kefu_dict_free(ds->agents);
	kefu_dict_free(ds->buyers);
	kefu_dict_free(ds->order_ids);
	kefu_dict_free(ds->statuses);
	kefu_dict_free(ds->vendors);
	kefu_dict_free(ds->teams);
	kefu_dict_free(ds->texts);
	kefu_messages *m = &ds->msg;
	FREE_ALL(m->shop, m->agent, m->buyer, m->dir, m->ts, m->text_hash, m->chars);
	kefu_orders *o = &ds->ord;
	FREE_ALL(o->shop, o->buyer, o->order_id, o->status, o->created, o->paid, o->amount,
		 o->items, o->refund, o->seq);
	kefu_ratings *r = &ds->rat;
	FREE_ALL(r->shop, r->order_id, r->buyer, r->ts, r->desc, r->service, r->shipping, r->seq);
	kefu_evals *e = &ds->ev;
	FREE_ALL(e->shop, e->agent, e->buyer, e->ts, e->level, e->seq);
	kefu_roster *ro = &ds->roster;
	FREE_ALL(ro->agent, ro->vendor, ro->team, ro->name, ro->from_day, ro->to_day,
		 ro->base_month_fen, ro->commission_rate, ro->row_of_agent);
	kefu_presence *p = &ds->pres;
	FREE_ALL(p->agent, p->login, p->logout);
	kefu_free(ds);
}

uint32_t kefu_utf8_count(const char *p, size_t n)
{
	/* Count bytes that are not UTF-8 continuation bytes (10xxxxxx). */
	uint32_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)p[i] & 0xC0) != 0x80;
	return c;
}

/* Grows a set of parallel columns to hold need rows. */
typedef struct {
	void **arr;
	size_t elsz;
} col;

static int resize_cols(col *cols, size_t ncols, size_t *cap, size_t ncap)
{
	for (size_t i = 0; i < ncols; i++) {
		void *p = kefu_realloc(*cols[i].arr, ncap * cols[i].elsz);
		if (!p)
			return KEFU_ENOMEM;
		*cols[i].arr = p;
	}
	*cap = ncap;
	return 0;
}

static int grow_cols(col *cols, size_t ncols, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 1024;
	while (ncap < need)
		ncap *= 2;
	return resize_cols(cols, ncols, cap, ncap);
}

#define COL(a) {(void **)&(a), sizeof *(a)}

static int intern(kefu_dict *d, kefu_str s, uint32_t *id)
{
	return kefu_dict_intern(d, s.p, s.n, id);
}

static int same_as(const kefu_dict *d, uint32_t id, kefu_str s)
{
	kefu_str p = kefu_dict_get(d, id);
	return p.n == s.n && memcmp(p.p, s.p, s.n) == 0;
}

static int add_message(kefu_dataset *ds, const kefu_message_rec *r)
{
	kefu_messages *m = &ds->msg;
	col cols[] = {COL(m->shop), COL(m->agent), COL(m->buyer), COL(m->dir),
		      COL(m->ts),   COL(m->text_hash), COL(m->chars)};
	if (grow_cols(cols, sizeof cols / sizeof cols[0], &m->cap, m->n + 1))
		return KEFU_ENOMEM;
	size_t i = m->n;
	/* Rows usually come in runs of one shop and agent: reuse the previous
	 * row's ids when the bytes match, skipping two hash lookups. */
	if (i > 0 && same_as(ds->shops, m->shop[i - 1], r->shop))
		m->shop[i] = m->shop[i - 1];
	else if (intern(ds->shops, r->shop, &m->shop[i]))
		return KEFU_ENOMEM;
	if (i > 0 && same_as(ds->agents, m->agent[i - 1], r->agent))
		m->agent[i] = m->agent[i - 1];
	else if (intern(ds->agents, r->agent, &m->agent[i]))
		return KEFU_ENOMEM;
	if (intern(ds->buyers, r->buyer, &m->buyer[i]))
		return KEFU_ENOMEM;
	m->dir[i] = (uint8_t)r->dir;
	m->ts[i] = r->ts;
	m->text_hash[i] = kefu_hash_bytes(r->text.p, r->text.n);
	/* only agent text is counted (客服字数) */
	m->chars[i] = r->dir == KEFU_DIR_A ? kefu_utf8_count(r->text.p, r->text.n) : 0;
	m->n++;
	return 0;
}

int kefu_dataset_add_message_ids(kefu_dataset *ds, uint32_t shop, uint32_t agent, uint32_t buyer,
				 int dir, int64_t ts, const char *text, size_t text_n)
{
	kefu_messages *m = &ds->msg;
	col cols[] = {COL(m->shop), COL(m->agent), COL(m->buyer), COL(m->dir),
		      COL(m->ts),   COL(m->text_hash), COL(m->chars)};
	if (shop >= kefu_dict_size(ds->shops) || agent >= kefu_dict_size(ds->agents) ||
	    buyer >= kefu_dict_size(ds->buyers) || dir < 0 || dir > 2)
		return KEFU_EINVAL;
	if (grow_cols(cols, sizeof cols / sizeof cols[0], &m->cap, m->n + 1))
		return KEFU_ENOMEM;
	size_t i = m->n;
	m->shop[i] = shop;
	m->agent[i] = agent;
	m->buyer[i] = buyer;
	m->dir[i] = (uint8_t)dir;
	m->ts[i] = ts;
	m->text_hash[i] = kefu_hash_bytes(text, text_n);
	m->chars[i] = dir == KEFU_DIR_A ? kefu_utf8_count(text, text_n) : 0;
	m->n++;
	return 0;
}

static int add_order(kefu_dataset *ds, const kefu_order_rec *r)
{
	kefu_orders *o = &ds->ord;
	col cols[] = {COL(o->shop), COL(o->buyer),  COL(o->order_id), COL(o->status),
		      COL(o->created), COL(o->paid), COL(o->amount),  COL(o->items),
		      COL(o->refund), COL(o->seq)};
	if (grow_cols(cols, sizeof cols / sizeof cols[0], &o->cap, o->n + 1))
		return KEFU_ENOMEM;
	size_t i = o->n;
	if (intern(ds->shops, r->shop, &o->shop[i]) || intern(ds->buyers, r->buyer, &o->buyer[i]) ||
	    intern(ds->order_ids, r->order_id, &o->order_id[i]) ||
	    intern(ds->statuses, r->status, &o->status[i]))
		return KEFU_ENOMEM;
	o->created[i] = r->created;
	o->paid[i] = r->paid;
	o->amount[i] = r->amount;
	o->items[i] = r->items;
	o->refund[i] = r->refund;
	o->seq[i] = (uint32_t)i;
	o->n++;
	return 0;
}

static int add_rating(kefu_dataset *ds, const kefu_rating_rec *r)
{
	kefu_ratings *t = &ds->rat;
	col cols[] = {COL(t->shop), COL(t->order_id), COL(t->buyer),    COL(t->ts),
		      COL(t->desc), COL(t->service),  COL(t->shipping), COL(t->seq)};
	if (grow_cols(cols, sizeof cols / sizeof cols[0], &t->cap, t->n + 1))
		return KEFU_ENOMEM;
	size_t i = t->n;
	if (intern(ds->shops, r->shop, &t->shop[i]) ||
	    intern(ds->order_ids, r->order_id, &t->order_id[i]) ||
	    intern(ds->buyers, r->buyer, &t->buyer[i]))
		return KEFU_ENOMEM;
	t->ts[i] = r->ts;
	t->desc[i] = (uint8_t)r->desc;
	t->service[i] = (uint8_t)r->service;
	t->shipping[i] = (uint8_t)r->shipping;
	t->seq[i] = (uint32_t)i;
	t->n++;
	return 0;
}

static int add_eval(kefu_dataset *ds, const kefu_eval_rec *r)
{
	kefu_evals *e = &ds->ev;
	col cols[] = {COL(e->shop), COL(e->agent), COL(e->buyer),
		      COL(e->ts),   COL(e->level), COL(e->seq)};
	if (grow_cols(cols, sizeof cols / sizeof cols[0], &e->cap, e->n + 1))
		return KEFU_ENOMEM;
	size_t i = e->n;
	if (intern(ds->shops, r->shop, &e->shop[i]) || intern(ds->agents, r->agent, &e->agent[i]) ||
	    intern(ds->buyers, r->buyer, &e->buyer[i]))
		return KEFU_ENOMEM;
	e->ts[i] = r->ts;
	e->level[i] = (uint8_t)r->level;
	e->seq[i] = (uint32_t)i;
	e->n++;
	return 0;
}

static int add_agent(kefu_dataset *ds, const kefu_agent_rec *r)
{
	kefu_roster *ro = &ds->roster;
	col cols[] = {COL(ro->agent),   COL(ro->vendor), COL(ro->team),
		      COL(ro->name),    COL(ro->from_day), COL(ro->to_day),
		      COL(ro->base_month_fen), COL(ro->commission_rate)};
	if (grow_cols(cols, sizeof cols / sizeof cols[0], &ro->cap, ro->n + 1))
		return KEFU_ENOMEM;
	size_t i = ro->n;
	kefu_str vendor = r->vendor.n ? r->vendor : (kefu_str){"unknown", 7};
	if (intern(ds->agents, r->agent, &ro->agent[i]) || intern(ds->vendors, vendor, &ro->vendor[i]) ||
	    intern(ds->teams, r->team, &ro->team[i]) || intern(ds->texts, r->name, &ro->name[i]))
		return KEFU_ENOMEM;
	ro->from_day[i] = r->from_day;
	ro->to_day[i] = r->to_day;
	ro->base_month_fen[i] = r->base_month_fen;
	ro->commission_rate[i] = KEFU_NO_ID;
	if (r->commission_rate.n && intern(ds->texts, r->commission_rate, &ro->commission_rate[i]))
		return KEFU_ENOMEM;
	ro->n++;
	return 0;
}

static int add_presence(kefu_dataset *ds, const kefu_presence_rec *r)
{
	kefu_presence *p = &ds->pres;
	col cols[] = {COL(p->agent), COL(p->login), COL(p->logout)};
	if (grow_cols(cols, sizeof cols / sizeof cols[0], &p->cap, p->n + 1))
		return KEFU_ENOMEM;
	if (intern(ds->agents, r->agent, &p->agent[p->n]))
		return KEFU_ENOMEM;
	p->login[p->n] = r->login;
	p->logout[p->n] = r->logout;
	p->n++;
	return 0;
}

int kefu_dataset_reserve(kefu_dataset *ds, kefu_kind kind, size_t rows)
{
	if (kind == KEFU_KIND_MESSAGES) {
		kefu_messages *m = &ds->msg;
		col cols[] = {COL(m->shop), COL(m->agent), COL(m->buyer), COL(m->dir),
			      COL(m->ts),   COL(m->text_hash), COL(m->chars)};
		if (m->n + rows > m->cap)
			return resize_cols(cols, sizeof cols / sizeof cols[0], &m->cap, m->n + rows);
	} else if (kind == KEFU_KIND_ORDERS) {
		kefu_orders *o = &ds->ord;
		col cols[] = {COL(o->shop), COL(o->buyer),  COL(o->order_id), COL(o->status),
			      COL(o->created), COL(o->paid), COL(o->amount),  COL(o->items),
			      COL(o->refund), COL(o->seq)};
		if (o->n + rows > o->cap)
			return resize_cols(cols, sizeof cols / sizeof cols[0], &o->cap, o->n + rows);
	}
	return 0;
}

int kefu_dataset_add(kefu_dataset *ds, const kefu_record *rec, kefu_err *err)
{
	if (ds->finalized)
		return kefu_err_set(err, KEFU_EINVAL, "dataset already finalized");
	int rc;
	switch (rec->kind) {
	case KEFU_KIND_MESSAGES: rc = add_message(ds, &rec->u.msg); break;
	case KEFU_KIND_ORDERS: rc = add_order(ds, &rec->u.ord); break;
	case KEFU_KIND_RATINGS: rc = add_rating(ds, &rec->u.rat); break;
	case KEFU_KIND_EVALS: rc = add_eval(ds, &rec->u.ev); break;
	case KEFU_KIND_AGENTS: rc = add_agent(ds, &rec->u.ag); break;
	case KEFU_KIND_PRESENCE: rc = add_presence(ds, &rec->u.pr); break;
	default: return kefu_err_set(err, KEFU_EINVAL, "unknown record kind");
	}
	if (rc)
		return kefu_err_set(err, rc, "out of memory while building the dataset");
	return 0;
}

static void remap(uint32_t *col_, size_t n, const uint32_t *map)
{
	for (size_t i = 0; i < n; i++)
		if (col_[i] != KEFU_NO_ID)
			col_[i] = map[col_[i]];
}

/* Sort helper for keeping the last row per key. */
typedef struct {
	uint64_t key;
	uint32_t seq;
	uint32_t idx;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
	const keyed *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Returns a sorted list of row indices to keep (last per key when keep_last,
 * else first). *kept receives the count. */
static int select_rows(const uint64_t *keys, const uint32_t *seq, size_t n, int keep_last,
		       uint32_t **out, size_t *kept)
{
	keyed *k = kefu_malloc((n + 1) * sizeof *k);
	uint32_t *sel = kefu_malloc((n + 1) * sizeof *sel);
	if (!k || !sel) {
		kefu_free(k);
		kefu_free(sel);
		return KEFU_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		k[i] = (keyed){keys[i], seq[i], (uint32_t)i};
	qsort(k, n, sizeof *k, cmp_keyed);
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		int last_of_key = i + 1 == n || k[i + 1].key != k[i].key;
		int first_of_key = i == 0 || k[i - 1].key != k[i].key;
		if (keep_last ? last_of_key : first_of_key)
			sel[w++] = k[i].idx;
	}
	kefu_free(k);
	*out = sel;
	*kept = w;
	return 0;
}

/* Compacts parallel columns to the selected row indices (in selection order). */
static int compact(col *cols, size_t ncols, const uint32_t *sel, size_t kept)
{
	for (size_t c = 0; c < ncols; c++) {
		size_t sz = cols[c].elsz;
		char *src = *cols[c].arr;
		char *dst = kefu_malloc((kept + 1) * sz);
		if (!dst)
			return KEFU_ENOMEM;
		for (size_t i = 0; i < kept; i++)
			memcpy(dst + i * sz, src + (size_t)sel[i] * sz, sz);
		kefu_free(src);
		*cols[c].arr = dst;
	}
	return 0;
}

static int dedupe_orders(kefu_dataset *ds)
{
	kefu_orders *o = &ds->ord;
	if (!o->n)
		return 0;
	uint64_t *keys = kefu_malloc(o->n * sizeof *keys);
	if (!keys)
		return KEFU_ENOMEM;
	for (size_t i = 0; i < o->n; i++)
		keys[i] = (uint64_t)o->shop[i] << 32 | o->order_id[i];
	uint32_t *sel;
	size_t kept;
	int rc = select_rows(keys, o->seq, o->n, 1, &sel, &kept);
	kefu_free(keys);
	if (rc)
		return rc;
	col cols[] = {COL(o->shop), COL(o->buyer),  COL(o->order_id), COL(o->status),
		      COL(o->created), COL(o->paid), COL(o->amount),  COL(o->items),
		      COL(o->refund), COL(o->seq)};
	rc = compact(cols, sizeof cols / sizeof cols[0], sel, kept);
	kefu_free(sel);
	ds->orders_replaced = o->n - kept;
	o->n = o->cap = kept;
	return rc;
}

static int dedupe_ratings(kefu_dataset *ds)
{
	kefu_ratings *t = &ds->rat;
	if (!t->n)
		return 0;
	uint64_t *keys = kefu_malloc(t->n * sizeof *keys);
	if (!keys)
		return KEFU_ENOMEM;
	for (size_t i = 0; i < t->n; i++)
		keys[i] = (uint64_t)t->shop[i] << 32 | t->order_id[i];
	uint32_t *sel;
	size_t kept;
	int rc = select_rows(keys, t->seq, t->n, 1, &sel, &kept);
	kefu_free(keys);
	if (rc)
		return rc;
	col cols[] = {COL(t->shop), COL(t->order_id), COL(t->buyer),    COL(t->ts),
		      COL(t->desc), COL(t->service),  COL(t->shipping), COL(t->seq)};
	rc = compact(cols, sizeof cols / sizeof cols[0], sel, kept);
	kefu_free(sel);
	ds->ratings_replaced = t->n - kept;
	t->n = t->cap = kept;
	return rc;
}

static int dedupe_evals(kefu_dataset *ds)
{
	kefu_evals *e = &ds->ev;
	if (!e->n)
		return 0;
	/* Key (shop, agent, buyer, ts) does not fit 64 bits: hash it, then the
	 * sort groups equal hashes; the chance of two different keys sharing a
	 * 64-bit hash is negligible (2^-64 per pair). */
	uint64_t *keys = kefu_malloc(e->n * sizeof *keys);
	if (!keys)
		return KEFU_ENOMEM;
	for (size_t i = 0; i < e->n; i++) {
		uint64_t k[3] = {(uint64_t)e->shop[i] << 32 | e->agent[i], e->buyer[i],
				 (uint64_t)e->ts[i]};
		keys[i] = kefu_hash_bytes(k, sizeof k);
	}
	uint32_t *sel;
	size_t kept;
	int rc = select_rows(keys, e->seq, e->n, 0, &sel, &kept);
	kefu_free(keys);
	if (rc)
		return rc;
	col cols[] = {COL(e->shop), COL(e->agent), COL(e->buyer),
		      COL(e->ts),   COL(e->level), COL(e->seq)};
	rc = compact(cols, sizeof cols / sizeof cols[0], sel, kept);
	kefu_free(sel);
	ds->evals_duplicate = e->n - kept;
	e->n = e->cap = kept;
	return rc;
}

int kefu_dataset_finalize(kefu_dataset *ds, kefu_err *err)
{
	if (ds->finalized)
		return 0;
	uint32_t *map = NULL;
	int rc = 0;
	/* shops */
	if ((rc = kefu_dict_sort(ds->shops, &map)))
		goto fail;
	remap(ds->msg.shop, ds->msg.n, map);
	remap(ds->ord.shop, ds->ord.n, map);
	remap(ds->rat.shop, ds->rat.n, map);
	remap(ds->ev.shop, ds->ev.n, map);
	kefu_free(map);
	/* agents */
	if ((rc = kefu_dict_sort(ds->agents, &map)))
		goto fail;
	remap(ds->msg.agent, ds->msg.n, map);
	remap(ds->ev.agent, ds->ev.n, map);
	remap(ds->roster.agent, ds->roster.n, map);
	remap(ds->pres.agent, ds->pres.n, map);
	kefu_free(map);
	/* buyers */
	if ((rc = kefu_dict_sort(ds->buyers, &map)))
		goto fail;
	remap(ds->msg.buyer, ds->msg.n, map);
	remap(ds->ord.buyer, ds->ord.n, map);
	remap(ds->rat.buyer, ds->rat.n, map);
	remap(ds->ev.buyer, ds->ev.n, map);
	kefu_free(map);
	/* order ids */
	if ((rc = kefu_dict_sort(ds->order_ids, &map)))
		goto fail;
	remap(ds->ord.order_id, ds->ord.n, map);
	remap(ds->rat.order_id, ds->rat.n, map);
	kefu_free(map);
	if ((rc = kefu_dict_sort(ds->vendors, &map)))
		goto fail;
	remap(ds->roster.vendor, ds->roster.n, map);
	kefu_free(map);
	if ((rc = kefu_dict_sort(ds->teams, &map)))
		goto fail;
	remap(ds->roster.team, ds->roster.n, map);
	kefu_free(map);
	map = NULL;
	if ((rc = dedupe_orders(ds)) || (rc = dedupe_ratings(ds)) || (rc = dedupe_evals(ds)))
		goto fail;
	/* roster: the last row of each agent wins */
	uint32_t nag = kefu_dict_size(ds->agents);
	ds->roster.row_of_agent = kefu_malloc(((size_t)nag + 1) * sizeof(uint32_t));
	if (!ds->roster.row_of_agent) {
		rc = KEFU_ENOMEM;
		goto fail;
	}
	for (uint32_t a = 0; a < nag; a++)
		ds->roster.row_of_agent[a] = KEFU_NO_ID;
	for (size_t i = 0; i < ds->roster.n; i++)
		ds->roster.row_of_agent[ds->roster.agent[i]] = (uint32_t)i;
	ds->finalized = 1;
	return 0;
fail:
	kefu_free(map);
	return kefu_err_set(err, rc, "out of memory while finalizing the dataset");
}

/* Builds old-id -> dst-id maps by interning each of src's strings in dst. */
static int map_dict(kefu_dict *dst, const kefu_dict *src, uint32_t **out)
{
	uint32_t n = kefu_dict_size(src);
	uint32_t *map = kefu_malloc(((size_t)n + 1) * sizeof *map);
	if (!map)
		return KEFU_ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		kefu_str s = kefu_dict_get(src, i);
		if (kefu_dict_intern(dst, s.p, s.n, &map[i])) {
			kefu_free(map);
			return KEFU_ENOMEM;
		}
	}
	*out = map;
	return 0;
}

static uint32_t mapped(const uint32_t *map, uint32_t id)
{
	return id == KEFU_NO_ID ? KEFU_NO_ID : map[id];
}

int kefu_dataset_merge(kefu_dataset *dst, const kefu_dataset *src, kefu_err *err)
{
	if (dst->finalized || src->finalized)
		return kefu_err_set(err, KEFU_EINVAL, "cannot merge finalized datasets");
	enum { SHOP, AGENT, BUYER, OID, STATUS, VENDOR, TEAM, TEXT, NDICT };
	kefu_dict *dd[NDICT] = {dst->shops,    dst->agents,  dst->buyers, dst->order_ids,
				dst->statuses, dst->vendors, dst->teams,  dst->texts};
	const kefu_dict *sd[NDICT] = {src->shops,    src->agents,  src->buyers, src->order_ids,
				      src->statuses, src->vendors, src->teams,  src->texts};
	uint32_t *map[NDICT] = {0};
	int rc = 0;
	for (int i = 0; i < NDICT && !rc; i++)
		rc = map_dict(dd[i], sd[i], &map[i]);
	if (rc)
		goto done;
	/* messages */
	{
		const kefu_messages *m = &src->msg;
		kefu_messages *t = &dst->msg;
		col cols[] = {COL(t->shop), COL(t->agent), COL(t->buyer), COL(t->dir),
			      COL(t->ts),   COL(t->text_hash), COL(t->chars)};
		if ((rc = grow_cols(cols, sizeof cols / sizeof cols[0], &t->cap, t->n + m->n)))
			goto done;
		for (size_t i = 0; i < m->n; i++) {
			size_t j = t->n + i;
			t->shop[j] = map[SHOP][m->shop[i]];
			t->agent[j] = map[AGENT][m->agent[i]];
			t->buyer[j] = map[BUYER][m->buyer[i]];
		}
		memcpy(t->dir + t->n, m->dir, m->n * sizeof *m->dir);
		memcpy(t->ts + t->n, m->ts, m->n * sizeof *m->ts);
		memcpy(t->text_hash + t->n, m->text_hash, m->n * sizeof *m->text_hash);
		memcpy(t->chars + t->n, m->chars, m->n * sizeof *m->chars);
		t->n += m->n;
	}
	/* orders: seq continues after dst's rows */
	{
		const kefu_orders *o = &src->ord;
		kefu_orders *t = &dst->ord;
		col cols[] = {COL(t->shop), COL(t->buyer),  COL(t->order_id), COL(t->status),
			      COL(t->created), COL(t->paid), COL(t->amount),  COL(t->items),
			      COL(t->refund), COL(t->seq)};
		if ((rc = grow_cols(cols, sizeof cols / sizeof cols[0], &t->cap, t->n + o->n)))
			goto done;
		for (size_t i = 0; i < o->n; i++) {
			size_t j = t->n + i;
			t->shop[j] = map[SHOP][o->shop[i]];
			t->buyer[j] = map[BUYER][o->buyer[i]];
			t->order_id[j] = map[OID][o->order_id[i]];
			t->status[j] = map[STATUS][o->status[i]];
			t->created[j] = o->created[i];
			t->paid[j] = o->paid[i];
			t->amount[j] = o->amount[i];
			t->items[j] = o->items[i];
			t->refund[j] = o->refund[i];
			t->seq[j] = (uint32_t)j;
		}
		t->n += o->n;
	}
	{
		const kefu_ratings *r = &src->rat;
		kefu_ratings *t = &dst->rat;
		col cols[] = {COL(t->shop), COL(t->order_id), COL(t->buyer),    COL(t->ts),
			      COL(t->desc), COL(t->service),  COL(t->shipping), COL(t->seq)};
		if ((rc = grow_cols(cols, sizeof cols / sizeof cols[0], &t->cap, t->n + r->n)))
			goto done;
		for (size_t i = 0; i < r->n; i++) {
			size_t j = t->n + i;
			t->shop[j] = map[SHOP][r->shop[i]];
			t->order_id[j] = map[OID][r->order_id[i]];
			t->buyer[j] = map[BUYER][r->buyer[i]];
			t->ts[j] = r->ts[i];
			t->desc[j] = r->desc[i];
			t->service[j] = r->service[i];
			t->shipping[j] = r->shipping[i];
			t->seq[j] = (uint32_t)j;
		}
		t->n += r->n;
	}
	{
		const kefu_evals *e = &src->ev;
		kefu_evals *t = &dst->ev;
		col cols[] = {COL(t->shop), COL(t->agent), COL(t->buyer),
			      COL(t->ts),   COL(t->level), COL(t->seq)};
		if ((rc = grow_cols(cols, sizeof cols / sizeof cols[0], &t->cap, t->n + e->n)))
			goto done;
		for (size_t i = 0; i < e->n; i++) {
			size_t j = t->n + i;
			t->shop[j] = map[SHOP][e->shop[i]];
			t->agent[j] = map[AGENT][e->agent[i]];
			t->buyer[j] = map[BUYER][e->buyer[i]];
			t->ts[j] = e->ts[i];
			t->level[j] = e->level[i];
			t->seq[j] = (uint32_t)j;
		}
		t->n += e->n;
	}
	{
		const kefu_roster *r = &src->roster;
		kefu_roster *t = &dst->roster;
		col cols[] = {COL(t->agent),   COL(t->vendor), COL(t->team),
			      COL(t->name),    COL(t->from_day), COL(t->to_day),
			      COL(t->base_month_fen), COL(t->commission_rate)};
		if ((rc = grow_cols(cols, sizeof cols / sizeof cols[0], &t->cap, t->n + r->n)))
			goto done;
		for (size_t i = 0; i < r->n; i++) {
			size_t j = t->n + i;
			t->agent[j] = map[AGENT][r->agent[i]];
			t->vendor[j] = map[VENDOR][r->vendor[i]];
			t->team[j] = map[TEAM][r->team[i]];
			t->name[j] = map[TEXT][r->name[i]];
			t->from_day[j] = r->from_day[i];
			t->to_day[j] = r->to_day[i];
			t->base_month_fen[j] = r->base_month_fen[i];
			t->commission_rate[j] = mapped(map[TEXT], r->commission_rate[i]);
		}
		t->n += r->n;
	}
	{
		const kefu_presence *p = &src->pres;
		kefu_presence *t = &dst->pres;
		col cols[] = {COL(t->agent), COL(t->login), COL(t->logout)};
		if ((rc = grow_cols(cols, sizeof cols / sizeof cols[0], &t->cap, t->n + p->n)))
			goto done;
		for (size_t i = 0; i < p->n; i++) {
			t->agent[t->n + i] = map[AGENT][p->agent[i]];
			t->login[t->n + i] = p->login[i];
			t->logout[t->n + i] = p->logout[i];
		}
		t->n += p->n;
	}
done:
	for (int i = 0; i < NDICT; i++)
		kefu_free(map[i]);
	if (rc)
		return kefu_err_set(err, rc, "out of memory while merging datasets");
	return 0;
}
