/*
 * check_cilkit_pool.c - the object pool: objects aligned and apart over
 * many chunks (with the prefault thread too), reuse of given-back objects, the big chunks aligned for
 * huge pages (and, where the kernel offers transparent huge pages,
 * eligible for them), objects bigger than a chunk.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cilkit_pool.h"

#define HUGE_SZ	((uintptr_t)2 << 20)

/* The same layout as the pool's own chunk header. */
struct chunk_view {
	struct chunk_view *next;
	size_t		 len;
};

/*
 * Every object keeps its own bytes: no two overlap, none is moved; with
 * and without the prefault thread (_i), which must not disturb them.
 */
START_TEST(test_apart)
{
	enum { N = 100000, SIZE = 928 };
	struct cilkit_pool p;
	unsigned char **v = calloc(N, sizeof(*v));
	size_t i, j;

	ck_assert_ptr_nonnull(v);
	cilkit_pool_init(&p, SIZE);
	cilkit_pool_set_prefault(&p, _i);
	ck_assert_uint_eq(p.size, 960);
	for (i = 0; i < N; i++) {
		v[i] = cilkit_pool_get(&p);
		ck_assert_ptr_nonnull(v[i]);
		ck_assert_uint_eq((uintptr_t)v[i] % 64, 0);
		memset(v[i], (int)(i % 251), SIZE);
	}
	for (i = 0; i < N; i++)
		for (j = 0; j < SIZE; j += 97)
			ck_assert_uint_eq(v[i][j], i % 251);
	/* Doubling chunks: about 100 MB in a handful of them. */
	ck_assert_uint_ge(p.total, (size_t)N * 960);
	ck_assert_uint_le(p.total, (size_t)N * 960 * 2 + (HUGE_SZ << 1));
	ck_assert(_i ? p.pf != NULL : p.pf == NULL);
	cilkit_pool_destroy(&p);
	/* Destroyed, it keeps the setting. */
	ck_assert_int_eq(p.prefault, _i);
	free(v);
}
END_TEST

/* Given back, an object comes out again before new memory is used. */
START_TEST(test_reuse)
{
	struct cilkit_pool p;
	void *a, *b, *c;
	size_t total;

	cilkit_pool_init(&p, 40);
	a = cilkit_pool_get(&p);
	b = cilkit_pool_get(&p);
	ck_assert_ptr_ne(a, b);
	ck_assert_uint_eq((uintptr_t)b - (uintptr_t)a, 64);
	total = p.total;
	cilkit_pool_put(&p, a);
	cilkit_pool_put(&p, b);
	c = cilkit_pool_get(&p);
	ck_assert_ptr_eq(c, b);
	ck_assert_ptr_eq(cilkit_pool_get(&p), a);
	ck_assert_uint_eq(p.total, total);
	cilkit_pool_destroy(&p);
	/* Destroyed, the pool is empty and usable again. */
	ck_assert_uint_eq(p.total, 0);
	ck_assert_ptr_nonnull(cilkit_pool_get(&p));
	cilkit_pool_destroy(&p);
}
END_TEST

/* Whether the mapping at addr is eligible for transparent huge pages. */
static int
thp_eligible(uintptr_t addr)
{
	FILE *fp = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	int r = -1;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = addr >= lo && addr < hi;
			continue;
		}
		if (in && strncmp(line, "THPeligible:", 12) == 0) {
			r = atoi(line + 12);
			break;
		}
	}
	fclose(fp);
	return r;
}

/* Whether this kernel gives huge pages to memory advised for them. */
static bool
thp_offered(void)
{
	FILE *fp = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[128] = "";

	if (fp == NULL)
		return false;
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	fclose(fp);
	return strstr(line, "[always]") != NULL ||
	    strstr(line, "[madvise]") != NULL;
}

/* Chunks of 2 MiB and more start on a 2 MiB boundary, advised. */
START_TEST(test_huge_chunks)
{
	struct cilkit_pool p;
	struct chunk_view *c;
	size_t big = 0;
	int i;

	cilkit_pool_init(&p, 1000);
	for (i = 0; i < 20000; i++)
		ck_assert_ptr_nonnull(cilkit_pool_get(&p));
	for (c = (struct chunk_view *)p.chunks; c != NULL; c = c->next) {
		ck_assert_uint_eq((uintptr_t)c % 4096, 0);
		if (c->len < HUGE_SZ)
			continue;
		big++;
		ck_assert_uint_eq((uintptr_t)c % HUGE_SZ, 0);
		ck_assert_uint_eq(c->len % HUGE_SZ, 0);
		if (thp_offered())
			ck_assert_int_eq(thp_eligible((uintptr_t)c), 1);
	}
	ck_assert_uint_ge(big, 2);
	cilkit_pool_destroy(&p);
}
END_TEST

/* An object bigger than any chunk so far gets a chunk of its own. */
START_TEST(test_big_object)
{
	struct cilkit_pool p;
	unsigned char *a, *b;
	size_t size = (size_t)3 << 20;

	cilkit_pool_init(&p, size);
	a = cilkit_pool_get(&p);
	b = cilkit_pool_get(&p);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	memset(a, 1, size);
	memset(b, 2, size);
	ck_assert_uint_eq(a[size - 1], 1);
	ck_assert_uint_eq(b[0], 2);
	cilkit_pool_destroy(&p);
}
END_TEST

#ifdef __SANITIZE_ADDRESS__
/* Under AddressSanitizer, an object given back cannot be used. */
START_TEST(test_use_after_put)
{
	struct cilkit_pool p;
	volatile unsigned char *a;

	cilkit_pool_init(&p, 100);
	a = cilkit_pool_get(&p);
	a[50] = 1;
	cilkit_pool_put(&p, (void *)a);
	a[50] = 2;	/* ASan reports this and exits with 1 */
	cilkit_pool_destroy(&p);
}
END_TEST
#endif

static Suite *
pool_suite(void)
{
	Suite *s = suite_create("cilkit_pool");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_apart, 0, 2);
	tcase_add_test(tc, test_reuse);
	tcase_add_test(tc, test_huge_chunks);
	tcase_add_test(tc, test_big_object);
#ifdef __SANITIZE_ADDRESS__
	tcase_add_exit_test(tc, test_use_after_put, 1);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pool_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
