/*
 * fuzz_cilium_monitor.c - libFuzzer target for the cilium monitor reader:
 * arbitrary bytes through the reader (text, -vv blocks and -j JSON) and
 * through the sniffer.  Every record must be readable field by field.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cilium_monitor.h"
#include "cilkit.h"
#include "flow.h"

static size_t
touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cilium_monitor_reader *r;
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];
	volatile size_t sink = 0;
	size_t half = size / 2;
	FILE *fp;
	int rc;

	(void)cilium_monitor_sniff(data, size);
	if (size == 0)
		return 0;
	fp = fmemopen((void *)(data + half), size - half, "r");
	if (fp == NULL)
		return 0;
	/* Half the input as a sniffed prefix, the rest from the stream. */
	r = cilium_monitor_reader_new(fp, "fuzz", data, half);
	while (r != NULL && (rc = cilium_monitor_next(r, &rec, eb,
	    sizeof(eb))) != 0) {
		if (rc < 0) {
			sink += strlen(eb);
			continue;
		}
		sink += touch(rec.flow.src_ip) + touch(rec.flow.dst_ip) +
		    touch(rec.flow.summary) + touch(rec.flow.iface_name) +
		    touch(rec.flow.file_name) + touch(rec.flow.src_mac) +
		    touch(rec.flow.drop_reason_text) +
		    touch(rec.other.subtype);
	}
	cilium_monitor_reader_free(r);
	fclose(fp);
	(void)sink;
	return 0;
}
