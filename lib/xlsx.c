/*
 * xlsx.c - streaming XLSX sheet reader (include/kefu/xlsx.h) on libzip and
 * expat.
 *
 * Opening reads, in order: _rels/.rels (where the workbook is; default
 * xl/workbook.xml), the workbook (sheet names, relationship ids, date1904),
 * the workbook's relationships (sheet, sharedStrings and styles paths), the
 * styles (which cell formats are dates) and the shared strings (into one
 * text buffer with an offset table, under max_sst_bytes). The sheet itself
 * is then parsed by kefu_xlsx_next() from zip_fread() chunks; the parser is
 * suspended (XML_StopParser resumable) at every </row> so one call returns
 * one row and nothing else of the sheet is kept.
 *
 * Numbers and dates never go through a double: the <v> text is rewritten
 * digit by digit (exponents) and date serials are split into integer days
 * and a decimal fraction that is turned into seconds with 128-bit integers.
 */
#include "kefu/xlsx.h"

#include <expat.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <zip.h>

#include "kefu/tz.h"

#define CHUNK ((size_t)64 << 10)
#define MAX_COLS 16384L
#define MAX_ROWS 1048576L
#define MAX_SHEETS 4096
#define MAX_XFS 1000000
#define MAX_NAME 1024

enum { K_NONE = 0, K_DATE = 1, K_DATETIME = 2, K_TIME = 3 };

typedef struct xbuf {
	char *p;
	size_t n, cap;
} xbuf;

typedef struct sheet_ent {
	char *name;
	char *rid;
} sheet_ent;

typedef struct rel_ent {
	char *id, *type, *target;
} rel_ent;

typedef struct fmt_ent {
	long id;
	int kind;
} fmt_ent;

struct kefu_xlsx {
	zip_t *za;
	char name[256];
	kefu_xlsx_opts o;
	int date1904;

	/* workbook */
	sheet_ent *sheets;
	size_t nsheets, sheets_cap;
	rel_ent *rels;
	size_t nrels, rels_cap;
	char *wb_path;   /* e.g. xl/workbook.xml */
	char *office;    /* target of the root officeDocument relationship */

	/* shared strings: entry i is sst.p[off[i] .. off[i+1]) */
	xbuf sst;
	size_t *sst_off;
	size_t sst_count, sst_off_cap;

	/* styles: kind per cellXfs index */
	unsigned char *xf_kind;
	size_t nxf;
	long *xf_fmt;
	size_t xf_fmt_cap;
	fmt_ent *fmts;
	size_t nfmts, fmts_cap;

	/* parsing state shared by the part parsers */
	XML_Parser xp;
	int depth_in;    /* generic flags for part parsers */
	int in_si, in_t, rph, in_xfs;
	size_t si_start;
	size_t part_bytes;
	int hfail;       /* handler failure code (0 = none) */
	kefu_err herr;

	/* sheet streaming */
	zip_file_t *zf;
	char *sheet_path;
	int eof, suspended, done, sheet_done, row_ready, failed;
	int in_sheetdata, in_row, in_c, in_v, in_is;
	long row_no, last_row;
	long c_col;
	char c_type;     /* 'n', 's', 'b', 'e', 'S' (str), 'i' (inlineStr), 'd' */
	long c_style;
	char c_ref[32];
	xbuf val;        /* the current cell's raw text */
	xbuf text;       /* the current row's cell texts */
	size_t *coff;    /* start,len pairs per cell */
	size_t ccap;
	kefu_str *cells;
	size_t ncells, cells_cap;
};

/* ---- small helpers ---- */

static int xb_add(xbuf *b, const char *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1) {
			if (cap > SIZE_MAX / 2)
				return KEFU_ENOMEM;
			cap *= 2;
		}
		char *np = kefu_realloc(b->p, cap);
		if (!np)
			return KEFU_ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

static const char *local_name(const char *name)
{
	const char *s = strrchr(name, '|');
	return s ? s + 1 : name;
}

/* Attribute by local name; want_ns: 1 = must be namespaced, 0 = must not,
 * -1 = either. */
static const char *attr(const char **atts, const char *local, int want_ns)
{
	for (size_t i = 0; atts[i]; i += 2) {
		const char *bar = strrchr(atts[i], '|');
		const char *ln = bar ? bar + 1 : atts[i];
		if (strcmp(ln, local) != 0)
			continue;
		if (want_ns == 1 && !bar)
			continue;
		if (want_ns == 0 && bar)
			continue;
		return atts[i + 1];
	}
	return NULL;
}

static int hfail(kefu_xlsx *x, int code, const char *fmt, const char *a)
{
	if (!x->hfail) {
		x->hfail = code;
		if (code == KEFU_ENOMEM)
			kefu_err_set(&x->herr, code, "out of memory");
		else
			kefu_err_set(&x->herr, code, fmt, a ? a : "");
	}
	XML_StopParser(x->xp, XML_FALSE);
	return code;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	if (!s)
		return -1;
	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	long v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > hi)
			return -1;
	}
	while (*s == ' ')
		s++;
	if (*s || v < lo)
		return -1;
	*out = v;
	return 0;
}

/* Decodes the OOXML escape _xHHHH_ in place; returns the new length. */
static size_t decode_x(char *p, size_t n)
{
	size_t i = 0, o = 0;
	while (i < n) {
		if (p[i] == '_' && i + 7 <= n && p[i + 1] == 'x' && p[i + 6] == '_') {
			unsigned cp = 0;
			int ok = 1;
			for (size_t k = 2; k < 6; k++) {
				char c = p[i + k];
				unsigned d;
				if (c >= '0' && c <= '9')
					d = (unsigned)(c - '0');
				else if (c >= 'a' && c <= 'f')
					d = (unsigned)(c - 'a' + 10);
				else if (c >= 'A' && c <= 'F')
					d = (unsigned)(c - 'A' + 10);
				else {
					ok = 0;
					break;
				}
				cp = cp * 16 + d;
			}
			if (ok && cp != 0 && (cp < 0xD800 || cp > 0xDFFF)) {
				if (cp < 0x80) {
					p[o++] = (char)cp;
				} else if (cp < 0x800) {
					p[o++] = (char)(0xC0 | (cp >> 6));
					p[o++] = (char)(0x80 | (cp & 0x3F));
				} else {
					p[o++] = (char)(0xE0 | (cp >> 12));
					p[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
					p[o++] = (char)(0x80 | (cp & 0x3F));
				}
				i += 7;
				continue;
			}
		}
		p[o++] = p[i++];
	}
	return o;
}

/* ---- numbers and dates ---- */

typedef struct decnum {
	int neg;
	const char *d1; /* integer digits */
	size_t n1;
	const char *d2; /* fraction digits */
	size_t n2;
	long exp;
	int has_exp;
} decnum;

static int dec_parse(const char *s, size_t n, decnum *d)
{
	memset(d, 0, sizeof *d);
	while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	size_t i = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		d->neg = s[i++] == '-';
	d->d1 = s + i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	d->n1 = (size_t)(s + i - d->d1);
	if (i < n && s[i] == '.') {
		i++;
		d->d2 = s + i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		d->n2 = (size_t)(s + i - d->d2);
	}
	if (d->n1 + d->n2 == 0)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		int eneg = 0;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			eneg = s[i++] == '-';
		if (i >= n || s[i] < '0' || s[i] > '9')
			return -1;
		long e = 0;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			e = e * 10 + (s[i] - '0');
			if (e > 100000)
				return -1;
		}
		d->exp = eneg ? -e : e;
		d->has_exp = 1;
	}
	return i == n ? 0 : -1;
}

/* Writes the plain decimal of d (exponent applied, leading zeros of the
 * integer part and trailing zeros of the fraction removed). */
static int dec_plain(const decnum *d, char *out, size_t cap)
{
	/* digits D = d1 d2, point after n1 + exp digits */
	size_t nd = d->n1 + d->n2;
	long point = (long)d->n1 + d->exp;
#define DIG(k) ((size_t)(k) < d->n1 ? d->d1[(k)] : d->d2[(size_t)(k) - d->n1])
	long first = 0, last = (long)nd - 1;
	while (first < (long)nd && DIG(first) == '0')
		first++;
	if (first == (long)nd) {
		if (cap < 2)
			return -1;
		out[0] = '0';
		out[1] = '\0';
		return 1;
	}
	while (last >= 0 && DIG(last) == '0')
		last--;
	/* integer part: positions [min(first, point) .. point), fraction:
	 * [point .. last] */
	size_t o = 0;
#define PUT(c)                          \
	do {                            \
		if (o + 1 >= cap)       \
			return -1;      \
		out[o++] = (c);         \
	} while (0)
	if (d->neg)
		PUT('-');
	if (point <= first) {
		PUT('0');
	} else {
		for (long k = first; k < point; k++)
			PUT(k < (long)nd ? DIG(k) : '0');
	}
	if (last >= point) {
		PUT('.');
		for (long k = point; k <= last; k++)
			PUT(k < 0 ? '0' : DIG(k));
	}
#undef PUT
#undef DIG
	out[o] = '\0';
	return (int)o;
}

int kefu_xlsx_number_text(const char *s, size_t n, char *out, size_t cap)
{
	decnum d;
	if (dec_parse(s, n, &d) != 0)
		return -1;
	if (!d.has_exp) {
		if (n + 1 > cap)
			return -1;
		memcpy(out, s, n);
		out[n] = '\0';
		return (int)n;
	}
	return dec_plain(&d, out, cap);
}

int kefu_xlsx_serial_format(const char *s, size_t n, int date1904, int kind, char *buf)
{
	char plain[512];
	decnum d;
	if (dec_parse(s, n, &d) != 0)
		return -1;
	if (d.has_exp) {
		if (dec_plain(&d, plain, sizeof plain) < 0)
			return -1;
		if (dec_parse(plain, strlen(plain), &d) != 0)
			return -1;
	}
	/* integer days */
	int64_t days = 0;
	int nonzero = 0;
	for (size_t i = 0; i < d.n1; i++) {
		days = days * 10 + (d.d1[i] - '0');
		if (days > 10000000)
			return -1;
	}
	nonzero = days != 0;
	/* fraction -> seconds, rounded half up: the fraction's digits times
	 * 86400, schoolbook; the carry out is the whole seconds and the first
	 * remaining digit decides the rounding (exact for any length) */
	unsigned char dig[512];
	size_t k = d.n2 > sizeof dig ? sizeof dig : d.n2;
	for (size_t i = 0; i < k; i++) {
		dig[i] = (unsigned char)(d.d2[i] - '0');
		if (dig[i])
			nonzero = 1;
	}
	for (size_t i = k; i < d.n2; i++)
		if (d.d2[i] != '0')
			nonzero = 1; /* digits beyond 512 cannot reach half a second */
	if (d.neg && nonzero)
		return -1;
	uint32_t carry = 0;
	for (size_t i = k; i-- > 0;) {
		uint32_t v = (uint32_t)dig[i] * 86400u + carry;
		dig[i] = (unsigned char)(v % 10);
		carry = v / 10;
	}
	int64_t fs = (int64_t)carry + (k > 0 && dig[0] >= 5 ? 1 : 0);
	int64_t total = days * 86400 + fs;
	days = total / 86400;
	int64_t sod = total % 86400;
	int hh = (int)(sod / 3600), mi = (int)(sod / 60 % 60), ss = (int)(sod % 60);
	if (kind == K_TIME) {
		long long h = (long long)(total / 3600);
		return snprintf(buf, 32, "%02lld:%02d:%02d", h, mi, ss);
	}
	char date[16];
	if (date1904) {
		if (days > 2957003)
			return -1;
		kefu_day_format(kefu_days_from_civil(1904, 1, 1) + days, date);
	} else {
		if (days > 2958465)
			return -1;
		if (days == 0)
			memcpy(date, "1900-01-00", 11);
		else if (days == 60)
			memcpy(date, "1900-02-29", 11);
		else if (days < 60)
			kefu_day_format(kefu_days_from_civil(1899, 12, 31) + days, date);
		else
			kefu_day_format(kefu_days_from_civil(1899, 12, 30) + days, date);
	}
	if (kind == K_DATE)
		return snprintf(buf, 32, "%s", date);
	return snprintf(buf, 32, "%s %02d:%02d:%02d", date, hh, mi, ss);
}

/* Classifies a number format code: K_NONE, K_DATE, K_DATETIME, K_TIME.
 * Quoted text, backslash escapes and [..] sections (colors, locales;
 * except elapsed [h] [m] [s]) are skipped; only the first section counts. */
static int fmt_kind(const char *f)
{
	int y = 0, m = 0, d = 0, h = 0, s = 0;
	for (const char *p = f; *p; p++) {
		char c = *p;
		if (c == '"') {
			p++;
			while (*p && *p != '"')
				p++;
			if (!*p)
				break;
			continue;
		}
		if (c == '\\' || c == '_' || c == '*') {
			if (p[1])
				p++;
			continue;
		}
		if (c == '[') {
			const char *e = strchr(p, ']');
			if (!e)
				break;
			char t = (char)(p[1] | 0x20);
			if ((t == 'h' || t == 'm' || t == 's') && e > p + 1) {
				int all = 1;
				for (const char *q = p + 1; q < e; q++)
					if ((*q | 0x20) != t)
						all = 0;
				if (all) {
					if (t == 'h')
						h = 1;
					else if (t == 's')
						s = 1;
					else
						h = 1; /* [mm] elapsed minutes: a time */
				}
			}
			p = e;
			continue;
		}
		if (c == ';')
			break;
		switch (c | 0x20) {
		case 'y':
			y = 1;
			break;
		case 'd':
			d = 1;
			break;
		case 'm':
			m = 1;
			break;
		case 'h':
			h = 1;
			break;
		case 's':
			s = 1;
			break;
		default:
			break;
		}
	}
	int date = y || d || (m && !h && !s);
	int time = h || s;
	if (date && time)
		return K_DATETIME;
	if (date)
		return K_DATE;
	if (time)
		return K_TIME;
	return K_NONE;
}

/* Built-in number formats: ECMA-376 18.8.30 plus the zh-CN ones. */
static int builtin_kind(long id)
{
	if ((id >= 14 && id <= 17) || (id >= 27 && id <= 31) || id == 36 ||
	    (id >= 50 && id <= 54) || id == 57 || id == 58)
		return K_DATE;
	if (id == 22)
		return K_DATETIME;
	if ((id >= 18 && id <= 21) || (id >= 45 && id <= 47) || (id >= 32 && id <= 35) ||
	    id == 55 || id == 56)
		return K_TIME;
	return K_NONE;
}

/* ---- zip parts ---- */

static int zerr_set(kefu_err *err, int code, const char *what, zip_error_t *ze)
{
	return kefu_err_set(err, code, "%s: %s", what, zip_error_strerror(ze));
}

static zip_int64_t locate(zip_t *za, const char *path)
{
	zip_int64_t i = zip_name_locate(za, path, 0);
	if (i < 0)
		i = zip_name_locate(za, path, ZIP_FL_NOCASE);
	return i;
}

/* Resolves a relationship target against the directory of `base` (a part
 * path); "/x" is absolute. Handles "." and ".." segments. */
static char *resolve(const char *base, const char *target)
{
	size_t bl = 0;
	if (target[0] == '/') {
		target++;
	} else {
		const char *sl = strrchr(base, '/');
		bl = sl ? (size_t)(sl - base) + 1 : 0;
	}
	size_t tl = strlen(target);
	char *out = kefu_malloc(bl + tl + 1);
	if (!out)
		return NULL;
	memcpy(out, base, bl);
	memcpy(out + bl, target, tl + 1);
	/* normalise segments in place */
	char *w = out;
	const char *r = out;
	while (*r) {
		const char *e = strchr(r, '/');
		size_t len = e ? (size_t)(e - r) : strlen(r);
		if (len == 1 && r[0] == '.') {
			/* skip */
		} else if (len == 2 && r[0] == '.' && r[1] == '.') {
			if (w > out) {
				w--; /* the '/' */
				while (w > out && w[-1] != '/')
					w--;
			}
		} else if (len > 0) {
			memmove(w, r, len);
			w += len;
			if (e)
				*w++ = '/';
		}
		r += len + (e ? 1 : 0);
	}
	*w = '\0';
	return out;
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
		       const XML_Char *pubid, int has_internal)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal;
	kefu_xlsx *x = ud;
	hfail(x, KEFU_EPARSE, "%sDTD not allowed in XLSX parts", "");
}

static XML_Parser new_parser(kefu_xlsx *x)
{
	static const XML_Memory_Handling_Suite mm = {kefu_malloc, kefu_realloc, kefu_free};
	XML_Parser p = XML_ParserCreate_MM("UTF-8", &mm, "|");
	if (!p)
		return NULL;
	XML_SetUserData(p, x);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	return p;
}

static int xml_error(kefu_xlsx *x, XML_Parser p, const char *part, kefu_err *err)
{
	if (XML_GetErrorCode(p) == XML_ERROR_NO_MEMORY)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	kefu_err_set(err, KEFU_EPARSE, "%s:%lu:%lu: XML error: %s", part,
		     (unsigned long)XML_GetCurrentLineNumber(p),
		     (unsigned long)XML_GetCurrentColumnNumber(p) + 1,
		     XML_ErrorString(XML_GetErrorCode(p)));
	kefu_err_at(err, x->name, 0, 0);
	return KEFU_EPARSE;
}

/* Parses a whole part with the handlers set by setup(). Returns 0, 1 when
 * the part is missing, or a negative code. limit: bytes (0 = none). */
static int parse_part(kefu_xlsx *x, const char *path, void (*setup)(XML_Parser),
		      size_t limit, kefu_err *err)
{
	zip_int64_t idx = locate(x->za, path);
	if (idx < 0)
		return 1;
	zip_file_t *zf = zip_fopen_index(x->za, (zip_uint64_t)idx, 0);
	if (!zf) {
		zerr_set(err, KEFU_EPARSE, path, zip_get_error(x->za));
		kefu_err_at(err, x->name, 0, 0);
		return KEFU_EPARSE;
	}
	XML_Parser p = new_parser(x);
	if (!p) {
		zip_fclose(zf);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	x->xp = p;
	x->hfail = 0;
	x->in_si = x->in_t = x->rph = x->in_xfs = 0;
	setup(p);
	size_t total = 0;
	int rc = 0;
	for (;;) {
		void *buf = XML_GetBuffer(p, (int)CHUNK);
		if (!buf) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			break;
		}
		zip_int64_t got = zip_fread(zf, buf, CHUNK);
		if (got < 0) {
			zerr_set(err, KEFU_EPARSE, path, zip_file_get_error(zf));
			kefu_err_at(err, x->name, 0, 0);
			rc = KEFU_EPARSE;
			break;
		}
		total += (size_t)got;
		if (limit && total > limit) {
			rc = kefu_err_set(err, KEFU_EPARSE, "%s is larger than %zu bytes", path,
					  limit);
			kefu_err_at(err, x->name, 0, 0);
			break;
		}
		if (XML_ParseBuffer(p, (int)got, got == 0) != XML_STATUS_OK) {
			if (x->hfail) {
				*err = x->herr;
				if (x->hfail != KEFU_ENOMEM)
					kefu_err_at(err, x->name, 0, 0);
				rc = x->hfail;
			} else {
				rc = xml_error(x, p, path, err);
			}
			break;
		}
		if (got == 0)
			break;
	}
	XML_ParserFree(p);
	x->xp = NULL;
	zip_fclose(zf);
	return rc;
}

static char *dup_s(const char *s)
{
	return kefu_strndup(s, strlen(s));
}

/* _rels/.rels: the officeDocument target */
static void root_rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	kefu_xlsx *x = ud;
	if (strcmp(local_name(name), "Relationship") != 0 || x->office)
		return;
	const char *type = attr(atts, "Type", 0), *target = attr(atts, "Target", 0);
	if (!type || !target)
		return;
	size_t tl = strlen(type);
	if (tl >= 15 && strcmp(type + tl - 15, "/officeDocument") == 0) {
		x->office = resolve("", target);
		if (!x->office)
			hfail(x, KEFU_ENOMEM, "%s", NULL);
	}
}
static void setup_root_rels(XML_Parser p) { XML_SetStartElementHandler(p, root_rels_start); }

static void wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	kefu_xlsx *x = ud;
	const char *ln = local_name(name);
	if (strcmp(ln, "workbookPr") == 0) {
		const char *v = attr(atts, "date1904", 0);
		if (v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0))
			x->date1904 = 1;
	} else if (strcmp(ln, "sheet") == 0) {
		const char *nm = attr(atts, "name", 0), *rid = attr(atts, "id", 1);
		if (!nm || !rid) {
			hfail(x, KEFU_EPARSE, "not an XLSX file: <sheet> without name or r:id%s",
			      "");
			return;
		}
		if (x->nsheets >= MAX_SHEETS) {
			hfail(x, KEFU_EPARSE, "more than 4096 sheets%s", "");
			return;
		}
		if (kefu_grow((void **)&x->sheets, &x->sheets_cap, x->nsheets + 1,
			      sizeof *x->sheets) != 0) {
			hfail(x, KEFU_ENOMEM, "%s", NULL);
			return;
		}
		sheet_ent *s = &x->sheets[x->nsheets];
		s->name = dup_s(nm);
		s->rid = dup_s(rid);
		x->nsheets++;
		if (!s->name || !s->rid)
			hfail(x, KEFU_ENOMEM, "%s", NULL);
	}
}
static void setup_wb(XML_Parser p) { XML_SetStartElementHandler(p, wb_start); }

static void rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	kefu_xlsx *x = ud;
	if (strcmp(local_name(name), "Relationship") != 0)
		return;
	const char *id = attr(atts, "Id", 0), *type = attr(atts, "Type", 0),
		   *target = attr(atts, "Target", 0), *mode = attr(atts, "TargetMode", 0);
	if (!id || !type || !target || (mode && strcmp(mode, "External") == 0))
		return;
	if (x->nrels >= 100000) {
		hfail(x, KEFU_EPARSE, "too many relationships%s", "");
		return;
	}
	if (kefu_grow((void **)&x->rels, &x->rels_cap, x->nrels + 1, sizeof *x->rels) != 0) {
		hfail(x, KEFU_ENOMEM, "%s", NULL);
		return;
	}
	rel_ent *r = &x->rels[x->nrels++];
	r->id = dup_s(id);
	r->type = dup_s(type);
	r->target = resolve(x->wb_path, target);
	if (!r->id || !r->type || !r->target)
		hfail(x, KEFU_ENOMEM, "%s", NULL);
}
static void setup_rels(XML_Parser p) { XML_SetStartElementHandler(p, rels_start); }

/* styles.xml */
static void st_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	kefu_xlsx *x = ud;
	const char *ln = local_name(name);
	if (strcmp(ln, "numFmt") == 0) {
		long id;
		const char *code = attr(atts, "formatCode", 0);
		if (parse_long(attr(atts, "numFmtId", 0), 0, 1000000, &id) != 0 || !code)
			return;
		if (x->nfmts >= 100000) {
			hfail(x, KEFU_EPARSE, "too many number formats%s", "");
			return;
		}
		if (kefu_grow((void **)&x->fmts, &x->fmts_cap, x->nfmts + 1, sizeof *x->fmts) !=
		    0) {
			hfail(x, KEFU_ENOMEM, "%s", NULL);
			return;
		}
		x->fmts[x->nfmts].id = id;
		x->fmts[x->nfmts].kind = fmt_kind(code);
		x->nfmts++;
	} else if (strcmp(ln, "cellXfs") == 0) {
		x->in_xfs = 1;
	} else if (strcmp(ln, "xf") == 0 && x->in_xfs) {
		long id;
		if (parse_long(attr(atts, "numFmtId", 0), 0, 1000000, &id) != 0)
			id = 0;
		if (x->nxf >= MAX_XFS) {
			hfail(x, KEFU_EPARSE, "too many cell formats%s", "");
			return;
		}
		if (kefu_grow((void **)&x->xf_fmt, &x->xf_fmt_cap, x->nxf + 1, sizeof *x->xf_fmt) !=
		    0) {
			hfail(x, KEFU_ENOMEM, "%s", NULL);
			return;
		}
		x->xf_fmt[x->nxf++] = id;
	}
}
static void st_end(void *ud, const XML_Char *name)
{
	kefu_xlsx *x = ud;
	if (strcmp(local_name(name), "cellXfs") == 0)
		x->in_xfs = 0;
}
static void setup_st(XML_Parser p)
{
	XML_SetElementHandler(p, st_start, st_end);
}

/* sharedStrings.xml */
static int sst_push(kefu_xlsx *x)
{
	if (x->sst.n + 8 * (x->sst_count + 2) > x->o.max_sst_bytes) {
		char lim[32];
		snprintf(lim, sizeof lim, "%zu", x->o.max_sst_bytes);
		return hfail(x, KEFU_EPARSE, "shared strings table larger than the limit of %s bytes",
			     lim);
	}
	if (kefu_grow((void **)&x->sst_off, &x->sst_off_cap, x->sst_count + 2,
		      sizeof *x->sst_off) != 0)
		return KEFU_ENOMEM;
	x->sst_off[x->sst_count + 1] = x->sst.n;
	x->sst_count++;
	return 0;
}
static void sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	(void)atts;
	kefu_xlsx *x = ud;
	const char *ln = local_name(name);
	if (strcmp(ln, "si") == 0) {
		x->in_si = 1;
		x->rph = 0;
		x->si_start = x->sst.n;
	} else if (!x->in_si) {
		return;
	} else if (strcmp(ln, "rPh") == 0) {
		x->rph++;
	} else if (strcmp(ln, "t") == 0 && !x->rph) {
		x->in_t = 1;
	}
}
static void sst_end(void *ud, const XML_Char *name)
{
	kefu_xlsx *x = ud;
	const char *ln = local_name(name);
	if (strcmp(ln, "si") == 0 && x->in_si) {
		x->in_si = 0;
		x->in_t = 0;
		size_t len = decode_x(x->sst.p ? x->sst.p + x->si_start : NULL, x->sst.n - x->si_start);
		x->sst.n = x->si_start + len;
		if (sst_push(x) != 0)
			hfail(x, KEFU_ENOMEM, "%s", NULL); /* no-op when already failed */
	} else if (strcmp(ln, "rPh") == 0 && x->rph) {
		x->rph--;
	} else if (strcmp(ln, "t") == 0) {
		x->in_t = 0;
	}
}
static void sst_text(void *ud, const XML_Char *s, int len)
{
	kefu_xlsx *x = ud;
	if (!x->in_t || len <= 0)
		return;
	if (x->sst.n + (size_t)len + 8 * (x->sst_count + 1) > x->o.max_sst_bytes) {
		char lim[32];
		snprintf(lim, sizeof lim, "%zu", x->o.max_sst_bytes);
		hfail(x, KEFU_EPARSE, "shared strings table larger than the limit of %s bytes", lim);
		return;
	}
	if (xb_add(&x->sst, s, (size_t)len) != 0)
		hfail(x, KEFU_ENOMEM, "%s", NULL);
}
static void setup_sst(XML_Parser p)
{
	XML_SetElementHandler(p, sst_start, sst_end);
	XML_SetCharacterDataHandler(p, sst_text);
}

static const rel_ent *rel_by_type(const kefu_xlsx *x, const char *suffix)
{
	size_t sl = strlen(suffix);
	for (size_t i = 0; i < x->nrels; i++) {
		size_t tl = strlen(x->rels[i].type);
		if (tl >= sl && strcmp(x->rels[i].type + tl - sl, suffix) == 0)
			return &x->rels[i];
	}
	return NULL;
}

/* ---- the sheet ---- */

static int row_add_cell(kefu_xlsx *x, const char *p, size_t n)
{
	if (kefu_grow((void **)&x->coff, &x->ccap, 2 * (x->ncells + 1), sizeof *x->coff) != 0)
		return KEFU_ENOMEM;
	x->coff[2 * x->ncells] = x->text.n;
	x->coff[2 * x->ncells + 1] = n;
	x->ncells++;
	return xb_add(&x->text, p, n);
}

static void cell_fail(kefu_xlsx *x, const char *fmt, const char *a)
{
	hfail(x, KEFU_EPARSE, fmt, a);
	if (x->hfail == KEFU_EPARSE)
		kefu_err_at(&x->herr, "", x->row_no, x->c_col + 1);
}

/* Turns the collected <v>/<t> text of the current cell into its CSV text. */
static void cell_finish(kefu_xlsx *x)
{
	while ((long)x->ncells < x->c_col)
		if (row_add_cell(x, "", 0) != 0) {
			hfail(x, KEFU_ENOMEM, "%s", NULL);
			return;
		}
	if ((long)x->ncells > x->c_col) {
		cell_fail(x, "cell %s out of order", x->c_ref);
		return;
	}
	const char *v = x->val.p ? x->val.p : "";
	size_t n = x->val.n;
	int rc = 0;
	switch (x->c_type) {
	case 's': {
		long idx;
		if (n == 0) {
			rc = row_add_cell(x, "", 0);
			break;
		}
		if (parse_long(v, 0, LONG_MAX / 2, &idx) != 0 || (size_t)idx >= x->sst_count) {
			cell_fail(x, "shared string index '%s' out of range", v);
			return;
		}
		size_t a = x->sst_off[idx], b = x->sst_off[idx + 1];
		/* the sst buffer is stable while the sheet is read */
		rc = row_add_cell(x, x->sst.p ? x->sst.p + a : "", b - a);
		break;
	}
	case 'i':
	case 'S':
		n = decode_x(x->val.p ? x->val.p : NULL, n);
		rc = row_add_cell(x, v, n);
		break;
	case 'b':
		if (n == 1 && v[0] == '0')
			rc = row_add_cell(x, "FALSE", 5);
		else if (n == 1 && v[0] == '1')
			rc = row_add_cell(x, "TRUE", 4);
		else
			rc = row_add_cell(x, v, n);
		break;
	case 'd': {
		/* ISO 8601 date text: "2023-03-01T10:00:00" -> with a space */
		size_t start = x->text.n;
		rc = row_add_cell(x, v, n);
		if (rc == 0 && n >= 11 && x->text.p[start + 10] == 'T')
			x->text.p[start + 10] = ' ';
		break;
	}
	case 'n': {
		size_t b = 0;
		while (b < n && (v[b] == ' ' || v[b] == '\n' || v[b] == '\r' || v[b] == '\t'))
			b++;
		while (n > b && (v[n - 1] == ' ' || v[n - 1] == '\n' || v[n - 1] == '\r' ||
				 v[n - 1] == '\t'))
			n--;
		v += b;
		n -= b;
		if (n == 0) {
			rc = row_add_cell(x, "", 0);
			break;
		}
		int kind = (x->c_style >= 0 && (size_t)x->c_style < x->nxf) ? x->xf_kind[x->c_style]
									    : K_NONE;
		if (kind != K_NONE) {
			char buf[32];
			int len = kefu_xlsx_serial_format(v, n, x->date1904, kind, buf);
			if (len > 0) {
				rc = row_add_cell(x, buf, (size_t)len);
				break;
			}
		}
		decnum d;
		if (dec_parse(v, n, &d) == 0 && d.has_exp) {
			size_t cap = d.n1 + d.n2 + (size_t)(d.exp < 0 ? -d.exp : d.exp) + 4;
			char *tmp = kefu_malloc(cap);
			if (!tmp) {
				rc = KEFU_ENOMEM;
				break;
			}
			int len = dec_plain(&d, tmp, cap);
			rc = len < 0 ? row_add_cell(x, v, n) : row_add_cell(x, tmp, (size_t)len);
			kefu_free(tmp);
		} else {
			rc = row_add_cell(x, v, n);
		}
		break;
	}
	default: /* 'e' errors and anything unknown: the text as is */
		rc = row_add_cell(x, v, n);
		break;
	}
	if (rc != 0)
		hfail(x, KEFU_ENOMEM, "%s", NULL);
}

/* "AB12" -> column 27 (0-based 27); returns -1 when malformed. */
static long col_of_ref(const char *r)
{
	long c = 0;
	int nl = 0;
	while (*r >= 'A' && *r <= 'Z') {
		c = c * 26 + (*r - 'A' + 1);
		r++;
		if (++nl > 3)
			return -1;
	}
	if (nl == 0 || c > MAX_COLS)
		return -1;
	const char *digits = r;
	while (*r >= '0' && *r <= '9')
		r++;
	if (*r || r == digits)
		return -1;
	return c - 1;
}

static void sh_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	kefu_xlsx *x = ud;
	const char *ln = local_name(name);
	if (!x->in_sheetdata) {
		if (strcmp(ln, "sheetData") == 0)
			x->in_sheetdata = 1;
		return;
	}
	if (strcmp(ln, "row") == 0) {
		long r;
		const char *ra = attr(atts, "r", 0);
		if (!ra) {
			r = x->last_row + 1;
			if (r > MAX_ROWS) {
				hfail(x, KEFU_EPARSE, "more than 1048576 rows%s", "");
				return;
			}
		} else if (parse_long(ra, 1, MAX_ROWS, &r) != 0) {
			hfail(x, KEFU_EPARSE, "bad row number '%s'", ra);
			kefu_err_at(&x->herr, "", x->last_row + 1, 0);
			return;
		}
		x->in_row = 1;
		x->row_no = r;
		x->ncells = 0;
		x->text.n = 0;
		x->c_col = -1;
	} else if (strcmp(ln, "c") == 0 && x->in_row) {
		const char *r = attr(atts, "r", 0), *t = attr(atts, "t", 0),
			   *s = attr(atts, "s", 0);
		long prev = x->c_col;
		if (r) {
			snprintf(x->c_ref, sizeof x->c_ref, "%s", r);
			x->c_col = col_of_ref(r);
			if (x->c_col < 0) {
				x->c_col = prev + 1;
				cell_fail(x, "bad cell reference '%s'", r);
				return;
			}
		} else {
			x->c_col = (long)x->ncells;
			if (x->c_col >= MAX_COLS) {
				cell_fail(x, "more than 16384 columns%s", "");
				return;
			}
			snprintf(x->c_ref, sizeof x->c_ref, "#%ld", x->c_col + 1);
		}
		x->c_type = 'n';
		if (t) {
			if (strcmp(t, "s") == 0)
				x->c_type = 's';
			else if (strcmp(t, "inlineStr") == 0)
				x->c_type = 'i';
			else if (strcmp(t, "str") == 0)
				x->c_type = 'S';
			else if (strcmp(t, "b") == 0)
				x->c_type = 'b';
			else if (strcmp(t, "e") == 0)
				x->c_type = 'e';
			else if (strcmp(t, "d") == 0)
				x->c_type = 'd';
		}
		if (!s || parse_long(s, 0, MAX_XFS, &x->c_style) != 0)
			x->c_style = -1;
		x->in_c = 1;
		x->in_v = x->in_is = x->in_t = x->rph = 0;
		x->val.n = 0;
	} else if (x->in_c) {
		if (strcmp(ln, "v") == 0 && x->c_type != 'i')
			x->in_v = 1;
		else if (strcmp(ln, "is") == 0)
			x->in_is = 1;
		else if (strcmp(ln, "rPh") == 0 && x->in_is)
			x->rph++;
		else if (strcmp(ln, "t") == 0 && x->in_is && !x->rph)
			x->in_t = 1;
	}
}

static void sh_end(void *ud, const XML_Char *name)
{
	kefu_xlsx *x = ud;
	if (!x->in_sheetdata)
		return;
	const char *ln = local_name(name);
	if (x->in_c) {
		if (strcmp(ln, "c") == 0) {
			x->in_c = 0;
			cell_finish(x);
		} else if (strcmp(ln, "v") == 0) {
			x->in_v = 0;
		} else if (strcmp(ln, "t") == 0) {
			x->in_t = 0;
		} else if (strcmp(ln, "rPh") == 0 && x->rph) {
			x->rph--;
		} else if (strcmp(ln, "is") == 0) {
			x->in_is = 0;
		}
		return;
	}
	if (strcmp(ln, "row") == 0 && x->in_row) {
		x->in_row = 0;
		x->last_row = x->row_no;
		x->row_ready = 1;
		XML_StopParser(x->xp, XML_TRUE);
	} else if (strcmp(ln, "sheetData") == 0) {
		x->in_sheetdata = 0;
		x->sheet_done = 1;
		XML_StopParser(x->xp, XML_FALSE);
	}
}

static void sh_text(void *ud, const XML_Char *s, int len)
{
	kefu_xlsx *x = ud;
	if (!(x->in_v || x->in_t) || len <= 0)
		return;
	if (x->val.n + (size_t)len > x->o.max_cell_bytes) {
		char lim[32];
		snprintf(lim, sizeof lim, "%zu", x->o.max_cell_bytes);
		cell_fail(x, "cell longer than %s bytes", lim);
		return;
	}
	if (xb_add(&x->val, s, (size_t)len) != 0)
		hfail(x, KEFU_ENOMEM, "%s", NULL);
}

/* ---- open / next / free ---- */

static int open_common(kefu_xlsx *x, const char *sheet, kefu_err *err)
{
	int rc;
	/* where is the workbook? */
	rc = parse_part(x, "_rels/.rels", setup_root_rels, x->o.max_part_bytes, err);
	if (rc < 0)
		return rc;
	x->wb_path = dup_s(x->office ? x->office : "xl/workbook.xml");
	if (!x->wb_path)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	rc = parse_part(x, x->wb_path, setup_wb, x->o.max_part_bytes, err);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		kefu_err_set(err, KEFU_EPARSE, "not an XLSX file (no %s)", x->wb_path);
		kefu_err_at(err, x->name, 0, 0);
		return KEFU_EPARSE;
	}
	if (x->nsheets == 0) {
		kefu_err_set(err, KEFU_EPARSE, "not an XLSX file (the workbook has no sheets)");
		kefu_err_at(err, x->name, 0, 0);
		return KEFU_EPARSE;
	}
	/* relationships of the workbook: dir/_rels/name.rels */
	const char *sl = strrchr(x->wb_path, '/');
	size_t dl = sl ? (size_t)(sl - x->wb_path) + 1 : 0;
	char rels[MAX_NAME + 32];
	if (strlen(x->wb_path) > MAX_NAME)
		return kefu_err_set(err, KEFU_EPARSE, "not an XLSX file (workbook path too long)");
	snprintf(rels, sizeof rels, "%.*s_rels/%s.rels", (int)dl, x->wb_path, x->wb_path + dl);
	rc = parse_part(x, rels, setup_rels, x->o.max_part_bytes, err);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		kefu_err_set(err, KEFU_EPARSE, "not an XLSX file (no %s)", rels);
		kefu_err_at(err, x->name, 0, 0);
		return KEFU_EPARSE;
	}
	/* the sheet */
	const sheet_ent *se = NULL;
	if (!sheet) {
		se = &x->sheets[0];
	} else {
		for (size_t i = 0; i < x->nsheets && !se; i++)
			if (strcmp(x->sheets[i].name, sheet) == 0)
				se = &x->sheets[i];
		if (!se) {
			kefu_err_set(err, KEFU_EPARSE, "sheet '%s' not found", sheet);
			kefu_err_at(err, x->name, 0, 0);
			return KEFU_EPARSE;
		}
	}
	for (size_t i = 0; i < x->nrels; i++)
		if (strcmp(x->rels[i].id, se->rid) == 0) {
			x->sheet_path = dup_s(x->rels[i].target);
			if (!x->sheet_path)
				return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			break;
		}
	if (!x->sheet_path) {
		kefu_err_set(err, KEFU_EPARSE,
			     "not an XLSX file (sheet '%s' has no relationship '%s')", se->name,
			     se->rid);
		kefu_err_at(err, x->name, 0, 0);
		return KEFU_EPARSE;
	}
	/* styles (optional) */
	const rel_ent *re = rel_by_type(x, "/styles");
	char *sp = dup_s(re ? re->target : "xl/styles.xml");
	if (!sp)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	rc = parse_part(x, sp, setup_st, x->o.max_part_bytes, err);
	kefu_free(sp);
	if (rc < 0)
		return rc;
	if (x->nxf) {
		x->xf_kind = kefu_calloc(x->nxf, 1);
		if (!x->xf_kind)
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		for (size_t i = 0; i < x->nxf; i++) {
			int kind = builtin_kind(x->xf_fmt[i]);
			for (size_t k = 0; k < x->nfmts; k++)
				if (x->fmts[k].id == x->xf_fmt[i])
					kind = x->fmts[k].kind; /* the last definition wins */
			x->xf_kind[i] = (unsigned char)kind;
		}
	}
	/* shared strings (optional) */
	re = rel_by_type(x, "/sharedStrings");
	sp = dup_s(re ? re->target : "xl/sharedStrings.xml");
	if (!sp)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	x->sst_off = kefu_malloc(sizeof *x->sst_off * 16);
	if (!x->sst_off) {
		kefu_free(sp);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	x->sst_off_cap = 16;
	x->sst_off[0] = 0;
	rc = parse_part(x, sp, setup_sst, 0, err);
	kefu_free(sp);
	if (rc < 0)
		return rc;
	/* the sheet stream */
	zip_int64_t idx = locate(x->za, x->sheet_path);
	if (idx < 0) {
		kefu_err_set(err, KEFU_EPARSE, "not an XLSX file (no %s)", x->sheet_path);
		kefu_err_at(err, x->name, 0, 0);
		return KEFU_EPARSE;
	}
	x->zf = zip_fopen_index(x->za, (zip_uint64_t)idx, 0);
	if (!x->zf) {
		zerr_set(err, KEFU_EPARSE, x->sheet_path, zip_get_error(x->za));
		kefu_err_at(err, x->name, 0, 0);
		return KEFU_EPARSE;
	}
	x->xp = new_parser(x);
	if (!x->xp)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	XML_SetElementHandler(x->xp, sh_start, sh_end);
	XML_SetCharacterDataHandler(x->xp, sh_text);
	x->hfail = 0;
	x->rph = x->in_t = 0;
	return 0;
}

static int open_any(kefu_xlsx **out, const char *path, const void *data, size_t n,
		    const char *name, const char *sheet, const kefu_xlsx_opts *opts, kefu_err *err)
{
	*out = NULL;
	kefu_xlsx *x = kefu_calloc(1, sizeof *x);
	if (!x)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	kefu_xlsx_opts def = KEFU_XLSX_OPTS_INIT;
	x->o = opts ? *opts : def;
	snprintf(x->name, sizeof x->name, "%s", name ? name : "");
	int rc;
	zip_error_t ze;
	zip_error_init(&ze);
	if (path) {
		int zcode = 0;
		x->za = zip_open(path, ZIP_RDONLY, &zcode);
		if (!x->za) {
			zip_error_init_with_code(&ze, zcode);
			if (zcode == ZIP_ER_NOZIP || zcode == ZIP_ER_INCONS || zcode == ZIP_ER_CRC ||
			    zcode == ZIP_ER_COMPNOTSUPP)
				rc = kefu_err_set(err, KEFU_EPARSE,
						  "not an XLSX file (not a zip archive: %s)",
						  zip_error_strerror(&ze));
			else if (zcode == ZIP_ER_MEMORY)
				rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			else
				rc = kefu_err_set(err, KEFU_EIO, "cannot open: %s",
						  zip_error_strerror(&ze));
			kefu_err_at(err, x->name, 0, 0);
			goto fail;
		}
	} else {
		zip_source_t *src = zip_source_buffer_create(data, n, 0, &ze);
		if (!src) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto fail;
		}
		x->za = zip_open_from_source(src, ZIP_RDONLY, &ze);
		if (!x->za) {
			zip_source_free(src);
			rc = kefu_err_set(err, KEFU_EPARSE, "not an XLSX file (not a zip archive: %s)",
					  zip_error_strerror(&ze));
			kefu_err_at(err, x->name, 0, 0);
			goto fail;
		}
	}
	rc = open_common(x, sheet, err);
	if (rc != 0)
		goto fail;
	zip_error_fini(&ze);
	*out = x;
	return 0;
fail:
	zip_error_fini(&ze);
	kefu_xlsx_free(x);
	return rc;
}

int kefu_xlsx_open_opts(kefu_xlsx **out, const char *path, const char *sheet,
			const kefu_xlsx_opts *opts, kefu_err *err)
{
	return open_any(out, path, NULL, 0, path, sheet, opts, err);
}

int kefu_xlsx_open(kefu_xlsx **out, const char *path, const char *sheet, kefu_err *err)
{
	return open_any(out, path, NULL, 0, path, sheet, NULL, err);
}

int kefu_xlsx_open_mem(kefu_xlsx **out, const void *data, size_t n, const char *name,
		       const char *sheet, const kefu_xlsx_opts *opts, kefu_err *err)
{
	return open_any(out, NULL, data, n, name, sheet, opts, err);
}

static int sheet_fail(kefu_xlsx *x, int code, kefu_err *err)
{
	x->failed = code;
	x->herr.code = code;
	if (err)
		*err = x->herr;
	return code;
}

int kefu_xlsx_next(kefu_xlsx *x, kefu_str **cells, size_t *ncells, long *row, kefu_err *err)
{
	*cells = NULL;
	*ncells = 0;
	if (x->failed) {
		if (err)
			*err = x->herr;
		return x->failed;
	}
	x->row_ready = 0;
	for (;;) {
		if (x->done)
			return 0;
		enum XML_Status st;
		if (x->suspended) {
			x->suspended = 0;
			st = XML_ResumeParser(x->xp);
		} else {
			void *buf = XML_GetBuffer(x->xp, (int)CHUNK);
			if (!buf) {
				kefu_err_set(&x->herr, KEFU_ENOMEM, "out of memory");
				return sheet_fail(x, KEFU_ENOMEM, err);
			}
			zip_int64_t got = zip_fread(x->zf, buf, CHUNK);
			if (got < 0) {
				zerr_set(&x->herr, KEFU_EPARSE, x->sheet_path,
					 zip_file_get_error(x->zf));
				kefu_err_at(&x->herr, x->name, x->last_row + 1, 0);
				return sheet_fail(x, KEFU_EPARSE, err);
			}
			x->eof = got == 0;
			st = XML_ParseBuffer(x->xp, (int)got, x->eof);
		}
		if (st == XML_STATUS_SUSPENDED) {
			x->suspended = 1;
			if (x->row_ready) {
				*row = x->row_no;
				if (kefu_grow((void **)&x->cells, &x->cells_cap, x->ncells + 1,
					      sizeof *x->cells) != 0) {
					kefu_err_set(&x->herr, KEFU_ENOMEM, "out of memory");
					return sheet_fail(x, KEFU_ENOMEM, err);
				}
				for (size_t i = 0; i < x->ncells; i++) {
					x->cells[i].p = x->text.p + x->coff[2 * i];
					x->cells[i].n = x->coff[2 * i + 1];
				}
				*cells = x->cells;
				*ncells = x->ncells;
				return 1;
			}
			continue;
		}
		if (st == XML_STATUS_ERROR) {
			if (x->hfail) {
				if (x->herr.file[0] == '\0' && x->hfail != KEFU_ENOMEM) {
					long l = x->herr.line, c = x->herr.col;
					kefu_err_at(&x->herr, x->name, l, c);
				}
				return sheet_fail(x, x->hfail, err);
			}
			if (x->sheet_done && XML_GetErrorCode(x->xp) == XML_ERROR_ABORTED) {
				x->done = 1;
				return 0;
			}
			int code = xml_error(x, x->xp, x->sheet_path, &x->herr);
			if (code == KEFU_EPARSE)
				kefu_err_at(&x->herr, x->name, x->in_row ? x->row_no : x->last_row + 1,
					    0);
			return sheet_fail(x, code, err);
		}
		if (x->eof) {
			x->done = 1;
			return 0;
		}
	}
}

size_t kefu_xlsx_sheet_count(const kefu_xlsx *x) { return x ? x->nsheets : 0; }

const char *kefu_xlsx_sheet_name(const kefu_xlsx *x, size_t i)
{
	return x && i < x->nsheets ? x->sheets[i].name : NULL;
}

void kefu_xlsx_free(kefu_xlsx *x)
{
	if (!x)
		return;
	if (x->xp)
		XML_ParserFree(x->xp);
	if (x->zf)
		zip_fclose(x->zf);
	if (x->za)
		zip_discard(x->za);
	for (size_t i = 0; i < x->nsheets; i++) {
		kefu_free(x->sheets[i].name);
		kefu_free(x->sheets[i].rid);
	}
	kefu_free(x->sheets);
	for (size_t i = 0; i < x->nrels; i++) {
		kefu_free(x->rels[i].id);
		kefu_free(x->rels[i].type);
		kefu_free(x->rels[i].target);
	}
	kefu_free(x->rels);
	kefu_free(x->wb_path);
	kefu_free(x->office);
	kefu_free(x->sst.p);
	kefu_free(x->sst_off);
	kefu_free(x->xf_kind);
	kefu_free(x->xf_fmt);
	kefu_free(x->fmts);
	kefu_free(x->sheet_path);
	kefu_free(x->val.p);
	kefu_free(x->text.p);
	kefu_free(x->coff);
	kefu_free(x->cells);
	kefu_free(x);
}
