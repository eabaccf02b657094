/*
 * cpcap_stream.h - incremental validation of a pcap byte stream, such as
 * `tcpdump -w -` output arriving in arbitrary chunks from an agent pod.
 *
 * Bytes are fed as they come; the global header and every record header
 * are checked (magic, version, snaplen, caplen <= snaplen, len >=
 * caplen, timestamp fraction in range) and each complete record is handed
 * to a callback, so a writer downstream only ever sees whole, sane
 * records: a stream that is cut off or damaged still leaves a valid pcap
 * that ends on a record boundary.  Memory is bounded by one record.
 */
#ifndef CILKIT_CPCAP_STREAM_H
#define CILKIT_CPCAP_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "cpcap_write.h"

/* What the global header said, in host order. */
struct cpcap_stream_info {
	uint32_t	snaplen;	/* 0 or > max in the file: max */
	uint32_t	linktype;	/* link type, FCS bits masked off */
	int		tsprec;		/* CPCAP_TS_USEC or CPCAP_TS_NSEC */
	int		swapped;	/* the writer's byte order was not ours */
};

/* Largest packet length (len) believed: 16 MiB, above any GSO size. */
#define CPCAP_STREAM_MAX_LEN	(16U * 1024 * 1024)

/*
 * Called once, after the global header, and then once per record (host
 * order, ts_frac in the stream's precision, data borrowed for the call).
 * A non-zero return stops the stream: cpcap_stream_feed() returns it.
 */
typedef int (*cpcap_stream_info_fn)(void *arg,
    const struct cpcap_stream_info *info);
typedef int (*cpcap_stream_rec_fn)(void *arg, const struct cpcap_rechdr *h,
    const uint8_t *data);

struct cpcap_stream;

/*
 * name is used in messages.  The caller frees with cpcap_stream_free().
 * Returns 0 or CILKIT_ENOMEM.
 */
int cpcap_stream_new(struct cpcap_stream **sp, const char *name,
    cpcap_stream_info_fn on_info, cpcap_stream_rec_fn on_rec, void *arg,
    char *errbuf, size_t errlen);

/*
 * Take len more bytes.  Returns 0; a callback's non-zero value; or
 * CILKIT_EINVAL / CILKIT_EUNSUPPORTED (pcapng) when the stream is not a
 * sane pcap, with errbuf naming the byte offset and the record number.
 * After an error every further call returns the same error.
 */
int cpcap_stream_feed(struct cpcap_stream *s, const uint8_t *buf, size_t len,
    char *errbuf, size_t errlen);

/*
 * The input ended.  Returns 0 when it ended on a record boundary after a
 * global header, CILKIT_ETRUNC when bytes of a partial header or record
 * are left over (errbuf says how many: they are dropped), or the earlier
 * error.
 */
int cpcap_stream_end(struct cpcap_stream *s, char *errbuf, size_t errlen);

/* Whole records delivered, and stream bytes consumed so far. */
uint64_t cpcap_stream_records(const struct cpcap_stream *s);
uint64_t cpcap_stream_offset(const struct cpcap_stream *s);
/* The stream's timestamp precision (valid once started). */
int cpcap_stream_tsprec(const struct cpcap_stream *s);
/* Whether the global header was seen. */
int cpcap_stream_started(const struct cpcap_stream *s);

/* NULL is a no-op. */
void cpcap_stream_free(struct cpcap_stream *s);

#endif /* CILKIT_CPCAP_STREAM_H */
