/*
 * cmd_contract.c - `kefu contract check|add|list|show`: validates contract
 * files (settlement.md; YAML or JSON), every problem as file:line: key:
 * reason, and keeps valid ones in the store's billing tables.
 */
#include "bill_session.h"
#include "cli_util.h"
#include "commands.h"
#include "kpi_session.h"
#include "kefu/billing.h"
#include "kefu/contract.h"
#include "kefu/store.h"
#include "kefu/tz.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *out)
{
	fprintf(out,
		"Usage: kefu contract check FILE...\n"
		"       kefu contract add [--db PATH] [--replace] FILE...\n"
		"       kefu contract list [--db PATH]\n"
		"       kefu contract show [--db PATH] ID\n"
		"       kefu contract review [--db PATH] [--through DATE] [--margin] ID\n\n"
		"Contracts between a provider and a merchant (docs/BILLING.md): mode and\n"
		"coverage windows, term, fee scheme with commission tiers, settlement, SLA\n"
		"rules and events, as YAML or the same structure as JSON.\n\n"
		"  check   validate files; every problem is printed as FILE:LINE: KEY: REASON\n"
		"  add     validate and store (a file with any problem stores nothing)\n"
		"  list    stored contracts\n"
		"  show    a stored contract's text and its billing periods\n"
		"  review  the renewal review: per period the invoiced total, the provider's KPIs\n"
		"          against the SLA targets beside the in-house agents' on the same shops;\n"
		"          with --margin also payroll and margin (the provider's view only);\n"
		"          the per-period table the provider works from. The document a merchant\n"
		"          decides renewal on (SLA months, verdict, HTML/XLSX) is `kefu review`\n\n"
		"Options:\n"
		"      --db PATH     the store (default $KEFU_DB, else $XDG_DATA_HOME/kefu/kefu.db)\n"
		"      --replace     add: replace a stored contract with the same id\n"
		"      --through DATE  review: periods started by DATE (default: the term's end)\n"
		"      --margin      review: add payroll and margin\n"
		"      --format FMT  review: table (default), json or csv; -o FILE (.txt .csv .json)\n"
		"  -h, --help        show this help\n\n"
		"Exit status: 0 ok, 1 read error, 2 usage or invalid contract, 5 store error.\n");
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		size_t r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	if (buf)
		buf[len] = '\0';
	*n = len;
	return buf;
}

static void print_problems(const char *file, const kefu_contract_problems *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const kefu_contract_problem *q = &p->v[i];
		if (q->line > 0)
			fprintf(stderr, "kefu: error: %s:%ld: %s%s%s\n", file, q->line, q->key,
				q->key[0] ? ": " : "", q->reason);
		else
			fprintf(stderr, "kefu: error: %s: %s%s%s\n", file, q->key, q->key[0] ? ": " : "",
				q->reason);
	}
}

/* check (st NULL) or add each file; returns an exit code. */
static int each_file(kefu_store *st, int replace, int argc, char **argv)
{
	int ret = KEFU_EXIT_OK;
	for (int i = 0; i < argc; i++) {
		size_t n;
		char *text = slurp(argv[i], &n);
		if (!text) {
			cli_errorf("%s: cannot read: %m", argv[i]);
			ret = KEFU_EXIT_FAIL;
			continue;
		}
		kefu_contract_problems probs = {0};
		kefu_err err = KEFU_ERR_INIT;
		kefu_contract *c = NULL;
		int added = 0, rc;
		if (st)
			rc = kefu_contract_store_add(st, text, n, argv[i], replace, &added, &probs, &err);
		else
			rc = kefu_contract_parse(&c, text, n, argv[i], &probs, &err);
		if (rc == KEFU_EPARSE) {
			print_problems(argv[i], &probs);
			fprintf(stderr, "kefu: %s: %zu problem%s, nothing stored\n", argv[i], probs.n,
				probs.n == 1 ? "" : "s");
			if (ret == KEFU_EXIT_OK)
				ret = KEFU_EXIT_USAGE;
		} else if (rc) {
			cli_print_err(&err);
			ret = rc == KEFU_EINVAL ? KEFU_EXIT_USAGE : cli_exit_for(rc);
		} else if (st) {
			printf("%s: %s\n", argv[i], added ? "added" : "unchanged (already stored)");
		} else {
			char a[16], b[16];
			kefu_day_format(c->start_day, a);
			kefu_day_format(c->end_day, b);
			printf("%s: ok: %s, %s to %s%s, %zu shop%s\n", argv[i], c->id, a, b,
			       c->renew_auto ? " (auto renewal)" : "", c->n_shops,
			       c->n_shops == 1 ? "" : "s");
		}
		kefu_contract_free(c);
		kefu_contract_problems_clear(&probs);
		free(text);
	}
	return ret;
}

static int review(const char *db, const char *id, const char *through_arg, int margin,
		  const char *format, char **outs, int nouts)
{
	kefu_err err = KEFU_ERR_INIT;
	bill_session s;
	kefu_contract *c = NULL, **all = NULL;
	char **ids = NULL;
	size_t nids = 0, nall = 0;
	kefu_table *t = NULL;
	int64_t through;
	int ret = bill_session_open(&s, db, "contract");
	if (ret)
		goto out;
	if (kefu_contract_store_get(s.st, id, &c, &err)) {
		cli_print_err(&err);
		ret = err.code == KEFU_ENOTFOUND ? KEFU_EXIT_FAIL : KEFU_EXIT_STORE;
		goto out;
	}
	if (through_arg) {
		if (kefu_day_parse(through_arg, strlen(through_arg), &through)) {
			ret = cli_usage_error("contract", "--through: expected YYYY-MM-DD");
			goto out;
		}
	} else {
		through = c->renew_auto ? kefu_contract_term_end(c, c->start_day) : c->end_day;
	}
	kefu_billing_data d;
	if ((ret = bill_session_kpi(&s, c->judge_rule, &d)))
		goto out;
	if (margin) { /* payroll is allocated over every stored contract */
		if (kefu_contract_store_ids(s.st, &ids, &nids, &err)) {
			cli_print_err(&err);
			ret = KEFU_EXIT_STORE;
			goto out;
		}
		all = calloc(nids + 1, sizeof *all);
		for (size_t i = 0; all && i < nids; i++)
			if (kefu_contract_store_get(s.st, ids[i], &all[nall], &err) == 0)
				nall++;
	}
	if (kefu_review_table(&t, s.st, c, &d, through, (const kefu_contract *const *)all, nall,
			      &err)) {
		cli_print_err(&err);
		ret = KEFU_EXIT_FAIL;
		goto out;
	}
	kpi_term_columns = NULL;
	ret = kpi_write_outputs(t, outs, nouts, format, 0, 0);
out:
	kefu_table_free(t);
	for (size_t i = 0; i < nall; i++)
		kefu_contract_free(all[i]);
	free(all);
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	kefu_contract_free(c);
	bill_session_close(&s);
	return ret;
}

int cmd_contract(int argc, char **argv)
{
	enum { O_DB = 1000, O_REPLACE, O_THROUGH, O_MARGIN, O_FORMAT };
	static const struct option longopts[] = {
		{"db", required_argument, NULL, O_DB},
		{"replace", no_argument, NULL, O_REPLACE},
		{"through", required_argument, NULL, O_THROUGH},
		{"margin", no_argument, NULL, O_MARGIN},
		{"format", required_argument, NULL, O_FORMAT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = NULL, *through = NULL, *format = "table";
	char *outs[16];
	int replace = 0, margin = 0, nouts = 0, opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (opt) {
		case O_DB: db = optarg; break;
		case O_REPLACE: replace = 1; break;
		case O_THROUGH: through = optarg; break;
		case O_MARGIN: margin = 1; break;
		case O_FORMAT: format = optarg; break;
		case 'o':
			if (nouts >= 16)
				return cli_usage_error("contract", "too many -o options");
			outs[nouts++] = optarg;
			break;
		case 'h': help(stdout); return KEFU_EXIT_OK;
		case ':':
			return cli_usage_error("contract", "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("contract", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("contract", "expected check, add, list, show or review");
	const char *sub = argv[optind++];
	int nargs = argc - optind;
	char **args = argv + optind;
	if (!strcmp(sub, "check")) {
		if (nargs < 1)
			return cli_usage_error("contract", "check: expected FILE...");
		return each_file(NULL, 0, nargs, args);
	}
	if (!strcmp(sub, "review")) {
		if (nargs != 1)
			return cli_usage_error("contract", "review: expected one contract ID");
		if (strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "csv"))
			return cli_usage_error("contract", "--format: expected table, json or csv");
		return review(db, args[0], through, margin, format, outs, nouts);
	}
	if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "show"))
		return cli_usage_error("contract", "unknown subcommand '%s' (check, add, list, show)",
				       sub);
	if (!strcmp(sub, "add") && nargs < 1)
		return cli_usage_error("contract", "add: expected FILE...");
	if (!strcmp(sub, "show") && nargs != 1)
		return cli_usage_error("contract", "show: expected one contract ID");
	kefu_err err = KEFU_ERR_INIT;
	kefu_store *st = NULL;
	char *path = db ? strdup(db) : cli_default_db();
	int ret = KEFU_EXIT_OK;
	if (!path || kefu_store_open(&st, path, &err) || kefu_billing_open(st, &err)) {
		cli_print_err(&err);
		free(path);
		kefu_store_close(st);
		return KEFU_EXIT_STORE;
	}
	free(path);
	if (!strcmp(sub, "add")) {
		ret = each_file(st, replace, nargs, args);
	} else if (!strcmp(sub, "list")) {
		char **ids = NULL;
		size_t n = 0;
		if (kefu_contract_store_ids(st, &ids, &n, &err)) {
			cli_print_err(&err);
			ret = KEFU_EXIT_STORE;
		}
		printf("%-20s  %-10s  %-10s  %-8s  %-8s  %s\n", "id", "start", "end", "mode",
		       "settle", "merchant");
		for (size_t i = 0; i < n; i++) {
			kefu_contract *c = NULL;
			if (kefu_contract_store_get(st, ids[i], &c, &err) == 0) {
				char a[16], b[16];
				kefu_day_format(c->start_day, a);
				kefu_day_format(c->end_day, b);
				printf("%-20s  %-10s  %-10s  %-8s  %-8s  %s\n", c->id, a,
				       c->renew_auto ? "auto" : b,
				       c->mode == KEFU_MODE_FULL ? "full" : "partial",
				       c->prepay ? "prepay" : "postpay", c->merchant);
			}
			kefu_contract_free(c);
			free(ids[i]);
		}
		free(ids);
	} else {
		kefu_contract *c = NULL;
		if (kefu_contract_store_get(st, args[0], &c, &err)) {
			cli_print_err(&err);
			ret = err.code == KEFU_ENOTFOUND ? KEFU_EXIT_FAIL : KEFU_EXIT_STORE;
		} else {
			kefu_period *ps = NULL;
			size_t np = 0;
			int64_t through = c->renew_auto ? kefu_contract_term_end(c, c->end_day + 1)
							: c->end_day;
			kefu_billing_periods(&ps, &np, c, through, &err);
			char *text = NULL;
			if (kefu_contract_store_source(st, args[0], &text, &err) == 0) {
				fputs(text, stdout);
				if (text[0] && text[strlen(text) - 1] != '\n')
					fputc('\n', stdout);
			}
			kefu_free(text);
			printf("# %s: %s, vendor %s, %zu billing period%s in the %sterm:\n", c->id,
			       c->merchant, c->vendor, np, np == 1 ? "" : "s",
			       c->renew_auto ? "first two terms (auto renewal) of the " : "");
			for (size_t i = 0; i < np; i++) {
				char a[16], b[16];
				kefu_day_format(ps[i].first_day, a);
				kefu_day_format(ps[i].last_day, b);
				printf("#   %04d-%02d  %s .. %s  %lld/%lld days\n", ps[i].y, ps[i].m, a, b,
				       (long long)(ps[i].last_day - ps[i].first_day + 1),
				       (long long)ps[i].month_days);
			}
			free(ps);
			kefu_contract_free(c);
		}
	}
	kefu_store_close(st);
	return ret;
}
