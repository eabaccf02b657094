/*
 * cpcap_readahead.h - read a capture in a second thread.
 *
 * libpcap's reading (two freads and a copy per record) is about a third
 * of the cost of analysing a capture.  A read-ahead thread runs
 * cpcap_reader_next() (and so the BPF filter) and hands the records over
 * in batches of copies, so that on a machine with two or more CPUs the
 * reading overlaps the decoding and analysis.  Records come out in the
 * same order, with the same end and error as from the reader itself.
 * A reader that reads in place (cpcap_reader_in_place()) is not copied:
 * its records are handed out straight from it, and its own thread reads
 * its file's blocks ahead (cpcap_reader_prefetch()).
 */
#ifndef CILKIT_CPCAP_READAHEAD_H
#define CILKIT_CPCAP_READAHEAD_H

#include <stddef.h>

#include "cpcap_read.h"

struct cpcap_readahead;

/*
 * Start reading r in a thread (set any filter before).  Until
 * cpcap_readahead_stop(), r belongs to the thread: call only the
 * functions below.  NULL when no thread could be started (ENOMEM,
 * EAGAIN): read r directly then.
 */
struct cpcap_readahead *cpcap_readahead_start(struct cpcap_reader *r);

/*
 * As cpcap_reader_next(): 1 with *f filled (data borrowed until the
 * next call), 0 at the end, or the reader's negative error with its
 * message in errbuf.  The end or error comes after every record read
 * before it, and is returned again by later calls.
 */
int cpcap_readahead_next(struct cpcap_readahead *ra, struct cpcap_frame *f,
    char *errbuf, size_t errlen);

/*
 * As cpcap_readahead_next(), up to max records (cpcap_reader_batch()):
 * their number, 0 or the error.
 */
int cpcap_readahead_batch(struct cpcap_readahead *ra, struct cpcap_frame *f,
    int max, char *errbuf, size_t errlen);

/*
 * Stop the thread (at once when it is waiting for input on a pipe) and
 * free ra.  After the end was returned, r is the caller's again and its
 * counts are final; stopped before, r can only be freed.  NULL is
 * allowed.
 */
void cpcap_readahead_stop(struct cpcap_readahead *ra);

#endif /* CILKIT_CPCAP_READAHEAD_H */
