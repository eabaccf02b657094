/*
 * cpcap_inplace.c - a pcap file's records handed out where they lie in
 * the blocks of cilkit_blocks.h (cpcap_inplace.h).
 *
 * Mapping the file instead would save the kernel's copy, but over the
 * 5-million-packet benchmark it saved nothing, even with a thread
 * mapping the pages ahead: the analysis then ran slower by what the
 * copy had cost, reading from 4 KiB page-cache pages rather than from
 * huge ones just written.  And a file truncated under a mapping kills
 * the reader with SIGBUS.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit_blocks.h"
#include "cpcap_inplace.h"

/* Few system calls, and a block is still in the cache when parsed. */
#define INPLACE_BLOCK	((size_t)1 << 20)

#define MAGIC_MICRO	0xa1b2c3d4u
#define MAGIC_NANO	0xa1b23c4du

struct cpcap_inplace {
	int		 fd;
	off_t		 off;		/* of the first record */
	bool		 nano;
	uint32_t	 snapshot, maxcap;
	bool		 dead;		/* an error was returned */
	bool		 thread;	/* cpcap_inplace_thread() */
	struct cilkit_blocks *blocks;	/* made at the first record */
	const unsigned char *p;		/* unread bytes: [p, end) */
	const unsigned char *end;
};

bool
cpcap_inplace_header_ok(const unsigned char *hdr, bool *nano)
{
	uint32_t magic;
	uint16_t major, minor;

	memcpy(&magic, hdr, 4);
	memcpy(&major, hdr + 4, 2);
	memcpy(&minor, hdr + 6, 2);
	if ((magic != MAGIC_MICRO && magic != MAGIC_NANO) || major != 2 ||
	    minor != 4)
		return false;
	*nano = magic == MAGIC_NANO;
	return true;
}

struct cpcap_inplace *
cpcap_inplace_new(int fd, off_t off, bool nano, uint32_t snapshot,
    uint32_t maxcap)
{
	struct cpcap_inplace *ip;

	if ((ip = calloc(1, sizeof(*ip))) == NULL)
		return NULL;
	ip->fd = fd;
	ip->off = off;
	ip->nano = nano;
	ip->snapshot = snapshot;
	ip->maxcap = maxcap;
#ifdef POSIX_FADV_SEQUENTIAL
	/* From a disk: let the kernel read further ahead. */
	(void)posix_fadvise(fd, off, 0, POSIX_FADV_SEQUENTIAL);
#endif
	return ip;
}

int
cpcap_inplace_thread(struct cpcap_inplace *ip)
{
	if (ip->blocks != NULL)
		return -1;
	ip->thread = true;
	return 0;
}

void
cpcap_inplace_free(struct cpcap_inplace *ip)
{
	if (ip == NULL)
		return;
	cilkit_blocks_free(ip->blocks);
	free(ip);
}

/* -1 with why set, and no more records after. */
static int
fail(struct cpcap_inplace *ip, char *why, size_t whylen, int err,
    const char *what, size_t want, size_t got)
{
	if (err != 0)
		snprintf(why, whylen, "error reading dump file: %s",
		    strerror(err));
	else
		snprintf(why, whylen, "truncated dump file; tried to read %zu "
		    "%s bytes, only got %zu", want, what, got);
	ip->dead = true;
	return -1;
}

/*
 * Less than a whole record left where we are: 1 when more came, else
 * 0 at the end of the file or -1 with why set.
 */
static int
refill(struct cpcap_inplace *ip, char *why, size_t whylen)
{
	size_t avail = (size_t)(ip->end - ip->p), len, give, n;
	uint32_t h[4];
	int err;

	if (avail >= CPCAP_PCAP_RECHDR) {
		memcpy(h, ip->p, sizeof(h));
		if (h[2] > ip->maxcap) {
			/* Damaged or fuzzed, as libpcap says it. */
			if (h[2] > ip->snapshot)
				snprintf(why, whylen, "invalid packet capture "
				    "length %u, bigger than snaplen of %d",
				    h[2], (int)ip->snapshot);
			else
				snprintf(why, whylen, "invalid packet capture "
				    "length %u, bigger than maximum of %u",
				    h[2], ip->maxcap);
			ip->dead = true;
			return -1;
		}
	}
	if (ip->blocks == NULL && (ip->blocks = cilkit_blocks_new(ip->fd,
	    ip->off, INPLACE_BLOCK, CPCAP_PCAP_RECHDR + ip->maxcap,
	    ip->thread)) == NULL) {
		snprintf(why, whylen, "out of memory");
		ip->dead = true;
		return -1;
	}
	len = avail;
	n = cilkit_blocks_next(ip->blocks, &ip->p, &len, avail, &err);
	ip->end = ip->p + len;
	if (n > 0)
		return 1;
	/* The end of the file: after a whole record, or inside one. */
	if (err == 0 && avail == 0) {
		ip->dead = true;
		return 0;
	}
	if (err != 0 || avail < CPCAP_PCAP_RECHDR)
		return fail(ip, why, whylen, err, "header", CPCAP_PCAP_RECHDR,
		    avail);
	avail -= CPCAP_PCAP_RECHDR;
	give = h[2] > ip->snapshot ? ip->snapshot : h[2];
	return fail(ip, why, whylen, 0, "captured", avail < give ? give :
	    h[2], avail);
}

/* The record at ip->p, whole in view, with header h, into *f. */
static inline void
take(struct cpcap_inplace *ip, const uint32_t h[4], struct cpcap_frame *f)
{
	int64_t sec = (int32_t)h[0], frac = (int32_t)h[1];

	/* libpcap's header fields are signed 32-bit; microseconds are
	   scaled up to the nanoseconds it is asked for. */
	if (!ip->nano)
		frac *= 1000;
	f->ts_ns = (uint64_t)sec * 1000000000u + (uint64_t)frac;
	/* Above the snapshot length the rest is skipped (libpcap too). */
	f->caplen = h[2] > ip->snapshot ? ip->snapshot : h[2];
	f->wirelen = h[3];
	f->data = ip->p + CPCAP_PCAP_RECHDR;
	ip->p += CPCAP_PCAP_RECHDR + (size_t)h[2];
}

int
cpcap_inplace_batch(struct cpcap_inplace *ip, struct cpcap_frame *f,
    int max, char *why, size_t whylen)
{
	size_t avail;
	uint32_t h[4];
	int n = 0, rc;

	for (;;) {
		/* Every record whole in view, without a call per record. */
		while (n < max) {
			avail = (size_t)(ip->end - ip->p);
			if (avail < CPCAP_PCAP_RECHDR)
				break;
			memcpy(h, ip->p, sizeof(h));
			/*
			 * Each header is where the one before says: a chain
			 * of loads that waits out every line not yet in the
			 * cache.  1 KiB ahead (a dozen records) measured
			 * 5-7% off the analysis loop; a prefetch past the
			 * view is harmless, it never faults.
			 */
			__builtin_prefetch((const void *)((uintptr_t)ip->p +
			    1024));
			if (h[2] > ip->maxcap ||
			    avail - CPCAP_PCAP_RECHDR < h[2])
				break;
			take(ip, h, &f[n++]);
		}
		/* The records given point into this view: refill later. */
		if (n > 0)
			return n;
		if (ip->dead)
			return 0;
		if ((rc = refill(ip, why, whylen)) != 1)
			return rc;
	}
}
