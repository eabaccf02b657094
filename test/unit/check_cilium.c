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

/*
 * Shapes of monitor output met in public issues, docs and CI logs (the
 * values here are made up): one case per shape, with what the reader
 * must make of it.  Numbers are checked when not -1, strings when not
 * NULL ("" = must be absent); all concern the first flow record.
 */
#define DROP_LINE "xx drop (Policy denied) flow 0x1f to endpoint 9, ifindex " \
	"4, file bpf_lxc.c:88, , identity 300->400: 10.1.0.2:33000 -> " \
	"10.2.0.3:443 tcp SYN\n"
#define SEP "-------------------------------------------------------------" \
	"-----------------\n"

static const struct mon_case {
	const char *name, *text;
	int flows, drops, errors;
	int verdict, type, l4;
	long long reason, sport, dport, src_identity, dst_identity;
	const char *rtext, *src_ip, *dst_ip;
	long long time_s;
} mon_cases[] = {
	{ "IPv6 with ports", "xx drop (Policy denied) flow 0x5 to endpoint "
	    "12, ifindex 4, file bpf_lxc.c:88, , identity 300->400: "
	    "[fd00:10::5]:40000 -> [fd00:10::9]:8080 tcp SYN\n",
	    1, 1, 0, FLOW_DROPPED, FLOW_TYPE_L3_L4, FLOW_L4_TCP, 133, 40000,
	    8080, 300, 400, "", "fd00:10::5", "fd00:10::9", -1 },
	{ "IPv6 verdict", "Policy verdict log: flow 0x0 local EP ID 31, "
	    "remote ID remote-node, proto 6, ingress, action deny, auth: "
	    "disabled, match none, [fd00:1::22]:58416 -> [fd00:2::9]:9090 "
	    "tcp SYN\n",
	    1, 1, 0, FLOW_DROPPED, FLOW_TYPE_L3_L4, FLOW_L4_TCP, 133, 58416,
	    9090, FLOW_ID_REMOTE_NODE, -1, "", "fd00:1::22", "fd00:2::9",
	    -1 },
	{ "kubectl exec notes", "Defaulted container \"cilium-agent\" out "
	    "of: cilium-agent, config (init), mount-cgroup (init)\n"
	    "Unable to use a TTY - input is not a terminal or the right kind "
	    "of file\n" DROP_LINE "command terminated with exit code 130\n",
	    1, 1, 0, FLOW_DROPPED, -1, FLOW_L4_TCP, 133, 33000, 443, 300, 400,
	    NULL, "10.1.0.2", "10.2.0.3", -1 },
	{ "slog and logrus lines", "time=2025-01-02T03:04:05Z level=info "
	    "msg=\"Initializing dissection cache...\" subsys=monitor\n"
	    "time=\"2025-01-02T03:04:05Z\" level=info msg=x\n" DROP_LINE,
	    1, 1, 0, -1, -1, -1, 133, -1, -1, -1, -1, NULL, NULL, NULL, -1 },
	{ "indented paste", "    Listening for events on 4 CPUs with 64x4096 "
	    "of shared memory\n    Press Ctrl-C to quit\n\n    " DROP_LINE
	    "\t" DROP_LINE "    [...]\n",
	    2, 2, 0, -1, -1, -1, 133, 33000, 443, -1, -1, NULL, "10.1.0.2",
	    NULL, -1 },
	{ "kubectl logs --timestamps", "2025-03-04T05:06:07.123456789Z "
	    DROP_LINE,
	    1, 1, 0, -1, -1, -1, 133, -1, 443, -1, -1, NULL, NULL, NULL,
	    1741064767 },
	{ "CRI log file", "2025-03-04T05:06:07.5+00:00 stdout F " DROP_LINE,
	    1, 1, 0, -1, -1, -1, 133, -1, 443, -1, -1, NULL, NULL, NULL,
	    1741064767 },
	{ "UTF-8 byte order mark", "\xef\xbb\xbfListening for events on 2 "
	    "CPUs with 64x4096 of shared memory\n" DROP_LINE,
	    1, 1, 0, -1, -1, -1, 133, -1, -1, -1, -1, NULL, NULL, NULL, -1 },
	{ "CRLF line ends", "xx drop (Policy denied) to endpoint 1, identity "
	    "2->3: 1.1.1.1:1 -> 2.2.2.2:2 tcp SYN\r\n",
	    1, 1, 0, -1, -1, FLOW_L4_TCP, 133, 1, 2, 2, 3, NULL, NULL,
	    "2.2.2.2", -1 },
	{ "extended error code", "xx drop (FIB lookup failed, 4) flow 0x2 to "
	    "endpoint 0, ifindex 67, file bpf_lxc.c:1328, , identity "
	    "15000->world: 10.42.0.7:8080 -> 192.168.4.1:46870 tcp SYN, ACK\n",
	    1, 1, 0, -1, -1, FLOW_L4_TCP, 169, 8080, 46870, 15000,
	    FLOW_ID_WORLD, "", NULL, "192.168.4.1", -1 },
	{ "code without a text", "xx drop (250, 3) flow 0x0 to endpoint 0, "
	    "ifindex 2, file 7:12, , identity 1->2: 10.0.0.1 -> 10.0.0.2\n",
	    1, 1, 0, FLOW_DROPPED, -1, FLOW_L4_NONE, 250, -1, -1, 1, 2, "",
	    "10.0.0.1", "10.0.0.2", -1 },
	{ "text newer than the table", "xx drop (Some future reason) flow "
	    "0x0 to endpoint 0, , identity 1->2: 10.0.0.1 -> 10.0.0.2\n",
	    1, 1, 0, FLOW_DROPPED, -1, -1, 0, -1, -1, -1, -1,
	    "Some future reason", NULL, NULL, -1 },
	{ "drop with ip-trace-id", "xx drop (Policy denied) flow 0x1 to "
	    "endpoint 0, ifindex 3, file bpf_lxc.c:9,  [ ip-trace-id = 77 ], "
	    "identity 500->world: 10.1.0.2:33000 -> 10.2.0.3:443 tcp SYN\n",
	    1, 1, 0, -1, -1, FLOW_L4_TCP, 133, 33000, 443, 500, FLOW_ID_WORLD,
	    NULL, "10.1.0.2", "10.2.0.3", -1 },
	{ "trace with ip-trace-id", "-> overlay flow 0x1 , identity 500->600 "
	    "[ ip-trace-id = 18446744073709551615 ] state new ifindex "
	    "cilium_vxlan orig-ip 0.0.0.0: 10.1.0.2:33000 -> 10.2.0.3:443 tcp "
	    "SYN\n",
	    1, 0, 0, FLOW_FORWARDED, FLOW_TYPE_L3_L4, FLOW_L4_TCP, 0, 33000,
	    443, 500, 600, NULL, NULL, "10.2.0.3", -1 },
	{ "IPsec is not ICMP", "xx drop (Policy denied) flow 0x0 to endpoint "
	    "0, , identity 1->2: 10.0.0.1:0 -> 10.0.0.2:0 IPsecESP\n",
	    1, 1, 0, -1, -1, FLOW_L4_NONE, 133, -1, -1, -1, -1, NULL, NULL,
	    NULL, -1 },
	{ "L2 summary", "xx drop (Unsupported L2 protocol) flow 0x0 to "
	    "endpoint 0, ifindex 2, file bpf_host.c:1203, , identity "
	    "host->world: 0a:1b:2c:3d:4e:5f -> 01:80:c2:00:00:00 LLC\n",
	    1, 1, 0, -1, -1, FLOW_L4_NONE, 166, -1, -1, FLOW_ID_HOST,
	    FLOW_ID_WORLD, NULL, "", "", -1 },
	{ "L7 denied", "<- Request http from 0 ([k8s:app=a "
	    "k8s:io.kubernetes.pod.namespace=shop]) to 77 "
	    "([k8s:io.kubernetes.pod.namespace=shop k8s:app=b]), identity "
	    "1001->1002, verdict Denied DELETE http://b.shop/x => 403\n",
	    1, 1, 0, FLOW_DROPPED, FLOW_TYPE_L7, -1, 0, -1, -1, 1001, 1002,
	    "", NULL, NULL, -1 },
	{ "L7 response swapped", "<- Response http to 0 ([k8s:app=a]) from "
	    "77 ([k8s:app=b]), identity 1001->1002, verdict Forwarded GET "
	    "http://b/ => 200\n",
	    1, 0, 0, FLOW_FORWARDED, FLOW_TYPE_L7, -1, 0, -1, -1, 1002, 1001,
	    NULL, NULL, NULL, -1 },
	{ "L7 generic fields", "-> Request http from 5 ([k8s:app=c]) to 0 "
	    "([reserved:world]), identity 1003->2, verdict Forwarded "
	    "method:POST url:/y length:3\n",
	    1, 0, 0, FLOW_FORWARDED, FLOW_TYPE_L7, -1, 0, -1, -1, 1003, 2,
	    NULL, NULL, NULL, -1 },
	{ "L7 DNS denied", "-> Request dns from 5 ([k8s:app=c]) to 0 "
	    "([k8s:k8s-app=kube-dns]), identity 1003->1004, verdict Denied "
	    "DNS Query: evil.example. A\n",
	    1, 1, 0, FLOW_DROPPED, FLOW_TYPE_L7, -1, 0, -1, -1, 1003, 1004,
	    NULL, NULL, NULL, -1 },
	{ "L7 cut short", "<- Request http from x\n-> Request http from 1 "
	    "([a]) to 2 ([b]), identity 3->4\n",
	    0, 0, 2, -1, -1, -1, -1, -1, -1, -1, -1, NULL, NULL, NULL, -1 },
	{ "JSON access log", "{\"type\":\"logRecord\",\"observationPoint\":"
	    "\"Ingress\",\"flowType\":\"Request\",\"l7Proto\":\"http\","
	    "\"srcEpID\":0,\"srcEpLabels\":[\"k8s:io.kubernetes.pod.namespace="
	    "shop\"],\"srcIdentity\":1001,\"dstEpID\":77,\"dstEpLabels\":[],"
	    "\"dstIdentity\":1002,\"verdict\":\"Denied\",\"http\":{\"Code\":"
	    "403,\"Method\":\"PUT\",\"URL\":{\"Scheme\":\"http\",\"Host\":\"b\","
	    "\"Path\":\"/z\"}}}\n",
	    1, 1, 0, FLOW_DROPPED, FLOW_TYPE_L7, -1, 0, -1, -1, 1001, 1002,
	    NULL, NULL, NULL, -1 },
	{ "JSON access log, 2018 keys", "{\"type\":\"logRecord\","
	    "\"observationPoint\":\"Egress\",\"flowType\":\"Response\","
	    "\"l7Proto\":\"kafka\",\"srcEpID\":0,\"srcIdentity\":8,\"dstEpID\":"
	    "9,\"DstIdentity\":7,\"verdict\":\"Forwarded\",\"kafka\":{}}\n",
	    1, 0, 0, FLOW_FORWARDED, FLOW_TYPE_L7, -1, 0, -1, -1, 7, 8, NULL,
	    NULL, NULL, -1 },
	{ "JSON drop is L3/L4", "{\"cpu\":\"CPU 02:\",\"type\":\"drop\","
	    "\"reason\":\"Stale or unroutable IP\",\"source\":5,\"srcLabel\":"
	    "6,\"dstLabel\":2,\"summary\":{\"l3\":{\"src\":\"fd00::1\",\"dst\":"
	    "\"fd00::2\"}}}\n",
	    1, 1, 0, FLOW_DROPPED, FLOW_TYPE_L3_L4, -1, 151, -1, -1, 6, 2, "",
	    "fd00::1", "fd00::2", -1 },
	{ "JSON capture", "{\"cpu\":\"CPU 01:\",\"type\":\"capture\",\"mark\":"
	    "\"0x1\",\"message\":\"Delivery to ifindex 5\",\"source\":7,"
	    "\"bytes\":66,\"summary\":\"10.0.0.1:1 -> 10.0.0.2:2 tcp SYN\","
	    "\"prefix\":\"-> lxc1\"}\n" DROP_LINE,
	    1, 1, 0, -1, -1, -1, 133, -1, -1, -1, -1, NULL, NULL, NULL, -1 },
	{ "socket trace, unknown event", "CPU 02: [pre-xlate-fwd] cgroup_id: "
	    "4242 sock_cookie: 99, dst [10.96.0.10]:53 udp \n"
	    "CPU 03: Unknown event: [9 0 0 0]\n" DROP_LINE,
	    1, 1, 0, -1, -1, -1, 133, -1, -1, -1, -1, NULL, NULL, NULL, -1 },
	{ "NAT46 capture", "== v4->v6 5: 10.0.0.1:1 -> 10.0.0.2:2 udp\n"
	    "== v6->v4 5: [fd00::1]:1 -> [fd00::2]:2 udp\n",
	    0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, NULL, NULL, NULL, -1 },
	{ "recorder capture", "Recorder capture: dir:egress rule:1 ts:100 "
	    "caplen:60 len:60\nIPv4\t{Contents=[..20..] SrcIP=10.9.9.9 "
	    "DstIP=10.8.8.8 Protocol=TCP}\nTCP\t{SrcPort=1 DstPort=2 "
	    "SYN=true}\n----\nCPU 00: MARK 0x0 FROM 9 DROP: 74 bytes, reason "
	    "Policy denied, identity 300->400\nIPv4\t{SrcIP=10.3.3.3 "
	    "DstIP=10.4.4.4 Protocol=UDP}\n",
	    1, 1, 0, -1, -1, -1, 133, -1, -1, 300, 400, NULL, "10.3.3.3",
	    "10.4.4.4", -1 },
	{ "pre-1.0 monitor", "from [container 12 / endpoint 3456]\ndrop "
	    "[ifindex 12 / endpoint 3456] (Policy denied)\npre-proxy port "
	    "20480 [endpoint 3456]\npost-proxy port 4135 [endpoint 3456]\nto "
	    "host, policy-skip=0\nfrom [seclabel 1] > [container 3456]\n",
	    1, 1, 0, -1, -1, -1, 133, -1, -1, -1, -1, NULL, NULL, NULL, -1 },
	{ "layers with blanks for tabs", "CPU 01: MARK 0x1 FROM 7 "
	    "to-endpoint: 98 bytes (98 captured), state new, interface lxcab, "
	    ", identity 300->400, orig-ip 10.1.1.1, to endpoint 7\n"
	    "IPv4    {Contents=[..20..] SrcIP=10.1.1.1 DstIP=10.1.1.2 "
	    "Protocol=ICMPv4}\nICMPv4  {TypeCode=EchoRequest Id=1 Seq=1}\n",
	    1, 0, 0, FLOW_FORWARDED, -1, FLOW_L4_ICMPV4, -1, -1, -1, 300, 400,
	    NULL, "10.1.1.1", "10.1.1.2", -1 },
	{ "verbose drop, IP-TRACE-ID and a note", SEP "CPU 00: MARK 0x0 FROM "
	    "9 DROP: 74 bytes, reason Policy denied, identity 300->400, to "
	    "endpoint 9\n [ IP-TRACE-ID=55IPv4\t{SrcIP=10.3.3.3 DstIP=10.4.4.4 "
	    "Protocol=TCP}\nTCP\t{SrcPort=5 DstPort=6 SYN=true}\n  Packet has "
	    "been truncated\n" SEP,
	    1, 1, 0, FLOW_DROPPED, -1, FLOW_L4_TCP, 133, 5, 6, 300, 400, NULL,
	    "10.3.3.3", "10.4.4.4", -1 },
	{ "CI monitor.log", "[2019-02-03 04:05:06] k8s1: trace ( "
	    "10.7.0.9:41000) => (reserved:unknown 10.96.0.10:53)\n"
	    "[2019-02-03 04:05:06] k8s1: debug: Conntrack lookup 1/2: "
	    "src=10.7.0.9:41000 dst=10.96.0.10:53 on CPU 01:\n"
	    "[2019-02-03 04:05:06] k8s1: drop: Policy denied (L3) ( "
	    "10.7.0.9:41000) => (kube-system/coredns-abc 10.7.1.4:53)\n"
	    "[2019-02-03 04:05:07] k8s1: drop: Invalid source ip "
	    "(default:app2 10.7.0.5:80) => (reserved:world 1.2.3.4:9)\n",
	    2, 2, 0, FLOW_DROPPED, FLOW_TYPE_L3_L4, -1, 133, 41000, 53, -1,
	    -1, "", "10.7.0.9", "10.7.1.4", 1549166706 },
	{ "bad: CI monitor.log drop cut short", "k8s1: drop: Policy denied "
	    "( 10.7.0.9:41000)\nk8s1: drop: (a) => (b)\n",
	    0, 0, 2, -1, -1, -1, -1, -1, -1, -1, -1, NULL, NULL, NULL, -1 },
	{ "bad: unknown line not indented", "hello\n" DROP_LINE
	    "42 is not an event\n",
	    1, 1, 2, -1, -1, -1, 133, -1, -1, -1, -1, NULL, NULL, NULL, -1 },
};

START_TEST(test_mon_shapes)
{
	const struct mon_case *c = &mon_cases[_i];
	static struct recs rs;
	struct flow *f;

	read_string(c->text, &rs);
	ck_assert_msg(rs.flows == c->flows && rs.drops == c->drops &&
	    rs.errors == c->errors, "%s: %d flows, %d drops, %d errors (%s)",
	    c->name, rs.flows, rs.drops, rs.errors, rs.err);
	if (rs.n == 0)
		return;
	f = &rs.r[0].flow;
#define NUM(field, want) \
	ck_assert_msg((want) == -1 || (long long)(field) == (want), \
	    "%s: %s is %lld, not %lld", c->name, #field, \
	    (long long)(field), (long long)(want))
#define STR(got, want) \
	ck_assert_msg((want) == NULL || strcmp((got), (want)) == 0, \
	    "%s: %s is \"%s\", not \"%s\"", c->name, #got, (got), \
	    (want) ? (want) : "")
	NUM(f->verdict, c->verdict);
	NUM(f->type, c->type);
	NUM(f->l4, c->l4);
	NUM(f->drop_reason, c->reason);
	NUM(f->sport, c->sport);
	NUM(f->dport, c->dport);
	NUM(f->src.identity, c->src_identity);
	NUM(f->dst.identity, c->dst_identity);
	NUM(rs.r[0].time_ns / 1000000000LL, c->time_s);
	STR(rs.reason_text[0], c->rtext);
	STR(rs.src_ip[0], c->src_ip);
	STR(rs.dst_ip[0], c->dst_ip);
#undef NUM
#undef STR
}
END_TEST

/* A CI monitor.log drop names the node and the pods. */
START_TEST(test_mon_ci_log_names)
{
	struct flow_record rec;
	struct cilium_monitor_reader *r;
	char eb[CILKIT_ERRBUF_SIZE];
	const char *text = "k8s1: drop: Invalid source ip (default:app2 "
	    "10.7.0.5:80) => (reserved:world 1.2.3.4:9)\n";
	FILE *fp = fmemopen((void *)text, strlen(text), "r");

	ck_assert_ptr_nonnull(fp);
	r = cilium_monitor_reader_new(fp, "t", NULL, 0);
	ck_assert_int_eq(cilium_monitor_next(r, &rec, eb, sizeof(eb)), 1);
	ck_assert_str_eq(rec.node_name, "k8s1");
	ck_assert_uint_eq(rec.flow.drop_reason, 132);
	ck_assert_str_eq(rec.flow.src.namespace, "default");
	ck_assert_str_eq(rec.flow.src.pod_name, "app2");
	ck_assert_uint_eq(rec.flow.dst.identity, FLOW_ID_WORLD);
	ck_assert_ptr_null(rec.flow.dst.pod_name);
	ck_assert_uint_eq(rec.flow.dport, 9);
	ck_assert_int_eq(cilium_monitor_next(r, &rec, eb, sizeof(eb)), 0);
	cilium_monitor_reader_free(r);
	fclose(fp);
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
		"    xx drop (Policy denied) flow 0x0 to endpoint 0, ...\n",
		"Defaulted container \"cilium-agent\" out of: a, b\n"
		"xx drop (Policy denied) flow 0x0 to endpoint 0, ...\n",
		"{\"type\":\"logRecord\",\"observationPoint\":\"Ingress\"}\n",
		"2025-03-04T05:06:07Z xx drop (Policy denied) flow 0x0\n",
		"[2018-10-17 06:34:51] k8s2: trace ( 10.0.0.1:5) => (x)\n",
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
	tcase_add_test(tm, test_mon_ci_log_names);
	tcase_add_loop_test(tm, test_mon_shapes, 0,
	    sizeof(mon_cases) / sizeof(mon_cases[0]));
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
