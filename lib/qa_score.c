/*
 * qa_score.c - scores every chat (shared/spec/quality.md): the messages of
 * each chat are found by walking the streams in the KPI engine's order
 * (shop, agent, buyer, ts with B < S < A) beside the engine's chats, which
 * are sorted the same way; text rules run through the matcher on threads
 * over contiguous parts of the streams; behaviour rules use the chat's
 * quantities, and reply gaps are recomputed per question run exactly as
 * the engine does (metrics.md: a run is answered by the first A after its
 * last B, on its day or within max_wait after the day ends).
 */
#include "kefu/qa.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ messages */

int kefu_qa_msgs_add(kefu_qa_msgs *m, uint32_t shop, uint32_t agent, uint32_t buyer, int dir,
		     int64_t ts, int64_t ref, const char *text, size_t n)
{
	if (n > UINT32_MAX)
		return KEFU_EINVAL;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		void *p;
#define GROW(f)                                                                              \
	if (!(p = kefu_realloc(m->f, cap * sizeof *m->f)))                                   \
		return KEFU_ENOMEM;                                                          \
	m->f = p;
		GROW(shop) GROW(agent) GROW(buyer) GROW(dir) GROW(ts) GROW(ref) GROW(off) GROW(len)
#undef GROW
		m->cap = cap;
	}
	if (kefu_grow((void **)&m->buf, &m->buf_cap, m->buf_n + n + 1, 1))
		return KEFU_ENOMEM;
	memcpy(m->buf + m->buf_n, text, n);
	size_t i = m->n++;
	m->shop[i] = shop;
	m->agent[i] = agent;
	m->buyer[i] = buyer;
	m->dir[i] = (uint8_t)dir;
	m->ts[i] = ts;
	m->ref[i] = ref;
	m->off[i] = m->buf_n;
	m->len[i] = (uint32_t)n;
	m->buf_n += n;
	m->buf[m->buf_n] = '\0';
	kefu_free(m->order);
	m->order = NULL;
	return 0;
}

void kefu_qa_msgs_clear(kefu_qa_msgs *m)
{
	kefu_free(m->shop);
	kefu_free(m->agent);
	kefu_free(m->buyer);
	kefu_free(m->dir);
	kefu_free(m->ts);
	kefu_free(m->ref);
	kefu_free(m->off);
	kefu_free(m->len);
	kefu_free(m->buf);
	kefu_free(m->order);
	memset(m, 0, sizeof *m);
}

/* Stream order: (shop, agent) then buyer, then ts with B < S < A, then
 * insertion order (stable radix sorts). */
int kefu_qa_msgs_sort(kefu_qa_msgs *m)
{
	kefu_free(m->order);
	m->order = kefu_malloc((m->n + 1) * sizeof *m->order);
	kefu_key3 *k = kefu_malloc((m->n + 1) * sizeof *k);
	if (!m->order || !k) {
		kefu_free(k);
		return KEFU_ENOMEM;
	}
	int64_t min_ts = INT64_MAX;
	for (size_t i = 0; i < m->n; i++)
		if (m->ts[i] < min_ts)
			min_ts = m->ts[i];
	for (size_t i = 0; i < m->n; i++)
		k[i] = (kefu_key3){(uint64_t)m->shop[i] << 32 | m->agent[i],
				   (uint64_t)m->buyer[i] << 32, (uint32_t)i, 0};
	/* first by time (ts offsets fit 62 bits), then stably by stream */
	kefu_key3 *t = kefu_malloc((m->n + 1) * sizeof *t);
	if (!t) {
		kefu_free(k);
		return KEFU_ENOMEM;
	}
	for (size_t i = 0; i < m->n; i++)
		t[i] = (kefu_key3){0, (uint64_t)(m->ts[i] - min_ts) << 2 | m->dir[i], (uint32_t)i, 0};
	int rc = kefu_sort_key3(t, m->n);
	for (size_t i = 0; !rc && i < m->n; i++) {
		uint32_t x = t[i].idx;
		k[i] = (kefu_key3){(uint64_t)m->shop[x] << 32 | m->agent[x], (uint64_t)m->buyer[x],
				   x, 0};
	}
	kefu_free(t);
	if (!rc)
		rc = kefu_sort_key3(k, m->n);
	for (size_t i = 0; !rc && i < m->n; i++)
		m->order[i] = k[i].idx;
	kefu_free(k);
	if (rc) {
		kefu_free(m->order);
		m->order = NULL;
	}
	return rc;
}

/* ---------------------------------------------------------------- keys */

void kefu_qa_chat_key(kefu_str shop, kefu_str agent, kefu_str buyer, int64_t day, char *buf)
{
	uint64_t h = kefu_hash_bytes(shop.p, shop.n);
	h = (h ^ kefu_hash_bytes(agent.p, agent.n)) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ kefu_hash_bytes(buyer.p, buyer.n)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (uint64_t)day) * 0x94d049bb133111ebULL;
	h ^= h >> 31;
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 12; i++)
		buf[i] = hex[(h >> (60 - 4 * i)) & 15];
	buf[12] = '\0';
}

/* ------------------------------------------------------------- inspect */

void kefu_qa_result_free(kefu_qa_result *r)
{
	if (!r)
		return;
	kefu_free(r->chats);
	kefu_free(r->hits);
	kefu_free(r);
}

typedef struct hitvec {
	kefu_qa_hit *h;
	size_t n, cap;
} hitvec;

static int hit_push(hitvec *v, kefu_qa_hit h)
{
	if (kefu_grow((void **)&v->h, &v->cap, v->n + 1, sizeof *v->h))
		return KEFU_ENOMEM;
	v->h[v->n++] = h;
	return 0;
}

/* One thread's part of the text pass: stream positions [lo, hi). */
typedef struct scan_part {
	const kefu_qa_msgs *msgs;
	const uint32_t *pos_chat; /* per stream position: qa chat index or UINT32_MAX */
	const kefu_qa_rules *rs;
	const kefu_qa_matcher *m;
	size_t lo, hi;
	hitvec out;
	size_t scanned, bytes;
	int rc;
	kefu_err err;
} scan_part;

static void *scan_thread(void *arg)
{
	scan_part *p = arg;
	kefu_qa_scratch *s = NULL;
	if ((p->rc = kefu_qa_scratch_new(&s, p->m, &p->err)))
		return NULL;
	const kefu_qa_msgs *ms = p->msgs;
	for (size_t x = p->lo; x < p->hi; x++) {
		uint32_t qc = p->pos_chat[x];
		if (qc == UINT32_MAX)
			continue;
		uint32_t i = ms->order[x];
		int dir = ms->dir[i];
		if (dir == KEFU_DIR_S)
			continue;
		kefu_qa_side side = dir == KEFU_DIR_B ? KEFU_QA_BUYER : KEFU_QA_AGENT;
		const kefu_qa_match *h;
		size_t nh;
		p->scanned++;
		p->bytes += ms->len[i];
		if ((p->rc = kefu_qa_scan(s, side, ms->buf + ms->off[i], ms->len[i], &h, &nh, &p->err)))
			break;
		for (size_t k = 0; k < nh; k++)
			if (hit_push(&p->out, (kefu_qa_hit){qc, h[k].rule, (uint32_t)x, h[k].start,
							    h[k].end, 0, 0})) {
				p->rc = kefu_err_set(&p->err, KEFU_ENOMEM, "out of memory");
				break;
			}
		if (p->rc)
			break;
	}
	kefu_qa_scratch_free(s);
	return NULL;
}

/* Auto-reply texts per shop: a hash set of (shop, trimmed text). */
typedef struct text_set {
	uint64_t *h;  /* 0 = empty */
	uint32_t *msg; /* a message holding the text */
	size_t cap, n;
} text_set;

static kefu_str trim_text(const char *p, size_t n)
{
	/* ASCII blanks and the ideographic space U+3000 */
	for (;;) {
		if (n && (p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n')) {
			p++;
			n--;
		} else if (n >= 3 && !memcmp(p, "\xe3\x80\x80", 3)) {
			p += 3;
			n -= 3;
		} else {
			break;
		}
	}
	for (;;) {
		if (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n'))
			n--;
		else if (n >= 3 && !memcmp(p + n - 3, "\xe3\x80\x80", 3))
			n -= 3;
		else
			break;
	}
	return (kefu_str){p, n};
}

static uint64_t text_key(uint32_t shop, kefu_str t)
{
	uint64_t h = (kefu_hash_bytes(t.p, t.n) ^ shop) * 0x9e3779b97f4a7c15ULL;
	return h ? h : 1;
}

static int same_text(const kefu_qa_msgs *ms, uint32_t a, uint32_t b)
{
	kefu_str x = trim_text(ms->buf + ms->off[a], ms->len[a]);
	kefu_str y = trim_text(ms->buf + ms->off[b], ms->len[b]);
	return ms->shop[a] == ms->shop[b] && x.n == y.n && !memcmp(x.p, y.p, x.n);
}

static int text_set_build(text_set *ts, const kefu_qa_msgs *ms)
{
	size_t n = 0;
	for (size_t i = 0; i < ms->n; i++)
		if (ms->dir[i] == KEFU_DIR_S)
			n++;
	ts->cap = 16;
	while (ts->cap < n * 2 + 2)
		ts->cap <<= 1;
	ts->h = kefu_calloc(ts->cap, sizeof *ts->h);
	ts->msg = kefu_calloc(ts->cap, sizeof *ts->msg);
	if (!ts->h || !ts->msg)
		return KEFU_ENOMEM;
	for (size_t i = 0; i < ms->n; i++) {
		if (ms->dir[i] != KEFU_DIR_S)
			continue;
		kefu_str t = trim_text(ms->buf + ms->off[i], ms->len[i]);
		if (!t.n)
			continue;
		uint64_t h = text_key(ms->shop[i], t);
		size_t j = (size_t)h & (ts->cap - 1);
		int dup = 0;
		while (ts->h[j]) {
			if (ts->h[j] == h && same_text(ms, ts->msg[j], (uint32_t)i)) {
				dup = 1;
				break;
			}
			j = (j + 1) & (ts->cap - 1);
		}
		if (!dup) {
			ts->h[j] = h;
			ts->msg[j] = (uint32_t)i;
			ts->n++;
		}
	}
	return 0;
}

static int text_set_has(const text_set *ts, const kefu_qa_msgs *ms, uint32_t i)
{
	if (!ts->n)
		return 0;
	kefu_str t = trim_text(ms->buf + ms->off[i], ms->len[i]);
	if (!t.n)
		return 0;
	uint64_t h = text_key(ms->shop[i], t);
	size_t j = (size_t)h & (ts->cap - 1);
	while (ts->h[j]) {
		if (ts->h[j] == h && same_text(ms, ts->msg[j], i))
			return 1;
		j = (j + 1) & (ts->cap - 1);
	}
	return 0;
}

static int cmp_chat_key(const kefu_chat *c, uint32_t shop, uint32_t agent, uint32_t buyer,
			int64_t day)
{
	if (c->shop != shop)
		return c->shop < shop ? -1 : 1;
	if (c->agent != agent)
		return c->agent < agent ? -1 : 1;
	if (c->buyer != buyer)
		return c->buyer < buyer ? -1 : 1;
	if (c->day != day)
		return c->day < day ? -1 : 1;
	return 0;
}

/* Index of the chat (shop, agent, buyer, day) in res, or UINT32_MAX. */
static uint32_t find_chat(const kefu_kpi_result *res, uint32_t shop, uint32_t agent,
			  uint32_t buyer, int64_t day)
{
	size_t lo = 0, hi = res->n_chats;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_chat_key(&res->chats[mid], shop, agent, buyer, day);
		if (!c)
			return (uint32_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT32_MAX;
}

typedef struct pend_run {
	uint32_t qchat; /* qa chat index or UINT32_MAX (out of range) */
	int64_t day, first_b;
} pend_run;

static int cmp_hit(const void *a, const void *b)
{
	const kefu_qa_hit *x = a, *y = b;
	if (x->chat != y->chat)
		return x->chat < y->chat ? -1 : 1;
	if (x->msg != y->msg)
		return x->msg < y->msg ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return 0;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int kefu_qa_inspect(kefu_qa_result **out, const kefu_dataset *ds, const kefu_kpi_result *res,
		    const kefu_qa_msgs *ms, const kefu_qa_rules *rs, const kefu_qa_matcher *m,
		    const kefu_qa_opts *o, kefu_err *err)
{
	(void)ds;
	*out = NULL;
	int rc = 0;
	kefu_qa_result *r = kefu_calloc(1, sizeof *r);
	uint32_t *qidx = NULL;    /* per KPI chat: qa chat index or UINT32_MAX */
	uint32_t *pos_chat = NULL; /* per stream position */
	pend_run *pend = NULL;
	size_t pend_cap = 0;
	hitvec beh = {NULL, 0, 0};
	text_set ts;
	memset(&ts, 0, sizeof ts);
	scan_part *parts = NULL;
	pthread_t *tids = NULL;
	int threads = o->threads > 0 ? o->threads : 1;
	if (!r)
		goto oom;
	if (ms->n && !ms->order)
		return kefu_qa_result_free(r),
		       kefu_err_set(err, KEFU_EINVAL, "inspect: messages are not sorted");
	/* chats in range */
	qidx = kefu_malloc((res->n_chats + 1) * sizeof *qidx);
	r->chats = kefu_calloc(res->n_chats + 1, sizeof *r->chats);
	pos_chat = kefu_malloc((ms->n + 1) * sizeof *pos_chat);
	if (!qidx || !r->chats || !pos_chat)
		goto oom;
	for (size_t i = 0; i < res->n_chats; i++) {
		const kefu_chat *c = &res->chats[i];
		if (c->day < o->from_day || c->day > o->to_day) {
			qidx[i] = UINT32_MAX;
			continue;
		}
		qidx[i] = (uint32_t)r->n_chats;
		kefu_qa_chat *q = &r->chats[r->n_chats++];
		q->chat = (uint32_t)i;
		q->max_severity = 255;
	}
	/* rule kinds present */
	int want_auto = 0;
	for (size_t k = 0; k < rs->n; k++)
		if (rs->r[k].kind == KEFU_QA_AUTO_REPLY_COPY)
			want_auto = 1;
	if (want_auto && text_set_build(&ts, ms))
		goto oom;

	/* the walk: chat of each message, reply gaps, auto-reply copies */
	size_t x = 0;
	while (x < ms->n) {
		uint32_t i0 = ms->order[x];
		size_t y = x;
		while (y < ms->n) {
			uint32_t j = ms->order[y];
			if (ms->shop[j] != ms->shop[i0] || ms->agent[j] != ms->agent[i0] ||
			    ms->buyer[j] != ms->buyer[i0])
				break;
			y++;
		}
		uint32_t shop = ms->shop[i0], agent = ms->agent[i0], buyer = ms->buyer[i0];
		const kefu_settings_versions *vs =
			shop < o->n_shop_settings ? &o->shop_settings[shop] : NULL;
		int64_t cur_day = INT64_MIN;
		uint32_t cur_chat = UINT32_MAX;
		size_t npend = 0;
		int open_run = 0;
		for (size_t p = x; p < y; p++) {
			uint32_t i = ms->order[p];
			pos_chat[p] = UINT32_MAX;
			if (!vs)
				continue;
			int64_t t = ms->ts[i], d = kefu_settings_day_of(vs, t);
			int dir = ms->dir[i];
			if (dir == KEFU_DIR_S)
				continue;
			if (d != cur_day) {
				cur_day = d;
				cur_chat = find_chat(res, shop, agent, buyer, d);
				open_run = 0;
			}
			if (cur_chat == UINT32_MAX)
				continue; /* excluded buyer */
			uint32_t qc = qidx[cur_chat];
			pos_chat[p] = qc;
			if (dir == KEFU_DIR_B) {
				if (!open_run) {
					if (kefu_grow((void **)&pend, &pend_cap, npend + 1, sizeof *pend))
						goto oom;
					pend[npend++] = (pend_run){qc, d, t};
					open_run = 1;
				}
				continue;
			}
			/* A: answers every pending run within its limit */
			for (size_t k = 0; k < npend; k++) {
				const kefu_settings *ps = kefu_settings_at(vs, pend[k].day);
				int64_t limit = kefu_day_start(ps->tz, ps->day_split_s, pend[k].day + 1) +
						ps->max_wait_s;
				if (t > limit || pend[k].qchat == UINT32_MAX)
					continue;
				int64_t gap = t - pend[k].first_b;
				kefu_qa_chat *q = &r->chats[pend[k].qchat];
				q->gap_sum_s += gap;
				q->gap_n++;
				if (gap > q->max_gap_s)
					q->max_gap_s = gap;
				for (size_t ru = 0; ru < rs->n; ru++)
					if (rs->r[ru].kind == KEFU_QA_REPLY_GAP && gap > rs->r[ru].over_s &&
					    hit_push(&beh, (kefu_qa_hit){pend[k].qchat, (uint32_t)ru,
									 (uint32_t)p, 0, 0, gap, 0}))
						goto oom;
			}
			npend = 0;
			open_run = 0;
			if (qc != UINT32_MAX && want_auto && text_set_has(&ts, ms, i))
				for (size_t ru = 0; ru < rs->n; ru++)
					if (rs->r[ru].kind == KEFU_QA_AUTO_REPLY_COPY &&
					    hit_push(&beh, (kefu_qa_hit){qc, (uint32_t)ru, (uint32_t)p, 0,
									 ms->len[i], 0, 0}))
						goto oom;
		}
		x = y;
	}
	/* chat-level behaviour rules */
	for (size_t q = 0; q < r->n_chats; q++) {
		const kefu_chat *c = &res->chats[r->chats[q].chat];
		for (size_t ru = 0; ru < rs->n; ru++) {
			const kefu_qa_rule *rule = &rs->r[ru];
			if (rule->kind == KEFU_QA_UNANSWERED && c->buyer_msgs > 0 && !c->received &&
			    hit_push(&beh, (kefu_qa_hit){(uint32_t)q, (uint32_t)ru, UINT32_MAX, 0, 0,
							 c->buyer_msgs, 0}))
				goto oom;
			if (rule->kind == KEFU_QA_QA_RATIO && c->buyer_msgs > 0 &&
			    (int64_t)c->agent_msgs * rule->below_den <
				    rule->below_num * (int64_t)c->buyer_msgs &&
			    hit_push(&beh, (kefu_qa_hit){(uint32_t)q, (uint32_t)ru, UINT32_MAX, 0, 0,
							 c->agent_msgs, c->buyer_msgs}))
				goto oom;
		}
	}

	/* the text pass, on threads over contiguous stream positions */
	int any_text = 0;
	for (size_t k = 0; k < rs->n; k++)
		if (rs->r[k].kind == KEFU_QA_KEYWORDS || rs->r[k].kind == KEFU_QA_REGEX)
			any_text = 1;
	double t0 = mono_s();
	if (any_text && m && ms->n) {
		if ((size_t)threads > ms->n / 1024 + 1)
			threads = (int)(ms->n / 1024 + 1);
		parts = kefu_calloc((size_t)threads, sizeof *parts);
		tids = kefu_calloc((size_t)threads, sizeof *tids);
		if (!parts || !tids)
			goto oom;
		for (int t = 0; t < threads; t++) {
			parts[t].msgs = ms;
			parts[t].pos_chat = pos_chat;
			parts[t].rs = rs;
			parts[t].m = m;
			parts[t].lo = ms->n * (size_t)t / (size_t)threads;
			parts[t].hi = ms->n * (size_t)(t + 1) / (size_t)threads;
		}
		int started = 0;
		for (int t = 1; t < threads; t++) {
			if (pthread_create(&tids[t], NULL, scan_thread, &parts[t]))
				break;
			started = t;
		}
		scan_thread(&parts[0]);
		for (int t = 1; t <= started; t++)
			pthread_join(tids[t], NULL);
		for (int t = started + 1; t < threads; t++)
			scan_thread(&parts[t]); /* thread creation failed: run here */
		for (int t = 0; t < threads; t++) {
			if (parts[t].rc) {
				*err = parts[t].err;
				rc = parts[t].rc;
				goto fail;
			}
			r->msgs_scanned += parts[t].scanned;
			r->bytes_scanned += parts[t].bytes;
		}
	}
	r->scan_s = mono_s() - t0;
	/* all hits, in order */
	size_t total = beh.n;
	for (int t = 0; parts && t < threads; t++)
		total += parts[t].out.n;
	r->hits = kefu_malloc((total + 1) * sizeof *r->hits);
	if (!r->hits)
		goto oom;
	for (int t = 0; parts && t < threads; t++) {
		if (parts[t].out.n)
			memcpy(r->hits + r->n_hits, parts[t].out.h, parts[t].out.n * sizeof *r->hits);
		r->n_hits += parts[t].out.n;
	}
	if (beh.n)
		memcpy(r->hits + r->n_hits, beh.h, beh.n * sizeof *r->hits);
	r->n_hits += beh.n;
	qsort(r->hits, r->n_hits, sizeof *r->hits, cmp_hit);
	/* scores: each rule hit deducts its points once per chat */
	size_t h = 0;
	uint8_t *seen = kefu_calloc(rs->n + 1, 1);
	if (!seen)
		goto oom;
	while (h < r->n_hits) {
		size_t e = h;
		uint32_t qc = r->hits[h].chat;
		memset(seen, 0, rs->n + 1);
		kefu_qa_chat *q = &r->chats[qc];
		while (e < r->n_hits && r->hits[e].chat == qc) {
			const kefu_qa_rule *rule = &rs->r[r->hits[e].rule];
			q->hits++;
			if (!seen[r->hits[e].rule]) {
				seen[r->hits[e].rule] = 1;
				q->rules_hit++;
				q->points += rule->points;
				if (q->max_severity == 255 || rule->severity > q->max_severity)
					q->max_severity = (uint8_t)rule->severity;
			}
			e++;
		}
		h = e;
	}
	kefu_free(seen);
	for (size_t q = 0; q < r->n_chats; q++) {
		int s = 100 - r->chats[q].points;
		r->chats[q].score = s < 0 ? 0 : s;
	}
	goto done;
oom:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
fail:
	kefu_qa_result_free(r);
	r = NULL;
done:
	for (int t = 0; parts && t < threads; t++)
		kefu_free(parts[t].out.h);
	kefu_free(parts);
	kefu_free(tids);
	kefu_free(qidx);
	kefu_free(pos_chat);
	kefu_free(pend);
	kefu_free(beh.h);
	kefu_free(ts.h);
	kefu_free(ts.msg);
	*out = r;
	return rc;
}
