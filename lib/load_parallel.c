/*
 * load_parallel.c - loads one file into a dataset, splitting a large CSV
 * file into parts that are parsed on separate threads.
 *
 * Parts start right after a line ending chosen near equal byte offsets.
 * Such a line ending may sit inside a quoted field; the part before it then
 * ends in an unterminated quoted field, which is how a bad split is noticed:
 * everything is dropped and the file is loaded sequentially instead, so the
 * result is always exactly that of the sequential loader. Each part fills its
 * own dataset; parts are merged in file order (later order rows still replace
 * earlier ones) and their rejected rows are reported in file order with line
 * numbers made absolute.
 */
#include "kefu/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kefu/csv.h"
#include "kefu/dataset.h"
#include "kefu/mapping.h"

#define MAX_PARTS 8

/* Smallest part worth a thread. A test hook can lower it. */
static uint64_t min_part_bytes = (uint64_t)32 << 20;

void kefu_load_set_min_part_for_test(uint64_t bytes) { min_part_bytes = bytes ? bytes : 1; }

/* A rejected row kept until the parts are joined. */
typedef struct held_reject {
	long line, col;
	char *column, *reason, *raw;
	size_t raw_n;
} held_reject;

typedef struct part {
	const char *path, *name;
	uint64_t start, end;
	int mode;
	const kefu_str *header;
	size_t nheader;
	const kefu_load_opts *opts;
	kefu_dataset *ds; /* owned unless it is the caller's */
	held_reject *rej;
	size_t nrej, caprej;
	kefu_load_stats stats;
	kefu_err err;
	int rc;
	int unterminated_at_end;
} part;

static int add_row(void *ctx, const kefu_record *rec, const char *file, long line, kefu_err *err)
{
	(void)file;
	(void)line;
	return kefu_dataset_add(((part *)ctx)->ds, rec, err);
}

static int hold_reject(void *ctx, const char *file, long line, long col, const char *column,
		       const char *reason, kefu_str raw)
{
	(void)file;
	part *p = ctx;
	if (kefu_grow((void **)&p->rej, &p->caprej, p->nrej + 1, sizeof *p->rej))
		return KEFU_ENOMEM;
	held_reject *h = &p->rej[p->nrej];
	h->line = line;
	h->col = col;
	h->column = kefu_strndup(column, strlen(column));
	h->reason = kefu_strndup(reason, strlen(reason));
	h->raw = kefu_strndup(raw.p, raw.n);
	h->raw_n = raw.n;
	if (!h->column || !h->reason || !h->raw) {
		kefu_free(h->column);
		kefu_free(h->reason);
		kefu_free(h->raw);
		return KEFU_ENOMEM;
	}
	p->nrej++;
	return 0;
}

static void free_held(part *p)
{
	for (size_t i = 0; i < p->nrej; i++) {
		kefu_free(p->rej[i].column);
		kefu_free(p->rej[i].reason);
		kefu_free(p->rej[i].raw);
	}
	kefu_free(p->rej);
	p->rej = NULL;
	p->nrej = p->caprej = 0;
}

static void *run_part(void *arg)
{
	part *p = arg;
	int fd = open(p->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		p->rc = kefu_err_set(&p->err, KEFU_EIO, "cannot open: %s", strerror(errno));
		kefu_err_at(&p->err, p->name, 0, 0);
		return NULL;
	}
	if (lseek(fd, (off_t)p->start, SEEK_SET) != (off_t)p->start) {
		p->rc = kefu_err_set(&p->err, KEFU_EIO, "cannot seek: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	p->rc = kefu_load_csv_range(fd, p->end - p->start, p->mode, p->name, p->header, p->nheader,
				    p->opts, add_row, hold_reject, p, &p->stats, &p->err);
	close(fd);
	/* A split inside a quoted field shows as an unterminated field at the
	 * very end of the part. */
	if (p->nrej && strstr(p->rej[p->nrej - 1].reason, "unterminated quoted field"))
		p->unterminated_at_end = 1;
	return NULL;
}

/* Reads the header and the line-ending mode of a CSV file; *header_end is
 * the offset of the first data row. Returns 1 if the file is CSV with a
 * header, 0 if it should be loaded sequentially (JSON Lines, empty, odd). */
static int probe(const char *path, kefu_str **hdr, size_t *nhdr, char **hdrbuf, int *mode,
		 uint64_t *header_end)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	kefu_csv *r = NULL;
	kefu_err e = KEFU_ERR_INIT;
	int ok = 0;
	if (kefu_csv_open_fd(&r, fd, path, NULL, &e) == 0) {
		kefu_str head;
		if (kefu_csv_peek(r, 64, &head, &e) == 0) {
			size_t i = 0;
			while (i < head.n && (head.p[i] == ' ' || head.p[i] == '\t' || head.p[i] == '\r' ||
					      head.p[i] == '\n'))
				i++;
			kefu_str *f;
			size_t nf;
			long line;
			if (i < head.n && head.p[i] != '{' && kefu_csv_next(r, &f, &nf, &line, &e) == 1 &&
			    kefu_csv_mode(r) != 0 && line == 1 && kefu_csv_line(r) == 2) {
				size_t total = 0;
				for (size_t k = 0; k < nf; k++)
					total += f[k].n;
				*hdr = kefu_calloc(nf + 1, sizeof **hdr);
				*hdrbuf = kefu_malloc(total + 1);
				if (*hdr && *hdrbuf) {
					total = 0;
					for (size_t k = 0; k < nf; k++) {
						memcpy(*hdrbuf + total, f[k].p, f[k].n);
						(*hdr)[k] = (kefu_str){*hdrbuf + total, f[k].n};
						total += f[k].n;
					}
					*nhdr = nf;
					*mode = kefu_csv_mode(r);
					*header_end = kefu_csv_offset(r);
					ok = 1;
				} else {
					kefu_free(*hdr);
					kefu_free(*hdrbuf);
					*hdr = NULL;
					*hdrbuf = NULL;
				}
			}
		}
	}
	kefu_csv_free(r);
	close(fd);
	return ok;
}

/* 1 when the file is read as UTF-8: --encoding utf-8, or its first 64 KiB
 * are valid UTF-8 (the loader's own detection rule). */
static int utf8_start(const char *path, const kefu_load_opts *opts)
{
	kefu_encoding enc = KEFU_ENC_AUTO;
	kefu_encoding_parse(opts->encoding, &enc);
	if (enc != KEFU_ENC_AUTO)
		return enc == KEFU_ENC_UTF8;
	size_t cap = (size_t)64 << 10;
	char *buf = kefu_malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = buf && fd >= 0 ? pread(fd, buf, cap, 0) : -1;
	int ok = got >= 0 && kefu_encoding_detect(buf, (size_t)got, (size_t)got < cap) ==
				     KEFU_ENC_UTF8;
	if (fd >= 0)
		close(fd);
	kefu_free(buf);
	return ok;
}

/* The offset just after the first line-ending byte at or after `from`
 * (LF for LF and CRLF files, CR for CR files), or `size` if none. */
static uint64_t next_boundary(int fd, uint64_t from, uint64_t size, char eol)
{
	char buf[65536];
	uint64_t at = from;
	while (at < size) {
		ssize_t got = pread(fd, buf, sizeof buf, (off_t)at);
		if (got <= 0)
			return size;
		const char *q = memchr(buf, eol, (size_t)got);
		if (q)
			return at + (uint64_t)(q - buf) + 1;
		at += (uint64_t)got;
	}
	return size;
}

/* Sequential load: rows straight into ds, rejects straight to the caller. */
typedef struct seq_ctx {
	kefu_dataset *ds;
	kefu_reject_fn on_reject;
	void *ctx;
} seq_ctx;

static int seq_row(void *ctx, const kefu_record *rec, const char *file, long line, kefu_err *err)
{
	(void)file;
	(void)line;
	return kefu_dataset_add(((seq_ctx *)ctx)->ds, rec, err);
}

static int seq_reject(void *ctx, const char *file, long line, long col, const char *column,
		      const char *reason, kefu_str raw)
{
	seq_ctx *c = ctx;
	return c->on_reject ? c->on_reject(c->ctx, file, line, col, column, reason, raw) : 0;
}

static int load_sequential(kefu_dataset *ds, const char *path, const kefu_load_opts *opts,
			   kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats, kefu_err *err)
{
	seq_ctx c = {ds, on_reject, ctx};
	int rc = kefu_load_file(path, opts, seq_row, seq_reject, &c, stats, err);
	stats->parts = 1;
	return rc;
}

int kefu_load_into(kefu_dataset *ds, const char *path, const kefu_load_opts *opts, int threads,
		   kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats, kefu_err *err)
{
	kefu_load_stats local;
	if (!stats)
		stats = &local;
	struct stat sb;
	int nparts = threads < 1 ? 1 : threads > MAX_PARTS ? MAX_PARTS : threads;
	if (nparts < 2 || !strcmp(path, "-") || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size < 2 * min_part_bytes || opts->kind != KEFU_KIND_NONE ||
	    kefu_load_opts_mapped(opts))
		return load_sequential(ds, path, opts, on_reject, ctx, stats, err);
	uint64_t size = (uint64_t)sb.st_size;
	{ /* XLSX workbooks (zip files) are read sequentially */
		unsigned char m[4] = {0};
		int zfd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t got = zfd >= 0 ? pread(zfd, m, 4, 0) : -1;
		if (zfd >= 0)
			close(zfd);
		if (got == 4 && m[0] == 'P' && m[1] == 'K' && m[2] == 3 && m[3] == 4)
			return load_sequential(ds, path, opts, on_reject, ctx, stats, err);
	}
	while (nparts > 1 && size / (uint64_t)nparts < min_part_bytes)
		nparts--;
	kefu_str *hdr = NULL;
	char *hdrbuf = NULL;
	size_t nhdr = 0;
	int mode = 0;
	uint64_t header_end = 0;
	if (!probe(path, &hdr, &nhdr, &hdrbuf, &mode, &header_end))
		return load_sequential(ds, path, opts, on_reject, ctx, stats, err);
	/* only canonical UTF-8 files are split: a preset header or GB18030
	 * bytes need the sequential loader's mapping and transcoding stage */
	if (kefu_kind_from_header(hdr, nhdr) == KEFU_KIND_NONE || !utf8_start(path, opts)) {
		kefu_free(hdr);
		kefu_free(hdrbuf);
		return load_sequential(ds, path, opts, on_reject, ctx, stats, err);
	}
	/* csv.c modes: 1 LF, 2 CRLF, 3 CR */
	char eol = mode == 3 ? '\r' : '\n';
	part parts[MAX_PARTS];
	memset(parts, 0, sizeof parts);
	uint64_t bound[MAX_PARTS + 1];
	bound[0] = 0;
	bound[nparts] = size;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kefu_free(hdr);
		kefu_free(hdrbuf);
		return load_sequential(ds, path, opts, on_reject, ctx, stats, err);
	}
	for (int i = 1; i < nparts; i++) {
		uint64_t want = size / (uint64_t)nparts * (uint64_t)i;
		if (want < header_end)
			want = header_end;
		if (want < bound[i - 1])
			want = bound[i - 1];
		bound[i] = next_boundary(fd, want, size, eol);
	}
	close(fd);
	int rc = 0;
	size_t before[6] = {ds->msg.n, ds->ord.n, ds->rat.n, ds->ev.n, ds->roster.n, ds->pres.n};
	for (int i = 0; i < nparts; i++) {
		part *p = &parts[i];
		p->path = path;
		p->name = path;
		p->start = bound[i];
		p->end = bound[i + 1];
		p->mode = i == 0 ? 0 : mode;
		p->header = i == 0 ? NULL : hdr;
		p->nheader = i == 0 ? 0 : nhdr;
		p->opts = opts;
		if (i == 0)
			p->ds = ds;
		else if (kefu_dataset_new(&p->ds))
			rc = KEFU_ENOMEM;
	}
	pthread_t tid[MAX_PARTS];
	int started[MAX_PARTS] = {0};
	if (!rc) {
		for (int i = 1; i < nparts; i++)
			started[i] = pthread_create(&tid[i], NULL, run_part, &parts[i]) == 0;
		run_part(&parts[0]);
		for (int i = 1; i < nparts; i++) {
			if (started[i])
				pthread_join(tid[i], NULL);
			else
				run_part(&parts[i]);
		}
	}
	int fallback = 0;
	for (int i = 0; i < nparts && !rc; i++) {
		if (parts[i].rc) {
			rc = parts[i].rc;
			if (err)
				*err = parts[i].err;
		}
		if (i + 1 < nparts && parts[i].unterminated_at_end)
			fallback = 1;
		/* a part must start exactly on a record: a part that is not the
		 * last must have consumed its whole range */
		if (i + 1 < nparts && parts[i].stats.bytes != parts[i].end - parts[i].start)
			fallback = 1;
	}
	if (!rc && fallback) {
		/* drop part 0's rows (strings it interned stay in the dictionaries,
		 * unused, which changes no result) and read the file in one piece */
		ds->msg.n = before[0];
		ds->ord.n = before[1];
		ds->rat.n = before[2];
		ds->ev.n = before[3];
		ds->roster.n = before[4];
		ds->pres.n = before[5];
		for (int i = 0; i < nparts; i++) {
			if (i > 0)
				kefu_dataset_free(parts[i].ds);
			free_held(&parts[i]);
		}
		kefu_free(hdr);
		kefu_free(hdrbuf);
		return load_sequential(ds, path, opts, on_reject, ctx, stats, err);
	}
	if (!rc) {
		long line_base = parts[0].stats.lines;
		memset(stats, 0, sizeof *stats);
		for (int i = 0; i < nparts && !rc; i++) {
			part *p = &parts[i];
			if (i > 0 && (rc = kefu_dataset_merge(ds, p->ds, err)))
				break;
			for (size_t k = 0; k < p->nrej && !rc; k++) {
				held_reject *h = &p->rej[k];
				long line = i == 0 ? h->line : h->line + line_base;
				if (on_reject && on_reject(ctx, path, line, h->col, h->column, h->reason,
							   (kefu_str){h->raw, h->raw_n}))
					rc = KEFU_EINVAL;
			}
			if (i > 0)
				line_base += p->stats.lines;
			stats->kind = p->stats.kind ? p->stats.kind : stats->kind;
			stats->rows_read += p->stats.rows_read;
			stats->rows_ok += p->stats.rows_ok;
			stats->rows_rejected += p->stats.rows_rejected;
			stats->bytes += p->stats.bytes;
			stats->lines += p->stats.lines;
		}
		stats->parts = nparts;
	}
	for (int i = 0; i < nparts; i++) {
		if (i > 0)
			kefu_dataset_free(parts[i].ds);
		free_held(&parts[i]);
	}
	kefu_free(hdr);
	kefu_free(hdrbuf);
	return rc;
}
