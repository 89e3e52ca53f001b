/*
 * radix.c - stable LSD radix sort of (hi, lo) 128-bit keys with payload,
 * skipping byte positions where every key has the same byte. The engines'
 * sort-based passes go through here: O(n) per varying byte, no comparator.
 */
#include "kefu/kpi.h"

#include <string.h>

int kefu_sort_key3(kefu_key3 *a, size_t n)
{
	if (n < 2)
		return 0;
	if (n < 64) { /* insertion sort for tiny inputs */
		for (size_t i = 1; i < n; i++) {
			kefu_key3 x = a[i];
			size_t j = i;
			while (j > 0 && (a[j - 1].hi > x.hi || (a[j - 1].hi == x.hi && a[j - 1].lo > x.lo))) {
				a[j] = a[j - 1];
				j--;
			}
			a[j] = x;
		}
		return 0;
	}
	kefu_key3 *tmp = kefu_malloc(n * sizeof *tmp);
	if (!tmp)
		return KEFU_ENOMEM;
	/* Which bytes vary? */
	uint64_t hi_or = 0, hi_and = ~0ULL, lo_or = 0, lo_and = ~0ULL;
	for (size_t i = 0; i < n; i++) {
		hi_or |= a[i].hi;
		hi_and &= a[i].hi;
		lo_or |= a[i].lo;
		lo_and &= a[i].lo;
	}
	uint64_t hi_var = hi_or ^ hi_and, lo_var = lo_or ^ lo_and;
	kefu_key3 *src = a, *dst = tmp;
	size_t count[256];
	for (int pass = 0; pass < 16; pass++) {
		int shift = (pass % 8) * 8;
		int use_hi = pass >= 8;
		uint64_t var = use_hi ? hi_var : lo_var;
		if (!((var >> shift) & 0xFF))
			continue;
		memset(count, 0, sizeof count);
		for (size_t i = 0; i < n; i++)
			count[((use_hi ? src[i].hi : src[i].lo) >> shift) & 0xFF]++;
		size_t sum = 0;
		for (int b = 0; b < 256; b++) {
			size_t c = count[b];
			count[b] = sum;
			sum += c;
		}
		if (use_hi)
			for (size_t i = 0; i < n; i++)
				dst[count[(src[i].hi >> shift) & 0xFF]++] = src[i];
		else
			for (size_t i = 0; i < n; i++)
				dst[count[(src[i].lo >> shift) & 0xFF]++] = src[i];
		kefu_key3 *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
	kefu_free(tmp);
	return 0;
}
