/*
 * common.c - error context, allocation wrappers with fault injection, and
 * small helpers shared by every module.
 */
#define _GNU_SOURCE /* madvise(MADV_HUGEPAGE) */
#include "kefu/common.h"

#include <sys/mman.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only mutable global of the library: a test hook, never set in production. */
static long alloc_fail_countdown;

void kefu_alloc_fail_at(long k) { alloc_fail_countdown = k; }

static int alloc_should_fail(void)
{
	if (alloc_fail_countdown <= 0)
		return 0;
	return --alloc_fail_countdown == 0;
}

/* Page faults are expensive on our machines: ask for transparent huge
 * pages on big blocks (glibc serves them with mmap), which cuts the number
 * of faults by up to 512x. Only advice: failure changes nothing. */
#define HUGE_MIN ((size_t)8 << 20)
static void advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	if (!p || n < HUGE_MIN)
		return;
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
	if (e > a)
		madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)n;
#endif
}

void *kefu_malloc(size_t n)
{
	if (alloc_should_fail())
		return NULL;
	void *p = malloc(n ? n : 1);
	advise_huge(p, n);
	return p;
}

void *kefu_calloc(size_t count, size_t size)
{
	if (alloc_should_fail())
		return NULL;
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (p && size && count <= SIZE_MAX / size)
		advise_huge(p, count * size);
	return p;
}

void *kefu_realloc(void *p, size_t n)
{
	if (alloc_should_fail())
		return NULL;
	void *q = realloc(p, n ? n : 1);
	advise_huge(q, n);
	return q;
}

void kefu_free(void *p) { free(p); }

char *kefu_strndup(const char *p, size_t n)
{
	char *s = kefu_malloc(n + 1);
	if (!s)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int kefu_grow(void **arr, size_t *cap, size_t need, size_t elsz)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elsz)
			return KEFU_ENOMEM;
		ncap *= 2;
	}
	void *p = kefu_realloc(*arr, ncap * elsz);
	if (!p)
		return KEFU_ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

int kefu_err_set(kefu_err *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	err->code = code;
	err->file[0] = '\0';
	err->line = 0;
	err->col = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return code;
}

void kefu_err_at(kefu_err *err, const char *file, long line, long col)
{
	if (!err)
		return;
	snprintf(err->file, sizeof err->file, "%s", file ? file : "");
	err->line = line;
	err->col = col;
}

void kefu_err_clear(kefu_err *err)
{
	if (!err)
		return;
	memset(err, 0, sizeof *err);
}

uint64_t kefu_hash_bytes(const void *p, size_t n)
{
	/* FNV-1a over 8-byte words with a final avalanche (splitmix64 mixer):
	 * fast and good enough for hash tables and duplicate detection. */
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	while (n--) {
		h = (h ^ *s++) * 0x100000001b3ULL;
	}
	return kefu_mix64(h);
}

size_t kefu_utf8_char(const unsigned char *s, size_t n, size_t i)
{
	unsigned c = s[i];
	size_t k;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		k = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 3;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (i + k >= n)
		return 0;
	for (size_t j = 1; j <= k; j++) {
		if ((s[i + j] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i + j] & 0x3f);
	}
	if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return k + 1;
}
