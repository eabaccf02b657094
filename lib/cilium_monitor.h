/*
 * cilium_monitor.h - read `cilium monitor` / `cilium-dbg monitor` output:
 * the text formats (default, -v, -v -v, with or without the `---`
 * separators and headers) and `-j` JSON, turning drop, policy-verdict
 * and trace events into flow records (cilium-monitor-format.md).
 *
 * Same contract as flow_read.h: records borrowed until the next call,
 * bad lines skipped with "NAME:LINE: problem".
 */
#ifndef CILKIT_CILIUM_MONITOR_H
#define CILKIT_CILIUM_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>

#include "flow.h"

struct cilium_monitor_reader;

struct cilium_monitor_reader *cilium_monitor_reader_new(FILE *fp,
    const char *name, const void *prefix, size_t n_prefix);
void cilium_monitor_reader_free(struct cilium_monitor_reader *r);
/* As cilkit_lines_set_cancel() / _cancelled(), for the reader's input. */
void cilium_monitor_reader_set_cancel(struct cilium_monitor_reader *r,
    const volatile sig_atomic_t *cancel);
int cilium_monitor_reader_cancelled(const struct cilium_monitor_reader *r);

/*
 * Next event as a flow record.  1 with *rec filled, 0 at end, negative
 * for a skipped line (errbuf says where).  Monitor text carries no
 * time at all; such records have time_ns 0.
 */
int cilium_monitor_next(struct cilium_monitor_reader *r,
    struct flow_record *rec, char *errbuf, size_t errlen);
size_t cilium_monitor_line(const struct cilium_monitor_reader *r);

/* Whether the first bytes look like cilium monitor output. */
bool cilium_monitor_sniff(const void *buf, size_t n);

#endif /* CILKIT_CILIUM_MONITOR_H */
