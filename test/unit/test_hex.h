/*
 * test_hex.h - frames for the unit tests written as hex, spaces
 * ignored, so that a test row reads like a packet dump.
 */
#ifndef CILKIT_TEST_HEX_H
#define CILKIT_TEST_HEX_H

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>

#include <check.h>

/* Decode hex into out (cap bytes at most); returns the byte count. */
static inline size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s))
			continue;
		v = isdigit((unsigned char)*s) ? *s - '0' :
		    tolower((unsigned char)*s) - 'a' + 10;
		if (hi < 0)
			hi = v;
		else {
			ck_assert_uint_lt(n, cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	ck_assert_int_lt(hi, 0);
	return n;
}

#endif /* CILKIT_TEST_HEX_H */
