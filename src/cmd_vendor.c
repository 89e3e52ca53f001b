/*
 * cmd_vendor.c - `kefu vendor`: outsourcing providers (issue 8,
 * docs/VENDORS.md). add/list/show keep vendor records in the store; score
 * records an assessment from a filled scorecard; rank orders vendors by
 * their latest assessment; compare puts each vendor's KPIs beside the
 * in-house agents' on the same shops and period; template prints the
 * default scorecard. One subcommand table, one option table each.
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_util.h"
#include "commands.h"
#include "kefu/coverage.h"
#include "kefu/store.h"
#include "kefu/vendor.h"
#include "kpi_session.h"

static void help(FILE *f)
{
	fputs("Usage: kefu vendor <subcommand> [options]\n\n"
	      "Outsourcing providers: records, onboarding scorecards and a side-by-side KPI\n"
	      "comparison with the merchant's in-house agents (docs/VENDORS.md).\n\n"
	      "Subcommands:\n"
	      "  add ID [--name N] [--contact C] [--note T] [--agent A]...\n"
	      "                       add a vendor (or update it and add declared agents);\n"
	      "                       ID is the vendor id used in the roster's vendor column\n"
	      "  list                 every vendor with its declared agents\n"
	      "  show ID              a vendor, its agents (roster and declared) and its\n"
	      "                       latest assessment criterion by criterion\n"
	      "  score ID --card FILE [--assessor NAME] [--date YYYY-MM-DD] [--dry-run]\n"
	      "                       check a filled scorecard and record the assessment\n"
	      "  rank                 vendors by the weighted score of their latest assessment,\n"
	      "                       with missing scores, missing evidence and failed minimums\n"
	      "  compare [--db DB | FILE...] [--shop S] [--from D] [--to D] [--coverage W]\n"
	      "                       KPIs of each vendor, the in-house agents and the silent\n"
	      "                       sales side by side; with --coverage (e.g. 18:00-09:00)\n"
	      "                       also inside and outside those daily windows\n"
	      "  template [-o FILE]   print the default scorecard template\n\n"
	      "Common options:\n"
	      "      --db PATH        the store (default $KEFU_DB, else $XDG_DATA_HOME/kefu/kefu.db)\n"
	      "      --format F       table (default), csv or json (list, rank, compare)\n"
	      "  -o, --output FILE    write to FILE; extension picks csv/json/txt (repeatable)\n"
	      "      --zh             Chinese column labels\n"
	      "  -h, --help           show this help\n\n"
	      "compare also takes the report options of `kefu kpi` (--judge-rule, --set,\n"
	      "--as-of, --input-format, ...). Roster vendor `inhouse` is the merchant's own\n"
	      "agents; agents missing from the roster are `unknown`.\n"
	      "Exit: 0 ok, 1 failure, 2 usage or invalid scorecard, 3 input rows rejected,\n"
	      "4 I/O, 5 store.\n",
	      f);
}

/* Options every subcommand parses. */
typedef struct vopts {
	const char *db;
	const char *format;
	char *outs[16];
	int nouts, zh;
	/* add */
	const char *name, *contact, *note;
	const char *agents[256];
	int nagents;
	/* score */
	const char *card, *assessor, *date;
	int dry_run;
	/* compare */
	const char *coverage;
	kpi_session_opts so;
	char **args;
	int nargs;
} vopts;

enum {
	O_DB = 1000, O_FORMAT, O_ZH, O_NAME, O_CONTACT, O_NOTE, O_AGENT, O_CARD, O_ASSESSOR,
	O_DATE, O_DRY, O_COVERAGE, O_SESSION
};

static const struct option longopts[] = {
	{"db", required_argument, 0, O_DB},
	{"format", required_argument, 0, O_FORMAT},
	{"output", required_argument, 0, 'o'},
	{"zh", no_argument, 0, O_ZH},
	{"help", no_argument, 0, 'h'},
	{"name", required_argument, 0, O_NAME},
	{"contact", required_argument, 0, O_CONTACT},
	{"note", required_argument, 0, O_NOTE},
	{"agent", required_argument, 0, O_AGENT},
	{"card", required_argument, 0, O_CARD},
	{"assessor", required_argument, 0, O_ASSESSOR},
	{"date", required_argument, 0, O_DATE},
	{"dry-run", no_argument, 0, O_DRY},
	{"coverage", required_argument, 0, O_COVERAGE},
	/* compare: the report session's options */
	{"from", required_argument, 0, O_SESSION},
	{"to", required_argument, 0, O_SESSION},
	{"shop", required_argument, 0, O_SESSION},
	{"judge-rule", required_argument, 0, O_SESSION},
	{"set", required_argument, 0, O_SESSION},
	{"as-of", required_argument, 0, O_SESSION},
	{"input-format", required_argument, 0, O_SESSION},
	{"map", required_argument, 0, O_SESSION},
	{"time-format", required_argument, 0, O_SESSION},
	{"encoding", required_argument, 0, O_SESSION},
	{"sheet", required_argument, 0, O_SESSION},
	{"presets", required_argument, 0, O_SESSION},
	{"input-shop", required_argument, 0, O_SESSION},
	{"quiet", no_argument, 0, 'q'},
	{0, 0, 0, 0}};

/* Parses argv (argv[0] = subcommand). Returns -1 to continue, else an exit code. */
static int parse(vopts *o, const char *cmd, int argc, char **argv)
{
	memset(o, 0, sizeof *o);
	o->format = "table";
	int c, idx;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, &idx)) != -1) {
		switch (c) {
		case 'h': help(stdout); return KEFU_EXIT_OK;
		case 'q': o->so.quiet = 1; break;
		case 'o':
			if (o->nouts >= 16)
				return cli_usage_error(cmd, "too many -o options");
			o->outs[o->nouts++] = optarg;
			break;
		case O_DB: o->db = optarg; o->so.db = optarg; break;
		case O_FORMAT:
			if (strcmp(optarg, "table") && strcmp(optarg, "csv") && strcmp(optarg, "json"))
				return cli_usage_error(cmd, "--format: expected table, csv or json");
			o->format = optarg;
			break;
		case O_ZH: o->zh = 1; break;
		case O_NAME: o->name = optarg; break;
		case O_CONTACT: o->contact = optarg; break;
		case O_NOTE: o->note = optarg; break;
		case O_AGENT:
			if (o->nagents >= 256)
				return cli_usage_error(cmd, "too many --agent options");
			o->agents[o->nagents++] = optarg;
			break;
		case O_CARD: o->card = optarg; break;
		case O_ASSESSOR: o->assessor = optarg; break;
		case O_DATE: o->date = optarg; break;
		case O_DRY: o->dry_run = 1; break;
		case O_COVERAGE: o->coverage = optarg; break;
		case O_SESSION: {
			int r = kpi_session_option(&o->so, cmd, longopts[idx].name, optarg);
			if (r < 0)
				return KEFU_EXIT_USAGE;
			break;
		}
		default: return cli_usage_error(cmd, "invalid option");
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return -1;
}

static int open_store(kefu_store **st, const vopts *o, int create)
{
	kefu_err err = KEFU_ERR_INIT;
	char *def = NULL;
	const char *path = o->db;
	if (!path) {
		def = cli_default_db();
		path = def;
	}
	if (!path) {
		cli_errorf("no store: give --db PATH");
		return KEFU_EXIT_USAGE;
	}
	int rc = kefu_store_open_ex(st, path, create ? 0 : KEFU_STORE_NOCREATE, &err);
	free(def);
	if (rc) {
		cli_print_err(&err);
		return KEFU_EXIT_STORE;
	}
	if (kefu_vendor_store_init(*st, &err)) {
		cli_print_err(&err);
		kefu_store_close(*st);
		*st = NULL;
		return KEFU_EXIT_STORE;
	}
	return 0;
}

static int lib_exit(const kefu_err *err)
{
	cli_print_err(err);
	return err->code == KEFU_ENOTFOUND ? KEFU_EXIT_FAIL : cli_exit_for(err->code);
}

static int write_table(const kefu_table *t, const vopts *o, const char *const *term_cols)
{
	kpi_term_columns = term_cols;
	return kpi_write_outputs(t, (char **)o->outs, o->nouts, o->format, o->zh, 0);
}

/* ------------------------------------------------------------------ add */

static int sub_add(int argc, char **argv)
{
	vopts o;
	int rc = parse(&o, "vendor add", argc, argv);
	if (rc >= 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error("vendor add", "give exactly one vendor ID");
	const char *id = o.args[0];
	if (!kefu_vendor_id_ok(id))
		return cli_usage_error("vendor add",
				       "vendor id '%s': 1-64 bytes, no commas or control characters; "
				       "'inhouse' and 'unknown' are reserved",
				       id);
	kefu_store *st = NULL;
	if ((rc = open_store(&st, &o, 1)))
		return rc;
	kefu_err err = KEFU_ERR_INIT;
	int created = 0;
	rc = kefu_vendor_put(st, id, o.name, o.contact, o.note, o.agents, (size_t)o.nagents, &created,
			     &err);
	kefu_store_close(st);
	if (rc)
		return lib_exit(&err);
	printf("%s vendor %s%s\n", created ? "added" : "updated", id,
	       o.nagents ? " (agents declared)" : "");
	return 0;
}

/* ----------------------------------------------------------------- list */

static int sub_list(int argc, char **argv)
{
	vopts o;
	int rc = parse(&o, "vendor list", argc, argv);
	if (rc >= 0)
		return rc;
	if (o.nargs)
		return cli_usage_error("vendor list", "unexpected argument '%s'", o.args[0]);
	kefu_store *st = NULL;
	if ((rc = open_store(&st, &o, 0)))
		return rc;
	kefu_err err = KEFU_ERR_INIT;
	kefu_vendor **vs = NULL;
	size_t nv = 0;
	kefu_table *t = NULL;
	if (kefu_vendor_list(&vs, &nv, st, &err)) {
		kefu_store_close(st);
		return lib_exit(&err);
	}
	kefu_store_close(st);
	int bad = kefu_table_new(&t, "kefu vendors");
	bad |= kefu_table_add_col(t, "vendor", "外包商", KEFU_T_TEXT);
	bad |= kefu_table_add_col(t, "name", "名称", KEFU_T_TEXT);
	bad |= kefu_table_add_col(t, "contact", "联系人", KEFU_T_TEXT);
	bad |= kefu_table_add_col(t, "agents", "已登记客服", KEFU_T_TEXT);
	for (size_t i = 0; !bad && i < nv; i++) {
		kefu_cell *row;
		if ((bad = kefu_table_add_row(t, &row)))
			break;
		size_t len = 0;
		for (size_t a = 0; a < vs[i]->n_agents; a++)
			len += strlen(vs[i]->agents[a]) + 1;
		char *agents = calloc(len + 1, 1);
		for (size_t a = 0; agents && a < vs[i]->n_agents; a++) {
			if (a)
				strcat(agents, " ");
			strcat(agents, vs[i]->agents[a]);
		}
		bad |= !agents;
		bad |= kefu_cell_set_text(&row[0], vs[i]->id, strlen(vs[i]->id));
		bad |= kefu_cell_set_text(&row[1], vs[i]->name, strlen(vs[i]->name));
		bad |= kefu_cell_set_text(&row[2], vs[i]->contact, strlen(vs[i]->contact));
		bad |= kefu_cell_set_text(&row[3], agents ? agents : "", agents ? strlen(agents) : 0);
		free(agents);
	}
	for (size_t i = 0; i < nv; i++)
		kefu_vendor_free(vs[i]);
	kefu_free(vs);
	if (bad) {
		kefu_table_free(t);
		cli_errorf("out of memory");
		return KEFU_EXIT_FAIL;
	}
	rc = write_table(t, &o, NULL);
	kefu_table_free(t);
	return rc;
}

/* ----------------------------------------------------------------- show */

static int str_eq(kefu_str a, const char *b)
{
	return a.n == strlen(b) && !memcmp(a.p, b, a.n);
}

/* Agents of the vendor: the roster's (vendor column = id) and the declared. */
static int agents_table(kefu_table **out, const kefu_dataset *ds, const kefu_vendor *v)
{
	kefu_table *t = NULL;
	int bad = kefu_table_new(&t, "agents");
	bad |= kefu_table_add_col(t, "agent", "客服", KEFU_T_TEXT);
	bad |= kefu_table_add_col(t, "team", "组别", KEFU_T_TEXT);
	bad |= kefu_table_add_col(t, "name", "姓名", KEFU_T_TEXT);
	bad |= kefu_table_add_col(t, "source", "来源", KEFU_T_TEXT);
	uint32_t n_agents = ds ? kefu_dict_size(ds->agents) : 0;
	/* roster agents in agent byte order (ids follow byte order) */
	for (uint32_t a = 0; !bad && a < n_agents; a++) {
		uint32_t r = ds->roster.row_of_agent[a];
		if (r == KEFU_NO_ID || !str_eq(kefu_dict_get(ds->vendors, ds->roster.vendor[r]), v->id))
			continue;
		kefu_str ag = kefu_dict_get(ds->agents, a);
		int declared = 0;
		for (size_t i = 0; i < v->n_agents; i++)
			declared |= str_eq(ag, v->agents[i]);
		kefu_cell *row;
		if ((bad = kefu_table_add_row(t, &row)))
			break;
		kefu_str tm = kefu_dict_get(ds->teams, ds->roster.team[r]);
		kefu_str nm = kefu_dict_get(ds->texts, ds->roster.name[r]);
		const char *src = declared ? "roster, declared" : "roster";
		bad |= kefu_cell_set_text(&row[0], ag.p, ag.n);
		bad |= kefu_cell_set_text(&row[1], tm.p, tm.n);
		bad |= kefu_cell_set_text(&row[2], nm.p, nm.n);
		bad |= kefu_cell_set_text(&row[3], src, strlen(src));
	}
	/* declared agents the roster does not give to this vendor */
	for (size_t i = 0; !bad && i < v->n_agents; i++) {
		uint32_t a;
		char src[256];
		const char *ag = v->agents[i];
		if (ds && kefu_dict_find(ds->agents, ag, strlen(ag), &a) == 0 &&
		    ds->roster.row_of_agent[a] != KEFU_NO_ID) {
			kefu_str rv = kefu_dict_get(ds->vendors, ds->roster.vendor[ds->roster.row_of_agent[a]]);
			if (str_eq(rv, v->id))
				continue;
			snprintf(src, sizeof src, "declared; roster says %.*s", (int)rv.n, rv.p);
		} else {
			snprintf(src, sizeof src, "declared; not in roster");
		}
		kefu_cell *row;
		if ((bad = kefu_table_add_row(t, &row)))
			break;
		bad |= kefu_cell_set_text(&row[0], ag, strlen(ag));
		bad |= kefu_cell_set_text(&row[1], "", 0);
		bad |= kefu_cell_set_text(&row[2], "", 0);
		bad |= kefu_cell_set_text(&row[3], src, strlen(src));
	}
	if (bad) {
		kefu_table_free(t);
		return KEFU_ENOMEM;
	}
	*out = t;
	return 0;
}

static void print_score(const char *label, const kefu_vendor_score *s)
{
	char five[48], pct[48];
	if (s->den > 0) {
		kefu_decimal_format(s->num, s->den, 0, 2, 0, five);
		kefu_decimal_format(s->num, s->den * KEFU_VENDOR_SCORE_MAX, 2, 2, 0, pct);
	} else {
		snprintf(five, sizeof five, "-");
		snprintf(pct, sizeof pct, "-");
	}
	printf("%s%s / 5 (%s%%); %zu of %zu criteria scored, %zu missing, %zu without evidence, "
	       "%zu required below minimum: %s\n",
	       label, five, pct, s->n_scored, s->n_criteria, s->n_missing, s->n_no_evidence,
	       s->n_required_failed, s->eligible ? "eligible" : "NOT eligible");
}

static int sub_show(int argc, char **argv)
{
	vopts o;
	int rc = parse(&o, "vendor show", argc, argv);
	if (rc >= 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error("vendor show", "give exactly one vendor ID");
	kefu_store *st = NULL;
	if ((rc = open_store(&st, &o, 0)))
		return rc;
	kefu_err err = KEFU_ERR_INIT;
	kefu_vendor *v = NULL;
	kefu_dataset *ds = NULL;
	kefu_vendor_card *card = NULL;
	kefu_table *at = NULL, *ct = NULL;
	int cached;
	if (kefu_vendor_get(&v, st, o.args[0], &err) || kefu_store_load_cached(st, &ds, &cached, &err)) {
		rc = lib_exit(&err);
		goto done;
	}
	int64_t aid = 0;
	int has_card = kefu_vendor_latest(&card, &aid, st, v->id, &err);
	if (has_card && has_card != KEFU_ENOTFOUND) {
		rc = lib_exit(&err);
		goto done;
	}
	if (agents_table(&at, ds, v) || (card && kefu_vendor_card_table(&ct, card, &err))) {
		cli_errorf("out of memory");
		rc = KEFU_EXIT_FAIL;
		goto done;
	}
	printf("vendor:  %s\nname:    %s\ncontact: %s\n", v->id, v->name, v->contact);
	if (v->note[0])
		printf("note:    %s\n", v->note);
	printf("\nagents (roster vendor column = %s, or declared with --agent): %zu\n", v->id,
	       at->nrows);
	kefu_write_opts wo = KEFU_WRITE_OPTS_INIT;
	wo.zh = o.zh;
	fflush(stdout);
	if (at->nrows && kefu_write_text(at, stdout, &wo, &err)) {
		rc = lib_exit(&err);
		goto done;
	}
	if (!card) {
		printf("\nno assessment yet (kefu vendor score %s --card FILE)\n", v->id);
	} else {
		kefu_vendor_score sc;
		kefu_vendor_card_score(card, &sc);
		printf("\nlatest assessment #%lld: %s by %s, card '%s' (%s)\n", (long long)aid, card->date,
		       card->assessor, card->name, card->file);
		print_score("score: ", &sc);
		fflush(stdout);
		if (kefu_write_text(ct, stdout, &wo, &err)) {
			rc = lib_exit(&err);
			goto done;
		}
	}
	rc = 0;
done:
	kefu_table_free(at);
	kefu_table_free(ct);
	kefu_vendor_card_free(card);
	kefu_dataset_free(ds);
	kefu_vendor_free(v);
	kefu_store_close(st);
	return rc;
}

/* ---------------------------------------------------------------- score */

static int sub_score(int argc, char **argv)
{
	vopts o;
	int rc = parse(&o, "vendor score", argc, argv);
	if (rc >= 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error("vendor score", "give exactly one vendor ID");
	if (!o.card)
		return cli_usage_error("vendor score", "--card FILE is required");
	const char *vendor = o.args[0];
	kefu_err err = KEFU_ERR_INIT;
	kefu_vendor_problems probs = {NULL, 0, 0};
	kefu_vendor_card *card = NULL;
	rc = kefu_vendor_card_load(&card, o.card, &probs, &err);
	if (rc == KEFU_EPARSE) {
		for (size_t i = 0; i < probs.n; i++)
			fprintf(stderr, "kefu: error: %s:%ld: %s%s%s\n", o.card, probs.p[i].line,
				probs.p[i].key, probs.p[i].key[0] ? ": " : "", probs.p[i].reason);
		fprintf(stderr, "kefu: %zu problem%s in %s; nothing recorded\n", probs.n,
			probs.n == 1 ? "" : "s", o.card);
		kefu_vendor_problems_clear(&probs);
		return KEFU_EXIT_USAGE;
	}
	kefu_vendor_problems_clear(&probs);
	if (rc) {
		cli_print_err(&err);
		return cli_exit_for(rc);
	}
	if (card->vendor && strcmp(card->vendor, vendor)) {
		cli_errorf("%s: the card is for vendor '%s', not '%s'", o.card, card->vendor, vendor);
		kefu_vendor_card_free(card);
		return KEFU_EXIT_USAGE;
	}
	const char *assessor = o.assessor ? o.assessor : card->assessor;
	const char *date = o.date ? o.date : card->date;
	char today[16];
	if (!date) {
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(today, sizeof today, "%Y-%m-%d", &tm);
		date = today;
	}
	if (!assessor) {
		kefu_vendor_card_free(card);
		return cli_usage_error("vendor score", "who assessed? give --assessor NAME (or assessor: in the card)");
	}
	int64_t day;
	if (strlen(date) != 10 || kefu_day_parse(date, 10, &day)) {
		kefu_vendor_card_free(card);
		return cli_usage_error("vendor score", "--date: expected YYYY-MM-DD, got '%s'", date);
	}
	char *dir_copy = strdup(o.card);
	kefu_vendor_card_check_evidence(card, dir_copy ? dirname(dir_copy) : ".");
	free(dir_copy);
	kefu_vendor_score sc;
	kefu_vendor_card_score(card, &sc);
	for (size_t i = 0; i < card->n; i++) {
		const kefu_vendor_criterion *k = &card->c[i];
		if (k->evidence && !k->evidence_found)
			fprintf(stderr, "kefu: warning: %s:%ld: %s: evidence '%s' not found\n", o.card,
				k->line, k->id, k->evidence);
	}
	if (o.dry_run) {
		printf("%s (not recorded): ", vendor);
		print_score("", &sc);
		kefu_vendor_card_free(card);
		return 0;
	}
	kefu_store *st = NULL;
	if ((rc = open_store(&st, &o, 1))) {
		kefu_vendor_card_free(card);
		return rc;
	}
	int64_t aid = 0;
	rc = kefu_vendor_assess(st, vendor, card, assessor, date, o.card, &aid, &err);
	kefu_store_close(st);
	if (rc) {
		kefu_vendor_card_free(card);
		return lib_exit(&err);
	}
	printf("recorded assessment #%lld of %s (%s, %s): ", (long long)aid, vendor, assessor, date);
	print_score("", &sc);
	kefu_vendor_card_free(card);
	return 0;
}

/* ----------------------------------------------------------------- rank */

static int sub_rank(int argc, char **argv)
{
	vopts o;
	int rc = parse(&o, "vendor rank", argc, argv);
	if (rc >= 0)
		return rc;
	if (o.nargs)
		return cli_usage_error("vendor rank", "unexpected argument '%s'", o.args[0]);
	kefu_store *st = NULL;
	if ((rc = open_store(&st, &o, 0)))
		return rc;
	kefu_err err = KEFU_ERR_INIT;
	kefu_table *t = NULL;
	rc = kefu_vendor_rank(&t, st, &err);
	kefu_store_close(st);
	if (rc)
		return lib_exit(&err);
	rc = write_table(t, &o, NULL);
	kefu_table_free(t);
	return rc;
}

/* -------------------------------------------------------------- compare */

static const char *const compare_term_columns[] = {
	"segment", "window", "group", "consults", "received", "reply_rate", "first_resp_s",
	"three_min_rate", "inquiries", "conv_rate", "sales_fen", "aov", "dsr_service",
	"share_of_paid", "provisional", NULL};

static int sub_compare(int argc, char **argv)
{
	vopts o;
	int rc = parse(&o, "vendor compare", argc, argv);
	if (rc >= 0)
		return rc;
	kefu_err err = KEFU_ERR_INIT;
	kefu_coverage cov;
	if (o.coverage && kefu_coverage_parse(&cov, o.coverage, strlen(o.coverage), &err))
		return cli_usage_error("vendor compare", "--coverage: %s", err.msg);
	o.so.files = o.args;
	o.so.nfiles = o.nargs;
	char *def = NULL;
	if (!o.so.db && o.so.nfiles == 0) {
		def = cli_default_db();
		o.so.db = def;
	}
	if (o.so.db && o.so.nfiles) {
		free(def);
		return cli_usage_error("vendor compare", "use either --db or FILEs, not both");
	}
	/* display names of the vendors in the store */
	kefu_vendor **vs = NULL;
	size_t nv = 0;
	const char **ids = NULL, **labels = NULL;
	if (o.so.db) {
		kefu_store *st = NULL;
		if (kefu_store_open_ex(&st, o.so.db, KEFU_STORE_NOCREATE, &err) == 0) {
			if (kefu_vendor_list(&vs, &nv, st, &err))
				nv = 0;
			kefu_store_close(st);
		}
		kefu_err_clear(&err);
		ids = calloc(nv + 1, sizeof *ids);
		labels = calloc(nv + 1, sizeof *labels);
		for (size_t i = 0; ids && labels && i < nv; i++) {
			ids[i] = vs[i]->id;
			labels[i] = vs[i]->name;
		}
	}
	kpi_session s;
	kefu_table *t = NULL;
	rc = input_opts_prepare(&o.so.in, "vendor compare");
	if (!rc)
		rc = kpi_session_run(&s, &o.so);
	else
		memset(&s, 0, sizeof s);
	if (!rc) {
		kefu_vendor_compare_opts co = KEFU_VENDOR_COMPARE_OPTS_INIT;
		co.from_day = s.ropts.from_day;
		co.to_day = s.ropts.to_day;
		co.shops = s.ropts.shops;
		co.n_shops = s.ropts.n_shops;
		co.coverage = o.coverage ? &cov : NULL;
		co.shop_settings = s.vs;
		co.n_shop_settings = s.nvs;
		co.label_ids = ids && labels ? ids : NULL;
		co.labels = labels;
		co.n_labels = ids && labels ? nv : 0;
		if (kefu_vendor_compare(&t, s.ds, s.res, &co, &err) || kpi_session_meta(&s, t)) {
			cli_print_err(&err);
			rc = KEFU_EXIT_FAIL;
		} else {
			rc = write_table(t, &o, compare_term_columns);
			if (!rc && s.rejected) {
				fprintf(stderr, "kefu: %ld input rows rejected\n", s.rejected);
				rc = KEFU_EXIT_REJECTED;
			}
		}
	}
	kefu_table_free(t);
	kpi_session_free(&s);
	input_opts_free(&o.so.in);
	for (size_t i = 0; i < nv; i++)
		kefu_vendor_free(vs[i]);
	kefu_free(vs);
	free(ids);
	free(labels);
	free(def);
	return rc;
}

/* ------------------------------------------------------------- template */

static int sub_template(int argc, char **argv)
{
	vopts o;
	int rc = parse(&o, "vendor template", argc, argv);
	if (rc >= 0)
		return rc;
	size_t len;
	const char *text = kefu_vendor_default_card(&len);
	if (o.nouts == 0 || (o.nouts == 1 && !strcmp(o.outs[0], "-"))) {
		if (fwrite(text, 1, len, stdout) != len)
			return KEFU_EXIT_IO;
		return 0;
	}
	for (int i = 0; i < o.nouts; i++) {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", o.outs[i]);
		FILE *f = fopen(tmp, "wb");
		int bad = !f || fwrite(text, 1, len, f) != len;
		if (f && fclose(f))
			bad = 1;
		if (bad || rename(tmp, o.outs[i])) {
			remove(tmp);
			cli_errorf("%s: cannot write", o.outs[i]);
			return KEFU_EXIT_IO;
		}
	}
	return 0;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} subs[] = {
	{"add", sub_add},         {"list", sub_list},       {"show", sub_show},
	{"score", sub_score},     {"rank", sub_rank},       {"compare", sub_compare},
	{"template", sub_template}, {NULL, NULL},
};

int cmd_vendor(int argc, char **argv)
{
	if (argc < 2) {
		help(stderr);
		return KEFU_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		help(stdout);
		return KEFU_EXIT_OK;
	}
	for (size_t i = 0; subs[i].name; i++)
		if (!strcmp(subs[i].name, argv[1]))
			return subs[i].run(argc - 1, argv + 1);
	return cli_usage_error("vendor", "unknown subcommand '%s' (add, list, show, score, rank, "
					 "compare, template)",
			       argv[1]);
}
