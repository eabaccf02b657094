/*
 * fuzz_cpcap_pcapng.c - libFuzzer target: bytes as a pcapng file through
 * cpcap_pcapng.c (the reader for files of several link types), every
 * packet's bytes touched so that a bad bound shows.
 */
#include <stdint.h>
#include <stdio.h>

#include "cilkit.h"
#include "cpcap_pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char eb[CILKIT_ERRBUF_SIZE];
	struct cpcap_pcapng *g;
	struct cpcap_frame f;
	const int *v;
	volatile uint8_t sink = 0;
	uint32_t i;
	FILE *fp;

	if (size == 0 || (fp = fmemopen((void *)(uintptr_t)data, size,
	    "rb")) == NULL)
		return 0;
	if ((g = cpcap_pcapng_open(fp, "fuzz")) == NULL)
		return 0;
	while (cpcap_pcapng_next(g, &f, eb, sizeof(eb)) == 1)
		for (i = 0; i < f.caplen; i++)
			sink ^= f.data[i];
	(void)cpcap_pcapng_dlts(g, &v);
	cpcap_pcapng_free(g);
	(void)sink;
	return 0;
}
