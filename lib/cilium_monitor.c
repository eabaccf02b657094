/*
 * cilium_monitor.c - `cilium monitor` text and -j output -> flow records.
 *
 * Formats: cilium-monitor-format.md (sections 2-5, and section 7 for the
 * 2017-2025 drift).  Each INFO line is one event.  Verbose (-vv) events
 * span lines: a header ("CPU 01: MARK ... FROM ..."), dissected layers
 * ("IPv4\t{...}") and optional DEBUG lines, with blocks separated by a
 * line of dashes; some releases printed the layers before their header,
 * so a block is everything between two separators.
 *
 * Parsing works on a private copy of each line; every string handed out
 * is copied into the record's slot arena, so records stay valid until the
 * next call whatever the line buffer does.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cilium_drop.h"
#include "cilium_monitor.h"
#include "cilkit.h"
#include "cilkit_lines.h"
#include "flow.h"
#include "report.h"

#define MON_MAX_LINE	(1u << 20)
#define SLOT_ARENA	8192
#define SLOT_LABELS	4
#define N_SLOTS		4

/* One record being built or waiting to be handed out. */
struct slot {
	struct flow_record rec;
	char arena[SLOT_ARENA];
	size_t used;
	const char *labels[2][SLOT_LABELS];
};

/* A verbose (-vv) block being assembled. */
struct vblock {
	int open;		/* lines seen since the last separator */
	int has_header;
	int has_layers;
	size_t line;		/* where the block started, for messages */
	struct slot s;
};

struct cilium_monitor_reader {
	struct cilkit_lines *lines;
	const char *name;
	struct slot ring[N_SLOTS];
	unsigned head, count;	/* ready records ring[head..head+count) */
	unsigned out;		/* slot last handed out (reused next call) */
	struct vblock vb;
	int seen_separator;
	int in_recorder;	/* layers of a "Recorder capture:" event */
	int eof;
};

/* ---------------------------------------------------------------- slots */

static void
slot_reset(struct slot *s)
{
	memset(&s->rec, 0, sizeof(s->rec));
	flow_clear(&s->rec.flow);
	s->rec.kind = FLOW_EV_FLOW;
	s->rec.other.cpu = -1;
	s->used = 0;
}

/* Copy len bytes of p into the slot arena; NULL when it is full. */
static const char *
sdup(struct slot *s, const char *p, size_t len)
{
	char *d;

	if (len + 1 > SLOT_ARENA - s->used)
		return NULL;
	d = s->arena + s->used;
	memcpy(d, p, len);
	d[len] = '\0';
	s->used += len + 1;
	return d;
}

static const char *
sdupz(struct slot *s, const char *p)
{
	return sdup(s, p, strlen(p));
}

/* ------------------------------------------------------------- helpers */

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Parse a decimal number at *p, advancing it; -1 when none. */
static long long
take_num(const char **p)
{
	const char *s = *p;
	long long v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		if (v < 1000000000000LL)
			v = v * 10 + (*s - '0');
		s++;
	}
	*p = s;
	return v;
}

/* Copy the token at p (up to a char in stop or NUL) into buf. */
static size_t
take_token(const char *p, const char *stop, char *buf, size_t len)
{
	size_t n = 0;

	while (p[n] != '\0' && strchr(stop, p[n]) == NULL)
		n++;
	if (len > 0) {
		size_t c = n < len - 1 ? n : len - 1;
		memcpy(buf, p, c);
		buf[c] = '\0';
	}
	return n;
}

/* Identity as printed: a number or a reserved name ("world", "host"). */
static int
parse_identity(const char *tok, uint32_t *out)
{
	static const char *const names[] = {
		"unknown", "host", "world", "unmanaged", "health", "init",
		"remote-node", "kube-apiserver", "ingress", "world-ipv4",
		"world-ipv6",
	};
	const char *p = tok;
	long long v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(tok, names[i]) == 0) {
			*out = (uint32_t)i;
			return 0;
		}
	v = take_num(&p);
	if (v < 0 || *p != '\0' || v > 0xffffffffLL)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "A->B" into the two identities; returns 0 when both parsed. */
static int
parse_identity_pair(struct flow *f, const char *p)
{
	char a[64], b[64];
	const char *arrow = strstr(p, "->");
	size_t n;

	if (arrow == NULL) {
		/* 2017: "identity 257" names only the source. */
		take_token(p, " :,", a, sizeof(a));
		return parse_identity(a, &f->src.identity);
	}
	n = (size_t)(arrow - p);
	if (n == 0 || n >= sizeof(a))
		return -1;
	memcpy(a, p, n);
	a[n] = '\0';
	take_token(arrow + 2, " :,", b, sizeof(b));
	if (parse_identity(a, &f->src.identity) != 0 ||
	    parse_identity(b, &f->dst.identity) != 0)
		return -1;
	return 0;
}

/* --------------------------------------------------- connection summary */

struct icmp_name {
	const char *name;
	int v4type, v6type;	/* -1: not in that family */
};

/* gopacket's type names, as the monitor prints them. */
static const struct icmp_name icmp_names[] = {
	{ "EchoReply", 0, 129 },
	{ "DestinationUnreachable", 3, 1 },
	{ "SourceQuench", 4, -1 },
	{ "Redirect", 5, 137 },
	{ "EchoRequest", 8, 128 },
	{ "RouterAdvertisement", 9, 134 },
	{ "RouterSolicitation", 10, 133 },
	{ "TimeExceeded", 11, 3 },
	{ "ParameterProblem", 12, 4 },
	{ "TimestampRequest", 13, -1 },
	{ "TimestampReply", 14, -1 },
	{ "InfoRequest", 15, -1 },
	{ "InfoReply", 16, -1 },
	{ "AddressMaskRequest", 17, -1 },
	{ "AddressMaskReply", 18, -1 },
	{ "PacketTooBig", -1, 2 },
	{ "MLDv1MulticastListenerQuery", -1, 130 },
	{ "MLDv1MulticastListenerReport", -1, 131 },
	{ "MLDv1MulticastListenerDone", -1, 132 },
	{ "NeighborSolicitation", -1, 135 },
	{ "NeighborAdvertisement", -1, 136 },
	{ "MLDv2MulticastListenerReport", -1, 143 },
};

/* Destination-unreachable code names (ICMPv4, then ICMPv6). */
static const char *const unreach4[] = {
	"Net", "Host", "Protocol", "Port", "FragmentationNeeded",
	"SourceRoutingFailed", "NetUnknown", "HostUnknown", "SourceIsolated",
	"NetAdminProhibited", "HostAdminProhibited", "NetTOS", "HostTOS",
	"CommAdminProhibited", "HostPrecedence", "PrecedenceCutoff",
};
static const char *const unreach6[] = {
	"NoRouteToDst", "AdminProhibited", "BeyondScopeOfSrc", "Address",
	"Port", "SrcAddressFailedPolicy", "RejectRouteToDst",
};

/* Set ICMP type/code from "EchoRequest", "DestinationUnreachable(Port)"
 * or the numeric "58(0)" form. */
static void
parse_icmp(struct flow *f, const char *word, int v6)
{
	char name[64], code[64];
	const char *paren;
	size_t i, n;

	f->l4 = v6 ? FLOW_L4_ICMPV6 : FLOW_L4_ICMPV4;
	paren = strchr(word, '(');
	n = paren != NULL ? (size_t)(paren - word) : strlen(word);
	if (n >= sizeof(name))
		return;
	memcpy(name, word, n);
	name[n] = '\0';
	code[0] = '\0';
	if (paren != NULL)
		take_token(paren + 1, ")", code, sizeof(code));
	if (isdigit((unsigned char)name[0])) {
		const char *p = name;
		long long t = take_num(&p);
		if (t >= 0 && t <= 255)
			f->icmp_type = (uint8_t)t;
		p = code;
		t = take_num(&p);
		if (t >= 0 && t <= 255)
			f->icmp_code = (uint8_t)t;
		return;
	}
	for (i = 0; i < sizeof(icmp_names) / sizeof(icmp_names[0]); i++) {
		int t = v6 ? icmp_names[i].v6type : icmp_names[i].v4type;
		if (t < 0 || strcmp(icmp_names[i].name, name) != 0)
			continue;
		f->icmp_type = (uint8_t)t;
		break;
	}
	if (code[0] == '\0')
		return;
	if ((f->icmp_type == 3 && !v6) || (f->icmp_type == 1 && v6)) {
		const char *const *tab = v6 ? unreach6 : unreach4;
		size_t nt = v6 ? sizeof(unreach6) / sizeof(unreach6[0]) :
		    sizeof(unreach4) / sizeof(unreach4[0]);
		for (i = 0; i < nt; i++)
			if (strcmp(tab[i], code) == 0)
				f->icmp_code = (uint8_t)i;
	} else if (strcmp(code, "FragmentReassemblyTimeExceeded") == 0) {
		f->icmp_code = 1;
	}
}

/*
 * Is w an ICMP type as gopacket prints it: a name of the table, with
 * or without "(code)", or the numeric "58(0)"?  Other words after the
 * addresses name other protocols ("IPsecESP", "UnknownEthernetType").
 */
static int
is_icmp_word(const char *w)
{
	size_t i, n = strcspn(w, "(");

	if (isdigit((unsigned char)w[0]))
		return strspn(w, "0123456789") == n && w[n] == '(';
	for (i = 0; i < sizeof(icmp_names) / sizeof(icmp_names[0]); i++)
		if (strlen(icmp_names[i].name) == n &&
		    strncmp(icmp_names[i].name, w, n) == 0)
			return 1;
	return 0;
}

/* Is tok a MAC address (six two-digit hex groups)? */
static int
is_mac(const char *tok)
{
	int i;

	if (strlen(tok) != 17)
		return 0;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (tok[i] != ':')
				return 0;
		} else if (!isxdigit((unsigned char)tok[i])) {
			return 0;
		}
	}
	return 1;
}

/*
 * Split "addr:port", "[v6]:port", "v6" or "v4" into address and port.
 * A port that is not a number (anonymised captures print "c") is 0.
 */
static void
split_endpoint(const char *tok, char *addr, size_t alen, uint16_t *port,
    int *v6)
{
	const char *colon, *p;
	size_t ncolon = 0, n;
	long long v;

	*port = 0;
	*v6 = 0;
	for (p = tok; *p != '\0'; p++)
		ncolon += *p == ':';
	if (tok[0] == '[') {
		const char *rb = strchr(tok, ']');
		n = rb != NULL ? (size_t)(rb - tok - 1) : strlen(tok) - 1;
		if (n >= alen)
			n = alen - 1;
		memcpy(addr, tok + 1, n);
		addr[n] = '\0';
		*v6 = 1;
		if (rb != NULL && rb[1] == ':') {
			p = rb + 2;
			v = take_num(&p);
			if (v >= 0 && v <= 65535 && *p == '\0')
				*port = (uint16_t)v;
		}
		return;
	}
	if (ncolon == 1) {
		colon = strchr(tok, ':');
		n = (size_t)(colon - tok);
		if (n >= alen)
			n = alen - 1;
		memcpy(addr, tok, n);
		addr[n] = '\0';
		p = colon + 1;
		v = take_num(&p);
		if (v >= 0 && v <= 65535 && *p == '\0')
			*port = (uint16_t)v;
		return;
	}
	*v6 = ncolon > 1;
	snprintf(addr, alen, "%s", tok);
}

static uint16_t
tcp_flag_bit(const char *w)
{
	static const struct { const char *n; uint16_t bit; } t[] = {
		{ "SYN", FLOW_TCP_SYN }, { "ACK", FLOW_TCP_ACK },
		{ "RST", FLOW_TCP_RST }, { "FIN", FLOW_TCP_FIN },
		{ "PSH", FLOW_TCP_PSH }, { "URG", FLOW_TCP_URG },
		{ "ECE", FLOW_TCP_ECE }, { "CWR", FLOW_TCP_CWR },
		{ "NS", FLOW_TCP_NS },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(w, t[i].n) == 0)
			return t[i].bit;
	return 0;
}

/*
 * Parse a connection summary ("10.0.0.1:41022 -> 10.0.0.2:8080 tcp SYN",
 * section 2) into the flow's addresses, ports and L4 fields.  Unknown
 * shapes leave the fields unset; the summary text is kept either way.
 */
static void
parse_summary(struct slot *s, const char *text)
{
	struct flow *f = &s->rec.flow;
	char buf[1024], addr[128], tok[128], *p, *tun, *w, *save = NULL;
	uint16_t port;
	int v6a, v6b;
	const char *arrow;

	f->summary = sdupz(s, text);
	snprintf(buf, sizeof(buf), "%s", text);
	tun = strstr(buf, " [tunnel ");
	if (tun != NULL) {
		if (strstr(tun, " vxlan]") != NULL)
			f->tunnel_proto = 1;
		else if (strstr(tun, " geneve]") != NULL)
			f->tunnel_proto = 2;
		*tun = '\0';
	}
	arrow = strstr(buf, " -> ");
	if (arrow == NULL)
		return;
	take_token(buf, " ", tok, sizeof(tok));
	if (is_mac(tok)) {
		f->src_mac = sdupz(s, tok);
		take_token(arrow + 4, " ", tok, sizeof(tok));
		f->dst_mac = sdupz(s, tok);
		return;
	}
	split_endpoint(tok, addr, sizeof(addr), &port, &v6a);
	f->src_ip = sdupz(s, addr);
	f->sport = port;
	take_token(arrow + 4, " ", tok, sizeof(tok));
	split_endpoint(tok, addr, sizeof(addr), &port, &v6b);
	f->dst_ip = sdupz(s, addr);
	f->dport = port;
	f->ip_version = (v6a || v6b) ? 2 : 1;
	p = (char *)arrow + 4 + strlen(tok);
	w = strtok_r(p, " ,", &save);
	if (w == NULL)
		return;
	if (strcmp(w, "tcp") == 0) {
		f->l4 = FLOW_L4_TCP;
		while ((w = strtok_r(NULL, " ,", &save)) != NULL)
			f->tcp_flags |= tcp_flag_bit(w);
	} else if (strcmp(w, "udp") == 0) {
		f->l4 = FLOW_L4_UDP;
	} else if (strcmp(w, "sctp") == 0) {
		f->l4 = FLOW_L4_SCTP;
	} else if (strcmp(w, "vrrp") == 0) {
		f->l4 = FLOW_L4_VRRP;
	} else if (strcmp(w, "igmp") == 0) {
		f->l4 = FLOW_L4_IGMP;
	} else if (strcmp(w, "icmp") == 0) {
		w = strtok_r(NULL, " ", &save);
		if (w != NULL)
			parse_icmp(f, w, f->ip_version == 2);
		else
			f->l4 = f->ip_version == 2 ? FLOW_L4_ICMPV6 :
			    FLOW_L4_ICMPV4;
	} else if (is_icmp_word(w)) {
		/* Before 2022 the word "icmp" was not printed. */
		parse_icmp(f, w, f->ip_version == 2);
	}
}

/* ------------------------------------------------------------- events */

/*
 * The summary starts after the first ": " that follows the last field
 * keyword present (orig-ip, ifindex, state, identity); IPv6 addresses
 * never contain ": ", so "orig-ip ::: 10.0.0.1 -> ..." splits right.
 */
static const char *
summary_start(const char *from)
{
	static const char *const keys[] = {
		"orig-ip ", "ifindex ", " state ", "identity ",
	};
	const char *best = from, *k, *colon;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		k = strstr(from, keys[i]);
		if (k != NULL && k > best)
			best = k;
	}
	colon = strstr(best, ": ");
	return colon != NULL ? colon + 2 : NULL;
}

/* Fill drop_reason from the monitor's reason text. */
static void
set_drop_reason(struct slot *s, const char *reason)
{
	struct flow *f = &s->rec.flow;
	const struct cilium_drop_reason *r;
	char buf[256];
	char *comma;
	const char *p;
	size_t n;

	snprintf(buf, sizeof(buf), "%s", reason);
	/* "Policy denied, 3": strip the extended error code. */
	comma = strrchr(buf, ',');
	if (comma != NULL) {
		p = comma + 1;
		while (*p == ' ')
			p++;
		if (*p == '-')
			p++;
		n = strspn(p, "0123456789");
		if (n > 0 && p[n] == '\0')
			*comma = '\0';
	}
	r = cilium_drop_lookup(buf);
	n = strspn(buf, "0123456789");
	if (r != NULL)
		f->drop_reason = r->code;
	else if (n > 0 && n <= 3 && buf[n] == '\0' && atoi(buf) <= 255)
		/* A code the monitor had no text for: still a code. */
		f->drop_reason = (uint32_t)atoi(buf);
	else
		f->drop_reason_text = sdupz(s, buf);
}

/* "xx drop (REASON) [flow 0x..] to endpoint N, [ifindex N,] [file F:L,]
 *  [ip-trace-id], identity A->B: SUMMARY" and the 2017 "drop [...]". */
static int
parse_drop(struct slot *s, const char *line)
{
	struct flow *f = &s->rec.flow;
	const char *p, *open, *q, *sum;
	char reason[256], tok[128];
	int depth = 0;
	size_t n;
	long long v;

	open = strchr(line, '(');
	if (open == NULL)
		return -1;
	for (q = open; *q != '\0'; q++) {
		if (*q == '(')
			depth++;
		else if (*q == ')' && --depth == 0)
			break;
	}
	if (*q != ')')
		return -1;
	n = (size_t)(q - open - 1);
	if (n >= sizeof(reason))
		n = sizeof(reason) - 1;
	memcpy(reason, open + 1, n);
	reason[n] = '\0';
	f->verdict = FLOW_DROPPED;
	f->event_type = 1;
	f->type = FLOW_TYPE_L3_L4;
	set_drop_reason(s, reason);
	f->event_subtype = (int)f->drop_reason;
	p = q + 1;
	if ((q = strstr(line, "to endpoint ")) != NULL ||
	    (q = strstr(line, "/ endpoint ")) != NULL) {
		q = strstr(q, "endpoint ") + 9;
		v = take_num(&q);
		if (v > 0 && v <= 0xffffffffLL)
			f->dst.id = (uint32_t)v;
	}
	if ((q = strstr(p, "ifindex ")) != NULL) {
		q += 8;
		v = take_num(&q);
		if (v >= 0 && v <= 0xffffffffLL)
			f->iface_index = (uint32_t)v;
	}
	if ((q = strstr(p, "file ")) != NULL) {
		const char *c;
		q += 5;
		take_token(q, ", ", tok, sizeof(tok));
		c = strrchr(tok, ':');
		if (c != NULL) {
			/* "bpf_lxc.c:734" or numeric ids "2:1167". */
			const char *l = c + 1;
			v = take_num(&l);
			if (v >= 0 && v <= 0xffffffffLL)
				f->file_line = (uint32_t)v;
			f->file_name = sdup(s, tok, (size_t)(c - tok));
		} else {
			f->file_name = sdupz(s, tok);
			/* ~2021: "file bpf_lxc.c line 1182" */
			q = strstr(q, " line ");
			if (q != NULL) {
				q += 6;
				v = take_num(&q);
				if (v >= 0 && v <= 0xffffffffLL)
					f->file_line = (uint32_t)v;
			}
		}
	}
	if ((q = strstr(p, "identity ")) != NULL)
		parse_identity_pair(f, q + 9);
	sum = summary_start(p);
	if (sum != NULL)
		parse_summary(s, sum);
	return 0;
}

/*
 * One end of a CI monitor.log drop: "kube-system/coredns-x 10.0.0.2:53",
 * "reserved:unknown 10.96.0.10:53", "default:app2 10.0.0.1:80" or just
 * " 10.0.0.1:58903".
 */
static void
mlog_end(struct slot *s, const char *p, size_t n, struct flow_endpoint *ep,
    const char **ip, uint16_t *port, int *v6)
{
	char buf[512], addr[128], *sp, *name, *sep;
	uint32_t id;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	sp = strrchr(buf, ' ');
	name = buf;
	if (sp != NULL) {
		*sp = '\0';
		split_endpoint(sp + 1, addr, sizeof(addr), port, v6);
	} else {
		split_endpoint(buf, addr, sizeof(addr), port, v6);
		name = buf + n;
	}
	if (addr[0] != '\0')
		*ip = sdupz(s, addr);
	while (*name == ' ')
		name++;
	if (starts(name, "reserved:")) {
		if (parse_identity(name + 9, &id) == 0)
			ep->identity = id;
	} else if ((sep = strchr(name, '/')) != NULL ||
	    ((sep = strchr(name, ':')) != NULL && strchr(name, '=') == NULL)) {
		ep->namespace = sdup(s, name, (size_t)(sep - name));
		ep->pod_name = sdupz(s, sep + 1);
	}
}

/*
 * Cilium's CI (2018-2019) kept the monitor's events in monitor.log
 * through the microscope tool, one line per event after the node name:
 * "k8s2: drop: Policy denied (L3) ( 10.0.0.1:58903) => (kube-system/
 * coredns-x 10.0.0.2:53)"; "k8s2: trace (...) => (...)" and "k8s2:
 * debug: ..." lines carry no drop.  Returns 1 when line is one of them.
 */
static int
parse_mlog(struct slot *s, const char *line)
{
	struct flow *f = &s->rec.flow;
	const char *p, *colon, *arrow, *so, *end;
	char reason[256];
	size_t n;
	int v6a = 0, v6b = 0;

	colon = strstr(line, ": ");
	if (colon == NULL || colon == line || (size_t)(colon - line) > 253 ||
	    strcspn(line, " ") < (size_t)(colon - line))
		return 0;
	p = colon + 2;
	if (starts(p, "trace (") || starts(p, "debug: ")) {
		s->rec.kind = FLOW_EV_OTHER;
		s->rec.other.subtype = "trace";
		return 1;
	}
	if (!starts(p, "drop: ") || (arrow = strstr(p, ") => (")) == NULL)
		return 0;
	for (so = arrow; so > p + 6 && *so != '('; so--)
		;
	end = strrchr(arrow, ')');
	if (*so != '(' || end == NULL || end < arrow + 5)
		return 0;
	n = (size_t)(so - (p + 6));
	while (n > 0 && p[6 + n - 1] == ' ')
		n--;
	if (n == 0 || n >= sizeof(reason))
		return 0;
	memcpy(reason, p + 6, n);
	reason[n] = '\0';
	s->rec.node_name = sdup(s, line, (size_t)(colon - line));
	f->verdict = FLOW_DROPPED;
	f->event_type = 1;
	f->type = FLOW_TYPE_L3_L4;
	set_drop_reason(s, reason);
	f->event_subtype = (int)f->drop_reason;
	mlog_end(s, so + 1, (size_t)(arrow - so - 1), &f->src, &f->src_ip,
	    &f->sport, &v6a);
	mlog_end(s, arrow + 6, (size_t)(end - arrow - 6), &f->dst, &f->dst_ip,
	    &f->dport, &v6b);
	if (f->src_ip != NULL || f->dst_ip != NULL)
		f->ip_version = v6a || v6b ? 2 : 1;
	return 1;
}

struct obs_word {
	const char *text;	/* after "-> " or "<- " */
	int out;		/* 1 for "->" */
	int point;		/* proto TraceObservationPoint */
};

static const struct obs_word obs_words[] = {
	{ "endpoint", 1, 101 }, { "proxy", 1, 1 }, { "host", 1, 2 },
	{ "stack", 1, 3 }, { "overlay", 1, 4 }, { "network", 1, 11 },
	{ "crypto", 1, 13 },
	{ "endpoint", 0, 5 }, { "proxy", 0, 6 }, { "host", 0, 7 },
	{ "stack", 0, 8 }, { "overlay", 0, 9 }, { "network", 0, 10 },
	{ "crypto", 0, 12 },
};

static int
trace_reason_of(const char *st)
{
	static const char *const states[] = {
		"unknown", "new", "established", "reply", "related",
		"reopened", "srv6-encap", "srv6-decap", "encrypt-overlay",
	};
	const char *p = st;
	long long v;
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(st, states[i]) == 0)
			return (int)i;
	v = take_num(&p);
	return v >= 0 && v < 256 ? (int)v : 0;
}

static void
set_trace_state(struct flow *f, const char *st)
{
	f->trace_reason = trace_reason_of(st);
	if (f->trace_reason == 3)
		f->is_reply = 1;
	else if (f->trace_reason == 1 || f->trace_reason == 2)
		f->is_reply = 0;
}

/* "-> endpoint 1562 flow 0x.. , identity A->B state S ifindex I
 *  orig-ip IP: SUMMARY" and older variants. */
static int
parse_trace(struct slot *s, const char *line)
{
	struct flow *f = &s->rec.flow;
	int out = line[0] == '-';
	const char *p = line + 3, *q, *sum;
	char tok[128];
	size_t i, n;
	long long v;

	f->verdict = FLOW_FORWARDED;
	f->event_type = 4;
	f->type = FLOW_TYPE_L3_L4;
	for (i = 0; i < sizeof(obs_words) / sizeof(obs_words[0]); i++) {
		n = strlen(obs_words[i].text);
		if (obs_words[i].out != out ||
		    strncmp(p, obs_words[i].text, n) != 0)
			continue;
		f->obs_point = obs_words[i].point;
		/* The monitor numbers to-endpoint 0 (flow.h: proto 101). */
		f->event_subtype = f->obs_point == 101 ? 0 : f->obs_point;
		q = p + n;
		if (strcmp(obs_words[i].text, "endpoint") == 0 && *q == ' ') {
			q++;
			v = take_num(&q);
			if (v > 0 && v <= 0xffffffffLL) {
				if (out)
					f->dst.id = (uint32_t)v;
				else
					f->src.id = (uint32_t)v;
			}
		}
		break;
	}
	if ((q = strstr(p, "identity ")) != NULL)
		parse_identity_pair(f, q + 9);
	if ((q = strstr(p, " state ")) != NULL) {
		take_token(q + 7, " :,", tok, sizeof(tok));
		set_trace_state(f, tok);
	}
	if ((q = strstr(p, "ifindex ")) != NULL) {
		take_token(q + 8, " :,", tok, sizeof(tok));
		q = tok;
		v = take_num(&q);
		if (v >= 0 && *q == '\0')
			f->iface_index = (uint32_t)v;
		else
			f->iface_name = sdupz(s, tok);
	}
	if (strstr(p, " encrypted ") != NULL)
		f->ip_encrypted = true;
	sum = summary_start(p);
	if (sum != NULL)
		parse_summary(s, sum);
	return 0;
}

/* One end of a proxy access log record. */
struct l7_end {
	uint32_t id, identity;
	char ns[128];
};

/* "k8s:io.kubernetes.pod.namespace=NS" among labels, into ns. */
static void
l7_namespace(const char *labels, size_t n, char *ns, size_t len)
{
	static const char key[] = "k8s:io.kubernetes.pod.namespace=";
	const char *p = labels, *end = labels + n, *q;
	size_t k = sizeof(key) - 1, m;

	ns[0] = '\0';
	while (p < end && (q = strstr(p, key)) != NULL && q + k <= end) {
		if (q == labels || q[-1] == ' ' || q[-1] == '[' ||
		    q[-1] == '"') {
			q += k;
			m = strcspn(q, " ]\",");
			if (q + m > end)
				m = (size_t)(end - q);
			if (m >= len)
				m = len - 1;
			memcpy(ns, q, m);
			ns[m] = '\0';
			return;
		}
		p = q + k;
	}
}

/*
 * Fill the L7 parts every access log record has.  Hubble makes an L7
 * flow of each (event type 129), turns the verdict "Denied" into
 * DROPPED, and swaps the ends of a response, whose record names the
 * requester first (hubble parser "seven"): done the same here.
 */
static void
set_l7(struct slot *s, int response, int ingress, const char *verdict,
    const struct l7_end *se, const struct l7_end *de)
{
	struct flow *f = &s->rec.flow;
	const struct l7_end *src = response ? de : se;
	const struct l7_end *dst = response ? se : de;

	f->type = FLOW_TYPE_L7;
	f->event_type = 129;
	f->has_l7 = true;
	f->l7.type = response ? FLOW_L7_RESPONSE : FLOW_L7_REQUEST;
	if (ingress >= 0)
		f->direction = ingress ? FLOW_DIR_INGRESS : FLOW_DIR_EGRESS;
	if (strcmp(verdict, "Forwarded") == 0)
		f->verdict = FLOW_FORWARDED;
	else if (strcmp(verdict, "Denied") == 0)
		f->verdict = FLOW_DROPPED;
	else if (strcmp(verdict, "Error") == 0)
		f->verdict = FLOW_ERROR;
	else if (strcmp(verdict, "Redirected") == 0)
		f->verdict = FLOW_REDIRECTED;
	else
		f->verdict = FLOW_VERDICT_UNKNOWN;
	f->src.id = src->id;
	f->src.identity = src->identity;
	f->dst.id = dst->id;
	f->dst.identity = dst->identity;
	if (src->ns[0] != '\0')
		f->src.namespace = sdupz(s, src->ns);
	if (dst->ns[0] != '\0')
		f->dst.namespace = sdupz(s, dst->ns);
}

/* "from 0 ([k8s:a=b ...])" at p: the endpoint id and its labels. */
static const char *
l7_endpoint(const char *p, const char *word, struct l7_end *e)
{
	const char *q, *close;
	long long v;

	if (!starts(p, word))
		return NULL;
	p += strlen(word);
	v = take_num(&p);
	if (v < 0 || v > 0xffffffffLL)
		return NULL;
	e->id = (uint32_t)v;
	if (!starts(p, " ("))
		return NULL;
	q = p + 2;
	close = strstr(q, "])");
	if (close == NULL)
		close = strchr(q, ')');
	if (close == NULL)
		return NULL;
	l7_namespace(q, (size_t)(close - q), e->ns, sizeof(e->ns));
	close = strchr(close, ')');
	return close + 1;
}

/*
 * Proxy access log (`-t l7`): "<- Request http from 0 ([labels]) to 444
 * ([labels]), identity 64515->42470, verdict Denied PUT http://x/y =>
 * 403"; a response reads "to A ([...]) from B ([...])" with A the
 * requester.  After the verdict: HTTP " METHOD URL => CODE", DNS
 * " DNS Query: NAME TYPES", Kafka " APIKEY topic T => ERR", or the
 * generic " key:value" fields.
 */
static int
parse_l7(struct slot *s, const char *line)
{
	struct flow *f = &s->rec.flow;
	struct l7_end se, de;
	int response = starts(line + 3, "Response ");
	int ingress = line[0] == '<' ? 1 : line[0] == '-' ? 0 : -1;
	const char *p = line + 3 + (response ? 9 : 8), *q;
	char proto[32], verdict[32], method[32], url[1024];
	long long v;

	memset(&se, 0, sizeof(se));
	memset(&de, 0, sizeof(de));
	p += take_token(p, " ", proto, sizeof(proto));
	if (*p == ' ')
		p++;
	p = l7_endpoint(p, response ? "to " : "from ", &se);
	if (p != NULL && *p == ' ')
		p = l7_endpoint(p + 1, response ? "from " : "to ", &de);
	if (p == NULL)
		return -1;
	if ((q = strstr(p, ", identity ")) != NULL) {
		struct flow tmp;
		flow_clear(&tmp);
		if (parse_identity_pair(&tmp, q + 11) == 0) {
			se.identity = tmp.src.identity;
			de.identity = tmp.dst.identity;
		}
	}
	q = strstr(p, ", verdict ");
	if (q == NULL)
		return -1;
	q += 10;
	q += take_token(q, " ", verdict, sizeof(verdict));
	set_l7(s, response, ingress, verdict, &se, &de);
	if (strcmp(proto, "http") == 0 && strstr(q, " method:") != NULL) {
		/* generic L7 fields: " method:GET url:/headers length:0" */
		f->l7.kind = FLOW_L7_HTTP;
		take_token(strstr(q, " method:") + 8, " ", method,
		    sizeof(method));
		f->l7.http.method = sdupz(s, method);
		if ((q = strstr(q, " url:")) != NULL) {
			take_token(q + 5, " ", url, sizeof(url));
			f->l7.http.url = sdupz(s, url);
		}
	} else if (strcmp(proto, "http") == 0) {
		f->l7.kind = FLOW_L7_HTTP;
		if (*q == ' ') {
			q++;
			q += take_token(q, " ", method, sizeof(method));
			if (*q == ' ')
				q++;
			take_token(q, " ", url, sizeof(url));
			if (method[0] != '\0')
				f->l7.http.method = sdupz(s, method);
			if (url[0] != '\0' && strcmp(url, "=>") != 0)
				f->l7.http.url = sdupz(s, url);
			if ((q = strstr(q, " => ")) != NULL) {
				q += 4;
				v = take_num(&q);
				if (v >= 0 && v < 1000)
					f->l7.http.code = (uint32_t)v;
			}
		}
	} else if (strcmp(proto, "dns") == 0) {
		f->l7.kind = FLOW_L7_DNS;
		if ((q = strstr(q, ": ")) != NULL) {
			take_token(q + 2, " ", url, sizeof(url));
			f->l7.dns.query = sdupz(s, url);
		}
	} else if (strcmp(proto, "kafka") == 0) {
		f->l7.kind = FLOW_L7_KAFKA;
	}
	return 0;
}

/* "Policy verdict log: flow 0x.. local EP ID N, remote ID X, proto P,
 *  ingress, action A, [auth: T, ]match M, SUMMARY" (and the first
 *  implementation's "dst port N, ... ingress true"). */
static int
parse_policy_verdict(struct slot *s, const char *line)
{
	struct flow *f = &s->rec.flow;
	const char *q, *m;
	char tok[64];
	uint32_t local = 0, remote = 0;
	int ingress = -1;
	long long v;

	f->event_type = 5;
	f->type = FLOW_TYPE_L3_L4;
	if ((q = strstr(line, "local EP ID ")) != NULL) {
		q += 12;
		v = take_num(&q);
		if (v >= 0 && v <= 0xffffffffLL)
			local = (uint32_t)v;
	}
	if ((q = strstr(line, "remote ID ")) != NULL) {
		take_token(q + 10, ",", tok, sizeof(tok));
		if (parse_identity(tok, &remote) != 0)
			remote = 0;
	}
	if (strstr(line, ", ingress,") != NULL ||
	    strstr(line, ", ingress true,") != NULL)
		ingress = 1;
	else if (strstr(line, ", egress,") != NULL ||
	    strstr(line, ", ingress false,") != NULL)
		ingress = 0;
	if ((q = strstr(line, "action ")) != NULL) {
		take_token(q + 7, ",", tok, sizeof(tok));
		if (strcmp(tok, "allow") == 0)
			f->verdict = FLOW_FORWARDED;
		else if (strcmp(tok, "deny") == 0) {
			f->verdict = FLOW_DROPPED;
			f->drop_reason = 133;
		} else if (strcmp(tok, "redirect") == 0)
			f->verdict = FLOW_REDIRECTED;
		else if (strcmp(tok, "audit") == 0)
			f->verdict = FLOW_AUDIT;
	}
	if ((m = strstr(line, "match ")) != NULL) {
		static const char *const matches[] = {
			"none", "L3-Only", "L3-L4", "L4-Only", "all",
			"L3-Proto", "Proto-Only",
		};
		size_t i;
		take_token(m + 6, ",", tok, sizeof(tok));
		for (i = 0; i < sizeof(matches) / sizeof(matches[0]); i++)
			if (strcmp(tok, matches[i]) == 0)
				f->policy_match_type = (uint32_t)i;
		q = strstr(m, ", ");
		if (q != NULL)
			parse_summary(s, q + 2);
	}
	if (ingress == 1) {
		f->direction = FLOW_DIR_INGRESS;
		f->dst.id = local;
		f->src.identity = remote;
	} else if (ingress == 0) {
		f->direction = FLOW_DIR_EGRESS;
		f->src.id = local;
		f->dst.identity = remote;
	}
	return 0;
}

/* ------------------------------------------------- verbose (-vv) blocks */

static const char *const obs_hyphen[] = {
	"to-endpoint", "to-proxy", "to-host", "to-stack", "to-overlay",
	"from-endpoint", "from-proxy", "from-host", "from-stack",
	"from-overlay", "from-network", "to-network", "from-crypto",
	"to-crypto",
};

/* "CPU 01: MARK 0x.. FROM 2284 from-endpoint: 74 bytes ..., state new,
 *  identity 53110->0" or "... FROM 0 DROP: 74 bytes, reason R, ..." */
static int
parse_vheader(struct slot *s, const char *line)
{
	struct flow *f = &s->rec.flow;
	const char *q, *from, *after;
	char tok[64];
	size_t i;
	long long v;

	from = strstr(line, " FROM ");
	if (from == NULL)
		return -1;
	q = from + 6;
	v = take_num(&q);
	if (v < 0 || *q != ' ')
		return -1;
	q++;
	take_token(q, ":", tok, sizeof(tok));
	after = q + strlen(tok);
	if (*after != ':')
		return -1;
	f->type = FLOW_TYPE_L3_L4;
	if (strcmp(tok, "DROP") == 0) {
		f->verdict = FLOW_DROPPED;
		f->event_type = 1;
		f->src.id = (uint32_t)v;
		q = strstr(after, "reason ");
		if (q != NULL) {
			char reason[256];
			const char *end = strstr(q, ", identity ");
			size_t n;
			if (end == NULL)
				end = strstr(q, ", to endpoint ");
			n = end != NULL ? (size_t)(end - q - 7) : strlen(q + 7);
			if (n >= sizeof(reason))
				n = sizeof(reason) - 1;
			memcpy(reason, q + 7, n);
			reason[n] = '\0';
			set_drop_reason(s, reason);
			f->event_subtype = (int)f->drop_reason;
		}
	} else {
		f->verdict = FLOW_FORWARDED;
		f->event_type = 4;
		for (i = 0; i < sizeof(obs_hyphen) / sizeof(obs_hyphen[0]); i++)
			if (strcmp(tok, obs_hyphen[i]) == 0) {
				f->obs_point = i == 0 ? 101 : (int)i;
				f->event_subtype = (int)i;
			}
		if (f->obs_point == 5)
			f->src.id = (uint32_t)v;
		if ((q = strstr(after, "state ")) != NULL) {
			take_token(q + 6, " ,", tok, sizeof(tok));
			set_trace_state(f, tok);
		}
		if ((q = strstr(after, "interface ")) != NULL) {
			take_token(q + 10, " ,", tok, sizeof(tok));
			f->iface_name = sdupz(s, tok);
		}
	}
	if ((q = strstr(after, "identity ")) != NULL)
		parse_identity_pair(f, q + 9);
	if ((q = strstr(after, "to endpoint ")) != NULL) {
		q += 12;
		v = take_num(&q);
		if (v > 0 && v <= 0xffffffffLL)
			f->dst.id = (uint32_t)v;
	}
	return 0;
}

/* Value of KEY= inside a gopacket layer dump, into buf. */
static int
layer_field(const char *line, const char *key, char *buf, size_t len)
{
	char pat[32];
	const char *q;

	snprintf(pat, sizeof(pat), " %s=", key);
	q = strstr(line, pat);
	if (q == NULL) {
		snprintf(pat, sizeof(pat), "{%s=", key);
		q = strstr(line, pat);
		if (q == NULL)
			return -1;
	}
	take_token(q + strlen(pat), " }(", buf, len);
	return 0;
}

/* Whether the layer line is of layer name (exactly). */
static int
is_layer(const char *line, const char *name)
{
	size_t n = strlen(name);

	return strncmp(line, name, n) == 0 && (line[n] == '\t' ||
	    line[n] == ' ');
}

/* "IPv4\t{... SrcIP=... DstIP=...}", "TCP\t{... SrcPort=... SYN=true}" */
static void
parse_layer(struct slot *s, const char *line)
{
	struct flow *f = &s->rec.flow;
	char v[128];
	const char *p;
	long long n;

	if (is_layer(line, "IPv4") || is_layer(line, "IPv6")) {
		f->ip_version = line[3] == '6' ? 2 : 1;
		if (layer_field(line, "SrcIP", v, sizeof(v)) == 0)
			f->src_ip = sdupz(s, v);
		if (layer_field(line, "DstIP", v, sizeof(v)) == 0)
			f->dst_ip = sdupz(s, v);
	} else if (is_layer(line, "TCP") || is_layer(line, "UDP") ||
	    is_layer(line, "SCTP")) {
		f->l4 = line[0] == 'T' ? FLOW_L4_TCP :
		    line[0] == 'U' ? FLOW_L4_UDP : FLOW_L4_SCTP;
		if (layer_field(line, "SrcPort", v, sizeof(v)) == 0) {
			p = v;
			n = take_num(&p);
			if (n >= 0 && n <= 65535)
				f->sport = (uint16_t)n;
		}
		if (layer_field(line, "DstPort", v, sizeof(v)) == 0) {
			p = v;
			n = take_num(&p);
			if (n >= 0 && n <= 65535)
				f->dport = (uint16_t)n;
		}
		if (f->l4 == FLOW_L4_TCP) {
			static const char *const fl[] = {
				"FIN", "SYN", "RST", "PSH", "ACK", "URG",
				"ECE", "CWR", "NS",
			};
			size_t i;
			for (i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
				if (layer_field(line, fl[i], v, sizeof(v)) == 0 &&
				    strcmp(v, "true") == 0)
					f->tcp_flags |= (uint16_t)(1u << i);
		}
	} else if (is_layer(line, "ICMPv4") || is_layer(line, "ICMPv6")) {
		if (layer_field(line, "TypeCode", v, sizeof(v)) == 0)
			parse_icmp(f, v, line[5] == '6');
		else
			f->l4 = line[5] == '6' ? FLOW_L4_ICMPV6 :
			    FLOW_L4_ICMPV4;
	}
}

/*
 * Length of the layer name of a dissected layer line ("IPv4\t{...}"),
 * 0 when line is not one.  Output copied from a web page often has the
 * tab turned into spaces ("IPv4    {...}"), so any run of blanks goes.
 */
static size_t
layer_name_len(const char *line)
{
	size_t n = 0, b;

	if (!isupper((unsigned char)line[0]))
		return 0;
	while (isalnum((unsigned char)line[n]))
		n++;
	if (n >= 32)
		return 0;
	b = strspn(line + n, " \t");
	return b > 0 && line[n + b] == '{' ? n : 0;
}

static int
is_layer_line(const char *line)
{
	return layer_name_len(line) > 0;
}

/* ----------------------------------------------------------- JSON (-j) */

static const char *const file_ids[] = {
	[1] = "bpf_host.c", [2] = "bpf_lxc.c", [3] = "bpf_overlay.c",
	[4] = "bpf_xdp.c", [5] = "bpf_sock.c", [6] = "bpf_network.c",
	[7] = "bpf_wireguard.c",
};
static const char *const file_ids_h[] = {
	"drop.h", "srv6.h", "icmp6.h", "nodeport.h", "lb.h", "mcast.h",
	"ipv4.h", "conntrack.h", "local_delivery.h", "trace.h", "encap.h",
	"host_firewall.h", "nodeport_egress.h", "ipv6.h", "classifiers.h",
};

static int64_t
jint(struct json_object *o, const char *key, int64_t dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return dflt;
	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return dflt;
}

/* A uint32 field; 0 when absent, not a number, or out of range. */
static uint32_t
ju32(struct json_object *o, const char *key)
{
	int64_t n = jint(o, key, 0);

	return n > 0 && n <= 0xffffffffLL ? (uint32_t)n : 0;
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void
json_summary(struct slot *s, struct json_object *sum)
{
	struct flow *f = &s->rec.flow;
	struct json_object *l, *o;
	const char *v, *src, *dst;
	char buf[64];
	int64_t n;

	if (sum == NULL || !json_object_is_type(sum, json_type_object))
		return;
	if (json_object_object_get_ex(sum, "l3", &l) &&
	    json_object_is_type(l, json_type_object)) {
		src = jstr(l, "src");
		dst = jstr(l, "dst");
		if (src != NULL)
			f->src_ip = sdupz(s, src);
		if (dst != NULL)
			f->dst_ip = sdupz(s, dst);
		f->ip_version = (src != NULL && strchr(src, ':') != NULL) ?
		    2 : 1;
	}
	if (json_object_object_get_ex(sum, "l4", &l) &&
	    json_object_is_type(l, json_type_object)) {
		const char *p;
		if ((v = jstr(l, "src")) != NULL) {
			p = v;
			n = take_num(&p);
			if (n >= 0 && n <= 65535)
				f->sport = (uint16_t)n;
		}
		if ((v = jstr(l, "dst")) != NULL) {
			p = v;
			n = take_num(&p);
			if (n >= 0 && n <= 65535)
				f->dport = (uint16_t)n;
		}
	}
	if ((v = jstr(sum, "tcp")) != NULL) {
		char line[2048];
		snprintf(line, sizeof(line), "TCP\t{%s}", v);
		parse_layer(s, line);
	} else if (jstr(sum, "udp") != NULL) {
		f->l4 = FLOW_L4_UDP;
	} else if (jstr(sum, "sctp") != NULL) {
		f->l4 = FLOW_L4_SCTP;
	} else if ((v = jstr(sum, "icmpv4")) != NULL ||
	    (v = jstr(sum, "icmpv6")) != NULL) {
		int v6 = jstr(sum, "icmpv6") != NULL;
		f->l4 = v6 ? FLOW_L4_ICMPV6 : FLOW_L4_ICMPV4;
		if (layer_field(v, "TypeCode", buf, sizeof(buf)) == 0)
			parse_icmp(f, buf, v6);
	}
	if (json_object_object_get_ex(sum, "tunnel", &o))
		f->tunnel_proto = jstr(o, "geneve") != NULL ? 2 : 1;
}

/* One end of a -j access log record: "srcEpID", "srcEpLabels" ... */
static void
json_l7_end(struct json_object *o, const char *pfx, struct l7_end *e)
{
	struct json_object *a, *v;
	char key[32];
	const char *l;
	size_t i, n;

	snprintf(key, sizeof(key), "%sEpID", pfx);
	e->id = ju32(o, key);
	snprintf(key, sizeof(key), "%sIdentity", pfx);
	e->identity = ju32(o, key);
	if (e->identity == 0) {
		/* early versions spelled it "DstIdentity" */
		snprintf(key, sizeof(key), "%c%sIdentity",
		    toupper((unsigned char)pfx[0]), pfx + 1);
		e->identity = ju32(o, key);
	}
	snprintf(key, sizeof(key), "%sEpLabels", pfx);
	if (!json_object_object_get_ex(o, key, &a) ||
	    !json_object_is_type(a, json_type_array))
		return;
	n = json_object_array_length(a);
	for (i = 0; i < n && e->ns[0] == '\0'; i++) {
		v = json_object_array_get_idx(a, i);
		if (v == NULL || !json_object_is_type(v, json_type_string))
			continue;
		l = json_object_get_string(v);
		l7_namespace(l, strlen(l), e->ns, sizeof(e->ns));
	}
}

/*
 * -j access log: {"type":"logRecord","observationPoint":"Ingress",
 * "flowType":"Request","l7Proto":"http","srcEpID":0,...,"verdict":
 * "Denied","http":{"Code":403,"Method":"PUT","URL":{"Scheme":"http",
 * "Host":"x","Path":"/y",...}}}.
 */
static void
json_l7(struct slot *s, struct json_object *o)
{
	struct flow *f = &s->rec.flow;
	struct json_object *h, *u;
	struct l7_end se, de;
	const char *v, *proto, *op;
	char url[1024];
	int64_t n;
	int ingress, response;

	memset(&se, 0, sizeof(se));
	memset(&de, 0, sizeof(de));
	json_l7_end(o, "src", &se);
	json_l7_end(o, "dst", &de);
	op = jstr(o, "observationPoint");
	ingress = op == NULL ? -1 : strcmp(op, "Ingress") == 0 ? 1 :
	    strcmp(op, "Egress") == 0 ? 0 : -1;
	response = (v = jstr(o, "flowType")) != NULL &&
	    strcmp(v, "Response") == 0;
	v = jstr(o, "verdict");
	set_l7(s, response, ingress, v != NULL ? v : "", &se, &de);
	proto = jstr(o, "l7Proto");
	if (json_object_object_get_ex(o, "http", &h) &&
	    json_object_is_type(h, json_type_object)) {
		f->l7.kind = FLOW_L7_HTTP;
		n = jint(h, "Code", 0);
		if (n > 0 && n < 1000)
			f->l7.http.code = (uint32_t)n;
		if ((v = jstr(h, "Method")) != NULL)
			f->l7.http.method = sdupz(s, v);
		if (json_object_object_get_ex(h, "URL", &u) &&
		    json_object_is_type(u, json_type_object)) {
			const char *sch = jstr(u, "Scheme");
			const char *host = jstr(u, "Host");
			const char *path = jstr(u, "Path");
			snprintf(url, sizeof(url), "%s%s%s%s",
			    sch != NULL && *sch != '\0' ? sch : "",
			    sch != NULL && *sch != '\0' ? "://" : "",
			    host != NULL ? host : "", path != NULL ? path : "");
			if (url[0] != '\0')
				f->l7.http.url = sdupz(s, url);
		}
	} else if (json_object_object_get_ex(o, "dns", &h) &&
	    json_object_is_type(h, json_type_object)) {
		f->l7.kind = FLOW_L7_DNS;
		if ((v = jstr(h, "Query")) != NULL)
			f->l7.dns.query = sdupz(s, v);
	} else if (json_object_object_get_ex(o, "kafka", &h) ||
	    (proto != NULL && strcmp(proto, "kafka") == 0)) {
		f->l7.kind = FLOW_L7_KAFKA;
	}
}

static int
parse_json(struct slot *s, const char *line, size_t len, char *errbuf,
    size_t errlen, const char *where)
{
	struct flow *f = &s->rec.flow;
	struct json_tokener *tok;
	struct json_object *o, *sum = NULL;
	const char *type, *v;
	int64_t n;
	int r = 0;

	tok = json_tokener_new_ex(32);
	if (tok == NULL)
		return CILKIT_ENOMEM;
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (o == NULL || json_tokener_get_parse_end(tok) < len) {
		r = cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: invalid JSON: %s", where,
		    o == NULL ? json_tokener_error_desc(
		    json_tokener_get_error(tok)) : "trailing data");
		goto out;
	}
	if (!json_object_is_type(o, json_type_object) ||
	    (type = jstr(o, "type")) == NULL) {
		r = cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: not a monitor event (no \"type\")", where);
		goto out;
	}
	if ((v = jstr(o, "cpu")) != NULL && starts(v, "CPU ")) {
		const char *p = v + 4;
		n = take_num(&p);
		if (n >= 0 && n < 100000)
			s->rec.other.cpu = (int)n;
	}
	json_object_object_get_ex(o, "summary", &sum);
	if (strcmp(type, "drop") == 0) {
		f->verdict = FLOW_DROPPED;
		f->event_type = 1;
		if ((v = jstr(o, "reason")) != NULL)
			set_drop_reason(s, v);
		f->event_subtype = (int)f->drop_reason;
		f->src.id = ju32(o, "source");
		f->dst.id = ju32(o, "dstID");
		n = jint(o, "File", 0);
		if (n > 0 && n < 8 && file_ids[n] != NULL)
			f->file_name = file_ids[n];
		else if (n >= 101 && n < 101 + (int64_t)(sizeof(file_ids_h) /
		    sizeof(file_ids_h[0])))
			f->file_name = file_ids_h[n - 101];
		f->file_line = ju32(o, "Line");
		f->iface_index = ju32(o, "Ifindex");
	} else if (strcmp(type, "trace") == 0) {
		size_t i;
		f->verdict = FLOW_FORWARDED;
		f->event_type = 4;
		if ((v = jstr(o, "observationPoint")) != NULL)
			for (i = 0; i < sizeof(obs_hyphen) /
			    sizeof(obs_hyphen[0]); i++)
				if (strcmp(v, obs_hyphen[i]) == 0) {
					f->obs_point = i == 0 ? 101 : (int)i;
					f->event_subtype = (int)i;
				}
		if ((v = jstr(o, "state")) != NULL)
			set_trace_state(f, v);
		if ((v = jstr(o, "ifindex")) != NULL)
			f->iface_name = sdupz(s, v);
		f->dst.id = ju32(o, "dstID");
		if (f->obs_point == 5)
			f->src.id = ju32(o, "source");
	} else if (strcmp(type, "logRecord") == 0) {
		json_l7(s, o);
		goto out;
	} else if (strcmp(type, "agent") == 0) {
		s->rec.kind = FLOW_EV_AGENT;
		if ((v = jstr(o, "subtype")) != NULL)
			s->rec.other.subtype = sdupz(s, v);
		goto out;
	} else if (strcmp(type, "debug") == 0) {
		s->rec.kind = FLOW_EV_DEBUG;
		goto out;
	} else {
		s->rec.kind = FLOW_EV_OTHER;
		s->rec.other.subtype = sdupz(s, type);
		goto out;
	}
	f->type = FLOW_TYPE_L3_L4;
	f->src.identity = ju32(o, "srcLabel");
	f->dst.identity = ju32(o, "dstLabel");
	json_summary(s, sum);
out:
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

/* ------------------------------------------------------------- reader */

struct cilium_monitor_reader *
cilium_monitor_reader_new(FILE *fp, const char *name, const void *prefix,
    size_t n_prefix)
{
	struct cilium_monitor_reader *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->lines = cilkit_lines_new(fp, MON_MAX_LINE, prefix, n_prefix);
	if (r->lines == NULL) {
		free(r);
		return NULL;
	}
	r->name = name != NULL ? name : "<input>";
	r->out = N_SLOTS;
	return r;
}

void
cilium_monitor_reader_set_cancel(struct cilium_monitor_reader *r,
    const volatile sig_atomic_t *cancel)
{
	cilkit_lines_set_cancel(r->lines, cancel);
}

int
cilium_monitor_reader_cancelled(const struct cilium_monitor_reader *r)
{
	return cilkit_lines_cancelled(r->lines);
}

void
cilium_monitor_reader_free(struct cilium_monitor_reader *r)
{
	if (r == NULL)
		return;
	cilkit_lines_free(r->lines);
	free(r);
}

size_t
cilium_monitor_line(const struct cilium_monitor_reader *r)
{
	return cilkit_lines_lineno(r->lines);
}

/* A free slot for a new record (never the one handed out last). */
static struct slot *
push_slot(struct cilium_monitor_reader *r)
{
	unsigned idx = (r->head + r->count) % N_SLOTS;
	struct slot *s;

	if (idx == r->out)
		idx = (idx + 1) % N_SLOTS;
	s = &r->ring[idx];
	slot_reset(s);
	return s;
}

static void
commit_slot(struct cilium_monitor_reader *r, struct slot *s)
{
	unsigned idx = (unsigned)(s - r->ring);

	if (r->count == 0)
		r->head = idx;
	r->count++;
}

/* The slot arena holds pointers into itself: copy by re-basing them. */
static void
rebase(struct slot *dst, const struct slot *src)
{
	const char *lo = src->arena, *hi = src->arena + SLOT_ARENA;
	struct flow *f = &dst->rec.flow;
	const char **fields[] = {
		&f->src_ip, &f->dst_ip, &f->src_mac, &f->dst_mac,
		&f->summary, &f->iface_name, &f->file_name,
		&f->drop_reason_text, &dst->rec.other.subtype,
		&f->src.namespace, &f->dst.namespace, &f->l7.http.method,
		&f->l7.http.url, &f->l7.dns.query, &f->src.pod_name,
		&f->dst.pod_name, &dst->rec.node_name,
	};
	size_t i;

	memcpy(dst, src, sizeof(*dst));
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (*fields[i] >= lo && *fields[i] < hi)
			*fields[i] = dst->arena + (*fields[i] - lo);
}

/* Hand the verbose block on as a record, if it has a header. */
static void
flush_vblock(struct cilium_monitor_reader *r)
{
	struct slot *s;

	if (r->vb.open && r->vb.has_header) {
		s = push_slot(r);
		rebase(s, &r->vb.s);
		commit_slot(r, s);
	}
	memset(&r->vb, 0, offsetof(struct vblock, s));
	slot_reset(&r->vb.s);
}

/* Leading "[YYYY-MM-DD HH:MM:SS] " that CI harnesses add. */
static const char *
strip_stamp(const char *line, int64_t *time_ns)
{
	struct tm tm;
	const char *end;

	*time_ns = 0;
	if (line[0] != '[' || strlen(line) < 22 || line[20] != ']' ||
	    line[21] != ' ')
		return line;
	memset(&tm, 0, sizeof(tm));
	end = strptime(line + 1, "%Y-%m-%d %H:%M:%S", &tm);
	if (end != line + 20)
		return line;
	*time_ns = (int64_t)timegm(&tm) * 1000000000LL;
	return line + 22;
}

/*
 * What tools put before each line, and the line itself: the CI
 * harness's "[YYYY-MM-DD HH:MM:SS] ", an RFC 3339 time as `kubectl logs
 * --timestamps` writes it (with the "stdout F " of CRI log files after
 * it), and the indentation of output pasted into documents.  The time,
 * when there is one, goes to *time_ns; *indented says whether blanks
 * were skipped.  A verbose drop's " [ IP-TRACE-ID=N" is written without
 * a line end, so it starts the line after the header: skipped too.
 */
static const char *
strip_prefixes(const char *line, int64_t *time_ns, int *indented)
{
	const char *p;
	int64_t t;
	size_t n;

	if (starts(line, "\xef\xbb\xbf"))
		line += 3;	/* UTF-8 byte order mark of Windows editors */
	line = strip_stamp(line, time_ns);
	if (isdigit((unsigned char)line[0])) {
		n = strcspn(line, " ");
		if (n >= 20 && n <= 40 && line[n] == ' ' &&
		    report_parse_rfc3339(line, n, &t) == 0) {
			*time_ns = t;
			line += n + 1;
			if ((starts(line, "stdout ") ||
			    starts(line, "stderr ")) &&
			    (line[7] == 'F' || line[7] == 'P') &&
			    line[8] == ' ')
				line += 9;
		}
	}
	*indented = *line == ' ' || *line == '\t';
	while (*line == ' ' || *line == '\t')
		line++;
	if (starts(line, "[ IP-TRACE-ID=")) {
		p = line + 14;
		while (isdigit((unsigned char)*p))
			p++;
		line = p;
	}
	return line;
}

/*
 * Lines that are not events: the monitor's own preamble and log lines,
 * kubectl's notes around `kubectl exec` (a Ctrl-C ends it with "command
 * terminated with exit code 130"), and the monitor's complaints about
 * an event it could not decode (it prints the event anyway).
 */
static int
is_noise(const char *line)
{
	static const char *const noise[] = {
		"Listening for events on ", "Press Ctrl-C to quit",
		"level=", "Received an interrupt", "time=",
		"Defaulted container ", "Unable to use a TTY",
		"command terminated with exit code ",
		"Error while parsing ", "Error while decoding ",
		"[...]", "...",
	};
	size_t i;

	if (line[0] == '\0')
		return 1;
	for (i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
		if (starts(line, noise[i]))
			return 1;
	return 0;
}

/* Queue a record of an event that is not a flow (kind OTHER). */
static int
push_other(struct cilium_monitor_reader *r, const char *what, int64_t stamp)
{
	struct slot *s = push_slot(r);

	s->rec.kind = FLOW_EV_OTHER;
	s->rec.time_ns = stamp;
	s->rec.other.subtype = what;
	commit_slot(r, s);
	return 0;
}

/*
 * Process one line: zero or more records get queued.  Returns 0, or a
 * negative error for a line that is not monitor output (errbuf set).
 */
static int
process_line(struct cilium_monitor_reader *r, char *raw, size_t len,
    char *errbuf, size_t errlen)
{
	char where[300];
	struct slot *s;
	const char *line;
	int64_t stamp;
	size_t lineno = cilkit_lines_lineno(r->lines), ndash;
	int rc, indented, in_recorder = r->in_recorder;

	snprintf(where, sizeof(where), "%s:%zu", r->name, lineno);
	line = strip_prefixes(raw, &stamp, &indented);
	r->in_recorder = 0;
	ndash = strspn(line, "-");
	if (ndash >= 20 && line[ndash] == '\0') {
		flush_vblock(r);
		r->seen_separator = 1;
		r->vb.open = 1;
		r->vb.line = lineno;
		return 0;
	}
	/* "----" ends a recorder capture's dissection. */
	if (ndash >= 3 && line[ndash] == '\0')
		return 0;
	if (is_noise(line))
		return 0;
	if (starts(line, "CPU ") && strstr(line, ": Lost ") != NULL) {
		const char *p = strstr(line, ": Lost ") + 7;
		long long n = take_num(&p);
		s = push_slot(r);
		s->rec.kind = FLOW_EV_LOST;
		s->rec.time_ns = stamp;
		s->rec.other.num_events_lost = n > 0 ? (uint64_t)n : 0;
		p = line + 4;
		n = take_num(&p);
		s->rec.other.cpu = n >= 0 && n < 100000 ? (int)n : -1;
		s->rec.other.lost_source = "PERF_EVENT_RING_BUFFER";
		commit_slot(r, s);
		return 0;
	}
	if (starts(line, "CPU ") && strstr(line, " MARK ") != NULL) {
		if (strstr(line, " DEBUG: ") != NULL) {
			s = push_slot(r);
			s->rec.kind = FLOW_EV_DEBUG;
			s->rec.time_ns = stamp;
			commit_slot(r, s);
			return 0;
		}
		/* Without separators a new header closes the last block. */
		if (r->vb.has_header && (!r->seen_separator ||
		    r->vb.has_layers))
			flush_vblock(r);
		if (!r->vb.open) {
			r->vb.open = 1;
			r->vb.line = lineno;
		}
		if (parse_vheader(&r->vb.s, line) != 0)
			return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "%s: unrecognised monitor header", where);
		r->vb.s.rec.time_ns = stamp;
		r->vb.s.rec.flow.time_ns = stamp;
		r->vb.has_header = 1;
		return 0;
	}
	if (is_layer_line(line)) {
		if (in_recorder) {
			r->in_recorder = 1;
			return 0;
		}
		if (!r->vb.open) {
			r->vb.open = 1;
			r->vb.line = lineno;
		}
		parse_layer(&r->vb.s, line);
		r->vb.has_layers = 1;
		return 0;
	}
	/* Hex dump lines (--hex): "00000000  45 00 ..." */
	if (strlen(line) > 10 && strspn(line, "0123456789abcdef") == 8 &&
	    line[8] == ' ') {
		r->in_recorder = in_recorder;
		return 0;
	}
	if (starts(line, "Recorder capture: ")) {
		/* pcap recorder event; its layers follow, then "----" */
		flush_vblock(r);
		r->in_recorder = 1;
		return push_other(r, "capture", stamp);
	}
	/*
	 * Other "CPU NN: ..." lines: socket traces ("CPU 01: [pre-xlate-fwd]
	 * cgroup_id: ...") of -v and "Unknown event" of newer message types.
	 * Debug captures after a NAT46/64: "== v4->v6 N: ...".  The pre-1.0
	 * monitor's trace lines: "from [container N / endpoint N]",
	 * "pre-proxy port N [endpoint N]", "to host, policy-skip=0".
	 */
	if (starts(line, "CPU ") && isdigit((unsigned char)line[4]))
		return push_other(r, strstr(line, "] cgroup_id: ") != NULL ?
		    "trace-sock" : "unknown", stamp);
	if (starts(line, "== v4->v6 ") || starts(line, "== v6->v4 "))
		return push_other(r, "capture", stamp);
	if (starts(line, "from [") || starts(line, "pre-proxy port ") ||
	    starts(line, "post-proxy port ") ||
	    starts(line, "to host, policy-skip="))
		return push_other(r, "trace", stamp);
	s = push_slot(r);
	s->rec.time_ns = stamp;
	s->rec.flow.time_ns = stamp;
	if (line[0] == '{') {
		rc = parse_json(s, line, len - (size_t)(line - raw), errbuf,
		    errlen, where);
	} else if (starts(line, "xx drop (") || starts(line, "drop [")) {
		rc = parse_drop(s, line);
		if (rc < 0)
			rc = cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "%s: drop event without a complete \"(reason)\"",
			    where);
	} else if ((starts(line, "<- ") || starts(line, "-> ") ||
	    starts(line, "?? ")) && (starts(line + 3, "Request ") ||
	    starts(line + 3, "Response "))) {
		rc = parse_l7(s, line);
		if (rc < 0)
			rc = cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "%s: proxy access log without its endpoints or "
			    "verdict", where);
	} else if (starts(line, "-> ") || starts(line, "<- ")) {
		rc = parse_trace(s, line);
	} else if (starts(line, "Policy verdict log: ")) {
		rc = parse_policy_verdict(s, line);
	} else if (starts(line, ">> ")) {
		char sub[128];
		take_token(line + 3, ":", sub, sizeof(sub));
		s->rec.kind = FLOW_EV_AGENT;
		s->rec.other.subtype = sdupz(s, sub);
		rc = 0;
	} else if (indented) {
		/* "  Packet has been truncated": a decoder note */
		return 0;
	} else if (parse_mlog(s, line)) {
		rc = 0;
	} else {
		rc = cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: not cilium monitor output: \"%.40s%s\"", where, line,
		    strlen(line) > 40 ? "..." : "");
	}
	if (rc == 0 && s->rec.kind == FLOW_EV_FLOW && s->rec.flow.verdict ==
	    FLOW_VERDICT_UNKNOWN && s->rec.flow.event_type < 0)
		rc = cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: unrecognised monitor event", where);
	if (rc == 0)
		commit_slot(r, s);
	return rc;
}

int
cilium_monitor_next(struct cilium_monitor_reader *r,
    struct flow_record *rec, char *errbuf, size_t errlen)
{
	char *line;
	size_t len;
	int rc;

	for (;;) {
		if (r->count > 0) {
			struct slot *s = &r->ring[r->head];
			r->out = r->head;
			r->head = (r->head + 1) % N_SLOTS;
			r->count--;
			*rec = s->rec;
			rec->flow.src.labels = NULL;
			rec->flow.dst.labels = NULL;
			return 1;
		}
		if (r->eof)
			return 0;
		rc = cilkit_lines_next(r->lines, &line, &len);
		if (rc == 0) {
			r->eof = 1;
			flush_vblock(r);
			continue;
		}
		if (rc == CILKIT_ETOOBIG)
			return cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
			    "%s:%zu: line longer than %u bytes, skipped",
			    r->name, cilkit_lines_lineno(r->lines),
			    MON_MAX_LINE);
		if (rc < 0)
			return cilkit_fail(errbuf, errlen, CILKIT_EIO,
			    "%s: read error", r->name);
		rc = process_line(r, line, len, errbuf, errlen);
		if (rc < 0)
			return rc;
	}
}

bool
cilium_monitor_sniff(const void *buf, size_t n)
{
	static const char *const marks[] = {
		"Listening for events on ", "Press Ctrl-C to quit",
		"xx drop (", "drop [", "Policy verdict log: ", "-> ", "<- ",
		">> ", "level=info msg=\"Initializing dissection cache",
	};
	const char *p = buf, *end = p + n, *nl;
	char line[512];
	const char *q;
	size_t len, i;
	int lines = 0, indented;
	int64_t stamp;

	while (p < end && lines < 8) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl != NULL ? nl + 1 : end;
		lines++;
		if (line[0] == '\0')
			continue;
		{
			const char *l = strip_prefixes(line, &stamp,
			    &indented);
			if (l[0] == '\0')
				continue;
			/* -j: proxy access logs and agent events have no
			 * "cpu" */
			if (l[0] == '{')
				return strstr(l, "\"flow\":") == NULL &&
				    strstr(l, "\"type\":\"") != NULL &&
				    (strstr(l, "\"cpu\":\"CPU") != NULL ||
				    strstr(l, "\"type\":\"agent\"") != NULL ||
				    strstr(l, "\"type\":\"logRecord\"") != NULL);
			for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
				if (starts(l, marks[i]))
					return true;
			if (starts(l, "CPU ") && (strstr(l, " MARK ") != NULL ||
			    strstr(l, ": Lost ") != NULL))
				return true;
			if (strspn(l, "-") >= 20)
				return true;
			if (is_layer_line(l))
				return true;
			/* CI monitor.log: "k8s2: drop: ...", "k8s2: trace (" */
			if ((q = strstr(l, ": ")) != NULL &&
			    strcspn(l, " ") == (size_t)(q - l) + 1 &&
			    (starts(q + 2, "drop: ") ||
			    starts(q + 2, "trace (") ||
			    starts(q + 2, "debug: ")))
				return true;
		}
	}
	return false;
}
