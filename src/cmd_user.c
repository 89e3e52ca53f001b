/*
 * cmd_user.c - `kefu user add|passwd|del|list` (and `token`, in
 * cmd_user_token.c): the dashboard's users in
 * the store (auth.h). Passwords are read from stdin (first line), never
 * from the command line, where other users could see them.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "kefu/auth.h"

static void usage(FILE *f)
{
	fputs("Usage: kefu user add    --db DB --name N --role R [--shops S1,S2] [--agent A] [--team T]\n"
	      "       kefu user passwd --db DB --name N\n"
	      "       kefu user del    --db DB --name N\n"
	      "       kefu user list   --db DB [--format table|json]\n"
	      "       kefu user token add|list|revoke ...   API tokens ('kefu user token --help')\n\n"
	      "Manages the users of 'kefu serve'. add and passwd read the password from the\n"
	      "first line of stdin. Roles:\n"
	      "  admin       the provider: every shop, agent and user\n"
	      "  supervisor  the agents of its teams (--team, repeatable or comma-separated)\n"
	      "  merchant    its own shops, read-only (--shops, required)\n"
	      "  agent       its own sub-account (--agent, required)\n"
	      "--shops also limits a supervisor or agent to those shops.\n\n"
	      "Options:\n"
	      "      --db DB        the store (default $KEFU_DB or $XDG_DATA_HOME/kefu/kefu.db)\n"
	      "      --name N       user name (1-64 bytes)\n"
	      "      --role R       admin, supervisor, merchant or agent\n"
	      "      --shops LIST   comma-separated shop names\n"
	      "      --agent A      agent sub-account\n"
	      "      --team T       team name (repeatable)\n"
	      "      --format F     list: table (default) or json\n"
	      "      --hash-cost C  Argon2id cost: interactive (default), moderate, or min\n"
	      "                     (min is for tests only)\n"
	      "  -h, --help         show this help\n\n"
	      "Exit: 0 ok, 1 failure (no such user, user exists), 2 usage, 5 store.\n",
	      f);
}

/* First line of stdin; on a terminal with a prompt and without echo. */
static int read_password(char *buf, size_t cap)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fprintf(stderr, "password: ");
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	char *got = fgets(buf, (int)cap, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fputc('\n', stderr);
	}
	if (!got)
		return -1;
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return n ? 0 : -1;
}

static int list_users(kefu_store *st, int json)
{
	kefu_user **v = NULL;
	size_t n = 0;
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_user_list(st, &v, &n, &err)) {
		cli_print_err(&err);
		return KEFU_EXIT_STORE;
	}
	json_t *arr = json ? json_array() : NULL;
	if (!json)
		printf("%-20s %-10s %-24s %-16s %s\n", "name", "role", "shops", "agent", "teams");
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; i < n; i++) {
		kefu_user *u = v[i];
		json_t *shops = json_array(), *teams = json_array();
		for (size_t k = 0; k < u->n_shops; k++)
			json_array_append_new(shops, json_string(u->shops[k]));
		for (size_t k = 0; k < u->n_teams; k++)
			json_array_append_new(teams, json_string(u->teams[k]));
		if (json) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:o*, s:o, s:b}", "name",
							     u->name, "role", kefu_role_name(u->role),
							     "shops", shops, "agent",
							     u->agent ? json_string(u->agent) : NULL,
							     "teams", teams, "locked",
							     u->locked_until > now));
			continue;
		}
		char *sh = json_dumps(shops, JSON_COMPACT), *tm = json_dumps(teams, JSON_COMPACT);
		printf("%-20s %-10s %-24s %-16s %s%s\n", u->name, kefu_role_name(u->role), sh ? sh : "",
		       u->agent ? u->agent : "-", tm ? tm : "", u->locked_until > now ? " (locked)" : "");
		free(sh);
		free(tm);
		json_decref(shops);
		json_decref(teams);
	}
	if (json)
		cli_print_json(arr);
	kefu_user_list_free(v, n);
	return KEFU_EXIT_OK;
}

int cmd_user(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, 0, 0},    {"name", required_argument, 0, 0},
		{"role", required_argument, 0, 0},  {"shops", required_argument, 0, 0},
		{"agent", required_argument, 0, 0}, {"team", required_argument, 0, 0},
		{"format", required_argument, 0, 0}, {"hash-cost", required_argument, 0, 0},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0}};
	if (argc < 2) {
		usage(stderr);
		return KEFU_EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		usage(stdout);
		return KEFU_EXIT_OK;
	}
	if (!strcmp(sub, "token"))
		return cmd_user_token(argc - 1, argv + 1);
	if (strcmp(sub, "add") && strcmp(sub, "passwd") && strcmp(sub, "del") && strcmp(sub, "list"))
		return cli_usage_error("user", "expected add, passwd, del, list or token, got '%s'",
				       sub);
	const char *db = NULL, *role = NULL, *format = "table";
	kefu_auth_opts ao = KEFU_AUTH_OPTS_INIT;
	kefu_user u;
	memset(&u, 0, sizeof u);
	int c, idx, rc = KEFU_EXIT_OK, have_role = 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			goto done;
		}
		if (c != 0) {
			rc = cli_usage_error("user", "invalid option");
			goto done;
		}
		const char *n = longopts[idx].name;
		if (!strcmp(n, "db"))
			db = optarg;
		else if (!strcmp(n, "name"))
			u.name = optarg;
		else if (!strcmp(n, "role"))
			role = optarg;
		else if (!strcmp(n, "agent"))
			u.agent = optarg;
		else if (!strcmp(n, "format"))
			format = optarg;
		else if (!strcmp(n, "hash-cost")) {
			if (kefu_auth_cost_parse(optarg, &ao)) {
				rc = cli_usage_error("user", "--hash-cost: expected interactive, moderate or min");
				goto done;
			}
		}
		else if (kefu_user_add_list(!strcmp(n, "shops") ? &u.shops : &u.teams,
					    !strcmp(n, "shops") ? &u.n_shops : &u.n_teams, optarg)) {
			rc = KEFU_EXIT_FAIL;
			goto done;
		}
	}
	if (optind < argc) {
		rc = cli_usage_error("user", "unexpected argument '%s'", argv[optind]);
		goto done;
	}
	int is_add = !strcmp(sub, "add"), is_list = !strcmp(sub, "list");
	if (role) {
		if (!is_add || kefu_role_parse(role, &u.role)) {
			rc = cli_usage_error("user", is_add ? "--role: expected admin, supervisor, merchant or agent"
							    : "--role is only for add");
			goto done;
		}
		have_role = 1;
	}
	if (!is_add && (u.agent || u.n_shops || u.n_teams)) {
		rc = cli_usage_error("user", "--shops, --agent and --team are only for add");
		goto done;
	}
	if (is_add && !have_role) {
		rc = cli_usage_error("user", "add needs --role");
		goto done;
	}
	if (!is_list && !u.name) {
		rc = cli_usage_error("user", "%s needs --name", sub);
		goto done;
	}
	if (strcmp(format, "table") && strcmp(format, "json")) {
		rc = cli_usage_error("user", "--format: expected table or json");
		goto done;
	}
	kefu_err err = KEFU_ERR_INIT;
	if (is_add && kefu_user_validate(&u, &err)) {
		rc = cli_usage_error("user", "%s", err.msg);
		goto done;
	}
	char *def = db ? NULL : cli_default_db();
	kefu_store *st = NULL;
	kefu_auth *a = NULL;
	char pw[1100];
	pw[0] = '\0';
	if ((is_add || !strcmp(sub, "passwd")) && read_password(pw, sizeof pw)) {
		cli_errorf("user: no password on stdin");
		rc = KEFU_EXIT_USAGE;
		goto close;
	}
	if ((is_add ? kefu_store_open(&st, db ? db : def, &err)
		    : kefu_store_open_ex(&st, db ? db : def, KEFU_STORE_NOCREATE, &err)) ||
	    kefu_auth_store_init(st, &err)) {
		cli_print_err(&err);
		rc = KEFU_EXIT_STORE;
		goto close;
	}
	if (is_list) {
		rc = list_users(st, !strcmp(format, "json"));
		goto close;
	}
	if (!strcmp(sub, "del")) {
		int r = kefu_user_del(st, u.name, &err);
		if (r) {
			cli_print_err(&err);
			rc = r == KEFU_ENOTFOUND ? KEFU_EXIT_FAIL : KEFU_EXIT_STORE;
		}
		goto close;
	}
	if (kefu_auth_new(&a, &ao, &err)) {
		cli_print_err(&err);
		rc = KEFU_EXIT_FAIL;
		goto close;
	}
	int r = is_add ? kefu_user_add(a, st, &u, pw, (int64_t)time(NULL), &err)
		       : kefu_user_passwd(a, st, u.name, pw, &err);
	if (r) {
		cli_print_err(&err);
		rc = r == KEFU_ESTORE ? KEFU_EXIT_STORE : r == KEFU_EINVAL ? KEFU_EXIT_USAGE : KEFU_EXIT_FAIL;
	}
close:
	memset(pw, 0, sizeof pw);
	kefu_auth_free(a);
	kefu_store_close(st);
	free(def);
done:
	for (size_t i = 0; i < u.n_shops; i++)
		free(u.shops[i]);
	for (size_t i = 0; i < u.n_teams; i++)
		free(u.teams[i]);
	free(u.shops);
	free(u.teams);
	return rc;
}
