/*
 * main.c - the kefu command dispatcher: `kefu <command> [options]`.
 * Adding a command means adding a row to the table below.
 */
#include "commands.h"

#include <malloc.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#ifndef KEFU_VERSION
#define KEFU_VERSION "0.0.0"
#endif
#ifndef KEFU_GIT_DESCRIBE
#define KEFU_GIT_DESCRIBE "unknown"
#endif

static const kefu_command commands[] = {
	/* KEFU_COMMAND_TABLE: one row per command */
	{"import", cmd_import, "import chats, orders, ratings, evals, roster into the store"},
	{"export", cmd_export, "export stored rows as canonical CSV"},
	{"push", cmd_push, "copy the store into PostgreSQL, where many stores meet"},
	{"pull", cmd_pull, "import shops pushed to PostgreSQL into a local store"},
	{"settings", cmd_settings, "show or set per-shop settings (versioned)"},
	{"kpi", cmd_kpi, "compute the KPI rollup from files or the store"},
	{"report", cmd_report, "KPI report as self-contained HTML, XLSX, CSV or weike JSON"},
	{"chats", cmd_chats, "one row per chat with its quantities and credited orders"},
	{"gen", cmd_gen, "generate deterministic synthetic demo/benchmark data"},
	{"qa", cmd_qa, "quality inspection (客服质检): rules, chat scores, hits, review sample"},
	{"serve", cmd_serve, "serve the dashboard and JSON API with logins and tenancy"},
	{"user", cmd_user, "add, change, delete or list dashboard users"},
	{"demo", cmd_demo, "generate demo data, import it and print a weekly KPI report"},
	{"staff", cmd_staff, "staffing: Erlang, volume forecast and least-cost shift plans"},
	{"contract", cmd_contract, "check, add, list or show outsourcing contracts"},
	{"bill", cmd_bill, "invoices of a contract's billing periods from the verified KPIs"},
	{"ledger", cmd_ledger, "balances and journal of the double-entry ledger"},
	{"pay", cmd_pay, "record a merchant's payment (receivable, prepaid balance)"},
	{"payroll", cmd_payroll, "agents' pay for a month from the roster's pay plans"},
	{"margin", cmd_margin, "invoiced minus allocated payroll per contract and month"},
	{"vendor", cmd_vendor, "outsourcing providers: records, scorecards, rank, side-by-side KPIs"},
	{"review", cmd_review, "renewal review of a contract: SLA months, invoices, side by side, verdict"},
	{NULL, NULL, NULL},
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: kefu <command> [options]\n\n"
		     "kefu computes customer-service KPIs (询单转化率, 响应时间, DSR, 咨询量, 客单价)\n"
		     "from raw chat logs, orders and ratings, by one published definition.\n\n"
		     "Commands:\n");
	for (const kefu_command *c = commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\nGlobal options:\n"
		     "  -h, --help     show this help\n"
		     "  -V, --version  show version and build features\n\n"
		     "Run 'kefu <command> --help' for a command's options.\n"
		     "Exit codes: 0 ok, 1 failure, 2 usage or config error, 3 input rows rejected,\n"
		     "4 output or I/O error, 5 storage error, 130 interrupted.\n");
}

int main(int argc, char **argv)
{
	/* A fixed mmap threshold keeps big columns in their own mappings, so
	 * growing them is an mremap, not a copy (glibc otherwise raises the
	 * threshold after the first free and serves 32 MB arrays from the heap). */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	/* SQLite's memory statistics take a global mutex on every allocation
	 * (several per inserted row); kefu never reads them. Before any other
	 * SQLite call, or it is refused. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (argc < 2) {
		usage(stderr);
		return KEFU_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
		usage(stdout);
		return KEFU_EXIT_OK;
	}
	if (!strcmp(name, "-V") || !strcmp(name, "--version")) {
		printf("kefu %s (%s)\nfeatures: sqlite jansson xlsx gb18030 threads\n", KEFU_VERSION,
		       KEFU_GIT_DESCRIBE);
		return KEFU_EXIT_OK;
	}
	for (const kefu_command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "kefu: '%s' is not a kefu command. See 'kefu --help'.\n", name);
	return KEFU_EXIT_USAGE;
}
