/*
 * fuzz_cpcap_read.c - libFuzzer target: a whole capture file (pcap or
 * pcapng bytes) through the reader (with the sniffed prefix put back,
 * as flow-analyzer does; a pcapng goes on with cpcap_pcapng.c from the
 * journal of the stream, its interfaces merged into time order), the
 * decoder, the analysis (told where each packet was seen) and the
 * report: JSON, or by the input's size CSV or text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "cpcap_conv.h"
#include "cpcap_decode.h"
#include "cpcap_read.h"
#include "cpcap_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char eb[CILKIT_ERRBUF_SIZE];
	struct cpcap_reader *r;
	struct cpcap_analyzer *a;
	struct cpcap_report *rep;
	struct cpcap_report_input in;
	struct cpcap_frame f;
	struct cpcap_pkt p = { 0 };	/* cpcap_decode_frame() reuses it */
	FILE *fp, *out;
	size_t pre = size < 16 ? size : 16;

	if (size == 0 || (fp = fmemopen((void *)(uintptr_t)(data + pre),
	    size - pre > 0 ? size - pre : 1, "rb")) == NULL)
		return 0;
	if (size == pre)
		fgetc(fp);	/* empty rest */
	if ((r = cpcap_reader_open(fp, "fuzz", data, pre, eb,
	    sizeof(eb))) == NULL)
		return 0;
	out = fopen("/dev/null", "w");
	rep = cpcap_report_new(out, size % 4 == 1 ? CPCAP_REPORT_CSV :
	    size % 4 == 2 ? CPCAP_REPORT_TEXT : CPCAP_REPORT_JSON, 5, false);
	a = cpcap_analyzer_new(NULL, cpcap_report_conv, rep);
	if (out != NULL && rep != NULL && a != NULL) {
		while (cpcap_reader_next(r, &f, eb, sizeof(eb)) == 1) {
			cpcap_decode_frame(&f, &p);
			cpcap_analyzer_add(a, f.ts_ns, f.wirelen, &p);
		}
		cpcap_analyzer_finish(a);
		memset(&in, 0, sizeof(in));
		in.name = "fuzz";
		in.format = cpcap_reader_format(r);
		in.dlt = cpcap_reader_dlt(r);
		in.ndlts = cpcap_reader_dlts(r, &in.dlts);
		in.interfaces = cpcap_reader_interfaces(r);
		cpcap_report_end(rep, a, &in, eb, sizeof(eb));
	}
	cpcap_analyzer_free(a);
	cpcap_report_free(rep);
	if (out != NULL)
		fclose(out);
	cpcap_reader_free(r);
	return 0;
}
