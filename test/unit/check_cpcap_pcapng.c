/*
 * check_cpcap_pcapng.c - the pcapng reader (cpcap_pcapng.c), on files
 * built here block by block: both byte orders, each packet block kind,
 * timestamp resolutions and offsets, skipped blocks, a second section,
 * each packet's interface and direction, and every kind of damage (with
 * the packets before it kept).  Then the capture reader with it: several
 * link types from a file and from a pipe, with a filter, the fallback
 * when libpcap (CILKIT_PCAP_LIBPCAP) refused such a file, a pipe that
 * went too far for it, and several interfaces merged into time order.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cilkit.h"
#include "cpcap_pcapng.h"
#include "cpcap_read.h"

/* A pcapng file being built, in one byte order. */
struct ng {
	uint8_t	*p;
	size_t	 n, cap;
	bool	 be;
	size_t	 blk;		/* start of the open block */
};

static void
put(struct ng *g, const void *v, size_t n)
{
	if (g->n + n > g->cap) {
		g->cap = (g->n + n) * 2 + 256;
		g->p = realloc(g->p, g->cap);
		ck_assert_ptr_nonnull(g->p);
	}
	memcpy(g->p + g->n, v, n);
	g->n += n;
}

static void
put16(struct ng *g, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	if (g->be) {
		b[0] = (uint8_t)(v >> 8);
		b[1] = (uint8_t)v;
	}
	put(g, b, 2);
}

static void
put32(struct ng *g, uint32_t v)
{
	uint8_t b[4];
	int i;

	for (i = 0; i < 4; i++)
		b[g->be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
	put(g, b, 4);
}

static void
put64(struct ng *g, uint64_t v)
{
	if (g->be) {
		put32(g, (uint32_t)(v >> 32));
		put32(g, (uint32_t)v);
	} else {
		put32(g, (uint32_t)v);
		put32(g, (uint32_t)(v >> 32));
	}
}

static void
pad4(struct ng *g)
{
	static const uint8_t z[4];

	put(g, z, (4 - g->n % 4) % 4);
}

static void
begin(struct ng *g, uint32_t type)
{
	g->blk = g->n;
	put32(g, type);
	put32(g, 0);		/* the length, set by end() */
}

static void
end(struct ng *g)
{
	uint32_t len;
	int i;

	pad4(g);
	len = (uint32_t)(g->n - g->blk + 4);
	put32(g, len);
	for (i = 0; i < 4; i++)
		g->p[g->blk + 4 + (g->be ? 3 - i : i)] =
		    (uint8_t)(len >> (8 * i));
}

static void
shb(struct ng *g)
{
	begin(g, 0x0A0D0D0A);
	put32(g, 0x1A2B3C4D);
	put16(g, 1);
	put16(g, 0);
	put64(g, UINT64_MAX);	/* section length not given */
	end(g);
}

/* tsresol < 0: none; tsoffset 0: none. */
static void
idb(struct ng *g, uint16_t linktype, uint32_t snaplen, int tsresol,
    int64_t tsoffset)
{
	begin(g, 1);
	put16(g, linktype);
	put16(g, 0);
	put32(g, snaplen);
	put16(g, 2);		/* if_name, skipped */
	put16(g, 4);
	put(g, "eth0", 4);
	if (tsresol >= 0) {
		uint8_t v = (uint8_t)tsresol;

		put16(g, 9);
		put16(g, 1);
		put(g, &v, 1);
		pad4(g);
	}
	if (tsoffset != 0) {
		put16(g, 14);
		put16(g, 8);
		put64(g, (uint64_t)tsoffset);
	}
	put16(g, 0);
	put16(g, 0);
	end(g);
}

/*
 * An enhanced packet block; flags_len > 0 adds an epb_flags option of
 * that length (4 is the right one) holding flags.
 */
static void
epb_flags(struct ng *g, uint32_t ifid, uint64_t ticks, const void *d,
    uint32_t caplen, uint32_t wirelen, uint16_t flags_len, uint32_t flags)
{
	begin(g, 6);
	put32(g, ifid);
	put32(g, (uint32_t)(ticks >> 32));
	put32(g, (uint32_t)ticks);
	put32(g, caplen);
	put32(g, wirelen);
	put(g, d, caplen);
	pad4(g);
	if (flags_len > 0) {
		put16(g, 1);		/* opt_comment first, skipped */
		put16(g, 3);
		put(g, "hi!", 3);
		pad4(g);
		put16(g, 2);
		put16(g, flags_len);
		put32(g, flags);
		put16(g, 0);
		put16(g, 0);
	}
	end(g);
}

static void
epb(struct ng *g, uint32_t ifid, uint64_t ticks, const void *d,
    uint32_t caplen, uint32_t wirelen)
{
	epb_flags(g, ifid, ticks, d, caplen, wirelen, 0, 0);
}

/* An Ethernet/IPv4/UDP frame 10.0.0.1:1000 -> 10.0.0.2:53 (42 bytes). */
static const uint8_t eth_udp[42] = {
	2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
	0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x03, 0xe8, 0, 53, 0, 8, 0, 0,
};
/* The same datagram as raw IPv4 (its Ethernet header left out). */
#define RAW_UDP	(eth_udp + 14)

/* Read the whole buffer: packets into v (n max), the end code back. */
struct got {
	int		 n;
	int		 dlt[16];
	uint64_t	 ts[16];
	uint32_t	 caplen[16], wirelen[16];
	uint8_t		 first[16];
	uint32_t	 capif[16];
	uint8_t		 capdir[16];
	int		 rc;
	char		 err[CILKIT_ERRBUF_SIZE];
};

static void
read_all(const struct ng *b, struct got *out)
{
	FILE *fp = fmemopen(b->p, b->n, "rb");
	struct cpcap_pcapng *g;
	struct cpcap_frame f;

	memset(out, 0, sizeof(*out));
	ck_assert_ptr_nonnull(fp);
	g = cpcap_pcapng_open(fp, "t.pcapng");
	ck_assert_ptr_nonnull(g);
	while ((out->rc = cpcap_pcapng_next(g, &f, out->err,
	    sizeof(out->err))) == 1) {
		if (out->n < 16) {
			out->dlt[out->n] = f.dlt;
			out->ts[out->n] = f.ts_ns;
			out->caplen[out->n] = f.caplen;
			out->wirelen[out->n] = f.wirelen;
			out->first[out->n] = f.caplen > 0 ? f.data[0] : 0;
			out->capif[out->n] = f.capif;
			out->capdir[out->n] = f.capdir;
		}
		out->n++;
	}
	cpcap_pcapng_free(g);
}

/* Two interfaces of different link types, in either byte order. */
START_TEST(test_two_link_types)
{
	struct ng b = { .be = _i == 1 };
	struct got r;
	const int *v;
	FILE *fp;
	struct cpcap_pcapng *g;
	struct cpcap_frame f;
	char eb[CILKIT_ERRBUF_SIZE];

	shb(&b);
	idb(&b, 1, 262144, -1, 0);		/* Ethernet, microseconds */
	idb(&b, 101, 65535, 9, 0);		/* LINKTYPE_RAW, nanoseconds */
	begin(&b, 5);				/* statistics: skipped */
	put32(&b, 0);
	put64(&b, 0);
	end(&b);
	epb(&b, 0, 1700000000123456ull, eth_udp, 42, 42);
	epb(&b, 1, 1700000000123456789ull, RAW_UDP, 28, 28);
	/* Cut by the snaplen: the wire length stays. */
	epb(&b, 0, 1700000001000000ull, eth_udp, 34, 60);
	read_all(&b, &r);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_int_eq(r.n, 3);
	ck_assert_int_eq(r.dlt[0], 1);
	ck_assert_int_eq(r.dlt[1], 12);		/* DLT_RAW, as libpcap */
	ck_assert_uint_eq(r.ts[0], 1700000000123456000ull);
	ck_assert_uint_eq(r.ts[1], 1700000000123456789ull);
	ck_assert_uint_eq(r.caplen[1], 28);
	ck_assert_uint_eq(r.first[1], 0x45);
	ck_assert_uint_eq(r.caplen[2], 34);
	ck_assert_uint_eq(r.wirelen[2], 60);

	fp = fmemopen(b.p, b.n, "rb");
	g = cpcap_pcapng_open(fp, "t");
	ck_assert_int_eq(cpcap_pcapng_next(g, &f, eb, sizeof(eb)), 1);
	ck_assert_uint_eq(cpcap_pcapng_dlts(g, &v), 2);
	ck_assert_int_eq(v[0], 1);
	ck_assert_int_eq(v[1], 12);
	cpcap_pcapng_free(g);
	free(b.p);
}
END_TEST

/*
 * Where each packet was seen: its interface, numbered on across
 * sections, once the file has described more than one; the direction in
 * its flags, in either byte order, and unknown when the option is
 * missing or of the wrong length (the packet itself is good).
 */
START_TEST(test_capture_points)
{
	struct ng b = { .be = _i == 1 };
	struct got r;

	shb(&b);
	idb(&b, 1, 262144, -1, 0);
	epb_flags(&b, 0, 1000000, eth_udp, 42, 42, 4, 1);	/* in */
	idb(&b, 1, 262144, -1, 0);
	epb_flags(&b, 0, 2000000, eth_udp, 42, 42, 4, 2);	/* out */
	epb_flags(&b, 1, 3000000, eth_udp, 42, 42, 4, 0x10003);
	epb_flags(&b, 1, 4000000, eth_udp, 42, 42, 2, 1);	/* bad length */
	epb(&b, 1, 5000000, eth_udp, 42, 42);
	shb(&b);
	idb(&b, 1, 262144, -1, 0);
	epb_flags(&b, 0, 6000000, eth_udp, 41, 42, 4, 1);
	read_all(&b, &r);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_int_eq(r.n, 6);
	/* One interface described so far: it tells nothing. */
	ck_assert_uint_eq(r.capif[0], 0);
	ck_assert_uint_eq(r.capdir[0], CPCAP_DIR_IN);
	ck_assert_uint_eq(r.capif[1], 1);
	ck_assert_uint_eq(r.capdir[1], CPCAP_DIR_OUT);
	ck_assert_uint_eq(r.capif[2], 2);
	ck_assert_uint_eq(r.capdir[2], CPCAP_DIR_UNKNOWN);
	ck_assert_uint_eq(r.capif[3], 2);
	ck_assert_uint_eq(r.capdir[3], CPCAP_DIR_UNKNOWN);
	ck_assert_uint_eq(r.capdir[4], CPCAP_DIR_UNKNOWN);
	ck_assert_uint_eq(r.capif[5], 3);
	ck_assert_uint_eq(r.capdir[5], CPCAP_DIR_IN);
	ck_assert_uint_eq(r.caplen[5], 41);
	free(b.p);
}
END_TEST

/* Timestamp resolutions and offsets. */
static const struct tsrow {
	int		 tsresol;
	int64_t		 offset;
	uint64_t	 ticks, want_ns;
} tsrows[] = {
	{ -1, 0, 1500000, 1500000000 },			/* microseconds */
	{ 6, 0, 1500000, 1500000000 },
	{ 3, 0, 1500, 1500000000 },			/* milliseconds */
	{ 9, 0, 1500000000, 1500000000 },
	{ 12, 0, 1500000000000ull, 1500000000 },	/* picoseconds */
	{ 0x80 | 20, 0, (uint64_t)3 << 19, 1500000000 },	/* 2^-20 s */
	{ 0x80 | 0, 0, 2, 2000000000 },			/* whole seconds */
	{ 6, 100, 1500000, 101500000000ull },		/* if_tsoffset */
	{ 6, -10, 1500000, 0 },				/* before 1970 */
	{ 0, 0, UINT64_MAX, UINT64_MAX },		/* saturates */
};

START_TEST(test_timestamps)
{
	const struct tsrow *t = &tsrows[_i];
	struct ng b = { .be = false };
	struct got r;

	shb(&b);
	idb(&b, 1, 0, t->tsresol, t->offset);
	epb(&b, 0, t->ticks, eth_udp, 42, 42);
	read_all(&b, &r);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_int_eq(r.n, 1);
	ck_assert_uint_eq(r.ts[0], t->want_ns);
	free(b.p);
}
END_TEST

/*
 * A simple packet block (interface 0, no time, cut at the snaplen), an
 * obsolete packet block, and a second section whose interfaces are
 * numbered anew.
 */
START_TEST(test_other_blocks)
{
	struct ng b = { .be = false };
	struct got r;

	shb(&b);
	idb(&b, 1, 30, -1, 0);
	begin(&b, 3);			/* SPB */
	put32(&b, 42);
	put(&b, eth_udp, 30);
	end(&b);
	begin(&b, 2);			/* PB */
	put16(&b, 0);
	put16(&b, 0);
	put32(&b, 0);
	put32(&b, 7000000);
	put32(&b, 30);
	put32(&b, 42);
	put(&b, eth_udp, 30);
	end(&b);
	b.be = true;			/* a section in the other order */
	shb(&b);
	idb(&b, 101, 0, -1, 0);
	epb(&b, 0, 5, RAW_UDP, 28, 28);
	read_all(&b, &r);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_int_eq(r.n, 3);
	ck_assert_uint_eq(r.caplen[0], 30);
	ck_assert_uint_eq(r.wirelen[0], 42);
	ck_assert_uint_eq(r.ts[0], 0);
	ck_assert_uint_eq(r.ts[1], 7000000000ull);
	ck_assert_int_eq(r.dlt[2], 12);
	ck_assert_uint_eq(r.ts[2], 5000);
	free(b.p);
}
END_TEST

/*
 * Damage: each row spoils a good file after its first packet; the
 * packet stays, then the error names what and where.
 */
enum spoil {
	S_CUT_HEADER, S_CUT_BODY, S_LEN_ODD, S_LEN_SHORT, S_LEN_HUGE,
	S_TAIL, S_NO_IFACE, S_CAPLEN, S_MAGIC, S_VERSION, S_OPTION,
	S_RESOL, S_NO_SHB,
};

static const struct dmgrow {
	enum spoil	 how;
	int		 npkts;		/* packets before the error */
	int		 err;
	const char	*msg;
} dmgrows[] = {
	{ S_CUT_HEADER, 1, CILKIT_ETRUNC, "cut inside a block header" },
	{ S_CUT_BODY, 1, CILKIT_ETRUNC, "cut inside a block" },
	{ S_LEN_ODD, 1, CILKIT_EINVAL, "not a multiple of 4" },
	{ S_LEN_SHORT, 1, CILKIT_EINVAL, "not a multiple of 4" },
	{ S_LEN_HUGE, 1, CILKIT_EINVAL, "longer than 16 MiB" },
	{ S_TAIL, 1, CILKIT_EINVAL, "trailing length" },
	{ S_NO_IFACE, 1, CILKIT_EINVAL, "interface not described" },
	{ S_CAPLEN, 1, CILKIT_EINVAL, "longer than its block" },
	{ S_MAGIC, 1, CILKIT_EINVAL, "byte-order magic" },
	{ S_VERSION, 1, CILKIT_EINVAL, "major version" },
	{ S_OPTION, 1, CILKIT_EINVAL, "option longer than its block" },
	{ S_RESOL, 1, CILKIT_EINVAL, "resolution out of range" },
	{ S_NO_SHB, 0, CILKIT_EINVAL, "no section header block first" },
};

START_TEST(test_damage)
{
	const struct dmgrow *d = &dmgrows[_i];
	struct ng b = { .be = false };
	struct got r;
	size_t at;

	if (d->how != S_NO_SHB)
		shb(&b);
	idb(&b, 1, 0, -1, 0);
	epb(&b, 0, 1, eth_udp, 42, 42);
	at = b.n;
	switch (d->how) {
	case S_CUT_HEADER:
		epb(&b, 0, 2, eth_udp, 42, 42);
		b.n = at + 5;
		break;
	case S_CUT_BODY:
		epb(&b, 0, 2, eth_udp, 42, 42);
		b.n -= 9;
		break;
	case S_LEN_ODD:
		epb(&b, 0, 2, eth_udp, 42, 42);
		b.p[at + 4] = 0x45;
		break;
	case S_LEN_SHORT:
		epb(&b, 0, 2, eth_udp, 42, 42);
		b.p[at + 4] = 8;
		break;
	case S_LEN_HUGE:
		epb(&b, 0, 2, eth_udp, 42, 42);
		b.p[at + 7] = 0x7f;
		break;
	case S_TAIL:
		epb(&b, 0, 2, eth_udp, 42, 42);
		b.p[b.n - 4]++;
		break;
	case S_NO_IFACE:
		epb(&b, 3, 2, eth_udp, 42, 42);
		break;
	case S_CAPLEN:
		epb(&b, 0, 2, eth_udp, 42, 42);
		b.p[at + 20] = 200;	/* captured length 200 in 44 */
		break;
	case S_MAGIC:
		shb(&b);
		b.p[at + 8] = 0x99;
		break;
	case S_VERSION:
		shb(&b);
		b.p[at + 12] = 2;
		break;
	case S_OPTION:
		idb(&b, 1, 0, 6, 0);
		b.p[at + 18] = 0xff;	/* if_name's length: 255 */
		break;
	case S_RESOL:
		idb(&b, 1, 0, 19, 0);
		break;
	case S_NO_SHB:
		break;
	}
	read_all(&b, &r);
	ck_assert_int_eq(r.n, d->npkts);
	ck_assert_int_eq(r.rc, d->err);
	ck_assert_msg(strstr(r.err, d->msg) != NULL &&
	    strncmp(r.err, "t.pcapng: offset ", 17) == 0,
	    "row %d: %s", _i, r.err);
	free(b.p);
}
END_TEST

/* ---- the capture reader's fallback ---- */

/* A mixed file: Ethernet, raw IPv4, Ethernet again (n more packets). */
static void
mixed(struct ng *b, int more)
{
	int i;

	shb(b);
	idb(b, 1, 262144, -1, 0);
	idb(b, 101, 262144, -1, 0);
	epb(b, 0, 1000000, eth_udp, 42, 42);
	epb(b, 1, 2000000, RAW_UDP, 28, 28);
	for (i = 0; i < more; i++)
		epb(b, 0, 3000000 + (uint64_t)i, eth_udp, 42, 42);
}

static char *
write_tmp(const struct ng *b)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/check_pcapng.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b->p, b->n), (ssize_t)b->n);
	close(fd);
	return path;
}

struct feeder {
	int		 fd;
	const struct ng	*b;
};

static void *
feed(void *arg)
{
	struct feeder *fe = arg;
	size_t off = 0;
	ssize_t w;

	while (off < fe->b->n &&
	    (w = write(fe->fd, fe->b->p + off, fe->b->n - off)) > 0)
		off += (size_t)w;
	close(fe->fd);
	return NULL;
}

/* A capture given to the reader, from a file or through a pipe. */
struct source {
	bool		 pipe_in;
	struct feeder	 fe;
	pthread_t	 tid;
	char		*path;
};

/*
 * Open b with cpcap_reader_open() as the programs do (4 bytes sniffed
 * first), from a file or a pipe (src->pipe_in).
 */
static struct cpcap_reader *
source_open(struct source *src, const struct ng *b, char *eb, size_t el)
{
	unsigned char magic[4];
	struct cpcap_reader *r;
	FILE *fp;
	int fds[2];

	src->path = NULL;
	if (src->pipe_in) {
		ck_assert_int_eq(pipe(fds), 0);
		src->fe.fd = fds[1];
		src->fe.b = b;
		ck_assert_int_eq(pthread_create(&src->tid, NULL, feed,
		    &src->fe), 0);
		fp = fdopen(fds[0], "rb");
	} else {
		src->path = write_tmp(b);
		fp = fopen(src->path, "rb");
	}
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fread(magic, 1, 4, fp), 4);
	r = cpcap_reader_open(fp, "m.pcapng", magic, 4, eb, el);
	ck_assert_ptr_nonnull(r);
	return r;
}

static void
source_close(struct source *src, struct cpcap_reader *r)
{
	cpcap_reader_free(r);
	if (src->pipe_in)
		pthread_join(src->tid, NULL);
	else
		unlink(src->path);
}

/* Read b through the reader (source_open()); counts per link type. */
static int
reader_read(const struct ng *b, bool pipe_in, const char *filter,
    int *n_eth, int *n_raw, char *eb, size_t el)
{
	struct source src = { .pipe_in = pipe_in };
	struct cpcap_reader *r;
	struct cpcap_frame f;
	int rc;

	r = source_open(&src, b, eb, el);
	if (filter != NULL)
		ck_assert_int_eq(cpcap_reader_set_filter(r, filter, eb, el),
		    0);
	*n_eth = *n_raw = 0;
	while ((rc = cpcap_reader_next(r, &f, eb, el)) == 1) {
		if (f.dlt == 1 && f.caplen == 42)
			(*n_eth)++;
		else if (f.dlt == 12 && f.caplen == 28 && f.data[0] == 0x45)
			(*n_raw)++;
		else
			ck_abort_msg("unexpected frame: dlt %d caplen %u",
			    f.dlt, f.caplen);
	}
	if (rc == 0) {
		const int *v;

		ck_assert_uint_eq(cpcap_reader_dlts(r, &v), 2);
		ck_assert_int_eq(v[1], 12);
		ck_assert_int_eq(cpcap_reader_dlt(r), 1);
	}
	source_close(&src, r);
	return rc;
}

/*
 * Mixed link types from a file or a pipe (bit 0), read by cpcap_pcapng.c
 * from the start, or (bit 1) after libpcap refused the second one.
 */
START_TEST(test_reader_fallback)
{
	struct ng b = { .be = false };
	char eb[CILKIT_ERRBUF_SIZE] = "";
	int ne, nr;
	bool pipe_in = (_i & 1) != 0;

	if (_i & 2)
		setenv("CILKIT_PCAP_LIBPCAP", "1", 1);
	mixed(&b, 3);
	ck_assert_msg(reader_read(&b, pipe_in, NULL, &ne, &nr, eb,
	    sizeof(eb)) == 0, "%s", eb);
	ck_assert_int_eq(ne, 4);
	ck_assert_int_eq(nr, 1);
	/* A filter compiled for each link type. */
	ck_assert_msg(reader_read(&b, pipe_in, "udp dst port 53", &ne, &nr,
	    eb, sizeof(eb)) == 0, "%s", eb);
	ck_assert_int_eq(ne, 4);
	ck_assert_int_eq(nr, 1);
	/* One that raw IP cannot have: its packets do not pass. */
	ck_assert_msg(reader_read(&b, pipe_in, "ether host 02:00:00:00:00:01",
	    &ne, &nr, eb, sizeof(eb)) == 0, "%s", eb);
	ck_assert_int_eq(ne, 4);
	ck_assert_int_eq(nr, 0);
	free(b.p);
	unsetenv("CILKIT_PCAP_LIBPCAP");
}
END_TEST

/*
 * The second interface after more than 4 MiB: read whole from a file
 * and from a pipe.  When libpcap read first (CILKIT_PCAP_LIBPCAP), the
 * reader goes back to a file's start; to a pipe's it cannot, says so,
 * and keeps the packets it read.
 */
START_TEST(test_reader_late_interface)
{
	struct ng b = { .be = false };
	char eb[CILKIT_ERRBUF_SIZE] = "";
	int ne, nr, i, many = 100000;	/* 100,000 x 76 bytes: 7.6 MB */

	shb(&b);
	idb(&b, 1, 262144, -1, 0);
	for (i = 0; i < many; i++)
		epb(&b, 0, 1000000 + (uint64_t)i, eth_udp, 42, 42);
	idb(&b, 101, 262144, -1, 0);
	epb(&b, 1, 9000000, RAW_UDP, 28, 28);
	ck_assert_msg(reader_read(&b, false, NULL, &ne, &nr, eb,
	    sizeof(eb)) == 0, "%s", eb);
	ck_assert_int_eq(ne, many);
	ck_assert_int_eq(nr, 1);
	ck_assert_msg(reader_read(&b, true, NULL, &ne, &nr, eb,
	    sizeof(eb)) == 0, "%s", eb);
	ck_assert_int_eq(ne, many);
	ck_assert_int_eq(nr, 1);
	setenv("CILKIT_PCAP_LIBPCAP", "1", 1);
	ck_assert_msg(reader_read(&b, false, NULL, &ne, &nr, eb,
	    sizeof(eb)) == 0, "%s", eb);
	ck_assert_int_eq(ne, many);
	ck_assert_int_eq(nr, 1);
	ck_assert_int_eq(reader_read(&b, true, NULL, &ne, &nr, eb,
	    sizeof(eb)), CILKIT_ETRUNC);
	ck_assert_int_eq(ne, many);
	ck_assert_int_eq(nr, 0);
	ck_assert_msg(strstr(eb, "read from a pipe too far") != NULL, "%s",
	    eb);
	free(b.p);
}
END_TEST

/*
 * dumpcap's runs of one interface, then of the other from the same
 * moments, come out of the reader in time order, from a file (_i 0) or
 * a pipe (_i 1); with libpcap reading (_i 2), in the file's order.  A
 * file cut inside its last block (_i 3) gives the frames before it, in
 * order, then the error.
 */
START_TEST(test_reader_time_order)
{
	static const struct { uint32_t ifc; uint64_t us; } in[] = {
		{ 0, 1000000 }, { 0, 2000000 }, { 0, 3000000 },
		{ 1, 1500000 }, { 1, 2500000 },
		{ 0, 4000000 },
		{ 1, 3500000 },
	};
	struct ng b = { .be = false };
	struct source src = { .pipe_in = _i == 1 };
	char eb[CILKIT_ERRBUF_SIZE] = "";
	struct cpcap_reader *r;
	struct cpcap_frame f;
	uint64_t last = 0;
	int n = 0, back = 0, rc;
	size_t i;

	shb(&b);
	idb(&b, 1, 262144, -1, 0);
	idb(&b, 1, 262144, -1, 0);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		epb(&b, in[i].ifc, in[i].us, eth_udp, 42, 42);
	if (_i == 3)
		b.n -= 10;
	if (_i == 2)
		setenv("CILKIT_PCAP_LIBPCAP", "1", 1);
	r = source_open(&src, &b, eb, sizeof(eb));
	while ((rc = cpcap_reader_next(r, &f, eb, sizeof(eb))) == 1) {
		if (f.ts_ns < last)
			back++;
		last = f.ts_ns;
		/* the half seconds are the second interface's; libpcap
		   gives none */
		ck_assert_uint_eq(f.capif, _i == 2 ? 0 :
		    f.ts_ns % 1000000000u != 0 ? 2 : 1);
		ck_assert_uint_eq(f.caplen, 42);
		n++;
	}
	if (_i == 3) {
		ck_assert_int_eq(rc, CILKIT_ETRUNC);
		ck_assert_msg(strstr(eb, "cut inside a block") != NULL, "%s",
		    eb);
		ck_assert_int_eq(n, 6);
		ck_assert_uint_eq(last, 4000000000u);
	} else {
		ck_assert_msg(rc == 0, "%s", eb);
		ck_assert_int_eq(n, 7);
		ck_assert_uint_eq(cpcap_reader_count(r), 7);
	}
	ck_assert_int_eq(back, _i == 2 ? 2 : 0);
	source_close(&src, r);
	unsetenv("CILKIT_PCAP_LIBPCAP");
	free(b.p);
}
END_TEST

static Suite *
pcapng_suite(void)
{
	Suite *s = suite_create("cpcap_pcapng");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_two_link_types, 0, 2);
	tcase_add_loop_test(tc, test_capture_points, 0, 2);
	tcase_add_loop_test(tc, test_timestamps, 0,
	    sizeof(tsrows) / sizeof(tsrows[0]));
	tcase_add_test(tc, test_other_blocks);
	tcase_add_loop_test(tc, test_damage, 0,
	    sizeof(dmgrows) / sizeof(dmgrows[0]));
	tcase_add_loop_test(tc, test_reader_fallback, 0, 4);
	tcase_add_test(tc, test_reader_late_interface);
	tcase_add_loop_test(tc, test_reader_time_order, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pcapng_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
