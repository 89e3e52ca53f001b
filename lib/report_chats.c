/*
 * report_chats.c - the per-chat detail table: one row per chat with its
 * quantities and the orders credited to it, so every aggregate can be
 * traced back to its rows (metrics.md section 11).
 */
#include "kefu/report.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name, *zh;
	kefu_coltype type;
} chat_cols[] = {
	{"shop", "店铺", KEFU_T_TEXT},          {"agent", "客服", KEFU_T_TEXT},
	{"buyer", "买家", KEFU_T_TEXT},         {"day", "日期", KEFU_T_TEXT},
	{"first_buyer_ts", "首条买家消息", KEFU_T_TEXT}, {"start", "开始", KEFU_T_TEXT},
	{"end", "结束", KEFU_T_TEXT},           {"consult", "咨询", KEFU_T_FLAG},
	{"received", "接待", KEFU_T_FLAG},      {"unanswered", "未回复", KEFU_T_FLAG},
	{"inquiry", "询单", KEFU_T_FLAG},       {"after_sale", "售后", KEFU_T_FLAG},
	{"first_resp_s", "首次响应(秒)", KEFU_T_INT}, {"resp_sum_s", "响应时长合计(秒)", KEFU_T_INT},
	{"resp_n", "响应次数", KEFU_T_INT},     {"slow", "慢响应", KEFU_T_FLAG},
	{"rounds_3min", "3分钟考核轮次", KEFU_T_INT}, {"rounds_3min_ok", "3分钟内响应轮次", KEFU_T_INT},
	{"buyer_msgs", "买家消息数", KEFU_T_INT}, {"agent_msgs", "客服消息数", KEFU_T_INT},
	{"agent_chars", "客服字数", KEFU_T_INT}, {"duration_s", "接待时长(秒)", KEFU_T_INT},
	{"converted", "询单转化", KEFU_T_FLAG}, {"converted_next_day", "次日付款", KEFU_T_FLAG},
	{"credited_orders", "落实订单", KEFU_T_TEXT}, {"credited_fen", "落实销售额", KEFU_T_FEN},
};
#define NCHATCOLS (sizeof chat_cols / sizeof chat_cols[0])

static int set_ts(kefu_cell *c, const kefu_settings_versions *vs, int64_t t)
{
	if (t == KEFU_TS_NONE)
		return 0;
	char buf[32];
	int64_t d = kefu_settings_day_of(vs, t);
	kefu_ts_format(kefu_settings_at(vs, d)->tz, t, buf);
	return kefu_cell_set_text(c, buf, strlen(buf));
}

int kefu_report_chats(kefu_table **out, const kefu_dataset *ds, const kefu_kpi_result *res,
		      const kefu_report_opts *o, const kefu_settings_versions *shop_settings,
		      kefu_err *err)
{
	*out = NULL;
	kefu_table *t = NULL;
	kefu_key3 *k = NULL;
	char *list = NULL;
	size_t list_cap = 0;
	int rc = kefu_table_new(&t, "kefu chats");
	for (size_t i = 0; !rc && i < NCHATCOLS; i++)
		rc = kefu_table_add_col(t, chat_cols[i].name, chat_cols[i].zh, chat_cols[i].type);
	if (rc)
		goto fail;
	/* orders credited to each chat, by chat index */
	k = kefu_malloc((res->n_orders + 1) * sizeof *k);
	if (!k) {
		rc = KEFU_ENOMEM;
		goto fail;
	}
	size_t nk = 0;
	for (size_t i = 0; i < res->n_orders; i++)
		if (res->credit[i].sale_chat != KEFU_NO_ID)
			k[nk++] = (kefu_key3){res->credit[i].sale_chat, ds->ord.order_id[i], (uint32_t)i, 0};
	if ((rc = kefu_sort_key3(k, nk)))
		goto fail;
	size_t ki = 0;
	char buf[64];
	for (size_t i = 0; i < res->n_chats; i++) {
		const kefu_chat *ch = &res->chats[i];
		size_t kj = ki;
		while (ki < nk && k[ki].hi < i)
			ki++;
		kj = ki;
		while (kj < nk && k[kj].hi == i)
			kj++;
		size_t first = ki;
		ki = kj;
		if (ch->day < o->from_day || ch->day > o->to_day)
			continue;
		if (o->shops && !kefu_ids_contain(o->shops, o->n_shops, ch->shop))
			continue;
		if (o->agents && !kefu_ids_contain(o->agents, o->n_agents, ch->agent))
			continue;
		const kefu_settings_versions *vs = &shop_settings[ch->shop];
		kefu_cell *row;
		if ((rc = kefu_table_add_row(t, &row)))
			goto fail;
		kefu_str s = kefu_dict_get(ds->shops, ch->shop), a = kefu_dict_get(ds->agents, ch->agent),
			 b = kefu_dict_get(ds->buyers, ch->buyer);
		kefu_day_format(ch->day, buf);
		if ((rc = kefu_cell_set_text(&row[0], s.p, s.n)) ||
		    (rc = kefu_cell_set_text(&row[1], a.p, a.n)) ||
		    (rc = kefu_cell_set_text(&row[2], b.p, b.n)) ||
		    (rc = kefu_cell_set_text(&row[3], buf, strlen(buf))) ||
		    (rc = set_ts(&row[4], vs, ch->f)) || (rc = set_ts(&row[5], vs, ch->start)) ||
		    (rc = set_ts(&row[6], vs, ch->end)))
			goto fail;
		int consult = ch->buyer_msgs > 0;
		int64_t vals[] = {consult, ch->received, consult && !ch->received, ch->inquiry,
				  ch->after_sale, ch->first_resp_s, ch->resp_sum_s, ch->resp_n,
				  ch->slow, ch->rounds_3min, ch->rounds_3min_ok, ch->buyer_msgs,
				  ch->agent_msgs, ch->agent_chars, ch->end - ch->start, ch->converted,
				  ch->converted_next_day};
		for (size_t v = 0; v < sizeof vals / sizeof vals[0]; v++) {
			row[7 + v].empty = 0;
			row[7 + v].num = vals[v];
		}
		row[12].empty = ch->first_resp_s < 0;
		row[21].empty = !ch->received; /* duration counts for received chats */
		size_t len = 0;
		int64_t fen = 0;
		for (size_t x = first; x < kj; x++) {
			kefu_str oid = kefu_dict_get(ds->order_ids, (uint32_t)k[x].lo);
			if (kefu_grow((void **)&list, &list_cap, len + oid.n + 2, 1)) {
				rc = KEFU_ENOMEM;
				goto fail;
			}
			if (len)
				list[len++] = ' ';
			memcpy(list + len, oid.p, oid.n);
			len += oid.n;
			fen += res->credit[k[x].idx].sale_fen;
		}
		if ((rc = kefu_cell_set_text(&row[24], list ? list : "", len)))
			goto fail;
		row[25].empty = 0;
		row[25].num = fen;
	}
	kefu_free(k);
	kefu_free(list);
	*out = t;
	return 0;
fail:
	kefu_free(k);
	kefu_free(list);
	kefu_table_free(t);
	return kefu_err_set(err, rc, "out of memory building the chat table");
}
