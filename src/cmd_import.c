/*
 * cmd_import.c - `kefu import`: loads chats, orders, ratings, evals, the
 * roster and presence files into the store in one atomic run.
 *
 * Bad rows never stop the run: each is printed to stderr (the first 20) and
 * written with its reason to a reject file; the exit status is 3 when any
 * row was rejected (the valid rows are still committed). Naive timestamps
 * are read in each shop's time zone from the store's settings in force
 * (latest version). SIGINT/SIGTERM roll the whole run back (exit 130).
 */
#include "cli_util.h"
#include "commands.h"
#include "kefu/loader.h"
#include "kpi_session.h"
#include "kefu/store.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PRINTED_REJECTS 20
#define DEFAULT_REJECT_FILE "kefu-rejects.csv"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void help(FILE *out)
{
	fprintf(out,
		"Usage: kefu import [options] FILE...\n\n"
		"Imports canonical CSV or JSON Lines files (messages, orders, ratings, evals,\n"
		"agents roster, presence; the kind is detected from the header) into the store,\n"
		"all files in one atomic run. FILE '-' reads stdin.\n\n"
		"Re-importing the same rows adds nothing. A later row of the same order or\n"
		"rating (shop, order_id) or roster agent updates the stored one (the old values\n"
		"are kept in the audit table); an eval with a stored key but another level is a\n"
		"conflict and is not applied.\n\n"
		"Options:\n"
		"      --db PATH      the store (default $KEFU_DB, else $XDG_DATA_HOME/kefu/kefu.db)\n"
		"      --shop S       the shop for files without a shop column (overrides it)\n"
		"      --type KIND    messages|orders|ratings|evals|agents|presence (default: detect)\n"
		"      --reject FILE  where rejected rows go (default " DEFAULT_REJECT_FILE
		"; only written\n"
		"                     when a row is rejected; columns file,line,column,reason,raw)\n"
		"  -n, --dry-run      check and count everything, then roll back\n"
		"  -h, --help         show this help\n\n"
		"Files that are not canonical CSV (Taobao exports, any CSV through a mapping;\n"
		"docs/IMPORT.md). The Taobao order export needs --shop:\n");
	input_opts_help(out, "format");
	fprintf(out,
		"\n"
		"Exit status: 0 ok; 2 usage; 3 some rows rejected or in conflict (the rest is\n"
		"committed). Nothing is committed on: 1 a file whose header matches no kind,\n"
		"4 a file that cannot be read, 5 a store error, 130 interrupted.\n");
}

/* Latest settings of one shop, for its naive timestamps. */
typedef struct shop_tz {
	char *shop;
	size_t n;
	kefu_settings s;
} shop_tz;

typedef struct import_ctx {
	kefu_store *st;
	/* rejects */
	const char *reject_path;
	char *reject_tmp;
	FILE *rej;
	long nrej;
	/* time zones */
	kefu_settings all; /* '*' latest: default tz */
	shop_tz *tz;
	size_t ntz, tzcap;
	int fatal;       /* a tz lookup failed: abort at the next row */
	kefu_err fatal_err;
	/* progress */
	int progress;
	const char *cur_file;
	uint64_t total_bytes, done_bytes, cur_bytes;
	long rows;
	double t0, last;
} import_ctx;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const kefu_tz *tz_for_shop(void *vctx, kefu_str shop)
{
	import_ctx *c = vctx;
	for (size_t i = 0; i < c->ntz; i++)
		if (c->tz[i].n == shop.n && memcmp(c->tz[i].shop, shop.p, shop.n) == 0)
			return c->tz[i].s.tz;
	if (c->fatal)
		return NULL;
	if (c->ntz == c->tzcap) {
		size_t ncap = c->tzcap ? c->tzcap * 2 : 8;
		shop_tz *nt = realloc(c->tz, ncap * sizeof *nt);
		if (!nt)
			goto fail_oom;
		c->tz = nt;
		c->tzcap = ncap;
	}
	shop_tz *e = &c->tz[c->ntz];
	e->shop = malloc(shop.n + 1);
	if (!e->shop)
		goto fail_oom;
	memcpy(e->shop, shop.p, shop.n);
	e->shop[shop.n] = '\0';
	e->n = shop.n;
	if (kefu_store_settings_latest(c->st, e->shop, &e->s, &c->fatal_err)) {
		free(e->shop);
		c->fatal = 1;
		return NULL;
	}
	c->ntz++;
	return e->s.tz;
fail_oom:
	kefu_err_set(&c->fatal_err, KEFU_ENOMEM, "out of memory");
	c->fatal = 1;
	return NULL;
}

/* Rough size of a record as CSV, for the progress line only. */
static uint64_t est_bytes(const kefu_record *r)
{
	switch (r->kind) {
	case KEFU_KIND_MESSAGES:
		return r->u.msg.shop.n + r->u.msg.buyer.n + r->u.msg.agent.n + r->u.msg.text.n + 27;
	case KEFU_KIND_ORDERS:
		return r->u.ord.shop.n + r->u.ord.order_id.n + r->u.ord.buyer.n + r->u.ord.status.n +
		       60;
	case KEFU_KIND_RATINGS:
		return r->u.rat.shop.n + r->u.rat.order_id.n + r->u.rat.buyer.n + 32;
	case KEFU_KIND_EVALS: return r->u.ev.shop.n + r->u.ev.agent.n + r->u.ev.buyer.n + 26;
	case KEFU_KIND_AGENTS:
		return r->u.ag.agent.n + r->u.ag.vendor.n + r->u.ag.team.n + r->u.ag.name.n + 30;
	default: return 48;
	}
}

static void progress(import_ctx *c, int final)
{
	double t = now_s();
	if (!final && t - c->last < 0.25)
		return;
	c->last = t;
	double el = t - c->t0 > 1e-9 ? t - c->t0 : 1e-9;
	uint64_t done = c->done_bytes + c->cur_bytes;
	if (final) {
		fputs("\r\033[K", stderr);
		return;
	}
	if (c->total_bytes) {
		if (done > c->total_bytes)
			done = c->total_bytes;
		fprintf(stderr, "\r\033[Kkefu: importing %s  %.1f/%.1f MB  %.0f rows/s", c->cur_file,
			(double)done / 1e6, (double)c->total_bytes / 1e6, (double)c->rows / el);
	} else {
		fprintf(stderr, "\r\033[Kkefu: importing %s  %ld rows  %.0f rows/s", c->cur_file,
			c->rows, (double)c->rows / el);
	}
}

static int on_row(void *vctx, const kefu_record *rec, const char *file, long line,
		  kefu_err *err)
{
	import_ctx *c = vctx;
	if (interrupted)
		return kefu_err_set(err, KEFU_EIO, "interrupted");
	if (c->fatal) {
		*err = c->fatal_err;
		return err->code ? err->code : KEFU_ESTORE;
	}
	if (c->progress) {
		c->rows++;
		c->cur_bytes += est_bytes(rec);
		if ((c->rows & 1023) == 0)
			progress(c, 0);
	}
	return kefu_store_import_row(c->st, rec, file, line, err);
}

static int open_reject_file(import_ctx *c)
{
	size_t n = strlen(c->reject_path);
	c->reject_tmp = malloc(n + 16);
	if (!c->reject_tmp)
		return -1;
	snprintf(c->reject_tmp, n + 16, "%s.tmp.XXXXXX", c->reject_path);
	int fd = mkstemp(c->reject_tmp);
	if (fd < 0) {
		cli_errorf("%s: %s", c->reject_path, strerror(errno));
		free(c->reject_tmp);
		c->reject_tmp = NULL;
		return -1;
	}
	fchmod(fd, 0644);
	c->rej = fdopen(fd, "w");
	if (!c->rej) {
		close(fd);
		unlink(c->reject_tmp);
		free(c->reject_tmp);
		c->reject_tmp = NULL;
		return -1;
	}
	fputs("file,line,column,reason,raw\n", c->rej);
	return 0;
}

/* One CSV field with RFC 4180 quoting. */
static void csv_field(FILE *f, const char *p, size_t n, int last)
{
	int q = 0;
	for (size_t i = 0; i < n && !q; i++)
		q = p[i] == ',' || p[i] == '"' || p[i] == '\r' || p[i] == '\n';
	if (!q) {
		fwrite(p, 1, n, f);
	} else {
		putc('"', f);
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '"')
				putc('"', f);
			putc(p[i], f);
		}
		putc('"', f);
	}
	putc(last ? '\n' : ',', f);
}

static int on_reject(void *vctx, const char *file, long line, long col, const char *column,
		     const char *reason, kefu_str raw)
{
	import_ctx *c = vctx;
	(void)col;
	if (interrupted)
		return KEFU_EIO;
	c->nrej++;
	if (c->nrej <= MAX_PRINTED_REJECTS) {
		if (c->progress)
			fputs("\r\033[K", stderr);
		if (column && column[0])
			fprintf(stderr, "kefu: error: %s:%ld: %s: %s\n", file, line, column, reason);
		else
			fprintf(stderr, "kefu: error: %s:%ld: %s\n", file, line, reason);
	}
	if (!c->rej && open_reject_file(c))
		return KEFU_EIO;
	char num[32];
	snprintf(num, sizeof num, "%ld", line);
	csv_field(c->rej, file, strlen(file), 0);
	csv_field(c->rej, num, strlen(num), 0);
	csv_field(c->rej, column ? column : "", column ? strlen(column) : 0, 0);
	csv_field(c->rej, reason, strlen(reason), 0);
	/* the raw row without its line ending */
	while (raw.n && (raw.p[raw.n - 1] == '\n' || raw.p[raw.n - 1] == '\r'))
		raw.n--;
	csv_field(c->rej, raw.p ? raw.p : "", raw.n, 1);
	return ferror(c->rej) ? KEFU_EIO : 0;
}

static void discard_reject_file(import_ctx *c)
{
	if (c->rej) {
		fclose(c->rej);
		c->rej = NULL;
	}
	if (c->reject_tmp) {
		unlink(c->reject_tmp);
		free(c->reject_tmp);
		c->reject_tmp = NULL;
	}
}

/* Closes the reject file and renames it into place. */
static int finish_reject_file(import_ctx *c)
{
	if (!c->rej)
		return 0;
	int bad = ferror(c->rej) != 0;
	bad |= fclose(c->rej) != 0;
	c->rej = NULL;
	if (!bad && rename(c->reject_tmp, c->reject_path) != 0)
		bad = 1;
	if (bad) {
		cli_errorf("%s: cannot write the reject file: %s", c->reject_path, strerror(errno));
		unlink(c->reject_tmp);
	}
	free(c->reject_tmp);
	c->reject_tmp = NULL;
	return bad ? -1 : 0;
}

static void ctx_free(import_ctx *c)
{
	discard_reject_file(c);
	for (size_t i = 0; i < c->ntz; i++) {
		free(c->tz[i].shop);
		kefu_settings_clear(&c->tz[i].s);
	}
	free(c->tz);
	kefu_settings_clear(&c->all);
}

static void print_summary(const kefu_import_stats *s, const int *seen, int dry_run)
{
	cli_print_import_counts(s, seen);
	if (dry_run)
		printf("dry run: nothing was written to the store\n");
}

int cmd_import(int argc, char **argv)
{
	enum { O_DB = 1000, O_SHOP, O_TYPE, O_REJECT };
	static const struct option longopts[] = {
		{"db", required_argument, NULL, O_DB},
		{"shop", required_argument, NULL, O_SHOP},
		{"type", required_argument, NULL, O_TYPE},
		{"reject", required_argument, NULL, O_REJECT},
		{"format", required_argument, NULL, 0},
		{"map", required_argument, NULL, 0},
		{"time-format", required_argument, NULL, 0},
		{"encoding", required_argument, NULL, 0},
		{"presets", required_argument, NULL, 0},
		{"sheet", required_argument, NULL, 0},
		{"dry-run", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = NULL, *shop = NULL, *reject = DEFAULT_REJECT_FILE;
	kefu_kind kind = KEFU_KIND_NONE;
	int dry_run = 0, opt, idx = 0;
	input_opts in;
	memset(&in, 0, sizeof in);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":nh", longopts, &idx)) != -1) {
		switch (opt) {
		case 0: input_opts_option(&in, longopts[idx].name, "format", optarg); break;
		case O_DB: db = optarg; break;
		case O_SHOP: shop = optarg; break;
		case O_TYPE:
			kind = kefu_kind_parse(optarg);
			if (kind == KEFU_KIND_NONE)
				return cli_usage_error("import", "unknown --type '%s'", optarg);
			break;
		case O_REJECT: reject = optarg; break;
		case 'n': dry_run = 1; break;
		case 'h': help(stdout); return KEFU_EXIT_OK;
		case ':': return cli_usage_error("import", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("import", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("import", "no input files");
	if (shop && !shop[0])
		return cli_usage_error("import", "--shop must not be empty");
	if (!reject[0])
		return cli_usage_error("import", "--reject must not be empty");
	{
		int prc = input_opts_prepare(&in, "import");
		if (prc) {
			input_opts_free(&in);
			return prc;
		}
	}

	int ret = KEFU_EXIT_OK, rc;
	kefu_err err = KEFU_ERR_INIT;
	char *dbpath = db ? strdup(db) : cli_default_db();
	import_ctx c;
	memset(&c, 0, sizeof c);
	c.reject_path = reject;
	kefu_store *st = NULL;
	int seen[KEFU_KIND_COUNT] = {0};
	struct sigaction sa, old_int, old_term;

	if (!dbpath) {
		cli_errorf("out of memory");
		input_opts_free(&in);
		return KEFU_EXIT_FAIL;
	}
	if ((rc = kefu_store_open(&st, dbpath, &err))) {
		cli_print_err(&err);
		free(dbpath);
		input_opts_free(&in);
		return KEFU_EXIT_STORE;
	}
	c.st = st;
	if ((rc = kefu_store_settings_latest(st, NULL, &c.all, &err))) {
		cli_print_err(&err);
		ret = cli_exit_for(rc);
		goto done;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills at once */
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	c.progress = cli_stderr_tty();
	for (int i = optind; i < argc; i++) {
		struct stat sb;
		if (strcmp(argv[i], "-") != 0 && stat(argv[i], &sb) == 0 && S_ISREG(sb.st_mode))
			c.total_bytes += (uint64_t)sb.st_size;
	}
	c.t0 = c.last = now_s();

	kefu_store_import_opts io = KEFU_STORE_IMPORT_OPTS_INIT;
	io.on_conflict = on_reject;
	io.ctx = &c;
	io.input_bytes = c.total_bytes;
	if ((rc = kefu_store_import_begin(st, &io, &err))) {
		cli_print_err(&err);
		ret = cli_exit_for(rc);
		goto restore;
	}
	kefu_load_opts lo = KEFU_LOAD_OPTS_INIT;
	lo.kind = kind;
	lo.shop = shop;
	lo.default_tz = c.all.tz;
	lo.tz_for_shop = tz_for_shop;
	lo.tz_ctx = &c;
	lo.format = in.format;
	lo.map = in.map;
	lo.time_format = in.time_format;
	lo.encoding = in.encoding;
	lo.sheet = in.sheet;
	lo.presets = in.presets;
	for (int i = optind; i < argc && !interrupted; i++) {
		kefu_load_stats ls;
		memset(&ls, 0, sizeof ls);
		c.cur_file = strcmp(argv[i], "-") ? argv[i] : "<stdin>";
		c.cur_bytes = 0;
		rc = kefu_load_file_piped(argv[i], &lo, on_row, on_reject, &c, &ls, &err);
		c.done_bytes += ls.bytes;
		if (rc == 0 && ls.kind > KEFU_KIND_NONE && ls.kind < KEFU_KIND_COUNT)
			seen[ls.kind] = 1;
		if (rc == 0)
			rc = kefu_store_import_note_file(st, c.cur_file, &ls, &err);
		if (rc) {
			if (c.progress)
				progress(&c, 1);
			kefu_store_import_rollback(st);
			if (interrupted)
				break;
			cli_print_err(&err);
			cli_errorf("import rolled back: nothing was written to the store");
			ret = cli_exit_for(rc);
			goto restore;
		}
	}
	if (c.progress)
		progress(&c, 1);
	if (interrupted) {
		kefu_store_import_rollback(st);
		discard_reject_file(&c);
		cli_errorf("interrupted: import rolled back, nothing was written to the store");
		ret = KEFU_EXIT_INTERRUPTED;
		goto restore;
	}
	if (c.nrej > MAX_PRINTED_REJECTS)
		fprintf(stderr, "kefu: ... %ld more rejected rows (see %s)\n",
			c.nrej - MAX_PRINTED_REJECTS, reject);
	if (c.progress && !dry_run)
		fputs("\r\033[Kkefu: committing...", stderr);
	if (dry_run) {
		kefu_store_import_rollback(st);
	} else if ((rc = kefu_store_import_commit(st, &err))) {
		if (c.progress)
			progress(&c, 1);
		cli_print_err(&err);
		cli_errorf("import rolled back: nothing was written to the store");
		ret = cli_exit_for(rc);
		goto restore;
	}
	if (c.progress)
		progress(&c, 1);
	print_summary(kefu_store_import_stats(st), seen, dry_run);
	if (finish_reject_file(&c)) {
		ret = KEFU_EXIT_IO;
		goto restore;
	}
	{
		const kefu_import_stats *s = kefu_store_import_stats(st);
		long bad = 0;
		for (int k = 0; k < KEFU_KIND_COUNT; k++)
			bad += s->kind[k].rejected + s->kind[k].conflicts;
		if (bad)
			ret = KEFU_EXIT_REJECTED;
	}
	if (fflush(stdout) != 0 && ret == KEFU_EXIT_OK)
		ret = KEFU_EXIT_IO;
restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
done:
	input_opts_free(&in);
	ctx_free(&c);
	kefu_store_close(st);
	free(dbpath);
	return ret;
}
