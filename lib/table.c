/*
 * table.c - the neutral result table and exact decimal formatting.
 */
#include "kefu/table.h"

#include <stdlib.h>
#include <string.h>

int kefu_table_new(kefu_table **out, const char *title)
{
	*out = NULL;
	kefu_table *t = kefu_calloc(1, sizeof *t);
	if (!t)
		return KEFU_ENOMEM;
	t->title = kefu_strndup(title ? title : "", title ? strlen(title) : 0);
	if (!t->title) {
		kefu_free(t);
		return KEFU_ENOMEM;
	}
	*out = t;
	return 0;
}

void kefu_table_free(kefu_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		kefu_free(t->cells[i].text);
	for (size_t i = 0; i < t->ncols; i++) {
		kefu_free(t->cols[i].name);
		kefu_free(t->cols[i].zh);
	}
	for (size_t i = 0; i < t->nmeta; i++) {
		kefu_free(t->meta_key[i]);
		kefu_free(t->meta_val[i]);
	}
	kefu_free(t->meta_key);
	kefu_free(t->meta_val);
	kefu_free(t->cols);
	kefu_free(t->cells);
	kefu_free(t->title);
	kefu_free(t);
}

int kefu_table_add_col(kefu_table *t, const char *name, const char *zh, kefu_coltype type)
{
	if (t->nrows)
		return KEFU_EINVAL; /* columns first, then rows */
	if (kefu_grow((void **)&t->cols, &t->capcols, t->ncols + 1, sizeof *t->cols))
		return KEFU_ENOMEM;
	kefu_column *c = &t->cols[t->ncols];
	c->name = kefu_strndup(name, strlen(name));
	c->zh = kefu_strndup(zh ? zh : name, strlen(zh ? zh : name));
	c->type = type;
	if (!c->name || !c->zh) {
		kefu_free(c->name);
		kefu_free(c->zh);
		return KEFU_ENOMEM;
	}
	t->ncols++;
	return 0;
}

int kefu_table_add_row(kefu_table *t, kefu_cell **row)
{
	size_t need = (t->nrows + 1) * t->ncols;
	size_t cap = t->caprows * t->ncols;
	if (need > cap) {
		size_t ncap = t->caprows ? t->caprows * 2 : 64;
		kefu_cell *c = kefu_realloc(t->cells, ncap * t->ncols * sizeof *c);
		if (!c)
			return KEFU_ENOMEM;
		t->cells = c;
		t->caprows = ncap;
	}
	kefu_cell *r = &t->cells[t->nrows * t->ncols];
	memset(r, 0, t->ncols * sizeof *r);
	for (size_t i = 0; i < t->ncols; i++)
		r[i].empty = 1;
	t->nrows++;
	*row = r;
	return 0;
}

int kefu_cell_set_text(kefu_cell *c, const char *p, size_t n)
{
	char *s = kefu_strndup(p, n);
	if (!s)
		return KEFU_ENOMEM;
	kefu_free(c->text);
	c->text = s;
	c->empty = 0;
	return 0;
}

int kefu_table_add_meta(kefu_table *t, const char *key, const char *val)
{
	size_t cap = t->capmeta;
	if (kefu_grow((void **)&t->meta_key, &cap, t->nmeta + 1, sizeof(char *)))
		return KEFU_ENOMEM;
	cap = t->capmeta;
	if (kefu_grow((void **)&t->meta_val, &cap, t->nmeta + 1, sizeof(char *)))
		return KEFU_ENOMEM;
	t->capmeta = cap;
	char *k = kefu_strndup(key, strlen(key)), *v = kefu_strndup(val, strlen(val));
	if (!k || !v) {
		kefu_free(k);
		kefu_free(v);
		return KEFU_ENOMEM;
	}
	t->meta_key[t->nmeta] = k;
	t->meta_val[t->nmeta] = v;
	t->nmeta++;
	return 0;
}

kefu_cell *kefu_table_cell(const kefu_table *t, size_t row, size_t col)
{
	return &t->cells[row * t->ncols + col];
}

long kefu_table_col(const kefu_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i].name, name))
			return (long)i;
	return -1;
}

void kefu_decimal_format(int64_t num, int64_t den, int scale_pow10, int decimals, int trim,
			 char *buf)
{
	/* value = num * 10^scale / den, rounded half away from zero at
	 * `decimals` places: work in units of 10^-decimals with 128-bit ints. */
	__int128 n = num, d = den;
	if (d < 0) {
		n = -n;
		d = -d;
	}
	int p = scale_pow10 + decimals;
	while (p > 0) {
		n *= 10;
		p--;
	}
	while (p < 0) {
		d *= 10;
		p++;
	}
	int neg = n < 0;
	if (neg)
		n = -n;
	__int128 q = n / d, r = n % d;
	if (2 * r >= d)
		q++;
	__int128 pow = 1;
	for (int i = 0; i < decimals; i++)
		pow *= 10;
	__int128 ip = q / pow, fp = q % pow;
	char digits[64];
	int nd = 0;
	do {
		digits[nd++] = (char)('0' + (int)(ip % 10));
		ip /= 10;
	} while (ip > 0 && nd < 60);
	size_t o = 0;
	if (neg && q != 0)
		buf[o++] = '-';
	while (nd)
		buf[o++] = digits[--nd];
	if (decimals > 0) {
		char frac[40];
		for (int i = decimals - 1; i >= 0; i--) {
			frac[i] = (char)('0' + (int)(fp % 10));
			fp /= 10;
		}
		int len = decimals;
		if (trim)
			while (len > 0 && frac[len - 1] == '0')
				len--;
		if (len > 0) {
			buf[o++] = '.';
			memcpy(buf + o, frac, (size_t)len);
			o += (size_t)len;
		}
	}
	buf[o] = '\0';
}
