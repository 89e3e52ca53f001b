/*
 * kpi_session.c - loading, settings and output shared by the report
 * commands. All printing for these steps happens here, not in lib/.
 */
#include "kpi_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "kefu/loader.h"
#include "kefu/mapping.h"
#include "kefu/report_html.h"
#include "kefu/store.h"

int input_opts_option(input_opts *io, const char *opt, const char *format_opt, const char *arg)
{
	if (!strcmp(opt, format_opt))
		io->format = arg;
	else if (!strcmp(opt, "map"))
		io->map = arg;
	else if (!strcmp(opt, "time-format"))
		io->time_format = arg;
	else if (!strcmp(opt, "encoding"))
		io->encoding = arg;
	else if (!strcmp(opt, "presets"))
		io->presets_path = arg;
	else if (!strcmp(opt, "sheet"))
		io->sheet = arg;
	else
		return 0;
	return 1;
}

void input_opts_help(FILE *f, const char *format_opt)
{
	int pad = 13 - (int)strlen(format_opt);
	fprintf(f,
		"      --%s NAME%*s input preset: canonical, taobao-orders, taobao-trades-json,\n"
		"                           taobao-chatlog-json, or a user preset\n"
		"                           (default: canonical, else detected from the header)\n"
		"      --map SPEC           column mapping: canonical=source column, e.g.\n"
		"                           'buyer=买家旺旺,ts=时间,dir=方向|map:买家>B;客服>A,items=\"1\"'\n"
		"      --time-format FMT    time columns in this format, e.g. '%%Y/%%m/%%d %%H:%%M'\n"
		"      --encoding ENC       utf-8, gb18030 or gbk (default: detected)\n"
		"      --presets FILE       presets file, lines 'name: SPEC' (default\n"
		"                           $XDG_CONFIG_HOME/kefu/presets); see docs/IMPORT.md\n"
		"      --sheet NAME         XLSX input: the sheet to read (default: the first)\n",
		format_opt, pad > 0 ? pad : 1, "");
}

int input_opts_prepare(input_opts *io, const char *cmd)
{
	kefu_err err = KEFU_ERR_INIT;
	const char *path = io->presets_path;
	char buf[4096];
	int missing_ok = 0;
	if (!path) {
		const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
		if (xdg && xdg[0])
			snprintf(buf, sizeof buf, "%s/kefu/presets", xdg);
		else if (home && home[0])
			snprintf(buf, sizeof buf, "%s/.config/kefu/presets", home);
		else
			buf[0] = '\0';
		path = buf[0] ? buf : NULL;
		missing_ok = 1;
	}
	if (kefu_presets_load(&io->presets, path, missing_ok, &err)) {
		cli_print_err(&err);
		return KEFU_EXIT_USAGE;
	}
	kefu_encoding enc;
	if (kefu_encoding_parse(io->encoding, &enc))
		return cli_usage_error(cmd, "--encoding: expected utf-8, gb18030 or gbk, got '%s'",
				       io->encoding);
	if (io->format) {
		const kefu_preset *p = kefu_presets_find(io->presets, io->format);
		if (!p)
			return cli_usage_error(cmd, "unknown input format '%s' (canonical, taobao-orders "
						    "or a preset of the presets file)",
					       io->format);
	}
	if (io->map) {
		kefu_mapping *m = NULL;
		if (kefu_mapping_parse(&m, io->map, &err)) {
			cli_errorf("%s", err.msg);
			return KEFU_EXIT_USAGE;
		}
		kefu_mapping_free(m);
	}
	if (io->time_format) {
		char out[48];
		const char *why = NULL;
		kefu_time_format_parse(io->time_format, "", 0, out, &why);
		if (why && strstr(why, "unsupported"))
			return cli_usage_error(cmd, "--time-format '%s': %s", io->time_format, why);
	}
	return 0;
}

void input_opts_free(input_opts *io)
{
	kefu_presets_free(io->presets);
	io->presets = NULL;
}

static void input_opts_apply(const input_opts *io, kefu_load_opts *lo)
{
	lo->format = io->format;
	lo->map = io->map;
	lo->time_format = io->time_format;
	lo->encoding = io->encoding;
	lo->presets = io->presets;
	lo->sheet = io->sheet;
}

int kpi_session_option(kpi_session_opts *o, const char *cmd, const char *opt, const char *arg)
{
	if (input_opts_option(&o->in, opt, "input-format", arg))
		return 1;
	if (!strcmp(opt, "input-shop")) {
		o->input_shop = arg;
		return 1;
	}
	if (!strcmp(opt, "db")) {
		o->db = arg;
	} else if (!strcmp(opt, "set")) {
		if (o->nsets >= 64)
			return cli_usage_error(cmd, "too many --set options"), -1;
		o->sets[o->nsets++] = arg;
	} else if (!strcmp(opt, "judge-rule")) {
		static char buf[64];
		snprintf(buf, sizeof buf, "judge_rule=%s", arg);
		if (o->nsets >= 64)
			return -1;
		o->sets[o->nsets++] = buf;
	} else if (!strcmp(opt, "as-of")) {
		o->as_of = arg;
	} else if (!strcmp(opt, "from")) {
		o->from = arg;
	} else if (!strcmp(opt, "to")) {
		o->to = arg;
	} else if (!strcmp(opt, "shop")) {
		if (o->nshops >= 64)
			return cli_usage_error(cmd, "too many --shop options"), -1;
		o->shops[o->nshops++] = arg;
	} else if (!strcmp(opt, "agent")) {
		if (o->nagents >= 256)
			return cli_usage_error(cmd, "too many --agent options"), -1;
		o->agents[o->nagents++] = arg;
	} else {
		return 0;
	}
	return 1;
}

typedef struct load_ctx {
	kefu_dataset *ds;
	long rejected;
	int quiet;
} load_ctx;

static int on_reject(void *ctx, const char *file, long line, long col, const char *column,
		     const char *reason, kefu_str raw)
{
	(void)raw;
	load_ctx *lc = ctx;
	lc->rejected++;
	if (lc->rejected <= 20 && !lc->quiet)
		fprintf(stderr, "kefu: error: %s:%ld:%ld: %s%s%s\n", file, line, col, column,
			column[0] ? ": " : "", reason);
	else if (lc->rejected == 21 && !lc->quiet)
		fprintf(stderr, "kefu: error: more rejected rows not shown\n");
	return 0;
}

/* KEFU_TIMING=1 prints the wall time of each phase to stderr. */
static void phase(const char *name)
{
	static struct timespec last;
	static int on = -1;
	if (on < 0) {
		const char *e = getenv("KEFU_TIMING");
		on = e && e[0] == '1';
	}
	if (!on)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (name && last.tv_sec)
		fprintf(stderr, "kefu: timing: %-10s %.3f s\n", name,
			(double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9);
	last = now;
}

/* One thread per core for parsing and the engine (KEFU_THREADS overrides). */
static int session_threads(void)
{
	const char *th = getenv("KEFU_THREADS");
	if (th && atoi(th) > 0)
		return atoi(th);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus > 0 ? (int)cpus : 1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Resolves names to sorted ids; unknown names simply match nothing. */
static uint32_t *resolve(const kefu_dict *d, const char *const *names, int n, size_t *count)
{
	uint32_t *ids = malloc(((size_t)n + 1) * sizeof *ids);
	size_t k = 0;
	if (!ids)
		return NULL;
	for (int i = 0; i < n; i++) {
		uint32_t id;
		if (kefu_dict_find(d, names[i], strlen(names[i]), &id) == 0)
			ids[k++] = id;
	}
	qsort(ids, k, sizeof *ids, cmp_u32);
	*count = k;
	return ids;
}

static int apply_sets(kefu_settings *s, const kpi_session_opts *o, kefu_err *err)
{
	for (int i = 0; i < o->nsets; i++)
		if (kefu_settings_apply_kv(s, o->sets[i], err))
			return -1;
	return 0;
}

int kpi_session_run(kpi_session *s, const kpi_session_opts *o)
{
	kefu_err err = KEFU_ERR_INIT;
	memset(s, 0, sizeof *s);
	if (kefu_settings_init(&s->base, &err) || apply_sets(&s->base, o, &err)) {
		cli_print_err(&err);
		return KEFU_EXIT_USAGE;
	}
	if (kefu_dataset_new(&s->ds)) {
		cli_errorf("out of memory");
		return KEFU_EXIT_FAIL;
	}
	kefu_store *st = NULL;
	phase(NULL);
	if (o->db) {
		int cached = 0;
		kefu_dataset_free(s->ds);
		s->ds = NULL;
		if (kefu_store_open_ex(&st, o->db, KEFU_STORE_NOCREATE, &err) ||
		    kefu_store_load_cached(st, &s->ds, &cached, &err)) {
			cli_print_err(&err);
			kefu_store_close(st);
			return KEFU_EXIT_STORE;
		}
	} else {
		load_ctx lc = {s->ds, 0, o->quiet};
		int threads = session_threads();
		/* Reserve by size (a message row is rarely under 40 bytes): the
		 * columns then never move while they fill; unused pages cost nothing. */
		uint64_t total = 0;
		for (int i = 0; i < o->nfiles; i++) {
			struct stat sb;
			if (stat(o->files[i], &sb) == 0 && S_ISREG(sb.st_mode))
				total += (uint64_t)sb.st_size;
		}
		if (total > ((uint64_t)64 << 20))
			kefu_dataset_reserve(s->ds, KEFU_KIND_MESSAGES, (size_t)(total / 40));
		for (int i = 0; i < o->nfiles; i++) {
			kefu_load_opts lo = KEFU_LOAD_OPTS_INIT;
			lo.default_tz = s->base.tz;
			lo.shop = o->input_shop;
			input_opts_apply(&o->in, &lo);
			kefu_load_stats ls;
			if (kefu_load_into(s->ds, o->files[i], &lo, threads, on_reject, &lc, &ls, &err)) {
				cli_print_err(&err);
				return err.code == KEFU_EIO ? KEFU_EXIT_IO : KEFU_EXIT_FAIL;
			}
		}
		s->rejected = lc.rejected;
	}
	phase("load");
	if (kefu_dataset_finalize(s->ds, &err)) {
		cli_print_err(&err);
		kefu_store_close(st);
		return KEFU_EXIT_FAIL;
	}
	/* settings per shop */
	s->nvs = kefu_dict_size(s->ds->shops);
	s->vs = calloc(s->nvs + 1, sizeof *s->vs);
	if (!s->vs) {
		kefu_store_close(st);
		return KEFU_EXIT_FAIL;
	}
	for (size_t i = 0; i < s->nvs; i++) {
		kefu_settings_versions *v = &s->vs[i];
		if (st) {
			kefu_str name = kefu_dict_get(s->ds->shops, (uint32_t)i);
			char *nm = strndup(name.p, name.n);
			int rc = nm ? kefu_store_settings_versions(st, nm, &s->base, v, &err) : KEFU_ENOMEM;
			free(nm);
			for (size_t k = 0; !rc && k < v->n; k++)
				if (apply_sets(&v->v[k], o, &err))
					rc = KEFU_EINVAL;
			if (rc) {
				cli_print_err(&err);
				kefu_store_close(st);
				return KEFU_EXIT_USAGE;
			}
		} else {
			v->v = calloc(1, sizeof *v->v);
			v->from_day = calloc(1, sizeof *v->from_day);
			if (!v->v || !v->from_day || kefu_settings_copy(&v->v[0], &s->base, &err)) {
				kefu_store_close(st);
				return KEFU_EXIT_FAIL;
			}
			v->from_day[0] = INT64_MIN;
			v->n = 1;
		}
	}
	kefu_store_close(st);
	phase("finalize");
	kefu_kpi_opts ko = KEFU_KPI_OPTS_INIT;
	ko.shop_settings = s->vs;
	ko.n_shop_settings = s->nvs;
	ko.threads = session_threads();
	if (o->as_of) {
		if (kefu_ts_parse(o->as_of, strlen(o->as_of), s->base.tz, &ko.as_of, &err)) {
			cli_print_err(&err);
			return KEFU_EXIT_USAGE;
		}
	}
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	if (o->from && kefu_day_parse(o->from, strlen(o->from), &ro.from_day)) {
		cli_errorf("--from: expected YYYY-MM-DD, got '%s'", o->from);
		return KEFU_EXIT_USAGE;
	}
	if (o->to && kefu_day_parse(o->to, strlen(o->to), &ro.to_day)) {
		cli_errorf("--to: expected YYYY-MM-DD, got '%s'", o->to);
		return KEFU_EXIT_USAGE;
	}
	if (o->nshops) {
		s->shop_ids = resolve(s->ds->shops, o->shops, o->nshops, &ro.n_shops);
		ro.shops = s->shop_ids;
	}
	if (o->nagents) {
		s->agent_ids = resolve(s->ds->agents, o->agents, o->nagents, &ro.n_agents);
		ro.agents = s->agent_ids;
	}
	s->ropts = ro;
	if (kefu_kpi_run(&s->res, s->ds, &ko, &err)) {
		cli_print_err(&err);
		return KEFU_EXIT_FAIL;
	}
	phase("engine");
	return 0;
}

void kpi_session_free(kpi_session *s)
{
	for (size_t i = 0; i < s->nvs; i++)
		kefu_settings_versions_clear(&s->vs[i]);
	free(s->vs);
	kefu_settings_clear(&s->base);
	kefu_kpi_result_free(s->res);
	kefu_dataset_free(s->ds);
	free(s->shop_ids);
	free(s->agent_ids);
	memset(s, 0, sizeof *s);
}

static int settings_equal(const kefu_settings *a, const kefu_settings *b)
{
	char x[1024], y[1024];
	for (size_t k = 0; k < kefu_settings_key_count(); k++) {
		kefu_settings_value(a, k, x, sizeof x);
		kefu_settings_value(b, k, y, sizeof y);
		if (strcmp(x, y))
			return 0;
	}
	return 1;
}

static int add_settings_meta(kefu_table *t, const char *label, const kefu_settings *st)
{
	char line[4096], val[1024];
	size_t off = 0;
	for (size_t k = 0; k < kefu_settings_key_count(); k++) {
		kefu_settings_value(st, k, val, sizeof val);
		int w = snprintf(line + off, sizeof line - off, "%s%s=%s", k ? " " : "",
				 kefu_settings_key(k), val);
		if (w < 0 || (size_t)w >= sizeof line - off)
			break;
		off += (size_t)w;
	}
	return kefu_table_add_meta(t, label, line);
}

int kpi_session_meta(const kpi_session *s, kefu_table *t)
{
	char buf[64];
	int rc = add_settings_meta(t, "settings", &s->base);
	/* shops whose settings differ from the run's (store versions); with a
	 * shop filter only the selected shops (the server relies on this: a
	 * merchant never sees another shop's name) */
	for (size_t i = 0; !rc && i < s->nvs; i++)
		for (size_t k = 0; !rc && k < s->vs[i].n; k++) {
			if (s->ropts.shops && !bsearch(&(uint32_t){(uint32_t)i}, s->ropts.shops,
						       s->ropts.n_shops, sizeof(uint32_t), cmp_u32))
				break;
			if (settings_equal(&s->vs[i].v[k], &s->base))
				continue;
			kefu_str nm = kefu_dict_get(s->ds->shops, (uint32_t)i);
			char label[512];
			if (s->vs[i].from_day[k] == INT64_MIN)
				snprintf(label, sizeof label, "settings[%.*s]", (int)nm.n, nm.p);
			else {
				kefu_day_format(s->vs[i].from_day[k], buf);
				snprintf(label, sizeof label, "settings[%.*s from %s]", (int)nm.n, nm.p, buf);
			}
			rc = add_settings_meta(t, label, &s->vs[i].v[k]);
		}
	if (!rc && s->res) {
		if (s->res->as_of == INT64_MIN)
			snprintf(buf, sizeof buf, "none");
		else
			kefu_ts_format(s->base.tz, s->res->as_of, buf);
		rc = kefu_table_add_meta(t, "as_of", buf);
	}
	if (!rc)
		rc = kefu_table_add_meta(t, "provisional",
					 "rows marked provisional (延迟统计) may still change: conversion and sales are final at day + inquiry_validity_days + payment_window");
	return rc;
}

/* The five numbers merchants judge by, plus what explains them. */
const char *const kpi_summary_columns[] = {
	"shop", "agent", "team", "vendor", "day", "period", "from", "to", "consults", "received",
	"inquiries", "converted", "first_resp_s", "avg_resp_s", "reply_rate", "three_min_rate",
	"conv_rate", "sales_fen", "aov", "dsr_service", "paid_fen", "silent_fen", "provisional",
	/* chats */
	"buyer", "first_buyer_ts", "end", "received", "inquiry", "first_resp_s", "resp_n",
	"converted", "credited_orders", NULL};
const char *const *kpi_term_columns = kpi_summary_columns;
int kpi_csv_meta;

static const char *ext_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	return dot && (!slash || dot > slash) ? dot + 1 : "";
}

/* Output formats: name, file extension, and whether the writer needs a
 * file path (XLSX) or the session (HTML, weike-json). */
typedef enum out_kind { OUT_TABLE, OUT_CSV, OUT_JSON, OUT_XLSX, OUT_HTML, OUT_WEIKE } out_kind;

static const struct out_format {
	const char *name, *ext;
	out_kind kind;
} out_formats[] = {
	{"table", "txt", OUT_TABLE}, {"csv", "csv", OUT_CSV},   {"json", "json", OUT_JSON},
	{"xlsx", "xlsx", OUT_XLSX},  {"html", "html", OUT_HTML}, {"weike-json", "json", OUT_WEIKE},
	{NULL, NULL, OUT_TABLE}};

int kpi_format_known(const char *name)
{
	for (const struct out_format *f = out_formats; f->name; f++)
		if (!strcmp(f->name, name))
			return 1;
	return 0;
}

static const struct out_format *format_by_name(const char *name)
{
	for (const struct out_format *f = out_formats; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

static const struct out_format *format_by_ext(const char *ext)
{
	for (const struct out_format *f = out_formats; f->name; f++)
		if (!strcmp(f->ext, ext) && f->kind != OUT_WEIKE)
			return f;
	return NULL;
}

static int write_stream(const kefu_table *t, FILE *f, out_kind kind, const kpi_out *oo,
			kefu_err *err)
{
	kefu_write_opts wo = KEFU_WRITE_OPTS_INIT;
	wo.zh = oo->zh;
	wo.excel_bom = oo->excel;
	wo.meta = kpi_csv_meta;
	switch (kind) {
	case OUT_CSV: return kefu_write_csv(t, f, &wo, err);
	case OUT_JSON: return kefu_write_json(t, f, &wo, err);
	case OUT_HTML: {
		if (oo->html)
			return oo->html(f, t, oo->html_ctx, err);
		if (!oo->s)
			return kefu_err_set(err, KEFU_EINVAL, "HTML needs the report session");
		kefu_html_report_opts ho = KEFU_HTML_REPORT_OPTS_INIT;
		ho.title = oo->title;
		ho.shop_settings = oo->s->vs;
		ho.n_shop_settings = oo->s->nvs;
		ho.meta = t;
		return kefu_write_html_report(f, oo->s->ds, oo->s->res, &oo->s->ropts, &ho, err);
	}
	case OUT_WEIKE:
		return kefu_write_weike_json(t, oo->s ? oo->s->ds : NULL,
					     oo->s ? oo->s->base.tz : NULL, f, err);
	default:
		wo.color = f == stdout && cli_color_ok();
		wo.columns = kpi_term_columns;
		return kefu_write_text(t, f, &wo, err);
	}
}

/* Copies a finished file to stdout (XLSX with an explicit `-o -`). */
static int copy_to_stdout(const char *path, kefu_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return kefu_err_set(err, KEFU_EIO, "%s: cannot read back", path);
	char buf[65536];
	size_t n;
	int rc = 0;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		if (fwrite(buf, 1, n, stdout) != n) {
			rc = kefu_err_set(err, KEFU_EIO, "write error on stdout");
			break;
		}
	if (ferror(f))
		rc = kefu_err_set(err, KEFU_EIO, "%s: read error", path);
	fclose(f);
	if (!rc && fflush(stdout) != 0)
		rc = kefu_err_set(err, KEFU_EIO, "write error on stdout");
	return rc;
}

/* Writes one output file atomically: a temporary name in the same
 * directory, then rename. */
static int write_file(const kefu_table *t, const char *path, out_kind kind, const kpi_out *oo)
{
	kefu_err err = KEFU_ERR_INIT;
	char tmp[4096];
	int w = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	if (w < 0 || (size_t)w >= sizeof tmp) {
		cli_errorf("%s: path too long", path);
		return KEFU_EXIT_USAGE;
	}
	int rc;
	if (kind == OUT_XLSX) {
		kefu_write_opts wo = KEFU_WRITE_OPTS_INIT;
		rc = kefu_write_xlsx(t, tmp, &wo, &err);
	} else {
		FILE *f = fopen(tmp, "wb");
		if (!f) {
			cli_errorf("%s: cannot create: %m", path);
			return KEFU_EXIT_IO;
		}
		rc = write_stream(t, f, kind, oo, &err);
		if (fclose(f) != 0 && !rc)
			rc = kefu_err_set(&err, KEFU_EIO, "write error");
	}
	if (rc || rename(tmp, path) != 0) {
		unlink(tmp);
		cli_errorf("%s: cannot write: %s", path, err.msg[0] ? err.msg : "rename failed");
		return rc == KEFU_ENOMEM || rc == KEFU_EINVAL ? KEFU_EXIT_FAIL : KEFU_EXIT_IO;
	}
	return 0;
}

static int write_stdout(const kefu_table *t, const struct out_format *fmt, const kpi_out *oo,
			int explicit_dash)
{
	kefu_err err = KEFU_ERR_INIT;
	if (fmt->kind == OUT_XLSX) {
		if (!explicit_dash && isatty(STDOUT_FILENO)) {
			cli_errorf("not writing XLSX to a terminal: use -o FILE.xlsx or -o -");
			return KEFU_EXIT_USAGE;
		}
		/* a private temporary file (mkstemp: no predictable name in /tmp) */
		const char *dir = getenv("TMPDIR");
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s/kefu-xlsx-XXXXXX", dir && dir[0] ? dir : "/tmp");
		int fd = mkstemp(tmp);
		if (fd < 0) {
			cli_errorf("cannot create a temporary file: %m");
			return KEFU_EXIT_IO;
		}
		close(fd);
		kefu_write_opts wo = KEFU_WRITE_OPTS_INIT;
		int rc = kefu_write_xlsx(t, tmp, &wo, &err);
		if (!rc)
			rc = copy_to_stdout(tmp, &err);
		unlink(tmp);
		if (rc) {
			cli_print_err(&err);
			return KEFU_EXIT_IO;
		}
		return 0;
	}
	if (write_stream(t, stdout, fmt->kind, oo, &err)) {
		cli_print_err(&err);
		return KEFU_EXIT_IO;
	}
	return 0;
}

static int is_dir(const char *path)
{
	struct stat sb;
	size_t n = strlen(path);
	return (n && path[n - 1] == '/') || (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode));
}

int kpi_default_path(const kefu_table *t, const kpi_out *oo, const char *dir, const char *ext,
		     char *buf, size_t cap)
{
	char name[1024];
	kefu_report_file_name(t, "客服绩效", oo->from, oo->to, ext, name, sizeof name);
	size_t n = dir ? strlen(dir) : 0;
	int w = snprintf(buf, cap, "%s%s%s", dir ? dir : "", n && dir[n - 1] != '/' ? "/" : "", name);
	return w < 0 || (size_t)w >= cap ? -1 : 0;
}

int kpi_write_outputs_ex(const kefu_table *t, const kpi_out *oo)
{
	const struct out_format *deflt = format_by_name(oo->format ? oo->format : "table");
	if (!deflt) {
		cli_errorf("unknown format '%s'", oo->format);
		return KEFU_EXIT_USAGE;
	}
	if (oo->nouts == 0) {
		if (oo->default_file && (deflt->kind == OUT_XLSX || deflt->kind == OUT_HTML)) {
			char path[4096];
			if (kpi_default_path(t, oo, NULL, deflt->ext, path, sizeof path)) {
				cli_errorf("default file name too long");
				return KEFU_EXIT_USAGE;
			}
			int rc = write_file(t, path, deflt->kind, oo);
			if (!rc)
				fprintf(stderr, "kefu: wrote %s\n", path);
			return rc;
		}
		return write_stdout(t, deflt, oo, 0);
	}
	for (int i = 0; i < oo->nouts; i++) {
		const char *path = oo->outs[i];
		if (!strcmp(path, "-")) {
			int rc = write_stdout(t, deflt, oo, 1);
			if (rc)
				return rc;
			continue;
		}
		const struct out_format *fmt;
		char dpath[4096];
		if (is_dir(path)) {
			/* a directory: the default name, in the --format given (XLSX
			 * unless --format names a file format) */
			fmt = deflt->kind == OUT_TABLE ? format_by_name("xlsx") : deflt;
			if (kpi_default_path(t, oo, path, fmt->ext, dpath, sizeof dpath)) {
				cli_errorf("%s: path too long", path);
				return KEFU_EXIT_USAGE;
			}
			path = dpath;
		} else {
			fmt = format_by_ext(ext_of(path));
			if (fmt && fmt->kind == OUT_JSON && deflt->kind == OUT_WEIKE)
				fmt = deflt; /* --format weike-json -o x.json */
		}
		if (!fmt) {
			cli_errorf("%s: unknown output extension (use .csv, .json, .txt, .xlsx or .html)",
				   path);
			return KEFU_EXIT_USAGE;
		}
		if (((fmt->kind == OUT_HTML && !oo->html) || fmt->kind == OUT_WEIKE) && !oo->s) {
			cli_errorf("%s: this command cannot write %s (use kefu report)", path, fmt->name);
			return KEFU_EXIT_USAGE;
		}
		int rc = write_file(t, path, fmt->kind, oo);
		if (rc)
			return rc;
		if (path == dpath)
			fprintf(stderr, "kefu: wrote %s\n", path);
	}
	return 0;
}

int kpi_write_outputs(const kefu_table *t, char **outs, int nouts, const char *format, int zh,
		      int excel)
{
	kpi_out oo = KPI_OUT_INIT;
	oo.outs = outs;
	oo.nouts = nouts;
	oo.format = format;
	oo.zh = zh;
	oo.excel = excel;
	return kpi_write_outputs_ex(t, &oo);
}
