/*
 * cilkit.c - error code names and the errbuf formatter.
 */
#include <stdarg.h>
#include <stdio.h>

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
