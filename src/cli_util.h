/*
 * cli_util.h - helpers shared by the front-end commands: error printing in
 * the `kefu: error: file:line:col: reason` form, color/TTY detection, and
 * mapping library error codes to exit codes.
 */
#ifndef KEFU_CLI_UTIL_H
#define KEFU_CLI_UTIL_H

#include "kefu/common.h"

/* Prints "kefu: error: [file:line:col: ]msg" to stderr. */
void cli_print_err(const kefu_err *err);
/* Prints "kefu: error: <fmt>" to stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "kefu: <cmd>: usage error: <fmt>" plus a hint to stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Library error code to CLI exit code. */
int cli_exit_for(int code);
/* 1 when stderr is a TTY (progress allowed). */
int cli_stderr_tty(void);
/* 1 when colors may be used on stdout: a TTY and NO_COLOR unset. */
int cli_color_ok(void);
/* Default store path: $KEFU_DB, else $XDG_DATA_HOME/kefu/kefu.db, else
 * ~/.local/share/kefu/kefu.db. Creates the directory. Caller frees. */
char *cli_default_db(void);
/* Prints "kind: read N, added N, unchanged N, updated N, conflicts N,
 * rejected N" for each kind of an import run that was read or is marked in
 * seen (indexed by kefu_kind; NULL = every kind). */
struct kefu_import_stats;
void cli_print_import_counts(const struct kefu_import_stats *s, const int *seen);
/* Prints v (a jansson value) indented on stdout, then releases it. */
struct json_t;
void cli_print_json(struct json_t *v);

#endif
