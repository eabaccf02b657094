/*
 * cpcap_decode.h - bounds-checked packet decoder: link layer (Ethernet,
 * Linux cooked v1/v2, raw IP, BSD loopback), 802.1Q/QinQ, IPv4 (options,
 * fragments), IPv6 (extension headers, fragments), TCP (options), UDP,
 * ICMPv4/ICMPv6 (with the quoted original header of error messages),
 * SCTP, and the inner frame of VXLAN (UDP 8472 and 4789) and Geneve
 * (UDP 6081) tunnels.
 *
 * The decoder reads only through cpcap_cursor.h.  It never fails as a
 * whole: it fills what it could and says, in pkt->status and
 * pkt->reason, where and why it stopped.  "Truncated" means the capture
 * ended early (snaplen): normal, the packet is analysed as far as it
 * goes.  "Malformed" means a header contradicts itself or its container.
 *
 * For tunnels the addresses and ports describe the innermost packet;
 * pkt->tunnel and pkt->vni keep the outer encapsulation.
 */
#ifndef CILKIT_CPCAP_DECODE_H
#define CILKIT_CPCAP_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types (DLT_ values as libpcap reports them). */
#define CPCAP_DLT_NULL		0
#define CPCAP_DLT_EN10MB	1
#define CPCAP_DLT_RAW		12	/* DLT_RAW on Linux/most systems */
#define CPCAP_DLT_RAW_BSD	14	/* DLT_RAW on OpenBSD */
#define CPCAP_DLT_LOOP		108
#define CPCAP_DLT_LINUX_SLL	113
#define CPCAP_DLT_IPV4		228
#define CPCAP_DLT_IPV6		229
#define CPCAP_DLT_LINUX_SLL2	276

enum cpcap_status {
	CPCAP_OK = 0,
	CPCAP_TRUNCATED,	/* capture ended inside a header */
	CPCAP_MALFORMED,	/* a header is invalid */
	CPCAP_UNSUPPORTED,	/* link type the decoder does not know */
};

/* Where decoding stopped; cpcap_reason_name() gives a stable name. */
enum cpcap_reason {
	CPCAP_R_NONE = 0,
	CPCAP_R_LINKTYPE,	/* unknown link type */
	CPCAP_R_ETH,		/* Ethernet header */
	CPCAP_R_VLAN,		/* 802.1Q/802.1ad tag */
	CPCAP_R_VLAN_DEPTH,	/* more VLAN tags than the cap */
	CPCAP_R_SLL,		/* Linux cooked v1 header */
	CPCAP_R_SLL2,		/* Linux cooked v2 header */
	CPCAP_R_LOOP,		/* BSD loopback header */
	CPCAP_R_LOOP_FAMILY,	/* unknown loopback address family */
	CPCAP_R_IP_VERSION,	/* version nibble neither 4 nor 6 */
	CPCAP_R_IPV4_HDR,	/* IPv4 fixed header */
	CPCAP_R_IPV4_IHL,	/* IHL < 5 */
	CPCAP_R_IPV4_TOTLEN,	/* total length < header length */
	CPCAP_R_IPV4_OPTIONS,	/* IPv4 options */
	CPCAP_R_IPV6_HDR,	/* IPv6 fixed header */
	CPCAP_R_IPV6_EXT,	/* IPv6 extension header */
	CPCAP_R_IPV6_EXT_DEPTH,	/* too many extension headers */
	CPCAP_R_TCP_HDR,	/* TCP fixed header */
	CPCAP_R_TCP_OFFSET,	/* data offset < 5 or past the segment */
	CPCAP_R_TCP_OPTION,	/* bad TCP option length */
	CPCAP_R_UDP_HDR,	/* UDP header */
	CPCAP_R_UDP_LEN,	/* UDP length < 8 or past the IP payload */
	CPCAP_R_ICMP_HDR,	/* ICMP/ICMPv6 header */
	CPCAP_R_ICMP_QUOTE,	/* quoted original datagram */
	CPCAP_R_SCTP_HDR,	/* SCTP common header */
	CPCAP_R_VXLAN_HDR,	/* VXLAN header */
	CPCAP_R_GENEVE_HDR,	/* Geneve header or its options */
	CPCAP_R_TUNNEL_DEPTH,	/* tunnel inside tunnel inside ... */
	CPCAP_R_COUNT
};

enum cpcap_tunnel {
	CPCAP_TUN_NONE = 0,
	CPCAP_TUN_VXLAN,
	CPCAP_TUN_GENEVE,
};

/* What the link layer carried. */
enum cpcap_l3 {
	CPCAP_L3_NONE = 0,	/* nothing decoded */
	CPCAP_L3_IPV4,
	CPCAP_L3_IPV6,
	CPCAP_L3_OTHER,		/* ARP, STP, ...: ethertype in pkt->ethertype */
};

/* TCP option presence bits (pkt->tcp_opts). */
#define CPCAP_TCPOPT_MSS	0x01
#define CPCAP_TCPOPT_WS		0x02
#define CPCAP_TCPOPT_SACKOK	0x04
#define CPCAP_TCPOPT_SACK	0x08
#define CPCAP_TCPOPT_TS		0x10

/* The transport tuple of an IP packet (also used for ICMP quotes). */
struct cpcap_tuple {
	uint8_t		 af;		/* 4 or 6; 0 = none */
	uint8_t		 proto;		/* IP protocol number */
	uint8_t		 src[16];	/* IPv4 in the first 4 bytes */
	uint8_t		 dst[16];
	uint16_t	 sport;		/* 0 when the protocol has none */
	uint16_t	 dport;
	bool		 has_ports;	/* the L4 header's ports were read */
};

struct cpcap_pkt {
	enum cpcap_status status;
	enum cpcap_reason reason;
	size_t		 err_off;	/* byte offset of the failing header */

	enum cpcap_l3	 l3;
	uint16_t	 ethertype;	/* last ethertype seen (outer or inner) */
	uint16_t	 sll_pkttype;	/* SLL/SLL2 packet type; 0xffff none */
	uint32_t	 ifindex;	/* SLL2 interface index; 0 unknown */
	/*
	 * Not from the frame's bytes: where a pcapng file says the frame
	 * was seen (struct cpcap_frame's capif and capdir), set by
	 * cpcap_decode_frame(); the other decoders leave 0 (unknown).
	 */
	uint32_t	 capif;
	uint8_t		 capdir;	/* enum cpcap_capdir (cpcap_read.h) */
	/* internal: a field of the rare part below may be set */
	bool		 rare_set;

	struct cpcap_tuple t;		/* innermost IP packet */
	uint8_t		 ttl;		/* TTL / hop limit */
	uint16_t	 ip_id;		/* IPv4 id, or IPv6 fragment id low bits */
	bool		 frag;		/* part of a fragmented datagram */
	bool		 frag_first;	/* ... and the one with offset 0 */
	bool		 frag_more;	/* ... and not the last one (MF) */
	/*
	 * ... and its data is not all in the capture (snapshot length):
	 * tshark does not reassemble it, and decodes a first fragment as
	 * it is.
	 */
	bool		 frag_cut;
	uint32_t	 frag_id;	/* the datagram's IPv4 or IPv6 id */
	uint32_t	 frag_off;	/* byte offset of this fragment's data */
	uint32_t	 frag_len;	/* and its length */
	uint32_t	 l4_len;	/* L4 bytes per the IP header (not caplen) */
	bool		 l4_ok;		/* the L4 fixed header was read whole */

	/* TCP */
	uint32_t	 seq, ack;
	uint16_t	 tcp_flags;	/* FLOW_TCP_* bit order (flow.h) */
	uint16_t	 window;	/* raw, unscaled */
	uint32_t	 seglen;	/* payload length from IP lengths */
	uint8_t		 tcp_opts;	/* CPCAP_TCPOPT_* */
	uint16_t	 mss;
	uint8_t		 wscale;
	uint8_t		 nsack;		/* SACK blocks */
	uint32_t	 tsval, tsecr;
	/*
	 * Hash of the option bytes captured, 0 without options: what tells
	 * two ACKs sent in the same millisecond apart (their SACK blocks)
	 * where nothing else in the headers does.
	 */
	uint32_t	 opts_fp;

	/* L4 payload as captured (may be shorter than l4_len says). */
	const uint8_t	*payload;
	uint32_t	 payload_caplen;

	/*
	 * The rare part, from vlan on: what a plain TCP or UDP packet
	 * does not set.  cpcap_decode_into() clears it only when the
	 * struct's earlier packet set some of it (rare_set).
	 */
	uint16_t	 vlan[2];	/* innermost two VLAN ids */
	uint8_t		 nvlan;
	/*
	 * The fragmented datagram is the tunnel's outer one (its tuple in
	 * outer); the headers decoded are those of the packet inside.
	 */
	bool		 frag_outer;

	/* ICMP / ICMPv6 */
	uint8_t		 icmp_type, icmp_code;
	uint16_t	 icmp_id;	/* echo identifier */
	uint16_t	 icmp_mtu;	/* frag needed / packet too big (low 16) */
	bool		 icmp_error;	/* an error that quotes a datagram */
	struct cpcap_tuple quote;	/* the quoted datagram's tuple */

	/* Tunnel (outermost one) */
	enum cpcap_tunnel tunnel;
	uint32_t	 vni;		/* VXLAN VNI / Geneve VNI */
	struct cpcap_tuple outer;	/* outer UDP tuple of the tunnel */
};

/*
 * Decode one frame of link type dlt.  data holds caplen captured bytes of
 * a frame that was wirelen bytes long on the wire (wirelen is used only
 * where IP says "length 0": TSO/GSO and BIG TCP super-packets).
 * Never fails; see pkt->status.  The payload pointer borrows data.
 */
void cpcap_decode(int dlt, const uint8_t *data, size_t caplen,
    size_t wirelen, struct cpcap_pkt *pkt);

/*
 * The same into a pkt that holds zeros or an earlier result of the
 * decoder (a ring of slots): what that result did not set is not
 * cleared again.  A plain TCP packet sets none of the rare part (VLAN,
 * ICMP, tunnel), which then costs nothing.  The result is the one
 * cpcap_decode() gives, byte for byte.
 */
void cpcap_decode_into(int dlt, const uint8_t *data, size_t caplen,
    size_t wirelen, struct cpcap_pkt *pkt);

/*
 * cpcap_decode_into() of a frame from the capture reader, with where the
 * frame was seen (its pcapng interface and direction) in pkt->capif and
 * pkt->capdir: what the connection analysis reads.
 */
struct cpcap_frame;
void cpcap_decode_frame(const struct cpcap_frame *f, struct cpcap_pkt *pkt);

/*
 * The same without the decoder's fast path for plain IPv4/TCP: for the
 * tests and the fuzz target that check the fast path against it.
 */
void cpcap_decode_general(int dlt, const uint8_t *data, size_t caplen,
    size_t wirelen, struct cpcap_pkt *pkt);

/* Whether the decoder knows link type dlt. */
bool cpcap_dlt_supported(int dlt);
/* Short name of a link type ("EN10MB", "LINUX_SLL2", ...); never NULL. */
const char *cpcap_dlt_name(int dlt);
/* Stable names: "ipv4-header", ...; "ok" for CPCAP_R_NONE. */
const char *cpcap_reason_name(enum cpcap_reason r);
const char *cpcap_status_name(enum cpcap_status s);
const char *cpcap_tunnel_name(enum cpcap_tunnel t);
/* IP protocol name: "tcp", "udp", "icmp", "ipv6-icmp", "sctp", ... */
const char *cpcap_proto_name(uint8_t proto, char *buf, size_t len);
/*
 * Format an address of family af (4 or 6) into buf (>= 46 bytes);
 * returns buf.
 */
const char *cpcap_addr_str(uint8_t af, const uint8_t *addr, char *buf,
    size_t len);

#endif /* CILKIT_CPCAP_DECODE_H */
