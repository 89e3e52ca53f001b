/*
 * forecast.c - interval-volume forecast for staffing (staffing.md step 2):
 * interval counts on a grid of local days, weekday intraday templates from
 * the last N normal days of each weekday, scaled by a level (the recent
 * weeks against their templates), times sale-event multipliers (given, or
 * learned from past occurrences of the same event), and a backtest over a
 * held-back final week. Also reads a counts CSV (interval start, count).
 */
#include "kefu/staffing.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kefu/csv.h"
#include "kefu/tz.h"

#define DAY_S 86400

void kefu_volume_grid_free(kefu_volume_grid *g)
{
	if (!g)
		return;
	kefu_free(g->count);
	kefu_free(g->present);
	kefu_free(g);
}

static int grid_alloc(kefu_volume_grid **out, int64_t first_day, size_t ndays, int interval_s,
		      kefu_err *err)
{
	*out = NULL;
	if (interval_s <= 0 || DAY_S % interval_s)
		return kefu_err_set(err, KEFU_EINVAL, "interval must divide a day");
	if (ndays > 200000)
		return kefu_err_set(err, KEFU_EINVAL, "more than 200000 days of data");
	kefu_volume_grid *g = kefu_calloc(1, sizeof *g);
	if (!g)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	g->first_day = first_day;
	g->ndays = ndays;
	g->interval_s = interval_s;
	g->slots = DAY_S / interval_s;
	g->count = kefu_calloc(ndays * (size_t)g->slots + 1, sizeof *g->count);
	g->present = kefu_calloc(ndays + 1, 1);
	if (!g->count || !g->present) {
		kefu_volume_grid_free(g);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	*out = g;
	return 0;
}

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

typedef struct pt {
	int64_t t;
	double c;
} pt;

static int cmp_pt(const void *a, const void *b)
{
	int64_t x = ((const pt *)a)->t, y = ((const pt *)b)->t;
	return (x > y) - (x < y);
}

int kefu_volume_grid_build(kefu_volume_grid **out, const int64_t *start, const double *count,
			   size_t n, int input_s, int interval_s, kefu_err *err)
{
	*out = NULL;
	if (interval_s <= 0 || DAY_S % interval_s)
		return kefu_err_set(err, KEFU_EINVAL, "interval must divide a day");
	if (n == 0)
		return grid_alloc(out, 0, 0, interval_s, err);
	pt *ix = kefu_malloc(n * sizeof *ix);
	if (!ix)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		ix[i].t = start[i];
		ix[i].c = count[i];
		if (!(count[i] >= 0) || !isfinite(count[i])) {
			kefu_free(ix);
			return kefu_err_set(err, KEFU_EINVAL, "count %zu is not a number >= 0", i + 1);
		}
	}
	qsort(ix, n, sizeof *ix, cmp_pt);
	/* input interval: given, or the gcd of the gaps within a day */
	int64_t g = 0;
	for (size_t i = 0; input_s <= 0 && i < n; i++) {
		int64_t t = ix[i].t;
		if (i > 0) {
			int64_t p = ix[i - 1].t;
			if (kefu_floor_div(p, DAY_S) == kefu_floor_div(t, DAY_S) && t > p)
				g = gcd64(g, t - p);
		}
	}
	if (input_s > 0)
		g = input_s;
	else if (g == 0 || (g > interval_s && g % interval_s == 0))
		g = interval_s; /* longer gaps are missing rows */
	if (interval_s % g && g % interval_s) {
		kefu_free(ix);
		return kefu_err_set(err, KEFU_EINVAL,
				    "input interval of %llds does not fit the %ds forecast interval",
				    (long long)g, interval_s);
	}
	int64_t first = kefu_floor_div(ix[0].t, DAY_S);
	int64_t last = kefu_floor_div(ix[n - 1].t + (g > interval_s ? g - 1 : 0), DAY_S);
	int rc = grid_alloc(out, first, (size_t)(last - first + 1), interval_s, err);
	if (rc) {
		kefu_free(ix);
		return rc;
	}
	kefu_volume_grid *gr = *out;
	int64_t parts = g > interval_s ? g / interval_s : 1;
	for (size_t i = 0; i < n; i++) {
		int64_t t = ix[i].t;
		double c = ix[i].c / (double)parts;
		for (int64_t k = 0; k < parts; k++) {
			int64_t u = t + k * interval_s;
			int64_t d = kefu_floor_div(u, DAY_S) - first;
			int64_t slot = (u - kefu_floor_div(u, DAY_S) * DAY_S) / interval_s;
			gr->count[(size_t)d * (size_t)gr->slots + (size_t)slot] += c;
			gr->present[d] = 1;
		}
	}
	kefu_free(ix);
	return 0;
}

/* ---- the model ---- */

typedef struct fit {
	double mean[8];   /* daily total per ISO weekday 1..7 */
	int have[8];      /* number of days used */
	double *shape;    /* [8][slots] share of the day per slot */
	int64_t latest[8]; /* index of the weekday's latest normal day, -1 none */
	double level;
} fit;

static int in_any_event(const kefu_forecast_opts *o, int64_t day)
{
	for (size_t e = 0; e < o->nevents; e++)
		if (day >= o->events[e].from_day && day <= o->events[e].to_day)
			return 1;
	return 0;
}

static double day_total(const kefu_volume_grid *h, size_t d)
{
	double s = 0;
	const double *c = h->count + d * (size_t)h->slots;
	for (int i = 0; i < h->slots; i++)
		s += c[i];
	return s;
}

/* Fits templates and level on the history days before `end_day`. */
static int fit_run(fit *f, const kefu_volume_grid *h, int64_t end_day,
		   const kefu_forecast_opts *o, kefu_err *err)
{
	memset(f, 0, sizeof *f);
	size_t slots = (size_t)h->slots;
	f->shape = kefu_calloc(8 * slots, sizeof *f->shape);
	if (!f->shape)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	int weeks = o->weeks > 0 ? o->weeks : 8;
	double tot[8] = {0};
	for (int w = 0; w < 8; w++)
		f->latest[w] = -1;
	int64_t end = end_day - h->first_day; /* exclusive index */
	if (end > (int64_t)h->ndays)
		end = (int64_t)h->ndays;
	for (int64_t d = end - 1; d >= 0; d--) {
		int64_t day = h->first_day + d;
		if (!h->present[d] || in_any_event(o, day))
			continue;
		int w = kefu_weekday(day);
		if (f->have[w] >= weeks)
			continue;
		if (!f->have[w])
			f->latest[w] = d;
		f->have[w]++;
		double t = day_total(h, (size_t)d);
		tot[w] += t;
		const double *c = h->count + (size_t)d * slots;
		for (size_t i = 0; i < slots; i++)
			f->shape[(size_t)w * slots + i] += c[i];
	}
	for (int w = 1; w <= 7; w++) {
		if (!f->have[w])
			continue;
		f->mean[w] = tot[w] / f->have[w];
		for (size_t i = 0; i < slots; i++)
			f->shape[(size_t)w * slots + i] =
				tot[w] > 0 ? f->shape[(size_t)w * slots + i] / tot[w] : 0;
	}
	/* level: recent normal days against their weekday means */
	int lw = o->level_weeks > 0 ? o->level_weeks : 2;
	double num = 0, den = 0;
	for (int64_t d = end - 1; d >= 0 && d >= end - 7 * (int64_t)lw; d--) {
		int64_t day = h->first_day + d;
		if (!h->present[d] || in_any_event(o, day))
			continue;
		num += day_total(h, (size_t)d);
		den += f->mean[kefu_weekday(day)];
	}
	f->level = den > 0 ? num / den : 1.0;
	return 0;
}

/* Multiplier of event e learned from its past occurrences (same name,
 * ended before end_day): actual totals over weekday means. 0 if none. */
static double learn_event(const fit *f, const kefu_volume_grid *h, int64_t end_day,
			  const kefu_forecast_opts *o, size_t e)
{
	double num = 0, den = 0;
	for (size_t k = 0; k < o->nevents; k++) {
		const kefu_sale_event *p = &o->events[k];
		if (k == e || strcmp(p->name, o->events[e].name) || p->to_day >= end_day)
			continue;
		for (int64_t day = p->from_day; day <= p->to_day; day++) {
			int64_t d = day - h->first_day;
			if (d < 0 || d >= (int64_t)h->ndays || !h->present[d])
				continue;
			num += day_total(h, (size_t)d);
			den += f->mean[kefu_weekday(day)];
		}
	}
	return den > 0 ? num / den : 0;
}

/* Forecast days [from, to] into out (already allocated with those days). */
static int forecast_into(kefu_volume_grid *out, const kefu_volume_grid *h, int64_t from,
			 int64_t to, const kefu_forecast_opts *o, double *learned, int strict,
			 kefu_err *err)
{
	fit f;
	int rc = fit_run(&f, h, from, o, err);
	if (rc)
		return rc;
	double *mult = kefu_calloc(o->nevents + 1, sizeof *mult);
	if (!mult) {
		kefu_free(f.shape);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	for (size_t e = 0; e < o->nevents; e++) {
		mult[e] = o->events[e].multiplier;
		if (mult[e] > 0)
			continue;
		if (o->events[e].to_day < from) {
			mult[e] = 1; /* a past occurrence: only marks its days */
			continue;
		}
		mult[e] = learn_event(&f, h, from, o, e);
		if (mult[e] <= 0) {
			if (strict) {
				kefu_free(mult);
				kefu_free(f.shape);
				return kefu_err_set(err, KEFU_EINVAL,
						    "event %s: no past occurrence in the history to "
						    "learn a multiplier from; give one",
						    o->events[e].name);
			}
			mult[e] = 1;
		}
	}
	if (learned)
		for (size_t e = 0; e < o->nevents; e++)
			learned[e] = mult[e];
	size_t slots = (size_t)out->slots;
	double r = o->recent_weight;
	if (!(r >= 0 && r <= 1))
		r = 0;
	for (int64_t day = from; day <= to; day++) {
		size_t d = (size_t)(day - out->first_day);
		int w = kefu_weekday(day);
		double ev = 1;
		for (size_t e = 0; e < o->nevents; e++)
			if (day >= o->events[e].from_day && day <= o->events[e].to_day)
				ev *= mult[e];
		double m = f.mean[w] * f.level;
		const double *latest =
			f.latest[w] >= 0 ? h->count + (size_t)f.latest[w] * slots : NULL;
		for (size_t i = 0; i < slots; i++) {
			double v = m * f.shape[(size_t)w * slots + i];
			if (latest)
				v = (1 - r) * v + r * latest[i];
			out->count[d * slots + i] = ev * v;
		}
		out->present[d] = 1;
	}
	kefu_free(mult);
	kefu_free(f.shape);
	return 0;
}

int kefu_forecast_run(kefu_volume_grid **out, const kefu_volume_grid *hist, int64_t from_day,
		      int64_t to_day, const kefu_forecast_opts *o, double *learned, kefu_err *err)
{
	*out = NULL;
	if (to_day < from_day)
		return kefu_err_set(err, KEFU_EINVAL, "forecast range is empty (--to before --from)");
	if (to_day - from_day >= 3660)
		return kefu_err_set(err, KEFU_EINVAL, "forecast range longer than 10 years");
	kefu_volume_grid *g;
	int rc = grid_alloc(&g, from_day, (size_t)(to_day - from_day + 1), hist->interval_s, err);
	if (rc)
		return rc;
	rc = forecast_into(g, hist, from_day, to_day, o, learned, 1, err);
	if (rc) {
		kefu_volume_grid_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

int kefu_forecast_backtest(kefu_backtest *bt, const kefu_volume_grid *hist, int64_t before_day,
			   const kefu_forecast_opts *o, kefu_err *err)
{
	memset(bt, 0, sizeof *bt);
	int64_t last = -1;
	size_t end = hist->ndays;
	if (before_day != INT64_MAX && before_day - hist->first_day < (int64_t)end)
		end = before_day <= hist->first_day ? 0 : (size_t)(before_day - hist->first_day);
	for (size_t d = end; d-- > 0;)
		if (hist->present[d]) {
			last = (int64_t)d;
			break;
		}
	if (last < 7)
		return kefu_err_set(err, KEFU_EINVAL,
				    "history too short for a backtest (needs more than a week)");
	int64_t from = hist->first_day + last - 6, to = hist->first_day + last;
	kefu_volume_grid *g;
	int rc = grid_alloc(&g, from, 7, hist->interval_s, err);
	if (rc)
		return rc;
	rc = forecast_into(g, hist, from, to, o, NULL, 0, err);
	if (rc) {
		kefu_volume_grid_free(g);
		return rc;
	}
	size_t slots = (size_t)hist->slots;
	double ae = 0, ape = 0;
	for (int64_t day = from; day <= to; day++) {
		size_t hd = (size_t)(day - hist->first_day), fd = (size_t)(day - from);
		if (!hist->present[hd])
			continue;
		for (size_t i = 0; i < slots; i++) {
			double a = hist->count[hd * slots + i], f = g->count[fd * slots + i];
			ae += fabs(f - a);
			bt->n++;
			if (a > 0) {
				ape += fabs(f - a) / a;
				bt->n_mape++;
			}
		}
	}
	kefu_volume_grid_free(g);
	bt->from_day = from;
	bt->to_day = to;
	bt->mae = bt->n ? ae / (double)bt->n : NAN;
	bt->mape = bt->n_mape ? ape / (double)bt->n_mape : NAN;
	return 0;
}

/* ---- counts CSV ---- */

static int digits(const char *s, size_t n, size_t at, size_t len, int *out)
{
	if (at + len > n)
		return -1;
	int v = 0;
	for (size_t i = at; i < at + len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int kefu_wallclock_parse(const char *s, size_t n, int64_t *out)
{
	int y, mo, d, h, mi, se = 0;
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	if (digits(s, n, 0, 4, &y) || n < 16 || (s[4] != '-' && s[4] != '/') || s[7] != s[4] ||
	    digits(s, n, 5, 2, &mo) || digits(s, n, 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') ||
	    digits(s, n, 11, 2, &h) || s[13] != ':' || digits(s, n, 14, 2, &mi))
		return KEFU_EPARSE;
	size_t p = 16;
	if (n > 16 && s[16] == ':') {
		if (digits(s, n, 17, 2, &se))
			return KEFU_EPARSE;
		p = 19;
	}
	/* what follows may be a fraction, Z or an offset: ignored */
	if (p < n && s[p] != '.' && s[p] != 'Z' && s[p] != 'z' && s[p] != '+' && s[p] != '-' &&
	    s[p] != ' ')
		return KEFU_EPARSE;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
		return KEFU_EPARSE;
	int64_t day = kefu_days_from_civil(y, (unsigned)mo, (unsigned)d);
	int64_t y2;
	unsigned m2, d2;
	kefu_civil_from_days(day, &y2, &m2, &d2);
	if (m2 != (unsigned)mo || d2 != (unsigned)d)
		return KEFU_EPARSE;
	*out = day * DAY_S + h * 3600 + mi * 60 + se;
	return 0;
}

static int parse_count(const kefu_str *f, double *out)
{
	char buf[64];
	if (f->n == 0 || f->n >= sizeof buf)
		return -1;
	memcpy(buf, f->p, f->n);
	buf[f->n] = 0;
	char *end;
	errno = 0;
	double v = strtod(buf, &end);
	while (*end == ' ')
		end++;
	if (*end || errno || !(v >= 0) || !(v <= 1e12) || buf[0] == ' ')
		return -1;
	*out = v;
	return 0;
}

static int name_is_count(const kefu_str *f)
{
	static const char *names[] = {"count", "calls", "volume", "consults", "inquiries", "n"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (f->n == strlen(names[i]) && !strncasecmp(f->p, names[i], f->n))
			return 1;
	return 0;
}

/* Reads rows from an open reader (name for errors). */
static int counts_rows(kefu_csv *r, const char *path, int64_t **start, double **count,
		       size_t *n, kefu_err *err)
{
	int rc = 0;
	size_t cap = 0, len = 0;
	int64_t *ts = NULL;
	double *cs = NULL;
	long tcol = -1, ccol = -1;
	int first = 1;
	while (!rc) {
		kefu_str *f;
		size_t nf;
		long line;
		int got = kefu_csv_next(r, &f, &nf, &line, err);
		if (got < 0) {
			rc = got;
			break;
		}
		if (got == 0)
			break;
		if (nf == 1 && f[0].n == 0)
			continue;
		if (first) {
			first = 0;
			int64_t t;
			for (size_t i = 0; i < nf && tcol < 0; i++)
				if (!kefu_wallclock_parse(f[i].p, f[i].n, &t))
					tcol = (long)i;
			if (tcol < 0) {
				/* a header: the time column is the first that is not the
				 * count column's name, resolved on the first data row */
				for (size_t i = 0; i < nf; i++)
					if (name_is_count(&f[i]))
						ccol = (long)i;
				continue;
			}
		}
		if (tcol < 0) {
			int64_t t;
			for (size_t i = 0; i < nf && tcol < 0; i++)
				if (!kefu_wallclock_parse(f[i].p, f[i].n, &t))
					tcol = (long)i;
			if (tcol < 0) {
				rc = kefu_err_set(err, KEFU_EPARSE,
						  "no column reads as an interval start "
						  "(YYYY-MM-DD HH:MM[:SS])");
				kefu_err_at(err, path, line, 0);
				break;
			}
		}
		long cc = ccol >= 0 ? ccol : (long)nf - 1;
		if (cc == tcol || (size_t)cc >= nf || (size_t)tcol >= nf) {
			rc = kefu_err_set(err, KEFU_EPARSE, "expected an interval start and a count");
			kefu_err_at(err, path, line, (long)nf);
			break;
		}
		int64_t t;
		double c;
		if (kefu_wallclock_parse(f[tcol].p, f[tcol].n, &t)) {
			rc = kefu_err_set(err, KEFU_EPARSE, "bad interval start '%.*s'",
					  (int)(f[tcol].n > 40 ? 40 : f[tcol].n), f[tcol].p);
			kefu_err_at(err, path, line, tcol + 1);
			break;
		}
		if (parse_count(&f[cc], &c)) {
			rc = kefu_err_set(err, KEFU_EPARSE, "bad count '%.*s' (a number 0..1e12)",
					  (int)(f[cc].n > 40 ? 40 : f[cc].n), f[cc].p);
			kefu_err_at(err, path, line, cc + 1);
			break;
		}
		if (len == cap) {
			size_t nc = cap ? cap * 2 : 1024;
			int64_t *a = kefu_realloc(ts, nc * sizeof *a);
			if (a)
				ts = a;
			double *b = a ? kefu_realloc(cs, nc * sizeof *b) : NULL;
			if (b)
				cs = b;
			if (!a || !b) {
				rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
				break;
			}
			cap = nc;
		}
		ts[len] = t;
		cs[len] = c;
		len++;
	}
	if (rc) {
		kefu_free(ts);
		kefu_free(cs);
		return rc;
	}
	*start = ts;
	*count = cs;
	*n = len;
	return 0;
}

int kefu_volume_counts_read(int64_t **start, double **count, size_t *n, const char *path,
			    kefu_err *err)
{
	*start = NULL;
	*count = NULL;
	*n = 0;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY) : 0;
	if (fd < 0) {
		kefu_err_set(err, KEFU_EIO, "cannot open: %s", strerror(errno));
		kefu_err_at(err, path, 0, 0);
		return KEFU_EIO;
	}
	kefu_csv *r = NULL;
	int rc = kefu_csv_open_fd(&r, fd, path, NULL, err);
	if (!rc)
		rc = counts_rows(r, path, start, count, n, err);
	kefu_csv_free(r);
	if (fd > 0)
		close(fd);
	return rc;
}

int kefu_volume_counts_read_mem(int64_t **start, double **count, size_t *n, const char *data,
				size_t len, const char *name, kefu_err *err)
{
	*start = NULL;
	*count = NULL;
	*n = 0;
	kefu_csv *r = NULL;
	int rc = kefu_csv_open_mem(&r, data, len, name, NULL, err);
	if (!rc)
		rc = counts_rows(r, name, start, count, n, err);
	kefu_csv_free(r);
	return rc;
}
