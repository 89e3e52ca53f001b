/*
 * cmd_user_token.c - `kefu user token add|list|revoke`: API tokens for
 * scripts and BI tools that call `kefu serve` (auth.h, docs/SERVER.md).
 * A new token is printed once, on stdout; the store keeps only its hash.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_util.h"
#include "commands.h"
#include "kefu/auth.h"

static void usage(FILE *f)
{
	fputs("Usage: kefu user token add    --db DB --name USER --label TEXT [--days N]\n"
	      "       kefu user token list   --db DB [--name USER] [--format table|json]\n"
	      "       kefu user token revoke --db DB --id ID\n\n"
	      "API tokens let scripts call 'kefu serve' as USER, with USER's rights:\n"
	      "  curl -H 'Authorization: Bearer kefu_...' http://127.0.0.1:8080/api/v1/kpi\n"
	      "add prints the new token once; the store keeps only its hash. Deleting the\n"
	      "user deletes its tokens.\n\n"
	      "Options:\n"
	      "      --db DB        the store (default $KEFU_DB or $XDG_DATA_HOME/kefu/kefu.db)\n"
	      "      --name USER    the user the token acts as (list: only that user's)\n"
	      "      --label TEXT   what the token is for, e.g. 'nightly BI export'\n"
	      "      --days N       valid for N days (default: until revoked)\n"
	      "      --id ID        the token to revoke (from list)\n"
	      "      --format F     list: table (default) or json\n"
	      "  -h, --help         show this help\n\n"
	      "Exit: 0 ok, 1 no such user or token, 2 usage, 5 store.\n",
	      f);
}

static void fmt_time(int64_t t, char *buf, size_t cap)
{
	if (!t) {
		snprintf(buf, cap, "-");
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int list_tokens(kefu_store *st, const char *user, int json)
{
	kefu_api_token *v = NULL;
	size_t n = 0;
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_api_token_list(st, user, &v, &n, &err)) {
		cli_print_err(&err);
		return KEFU_EXIT_STORE;
	}
	json_t *arr = json ? json_array() : NULL;
	if (!json)
		printf("%-6s %-20s %-21s %-21s %-21s %s\n", "id", "user", "created", "expires",
		       "last used", "label");
	for (size_t i = 0; i < n; i++) {
		char c[32], e[32], l[32];
		fmt_time(v[i].created, c, sizeof c);
		fmt_time(v[i].expires, e, sizeof e);
		fmt_time(v[i].last_used, l, sizeof l);
		if (json)
			json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s?}", "id",
							     (json_int_t)v[i].id, "user", v[i].user,
							     "label", v[i].label, "created", c,
							     "expires", v[i].expires ? e : NULL,
							     "last_used", v[i].last_used ? l : NULL));
		else
			printf("%-6" PRId64 " %-20s %-21s %-21s %-21s %s\n", v[i].id, v[i].user, c, e, l,
			       v[i].label);
	}
	if (json)
		cli_print_json(arr);
	kefu_api_token_list_free(v, n);
	return KEFU_EXIT_OK;
}

int cmd_user_token(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, 0, 0},     {"name", required_argument, 0, 0},
		{"label", required_argument, 0, 0},  {"days", required_argument, 0, 0},
		{"id", required_argument, 0, 0},     {"format", required_argument, 0, 0},
		{"help", no_argument, 0, 'h'},	     {0, 0, 0, 0}};
	if (argc < 2) {
		usage(stderr);
		return KEFU_EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		usage(stdout);
		return KEFU_EXIT_OK;
	}
	if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "revoke"))
		return cli_usage_error("user token", "expected add, list or revoke, got '%s'", sub);
	const char *db = NULL, *name = NULL, *label = NULL, *format = "table";
	long days = 0;
	int64_t id = 0;
	int c, idx;
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return KEFU_EXIT_OK;
		}
		if (c != 0)
			return cli_usage_error("user token", "invalid option");
		const char *o = longopts[idx].name;
		char *end;
		if (!strcmp(o, "db"))
			db = optarg;
		else if (!strcmp(o, "name"))
			name = optarg;
		else if (!strcmp(o, "label"))
			label = optarg;
		else if (!strcmp(o, "format"))
			format = optarg;
		else if (!strcmp(o, "days")) {
			days = strtol(optarg, &end, 10);
			if (*end || days < 1 || days > 3650)
				return cli_usage_error("user token", "--days: expected 1..3650, got '%s'",
						       optarg);
		} else {
			long long v = strtoll(optarg, &end, 10);
			if (*end || v < 1)
				return cli_usage_error("user token", "--id: expected a token id, got '%s'",
						       optarg);
			id = v;
		}
	}
	if (optind < argc)
		return cli_usage_error("user token", "unexpected argument '%s'", argv[optind]);
	int is_add = !strcmp(sub, "add"), is_list = !strcmp(sub, "list");
	if (is_add && (!name || !label))
		return cli_usage_error("user token", "add needs --name and --label");
	if (!strcmp(sub, "revoke") && !id)
		return cli_usage_error("user token", "revoke needs --id");
	if (strcmp(format, "table") && strcmp(format, "json"))
		return cli_usage_error("user token", "--format: expected table or json");
	char *def = db ? NULL : cli_default_db();
	kefu_store *st = NULL;
	kefu_err err = KEFU_ERR_INIT;
	int rc = KEFU_EXIT_OK;
	if (kefu_store_open_ex(&st, db ? db : def, KEFU_STORE_NOCREATE, &err) ||
	    kefu_auth_store_init(st, &err)) {
		cli_print_err(&err);
		rc = KEFU_EXIT_STORE;
		goto out;
	}
	if (is_list) {
		rc = list_tokens(st, name, !strcmp(format, "json"));
		goto out;
	}
	int r;
	if (is_add) {
		char tok[KEFU_API_TOKEN_LEN + 1];
		int64_t now = (int64_t)time(NULL), tid = 0;
		r = kefu_api_token_add(st, name, label, now, days ? now + days * 86400 : 0, tok, &tid,
				       &err);
		if (!r) {
			printf("%s\n", tok);
			fprintf(stderr, "kefu: token %" PRId64 " for %s; it is shown only now\n", tid,
				name);
			memset(tok, 0, sizeof tok);
		}
	} else {
		r = kefu_api_token_revoke(st, id, &err);
	}
	if (r) {
		cli_print_err(&err);
		rc = r == KEFU_ENOTFOUND	 ? KEFU_EXIT_FAIL
		     : r == KEFU_EINVAL ? KEFU_EXIT_USAGE
					: KEFU_EXIT_STORE;
	}
out:
	kefu_store_close(st);
	free(def);
	return rc;
}
