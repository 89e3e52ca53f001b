/*
 * snapshot.c - writing and reading a finalized dataset as one flat image
 * (see snapshot.h). Table-driven: every column of every kind is listed
 * once in `columns`, with the row count it follows.
 */
#include "kefu/snapshot.h"

#include <string.h>

#define MAGIC "KEFUSNP1"

typedef struct colref {
	void **arr;
	size_t elsz;
	size_t *count; /* rows of the kind */
} colref;

#define C(kind, field) {(void **)&ds->kind.field, sizeof *ds->kind.field, &ds->kind.n}

/* Fills refs with every column; returns how many. */
static size_t columns(kefu_dataset *ds, colref *refs)
{
	colref all[] = {
		C(msg, shop), C(msg, agent), C(msg, buyer), C(msg, dir), C(msg, ts),
		C(msg, text_hash), C(msg, chars),
		C(ord, shop), C(ord, buyer), C(ord, order_id), C(ord, status), C(ord, created),
		C(ord, paid), C(ord, amount), C(ord, items), C(ord, refund), C(ord, seq),
		C(rat, shop), C(rat, order_id), C(rat, buyer), C(rat, ts), C(rat, desc),
		C(rat, service), C(rat, shipping), C(rat, seq),
		C(ev, shop), C(ev, agent), C(ev, buyer), C(ev, ts), C(ev, level), C(ev, seq),
		C(roster, agent), C(roster, vendor), C(roster, team), C(roster, name),
		C(roster, from_day), C(roster, to_day), C(roster, base_month_fen),
		C(roster, commission_rate),
		C(pres, agent), C(pres, login), C(pres, logout),
	};
	size_t n = sizeof all / sizeof all[0];
	memcpy(refs, all, sizeof all);
	return n;
}

int kefu_snap_put_to(kefu_snap_writer *w, const void *p, size_t n)
{
	uint64_t n64 = n;
	if (w->write(w->ctx, &n64, 8) || (n && w->write(w->ctx, p, n)))
		return KEFU_EIO;
	return 0;
}

typedef struct buf_sink {
	char *buf;
	size_t len, cap;
} buf_sink;

static int buf_write(void *ctx, const void *p, size_t n)
{
	buf_sink *b = ctx;
	if (kefu_grow((void **)&b->buf, &b->cap, b->len + n, 1))
		return -1;
	if (n)
		memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

int kefu_snap_put(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	buf_sink b = {*buf, *len, *cap};
	kefu_snap_writer w = {buf_write, &b};
	int rc = kefu_snap_put_to(&w, p, n);
	*buf = b.buf;
	*len = b.len;
	*cap = b.cap;
	return rc ? KEFU_ENOMEM : 0;
}

int kefu_snapshot_write_to(const kefu_dataset *cds, kefu_snap_writer *w, kefu_err *err)
{
	if (!cds->finalized)
		return kefu_err_set(err, KEFU_EINVAL, "only finalized datasets have snapshots");
	kefu_dataset *ds = (kefu_dataset *)cds; /* columns() wants non-const pointers; read only */
	colref refs[64];
	size_t nc = columns(ds, refs);
	const kefu_dict *dicts[] = {ds->shops,    ds->agents,  ds->buyers, ds->order_ids,
				    ds->statuses, ds->vendors, ds->teams,  ds->texts};
	uint64_t counts[6] = {ds->msg.n, ds->ord.n, ds->rat.n, ds->ev.n, ds->roster.n, ds->pres.n};
	int rc = kefu_snap_put_to(w, MAGIC, 8);
	for (size_t i = 0; !rc && i < sizeof dicts / sizeof dicts[0]; i++)
		rc = kefu_dict_write_to(dicts[i], w);
	if (!rc)
		rc = kefu_snap_put_to(w, counts, sizeof counts);
	for (size_t i = 0; !rc && i < nc; i++)
		rc = kefu_snap_put_to(w, *refs[i].arr, *refs[i].count * refs[i].elsz);
	if (!rc)
		rc = kefu_snap_put_to(w, ds->roster.row_of_agent,
				      (size_t)kefu_dict_size(ds->agents) * sizeof(uint32_t));
	return rc ? kefu_err_set(err, KEFU_EIO, "writing a snapshot stopped") : 0;
}

int kefu_snapshot_write(const kefu_dataset *cds, char **out, size_t *outn, kefu_err *err)
{
	*out = NULL;
	*outn = 0;
	buf_sink b = {NULL, 0, 0};
	kefu_snap_writer w = {buf_write, &b};
	int rc = kefu_snapshot_write_to(cds, &w, err);
	if (rc) {
		kefu_free(b.buf);
		return rc == KEFU_EIO ? kefu_err_set(err, KEFU_ENOMEM, "out of memory writing a snapshot")
				      : rc;
	}
	*out = b.buf;
	*outn = b.len;
	return 0;
}

int kefu_snap_section(kefu_snap_reader *rd, size_t *len)
{
	uint64_t n64;
	if (rd->size - rd->pos < 8 || rd->read(rd->ctx, &n64, 8, rd->pos))
		return KEFU_EPARSE;
	rd->pos += 8;
	if (n64 > rd->size - rd->pos)
		return KEFU_EPARSE;
	*len = (size_t)n64;
	return 0;
}

int kefu_snap_bytes(kefu_snap_reader *rd, void *dst, size_t len)
{
	if (len > rd->size - rd->pos || (len && rd->read(rd->ctx, dst, len, rd->pos)))
		return KEFU_EPARSE;
	rd->pos += len;
	return 0;
}

typedef struct mem_src {
	const char *p;
} mem_src;

static int mem_read(void *ctx, void *dst, size_t n, uint64_t off)
{
	memcpy(dst, ((mem_src *)ctx)->p + off, n);
	return 0;
}

int kefu_snapshot_read(kefu_dataset **out, const char *p, size_t n, kefu_err *err)
{
	mem_src m = {p};
	kefu_snap_reader rd = {mem_read, &m, n, 0};
	return kefu_snapshot_read_from(out, &rd, err);
}

int kefu_snapshot_read_from(kefu_dataset **out, kefu_snap_reader *rd, kefu_err *err)
{
	*out = NULL;
	size_t len;
	char magic[8];
	if (kefu_snap_section(rd, &len) || len != 8 || kefu_snap_bytes(rd, magic, 8) ||
	    memcmp(magic, MAGIC, 8))
		return kefu_err_set(err, KEFU_EPARSE, "not a kefu snapshot of this version");
	kefu_dataset *ds = kefu_calloc(1, sizeof *ds);
	if (!ds)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	kefu_dict **dicts[] = {&ds->shops,    &ds->agents,  &ds->buyers, &ds->order_ids,
			       &ds->statuses, &ds->vendors, &ds->teams,  &ds->texts};
	int rc = 0;
	for (size_t i = 0; !rc && i < sizeof dicts / sizeof dicts[0]; i++)
		rc = kefu_dict_read(dicts[i], rd);
	uint64_t counts[6];
	if (!rc && (kefu_snap_section(rd, &len) || len != sizeof counts ||
		    kefu_snap_bytes(rd, counts, sizeof counts)))
		rc = KEFU_EPARSE;
	if (!rc) {
		ds->msg.n = (size_t)counts[0];
		ds->ord.n = (size_t)counts[1];
		ds->rat.n = (size_t)counts[2];
		ds->ev.n = (size_t)counts[3];
		ds->roster.n = (size_t)counts[4];
		ds->pres.n = (size_t)counts[5];
	}
	colref refs[64];
	size_t nc = columns(ds, refs);
	for (size_t i = 0; !rc && i < nc; i++) {
		if (kefu_snap_section(rd, &len) || *refs[i].count > SIZE_MAX / refs[i].elsz ||
		    len != *refs[i].count * refs[i].elsz) {
			rc = KEFU_EPARSE;
			break;
		}
		*refs[i].arr = kefu_malloc(len + 1);
		if (!*refs[i].arr) {
			rc = KEFU_ENOMEM;
			break;
		}
		if (kefu_snap_bytes(rd, *refs[i].arr, len))
			rc = KEFU_EPARSE;
	}
	if (!rc) {
		size_t want = (size_t)kefu_dict_size(ds->agents) * sizeof(uint32_t);
		if (kefu_snap_section(rd, &len) || len != want) {
			rc = KEFU_EPARSE;
		} else {
			ds->roster.row_of_agent = kefu_malloc(len + 1);
			if (!ds->roster.row_of_agent)
				rc = KEFU_ENOMEM;
			else if (kefu_snap_bytes(rd, ds->roster.row_of_agent, len))
				rc = KEFU_EPARSE;
		}
	}
	if (!rc) {
		/* every id must be inside its dictionary */
		uint32_t ns = ds->shops ? kefu_dict_size(ds->shops) : 0;
		for (size_t i = 0; i < ds->msg.n && !rc; i++)
			if (ds->msg.shop[i] >= ns || ds->msg.agent[i] >= kefu_dict_size(ds->agents) ||
			    ds->msg.buyer[i] >= kefu_dict_size(ds->buyers) || ds->msg.dir[i] > 2)
				rc = KEFU_EPARSE;
		for (size_t i = 0; i < ds->ord.n && !rc; i++)
			if (ds->ord.shop[i] >= ns || ds->ord.buyer[i] >= kefu_dict_size(ds->buyers) ||
			    ds->ord.order_id[i] >= kefu_dict_size(ds->order_ids))
				rc = KEFU_EPARSE;
		for (size_t i = 0; i < ds->rat.n && !rc; i++)
			if (ds->rat.shop[i] >= ns || ds->rat.order_id[i] >= kefu_dict_size(ds->order_ids) ||
			    ds->rat.buyer[i] >= kefu_dict_size(ds->buyers))
				rc = KEFU_EPARSE;
		for (size_t i = 0; i < ds->ev.n && !rc; i++)
			if (ds->ev.shop[i] >= ns || ds->ev.agent[i] >= kefu_dict_size(ds->agents) ||
			    ds->ev.buyer[i] >= kefu_dict_size(ds->buyers))
				rc = KEFU_EPARSE;
		for (size_t i = 0; i < ds->roster.n && !rc; i++)
			if (ds->roster.agent[i] >= kefu_dict_size(ds->agents) ||
			    ds->roster.vendor[i] >= kefu_dict_size(ds->vendors) ||
			    ds->roster.team[i] >= kefu_dict_size(ds->teams))
				rc = KEFU_EPARSE;
		for (size_t i = 0; i < ds->pres.n && !rc; i++)
			if (ds->pres.agent[i] >= kefu_dict_size(ds->agents))
				rc = KEFU_EPARSE;
		for (uint32_t a = 0; a < kefu_dict_size(ds->agents) && !rc; a++)
			if (ds->roster.row_of_agent[a] != KEFU_NO_ID &&
			    ds->roster.row_of_agent[a] >= ds->roster.n)
				rc = KEFU_EPARSE;
	}
	if (rc) {
		kefu_dataset_free(ds);
		return kefu_err_set(err, rc, rc == KEFU_ENOMEM ? "out of memory reading a snapshot"
							       : "damaged snapshot");
	}
	ds->msg.cap = ds->msg.n;
	ds->ord.cap = ds->ord.n;
	ds->rat.cap = ds->rat.n;
	ds->ev.cap = ds->ev.n;
	ds->roster.cap = ds->roster.n;
	ds->pres.cap = ds->pres.n;
	ds->finalized = 1;
	*out = ds;
	return 0;
}
