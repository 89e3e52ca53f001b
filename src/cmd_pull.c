/*
 * cmd_pull.c - `kefu pull --pg CONNINFO --db PATH`: imports a PostgreSQL
 * schema written by `kefu push` into a local store (pg_pull.h,
 * docs/SCALE.md) and prints the import counts. The connection string is
 * never printed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "kefu/pg_pull.h"
#include "kefu/pg_push.h"
#include "kefu/store.h"

static void help(FILE *out)
{
	fputs("Usage: kefu pull [--db PATH] [--pg CONNINFO] [--schema NAME] [--shop S]...\n\n"
	      "Imports what `kefu push` wrote to PostgreSQL (every shop, or the --shop ones)\n"
	      "into a local store, as one import run: every kefu command then works on the\n"
	      "shops of many machines. Pulling again adds only what is new (messages by\n"
	      "segment; orders and the rest are compared as in an import). Each shop keeps\n"
	      "the settings of the store it came from.\n\n"
	      "Options:\n"
	      "      --db PATH        the local store (created when missing; default $KEFU_DB,\n"
	      "                       else $XDG_DATA_HOME/kefu/kefu.db)\n"
	      "      --pg CONNINFO    libpq connection string or URI (default $KEFU_PG)\n"
	      "      --schema NAME    PostgreSQL schema (default kefu)\n"
	      "      --shop S         only shop S (may repeat; each must exist)\n"
	      "  -h, --help           show this help\n\n"
	      "Exit status: 0 ok, 1 refused (no such schema or shop, a newer schema, a row\n"
	      "kefu would not import), 2 usage, 4 PostgreSQL error, 5 store error.\n",
	      out);
}

int cmd_pull(int argc, char **argv)
{
	enum { O_DB = 1000, O_PG, O_SCHEMA, O_SHOP };
	static const struct option longopts[] = {
		{"db", required_argument, NULL, O_DB},
		{"pg", required_argument, NULL, O_PG},
		{"schema", required_argument, NULL, O_SCHEMA},
		{"shop", required_argument, NULL, O_SHOP},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = NULL, *pg = getenv("KEFU_PG"), *schema = "kefu";
	const char **shops = calloc((size_t)argc + 1, sizeof *shops);
	size_t nshops = 0;
	if (!shops) {
		cli_errorf("out of memory");
		return KEFU_EXIT_FAIL;
	}
	int opt, ret = KEFU_EXIT_OK;
	kefu_err err = KEFU_ERR_INIT;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_DB: db = optarg; break;
		case O_PG: pg = optarg; break;
		case O_SCHEMA: schema = optarg; break;
		case O_SHOP: shops[nshops++] = optarg; break;
		case 'h': help(stdout); free(shops); return KEFU_EXIT_OK;
		case ':':
			ret = cli_usage_error("pull", "option '%s' needs a value", argv[optind - 1]);
			goto out;
		default:
			ret = cli_usage_error("pull", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		ret = cli_usage_error("pull", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!pg) {
		ret = cli_usage_error("pull", "from where? give --pg CONNINFO or set KEFU_PG");
		goto out;
	}
	if (!kefu_pg_schema_ok(schema)) {
		ret = cli_usage_error("pull",
				      "schema name '%s': use lower-case letters, digits and '_'",
				      schema);
		goto out;
	}
	char *dbpath = db ? strdup(db) : cli_default_db();
	if (!dbpath) {
		cli_errorf("out of memory");
		ret = KEFU_EXIT_FAIL;
		goto out;
	}
	kefu_store *st = NULL;
	if (kefu_store_open(&st, dbpath, &err)) {
		cli_print_err(&err);
		free(dbpath);
		ret = KEFU_EXIT_STORE;
		goto out;
	}
	kefu_pg_pull_opts o = {pg, schema, nshops ? shops : NULL, nshops};
	kefu_pg_pull_stats s;
	int rc = kefu_pg_pull(st, &o, &s, &err);
	if (rc) {
		cli_print_err(&err);
		cli_errorf("pull rolled back: nothing was written to the store");
		ret = rc == KEFU_EINVAL ? KEFU_EXIT_FAIL : cli_exit_for(rc);
	} else {
		printf("pulled %ld shops from schema %s (%ld settings rows)\n", s.shops, schema,
		       s.settings);
		cli_print_import_counts(kefu_store_import_stats(st), NULL);
	}
	kefu_store_close(st);
	free(dbpath);
out:
	free(shops);
	return ret;
}
