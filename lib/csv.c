/*
 * csv.c - the streaming RFC 4180 CSV reader behind every import: the hot path.
 *
 * Data is read with read() into one reused buffer (1 MiB, grown only while a
 * single record does not fit; never mmap). A record is parsed in place: field
 * slices point into the buffer, except quoted fields holding doubled quotes,
 * which are unescaped into a per-record scratch buffer. Unquoted runs are
 * scanned 16 bytes at a time (SSE2) for the few bytes that matter.
 *
 * Line endings are detected from the first CR or LF byte of the input:
 *   LF   - records end at LF; a bare CR is data.
 *   CRLF - records end at CRLF or at a lone LF; a lone CR is data.
 *   CR   - records end at CR; LF is data.
 * Physical lines are counted with the newline byte of the mode (LF for LF
 * and CRLF files, CR for CR files), quoted newlines included.
 *
 * Errors are found while the record is scanned to its end (a stray quote is
 * then read as data and a character after a closing quote continues the
 * field), so the reader resynchronises at the true next record boundary and
 * reports the first problem of the record. A field longer than max_field or a
 * record longer than max_record is an error; once one is certain, the reader
 * stops buffering the record and only scans for its end, so memory stays
 * bounded whatever the input.
 *
 * Besides records, csv.h offers peek, physical line reading for JSON Lines,
 * the raw bytes of the last record and a test-only buffer size.
 */
#include "kefu/csv.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif


#define CSV_BUF_DEFAULT ((size_t)1 << 20)
#define CSV_RAW_MAX ((size_t)64 << 10) /* raw bytes kept for a rejected record */
#define CSV_MIN_RECORD ((size_t)1 << 20)

enum { MODE_UNKNOWN = 0, MODE_LF, MODE_CRLF, MODE_CR };
enum { ST_FSTART = 0, ST_UNQ, ST_QUOTED, ST_AFTERQ };

/* A field of the current record: offset from the record start (or into the
 * scratch buffer when unescaped) and length. */
typedef struct csv_fld {
	size_t off;
	size_t len;
	int scratch;
} csv_fld;

struct kefu_csv {
	int fd;                 /* -1 for memory sources */
	const char *mem;        /* memory source */
	size_t mem_n, mem_pos;  /* streamed memory source (test hook) */
	size_t chunk;           /* max bytes per read (test hook), 0 = no limit */
	int zero_copy;          /* memory source parsed in place */
	char *name;

	char sep;
	size_t max_field, max_record, grow_limit;
	int strip_bom;

	char *own;              /* owned read buffer */
	size_t cap;
	const char *buf;        /* own or mem */
	size_t pos, end;        /* scan position, end of valid bytes */
	uint64_t base;          /* stream offset of buf[0] */
	int eof, started, mode, fatal;
	long line;              /* physical line at pos */
	uint64_t limit;         /* fd sources: bytes still allowed to read (ranges) */

	csv_fld *flds;
	size_t fldcap;
	kefu_str *out;
	size_t outcap;
	char *scratch;
	size_t scr_n, scr_cap;

	/* raw bytes of the last record */
	uint64_t raw_abs;
	size_t raw_len;
	int raw_saved;
	char *rawsave;
	size_t rawsave_n;
};

/* Per-record parse state (locals of the parser, grouped for helpers). */
typedef struct csv_rec {
	uint64_t rec_abs;   /* stream offset of the record start */
	uint64_t fld_abs;   /* stream offset of the current field's content */
	size_t nf;          /* fields completed */
	int has_dq;         /* current quoted field holds "" */
	int skipping;       /* record no longer buffered */
	int errcol;         /* 0 = no error yet */
	const char *errmsg;
	size_t errarg;
} csv_rec;

static size_t sat_mul(size_t a, size_t b)
{
	size_t r;
	if (__builtin_mul_overflow(a, b, &r))
		return SIZE_MAX / 2;
	return r;
}

static int csv_new(kefu_csv **out, const char *name, const kefu_csv_opts *opts,
		   kefu_err *err)
{
	kefu_csv_opts def = KEFU_CSV_OPTS_INIT;
	if (!opts)
		opts = &def;
	*out = NULL;
	if (opts->sep == '"' || opts->sep == '\r' || opts->sep == '\n')
		return kefu_err_set(err, KEFU_EINVAL, "invalid CSV separator");
	kefu_csv *r = kefu_calloc(1, sizeof *r);
	if (!r)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	r->name = kefu_strndup(name ? name : "", name ? strlen(name) : 0);
	if (!r->name) {
		kefu_free(r);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	r->fd = -1;
	r->sep = opts->sep ? opts->sep : ',';
	r->max_field = opts->max_field ? opts->max_field : ((size_t)16 << 20);
	if (r->max_field > SIZE_MAX / 8)
		r->max_field = SIZE_MAX / 8;
	r->max_record = sat_mul(r->max_field, 4);
	if (r->max_record < CSV_MIN_RECORD)
		r->max_record = CSV_MIN_RECORD;
	r->grow_limit = r->max_record + 2;
	if (r->grow_limit < 2 * CSV_RAW_MAX)
		r->grow_limit = 2 * CSV_RAW_MAX;
	r->strip_bom = opts->strip_bom;
	r->cap = CSV_BUF_DEFAULT;
	r->line = 1;
	r->limit = UINT64_MAX;
	*out = r;
	return 0;
}

int kefu_csv_open_fd(kefu_csv **out, int fd, const char *name, const kefu_csv_opts *opts,
		     kefu_err *err)
{
	int rc = csv_new(out, name, opts, err);
	if (rc)
		return rc;
	(*out)->fd = fd;
	return 0;
}

int kefu_csv_open_fd_range(kefu_csv **out, int fd, const char *name, const kefu_csv_opts *opts,
			   uint64_t limit, int mode, kefu_err *err)
{
	kefu_csv_opts o = KEFU_CSV_OPTS_INIT;
	if (opts)
		o = *opts;
	o.strip_bom = 0; /* a range inside a file has no BOM */
	int rc = csv_new(out, name, &o, err);
	if (rc)
		return rc;
	(*out)->fd = fd;
	(*out)->limit = limit;
	(*out)->mode = mode;
	return 0;
}

int kefu_csv_mode(const kefu_csv *r) { return r->mode; }

long kefu_csv_line(const kefu_csv *r) { return r->line; }

int kefu_csv_open_mem(kefu_csv **out, const char *data, size_t n, const char *name,
		      const kefu_csv_opts *opts, kefu_err *err)
{
	int rc = csv_new(out, name, opts, err);
	if (rc)
		return rc;
	kefu_csv *r = *out;
	r->mem = data ? data : "";
	r->mem_n = data ? n : 0;
	r->zero_copy = 1;
	return 0;
}

void kefu_csv_set_bufsize_for_test(kefu_csv *r, size_t n)
{
	if (!r || r->started)
		return;
	r->cap = n ? n : 1;
	r->chunk = r->cap;
	r->zero_copy = 0; /* memory sources are then streamed in chunks */
}

void kefu_csv_free(kefu_csv *r)
{
	if (!r)
		return;
	kefu_free(r->name);
	kefu_free(r->own);
	kefu_free(r->flds);
	kefu_free(r->out);
	kefu_free(r->scratch);
	kefu_free(r->rawsave);
	kefu_free(r);
}

uint64_t kefu_csv_offset(const kefu_csv *r) { return r ? r->base + r->pos : 0; }

static int set_fatal(kefu_csv *r, kefu_err *err, int code, const char *what)
{
	r->fatal = code;
	if (code == KEFU_EIO)
		kefu_err_set(err, code, "read error: %s", what);
	else
		kefu_err_set(err, code, "out of memory");
	kefu_err_at(err, r->name, r->line, 0);
	return code;
}

/*
 * Makes more bytes available. Bytes before keep_abs may be discarded; the
 * rest is moved to the buffer start. Grows the buffer when it is full.
 * Sets eof at end of input. Returns 0 or a fatal error.
 */
static int refill(kefu_csv *r, uint64_t keep_abs, kefu_err *err)
{
	if (r->zero_copy) {
		r->eof = 1;
		return 0;
	}
	size_t keep = (size_t)(keep_abs - r->base);
	if (keep > 0) {
		memmove(r->own, r->own + keep, r->end - keep);
		r->base += keep;
		r->pos -= keep;
		r->end -= keep;
	}
	if (r->end == r->cap) {
		size_t ncap = r->cap * 2;
		if (ncap < r->cap + 1)
			return set_fatal(r, err, KEFU_ENOMEM, "");
		if (ncap > r->grow_limit && r->cap < r->grow_limit)
			ncap = r->grow_limit;
		char *nb = kefu_realloc(r->own, ncap);
		if (!nb)
			return set_fatal(r, err, KEFU_ENOMEM, "");
		r->own = nb;
		r->cap = ncap;
	}
	r->buf = r->own;
	size_t room = r->cap - r->end;
	if (r->chunk && room > r->chunk)
		room = r->chunk;
	if (r->fd < 0) {
		size_t left = r->mem_n - r->mem_pos;
		if (room > left)
			room = left;
		memcpy(r->own + r->end, r->mem + r->mem_pos, room);
		r->mem_pos += room;
		r->end += room;
		if (room == 0)
			r->eof = 1;
		return 0;
	}
	if (room > r->limit)
		room = (size_t)r->limit;
	if (room == 0) { /* the end of a range */
		r->eof = 1;
		return 0;
	}
	for (;;) {
		ssize_t got = read(r->fd, r->own + r->end, room);
		if (got > 0) {
			r->end += (size_t)got;
			if (r->limit != UINT64_MAX)
				r->limit -= (uint64_t)got;
			return 0;
		}
		if (got == 0) {
			r->eof = 1;
			return 0;
		}
		if (errno == EINTR)
			continue;
		return set_fatal(r, err, KEFU_EIO, strerror(errno));
	}
}

/* First use: allocate, read the first bytes, strip a BOM. */
static int start(kefu_csv *r, kefu_err *err)
{
	if (r->started)
		return 0;
	r->started = 1;
	if (r->zero_copy) {
		r->buf = r->mem;
		r->end = r->mem_n;
		r->eof = 1;
	} else {
		r->own = kefu_malloc(r->cap);
		if (!r->own)
			return set_fatal(r, err, KEFU_ENOMEM, "");
		r->buf = r->own;
		while (r->end < 3 && !r->eof) {
			int rc = refill(r, r->base, err);
			if (rc)
				return rc;
		}
	}
	if (r->strip_bom && r->end >= 3 && (unsigned char)r->buf[0] == 0xEF &&
	    (unsigned char)r->buf[1] == 0xBB && (unsigned char)r->buf[2] == 0xBF)
		r->pos = 3;
	return 0;
}

/* Index of the first byte in [pos, end) equal to one of a..d, or end. */
static inline size_t scan4(const char *buf, size_t pos, size_t end, char a, char b, char c,
			   char d)
{
#if defined(__SSE2__)
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	const __m128i vc = _mm_set1_epi8(c), vd = _mm_set1_epi8(d);
	while (pos + 16 <= end) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(buf + pos));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
					 _mm_or_si128(_mm_cmpeq_epi8(x, vc), _mm_cmpeq_epi8(x, vd)));
		unsigned mask = (unsigned)_mm_movemask_epi8(m);
		if (mask)
			return pos + (size_t)__builtin_ctz(mask);
		pos += 16;
	}
#endif
	while (pos < end) {
		char ch = buf[pos];
		if (ch == a || ch == b || ch == c || ch == d)
			return pos;
		pos++;
	}
	return end;
}

static void rec_error(csv_rec *st, const char *msg, size_t arg)
{
	if (st->errcol)
		return;
	st->errcol = (int)(st->nf + 1 > (size_t)0x7fffffff ? 0x7fffffff : st->nf + 1);
	st->errmsg = msg;
	st->errarg = arg;
}

/*
 * Completes the current field whose content ends at stream offset cend and
 * whose raw bytes (closing quote included) end at rawend. The limits are
 * checked here, on stream offsets, so the result does not depend on how the
 * input was split into reads. end_field is the inlined common case;
 * end_field_slow handles limits, errors, growth and unescaping.
 */
static __attribute__((noinline)) int end_field_slow(kefu_csv *r, csv_rec *st, uint64_t cend,
						    uint64_t rawend, kefu_err *err)
{
	size_t len = (size_t)(cend - st->fld_abs);
	if (len > r->max_field)
		rec_error(st, "field exceeds", r->max_field);
	else if (rawend - st->rec_abs > r->max_record || st->skipping)
		rec_error(st, "record exceeds", r->max_record);
	if (st->errcol) {
		st->nf++;
		return 0;
	}
	if (st->nf >= r->fldcap &&
	    kefu_grow((void **)&r->flds, &r->fldcap, st->nf + 1, sizeof *r->flds))
		return set_fatal(r, err, KEFU_ENOMEM, "");
	csv_fld *f = &r->flds[st->nf++];
	f->len = len;
	f->scratch = 0;
	f->off = (size_t)(st->fld_abs - st->rec_abs);
	if (st->has_dq) {
		/* unescape "" into the scratch buffer */
		if (r->scr_n + len > r->scr_cap) {
			size_t ncap = r->scr_cap ? r->scr_cap : 256;
			while (ncap < r->scr_n + len)
				ncap *= 2;
			char *nb = kefu_realloc(r->scratch, ncap);
			if (!nb)
				return set_fatal(r, err, KEFU_ENOMEM, "");
			r->scratch = nb;
			r->scr_cap = ncap;
		}
		const char *s = r->buf + (size_t)(st->fld_abs - r->base), *e = s + len;
		char *d = r->scratch + r->scr_n;
		size_t o = 0;
		while (s < e) {
			/* inside the field quotes only come in pairs: keep one */
			const char *q = memchr(s, '"', (size_t)(e - s));
			size_t k = q ? (size_t)(q - s) + 1 : (size_t)(e - s);
			memcpy(d + o, s, k);
			o += k;
			s += k;
			if (q && s < e)
				s++;
		}
		f->off = r->scr_n;
		f->len = o;
		f->scratch = 1;
		r->scr_n += o;
	}
	return 0;
}

static inline int end_field(kefu_csv *r, csv_rec *st, uint64_t cend, uint64_t rawend,
			    kefu_err *err)
{
	size_t len = (size_t)(cend - st->fld_abs);
	if (__builtin_expect(len > r->max_field || rawend - st->rec_abs > r->max_record ||
				     st->errcol || st->skipping || st->has_dq ||
				     st->nf >= r->fldcap,
			     0))
		return end_field_slow(r, st, cend, rawend, err);
	csv_fld *f = &r->flds[st->nf++];
	f->off = (size_t)(st->fld_abs - st->rec_abs);
	f->len = len;
	f->scratch = 0;
	return 0;
}

/* Called when the scan hit the end of the buffered bytes and more input may
 * follow. Decides whether to stop buffering the record, then refills. */
static int need_more(kefu_csv *r, csv_rec *st, int in_field, kefu_err *err)
{
	if (!st->skipping) {
		size_t rec_idx = (size_t)(st->rec_abs - r->base);
		uint64_t now = r->base + r->pos;
		if (r->end - rec_idx == r->cap && r->cap >= 2 * CSV_RAW_MAX &&
		    ((in_field && now - st->fld_abs > r->max_field) ||
		     now - st->rec_abs > r->max_record)) {
			/* An error is certain: keep the first bytes for the reject
			 * file and scan on without buffering. */
			st->skipping = 1;
			if (!r->rawsave) {
				r->rawsave = kefu_malloc(CSV_RAW_MAX);
				if (!r->rawsave)
					return set_fatal(r, err, KEFU_ENOMEM, "");
			}
			memcpy(r->rawsave, r->buf + rec_idx, CSV_RAW_MAX);
			r->rawsave_n = CSV_RAW_MAX;
		}
	}
	return refill(r, st->skipping ? r->base + r->pos : st->rec_abs, err);
}

static void set_raw(kefu_csv *r, csv_rec *st, uint64_t term_abs)
{
	r->raw_abs = st->rec_abs;
	r->raw_len = (size_t)(term_abs - st->rec_abs);
	r->raw_saved = st->skipping;
	if (r->raw_len > CSV_RAW_MAX)
		r->raw_len = CSV_RAW_MAX;
}

void kefu_csv_raw(const kefu_csv *r, kefu_str *raw)
{
	if (r->raw_saved) {
		raw->p = r->rawsave;
		raw->n = r->rawsave_n;
	} else if (r->buf && r->raw_abs >= r->base) {
		raw->p = r->buf + (size_t)(r->raw_abs - r->base);
		raw->n = r->raw_len;
	} else {
		raw->p = "";
		raw->n = 0;
	}
}

/* Finishes the record: builds the slices or reports the error. */
static int finish(kefu_csv *r, csv_rec *st, uint64_t term_abs, long start_line,
		  kefu_str **fields, size_t *nfields, long *line, kefu_err *err)
{
	set_raw(r, st, term_abs);
	if (line)
		*line = start_line;
	if (st->errcol) {
		*fields = NULL;
		*nfields = 0;
		if (st->errarg)
			kefu_err_set(err, KEFU_EPARSE, "%s %zu bytes", st->errmsg, st->errarg);
		else
			kefu_err_set(err, KEFU_EPARSE, "%s", st->errmsg);
		kefu_err_at(err, r->name, start_line, st->errcol);
		return KEFU_EPARSE;
	}
	if (st->nf > r->outcap && kefu_grow((void **)&r->out, &r->outcap, st->nf, sizeof *r->out))
		return set_fatal(r, err, KEFU_ENOMEM, "");
	const char *rec = r->buf + (size_t)(st->rec_abs - r->base);
	for (size_t i = 0; i < st->nf; i++) {
		const csv_fld *f = &r->flds[i];
		r->out[i].p = (f->scratch ? r->scratch : rec) + f->off;
		r->out[i].n = f->len;
	}
	*fields = r->out;
	*nfields = st->nf;
	return 1;
}

int kefu_csv_next(kefu_csv *r, kefu_str **fields, size_t *nfields, long *line, kefu_err *err)
{
	*fields = NULL;
	*nfields = 0;
	if (r->fatal)
		return kefu_err_set(err, r->fatal, "reader failed earlier");
	int rc = start(r, err);
	if (rc)
		return rc;

	csv_rec st;
	memset(&st, 0, sizeof st);
	st.rec_abs = r->base + r->pos;
	r->scr_n = 0;
	const long start_line = r->line;
	const char sep = r->sep;
	int state = ST_FSTART;
	uint64_t cend = 0; /* content end of a closed quoted field */

	for (;;) {
		if (r->pos >= r->end) {
			if (!r->eof) {
				rc = need_more(r, &st, state == ST_UNQ || state == ST_QUOTED, err);
				if (rc)
					return rc;
				continue;
			}
			/* end of input */
			uint64_t here = r->base + r->pos;
			switch (state) {
			case ST_FSTART:
				if (st.nf == 0 && here == st.rec_abs)
					return 0;
				st.fld_abs = here;
				rc = end_field(r, &st, here, here, err);
				break;
			case ST_UNQ:
				rc = end_field(r, &st, here, here, err);
				break;
			case ST_QUOTED:
				rec_error(&st, "unterminated quoted field", 0);
				st.nf++;
				rc = 0;
				break;
			default: /* ST_AFTERQ */
				rc = end_field(r, &st, cend, cend + 1, err);
				break;
			}
			if (rc)
				return rc;
			return finish(r, &st, here, start_line, fields, nfields, line, err);
		}

		const char *buf = r->buf;
		size_t pos = r->pos;
		switch (state) {
		case ST_FSTART:
			if (buf[pos] == '"') {
				state = ST_QUOTED;
				st.has_dq = 0;
				st.fld_abs = r->base + pos + 1;
				r->pos = pos + 1;
			} else {
				state = ST_UNQ;
				st.has_dq = 0;
				st.fld_abs = r->base + pos;
			}
			continue;

		case ST_UNQ: {
			size_t q;
			switch (r->mode) {
			case MODE_LF:
				q = scan4(buf, pos, r->end, sep, '"', '\n', '\n');
				break;
			case MODE_CR:
				q = scan4(buf, pos, r->end, sep, '"', '\r', '\r');
				break;
			default:
				q = scan4(buf, pos, r->end, sep, '"', '\n', '\r');
				break;
			}
			r->pos = q;
			if (q == r->end)
				continue;
			char c = buf[q];
			if (c == sep) {
				rc = end_field(r, &st, r->base + q, r->base + q, err);
				if (rc)
					return rc;
				r->pos = q + 1;
				state = ST_FSTART;
				continue;
			}
			if (c == '"') {
				rec_error(&st, "quote inside unquoted field", 0);
				r->pos = q + 1;
				continue;
			}
			break; /* line ending candidate: handled below */
		}

		case ST_QUOTED: {
			size_t q;
			switch (r->mode) {
			case MODE_LF:
			case MODE_CRLF:
				q = scan4(buf, pos, r->end, '"', '\n', '\n', '\n');
				break;
			case MODE_CR:
				q = scan4(buf, pos, r->end, '"', '\r', '\r', '\r');
				break;
			default:
				q = scan4(buf, pos, r->end, '"', '\n', '\r', '\r');
				break;
			}
			r->pos = q;
			if (q == r->end)
				continue;
			char c = buf[q];
			if (c == '"') {
				if (q + 1 >= r->end && !r->eof)
					goto more;
				if (q + 1 < r->end && buf[q + 1] == '"') {
					st.has_dq = 1;
					r->pos = q + 2;
				} else {
					cend = r->base + q;
					r->pos = q + 1;
					state = ST_AFTERQ;
				}
				continue;
			}
			if (c == '\n') {
				if (r->mode == MODE_UNKNOWN)
					r->mode = MODE_LF;
				r->line++;
				r->pos = q + 1;
				continue;
			}
			/* '\r' in CR or unknown mode */
			if (r->mode == MODE_UNKNOWN) {
				if (q + 1 >= r->end && !r->eof)
					goto more;
				if (q + 1 < r->end && buf[q + 1] == '\n') {
					r->mode = MODE_CRLF; /* the LF is counted next */
					r->pos = q + 1;
					continue;
				}
				r->mode = MODE_CR;
			}
			r->line++;
			r->pos = q + 1;
			continue;
		}

		default: /* ST_AFTERQ */
			if (buf[pos] == sep) {
				rc = end_field(r, &st, cend, cend + 1, err);
				if (rc)
					return rc;
				r->pos = pos + 1;
				state = ST_FSTART;
				continue;
			}
			if ((buf[pos] == '\n' && r->mode != MODE_CR) ||
			    (buf[pos] == '\r' && r->mode != MODE_LF))
				break; /* line ending candidate */
			rec_error(&st, "unexpected character after closing quote", 0);
			state = ST_UNQ;
			continue;
		}

		/* r->pos is at a CR or LF that may end the record. */
		{
			size_t q = r->pos;
			char c = buf[q];
			size_t tlen = 1;
			if (c == '\n') {
				if (r->mode == MODE_CR) {
					/* data (only reachable from ST_UNQ scanning) */
					r->pos = q + 1;
					continue;
				}
				if (r->mode == MODE_UNKNOWN)
					r->mode = MODE_LF;
			} else if (r->mode != MODE_CR) {
				/* '\r' in CRLF or unknown mode: look at the next byte */
				if (q + 1 >= r->end && !r->eof)
					goto more;
				if (q + 1 < r->end && buf[q + 1] == '\n') {
					if (r->mode == MODE_UNKNOWN)
						r->mode = MODE_CRLF;
					tlen = 2;
				} else if (r->mode == MODE_UNKNOWN) {
					r->mode = MODE_CR;
				} else {
					/* lone CR in a CRLF file: data */
					if (state == ST_AFTERQ) {
						rec_error(&st, "unexpected character after closing quote", 0);
						state = ST_UNQ;
					}
					r->pos = q + 1;
					continue;
				}
			}
			uint64_t term = r->base + q;
			rc = end_field(r, &st, state == ST_AFTERQ ? cend : term, term, err);
			if (rc)
				return rc;
			r->pos = q + tlen;
			r->line++;
			return finish(r, &st, term, start_line, fields, nfields, line, err);
		}

	more:
		rc = need_more(r, &st, state == ST_UNQ || state == ST_QUOTED, err);
		if (rc)
			return rc;
	}
}

int kefu_csv_peek(kefu_csv *r, size_t want, kefu_str *out, kefu_err *err)
{
	out->p = "";
	out->n = 0;
	if (r->fatal)
		return kefu_err_set(err, r->fatal, "reader failed earlier");
	int rc = start(r, err);
	if (rc)
		return rc;
	while (r->end - r->pos < want && !r->eof) {
		rc = refill(r, r->base + r->pos, err);
		if (rc)
			return rc;
	}
	out->p = r->buf + r->pos;
	out->n = r->end - r->pos < want ? r->end - r->pos : want;
	return 0;
}

int kefu_csv_next_line(kefu_csv *r, kefu_str *out, long *lineno, kefu_err *err)
{
	out->p = NULL;
	out->n = 0;
	if (r->fatal)
		return kefu_err_set(err, r->fatal, "reader failed earlier");
	int rc = start(r, err);
	if (rc)
		return rc;
	csv_rec st;
	memset(&st, 0, sizeof st);
	st.rec_abs = r->base + r->pos;
	const long start_line = r->line;
	if (lineno)
		*lineno = start_line;
	uint64_t term;
	size_t tlen = 0;
	for (;;) {
		if (r->pos >= r->end) {
			if (!r->eof) {
				if ((rc = need_more(r, &st, 0, err)))
					return rc;
				continue;
			}
			term = r->base + r->pos;
			if (term == st.rec_abs)
				return 0;
			break;
		}
		size_t q;
		switch (r->mode) {
		case MODE_LF:
			q = scan4(r->buf, r->pos, r->end, '\n', '\n', '\n', '\n');
			break;
		case MODE_CR:
			q = scan4(r->buf, r->pos, r->end, '\r', '\r', '\r', '\r');
			break;
		default:
			q = scan4(r->buf, r->pos, r->end, '\n', '\r', '\r', '\r');
			break;
		}
		r->pos = q;
		if (q == r->end)
			continue;
		if (r->buf[q] == '\n') {
			if (r->mode == MODE_UNKNOWN)
				r->mode = MODE_LF;
			tlen = 1;
		} else if (r->mode == MODE_CR) {
			tlen = 1;
		} else {
			if (q + 1 >= r->end && !r->eof) {
				if ((rc = need_more(r, &st, 0, err)))
					return rc;
				continue;
			}
			if (q + 1 < r->end && r->buf[q + 1] == '\n') {
				if (r->mode == MODE_UNKNOWN)
					r->mode = MODE_CRLF;
				tlen = 2;
			} else if (r->mode == MODE_UNKNOWN) {
				r->mode = MODE_CR;
				tlen = 1;
			} else {
				r->pos = q + 1; /* lone CR in a CRLF file: data */
				continue;
			}
		}
		term = r->base + q;
		break;
	}
	set_raw(r, &st, term);
	size_t len = (size_t)(term - st.rec_abs);
	if (tlen) {
		r->pos += tlen;
		r->line++;
	}
	if (st.skipping || len > r->max_record) {
		kefu_err_set(err, KEFU_EPARSE, "line exceeds %zu bytes", r->max_record);
		kefu_err_at(err, r->name, start_line, 0);
		return KEFU_EPARSE;
	}
	out->p = r->buf + (size_t)(st.rec_abs - r->base);
	out->n = len;
	return 1;
}
