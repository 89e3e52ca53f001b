/*
 * write_csv.c - CSV writer for the result table: RFC 4180 quoting, exact
 * numbers (counts and fen as integers, means and rates with up to 6
 * decimals), empty cells for undefined values, text cells neutralised
 * against spreadsheet formula injection. With zh, Chinese headers and
 * table-style numbers (2 decimals, percentages, yuan).
 */
#include "kefu/table.h"

#include <string.h>

/* A plain decimal number ("-278.71", "+5", "12"): a spreadsheet reads it
 * as that number, never as a formula, so it is left as it is. */
static int plain_number(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (!(*s >= '0' && *s <= '9'))
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* Text that a spreadsheet would run as a formula (OWASP CSV injection:
 * first character = + - @ tab or CR) gets a leading single quote, inside a
 * quoted field; plain numbers are not formulas and stay as they are. */
static int needs_neutralising(const char *s)
{
	int risky = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
		    s[0] == '\r';
	return risky && !plain_number(s);
}

static void put_field(FILE *out, const char *s, int is_text)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	int neutral = is_text && needs_neutralising(s);
	if (!quote && !neutral) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	if (neutral)
		fputc('\'', out);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

void kefu_cell_format(const kefu_column *col, const kefu_cell *c, int table_style, char *buf,
		      size_t cap)
{
	char tmp[64];
	buf[0] = '\0';
	if (c->empty)
		return;
	switch (col->type) {
	case KEFU_T_TEXT:
		snprintf(buf, cap, "%s", c->text ? c->text : "");
		return;
	case KEFU_T_INT:
	case KEFU_T_FLAG:
		snprintf(buf, cap, "%lld", (long long)c->num);
		return;
	case KEFU_T_FEN:
		if (table_style)
			kefu_decimal_format(c->num, 100, 0, 2, 0, tmp);
		else
			snprintf(tmp, sizeof tmp, "%lld", (long long)c->num);
		break;
	case KEFU_T_MEAN:
		kefu_decimal_format(c->num, c->den, 0, table_style ? 2 : 6, !table_style, tmp);
		break;
	case KEFU_T_RATE:
		if (table_style) {
			kefu_decimal_format(c->num, c->den, 2, 2, 0, tmp);
			strcat(tmp, "%");
		} else {
			kefu_decimal_format(c->num, c->den, 0, 6, 1, tmp);
		}
		break;
	case KEFU_T_YUAN: /* num in fen */
		kefu_decimal_format(c->num, c->den, -2, table_style ? 2 : 6, !table_style, tmp);
		break;
	}
	snprintf(buf, cap, "%s", tmp);
}

int kefu_write_csv(const kefu_table *t, FILE *out, const kefu_write_opts *o, kefu_err *err)
{
	if (o->excel_bom)
		fputs("\xEF\xBB\xBF", out);
	if (o->meta)
		for (size_t i = 0; i < t->nmeta; i++)
			fprintf(out, "# %s: %s\n", t->meta_key[i], t->meta_val[i]);
	for (size_t c = 0; c < t->ncols; c++) {
		if (c)
			fputc(',', out);
		put_field(out, o->zh ? t->cols[c].zh : t->cols[c].name, 0);
	}
	fputc('\n', out);
	char buf[4096];
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			if (c)
				fputc(',', out);
			const kefu_cell *cell = kefu_table_cell(t, r, c);
			if (t->cols[c].type == KEFU_T_TEXT && !cell->empty) {
				put_field(out, cell->text ? cell->text : "", 1);
				continue;
			}
			kefu_cell_format(&t->cols[c], cell, o->zh, buf, sizeof buf);
			fputs(buf, out);
		}
		fputc('\n', out);
	}
	if (fflush(out) != 0 || ferror(out))
		return kefu_err_set(err, KEFU_EIO, "write error");
	return 0;
}
