/*
 * cmd_settings.c - `kefu settings`: shows or sets the per-shop settings of
 * metrics.md section 2 kept in the store, versioned by the business day
 * from which they apply. Settings without --shop apply to every shop; a
 * shop's own settings win over them.
 */
#include "cli_util.h"
#include "commands.h"
#include "kefu/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *out)
{
	fprintf(out,
		"Usage: kefu settings [--db PATH] [--shop S] [--from YYYY-MM-DD] [KEY=VALUE...]\n\n"
		"With KEY=VALUE pairs, stores them for shop S (default: every shop) effective\n"
		"from business day --from (default: from the beginning). Without pairs, prints\n"
		"the versions in force for the shop (or for every shop) as from, key, value;\n"
		"with --from, only the version in force on that day.\n\n"
		"Keys:");
	size_t col = 5;
	for (size_t i = 0; i < kefu_settings_key_count(); i++) {
		const char *k = kefu_settings_key(i);
		if (col + strlen(k) + 2 > 78) {
			fputs(i ? ",\n " : "\n ", out);
			col = 1;
		} else if (i) {
			fputc(',', out);
			col++;
		}
		fprintf(out, " %s", k);
		col += strlen(k) + 1;
	}
	fprintf(out, "\n\nOptions:\n"
		     "      --db PATH         the store (default $KEFU_DB, else\n"
		     "                        $XDG_DATA_HOME/kefu/kefu.db)\n"
		     "      --shop S          the shop (default: every shop, '*')\n"
		     "      --from YYYY-MM-DD first business day the values apply to\n"
		     "  -h, --help            show this help\n\n"
		     "Exit status: 0 ok, 2 usage or invalid setting, 5 store error.\n");
}

static int show(kefu_store *st, const char *shop, int have_from, int64_t from_day,
		kefu_err *err)
{
	kefu_settings base;
	kefu_settings_versions vs;
	int rc = kefu_settings_init(&base, err);
	if (rc)
		return rc;
	rc = kefu_store_settings_versions(st, shop, &base, &vs, err);
	kefu_settings_clear(&base);
	if (rc)
		return rc;
	printf("# settings for %s\n", shop ? shop : "every shop (*)");
	printf("%-10s  %-22s  %s\n", "from", "key", "value");
	for (size_t v = 0; v < vs.n; v++) {
		if (have_from && &vs.v[v] != kefu_settings_at(&vs, from_day))
			continue;
		char day[16], val[4096];
		if (vs.from_day[v] == INT64_MIN)
			snprintf(day, sizeof day, "beginning");
		else
			kefu_day_format(vs.from_day[v], day);
		for (size_t k = 0; k < kefu_settings_key_count(); k++) {
			kefu_settings_value(&vs.v[v], k, val, sizeof val);
			printf("%-10s  %-22s  %s\n", day, kefu_settings_key(k), val);
		}
	}
	kefu_settings_versions_clear(&vs);
	return 0;
}

int cmd_settings(int argc, char **argv)
{
	enum { O_DB = 1000, O_SHOP, O_FROM };
	static const struct option longopts[] = {
		{"db", required_argument, NULL, O_DB},
		{"shop", required_argument, NULL, O_SHOP},
		{"from", required_argument, NULL, O_FROM},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = NULL, *shop = NULL;
	int64_t from_day = INT64_MIN;
	int have_from = 0, opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_DB: db = optarg; break;
		case O_SHOP: shop = optarg; break;
		case O_FROM:
			if (kefu_day_parse(optarg, strlen(optarg), &from_day))
				return cli_usage_error("settings", "--from: invalid date '%s' "
								   "(expected YYYY-MM-DD)", optarg);
			have_from = 1;
			break;
		case 'h': help(stdout); return KEFU_EXIT_OK;
		case ':':
			return cli_usage_error("settings", "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("settings", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (shop && (!shop[0] || !strcmp(shop, "*")))
		shop = NULL;

	/* validate every pair before writing any */
	kefu_err err = KEFU_ERR_INIT;
	kefu_settings scratch;
	int rc;
	if (optind < argc) {
		if ((rc = kefu_settings_init(&scratch, &err))) {
			cli_print_err(&err);
			return cli_exit_for(rc);
		}
		for (int i = optind; i < argc; i++) {
			if ((rc = kefu_settings_apply_kv(&scratch, argv[i], &err))) {
				kefu_settings_clear(&scratch);
				cli_print_err(&err);
				return KEFU_EXIT_USAGE;
			}
		}
		kefu_settings_clear(&scratch);
	}

	char *dbpath = db ? strdup(db) : cli_default_db();
	kefu_store *st = NULL;
	int ret = KEFU_EXIT_OK;
	if (!dbpath) {
		cli_errorf("out of memory");
		return KEFU_EXIT_FAIL;
	}
	if ((rc = kefu_store_open(&st, dbpath, &err))) {
		cli_print_err(&err);
		free(dbpath);
		return KEFU_EXIT_STORE;
	}
	if (optind >= argc) {
		if ((rc = show(st, shop, have_from, from_day, &err))) {
			cli_print_err(&err);
			ret = cli_exit_for(rc);
		}
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t kl = (size_t)(eq - argv[i]);
		char *key = malloc(kl + 1);
		if (!key) {
			cli_errorf("out of memory");
			ret = KEFU_EXIT_FAIL;
			goto out;
		}
		memcpy(key, argv[i], kl);
		key[kl] = '\0';
		rc = kefu_store_settings_set(st, shop, key, eq + 1, from_day, &err);
		free(key);
		if (rc) {
			cli_print_err(&err);
			ret = cli_exit_for(rc);
			goto out;
		}
		char day[16];
		if (from_day == INT64_MIN)
			snprintf(day, sizeof day, "the beginning");
		else
			kefu_day_format(from_day, day);
		printf("set %s for %s from %s\n", argv[i], shop ? shop : "every shop", day);
	}
out:
	kefu_store_close(st);
	free(dbpath);
	return ret;
}
