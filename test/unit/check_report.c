/*
 * check_report.c - the report module: duration and time parsing (with
 * bad-input rows), percentages, text width, tables, CSV, HTML escaping,
 * JSON helpers, interning, and the quantile sketch's error bound
 * against exact percentiles.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "cilkit.h"
#include "report.h"
#include "report_quantile.h"
#include "report_wbuf.h"

#define S	INT64_C(1000000000)
#define NOW	(INT64_C(1714557600) * S)	/* 2024-05-01T10:00:00Z */

struct dur_case {
	const char *in;
	int rc;
	int64_t ns;
};

static const struct dur_case dur_cases[] = {
	{ "30s", 0, 30 * S },
	{ "5m", 0, 300 * S },
	{ "1h30m", 0, 5400 * S },
	{ "24h", 0, 86400 * S },
	{ "1d", 0, 86400 * S },
	{ "1w", 0, 7 * 86400 * S },
	{ "500ms", 0, 500000000 },
	{ "250us", 0, 250000 },
	{ "250\xc2\xb5s", 0, 250000 },
	{ "7ns", 0, 7 },
	{ "1.5h", 0, 5400 * S },
	{ ".5s", 0, 500000000 },
	{ "1h0m5s", 0, 3605 * S },
	{ "0", 0, 0 },
	{ "0s", 0, 0 },
	{ "36500d", 0, INT64_C(36500) * 86400 * S },
	/* bad input */
	{ "", CILKIT_EINVAL, 0 },
	{ "5", CILKIT_EINVAL, 0 },
	{ "m", CILKIT_EINVAL, 0 },
	{ "-5m", CILKIT_EINVAL, 0 },
	{ "5 m", CILKIT_EINVAL, 0 },
	{ " 5m", CILKIT_EINVAL, 0 },
	{ "5minutes", CILKIT_EINVAL, 0 },
	{ "5x", CILKIT_EINVAL, 0 },
	{ "1h30", CILKIT_EINVAL, 0 },
	{ ".s", CILKIT_EINVAL, 0 },
	{ "1.2.3s", CILKIT_EINVAL, 0 },
	{ "36526d", CILKIT_ETOOBIG, 0 },
	{ "99999999999999999999h", CILKIT_ETOOBIG, 0 },
	{ "9223372036854775807ns9223372036854775807ns", CILKIT_ETOOBIG, 0 },
	{ "1111111111111111111111111111111111111111111111111111111111111111s",
	  CILKIT_ETOOBIG, 0 },
};

START_TEST(test_duration)
{
	const struct dur_case *tc = &dur_cases[_i];
	char eb[CILKIT_ERRBUF_SIZE] = "";
	int64_t ns = -1;
	int rc;

	rc = report_parse_duration(tc->in, &ns, eb, sizeof(eb));
	ck_assert_msg(rc == tc->rc, "'%s': rc %d want %d (%s)", tc->in, rc,
	    tc->rc, eb);
	if (rc == 0)
		ck_assert_int_eq(ns, tc->ns);
	else
		ck_assert_msg(eb[0] != '\0', "'%s': no message", tc->in);
}
END_TEST

struct time_case {
	const char *in;
	int rc;
	int64_t ns;
};

static const struct time_case time_cases[] = {
	{ "2024-05-01T10:00:00Z", 0, NOW },
	{ "2024-05-01t10:00:00z", 0, NOW },
	{ "2024-05-01 10:00:00Z", 0, NOW },
	{ "2024-05-01T12:00:00+02:00", 0, NOW },
	{ "2024-05-01T05:30:00-04:30", 0, NOW },
	{ "2024-05-01T10:00:00.5Z", 0, NOW + 500000000 },
	{ "2024-05-01T10:00:00.123456789Z", 0, NOW + 123456789 },
	{ "2024-05-01T10:00:00.1234567891Z", 0, NOW + 123456789 },
	{ "2024-05-01", 0, NOW - 10 * 3600 * S },
	{ "1970-01-01T00:00:00Z", 0, 0 },
	{ "1969-12-31T23:59:59Z", 0, -S },
	{ "1969-12-31", 0, -86400 * S },
	{ "1677-09-22", 0, INT64_C(-9223286400) * S },
	{ "2262-04-11", 0, INT64_C(9223286400) * S },
	{ "2024-02-29T00:00:00Z", 0, INT64_C(1709164800) * S },
	{ "5m", 0, NOW - 300 * S },
	{ "1h30m", 0, NOW - 5400 * S },
	/* bad input */
	{ "", CILKIT_EINVAL, 0 },
	{ "2024-05-01T10:00:00", CILKIT_EINVAL, 0 },
	{ "2024-05-01T10:00Z", CILKIT_EINVAL, 0 },
	{ "2024-13-01T10:00:00Z", CILKIT_EINVAL, 0 },
	{ "2023-02-29T10:00:00Z", CILKIT_EINVAL, 0 },
	{ "2024-05-01T24:00:00Z", CILKIT_EINVAL, 0 },
	{ "2024-05-01T10:00:60Z", CILKIT_EINVAL, 0 },
	{ "2024-05-01T10:00:00.Z", CILKIT_EINVAL, 0 },
	{ "2024-05-01T10:00:00+2:00", CILKIT_EINVAL, 0 },
	{ "2024-05-01T10:00:00Zjunk", CILKIT_EINVAL, 0 },
	{ "1677-09-21T00:12:43Z", CILKIT_EINVAL, 0 },	/* before int64 ns */
	{ "1677-09-21", CILKIT_EINVAL, 0 },
	{ "2262-04-12", CILKIT_EINVAL, 0 },		/* after it */
	{ "2023-02-29", CILKIT_EINVAL, 0 },
	{ "yesterday", CILKIT_EINVAL, 0 },
	{ "2024-5-1", CILKIT_EINVAL, 0 },
	{ "2024-05-01T10:00:00.00000000000000000000000000000000000000000000"
	  "000000000Z", CILKIT_ETOOBIG, 0 },
};

START_TEST(test_time)
{
	const struct time_case *tc = &time_cases[_i];
	char eb[CILKIT_ERRBUF_SIZE] = "";
	int64_t ns = -1;
	int rc;

	rc = report_parse_time(tc->in, NOW, &ns, eb, sizeof(eb));
	ck_assert_msg(rc == tc->rc, "'%s': rc %d want %d (%s)", tc->in, rc,
	    tc->rc, eb);
	if (rc == 0)
		ck_assert_int_eq(ns, tc->ns);
	else
		ck_assert_msg(eb[0] != '\0', "'%s': no message", tc->in);
}
END_TEST

/*
 * report_parse_rfc3339 on its own, the one RFC 3339 parser (the flow
 * reader's too).  len 0: strlen(in).
 */
struct rfc_case {
	const char *in;
	size_t len;
	int rc;
	int64_t ns;
};

#define EINV	CILKIT_EINVAL

static const struct rfc_case rfc_cases[] = {
	/* what Hubble writes: protojson, 0, 3, 6 or 9 digits, Z */
	{ "2024-05-01T10:00:00Z", 0, 0, NOW },
	{ "2024-05-01T10:00:00.123Z", 0, 0, NOW + 123000000 },
	{ "2024-05-01T10:00:00.123456Z", 0, 0, NOW + 123456000 },
	{ "2024-05-01T10:00:00.123456789Z", 0, 0, NOW + 123456789 },
	/* any number of digits; past 9 cut, not rounded */
	{ "2024-05-01T10:00:00.5Z", 0, 0, NOW + 500000000 },
	{ "2024-05-01T10:00:00.99999999999999999999Z", 0, 0,
	  NOW + 999999999 },
	{ "2024-05-01T10:00:00.0000000009Z", 0, 0, NOW },
	/* date -Iseconds; offsets either way, -00:00 is UTC */
	{ "2026-11-26T18:18:06+00:00", 0, 0, INT64_C(1795717086) * S },
	{ "2024-05-01T12:00:00.25+02:00", 0, 0, NOW + 250000000 },
	{ "2024-05-01T05:30:00-04:30", 0, 0, NOW },
	{ "2024-05-01T10:00:00-00:00", 0, 0, NOW },
	{ "2024-05-01T10:00:00+23:59", 0, 0, INT64_C(1714471260) * S },
	{ "2024-05-01T10:00:00-23:59", 0, 0, INT64_C(1714643940) * S },
	/* RFC 3339 5.6: t and z may be lower case; space for T */
	{ "2024-05-01t10:00:00z", 0, 0, NOW },
	{ "2024-05-01 10:00:00Z", 0, 0, NOW },
	/* calendar */
	{ "2000-02-29T00:00:00Z", 0, 0, INT64_C(951782400) * S },
	{ "1900-02-28T23:59:59Z", 0, 0, INT64_C(-2203891201) * S },
	{ "1969-12-31T23:59:59Z", 0, 0, -S },
	/* the ends: whole seconds in int64 ns, also through an offset */
	{ "1677-09-21T00:12:44Z", 0, 0, INT64_C(-9223372036) * S },
	{ "1677-09-20T23:12:44-01:00", 0, 0, INT64_C(-9223372036) * S },
	{ "2262-04-11T23:47:16.854775807Z", 0, 0, INT64_MAX },
	{ "2262-04-12T00:47:16.854775807+01:00", 0, 0, INT64_MAX },
	/* len bounds the scan: no NUL needed, nothing read past it */
	{ "2024-05-01T10:00:00Zjunk", 20, 0, NOW },
	{ "2024-05-01T10:00:00.5Z", 21, EINV, 0 },
	/* bad input */
	{ "", 0, EINV, 0 },
	{ "2024-05-01", 0, EINV, 0 },
	{ "2024-05-01T10:00", 0, EINV, 0 },
	{ "2024-05-01T10:00Z", 0, EINV, 0 },
	{ "2024-05-01T10:00:00", 0, EINV, 0 },
	{ "2024-05-01T10:00:00.5", 0, EINV, 0 },
	{ "2024-05-01T10:00:00.Z", 0, EINV, 0 },
	{ "2024-05-01T10:00:00.+02:00", 0, EINV, 0 },
	{ "2026-11-26T18:18:06,377327221+00:00", 0, EINV, 0 }, /* date -Ins */
	{ "20240501T100000Z", 0, EINV, 0 },
	{ "2024-05-01x10:00:00Z", 0, EINV, 0 },
	{ "2024-05-01T10:00:60Z", 0, EINV, 0 },	/* leap second */
	{ "2024-05-01T24:00:00Z", 0, EINV, 0 },
	{ "2024-05-01T10:60:00Z", 0, EINV, 0 },
	{ "2024-00-01T10:00:00Z", 0, EINV, 0 },
	{ "2024-13-01T10:00:00Z", 0, EINV, 0 },
	{ "2024-05-00T10:00:00Z", 0, EINV, 0 },
	{ "2024-04-31T10:00:00Z", 0, EINV, 0 },
	{ "2023-02-29T10:00:00Z", 0, EINV, 0 },
	{ "1900-02-29T10:00:00Z", 0, EINV, 0 },
	{ "2024-5-01T10:00:00Z", 0, EINV, 0 },
	{ "2024-05-01T1:00:00Z", 0, EINV, 0 },
	{ "+2024-05-01T10:00:00Z", 0, EINV, 0 },
	{ " 2024-05-01T10:00:00Z", 0, EINV, 0 },
	{ "2024-05-01T10:00:00Z ", 0, EINV, 0 },
	{ "2024-05-01T10:00:00Z\n", 0, EINV, 0 },
	{ "2024-05-01T10:00:00ZZ", 0, EINV, 0 },
	{ "2024-05-01T10:00:00+02:00Z", 0, EINV, 0 },
	{ "2024-05-01T10:00:00+0200", 0, EINV, 0 },
	{ "2024-05-01T10:00:00+02", 0, EINV, 0 },
	{ "2024-05-01T10:00:00+2:00", 0, EINV, 0 },
	{ "2024-05-01T10:00:00+24:00", 0, EINV, 0 },
	{ "2024-05-01T10:00:00+02:60", 0, EINV, 0 },
	{ "2024-05-01T10:00:00 +02:00", 0, EINV, 0 },
	{ "2024-05-01T10:00:00UTC", 0, EINV, 0 },
	{ "2024-05-01T10:00:00.1x2Z", 0, EINV, 0 },
	{ "2024-05-01T10:00:00\0Z", 21, EINV, 0 },
	{ "1677-09-21T00:12:43.999999999Z", 0, EINV, 0 },
	{ "1677-09-21T00:12:44+00:01", 0, EINV, 0 },
	{ "2262-04-11T23:47:16.854775808Z", 0, EINV, 0 },
	{ "2262-04-11T23:47:17Z", 0, EINV, 0 },
	{ "2262-04-11T23:47:16.854775807-00:01", 0, EINV, 0 },
	{ "0000-01-01T00:00:00Z", 0, EINV, 0 },
	{ "9999-12-31T23:59:59Z", 0, EINV, 0 },
};

START_TEST(test_rfc3339)
{
	const struct rfc_case *tc = &rfc_cases[_i];
	size_t len = tc->len != 0 ? tc->len : strlen(tc->in);
	int64_t ns = -7;
	int rc;

	rc = report_parse_rfc3339(tc->in, len, &ns);
	ck_assert_msg(rc == tc->rc, "row %d '%s': rc %d want %d", _i, tc->in,
	    rc, tc->rc);
	if (rc == 0)
		ck_assert_msg(ns == tc->ns, "row %d '%s': %lld want %lld", _i,
		    tc->in, (long long)ns, (long long)tc->ns);
	else
		ck_assert_msg(ns == -7, "row %d: *out written on error", _i);
}
END_TEST

/* The same parser into whole seconds: every year, fraction dropped. */
static const struct rfc_case sec_cases[] = {
	{ "2024-05-01T12:00:00.75+02:00", 0, 0, NOW / S },
	{ "9999-12-31T23:59:59.999Z", 0, 0, INT64_C(253402300799) },
	{ "0000-01-01T00:00:00Z", 0, 0, INT64_C(-62167219200) },
	{ "2262-04-11T23:47:17Z", 0, 0, INT64_C(9223372037) },
	{ "1677-09-21T00:12:43.5Z", 0, 0, INT64_C(-9223372037) },
	/* bad input */
	{ "", 0, EINV, 0 },
	{ "2024-05-01T10:00:60Z", 0, EINV, 0 },
	{ "2024-02-30T10:00:00Z", 0, EINV, 0 },
	{ "2024-05-01T10:00:00", 0, EINV, 0 },
	{ "2024-05-01T10:00:00.Z", 0, EINV, 0 },
	{ "2024-05-01T10:00:00Zjunk", 0, EINV, 0 },
};

START_TEST(test_rfc3339_sec)
{
	const struct rfc_case *tc = &sec_cases[_i];
	int64_t secs = -7;

	ck_assert_msg(report_parse_rfc3339_sec(tc->in, strlen(tc->in), &secs)
	    == tc->rc, "row %d '%s'", _i, tc->in);
	ck_assert_msg(secs == (tc->rc == 0 ? tc->ns : -7), "row %d: %lld",
	    _i, (long long)secs);
}
END_TEST

START_TEST(test_rfc3339_null)
{
	int64_t ns = -7;

	ck_assert_int_eq(report_parse_rfc3339(NULL, 20, &ns), CILKIT_EINVAL);
	ck_assert_int_eq(report_parse_rfc3339_sec(NULL, 20, &ns),
	    CILKIT_EINVAL);
	ck_assert_int_eq(ns, -7);
}
END_TEST

START_TEST(test_format_time)
{
	char buf[48];

	report_format_time(NOW + 123456789, 9, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2024-05-01T10:00:00.123456789Z");
	report_format_time(NOW + 123456789, 3, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2024-05-01T10:00:00.123Z");
	report_format_time(NOW, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2024-05-01T10:00:00Z");
	report_format_time(INT64_C(951782400) * S, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2000-02-29T00:00:00Z");
}
END_TEST

struct fmtdur_case {
	int64_t ns;
	const char *short_form, *words;
};

static const struct fmtdur_case fmtdur_cases[] = {
	{ 0, "0s", "0 milliseconds" },
	{ 500000000, "500ms", "500 milliseconds" },
	{ 1500000000, "1.5s", "1 second" },
	{ 30 * S, "30s", "30 seconds" },
	{ 300 * S, "5m", "5 minutes" },
	{ 5400 * S, "1h30m", "1 hour 30 minutes" },
	{ 86400 * S, "1d", "1 day" },
	{ 90000 * S, "1d1h", "1 day 1 hour" },
	{ 86401 * S, "1d1s", "1 day" },
	{ 7, "7ns", "0 milliseconds" },
};

START_TEST(test_format_duration)
{
	const struct fmtdur_case *tc = &fmtdur_cases[_i];
	char buf[64];

	report_format_duration(tc->ns, buf, sizeof(buf));
	ck_assert_str_eq(buf, tc->short_form);
	report_format_duration_words(tc->ns, buf, sizeof(buf));
	ck_assert_str_eq(buf, tc->words);
}
END_TEST

struct pct_case {
	uint64_t c[5];
	size_t n;
	unsigned want[5];
};

static const struct pct_case pct_cases[] = {
	{ { 38, 3, 1 }, 3, { 91, 7, 2 } },	/* the seed's counts */
	{ { 1, 1, 1 }, 3, { 34, 33, 33 } },
	{ { 2, 1 }, 2, { 67, 33 } },
	{ { 1 }, 1, { 100 } },
	{ { 1000, 1, 1, 1, 1 }, 5, { 100, 0, 0, 0, 0 } },
	{ { 995, 1, 1, 1, 2 }, 5, { 100, 0, 0, 0, 0 } },
	{ { 985, 5, 4, 3, 3 }, 5, { 99, 1, 0, 0, 0 } },
	{ { 0, 0 }, 2, { 0, 0 } },
	{ { UINT64_MAX / 2, UINT64_MAX / 2 }, 2, { 50, 50 } },
};

START_TEST(test_percentages)
{
	const struct pct_case *tc = &pct_cases[_i];
	unsigned got[5], sum = 0;
	size_t i;

	report_percentages(tc->c, tc->n, got);
	for (i = 0; i < tc->n; i++) {
		ck_assert_uint_eq(got[i], tc->want[i]);
		sum += got[i];
	}
	if (tc->c[0] != 0)
		ck_assert_uint_eq(sum, 100);
}
END_TEST

struct width_case {
	const char *s;
	size_t w;
	const char *sanitized;
};

static const struct width_case width_cases[] = {
	{ "frontend", 8, "frontend" },
	{ "", 0, "" },
	{ "caf\xc3\xa9", 4, "caf\xc3\xa9" },
	{ "e\xcc\x81", 1, "e\xcc\x81" },			/* combining */
	{ "\xe6\x97\xa5\xe6\x9c\xac", 4, "\xe6\x97\xa5\xe6\x9c\xac" },
	{ "\xf0\x9f\x9a\x80", 2, "\xf0\x9f\x9a\x80" },		/* emoji */
	/* bad input: control bytes, invalid UTF-8 */
	{ "a\x1b[31mb", 7, "a?[31mb" },
	{ "x\xff" "y", 3, "x?y" },
	{ "\xc0\xaf", 2, "??" },				/* overlong */
	{ "\xed\xa0\x80", 3, "???" },				/* surrogate */
	{ "\xe6\x97", 2, "??" },				/* truncated */
	{ "tab\there", 8, "tab?here" },
	{ "\xc2\x85", 1, "?" },					/* C1 NEL */
};

START_TEST(test_width)
{
	const struct width_case *tc = &width_cases[_i];
	char *s;

	ck_assert_uint_eq(report_str_width(tc->s), tc->w);
	s = report_sanitize(tc->s);
	ck_assert_str_eq(s, tc->sanitized);
	free(s);
}
END_TEST

static char *
table_text(struct report_table *t, const char *indent)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(report_table_print(t, fp, indent), 0);
	fclose(fp);
	return buf;
}

START_TEST(test_table)
{
	struct report_table *t = report_table_new(3);
	const char *r1[] = { "frontend-xyz", "30", "drops" };
	const char *r2[] = { "crawler", "8", NULL };
	const char *r3[] = { "\xe6\x97\xa5\xe6\x9c\xac", "1234", "x" };
	char *out;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(report_table_column(t, 1, NULL, REPORT_ALIGN_RIGHT,
	    0), 0);
	ck_assert_int_eq(report_table_add_row(t, r1), 0);
	ck_assert_int_eq(report_table_add_row(t, r2), 0);
	ck_assert_int_eq(report_table_add_row(t, r3), 0);
	out = table_text(t, "  ");
	ck_assert_str_eq(out,
	    "  frontend-xyz    30  drops\n"
	    "  crawler          8\n"
	    "  \xe6\x97\xa5\xe6\x9c\xac          1234  x\n");
	free(out);
	report_table_free(t);
}
END_TEST

START_TEST(test_table_truncate)
{
	struct report_table *t = report_table_new(2);
	const char *r1[] = { "a-very-long-pod-name-1234", "1" };
	const char *r2[] = { "\xe6\x97\xa5\xe6\x9c\xac\xe6\x97\xa5\xe6\x9c"
	    "\xac\xe6\x97\xa5\xe6\x9c\xac", "2" };
	char *out;

	ck_assert_int_eq(report_table_column(t, 0, "POD", REPORT_ALIGN_LEFT,
	    10), 0);
	ck_assert_int_eq(report_table_column(t, 1, "N", REPORT_ALIGN_RIGHT,
	    0), 0);
	/* bad input: max width under 4, column out of range */
	ck_assert_int_eq(report_table_column(t, 0, NULL, REPORT_ALIGN_LEFT,
	    3), CILKIT_EINVAL);
	ck_assert_int_eq(report_table_column(t, 2, NULL, REPORT_ALIGN_LEFT,
	    0), CILKIT_EINVAL);
	report_table_add_row(t, r1);
	report_table_add_row(t, r2);
	out = table_text(t, NULL);
	ck_assert_str_eq(out,
	    "POD         N\n"
	    "a-very-lo\xe2\x80\xa6  1\n"
	    "\xe6\x97\xa5\xe6\x9c\xac\xe6\x97\xa5\xe6\x9c\xac\xe2\x80\xa6"
	    "   2\n");
	free(out);
	report_table_set_ascii(t, true);
	out = table_text(t, NULL);
	ck_assert_str_eq(out,
	    "POD         N\n"
	    "a-very-...  1\n"
	    "\xe6\x97\xa5\xe6\x9c\xac\xe6\x97\xa5...   2\n");
	free(out);
	report_table_free(t);
	ck_assert_ptr_null(report_table_new(0));
	ck_assert_ptr_null(report_table_new(65));
}
END_TEST

struct csv_case {
	const char *in, *out;
};

static const struct csv_case csv_cases[] = {
	{ "plain", "plain" },
	{ "", "" },
	{ "a,b", "\"a,b\"" },
	{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
	{ "two\nlines", "\"two\nlines\"" },
	{ "cr\r", "\"cr\r\"" },
	{ " lead", "\" lead\"" },
	{ "trail ", "\"trail \"" },
	{ "\"", "\"\"\"\"" },
};

START_TEST(test_csv)
{
	const struct csv_case *tc = &csv_cases[_i];
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	ck_assert_int_eq(report_csv_field(fp, tc->in), 0);
	fclose(fp);
	ck_assert_str_eq(buf, tc->out);
	free(buf);
}
END_TEST

/* The write-buffer form quotes the same fields the same way. */
START_TEST(test_csv_wbuf)
{
	const struct csv_case *tc = &csv_cases[_i];
	struct report_wbuf *w = malloc(sizeof(*w));

	ck_assert_ptr_nonnull(w);
	report_wbuf_init_mem(w);
	report_wbuf_csv_field(w, tc->in);
	ck_assert(!w->err);
	ck_assert_uint_eq(w->n, strlen(tc->out));
	ck_assert(memcmp(w->b, tc->out, w->n) == 0);
	report_wbuf_free_mem(w);
	free(w);
}
END_TEST

/* And through a pointer, as a row of a capture's export is written. */
START_TEST(test_csv_put)
{
	const struct csv_case *tc = &csv_cases[_i];
	char buf[64], *end;

	end = report_put_csv_field(buf, tc->in);
	ck_assert_uint_eq((size_t)(end - buf), strlen(tc->out));
	ck_assert(memcmp(buf, tc->out, strlen(tc->out)) == 0);
}
END_TEST

/* A field too long for reserved room, quotes in it, still whole. */
START_TEST(test_csv_wbuf_long)
{
	struct report_wbuf *w = malloc(sizeof(*w));
	size_t n = 3 * REPORT_WBUF_RESERVE_MAX, i;
	char *in = malloc(n + 1), *want = malloc(2 * n + 3);
	size_t wn = 0;

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(want);
	want[wn++] = '"';
	for (i = 0; i < n; i++) {
		in[i] = i % 10 == 0 ? '"' : (char)('a' + i % 26);
		if (in[i] == '"')
			want[wn++] = '"';
		want[wn++] = in[i];
	}
	in[n] = '\0';
	want[wn++] = '"';
	report_wbuf_init_mem(w);
	report_wbuf_csv_field(w, in);
	ck_assert(!w->err);
	ck_assert_uint_eq(w->n, wn);
	ck_assert(memcmp(w->b, want, wn) == 0);
	report_wbuf_free_mem(w);
	free(w);
	free(in);
	free(want);
}
END_TEST

START_TEST(test_csv_row)
{
	const char *f[] = { "ns/pod", "a,b", NULL, "8080" };
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	ck_assert_int_eq(report_csv_row(fp, f, 4), 0);
	fclose(fp);
	ck_assert_str_eq(buf, "ns/pod,\"a,b\",,8080\n");
	free(buf);
}
END_TEST

static const struct csv_case html_cases[] = {
	{ "plain text", "plain text" },
	{ "<script>alert('x')</script>",
	  "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" },
	{ "a & b \"c\"", "a &amp; b &quot;c&quot;" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	/* bad input */
	{ "x\xffy", "x\xef\xbf\xbdy" },
	{ "nul\x01", "nul\xef\xbf\xbd" },
	{ "\xe6\x97", "\xef\xbf\xbd\xef\xbf\xbd" },
	{ NULL, "" },
};

START_TEST(test_html)
{
	const struct csv_case *tc = &html_cases[_i];
	char *s = report_html_escape(tc->in);

	ck_assert_str_eq(s, tc->out);
	free(s);
}
END_TEST

START_TEST(test_json)
{
	struct json_object *o = json_object_new_object(), *a;
	char eb[CILKIT_ERRBUF_SIZE];
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	ck_assert_int_eq(report_json_add_str(o, "name", "a/b"), 0);
	ck_assert_int_eq(report_json_add_str(o, "bad", "x\xff"), 0);
	ck_assert_int_eq(report_json_add_str(o, "none", NULL), 0);
	ck_assert_int_eq(report_json_add_int(o, "n", -5), 0);
	ck_assert_int_eq(report_json_add_uint(o, "u", UINT64_MAX), 0);
	ck_assert_int_eq(report_json_add_bool(o, "b", true), 0);
	ck_assert_int_eq(report_json_add_time(o, "t", NOW + 1), 0);
	ck_assert_int_eq(report_json_add_time(o, "t0", 0), 0);
	a = json_object_new_array();
	ck_assert_int_eq(report_json_append(a, json_object_new_int(1)), 0);
	ck_assert_int_eq(report_json_add(o, "a", a), 0);
	fp = open_memstream(&buf, &len);
	ck_assert_int_eq(report_json_print(fp, o, false, eb, sizeof(eb)), 0);
	fclose(fp);
	ck_assert_str_eq(buf, "{\"name\":\"a/b\",\"bad\":\"x\xef\xbf\xbd\","
	    "\"none\":null,\"n\":-5,\"u\":18446744073709551615,\"b\":true,"
	    "\"t\":\"2024-05-01T10:00:00.000000001Z\",\"t0\":null,"
	    "\"a\":[1]}\n");
	free(buf);
	buf = NULL;
	fp = open_memstream(&buf, &len);
	ck_assert_int_eq(report_json_print(fp, a, true, eb, sizeof(eb)), 0);
	fclose(fp);
	ck_assert_str_eq(buf, "[\n  1\n]\n");
	free(buf);
	json_object_put(o);
}
END_TEST

/* A write error must be reported, not lost. */
START_TEST(test_json_ioerr)
{
	struct json_object *o = json_object_new_object();
	char eb[CILKIT_ERRBUF_SIZE] = "";
	FILE *fp = fopen("/dev/full", "w");
	int i, rc = 0;

	if (fp == NULL)
		return;
	setvbuf(fp, NULL, _IONBF, 0);
	for (i = 0; i < 10; i++)
		report_json_add_str(o, "k", "v");
	rc = report_json_print(fp, o, false, eb, sizeof(eb));
	ck_assert_int_eq(rc, CILKIT_EIO);
	ck_assert_ptr_nonnull(strstr(eb, "writing JSON"));
	fclose(fp);
	json_object_put(o);
}
END_TEST

START_TEST(test_intern)
{
	struct report_intern *in = report_intern_new(0);
	char name[32];
	int64_t id;
	int i;

	ck_assert_int_eq(report_intern_id(in, "frontend", (size_t)-1), 0);
	ck_assert_int_eq(report_intern_id(in, "backend", 7), 1);
	ck_assert_int_eq(report_intern_id(in, "frontend-x", 8), 0);
	ck_assert_int_eq(report_intern_id(in, "", 0), 2);
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "pod-%d", i);
		id = report_intern_id(in, name, (size_t)-1);
		ck_assert_int_eq(id, i + 3);
	}
	for (i = 0; i < 100000; i += 997) {
		snprintf(name, sizeof(name), "pod-%d", i);
		ck_assert_int_eq(report_intern_id(in, name, (size_t)-1), i + 3);
		ck_assert_str_eq(report_intern_str(in, i + 3), name);
	}
	ck_assert_uint_eq(report_intern_count(in), 100003);
	ck_assert_ptr_null(report_intern_str(in, -1));
	ck_assert_ptr_null(report_intern_str(in, 100003));
	report_intern_free(in);

	/* bad input: over the byte cap */
	in = report_intern_new(100);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "pod-%d", i);
		id = report_intern_id(in, name, (size_t)-1);
		if (id < 0)
			break;
	}
	ck_assert_int_eq(id, CILKIT_ETOOBIG);
	report_intern_free(in);
	report_intern_free(NULL);
}
END_TEST

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng = 88172645463325252ull;

static double
uniform(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (double)((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

enum dist { D_UNIFORM, D_LOGNORMAL, D_PARETO, D_BIMODAL, D_CONST, D_WIDE,
    D_EDGE, D_NDIST };

static double
draw(enum dist d)
{
	double u1, u2;

	switch (d) {
	case D_UNIFORM:
		return 1 + uniform() * 1e6;
	case D_LOGNORMAL:	/* latency-like: ms in ns, heavy right tail */
		u1 = uniform() + 1e-12;
		u2 = uniform();
		return exp(14 + 1.5 * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
	case D_PARETO:
		return 1000 / pow(uniform() + 1e-12, 1 / 1.2);
	case D_BIMODAL:
		return uniform() < 0.9 ? 200000 + uniform() * 1000 :
		    5e9 + uniform() * 1e9;
	case D_CONST:
		return 42;
	case D_WIDE:	/* every binary exponent the sketch covers */
		return 1e-9 * exp(uniform() * log(1e27));
	case D_EDGE:	/* on and next to the bounds of 1% buckets */
		u1 = pow(1.01 / 0.99, floor(uniform() * 3000) - 1000);
		u2 = uniform();
		return u2 < 0.34 ? u1 : u2 < 0.67 ? nextafter(u1, 0) :
		    nextafter(u1, INFINITY);
	case D_NDIST:
		break;
	}
	return 0;
}

static const double errs[] = { 0.01, 0.005, 0.05 };

/*
 * Every distribution, three error bounds: each estimated quantile is
 * within rel_err of the exact rank-floor(q*(n-1)) element.
 */
START_TEST(test_quantile_bound)
{
	static const double qs[] = { 0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9,
	    0.95, 0.99, 0.999, 1 };
	enum dist d = (enum dist)(_i % D_NDIST);
	double err = errs[_i / D_NDIST], *v, est, exact;
	size_t n = 50000, i, k;
	struct report_quantile *q = report_quantile_new(err);

	ck_assert_ptr_nonnull(q);
	v = malloc(n * sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i] = draw(d);
		report_quantile_add(q, v[i]);
	}
	qsort(v, n, sizeof(*v), cmp_double);
	ck_assert_uint_eq(report_quantile_count(q), n);
	ck_assert(report_quantile_min(q) == v[0]);
	ck_assert(report_quantile_max(q) == v[n - 1]);
	for (k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		exact = v[(size_t)floor(qs[k] * (double)(n - 1))];
		est = report_quantile_get(q, qs[k]);
		ck_assert_msg(fabs(est - exact) <= err * exact * (1 + 1e-9),
		    "dist %d err %g q %g: est %g exact %g", d, err, qs[k],
		    est, exact);
	}
	free(v);
	report_quantile_free(q);
}
END_TEST

/* Merging two sketches equals one sketch over all the values. */
START_TEST(test_quantile_merge)
{
	struct report_quantile *a = report_quantile_new(0.01);
	struct report_quantile *b = report_quantile_new(0.01);
	struct report_quantile *all = report_quantile_new(0.01);
	struct report_quantile *other = report_quantile_new(0.02);
	double x, q;
	int i;

	for (i = 0; i < 20000; i++) {
		x = draw(D_LOGNORMAL);
		report_quantile_add(i % 3 == 0 ? a : b, x);
		report_quantile_add(all, x);
	}
	ck_assert_int_eq(report_quantile_merge(a, b), 0);
	ck_assert_uint_eq(report_quantile_count(a), 20000);
	for (q = 0; q <= 1; q += 0.05)
		ck_assert(report_quantile_get(a, q) ==
		    report_quantile_get(all, q));
	ck_assert(report_quantile_min(a) == report_quantile_min(all));
	ck_assert(report_quantile_max(a) == report_quantile_max(all));
	/* bad input: different error bounds do not merge */
	ck_assert_int_eq(report_quantile_merge(a, other), CILKIT_EINVAL);
	report_quantile_free(a);
	report_quantile_free(b);
	report_quantile_free(all);
	report_quantile_free(other);
}
END_TEST

/*
 * Values added in batches of every size give the same sketch as added
 * one by one: counts, extremes, the sum (the same order of additions)
 * and every quantile, with zeros, negatives, NaN and out-of-range values
 * among them.
 */
START_TEST(test_quantile_add_many)
{
	struct report_quantile *one = report_quantile_new(0.01);
	struct report_quantile *many = report_quantile_new(0.01);
	double v[997], q;
	size_t i, at, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		switch (i % 50) {
		case 0: v[i] = 0; break;
		case 1: v[i] = -draw(D_LOGNORMAL); break;
		case 2: v[i] = NAN; break;
		case 3: v[i] = 1e300; break;
		case 4: v[i] = 1e-300; break;
		default: v[i] = draw(D_LOGNORMAL); break;
		}
		report_quantile_add(one, v[i]);
	}
	/* Batches of 0, 1, 2, ... values: every size up to 44. */
	for (at = 0, n = 0; at < sizeof(v) / sizeof(v[0]); n++) {
		if (n > sizeof(v) / sizeof(v[0]) - at)
			n = sizeof(v) / sizeof(v[0]) - at;
		report_quantile_add_many(many, v + at, n);
		at += n;
	}
	ck_assert_uint_eq(report_quantile_count(many),
	    report_quantile_count(one));
	ck_assert(report_quantile_min(many) == report_quantile_min(one));
	ck_assert(report_quantile_max(many) == report_quantile_max(one));
	ck_assert(report_quantile_sum(many) == report_quantile_sum(one));
	for (q = 0; q <= 1; q += 0.01)
		ck_assert(report_quantile_get(many, q) ==
		    report_quantile_get(one, q));
	report_quantile_add_many(many, NULL, 0);	/* nothing */
	ck_assert_uint_eq(report_quantile_count(many),
	    report_quantile_count(one));
	report_quantile_free(one);
	report_quantile_free(many);
}
END_TEST

/* Edge values: empty, zero, negative, NaN, out of range, bad rel_err. */
/*
 * The bucket of a value, against the definition: the smallest i with
 * v <= gamma^(i + offset), bounds computed as the header states.  Random
 * values over the whole range, every bucket bound and its neighbouring
 * doubles, powers of two and their neighbours, for four error bounds.
 */
static const double bucket_errs[] = { 0.001, 0.01, 0.05, 0.25 };

static size_t
ref_bucket(double v, double lg, long off, size_t n)
{
	size_t lo = 0, hi = n - 1;

	if (!(v >= REPORT_QUANTILE_MIN))
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v <= exp(lg * (double)((long)mid + off)))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

START_TEST(test_quantile_bucket)
{
	double err = bucket_errs[_i];
	double gamma = (1 + err) / (1 - err), lg = log(gamma);
	long off = (long)ceil(log(REPORT_QUANTILE_MIN) / lg);
	size_t n = (size_t)(ceil(log(REPORT_QUANTILE_MAX) / lg) - off) + 1;
	struct report_quantile *q = report_quantile_new(err);
	struct report_quantile *q2 = report_quantile_new(err);
	uint64_t x = 88172645463325252ull;
	double v, lo = log(REPORT_QUANTILE_MIN) - 1;
	double hi = log(REPORT_QUANTILE_MAX) + 1;
	size_t i;
	int k, e;

	ck_assert_ptr_nonnull(q);
	for (i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		v = exp(lo + (hi - lo) * (double)(x >> 11) / 9007199254740992.0);
		ck_assert_uint_eq(report_quantile_bucket(q, v),
		    ref_bucket(v, lg, off, n));
	}
	for (i = 0; i < n; i++) {
		double b = exp(lg * (double)((long)i + off));
		double t[3] = { nextafter(b, 0), b, nextafter(b, INFINITY) };

		for (k = 0; k < 3; k++)
			ck_assert_uint_eq(report_quantile_bucket(q, t[k]),
			    ref_bucket(t[k], lg, off, n));
	}
	for (e = -40; e <= 70; e++) {
		double b = ldexp(1, e);
		double t[3] = { nextafter(b, 0), b, nextafter(b, INFINITY) };

		for (k = 0; k < 3; k++)
			ck_assert_uint_eq(report_quantile_bucket(q, t[k]),
			    ref_bucket(t[k], lg, off, n));
	}
	ck_assert_uint_eq(report_quantile_bucket(q, INFINITY), n - 1);
	ck_assert_uint_eq(report_quantile_bucket(q, 0), 0);
	ck_assert_uint_eq(report_quantile_bucket(q, NAN), 0);
	/* A second sketch of the same error shares the tables. */
	ck_assert_uint_eq(report_quantile_bucket(q2, 1.5),
	    report_quantile_bucket(q, 1.5));
	report_quantile_free(q);
	report_quantile_free(q2);
}
END_TEST

START_TEST(test_quantile_edges)
{
	struct report_quantile *q = report_quantile_new(0.01);

	ck_assert(report_quantile_get(q, 0.5) == 0);
	ck_assert_uint_eq(report_quantile_count(q), 0);
	report_quantile_add(q, NAN);
	ck_assert_uint_eq(report_quantile_count(q), 0);
	report_quantile_add(q, 0);
	report_quantile_add(q, -3);
	report_quantile_add(q, 1e30);
	report_quantile_add_n(q, 100, 7);
	ck_assert_uint_eq(report_quantile_count(q), 10);
	ck_assert(report_quantile_min(q) == -3);
	ck_assert(report_quantile_max(q) == 1e30);
	ck_assert(report_quantile_get(q, 0) == -3);
	ck_assert(report_quantile_get(q, 1) == 1e30);
	ck_assert(fabs(report_quantile_get(q, 0.5) - 100) <= 1);
	ck_assert(report_quantile_get(q, -1) == -3);
	ck_assert(report_quantile_get(q, 2) == 1e30);
	ck_assert(report_quantile_get(q, NAN) == -3);
	report_quantile_free(q);
	ck_assert_ptr_null(report_quantile_new(0));
	ck_assert_ptr_null(report_quantile_new(0.5));
	ck_assert_ptr_null(report_quantile_new(NAN));
	report_quantile_free(NULL);
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_duration, 0,
	    sizeof(dur_cases) / sizeof(dur_cases[0]));
	tcase_add_loop_test(tc, test_time, 0,
	    sizeof(time_cases) / sizeof(time_cases[0]));
	tcase_add_loop_test(tc, test_rfc3339, 0,
	    sizeof(rfc_cases) / sizeof(rfc_cases[0]));
	tcase_add_loop_test(tc, test_rfc3339_sec, 0,
	    sizeof(sec_cases) / sizeof(sec_cases[0]));
	tcase_add_test(tc, test_rfc3339_null);
	tcase_add_test(tc, test_format_time);
	tcase_add_loop_test(tc, test_format_duration, 0,
	    sizeof(fmtdur_cases) / sizeof(fmtdur_cases[0]));
	tcase_add_loop_test(tc, test_percentages, 0,
	    sizeof(pct_cases) / sizeof(pct_cases[0]));
	tcase_add_loop_test(tc, test_width, 0,
	    sizeof(width_cases) / sizeof(width_cases[0]));
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_table_truncate);
	tcase_add_loop_test(tc, test_csv, 0,
	    sizeof(csv_cases) / sizeof(csv_cases[0]));
	tcase_add_loop_test(tc, test_csv_wbuf, 0,
	    sizeof(csv_cases) / sizeof(csv_cases[0]));
	tcase_add_loop_test(tc, test_csv_put, 0,
	    sizeof(csv_cases) / sizeof(csv_cases[0]));
	tcase_add_test(tc, test_csv_wbuf_long);
	tcase_add_test(tc, test_csv_row);
	tcase_add_loop_test(tc, test_html, 0,
	    sizeof(html_cases) / sizeof(html_cases[0]));
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_json_ioerr);
	tcase_add_test(tc, test_intern);
	tcase_add_loop_test(tc, test_quantile_bound, 0,
	    D_NDIST * (int)(sizeof(errs) / sizeof(errs[0])));
	tcase_add_test(tc, test_quantile_merge);
	tcase_add_test(tc, test_quantile_add_many);
	tcase_add_test(tc, test_quantile_edges);
	tcase_add_loop_test(tc, test_quantile_bucket, 0,
	    sizeof(bucket_errs) / sizeof(bucket_errs[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
