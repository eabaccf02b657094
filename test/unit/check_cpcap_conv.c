/*
 * check_cpcap_conv.c - conversation analysis on scripted segments: each
 * table row is a little TCP exchange with the expected state, flags and
 * counts (Wireshark's tcp.analysis rules, tcp-analysis.md), including
 * the odd ones (lone RST, keep-alives, port reuse); then expiry and the
 * table cap, ICMP linking, DNS pairing and the diagnosis sentences.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cilkit.h"
#include "cpcap_conv.h"
#include "cpcap_read.h"
#include "cpcap_report.h"
#include "flow.h"
#include "report_quantile.h"

#define C	0	/* client 10.0.0.1:40000 */
#define S	1	/* server 10.0.0.2:80 */
#define F_S	FLOW_TCP_SYN
#define F_A	FLOW_TCP_ACK
#define F_SA	(FLOW_TCP_SYN | FLOW_TCP_ACK)
#define F_R	FLOW_TCP_RST
#define F_RA	(FLOW_TCP_RST | FLOW_TCP_ACK)
#define F_FA	(FLOW_TCP_FIN | FLOW_TCP_ACK)
#define F_PA	(FLOW_TCP_PSH | FLOW_TCP_ACK)
#define MS	1000000ull

struct seg {
	int		 from;		/* C or S; -1 ends the list */
	uint64_t	 t_ms;
	uint16_t	 flags;
	uint32_t	 seq, ack, len;
	uint16_t	 win;
};

struct tcase_row {
	const char	*name;
	struct seg	 segs[24];
	const char	*state;
	int		 client;	/* expected client (C/S) */
	bool		 guessed;
	int		 nconv;		/* conversations produced */
	uint32_t	 retrans, fast, spurious, dupacks, zerowin, resets,
			 ooo, lost, keepalive;
	uint32_t	 syns;
	int		 rtt_ms;	/* handshake RTT, -1 none */
};

#define END	{ -1, 0, 0, 0, 0, 0, 0 }
/* Client ISN 100, server ISN 500. */
#define HS	{ C, 0, F_S, 100, 0, 0, 64000 }, \
		{ S, 10, F_SA, 500, 101, 0, 64000 }, \
		{ C, 20, F_A, 101, 501, 0, 64000 }

static const struct tcase_row rows[] = {
	{ "handshake-close", { HS,
	  { C, 30, F_PA, 101, 501, 100, 64000 },
	  { S, 40, F_A, 501, 201, 0, 64000 },
	  { C, 50, F_FA, 201, 501, 0, 64000 },
	  { S, 60, F_FA, 501, 202, 0, 64000 },
	  { C, 70, F_A, 202, 502, 0, 64000 }, END },
	  "closed", C, false, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 20 },
	{ "syn-unanswered-x3", {
	  { C, 0, F_S, 100, 0, 0, 64000 },
	  { C, 1000, F_S, 100, 0, 0, 64000 },
	  { C, 3000, F_S, 100, 0, 0, 64000 }, END },
	  "syn-sent", C, false, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, -1 },
	{ "refused", {
	  { C, 0, F_S, 100, 0, 0, 64000 },
	  { S, 1, F_RA, 0, 101, 0, 0 }, END },
	  "refused", C, false, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, -1 },
	{ "syn-then-own-rst", {
	  { C, 0, F_S, 100, 0, 0, 64000 },
	  { C, 5, F_R, 101, 0, 0, 0 }, END },
	  "reset", C, false, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, -1 },
	{ "half-open", {
	  { C, 0, F_S, 100, 0, 0, 64000 },
	  { S, 10, F_SA, 500, 101, 0, 64000 },
	  { S, 1010, F_SA, 500, 101, 0, 64000 }, END },
	  "half-open", C, false, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, -1 },
	/* midstream: no SYN, the lower port is the guessed server */
	{ "midstream-guess", {
	  { S, 0, F_PA, 5000, 9000, 10, 64000 },
	  { C, 1, F_A, 9000, 5010, 0, 64000 }, END },
	  "open", C, true, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1 },
	{ "lone-rst", { { S, 0, F_R, 5000, 0, 0, 0 }, END },
	  "reset", C, true, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1 },
	/* data, 3 dup ACKs, fast retransmission within 20 ms */
	{ "fast-retransmit", { HS,
	  { C, 30, F_PA, 101, 501, 100, 64000 },
	  { C, 31, F_PA, 201, 501, 100, 64000 },
	  { C, 32, F_PA, 301, 501, 100, 64000 },
	  { C, 33, F_PA, 401, 501, 100, 64000 },
	  { S, 40, F_A, 501, 201, 0, 64000 },
	  { S, 41, F_A, 501, 201, 0, 64000 },
	  { S, 42, F_A, 501, 201, 0, 64000 },
	  { S, 43, F_A, 501, 201, 0, 64000 },
	  { C, 44, F_PA, 201, 501, 100, 64000 },
	  { S, 50, F_A, 501, 501, 0, 64000 }, END },
	  "established", C, false, 1, 1, 1, 0, 3, 0, 0, 0, 0, 0, 1, 20 },
	/* RTO retransmission after 1 s, then a spurious one of acked data */
	{ "rto-and-spurious", { HS,
	  { C, 30, F_PA, 101, 501, 100, 64000 },
	  { C, 1030, F_PA, 101, 501, 100, 64000 },
	  { S, 1040, F_A, 501, 201, 0, 64000 },
	  { C, 2040, F_PA, 101, 501, 100, 64000 }, END },
	  "established", C, false, 1, 2, 0, 1, 0, 0, 0, 0, 0, 0, 1, 20 },
	/* reordering: a hole filled within the 3 ms default threshold */
	{ "out-of-order-and-gap", {
	  { C, 0, F_PA, 101, 501, 100, 64000 },
	  { C, 1, F_PA, 301, 501, 100, 64000 },
	  { C, 2, F_PA, 201, 501, 100, 64000 }, END },
	  "open", C, true, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, -1 },
	{ "zero-window-and-keepalive", { HS,
	  { C, 30, F_PA, 101, 501, 100, 64000 },
	  { S, 40, F_A, 501, 201, 0, 0 },
	  { S, 50, F_A, 501, 201, 0, 64000 },
	  { C, 60000, F_A, 200, 501, 0, 64000 },
	  { S, 60001, F_A, 501, 201, 0, 64000 }, END },
	  "established", C, false, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 20 },
	/* the same tuple reused with a new ISN: a second conversation */
	{ "port-reuse", { HS,
	  { C, 30, F_RA, 101, 501, 0, 0 },
	  { C, 100, F_S, 7000, 0, 0, 64000 },
	  { S, 110, F_SA, 9000, 7001, 0, 64000 },
	  { C, 120, F_A, 7001, 9001, 0, 64000 }, END },
	  "established", C, false, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 20 },
};

struct collect {
	struct cpcap_conv last;
	struct cpcap_conv_more last_more;	/* last's details */
	int n;
	uint64_t ids[64];
};

static void
collect(const struct cpcap_conv *c, void *arg)
{
	struct collect *col = arg;

	if (col->n < 64)
		col->ids[col->n] = c->id;
	col->n++;
	cpcap_conv_copy(&col->last, &col->last_more, c);
}

static void
mkseg(struct cpcap_pkt *p, const struct seg *s)
{
	static const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };

	memset(p, 0, sizeof(*p));
	p->l3 = CPCAP_L3_IPV4;
	p->t.af = 4;
	p->t.proto = 6;
	memcpy(p->t.src, s->from == C ? a : b, 4);
	memcpy(p->t.dst, s->from == C ? b : a, 4);
	p->t.sport = s->from == C ? 40000 : 80;
	p->t.dport = s->from == C ? 80 : 40000;
	p->t.has_ports = true;
	p->l4_ok = true;
	p->seq = s->seq;
	p->ack = s->ack;
	p->tcp_flags = s->flags;
	p->seglen = s->len;
	p->window = s->win;
	p->l4_len = 20 + s->len;
}

START_TEST(test_tcp_rows)
{
	const struct tcase_row *r = &rows[_i];
	struct collect col;
	struct cpcap_analyzer *a;
	struct cpcap_pkt p;
	const struct cpcap_conv *c = &col.last;
	const struct seg *s;

	memset(&col, 0, sizeof(col));
	a = cpcap_analyzer_new(NULL, collect, &col);
	ck_assert_ptr_nonnull(a);
	for (s = r->segs; s->from >= 0; s++) {
		mkseg(&p, s);
		ck_assert_int_eq(cpcap_analyzer_add(a,
		    1700000000000000000ull + s->t_ms * MS, 54 + s->len, &p),
		    0);
	}
	cpcap_analyzer_finish(a);
	ck_assert_int_eq(col.n, r->nconv);
	ck_assert_msg(strcmp(cpcap_state_name(c->state), r->state) == 0,
	    "%s: state %s, want %s", r->name, cpcap_state_name(c->state),
	    r->state);
	/* endpoint 0 is 10.0.0.1:40000 (the lower address) */
	ck_assert_int_eq(c->client, r->client);
	ck_assert_int_eq(c->client_guessed, r->guessed);
	ck_assert_uint_eq(CPCAP_BOTH(c, retransmissions), r->retrans);
	ck_assert_uint_eq(CPCAP_BOTH(c, fast_retransmissions), r->fast);
	ck_assert_uint_eq(CPCAP_BOTH(c, spurious_retransmissions),
	    r->spurious);
	ck_assert_uint_eq(CPCAP_BOTH(c, dup_acks), r->dupacks);
	ck_assert_uint_eq(CPCAP_BOTH(c, zero_windows), r->zerowin);
	ck_assert_uint_eq(CPCAP_BOTH(c, resets), r->resets);
	ck_assert_uint_eq(CPCAP_BOTH(c, out_of_order), r->ooo);
	ck_assert_uint_eq(CPCAP_BOTH(c, lost_segments), r->lost);
	ck_assert_uint_eq(CPCAP_BOTH(c, keep_alives), r->keepalive);
	ck_assert_uint_eq(c->syn_count, r->syns);
	if (r->rtt_ms < 0)
		ck_assert_int_lt(c->handshake_rtt_ns, 0);
	else
		ck_assert_int_eq(c->handshake_rtt_ns, (int64_t)r->rtt_ms *
		    (int64_t)MS);
	cpcap_analyzer_free(a);
}
END_TEST

/* Idle conversations are finished while reading; the table is capped. */
START_TEST(test_expiry_and_cap)
{
	struct cpcap_conv_config cfg = { 0 };
	struct collect col;
	struct cpcap_analyzer *a;
	struct cpcap_pkt p;
	struct seg s = { C, 0, F_S, 100, 0, 0, 64000 };
	uint64_t t0 = 1700000000000000000ull;
	int i;

	memset(&col, 0, sizeof(col));
	cfg.tcp_idle_ns = 10 * 1000 * MS;	/* 10 s */
	cfg.max_live = 8;
	a = cpcap_analyzer_new(&cfg, collect, &col);
	ck_assert_ptr_nonnull(a);
	/* 20 connection attempts 1 s apart from different ports */
	for (i = 0; i < 20; i++) {
		mkseg(&p, &s);
		p.t.sport = (uint16_t)(40000 + i);
		cpcap_analyzer_add(a, t0 + (uint64_t)i * 1000 * MS, 60, &p);
		cpcap_analyzer_flush(a);
		ck_assert_uint_le(cpcap_analyzer_live(a), 8);
	}
	ck_assert_uint_eq(cpcap_analyzer_stats(a)->evicted, 12);
	ck_assert_int_eq(col.n, 12);
	/* the oldest went first */
	ck_assert_uint_eq(col.ids[0], 0);
	/* 11 s of silence later: all idle ones expire on the next packet */
	mkseg(&p, &s);
	p.t.sport = 50000;
	cpcap_analyzer_add(a, t0 + 31000 * MS, 60, &p);
	cpcap_analyzer_flush(a);
	ck_assert_uint_eq(cpcap_analyzer_live(a), 1);
	ck_assert_uint_eq(cpcap_analyzer_stats(a)->expired, 8);
	cpcap_analyzer_finish(a);
	ck_assert_int_eq(col.n, 21);
	ck_assert_uint_eq(cpcap_analyzer_stats(a)->conversations, 21);
	cpcap_analyzer_free(a);
}
END_TEST

/* ICMP unreachable links to the UDP conversation it quotes; DNS pairs. */
START_TEST(test_icmp_and_dns)
{
	struct collect col;
	struct cpcap_analyzer *a;
	struct cpcap_pkt p;
	static const uint8_t cli[4] = { 10, 0, 0, 1 }, dns[4] = { 10, 0, 0, 53 };
	static const uint8_t q[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0,
	    0, 0, 3, 'f', 'o', 'o', 0, 0, 1, 0, 1 };
	static const uint8_t r[] = { 0x12, 0x34, 0x81, 0x83, 0, 1, 0, 0, 0, 0,
	    0, 0, 3, 'f', 'o', 'o', 0, 0, 1, 0, 1 };
	uint64_t t0 = 1700000000000000000ull;
	char text[512];

	memset(&col, 0, sizeof(col));
	a = cpcap_analyzer_new(NULL, collect, &col);
	memset(&p, 0, sizeof(p));
	p.t.af = 4;
	p.t.proto = 17;
	memcpy(p.t.src, cli, 4);
	memcpy(p.t.dst, dns, 4);
	p.t.sport = 33333;
	p.t.dport = 53;
	p.t.has_ports = true;
	p.l4_ok = true;
	p.payload = q;
	p.payload_caplen = sizeof(q);
	p.seglen = sizeof(q);
	cpcap_analyzer_add(a, t0, 63, &p);
	memcpy(p.t.src, dns, 4);
	memcpy(p.t.dst, cli, 4);
	p.t.sport = 53;
	p.t.dport = 33333;
	p.payload = r;
	cpcap_analyzer_add(a, t0 + 7 * MS, 63, &p);
	/* a port unreachable from the server quoting the query */
	memset(&p, 0, sizeof(p));
	p.t.af = 4;
	p.t.proto = 1;
	memcpy(p.t.src, dns, 4);
	memcpy(p.t.dst, cli, 4);
	p.l4_ok = true;
	p.icmp_type = 3;
	p.icmp_code = 3;
	p.icmp_error = true;
	p.quote.af = 4;
	p.quote.proto = 17;
	memcpy(p.quote.src, cli, 4);
	memcpy(p.quote.dst, dns, 4);
	p.quote.sport = 33333;
	p.quote.dport = 53;
	p.quote.has_ports = true;
	cpcap_analyzer_add(a, t0 + 9 * MS, 70, &p);
	cpcap_analyzer_flush(a);
	ck_assert_uint_eq(cpcap_analyzer_stats(a)->icmp_errors_linked, 1);
	ck_assert_uint_eq(report_quantile_count(
	    cpcap_analyzer_dns_latency(a)), 1);
	ck_assert(report_quantile_max(cpcap_analyzer_dns_latency(a)) > 6.9);
	cpcap_analyzer_finish(a);
	ck_assert_int_eq(col.n, 2);	/* the UDP one and the ICMP one */
	ck_assert_uint_eq(col.ids[0], 0);
	/* collect keeps the last one finished: the ICMP conversation */
	ck_assert_uint_eq(col.last.proto, 1);
	/* Its error went to the UDP one: it has no details of its own. */
	ck_assert_ptr_null(col.last.more);
	ck_assert_uint_eq(cpcap_conv_more(&col.last)->icmp_errors, 0);
	cpcap_analyzer_free(a);

	/* and the UDP conversation's diagnosis mentions both */
	memset(&col, 0, sizeof(col));
	a = cpcap_analyzer_new(NULL, collect, &col);
	memset(&p, 0, sizeof(p));
	p.t.af = 4;
	p.t.proto = 17;
	memcpy(p.t.src, cli, 4);
	memcpy(p.t.dst, dns, 4);
	p.t.sport = 33333;
	p.t.dport = 53;
	p.l4_ok = true;
	p.payload = q;
	p.payload_caplen = sizeof(q);
	cpcap_analyzer_add(a, t0, 63, &p);
	memcpy(p.t.src, dns, 4);
	memcpy(p.t.dst, cli, 4);
	p.t.sport = 53;
	p.t.dport = 33333;
	p.payload = r;
	cpcap_analyzer_add(a, t0 + 7 * MS, 63, &p);
	cpcap_analyzer_finish(a);
	ck_assert_ptr_eq(col.last.more, &col.last_more);
	ck_assert_uint_eq(cpcap_conv_more(&col.last)->dns_errors, 1);
	ck_assert_int_gt(cpcap_report_diagnose(&col.last, text,
	    sizeof(text)), 0);
	ck_assert_ptr_nonnull(strstr(text, "DNS NXDOMAIN for foo"));
	cpcap_analyzer_free(a);
}
END_TEST

/*
 * The text report keeps its top conversations as copies, each with its
 * own ICMP and DNS details: they outlive the conversation they were
 * copied from and stay with their own through the sort by bytes.
 */
START_TEST(test_top_keeps_details)
{
	static const struct {
		uint8_t host;
		uint64_t bytes;
		uint32_t errors;
		uint8_t pending;
	} in[] = { { 1, 100, 1, 0 }, { 2, 300, 0, 0 }, { 3, 200, 0, 2 } };
	static const char *const want[] = { "dns errors 1", "",
	    "dns unanswered 2" };
	struct cpcap_conv c;
	struct cpcap_conv_more m;
	struct cpcap_analyzer *a;
	struct cpcap_report *rep;
	struct cpcap_report_input ri;
	char *text = NULL, eb[256], ep[32], *table, *row, *end;
	const char *prev = NULL;
	size_t len = 0, i;
	FILE *out;
	int k;

	out = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(out);
	rep = cpcap_report_new(out, CPCAP_REPORT_TEXT, 10, false);
	a = cpcap_analyzer_new(NULL, NULL, NULL);
	ck_assert(rep != NULL && a != NULL);
	for (i = 0; i < 3; i++) {
		memset(&c, 0, sizeof(c));
		memset(&m, 0, sizeof(m));
		c.id = i;
		c.af = 4;
		c.proto = 17;
		c.addr[0][0] = 10;
		c.addr[0][3] = in[i].host;
		c.addr[1][0] = 10;
		c.addr[1][3] = 53;
		c.port[0] = 40000;
		c.port[1] = 53;
		c.rst_from = -1;
		c.handshake_rtt_ns = -1;
		c.d[0].packets = 1;
		c.d[0].bytes = in[i].bytes;
		m.dns_queries = 1;
		m.dns_errors = in[i].errors;
		m.dns_npending = in[i].pending;
		c.more = in[i].errors > 0 || in[i].pending > 0 ? &m : NULL;
		cpcap_report_conv(&c, rep);
		/* The analyzer reuses the memory once done returns. */
		memset(&m, 0xa5, sizeof(m));
	}
	memset(&ri, 0, sizeof(ri));
	ri.name = "test";
	ri.format = "pcap";
	ri.dlt = 1;
	ck_assert_int_eq(cpcap_report_end(rep, a, &ri, eb, sizeof(eb)), 0);
	ck_assert_int_eq(fclose(out), 0);
	table = strstr(text, "CONVERSATIONS");
	ck_assert_ptr_nonnull(table);
	/* By bytes: 10.0.0.2, then .3, then .1, each with its details. */
	for (k = 0; k < 3; k++) {
		i = (size_t)(k == 0 ? 1 : k == 1 ? 2 : 0);
		snprintf(ep, sizeof(ep), "10.0.0.%u:40000", in[i].host);
		row = strstr(table, ep);
		ck_assert_msg(row != NULL, "%s missing: %s", ep, table);
		ck_assert_msg(prev == NULL || row > prev, "%s out of order", ep);
		prev = row;
		end = strchr(row, '\n');
		ck_assert_ptr_nonnull(end);
		*end = '\0';
		ck_assert_msg(want[i][0] != '\0' ? strstr(row, want[i]) != NULL :
		    strstr(row, "dns") == NULL, "%s: row \"%s\"", ep, row);
		ck_assert_msg(strstr(row, "icmp") == NULL, "row \"%s\"", row);
		*end = '\n';
	}
	cpcap_report_free(rep);
	cpcap_analyzer_free(a);
	free(text);
}
END_TEST

/* Diagnosis sentences for the failure states. */
START_TEST(test_diagnose)
{
	struct cpcap_conv c;
	char text[512];

	memset(&c, 0, sizeof(c));
	c.af = 4;
	c.proto = 6;
	c.addr[0][0] = 10; c.addr[0][3] = 5;
	c.addr[1][0] = 10; c.addr[1][3] = 100;
	c.port[0] = 43122;
	c.port[1] = 8080;
	c.client = 0;
	c.rst_from = -1;
	c.handshake_rtt_ns = -1;
	c.state = CPCAP_ST_SYN_SENT;
	c.syn_count = 3;
	ck_assert_int_ge(cpcap_report_diagnose(&c, text, sizeof(text)), 80);
	ck_assert_str_eq(text, "tcp 10.0.0.5:43122 -> 10.0.0.100:8080: SYN "
	    "sent 3 times, no SYN-ACK: no response (likely dropped by policy "
	    "or firewall)");
	c.state = CPCAP_ST_REFUSED;
	c.syn_count = 1;
	cpcap_report_diagnose(&c, text, sizeof(text));
	ck_assert_ptr_nonnull(strstr(text, "RST from server: connection "
	    "refused"));
	/* a SYN resent before the handshake: once, after Linux's 1 s */
	c.state = CPCAP_ST_CLOSED;
	c.syn_count = 2;
	c.first_syn_ns = 1700000000000000000ull;
	c.syn_ns = c.first_syn_ns + 1000000000;
	cpcap_report_diagnose(&c, text, sizeof(text));
	ck_assert_ptr_nonnull(strstr(text, "SYN retransmitted once "
	    "(handshake delayed by 1.0 s)"));
	/* a copy taken for a resend, 12 us later: in ms, not "0.0 s" */
	c.syn_ns = c.first_syn_ns + 12000;
	cpcap_report_diagnose(&c, text, sizeof(text));
	ck_assert_ptr_nonnull(strstr(text, "SYN retransmitted once "
	    "(handshake delayed by 0.012 ms)"));
	c.syn_count = 1;
	/* a healthy one says nothing */
	ck_assert_int_eq(cpcap_report_diagnose(&c, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "");
	/* retransmission share and zero window time */
	c.d[0].data_segments = 100;
	c.d[0].retransmissions = 12;
	c.d[1].zero_windows = 2;
	c.d[1].first_zero_window_ns = 1700000403200000000ull; /* 22:20:03.2 */
	cpcap_report_diagnose(&c, text, sizeof(text));
	ck_assert_ptr_nonnull(strstr(text, "12% of segments retransmitted"));
	ck_assert_ptr_nonnull(strstr(text, "zero window from server at "
	    "22:20:03.2"));
	/* a tiny buffer is never overrun */
	ck_assert_int_gt(cpcap_report_diagnose(&c, text, 8), 0);
	ck_assert_uint_le(strlen(text), 7);
}
END_TEST

/*
 * At the end, live conversations are finished in creation order,
 * whether their ids are dense (placed by id) or sparse (sorted).
 */
START_TEST(test_finish_order)
{
	struct cpcap_conv_config cfg = { 0 };
	struct collect col;
	struct cpcap_analyzer *a;
	struct cpcap_pkt p;
	struct seg s = { C, 0, F_S, 100, 0, 0, 64000 };
	uint64_t t0 = 1700000000000000000ull;
	int i, j, round;

	for (round = 0; round < 2; round++) {
		memset(&col, 0, sizeof(col));
		cfg.tcp_idle_ns = 10 * 1000 * MS;
		a = cpcap_analyzer_new(&cfg, collect, &col);
		ck_assert_ptr_nonnull(a);
		/* 60 connections, ports in reverse so that the hash and
		   activity orders differ from the creation order */
		for (i = 0; i < 60; i++) {
			mkseg(&p, &s);
			p.t.sport = (uint16_t)(40100 - i);
			cpcap_analyzer_add(a, t0 + (uint64_t)i * MS, 60, &p);
		}
		/* round 1: only every 7th stays active, the rest expire */
		for (j = 1; round == 1 && j <= 3; j++)
			for (i = 0; i < 60; i += 7) {
				mkseg(&p, &s);
				p.t.sport = (uint16_t)(40100 - i);
				p.seq = 100;
				cpcap_analyzer_add(a, t0 + (uint64_t)j * 6000 *
				    MS + (uint64_t)i, 60, &p);
			}
		cpcap_analyzer_flush(a);
		j = col.n;
		ck_assert_int_eq(j, round == 0 ? 0 : 60 - 9);
		cpcap_analyzer_finish(a);
		ck_assert_int_eq(col.n, 60);
		for (i = j + 1; i < col.n; i++)
			ck_assert_uint_lt(col.ids[i - 1], col.ids[i]);
		cpcap_analyzer_free(a);
	}
}
END_TEST

/*
 * A new analyzer into col that has seen the handshake of HS (client ISN
 * 100, server ISN 500) at t0, t0 + 1 ms and t0 + 2 ms.
 */
static struct cpcap_analyzer *
after_handshake(struct collect *col, uint64_t t0)
{
	static const struct seg hs[] = { HS };
	struct cpcap_analyzer *a;
	struct cpcap_pkt p;
	size_t i;

	memset(col, 0, sizeof(*col));
	a = cpcap_analyzer_new(NULL, collect, col);
	ck_assert_ptr_nonnull(a);
	for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		mkseg(&p, &hs[i]);
		cpcap_analyzer_add(a, t0 + i * MS, 60, &p);
	}
	return a;
}

/*
 * One packet captured on two interfaces is analysed once; a resend is
 * a retransmission.  Rows: the copy's interface, IPv4 id and delay.
 */
struct dup_row {
	const char *name;
	uint32_t if1, if2;	/* interface of the first and second frame */
	uint16_t id1, id2;	/* their IPv4 ids */
	uint64_t gap_us;
	unsigned dups, retrans;
};

static const struct dup_row dup_rows[] = {
	{ "other interface", 3, 5, 100, 100, 5, 1, 0 },
	{ "other interface, no id", 3, 5, 0, 0, 5, 1, 0 },
	{ "same interface", 3, 3, 100, 100, 5, 0, 1 },
	{ "interface unknown, same id", 0, 0, 100, 100, 5, 1, 0 },
	{ "interface unknown, new id (a resend)", 0, 0, 100, 101, 5, 0, 1 },
	{ "interface unknown, no id", 0, 0, 0, 0, 5, 0, 1 },
	{ "other interface, 20 ms later", 3, 5, 100, 100, 20000, 0, 1 },
};

START_TEST(test_duplicates)
{
	const struct dup_row *r = &dup_rows[_i];
	struct seg data = { C, 3, F_A, 101, 501, 100, 64000 };
	struct collect col;
	struct cpcap_analyzer *a;
	struct cpcap_pkt p;
	uint64_t t0 = 1700000000000000000ull;

	a = after_handshake(&col, t0);
	mkseg(&p, &data);
	p.ifindex = r->if1;
	p.ip_id = r->id1;
	cpcap_analyzer_add(a, t0 + 3 * MS, 160, &p);
	mkseg(&p, &data);
	p.ifindex = r->if2;
	p.ip_id = r->id2;
	cpcap_analyzer_add(a, t0 + 3 * MS + r->gap_us * 1000, 160, &p);
	cpcap_analyzer_finish(a);
	ck_assert_int_eq(col.n, 1);
	ck_assert_msg(CPCAP_BOTH(&col.last, duplicates) == r->dups &&
	    CPCAP_BOTH(&col.last, retransmissions) == r->retrans,
	    "%s: %u duplicates, %u retransmissions", r->name,
	    CPCAP_BOTH(&col.last, duplicates),
	    CPCAP_BOTH(&col.last, retransmissions));
	/* every frame counts, as in tshark's conversation table */
	ck_assert_uint_eq(CPCAP_BOTH(&col.last, packets), 5);
	ck_assert_uint_eq(cpcap_analyzer_stats(a)->duplicates, r->dups);
	cpcap_analyzer_free(a);
}
END_TEST

/*
 * Duplicate ACKs sent within one millisecond over IPv6 (no IP id, the
 * same TCP timestamp) differ only in their SACK blocks, or not at all
 * (Linux resends within a millisecond too).  Seen on a real capture of
 * Linux TCP with losses: tshark counted 3 duplicate ACKs, we 1.  A copy
 * is told by its capture point only: rows give the last frame's Linux
 * cooked packet type and interface, or its pcapng interface and
 * direction, and its options' fingerprint (the third's is 0x2222).
 */
struct ms_row {
	const char *name;
	uint16_t pkttype;	/* of every frame; 0xffff: not Linux cooked */
	uint16_t last_pkttype;
	uint32_t ifindex, last_ifindex;
	uint32_t last_fp;
	unsigned dupacks, dups;
	uint32_t capif, last_capif;	/* pcapng interface, 0 none */
	uint8_t capdir, last_capdir;	/* pcapng direction */
};

static const struct ms_row ms_rows[] = {
	{ "ethernet, other SACK", 0xffff, 0xffff, 0, 0, 0x3333, 3, 0,
	    0, 0, 0, 0 },
	{ "ethernet, same options", 0xffff, 0xffff, 0, 0, 0x2222, 3, 0,
	    0, 0, 0, 0 },
	{ "sll, same direction", 0, 0, 0, 0, 0x2222, 3, 0, 0, 0, 0, 0 },
	{ "sll, seen going out", 0, 4, 0, 0, 0x2222, 2, 1, 0, 0, 0, 0 },
	{ "sll, going out, other SACK", 0, 4, 0, 0, 0x3333, 3, 0, 0, 0, 0, 0 },
	{ "sll2, other interface", 0, 0, 3, 5, 0x2222, 2, 1, 0, 0, 0, 0 },
	{ "sll2, same interface", 0, 0, 3, 3, 0x2222, 3, 0, 0, 0, 0, 0 },
	{ "pcapng, other interface", 0xffff, 0xffff, 0, 0, 0x2222, 2, 1,
	    1, 2, 0, 0 },
	{ "pcapng, same interface", 0xffff, 0xffff, 0, 0, 0x2222, 3, 0,
	    2, 2, 0, 0 },
	{ "pcapng, seen going out", 0xffff, 0xffff, 0, 0, 0x2222, 2, 1,
	    0, 0, CPCAP_DIR_IN, CPCAP_DIR_OUT },
	{ "pcapng, same direction", 0xffff, 0xffff, 0, 0, 0x2222, 3, 0,
	    0, 0, CPCAP_DIR_IN, CPCAP_DIR_IN },
	{ "pcapng, other interface, other SACK", 0xffff, 0xffff, 0, 0,
	    0x3333, 3, 0, 1, 2, 0, 0 },
};

START_TEST(test_same_ms_dupacks)
{
	const struct ms_row *r = &ms_rows[_i];
	struct seg data = { C, 3, F_A, 101, 501, 100, 64000 };
	struct seg sack = { S, 4, F_A, 501, 201, 0, 64000 };
	struct collect col;
	struct cpcap_analyzer *a;
	struct cpcap_pkt p;
	uint64_t t0 = 1700000000000000000ull;
	unsigned i;

	a = after_handshake(&col, t0);
	mkseg(&p, &data);
	cpcap_analyzer_add(a, t0 + 3 * MS, 160, &p);
	/* an ACK, two duplicates with SACK blocks, the last row's frame */
	for (i = 0; i < 4; i++) {
		static const uint32_t fps[3] = { 0x0abc, 0x1111, 0x2222 };

		mkseg(&p, &sack);
		p.tcp_opts = CPCAP_TCPOPT_TS | (i > 0 ? CPCAP_TCPOPT_SACK : 0);
		p.tsval = 77;
		p.opts_fp = i < 3 ? fps[i] : r->last_fp;
		p.sll_pkttype = i < 3 ? r->pkttype : r->last_pkttype;
		p.ifindex = i < 3 ? r->ifindex : r->last_ifindex;
		p.capif = i < 3 ? r->capif : r->last_capif;
		p.capdir = i < 3 ? r->capdir : r->last_capdir;
		cpcap_analyzer_add(a, t0 + 4 * MS + i * 10000, 80, &p);
	}
	cpcap_analyzer_finish(a);
	ck_assert_int_eq(col.n, 1);
	ck_assert_msg(CPCAP_BOTH(&col.last, dup_acks) == r->dupacks &&
	    CPCAP_BOTH(&col.last, duplicates) == r->dups,
	    "%s: %u dup ACKs, %u duplicates", r->name,
	    CPCAP_BOTH(&col.last, dup_acks),
	    CPCAP_BOTH(&col.last, duplicates));
	ck_assert_uint_eq(CPCAP_BOTH(&col.last, packets), 8);
	cpcap_analyzer_free(a);
}
END_TEST

/*
 * Fragments cut by the snapshot length are not reassembled (tshark
 * cannot either): the first one is analysed as it is, the others only
 * counted, and no datagram is left incomplete.
 */
START_TEST(test_cut_fragments)
{
	struct seg first = { C, 0, F_PA, 101, 501, 1000, 64000 };
	struct collect col;
	struct cpcap_analyzer *a;
	struct cpcap_pkt p;
	uint64_t t0 = 1700000000000000000ull;

	memset(&col, 0, sizeof(col));
	a = cpcap_analyzer_new(NULL, collect, &col);
	ck_assert_ptr_nonnull(a);
	mkseg(&p, &first);
	p.frag = p.frag_first = p.frag_more = p.frag_cut = true;
	p.frag_id = 7;
	p.frag_len = 1480;
	cpcap_analyzer_add(a, t0, 1514, &p);
	memset(&p, 0, sizeof(p));
	p.l3 = CPCAP_L3_IPV4;
	p.t.af = 4;
	p.t.proto = 6;
	p.t.src[0] = 10;
	p.t.src[3] = 1;
	p.t.dst[0] = 10;
	p.t.dst[3] = 2;
	p.frag = p.frag_cut = true;
	p.frag_id = 7;
	p.frag_off = 1480;
	p.frag_len = 20;
	cpcap_analyzer_add(a, t0 + MS, 54, &p);
	cpcap_analyzer_finish(a);
	ck_assert_int_eq(col.n, 1);
	ck_assert_uint_eq(CPCAP_BOTH(&col.last, packets), 1);
	ck_assert_uint_eq(CPCAP_BOTH(&col.last, bytes), 1514);
	ck_assert_uint_eq(CPCAP_BOTH(&col.last, fragmented), 0);
	ck_assert_uint_eq(cpcap_analyzer_stats(a)->fragments, 2);
	ck_assert_uint_eq(cpcap_analyzer_stats(a)->fragments_cut, 2);
	ck_assert_uint_eq(cpcap_analyzer_frag_stats(a)->incomplete, 0);
	cpcap_analyzer_free(a);
}
END_TEST

/*
 * DNS over TCP: each direction is a byte stream of messages after a
 * 2-byte length, cut into segments anywhere.  Client stream: query
 * 0x1111 then query 0x2222 (21 bytes each).  Server stream: a 3000-byte
 * NXDOMAIN answer to 0x1111 (header and question, then zeros) and a
 * NOERROR answer to 0x2222.  A row lists the segments as (direction,
 * offset in that stream, length); the handshake comes first unless the
 * row is mid-stream.
 */
#define DQ	23		/* a query with its length */
#define DR1	3002		/* the long answer with its length */
#define DR2	23

struct dnsrow {
	const char	*name;
	bool		 midstream;
	struct { int from; uint32_t off, len; } seg[12];
	uint32_t	 queries, responses, errors, pending;
};

static const struct dnsrow dnsrows[] = {
	{ "one-segment-each", false, { { C, 0, DQ }, { S, 0, 1448 },
	  { S, 1448, 1448 }, { S, 2896, DR1 - 2896 }, { -1, 0, 0 } },
	  1, 1, 1, 0 },
	{ "two-queries-one-segment", false, { { C, 0, 2 * DQ },
	  { S, 0, 1448 }, { S, 1448, DR1 - 1448 + DR2 }, { -1, 0, 0 } },
	  2, 2, 1, 0 },
	{ "length-alone", false, { { C, 0, 2 }, { C, 2, DQ - 2 },
	  { C, DQ, 2 }, { C, DQ + 2, DQ - 2 }, { S, 0, 2 },
	  { S, 2, DR1 - 2 }, { S, DR1, DR2 }, { -1, 0, 0 } }, 2, 2, 1, 0 },
	{ "resent", false, { { C, 0, DQ }, { C, 0, DQ }, { S, 0, 1448 },
	  { S, 0, 1448 }, { S, 1448, DR1 - 1448 }, { S, 1448, DR1 - 1448 },
	  { -1, 0, 0 } }, 1, 1, 1, 0 },
	/* joined in the middle of the long answer: the next one counts */
	{ "midstream", true, { { S, 1448, DR1 - 1448 }, { S, DR1, DR2 },
	  { -1, 0, 0 } }, 0, 1, 0, 0 },
	/* a segment of the long answer lost: found again at the next */
	{ "lost-segment", false, { { C, 0, 2 * DQ }, { S, 0, 1448 },
	  { S, 2896, DR1 - 2896 }, { S, DR1, DR2 }, { -1, 0, 0 } },
	  2, 2, 1, 0 },
	/* the second answer starts 2900 bytes into a segment (TSO/GRO) */
	{ "answer-start-deep-in-segment", false, { { C, 0, 2 * DQ },
	  { S, 0, 100 }, { S, 100, DR1 - 100 + DR2 }, { -1, 0, 0 } },
	  2, 2, 1, 0 },
	/* an answer that never comes */
	{ "unanswered", false, { { C, 0, 2 * DQ }, { S, 0, DR1 },
	  { -1, 0, 0 } }, 2, 1, 1, 1 },
};

static size_t
dns_msg(uint8_t *b, uint16_t id, uint16_t flags, size_t len)
{
	static const uint8_t qd[] = { 0, 1, 0, 0, 0, 0, 0, 0, 3, 'f', 'o',
	    'o', 0, 0, 1, 0, 1 };

	memset(b, 0, len + 2);
	b[0] = (uint8_t)(len >> 8);
	b[1] = (uint8_t)len;
	b[2] = (uint8_t)(id >> 8);
	b[3] = (uint8_t)id;
	b[4] = (uint8_t)(flags >> 8);
	b[5] = (uint8_t)flags;
	memcpy(b + 6, qd, sizeof(qd));
	return len + 2;
}

/* Run row r, with only cut_len bytes captured of segment cut_seg. */
static void
dns_tcp_row(const struct dnsrow *r, int cut_seg, uint32_t cut_len)
{
	static uint8_t cs[2 * DQ], ss[DR1 + DR2];
	const struct cpcap_conv_more *more;
	struct collect col;
	struct cpcap_analyzer *a;
	struct cpcap_pkt p;
	struct seg sg;
	uint64_t t = 1700000000000000000ull;
	int i;

	dns_msg(cs, 0x1111, 0x0100, DQ - 2);
	dns_msg(cs + DQ, 0x2222, 0x0100, DQ - 2);
	dns_msg(ss, 0x1111, 0x8183, DR1 - 2);
	dns_msg(ss + DR1, 0x2222, 0x8180, DR2 - 2);
	memset(&col, 0, sizeof(col));
	a = cpcap_analyzer_new(NULL, collect, &col);
	ck_assert_ptr_nonnull(a);
	if (!r->midstream) {
		static const struct seg hs[] = { HS };

		for (i = 0; i < 3; i++) {
			mkseg(&p, &hs[i]);
			p.t.sport = hs[i].from == C ? 40000 : 53;
			p.t.dport = hs[i].from == C ? 53 : 40000;
			cpcap_analyzer_add(a, t, 54, &p);
		}
	}
	for (i = 0; r->seg[i].from >= 0; i++) {
		int from = r->seg[i].from;

		/* client ISN 100, server ISN 500, as in HS */
		sg.from = from;
		sg.t_ms = 0;
		sg.flags = F_PA;
		sg.seq = (from == C ? 101 : 501) + r->seg[i].off;
		sg.ack = from == C ? 501 : 101 + 2 * DQ;
		sg.len = r->seg[i].len;
		sg.win = 64000;
		mkseg(&p, &sg);
		p.t.sport = from == C ? 40000 : 53;
		p.t.dport = from == C ? 53 : 40000;
		p.payload = (from == C ? cs : ss) + r->seg[i].off;
		p.payload_caplen = i == cut_seg ? cut_len : r->seg[i].len;
		t += MS;
		cpcap_analyzer_add(a, t, 54 + r->seg[i].len, &p);
	}
	cpcap_analyzer_finish(a);
	ck_assert_int_eq(col.n, 1);
	more = cpcap_conv_more(&col.last);
	ck_assert_msg(more->dns_queries == r->queries &&
	    more->dns_responses == r->responses &&
	    more->dns_errors == r->errors &&
	    more->dns_npending == r->pending,
	    "%s: queries %u responses %u errors %u pending %u", r->name,
	    more->dns_queries, more->dns_responses,
	    more->dns_errors, more->dns_npending);
	cpcap_analyzer_free(a);
}

START_TEST(test_dns_tcp)
{
	dns_tcp_row(&dnsrows[_i], -1, 0);
}
END_TEST

/*
 * The second answer starts 2900 bytes into a segment of which only 1400
 * were captured (snaplen): missed, and counted as unanswered.
 */
START_TEST(test_dns_tcp_cut)
{
	static const struct dnsrow r = { "answer-start-not-captured", false,
	    { { C, 0, 2 * DQ }, { S, 0, 100 }, { S, 100, DR1 - 100 + DR2 },
	    { -1, 0, 0 } }, 2, 1, 1, 1 };

	dns_tcp_row(&r, 2, 1400);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("cpcap_conv");
	TCase *tc = tcase_create("conv");

	tcase_add_loop_test(tc, test_tcp_rows, 0,
	    sizeof(rows) / sizeof(rows[0]));
	tcase_add_test(tc, test_expiry_and_cap);
	tcase_add_test(tc, test_finish_order);
	tcase_add_loop_test(tc, test_duplicates, 0,
	    sizeof(dup_rows) / sizeof(dup_rows[0]));
	tcase_add_test(tc, test_cut_fragments);
	tcase_add_loop_test(tc, test_same_ms_dupacks, 0,
	    sizeof(ms_rows) / sizeof(ms_rows[0]));
	tcase_add_test(tc, test_icmp_and_dns);
	tcase_add_test(tc, test_dns_tcp_cut);
	tcase_add_loop_test(tc, test_dns_tcp, 0,
	    (int)(sizeof(dnsrows) / sizeof(dnsrows[0])));
	tcase_add_test(tc, test_diagnose);
	tcase_add_test(tc, test_top_keeps_details);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
