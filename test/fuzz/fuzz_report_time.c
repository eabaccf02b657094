/*
 * fuzz_report_time.c - report_parse_duration, report_parse_time and the
 * text sanitizers on arbitrary bytes: no crash, no overflow, a parsed
 * duration is never negative, and an RFC 3339 time that parses comes
 * back the same through report_format_time and agrees with
 * report_parse_rfc3339_sec.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char eb[CILKIT_ERRBUF_SIZE], buf[64], *s, *t;
	int64_t ns, when;

	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (report_parse_duration(s, &ns, eb, sizeof(eb)) == 0) {
		if (ns < 0)
			abort();
		report_format_duration(ns, buf, sizeof(buf));
		report_format_duration_words(ns, buf, sizeof(buf));
	}
	if (report_parse_time(s, INT64_C(1714557600000000000), &when, eb,
	    sizeof(eb)) == 0)
		report_format_time(when, 9, buf, sizeof(buf));
	/*
	 * What parses formats back to the same instant, and the seconds
	 * variant agrees (floor of the ns value).
	 */
	if (report_parse_rfc3339(s, size, &when) == 0) {
		report_format_time(when, 9, buf, sizeof(buf));
		if (report_parse_rfc3339(buf, strlen(buf), &ns) != 0 ||
		    ns != when)
			abort();
		if (report_parse_rfc3339_sec(s, size, &ns) != 0 ||
		    ns != when / 1000000000 - (when % 1000000000 < 0))
			abort();
	}
	(void)report_str_width(s);
	t = report_sanitize(s);
	free(t);
	t = report_html_escape(s);
	free(t);
	free(s);
	return 0;
}
