/*
 * check_cilkit_blocks.c - a file read in blocks, with and without the
 * thread: every byte comes once and in order, a carried tail is in front
 * of the next block, the end (and a read error) is said again on every
 * later call, and freeing with blocks unread stops the thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cilkit_blocks.h"

#define FILE_LEN	((size_t)9 << 20)	/* several blocks */

static uint8_t
byte_at(size_t i)
{
	return (uint8_t)(i * 31 + i / 977);
}

/* A file of len pattern bytes; its descriptor (unlinked). */
static int
pattern_file(size_t len)
{
	char path[] = "/tmp/check_blocks.XXXXXX";
	static uint8_t buf[1 << 16];
	size_t i, n;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	for (i = 0; i < len; i += n) {
		n = len - i < sizeof(buf) ? len - i : sizeof(buf);
		for (size_t j = 0; j < n; j++)
			buf[j] = byte_at(i + j);
		ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
	}
	return fd;
}

/*
 * Read the file from off, consuming all but carry bytes of each view
 * (carry varying up to the margin), and check every byte.
 */
static void
read_all(int fd, off_t off, bool thread)
{
	const size_t margin = 70000;
	struct cilkit_blocks *b;
	const unsigned char *p = NULL;
	size_t len = 0, pos = (size_t)off, carry = 0, n, i, round = 0;
	int err;

	b = cilkit_blocks_new(fd, off, 1 << 20, margin, thread);
	ck_assert_ptr_nonnull(b);
	for (;;) {
		n = cilkit_blocks_next(b, &p, &len, carry, &err);
		if (n == 0)
			break;
		ck_assert_uint_eq(len, carry + n);
		/* The view starts with the carried bytes, then what is new
		   (one assertion per block: each is a message to Check). */
		for (i = 0; i < len && p[i] == byte_at(pos - carry + i); i++)
			;
		ck_assert_msg(i == len, "byte %zu", pos - carry + i);
		pos += n;
		carry = (round++ * 7919) % (margin + 1);
		if (carry > len)
			carry = len;
	}
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(pos, FILE_LEN);
	/* The carried bytes stay in view at the end. */
	ck_assert_uint_eq(len, carry);
	for (i = 0; i < len && p[i] == byte_at(FILE_LEN - carry + i); i++)
		;
	ck_assert_uint_eq(i, len);
	/* The end again. */
	ck_assert_uint_eq(cilkit_blocks_next(b, &p, &len, 0, &err), 0);
	ck_assert_int_eq(err, 0);
	cilkit_blocks_free(b);
}

START_TEST(test_sync)
{
	int fd = pattern_file(FILE_LEN);

	read_all(fd, 0, false);
	read_all(fd, 12345, false);
	close(fd);
}
END_TEST

START_TEST(test_thread)
{
	int fd = pattern_file(FILE_LEN);

	read_all(fd, 0, true);
	read_all(fd, 999999, true);
	close(fd);
}
END_TEST

/* A read that fails (a directory): 0 with its errno, then again. */
START_TEST(test_error)
{
	const unsigned char *p = NULL;
	struct cilkit_blocks *b;
	size_t len = 0;
	int fd = open("/", O_RDONLY | O_DIRECTORY), err, t;

	ck_assert_int_ge(fd, 0);
	for (t = 0; t < 2; t++) {
		b = cilkit_blocks_new(fd, 0, 1 << 20, 100, t == 1);
		ck_assert_ptr_nonnull(b);
		ck_assert_uint_eq(cilkit_blocks_next(b, &p, &len, 0, &err), 0);
		ck_assert_int_eq(err, EISDIR);
		ck_assert_uint_eq(cilkit_blocks_next(b, &p, &len, 0, &err), 0);
		ck_assert_int_eq(err, EISDIR);
		cilkit_blocks_free(b);
	}
	close(fd);
}
END_TEST

/* Freed after one block: the thread, waiting for a free one, stops. */
START_TEST(test_free_early)
{
	const unsigned char *p = NULL;
	struct cilkit_blocks *b;
	size_t len = 0;
	int fd = pattern_file(FILE_LEN), err;

	b = cilkit_blocks_new(fd, 0, 1 << 20, 100, true);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_gt(cilkit_blocks_next(b, &p, &len, 0, &err), 0);
	usleep(100000);		/* the ring fills; the thread waits */
	cilkit_blocks_free(b);	/* the test's timeout catches a hang */
	b = cilkit_blocks_new(fd, 0, 1 << 20, 100, true);
	cilkit_blocks_free(b);	/* before any block */
	close(fd);
}
END_TEST

static Suite *
blocks_suite(void)
{
	Suite *s = suite_create("cilkit_blocks");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sync);
	tcase_add_test(tc, test_thread);
	tcase_add_test(tc, test_error);
	tcase_add_test(tc, test_free_early);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(blocks_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
