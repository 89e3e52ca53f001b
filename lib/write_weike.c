/*
 * write_weike.c - the Taobao outsourcing program's per-sub-account KPI set
 * (`taobao.weike.performance.put` fields, metrics.md section 11) from a KPI
 * table grouped by agent, as JSON (jansson, stable key order). Online-time
 * fields come from the dataset's presence rows (login, logout) in the given
 * time zone. The mapping and its assumptions are in docs/REPORTS.md.
 */
#include "kefu/report_html.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Machine form of a cell (6 decimals at most, exact) as a JSON number. */
static json_t *num6(const kefu_column *col, const kefu_cell *c)
{
	char buf[64];
	if (c->empty)
		return json_null();
	if (col->type == KEFU_T_INT || col->type == KEFU_T_FLAG)
		return json_integer(c->num);
	if (col->type == KEFU_T_FEN)
		kefu_decimal_format(c->num, 100, 0, 2, 1, buf); /* yuan */
	else
		kefu_cell_format(col, c, 0, buf, sizeof buf);
	return json_real(strtod(buf, NULL));
}

static json_t *field(const kefu_table *t, size_t r, const char *name)
{
	long c = kefu_table_col(t, name);
	if (c < 0)
		return json_null();
	return num6(&t->cols[c], kefu_table_cell(t, r, (size_t)c));
}

static const char *text_of(const kefu_table *t, size_t r, const char *name)
{
	long c = kefu_table_col(t, name);
	if (c < 0)
		return NULL;
	const kefu_cell *cell = kefu_table_cell(t, r, (size_t)c);
	return cell->empty ? NULL : cell->text;
}

typedef struct pres_key {
	uint32_t agent, idx;
	int64_t login;
} pres_key;

typedef struct pres_ix {
	const kefu_dataset *ds;
	pres_key *k; /* presence rows sorted by agent, login, row */
	size_t n;
} pres_ix;

static int cmp_pres(const void *a, const void *b)
{
	const pres_key *x = a, *y = b;
	if (x->agent != y->agent)
		return x->agent < y->agent ? -1 : 1;
	if (x->login != y->login)
		return x->login < y->login ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Mean of n clock values given as a sum of seconds, half up to a second,
 * as HH:MM:SS (hours may pass 24 for a logout after midnight). */
static json_t *clock_mean(int64_t sum, int64_t n)
{
	if (n <= 0)
		return json_null();
	int64_t s = (2 * sum + n) / (2 * n);
	char buf[32];
	snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", (long long)(s / 3600),
		 (long long)(s / 60 % 60), (long long)(s % 60));
	return json_string(buf);
}

/* Online fields of one agent over business days [from, to] (local dates of
 * login in tz). */
static void online_fields(json_t *o, const pres_ix *px, const kefu_tz *tz, const char *agent,
			  int64_t from, int64_t to)
{
	uint32_t id;
	const kefu_presence *p = px->ds ? &px->ds->pres : NULL;
	int64_t days = 0, total = 0, first_sum = 0, last_sum = 0, last_days = 0;
	if (p && px->n && agent && kefu_dict_find(px->ds->agents, agent, strlen(agent), &id) == 0) {
		/* first row of this agent */
		size_t lo = 0, hi = px->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (px->k[mid].agent < id)
				lo = mid + 1;
			else
				hi = mid;
		}
		int64_t cur_day = INT64_MIN, day_first = 0, day_last = INT64_MIN;
		for (size_t i = lo; i <= px->n; i++) {
			int end = i == px->n || px->k[i].agent != id;
			int64_t login = end ? 0 : px->k[i].login;
			int64_t local = end ? 0 : login + (tz ? kefu_tz_offset_at(tz, login) : 8 * 3600);
			int64_t day = end ? INT64_MAX : kefu_floor_div(local, 86400);
			if (!end && (day < from || day > to))
				continue;
			if (day != cur_day && cur_day != INT64_MIN) {
				/* close the previous day */
				days++;
				first_sum += day_first;
				if (day_last != INT64_MIN) {
					last_sum += day_last;
					last_days++;
				}
			}
			if (end)
				break;
			if (day != cur_day) {
				cur_day = day;
				day_first = local - day * 86400; /* logins sorted: the first */
				day_last = INT64_MIN;
			}
			int64_t logout = p->logout[px->k[i].idx];
			if (logout != KEFU_TS_NONE && logout >= login) {
				total += logout - login;
				int64_t lo_local = logout + (tz ? kefu_tz_offset_at(tz, logout) : 8 * 3600);
				int64_t since = lo_local - day * 86400;
				if (since > day_last)
					day_last = since;
			}
		}
	}
	if (days == 0) {
		json_object_set_new(o, "online_days", json_null());
		json_object_set_new(o, "total_online_time", json_null());
		json_object_set_new(o, "avg_online_time_per_day", json_null());
		json_object_set_new(o, "avg_online_time", json_null());
		json_object_set_new(o, "avg_last_online_time", json_null());
		return;
	}
	char buf[64];
	kefu_decimal_format(total, days, 0, 6, 1, buf);
	json_object_set_new(o, "online_days", json_integer(days));
	json_object_set_new(o, "total_online_time", json_integer(total));
	json_object_set_new(o, "avg_online_time_per_day", json_real(strtod(buf, NULL)));
	json_object_set_new(o, "avg_online_time", clock_mean(first_sum, days));
	/* days whose sessions all lack a logout have no last logout: mean over the others */
	json_object_set_new(o, "avg_last_online_time", clock_mean(last_sum, last_days));
}

int kefu_write_weike_json(const kefu_table *t, const kefu_dataset *ds, const kefu_tz *tz,
			  FILE *out, kefu_err *err)
{
	if (kefu_table_col(t, "agent") < 0)
		return kefu_err_set(err, KEFU_EINVAL, "weike-json needs a table grouped by agent");
	pres_ix px = {ds, NULL, 0};
	if (ds && ds->pres.n) {
		px.k = kefu_malloc(ds->pres.n * sizeof *px.k);
		if (!px.k)
			return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		for (size_t i = 0; i < ds->pres.n; i++)
			px.k[i] = (pres_key){ds->pres.agent[i], (uint32_t)i, ds->pres.login[i]};
		qsort(px.k, ds->pres.n, sizeof *px.k, cmp_pres);
		px.n = ds->pres.n;
	}
	json_t *root = json_object(), *settings = json_object(), *arr = json_array();
	int rc = 0;
	if (!root || !settings || !arr) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto done;
	}
	json_object_set_new(root, "method", json_string("taobao.weike.performance.put"));
	for (size_t i = 0; i < t->nmeta; i++)
		json_object_set_new(settings, t->meta_key[i], json_string(t->meta_val[i]));
	json_object_set_new(root, "settings", settings);
	settings = NULL;
	for (size_t r = 0; r < t->nrows; r++) {
		const char *agent = text_of(t, r, "agent"), *shop = text_of(t, r, "shop");
		const char *from = text_of(t, r, "from"), *to = text_of(t, r, "to");
		if (!from)
			from = to = text_of(t, r, "day");
		json_t *o = json_object();
		if (!o) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			goto done;
		}
		json_object_set_new(o, "sub_account", agent ? json_string(agent) : json_null());
		json_object_set_new(o, "shop", shop ? json_string(shop) : json_null());
		json_object_set_new(o, "start_date", from ? json_string(from) : json_null());
		json_object_set_new(o, "end_date", to ? json_string(to) : json_null());
		json_object_set_new(o, "first_response_time", field(t, r, "first_resp_s"));
		json_object_set_new(o, "avg_response_time", field(t, r, "avg_resp_s"));
		json_object_set_new(o, "response_rate", field(t, r, "reply_rate"));
		json_object_set_new(o, "conversion_rate_of_ser", field(t, r, "conv_rate"));
		json_object_set_new(o, "sales_amount", field(t, r, "sales_fen"));
		json_object_set_new(o, "sales_quantity", field(t, r, "sales_items"));
		json_object_set_new(o, "unit_price_of_ser", field(t, r, "aov"));
		json_object_set_new(o, "sales_bonus", json_null());
		int64_t d0 = INT64_MIN, d1 = INT64_MAX;
		if (from && to && (kefu_day_parse(from, strlen(from), &d0) ||
				   kefu_day_parse(to, strlen(to), &d1))) {
			d0 = INT64_MIN;
			d1 = INT64_MAX;
		}
		online_fields(o, &px, tz, agent, d0, d1);
		json_t *prov = field(t, r, "provisional");
		json_object_set_new(o, "provisional", json_boolean(json_integer_value(prov) != 0));
		json_decref(prov);
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "performances", arr);
	arr = NULL;
	if (json_dumpf(root, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)))
		rc = kefu_err_set(err, KEFU_EIO, "write error");
	fputc('\n', out);
	if (!rc && (fflush(out) != 0 || ferror(out)))
		rc = kefu_err_set(err, KEFU_EIO, "write error");
done:
	json_decref(root);
	json_decref(settings);
	json_decref(arr);
	kefu_free(px.k);
	return rc;
}
