/*
 * store_load.c - reads every stored row into a kefu_dataset (the input of
 * the KPI engines). One read transaction gives a consistent snapshot; the
 * dimension tables are read into id-indexed arrays first so that each row
 * table is one plain scan in rowid (insertion) order with no joins, and
 * messages are read segment by segment (msgseg.h).
 */
#include "store_int.h"

#include <string.h>

/* A dimension table in memory: id -> name slice into one buffer. */
typedef struct dim_names {
	kefu_str *name; /* indexed by id; {NULL,0} for unused ids */
	size_t n;       /* max id + 1 */
	char *buf;
} dim_names;

static void dim_names_free(dim_names *d)
{
	kefu_free(d->name);
	kefu_free(d->buf);
	memset(d, 0, sizeof *d);
}

static int load_dim(kefu_store *st, const char *table, dim_names *d, kefu_err *err)
{
	char sql[96];
	sqlite3_stmt *s = NULL;
	int rc = 0;
	size_t *off = NULL, len = 0, cap = 0, offcap = 0;
	memset(d, 0, sizeof *d);
	snprintf(sql, sizeof sql, "SELECT id, name FROM %s ORDER BY id", table);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, err, "load names");
	/* first pass into offsets (the buffer moves while it grows) */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const unsigned char *p = sqlite3_column_text(s, 1);
		size_t n = (size_t)sqlite3_column_bytes(s, 1);
		if (id < 0 || (uint64_t)id >= (uint64_t)1 << 32) {
			rc = kefu_err_set(err, KEFU_ESTORE, "load names: bad id in %s", table);
			goto out;
		}
		size_t need = (size_t)id + 1;
		if (need > d->n) {
			if (kefu_grow((void **)&off, &offcap, need * 2, sizeof *off))
				goto oom;
			for (size_t i = d->n; i < need; i++)
				off[2 * i] = off[2 * i + 1] = 0;
			d->n = need;
		}
		if (kefu_grow((void **)&d->buf, &cap, len + n + 1, 1))
			goto oom;
		if (n)
			memcpy(d->buf + len, p, n);
		off[2 * (size_t)id] = len;
		off[2 * (size_t)id + 1] = n;
		len += n;
	}
	if (rc != SQLITE_DONE) {
		rc = store_fail(st, err, "load names");
		goto out;
	}
	rc = 0;
	d->name = kefu_calloc(d->n ? d->n : 1, sizeof *d->name);
	if (!d->name)
		goto oom;
	for (size_t i = 0; i < d->n; i++)
		d->name[i] = (kefu_str){d->buf ? d->buf + off[2 * i] : "", off[2 * i + 1]};
	goto out;
oom:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
out:
	kefu_free(off);
	sqlite3_finalize(s);
	if (rc)
		dim_names_free(d);
	return rc;
}

/* Name of id in d, or an error when the id is dangling. */
static int name_of(const dim_names *d, int64_t id, kefu_str *out, kefu_err *err)
{
	if (id < 0 || (uint64_t)id >= d->n)
		return kefu_err_set(err, KEFU_ESTORE, "load: dangling name id %lld",
				    (long long)id);
	*out = d->name[id];
	return 0;
}

static kefu_str col_str(sqlite3_stmt *s, int i)
{
	const char *p = (const char *)sqlite3_column_text(s, i);
	return (kefu_str){p ? p : "", (size_t)sqlite3_column_bytes(s, i)};
}

static int64_t col_int_or(sqlite3_stmt *s, int i, int64_t none)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? none : sqlite3_column_int64(s, i);
}

enum { L_ORD, L_RAT, L_EV, L_ROS, L_PRE, L_COUNT };

static const char *const load_sql[L_COUNT] = {
	[L_ORD] = "SELECT shop_id, order_id, buyer_id, status, created, paid, amount, items,"
		  " refund FROM orders ORDER BY id",
	[L_RAT] = "SELECT shop_id, order_id, buyer_id, ts, dsr_desc, dsr_service, dsr_shipping"
		  " FROM ratings ORDER BY id",
	[L_EV] = "SELECT shop_id, agent_id, buyer_id, ts, level FROM evals ORDER BY id",
	[L_ROS] = "SELECT agent_id, vendor, team, name, from_day, to_day, base_month_fen,"
		  " commission_rate FROM roster ORDER BY agent_id",
	[L_PRE] = "SELECT agent_id, login, logout FROM presence ORDER BY id",
};

/* Fills rec from the current row of table t. */
static int row_to_record(int t, sqlite3_stmt *s, const dim_names *dims, kefu_record *rec,
			 kefu_err *err)
{
	const dim_names *shops = &dims[DIM_SHOP], *agents = &dims[DIM_AGENT],
			*buyers = &dims[DIM_BUYER];
	int rc = 0;
	memset(rec, 0, sizeof *rec);
	switch (t) {
	case L_ORD: {
		kefu_order_rec *o = &rec->u.ord;
		rec->kind = KEFU_KIND_ORDERS;
		if ((rc = name_of(shops, sqlite3_column_int64(s, 0), &o->shop, err)) ||
		    (rc = name_of(buyers, sqlite3_column_int64(s, 2), &o->buyer, err)))
			return rc;
		o->order_id = col_str(s, 1);
		o->status = col_str(s, 3);
		o->created = sqlite3_column_int64(s, 4);
		o->paid = col_int_or(s, 5, KEFU_TS_NONE);
		o->amount = sqlite3_column_int64(s, 6);
		o->items = sqlite3_column_int64(s, 7);
		o->refund = sqlite3_column_int64(s, 8);
		break;
	}
	case L_RAT: {
		kefu_rating_rec *r = &rec->u.rat;
		rec->kind = KEFU_KIND_RATINGS;
		if ((rc = name_of(shops, sqlite3_column_int64(s, 0), &r->shop, err)) ||
		    (rc = name_of(buyers, sqlite3_column_int64(s, 2), &r->buyer, err)))
			return rc;
		r->order_id = col_str(s, 1);
		r->ts = sqlite3_column_int64(s, 3);
		r->desc = sqlite3_column_int(s, 4);
		r->service = sqlite3_column_int(s, 5);
		r->shipping = sqlite3_column_int(s, 6);
		break;
	}
	case L_EV: {
		kefu_eval_rec *e = &rec->u.ev;
		rec->kind = KEFU_KIND_EVALS;
		if ((rc = name_of(shops, sqlite3_column_int64(s, 0), &e->shop, err)) ||
		    (rc = name_of(agents, sqlite3_column_int64(s, 1), &e->agent, err)) ||
		    (rc = name_of(buyers, sqlite3_column_int64(s, 2), &e->buyer, err)))
			return rc;
		e->ts = sqlite3_column_int64(s, 3);
		e->level = sqlite3_column_int(s, 4);
		break;
	}
	case L_ROS: {
		kefu_agent_rec *a = &rec->u.ag;
		rec->kind = KEFU_KIND_AGENTS;
		if ((rc = name_of(agents, sqlite3_column_int64(s, 0), &a->agent, err)))
			return rc;
		a->vendor = col_str(s, 1);
		a->team = col_str(s, 2);
		a->name = col_str(s, 3);
		a->from_day = col_int_or(s, 4, INT64_MIN);
		a->to_day = col_int_or(s, 5, INT64_MAX);
		a->base_month_fen = col_int_or(s, 6, -1);
		a->commission_rate = sqlite3_column_type(s, 7) == SQLITE_NULL
					     ? (kefu_str){"", 0}
					     : col_str(s, 7);
		break;
	}
	case L_PRE: {
		kefu_presence_rec *p = &rec->u.pr;
		rec->kind = KEFU_KIND_PRESENCE;
		if ((rc = name_of(agents, sqlite3_column_int64(s, 0), &p->agent, err)))
			return rc;
		p->login = sqlite3_column_int64(s, 1);
		p->logout = sqlite3_column_int64(s, 2);
		break;
	}
	default: return kefu_err_set(err, KEFU_EINVAL, "load: bad table");
	}
	return 0;
}

/* Messages: each store name id is interned into the dataset once (ids[d]
 * maps store id -> dataset id, KEFU_NO_ID until first seen), then rows
 * are appended by id. */
typedef struct msg_load {
	const dim_names *dims;
	kefu_dataset *ds;
	uint32_t *ids[DIM_COUNT];
} msg_load;

static int dataset_id(msg_load *l, int d, uint32_t store_id, uint32_t *out, kefu_err *err)
{
	static const char *const what[DIM_COUNT] = {"shop", "agent", "buyer"};
	const dim_names *names = &l->dims[d];
	if (store_id >= names->n)
		return kefu_err_set(err, KEFU_ESTORE, "load: dangling %s id %u", what[d], store_id);
	if (l->ids[d][store_id] == KEFU_NO_ID) {
		kefu_dict *dict = d == DIM_SHOP    ? l->ds->shops
				  : d == DIM_AGENT ? l->ds->agents
						   : l->ds->buyers;
		kefu_str name = names->name[store_id];
		if (kefu_dict_intern(dict, name.p, name.n, &l->ids[d][store_id]))
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	*out = l->ids[d][store_id];
	return 0;
}

static int load_segment(void *ctx, const kefu_msgseg *seg, kefu_err *err)
{
	msg_load *l = ctx;
	for (size_t i = 0; i < seg->n; i++) {
		uint32_t shop, agent, buyer;
		int rc;
		if ((rc = dataset_id(l, DIM_SHOP, seg->shop[i], &shop, err)) ||
		    (rc = dataset_id(l, DIM_AGENT, seg->agent[i], &agent, err)) ||
		    (rc = dataset_id(l, DIM_BUYER, seg->buyer[i], &buyer, err)))
			return rc;
		rc = kefu_dataset_add_message_ids(l->ds, shop, agent, buyer, seg->dir[i], seg->ts[i],
						  seg->text + seg->text_off[i],
						  (size_t)(seg->text_off[i + 1] - seg->text_off[i]));
		if (rc)
			return kefu_err_set(err, rc, "out of memory while building the dataset");
	}
	return 0;
}

int kefu_store_load(kefu_store *st, kefu_dataset *ds, kefu_err *err)
{
	static const char *const dim_table[DIM_COUNT] = {"dim_shop", "dim_agent", "dim_buyer"};
	dim_names dims[DIM_COUNT];
	sqlite3_stmt *s = NULL;
	int rc = 0, own_txn = !st->in_import;
	memset(dims, 0, sizeof dims);
	if (st->in_import && (rc = store_flush_messages(st, err)))
		return rc;
	if (own_txn && (rc = store_exec(st, "BEGIN", err)))
		return rc;
	for (int d = 0; d < DIM_COUNT; d++)
		if ((rc = load_dim(st, dim_table[d], &dims[d], err)))
			goto out;
	msg_load ml = {dims, ds, {NULL, NULL, NULL}};
	kefu_msgseg seg;
	memset(&seg, 0, sizeof seg);
	kefu_msgseg_filter all = KEFU_MSGSEG_ALL;
	int64_t nmsg = 0;
	for (int d = 0; d < DIM_COUNT && rc == 0; d++) {
		if (!(ml.ids[d] = kefu_malloc((dims[d].n ? dims[d].n : 1) * sizeof *ml.ids[d])))
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		else
			memset(ml.ids[d], 0xff, (dims[d].n ? dims[d].n : 1) * sizeof *ml.ids[d]);
	}
	if (!rc && !(rc = kefu_msgseg_count(st->db, &nmsg, err)) && nmsg > 0 &&
	    kefu_dataset_reserve(ds, KEFU_KIND_MESSAGES, (size_t)nmsg))
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	if (!rc)
		rc = kefu_msgseg_scan(st->db, &all, &seg, load_segment, &ml, err);
	kefu_msgseg_free(&seg);
	for (int d = 0; d < DIM_COUNT; d++)
		kefu_free(ml.ids[d]);
	if (rc)
		goto out;
	for (int t = 0; t < L_COUNT; t++) {
		if (sqlite3_prepare_v2(st->db, load_sql[t], -1, &s, NULL) != SQLITE_OK) {
			rc = store_fail(st, err, "load");
			goto out;
		}
		int step;
		while ((step = sqlite3_step(s)) == SQLITE_ROW) {
			kefu_record rec;
			if ((rc = row_to_record(t, s, dims, &rec, err)) ||
			    (rc = kefu_dataset_add(ds, &rec, err)))
				goto out;
		}
		if (step != SQLITE_DONE) {
			rc = store_fail(st, err, "load");
			goto out;
		}
		sqlite3_finalize(s);
		s = NULL;
	}
out:
	sqlite3_finalize(s);
	for (int d = 0; d < DIM_COUNT; d++)
		dim_names_free(&dims[d]);
	if (own_txn)
		sqlite3_exec(st->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	return rc;
}
