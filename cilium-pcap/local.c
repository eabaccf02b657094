/*
 * local.c - cilium-pcap's local mode: the pod's interface found in this
 * host's routing table, capture with libpcap.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "cilkit.h"
#include "cli.h"
#include "cpcap_iface.h"
#include "exitcodes.h"

int
cp_resolve_local(const struct cp_opts *o, char *iface, size_t iflen,
    char *filter, size_t flen)
{
	const char *addrs[CP_MAX_IPS];
	char eb[CILKIT_ERRBUF_SIZE], first[CILKIT_ERRBUF_SIZE] = "";
	int i, naddrs = 0, rc;

	for (i = 0; i < o->nips; i++)
		addrs[i] = o->ips[i];
	if (strcmp(o->iface, "pod") == 0) {
		/* The lxc veth carries that pod's traffic only. */
		rc = CILKIT_ENOTFOUND;
		for (i = 0; i < o->nips && rc != 0; i++) {
			rc = cpcap_iface_route(o->ips[i], iface, iflen, eb,
			    sizeof(eb));
			if (rc != 0 && first[0] == '\0')
				snprintf(first, sizeof(first), "%s", eb);
		}
		if (rc != 0) {
			cli_warnx("cannot find the pod's interface: %s", first);
			return CILKIT_EXIT_USAGE;
		}
	} else {
		snprintf(iface, iflen, "%s", o->iface);
		if (strcmp(iface, "any") != 0 && !cpcap_iface_exists(iface)) {
			cli_warnx("interface %s not found on this host",
			    iface);
			return CILKIT_EXIT_USAGE;
		}
		naddrs = o->nips;
	}
	if (cpcap_filter_build(o->filter, addrs, (size_t)naddrs, filter, flen,
	    eb, sizeof(eb)) != 0) {
		cli_warnx("%s", eb);
		return CILKIT_EXIT_USAGE;
	}
	/* Checked before anything starts, with the error showing where. */
	if (filter[0] != '\0' && cpcap_filter_check(filter,
	    strcmp(iface, "any") == 0 ? DLT_LINUX_SLL : DLT_EN10MB,
	    o->snaplen, eb, sizeof(eb)) != 0) {
		cli_warnx("%s", eb);
		return CILKIT_EXIT_USAGE;
	}
	return 0;
}

int
cp_local(struct cp_opts *o)
{
	char iface[CPCAP_IFNAMSIZ + 8], filter[CPCAP_FILTER_MAX + 1];
	char eb[CILKIT_ERRBUF_SIZE];
	struct cpcap_capture_opts co;
	struct cpcap_run_opts ro;
	struct cpcap_capture *c = NULL;
	struct cpcap_writer *w = NULL;
	struct cpcap_stats st;
	int end, rc;

	if (o->nips == 0 && (rc = cp_lookup_pod_ips(o)) != 0)
		return rc;
	if ((rc = cp_resolve_local(o, iface, sizeof(iface), filter,
	    sizeof(filter))) != 0)
		return rc;
	if (o->verbose)
		fprintf(stderr, "%s: capturing locally on %s, filter: %s\n",
		    cli_progname(), iface, filter[0] ? filter : "(none)");

	memset(&co, 0, sizeof(co));
	co.iface = iface;
	co.filter = filter;
	co.snaplen = o->snaplen;
	co.tsprec = CPCAP_TS_USEC;
	rc = cpcap_capture_open(&c, &co, eb, sizeof(eb));
	if (rc != 0) {
		cli_warnx("%s", eb);
		return rc == CILKIT_ENOTFOUND || rc == CILKIT_EINVAL ?
		    CILKIT_EXIT_USAGE : CILKIT_EXIT_IO;
	}
	if ((rc = cp_open_output(o, cpcap_capture_linktype(c),
	    cpcap_capture_snaplen(c), CPCAP_TS_USEC, &w)) != 0) {
		cpcap_capture_close(c);
		return rc;
	}
	if (!o->quiet && !o->status)
		fprintf(stderr, "%s: capturing on %s for %llds\n",
		    cli_progname(), iface, (long long)o->duration_s);

	memset(&ro, 0, sizeof(ro));
	ro.duration_ms = o->duration_s * 1000;
	ro.count = o->count;
	ro.stop = &cp_stop;
	ro.tick = cp_status_tick;
	ro.tick_arg = o;
	ro.tick_ms = 250;
	end = cpcap_capture_run(c, w, &ro, &st, eb, sizeof(eb));
	if (cpcap_writer_close(w, eb, sizeof(eb)) != 0 &&
	    end != CPCAP_END_OUTPUT)
		end = CPCAP_END_OUTPUT;
	cpcap_capture_close(c);
	rc = cp_finish(o, end, &st, eb);
	/* The capture itself failing locally is an I/O error here. */
	if (end == CPCAP_END_ERROR)
		rc = CILKIT_EXIT_IO;
	return rc;
}
