/*
 * fa.h - flow-analyzer's options and the entry points of its modes.
 * main.c parses options and dispatches on the sniffed input format;
 * flows_mode.c runs the flow-line analysis, live.c the live sources and
 * the web view.
 */
#ifndef FA_H
#define FA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct flow_filter;
struct flow_stats;
struct flow_record;
struct flow_scratch;

enum fa_export {
	FA_EXPORT_NONE = 0,	/* the text report */
	FA_EXPORT_JSON,
	FA_EXPORT_CSV,
	FA_EXPORT_HTML,
	FA_EXPORT_FLOWS,
};

enum fa_format {
	FA_FORMAT_AUTO = 0,	/* --visualize: text on a terminal, else html */
	FA_FORMAT_HTML,
	FA_FORMAT_DOT,
	FA_FORMAT_TEXT,
};

struct fa_opts {
	const char **inputs;	/* --input values, "-" is stdin */
	size_t n_inputs;
	bool follow;		/* --follow */
	bool live;		/* --live */
	bool visualize;		/* --visualize */
	int export_fmt;		/* enum fa_export */
	int format;		/* enum fa_format */
	const char *output;	/* --output, NULL: stdout */
	const char *listen;	/* --listen ADDR:PORT */
	size_t top;		/* --top */
	bool quiet;		/* --quiet: no warnings per bad line */
	struct flow_filter *filter;
	const char *since, *until;	/* as given, for hubble */
	const char *context;		/* --context, for the agents */
	const char *kubeconfig;		/* --kubeconfig */
};

/* An opened input whose first bytes were read for sniffing. */
struct fa_input {
	FILE *fp;
	const char *name;	/* file name or "<stdin>" */
	unsigned char head[16];
	size_t n_head;
	int format;		/* enum flow_format */
};

/* Run the flow-line analysis over opened inputs; returns an exit code. */
int fa_flows_run(const struct fa_opts *o, struct fa_input *in, size_t n);

/* --live: follow a file or hubble; returns an exit code. */
int fa_live_run(const struct fa_opts *o);

/*
 * The shared sink: filter a flow, account it, and stream it to the
 * per-flow outputs (csv, flows).  Returns 0 or a negative cilkit_err.
 */
struct fa_sink;
struct fa_sink *fa_sink_new(const struct fa_opts *o, FILE *out);
int fa_sink_record(struct fa_sink *s, const struct flow_record *rec);
/* Write the final report (text/json/html/dot); returns an exit code. */
int fa_sink_finish(struct fa_sink *s);
void fa_sink_free(struct fa_sink *s);
struct flow_stats *fa_sink_stats(struct fa_sink *s);
uint64_t fa_sink_matched(const struct fa_sink *s);
/* Flush per record (live mode with a pipe on stdout). */
void fa_sink_set_flush(struct fa_sink *s, bool flush);

/* --output (or stdout); NULL with a message on failure. */
FILE *fa_open_output(const struct fa_opts *o);
/* Close what fa_open_output opened; a failed close turns rc into I/O. */
int fa_close_output(const struct fa_opts *o, FILE *fp, int rc);

/*
 * Parse one line (no newline) of input name at line lineno: a UTF-8
 * BOM on line 1 is skipped, blank lines give 0, an over-long line and
 * a bad line give a negative cilkit_err with "NAME:LINE: problem" in
 * eb, a record gives 1.
 */
int fa_parse_line(struct flow_scratch *sc, const char *p, size_t n,
    const char *name, uint64_t lineno, struct flow_record *rec, char *eb,
    size_t el);

/* Stop flag set by SIGINT/SIGTERM in live mode. */
extern volatile int fa_stop;
/*
 * Ctrl-C and SIGTERM set fa_stop instead of killing the program, and
 * interrupt a blocked read or poll (no SA_RESTART): the run ends with
 * the report of what was read.
 */
void fa_catch_stop_signals(void);

#endif /* FA_H */
