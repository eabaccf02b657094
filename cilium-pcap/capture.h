/*
 * capture.h - what cilium-pcap's main.c shares with its local and
 * remote capture paths: the parsed options, the output and the status
 * line.  Internal to the program.
 */
#ifndef CILIUM_PCAP_CAPTURE_H
#define CILIUM_PCAP_CAPTURE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpcap_capture.h"
#include "cpcap_filter.h"

#define CP_MAX_IPS	4

struct cp_opts {
	const char	*pod;		/* NAME (NS/ split off) or NULL */
	const char	*ns;		/* NULL: the context's */
	const char	*selector;
	const char	*iface;		/* any|cilium_host|cilium_net|pod|NAME */
	const char	*output;	/* "-" for stdout */
	const char	*filter;	/* the user's; NULL for none */
	const char	*context;
	const char	*kubeconfig;
	char		 ips[CP_MAX_IPS][CPCAP_ADDRSTRLEN];
	int		 nips;
	int64_t		 duration_s;
	uint64_t	 count;
	uint32_t	 snaplen;
	bool		 local;
	bool		 force;
	bool		 quiet;
	int		 verbose;
	bool		 status;	/* live status line on stderr */
};

/* Raised by SIGINT, SIGTERM and SIGHUP. */
extern volatile sig_atomic_t cp_stop;
extern int cp_stop_signal;

/* The status-line tick (cpcap_tick_fn); arg is the struct cp_opts. */
void cp_status_tick(void *arg, const struct cpcap_stats *st,
    int64_t elapsed_ms);
/* Erase the status line, if one was drawn. */
void cp_status_clear(void);

/*
 * Print the tcpdump-style summary (unless -q) and map the end reason
 * to an exit status.
 */
int cp_finish(const struct cp_opts *o, int end, const struct cpcap_stats *st,
    const char *why);

/*
 * Create the output (o->output, "-" for stdout) for linktype, snaplen
 * and timestamp precision (CPCAP_TS_*);
 * on failure print why and return the exit status, else 0.
 */
int cp_open_output(const struct cp_opts *o, int linktype, uint32_t snaplen,
    int tsprec, struct cpcap_writer **wp);

/* Local capture with libpcap on this host; returns the exit status. */
int cp_local(struct cp_opts *o);

/*
 * Fill o->ips from the API (pod o->pod); 0 or an exit status, with the
 * reason printed.
 */
int cp_lookup_pod_ips(struct cp_opts *o);

/* Capture through the cluster API; returns the exit status. */
int cp_remote(struct cp_opts *o);

/*
 * Pick the interface and the filter for o: for `pod` the pod's veth
 * (route lookup here); for the others the user's filter ANDed with the
 * pod's addresses.  Prints why and returns an exit status on failure.
 */
int cp_resolve_local(const struct cp_opts *o, char *iface, size_t iflen,
    char *filter, size_t flen);

#endif /* CILIUM_PCAP_CAPTURE_H */
