/*
 * check_cilium.c - the drop reason table (against the TSV in shared/data,
 * read at test time), its lookups, and the cilium monitor reader on every
 * real capture in shared/data/monitor plus hand-written -j and bad lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cilium_drop.h"
#include "cilium_monitor.h"
#include "cilkit.h"
#include "flow.h"

static char *
shared_path(const char *rel)
{
	const char *d = getenv("SHARED_DATA");
	char *p;

	if (d == NULL)
		d = "../shared/data";
	if (asprintf(&p, "%s/%s", d, rel) < 0)
		return NULL;
	return p;
}

/* Every row of cilium-drop-reasons.tsv is in the table, word for word. */
START_TEST(test_table_matches_tsv)
{
	char *path = shared_path("cilium-drop-reasons.tsv");
	FILE *fp = fopen(path, "r");
	char line[512];
	int rows = 0;
	size_t i;

	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp)); /* header */
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *code = strtok(line, "\t\n");
		char *name = strtok(NULL, "\t\n");
		char *msg = strtok(NULL, "\n");
		const struct cilium_drop_reason *r;

		if (msg == NULL) {	/* empty enum name column */
			msg = name;
			name = NULL;
		}
		r = cilium_drop_by_code((uint32_t)atoi(code));
		ck_assert_msg(r != NULL, "code %s missing", code);
		ck_assert_str_eq(r->message, msg);
		if (name == NULL)
			ck_assert_ptr_null(r->name);
		else
			ck_assert_str_eq(r->name, name);
		rows++;
	}
	fclose(fp);
	free(path);
	ck_assert_int_eq(rows, 92);
	ck_assert_uint_eq(cilium_drop_count(), 92);
	for (i = 1; i < cilium_drop_count(); i++)
		ck_assert_uint_lt(cilium_drop_at(i - 1)->code,
		    cilium_drop_at(i)->code);
}
END_TEST

static const struct {
	const char *in;
	int code;		/* -1: no match */
} lookups[] = {
	{ "Policy denied", 133 }, { "policy denied", 133 },
	{ "POLICY_DENIED", 133 }, { "policy_denied", 133 },
	{ "policy-denied", 133 }, { "DROP_POLICY_DENIED", 133 },
	{ "Policy denied (L3)", 133 }, { "Policy denied (CIDR)", 133 },
	{ "133", 133 }, { "Invalid packet", 134 }, { "2", 2 },
	{ "Stale or unroutable IP", 151 },
	{ "Not a local target address", 151 },
	{ "CT: Missing TCP ACK flag", 136 },
	{ "Policy denied by denylist", 181 }, { "auth_required", 189 },
	{ "No device", 206 }, { "DROP_FRAG_NOT_FOUND_WORLD", 207 },
	/* bad rows */
	{ "", -1 }, { "nonsense", -1 }, { "159", -1 }, { "-1", -1 },
	{ "99999999999", -1 }, { "133x", -1 }, { "Policy", -1 },
};

START_TEST(test_lookup)
{
	const struct cilium_drop_reason *r = cilium_drop_lookup(lookups[_i].in);

	if (lookups[_i].code < 0)
		ck_assert_msg(r == NULL, "'%s' matched %u", lookups[_i].in,
		    r->code);
	else {
		ck_assert_msg(r != NULL, "'%s' not found", lookups[_i].in);
		ck_assert_uint_eq(r->code, (unsigned)lookups[_i].code);
	}
}
END_TEST

START_TEST(test_family_and_message)
{
	char buf[64];

	ck_assert_int_eq(cilium_drop_family(133), CILIUM_DROP_FAM_POLICY);
	ck_assert_int_eq(cilium_drop_family(181), CILIUM_DROP_FAM_POLICY);
	ck_assert_int_eq(cilium_drop_family(132),
	    CILIUM_DROP_FAM_INVALID_SOURCE);
	ck_assert_int_eq(cilium_drop_family(155), CILIUM_DROP_FAM_CONNTRACK);
	ck_assert_int_eq(cilium_drop_family(151), CILIUM_DROP_FAM_UNROUTABLE);
	ck_assert_int_eq(cilium_drop_family(160), CILIUM_DROP_FAM_TUNNEL);
	ck_assert_int_eq(cilium_drop_family(189), CILIUM_DROP_FAM_AUTH);
	ck_assert_int_eq(cilium_drop_family(139),
	    CILIUM_DROP_FAM_UNSUPPORTED);
	ck_assert_int_eq(cilium_drop_family(158), CILIUM_DROP_FAM_SERVICE);
	ck_assert_int_eq(cilium_drop_family(4242), CILIUM_DROP_FAM_OTHER);
	ck_assert_str_eq(cilium_drop_message(133, buf, sizeof(buf)),
	    "Policy denied");
	ck_assert_str_eq(cilium_drop_message(4242, buf, sizeof(buf)),
	    "Unknown drop reason 4242");
	ck_assert_str_eq(cilium_drop_family_name(CILIUM_DROP_FAM_FQDN),
	    "fqdn");
}
END_TEST

START_TEST(test_family_of_flow)
{
	struct flow f;
	const char *names[] = { "api.example.com" };
	const char *labels[] = { "reserved:world", "fqdn:*.example.com" };

	flow_clear(&f);
	f.drop_reason = 133;
	ck_assert_int_eq(cilium_drop_family_of_flow(&f),
	    CILIUM_DROP_FAM_POLICY);
	f.dst_names = names;
	f.n_dst_names = 1;
	ck_assert_int_eq(cilium_drop_family_of_flow(&f),
	    CILIUM_DROP_FAM_FQDN);
	f.n_dst_names = 0;
	f.dst.labels = labels;
	f.dst.n_labels = 2;
	ck_assert_int_eq(cilium_drop_family_of_flow(&f),
	    CILIUM_DROP_FAM_FQDN);
	f.drop_reason = 132;
	ck_assert_int_eq(cilium_drop_family_of_flow(&f),
	    CILIUM_DROP_FAM_INVALID_SOURCE);
}
END_TEST

/* ------------------------------------------------------ monitor reader */

#define MAXREC 32

struct recs {
	int n, errors, flows, drops;
	struct flow_record r[MAXREC];
	/* copies of strings we assert on (records are borrowed) */
	char src_ip[MAXREC][64], dst_ip[MAXREC][64], iface[MAXREC][32];
	char file[MAXREC][32], reason_text[MAXREC][32];
	char err[CILKIT_ERRBUF_SIZE];
};

static void
read_all(FILE *fp, const char *name, struct recs *out)
{
	struct cilium_monitor_reader *r;
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];
	int rc;

	memset(out, 0, sizeof(*out));
	r = cilium_monitor_reader_new(fp, name, NULL, 0);
	ck_assert_ptr_nonnull(r);
	while ((rc = cilium_monitor_next(r, &rec, eb, sizeof(eb))) != 0) {
		if (rc < 0) {
			out->errors++;
			snprintf(out->err, sizeof(out->err), "%s", eb);
			ck_assert_int_ne(rc, CILKIT_EIO);
			continue;
		}
		if (rec.kind != FLOW_EV_FLOW || out->n >= MAXREC)
			continue;
		out->flows++;
		if (rec.flow.verdict == FLOW_DROPPED)
			out->drops++;
		out->r[out->n] = rec;
		snprintf(out->src_ip[out->n], 64, "%s",
		    rec.flow.src_ip ? rec.flow.src_ip : "");
		snprintf(out->dst_ip[out->n], 64, "%s",
		    rec.flow.dst_ip ? rec.flow.dst_ip : "");
		snprintf(out->iface[out->n], 32, "%s",
		    rec.flow.iface_name ? rec.flow.iface_name : "");
		snprintf(out->file[out->n], 32, "%s",
		    rec.flow.file_name ? rec.flow.file_name : "");
		snprintf(out->reason_text[out->n], 32, "%s",
		    rec.flow.drop_reason_text ? rec.flow.drop_reason_text : "");
		out->n++;
	}
	cilium_monitor_reader_free(r);
}

static void
read_shared(const char *file, struct recs *out)
{
	char *rel, *path;
	FILE *fp;

	ck_assert_int_ge(asprintf(&rel, "monitor/%s", file), 0);
	path = shared_path(rel);
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	read_all(fp, file, out);
	fclose(fp);
	free(path);
	free(rel);
}

static void
read_string(const char *text, struct recs *out)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");

	ck_assert_ptr_nonnull(fp);
	read_all(fp, "t", out);
	fclose(fp);
}

START_TEST(test_mon_drop_2018)
{
	static struct recs rs;
	struct flow *f;

	read_shared("cilium-cilium_Documentation_operations_troubleshooting"
	    ".rst_monitor-drop.txt", &rs);
	ck_assert_int_eq(rs.errors, 0);
	ck_assert_int_eq(rs.drops, 5);
	f = &rs.r[0].flow;
	ck_assert_uint_eq(f->drop_reason, 133);
	ck_assert_uint_eq(f->dst.id, 25729);
	ck_assert_uint_eq(f->src.identity, 261);
	ck_assert_uint_eq(f->dst.identity, 264);
	ck_assert_str_eq(rs.src_ip[0], "fd02::c0a8:210b:0:bf00");
	ck_assert_int_eq(f->ip_version, 2);
	ck_assert_int_eq(f->l4, FLOW_L4_ICMPV6);
	ck_assert_uint_eq(f->icmp_type, 128);
	f = &rs.r[2].flow;
	ck_assert_str_eq(rs.src_ip[2], "10.11.13.37");
	ck_assert_str_eq(rs.dst_ip[2], "10.11.101.61");
	ck_assert_int_eq(f->l4, FLOW_L4_ICMPV4);
	ck_assert_uint_eq(f->icmp_type, 8);
	f = &rs.r[4].flow;
	ck_assert_uint_eq(f->drop_reason, 131);
	ck_assert_uint_eq(f->icmp_type, 133);
	ck_assert_int_eq(f->event_type, 1);
}
END_TEST

START_TEST(test_mon_drop_old_reasons)
{
	static struct recs rs;
	struct flow *f;

	read_shared("cilium-cilium_issue-5496_monitor-drop.txt", &rs);
	ck_assert_int_eq(rs.errors, 0);
	ck_assert_int_eq(rs.drops, 9);
	ck_assert_uint_eq(rs.r[0].flow.drop_reason, 131);
	ck_assert_uint_eq(rs.r[0].flow.src.identity, 4);
	ck_assert_uint_eq(rs.r[1].flow.drop_reason, 150);
	ck_assert_str_eq(rs.src_ip[1], "::");
	f = &rs.r[2].flow;
	ck_assert_uint_eq(f->drop_reason, 133);	/* "Policy denied (L3)" */
	ck_assert_int_eq(f->l4, FLOW_L4_UDP);
	ck_assert_str_eq(rs.src_ip[2], "10.2.1.205");
	ck_assert_uint_eq(f->sport, 38631);
	ck_assert_str_eq(rs.dst_ip[2], "10.2.2.169");
	ck_assert_uint_eq(f->dport, 53);
	ck_assert_uint_eq(f->dst.identity, 7479);
	ck_assert_int_eq(rs.r[4].flow.l4, FLOW_L4_ICMPV6);
	ck_assert_uint_eq(rs.r[7].flow.src.identity, 20280);
}
END_TEST

START_TEST(test_mon_drop_cidr_identity)
{
	static struct recs rs;
	struct flow *f;

	read_shared("cilium-cilium_issue-11517_monitor-drop.txt", &rs);
	ck_assert_int_eq(rs.errors, 0);
	ck_assert_int_eq(rs.drops, 1);
	f = &rs.r[0].flow;
	ck_assert_uint_eq(f->src.identity, 16777388);
	ck_assert_uint_eq(f->dst.identity, 33623);
	ck_assert_uint_eq(f->dst.id, 1585);
	ck_assert_uint_eq(f->sport, 55454);
	ck_assert_uint_eq(f->dport, 0);	/* anonymised as "c" */
	ck_assert_int_eq(f->l4, FLOW_L4_TCP);
	ck_assert_uint_eq(f->tcp_flags, FLOW_TCP_SYN);
}
END_TEST

START_TEST(test_mon_drop_files)
{
	static struct recs rs;

	read_shared("cilium-cilium_pr-24143_monitor-drop.txt", &rs);
	ck_assert_int_eq(rs.errors, 0);
	ck_assert_int_eq(rs.drops, 5);
	ck_assert_uint_eq(rs.r[0].flow.drop_reason, 134);
	ck_assert_uint_eq(rs.r[0].flow.iface_index, 12);
	ck_assert_str_eq(rs.file[0], "101");
	ck_assert_uint_eq(rs.r[0].flow.file_line, 80);
	ck_assert_str_eq(rs.file[1], "2");
	ck_assert_uint_eq(rs.r[1].flow.file_line, 1167);
	ck_assert_uint_eq(rs.r[2].flow.drop_reason, 132);
	ck_assert_str_eq(rs.file[2], "bpf_lxc.c");
	ck_assert_uint_eq(rs.r[2].flow.file_line, 734);
	ck_assert_str_eq(rs.file[3], "lib/icmp6.h");
	ck_assert_uint_eq(rs.r[3].flow.file_line, 413);
}
END_TEST

START_TEST(test_mon_policy_verdict)
{
	static struct recs rs;
	struct flow *f;

	read_shared("acend-cilium-basics-training_content_en_docs_10_01"
	    "_index.md_policy-verdict.txt", &rs);
	ck_assert_int_eq(rs.errors, 0);
	ck_assert_int_eq(rs.flows, 4);
	f = &rs.r[0].flow;
	ck_assert_int_eq(f->verdict, FLOW_AUDIT);
	ck_assert_int_eq(f->event_type, 5);
	ck_assert_int_eq(f->direction, FLOW_DIR_INGRESS);
	ck_assert_uint_eq(f->dst.id, 671);
	ck_assert_uint_eq(f->src.identity, FLOW_ID_WORLD);
	ck_assert_uint_eq(f->policy_match_type, 0);
	f = &rs.r[2].flow;
	ck_assert_int_eq(f->verdict, FLOW_FORWARDED);
	ck_assert_uint_eq(f->policy_match_type, 3);
	ck_assert_str_eq(rs.dst_ip[2], "192.168.49.2");
	ck_assert_uint_eq(f->dport, 22);

	read_shared("cilium-cilium_issue-20797_monitor-policy-verdict.txt",
	    &rs);
	ck_assert_int_eq(rs.errors, 0);
	ck_assert_int_eq(rs.drops, 2);
	ck_assert_uint_eq(rs.r[0].flow.drop_reason, 133);
	ck_assert_uint_eq(rs.r[0].flow.src.identity, 6552143);
	ck_assert_uint_eq(rs.r[0].flow.dport, 8080);
}
END_TEST

START_TEST(test_mon_trace)
{
	static struct recs rs;
	struct flow *f;

	read_shared("cilium-cilium_issue-3339_monitor-trace.txt", &rs);
	ck_assert_int_eq(rs.errors, 0);
	ck_assert_int_eq(rs.flows, 4);
	f = &rs.r[0].flow;
	ck_assert_int_eq(f->obs_point, 5);	/* FROM_ENDPOINT */
	ck_assert_uint_eq(f->src.id, 42910);
	ck_assert_int_eq(f->trace_reason, 1);
	ck_assert_int_eq(rs.r[1].flow.obs_point, 3);	/* TO_STACK */
	ck_assert_int_eq(rs.r[2].flow.obs_point, 7);	/* FROM_HOST */
	ck_assert_str_eq(rs.iface[2], "eth0");
	f = &rs.r[3].flow;
	ck_assert_int_eq(f->obs_point, 101);	/* TO_ENDPOINT */
	ck_assert_int_eq(f->is_reply, 1);
	ck_assert_str_eq(rs.iface[3], "lxc2bde3");
	ck_assert_uint_eq(f->icmp_type, 0);	/* EchoReply */

	read_shared("cilium-cilium_pr-2667_monitor-trace.txt", &rs);
	ck_assert_int_eq(rs.errors, 0);
	ck_assert_int_eq(rs.flows, 10);
	ck_assert_int_eq(rs.r[9].flow.obs_point, 1);	/* TO_PROXY */
	ck_assert_uint_eq(rs.r[9].flow.dport, 80);
	ck_assert_str_eq(rs.dst_ip[1], "10.0.2.3");	/* "-> 0:" lines */

	read_shared("cilium-cilium_pr-17370_monitor-trace.txt", &rs);
	ck_assert_int_eq(rs.errors, 0);
	ck_assert_int_eq(rs.flows, 1);
	f = &rs.r[0].flow;
	ck_assert_int_eq(f->obs_point, 4);	/* TO_OVERLAY */
	ck_assert_uint_eq(f->src.identity, 19929);
	ck_assert_uint_eq(f->dst.identity, 0);
	ck_assert_str_eq(rs.iface[0], "cilium_vxlan");
	ck_assert_str_eq(rs.dst_ip[0], "10.244.1.18");
	ck_assert_uint_eq(f->icmp_type, 8);
}
END_TEST

START_TEST(test_mon_verbose)
{
	static struct recs rs;
	struct flow *f;

	read_shared("cilium-cilium_pr-8578_monitor-verbose.txt", &rs);
	ck_assert_int_eq(rs.errors, 0);
	ck_assert_int_eq(rs.flows, 1);
	f = &rs.r[0].flow;
	ck_assert_int_eq(f->obs_point, 5);
	ck_assert_uint_eq(f->src.id, 2284);
	ck_assert_uint_eq(f->src.identity, 53110);
	ck_assert_str_eq(rs.src_ip[0], "10.244.0.5");
	ck_assert_str_eq(rs.dst_ip[0], "10.244.1.4");
	ck_assert_uint_eq(f->sport, 32998);
	ck_assert_uint_eq(f->dport, 9092);
	ck_assert_uint_eq(f->tcp_flags, FLOW_TCP_SYN);

	/* Layers printed before their header; a trailing headless block. */
	read_shared("cilium-cilium_issue-18437_monitor-verbose.txt", &rs);
	ck_assert_int_eq(rs.errors, 0);
	ck_assert_int_eq(rs.flows, 1);
	f = &rs.r[0].flow;
	ck_assert_int_eq(f->obs_point, 101);
	ck_assert_uint_eq(f->dst.id, 2046);
	ck_assert_uint_eq(f->src.identity, FLOW_ID_HOST);
	ck_assert_uint_eq(f->dst.identity, FLOW_ID_HEALTH);
	ck_assert_str_eq(rs.iface[0], "lxc_health");
	ck_assert_uint_eq(f->dport, 4240);

	/* CI log with "[YYYY-MM-DD HH:MM:SS] " prefixes. */
	read_shared("cilium-cilium_issue-5596_monitor-log-verbose-debug.txt",
	    &rs);
	ck_assert_int_eq(rs.errors, 0);
	ck_assert_int_eq(rs.flows, 1);
	f = &rs.r[0].flow;
	ck_assert_int_eq(f->obs_point, 7);	/* FROM_HOST */
	ck_assert(rs.r[0].time_ns == 1537195646LL * 1000000000LL);
	ck_assert_str_eq(rs.dst_ip[0], "10.15.235.94");
	ck_assert_uint_eq(f->dport, 4240);
}
END_TEST

START_TEST(test_mon_json)
{
	static struct recs rs;
	struct flow *f;

	read_string(
	    "{\"cpu\":\"CPU 01:\",\"type\":\"drop\",\"mark\":\"0x1234abcd\","
	    "\"reason\":\"Policy denied\",\"source\":1234,\"bytes\":74,"
	    "\"srcLabel\":48447,\"dstLabel\":2,\"dstID\":0,\"Line\":1274,"
	    "\"File\":2,\"ExtError\":0,\"Ifindex\":29,\"summary\":{\"l3\":"
	    "{\"src\":\"192.168.0.149\",\"dst\":\"93.184.215.14\"},\"l4\":"
	    "{\"src\":\"45830\",\"dst\":\"80\"},\"tcp\":\"SrcPort=45830 "
	    "DstPort=80 SYN=true ACK=false\"}}\n"
	    "{\"cpu\":\"CPU 02:\",\"type\":\"trace\",\"mark\":\"0x1\","
	    "\"ifindex\":\"lxc2bde3\",\"state\":\"reply\",\"observationPoint\""
	    ":\"to-endpoint\",\"source\":42910,\"bytes\":98,\"srcLabel\":1,"
	    "\"dstLabel\":23405,\"dstID\":42910,\"IpTraceID\":0}\n"
	    "{\"type\":\"agent\",\"subtype\":\"Policy updated\",\"message\":{}}\n"
	    "{\"cpu\":\"CPU 01:\",\"type\":\"drop\",\"reason\":\"206, 0\"}\n"
	    "{\"cpu\":\"CPU 01:\",\"type\":\"drop\",\"reason\":\"Brand new\"}\n",
	    &rs);
	ck_assert_int_eq(rs.errors, 0);
	ck_assert_int_eq(rs.flows, 4);
	f = &rs.r[0].flow;
	ck_assert_int_eq(f->verdict, FLOW_DROPPED);
	ck_assert_uint_eq(f->drop_reason, 133);
	ck_assert_uint_eq(f->src.id, 1234);
	ck_assert_uint_eq(f->src.identity, 48447);
	ck_assert_uint_eq(f->dst.identity, 2);
	ck_assert_str_eq(rs.file[0], "bpf_lxc.c");
	ck_assert_uint_eq(f->file_line, 1274);
	ck_assert_str_eq(rs.dst_ip[0], "93.184.215.14");
	ck_assert_uint_eq(f->dport, 80);
	ck_assert_int_eq(f->l4, FLOW_L4_TCP);
	ck_assert_uint_eq(f->tcp_flags, FLOW_TCP_SYN);
	f = &rs.r[1].flow;
	ck_assert_int_eq(f->obs_point, 101);
	ck_assert_int_eq(f->is_reply, 1);
	ck_assert_uint_eq(f->dst.id, 42910);
	ck_assert_uint_eq(rs.r[2].flow.drop_reason, 206);
	ck_assert_uint_eq(rs.r[3].flow.drop_reason, 0);
	ck_assert_str_eq(rs.reason_text[3], "Brand new");
}
END_TEST

/* Bad lines are reported with their line number; good ones still count. */
START_TEST(test_mon_bad_input)
{
	static struct recs rs;
	static char big[3u << 20];
	char *text;

	read_string("Listening for events on 2 CPUs with 64x4096 of shared "
	    "memory\nxx drop (Policy denied) to endpoint 1, identity 2->3: "
	    "1.1.1.1:1 -> 2.2.2.2:2 tcp SYN\nhello world\n\x01\x02\xff\n"
	    "{\"type\":\n{\"no\":1}\nxx drop (Policy denied to endpoint 1\n"
	    "xx drop (Policy denied) to endpoint 1, identity 2->3: 1.1.1.1:1 "
	    "-> 2.2.2.2:2 udp", &rs);
	ck_assert_int_eq(rs.drops, 2);
	ck_assert_int_eq(rs.errors, 5);
	ck_assert_ptr_nonnull(strstr(rs.err, "t:7:"));
	ck_assert_int_eq(rs.r[1].flow.l4, FLOW_L4_UDP);

	/* A line over the cap is skipped without holding it in memory. */
	memset(big, 'x', sizeof(big) - 1);
	ck_assert_int_ge(asprintf(&text, "%s\nxx drop (Policy denied) to "
	    "endpoint 1, identity 2->3: 1.1.1.1 -> 2.2.2.2 icmp EchoRequest\n",
	    big), 0);
	read_string(text, &rs);
	free(text);
	ck_assert_int_eq(rs.errors, 1);
	ck_assert_ptr_nonnull(strstr(rs.err, "t:1: line longer than"));
	ck_assert_int_eq(rs.drops, 1);

	read_string("", &rs);
	ck_assert_int_eq(rs.flows + rs.errors, 0);
}
END_TEST

START_TEST(test_mon_sniff)
{
	const char *yes[] = {
		"Listening for events on 2 CPUs\n",
		"xx drop (Policy denied) flow 0x0 to endpoint 0, ...\n",
		"Policy verdict log: flow 0x1 local EP ID 1, remote ID 2\n",
		"[2018-09-17 14:47:26] CPU 01: MARK 0xa FROM 0 from-host: 7\n",
		"{\"cpu\":\"CPU 01:\",\"type\":\"drop\",\"reason\":\"x\"}\n",
		"\n\n-> endpoint 1 flow 0x0 , identity 1->2 state new\n",
	};
	const char *no[] = {
		"{\"flow\":{\"time\":\"2021-06-16T16:52:13Z\",\"verdict\":"
		"\"FORWARDED\"},\"node_name\":\"n\"}\n",
		"{\"time\":\"2021-06-16T16:52:13Z\",\"verdict\":\"DROPPED\"}\n",
		"hello\n", "",
	};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(cilium_monitor_sniff(yes[i], strlen(yes[i])),
		    "not sniffed: %s", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!cilium_monitor_sniff(no[i], strlen(no[i])),
		    "wrongly sniffed: %s", no[i]);
}
END_TEST

static Suite *
cilium_suite(void)
{
	Suite *s = suite_create("cilium");
	TCase *tc = tcase_create("drop");
	TCase *tm = tcase_create("monitor");

	tcase_add_test(tc, test_table_matches_tsv);
	tcase_add_loop_test(tc, test_lookup, 0,
	    sizeof(lookups) / sizeof(lookups[0]));
	tcase_add_test(tc, test_family_and_message);
	tcase_add_test(tc, test_family_of_flow);
	suite_add_tcase(s, tc);
	tcase_add_test(tm, test_mon_drop_2018);
	tcase_add_test(tm, test_mon_drop_old_reasons);
	tcase_add_test(tm, test_mon_drop_cidr_identity);
	tcase_add_test(tm, test_mon_drop_files);
	tcase_add_test(tm, test_mon_policy_verdict);
	tcase_add_test(tm, test_mon_trace);
	tcase_add_test(tm, test_mon_verbose);
	tcase_add_test(tm, test_mon_json);
	tcase_add_test(tm, test_mon_bad_input);
	tcase_add_test(tm, test_mon_sniff);
	suite_add_tcase(s, tm);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cilium_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
