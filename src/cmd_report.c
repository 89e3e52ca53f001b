/*
 * cmd_report.c - `kefu report`: the reports people read (docs/REPORTS.md)
 * over any `kefu kpi` selection: a self-contained HTML report, XLSX with
 * 汇总/均值 rows and the judge rule in the default file name, CSV for Excel,
 * and the taobao.weike.performance.put field set. Same options, loading and
 * engine as `kefu kpi` (kpi_session); the table defaults to --by agent
 * --per range.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "kefu/report.h"
#include "kpi_session.h"

static void usage(FILE *f)
{
	fputs("Usage: kefu report [--db DB | FILE...] [options]\n"
	      "\n"
	      "Writes the KPI report of a selection for people to read: one self-contained\n"
	      "HTML file (charts, sortable agent table, no network needed), XLSX with the\n"
	      "赤兔/生意参谋 column names and 汇总/均值 rows, CSV for Excel, or the\n"
	      "taobao.weike.performance.put field set per sub-account (--format weike-json).\n"
	      "Without -o, HTML and XLSX go to 客服绩效_<判定规则>_<from>至<to>.<ext> in the\n"
	      "current directory; -o DIR puts that name in DIR.\n"
	      "\n"
	      "Options:\n"
	      "      --db DB              read the SQLite store DB instead of files\n"
	      "      --from DATE          first business day (YYYY-MM-DD)\n"
	      "      --to DATE            last business day (inclusive)\n"
	      "      --shop S             only this shop (repeatable)\n"
	      "      --agent A            only this agent sub-account (repeatable)\n"
	      "      --by KEY             table rows: agent (default), team, vendor, shop or all\n"
	      "      --per P              table periods: range (default), day, week or month\n"
	      "      --judge-rule R       order, order_first (default) or payment\n"
	      "      --set KEY=VALUE      override a setting for this run (repeatable)\n"
	      "      --as-of TS           maturity reference time (default: latest timestamp)\n"
	      "      --format F           html (default), xlsx, csv, json, weike-json or table\n"
	      "  -o, --output PATH        write to PATH; extension picks the format (.html .xlsx\n"
	      "                           .csv .json .txt), a directory gets the default name,\n"
	      "                           - is stdout (repeatable)\n"
	      "      --title T            HTML heading (default 客服绩效报告)\n"
	      "      --zh                 CSV/JSON/table: Chinese labels, table-style numbers\n"
	      "      --excel              CSV with a UTF-8 BOM for Excel\n"
	      "      --meta               CSV: first lines '# key: value' with the settings used\n"
	      "      --input-shop S       shop of input files without a shop column\n"
	      "  -q, --quiet              do not list rejected input rows\n"
	      "  -h, --help               show this help\n"
	      "\nInput files that are not canonical CSV (docs/IMPORT.md):\n",
	      f);
	input_opts_help(f, "input-format");
	fputs("\nExit: 0 ok, 2 usage, 3 some input rows rejected (report still written), 4 I/O,\n"
	      "5 store.\n",
	      f);
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, 0, 0},     {"from", required_argument, 0, 0},
		{"to", required_argument, 0, 0},     {"shop", required_argument, 0, 0},
		{"agent", required_argument, 0, 0},  {"by", required_argument, 0, 0},
		{"per", required_argument, 0, 0},    {"judge-rule", required_argument, 0, 0},
		{"set", required_argument, 0, 0},    {"as-of", required_argument, 0, 0},
		{"format", required_argument, 0, 0}, {"output", required_argument, 0, 'o'},
		{"zh", no_argument, 0, 0},           {"excel", no_argument, 0, 0},
		{"meta", no_argument, 0, 0},         {"title", required_argument, 0, 0},
		{"quiet", no_argument, 0, 'q'},      {"help", no_argument, 0, 'h'},
		{"input-format", required_argument, 0, 0}, {"map", required_argument, 0, 0},
		{"time-format", required_argument, 0, 0},  {"encoding", required_argument, 0, 0},
		{"sheet", required_argument, 0, 0},
		{"presets", required_argument, 0, 0},      {"input-shop", required_argument, 0, 0},
		{0, 0, 0, 0}};
	kpi_session_opts o;
	memset(&o, 0, sizeof o);
	kpi_out oo = KPI_OUT_INIT;
	char *outs[16];
	oo.outs = outs;
	oo.format = "html";
	oo.default_file = 1;
	kefu_by by = KEFU_BY_AGENT;
	kefu_per per = KEFU_PER_RANGE;
	int c, idx;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return KEFU_EXIT_OK;
		}
		if (c == 'q') {
			o.quiet = 1;
			continue;
		}
		if (c == 'o') {
			if (oo.nouts >= 16)
				return cli_usage_error("report", "too many -o options");
			outs[oo.nouts++] = optarg;
			continue;
		}
		if (c != 0)
			return cli_usage_error("report", "invalid option");
		const char *name = longopts[idx].name;
		int r = kpi_session_option(&o, "report", name, optarg);
		if (r < 0)
			return KEFU_EXIT_USAGE;
		if (r > 0)
			continue;
		if (!strcmp(name, "by")) {
			if (kefu_by_parse(optarg, &by))
				return cli_usage_error("report", "--by: expected agent, team, vendor, shop or all");
		} else if (!strcmp(name, "per")) {
			if (kefu_per_parse(optarg, &per))
				return cli_usage_error("report", "--per: expected day, week, month or range");
		} else if (!strcmp(name, "format")) {
			if (!kpi_format_known(optarg))
				return cli_usage_error("report", "--format: expected html, xlsx, csv, json, "
								 "weike-json or table");
			oo.format = optarg;
		} else if (!strcmp(name, "zh")) {
			oo.zh = 1;
		} else if (!strcmp(name, "excel")) {
			oo.excel = 1;
		} else if (!strcmp(name, "meta")) {
			kpi_csv_meta = 1;
		} else if (!strcmp(name, "title")) {
			oo.title = optarg;
		}
	}
	o.files = argv + optind;
	o.nfiles = argc - optind;
	if (!o.db && o.nfiles == 0)
		return cli_usage_error("report", "give input FILEs or --db DB");
	if (o.db && o.nfiles)
		return cli_usage_error("report", "use either --db or FILEs, not both");
	if (o.input_shop && !o.input_shop[0])
		return cli_usage_error("report", "--input-shop must not be empty");
	if (!strcmp(oo.format, "weike-json") && by != KEFU_BY_AGENT)
		return cli_usage_error("report", "--format weike-json is per sub-account: use --by agent");
	kpi_session s;
	int rc = input_opts_prepare(&o.in, "report");
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
	if (kefu_report_kpi(&t, s.ds, s.res, &s.ropts, &err) || kpi_session_meta(&s, t)) {
		cli_print_err(&err);
		kefu_table_free(t);
		kpi_session_free(&s);
		input_opts_free(&o.in);
		return KEFU_EXIT_FAIL;
	}
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
