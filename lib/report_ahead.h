/*
 * report_ahead.h - format part of a long list in another thread.
 *
 * At the end of a capture the JSON of every conversation still live is
 * written at once (100,000 of them in the pcap benchmark: 75 MB, a
 * tenth of the run), while the read-ahead thread has nothing left to
 * do.  report_ahead splits such a list in blocks: a helper thread
 * formats every other block into memory while the caller formats the
 * blocks in between, and appends each of the helper's blocks after its
 * own.  The output is the same as formatting the list in order; the
 * helper's memory is a few blocks, reused.
 */
#ifndef CILKIT_REPORT_AHEAD_H
#define CILKIT_REPORT_AHEAD_H

#include <stdbool.h>
#include <stddef.h>

#include "report_wbuf.h"

struct report_ahead;

/* Append item to w; called in the thread: may only read shared data. */
typedef void (*report_ahead_fn)(struct report_wbuf *w, const void *item,
    void *arg);

/*
 * Start the helper on items[0..n) with fn.  The items must stay valid
 * and unchanged (as far as fn reads them) until report_ahead_finish().
 * NULL, nothing started, when no thread or memory could be had.
 */
struct report_ahead *report_ahead_start(const void *const *items, size_t n,
    report_ahead_fn fn, void *arg);

/* Whether item i is the caller's to format (else the helper's). */
bool report_ahead_mine(const struct report_ahead *ah, size_t i);

/*
 * Call after each item i, in order, once the caller wrote its own to w:
 * after the last of a caller's block, the helper's next block is
 * appended (waiting for it; formatted here if the helper failed).
 */
void report_ahead_after(struct report_ahead *ah, size_t i,
    struct report_wbuf *w);

/* Stop and free the helper (NULL is allowed). */
void report_ahead_finish(struct report_ahead *ah);

#endif /* CILKIT_REPORT_AHEAD_H */
