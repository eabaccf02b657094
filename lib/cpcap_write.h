/*
 * cpcap_write.h - classic pcap file writer (the format `tcpdump -w`
 * writes), built so that whatever happens the output stays a valid pcap:
 * records are written whole, and when a write to a regular file fails
 * half-way (a full disk) the file is cut back to the last record
 * boundary.
 *
 * Files are created with mode 0600 (captures hold secrets) and an
 * existing regular file is never replaced unless CPCAP_W_FORCE is given.
 * Output to a pipe is flushed after every record, as `tcpdump -U` does,
 * so the reader downstream sees packets as they arrive.
 */
#ifndef CILKIT_CPCAP_WRITE_H
#define CILKIT_CPCAP_WRITE_H

#include <stddef.h>
#include <stdint.h>

/* The classic pcap magic numbers (host order as written). */
#define CPCAP_MAGIC_USEC	0xa1b2c3d4U
#define CPCAP_MAGIC_NSEC	0xa1b23c4dU
#define CPCAP_GLOBAL_HDR_LEN	24
#define CPCAP_REC_HDR_LEN	16
/* The largest snaplen we write or accept (libpcap's MAXIMUM_SNAPLEN). */
#define CPCAP_MAX_SNAPLEN	262144U

/* One record's header, host order; ts_frac is usec or nsec (see below). */
struct cpcap_rechdr {
	uint32_t ts_sec;
	uint32_t ts_frac;
	uint32_t caplen;
	uint32_t len;
};

/* Timestamp precision of a file. */
enum cpcap_tsprec {
	CPCAP_TS_USEC = 0,
	CPCAP_TS_NSEC = 1,
};

/* cpcap_writer_open() flags. */
#define CPCAP_W_FORCE	0x1	/* replace an existing regular file */
#define CPCAP_W_FLUSH	0x2	/* flush every record (default on pipes) */

struct cpcap_writer;

/*
 * Create the file at path ("-" is stdout) and write the global header.
 * linktype is a DLT_/LINKTYPE_ value, snaplen 1..CPCAP_MAX_SNAPLEN.
 * An existing regular file is refused with CILKIT_EINVAL unless
 * CPCAP_W_FORCE; non-regular files (a FIFO, /dev/null) are opened as
 * they are.  On success *wp is set; the caller frees it with
 * cpcap_writer_close().  Returns 0 or a negative enum cilkit_err.
 */
int cpcap_writer_open(struct cpcap_writer **wp, const char *path, int flags,
    int linktype, uint32_t snaplen, int tsprec, char *errbuf, size_t errlen);

/*
 * The same on an open descriptor (not closed by cpcap_writer_close());
 * name is used in messages.  Pipes and sockets get CPCAP_W_FLUSH.
 */
int cpcap_writer_fdopen(struct cpcap_writer **wp, int fd, const char *name,
    int flags, int linktype, uint32_t snaplen, int tsprec, char *errbuf,
    size_t errlen);

/*
 * Append one record.  h->ts_frac must be in the writer's precision,
 * h->caplen <= snaplen and <= h->len.  Returns 0, CILKIT_EINVAL for a
 * bad header, or CILKIT_EIO when the output failed; after an I/O error
 * the writer refuses further records and the file ends on the last
 * record boundary that was written.  cpcap_writer_errno() tells why
 * (EPIPE, ENOSPC...).
 */
int cpcap_writer_write(struct cpcap_writer *w, const struct cpcap_rechdr *h,
    const uint8_t *data, char *errbuf, size_t errlen);

/* Write out buffered records.  Returns 0 or CILKIT_EIO. */
int cpcap_writer_flush(struct cpcap_writer *w, char *errbuf, size_t errlen);

/*
 * Flush, close (when opened by path) and free.  Returns 0 or CILKIT_EIO
 * if the last flush or close failed.  NULL is a no-op.
 */
int cpcap_writer_close(struct cpcap_writer *w, char *errbuf, size_t errlen);

/* Records accepted, and bytes of the file so far (header included). */
uint64_t cpcap_writer_packets(const struct cpcap_writer *w);
uint64_t cpcap_writer_bytes(const struct cpcap_writer *w);
/* errno of the failed write, or 0. */
int cpcap_writer_errno(const struct cpcap_writer *w);
int cpcap_writer_snaplen(const struct cpcap_writer *w);
int cpcap_writer_tsprec(const struct cpcap_writer *w);

#endif /* CILKIT_CPCAP_WRITE_H */
