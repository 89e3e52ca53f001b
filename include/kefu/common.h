/*
 * common.h - shared basics of libkefu: string slices, the error context,
 * error codes and the allocation wrapper.
 *
 * Conventions (libgit2 style): functions return 0 on success and a negative
 * KEFU_E* code on failure; details go to a caller-provided kefu_err.
 * Out parameters come first; on failure *out is set to NULL and nothing leaks.
 * The library never prints, never exits and keeps no mutable globals except
 * the test-only allocation fault injector.
 */
#ifndef KEFU_COMMON_H
#define KEFU_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A borrowed byte slice (not NUL-terminated). Owner is stated by the API. */
typedef struct kefu_str {
	const char *p;
	size_t n;
} kefu_str;

enum {
	KEFU_OK = 0,
	KEFU_ENOMEM = -1,
	KEFU_EINVAL = -2,    /* bad argument or setting */
	KEFU_EIO = -3,       /* read/write failure */
	KEFU_EPARSE = -4,    /* malformed input; err has file:line:column */
	KEFU_ESTORE = -5,    /* SQLite store failure */
	KEFU_EOVERFLOW = -6, /* an int64 sum or value overflowed */
	KEFU_ENOTFOUND = -7
};

/* Error context filled by failing calls. file/line/col are 0/empty when
 * not applicable. */
typedef struct kefu_err {
	int code;
	char file[256];
	long line;
	long col;
	char msg[512];
} kefu_err;

#define KEFU_ERR_INIT {0, {0}, 0, 0, {0}}

/* Sets code and a printf-style message; clears file/line/col. Returns code. */
int kefu_err_set(kefu_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sets position info on an error already set. */
void kefu_err_at(kefu_err *err, const char *file, long line, long col);

/* The length (1-4) of the valid UTF-8 character at s[i] (i < n), or 0 when
 * the bytes there are not one (overlong, surrogate, beyond U+10FFFF or cut
 * off by n). */
size_t kefu_utf8_char(const unsigned char *s, size_t n, size_t i);
void kefu_err_clear(kefu_err *err);

/* Allocation wrappers used everywhere in lib/ so that tests can make the
 * k-th allocation fail (kefu_alloc_fail_at). kefu_free accepts NULL. */
void *kefu_malloc(size_t n);
void *kefu_calloc(size_t count, size_t size);
void *kefu_realloc(void *p, size_t n);
void kefu_free(void *p);
char *kefu_strndup(const char *p, size_t n);
/* Test hook: make the k-th allocation from now fail (0 disables). */
void kefu_alloc_fail_at(long k);

/* Growable array helper: ensures *cap >= need elements of size elsz. */
int kefu_grow(void **arr, size_t *cap, size_t need, size_t elsz);

/* Checked int64 arithmetic: return 0 on success, KEFU_EOVERFLOW otherwise. */
static inline int kefu_add_i64(int64_t *acc, int64_t v)
{
	return __builtin_add_overflow(*acc, v, acc) ? KEFU_EOVERFLOW : 0;
}

/* 64-bit FNV-1a-style hash used for interning and text identity. */
uint64_t kefu_hash_bytes(const void *p, size_t n);

/* The splitmix64 finalizer: every input bit affects every output bit. */
static inline uint64_t kefu_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

#ifdef __cplusplus
}
#endif
#endif
