/*
 * cpcap_cursor.h - bounds-checked reads from captured packet bytes
 * (style.md rules 16-17).
 *
 * Every read of packet data goes through these accessors.  Each one
 * checks the bytes left in the cursor first and returns false, reading
 * nothing and leaving the cursor unchanged, when they are too few; the
 * caller then records a "truncated" reason.  Nothing here casts packet
 * pointers to wider types: multi-byte fields are assembled byte by byte,
 * so alignment and host byte order never matter.
 */
#ifndef CILKIT_CPCAP_CURSOR_H
#define CILKIT_CPCAP_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Big-endian values at b, which must lie inside bytes already checked
 * (a window, or the getters below after their check).
 */
static inline uint16_t
cpcap_be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t
cpcap_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

/*
 * Reading moves p alone: the bytes left and the offset are differences.
 * (With a length and an offset kept as fields beside p, gcc updated
 * them as one 16-byte vector right after writing them one by one, and
 * each such load waited for the stores: a fifth of the decoder's time.)
 */
struct cpcap_cur {
	const uint8_t	*p;	/* next unread byte */
	const uint8_t	*end;	/* one past the last readable byte */
	const uint8_t	*base;	/* the start of the frame */
};

static inline void
cpcap_cur_init(struct cpcap_cur *c, const void *buf, size_t len)
{
	c->p = c->base = buf;
	c->end = c->p + len;
}

/* Bytes left from the cursor. */
static inline size_t
cpcap_cur_left(const struct cpcap_cur *c)
{
	return (size_t)(c->end - c->p);
}

/* Offset of the cursor from the start of the frame. */
static inline size_t
cpcap_cur_off(const struct cpcap_cur *c)
{
	return (size_t)(c->p - c->base);
}

/*
 * The next n bytes as a checked window, NULL when fewer are left: for
 * code that reads fixed offsets below n (the decoder's fast path),
 * each of them then within bounds by this one check.
 */
static inline const uint8_t *
cpcap_cur_window(const struct cpcap_cur *c, size_t n)
{
	return cpcap_cur_left(c) >= n ? c->p : NULL;
}

/* Whether at least n bytes are left. */
static inline bool
cpcap_cur_has(const struct cpcap_cur *c, size_t n)
{
	return cpcap_cur_left(c) >= n;
}

static inline bool
cpcap_cur_skip(struct cpcap_cur *c, size_t n)
{
	if (cpcap_cur_left(c) < n)
		return false;
	c->p += n;
	return true;
}

/* Byte at offset i from the cursor, without advancing. */
static inline bool
cpcap_cur_peek_u8(const struct cpcap_cur *c, size_t i, uint8_t *v)
{
	if (cpcap_cur_left(c) <= i)
		return false;
	*v = c->p[i];
	return true;
}

/* Big-endian 16-bit value at offset i, without advancing. */
static inline bool
cpcap_cur_peek_be16(const struct cpcap_cur *c, size_t i, uint16_t *v)
{
	if (cpcap_cur_left(c) < 2 || cpcap_cur_left(c) - 2 < i)
		return false;
	*v = cpcap_be16(c->p + i);
	return true;
}

static inline bool
cpcap_cur_get_u8(struct cpcap_cur *c, uint8_t *v)
{
	if (cpcap_cur_left(c) < 1)
		return false;
	*v = c->p[0];
	return cpcap_cur_skip(c, 1);
}

static inline bool
cpcap_cur_get_be16(struct cpcap_cur *c, uint16_t *v)
{
	if (cpcap_cur_left(c) < 2)
		return false;
	*v = cpcap_be16(c->p);
	return cpcap_cur_skip(c, 2);
}

static inline bool
cpcap_cur_get_be24(struct cpcap_cur *c, uint32_t *v)
{
	if (cpcap_cur_left(c) < 3)
		return false;
	*v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	return cpcap_cur_skip(c, 3);
}

static inline bool
cpcap_cur_get_be32(struct cpcap_cur *c, uint32_t *v)
{
	if (cpcap_cur_left(c) < 4)
		return false;
	*v = cpcap_be32(c->p);
	return cpcap_cur_skip(c, 4);
}

static inline bool
cpcap_cur_get_le32(struct cpcap_cur *c, uint32_t *v)
{
	if (cpcap_cur_left(c) < 4)
		return false;
	*v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 |
	    (uint32_t)c->p[1] << 8 | c->p[0];
	return cpcap_cur_skip(c, 4);
}

/* Copy n bytes out (addresses). */
static inline bool
cpcap_cur_get_bytes(struct cpcap_cur *c, void *dst, size_t n)
{
	size_t i;

	if (cpcap_cur_left(c) < n)
		return false;
	for (i = 0; i < n; i++)
		((uint8_t *)dst)[i] = c->p[i];
	return cpcap_cur_skip(c, n);
}

/*
 * A sub-cursor over the next n bytes (or fewer, when fewer were
 * captured: *sub then ends at the capture end and the function returns
 * false so that the caller knows the region was cut short).  c advances
 * past whatever sub covers.
 */
static inline bool
cpcap_cur_sub(struct cpcap_cur *c, size_t n, struct cpcap_cur *sub)
{
	size_t left = cpcap_cur_left(c);
	size_t take = n <= left ? n : left;

	sub->p = c->p;
	sub->end = c->p + take;
	sub->base = c->base;
	c->p += take;
	return take == n;
}

#endif /* CILKIT_CPCAP_CURSOR_H */
