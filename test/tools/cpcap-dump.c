/*
 * cpcap-dump - print what the cpcap decoder made of each packet, one
 * line per packet, for tests that compare it with tcpdump's decode:
 *
 *   N STATUS REASON SRC[.SPORT] > DST[.DPORT] [tunnel TYPE VNI]
 *
 * (N counts from 1; addresses of the innermost IP packet, ports for
 * TCP/UDP/SCTP when they were read; "-" when there is no IP packet).
 *
 * usage: cpcap-dump FILE   ("-" is stdin)
 */
#include <stdio.h>

#include "cilkit.h"
#include "cpcap_decode.h"
#include "cpcap_read.h"

int
main(int argc, char **argv)
{
	char eb[CILKIT_ERRBUF_SIZE], s[64], d[64];
	struct cpcap_reader *r;
	struct cpcap_frame f;
	struct cpcap_pkt p;
	unsigned long n = 0;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: cpcap-dump FILE\n");
		return 2;
	}
	if ((r = cpcap_reader_open_path(argv[1], eb, sizeof(eb))) == NULL) {
		fprintf(stderr, "cpcap-dump: %s\n", eb);
		return 2;
	}
	while ((rc = cpcap_reader_next(r, &f, eb, sizeof(eb))) == 1) {
		cpcap_decode(cpcap_reader_dlt(r), f.data, f.caplen, f.wirelen,
		    &p);
		printf("%lu %s %s ", ++n, cpcap_status_name(p.status),
		    cpcap_reason_name(p.reason));
		if (p.t.af == 0)
			printf("-");
		else {
			cpcap_addr_str(p.t.af, p.t.src, s, sizeof(s));
			cpcap_addr_str(p.t.af, p.t.dst, d, sizeof(d));
			if (p.t.has_ports && (p.t.proto == 6 ||
			    p.t.proto == 17 || p.t.proto == 132))
				printf("%s.%u > %s.%u", s, p.t.sport, d,
				    p.t.dport);
			else
				printf("%s > %s", s, d);
		}
		if (p.tunnel != CPCAP_TUN_NONE)
			printf(" tunnel %s %u", cpcap_tunnel_name(p.tunnel),
			    p.vni);
		printf("\n");
	}
	if (rc < 0)
		fprintf(stderr, "cpcap-dump: %s\n", eb);
	cpcap_reader_free(r);
	return rc < 0 ? 1 : 0;
}
