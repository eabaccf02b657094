/*
 * cpcap_frag.h - IP fragments: which datagram a fragment belongs to, and
 * when that datagram is whole.
 *
 * Only a datagram's first fragment carries the transport header.  A
 * fragmented datagram is therefore analysed once, when its last missing
 * fragment arrives, as Wireshark does with IP reassembly on (its
 * default): it counts as one packet of its conversation, with the time
 * and length of the frame that completed it and the transport header of
 * the first fragment.  That keeps per-conversation counts comparable
 * with tshark's conversation tables.
 *
 * A second copy of a fragment (the same datagram id and offset, as a
 * capture on two interfaces sees it) is recognised and not counted
 * again.  A datagram still missing a fragment after FRAG_TIMEOUT of
 * capture time, or at the end, is incomplete: a fragment was lost on
 * the way, the classic sign of an MTU problem.
 *
 * A fragment cut by the snapshot length (pkt->frag_cut) cannot be
 * reassembled, nor its datagram: as in tshark, whose conversation
 * tables then count an IPv4 first fragment as the packet it starts
 * (its headers are there) and nothing of an IPv6 one.  Such a datagram
 * is not incomplete: its fragments were not lost on the way.
 *
 * Memory is bounded: at most `max` datagrams are waiting; beyond that
 * the oldest one is given up and counted incomplete.
 */
#ifndef CILKIT_CPCAP_FRAG_H
#define CILKIT_CPCAP_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "cpcap_decode.h"

/* Linux's default ipfrag_time: the receiver gives up after as long. */
#define CPCAP_FRAG_TIMEOUT_NS	(UINT64_C(30) * 1000000000)
#define CPCAP_FRAG_MAX		4096	/* datagrams waiting at once */

struct cpcap_frags;

struct cpcap_frag_stats {
	uint64_t	 whole;		/* datagrams made whole */
	uint64_t	 incomplete;	/* datagrams missing a fragment */
	uint64_t	 incomplete_frames;	/* their fragments */
	uint64_t	 copies;	/* fragments seen a second time */
	uint64_t	 cut;		/* datagrams with a fragment cut */
	/* The latest incomplete datagram, one with ports if any had. */
	struct cpcap_tuple last_incomplete;
	uint64_t	 last_incomplete_ns;	/* its last fragment */
};

enum cpcap_frag_verdict {
	CPCAP_FRAG_WAIT,	/* kept: its datagram is not whole yet */
	CPCAP_FRAG_WHOLE,	/* this one completed its datagram */
	CPCAP_FRAG_COPY,	/* a copy of a fragment already counted */
	/* its datagram will not be whole: a fragment of it was cut */
	CPCAP_FRAG_CUT,
};

/* max 0 means CPCAP_FRAG_MAX.  NULL on ENOMEM. */
struct cpcap_frags *cpcap_frags_new(size_t max);
void cpcap_frags_free(struct cpcap_frags *f);

/*
 * Account the fragment p (p->frag set) captured at ts_ns.  On
 * CPCAP_FRAG_WHOLE, *dgram is the datagram as its first fragment was
 * decoded, with l4_len and seglen for the whole datagram and the first
 * PIPE-sized part of its payload; valid until the next call.  Returns
 * CPCAP_FRAG_WAIT also when memory ran out (the datagram will then be
 * counted incomplete).
 */
enum cpcap_frag_verdict cpcap_frags_add(struct cpcap_frags *f,
    uint64_t ts_ns, const struct cpcap_pkt *p,
    const struct cpcap_pkt **dgram);

/*
 * Give up datagrams untouched for CPCAP_FRAG_TIMEOUT_NS before now, and
 * forget whole ones old enough.  Walks every datagram waiting: call it
 * now and then (the analyzer: every 100 ms of capture time).
 */
void cpcap_frags_expire(struct cpcap_frags *f, uint64_t now_ns);
/* The end of the capture: every waiting datagram is incomplete. */
void cpcap_frags_finish(struct cpcap_frags *f);

/* Datagrams waiting now (0: cpcap_frags_expire() has nothing to do). */
size_t cpcap_frags_waiting(const struct cpcap_frags *f);
const struct cpcap_frag_stats *cpcap_frags_stats(const struct cpcap_frags *f);

#endif /* CILKIT_CPCAP_FRAG_H */
