/*
 * taobao_json.c - the `taobao-trades-json` input format: Taobao Open
 * Platform trade objects (tid, buyer_nick, created, pay_time, payment,
 * status, num, optional refund_fee), one object per line, a JSON array of
 * them, or an API response that wraps such an array (for example
 * {"trades_sold_get_response":{"trades":{"trade":[...]}}}).
 *
 * Each trade is rewritten as a canonical order object (formats.md) and the
 * result goes through the ordinary loader, so field checks, unpaid tokens and
 * rejects are those of every other input. A reject's line number is the
 * trade's position in the file (1-based), not a physical line.
 */
#include "kefu/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_INPUT ((size_t)1 << 30)

/* trade key -> canonical order key */
static const char *const renames[][2] = {
	{"tid", "order_id"},    {"buyer_nick", "buyer"}, {"created", "created"},
	{"pay_time", "paid"},   {"payment", "amount"},  {"num", "items"},
	{"status", "status"},   {"refund_fee", "refund"},
};
#define NRENAMES (sizeof renames / sizeof renames[0])

static int read_all(const char *path, char **out, size_t *outn, kefu_err *err)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0)
		return kefu_err_set(err, KEFU_EIO, "cannot open: %s", strerror(errno));
	size_t cap = 1 << 16, n = 0;
	char *buf = kefu_malloc(cap + 1);
	int rc = 0;
	while (buf) {
		if (n == cap) {
			if (cap >= MAX_INPUT) {
				rc = kefu_err_set(err, KEFU_EINVAL, "trades file larger than 1 GiB");
				break;
			}
			char *nb = kefu_realloc(buf, cap * 2 + 1);
			if (!nb) {
				rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = kefu_err_set(err, KEFU_EIO, "read error: %s", strerror(errno));
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (fd != 0)
		close(fd);
	if (!buf)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	if (rc) {
		kefu_free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*outn = n;
	return 0;
}

/* The array of trades inside a parsed document: the document itself, or
 * the first array found under the keys "trades", "trade" at any depth. */
static json_t *find_trades(json_t *doc, int depth)
{
	if (json_is_array(doc))
		return doc;
	if (!json_is_object(doc) || depth > 4)
		return NULL;
	const char *k;
	json_t *v;
	json_object_foreach(doc, k, v) {
		json_t *a = find_trades(v, depth + 1);
		if (a)
			return a;
	}
	return NULL;
}

/* Appends one trade as a canonical JSON line (keys renamed, others
 * dropped); a non-object becomes a line the loader rejects. */
static int put_trade(FILE *out, json_t *t)
{
	if (!json_is_object(t))
		return fputs("\"not a trade object\"\n", out) < 0 ? -1 : 0;
	json_t *o = json_object();
	if (!o)
		return -1;
	for (size_t i = 0; i < NRENAMES; i++) {
		json_t *v = json_object_get(t, renames[i][0]);
		if (!v)
			continue;
		if (json_is_real(v)) { /* shortest text that reads back the same */
			char num[64];
			snprintf(num, sizeof num, "%.15g", json_real_value(v));
			json_object_set_new(o, renames[i][1], json_string(num));
		} else {
			json_object_set(o, renames[i][1], v);
		}
	}
	if (!json_object_get(o, "paid")) /* unpaid trades have no pay_time */
		json_object_set_new(o, "paid", json_string(""));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return -1;
	int rc = fprintf(out, "%s\n", s) < 0 ? -1 : 0;
	free(s);
	return rc;
}

int kefu_load_taobao_trades(const char *path, const kefu_load_opts *opts, kefu_row_fn on_row,
			    kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats,
			    kefu_err *err)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	if (!opts->shop) {
		kefu_err_set(err, KEFU_EINVAL,
			     "format taobao-trades-json: trades carry no shop: give --shop");
		kefu_err_at(err, name, 0, 0);
		return KEFU_EINVAL;
	}
	char *in = NULL, *outbuf = NULL;
	size_t n = 0, outn = 0;
	int rc = read_all(path, &in, &n, err);
	if (rc) {
		kefu_err_at(err, name, 0, 0);
		return rc;
	}
	FILE *out = open_memstream(&outbuf, &outn);
	if (!out) {
		kefu_free(in);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	fputs("", out);
	json_error_t je;
	json_t *doc = json_loadb(in, n, JSON_REJECT_DUPLICATES, &je);
	json_t *arr = doc ? find_trades(doc, 0) : NULL;
	if (arr) {
		size_t i;
		json_t *t;
		json_array_foreach(arr, i, t) {
			if (put_trade(out, t)) {
				rc = KEFU_ENOMEM;
				break;
			}
		}
	} else if (doc && json_is_object(doc)) {
		rc = put_trade(out, doc) ? KEFU_ENOMEM : 0;
	} else {
		/* JSON Lines: one trade per line; a bad line is passed on as text
		 * so that the loader rejects it at its position */
		char *p = in, *e = in + n;
		while (p < e && !rc) {
			char *nl = memchr(p, '\n', (size_t)(e - p));
			size_t len = nl ? (size_t)(nl - p) : (size_t)(e - p);
			while (len && (p[len - 1] == '\r' || p[len - 1] == ' '))
				len--;
			if (len) {
				json_t *t = json_loadb(p, len, JSON_REJECT_DUPLICATES, &je);
				if (t)
					rc = put_trade(out, t) ? KEFU_ENOMEM : 0;
				else if (fprintf(out, "%.*s\n", (int)len, p) < 0)
					rc = KEFU_ENOMEM;
				json_decref(t);
			}
			p = nl ? nl + 1 : e;
		}
	}
	json_decref(doc);
	kefu_free(in);
	if (fclose(out) != 0 && !rc)
		rc = KEFU_ENOMEM;
	if (rc) {
		free(outbuf);
		return kefu_err_set(err, rc, "out of memory");
	}
	kefu_load_opts o = *opts;
	o.kind = KEFU_KIND_ORDERS;
	o.format = NULL;
	o.map = NULL;
	rc = outn ? kefu_load_mem(outbuf, outn, name, &o, on_row, on_reject, ctx, stats, err)
		  : kefu_err_set(err, KEFU_EPARSE, "no trades in the file");
	if (rc && err && !err->file[0])
		kefu_err_at(err, name, 0, 0);
	free(outbuf);
	return rc;
}
