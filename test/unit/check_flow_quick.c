/*
 * check_flow_quick.c - the drop prefilter: every line it lets pass
 * unparsed must hold no drop, checked against the real parser, with
 * the verdict at every offset around the 16-byte block boundaries and
 * the bad-input rows (truncation, junk, escapes, non-ASCII).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cilkit.h"
#include "flow.h"
#include "flow_quick.h"
#include "flow_read.h"

struct quick_case {
	const char *line;
	bool maybe;		/* expected flow_quick_maybe_dropped */
};

static const struct quick_case quick_cases[] = {
	{ "{\"flow\":{\"verdict\":\"FORWARDED\"}}", false },
	{ "{\"flow\":{\"verdict\":\"DROPPED\"}}", true },
	{ "{\"verdict\":\"DROPPED\",\"x\":1}", true },
	{ "{\"flow\":{\"verdict\" : \"DROPPED\"}}", true },
	{ "{\"flow\":{\"verdict\":\t\"DROPPED\"}}", true },
	{ "{\"flow\":{\"verdict\":2}}", true },
	{ "{\"flow\":{\"verdict\": 2 }}", true },
	{ "{\"flow\":{\"verdict\":20}}", false },
	/* a quoted number is the enum's number too (fuzz find) */
	{ "{\"flow\":{\"verdict\":\"2\"}}", true },
	{ "{\"flow\":{\"verdict\":\"002\"}}", true },
	{ "{\"flow\":{\"verdict\":\"20\"}}", false },
	{ "{\"flow\":{\"verdict\":\"1\"}}", false },
	{ "{\"flow\":{\"verdict\":1}}", false },
	{ "{\"flow\":{\"time\":\"x\"}}", false },	/* no verdict */
	{ "  {\"flow\":{\"verdict\":\"AUDIT\"}}  \r", false },
	/* duplicate keys: any DROPPED value means parse */
	{ "{\"flow\":{\"verdict\":\"FORWARDED\",\"verdict\":\"DROPPED\"}}",
	  true },
	/* "verdict" as a value is not a key */
	{ "{\"flow\":{\"Summary\":\"verdict\",\"verdict\":\"TRACED\"}}",
	  false },
	{ "{\"lost_events\":{\"num_events_lost\":\"3\"}}", false },
	{ "{\"flow\":{\"verdict\":\"DROPPED_NOT\"}}", false },
	/* bad input: all must go to the parser */
	{ "", true },
	{ "{", true },
	{ "{\"flow\":{\"verdict\":\"FORWARDED\"}", true },	/* truncated */
	{ "{\"flow\":{\"verdict\":\"FORWARDED\"", true },
	{ "{\"flow\":{\"x\":\"}\"}}", true },		/* odd braces */
	{ "{\"flow\":{\"x\":[1,2}}", true },
	{ "{\"flow\":{\"x\":\"a\"b\"}}", true },	/* odd quotes */
	{ "not json", true },
	{ "{\"flow\":{\"x\":\"caf\xc3\xa9\"}}", true },	/* non-ASCII */
	{ "{\"flow\":{\"x\":\"\xff\"}}", true },
	{ "{\"flow\":{\"x\":\"a\\\"b\"}}", true },	/* escape */
	{ "{\"flow\":{\"x\":\"\x01\"}}", true },	/* control */
	{ "{\"flow\":{\"x\":\"\x7f\"}}", true },
	{ "[1,2]", true },
};

START_TEST(test_table)
{
	const struct quick_case *tc = &quick_cases[_i];

	ck_assert_msg(flow_quick_maybe_dropped(tc->line, strlen(tc->line)) ==
	    tc->maybe, "'%s'", tc->line);
}
END_TEST

/* flow_quick_lost: a lost_events record first, as protojson writes it. */
static const struct quick_case lost_cases[] = {
	{ "{\"lost_events\":{\"source\":\"HUBBLE_RING_BUFFER\","
	  "\"num_events_lost\":\"1\"},\"node_name\":\"n\"}", true },
	{ "  \t{\"lost_events\":{}}", true },
	{ "{\"lost_events\"", true },
	{ "{\"lostEvents\":{\"numEventsLost\":\"2\"}}", true },
	/* not first, another record, too short, empty */
	{ "{\"time\":\"x\",\"lost_events\":{}}", false },
	{ "{\"flow\":{\"Summary\":\"lost_events\"}}", false },
	{ "{\"lost_event\":{}}", false },
	{ "{\"lost_even", false },
	{ "", false },
};

START_TEST(test_lost)
{
	const struct quick_case *tc = &lost_cases[_i];

	ck_assert_msg(flow_quick_lost(tc->line, strlen(tc->line)) == tc->maybe,
	    "row %d", _i);
}
END_TEST

/*
 * The verdict key at every offset 0..70, DROPPED or not, padded so the
 * line crosses the SSE blocks and the byte tail in every way.
 */
START_TEST(test_offsets)
{
	char line[256], pad[80];
	int off, tail, drop;

	for (drop = 0; drop < 2; drop++)
		for (off = 0; off < 70; off++)
			for (tail = 0; tail < 40; tail += 3) {
				memset(pad, 'a', (size_t)off);
				pad[off] = '\0';
				snprintf(line, sizeof(line), "{\"p\":\"%s\","
				    "\"verdict\":\"%s\",\"q\":\"%.*s\"}", pad,
				    drop ? "DROPPED" : "FORWARDED", tail,
				    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
				ck_assert_msg(flow_quick_maybe_dropped(line,
				    strlen(line)) == (drop == 1), "%s", line);
			}
}
END_TEST

/*
 * Against the parser: a line the prefilter skips must parse to a
 * record that is not a dropped flow.
 */
START_TEST(test_against_parser)
{
	static const char *lines[] = {
		"{\"flow\":{\"time\":\"2024-05-01T10:00:00Z\",\"verdict\":"
		"\"FORWARDED\",\"IP\":{\"source\":\"10.0.0.1\"}},"
		"\"node_name\":\"n\"}",
		"{\"flow\":{\"verdict\":\"DROPPED\",\"drop_reason_desc\":"
		"\"POLICY_DENIED\"}}",
		"{\"verdict\":\"DROPPED\",\"drop_reason\":133}",
		"{\"flow\":{\"verdict\":2}}",
		"{\"lost_events\":{\"source\":\"HUBBLE_RING_BUFFER\","
		"\"num_events_lost\":\"1\",\"cpu\":5}}",
		"{\"agent_event\":{\"type\":\"POLICY_UPDATED\"}}",
		"{\"flow\":{\"verdict\":\"REDIRECTED\",\"l7\":{\"type\":"
		"\"REQUEST\"}}}",
	};
	struct flow_scratch *s = flow_scratch_new();
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		rc = flow_parse_line(s, lines[i], strlen(lines[i]), &rec, eb,
		    sizeof(eb));
		ck_assert_msg(rc == 1, "%s: %s", lines[i], eb);
		if (!flow_quick_maybe_dropped(lines[i], strlen(lines[i])))
			ck_assert_msg(rec.kind != FLOW_EV_FLOW ||
			    rec.flow.verdict != FLOW_DROPPED, "%s", lines[i]);
		else
			ck_assert_msg(rec.kind == FLOW_EV_FLOW &&
			    rec.flow.verdict == FLOW_DROPPED,
			    "needless parse: %s", lines[i]);
	}
	flow_scratch_free(s);
}
END_TEST

static Suite *
quick_suite(void)
{
	Suite *s = suite_create("flow_quick");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_table, 0,
	    sizeof(quick_cases) / sizeof(quick_cases[0]));
	tcase_add_test(tc, test_offsets);
	tcase_add_loop_test(tc, test_lost, 0,
	    sizeof(lost_cases) / sizeof(lost_cases[0]));
	tcase_add_test(tc, test_against_parser);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(quick_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
