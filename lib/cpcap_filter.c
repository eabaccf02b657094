/*
 * cpcap_filter.c - filter building and validation; see cpcap_filter.h.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "cilkit.h"
#include "cpcap_filter.h"

int
cpcap_addr_parse(const char *s, char *out, size_t outlen, char *errbuf,
    size_t errlen)
{
	unsigned char a[sizeof(struct in6_addr)];
	int fam;

	if (s == NULL || outlen < CPCAP_ADDRSTRLEN)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "no address");
	if (inet_pton(AF_INET, s, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, s, a) == 1)
		fam = AF_INET6;
	else
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "'%.64s' is not an IPv4 or IPv6 address", s);
	if (inet_ntop(fam, a, out, (socklen_t)outlen) == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "'%.64s': cannot format address", s);
	return fam;
}

int
cpcap_filter_build(const char *user, const char *const *addrs,
    size_t naddrs, char *out, size_t outlen, char *errbuf, size_t errlen)
{
	char hosts[CPCAP_FILTER_MAX];
	size_t i, hl = 0;
	int n;

	if (outlen > CPCAP_FILTER_MAX + 1)
		outlen = CPCAP_FILTER_MAX + 1;
	hosts[0] = '\0';
	for (i = 0; i < naddrs; i++) {
		n = snprintf(hosts + hl, sizeof(hosts) - hl, "%shost %s",
		    i > 0 ? " or " : "", addrs[i]);
		if (n < 0 || (size_t)n >= sizeof(hosts) - hl)
			return cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
			    "too many addresses for a filter");
		hl += (size_t)n;
	}
	if (user != NULL && *user != '\0' && naddrs > 0)
		n = snprintf(out, outlen, "(%s) and (%s)", user, hosts);
	else if (naddrs > 0)
		n = snprintf(out, outlen, "%s", hosts);
	else
		n = snprintf(out, outlen, "%s", user != NULL ? user : "");
	if (n < 0 || (size_t)n >= outlen)
		return cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
		    "filter longer than %d bytes", CPCAP_FILTER_MAX);
	return 0;
}

int
cpcap_filter_check(const char *expr, int linktype, uint32_t snaplen,
    char *errbuf, size_t errlen)
{
	struct bpf_program prog;
	pcap_t *p;
	int rc = 0;

	p = pcap_open_dead(linktype, (int)snaplen);
	if (p == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "cannot open a pcap handle to check the filter");
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0)
		rc = cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "bad filter '%s': %s", expr, pcap_geterr(p));
	else
		pcap_freecode(&prog);
	pcap_close(p);
	return rc;
}

bool
cpcap_ifname_valid(const char *name)
{
	size_t i, n;

	if (name == NULL)
		return false;
	n = strlen(name);
	if (n == 0 || n > 15 || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-' || c == '@'))
			return false;
	}
	return name[0] != '-';
}
