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


#endif /* CILKIT_FLOW_WRITE_H */
