/*
 * cmd_demo.c - `kefu demo`: generates (or reuses) the built-in demo data,
 * imports it into a demo store, and prints the KPI report of its last full
 * ISO week (Monday to Sunday). Built from the other commands, so the demo
 * exercises exactly what users run.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_util.h"
#include "commands.h"
#include "kpi_session.h"

static void usage(FILE *f)
{
	fputs("Usage: kefu demo [--dir DIR] [--messages N] [--zh]\n"
	      "\n"
	      "Generates deterministic demo data (several shops, outsourced and in-house agents,\n"
	      "a month of chats, orders, ratings and evals) into DIR, imports it into DIR/demo.db\n"
	      "and prints the per-agent KPI report of the last full week.\n"
	      "\n"
	      "Options:\n"
	      "      --dir DIR       where to put the demo files (default $XDG_DATA_HOME/kefu/demo)\n"
	      "      --messages N    size of the demo (default 100000 messages)\n"
	      "      --zh            Chinese column labels\n"
	      "  -h, --help          show this help\n",
	      f);
}

static int mkdirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option longopts[] = {{"dir", required_argument, 0, 'd'},
						 {"messages", required_argument, 0, 'n'},
						 {"zh", no_argument, 0, 'z'},
						 {"help", no_argument, 0, 'h'},
						 {0, 0, 0, 0}};
	char dir[3072] = "";
	const char *messages = "100000";
	int zh = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': snprintf(dir, sizeof dir, "%s", optarg); break;
		case 'n': messages = optarg; break;
		case 'z': zh = 1; break;
		case 'h': usage(stdout); return KEFU_EXIT_OK;
		default: return cli_usage_error("demo", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
	if (!dir[0]) {
		const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
		if (xdg && xdg[0])
			snprintf(dir, sizeof dir, "%s/kefu/demo", xdg);
		else
			snprintf(dir, sizeof dir, "%s/.local/share/kefu/demo", home ? home : ".");
	}
	if (mkdirs(dir) != 0) {
		cli_errorf("%s: cannot create directory: %s", dir, strerror(errno));
		return KEFU_EXIT_IO;
	}
	char db[4096], f[5][4096];
	snprintf(db, sizeof db, "%s/demo.db", dir);
	static const char *names[] = {"agents.csv", "messages.csv", "orders.csv", "ratings.csv",
				      "evals.csv"};
	for (int i = 0; i < 5; i++)
		snprintf(f[i], sizeof f[i], "%s/%s", dir, names[i]);

	fprintf(stderr, "kefu demo: generating %s demo messages into %s\n", messages, dir);
	char *gen_argv[] = {"gen", "--out", dir, "--messages", (char *)messages, "--seed", "2023",
			    NULL};
	int rc = cmd_gen(7, gen_argv);
	if (rc)
		return rc;
	fprintf(stderr, "kefu demo: importing into %s\n", db);
	char *imp_argv[] = {"import", "--db", db, f[0], f[1], f[2], f[3], f[4], NULL};
	rc = cmd_import(8, imp_argv);
	if (rc)
		return rc;

	kpi_session_opts o;
	memset(&o, 0, sizeof o);
	o.db = db;
	kpi_session s;
	rc = kpi_session_run(&s, &o);
	if (rc) {
		kpi_session_free(&s);
		return rc;
	}
	int64_t max_day = INT64_MIN;
	for (size_t i = 0; i < s.res->n_rows; i++)
		if (s.res->rows[i].day > max_day)
			max_day = s.res->rows[i].day;
	if (max_day == INT64_MIN) {
		cli_errorf("the demo data produced no rows");
		kpi_session_free(&s);
		return KEFU_EXIT_FAIL;
	}
	/* last full week: the last Sunday that is not after the last day */
	int64_t sunday = max_day - (kefu_weekday(max_day) % 7);
	s.ropts.from_day = sunday - 6;
	s.ropts.to_day = sunday;
	s.ropts.by = KEFU_BY_AGENT;
	s.ropts.per = KEFU_PER_RANGE;
	kefu_table *t = NULL;
	kefu_err err = KEFU_ERR_INIT;
	char from[16], to[16];
	kefu_day_format(sunday - 6, from);
	kefu_day_format(sunday, to);
	if (kefu_report_kpi(&t, s.ds, s.res, &s.ropts, &err) || kpi_session_meta(&s, t)) {
		cli_print_err(&err);
		kefu_table_free(t);
		kpi_session_free(&s);
		return KEFU_EXIT_FAIL;
	}
	free(t->title);
	char title[128];
	snprintf(title, sizeof title, "kefu demo: KPI per agent, week %s to %s", from, to);
	t->title = strdup(title);
	rc = kpi_write_outputs(t, NULL, 0, "table", zh, 0);
	kefu_table_free(t);
	kpi_session_free(&s);
	if (rc)
		return rc;
	printf("\nNext steps:\n"
	       "  kefu kpi --db %s --by shop --per week        weekly shop totals with reconciliation\n"
	       "  kefu kpi --db %s --from %s --to %s --format csv -o week.csv\n"
	       "  kefu chats --db %s --from %s --to %s --agent <name>   trace a number to its chats\n"
	       "  kefu report --db %s --from %s --to %s -o report.html -o report.xlsx\n"
	       "                                                one HTML file with charts, and XLSX\n",
	       db, db, from, to, db, from, to, db, from, to);
	return KEFU_EXIT_OK;
}
