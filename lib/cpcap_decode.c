/*
 * cpcap_decode.c - the bounds-checked packet decoder (cpcap_decode.h).
 *
 * Specs: Ethernet/802.1Q/802.1ad (IEEE 802.1Q); Linux cooked capture v1
 * and v2 (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html,
 * LINKTYPE_LINUX_SLL2.html); BSD loopback (LINKTYPE_NULL/LOOP); IPv4
 * (RFC 791); IPv6 and its extension headers (RFC 8200); TCP (RFC 9293)
 * and its options (RFC 7323 window scale/timestamps, RFC 2018 SACK);
 * UDP (RFC 768); ICMP (RFC 792) and ICMPv6 (RFC 4443); SCTP common
 * header (RFC 9260); VXLAN (RFC 7348); Geneve (RFC 8926).
 *
 * Every read goes through cpcap_cursor.h (the fast path for plain
 * IPv4/TCP reads fixed offsets inside windows the cursor checked).  A
 * failed read records the reason and stops at that layer; what was
 * decoded before stays valid.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

#include "cilkit_hash.h"
#include "cpcap_cursor.h"
#include "cpcap_decode.h"
#include "cpcap_read.h"
#include "flow.h"

#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_ARP		0x0806
#define ETHERTYPE_VLAN		0x8100
#define ETHERTYPE_QINQ		0x88a8
#define ETHERTYPE_QINQ_OLD	0x9100
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_TEB		0x6558	/* transparent Ethernet bridging */

#define MAX_VLAN_TAGS		8	/* more than any real network stacks */
#define MAX_IPV6_EXT		8	/* extension headers followed */
#define MAX_TUNNEL_DEPTH	2	/* tunnel in tunnel, then stop */

#define PORT_VXLAN		4789
#define PORT_VXLAN_LINUX	8472	/* Linux and Cilium default */
#define PORT_GENEVE		6081

struct dctx {
	struct cpcap_pkt *pkt;
	size_t		 wirelen;
	int		 depth;		/* tunnel depth */
	bool		 fast;		/* ipv4_tcp_fast() may be used */
};

static void decode_ether(struct dctx *, struct cpcap_cur *);
static void decode_ethertype(struct dctx *, struct cpcap_cur *, uint16_t);
static void decode_ip(struct dctx *, struct cpcap_cur *);

static void
fail(struct dctx *d, const struct cpcap_cur *c, enum cpcap_status st,
    enum cpcap_reason r)
{
	/* Keep the first (outermost) problem: it explains the rest. */
	if (d->pkt->status != CPCAP_OK)
		return;
	d->pkt->status = st;
	d->pkt->reason = r;
	d->pkt->err_off = cpcap_cur_off(c);
}

#define TRUNC(d, c, r)	fail((d), (c), CPCAP_TRUNCATED, (r))
#define BAD(d, c, r)	fail((d), (c), CPCAP_MALFORMED, (r))

/* Bytes the wire frame had from the cursor on (for IP length 0). */
static size_t
wire_left(const struct dctx *d, const struct cpcap_cur *c)
{
	return d->wirelen > cpcap_cur_off(c) ? d->wirelen - cpcap_cur_off(c) :
	    0;
}

/* ---- link layers ---- */

static void
decode_ether(struct dctx *d, struct cpcap_cur *c)
{
	uint16_t type;

	if (!cpcap_cur_skip(c, 12) || !cpcap_cur_get_be16(c, &type)) {
		TRUNC(d, c, CPCAP_R_ETH);
		return;
	}
	decode_ethertype(d, c, type);
}

static void
decode_ethertype(struct dctx *d, struct cpcap_cur *c, uint16_t type)
{
	struct cpcap_pkt *pkt = d->pkt;
	uint16_t tci;
	int tags = 0;

	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
	    type == ETHERTYPE_QINQ_OLD) {
		if (++tags > MAX_VLAN_TAGS) {
			BAD(d, c, CPCAP_R_VLAN_DEPTH);
			return;
		}
		if (!cpcap_cur_get_be16(c, &tci) ||
		    !cpcap_cur_get_be16(c, &type)) {
			TRUNC(d, c, CPCAP_R_VLAN);
			return;
		}
		pkt->rare_set = true;
		pkt->vlan[0] = pkt->vlan[1];
		pkt->vlan[1] = tci & 0x0fff;
		if (pkt->nvlan < 2)
			pkt->nvlan++;
	}
	pkt->ethertype = type;
	switch (type) {
	case ETHERTYPE_IPV4:
	case ETHERTYPE_IPV6:
		decode_ip(d, c);
		break;
	default:
		/* ARP, LLDP, STP (802.3 length field), ...: not IP. */
		pkt->l3 = CPCAP_L3_OTHER;
		break;
	}
}

/* Linux cooked capture v1: 16 bytes, protocol last. */
static void
decode_sll(struct dctx *d, struct cpcap_cur *c)
{
	uint16_t pkttype, hatype, proto;

	if (!cpcap_cur_get_be16(c, &pkttype) ||
	    !cpcap_cur_get_be16(c, &hatype) || !cpcap_cur_skip(c, 10) ||
	    !cpcap_cur_get_be16(c, &proto)) {
		TRUNC(d, c, CPCAP_R_SLL);
		return;
	}
	d->pkt->sll_pkttype = pkttype;
	/* ARPHRD_NETLINK (824) carries netlink, not an ethertype. */
	if (hatype == 824) {
		d->pkt->l3 = CPCAP_L3_OTHER;
		return;
	}
	decode_ethertype(d, c, proto);
}

/* Linux cooked capture v2: 20 bytes, protocol first, then ifindex. */
static void
decode_sll2(struct dctx *d, struct cpcap_cur *c)
{
	uint16_t proto, hatype;
	uint32_t ifindex;
	uint8_t pkttype;

	if (!cpcap_cur_get_be16(c, &proto) || !cpcap_cur_skip(c, 2) ||
	    !cpcap_cur_get_be32(c, &ifindex) ||
	    !cpcap_cur_get_be16(c, &hatype) ||
	    !cpcap_cur_get_u8(c, &pkttype) || !cpcap_cur_skip(c, 9)) {
		TRUNC(d, c, CPCAP_R_SLL2);
		return;
	}
	d->pkt->ifindex = ifindex;
	d->pkt->sll_pkttype = pkttype;
	if (hatype == 824) {
		d->pkt->l3 = CPCAP_L3_OTHER;
		return;
	}
	decode_ethertype(d, c, proto);
}

/*
 * BSD loopback: a 4-byte address family, in the writer's byte order for
 * DLT_NULL and in network order for DLT_LOOP.  IPv6 is 24, 28 or 30
 * depending on the BSD (10 on Linux).
 */
static void
decode_loop(struct dctx *d, struct cpcap_cur *c, bool network_order)
{
	uint32_t fam;

	if (!(network_order ? cpcap_cur_get_be32(c, &fam) :
	    cpcap_cur_get_le32(c, &fam))) {
		TRUNC(d, c, CPCAP_R_LOOP);
		return;
	}
	if (fam > 0xffff)	/* written on a host of the other order */
		fam = (fam >> 24) | ((fam >> 8) & 0xff00);
	switch (fam) {
	case 2:
		d->pkt->ethertype = ETHERTYPE_IPV4;
		decode_ip(d, c);
		break;
	case 10: case 24: case 28: case 30:
		d->pkt->ethertype = ETHERTYPE_IPV6;
		decode_ip(d, c);
		break;
	default:
		BAD(d, c, CPCAP_R_LOOP_FAMILY);
		break;
	}
}

/* ---- transport ---- */

static void
decode_tcp_options(struct dctx *d, struct cpcap_cur *o)
{
	struct cpcap_pkt *pkt = d->pkt;
	uint8_t kind, len;
	uint16_t v16;
	struct cpcap_cur body;

	if (o->p < o->end)
		pkt->opts_fp = cilkit_hash_bytes(o->p, (size_t)(o->end - o->p));
	while (cpcap_cur_get_u8(o, &kind)) {
		if (kind == 0)		/* end of option list */
			return;
		if (kind == 1)		/* no-operation */
			continue;
		if (!cpcap_cur_get_u8(o, &len)) {
			TRUNC(d, o, CPCAP_R_TCP_OPTION);
			return;
		}
		if (len < 2) {
			BAD(d, o, CPCAP_R_TCP_OPTION);
			return;
		}
		if (!cpcap_cur_sub(o, len - 2u, &body)) {
			/* Either cut by the capture or longer than the
			 * header: the caller's sub-cursor knows which. */
			TRUNC(d, o, CPCAP_R_TCP_OPTION);
			return;
		}
		switch (kind) {
		case 2:
			if (len == 4 && cpcap_cur_get_be16(&body, &v16)) {
				pkt->mss = v16;
				pkt->tcp_opts |= CPCAP_TCPOPT_MSS;
			}
			break;
		case 3:
			if (len == 3 && cpcap_cur_get_u8(&body, &pkt->wscale))
				pkt->tcp_opts |= CPCAP_TCPOPT_WS;
			break;
		case 4:
			pkt->tcp_opts |= CPCAP_TCPOPT_SACKOK;
			break;
		case 5:
			if (len >= 10 && (len - 2) % 8 == 0) {
				pkt->tcp_opts |= CPCAP_TCPOPT_SACK;
				pkt->nsack = (uint8_t)((len - 2) / 8);
			}
			break;
		case 8:
			if (len == 10 && cpcap_cur_get_be32(&body, &pkt->tsval) &&
			    cpcap_cur_get_be32(&body, &pkt->tsecr))
				pkt->tcp_opts |= CPCAP_TCPOPT_TS;
			break;
		default:
			break;
		}
	}
}

/*
 * The TCP fixed header from the 20 checked bytes at th, for both paths
 * (decode_tcp() and ipv4_tcp_fast()); returns the header length it
 * gives, options included, unchecked.
 */
static uint32_t
tcp_fixed(struct cpcap_pkt *pkt, const uint8_t *th)
{
	pkt->t.sport = cpcap_be16(th);
	pkt->t.dport = cpcap_be16(th + 2);
	pkt->seq = cpcap_be32(th + 4);
	pkt->ack = cpcap_be32(th + 8);
	pkt->tcp_flags = cpcap_be16(th + 12) & 0x01ff;
	pkt->window = cpcap_be16(th + 14);
	pkt->t.has_ports = true;
	return (uint32_t)(th[12] >> 4) * 4;
}

static void
decode_tcp(struct dctx *d, struct cpcap_cur *c)
{
	struct cpcap_pkt *pkt = d->pkt;
	uint32_t hlen;
	struct cpcap_cur opts;

	if (!cpcap_cur_has(c, 20)) {
		/* Ports alone are still worth having for messages. */
		if (cpcap_cur_peek_be16(c, 0, &pkt->t.sport) &&
		    cpcap_cur_peek_be16(c, 2, &pkt->t.dport))
			pkt->t.has_ports = true;
		TRUNC(d, c, CPCAP_R_TCP_HDR);
		return;
	}
	if (pkt->l4_len < 20) {
		BAD(d, c, CPCAP_R_TCP_HDR);
		return;
	}
	hlen = tcp_fixed(pkt, cpcap_cur_window(c, 20));
	cpcap_cur_skip(c, 20);
	if (hlen < 20 || hlen > pkt->l4_len) {
		BAD(d, c, CPCAP_R_TCP_OFFSET);
		return;
	}
	pkt->l4_ok = true;
	pkt->seglen = pkt->l4_len - hlen;
	if (!cpcap_cur_sub(c, hlen - 20, &opts)) {
		decode_tcp_options(d, &opts);
		TRUNC(d, c, CPCAP_R_TCP_OPTION);
		return;
	}
	decode_tcp_options(d, &opts);
	pkt->payload = c->p;
	pkt->payload_caplen = (uint32_t)(cpcap_cur_left(c) < pkt->seglen ?
	    cpcap_cur_left(c) : pkt->seglen);
}

static void
decode_vxlan(struct dctx *d, struct cpcap_cur *c)
{
	uint8_t flags;
	uint32_t vni;

	if (!cpcap_cur_get_u8(c, &flags) || !cpcap_cur_skip(c, 3) ||
	    !cpcap_cur_get_be24(c, &vni) || !cpcap_cur_skip(c, 1)) {
		TRUNC(d, c, CPCAP_R_VXLAN_HDR);
		return;
	}
	if (!(flags & 0x08)) {		/* I flag: VNI valid */
		BAD(d, c, CPCAP_R_VXLAN_HDR);
		return;
	}
	if (d->pkt->tunnel == CPCAP_TUN_NONE) {
		d->pkt->tunnel = CPCAP_TUN_VXLAN;
		d->pkt->vni = vni;
	}
	decode_ether(d, c);
}

static void
decode_geneve(struct dctx *d, struct cpcap_cur *c)
{
	uint8_t verlen, flags;
	uint16_t ptype;
	uint32_t vni;

	if (!cpcap_cur_get_u8(c, &verlen) || !cpcap_cur_get_u8(c, &flags) ||
	    !cpcap_cur_get_be16(c, &ptype) || !cpcap_cur_get_be24(c, &vni) ||
	    !cpcap_cur_skip(c, 1)) {
		TRUNC(d, c, CPCAP_R_GENEVE_HDR);
		return;
	}
	(void)flags;
	if ((verlen >> 6) != 0) {	/* only version 0 exists */
		BAD(d, c, CPCAP_R_GENEVE_HDR);
		return;
	}
	if (!cpcap_cur_skip(c, (size_t)(verlen & 0x3f) * 4)) {
		TRUNC(d, c, CPCAP_R_GENEVE_HDR);
		return;
	}
	if (d->pkt->tunnel == CPCAP_TUN_NONE) {
		d->pkt->tunnel = CPCAP_TUN_GENEVE;
		d->pkt->vni = vni;
	}
	if (ptype == ETHERTYPE_TEB)
		decode_ether(d, c);
	else
		decode_ethertype(d, c, ptype);
}

/*
 * Decode a tunnel's inner frame.  When the inner frame holds no IP
 * packet (ARP inside VXLAN) or is cut before its IP header, the packet
 * stays attributed to the outer UDP tuple, so nothing goes uncounted.
 */
static void
decode_tunnel(struct dctx *d, struct cpcap_cur *c, enum cpcap_tunnel tun)
{
	struct cpcap_pkt *pkt = d->pkt;
	struct cpcap_pkt save;

	if (d->depth >= MAX_TUNNEL_DEPTH) {
		BAD(d, c, CPCAP_R_TUNNEL_DEPTH);
		return;
	}
	save = *pkt;
	d->depth++;
	/* Inner headers start fresh; the outer facts are kept in save. */
	pkt->l3 = CPCAP_L3_NONE;
	pkt->l4_ok = false;
	memset(&pkt->t, 0, sizeof(pkt->t));
	pkt->payload = NULL;
	pkt->payload_caplen = 0;
	if (tun == CPCAP_TUN_VXLAN)
		decode_vxlan(d, c);
	else
		decode_geneve(d, c);
	d->depth--;
	if (save.tunnel == CPCAP_TUN_NONE && pkt->tunnel != CPCAP_TUN_NONE)
		pkt->outer = save.t;
	if (save.frag) {
		/*
		 * The tunnel packet is the first fragment of an outer
		 * datagram: the rest will come as outer fragments, so the
		 * datagram is the outer one (cpcap_frag.h).
		 */
		pkt->frag = true;
		pkt->frag_first = save.frag_first;
		pkt->frag_more = save.frag_more;
		pkt->frag_id = save.frag_id;
		pkt->frag_off = save.frag_off;
		pkt->frag_len = save.frag_len;
		pkt->frag_cut = save.frag_cut;
		pkt->frag_outer = true;
	}
	if (pkt->l3 != CPCAP_L3_IPV4 && pkt->l3 != CPCAP_L3_IPV6) {
		enum cpcap_status st = pkt->status;
		enum cpcap_reason r = pkt->reason;
		size_t off = pkt->err_off;
		enum cpcap_tunnel t = pkt->tunnel;
		uint32_t vni = pkt->vni;
		uint16_t et = pkt->ethertype;

		struct cpcap_tuple outer = pkt->outer;

		*pkt = save;
		pkt->outer = outer;
		pkt->status = st;
		pkt->reason = r;
		pkt->err_off = off;
		pkt->tunnel = t;
		pkt->vni = vni;
		pkt->ethertype = et;
	}
	/* The tunnel fields (and save's copy of the rest). */
	pkt->rare_set = true;
}

static void
decode_udp(struct dctx *d, struct cpcap_cur *c)
{
	struct cpcap_pkt *pkt = d->pkt;
	uint16_t ulen, csum;

	if (!cpcap_cur_get_be16(c, &pkt->t.sport) ||
	    !cpcap_cur_get_be16(c, &pkt->t.dport)) {
		TRUNC(d, c, CPCAP_R_UDP_HDR);
		return;
	}
	pkt->t.has_ports = true;
	if (!cpcap_cur_get_be16(c, &ulen) || !cpcap_cur_get_be16(c, &csum)) {
		TRUNC(d, c, CPCAP_R_UDP_HDR);
		return;
	}
	if (pkt->l4_len < 8) {
		BAD(d, c, CPCAP_R_UDP_HDR);
		return;
	}
	/*
	 * Length 0 is legal for IPv6 jumbograms and GSO: use IP's.  In the
	 * first fragment of a datagram the length covers the fragments
	 * still to come: the datagram's length is known when it is whole
	 * (cpcap_frag.h).
	 */
	if (ulen != 0 && (ulen < 8 ||
	    (ulen > pkt->l4_len && !(pkt->frag && pkt->frag_more)))) {
		BAD(d, c, CPCAP_R_UDP_LEN);
		return;
	}
	if (ulen != 0 && ulen <= pkt->l4_len)
		pkt->l4_len = ulen;
	pkt->l4_ok = true;
	pkt->seglen = pkt->l4_len - 8;
	pkt->payload = c->p;
	pkt->payload_caplen = (uint32_t)(cpcap_cur_left(c) < pkt->seglen ?
	    cpcap_cur_left(c) : pkt->seglen);
	if (pkt->t.dport == PORT_VXLAN || pkt->t.dport == PORT_VXLAN_LINUX) {
		struct cpcap_cur in;

		cpcap_cur_sub(c, pkt->seglen, &in);
		decode_tunnel(d, &in, CPCAP_TUN_VXLAN);
	} else if (pkt->t.dport == PORT_GENEVE) {
		struct cpcap_cur in;

		cpcap_cur_sub(c, pkt->seglen, &in);
		decode_tunnel(d, &in, CPCAP_TUN_GENEVE);
	}
}

static void
decode_sctp(struct dctx *d, struct cpcap_cur *c)
{
	struct cpcap_pkt *pkt = d->pkt;

	if (!cpcap_cur_get_be16(c, &pkt->t.sport) ||
	    !cpcap_cur_get_be16(c, &pkt->t.dport)) {
		TRUNC(d, c, CPCAP_R_SCTP_HDR);
		return;
	}
	pkt->t.has_ports = true;
	if (!cpcap_cur_skip(c, 8)) {
		TRUNC(d, c, CPCAP_R_SCTP_HDR);
		return;
	}
	if (pkt->l4_len < 12) {
		BAD(d, c, CPCAP_R_SCTP_HDR);
		return;
	}
	pkt->l4_ok = true;
	pkt->seglen = pkt->l4_len - 12;
}

/* ---- IP ---- */

/* Whether next-header value nh is an IPv6 extension header we walk. */
static bool
ipv6_is_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51 ||
	    nh == 135 || nh == 139 || nh == 140;
}

/* What an IPv6 fragment header says. */
struct ip6frag {
	bool		 frag, first;	/* a fragment; the one at offset 0 */
	uint16_t	 offmf;		/* offset and M flag as on the wire */
	uint32_t	 id;
	uint32_t	 len;		/* bytes after the fragment header */
};

/*
 * Walk IPv6 extension headers from *nh.  On return *nh is the upper
 * protocol and *len the bytes of payload after the headers.  *fr is
 * filled from a fragment header.  Returns false (reason
 * recorded in d when d != NULL) when the chain cannot be followed.
 */
static bool
ipv6_walk_ext(struct dctx *d, struct cpcap_cur *c, uint8_t *nh,
    uint32_t *len, struct ip6frag *fr)
{
	uint8_t next, hl;
	uint16_t offmf;
	uint32_t elen, id;
	int n = 0;

	while (ipv6_is_ext(*nh)) {
		if (++n > MAX_IPV6_EXT) {
			if (d != NULL)
				BAD(d, c, CPCAP_R_IPV6_EXT_DEPTH);
			return false;
		}
		if (!cpcap_cur_get_u8(c, &next) || !cpcap_cur_get_u8(c, &hl)) {
			if (d != NULL)
				TRUNC(d, c, CPCAP_R_IPV6_EXT);
			return false;
		}
		if (*nh == 44) {
			elen = 8;
			if (!cpcap_cur_get_be16(c, &offmf) ||
			    !cpcap_cur_get_be32(c, &id)) {
				if (d != NULL)
					TRUNC(d, c, CPCAP_R_IPV6_EXT);
				return false;
			}
			fr->frag = true;
			fr->first = (offmf & 0xfff8) == 0;
			fr->id = id;
			fr->offmf = offmf;
		} else {
			elen = *nh == 51 ? ((uint32_t)hl + 2) * 4 :
			    ((uint32_t)hl + 1) * 8;
			if (elen > *len) {
				if (d != NULL)
					BAD(d, c, CPCAP_R_IPV6_EXT);
				return false;
			}
			if (!cpcap_cur_skip(c, elen - 2)) {
				if (d != NULL)
					TRUNC(d, c, CPCAP_R_IPV6_EXT);
				return false;
			}
		}
		if (elen > *len) {
			if (d != NULL)
				BAD(d, c, CPCAP_R_IPV6_EXT);
			return false;
		}
		*len -= elen;
		if (*nh == 44)
			fr->len = *len;
		*nh = next;
		if (fr->frag && !fr->first)
			return true;	/* no upper header in this one */
	}
	return true;
}

/* Validate IPv4 options: each must fit in the option area. */
static bool
ipv4_options_ok(struct cpcap_cur o)
{
	uint8_t type, len;

	while (cpcap_cur_get_u8(&o, &type)) {
		if (type == 0)
			return true;
		if (type == 1)
			continue;
		if (!cpcap_cur_get_u8(&o, &len) || len < 2 ||
		    !cpcap_cur_skip(&o, len - 2u))
			return false;
	}
	return true;
}

/*
 * The original datagram quoted by an ICMP error: IP header plus at
 * least 8 bytes of its transport header (RFC 792, RFC 4443 2.4).
 */
static void
decode_quote(struct dctx *d, struct cpcap_cur *c, uint8_t af)
{
	struct cpcap_tuple *q = &d->pkt->quote;
	uint8_t vihl, proto;
	uint32_t len = 0xffff;
	struct ip6frag fr = { false, true, 0, 0, 0 };
	bool first = true;

	memset(q, 0, sizeof(*q));
	if (!cpcap_cur_peek_u8(c, 0, &vihl)) {
		TRUNC(d, c, CPCAP_R_ICMP_QUOTE);
		return;
	}
	if (af == 4) {
		uint16_t offmf;

		if ((vihl >> 4) != 4 || (vihl & 0x0f) < 5) {
			BAD(d, c, CPCAP_R_ICMP_QUOTE);
			return;
		}
		if (!cpcap_cur_has(c, (size_t)(vihl & 0x0f) * 4)) {
			TRUNC(d, c, CPCAP_R_ICMP_QUOTE);
			return;
		}
		cpcap_cur_peek_be16(c, 6, &offmf);
		cpcap_cur_peek_u8(c, 9, &proto);
		cpcap_cur_skip(c, 12);
		cpcap_cur_get_bytes(c, q->src, 4);
		cpcap_cur_get_bytes(c, q->dst, 4);
		cpcap_cur_skip(c, (size_t)(vihl & 0x0f) * 4 - 20);
		first = (offmf & 0x1fff) == 0;
	} else {
		if ((vihl >> 4) != 6) {
			BAD(d, c, CPCAP_R_ICMP_QUOTE);
			return;
		}
		if (!cpcap_cur_has(c, 40)) {
			TRUNC(d, c, CPCAP_R_ICMP_QUOTE);
			return;
		}
		cpcap_cur_peek_u8(c, 6, &proto);
		cpcap_cur_skip(c, 8);
		cpcap_cur_get_bytes(c, q->src, 16);
		cpcap_cur_get_bytes(c, q->dst, 16);
		if (!ipv6_walk_ext(NULL, c, &proto, &len, &fr))
			return;
		first = fr.first;
	}
	q->af = af;
	q->proto = proto;
	if (!first)
		return;
	if ((proto == 6 || proto == 17 || proto == 132) &&
	    cpcap_cur_get_be16(c, &q->sport) &&
	    cpcap_cur_get_be16(c, &q->dport))
		q->has_ports = true;
	else if (proto == 1 || proto == 58) {
		/* quoted echo: id stands in for the ports */
		uint8_t type;
		uint16_t id;

		if (cpcap_cur_peek_u8(c, 0, &type) &&
		    cpcap_cur_peek_be16(c, 4, &id)) {
			q->sport = id;
			q->dport = id;
		}
	}
}

static void
decode_icmp(struct dctx *d, struct cpcap_cur *c, bool v6)
{
	struct cpcap_pkt *pkt = d->pkt;
	uint16_t id = 0, mtu16 = 0;
	uint32_t mtu32;
	uint8_t t;

	pkt->rare_set = true;	/* the ICMP fields */
	if (!cpcap_cur_get_u8(c, &pkt->icmp_type) ||
	    !cpcap_cur_get_u8(c, &pkt->icmp_code) || !cpcap_cur_skip(c, 2) ||
	    !cpcap_cur_has(c, 4)) {
		TRUNC(d, c, CPCAP_R_ICMP_HDR);
		return;
	}
	if (pkt->l4_len < 8) {
		BAD(d, c, CPCAP_R_ICMP_HDR);
		return;
	}
	pkt->l4_ok = true;
	t = pkt->icmp_type;
	if ((!v6 && (t == 0 || t == 8 || t == 13 || t == 14)) ||
	    (v6 && (t == 128 || t == 129))) {
		cpcap_cur_get_be16(c, &id);
		pkt->icmp_id = id;
		cpcap_cur_skip(c, 2);
		return;
	}
	if (!v6 && (t == 3 || t == 4 || t == 5 || t == 11 || t == 12)) {
		cpcap_cur_skip(c, 2);
		cpcap_cur_get_be16(c, &mtu16);
		if (t == 3 && pkt->icmp_code == 4)
			pkt->icmp_mtu = mtu16;
		pkt->icmp_error = t != 5;
		if (pkt->icmp_error)
			decode_quote(d, c, 4);
		return;
	}
	if (v6 && t >= 1 && t <= 4) {
		cpcap_cur_get_be32(c, &mtu32);
		if (t == 2)
			pkt->icmp_mtu = mtu32 > 0xffff ? 0xffff :
			    (uint16_t)mtu32;
		pkt->icmp_error = true;
		decode_quote(d, c, 6);
		return;
	}
	cpcap_cur_skip(c, 4);
}

static void
decode_l4(struct dctx *d, struct cpcap_cur *c)
{
	switch (d->pkt->t.proto) {
	case 6:
		decode_tcp(d, c);
		break;
	case 17:
		decode_udp(d, c);
		break;
	case 1:
		decode_icmp(d, c, false);
		break;
	case 58:
		decode_icmp(d, c, true);
		break;
	case 132:
		decode_sctp(d, c);
		break;
	default:
		break;
	}
}

/*
 * Clear tuple t and set its IPv4 addresses from the 8 bytes at sd
 * (source, destination) in whole 8-byte words: the analysis reads them
 * 8 bytes at a time right after, and a load that spans two stores
 * waits for both to reach the cache.
 */
static void
tuple_ipv4(struct cpcap_tuple *t, const uint8_t *sd)
{
	uint32_t a4[2];
	uint64_t w, z = 0;

	memcpy(a4, sd, sizeof(a4));
	memset(t, 0, sizeof(*t));
	w = a4[0];
	memcpy(t->src, &w, 8);
	memcpy(t->src + 8, &z, 8);
	w = a4[1];
	memcpy(t->dst, &w, 8);
	memcpy(t->dst + 8, &z, 8);
}

/*
 * The IPv4 fixed header from the 20 checked bytes at h, for both paths
 * (decode_ipv4() and ipv4_tcp_fast()): addresses, protocol, TTL and
 * what it says of fragmentation.
 */
static void
ipv4_fixed(struct cpcap_pkt *pkt, const uint8_t *h)
{
	uint16_t offmf = cpcap_be16(h + 6);

	tuple_ipv4(&pkt->t, h + 12);
	pkt->t.af = 4;
	pkt->t.proto = h[9];
	pkt->l3 = CPCAP_L3_IPV4;
	pkt->ttl = h[8];
	pkt->ip_id = cpcap_be16(h + 4);
	pkt->frag = (offmf & 0x3fff) != 0;
	pkt->frag_first = (offmf & 0x1fff) == 0;
	pkt->frag_more = (offmf & 0x2000) != 0;
	pkt->frag_id = pkt->ip_id;
	pkt->frag_off = (uint32_t)(offmf & 0x1fff) * 8;
}

static void
decode_ipv4(struct dctx *d, struct cpcap_cur *c)
{
	struct cpcap_pkt *pkt = d->pkt;
	const uint8_t *h = cpcap_cur_window(c, 20);
	uint16_t totlen;
	size_t hlen, avail;
	struct cpcap_cur opts, body;

	if (h == NULL) {
		TRUNC(d, c, CPCAP_R_IPV4_HDR);
		return;
	}
	ipv4_fixed(pkt, h);
	totlen = cpcap_be16(h + 2);
	cpcap_cur_skip(c, 20);
	/* frag_len is set with l4_len below. */
	hlen = (size_t)(h[0] & 0x0f) * 4;
	if (hlen < 20) {
		BAD(d, c, CPCAP_R_IPV4_IHL);
		return;
	}
	/* Total length 0: TSO/GSO or BIG TCP; the frame says how long. */
	avail = totlen != 0 ? totlen : wire_left(d, c) + 20;
	if (avail < hlen) {
		BAD(d, c, CPCAP_R_IPV4_TOTLEN);
		return;
	}
	if (!cpcap_cur_sub(c, hlen - 20, &opts)) {
		TRUNC(d, c, CPCAP_R_IPV4_OPTIONS);
		return;
	}
	if (!ipv4_options_ok(opts)) {
		BAD(d, c, CPCAP_R_IPV4_OPTIONS);
		return;
	}
	pkt->l4_len = (uint32_t)(avail - hlen);
	pkt->frag_len = pkt->frag ? pkt->l4_len : 0;
	/* Ethernet padding after the datagram is not payload. */
	if (!cpcap_cur_sub(c, pkt->l4_len, &body))
		pkt->frag_cut = pkt->frag;
	if (pkt->frag && !pkt->frag_first)
		return;		/* no transport header in this fragment */
	decode_l4(d, &body);
}

static void
decode_ipv6(struct dctx *d, struct cpcap_cur *c)
{
	struct cpcap_pkt *pkt = d->pkt;
	uint8_t nh = 0, hlim = 0;
	uint16_t plen = 0;
	uint32_t len;
	struct ip6frag fr = { false, true, 0, 0, 0 };
	struct cpcap_cur body;

	if (!cpcap_cur_has(c, 40)) {
		TRUNC(d, c, CPCAP_R_IPV6_HDR);
		return;
	}
	cpcap_cur_skip(c, 4);
	cpcap_cur_get_be16(c, &plen);
	cpcap_cur_get_u8(c, &nh);
	cpcap_cur_get_u8(c, &hlim);
	memset(&pkt->t, 0, sizeof(pkt->t));
	cpcap_cur_get_bytes(c, pkt->t.src, 16);
	cpcap_cur_get_bytes(c, pkt->t.dst, 16);
	pkt->t.af = 6;
	pkt->l3 = CPCAP_L3_IPV6;
	pkt->ttl = hlim;
	/* Payload length 0: jumbogram or BIG TCP; use the frame. */
	len = plen != 0 ? plen : (uint32_t)wire_left(d, c);
	cpcap_cur_sub(c, len, &body);
	pkt->t.proto = nh;
	if (!ipv6_walk_ext(d, &body, &nh, &len, &fr)) {
		pkt->t.proto = nh;
		return;
	}
	pkt->t.proto = nh;
	/* An atomic fragment (offset 0, no more) is a whole datagram. */
	pkt->frag = fr.frag && (fr.offmf & 0xfff9) != 0;
	pkt->frag_first = fr.first;
	pkt->ip_id = (uint16_t)fr.id;
	pkt->frag_id = fr.id;
	pkt->frag_off = fr.offmf & 0xfff8;
	pkt->frag_more = (fr.offmf & 1) != 0;
	pkt->frag_len = fr.len;
	pkt->frag_cut = pkt->frag && cpcap_cur_left(&body) < len;
	pkt->l4_len = len;
	if (pkt->frag && !pkt->frag_first)
		return;
	decode_l4(d, &body);
}

/*
 * The common case in one pass: IPv4 without options or fragmentation,
 * carrying a TCP header captured whole (options included).  It sets
 * exactly what decode_ipv4() and decode_tcp() set for such a packet; a
 * unit test and a fuzz target compare the two paths field by field.
 * Anything else returns false, for the general path.  (This is about a
 * third of the decoding time of a TCP capture.)
 */
static bool
ipv4_tcp_fast(struct dctx *d, struct cpcap_cur *c)
{
	struct cpcap_pkt *pkt = d->pkt;
	const uint8_t *h = cpcap_cur_window(c, 40), *th;
	size_t left = cpcap_cur_left(c), body;
	uint32_t totlen, l4len, hlen;
	struct cpcap_cur t, opts;

	/* h: the IPv4 header and the TCP fixed header, 40 bytes. */
	if (h == NULL || h[0] != 0x45 || h[9] != 6 || (h[6] & 0x3f) != 0 ||
	    h[7] != 0)
		return false;
	th = h + 20;
	totlen = cpcap_be16(h + 2);
	hlen = (uint32_t)(th[12] >> 4) * 4;
	if (totlen < 40 || hlen < 20 || hlen > totlen - 20 ||
	    left - 20 < hlen)
		return false;
	l4len = totlen - 20;

	ipv4_fixed(pkt, h);
	pkt->l4_len = l4len;
	pkt->frag_len = 0;
	tcp_fixed(pkt, th);
	pkt->l4_ok = true;
	pkt->seglen = l4len - hlen;
	t = *c;
	cpcap_cur_skip(&t, 40);
	cpcap_cur_sub(&t, hlen - 20, &opts);
	decode_tcp_options(d, &opts);
	body = left - 20 < l4len ? left - 20 : l4len;
	pkt->payload = th + hlen;
	pkt->payload_caplen = (uint32_t)(body - hlen < pkt->seglen ?
	    body - hlen : pkt->seglen);
	cpcap_cur_skip(c, 20 + body);
	return true;
}

static void
decode_ip(struct dctx *d, struct cpcap_cur *c)
{
	uint8_t v;

	if (!cpcap_cur_peek_u8(c, 0, &v)) {
		TRUNC(d, c, CPCAP_R_IPV4_HDR);
		return;
	}
	switch (v >> 4) {
	case 4:
		if (!d->fast || !ipv4_tcp_fast(d, c))
			decode_ipv4(d, c);
		break;
	case 6:
		decode_ipv6(d, c);
		break;
	default:
		BAD(d, c, CPCAP_R_IP_VERSION);
		break;
	}
}

/*
 * memset(pkt, 0, ...) for every packet.  A memset of this size is
 * compiled to "rep stos", whose start-up costs more than the stores
 * themselves (~10% of the analysis of a capture); sixteen-byte stores
 * unrolled do not have it.
 */
typedef uint64_t zero16 __attribute__((vector_size(16), aligned(8)));

/*
 * Zero n bytes at p, n a constant: stores the compiler lays out in a
 * row, where a memset() call cost more than the stores (every packet
 * is decoded into a cleared struct).
 */
static inline __attribute__((always_inline)) void
clear_bytes(unsigned char *p, size_t n)
{
	const zero16 z = { 0, 0 };
	const uint64_t z8 = 0;
	size_t i;

#pragma GCC unroll 32
	for (i = 0; i + 16 <= n; i += 16)
		memcpy(p + i, &z, 16);
	if (i + 8 <= n) {
		memcpy(p + i, &z8, 8);
		i += 8;
	}
	if (i + 4 <= n) {
		memcpy(p + i, &z8, 4);
		i += 4;
	}
	for (; i < n; i++)
		p[i] = 0;
}

/* The rare part of struct cpcap_pkt starts here (cpcap_decode.h). */
#define RARE_OFF	offsetof(struct cpcap_pkt, vlan)
_Static_assert(offsetof(struct cpcap_pkt, frag_outer) > RARE_OFF &&
    offsetof(struct cpcap_pkt, icmp_type) > RARE_OFF &&
    offsetof(struct cpcap_pkt, quote) > RARE_OFF &&
    offsetof(struct cpcap_pkt, tunnel) > RARE_OFF &&
    offsetof(struct cpcap_pkt, outer) > RARE_OFF &&
    offsetof(struct cpcap_pkt, payload_caplen) < RARE_OFF &&
    offsetof(struct cpcap_pkt, rare_set) < RARE_OFF,
    "the rare part of struct cpcap_pkt is its tail");

/*
 * Clear pkt for a new packet: all of it, or (reused) the rare part only
 * when the packet before set some of it.  Whoever writes a field of the
 * rare part sets rare_set.
 */
static inline __attribute__((always_inline)) void
pkt_clear(struct cpcap_pkt *pkt, bool reused)
{
	unsigned char *p = (unsigned char *)pkt;
	bool rare = !reused || pkt->rare_set;

	clear_bytes(p, RARE_OFF);
	if (rare)
		clear_bytes(p + RARE_OFF, sizeof(*pkt) - RARE_OFF);
}

static void decode_frame(int dlt, const uint8_t *data, size_t caplen,
    size_t wirelen, struct cpcap_pkt *pkt, bool fast, bool reused);

void
cpcap_decode(int dlt, const uint8_t *data, size_t caplen, size_t wirelen,
    struct cpcap_pkt *pkt)
{
	decode_frame(dlt, data, caplen, wirelen, pkt, true, false);
}

void
cpcap_decode_into(int dlt, const uint8_t *data, size_t caplen,
    size_t wirelen, struct cpcap_pkt *pkt)
{
	decode_frame(dlt, data, caplen, wirelen, pkt, true, true);
}

void
cpcap_decode_frame(const struct cpcap_frame *f, struct cpcap_pkt *pkt)
{
	decode_frame(f->dlt, f->data, f->caplen, f->wirelen, pkt, true,
	    true);
	pkt->capif = f->capif;
	pkt->capdir = f->capdir;
}

void
cpcap_decode_general(int dlt, const uint8_t *data, size_t caplen,
    size_t wirelen, struct cpcap_pkt *pkt)
{
	decode_frame(dlt, data, caplen, wirelen, pkt, false, false);
}

static void
decode_frame(int dlt, const uint8_t *data, size_t caplen, size_t wirelen,
    struct cpcap_pkt *pkt, bool fast, bool reused)
{
	struct dctx d;
	struct cpcap_cur c;

	pkt_clear(pkt, reused);
	pkt->sll_pkttype = 0xffff;
	d.pkt = pkt;
	d.wirelen = wirelen >= caplen ? wirelen : caplen;
	d.depth = 0;
	d.fast = fast;
	cpcap_cur_init(&c, data, caplen);
	switch (dlt) {
	case CPCAP_DLT_EN10MB:
		decode_ether(&d, &c);
		break;
	case CPCAP_DLT_LINUX_SLL:
		decode_sll(&d, &c);
		break;
	case CPCAP_DLT_LINUX_SLL2:
		decode_sll2(&d, &c);
		break;
	case CPCAP_DLT_RAW:
	case CPCAP_DLT_RAW_BSD:
		decode_ip(&d, &c);
		break;
	case CPCAP_DLT_IPV4:
	case CPCAP_DLT_IPV6:
		decode_ip(&d, &c);
		break;
	case CPCAP_DLT_NULL:
		decode_loop(&d, &c, false);
		break;
	case CPCAP_DLT_LOOP:
		decode_loop(&d, &c, true);
		break;
	default:
		pkt->status = CPCAP_UNSUPPORTED;
		pkt->reason = CPCAP_R_LINKTYPE;
		break;
	}
}

bool
cpcap_dlt_supported(int dlt)
{
	switch (dlt) {
	case CPCAP_DLT_NULL: case CPCAP_DLT_EN10MB: case CPCAP_DLT_RAW:
	case CPCAP_DLT_RAW_BSD: case CPCAP_DLT_LOOP:
	case CPCAP_DLT_LINUX_SLL: case CPCAP_DLT_IPV4: case CPCAP_DLT_IPV6:
	case CPCAP_DLT_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

const char *
cpcap_dlt_name(int dlt)
{
	switch (dlt) {
	case CPCAP_DLT_NULL:		return "NULL";
	case CPCAP_DLT_EN10MB:		return "EN10MB";
	case CPCAP_DLT_RAW:		return "RAW";
	case CPCAP_DLT_RAW_BSD:		return "RAW";
	case CPCAP_DLT_LOOP:		return "LOOP";
	case CPCAP_DLT_LINUX_SLL:	return "LINUX_SLL";
	case CPCAP_DLT_IPV4:		return "IPV4";
	case CPCAP_DLT_IPV6:		return "IPV6";
	case CPCAP_DLT_LINUX_SLL2:	return "LINUX_SLL2";
	default:			return "unknown";
	}
}

static const char *const reason_names[CPCAP_R_COUNT] = {
	[CPCAP_R_NONE] = "ok",
	[CPCAP_R_LINKTYPE] = "unknown-linktype",
	[CPCAP_R_ETH] = "ethernet-header",
	[CPCAP_R_VLAN] = "vlan-tag",
	[CPCAP_R_VLAN_DEPTH] = "vlan-too-many-tags",
	[CPCAP_R_SLL] = "sll-header",
	[CPCAP_R_SLL2] = "sll2-header",
	[CPCAP_R_LOOP] = "loopback-header",
	[CPCAP_R_LOOP_FAMILY] = "loopback-family",
	[CPCAP_R_IP_VERSION] = "ip-version",
	[CPCAP_R_IPV4_HDR] = "ipv4-header",
	[CPCAP_R_IPV4_IHL] = "ipv4-header-length",
	[CPCAP_R_IPV4_TOTLEN] = "ipv4-total-length",
	[CPCAP_R_IPV4_OPTIONS] = "ipv4-options",
	[CPCAP_R_IPV6_HDR] = "ipv6-header",
	[CPCAP_R_IPV6_EXT] = "ipv6-extension-header",
	[CPCAP_R_IPV6_EXT_DEPTH] = "ipv6-too-many-extensions",
	[CPCAP_R_TCP_HDR] = "tcp-header",
	[CPCAP_R_TCP_OFFSET] = "tcp-data-offset",
	[CPCAP_R_TCP_OPTION] = "tcp-option",
	[CPCAP_R_UDP_HDR] = "udp-header",
	[CPCAP_R_UDP_LEN] = "udp-length",
	[CPCAP_R_ICMP_HDR] = "icmp-header",
	[CPCAP_R_ICMP_QUOTE] = "icmp-quoted-datagram",
	[CPCAP_R_SCTP_HDR] = "sctp-header",
	[CPCAP_R_VXLAN_HDR] = "vxlan-header",
	[CPCAP_R_GENEVE_HDR] = "geneve-header",
	[CPCAP_R_TUNNEL_DEPTH] = "tunnel-too-deep",
};

const char *
cpcap_reason_name(enum cpcap_reason r)
{
	if ((unsigned)r >= CPCAP_R_COUNT || reason_names[r] == NULL)
		return "unknown";
	return reason_names[r];
}

const char *
cpcap_status_name(enum cpcap_status s)
{
	switch (s) {
	case CPCAP_OK:		return "ok";
	case CPCAP_TRUNCATED:	return "truncated";
	case CPCAP_MALFORMED:	return "malformed";
	case CPCAP_UNSUPPORTED:	return "unsupported";
	}
	return "unknown";
}

const char *
cpcap_tunnel_name(enum cpcap_tunnel t)
{
	switch (t) {
	case CPCAP_TUN_VXLAN:	return "vxlan";
	case CPCAP_TUN_GENEVE:	return "geneve";
	case CPCAP_TUN_NONE:	break;
	}
	return "none";
}

const char *
cpcap_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 1:		return "icmp";
	case 2:		return "igmp";
	case 6:		return "tcp";
	case 17:	return "udp";
	case 47:	return "gre";
	case 50:	return "esp";
	case 58:	return "icmpv6";
	case 112:	return "vrrp";
	case 132:	return "sctp";
	default:
		snprintf(buf, len, "ip-proto-%u", proto);
		return buf;
	}
}

const char *
cpcap_addr_str(uint8_t af, const uint8_t *addr, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	/*
	 * IPv4 by hand: glibc's inet_ntop formats it with sprintf, which
	 * was a sixth of writing a report of 100,000 conversations.
	 */
	if (af != 6 && len >= 16) {
		char *o = buf;
		int i;

		for (i = 0; i < 4; i++) {
			unsigned v = addr[i];

			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			*o++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	if (inet_ntop(af == 6 ? AF_INET6 : AF_INET, addr, buf,
	    (socklen_t)len) == NULL)
		buf[0] = '\0';
	return buf;
}
