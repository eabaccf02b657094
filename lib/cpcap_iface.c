/*
 * cpcap_iface.c - route lookups; see cpcap_iface.h.  The rtnetlink
 * request is the one `ip route get` sends (rtnetlink(7), RTM_GETROUTE
 * with RTA_DST and a full-length prefix); the answer's RTA_OIF is the
 * interface, RTA_GATEWAY and rtm_type RTN_LOCAL tell the refusals.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cilkit.h"
#include "cpcap_filter.h"
#include "cpcap_iface.h"

int
cpcap_iface_exists(const char *name)
{
	return cpcap_ifname_valid(name) && if_nametoindex(name) != 0;
}

int
cpcap_iface_route(const char *addr, char *ifname, size_t iflen,
    char *errbuf, size_t errlen)
{
	struct {
		struct nlmsghdr	nh;
		struct rtmsg	rt;
		char		attrs[64];
	} req;
	union {
		struct nlmsghdr	nh;
		char		buf[8192];
	} resp;
	unsigned char a[sizeof(struct in6_addr)];
	char gw[INET6_ADDRSTRLEN] = "", name[IF_NAMESIZE];
	struct sockaddr_nl sa;
	struct rtattr *rta;
	struct nlmsghdr *nh;
	struct rtmsg *rt;
	struct pollfd pfd;
	int fam, fd, oif = 0, rc, rtlen, type = -1;
	size_t alen;
	ssize_t n;

	if (inet_pton(AF_INET, addr, a) == 1) {
		fam = AF_INET;
		alen = 4;
	} else if (inet_pton(AF_INET6, addr, a) == 1) {
		fam = AF_INET6;
		alen = 16;
	} else
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "'%.64s' is not an IP address", addr);

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = (unsigned char)fam;
	req.rt.rtm_dst_len = (unsigned char)(alen * 8);
	rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	rta->rta_type = RTA_DST;
	rta->rta_len = (unsigned short)RTA_LENGTH(alen);
	memcpy(RTA_DATA(rta), a, alen);
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(
	    rta->rta_len);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return cilkit_fail(errbuf, errlen, CILKIT_EIO,
		    "netlink socket: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0) {
		rc = cilkit_fail(errbuf, errlen, CILKIT_EIO,
		    "netlink route request: %s", strerror(errno));
		goto out;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 2000) <= 0) {
		rc = cilkit_fail(errbuf, errlen, CILKIT_ETIMEOUT,
		    "no answer from netlink for the route to %s", addr);
		goto out;
	}
	n = recv(fd, &resp, sizeof(resp), 0);
	if (n < 0) {
		rc = cilkit_fail(errbuf, errlen, CILKIT_EIO,
		    "netlink receive: %s", strerror(errno));
		goto out;
	}
	nh = &resp.nh;
	if (!NLMSG_OK(nh, (size_t)n)) {
		rc = cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
		    "short netlink answer");
		goto out;
	}
	if (nh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(nh);
		int en = nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ?
		    -e->error : EPROTO;

		rc = cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "no route to %s on this host: %s", addr, strerror(en));
		goto out;
	}
	if (nh->nlmsg_type != RTM_NEWROUTE ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*rt))) {
		rc = cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
		    "unexpected netlink answer type %u", nh->nlmsg_type);
		goto out;
	}
	rt = NLMSG_DATA(nh);
	type = rt->rtm_type;
	rtlen = (int)RTM_PAYLOAD(nh);
	for (rta = RTM_RTA(rt); RTA_OK(rta, rtlen);
	    rta = RTA_NEXT(rta, rtlen)) {
		if (rta->rta_type == RTA_OIF &&
		    RTA_PAYLOAD(rta) >= sizeof(int))
			memcpy(&oif, RTA_DATA(rta), sizeof(int));
		else if (rta->rta_type == RTA_GATEWAY &&
		    RTA_PAYLOAD(rta) == alen)
			inet_ntop(fam, RTA_DATA(rta), gw, sizeof(gw));
	}
	if (oif <= 0 || if_indextoname((unsigned)oif, name) == NULL) {
		rc = cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "the route to %s names no interface", addr);
		goto out;
	}
	if (type == RTN_LOCAL) {
		rc = cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "%s is an address of this host (a hostNetwork pod has "
		    "no interface of its own; use --interface any)", addr);
		goto out;
	}
	if (gw[0] != '\0') {
		rc = cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "%s is not on this node: its route goes via %s dev %s",
		    addr, gw, name);
		goto out;
	}
	if (type != RTN_UNICAST) {
		rc = cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "no usable route to %s (route type %d)", addr, type);
		goto out;
	}
	if (strlen(name) >= iflen) {
		rc = cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
		    "interface name too long");
		goto out;
	}
	memcpy(ifname, name, strlen(name) + 1);
	rc = 0;
out:
	close(fd);
	return rc;
}

/* Next whitespace-separated word of s[0..len) from *pos into w. */
static int
next_word(const char *s, size_t len, size_t *pos, char *w, size_t wlen)
{
	size_t i = *pos, n = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	if (i >= len || s[i] == '\0')
		return 0;
	while (i < len && s[i] != '\0' && s[i] != ' ' && s[i] != '\t' &&
	    s[i] != '\n' && s[i] != '\r') {
		if (n + 1 < wlen)
			w[n++] = s[i];
		else
			n = wlen;	/* mark as too long */
		i++;
	}
	*pos = i;
	if (n >= wlen)
		w[0] = '\0', n = 0;
	else
		w[n] = '\0';
	return 1;
}

int
cpcap_iface_parse_route_get(const char *text, size_t len, char *ifname,
    size_t iflen, char *errbuf, size_t errlen)
{
	char w[64], dev[64] = "", via[64] = "", first[64] = "";
	size_t pos = 0, nw = 0;
	int want = 0;		/* 1: next word is dev, 2: via */

	/* Only the first line is the route; "cache" lines follow. */
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n' || text[i] == '\0') {
			len = i;
			break;
		}
	while (next_word(text, len, &pos, w, sizeof(w))) {
		if (nw++ == 0)
			snprintf(first, sizeof(first), "%s", w);
		if (want == 1)
			snprintf(dev, sizeof(dev), "%s", w);
		else if (want == 2)
			snprintf(via, sizeof(via), "%s", w);
		want = strcmp(w, "dev") == 0 ? 1 :
		    strcmp(w, "via") == 0 ? 2 : 0;
	}
	if (nw == 0)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "empty 'ip route get' output");
	if (strcmp(first, "local") == 0)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "the pod's address is local to the node (a hostNetwork "
		    "pod has no interface of its own; use --interface any)");
	if (strcmp(first, "unreachable") == 0 ||
	    strcmp(first, "prohibit") == 0 || strcmp(first, "blackhole") == 0)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "the node has no route to the pod (%s)", first);
	if (dev[0] == '\0')
		return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "'ip route get' output names no interface");
	if (!cpcap_ifname_valid(dev))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "'ip route get' names a bad interface '%.20s'", dev);
	if (via[0] != '\0')
		return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "the pod is not on this node: its route goes via %s "
		    "dev %s", via, dev);
	if (strlen(dev) >= iflen)
		return cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
		    "interface name too long");
	memcpy(ifname, dev, strlen(dev) + 1);
	return 0;
}

int
cpcap_iface_parse_endpoint_json(const char *text, size_t len, char *ifname,
    size_t iflen, char *errbuf, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *root, *ep, *st, *net, *name;
	const char *s;
	int rc;

	if (len > (4U << 20))
		return cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
		    "endpoint JSON over 4 MiB");
	tok = json_tokener_new_ex(32);
	if (tok == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "out of memory");
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		rc = cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "endpoint output is not JSON: %s",
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	ep = json_object_is_type(root, json_type_array) ?
	    json_object_array_get_idx(root, 0) : root;
	if (ep == NULL || !json_object_is_type(ep, json_type_object) ||
	    !json_object_object_get_ex(ep, "status", &st) ||
	    !json_object_object_get_ex(st, "networking", &net) ||
	    !json_object_object_get_ex(net, "interface-name", &name) ||
	    !json_object_is_type(name, json_type_string)) {
		rc = cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "no status.networking.interface-name in the endpoint");
		goto out;
	}
	s = json_object_get_string(name);
	if (!cpcap_ifname_valid(s) || strlen(s) >= iflen) {
		rc = cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "endpoint names a bad interface '%.20s'", s);
		goto out;
	}
	memcpy(ifname, s, strlen(s) + 1);
	rc = 0;
out:
	json_object_put(root);
	json_tokener_free(tok);
	return rc;
}
