/*
 * check_flow_stats.c - the streaming flow analysis: node naming (pod
 * hash suffixes, reserved entities, services, IPs), reply orientation,
 * per-edge verdicts/drop reasons/resets, L7 errors and latency
 * percentiles against exact values, the time series, and the escaping
 * done by the JSON-in-<script> and DOT writers.
 */
#include <json-c/json.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cilkit.h"
#include "flow.h"
#include "flow_read.h"
#include "flow_stats.h"
#include "flow_stats_out.h"

struct pod_case {
	const char *pod;
	const char *want;
	bool stripped;
};

static const struct pod_case pod_cases[] = {
	{ "web-7d4b9c8f6-x2k9p", "web", true },		/* Deployment */
	{ "prometheus-6655946b9f-6xcpf", "prometheus", true },
	{ "coredns-558bd4d5db-9wk8z", "coredns", true },
	{ "cilium-x2k9p", "cilium", true },		/* DaemonSet */
	{ "db-0", "db", true },				/* StatefulSet */
	{ "job-27989280-zq7vz", "job", true },		/* CronJob */
	{ "old-1234567890-x2k9p", "old", true },	/* numeric RS hash */
	{ "api-server", "api-server", false },		/* vowels: a word */
	{ "xwing", "xwing", false },
	{ "my-app-aaaaa", "my-app-aaaaa", false },
	/* bad or odd input */
	{ "", "", false },
	{ "-x2k9p", "-x2k9p", false },
	{ "web-", "web-", false },
	{ "web-123456", "web-123456", false },
	{ "web--", "web--", false },
};

START_TEST(test_pod_workload)
{
	const struct pod_case *tc = &pod_cases[_i];
	char buf[256];

	ck_assert_int_eq(flow_stats_pod_workload(tc->pod, buf, sizeof(buf)),
	    tc->stripped);
	ck_assert_str_eq(buf, tc->want);
}
END_TEST

START_TEST(test_pod_workload_small_buf)
{
	char buf[4];

	ck_assert(!flow_stats_pod_workload(NULL, buf, sizeof(buf)));
	flow_stats_pod_workload("abcdefgh-x2k9p", buf, sizeof(buf));
	ck_assert_str_eq(buf, "abc");
}
END_TEST

static const char *world_labels[] = { "reserved:world" };
static const char *fqdn_labels[] = { "fqdn:api.example.com" };

struct name_case {
	uint32_t identity;
	const char *ns, *pod, *workload;
	const char **labels;
	size_t n_labels;
	const char *svc_ns, *svc;
	const char *ip, *dnsname;
	const char *want;
	int kind;
};

static const struct name_case name_cases[] = {
	{ 1234, "demo", "web-7d4b9c8f6-x2k9p", NULL, NULL, 0, NULL, NULL,
	  "10.0.0.1", NULL, "demo/web", FLOW_NODE_WORKLOAD },
	{ 1234, "demo", "web-7d4b9c8f6-x2k9p", "frontend", NULL, 0, NULL,
	  NULL, "10.0.0.1", NULL, "demo/frontend", FLOW_NODE_WORKLOAD },
	{ 1234, "demo", "xwing", NULL, NULL, 0, NULL, NULL, NULL, NULL,
	  "demo/xwing", FLOW_NODE_POD },
	{ 2, NULL, NULL, NULL, NULL, 0, NULL, NULL, "1.1.1.1", NULL,
	  "world", FLOW_NODE_RESERVED },
	{ 0, NULL, NULL, NULL, world_labels, 1, NULL, NULL, "1.1.1.1",
	  "one.one.one.one", "one.one.one.one", FLOW_NODE_DNS },
	{ 7, NULL, NULL, NULL, NULL, 0, NULL, NULL, "10.96.0.1", NULL,
	  "kube-apiserver", FLOW_NODE_RESERVED },
	{ 6, NULL, NULL, NULL, NULL, 0, NULL, NULL, "10.0.1.5", NULL,
	  "remote-node", FLOW_NODE_RESERVED },
	{ 0, NULL, NULL, NULL, NULL, 0, "demo", "backend", "10.96.3.3",
	  NULL, "demo/backend", FLOW_NODE_SERVICE },
	{ 16777300, NULL, NULL, NULL, fqdn_labels, 1, NULL, NULL,
	  "93.184.216.34", NULL, "api.example.com", FLOW_NODE_DNS },
	{ 55555, NULL, NULL, NULL, NULL, 0, NULL, NULL, "10.0.0.9", NULL,
	  "identity:55555", FLOW_NODE_IDENTITY },
	{ 0, NULL, NULL, NULL, NULL, 0, NULL, NULL, "fd00::1", NULL,
	  "fd00::1", FLOW_NODE_IP },
	/* nothing known */
	{ 0, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, "unknown",
	  FLOW_NODE_UNKNOWN },
	{ 0, "", "", NULL, NULL, 0, "", "", "", NULL, "unknown",
	  FLOW_NODE_UNKNOWN },
};

START_TEST(test_node_name)
{
	const struct name_case *tc = &name_cases[_i];
	struct flow_endpoint ep;
	struct flow_service svc;
	struct flow_workload wl = { tc->workload, "Deployment" };
	const char *names[1] = { tc->dnsname };
	char buf[256];

	memset(&ep, 0, sizeof(ep));
	memset(&svc, 0, sizeof(svc));
	ep.identity = tc->identity;
	ep.namespace = tc->ns;
	ep.pod_name = tc->pod;
	ep.labels = tc->labels;
	ep.n_labels = tc->n_labels;
	if (tc->workload != NULL) {
		ep.workloads = &wl;
		ep.n_workloads = 1;
	}
	svc.namespace = tc->svc_ns;
	svc.name = tc->svc;
	ck_assert_int_eq(flow_stats_node_name(&ep, &svc, tc->ip,
	    names, tc->dnsname ? 1 : 0, buf, sizeof(buf)), tc->kind);
	ck_assert_str_eq(buf, tc->want);
}
END_TEST

/* frontend -> backend:8080 request, and its reply. */
static void
mk(struct flow *f, bool reply, int verdict, int64_t t)
{
	flow_clear(f);
	f->time_ns = t;
	f->verdict = verdict;
	f->type = FLOW_TYPE_L3_L4;
	f->l4 = FLOW_L4_TCP;
	f->src.namespace = f->dst.namespace = "demo";
	if (!reply) {
		f->src.pod_name = "frontend-5d8f7c9b6d-x2k9p";
		f->dst.pod_name = "backend-0";
		f->sport = 41000;
		f->dport = 8080;
	} else {
		f->dst.pod_name = "frontend-5d8f7c9b6d-x2k9p";
		f->src.pod_name = "backend-0";
		f->dport = 41000;
		f->sport = 8080;
	}
	f->is_reply = reply;
}

START_TEST(test_edges_and_replies)
{
	struct flow_stats *st = flow_stats_new();
	char eb[CILKIT_ERRBUF_SIZE];
	const struct flow_stats_edge *e;
	struct flow f;
	int i;

	for (i = 0; i < 1000; i++) {
		mk(&f, i % 2, i % 10 == 0 ? FLOW_DROPPED : FLOW_FORWARDED,
		    1700000000000000000LL + i * 1000000LL);
		if (i % 10 == 0)
			f.drop_reason = i % 20 == 0 ? 133 : 181;
		if (i == 5)
			f.tcp_flags = FLOW_TCP_RST | FLOW_TCP_ACK;
		ck_assert_int_eq(flow_stats_add(st, &f, "node-a", eb,
		    sizeof(eb)), 0);
	}
	/* one edge, both nodes, memory did not grow with flows */
	ck_assert_uint_eq(st->n_edges, 1);
	ck_assert_uint_eq(st->n_nodes, 2);
	e = &st->edges[0];
	ck_assert_str_eq(st->nodes[e->src].name, "demo/frontend");
	ck_assert_str_eq(st->nodes[e->dst].name, "demo/backend");
	ck_assert_uint_eq(e->port, 8080);
	ck_assert_uint_eq(e->flows, 1000);
	ck_assert_uint_eq(e->replies, 500);
	ck_assert_uint_eq(e->verdict[FLOW_DROPPED], 100);
	ck_assert_uint_eq(e->verdict[FLOW_FORWARDED], 900);
	ck_assert_uint_eq(e->n_reasons, 2);
	ck_assert_uint_eq(e->reasons[0].code, 133);
	ck_assert_uint_eq(e->reasons[0].count, 50);
	ck_assert_uint_eq(e->reasons[1].code, 181);
	ck_assert_uint_eq(e->tcp_resets, 1);
	ck_assert_uint_eq(st->n_k8s_nodes, 1);
	ck_assert_uint_eq(st->k8s_nodes[0].count, 1000);
	ck_assert_uint_eq(st->n_ports, 1);
	ck_assert_str_eq(st->ports[0].name, "TCP/8080");
	ck_assert_int_eq(e->first_ns, 1700000000000000000LL);
	ck_assert_int_eq(e->last_ns, 1700000000000000000LL + 999000000LL);
	flow_stats_free(st);
}
END_TEST

/* Unknown direction: ports and SYN-ACK decide; SYN is a request. */
START_TEST(test_reply_heuristics)
{
	struct flow f;

	mk(&f, false, FLOW_FORWARDED, 1);
	f.is_reply = -1;
	ck_assert(!flow_stats_is_reply(&f));
	f.sport = 8080;
	f.dport = 41000;
	ck_assert(flow_stats_is_reply(&f));
	f.tcp_flags = FLOW_TCP_SYN;
	ck_assert(!flow_stats_is_reply(&f));
	f.tcp_flags = FLOW_TCP_SYN | FLOW_TCP_ACK;
	f.sport = 41000;
	f.dport = 8080;
	ck_assert(flow_stats_is_reply(&f));
	f.tcp_flags = 0;
	f.has_l7 = true;
	f.l7.type = FLOW_L7_RESPONSE;
	ck_assert(flow_stats_is_reply(&f));
	f.is_reply = 0;		/* an explicit flag wins */
	ck_assert(!flow_stats_is_reply(&f));
}
END_TEST

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* HTTP responses: errors and latency percentiles within 1% of exact. */
START_TEST(test_http_latency)
{
	struct flow_stats *st = flow_stats_new();
	char eb[CILKIT_ERRBUF_SIZE];
	static uint64_t v[5000];
	const struct flow_stats_l7 *l7;
	const double qs[] = { 0.5, 0.9, 0.99 };
	uint64_t x, got, seed = 42;
	struct flow f;
	int i, k;

	for (i = 0; i < 5000; i++) {
		mk(&f, true, FLOW_FORWARDED, 1700000000000000000LL);
		f.type = FLOW_TYPE_L7;
		f.has_l7 = true;
		f.l7.type = FLOW_L7_RESPONSE;
		f.l7.kind = FLOW_L7_HTTP;
		f.l7.http.code = i % 50 == 0 ? 503 : i % 25 == 0 ? 404 : 200;
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		v[i] = 100000 + (seed >> 33) % 50000000;	/* 0.1-50 ms */
		f.l7.latency_ns = v[i];
		f.dst_svc.namespace = "demo";
		f.dst_svc.name = "frontend-svc";
		ck_assert_int_eq(flow_stats_add(st, &f, NULL, eb,
		    sizeof(eb)), 0);
	}
	qsort(v, 5000, sizeof(v[0]), cmp_u64);
	ck_assert_uint_eq(st->n_edges, 1);
	l7 = &st->edges[0].l7;
	ck_assert_uint_eq(l7->http_responses, 5000);
	ck_assert_uint_eq(l7->http_5xx, 100);
	ck_assert_uint_eq(l7->http_4xx, 100);
	ck_assert_uint_eq(st->http_5xx, 100);
	ck_assert_uint_eq(flow_stats_latency_count(l7), 5000);
	ck_assert_uint_eq(l7->latency_max_ns, v[4999]);
	for (k = 0; k < 3; k++) {
		x = v[(size_t)(qs[k] * 4999)];
		got = flow_stats_latency_q(l7, qs[k]);
		ck_assert_msg(got >= x - x / 100 - 1 && got <= x + x / 100 + 1,
		    "q%.2f: %llu vs exact %llu", qs[k],
		    (unsigned long long)got, (unsigned long long)x);
	}
	/* replies counted on the request edge: backend's service is the
	 * reply's source service, so the service here is the node name */
	ck_assert_uint_eq(st->n_services, 1);
	ck_assert_str_eq(st->services[0].name, "demo/backend");
	flow_stats_free(st);
}
END_TEST

START_TEST(test_dns_errors)
{
	struct flow_stats *st = flow_stats_new();
	char eb[CILKIT_ERRBUF_SIZE];
	struct flow f;
	int i;

	for (i = 0; i < 30; i++) {
		mk(&f, i % 2, FLOW_FORWARDED, 0);
		f.l4 = FLOW_L4_UDP;
		f.has_l7 = true;
		f.type = FLOW_TYPE_L7;
		f.l7.kind = FLOW_L7_DNS;
		f.l7.type = i % 2 ? FLOW_L7_RESPONSE : FLOW_L7_REQUEST;
		f.l7.dns.query = i < 10 ? "nope.example." : "ok.example.";
		f.l7.dns.rcode = i % 2 && i < 10 ? 3 : i == 29 ? 2 : 0;
		ck_assert_int_eq(flow_stats_add(st, &f, NULL, eb,
		    sizeof(eb)), 0);
	}
	ck_assert_uint_eq(st->n_dns, 2);
	ck_assert_str_eq(st->dns[0].query, "nope.example.");
	ck_assert_uint_eq(st->dns[0].queries, 5);
	ck_assert_uint_eq(st->dns[0].errors, 5);
	ck_assert_uint_eq(st->dns[0].rcode[3], 5);
	ck_assert_uint_eq(st->dns[1].errors, 1);
	ck_assert_uint_eq(st->dns[1].rcode[2], 1);
	ck_assert_uint_eq(st->dns_errors, 6);
	ck_assert_uint_eq(st->ts_step_ns, 0);	/* no times */
	flow_stats_free(st);
}
END_TEST

/* The series widens its interval to fit, both ways, keeping counts. */
START_TEST(test_series)
{
	struct flow_stats *st = flow_stats_new();
	char eb[CILKIT_ERRBUF_SIZE];
	int64_t t0 = 1700000000000000000LL, s = 1000000000LL;
	uint64_t sum = 0;
	struct flow f;
	int i;

	for (i = 0; i < 100; i++) {
		mk(&f, false, FLOW_FORWARDED, t0 + i * s);
		flow_stats_add(st, &f, NULL, eb, sizeof(eb));
	}
	ck_assert_int_eq(flow_stats_interval(st), s);
	mk(&f, false, FLOW_DROPPED, t0 + 3600 * s);
	flow_stats_add(st, &f, NULL, eb, sizeof(eb));
	mk(&f, false, FLOW_FORWARDED, t0 - 600 * s);
	flow_stats_add(st, &f, NULL, eb, sizeof(eb));
	ck_assert_int_ge(flow_stats_interval(st), 32 * s);
	for (i = 0; i < FLOW_STATS_NBUCKETS; i++)
		sum += st->ts_total[i];
	ck_assert_uint_eq(sum, 102);
	ck_assert_int_le(st->ts_base_ns, t0 - 600 * s);
	ck_assert_int_gt(st->ts_base_ns + FLOW_STATS_NBUCKETS *
	    flow_stats_interval(st), t0 + 3600 * s);
	flow_stats_free(st);
}
END_TEST

/* Hostile names: JSON for <script>, DOT strings. */
START_TEST(test_escaping)
{
	struct flow_stats *st = flow_stats_new();
	char eb[CILKIT_ERRBUF_SIZE], *s, *dot = NULL;
	struct json_object *j;
	size_t dlen = 0;
	struct flow f;
	FILE *fp;

	mk(&f, false, FLOW_DROPPED, 1);
	f.src.pod_name = "</script><script>alert(1)</script>";
	f.dst.pod_name = "x\"];evil[\"<!--\xe2\x80\xa8";
	f.drop_reason = 133;
	ck_assert_int_eq(flow_stats_add(st, &f, NULL, eb, sizeof(eb)), 0);
	j = flow_stats_json(st, 0);
	ck_assert_ptr_nonnull(j);
	s = flow_stats_json_for_script(j);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(strstr(s, "</"));
	ck_assert_ptr_null(strstr(s, "<"));
	ck_assert_ptr_null(strstr(s, "\xe2\x80\xa8"));
	ck_assert_ptr_nonnull(strstr(s, "\\u003c"));
	ck_assert_ptr_nonnull(strstr(s, "\\u2028"));
	ck_assert_ptr_nonnull(strstr(s, "POLICY_DENIED"));
	free(s);
	json_object_put(j);

	fp = open_memstream(&dot, &dlen);
	ck_assert_int_eq(flow_stats_print_dot(fp, st), 0);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(dot, "x\\\"];evil[\\\"<!--"));
	ck_assert_ptr_nonnull(strstr(dot, "color=red"));
	free(dot);
	flow_stats_free(st);
}
END_TEST

/* Merging halves gives what one pass over everything gives. */
START_TEST(test_merge)
{
	struct flow_stats *all = flow_stats_new(), *a = flow_stats_new();
	struct flow_stats *b = flow_stats_new();
	char eb[CILKIT_ERRBUF_SIZE];
	struct json_object *ja, *jm;
	struct flow f;
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < 3000; i++) {
		mk(&f, i % 3 == 0, i % 7 == 0 ? FLOW_DROPPED : FLOW_FORWARDED,
		    1700000000000000000LL + (int64_t)i * 2000000000LL);
		if (i % 7 == 0)
			f.drop_reason = 130 + (uint32_t)(i % 5);
		if (i % 5 == 0)
			f.dst.pod_name = i % 2 ? "db-1" : "cache-x2k9p";
		if (i % 4 == 1) {
			f.has_l7 = true;
			f.l7.type = FLOW_L7_RESPONSE;
			f.l7.kind = FLOW_L7_HTTP;
			f.l7.http.code = i % 8 == 1 ? 500 : 200;
			f.l7.latency_ns = 1000 + i * 997 % 100000;
		}
		ck_assert_int_eq(flow_stats_add(all, &f, "n1", eb,
		    sizeof(eb)), 0);
		ck_assert_int_eq(flow_stats_add(i < 1700 ? a : b, &f,
		    i % 2 ? "n1" : "n2", eb, sizeof(eb)), 0);
	}
	ck_assert_int_eq(flow_stats_merge(a, b, eb, sizeof(eb)), 0);
	ck_assert_uint_eq(a->flows, all->flows);
	ck_assert_uint_eq(a->n_nodes, all->n_nodes);
	ck_assert_uint_eq(a->n_edges, all->n_edges);
	ck_assert_uint_eq(a->n_ports, all->n_ports);
	ck_assert_uint_eq(a->http_5xx, all->http_5xx);
	ck_assert_uint_eq(a->first_ns, all->first_ns);
	ck_assert_uint_eq(a->last_ns, all->last_ns);
	/* same edges, same numbers: compare the JSON edge lists */
	ja = flow_stats_json(all, 0);
	jm = flow_stats_json(a, 0);
	if (getenv("DUMP")) {
		puts(json_object_to_json_string(ja));
		puts(json_object_to_json_string(jm));
	}
	ck_assert(strcmp(json_object_to_json_string(json_object_object_get(
	    jm, "edges")), json_object_to_json_string(json_object_object_get(
	    ja, "edges"))) == 0);
	ck_assert(strcmp(json_object_to_json_string(json_object_object_get(
	    jm, "services")), json_object_to_json_string(
	    json_object_object_get(ja, "services"))) == 0);
	json_object_put(ja);
	json_object_put(jm);
	for (i = 0; i < FLOW_STATS_NBUCKETS; i++)
		sum += a->ts_total[i];
	ck_assert_uint_eq(sum, 3000);
	ck_assert_int_eq(a->ts_step_ns, all->ts_step_ns);
	flow_stats_free(all);
	flow_stats_free(a);
	flow_stats_free(b);
}
END_TEST

/* The whole report of every line of path, read with skip. */
static char *
report_of(const char *path, unsigned skip, size_t *nflows)
{
	struct flow_stats *st = flow_stats_new();
	struct flow_reader *r;
	struct flow_record rec;
	struct json_object *j;
	char eb[CILKIT_ERRBUF_SIZE], *out;
	FILE *fp = fopen(path, "r");
	int rc;

	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(st);
	r = flow_reader_new(fp, path);
	flow_reader_set_skip(r, skip);
	*nflows = 0;
	while ((rc = flow_reader_next(r, &rec, eb, sizeof(eb))) != 0) {
		if (rc < 0 || rec.kind != FLOW_EV_FLOW)
			continue;
		ck_assert_int_eq(flow_stats_add(st, &rec.flow, rec.node_name,
		    eb, sizeof(eb)), 0);
		(*nflows)++;
	}
	j = flow_stats_json(st, 0);
	out = strdup(json_object_to_json_string(j));
	json_object_put(j);
	flow_reader_free(r);
	fclose(fp);
	flow_stats_free(st);
	return out;
}

/*
 * What flow_stats_skippable() lets a reader skip changes nothing in the
 * analysis: every real Hubble file gives the same report either way.
 */
START_TEST(test_skip_same)
{
	const char *d = getenv("SHARED_DATA");
	char pat[4096], *full, *skipped;
	size_t i, nf, ns, total = 0;
	glob_t g;

	ck_assert_msg(d != NULL, "SHARED_DATA not set");
	snprintf(pat, sizeof(pat), "%s/hubble/*.json", d);
	ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc; i++) {
		full = report_of(g.gl_pathv[i], 0, &nf);
		skipped = report_of(g.gl_pathv[i], flow_stats_skippable(),
		    &ns);
		ck_assert_msg(strcmp(full, skipped) == 0, "%s differs",
		    g.gl_pathv[i]);
		ck_assert_uint_eq(nf, ns);
		total += nf;
		free(full);
		free(skipped);
	}
	ck_assert_uint_gt(total, 100);
	globfree(&g);

	/* endpoints named only by their labels (the lazy labels) */
	{
		static const char *const lines[] = {
			"{\"flow\":{\"verdict\":\"DROPPED\",\"source\":"
			"{\"identity\":300,\"labels\":[\"reserved:host\"]},"
			"\"destination\":{\"identity\":301,\"labels\":"
			"[\"k8s:a=b\",\"fqdn:api.example.com\"]},"
			"\"l4\":{\"TCP\":{\"destination_port\":443}}}}",
			"{\"flow\":{\"source\":{\"identity\":302,\"labels\":"
			"[\"reserved:world\"]},\"source_names\":[\"w.io\"],"
			"\"destination\":{\"pod_name\":\"db-0\",\"labels\":"
			"[\"reserved:host\"]}}}",
			"{\"flow\":{\"source\":{\"labels\":[\"reserved:"
			"kube-apiserver\"],\"workloads\":[]},\"destination\":"
			"{\"pod_name\":\"\",\"labels\":[\"fqdn:x.io\"]}}}",
		};
		char tmp[] = "/tmp/check_flow_stats.XXXXXX";
		int fd = mkstemp(tmp);
		FILE *fp;

		ck_assert_int_ge(fd, 0);
		fp = fdopen(fd, "w");
		for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
			fprintf(fp, "%s\n", lines[i]);
		fclose(fp);
		full = report_of(tmp, 0, &nf);
		skipped = report_of(tmp, flow_stats_skippable(), &ns);
		unlink(tmp);
		ck_assert_uint_eq(nf, 3);
		ck_assert_uint_eq(ns, 3);
		ck_assert_msg(strstr(full, "api.example.com") != NULL, "%s",
		    full);
		ck_assert_msg(strcmp(full, skipped) == 0, "differs:\n%s\n%s",
		    full, skipped);
		free(full);
		free(skipped);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("flow_stats");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_loop_test(tc, test_pod_workload, 0,
	    sizeof(pod_cases) / sizeof(pod_cases[0]));
	tcase_add_test(tc, test_pod_workload_small_buf);
	tcase_add_loop_test(tc, test_node_name, 0,
	    sizeof(name_cases) / sizeof(name_cases[0]));
	tcase_add_test(tc, test_edges_and_replies);
	tcase_add_test(tc, test_reply_heuristics);
	tcase_add_test(tc, test_skip_same);
	tcase_add_test(tc, test_http_latency);
	tcase_add_test(tc, test_dns_errors);
	tcase_add_test(tc, test_series);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_merge);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
