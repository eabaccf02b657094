/*
 * flow_quick.c - the drop prefilter for flow lines (flow_quick.h).
 *
 * Most Hubble lines are not drops (8% in our generated mix); parsing
 * each fully costs several times what it costs to look for the verdict
 * and count structural characters.  With SSE2 (every x86-64) the shape
 * test runs 16 bytes at a time, counting matches in byte lanes that are
 * summed every 255 blocks; elsewhere a byte loop does the same.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "flow_quick.h"

struct shape {
	long quotes, braces, brackets;
	bool bad;		/* control, high or backslash byte */
	bool drop;		/* a "verdict" key with a DROPPED value */
};

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Whether a "verdict" key starts at p[j] (the 'v' after its opening
 * quote) with the value "DROPPED" or 2, also as a quoted number ("2",
 * "002"), which the reader takes as the enum's number.
 */
static bool
verdict_at(const char *p, size_t j, size_t n)
{
	const char *v, *end = p + n;

	if (j == 0 || p[j - 1] != '"' || n - j < 8 ||
	    memcmp(p + j, "verdict\"", 8) != 0)
		return false;
	v = p + j + 8;
	while (v < end && blank(*v))
		v++;
	if (v == end || *v++ != ':')
		return false;
	while (v < end && blank(*v))
		v++;
	if ((size_t)(end - v) >= 9 && memcmp(v, "\"DROPPED\"", 9) == 0)
		return true;
	if (v < end && *v == '"') {
		for (v++; v < end && *v == '0'; v++)
			;
		return end - v >= 2 && v[0] == '2' && v[1] == '"';
	}
	return v < end && *v == '2' && (v + 1 == end || v[1] < '0' ||
	    v[1] > '9');
}

/* Bytes p[from..n) of a line of n bytes. */
static void
shape_bytes(const char *p, size_t from, size_t n, struct shape *sh)
{
	size_t i;

	for (i = from; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			sh->bad = true;
		sh->quotes += c == '"';
		sh->braces += (c == '{') - (c == '}');
		sh->brackets += (c == '[') - (c == ']');
		if (c == 'v' && verdict_at(p, i, n))
			sh->drop = true;
	}
}

#if defined(__SSE2__)
static long
lanes_sum(__m128i v)
{
	__m128i s = _mm_sad_epu8(v, _mm_setzero_si128());

	return _mm_cvtsi128_si32(s) + _mm_extract_epi16(s, 4);
}

/*
 * 16 bytes at a time while 18 remain (the "ver" test reads 2 ahead);
 * returns where the byte loop must go on.
 */
static size_t
shape_sse2(const char *p, size_t n, struct shape *sh)
{
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'),
	    ob = _mm_set1_epi8('{'), cb = _mm_set1_epi8('}'),
	    os = _mm_set1_epi8('['), cs = _mm_set1_epi8(']'),
	    lo = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f),
	    cv = _mm_set1_epi8('v'), ce = _mm_set1_epi8('e'),
	    cr = _mm_set1_epi8('r');
	__m128i aq, aob, acb, aos, acs, v, bad = _mm_setzero_si128();
	size_t i = 0, k;
	unsigned m;

	while (i + 18 <= n) {
		aq = aob = acb = aos = acs = _mm_setzero_si128();
		/* Byte lanes count to 255 at most before they are summed. */
		for (k = 0; k < 255 && i + 18 <= n; k++, i += 16) {
			v = _mm_loadu_si128((const __m128i *)(const void *)
			    (p + i));
			/* Signed compare: < 0x20 also catches bytes >= 0x80. */
			bad = _mm_or_si128(bad, _mm_or_si128(
			    _mm_cmplt_epi8(v, lo), _mm_or_si128(
			    _mm_cmpeq_epi8(v, bs), _mm_cmpeq_epi8(v, del))));
			aq = _mm_sub_epi8(aq, _mm_cmpeq_epi8(v, q));
			aob = _mm_sub_epi8(aob, _mm_cmpeq_epi8(v, ob));
			acb = _mm_sub_epi8(acb, _mm_cmpeq_epi8(v, cb));
			aos = _mm_sub_epi8(aos, _mm_cmpeq_epi8(v, os));
			acs = _mm_sub_epi8(acs, _mm_cmpeq_epi8(v, cs));
			m = (unsigned)_mm_movemask_epi8(_mm_and_si128(
			    _mm_cmpeq_epi8(v, cv), _mm_and_si128(
			    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)
			    (const void *)(p + i + 1)), ce),
			    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)
			    (const void *)(p + i + 2)), cr))));
			while (m != 0) {
				if (verdict_at(p, i + (size_t)__builtin_ctz(m),
				    n))
					sh->drop = true;
				m &= m - 1;
			}
		}
		sh->quotes += lanes_sum(aq);
		sh->braces += lanes_sum(aob) - lanes_sum(acb);
		sh->brackets += lanes_sum(aos) - lanes_sum(acs);
	}
	if (_mm_movemask_epi8(bad) != 0)
		sh->bad = true;
	return i;
}
#endif

bool
flow_quick_maybe_dropped(const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	struct shape sh = { 0, 0, 0, false, false };
	size_t n, done = 0;

	while (p < end && blank(*p))
		p++;
	while (end > p && blank(end[-1]))
		end--;
	n = (size_t)(end - p);
	if (n < 2 || *p != '{' || end[-1] != '}')
		return true;
#if defined(__SSE2__)
	done = shape_sse2(p, n, &sh);
#endif
	shape_bytes(p, done, n, &sh);
	return sh.drop || sh.bad || (sh.quotes & 1) != 0 || sh.braces != 0 ||
	    sh.brackets != 0;
}

bool
flow_quick_lost(const char *line, size_t len)
{
	static const char key[] = "{\"lost_events\"";
	static const char camel[] = "{\"lostEvents\"";
	size_t i = 0;

	while (i < len && blank(line[i]))
		i++;
	return (len - i >= sizeof(key) - 1 &&
	    memcmp(line + i, key, sizeof(key) - 1) == 0) ||
	    (len - i >= sizeof(camel) - 1 &&
	    memcmp(line + i, camel, sizeof(camel) - 1) == 0);
}
