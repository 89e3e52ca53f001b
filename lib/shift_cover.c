/*
 * shift_cover.c - least-cost shifts covering a per-interval agent
 * requirement (staffing.md step 4). Every shift instance covers a run of
 * consecutive intervals, so the covering constraints form an interval
 * matrix, which is totally unimodular: the integer optimum equals the LP
 * optimum, and differencing consecutive rows turns the LP into a min-cost
 * flow (Veinott and Wagner). Rows are first compressed to the elementary
 * segments between shift boundaries (only the largest need in a segment
 * matters), so a 30-day plan is a graph of a few hundred nodes solved by
 * successive shortest paths (Bellman-Ford queue). Exact; tests compare with
 * brute force.
 */
#include "kefu/staffing.h"

#include <stdlib.h>
#include <string.h>

#define DAY_S 86400
#define INF_CAP INT64_MAX

void kefu_cover_free(kefu_cover *c)
{
	if (!c)
		return;
	kefu_free(c->uses);
	kefu_free(c->covered);
	kefu_free(c->gaps);
	kefu_free(c);
}

typedef struct inst {
	size_t pattern;
	int64_t day;
	size_t a, b; /* slots [a, b) */
	int64_t cost;
	size_t arc;  /* index of its arc */
} inst;

typedef struct arc {
	size_t to;
	int64_t cap, cost;
} arc; /* arcs stored in pairs: 2k forward, 2k+1 reverse */

typedef struct graph {
	arc *a;
	size_t n, cap;
	size_t **adj; /* per node list of arc ids */
	size_t *nadj, *capadj;
	size_t nodes;
} graph;

static int add_arc(graph *g, size_t u, size_t v, int64_t cap, int64_t cost)
{
	if (kefu_grow((void **)&g->a, &g->cap, g->n + 2, sizeof *g->a))
		return KEFU_ENOMEM;
	size_t id = g->n;
	g->a[id] = (arc){v, cap, cost};
	g->a[id + 1] = (arc){u, 0, -cost};
	g->n += 2;
	size_t ends[2] = {u, v};
	for (int k = 0; k < 2; k++) {
		size_t x = ends[k];
		if (kefu_grow((void **)&g->adj[x], &g->capadj[x], g->nadj[x] + 1, sizeof(size_t)))
			return KEFU_ENOMEM;
		g->adj[x][g->nadj[x]++] = id + (size_t)k;
	}
	return 0;
}

static void graph_free(graph *g)
{
	for (size_t i = 0; i < g->nodes; i++)
		kefu_free(g->adj[i]);
	kefu_free(g->adj);
	kefu_free(g->nadj);
	kefu_free(g->capadj);
	kefu_free(g->a);
}

/* Successive shortest paths from s to t; returns 0 or KEFU_ENOMEM. */
static int min_cost_flow(graph *g, size_t s, size_t t)
{
	size_t n = g->nodes;
	int64_t *dist = kefu_malloc(n * sizeof *dist);
	size_t *prev = kefu_malloc(n * sizeof *prev);
	size_t *queue = kefu_malloc((n + 1) * sizeof *queue);
	uint8_t *inq = kefu_malloc(n);
	int rc = 0;
	if (!dist || !prev || !queue || !inq) {
		rc = KEFU_ENOMEM;
		goto done;
	}
	for (;;) {
		for (size_t i = 0; i < n; i++) {
			dist[i] = INT64_MAX;
			inq[i] = 0;
		}
		dist[s] = 0;
		size_t qh = 0, qt = 0, qn = 0;
		queue[qt] = s;
		qt = (qt + 1) % (n + 1);
		qn++;
		inq[s] = 1;
		while (qn) {
			size_t u = queue[qh];
			qh = (qh + 1) % (n + 1);
			qn--;
			inq[u] = 0;
			for (size_t k = 0; k < g->nadj[u]; k++) {
				size_t id = g->adj[u][k];
				const arc *e = &g->a[id];
				if (e->cap <= 0)
					continue;
				int64_t nd = dist[u] + e->cost;
				if (nd < dist[e->to]) {
					dist[e->to] = nd;
					prev[e->to] = id;
					if (!inq[e->to]) {
						inq[e->to] = 1;
						queue[qt] = e->to;
						qt = (qt + 1) % (n + 1);
						qn++;
					}
				}
			}
		}
		if (dist[t] == INT64_MAX)
			break;
		int64_t push = INF_CAP;
		for (size_t v = t; v != s; v = g->a[prev[v] ^ 1].to)
			if (g->a[prev[v]].cap < push)
				push = g->a[prev[v]].cap;
		for (size_t v = t; v != s; v = g->a[prev[v] ^ 1].to) {
			size_t id = prev[v];
			if (g->a[id].cap != INF_CAP)
				g->a[id].cap -= push;
			if (g->a[id ^ 1].cap != INF_CAP)
				g->a[id ^ 1].cap += push;
		}
	}
done:
	kefu_free(dist);
	kefu_free(prev);
	kefu_free(queue);
	kefu_free(inq);
	return rc;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

static size_t find_bound(const size_t *b, size_t n, size_t v)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (b[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int kefu_shift_cover(kefu_cover **out, const int64_t *demand, size_t nslots, int64_t first_day,
		     int interval_s, const kefu_shift_pattern *pats, size_t npats,
		     int64_t max_agents, kefu_err *err)
{
	*out = NULL;
	if (interval_s <= 0 || DAY_S % interval_s)
		return kefu_err_set(err, KEFU_EINVAL, "interval must divide a day");
	for (size_t p = 0; p < npats; p++)
		if (pats[p].start_s < 0 || pats[p].start_s >= DAY_S || pats[p].len_s <= 0 ||
		    pats[p].len_s > 7 * DAY_S || pats[p].cost < 0)
			return kefu_err_set(err, KEFU_EINVAL, "shift %s: bad start, length or cost",
					    pats[p].name ? pats[p].name : "?");
	for (size_t i = 0; i < nslots; i++)
		if (demand[i] < 0)
			return kefu_err_set(err, KEFU_EINVAL, "negative demand at slot %zu", i);
	int rc = 0;
	kefu_cover *c = kefu_calloc(1, sizeof *c);
	int64_t *need = kefu_calloc(nslots + 1, sizeof *need);
	int64_t *diff = kefu_calloc(nslots + 2, sizeof *diff);
	inst *in = NULL;
	size_t nin = 0, capin = 0, capgaps = 0, capuses = 0;
	size_t *bounds = NULL;
	graph g;
	memset(&g, 0, sizeof g);
	if (!c || !need || !diff || !(c->covered = kefu_calloc(nslots + 1, sizeof *c->covered))) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto fail;
	}
	int64_t horizon = (int64_t)nslots * interval_s;
	int64_t ndays = (horizon + DAY_S - 1) / DAY_S;
	/* shift instances: every pattern on every day, from the day before the
	 * first (a night shift running into it) to the last; on duty for the
	 * whole of a slot to cover it */
	for (int64_t d = -7; d < ndays; d++)
		for (size_t p = 0; p < npats; p++) {
			int64_t st = d * DAY_S + pats[p].start_s, en = st + pats[p].len_s;
			if (en <= 0 || st >= horizon)
				continue;
			int64_t a = st <= 0 ? 0 : (st + interval_s - 1) / interval_s;
			int64_t b = en >= horizon ? (int64_t)nslots : en / interval_s;
			if (a >= b)
				continue;
			if (kefu_grow((void **)&in, &capin, nin + 1, sizeof *in)) {
				rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
				goto fail;
			}
			in[nin++] = (inst){p, first_day + d, (size_t)a, (size_t)b, pats[p].cost, 0};
			diff[a]++;
			diff[b]--;
		}
	/* gaps: slots no shift covers, or needing more than the cap */
	int64_t run = 0;
	for (size_t i = 0; i < nslots; i++) {
		run += diff[i];
		need[i] = demand[i];
		int unc = need[i] > 0 && run == 0;
		int over = max_agents > 0 && need[i] > max_agents;
		if (unc || over) {
			if (kefu_grow((void **)&c->gaps, &capgaps, c->ngaps + 1, sizeof *c->gaps)) {
				rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
				goto fail;
			}
			c->gaps[c->ngaps++] = (kefu_cover_gap){i, demand[i], 0, unc};
			need[i] = unc ? 0 : max_agents;
		}
	}
	/* segments between shift boundaries */
	size_t nb = 0;
	bounds = kefu_malloc((2 * nin + 2) * sizeof *bounds);
	if (!bounds) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto fail;
	}
	bounds[nb++] = 0;
	bounds[nb++] = nslots;
	for (size_t k = 0; k < nin; k++) {
		bounds[nb++] = in[k].a;
		bounds[nb++] = in[k].b;
	}
	qsort(bounds, nb, sizeof *bounds, cmp_size);
	size_t u = 0;
	for (size_t k = 0; k < nb; k++)
		if (!u || bounds[k] != bounds[u - 1])
			bounds[u++] = bounds[k];
	nb = u; /* nodes 0..nb-1 at the boundaries; segment k = [bounds[k], bounds[k+1]) */
	size_t nseg = nb - 1;
	g.nodes = nb + 2;
	size_t src = nb, snk = nb + 1;
	g.adj = kefu_calloc(g.nodes, sizeof *g.adj);
	g.nadj = kefu_calloc(g.nodes, sizeof *g.nadj);
	g.capadj = kefu_calloc(g.nodes, sizeof *g.capadj);
	if (!g.adj || !g.nadj || !g.capadj) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto fail;
	}
	/* shift arcs: node(b) -> node(a) at the shift's cost */
	for (size_t k = 0; k < nin; k++) {
		in[k].arc = g.n;
		size_t na = find_bound(bounds, nb, in[k].a), nbb = find_bound(bounds, nb, in[k].b);
		if (add_arc(&g, nbb, na, INF_CAP, in[k].cost)) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto fail;
		}
	}
	/* surplus arcs k -> k+1 (free) and the node balances r_k - r_{k-1} */
	int64_t prev_r = 0;
	for (size_t k = 0; k <= nseg; k++) {
		int64_t r = 0;
		if (k < nseg) {
			for (size_t i = bounds[k]; i < bounds[k + 1]; i++)
				if (need[i] > r)
					r = need[i];
			if (add_arc(&g, k, k + 1, INF_CAP, 0)) {
				rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
				goto fail;
			}
		}
		int64_t bal = r - prev_r;
		int e = 0;
		if (bal > 0)
			e = add_arc(&g, k, snk, bal, 0); /* needs inflow */
		else if (bal < 0)
			e = add_arc(&g, src, k, -bal, 0);
		if (e) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto fail;
		}
		prev_r = r;
	}
	if (min_cost_flow(&g, src, snk)) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto fail;
	}
	/* read the solution */
	memset(diff, 0, (nslots + 2) * sizeof *diff);
	for (size_t k = 0; k < nin; k++) {
		int64_t x = g.a[in[k].arc ^ 1].cap; /* flow = reverse residual */
		if (x <= 0)
			continue;
		if (kefu_grow((void **)&c->uses, &capuses, c->nuses + 1, sizeof *c->uses)) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto fail;
		}
		c->uses[c->nuses++] = (kefu_shift_use){in[k].pattern, in[k].day, x};
		int64_t cost;
		if (__builtin_mul_overflow(x, in[k].cost, &cost) ||
		    kefu_add_i64(&c->total_cost, cost) || kefu_add_i64(&c->agent_shifts, x)) {
			rc = kefu_err_set(err, KEFU_EOVERFLOW, "total shift cost overflows");
			goto fail;
		}
		diff[in[k].a] += x;
		diff[in[k].b] -= x;
	}
	run = 0;
	for (size_t i = 0; i < nslots; i++) {
		run += diff[i];
		c->covered[i] = run;
	}
	for (size_t k = 0; k < c->ngaps; k++)
		c->gaps[k].covered = c->covered[c->gaps[k].slot];
	kefu_free(need);
	kefu_free(diff);
	kefu_free(in);
	kefu_free(bounds);
	graph_free(&g);
	*out = c;
	return 0;
fail:
	kefu_cover_free(c);
	kefu_free(need);
	kefu_free(diff);
	kefu_free(in);
	kefu_free(bounds);
	graph_free(&g);
	return rc;
}
