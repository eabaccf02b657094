/*
 * cilkit.c - error code names and the errbuf formatter.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cilkit.h"

const char *
cilkit_strerror(int err)
{
	switch (err) {
	case CILKIT_OK:		  return "success";
	case CILKIT_EINVAL:	  return "invalid input";
	case CILKIT_ENOMEM:	  return "out of memory";
	case CILKIT_EIO:	  return "I/O error";
	case CILKIT_ETRUNC:	  return "truncated input";
	case CILKIT_ETOOBIG:	  return "too large";
	case CILKIT_ENOTFOUND:	  return "not found";
	case CILKIT_EAUTH:	  return "authentication failed";
	case CILKIT_EFORBIDDEN:	  return "forbidden";
	case CILKIT_ECONN:	  return "connection failed";
	case CILKIT_ETIMEOUT:	  return "timed out";
	case CILKIT_EUNSUPPORTED: return "unsupported";
	case CILKIT_EPROTO:	  return "protocol error";
	case CILKIT_EINTR:	  return "interrupted";
	}
	return "unknown error";
}

int
cilkit_fail(char *errbuf, size_t errlen, int err, const char *fmt, ...)
{
	va_list ap;

	if (errbuf != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

void
cilkit_strcatf(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

int64_t
cilkit_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
cilkit_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}
