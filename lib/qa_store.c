/*
 * qa_store.c - quality inspection in the store (module "qa", version 1):
 * message texts read for a run, and the module's own tables: runs, the
 * rules of each run, one score per chat, every hit (message, rule, matched
 * text), the per-agent daily rollup, and manual reviews, which override
 * the automatic score in every report. Prepared statements only.
 */
#include "kefu/qa.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kefu/msgseg.h"
#include "kefu/report.h"
#include "kefu/store.h"

static const char qa_schema[] =
	"CREATE TABLE IF NOT EXISTS qa_runs(id INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
	" rules TEXT NOT NULL, rules_hash TEXT NOT NULL, from_day INTEGER, to_day INTEGER,"
	" chats INTEGER NOT NULL, messages INTEGER NOT NULL, hits INTEGER NOT NULL) STRICT;"
	"CREATE TABLE IF NOT EXISTS qa_rules(run_id INTEGER NOT NULL REFERENCES qa_runs(id),"
	" idx INTEGER NOT NULL, rule TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,"
	" severity INTEGER NOT NULL, points INTEGER NOT NULL, PRIMARY KEY(run_id, idx))"
	" STRICT, WITHOUT ROWID;"
	/* one row per chat of the run; shop/agent/buyer are the store's dim ids */
	"CREATE TABLE IF NOT EXISTS qa_chats(run_id INTEGER NOT NULL REFERENCES qa_runs(id),"
	" chat TEXT NOT NULL, shop_id INTEGER NOT NULL, agent_id INTEGER NOT NULL,"
	" buyer_id INTEGER NOT NULL, day INTEGER NOT NULL, score INTEGER NOT NULL,"
	" points INTEGER NOT NULL, hits INTEGER NOT NULL, rules_hit INTEGER NOT NULL,"
	" severity INTEGER, max_gap_s INTEGER NOT NULL, PRIMARY KEY(run_id, chat))"
	" STRICT, WITHOUT ROWID;"
	/* msg_ref = the message's kefu_msgseg_ref (NULL for chat-level hits) */
	"CREATE TABLE IF NOT EXISTS qa_hits(id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES qa_runs(id), chat TEXT NOT NULL,"
	" rule_idx INTEGER NOT NULL, msg_ref INTEGER, ts INTEGER, dir INTEGER,"
	" start INTEGER, end INTEGER, matched TEXT NOT NULL, value INTEGER) STRICT;"
	"CREATE INDEX IF NOT EXISTS qa_hits_chat ON qa_hits(run_id, chat);"
	"CREATE TABLE IF NOT EXISTS qa_agent_days(run_id INTEGER NOT NULL REFERENCES qa_runs(id),"
	" shop_id INTEGER NOT NULL, agent_id INTEGER NOT NULL, day INTEGER NOT NULL,"
	" chats INTEGER NOT NULL, chats_hit INTEGER NOT NULL, score_sum INTEGER NOT NULL,"
	" critical_chats INTEGER NOT NULL, hits INTEGER NOT NULL,"
	" PRIMARY KEY(run_id, shop_id, agent_id, day)) STRICT, WITHOUT ROWID;"
	/* manual scores: the latest review of a chat key wins, whatever the run */
	"CREATE TABLE IF NOT EXISTS qa_reviews(id INTEGER PRIMARY KEY, chat TEXT NOT NULL,"
	" shop_id INTEGER NOT NULL, agent_id INTEGER NOT NULL, buyer_id INTEGER NOT NULL,"
	" day INTEGER NOT NULL, score INTEGER NOT NULL CHECK(score BETWEEN 0 AND 100),"
	" auto_score INTEGER, note TEXT NOT NULL, reviewer TEXT NOT NULL, at INTEGER NOT NULL)"
	" STRICT;"
	"CREATE INDEX IF NOT EXISTS qa_reviews_chat ON qa_reviews(chat, id);";

static int db_fail(sqlite3 *db, kefu_err *err, const char *what)
{
	return kefu_err_set(err, KEFU_ESTORE, "%s: %s", what, sqlite3_errmsg(db));
}

int kefu_qa_store_init(kefu_store *st, kefu_err *err)
{
	return kefu_store_ensure_module(st, "qa", 1, qa_schema, err);
}

/* -------------------------------------------------------------- texts */

/* Store dim id -> dataset id, for one dimension. */
static int dim_map(sqlite3 *db, const char *table, const kefu_dict *d, uint32_t **out,
		   size_t *n, kefu_err *err)
{
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT id, name FROM %s", table);
	sqlite3_stmt *s = NULL;
	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "qa: names");
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *p = (const char *)sqlite3_column_text(s, 1);
		size_t len = (size_t)sqlite3_column_bytes(s, 1);
		if (id < 0 || id > (int64_t)UINT32_MAX - 2)
			continue;
		if ((size_t)id >= *n) {
			if (kefu_grow((void **)out, &cap, (size_t)id + 1, sizeof **out)) {
				sqlite3_finalize(s);
				return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			}
			for (size_t i = *n; i <= (size_t)id; i++)
				(*out)[i] = KEFU_NO_ID;
			*n = (size_t)id + 1;
		}
		uint32_t did;
		if (kefu_dict_find(d, p ? p : "", len, &did) == 0)
			(*out)[id] = did;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "qa: names");
	return 0;
}

/* One reader: the messages of segments [lo, hi] with ts in range, on its
 * own connection (parallel parts) or the store's. */
typedef struct reader {
	sqlite3 *db; /* NULL: open `path` read-only */
	const char *path;
	int64_t lo, hi, from_ts, to_ts;
	uint32_t *const *map;
	const size_t *nmap;
	kefu_qa_msgs out;
	int rc;
	kefu_err err;
} reader;

static int read_segment(void *ctx, const kefu_msgseg *seg, kefu_err *err)
{
	reader *r = ctx;
	for (size_t i = 0; i < seg->n; i++) {
		if (seg->ts[i] < r->from_ts || seg->ts[i] > r->to_ts)
			continue;
		const uint32_t id[3] = {seg->shop[i], seg->agent[i], seg->buyer[i]};
		uint32_t did[3];
		int ok = 1;
		for (int d = 0; d < 3; d++) {
			did[d] = id[d] < r->nmap[d] ? r->map[d][id[d]] : KEFU_NO_ID;
			if (did[d] == KEFU_NO_ID)
				ok = 0;
		}
		if (!ok)
			continue;
		if (kefu_qa_msgs_add(&r->out, did[0], did[1], did[2], seg->dir[i], seg->ts[i],
				     kefu_msgseg_ref(seg->id, i), seg->text + seg->text_off[i],
				     (size_t)(seg->text_off[i + 1] - seg->text_off[i])))
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	return 0;
}

static void *read_part(void *arg)
{
	reader *r = arg;
	sqlite3 *db = r->db;
	int own = !db;
	if (own) {
		if (sqlite3_open_v2(r->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK) {
			r->rc = db_fail(db, &r->err, "qa: read messages");
			sqlite3_close(db);
			return NULL;
		}
		sqlite3_busy_timeout(db, 10000);
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	}
	kefu_msgseg seg;
	memset(&seg, 0, sizeof seg);
	kefu_msgseg_filter f = {r->from_ts, r->to_ts, r->lo, r->hi, 1};
	r->rc = kefu_msgseg_scan(db, &f, &seg, read_segment, r, &r->err);
	kefu_msgseg_free(&seg);
	if (own) {
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	return NULL;
}

/* Appends the parts' rows to m (which is empty) in part order. */
static int merge_parts(kefu_qa_msgs *m, reader *parts, int n)
{
	size_t rows = 0, bytes = 0;
	for (int p = 0; p < n; p++) {
		rows += parts[p].out.n;
		bytes += parts[p].out.buf_n;
	}
	if (n == 1) {
		*m = parts[0].out;
		memset(&parts[0].out, 0, sizeof parts[0].out);
		return 0;
	}
	size_t cap = rows ? rows : 1;
#define ALLOC(f)                                                                             	if (!(m->f = kefu_malloc(cap * sizeof *m->f)))                                       		return KEFU_ENOMEM;
	ALLOC(shop) ALLOC(agent) ALLOC(buyer) ALLOC(dir) ALLOC(ts) ALLOC(ref) ALLOC(off) ALLOC(len)
#undef ALLOC
	m->cap = cap;
	if (!(m->buf = kefu_malloc(bytes + 1)))
		return KEFU_ENOMEM;
	m->buf_cap = bytes + 1;
	for (int p = 0; p < n; p++) {
		kefu_qa_msgs *x = &parts[p].out;
		size_t k = m->n;
#define COPY(f)                                                                              	if (x->n)                                                                            		memcpy(m->f + k, x->f, x->n * sizeof *m->f);
		COPY(shop) COPY(agent) COPY(buyer) COPY(dir) COPY(ts) COPY(ref) COPY(len)
#undef COPY
		for (size_t i = 0; i < x->n; i++)
			m->off[k + i] = x->off[i] + m->buf_n;
		if (x->buf_n)
			memcpy(m->buf + m->buf_n, x->buf, x->buf_n);
		m->buf_n += x->buf_n;
		m->n += x->n;
		kefu_qa_msgs_clear(x);
	}
	m->buf[m->buf_n] = '\0';
	return 0;
}

int kefu_qa_store_load_msgs(kefu_store *st, const kefu_dataset *ds, int64_t from_ts, int64_t to_ts,
			    int threads, kefu_qa_msgs *msgs, kefu_err *err)
{
	sqlite3 *db = kefu_store_sqlite(st);
	uint32_t *map[3] = {NULL, NULL, NULL};
	size_t nmap[3] = {0, 0, 0};
	sqlite3_stmt *s = NULL;
	reader *parts = NULL;
	pthread_t *tids = NULL;
	int rc = 0, nparts = 1;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, err, "qa: read");
	if ((rc = dim_map(db, "dim_shop", ds->shops, &map[0], &nmap[0], err)) ||
	    (rc = dim_map(db, "dim_agent", ds->agents, &map[1], &nmap[1], err)) ||
	    (rc = dim_map(db, "dim_buyer", ds->buyers, &map[2], &nmap[2], err)))
		goto done;
	int64_t lo, hi;
	if ((rc = kefu_msgseg_id_range(db, &lo, &hi, err)))
		goto done;
	/* parts on their own read-only connections (a file store only); each
	 * part is a range of segment ids */
	const char *path = sqlite3_db_filename(db, "main");
	if (threads > 1 && path && path[0] && hi > lo)
		nparts = threads > 8 ? 8 : threads;
	parts = kefu_calloc((size_t)nparts, sizeof *parts);
	tids = kefu_calloc((size_t)nparts, sizeof *tids);
	if (!parts || !tids) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto done;
	}
	/* split the segment ids [lo, hi] evenly */
	int64_t span = hi - lo + 1;
	for (int p = 0; p < nparts; p++) {
		reader *r = &parts[p];
		r->db = p == 0 ? db : NULL;
		r->path = path;
		r->lo = lo + span * p / nparts;
		r->hi = lo + span * (p + 1) / nparts - 1;
		r->from_ts = from_ts;
		r->to_ts = to_ts;
		r->map = map;
		r->nmap = nmap;
		r->err = (kefu_err)KEFU_ERR_INIT;
	}
	int started = 0;
	for (int p = 1; p < nparts; p++) {
		if (pthread_create(&tids[p], NULL, read_part, &parts[p]))
			break;
		started = p;
	}
	read_part(&parts[0]);
	for (int p = 1; p <= started; p++)
		pthread_join(tids[p], NULL);
	for (int p = started + 1; p < nparts; p++)
		read_part(&parts[p]);
	for (int p = 0; p < nparts; p++)
		if (parts[p].rc) {
			*err = parts[p].err;
			rc = parts[p].rc;
			goto done;
		}
	if (merge_parts(msgs, parts, nparts) || kefu_qa_msgs_sort(msgs))
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
done:
	sqlite3_finalize(s);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	for (int p = 0; parts && p < nparts; p++)
		kefu_qa_msgs_clear(&parts[p].out);
	kefu_free(parts);
	kefu_free(tids);
	for (int d = 0; d < 3; d++)
		kefu_free(map[d]);
	return rc;
}

/* --------------------------------------------------------------- save */

/* Dataset id -> store dim id, looked up once per id. */
typedef struct id_cache {
	int64_t *id; /* 0 = not looked up yet, -1 = missing */
	size_t n;
	sqlite3_stmt *get;
} id_cache;

static int store_id(sqlite3 *db, id_cache *c, const kefu_dict *d, uint32_t did, int64_t *out,
		    kefu_err *err)
{
	if (did >= c->n)
		return kefu_err_set(err, KEFU_EINVAL, "qa: bad id");
	if (!c->id[did]) {
		kefu_str s = kefu_dict_get(d, did);
		sqlite3_reset(c->get);
		sqlite3_bind_text(c->get, 1, s.p, (int)s.n, SQLITE_STATIC);
		int rc = sqlite3_step(c->get);
		if (rc == SQLITE_ROW)
			c->id[did] = sqlite3_column_int64(c->get, 0);
		else if (rc == SQLITE_DONE)
			c->id[did] = -1;
		else
			return db_fail(db, err, "qa: names");
	}
	if (c->id[did] < 0)
		return kefu_err_set(err, KEFU_ESTORE, "qa: name not in the store");
	*out = c->id[did];
	return 0;
}

static void hit_matched(const kefu_qa_rule *rule, const kefu_qa_hit *h, const char *text,
			char *buf, size_t cap, const char **p, size_t *n)
{
	switch (rule->kind) {
	case KEFU_QA_KEYWORDS:
	case KEFU_QA_REGEX:
	case KEFU_QA_AUTO_REPLY_COPY:
		*p = text + h->start;
		*n = h->end - h->start;
		return;
	case KEFU_QA_REPLY_GAP:
		snprintf(buf, cap, "reply gap %lld s > %lld s", (long long)h->value,
			 (long long)rule->over_s);
		break;
	case KEFU_QA_UNANSWERED:
		snprintf(buf, cap, "unanswered (%lld buyer messages)", (long long)h->value);
		break;
	case KEFU_QA_QA_RATIO: {
		char lim[48];
		kefu_decimal_format(rule->below_num, rule->below_den, 0, 6, 1, lim);
		snprintf(buf, cap, "answers/questions %lld/%lld < %s", (long long)h->value,
			 (long long)h->value2, lim);
		break;
	}
	default:
		buf[0] = '\0';
	}
	*p = buf;
	*n = strlen(buf);
}

static int chat_key_of(const kefu_dataset *ds, const kefu_chat *c, char *buf)
{
	kefu_qa_chat_key(kefu_dict_get(ds->shops, c->shop), kefu_dict_get(ds->agents, c->agent),
			 kefu_dict_get(ds->buyers, c->buyer), c->day, buf);
	return 0;
}

int kefu_qa_store_save(kefu_store *st, const kefu_dataset *ds, const kefu_kpi_result *res,
		       const kefu_qa_msgs *msgs, const kefu_qa_rules *rs, const kefu_qa_result *qr,
		       int64_t from_day, int64_t to_day, int64_t now, int64_t *run_id, kefu_err *err)
{
	sqlite3 *db = kefu_store_sqlite(st);
	enum { Q_RUN, Q_RULE, Q_CHAT, Q_HIT, Q_DAY, Q_FIN, Q_SHOP, Q_AGENT, Q_BUYER, Q_N };
	static const char *const sql[Q_N] = {
		"INSERT INTO qa_runs(at, rules, rules_hash, from_day, to_day, chats, messages, hits)"
		" VALUES(?1, ?2, ?3, ?4, ?5, 0, 0, 0)",
		"INSERT INTO qa_rules(run_id, idx, rule, name, kind, severity, points)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		"INSERT INTO qa_chats(run_id, chat, shop_id, agent_id, buyer_id, day, score, points,"
		" hits, rules_hit, severity, max_gap_s) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
		" ?10, ?11, ?12)",
		"INSERT INTO qa_hits(run_id, chat, rule_idx, msg_ref, ts, dir, start, end, matched,"
		" value) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
		"INSERT INTO qa_agent_days(run_id, shop_id, agent_id, day, chats, chats_hit,"
		" score_sum, critical_chats, hits) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
		"UPDATE qa_runs SET chats = ?2, messages = ?3, hits = ?4 WHERE id = ?1",
		"SELECT id FROM dim_shop WHERE name = ?1",
		"SELECT id FROM dim_agent WHERE name = ?1",
		"SELECT id FROM dim_buyer WHERE name = ?1",
	};
	sqlite3_stmt *q[Q_N] = {0};
	id_cache ic[3];
	memset(ic, 0, sizeof ic);
	int rc = 0;
	*run_id = 0;
	if ((rc = kefu_qa_store_init(st, err)))
		return rc;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, err, "qa: save");
	for (int i = 0; i < Q_N; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, &q[i], NULL) != SQLITE_OK) {
			rc = db_fail(db, err, "qa: save");
			goto done;
		}
	const kefu_dict *dicts[3] = {ds->shops, ds->agents, ds->buyers};
	for (int d = 0; d < 3; d++) {
		ic[d].n = kefu_dict_size(dicts[d]);
		ic[d].id = kefu_calloc(ic[d].n + 1, sizeof *ic[d].id);
		ic[d].get = q[Q_SHOP + d];
		if (!ic[d].id) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto done;
		}
	}
	char hash[24];
	snprintf(hash, sizeof hash, "%016llx", (unsigned long long)rs->hash);
	sqlite3_bind_int64(q[Q_RUN], 1, now ? now : (int64_t)time(NULL));
	sqlite3_bind_text(q[Q_RUN], 2, rs->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(q[Q_RUN], 3, hash, -1, SQLITE_STATIC);
	if (from_day != INT64_MIN)
		sqlite3_bind_int64(q[Q_RUN], 4, from_day);
	if (to_day != INT64_MAX)
		sqlite3_bind_int64(q[Q_RUN], 5, to_day);
	if (sqlite3_step(q[Q_RUN]) != SQLITE_DONE) {
		rc = db_fail(db, err, "qa: save run");
		goto done;
	}
	int64_t run = sqlite3_last_insert_rowid(db);
	for (size_t i = 0; i < rs->n; i++) {
		const kefu_qa_rule *ru = &rs->r[i];
		sqlite3_stmt *s = q[Q_RULE];
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, run);
		sqlite3_bind_int64(s, 2, (int64_t)i);
		sqlite3_bind_text(s, 3, ru->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, ru->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, kefu_qa_kind_name(ru->kind), -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 6, (int)ru->severity);
		sqlite3_bind_int(s, 7, ru->points);
		if (sqlite3_step(s) != SQLITE_DONE) {
			rc = db_fail(db, err, "qa: save rules");
			goto done;
		}
	}
	/* chats, and the agent-day rollup over them. Chats and their hits are
	 * inserted in chat-key order, so the (run_id, chat) keys append to
	 * their B-trees instead of landing all over them. */
	char key[16], mbuf[160];
	size_t *hit_at = kefu_malloc((qr->n_chats + 2) * sizeof *hit_at);
	kefu_key3 *order = kefu_malloc((qr->n_chats + 1) * sizeof *order);
	if (!hit_at || !order) {
		kefu_free(hit_at);
		kefu_free(order);
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0, h = 0; i <= qr->n_chats; i++) {
		while (h < qr->n_hits && qr->hits[h].chat < i)
			h++;
		hit_at[i] = h;
	}
	for (size_t i = 0; i < qr->n_chats; i++) {
		chat_key_of(ds, &res->chats[qr->chats[i].chat], key);
		order[i] = (kefu_key3){strtoull(key, NULL, 16), 0, (uint32_t)i, 0};
	}
	if (kefu_sort_key3(order, qr->n_chats)) {
		kefu_free(hit_at);
		kefu_free(order);
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto done;
	}
	typedef struct ad {
		uint32_t shop, agent;
		int64_t day, chats, chats_hit, score_sum, critical, hits;
	} ad;
	ad *days = NULL;
	size_t nd = 0, cd = 0;
	for (size_t oi = 0; oi < qr->n_chats; oi++) {
		size_t i = order[oi].idx;
		const kefu_qa_chat *qc = &qr->chats[i];
		const kefu_chat *c = &res->chats[qc->chat];
		int64_t sid, aid, bid;
		if ((rc = store_id(db, &ic[0], ds->shops, c->shop, &sid, err)) ||
		    (rc = store_id(db, &ic[1], ds->agents, c->agent, &aid, err)) ||
		    (rc = store_id(db, &ic[2], ds->buyers, c->buyer, &bid, err)))
			goto done_days;
		chat_key_of(ds, c, key);
		sqlite3_stmt *s = q[Q_CHAT];
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, run);
		sqlite3_bind_text(s, 2, key, 12, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, sid);
		sqlite3_bind_int64(s, 4, aid);
		sqlite3_bind_int64(s, 5, bid);
		sqlite3_bind_int64(s, 6, c->day);
		sqlite3_bind_int(s, 7, qc->score);
		sqlite3_bind_int(s, 8, qc->points);
		sqlite3_bind_int64(s, 9, qc->hits);
		sqlite3_bind_int64(s, 10, qc->rules_hit);
		if (qc->max_severity == 255)
			sqlite3_bind_null(s, 11);
		else
			sqlite3_bind_int(s, 11, qc->max_severity);
		sqlite3_bind_int64(s, 12, qc->max_gap_s);
		if (sqlite3_step(s) != SQLITE_DONE) {
			rc = db_fail(db, err, "qa: save chats");
			goto done_days;
		}
		for (size_t h = hit_at[i]; h < hit_at[i + 1]; h++) {
			const kefu_qa_hit *ht = &qr->hits[h];
			const kefu_qa_rule *ru = &rs->r[ht->rule];
			uint32_t mi = ht->msg == UINT32_MAX ? UINT32_MAX : msgs->order[ht->msg];
			const char *text = mi == UINT32_MAX ? "" : msgs->buf + msgs->off[mi];
			const char *mp;
			size_t mn;
			hit_matched(ru, ht, text, mbuf, sizeof mbuf, &mp, &mn);
			sqlite3_stmt *hs = q[Q_HIT];
			sqlite3_reset(hs);
			sqlite3_clear_bindings(hs);
			sqlite3_bind_int64(hs, 1, run);
			sqlite3_bind_text(hs, 2, key, 12, SQLITE_STATIC);
			sqlite3_bind_int64(hs, 3, ht->rule);
			if (mi != UINT32_MAX) {
				if (msgs->ref[mi])
					sqlite3_bind_int64(hs, 4, msgs->ref[mi]);
				sqlite3_bind_int64(hs, 5, msgs->ts[mi]);
				sqlite3_bind_int(hs, 6, msgs->dir[mi]);
			}
			if (ru->kind == KEFU_QA_KEYWORDS || ru->kind == KEFU_QA_REGEX) {
				sqlite3_bind_int64(hs, 7, ht->start);
				sqlite3_bind_int64(hs, 8, ht->end);
			}
			sqlite3_bind_text(hs, 9, mp, (int)mn, SQLITE_STATIC);
			if (ru->kind == KEFU_QA_REPLY_GAP || ru->kind == KEFU_QA_UNANSWERED ||
			    ru->kind == KEFU_QA_QA_RATIO)
				sqlite3_bind_int64(hs, 10, ht->value);
			if (sqlite3_step(hs) != SQLITE_DONE) {
				rc = db_fail(db, err, "qa: save hits");
				goto done_days;
			}
		}
		if (kefu_grow((void **)&days, &cd, nd + 1, sizeof *days)) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto done_days;
		}
		days[nd++] = (ad){c->shop, c->agent, c->day, 1, qc->hits > 0, qc->score,
				  qc->max_severity == KEFU_QA_CRITICAL, qc->hits};
	}
	/* group (shop, agent, day): sort the per-chat entries */
	kefu_key3 *k = kefu_malloc((nd + 1) * sizeof *k);
	if (!k) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto done_days;
	}
	for (size_t i = 0; i < nd; i++)
		k[i] = (kefu_key3){(uint64_t)days[i].shop << 32 | days[i].agent,
				   (uint64_t)days[i].day ^ (1ULL << 63), (uint32_t)i, 0};
	if (kefu_sort_key3(k, nd)) {
		kefu_free(k);
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto done_days;
	}
	for (size_t i = 0; i < nd;) {
		ad sum = days[k[i].idx];
		size_t j = i + 1;
		for (; j < nd && k[j].hi == k[i].hi && k[j].lo == k[i].lo; j++) {
			const ad *x = &days[k[j].idx];
			sum.chats += x->chats;
			sum.chats_hit += x->chats_hit;
			sum.score_sum += x->score_sum;
			sum.critical += x->critical;
			sum.hits += x->hits;
		}
		int64_t sid, aid;
		if ((rc = store_id(db, &ic[0], ds->shops, sum.shop, &sid, err)) ||
		    (rc = store_id(db, &ic[1], ds->agents, sum.agent, &aid, err)))
			break;
		sqlite3_stmt *s = q[Q_DAY];
		sqlite3_reset(s);
		int64_t v[] = {run, sid, aid, sum.day, sum.chats, sum.chats_hit, sum.score_sum,
			       sum.critical, sum.hits};
		for (int b = 0; b < 9; b++)
			sqlite3_bind_int64(s, b + 1, v[b]);
		if (sqlite3_step(s) != SQLITE_DONE) {
			rc = db_fail(db, err, "qa: save agent days");
			break;
		}
		i = j;
	}
	kefu_free(k);
	if (!rc) {
		sqlite3_stmt *s = q[Q_FIN];
		sqlite3_bind_int64(s, 1, run);
		sqlite3_bind_int64(s, 2, (int64_t)qr->n_chats);
		sqlite3_bind_int64(s, 3, (int64_t)qr->msgs_scanned);
		sqlite3_bind_int64(s, 4, (int64_t)qr->n_hits);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = db_fail(db, err, "qa: save run");
	}
done_days:
	kefu_free(days);
	kefu_free(hit_at);
	kefu_free(order);
	if (!rc)
		*run_id = run;
done:
	for (int i = 0; i < Q_N; i++)
		sqlite3_finalize(q[i]);
	for (int d = 0; d < 3; d++)
		kefu_free(ic[d].id);
	if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = db_fail(db, err, "qa: commit");
	if (rc) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		*run_id = 0;
	}
	return rc;
}

int kefu_qa_store_latest_run(kefu_store *st, int64_t *run_id, kefu_err *err)
{
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	*run_id = 0;
	int rc = kefu_qa_store_init(st, err);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT max(id) FROM qa_runs", -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "qa: runs");
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*run_id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (!*run_id)
		return kefu_err_set(err, KEFU_ENOTFOUND, "no quality inspection run yet: run 'kefu qa run'");
	return 0;
}

/* ------------------------------------------------------------ reports */

static int resolve_run(kefu_store *st, const kefu_qa_filter *f, int64_t *run, kefu_err *err)
{
	if (f->run_id > 0) {
		int rc = kefu_qa_store_init(st, err);
		*run = f->run_id;
		return rc;
	}
	return kefu_qa_store_latest_run(st, run, err);
}

/* The common WHERE of chat queries: ?1 run, ?2/?3 days, ?4 shop, ?5 agent. */
#define CHAT_FILTER                                                                          \
	" c.run_id = ?1 AND c.day BETWEEN ?2 AND ?3"                                         \
	" AND (?4 IS NULL OR s.name = ?4) AND (?5 IS NULL OR a.name = ?5)"

#define LATEST_REVIEW                                                                        \
	" LEFT JOIN qa_reviews r ON r.id = (SELECT max(id) FROM qa_reviews r2"                \
	" WHERE r2.chat = c.chat)"

static void bind_filter(sqlite3_stmt *s, int64_t run, const kefu_qa_filter *f)
{
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, f->from_day);
	sqlite3_bind_int64(s, 3, f->to_day);
	if (f->shop)
		sqlite3_bind_text(s, 4, f->shop, -1, SQLITE_STATIC);
	if (f->agent)
		sqlite3_bind_text(s, 5, f->agent, -1, SQLITE_STATIC);
}

typedef struct colspec {
	const char *name, *zh;
	kefu_coltype type;
} colspec;

static int table_with(kefu_table **t, const char *title, const colspec *c, size_t n)
{
	int rc = kefu_table_new(t, title);
	for (size_t i = 0; !rc && i < n; i++)
		rc = kefu_table_add_col(*t, c[i].name, c[i].zh, c[i].type);
	return rc;
}

static int cell_text(kefu_cell *c, sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL) {
		int rc = kefu_cell_set_text(c, "", 0);
		c->empty = 1;
		return rc;
	}
	const char *p = (const char *)sqlite3_column_text(s, i);
	return kefu_cell_set_text(c, p ? p : "", (size_t)sqlite3_column_bytes(s, i));
}

static int cell_day(kefu_cell *c, int64_t day)
{
	char buf[16];
	kefu_day_format(day, buf);
	return kefu_cell_set_text(c, buf, strlen(buf));
}

static void cell_int(kefu_cell *c, sqlite3_stmt *s, int i)
{
	c->empty = sqlite3_column_type(s, i) == SQLITE_NULL;
	c->num = sqlite3_column_int64(s, i);
}

static const char *sev_name(int64_t v)
{
	return v >= 0 && v <= 3 ? kefu_qa_severity_name((kefu_qa_severity)v) : "";
}

static const colspec chat_cols[] = {
	{"shop", "店铺", KEFU_T_TEXT},        {"agent", "客服", KEFU_T_TEXT},
	{"buyer", "买家", KEFU_T_TEXT},       {"day", "日期", KEFU_T_TEXT},
	{"chat", "会话", KEFU_T_TEXT},        {"score", "质检得分", KEFU_T_INT},
	{"auto_score", "自动得分", KEFU_T_INT}, {"reviewed", "已复核", KEFU_T_FLAG},
	{"reviewer", "复核人", KEFU_T_TEXT},  {"points", "扣分", KEFU_T_INT},
	{"hits", "命中", KEFU_T_INT},         {"rules", "命中规则", KEFU_T_TEXT},
	{"severity", "最高级别", KEFU_T_TEXT}, {"max_gap_s", "最长响应(秒)", KEFU_T_INT},
};
#define N_CHAT_COLS (sizeof chat_cols / sizeof chat_cols[0])

/* The latest manual score of each reviewed chat, by chat key. */
typedef struct review_map {
	uint64_t *key; /* 0 = empty */
	int *score;
	char **reviewer;
	size_t cap;
} review_map;

static void review_map_free(review_map *rm)
{
	for (size_t i = 0; rm->reviewer && i < rm->cap; i++)
		kefu_free(rm->reviewer[i]);
	kefu_free(rm->key);
	kefu_free(rm->score);
	kefu_free(rm->reviewer);
	memset(rm, 0, sizeof *rm);
}

static uint64_t key_num(const char *k)
{
	uint64_t v = strtoull(k, NULL, 16);
	return v ? v : 1;
}

static int review_map_load(sqlite3 *db, review_map *rm, kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	memset(rm, 0, sizeof *rm);
	if (sqlite3_prepare_v2(db,
			       "SELECT chat, score, reviewer FROM qa_reviews r WHERE id ="
			       " (SELECT max(id) FROM qa_reviews r2 WHERE r2.chat = r.chat)",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "qa: reviews");
	size_t n = 0;
	int step;
	rm->cap = 16;
	rm->key = kefu_calloc(rm->cap, sizeof *rm->key);
	rm->score = kefu_calloc(rm->cap, sizeof *rm->score);
	rm->reviewer = kefu_calloc(rm->cap, sizeof *rm->reviewer);
	if (!rm->key || !rm->score || !rm->reviewer)
		goto oom;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((n + 1) * 2 > rm->cap) { /* grow and rehash */
			review_map big = {NULL, NULL, NULL, rm->cap * 2};
			big.key = kefu_calloc(big.cap, sizeof *big.key);
			big.score = kefu_calloc(big.cap, sizeof *big.score);
			big.reviewer = kefu_calloc(big.cap, sizeof *big.reviewer);
			if (!big.key || !big.score || !big.reviewer) {
				review_map_free(&big);
				goto oom;
			}
			for (size_t i = 0; i < rm->cap; i++) {
				if (!rm->key[i])
					continue;
				size_t j = (size_t)(rm->key[i] * 0x9e3779b97f4a7c15ULL) & (big.cap - 1);
				while (big.key[j])
					j = (j + 1) & (big.cap - 1);
				big.key[j] = rm->key[i];
				big.score[j] = rm->score[i];
				big.reviewer[j] = rm->reviewer[i];
				rm->reviewer[i] = NULL;
			}
			review_map_free(rm);
			*rm = big;
		}
		const char *k = (const char *)sqlite3_column_text(s, 0);
		const char *who = (const char *)sqlite3_column_text(s, 2);
		uint64_t kn = key_num(k ? k : "");
		size_t j = (size_t)(kn * 0x9e3779b97f4a7c15ULL) & (rm->cap - 1);
		while (rm->key[j] && rm->key[j] != kn)
			j = (j + 1) & (rm->cap - 1);
		if (!rm->key[j])
			n++;
		kefu_free(rm->reviewer[j]);
		rm->key[j] = kn;
		rm->score[j] = sqlite3_column_int(s, 1);
		rm->reviewer[j] = kefu_strndup(who ? who : "", who ? strlen(who) : 0);
		if (!rm->reviewer[j])
			goto oom;
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE) {
		review_map_free(rm);
		return db_fail(db, err, "qa: reviews");
	}
	return 0;
oom:
	sqlite3_finalize(s);
	review_map_free(rm);
	return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
}

static long review_find(const review_map *rm, uint64_t kn)
{
	if (!rm->cap)
		return -1;
	size_t j = (size_t)(kn * 0x9e3779b97f4a7c15ULL) & (rm->cap - 1);
	while (rm->key[j]) {
		if (rm->key[j] == kn)
			return (long)j;
		j = (j + 1) & (rm->cap - 1);
	}
	return -1;
}

/* Report order (shop, agent, day, buyer names in byte order): the dataset's
 * ids follow the byte order of the names, so the sort uses ids. */
int kefu_qa_report_result(kefu_table **out, kefu_store *st, const kefu_dataset *ds,
			  const kefu_kpi_result *res, const kefu_qa_rules *rs,
			  const kefu_qa_result *qr, const kefu_qa_filter *f, kefu_err *err)
{
	*out = NULL;
	review_map rm;
	kefu_table *t = NULL;
	kefu_key3 *k = NULL;
	size_t *hit_at = NULL;
	char *rules = NULL;
	size_t rules_cap = 0;
	uint8_t *seen = NULL;
	int rc = kefu_qa_store_init(st, err);
	if (rc || (rc = review_map_load(kefu_store_sqlite(st), &rm, err)))
		return rc;
	uint32_t shop_id = KEFU_NO_ID, agent_id = KEFU_NO_ID;
	int no_rows = 0;
	if (f->shop && kefu_dict_find(ds->shops, f->shop, strlen(f->shop), &shop_id))
		no_rows = 1;
	if (f->agent && kefu_dict_find(ds->agents, f->agent, strlen(f->agent), &agent_id))
		no_rows = 1;
	if ((rc = table_with(&t, "kefu qa chats", chat_cols, N_CHAT_COLS)))
		goto oom;
	k = kefu_malloc((qr->n_chats + 1) * sizeof *k);
	hit_at = kefu_malloc((qr->n_chats + 2) * sizeof *hit_at);
	seen = kefu_calloc(rs->n + 1, 1);
	if (!k || !hit_at || !seen)
		goto oom;
	for (size_t i = 0, h = 0; i <= qr->n_chats; i++) {
		while (h < qr->n_hits && qr->hits[h].chat < i)
			h++;
		hit_at[i] = h;
	}
	size_t nk = 0;
	for (size_t i = 0; !no_rows && i < qr->n_chats; i++) {
		const kefu_qa_chat *q = &qr->chats[i];
		const kefu_chat *c = &res->chats[q->chat];
		if (c->day < f->from_day || c->day > f->to_day || (f->shop && c->shop != shop_id) ||
		    (f->agent && c->agent != agent_id) ||
		    (f->min_severity >= 0 && (q->max_severity == 255 || q->max_severity < f->min_severity)))
			continue;
		/* (shop, agent) | (day, buyer): day offset keeps the order of signed days */
		k[nk++] = (kefu_key3){(uint64_t)c->shop << 32 | c->agent,
				      ((uint64_t)c->day + (1ULL << 31)) << 32 | c->buyer, (uint32_t)i, 0};
	}
	if (kefu_sort_key3(k, nk))
		goto oom;
	for (size_t x = 0; x < nk; x++) {
		size_t i = k[x].idx;
		const kefu_qa_chat *q = &qr->chats[i];
		const kefu_chat *c = &res->chats[q->chat];
		char key[16];
		kefu_str sn = kefu_dict_get(ds->shops, c->shop), an = kefu_dict_get(ds->agents, c->agent),
			 bn = kefu_dict_get(ds->buyers, c->buyer);
		kefu_qa_chat_key(sn, an, bn, c->day, key);
		long rv = review_find(&rm, key_num(key));
		/* rule ids hit, in rule order */
		size_t len = 0;
		memset(seen, 0, rs->n + 1);
		for (size_t h = hit_at[i]; h < hit_at[i + 1]; h++)
			seen[qr->hits[h].rule] = 1;
		for (size_t r = 0; r < rs->n; r++) {
			if (!seen[r])
				continue;
			size_t idn = strlen(rs->r[r].id);
			if (kefu_grow((void **)&rules, &rules_cap, len + idn + 2, 1))
				goto oom;
			if (len)
				rules[len++] = ' ';
			memcpy(rules + len, rs->r[r].id, idn);
			len += idn;
		}
		kefu_cell *row;
		const char *sv = q->max_severity == 255 ? "" : sev_name(q->max_severity);
		const char *who = rv >= 0 ? rm.reviewer[rv] : "";
		if ((rc = kefu_table_add_row(t, &row)) ||
		    (rc = kefu_cell_set_text(&row[0], sn.p, sn.n)) ||
		    (rc = kefu_cell_set_text(&row[1], an.p, an.n)) ||
		    (rc = kefu_cell_set_text(&row[2], bn.p, bn.n)) || (rc = cell_day(&row[3], c->day)) ||
		    (rc = kefu_cell_set_text(&row[4], key, 12)) ||
		    (rc = kefu_cell_set_text(&row[8], who, strlen(who))) ||
		    (rc = kefu_cell_set_text(&row[11], rules ? rules : "", len)) ||
		    (rc = kefu_cell_set_text(&row[12], sv, strlen(sv))))
			goto oom;
		row[8].empty = rv < 0;
		row[11].empty = len == 0;
		int64_t v[] = {rv >= 0 ? rm.score[rv] : q->score, q->score, rv >= 0, 0, q->points,
			       q->hits};
		for (int c2 = 0; c2 < 6; c2++) {
			if (c2 == 3)
				continue;
			row[5 + c2].empty = 0;
			row[5 + c2].num = v[c2];
		}
		row[13].empty = 0;
		row[13].num = q->max_gap_s;
	}
	kefu_free(k);
	kefu_free(hit_at);
	kefu_free(rules);
	kefu_free(seen);
	review_map_free(&rm);
	*out = t;
	return 0;
oom:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	kefu_free(k);
	kefu_free(hit_at);
	kefu_free(rules);
	kefu_free(seen);
	review_map_free(&rm);
	kefu_table_free(t);
	return rc;
}

int kefu_qa_report_chats(kefu_table **out, kefu_store *st, const kefu_qa_filter *f, kefu_err *err)
{
	const colspec *cols = chat_cols;
	*out = NULL;
	int64_t run;
	int rc = resolve_run(st, f, &run, err);
	if (rc)
		return rc;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	kefu_table *t = NULL;
	const char *sql =
		"SELECT s.name, a.name, b.name, c.day, c.chat, coalesce(r.score, c.score), c.score,"
		" r.id IS NOT NULL, r.reviewer, c.points, c.hits,"
		" (SELECT group_concat(rule, ' ') FROM (SELECT DISTINCT q.rule FROM qa_hits h"
		"  JOIN qa_rules q ON q.run_id = h.run_id AND q.idx = h.rule_idx"
		"  WHERE h.run_id = c.run_id AND h.chat = c.chat ORDER BY q.idx)),"
		" c.severity, c.max_gap_s"
		" FROM qa_chats c JOIN dim_shop s ON s.id = c.shop_id"
		" JOIN dim_agent a ON a.id = c.agent_id JOIN dim_buyer b ON b.id = c.buyer_id"
		LATEST_REVIEW " WHERE" CHAT_FILTER " AND (?6 < 0 OR c.severity >= ?6)"
		" ORDER BY s.name, a.name, c.day, b.name";
	if ((rc = table_with(&t, "kefu qa chats", cols, N_CHAT_COLS)))
		goto oom;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		rc = db_fail(db, err, "qa: report");
		goto fail;
	}
	bind_filter(s, run, f);
	sqlite3_bind_int(s, 6, f->min_severity);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		kefu_cell *row;
		if ((rc = kefu_table_add_row(t, &row)) || (rc = cell_text(&row[0], s, 0)) ||
		    (rc = cell_text(&row[1], s, 1)) || (rc = cell_text(&row[2], s, 2)) ||
		    (rc = cell_day(&row[3], sqlite3_column_int64(s, 3))) ||
		    (rc = cell_text(&row[4], s, 4)) || (rc = cell_text(&row[8], s, 8)) ||
		    (rc = cell_text(&row[11], s, 11)))
			goto oom;
		cell_int(&row[5], s, 5);
		cell_int(&row[6], s, 6);
		cell_int(&row[7], s, 7);
		cell_int(&row[9], s, 9);
		cell_int(&row[10], s, 10);
		const char *sv = sqlite3_column_type(s, 12) == SQLITE_NULL
					 ? ""
					 : sev_name(sqlite3_column_int64(s, 12));
		if ((rc = kefu_cell_set_text(&row[12], sv, strlen(sv))))
			goto oom;
		cell_int(&row[13], s, 13);
	}
	if (step != SQLITE_DONE) {
		rc = db_fail(db, err, "qa: report");
		goto fail;
	}
	sqlite3_finalize(s);
	*out = t;
	return 0;
oom:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
fail:
	sqlite3_finalize(s);
	kefu_table_free(t);
	return rc;
}

static void period_label(int per, int64_t start, char *buf, size_t cap)
{
	int64_t y;
	unsigned m, d;
	if (per == KEFU_PER_WEEK) {
		int64_t thu = start + 3; /* the week's Thursday decides the ISO year */
		kefu_civil_from_days(thu, &y, &m, &d);
		int64_t jan1 = kefu_days_from_civil(y, 1, 1);
		snprintf(buf, cap, "%04d-W%02d", (int)y, (int)((thu - jan1) / 7 + 1));
	} else if (per == KEFU_PER_MONTH) {
		kefu_civil_from_days(start, &y, &m, &d);
		snprintf(buf, cap, "%04d-%02u", (int)y, m);
	} else if (per == KEFU_PER_RANGE) {
		snprintf(buf, cap, "range");
	} else {
		kefu_day_format(start, buf);
	}
}

int kefu_qa_report_agents(kefu_table **out, kefu_store *st, const kefu_qa_filter *f,
			  kefu_err *err)
{
	static const colspec head_day[] = {
		{"shop", "店铺", KEFU_T_TEXT}, {"agent", "客服", KEFU_T_TEXT}, {"day", "日期", KEFU_T_TEXT}};
	static const colspec head_per[] = {
		{"shop", "店铺", KEFU_T_TEXT},   {"agent", "客服", KEFU_T_TEXT},
		{"period", "周期", KEFU_T_TEXT}, {"from", "开始", KEFU_T_TEXT},
		{"to", "结束", KEFU_T_TEXT}};
	static const colspec cols[] = {
		{"chats", "会话数", KEFU_T_INT},      {"chats_hit", "命中会话", KEFU_T_INT},
		{"reviewed", "已复核", KEFU_T_INT},   {"score", "平均质检得分", KEFU_T_MEAN},
		{"score_sum", "得分合计", KEFU_T_INT}, {"auto_score", "平均自动得分", KEFU_T_MEAN},
		{"critical_chats", "严重违规会话", KEFU_T_INT}, {"hits", "命中", KEFU_T_INT},
	};
	*out = NULL;
	int per = f->per;
	if (per < KEFU_PER_DAY || per > KEFU_PER_RANGE)
		return kefu_err_set(err, KEFU_EINVAL, "qa: bad period");
	int64_t run;
	int rc = resolve_run(st, f, &run, err);
	if (rc)
		return rc;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	kefu_table *t = NULL;
	const char *sql =
		"SELECT s.name, a.name, c.day, count(*), sum(c.hits > 0), count(r.id),"
		" sum(coalesce(r.score, c.score)), sum(c.score), sum(c.severity IS 3), sum(c.hits)"
		" FROM qa_chats c JOIN dim_shop s ON s.id = c.shop_id"
		" JOIN dim_agent a ON a.id = c.agent_id" LATEST_REVIEW " WHERE" CHAT_FILTER
		" GROUP BY c.shop_id, c.agent_id, c.day ORDER BY s.name, a.name, c.day";
	size_t nh = per == KEFU_PER_DAY ? 3 : 5;
	if ((rc = table_with(&t, "kefu qa agents", per == KEFU_PER_DAY ? head_day : head_per, nh)))
		goto oom;
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		if ((rc = kefu_table_add_col(t, cols[i].name, cols[i].zh, cols[i].type)))
			goto oom;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		rc = db_fail(db, err, "qa: report");
		goto fail;
	}
	bind_filter(s, run, f);
	/* days of one (shop, agent) arrive in order: sum them per period */
	char shop[1024] = "", agent[1024] = "";
	int64_t pstart = INT64_MIN, first = 0, last = 0, v[7] = {0};
	int have = 0, step;
	for (;;) {
		step = sqlite3_step(s);
		const char *sn = NULL, *an = NULL;
		int64_t day = 0, ps = 0;
		if (step == SQLITE_ROW) {
			sn = (const char *)sqlite3_column_text(s, 0);
			an = (const char *)sqlite3_column_text(s, 1);
			sn = sn ? sn : "";
			an = an ? an : "";
			day = sqlite3_column_int64(s, 2);
			ps = kefu_period_start((kefu_per)per, day);
		}
		if (have && (step != SQLITE_ROW || strcmp(sn, shop) || strcmp(an, agent) || ps != pstart)) {
			kefu_cell *row;
			char buf[32];
			if ((rc = kefu_table_add_row(t, &row)) ||
			    (rc = kefu_cell_set_text(&row[0], shop, strlen(shop))) ||
			    (rc = kefu_cell_set_text(&row[1], agent, strlen(agent))))
				goto oom;
			if (per == KEFU_PER_DAY) {
				if ((rc = cell_day(&row[2], pstart)))
					goto oom;
			} else {
				int64_t from = per == KEFU_PER_RANGE ? first : pstart;
				int64_t to = per == KEFU_PER_RANGE ? last : kefu_period_end((kefu_per)per, pstart);
				if (f->from_day != INT64_MIN && from < f->from_day)
					from = f->from_day;
				if (f->to_day != INT64_MAX && to > f->to_day)
					to = f->to_day;
				period_label(per, pstart, buf, sizeof buf);
				if ((rc = kefu_cell_set_text(&row[2], buf, strlen(buf))) ||
				    (rc = cell_day(&row[3], from)) || (rc = cell_day(&row[4], to)))
					goto oom;
			}
			kefu_cell *c = row + nh;
			for (int k = 0; k < 8; k++)
				c[k].empty = 0;
			c[0].num = v[0];
			c[1].num = v[1];
			c[2].num = v[2];
			c[3].num = v[3];
			c[3].den = v[0];
			c[3].empty = v[0] == 0;
			c[4].num = v[3];
			c[5].num = v[4];
			c[5].den = v[0];
			c[5].empty = v[0] == 0;
			c[6].num = v[5];
			c[7].num = v[6];
			have = 0;
		}
		if (step != SQLITE_ROW)
			break;
		if (!have) {
			snprintf(shop, sizeof shop, "%s", sn);
			snprintf(agent, sizeof agent, "%s", an);
			pstart = ps;
			first = day;
			memset(v, 0, sizeof v);
			have = 1;
		}
		last = day;
		for (int k = 0; k < 7; k++)
			v[k] += sqlite3_column_int64(s, 3 + k);
	}
	if (step != SQLITE_DONE) {
		rc = db_fail(db, err, "qa: report");
		goto fail;
	}
	sqlite3_finalize(s);
	*out = t;
	return 0;
oom:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
fail:
	sqlite3_finalize(s);
	kefu_table_free(t);
	return rc;
}

/* Local time of ts in the shop's latest time zone, cached per shop name. */
typedef struct tz_cache {
	char name[256];
	kefu_settings set;
	int have;
} tz_cache;

static int format_local(kefu_store *st, tz_cache *tc, const char *shop, int64_t ts, char *buf,
			kefu_err *err)
{
	if (!tc->have || strcmp(tc->name, shop)) {
		if (tc->have)
			kefu_settings_clear(&tc->set);
		tc->have = 0;
		int rc = kefu_store_settings_latest(st, shop, &tc->set, err);
		if (rc)
			return rc;
		snprintf(tc->name, sizeof tc->name, "%s", shop);
		tc->have = 1;
	}
	kefu_ts_format(tc->set.tz, ts, buf);
	return 0;
}

/* A hit's message text to fetch: the message and the table row. */
typedef struct text_want {
	int64_t ref;
	size_t row;
} text_want;

static int cmp_want(const void *a, const void *b)
{
	const text_want *x = a, *y = b;
	return x->ref < y->ref ? -1 : x->ref > y->ref;
}

/* Sets column col of the wanted rows to their messages' texts, decoding
 * each segment once. A message no longer stored leaves the cell empty. */
static int fill_texts(sqlite3 *db, kefu_table *t, size_t col, text_want *want, size_t n,
		      kefu_err *err)
{
	kefu_msgseg seg;
	memset(&seg, 0, sizeof seg);
	int64_t have = -1;
	int rc = 0, missing = 0;
	if (n)
		qsort(want, n, sizeof *want, cmp_want);
	for (size_t i = 0; i < n && rc == 0; i++) {
		int64_t id = want[i].ref >> KEFU_MSGSEG_ROW_BITS;
		size_t row = (size_t)(want[i].ref & ((1 << KEFU_MSGSEG_ROW_BITS) - 1));
		if (id != have) {
			have = id;
			rc = kefu_msgseg_get(db, id, 1, &seg, err);
			missing = rc == KEFU_ENOTFOUND;
			if (missing)
				rc = 0;
		}
		if (rc || missing || row >= seg.n)
			continue;
		if (kefu_cell_set_text(kefu_table_cell(t, want[i].row, col),
				       seg.text + seg.text_off[row],
				       (size_t)(seg.text_off[row + 1] - seg.text_off[row])))
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	kefu_msgseg_free(&seg);
	return rc;
}

int kefu_qa_report_hits(kefu_table **out, kefu_store *st, const kefu_qa_filter *f, kefu_err *err)
{
	static const colspec cols[] = {
		{"shop", "店铺", KEFU_T_TEXT},     {"agent", "客服", KEFU_T_TEXT},
		{"buyer", "买家", KEFU_T_TEXT},    {"day", "日期", KEFU_T_TEXT},
		{"ts", "时间", KEFU_T_TEXT},       {"side", "发送方", KEFU_T_TEXT},
		{"rule", "规则", KEFU_T_TEXT},     {"severity", "级别", KEFU_T_TEXT},
		{"points", "扣分", KEFU_T_INT},    {"matched", "命中内容", KEFU_T_TEXT},
		{"text", "消息", KEFU_T_TEXT},     {"chat", "会话", KEFU_T_TEXT},
	};
	*out = NULL;
	int64_t run;
	int rc = resolve_run(st, f, &run, err);
	if (rc)
		return rc;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	kefu_table *t = NULL;
	tz_cache tc;
	memset(&tc, 0, sizeof tc);
	text_want *want = NULL;
	size_t nwant = 0, nwant_cap = 0;
	const char *sql =
		"SELECT s.name, a.name, b.name, c.day, h.ts, h.dir, q.rule, q.severity, q.points,"
		" h.matched, h.msg_ref, c.chat"
		" FROM qa_hits h JOIN qa_chats c ON c.run_id = h.run_id AND c.chat = h.chat"
		" JOIN qa_rules q ON q.run_id = h.run_id AND q.idx = h.rule_idx"
		" JOIN dim_shop s ON s.id = c.shop_id JOIN dim_agent a ON a.id = c.agent_id"
		" JOIN dim_buyer b ON b.id = c.buyer_id"
		" WHERE h.run_id = ?1 AND c.day BETWEEN ?2 AND ?3"
		" AND (?4 IS NULL OR s.name = ?4) AND (?5 IS NULL OR a.name = ?5)"
		" AND (?6 IS NULL OR q.rule = ?6) AND (?7 < 0 OR q.severity >= ?7)"
		" ORDER BY s.name, a.name, c.day, b.name, h.ts, h.id";
	if ((rc = table_with(&t, "kefu qa hits", cols, sizeof cols / sizeof cols[0])))
		goto oom;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		rc = db_fail(db, err, "qa: hits");
		goto fail;
	}
	bind_filter(s, run, f);
	if (f->rule)
		sqlite3_bind_text(s, 6, f->rule, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, f->min_severity);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		kefu_cell *row;
		if ((rc = kefu_table_add_row(t, &row)) || (rc = cell_text(&row[0], s, 0)) ||
		    (rc = cell_text(&row[1], s, 1)) || (rc = cell_text(&row[2], s, 2)) ||
		    (rc = cell_day(&row[3], sqlite3_column_int64(s, 3))))
			goto oom;
		if (sqlite3_column_type(s, 4) != SQLITE_NULL) {
			char buf[32];
			const char *shop = (const char *)sqlite3_column_text(s, 0);
			if ((rc = format_local(st, &tc, shop ? shop : "", sqlite3_column_int64(s, 4), buf,
					       err)))
				goto fail;
			if ((rc = kefu_cell_set_text(&row[4], buf, strlen(buf))))
				goto oom;
		} else if ((rc = kefu_cell_set_text(&row[4], "", 0))) {
			goto oom;
		}
		const char *side = sqlite3_column_type(s, 5) == SQLITE_NULL ? ""
				   : sqlite3_column_int(s, 5) == KEFU_DIR_B  ? "buyer"
				   : sqlite3_column_int(s, 5) == KEFU_DIR_A  ? "agent"
									     : "auto";
		const char *sv = sev_name(sqlite3_column_int64(s, 7));
		if ((rc = kefu_cell_set_text(&row[5], side, strlen(side))) ||
		    (rc = cell_text(&row[6], s, 6)) ||
		    (rc = kefu_cell_set_text(&row[7], sv, strlen(sv))) ||
		    (rc = cell_text(&row[9], s, 9)) || (rc = kefu_cell_set_text(&row[10], "", 0)) ||
		    (rc = cell_text(&row[11], s, 11)))
			goto oom;
		cell_int(&row[8], s, 8);
		if (sqlite3_column_type(s, 10) != SQLITE_NULL) {
			if (kefu_grow((void **)&want, &nwant_cap, nwant + 1, sizeof *want))
				goto oom;
			want[nwant++] = (text_want){sqlite3_column_int64(s, 10), t->nrows - 1};
		}
	}
	if (step != SQLITE_DONE) {
		rc = db_fail(db, err, "qa: hits");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if ((rc = fill_texts(db, t, 10, want, nwant, err)))
		goto fail;
	kefu_free(want);
	if (tc.have)
		kefu_settings_clear(&tc.set);
	*out = t;
	return 0;
oom:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
fail:
	if (tc.have)
		kefu_settings_clear(&tc.set);
	sqlite3_finalize(s);
	kefu_free(want);
	kefu_table_free(t);
	return rc;
}

/* ------------------------------------------------------------- sample */

typedef struct cand {
	char *shop, *agent, *buyer;
	char chat[13];
	int64_t day;
	int score, severity, hits;
	uint64_t rnd;
	int stratum; /* 0 critical, 1 lowest, 2 random */
	int taken;
} cand;

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int cmp_score(const void *a, const void *b)
{
	const cand *x = *(const cand *const *)a, *y = *(const cand *const *)b;
	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return strcmp(x->chat, y->chat);
}

static int cmp_rnd(const void *a, const void *b)
{
	const cand *x = *(const cand *const *)a, *y = *(const cand *const *)b;
	if (x->rnd != y->rnd)
		return x->rnd < y->rnd ? -1 : 1;
	return strcmp(x->chat, y->chat);
}

int kefu_qa_sample(kefu_table **out, kefu_store *st, const kefu_qa_filter *f, int per_agent,
		   uint64_t seed, kefu_err *err)
{
	static const colspec cols[] = {
		{"shop", "店铺", KEFU_T_TEXT},    {"agent", "客服", KEFU_T_TEXT},
		{"day", "日期", KEFU_T_TEXT},     {"buyer", "买家", KEFU_T_TEXT},
		{"chat", "会话", KEFU_T_TEXT},    {"stratum", "抽样层", KEFU_T_TEXT},
		{"score", "自动得分", KEFU_T_INT}, {"hits", "命中", KEFU_T_INT},
		{"severity", "最高级别", KEFU_T_TEXT},
	};
	*out = NULL;
	int64_t run;
	int rc = resolve_run(st, f, &run, err);
	if (rc)
		return rc;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	kefu_table *t = NULL;
	cand *cs = NULL;
	cand **grp = NULL;
	size_t n = 0, cap = 0;
	const char *sql =
		"SELECT s.name, a.name, b.name, c.day, c.chat, c.score, c.severity, c.hits"
		" FROM qa_chats c JOIN dim_shop s ON s.id = c.shop_id"
		" JOIN dim_agent a ON a.id = c.agent_id JOIN dim_buyer b ON b.id = c.buyer_id"
		" WHERE" CHAT_FILTER
		" AND NOT EXISTS (SELECT 1 FROM qa_reviews r WHERE r.chat = c.chat)"
		" ORDER BY s.name, a.name, c.day, c.chat";
	if (per_agent < 1)
		return kefu_err_set(err, KEFU_EINVAL, "sample: --per-agent must be at least 1");
	if ((rc = table_with(&t, "kefu qa sample", cols, sizeof cols / sizeof cols[0])))
		goto oom;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		rc = db_fail(db, err, "qa: sample");
		goto fail;
	}
	bind_filter(s, run, f);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (kefu_grow((void **)&cs, &cap, n + 1, sizeof *cs))
			goto oom;
		cand *c = &cs[n];
		memset(c, 0, sizeof *c);
		const char *p;
		c->shop = kefu_strndup((p = (const char *)sqlite3_column_text(s, 0)) ? p : "",
				       (size_t)sqlite3_column_bytes(s, 0));
		c->agent = kefu_strndup((p = (const char *)sqlite3_column_text(s, 1)) ? p : "",
					(size_t)sqlite3_column_bytes(s, 1));
		c->buyer = kefu_strndup((p = (const char *)sqlite3_column_text(s, 2)) ? p : "",
					(size_t)sqlite3_column_bytes(s, 2));
		n++;
		if (!c->shop || !c->agent || !c->buyer)
			goto oom;
		c->day = sqlite3_column_int64(s, 3);
		snprintf(c->chat, sizeof c->chat, "%s",
			 (p = (const char *)sqlite3_column_text(s, 4)) ? p : "");
		c->score = sqlite3_column_int(s, 5);
		c->severity = sqlite3_column_type(s, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 6);
		c->hits = sqlite3_column_int(s, 7);
		c->rnd = mix(seed ^ mix(kefu_hash_bytes(c->chat, strlen(c->chat))));
	}
	if (step != SQLITE_DONE) {
		rc = db_fail(db, err, "qa: sample");
		goto fail;
	}
	grp = kefu_malloc((n + 1) * sizeof *grp);
	if (!grp)
		goto oom;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && !strcmp(cs[j].shop, cs[i].shop) && !strcmp(cs[j].agent, cs[i].agent) &&
		       cs[j].day == cs[i].day)
			j++;
		size_t slots = (size_t)per_agent, g, k;
		/* critical hits, lowest score first */
		for (g = 0, k = i; k < j; k++)
			if (cs[k].severity == KEFU_QA_CRITICAL)
				grp[g++] = &cs[k];
		qsort(grp, g, sizeof *grp, cmp_score);
		for (size_t x = 0; x < g && slots; x++, slots--) {
			grp[x]->taken = 1;
			grp[x]->stratum = 0;
		}
		/* half of the rest by lowest score among chats that lost points */
		size_t low = (slots + 1) / 2;
		for (g = 0, k = i; k < j; k++)
			if (!cs[k].taken && cs[k].score < 100)
				grp[g++] = &cs[k];
		qsort(grp, g, sizeof *grp, cmp_score);
		for (size_t x = 0; x < g && low; x++, low--, slots--) {
			grp[x]->taken = 1;
			grp[x]->stratum = 1;
		}
		/* the rest at random (seeded) */
		for (g = 0, k = i; k < j; k++)
			if (!cs[k].taken)
				grp[g++] = &cs[k];
		qsort(grp, g, sizeof *grp, cmp_rnd);
		for (size_t x = 0; x < g && slots; x++, slots--) {
			grp[x]->taken = 1;
			grp[x]->stratum = 2;
		}
		/* rows in stratum order */
		static const char *const sname[] = {"critical", "lowest", "random"};
		for (int stratum = 0; stratum < 3; stratum++) {
			for (g = 0, k = i; k < j; k++)
				if (cs[k].taken && cs[k].stratum == stratum)
					grp[g++] = &cs[k];
			qsort(grp, g, sizeof *grp, stratum == 2 ? cmp_rnd : cmp_score);
			for (size_t x = 0; x < g; x++) {
				kefu_cell *row;
				const cand *c = grp[x];
				const char *sv = c->severity < 0 ? "" : sev_name(c->severity);
				if ((rc = kefu_table_add_row(t, &row)) ||
				    (rc = kefu_cell_set_text(&row[0], c->shop, strlen(c->shop))) ||
				    (rc = kefu_cell_set_text(&row[1], c->agent, strlen(c->agent))) ||
				    (rc = cell_day(&row[2], c->day)) ||
				    (rc = kefu_cell_set_text(&row[3], c->buyer, strlen(c->buyer))) ||
				    (rc = kefu_cell_set_text(&row[4], c->chat, strlen(c->chat))) ||
				    (rc = kefu_cell_set_text(&row[5], sname[stratum],
							     strlen(sname[stratum]))) ||
				    (rc = kefu_cell_set_text(&row[8], sv, strlen(sv))))
					goto oom;
				row[6].empty = row[7].empty = 0;
				row[6].num = c->score;
				row[7].num = c->hits;
			}
		}
		i = j;
	}
	sqlite3_finalize(s);
	s = NULL;
	for (size_t i = 0; i < n; i++) {
		kefu_free(cs[i].shop);
		kefu_free(cs[i].agent);
		kefu_free(cs[i].buyer);
	}
	kefu_free(cs);
	kefu_free(grp);
	*out = t;
	return 0;
oom:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
fail:
	sqlite3_finalize(s);
	for (size_t i = 0; i < n; i++) {
		kefu_free(cs[i].shop);
		kefu_free(cs[i].agent);
		kefu_free(cs[i].buyer);
	}
	kefu_free(cs);
	kefu_free(grp);
	kefu_table_free(t);
	return rc;
}

/* ------------------------------------------------------------- review */

int kefu_qa_review(kefu_store *st, int64_t run_id, const char *chat, int score, const char *note,
		   const char *reviewer, int64_t now, kefu_err *err)
{
	if (score < 0 || score > 100)
		return kefu_err_set(err, KEFU_EINVAL, "review: score must be 0..100, not %d", score);
	if (!reviewer || !reviewer[0])
		return kefu_err_set(err, KEFU_EINVAL, "review: a reviewer is required");
	kefu_qa_filter f = KEFU_QA_FILTER_INIT;
	f.run_id = run_id;
	int64_t run;
	int rc = resolve_run(st, &f, &run, err);
	if (rc)
		return rc;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO qa_reviews(chat, shop_id, agent_id, buyer_id, day, score,"
			       " auto_score, note, reviewer, at) SELECT chat, shop_id, agent_id,"
			       " buyer_id, day, ?3, score, ?4, ?5, ?6 FROM qa_chats"
			       " WHERE run_id = ?1 AND chat = ?2",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "qa: review");
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_text(s, 2, chat, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, score);
	sqlite3_bind_text(s, 4, note ? note : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, reviewer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, now ? now : (int64_t)time(NULL));
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "qa: review");
	if (sqlite3_changes(db) == 0)
		return kefu_err_set(err, KEFU_ENOTFOUND,
				    "review: no chat '%s' in quality inspection run %lld", chat,
				    (long long)run);
	return 0;
}
