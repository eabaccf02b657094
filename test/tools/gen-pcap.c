/*
 * gen-pcap - write a synthetic TCP capture for benchmarks and load
 * tests: many interleaved connections with handshakes, data, ACKs,
 * retransmissions (RTO and fast), unanswered and refused SYNs, resets
 * and FIN closes.  Deterministic for a given seed.
 *
 * usage: gen-pcap [-c conns] [-n packets] [-p parallel] [-s seed] -o FILE
 *
 * Frames are Ethernet/IPv4/TCP written with a snaplen of 54 bytes (the
 * headers): the wire length includes the payload, as a capture made
 * with `tcpdump -s 54` would, so the file stays small while TCP sees
 * real segment lengths.  Expected counts are printed to stderr.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAP	54
#define MSS	1448

struct conn {
	uint32_t	 idx;		/* connection number */
	int		 kind;		/* K_* */
	uint32_t	 cseq, sseq;	/* next sequence numbers */
	int		 step, nseg;	/* data segments sent / to send */
	int		 phase;
	int		 extra;		/* for retransmission scripts */
	uint64_t	 wait_until;	/* no packet before this time */
};

enum { K_NORMAL, K_UNANSWERED, K_REFUSED, K_RTO, K_FAST, K_RESET };

static FILE *out;
static uint64_t now_ns = UINT64_C(1700000000000000000);
static uint64_t npkts;
static uint64_t exp_retrans, exp_fast, exp_dupack, exp_rst, exp_unans,
    exp_refused;
static uint64_t rng_state;

static uint32_t
rnd(void)
{
	/* xorshift64*: fast, deterministic, good enough for shapes */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * UINT64_C(2685821657736338717)) >> 32);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* One segment; from_client picks the direction. */
static void
emit(const struct conn *c, int from_client, uint8_t flags, uint32_t seq,
    uint32_t ack, uint32_t len, uint16_t win)
{
	uint8_t f[16 + SNAP];
	uint8_t *e = f + 16, *ip = e + 14, *tcp = ip + 20;
	uint8_t cli[4] = { 10, (uint8_t)(1 + (c->idx >> 16)),
	    (uint8_t)(c->idx >> 8), (uint8_t)c->idx };
	uint8_t srv[4] = { 10, 200, 0, (uint8_t)(1 + c->idx % 50) };
	uint16_t cport = (uint16_t)(32768 + c->idx % 28000);

	memset(f, 0, sizeof(f));
	put32le(f, (uint32_t)(now_ns / 1000000000u));
	put32le(f + 4, (uint32_t)(now_ns % 1000000000u / 1000u));
	put32le(f + 8, SNAP);
	put32le(f + 12, SNAP + len);
	memcpy(e, from_client ? "\x02\0\0\0\0\x02" : "\x02\0\0\0\0\x01", 6);
	memcpy(e + 6, from_client ? "\x02\0\0\0\0\x01" : "\x02\0\0\0\0\x02",
	    6);
	put16(e + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(40 + len));
	put16(ip + 4, (uint16_t)npkts);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, from_client ? cli : srv, 4);
	memcpy(ip + 16, from_client ? srv : cli, 4);
	put16(tcp, from_client ? cport : 8080);
	put16(tcp + 2, from_client ? 8080 : cport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 0x50;
	tcp[13] = flags;
	put16(tcp + 14, win);
	fwrite(f, 1, sizeof(f), out);
	npkts++;
}

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

static void
start(struct conn *c, uint32_t idx, int nseg)
{
	uint32_t r = rnd() % 100;

	memset(c, 0, sizeof(*c));
	c->idx = idx;
	c->cseq = rnd();
	c->sseq = rnd();
	c->nseg = nseg;
	c->kind = r < 4 ? K_UNANSWERED : r < 7 ? K_REFUSED : r < 12 ? K_RTO :
	    r < 16 ? K_FAST : r < 21 ? K_RESET : K_NORMAL;
}

/* Emit the connection's next packet; returns 0 when it has ended. */
static int
step(struct conn *c)
{
	uint16_t w = 64000;

	switch (c->phase) {
	case 0:				/* SYN */
		emit(c, 1, SYN, c->cseq, 0, 0, w);
		if (c->kind == K_UNANSWERED) {
			exp_unans++;
			c->phase = 100;
			c->wait_until = now_ns + UINT64_C(1000000000);
			return 1;
		}
		c->phase = 1;
		return 1;
	case 100: case 101:		/* SYN retransmissions, then give up */
		emit(c, 1, SYN, c->cseq, 0, 0, w);
		exp_retrans++;
		c->wait_until = now_ns + UINT64_C(2000000000);
		return ++c->phase < 102;
	case 1:
		if (c->kind == K_REFUSED) {
			emit(c, 0, RST | ACK, 0, c->cseq + 1, 0, 0);
			exp_refused++;
			exp_rst++;
			return 0;
		}
		emit(c, 0, SYN | ACK, c->sseq, c->cseq + 1, 0, w);
		c->cseq++;
		c->sseq++;
		c->phase = 2;
		return 1;
	case 2:
		emit(c, 1, ACK, c->cseq, c->sseq, 0, w);
		c->phase = 3;
		return 1;
	case 3:				/* data from alternating sides */
		if (c->step >= c->nseg) {
			if (c->kind == K_RESET) {
				emit(c, 0, RST | ACK, c->sseq, c->cseq, 0, 0);
				exp_rst++;
				return 0;
			}
			emit(c, 1, FIN | ACK, c->cseq, c->sseq, 0, w);
			c->phase = 5;
			return 1;
		}
		if (c->kind == K_RTO && c->step == c->nseg / 2 &&
		    c->extra == 0) {
			/* the segment is "lost": resent after 200 ms */
			emit(c, 0, PSH | ACK, c->sseq, c->cseq, MSS, w);
			c->extra = 1;
			c->wait_until = now_ns + UINT64_C(200000000);
			return 1;
		}
		if (c->extra == 1) {
			emit(c, 0, PSH | ACK, c->sseq, c->cseq, MSS, w);
			exp_retrans++;
			c->extra = 2;
			c->sseq += MSS;
			c->phase = 4;
			return 1;
		}
		if (c->kind == K_FAST && c->step == c->nseg / 2 &&
		    c->extra == 0) {
			/* seg A lost, B C D arrive, 3 dup ACKs, A again */
			c->extra = 10;
		}
		if (c->extra >= 10 && c->extra < 20) {
			switch (c->extra++) {
			case 10:	/* A, about to be lost (not sent) */
			case 11: case 12: case 13:	/* B C D */
				emit(c, 0, PSH | ACK, c->sseq + (uint32_t)(
				    c->extra - 11) * MSS, c->cseq, MSS, w);
				return 1;
			case 14:	/* first ACK of the hole */
				emit(c, 1, ACK, c->cseq, c->sseq, 0, w);
				return 1;
			case 15: case 16: case 17:	/* three dup ACKs */
				emit(c, 1, ACK, c->cseq, c->sseq, 0, w);
				exp_dupack++;
				return 1;
			case 18:	/* fast retransmission of A */
				emit(c, 0, PSH | ACK, c->sseq, c->cseq, MSS,
				    w);
				exp_retrans++;
				exp_fast++;
				return 1;
			case 19:
				c->sseq += 4 * MSS;
				emit(c, 1, ACK, c->cseq, c->sseq, 0, w);
				c->step += 4;
				c->extra = 20;
				return 1;
			}
		}
		if (c->step % 2 == 0) {
			emit(c, 1, PSH | ACK, c->cseq, c->sseq, 200, w);
			c->cseq += 200;
		} else {
			emit(c, 0, PSH | ACK, c->sseq, c->cseq, MSS, w);
			c->sseq += MSS;
		}
		c->step++;
		c->phase = 4;
		return 1;
	case 4:				/* the ACK of the last segment */
		if (c->step % 2 == 1)
			emit(c, 0, ACK, c->sseq, c->cseq, 0, w);
		else
			emit(c, 1, ACK, c->cseq, c->sseq, 0, w);
		c->phase = 3;
		return 1;
	case 5:
		emit(c, 0, FIN | ACK, c->sseq, c->cseq + 1, 0, w);
		c->phase = 6;
		return 1;
	default:
		emit(c, 1, ACK, c->cseq + 1, c->sseq + 1, 0, w);
		return 0;
	}
}

int
main(int argc, char **argv)
{
	uint64_t packets = 5000000, conns = 100000, started = 0, ended = 0;
	uint64_t parallel = 2000, seed = 1, i;
	const char *path = NULL;
	struct conn *live;
	uint8_t hdr[24];
	int ch, nseg;
	static char buf[1 << 20];

	while ((ch = getopt(argc, argv, "c:n:o:p:s:")) != -1) {
		switch (ch) {
		case 'c': conns = strtoull(optarg, NULL, 10); break;
		case 'n': packets = strtoull(optarg, NULL, 10); break;
		case 'o': path = optarg; break;
		case 'p': parallel = strtoull(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: gen-pcap [-c conns] "
			    "[-n packets] [-p parallel] [-s seed] -o FILE\n");
			return 2;
		}
	}
	if (path == NULL || conns == 0 || parallel == 0) {
		fprintf(stderr, "gen-pcap: -o FILE is required\n");
		return 2;
	}
	if (parallel > conns)
		parallel = conns;
	rng_state = seed * UINT64_C(0x9E3779B97F4A7C15) | 1;
	/* data segments per connection so that the total comes out near
	 * the packet target or above: ~2 packets per data segment, 7 around
	 * it, and the failed connections are shorter */
	nseg = packets / conns > 9 ? (int)((packets / conns - 7) / 2) + 3 : 1;
	if ((out = fopen(path, "wb")) == NULL) {
		perror(path);
		return 1;
	}
	setvbuf(out, buf, _IOFBF, sizeof(buf));
	memset(hdr, 0, sizeof(hdr));
	put32le(hdr, 0xa1b2c3d4);
	hdr[4] = 2;
	hdr[6] = 4;
	put32le(hdr + 16, SNAP);
	put32le(hdr + 20, 1);
	fwrite(hdr, 1, sizeof(hdr), out);
	if ((live = calloc(parallel, sizeof(*live))) == NULL)
		return 1;
	for (i = 0; i < parallel; i++)
		start(&live[i], (uint32_t)started++, nseg);
	while (ended < conns) {
		struct conn *c = &live[rnd() % parallel];

		now_ns += 10000;	/* 10 us between packets */
		if (c->idx == UINT32_MAX || c->wait_until > now_ns)
			continue;
		if (!step(c)) {
			ended++;
			if (started < conns)
				start(c, (uint32_t)started++, nseg);
			else
				c->idx = UINT32_MAX;
		}
	}
	if (fclose(out) != 0) {
		perror(path);
		return 1;
	}
	fprintf(stderr, "gen-pcap: %llu packets, %llu connections: "
	    "retransmissions %llu (fast %llu), dup ACKs %llu, resets %llu, "
	    "unanswered %llu, refused %llu\n", (unsigned long long)npkts,
	    (unsigned long long)conns, (unsigned long long)exp_retrans,
	    (unsigned long long)exp_fast, (unsigned long long)exp_dupack,
	    (unsigned long long)exp_rst, (unsigned long long)exp_unans,
	    (unsigned long long)exp_refused);
	free(live);
	return 0;
}
