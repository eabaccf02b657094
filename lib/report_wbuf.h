/*
 * report_wbuf.h - a small output buffer for writers that produce a lot
 * of JSON: appends without printf, one fwrite per buffer.  Used where
 * the output is big enough for printf's cost to show (flow lines, the
 * conversations of a capture).
 */
#ifndef CILKIT_REPORT_WBUF_H
#define CILKIT_REPORT_WBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct report_wbehind;

struct report_wbuf {
	FILE		*fp;
	char		*b;		/* inl, or a write-behind chunk */
	size_t		 n, cap;
	bool		 err;		/* a write failed */
	struct report_wbehind *bg;	/* NULL: written directly */
	bool		 mem;		/* report_wbuf_init_mem() */
	char		 inl[16384];
};

void report_wbuf_init(struct report_wbuf *w, FILE *fp);
/*
 * A buffer in memory only: it grows instead of being written (its
 * bytes are w->b[0..w->n); w->err when it could not grow).  Empty it
 * with w->n = 0; free it with report_wbuf_free_mem().
 */
void report_wbuf_init_mem(struct report_wbuf *w);
void report_wbuf_free_mem(struct report_wbuf *w);
/*
 * From now on hand full buffers to a thread that writes them
 * (report_wbehind.h) until report_wbuf_finish().  False, and nothing
 * changed, when no thread could be started.
 */
bool report_wbuf_background(struct report_wbuf *w);
/* Write out (or queue) what is buffered; sets w->err on failure. */
void report_wbuf_flush(struct report_wbuf *w);
/*
 * Flush and, in the background mode, wait until everything is written
 * and go back to direct writes: the stream is the caller's again.
 */
void report_wbuf_finish(struct report_wbuf *w);
void report_wbuf_put_slow(struct report_wbuf *w, const char *s, size_t n);

static inline void
report_wbuf_put(struct report_wbuf *w, const char *s, size_t n)
{
	if (n > w->cap - w->n) {
		report_wbuf_put_slow(w, s, n);
		return;
	}
	memcpy(w->b + w->n, s, n);
	w->n += n;
}

static inline void
report_wbuf_c(struct report_wbuf *w, char c)
{
	if (w->n == w->cap)
		report_wbuf_flush(w);
	w->b[w->n++] = c;
}

/* A string literal. */
#define REPORT_WBUF_LIT(w, s)	report_wbuf_put((w), (s), sizeof(s) - 1)

/*
 * For writers of many small pieces (a conversation's JSON has ~40
 * members): report_wbuf_reserve() returns room for need bytes (at most
 * REPORT_WBUF_RESERVE_MAX) at which the caller writes through a pointer
 * of its own, then hands the end back with report_wbuf_commit().  The
 * position stays in a register instead of going through w->n for each
 * piece, a store and a load in a row that cost a third of the writing.
 * In memory mode without memory the buffer's content is dropped (w->err
 * set), so that there is room all the same.
 */
#define REPORT_WBUF_RESERVE_MAX	((size_t)8192)

void report_wbuf_make_room(struct report_wbuf *w, size_t need);

static inline char *
report_wbuf_reserve(struct report_wbuf *w, size_t need)
{
	if (need > w->cap - w->n)
		report_wbuf_make_room(w, need);
	return w->b + w->n;
}

static inline void
report_wbuf_commit(struct report_wbuf *w, char *end)
{
	w->n = (size_t)(end - w->b);
}

/* Pieces written through such a pointer; each returns the new end. */
static inline char *
report_put(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

#define REPORT_PUT_LIT(o, s)	report_put((o), (s), sizeof(s) - 1)

/* v in decimal: at most 20 bytes. */
char *report_put_u64(char *o, uint64_t v);

/*
 * s (NUL-terminated) as a JSON string (RFC 8259): quotes, backslashes
 * and control bytes escaped, bytes that are not valid UTF-8 written as
 * U+FFFD so that the output is always valid JSON.
 */
void report_wbuf_json_str(struct report_wbuf *w, const char *s);
/*
 * An object member's `"key":`, after a comma unless *first (then
 * cleared); the value follows.  key is ours: written unescaped.
 */
void report_wbuf_key(struct report_wbuf *w, bool *first, const char *key);
void report_wbuf_u64(struct report_wbuf *w, uint64_t v);
void report_wbuf_i64(struct report_wbuf *w, int64_t v);

#endif /* CILKIT_REPORT_WBUF_H */
