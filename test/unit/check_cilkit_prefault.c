/*
 * check_cilkit_prefault.c - the prefault thread: it faults in the window
 * ahead of the consumer and nothing beyond it, skips what the consumer
 * passed, and stops at once, also in the middle of its work.
 *
 * Residency is read with mincore() on plain anonymous memory (no huge
 * page advice, so that a fault maps one 4 KiB page and the window's
 * edges are exact).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "cilkit_prefault.h"

#define MIB	((size_t)1 << 20)
#define STEP	(2 * MIB)
#define AHEAD	CILKIT_PREFAULT_AHEAD

static size_t pagesz;

/* len bytes on a STEP boundary (the pool's huge chunks are). */
static char *
map_region(size_t len)
{
	char *m = mmap(NULL, len + STEP, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	ck_assert_ptr_ne(m, MAP_FAILED);
	a = ((uintptr_t)m + STEP - 1) & ~(uintptr_t)(STEP - 1);
	if (a > (uintptr_t)m)
		munmap(m, a - (uintptr_t)m);
	munmap((char *)a + len, (uintptr_t)m + STEP - a);
	return (char *)a;
}

/* Pages of [lo, lo + len) that are resident. */
static size_t
resident(char *lo, size_t len)
{
	size_t n = len / pagesz, i, r = 0;
	unsigned char *v = malloc(n);

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(mincore(lo, len, v), 0);
	for (i = 0; i < n; i++)
		r += v[i] & 1;
	free(v);
	return r;
}

/* Wait (up to 10 s) until all of [lo, lo + len) is resident. */
static bool
wait_resident(char *lo, size_t len)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < 10000; i++) {
		if (resident(lo, len) == len / pagesz)
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

/* Whether this kernel populates on request (Linux 5.14 and later). */
static bool
populate_offered(void)
{
#ifdef MADV_POPULATE_WRITE
	char *m = map_region(pagesz);
	int rc = madvise(m, pagesz, MADV_POPULATE_WRITE);

	munmap(m, pagesz);
	return rc == 0;
#else
	return false;
#endif
}

START_TEST(test_window)
{
	size_t len = 64 * MIB;
	char *m = map_region(len);
	struct cilkit_prefault *pf = cilkit_prefault_new();

	ck_assert_ptr_nonnull(pf);
	ck_assert_int_eq(cilkit_prefault_region(pf, m, m + len, STEP), 0);
	if (!populate_offered()) {
		/* Then the consumer faults everything: nothing here. */
		usleep(100000);
		ck_assert_uint_eq(resident(m, len), 0);
		cilkit_prefault_free(pf);
		munmap(m, len);
		return;
	}
	/* At the start: the window after the consumer's first step. */
	ck_assert(wait_resident(m + STEP, AHEAD - STEP));
	/* Within the first step: nothing more. */
	cilkit_prefault_reached(pf, m + STEP / 2);
	usleep(50000);
	ck_assert_uint_eq(resident(m, STEP), 0);
	ck_assert_uint_eq(resident(m + AHEAD, len - AHEAD), 0);

	/*
	 * The consumer jumps to 21 MiB: its own step (from 20 MiB) and
	 * what it passed are skipped, the steps from 22 MiB to 20 MiB +
	 * AHEAD are faulted.
	 */
	cilkit_prefault_reached(pf, m + 21 * MIB);
	ck_assert(wait_resident(m + 22 * MIB, AHEAD - STEP));
	usleep(50000);
	ck_assert_uint_eq(resident(m + AHEAD, 22 * MIB - AHEAD), 0);
	ck_assert_uint_eq(resident(m + 20 * MIB + AHEAD,
	    len - 20 * MIB - AHEAD), 0);

	/* Outside the region: nothing. */
	cilkit_prefault_reached(pf, m + len);
	cilkit_prefault_reached(pf, m - 1);
	usleep(50000);
	ck_assert_uint_eq(resident(m + 20 * MIB + AHEAD,
	    len - 20 * MIB - AHEAD), 0);

	/* The end of the region bounds the window. */
	cilkit_prefault_reached(pf, m + len - MIB);
	usleep(50000);
	cilkit_prefault_free(pf);
	munmap(m, len);
}
END_TEST

/* A new region restarts the window there; the old one is left. */
START_TEST(test_new_region)
{
	size_t len = 32 * MIB;
	char *a = map_region(len), *b = map_region(len);
	struct cilkit_prefault *pf = cilkit_prefault_new();

	ck_assert_ptr_nonnull(pf);
	if (!populate_offered()) {
		cilkit_prefault_free(pf);
		munmap(a, len);
		munmap(b, len);
		return;
	}
	ck_assert_int_eq(cilkit_prefault_region(pf, a, a + len, STEP), 0);
	ck_assert(wait_resident(a + STEP, AHEAD - STEP));
	ck_assert_int_eq(cilkit_prefault_region(pf, b, b + len, STEP), 0);
	ck_assert(wait_resident(b + STEP, AHEAD - STEP));
	/* Reaching into the old region asks for nothing. */
	cilkit_prefault_reached(pf, a + 16 * MIB);
	usleep(50000);
	ck_assert_uint_eq(resident(a + AHEAD, len - AHEAD), 0);
	ck_assert_uint_eq(resident(b + AHEAD, len - AHEAD), 0);
	cilkit_prefault_free(pf);
	munmap(a, len);
	munmap(b, len);
}
END_TEST

/*
 * Stopped while it works through a big window, the thread is joined,
 * and the memory can go at once.
 */
START_TEST(test_stop_busy)
{
	size_t len = 512 * MIB;
	char *m = map_region(len);
	struct cilkit_prefault *pf = cilkit_prefault_new();
	size_t off;

	ck_assert_ptr_nonnull(pf);
	ck_assert_int_eq(cilkit_prefault_region(pf, m, m + len, STEP), 0);
	for (off = 0; off < len; off += 64 * MIB)
		cilkit_prefault_reached(pf, m + off);
	cilkit_prefault_free(pf);
	munmap(m, len);

	/* Never given a region: no thread, nothing to join. */
	cilkit_prefault_free(cilkit_prefault_new());
	cilkit_prefault_free(NULL);
	/* NULL helper: the calls do nothing. */
	ck_assert_int_eq(cilkit_prefault_region(NULL, NULL, NULL, STEP), -1);
	cilkit_prefault_reached(NULL, NULL);
}
END_TEST

static Suite *
prefault_suite(void)
{
	Suite *s = suite_create("cilkit_prefault");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_new_region);
	tcase_add_test(tc, test_stop_busy);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(prefault_suite());
	int failed;

	pagesz = (size_t)sysconf(_SC_PAGESIZE);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
