/*
 * check_report_wbuf.c - the buffered JSON appender: string escaping
 * (with bad UTF-8 rows), integers at their limits, writes longer than
 * the buffer, and a failing stream; the write-behind thread against
 * direct writes; the memory mode; lists formatted with a helper thread
 * (report_ahead) against formatting them in order.  The written strings
 * are re-read with json-c, so escaping is checked against a real
 * parser.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "report_ahead.h"
#include "report_wbuf.h"

struct str_case {
	const char *in;
	const char *json;	/* exact output */
	const char *decoded;	/* what a JSON parser reads back */
};

static const struct str_case str_cases[] = {
	{ "", "\"\"", "" },
	{ "plain", "\"plain\"", "plain" },
	{ "a\"b\\c", "\"a\\\"b\\\\c\"", "a\"b\\c" },
	{ "t\tn\nr\rb\bf\f", "\"t\\tn\\nr\\rb\\bf\\f\"", "t\tn\nr\rb\bf\f" },
	{ "\x01\x1f", "\"\\u0001\\u001f\"", "\x01\x1f" },
	{ "</script>", "\"</script>\"", "</script>" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	/* bad UTF-8 becomes U+FFFD, byte by byte */
	{ "a\xffz", "\"a\xef\xbf\xbdz\"", "a\xef\xbf\xbdz" },
	{ "\xc3", "\"\xef\xbf\xbd\"", "\xef\xbf\xbd" },
	{ "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"",
	    "\xef\xbf\xbd\xef\xbf\xbd" },			/* overlong */
	{ "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },		/* surrogate */
	{ "\xf4\x90\x80\x80x",
	    "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx\"",
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx" }, /* > U+10FFFF */
};

/* Run fn on a fresh buffer over a memory stream; returns the output. */
static char *
capture(void (*fn)(struct report_wbuf *, const void *), const void *arg)
{
	struct report_wbuf *w = malloc(sizeof(*w));
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(fp);
	report_wbuf_init(w, fp);
	fn(w, arg);
	report_wbuf_flush(w);
	ck_assert(!w->err);
	fclose(fp);
	free(w);
	return buf;
}

static void
put_str(struct report_wbuf *w, const void *arg)
{
	report_wbuf_json_str(w, arg);
}

START_TEST(test_str)
{
	const struct str_case *c = &str_cases[_i];
	char *out = capture(put_str, c->in);
	struct json_object *o = json_tokener_parse(out);

	ck_assert_str_eq(out, c->json);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_object_get_string(o), c->decoded);
	json_object_put(o);
	free(out);
}
END_TEST

static void
put_ints(struct report_wbuf *w, const void *arg)
{
	(void)arg;
	report_wbuf_u64(w, 0);
	report_wbuf_c(w, ' ');
	report_wbuf_u64(w, UINT64_MAX);
	report_wbuf_c(w, ' ');
	report_wbuf_i64(w, INT64_MIN);
	report_wbuf_c(w, ' ');
	report_wbuf_i64(w, -1);
	report_wbuf_c(w, ' ');
	report_wbuf_i64(w, INT64_MAX);
	REPORT_WBUF_LIT(w, " end");
}

START_TEST(test_ints)
{
	char *out = capture(put_ints, NULL);

	ck_assert_str_eq(out, "0 18446744073709551615 -9223372036854775808 "
	    "-1 9223372036854775807 end");
	free(out);
}
END_TEST

/*
 * Every number printf writes the same: all of 0..100,000, each power of
 * ten and its neighbours, and pseudo-random ones of every length.
 */
static void
put_many_ints(struct report_wbuf *w, const void *arg)
{
	uint64_t v, p = 1, x = 0x9E3779B97F4A7C15u;
	int i;

	(void)arg;
	for (v = 0; v <= 100000; v++) {
		report_wbuf_u64(w, v);
		report_wbuf_c(w, ' ');
	}
	for (i = 0; i < 20; i++, p *= 10)
		for (v = p - 1; v <= p + 1; v++) {
			report_wbuf_u64(w, v);
			report_wbuf_c(w, ' ');
		}
	for (i = 0; i < 10000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		report_wbuf_u64(w, x >> (i % 64));
		report_wbuf_c(w, ' ');
	}
}

START_TEST(test_many_ints)
{
	char *out = capture(put_many_ints, NULL), *want;
	uint64_t v, p = 1, x = 0x9E3779B97F4A7C15u;
	size_t cap = (size_t)2 << 20, n = 0;
	int i;

	want = malloc(cap);
	ck_assert_ptr_nonnull(want);
	for (v = 0; v <= 100000; v++)
		n += (size_t)snprintf(want + n, cap - n, "%" PRIu64 " ", v);
	for (i = 0; i < 20; i++, p *= 10)
		for (v = p - 1; v <= p + 1; v++)
			n += (size_t)snprintf(want + n, cap - n, "%" PRIu64 " ",
			    v);
	for (i = 0; i < 10000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n += (size_t)snprintf(want + n, cap - n, "%" PRIu64 " ",
		    x >> (i % 64));
	}
	ck_assert_uint_lt(n, cap);
	for (n = 0; out[n] != '\0' && out[n] == want[n]; n++)
		;
	ck_assert_msg(out[n] == want[n], "differ at byte %zu: \"%.24s\" "
	    "where printf wrote \"%.24s\"", n, out + n, want + n);
	free(want);
	free(out);
}
END_TEST

static void
put_members(struct report_wbuf *w, const void *arg)
{
	bool first = true;

	(void)arg;
	report_wbuf_c(w, '{');
	report_wbuf_key(w, &first, "a");
	report_wbuf_u64(w, 1);
	report_wbuf_key(w, &first, "b");
	report_wbuf_json_str(w, "x");
	report_wbuf_c(w, '}');
}

START_TEST(test_members)
{
	char *out = capture(put_members, NULL);

	ck_assert_str_eq(out, "{\"a\":1,\"b\":\"x\"}");
	free(out);
}
END_TEST

/* Pieces that straddle the buffer's end, and one bigger than it. */
static void
put_long(struct report_wbuf *w, const void *arg)
{
	const char *big = arg;
	int i;

	for (i = 0; i < 5000; i++)
		REPORT_WBUF_LIT(w, "abcdefg");
	report_wbuf_put(w, big, strlen(big));
	report_wbuf_json_str(w, big);
}

START_TEST(test_long)
{
	size_t n = 3 * sizeof(((struct report_wbuf *)0)->b) + 7, i;
	char *big = malloc(n + 1), *out;

	ck_assert_ptr_nonnull(big);
	for (i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = '\0';
	out = capture(put_long, big);
	ck_assert_uint_eq(strlen(out), 5000 * 7 + n + n + 2);
	for (i = 0; i < 5000 * 7; i++)
		ck_assert_int_eq(out[i], "abcdefg"[i % 7]);
	ck_assert(memcmp(out + 35000, big, n) == 0);
	ck_assert_int_eq(out[35000 + n], '"');
	ck_assert(memcmp(out + 35000 + n + 1, big, n) == 0);
	free(out);
	free(big);
}
END_TEST

/* An unbuffered stream on /dev/full, where every write fails; NULL
   where there is none. */
static FILE *
full_stream(void)
{
	FILE *fp = fopen("/dev/full", "w");

	if (fp != NULL)
		setvbuf(fp, NULL, _IONBF, 0);
	return fp;
}

START_TEST(test_write_error)
{
	struct report_wbuf *w = malloc(sizeof(*w));
	FILE *fp = full_stream();

	if (fp == NULL) {
		free(w);
		return;		/* no /dev/full here */
	}
	report_wbuf_init(w, fp);
	REPORT_WBUF_LIT(w, "x");
	ck_assert(!w->err);
	report_wbuf_flush(w);
	ck_assert(w->err);
	fclose(fp);
	free(w);
}
END_TEST

/*
 * The same writes, directly and through the write-behind thread (with
 * the direct mode again after it): byte-identical streams.  The mix has
 * pieces of every size up to several times a write-behind chunk, so
 * chunk hand-over happens at every kind of boundary.
 */
static void
mixed_writes(struct report_wbuf *w, unsigned seed)
{
	static char big[3 << 20];
	unsigned x = seed;
	size_t i, k;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	for (i = 0; i < 4000; i++) {
		x = x * 1103515245u + 12345u;
		switch (x >> 28 & 3) {
		case 0:
			report_wbuf_u64(w, (uint64_t)x * 7919u);
			break;
		case 1:
			report_wbuf_json_str(w, "caf\xc3\xa9 \"q\"");
			break;
		case 2:
			for (k = 0; k < (x >> 8 & 1023); k++)
				report_wbuf_c(w, (char)('0' + k % 10));
			break;
		default:
			k = (x >> 4) % (i % 97 == 0 ? sizeof(big) : 40000);
			report_wbuf_put(w, big, k);
			break;
		}
	}
}

START_TEST(test_background)
{
	struct report_wbuf *w = malloc(sizeof(*w));
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	FILE *fa = open_memstream(&a, &alen), *fb = open_memstream(&b, &blen);

	ck_assert_ptr_nonnull(w);
	report_wbuf_init(w, fa);
	mixed_writes(w, 1);
	REPORT_WBUF_LIT(w, "tail");
	report_wbuf_flush(w);
	fclose(fa);

	report_wbuf_init(w, fb);
	ck_assert(report_wbuf_background(w));
	ck_assert(report_wbuf_background(w));	/* already on: no-op */
	mixed_writes(w, 1);
	report_wbuf_finish(w);
	ck_assert(w->bg == NULL);
	REPORT_WBUF_LIT(w, "tail");
	report_wbuf_flush(w);
	ck_assert(!w->err);
	fclose(fb);

	ck_assert_uint_gt(alen, (size_t)8 << 20);
	ck_assert_uint_eq(alen, blen);
	ck_assert(memcmp(a, b, alen) == 0);
	free(a);
	free(b);
	free(w);
}
END_TEST

/* A write failing in the thread is reported when the thread ends. */
START_TEST(test_background_error)
{
	struct report_wbuf *w = malloc(sizeof(*w));
	FILE *fp = full_stream();

	if (fp == NULL) {
		free(w);
		return;		/* no /dev/full here */
	}
	report_wbuf_init(w, fp);
	ck_assert(report_wbuf_background(w));
	mixed_writes(w, 2);
	report_wbuf_finish(w);
	ck_assert(w->err);
	ck_assert_int_eq(errno, ENOSPC);
	fclose(fp);
	free(w);
}
END_TEST

/*
 * Writing through reserved room: directly, behind a thread and in
 * memory, pieces of up to REPORT_WBUF_RESERVE_MAX bytes come out whole
 * and in order however full the buffer was when the room was asked for.
 */
static void
reserved_writes(struct report_wbuf *w, char *want, size_t *wn)
{
	char *o;
	size_t i, k;

	*wn = 0;
	for (i = 0; i < 3000; i++) {
		/* Now and then a piece of the largest size promised. */
		k = i % 97 == 0 ? REPORT_WBUF_RESERVE_MAX - 24 : i % 7;
		o = report_wbuf_reserve(w, REPORT_WBUF_RESERVE_MAX);
		o = REPORT_PUT_LIT(o, "<");
		o = report_put_u64(o, (uint64_t)i * 1000003u);
		memset(o, 'a' + (int)(i % 26), k);
		o += k;
		report_wbuf_commit(w, o);
		*wn += (size_t)sprintf(want + *wn, "<%" PRIu64,
		    (uint64_t)i * 1000003u);
		memset(want + *wn, 'a' + (int)(i % 26), k);
		*wn += k;
	}
}

START_TEST(test_reserve)
{
	struct report_wbuf *w = malloc(sizeof(*w));
	char *want = malloc(1 << 20), *got = NULL;
	size_t wn, glen = 0;
	FILE *fp;
	int mode;

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(want);
	for (mode = 0; mode < 3; mode++) {
		if (mode == 2) {
			report_wbuf_init_mem(w);
			reserved_writes(w, want, &wn);
			ck_assert(!w->err);
			ck_assert_uint_eq(w->n, wn);
			ck_assert(memcmp(w->b, want, wn) == 0);
			report_wbuf_free_mem(w);
			continue;
		}
		fp = open_memstream(&got, &glen);
		ck_assert_ptr_nonnull(fp);
		report_wbuf_init(w, fp);
		if (mode == 1)
			ck_assert(report_wbuf_background(w));
		reserved_writes(w, want, &wn);
		report_wbuf_finish(w);
		ck_assert(!w->err);
		fclose(fp);
		ck_assert_uint_eq(glen, wn);
		ck_assert(memcmp(got, want, wn) == 0);
		free(got);
		got = NULL;
	}
	free(want);
	free(w);
}
END_TEST

/* In memory, the same writes give the same bytes, all kept. */
START_TEST(test_mem)
{
	struct report_wbuf *w = malloc(sizeof(*w)), *m = malloc(sizeof(*m));
	char *a = NULL;
	size_t alen = 0;
	FILE *fa = open_memstream(&a, &alen);

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(m);
	report_wbuf_init(w, fa);
	mixed_writes(w, 7);
	report_wbuf_flush(w);
	fclose(fa);

	report_wbuf_init_mem(m);
	mixed_writes(m, 7);
	report_wbuf_flush(m);		/* nothing to write to: a no-op */
	ck_assert(!m->err);
	ck_assert_uint_eq(m->n, alen);
	ck_assert(memcmp(m->b, a, alen) == 0);
	/* Emptied, it is used again from the start. */
	m->n = 0;
	REPORT_WBUF_LIT(m, "again");
	ck_assert_uint_eq(m->n, 5);
	ck_assert(memcmp(m->b, "again", 5) == 0);
	report_wbuf_free_mem(m);
	ck_assert_uint_eq(m->n, 0);
	free(a);
	free(w);
	free(m);
}
END_TEST

/* Item i of the list formats as "[i:" then i % 7 + 1 letters "]". */
static void
item_fmt(struct report_wbuf *w, const void *item, void *arg)
{
	size_t i = *(const size_t *)item, k;

	(void)arg;
	report_wbuf_c(w, '[');
	report_wbuf_u64(w, i);
	report_wbuf_c(w, ':');
	for (k = 0; k <= i % 7; k++)
		report_wbuf_c(w, (char)('a' + k));
	report_wbuf_c(w, ']');
}

/* Lengths around the block size (256) and long lists. */
static const size_t ahead_n[] = {
	1, 255, 256, 257, 511, 512, 513, 767, 1024, 5000, 100000,
};

/*
 * A list formatted with a helper thread (every other block) is the
 * list formatted in order, whatever its length.
 */
START_TEST(test_ahead)
{
	size_t n = ahead_n[_i], i;
	size_t *vals = malloc(n * sizeof(*vals));
	const void **items = malloc(n * sizeof(*items));
	struct report_wbuf *want = malloc(sizeof(*want)),
	    *got = malloc(sizeof(*got));
	struct report_ahead *ah;
	size_t mine = 0;

	ck_assert(vals != NULL && items != NULL && want != NULL &&
	    got != NULL);
	for (i = 0; i < n; i++) {
		vals[i] = i;
		items[i] = &vals[i];
	}
	report_wbuf_init_mem(want);
	for (i = 0; i < n; i++)
		item_fmt(want, items[i], NULL);

	report_wbuf_init_mem(got);
	ah = report_ahead_start(items, n, item_fmt, NULL);
	ck_assert_ptr_nonnull(ah);
	for (i = 0; i < n; i++) {
		if (report_ahead_mine(ah, i)) {
			item_fmt(got, items[i], NULL);
			mine++;
		}
		report_ahead_after(ah, i, got);
	}
	report_ahead_finish(ah);
	ck_assert(!got->err);
	ck_assert_uint_eq(got->n, want->n);
	ck_assert(memcmp(got->b, want->b, want->n) == 0);
	/* The helper did its share on long lists. */
	if (n >= 512)
		ck_assert_uint_lt(mine, n);
	report_wbuf_free_mem(want);
	report_wbuf_free_mem(got);
	free(want);
	free(got);
	free(items);
	free(vals);
}
END_TEST

/* Formats like item_fmt, but fails (as without memory) in the helper. */
static void
item_fmt_helper_fails(struct report_wbuf *w, const void *item, void *arg)
{
	const pthread_t *caller = arg;

	item_fmt(w, item, NULL);
	if (!pthread_equal(pthread_self(), *caller))
		w->err = true;
}

/* Blocks the helper could not format are formatted by the caller. */
START_TEST(test_ahead_helper_fails)
{
	enum { N = 3000 };
	static size_t vals[N];
	static const void *items[N];
	struct report_wbuf *want = malloc(sizeof(*want)),
	    *got = malloc(sizeof(*got));
	pthread_t self = pthread_self();
	struct report_ahead *ah;
	size_t i;

	ck_assert(want != NULL && got != NULL);
	report_wbuf_init_mem(want);
	for (i = 0; i < N; i++) {
		vals[i] = i;
		items[i] = &vals[i];
		item_fmt(want, items[i], NULL);
	}
	report_wbuf_init_mem(got);
	ah = report_ahead_start(items, N, item_fmt_helper_fails, &self);
	ck_assert_ptr_nonnull(ah);
	for (i = 0; i < N; i++) {
		if (report_ahead_mine(ah, i))
			item_fmt_helper_fails(got, items[i], &self);
		report_ahead_after(ah, i, got);
	}
	report_ahead_finish(ah);
	ck_assert(!got->err);
	ck_assert_uint_eq(got->n, want->n);
	ck_assert(memcmp(got->b, want->b, want->n) == 0);
	report_wbuf_free_mem(want);
	report_wbuf_free_mem(got);
	free(want);
	free(got);
}
END_TEST

/* Stopped half way (the caller gave up), the helper ends cleanly. */
START_TEST(test_ahead_stop)
{
	enum { N = 20000 };
	static size_t vals[N];
	static const void *items[N];
	struct report_wbuf *w = malloc(sizeof(*w));
	struct report_ahead *ah;
	size_t i;

	ck_assert_ptr_nonnull(w);
	for (i = 0; i < N; i++) {
		vals[i] = i;
		items[i] = &vals[i];
	}
	report_wbuf_init_mem(w);
	ah = report_ahead_start(items, N, item_fmt, NULL);
	ck_assert_ptr_nonnull(ah);
	for (i = 0; i < 600; i++) {
		if (report_ahead_mine(ah, i))
			item_fmt(w, items[i], NULL);
		report_ahead_after(ah, i, w);
	}
	report_ahead_finish(ah);
	ck_assert(!w->err);
	ck_assert_ptr_nonnull(memmem(w->b, w->n, "[599:", 5));
	report_wbuf_free_mem(w);
	free(w);
	/* And one never waited on at all. */
	report_ahead_finish(report_ahead_start(items, N, item_fmt, NULL));
	report_ahead_finish(NULL);
}
END_TEST

static Suite *
wbuf_suite(void)
{
	Suite *s = suite_create("report_wbuf");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_str, 0,
	    sizeof(str_cases) / sizeof(str_cases[0]));
	tcase_add_test(tc, test_ints);
	tcase_add_test(tc, test_many_ints);
	tcase_add_test(tc, test_members);
	tcase_add_test(tc, test_long);
	tcase_add_test(tc, test_write_error);
	tcase_add_test(tc, test_background);
	tcase_add_test(tc, test_background_error);
	tcase_add_test(tc, test_mem);
	tcase_add_test(tc, test_reserve);
	tcase_add_loop_test(tc, test_ahead, 0,
	    sizeof(ahead_n) / sizeof(ahead_n[0]));
	tcase_add_test(tc, test_ahead_stop);
	tcase_add_test(tc, test_ahead_helper_fails);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wbuf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
