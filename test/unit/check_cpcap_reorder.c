/*
 * check_cpcap_reorder.c - frames of several interfaces merged into time
 * order (cpcap_reorder.c): runs of each interface as dumpcap writes
 * them, equal times in arrival order, a quiet interface that holds the
 * others back only up to the memory bound and for a second of capture
 * time, and a new section whose interfaces replace the old ones.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cilkit.h"
#include "cpcap_reorder.h"

static uint8_t payload[1500];

/* Push a frame of interface capif at time ts with caplen bytes. */
static void
push(struct cpcap_reorder *o, uint32_t capif, uint64_t ts, uint32_t caplen)
{
	struct cpcap_frame f;

	memset(&f, 0, sizeof(f));
	f.ts_ns = ts;
	f.capif = capif;
	f.caplen = caplen;
	f.wirelen = caplen;
	f.dlt = 1;
	f.data = payload;
	ck_assert_int_eq(cpcap_reorder_push(o, &f), 0);
}

/* Pop what can go now into ts[] (its data checked); their number. */
static int
pop_all(struct cpcap_reorder *o, bool at_end, uint64_t *ts, int max)
{
	struct cpcap_frame f;
	int n = 0;

	while (cpcap_reorder_pop(o, at_end, &f)) {
		ck_assert_int_lt(n, max);
		ck_assert_int_eq(memcmp(f.data, payload, f.caplen), 0);
		ts[n++] = f.ts_ns;
	}
	return n;
}

/* Runs of two interfaces, each in order, going back at every change. */
START_TEST(test_runs)
{
	static const struct { uint32_t ifc; uint64_t ts; } in[] = {
		{ 1, 10 }, { 1, 20 }, { 1, 30 },
		{ 2, 11 }, { 2, 21 },
		{ 1, 40 },
		{ 2, 31 }, { 2, 41 }, { 2, 51 },
		{ 1, 50 },
	};
	static const uint64_t want[] = { 10, 11, 20, 21, 30, 31, 40, 41, 50,
	    51 };
	struct cpcap_reorder *o = cpcap_reorder_new();
	uint64_t got[16];
	int n = 0;
	size_t i;

	ck_assert_ptr_nonnull(o);
	cpcap_reorder_sources(o, 1, 2);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		push(o, in[i].ifc, in[i].ts, (uint32_t)(i * 100 + 1));
		n += pop_all(o, false, got + n, 16 - n);
	}
	/* Interface 2's 51 waits for interface 1's next frame: the end. */
	ck_assert_int_eq(n, 9);
	n += pop_all(o, true, got + n, 16 - n);
	ck_assert_int_eq(n, 10);
	for (i = 0; i < 10; i++)
		ck_assert_uint_eq(got[i], want[i]);
	cpcap_reorder_free(o);
}
END_TEST

/* Equal times leave in arrival order; an empty queue gives nothing. */
START_TEST(test_equal_times)
{
	struct cpcap_reorder *o = cpcap_reorder_new();
	struct cpcap_frame f;
	int i;

	ck_assert_ptr_nonnull(o);
	ck_assert(!cpcap_reorder_pop(o, true, &f));
	cpcap_reorder_sources(o, 1, 2);
	for (i = 0; i < 40; i++)
		push(o, 1 + (uint32_t)(i % 2), 7, (uint32_t)i);
	for (i = 0; i < 40; i++) {
		ck_assert(cpcap_reorder_pop(o, true, &f));
		ck_assert_uint_eq(f.caplen, (uint32_t)i);
		ck_assert_uint_eq(f.capif, 1 + (uint32_t)(i % 2));
	}
	ck_assert(!cpcap_reorder_pop(o, true, &f));
	cpcap_reorder_free(o);
}
END_TEST

/*
 * An interface that never sends holds the others back only until the
 * queue passes its bound; what is handed on is still in time order.
 */
START_TEST(test_quiet_interface)
{
	struct cpcap_reorder *o = cpcap_reorder_new();
	struct cpcap_frame f;
	uint64_t last = 0, out = 0, i, total = 0;

	ck_assert_ptr_nonnull(o);
	cpcap_reorder_sources(o, 1, 2);
	for (i = 0; total <= CPCAP_REORDER_MAX + (1 << 20); i++) {
		push(o, 1, 1000 + i, 1500);
		total += 1500;
		while (cpcap_reorder_pop(o, false, &f)) {
			ck_assert_uint_ge(f.ts_ns, last);
			last = f.ts_ns;
			out++;
		}
	}
	/* Most of it was held (the bound counts bookkeeping too). */
	ck_assert_uint_gt(out, 0);
	ck_assert_uint_lt(out, i / 20);
	while (cpcap_reorder_pop(o, true, &f)) {
		ck_assert_uint_ge(f.ts_ns, last);
		last = f.ts_ns;
		out++;
	}
	ck_assert_uint_eq(out, i);
	cpcap_reorder_free(o);
}
END_TEST

/*
 * A quiet interface holds a frame back for CPCAP_REORDER_HOLD_NS of
 * capture time at most; a frame it brings within that still goes in
 * order.
 */
START_TEST(test_hold)
{
	struct cpcap_reorder *o = cpcap_reorder_new();
	struct cpcap_frame f;
	uint64_t ms = 1000000, last = 0, t;
	int out = 0;

	ck_assert_ptr_nonnull(o);
	cpcap_reorder_sources(o, 1, 2);
	for (t = 0; t <= 3000; t++) {
		push(o, 1, t * ms, 60);
		while (cpcap_reorder_pop(o, false, &f)) {
			ck_assert_uint_ge(f.ts_ns, last);
			last = f.ts_ns;
			out++;
		}
	}
	/* 3000 ms came: what is more than a second older has gone. */
	ck_assert_int_eq(out, 2000);
	push(o, 2, 2500 * ms + ms / 2, 60);
	while (cpcap_reorder_pop(o, false, &f)) {
		ck_assert_uint_ge(f.ts_ns, last);
		last = f.ts_ns;
		out++;
	}
	ck_assert_uint_eq(last, 2500 * ms + ms / 2);
	ck_assert_int_eq(out, 2000 + 501 + 1);
	while (cpcap_reorder_pop(o, true, &f)) {
		ck_assert_uint_ge(f.ts_ns, last);
		last = f.ts_ns;
		out++;
	}
	ck_assert_int_eq(out, 3002);
	cpcap_reorder_free(o);
}
END_TEST

/*
 * A new section: the interfaces of the old one can bring no more frames
 * and hold nothing back; its queued frames still leave in time order.
 */
START_TEST(test_new_section)
{
	struct cpcap_reorder *o = cpcap_reorder_new();
	uint64_t got[8];
	int n;

	ck_assert_ptr_nonnull(o);
	cpcap_reorder_sources(o, 1, 2);
	push(o, 1, 50, 10);
	ck_assert_int_eq(pop_all(o, false, got, 8), 0);
	/* Interface 3 is described later in the same section. */
	cpcap_reorder_sources(o, 1, 3);
	push(o, 2, 60, 10);
	ck_assert_int_eq(pop_all(o, false, got, 8), 0);
	cpcap_reorder_sources(o, 4, 1);
	push(o, 4, 40, 10);
	/* The new interface may still bring frames older than 50. */
	n = pop_all(o, false, got, 8);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(got[0], 40);
	push(o, 4, 70, 10);
	n = pop_all(o, false, got, 8);
	ck_assert_int_eq(n, 3);
	ck_assert_uint_eq(got[0], 50);
	ck_assert_uint_eq(got[1], 60);
	ck_assert_uint_eq(got[2], 70);
	cpcap_reorder_free(o);
}
END_TEST

static Suite *
reorder_suite(void)
{
	Suite *s = suite_create("cpcap_reorder");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_runs);
	tcase_add_test(tc, test_equal_times);
	tcase_add_test(tc, test_quiet_interface);
	tcase_add_test(tc, test_hold);
	tcase_add_test(tc, test_new_section);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(reorder_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
