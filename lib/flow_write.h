/*
 * flow_write.h - write flow lines in the `hubble observe -o jsonpb`
 * shape ({"flow":{...},"node_name":...,"time":...}), protojson rules:
 * proto field names, defaults omitted, enums by name (a number when the
 * name is unknown), 64-bit integers as strings, RFC 3339 nanosecond time.
 * What flow_read.h reads back gives the same struct flow.
 */
#ifndef CILKIT_FLOW_WRITE_H
#define CILKIT_FLOW_WRITE_H

#include <stdio.h>

#include "flow.h"

/* One line, newline-terminated.  Returns 0 or CILKIT_EIO. */
int flow_write_line(FILE *fp, const struct flow *f);

/*
 * The bare Flow object on one line (the legacy `hubble observe -o json`
 * shape, no wrapper).  Returns 0 or CILKIT_EIO.
 */
int flow_write_bare_line(FILE *fp, const struct flow *f);

/*
 * Format Unix nanoseconds as RFC 3339 UTC with 9 fractional digits
 * ("2021-06-16T16:52:13.136834446Z") into buf (at least 32 bytes).
 * report_parse_rfc3339() parses it back.
 */
void flow_format_time(long long time_ns, char *buf, size_t len);

#endif /* CILKIT_FLOW_WRITE_H */
