/*
 * cpcap_merge.h - time-ordered merge of several live pcap record
 * streams into one writer (cilium-pcap --selector: one tcpdump per pod,
 * each on its node, merged into a single capture).
 *
 * Records are queued per arrival and written oldest first once nothing
 * can overtake them any more: while every live source has a record
 * queued (each stream is in time order, give or take a CPU's worth of
 * reordering on "any"), or when a record has waited hold_ms (a quiet
 * source is assumed to have nothing older), or when the queue exceeds
 * its byte cap.  Memory is bounded by that cap.
 */
#ifndef CILKIT_CPCAP_MERGE_H
#define CILKIT_CPCAP_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "cpcap_write.h"

struct cpcap_merge;

/*
 * nsrc sources (1..1024), hold_ms >= 0, max_bytes > 0.  Caller frees
 * with cpcap_merge_free().  Returns 0, CILKIT_EINVAL or CILKIT_ENOMEM.
 */
int cpcap_merge_new(struct cpcap_merge **mp, int nsrc, int64_t hold_ms,
    size_t max_bytes, char *errbuf, size_t errlen);

/*
 * Queue a copy of one record of source src; h->ts_frac is in tsprec
 * (CPCAP_TS_USEC/NSEC), arrival_ms a monotonic time (cpcap_now_ms()).
 */
int cpcap_merge_push(struct cpcap_merge *m, int src,
    const struct cpcap_rechdr *h, int tsprec, const uint8_t *data,
    int64_t arrival_ms, char *errbuf, size_t errlen);

/* Source src has ended: it no longer holds the others back. */
void cpcap_merge_done(struct cpcap_merge *m, int src);

/*
 * Write to w, in time order, every record that may go now (all of them
 * when flush is non-zero), converted to w's precision.  Returns the
 * number written, or the writer's negative error.
 */
int cpcap_merge_pump(struct cpcap_merge *m, struct cpcap_writer *w,
    int64_t now_ms, int flush, char *errbuf, size_t errlen);

/* Records queued. */
size_t cpcap_merge_queued(const struct cpcap_merge *m);

/* NULL is a no-op. */
void cpcap_merge_free(struct cpcap_merge *m);

#endif /* CILKIT_CPCAP_MERGE_H */
