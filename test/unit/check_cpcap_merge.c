/*
 * check_cpcap_merge.c - time-ordered merge of record streams: output in
 * timestamp order across sources, records held back while a live
 * source is quiet and let go by the hold time, the byte cap or the end,
 * precision conversion, and bad-input rows.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cilkit.h"
#include "cpcap_merge.h"
#include "cpcap_write.h"

static char path[64];

static struct cpcap_writer *
open_w(int tsprec)
{
	struct cpcap_writer *w;
	char eb[CILKIT_ERRBUF_SIZE];

	snprintf(path, sizeof(path), "/tmp/ck-cpcap-merge-%d.pcap",
	    (int)getpid());
	unlink(path);
	ck_assert_int_eq(cpcap_writer_open(&w, path, 0, DLT_EN10MB, 1000,
	    tsprec, eb, sizeof(eb)), 0);
	return w;
}

/* Read back: the first data byte of each record, and check the order. */
static int
read_order(uint8_t *tags, int max)
{
	char pe[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct timeval prev = { 0, 0 };
	pcap_t *p;
	int n = 0;

	p = pcap_open_offline(path, pe);
	ck_assert_msg(p != NULL, "%s", pe);
	while (pcap_next_ex(p, &h, &d) == 1 && n < max) {
		ck_assert(timercmp(&prev, &h->ts, <=));
		prev = h->ts;
		tags[n++] = d[0];
	}
	pcap_close(p);
	unlink(path);
	return n;
}

static void
push(struct cpcap_merge *m, int src, uint32_t sec, uint32_t frac, int prec,
    uint8_t tag, int64_t arrival)
{
	struct cpcap_rechdr h = { sec, frac, 4, 60 };
	uint8_t d[4] = { tag, 0, 0, 0 };
	char eb[CILKIT_ERRBUF_SIZE];

	ck_assert_int_eq(cpcap_merge_push(m, src, &h, prec, d, arrival, eb,
	    sizeof(eb)), 0);
}

START_TEST(test_order)
{
	struct cpcap_merge *m;
	struct cpcap_writer *w = open_w(CPCAP_TS_NSEC);
	char eb[CILKIT_ERRBUF_SIZE];
	uint8_t tags[16];
	int n;

	ck_assert_int_eq(cpcap_merge_new(&m, 3, 1000, 1 << 20, eb,
	    sizeof(eb)), 0);
	/* Source 0 usec, sources 1 and 2 nsec; interleaved times. */
	push(m, 0, 100, 500000, CPCAP_TS_USEC, 'b', 0);	/* 100.5 */
	push(m, 1, 100, 100000000, CPCAP_TS_NSEC, 'a', 0);	/* 100.1 */
	/* Source 2 has nothing yet: nothing may go. */
	ck_assert_int_eq(cpcap_merge_pump(m, w, 10, 0, eb, sizeof(eb)), 0);
	push(m, 2, 100, 700000000, CPCAP_TS_NSEC, 'c', 20);	/* 100.7 */
	/* Every source has one: the oldest go while that holds. */
	ck_assert_int_eq(cpcap_merge_pump(m, w, 20, 0, eb, sizeof(eb)), 1);
	push(m, 1, 100, 900000000, CPCAP_TS_NSEC, 'd', 30);
	push(m, 0, 101, 0, CPCAP_TS_USEC, 'e', 30);
	/*
	 * b and c go while every source has one queued; then source 2 is
	 * empty and d arrived at 30, after now - hold = 25: it waits.
	 */
	ck_assert_int_eq(cpcap_merge_pump(m, w, 1025, 0, eb, sizeof(eb)),
	    2);
	ck_assert_uint_eq(cpcap_merge_queued(m), 2);
	/* Past their hold time d and e go. */
	ck_assert_int_eq(cpcap_merge_pump(m, w, 1030, 0, eb, sizeof(eb)),
	    2);
	/* Ended sources hold nothing back. */
	cpcap_merge_done(m, 0);
	cpcap_merge_done(m, 1);
	push(m, 2, 102, 0, CPCAP_TS_NSEC, 'f', 1040);
	ck_assert_int_eq(cpcap_merge_pump(m, w, 1041, 0, eb, sizeof(eb)), 1);
	ck_assert_uint_eq(cpcap_merge_queued(m), 0);
	cpcap_merge_free(m);
	ck_assert_int_eq(cpcap_writer_close(w, eb, sizeof(eb)), 0);
	n = read_order(tags, 16);
	ck_assert_int_eq(n, 6);
	ck_assert_int_eq(memcmp(tags, "abcdef", 6), 0);
}
END_TEST

/* Equal timestamps keep arrival order; usec output rounds down. */
START_TEST(test_ties_and_usec)
{
	struct cpcap_merge *m;
	struct cpcap_writer *w = open_w(CPCAP_TS_USEC);
	char eb[CILKIT_ERRBUF_SIZE];
	uint8_t tags[16];

	ck_assert_int_eq(cpcap_merge_new(&m, 2, 0, 1 << 20, eb,
	    sizeof(eb)), 0);
	push(m, 1, 5, 123456789, CPCAP_TS_NSEC, 'x', 0);
	push(m, 0, 5, 123456, CPCAP_TS_USEC, 'y', 0);
	push(m, 1, 5, 123456000, CPCAP_TS_NSEC, 'z', 0);
	ck_assert_int_eq(cpcap_merge_pump(m, w, 0, 1, eb, sizeof(eb)), 3);
	cpcap_merge_free(m);
	ck_assert_int_eq(cpcap_writer_close(w, eb, sizeof(eb)), 0);
	ck_assert_int_eq(read_order(tags, 16), 3);
	ck_assert_int_eq(memcmp(tags, "yzx", 3), 0);
}
END_TEST

/* Over the byte cap, records go even while a source is quiet. */
START_TEST(test_cap)
{
	struct cpcap_merge *m;
	struct cpcap_writer *w = open_w(CPCAP_TS_USEC);
	char eb[CILKIT_ERRBUF_SIZE];
	uint8_t tags[16];
	int i;

	ck_assert_int_eq(cpcap_merge_new(&m, 2, 100000, 200, eb,
	    sizeof(eb)), 0);
	for (i = 0; i < 8; i++)
		push(m, 0, 10 + (uint32_t)i, 0, CPCAP_TS_USEC,
		    (uint8_t)('0' + i), 0);
	ck_assert_int_gt(cpcap_merge_pump(m, w, 0, 0, eb, sizeof(eb)), 0);
	ck_assert_uint_lt(cpcap_merge_queued(m), 8);
	cpcap_merge_free(m);	/* frees what is left */
	ck_assert_int_eq(cpcap_writer_close(w, eb, sizeof(eb)), 0);
	ck_assert_int_gt(read_order(tags, 16), 0);
	ck_assert_int_eq(tags[0], '0');
}
END_TEST

START_TEST(test_bad)
{
	struct cpcap_merge *m;
	struct cpcap_rechdr h = { 1, 0, 4, 4 };
	struct cpcap_rechdr big = { 1, 0, CPCAP_MAX_SNAPLEN + 1, 1 << 20 };
	uint8_t d[4] = { 0 };
	char eb[CILKIT_ERRBUF_SIZE];

	ck_assert_int_eq(cpcap_merge_new(&m, 0, 0, 100, eb, sizeof(eb)),
	    CILKIT_EINVAL);
	ck_assert_int_eq(cpcap_merge_new(&m, 2000, 0, 100, eb, sizeof(eb)),
	    CILKIT_EINVAL);
	ck_assert_int_eq(cpcap_merge_new(&m, 2, -1, 100, eb, sizeof(eb)),
	    CILKIT_EINVAL);
	ck_assert_int_eq(cpcap_merge_new(&m, 2, 0, 100, eb, sizeof(eb)), 0);
	ck_assert_int_eq(cpcap_merge_push(m, 2, &h, CPCAP_TS_USEC, d, 0, eb,
	    sizeof(eb)), CILKIT_EINVAL);
	ck_assert_int_eq(cpcap_merge_push(m, -1, &h, CPCAP_TS_USEC, d, 0, eb,
	    sizeof(eb)), CILKIT_EINVAL);
	ck_assert_int_eq(cpcap_merge_push(m, 0, &big, CPCAP_TS_USEC, d, 0,
	    eb, sizeof(eb)), CILKIT_EINVAL);
	cpcap_merge_done(m, 99);	/* ignored */
	ck_assert_uint_eq(cpcap_merge_queued(m), 0);
	cpcap_merge_free(m);
	cpcap_merge_free(NULL);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("cpcap_merge");
	TCase *tc = tcase_create("merge");

	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_ties_and_usec);
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_bad);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
