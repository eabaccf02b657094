/*
 * report_wbehind.h - write-behind: a thread that writes full buffers to
 * a stream while the caller fills the next one.
 *
 * A report of 100,000 conversations is 70 MB of JSON, and writing it to
 * a file costs the kernel about as long as formatting it.  With a
 * second CPU the two overlap.  The caller owns one chunk at a time:
 * report_wbehind_swap() queues the full one and hands back an empty
 * one, waiting only when every chunk is still queued.  Chunks are
 * written in the order they were queued; nothing else may write to the
 * stream until report_wbehind_stop().
 */
#ifndef CILKIT_REPORT_WBEHIND_H
#define CILKIT_REPORT_WBEHIND_H

#include <stddef.h>
#include <stdio.h>

struct report_wbehind;

/*
 * Start a writer for fp with nchunks chunks of chunk bytes (nchunks >=
 * 2).  NULL when memory or a thread is not available: write directly
 * then.  *first is the caller's first empty chunk.
 */
struct report_wbehind *report_wbehind_start(FILE *fp, size_t chunk,
    unsigned nchunks, char **first);

/*
 * Queue the n bytes at full (a chunk this writer gave out; n may be 0)
 * and return an empty chunk.
 */
char *report_wbehind_swap(struct report_wbehind *wb, char *full, size_t n);

/*
 * Queue the n bytes at last (as above), wait until everything queued is
 * written, end the thread and free wb.  Returns 0, or the errno of the
 * first write that failed (later chunks are then not written).  NULL is
 * allowed.
 */
int report_wbehind_stop(struct report_wbehind *wb, char *last, size_t n);

#endif /* CILKIT_REPORT_WBEHIND_H */
