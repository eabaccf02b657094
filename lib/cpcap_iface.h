/*
 * cpcap_iface.h - which interface carries a pod's traffic: the host-side
 * (lxc...) veth of a pod, found from the pod's IP by a route lookup,
 * either in this host's routing table (rtnetlink RTM_GETROUTE, local
 * mode) or from the output of `ip route get IP` run in a Cilium agent
 * pod (remote mode).
 */
#ifndef CILKIT_CPCAP_IFACE_H
#define CILKIT_CPCAP_IFACE_H

#include <stddef.h>

/* Room for an interface name (IFNAMSIZ). */
#define CPCAP_IFNAMSIZ	16

/*
 * Ask this network namespace's kernel for the route to addr (numeric
 * IPv4 or IPv6) and write the outgoing interface into ifname.  Refused
 * (CILKIT_ENOTFOUND, with the reason) when there is no route, when the
 * address is local (a hostNetwork pod: no veth of its own), or when the
 * route goes through a gateway (the pod is on another node).
 */
int cpcap_iface_route(const char *addr, char *ifname, size_t iflen,
    char *errbuf, size_t errlen);

/*
 * Parse `ip route get ADDR` output (iproute2 or busybox), at most len
 * bytes of text, the same way: the interface after "dev", refused when
 * the route is "local" or has "via".  The name must pass
 * cpcap_ifname_valid().  Returns 0 or CILKIT_ENOTFOUND/CILKIT_EINVAL.
 */
int cpcap_iface_parse_route_get(const char *text, size_t len, char *ifname,
    size_t iflen, char *errbuf, size_t errlen);

/*
 * The host-side interface of an endpoint from `cilium-dbg endpoint get
 * ... -o json` output (a JSON array of endpoint models, or one model):
 * status.networking.interface-name of the first.  At most len bytes
 * are parsed (capped at 4 MiB); the name must pass cpcap_ifname_valid().
 * Returns 0, CILKIT_ENOTFOUND or CILKIT_EINVAL.
 */
int cpcap_iface_parse_endpoint_json(const char *text, size_t len,
    char *ifname, size_t iflen, char *errbuf, size_t errlen);

/* Whether the interface exists in this network namespace. */
int cpcap_iface_exists(const char *name);

#endif /* CILKIT_CPCAP_IFACE_H */
