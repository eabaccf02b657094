/*
 * cpcap_filter.h - capture filter building and checking: the user's BPF
 * expression combined with the pod's addresses, validated locally with
 * pcap_compile() before any capture starts, and the small validators
 * every capture argument goes through (addresses, interface names).
 */
#ifndef CILKIT_CPCAP_FILTER_H
#define CILKIT_CPCAP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest filter expression accepted (user part plus the host terms). */
#define CPCAP_FILTER_MAX	4096
/* Room for a textual IPv4/IPv6 address (INET6_ADDRSTRLEN). */
#define CPCAP_ADDRSTRLEN	46

/*
 * Parse a numeric IPv4 or IPv6 address (no names, no scope) and write
 * its canonical text into out (>= CPCAP_ADDRSTRLEN).  Returns AF_INET or
 * AF_INET6, or CILKIT_EINVAL with a message.
 */
int cpcap_addr_parse(const char *s, char *out, size_t outlen, char *errbuf,
    size_t errlen);

/*
 * Build the capture filter: "(USER) and (host A or host B ...)".  user
 * may be NULL or empty (then only the host terms); with naddrs == 0 the
 * user's filter is used alone (it may be empty: capture everything).
 * Addresses must be canonical (cpcap_addr_parse).  Returns 0, or
 * CILKIT_ETOOBIG when over CPCAP_FILTER_MAX or outlen.
 */
int cpcap_filter_build(const char *user, const char *const *addrs,
    size_t naddrs, char *out, size_t outlen, char *errbuf, size_t errlen);

/*
 * Compile expr for linktype/snaplen on a dead handle.  Returns 0, or
 * CILKIT_EINVAL with libpcap's message and the expression in errbuf.
 */
int cpcap_filter_check(const char *expr, int linktype, uint32_t snaplen,
    char *errbuf, size_t errlen);

/*
 * Whether name can be a Linux interface name: 1..15 bytes of
 * [A-Za-z0-9_.@-], not "." or "..".  It travels as an argv entry to a
 * remote command, so nothing else is let through.
 */
bool cpcap_ifname_valid(const char *name);

#endif /* CILKIT_CPCAP_FILTER_H */
