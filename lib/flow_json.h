/*
 * flow_json.h - a small zero-copy, in-place JSON pull scanner for the
 * hot path of the flow-lines reader (RFC 8259).
 *
 * The scanner walks a mutable buffer with a cursor.  Strings are decoded
 * in place (escapes shrink, never grow) and NUL-terminated where their
 * closing quote was, so a returned string points into the buffer and
 * needs no allocation.  Every call checks the end of the buffer; nothing
 * reads past buf + len.  Errors leave a static message and the byte
 * offset in the scanner; the caller adds the field path.
 *
 * Strings that are returned must be valid UTF-8 (overlongs, surrogates
 * and code points above U+10FFFF are refused) and may not contain
 * \u0000; values skipped with flow_json_skip() are checked for structure
 * only.  Nesting deeper than FLOW_JSON_MAX_DEPTH is refused.
 */
#ifndef CILKIT_FLOW_JSON_H
#define CILKIT_FLOW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLOW_JSON_MAX_DEPTH	64

struct flow_json {
	char *buf;		/* start, for offsets */
	char *p;		/* cursor */
	char *end;
	const char *err;	/* static message after a failure */
	size_t err_off;		/* byte offset of the failure */
};

void flow_json_init(struct flow_json *j, char *buf, size_t len);

/* Skip whitespace; the next byte, or -1 at the end of the buffer. */
int flow_json_peek(struct flow_json *j);

/* "object", "array", "string", "number", "true/false", "null", "end". */
const char *flow_json_kind(struct flow_json *j);

/*
 * Objects: after flow_json_open(j, '{'), call flow_json_member() until
 * it returns 0 ('}' consumed).  1 means a member follows: *key (NUL
 * terminated, in the buffer) and the ':' have been read.
 * Arrays: flow_json_open(j, '['), then flow_json_element() returns 1
 * while an element follows, 0 at ']'.  *first must start true.
 * Negative returns are enum cilkit_err (EINVAL syntax, ETRUNC end of
 * input inside a value).
 */
int flow_json_open(struct flow_json *j, char c);
int flow_json_member(struct flow_json *j, bool *first, const char **key,
    size_t *keylen);
int flow_json_element(struct flow_json *j, bool *first);

/* A string, decoded in place; *s is NUL-terminated. */
int flow_json_string(struct flow_json *j, const char **s, size_t *n);

/*
 * An integer given as a JSON number or, as protojson allows, a quoted
 * decimal string.  Fractions, exponents and out-of-range values are
 * refused.
 */
int flow_json_uint(struct flow_json *j, uint64_t max, uint64_t *v);
int flow_json_int(struct flow_json *j, int64_t min, int64_t max,
    int64_t *v);

int flow_json_bool(struct flow_json *j, bool *v);

/* 1 when the next value is null (consumed), 0 when it is not. */
int flow_json_null(struct flow_json *j);

/* Skip one value of any type, checking its structure. */
int flow_json_skip(struct flow_json *j);

/* Only whitespace remains?  0, or CILKIT_EINVAL ("trailing data"). */
int flow_json_finish(struct flow_json *j);

#endif /* CILKIT_FLOW_JSON_H */
