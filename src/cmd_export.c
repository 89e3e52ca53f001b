/*
 * cmd_export.c - `kefu export KIND`: writes the stored rows of one kind as
 * canonical CSV (formats.md), which `kefu import` reads back to the same
 * data. A file given with -o is written under a temporary name and renamed
 * into place only when complete.
 */
#include "cli_util.h"
#include "commands.h"
#include "kefu/store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void help(FILE *out)
{
	fprintf(out, "Usage: kefu export KIND [--db PATH] [-o FILE]\n\n"
		     "Writes every stored row of KIND (messages, orders, ratings, evals, agents,\n"
		     "presence) as canonical CSV, sorted by key, times in each shop's time zone.\n\n"
		     "Options:\n"
		     "      --db PATH   the store (default $KEFU_DB, else $XDG_DATA_HOME/kefu/kefu.db)\n"
		     "  -o, --output FILE  write to FILE ('-' or absent: stdout)\n"
		     "  -h, --help      show this help\n\n"
		     "Exit status: 0 ok, 2 usage, 4 output error, 5 store error.\n");
}

/* Exports into path through a temporary file in the same directory. */
static int export_to_file(kefu_store *st, kefu_kind kind, const char *path, kefu_err *err)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	if (!tmp)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp), rc;
	if (fd < 0) {
		rc = kefu_err_set(err, KEFU_EIO, "%s: %s", path, strerror(errno));
		free(tmp);
		return rc;
	}
	fchmod(fd, 0644);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		rc = kefu_err_set(err, KEFU_EIO, "%s: %s", path, strerror(errno));
		close(fd);
		goto fail;
	}
	rc = kefu_store_export(st, kind, f, err);
	if (fclose(f) != 0 && rc == 0)
		rc = kefu_err_set(err, KEFU_EIO, "%s: %s", path, strerror(errno));
	if (rc)
		goto fail;
	if (rename(tmp, path) != 0) {
		rc = kefu_err_set(err, KEFU_EIO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	enum { O_DB = 1000 };
	static const struct option longopts[] = {
		{"db", required_argument, NULL, O_DB},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = NULL, *outpath = NULL;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_DB: db = optarg; break;
		case 'o':
			if (outpath)
				return cli_usage_error("export", "-o given twice");
			outpath = optarg;
			break;
		case 'h': help(stdout); return KEFU_EXIT_OK;
		case ':': return cli_usage_error("export", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("export", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("export", "which kind? messages, orders, ratings, evals, "
						 "agents or presence");
	if (optind + 1 < argc)
		return cli_usage_error("export", "unexpected argument '%s'", argv[optind + 1]);
	kefu_kind kind = kefu_kind_parse(argv[optind]);
	if (kind == KEFU_KIND_NONE)
		return cli_usage_error("export", "unknown kind '%s'", argv[optind]);

	kefu_err err = KEFU_ERR_INIT;
	char *dbpath = db ? strdup(db) : cli_default_db();
	kefu_store *st = NULL;
	int rc, ret = KEFU_EXIT_OK;
	if (!dbpath) {
		cli_errorf("out of memory");
		return KEFU_EXIT_FAIL;
	}
	if ((rc = kefu_store_open_ex(&st, dbpath, KEFU_STORE_NOCREATE, &err))) {
		cli_print_err(&err);
		free(dbpath);
		return KEFU_EXIT_STORE;
	}
	if (!outpath || !strcmp(outpath, "-"))
		rc = kefu_store_export(st, kind, stdout, &err);
	else
		rc = export_to_file(st, kind, outpath, &err);
	if (rc) {
		cli_print_err(&err);
		ret = cli_exit_for(rc);
	}
	kefu_store_close(st);
	free(dbpath);
	return ret;
}
