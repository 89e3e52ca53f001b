/*
 * cmd_push.c - `kefu push --pg CONNINFO`: copies the store into a
 * PostgreSQL schema in one transaction (pg_push.h, docs/SCALE.md) and
 * prints what was sent. The connection string is never printed: it may
 * hold a password.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "kefu/pg_push.h"
#include "kefu/report.h"
#include "kefu/store.h"
#include "kefu/table.h"
#include "kpi_session.h"

static void help(FILE *out)
{
	fputs("Usage: kefu push [--db PATH] [--pg CONNINFO] [--schema NAME] [--kpi]\n\n"
	      "Copies the store into PostgreSQL, where the stores of many machines meet and\n"
	      "the published SQL computes KPIs over all their shops (docs/SCALE.md). One\n"
	      "transaction: a failed or killed push changes nothing, and the next push\n"
	      "sends only what is new. Messages go once; orders, ratings, evals, agents\n"
	      "and presence are upserted by key; settings are replaced. A shop belongs to\n"
	      "the store that pushed it first; a push from another store holding it fails.\n\n"
	      "Options:\n"
	      "      --db PATH        the store (default $KEFU_DB, else $XDG_DATA_HOME/kefu/kefu.db)\n"
	      "      --pg CONNINFO    libpq connection string or URI, e.g.\n"
	      "                       'host=db1 dbname=kefu user=kefu' or postgresql://db1/kefu\n"
	      "                       (default $KEFU_PG; libpq's PGHOST, PGPASSWORD, ~/.pgpass\n"
	      "                       and the rest apply as usual)\n"
	      "      --schema NAME    PostgreSQL schema (default kefu)\n"
	      "      --kpi            also store kefu's KPI rollup of the store (per shop, agent\n"
	      "                       and day, each shop under its own settings: what\n"
	      "                       `kefu kpi --db --format csv` prints) as table kpi_daily,\n"
	      "                       replacing this store's shops' rows, for BI tools\n"
	      "  -h, --help           show this help\n\n"
	      "Exit status: 0 ok, 1 refused (a shop of another store, a newer schema),\n"
	      "2 usage, 4 PostgreSQL error, 5 store error.\n",
	      out);
}

/* kefu's KPI rollup of the store, as `kefu kpi --db PATH --by agent --per
 * day` computes it (each shop under its own settings versions). */
static int kpi_rollup(const char *dbpath, kefu_table **out)
{
	kpi_session_opts ko;
	memset(&ko, 0, sizeof ko);
	ko.db = dbpath;
	ko.quiet = 1;
	kpi_session ks;
	int rc = kpi_session_run(&ks, &ko);
	if (rc) {
		kpi_session_free(&ks);
		return rc;
	}
	ks.ropts.by = KEFU_BY_AGENT;
	ks.ropts.per = KEFU_PER_DAY;
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_report_kpi(out, ks.ds, ks.res, &ks.ropts, &err)) {
		cli_print_err(&err);
		rc = KEFU_EXIT_FAIL;
	}
	kpi_session_free(&ks);
	return rc;
}

int cmd_push(int argc, char **argv)
{
	enum { O_DB = 1000, O_PG, O_SCHEMA, O_KPI };
	static const struct option longopts[] = {
		{"db", required_argument, NULL, O_DB},
		{"pg", required_argument, NULL, O_PG},
		{"schema", required_argument, NULL, O_SCHEMA},
		{"kpi", no_argument, NULL, O_KPI},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = NULL, *pg = getenv("KEFU_PG"), *schema = "kefu";
	int opt, with_kpi = 0;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_DB: db = optarg; break;
		case O_PG: pg = optarg; break;
		case O_SCHEMA: schema = optarg; break;
		case O_KPI: with_kpi = 1; break;
		case 'h': help(stdout); return KEFU_EXIT_OK;
		case ':': return cli_usage_error("push", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("push", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("push", "unexpected argument '%s'", argv[optind]);
	if (!pg)
		return cli_usage_error("push", "where to? give --pg CONNINFO or set KEFU_PG");
	if (!kefu_pg_schema_ok(schema))
		return cli_usage_error("push",
				       "schema name '%s': use lower-case letters, digits and '_'",
				       schema);
	kefu_err err = KEFU_ERR_INIT;
	char *dbpath = db ? strdup(db) : cli_default_db();
	if (!dbpath) {
		cli_errorf("out of memory");
		return KEFU_EXIT_FAIL;
	}
	kefu_store *st = NULL;
	if (kefu_store_open_ex(&st, dbpath, KEFU_STORE_NOCREATE, &err)) {
		cli_print_err(&err);
		free(dbpath);
		return KEFU_EXIT_STORE;
	}
	kefu_table *kpi = NULL;
	int ret = KEFU_EXIT_OK;
	if (with_kpi && (ret = kpi_rollup(dbpath, &kpi))) {
		kefu_store_close(st);
		free(dbpath);
		return ret;
	}
	kefu_pg_push_opts o = {pg, schema, kpi};
	kefu_pg_push_stats s;
	int rc = kefu_pg_push(st, &o, &s, &err);
	if (rc) {
		cli_print_err(&err);
		cli_errorf("push rolled back: nothing was written to PostgreSQL");
		ret = rc == KEFU_EINVAL ? KEFU_EXIT_FAIL : cli_exit_for(rc);
	} else {
		printf("pushed store %s to schema %s: %ld shops, %ld new message segments\n",
		       s.store_id, schema, s.shops, s.segments);
		for (int k = 0; k < KEFU_PG_KIND_COUNT; k++) {
			const kefu_pg_push_counts *c = &s.kind[k];
			if (k == KEFU_PG_MESSAGES || k == KEFU_PG_SETTINGS)
				printf("%s: sent %ld\n", kefu_pg_kind_name(k), c->sent);
			else
				printf("%s: sent %ld, added %ld, updated %ld, unchanged %ld\n",
				       kefu_pg_kind_name(k), c->sent, c->added, c->updated,
				       c->unchanged);
		}
		if (kpi)
			printf("kpi_daily: %ld rows\n", s.kpi_rows);
	}
	kefu_table_free(kpi);
	kefu_store_close(st);
	free(dbpath);
	return ret;
}
