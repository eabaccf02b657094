/*
 * check_cpcap_decode.c - the packet decoder: one row per frame shape
 * (link types, VLAN, IPv4/IPv6 with options and extension headers, TCP
 * options, ICMP quotes, tunnels), and the bad-input rows: every
 * truncation and contradiction must give its named reason, never a
 * crash.  Also: the reader on every shared capture, and its prefix and
 * filter handling.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cilkit.h"
#include "cpcap_decode.h"
#include "cpcap_read.h"
#include "test_hex.h"

/* Frame pieces, as hex (spaces ignored). */
#define ETH	"ffffffffffff 000000000001 "
#define ETH4	ETH "0800 "
#define ETH6	ETH "86dd "
/* IPv4 10.0.0.1 -> 10.0.0.2, protocol and total length filled in. */
#define IP4(len, proto)	"45 00 " len " 0001 0000 40 " proto " 0000 " \
	"0a000001 0a000002 "
/* IPv6 fe80::1 -> fe80::2 */
#define IP6(plen, nh)	"60000000 " plen " " nh " 40 " \
	"fe800000000000000000000000000001 " \
	"fe800000000000000000000000000002 "
/* TCP 1234 -> 80, seq 1, SYN, window 65535, no options */
#define TCPSYN	"04d2 0050 00000001 00000000 5002 ffff 0000 0000 "
#define UDP(len)	"d431 0035 " len " 0000 "

struct dcase {
	const char	*name;
	int		 dlt;
	const char	*hex;
	size_t		 wirelen;	/* 0: the frame's length */
	enum cpcap_status status;
	enum cpcap_reason reason;
	uint8_t		 af, proto;
	const char	*src, *dst;
	int		 sport, dport;	/* -1: ports not read */
	int		 seglen;	/* -1: do not check */
	enum cpcap_tunnel tunnel;
	uint32_t	 vni;
};

static const struct dcase dcases[] = {
	{ "eth-ipv4-tcp-syn", 1, ETH4 IP4("0028", "06") TCPSYN, 0,
	  CPCAP_OK, CPCAP_R_NONE, 4, 6, "10.0.0.1", "10.0.0.2", 1234, 80, 0,
	  CPCAP_TUN_NONE, 0 },
	{ "eth-ipv4-tcp-data", 1, ETH4 IP4("002c", "06") TCPSYN "41424344",
	  0, CPCAP_OK, CPCAP_R_NONE, 4, 6, "10.0.0.1", "10.0.0.2", 1234, 80,
	  4, CPCAP_TUN_NONE, 0 },
	/* snaplen cut the payload: seglen still from the IP length */
	{ "eth-ipv4-tcp-snaplen", 1, ETH4 IP4("05dc", "06") TCPSYN, 1514,
	  CPCAP_OK, CPCAP_R_NONE, 4, 6, "10.0.0.1", "10.0.0.2", 1234, 80,
	  1460, CPCAP_TUN_NONE, 0 },
	/* Ethernet padding after a short datagram is not payload */
	{ "eth-padding", 1, ETH4 IP4("0028", "06") TCPSYN "000000000000", 0,
	  CPCAP_OK, CPCAP_R_NONE, 4, 6, "10.0.0.1", "10.0.0.2", 1234, 80, 0,
	  CPCAP_TUN_NONE, 0 },
	/* BIG TCP: IPv4 total length 0, length from the frame */
	{ "bigtcp-ipv4", 1, ETH4 IP4("0000", "06") TCPSYN, 80014,
	  CPCAP_OK, CPCAP_R_NONE, 4, 6, "10.0.0.1", "10.0.0.2", 1234, 80,
	  79960, CPCAP_TUN_NONE, 0 },
	{ "ipv4-options", 1, ETH4 "46 00 002c 0001 0000 40 06 0000 "
	  "0a000001 0a000002 01 01 01 00 " TCPSYN, 0, CPCAP_OK, CPCAP_R_NONE,
	  4, 6, "10.0.0.1", "10.0.0.2", 1234, 80, 0, CPCAP_TUN_NONE, 0 },
	{ "vlan-qinq", 1, ETH "88a8 0064 8100 00c8 0800 " IP4("0028", "06")
	  TCPSYN, 0, CPCAP_OK, CPCAP_R_NONE, 4, 6, "10.0.0.1", "10.0.0.2",
	  1234, 80, 0, CPCAP_TUN_NONE, 0 },
	{ "sll-udp", 113, "0000 0001 0006 000000000001 0000 0800 "
	  IP4("001c", "11") UDP("0008"), 0, CPCAP_OK, CPCAP_R_NONE, 4, 17,
	  "10.0.0.1", "10.0.0.2", 54321, 53, 0, CPCAP_TUN_NONE, 0 },
	{ "sll2-ipv6-udp", 276, "86dd 0000 00000002 0001 00 06 "
	  "000000000001 0000 " IP6("0008", "11") UDP("0008"), 0, CPCAP_OK,
	  CPCAP_R_NONE, 6, 17, "fe80::1", "fe80::2", 54321, 53, 0,
	  CPCAP_TUN_NONE, 0 },
	{ "raw-ipv4", 12, IP4("0028", "06") TCPSYN, 0, CPCAP_OK,
	  CPCAP_R_NONE, 4, 6, "10.0.0.1", "10.0.0.2", 1234, 80, 0,
	  CPCAP_TUN_NONE, 0 },
	{ "linktype-ipv6", 229, IP6("0014", "06") TCPSYN, 0, CPCAP_OK,
	  CPCAP_R_NONE, 6, 6, "fe80::1", "fe80::2", 1234, 80, 0,
	  CPCAP_TUN_NONE, 0 },
	/* hop-by-hop, then a first fragment, then UDP */
	{ "ipv6-ext-frag-first", 12, IP6("0020", "00") "2c 00 01 04 00000000"
	  "11 00 0001 12345678 " UDP("0010") "0000000000000000", 0, CPCAP_OK,
	  CPCAP_R_NONE, 6, 17, "fe80::1", "fe80::2", 54321, 53, -1,
	  CPCAP_TUN_NONE, 0 },
	{ "ipv6-frag-later", 12, IP6("0010", "2c") "11 00 0100 12345678 "
	  "0000000000000000", 0, CPCAP_OK, CPCAP_R_NONE, 6, 17, "fe80::1",
	  "fe80::2", -1, -1, -1, CPCAP_TUN_NONE, 0 },
	{ "ipv4-frag-later", 12, "45 00 0020 0001 0010 40 11 0000 0a000001 "
	  "0a000002 0000000000000000 ", 0, CPCAP_OK, CPCAP_R_NONE, 4, 17,
	  "10.0.0.1", "10.0.0.2", -1, -1, -1, CPCAP_TUN_NONE, 0 },
	/*
	 * a first fragment: UDP's length covers the fragments to come
	 * (in a whole datagram it is malformed: udp-len-past-ip below)
	 */
	{ "ipv4-frag-first-udp", 12, "45 00 0024 0007 2000 40 11 0000 "
	  "0a000001 0a000002 " UDP("0fa8") "0000000000000000", 0, CPCAP_OK,
	  CPCAP_R_NONE, 4, 17, "10.0.0.1", "10.0.0.2", 54321, 53, 8,
	  CPCAP_TUN_NONE, 0 },
	{ "null-loopback-le", 0, "02000000 " IP4("0028", "06") TCPSYN, 0,
	  CPCAP_OK, CPCAP_R_NONE, 4, 6, "10.0.0.1", "10.0.0.2", 1234, 80, 0,
	  CPCAP_TUN_NONE, 0 },
	{ "loop-ipv6-be", 108, "0000001e " IP6("0014", "06") TCPSYN, 0,
	  CPCAP_OK, CPCAP_R_NONE, 6, 6, "fe80::1", "fe80::2", 1234, 80, 0,
	  CPCAP_TUN_NONE, 0 },
	{ "sctp", 12, IP4("0020", "84") "0b59 0b59 00000001 00000000 ", 0,
	  CPCAP_OK, CPCAP_R_NONE, 4, 132, "10.0.0.1", "10.0.0.2", 2905, 2905,
	  0, CPCAP_TUN_NONE, 0 },
	/* VXLAN on 8472, VNI 100, inner 10.1.0.1 -> 10.1.0.2 TCP */
	{ "vxlan-8472", 1, ETH4 IP4("0064", "11") "c000 2118 0050 0000 "
	  "08000000 00006400 " ETH4 "45 00 0028 0001 0000 40 06 0000 "
	  "0a010001 0a010002 " TCPSYN, 0, CPCAP_OK, CPCAP_R_NONE, 4, 6,
	  "10.1.0.1", "10.1.0.2", 1234, 80, 0, CPCAP_TUN_VXLAN, 100 },
	/* Geneve with one 8-byte option, Ethernet inside, VNI 11 */
	{ "geneve-opt", 1, ETH4 IP4("006c", "11") "c000 17c1 0058 0000 "
	  "02 00 6558 00000b 00 01020304 05060708 " ETH4
	  "45 00 0028 0001 0000 40 06 0000 0a010001 0a010002 " TCPSYN, 0,
	  CPCAP_OK, CPCAP_R_NONE, 4, 6, "10.1.0.1", "10.1.0.2", 1234, 80, 0,
	  CPCAP_TUN_GENEVE, 11 },
	/* ARP inside VXLAN: stays on the outer UDP tuple */
	{ "vxlan-arp", 1, ETH4 IP4("0040", "11") "c000 12b5 002c 0000 "
	  "08000000 00000100 " ETH "0806 0001080006040001", 0, CPCAP_OK,
	  CPCAP_R_NONE, 4, 17, "10.0.0.1", "10.0.0.2", 49152, 4789, -1,
	  CPCAP_TUN_VXLAN, 1 },
	/* ICMP port unreachable quoting UDP 10.0.0.2:54321 -> .1:53 */
	{ "icmp-unreach-quote", 12, IP4("0038", "01") "03 03 0000 00000000 "
	  "45 00 0030 0001 0000 40 11 0000 0a000002 0a000001 "
	  "d431 0035 001c 0000", 0, CPCAP_OK, CPCAP_R_NONE, 4, 1, "10.0.0.1",
	  "10.0.0.2", 0, 0, -1, CPCAP_TUN_NONE, 0 },
	/* bad input: truncation */
	{ "empty-frame", 1, "", 0, CPCAP_TRUNCATED, CPCAP_R_ETH, 0, 0, NULL,
	  NULL, -1, -1, -1, CPCAP_TUN_NONE, 0 },
	{ "eth-cut", 1, "ffffffffffff 0000", 0, CPCAP_TRUNCATED, CPCAP_R_ETH,
	  0, 0, NULL, NULL, -1, -1, -1, CPCAP_TUN_NONE, 0 },
	{ "vlan-cut", 1, ETH "8100 00", 0, CPCAP_TRUNCATED, CPCAP_R_VLAN, 0,
	  0, NULL, NULL, -1, -1, -1, CPCAP_TUN_NONE, 0 },
	{ "ipv4-cut", 1, ETH4 "45 00 0028 0001", 0, CPCAP_TRUNCATED,
	  CPCAP_R_IPV4_HDR, 0, 0, NULL, NULL, -1, -1, -1, CPCAP_TUN_NONE, 0 },
	{ "tcp-cut", 1, ETH4 IP4("0028", "06") "04d2 0050 0000", 0,
	  CPCAP_TRUNCATED, CPCAP_R_TCP_HDR, 4, 6, "10.0.0.1", "10.0.0.2",
	  1234, 80, -1, CPCAP_TUN_NONE, 0 },
	{ "sll-cut", 113, "0000 0001 0006", 0, CPCAP_TRUNCATED, CPCAP_R_SLL,
	  0, 0, NULL, NULL, -1, -1, -1, CPCAP_TUN_NONE, 0 },
	{ "sll2-cut", 276, "0800 0000 0000", 0, CPCAP_TRUNCATED,
	  CPCAP_R_SLL2, 0, 0, NULL, NULL, -1, -1, -1, CPCAP_TUN_NONE, 0 },
	{ "ipv6-cut", 229, "60000000 0014 06 40 fe80", 0, CPCAP_TRUNCATED,
	  CPCAP_R_IPV6_HDR, 0, 0, NULL, NULL, -1, -1, -1, CPCAP_TUN_NONE, 0 },
	{ "loop-cut", 0, "0200", 0, CPCAP_TRUNCATED, CPCAP_R_LOOP, 0, 0,
	  NULL, NULL, -1, -1, -1, CPCAP_TUN_NONE, 0 },
	{ "vxlan-cut", 1, ETH4 IP4("0064", "11") "c000 2118 0050 0000 0800",
	  0, CPCAP_TRUNCATED, CPCAP_R_VXLAN_HDR, 4, 17, "10.0.0.1",
	  "10.0.0.2", 49152, 8472, -1, CPCAP_TUN_NONE, 0 },
	/* bad input: contradictions */
	{ "ip-version-5", 12, "55 00 0028 0001 0000 40 06 0000 0a000001 "
	  "0a000002", 0, CPCAP_MALFORMED, CPCAP_R_IP_VERSION, 0, 0, NULL,
	  NULL, -1, -1, -1, CPCAP_TUN_NONE, 0 },
	{ "ipv4-ihl-4", 12, "44 00 0028 0001 0000 40 06 0000 0a000001 "
	  "0a000002 " TCPSYN, 0, CPCAP_MALFORMED, CPCAP_R_IPV4_IHL, 4, 6,
	  "10.0.0.1", "10.0.0.2", -1, -1, -1, CPCAP_TUN_NONE, 0 },
	{ "ipv4-totlen-short", 12, IP4("000a", "06") TCPSYN, 0,
	  CPCAP_MALFORMED, CPCAP_R_IPV4_TOTLEN, 4, 6, "10.0.0.1", "10.0.0.2",
	  -1, -1, -1, CPCAP_TUN_NONE, 0 },
	{ "ipv4-option-overrun", 12, "46 00 002c 0001 0000 40 06 0000 "
	  "0a000001 0a000002 07 09 0000 " TCPSYN, 0, CPCAP_MALFORMED,
	  CPCAP_R_IPV4_OPTIONS, 4, 6, "10.0.0.1", "10.0.0.2", -1, -1, -1,
	  CPCAP_TUN_NONE, 0 },
	{ "tcp-offset-4", 12, IP4("0028", "06") "04d2 0050 00000001 "
	  "00000000 4002 ffff 0000 0000", 0, CPCAP_MALFORMED,
	  CPCAP_R_TCP_OFFSET, 4, 6, "10.0.0.1", "10.0.0.2", 1234, 80, -1,
	  CPCAP_TUN_NONE, 0 },
	{ "tcp-offset-past-ip", 12, IP4("0028", "06") "04d2 0050 00000001 "
	  "00000000 f002 ffff 0000 0000", 0, CPCAP_MALFORMED,
	  CPCAP_R_TCP_OFFSET, 4, 6, "10.0.0.1", "10.0.0.2", 1234, 80, -1,
	  CPCAP_TUN_NONE, 0 },
	{ "tcp-option-len-1", 12, IP4("002c", "06") "04d2 0050 00000001 "
	  "00000000 6002 ffff 0000 0000 02 01 0000", 0, CPCAP_MALFORMED,
	  CPCAP_R_TCP_OPTION, 4, 6, "10.0.0.1", "10.0.0.2", 1234, 80, 0,
	  CPCAP_TUN_NONE, 0 },
	{ "udp-len-7", 12, IP4("001c", "11") UDP("0007"), 0, CPCAP_MALFORMED,
	  CPCAP_R_UDP_LEN, 4, 17, "10.0.0.1", "10.0.0.2", 54321, 53, -1,
	  CPCAP_TUN_NONE, 0 },
	{ "udp-len-past-ip", 12, IP4("001c", "11") UDP("0100"), 0,
	  CPCAP_MALFORMED, CPCAP_R_UDP_LEN, 4, 17, "10.0.0.1", "10.0.0.2",
	  54321, 53, -1, CPCAP_TUN_NONE, 0 },
	{ "vxlan-no-i-flag", 1, ETH4 IP4("0024", "11") "c000 12b5 0010 0000 "
	  "00000000 00006400", 0, CPCAP_MALFORMED, CPCAP_R_VXLAN_HDR, 4, 17,
	  "10.0.0.1", "10.0.0.2", 49152, 4789, 8, CPCAP_TUN_NONE, 0 },
	{ "geneve-version-1", 1, ETH4 IP4("0024", "11") "c000 17c1 0010 0000 "
	  "40 00 6558 00000b 00", 0, CPCAP_MALFORMED, CPCAP_R_GENEVE_HDR, 4,
	  17, "10.0.0.1", "10.0.0.2", 49152, 6081, 8, CPCAP_TUN_NONE, 0 },
	{ "loop-family-99", 108, "00000063 " IP4("0028", "06") TCPSYN, 0,
	  CPCAP_MALFORMED, CPCAP_R_LOOP_FAMILY, 0, 0, NULL, NULL, -1, -1, -1,
	  CPCAP_TUN_NONE, 0 },
	{ "vlan-bomb", 1, ETH "8100 0001 8100 0001 8100 0001 8100 0001 "
	  "8100 0001 8100 0001 8100 0001 8100 0001 8100 0001 0800", 0,
	  CPCAP_MALFORMED, CPCAP_R_VLAN_DEPTH, 0, 0, NULL, NULL, -1, -1, -1,
	  CPCAP_TUN_NONE, 0 },
	{ "ipv6-ext-past-payload", 229, IP6("0008", "00") "3b ff 000000000000",
	  0, CPCAP_MALFORMED, CPCAP_R_IPV6_EXT, 6, 0, "fe80::1", "fe80::2",
	  -1, -1, -1, CPCAP_TUN_NONE, 0 },
	{ "unknown-linktype", 147, "0102030405", 0, CPCAP_UNSUPPORTED,
	  CPCAP_R_LINKTYPE, 0, 0, NULL, NULL, -1, -1, -1, CPCAP_TUN_NONE, 0 },
};

START_TEST(test_decode)
{
	const struct dcase *tc = &dcases[_i];
	uint8_t *buf = malloc(4096);
	size_t n;
	struct cpcap_pkt p;
	char a[64];

	ck_assert_ptr_nonnull(buf);
	n = unhex(tc->hex, buf, 4096);
	/* Exactly n bytes: ASan catches any read past the frame. */
	buf = realloc(buf, n > 0 ? n : 1);
	cpcap_decode(tc->dlt, buf, n, tc->wirelen ? tc->wirelen : n, &p);
	ck_assert_msg(p.status == tc->status, "%s: status %s, want %s",
	    tc->name, cpcap_status_name(p.status),
	    cpcap_status_name(tc->status));
	ck_assert_msg(p.reason == tc->reason, "%s: reason %s, want %s",
	    tc->name, cpcap_reason_name(p.reason),
	    cpcap_reason_name(tc->reason));
	ck_assert_uint_eq(p.t.af, tc->af);
	if (tc->af != 0) {
		ck_assert_uint_eq(p.t.proto, tc->proto);
		ck_assert_str_eq(cpcap_addr_str(p.t.af, p.t.src, a,
		    sizeof(a)), tc->src);
		ck_assert_str_eq(cpcap_addr_str(p.t.af, p.t.dst, a,
		    sizeof(a)), tc->dst);
	}
	if (tc->sport >= 0 && tc->proto != 1) {
		ck_assert_msg(p.t.has_ports, "%s: no ports", tc->name);
		ck_assert_int_eq(p.t.sport, tc->sport);
		ck_assert_int_eq(p.t.dport, tc->dport);
	} else if (tc->sport < 0)
		ck_assert_msg(!p.l4_ok, "%s: L4 read", tc->name);
	if (tc->seglen >= 0)
		ck_assert_int_eq((int)p.seglen, tc->seglen);
	ck_assert_int_eq(p.tunnel, tc->tunnel);
	ck_assert_uint_eq(p.vni, tc->vni);
	free(buf);
}
END_TEST

/* Option values and the quoted header, beyond what the table checks. */
/* IPv4 is formatted by hand: inet_ntop is the oracle, every byte value
   in every position, and a buffer too short for the longest address. */
START_TEST(test_addr_str)
{
	uint8_t ad[4];
	char got[64], want[64], tiny[8];
	int pos, v;

	for (pos = 0; pos < 4; pos++)
		for (v = 0; v < 256; v++) {
			memset(ad, pos == 0 ? 7 : 255, sizeof(ad));
			ad[pos] = (uint8_t)v;
			ck_assert_ptr_nonnull(inet_ntop(AF_INET, ad, want,
			    sizeof(want)));
			ck_assert_str_eq(cpcap_addr_str(4, ad, got,
			    sizeof(got)), want);
		}
	memset(ad, 255, sizeof(ad));
	ck_assert_str_eq(cpcap_addr_str(4, ad, got, 16), "255.255.255.255");
	ck_assert_str_eq(cpcap_addr_str(4, ad, tiny, sizeof(tiny)), "");
}
END_TEST

START_TEST(test_tcp_options)
{
	uint8_t buf[128];
	size_t n = unhex(IP4("003c", "06") "04d2 0050 00000001 00000000 "
	    "a012 ffff 0000 0000 020405b4 01 030307 0402 080a0000000a0000000b",
	    buf, sizeof(buf));
	struct cpcap_pkt p;

	cpcap_decode(12, buf, n, n, &p);
	ck_assert_int_eq(p.status, CPCAP_OK);
	ck_assert_uint_eq(p.tcp_opts, CPCAP_TCPOPT_MSS | CPCAP_TCPOPT_WS |
	    CPCAP_TCPOPT_SACKOK | CPCAP_TCPOPT_TS);
	ck_assert_uint_eq(p.mss, 1460);
	ck_assert_uint_eq(p.wscale, 7);
	ck_assert_uint_eq(p.tsval, 10);
	ck_assert_uint_eq(p.tsecr, 11);
	ck_assert_uint_eq(p.tcp_flags, 0x012);
	ck_assert_uint_eq(p.seglen, 0);
}
END_TEST

/*
 * The options' fingerprint: the same bytes give the same one, a SACK
 * block one byte apart another, no options 0.
 */
START_TEST(test_tcp_options_fp)
{
	static const char *const ack[] = {
		IP4("0034", "06") "04d2 0050 00000001 00000064 8010 ffff 0000 "
		    "0000 0101 080a0000000a0000000b",
		IP4("0040", "06") "04d2 0050 00000001 00000064 b010 ffff 0000 "
		    "0000 0101 080a0000000a0000000b 0101 050a 000000c8 000001f4",
		IP4("0040", "06") "04d2 0050 00000001 00000064 b010 ffff 0000 "
		    "0000 0101 080a0000000a0000000b 0101 050a 000000c8 000001f5",
		IP4("0028", "06") "04d2 0050 00000001 00000064 5010 ffff 0000 "
		    "0000",
	};
	uint32_t fp[4];
	uint8_t buf[128];
	struct cpcap_pkt p;
	size_t i, n;

	for (i = 0; i < 4; i++) {
		n = unhex(ack[i], buf, sizeof(buf));
		cpcap_decode(12, buf, n, n, &p);
		ck_assert_int_eq(p.status, CPCAP_OK);
		ck_assert_uint_eq(p.tsval, i < 3 ? 10 : 0);
		fp[i] = p.opts_fp;
		cpcap_decode(12, buf, n, n, &p);
		ck_assert_uint_eq(p.opts_fp, fp[i]);
	}
	ck_assert_uint_ne(fp[0], 0);
	ck_assert_uint_ne(fp[0], fp[1]);
	ck_assert_uint_ne(fp[1], fp[2]);
	ck_assert_uint_eq(fp[3], 0);
}
END_TEST

/* What the decoder says of fragments, for cpcap_frag.c. */
static const struct {
	const char	*name, *hex;
	bool		 frag, first, more;
	uint32_t	 id, off, len;
} fcases[] = {
	{ "ipv4-first", "45 00 0024 0007 2000 40 11 0000 0a000001 "
	  "0a000002 " UDP("0fa8") "0000000000000000", true, true, true, 7, 0,
	  16 },
	{ "ipv4-middle", "45 00 0024 0007 20b9 40 11 0000 0a000001 "
	  "0a000002 0000000000000000 0000000000000000", true, false, true, 7,
	  1480, 16 },
	{ "ipv4-last", "45 00 001c 0007 0172 40 11 0000 0a000001 "
	  "0a000002 0000000000000000", true, false, false, 7, 2960, 8 },
	{ "ipv4-df-whole", IP4("001c", "11") UDP("0008"), false, true,
	  false, 1, 0, 0 },
	/* IPv6: hop-by-hop, fragment header (offset 1448, more), data */
	{ "ipv6-middle", IP6("0020", "00") "2c 00 01 04 00000000 "
	  "11 00 05a9 7251f826 0000000000000000 0000000000000000", true,
	  false, true, 0x7251f826, 1448, 16 },
	/* an atomic fragment (RFC 6946) is a whole datagram */
	{ "ipv6-atomic", IP6("0018", "2c") "11 00 0000 00000005 "
	  UDP("0010") "0000000000000000", false, true, false, 5, 0, 16 },
};

START_TEST(test_fragments)
{
	uint8_t buf[256];
	size_t n = unhex(fcases[_i].hex, buf, sizeof(buf));
	struct cpcap_pkt p;

	cpcap_decode(12, buf, n, n, &p);
	ck_assert_msg(p.status == CPCAP_OK, "%s: status %d", fcases[_i].name,
	    p.status);
	ck_assert_msg(p.frag == fcases[_i].frag &&
	    p.frag_first == fcases[_i].first &&
	    p.frag_more == fcases[_i].more, "%s: frag %d first %d more %d",
	    fcases[_i].name, p.frag, p.frag_first, p.frag_more);
	if (!p.frag)
		return;
	ck_assert_msg(p.frag_id == fcases[_i].id &&
	    p.frag_off == fcases[_i].off && p.frag_len == fcases[_i].len,
	    "%s: id %u off %u len %u", fcases[_i].name, p.frag_id,
	    p.frag_off, p.frag_len);
	ck_assert_msg(!p.frag_cut, "%s: whole, but cut", fcases[_i].name);
	/* Four bytes short of the wire: cut by the snapshot length. */
	cpcap_decode(12, buf, n - 4, n, &p);
	ck_assert_msg(p.frag && p.frag_cut && p.frag_len == fcases[_i].len &&
	    p.frag_first == fcases[_i].first, "%s: cut: frag %d cut %d",
	    fcases[_i].name, p.frag, p.frag_cut);
}
END_TEST

START_TEST(test_icmp_quotes)
{
	uint8_t buf[256];
	char a[64];
	struct cpcap_pkt p;
	size_t n;

	/* ICMPv4 fragmentation needed, MTU 1400, quoting TCP */
	n = unhex(IP4("0038", "01") "03 04 0000 0000 0578 "
	    "45 00 05dc 0001 4000 40 06 0000 0a000002 0a000001 "
	    "0050 04d2 00000001", buf, sizeof(buf));
	cpcap_decode(12, buf, n, n, &p);
	ck_assert_int_eq(p.status, CPCAP_OK);
	ck_assert(p.icmp_error);
	ck_assert_uint_eq(p.icmp_mtu, 1400);
	ck_assert_uint_eq(p.quote.proto, 6);
	ck_assert(p.quote.has_ports);
	ck_assert_uint_eq(p.quote.sport, 80);
	ck_assert_uint_eq(p.quote.dport, 1234);
	ck_assert_str_eq(cpcap_addr_str(4, p.quote.src, a, sizeof(a)),
	    "10.0.0.2");
	/* ICMPv6 packet too big, MTU 1280, quoting UDP */
	n = unhex(IP6("0038", "3a") "02 00 0000 00000500 "
	    IP6("0008", "11") UDP("0008"), buf, sizeof(buf));
	cpcap_decode(229, buf, n, n, &p);
	ck_assert_int_eq(p.status, CPCAP_OK);
	ck_assert(p.icmp_error);
	ck_assert_uint_eq(p.icmp_mtu, 1280);
	ck_assert_uint_eq(p.quote.af, 6);
	ck_assert_uint_eq(p.quote.dport, 53);
	/* quote cut short: the ICMP header is still good */
	n = unhex(IP4("0024", "01") "03 03 0000 00000000 45000030",
	    buf, sizeof(buf));
	cpcap_decode(12, buf, n, n, &p);
	ck_assert_int_eq(p.status, CPCAP_TRUNCATED);
	ck_assert_int_eq(p.reason, CPCAP_R_ICMP_QUOTE);
	ck_assert(p.l4_ok);
	ck_assert_uint_eq(p.quote.af, 0);
}
END_TEST

/*
 * Every prefix of every table frame: shorter captures must decode
 * without reading past the end (ASan) and never claim more than they
 * have.
 */
START_TEST(test_all_prefixes)
{
	size_t i, n, k;
	uint8_t full[512], *cut;
	struct cpcap_pkt p;

	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		n = unhex(dcases[i].hex, full, sizeof(full));
		for (k = 0; k < n; k++) {
			cut = malloc(k > 0 ? k : 1);
			ck_assert_ptr_nonnull(cut);
			memcpy(cut, full, k);
			cpcap_decode(dcases[i].dlt, cut, k, n, &p);
			ck_assert(p.payload_caplen <= k);
			if (p.payload != NULL)
				ck_assert(p.payload >= cut &&
				    p.payload + p.payload_caplen <= cut + k);
			free(cut);
		}
	}
}
END_TEST

/* The reader: prefix put back, filter compiled for the link type. */
START_TEST(test_reader_prefix_filter)
{
	const char *sd = getenv("SHARED_DATA");
	char path[1024], eb[CILKIT_ERRBUF_SIZE];
	unsigned char magic[4];
	struct cpcap_reader *r;
	struct cpcap_frame f;
	FILE *fp;
	int n = 0, rc;

	if (sd == NULL)
		return;
	snprintf(path, sizeof(path), "%s/pcap/zeek/pop3.pcap", sd);
	fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fread(magic, 1, 4, fp), 4);
	r = cpcap_reader_open(fp, "pop3", magic, 4, eb, sizeof(eb));
	ck_assert_msg(r != NULL, "%s", eb);
	ck_assert_int_eq(cpcap_reader_dlt(r), 1);
	ck_assert_str_eq(cpcap_reader_format(r), "pcap");
	ck_assert_int_eq(cpcap_reader_set_filter(r, "tcp[tcpflags] & "
	    "tcp-rst != 0", eb, sizeof(eb)), 0);
	while ((rc = cpcap_reader_next(r, &f, eb, sizeof(eb))) == 1)
		n++;
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(n, 6);	/* tshark -Y tcp.flags.reset==1 */
	ck_assert_uint_eq(cpcap_reader_count(r), 125);
	ck_assert_int_eq(cpcap_reader_set_filter(r, "port nope", eb,
	    sizeof(eb)), CILKIT_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb, "filter 'port nope'"));
	cpcap_reader_free(r);

	/* A damaged file: refused with libpcap's reason and the name. */
	snprintf(path, sizeof(path),
	    "%s/pcap/libpcap/pcap-invalid-version-1.pcap", sd);
	r = cpcap_reader_open_path(path, eb, sizeof(eb));
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(eb, "pcap-invalid-version-1.pcap"));
	r = cpcap_reader_open_path("/nonexistent.pcap", eb, sizeof(eb));
	ck_assert_ptr_null(r);
}
END_TEST

/* Count the records of a reader opened on fp after its first 4 bytes. */
static int
count_after_magic(FILE *fp, const char *name)
{
	char eb[CILKIT_ERRBUF_SIZE];
	unsigned char magic[4];
	struct cpcap_reader *r;
	struct cpcap_frame f;
	int n = 0, rc;

	ck_assert_uint_eq(fread(magic, 1, 4, fp), 4);
	r = cpcap_reader_open(fp, name, magic, 4, eb, sizeof(eb));
	ck_assert_msg(r != NULL, "%s", eb);
	while ((rc = cpcap_reader_next(r, &f, eb, sizeof(eb))) == 1)
		n++;
	ck_assert_msg(rc == 0, "%s", eb);
	cpcap_reader_free(r);
	return n;
}

/*
 * The prefix put back three ways: a file is read again from where the
 * capture starts (here 1000 bytes in, as on a stdin positioned there),
 * a stream that cannot seek (memory, a pipe) gets the bytes stitched
 * in front.  All see the same 125 records.
 */
START_TEST(test_reader_prefix_offset)
{
	const char *sd = getenv("SHARED_DATA");
	char path[1024], tmpl[] = "/tmp/check_cpcap_offsetXXXXXX";
	static char buf[1 << 20];
	size_t len;
	FILE *fp, *tf;
	int fd;

	if (sd == NULL)
		return;
	snprintf(path, sizeof(path), "%s/pcap/zeek/pop3.pcap", sd);
	fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_lt(len, sizeof(buf));

	fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	tf = fdopen(fd, "w+b");
	ck_assert_ptr_nonnull(tf);
	for (size_t i = 0; i < 1000; i++)
		fputc(0xa1, tf);	/* looks like a magic, is not one */
	ck_assert_uint_eq(fwrite(buf, 1, len, tf), len);
	ck_assert_int_eq(fflush(tf), 0);
	ck_assert_int_eq(fseek(tf, 1000, SEEK_SET), 0);
	unlink(tmpl);
	ck_assert_int_eq(count_after_magic(tf, "offset"), 125);

	fp = fmemopen(buf, len, "rb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(count_after_magic(fp, "memory"), 125);
}
END_TEST

/* Every shared capture decodes packet by packet without a crash. */
START_TEST(test_shared_captures)
{
	static const char *const files[] = {
		"tcpdump/802.1ad_QinQ.pcap", "tcpdump/bigtcp-ipv4.pcap",
		"tcpdump/geneve.pcap", "tcpdump/gso-ipv4-vxlan-ipv4.pcap",
		"tcpdump/icmpv6.pcap", "tcpdump/tcp-handshake-nano.pcap",
		"tcpdump/tcp_rst_data-trunc.pcap", "tcpdump/vxlan_port_8472.pcap",
		"zeek/ip4-trunc.pcap", "zeek/trunc-hdr.pcap",
		"zeek/truncated-header.pcap", "zeek/linux_dlt_sll2.pcap",
		"zeek/pcapng-multi-interface.pcapng", "zeek/wikipedia.pcap",
		"zeek/icmp-destunreach-ip.pcap", "other/simple_http_sll2.pcap",
	};
	const char *sd = getenv("SHARED_DATA");
	char path[1024], eb[CILKIT_ERRBUF_SIZE];
	struct cpcap_reader *r;
	struct cpcap_frame f;
	struct cpcap_pkt p;
	size_t i;
	uint64_t trunc = 0, ok = 0;

	if (sd == NULL)
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/pcap/%s", sd, files[i]);
		r = cpcap_reader_open_path(path, eb, sizeof(eb));
		ck_assert_msg(r != NULL, "%s", eb);
		while (cpcap_reader_next(r, &f, eb, sizeof(eb)) == 1) {
			cpcap_decode(cpcap_reader_dlt(r), f.data, f.caplen,
			    f.wirelen, &p);
			if (p.status == CPCAP_TRUNCATED)
				trunc++;
			else if (p.status == CPCAP_OK)
				ok++;
		}
		cpcap_reader_free(r);
	}
	ck_assert_uint_gt(ok, 200);
	/* ip4-trunc, trunc-hdr and truncated-header are cut by snaplen */
	ck_assert_uint_gt(trunc, 2);
}
END_TEST

/*
 * The fast path for plain IPv4/TCP against the general path, field by
 * field (the whole record, which both start by clearing): every frame
 * of every shared capture, then a TCP frame with options mutated at
 * random in its headers and cut at random lengths.
 */
/*
 * The struct cpcap_decode_into() reuses, as a ring slot is: it holds
 * whatever frame was decoded before, of any kind.
 */
static struct cpcap_pkt reused;

static void
same_both_ways(int dlt, const uint8_t *d, size_t caplen, size_t wirelen)
{
	struct cpcap_pkt a, b;

	cpcap_decode(dlt, d, caplen, wirelen, &a);
	cpcap_decode_general(dlt, d, caplen, wirelen, &b);
	ck_assert_msg(memcmp(&a, &b, sizeof(a)) == 0,
	    "fast and general decode differ (dlt %d, caplen %zu, status "
	    "%d/%d, reason %d/%d, seglen %u/%u)", dlt, caplen, a.status,
	    b.status, a.reason, b.reason, a.seglen, b.seglen);
	/* And into a struct that held the frame before. */
	cpcap_decode_into(dlt, d, caplen, wirelen, &reused);
	ck_assert_msg(memcmp(&a, &reused, sizeof(a)) == 0,
	    "decode into a reused struct differs (dlt %d, caplen %zu)", dlt,
	    caplen);
}

/*
 * Every capture of the shared pcap folders that opens (some are damaged
 * on purpose), to fn with an open reader; nothing without SHARED_DATA.
 */
static void
each_capture(void (*fn)(struct cpcap_reader *, void *), void *arg)
{
	static const char *const dirs[] = { "tcpdump", "zeek", "other" };
	const char *sd = getenv("SHARED_DATA");
	char path[1024], eb[CILKIT_ERRBUF_SIZE];
	struct cpcap_reader *r;
	struct dirent *de;
	size_t i, l;
	DIR *dp;

	if (sd == NULL)
		return;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/pcap/%s", sd, dirs[i]);
		if ((dp = opendir(path)) == NULL)
			continue;
		while ((de = readdir(dp)) != NULL) {
			l = strlen(de->d_name);
			if (!(l > 5 && strcmp(de->d_name + l - 5, ".pcap") == 0) &&
			    !(l > 7 && strcmp(de->d_name + l - 7, ".pcapng") == 0))
				continue;
			snprintf(path, sizeof(path), "%s/pcap/%s/%s", sd,
			    dirs[i], de->d_name);
			if ((r = cpcap_reader_open_path(path, eb,
			    sizeof(eb))) == NULL)
				continue;
			fn(r, arg);
			cpcap_reader_free(r);
		}
		closedir(dp);
	}
}

/* Every frame both ways; counts the IPv4/TCP ones into *arg. */
static void
fast_path_frames(struct cpcap_reader *r, void *arg)
{
	char eb[CILKIT_ERRBUF_SIZE];
	struct cpcap_frame f;
	struct cpcap_pkt p;
	uint64_t *tcp4 = arg;

	while (cpcap_reader_next(r, &f, eb, sizeof(eb)) == 1) {
		same_both_ways(cpcap_reader_dlt(r), f.data, f.caplen,
		    f.wirelen);
		cpcap_decode(cpcap_reader_dlt(r), f.data, f.caplen, f.wirelen,
		    &p);
		if (p.t.af == 4 && p.t.proto == 6 && p.l4_ok)
			(*tcp4)++;
	}
}

START_TEST(test_fast_path_captures)
{
	uint64_t tcp4 = 0;

	if (getenv("SHARED_DATA") == NULL)
		return;
	each_capture(fast_path_frames, &tcp4);
	ck_assert_uint_gt(tcp4, 2000);
}
END_TEST

/*
 * cpcap_decode_into() after every other kind of frame: the first frames
 * of every shared capture (VLAN, SLL2, ICMP errors, VXLAN, Geneve,
 * IPv6, fragments, damaged ones), each decoded into a struct that holds
 * each of the others, against a fresh decode.
 */
#define PAIR_FRAMES	6

struct kept_frame {
	int	 dlt;
	size_t	 caplen, wirelen;
	uint8_t	*data;
};

struct kept_frames {
	struct kept_frame *v;
	size_t		 n;
};

/* The first PAIR_FRAMES frames of a capture, copied into *arg. */
static void
keep_frames(struct cpcap_reader *r, void *arg)
{
	struct kept_frames *k = arg;
	char eb[CILKIT_ERRBUF_SIZE];
	struct cpcap_frame f;
	size_t taken;

	for (taken = 0; taken < PAIR_FRAMES &&
	    cpcap_reader_next(r, &f, eb, sizeof(eb)) == 1; taken++) {
		k->v = realloc(k->v, (k->n + 1) * sizeof(*k->v));
		ck_assert_ptr_nonnull(k->v);
		k->v[k->n].dlt = cpcap_reader_dlt(r);
		k->v[k->n].caplen = f.caplen;
		k->v[k->n].wirelen = f.wirelen;
		k->v[k->n].data = malloc(f.caplen + 1);
		ck_assert_ptr_nonnull(k->v[k->n].data);
		memcpy(k->v[k->n].data, f.data, f.caplen);
		k->n++;
	}
}

/*
 * A frame from the reader: decoded as cpcap_decode() does it, with where
 * it was seen (its pcapng interface and direction) carried into pkt.
 */
START_TEST(test_decode_frame)
{
	/* raw IPv4/UDP 10.0.0.1:1000 -> 10.0.0.2:53 */
	static const uint8_t raw_udp[28] = {
		0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1,
		10, 0, 0, 2, 0x03, 0xe8, 0, 53, 0, 8, 0, 0,
	};
	struct cpcap_frame f = { .ts_ns = 1, .caplen = 28, .wirelen = 28,
	    .data = raw_udp, .dlt = 12, .capif = 3,
	    .capdir = CPCAP_DIR_OUT };
	struct cpcap_pkt want, got;

	memset(&got, 0, sizeof(got));
	cpcap_decode(12, raw_udp, sizeof(raw_udp), sizeof(raw_udp), &want);
	cpcap_decode_frame(&f, &got);
	ck_assert_uint_eq(want.capif, 0);
	ck_assert_uint_eq(want.capdir, CPCAP_DIR_UNKNOWN);
	ck_assert_uint_eq(got.capif, 3);
	ck_assert_uint_eq(got.capdir, CPCAP_DIR_OUT);
	ck_assert_uint_eq(got.t.dport, 53);
	got.capif = 0;
	got.capdir = CPCAP_DIR_UNKNOWN;
	ck_assert(memcmp(&want, &got, sizeof(want)) == 0);
}
END_TEST

START_TEST(test_decode_into_pairs)
{
	struct kept_frames k = { NULL, 0 };
	struct kept_frame *x, *y;
	struct cpcap_pkt fresh, into;
	size_t i, j;

	if (getenv("SHARED_DATA") == NULL)
		return;
	each_capture(keep_frames, &k);
	ck_assert_uint_gt(k.n, 100);
	for (i = 0; i < k.n; i++) {
		x = &k.v[i];
		cpcap_decode(x->dlt, x->data, x->caplen, x->wirelen, &fresh);
		for (j = 0; j < k.n; j++) {
			y = &k.v[j];
			cpcap_decode(y->dlt, y->data, y->caplen, y->wirelen,
			    &into);
			cpcap_decode_into(x->dlt, x->data, x->caplen,
			    x->wirelen, &into);
			ck_assert_msg(memcmp(&fresh, &into, sizeof(fresh)) == 0,
			    "frame %zu decoded after frame %zu differs", i, j);
		}
	}
	for (i = 0; i < k.n; i++)
		free(k.v[i].data);
	free(k.v);
}
END_TEST

START_TEST(test_fast_path_mutated)
{
	/* Ethernet, IPv4 (total 80), TCP with MSS, SACK-ok, TS, NOP, WS */
	static const char hex[] =
	    "020000000002" "020000000001" "0800"
	    "45000050" "1c460000" "4006" "0000" "0a000105" "0a000264"
	    "a8b21f90" "00000065" "000001f5" "a018" "faf0" "00000000"
	    "020405b4" "0402080a" "0001e240" "00000000" "01030307"
	    "68656c6c6f20776f726c6421212121212121212121";
	uint8_t base[128], f[128];
	size_t n = unhex(hex, base, sizeof(base)), caplen;
	uint64_t x = 0x9E3779B97F4A7C15ull;
	int i, k;

	ck_assert_uint_eq(n, 95);	/* one byte of padding */
	same_both_ways(1, base, n, n);
	for (i = 0; i < 500000; i++) {
		memcpy(f, base, n);
		for (k = 0; k <= (int)(x >> 62); k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* mostly the IPv4 and TCP headers and options */
			f[14 + (x >> 8) % 60] = (uint8_t)(x >> 40);
		}
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		caplen = (x & 3) == 0 ? (size_t)((x >> 20) % (n + 1)) : n;
		same_both_ways(1, f, caplen, (x & 4) ? n : n + 1000);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("cpcap_decode");
	TCase *tc = tcase_create("decode");

	tcase_add_loop_test(tc, test_decode, 0,
	    sizeof(dcases) / sizeof(dcases[0]));
	tcase_add_test(tc, test_addr_str);
	tcase_add_test(tc, test_tcp_options);
	tcase_add_test(tc, test_tcp_options_fp);
	tcase_add_loop_test(tc, test_fragments, 0,
	    (int)(sizeof(fcases) / sizeof(fcases[0])));
	tcase_add_test(tc, test_icmp_quotes);
	tcase_add_test(tc, test_all_prefixes);
	tcase_add_test(tc, test_reader_prefix_filter);
	tcase_add_test(tc, test_reader_prefix_offset);
	tcase_add_test(tc, test_shared_captures);
	tcase_add_test(tc, test_fast_path_captures);
	tcase_add_test(tc, test_fast_path_mutated);
	tcase_add_test(tc, test_decode_into_pairs);
	tcase_add_test(tc, test_decode_frame);
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
