/*
 * cpcap_conv.h - connection analysis over decoded packets: packets are
 * grouped into bidirectional conversations (TCP, UDP, ICMP, SCTP, other
 * IP protocols; tunnel traffic by its inner addresses), and TCP
 * conversations are analysed with Wireshark's tcp.analysis.* rules
 * (tcp-analysis.md): retransmissions (fast, spurious), duplicate ACKs,
 * zero windows, out-of-order, lost segments, keep-alives, resets, the
 * handshake and the connection state.  ICMP errors are linked to the
 * conversation whose packet they quote; DNS queries are paired with
 * their responses.
 *
 * Streaming: memory grows with the number of live conversations, not
 * with the capture's length.  A conversation idle longer than its
 * timeout (in capture time) is finished and handed to the done
 * callback, then freed; so is the least recently active one when the
 * table is full.  cpcap_analyzer_finish() hands over the rest.
 */
#ifndef CILKIT_CPCAP_CONV_H
#define CILKIT_CPCAP_CONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpcap_decode.h"
#include "cpcap_frag.h"

struct report_quantile;

/* Connection state at the end (or when the conversation expired). */
enum cpcap_state {
	CPCAP_ST_NONE = 0,	/* not TCP */
	CPCAP_ST_SYN_SENT,	/* SYN(s), no answer at all */
	CPCAP_ST_REFUSED,	/* SYN answered by RST */
	CPCAP_ST_UNREACHABLE,	/* SYN answered by ICMP unreachable */
	CPCAP_ST_HALF_OPEN,	/* SYN, SYN-ACK, no final ACK */
	CPCAP_ST_ESTABLISHED,	/* handshake seen, open at the end */
	CPCAP_ST_OPEN,		/* no handshake seen, open at the end */
	CPCAP_ST_HALF_CLOSED,	/* FIN from one side only */
	CPCAP_ST_CLOSED,	/* FIN from both sides */
	CPCAP_ST_RESET,		/* RST after the connection was up */
	CPCAP_ST_COUNT
};

/*
 * Per-direction counters; d[i] counts what endpoint i sent.  Those of
 * every packet first.
 */
struct cpcap_dirstats {
	uint64_t	 packets, bytes;	/* frames, wire bytes */
	uint64_t	 payload;		/* TCP/UDP payload bytes */
	uint64_t	 data_segments;		/* TCP segments with payload */
	uint64_t	 retrans_bytes;
	uint32_t	 retransmissions;	/* all tcp.analysis.retransmission */
	uint32_t	 fast_retransmissions;
	uint32_t	 spurious_retransmissions;
	uint32_t	 out_of_order;
	uint32_t	 lost_segments;		/* previous segment not captured */
	uint32_t	 ack_lost_segments;	/* ACKed unseen segment */
	uint32_t	 dup_acks;
	uint32_t	 zero_windows;
	uint32_t	 zero_window_probes;
	uint32_t	 keep_alives;
	uint32_t	 window_full;
	uint32_t	 window_updates;
	uint32_t	 resets;
	uint32_t	 syns;			/* SYN or SYN-ACK segments */
	uint32_t	 fins;
	/* frames that were one packet captured again on another
	   interface: counted in packets/bytes, not analysed again */
	uint32_t	 duplicates;
	/* datagrams that came in IP fragments (one packet each) */
	uint32_t	 fragmented;
	uint64_t	 first_zero_window_ns;	/* 0: none */
} __attribute__((aligned(64)));

/* A frame recently seen, to recognise the same packet seen twice. */
struct cpcap_seen {
	uint32_t	 fp;		/* fingerprint of the packet's headers */
	uint32_t	 where;		/* capture point (seen_before()), 0 unknown */
	uint64_t	 ns;		/* 0 unused */
};
#define CPCAP_SEEN	2	/* remembered per direction */

/*
 * Wireshark's per-direction sequence state (tcp-analysis.md 1), in 56
 * bytes: both directions' state and the conversation's activity times
 * fill two cache lines.
 */
struct cpcap_tcpseq {
	uint32_t	 base_seq;
	uint32_t	 nextseq;
	uint32_t	 maxseqtobeacked;
	uint32_t	 lastack;
	uint32_t	 window;		/* scaled when the scale is known */
	uint32_t	 dupacknum;
	uint32_t	 rtt_end;		/* see rtt_pending */
	uint16_t	 lastsegflags;
	int8_t		 win_scale;		/* -1 unknown, -2 none agreed */
	bool		 base_set : 1;
	/*
	 * One data RTT sample in flight, of the segment ending at rtt_end
	 * sent at rtt_ns (Karn: dropped on retransmit).
	 */
	bool		 rtt_pending : 1;
	uint64_t	 nextseq_ns;
	uint64_t	 lastack_ns;
	uint64_t	 rtt_ns;
};

#define CPCAP_DNS_PENDING	8	/* outstanding DNS ids kept */
#define CPCAP_QNAME_MAX		96

/*
 * What few conversations have: ICMP errors that quoted their packets,
 * and DNS.  Kept out of line, made on first use, so that a conversation
 * without them (most, and the memory of a capture is mostly its live
 * conversations) stays at 640 bytes, not 960.  Read it through
 * cpcap_conv_more().
 */
struct cpcap_conv_more {
	/* ICMP errors that quoted this conversation's packets */
	uint32_t	 icmp_errors;
	uint8_t		 icmp_af, icmp_type, icmp_code;
	uint16_t	 icmp_mtu;
	uint8_t		 icmp_from[16];	/* the router or host that sent it */
	uint64_t	 icmp_ns;
	/*
	 * On an ICMP conversation: an error whose quoted packet belongs to
	 * no conversation in the capture (icmp_errors counts it here).
	 */
	bool		 icmp_orphan;
	struct cpcap_tuple icmp_quote;

	/* DNS (UDP or TCP port 53) */
	uint32_t	 dns_queries, dns_responses, dns_errors;
	uint8_t		 dns_rcode;		/* last non-zero rcode */
	uint8_t		 dns_npending;
	char		 dns_qname[CPCAP_QNAME_MAX];	/* of that error */
	uint16_t	 dns_pending_id[CPCAP_DNS_PENDING];
	uint64_t	 dns_pending_ns[CPCAP_DNS_PENDING];
	uint64_t	 dns_latency_max_ns;
	/*
	 * internal: DNS over TCP, per direction: where the next message (its
	 * 2-byte length) starts, or with dns_tcp_body where a message whose
	 * length came alone starts, dns_tcp_len long.
	 */
	uint32_t	 dns_tcp_next[2];
	uint16_t	 dns_tcp_len[2];
	uint8_t		 dns_tcp_sync;		/* bit per direction */
	uint8_t		 dns_tcp_body;		/* bit per direction */
};

struct cpcap_conv {
	/*
	 * Ordered by use: what every packet touches is in the first four
	 * cache lines (the lookup key, both directions' TCP state, the
	 * frames last seen) and in the first line of its sender's
	 * counters.  Aligned to the cache line (the counters): memory for
	 * copies comes from aligned_alloc(), not malloc().
	 */
	struct cpcap_conv *hnext;	/* internal: hash chain */
	uint32_t	 hash;
	uint8_t		 lru;		/* internal: which activity list */
	uint8_t		 af;		/* 4 or 6 */
	uint8_t		 proto;		/* IP protocol */
	uint8_t		 fin_mask : 2;	/* bit i: endpoint i sent FIN */
	uint8_t		 data_mask : 2;	/* bit i: endpoint i sent data */
	bool		 client_guessed : 1;	/* no SYN seen: a best guess */
	bool		 established : 1;
	uint16_t	 port[2];	/* ports; ICMP echo id in both */
	int8_t		 client;	/* index of the client endpoint */
	int8_t		 rst_from;	/* endpoint of the first RST, -1 */
	uint8_t		 seen_next[2];	/* internal */
	uint8_t		 addr[2][16];	/* endpoint addresses */
	uint64_t	 last_ns;

	_Alignas(64) struct cpcap_tcpseq seq[2];
	uint64_t	 lru_ns;	/* internal: last move to a list tail */
	/* internal: Wireshark's ts_first_rtt (out-of-order threshold) */
	uint64_t	 first_rtt_ns;
	struct cpcap_seen seen[2][CPCAP_SEEN];	/* internal */

	/*
	 * A packet updates the first line of its sender's counters only
	 * (the rest count rare events): each starts a line of its own.
	 */
	struct cpcap_dirstats d[2];

	struct cpcap_conv *lprev, *lnext;	/* internal: activity list */
	uint64_t	 mru_syn_ns;	/* internal: last SYN either way */

	/* TCP handshake and ending */
	int64_t		 handshake_rtt_ns;	/* -1: no complete handshake */
	uint64_t	 syn_ns;		/* last client SYN */
	uint64_t	 first_syn_ns;
	uint64_t	 synack_ns;
	uint32_t	 syn_count;		/* SYNs from the client */
	uint32_t	 synack_count;
	uint64_t	 rst_ns;

	/* outermost tunnel of the packets (last seen) */
	enum cpcap_tunnel tunnel;
	uint32_t	 vni;

	uint64_t	 id;		/* creation order, from 0 */
	uint64_t	 first_ns;
	enum cpcap_state state;

	/* ICMP and DNS details; NULL when there are none */
	const struct cpcap_conv_more *more;
};

/* Totals over the whole capture. */
struct cpcap_stats {
	uint64_t	 packets, bytes;	/* frames analysed, wire bytes */
	uint64_t	 first_ns, last_ns;
	uint64_t	 truncated, malformed, unsupported;
	uint64_t	 by_reason[CPCAP_R_COUNT];
	uint64_t	 non_ip;		/* ARP, STP, ... */
	uint64_t	 no_l4;			/* IP without a usable L4 header */
	uint64_t	 fragments;		/* frames that were IP fragments */
	/* ... cut by the snapshot length: not reassembled (tshark) */
	uint64_t	 fragments_cut;
	uint64_t	 tunnelled;		/* packets inside VXLAN/Geneve */
	uint64_t	 conversations;		/* created */
	uint64_t	 expired;		/* finished by idle timeout */
	uint64_t	 evicted;		/* finished because the table was full */
	uint64_t	 live_max;		/* most conversations live at once */
	uint64_t	 icmp_errors, icmp_errors_linked;
	uint64_t	 dns_queries, dns_responses, dns_unanswered;
	uint64_t	 port_reuse;		/* new TCP stream on a reused tuple */
	uint64_t	 duplicates;		/* a packet seen again elsewhere */
	uint64_t	 ts_backwards;		/* timestamps going back */
};

struct cpcap_conv_config {
	uint64_t	 tcp_idle_ns;		/* open TCP: 1 h */
	uint64_t	 tcp_closed_idle_ns;	/* closed/reset TCP: 4 min */
	uint64_t	 dgram_idle_ns;		/* UDP, ICMP, other: 10 min */
	size_t		 max_live;		/* table cap: 4 Mi conversations */
	/* fault the conversations' memory in ahead, on a thread (no) */
	bool		 prefault;
};

struct cpcap_analyzer;

/*
 * Called once per conversation when it is finished (expired, evicted or
 * at cpcap_analyzer_finish()).  conv is valid only during the call.
 */
typedef void (*cpcap_done_fn)(const struct cpcap_conv *conv, void *arg);

/* cfg may be NULL for the defaults.  Caller frees; NULL on ENOMEM. */
struct cpcap_analyzer *cpcap_analyzer_new(const struct cpcap_conv_config *cfg,
    cpcap_done_fn done, void *arg);
void cpcap_analyzer_free(struct cpcap_analyzer *a);

/*
 * Account one decoded packet captured at ts_ns, wirelen bytes long
 * (pkt is copied; its payload may be reused by the caller afterwards).
 * Packets are analysed in order but a couple of packets late, so that
 * their conversations can be prefetched: cpcap_analyzer_flush() (or
 * _finish()) analyses the waiting ones.  Returns 0, or CILKIT_ENOMEM
 * when an earlier packet could only be counted, or lost its ICMP or DNS
 * details.
 */
int cpcap_analyzer_add(struct cpcap_analyzer *a, uint64_t ts_ns,
    uint32_t wirelen, const struct cpcap_pkt *pkt);
/*
 * The same without a copy: decode the next packet into the slot that
 * cpcap_analyzer_slot() returns (valid until the commit), then commit
 * it; the packet's payload may be reused by the caller afterwards.  A
 * slot holds zeros or a packet decoded before, as cpcap_decode_into()
 * requires.
 */
struct cpcap_pkt *cpcap_analyzer_slot(struct cpcap_analyzer *a);
int cpcap_analyzer_commit(struct cpcap_analyzer *a, uint64_t ts_ns,
    uint32_t wirelen);
/* Analyse the packets still waiting; same return values. */
int cpcap_analyzer_flush(struct cpcap_analyzer *a);

/* Finish every live conversation, in creation order. */
void cpcap_analyzer_finish(struct cpcap_analyzer *a);

/*
 * Hooks around the last step of cpcap_analyzer_finish(): begin sees
 * every conversation still live, in creation order, before they go to
 * done one by one; end comes after the last one, before their memory
 * is reused.  Between the two another thread may read them (a report
 * formatting some of them ahead), with their state taken from
 * cpcap_conv_final_state(): done settles conv->state meanwhile.
 */
typedef void (*cpcap_finish_begin_fn)(struct cpcap_conv *const *convs,
    size_t n, void *arg);
typedef void (*cpcap_finish_end_fn)(void *arg);
void cpcap_analyzer_set_finish_hooks(struct cpcap_analyzer *a,
    cpcap_finish_begin_fn begin, cpcap_finish_end_fn end);

/*
 * The state conv has when it is finished (conv->state once it went to
 * done): for TCP worked out from its counters, for the others kept.
 */
enum cpcap_state cpcap_conv_final_state(const struct cpcap_conv *conv);

const struct cpcap_stats *cpcap_analyzer_stats(const struct cpcap_analyzer *a);
/* IP datagrams that came in fragments: whole, incomplete, copies. */
const struct cpcap_frag_stats *cpcap_analyzer_frag_stats(
    const struct cpcap_analyzer *a);
/* Number of conversations live now. */
size_t cpcap_analyzer_live(const struct cpcap_analyzer *a);

/*
 * Pooled latency samples in milliseconds: TCP handshake RTT (SYN ->
 * SYN-ACK -> ACK, from the last SYN), DNS query -> response, and data
 * RTT (segment -> ACK of its end, Karn-filtered).  Borrowed.  Data RTT
 * samples are added in batches: the last ones are in once
 * cpcap_analyzer_flush() (or _finish()) ran.
 */
const struct report_quantile *cpcap_analyzer_handshake_rtt(
    const struct cpcap_analyzer *a);
const struct report_quantile *cpcap_analyzer_dns_latency(
    const struct cpcap_analyzer *a);
const struct report_quantile *cpcap_analyzer_data_rtt(
    const struct cpcap_analyzer *a);

/*
 * conv's ICMP and DNS details (conv->more), all zero when it has none;
 * valid as long as conv is.
 */
const struct cpcap_conv_more *cpcap_conv_more(const struct cpcap_conv *conv);
/*
 * Copy src into dst so that the copy outlives src: its details go to
 * *more, and dst->more points there (or is NULL).
 */
void cpcap_conv_copy(struct cpcap_conv *dst, struct cpcap_conv_more *more,
    const struct cpcap_conv *src);

/* "syn-sent", "refused", ...; "" for CPCAP_ST_NONE. */
const char *cpcap_state_name(enum cpcap_state s);
/* DNS rcode name ("NXDOMAIN"); "RCODE<n>" into buf otherwise. */
const char *cpcap_dns_rcode_name(uint8_t rcode, char *buf, size_t len);

/* Sum of a counter over both directions. */
#define CPCAP_BOTH(c, f)	((c)->d[0].f + (c)->d[1].f)

#endif /* CILKIT_CPCAP_CONV_H */
