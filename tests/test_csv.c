/*
 * test_csv.c - unit tests of the streaming CSV reader (lib/csv.c): line
 * ending modes, BOM, quoting, error reporting and resynchronisation, line
 * numbers, limits, and a differential test that parses the same bytes with
 * tiny read buffers and compares with the in-place result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kefu/csv.h"
#include "testutil.h"


/* ---- helpers ---- */

typedef struct sbuf {
	char *p;
	size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_fmt(sbuf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	sb_add(b, tmp, (size_t)n);
}

/* Appends s with control bytes visible: \r \n | as \r \n \|. */
static void sb_esc(sbuf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r')
			sb_add(b, "\\r", 2);
		else if (p[i] == '\n')
			sb_add(b, "\\n", 2);
		else if (p[i] == '|')
			sb_add(b, "\\|", 2);
		else if (p[i] == '\\')
			sb_add(b, "\\\\", 2);
		else
			sb_add(b, p + i, 1);
	}
}

/*
 * Parses everything and returns a transcript: one line per result,
 * "L<line>:a|b|c" for records, "E<line>:<col>:<msg>" for errors, plus the
 * raw bytes "{raw}" when with_raw. bufsize 0 = in place.
 */
static char *transcript_opts(const char *data, size_t n, size_t bufsize,
			     const kefu_csv_opts *opts, int with_raw)
{
	kefu_csv *r = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_csv_open_mem(&r, data, n, "t.csv", opts, &err), 0);
	if (bufsize)
		kefu_csv_set_bufsize_for_test(r, bufsize);
	sbuf b = {0};
	sb_add(&b, "", 0);
	for (int guard = 0; guard < 100000; guard++) {
		kefu_str *f;
		size_t nf;
		long line = -1;
		kefu_err_clear(&err);
		int rc = kefu_csv_next(r, &f, &nf, &line, &err);
		if (rc == 0)
			break;
		if (rc == KEFU_EPARSE) {
			assert_string_equal(err.file, "t.csv");
			assert_int_equal(err.line, line);
			sb_fmt(&b, "E%ld:%ld:%s", err.line, err.col, err.msg);
		} else {
			assert_int_equal(rc, 1);
			sb_fmt(&b, "L%ld:", line);
			for (size_t i = 0; i < nf; i++) {
				if (i)
					sb_add(&b, "|", 1);
				sb_esc(&b, f[i].p, f[i].n);
			}
		}
		if (with_raw) {
			kefu_str raw;
			kefu_csv_raw(r, &raw);
			sb_add(&b, "{", 1);
			sb_esc(&b, raw.p, raw.n);
			sb_add(&b, "}", 1);
		}
		sb_add(&b, "\n", 1);
	}
	assert_int_equal(kefu_csv_offset(r), n);
	kefu_csv_free(r);
	return b.p;
}

static char *transcript(const char *data, size_t bufsize)
{
	return transcript_opts(data, strlen(data), bufsize, NULL, 0);
}

/* Checks the transcript in place and with several small buffers. */
static void expect(const char *data, const char *want)
{
	static const size_t sizes[] = {0, 1, 2, 3, 5, 7, 16, 64};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char *got = transcript(data, sizes[i]);
		if (strcmp(got, want) != 0)
			fail_msg("bufsize %zu:\n--- got ---\n%s--- want ---\n%s", sizes[i], got,
				 want);
		free(got);
	}
}

/* ---- tests ---- */

static void test_basic_lf(void **state)
{
	(void)state;
	expect("a,b,c\n1,2,3\n", "L1:a|b|c\nL2:1|2|3\n");
	expect("a,b\n1,2", "L1:a|b\nL2:1|2\n");          /* no final newline */
	expect("a,,\n,x,\n", "L1:a||\nL2:|x|\n");        /* empty fields */
	expect("a,b\n\n1,2\n", "L1:a|b\nL2:\nL3:1|2\n"); /* empty line = one empty field */
	expect("", "");
	expect("\n", "L1:\n");
	expect("x,", "L1:x|\n");
}

static void test_bom(void **state)
{
	(void)state;
	expect("\xEF\xBB\xBFshop,buyer\nA,B\n", "L1:shop|buyer\nL2:A|B\n");
	expect("\xEF\xBB\xBF", "");
	expect("\xEF\xBB", "L1:\xEF\xBB\n"); /* a partial BOM is data */
	/* strip_bom = 0 keeps it */
	kefu_csv_opts o = KEFU_CSV_OPTS_INIT;
	o.strip_bom = 0;
	char *got = transcript_opts("\xEF\xBB\xBFx\n", 4, 0, &o, 0);
	assert_string_equal(got, "L1:\xEF\xBB\xBFx\n");
	free(got);
}

static void test_crlf(void **state)
{
	(void)state;
	expect("a,b\r\nc,d\r\n", "L1:a|b\nL2:c|d\n");
	/* in a CRLF file a lone CR is data, a lone LF ends a record */
	expect("a,b\r\nc\rd,e\r\nf\ng\r\n", "L1:a|b\nL2:c\\rd|e\nL3:f\nL4:g\n");
	/* quoted CRLF inside a field counts one line */
	expect("h\r\n\"x\r\ny\",z\r\nnext\r\n", "L1:h\nL2:x\\r\\ny|z\nL4:next\n");
	/* lone CR right after a closing quote is an error (data after quote) */
	expect("h\r\n\"x\"\ry,z\r\nok\r\n",
	       "L1:h\nE2:1:unexpected character after closing quote\nL3:ok\n");
	/* CR at the very end of a CRLF file is data */
	expect("a\r\nb\r", "L1:a\nL2:b\\r\n");
}

static void test_cr_only(void **state)
{
	(void)state;
	expect("a,b\rc,d\r", "L1:a|b\nL2:c|d\n");
	/* LF is data in a CR file */
	expect("a,b\rc\nd,e\rf", "L1:a|b\nL2:c\\nd|e\nL3:f\n");
	expect("\"q\rr\",s\rt\r", "L1:q\\rr|s\nL3:t\n");
	/* the first line ending decides: CRLF later in a CR file */
	expect("a\rb\r\nc\r", "L1:a\nL2:b\nL3:\\nc\n");
}

static void test_lf_bare_cr_is_data(void **state)
{
	(void)state;
	expect("a,b\nc\rd,e\r\n", "L1:a|b\nL2:c\\rd|e\\r\n");
	expect("a\n\r\r\n", "L1:a\nL2:\\r\\r\n");
	expect("h\n\"a\rb\",\"\r\"\n", "L1:h\nL2:a\\rb|\\r\n");
}

static void test_quoted(void **state)
{
	(void)state;
	expect("\"a,b\",\"c\nd\",\"e\"\"f\"\nnext,1\n", "L1:a,b|c\\nd|e\"f\nL3:next|1\n");
	expect("\"\",\"\"\"\"\n", "L1:|\"\n");
	expect("\"multi\nline\nfield\"\n\"x\"\n", "L1:multi\\nline\\nfield\nL4:x\n");
	expect("a,\"b\"", "L1:a|b\n");                 /* closing quote at EOF */
	expect("\"\"\"\"\"\"\n", "L1:\"\"\n");          /* """""" = "" */
	expect("x,\"a\"\"\"\n", "L1:x|a\"\n");
	expect("\"a\"\"b\"\"c\",\"d\"\"\"\"e\"\n", "L1:a\"b\"c|d\"\"e\n");
}

static void test_line_numbers_after_multiline(void **state)
{
	(void)state;
	const char *in = "h1,h2\n"
			 "\"one\ntwo\nthree\",x\n" /* lines 2-4 */
			 "a,b\n"                    /* line 5 */
			 "\"p\"\"\nq\",\"r\ns\"\n"  /* lines 6-8 */
			 "bad\"quote,z\n"           /* line 9 */
			 "end,e\n";                 /* line 10 */
	expect(in, "L1:h1|h2\nL2:one\\ntwo\\nthree|x\nL5:a|b\nL6:p\"\\nq|r\\ns\n"
		   "E9:1:quote inside unquoted field\nL10:end|e\n");
}

static void test_errors_resync(void **state)
{
	(void)state;
	/* unterminated quote at EOF */
	expect("a,b\n\"c,d\nmore\n", "L1:a|b\nE2:1:unterminated quoted field\n");
	expect("a,\"", "E1:2:unterminated quoted field\n");
	/* quote inside an unquoted field */
	expect("a,b\"c,d\ne,f\n", "E1:2:quote inside unquoted field\nL2:e|f\n");
	/* character after closing quote; the rest of the record is skipped
	 * with quotes still respected */
	expect("\"a\"x,\"b\nc\"\nd,e\n",
	       "E1:1:unexpected character after closing quote\nL3:d|e\n");
	/* only the first error of a record is reported */
	expect("x\"y,\"a\"b\nok\n", "E1:1:quote inside unquoted field\nL2:ok\n");
}

static void test_error_fields(void **state)
{
	(void)state;
	kefu_csv *r;
	kefu_err err = KEFU_ERR_INIT;
	const char *in = "a,b\nc,d\"e\n";
	assert_int_equal(kefu_csv_open_mem(&r, in, strlen(in), "orders.csv", NULL, &err), 0);
	kefu_str *f;
	size_t nf;
	long line;
	assert_int_equal(kefu_csv_next(r, &f, &nf, &line, &err), 1);
	assert_int_equal(kefu_csv_next(r, &f, &nf, &line, &err), KEFU_EPARSE);
	assert_int_equal(err.code, KEFU_EPARSE);
	assert_string_equal(err.file, "orders.csv");
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 2);
	assert_string_equal(err.msg, "quote inside unquoted field");
	assert_null(f);
	assert_int_equal(nf, 0);
	kefu_str raw;
	kefu_csv_raw(r, &raw);
	assert_int_equal(raw.n, 5);
	assert_memory_equal(raw.p, "c,d\"e", 5);
	assert_int_equal(kefu_csv_next(r, &f, &nf, &line, &err), 0);
	assert_int_equal(kefu_csv_next(r, &f, &nf, &line, &err), 0);
	kefu_csv_free(r);
}

static void test_max_field(void **state)
{
	(void)state;
	kefu_csv_opts o = KEFU_CSV_OPTS_INIT;
	o.max_field = 10;
	static const size_t sizes[] = {0, 1, 3, 8};
	const char *in = "short,0123456789\nshort,0123456789A\n\"0123456789AB\",x\nnext,row\n";
	for (size_t i = 0; i < 4; i++) {
		char *got = transcript_opts(in, strlen(in), sizes[i], &o, 0);
		assert_string_equal(got, "L1:short|0123456789\nE2:2:field exceeds 10 bytes\n"
					 "E3:1:field exceeds 10 bytes\nL4:next|row\n");
		free(got);
	}
}

static void test_sep_option(void **state)
{
	(void)state;
	kefu_csv_opts o = KEFU_CSV_OPTS_INIT;
	o.sep = '\t';
	const char *in = "a\tb,c\t\"d\te\"\n";
	char *got = transcript_opts(in, strlen(in), 0, &o, 0);
	assert_string_equal(got, "L1:a|b,c|d\te\n");
	free(got);
	kefu_csv *r = (kefu_csv *)1;
	kefu_err err = KEFU_ERR_INIT;
	o.sep = '"';
	assert_int_equal(kefu_csv_open_mem(&r, "x", 1, "s", &o, &err), KEFU_EINVAL);
	assert_null(r);
	o.sep = '\n';
	assert_int_equal(kefu_csv_open_mem(&r, "x", 1, "s", &o, &err), KEFU_EINVAL);
}

static void test_raw_bytes(void **state)
{
	(void)state;
	const char *in = "a,\"b\"\"c\"\r\nd,e\r\n\"x\"y\r\n";
	const char *want = "L1:a|b\"c{a,\"b\"\"c\"}\nL2:d|e{d,e}\n"
			   "E3:1:unexpected character after closing quote{\"x\"y}\n";
	for (size_t bs = 0; bs < 9; bs++) {
		char *got = transcript_opts(in, strlen(in), bs, NULL, 1);
		assert_string_equal(got, want);
		free(got);
	}
}

/* Random inputs over a nasty alphabet: the in-place parse and parses with
 * tiny buffers must agree record by record, raw bytes included. */
static void test_buffer_boundaries_random(void **state)
{
	(void)state;
	static const char alpha[] = {'a', 'b', ',', ',', '"', '"', '\r', '\n', '\n',
				     ' ', (char)0xE4, (char)0xB8};
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	kefu_csv_opts o = KEFU_CSV_OPTS_INIT;
	o.max_field = 12;
	for (int iter = 0; iter < 1500; iter++) {
		char in[200];
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		size_t n = (size_t)(seed % sizeof in);
		for (size_t i = 0; i < n; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			in[i] = alpha[seed % sizeof alpha];
		}
		const kefu_csv_opts *op = (iter & 1) ? &o : NULL;
		char *ref = transcript_opts(in, n, 0, op, 1);
		static const size_t sizes[] = {1, 2, 3, 4, 7, 13};
		for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
			char *got = transcript_opts(in, n, sizes[k], op, 1);
			if (strcmp(got, ref) != 0)
				fail_msg("iter %d bufsize %zu differs:\n%s\nvs\n%s", iter, sizes[k],
					 got, ref);
			free(got);
		}
		free(ref);
	}
}

/* Writes data to a temporary file and returns an fd opened for reading. */
static int temp_fd(const char *data, size_t n)
{
	char path[] = "/tmp/kefu_test_csv_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, data + off, n - off);
		assert_true(w > 0);
		off += (size_t)w;
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void test_fd_source(void **state)
{
	(void)state;
	const char *in = "\xEF\xBB\xBFh1,h2\r\n\"x\r\ny\",z\r\nlast,1";
	int fd = temp_fd(in, strlen(in));
	kefu_csv *r;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_csv_open_fd(&r, fd, "f.csv", NULL, &err), 0);
	kefu_str *f;
	size_t nf;
	long line;
	assert_int_equal(kefu_csv_next(r, &f, &nf, &line, &err), 1);
	assert_int_equal(line, 1);
	assert_int_equal(nf, 2);
	assert_memory_equal(f[0].p, "h1", 2);
	assert_int_equal(kefu_csv_next(r, &f, &nf, &line, &err), 1);
	assert_int_equal(line, 2);
	assert_int_equal(f[0].n, 4);
	assert_memory_equal(f[0].p, "x\r\ny", 4);
	assert_int_equal(kefu_csv_next(r, &f, &nf, &line, &err), 1);
	assert_int_equal(line, 4);
	assert_memory_equal(f[1].p, "1", 1);
	assert_int_equal(kefu_csv_next(r, &f, &nf, &line, &err), 0);
	assert_int_equal(kefu_csv_offset(r), strlen(in));
	kefu_csv_free(r);
	close(fd);
}

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* A 100 MB field: a clean error with the default 16 MiB limit, bounded
 * memory, and the next row still read. Quoted and unquoted. */
static void test_huge_field(void **state)
{
	(void)state;
	const size_t big = (size_t)100 << 20;
	char path[] = "/tmp/kefu_test_big_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	FILE *w = fdopen(dup(fd), "wb");
	assert_non_null(w);
	char *chunk = malloc(1 << 20);
	assert_non_null(chunk);
	memset(chunk, 'x', 1 << 20);
	fputs("id,text\n1,", w);
	for (size_t i = 0; i < big >> 20; i++)
		fwrite(chunk, 1, 1 << 20, w);
	fputs("\n2,\"", w);
	for (size_t i = 0; i < big >> 20; i++)
		fwrite(chunk, 1, 1 << 20, w);
	fputs("\nstill \"\"quoted\"\"\"\n3,after\n", w);
	fclose(w);
	free(chunk);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);

	long rss0 = maxrss_kb();
	kefu_csv *r;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_csv_open_fd(&r, fd, "big.csv", NULL, &err), 0);
	kefu_str *f;
	size_t nf;
	long line;
	assert_int_equal(kefu_csv_next(r, &f, &nf, &line, &err), 1);
	assert_int_equal(kefu_csv_next(r, &f, &nf, &line, &err), KEFU_EPARSE);
	assert_string_equal(err.msg, "field exceeds 16777216 bytes");
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 2);
	kefu_str raw;
	kefu_csv_raw(r, &raw);
	assert_int_equal(raw.n, 64 << 10);
	assert_memory_equal(raw.p, "1,xxx", 5);
	assert_int_equal(kefu_csv_next(r, &f, &nf, &line, &err), KEFU_EPARSE);
	assert_string_equal(err.msg, "field exceeds 16777216 bytes");
	assert_int_equal(err.line, 3);
	assert_int_equal(err.col, 2);
	assert_int_equal(kefu_csv_next(r, &f, &nf, &line, &err), 1);
	assert_int_equal(line, 5);
	assert_int_equal(nf, 2);
	assert_memory_equal(f[1].p, "after", 5);
	assert_int_equal(kefu_csv_next(r, &f, &nf, &line, &err), 0);
	kefu_csv_free(r);
	close(fd);
	/* the reader never held a whole 100 MB field */
	long grown_mb = (maxrss_kb() - rss0) / 1024;
	assert_true(grown_mb < 80);
}

static void test_next_line(void **state)
{
	(void)state;
	static const char *ins[] = {"{\"a\":1}\n\n{\"b\":\"x\ry\"}", "{\"a\":1}\r\n\r\n{\"b\":\"x\ry\"}\r\n"};
	for (size_t k = 0; k < 2; k++) {
		for (size_t bs = 0; bs < 6; bs++) {
			kefu_csv *r;
			kefu_err err = KEFU_ERR_INIT;
			assert_int_equal(kefu_csv_open_mem(&r, ins[k], strlen(ins[k]), "j", NULL, &err),
					 0);
			if (bs)
				kefu_csv_set_bufsize_for_test(r, bs);
			kefu_str l;
			long no;
			assert_int_equal(kefu_csv_next_line(r, &l, &no, &err), 1);
			assert_int_equal(no, 1);
			assert_int_equal(l.n, 7);
			assert_int_equal(kefu_csv_next_line(r, &l, &no, &err), 1);
			assert_int_equal(no, 2);
			assert_int_equal(l.n, 0);
			assert_int_equal(kefu_csv_next_line(r, &l, &no, &err), 1);
			assert_int_equal(no, 3);
			assert_int_equal(l.n, 11);
			assert_memory_equal(l.p, "{\"b\":\"x\ry\"}", 11);
			assert_int_equal(kefu_csv_next_line(r, &l, &no, &err), 0);
			kefu_csv_free(r);
		}
	}
}

static void test_peek(void **state)
{
	(void)state;
	const char *in = "\xEF\xBB\xBF  {\"x\":1}\n";
	kefu_csv *r;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_csv_open_mem(&r, in, strlen(in), "p", NULL, &err), 0);
	kefu_csv_set_bufsize_for_test(r, 2);
	kefu_str h;
	assert_int_equal(kefu_csv_peek(r, 4, &h, &err), 0);
	assert_int_equal(h.n, 4);
	assert_memory_equal(h.p, "  {\"", 4);
	kefu_str l;
	long no;
	assert_int_equal(kefu_csv_next_line(r, &l, &no, &err), 1);
	assert_int_equal(l.n, 9);
	kefu_csv_free(r);
}

/* The real TWCS export: LF file, 5000 tweets, one text with two bare CRs. */
static void test_twcs_head5000(void **state)
{
	(void)state;
	const char *path = KEFU_SHARED_DATA "/twcs_customer_support_twitter/twcs_head5000.csv";
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		skip();
	kefu_csv *r;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_csv_open_fd(&r, fd, path, NULL, &err), 0);
	long records = 0, errors = 0, cr_ok = 0;
	size_t ncols = 0;
	for (;;) {
		kefu_str *f;
		size_t nf;
		long line;
		int rc = kefu_csv_next(r, &f, &nf, &line, &err);
		if (rc == 0)
			break;
		if (rc < 0) {
			errors++;
			continue;
		}
		records++;
		if (records == 1)
			ncols = nf;
		assert_int_equal(nf, ncols);
		if (nf >= 6 && f[1].n == 4 && memcmp(f[1].p, "3399", 4) == 0) {
			assert_int_equal(f[2].n, 6);
			assert_memory_equal(f[2].p, "116510", 6);
			const char *cr = memchr(f[5].p, '\r', f[5].n);
			assert_non_null(cr);
			assert_true(cr + 1 < f[5].p + f[5].n && cr[1] == '\r');
			cr_ok = 1;
		}
	}
	assert_int_equal(errors, 0);
	assert_int_equal(records, 5001);
	assert_int_equal(ncols, 8);
	assert_true(cr_ok);
	kefu_csv_free(r);
	close(fd);
}

/* Fixture files under tests/fixtures/csv/. */
static void test_fixtures(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		const char *want;
	} cases[] = {
		{"crlf_bom.csv", "L1:shop|buyer|agent|dir|ts|text\nL2:s1|b1|a1|B|2023-03-01 10:00:00|"
				 "hello, \"world\"\\r\\nline2\nL4:s1|b1|a1|A|2023-03-01 10:00:30|ok\n"},
		{"cr_only.csv", "L1:a|b\nL2:1|x\\ny\nL3:2|z\n"},
		{"unterminated.csv", "L1:a|b\nL2:1|2\nE3:2:unterminated quoted field\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/csv/%s", KEFU_TEST_FIXTURES, cases[i].file);
		FILE *fp = fopen(path, "rb");
		assert_non_null(fp);
		char data[4096];
		size_t n = fread(data, 1, sizeof data, fp);
		fclose(fp);
		char *got = transcript_opts(data, n, 0, NULL, 0);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s:\n%s", cases[i].file, got);
		free(got);
		got = transcript_opts(data, n, 3, NULL, 0);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

static void test_alloc_failure(void **state)
{
	(void)state;
	const char *in = "a,\"b\"\"c\",d\ne,f,g\n";
	for (long k = 1; k < 20; k++) {
		kefu_csv *r = NULL;
		kefu_err err = KEFU_ERR_INIT;
		kefu_alloc_fail_at(k);
		int rc = kefu_csv_open_mem(&r, in, strlen(in), "m", NULL, &err);
		if (rc == 0) {
			kefu_csv_set_bufsize_for_test(r, 4);
			kefu_str *f;
			size_t nf;
			long line;
			while ((rc = kefu_csv_next(r, &f, &nf, &line, &err)) > 0)
				;
			assert_true(rc == 0 || rc == KEFU_ENOMEM);
			kefu_csv_free(r);
		} else {
			assert_int_equal(rc, KEFU_ENOMEM);
			assert_null(r);
		}
		kefu_alloc_fail_at(0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_lf),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_cr_only),
		cmocka_unit_test(test_lf_bare_cr_is_data),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_line_numbers_after_multiline),
		cmocka_unit_test(test_errors_resync),
		cmocka_unit_test(test_error_fields),
		cmocka_unit_test(test_max_field),
		cmocka_unit_test(test_sep_option),
		cmocka_unit_test(test_raw_bytes),
		cmocka_unit_test(test_buffer_boundaries_random),
		cmocka_unit_test(test_fd_source),
		cmocka_unit_test(test_huge_field),
		cmocka_unit_test(test_next_line),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_twcs_head5000),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_alloc_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
