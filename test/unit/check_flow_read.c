/*
 * check_flow_read.c - the flow-lines reader, writer and sniffer: field
 * values on the real captures in $SHARED_DATA/hubble, the protojson
 * variants (camelCase keys, numeric enums, quoted 64-bit numbers), bad
 * input rows, and write/read round trips.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "cilkit.h"
#include "flow.h"
#include "flow_read.h"
#include "flow_write.h"
#include "report.h"

#define HUB_10	"cilium-hubble-otel_testdata_basic-sample-10-flows.json"
#define HUB_DNS	"cilium-hubble-otel_testdata_basic-sample-5-dns-flows.json"
#define HUB_HTTP "cilium-hubble-otel_testdata_basic-sample-5-http-flows.json"
#define HUB_TCP	"cilium-hubble-otel_testdata_basic-sample-400-tcp-flows.json"
#define HUB_UDP	"cilium-hubble-otel_testdata_basic-sample-400-udp-flows.json"
#define HUB_ICMP \
	"cilium-hubble-otel_testdata_basic-sample-400-icmpv4-flows.json"
#define HUB_EXPORT "cilium-cilium_Documentation_observability_hubble_" \
	"configuration_export.rst_events.log"

static const char *const hubble_files[] = {
	HUB_10, HUB_DNS, HUB_HTTP, HUB_TCP, HUB_UDP, HUB_ICMP, HUB_EXPORT,
};

static void round_trip(const struct flow *f);

static char *
data_path(const char *name)
{
	const char *d = getenv("SHARED_DATA");
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/hubble/%s",
	    d != NULL ? d : "../shared/data", name);
	return buf;
}

/* An open reader positioned after line n of a real file. */
struct at {
	FILE *fp;
	struct flow_reader *r;
	struct flow_record rec;
};

static void
open_at(struct at *a, const char *name, size_t n)
{
	char eb[CILKIT_ERRBUF_SIZE];
	int rc;

	a->fp = fopen(data_path(name), "r");
	ck_assert_msg(a->fp != NULL, "cannot open %s (SHARED_DATA?)",
	    data_path(name));
	a->r = flow_reader_new(a->fp, name);
	ck_assert_ptr_nonnull(a->r);
	do {
		rc = flow_reader_next(a->r, &a->rec, eb, sizeof(eb));
		ck_assert_msg(rc == 1, "%s: rc %d %s", name, rc, eb);
	} while (flow_reader_line(a->r) < n);
}

static void
close_at(struct at *a)
{
	flow_reader_free(a->r);
	fclose(a->fp);
}

static int64_t
t(const char *s)
{
	int64_t v;

	ck_assert_int_eq(report_parse_rfc3339(s, strlen(s), &v), 0);
	return v;
}

/* ------------------------------------------------------------------ */

START_TEST(test_real_10_flows)
{
	struct at a;
	const struct flow *f = &a.rec.flow;

	open_at(&a, HUB_10, 1);
	ck_assert_int_eq(a.rec.kind, FLOW_EV_FLOW);
	ck_assert_int_eq(f->time_ns, t("2021-06-16T16:52:13.136834446Z"));
	ck_assert_int_eq(f->time_ns, 1623862333136834446LL);
	ck_assert_int_eq(a.rec.time_ns, f->time_ns);
	ck_assert_int_eq(f->verdict, FLOW_FORWARDED);
	ck_assert_str_eq(f->src_mac, "46:e5:ea:1f:95:ff");
	ck_assert_str_eq(f->dst_mac, "d6:ec:b0:4a:ff:46");
	ck_assert_str_eq(f->src_ip, "10.0.2.16");
	ck_assert_str_eq(f->dst_ip, "10.0.2.1");
	ck_assert_int_eq(f->ip_version, 1);
	ck_assert_int_eq(f->l4, FLOW_L4_TCP);
	ck_assert_int_eq(f->sport, 15020);
	ck_assert_int_eq(f->dport, 42044);
	ck_assert_int_eq(f->tcp_flags, FLOW_TCP_FIN | FLOW_TCP_ACK);
	ck_assert_int_eq(f->src.id, 1231);
	ck_assert_int_eq(f->src.identity, 25339);
	ck_assert_str_eq(f->src.namespace, "bookinfo");
	ck_assert_str_eq(f->src.pod_name, "reviews-v1-545db77b95-s6jb8");
	ck_assert_uint_eq(f->src.n_labels, 7);
	ck_assert_str_eq(f->src.labels[0], "k8s:app=reviews");
	ck_assert_str_eq(f->src.labels[6], "k8s:version=v1");
	ck_assert_str_eq(flow_endpoint_label_value(&f->src, "app"),
	    "reviews");
	ck_assert_str_eq(flow_endpoint_label_value(&f->src,
	    "io.kubernetes.pod.namespace"), "bookinfo");
	ck_assert_ptr_null(flow_endpoint_label_value(&f->src, "ap"));
	ck_assert_int_eq(f->dst.identity, FLOW_ID_HOST);
	ck_assert_uint_eq(f->dst.n_labels, 1);
	ck_assert_str_eq(f->dst.labels[0], "reserved:host");
	ck_assert_ptr_null(f->dst.namespace);
	ck_assert_int_eq(f->type, FLOW_TYPE_L3_L4);
	ck_assert_str_eq(f->node_name,
	    "gke-ilya-otel-demo-1-ilya-otel-demo-1-6114bb84-zr1l");
	ck_assert_str_eq(a.rec.node_name, f->node_name);
	/* only the deprecated "reply":true on this line */
	ck_assert_int_eq(f->is_reply, 1);
	ck_assert_int_eq(f->event_type, 4);
	ck_assert_int_eq(f->event_subtype, 3);
	ck_assert_int_eq(f->direction, FLOW_DIR_INGRESS);
	ck_assert_int_eq(f->obs_point, 3);
	ck_assert_str_eq(f->summary, "TCP Flags: ACK, FIN");
	ck_assert(!f->has_l7);
	ck_assert_int_eq(f->drop_reason, 0);

	/* line 2: no reply at all, event_type {"type":4}, TO_ENDPOINT */
	ck_assert_int_eq(flow_reader_next(a.r, &a.rec, NULL, 0), 1);
	ck_assert_int_eq(f->is_reply, -1);
	ck_assert_int_eq(f->event_type, 4);
	ck_assert_int_eq(f->event_subtype, 0);
	ck_assert_int_eq(f->obs_point, 101);
	ck_assert_int_eq(f->src.identity, 1);
	ck_assert_int_eq(f->src.id, 0);
	ck_assert_int_eq(f->dst.id, 1231);
	close_at(&a);
}
END_TEST

START_TEST(test_real_export)
{
	struct at a;
	const struct flow *f = &a.rec.flow;

	open_at(&a, HUB_EXPORT, 1);
	ck_assert_int_eq(f->verdict, FLOW_DROPPED);
	ck_assert_int_eq(f->drop_reason, 132);
	ck_assert_int_eq(f->ip_version, 2);
	ck_assert_str_eq(f->src_ip, "fe80::64d8:8aff:fe72:fc14");
	ck_assert_str_eq(f->dst_ip, "ff02::2");
	ck_assert_int_eq(f->l4, FLOW_L4_ICMPV6);
	ck_assert_int_eq(f->icmp_type, 133);
	ck_assert_int_eq(f->icmp_code, 0);
	ck_assert_ptr_null(f->src.namespace);
	ck_assert_uint_eq(f->src.n_labels, 0);
	ck_assert_str_eq(f->node_name, "kind-kind/kind-worker");
	ck_assert_int_eq(f->type, FLOW_TYPE_UNKNOWN);	/* field-masked */
	ck_assert_int_eq(f->event_type, -1);
	ck_assert_int_eq(f->is_reply, -1);
	ck_assert_int_eq(f->time_ns, t("2023-08-21T12:12:13.517394084Z"));

	ck_assert_int_eq(flow_reader_next(a.r, &a.rec, NULL, 0), 1);
	ck_assert_int_eq(f->drop_reason, 133);
	ck_assert_int_eq(f->tcp_flags, FLOW_TCP_SYN);
	ck_assert_int_eq(f->dport, 80);
	ck_assert_str_eq(f->src.pod_name, "xwing");
	ck_assert_str_eq(f->dst.pod_name, "deathstar-7848d6c4d5-th9v2");
	ck_assert_str_eq(f->dst.namespace, "default");
	ck_assert_int_eq(flow_reader_next(a.r, &a.rec, NULL, 0), 0);
	ck_assert_uint_eq(flow_reader_line(a.r), 2);
	close_at(&a);
}
END_TEST

START_TEST(test_real_http)
{
	struct at a;
	const struct flow *f = &a.rec.flow;

	open_at(&a, HUB_HTTP, 1);
	ck_assert_int_eq(f->type, FLOW_TYPE_L7);
	ck_assert(f->has_l7);
	ck_assert_int_eq(f->l7.type, FLOW_L7_REQUEST);
	ck_assert_int_eq(f->l7.kind, FLOW_L7_HTTP);
	ck_assert_str_eq(f->l7.http.method, "GET");
	ck_assert_str_eq(f->l7.http.url, "http://10.128.0.4:9990/metrics");
	ck_assert_str_eq(f->l7.http.protocol, "HTTP/1.1");
	ck_assert_int_eq(f->l7.http.code, 0);
	ck_assert_int_eq(f->l7.latency_ns, 0);
	ck_assert_int_eq(f->is_reply, 0);
	ck_assert_int_eq(f->event_type, 129);
	ck_assert_int_eq(f->direction, FLOW_DIR_EGRESS);
	ck_assert_int_eq(f->dst.identity, FLOW_ID_WORLD);
	ck_assert_str_eq(flow_reserved_identity_name(f->dst.identity),
	    "world");
	close_at(&a);

	open_at(&a, HUB_HTTP, 5);
	ck_assert_int_eq(f->l7.type, FLOW_L7_RESPONSE);
	ck_assert_int_eq(f->l7.http.code, 503);
	ck_assert_uint_eq(f->l7.latency_ns, 4138183640ULL);
	ck_assert_int_eq(f->is_reply, 1);
	close_at(&a);
}
END_TEST

START_TEST(test_real_dns)
{
	struct at a;
	const struct flow *f = &a.rec.flow;

	open_at(&a, HUB_DNS, 2);
	ck_assert_int_eq(f->l7.kind, FLOW_L7_DNS);
	ck_assert_int_eq(f->l7.type, FLOW_L7_RESPONSE);
	ck_assert_str_eq(f->l7.dns.query, "istiod-istio-1611.istio-system."
	    "svc.istio-system.svc.cluster.local.");
	ck_assert_uint_eq(f->l7.dns.ttl, 4294967295U);
	ck_assert_int_eq(f->l7.dns.rcode, 3);
	ck_assert_str_eq(f->l7.dns.observation_source, "proxy");
	ck_assert_uint_eq(f->l7.dns.n_qtypes, 1);
	ck_assert_str_eq(f->l7.dns.qtypes[0], "A");
	ck_assert_int_eq(f->sport, 53);
	ck_assert_str_eq(f->src.pod_name, "kube-dns-b4f5c58c7-vnx5s");
	close_at(&a);
}
END_TEST

START_TEST(test_real_icmp)
{
	struct at a;
	const struct flow *f = &a.rec.flow;

	open_at(&a, HUB_ICMP, 1);
	ck_assert_int_eq(f->l4, FLOW_L4_ICMPV4);
	ck_assert_int_eq(f->icmp_type, 8);
	ck_assert_uint_eq(f->iface_index, 10);
	ck_assert_str_eq(f->iface_name, "lxc_health");
	ck_assert_int_eq(f->dst.identity, FLOW_ID_HEALTH);
	ck_assert_int_eq(f->dst.id, 132);
	ck_assert_int_eq(f->is_reply, 0);
	close_at(&a);
}
END_TEST

/* Aggregates over whole files; expected numbers counted with jq. */
struct agg {
	unsigned long flows, verdict[8], http, dns, dns_ips, redirected_pm3,
	    reply[3], obs101, obs_proxy, errors;
};

static void
aggregate(const char *name, struct agg *g)
{
	FILE *fp = fopen(data_path(name), "r");
	struct flow_reader *r;
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];
	int rc;

	ck_assert_ptr_nonnull(fp);
	memset(g, 0, sizeof(*g));
	r = flow_reader_new(fp, name);
	while ((rc = flow_reader_next(r, &rec, eb, sizeof(eb))) != 0) {
		if (rc < 0) {
			g->errors++;
			continue;
		}
		ck_assert_int_eq(rec.kind, FLOW_EV_FLOW);
		g->flows++;
		g->verdict[rec.flow.verdict & 7]++;
		g->http += rec.flow.l7.kind == FLOW_L7_HTTP;
		g->dns += rec.flow.l7.kind == FLOW_L7_DNS;
		g->dns_ips += rec.flow.l7.dns.n_ips;
		g->redirected_pm3 += rec.flow.verdict == FLOW_REDIRECTED &&
		    rec.flow.policy_match_type == 3 &&
		    rec.flow.event_type == 5;
		g->reply[rec.flow.is_reply + 1]++;
		g->obs101 += rec.flow.obs_point == 101;
		g->obs_proxy += rec.flow.obs_point == 1;
	}
	flow_reader_free(r);
	fclose(fp);
}

START_TEST(test_real_aggregates)
{
	struct agg g;

	aggregate(HUB_TCP, &g);
	ck_assert_uint_eq(g.errors, 0);
	ck_assert_uint_eq(g.flows, 400);
	ck_assert_uint_eq(g.verdict[FLOW_FORWARDED], 373);
	ck_assert_uint_eq(g.verdict[FLOW_REDIRECTED], 27);
	ck_assert_uint_eq(g.redirected_pm3, 27);
	ck_assert_uint_eq(g.http, 65);
	ck_assert_uint_eq(g.obs101, 117);
	ck_assert_uint_eq(g.obs_proxy, 111);
	/* is_reply: 218 false, 132 true, 50 absent (no reply either) */
	ck_assert_uint_eq(g.reply[1], 218);
	ck_assert_uint_eq(g.reply[2], 132);
	ck_assert_uint_eq(g.reply[0], 50);

	aggregate(HUB_UDP, &g);
	ck_assert_uint_eq(g.errors, 0);
	ck_assert_uint_eq(g.flows, 400);
	ck_assert_uint_eq(g.verdict[FLOW_FORWARDED], 370);
	ck_assert_uint_eq(g.verdict[FLOW_REDIRECTED], 30);
	ck_assert_uint_eq(g.dns, 148);
	ck_assert_uint_eq(g.dns_ips, 37);
}
END_TEST

/* ------------------------------------------------------------------ */
/* flow_parse_line rows: good variants and bad input. */

struct line_case {
	const char *in;
	int rc;			/* 1, or the negative error */
	int kind;
	const char *errpart;	/* substring of the message on error */
};

static const struct line_case line_cases[] = {
	{ "{\"flow\":{}}", 1, FLOW_EV_FLOW, NULL },
	{ "{\"flow\":{},\"node_name\":\"n\",\"time\":"
	  "\"2024-01-01T00:00:00Z\"}", 1, FLOW_EV_FLOW, NULL },
	{ "{\"lost_events\":{\"source\":\"HUBBLE_RING_BUFFER\","
	  "\"num_events_lost\":\"1\",\"cpu\":5},\"node_name\":\"x\"}",
	  1, FLOW_EV_LOST, NULL },
	{ "{\"agent_event\":{\"type\":\"AGENT_STARTED\"}}", 1,
	  FLOW_EV_AGENT, NULL },
	{ "{\"debug_event\":{\"type\":\"DBG_GENERIC\",\"cpu\":1}}", 1,
	  FLOW_EV_DEBUG, NULL },
	{ "{\"node_status\":{\"state_change\":\"NODE_CONNECTED\"}}", 1,
	  FLOW_EV_NODE_STATUS, NULL },
	{ "{}", 1, FLOW_EV_OTHER, NULL },
	{ "{\"time\":\"2024-01-01T00:00:00Z\",\"verdict\":\"DROPPED\"}", 1,
	  FLOW_EV_FLOW, NULL },
	{ " \t{\"flow\":{\"verdict\":2}} \r", 1, FLOW_EV_FLOW, NULL },
	{ "{\"flow\":{\"x\":[1,{\"a\":[true,false,null,-1.5e3,\"\\\"\"]}]}}",
	  1, FLOW_EV_FLOW, NULL },
	/* bad input */
	{ "", CILKIT_EINVAL, 0, "empty line" },
	{ "not json", CILKIT_EINVAL, 0, "not a JSON object" },
	{ "[1,2]", CILKIT_EINVAL, 0, "not a JSON object" },
	{ "{\"flow\":{\"verdict\":\"DROPPED\"", CILKIT_ETRUNC, 0,
	  "unexpected end of line" },
	{ "{\"flow\":{\"l4\":{\"TCP\":{\"source_port\":\"x\"}}}}",
	  CILKIT_EINVAL, 0, "flow.l4.TCP.source_port: expected a number" },
	{ "{\"flow\":{\"l4\":{\"TCP\":{\"source_port\":true}}}}",
	  CILKIT_EINVAL, 0, "source_port: expected a number, got a boolean" },
	{ "{\"flow\":{\"l4\":{\"UDP\":{\"destination_port\":70000}}}}",
	  CILKIT_EINVAL, 0, "flow.l4.UDP.destination_port: integer out of" },
	{ "{\"flow\":{\"source\":{\"labels\":[\"a\",3]}}}", CILKIT_EINVAL,
	  0, "flow.source.labels[1]: expected a string, got a number" },
	{ "{\"flow\":{\"time\":\"yesterday\"}}", CILKIT_EINVAL, 0,
	  "flow.time: not an RFC 3339 time" },
	{ "{\"flow\":{}} x", CILKIT_EINVAL, 0, "trailing data" },
	{ "{\"flow\":{},\"lost_events\":{}}", CILKIT_EINVAL, 0,
	  "more than one of" },
	{ "{\"flow\":{\"Summary\":\"a\xff\"}}", CILKIT_EINVAL, 0,
	  "flow.Summary: invalid UTF-8" },
	{ "{\"flow\":{\"l4\":[]}}", CILKIT_EINVAL, 0,
	  "flow.l4: expected an object, got an array" },
};

START_TEST(test_line)
{
	const struct line_case *tc = &line_cases[_i];
	struct flow_scratch *s = flow_scratch_new();
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE] = "";
	int rc;

	rc = flow_parse_line(s, tc->in, strlen(tc->in), &rec, eb, sizeof(eb));
	ck_assert_msg(rc == tc->rc, "row %d: rc %d want %d (%s)", _i, rc,
	    tc->rc, eb);
	if (rc == 1)
		ck_assert_int_eq(rec.kind, tc->kind);
	else
		ck_assert_msg(strstr(eb, tc->errpart) != NULL,
		    "row %d: message '%s' lacks '%s'", _i, eb, tc->errpart);
	flow_scratch_free(s);
}
END_TEST

/* Every field of struct flow, proto names. */
static const char full_proto[] =
    "{\"flow\":{\"time\":\"2025-03-04T05:06:07.123456789Z\","
    "\"uuid\":\"0b6f-uuid\",\"emitter\":{\"name\":\"Hubble\","
    "\"version\":\"1.17.0\"},\"verdict\":\"DROPPED\",\"drop_reason\":133,"
    "\"auth_type\":\"SPIRE\",\"ethernet\":{\"source\":\"aa:bb:cc:dd:ee:01\","
    "\"destination\":\"aa:bb:cc:dd:ee:02\"},\"IP\":{\"source\":\"10.0.0.1\","
    "\"source_xlated\":\"192.168.1.1\",\"destination\":\"10.0.0.2\","
    "\"ipVersion\":\"IPv4\",\"encrypted\":true},"
    "\"l4\":{\"TCP\":{\"source_port\":40000,\"destination_port\":8080,"
    "\"flags\":{\"SYN\":true,\"ECE\":true,\"CWR\":true,\"NS\":true,"
    "\"FIN\":false}}},\"tunnel\":{\"protocol\":\"GENEVE\",\"IP\":"
    "{\"source\":\"172.18.0.2\"},\"l4\":{\"UDP\":{\"destination_port\":6081}},"
    "\"vni\":2},\"source\":{\"ID\":77,\"identity\":16777259,"
    "\"cluster_name\":\"c1\",\"namespace\":\"demo\",\"labels\":"
    "[\"k8s:app=fe\",\"k8s:tier=web\"],\"pod_name\":\"fe-1\",\"workloads\":"
    "[{\"name\":\"fe\",\"kind\":\"Deployment\"},{\"name\":\"fe-rs\","
    "\"kind\":\"ReplicaSet\"}]},\"destination\":{\"identity\":9,"
    "\"labels\":[\"reserved:world-ipv4\"]},\"Type\":\"L7\","
    "\"node_name\":\"kind/w1\",\"node_labels\":[\"a=b\"],"
    "\"source_names\":[\"fe.demo\"],\"destination_names\":[\"x.com\","
    "\"y.com\"],\"l7\":{\"type\":\"RESPONSE\",\"latency_ns\":"
    "\"18446744073709551615\",\"kafka\":{\"error_code\":-3,"
    "\"api_version\":7,\"api_key\":\"produce\",\"correlation_id\":42,"
    "\"topic\":\"t\"}},\"reply\":false,\"event_type\":{\"type\":1,"
    "\"sub_type\":133},\"source_service\":{\"name\":\"fe\","
    "\"namespace\":\"demo\"},\"destination_service\":{\"name\":\"be\","
    "\"namespace\":\"demo2\"},\"traffic_direction\":\"EGRESS\","
    "\"policy_match_type\":4,\"trace_observation_point\":\"TO_NETWORK\","
    "\"trace_reason\":\"REPLY\",\"file\":{\"name\":\"bpf_lxc.c\","
    "\"line\":1234},\"ip_trace_id\":{\"trace_id\":\"99\"},"
    "\"drop_reason_desc\":\"POLICY_DENIED\",\"is_reply\":true,"
    "\"debug_capture_point\":\"DBG_CAPTURE_DELIVERY\",\"interface\":"
    "{\"index\":12,\"name\":\"eth0\"},\"proxy_port\":15001,"
    "\"trace_context\":{\"parent\":{\"trace_id\":\"abc\"}},"
    "\"sock_xlate_point\":\"SOCK_XLATE_POINT_PRE_DIRECTION_FWD\","
    "\"socket_cookie\":\"123\",\"cgroup_id\":\"456\",\"Summary\":\"s\","
    "\"extensions\":{\"@type\":\"type.googleapis.com/x\",\"v\":[1]},"
    "\"egress_allowed_by\":[{\"name\":\"p1\",\"namespace\":\"demo\","
    "\"labels\":[\"l\"],\"revision\":\"3\",\"kind\":\"CiliumNetworkPolicy\"}],"
    "\"ingress_allowed_by\":[{\"name\":\"p2\"},{\"name\":\"p3\"}],"
    "\"egress_denied_by\":[{\"name\":\"d1\",\"kind\":\"NetworkPolicy\"}],"
    "\"ingress_denied_by\":[{\"name\":\"d2\",\"namespace\":\"n\"}],"
    "\"policy_log\":[\"x\"],\"aggregate\":{\"ingress_flow_count\":2}},"
    "\"node_name\":\"kind/w1\",\"time\":\"2025-03-04T05:06:07.123456789Z\"}";

/* The same flow as protojson's lowerCamel json names and numeric enums. */
static const char full_camel[] =
    "{\"flow\":{\"time\":\"2025-03-04T06:06:07.123456789+01:00\","
    "\"uuid\":\"0b6f-uuid\",\"verdict\":2,\"dropReason\":\"133\","
    "\"ethernet\":{\"source\":\"aa:bb:cc:dd:ee:01\","
    "\"destination\":\"aa:bb:cc:dd:ee:02\"},\"IP\":{\"source\":\"10.0.0.1\","
    "\"sourceXlated\":\"192.168.1.1\",\"destination\":\"10.0.0.2\","
    "\"ipVersion\":1,\"encrypted\":true},"
    "\"l4\":{\"TCP\":{\"sourcePort\":\"40000\",\"destinationPort\":8080,"
    "\"flags\":{\"SYN\":true,\"ECE\":true,\"CWR\":true,\"NS\":true}}},"
    "\"tunnel\":{\"protocol\":2,\"vni\":\"2\"},\"source\":{\"ID\":77,"
    "\"identity\":16777259,\"clusterName\":\"c1\",\"namespace\":\"demo\","
    "\"labels\":[\"k8s:app=fe\",\"k8s:tier=web\"],\"podName\":\"fe-1\","
    "\"workloads\":[{\"name\":\"fe\",\"kind\":\"Deployment\"},"
    "{\"name\":\"fe-rs\",\"kind\":\"ReplicaSet\"}]},\"destination\":"
    "{\"identity\":9,\"labels\":[\"reserved:world-ipv4\"]},\"Type\":2,"
    "\"nodeName\":\"kind/w1\",\"sourceNames\":[\"fe.demo\"],"
    "\"destinationNames\":[\"x.com\",\"y.com\"],\"l7\":{\"type\":2,"
    "\"latencyNs\":18446744073709551615,\"kafka\":{\"errorCode\":-3,"
    "\"apiVersion\":7,\"apiKey\":\"produce\",\"correlationId\":42,"
    "\"topic\":\"t\"}},\"eventType\":{\"type\":1,\"subType\":133},"
    "\"sourceService\":{\"name\":\"fe\",\"namespace\":\"demo\"},"
    "\"destinationService\":{\"name\":\"be\",\"namespace\":\"demo2\"},"
    "\"trafficDirection\":2,\"policyMatchType\":4,"
    "\"traceObservationPoint\":11,\"traceReason\":3,\"file\":"
    "{\"name\":\"bpf_lxc.c\",\"line\":1234},\"dropReasonDesc\":133,"
    "\"isReply\":true,\"interface\":{\"index\":12,\"name\":\"eth0\"},"
    "\"proxyPort\":15001,\"Summary\":\"s\",\"egressAllowedBy\":[{\"name\":"
    "\"p1\",\"namespace\":\"demo\",\"kind\":\"CiliumNetworkPolicy\"}],"
    "\"ingressAllowedBy\":[{\"name\":\"p2\"},{\"name\":\"p3\"}],"
    "\"egressDeniedBy\":[{\"name\":\"d1\",\"kind\":\"NetworkPolicy\"}],"
    "\"ingressDeniedBy\":[{\"name\":\"d2\",\"namespace\":\"n\"}]},"
    "\"nodeName\":\"kind/w1\",\"time\":\"2025-03-04T05:06:07.123456789Z\"}";

static void
assert_full(const struct flow *f)
{
	ck_assert_int_eq(f->time_ns, t("2025-03-04T05:06:07.123456789Z"));
	ck_assert_str_eq(f->uuid, "0b6f-uuid");
	ck_assert_int_eq(f->verdict, FLOW_DROPPED);
	ck_assert_uint_eq(f->drop_reason, 133);
	ck_assert_str_eq(f->src_mac, "aa:bb:cc:dd:ee:01");
	ck_assert_str_eq(f->dst_mac, "aa:bb:cc:dd:ee:02");
	ck_assert_str_eq(f->src_ip, "10.0.0.1");
	ck_assert_str_eq(f->src_ip_xlated, "192.168.1.1");
	ck_assert_str_eq(f->dst_ip, "10.0.0.2");
	ck_assert_int_eq(f->ip_version, 1);
	ck_assert(f->ip_encrypted);
	ck_assert_int_eq(f->l4, FLOW_L4_TCP);
	ck_assert_uint_eq(f->sport, 40000);
	ck_assert_uint_eq(f->dport, 8080);
	ck_assert_uint_eq(f->tcp_flags, FLOW_TCP_SYN | FLOW_TCP_ECE |
	    FLOW_TCP_CWR | FLOW_TCP_NS);
	ck_assert_int_eq(f->tunnel_proto, 2);
	ck_assert_uint_eq(f->tunnel_vni, 2);
	ck_assert_uint_eq(f->src.id, 77);
	ck_assert_uint_eq(f->src.identity, 16777259);
	ck_assert_str_eq(f->src.cluster_name, "c1");
	ck_assert_str_eq(f->src.namespace, "demo");
	ck_assert_uint_eq(f->src.n_labels, 2);
	ck_assert_str_eq(f->src.labels[1], "k8s:tier=web");
	ck_assert_str_eq(f->src.pod_name, "fe-1");
	ck_assert_uint_eq(f->src.n_workloads, 2);
	ck_assert_str_eq(f->src.workloads[1].name, "fe-rs");
	ck_assert_str_eq(f->src.workloads[1].kind, "ReplicaSet");
	ck_assert_uint_eq(f->dst.identity, FLOW_ID_WORLD_IPV4);
	ck_assert_str_eq(flow_reserved_identity_name(f->dst.identity),
	    "world-ipv4");
	ck_assert_int_eq(f->type, FLOW_TYPE_L7);
	ck_assert_str_eq(f->node_name, "kind/w1");
	ck_assert_uint_eq(f->n_src_names, 1);
	ck_assert_str_eq(f->src_names[0], "fe.demo");
	ck_assert_uint_eq(f->n_dst_names, 2);
	ck_assert_str_eq(f->dst_names[1], "y.com");
	ck_assert(f->has_l7);
	ck_assert_int_eq(f->l7.type, FLOW_L7_RESPONSE);
	ck_assert_uint_eq(f->l7.latency_ns, UINT64_MAX);
	ck_assert_int_eq(f->l7.kind, FLOW_L7_KAFKA);
	ck_assert_int_eq(f->l7.kafka.error_code, -3);
	ck_assert_int_eq(f->l7.kafka.api_version, 7);
	ck_assert_str_eq(f->l7.kafka.api_key, "produce");
	ck_assert_int_eq(f->l7.kafka.correlation_id, 42);
	ck_assert_str_eq(f->l7.kafka.topic, "t");
	ck_assert_int_eq(f->is_reply, 1);	/* is_reply wins over reply */
	ck_assert_int_eq(f->event_type, 1);
	ck_assert_int_eq(f->event_subtype, 133);
	ck_assert_str_eq(f->src_svc.name, "fe");
	ck_assert_str_eq(f->dst_svc.namespace, "demo2");
	ck_assert_int_eq(f->direction, FLOW_DIR_EGRESS);
	ck_assert_uint_eq(f->policy_match_type, 4);
	ck_assert_int_eq(f->obs_point, 11);
	ck_assert_int_eq(f->trace_reason, 3);
	ck_assert_str_eq(f->file_name, "bpf_lxc.c");
	ck_assert_uint_eq(f->file_line, 1234);
	ck_assert_uint_eq(f->iface_index, 12);
	ck_assert_str_eq(f->iface_name, "eth0");
	ck_assert_uint_eq(f->proxy_port, 15001);
	ck_assert_str_eq(f->summary, "s");
	ck_assert_uint_eq(f->egress_allowed_by.n, 1);
	ck_assert_str_eq(f->egress_allowed_by.v[0].name, "p1");
	ck_assert_str_eq(f->egress_allowed_by.v[0].namespace, "demo");
	ck_assert_str_eq(f->egress_allowed_by.v[0].kind,
	    "CiliumNetworkPolicy");
	ck_assert_uint_eq(f->ingress_allowed_by.n, 2);
	ck_assert_str_eq(f->ingress_allowed_by.v[1].name, "p3");
	ck_assert_ptr_null(f->ingress_allowed_by.v[1].namespace);
	ck_assert_uint_eq(f->egress_denied_by.n, 1);
	ck_assert_str_eq(f->egress_denied_by.v[0].kind, "NetworkPolicy");
	ck_assert_uint_eq(f->ingress_denied_by.n, 1);
	ck_assert_str_eq(f->ingress_denied_by.v[0].namespace, "n");
}

START_TEST(test_full_flow)
{
	struct flow_scratch *s = flow_scratch_new();
	struct flow_record rec, rec2;
	char eb[CILKIT_ERRBUF_SIZE] = "";

	ck_assert_msg(flow_parse_line(s, full_proto, strlen(full_proto), &rec,
	    eb, sizeof(eb)) == 1, "%s", eb);
	ck_assert_int_eq(rec.kind, FLOW_EV_FLOW);
	assert_full(&rec.flow);
	round_trip(&rec.flow);
	ck_assert_msg(flow_parse_line(s, full_camel, strlen(full_camel), &rec2,
	    eb, sizeof(eb)) == 1, "%s", eb);
	assert_full(&rec2.flow);
	round_trip(&rec2.flow);
	flow_scratch_free(s);
}
END_TEST

/* The deprecated fields and what wins (flow.h). */
struct compat_case {
	const char *in;
	int is_reply;
	uint32_t drop_reason;
	int verdict;
	const char *drop_text;	/* drop_reason_text, NULL when unset */
};

static const struct compat_case compat_cases[] = {
	{ "{\"flow\":{\"reply\":true}}", 1, 0, 0, NULL },
	{ "{\"flow\":{\"reply\":false}}", -1, 0, 0, NULL },
	{ "{\"flow\":{\"reply\":true,\"is_reply\":false}}", 0, 0, 0, NULL },
	{ "{\"flow\":{\"is_reply\":false,\"reply\":true}}", 0, 0, 0, NULL },
	{ "{\"flow\":{\"is_reply\":null}}", -1, 0, 0, NULL },
	{ "{\"flow\":{\"drop_reason\":133}}", -1, 133, 0, NULL },
	{ "{\"flow\":{\"drop_reason_desc\":\"AUTH_REQUIRED\","
	  "\"drop_reason\":133}}", -1, 189, 0, NULL },
	{ "{\"flow\":{\"drop_reason\":133,\"drop_reason_desc\":206}}", -1,
	  206, 0, NULL },
	/* an enum name from a newer Cilium: the number is still used */
	{ "{\"flow\":{\"drop_reason\":250,\"drop_reason_desc\":"
	  "\"SOME_NEW_REASON\"}}", -1, 250, 0, "SOME_NEW_REASON" },
	/* ... and the name is kept, also without a number (masked export) */
	{ "{\"flow\":{\"verdict\":\"DROPPED\",\"drop_reason_desc\":"
	  "\"DROP_NEWER_THAN_US\"}}", -1, 0, 2, "DROP_NEWER_THAN_US" },
	/* a known number says more than an unknown name */
	{ "{\"flow\":{\"drop_reason\":133,\"drop_reason_desc\":"
	  "\"SOME_NEW_REASON\"}}", -1, 133, 0, NULL },
	{ "{\"flow\":{\"drop_reason_desc\":\"\"}}", -1, 0, 0, NULL },
	/* a drop event's sub type is its reason when nothing else says */
	{ "{\"flow\":{\"verdict\":\"DROPPED\",\"event_type\":{\"type\":1,"
	  "\"sub_type\":133}}}", -1, 133, 2, NULL },
	{ "{\"flow\":{\"event_type\":{\"type\":1,\"sub_type\":250},"
	  "\"drop_reason_desc\":\"SOME_NEW_REASON\"}}", -1, 250, 0,
	  "SOME_NEW_REASON" },
	{ "{\"flow\":{\"drop_reason\":181,\"event_type\":{\"type\":1,"
	  "\"sub_type\":133}}}", -1, 181, 0, NULL },
	{ "{\"flow\":{\"event_type\":{\"type\":4,\"sub_type\":5}}}", -1, 0,
	  0, NULL },
	{ "{\"flow\":{\"event_type\":{\"type\":5,\"sub_type\":3}}}", -1, 0,
	  0, NULL },
	/* empty strings are as absent: no empty sub-objects written */
	{ "{\"flow\":{\"IP\":{\"source\":\"\"},\"ethernet\":{\"source\":"
	  "\"\"},\"source\":{\"namespace\":\"\",\"pod_name\":\"\"},"
	  "\"destination_service\":{\"name\":\"\"},\"interface\":{\"name\":"
	  "\"\"},\"file\":{\"name\":\"\"}}}", -1, 0, 0, NULL },
	{ "{\"flow\":{\"verdict\":\"FUTURE_VERDICT\"}}", -1, 0, 0, NULL },
	{ "{\"flow\":{\"verdict\":9}}", -1, 0, 9, NULL },
	{ "{\"flow\":{\"verdict\":\"7\"}}", -1, 0, 7, NULL },
	{ "{\"flow\":{\"verdict\":null,\"drop_reason_desc\":null}}", -1, 0,
	  0, NULL },
};

START_TEST(test_compat)
{
	const struct compat_case *tc = &compat_cases[_i];
	struct flow_scratch *s = flow_scratch_new();
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE] = "";

	ck_assert_msg(flow_parse_line(s, tc->in, strlen(tc->in), &rec, eb,
	    sizeof(eb)) == 1, "row %d: %s", _i, eb);
	ck_assert_int_eq(rec.flow.is_reply, tc->is_reply);
	ck_assert_uint_eq(rec.flow.drop_reason, tc->drop_reason);
	ck_assert_int_eq(rec.flow.verdict, tc->verdict);
	if (tc->drop_text == NULL)
		ck_assert_ptr_null(rec.flow.drop_reason_text);
	else
		ck_assert_str_eq(rec.flow.drop_reason_text, tc->drop_text);
	flow_scratch_free(s);
}
END_TEST

/* Non-flow records and the wrapper/flow time and node rules. */
START_TEST(test_records)
{
	struct flow_scratch *s = flow_scratch_new();
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE] = "";
	const char *in;

	in = "{\"lost_events\":{\"source\":\"HUBBLE_RING_BUFFER\","
	    "\"num_events_lost\":\"18446744073709551615\",\"cpu\":5,"
	    "\"first\":\"2024-01-01T00:00:00Z\"},\"node_name\":\"n1\","
	    "\"time\":\"2024-01-01T00:00:01Z\"}";
	ck_assert_int_eq(flow_parse_line(s, in, strlen(in), &rec, eb,
	    sizeof(eb)), 1);
	ck_assert_int_eq(rec.kind, FLOW_EV_LOST);
	ck_assert_uint_eq(rec.other.num_events_lost, UINT64_MAX);
	ck_assert_str_eq(rec.other.lost_source, "HUBBLE_RING_BUFFER");
	ck_assert_int_eq(rec.other.cpu, 5);
	ck_assert_str_eq(rec.node_name, "n1");
	ck_assert_int_eq(rec.time_ns, t("2024-01-01T00:00:01Z"));

	in = "{\"lostEvents\":{\"source\":3,\"numEventsLost\":2}}";
	ck_assert_int_eq(flow_parse_line(s, in, strlen(in), &rec, eb,
	    sizeof(eb)), 1);
	ck_assert_int_eq(rec.kind, FLOW_EV_LOST);
	ck_assert_str_eq(rec.other.lost_source, "3");
	ck_assert_uint_eq(rec.other.num_events_lost, 2);
	ck_assert_int_eq(rec.other.cpu, -1);

	in = "{\"agent_event\":{\"type\":\"ENDPOINT_CREATED\","
	    "\"endpoint_update\":{\"id\":\"12\",\"labels\":[\"a\"]}},"
	    "\"node_name\":\"n2\",\"time\":\"2024-01-01T00:00:02Z\"}";
	ck_assert_int_eq(flow_parse_line(s, in, strlen(in), &rec, eb,
	    sizeof(eb)), 1);
	ck_assert_int_eq(rec.kind, FLOW_EV_AGENT);
	ck_assert_str_eq(rec.other.subtype, "ENDPOINT_CREATED");

	in = "{\"node_status\":{\"state_change\":\"NODE_ERROR\","
	    "\"node_names\":[\"a\"],\"message\":\"m\"}}";
	ck_assert_int_eq(flow_parse_line(s, in, strlen(in), &rec, eb,
	    sizeof(eb)), 1);
	ck_assert_int_eq(rec.kind, FLOW_EV_NODE_STATUS);
	ck_assert_str_eq(rec.other.subtype, "NODE_ERROR");

	/* Masked exporter line: only the wrapper has time and node. */
	in = "{\"flow\":{\"verdict\":\"DROPPED\"},\"node_name\":\"w\","
	    "\"time\":\"2024-01-01T00:00:03Z\"}";
	ck_assert_int_eq(flow_parse_line(s, in, strlen(in), &rec, eb,
	    sizeof(eb)), 1);
	ck_assert_int_eq(rec.flow.time_ns, t("2024-01-01T00:00:03Z"));
	ck_assert_str_eq(rec.flow.node_name, "w");

	/* Bare flow: time and node at the top belong to the flow. */
	in = "{\"time\":\"2024-01-01T00:00:04Z\",\"verdict\":\"FORWARDED\","
	    "\"IP\":{\"source\":\"1.1.1.1\"},\"node_name\":\"b\"}";
	ck_assert_int_eq(flow_parse_line(s, in, strlen(in), &rec, eb,
	    sizeof(eb)), 1);
	ck_assert_int_eq(rec.kind, FLOW_EV_FLOW);
	ck_assert_int_eq(rec.flow.time_ns, t("2024-01-01T00:00:04Z"));
	ck_assert_str_eq(rec.flow.node_name, "b");
	ck_assert_str_eq(rec.flow.src_ip, "1.1.1.1");

	/* A flow missing every optional field. */
	in = "{\"flow\":{}}";
	ck_assert_int_eq(flow_parse_line(s, in, strlen(in), &rec, eb,
	    sizeof(eb)), 1);
	ck_assert_int_eq(rec.kind, FLOW_EV_FLOW);
	ck_assert_int_eq(rec.flow.time_ns, 0);
	ck_assert_int_eq(rec.flow.verdict, 0);
	ck_assert_int_eq(rec.flow.is_reply, -1);
	ck_assert_int_eq(rec.flow.event_type, -1);
	ck_assert_ptr_null(rec.flow.src_ip);
	ck_assert_ptr_null(rec.flow.node_name);
	ck_assert(!rec.flow.has_l7);
	round_trip(&rec.flow);
	flow_scratch_free(s);
}
END_TEST

/* String escapes decode to UTF-8; plain strings point into the line. */
struct esc_case {
	const char *in;		/* JSON string literal with quotes */
	const char *out;	/* decoded, NULL when refused */
};

static const struct esc_case esc_cases[] = {
	{ "\"plain\"", "plain" },
	{ "\"\"", "" },
	{ "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "a\"b\\c/d\b\f\n\r\t" },
	{ "\"\\u00e9\\u20ac\"", "\xc3\xa9\xe2\x82\xac" },
	{ "\"\\ud83d\\ude00!\"", "\xf0\x9f\x98\x80!" },
	{ "\"\\uD83D\\uDE00\"", "\xf0\x9f\x98\x80" },
	{ "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	{ "\"x\\u0041\"", "xA" },
	/* refused */
	{ "\"\\ud83d\"", NULL },
	{ "\"\\ud83dx\"", NULL },
	{ "\"\\ude00\"", NULL },
	{ "\"\\u12\"", NULL },
	{ "\"\\u0000\"", NULL },
	{ "\"\\x\"", NULL },
	{ "\"a\tb\"", NULL },
	{ "\"\xc0\xaf\"", NULL },		/* overlong */
	{ "\"\xed\xa0\x80\"", NULL },		/* UTF-8 surrogate */
	{ "\"\xf4\x90\x80\x80\"", NULL },	/* above U+10FFFF */
	{ "\"\xe2\x82\"", NULL },		/* cut sequence */
	{ "\"\x80\"", NULL },
	{ "\"abc", NULL },
};

START_TEST(test_escapes)
{
	const struct esc_case *tc = &esc_cases[_i];
	struct flow_scratch *s = flow_scratch_new();
	struct flow_record rec;
	char line[256], eb[CILKIT_ERRBUF_SIZE] = "";
	int rc, n;

	n = snprintf(line, sizeof(line), "{\"flow\":{\"Summary\":%s}}",
	    tc->in);
	rc = flow_parse_line(s, line, (size_t)n, &rec, eb, sizeof(eb));
	if (tc->out == NULL) {
		ck_assert_msg(rc < 0, "row %d accepted", _i);
		ck_assert_msg(strstr(eb, "flow.Summary") != NULL ||
		    strstr(eb, "end of line") != NULL, "row %d: %s", _i, eb);
	} else {
		ck_assert_msg(rc == 1, "row %d: %s", _i, eb);
		ck_assert_str_eq(rec.flow.summary, tc->out);
		round_trip(&rec.flow);
	}
	flow_scratch_free(s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Time. */

struct time_case {
	const char *in;
	int rc;
	long long ns;
};

static const struct time_case time_cases[] = {
	{ "1970-01-01T00:00:00Z", 0, 0 },
	{ "2021-06-16T16:52:13.136834446Z", 0, 1623862333136834446LL },
	{ "2021-06-16T16:52:13.1Z", 0, 1623862333100000000LL },
	{ "2021-06-16T16:52:13.136Z", 0, 1623862333136000000LL },
	{ "2021-06-16T16:52:13.136834Z", 0, 1623862333136834000LL },
	{ "2021-06-16T18:52:13.5+02:00", 0, 1623862333500000000LL },
	{ "2021-06-16T16:22:13-00:30", 0, 1623862333000000000LL },
	{ "1969-12-31T23:59:59.999999999Z", 0, -1 },
	{ "2024-02-29T00:00:00Z", 0, 1709164800000000000LL },
	/* bad */
	{ "2023-02-29T00:00:00Z", CILKIT_EINVAL, 0 },
	{ "2021-06-16T16:52:13", CILKIT_EINVAL, 0 },
	{ "2021-06-16T24:00:00Z", CILKIT_EINVAL, 0 },
	{ "2021-13-16T16:52:13Z", CILKIT_EINVAL, 0 },
	{ "2021-06-16T16:52:13.Z", CILKIT_EINVAL, 0 },
	{ "2021-06-16T16:52:13Zjunk", CILKIT_EINVAL, 0 },
	{ "9999-12-31T23:59:59Z", CILKIT_EINVAL, 0 },
	{ "", CILKIT_EINVAL, 0 },
};

START_TEST(test_time)
{
	const struct time_case *tc = &time_cases[_i];
	int64_t ns = 0;
	char buf[40];

	ck_assert_msg(report_parse_rfc3339(tc->in, strlen(tc->in), &ns) ==
	    tc->rc, "row %d %s", _i, tc->in);
	if (tc->rc == 0) {
		ck_assert_int_eq(ns, tc->ns);
		report_format_time(ns, 9, buf, sizeof(buf));
		ns = 0;
		ck_assert_int_eq(report_parse_rfc3339(buf, strlen(buf), &ns), 0);
		ck_assert_int_eq(ns, tc->ns);
	}
}
END_TEST

START_TEST(test_format_time)
{
	char buf[40];

	report_format_time(1623862333136834446LL, 9, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2021-06-16T16:52:13.136834446Z");
	report_format_time(0, 9, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000000000Z");
	report_format_time(-1, 9, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1969-12-31T23:59:59.999999999Z");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Sniffing. */

struct sniff_case {
	const char *in;
	size_t n;
	int fmt;
};

static const struct sniff_case sniff_cases[] = {
	{ "", 0, FLOW_FMT_EMPTY },
	{ "  \n", 3, FLOW_FMT_EMPTY },
	{ "\xd4\xc3\xb2\xa1", 4, FLOW_FMT_PCAP },
	{ "\xa1\xb2\xc3\xd4", 4, FLOW_FMT_PCAP },
	{ "\x4d\x3c\xb2\xa1", 4, FLOW_FMT_PCAP },
	{ "\xa1\xb2\x3c\x4d", 4, FLOW_FMT_PCAP },
	{ "\x0a\x0d\x0d\x0a", 4, FLOW_FMT_PCAPNG },
	{ "{\"flow\"", 7, FLOW_FMT_JSON_LINES },
	{ "\n \t{", 4, FLOW_FMT_JSON_LINES },
	{ "\xef\xbb\xbf{\"a\"", 7, FLOW_FMT_JSON_LINES },
	{ "Listening for events on 2 CPUs", 30, FLOW_FMT_TEXT },
	{ "\x1f\x8b\x08\x00", 4, FLOW_FMT_GZIP },
	{ "\x1f\x8b", 2, FLOW_FMT_GZIP },
	{ "\xff\xfe{\0", 4, FLOW_FMT_UTF16 },
	{ "\xfe\xff\0{", 4, FLOW_FMT_UTF16 },
	{ "\x1f", 1, FLOW_FMT_UNKNOWN },
	{ "xx\0yy", 5, FLOW_FMT_UNKNOWN },
	{ "\x01\x02\x03\x04\x05", 5, FLOW_FMT_UNKNOWN },
};

START_TEST(test_sniff)
{
	const struct sniff_case *tc = &sniff_cases[_i];

	ck_assert_int_eq(flow_sniff(tc->in, tc->n), tc->fmt);
}
END_TEST

/* flow_sniff_multiline and flow_sniff_hubble_text. */
struct text_case {
	const char *in;
	bool multiline, hubble_text;
};

static const struct text_case text_cases[] = {
	{ "{\n  \"flow\": {", true, false },
	{ "\xef\xbb\xbf\n\n{ \r\n \"flow\"", true, false },
	{ "[\n  {", true, false },
	{ "[{\"flow\":{}}]", true, false },
	{ "[ ]", true, false },
	{ "[", true, false },		/* the rest on later lines */
	/* a log line's bracketed prefix is no array */
	{ "[2018-10-17 06:34:51] hello", false, false },
	{ "[k8s1] {\"flow\":{}}", false, false },
	{ "{\"flow\":{}}\n", false, false },
	{ "{", false, false },		/* its line end not seen */
	{ "{\"flow\"\n:{}}", false, false },
	/* hubble's text: compact (with a node, RFC 3339), table, dict */
	{ "May  4 13:23:40.501: default/tiefighter:42690 -> x", false, true },
	{ "Jan 31 00:20:34.567 [k8s1]: 1.1.1.1:31793 (health) -> x", false,
	  true },
	{ "Jan  1 00:20:34: 1.1.1.1 -> 2.2.2.2", false, true },
	{ "2024-05-01T10:00:00.123Z: a/b:1 -> c/d:2 to-stack", false,
	  true },
	{ "2024-05-01T10:00:00+02:00 [n1]: a -> b", false, true },
	{ "TIMESTAMP             SOURCE          DESTINATION", false, true },
	{ "\n  TIMESTAMP: Jan  1 00:20:34.567\n     SOURCE: x", false, true },
	/* not it: log prefixes, monitor text, bad months, cut short */
	{ "2024-05-01T10:00:00.123456789Z xx drop (Policy denied)", false,
	  false },
	{ "Foo  4 13:23:40.501: a -> b", false, false },
	{ "May  4 13:23:40.501", false, false },
	{ "May  4 13:2", false, false },
	{ "xx drop (Policy denied) flow 0x0 to endpoint 0", false, false },
	{ "TIMESTAMPS", false, false },
	{ "", false, false },
};

START_TEST(test_sniff_text)
{
	const struct text_case *tc = &text_cases[_i];
	size_t n = strlen(tc->in);

	ck_assert_msg(flow_sniff_multiline(tc->in, n) == tc->multiline,
	    "row %d: multiline", _i);
	ck_assert_msg(flow_sniff_hubble_text(tc->in, n) == tc->hubble_text,
	    "row %d: hubble text", _i);
}
END_TEST


/* ------------------------------------------------------------------ */
/* Reader over bad streams: good lines around bad ones still count. */

START_TEST(test_stream_mixed)
{
	static const char in[] =
	    "{\"flow\":{\"verdict\":\"DROPPED\",\"drop_reason_desc\":133}}\n"
	    "garbage\n"
	    "\n"
	    "{\"flow\":{\"verdict\":\"FORWARDED\"}\n"
	    "\x01\x02\xff\xfe\n"
	    "{\"lost_events\":{\"num_events_lost\":\"7\"}}\n"
	    "{\"flow\":{\"verdict\":\"DROPPED\"}}";
	FILE *fp = fmemopen((void *)in, sizeof(in) - 1, "r");
	struct flow_reader *r = flow_reader_new(fp, "mix.json");
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];

	ck_assert_int_eq(flow_reader_next(r, &rec, eb, sizeof(eb)), 1);
	ck_assert_int_eq(rec.flow.drop_reason, 133);
	ck_assert_int_eq(flow_reader_next(r, &rec, eb, sizeof(eb)),
	    CILKIT_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb, "mix.json:2: "));
	ck_assert_int_eq(flow_reader_next(r, &rec, eb, sizeof(eb)),
	    CILKIT_ETRUNC);
	ck_assert_ptr_nonnull(strstr(eb, "mix.json:4: "));
	ck_assert_int_eq(flow_reader_next(r, &rec, eb, sizeof(eb)),
	    CILKIT_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb, "mix.json:5: "));
	ck_assert_int_eq(flow_reader_next(r, &rec, eb, sizeof(eb)), 1);
	ck_assert_int_eq(rec.kind, FLOW_EV_LOST);
	ck_assert_uint_eq(rec.other.num_events_lost, 7);
	ck_assert_int_eq(flow_reader_next(r, &rec, eb, sizeof(eb)), 1);
	ck_assert_int_eq(rec.flow.verdict, FLOW_DROPPED);
	ck_assert_int_eq(flow_reader_next(r, &rec, eb, sizeof(eb)), 0);
	ck_assert_uint_eq(flow_reader_line(r), 7);
	flow_reader_free(r);
	fclose(fp);
}
END_TEST

/* Collect what a reader yields over a memory buffer. */
struct yield {
	int rc[16];
	char msg[16][CILKIT_ERRBUF_SIZE];
	int verdict[16];
	int n;
	size_t lines;
};

static void
read_all(const char *buf, size_t len, size_t max_line, struct yield *y)
{
	FILE *fp = fmemopen((void *)buf, len, "r");
	struct flow_reader *r;
	struct flow_record rec;
	int rc;

	ck_assert_ptr_nonnull(fp);
	r = flow_reader_new(fp, "in");
	if (max_line > 0)
		flow_reader_set_max_line(r, max_line);
	memset(y, 0, sizeof(*y));
	while (y->n < 16 && (rc = flow_reader_next(r, &rec, y->msg[y->n],
	    sizeof(y->msg[0]))) != 0) {
		y->rc[y->n] = rc;
		y->verdict[y->n] = rc == 1 ? rec.flow.verdict : -1;
		y->n++;
	}
	y->lines = flow_reader_line(r);
	flow_reader_free(r);
	fclose(fp);
}

#define GOOD "{\"flow\":{\"verdict\":\"DROPPED\"}}"

/*
 * What y holds for an object over the cap of cap bytes and then a good
 * one (a dropped flow), read over lines lines.
 */
static void
expect_too_long_then_good(const struct yield *y, size_t cap, size_t lines)
{
	char want[64];

	snprintf(want, sizeof(want), "in:1: object longer than %zu bytes",
	    cap);
	ck_assert_int_eq(y->n, 2);
	ck_assert_int_eq(y->rc[0], CILKIT_ETOOBIG);
	ck_assert_msg(strstr(y->msg[0], want) != NULL, "%s", y->msg[0]);
	ck_assert_int_eq(y->rc[1], 1);
	ck_assert_int_eq(y->verdict[1], FLOW_DROPPED);
	ck_assert_uint_eq(y->lines, lines);
}

/* A 10 MB line between good ones: skipped with a message, bounded. */
START_TEST(test_huge_line)
{
	size_t big = (size_t)10 << 20, len, i;
	char *buf = malloc(big + 200);
	struct yield y;

	ck_assert_ptr_nonnull(buf);
	len = (size_t)sprintf(buf, "%s\n{\"flow\":{\"Summary\":\"", GOOD);
	for (i = 0; i < big; i++)
		buf[len++] = 'x';
	len += (size_t)sprintf(buf + len, "\"}}\n%s\n", GOOD);
	read_all(buf, len, 0, &y);
	ck_assert_int_eq(y.n, 3);
	ck_assert_int_eq(y.rc[0], 1);
	ck_assert_int_eq(y.rc[1], CILKIT_ETOOBIG);
	ck_assert_str_eq(y.msg[1],
	    "in:2: line longer than 4194304 bytes, skipped");
	ck_assert_int_eq(y.rc[2], 1);
	ck_assert_int_eq(y.verdict[2], FLOW_DROPPED);
	ck_assert_uint_eq(y.lines, 3);

	/* the same line last, with no newline */
	len = (size_t)sprintf(buf, "%s\n", GOOD);
	for (i = 0; i < big; i++)
		buf[len++] = '{';
	read_all(buf, len, 0, &y);
	ck_assert_int_eq(y.n, 2);
	ck_assert_int_eq(y.rc[1], CILKIT_ETOOBIG);
	ck_assert_str_eq(y.msg[1],
	    "in:2: line longer than 4194304 bytes, skipped");
	free(buf);
}
END_TEST

/* The cap is exact: max_line bytes pass, one more is skipped. */
START_TEST(test_line_cap_edge)
{
	char buf[512];
	struct yield y;
	size_t n = strlen(GOOD);

	snprintf(buf, sizeof(buf), "%s\n%s\n%s  \n%s", GOOD, GOOD, GOOD,
	    GOOD);
	read_all(buf, strlen(buf), n, &y);
	ck_assert_int_eq(y.n, 4);
	ck_assert_int_eq(y.rc[0], 1);
	ck_assert_int_eq(y.rc[1], 1);
	ck_assert_int_eq(y.rc[2], CILKIT_ETOOBIG);
	ck_assert_str_eq(y.msg[2], "in:3: line longer than 30 bytes, skipped");
	ck_assert_int_eq(y.rc[3], 1);
}
END_TEST

struct stream_case {
	const char *in;
	size_t len;		/* 0: strlen */
	int n;			/* records and errors yielded */
	int rc[4];
	const char *msg;	/* substring of the first error */
	size_t lines;
};

/* A literal with its length, for rows holding NUL bytes. */
#define S(x) x, sizeof(x) - 1

static const struct stream_case stream_cases[] = {
	{ "", 0, 0, { 0 }, NULL, 0 },
	{ "\n\n  \r\n\t\n", 0, 0, { 0 }, NULL, 4 },
	{ "\xef\xbb\xbf" GOOD "\r\n" GOOD "\r\n", 0, 2, { 1, 1 }, NULL, 2 },
	{ S(GOOD "\n{\"flow\":{\"Summary\":\"a\0b\"}}\n" GOOD), 3,
	  { 1, CILKIT_EINVAL, 1 }, "in:2: flow.Summary: control character",
	  3 },
	{ S("{\"flow\":\0}\n" GOOD "\n"), 2, { CILKIT_EINVAL, 1 },
	  "in:1: flow: expected an object, got an invalid character", 2 },
	{ S("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\n" GOOD "\n"), 4,
	  { CILKIT_EINVAL, CILKIT_EINVAL, CILKIT_EINVAL, 1 },
	  "in:1: not a JSON object", 4 },
	{ "{\"flow\":{\"verdict\":\"DROPP", 0, 1, { CILKIT_ETRUNC },
	  "in:1: flow.verdict: unexpected end of line", 1 },
	{ "{\"flow\"\n:{}}\n", 0, 2, { CILKIT_ETRUNC, CILKIT_EINVAL },
	  "in:1: unexpected end of line", 2 },
	{ GOOD GOOD "\n", 0, 1, { CILKIT_EINVAL }, "in:1: trailing data", 1 },
	{ "{\"flow\":{\"l4\":{\"TCP\":{\"source_port\":\"80x\"}}}}\n" GOOD,
	  0, 2, { CILKIT_EINVAL, 1 },
	  "in:1: flow.l4.TCP.source_port: expected a number in the string",
	  2 },
	{ "{\"flow\":{\"source\":{\"ID\":-1}}}", 0, 1, { CILKIT_EINVAL },
	  "in:1: flow.source.ID: negative number", 1 },
	{ "{\"flow\":{\"source\":{\"ID\":1.5}}}", 0, 1, { CILKIT_EINVAL },
	  "in:1: flow.source.ID: expected an integer", 1 },
	{ "{\"flow\":{\"source\":{\"ID\":4294967296}}}", 0, 1,
	  { CILKIT_EINVAL }, "flow.source.ID: integer out of range", 1 },
	{ "{\"flow\":{\"l7\":{\"latency_ns\":\"99999999999999999999\"}}}", 0,
	  1, { CILKIT_EINVAL }, "flow.l7.latency_ns: integer out of range",
	  1 },
	{ "{\"flow\":{\"IP\":{\"encrypted\":\"yes\"}}}", 0, 1,
	  { CILKIT_EINVAL },
	  "flow.IP.encrypted: expected a boolean, got a string", 1 },
	{ "{\"flow\":{\"verdict\":{}}}", 0, 1, { CILKIT_EINVAL },
	  "flow.verdict: expected a number, got an object", 1 },
	{ "{\"flow\":{\"destination\":{\"workloads\":[{\"name\":1}]}}}", 0,
	  1, { CILKIT_EINVAL },
	  "flow.destination.workloads[0].name: expected a string", 1 },
	{ "{\"flow\":{\"x\":tru}}", 0, 1, { CILKIT_EINVAL },
	  "flow.x: invalid literal", 1 },
	{ "{\"flow\":{\"x\":[1,]}}", 0, 1, { CILKIT_EINVAL },
	  "flow.x: expected a value", 1 },
	{ "{\"flow\":{\"x\":{\"a\" 1}}}", 0, 1, { CILKIT_EINVAL },
	  "flow.x: expected ':'", 1 },
	{ "{\"flow\":{,}}", 0, 1, { CILKIT_EINVAL },
	  "flow: expected a member name", 1 },
	{ "{'flow':{}}", 0, 1, { CILKIT_EINVAL }, "expected a member name",
	  1 },
	/* pretty-printed (jq .): one record per object, lines kept */
	{ "{\n  \"flow\": {\n    \"verdict\": \"DROPPED\"\n  }\n}\n"
	  "{\n \"flow\": {}\n}\n", 0, 2, { 1, 1 }, NULL, 8 },
	/* an array of them (jq -s .), and one on a single line */
	{ "[\n  {\"flow\":{}},\n  {\"flow\":{}}\n]\n", 0, 2, { 1, 1 },
	  NULL, 4 },
	{ "[" GOOD "," GOOD "]", 0, 2, { 1, 1 }, NULL, 1 },
	/* braces, brackets and quotes in strings are not structure */
	{ "{\n \"flow\": {\"Summary\": \"a } \\\" { [\"}\n}\n", 0, 1,
	  { 1 }, NULL, 3 },
	/* a bad object: named by the line it starts on, the rest read */
	{ "\n\n{\n \"flow\": {\"verdict\": tru}\n}\n{\n\"flow\":{}\n}\n",
	  0, 2, { CILKIT_EINVAL, 1 }, "in:3: flow.verdict: expected a number",
	  8 },
	{ "{\n}\nhello\n{\n}\n", 0, 3, { 1, CILKIT_EINVAL, 1 },
	  "in:3: not a JSON object", 5 },
	{ "{\n \"flow\": {\n", 0, 1, { CILKIT_ETRUNC },
	  "in:1: flow: unexpected end of line", 2 },
	{ "\xef\xbb\xbf{\r\n \"flow\": {}\r\n}\r\n", 0, 1, { 1 }, NULL,
	  3 },
};

START_TEST(test_stream)
{
	const struct stream_case *tc = &stream_cases[_i];
	struct yield y;
	int i;

	read_all(tc->in, tc->len ? tc->len : strlen(tc->in), 0, &y);
	ck_assert_msg(y.n == tc->n, "row %d: %d results, want %d (%s)", _i,
	    y.n, tc->n, y.n > 0 ? y.msg[0] : "");
	for (i = 0; i < tc->n; i++)
		ck_assert_msg(y.rc[i] == tc->rc[i], "row %d result %d: %d (%s)",
		    _i, i, y.rc[i], y.msg[i]);
	if (tc->msg != NULL) {
		for (i = 0; i < y.n && y.rc[i] > 0; i++)
			;
		ck_assert_msg(i < y.n && strstr(y.msg[i], tc->msg) != NULL,
		    "row %d: '%s' lacks '%s'", _i, i < y.n ? y.msg[i] : "",
		    tc->msg);
	}
	ck_assert_uint_eq(y.lines, tc->lines);
}
END_TEST

/* The reader refuses hubble's text with one message and reads no more. */
START_TEST(test_hubble_text)
{
	static const char in[] = "\n"
	    "May  4 13:23:40.501: default/a:42690 -> default/b:80 "
	    "http-request FORWARDED (HTTP/1.1 GET http://b/)\n"
	    "May  4 13:23:40.502: default/a:42690 <- default/b:80 "
	    "http-response FORWARDED (HTTP/1.1 200 1ms)\n";
	struct yield y;

	read_all(in, sizeof(in) - 1, 0, &y);
	ck_assert_int_eq(y.n, 1);
	ck_assert_int_eq(y.rc[0], CILKIT_EINVAL);
	ck_assert_msg(strstr(y.msg[0], "in:2: this is the text that hubble "
	    "observe prints") != NULL, "%s", y.msg[0]);
}
END_TEST

/*
 * Pretty-printed input past the read block and the line cap: every
 * object of a 300 kB `jq .` stream, and an object over the cap skipped
 * with the ones after it still read.
 */
START_TEST(test_pretty_big)
{
	static const char obj[] = "{\n  \"flow\": {\n    \"verdict\": "
	    "\"DROPPED\",\n    \"source\": {\"labels\": [\"k8s:a=b\", "
	    "\"k8s:c={d}\"]}\n  },\n  \"node_name\": \"n\"\n}\n";
	size_t n = 0, i, k = 3000;
	char *buf = malloc(sizeof(obj) * k + 400);
	struct yield y;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < k; i++) {
		memcpy(buf + n, obj, sizeof(obj) - 1);
		n += sizeof(obj) - 1;
	}
	{
		FILE *fp = fmemopen(buf, n, "r");
		struct flow_reader *r = flow_reader_new(fp, "in");
		struct flow_record rec;
		char eb[CILKIT_ERRBUF_SIZE];
		size_t good = 0;
		int rc;

		while ((rc = flow_reader_next(r, &rec, eb, sizeof(eb))) != 0) {
			ck_assert_msg(rc == 1, "%s", eb);
			ck_assert_int_eq(rec.flow.verdict, FLOW_DROPPED);
			ck_assert_str_eq(rec.flow.src.labels[1], "k8s:c={d}");
			good++;
		}
		ck_assert_uint_eq(good, k);
		ck_assert_uint_eq(flow_reader_line(r), k * 7);
		flow_reader_free(r);
		fclose(fp);
	}
	n = 0;
	n += (size_t)sprintf(buf + n, "{\n \"flow\": {\"Summary\": \"");
	memset(buf + n, 'a', 300);
	n += 300;
	n += (size_t)sprintf(buf + n, "\"}\n}\n%s", obj);
	read_all(buf, n, 200, &y);
	expect_too_long_then_good(&y, 200, 10);
	free(buf);
	/* over the cap and over the read block: dropped while read */
	buf = malloc(300000);
	ck_assert_ptr_nonnull(buf);
	n = (size_t)sprintf(buf, "[{\n \"flow\": {\"Summary\": \"");
	memset(buf + n, '}', 250000);
	n += 250000;
	n += (size_t)sprintf(buf + n, "\"}\n},\n%s]\n", obj);
	read_all(buf, n, 1000, &y);
	expect_too_long_then_good(&y, 1000, 11);
	free(buf);
}
END_TEST

/* Deep nesting in an ignored value: capped, and the next line is read. */
START_TEST(test_depth)
{
	size_t d = 100000, len, i;
	char *buf = malloc(2 * d + 100);
	struct yield y;

	len = (size_t)sprintf(buf, "{\"flow\":{\"x\":");
	for (i = 0; i < d; i++)
		buf[len++] = '[';
	for (i = 0; i < d; i++)
		buf[len++] = ']';
	len += (size_t)sprintf(buf + len, "}}\n%s\n", GOOD);
	read_all(buf, len, 0, &y);
	ck_assert_int_eq(y.n, 2);
	ck_assert_int_eq(y.rc[0], CILKIT_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(y.msg[0], "in:1: flow.x: nesting too "
	    "deep"));
	ck_assert_int_eq(y.rc[1], 1);

	/* 60 levels are fine */
	len = (size_t)sprintf(buf, "{\"flow\":{\"x\":");
	for (i = 0; i < 30; i++)
		len += (size_t)sprintf(buf + len, "{\"a\":[");
	for (i = 0; i < 30; i++)
		len += (size_t)sprintf(buf + len, "]}");
	len += (size_t)sprintf(buf + len, ",\"verdict\":1}}");
	read_all(buf, len, 0, &y);
	ck_assert_int_eq(y.n, 1);
	ck_assert_msg(y.rc[0] == 1, "%s", y.msg[0]);
	ck_assert_int_eq(y.verdict[0], 1);
	free(buf);
}
END_TEST

/* Pseudo-random junk: never a crash, good lines still found. */
START_TEST(test_junk)
{
	static char buf[1 << 16];
	uint32_t x = 2463534242u;
	size_t i, len = 0;
	FILE *fp;
	struct flow_reader *r;
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];
	int rc, good = 0;

	for (i = 0; i < 200; i++) {
		size_t n = x % 200, k;

		for (k = 0; k < n && len < sizeof(buf) - 100; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[len++] = (char)(x & 0xff);
			if (buf[len - 1] == '\n')
				buf[len - 1] = ' ';
		}
		buf[len++] = '\n';
		len += (size_t)sprintf(buf + len, "%s\n", GOOD);
	}
	fp = fmemopen(buf, len, "r");
	r = flow_reader_new(fp, "junk");
	while ((rc = flow_reader_next(r, &rec, eb, sizeof(eb))) != 0)
		if (rc == 1 && rec.kind == FLOW_EV_FLOW &&
		    rec.flow.verdict == FLOW_DROPPED)
			good++;
	ck_assert_int_eq(good, 200);
	flow_reader_free(r);
	fclose(fp);
}
END_TEST

/* Bytes a sniffer read (and stdio buffered) are not lost. */
START_TEST(test_prefixed)
{
	char tmpl[] = "/tmp/check_flow_readXXXXXX", head[8];
	FILE *fp;
	struct flow_reader *r;
	struct flow_record rec;
	int fd, i, n = 0;

	fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w+");
	for (i = 0; i < 3000; i++)
		fprintf(fp, "%s\n", GOOD);
	rewind(fp);
	ck_assert_uint_eq(fread(head, 1, sizeof(head), fp), sizeof(head));
	ck_assert_int_eq(flow_sniff(head, sizeof(head)), FLOW_FMT_JSON_LINES);
	r = flow_reader_new_prefixed(fp, tmpl, head, sizeof(head));
	while (flow_reader_next(r, &rec, NULL, 0) == 1)
		n += rec.flow.verdict == FLOW_DROPPED;
	ck_assert_int_eq(n, 3000);
	ck_assert_uint_eq(flow_reader_line(r), 3000);
	flow_reader_free(r);
	fclose(fp);
	unlink(tmpl);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Round trip: every real flow written and read back compares equal. */

static void
assert_str_same(const char *a, const char *b, const char *what)
{
	if (a == NULL || b == NULL)
		ck_assert_msg(a == b || (a != NULL && *a == '\0') ||
		    (b != NULL && *b == '\0'), "%s: %s vs %s", what,
		    a ? a : "(null)", b ? b : "(null)");
	else
		ck_assert_msg(strcmp(a, b) == 0, "%s: '%s' vs '%s'", what, a,
		    b);
}

static void
assert_strs_same(const char *const *a, size_t na, const char *const *b,
    size_t nb, const char *what)
{
	size_t i;

	ck_assert_msg(na == nb, "%s: %zu vs %zu entries", what, na, nb);
	for (i = 0; i < na; i++)
		assert_str_same(a[i], b[i], what);
}

static void
assert_ep_same(const struct flow_endpoint *a, const struct flow_endpoint *b)
{
	size_t i;

	ck_assert_uint_eq(a->id, b->id);
	ck_assert_uint_eq(a->identity, b->identity);
	assert_str_same(a->cluster_name, b->cluster_name, "cluster_name");
	assert_str_same(a->namespace, b->namespace, "namespace");
	assert_str_same(a->pod_name, b->pod_name, "pod_name");
	assert_strs_same(a->labels, a->n_labels, b->labels, b->n_labels,
	    "labels");
	ck_assert_uint_eq(a->n_workloads, b->n_workloads);
	for (i = 0; i < a->n_workloads; i++) {
		assert_str_same(a->workloads[i].name, b->workloads[i].name,
		    "workload");
		assert_str_same(a->workloads[i].kind, b->workloads[i].kind,
		    "workload kind");
	}
}

static void
assert_pol_same(const struct flow_policy_list *a,
    const struct flow_policy_list *b)
{
	size_t i;

	ck_assert_uint_eq(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_str_same(a->v[i].name, b->v[i].name, "policy");
		assert_str_same(a->v[i].namespace, b->v[i].namespace,
		    "policy ns");
		assert_str_same(a->v[i].kind, b->v[i].kind, "policy kind");
	}
}

/* Every field of struct flow. */
void assert_flow_same(const struct flow *a, const struct flow *b);
void
assert_flow_same(const struct flow *a, const struct flow *b)
{
	ck_assert_int_eq(a->time_ns, b->time_ns);
	assert_str_same(a->uuid, b->uuid, "uuid");
	ck_assert_int_eq(a->verdict, b->verdict);
	ck_assert_uint_eq(a->drop_reason, b->drop_reason);
	ck_assert_int_eq(a->type, b->type);
	assert_str_same(a->node_name, b->node_name, "node_name");
	assert_str_same(a->src_mac, b->src_mac, "src_mac");
	assert_str_same(a->dst_mac, b->dst_mac, "dst_mac");
	assert_str_same(a->src_ip, b->src_ip, "src_ip");
	assert_str_same(a->dst_ip, b->dst_ip, "dst_ip");
	assert_str_same(a->src_ip_xlated, b->src_ip_xlated, "xlated");
	ck_assert_int_eq(a->ip_version, b->ip_version);
	ck_assert_int_eq(a->ip_encrypted, b->ip_encrypted);
	ck_assert_int_eq(a->l4, b->l4);
	ck_assert_uint_eq(a->sport, b->sport);
	ck_assert_uint_eq(a->dport, b->dport);
	ck_assert_uint_eq(a->tcp_flags, b->tcp_flags);
	ck_assert_uint_eq(a->icmp_type, b->icmp_type);
	ck_assert_uint_eq(a->icmp_code, b->icmp_code);
	assert_ep_same(&a->src, &b->src);
	assert_ep_same(&a->dst, &b->dst);
	assert_str_same(a->src_svc.name, b->src_svc.name, "src_svc");
	assert_str_same(a->src_svc.namespace, b->src_svc.namespace, "svc");
	assert_str_same(a->dst_svc.name, b->dst_svc.name, "dst_svc");
	assert_str_same(a->dst_svc.namespace, b->dst_svc.namespace, "svc");
	assert_strs_same(a->src_names, a->n_src_names, b->src_names,
	    b->n_src_names, "src_names");
	assert_strs_same(a->dst_names, a->n_dst_names, b->dst_names,
	    b->n_dst_names, "dst_names");
	ck_assert_int_eq(a->direction, b->direction);
	ck_assert_int_eq(a->is_reply, b->is_reply);
	ck_assert_int_eq(a->event_type, b->event_type);
	ck_assert_int_eq(a->event_subtype, b->event_subtype);
	ck_assert_int_eq(a->obs_point, b->obs_point);
	ck_assert_int_eq(a->trace_reason, b->trace_reason);
	ck_assert_uint_eq(a->policy_match_type, b->policy_match_type);
	ck_assert_uint_eq(a->proxy_port, b->proxy_port);
	assert_str_same(a->iface_name, b->iface_name, "iface");
	ck_assert_uint_eq(a->iface_index, b->iface_index);
	assert_str_same(a->summary, b->summary, "summary");
	assert_str_same(a->file_name, b->file_name, "file");
	ck_assert_uint_eq(a->file_line, b->file_line);
	ck_assert_int_eq(a->tunnel_proto, b->tunnel_proto);
	ck_assert_uint_eq(a->tunnel_vni, b->tunnel_vni);
	ck_assert_int_eq(a->has_l7, b->has_l7);
	ck_assert_int_eq(a->l7.type, b->l7.type);
	ck_assert_uint_eq(a->l7.latency_ns, b->l7.latency_ns);
	ck_assert_int_eq(a->l7.kind, b->l7.kind);
	ck_assert_uint_eq(a->l7.http.code, b->l7.http.code);
	assert_str_same(a->l7.http.method, b->l7.http.method, "method");
	assert_str_same(a->l7.http.url, b->l7.http.url, "url");
	assert_str_same(a->l7.http.protocol, b->l7.http.protocol, "proto");
	assert_str_same(a->l7.dns.query, b->l7.dns.query, "query");
	ck_assert_uint_eq(a->l7.dns.rcode, b->l7.dns.rcode);
	ck_assert_uint_eq(a->l7.dns.ttl, b->l7.dns.ttl);
	assert_strs_same(a->l7.dns.ips, a->l7.dns.n_ips, b->l7.dns.ips,
	    b->l7.dns.n_ips, "ips");
	assert_strs_same(a->l7.dns.qtypes, a->l7.dns.n_qtypes,
	    b->l7.dns.qtypes, b->l7.dns.n_qtypes, "qtypes");
	assert_str_same(a->l7.dns.observation_source,
	    b->l7.dns.observation_source, "obs source");
	ck_assert_int_eq(a->l7.kafka.error_code, b->l7.kafka.error_code);
	ck_assert_int_eq(a->l7.kafka.api_version, b->l7.kafka.api_version);
	assert_str_same(a->l7.kafka.api_key, b->l7.kafka.api_key, "api_key");
	ck_assert_int_eq(a->l7.kafka.correlation_id,
	    b->l7.kafka.correlation_id);
	assert_str_same(a->l7.kafka.topic, b->l7.kafka.topic, "topic");
	assert_str_same(a->drop_reason_text, b->drop_reason_text,
	    "drop_reason_text");
	assert_pol_same(&a->egress_allowed_by, &b->egress_allowed_by);
	assert_pol_same(&a->ingress_allowed_by, &b->ingress_allowed_by);
	assert_pol_same(&a->egress_denied_by, &b->egress_denied_by);
	assert_pol_same(&a->ingress_denied_by, &b->ingress_denied_by);
}

/* Write f, check the line is valid JSON (json-c), read it back. */
static void
round_trip(const struct flow *f)
{
	struct flow_scratch *s = flow_scratch_new();
	struct flow_record back;
	struct json_tokener *tok;
	struct json_object *obj;
	char *buf = NULL, eb[CILKIT_ERRBUF_SIZE];
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	ck_assert_int_eq(flow_write_line(mem, f), 0);
	fclose(mem);
	ck_assert(len > 0 && buf[len - 1] == '\n');
	tok = json_tokener_new();
	obj = json_tokener_parse_ex(tok, buf, (int)len - 1);
	ck_assert_msg(obj != NULL && json_tokener_get_error(tok) ==
	    json_tokener_success, "writer output not JSON: %s", buf);
	json_object_put(obj);
	json_tokener_free(tok);
	ck_assert_msg(flow_parse_line(s, buf, len - 1, &back, eb,
	    sizeof(eb)) == 1, "%s: %s", eb, buf);
	ck_assert_int_eq(back.kind, FLOW_EV_FLOW);
	assert_flow_same(f, &back.flow);
	/* and what was read back is written the same, byte for byte */
	{
		char *buf2 = NULL;
		size_t len2 = 0;
		FILE *mem2 = open_memstream(&buf2, &len2);

		ck_assert_int_eq(flow_write_line(mem2, &back.flow), 0);
		fclose(mem2);
		ck_assert_msg(len2 == len && memcmp(buf, buf2, len) == 0,
		    "written again differs:\n%s%s", buf, buf2);
		free(buf2);
	}
	flow_scratch_free(s);
	free(buf);
}

/*
 * FLOW_SKIP_*: what each flag leaves empty, that the rest is still read,
 * that an unnamed endpoint keeps its labels, and which bad input is
 * still reported (structure) and which is no longer looked at.
 */
struct skip_case {
	unsigned skip;
	const char *in;
	int rc;
	const char *want;	/* summary of the record, or message part */
};

#define SKIP_ALL (FLOW_SKIP_POLICIES | FLOW_SKIP_NAMED_LABELS | \
    FLOW_SKIP_DETAIL)
#define SKIP_FLOW "{\"flow\":{\"uuid\":\"u-1\",\"verdict\":\"DROPPED\"," \
    "\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"10.0.0.2\"," \
    "\"ipVersion\":\"IPv4\"},\"source\":{\"ID\":7,\"identity\":9," \
    "\"cluster_name\":\"c\",\"namespace\":\"ns\",\"labels\":[\"k8s:a=b\"]," \
    "\"pod_name\":\"p-1\",\"workloads\":[{\"name\":\"w\",\"kind\":\"D\"}]}," \
    "\"destination\":{\"identity\":2,\"labels\":[\"reserved:world\"," \
    "\"fqdn:x.io\"]},\"l7\":{\"type\":\"RESPONSE\",\"latency_ns\":5," \
    "\"http\":{\"code\":404,\"method\":\"GET\",\"url\":\"/a\"}}," \
    "\"Summary\":\"s\",\"egress_allowed_by\":[{\"name\":\"pol\"}]}}"

static const struct skip_case skip_cases[] = {
	{ 0, SKIP_FLOW, 1, "uuid=u-1 ipv=1 sid=7 sc=c sl=1 wk=D dl=2 "
	  "get=GET url=/a code=404 lat=5 sum=s pol=1 v=2 pod=p-1 w=w" },
	{ FLOW_SKIP_POLICIES, SKIP_FLOW, 1, "uuid=u-1 ipv=1 sid=7 sc=c "
	  "sl=1 wk=D dl=2 get=GET url=/a code=404 lat=5 sum=s pol=0 v=2 "
	  "pod=p-1 w=w" },
	/* the source is named (pod, workload): no labels; the
	 * destination is not: its labels are read after all */
	{ FLOW_SKIP_NAMED_LABELS, SKIP_FLOW, 1, "uuid=u-1 ipv=1 sid=7 sc=c "
	  "sl=0 wk=D dl=2 get=GET url=/a code=404 lat=5 sum=s pol=1 v=2 "
	  "pod=p-1 w=w" },
	{ FLOW_SKIP_DETAIL, SKIP_FLOW, 1, "uuid=- ipv=0 sid=0 sc=- sl=1 "
	  "wk=- dl=2 get=- url=- code=404 lat=5 sum=- pol=1 v=2 pod=p-1 w=w" },
	{ SKIP_ALL, SKIP_FLOW, 1, "uuid=- ipv=0 sid=0 sc=- sl=0 wk=- dl=2 "
	  "get=- url=- code=404 lat=5 sum=- pol=0 v=2 pod=p-1 w=w" },
	/* a workload name alone names the endpoint */
	{ SKIP_ALL, "{\"flow\":{\"source\":{\"labels\":[\"k8s:a=b\"],"
	  "\"workloads\":[{\"name\":\"w\"}]}}}", 1, "uuid=- ipv=0 sid=0 "
	  "sc=- sl=0 wk=- dl=0 get=- url=- code=0 lat=0 sum=- pol=0 v=0 "
	  "pod=- w=w" },
	/* an empty pod name does not */
	{ SKIP_ALL, "{\"flow\":{\"source\":{\"labels\":[\"k8s:a=b\"],"
	  "\"pod_name\":\"\"}}}", 1, "uuid=- ipv=0 sid=0 sc=- sl=1 wk=- "
	  "dl=0 get=- url=- code=0 lat=0 sum=- pol=0 v=0 pod= w=-" },
	/* bad strings in skipped values pass, reported without skip */
	{ SKIP_ALL, "{\"flow\":{\"uuid\":\"a\xff\",\"Summary\":\"\xc0\"}}", 1,
	  "uuid=- ipv=0 sid=0 sc=- sl=0 wk=- dl=0 get=- url=- code=0 "
	  "lat=0 sum=- pol=0 v=0 pod=- w=-" },
	{ 0, "{\"flow\":{\"uuid\":\"a\xff\"}}", CILKIT_EINVAL,
	  "flow.uuid: invalid UTF-8" },
	/* bad input: the structure of skipped values is still checked */
	{ SKIP_ALL, "{\"flow\":{\"egress_allowed_by\":[{\"name\":}]}}",
	  CILKIT_EINVAL, "flow.egress_allowed_by: expected a value" },
	{ SKIP_ALL, "{\"flow\":{\"uuid\":\"abc}}", CILKIT_ETRUNC,
	  "flow.uuid: unexpected end of line" },
	{ SKIP_ALL, "{\"flow\":{\"source\":{\"labels\":[\"a\",],"
	  "\"pod_name\":\"p\"}}}", CILKIT_EINVAL,
	  "flow.source.labels: expected a value" },
	/* an unnamed endpoint's labels are read in full */
	{ SKIP_ALL, "{\"flow\":{\"source\":{\"labels\":[\"a\",\"b\xff\"]}}}",
	  CILKIT_EINVAL, "flow.source.labels[1]: invalid UTF-8" },
	{ SKIP_ALL, "{\"flow\":{\"source\":{\"labels\":[\"a\",3]}}}",
	  CILKIT_EINVAL, "flow.source.labels[1]: expected a string" },
	{ SKIP_ALL, "{\"flow\":{\"source\":{\"labels\":[\"a\",\"b\xff\"],"
	  "\"pod_name\":\"p\"}}}", 1, "uuid=- ipv=0 sid=0 sc=- sl=0 wk=- "
	  "dl=0 get=- url=- code=0 lat=0 sum=- pol=0 v=0 pod=p w=-" },
};

static const char *
or_dash(const char *s)
{
	return s != NULL ? s : "-";
}

START_TEST(test_skip)
{
	const struct skip_case *tc = &skip_cases[_i];
	struct flow_scratch *s = flow_scratch_new();
	struct flow_record rec;
	const struct flow *f = &rec.flow;
	char eb[CILKIT_ERRBUF_SIZE] = "", got[512];
	int rc;

	flow_scratch_set_skip(s, tc->skip);
	rc = flow_parse_line(s, tc->in, strlen(tc->in), &rec, eb, sizeof(eb));
	ck_assert_msg(rc == tc->rc, "row %d: rc %d want %d (%s)", _i, rc,
	    tc->rc, eb);
	if (rc != 1) {
		ck_assert_msg(strstr(eb, tc->want) != NULL,
		    "row %d: message '%s' lacks '%s'", _i, eb, tc->want);
		flow_scratch_free(s);
		return;
	}
	snprintf(got, sizeof(got), "uuid=%s ipv=%d sid=%u sc=%s sl=%zu "
	    "wk=%s dl=%zu get=%s url=%s code=%u lat=%llu sum=%s pol=%zu "
	    "v=%d pod=%s w=%s", or_dash(f->uuid), f->ip_version, f->src.id,
	    or_dash(f->src.cluster_name), f->src.n_labels,
	    f->src.n_workloads > 0 ? or_dash(f->src.workloads[0].kind) : "-",
	    f->dst.n_labels, or_dash(f->l7.http.method),
	    or_dash(f->l7.http.url), f->l7.http.code,
	    (unsigned long long)f->l7.latency_ns, or_dash(f->summary),
	    f->egress_allowed_by.n, f->verdict, or_dash(f->src.pod_name),
	    f->src.n_workloads > 0 ? or_dash(f->src.workloads[0].name) : "-");
	ck_assert_msg(strcmp(got, tc->want) == 0, "row %d:\n got %s\nwant %s",
	    _i, got, tc->want);
	if (f->dst.n_labels == 2) {
		ck_assert_str_eq(f->dst.labels[0], "reserved:world");
		ck_assert_str_eq(f->dst.labels[1], "fqdn:x.io");
	}
	flow_scratch_free(s);
}
END_TEST

/*
 * Times within the minute of the previous line take a shortcut in the
 * reader; every one must come out as report_parse_rfc3339 has it, valid
 * or not, in any order (each row follows the previous ones in one
 * scratch).
 */
static const char *const minute_times[] = {
	"2026-01-01T00:00:00.000074835Z",
	"2026-01-01T00:00:01.5Z",
	"2026-01-01T00:00:59.999999999999Z",	/* cut at 9 digits */
	"2026-01-01T00:00:07Z",
	"2026-01-01T00:00:60Z",			/* bad: second 60 */
	"2026-01-01T00:00:6xZ",			/* bad */
	"2026-01-01T00:00:06.Z",		/* bad: no digit */
	"2026-01-01T00:00:06.1x2Z",		/* bad */
	"2026-01-01T00:00:08z",
	"2026-01-01T00:00:09+01:00",
	"2026-01-01T00:00:09.25-00:30",
	"2026-01-01T00:01:00Z",
	"2026-01-01 00:01:02.000000001Z",
	"2026-01-01T00:01:03.000000001Z",
	"2262-04-11T23:47:16.854775807Z",	/* the last time in ns */
	"2262-04-11T23:47:16.854775808Z",	/* bad: past it */
	"2262-04-11T23:47:17Z",			/* bad */
	"2262-04-11T23:47:15.9Z",
	"1677-09-21T00:12:44Z",			/* about the first */
	"1677-09-21T00:12:43Z",			/* bad: before it */
	"1677-09-21T00:12:45.5Z",
	"1970-01-01T00:00:00Z",
	"1969-12-31T23:59:59.999999999Z",
	"1969-12-31T23:59:58.1Z",
	"2024-02-29T23:59:59Z",
	"2023-02-29T23:59:59Z",			/* bad: no such day */
};

START_TEST(test_time_minute)
{
	struct flow_scratch *s = flow_scratch_new();
	struct flow_record rec;
	char line[128], eb[CILKIT_ERRBUF_SIZE];
	const char *t;
	int64_t want;
	size_t i, k;
	int rc, wrc;

	/* twice through, so that each row also follows the last one */
	for (k = 0; k < 2 * (sizeof(minute_times) / sizeof(minute_times[0])); k++) {
		i = k % (sizeof(minute_times) / sizeof(minute_times[0]));
		t = minute_times[i];
		snprintf(line, sizeof(line), "{\"flow\":{\"time\":\"%s\"}}", t);
		rc = flow_parse_line(s, line, strlen(line), &rec, eb,
		    sizeof(eb));
		wrc = report_parse_rfc3339(t, strlen(t), &want);
		if (wrc < 0) {
			ck_assert_msg(rc == CILKIT_EINVAL, "%s: rc %d", t, rc);
			continue;
		}
		ck_assert_msg(rc == 1, "%s: %s", t, eb);
		ck_assert_msg(rec.flow.time_ns == want, "%s: %lld want %lld", t,
		    (long long)rec.flow.time_ns, (long long)want);
	}
	flow_scratch_free(s);
}
END_TEST

/* The compat rows survive the writer (an unknown reason name too). */
START_TEST(test_round_trip_compat)
{
	const struct compat_case *tc = &compat_cases[_i];
	struct flow_scratch *s = flow_scratch_new();
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE] = "";

	ck_assert_msg(flow_parse_line(s, tc->in, strlen(tc->in), &rec, eb,
	    sizeof(eb)) == 1, "row %d: %s", _i, eb);
	round_trip(&rec.flow);
	flow_scratch_free(s);
}
END_TEST

START_TEST(test_round_trip_real)
{
	const char *name = hubble_files[_i];
	FILE *fp = fopen(data_path(name), "r");
	struct flow_reader *r;
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];
	int rc, n = 0;

	ck_assert_ptr_nonnull(fp);
	r = flow_reader_new(fp, name);
	while ((rc = flow_reader_next(r, &rec, eb, sizeof(eb))) != 0) {
		ck_assert_msg(rc == 1, "%s", eb);
		round_trip(&rec.flow);
		n++;
	}
	ck_assert_int_gt(n, 0);
	flow_reader_free(r);
	fclose(fp);
}
END_TEST

static Suite *
flow_read_suite(void)
{
	Suite *s = suite_create("flow_read");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_real_10_flows);
	tcase_add_test(tc, test_real_export);
	tcase_add_test(tc, test_real_http);
	tcase_add_test(tc, test_real_dns);
	tcase_add_test(tc, test_real_icmp);
	tcase_add_test(tc, test_real_aggregates);
	tcase_add_loop_test(tc, test_line, 0,
	    sizeof(line_cases) / sizeof(line_cases[0]));
	tcase_add_loop_test(tc, test_time, 0,
	    sizeof(time_cases) / sizeof(time_cases[0]));
	tcase_add_test(tc, test_format_time);
	tcase_add_loop_test(tc, test_sniff, 0,
	    sizeof(sniff_cases) / sizeof(sniff_cases[0]));
	tcase_add_loop_test(tc, test_sniff_text, 0,
	    sizeof(text_cases) / sizeof(text_cases[0]));
	tcase_add_test(tc, test_hubble_text);
	tcase_add_test(tc, test_stream_mixed);
	tcase_add_test(tc, test_full_flow);
	tcase_add_test(tc, test_huge_line);
	tcase_add_test(tc, test_line_cap_edge);
	tcase_add_loop_test(tc, test_stream, 0,
	    sizeof(stream_cases) / sizeof(stream_cases[0]));
	tcase_add_test(tc, test_pretty_big);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_junk);
	tcase_add_test(tc, test_prefixed);
	tcase_add_loop_test(tc, test_compat, 0,
	    sizeof(compat_cases) / sizeof(compat_cases[0]));
	tcase_add_test(tc, test_records);
	tcase_add_loop_test(tc, test_escapes, 0,
	    sizeof(esc_cases) / sizeof(esc_cases[0]));
	tcase_add_test(tc, test_time_minute);
	tcase_add_loop_test(tc, test_skip, 0,
	    sizeof(skip_cases) / sizeof(skip_cases[0]));
	tcase_add_loop_test(tc, test_round_trip_compat, 0,
	    sizeof(compat_cases) / sizeof(compat_cases[0]));
	tcase_add_loop_test(tc, test_round_trip_real, 0,
	    sizeof(hubble_files) / sizeof(hubble_files[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(flow_read_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
