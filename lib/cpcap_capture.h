/*
 * cpcap_capture.h - live capture with libpcap into a cpcap_writer:
 * packets reach the output within CPCAP_BATCH_MS (or at once in
 * immediate mode), a kernel buffer sized for bursts, snaplen, packet count and a time box, a stop
 * flag for signal handlers, and the kernel's drop counters at the end.
 */
#ifndef CILKIT_CPCAP_CAPTURE_H
#define CILKIT_CPCAP_CAPTURE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cpcap_write.h"

/* Default kernel buffer: room for ~5k full-size frames of a burst. */
#define CPCAP_DEFAULT_BUFSIZE	(8 * 1024 * 1024)

struct cpcap_capture_opts {
	const char	*iface;		/* "any" or an interface name */
	const char	*filter;	/* BPF expression; NULL or "" for all */
	uint32_t	 snaplen;	/* 1..CPCAP_MAX_SNAPLEN */
	int		 bufsize;	/* bytes; 0 for the default */
	int		 tsprec;	/* CPCAP_TS_USEC or CPCAP_TS_NSEC */
	/*
	 * 0: packets are handed over in batches at least every
	 * CPCAP_BATCH_MS (TPACKET_V3 blocks: cheap, no drops under load);
	 * 1: libpcap's immediate mode, each packet at once (a ring of
	 * snaplen-sized slots: costly per packet, and with a large snaplen
	 * few slots, so bursts drop).  See bench/README.md.
	 */
	int		 immediate;
};

/* Longest a packet waits in the kernel before it is handed over. */
#define CPCAP_BATCH_MS		50

/* Why a capture ended. */
enum cpcap_end {
	CPCAP_END_DURATION = 0,	/* the time box ran out */
	CPCAP_END_COUNT,	/* the packet count was reached */
	CPCAP_END_STOPPED,	/* the stop flag was raised (a signal) */
	CPCAP_END_OUTPUT,	/* the output failed (full disk, EPIPE) */
	CPCAP_END_ERROR,	/* the capture itself failed */
};

struct cpcap_stats {
	uint64_t	captured;	/* written to the output */
	uint64_t	received;	/* seen by the filter (kernel count) */
	uint64_t	dropped;	/* dropped by the kernel: buffer full */
	uint64_t	ifdropped;	/* dropped by the interface/driver */
	uint64_t	bytes;		/* output bytes so far */
};

struct cpcap_capture;

/*
 * Open and activate a capture on o->iface with o->filter.  Errors:
 * CILKIT_ENOTFOUND (no such interface), CILKIT_EFORBIDDEN (no
 * permission: root or CAP_NET_RAW is needed), CILKIT_EINVAL (filter),
 * CILKIT_EIO.  The caller frees with cpcap_capture_close().
 */
int cpcap_capture_open(struct cpcap_capture **cp,
    const struct cpcap_capture_opts *o, char *errbuf, size_t errlen);

/* The link type (DLT_*) and snaplen of an open capture. */
int cpcap_capture_linktype(const struct cpcap_capture *c);
uint32_t cpcap_capture_snaplen(const struct cpcap_capture *c);

/* Called about every interval_ms while capturing, with the counts. */
typedef void (*cpcap_tick_fn)(void *arg, const struct cpcap_stats *st,
    int64_t elapsed_ms);

struct cpcap_run_opts {
	int64_t			 duration_ms;	/* 0: until stopped */
	uint64_t		 count;		/* 0: no limit */
	volatile sig_atomic_t	*stop;		/* may be NULL */
	cpcap_tick_fn		 tick;		/* may be NULL */
	void			*tick_arg;
	int			 tick_ms;	/* 0: 500 */
};

/*
 * Capture into w until the duration passes, count packets are written,
 * *stop becomes non-zero, or the output fails.  Fills *st (kernel
 * counters from pcap_stats()) and returns the enum cpcap_end reason;
 * errbuf says what failed for CPCAP_END_OUTPUT/CPCAP_END_ERROR.  The
 * writer is flushed but not closed.
 */
int cpcap_capture_run(struct cpcap_capture *c, struct cpcap_writer *w,
    const struct cpcap_run_opts *ro, struct cpcap_stats *st, char *errbuf,
    size_t errlen);

/* NULL is a no-op. */
void cpcap_capture_close(struct cpcap_capture *c);

/* Monotonic clock in milliseconds. */
int64_t cpcap_now_ms(void);

#endif /* CILKIT_CPCAP_CAPTURE_H */
