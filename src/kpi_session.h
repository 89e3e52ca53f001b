/*
 * kpi_session.h - what `kefu kpi`, `kefu chats` and `kefu demo` share:
 * options common to every report, loading the data (CSV/JSONL files with no
 * store, or the SQLite store), per-shop settings with command-line
 * overrides, running the engine, and writing tables to -o files or stdout.
 */
#ifndef KEFU_KPI_SESSION_H
#define KEFU_KPI_SESSION_H

#include "kefu/dataset.h"
#include "kefu/kpi.h"
#include "kefu/report.h"
#include "kefu/settings.h"
#include "kefu/table.h"

#include <stdio.h>

/* Options for non-canonical input (docs/IMPORT.md), shared by `kefu import`
 * and the report commands. */
typedef struct input_opts {
	const char *format;      /* preset name */
	const char *map;         /* mapping spec */
	const char *time_format;
	const char *encoding;
	const char *sheet; /* XLSX input */
	const char *presets_path; /* NULL: $XDG_CONFIG_HOME/kefu/presets if present */
	struct kefu_presets *presets; /* loaded by input_opts_prepare */
} input_opts;

/* Handles --map, --time-format, --encoding, --presets and the given name for
 * the preset option (`format_opt`: "format" for import, "input-format" for
 * reports). Returns 1 if consumed, 0 if not one of them. */
int input_opts_option(input_opts *io, const char *opt, const char *format_opt, const char *arg);
/* Loads the presets file and validates every value; prints usage errors and
 * returns an exit code (0 ok). */
int input_opts_prepare(input_opts *io, const char *cmd);
void input_opts_free(input_opts *io);
/* Help lines for these options. */
void input_opts_help(FILE *f, const char *format_opt);

typedef struct kpi_session_opts {
	const char *db;       /* NULL: files */
	char **files;
	int nfiles;
	const char *sets[64]; /* KEY=VALUE overrides, in order */
	int nsets;
	const char *as_of;    /* NULL: latest timestamp */
	const char *from, *to;
	const char *shops[64];
	int nshops;
	const char *agents[256];
	int nagents;
	int quiet;
	input_opts in;            /* --input-format, --map, ... */
	const char *input_shop;   /* --input-shop: shop of files without one */
} kpi_session_opts;

typedef struct kpi_session {
	kefu_dataset *ds;
	kefu_settings base;   /* defaults + overrides */
	kefu_settings_versions *vs; /* per shop id */
	size_t nvs;
	kefu_kpi_result *res;
	long rejected;
	uint32_t *shop_ids, *agent_ids;
	kefu_report_opts ropts;
} kpi_session;

/* Parses one common option (returns 1 if consumed, 0 if not common, -1 on
 * a usage error already printed). `opt` is the getopt long name. */
int kpi_session_option(kpi_session_opts *o, const char *cmd, const char *opt, const char *arg);

/* Loads, resolves filters and runs the engine. Prints errors; returns an
 * exit code (0 ok). */
int kpi_session_run(kpi_session *s, const kpi_session_opts *o);
void kpi_session_free(kpi_session *s);

/* Adds the settings used to the table's metadata. */
int kpi_session_meta(const kpi_session *s, kefu_table *t);

/* Writes t to each -o path (extension picks the writer: .csv .json .txt)
 * atomically, or to stdout in `format` when no path is given. */
int kpi_write_outputs(const kefu_table *t, char **outs, int nouts, const char *format, int zh,
		      int excel);

/* Where and how to write a report (kpi_write_outputs_ex). */
typedef struct kpi_out {
	char **outs;         /* -o paths; "-" = stdout; a directory = default name in it */
	int nouts;
	const char *format;  /* --format: table csv json xlsx html weike-json (stdout, dirs) */
	int zh, excel;
	const kpi_session *s; /* needed for html and weike-json; NULL = not available */
	const char *title;    /* HTML heading */
	const char *from, *to; /* --from/--to for default file names (NULL: the table's days) */
	int default_file;     /* no -o: xlsx/html go to the default name in the current dir */
	/* the HTML writer of commands whose page is not the KPI report (NULL:
	 * the KPI report, which needs s) */
	int (*html)(FILE *f, const kefu_table *t, void *ctx, kefu_err *err);
	void *html_ctx;
} kpi_out;

#define KPI_OUT_INIT {NULL, 0, "table", 0, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL}

/* Writes t to every output of oo. Extension picks the writer (.csv .json
 * .txt .xlsx .html; .json with --format weike-json is weike-json); each file
 * is written to a temporary name and renamed. XLSX is refused on a
 * terminal unless `-o -` is given. Prints errors; returns an exit code. */
int kpi_write_outputs_ex(const kefu_table *t, const kpi_out *oo);
/* 1 if name is an output format. */
int kpi_format_known(const char *name);
/* dir/客服绩效_<judge rule>_<from>至<to>.<ext> into buf; -1 if too long. */
int kpi_default_path(const kefu_table *t, const kpi_out *oo, const char *dir, const char *ext,
		     char *buf, size_t cap);

/* Terminal column set: NULL = all columns (--wide), else the summary set. */
extern const char *const kpi_summary_columns[];
extern const char *const *kpi_term_columns;
/* CSV: write the settings used as leading '#' lines (--meta). */
extern int kpi_csv_meta;

#endif
