/*
 * flow_read.h - read flow lines: `hubble observe -o jsonpb` lines
 * (GetFlowsResponse), bare flow objects (`-o json` of old CLIs), and
 * Hubble exporter files (ExportEvent).  See hubble-flow-format.md.
 *
 * Streaming and zero-copy: one line at a time, records borrowed until
 * the next call (flow.h), memory bounded by the longest accepted line.
 */
#ifndef CILKIT_FLOW_READ_H
#define CILKIT_FLOW_READ_H

#include <stddef.h>
#include <signal.h>
#include <stdio.h>

#include "flow.h"

/* Longest line accepted; a longer one is skipped with a message. */
#define FLOW_READ_MAX_LINE	((size_t)4 << 20)

struct flow_reader;

/*
 * A reader over fp (not closed by the reader).  name is used in messages
 * ("flows.json:12: ..."): a file name or "<stdin>".  Caller frees with
 * flow_reader_free().  NULL on allocation failure.
 */
struct flow_reader *flow_reader_new(FILE *fp, const char *name);
void flow_reader_free(struct flow_reader *r);

/*
 * A reader that starts with the n bytes in prefix (already read from fp
 * by a format sniffer) and continues with fp.
 */
struct flow_reader *flow_reader_new_prefixed(FILE *fp, const char *name,
    const void *prefix, size_t n);

/*
 * Next record.  Returns 1 with *rec filled, 0 at end of input, or a
 * negative enum cilkit_err for a line that was skipped: errbuf then holds
 * "NAME:LINE: problem" and the caller may call again to continue with the
 * next line (CILKIT_EIO is the exception: reading failed, stop).
 * Blank lines are skipped silently.
 */
int flow_reader_next(struct flow_reader *r, struct flow_record *rec,
    char *errbuf, size_t errlen);

/* Lines read so far (for messages and summaries). */
size_t flow_reader_line(const struct flow_reader *r);

/*
 * Stop reading once *cancel is non-zero (set by a signal handler that
 * was installed without SA_RESTART, so that a read blocked on a pipe
 * returns): flow_reader_next() then returns 0, the end of the input,
 * dropping an unfinished last line, and flow_reader_cancelled() is
 * true.  NULL, the default, reads on through interruptions.
 */
void flow_reader_set_cancel(struct flow_reader *r,
    const volatile sig_atomic_t *cancel);
bool flow_reader_cancelled(const struct flow_reader *r);

/*
 * Lower the longest accepted line (default FLOW_READ_MAX_LINE); for
 * callers with tighter memory and for tests.
 */
void flow_reader_set_max_line(struct flow_reader *r, size_t max);

/*
 * Parts of a flow a consumer does not read.  Their values are skipped
 * like unknown keys, checked for JSON structure only (a bad string in
 * them is not reported), and the fields stay empty.  The default, 0,
 * reads every field: writers (flow_write_line) and per-flow exports
 * need that.
 */
#define FLOW_SKIP_POLICIES	0x01u	/* {egress,ingress}_{allowed,denied}_by */
/*
 * Endpoint labels, when the endpoint has a pod_name or a workload name
 * (an endpoint without them still gets its labels: reserved:, fqdn:).
 */
#define FLOW_SKIP_NAMED_LABELS	0x02u
/*
 * uuid, Summary, ethernet, interface, file, tunnel, policy_match_type,
 * proxy_port, trace_observation_point, trace_reason; IP source_xlated,
 * ipVersion, encrypted; endpoint ID and cluster_name; workload kind;
 * L7 details other than the HTTP code, DNS query and rcode and the
 * Kafka error code.
 */
#define FLOW_SKIP_DETAIL	0x04u

void flow_reader_set_skip(struct flow_reader *r, unsigned skip);

/*
 * Parse one line held in memory (no newline needed).  buf must stay
 * unchanged while rec is used; scratch is reused between calls and
 * freed with flow_scratch_free().  Same return values as
 * flow_reader_next (1 or negative).  Used by the reader, by sources that
 * already hold a line (a pod exec stream), and by the fuzz target.
 */
struct flow_scratch;
struct flow_scratch *flow_scratch_new(void);
void flow_scratch_free(struct flow_scratch *s);
int flow_parse_line(struct flow_scratch *s, const char *buf, size_t len,
    struct flow_record *rec, char *errbuf, size_t errlen);
/*
 * The same on a line the parser may change (strings are terminated and
 * unescaped in place): no copy.  buf must stay unchanged while rec is
 * used.
 */
int flow_parse_line_mut(struct flow_scratch *s, char *buf, size_t len,
    struct flow_record *rec, char *errbuf, size_t errlen);

/* FLOW_SKIP_* for lines parsed with s (default 0). */
void flow_scratch_set_skip(struct flow_scratch *s, unsigned skip);

/* What a stream starts with, from its first bytes (at least 4 wanted). */
enum flow_format {
	FLOW_FMT_UNKNOWN = 0,
	FLOW_FMT_EMPTY,		/* no bytes, or only whitespace/BOM */
	FLOW_FMT_PCAP,		/* classic pcap, any byte order, us or ns */
	FLOW_FMT_PCAPNG,
	FLOW_FMT_JSON_LINES,	/* starts with '{' after whitespace/BOM */
	FLOW_FMT_TEXT,		/* anything else printable: e.g. monitor text */
	FLOW_FMT_GZIP,		/* gzip: e.g. a rotated, compressed exporter file */
	FLOW_FMT_UTF16,		/* a UTF-16 byte order mark, either order */
};
#define FLOW_GZIP_ADVICE "gzip-compressed (a rotated Hubble exporter " \
    "file?): decompress it first, as in zcat FILE | ..."
#define FLOW_UTF16_ADVICE "this is UTF-16 text (as PowerShell's > " \
    "writes it); convert it first: iconv -f UTF-16 -t UTF-8"
int flow_sniff(const void *buf, size_t n);

/*
 * Whether JSON flow input that starts with buf[0..n) is pretty-printed
 * (`jq .`, `jq -s .`) rather than one object per line: its first
 * non-blank line is "{" alone, or starts with "[" (an array of
 * objects).  flow_reader reads such input object by object by itself;
 * a caller that splits lines on its own uses flow_reader instead.
 */
bool flow_sniff_multiline(const void *buf, size_t n);

/*
 * Whether text input that starts with buf[0..n) (at least 20 bytes
 * wanted) is what `hubble observe` prints for people (-o compact,
 * table or dict): a first line starting with its time stamp
 * ("Jan  2 15:04:05.000", or an RFC 3339 time) or "TIMESTAMP".  That
 * text drops most fields (codes, identities, labels), so the readers
 * refuse it with advice instead of a message per line.
 */
bool flow_sniff_hubble_text(const void *buf, size_t n);
/*
 * What to tell the user about it.  flow_reader_next() says it (with the
 * name and line) for such input, once, and then reads no further.
 */
#define FLOW_HUBBLE_TEXT_ADVICE "this is the text that hubble observe " \
    "prints (-o compact, table or dict), not flow lines: run hubble " \
    "observe with -o jsonpb"

#endif /* CILKIT_FLOW_READ_H */
