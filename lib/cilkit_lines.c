/*
 * cilkit_lines.c - capped line reader; see cilkit_lines.h.
 *
 * Reads in blocks and scans with memchr: a buffer holds the unconsumed
 * bytes; it grows up to max_line + 1 and no further.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "cilkit_lines.h"

#define LINES_BLOCK 65536

struct cilkit_lines {
	FILE *fp;
	size_t max_line;
	char *buf;
	size_t cap, start, end;	/* unconsumed bytes are buf[start..end) */
	size_t lineno;
	int eof, err;
	const volatile sig_atomic_t *cancel;	/* set: stop reading */
	int cancelled;
};

struct cilkit_lines *
cilkit_lines_new(FILE *fp, size_t max_line, const void *prefix, size_t n)
{
	struct cilkit_lines *lr = calloc(1, sizeof(*lr));

	if (lr == NULL)
		return NULL;
	lr->fp = fp;
	lr->max_line = max_line;
	lr->cap = n + LINES_BLOCK;
	lr->buf = malloc(lr->cap);
	if (lr->buf == NULL) {
		free(lr);
		return NULL;
	}
	if (n > 0)
		memcpy(lr->buf, prefix, n);
	lr->end = n;
	return lr;
}

void
cilkit_lines_free(struct cilkit_lines *lr)
{
	if (lr == NULL)
		return;
	free(lr->buf);
	free(lr);
}

/* Read more bytes after end; returns bytes read (0 at EOF or error). */
static size_t
fill(struct cilkit_lines *lr)
{
	size_t got;

	if (lr->eof || lr->fp == NULL)
		return 0;
	if (lr->start > 0 && lr->end + LINES_BLOCK / 2 > lr->cap) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->start = 0;
	}
	if (lr->cap - lr->end < LINES_BLOCK / 2) {
		size_t ncap = lr->cap * 2;
		char *nb;
		if (ncap > lr->max_line + LINES_BLOCK + 1)
			ncap = lr->max_line + LINES_BLOCK + 1;
		if (ncap > lr->cap) {
			nb = realloc(lr->buf, ncap);
			if (nb == NULL) {
				lr->err = 1;
				return 0;
			}
			lr->buf = nb;
			lr->cap = ncap;
		}
	}
	if (lr->cap - lr->end <= 1)
		return 0;
	for (;;) {
		if (lr->cancel != NULL && *lr->cancel) {
			lr->cancelled = 1;
			lr->eof = 1;
			return 0;
		}
		got = fread(lr->buf + lr->end, 1, lr->cap - lr->end - 1,
		    lr->fp);
		/* A signal interrupted the read: go on unless cancelled. */
		if (ferror(lr->fp) && errno == EINTR) {
			clearerr(lr->fp);
			if (got == 0)
				continue;
		}
		break;
	}
	if (got == 0) {
		if (ferror(lr->fp))
			lr->err = 1;
		lr->eof = 1;
	}
	lr->end += got;
	return got;
}

void
cilkit_lines_set_cancel(struct cilkit_lines *lr,
    const volatile sig_atomic_t *cancel)
{
	lr->cancel = cancel;
}

int
cilkit_lines_cancelled(const struct cilkit_lines *lr)
{
	return lr->cancelled;
}

int
cilkit_lines_next(struct cilkit_lines *lr, char **line, size_t *len)
{
	char *nl;
	size_t skipped = 0;
	int skipping = 0;

	for (;;) {
		nl = memchr(lr->buf + lr->start, '\n', lr->end - lr->start);
		if (nl != NULL) {
			size_t n = (size_t)(nl - (lr->buf + lr->start));
			char *s = lr->buf + lr->start;
			lr->start += n + 1;
			lr->lineno++;
			if (skipping) {
				*len = skipped + n;
				return CILKIT_ETOOBIG;
			}
			if (n > 0 && s[n - 1] == '\r')
				n--;
			s[n] = '\0';
			*line = s;
			*len = n;
			return 1;
		}
		if (lr->end - lr->start > lr->max_line) {
			/* Too long: drop what we have, keep skipping. */
			skipping = 1;
			skipped += lr->end - lr->start;
			lr->start = lr->end = 0;
		}
		if (fill(lr) == 0) {
			if (lr->err)
				return CILKIT_EIO;
			if (lr->cancelled) {
				/* A line still being written: dropped. */
				lr->start = lr->end;
				return 0;
			}
			if (lr->end == lr->start) {
				if (skipping) {
					lr->lineno++;
					*len = skipped;
					return CILKIT_ETOOBIG;
				}
				return 0;
			}
			/* Last line without a newline. */
			lr->lineno++;
			if (skipping) {
				*len = skipped + (lr->end - lr->start);
				lr->start = lr->end;
				return CILKIT_ETOOBIG;
			}
			*line = lr->buf + lr->start;
			*len = lr->end - lr->start;
			lr->buf[lr->end] = '\0';
			if (*len > 0 && (*line)[*len - 1] == '\r')
				(*line)[--*len] = '\0';
			lr->start = lr->end;
			return 1;
		}
	}
}

size_t
cilkit_lines_lineno(const struct cilkit_lines *lr)
{
	return lr->lineno;
}
