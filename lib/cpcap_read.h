/*
 * cpcap_read.h - read pcap and pcapng captures through libpcap, from a
 * file or a stream (stdin, a pipe), with nanosecond timestamps either
 * way, and an optional BPF filter compiled for the capture's link type.
 * Once libpcap has opened it, a plain pcap file is read in place by
 * cpcap_inplace.c instead, with the same result at a fraction of the
 * cost, and a pcapng capture by cpcap_pcapng.c, which says where each
 * packet was seen (its frames merged into time order when the file has
 * several interfaces: cpcap_reorder.h).
 *
 * A stream whose first bytes were already consumed by a format sniffer
 * (flow_sniff()) is read by passing those bytes as a prefix, so that
 * libpcap sees the whole capture: a regular file is read again from
 * where the prefix started, any other stream gets the bytes stitched
 * back in front (fopencookie).
 */
#ifndef CILKIT_CPCAP_READ_H
#define CILKIT_CPCAP_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cpcap_reader;

/* One record; data is borrowed until the next cpcap_reader_next(). */
struct cpcap_frame {
	uint64_t	 ts_ns;		/* capture time, ns since the epoch */
	uint32_t	 caplen;	/* bytes in data */
	uint32_t	 wirelen;	/* bytes the packet had on the wire */
	const uint8_t	*data;
	int		 dlt;		/* its link type (DLT_*) */
	/*
	 * Where a pcapng file says the packet was seen, so that one packet
	 * captured at two points is told from a resend (cpcap_conv.c):
	 * capif, its interface numbered from 1 across the file's sections,
	 * when the file describes more than one (else 0: a pcap file has
	 * one); capdir, the direction of its enhanced packet block's flags.
	 */
	uint32_t	 capif;
	uint8_t		 capdir;	/* enum cpcap_capdir */
};

enum cpcap_capdir {
	CPCAP_DIR_UNKNOWN = 0,
	CPCAP_DIR_IN,
	CPCAP_DIR_OUT
};

/*
 * Open a capture on fp (which the reader takes over and closes with
 * cpcap_reader_free()).  prefix/n are bytes already read from fp, put
 * back in front (n may be 0).  name is for messages.  Returns NULL with
 * errbuf set ("NAME: libpcap's reason") when the stream is not a
 * capture libpcap accepts.
 */
struct cpcap_reader *cpcap_reader_open(FILE *fp, const char *name,
    const void *prefix, size_t n, char *errbuf, size_t errlen);
/* Open the file at path ("-" is stdin). */
struct cpcap_reader *cpcap_reader_open_path(const char *path, char *errbuf,
    size_t errlen);
void cpcap_reader_free(struct cpcap_reader *r);

/*
 * Link type (DLT_*) and snap length from the capture's header (a pcapng
 * file's first interface).
 */
int cpcap_reader_dlt(const struct cpcap_reader *r);
uint32_t cpcap_reader_snaplen(const struct cpcap_reader *r);
/*
 * Every link type met so far, each once.  Only a pcapng file has more
 * than one; each frame carries its link type.
 */
size_t cpcap_reader_dlts(const struct cpcap_reader *r, const int **v);
/*
 * Capture interfaces described so far: 1 in a pcap file; in a pcapng
 * file those of every section (several are merged into time order), or
 * 0 when libpcap read it (CILKIT_PCAP_LIBPCAP), which does not say.
 */
uint32_t cpcap_reader_interfaces(const struct cpcap_reader *r);
/* "pcap" or "pcapng". */
const char *cpcap_reader_format(const struct cpcap_reader *r);
/* Whether the file header says nanosecond timestamps (pcap only). */
int cpcap_reader_nano(const struct cpcap_reader *r);

/*
 * Compile a BPF expression for this capture's link type and snaplen and
 * apply it to every following record (in a file of several link types,
 * compiled for each; where it does not compile, for "ether host" on raw
 * IP, no packet of that link type passes).  Returns 0, or CILKIT_EINVAL with
 * errbuf holding "filter 'EXPR': libpcap's reason".
 */
int cpcap_reader_set_filter(struct cpcap_reader *r, const char *expr,
    char *errbuf, size_t errlen);

/*
 * Next record that passes the filter.  Returns 1 with *f filled, 0 at
 * the end, or a negative enum cilkit_err when the file is damaged or
 * cut inside a record (errbuf "NAME: packet N: reason"): the records
 * before stay valid, and there is nothing more to read.
 */
int cpcap_reader_next(struct cpcap_reader *r, struct cpcap_frame *f,
    char *errbuf, size_t errlen);

/*
 * Whether the records are read in place from a regular pcap file
 * (cpcap_inplace.h) rather than by libpcap: then reading is cheap and
 * needs no thread of its own.  CILKIT_PCAP_LIBPCAP in the environment
 * makes libpcap read every file.
 */
bool cpcap_reader_in_place(const struct cpcap_reader *r);
/*
 * Read such a file's blocks in a thread ahead of the records.  Before
 * the first record only: 0, or -1 (not read in place, or too late).
 */
int cpcap_reader_prefetch(struct cpcap_reader *r);

/*
 * As cpcap_reader_next(), but up to max records into f[] (max >= 1), all
 * valid until the next call: their number, 0 at the end, or the error.
 * A file read in place gives many at a time; anything else one.
 */
int cpcap_reader_batch(struct cpcap_reader *r, struct cpcap_frame *f,
    int max, char *errbuf, size_t errlen);

/* Records read so far, and records the filter rejected. */
uint64_t cpcap_reader_count(const struct cpcap_reader *r);
uint64_t cpcap_reader_filtered(const struct cpcap_reader *r);

#endif /* CILKIT_CPCAP_READ_H */
