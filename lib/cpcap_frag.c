/*
 * cpcap_frag.c - IP fragment bookkeeping (cpcap_frag.h).
 *
 * A datagram is known by (family, protocol, source, destination, id).
 * Its fragments are not kept, only their offsets, their byte count, and
 * the first fragment's decoded headers: enough to say when the datagram
 * is whole and to analyse it then.  A datagram stays known for
 * COPY_NS after it was made whole, so that a second copy of its
 * fragments is recognised instead of starting a datagram that would
 * never complete.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpcap_frag.h"

#define COPY_NS		UINT64_C(1000000000)
#define MAX_OFFS	128	/* fragments told apart per datagram */
#define PAYLOAD_MAX	512	/* of the first fragment (DNS reads it) */

struct dgram {
	struct dgram	*hnext;		/* hash chain */
	struct dgram	*prev, *next;	/* by last use, oldest first */
	uint32_t	 hash;
	uint8_t		 af, proto;
	uint8_t		 src[16], dst[16];
	uint32_t	 id;
	uint64_t	 last_ns;
	uint64_t	 whole_ns;
	uint32_t	 total;		/* datagram bytes; 0 until the last */
	uint32_t	 have;		/* bytes of the fragments counted */
	uint32_t	 frames;
	uint16_t	 noffs;
	bool		 have_first, whole;
	bool		 cut;		/* a fragment was cut: never whole */
	uint16_t	 offs[MAX_OFFS];	/* offsets / 8 counted */
	struct cpcap_pkt first;
	uint8_t		 payload[PAYLOAD_MAX];
};

struct cpcap_frags {
	size_t		 max, n;
	struct dgram	**buckets;	/* allocated at the first fragment */
	size_t		 nbuckets;
	struct dgram	*oldest, *newest;
	struct dgram	*freelist;
	struct cpcap_frag_stats st;
};

struct cpcap_frags *
cpcap_frags_new(size_t max)
{
	struct cpcap_frags *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->max = max > 0 ? max : CPCAP_FRAG_MAX;
	f->nbuckets = 64;
	while (f->nbuckets < f->max)
		f->nbuckets <<= 1;
	return f;
}

void
cpcap_frags_free(struct cpcap_frags *f)
{
	struct dgram *d, *next;

	if (f == NULL)
		return;
	for (d = f->oldest; d != NULL; d = next) {
		next = d->next;
		free(d);
	}
	for (d = f->freelist; d != NULL; d = next) {
		next = d->hnext;
		free(d);
	}
	free(f->buckets);
	free(f);
}

/* The header that was fragmented: the tunnel's, or the packet's. */
static const struct cpcap_tuple *
frag_tuple(const struct cpcap_pkt *p)
{
	return p->frag_outer ? &p->outer : &p->t;
}

static uint32_t
dgram_hash(const struct cpcap_pkt *p)
{
	const struct cpcap_tuple *t = frag_tuple(p);
	uint64_t h = (uint64_t)p->frag_id * UINT64_C(0x9E3779B97F4A7C15);
	size_t i;

	for (i = 0; i < 16; i += 4) {
		uint32_t a, b;

		memcpy(&a, t->src + i, 4);
		memcpy(&b, t->dst + i, 4);
		h ^= ((uint64_t)a << 32 | b) + (h << 6) + (h >> 2);
	}
	h ^= (uint64_t)t->proto << 8 | t->af;
	h *= UINT64_C(0xBF58476D1CE4E5B9);
	return (uint32_t)(h ^ h >> 31);
}

static bool
dgram_is(const struct dgram *d, const struct cpcap_pkt *p, uint32_t h)
{
	const struct cpcap_tuple *t = frag_tuple(p);

	return d->hash == h && d->id == p->frag_id && d->af == t->af &&
	    d->proto == t->proto && memcmp(d->src, t->src, 16) == 0 &&
	    memcmp(d->dst, t->dst, 16) == 0;
}

static void
list_unlink(struct cpcap_frags *f, struct dgram *d)
{
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		f->oldest = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		f->newest = d->prev;
	d->prev = d->next = NULL;
}

static void
list_append(struct cpcap_frags *f, struct dgram *d)
{
	d->prev = f->newest;
	d->next = NULL;
	if (f->newest != NULL)
		f->newest->next = d;
	else
		f->oldest = d;
	f->newest = d;
}

/* Forget d; a datagram that never became whole is counted. */
static void
drop(struct cpcap_frags *f, struct dgram *d)
{
	struct dgram **pp = &f->buckets[d->hash & (f->nbuckets - 1)];

	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	list_unlink(f, d);
	if (d->cut) {
		f->st.cut++;
	} else if (!d->whole) {
		struct cpcap_tuple *eg = &f->st.last_incomplete;

		f->st.incomplete++;
		f->st.incomplete_frames += d->frames;
		/* The example to name: the latest one with known ports. */
		if (d->have_first) {
			/* inside a tunnel: the packet inside it */
			*eg = d->first.t;
			f->st.last_incomplete_ns = d->last_ns;
		} else if (!eg->has_ports) {
			memset(eg, 0, sizeof(*eg));
			eg->af = d->af;
			eg->proto = d->proto;
			memcpy(eg->src, d->src, 16);
			memcpy(eg->dst, d->dst, 16);
			f->st.last_incomplete_ns = d->last_ns;
		}
	}
	d->hnext = f->freelist;
	f->freelist = d;
	f->n--;
}

static struct dgram *
find_or_add(struct cpcap_frags *f, const struct cpcap_pkt *p)
{
	const struct cpcap_tuple *t = frag_tuple(p);
	uint32_t h = dgram_hash(p);
	struct dgram *d;

	if (f->buckets == NULL &&
	    (f->buckets = calloc(f->nbuckets, sizeof(*f->buckets))) == NULL)
		return NULL;
	for (d = f->buckets[h & (f->nbuckets - 1)]; d != NULL; d = d->hnext)
		if (dgram_is(d, p, h))
			return d;
	if (f->n >= f->max)
		drop(f, f->oldest);
	if ((d = f->freelist) != NULL)
		f->freelist = d->hnext;
	else if ((d = malloc(sizeof(*d))) == NULL)
		return NULL;
	memset(d, 0, offsetof(struct dgram, first));
	d->hash = h;
	d->af = t->af;
	d->proto = t->proto;
	memcpy(d->src, t->src, 16);
	memcpy(d->dst, t->dst, 16);
	d->id = p->frag_id;
	d->hnext = f->buckets[h & (f->nbuckets - 1)];
	f->buckets[h & (f->nbuckets - 1)] = d;
	list_append(f, d);
	f->n++;
	return d;
}

/* Whether the fragment at off was counted already; counts it if not. */
static bool
seen_offset(struct dgram *d, uint32_t off)
{
	uint16_t o = (uint16_t)(off / 8);
	size_t i;

	for (i = 0; i < d->noffs; i++)
		if (d->offs[i] == o)
			return true;
	/* Past MAX_OFFS fragments copies are no longer told apart. */
	if (d->noffs < MAX_OFFS)
		d->offs[d->noffs++] = o;
	return false;
}

enum cpcap_frag_verdict
cpcap_frags_add(struct cpcap_frags *f, uint64_t ts, const struct cpcap_pkt *p,
    const struct cpcap_pkt **dgram)
{
	struct dgram *d;
	uint32_t end;

	if ((d = find_or_add(f, p)) == NULL)
		return CPCAP_FRAG_WAIT;
	if (ts > d->last_ns)
		d->last_ns = ts;
	list_unlink(f, d);
	list_append(f, d);
	if (seen_offset(d, p->frag_off)) {
		f->st.copies++;
		return CPCAP_FRAG_COPY;
	}
	d->frames++;
	if (d->whole)
		return CPCAP_FRAG_WAIT;	/* not needed: an overlap */
	if (p->frag_cut)
		d->cut = true;
	if (d->cut)
		return CPCAP_FRAG_CUT;
	d->have += p->frag_len;
	if (!p->frag_more) {
		end = p->frag_off + p->frag_len;
		if (end > d->total)
			d->total = end;
	}
	if (p->frag_first && !d->have_first) {
		d->have_first = true;
		d->first = *p;
		if (p->payload != NULL && p->payload_caplen > 0) {
			d->first.payload_caplen = p->payload_caplen <
			    PAYLOAD_MAX ? p->payload_caplen : PAYLOAD_MAX;
			memcpy(d->payload, p->payload,
			    d->first.payload_caplen);
			d->first.payload = d->payload;
		} else {
			d->first.payload = NULL;
			d->first.payload_caplen = 0;
		}
	}
	if (!d->have_first || d->total == 0 || d->have < d->total)
		return CPCAP_FRAG_WAIT;
	/* Whole: the first fragment's headers, the datagram's length. */
	d->whole = true;
	d->whole_ns = ts;
	f->st.whole++;
	/* A tunnel's inner headers give the inner lengths already. */
	if (!d->first.frag_outer && d->total > d->first.frag_len) {
		uint32_t more = d->total - d->first.frag_len;

		d->first.l4_len += more;
		d->first.seglen += more;
	}
	*dgram = &d->first;
	return CPCAP_FRAG_WHOLE;
}

void
cpcap_frags_expire(struct cpcap_frags *f, uint64_t now)
{
	struct dgram *d, *next;

	for (d = f->oldest; d != NULL; d = next) {
		next = d->next;
		/* Whole ones need only outlive their copies. */
		if (d->whole ? d->whole_ns + COPY_NS <= now :
		    d->last_ns + CPCAP_FRAG_TIMEOUT_NS <= now)
			drop(f, d);
	}
}

void
cpcap_frags_finish(struct cpcap_frags *f)
{
	while (f->oldest != NULL)
		drop(f, f->oldest);
}

size_t
cpcap_frags_waiting(const struct cpcap_frags *f)
{
	return f->n;
}

const struct cpcap_frag_stats *
cpcap_frags_stats(const struct cpcap_frags *f)
{
	return &f->st;
}
