/*
 * cli_util.c - front-end helpers: error formatting, TTY checks, exit codes.
 */
#include "cli_util.h"
#include "commands.h"
#include "kefu/store.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cli_print_err(const kefu_err *err)
{
	if (err->file[0] && err->line > 0 && err->col > 0)
		fprintf(stderr, "kefu: error: %s:%ld:%ld: %s\n", err->file, err->line, err->col,
			err->msg);
	else if (err->file[0] && err->line > 0)
		fprintf(stderr, "kefu: error: %s:%ld: %s\n", err->file, err->line, err->msg);
	else if (err->file[0])
		fprintf(stderr, "kefu: error: %s: %s\n", err->file, err->msg);
	else
		fprintf(stderr, "kefu: error: %s\n", err->msg[0] ? err->msg : "unknown error");
}

void cli_errorf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("kefu: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "kefu: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'kefu %s --help' for more information.\n", cmd);
	va_end(ap);
	return KEFU_EXIT_USAGE;
}

int cli_exit_for(int code)
{
	switch (code) {
	case KEFU_OK:
		return KEFU_EXIT_OK;
	case KEFU_EINVAL:
		return KEFU_EXIT_USAGE;
	case KEFU_EIO:
		return KEFU_EXIT_IO;
	case KEFU_ESTORE:
		return KEFU_EXIT_STORE;
	default:
		return KEFU_EXIT_FAIL;
	}
}

int cli_stderr_tty(void) { return isatty(STDERR_FILENO); }

int cli_color_ok(void)
{
	const char *nc = getenv("NO_COLOR");
	if (nc && nc[0])
		return 0;
	return isatty(STDOUT_FILENO);
}

static int mkdir_p(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST) {
				*p = '/';
				return -1;
			}
			*p = '/';
		}
	}
	return 0;
}

char *cli_default_db(void)
{
	const char *env = getenv("KEFU_DB");
	if (env && env[0])
		return strdup(env);
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char buf[4096];
	if (xdg && xdg[0])
		snprintf(buf, sizeof buf, "%s/kefu/kefu.db", xdg);
	else
		snprintf(buf, sizeof buf, "%s/.local/share/kefu/kefu.db", home ? home : ".");
	mkdir_p(buf);
	return strdup(buf);
}

void cli_print_json(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_INDENT(2)) : NULL;
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(v);
}

void cli_print_import_counts(const kefu_import_stats *s, const int *seen)
{
	for (int k = KEFU_KIND_NONE + 1; k < KEFU_KIND_COUNT; k++) {
		const kefu_import_counts *c = &s->kind[k];
		if (seen && !seen[k] && !c->read)
			continue;
		printf("%s: read %ld, added %ld, unchanged %ld, updated %ld, conflicts %ld, "
		       "rejected %ld\n",
		       kefu_kind_name((kefu_kind)k), c->read, c->added, c->unchanged, c->updated,
		       c->conflicts, c->rejected);
	}
}
