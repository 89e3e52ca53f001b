/*
 * fuzz_mapping.c - libFuzzer target for lib/mapping.c and the mapped paths
 * of lib/loader.c: mapping specs, time formats, GB18030 transcoding and
 * presets files.
 *
 * Input: "SPEC\nTIMEFORMAT\nDATA". The first byte of DATA's control
 * (the low bits of the spec's length) picks the encoding and whether the
 * Taobao preset is forced. The spec is parsed (also as a presets file line),
 * the time format is run on DATA's first 40 bytes, DATA is transcoded and
 * loaded through the mapping. Every record slice is read in full, so a
 * dangling slice shows under AddressSanitizer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/loader.h"
#include "kefu/mapping.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static void touch(kefu_str s) {
  if (s.n)
    sink += kefu_hash_bytes(s.p, s.n);
}

static int on_row(void *ctx, const kefu_record *rec, const char *file,
                  long line, kefu_err *err) {
  (void)ctx;
  (void)err;
  (void)file;
  sink += (uint64_t)line;
  switch (rec->kind) {
  case KEFU_KIND_MESSAGES:
    touch(rec->u.msg.shop), touch(rec->u.msg.buyer), touch(rec->u.msg.agent),
        touch(rec->u.msg.text);
    break;
  case KEFU_KIND_ORDERS:
    touch(rec->u.ord.shop), touch(rec->u.ord.order_id), touch(rec->u.ord.buyer),
        touch(rec->u.ord.status);
    break;
  case KEFU_KIND_RATINGS:
    touch(rec->u.rat.shop), touch(rec->u.rat.order_id), touch(rec->u.rat.buyer);
    break;
  default:
    break;
  }
  return 0;
}

static int on_reject(void *ctx, const char *file, long line, long col,
                     const char *column, const char *reason, kefu_str raw) {
  (void)ctx;
  sink += (uint64_t)line + (uint64_t)col + strlen(file) + strlen(column) +
          strlen(reason);
  touch(raw);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static kefu_tz *tz;
  kefu_err err = KEFU_ERR_INIT;
  if (!tz && kefu_tz_load(&tz, "+08:00", &err))
    return 0;
  const char *p = (const char *)data, *e = p + size;
  const char *nl1 = memchr(p, '\n', size);
  if (!nl1 || nl1 - p > 4096)
    return 0;
  const char *nl2 = memchr(nl1 + 1, '\n', (size_t)(e - nl1 - 1));
  if (!nl2 || nl2 - nl1 > 256)
    return 0;
  char *spec = strndup(p, (size_t)(nl1 - p));
  char *tf = strndup(nl1 + 1, (size_t)(nl2 - nl1 - 1));
  const char *d = nl2 + 1;
  size_t dn = (size_t)(e - d);
  if (!spec || !tf)
    goto done;
  unsigned ctl = (unsigned)(nl1 - p);

  /* the spec on its own and as a presets file */
  kefu_mapping *m = NULL;
  if (kefu_mapping_parse(&m, spec, &err) == 0)
    kefu_mapping_free(m);
  kefu_presets *ps = NULL;
  size_t pl = (size_t)(nl1 - p) + 4;
  char *pfile = malloc(pl + 1);
  if (pfile) {
    memcpy(pfile, "fz: ", 4);
    memcpy(pfile + 4, p, pl - 4); /* the raw bytes: spec stops at a NUL */
    pfile[pl] = '\0';
    if (kefu_presets_parse(&ps, pfile, pl, "presets", &err) != 0)
      ps = NULL;
    free(pfile);
  }

  /* the time format on the data's start */
  char out[48];
  const char *why;
  if (kefu_time_format_parse(tf, d, dn < 40 ? dn : 40, out, &why) == 0 &&
      strlen(out) >= 48)
    __builtin_trap();

  /* transcoding never loses track of bytes */
  char *conv = NULL;
  size_t cn = 0;
  if (kefu_transcode_mem(&conv, &cn, d, dn, &err) == 0) {
    if (cn < dn / 2 && dn > 1)
      __builtin_trap();
    free(conv);
  }
  (void)kefu_encoding_detect(d, dn, 1);

  kefu_load_opts o = KEFU_LOAD_OPTS_INIT;
  o.default_tz = tz;
  o.shop = (ctl & 1) ? "fuzzshop" : NULL;
  o.encoding = (ctl & 2) ? "gb18030" : "utf-8";
  o.format = (ctl & 4) ? "taobao-orders" : NULL;
  o.map = spec[0] ? spec : NULL;
  o.time_format = tf[0] ? tf : NULL;
  o.presets = ps;
  kefu_load_stats st;
  int rc = kefu_load_mem(d, dn, "fuzz", &o, on_row, on_reject, NULL, &st, &err);
  if (rc == 0 && st.rows_read != st.rows_ok + st.rows_rejected)
    __builtin_trap();
  kefu_presets_free(ps);
done:
  free(spec);
  free(tf);
  return 0;
}
