/*
 * cpcap_inplace.h - read a pcap file's records in place.
 *
 * libpcap reads a record with two freads, header and data, into its own
 * buffer: over a 5-million-packet capture that is a third of
 * flow-analyzer's CPU time, and a thread copying the records for the
 * analysis costs as much again.  For a regular file this reader reads
 * the file in blocks of a MiB or two (cilkit_blocks.h) and hands out
 * each record where it lies in its block, with no copy per packet.
 *
 * It does what libpcap 1.10's sf-pcap.c does for a version 2.4 file in
 * the host's byte order: the same records, timestamps (micro- or
 * nanoseconds, seconds signed), a captured length above the snapshot
 * length cut to it, a captured length above the maximum refused, and
 * the same error texts.  A file still being written is read to its end
 * at the time, as by libpcap.  cpcap_read.c uses it only for such
 * files, after libpcap has opened them; every other file is read by
 * libpcap.
 */
#ifndef CILKIT_CPCAP_INPLACE_H
#define CILKIT_CPCAP_INPLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpcap_read.h"

/* The 24-byte file header, and each record's 16-byte header. */
#define CPCAP_PCAP_FILEHDR	24
#define CPCAP_PCAP_RECHDR	16

struct cpcap_inplace;

/*
 * A reader of the records from offset off of the regular file fd (which
 * stays the caller's).  nano: the file's magic says nanoseconds.
 * snapshot: libpcap's adjusted snapshot length (pcap_snapshot());
 * maxcap: the biggest captured length libpcap accepts for the link type.
 * NULL without memory.
 */
struct cpcap_inplace *cpcap_inplace_new(int fd, off_t off, bool nano,
    uint32_t snapshot, uint32_t maxcap);
/*
 * Read the file's blocks in a thread ahead of the records
 * (cilkit_blocks.h).  Before the first record only: 0, or -1.
 */
int cpcap_inplace_thread(struct cpcap_inplace *ip);
void cpcap_inplace_free(struct cpcap_inplace *ip);

/*
 * The next records, up to max (>= 1), into f[] filled but for f->dlt,
 * their data valid until the next call: their number, 0 at the end of
 * the file, or -1 with libpcap's reason in why ("truncated dump file;
 * ..."); after -1 every call returns 0.
 */
int cpcap_inplace_batch(struct cpcap_inplace *ip, struct cpcap_frame *f,
    int max, char *why, size_t whylen);

/*
 * Whether a file header (CPCAP_PCAP_FILEHDR bytes) is one this reader
 * takes: the standard micro- or nanosecond magic in the host's byte
 * order and version 2.4.  *nano says which magic.
 */
bool cpcap_inplace_header_ok(const unsigned char *hdr, bool *nano);

#endif /* CILKIT_CPCAP_INPLACE_H */
