/*
 * fuzz_cpcap_stream.c - libFuzzer target for the incremental pcap
 * validator and the route-get parser.  The first byte picks a chunk
 * size; the stream is fed in those chunks and again in one piece, and
 * both runs must deliver the same records, each one sane (caplen <=
 * snaplen <= max, len >= caplen).  The input also goes through
 * cpcap_iface_parse_route_get() and cpcap_iface_parse_endpoint_json()
 * as agent output would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "cpcap_iface.h"
#include "cpcap_stream.h"

struct acc {
	struct cpcap_stream_info info;
	uint64_t nrec;
	uint64_t sum;		/* caplen and first bytes, to compare runs */
};

static int
on_info(void *arg, const struct cpcap_stream_info *info)
{
	struct acc *a = arg;

	if (info->snaplen == 0 || info->snaplen > CPCAP_MAX_SNAPLEN)
		abort();
	a->info = *info;
	return 0;
}

static int
on_rec(void *arg, const struct cpcap_rechdr *h, const uint8_t *data)
{
	struct acc *a = arg;

	if (h->caplen > a->info.snaplen || h->len < h->caplen)
		abort();
	a->nrec++;
	a->sum = a->sum * 31 + h->caplen + h->ts_sec;
	if (h->caplen > 0)
		a->sum += data[0] + data[h->caplen - 1];
	return 0;
}

static int
feed(const uint8_t *data, size_t size, size_t chunk, struct acc *a)
{
	char eb[CILKIT_ERRBUF_SIZE];
	struct cpcap_stream *s;
	size_t off, n;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	if (cpcap_stream_new(&s, "fuzz", on_info, on_rec, a, eb,
	    sizeof(eb)) != 0)
		return 0;
	for (off = 0; off < size && rc == 0; off += n) {
		n = size - off < chunk ? size - off : chunk;
		rc = cpcap_stream_feed(s, data + off, n, eb, sizeof(eb));
	}
	if (rc == 0)
		rc = cpcap_stream_end(s, eb, sizeof(eb));
	cpcap_stream_free(s);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ifn[CPCAP_IFNAMSIZ], eb[CILKIT_ERRBUF_SIZE];
	struct acc a1, a2;
	size_t chunk;
	int r1, r2;

	(void)cpcap_iface_parse_route_get((const char *)data, size, ifn,
	    sizeof(ifn), eb, sizeof(eb));
	(void)cpcap_iface_parse_endpoint_json((const char *)data, size, ifn,
	    sizeof(ifn), eb, sizeof(eb));
	if (size == 0)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	r1 = feed(data + 1, size - 1, chunk, &a1);
	r2 = feed(data + 1, size - 1, size, &a2);
	if (r1 != r2 || a1.nrec != a2.nrec || a1.sum != a2.sum)
		abort();
	return 0;
}
