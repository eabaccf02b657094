/*
 * check_cpcap_inplace.c - pcap files read in place (cpcap_inplace.h)
 * give what libpcap gives, record for record and error for error, on
 * hand-built files at the edges libpcap handles specially: a captured
 * length above the snapshot length (cut) or above the maximum (refused),
 * a file header snaplen of 0, files cut inside a record header, inside
 * its data and inside the part past the snapshot length, signed and
 * out-of-range timestamps in both resolutions, an empty file, and a
 * filter.  Files the in-place reader must leave to libpcap (other byte
 * order, older version, a link type we do not decode, pcapng, a pipe)
 * are left to it.  The shared captures and big generated ones are
 * compared in check_cpcap_readahead.c.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cilkit.h"
#include "cpcap_read.h"
#include "test_pcap_open.h"

/* A capture being built, in the host's byte order. */
struct cap {
	uint8_t		 b[1 << 20];
	size_t		 n;
};

static void
put32(struct cap *c, uint32_t v)
{
	memcpy(c->b + c->n, &v, 4);
	c->n += 4;
}

static void
put16(struct cap *c, uint16_t v)
{
	memcpy(c->b + c->n, &v, 2);
	c->n += 2;
}

static void
file_header(struct cap *c, uint32_t magic, uint16_t major, uint16_t minor,
    uint32_t snaplen, uint32_t linktype)
{
	c->n = 0;
	put32(c, magic);
	put16(c, major);
	put16(c, minor);
	put32(c, 0);
	put32(c, 0);
	put32(c, snaplen);
	put32(c, linktype);
}

/* A record with caplen bytes of data (a pattern). */
static void
record(struct cap *c, uint32_t sec, uint32_t frac, uint32_t caplen,
    uint32_t len)
{
	uint32_t i;

	put32(c, sec);
	put32(c, frac);
	put32(c, caplen);
	put32(c, len);
	for (i = 0; i < caplen; i++)
		c->b[c->n++] = (uint8_t)(i * 13 + caplen);
}

/* An Ethernet/IPv4/TCP frame of 60 bytes, port given. */
static void
tcp_record(struct cap *c, uint32_t sec, uint16_t port)
{
	static const uint8_t frame[60] = {
	    0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00,
	    0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1,
	    10, 0, 0, 2,
	    0x30, 0x39, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff,
	    0, 0, 0, 0 };

	put32(c, sec);
	put32(c, 0);
	put32(c, sizeof(frame));
	put32(c, sizeof(frame));
	memcpy(c->b + c->n, frame, sizeof(frame));
	c->b[c->n + 36] = (uint8_t)(port >> 8);
	c->b[c->n + 37] = (uint8_t)port;
	c->n += sizeof(frame);
}

static char tmp_path[64];

/* Write the first n bytes of c to a fresh file; its path. */
static const char *
write_file(const struct cap *c, size_t n)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/check_inplace.XXXXXX");
	fd = mkstemp(tmp_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, c->b, n), (ssize_t)n);
	close(fd);
	return tmp_path;
}

/*
 * The records of path read in place in batches of max, each checked
 * against the same record read by libpcap one at a time; their number,
 * plus 1000 if it ended with the error libpcap gives.
 */
static int
count_batches(const char *path, const char *filter, int max, char *eb,
    size_t ebl)
{
	char ebl1[CILKIT_ERRBUF_SIZE];
	struct cpcap_reader *lib = open_as(path, true, ebl1, sizeof(ebl1));
	struct cpcap_reader *own = open_as(path, false, eb, ebl);
	struct cpcap_frame fb[5], f;
	int rc, rc1, i, n = 0;

	ck_assert_msg(lib != NULL && own != NULL, "%s", eb);
	if (filter != NULL) {
		ck_assert_int_eq(cpcap_reader_set_filter(lib, filter, ebl1,
		    sizeof(ebl1)), 0);
		ck_assert_int_eq(cpcap_reader_set_filter(own, filter, eb, ebl),
		    0);
	}
	while ((rc = cpcap_reader_batch(own, fb, max, eb, ebl)) > 0) {
		ck_assert_int_le(rc, max);
		for (i = 0; i < rc; i++, n++) {
			ck_assert_int_eq(cpcap_reader_next(lib, &f, ebl1,
			    sizeof(ebl1)), 1);
			ck_assert_uint_eq(f.ts_ns, fb[i].ts_ns);
			ck_assert_uint_eq(f.caplen, fb[i].caplen);
			ck_assert(memcmp(f.data, fb[i].data, f.caplen) == 0);
		}
	}
	rc1 = cpcap_reader_next(lib, &f, ebl1, sizeof(ebl1));
	ck_assert_int_eq(rc, rc1);
	if (rc < 0)
		ck_assert_str_eq(eb, ebl1);
	cpcap_reader_free(lib);
	cpcap_reader_free(own);
	return n + (rc < 0 ? 1000 : 0);
}

/*
 * Read the first n bytes of c by libpcap and in place (which must be
 * used: in_place) and compare everything; the number of records, and
 * the error message (if any) in err.
 */
static int
compare(const struct cap *c, size_t n, const char *filter, bool in_place,
    char *err, size_t errlen)
{
	char eb1[CILKIT_ERRBUF_SIZE] = "", eb2[CILKIT_ERRBUF_SIZE] = "";
	const char *path = write_file(c, n);
	struct cpcap_reader *lib, *own;
	struct cpcap_frame f1, f2;
	int rc1, rc2, recs = 0, max;

	lib = open_as(path, true, eb1, sizeof(eb1));
	own = open_as(path, false, eb2, sizeof(eb2));
	ck_assert_msg(lib != NULL && own != NULL, "%s / %s", eb1, eb2);
	ck_assert_int_eq(cpcap_reader_in_place(own), in_place);
	if (filter != NULL) {
		ck_assert_int_eq(cpcap_reader_set_filter(lib, filter, eb1,
		    sizeof(eb1)), 0);
		ck_assert_int_eq(cpcap_reader_set_filter(own, filter, eb2,
		    sizeof(eb2)), 0);
	}
	for (;;) {
		rc1 = cpcap_reader_next(lib, &f1, eb1, sizeof(eb1));
		rc2 = cpcap_reader_next(own, &f2, eb2, sizeof(eb2));
		ck_assert_msg(rc1 == rc2, "record %d: rc %d vs %d (%s)", recs,
		    rc1, rc2, rc1 < 0 ? eb1 : eb2);
		if (rc1 != 1)
			break;
		ck_assert_uint_eq(f1.ts_ns, f2.ts_ns);
		ck_assert_uint_eq(f1.caplen, f2.caplen);
		ck_assert_uint_eq(f1.wirelen, f2.wirelen);
		ck_assert_int_eq(f1.dlt, f2.dlt);
		ck_assert(memcmp(f1.data, f2.data, f1.caplen) == 0);
		recs++;
	}
	if (rc1 < 0)
		ck_assert_str_eq(eb1, eb2);
	snprintf(err, errlen, "%s", rc1 < 0 ? eb1 : "");
	/* After the end or an error: nothing more, from either. */
	ck_assert_int_le(cpcap_reader_next(own, &f2, eb2, sizeof(eb2)), 0);
	ck_assert_uint_eq(cpcap_reader_count(lib), cpcap_reader_count(own));
	ck_assert_uint_eq(cpcap_reader_filtered(lib),
	    cpcap_reader_filtered(own));
	cpcap_reader_free(lib);
	cpcap_reader_free(own);
	/* In batches of every size up to 5: the same records again. */
	for (max = 1; max <= 5; max++)
		ck_assert_int_eq(count_batches(path, filter, max, eb2,
		    sizeof(eb2)), recs + (rc1 < 0 ? 1000 : 0));
	unlink(path);
	return recs;
}

static struct cap cap;

START_TEST(test_lengths)
{
	char err[CILKIT_ERRBUF_SIZE];

	/* Above the snapshot length of 100: cut to it, the rest skipped. */
	file_header(&cap, 0xa1b2c3d4, 2, 4, 100, 1);
	record(&cap, 1, 2, 60, 60);
	record(&cap, 1, 3, 200, 1500);
	record(&cap, 1, 4, 100, 100);
	record(&cap, 1, 5, 0, 60);
	ck_assert_int_eq(compare(&cap, cap.n, NULL, true, err, sizeof(err)),
	    4);
	ck_assert_str_eq(err, "");
	/* Cut in the skipped part, and in the part handed out. */
	ck_assert_int_eq(compare(&cap, 24 + 76 + 16 + 150, NULL, true, err,
	    sizeof(err)), 1);
	ck_assert_ptr_nonnull(strstr(err, "tried to read 200 captured bytes, "
	    "only got 150"));
	ck_assert_int_eq(compare(&cap, 24 + 76 + 16 + 50, NULL, true, err,
	    sizeof(err)), 1);
	ck_assert_ptr_nonnull(strstr(err, "tried to read 100 captured bytes, "
	    "only got 50"));
	/* Cut inside a record header. */
	ck_assert_int_eq(compare(&cap, 24 + 76 + 7, NULL, true, err,
	    sizeof(err)), 1);
	ck_assert_ptr_nonnull(strstr(err, "tried to read 16 header bytes, "
	    "only got 7"));
	ck_assert_ptr_nonnull(strstr(err, "after packet 1"));

	/* Above the maximum: refused, the records before kept. */
	file_header(&cap, 0xa1b2c3d4, 2, 4, 0, 1);	/* snaplen 0: max */
	record(&cap, 1, 0, 70000, 70000);
	put32(&cap, 2);
	put32(&cap, 0);
	put32(&cap, 300000);
	put32(&cap, 300000);
	ck_assert_int_eq(compare(&cap, cap.n, NULL, true, err, sizeof(err)),
	    1);
	ck_assert_ptr_nonnull(strstr(err, "invalid packet capture length "
	    "300000"));
	/* A header only: no records, no error. */
	ck_assert_int_eq(compare(&cap, 24, NULL, true, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_timestamps)
{
	char err[CILKIT_ERRBUF_SIZE];
	static const uint32_t magic[] = { 0xa1b2c3d4, 0xa1b23c4d };
	size_t i;

	for (i = 0; i < 2; i++) {
		file_header(&cap, magic[i], 2, 4, 65535, 1);
		record(&cap, 0, 0, 20, 20);
		record(&cap, 1700000000, 999999, 20, 20);
		record(&cap, 0xffffffffu, 1, 20, 20);	/* before 1970 */
		record(&cap, 0x80000000u, 0x7fffffffu, 20, 20);
		record(&cap, 1, 0xfffffff0u, 20, 20);	/* negative part */
		record(&cap, 1, 1999999999, 20, 20);	/* out of range */
		ck_assert_int_eq(compare(&cap, cap.n, NULL, true, err,
		    sizeof(err)), 6);
	}
}
END_TEST

START_TEST(test_filter)
{
	char err[CILKIT_ERRBUF_SIZE];
	int i;

	file_header(&cap, 0xa1b2c3d4, 2, 4, 65535, 1);
	for (i = 0; i < 50; i++)
		tcp_record(&cap, (uint32_t)i, (uint16_t)(i % 5 == 0 ? 80 :
		    8000 + i));
	ck_assert_int_eq(compare(&cap, cap.n, "tcp dst port 80", true, err,
	    sizeof(err)), 10);
	ck_assert_int_eq(compare(&cap, cap.n, NULL, true, err, sizeof(err)),
	    50);
}
END_TEST

/* What only libpcap reads: the comparison still holds, not in place. */
START_TEST(test_left_to_libpcap)
{
	char err[CILKIT_ERRBUF_SIZE];

	/* The other byte order. */
	file_header(&cap, 0xd4c3b2a1, 0x0200, 0x0400, 0xffff0000u,
	    0x01000000u);
	ck_assert_int_eq(compare(&cap, cap.n, NULL, false, err, sizeof(err)),
	    0);
	/* Version 2.3 (lengths perhaps swapped). */
	file_header(&cap, 0xa1b2c3d4, 2, 3, 65535, 1);
	record(&cap, 1, 0, 60, 40);
	ck_assert_int_eq(compare(&cap, cap.n, NULL, false, err, sizeof(err)),
	    1);
	/* A link type we do not decode (USER0). */
	file_header(&cap, 0xa1b2c3d4, 2, 4, 65535, 147);
	record(&cap, 1, 0, 60, 60);
	ck_assert_int_eq(compare(&cap, cap.n, NULL, false, err, sizeof(err)),
	    1);
}
END_TEST

/* A pipe is read by libpcap, whatever its header. */
START_TEST(test_pipe)
{
	char eb[CILKIT_ERRBUF_SIZE];
	struct cpcap_reader *r;
	struct cpcap_frame f;
	int p[2], n = 0;
	FILE *fp;

	file_header(&cap, 0xa1b2c3d4, 2, 4, 65535, 1);
	record(&cap, 1, 0, 60, 60);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], cap.b, cap.n), (ssize_t)cap.n);
	close(p[1]);
	fp = fdopen(p[0], "rb");
	ck_assert_ptr_nonnull(fp);
	r = cpcap_reader_open(fp, "pipe", NULL, 0, eb, sizeof(eb));
	ck_assert_msg(r != NULL, "%s", eb);
	ck_assert(!cpcap_reader_in_place(r));
	while (cpcap_reader_next(r, &f, eb, sizeof(eb)) == 1)
		n++;
	ck_assert_int_eq(n, 1);
	cpcap_reader_free(r);
}
END_TEST

static Suite *
inplace_suite(void)
{
	Suite *s = suite_create("cpcap_inplace");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_timestamps);
	tcase_add_test(tc, test_filter);
	tcase_add_test(tc, test_left_to_libpcap);
	tcase_add_test(tc, test_pipe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(inplace_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
