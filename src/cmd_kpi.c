/*
 * cmd_kpi.c - `kefu kpi` (the KPI rollup of metrics.md section 5 with every
 * derived column, grouped and filtered) and `kefu chats` (one row per chat
 * with its quantities and credited orders, section 11): the same options,
 * loading and writers, a different table.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "kpi_session.h"

typedef struct report_cmd report_cmd;
static void usage(FILE *f, const report_cmd *rc_);

static void usage_options(FILE *f)
{
	fputs("Options:\n"
	      "      --db DB              read the SQLite store DB instead of files\n"
	      "      --from DATE          first business day (YYYY-MM-DD) of rows to report\n"
	      "      --to DATE            last business day (inclusive)\n"
	      "      --shop S             only this shop (repeatable)\n"
	      "      --agent A            only this agent sub-account (repeatable)\n"
	      "      --by KEY             agent (default), team, vendor, shop or all\n"
	      "      --per P              day (default), week (ISO), month or range\n"
	      "      --judge-rule R       order, order_first (default) or payment\n"
	      "      --set KEY=VALUE      override a setting for this run (repeatable)\n"
	      "      --as-of TS           maturity reference time (default: latest timestamp)\n"
	      "      --format F           table (default), csv or json on stdout\n"
	      "  -o, --output FILE        write to FILE; extension picks csv/json/txt/xlsx/html\n"
	      "                           (repeatable; a directory gets the default XLSX name)\n"
	      "      --zh                 Chinese column labels, table-style numbers\n"
	      "      --excel              CSV with a UTF-8 BOM for Excel\n"
	      "      --wide               terminal table with every column (CSV/JSON always have all)\n"
	      "      --meta               CSV: first lines '# key: value' with the settings used\n"
	      "      --input-shop S       shop of input files without a shop column (Taobao export)\n"
	      "  -q, --quiet              do not list rejected input rows\n"
	      "  -h, --help               show this help\n"
	      "\n"
	      "\nInput files that are not canonical CSV (docs/IMPORT.md):\n",
	      f);
	input_opts_help(f, "input-format");
	fputs("\n"
	      "Settings keys: tz day_split judge_rule attribution_window inquiry_validity_days\n"
	      "payment_window after_sale_days max_wait slow_reply_s three_min_window sales_basis\n"
	      "exclude_buyers (see docs/metrics.md).\n"
	      "Exit: 0 ok, 2 usage, 3 some input rows rejected (report still written), 4 I/O, 5 store.\n",
	      f);
}

/* What differs between the report commands: name, help text, table. */
typedef struct report_cmd {
	const char *name;
	const char *summary; /* help paragraph */
	int (*build)(kefu_table **t, const kpi_session *s, kefu_err *err);
} report_cmd;

static int run_report(const report_cmd *rc_, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, 0, 0},     {"from", required_argument, 0, 0},
		{"to", required_argument, 0, 0},     {"shop", required_argument, 0, 0},
		{"agent", required_argument, 0, 0},  {"by", required_argument, 0, 0},
		{"per", required_argument, 0, 0},    {"judge-rule", required_argument, 0, 0},
		{"set", required_argument, 0, 0},    {"as-of", required_argument, 0, 0},
		{"format", required_argument, 0, 0}, {"output", required_argument, 0, 'o'},
		{"zh", no_argument, 0, 0},           {"excel", no_argument, 0, 0},
		{"wide", no_argument, 0, 0},          {"meta", no_argument, 0, 0},
		{"quiet", no_argument, 0, 'q'},      {"help", no_argument, 0, 'h'},
		{"input-format", required_argument, 0, 0}, {"map", required_argument, 0, 0},
		{"time-format", required_argument, 0, 0},  {"encoding", required_argument, 0, 0},
		{"sheet", required_argument, 0, 0},
		{"presets", required_argument, 0, 0},      {"input-shop", required_argument, 0, 0},
		{0, 0, 0, 0}};
	kpi_session_opts o;
	memset(&o, 0, sizeof o);
	const char *format = "table";
	char *outs[16];
	int nouts = 0, zh = 0, excel = 0;
	kefu_by by = KEFU_BY_AGENT;
	kefu_per per = KEFU_PER_DAY;
	int c, idx;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout, rc_);
			return KEFU_EXIT_OK;
		}
		if (c == 'q') {
			o.quiet = 1;
			continue;
		}
		if (c == 'o') {
			if (nouts >= 16)
				return cli_usage_error(rc_->name, "too many -o options");
			outs[nouts++] = optarg;
			continue;
		}
		if (c != 0)
			return cli_usage_error(rc_->name, "invalid option");
		const char *name = longopts[idx].name;
		int r = kpi_session_option(&o, rc_->name, name, optarg);
		if (r < 0)
			return KEFU_EXIT_USAGE;
		if (r > 0)
			continue;
		if (!strcmp(name, "by")) {
			if (kefu_by_parse(optarg, &by))
				return cli_usage_error(rc_->name, "--by: expected agent, team, vendor, shop or all");
		} else if (!strcmp(name, "per")) {
			if (kefu_per_parse(optarg, &per))
				return cli_usage_error(rc_->name, "--per: expected day, week, month or range");
		} else if (!strcmp(name, "format")) {
			if (strcmp(optarg, "table") && strcmp(optarg, "csv") && strcmp(optarg, "json"))
				return cli_usage_error(rc_->name, "--format: expected table, csv or json");
			format = optarg;
		} else if (!strcmp(name, "zh")) {
			zh = 1;
		} else if (!strcmp(name, "excel")) {
			excel = 1;
		} else if (!strcmp(name, "wide")) {
			kpi_term_columns = NULL;
		} else if (!strcmp(name, "meta")) {
			kpi_csv_meta = 1;
		}
	}
	o.files = argv + optind;
	o.nfiles = argc - optind;
	if (!o.db && o.nfiles == 0)
		return cli_usage_error(rc_->name, "give input FILEs or --db DB");
	if (o.db && o.nfiles)
		return cli_usage_error(rc_->name, "use either --db or FILEs, not both");
	if (o.input_shop && !o.input_shop[0])
		return cli_usage_error(rc_->name, "--input-shop must not be empty");
	kpi_session s;
	int rc = input_opts_prepare(&o.in, rc_->name);
	if (rc) {
		input_opts_free(&o.in);
		return rc;
	}
	rc = kpi_session_run(&s, &o);
	if (rc) {
		kpi_session_free(&s);
		input_opts_free(&o.in);
		return rc;
	}
	s.ropts.by = by;
	s.ropts.per = per;
	kefu_table *t = NULL;
	kefu_err err = KEFU_ERR_INIT;
	if (rc_->build(&t, &s, &err) || kpi_session_meta(&s, t)) {
		cli_print_err(&err);
		kefu_table_free(t);
		kpi_session_free(&s);
		input_opts_free(&o.in);
		return KEFU_EXIT_FAIL;
	}
	kpi_out oo = KPI_OUT_INIT;
	oo.outs = outs;
	oo.nouts = nouts;
	oo.format = format;
	oo.zh = zh;
	oo.excel = excel;
	oo.s = &s;
	oo.from = o.from;
	oo.to = o.to;
	rc = kpi_write_outputs_ex(t, &oo);
	if (!rc && s.rejected) {
		fprintf(stderr, "kefu: %ld input rows rejected\n", s.rejected);
		rc = KEFU_EXIT_REJECTED;
	}
	kefu_table_free(t);
	kpi_session_free(&s);
	input_opts_free(&o.in);
	return rc;
}

static int build_kpi(kefu_table **t, const kpi_session *s, kefu_err *err)
{
	return kefu_report_kpi(t, s->ds, s->res, &s->ropts, err);
}

static int build_chats(kefu_table **t, const kpi_session *s, kefu_err *err)
{
	return kefu_report_chats(t, s->ds, s->res, &s->ropts, s->vs, err);
}

static const report_cmd kpi_cmd = {
	"kpi",
	"Computes the KPI rollup (咨询 接待 询单 响应 转化 销售 DSR ...) per shop, agent and day,\n"
	"then groups and derives rates from sums. With FILE... reads canonical CSV or JSON Lines\n"
	"directly (kind detected from the header); with --db reads the store.\n",
	build_kpi};

static const report_cmd chats_cmd = {
	"chats",
	"Lists every chat (shop, agent, buyer, business day) with its runs, response gaps,\n"
	"span, flags (咨询 接待 询单 售后 转化) and the orders credited to it, so any KPI can be\n"
	"traced to its rows. --by and --per are ignored.\n",
	build_chats};

static void usage(FILE *f, const report_cmd *rc_)
{
	fprintf(f, "Usage: kefu %s [--db DB | FILE...] [options]\n\n%s\n", rc_->name, rc_->summary);
	usage_options(f);
}

int cmd_kpi(int argc, char **argv) { return run_report(&kpi_cmd, argc, argv); }

int cmd_chats(int argc, char **argv) { return run_report(&chats_cmd, argc, argv); }
