/*
 * commands.h - the subcommand table shared by main.c and the cmd_*.c files.
 * Each command lives in its own src/cmd_<name>.c, parses its own options
 * with getopt_long, prints its own --help to stdout (exit 0) and returns one
 * of the KEFU_EXIT_* codes.
 */
#ifndef KEFU_COMMANDS_H
#define KEFU_COMMANDS_H

enum {
	KEFU_EXIT_OK = 0,
	KEFU_EXIT_FAIL = 1,
	KEFU_EXIT_USAGE = 2,
	KEFU_EXIT_REJECTED = 3,
	KEFU_EXIT_IO = 4,
	KEFU_EXIT_STORE = 5,
	KEFU_EXIT_INTERRUPTED = 130
};

typedef struct kefu_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;
} kefu_command;

int cmd_import(int argc, char **argv);
int cmd_kpi(int argc, char **argv);
int cmd_chats(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_settings(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_staff(int argc, char **argv);
int cmd_qa(int argc, char **argv);
int cmd_contract(int argc, char **argv);
int cmd_bill(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_pay(int argc, char **argv);
int cmd_payroll(int argc, char **argv);
int cmd_margin(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_user(int argc, char **argv);
/* kefu user token add|list|revoke (argv[0] = "token"). */
int cmd_user_token(int argc, char **argv);
int cmd_vendor(int argc, char **argv);
int cmd_review(int argc, char **argv);

#endif
