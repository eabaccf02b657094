/*
 * report_wbuf.c - the buffered JSON appender (report_wbuf.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "report_wbehind.h"
#include "report_wbuf.h"

/* Write-behind chunks: big enough that the lock is rare. */
#define BG_CHUNK	((size_t)1 << 20)
#define BG_CHUNKS	4

_Static_assert(BG_CHUNK >= REPORT_WBUF_RESERVE_MAX &&
    sizeof(((struct report_wbuf *)0)->inl) >= REPORT_WBUF_RESERVE_MAX,
    "an empty buffer holds what report_wbuf_reserve() promises");

void
report_wbuf_init(struct report_wbuf *w, FILE *fp)
{
	w->fp = fp;
	w->b = w->inl;
	w->cap = sizeof(w->inl);
	w->n = 0;
	w->err = false;
	w->bg = NULL;
	w->mem = false;
}

void
report_wbuf_init_mem(struct report_wbuf *w)
{
	report_wbuf_init(w, NULL);
	w->mem = true;
}

void
report_wbuf_free_mem(struct report_wbuf *w)
{
	if (w->mem && w->b != w->inl)
		free(w->b);
	report_wbuf_init_mem(w);
}

/* Memory mode: room for need more bytes; false (w->err) without. */
static bool
mem_grow(struct report_wbuf *w, size_t need)
{
	size_t cap = w->cap;
	char *nb;

	while (cap - w->n < need) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	if (cap == w->cap)
		return true;
	if (w->b == w->inl) {
		if ((nb = malloc(cap)) == NULL)
			goto fail;
		memcpy(nb, w->inl, w->n);
	} else if ((nb = realloc(w->b, cap)) == NULL)
		goto fail;
	w->b = nb;
	w->cap = cap;
	return true;
fail:
	w->err = true;
	return false;
}

bool
report_wbuf_background(struct report_wbuf *w)
{
	char *first;

	if (w->bg != NULL)
		return true;
	report_wbuf_flush(w);
	w->bg = report_wbehind_start(w->fp, BG_CHUNK, BG_CHUNKS, &first);
	if (w->bg == NULL)
		return false;
	w->b = first;
	w->cap = BG_CHUNK;
	return true;
}

void
report_wbuf_flush(struct report_wbuf *w)
{
	if (w->mem) {
		/* Nowhere to write: make room instead (or drop, w->err). */
		if (w->n == w->cap && !mem_grow(w, 1))
			w->n = 0;
		return;
	}
	if (w->bg != NULL) {
		if (w->n > 0)
			w->b = report_wbehind_swap(w->bg, w->b, w->n);
	} else if (w->n > 0 && fwrite(w->b, 1, w->n, w->fp) != w->n)
		w->err = true;
	w->n = 0;
}

void
report_wbuf_finish(struct report_wbuf *w)
{
	int e;

	if (w->bg == NULL) {
		report_wbuf_flush(w);
		return;
	}
	e = report_wbehind_stop(w->bg, w->b, w->n);
	if (e != 0) {
		errno = e;
		w->err = true;
	}
	w->bg = NULL;
	w->b = w->inl;
	w->cap = sizeof(w->inl);
	w->n = 0;
}

void
report_wbuf_make_room(struct report_wbuf *w, size_t need)
{
	if (w->mem) {
		if (!mem_grow(w, need))
			w->n = 0;	/* dropped, as report_wbuf_flush() */
		return;
	}
	/* Every buffer (inl, a write-behind chunk) holds the maximum. */
	report_wbuf_flush(w);
}

void
report_wbuf_put_slow(struct report_wbuf *w, const char *s, size_t n)
{
	if (w->mem) {
		if (mem_grow(w, n)) {
			memcpy(w->b + w->n, s, n);
			w->n += n;
		}
		return;
	}
	report_wbuf_flush(w);
	if (n > w->cap && w->bg == NULL) {
		if (fwrite(s, 1, n, w->fp) != n)
			w->err = true;
		return;
	}
	/* Through the chunks, in order, when a thread writes them. */
	while (n > w->cap) {
		memcpy(w->b, s, w->cap);
		w->n = w->cap;
		report_wbuf_flush(w);
		s += w->cap;
		n -= w->cap;
	}
	memcpy(w->b, s, n);
	w->n = n;
}

/* Length of the valid UTF-8 sequence at p, 0 when invalid (RFC 3629). */
static size_t
utf8_ok(const unsigned char *p)
{
	unsigned char c = p[0];

	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80 || (c == 0xf0 && p[1] < 0x90) ||
		    (c == 0xf4 && p[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/*
 * The input is NUL-terminated, so the UTF-8 look-ahead stops at the
 * NUL (a continuation byte is never 0).
 */
void
report_wbuf_json_str(struct report_wbuf *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *q;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t ul;

	report_wbuf_c(w, '"');
	for (;;) {
		q = p;
		while (*q >= 0x20 && *q != '"' && *q != '\\' && *q < 0x80)
			q++;
		if (q > p)
			report_wbuf_put(w, (const char *)p, (size_t)(q - p));
		p = q;
		if (*p == '\0')
			break;
		if (*p >= 0x80) {
			ul = utf8_ok(p);
			if (ul == 0) {
				REPORT_WBUF_LIT(w, "\xef\xbf\xbd");
				p++;
			} else {
				report_wbuf_put(w, (const char *)p, ul);
				p += ul;
			}
			continue;
		}
		switch (*p) {
		case '"':	REPORT_WBUF_LIT(w, "\\\""); break;
		case '\\':	REPORT_WBUF_LIT(w, "\\\\"); break;
		case '\n':	REPORT_WBUF_LIT(w, "\\n"); break;
		case '\r':	REPORT_WBUF_LIT(w, "\\r"); break;
		case '\t':	REPORT_WBUF_LIT(w, "\\t"); break;
		case '\b':	REPORT_WBUF_LIT(w, "\\b"); break;
		case '\f':	REPORT_WBUF_LIT(w, "\\f"); break;
		default:
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			report_wbuf_put(w, esc, sizeof(esc));
			break;
		}
		p++;
	}
	report_wbuf_c(w, '"');
}

void
report_wbuf_key(struct report_wbuf *w, bool *first, const char *key)
{
	if (!*first)
		report_wbuf_c(w, ',');
	*first = false;
	report_wbuf_c(w, '"');
	report_wbuf_put(w, key, strlen(key));
	REPORT_WBUF_LIT(w, "\":");
}

/* "00" to "99": two digits per division. */
static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/*
 * Numbers are most of a report (a conversation's JSON has ~30, most of
 * them 0 or short): one digit is one store, and longer ones take a
 * division per pair of digits instead of one per digit.
 */
char *
report_put_u64(char *o, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	if (v < 10) {
		*o = (char)('0' + v);
		return o + 1;
	}
	while (v >= 100) {
		i -= 2;
		memcpy(tmp + i, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		i -= 2;
		memcpy(tmp + i, digit_pairs + 2 * v, 2);
	} else
		tmp[--i] = (char)('0' + v);
	return report_put(o, tmp + i, sizeof(tmp) - i);
}

void
report_wbuf_u64(struct report_wbuf *w, uint64_t v)
{
	report_wbuf_commit(w, report_put_u64(report_wbuf_reserve(w, 20), v));
}

void
report_wbuf_i64(struct report_wbuf *w, int64_t v)
{
	if (v < 0) {
		report_wbuf_c(w, '-');
		report_wbuf_u64(w, (uint64_t)0 - (uint64_t)v);
	} else {
		report_wbuf_u64(w, (uint64_t)v);
	}
}
