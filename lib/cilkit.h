/*
 * cilkit.h - library-wide error codes and version.
 *
 * Library functions return 0 (or a positive count) on success and a
 * negative enum cilkit_err on failure, and fill a caller-supplied message
 * buffer as libpcap's errbuf does.  Library code never prints and never
 * exits: only main() chooses messages and exit codes (style.md rule 5).
 */
#ifndef CILKIT_CILKIT_H
#define CILKIT_CILKIT_H

#include <stddef.h>
#include <stdint.h>

#ifndef CILKIT_VERSION
#define CILKIT_VERSION "0.1.0"
#endif

/* Size of the message buffers that library calls fill. */
#define CILKIT_ERRBUF_SIZE 512

enum cilkit_err {
	CILKIT_OK = 0,
	CILKIT_EINVAL = -1,	/* bad argument or malformed input */
	CILKIT_ENOMEM = -2,	/* allocation failed */
	CILKIT_EIO = -3,	/* read/write failure */
	CILKIT_ETRUNC = -4,	/* input ended inside a record */
	CILKIT_ETOOBIG = -5,	/* over a size or depth cap */
	CILKIT_ENOTFOUND = -6,	/* object, file or interface not found */
	CILKIT_EAUTH = -7,	/* credentials missing, rejected or expired */
	CILKIT_EFORBIDDEN = -8,	/* authenticated but not allowed (RBAC) */
	CILKIT_ECONN = -9,	/* cannot reach or talk to the server */
	CILKIT_ETIMEOUT = -10,	/* deadline passed */
	CILKIT_EUNSUPPORTED = -11, /* valid but not handled (link type...) */
	CILKIT_EPROTO = -12,	/* peer broke the protocol */
	CILKIT_EINTR = -13,	/* interrupted by a signal or a stop request */
};

/* Short English name of an error code; never NULL. */
const char *cilkit_strerror(int err);

/*
 * Format into errbuf (size errlen, may be 0) and return err, so that
 * callers can write `return cilkit_fail(eb, n, CILKIT_EINVAL, "...")`.
 */
int cilkit_fail(char *errbuf, size_t errlen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Append printf-style text to the NUL-terminated string in buf (size
 * len), truncating at the end of the buffer.  A full buffer is left as
 * it is.
 */
void cilkit_strcatf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (m 1-12, d 1-31),
 * and back; exact for every int64 year that fits (H. Hinnant's
 * algorithms), so time formatting needs no time zone or libc state.
 */
int64_t cilkit_days_from_civil(int64_t y, unsigned m, unsigned d);
void cilkit_civil_from_days(int64_t z, int64_t *y, unsigned *m,
    unsigned *d);

#endif /* CILKIT_CILKIT_H */
