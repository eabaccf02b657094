/*
 * cilkit_lines.h - read text input line by line with a cap on line length
 * (style.md rule 15): a longer line is skipped and reported, never
 * buffered whole, so one bad line cannot exhaust memory.
 */
#ifndef CILKIT_CILKIT_LINES_H
#define CILKIT_CILKIT_LINES_H

#include <stddef.h>
#include <signal.h>
#include <stdio.h>

struct cilkit_lines;

/*
 * A reader over fp (not closed here) that first returns the n bytes of
 * prefix (bytes a format sniffer already consumed).  Lines longer than
 * max_line bytes are skipped.  Caller frees with cilkit_lines_free().
 */
struct cilkit_lines *cilkit_lines_new(FILE *fp, size_t max_line,
    const void *prefix, size_t n);
void cilkit_lines_free(struct cilkit_lines *lr);

/*
 * Next line, without its "\n" or "\r\n", NUL-terminated and writable
 * until the next call.  Returns 1, 0 at end of input, CILKIT_ETOOBIG for
 * a skipped over-long line (*len is then its length), or CILKIT_EIO.
 */
int cilkit_lines_next(struct cilkit_lines *lr, char **line, size_t *len);

/* 1-based number of the line last returned (or skipped). */
size_t cilkit_lines_lineno(const struct cilkit_lines *lr);

/*
 * Stop reading once *cancel is non-zero (set by a signal handler
 * installed without SA_RESTART, so that a blocked read returns):
 * cilkit_lines_next() then returns 0, dropping an unfinished last
 * line, and cilkit_lines_cancelled() is 1.  Without it (NULL, the
 * default) an interrupted read is retried.
 */
void cilkit_lines_set_cancel(struct cilkit_lines *lr,
    const volatile sig_atomic_t *cancel);
int cilkit_lines_cancelled(const struct cilkit_lines *lr);

#endif /* CILKIT_CILKIT_LINES_H */
