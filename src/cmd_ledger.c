/*
 * cmd_ledger.c - the money side after billing: `kefu ledger` (balances or
 * journal, and the debits = credits check), `kefu pay` (a payment against
 * a contract's receivable, the rest kept as its prepaid balance),
 * `kefu payroll --period` (agents' pay from the roster's pay plans) and
 * `kefu margin --period` (invoiced minus allocated payroll per contract).
 */
#include "bill_session.h"
#include "cli_util.h"
#include "commands.h"
#include "kpi_session.h"
#include "kefu/billing.h"
#include "kefu/ledger.h"
#include "kefu/record.h"
#include "kefu/tz.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct money_opts {
	const char *db, *format, *period, *contract, *invoice, *amount, *day, *id;
	int journal, post, zh;
	char *outs[16];
	int nouts;
} money_opts;

enum {
	O_DB = 1000,
	O_FORMAT,
	O_PERIOD,
	O_CONTRACT,
	O_INVOICE,
	O_AMOUNT,
	O_DAY,
	O_ID,
	O_JOURNAL,
	O_POST,
	O_ZH
};

static const struct option longopts[] = {
	{"db", required_argument, NULL, O_DB},
	{"format", required_argument, NULL, O_FORMAT},
	{"period", required_argument, NULL, O_PERIOD},
	{"contract", required_argument, NULL, O_CONTRACT},
	{"invoice", required_argument, NULL, O_INVOICE},
	{"amount", required_argument, NULL, O_AMOUNT},
	{"day", required_argument, NULL, O_DAY},
	{"id", required_argument, NULL, O_ID},
	{"journal", no_argument, NULL, O_JOURNAL},
	{"post", no_argument, NULL, O_POST},
	{"zh", no_argument, NULL, O_ZH},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static const char common_help[] =
	"      --db PATH          the store (default $KEFU_DB, else $XDG_DATA_HOME/kefu/kefu.db)\n"
	"      --format FMT       table (default), json or csv\n"
	"  -o FILE                write to FILE (.txt .csv .json; may repeat)\n"
	"      --zh               Chinese column labels\n"
	"  -h, --help             show this help\n\n"
	"Exit status: 0 ok, 1 failure (ledger: unbalanced), 2 usage, 4 output error,\n"
	"5 store error.\n";

static void help(FILE *out, const char *cmd)
{
	if (!strcmp(cmd, "ledger"))
		fprintf(out, "Usage: kefu ledger [--db PATH] [--journal] [options]\n\n"
			     "Balances per account of the double-entry ledger (or every posting with\n"
			     "--journal) and the check that debits equal credits.\n\n"
			     "Options:\n"
			     "      --journal          every transfer's postings instead of balances\n");
	else if (!strcmp(cmd, "pay"))
		fprintf(out,
			"Usage: kefu pay [--db PATH] --contract ID [--invoice ID] --amount YUAN\n"
			"                --day YYYY-MM-DD [--id REF]\n\n"
			"Records a payment received from the merchant: it settles the contract's\n"
			"receivable and the rest is kept as the contract's prepaid balance, used by\n"
			"the next invoices. --id (e.g. the bank reference) makes re-running harmless;\n"
			"default: the invoice (or contract), day and amount.\n\n"
			"Options:\n");
	else if (!strcmp(cmd, "payroll"))
		fprintf(out, "Usage: kefu payroll [--db PATH] --period YYYY-MM [--post] [options]\n\n"
			     "Each roster agent's pay for the month: base_month prorated by the days\n"
			     "between the roster's from and to, plus commission_rate x the agent's\n"
			     "credited sales of the month. --post books it in the ledger (once).\n\n"
			     "Options:\n");
	else
		fprintf(out, "Usage: kefu margin [--db PATH] --period YYYY-MM [options]\n\n"
			     "Per contract: invoiced total of the month's current invoices minus the\n"
			     "payroll allocated by each agent's share of received chats on the\n"
			     "contract's shops (the provider's view).\n\n"
			     "Options:\n");
	fputs(common_help, out);
}

static int parse(int argc, char **argv, money_opts *o, int *done)
{
	const char *cmd = argv[0];
	int opt;
	memset(o, 0, sizeof *o);
	o->format = "table";
	*done = 0;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (opt) {
		case O_DB: o->db = optarg; break;
		case O_FORMAT: o->format = optarg; break;
		case O_PERIOD: o->period = optarg; break;
		case O_CONTRACT: o->contract = optarg; break;
		case O_INVOICE: o->invoice = optarg; break;
		case O_AMOUNT: o->amount = optarg; break;
		case O_DAY: o->day = optarg; break;
		case O_ID: o->id = optarg; break;
		case O_JOURNAL: o->journal = 1; break;
		case O_POST: o->post = 1; break;
		case O_ZH: o->zh = 1; break;
		case 'o':
			if (o->nouts >= 16)
				return cli_usage_error(cmd, "too many -o options");
			o->outs[o->nouts++] = optarg;
			break;
		case 'h': help(stdout, cmd); *done = 1; return 0;
		case ':': return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (strcmp(o->format, "table") && strcmp(o->format, "json") && strcmp(o->format, "csv"))
		return cli_usage_error(cmd, "--format: expected table, json or csv");
	return 0;
}

static int output(kefu_table *t, const money_opts *o)
{
	kpi_term_columns = NULL;
	return kpi_write_outputs(t, (char **)o->outs, o->nouts, o->format, o->zh, 0);
}

int cmd_ledger(int argc, char **argv)
{
	money_opts o;
	int done, ret = parse(argc, argv, &o, &done);
	if (ret || done)
		return ret;
	bill_session s;
	if ((ret = bill_session_open(&s, o.db, "ledger"))) {
		bill_session_close(&s);
		return ret;
	}
	kefu_err err = KEFU_ERR_INIT;
	kefu_table *t = NULL;
	int64_t deb = 0, cred = 0, n = 0;
	if ((o.journal ? kefu_ledger_journal_table(s.st, &t, &err)
		       : kefu_ledger_balances_table(s.st, &t, &err)) ||
	    kefu_ledger_totals(s.st, &deb, &cred, &n, &err)) {
		cli_print_err(&err);
		ret = KEFU_EXIT_STORE;
	} else {
		char buf[160];
		snprintf(buf, sizeof buf, "%lld transfers, debits %lld fen, credits %lld fen: %s",
			 (long long)n, (long long)deb, (long long)cred,
			 deb == cred ? "balanced" : "NOT BALANCED");
		kefu_table_add_meta(t, "check", buf);
		ret = output(t, &o);
		fprintf(stderr, "kefu: ledger: %s\n", buf);
		if (!ret && deb != cred)
			ret = KEFU_EXIT_FAIL;
	}
	kefu_table_free(t);
	bill_session_close(&s);
	return ret;
}

int cmd_pay(int argc, char **argv)
{
	money_opts o;
	int done, ret = parse(argc, argv, &o, &done);
	if (ret || done)
		return ret;
	if (!o.contract || !o.amount || !o.day)
		return cli_usage_error("pay", "--contract, --amount and --day are required");
	int64_t fen, day;
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_money_parse(o.amount, strlen(o.amount), &fen, &err) || fen <= 0)
		return cli_usage_error("pay", "--amount: expected yuan above 0 such as 1234.56, got "
					      "'%s'",
				       o.amount);
	if (kefu_day_parse(o.day, strlen(o.day), &day))
		return cli_usage_error("pay", "--day: expected YYYY-MM-DD, got '%s'", o.day);
	char id[160];
	if (o.id) {
		if (strlen(o.id) > 120)
			return cli_usage_error("pay", "--id: at most 120 bytes");
		snprintf(id, sizeof id, "%s", o.id);
	} else {
		snprintf(id, sizeof id, "%.80s@%s#%lld", o.invoice ? o.invoice : o.contract, o.day,
			 (long long)fen);
	}
	bill_session s;
	if ((ret = bill_session_open(&s, o.db, "pay"))) {
		bill_session_close(&s);
		return ret;
	}
	kefu_contract *c = NULL;
	int added = 0;
	if (kefu_contract_store_get(s.st, o.contract, &c, &err) ||
	    kefu_billing_pay(s.st, id, o.contract, o.invoice, day, fen, &added, &err)) {
		cli_print_err(&err);
		ret = err.code == KEFU_ESTORE ? KEFU_EXIT_STORE : KEFU_EXIT_FAIL;
	} else {
		char r[96], p[96];
		int64_t rb = 0, pb = 0;
		snprintf(r, sizeof r, "receivable:%s", o.contract);
		snprintf(p, sizeof p, "prepaid:%s", o.contract);
		kefu_ledger_balance(s.st, r, &rb, &err);
		kefu_ledger_balance(s.st, p, &pb, &err);
		char a[48], b[48];
		kefu_decimal_format(rb, 1, -2, 2, 0, a);
		kefu_decimal_format(-pb, 1, -2, 2, 0, b);
		printf("payment %s: %s; contract %s owes %s, prepaid balance %s\n", id,
		       added ? "recorded" : "already recorded", o.contract, a, b);
	}
	kefu_contract_free(c);
	bill_session_close(&s);
	return ret;
}

static int payroll_common(money_opts *o, const char *cmd, bill_session *s, int *y, int *m,
			  kefu_billing_data *d, kefu_pay_line **pay, size_t *npay)
{
	kefu_err err = KEFU_ERR_INIT;
	int ret;
	if (!o->period || kefu_month_parse(o->period, y, m))
		return cli_usage_error(cmd, "--period YYYY-MM is required");
	if ((ret = bill_session_open(s, o->db, cmd)) || (ret = bill_session_kpi(s, -1, d)))
		return ret;
	if (kefu_payroll_compute(pay, npay, d->ds, d->res, *y, *m, &err)) {
		cli_print_err(&err);
		return KEFU_EXIT_FAIL;
	}
	return 0;
}

int cmd_payroll(int argc, char **argv)
{
	money_opts o;
	int done, ret = parse(argc, argv, &o, &done), y, m;
	if (ret || done)
		return ret;
	bill_session s;
	memset(&s, 0, sizeof s);
	kefu_billing_data d;
	kefu_pay_line *pay = NULL;
	size_t npay = 0;
	kefu_table *t = NULL;
	kefu_err err = KEFU_ERR_INIT;
	if ((ret = payroll_common(&o, "payroll", &s, &y, &m, &d, &pay, &npay)))
		goto out;
	if (kefu_payroll_table(&t, d.ds, pay, npay, &err)) {
		cli_print_err(&err);
		ret = KEFU_EXIT_FAIL;
		goto out;
	}
	if (o.post) {
		long added = 0;
		if (kefu_payroll_post(s.st, d.ds, pay, npay, y, m, &added, &err)) {
			cli_print_err(&err);
			ret = cli_exit_for(err.code);
			goto out;
		}
		fprintf(stderr, "kefu: payroll: %ld ledger transfer%s posted\n", added,
			added == 1 ? "" : "s");
	}
	ret = output(t, &o);
out:
	kefu_table_free(t);
	kefu_free(pay);
	bill_session_close(&s);
	return ret;
}

int cmd_margin(int argc, char **argv)
{
	money_opts o;
	int done, ret = parse(argc, argv, &o, &done), y, m;
	if (ret || done)
		return ret;
	bill_session s;
	memset(&s, 0, sizeof s);
	kefu_billing_data d;
	kefu_pay_line *pay = NULL;
	size_t npay = 0, nids = 0, ncs = 0;
	kefu_table *t = NULL;
	kefu_err err = KEFU_ERR_INIT;
	char **ids = NULL;
	kefu_contract **cs = NULL;
	if ((ret = payroll_common(&o, "margin", &s, &y, &m, &d, &pay, &npay)))
		goto out;
	if (kefu_contract_store_ids(s.st, &ids, &nids, &err)) {
		cli_print_err(&err);
		ret = KEFU_EXIT_STORE;
		goto out;
	}
	cs = calloc(nids + 1, sizeof *cs);
	for (size_t i = 0; cs && i < nids; i++) {
		kefu_period p;
		kefu_contract *c = NULL;
		if (kefu_contract_store_get(s.st, ids[i], &c, &err)) {
			cli_print_err(&err);
			ret = KEFU_EXIT_STORE;
			goto out;
		}
		if (kefu_billing_period(&p, c, y, m) == 0)
			cs[ncs++] = c;
		else
			kefu_contract_free(c);
	}
	if (!cs ||
	    kefu_margin_table(&t, s.st, (const kefu_contract *const *)cs, ncs, d.ds, d.res, pay, npay,
			      y, m, &err)) {
		cli_print_err(&err);
		ret = KEFU_EXIT_FAIL;
		goto out;
	}
	ret = output(t, &o);
out:
	kefu_table_free(t);
	for (size_t i = 0; i < ncs; i++)
		kefu_contract_free(cs[i]);
	free(cs);
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	kefu_free(pay);
	bill_session_close(&s);
	return ret;
}
