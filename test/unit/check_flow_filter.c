/*
 * check_flow_filter.c - hubble-style filters: value validation (with
 * bad-input rows) and matching on flows built in code.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cilkit.h"
#include "flow.h"
#include "flow_filter.h"
#include "flow_read.h"

struct add_case {
	int kind;
	const char *value;
	int rc;
};

static const struct add_case add_cases[] = {
	{ FLOW_FILTER_NAMESPACE, "demo", 0 },
	{ FLOW_FILTER_POD, "demo/frontend", 0 },
	{ FLOW_FILTER_POD, "frontend", 0 },
	{ FLOW_FILTER_VERDICT, "dropped", 0 },
	{ FLOW_FILTER_PROTOCOL, "DNS", 0 },
	{ FLOW_FILTER_PORT, "65535", 0 },
	{ FLOW_FILTER_TYPE, "l3l4", 0 },
	{ FLOW_FILTER_LABEL, "app=web", 0 },
	{ FLOW_FILTER_LABEL, "k8s:app", 0 },
	/* bad input */
	{ FLOW_FILTER_NAMESPACE, "", CILKIT_EINVAL },
	{ FLOW_FILTER_POD, "/x", CILKIT_EINVAL },
	{ FLOW_FILTER_POD, "a/b/c", CILKIT_EINVAL },
	{ FLOW_FILTER_VERDICT, "MAYBE", CILKIT_EINVAL },
	{ FLOW_FILTER_PROTOCOL, "quic", CILKIT_EINVAL },
	{ FLOW_FILTER_PORT, "65536", CILKIT_EINVAL },
	{ FLOW_FILTER_PORT, "-1", CILKIT_EINVAL },
	{ FLOW_FILTER_PORT, "80x", CILKIT_EINVAL },
	{ FLOW_FILTER_TYPE, "l9", CILKIT_EINVAL },
	{ FLOW_FILTER_LABEL, "=x", CILKIT_EINVAL },
	{ FLOW_FILTER_NKINDS, "x", CILKIT_EINVAL },
};

START_TEST(test_add)
{
	const struct add_case *tc = &add_cases[_i];
	struct flow_filter *flt = flow_filter_new();
	char eb[CILKIT_ERRBUF_SIZE] = "";

	ck_assert_ptr_nonnull(flt);
	ck_assert_int_eq(flow_filter_add(flt, tc->kind, tc->value, eb,
	    sizeof(eb)), tc->rc);
	if (tc->rc < 0)
		ck_assert_int_gt(strlen(eb), 0);
	flow_filter_free(flt);
}
END_TEST

START_TEST(test_too_long)
{
	struct flow_filter *flt = flow_filter_new();
	char eb[CILKIT_ERRBUF_SIZE] = "", *v = malloc(5000);

	memset(v, 'a', 4999);
	v[4999] = '\0';
	ck_assert_int_eq(flow_filter_add(flt, FLOW_FILTER_NAMESPACE, v, eb,
	    sizeof(eb)), CILKIT_ETOOBIG);
	free(v);
	flow_filter_free(flt);
}
END_TEST

static const char *src_labels[] = { "k8s:app=frontend", "k8s:tier=web" };
static const char *dst_labels[] = { "k8s:app=backend",
	"reserved:something" };

/* demo/frontend-abc -> demo/backend-xyz TCP 41000 -> 8080, FORWARDED */
static void
mkflow(struct flow *f)
{
	flow_clear(f);
	f->time_ns = 1700000000000000000LL;
	f->verdict = FLOW_FORWARDED;
	f->type = FLOW_TYPE_L3_L4;
	f->l4 = FLOW_L4_TCP;
	f->sport = 41000;
	f->dport = 8080;
	f->src.namespace = "demo";
	f->src.pod_name = "frontend-abc";
	f->src.labels = src_labels;
	f->src.n_labels = 2;
	f->dst.namespace = "demo";
	f->dst.pod_name = "backend-xyz";
	f->dst.labels = dst_labels;
	f->dst.n_labels = 2;
	f->event_type = 4;
}

struct match_case {
	int kind;
	const char *values[3];
	bool match;
};

static const struct match_case match_cases[] = {
	{ -1, { NULL }, true },		/* no filter */
	{ FLOW_FILTER_NAMESPACE, { "demo" }, true },
	{ FLOW_FILTER_NAMESPACE, { "prod", "demo" }, true },	/* OR */
	{ FLOW_FILTER_NAMESPACE, { "prod" }, false },
	{ FLOW_FILTER_POD, { "demo/back" }, true },
	{ FLOW_FILTER_POD, { "backend" }, false },	/* default ns */
	{ FLOW_FILTER_FROM_POD, { "demo/front" }, true },
	{ FLOW_FILTER_FROM_POD, { "demo/back" }, false },
	{ FLOW_FILTER_TO_POD, { "demo/backend-xyz" }, true },
	{ FLOW_FILTER_TO_POD, { "demo/backend-xyz1" }, false },
	{ FLOW_FILTER_VERDICT, { "DROPPED" }, false },
	{ FLOW_FILTER_VERDICT, { "DROPPED", "forwarded" }, true },
	{ FLOW_FILTER_PROTOCOL, { "tcp" }, true },
	{ FLOW_FILTER_PROTOCOL, { "udp", "http" }, false },
	{ FLOW_FILTER_PORT, { "8080" }, true },
	{ FLOW_FILTER_PORT, { "41000" }, true },
	{ FLOW_FILTER_PORT, { "80" }, false },
	{ FLOW_FILTER_LABEL, { "app=backend" }, true },
	{ FLOW_FILTER_LABEL, { "k8s:tier=web" }, true },
	{ FLOW_FILTER_LABEL, { "tier" }, true },
	{ FLOW_FILTER_LABEL, { "app=back" }, false },
	{ FLOW_FILTER_LABEL, { "any:app=backend" }, false },
	{ FLOW_FILTER_TYPE, { "l3l4" }, true },
	{ FLOW_FILTER_TYPE, { "trace" }, true },
	{ FLOW_FILTER_TYPE, { "l7", "drop" }, false },
};

START_TEST(test_match)
{
	const struct match_case *tc = &match_cases[_i];
	struct flow_filter *flt = flow_filter_new();
	char eb[CILKIT_ERRBUF_SIZE];
	struct flow f;
	int i;

	mkflow(&f);
	for (i = 0; tc->kind >= 0 && i < 3 && tc->values[i] != NULL; i++)
		ck_assert_int_eq(flow_filter_add(flt, tc->kind, tc->values[i],
		    eb, sizeof(eb)), 0);
	ck_assert_int_eq(flow_filter_match(flt, &f), tc->match);
	flow_filter_free(flt);
}
END_TEST

/* Different filters are AND-ed; time window; unknown time passes. */
START_TEST(test_and_time)
{
	struct flow_filter *flt = flow_filter_new();
	char eb[CILKIT_ERRBUF_SIZE];
	struct flow f;

	mkflow(&f);
	ck_assert(flow_filter_empty(flt));
	flow_filter_add(flt, FLOW_FILTER_NAMESPACE, "demo", eb, sizeof(eb));
	flow_filter_add(flt, FLOW_FILTER_VERDICT, "DROPPED", eb, sizeof(eb));
	ck_assert(!flow_filter_match(flt, &f));
	f.verdict = FLOW_DROPPED;
	ck_assert(flow_filter_match(flt, &f));
	flow_filter_set_time(flt, f.time_ns + 1, 0);
	ck_assert(!flow_filter_match(flt, &f));
	flow_filter_set_time(flt, 0, f.time_ns - 1);
	ck_assert(!flow_filter_match(flt, &f));
	flow_filter_set_time(flt, f.time_ns, f.time_ns);
	ck_assert(flow_filter_match(flt, &f));
	f.time_ns = 0;
	flow_filter_set_time(flt, 5, 6);
	ck_assert(flow_filter_match(flt, &f));
	flow_filter_free(flt);
}
END_TEST

/*
 * What a reader may skip for the filter: never the fields a criterion
 * reads (labels for --label), always the ones no criterion reads.
 */
struct skippable_case {
	int kind;		/* -1: no criterion */
	const char *value;
	unsigned want;
};

static const struct skippable_case skippable_cases[] = {
	{ -1, NULL, FLOW_SKIP_POLICIES | FLOW_SKIP_DETAIL |
	  FLOW_SKIP_NAMED_LABELS },
	{ FLOW_FILTER_NAMESPACE, "demo", FLOW_SKIP_POLICIES |
	  FLOW_SKIP_DETAIL | FLOW_SKIP_NAMED_LABELS },
	{ FLOW_FILTER_TYPE, "drop", FLOW_SKIP_POLICIES | FLOW_SKIP_DETAIL |
	  FLOW_SKIP_NAMED_LABELS },
	{ FLOW_FILTER_LABEL, "k8s:app=x", FLOW_SKIP_POLICIES |
	  FLOW_SKIP_DETAIL },
	/* bad input: a refused value adds no criterion */
	{ FLOW_FILTER_LABEL, "", FLOW_SKIP_POLICIES | FLOW_SKIP_DETAIL |
	  FLOW_SKIP_NAMED_LABELS },
};

START_TEST(test_skippable)
{
	const struct skippable_case *tc = &skippable_cases[_i];
	struct flow_filter *flt = flow_filter_new();
	char eb[CILKIT_ERRBUF_SIZE];

	if (tc->kind >= 0)
		(void)flow_filter_add(flt, tc->kind, tc->value, eb,
		    sizeof(eb));
	ck_assert_uint_eq(flow_filter_skippable(flt), tc->want);
	flow_filter_free(flt);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("flow_filter");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_loop_test(tc, test_add, 0,
	    sizeof(add_cases) / sizeof(add_cases[0]));
	tcase_add_test(tc, test_too_long);
	tcase_add_loop_test(tc, test_match, 0,
	    sizeof(match_cases) / sizeof(match_cases[0]));
	tcase_add_test(tc, test_and_time);
	tcase_add_loop_test(tc, test_skippable, 0,
	    sizeof(skippable_cases) / sizeof(skippable_cases[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
