/*
 * serve_api.c - the JSON API of `kefu serve` (/api/v1/..., docs/SERVER.md).
 * One route table; each row says whether the route needs a session, a CSRF
 * token and the admin role. Data routes read the cached snapshot
 * (serve_data.c) through kefu_tenancy_scope, the single tenancy filter, and
 * render with the same report builders and writers as `kefu kpi` and `kefu
 * chats`, so the bytes are the CLI's bytes.
 */
#include <jansson.h>
#include <microhttpd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kefu/auth.h"
#include "kefu/msgseg.h"
#include "kefu/report.h"
#include "kefu/table.h"
#include "kefu/tz.h"
#include "serve.h"

#define JSON_CT "application/json; charset=utf-8"

enum { F_AUTH = 1, F_CSRF = 2, F_ADMIN = 4 };

/* A request's selection, from the query string, the path and a JSON body. */
typedef struct sel {
	const char *shops[64];
	size_t n_shops;
	const char *agents[256];
	size_t n_agents;
	const char *from, *to, *by, *per, *format, *report, *excel;
	const char *buyer, *day; /* messages of one chat */
	int bad;
	char why[160];
} sel;

static void set_json(serve_resp *r, unsigned status, json_t *o)
{
	free(r->body);
	r->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	r->len = r->body ? strlen(r->body) : 0;
	r->status = r->body ? status : 500;
	r->ctype = JSON_CT;
	json_decref(o);
}

static void sel_bad(sel *s, const char *fmt, const char *arg)
{
	if (!s->bad)
		snprintf(s->why, sizeof s->why, fmt, arg);
	s->bad = 1;
}

static void sel_put(sel *s, const char *key, const char *val)
{
	if (!val) {
		sel_bad(s, "parameter '%s' needs a value", key);
		return;
	}
	if (!strcmp(key, "shop")) {
		if (s->n_shops >= 64)
			return sel_bad(s, "too many '%s' parameters", key);
		s->shops[s->n_shops++] = val;
	} else if (!strcmp(key, "agent")) {
		if (s->n_agents >= 256)
			return sel_bad(s, "too many '%s' parameters", key);
		s->agents[s->n_agents++] = val;
	} else if (!strcmp(key, "from"))
		s->from = val;
	else if (!strcmp(key, "to"))
		s->to = val;
	else if (!strcmp(key, "by"))
		s->by = val;
	else if (!strcmp(key, "per"))
		s->per = val;
	else if (!strcmp(key, "format"))
		s->format = val;
	else if (!strcmp(key, "report"))
		s->report = val;
	else if (!strcmp(key, "excel"))
		s->excel = val;
	else if (!strcmp(key, "buyer"))
		s->buyer = val;
	else if (!strcmp(key, "day"))
		s->day = val;
	else
		sel_bad(s, "unknown parameter '%.60s'", key);
}

static enum MHD_Result arg_cb(void *cls, enum MHD_ValueKind kind, const char *key,
			      const char *value)
{
	(void)kind;
	sel_put(cls, key, value);
	return MHD_YES;
}

/* Adds the members of a JSON object body (strings, or arrays of strings
 * for shop and agent). The json_t must outlive the selection. */
static void sel_json(sel *s, json_t *o)
{
	const char *key;
	json_t *v;
	if (!json_is_object(o))
		return sel_bad(s, "%s", "body must be a JSON object");
	json_object_foreach(o, key, v)
	{
		if (json_is_string(v)) {
			sel_put(s, key, json_string_value(v));
		} else if (json_is_array(v) && (!strcmp(key, "shop") || !strcmp(key, "agent"))) {
			size_t i;
			json_t *x;
			json_array_foreach(v, i, x)
			{
				if (!json_is_string(x))
					return sel_bad(s, "'%s' must hold strings", key);
				sel_put(s, key, json_string_value(x));
			}
		} else {
			return sel_bad(s, "'%.60s' must be a string", key);
		}
	}
}

static json_t *str_array(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *user_json(const kefu_user *u)
{
	return json_pack("{s:s, s:s, s:o, s:o*, s:o}", "user", u->name, "role",
			 kefu_role_name(u->role), "shops", str_array(u->shops, u->n_shops), "agent",
			 u->agent ? json_string(u->agent) : NULL, "teams",
			 str_array(u->teams, u->n_teams));
}

/* ---------------------------------------------------------------- auth */

static void h_login(serve_req *q, serve_resp *r, sel *s)
{
	(void)s;
	int wait = serve_rate_take(q->ctx, q->con, 9); /* a login costs 10 requests */
	if (wait) {
		serve_error(r, 429, "too many requests");
		r->retry_after = wait;
		return;
	}
	json_error_t je;
	json_t *o = json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, &je);
	const char *name = json_string_value(json_object_get(o, "user"));
	const char *pw = json_string_value(json_object_get(o, "password"));
	if (!name || !pw || json_object_size(o) != 2) {
		json_decref(o);
		return serve_error(r, 400, "expected {\"user\": ..., \"password\": ...}");
	}
	char token[KEFU_TOKEN_LEN + 1], csrf[KEFU_TOKEN_LEN + 1];
	kefu_user *u = NULL;
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_auth_login(q->ctx->auth, q->st, name, pw, (int64_t)time(NULL), token, &u, &err);
	json_decref(o);
	if (rc == KEFU_ELOCKED) {
		serve_error(r, 429, err.msg);
		r->retry_after = 60;
		return;
	}
	if (rc == KEFU_EAUTH)
		return serve_error(r, 401, "wrong user name or password");
	if (rc) {
		fprintf(stderr, "kefu: error: login: %s\n", err.msg);
		return serve_error(r, 500, "login failed");
	}
	kefu_auth_csrf(token, csrf);
	snprintf(r->cookie, sizeof r->cookie,
		 "kefu_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800%s", token,
		 q->ctx->tls ? "; Secure" : "");
	json_t *out = user_json(u);
	json_object_set_new(out, "csrf", json_string(csrf));
	kefu_user_free(u);
	set_json(r, 200, out);
}

static void h_logout(serve_req *q, serve_resp *r, sel *s)
{
	(void)s;
	kefu_err err = KEFU_ERR_INIT;
	kefu_auth_logout(q->st, q->token, &err);
	snprintf(r->cookie, sizeof r->cookie,
		 "kefu_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
		 q->ctx->tls ? "; Secure" : "");
	set_json(r, 200, json_pack("{s:b}", "ok", 1));
}

static void h_me(serve_req *q, serve_resp *r, sel *s)
{
	(void)s;
	json_t *out = user_json(q->user);
	if (q->token) { /* a session's CSRF token; API tokens need none */
		char csrf[KEFU_TOKEN_LEN + 1];
		kefu_auth_csrf(q->token, csrf);
		json_object_set_new(out, "csrf", json_string(csrf));
	}
	set_json(r, 200, out);
}

/* ---------------------------------------------------------------- data */

/* Runs the selection through tenancy and builds a report table. Returns 0
 * or sets the error answer. */
static int render(serve_resp *r, const kefu_table *t, int (*w)(const kefu_table *, FILE *,
							      const kefu_write_opts *, kefu_err *),
		  const kefu_write_opts *wo, const char *ctype);

/* The cache key of a JSON report: everything its bytes depend on, after
 * tenancy (so two users with the same rights share answers, and a user
 * never gets an answer computed for other rights). NULL if out of memory. */
static char *cache_key(int chats, const kefu_report_opts *ro)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f, "%s|%d|%d|%lld|%lld|S", chats ? "chats" : "kpi", (int)ro->by, (int)ro->per,
		(long long)ro->from_day, (long long)ro->to_day);
	if (!ro->shops)
		fputc('*', f);
	for (size_t i = 0; ro->shops && i < ro->n_shops; i++)
		fprintf(f, "%u,", ro->shops[i]);
	fputs("|A", f);
	if (!ro->agents)
		fputc('*', f);
	for (size_t i = 0; ro->agents && i < ro->n_agents; i++)
		fprintf(f, "%u,", ro->agents[i]);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Runs the selection through tenancy and builds a report table into *out.
 * With json (out NULL) it renders the JSON answer into r instead, from the
 * snapshot's cache when the same resolved selection was rendered before.
 * Returns 0 or sets the error answer and returns -1. */
static int build_table(serve_req *q, serve_resp *r, sel *s, int chats, kefu_table **out)
{
	kefu_err err = KEFU_ERR_INIT;
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	if (out)
		*out = NULL;
	if (s->by && kefu_by_parse(s->by, &ro.by))
		return serve_error(r, 400, "by: expected agent, team, vendor, shop or all"), -1;
	if (s->per && kefu_per_parse(s->per, &ro.per))
		return serve_error(r, 400, "per: expected day, week, month or range"), -1;
	if (s->from && kefu_day_parse(s->from, strlen(s->from), &ro.from_day))
		return serve_error(r, 400, "from: expected YYYY-MM-DD"), -1;
	if (s->to && kefu_day_parse(s->to, strlen(s->to), &ro.to_day))
		return serve_error(r, 400, "to: expected YYYY-MM-DD"), -1;
	serve_snap *snap = serve_data_acquire(&q->ctx->data, q->st, &err);
	if (!snap)
		return serve_error(r, 503, "data not available"), -1;
	uint32_t *sh = NULL, *ag = NULL;
	kefu_selection req = {s->shops, s->n_shops, s->agents, s->n_agents};
	int rc = kefu_tenancy_scope(q->user, snap->s.ds, &req, &ro, &sh, &ag, &err);
	if (rc == KEFU_EFORBIDDEN) {
		serve_error(r, 403, "forbidden");
	} else if (rc) {
		serve_error(r, 500, "internal error");
	} else {
		char *key = !out && q->ctx->data.cache_cap ? cache_key(chats, &ro) : NULL;
		size_t len = 0;
		char *hit = key ? serve_cache_get(snap, key, &len) : NULL;
		if (hit) {
			free(r->body);
			r->body = hit;
			r->len = len;
			r->status = 200;
			r->ctype = JSON_CT;
		} else {
			kpi_session view = snap->s; /* same data, this request's filter */
			kefu_table *t = NULL;
			view.ropts = ro;
			rc = chats ? kefu_report_chats(&t, view.ds, view.res, &ro, view.vs, &err)
				   : kefu_report_kpi(&t, view.ds, view.res, &ro, &err);
			if (!rc)
				rc = kpi_session_meta(&view, t);
			if (rc) {
				kefu_table_free(t);
				serve_error(r, 500, "report failed");
			} else if (out) {
				*out = t;
			} else {
				kefu_write_opts wo = KEFU_WRITE_OPTS_INIT; /* as `kefu kpi --format json` */
				rc = render(r, t, kefu_write_json, &wo, JSON_CT);
				kefu_table_free(t);
				if (!rc && key)
					serve_cache_put(snap, q->ctx->data.cache_cap, key, r->body, r->len);
			}
		}
		free(key);
	}
	free(sh);
	free(ag);
	serve_data_release(&q->ctx->data, snap);
	return rc ? -1 : 0;
}

static int render(serve_resp *r, const kefu_table *t, int (*w)(const kefu_table *, FILE *,
							      const kefu_write_opts *, kefu_err *),
		  const kefu_write_opts *wo, const char *ctype)
{
	char *buf = NULL;
	size_t len = 0;
	kefu_err err = KEFU_ERR_INIT;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return serve_error(r, 500, "out of memory"), -1;
	flockfile(f); /* the writer's many small fwrites then skip the atomic lock */
	int rc = w(t, f, wo, &err);
	funlockfile(f);
	if (fclose(f) || rc) {
		free(buf);
		return serve_error(r, 500, "write failed"), -1;
	}
	free(r->body);
	r->body = buf;
	r->len = len;
	r->status = 200;
	r->ctype = ctype;
	return 0;
}

static void report(serve_req *q, serve_resp *r, sel *s, int chats)
{
	if (s->format || s->report || s->excel)
		return serve_error(r, 400, "format, report and excel belong to /export");
	if (s->buyer || s->day)
		return serve_error(r, 400, "buyer and day belong to /messages");
	build_table(q, r, s, chats, NULL);
}

static void h_kpi(serve_req *q, serve_resp *r, sel *s) { report(q, r, s, 0); }
static void h_chats(serve_req *q, serve_resp *r, sel *s) { report(q, r, s, 1); }

static const char *chats_prefix(const char *rep)
{
	return !strcmp(rep, "chats") ? "客服会话" : "客服绩效";
}

static int render_xlsx(serve_resp *r, const kefu_table *t)
{
	char path[] = "/tmp/kefu-export-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return serve_error(r, 500, "cannot create a temporary file"), -1;
	close(fd);
	kefu_err err = KEFU_ERR_INIT;
	kefu_write_opts wo = KEFU_WRITE_OPTS_INIT;
	int rc = kefu_write_xlsx(t, path, &wo, &err);
	FILE *f = rc ? NULL : fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	while (f) {
		if (len + 65536 > cap) {
			char *b = realloc(buf, cap = (len + 65536) * 2);
			if (!b)
				break;
			buf = b;
		}
		size_t k = fread(buf + len, 1, 65536, f);
		len += k;
		if (k < 65536) {
			rc = ferror(f) ? -1 : 0;
			fclose(f);
			f = NULL;
			break;
		}
		rc = -1;
	}
	if (f)
		fclose(f);
	unlink(path);
	if (rc || !buf) {
		free(buf);
		return serve_error(r, 500, "xlsx export failed"), -1;
	}
	free(r->body);
	r->body = buf;
	r->len = len;
	r->status = 200;
	r->ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	return 0;
}

/* Content-Disposition: an ASCII name, and the report's own name (with the
 * judge rule and the range, kefu_report_file_name) as RFC 5987 UTF-8. */
static void set_disposition(serve_resp *r, const kefu_table *t, const char *rep, const char *fmt,
			    const sel *s)
{
	int n = snprintf(r->disposition, sizeof r->disposition,
			 "attachment; filename=\"kefu-%s.%s\"", rep, fmt);
	char name[256];
	kefu_report_file_name(t, chats_prefix(rep), s->from, s->to, fmt, name, sizeof name);
	size_t off = (size_t)n;
	off += (size_t)snprintf(r->disposition + off, sizeof r->disposition - off,
				"; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p && off + 4 < sizeof r->disposition; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '.' || *p == '-' || *p == '_')
			r->disposition[off++] = (char)*p;
		else
			off += (size_t)snprintf(r->disposition + off, sizeof r->disposition - off, "%%%02X", *p);
	}
	r->disposition[off] = '\0';
}

static void h_export(serve_req *q, serve_resp *r, sel *s)
{
	if (s->buyer || s->day)
		return serve_error(r, 400, "buyer and day belong to /messages");
	const char *fmt = s->format ? s->format : "csv";
	const char *rep = s->report ? s->report : "kpi";
	int chats = !strcmp(rep, "chats");
	if (!chats && strcmp(rep, "kpi"))
		return serve_error(r, 400, "report: expected kpi or chats");
	if (strcmp(fmt, "csv") && strcmp(fmt, "json") && strcmp(fmt, "xlsx"))
		return serve_error(r, 400, "format: expected csv, json or xlsx");
	kefu_table *t = NULL;
	if (build_table(q, r, s, chats, &t)) /* tenancy first */
		return;
	kefu_write_opts wo = KEFU_WRITE_OPTS_INIT;
	wo.excel_bom = s->excel && !strcmp(s->excel, "1");
	int rc;
	if (!strcmp(fmt, "csv"))
		rc = render(r, t, kefu_write_csv, &wo, "text/csv; charset=utf-8");
	else if (!strcmp(fmt, "json"))
		rc = render(r, t, kefu_write_json, &wo, JSON_CT);
	else
		rc = render_xlsx(r, t);
	if (!rc)
		set_disposition(r, t, rep, fmt, s);
	kefu_table_free(t);
}

/* Shops with data the user may see. */
static void h_shops(serve_req *q, serve_resp *r, sel *s)
{
	if (s->n_shops || s->n_agents || s->from || s->to || s->by || s->per || s->format ||
	    s->report || s->excel || s->buyer || s->day)
		return serve_error(r, 400, "no parameters expected");
	kefu_err err = KEFU_ERR_INIT;
	serve_snap *snap = serve_data_acquire(&q->ctx->data, q->st, &err);
	if (!snap)
		return serve_error(r, 503, "data not available");
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	uint32_t *sh = NULL, *ag = NULL;
	json_t *a = json_array();
	if (kefu_tenancy_scope(q->user, snap->s.ds, NULL, &ro, &sh, &ag, &err)) {
		serve_error(r, 403, "forbidden");
	} else {
		uint32_t n = kefu_dict_size(snap->s.ds->shops);
		for (uint32_t i = 0; i < n; i++) {
			int found = !ro.shops;
			for (size_t k = 0; !found && k < ro.n_shops; k++)
				found = ro.shops[k] == i;
			if (!found)
				continue;
			kefu_str nm = kefu_dict_get(snap->s.ds->shops, i);
			json_array_append_new(a, json_stringn(nm.p, nm.n));
		}
		set_json(r, 200, json_pack("{s:O}", "shops", a));
	}
	json_decref(a);
	free(sh);
	free(ag);
	serve_data_release(&q->ctx->data, snap);
}

/* Buyer messages per local hour and weekday (Monday first) over the
 * selection, business days from/to, in each shop's time zone. */
static void h_hourly(serve_req *q, serve_resp *r, sel *s)
{
	if (s->by || s->per || s->format || s->report || s->excel || s->buyer || s->day)
		return serve_error(r, 400, "hourly takes shop, agent, from and to");
	kefu_err err = KEFU_ERR_INIT;
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	if (s->from && kefu_day_parse(s->from, strlen(s->from), &ro.from_day))
		return serve_error(r, 400, "from: expected YYYY-MM-DD");
	if (s->to && kefu_day_parse(s->to, strlen(s->to), &ro.to_day))
		return serve_error(r, 400, "to: expected YYYY-MM-DD");
	serve_snap *snap = serve_data_acquire(&q->ctx->data, q->st, &err);
	if (!snap)
		return serve_error(r, 503, "data not available");
	uint32_t *sh = NULL, *ag = NULL;
	kefu_selection req = {s->shops, s->n_shops, s->agents, s->n_agents};
	int rc = kefu_tenancy_scope(q->user, snap->s.ds, &req, &ro, &sh, &ag, &err);
	if (rc) {
		serve_error(r, rc == KEFU_EFORBIDDEN ? 403 : 500, rc == KEFU_EFORBIDDEN ? "forbidden" : "internal error");
	} else {
		const kefu_dataset *ds = snap->s.ds;
		uint32_t ns = kefu_dict_size(ds->shops), na = kefu_dict_size(ds->agents);
		unsigned char *shop_ok = calloc((size_t)ns + 1, 1), *agent_ok = calloc((size_t)na + 1, 1);
		int64_t counts[7][24];
		memset(counts, 0, sizeof counts);
		for (uint32_t i = 0; shop_ok && i < ns; i++)
			shop_ok[i] = !ro.shops;
		for (size_t k = 0; shop_ok && k < ro.n_shops; k++)
			shop_ok[ro.shops[k]] = 1;
		for (uint32_t i = 0; agent_ok && i < na; i++)
			agent_ok[i] = !ro.agents;
		for (size_t k = 0; agent_ok && k < ro.n_agents; k++)
			agent_ok[ro.agents[k]] = 1;
		for (size_t i = 0; shop_ok && agent_ok && i < ds->msg.n; i++) {
			if (ds->msg.dir[i] != KEFU_DIR_B || !shop_ok[ds->msg.shop[i]])
				continue;
			if (ds->msg.agent[i] < na && !agent_ok[ds->msg.agent[i]])
				continue;
			if (ds->msg.agent[i] >= na && ro.agents)
				continue;
			const kefu_settings_versions *vs = &snap->s.vs[ds->msg.shop[i]];
			int64_t t = ds->msg.ts[i];
			int64_t day = kefu_settings_day_of(vs, t);
			if (day < ro.from_day || day > ro.to_day)
				continue;
			const kefu_settings *st = kefu_settings_at(vs, day);
			int64_t local = t + kefu_tz_offset_at(st->tz, t);
			int64_t cday = kefu_floor_div(local, 86400);
			int wd = (kefu_weekday(cday) + 6) % 7; /* Monday = 0 */
			counts[wd][(local - cday * 86400) / 3600]++;
		}
		json_t *rows = json_array();
		for (int d = 0; d < 7; d++) {
			json_t *row = json_array();
			for (int h = 0; h < 24; h++)
				json_array_append_new(row, json_integer(counts[d][h]));
			json_array_append_new(rows, row);
		}
		if (!shop_ok || !agent_ok)
			serve_error(r, 500, "out of memory");
		else
			set_json(r, 200, json_pack("{s:[s,s,s,s,s,s,s], s:o}", "weekdays", "Mon", "Tue",
						   "Wed", "Thu", "Fri", "Sat", "Sun", "counts", rows));
		free(shop_ok);
		free(agent_ok);
	}
	free(sh);
	free(ag);
	serve_data_release(&q->ctx->data, snap);
}

/* The stored settings rows ('*' and the visible shops), oldest first. */
static void h_settings(serve_req *q, serve_resp *r, sel *s)
{
	if (s->n_shops > 1 || s->n_agents || s->from || s->to || s->by || s->per || s->format ||
	    s->report || s->excel || s->buyer || s->day)
		return serve_error(r, 400, "settings takes at most one shop");
	const char *only = s->n_shops ? s->shops[0] : NULL;
	if (only && !kefu_tenancy_shop_visible(q->user, only))
		return serve_error(r, 403, "forbidden");
	sqlite3 *db = kefu_store_sqlite(q->st);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT shop, key, value, from_day FROM settings"
			       " ORDER BY shop <> '*', shop, from_day, key",
			       -1, &st, NULL))
		return serve_error(r, 500, "settings not available");
	json_t *rows = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *shop = (const char *)sqlite3_column_text(st, 0);
		if (!shop)
			continue;
		int star = !strcmp(shop, "*");
		if (only ? !star && strcmp(shop, only) : !star && !kefu_tenancy_shop_visible(q->user, shop))
			continue;
		int64_t fd = sqlite3_column_int64(st, 3);
		char day[32];
		if (fd != INT64_MIN)
			kefu_day_format(fd, day);
		json_array_append_new(
			rows, json_pack("{s:s, s:s, s:s, s:o}", "shop", shop, "key",
					(const char *)sqlite3_column_text(st, 1), "value",
					(const char *)sqlite3_column_text(st, 2), "from",
					fd == INT64_MIN ? json_null() : json_string(day)));
	}
	sqlite3_finalize(st);
	set_json(r, 200, json_pack("{s:o}", "settings", rows));
}

/* The messages of one chat (shop, agent, buyer, business day), with their
 * text, read from the store after the tenancy check of shop and agent. */
/* The messages of one chat (shop, agent, buyer) in [t0, t1), gathered
 * from the segments of that time (msgseg.h). */
typedef struct chat_msg {
	int64_t ts, ref;
	int dir;
	char *text;
	size_t text_n;
} chat_msg;

typedef struct chat_msgs {
	int64_t t0, t1;
	int64_t id[3]; /* shop, agent, buyer */
	chat_msg *m;
	size_t n, cap;
} chat_msgs;

static void chat_msgs_free(chat_msgs *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->m[i].text);
	free(c->m);
	c->m = NULL;
	c->n = c->cap = 0;
}

/* Store ids of the three names; nonzero when one is not stored. */
static int chat_ids(sqlite3 *db, const char *shop, const char *agent, const char *buyer,
		    int64_t id[3])
{
	static const char *const sql[3] = {"SELECT id FROM dim_shop WHERE name = ?1",
					   "SELECT id FROM dim_agent WHERE name = ?1",
					   "SELECT id FROM dim_buyer WHERE name = ?1"};
	const char *name[3] = {shop, agent, buyer};
	for (int d = 0; d < 3; d++) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, sql[d], -1, &st, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_text(st, 1, name[d], -1, SQLITE_STATIC);
		int found = sqlite3_step(st) == SQLITE_ROW;
		id[d] = found ? sqlite3_column_int64(st, 0) : -1;
		sqlite3_finalize(st);
		if (!found)
			return -1;
	}
	return 0;
}

static int chat_segment(void *ctx, const kefu_msgseg *seg, kefu_err *err)
{
	chat_msgs *c = ctx;
	for (size_t i = 0; i < seg->n; i++) {
		if (seg->ts[i] < c->t0 || seg->ts[i] >= c->t1 || seg->shop[i] != c->id[0] ||
		    seg->agent[i] != c->id[1] || seg->buyer[i] != c->id[2])
			continue;
		size_t n = (size_t)(seg->text_off[i + 1] - seg->text_off[i]);
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 64;
			chat_msg *m = realloc(c->m, cap * sizeof *m);
			if (!m)
				return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			c->m = m;
			c->cap = cap;
		}
		char *text = malloc(n + 1);
		if (!text)
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		memcpy(text, seg->text + seg->text_off[i], n);
		text[n] = '\0';
		c->m[c->n++] = (chat_msg){seg->ts[i], kefu_msgseg_ref(seg->id, i), seg->dir[i], text, n};
	}
	return 0;
}

/* by time, then in stored order (the order the CLI's chats listing uses) */
static int cmp_chat_msg(const void *a, const void *b)
{
	const chat_msg *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->ref < y->ref ? -1 : x->ref > y->ref;
}

static void h_messages(serve_req *q, serve_resp *r, sel *s)
{
	if (s->n_shops != 1 || s->n_agents != 1 || !s->buyer || !s->day || s->from || s->to ||
	    s->by || s->per || s->format || s->report || s->excel)
		return serve_error(r, 400, "messages takes one shop, agent, buyer and day");
	int64_t day;
	if (kefu_day_parse(s->day, strlen(s->day), &day))
		return serve_error(r, 400, "day: expected YYYY-MM-DD");
	kefu_err err = KEFU_ERR_INIT;
	serve_snap *snap = serve_data_acquire(&q->ctx->data, q->st, &err);
	if (!snap)
		return serve_error(r, 503, "data not available");
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	uint32_t *sh = NULL, *ag = NULL, shop_id;
	kefu_selection req = {s->shops, 1, s->agents, 1};
	int rc = kefu_tenancy_scope(q->user, snap->s.ds, &req, &ro, &sh, &ag, &err);
	if (rc) {
		serve_error(r, rc == KEFU_EFORBIDDEN ? 403 : 500, rc == KEFU_EFORBIDDEN ? "forbidden" : "internal error");
		goto cleanup;
	}
	if (ro.n_shops != 1 || ro.n_agents != 1 ||
	    kefu_dict_find(snap->s.ds->shops, s->shops[0], strlen(s->shops[0]), &shop_id)) {
		serve_error(r, 404, "no such chat");
		goto cleanup;
	}
	const kefu_settings *set = kefu_settings_at(&snap->s.vs[shop_id], day);
	int64_t t0 = kefu_day_start(set->tz, set->day_split_s, day);
	int64_t t1 = kefu_day_start(set->tz, set->day_split_s, day + 1);
	sqlite3 *db = kefu_store_sqlite(q->st);
	chat_msgs cm = {.t0 = t0, .t1 = t1};
	if (chat_ids(db, s->shops[0], s->agents[0], s->buyer, cm.id) == 0) {
		kefu_msgseg seg;
		memset(&seg, 0, sizeof seg);
		kefu_msgseg_filter f = {t0, t1 - 1, INT64_MIN, INT64_MAX, 1};
		rc = kefu_msgseg_scan(db, &f, &seg, chat_segment, &cm, &err);
		kefu_msgseg_free(&seg);
		if (rc) {
			chat_msgs_free(&cm);
			serve_error(r, 500, "messages not available");
			goto cleanup;
		}
		if (cm.n)
			qsort(cm.m, cm.n, sizeof *cm.m, cmp_chat_msg);
	}
	json_t *rows = json_array();
	static const char *const dirs[] = {"B", "S", "A"};
	for (size_t i = 0; i < cm.n; i++) {
		char ts[64];
		kefu_ts_format(set->tz, cm.m[i].ts, ts);
		int dir = cm.m[i].dir;
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s%}", "ts", ts, "dir",
						      dirs[dir >= 0 && dir < 3 ? dir : 0], "text",
						      cm.m[i].text, cm.m[i].text_n));
	}
	chat_msgs_free(&cm);
	set_json(r, 200, json_pack("{s:o}", "messages", rows));
cleanup:
	free(sh);
	free(ag);
	serve_data_release(&q->ctx->data, snap);
}

/* --------------------------------------------------------------- users */

static void h_users(serve_req *q, serve_resp *r, sel *s)
{
	(void)s;
	kefu_user **v = NULL;
	size_t n = 0;
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_user_list(q->st, &v, &n, &err))
		return serve_error(r, 500, "cannot list users");
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *u = user_json(v[i]);
		json_object_set_new(u, "locked", json_boolean(v[i]->locked_until > (int64_t)time(NULL)));
		json_array_append_new(a, u);
	}
	kefu_user_list_free(v, n);
	set_json(r, 200, json_pack("{s:o}", "users", a));
}

static int json_list(json_t *v, char ***out, size_t *n)
{
	if (!v)
		return 0;
	if (json_is_string(v))
		return kefu_user_add_list(out, n, json_string_value(v));
	if (!json_is_array(v))
		return KEFU_EINVAL;
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x)
	{
		if (!json_is_string(x) || strchr(json_string_value(x), ','))
			return KEFU_EINVAL;
		if (kefu_user_add_list(out, n, json_string_value(x)))
			return KEFU_ENOMEM;
	}
	return 0;
}

static void h_user_add(serve_req *q, serve_resp *r, sel *s)
{
	(void)s;
	json_error_t je;
	json_t *o = json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, &je);
	kefu_user u;
	memset(&u, 0, sizeof u);
	const char *name = json_string_value(json_object_get(o, "name"));
	const char *role = json_string_value(json_object_get(o, "role"));
	const char *pw = json_string_value(json_object_get(o, "password"));
	const char *agent = json_string_value(json_object_get(o, "agent"));
	kefu_err err = KEFU_ERR_INIT;
	if (!json_is_object(o) || !name || !role || !pw) {
		serve_error(r, 400, "expected {\"name\", \"role\", \"password\", \"shops\", \"agent\", \"teams\"}");
		goto cleanup;
	}
	u.name = (char *)name;
	u.agent = (char *)agent;
	if (kefu_role_parse(role, &u.role) || json_list(json_object_get(o, "shops"), &u.shops, &u.n_shops) ||
	    json_list(json_object_get(o, "teams"), &u.teams, &u.n_teams)) {
		serve_error(r, 400, "invalid role, shops or teams");
		goto cleanup;
	}
	int rc = kefu_user_add(q->ctx->auth, q->st, &u, pw, (int64_t)time(NULL), &err);
	if (rc == KEFU_EEXIST)
		serve_error(r, 409, err.msg);
	else if (rc == KEFU_EINVAL)
		serve_error(r, 400, err.msg);
	else if (rc)
		serve_error(r, 500, "cannot add user");
	else
		set_json(r, 201, json_pack("{s:b}", "ok", 1));
cleanup:
	for (size_t i = 0; i < u.n_shops; i++)
		free(u.shops[i]);
	for (size_t i = 0; i < u.n_teams; i++)
		free(u.teams[i]);
	free(u.shops);
	free(u.teams);
	json_decref(o);
}

static void h_user_del(serve_req *q, serve_resp *r, sel *s)
{
	(void)s;
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_user_del(q->st, q->param, &err);
	if (rc == KEFU_ENOTFOUND)
		return serve_error(r, 404, "no such user");
	if (rc)
		return serve_error(r, 500, "cannot delete user");
	set_json(r, 200, json_pack("{s:b}", "ok", 1));
}

static void h_contracts(serve_req *q, serve_resp *r, sel *s)
{
	(void)s;
	serve_contracts(q, r);
}

static void h_review(serve_req *q, serve_resp *r, sel *s)
{
	(void)s;
	serve_review(q, r);
}

/* --------------------------------------------------------------- routes */

typedef struct route {
	const char *method, *pattern; /* one '*' segment at most */
	int flags;
	void (*fn)(serve_req *q, serve_resp *r, sel *s);
	int path_is_shop; /* the '*' segment is a shop name */
} route;

static const route routes[] = {
	{"POST", "login", 0, h_login, 0},
	{"POST", "logout", F_AUTH | F_CSRF, h_logout, 0},
	{"GET", "me", F_AUTH, h_me, 0},
	{"GET", "kpi", F_AUTH, h_kpi, 0},
	{"POST", "kpi", F_AUTH | F_CSRF, h_kpi, 0},
	{"GET", "chats", F_AUTH, h_chats, 0},
	{"POST", "chats", F_AUTH | F_CSRF, h_chats, 0},
	{"GET", "shops", F_AUTH, h_shops, 0},
	{"GET", "shops/*/kpi", F_AUTH, h_kpi, 1},
	{"GET", "shops/*/chats", F_AUTH, h_chats, 1},
	{"GET", "shops/*/settings", F_AUTH, h_settings, 1},
	{"GET", "shops/*/hourly", F_AUTH, h_hourly, 1},
	{"GET", "shops/*/export", F_AUTH, h_export, 1},
	{"GET", "hourly", F_AUTH, h_hourly, 0},
	{"GET", "messages", F_AUTH, h_messages, 0},
	{"GET", "shops/*/messages", F_AUTH, h_messages, 1},
	{"GET", "settings", F_AUTH, h_settings, 0},
	{"GET", "export", F_AUTH, h_export, 0},
	{"POST", "export", F_AUTH | F_CSRF, h_export, 0},
	{"GET", "contracts", F_AUTH, h_contracts, 0},
	{"GET", "contracts/*/review", F_AUTH, h_review, 0},
	{"GET", "users", F_AUTH | F_ADMIN, h_users, 0},
	{"POST", "users", F_AUTH | F_CSRF | F_ADMIN, h_user_add, 0},
	{"DELETE", "users/*", F_AUTH | F_CSRF | F_ADMIN, h_user_del, 0},
	{NULL, NULL, 0, NULL, 0},
};

/* Matches path against pattern; the '*' segment (non-empty, no '/') goes
 * to param (cap bytes). */
static int match(const char *pattern, const char *path, char *param, size_t cap)
{
	const char *star = strchr(pattern, '*');
	if (!star)
		return !strcmp(pattern, path);
	size_t pre = (size_t)(star - pattern);
	if (strncmp(pattern, path, pre))
		return 0;
	const char *seg = path + pre, *end = strchr(seg, '/');
	size_t n = end ? (size_t)(end - seg) : strlen(seg);
	if (!n || n >= cap || strcmp(star + 1, seg + n))
		return 0;
	memcpy(param, seg, n);
	param[n] = '\0';
	return 1;
}

void serve_api(serve_req *q, serve_resp *r)
{
	char param[512];
	const route *rt = NULL;
	int path_known = 0;
	for (const route *x = routes; x->method; x++)
		if (match(x->pattern, q->path, param, sizeof param)) {
			path_known = 1;
			if (!strcmp(x->method, q->method) ||
			    (!strcmp(q->method, "HEAD") && !strcmp(x->method, "GET"))) {
				rt = x;
				break;
			}
		}
	if (!rt)
		return serve_error(r, path_known ? 405 : 404, path_known ? "method not allowed" : "not found");
	if (strchr(rt->pattern, '*'))
		q->param = param;
	if ((rt->flags & F_AUTH) && !q->user)
		return serve_error(r, 401, "not logged in");
	int body = !strcmp(q->method, "POST");
	if (body) {
		const char *ct = MHD_lookup_connection_value(q->con, MHD_HEADER_KIND, "Content-Type");
		if (!ct || strncmp(ct, "application/json", 16))
			return serve_error(r, 415, "expected Content-Type: application/json");
	}
	if ((rt->flags & F_CSRF) && !q->bearer) {
		const char *csrf = MHD_lookup_connection_value(q->con, MHD_HEADER_KIND, "X-CSRF-Token");
		if (!kefu_auth_csrf_ok(q->token, csrf))
			return serve_error(r, 403, "missing or wrong CSRF token");
	}
	if ((rt->flags & F_ADMIN) && !kefu_tenancy_can_admin(q->user))
		return serve_error(r, 403, "forbidden");
	sel s;
	memset(&s, 0, sizeof s);
	MHD_get_connection_values(q->con, MHD_GET_ARGUMENT_KIND, arg_cb, &s);
	if (rt->path_is_shop)
		sel_put(&s, "shop", q->param);
	json_t *jb = NULL;
	/* selection routes read their body as a selection */
	if (body && rt->fn != h_login && rt->fn != h_user_add && rt->fn != h_logout) {
		json_error_t je;
		jb = q->body_len ? json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, &je)
				 : json_object();
		if (!jb)
			sel_bad(&s, "%s", "body is not valid JSON");
		else
			sel_json(&s, jb);
	}
	if (s.bad)
		serve_error(r, 400, s.why);
	else
		rt->fn(q, r, &s);
	json_decref(jb);
}
