/*
 * cpcap_report.h - the packet-analysis report: capture summary, top
 * conversations, a diagnosis in words, latency percentiles; as text,
 * JSON (flow-analyzer-json(5)) or CSV (one row per conversation).
 *
 * The report is fed finished conversations one at a time (it is the
 * analyzer's done callback), so JSON and CSV rows stream out while the
 * capture is read and the text report keeps only the top N and a
 * bounded list of diagnosis lines: memory does not grow with the
 * number of conversations.
 */
#ifndef CILKIT_CPCAP_REPORT_H
#define CILKIT_CPCAP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cpcap_conv.h"

enum cpcap_report_format {
	CPCAP_REPORT_TEXT = 0,
	CPCAP_REPORT_JSON,
	CPCAP_REPORT_CSV,
};

/* Most diagnosis lines kept (worst first); the rest are counted. */
#define CPCAP_REPORT_MAX_DIAG	50

/* What the caller knows about the input, for the summary. */
struct cpcap_report_input {
	const char	*name;		/* file name or "<stdin>" */
	const char	*format;	/* "pcap" / "pcapng" */
	int		 dlt;		/* the first interface's */
	const int	*dlts;		/* every one met (NULL: dlt only) */
	size_t		 ndlts;
	uint32_t	 snaplen;
	/* capture interfaces (cpcap_reader_interfaces()), 0 unknown */
	uint32_t	 interfaces;
	uint64_t	 read;		/* records read */
	uint64_t	 filtered;	/* records the BPF filter dropped */
	const char	*filter;	/* expression or NULL */
	const char	*read_error;	/* why reading stopped early, or NULL */
};

struct cpcap_report;

/*
 * A report writing to out.  top_n: conversations in the text table
 * (0: 20).  color: ANSI colour in the text report.  Caller frees with
 * cpcap_report_free().  NULL on ENOMEM.
 */
struct cpcap_report *cpcap_report_new(FILE *out,
    enum cpcap_report_format fmt, size_t top_n, bool color);
void cpcap_report_free(struct cpcap_report *r);

/*
 * Let a second thread write the JSON report's conversations while the
 * next ones are formatted (report_wbehind.h), and at the analyzer's
 * finish a third format the last part of them (report_ahead.h), on
 * machines with a CPU to spare; nothing else may write to out until
 * cpcap_report_end().  No effect on the other formats, or when no thread
 * can be started.
 */
void cpcap_report_write_behind(struct cpcap_report *r);

/*
 * The analyzer's done callback and finish hooks (arg is the report):
 * cpcap_analyzer_new(cfg, cpcap_report_conv, rep), then
 * cpcap_analyzer_set_finish_hooks(an, cpcap_report_finish_begin,
 * cpcap_report_finish_end).
 */
void cpcap_report_conv(const struct cpcap_conv *c, void *arg);
void cpcap_report_finish_begin(struct cpcap_conv *const *v, size_t n,
    void *arg);
void cpcap_report_finish_end(void *arg);

/*
 * Write the rest of the report after cpcap_analyzer_finish().  Returns
 * 0, or CILKIT_EIO / CILKIT_ENOMEM with errbuf set.
 */
int cpcap_report_end(struct cpcap_report *r, const struct cpcap_analyzer *a,
    const struct cpcap_report_input *in, char *errbuf, size_t errlen);

/* Connections that failed (no answer, refused, unreachable). */
uint64_t cpcap_report_failures(const struct cpcap_report *r);

/*
 * One diagnosis sentence for a conversation into buf, or "" when there
 * is nothing to say; returns a severity (0 none .. 100 worst).  Used by
 * the report and its tests.
 */
int cpcap_report_diagnose(const struct cpcap_conv *c, char *buf,
    size_t len);

#endif /* CILKIT_CPCAP_REPORT_H */
