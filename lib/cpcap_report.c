/*
 * cpcap_report.c - text, JSON and CSV reports of the packet analysis
 * (cpcap_report.h; JSON schema in flow-analyzer-json(5)).
 *
 * The diagnosis says what a person would look for in Wireshark, in the
 * words of tcp-analysis.md section 4 ("connection timeout") and 5
 * ("high latency").
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "cpcap_report.h"
#include "report.h"
#include "report_quantile.h"
#include "report_ahead.h"
#include "report_wbuf.h"
#include "flow_write.h"

#define DEFAULT_TOP	20

struct diag {
	int		 sev;
	uint64_t	 ts;
	char		*text;
};

/* A conversation kept for the text report, with its own details. */
struct top_conv {
	struct cpcap_conv c;
	struct cpcap_conv_more more;
};

struct cpcap_report {
	FILE		*out;
	enum cpcap_report_format fmt;
	size_t		 top_n;
	bool		 color;
	bool		 started;	/* JSON array / CSV header written */
	uint64_t	 nconv;		/* conversations written/seen */
	int		 werr;		/* first write error (errno) */
	/* text: top N by bytes, kept as copies */
	struct top_conv *top;
	size_t		 ntop;
	/* diagnosis, bounded */
	struct diag	 diag[CPCAP_REPORT_MAX_DIAG];
	size_t		 ndiag;
	uint64_t	 diag_dropped;
	/* totals */
	uint64_t	 by_state[CPCAP_ST_COUNT];
	uint64_t	 by_proto_tcp, by_proto_udp, by_proto_icmp,
			 by_proto_other;
	uint64_t	 failures;
	uint64_t	 tcp_data_segments, tcp_retrans, tcp_fast, tcp_spurious,
			 tcp_dupacks, tcp_zero_windows, tcp_resets, tcp_lost;
	/* JSON: the conversations, flushed before the closing members */
	struct report_wbuf wb;
	bool		 threads;	/* other threads may help */
	/*
	 * At the analyzer's finish: another thread formats part of the
	 * list of conversations (report_ahead.h); fin_seen counts them.
	 */
	struct report_ahead *ahead;
	size_t		 fin_seen;
};

static const char *
side_name(const struct cpcap_conv *c, int ep)
{
	return ep == c->client ? "client" : "server";
}

static void
endpoint_str(const struct cpcap_conv *c, int ep, char *buf, size_t len)
{
	char a[64];

	cpcap_addr_str(c->af, c->addr[ep], a, sizeof(a));
	if (c->proto == 6 || c->proto == 17 || c->proto == 132)
		snprintf(buf, len, c->af == 6 ? "[%s]:%u" : "%s:%u", a,
		    c->port[ep]);
	else
		snprintf(buf, len, "%s", a);
}

/* "12:00:03.2" (UTC, tenths). */
static void
clock_str(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%u", tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (unsigned)(ns % 1000000000u / 100000000u));
}

static const char *
icmp_meaning(const struct cpcap_conv *c, char *buf, size_t len)
{
	const struct cpcap_conv_more *more = cpcap_conv_more(c);
	bool v6 = more->icmp_af == 6;
	uint8_t t = more->icmp_type, code = more->icmp_code;

	if (!v6 && t == 3) {
		switch (code) {
		case 0: return "network unreachable";
		case 1: return "host unreachable";
		case 2: return "protocol unreachable";
		case 3: return "port unreachable";
		case 4:
			snprintf(buf, len, "fragmentation needed (MTU %u)",
			    more->icmp_mtu);
			return buf;
		case 9: case 10: case 13:
			return "administratively prohibited";
		default:
			break;
		}
		snprintf(buf, len, "destination unreachable (code %u)", code);
		return buf;
	}
	if (v6 && t == 1) {
		switch (code) {
		case 0: return "no route to destination";
		case 1: return "administratively prohibited";
		case 3: return "address unreachable";
		case 4: return "port unreachable";
		default:
			break;
		}
		snprintf(buf, len, "destination unreachable (code %u)", code);
		return buf;
	}
	if (v6 && t == 2) {
		snprintf(buf, len, "packet too big (MTU %u)", more->icmp_mtu);
		return buf;
	}
	if ((!v6 && t == 11) || (v6 && t == 3))
		return "time exceeded (TTL expired: routing loop?)";
	snprintf(buf, len, "ICMP type %u code %u", t, code);
	return buf;
}

static bool
icmp_is_mtu(const struct cpcap_conv *c)
{
	const struct cpcap_conv_more *more = cpcap_conv_more(c);

	return (more->icmp_af == 4 && more->icmp_type == 3 &&
	    more->icmp_code == 4) ||
	    (more->icmp_af == 6 && more->icmp_type == 2);
}

/* Append to buf at *o with "; " between clauses. */
static void
clause(char *buf, size_t len, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
clause(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o >= len)
		return;
	if (*o > 0 && buf[*o - 1] != ' ') {
		n = snprintf(buf + *o, len - *o, "; ");
		*o += n > 0 ? (size_t)n : 0;
		if (*o >= len)
			return;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	*o += n > 0 ? (size_t)n : 0;
	if (*o >= len)
		*o = len - 1;
}

/*
 * A short duration in milliseconds.  Pods on one node answer in tens of
 * microseconds: below 10 ms, three decimals (0.020 ms), not "0.0 ms".
 */
static void
ms_str(uint64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, ns < 10000000 ? "%.3f ms" : "%.1f ms",
	    (double)ns / 1e6);
}

static const char *
times(uint32_t n, char *buf, size_t len)
{
	if (n == 1)
		return "once";
	if (n == 2)
		return "twice";
	snprintf(buf, len, "%u times", n);
	return buf;
}

int
cpcap_report_diagnose(const struct cpcap_conv *c, char *buf, size_t len)
{
	const struct cpcap_conv_more *more = cpcap_conv_more(c);
	char cl[80], sv[80], from[64], tb[32], mb[64], nb[24], pn0[24];
	char db[32];
	char pre[200];
	size_t o, pl, bl;
	int n;
	int sev = 0, srv = 1 - c->client, cli = c->client;
	uint64_t data, rt;
	uint32_t unseen;

	if (len == 0)
		return 0;
	/*
	 * The clauses first, from buf's start: most conversations have
	 * none, and then the "proto client -> server: " prefix (two
	 * inet_ntop and a printf) is not made at all.
	 */
	buf[0] = '\0';
	o = 0;
	if (more->icmp_errors > 0)
		cpcap_addr_str(more->icmp_af, more->icmp_from, from,
		    sizeof(from));

	switch (c->state) {
	case CPCAP_ST_SYN_SENT:
		clause(buf, len, &o, "SYN sent %s, no SYN-ACK: no response "
		    "(likely dropped by policy or firewall)",
		    times(c->syn_count, nb, sizeof(nb)));
		sev = 90;
		break;
	case CPCAP_ST_UNREACHABLE:
		clause(buf, len, &o, "SYN sent %s, answered by ICMP %s from "
		    "%s", times(c->syn_count, nb, sizeof(nb)),
		    icmp_meaning(c, mb, sizeof(mb)), from);
		sev = 90;
		break;
	case CPCAP_ST_REFUSED:
		clause(buf, len, &o, "RST from server: connection refused "
		    "(nothing listening, or rejected)");
		if (c->syn_count > 1)
			clause(buf, len, &o, "client tried %u times",
			    c->syn_count);
		sev = 85;
		break;
	case CPCAP_ST_HALF_OPEN:
		clause(buf, len, &o, "SYN-ACK sent %s, final ACK never seen: "
		    "return path drop or asymmetric routing",
		    times(c->synack_count, nb, sizeof(nb)));
		sev = 70;
		break;
	case CPCAP_ST_RESET:
		if (c->rst_from >= 0) {
			clock_str(c->rst_ns, tb, sizeof(tb));
			clause(buf, len, &o, "RST from %s at %s",
			    side_name(c, c->rst_from), tb);
			if (!c->established && c->synack_count == 0 &&
			    c->syn_count == 0)
				clause(buf, len, &o, "no handshake seen");
			else if (c->rst_ns > c->first_ns)
				clause(buf, len, &o, "%.1f s after the first "
				    "packet", (double)(c->rst_ns -
				    c->first_ns) / 1e9);
		}
		sev = 60;
		break;
	default:
		break;
	}
	if (c->syn_count > 1 && c->state != CPCAP_ST_SYN_SENT &&
	    c->state != CPCAP_ST_UNREACHABLE &&
	    c->state != CPCAP_ST_REFUSED) {
		uint64_t d = c->syn_ns > c->first_syn_ns ?
		    c->syn_ns - c->first_syn_ns : 0;

		/* Linux waits 1 s, then 2, 4...; a shorter delay in ms. */
		if (d >= 1000000000)
			snprintf(db, sizeof(db), "%.1f s", (double)d / 1e9);
		else
			ms_str(d, db, sizeof(db));
		clause(buf, len, &o, "SYN retransmitted %s (handshake delayed "
		    "by %s)", times(c->syn_count - 1, nb, sizeof(nb)), db);
		sev = sev > 55 ? sev : 55;
	}
	if (more->icmp_errors > 0 && c->state != CPCAP_ST_UNREACHABLE &&
	    !more->icmp_orphan) {
		clause(buf, len, &o, "ICMP %s from %s", icmp_meaning(c, mb,
		    sizeof(mb)), from);
		if (icmp_is_mtu(c))
			clause(buf, len, &o, "larger packets are dropped on "
			    "the path");
		sev = sev > 80 ? sev : 80;
	}
	data = CPCAP_BOTH(c, data_segments);
	rt = CPCAP_BOTH(c, retransmissions);
	if (rt >= 3 && data > 0 && rt * 100 >= data) {
		clause(buf, len, &o, "%" PRIu64 "%% of segments retransmitted "
		    "(%" PRIu64 " of %" PRIu64 "; fast %u, spurious %u)",
		    rt * 100 / data, rt, data,
		    CPCAP_BOTH(c, fast_retransmissions),
		    CPCAP_BOTH(c, spurious_retransmissions));
		sev = sev > 50 ? sev : 50;
	}
	for (int e = 0; e < 2; e++) {
		int ep = e == 0 ? cli : srv;

		if (c->d[ep].zero_windows == 0)
			continue;
		clock_str(c->d[ep].first_zero_window_ns, tb, sizeof(tb));
		clause(buf, len, &o, "zero window from %s at %s (%s): "
		    "the %s is not reading fast enough", side_name(c, ep), tb,
		    times(c->d[ep].zero_windows, nb, sizeof(nb)),
		    side_name(c, ep));
		sev = sev > 45 ? sev : 45;
	}
	if (CPCAP_BOTH(c, dup_acks) >= 3) {
		clause(buf, len, &o, "%u duplicate ACKs",
		    CPCAP_BOTH(c, dup_acks));
		sev = sev > 30 ? sev : 30;
	}
	if (more->dns_errors > 0) {
		char rb[16];

		clause(buf, len, &o, "DNS %s for %s (%u of %u responses)",
		    cpcap_dns_rcode_name(more->dns_rcode, rb, sizeof(rb)),
		    more->dns_qname[0] != '\0' ? more->dns_qname : "?",
		    more->dns_errors, more->dns_responses);
		sev = sev > 50 ? sev : 50;
	}
	if (more->dns_npending > 0) {
		clause(buf, len, &o, "%u DNS %s unanswered", more->dns_npending,
		    more->dns_npending == 1 ? "query" : "queries");
		sev = sev > 50 ? sev : 50;
	}
	if (c->proto == 17 && c->d[srv].packets == 0 &&
	    c->d[cli].packets >= 3 && more->dns_queries == 0 &&
	    more->icmp_errors == 0) {
		clause(buf, len, &o, "%" PRIu64 " datagrams, no reply",
		    c->d[cli].packets);
		sev = sev > 20 ? sev : 20;
	}
	if (more->icmp_orphan) {
		char qs[64], qd[64], pn[24];
		const struct cpcap_tuple *q = &more->icmp_quote;

		cpcap_addr_str(q->af, q->src, qs, sizeof(qs));
		cpcap_addr_str(q->af, q->dst, qd, sizeof(qd));
		if (q->has_ports)
			clause(buf, len, &o, "ICMP %s from %s about %s %s:%u -> "
			    "%s:%u (that packet is not in the capture)",
			    icmp_meaning(c, mb, sizeof(mb)), from,
			    cpcap_proto_name(q->proto, pn, sizeof(pn)), qs,
			    q->sport, qd, q->dport);
		else
			clause(buf, len, &o, "ICMP %s from %s about %s -> %s",
			    icmp_meaning(c, mb, sizeof(mb)), from, qs, qd);
		sev = sev > 75 ? sev : 75;
	}
	/*
	 * tshark's "previous segment not captured" and "ACKed unseen
	 * segment": lost on the way to the capture point (then resent),
	 * dropped by the capture, or sent before it started.
	 */
	unseen = CPCAP_BOTH(c, lost_segments) +
	    CPCAP_BOTH(c, ack_lost_segments);
	if (sev > 0 && unseen > 0)
		clause(buf, len, &o, "%u segment%s not captured (lost before "
		    "the capture point, dropped by the capture, or sent "
		    "before it started)", unseen, unseen == 1 ? "" : "s");
	if (sev == 0) {
		buf[0] = '\0';
		return 0;
	}
	endpoint_str(c, cli, cl, sizeof(cl));
	endpoint_str(c, srv, sv, sizeof(sv));
	n = snprintf(pre, sizeof(pre), "%s %s -> %s: ",
	    cpcap_proto_name(c->proto, pn0, sizeof(pn0)), cl, sv);
	pl = n < 0 ? 0 : (size_t)n < sizeof(pre) ? (size_t)n :
	    sizeof(pre) - 1;
	if (pl > len - 1)
		pl = len - 1;
	bl = strlen(buf);
	if (bl > len - 1 - pl)
		bl = len - 1 - pl;
	memmove(buf + pl, buf, bl);
	memcpy(buf, pre, pl);
	buf[pl + bl] = '\0';
	return sev;
}

static void
keep_diag(struct cpcap_report *r, int sev, uint64_t ts, const char *text)
{
	size_t i, worst = 0;
	char *dup;

	if (r->ndiag == CPCAP_REPORT_MAX_DIAG) {
		for (i = 1; i < r->ndiag; i++)
			if (r->diag[i].sev < r->diag[worst].sev)
				worst = i;
		r->diag_dropped++;
		if (r->diag[worst].sev >= sev)
			return;
		free(r->diag[worst].text);
		r->ndiag--;
		r->diag[worst] = r->diag[r->ndiag];
	}
	if ((dup = strdup(text)) == NULL) {
		r->diag_dropped++;
		return;
	}
	r->diag[r->ndiag].sev = sev;
	r->diag[r->ndiag].ts = ts;
	r->diag[r->ndiag].text = dup;
	r->ndiag++;
}

static const char *
proto_str(const struct cpcap_conv *c, char *buf, size_t len)
{
	return cpcap_proto_name(c->proto, buf, len);
}

/*
 * Worked out rather than read from c->state: the same for a finished
 * conversation, and the helper formatting the last ones ahead reads
 * them while the analyzer settles that field.
 */
static const char *
conv_state(const struct cpcap_conv *c)
{
	if (c->proto == 6)
		return cpcap_state_name(cpcap_conv_final_state(c));
	if (c->d[0].packets > 0 && c->d[1].packets > 0)
		return "answered";
	return "one-way";
}

/*
 * JSON members of a conversation, written through a pointer into room
 * reserved in the report's write buffer (report_wbuf_reserve()): with
 * 100,000 conversations printf cost a tenth of the whole run, and then
 * keeping the buffer's position in memory between pieces a third of
 * what was left.  Keys are string literals: each member's `,"key":`
 * (every member follows "id") is one copy of a length known when
 * compiling.  CONV_JSON_ROOM holds everything but the DNS strings,
 * with room to spare: ~45 keys of < 30 bytes, numbers of <= 20, four
 * addresses of < 48, three times of 32, names of < 64.
 */
#define CONV_JSON_ROOM	REPORT_WBUF_RESERVE_MAX
#define PKEY(o, k)	((o) = REPORT_PUT_LIT((o), ",\"" k "\":"))
#define PKEY_U(o, k, v)	(PKEY(o, k), (o) = report_put_u64((o), (v)))

/* A string we made that has nothing to escape: quoted as it is. */
static char *
put_plain(char *o, const char *s)
{
	*o++ = '"';
	o = report_put(o, s, strlen(s));
	*o++ = '"';
	return o;
}

/* A time, or null for none (0). */
static char *
put_time(char *o, uint64_t ns)
{
	if (ns == 0)
		return REPORT_PUT_LIT(o, "null");
	/* Digits and "-:.TZ" only: nothing to escape. */
	*o++ = '"';
	o += report_format_time((int64_t)ns, 9, o, 40);
	*o++ = '"';
	return o;
}

/* Nanoseconds as milliseconds with exactly six decimals. */
static char *
put_ms(char *o, uint64_t ns)
{
	o = report_put_u64(o, ns / 1000000);
	*o++ = '.';
	return report_put_digits(o, (unsigned long)(ns % 1000000), 6);
}

/*
 * One conversation object, written directly (not through json-c: on
 * captures of 100,000 conversations the DOM cost a fifth of the run).
 * Every string is printable ASCII by construction or escaped here.
 */
static void
conv_json_write(struct report_wbuf *w, const struct cpcap_conv *c)
{
	const struct cpcap_conv_more *more = cpcap_conv_more(c);
	char a[64], pb[24], rb[16], mb[64];
	int cli = c->client, srv = 1 - c->client;
	bool ports = c->proto == 6 || c->proto == 17 || c->proto == 132;
	char *o = report_wbuf_reserve(w, CONV_JSON_ROOM);

	o = REPORT_PUT_LIT(o, "{\"id\":");
	o = report_put_u64(o, c->id);
	PKEY(o, "protocol");
	o = put_plain(o, proto_str(c, pb, sizeof(pb)));
	PKEY(o, "client");
	o = put_plain(o, cpcap_addr_str(c->af, c->addr[cli], a, sizeof(a)));
	if (ports)
		PKEY_U(o, "client_port", c->port[cli]);
	else
		o = REPORT_PUT_LIT(o, ",\"client_port\":null");
	PKEY(o, "server");
	o = put_plain(o, cpcap_addr_str(c->af, c->addr[srv], a, sizeof(a)));
	if (ports)
		PKEY_U(o, "server_port", c->port[srv]);
	else
		o = REPORT_PUT_LIT(o, ",\"server_port\":null");
	if (c->client_guessed)
		o = REPORT_PUT_LIT(o, ",\"client_guessed\":true");
	else
		o = REPORT_PUT_LIT(o, ",\"client_guessed\":false");
	PKEY_U(o, "packets", CPCAP_BOTH(c, packets));
	PKEY_U(o, "bytes", CPCAP_BOTH(c, bytes));
	PKEY_U(o, "packets_to_server", c->d[cli].packets);
	PKEY_U(o, "bytes_to_server", c->d[cli].bytes);
	PKEY_U(o, "packets_to_client", c->d[srv].packets);
	PKEY_U(o, "bytes_to_client", c->d[srv].bytes);
	PKEY(o, "first");
	o = put_time(o, c->first_ns);
	PKEY(o, "last");
	o = put_time(o, c->last_ns);
	PKEY(o, "state");
	o = put_plain(o, conv_state(c));
	PKEY(o, "handshake_rtt_ms");
	if (c->handshake_rtt_ns >= 0)
		o = put_ms(o, (uint64_t)c->handshake_rtt_ns);
	else
		o = REPORT_PUT_LIT(o, "null");
	PKEY_U(o, "retransmissions", CPCAP_BOTH(c, retransmissions));
	PKEY_U(o, "fast_retransmissions",
	    CPCAP_BOTH(c, fast_retransmissions));
	PKEY_U(o, "spurious_retransmissions",
	    CPCAP_BOTH(c, spurious_retransmissions));
	PKEY_U(o, "dup_acks", CPCAP_BOTH(c, dup_acks));
	PKEY_U(o, "zero_windows", CPCAP_BOTH(c, zero_windows));
	PKEY_U(o, "resets", CPCAP_BOTH(c, resets));
	PKEY(o, "reset_by");
	if (c->rst_from >= 0)
		o = put_plain(o, side_name(c, c->rst_from));
	else
		o = REPORT_PUT_LIT(o, "null");
	PKEY_U(o, "out_of_order", CPCAP_BOTH(c, out_of_order));
	PKEY_U(o, "lost_segments", CPCAP_BOTH(c, lost_segments));
	PKEY_U(o, "ack_lost_segments", CPCAP_BOTH(c, ack_lost_segments));
	PKEY_U(o, "keep_alives", CPCAP_BOTH(c, keep_alives));
	PKEY_U(o, "window_full", CPCAP_BOTH(c, window_full));
	PKEY_U(o, "syn_count", c->syn_count);
	PKEY_U(o, "duplicates", CPCAP_BOTH(c, duplicates));
	PKEY_U(o, "fragmented_datagrams", CPCAP_BOTH(c, fragmented));
	PKEY_U(o, "payload_to_server", c->d[cli].payload);
	PKEY_U(o, "payload_to_client", c->d[srv].payload);
	if (c->tunnel != CPCAP_TUN_NONE) {
		o = REPORT_PUT_LIT(o, ",\"tunnel\":{\"type\":");
		o = put_plain(o, cpcap_tunnel_name(c->tunnel));
		PKEY_U(o, "vni", c->vni);
		*o++ = '}';
	} else
		o = REPORT_PUT_LIT(o, ",\"tunnel\":null");
	if (more->icmp_errors > 0) {
		o = REPORT_PUT_LIT(o, ",\"icmp_error\":{\"count\":");
		o = report_put_u64(o, more->icmp_errors);
		PKEY_U(o, "type", more->icmp_type);
		PKEY_U(o, "code", more->icmp_code);
		PKEY(o, "meaning");
		o = put_plain(o, icmp_meaning(c, mb, sizeof(mb)));
		if (icmp_is_mtu(c))
			PKEY_U(o, "mtu", more->icmp_mtu);
		PKEY(o, "from");
		o = put_plain(o, cpcap_addr_str(more->icmp_af,
		    more->icmp_from, a, sizeof(a)));
		PKEY(o, "time");
		o = put_time(o, more->icmp_ns);
		if (more->icmp_orphan) {
			const struct cpcap_tuple *q = &more->icmp_quote;

			o = REPORT_PUT_LIT(o, ",\"quoted\":{\"protocol\":");
			o = put_plain(o, cpcap_proto_name(q->proto, pb,
			    sizeof(pb)));
			PKEY(o, "src");
			o = put_plain(o, cpcap_addr_str(q->af, q->src, a,
			    sizeof(a)));
			PKEY(o, "dst");
			o = put_plain(o, cpcap_addr_str(q->af, q->dst, a,
			    sizeof(a)));
			if (q->has_ports) {
				PKEY_U(o, "src_port", q->sport);
				PKEY_U(o, "dst_port", q->dport);
			}
			o = REPORT_PUT_LIT(o, "}}");
		} else
			o = REPORT_PUT_LIT(o, ",\"quoted\":null}");
	} else
		o = REPORT_PUT_LIT(o, ",\"icmp_error\":null");
	if (more->dns_queries == 0 && more->dns_responses == 0) {
		o = REPORT_PUT_LIT(o, ",\"dns\":null}");
		report_wbuf_commit(w, o);
		return;
	}
	o = REPORT_PUT_LIT(o, ",\"dns\":{\"queries\":");
	o = report_put_u64(o, more->dns_queries);
	PKEY_U(o, "responses", more->dns_responses);
	PKEY_U(o, "errors", more->dns_errors);
	PKEY_U(o, "unanswered", more->dns_npending);
	if (more->dns_errors > 0) {
		/* The name came off the wire: escaped, and of any length. */
		o = REPORT_PUT_LIT(o, ",\"rcode\":");
		report_wbuf_commit(w, o);
		report_wbuf_json_str(w, cpcap_dns_rcode_name(more->dns_rcode,
		    rb, sizeof(rb)));
		REPORT_WBUF_LIT(w, ",\"qname\":");
		report_wbuf_json_str(w, more->dns_qname);
		o = report_wbuf_reserve(w, 64);
	}
	PKEY(o, "latency_max_ms");
	o = put_ms(o, more->dns_latency_max_ns);
	o = REPORT_PUT_LIT(o, "}}");
	report_wbuf_commit(w, o);
}

static const char *const csv_cols[] = {
	"id", "protocol", "client", "client_port", "server", "server_port",
	"client_guessed", "packets", "bytes", "packets_to_server",
	"bytes_to_server", "packets_to_client", "bytes_to_client", "first",
	"last", "state", "handshake_rtt_ms", "retransmissions",
	"fast_retransmissions", "spurious_retransmissions", "dup_acks",
	"zero_windows", "resets", "reset_by", "out_of_order",
	"lost_segments", "tunnel", "vni", "icmp_error", "dns_queries",
	"dns_errors", "dns_unanswered", "fragmented_datagrams",
};
#define NCSV	(sizeof(csv_cols) / sizeof(csv_cols[0]))

/*
 * A CSV row's fields in turn, through a pointer into reserved room as
 * for the JSON: numbers, or text quoted when needed.  CONV_CSV_ROOM
 * holds a row: 33 fields, the longest text (an ICMP meaning) under 64
 * bytes, so under 130 quoted.
 */
#define CONV_CSV_ROOM	REPORT_WBUF_RESERVE_MAX

static char *
csv_u(char *o, uint64_t v)
{
	o = report_put_u64(o, v);
	*o++ = ',';
	return o;
}

static char *
csv_s(char *o, const char *s)
{
	o = report_put_csv_field(o, s);
	*o++ = ',';
	return o;
}

/* One conversation as a CSV row (csv_cols). */
static void
conv_csv(struct report_wbuf *w, const struct cpcap_conv *c)
{
	const struct cpcap_conv_more *more = cpcap_conv_more(c);
	int cli = c->client, srv = 1 - c->client;
	bool ports = c->proto == 6 || c->proto == 17 || c->proto == 132;
	char a[64];
	char *o = report_wbuf_reserve(w, CONV_CSV_ROOM);

	o = csv_u(o, c->id);
	o = csv_s(o, proto_str(c, a, sizeof(a)));
	o = csv_s(o, cpcap_addr_str(c->af, c->addr[cli], a, sizeof(a)));
	if (ports)
		o = csv_u(o, c->port[cli]);
	else
		*o++ = ',';
	o = csv_s(o, cpcap_addr_str(c->af, c->addr[srv], a, sizeof(a)));
	if (ports)
		o = csv_u(o, c->port[srv]);
	else
		*o++ = ',';
	o = csv_s(o, c->client_guessed ? "true" : "false");
	o = csv_u(o, CPCAP_BOTH(c, packets));
	o = csv_u(o, CPCAP_BOTH(c, bytes));
	o = csv_u(o, c->d[cli].packets);
	o = csv_u(o, c->d[cli].bytes);
	o = csv_u(o, c->d[srv].packets);
	o = csv_u(o, c->d[srv].bytes);
	report_format_time((int64_t)c->first_ns, 9, a, sizeof(a));
	o = csv_s(o, a);
	report_format_time((int64_t)c->last_ns, 9, a, sizeof(a));
	o = csv_s(o, a);
	o = csv_s(o, conv_state(c));
	if (c->handshake_rtt_ns >= 0) {
		/* printf's rounding of the double, as before. */
		snprintf(a, sizeof(a), "%.3f",
		    (double)c->handshake_rtt_ns / 1e6);
		o = csv_s(o, a);
	} else
		*o++ = ',';
	o = csv_u(o, CPCAP_BOTH(c, retransmissions));
	o = csv_u(o, CPCAP_BOTH(c, fast_retransmissions));
	o = csv_u(o, CPCAP_BOTH(c, spurious_retransmissions));
	o = csv_u(o, CPCAP_BOTH(c, dup_acks));
	o = csv_u(o, CPCAP_BOTH(c, zero_windows));
	o = csv_u(o, CPCAP_BOTH(c, resets));
	o = csv_s(o, c->rst_from >= 0 ? side_name(c, c->rst_from) : "");
	o = csv_u(o, CPCAP_BOTH(c, out_of_order));
	o = csv_u(o, CPCAP_BOTH(c, lost_segments));
	if (c->tunnel != CPCAP_TUN_NONE) {
		o = csv_s(o, cpcap_tunnel_name(c->tunnel));
		o = csv_u(o, c->vni);
	} else
		o = REPORT_PUT_LIT(o, ",,");
	o = csv_s(o, more->icmp_errors > 0 ? icmp_meaning(c, a, sizeof(a)) :
	    "");
	o = csv_u(o, more->dns_queries);
	o = csv_u(o, more->dns_errors);
	o = csv_u(o, more->dns_npending);
	o = report_put_u64(o, CPCAP_BOTH(c, fragmented));
	*o++ = '\n';
	report_wbuf_commit(w, o);
}

/* The CSV header row, csv_cols. */
static void
csv_header(struct report_wbuf *w)
{
	size_t i;

	for (i = 0; i < NCSV; i++) {
		if (i > 0)
			report_wbuf_c(w, ',');
		report_wbuf_csv_field(w, csv_cols[i]);
	}
	report_wbuf_c(w, '\n');
}

/* Keep the top N by bytes: a small array, replacing the smallest. */
static void
keep_top(struct cpcap_report *r, const struct cpcap_conv *c)
{
	size_t i, min = 0;
	uint64_t b = CPCAP_BOTH(c, bytes);

	if (r->ntop < r->top_n) {
		i = r->ntop++;
		cpcap_conv_copy(&r->top[i].c, &r->top[i].more, c);
		return;
	}
	for (i = 1; i < r->ntop; i++)
		if (CPCAP_BOTH(&r->top[i].c, bytes) <
		    CPCAP_BOTH(&r->top[min].c, bytes))
			min = i;
	if (r->ntop > 0 && b > CPCAP_BOTH(&r->top[min].c, bytes))
		cpcap_conv_copy(&r->top[min].c, &r->top[min].more, c);
}

void
cpcap_report_conv(const struct cpcap_conv *c, void *arg)
{
	struct cpcap_report *r = arg;
	char text[512];
	int sev;

	r->nconv++;
	if ((unsigned)c->state < CPCAP_ST_COUNT)
		r->by_state[c->state]++;
	switch (c->proto) {
	case 6:
		r->by_proto_tcp++;
		r->tcp_data_segments += CPCAP_BOTH(c, data_segments);
		r->tcp_retrans += CPCAP_BOTH(c, retransmissions);
		r->tcp_fast += CPCAP_BOTH(c, fast_retransmissions);
		r->tcp_spurious += CPCAP_BOTH(c, spurious_retransmissions);
		r->tcp_dupacks += CPCAP_BOTH(c, dup_acks);
		r->tcp_zero_windows += CPCAP_BOTH(c, zero_windows);
		r->tcp_resets += CPCAP_BOTH(c, resets);
		r->tcp_lost += CPCAP_BOTH(c, lost_segments);
		break;
	case 17:
		r->by_proto_udp++;
		break;
	case 1: case 58:
		r->by_proto_icmp++;
		break;
	default:
		r->by_proto_other++;
		break;
	}
	if (c->state == CPCAP_ST_SYN_SENT || c->state == CPCAP_ST_REFUSED ||
	    c->state == CPCAP_ST_UNREACHABLE)
		r->failures++;
	sev = cpcap_report_diagnose(c, text, sizeof(text));
	if (sev > 0)
		keep_diag(r, sev, c->first_ns, text);

	switch (r->fmt) {
	case CPCAP_REPORT_JSON:
		if (r->ahead != NULL &&
		    !report_ahead_mine(r->ahead, r->fin_seen)) {
			/* Another thread's to format: appended in turn. */
			report_ahead_after(r->ahead, r->fin_seen++, &r->wb);
			break;
		}
		if (r->started)
			REPORT_WBUF_LIT(&r->wb, ",\n");
		else
			REPORT_WBUF_LIT(&r->wb, "{\"conversations\":[\n");
		r->started = true;
		conv_json_write(&r->wb, c);
		if (r->ahead != NULL)
			report_ahead_after(r->ahead, r->fin_seen++, &r->wb);
		if (r->wb.err && r->werr == 0)
			r->werr = errno != 0 ? errno : EIO;
		break;
	case CPCAP_REPORT_CSV:
		if (!r->started)
			csv_header(&r->wb);
		r->started = true;
		conv_csv(&r->wb, c);
		if (r->wb.err && r->werr == 0)
			r->werr = errno != 0 ? errno : EIO;
		break;
	default:
		keep_top(r, c);
		break;
	}
}

struct cpcap_report *
cpcap_report_new(FILE *out, enum cpcap_report_format fmt, size_t top_n,
    bool color)
{
	struct cpcap_report *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->out = out;
	r->fmt = fmt;
	r->top_n = top_n != 0 ? top_n : DEFAULT_TOP;
	if (r->top_n > 100000)
		r->top_n = 100000;
	r->color = color;
	report_wbuf_init(&r->wb, out);
	if (fmt == CPCAP_REPORT_TEXT) {
		/* A conversation is aligned to the cache line: not calloc. */
		r->top = aligned_alloc(_Alignof(struct top_conv),
		    r->top_n * sizeof(*r->top));
		if (r->top == NULL) {
			free(r);
			return NULL;
		}
		memset(r->top, 0, r->top_n * sizeof(*r->top));
	}
	return r;
}

void
cpcap_report_free(struct cpcap_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	report_wbuf_finish(&r->wb);	/* a write-behind thread ends */
	for (i = 0; i < r->ndiag; i++)
		free(r->diag[i].text);
	free(r->top);
	free(r);
}

void
cpcap_report_write_behind(struct cpcap_report *r)
{
	if (r->fmt == CPCAP_REPORT_JSON || r->fmt == CPCAP_REPORT_CSV) {
		(void)report_wbuf_background(&r->wb);
		r->threads = true;
	}
}

/*
 * One conversation of the finish's list, in the helper thread: what
 * cpcap_report_conv() would append (conv_json_write() reads nothing the
 * analyzer changes meanwhile).
 */
static void
ahead_conv(struct report_wbuf *w, const void *item, void *arg)
{
	(void)arg;
	REPORT_WBUF_LIT(w, ",\n");
	conv_json_write(w, item);
}

/* Below this many the thread costs more than it saves. */
#define AHEAD_MIN	4096

void
cpcap_report_finish_begin(struct cpcap_conv *const *v, size_t n, void *arg)
{
	struct cpcap_report *r = arg;

	r->fin_seen = 0;
	r->ahead = NULL;
	if (r->fmt == CPCAP_REPORT_JSON && r->threads && n >= AHEAD_MIN)
		r->ahead = report_ahead_start((const void *const *)v, n,
		    ahead_conv, r);
}

void
cpcap_report_finish_end(void *arg)
{
	struct cpcap_report *r = arg;

	report_ahead_finish(r->ahead);
	r->ahead = NULL;
	if (r->wb.err && r->werr == 0)
		r->werr = errno != 0 ? errno : EIO;
}

uint64_t
cpcap_report_failures(const struct cpcap_report *r)
{
	return r->failures;
}

static int
cmp_bytes(const void *x, const void *y)
{
	const struct cpcap_conv *a = &((const struct top_conv *)x)->c;
	const struct cpcap_conv *b = &((const struct top_conv *)y)->c;
	uint64_t ba = CPCAP_BOTH(a, bytes), bb = CPCAP_BOTH(b, bytes);

	if (ba != bb)
		return ba > bb ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int
cmp_diag(const void *x, const void *y)
{
	const struct diag *a = x, *b = y;

	if (a->sev != b->sev)
		return a->sev > b->sev ? -1 : 1;
	return a->ts < b->ts ? -1 : a->ts > b->ts;
}

static void
human_bytes(uint64_t b, char *buf, size_t len)
{
	if (b < 10000)
		snprintf(buf, len, "%" PRIu64 " B", b);
	else if (b < 10000000)
		snprintf(buf, len, "%.1f kB", (double)b / 1e3);
	else if (b < UINT64_C(10000000000))
		snprintf(buf, len, "%.1f MB", (double)b / 1e6);
	else
		snprintf(buf, len, "%.1f GB", (double)b / 1e9);
}

static struct json_object *
quant_json(const struct report_quantile *q)
{
	struct json_object *o = json_object_new_object();

	report_json_add_uint(o, "n", report_quantile_count(q));
	if (report_quantile_count(q) == 0) {
		report_json_add(o, "p50", NULL);
		report_json_add(o, "p90", NULL);
		report_json_add(o, "p99", NULL);
		report_json_add(o, "max", NULL);
		return o;
	}
	report_json_add_double(o, "p50", report_quantile_get(q, 0.50));
	report_json_add_double(o, "p90", report_quantile_get(q, 0.90));
	report_json_add_double(o, "p99", report_quantile_get(q, 0.99));
	report_json_add_double(o, "max", report_quantile_max(q));
	return o;
}

static void
quant_text(FILE *out, const char *label, const struct report_quantile *q)
{
	if (report_quantile_count(q) == 0) {
		fprintf(out, "  %-15s no samples\n", label);
		return;
	}
	fprintf(out, "  %-15s n=%" PRIu64 "  p50 %.3f ms  p90 %.3f ms  "
	    "p99 %.3f ms  max %.3f ms\n", label, report_quantile_count(q),
	    report_quantile_get(q, 0.50), report_quantile_get(q, 0.90),
	    report_quantile_get(q, 0.99), report_quantile_max(q));
}

static int
end_text(struct cpcap_report *r, const struct cpcap_analyzer *a,
    const struct cpcap_report_input *in, char *eb, size_t el)
{
	const struct cpcap_stats *st = cpcap_analyzer_stats(a);
	const struct cpcap_frag_stats *fs = cpcap_analyzer_frag_stats(a);
	FILE *out = r->out;
	struct report_table *t;
	char b1[48], b2[48], hb[32], ep[2][80], pb[24], rtt[24], prob[160];
	const char *cells[8];
	size_t i, k;
	uint64_t bad;
	const char *red = r->color ? "\033[31m" : "", *off = r->color ?
	    "\033[0m" : "", *bold = r->color ? "\033[1m" : "";

	fprintf(out, "%sCAPTURE%s\n", bold, off);
	fprintf(out, "  input           %s (%s, link type%s ", in->name,
	    in->format, in->ndlts > 1 ? "s" : "");
	if (in->ndlts > 1)
		for (i = 0; i < in->ndlts; i++)
			fprintf(out, "%s%s", i > 0 ? ", " : "",
			    cpcap_dlt_name(in->dlts[i]));
	else
		fputs(cpcap_dlt_name(in->dlt), out);
	fprintf(out, ", snaplen %u", in->snaplen);
	if (in->interfaces > 1)
		fprintf(out, ", %u interfaces merged in time order",
		    in->interfaces);
	fputs(")\n", out);
	if (in->filter != NULL)
		fprintf(out, "  filter          %s (%" PRIu64 " of %" PRIu64
		    " packets matched)\n", in->filter, in->read - in->filtered,
		    in->read);
	human_bytes(st->bytes, hb, sizeof(hb));
	fprintf(out, "  packets         %" PRIu64 " (%s)\n", st->packets, hb);
	if (st->packets > 0) {
		report_format_time((int64_t)st->first_ns, 3, b1, sizeof(b1));
		report_format_time((int64_t)st->last_ns, 3, b2, sizeof(b2));
		fprintf(out, "  duration        %.3f s (%s .. %s)\n",
		    (double)(st->last_ns - st->first_ns) / 1e9, b1, b2);
	}
	fprintf(out, "  conversations   %" PRIu64 " (tcp %" PRIu64 ", udp %"
	    PRIu64 ", icmp %" PRIu64 ", other %" PRIu64 ")\n", r->nconv,
	    r->by_proto_tcp, r->by_proto_udp, r->by_proto_icmp,
	    r->by_proto_other);
	fprintf(out, "  truncated       %" PRIu64 "\n", st->truncated);
	fprintf(out, "  malformed       %" PRIu64 "\n", st->malformed);
	bad = 0;
	for (i = 1; i < CPCAP_R_COUNT; i++)
		if (st->by_reason[i] > 0) {
			fprintf(out, "%s%s %" PRIu64, bad++ == 0 ?
			    "  decode stops    " : ",",
			    cpcap_reason_name((enum cpcap_reason)i),
			    st->by_reason[i]);
		}
	if (bad > 0)
		fputc('\n', out);
	if (st->non_ip > 0 || st->no_l4 > 0)
		fprintf(out, "  not analysed    %" PRIu64 " non-IP, %" PRIu64
		    " without transport header\n", st->non_ip, st->no_l4);
	if (st->fragments > 0)
		fprintf(out, "  IP fragments    %" PRIu64 " frames: %" PRIu64
		    " datagrams made whole (each one packet of its "
		    "conversation, as in tshark), %" PRIu64 " incomplete, %"
		    PRIu64 " copies\n", st->fragments, fs->whole,
		    fs->incomplete, fs->copies);
	if (st->fragments_cut > 0)
		fprintf(out, "  cut fragments   %" PRIu64 " fragments cut by "
		    "the snapshot length: %" PRIu64 " datagrams not made "
		    "whole (IPv4 first fragments analysed as they are, as "
		    "tshark does)\n", st->fragments_cut, fs->cut);
	if (st->unsupported > 0 && in->ndlts > 1)
		fprintf(out, "  unknown link    %" PRIu64 " packets of link "
		    "types not decoded\n", st->unsupported);
	else if (st->unsupported > 0)
		fprintf(out, "  unknown link    %" PRIu64 " packets of link "
		    "type %d not decoded\n", st->unsupported, in->dlt);
	if (st->tunnelled > 0)
		fprintf(out, "  tunnelled       %" PRIu64 " packets (VXLAN/"
		    "Geneve, attributed to inner addresses)\n", st->tunnelled);
	if (st->duplicates > 0)
		fprintf(out, "  duplicates      %" PRIu64 " packets captured "
		    "again on another interface (counted, not analysed "
		    "twice: tshark calls them retransmissions)\n",
		    st->duplicates);
	if (st->ts_backwards > 0)
		fprintf(out, "  out of order    %" PRIu64 " packets older than "
		    "one before them (the capture is not in time order: "
		    "timings around them are off)\n", st->ts_backwards);
	if (in->read_error != NULL)
		fprintf(out, "  %sread error%s      %s\n", red, off,
		    in->read_error);

	qsort(r->top, r->ntop, sizeof(*r->top), cmp_bytes);
	/* The sort moved them: each points at its own details again. */
	for (k = 0; k < r->ntop; k++)
		if (r->top[k].c.more != NULL)
			r->top[k].c.more = &r->top[k].more;
	fprintf(out, "\n%sCONVERSATIONS%s (top %zu of %" PRIu64
	    " by bytes)\n", bold, off, r->ntop, r->nconv);
	if ((t = report_table_new(8)) == NULL)
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	report_table_column(t, 0, "PROTO", REPORT_ALIGN_LEFT, 0);
	report_table_column(t, 1, "CLIENT", REPORT_ALIGN_LEFT, 48);
	report_table_column(t, 2, "SERVER", REPORT_ALIGN_LEFT, 48);
	report_table_column(t, 3, "PKTS", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 4, "BYTES", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 5, "STATE", REPORT_ALIGN_LEFT, 0);
	report_table_column(t, 6, "RTT", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 7, "PROBLEMS", REPORT_ALIGN_LEFT, 60);
	for (k = 0; k < r->ntop; k++) {
		const struct cpcap_conv *c = &r->top[k].c;
		const struct cpcap_conv_more *more = cpcap_conv_more(c);
		size_t o = 0;
		char pk[24];

		endpoint_str(c, c->client, ep[0], sizeof(ep[0]));
		endpoint_str(c, 1 - c->client, ep[1], sizeof(ep[1]));
		if (c->client_guessed && c->proto == 6)
			strncat(ep[0], "?", sizeof(ep[0]) - strlen(ep[0]) - 1);
		snprintf(pk, sizeof(pk), "%" PRIu64, CPCAP_BOTH(c, packets));
		human_bytes(CPCAP_BOTH(c, bytes), hb, sizeof(hb));
		if (c->handshake_rtt_ns >= 0)
			ms_str((uint64_t)c->handshake_rtt_ns, rtt,
			    sizeof(rtt));
		else
			rtt[0] = '\0';
		prob[0] = '\0';
		if (CPCAP_BOTH(c, retransmissions) > 0)
			clause(prob, sizeof(prob), &o, "retrans %u",
			    CPCAP_BOTH(c, retransmissions));
		if (CPCAP_BOTH(c, dup_acks) > 0)
			clause(prob, sizeof(prob), &o, "dupack %u",
			    CPCAP_BOTH(c, dup_acks));
		if (CPCAP_BOTH(c, zero_windows) > 0)
			clause(prob, sizeof(prob), &o, "zero-win %u",
			    CPCAP_BOTH(c, zero_windows));
		if (c->rst_from >= 0)
			clause(prob, sizeof(prob), &o, "rst by %s",
			    side_name(c, c->rst_from));
		if (c->syn_count > 1)
			clause(prob, sizeof(prob), &o, "syn x%u",
			    c->syn_count);
		if (more->icmp_errors > 0)
			clause(prob, sizeof(prob), &o, "icmp error");
		if (more->dns_errors > 0)
			clause(prob, sizeof(prob), &o, "dns errors %u",
			    more->dns_errors);
		if (more->dns_npending > 0)
			clause(prob, sizeof(prob), &o, "dns unanswered %u",
			    more->dns_npending);
		if (CPCAP_BOTH(c, fragmented) > 0)
			clause(prob, sizeof(prob), &o, "fragmented %u",
			    CPCAP_BOTH(c, fragmented));
		if (c->tunnel != CPCAP_TUN_NONE) {
			char tb[32];

			snprintf(tb, sizeof(tb), "%s vni %u",
			    cpcap_tunnel_name(c->tunnel), c->vni);
			clause(prob, sizeof(prob), &o, "%s", tb);
		}
		cells[0] = proto_str(c, pb, sizeof(pb));
		cells[1] = ep[0];
		cells[2] = ep[1];
		cells[3] = pk;
		cells[4] = hb;
		cells[5] = conv_state(c);
		cells[6] = rtt;
		cells[7] = prob;
		report_table_add_row(t, cells);
	}
	report_table_set_ascii(t, true);
	if (report_table_print(t, out, "  ") != 0) {
		report_table_free(t);
		return cilkit_fail(eb, el, CILKIT_EIO, "writing: %s",
		    strerror(errno));
	}
	report_table_free(t);

	fprintf(out, "\n%sDIAGNOSIS%s\n", bold, off);
	qsort(r->diag, r->ndiag, sizeof(r->diag[0]), cmp_diag);
	if (r->failures > 0)
		fprintf(out, "  %s%" PRIu64 " of %" PRIu64 " TCP connection "
		    "attempts failed%s (no answer %" PRIu64 ", refused %"
		    PRIu64 ", unreachable %" PRIu64 ")\n", red, r->failures,
		    r->by_proto_tcp, off, r->by_state[CPCAP_ST_SYN_SENT],
		    r->by_state[CPCAP_ST_REFUSED],
		    r->by_state[CPCAP_ST_UNREACHABLE]);
	if (r->tcp_data_segments > 0 && r->tcp_retrans > 0)
		fprintf(out, "  %.1f%% of TCP data segments retransmitted "
		    "(%" PRIu64 " of %" PRIu64 "; fast %" PRIu64 ", spurious %"
		    PRIu64 ")\n", 100.0 * (double)r->tcp_retrans /
		    (double)r->tcp_data_segments, r->tcp_retrans,
		    r->tcp_data_segments, r->tcp_fast, r->tcp_spurious);
	for (i = 0; i < r->ndiag; i++)
		fprintf(out, "  %s%s%s\n", r->diag[i].sev >= 80 ? red : "",
		    r->diag[i].text, r->diag[i].sev >= 80 ? off : "");
	if (r->diag_dropped > 0)
		fprintf(out, "  ... and %" PRIu64 " more (see --export json)\n",
		    r->diag_dropped);
	if (r->ndiag == 0 && r->failures == 0)
		fprintf(out, "  no problems found\n");
	/*
	 * A gap is not always the network's doing: the sender resends
	 * what was lost on the way to the capture point, not what the
	 * capture itself missed.
	 */
	if (r->tcp_lost > 0)
		fprintf(out, "  note: %" PRIu64 " TCP segment%s missing from "
		    "the capture (previous segment not captured): lost on the "
		    "way to the capture point (then resent), or missed by the "
		    "capture (its drops, or sent before it started)\n",
		    r->tcp_lost, r->tcp_lost == 1 ? "" : "s");
	if (st->truncated > 0)
		fprintf(out, "  note: %" PRIu64 " packet%s cut inside their "
		    "headers by the snapshot length: capture with a larger "
		    "one (-s)\n", st->truncated, st->truncated == 1 ? "" :
		    "s");

	fprintf(out, "\n%sLATENCY%s (pooled over all conversations)\n", bold,
	    off);
	quant_text(out, "handshake RTT", cpcap_analyzer_handshake_rtt(a));
	quant_text(out, "DNS response", cpcap_analyzer_dns_latency(a));
	quant_text(out, "data RTT", cpcap_analyzer_data_rtt(a));
	return 0;
}

static int
end_json(struct cpcap_report *r, const struct cpcap_analyzer *a,
    const struct cpcap_report_input *in, char *eb, size_t el)
{
	const struct cpcap_stats *st = cpcap_analyzer_stats(a);
	const struct cpcap_frag_stats *fs = cpcap_analyzer_frag_stats(a);
	struct json_object *root, *cap, *lat, *dg, *tot, *rs, *o, *lt;
	const char *s;
	size_t i;

	root = json_object_new_object();
	cap = json_object_new_object();
	if (root == NULL || cap == NULL) {
		json_object_put(root);
		json_object_put(cap);
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	}
	report_json_add_str(root, "schema", "cilkit.flow-analyzer-pcap/1");
	report_json_add_str(cap, "input", in->name);
	report_json_add_str(cap, "format", in->format);
	report_json_add_str(cap, "link_type", cpcap_dlt_name(in->dlt));
	report_json_add_int(cap, "dlt", in->dlt);
	if ((lt = json_object_new_array()) == NULL) {
		json_object_put(root);
		json_object_put(cap);
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	}
	json_object_object_add(cap, "link_types", lt);
	for (i = 0; i < (in->ndlts > 0 ? in->ndlts : 1); i++)
		json_object_array_add(lt, json_object_new_string(
		    cpcap_dlt_name(in->ndlts > 0 ? in->dlts[i] : in->dlt)));
	report_json_add_uint(cap, "snaplen", in->snaplen);
	if (in->interfaces > 0)
		report_json_add_uint(cap, "interfaces", in->interfaces);
	else
		json_object_object_add(cap, "interfaces", NULL);
	report_json_add_str(cap, "filter", in->filter);
	report_json_add_uint(cap, "packets_read", in->read);
	report_json_add_uint(cap, "packets_filtered", in->filtered);
	report_json_add_uint(cap, "packets", st->packets);
	report_json_add_uint(cap, "bytes", st->bytes);
	report_json_add_time(cap, "first", (int64_t)st->first_ns);
	report_json_add_time(cap, "last", (int64_t)st->last_ns);
	report_json_add_double(cap, "duration_s", st->packets > 0 ?
	    (double)(st->last_ns - st->first_ns) / 1e9 : 0);
	report_json_add_uint(cap, "truncated", st->truncated);
	report_json_add_uint(cap, "malformed", st->malformed);
	report_json_add_uint(cap, "unsupported_link", st->unsupported);
	report_json_add_uint(cap, "non_ip", st->non_ip);
	report_json_add_uint(cap, "fragments", st->fragments);
	report_json_add_uint(cap, "fragmented_datagrams", fs->whole);
	report_json_add_uint(cap, "fragmented_incomplete", fs->incomplete);
	report_json_add_uint(cap, "fragments_incomplete",
	    fs->incomplete_frames);
	report_json_add_uint(cap, "fragment_copies", fs->copies);
	report_json_add_uint(cap, "fragmented_cut", fs->cut);
	report_json_add_uint(cap, "fragments_cut", st->fragments_cut);
	report_json_add_uint(cap, "no_transport_header", st->no_l4);
	report_json_add_uint(cap, "tunnelled", st->tunnelled);
	report_json_add_uint(cap, "duplicates", st->duplicates);
	report_json_add_uint(cap, "timestamps_backwards", st->ts_backwards);
	report_json_add_str(cap, "read_error", in->read_error);
	rs = json_object_new_object();
	for (i = 1; i < CPCAP_R_COUNT; i++)
		if (st->by_reason[i] > 0)
			report_json_add_uint(rs,
			    cpcap_reason_name((enum cpcap_reason)i),
			    st->by_reason[i]);
	report_json_add(cap, "decode_stops", rs);
	report_json_add(root, "capture", cap);

	tot = json_object_new_object();
	report_json_add_uint(tot, "conversations", r->nconv);
	report_json_add_uint(tot, "tcp", r->by_proto_tcp);
	report_json_add_uint(tot, "udp", r->by_proto_udp);
	report_json_add_uint(tot, "icmp", r->by_proto_icmp);
	report_json_add_uint(tot, "other", r->by_proto_other);
	report_json_add_uint(tot, "live_max", st->live_max);
	report_json_add_uint(tot, "failed_connections", r->failures);
	o = json_object_new_object();
	for (i = 1; i < CPCAP_ST_COUNT; i++)
		report_json_add_uint(o, cpcap_state_name((enum cpcap_state)i),
		    r->by_state[i]);
	report_json_add(tot, "tcp_states", o);
	report_json_add_uint(tot, "tcp_data_segments", r->tcp_data_segments);
	report_json_add_uint(tot, "retransmissions", r->tcp_retrans);
	report_json_add_uint(tot, "fast_retransmissions", r->tcp_fast);
	report_json_add_uint(tot, "spurious_retransmissions",
	    r->tcp_spurious);
	report_json_add_uint(tot, "dup_acks", r->tcp_dupacks);
	report_json_add_uint(tot, "zero_windows", r->tcp_zero_windows);
	report_json_add_uint(tot, "resets", r->tcp_resets);
	report_json_add_uint(tot, "icmp_errors", st->icmp_errors);
	report_json_add_uint(tot, "icmp_errors_linked",
	    st->icmp_errors_linked);
	report_json_add_uint(tot, "dns_queries", st->dns_queries);
	report_json_add_uint(tot, "dns_responses", st->dns_responses);
	report_json_add_uint(tot, "dns_unanswered", st->dns_unanswered);
	report_json_add(root, "totals", tot);

	lat = json_object_new_object();
	report_json_add(lat, "handshake_rtt_ms",
	    quant_json(cpcap_analyzer_handshake_rtt(a)));
	report_json_add(lat, "dns_ms",
	    quant_json(cpcap_analyzer_dns_latency(a)));
	report_json_add(lat, "data_rtt_ms",
	    quant_json(cpcap_analyzer_data_rtt(a)));
	report_json_add(root, "latency", lat);

	dg = json_object_new_array();
	qsort(r->diag, r->ndiag, sizeof(r->diag[0]), cmp_diag);
	for (i = 0; i < r->ndiag; i++) {
		o = json_object_new_object();
		report_json_add_int(o, "severity", r->diag[i].sev);
		report_json_add_str(o, "text", r->diag[i].text);
		report_json_append(dg, o);
	}
	report_json_add(root, "diagnosis", dg);
	report_json_add_uint(root, "diagnosis_omitted", r->diag_dropped);

	/* Everything queued is written before the closing members. */
	report_wbuf_finish(&r->wb);
	if (r->wb.err && r->werr == 0)
		r->werr = errno != 0 ? errno : EIO;
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	/* s is "{...}": splice its members after the conversations. */
	if (fprintf(r->out, "%s],%s\n", r->started ? "\n" :
	    "{\"conversations\":[", s + 1) < 0) {
		json_object_put(root);
		return cilkit_fail(eb, el, CILKIT_EIO, "writing: %s",
		    strerror(errno));
	}
	json_object_put(root);
	return 0;
}

/*
 * Datagrams that never became whole: a fragment was lost, the classic
 * sign of an MTU problem.  They belong to no conversation (tshark does
 * not count them either), so the capture says it.
 */
static void
frag_diag(struct cpcap_report *r, const struct cpcap_analyzer *a)
{
	const struct cpcap_frag_stats *fs = cpcap_analyzer_frag_stats(a);
	const struct cpcap_tuple *t = &fs->last_incomplete;
	char text[560], src[64], dst[64], pn[24], eg[200];
	const char *proto;

	if (fs->incomplete == 0)
		return;
	cpcap_addr_str(t->af, t->src, src, sizeof(src));
	cpcap_addr_str(t->af, t->dst, dst, sizeof(dst));
	proto = cpcap_proto_name(t->proto, pn, sizeof(pn));
	if (t->has_ports)
		snprintf(eg, sizeof(eg), "%s %s:%u -> %s:%u", proto, src,
		    t->sport, dst, t->dport);
	else
		snprintf(eg, sizeof(eg), "%s %s -> %s (its first fragment "
		    "was lost too)", proto, src, dst);
	snprintf(text, sizeof(text), "%" PRIu64 " IP %s never complete (%"
	    PRIu64 " fragments arrived without the rest; e.g. %s): "
	    "fragments are lost on the way, likely an MTU smaller than "
	    "the packets (tunnel overhead, or path MTU discovery blocked), "
	    "unless the capture's filter left them out (a port filter "
	    "matches first fragments only)",
	    fs->incomplete, fs->incomplete == 1 ? "datagram" : "datagrams",
	    fs->incomplete_frames, eg);
	keep_diag(r, 80, fs->last_incomplete_ns, text);
}

int
cpcap_report_end(struct cpcap_report *r, const struct cpcap_analyzer *a,
    const struct cpcap_report_input *in, char *eb, size_t el)
{
	int rc = 0;

	frag_diag(r, a);

	switch (r->fmt) {
	case CPCAP_REPORT_JSON:
		rc = end_json(r, a, in, eb, el);
		break;
	case CPCAP_REPORT_CSV:
		if (!r->started)
			csv_header(&r->wb);
		report_wbuf_finish(&r->wb);
		if (r->wb.err && r->werr == 0)
			r->werr = errno != 0 ? errno : EIO;
		break;
	default:
		rc = end_text(r, a, in, eb, el);
		break;
	}
	if (rc == 0 && r->werr != 0)
		rc = cilkit_fail(eb, el, CILKIT_EIO, "writing: %s",
		    strerror(r->werr));
	return rc;
}
