/*
 * cmd_staff.c - `kefu staff erlang|forecast|plan` (spec staffing.md,
 * docs/STAFFING.md): agents required for a volume and a service target,
 * the interval-volume forecast of a shop (from the store or a counts CSV)
 * with its backtest error, and the staffing plan (forecast, agents per
 * interval, least-cost shifts, coverage gaps). One option table for the
 * three subcommands; each row says which subcommands take it.
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_util.h"
#include "commands.h"
#include "kefu/report_html.h"
#include "kefu/staffing.h"
#include "kefu/table.h"
#include "kefu/tz.h"
#include "kpi_session.h"

enum { SUB_ERLANG = 1, SUB_FORECAST = 2, SUB_PLAN = 4 };

typedef struct staff_opt {
	const char *name;
	int has_arg;
	int subs; /* SUB_* mask */
	const char *arg, *help;
} staff_opt;

#define E SUB_ERLANG
#define F SUB_FORECAST
#define P SUB_PLAN
static const staff_opt opts[] = {
	/* KEFU_STAFF_OPTIONS: one row per option */
	{"volume", 1, E, "N", "contacts per interval"},
	{"agents", 1, E, "N", "figures for N agents instead of the fewest meeting the target"},
	{"blocking", 1, E, "P", "Erlang B: fewest agents with blocking <= P (e.g. 2%), no queue"},
	{"db", 1, F | P, "DB", "the SQLite store"},
	{"shop", 1, F | P, "S", "shop (plan: repeatable, or 'all')"},
	{"counts", 1, F | P, "FILE", "CSV of interval start and count instead of the store"},
	{"counts-interval", 1, F | P, "DUR", "length of one counts row when longer than --interval"},
	{"from", 1, F | P, "DATE", "first day to forecast (YYYY-MM-DD)"},
	{"to", 1, F | P, "DATE", "last day to forecast (inclusive)"},
	{"interval", 1, E | F | P, "DUR", "interval length: 15m, 30m (default) or 60m"},
	{"event", 1, F | P, "N:FROM:TO[:M]",
	 "sale event days; multiplier M, or learned from past events of name N"},
	{"weeks", 1, F | P, "N", "template weeks (default 8)"},
	{"aht", 1, E | P, "DUR", "handle time per chat (plan: default measured)"},
	{"target", 1, E | P, "SL/T", "service level: e.g. 80/20 = 80% answered within 20 s"},
	{"max-occupancy", 1, E | P, "X", "occupancy cap (e.g. 0.85; default none)"},
	{"shrinkage", 1, E | P, "X", "share of paid time not available (e.g. 0.3 or 30%)"},
	{"patience", 1, E | P, "DUR", "mean buyer patience: Erlang A with abandonment"},
	{"concurrency", 1, E | P, "K", "chats per agent at once (plan: default measured)"},
	{"aht-by-concurrency", 1, E | P, "A1,..,AK", "handle time (s) at concurrency 1..K"},
	{"shift", 1, P, "NAME=HH:MM-HH:MM[@YUAN]",
	 "shift pattern, repeated daily (cost default: paid minutes)"},
	{"max-agents", 1, P, "N", "at most N agents can be seated: a need above N is a gap"},
	{"show", 1, P, "WHAT", "shifts (default) or intervals"},
	{"format", 1, E | F | P, "F", "table (default), csv or json on stdout"},
	{"output", 1, E | F | P, "FILE", "write to FILE; extension picks csv/json/txt, plan also .html (repeatable)"},
	{"help", 0, E | F | P, NULL, "show this help"},
	{NULL, 0, 0, NULL, NULL},
};
#undef E
#undef F
#undef P

typedef struct staff_args {
	int sub;
	const char *name;
	double volume;
	int have_volume;
	long agents;
	double blocking;
	const char *db;
	const char *shops[256];
	int nshops;
	const char *counts;
	int64_t counts_s;
	const char *from, *to;
	int64_t interval_s;
	kefu_sale_event events[32];
	char *event_names[32];
	size_t nevents;
	int weeks;
	double aht_s;
	double sl, target_s;
	int have_target;
	double max_occ;
	int64_t shrink_num, shrink_den;
	double patience_s;
	int concurrency;
	double aht_k[16];
	int n_aht_k;
	kefu_shift_pattern pats[32];
	char *pat_names[32];
	size_t npats;
	int pats_costed; /* -1 unknown, 0 minutes, 1 fen */
	long max_agents;
	int show_intervals;
	const char *format;
	char *outs[16];
	int nouts;
} staff_args;

static void usage(FILE *f, int sub)
{
	static const char *const what[] = {
		"",
		"Usage: kefu staff erlang --volume N --aht DUR --target SL/T [options]\n\n"
		"Agents required (raw and scheduled), service level, P(wait), ASA, occupancy and\n"
		"abandonment for a volume per interval: Erlang C, Erlang A with --patience, the\n"
		"Erlang-Chat chain with --concurrency and --aht-by-concurrency, Erlang B with\n"
		"--blocking. With --agents, the figures for that many agents.\n",
		"Usage: kefu staff forecast (--db DB --shop S | --counts FILE) --from DATE --to DATE\n"
		"       [options]\n\n"
		"Forecasts the inquiry volume (consult chats by their first buyer message) per\n"
		"interval from weekday templates, a level and sale events, with the backtest error\n"
		"(MAPE, MAE) of the history's final week.\n",
		"",
		"Usage: kefu staff plan (--db DB --shop S | --counts FILE --aht DUR) --from DATE\n"
		"       --to DATE --target SL/T --shift NAME=HH:MM-HH:MM[@YUAN]... [options]\n\n"
		"Forecast, agents per interval, then the least-cost shifts covering them, with the\n"
		"intervals that cannot be covered. Handle time and concurrency are measured from\n"
		"the shop's chats unless given.\n"};
	if (sub == 0) {
		fputs("Usage: kefu staff erlang|forecast|plan [options]\n\n"
		      "Staffing from inquiry volume (docs/STAFFING.md):\n"
		      "  erlang    agents required for a volume and a service target\n"
		      "  forecast  volume per interval with its backtest error\n"
		      "  plan      forecast, agents per interval and least-cost shifts\n\n"
		      "Run 'kefu staff <sub> --help' for its options.\n",
		      f);
		return;
	}
	fprintf(f, "%s\nOptions:\n", what[sub]);
	for (const staff_opt *o = opts; o->name; o++) {
		if (!(o->subs & sub))
			continue;
		char left[64];
		const char *sh = !strcmp(o->name, "output") ? "-o, " : !strcmp(o->name, "help") ? "-h, " : "";
		snprintf(left, sizeof left, "%s--%s%s%s", sh, o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(f, "  %-30s %s\n", left, o->help);
	}
	fputs("\nExit: 0 ok, 1 failure (plan: an interval cannot be covered), 2 usage, 4 I/O,\n"
	      "5 store.\n",
	      f);
}

/* ---- value parsers ---- */

static int parse_double(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* "0.3", "30%" -> exact fraction num/den in [0, 1) */
static int parse_fraction(const char *s, int64_t *num, int64_t *den)
{
	size_t n = strlen(s);
	int pct = n && s[n - 1] == '%';
	if (pct)
		n--;
	int64_t v = 0, d = 1;
	int seen_dot = 0, digits = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' && !seen_dot) {
			seen_dot = 1;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || digits >= 12)
			return -1;
		v = v * 10 + (s[i] - '0');
		digits++;
		if (seen_dot)
			d *= 10;
	}
	if (!digits)
		return -1;
	if (pct)
		d *= 100;
	if (v >= d)
		return -1;
	*num = v;
	*den = d;
	return 0;
}

static int parse_dur(const char *s, double *out)
{
	int64_t v;
	if (kefu_duration_parse(s, strlen(s), &v) == 0) {
		*out = (double)v;
		return 0;
	}
	/* fractional seconds or minutes: "19.8s", "0.33m" */
	char *end;
	double x = strtod(s, &end);
	if (end == s || !isfinite(x) || x < 0)
		return -1;
	if (!*end || !strcmp(end, "s"))
		*out = x;
	else if (!strcmp(end, "m"))
		*out = x * 60;
	else if (!strcmp(end, "h"))
		*out = x * 3600;
	else
		return -1;
	return 0;
}

/* "80/20", "80%/20s", "0.8/20" */
static int parse_target(const char *s, double *sl, double *t)
{
	const char *slash = strchr(s, '/');
	if (!slash)
		return -1;
	char a[64];
	size_t n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof a)
		return -1;
	memcpy(a, s, n);
	a[n] = 0;
	int pct = a[n - 1] == '%';
	if (pct)
		a[n - 1] = 0;
	double v;
	if (parse_double(a, &v) || v < 0)
		return -1;
	if (pct || v > 1)
		v /= 100;
	if (v >= 1)
		return -1;
	*sl = v;
	return parse_dur(slash + 1, t);
}

static int parse_event(staff_args *a, const char *s)
{
	if (a->nevents >= 32)
		return -1;
	const char *c1 = strchr(s, ':');
	if (!c1 || c1 == s)
		return -1;
	const char *c2 = strchr(c1 + 1, ':');
	if (!c2)
		return -1;
	const char *c3 = strchr(c2 + 1, ':');
	kefu_sale_event *e = &a->events[a->nevents];
	if (kefu_day_parse(c1 + 1, (size_t)(c2 - c1 - 1), &e->from_day))
		return -1;
	size_t tl = c3 ? (size_t)(c3 - c2 - 1) : strlen(c2 + 1);
	if (kefu_day_parse(c2 + 1, tl, &e->to_day) || e->to_day < e->from_day)
		return -1;
	e->multiplier = 0;
	if (c3 && strcmp(c3 + 1, "learn") && strcmp(c3 + 1, "auto")) {
		if (parse_double(c3 + 1, &e->multiplier) || !(e->multiplier > 0))
			return -1;
	}
	a->event_names[a->nevents] = strndup(s, (size_t)(c1 - s));
	if (!a->event_names[a->nevents])
		return -1;
	e->name = a->event_names[a->nevents];
	a->nevents++;
	return 0;
}

/* yuan "123.45" -> fen */
static int parse_yuan(const char *s, int64_t *fen)
{
	int64_t v = 0;
	int dec = -1;
	if (!*s)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p == '.' && dec < 0) {
			dec = 0;
			continue;
		}
		if (*p < '0' || *p > '9' || v > INT64_MAX / 100)
			return -1;
		if (dec >= 0 && ++dec > 2)
			return -1;
		v = v * 10 + (*p - '0');
	}
	for (int k = dec < 0 ? 0 : dec; k < 2; k++)
		v *= 10;
	*fen = v;
	return 0;
}

/* NAME=HH:MM-HH:MM[@YUAN] */
static int parse_shift(staff_args *a, const char *s)
{
	if (a->npats >= 32)
		return -1;
	const char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return -1;
	const char *dash = strchr(eq + 1, '-');
	if (!dash)
		return -1;
	const char *at = strchr(dash + 1, '@');
	int32_t st, en;
	if (kefu_clock_parse(eq + 1, (size_t)(dash - eq - 1), &st))
		return -1;
	size_t el = at ? (size_t)(at - dash - 1) : strlen(dash + 1);
	if (kefu_clock_parse(dash + 1, el, &en))
		return -1;
	int32_t len = en > st ? en - st : en + 86400 - st;
	kefu_shift_pattern *p = &a->pats[a->npats];
	p->start_s = st;
	p->len_s = len;
	int costed = at != NULL;
	if (a->pats_costed >= 0 && a->pats_costed != costed)
		return -2;
	a->pats_costed = costed;
	if (at) {
		if (parse_yuan(at + 1, &p->cost))
			return -1;
	} else {
		p->cost = len / 60; /* paid minutes */
	}
	a->pat_names[a->npats] = strndup(s, (size_t)(eq - s));
	if (!a->pat_names[a->npats])
		return -1;
	p->name = a->pat_names[a->npats];
	a->npats++;
	return 0;
}

static void args_free(staff_args *a)
{
	for (size_t i = 0; i < a->nevents; i++)
		free(a->event_names[i]);
	for (size_t i = 0; i < a->npats; i++)
		free(a->pat_names[i]);
}

static int parse_args(staff_args *a, int sub, const char *name, int argc, char **argv)
{
	struct option lo[64];
	size_t n = 0;
	for (const staff_opt *o = opts; o->name; o++)
		lo[n++] = (struct option){o->name, o->has_arg ? required_argument : no_argument, 0, 0};
	lo[n] = (struct option){0, 0, 0, 0};
	int c, idx;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", lo, &idx)) != -1) {
		const char *on;
		if (c == 'h')
			on = "help";
		else if (c == 'o')
			on = "output";
		else if (c == 0)
			on = lo[idx].name;
		else
			return cli_usage_error(name, "invalid option");
		const staff_opt *o = opts;
		while (strcmp(o->name, on))
			o++;
		if (!(o->subs & sub))
			return cli_usage_error(name, "--%s does not apply to this subcommand", on);
		const char *v = optarg;
		if (!strcmp(on, "help")) {
			usage(stdout, sub);
			return -1;
		} else if (!strcmp(on, "volume")) {
			if (parse_double(v, &a->volume) || a->volume < 0)
				return cli_usage_error(name, "--volume: expected a number >= 0");
			a->have_volume = 1;
		} else if (!strcmp(on, "agents")) {
			if (parse_long(v, 1, 1000000, &a->agents))
				return cli_usage_error(name, "--agents: expected 1..1000000");
		} else if (!strcmp(on, "blocking")) {
			int64_t nu, de;
			if (parse_fraction(v, &nu, &de) || nu == 0)
				return cli_usage_error(name, "--blocking: expected a fraction like 0.02 or 2%%");
			a->blocking = (double)nu / (double)de;
		} else if (!strcmp(on, "db")) {
			a->db = v;
		} else if (!strcmp(on, "shop")) {
			if (a->nshops >= 256)
				return cli_usage_error(name, "too many --shop options");
			a->shops[a->nshops++] = v;
		} else if (!strcmp(on, "counts")) {
			a->counts = v;
		} else if (!strcmp(on, "counts-interval")) {
			double d;
			if (parse_dur(v, &d) || d < 60 || d > 86400 || fmod(d, 60) != 0)
				return cli_usage_error(name, "--counts-interval: expected whole minutes up to 1d");
			a->counts_s = (int64_t)d;
		} else if (!strcmp(on, "from")) {
			a->from = v;
		} else if (!strcmp(on, "to")) {
			a->to = v;
		} else if (!strcmp(on, "interval")) {
			double d;
			if (parse_dur(v, &d) || d < 60 || d > 86400 || fmod(d, 60) != 0 ||
			    (sub != SUB_ERLANG && 86400 % (int64_t)d))
				return cli_usage_error(name, "--interval: expected e.g. 15m, 30m or 60m");
			a->interval_s = (int64_t)d;
		} else if (!strcmp(on, "event")) {
			if (parse_event(a, v))
				return cli_usage_error(name, "--event: expected NAME:YYYY-MM-DD:YYYY-MM-DD[:MULTIPLIER] (at most 32)");
		} else if (!strcmp(on, "weeks")) {
			long w;
			if (parse_long(v, 1, 520, &w))
				return cli_usage_error(name, "--weeks: expected 1..520");
			a->weeks = (int)w;
		} else if (!strcmp(on, "aht")) {
			if (parse_dur(v, &a->aht_s) || !(a->aht_s > 0))
				return cli_usage_error(name, "--aht: expected a duration > 0 like 180s or 3m");
		} else if (!strcmp(on, "target")) {
			if (parse_target(v, &a->sl, &a->target_s))
				return cli_usage_error(name, "--target: expected SL/T like 80/20 or 0.8/30s");
			a->have_target = 1;
		} else if (!strcmp(on, "max-occupancy")) {
			if (parse_double(v, &a->max_occ) || !(a->max_occ > 0 && a->max_occ <= 1))
				return cli_usage_error(name, "--max-occupancy: expected 0 < X <= 1");
		} else if (!strcmp(on, "shrinkage")) {
			if (parse_fraction(v, &a->shrink_num, &a->shrink_den))
				return cli_usage_error(name, "--shrinkage: expected 0 <= X < 1 (0.3 or 30%%)");
		} else if (!strcmp(on, "patience")) {
			if (parse_dur(v, &a->patience_s) || !(a->patience_s > 0))
				return cli_usage_error(name, "--patience: expected a duration > 0");
		} else if (!strcmp(on, "concurrency")) {
			long k;
			if (parse_long(v, 1, 16, &k))
				return cli_usage_error(name, "--concurrency: expected 1..16");
			a->concurrency = (int)k;
		} else if (!strcmp(on, "aht-by-concurrency")) {
			char *dup = strdup(v), *save = NULL;
			a->n_aht_k = 0;
			for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				double d;
				if (a->n_aht_k >= 16 || parse_dur(t, &d) || !(d > 0)) {
					free(dup);
					return cli_usage_error(name, "--aht-by-concurrency: expected up to 16 durations like 180,210,240");
				}
				a->aht_k[a->n_aht_k++] = d;
			}
			free(dup);
		} else if (!strcmp(on, "shift")) {
			int r = parse_shift(a, v);
			if (r == -2)
				return cli_usage_error(name, "--shift: give a cost (@YUAN) to every shift or to none");
			if (r)
				return cli_usage_error(name, "--shift: expected NAME=HH:MM-HH:MM[@YUAN] (at most 32)");
		} else if (!strcmp(on, "max-agents")) {
			if (parse_long(v, 1, 1000000000, &a->max_agents))
				return cli_usage_error(name, "--max-agents: expected a positive number");
		} else if (!strcmp(on, "show")) {
			if (strcmp(v, "shifts") && strcmp(v, "intervals"))
				return cli_usage_error(name, "--show: expected shifts or intervals");
			a->show_intervals = !strcmp(v, "intervals");
		} else if (!strcmp(on, "format")) {
			if (strcmp(v, "table") && strcmp(v, "csv") && strcmp(v, "json"))
				return cli_usage_error(name, "--format: expected table, csv or json");
			a->format = v;
		} else if (!strcmp(on, "output")) {
			if (a->nouts >= 16)
				return cli_usage_error(name, "too many -o options");
			a->outs[a->nouts++] = optarg;
		}
	}
	if (optind < argc)
		return cli_usage_error(name, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* ---- table helpers ---- */

#define SCALE 1000000000LL

static void set_real(kefu_cell *c, double v)
{
	if (!isfinite(v)) {
		c->empty = 1;
		return;
	}
	c->empty = 0;
	c->num = llround(v * (double)SCALE);
	c->den = SCALE;
}

static void set_int(kefu_cell *c, int64_t v)
{
	c->empty = 0;
	c->num = v;
	c->den = 1;
}

static int add_meta_f(kefu_table *t, const char *k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int add_meta_f(kefu_table *t, const char *k, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return kefu_table_add_meta(t, k, buf);
}

static int write_table(kefu_table *t, const staff_args *a)
{
	kpi_term_columns = NULL;
	return kpi_write_outputs(t, (char **)a->outs, a->nouts, a->format, 0, 0);
}

/* 1 when an -o file or --format asks for an HTML page. */
static int wants_html(const staff_args *a)
{
	if (!strcmp(a->format, "html"))
		return 1;
	for (int i = 0; i < a->nouts; i++) {
		size_t n = strlen(a->outs[i]);
		if (n >= 5 && !strcmp(a->outs[i] + n - 5, ".html"))
			return 1;
	}
	return 0;
}

/* ---- erlang ---- */

static void model_from_args(kefu_erlang_model *m, const staff_args *a, double volume)
{
	*m = (kefu_erlang_model)KEFU_ERLANG_MODEL_INIT;
	m->rate_per_s = volume / (double)a->interval_s;
	m->aht_s = a->aht_s;
	m->target_s = a->target_s;
	m->patience_s = a->patience_s;
	m->concurrency = a->concurrency;
	m->aht_k = a->n_aht_k ? a->aht_k : NULL;
}

static void target_from_args(kefu_staff_target *t, const staff_args *a)
{
	*t = (kefu_staff_target)KEFU_STAFF_TARGET_INIT;
	t->service_level = a->sl;
	t->max_occupancy = a->max_occ > 0 ? a->max_occ : 1.0;
	t->shrink_num = a->shrink_num;
	t->shrink_den = a->shrink_den;
}

static int check_chain_args(const staff_args *a, const char *name)
{
	if (a->n_aht_k && a->n_aht_k != a->concurrency)
		return cli_usage_error(name, "--aht-by-concurrency: give exactly --concurrency (%d) values",
				       a->concurrency);
	if (!a->n_aht_k && a->concurrency > 5)
		return cli_usage_error(name, "--concurrency above 5 needs --aht-by-concurrency");
	return 0;
}

static int run_erlang(staff_args *a)
{
	const char *name = "staff erlang";
	if (!a->have_volume)
		return cli_usage_error(name, "--volume is required");
	if (!(a->aht_s > 0) && !a->n_aht_k)
		return cli_usage_error(name, "--aht is required");
	if (!(a->aht_s > 0))
		a->aht_s = a->aht_k[0];
	if (!a->have_target && !a->blocking && !a->agents)
		return cli_usage_error(name, "--target (or --blocking or --agents) is required");
	int rc = check_chain_args(a, name);
	if (rc)
		return rc;
	kefu_err err = KEFU_ERR_INIT;
	kefu_erlang_model m;
	kefu_staff_target t;
	model_from_args(&m, a, a->volume);
	target_from_args(&t, a);
	kefu_erlang_figs f;
	memset(&f, 0, sizeof f);
	f.p_abandon = NAN;
	int raw = -1;
	int64_t sched = -1;
	double p_block = NAN;
	double load = m.rate_per_s * a->aht_s;
	if (a->blocking > 0) {
		if (a->agents) {
			raw = -1;
			p_block = kefu_erlang_b((int)a->agents, load);
		} else {
			raw = kefu_erlang_b_servers(load, a->blocking);
			sched = kefu_staff_scheduled(raw, &t);
			p_block = kefu_erlang_b(raw, load);
		}
		f.agents = a->agents ? (int)a->agents : raw;
		f.p_wait = f.service_level = f.asa_s = f.occupancy = NAN;
		if (f.agents > 0)
			f.occupancy = load * (1 - p_block) / f.agents;
	} else if (a->agents) {
		rc = kefu_erlang_eval(&f, &m, (int)a->agents, &err);
	} else {
		rc = kefu_erlang_staff(&f, &raw, &sched, &m, &t, &err);
	}
	if (rc) {
		cli_print_err(&err);
		return rc == KEFU_EINVAL ? KEFU_EXIT_USAGE : KEFU_EXIT_FAIL;
	}
	kefu_table *tb = NULL;
	if (kefu_table_new(&tb, "staff erlang"))
		return KEFU_EXIT_FAIL;
	kefu_table_add_col(tb, "model", "模型", KEFU_T_TEXT);
	kefu_table_add_col(tb, "offered_load", "话务量(Erlang)", KEFU_T_MEAN);
	kefu_table_add_col(tb, "agents", "坐席数", KEFU_T_INT);
	kefu_table_add_col(tb, "raw_agents", "所需坐席", KEFU_T_INT);
	kefu_table_add_col(tb, "scheduled_agents", "排班坐席", KEFU_T_INT);
	kefu_table_add_col(tb, "unstable", "不稳定", KEFU_T_FLAG);
	kefu_table_add_col(tb, "service_level", "服务水平", KEFU_T_RATE);
	kefu_table_add_col(tb, "p_wait", "等待概率", KEFU_T_RATE);
	kefu_table_add_col(tb, "asa_s", "平均应答时间(秒)", KEFU_T_MEAN);
	kefu_table_add_col(tb, "occupancy", "占用率", KEFU_T_RATE);
	kefu_table_add_col(tb, "p_abandon", "放弃率", KEFU_T_RATE);
	kefu_table_add_col(tb, "p_block", "阻塞率", KEFU_T_RATE);
	kefu_cell *row;
	if (kefu_table_add_row(tb, &row)) {
		kefu_table_free(tb);
		return KEFU_EXIT_FAIL;
	}
	const char *model = a->blocking > 0	? "erlang_b"
			    : a->n_aht_k	? (a->patience_s > 0 ? "erlang_chat_a" : "erlang_chat")
			    : a->concurrency > 1 ? (a->patience_s > 0 ? "erlang_a_factor" : "erlang_c_factor")
			    : a->patience_s > 0 ? "erlang_a"
						: "erlang_c";
	kefu_cell_set_text(&row[0], model, strlen(model));
	set_real(&row[1], load);
	set_int(&row[2], f.agents);
	if (raw >= 0)
		set_int(&row[3], raw);
	else
		row[3].empty = 1;
	if (sched >= 0)
		set_int(&row[4], sched);
	else
		row[4].empty = 1;
	set_int(&row[5], f.unstable);
	if (a->blocking > 0)
		row[5].empty = 1;
	set_real(&row[6], f.service_level);
	set_real(&row[7], f.p_wait);
	set_real(&row[8], f.asa_s);
	set_real(&row[9], f.occupancy);
	set_real(&row[10], f.p_abandon);
	set_real(&row[11], p_block);
	add_meta_f(tb, "volume", "%g per %llds", a->volume, (long long)a->interval_s);
	add_meta_f(tb, "aht_s", "%g", a->aht_s);
	if (a->have_target)
		add_meta_f(tb, "target", "%g within %gs", a->sl, a->target_s);
	if (a->concurrency > 1)
		add_meta_f(tb, "concurrency", "%d (%s)", a->concurrency,
			   a->n_aht_k ? "Erlang-Chat chain" : "factor method");
	rc = write_table(tb, a);
	kefu_table_free(tb);
	return rc;
}

/* ---- history from the store or a counts file ---- */

typedef struct shop_hist {
	char *name;
	kefu_volume_grid *grid;
	kefu_staff_measure meas;
	int have_meas;
	const kefu_tz *tz;
} shop_hist;

static int load_counts(shop_hist *h, const staff_args *a, kefu_err *err)
{
	int64_t *ts;
	double *c;
	size_t n;
	int rc = kefu_volume_counts_read(&ts, &c, &n, a->counts, err);
	if (rc)
		return rc;
	if (n == 0) {
		kefu_free(ts);
		kefu_free(c);
		kefu_err_set(err, KEFU_EINVAL, "no interval counts in the file");
		kefu_err_at(err, a->counts, 0, 0);
		return KEFU_EINVAL;
	}
	rc = kefu_volume_grid_build(&h->grid, ts, c, n, (int)a->counts_s, (int)a->interval_s, err);
	kefu_free(ts);
	kefu_free(c);
	const char *base = strrchr(a->counts, '/');
	h->name = strdup(base ? base + 1 : a->counts);
	return rc;
}

/* Builds the history of shop id `shop` from the session: consult chats by
 * the local time of their first buyer message; measures handle time and
 * concurrency over the chats before `before_ts`. */
static int hist_from_session(shop_hist *h, const kpi_session *s, uint32_t shop, int64_t from_day,
			     const staff_args *a, kefu_err *err)
{
	const kefu_settings *st = kefu_settings_at(&s->vs[shop], from_day);
	h->tz = st->tz;
	kefu_str nm = kefu_dict_get(s->ds->shops, shop);
	h->name = strndup(nm.p, nm.n);
	size_t n = 0, cap = 1024;
	int64_t *ts = malloc(cap * sizeof *ts);
	double *one = NULL;
	if (!ts || !h->name)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	size_t lo = 0, hi = s->res->n_chats;
	while (lo < hi) { /* first chat of the shop */
		size_t mid = (lo + hi) / 2;
		if (s->res->chats[mid].shop < shop)
			lo = mid + 1;
		else
			hi = mid;
	}
	int64_t from_ts = kefu_day_start(st->tz, 0, from_day);
	for (size_t i = lo; i < s->res->n_chats && s->res->chats[i].shop == shop; i++) {
		const kefu_chat *c = &s->res->chats[i];
		if (c->buyer_msgs <= 0 || c->f == KEFU_TS_NONE || c->f >= from_ts)
			continue;
		if (n == cap) {
			cap *= 2;
			int64_t *p = realloc(ts, cap * sizeof *p);
			if (!p) {
				free(ts);
				return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			}
			ts = p;
		}
		ts[n++] = c->f + kefu_tz_offset_at(st->tz, c->f);
	}
	one = malloc((n + 1) * sizeof *one);
	if (!one) {
		free(ts);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		one[i] = 1;
	int rc = kefu_volume_grid_build(&h->grid, ts, one, n, 1, (int)a->interval_s, err);
	free(ts);
	free(one);
	if (rc)
		return rc;
	rc = kefu_staff_measure_run(&h->meas, s->res, shop, INT64_MIN, from_ts, err);
	h->have_meas = rc == 0 && h->meas.chats > 0;
	return rc;
}

static void hist_clear(shop_hist *h)
{
	free(h->name);
	kefu_volume_grid_free(h->grid);
	memset(h, 0, sizeof *h);
}

static int check_source(const staff_args *a, const char *name, int64_t *from, int64_t *to)
{
	if (!a->counts && !a->db)
		return cli_usage_error(name, "give --db DB --shop S or --counts FILE");
	if (a->counts && a->db)
		return cli_usage_error(name, "use either --db or --counts, not both");
	if (a->db && a->nshops == 0)
		return cli_usage_error(name, "--shop is required with --db");
	if (!a->from || !a->to)
		return cli_usage_error(name, "--from and --to are required");
	if (kefu_day_parse(a->from, strlen(a->from), from))
		return cli_usage_error(name, "--from: expected YYYY-MM-DD, got '%s'", a->from);
	if (kefu_day_parse(a->to, strlen(a->to), to))
		return cli_usage_error(name, "--to: expected YYYY-MM-DD, got '%s'", a->to);
	if (*to < *from)
		return cli_usage_error(name, "--to is before --from");
	if (*to - *from > 366)
		return cli_usage_error(name, "--from..--to spans more than 366 days");
	return 0;
}

/* Opens the store session and resolves the shops (all when "all"). */
static int open_session(kpi_session *s, const staff_args *a, uint32_t **ids, size_t *nids)
{
	kpi_session_opts o;
	memset(&o, 0, sizeof o);
	o.db = a->db;
	o.quiet = 1;
	int rc = kpi_session_run(s, &o);
	if (rc)
		return rc;
	size_t nshop = kefu_dict_size(s->ds->shops);
	*ids = calloc(nshop + (size_t)a->nshops + 1, sizeof **ids);
	if (!*ids)
		return KEFU_EXIT_FAIL;
	*nids = 0;
	for (int i = 0; i < a->nshops; i++) {
		if (!strcmp(a->shops[i], "all")) {
			for (uint32_t k = 0; k < nshop; k++)
				(*ids)[(*nids)++] = k;
			continue;
		}
		uint32_t id;
		if (kefu_dict_find(s->ds->shops, a->shops[i], strlen(a->shops[i]), &id)) {
			cli_errorf("%s: no shop '%s' in the store", a->db, a->shops[i]);
			return KEFU_EXIT_FAIL;
		}
		(*ids)[(*nids)++] = id;
	}
	return 0;
}

static void day_time(int64_t day, int64_t sec, char *buf, size_t cap)
{
	char d[16];
	kefu_day_format(day, d);
	snprintf(buf, cap, "%s %02d:%02d", d, (int)(sec / 3600), (int)(sec % 3600 / 60));
}

static void add_backtest_meta(kefu_table *t, const kefu_volume_grid *g, int64_t before,
			      const kefu_forecast_opts *fo, const char *prefix)
{
	kefu_backtest bt;
	kefu_err err = KEFU_ERR_INIT;
	char key[128];
	snprintf(key, sizeof key, "%sbacktest", prefix);
	if (kefu_forecast_backtest(&bt, g, before, fo, &err)) {
		add_meta_f(t, key, "not available: %s", err.msg);
		return;
	}
	char f1[16], f2[16];
	kefu_day_format(bt.from_day, f1);
	kefu_day_format(bt.to_day, f2);
	add_meta_f(t, key, "MAPE %.4f over %zu intervals, MAE %.3f over %zu intervals (held back %s..%s)",
		   bt.mape, bt.n_mape, bt.mae, bt.n, f1, f2);
}

static void fill_forecast_opts(kefu_forecast_opts *fo, const staff_args *a)
{
	*fo = (kefu_forecast_opts)KEFU_FORECAST_OPTS_INIT;
	if (a->weeks)
		fo->weeks = a->weeks;
	fo->events = a->events;
	fo->nevents = a->nevents;
}

static void add_event_meta(kefu_table *t, const staff_args *a, const double *learned,
			   int64_t from, const char *prefix)
{
	for (size_t e = 0; e < a->nevents; e++) {
		char f1[16], f2[16], key[160];
		kefu_day_format(a->events[e].from_day, f1);
		kefu_day_format(a->events[e].to_day, f2);
		snprintf(key, sizeof key, "%sevent %s %s..%s", prefix, a->events[e].name, f1, f2);
		if (a->events[e].to_day < from)
			add_meta_f(t, key, "past occurrence (its days are not normal days)");
		else
			add_meta_f(t, key, "x%.4f (%s)", learned[e],
				   a->events[e].multiplier > 0 ? "given"
							       : "learned from past occurrences");
	}
}

/* ---- forecast ---- */

static int run_forecast(staff_args *a)
{
	const char *name = "staff forecast";
	int64_t from, to;
	int rc = check_source(a, name, &from, &to);
	if (rc)
		return rc;
	if (a->nshops > 1)
		return cli_usage_error(name, "one --shop at a time");
	kefu_err err = KEFU_ERR_INIT;
	shop_hist h;
	memset(&h, 0, sizeof h);
	kpi_session s;
	memset(&s, 0, sizeof s);
	uint32_t *ids = NULL;
	size_t nids = 0;
	kefu_volume_grid *fc = NULL;
	kefu_table *t = NULL;
	double learned[32];
	if (a->counts) {
		rc = load_counts(&h, a, &err);
	} else {
		rc = open_session(&s, a, &ids, &nids);
		if (rc)
			goto done;
		rc = nids != 1 ? kefu_err_set(&err, KEFU_EINVAL, "--shop all: use plan for many shops")
			       : hist_from_session(&h, &s, ids[0], from, a, &err);
	}
	kefu_forecast_opts fo;
	fill_forecast_opts(&fo, a);
	if (!rc)
		rc = kefu_forecast_run(&fc, h.grid, from, to, &fo, learned, &err);
	if (rc) {
		cli_print_err(&err);
		rc = rc == KEFU_EIO ? KEFU_EXIT_IO : KEFU_EXIT_FAIL;
		goto done;
	}
	if (kefu_table_new(&t, "staff forecast")) {
		rc = KEFU_EXIT_FAIL;
		goto done;
	}
	kefu_table_add_col(t, "interval_start", "时段开始", KEFU_T_TEXT);
	kefu_table_add_col(t, "weekday", "星期", KEFU_T_INT);
	kefu_table_add_col(t, "volume", "预测咨询量", KEFU_T_MEAN);
	for (size_t d = 0; d < fc->ndays; d++)
		for (int i = 0; i < fc->slots; i++) {
			kefu_cell *row;
			if (kefu_table_add_row(t, &row)) {
				rc = KEFU_EXIT_FAIL;
				goto done;
			}
			char buf[40];
			day_time(fc->first_day + (int64_t)d, (int64_t)i * fc->interval_s, buf, sizeof buf);
			kefu_cell_set_text(&row[0], buf, strlen(buf));
			set_int(&row[1], kefu_weekday(fc->first_day + (int64_t)d));
			set_real(&row[2], fc->count[d * (size_t)fc->slots + (size_t)i]);
		}
	add_meta_f(t, "source", "%s%s", a->counts ? "counts " : "consult chats of shop ", h.name);
	add_meta_f(t, "interval_s", "%lld", (long long)a->interval_s);
	add_meta_f(t, "model", "weekday templates of the last %d normal days, level over the last 2 weeks, "
		   "latest same weekday weighted 0.25", fo.weeks);
	add_backtest_meta(t, h.grid, from, &fo, "");
	add_event_meta(t, a, learned, from, "");
	rc = write_table(t, a);
done:
	kefu_table_free(t);
	kefu_volume_grid_free(fc);
	hist_clear(&h);
	free(ids);
	if (a->db)
		kpi_session_free(&s);
	return rc;
}

/* ---- plan ---- */

typedef struct plan_out {
	kefu_table *shifts, *intervals;
	int show_intervals;
	int both; /* an HTML page is wanted: fill both tables */
	long gaps;
	char first_gap[256];
} plan_out;

/* Chooses the queueing model of a shop: given options, else measured. */
static void plan_model(kefu_erlang_model *m, double *aht_k, const staff_args *a,
		       const shop_hist *h, char *how, size_t cap)
{
	*m = (kefu_erlang_model)KEFU_ERLANG_MODEL_INIT;
	m->target_s = a->target_s;
	m->patience_s = a->patience_s;
	const char *src_aht = "given";
	m->aht_s = a->aht_s;
	if (!(m->aht_s > 0) && h->have_meas) {
		m->aht_s = h->meas.aht_s > 0 ? h->meas.aht_s : 1;
		src_aht = "measured";
	}
	int k = a->concurrency;
	const char *src_k = "given";
	if (!k) {
		k = 1;
		src_k = "default";
		if (h->have_meas && isfinite(h->meas.concurrency)) {
			k = (int)floor(h->meas.concurrency + 0.5);
			k = k < 1 ? 1 : k > 5 ? 5 : k;
			src_k = "measured";
		}
	}
	m->concurrency = k;
	const char *method = k == 1 ? "single chat" : "factor method";
	if (a->n_aht_k) {
		memcpy(aht_k, a->aht_k, sizeof a->aht_k);
		m->aht_k = aht_k;
		method = "Erlang-Chat chain (given AHT_k)";
	} else if (k > 1 && h->have_meas && !(a->aht_s > 0)) {
		int ok = 1;
		for (int j = 0; j < k; j++)
			ok = ok && h->meas.n_k[j] >= 30 && h->meas.aht_k[j] > 0;
		if (ok) {
			for (int j = 0; j < k; j++)
				aht_k[j] = h->meas.aht_k[j];
			m->aht_k = aht_k;
			method = "Erlang-Chat chain (measured AHT_k)";
		}
	}
	snprintf(how, cap, "AHT %.1fs (%s), concurrency %d (%s), %s%s", m->aht_s, src_aht, k, src_k,
		 method, a->patience_s > 0 ? ", patience (Erlang A)" : "");
}

static int plan_shop(plan_out *po, const staff_args *a, shop_hist *h, int64_t from, int64_t to,
		     int multi)
{
	kefu_err err = KEFU_ERR_INIT;
	kefu_forecast_opts fo;
	fill_forecast_opts(&fo, a);
	kefu_volume_grid *fc = NULL;
	kefu_cover *cv = NULL;
	int64_t *demand = NULL;
	int64_t *rawv = NULL;
	double learned[32];
	int rc = kefu_forecast_run(&fc, h->grid, from, to, &fo, learned, &err);
	if (rc)
		goto fail;
	kefu_erlang_model m;
	double aht_k[16];
	char how[256];
	plan_model(&m, aht_k, a, h, how, sizeof how);
	if (!(m.aht_s > 0)) {
		rc = kefu_err_set(&err, KEFU_EINVAL, "%s: no received chats to measure handle time; give --aht",
				  h->name);
		goto fail;
	}
	kefu_staff_target tg;
	target_from_args(&tg, a);
	size_t n = fc->ndays * (size_t)fc->slots;
	demand = calloc(n + 1, sizeof *demand);
	rawv = calloc(n + 1, sizeof *rawv);
	if (!demand || !rawv) {
		rc = kefu_err_set(&err, KEFU_ENOMEM, "out of memory");
		goto fail;
	}
	/* identical volumes need identical agents: reuse the last answer */
	double last_v = -1;
	int last_raw = 0;
	int64_t last_s = 0;
	for (size_t i = 0; i < n; i++) {
		double v = fc->count[i];
		if (v != last_v) {
			kefu_erlang_figs f;
			m.rate_per_s = v / (double)a->interval_s;
			rc = kefu_erlang_staff(&f, &last_raw, &last_s, &m, &tg, &err);
			if (rc)
				goto fail;
			last_v = v;
		}
		rawv[i] = last_raw;
		demand[i] = last_s;
	}
	if (a->npats) {
		rc = kefu_shift_cover(&cv, demand, n, from, (int)a->interval_s, a->pats, a->npats,
				      a->max_agents, &err);
		if (rc)
			goto fail;
	}
	/* shifts table (only the table shown is filled) */
	kefu_table *st = po->shifts;
	if (po->show_intervals && !po->both)
		st = NULL;
	for (size_t u = 0; st && cv && u < cv->nuses; u++) {
		const kefu_shift_use *su = &cv->uses[u];
		const kefu_shift_pattern *p = &a->pats[su->pattern];
		kefu_cell *row;
		if (kefu_table_add_row(st, &row)) {
			rc = kefu_err_set(&err, KEFU_ENOMEM, "out of memory");
			goto fail;
		}
		char buf[40];
		int c = 0;
		kefu_cell_set_text(&row[c++], h->name, strlen(h->name));
		kefu_day_format(su->day, buf);
		kefu_cell_set_text(&row[c++], buf, strlen(buf));
		kefu_cell_set_text(&row[c++], p->name, strlen(p->name));
		day_time(su->day, p->start_s, buf, sizeof buf);
		kefu_cell_set_text(&row[c++], buf, strlen(buf));
		int64_t e = (int64_t)p->start_s + p->len_s;
		day_time(su->day + e / 86400, e % 86400, buf, sizeof buf);
		kefu_cell_set_text(&row[c++], buf, strlen(buf));
		set_int(&row[c++], su->agents);
		set_int(&row[c++], su->agents * p->cost);
	}
	/* intervals table */
	kefu_table *it = po->show_intervals || po->both ? po->intervals : NULL;
	for (size_t i = 0; it && i < n; i++) {
		kefu_cell *row;
		if (kefu_table_add_row(it, &row)) {
			rc = kefu_err_set(&err, KEFU_ENOMEM, "out of memory");
			goto fail;
		}
		char buf[40];
		int64_t day = from + (int64_t)(i / (size_t)fc->slots);
		int64_t sec = (int64_t)(i % (size_t)fc->slots) * a->interval_s;
		day_time(day, sec, buf, sizeof buf);
		int c = 0;
		kefu_cell_set_text(&row[c++], h->name, strlen(h->name));
		kefu_cell_set_text(&row[c++], buf, strlen(buf));
		set_real(&row[c++], fc->count[i]);
		set_int(&row[c++], rawv[i]);
		set_int(&row[c++], demand[i]);
		if (cv) {
			set_int(&row[c++], cv->covered[i]);
			set_int(&row[c++], demand[i] > cv->covered[i] ? demand[i] - cv->covered[i] : 0);
		} else {
			row[c++].empty = 1;
			row[c++].empty = 1;
		}
	}
	/* gaps */
	for (size_t g = 0; cv && g < cv->ngaps; g++) {
		const kefu_cover_gap *gp = &cv->gaps[g];
		char buf[40];
		day_time(from + (int64_t)(gp->slot / (size_t)fc->slots),
			 (int64_t)(gp->slot % (size_t)fc->slots) * a->interval_s, buf, sizeof buf);
		if (!po->gaps)
			snprintf(po->first_gap, sizeof po->first_gap,
				 "%s: interval %s needs %lld agents, %s", h->name, buf,
				 (long long)gp->need,
				 gp->uncovered ? "no shift pattern covers it"
					       : "more than --max-agents");
		po->gaps++;
	}
	/* meta per shop */
	char prefix[300];
	snprintf(prefix, sizeof prefix, "%s%s", multi ? h->name : "", multi ? " " : "");
	char key[400];
	snprintf(key, sizeof key, "%smodel", prefix);
	/* only the table shown gets them (the backtest is computed once) */
	kefu_table *mt[2] = {po->show_intervals && !po->both ? NULL : po->shifts,
			     po->show_intervals || po->both ? po->intervals : NULL};
	for (int k = 0; k < 2; k++) {
		if (!mt[k])
			continue;
		kefu_table_add_meta(mt[k], key, how);
		add_backtest_meta(mt[k], h->grid, from, &fo, prefix);
		add_event_meta(mt[k], a, learned, from, prefix);
		if (cv) {
			char k2[400];
			snprintf(k2, sizeof k2, "%stotal_cost", prefix);
			if (a->pats_costed == 1) {
				char money[64];
				kefu_decimal_format(cv->total_cost, 1, -2, 2, 0, money);
				add_meta_f(mt[k], k2, "%s yuan for %lld agent-shifts", money,
					   (long long)cv->agent_shifts);
			} else {
				add_meta_f(mt[k], k2, "%lld paid minutes for %lld agent-shifts",
					   (long long)cv->total_cost, (long long)cv->agent_shifts);
			}
			snprintf(k2, sizeof k2, "%sgaps", prefix);
			add_meta_f(mt[k], k2, "%zu intervals not covered", cv->ngaps);
		}
	}
	kefu_cover_free(cv);
	kefu_volume_grid_free(fc);
	free(demand);
	free(rawv);
	return 0;
fail:
	cli_print_err(&err);
	kefu_cover_free(cv);
	kefu_volume_grid_free(fc);
	free(demand);
	free(rawv);
	return rc == KEFU_ENOMEM ? KEFU_EXIT_FAIL : rc == KEFU_EINVAL ? KEFU_EXIT_USAGE : KEFU_EXIT_FAIL;
}

/* The plan's page: both tables, whichever one the other outputs show. */
static int plan_html(FILE *f, const kefu_table *t, void *ctx, kefu_err *err)
{
	(void)t;
	const plan_out *po = ctx;
	return kefu_write_html_staff(f, po->intervals, po->shifts, "排班计划 Staffing plan", err);
}

static int run_plan(staff_args *a)
{
	const char *name = "staff plan";
	int64_t from, to;
	int rc = check_source(a, name, &from, &to);
	if (rc)
		return rc;
	if (!a->have_target)
		return cli_usage_error(name, "--target is required");
	if (a->counts && !(a->aht_s > 0) && !a->n_aht_k)
		return cli_usage_error(name, "--counts needs --aht (nothing to measure it from)");
	if (a->n_aht_k && !a->concurrency)
		a->concurrency = a->n_aht_k;
	if (a->concurrency) {
		rc = check_chain_args(a, name);
		if (rc)
			return rc;
	}
	if (a->n_aht_k && !(a->aht_s > 0))
		a->aht_s = a->aht_k[0];
	plan_out po;
	memset(&po, 0, sizeof po);
	po.show_intervals = a->show_intervals || !a->npats;
	po.both = wants_html(a);
	if (kefu_table_new(&po.shifts, "staff plan: shifts") ||
	    kefu_table_new(&po.intervals, "staff plan: intervals")) {
		kefu_table_free(po.shifts);
		return KEFU_EXIT_FAIL;
	}
	kefu_table_add_col(po.shifts, "shop", "店铺", KEFU_T_TEXT);
	kefu_table_add_col(po.shifts, "day", "日期", KEFU_T_TEXT);
	kefu_table_add_col(po.shifts, "shift", "班次", KEFU_T_TEXT);
	kefu_table_add_col(po.shifts, "start", "开始", KEFU_T_TEXT);
	kefu_table_add_col(po.shifts, "end", "结束", KEFU_T_TEXT);
	kefu_table_add_col(po.shifts, "agents", "人数", KEFU_T_INT);
	kefu_table_add_col(po.shifts, a->pats_costed == 1 ? "cost_fen" : "paid_minutes",
			   a->pats_costed == 1 ? "成本(分)" : "计薪分钟", a->pats_costed == 1 ? KEFU_T_FEN : KEFU_T_INT);
	kefu_table_add_col(po.intervals, "shop", "店铺", KEFU_T_TEXT);
	kefu_table_add_col(po.intervals, "interval_start", "时段开始", KEFU_T_TEXT);
	kefu_table_add_col(po.intervals, "volume", "预测咨询量", KEFU_T_MEAN);
	kefu_table_add_col(po.intervals, "raw_agents", "所需坐席", KEFU_T_INT);
	kefu_table_add_col(po.intervals, "scheduled_agents", "排班坐席", KEFU_T_INT);
	kefu_table_add_col(po.intervals, "on_duty", "在岗", KEFU_T_INT);
	kefu_table_add_col(po.intervals, "gap", "缺口", KEFU_T_INT);
	add_meta_f(po.shifts, "target", "%g within %gs", a->sl, a->target_s);
	add_meta_f(po.intervals, "target", "%g within %gs", a->sl, a->target_s);
	kefu_err err = KEFU_ERR_INIT;
	kpi_session s;
	memset(&s, 0, sizeof s);
	uint32_t *ids = NULL;
	size_t nids = 0;
	struct timespec t0, t1, c0, c1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	if (a->counts) {
		shop_hist h;
		memset(&h, 0, sizeof h);
		rc = load_counts(&h, a, &err);
		if (rc) {
			cli_print_err(&err);
			rc = rc == KEFU_EIO ? KEFU_EXIT_IO : KEFU_EXIT_FAIL;
		} else {
			rc = plan_shop(&po, a, &h, from, to, 0);
		}
		hist_clear(&h);
	} else {
		rc = open_session(&s, a, &ids, &nids);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
		for (size_t k = 0; !rc && k < nids; k++) {
			shop_hist h;
			memset(&h, 0, sizeof h);
			rc = hist_from_session(&h, &s, ids[k], from, a, &err);
			if (rc) {
				cli_print_err(&err);
				rc = KEFU_EXIT_FAIL;
			} else {
				rc = plan_shop(&po, a, &h, from, to, nids > 1);
			}
			hist_clear(&h);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	if (getenv("KEFU_STAFF_TIMING")) /* bench/staff_bench.sh */
		fprintf(stderr,
			"kefu: staff plan: %zu shop(s) planned in %.3f s wall, %.3f s CPU (after "
			"loading)\n",
			a->counts ? (size_t)1 : nids,
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
			(double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9);
	if (!rc) {
		kpi_term_columns = NULL;
		kpi_out oo = KPI_OUT_INIT;
		oo.outs = (char **)a->outs;
		oo.nouts = a->nouts;
		oo.format = a->format;
		oo.html = plan_html;
		oo.html_ctx = &po;
		rc = kpi_write_outputs_ex(po.show_intervals ? po.intervals : po.shifts, &oo);
	}
	if (!rc && po.gaps) {
		cli_errorf("infeasible: %s (%ld interval(s) with gaps; see --show intervals)",
			   po.first_gap, po.gaps);
		rc = KEFU_EXIT_FAIL;
	}
	kefu_table_free(po.shifts);
	kefu_table_free(po.intervals);
	free(ids);
	if (a->db)
		kpi_session_free(&s);
	return rc;
}

int cmd_staff(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr, 0);
		return KEFU_EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
		usage(stdout, 0);
		return KEFU_EXIT_OK;
	}
	int code = !strcmp(sub, "erlang")     ? SUB_ERLANG
		   : !strcmp(sub, "forecast") ? SUB_FORECAST
		   : !strcmp(sub, "plan")     ? SUB_PLAN
					      : 0;
	if (!code) {
		fprintf(stderr, "kefu: staff: unknown subcommand '%s' (erlang, forecast, plan)\n", sub);
		return KEFU_EXIT_USAGE;
	}
	char name[32];
	snprintf(name, sizeof name, "staff %s", sub);
	staff_args a;
	memset(&a, 0, sizeof a);
	a.sub = code;
	a.interval_s = 1800;
	a.format = "table";
	a.shrink_den = 1;
	a.pats_costed = -1;
	int rc = parse_args(&a, code, name, argc - 1, argv + 1);
	if (rc) {
		args_free(&a);
		return rc < 0 ? KEFU_EXIT_OK : rc;
	}
	if (code == SUB_ERLANG) {
		if (a.concurrency == 0)
			a.concurrency = a.n_aht_k ? a.n_aht_k : 1;
		rc = run_erlang(&a);
	} else if (code == SUB_FORECAST) {
		rc = run_forecast(&a);
	} else {
		rc = run_plan(&a);
	}
	args_free(&a);
	return rc;
}
