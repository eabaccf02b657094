/*
 * check_cpcap_write.c - the pcap writer: files libpcap reads back, mode
 * 0600, no silent overwrite, bad records refused, and a write that fails
 * half-way (file size limit, closed pipe) leaving a valid pcap that ends
 * on a record boundary.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cilkit.h"
#include "cpcap_write.h"

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ck-cpcap-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
}

/* Read path back with libpcap; return the packet count or -1. */
static int
read_back(const char *path, uint32_t *first_caplen, char *err)
{
	char pe[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p;
	int n = 0, r;

	p = pcap_open_offline(path, pe);
	if (p == NULL) {
		snprintf(err, 256, "%s", pe);
		return -1;
	}
	while ((r = pcap_next_ex(p, &h, &d)) == 1) {
		if (n == 0 && first_caplen != NULL)
			*first_caplen = h->caplen;
		ck_assert_uint_eq(d[0], (unsigned)(n & 0xff));
		n++;
	}
	if (r != PCAP_ERROR_BREAK) {
		snprintf(err, 256, "%s", pcap_geterr(p));
		n = -1;
	}
	pcap_close(p);
	return n;
}

static void
fill(uint8_t *buf, size_t n, int seq)
{
	memset(buf, 0xab, n);
	buf[0] = (uint8_t)seq;
}

START_TEST(test_roundtrip)
{
	char path[128], eb[CILKIT_ERRBUF_SIZE], err[256] = "";
	struct cpcap_writer *w;
	struct cpcap_rechdr h = { 1700000000, 5, 60, 60 };
	uint8_t buf[100];
	struct stat st;
	uint32_t cl = 0;
	int i;

	snprintf(path, sizeof(path), "%s/a.pcap", dir);
	umask(0);
	ck_assert_int_eq(cpcap_writer_open(&w, path, 0, DLT_EN10MB, 100,
	    CPCAP_TS_USEC, eb, sizeof(eb)), 0);
	umask(022);
	for (i = 0; i < 3; i++) {
		fill(buf, sizeof(buf), i);
		ck_assert_int_eq(cpcap_writer_write(w, &h, buf, eb,
		    sizeof(eb)), 0);
	}
	ck_assert_uint_eq(cpcap_writer_packets(w), 3);
	ck_assert_uint_eq(cpcap_writer_bytes(w), 24 + 3 * (16 + 60));
	ck_assert_int_eq(cpcap_writer_close(w, eb, sizeof(eb)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_size, 24 + 3 * (16 + 60));
	ck_assert_int_eq(read_back(path, &cl, err), 3);
	ck_assert_uint_eq(cl, 60);

	/* No silent overwrite; --force replaces and re-privatises. */
	ck_assert_int_eq(cpcap_writer_open(&w, path, 0, DLT_EN10MB, 100,
	    CPCAP_TS_USEC, eb, sizeof(eb)), CILKIT_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb, "file exists"));
	ck_assert_ptr_null(w);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(cpcap_writer_open(&w, path, CPCAP_W_FORCE,
	    DLT_EN10MB, 100, CPCAP_TS_NSEC, eb, sizeof(eb)), 0);
	ck_assert_int_eq(cpcap_writer_close(w, eb, sizeof(eb)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_size, 24);
	ck_assert_int_eq(read_back(path, NULL, err), 0);
}
END_TEST

/* Bad parameters and records: refused, nothing written. */
struct bad_rec {
	struct cpcap_rechdr h;
	const char *errpart;
};

static const struct bad_rec bad_recs[] = {
	{ { 1, 0, 101, 101 }, "caplen 101" },		/* > snaplen */
	{ { 1, 0, 50, 40 }, "caplen 50, len 40" },	/* caplen > len */
	{ { 1, 1000000, 10, 10 }, "bad record" },	/* usec overflow */
	{ { 1, 0xffffffff, 10, 10 }, "bad record" },
};

START_TEST(test_bad_record)
{
	char path[128], eb[CILKIT_ERRBUF_SIZE] = "";
	struct cpcap_writer *w;
	uint8_t buf[200] = { 0 };

	snprintf(path, sizeof(path), "%s/b%d.pcap", dir, _i);
	ck_assert_int_eq(cpcap_writer_open(&w, path, 0, DLT_EN10MB, 100,
	    CPCAP_TS_USEC, eb, sizeof(eb)), 0);
	ck_assert_int_eq(cpcap_writer_write(w, &bad_recs[_i].h, buf, eb,
	    sizeof(eb)), CILKIT_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb, bad_recs[_i].errpart));
	ck_assert_uint_eq(cpcap_writer_packets(w), 0);
	ck_assert_int_eq(cpcap_writer_close(w, eb, sizeof(eb)), 0);
}
END_TEST

START_TEST(test_bad_params)
{
	char path[128], eb[CILKIT_ERRBUF_SIZE] = "";
	struct cpcap_writer *w;

	snprintf(path, sizeof(path), "%s/p.pcap", dir);
	ck_assert_int_eq(cpcap_writer_open(&w, path, 0, DLT_EN10MB, 0,
	    CPCAP_TS_USEC, eb, sizeof(eb)), CILKIT_EINVAL);
	ck_assert_int_eq(cpcap_writer_open(&w, path, 0, DLT_EN10MB,
	    CPCAP_MAX_SNAPLEN + 1, CPCAP_TS_USEC, eb, sizeof(eb)),
	    CILKIT_EINVAL);
	ck_assert_int_eq(cpcap_writer_open(&w, "", 0, DLT_EN10MB, 10,
	    CPCAP_TS_USEC, eb, sizeof(eb)), CILKIT_EINVAL);
	ck_assert_int_eq(cpcap_writer_open(&w, dir, 0, DLT_EN10MB, 10,
	    CPCAP_TS_USEC, eb, sizeof(eb)), CILKIT_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb, "directory"));
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(cpcap_writer_close(NULL, eb, sizeof(eb)), 0);
}
END_TEST

/*
 * A file size limit stands in for a full disk: the buffered write stops
 * part-way through a record, and the file must be cut back to the last
 * whole record.
 */
START_TEST(test_short_write_cut_back)
{
	char path[128], eb[CILKIT_ERRBUF_SIZE] = "", err[256] = "";
	struct cpcap_writer *w;
	struct cpcap_rechdr h = { 1700000000, 0, 100, 1500 };
	struct rlimit rl = { 1000, 1000 };
	uint8_t buf[100];
	struct stat st;
	int i, n;

	snprintf(path, sizeof(path), "%s/full.pcap", dir);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	ck_assert_int_eq(cpcap_writer_open(&w, path, 0, DLT_EN10MB, 100,
	    CPCAP_TS_USEC, eb, sizeof(eb)), 0);
	for (i = 0; i < 20; i++) {
		fill(buf, sizeof(buf), i);
		ck_assert_int_eq(cpcap_writer_write(w, &h, buf, eb,
		    sizeof(eb)), 0);
	}
	ck_assert_int_eq(cpcap_writer_flush(w, eb, sizeof(eb)), CILKIT_EIO);
	ck_assert_int_eq(cpcap_writer_errno(w), EFBIG);
	/* After a failure everything is refused. */
	ck_assert_int_eq(cpcap_writer_write(w, &h, buf, eb, sizeof(eb)),
	    CILKIT_EIO);
	/* (1000 - 24) / 116 = 8 whole records fit. */
	ck_assert_uint_eq(cpcap_writer_packets(w), 8);
	ck_assert_int_eq(cpcap_writer_close(w, eb, sizeof(eb)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 24 + 8 * 116);
	n = read_back(path, NULL, err);
	ck_assert_msg(n == 8, "read back %d: %s", n, err);
}
END_TEST

/* A reader that went away: EIO with EPIPE, not a signal. */
START_TEST(test_broken_pipe)
{
	char eb[CILKIT_ERRBUF_SIZE] = "";
	struct cpcap_writer *w;
	struct cpcap_rechdr h = { 1, 0, 10, 10 };
	uint8_t buf[10] = { 0 };
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(cpcap_writer_fdopen(&w, fds[1], "pipe", 0,
	    DLT_EN10MB, 100, CPCAP_TS_USEC, eb, sizeof(eb)), 0);
	close(fds[0]);
	/* Pipes flush every record, so the first write fails at once. */
	ck_assert_int_eq(cpcap_writer_write(w, &h, buf, eb, sizeof(eb)),
	    CILKIT_EIO);
	ck_assert_int_eq(cpcap_writer_errno(w), EPIPE);
	ck_assert_ptr_nonnull(strstr(eb, "Broken pipe"));
	ck_assert_int_eq(cpcap_writer_close(w, eb, sizeof(eb)), 0);
	close(fds[1]);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("cpcap_write");
	TCase *tc = tcase_create("write");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_loop_test(tc, test_bad_record, 0,
	    sizeof(bad_recs) / sizeof(bad_recs[0]));
	tcase_add_test(tc, test_bad_params);
	tcase_add_test(tc, test_short_write_cut_back);
	tcase_add_test(tc, test_broken_pipe);
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
