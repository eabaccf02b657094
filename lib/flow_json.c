/*
 * flow_json.c - zero-copy in-place JSON pull scanner (RFC 8259), the
 * tokenizer under the flow-lines reader.  See flow_json.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "cilkit.h"
#include "flow_json.h"

/* Byte classes inside a string: 0 plain, else needs attention. */
enum { SC_PLAIN = 0, SC_QUOTE, SC_BSLASH, SC_CTRL, SC_HIGH };

static const uint8_t str_class[256] = {
	[0x00 ... 0x1f] = SC_CTRL,
	['"'] = SC_QUOTE,
	['\\'] = SC_BSLASH,
	[0x80 ... 0xff] = SC_HIGH,
};

static const uint8_t is_ws[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
};

static int
fail(struct flow_json *j, const char *p, int err, const char *msg)
{
	j->err = msg;
	j->err_off = (size_t)(p - j->buf);
	return err;
}

static int
trunc_fail(struct flow_json *j)
{
	return fail(j, j->end, CILKIT_ETRUNC, "unexpected end of line");
}

void
flow_json_init(struct flow_json *j, char *buf, size_t len)
{
	j->buf = buf;
	j->p = buf;
	j->end = buf + len;
	j->err = NULL;
	j->err_off = 0;
}

int
flow_json_peek(struct flow_json *j)
{
	char *p = j->p;

	while (p < j->end && is_ws[(uint8_t)*p])
		p++;
	j->p = p;
	return p < j->end ? (uint8_t)*p : -1;
}

const char *
flow_json_kind(struct flow_json *j)
{
	switch (flow_json_peek(j)) {
	case '{':	return "an object";
	case '[':	return "an array";
	case '"':	return "a string";
	case 't':
	case 'f':	return "a boolean";
	case 'n':	return "null";
	case -1:	return "the end of the line";
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return "a number";
	}
	return "an invalid character";
}

int
flow_json_open(struct flow_json *j, char c)
{
	int n = flow_json_peek(j);

	if (n == -1)
		return trunc_fail(j);
	if (n != c)
		return fail(j, j->p, CILKIT_EINVAL, c == '{' ?
		    "expected an object" : "expected an array");
	j->p++;
	return 0;
}

int
flow_json_member(struct flow_json *j, bool *first, const char **key,
    size_t *keylen)
{
	int c, rc;

	c = flow_json_peek(j);
	if (c == '}') {
		j->p++;
		return 0;
	}
	if (!*first) {
		if (c == -1)
			return trunc_fail(j);
		if (c != ',')
			return fail(j, j->p, CILKIT_EINVAL,
			    "expected ',' or '}'");
		j->p++;
		c = flow_json_peek(j);
	}
	*first = false;
	if (c == -1)
		return trunc_fail(j);
	if (c != '"')
		return fail(j, j->p, CILKIT_EINVAL, "expected a member name");
	if ((rc = flow_json_string(j, key, keylen)) < 0)
		return rc;
	c = flow_json_peek(j);
	if (c == -1)
		return trunc_fail(j);
	if (c != ':')
		return fail(j, j->p, CILKIT_EINVAL, "expected ':'");
	j->p++;
	return 1;
}

int
flow_json_element(struct flow_json *j, bool *first)
{
	int c;

	c = flow_json_peek(j);
	if (c == ']') {
		j->p++;
		return 0;
	}
	if (c == -1)
		return trunc_fail(j);
	if (!*first) {
		if (c != ',')
			return fail(j, j->p, CILKIT_EINVAL,
			    "expected ',' or ']'");
		j->p++;
		if (flow_json_peek(j) == -1)
			return trunc_fail(j);
	}
	*first = false;
	return 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p (end checked by the caller); -1 if not hex. */
static long
hex4(const char *p)
{
	int a = hexval((uint8_t)p[0]), b = hexval((uint8_t)p[1]);
	int c = hexval((uint8_t)p[2]), d = hexval((uint8_t)p[3]);

	if ((a | b | c | d) < 0)
		return -1;
	return (long)(a << 12 | b << 8 | c << 4 | d);
}

/*
 * Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0
 * when it is invalid or runs past end (RFC 3629 table).
 */
static size_t
utf8_len(const uint8_t *p, const uint8_t *end)
{
	uint8_t c = p[0];
	size_t n = (size_t)(end - p);

	if (c >= 0xc2 && c <= 0xdf) {
		if (n < 2 || (p[1] & 0xc0) != 0x80)
			return 0;
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && p[1] > 0x9f)
			return 0;	/* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 ||
		    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;	/* overlong */
		if (c == 0xf4 && p[1] > 0x8f)
			return 0;	/* above U+10FFFF */
		return 4;
	}
	return 0;
}

static char *
put_utf8(char *w, unsigned long cp)
{
	if (cp < 0x80) {
		*w++ = (char)cp;
	} else if (cp < 0x800) {
		*w++ = (char)(0xc0 | cp >> 6);
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*w++ = (char)(0xe0 | cp >> 12);
		*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*w++ = (char)(0xf0 | cp >> 18);
		*w++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	}
	return w;
}

/*
 * First byte at or after r that is not plain string content ('"', '\\',
 * a control byte or a non-ASCII byte), or end.  With SSE2 (every
 * x86-64) 16 bytes are classified at once: a signed compare below 0x20
 * catches both control bytes and bytes >= 0x80.
 */
static inline char *
skip_plain(char *r, char *end)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20);
	__m128i v, m;
	unsigned mask;

	while (end - r >= 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)r);
		m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
		    _mm_cmpeq_epi8(v, bslash)), _mm_cmplt_epi8(v, space));
		mask = (unsigned)_mm_movemask_epi8(m);
		if (mask != 0)
			return r + __builtin_ctz(mask);
		r += 16;
	}
#endif
	while (r < end && str_class[(uint8_t)*r] == SC_PLAIN)
		r++;
	return r;
}

int
flow_json_string(struct flow_json *j, const char **s, size_t *n)
{
	char *start, *r, *w, *end = j->end;
	long cp, lo;
	size_t ul;

#if defined(__SSE2__)
	/*
	 * Most strings are short and plain: one 16-byte look finds the
	 * closing quote with nothing to check before it.
	 */
	r = j->p;
	if (end - r >= 17 && *r == '"') {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
		    (r + 1));
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
		    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));

		if (mask != 0 && r[1 + __builtin_ctz(mask)] == '"') {
			start = r + 1;
			r = start + __builtin_ctz(mask);
			*r = '\0';
			*s = start;
			*n = (size_t)(r - start);
			j->p = r + 1;
			return 0;
		}
	}
#endif
	if (flow_json_peek(j) != '"')
		return fail(j, j->p, CILKIT_EINVAL, "expected a string");
	start = r = j->p + 1;
	/* Fast path: plain bytes need no copy. */
	for (;;) {
		r = skip_plain(r, end);
		if (r >= end)
			return trunc_fail(j);
		if (*r == '"') {
			*r = '\0';
			*s = start;
			*n = (size_t)(r - start);
			j->p = r + 1;
			return 0;
		}
		if (str_class[(uint8_t)*r] == SC_HIGH) {
			ul = utf8_len((const uint8_t *)r, (const uint8_t *)end);
			if (ul == 0)
				return fail(j, r, CILKIT_EINVAL,
				    "invalid UTF-8 in a string");
			r += ul;
			continue;
		}
		break;
	}
	/* Slow path: decode escapes, writing behind the read cursor. */
	w = r;
	for (;;) {
		while (r < end && str_class[(uint8_t)*r] == SC_PLAIN)
			*w++ = *r++;
		if (r >= end)
			return trunc_fail(j);
		switch (str_class[(uint8_t)*r]) {
		case SC_QUOTE:
			*w = '\0';
			*s = start;
			*n = (size_t)(w - start);
			j->p = r + 1;
			return 0;
		case SC_CTRL:
			return fail(j, r, CILKIT_EINVAL,
			    "control character in a string");
		case SC_HIGH:
			ul = utf8_len((const uint8_t *)r, (const uint8_t *)end);
			if (ul == 0)
				return fail(j, r, CILKIT_EINVAL,
				    "invalid UTF-8 in a string");
			memmove(w, r, ul);
			w += ul;
			r += ul;
			continue;
		}
		/* Backslash. */
		if (end - r < 2)
			return trunc_fail(j);
		switch (r[1]) {
		case '"':	*w++ = '"'; break;
		case '\\':	*w++ = '\\'; break;
		case '/':	*w++ = '/'; break;
		case 'b':	*w++ = '\b'; break;
		case 'f':	*w++ = '\f'; break;
		case 'n':	*w++ = '\n'; break;
		case 'r':	*w++ = '\r'; break;
		case 't':	*w++ = '\t'; break;
		case 'u':
			if (end - r < 6)
				return trunc_fail(j);
			if ((cp = hex4(r + 2)) < 0)
				return fail(j, r, CILKIT_EINVAL,
				    "bad \\u escape");
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(j, r, CILKIT_EINVAL,
				    "lone low surrogate in \\u escape");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (end - r < 12)
					return trunc_fail(j);
				if (r[6] != '\\' || r[7] != 'u' ||
				    (lo = hex4(r + 8)) < 0xdc00 || lo > 0xdfff)
					return fail(j, r, CILKIT_EINVAL,
					    "unpaired surrogate in \\u escape");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				r += 6;
			}
			if (cp == 0)
				return fail(j, r, CILKIT_EINVAL,
				    "\\u0000 in a string");
			w = put_utf8(w, (unsigned long)cp);
			r += 6;
			continue;
		default:
			return fail(j, r, CILKIT_EINVAL, "bad escape");
		}
		r += 2;
	}
}

/*
 * Scan a number token at p.  Returns its end, sets *integral when it has
 * no fraction or exponent; NULL on a malformed number.
 */
static char *
scan_number(char *p, char *end, bool *integral)
{
	*integral = true;
	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return NULL;
	if (*p == '0')
		p++;
	else
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	if (p < end && *p == '.') {
		*integral = false;
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		*integral = false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

/* Digits [p, q) with optional leading '-' into *neg / *mag. */
static int
parse_digits(const char *p, const char *q, bool *neg, uint64_t *mag)
{
	uint64_t v = 0;
	unsigned d;

	*neg = false;
	if (p < q && *p == '-') {
		*neg = true;
		p++;
	}
	if (p >= q)
		return -1;
	for (; p < q; p++) {
		d = (unsigned)(*p - '0');
		if (d > 9)
			return -1;
		if (v > (UINT64_MAX - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	*mag = v;
	return 0;
}

/* Read an integer as a number or quoted string into *neg / *mag. */
static int
read_integer(struct flow_json *j, bool *neg, uint64_t *mag)
{
	char *p, *q, *start, *lim;
	bool integral, quoted = false;
	uint64_t v;
	int c, rc;

	c = flow_json_peek(j);
	if (c == -1)
		return trunc_fail(j);
	start = p = j->p;
	/*
	 * Fast path: an unquoted number of 1 to 18 digits (cannot
	 * overflow) that no fraction, exponent or further digit follows.
	 */
	if (c >= '1' && c <= '9') {
		lim = j->end - p > 18 ? p + 18 : j->end;
		for (v = 0, q = p; q < lim && (unsigned)(*q - '0') <= 9; q++)
			v = v * 10 + (unsigned)(*q - '0');
		if (q == j->end || ((unsigned)(*q - '0') > 9 && *q != '.' &&
		    *q != 'e' && *q != 'E')) {
			*neg = false;
			*mag = v;
			j->p = q;
			return 0;
		}
	}
	if (c == '"') {
		quoted = true;
		p++;
	} else if (c != '-' && (c < '0' || c > '9')) {
		return fail(j, p, CILKIT_EINVAL, "expected a number");
	}
	q = scan_number(p, j->end, &integral);
	if (q == NULL)
		return fail(j, start, CILKIT_EINVAL, quoted ?
		    "expected a number in the string" : "malformed number");
	if (quoted) {
		if (q >= j->end)
			return trunc_fail(j);
		if (*q != '"')
			return fail(j, start, CILKIT_EINVAL,
			    "expected a number in the string");
	}
	if (!integral)
		return fail(j, start, CILKIT_EINVAL, "expected an integer");
	rc = parse_digits(p, q, neg, mag);
	if (rc == -2)
		return fail(j, start, CILKIT_EINVAL, "integer out of range");
	if (rc < 0)
		return fail(j, start, CILKIT_EINVAL, "malformed number");
	j->p = quoted ? q + 1 : q;
	return 0;
}

int
flow_json_uint(struct flow_json *j, uint64_t max, uint64_t *v)
{
	char *start;
	uint64_t mag;
	bool neg;
	int rc;

	flow_json_peek(j);
	start = j->p;
	if ((rc = read_integer(j, &neg, &mag)) < 0)
		return rc;
	if (neg && mag != 0)
		return fail(j, start, CILKIT_EINVAL, "negative number");
	if (mag > max)
		return fail(j, start, CILKIT_EINVAL, "integer out of range");
	*v = mag;
	return 0;
}

int
flow_json_int(struct flow_json *j, int64_t min, int64_t max, int64_t *v)
{
	char *start;
	uint64_t mag;
	int64_t x;
	bool neg;
	int rc;

	flow_json_peek(j);
	start = j->p;
	if ((rc = read_integer(j, &neg, &mag)) < 0)
		return rc;
	if (!neg) {
		if (mag > (uint64_t)INT64_MAX || (int64_t)mag > max)
			return fail(j, start, CILKIT_EINVAL,
			    "integer out of range");
		x = (int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX + 1)
			return fail(j, start, CILKIT_EINVAL,
			    "integer out of range");
		x = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)mag;
		if (x < min)
			return fail(j, start, CILKIT_EINVAL,
			    "integer out of range");
	}
	*v = x;
	return 0;
}

static int
literal(struct flow_json *j, const char *lit, size_t n)
{
	size_t have = (size_t)(j->end - j->p);

	if (have < n) {
		if (memcmp(j->p, lit, have) == 0)
			return trunc_fail(j);
		return fail(j, j->p, CILKIT_EINVAL, "invalid literal");
	}
	if (memcmp(j->p, lit, n) != 0)
		return fail(j, j->p, CILKIT_EINVAL, "invalid literal");
	j->p += n;
	return 0;
}

int
flow_json_bool(struct flow_json *j, bool *v)
{
	int c = flow_json_peek(j), rc;

	if (c == 't') {
		if ((rc = literal(j, "true", 4)) < 0)
			return rc;
		*v = true;
		return 0;
	}
	if (c == 'f') {
		if ((rc = literal(j, "false", 5)) < 0)
			return rc;
		*v = false;
		return 0;
	}
	if (c == -1)
		return trunc_fail(j);
	return fail(j, j->p, CILKIT_EINVAL, "expected a boolean");
}

int
flow_json_null(struct flow_json *j)
{
	int rc;

	if (flow_json_peek(j) != 'n')
		return 0;
	if ((rc = literal(j, "null", 4)) < 0)
		return rc;
	return 1;
}

/*
 * First byte at or after r that is '"', '\\' or a control byte, or end
 * (bytes >= 0x80 pass: skipped strings are not checked for UTF-8).
 */
static inline char *
skip_raw(char *r, char *end)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i ctrl = _mm_set1_epi8((char)0xe0);
	__m128i v, m;
	unsigned mask;

	while (end - r >= 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)r);
		/* a control byte has none of the top three bits */
		m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
		    _mm_cmpeq_epi8(v, bslash)), _mm_cmpeq_epi8(
		    _mm_and_si128(v, ctrl), _mm_setzero_si128()));
		mask = (unsigned)_mm_movemask_epi8(m);
		if (mask != 0)
			return r + __builtin_ctz(mask);
		r += 16;
	}
#endif
	while (r < end && *r != '"' && *r != '\\' && (uint8_t)*r >= 0x20)
		r++;
	return r;
}

/* Skip a string without decoding it. */
static int
skip_string(struct flow_json *j)
{
	char *r = j->p + 1, *end = j->end;

	for (;;) {
		r = skip_raw(r, end);
		if (r >= end)
			return trunc_fail(j);
		if (*r == '"')
			break;
		if ((uint8_t)*r < 0x20)
			return fail(j, r, CILKIT_EINVAL,
			    "control character in a string");
		if (end - r < 2)
			return trunc_fail(j);
		r += 2;
	}
	j->p = r + 1;
	return 0;
}

int
flow_json_skip(struct flow_json *j)
{
	/* Which closer each open level expects; 1 = in an object. */
	uint8_t stack[FLOW_JSON_MAX_DEPTH];
	int depth = 0, c, rc;
	bool integral, need_value = true;
	char *q;

	/* the common case, a string, without the machinery */
	if (j->p < j->end && *j->p == '"')
		return skip_string(j);
	for (;;) {
		c = flow_json_peek(j);
		if (c == -1)
			return trunc_fail(j);
		if (need_value) {
			switch (c) {
			case '{':
			case '[':
				if (depth == FLOW_JSON_MAX_DEPTH)
					return fail(j, j->p, CILKIT_ETOOBIG,
					    "nesting too deep");
				stack[depth++] = c == '{';
				j->p++;
				c = flow_json_peek(j);
				if (c == (stack[depth - 1] ? '}' : ']')) {
					j->p++;
					depth--;
					need_value = false;
					break;
				}
				if (stack[depth - 1]) {
					if (c == -1)
						return trunc_fail(j);
					if (c != '"')
						return fail(j, j->p,
						    CILKIT_EINVAL,
						    "expected a member name");
					if ((rc = skip_string(j)) < 0)
						return rc;
					c = flow_json_peek(j);
					if (c == -1)
						return trunc_fail(j);
					if (c != ':')
						return fail(j, j->p,
						    CILKIT_EINVAL,
						    "expected ':'");
					j->p++;
				}
				continue;
			case '"':
				if ((rc = skip_string(j)) < 0)
					return rc;
				break;
			case 't':
				if ((rc = literal(j, "true", 4)) < 0)
					return rc;
				break;
			case 'f':
				if ((rc = literal(j, "false", 5)) < 0)
					return rc;
				break;
			case 'n':
				if ((rc = literal(j, "null", 4)) < 0)
					return rc;
				break;
			default:
				q = scan_number(j->p, j->end, &integral);
				if (q == NULL)
					return fail(j, j->p, CILKIT_EINVAL,
					    "expected a value");
				j->p = q;
				break;
			}
			need_value = false;
		} else {
			/* After a value: ',' or the closer of the level. */
			if (depth == 0)
				return 0;
			if (c == (stack[depth - 1] ? '}' : ']')) {
				j->p++;
				if (--depth == 0)
					return 0;
				continue;
			}
			if (c != ',')
				return fail(j, j->p, CILKIT_EINVAL,
				    stack[depth - 1] ? "expected ',' or '}'" :
				    "expected ',' or ']'");
			j->p++;
			if (stack[depth - 1]) {
				c = flow_json_peek(j);
				if (c == -1)
					return trunc_fail(j);
				if (c != '"')
					return fail(j, j->p, CILKIT_EINVAL,
					    "expected a member name");
				if ((rc = skip_string(j)) < 0)
					return rc;
				c = flow_json_peek(j);
				if (c == -1)
					return trunc_fail(j);
				if (c != ':')
					return fail(j, j->p, CILKIT_EINVAL,
					    "expected ':'");
				j->p++;
			}
			need_value = true;
		}
		if (depth == 0 && !need_value)
			return 0;
	}
}

int
flow_json_finish(struct flow_json *j)
{
	if (flow_json_peek(j) != -1)
		return fail(j, j->p, CILKIT_EINVAL,
		    "trailing data after the JSON object");
	return 0;
}
