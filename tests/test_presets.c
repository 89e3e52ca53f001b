/*
 * test_presets.c - unit tests of lib/mapping.c and the mapped paths of
 * lib/loader.c: time formats, mapping specs and transforms, presets and
 * presets files, encoding detection and GB18030 transcoding (memory and the
 * streaming stage), and the Taobao order export fixtures of
 * tests/fixtures/presets (made by make_fixtures.py: GBK bytes from iconv,
 * CRLF, UTF-8 with BOM, quoted newlines in 买家留言, Excel-protected and
 * tab-suffixed ids, every unpaid token, refunds, an older header variant,
 * an invalid GBK byte).
 */
/* cmocka.h needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/loader.h"
#include "kefu/mapping.h"

static kefu_tz *g_sh;

#define FIX KEFU_TEST_FIXTURES "/presets/"

typedef struct coll {
  char rows[64][512];
  long lines[64];
  size_t n;
  char rej[64][256]; /* "line|column|reason" */
  size_t nrej;
} coll;

static void cpy(char *dst, size_t cap, kefu_str s) {
  size_t n = s.n < cap - 1 ? s.n : cap - 1;
  memcpy(dst, s.p, n);
  dst[n] = '\0';
}

static int on_row(void *ctx, const kefu_record *r, const char *file, long line,
                  kefu_err *err) {
  (void)file;
  (void)err;
  coll *c = ctx;
  if (c->n >= 64)
    return 0;
  char a[64], b[64], d[64], e[64];
  char *out = c->rows[c->n];
  if (r->kind == KEFU_KIND_ORDERS) {
    cpy(a, sizeof a, r->u.ord.shop);
    cpy(b, sizeof b, r->u.ord.order_id);
    cpy(d, sizeof d, r->u.ord.buyer);
    cpy(e, sizeof e, r->u.ord.status);
    char paid[32];
    if (r->u.ord.paid == KEFU_TS_NONE)
      snprintf(paid, sizeof paid, "unpaid");
    else
      snprintf(paid, sizeof paid, "%lld",
               (long long)(r->u.ord.paid - r->u.ord.created));
    snprintf(out, 512, "%s|%s|%s|%s|%lld|%lld|%s|%lld", a, b, d, paid,
             (long long)r->u.ord.amount, (long long)r->u.ord.items, e,
             (long long)r->u.ord.refund);
  } else if (r->kind == KEFU_KIND_MESSAGES) {
    cpy(a, sizeof a, r->u.msg.buyer);
    cpy(b, sizeof b, r->u.msg.agent);
    cpy(d, sizeof d, r->u.msg.text);
    snprintf(out, 512, "%s|%s|%c|%lld|%s", a, b, "BSA"[r->u.msg.dir],
             (long long)r -> u.msg.ts, d);
  } else {
    snprintf(out, 512, "kind %d", (int)r->kind);
  }
  c->lines[c->n++] = line;
  return 0;
}

static int on_reject(void *ctx, const char *file, long line, long col,
                     const char *column, const char *reason, kefu_str raw) {
  (void)file;
  (void)raw;
  (void)col;
  coll *c = ctx;
  if (c->nrej < 64)
    snprintf(c->rej[c->nrej++], 256, "%ld|%s|%s", line, column, reason);
  return 0;
}

static int load_file(coll *c, const char *path, const char *shop,
                     const char *format, const char *map, const char *tf,
                     const char *enc, kefu_err *err) {
  memset(c, 0, sizeof *c);
  kefu_load_opts o = KEFU_LOAD_OPTS_INIT;
  o.default_tz = g_sh;
  o.shop = shop;
  o.format = format;
  o.map = map;
  o.time_format = tf;
  o.encoding = enc;
  return kefu_load_file(path, &o, on_row, on_reject, c, NULL, err);
}

/* ---- time formats ---- */

static void test_time_format(void **state) {
  (void)state;
  char out[48];
  const char *why;
#define TF(fmt, in, want)                                                      \
  do {                                                                         \
    assert_int_equal(kefu_time_format_parse(fmt, in, strlen(in), out, &why),   \
                     0);                                                       \
    assert_string_equal(out, want);                                            \
  } while (0)
#define TF_BAD(fmt, in)                                                        \
  assert_int_equal(kefu_time_format_parse(fmt, in, strlen(in), out, &why), -1)
  TF("%Y/%m/%d %H:%M", "2023/03/01 10:05", "2023-03-01 10:05:00");
  TF("%Y/%m/%d %H:%M", "2023/3/1 9:05", "2023-03-01 09:05:00");
  TF("%Y/%m/%d %H:%M", " 2023/3/1   9:05 ", "2023-03-01 09:05:00");
  TF("%Y-%m-%d %H:%M:%S.%f", "2017-08-30 11:55:08.970352",
     "2017-08-30 11:55:08");
  TF("%d.%m.%Y", "29.02.2024", "2024-02-29 00:00:00");
  TF("%F %T%z", "2023-03-01 10:00:00+08:00", "2023-03-01T10:00:00+08:00");
  TF("%F %T%z", "2023-03-01 10:00:00Z", "2023-03-01T10:00:00+00:00");
  TF("%F %T %z", "2023-03-01 10:00:00 -0530", "2023-03-01T10:00:00-05:30");
  TF("%d %b %Y %I:%M %p", "01 Mar 2023 12:30 AM", "2023-03-01 00:30:00");
  TF("%d %b %Y %I:%M %p", "01 mar 2023 1:30 pm", "2023-03-01 13:30:00");
  TF("%s", "1677636000", "1677636000");
  TF("%Y年%m月%d日 %H时", "2023年3月1日 10时", "2023-03-01 10:00:00");
  TF("100%% %Y", "100% 2023", "2023-01-01 00:00:00");
  TF_BAD("%Y/%m/%d %H:%M", "2023-03-01 10:05");
  TF_BAD("%Y/%m/%d", "2023/02/29");
  TF_BAD("%Y/%m/%d", "2023/13/01");
  TF_BAD("%Y/%m/%d %H:%M", "2023/03/01 24:00");
  TF_BAD("%Y/%m/%d", "2023/03/01 extra");
  TF_BAD("%m/%d", "03/01");
  assert_string_equal(why, "the time format has no year (%Y)");
  TF_BAD("%Q", "x");
  assert_string_equal(why, "unsupported directive in the time format");
  TF_BAD("%Y", "");
}

/* ---- mapping specs ---- */

static void test_mapping_syntax(void **state) {
  (void)state;
  kefu_mapping *m = NULL;
  kefu_err err = KEFU_ERR_INIT;
  const char *bad[] = {"buyer",
                       "=x",
                       "Buyer=x",
                       "buyer=",
                       "buyer=x|nosuch",
                       "buyer=\"unterminated",
                       "id={a",
                       "id={}",
                       "dir=x|map:ab",
                       "id={a{b}}",
                       NULL};
  for (int i = 0; bad[i]; i++) {
    assert_int_equal(kefu_mapping_parse(&m, bad[i], &err), KEFU_EINVAL);
    assert_null(m);
    assert_true(err.col >= 1);
  }
  assert_int_equal(kefu_mapping_parse(
                       &m, "buyer=a, ts = 时间 |time:%Y , items=\"1\",", &err),
                   0);
  kefu_mapping_free(m);
  kefu_mapping_free(NULL);
  kefu_mapping_bound_free(NULL);
}

static void test_mapping_apply(void **state) {
  (void)state;
  kefu_mapping *m = NULL;
  kefu_mapping_bound *b = NULL;
  kefu_err err = KEFU_ERR_INIT;
  kefu_str hdr[] = {{"订单编号", strlen("订单编号")},
                    {" 状态\t", strlen(" 状态\t")},
                    {"seq", 3},
                    {"付款", 6},
                    {"dir", 3}};
  assert_int_equal(
      kefu_mapping_parse(
          &m,
          "order_id=订单编号|excel,status=状态|status,"
          "text={订单编号}-{seq}|excel,paid=付款|unpaid,items=\"7\","
          "dir=dir|chatdir,agent=dir|map:0>客服A;1>客服B,"
          "refund?=退款;退款金额,name?=x{nosuch}",
          &err),
      0);
  assert_int_equal(kefu_mapping_bind(&b, m, hdr, 5, NULL, &err), 0);
  assert_int_equal(kefu_mapping_bound_count(b),
                   7); /* the two optionals are dropped */
  assert_string_equal(kefu_mapping_bound_source(b, 0), "订单编号");
  assert_int_equal(kefu_mapping_bound_col(b, 0), 1);
  assert_string_equal(kefu_mapping_bound_source(b, 2), "{订单编号}-{seq}");
  assert_int_equal(kefu_mapping_bound_col(b, 2), 0);
  assert_string_equal(kefu_mapping_bound_source(b, 4), "items (constant)");
  kefu_str f[] = {
      {"=\"123\"", 6},
      {"买家已付款，等待卖家发货", strlen("买家已付款，等待卖家发货")},
      {"2", 1},
      {"0000-00-00 00:00:00", 19},
      {"1", 1}};
  kefu_str v[8];
  size_t bad;
  const char *why;
  assert_int_equal(kefu_mapping_apply(b, f, 5, v, &bad, &why), 0);
  char s[64];
  const char *want[] = {"123",  "WAIT_SELLER_SEND_GOODS", "123-2", "", "7", "B",
                        "客服B"};
  for (int i = 0; i < 7; i++) {
    cpy(s, sizeof s, v[i]);
    assert_string_equal(s, want[i]);
  }
  /* tab-suffixed id, unknown status kept as is, no map entry: kept */
  kefu_str g[] = {{"456\t", 4}, {"自定义", 9}, {"1", 1}, {"null", 4}, {"x", 1}};
  assert_int_equal(kefu_mapping_apply(b, g, 5, v, &bad, &why), 0);
  cpy(s, sizeof s, v[0]);
  assert_string_equal(s, "456");
  cpy(s, sizeof s, v[1]);
  assert_string_equal(s, "自定义");
  cpy(s, sizeof s, v[3]);
  assert_string_equal(s, "");
  cpy(s, sizeof s, v[6]);
  assert_string_equal(s, "x");
  kefu_mapping_bound_free(b);
  /* a required source missing names it */
  assert_int_equal(kefu_mapping_extend(m, "buyer=买家会员名", &err), 0);
  assert_int_equal(kefu_mapping_bind(&b, m, hdr, 5, NULL, &err), KEFU_EPARSE);
  assert_null(b);
  assert_non_null(strstr(err.msg, "no column '买家会员名' for 'buyer'"));
  kefu_mapping_free(m);
}

/* ---- encodings ---- */

static void test_encoding(void **state) {
  (void)state;
  kefu_encoding e;
  assert_int_equal(kefu_encoding_parse("GBK", &e), 0);
  assert_int_equal(e, KEFU_ENC_GB18030);
  assert_int_equal(kefu_encoding_parse("utf8", &e), 0);
  assert_int_equal(e, KEFU_ENC_UTF8);
  assert_int_equal(kefu_encoding_parse(NULL, &e), 0);
  assert_int_equal(e, KEFU_ENC_AUTO);
  assert_int_equal(kefu_encoding_parse("latin1", &e), KEFU_EINVAL);
  const char *u = "订单编号,买家";
  assert_int_equal(kefu_encoding_detect(u, strlen(u), 1), KEFU_ENC_UTF8);
  /* cut in the middle of a character: still UTF-8 unless at the end */
  assert_int_equal(kefu_encoding_detect(u, 4, 0), KEFU_ENC_UTF8);
  assert_int_equal(kefu_encoding_detect(u, 4, 1), KEFU_ENC_GB18030);
  const char g[] = "\xb6\xa9\xb5\xa5\xb1\xe0\xba\xc5"; /* 订单编号 in GBK */
  assert_int_equal(kefu_encoding_detect(g, sizeof g - 1, 1), KEFU_ENC_GB18030);
  assert_int_equal(kefu_encoding_detect("\xEF\xBB\xBF\xff", 4, 1),
                   KEFU_ENC_UTF8);
  /* many valid UTF-8 characters and one bad byte: UTF-8 (the row is rejected)
   */
  char mix[400];
  size_t n = 0;
  for (int i = 0; i < 30; i++) {
    memcpy(mix + n, "订单", 6);
    n += 6;
  }
  mix[n++] = (char)0xFF;
  assert_int_equal(kefu_encoding_detect(mix, n, 1), KEFU_ENC_UTF8);

  char *out;
  size_t on;
  kefu_err err = KEFU_ERR_INIT;
  const char in[] =
      "\xb6\xa9\xb5\xa5,\x81\x20x,\x81"; /* 订单, bad pair, truncated */
  assert_int_equal(kefu_transcode_mem(&out, &on, in, sizeof in - 1, &err), 0);
  assert_int_equal(on, strlen("订单,\xff x,\xff"));
  assert_memory_equal(out, "订单,\xff x,\xff", on);
  kefu_free(out);
  /* a 4-byte GB18030 sequence: U+20000 𠀀 = 95 32 82 36 */
  assert_int_equal(kefu_transcode_mem(&out, &on, "\x95\x32\x82\x36", 4, &err),
                   0);
  assert_memory_equal(out, "\xF0\xA0\x80\x80", 4);
  assert_int_equal(on, 4);
  kefu_free(out);
}

/* ---- the Taobao fixtures ---- */

static const char *const taobao_rows[] = {
    "S|1111111111111111|tb_小明|300|12850|2|TRADE_FINISHED|0",
    "S|2222222222222222|tb_阿花|unpaid|0|1|WAIT_BUYER_PAY|0",
    "S|3333333333333333|tb_阿花|unpaid|0|1|TRADE_CLOSED|0",
    "S|4444444444444444|tb_老王|unpaid|0|3|WAIT_BUYER_PAY|0",
    "S|5555555555555555|tb_老王|unpaid|0|3|TRADE_CLOSED|0",
    "S|6666666666666666|tb_小红|90|5990|1|WAIT_SELLER_SEND_GOODS|0",
    "S|7777777777777777|tb_小红|5|1000|1|WAIT_BUYER_CONFIRM_GOODS|0",
};

static void test_taobao_gbk_crlf(void **state) {
  (void)state;
  coll c;
  kefu_err err = KEFU_ERR_INIT;
  /* detected from the header, GBK detected, --shop required */
  assert_int_equal(load_file(&c, FIX "taobao_orders_gbk.csv", NULL, NULL, NULL,
                             NULL, NULL, &err),
                   KEFU_EPARSE);
  assert_non_null(
      strstr(err.msg, "format taobao-orders: the file has no shop column"));
  assert_int_equal(load_file(&c, FIX "taobao_orders_gbk.csv", "S", NULL, NULL,
                             NULL, NULL, &err),
                   0);
  assert_int_equal(c.n, 9);
  for (size_t i = 0; i < 7; i++)
    assert_string_equal(c.rows[i], taobao_rows[i]);
  /* the quoted newline in 买家留言 makes row 1 two lines */
  assert_int_equal(c.lines[0], 2);
  assert_int_equal(c.lines[1], 4);
  assert_string_equal(
      c.rows[7], "S|8888888888888888|tb_小明|120|9900|1|TRADE_CLOSED|9900");
  assert_string_equal(c.rows[8],
                      "S|1212121212121212|tb_最后|1|250|1|TRADE_FINISHED|0");
  assert_int_equal(c.lines[8], 13);
  assert_int_equal(c.nrej, 2);
  assert_string_equal(c.rej[0], "11|订单付款时间|paid before created");
  assert_string_equal(c.rej[1],
                      "12|宝贝标题|invalid GB18030 byte sequence or NUL byte");
  /* forcing the encoding gives the same; forcing UTF-8 reads no header */
  assert_int_equal(load_file(&c, FIX "taobao_orders_gbk.csv", "S",
                             "taobao-orders", NULL, NULL, "gbk", &err),
                   0);
  assert_int_equal(c.n, 9);
  assert_int_equal(load_file(&c, FIX "taobao_orders_gbk.csv", "S", NULL, NULL,
                             NULL, "utf-8", &err),
                   KEFU_EPARSE);
}

static void test_taobao_old_bom(void **state) {
  (void)state;
  coll c;
  kefu_err err = KEFU_ERR_INIT;
  assert_int_equal(load_file(&c, FIX "taobao_orders_old_bom.csv", "S", NULL,
                             NULL, NULL, NULL, &err),
                   0);
  assert_int_equal(c.n, 8);
  for (size_t i = 0; i < 7; i++)
    assert_string_equal(c.rows[i], taobao_rows[i]);
  /* no 退款金额 column: refund 0 */
  assert_string_equal(c.rows[7],
                      "S|8888888888888888|tb_小明|120|9900|1|TRADE_CLOSED|0");
  assert_int_equal(c.nrej, 1);
  assert_string_equal(c.rej[0], "11|订单付款时间|paid before created");
  /* --map on top of the preset replaces one entry */
  assert_int_equal(load_file(&c, FIX "taobao_orders_old_bom.csv", "S",
                             "taobao-orders", "buyer=收货人", NULL, NULL, &err),
                   0);
  assert_true(strstr(c.rows[0], "|王小明|") != NULL);
  /* canonical disables detection */
  assert_int_equal(load_file(&c, FIX "taobao_orders_old_bom.csv", "S",
                             "canonical", NULL, NULL, NULL, &err),
                   KEFU_EPARSE);
  assert_int_equal(load_file(&c, FIX "taobao_orders_old_bom.csv", "S", "nosuch",
                             NULL, NULL, NULL, &err),
                   KEFU_EINVAL);
}

static void test_mapped_chatlog(void **state) {
  (void)state;
  coll c;
  kefu_err err = KEFU_ERR_INIT;
  const char *map =
      "buyer=买家旺旺,agent=客服,dir=方向|map:买家>B;客服>A,ts=时间,text=内容";
  assert_int_equal(load_file(&c, FIX "chatlog_mapped.csv", "S", NULL, map,
                             "%Y/%m/%d %H:%M", NULL, &err),
                   0);
  assert_int_equal(c.n, 3);
  /* 2023-03-01 10:00 +08:00 = 1677636000 */
  assert_string_equal(c.rows[0], "tb_小明|店小二:01|B|1677636000|在吗");
  assert_string_equal(c.rows[1], "tb_小明|店小二:01|A|1677636060|在的亲");
  assert_string_equal(c.rows[2],
                      "tb_阿花|店小二:02|B|1677632700|发货了吗,\n急");
  assert_int_equal(c.lines[2], 4);
  assert_int_equal(c.nrej, 1);
  assert_string_equal(c.rej[0], "6|时间|does not match the time format");
  /* without --shop the mapping must provide one */
  assert_int_equal(load_file(&c, FIX "chatlog_mapped.csv", NULL, NULL, map,
                             "%Y/%m/%d %H:%M", NULL, &err),
                   KEFU_EPARSE);
  /* a bad target name for the detected kind */
  assert_int_equal(
      load_file(
          &c, FIX "chatlog_mapped.csv", "S", NULL,
          "buyer=买家旺旺,agent=客服,dir=方向,ts=时间,text=内容,level=内容",
          NULL, NULL, &err),
      KEFU_EPARSE);
}

static void test_time_format_canonical(void **state) {
  (void)state;
  const char *in =
      "shop,buyer,agent,dir,ts,text\ns,b,a,B,01/03/2023 10:00,hi\n";
  coll c;
  memset(&c, 0, sizeof c);
  kefu_err err = KEFU_ERR_INIT;
  kefu_load_opts o = KEFU_LOAD_OPTS_INIT;
  o.default_tz = g_sh;
  o.time_format = "%d/%m/%Y %H:%M";
  assert_int_equal(
      kefu_load_mem(in, strlen(in), "m", &o, on_row, on_reject, &c, NULL, &err),
      0);
  assert_int_equal(c.n, 1);
  assert_string_equal(c.rows[0], "b|a|B|1677636000|hi");
  /* JSON Lines take the time format too (read as a table) */
  const char *j = "{\"shop\":\"s\",\"buyer\":\"b2\",\"agent\":\"a\",\"dir\":\"A\","
                  "\"ts\":\"02/03/2023 10:00\",\"text\":\"yo\"}\n";
  assert_int_equal(
      kefu_load_mem(j, strlen(j), "j", &o, on_row, on_reject, &c, NULL, &err),
      0);
  assert_int_equal(c.n, 2);
  assert_string_equal(c.rows[1], "b2|a|A|1677722400|yo");
}

static void test_presets_file(void **state) {
  (void)state;
  kefu_presets *p = NULL;
  kefu_err err = KEFU_ERR_INIT;
  const char *txt = "# my presets\n\nchat-a: "
                    "buyer=买家旺旺,agent=客服,dir=方向,ts=时间,text=内容\r\n"
                    "chat-b: "
                    "buyer=买家旺旺,agent=客服,dir=方向|map:买家>B;客服>A,ts="
                    "时间,text=内容|trim\n";
  assert_int_equal(kefu_presets_parse(&p, txt, strlen(txt), "presets", &err),
                   0);
  assert_non_null(kefu_presets_find(p, "chat-a"));
  assert_non_null(kefu_presets_find(p, "taobao-orders"));
  assert_null(kefu_presets_find(p, "nosuch"));
  kefu_str hdr[] = {
      {"时间", 6}, {"买家旺旺", 12}, {"客服", 6}, {"方向", 6}, {"内容", 6}};
  const kefu_preset *second = NULL;
  const kefu_preset *first = kefu_presets_detect(p, hdr, 5, &second);
  assert_non_null(first);
  assert_non_null(second); /* ambiguous */
  /* the loader refuses to guess */
  coll c;
  memset(&c, 0, sizeof c);
  kefu_load_opts o = KEFU_LOAD_OPTS_INIT;
  o.default_tz = g_sh;
  o.shop = "S";
  o.presets = p;
  assert_int_equal(kefu_load_file(FIX "chatlog_mapped.csv", &o, on_row,
                                  on_reject, &c, NULL, &err),
                   KEFU_EPARSE);
  assert_non_null(strstr(err.msg, "choose one with --format"));
  o.format = "chat-b";
  o.time_format = "%Y/%m/%d %H:%M";
  memset(&c, 0, sizeof c);
  assert_int_equal(kefu_load_file(FIX "chatlog_mapped.csv", &o, on_row,
                                  on_reject, &c, NULL, &err),
                   0);
  assert_int_equal(c.n, 3);
  kefu_presets_free(p);
  const char *bad = "ok: buyer=a\nnot a preset line\n";
  assert_int_equal(kefu_presets_parse(&p, bad, strlen(bad), "presets", &err),
                   KEFU_EINVAL);
  assert_int_equal(err.line, 2);
  const char *bad2 = "x: buyer=a|nosuch\n";
  assert_int_equal(kefu_presets_parse(&p, bad2, strlen(bad2), "presets", &err),
                   KEFU_EINVAL);
  assert_int_equal(err.line, 1);
  assert_int_equal(kefu_presets_load(&p, "/nonexistent/presets", 1, &err), 0);
  kefu_presets_free(p);
  assert_int_equal(kefu_presets_load(&p, "/nonexistent/presets", 0, &err),
                   KEFU_EIO);
}

int main(void) {
  kefu_err err = KEFU_ERR_INIT;
  if (kefu_tz_load(&g_sh, "Asia/Shanghai", &err))
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_time_format),
      cmocka_unit_test(test_mapping_syntax),
      cmocka_unit_test(test_mapping_apply),
      cmocka_unit_test(test_encoding),
      cmocka_unit_test(test_taobao_gbk_crlf),
      cmocka_unit_test(test_taobao_old_bom),
      cmocka_unit_test(test_mapped_chatlog),
      cmocka_unit_test(test_time_format_canonical),
      cmocka_unit_test(test_presets_file),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  kefu_tz_free(g_sh);
  return rc;
}
