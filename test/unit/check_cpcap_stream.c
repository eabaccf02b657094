/*
 * check_cpcap_stream.c - incremental pcap validation: records come out
 * whole whatever the chunking, a stream cut at any byte leaves exactly
 * the complete records, and damaged headers are refused with the byte
 * offset and record number (bad-input rows).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cilkit.h"
#include "cpcap_stream.h"
#include "cpcap_write.h"

struct sink {
	struct cpcap_stream_info info;
	int ninfo;
	int nrec;
	uint32_t caplens[64];
	uint32_t fracs[64];
	uint8_t first[64];
	int stop_at;		/* return 1 on this record (1-based), 0: never */
};

static int
on_info(void *arg, const struct cpcap_stream_info *info)
{
	struct sink *k = arg;

	k->info = *info;
	k->ninfo++;
	return 0;
}

static int
on_rec(void *arg, const struct cpcap_rechdr *h, const uint8_t *data)
{
	struct sink *k = arg;

	if (k->nrec < 64) {
		k->caplens[k->nrec] = h->caplen;
		k->fracs[k->nrec] = h->ts_frac;
		k->first[k->nrec] = h->caplen > 0 ? data[0] : 0xff;
	}
	k->nrec++;
	return k->stop_at != 0 && k->nrec == k->stop_at ? 1 : 0;
}

static void
put32(uint8_t *p, uint32_t v, int swap)
{
	if (swap)
		v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

/*
 * Build a capture: header with magic/snaplen, then n records with
 * caplen 10*(i+1), len caplen+5, first data byte i.  Returns its size.
 */
static size_t
build(uint8_t *buf, uint32_t magic, uint32_t snaplen, int n, int swap)
{
	size_t o = 24;
	int i;
	uint16_t v;

	memset(buf, 0, 24);
	put32(buf, magic, swap);
	v = swap ? __builtin_bswap16(2) : 2;
	memcpy(buf + 4, &v, 2);
	v = swap ? __builtin_bswap16(4) : 4;
	memcpy(buf + 6, &v, 2);
	put32(buf + 16, snaplen, swap);
	put32(buf + 20, 1, swap);
	for (i = 0; i < n; i++) {
		uint32_t cl = 10 * (uint32_t)(i + 1);

		put32(buf + o, 1700000000 + (uint32_t)i, swap);
		put32(buf + o + 4, 1000 * (uint32_t)i, swap);
		put32(buf + o + 8, cl, swap);
		put32(buf + o + 12, cl + 5, swap);
		memset(buf + o + 16, 0xcc, cl);
		buf[o + 16] = (uint8_t)i;
		o += 16 + cl;
	}
	return o;
}

static int
run(const uint8_t *buf, size_t len, size_t chunk, struct sink *k,
    char *eb, size_t eblen, int *endrc)
{
	struct cpcap_stream *s;
	size_t off, n;
	int rc = 0;

	ck_assert_int_eq(cpcap_stream_new(&s, "t", on_info, on_rec, k, eb,
	    eblen), 0);
	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < chunk ? len - off : chunk;
		rc = cpcap_stream_feed(s, buf + off, n, eb, eblen);
	}
	*endrc = rc == 0 ? cpcap_stream_end(s, eb, eblen) : rc;
	cpcap_stream_free(s);
	return rc;
}

START_TEST(test_chunking)
{
	static const size_t chunks[] = { 1, 2, 7, 16, 17, 24, 100, 4096 };
	uint8_t buf[2048];
	char eb[CILKIT_ERRBUF_SIZE];
	struct sink k;
	size_t len;
	int endrc, i;

	len = build(buf, CPCAP_MAGIC_USEC, 65535, 6, 0);
	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(run(buf, len, chunks[_i], &k, eb, sizeof(eb),
	    &endrc), 0);
	ck_assert_int_eq(endrc, 0);
	ck_assert_int_eq(k.ninfo, 1);
	ck_assert_uint_eq(k.info.snaplen, 65535);
	ck_assert_uint_eq(k.info.linktype, 1);
	ck_assert_int_eq(k.info.tsprec, CPCAP_TS_USEC);
	ck_assert_int_eq(k.nrec, 6);
	for (i = 0; i < 6; i++) {
		ck_assert_uint_eq(k.caplens[i], 10 * (i + 1));
		ck_assert_uint_eq(k.first[i], i);
		ck_assert_uint_eq(k.fracs[i], 1000 * i);
	}
}
END_TEST

/* Cut at every byte: exactly the whole records come out. */
START_TEST(test_cut_anywhere)
{
	uint8_t buf[2048];
	char eb[CILKIT_ERRBUF_SIZE];
	size_t len, cut, bound[8];
	struct sink k;
	int endrc, i, want;

	len = build(buf, CPCAP_MAGIC_NSEC, 65535, 4, 0);
	bound[0] = 24;
	for (i = 0; i < 4; i++)
		bound[i + 1] = bound[i] + 16 + 10 * (size_t)(i + 1);
	ck_assert_uint_eq(bound[4], len);
	for (cut = 0; cut <= len; cut++) {
		memset(&k, 0, sizeof(k));
		ck_assert_int_eq(run(buf, cut, 5, &k, eb, sizeof(eb),
		    &endrc), 0);
		want = 0;
		for (i = 1; i <= 4; i++)
			if (cut >= bound[i])
				want = i;
		ck_assert_int_eq(k.nrec, want);
		if (cut == bound[want] && cut >= 24)
			ck_assert_int_eq(endrc, 0);
		else
			ck_assert_int_eq(endrc, CILKIT_ETRUNC);
	}
}
END_TEST

START_TEST(test_swapped)
{
	uint8_t buf[2048];
	char eb[CILKIT_ERRBUF_SIZE];
	struct sink k;
	size_t len;
	int endrc;

	len = build(buf, CPCAP_MAGIC_NSEC, 100, 3, 1);
	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(run(buf, len, 3, &k, eb, sizeof(eb), &endrc), 0);
	ck_assert_int_eq(endrc, 0);
	ck_assert_int_eq(k.info.swapped, 1);
	ck_assert_int_eq(k.info.tsprec, CPCAP_TS_NSEC);
	ck_assert_int_eq(k.nrec, 3);
	ck_assert_uint_eq(k.caplens[2], 30);
	ck_assert_uint_eq(k.fracs[1], 1000);
}
END_TEST

/* Damaged streams: refused, with the records before kept. */
struct bad_case {
	const char *what;
	size_t at;		/* byte to overwrite */
	uint32_t val;		/* 32-bit value written there (host order) */
	int use_text;		/* replace the whole stream by text */
	int rc;
	int nrec;		/* records delivered before the error */
	const char *errpart;
};

/* Record 2 starts at 24 + 26 = 50 in a 65535-snaplen capture. */
static const struct bad_case bad_cases[] = {
	{ "caplen over snaplen", 58, 70000, 0, CILKIT_EINVAL, 1,
	  "offset 50: record 2: caplen 70000 over the snaplen 65535" },
	{ "len below caplen", 62, 3, 0, CILKIT_EINVAL, 1,
	  "record 2: bad packet length 3" },
	{ "len absurd", 62, 0x7fffffff, 0, CILKIT_EINVAL, 1,
	  "bad packet length" },
	{ "usec out of range", 54, 1000000, 0, CILKIT_EINVAL, 1,
	  "record 2: bad timestamp fraction" },
	{ "first record bad", 32, 0xffffffff, 0, CILKIT_EINVAL, 0,
	  "offset 24: record 1" },
	{ "pcapng", 0, 0x0a0d0d0a, 0, CILKIT_EUNSUPPORTED, 0, "pcapng" },
	{ "bad magic", 0, 0x12345678, 0, CILKIT_EINVAL, 0,
	  "not a pcap stream" },
	{ "version 1", 4, 0x00040001, 0, CILKIT_EINVAL, 0, "version 1" },
	{ "tcpdump's error text", 0, 0, 1, CILKIT_EINVAL, 0,
	  "starts with \"tcpdump: lxc9: No such d\"" },
};

START_TEST(test_bad)
{
	const struct bad_case *tc = &bad_cases[_i];
	static const char text[] =
	    "tcpdump: lxc9: No such device exists\n(SIOCGIFHWADDR: No such "
	    "device)\n";
	uint8_t buf[2048];
	char eb[CILKIT_ERRBUF_SIZE] = "";
	struct sink k;
	size_t len;
	int endrc, rc;

	len = build(buf, CPCAP_MAGIC_USEC, 65535, 4, 0);
	if (tc->use_text) {
		memcpy(buf, text, sizeof(text) - 1);
		len = sizeof(text) - 1;
	} else
		memcpy(buf + tc->at, &tc->val, 4);
	memset(&k, 0, sizeof(k));
	rc = run(buf, len, 9, &k, eb, sizeof(eb), &endrc);
	ck_assert_msg(rc == tc->rc, "%s: rc %d: %s", tc->what, rc, eb);
	ck_assert_int_eq(endrc, tc->rc);
	ck_assert_int_eq(k.nrec, tc->nrec);
	ck_assert_msg(strstr(eb, tc->errpart) != NULL, "%s: %s", tc->what, eb);
}
END_TEST

/* snaplen 0 in the header means the maximum, as libpcap reads it. */
START_TEST(test_snaplen_zero)
{
	uint8_t buf[2048];
	char eb[CILKIT_ERRBUF_SIZE];
	struct sink k;
	size_t len;
	int endrc;

	len = build(buf, CPCAP_MAGIC_USEC, 0, 2, 0);
	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(run(buf, len, 4096, &k, eb, sizeof(eb), &endrc), 0);
	ck_assert_uint_eq(k.info.snaplen, CPCAP_MAX_SNAPLEN);
	ck_assert_int_eq(k.nrec, 2);
}
END_TEST

/* The consumer can stop the stream (a full disk downstream). */
START_TEST(test_consumer_stop)
{
	uint8_t buf[2048];
	char eb[CILKIT_ERRBUF_SIZE];
	struct sink k;
	size_t len;
	int endrc;

	len = build(buf, CPCAP_MAGIC_USEC, 65535, 5, 0);
	memset(&k, 0, sizeof(k));
	k.stop_at = 2;
	ck_assert_int_eq(run(buf, len, 4096, &k, eb, sizeof(eb), &endrc), 1);
	ck_assert_int_eq(k.nrec, 2);
	ck_assert_ptr_nonnull(strstr(eb, "stopped by the consumer"));
}
END_TEST

/* Stream -> writer -> file that libpcap reads back whole. */
static int
w_info(void *arg, const struct cpcap_stream_info *info)
{
	struct cpcap_writer **wp = arg;
	char path[64], eb[CILKIT_ERRBUF_SIZE];

	snprintf(path, sizeof(path), "/tmp/ck-cpcap-stream-%d.pcap",
	    (int)getpid());
	unlink(path);
	return cpcap_writer_open(wp, path, 0, (int)info->linktype,
	    info->snaplen, info->tsprec, eb, sizeof(eb)) != 0;
}

static int
w_rec(void *arg, const struct cpcap_rechdr *h, const uint8_t *data)
{
	struct cpcap_writer **wp = arg;
	char eb[CILKIT_ERRBUF_SIZE];

	return cpcap_writer_write(*wp, h, data, eb, sizeof(eb)) != 0;
}

START_TEST(test_to_writer)
{
	uint8_t buf[2048];
	char eb[CILKIT_ERRBUF_SIZE], path[64], pe[PCAP_ERRBUF_SIZE];
	struct cpcap_writer *w = NULL;
	struct cpcap_stream *s;
	struct pcap_pkthdr *ph;
	const u_char *d;
	size_t len;
	pcap_t *p;
	int n = 0;

	len = build(buf, CPCAP_MAGIC_USEC, 65535, 5, 1);
	ck_assert_int_eq(cpcap_stream_new(&s, "t", w_info, w_rec, &w, eb,
	    sizeof(eb)), 0);
	/* Cut inside the last record: four whole ones remain. */
	ck_assert_int_eq(cpcap_stream_feed(s, buf, len - 7, eb, sizeof(eb)),
	    0);
	ck_assert_int_eq(cpcap_stream_end(s, eb, sizeof(eb)), CILKIT_ETRUNC);
	cpcap_stream_free(s);
	ck_assert_int_eq(cpcap_writer_close(w, eb, sizeof(eb)), 0);
	snprintf(path, sizeof(path), "/tmp/ck-cpcap-stream-%d.pcap",
	    (int)getpid());
	p = pcap_open_offline(path, pe);
	ck_assert_msg(p != NULL, "%s", pe);
	while (pcap_next_ex(p, &ph, &d) == 1) {
		ck_assert_uint_eq(ph->caplen, 10 * (n + 1));
		ck_assert_uint_eq(d[0], n);
		n++;
	}
	pcap_close(p);
	unlink(path);
	ck_assert_int_eq(n, 4);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("cpcap_stream");
	TCase *tc = tcase_create("stream");

	tcase_add_loop_test(tc, test_chunking, 0, 8);
	tcase_add_test(tc, test_cut_anywhere);
	tcase_add_test(tc, test_swapped);
	tcase_add_loop_test(tc, test_bad, 0,
	    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_snaplen_zero);
	tcase_add_test(tc, test_consumer_stop);
	tcase_add_test(tc, test_to_writer);
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
