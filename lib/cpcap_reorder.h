/*
 * cpcap_reorder.h - the frames of a capture of several interfaces put
 * back into time order.
 *
 * dumpcap writes what each interface gives it in turn, so a pcapng file
 * of `dumpcap -i lxca -i lxcb` holds runs of one interface's packets,
 * then runs of the other's from the same moments: time goes back at
 * every change.  Analysed in file order (as tshark does), every packet
 * seen on both devices looks like a retransmission of itself a
 * moment later, and a conversation's packets come out of order.
 *
 * Each interface's own frames are in time order, so a merge of the
 * interfaces, as mergecap does it, restores the order: a frame is handed
 * on once every interface that can still bring frames has one queued (a
 * later frame can then only be newer).  An interface that stays quiet
 * (dumpcap -i eth0 -i lo) must not hold the others back without end: a
 * frame also goes once a frame CPCAP_REORDER_HOLD_NS newer has come, or
 * when the queues hold more than CPCAP_REORDER_MAX bytes.  dumpcap
 * switches interfaces at least every read timeout (250 ms), so a frame
 * older than one handed on is rare; it comes late then, and the analysis
 * counts time going back.
 */
#ifndef CILKIT_CPCAP_REORDER_H
#define CILKIT_CPCAP_REORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "cpcap_read.h"

/* Frame bytes (and their bookkeeping) queued at most. */
#define CPCAP_REORDER_MAX	((size_t)64 << 20)
/* Capture time a frame waits at most for the other interfaces. */
#define CPCAP_REORDER_HOLD_NS	UINT64_C(1000000000)

struct cpcap_reorder;

/* An empty queue; NULL without memory. */
struct cpcap_reorder *cpcap_reorder_new(void);
void cpcap_reorder_free(struct cpcap_reorder *o);

/*
 * The interfaces that can still bring frames are now capif first ..
 * first + n - 1 (those of the pcapng section being read; the ones
 * before have ended).  n may grow as interfaces are described.
 */
void cpcap_reorder_sources(struct cpcap_reorder *o, uint32_t first,
    uint32_t n);

/* Queue a copy of f; CILKIT_ENOMEM without memory. */
int cpcap_reorder_push(struct cpcap_reorder *o, const struct cpcap_frame *f);

/*
 * The oldest frame into *f, when it can be handed on (at_end: no more
 * frames will come, so any can): true, with f->data valid until the
 * next call on o.  false when it must wait, or the queue is empty.
 */
bool cpcap_reorder_pop(struct cpcap_reorder *o, bool at_end,
    struct cpcap_frame *f);

#endif /* CILKIT_CPCAP_REORDER_H */
