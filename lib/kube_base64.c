/*
 * kube_base64.c - RFC 4648 base64, standard alphabet, padded.
 */
#include <stdint.h>

#include "cilkit.h"
#include "kube_base64.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

long
kube_base64_encode(const void *in, size_t len, char *out, size_t cap)
{
	const uint8_t *p = in;
	size_t i, o = 0;
	uint32_t v;

	if (len > (SIZE_MAX / 4) * 3 - 3 || cap < KUBE_BASE64_ENCLEN(len) + 1)
		return CILKIT_ETOOBIG;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return (long)o;
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
kube_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap,
    char *errbuf, size_t errlen)
{
	uint32_t quad = 0;
	size_t i, o = 0;
	int n = 0, pad = 0, v;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			/* "xx==" or "xxx=": padding only at the end of a quad */
			if (n < 2)
				goto bad;
			pad++;
			n++;
			if (n == 4)
				goto flush;
			continue;
		}
		if (pad > 0 || (v = b64val(c)) < 0)
			goto bad;
		quad = quad << 6 | (uint32_t)v;
		n++;
		if (n < 4)
			continue;
flush:
		if (pad > 0)
			quad <<= 6 * pad;
		if (o + 3 - (size_t)pad > cap)
			return cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
			    "base64 data longer than %zu bytes", cap);
		out[o++] = (uint8_t)(quad >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(quad >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)quad;
		n = 0;
		quad = 0;
		if (pad > 0) {
			/* nothing but line breaks may follow padding */
			for (i++; i < len; i++)
				if (in[i] != '\r' && in[i] != '\n')
					goto bad;
			return (long)o;
		}
	}
	if (n != 0)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "base64 data truncated at byte %zu", len);
	return (long)o;
bad:
	return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
	    "bad base64 data at byte %zu", i);
}
