/*
 * taobao_json.c - the Taobao Open Platform JSON input formats:
 *
 * `taobao-trades-json`: trade objects (tid, buyer_nick, created, pay_time,
 * payment, status, num, optional refund_fee), one object per line, a JSON
 * array of them, or an API response that wraps such an array (for example
 * {"trades_sold_get_response":{"trades":{"trade":[...]}}}).
 *
 * `taobao-chatlog-json`: chat records of taobao.wangwang.eservice.chatlog.get
 * (docs/IMPORT.md): messages {direction, time, content} where direction 0 is
 * from_id (the agent) to to_id (the buyer) and 1 the reverse. from_id and
 * to_id are on the message or on any enclosing object, because the API
 * response itself names them only in the request: {"from_id":..,"to_id":..,
 * "msgs":[...]} or {"msgs":{"msg":[...]}}, one per line, in an array, or in
 * an API response wrapper.
 *
 * Each object is rewritten as a canonical order or message (formats.md) and
 * the result goes through the ordinary loader, so field checks, unpaid
 * tokens and rejects are those of every other input. A reject's line number
 * is the trade's or message's position in the file (1-based), not a
 * physical line.
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

/* ------------------------------------------------------------ chat logs */

/* A string value of o[key], or NULL. */
static json_t *str_or_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return v && (json_is_string(v) || json_is_integer(v)) ? v : NULL;
}

/* Writes one message as a canonical message line: direction 0 is A (agent
 * to buyer), 1 is B; anything else becomes a dir the loader rejects with
 * the value shown. */
static int put_msg(FILE *out, json_t *m, json_t *from, json_t *to)
{
	json_t *o = json_object();
	if (!o)
		return -1;
	json_t *d = json_object_get(m, "direction");
	const char *dir = NULL;
	char bad[48];
	if (json_is_integer(d) && (json_integer_value(d) == 0 || json_integer_value(d) == 1))
		dir = json_integer_value(d) == 0 ? "A" : "B";
	else if (json_is_string(d) && (!strcmp(json_string_value(d), "0") ||
				       !strcmp(json_string_value(d), "1")))
		dir = json_string_value(d)[0] == '0' ? "A" : "B";
	if (!dir) {
		if (json_is_integer(d))
			snprintf(bad, sizeof bad, "direction %lld", (long long)json_integer_value(d));
		else if (json_is_string(d))
			snprintf(bad, sizeof bad, "direction %.24s", json_string_value(d));
		else
			snprintf(bad, sizeof bad, "direction missing");
		dir = bad;
	}
	/* from_id is the agent's side whichever way the message went */
	json_object_set_new(o, "buyer", to ? json_copy(to) : json_string(""));
	json_object_set_new(o, "agent", from ? json_copy(from) : json_string(""));
	json_object_set_new(o, "dir", json_string(dir));
	json_t *t = str_or_num(m, "time");
	json_object_set_new(o, "ts", t ? json_copy(t) : json_string(""));
	json_t *c = json_object_get(m, "content");
	json_object_set_new(o, "text", json_is_string(c) ? json_copy(c) : json_string(""));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return -1;
	int rc = fprintf(out, "%s\n", s) < 0 ? -1 : 0;
	free(s);
	return rc;
}

/* Walks arrays, records and API wrappers down to the messages; from_id and
 * to_id are inherited from enclosing objects. */
static int walk_chat(FILE *out, json_t *v, json_t *from, json_t *to, int depth)
{
	if (depth > 8)
		return fputs("\"chat records nested too deeply\"\n", out) < 0 ? -1 : 0;
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			if (walk_chat(out, e, from, to, depth + 1))
				return -1;
		}
		return 0;
	}
	if (!json_is_object(v))
		return fputs("\"not a chat record\"\n", out) < 0 ? -1 : 0;
	json_t *f = str_or_num(v, "from_id"), *t = str_or_num(v, "to_id");
	from = f ? f : from;
	to = t ? t : to;
	json_t *msgs = json_object_get(v, "msgs");
	if (!msgs)
		msgs = json_object_get(v, "msg");
	if (msgs)
		return walk_chat(out, msgs, from, to, depth + 1);
	if (json_object_get(v, "direction") || json_object_get(v, "content") ||
	    json_object_get(v, "time"))
		return put_msg(out, v, from, to);
	/* an API response wrapper: descend into its object and array values */
	const char *k;
	json_t *e;
	int found = 0;
	json_object_foreach(v, k, e) {
		if (json_is_object(e) || json_is_array(e)) {
			found = 1;
			if (walk_chat(out, e, from, to, depth + 1))
				return -1;
		}
	}
	return found ? 0 : (fputs("\"not a chat record\"\n", out) < 0 ? -1 : 0);
}

static int put_chat(FILE *out, json_t *v)
{
	return walk_chat(out, v, NULL, NULL, 0);
}

/* ------------------------------------------------------------ the driver */

typedef struct op_format {
	const char *name;
	kefu_kind kind;
	json_t *(*find)(json_t *doc, int depth); /* NULL: the document as a whole */
	int (*put)(FILE *out, json_t *obj);
	const char *none; /* message for a file without any object */
} op_format;

static const op_format trades_format = {"taobao-trades-json", KEFU_KIND_ORDERS, find_trades,
					put_trade, "no trades in the file"};
static const op_format chat_format = {"taobao-chatlog-json", KEFU_KIND_MESSAGES, NULL, put_chat,
				      "no chat messages in the file"};

static int load_open_platform(const op_format *fmt, const char *path, const kefu_load_opts *opts,
			      kefu_row_fn on_row, kefu_reject_fn on_reject, void *ctx,
			      kefu_load_stats *stats, kefu_err *err)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	if (!opts->shop) {
		kefu_err_set(err, KEFU_EINVAL, "format %s: the file names no shop: give --shop",
			     fmt->name);
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
	json_error_t je;
	json_t *doc = json_loadb(in, n, JSON_REJECT_DUPLICATES, &je);
	json_t *arr = doc && fmt->find ? fmt->find(doc, 0) : NULL;
	if (arr) {
		size_t i;
		json_t *t;
		json_array_foreach(arr, i, t) {
			if (fmt->put(out, t)) {
				rc = KEFU_ENOMEM;
				break;
			}
		}
	} else if (doc && (json_is_object(doc) || json_is_array(doc))) {
		rc = fmt->put(out, doc) ? KEFU_ENOMEM : 0;
	} else {
		/* JSON Lines: one object per line; a bad line is passed on as text
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
					rc = fmt->put(out, t) ? KEFU_ENOMEM : 0;
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
	o.kind = fmt->kind;
	o.format = NULL;
	o.map = NULL;
	rc = outn ? kefu_load_mem(outbuf, outn, name, &o, on_row, on_reject, ctx, stats, err)
		  : kefu_err_set(err, KEFU_EPARSE, "%s", fmt->none);
	if (rc && err && !err->file[0])
		kefu_err_at(err, name, 0, 0);
	free(outbuf);
	return rc;
}

int kefu_load_taobao_trades(const char *path, const kefu_load_opts *opts, kefu_row_fn on_row,
			    kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats,
			    kefu_err *err)
{
	return load_open_platform(&trades_format, path, opts, on_row, on_reject, ctx, stats, err);
}

int kefu_load_taobao_chatlog(const char *path, const kefu_load_opts *opts, kefu_row_fn on_row,
			     kefu_reject_fn on_reject, void *ctx, kefu_load_stats *stats,
			     kefu_err *err)
{
	return load_open_platform(&chat_format, path, opts, on_row, on_reject, ctx, stats, err);
}
