/*
 * cpcap_pcapng.c - a pcapng reader that says where each packet was seen
 * (cpcap_pcapng.h).
 *
 * A block is parsed whole in the window of what was read (at most
 * CPCAP_PCAPNG_BLOCK_MAX) after its length was checked, and every field
 * is read from there with the block's body length as the bound, so that
 * a lying length inside the block can only make the block malformed.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "cpcap_pcapng.h"

#define BT_SHB		UINT32_C(0x0A0D0D0A)
#define BT_IDB		1
#define BT_PB		2	/* obsolete packet block */
#define BT_SPB		3
#define BT_EPB		6
#define BO_MAGIC	UINT32_C(0x1A2B3C4D)
/* Bytes read at a time, and the least the window holds. */
#define WINDOW		((size_t)1 << 20)

/* The one file link type whose DLT_ value differs that we decode. */
#define LINKTYPE_RAW	101
#define DLT_RAW_HERE	12	/* DLT_RAW, as libpcap gives it on Linux */

#define OPT_END		0
#define OPT_TSRESOL	9
#define OPT_TSOFFSET	14
#define OPT_EPB_FLAGS	2	/* also the obsolete packet block's */

struct iface {
	int		 dlt;
	uint32_t	 snaplen;
	bool		 binary;	/* resolution 2^-exp, else 10^-exp */
	uint8_t		 exp;
	int64_t		 offset_s;	/* if_tsoffset */
};

struct cpcap_pcapng {
	FILE		*fp;
	char		*name;
	/* what was read of the stream and not parsed yet: [wpos, wlen) */
	uint8_t		*win;
	size_t		 wcap, wpos, wlen;
	bool		 eof;		/* fread() gave nothing more */
	uint64_t	 off;		/* of the next block in the file */
	bool		 section;	/* an SHB was seen */
	bool		 swap;		/* the section's byte order is not ours */
	struct iface	*ifs;
	size_t		 nifs, ifcap;
	/* interfaces of the sections before: capif numbers on from there */
	uint32_t	 ifbase;
	int		*dlts;		/* seen, each once */
	size_t		 ndlts, dltcap;
};

static uint16_t
rd16(const struct cpcap_pcapng *g, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return g->swap ? __builtin_bswap16(v) : v;
}

static uint32_t
rd32(const struct cpcap_pcapng *g, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return g->swap ? __builtin_bswap32(v) : v;
}

struct cpcap_pcapng *
cpcap_pcapng_open(FILE *fp, const char *name)
{
	struct cpcap_pcapng *g;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->name = strdup(name != NULL ? name : "<stdin>")) == NULL) {
		free(g);
		fclose(fp);
		return NULL;
	}
	g->fp = fp;
	return g;
}

void
cpcap_pcapng_free(struct cpcap_pcapng *g)
{
	if (g == NULL)
		return;
	fclose(g->fp);
	free(g->win);
	free(g->ifs);
	free(g->dlts);
	free(g->name);
	free(g);
}

void
cpcap_pcapng_section(const struct cpcap_pcapng *g, uint32_t *first,
    uint32_t *n)
{
	*first = g->ifbase + 1;
	*n = (uint32_t)g->nifs;
}

uint32_t
cpcap_pcapng_ifaces(const struct cpcap_pcapng *g)
{
	return g->ifbase + (uint32_t)g->nifs;
}

size_t
cpcap_pcapng_dlts(const struct cpcap_pcapng *g, const int **v)
{
	*v = g->dlts;
	return g->ndlts;
}

static int
bad(struct cpcap_pcapng *g, char *errbuf, size_t errlen, int err,
    uint64_t off, const char *why)
{
	return cilkit_fail(errbuf, errlen, err, "%s: offset %llu: %s",
	    g->name, (unsigned long long)off, why);
}

/* Remember a link type among those seen. */
static int
note_dlt(struct cpcap_pcapng *g, int dlt)
{
	size_t i;
	int *nv;

	for (i = 0; i < g->ndlts; i++)
		if (g->dlts[i] == dlt)
			return 0;
	if (g->ndlts == g->dltcap) {
		g->dltcap = g->dltcap != 0 ? g->dltcap * 2 : 4;
		if ((nv = realloc(g->dlts, g->dltcap * sizeof(*nv))) == NULL)
			return CILKIT_ENOMEM;
		g->dlts = nv;
	}
	g->dlts[g->ndlts++] = dlt;
	return 0;
}

/*
 * An interface description block's body b (n bytes): the link type,
 * snaplen and the options that place its timestamps.
 */
static int
read_idb(struct cpcap_pcapng *g, const uint8_t *b, size_t n, uint64_t off,
    char *errbuf, size_t errlen)
{
	struct iface ifc = { .exp = 6 };
	size_t pos = 8;
	struct iface *nv;

	if (n < 8)
		return bad(g, errbuf, errlen, CILKIT_EINVAL, off,
		    "interface description block too short");
	if (g->nifs == CPCAP_PCAPNG_IFACES)
		return bad(g, errbuf, errlen, CILKIT_EINVAL, off,
		    "more than 4096 interfaces in a section");
	ifc.dlt = rd16(g, b);
	/* As libpcap gives it: a file's LINKTYPE_RAW is DLT_RAW. */
	if (ifc.dlt == LINKTYPE_RAW)
		ifc.dlt = DLT_RAW_HERE;
	ifc.snaplen = rd32(g, b + 4);
	/* Options: code, length, value padded to 4 bytes. */
	while (pos + 4 <= n) {
		uint16_t code = rd16(g, b + pos), len = rd16(g, b + pos + 2);
		const uint8_t *v = b + pos + 4;

		if (code == OPT_END)
			break;
		if ((size_t)len > n - pos - 4)
			return bad(g, errbuf, errlen, CILKIT_EINVAL, off,
			    "interface option longer than its block");
		if (code == OPT_TSRESOL && len >= 1) {
			ifc.binary = (v[0] & 0x80) != 0;
			ifc.exp = v[0] & 0x7f;
			/* 2^-64 and 10^-19 are past any clock: refuse. */
			if ((ifc.binary && ifc.exp > 63) ||
			    (!ifc.binary && ifc.exp > 18))
				return bad(g, errbuf, errlen, CILKIT_EINVAL,
				    off, "timestamp resolution out of range");
		} else if (code == OPT_TSOFFSET && len >= 8) {
			uint64_t u;

			/* A 64-bit value in the section's byte order. */
			memcpy(&u, v, 8);
			ifc.offset_s = (int64_t)(g->swap ?
			    __builtin_bswap64(u) : u);
		}
		pos += 4 + (((size_t)len + 3) & ~(size_t)3);
	}
	if (g->nifs == g->ifcap) {
		g->ifcap = g->ifcap != 0 ? g->ifcap * 2 : 4;
		if ((nv = realloc(g->ifs, g->ifcap * sizeof(*nv))) == NULL)
			return CILKIT_ENOMEM;
		g->ifs = nv;
	}
	g->ifs[g->nifs++] = ifc;
	return note_dlt(g, ifc.dlt);
}

/* Nanoseconds since the epoch of ticks on interface ifc (saturating). */
static uint64_t
ticks_ns(const struct iface *ifc, uint64_t ticks)
{
	unsigned __int128 v = ticks;
	__int128 s;
	uint8_t i;

	if (ifc->binary)
		v = (v * 1000000000u) >> ifc->exp;
	else if (ifc->exp <= 9)
		for (i = ifc->exp; i < 9; i++)
			v *= 10;
	else
		for (i = 9; i < ifc->exp; i++)
			v /= 10;
	s = (__int128)v + (__int128)ifc->offset_s * 1000000000;
	if (s < 0)
		return 0;
	if (s > (__int128)UINT64_MAX)
		return UINT64_MAX;
	return (uint64_t)s;
}

/*
 * The direction in the flags option of a packet block's body b (n
 * bytes) whose options start at pos: bits 0-1 say inbound (1) or
 * outbound (2).  Options that do not fit end the search: the packet is
 * still good, only its direction unknown.
 */
static uint8_t
packet_dir(const struct cpcap_pcapng *g, const uint8_t *b, size_t n,
    size_t pos)
{
	uint16_t code, len;
	uint32_t flags;

	while (pos <= n && n - pos >= 4) {
		code = rd16(g, b + pos);
		len = rd16(g, b + pos + 2);
		if (code == OPT_END || len > n - pos - 4)
			break;
		if (code == OPT_EPB_FLAGS && len == 4) {
			flags = rd32(g, b + pos + 4);
			return (flags & 3) == 1 ? CPCAP_DIR_IN :
			    (flags & 3) == 2 ? CPCAP_DIR_OUT :
			    CPCAP_DIR_UNKNOWN;
		}
		pos += 4 + (((size_t)len + 3) & ~(size_t)3);
	}
	return CPCAP_DIR_UNKNOWN;
}

/*
 * At least want bytes in the window from g->wpos: 1, 0 when the stream
 * ended (or failed) with fewer, or CILKIT_ENOMEM.  The window is read a
 * MiB at a time, and a block is parsed where it lies in it: one read
 * and one copy per block cost as much as the analysis of its packet.
 */
static int
have(struct cpcap_pcapng *g, size_t want)
{
	size_t n = g->wlen - g->wpos, cap, got;
	uint8_t *nw;

	if (n >= want)
		return 1;
	/* What is left is less than a block: to the front with it. */
	if (g->wpos > 0) {
		memmove(g->win, g->win + g->wpos, n);
		g->wpos = 0;
		g->wlen = n;
	}
	if (want > g->wcap) {
		cap = want > WINDOW ? want : WINDOW;
		if ((nw = realloc(g->win, cap)) == NULL)
			return CILKIT_ENOMEM;
		g->win = nw;
		g->wcap = cap;
	}
	while (g->wlen < want && !g->eof) {
		got = fread(g->win + g->wlen, 1, g->wcap - g->wlen, g->fp);
		g->wlen += got;
		if (got == 0)
			g->eof = true;	/* the end, or an error */
	}
	return g->wlen >= want;
}

/*
 * The next block, where it lies in the window: its type, and its body
 * (after the type and length, before the trailing length) in *body /
 * *n, valid until the next call.  1, 0 at a clean end, or an error.
 */
static int
read_block(struct cpcap_pcapng *g, uint32_t *type, uint8_t **body,
    size_t *n, char *errbuf, size_t errlen)
{
	const uint8_t *hdr;
	uint32_t len, tail;
	int rc;

	if ((rc = have(g, 8)) < 0)
		return rc;
	if (rc == 0 && g->wlen == g->wpos && !ferror(g->fp))
		return 0;
	if (rc == 0)
		return bad(g, errbuf, errlen, CILKIT_ETRUNC, g->off,
		    "cut inside a block header");
	hdr = g->win + g->wpos;
	memcpy(type, hdr, 4);
	if (*type == BT_SHB) {
		uint32_t m;

		/* A new section: its byte order is in its body. */
		if ((rc = have(g, 12)) <= 0)
			return rc < 0 ? rc : bad(g, errbuf, errlen,
			    CILKIT_ETRUNC, g->off,
			    "cut inside a section header");
		hdr = g->win + g->wpos;
		memcpy(&m, hdr + 8, 4);
		if (m == BO_MAGIC)
			g->swap = false;
		else if (m == __builtin_bswap32(BO_MAGIC))
			g->swap = true;
		else
			return bad(g, errbuf, errlen, CILKIT_EINVAL, g->off,
			    "section header with an unknown byte-order "
			    "magic");
	} else if (!g->section)
		return bad(g, errbuf, errlen, CILKIT_EINVAL, g->off,
		    "no section header block first");
	else
		*type = rd32(g, hdr);
	len = rd32(g, hdr + 4);
	if (len < 12 || len % 4 != 0 || (*type == BT_SHB && len < 28))
		return bad(g, errbuf, errlen, CILKIT_EINVAL, g->off,
		    "block length not a multiple of 4 of at least 12 bytes");
	if (len > CPCAP_PCAPNG_BLOCK_MAX)
		return bad(g, errbuf, errlen, CILKIT_EINVAL, g->off,
		    "block longer than 16 MiB");
	if ((rc = have(g, len)) <= 0)
		return rc < 0 ? rc : bad(g, errbuf, errlen, CILKIT_ETRUNC,
		    g->off, "cut inside a block");
	hdr = g->win + g->wpos;
	tail = rd32(g, hdr + len - 4);
	if (tail != len)
		return bad(g, errbuf, errlen, CILKIT_EINVAL, g->off,
		    "block's trailing length differs from its length");
	*body = g->win + g->wpos + 8;
	*n = len - 12;
	g->wpos += len;
	return 1;
}

int
cpcap_pcapng_next(struct cpcap_pcapng *g, struct cpcap_frame *f,
    char *errbuf, size_t errlen)
{
	const struct iface *ifc;
	uint32_t type = 0, id, caplen, wirelen;
	uint64_t off, ticks;
	uint8_t *b = NULL;
	size_t n = 0, hl;
	int rc;

	for (;;) {
		off = g->off;
		if ((rc = read_block(g, &type, &b, &n, errbuf, errlen)) <= 0)
			return rc;
		g->off += n + 12;
		switch (type) {
		case BT_SHB:
			if (rd16(g, b + 4) != 1)
				return bad(g, errbuf, errlen, CILKIT_EINVAL,
				    off, "section of pcapng major version "
				    "other than 1");
			/* Interfaces are numbered per section. */
			g->section = true;
			/* (past a million sections numbers repeat: harmless) */
			if (g->ifbase <= UINT32_MAX - 2 * CPCAP_PCAPNG_IFACES)
				g->ifbase += (uint32_t)g->nifs;
			g->nifs = 0;
			continue;
		case BT_IDB:
			if ((rc = read_idb(g, b, n, off, errbuf, errlen)) != 0)
				return rc;
			continue;
		case BT_EPB:
		case BT_PB:
			hl = 20;
			if (n < hl)
				return bad(g, errbuf, errlen, CILKIT_EINVAL,
				    off, "packet block too short");
			id = type == BT_EPB ? rd32(g, b) : rd16(g, b);
			ticks = (uint64_t)rd32(g, b + 4) << 32 |
			    rd32(g, b + 8);
			caplen = rd32(g, b + 12);
			wirelen = rd32(g, b + 16);
			break;
		case BT_SPB:
			hl = 4;
			if (n < hl)
				return bad(g, errbuf, errlen, CILKIT_EINVAL,
				    off, "simple packet block too short");
			id = 0;
			ticks = 0;
			wirelen = rd32(g, b);
			/* Its data is the packet up to the snaplen. */
			caplen = wirelen;
			if (g->nifs > 0 && g->ifs[0].snaplen != 0 &&
			    caplen > g->ifs[0].snaplen)
				caplen = g->ifs[0].snaplen;
			if (caplen > n - hl)
				caplen = (uint32_t)(n - hl);
			break;
		default:
			continue;	/* statistics, names, custom... */
		}
		if (id >= g->nifs)
			return bad(g, errbuf, errlen, CILKIT_EINVAL, off,
			    "packet of an interface not described");
		if (caplen > n - hl)
			return bad(g, errbuf, errlen, CILKIT_EINVAL, off,
			    "packet longer than its block");
		ifc = &g->ifs[id];
		f->dlt = ifc->dlt;
		f->ts_ns = type == BT_SPB ? 0 : ticks_ns(ifc, ticks);
		f->caplen = caplen;
		f->wirelen = wirelen < caplen ? caplen : wirelen;
		f->data = b + hl;
		/* Only where there are several does the interface tell. */
		f->capif = cpcap_pcapng_ifaces(g) > 1 ? g->ifbase + id + 1 : 0;
		/* The options come after the data, padded to 4 bytes. */
		f->capdir = type == BT_SPB ? CPCAP_DIR_UNKNOWN :
		    packet_dir(g, b, n, hl + (((size_t)caplen + 3) &
		    ~(size_t)3));
		return 1;
	}
}
