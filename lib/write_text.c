/*
 * write_text.c - terminal table writer: columns aligned by display width so
 * CJK text lines up, numbers right-aligned, means with 2 decimals, rates as
 * percentages, money as yuan. Settings used are printed above the table.
 */
#include "kefu/table.h"

#include <stdlib.h>
#include <string.h>

static uint32_t decode(const unsigned char *p, size_t n, size_t *len)
{
	if (p[0] < 0x80) {
		*len = 1;
		return p[0];
	}
	int k = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 1;
	if ((size_t)k > n || k == 1) {
		*len = 1;
		return 0xFFFD;
	}
	uint32_t cp = p[0] & (0xFF >> (k + 1));
	for (int i = 1; i < k; i++)
		cp = cp << 6 | (p[i] & 0x3F);
	*len = (size_t)k;
	return cp;
}

static int wide(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
	       (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
	       (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
	       (cp >= 0x20000 && cp <= 0x3FFFD);
}

size_t kefu_display_width(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, i = 0;
	while (i < n) {
		size_t len;
		uint32_t cp = decode(p + i, n - i, &len);
		i += len;
		if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
			continue;
		w += wide(cp) ? 2 : 1;
	}
	return w;
}

static void pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

/* Control characters in text cells would corrupt the terminal: show them
 * as spaces. */
static void put_clean(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7F ? ' ' : *s, out);
}

/* Tables print money in yuan, so "sales_fen" is shown as "sales_yuan". */
static const char *header_of(const kefu_table *t, size_t c, const kefu_write_opts *o, char *buf,
			     size_t cap)
{
	const char *name = t->cols[c].name;
	size_t n = strlen(name);
	if (o->zh)
		return t->cols[c].zh;
	if (t->cols[c].type == KEFU_T_FEN && n > 4 && !strcmp(name + n - 4, "_fen")) {
		snprintf(buf, cap, "%.*s_yuan", (int)(n - 4), name);
		return buf;
	}
	return name;
}

static int shown(const kefu_write_opts *o, const char *name)
{
	if (!o->columns)
		return 1;
	for (size_t i = 0; o->columns[i]; i++)
		if (!strcmp(o->columns[i], name))
			return 1;
	return 0;
}

int kefu_write_text(const kefu_table *t, FILE *out, const kefu_write_opts *o, kefu_err *err)
{
	size_t nc = t->ncols, nr = t->nrows;
	size_t *w = kefu_calloc(nc + 1, sizeof *w);
	char **txt = kefu_calloc(nr * nc + 1, sizeof *txt);
	int rc = 0;
	if (!w || !txt) {
		kefu_free(w);
		kefu_free(txt);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	/* the last shown column needs no padding */
	size_t last = 0;
	for (size_t c = 0; c < nc; c++)
		if (shown(o, t->cols[c].name))
			last = c;
	for (size_t c = 0; c < nc; c++) {
		char hb[256];
		const char *h = header_of(t, c, o, hb, sizeof hb);
		w[c] = kefu_display_width(h, strlen(h));
	}
	char buf[4096];
	for (size_t r = 0; r < nr; r++)
		for (size_t c = 0; c < nc; c++) {
			kefu_cell_format(&t->cols[c], kefu_table_cell(t, r, c), 1, buf, sizeof buf);
			txt[r * nc + c] = kefu_strndup(buf, strlen(buf));
			if (!txt[r * nc + c]) {
				rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
				goto done;
			}
			size_t dw = kefu_display_width(buf, strlen(buf));
			if (dw > w[c])
				w[c] = dw;
		}
	if (t->title[0])
		fprintf(out, "%s%s%s\n", o->color ? "\033[1m" : "", t->title, o->color ? "\033[0m" : "");
	for (size_t i = 0; i < t->nmeta; i++)
		fprintf(out, "%s: %s\n", t->meta_key[i], t->meta_val[i]);
	if (t->nmeta)
		fputc('\n', out);
	int first = 1;
	for (size_t c = 0; c < nc; c++) {
		if (!shown(o, t->cols[c].name))
			continue;
		char hb[256];
		const char *h = header_of(t, c, o, hb, sizeof hb);
		size_t dw = kefu_display_width(h, strlen(h));
		if (!first)
			fputs("  ", out);
		first = 0;
		if (t->cols[c].type != KEFU_T_TEXT)
			pad(out, w[c] - dw);
		fputs(o->color ? "\033[1m" : "", out);
		fputs(h, out);
		fputs(o->color ? "\033[0m" : "", out);
		if (t->cols[c].type == KEFU_T_TEXT && c < last)
			pad(out, w[c] - dw);
	}
	fputc('\n', out);
	for (size_t r = 0; r < nr; r++) {
		first = 1;
		for (size_t c = 0; c < nc; c++) {
			if (!shown(o, t->cols[c].name))
				continue;
			const char *s = txt[r * nc + c];
			size_t dw = kefu_display_width(s, strlen(s));
			if (!first)
				fputs("  ", out);
			first = 0;
			if (t->cols[c].type != KEFU_T_TEXT)
				pad(out, w[c] - dw);
			put_clean(out, s);
			if (t->cols[c].type == KEFU_T_TEXT && c < last)
				pad(out, w[c] - dw);
		}
		fputc('\n', out);
	}
	if (fflush(out) != 0 || ferror(out))
		rc = kefu_err_set(err, KEFU_EIO, "write error");
done:
	for (size_t i = 0; i < nr * nc; i++)
		kefu_free(txt[i]);
	kefu_free(txt);
	kefu_free(w);
	return rc;
}
