/*
 * cpcap_capture.c - live capture; see cpcap_capture.h.
 *
 * The handle is non-blocking and driven by poll() on its selectable
 * descriptor, so that a signal (poll returns EINTR), the time box and
 * the status tick are all noticed within one tick even when no packet
 * arrives.  By default the kernel fills TPACKET_V3 blocks and hands one
 * over when it is full or CPCAP_BATCH_MS old: one wakeup per block, not
 * per packet, which is what keeps the cost per packet at tcpdump's
 * level (bench/cilium-pcap.sh measured immediate mode at 15 times the
 * CPU per small packet, dropping 40% of a UDP flood tcpdump kept).
 */
#include <errno.h>
#include <poll.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cilkit.h"
#include "cpcap_capture.h"

struct cpcap_capture {
	pcap_t		*p;
	int		 linktype;
	uint32_t	 snaplen;
	int		 tsprec;
};

/* State shared with the per-packet callback. */
struct run_ctx {
	struct cpcap_writer	*w;
	int			 failed;
	uint64_t		 left;		/* 0: no limit */
	char			*errbuf;
	size_t			 errlen;
};

int64_t
cpcap_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
activate_error(pcap_t *p, int rc, const char *iface, char *errbuf,
    size_t errlen)
{
	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "interface %s not found on this host", iface);
	case PCAP_ERROR_PERM_DENIED:
		return cilkit_fail(errbuf, errlen, CILKIT_EFORBIDDEN,
		    "no permission to capture on %s (run as root or with "
		    "CAP_NET_RAW)", iface);
	case PCAP_ERROR_IFACE_NOT_UP:
		return cilkit_fail(errbuf, errlen, CILKIT_EIO,
		    "interface %s is down", iface);
	default:
		return cilkit_fail(errbuf, errlen, CILKIT_EIO,
		    "cannot capture on %s: %s", iface, pcap_geterr(p));
	}
}

int
cpcap_capture_open(struct cpcap_capture **cp,
    const struct cpcap_capture_opts *o, char *errbuf, size_t errlen)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	struct cpcap_capture *c;
	struct bpf_program prog;
	pcap_t *p;
	int rc;

	*cp = NULL;
	if (o->snaplen == 0 || o->snaplen > CPCAP_MAX_SNAPLEN)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "snaplen %u out of range", o->snaplen);
	p = pcap_create(o->iface, pe);
	if (p == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EIO,
		    "cannot capture on %s: %s", o->iface, pe);
	(void)pcap_set_snaplen(p, (int)o->snaplen);
	(void)pcap_set_promisc(p, 0);
	(void)pcap_set_timeout(p, CPCAP_BATCH_MS);
	(void)pcap_set_immediate_mode(p, o->immediate ? 1 : 0);
	(void)pcap_set_buffer_size(p, o->bufsize > 0 ? o->bufsize :
	    CPCAP_DEFAULT_BUFSIZE);
	(void)pcap_set_tstamp_precision(p, o->tsprec == CPCAP_TS_NSEC ?
	    PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
	rc = pcap_activate(p);
	if (rc < 0) {
		rc = activate_error(p, rc, o->iface, errbuf, errlen);
		pcap_close(p);
		return rc;
	}
	if (o->filter != NULL && *o->filter != '\0') {
		if (pcap_compile(p, &prog, o->filter, 1,
		    PCAP_NETMASK_UNKNOWN) != 0) {
			rc = cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "bad filter '%s': %s", o->filter, pcap_geterr(p));
			pcap_close(p);
			return rc;
		}
		rc = pcap_setfilter(p, &prog);
		pcap_freecode(&prog);
		if (rc != 0) {
			rc = cilkit_fail(errbuf, errlen, CILKIT_EIO,
			    "cannot set the filter on %s: %s", o->iface,
			    pcap_geterr(p));
			pcap_close(p);
			return rc;
		}
	}
	if (pcap_setnonblock(p, 1, pe) != 0 ||
	    pcap_get_selectable_fd(p) < 0) {
		rc = cilkit_fail(errbuf, errlen, CILKIT_EIO,
		    "%s: cannot poll the capture: %s", o->iface, pe);
		pcap_close(p);
		return rc;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		pcap_close(p);
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "out of memory");
	}
	c->p = p;
	c->linktype = pcap_datalink(p);
	c->snaplen = (uint32_t)pcap_snapshot(p);
	c->tsprec = o->tsprec;
	*cp = c;
	return 0;
}

int
cpcap_capture_linktype(const struct cpcap_capture *c)
{
	return c->linktype;
}

uint32_t
cpcap_capture_snaplen(const struct cpcap_capture *c)
{
	return c->snaplen;
}

static void
on_packet(u_char *arg, const struct pcap_pkthdr *ph, const u_char *data)
{
	struct run_ctx *rc = (struct run_ctx *)arg;
	struct cpcap_rechdr h;

	if (rc->failed)
		return;
	h.ts_sec = (uint32_t)ph->ts.tv_sec;
	h.ts_frac = (uint32_t)ph->ts.tv_usec;
	h.caplen = ph->caplen;
	h.len = ph->len < ph->caplen ? ph->caplen : ph->len;
	if (cpcap_writer_write(rc->w, &h, data, rc->errbuf, rc->errlen) != 0)
		rc->failed = 1;
	if (rc->left > 0)
		rc->left--;
}

static void
fill_stats(struct cpcap_capture *c, struct cpcap_writer *w,
    struct cpcap_stats *st)
{
	struct pcap_stat ps;

	st->captured = cpcap_writer_packets(w);
	st->bytes = cpcap_writer_bytes(w);
	if (pcap_stats(c->p, &ps) == 0) {
		st->received = ps.ps_recv;
		st->dropped = ps.ps_drop;
		st->ifdropped = ps.ps_ifdrop;
	}
}

int
cpcap_capture_run(struct cpcap_capture *c, struct cpcap_writer *w,
    const struct cpcap_run_opts *ro, struct cpcap_stats *st, char *errbuf,
    size_t errlen)
{
	struct run_ctx ctx;
	struct pollfd pfd;
	int64_t start, now, next_tick, wait;
	int tick_ms = ro->tick_ms > 0 ? ro->tick_ms : 500;
	int end = CPCAP_END_ERROR, n;

	memset(st, 0, sizeof(*st));
	memset(&ctx, 0, sizeof(ctx));
	ctx.w = w;
	ctx.left = ro->count;
	ctx.errbuf = errbuf;
	ctx.errlen = errlen;
	pfd.fd = pcap_get_selectable_fd(c->p);
	pfd.events = POLLIN;
	start = cpcap_now_ms();
	next_tick = start + tick_ms;
	for (;;) {
		if (ro->stop != NULL && *ro->stop) {
			end = CPCAP_END_STOPPED;
			break;
		}
		now = cpcap_now_ms();
		if (ro->duration_ms > 0 && now - start >= ro->duration_ms) {
			end = CPCAP_END_DURATION;
			break;
		}
		if (now >= next_tick) {
			if (cpcap_writer_flush(w, errbuf, errlen) != 0) {
				end = CPCAP_END_OUTPUT;
				break;
			}
			if (ro->tick != NULL) {
				fill_stats(c, w, st);
				ro->tick(ro->tick_arg, st, now - start);
			}
			next_tick = now + tick_ms;
		}
		wait = next_tick - now;
		if (ro->duration_ms > 0 && start + ro->duration_ms - now < wait)
			wait = start + ro->duration_ms - now;
		if (wait < 0)
			wait = 0;
		if (poll(&pfd, 1, (int)wait) < 0 && errno != EINTR) {
			cilkit_fail(errbuf, errlen, CILKIT_EIO, "poll: %s",
			    strerror(errno));
			break;
		}
		n = pcap_dispatch(c->p, ro->count > 0 ? (int)(ctx.left >
		    1000000 ? 1000000 : ctx.left) : -1, on_packet,
		    (u_char *)&ctx);
		if (ctx.failed) {
			end = CPCAP_END_OUTPUT;
			break;
		}
		if (n == PCAP_ERROR) {
			cilkit_fail(errbuf, errlen, CILKIT_EIO,
			    "capture failed: %s", pcap_geterr(c->p));
			break;
		}
		if (ro->count > 0 && ctx.left == 0) {
			end = CPCAP_END_COUNT;
			break;
		}
	}
	if (end != CPCAP_END_OUTPUT && cpcap_writer_flush(w, errbuf,
	    errlen) != 0)
		end = CPCAP_END_OUTPUT;
	fill_stats(c, w, st);
	return end;
}

void
cpcap_capture_close(struct cpcap_capture *c)
{
	if (c == NULL)
		return;
	pcap_close(c->p);
	free(c);
}
