/*
 * test_dict.c - interning and byte-order renumbering of the dictionaries,
 * including long common prefixes (the radix sort looks at 16 bytes first),
 * prefixes of each other and CJK text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kefu/dataset.h"

static int cmp_bytes(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	return strcmp(x, y); /* no NUL inside: strcmp is byte order */
}

static void test_sort_matches_byte_order(void **state)
{
	(void)state;
	char *words[600];
	size_t n = 0;
	const char *stems[] = {"旗舰店:小美", "旗舰店:小美美", "a", "ab", "abcdefghijklmnop",
			       "abcdefghijklmnopq", "abcdefghijklmnopa", "abcdefghijklmno",
			       "zzzzzzzzzzzzzzzzzzzz", "\xef\xbc\x81", ""};
	for (size_t i = 0; i < sizeof stems / sizeof stems[0]; i++)
		words[n++] = strdup(stems[i]);
	uint64_t x = 12345;
	while (n < 600) {
		char buf[40];
		size_t len = 1 + (x >> 7) % 30;
		for (size_t j = 0; j < len; j++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[j] = (char)('a' + (x >> 60) % 3); /* few letters: many shared prefixes */
		}
		buf[len] = '\0';
		words[n++] = strdup(buf);
	}
	kefu_dict *d;
	assert_int_equal(kefu_dict_new(&d), 0);
	uint32_t ids[600];
	for (size_t i = 0; i < n; i++)
		assert_int_equal(kefu_dict_intern(d, words[i], strlen(words[i]), &ids[i]), 0);
	/* interning is idempotent */
	for (size_t i = 0; i < n; i++) {
		uint32_t again;
		assert_int_equal(kefu_dict_intern(d, words[i], strlen(words[i]), &again), 0);
		assert_int_equal(again, ids[i]);
	}
	uint32_t *map;
	assert_int_equal(kefu_dict_sort(d, &map), 0);
	qsort(words, n, sizeof *words, cmp_bytes);
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		if (distinct == 0 || strcmp(words[i], words[distinct - 1]))
			words[distinct++] = words[i];
		else
			free(words[i]);
	assert_int_equal(kefu_dict_size(d), distinct);
	for (uint32_t id = 0; id < distinct; id++) {
		kefu_str s = kefu_dict_get(d, id);
		assert_int_equal(s.n, strlen(words[id]));
		assert_memory_equal(s.p, words[id], s.n);
		uint32_t found;
		assert_int_equal(kefu_dict_find(d, words[id], strlen(words[id]), &found), 0);
		assert_int_equal(found, id);
	}
	for (size_t i = 0; i < distinct; i++)
		free(words[i]);
	kefu_free(map);
	kefu_dict_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_sort_matches_byte_order)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
