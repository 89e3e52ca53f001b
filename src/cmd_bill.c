/*
 * cmd_bill.c - `kefu bill`: a contract's invoices for one billing period
 * (settlement.md), or every due period of every stored contract with
 * --all --through. Invoices are recorded in the store with their ledger
 * transfers; running again records nothing new, and a run after the data
 * changed issues one credit note and one replacement invoice.
 */
#include "bill_session.h"
#include "cli_util.h"
#include "commands.h"
#include "kpi_session.h"
#include "kefu/billing.h"
#include "kefu/ledger.h"
#include "kefu/tz.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void help(FILE *out)
{
	fprintf(out,
		"Usage: kefu bill [--db PATH] --contract ID --period YYYY-MM [options]\n"
		"       kefu bill [--db PATH] --all --through YYYY-MM-DD [--today YYYY-MM-DD]\n"
		"       kefu bill [--db PATH] --list [--contract ID]\n\n"
		"Computes a contract's invoices for a billing period from the KPIs of the\n"
		"stored data (docs/BILLING.md): base or fixed fee prorated, commission tiers\n"
		"on credited sales inside coverage, event seats, SLA penalties and bonuses with\n"
		"the KPI values used; records them with their ledger transfers. Billing again\n"
		"records nothing; after the data changed, a credit note and a new revision.\n\n"
		"Options:\n"
		"      --db PATH          the store (default $KEFU_DB, else $XDG_DATA_HOME/kefu/kefu.db)\n"
		"      --contract ID      the contract\n"
		"      --period YYYY-MM   the billing period (calendar month clipped to the term)\n"
		"      --all              every contract, every period due by --through\n"
		"      --through DATE     --all: bill the invoices whose issue date is <= DATE\n"
		"      --today DATE       issue date of corrections (default: today, Asia/Shanghai)\n"
		"      --dry-run          compute and print, record nothing\n"
		"      --chats            print the vendor's chats of the period with whether each\n"
		"                         was inside the coverage windows (used) or not\n"
		"      --list             invoices and credit notes in the store\n"
		"      --invoice ID       show (and write the statement of) only this invoice of\n"
		"                         the period, e.g. the prepay fixed one\n"
		"      --format FMT       table (default), json, csv or html (the statement 对账单)\n"
		"  -o FILE                write to FILE; the extension picks the format: .txt .csv\n"
		"                         .json .html .xlsx (may repeat)\n"
		"      --zh               Chinese column labels\n"
		"  -h, --help             show this help\n\n"
		"Exit status: 0 ok, 1 failure, 2 usage or invalid contract, 4 output error,\n"
		"5 store error.\n");
}

static const char *ext_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	return dot && (!slash || dot > slash) ? dot + 1 : "";
}

/* Statement to a file, written to a temporary name and renamed. */
static int write_statement(const char *path, int xlsx, const kefu_contract *c,
			   const kefu_invoice *v, size_t n, const kefu_period_kpi *k)
{
	kefu_err err = KEFU_ERR_INIT;
	int rc;
	if (!strcmp(path, "-") && !xlsx)
		rc = kefu_statement_html(stdout, c, v, n, k, &err);
	else {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
		if (xlsx) {
			rc = kefu_statement_xlsx(tmp, c, v, n, k, &err);
		} else {
			FILE *f = fopen(tmp, "wb");
			if (!f) {
				cli_errorf("%s: cannot create: %m", path);
				return KEFU_EXIT_IO;
			}
			rc = kefu_statement_html(f, c, v, n, k, &err);
			if (fclose(f) && !rc)
				rc = kefu_err_set(&err, KEFU_EIO, "write error");
		}
		if (!rc && rename(tmp, path))
			rc = kefu_err_set(&err, KEFU_EIO, "%s: cannot rename: %m", path);
		if (rc)
			unlink(tmp);
	}
	if (rc) {
		cli_print_err(&err);
		return KEFU_EXIT_IO;
	}
	return 0;
}

static int write_table(kefu_table *t, char **outs, int nouts, const char *format, int zh)
{
	kpi_term_columns = NULL;
	return kpi_write_outputs(t, outs, nouts, format, zh, 0);
}

/* A numeric cell (table cells start empty). */
static void cell_num(kefu_cell *c, int64_t v)
{
	c->empty = 0;
	c->num = v;
	c->den = 1;
}

/* The vendor's chats of the period and whether each was used. */
static int chats_table(kefu_table **out, const kefu_billing_data *d, const uint8_t *cls)
{
	static const char *const names[] = {"shop", "agent", "buyer", "day", "first_buyer_ts",
					    "received", "inquiry", "converted", "first_resp_s",
					    "in_coverage"};
	static const char *const zh[] = {"店铺", "客服", "买家", "日期", "首条买家消息",
					 "接待", "询单", "转化", "首次响应", "覆盖时段内"};
	static const kefu_coltype types[] = {KEFU_T_TEXT, KEFU_T_TEXT, KEFU_T_TEXT, KEFU_T_TEXT,
					     KEFU_T_TEXT, KEFU_T_FLAG, KEFU_T_FLAG, KEFU_T_FLAG,
					     KEFU_T_INT,  KEFU_T_FLAG};
	kefu_table *t = NULL;
	if (kefu_table_new(&t, "coverage chats"))
		return -1;
	for (int i = 0; i < 10; i++)
		if (kefu_table_add_col(t, names[i], zh[i], types[i]))
			goto fail;
	for (size_t i = 0; i < d->res->n_chats; i++) {
		if (cls[i] == KEFU_CHAT_OTHER)
			continue;
		const kefu_chat *ch = &d->res->chats[i];
		kefu_cell *r;
		char day[16], ts[32] = "";
		if (kefu_table_add_row(t, &r))
			goto fail;
		kefu_str s = kefu_dict_get(d->ds->shops, ch->shop);
		kefu_str a = kefu_dict_get(d->ds->agents, ch->agent);
		kefu_str b = kefu_dict_get(d->ds->buyers, ch->buyer);
		kefu_day_format(ch->day, day);
		if (ch->f != KEFU_TS_NONE) {
			const kefu_settings *st = kefu_settings_at(&d->vs[ch->shop], ch->day);
			kefu_ts_format(st->tz, ch->f, ts);
		}
		if (kefu_cell_set_text(&r[0], s.p, s.n) || kefu_cell_set_text(&r[1], a.p, a.n) ||
		    kefu_cell_set_text(&r[2], b.p, b.n) ||
		    kefu_cell_set_text(&r[3], day, strlen(day)) ||
		    kefu_cell_set_text(&r[4], ts, strlen(ts)))
			goto fail;
		cell_num(&r[5], ch->received);
		cell_num(&r[6], ch->inquiry);
		cell_num(&r[7], ch->converted);
		cell_num(&r[8], ch->first_resp_s);
		r[8].empty = ch->first_resp_s < 0;
		cell_num(&r[9], cls[i] == KEFU_CHAT_COVERED);
	}
	*out = t;
	return 0;
fail:
	kefu_table_free(t);
	return -1;
}

/* Kinds whose natural issue day is <= through. */
static unsigned due_kinds(const kefu_contract *c, const kefu_period *p, int64_t through)
{
	if (!c->prepay)
		return p->last_day + 1 <= through ? 1u << KEFU_INV_POSTPAY : 0;
	unsigned m = 0;
	if (p->first_day <= through)
		m |= 1u << KEFU_INV_PREPAY_FIXED;
	if (p->last_day + 1 <= through)
		m |= 1u << KEFU_INV_PREPAY_VAR;
	return m;
}

static void print_stats(const kefu_record_stats *rs, int dry)
{
	if (dry) {
		fprintf(stderr, "kefu: bill: dry run, nothing recorded\n");
		return;
	}
	fprintf(stderr,
		"kefu: bill: %ld invoice%s issued, %ld credit note%s, %ld ledger transfer%s, %ld "
		"unchanged\n",
		rs->invoices_added, rs->invoices_added == 1 ? "" : "s", rs->credit_notes_added,
		rs->credit_notes_added == 1 ? "" : "s", rs->transfers_added,
		rs->transfers_added == 1 ? "" : "s", rs->unchanged);
}

typedef struct bill_opts {
	const char *db, *contract, *period, *through, *today, *format, *invoice;
	int all, dry, chats, list, zh;
	char *outs[16];
	int nouts;
} bill_opts;

static int bill_one(bill_session *s, const bill_opts *o, int64_t today)
{
	kefu_err err = KEFU_ERR_INIT;
	kefu_contract *c = NULL;
	kefu_invoice *inv = NULL;
	size_t n = 0;
	uint8_t *cls = NULL;
	kefu_table *t = NULL;
	int ret = KEFU_EXIT_OK, y, m;
	if (kefu_month_parse(o->period, &y, &m))
		return cli_usage_error("bill", "--period: expected YYYY-MM, got '%s'", o->period);
	if (kefu_contract_store_get(s->st, o->contract, &c, &err)) {
		cli_print_err(&err);
		return err.code == KEFU_ENOTFOUND ? KEFU_EXIT_FAIL : KEFU_EXIT_STORE;
	}
	kefu_period p;
	if (kefu_billing_period(&p, c, y, m)) {
		cli_errorf("contract %s has no billing period in %s (term from its start to its end)",
			   c->id, o->period);
		kefu_contract_free(c);
		return KEFU_EXIT_FAIL;
	}
	kefu_billing_data d;
	if ((ret = bill_session_kpi(s, c->judge_rule, &d)))
		goto out;
	cls = calloc(d.res->n_chats + 1, 1);
	kefu_period_kpi k;
	if (!cls || kefu_billing_collect(&k, cls, c, &p, &d, &err) ||
	    kefu_billing_compute(&inv, &n, c, &p, &k, &err)) {
		cli_print_err(&err);
		ret = KEFU_EXIT_FAIL;
		goto out;
	}
	if (!o->dry) {
		/* an invoice is recorded from its issue date on; before that it is a
		 * preview (a postpay month is not invoiced while it runs) */
		kefu_record_stats rs = {0};
		unsigned due = due_kinds(c, &p, today);
		if (kefu_billing_record(s->st, c, &p, inv, n, due, today, &rs, &err)) {
			cli_print_err(&err);
			ret = cli_exit_for(err.code);
			goto out;
		}
		print_stats(&rs, 0);
		for (size_t i = 0; i < n; i++)
			if (!(due & (1u << inv[i].kind))) {
				char d[16];
				kefu_day_format(inv[i].issue_day, d);
				fprintf(stderr,
					"kefu: bill: %s is not due before %s: shown as a preview, not "
					"recorded\n",
					inv[i].id, d);
			}
	} else {
		print_stats(NULL, 1);
	}
	if (o->invoice) { /* one invoice of the period: its own statement */
		size_t k2 = 0;
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(inv[i].id, o->invoice)) {
				kefu_invoice tmp = inv[k2];
				inv[k2] = inv[i];
				inv[i] = tmp;
				k2 = 1;
				break;
			}
		}
		if (!k2) {
			cli_errorf("%s is not a current invoice of contract %s for %s", o->invoice, c->id,
				   o->period);
			ret = KEFU_EXIT_FAIL;
			goto out;
		}
		for (size_t i = 1; i < n; i++)
			kefu_free(inv[i].lines);
		n = 1;
	}
	if (o->chats) {
		if (chats_table(&t, &d, cls)) {
			cli_errorf("out of memory");
			ret = KEFU_EXIT_FAIL;
			goto out;
		}
		char buf[128];
		snprintf(buf, sizeof buf, "%ld of %ld", k.chats_covered, k.chats);
		kefu_table_add_meta(t, "chats inside coverage", buf);
		ret = write_table(t, (char **)o->outs, o->nouts, o->format, o->zh);
		goto out;
	}
	if (kefu_invoice_table(&t, c, inv, n, &err)) {
		cli_print_err(&err);
		ret = KEFU_EXIT_FAIL;
		goto out;
	}
	if (c->mode == KEFU_MODE_PARTIAL) {
		char buf[128];
		snprintf(buf, sizeof buf, "%ld of %ld (kefu bill --chats lists them)", k.chats_covered,
			 k.chats);
		kefu_table_add_meta(t, "chats inside coverage", buf);
	}
	if (o->nouts == 0 && !strcmp(o->format, "html")) {
		ret = write_statement("-", 0, c, inv, n, &k);
		goto out;
	}
	char *rest[16];
	int nrest = 0;
	for (int i = 0; i < o->nouts; i++) {
		const char *e = ext_of(o->outs[i]);
		if (!strcmp(e, "html") || !strcmp(e, "xlsx")) {
			if ((ret = write_statement(o->outs[i], !strcmp(e, "xlsx"), c, inv, n, &k)))
				goto out;
		} else {
			rest[nrest++] = o->outs[i];
		}
	}
	if (nrest || o->nouts == 0)
		ret = write_table(t, rest, nrest, o->format, o->zh);
out:
	kefu_table_free(t);
	free(cls);
	kefu_invoices_free(inv, n);
	kefu_contract_free(c);
	return ret;
}

static int bill_all(bill_session *s, const bill_opts *o, int64_t today)
{
	kefu_err err = KEFU_ERR_INIT;
	int64_t through;
	char **ids = NULL;
	size_t nids = 0;
	int ret = KEFU_EXIT_OK;
	kefu_record_stats rs = {0};
	long periods = 0;
	if (kefu_day_parse(o->through, strlen(o->through), &through))
		return cli_usage_error("bill", "--through: expected YYYY-MM-DD, got '%s'", o->through);
	if (kefu_contract_store_ids(s->st, &ids, &nids, &err)) {
		cli_print_err(&err);
		return KEFU_EXIT_STORE;
	}
	for (size_t i = 0; i < nids && !ret; i++) {
		kefu_contract *c = NULL;
		kefu_period *ps = NULL;
		size_t np = 0;
		kefu_billing_data d;
		if (kefu_contract_store_get(s->st, ids[i], &c, &err) ||
		    kefu_billing_periods(&ps, &np, c, through, &err)) {
			cli_print_err(&err);
			ret = KEFU_EXIT_FAIL;
		} else if (np && (ret = bill_session_kpi(s, c->judge_rule, &d)) == 0) {
			for (size_t j = 0; j < np && !ret; j++) {
				unsigned due = due_kinds(c, &ps[j], through);
				kefu_period_kpi k;
				kefu_invoice *inv = NULL;
				size_t n = 0;
				if (!due)
					continue;
				periods++;
				if (kefu_billing_collect(&k, NULL, c, &ps[j], &d, &err) ||
				    kefu_billing_compute(&inv, &n, c, &ps[j], &k, &err) ||
				    (!o->dry && kefu_billing_record(s->st, c, &ps[j], inv, n, due, today,
								    &rs, &err))) {
					cli_print_err(&err);
					ret = cli_exit_for(err.code);
				}
				kefu_invoices_free(inv, n);
			}
		}
		free(ps);
		kefu_contract_free(c);
	}
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	if (!ret) {
		fprintf(stderr, "kefu: bill: %zu contract%s, %ld due period%s\n", nids,
			nids == 1 ? "" : "s", periods, periods == 1 ? "" : "s");
		print_stats(&rs, o->dry);
		kefu_table *t = NULL;
		if (kefu_billing_list_table(s->st, NULL, &t, &err)) {
			cli_print_err(&err);
			return KEFU_EXIT_STORE;
		}
		ret = write_table(t, (char **)o->outs, o->nouts, o->format, o->zh);
		kefu_table_free(t);
	}
	return ret;
}

int cmd_bill(int argc, char **argv)
{
	enum {
		O_DB = 1000,
		O_CONTRACT,
		O_PERIOD,
		O_ALL,
		O_THROUGH,
		O_TODAY,
		O_DRY,
		O_CHATS,
		O_LIST,
		O_FORMAT,
		O_ZH,
		O_INVOICE
	};
	static const struct option longopts[] = {
		{"db", required_argument, NULL, O_DB},
		{"contract", required_argument, NULL, O_CONTRACT},
		{"period", required_argument, NULL, O_PERIOD},
		{"all", no_argument, NULL, O_ALL},
		{"through", required_argument, NULL, O_THROUGH},
		{"today", required_argument, NULL, O_TODAY},
		{"dry-run", no_argument, NULL, O_DRY},
		{"chats", no_argument, NULL, O_CHATS},
		{"list", no_argument, NULL, O_LIST},
		{"format", required_argument, NULL, O_FORMAT},
		{"zh", no_argument, NULL, O_ZH},
		{"invoice", required_argument, NULL, O_INVOICE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bill_opts o;
	memset(&o, 0, sizeof o);
	o.format = "table";
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (opt) {
		case O_DB: o.db = optarg; break;
		case O_CONTRACT: o.contract = optarg; break;
		case O_PERIOD: o.period = optarg; break;
		case O_ALL: o.all = 1; break;
		case O_THROUGH: o.through = optarg; break;
		case O_TODAY: o.today = optarg; break;
		case O_DRY: o.dry = 1; break;
		case O_CHATS: o.chats = 1; break;
		case O_LIST: o.list = 1; break;
		case O_FORMAT: o.format = optarg; break;
		case O_ZH: o.zh = 1; break;
		case O_INVOICE: o.invoice = optarg; break;
		case 'o':
			if (o.nouts >= 16)
				return cli_usage_error("bill", "too many -o options");
			o.outs[o.nouts++] = optarg;
			break;
		case 'h': help(stdout); return KEFU_EXIT_OK;
		case ':':
			return cli_usage_error("bill", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("bill", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("bill", "unexpected argument '%s'", argv[optind]);
	if (strcmp(o.format, "table") && strcmp(o.format, "json") && strcmp(o.format, "csv") &&
	    strcmp(o.format, "html"))
		return cli_usage_error("bill", "--format: expected table, json, csv or html");
	int modes = (o.all != 0) + (o.list != 0) + (o.period != NULL);
	if (modes != 1)
		return cli_usage_error("bill", "give --contract ID --period YYYY-MM, --all --through "
					       "DATE, or --list");
	if (o.period && !o.contract)
		return cli_usage_error("bill", "--period needs --contract ID");
	if (o.invoice && !o.period)
		return cli_usage_error("bill", "--invoice needs --contract ID --period YYYY-MM");
	if (o.all && !o.through)
		return cli_usage_error("bill", "--all needs --through YYYY-MM-DD");
	if (o.all && o.contract)
		return cli_usage_error("bill", "--all bills every contract; drop --contract");
	if (!strcmp(o.format, "html") && !o.period)
		return cli_usage_error("bill", "--format html is the statement of one period");
	int64_t today;
	if (bill_today(o.today, &today))
		return cli_usage_error("bill", "--today: expected YYYY-MM-DD, got '%s'", o.today);
	bill_session s;
	int ret = bill_session_open(&s, o.db, "bill");
	if (ret) {
		bill_session_close(&s);
		return ret;
	}
	if (o.list) {
		kefu_err err = KEFU_ERR_INIT;
		kefu_table *t = NULL;
		if (kefu_billing_list_table(s.st, o.contract, &t, &err)) {
			cli_print_err(&err);
			ret = KEFU_EXIT_STORE;
		} else {
			ret = write_table(t, o.outs, o.nouts, o.format, o.zh);
		}
		kefu_table_free(t);
	} else if (o.all) {
		ret = bill_all(&s, &o, today);
	} else {
		ret = bill_one(&s, &o, today);
	}
	bill_session_close(&s);
	return ret;
}
