/*
 * mapping.c - what lets the loader read files that are not canonical
 * (docs/IMPORT.md): the column mapping spec and its transforms, a
 * hand-written strptime-like time parser (no locale), the preset table and
 * presets files, UTF-8 vs GB18030 detection and the iconv transcoding stage
 * (whole buffers, or a thread feeding a socket that the CSV reader reads like
 * any file descriptor, so stdin and large files stream).
 *
 * Invalid GB18030 input is never repaired: every byte of a bad sequence
 * becomes 0xFF, a byte that is never valid UTF-8, so the loader's UTF-8 check
 * rejects exactly the row holding it, with its line number.
 */
#include "kefu/mapping.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kefu/tz.h"

/* ---------------------------------------------------------------- encodings */

static int ieq(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
    char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
    if (x != y)
      return 0;
  }
  return *a == *b;
}

int kefu_encoding_parse(const char *s, kefu_encoding *out) {
  if (!s || !s[0] || ieq(s, "auto"))
    *out = KEFU_ENC_AUTO;
  else if (ieq(s, "utf-8") || ieq(s, "utf8"))
    *out = KEFU_ENC_UTF8;
  else if (ieq(s, "gb18030") || ieq(s, "gbk") || ieq(s, "gb2312") ||
           ieq(s, "cp936"))
    *out = KEFU_ENC_GB18030;
  else
    return KEFU_EINVAL;
  return 0;
}

/* Valid UTF-8 (NUL allowed: it says nothing about the encoding). A sequence
 * cut by the end of the buffer is accepted unless at_eof. A few invalid
 * bytes among many valid multi-byte sequences still mean UTF-8 (a corrupt
 * row in a UTF-8 file must be rejected, not the whole file decoded as
 * GB18030 into mojibake): UTF-8 when valid sequences outnumber invalid
 * bytes 8 to 1. GBK text read as UTF-8 is mostly invalid. */
kefu_encoding kefu_encoding_detect(const char *s, size_t n, int at_eof) {
  const unsigned char *p = (const unsigned char *)s, *e = p + n;
  size_t valid = 0, invalid = 0;
  if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
    return KEFU_ENC_UTF8;
  while (p < e) {
    unsigned c = *p;
    if (c < 0x80) {
      p++;
      continue;
    }
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
      need = 1;
    else if (c == 0xE0)
      need = 2, lo = 0xA0;
    else if (c == 0xED)
      need = 2, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF)
      need = 2;
    else if (c == 0xF0)
      need = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3)
      need = 3;
    else if (c == 0xF4)
      need = 3, hi = 0x8F;
    else {
      invalid++;
      p++;
      continue;
    }
    size_t i;
    for (i = 1; i <= need; i++) {
      if (p + i >= e)
        break;
      unsigned lo_i = i == 1 ? lo : 0x80, hi_i = i == 1 ? hi : 0xBF;
      if (p[i] < lo_i || p[i] > hi_i)
        break;
    }
    if (i > need) {
      valid++;
      p += need + 1;
    } else if (p + i >= e && !at_eof) {
      break; /* cut by the sample's end */
    } else {
      invalid++;
      p++;
    }
  }
  if (invalid == 0 || valid > 8 * invalid)
    return KEFU_ENC_UTF8;
  return KEFU_ENC_GB18030;
}

/* Converts as much of *in as possible into out. With at_eof, a truncated
 * sequence at the end is consumed as invalid bytes; otherwise it is left in
 * *in for the next call. Returns bytes written. */
static size_t convert(iconv_t cd, const char **in, size_t *inleft, char *out,
                      size_t outcap, int at_eof) {
  char *o = out;
  size_t oleft = outcap;
  while (*inleft && oleft >= 8) {
    char *ip = (char *)*in;
    size_t r = iconv(cd, &ip, inleft, &o, &oleft);
    *in = ip;
    if (r != (size_t)-1)
      break;
    if (errno == E2BIG)
      break;
    if (errno == EINVAL && !at_eof)
      break;
    /* EILSEQ, or a truncated sequence at the end: one 0xFF per byte */
    *o++ = (char)0xFF;
    oleft--;
    (*in)++;
    (*inleft)--;
    iconv(cd, NULL, NULL, NULL, NULL);
  }
  return (size_t)(o - out);
}

int kefu_transcode_mem(char **out, size_t *outn, const char *in, size_t n,
                       kefu_err *err) {
  *out = NULL;
  *outn = 0;
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == (iconv_t)-1)
    return kefu_err_set(err, KEFU_EINVAL, "iconv: GB18030 not supported: %s",
                        strerror(errno));
  size_t cap =
      n / 2 * 3 + n % 2 + 16; /* 2 bytes -> at most 3; 1 -> 1; 4 -> 4 */
  char *buf = kefu_malloc(cap);
  if (!buf) {
    iconv_close(cd);
    return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
  }
  size_t len = 0, left = n;
  const char *p = in;
  while (left) {
    size_t before = left;
    len += convert(cd, &p, &left, buf + len, cap - len, 1);
    if (left == before) { /* cannot happen with the capacity above */
      kefu_free(buf);
      iconv_close(cd);
      return kefu_err_set(err, KEFU_EIO, "transcoding made no progress");
    }
  }
  iconv_close(cd);
  *out = buf;
  *outn = len;
  return 0;
}

struct kefu_transcoder {
  pthread_t tid;
  int started;
  int in_fd, wr, rd;
  char *prefix;
  size_t nprefix;
  kefu_encoding from;
  iconv_t cd;
  int err_no; /* read error in the thread */
};

static int send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

#define TC_IN ((size_t)64 << 10)
#define TC_OUT ((size_t)256 << 10)

static void *transcode_thread(void *arg) {
  kefu_transcoder *t = arg;
  char *in = kefu_malloc(TC_IN + 8), *out = kefu_malloc(TC_OUT);
  size_t have = 0;
  int eof = 0;
  const char *pre = t->prefix;
  size_t npre = t->nprefix;
  if (!in || !out) {
    t->err_no = ENOMEM;
    goto done;
  }
  while (!eof || have) {
    /* fill: prefix first, then the fd */
    while (!eof && have < TC_IN) {
      if (npre) {
        size_t k = npre < TC_IN - have ? npre : TC_IN - have;
        memcpy(in + have, pre, k);
        pre += k;
        npre -= k;
        have += k;
        continue;
      }
      ssize_t got = read(t->in_fd, in + have, TC_IN - have);
      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0) {
        t->err_no = errno;
        goto done;
      }
      if (got == 0)
        eof = 1;
      have += (size_t)got;
      if (got > 0)
        break; /* convert what arrived (stdin may trickle) */
    }
    if (t->from == KEFU_ENC_UTF8) {
      if (have && send_all(t->wr, in, have))
        goto done;
      have = 0;
      continue;
    }
    const char *p = in;
    size_t left = have;
    for (;;) {
      size_t before = left;
      size_t w = convert(t->cd, &p, &left, out, TC_OUT, eof);
      if (w && send_all(t->wr, out, w))
        goto done;
      if (left == before || !left)
        break;
    }
    memmove(in, p, left); /* a sequence cut by the chunk end */
    have = left;
    if (eof && have) { /* cannot happen: at_eof consumes everything */
      have = 0;
    }
  }
done:
  kefu_free(in);
  kefu_free(out);
  shutdown(t->wr, SHUT_WR);
  close(t->wr);
  t->wr = -1;
  return NULL;
}

int kefu_transcoder_start(kefu_transcoder **out, int *read_fd, int in_fd,
                          const char *prefix, size_t nprefix,
                          kefu_encoding from, kefu_err *err) {
  *out = NULL;
  *read_fd = -1;
  kefu_transcoder *t = kefu_calloc(1, sizeof *t);
  if (!t)
    return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
  t->in_fd = in_fd;
  t->from = from;
  t->wr = t->rd = -1;
  t->cd = (iconv_t)-1;
  if (nprefix) {
    t->prefix = kefu_malloc(nprefix);
    if (!t->prefix) {
      kefu_free(t);
      return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
    }
    memcpy(t->prefix, prefix, nprefix);
    t->nprefix = nprefix;
  }
  int rc = 0;
  if (from != KEFU_ENC_UTF8) {
    t->cd = iconv_open("UTF-8", "GB18030");
    if (t->cd == (iconv_t)-1) {
      rc = kefu_err_set(err, KEFU_EINVAL, "iconv: GB18030 not supported: %s",
                        strerror(errno));
      goto fail;
    }
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    rc = kefu_err_set(err, KEFU_EIO, "socketpair: %s", strerror(errno));
    goto fail;
  }
  t->rd = sv[0];
  t->wr = sv[1];
  shutdown(t->rd, SHUT_WR);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* signals stay with the caller */
  int pe = pthread_create(&t->tid, NULL, transcode_thread, t);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pe) {
    rc = kefu_err_set(err, KEFU_ENOMEM, "cannot start the transcoding thread");
    goto fail;
  }
  t->started = 1;
  *read_fd = t->rd;
  *out = t;
  return 0;
fail:
  if (t->rd >= 0)
    close(t->rd);
  if (t->wr >= 0)
    close(t->wr);
  if (t->cd != (iconv_t)-1)
    iconv_close(t->cd);
  kefu_free(t->prefix);
  kefu_free(t);
  return rc;
}

int kefu_transcoder_finish(kefu_transcoder *t, kefu_err *err) {
  if (!t)
    return 0;
  int rc = 0;
  if (t->rd >= 0) {
    shutdown(t->rd, SHUT_RDWR); /* a writer still sending gets EPIPE */
    close(t->rd);
  }
  if (t->started)
    pthread_join(t->tid, NULL);
  if (t->err_no)
    rc = kefu_err_set(err, KEFU_EIO, "read error: %s", strerror(t->err_no));
  if (t->cd != (iconv_t)-1)
    iconv_close(t->cd);
  kefu_free(t->prefix);
  kefu_free(t);
  return rc;
}

/* ---------------------------------------------------------------- time formats
 */

static int digits(const char **s, const char *e, int maxw, long *v) {
  const char *p = *s;
  long x = 0;
  int k = 0;
  while (p < e && k < maxw && *p >= '0' && *p <= '9') {
    x = x * 10 + (*p - '0');
    p++;
    k++;
  }
  if (!k)
    return -1;
  *s = p;
  *v = x;
  return 0;
}

static void put2(char *o, long v) {
  o[0] = (char)('0' + v / 10 % 10);
  o[1] = (char)('0' + v % 10);
}

int kefu_time_format_parse(const char *fmt, const char *s, size_t n, char *out,
                           const char **why) {
  static const char *const mon[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                      "jul", "aug", "sep", "oct", "nov", "dec"};
  const char *p = s, *e = s + n;
  long Y = -1, m = 1, d = 1, H = 0, M = 0, S = 0, I = -1, pm = -1;
  int have_z = 0, zsign = 1;
  long zh = 0, zm = 0;
  int epoch_digits = 0;
  const char *epoch0 = NULL;
  /* trim surrounding blanks of the value */
  while (p < e && (*p == ' ' || *p == '\t'))
    p++;
  while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
    e--;
  *why = "does not match the time format";
  for (const char *f = fmt; *f; f++) {
    if (*f == ' ') {
      while (p < e && (*p == ' ' || *p == '\t'))
        p++;
      continue;
    }
    if (*f != '%') {
      if (p >= e || *p != *f)
        return -1;
      p++;
      continue;
    }
    f++;
    long v;
    switch (*f) {
    case 'Y':
      if (digits(&p, e, 4, &Y))
        return -1;
      break;
    case 'm':
      if (digits(&p, e, 2, &m))
        return -1;
      break;
    case 'd':
    case 'e':
      while (*f == 'e' && p < e && *p == ' ')
        p++;
      if (digits(&p, e, 2, &d))
        return -1;
      break;
    case 'H':
      if (digits(&p, e, 2, &H))
        return -1;
      break;
    case 'I':
      if (digits(&p, e, 2, &I))
        return -1;
      break;
    case 'M':
      if (digits(&p, e, 2, &M))
        return -1;
      break;
    case 'S':
      if (digits(&p, e, 2, &S))
        return -1;
      break;
    case 'f':
      if (digits(&p, e, 1, &v))
        return -1;
      while (p < e && *p >= '0' && *p <= '9')
        p++;
      break;
    case 'p':
      if (e - p < 2 || (p[1] != 'M' && p[1] != 'm'))
        return -1;
      if (p[0] == 'A' || p[0] == 'a')
        pm = 0;
      else if (p[0] == 'P' || p[0] == 'p')
        pm = 1;
      else
        return -1;
      p += 2;
      break;
    case 'b': {
      if (e - p < 3)
        return -1;
      int k;
      for (k = 0; k < 12; k++)
        if ((p[0] | 0x20) == mon[k][0] && (p[1] | 0x20) == mon[k][1] &&
            (p[2] | 0x20) == mon[k][2])
          break;
      if (k == 12)
        return -1;
      m = k + 1;
      p += 3;
      break;
    }
    case 'z':
      have_z = 1;
      if (p < e && (*p == 'Z' || *p == 'z')) {
        p++;
        break;
      }
      if (p >= e || (*p != '+' && *p != '-'))
        return -1;
      zsign = *p == '-' ? -1 : 1;
      p++;
      if (e - p < 2 || digits(&p, p + 2, 2, &zh))
        return -1;
      if (p < e && *p == ':')
        p++;
      if (e - p >= 2 && p[0] >= '0' && p[0] <= '9' && digits(&p, p + 2, 2, &zm))
        return -1;
      if (zh > 14 || zm > 59)
        return -1;
      break;
    case 's':
      epoch0 = p;
      if (p < e && *p == '-')
        p++;
      while (p < e && *p >= '0' && *p <= '9' && epoch_digits < 18) {
        p++;
        epoch_digits++;
      }
      if (!epoch_digits)
        return -1;
      break;
    case 'T':
      if (digits(&p, e, 2, &H) || p >= e || *p++ != ':' ||
          digits(&p, e, 2, &M) || p >= e || *p++ != ':' || digits(&p, e, 2, &S))
        return -1;
      break;
    case 'F':
      if (digits(&p, e, 4, &Y) || p >= e || *p++ != '-' ||
          digits(&p, e, 2, &m) || p >= e || *p++ != '-' || digits(&p, e, 2, &d))
        return -1;
      break;
    case '%':
      if (p >= e || *p != '%')
        return -1;
      p++;
      break;
    default:
      *why = "unsupported directive in the time format";
      return -1;
    }
  }
  if (p != e)
    return -1;
  if (epoch0) {
    size_t k = (size_t)(p - epoch0);
    memcpy(out, epoch0, k);
    out[k] = '\0';
    return 0;
  }
  if (I >= 0) {
    if (I < 1 || I > 12 || pm < 0) {
      *why = "%I needs %p and an hour from 1 to 12";
      return -1;
    }
    H = I % 12 + (pm ? 12 : 0);
  } else if (pm == 1 && H < 12) {
    H += 12;
  }
  if (Y < 0) {
    *why = "the time format has no year (%Y)";
    return -1;
  }
  *why = "date or time out of range";
  if (m < 1 || m > 12 || d < 1 || H > 23 || M > 59 || S > 60)
    return -1;
  int64_t day = kefu_days_from_civil(Y, (unsigned)m, (unsigned)d);
  int64_t yy;
  unsigned mm, dd;
  kefu_civil_from_days(day, &yy, &mm, &dd);
  if (yy != Y || mm != (unsigned)m || dd != (unsigned)d)
    return -1;
  if (S == 60)
    S = 59;
  /* YYYY-MM-DD HH:MM:SS */
  out[0] = (char)('0' + Y / 1000 % 10);
  out[1] = (char)('0' + Y / 100 % 10);
  put2(out + 2, Y % 100);
  out[4] = '-';
  put2(out + 5, m);
  out[7] = '-';
  put2(out + 8, d);
  out[10] = have_z ? 'T' : ' ';
  put2(out + 11, H);
  out[13] = ':';
  put2(out + 14, M);
  out[16] = ':';
  put2(out + 17, S);
  size_t o = 19;
  if (have_z) {
    out[o++] = zsign < 0 ? '-' : '+';
    put2(out + o, zh);
    o += 2;
    out[o++] = ':';
    put2(out + o, zm);
    o += 2;
  }
  out[o] = '\0';
  return 0;
}

/* ---------------------------------------------------------------- mappings */

enum { X_EXCEL = 1, X_TRIM = 2, X_UNPAID = 4, X_STATUS = 8, X_CHATDIR = 16 };
enum { SRC_COLUMN = 0, SRC_CONST, SRC_TEMPLATE };

typedef struct map_entry {
  char *target;
  int optional;
  int src_kind;
  char *src; /* column names separated by '\0' (nalt of them), constant,
                template */
  size_t src_n;
  int nalt;
  unsigned xforms;
  char *time_fmt; /* NULL: none */
  char *vmap;     /* map:A>B;C>D, NULL: none */
} map_entry;

struct kefu_mapping {
  map_entry *e;
  size_t n, cap;
};

static void entry_clear(map_entry *e) {
  kefu_free(e->target);
  kefu_free(e->src);
  kefu_free(e->time_fmt);
  kefu_free(e->vmap);
  memset(e, 0, sizeof *e);
}

void kefu_mapping_free(kefu_mapping *m) {
  if (!m)
    return;
  for (size_t i = 0; i < m->n; i++)
    entry_clear(&m->e[i]);
  kefu_free(m->e);
  kefu_free(m);
}

static int synerr(kefu_err *err, const char *spec, const char *at,
                  const char *why) {
  kefu_err_set(err, KEFU_EINVAL, "--map: %s at byte %ld", why,
               (long)(at - spec) + 1);
  err->col = (long)(at - spec) + 1;
  return KEFU_EINVAL;
}

static const char *trim_l(const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\t'))
    p++;
  return p;
}

static const char *trim_r(const char *p, const char *e) {
  while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
    e--;
  return e;
}

/* One entry spec [p, e). */
static int parse_entry(map_entry *me, const char *spec, const char *p,
                       const char *e, kefu_err *err) {
  memset(me, 0, sizeof *me);
  const char *eq = memchr(p, '=', (size_t)(e - p));
  if (!eq)
    return synerr(err, spec, p, "expected target=source");
  const char *t0 = trim_l(p, eq), *t1 = trim_r(t0, eq);
  if (t1 > t0 && t1[-1] == '?') {
    me->optional = 1;
    t1 = trim_r(t0, t1 - 1);
  }
  if (t1 == t0)
    return synerr(err, spec, p, "empty target name");
  for (const char *q = t0; q < t1; q++)
    if (!((*q >= 'a' && *q <= 'z') || *q == '_'))
      return synerr(err, spec, q, "target must be a canonical column name");
  const char *v = trim_l(eq + 1, e);
  /* the value ends at the first '|' outside quotes */
  const char *ve = v;
  if (v < e && *v == '"') {
    ve = v + 1;
    while (ve < e && *ve != '"')
      ve++;
    if (ve >= e)
      return synerr(err, spec, v, "unterminated quoted constant");
    ve++;
  }
  while (ve < e && *ve != '|')
    ve++;
  const char *v1 = trim_r(v, ve);
  if (!(me->target = kefu_strndup(t0, (size_t)(t1 - t0))))
    return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
  if (v1 > v && *v == '"') {
    if (v1 - v < 2 || v1[-1] != '"' || memchr(v + 1, '"', (size_t)(v1 - v - 2)))
      return synerr(err, spec, v, "a constant is one quoted string");
    me->src_kind = SRC_CONST;
    me->src = kefu_strndup(v + 1, (size_t)(v1 - v - 2));
    me->src_n = (size_t)(v1 - v - 2);
  } else if (memchr(v, '{', (size_t)(v1 - v))) {
    me->src_kind = SRC_TEMPLATE;
    int depth = 0;
    for (const char *q = v; q < v1; q++) {
      if (*q == '{') {
        if (depth)
          return synerr(err, spec, q, "nested '{' in a template");
        depth = 1;
        if (q + 1 < v1 && q[1] == '}')
          return synerr(err, spec, q, "empty {} in a template");
      } else if (*q == '}') {
        if (!depth)
          return synerr(err, spec, q, "'}' without '{' in a template");
        depth = 0;
      }
    }
    if (depth)
      return synerr(err, spec, v1, "unterminated '{' in a template");
    me->src = kefu_strndup(v, (size_t)(v1 - v));
    me->src_n = (size_t)(v1 - v);
  } else {
    if (v1 == v)
      return synerr(err, spec, v, "empty source column");
    me->src_kind = SRC_COLUMN;
    me->src = kefu_strndup(v, (size_t)(v1 - v));
    me->src_n = (size_t)(v1 - v);
    if (me->src) {
      /* alternatives: split at ';' into NUL-separated, trimmed names */
      char *w = me->src;
      const char *r = v;
      me->nalt = 0;
      while (r <= v1) {
        const char *semi = memchr(r, ';', (size_t)(v1 - r));
        const char *ae = semi ? semi : v1;
        const char *a0 = trim_l(r, ae), *a1 = trim_r(a0, ae);
        if (a1 == a0)
          return synerr(err, spec, r, "empty source column");
        memmove(w, a0, (size_t)(a1 - a0));
        w += a1 - a0;
        *w++ = '\0';
        me->nalt++;
        if (!semi)
          break;
        r = semi + 1;
      }
      me->src_n = (size_t)(w - me->src);
    }
  }
  if (!me->src)
    return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
  /* transforms */
  const char *q = ve;
  while (q < e) {
    q++; /* the '|' */
    const char *xe = memchr(q, '|', (size_t)(e - q));
    if (!xe)
      xe = e;
    const char *x0 = trim_l(q, xe), *x1 = trim_r(x0, xe);
    size_t xn = (size_t)(x1 - x0);
    if (xn == 5 && !memcmp(x0, "excel", 5))
      me->xforms |= X_EXCEL;
    else if (xn == 4 && !memcmp(x0, "trim", 4))
      me->xforms |= X_TRIM;
    else if (xn == 6 && !memcmp(x0, "unpaid", 6))
      me->xforms |= X_UNPAID;
    else if (xn == 6 && !memcmp(x0, "status", 6))
      me->xforms |= X_STATUS;
    else if (xn == 7 && !memcmp(x0, "chatdir", 7))
      me->xforms |= X_CHATDIR;
    else if (xn > 5 && !memcmp(x0, "time:", 5)) {
      kefu_free(me->time_fmt);
      if (!(me->time_fmt = kefu_strndup(x0 + 5, xn - 5)))
        return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
    } else if (xn > 4 && !memcmp(x0, "map:", 4)) {
      for (const char *r = x0 + 4; r < x1;) {
        const char *se = memchr(r, ';', (size_t)(x1 - r));
        if (!se)
          se = x1;
        if (!memchr(r, '>', (size_t)(se - r)))
          return synerr(err, spec, r, "map: expects FROM>TO pairs");
        r = se + 1;
      }
      kefu_free(me->vmap);
      if (!(me->vmap = kefu_strndup(x0 + 4, xn - 4)))
        return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
    } else
      return synerr(err, spec, x0,
                    "unknown transform (excel, trim, unpaid, status, chatdir, "
                    "map:A>B;..., time:FORMAT)");
    q = xe;
  }
  return 0;
}

int kefu_mapping_extend(kefu_mapping *m, const char *spec, kefu_err *err) {
  const char *p = spec, *end = spec + strlen(spec);
  while (p < end) {
    /* an entry ends at a ',' outside quotes and braces */
    const char *q = p;
    int inq = 0, inb = 0;
    while (q < end && (inq || inb || *q != ',')) {
      if (*q == '"' && !inb)
        inq = !inq;
      else if (*q == '{' && !inq)
        inb = 1;
      else if (*q == '}' && !inq)
        inb = 0;
      q++;
    }
    if (trim_l(p, q) == q) { /* empty entry: tolerated (trailing comma) */
      p = q + (q < end);
      continue;
    }
    map_entry me;
    int rc = parse_entry(&me, spec, p, q, err);
    if (rc) {
      entry_clear(&me);
      return rc;
    }
    size_t i;
    for (i = 0; i < m->n; i++)
      if (!strcmp(m->e[i].target, me.target))
        break;
    if (i < m->n) {
      entry_clear(&m->e[i]);
      m->e[i] = me;
    } else {
      if (kefu_grow((void **)&m->e, &m->cap, m->n + 1, sizeof *m->e)) {
        entry_clear(&me);
        return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
      }
      m->e[m->n++] = me;
    }
    p = q + (q < end);
  }
  return 0;
}

int kefu_mapping_parse(kefu_mapping **out, const char *spec, kefu_err *err) {
  *out = NULL;
  kefu_mapping *m = kefu_calloc(1, sizeof *m);
  if (!m)
    return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
  int rc = kefu_mapping_extend(m, spec ? spec : "", err);
  if (rc) {
    kefu_mapping_free(m);
    return rc;
  }
  *out = m;
  return 0;
}

/* A bound entry: a template is a list of parts (literal or column). */
typedef struct tpl_part {
  const char *lit;
  size_t lit_n;
  long col; /* -1: literal */
} tpl_part;

typedef struct bound_entry {
  const map_entry *me;
  long col;      /* 0-based source column, -1 for constants/templates */
  char *display; /* for rejects */
  tpl_part *parts;
  size_t nparts;
  const char *time_fmt;
  unsigned xforms;
} bound_entry;

struct kefu_mapping_bound {
  bound_entry *e;
  size_t n;
  size_t nhdr;
  char *scratch;
  size_t scap;
  size_t *soff; /* per entry: offset in scratch, or SIZE_MAX */
};

void kefu_mapping_bound_free(kefu_mapping_bound *b) {
  if (!b)
    return;
  for (size_t i = 0; i < b->n; i++) {
    kefu_free(b->e[i].display);
    kefu_free(b->e[i].parts);
  }
  kefu_free(b->e);
  kefu_free(b->scratch);
  kefu_free(b->soff);
  kefu_free(b);
}

size_t kefu_mapping_bound_count(const kefu_mapping_bound *b) { return b->n; }

kefu_str kefu_mapping_bound_target(const kefu_mapping_bound *b, size_t i) {
  kefu_str s = {b->e[i].me->target, strlen(b->e[i].me->target)};
  return s;
}

const char *kefu_mapping_bound_source(const kefu_mapping_bound *b, size_t i) {
  return b->e[i].display;
}

long kefu_mapping_bound_col(const kefu_mapping_bound *b, size_t i) {
  return b->e[i].col >= 0 ? b->e[i].col + 1 : 0;
}

static long find_col(const kefu_str *hdr, size_t nhdr, const char *name,
                     size_t n) {
  for (size_t i = 0; i < nhdr; i++) {
    kefu_str h = hdr[i];
    /* header names compare after trimming blanks */
    while (h.n && (h.p[0] == ' ' || h.p[0] == '\t'))
      h.p++, h.n--;
    while (h.n && (h.p[h.n - 1] == ' ' || h.p[h.n - 1] == '\t'))
      h.n--;
    if (h.n == n && memcmp(h.p, name, n) == 0)
      return (long)i;
  }
  return -1;
}

static int is_time_target(const char *t) {
  return !strcmp(t, "ts") || !strcmp(t, "created") || !strcmp(t, "paid") ||
         !strcmp(t, "login") || !strcmp(t, "logout");
}

int kefu_mapping_bind(kefu_mapping_bound **out, const kefu_mapping *m,
                      const kefu_str *hdr, size_t nhdr, const char *time_format,
                      kefu_err *err) {
  *out = NULL;
  int rc = 0;
  kefu_mapping_bound *b = kefu_calloc(1, sizeof *b);
  if (!b || !(b->e = kefu_calloc(m->n + 1, sizeof *b->e)) ||
      !(b->soff = kefu_calloc(m->n + 1, sizeof *b->soff))) {
    kefu_mapping_bound_free(b);
    return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
  }
  b->nhdr = nhdr;
  for (size_t i = 0; i < m->n; i++) {
    const map_entry *me = &m->e[i];
    bound_entry *be = &b->e[b->n];
    memset(be, 0, sizeof *be);
    be->me = me;
    be->col = -1;
    be->xforms = me->xforms;
    be->time_fmt = me->time_fmt ? me->time_fmt
                   : (time_format && *time_format && is_time_target(me->target))
                       ? time_format
                       : NULL;
    if (me->src_kind == SRC_COLUMN) {
      const char *a = me->src;
      for (int k = 0; k < me->nalt && be->col < 0; k++) {
        size_t an = strlen(a);
        be->col = find_col(hdr, nhdr, a, an);
        if (be->col < 0)
          a += an + 1;
      }
      if (be->col < 0) {
        if (me->optional)
          continue;
        rc = kefu_err_set(
            err, KEFU_EPARSE, "mapping: no column '%.200s' for '%s'%s", me->src,
            me->target, me->nalt > 1 ? " (nor its alternatives)" : "");
        goto fail;
      }
      be->display = kefu_strndup(a, strlen(a));
    } else if (me->src_kind == SRC_CONST) {
      size_t tn = strlen(me->target);
      be->display = kefu_malloc(tn + 12);
      if (be->display) {
        memcpy(be->display, me->target, tn);
        memcpy(be->display + tn, " (constant)", 12);
      }
    } else {
      /* template: literal and column parts */
      size_t cap = 0;
      const char *p = me->src, *e = me->src + me->src_n;
      while (p < e) {
        if (kefu_grow((void **)&be->parts, &cap, be->nparts + 1,
                      sizeof *be->parts)) {
          rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
          goto fail;
        }
        tpl_part *tp = &be->parts[be->nparts++];
        if (*p == '{') {
          const char *c = memchr(p, '}', (size_t)(e - p));
          tp->lit = NULL;
          tp->lit_n = 0;
          tp->col = find_col(hdr, nhdr, p + 1, (size_t)(c - p - 1));
          if (tp->col < 0) {
            if (me->optional) {
              be->nparts = 0;
              break;
            }
            rc = kefu_err_set(
                err, KEFU_EPARSE, "mapping: no column '%.*s' for '%s'",
                (int)(c - p - 1 > 200 ? 200 : c - p - 1), p + 1, me->target);
            goto fail;
          }
          p = c + 1;
        } else {
          const char *c = memchr(p, '{', (size_t)(e - p));
          if (!c)
            c = e;
          tp->lit = p;
          tp->lit_n = (size_t)(c - p);
          tp->col = -1;
          p = c;
        }
      }
      if (me->optional && p < e) {
        kefu_free(be->parts);
        be->parts = NULL;
        continue;
      }
      be->display = kefu_strndup(me->src, me->src_n);
    }
    if (!be->display) {
      rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
      goto fail;
    }
    b->n++;
  }
  *out = b;
  return 0;
fail:
  kefu_free(b->e[b->n].parts);
  b->e[b->n].parts = NULL;
  kefu_mapping_bound_free(b);
  return rc;
}

static int scratch_put(kefu_mapping_bound *b, size_t *len, const char *p,
                       size_t n) {
  if (kefu_grow((void **)&b->scratch, &b->scap, *len + n + 1, 1))
    return -1;
  if (n)
    memcpy(b->scratch + *len, p, n);
  *len += n;
  return 0;
}

static kefu_str strip_blank(kefu_str s) {
  while (s.n && (s.p[0] == ' ' || s.p[0] == '\t'))
    s.p++, s.n--;
  while (s.n &&
         (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' || s.p[s.n - 1] == '\r'))
    s.n--;
  return s;
}

/* ="123", '123, "123" (after CSV unquoting), trailing tabs and spaces. */
static kefu_str strip_excel(kefu_str s) {
  s = strip_blank(s);
  if (s.n >= 3 && s.p[0] == '=' && s.p[1] == '"' && s.p[s.n - 1] == '"') {
    s.p += 2;
    s.n -= 3;
  } else if (s.n >= 1 && s.p[0] == '\'') {
    s.p++;
    s.n--;
  }
  return strip_blank(s);
}

static int is_unpaid_token(kefu_str s) {
  s = strip_blank(s);
  if (s.n == 0 || (s.n == 1 && s.p[0] == '0'))
    return 1;
  if (s.n == 19 && !memcmp(s.p, "0000-00-00 00:00:00", 19))
    return 1;
  if (s.n == 10 && !memcmp(s.p, "0000-00-00", 10))
    return 1;
  if (s.n == 4 && (s.p[0] | 0x20) == 'n' && (s.p[1] | 0x20) == 'u' &&
      (s.p[2] | 0x20) == 'l' && (s.p[3] | 0x20) == 'l')
    return 1;
  if (s.n == 1 && s.p[0] == '-')
    return 1;
  return 0;
}

static const struct {
  const char *zh, *code;
} status_map[] = {
    {"交易成功", "TRADE_FINISHED"},
    {"买家已付款，等待卖家发货", "WAIT_SELLER_SEND_GOODS"},
    {"买家已付款,等待卖家发货", "WAIT_SELLER_SEND_GOODS"},
    {"卖家已发货，等待买家确认", "WAIT_BUYER_CONFIRM_GOODS"},
    {"卖家已发货,等待买家确认", "WAIT_BUYER_CONFIRM_GOODS"},
    {"等待买家付款", "WAIT_BUYER_PAY"},
    {"交易关闭", "TRADE_CLOSED"},
    {"付款以后用户退款成功，交易自动关闭", "TRADE_CLOSED"},
    {"付款以前，卖家或买家主动关闭交易", "TRADE_CLOSED_BY_TAOBAO"},
};

int kefu_mapping_apply(kefu_mapping_bound *b, const kefu_str *fields, size_t nf,
                       kefu_str *vals, size_t *bad, const char **why) {
  size_t len = 0;
  char tbuf[48];
  if (nf < b->nhdr) {
    *bad = 0;
    *why = "too few fields";
    return -1;
  }
  for (size_t i = 0; i < b->n; i++) {
    bound_entry *be = &b->e[i];
    kefu_str v;
    b->soff[i] = SIZE_MAX;
    if (be->me->src_kind == SRC_CONST) {
      v.p = be->me->src;
      v.n = be->me->src_n;
    } else if (be->me->src_kind == SRC_COLUMN) {
      v = fields[be->col];
    } else {
      size_t start = len;
      for (size_t k = 0; k < be->nparts; k++) {
        const tpl_part *tp = &be->parts[k];
        kefu_str part =
            tp->col >= 0 ? fields[tp->col] : (kefu_str){tp->lit, tp->lit_n};
        if (tp->col >= 0 && (be->xforms & X_EXCEL))
          part = strip_excel(part);
        if (scratch_put(b, &len, part.p, part.n))
          goto oom;
      }
      b->soff[i] = start;
      v.p = NULL;
      v.n = len - start;
    }
    if (be->xforms & (X_EXCEL | X_TRIM)) {
      if (v.p) /* templates: already stripped per part */
        v = (be->xforms & X_EXCEL) ? strip_excel(v) : strip_blank(v);
    }
    const char *repl = NULL;
    if ((be->xforms & X_UNPAID) && v.p && is_unpaid_token(v))
      repl = "";
    if (!repl && (be->xforms & X_STATUS) && v.p) {
      kefu_str s = strip_blank(v);
      for (size_t k = 0; k < sizeof status_map / sizeof status_map[0]; k++)
        if (strlen(status_map[k].zh) == s.n &&
            !memcmp(status_map[k].zh, s.p, s.n)) {
          repl = status_map[k].code;
          break;
        }
    }
    if (!repl && be->me->vmap && v.p) {
      kefu_str s = strip_blank(v);
      const char *r = be->me->vmap, *re = r + strlen(r);
      while (r < re && !repl) {
        const char *se = memchr(r, ';', (size_t)(re - r));
        if (!se)
          se = re;
        const char *gt = memchr(r, '>', (size_t)(se - r));
        kefu_str from = strip_blank((kefu_str){r, (size_t)(gt - r)});
        if (from.n == s.n && !memcmp(from.p, s.p, s.n)) {
          kefu_str to = strip_blank((kefu_str){gt + 1, (size_t)(se - gt - 1)});
          size_t start = len;
          if (scratch_put(b, &len, to.p, to.n))
            goto oom;
          b->soff[i] = start;
          v.p = NULL;
          v.n = to.n;
          break;
        }
        r = se + 1;
      }
    }
    if (!repl && (be->xforms & X_CHATDIR) && v.p) {
      kefu_str s = strip_blank(v);
      if (s.n == 1 && s.p[0] == '0')
        repl = "A";
      else if (s.n == 1 && s.p[0] == '1')
        repl = "B";
    }
    if (repl) {
      v.p = repl;
      v.n = strlen(repl);
      b->soff[i] = SIZE_MAX;
    }
    if (be->time_fmt) {
      kefu_str s = v;
      if (!s.p) {
        s.p = b->scratch + b->soff[i]; /* stable until the next put */
      }
      kefu_str t = strip_blank(s);
      int keep =
          t.n == 0 || (!strcmp(be->me->target, "paid") && is_unpaid_token(t));
      if (!keep) {
        if (kefu_time_format_parse(be->time_fmt, t.p, t.n, tbuf, why)) {
          *bad = i;
          return -1;
        }
        size_t start = len;
        if (scratch_put(b, &len, tbuf, strlen(tbuf)))
          goto oom;
        b->soff[i] = start;
        v.p = NULL;
        v.n = len - start;
      }
    }
    vals[i] = v;
  }
  for (size_t i = 0; i < b->n; i++)
    if (b->soff[i] != SIZE_MAX)
      vals[i].p = b->scratch + b->soff[i];
  return 0;
oom:
  *bad = SIZE_MAX;
  *why = "out of memory";
  return -1;
}

/* ---------------------------------------------------------------- presets */

static const kefu_preset builtin[] = {
    {"canonical", NULL, NULL, "the canonical CSV / JSON Lines of formats.md"},
    {"taobao-orders",
     "order_id=订单编号|excel,buyer=买家会员名|trim,amount=买家实际支付金额;"
     "支付金额|excel,"
     "created=订单创建时间,paid=订单付款时间|unpaid,items=宝贝总数量|excel,"
     "status=订单状态|status,refund?=退款金额|excel",
     NULL,
     "Taobao seller-center order export (订单报表), any variant; needs --shop"},
    {"taobao-trades-json", NULL, NULL,
     "Taobao Open Platform trade objects (tid, buyer_nick, created, pay_time, "
     "payment, status, num, refund_fee): one per line, an array or an API "
     "response; needs --shop"},
    {"taobao-chatlog-json", NULL, NULL,
     "Taobao Open Platform chat records (from_id = agent, to_id = buyer, msgs of "
     "direction 0 agent>buyer / 1 buyer>agent, time, content): one per line, an "
     "array or an API response; needs --shop"},
};

typedef struct user_preset {
  kefu_preset p;
  char *name, *spec;
} user_preset;

struct kefu_presets {
  user_preset *u;
  size_t n, cap;
};

const kefu_preset *kefu_presets_builtin(size_t *n) {
  *n = sizeof builtin / sizeof builtin[0];
  return builtin;
}

void kefu_presets_free(kefu_presets *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->n; i++) {
    kefu_free(p->u[i].name);
    kefu_free(p->u[i].spec);
  }
  kefu_free(p->u);
  kefu_free(p);
}

int kefu_presets_parse(kefu_presets **out, const char *text, size_t n,
                       const char *name, kefu_err *err) {
  *out = NULL;
  kefu_presets *ps = kefu_calloc(1, sizeof *ps);
  if (!ps)
    return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
  const char *p = text, *e = text + n;
  long line = 0;
  int rc = 0;
  while (p < e) {
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    const char *le = nl ? nl : e;
    line++;
    const char *a = trim_l(p, le), *b = trim_r(a, le);
    if (b > a && b[-1] == '\r')
      b = trim_r(a, b - 1);
    p = nl ? nl + 1 : e;
    if (a == b || *a == '#')
      continue;
    const char *colon = memchr(a, ':', (size_t)(b - a));
    const char *n1 = colon ? trim_r(a, colon) : a;
    int ok = colon && n1 > a;
    for (const char *q = a; ok && q < n1; q++)
      ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
           (*q >= '0' && *q <= '9') || *q == '-' || *q == '_' || *q == '.';
    if (!ok) {
      rc = kefu_err_set(err, KEFU_EINVAL,
                        "expected 'name: spec' (name of [A-Za-z0-9._-])");
      kefu_err_at(err, name, line, 1);
      goto fail;
    }
    if (kefu_grow((void **)&ps->u, &ps->cap, ps->n + 1, sizeof *ps->u)) {
      rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
      goto fail;
    }
    user_preset *u = &ps->u[ps->n];
    memset(u, 0, sizeof *u);
    const char *s0 = trim_l(colon + 1, b);
    u->name = kefu_strndup(a, (size_t)(n1 - a));
    u->spec = kefu_strndup(s0, (size_t)(b - s0));
    if (!u->name || !u->spec) {
      kefu_free(u->name);
      kefu_free(u->spec);
      rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
      goto fail;
    }
    ps->n++;
    /* check the spec now, so errors point at the presets file */
    kefu_mapping *m = NULL;
    kefu_err e2 = KEFU_ERR_INIT;
    if (kefu_mapping_parse(&m, u->spec, &e2)) {
      rc = kefu_err_set(err, e2.code, "preset '%s': %s", u->name, e2.msg);
      kefu_err_at(err, name, line, (long)(s0 - a) + e2.col);
      goto fail;
    }
    kefu_mapping_free(m);
    u->p.name = u->name;
    u->p.spec = u->spec;
    u->p.detect = NULL;
    u->p.about = "user preset";
  }
  *out = ps;
  return 0;
fail:
  kefu_presets_free(ps);
  return rc;
}

int kefu_presets_load(kefu_presets **out, const char *path, int missing_ok,
                      kefu_err *err) {
  *out = NULL;
  if (!path)
    return kefu_presets_parse(out, "", 0, "", err);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT && missing_ok)
      return kefu_presets_parse(out, "", 0, path, err);
    int rc = kefu_err_set(err, KEFU_EIO, "cannot open presets file: %s",
                          strerror(errno));
    kefu_err_at(err, path, 0, 0);
    return rc;
  }
  char *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (kefu_grow((void **)&buf, &cap, n + 4096, 1)) {
      close(fd);
      kefu_free(buf);
      return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
    }
    ssize_t got = read(fd, buf + n, cap - n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0 || n > ((size_t)1 << 20)) {
      int rc = kefu_err_set(err, KEFU_EIO, "cannot read presets file");
      kefu_err_at(err, path, 0, 0);
      close(fd);
      kefu_free(buf);
      return rc;
    }
    if (got == 0)
      break;
    n += (size_t)got;
  }
  close(fd);
  int rc = kefu_presets_parse(out, buf ? buf : "", n, path, err);
  kefu_free(buf);
  return rc;
}

const kefu_preset *kefu_presets_at(const kefu_presets *p, size_t i) {
  size_t nu = p ? p->n : 0;
  if (i < nu)
    return &p->u[i].p;
  i -= nu;
  return i < sizeof builtin / sizeof builtin[0] ? &builtin[i] : NULL;
}

const kefu_preset *kefu_presets_find(const kefu_presets *p, const char *name) {
  const kefu_preset *x;
  for (size_t i = 0; (x = kefu_presets_at(p, i)); i++)
    if (!strcmp(x->name, name))
      return x;
  return NULL;
}

/* A preset matches a header when its mapping binds (every required source
 * present) and it reads at least two columns by name. */
static int preset_matches(const kefu_preset *x, const kefu_str *hdr,
                          size_t nhdr) {
  if (!x->spec)
    return 0;
  kefu_mapping *m = NULL;
  kefu_mapping_bound *b = NULL;
  kefu_err e = KEFU_ERR_INIT;
  int ok = 0;
  if (kefu_mapping_parse(&m, x->spec, &e) == 0 &&
      kefu_mapping_bind(&b, m, hdr, nhdr, NULL, &e) == 0) {
    int cols = 0;
    for (size_t i = 0; i < b->n; i++)
      cols += b->e[i].col >= 0 && !b->e[i].me->optional;
    ok = cols >= 2;
  }
  kefu_mapping_bound_free(b);
  kefu_mapping_free(m);
  return ok;
}

const kefu_preset *kefu_presets_detect(const kefu_presets *p,
                                       const kefu_str *hdr, size_t nhdr,
                                       const kefu_preset **second) {
  const kefu_preset *first = NULL, *x;
  *second = NULL;
  for (size_t i = 0; (x = kefu_presets_at(p, i)); i++) {
    if (!preset_matches(x, hdr, nhdr))
      continue;
    /* a user preset shadowing a built-in of the same name counts once */
    if (first && !strcmp(first->name, x->name))
      continue;
    if (!first) {
      first = x;
    } else {
      *second = x;
      break;
    }
  }
  return first;
}
