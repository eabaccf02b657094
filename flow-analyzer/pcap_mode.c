/*
 * pcap_mode.c - flow-analyzer on packets: read, decode, analyse,
 * report.  The work is in lib/cpcap_*; this file wires it up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cilkit.h"
#include "cli.h"
#include "cpcap_conv.h"
#include "cpcap_decode.h"
#include "cpcap_read.h"
#include "cpcap_readahead.h"
#include "cpcap_report.h"
#include "exitcodes.h"
#include "pcap_mode.h"

/*
 * Read (and write the JSON report, and fault the conversations' memory
 * in) in other threads when there is a second CPU, unless FLOW_ANALYZER_THREADS=1 asks for one thread (as for
 * flow lines).
 */
static bool
want_readahead(void)
{
	const char *env = getenv("FLOW_ANALYZER_THREADS");

	if (env != NULL && strcmp(env, "1") == 0)
		return false;
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2;
}

#define BATCH	64

int
pcap_mode_run(FILE *fp, const void *prefix, size_t n,
    const struct pcap_mode_opts *o)
{
	char eb[CILKIT_ERRBUF_SIZE], readerr[CILKIT_ERRBUF_SIZE];
	struct cpcap_reader *rd;
	struct cpcap_readahead *ra = NULL;
	struct cpcap_analyzer *an = NULL;
	struct cpcap_report *rep = NULL;
	struct cpcap_report_input in;
	struct cpcap_frame f[BATCH];
	enum cpcap_report_format fmt = CPCAP_REPORT_TEXT;
	struct cpcap_conv_config cfg;
	int rc, dlt, status = CILKIT_EXIT_OK;
	size_t i;
	bool enomem = false, threads = want_readahead();

	if (o->export != NULL && strcmp(o->export, "json") == 0)
		fmt = CPCAP_REPORT_JSON;
	else if (o->export != NULL && strcmp(o->export, "csv") == 0)
		fmt = CPCAP_REPORT_CSV;
	rd = cpcap_reader_open(fp, o->name, prefix, n, eb, sizeof(eb));
	if (rd == NULL) {
		cli_warnx("%s", eb);
		return CILKIT_EXIT_USAGE;
	}
	dlt = cpcap_reader_dlt(rd);
	if (!cpcap_dlt_supported(dlt))
		cli_warnx("%s: link type %d (%s) is not decoded: packets are "
		    "counted only", o->name, dlt, cpcap_dlt_name(dlt));
	if (o->filter != NULL &&
	    cpcap_reader_set_filter(rd, o->filter, eb, sizeof(eb)) != 0) {
		cli_warnx("%s", eb);
		status = CILKIT_EXIT_USAGE;
		goto out;
	}
	rep = cpcap_report_new(o->out, fmt, o->top, o->color);
	memset(&cfg, 0, sizeof(cfg));
	cfg.prefault = threads;
	an = rep != NULL ? cpcap_analyzer_new(&cfg, cpcap_report_conv, rep) :
	    NULL;
	if (an == NULL) {
		cli_warnx("out of memory");
		status = CILKIT_EXIT_IO;
		goto out;
	}
	cpcap_analyzer_set_finish_hooks(an, cpcap_report_finish_begin,
	    cpcap_report_finish_end);
	readerr[0] = '\0';
	if (threads) {
		ra = cpcap_readahead_start(rd);
		cpcap_report_write_behind(rep);
	}
	/* Records come in batches where they are read in place. */
	while ((rc = ra != NULL ? cpcap_readahead_batch(ra, f, BATCH,
	    readerr, sizeof(readerr)) : cpcap_reader_batch(rd, f, BATCH,
	    readerr, sizeof(readerr))) > 0) {
		for (i = 0; i < (size_t)rc; i++) {
			cpcap_decode_frame(&f[i], cpcap_analyzer_slot(an));
			if (cpcap_analyzer_commit(an, f[i].ts_ns,
			    f[i].wirelen) != 0 && !enomem) {
				cli_warnx("out of memory: some conversations "
				    "(or their ICMP and DNS details) are "
				    "counted in the totals only");
				enomem = true;
			}
		}
	}
	if (rc < 0) {
		/* Keep what was read: a cut capture is still analysed. */
		cli_warnx("%s", readerr);
		status = CILKIT_EXIT_USAGE;
	}
	cpcap_readahead_stop(ra);	/* at the end: the counts are final */
	cpcap_analyzer_finish(an);
	memset(&in, 0, sizeof(in));
	in.name = o->name;
	in.format = cpcap_reader_format(rd);
	in.dlt = dlt;
	in.ndlts = cpcap_reader_dlts(rd, &in.dlts);
	for (i = 0; i < in.ndlts; i++)
		if (in.dlts[i] != dlt && !cpcap_dlt_supported(in.dlts[i]))
			cli_warnx("%s: link type %d (%s) is not decoded: "
			    "packets are counted only", o->name, in.dlts[i],
			    cpcap_dlt_name(in.dlts[i]));
	in.snaplen = cpcap_reader_snaplen(rd);
	in.interfaces = cpcap_reader_interfaces(rd);
	in.read = cpcap_reader_count(rd);
	in.filtered = cpcap_reader_filtered(rd);
	in.filter = o->filter;
	in.read_error = rc < 0 ? readerr : NULL;
	if (cpcap_report_end(rep, an, &in, eb, sizeof(eb)) != 0) {
		cli_warnx("%s", eb);
		status = CILKIT_EXIT_IO;
		goto out;
	}
	if (status == CILKIT_EXIT_OK && cpcap_report_failures(rep) > 0)
		status = CILKIT_EXIT_PROBLEM;
out:
	cpcap_analyzer_free(an);
	cpcap_report_free(rep);
	cpcap_reader_free(rd);
	return status;
}
