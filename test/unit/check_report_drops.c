/*
 * check_report_drops.c - the drop report's aggregation on hand-built
 * flow records: counting only drops, filters on either side, labels and
 * their fallbacks, percentages, recommendations, text and JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "cilkit.h"
#include "flow.h"
#include "report.h"
#include "report_drops.h"

#define S	INT64_C(1000000000)
#define T0	(INT64_C(1714557600) * S)	/* 2024-05-01T10:00:00Z */

static struct flow_record
mk(int verdict, uint32_t reason, const char *sns, const char *spod,
    const char *dns, const char *dpod, uint16_t dport, int64_t t)
{
	struct flow_record r;

	memset(&r, 0, sizeof(r));
	flow_clear(&r.flow);
	r.kind = FLOW_EV_FLOW;
	r.flow.verdict = verdict;
	r.flow.drop_reason = reason;
	r.flow.event_type = verdict == FLOW_DROPPED ? 1 : 4;
	r.flow.src.namespace = sns;
	r.flow.src.pod_name = spod;
	r.flow.dst.namespace = dns;
	r.flow.dst.pod_name = dpod;
	r.flow.src_ip = "10.0.0.1";
	r.flow.dst_ip = "10.0.0.2";
	r.flow.l4 = FLOW_L4_TCP;
	r.flow.sport = 40000;
	r.flow.dport = dport;
	r.flow.time_ns = t;
	r.time_ns = t;
	r.node_name = "kind-kind/kind-worker";
	r.flow.node_name = "kind-kind/kind-worker";
	r.flow.direction = FLOW_DIR_EGRESS;
	return r;
}

static char *
text_of(struct report_drops *d, enum report_drops_mode mode)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	ck_assert_int_eq(report_drops_print(d, fp, mode, true), 0);
	fclose(fp);
	return buf;
}

/* The seed's scenario: 38 policy denials, 3 invalid source, 1 CT. */
static bool strict = true;

/* Add r; expect it counted (want 1) or not (0) unless filtering. */
static void
add(struct report_drops *d, const struct flow_record *r, int want)
{
	int rc = report_drops_add(d, r);

	ck_assert_int_ge(rc, 0);
	if (strict)
		ck_assert_int_eq(rc, want);
}

static struct report_drops *
seed_report(const struct report_drops_opts *o)
{
	struct report_drops *d = report_drops_new(o);
	struct flow_record r;
	int i;

	ck_assert_ptr_nonnull(d);
	for (i = 0; i < 25; i++) {
		r = mk(FLOW_DROPPED, 133, "demo", "frontend-xyz", "demo",
		    "backend-7f9", 8080, T0 + i * S);
		add(d, &r, 1);
	}
	for (i = 0; i < 5; i++) {
		r = mk(FLOW_DROPPED, 133, "demo", "frontend-xyz", "db",
		    "database-0", 5432, T0 + 100 * S);
		r.flow.direction = FLOW_DIR_INGRESS;
		add(d, &r, 1);
	}
	for (i = 0; i < 8; i++) {
		r = mk(FLOW_DROPPED, 133, "demo", "crawler-abc", "db",
		    "database-0", 5432, T0 + 50 * S);
		r.flow.l4 = FLOW_L4_UDP;
		add(d, &r, 1);
	}
	for (i = 0; i < 3; i++) {
		r = mk(FLOW_DROPPED, 132, "demo", "spoofer", NULL, NULL, 53,
		    T0 + 10 * S);
		r.flow.dst_ip = "8.8.8.8";
		r.flow.dst.identity = 2;
		add(d, &r, 1);
	}
	r = mk(FLOW_DROPPED, 135, "demo", "frontend-xyz", "demo",
	    "backend-7f9", 8080, T0 + 200 * S);
	add(d, &r, 1);
	/* not drops: forwarded, a policy-verdict deny, a lost-events line */
	r = mk(FLOW_FORWARDED, 0, "demo", "frontend-xyz", "demo",
	    "backend-7f9", 8080, T0);
	add(d, &r, 0);
	r = mk(FLOW_DROPPED, 133, "demo", "frontend-xyz", "demo",
	    "backend-7f9", 8080, T0);
	r.flow.event_type = 5;
	add(d, &r, 0);
	r.kind = FLOW_EV_LOST;
	add(d, &r, 0);
	return d;
}

START_TEST(test_seed_text)
{
	struct report_drops_opts o = { .top = 10 };
	struct report_drops *d = seed_report(&o);
	char *t;

	ck_assert_uint_eq(report_drops_total(d), 42);
	t = text_of(d, REPORT_DROPS_NORMAL);
	ck_assert_msg(strstr(t, "=== Drop Analysis Report ===\n"
	    "Time Range: All input (first drop 2024-05-01T10:00:00Z, last "
	    "drop 2024-05-01T10:03:20Z)\nNamespace: all\n\nTotal Drops: 42\n"
	    "\nDrop Reasons:\n  Policy denied: 38 (91%)\n"
	    "  Invalid source ip: 3 (7%)\n"
	    "  CT: Truncated or invalid header: 1 (2%)\n\n"
	    "Top Source Pods:\n  demo/frontend-xyz: 31 drops\n"
	    "  demo/crawler-abc: 8 drops\n  demo/spoofer: 3 drops\n\n"
	    "Top Destinations:\n  demo/backend-7f9:8080: 26 drops\n"
	    "  db/database-0:5432: 13 drops\n  8.8.8.8:53 (world): 3 drops\n"
	    "\nRecommendation:\n") == t, "%s", t);
	ck_assert_ptr_nonnull(strstr(t, "  Check network policies for "
	    "demo/frontend-xyz -> demo/backend-7f9:8080 (25 drops, egress)\n"));
	ck_assert_ptr_nonnull(strstr(t, "    policy-tester --from "
	    "demo/frontend-xyz --to demo/backend-7f9 --port 8080\n"));
	ck_assert_ptr_nonnull(strstr(t, "    policy-tester --from "
	    "demo/crawler-abc --to db/database-0 --port 5432 --protocol "
	    "udp\n"));
	ck_assert_ptr_nonnull(strstr(t, "(5 drops, ingress)"));
	ck_assert_ptr_nonnull(strstr(t, "Invalid source ip: demo/spoofer -> "
	    "8.8.8.8:53 (world) (3 drops, on node kind-kind/kind-worker)"));
	ck_assert_ptr_nonnull(strstr(t, "Connection tracking"));
	ck_assert_ptr_nonnull(strstr(t, "1 policy-verdict deny event not "
	    "counted"));
	ck_assert_ptr_null(strstr(t, "Details:"));
	free(t);

	t = text_of(d, REPORT_DROPS_SUMMARY);
	ck_assert_ptr_null(strstr(t, "Top Source Pods:"));
	ck_assert_ptr_null(strstr(t, "Recommendation:"));
	ck_assert_ptr_nonnull(strstr(t, "Policy denied: 38 (91%)"));
	free(t);

	t = text_of(d, REPORT_DROPS_DETAIL);
	ck_assert_ptr_nonnull(strstr(t, "\nDetails:\n  Policy denied "
	    "(POLICY_DENIED, code 133): 38 drops\n    COUNT  SOURCE"));
	ck_assert_ptr_nonnull(strstr(t, "       25  demo/frontend-xyz  "
	    "demo/backend-7f9:8080  TCP    egress 25"));
	ck_assert_ptr_nonnull(strstr(t, "2024-05-01T10:00:00Z  "
	    "2024-05-01T10:00:24Z"));
	free(t);
	report_drops_free(d);
}
END_TEST

START_TEST(test_seed_json)
{
	struct report_drops_opts o = { .top = 1 };
	struct report_drops *d = seed_report(&o);
	struct json_object *j = report_drops_json(d, REPORT_DROPS_NORMAL);
	struct json_object *v, *r0, *p0;

	ck_assert_ptr_nonnull(j);
	ck_assert(json_object_object_get_ex(j, "total_drops", &v));
	ck_assert_int_eq(json_object_get_int(v), 42);
	ck_assert(json_object_object_get_ex(j, "reasons", &v));
	ck_assert_int_eq(json_object_array_length(v), 3);
	r0 = json_object_array_get_idx(v, 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r0,
	    "name")), "POLICY_DENIED");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(r0,
	    "percent")), 91);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(r0,
	    "pairs_total")), 3);
	v = json_object_object_get(r0, "pairs");
	ck_assert_int_eq(json_object_array_length(v), 1);	/* --top 1 */
	p0 = json_object_array_get_idx(v, 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(p0,
	    "destination_pod")), "demo/backend-7f9");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(p0,
	    "port")), 8080);
	ck_assert(json_object_object_get_ex(j, "input", &v));
	ck_assert_int_eq(json_object_get_int(json_object_object_get(v,
	    "policy_verdict_denials")), 1);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(v,
	    "records")), 45);
	ck_assert(json_object_object_get_ex(j, "recommendations", &v));
	r0 = json_object_array_get_idx(v, 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r0,
	    "family")), "policy");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
	    json_object_object_get(r0, "commands"), 0)), "policy-tester "
	    "--from demo/frontend-xyz --to demo/backend-7f9 --port 8080");
	json_object_put(j);
	report_drops_free(d);
}
END_TEST

struct filter_case {
	struct report_drops_opts o;
	uint64_t total;
};

static const struct filter_case filter_cases[] = {
	{ { .namespace = "db" }, 13 },		/* destination side */
	{ { .namespace = "demo" }, 42 },	/* source side */
	{ { .namespace = "nope" }, 0 },
	{ { .pod = "crawler" }, 8 },
	{ { .pod = "db/database" }, 13 },
	{ { .pod = "demo/database" }, 0 },
	{ { .node = "kind-worker" }, 42 },	/* without cluster prefix */
	{ { .node = "kind-kind/kind-worker" }, 42 },
	{ { .node = "worker" }, 0 },
	{ { .since_ns = T0 + 50 * S }, 25 - 25 + 5 + 8 + 1 },
	{ { .until_ns = T0 + 10 * S }, 11 + 3 },
	{ { .has_reason = true, .reason = 132 }, 3 },
	{ { .has_reason = true, .reason = 181 }, 0 },
};

START_TEST(test_filters)
{
	struct report_drops_opts o = filter_cases[_i].o;
	struct report_drops *d;
	char *t;

	strict = false;
	d = seed_report(&o);
	strict = true;
	ck_assert_uint_eq(report_drops_total(d), filter_cases[_i].total);
	t = text_of(d, REPORT_DROPS_DETAIL);
	free(t);
	report_drops_free(d);
}
END_TEST

/* Drops without a time are kept by --since, and the report says so. */
START_TEST(test_no_time)
{
	struct report_drops_opts o = { .since_ns = T0, .since_arg = "5m",
	    .since_relative = true };
	struct report_drops *d = report_drops_new(&o);
	struct flow_record r = mk(FLOW_DROPPED, 133, NULL, NULL, NULL, NULL,
	    80, 0);
	char *t;

	r.flow.src.identity = 261;
	r.flow.dst.identity = 264;
	r.node_name = r.flow.node_name = NULL;
	add(d, &r, 1);
	r.flow.time_ns = r.time_ns = T0 - S;	/* before --since */
	ck_assert_int_eq(report_drops_add(d, &r), 0);
	t = text_of(d, REPORT_DROPS_NORMAL);
	ck_assert_ptr_nonnull(strstr(t, "Time Range: Last 5 minutes (drops "
	    "carry no timestamps)\n"));
	ck_assert_ptr_nonnull(strstr(t, "10.0.0.1 (identity 261): 1 drop\n"));
	ck_assert_ptr_nonnull(strstr(t, "10.0.0.2:80 (identity 264): 1 "
	    "drop\n"));
	ck_assert_ptr_nonnull(strstr(t, "no policy-tester command"));
	ck_assert_ptr_nonnull(strstr(t, "1 drop carry no timestamp"));
	free(t);
	report_drops_free(d);
}
END_TEST

struct label_case {
	const char *what;
	void (*setup)(struct flow *f);
	const char *src, *dst;
};

static void
l_pod(struct flow *f)
{
	f->src.namespace = "a";
	f->src.pod_name = "p";
	f->dst.namespace = "b";
	f->dst.pod_name = "q";
}

static struct flow_workload wl = { "api", "Deployment" };

static void
l_svc(struct flow *f)
{
	l_pod(f);
	f->dst_svc.name = "backend";
	f->dst_svc.namespace = "b";
	f->src.pod_name = NULL;
	f->src.workloads = &wl;
	f->src.n_workloads = 1;
}

static const char *names[] = { "api.example.com" };

static void
l_world(struct flow *f)
{
	f->dst_ip = "93.184.215.14";
	f->dst.identity = 2;
	f->src_ip = "10.0.0.9";
	f->src.identity = 48447;
	f->dst_names = names;
	f->n_dst_names = 1;
}

static void
l_v6(struct flow *f)
{
	f->src_ip = "fd00::b";
	f->dst_ip = "fd00::c";
	f->dport = 4240;
}

static void
l_icmp(struct flow *f)
{
	f->src_ip = "fe80::1";
	f->dst_ip = "ff02::2";
	f->l4 = FLOW_L4_ICMPV6;
	f->dport = 0;
}

static void
l_nothing(struct flow *f)
{
	f->src_ip = NULL;
	f->dst_ip = NULL;
	f->l4 = FLOW_L4_NONE;
	f->src.identity = 6;
}

/* An LLC or ARP frame: no IP, only MAC addresses (monitor and Hubble) */
static void
l_mac(struct flow *f)
{
	f->src_ip = NULL;
	f->dst_ip = NULL;
	f->src_mac = "0a:1b:2c:3d:4e:5f";
	f->dst_mac = "01:80:c2:00:00:00";
	f->l4 = FLOW_L4_NONE;
	f->src.identity = 1;
	f->dst.identity = 2;
}

static void
l_evil(struct flow *f)
{
	f->src.namespace = "a";
	f->src.pod_name = "p\x1b[2Jx";
	f->dst.namespace = "b";
	f->dst.pod_name = "q";
}

static const struct label_case label_cases[] = {
	{ "pod", l_pod, "a/p", "b/q:80" },
	{ "service and workload", l_svc, "a/api", "b/backend:80" },
	{ "world by name", l_world, "10.0.0.9 (identity 48447)",
	  "api.example.com:80 (world)" },
	{ "ipv6", l_v6, "fd00::b", "[fd00::c]:4240" },
	{ "icmp", l_icmp, "fe80::1", "ff02::2 ICMPv6" },
	{ "mac only", l_mac, "0a:1b:2c:3d:4e:5f (host)",
	  "01:80:c2:00:00:00 (world)" },
	/* bad input: nothing to name the endpoints by */
	{ "nothing", l_nothing, "remote-node", "unknown" },
	{ "control chars", l_evil, "a/p\x1b[2Jx", "b/q:80" },
};

START_TEST(test_labels)
{
	const struct label_case *tc = &label_cases[_i];
	struct flow f;
	char s[512], dd[512];

	flow_clear(&f);
	f.verdict = FLOW_DROPPED;
	f.l4 = FLOW_L4_TCP;
	f.dport = 80;
	tc->setup(&f);
	report_drops_src_label(&f, s, sizeof(s));
	report_drops_dst_label(&f, dd, sizeof(dd));
	ck_assert_msg(strcmp(s, tc->src) == 0, "%s: src '%s'", tc->what, s);
	ck_assert_msg(strcmp(dd, tc->dst) == 0, "%s: dst '%s'", tc->what, dd);
	/* a tiny buffer is cut, never overrun */
	report_drops_dst_label(&f, s, 4);
	ck_assert_uint_le(strlen(s), 3);
}
END_TEST

/* Control characters from the input never reach the terminal. */
START_TEST(test_sanitized_output)
{
	struct report_drops_opts o = { .top = 10 };
	struct report_drops *d = report_drops_new(&o);
	struct flow_record r = mk(FLOW_DROPPED, 133, "a", "p\x1b[2Jx", "b",
	    "q", 80, T0);
	char *t;

	ck_assert_int_eq(report_drops_add(d, &r), 1);
	t = text_of(d, REPORT_DROPS_DETAIL);
	ck_assert_ptr_null(strchr(t, '\x1b'));
	ck_assert_ptr_nonnull(strstr(t, "a/p?[2Jx"));
	free(t);
	report_drops_free(d);
}
END_TEST

/* A monitor reason newer than our table keeps its own text. */
START_TEST(test_reason_text)
{
	struct report_drops_opts o = { .top = 10 };
	struct report_drops *d = report_drops_new(&o);
	struct flow_record r = mk(FLOW_DROPPED, 0, "a", "p", "b", "q", 80, T0);
	char *t;

	r.flow.drop_reason_text = "Brand new reason";
	ck_assert_int_eq(report_drops_add(d, &r), 1);
	r.flow.drop_reason_text = NULL;
	r.flow.type = FLOW_TYPE_L7;
	ck_assert_int_eq(report_drops_add(d, &r), 1);
	ck_assert_int_eq(report_drops_add(d, &r), 1);
	t = text_of(d, REPORT_DROPS_NORMAL);
	ck_assert_ptr_nonnull(strstr(t, "  L7 policy denied (proxy): 2 "
	    "(67%)\n  Brand new reason: 1 (33%)\n"));
	free(t);
	report_drops_free(d);
}
END_TEST

/* --reason with a code newer than our table: its named flows match. */
START_TEST(test_reason_new_code)
{
	struct report_drops_opts o = { .top = 10, .has_reason = true,
	    .reason = 250 };
	struct report_drops *d = report_drops_new(&o);
	struct flow_record r = mk(FLOW_DROPPED, 250, "a", "p", "b", "q", 80,
	    T0);
	char *t;

	r.flow.drop_reason_text = "DROP_SOMETHING_NEW";
	ck_assert_int_eq(report_drops_add(d, &r), 1);
	r.flow.drop_reason = 133;
	r.flow.drop_reason_text = NULL;
	ck_assert_int_eq(report_drops_add(d, &r), 0);
	r.flow.drop_reason = 0;
	r.flow.drop_reason_text = "Brand new reason";
	ck_assert_int_eq(report_drops_add(d, &r), 0);
	t = text_of(d, REPORT_DROPS_NORMAL);
	ck_assert_ptr_nonnull(strstr(t, "  DROP_SOMETHING_NEW: 1 (100%)\n"));
	free(t);
	report_drops_free(d);
}
END_TEST

/*
 * lost_events records: summed (a record without a count is one), only
 * in the --since window and on the --node asked for, and said in the
 * notes and the JSON, also when the denials become the drops.
 */
START_TEST(test_lost_events)
{
	struct report_drops_opts o = { .top = 10, .since_ns = T0,
	    .node = "kind-worker" };
	struct report_drops *d = report_drops_new(&o);
	struct flow_record r;
	struct json_object *j, *in, *v;
	char *t;

	memset(&r, 0, sizeof(r));
	flow_clear(&r.flow);
	r.kind = FLOW_EV_LOST;
	r.time_ns = T0 + S;
	r.node_name = "kind-kind/kind-worker";
	r.other.num_events_lost = 40;
	ck_assert_int_eq(report_drops_add(d, &r), 0);
	r.other.num_events_lost = 0;
	ck_assert_int_eq(report_drops_add(d, &r), 0);
	r.time_ns = T0 - S;		/* before --since */
	r.other.num_events_lost = 1000;
	ck_assert_int_eq(report_drops_add(d, &r), 0);
	r.time_ns = 0;			/* no time: kept */
	r.other.num_events_lost = 2;
	r.node_name = "kind-kind/kind-control-plane";	/* other node */
	ck_assert_int_eq(report_drops_add(d, &r), 0);
	r.node_name = NULL;
	ck_assert_int_eq(report_drops_add(d, &r), 0);
	r = mk(FLOW_DROPPED, 133, "a", "p", "b", "q", 80, T0 + S);
	r.flow.event_type = 5;		/* a denial: becomes the report */
	ck_assert_int_eq(report_drops_add(d, &r), 0);
	t = text_of(d, REPORT_DROPS_NORMAL);
	ck_assert_msg(strstr(t, "  The agent lost 43 events (lost_events "
	    "records)") != NULL, "%s", t);
	free(t);
	j = report_drops_json(d, REPORT_DROPS_NORMAL);
	ck_assert(json_object_object_get_ex(j, "input", &in));
	ck_assert(json_object_object_get_ex(in, "events_lost", &v));
	ck_assert_int_eq(json_object_get_int64(v), 43);
	json_object_put(j);
	report_drops_free(d);
}
END_TEST

/* No drops at all: a complete report that says so. */
START_TEST(test_empty)
{
	struct report_drops_opts o = { .namespace = "demo" };
	struct report_drops *d = report_drops_new(&o);
	struct json_object *j;
	char *t;

	report_drops_note_skipped(d, 2);
	t = text_of(d, REPORT_DROPS_NORMAL);
	ck_assert_str_eq(t, "=== Drop Analysis Report ===\n"
	    "Time Range: All input (no drops seen)\nNamespace: demo\n\n"
	    "Total Drops: 0\n\nRecommendation:\n"
	    "  No drops found; nothing to do.\n\nNotes:\n"
	    "  2 input lines could not be read and were not counted (see "
	    "the messages on stderr).\n");
	free(t);
	j = report_drops_json(d, REPORT_DROPS_DETAIL);
	ck_assert_ptr_nonnull(j);
	json_object_put(j);
	report_drops_free(d);
}
END_TEST

/* Many distinct pairs: memory stays bounded by distinct names. */
START_TEST(test_many)
{
	struct report_drops_opts o = { .top = 3 };
	struct report_drops *d = report_drops_new(&o);
	struct flow_record r;
	char pod[32];
	int i;

	for (i = 0; i < 200000; i++) {
		snprintf(pod, sizeof(pod), "p%d", i % 5000);
		r = mk(FLOW_DROPPED, 133, "a", pod, "b", "q", 80, T0 + i);
		ck_assert_int_eq(report_drops_add(d, &r), 1);
	}
	ck_assert_uint_eq(report_drops_total(d), 200000);
	report_drops_free(d);
}
END_TEST

static Suite *
drops_suite(void)
{
	Suite *s = suite_create("report_drops");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_seed_text);
	tcase_add_test(tc, test_seed_json);
	tcase_add_loop_test(tc, test_filters, 0,
	    sizeof(filter_cases) / sizeof(filter_cases[0]));
	tcase_add_test(tc, test_no_time);
	tcase_add_loop_test(tc, test_labels, 0,
	    sizeof(label_cases) / sizeof(label_cases[0]));
	tcase_add_test(tc, test_sanitized_output);
	tcase_add_test(tc, test_reason_text);
	tcase_add_test(tc, test_reason_new_code);
	tcase_add_test(tc, test_lost_events);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_many);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(drops_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
