/*
 * pcap_mode.h - flow-analyzer's packet path: a pcap or pcapng capture
 * in, the packet-analysis report (cpcap_report.h) out.
 */
#ifndef FLOW_ANALYZER_PCAP_MODE_H
#define FLOW_ANALYZER_PCAP_MODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct pcap_mode_opts {
	const char	*name;		/* input name for messages */
	const char	*filter;	/* BPF expression or NULL */
	const char	*export;	/* "text" (NULL), "json" or "csv" */
	FILE		*out;		/* where the report goes */
	size_t		 top;		/* conversations in the text table */
	bool		 color;
};

/*
 * Analyse the capture on fp, whose first n bytes (prefix) were already
 * read by the format sniffer.  fp is closed.  Returns an exit status
 * (exitcodes.h): 0, 1 when connections failed, 2 for a bad capture or
 * filter, 4 for an output error.
 */
int pcap_mode_run(FILE *fp, const void *prefix, size_t n,
    const struct pcap_mode_opts *o);

#endif /* FLOW_ANALYZER_PCAP_MODE_H */
