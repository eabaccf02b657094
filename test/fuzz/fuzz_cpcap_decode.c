/*
 * fuzz_cpcap_decode.c - libFuzzer target: the packet decoder on raw
 * packet bytes (its fast path checked against the general one, and
 * decoding into a reused struct against a fresh one), then the
 * conversation analysis and the diagnosis of whatever it made of them.
 *
 * Input: byte 0 picks the link type (index into the table below, the
 * unknown type included), the rest is one frame.  The frame is copied
 * to a buffer of exactly its size so that ASan sees any overread.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpcap_conv.h"
#include "cpcap_decode.h"
#include "cpcap_report.h"

static const int dlts[] = { 1, 113, 276, 12, 228, 229, 0, 108, 14, 147 };

static void
done(const struct cpcap_conv *c, void *arg)
{
	char text[512];

	(void)arg;
	cpcap_report_diagnose(c, text, sizeof(text));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cpcap_pkt reused;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cpcap_analyzer *a;
	struct cpcap_pkt p, q;
	uint8_t *frame;
	int dlt;
	size_t n;

	if (size < 1)
		return 0;
	if (a == NULL && (a = cpcap_analyzer_new(NULL, done, NULL)) == NULL)
		return 0;
	dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	n = size - 1;
	if ((frame = malloc(n > 0 ? n : 1)) == NULL)
		return 0;
	memcpy(frame, data + 1, n);
	/* wirelen: sometimes longer than captured (snaplen, BIG TCP) */
	cpcap_decode(dlt, frame, n, n + (data[0] >> 4) * 1000u, &p);
	/* The fast path for plain IPv4/TCP must agree with the general. */
	cpcap_decode_general(dlt, frame, n, n + (data[0] >> 4) * 1000u, &q);
	if (memcmp(&p, &q, sizeof(p)) != 0)
		abort();
	/*
	 * Into the struct the inputs before were decoded into, as the
	 * analyzer's ring slots are: the same bytes.
	 */
	cpcap_decode_into(dlt, frame, n, n + (data[0] >> 4) * 1000u,
	    &reused);
	if (memcmp(&p, &reused, sizeof(p)) != 0)
		abort();
	if (p.payload != NULL)
		if (p.payload < frame || p.payload + p.payload_caplen >
		    frame + n)
			abort();
	cpcap_analyzer_add(a, 1700000000000000000ull, (uint32_t)n, &p);
	/* keep the table small: finish everything now and then */
	if (cpcap_analyzer_live(a) > 1000)
		cpcap_analyzer_finish(a);
	free(frame);
	return 0;
}
