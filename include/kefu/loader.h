/*
 * loader.h - reads canonical input files (CSV with a header row, or JSON
 * Lines with the same keys; formats.md), detects the kind from the header,
 * validates every field and hands typed records to a callback. Bad rows go
 * to the reject callback with file, line, column and reason; they never stop
 * the load.
 *
 * Ownership: records passed to callbacks borrow the loader's buffers and are
 * valid only during the call.
 */
#ifndef KEFU_LOADER_H
#define KEFU_LOADER_H

#include "kefu/common.h"
#include "kefu/record.h"
#include "kefu/tz.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kefu_presets;

/* Returns the time zone for naive timestamps of a shop; NULL = default_tz. */
typedef const kefu_tz *(*kefu_tz_for_shop_fn)(void *ctx, kefu_str shop);

typedef struct kefu_load_opts {
	kefu_kind kind;                /* KEFU_KIND_NONE: detect from the header */
	const char *shop;              /* fills (or overrides) the shop column */
	const kefu_tz *default_tz;     /* required */
	kefu_tz_for_shop_fn tz_for_shop;
	void *tz_ctx;
	/* Non-canonical input (mapping.h, docs/IMPORT.md). All optional. */
	const char *format;      /* preset name; NULL: canonical, else a preset detected
				    from the header; "canonical" disables detection */
	const char *map;         /* mapping spec, applied after the preset's entries */
	const char *time_format; /* for the time columns of a mapped or canonical CSV */
	const char *encoding;    /* NULL/"auto", "utf-8", "gb18030", "gbk" */
	const struct kefu_presets *presets; /* user presets; NULL: built-ins only */
	const char *sheet;                  /* XLSX input: sheet name; NULL: the first sheet */
} kefu_load_opts;

#define KEFU_LOAD_OPTS_INIT {KEFU_KIND_NONE, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL}

/* 1 when opts ask for anything beyond canonical UTF-8 CSV (such files are
 * loaded sequentially by kefu_load_into). */
int kefu_load_opts_mapped(const kefu_load_opts *opts);

/* Called once per valid row. Return 0 to continue, negative to abort the
 * load with that code (the callee sets err). */
typedef int (*kefu_row_fn)(void *ctx, const kefu_record *rec, const char *file, long line,
			   kefu_err *err);
/* Called once per rejected row. column is the header name (or "" when the
 * whole row is bad); raw is the row's bytes as read (may be truncated to
 * 64 KiB). Return 0 to continue, negative to abort. */
typedef int (*kefu_reject_fn)(void *ctx, const char *file, long line, long col,
			      const char *column, const char *reason, kefu_str raw);

typedef struct kefu_load_stats {
	kefu_kind kind;    /* the detected or given kind */
	long rows_read;    /* data rows seen (valid + rejected) */
	long rows_ok;
	long rows_rejected;
	uint64_t bytes;
	long lines;        /* CSV: physical lines consumed (header included) */
	int parts;         /* kefu_load_into: parts parsed in parallel (1 = sequential) */
} kefu_load_stats;

/*
 * Loads one file ("-" = stdin). Fails as a whole (negative return) only
 * when the file cannot be read, the header matches no kind, or a callback
 * aborts; err then holds file:line and the reason.
 */
int kefu_load_file(const char *path, const kefu_load_opts *opts, kefu_row_fn on_row,
		   kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats, kefu_err *err);

/* Same over a memory buffer named `name` (used by tests and the fuzzer). */
int kefu_load_mem(const char *data, size_t n, const char *name, const kefu_load_opts *opts,
		  kefu_row_fn on_row, kefu_reject_fn on_reject, void *ctx,
		  kefu_load_stats *stats, kefu_err *err);

/*
 * Loads one part of a CSV file, for parallel loading (load_parallel.c): fd
 * is positioned at the part's start, at most `limit` bytes are read, `mode`
 * is the file's line-ending mode (kefu_csv_mode). With header NULL the part
 * starts the file and its first record is the header; otherwise `header`
 * gives the file's column names and line numbers count from the part start.
 */
int kefu_load_csv_range(int fd, uint64_t limit, int mode, const char *name, const kefu_str *header,
			size_t nheader, const kefu_load_opts *opts, kefu_row_fn on_row,
			kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats, kefu_err *err);

/*
 * Loads one file into a dataset (dataset.h). A large regular CSV file is
 * split into up to `threads` parts parsed in parallel; the result, including
 * the rejected rows (reported in file order with absolute line numbers), is
 * exactly that of loading it sequentially. on_reject is only called from the
 * calling thread.
 */
struct kefu_dataset;
int kefu_load_into(struct kefu_dataset *ds, const char *path, const kefu_load_opts *opts,
		   int threads, kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats,
		   kefu_err *err);

/*
 * kefu_load_file with the parsing on a second thread (lib/load_piped.c):
 * the same rows, rejects, stats and errors, with every callback run on the
 * calling thread in file order (opts->tz_for_shop too), so a caller that
 * writes a store overlaps its writes with the parsing.
 */
int kefu_load_file_piped(const char *path, const kefu_load_opts *opts, kefu_row_fn on_row,
			 kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats,
			 kefu_err *err);

/* The taobao-trades-json input format (lib/taobao_json.c): Open Platform
 * trade objects, one per line, as an array, or wrapped in an API response;
 * loaded as orders of opts->shop (required). */
int kefu_load_taobao_trades(const char *path, const kefu_load_opts *opts, kefu_row_fn on_row,
			    kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats,
			    kefu_err *err);

/* The taobao-chatlog-json input format (lib/taobao_json.c): chat records
 * of taobao.wangwang.eservice.chatlog.get (direction 0 = from_id, the agent,
 * to to_id, the buyer; 1 = the reverse), loaded as messages of opts->shop
 * (required). */
int kefu_load_taobao_chatlog(const char *path, const kefu_load_opts *opts, kefu_row_fn on_row,
			     kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats,
			     kefu_err *err);

/* Test hook: the smallest part size of kefu_load_into (default 32 MiB). */
void kefu_load_set_min_part_for_test(uint64_t bytes);

/* Detects the kind from a list of header names (order free, exact names).
 * Required columns must all be present; optional ones (refund; the agents'
 * from,to,base_month,commission_rate) may be. Unknown columns: KIND_NONE. */
kefu_kind kefu_kind_from_header(const kefu_str *names, size_t n);

#ifdef __cplusplus
}
#endif
#endif
