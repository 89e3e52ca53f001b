/*
 * mapping.h - reading files that are not in the canonical format
 * (docs/IMPORT.md): column mappings with per-column transforms, hand-written
 * time formats, named presets (built-in and from a presets file), encoding
 * detection and a streaming GB18030 -> UTF-8 transcoding stage.
 *
 * Mapping spec (one string, entries separated by ','):
 *   target=SOURCE[;ALT...][|transform...]   a source column (first present ALT)
 *   target?=SOURCE...                       optional: dropped if no source
 * exists target="literal"                        a constant value
 *   target=text{col}text{col2}...           a template of source columns
 * Transforms: excel, trim, unpaid, status, chatdir, map:A>B;C>D, time:FORMAT.
 *
 * Ownership: kefu_mapping and kefu_mapping_bound objects are owned by the
 * caller (free with the matching _free, which accept NULL). Values returned
 * by kefu_mapping_apply borrow the row's fields or the bound object's scratch
 * buffer and stay valid until the next apply or free.
 */
#ifndef KEFU_MAPPING_H
#define KEFU_MAPPING_H

#include "kefu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- encodings ---- */

typedef enum kefu_encoding {
  KEFU_ENC_AUTO = 0,
  KEFU_ENC_UTF8,
  KEFU_ENC_GB18030 /* also "gbk": GB18030 is its superset */
} kefu_encoding;

/* "auto", "utf-8"/"utf8", "gb18030", "gbk" (any case); NULL = auto.
 * Returns 0 or KEFU_EINVAL. */
int kefu_encoding_parse(const char *s, kefu_encoding *out);
/* UTF-8 if the bytes are valid UTF-8 (a sequence cut at the end is allowed
 * unless at_eof) or start with a UTF-8 BOM, or when valid multi-byte
 * sequences outnumber invalid bytes 8 to 1; GB18030 otherwise. */
kefu_encoding kefu_encoding_detect(const char *p, size_t n, int at_eof);

/* Converts a whole GB18030 buffer to UTF-8 (*out owned by the caller, freed
 * with kefu_free). Each byte of an invalid or truncated sequence becomes one
 * 0xFF byte, which no UTF-8 validator accepts, so the row holding it is
 * rejected by the loader and never imported with altered text. */
int kefu_transcode_mem(char **out, size_t *outn, const char *in, size_t n,
                       kefu_err *err);

/* A streaming stage: a thread reads `prefix` then in_fd to its end,
 * converts GB18030 to UTF-8 (or copies, for from == KEFU_ENC_UTF8) and
 * writes to a socket whose other end is *read_fd. in_fd is not closed. */
typedef struct kefu_transcoder kefu_transcoder;
int kefu_transcoder_start(kefu_transcoder **out, int *read_fd, int in_fd,
                          const char *prefix, size_t nprefix,
                          kefu_encoding from, kefu_err *err);
/* Closes read_fd, waits for the thread and frees t. Returns 0, or KEFU_EIO
 * when reading the input failed (err set). Accepts NULL. */
int kefu_transcoder_finish(kefu_transcoder *t, kefu_err *err);

/* ---- time formats ---- */

/*
 * Parses s with a strptime-like format (no locale): %Y %m %d %e %H %M %S
 * %I %p %b (English month abbreviation) %f (fraction digits, floored away)
 * %z (Z, +hh, +hhmm, +hh:mm) %s (epoch seconds) %T %F %% ; a space matches
 * any run of spaces; other characters match themselves. Numbers take 1 to
 * the field's width of digits. Missing time fields are 0. On success writes
 * a canonical timestamp (local "YYYY-MM-DD HH:MM:SS", ISO with offset when
 * %z was used, epoch digits for %s) NUL-terminated into out (>= 40 bytes).
 * Returns 0 or -1 with a reason in *why.
 */
int kefu_time_format_parse(const char *fmt, const char *s, size_t n, char *out,
                           const char **why);

/* ---- mappings ---- */

typedef struct kefu_mapping kefu_mapping;

/* Parses a spec; entries of a later spec replace those of the same target.
 * err->col is the 1-based byte offset of a syntax error. */
int kefu_mapping_parse(kefu_mapping **out, const char *spec, kefu_err *err);
/* Adds the entries of spec to m (replacing same targets). */
int kefu_mapping_extend(kefu_mapping *m, const char *spec, kefu_err *err);
void kefu_mapping_free(kefu_mapping *m);

/* A mapping bound to a file's header. */
typedef struct kefu_mapping_bound kefu_mapping_bound;

/*
 * Resolves every entry against the header. Optional entries without a
 * source are dropped; a required entry without one is KEFU_EPARSE naming
 * it. b borrows m: m must outlive b. time_format (may be NULL) is applied to
 * the time targets (ts created paid login logout) that have no time: transform
 * of their own.
 */
int kefu_mapping_bind(kefu_mapping_bound **out, const kefu_mapping *m,
                      const kefu_str *hdr, size_t nhdr, const char *time_format,
                      kefu_err *err);
void kefu_mapping_bound_free(kefu_mapping_bound *b);
size_t kefu_mapping_bound_count(const kefu_mapping_bound *b);
/* The canonical target name of entry i. */
kefu_str kefu_mapping_bound_target(const kefu_mapping_bound *b, size_t i);
/* What rejects call entry i: the source column name, the template text, or
 * "target (constant)". NUL-terminated, owned by b. */
const char *kefu_mapping_bound_source(const kefu_mapping_bound *b, size_t i);
/* 1-based column of entry i's source, 0 for constants and templates. */
long kefu_mapping_bound_col(const kefu_mapping_bound *b, size_t i);

/* Computes every entry's value for one row (nf must equal the header's
 * field count). vals has kefu_mapping_bound_count() slots. On a transform
 * failure returns -1 with *bad the entry index and *why the reason. */
int kefu_mapping_apply(kefu_mapping_bound *b, const kefu_str *fields, size_t nf,
                       kefu_str *vals, size_t *bad, const char **why);

/* ---- presets ---- */

typedef struct kefu_preset {
  const char *name;
  const char *spec;   /* NULL for "canonical" (no mapping) */
  const char *detect; /* ','-separated header names that must all be present;
                         ';' separates alternatives; NULL = never detected */
  const char *about;
} kefu_preset;

/* The built-in table. */
const kefu_preset *kefu_presets_builtin(size_t *n);

/* User presets (plus the built-ins). */
typedef struct kefu_presets kefu_presets;
/* Parses a presets file: lines "name: spec"; '#' comments and blank lines
 * are ignored. path NULL or missing with missing_ok: only built-ins. */
int kefu_presets_load(kefu_presets **out, const char *path, int missing_ok,
                      kefu_err *err);
int kefu_presets_parse(kefu_presets **out, const char *text, size_t n,
                       const char *name, kefu_err *err);
void kefu_presets_free(kefu_presets *p);
/* Finds a preset by name: user presets first, then built-ins. p may be NULL
 * (built-ins only). */
const kefu_preset *kefu_presets_find(const kefu_presets *p, const char *name);
/* The preset whose detect names are all in the header; NULL when none.
 * *ambiguous is set when more than one matches (the first is returned). */
const kefu_preset *kefu_presets_detect(const kefu_presets *p,
                                       const kefu_str *hdr, size_t nhdr,
                                       const kefu_preset **second);
/* Iterates user presets then built-ins: i from 0 while non-NULL. */
const kefu_preset *kefu_presets_at(const kefu_presets *p, size_t i);

#ifdef __cplusplus
}
#endif
#endif
