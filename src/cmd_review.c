/*
 * cmd_review.c - `kefu review --contract ID`: the renewal review of a
 * stored contract (settlement.md "Renewal review", docs/VENDORS.md) as a
 * self-contained HTML page, an XLSX workbook, or text on the terminal.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bill_session.h"
#include "cli_util.h"
#include "commands.h"
#include "kefu/renewal.h"
#include "kefu/vendor.h"

static void help(FILE *out)
{
	fputs("Usage: kefu review [--db PATH] --contract ID [--day YYYY-MM-DD] [-o FILE]...\n\n"
	      "The renewal review of a stored contract: the SLA KPIs of every month of the term\n"
	      "against their targets (pass / fail), the invoices with SLA penalties and bonuses,\n"
	      "the provider's KPIs beside the in-house agents' on the same shops and period\n"
	      "(inside the coverage windows for partial contracts), and a recommendation\n"
	      "(renew / renew with changed SLA / do not renew) with its reasons.\n\n"
	      "Options:\n"
	      "      --db PATH          the store (default $KEFU_DB, else $XDG_DATA_HOME/kefu/kefu.db)\n"
	      "      --contract ID      the contract (kefu contract add)\n"
	      "      --day DATE         review the term containing DATE, up to DATE\n"
	      "                         (default: the first term, to its end)\n"
	      "  -o FILE                .html (one self-contained page) or .xlsx; '-' or no -o:\n"
	      "                         text on standard output (may repeat)\n"
	      "  -h, --help             show this help\n\n"
	      "Invoices are the ones recorded by `kefu bill` when there are any, else computed\n"
	      "from the data (and marked so). The provider's per-period working table, with\n"
	      "payroll and margin, is `kefu contract review --margin`.\n"
	      "Exit status: 0 ok, 1 failure, 2 usage, 4 output error, 5 store error.\n",
	      out);
}

static const char *ext_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	return dot && (!slash || dot > slash) ? dot + 1 : "";
}

static int write_text(const kefu_renewal *r)
{
	kefu_err err = KEFU_ERR_INIT;
	kefu_write_opts wo = KEFU_WRITE_OPTS_INIT;
	printf("recommendation: %s (%s)\n", kefu_renewal_verdict_name(r->verdict),
	       kefu_renewal_verdict_zh(r->verdict));
	for (size_t i = 0; i < r->n_reasons; i++)
		printf("  - %s\n", r->reasons[i]);
	printf("\n");
	fflush(stdout);
	const kefu_table *ts[] = {r->overview, r->sla, r->invoices, r->compare};
	for (size_t i = 0; i < 4; i++) {
		if (kefu_write_text(ts[i], stdout, &wo, &err)) {
			cli_print_err(&err);
			return KEFU_EXIT_IO;
		}
		printf("\n");
	}
	return 0;
}

static int write_file(const kefu_renewal *r, const char *path)
{
	kefu_err err = KEFU_ERR_INIT;
	const char *ext = ext_of(path);
	int xlsx = !strcmp(ext, "xlsx");
	if (!xlsx && strcmp(ext, "html") && strcmp(ext, "htm")) {
		cli_errorf("%s: unknown output extension (use .html or .xlsx)", path);
		return KEFU_EXIT_USAGE;
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	int rc;
	if (xlsx) {
		rc = kefu_renewal_xlsx(tmp, r, &err);
	} else {
		FILE *f = fopen(tmp, "wb");
		if (!f) {
			cli_errorf("%s: cannot create: %m", path);
			return KEFU_EXIT_IO;
		}
		rc = kefu_renewal_html(f, r, &err);
		if (fclose(f) && !rc)
			rc = kefu_err_set(&err, KEFU_EIO, "write error");
	}
	if (!rc && rename(tmp, path))
		rc = kefu_err_set(&err, KEFU_EIO, "%s: cannot rename", path);
	if (rc) {
		unlink(tmp);
		cli_print_err(&err);
		return KEFU_EXIT_IO;
	}
	return 0;
}

int cmd_review(int argc, char **argv)
{
	enum { O_DB = 1000, O_CONTRACT, O_DAY };
	static const struct option longopts[] = {
		{"db", required_argument, 0, O_DB},
		{"contract", required_argument, 0, O_CONTRACT},
		{"day", required_argument, 0, O_DAY},
		{"output", required_argument, 0, 'o'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0}};
	const char *db = NULL, *contract = NULL, *day_arg = NULL;
	char *outs[16];
	int nouts = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': help(stdout); return KEFU_EXIT_OK;
		case 'o':
			if (nouts >= 16)
				return cli_usage_error("review", "too many -o options");
			outs[nouts++] = optarg;
			break;
		case O_DB: db = optarg; break;
		case O_CONTRACT: contract = optarg; break;
		case O_DAY: day_arg = optarg; break;
		default: return cli_usage_error("review", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("review", "unexpected argument '%s'", argv[optind]);
	if (!contract)
		return cli_usage_error("review", "--contract ID is required");
	int64_t day = INT64_MIN;
	if (day_arg && (strlen(day_arg) != 10 || kefu_day_parse(day_arg, 10, &day)))
		return cli_usage_error("review", "--day: expected YYYY-MM-DD, got '%s'", day_arg);
	for (int i = 0; i < nouts; i++) {
		const char *e = ext_of(outs[i]);
		if (strcmp(outs[i], "-") && strcmp(e, "html") && strcmp(e, "htm") && strcmp(e, "xlsx"))
			return cli_usage_error("review", "%s: unknown output extension (use .html or .xlsx)",
					       outs[i]);
	}
	bill_session s;
	int rc = bill_session_open(&s, db, "review");
	if (rc)
		return rc;
	kefu_err err = KEFU_ERR_INIT;
	kefu_contract *ct = NULL;
	kefu_invoice *inv = NULL;
	size_t ninv = 0;
	kefu_renewal *r = NULL;
	kefu_vendor *v = NULL;
	kefu_billing_data d;
	if (kefu_contract_store_get(s.st, contract, &ct, &err)) {
		cli_print_err(&err);
		rc = err.code == KEFU_ENOTFOUND ? KEFU_EXIT_FAIL : KEFU_EXIT_STORE;
		goto done;
	}
	if (kefu_vendor_get(&v, s.st, ct->vendor, &err))
		v = NULL; /* a vendor without a record is named by its id */
	kefu_err_clear(&err);
	if (kefu_billing_load(s.st, ct->id, 0, 0, &inv, &ninv, &err)) {
		cli_print_err(&err);
		rc = KEFU_EXIT_STORE;
		goto done;
	}
	if ((rc = bill_session_data(&s)) || (rc = bill_session_kpi(&s, ct->judge_rule, &d)))
		goto done;
	kefu_renewal_opts ro = {ct, &d, ninv ? inv : NULL, ninv, day, v ? v->name : NULL};
	if (kefu_renewal_build(&r, &ro, &err)) {
		cli_print_err(&err);
		rc = cli_exit_for(err.code);
		goto done;
	}
	if (nouts == 0)
		rc = write_text(r);
	for (int i = 0; !rc && i < nouts; i++)
		rc = !strcmp(outs[i], "-") ? write_text(r) : write_file(r, outs[i]);
done:
	kefu_renewal_free(r);
	kefu_invoices_free(inv, ninv);
	kefu_contract_free(ct);
	kefu_vendor_free(v);
	bill_session_close(&s);
	return rc;
}
