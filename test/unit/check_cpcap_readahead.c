/*
 * check_cpcap_readahead.c - the read-ahead thread hands out exactly what
 * the reader itself reads: same records, bytes, order, end, error
 * message and counts, on every shared capture (damaged ones included),
 * with a filter, and on generated captures that cross its batch limits
 * by record count and by bytes, whole and cut inside a record.  And a
 * stop while the thread waits on an empty pipe returns at once.
 *
 * Each file is compared twice: read by libpcap directly against read in
 * place (cpcap_inplace.h) through the read-ahead, whose blocks are then
 * read in a thread; and read in place directly against read by libpcap
 * through the read-ahead's copying thread.  So libpcap and the in-place
 * reader agree too, with and without their threads.  The read-ahead's
 * side is read in batches (cpcap_readahead_batch()).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <pcap/pcap.h>

#include "cilkit.h"
#include "cpcap_read.h"
#include "test_pcap_open.h"
#include "cpcap_readahead.h"

/*
 * Under AddressSanitizer, a thread ended by pthread_cancel() trips a
 * false stack-buffer-overflow in ASan's own sigaltstack call as the
 * thread exits (google/sanitizers#1399: cancellation unwinds frames
 * without unpoisoning them).  test_stop_on_idle_pipe cancels; ASan's
 * alternate signal stack is not needed by these tests.
 */
__attribute__((used)) const char *__asan_default_options(void);

__attribute__((used)) const char *
__asan_default_options(void)
{
	return "use_sigaltstack=0";
}

/*
 * Read path directly (libpcap's reading if lib1) and through the
 * read-ahead (the other); compare.  Returns the number of records.
 */
static uint64_t
compare_as(const char *path, const char *filter, bool lib1)
{
	char eb1[CILKIT_ERRBUF_SIZE] = "", eb2[CILKIT_ERRBUF_SIZE] = "";
	struct cpcap_reader *r1, *r2;
	struct cpcap_readahead *ra;
	struct cpcap_frame f1, f2, fb[13];
	uint64_t n = 0;
	int rc1, rc2, i;

	r1 = open_as(path, lib1, eb1, sizeof(eb1));
	r2 = open_as(path, !lib1, eb2, sizeof(eb2));
	if (r1 == NULL) {
		ck_assert_ptr_null(r2);
		return 0;
	}
	ck_assert_ptr_nonnull(r2);
	if (filter != NULL) {
		ck_assert_int_eq(cpcap_reader_set_filter(r1, filter, eb1,
		    sizeof(eb1)), 0);
		ck_assert_int_eq(cpcap_reader_set_filter(r2, filter, eb2,
		    sizeof(eb2)), 0);
	}
	ra = cpcap_readahead_start(r2);
	ck_assert_ptr_nonnull(ra);
	/*
	 * The read-ahead's side in batches (of 13: not a divisor of its
	 * own), the reader's one record at a time.
	 */
	for (;;) {
		rc2 = cpcap_readahead_batch(ra, fb, 13, eb2, sizeof(eb2));
		for (i = 0; i < rc2; i++) {
			rc1 = cpcap_reader_next(r1, &f1, eb1, sizeof(eb1));
			ck_assert_msg(rc1 == 1, "%s: record %llu: rc %d", path,
			    (unsigned long long)n, rc1);
			ck_assert_uint_eq(f1.ts_ns, fb[i].ts_ns);
			ck_assert_uint_eq(f1.caplen, fb[i].caplen);
			ck_assert_uint_eq(f1.wirelen, fb[i].wirelen);
			ck_assert_msg(memcmp(f1.data, fb[i].data, f1.caplen) ==
			    0, "%s: record %llu differs", path,
			    (unsigned long long)n);
			n++;
		}
		if (rc2 <= 0)
			break;
	}
	rc1 = cpcap_reader_next(r1, &f1, eb1, sizeof(eb1));
	ck_assert_msg(rc1 == rc2, "%s: record %llu: rc %d vs %d", path,
	    (unsigned long long)n, rc1, rc2);
	if (rc1 < 0)
		ck_assert_str_eq(eb1, eb2);
	/* The end is said again. */
	ck_assert_int_eq(cpcap_readahead_next(ra, &f2, eb2, sizeof(eb2)), rc1);
	cpcap_readahead_stop(ra);
	ck_assert_uint_eq(cpcap_reader_count(r1), cpcap_reader_count(r2));
	ck_assert_uint_eq(cpcap_reader_filtered(r1),
	    cpcap_reader_filtered(r2));
	cpcap_reader_free(r1);
	cpcap_reader_free(r2);
	return n;
}

/* Both ways round (see the top); the number of records. */
static uint64_t
compare(const char *path, const char *filter)
{
	uint64_t n = compare_as(path, filter, true);

	ck_assert_uint_eq(compare_as(path, filter, false), n);
	return n;
}

START_TEST(test_shared)
{
	static const char *const dirs[] = { "libpcap", "tcpdump", "zeek",
	    "other" };
	const char *sd = getenv("SHARED_DATA");
	char dir[1024], path[2048];
	struct dirent *de;
	uint64_t total = 0;
	size_t i, files = 0;
	DIR *d;

	if (sd == NULL)
		return;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/pcap/%s", sd, dirs[i]);
		if ((d = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (strstr(de->d_name, ".pcap") == NULL)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			total += compare(path, NULL);
			compare(path, "tcp");
			files++;
		}
		closedir(d);
	}
	ck_assert_uint_gt(files, 20);
	ck_assert_uint_gt(total, 2000);
}
END_TEST

/* A capture of n records of varying sizes up to big, at path. */
static void
write_capture(const char *path, int n, int big)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
	pcap_dumper_t *dp;
	struct pcap_pkthdr h;
	static uint8_t buf[262144];
	int i;
	size_t j;

	ck_assert_ptr_nonnull(dead);
	dp = pcap_dump_open(dead, path);
	ck_assert_ptr_nonnull(dp);
	for (j = 0; j < sizeof(buf); j++)
		buf[j] = (uint8_t)(j * 7 + j / 251);
	for (i = 0; i < n; i++) {
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = 1700000000 + i / 1000;
		h.ts.tv_usec = i % 1000;
		h.caplen = (bpf_u_int32)(i % 7 == 0 ? big - i % 100 : 60 + i % 40);
		h.len = h.caplen + (bpf_u_int32)(i % 3);
		buf[0] = (uint8_t)i;
		pcap_dump((u_char *)dp, &h, buf);
	}
	pcap_dump_close(dp);
	pcap_close(dead);
}

START_TEST(test_batches)
{
	char path[] = "/tmp/check_cpcap_readahead.XXXXXX";
	int fd = mkstemp(path);
	off_t size;
	char eb[CILKIT_ERRBUF_SIZE];
	struct cpcap_reader *r;

	/* over the record limit of a batch (4096), small records */
	write_capture(path, 20000, 100);
	/* (what libpcap writes is read in place) */
	r = open_as(path, false, eb, sizeof(eb));
	ck_assert_msg(r != NULL, "%s", eb);
	ck_assert(cpcap_reader_in_place(r));
	cpcap_reader_free(r);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_uint_eq(compare(path, NULL), 20000);
	/* over the byte limit (1 MiB): records up to 256 KiB */
	write_capture(path, 300, 262144);
	ck_assert_uint_eq(compare(path, NULL), 300);
	ck_assert_uint_eq(compare(path, "len > 1000"), 43);
	/*
	 * Cut inside a record: same records, then the same error.  The
	 * last 1000 bytes hold records 295..299 (small) and the end of
	 * record 294 (big).
	 */
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	size = lseek(fd, 0, SEEK_END);
	ck_assert_int_eq(ftruncate(fd, size - 1000), 0);
	close(fd);
	ck_assert_uint_eq(compare(path, NULL), 294);
	unlink(path);
}
END_TEST

/* stop() while the thread waits for a pipe that never writes. */
START_TEST(test_stop_on_idle_pipe)
{
	static const uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0 };
	char eb[CILKIT_ERRBUF_SIZE];
	struct cpcap_reader *r;
	struct cpcap_readahead *ra;
	int p[2];
	FILE *fp;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], hdr, sizeof(hdr)), (int)sizeof(hdr));
	fp = fdopen(p[0], "rb");
	ck_assert_ptr_nonnull(fp);
	r = cpcap_reader_open(fp, "pipe", NULL, 0, eb, sizeof(eb));
	ck_assert_msg(r != NULL, "%s", eb);
	ra = cpcap_readahead_start(r);
	ck_assert_ptr_nonnull(ra);
	usleep(50000);
	cpcap_readahead_stop(ra);	/* the test's timeout catches a hang */
	cpcap_reader_free(r);
	close(p[1]);
}
END_TEST

static Suite *
ra_suite(void)
{
	Suite *s = suite_create("cpcap_readahead");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_shared);
	tcase_add_test(tc, test_batches);
	tcase_add_test(tc, test_stop_on_idle_pipe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ra_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
