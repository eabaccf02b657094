/*
 * flow.c - the flow record: clearing, enum name tables (proto numbering,
 * hubble-flow-format.md section 5), reserved identities and label
 * lookup.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cilium_drop.h"
#include "flow.h"

void
flow_clear(struct flow *f)
{
	memset(f, 0, sizeof(*f));
	f->is_reply = -1;
	f->event_type = -1;
}

static const char *const verdict_names[] = {
	"VERDICT_UNKNOWN", "FORWARDED", "DROPPED", "ERROR", "AUDIT",
	"REDIRECTED", "TRACED", "TRANSLATED",
};

static const char *const type_names[] = {
	"UNKNOWN_TYPE", "L3_L4", "L7", "SOCK",
};

static const char *const direction_names[] = {
	"TRAFFIC_DIRECTION_UNKNOWN", "INGRESS", "EGRESS",
};

static const char *const l4_names[] = {
	NULL, "TCP", "UDP", "ICMPv4", "ICMPv6", "SCTP", "VRRP", "IGMP",
};

static const char *const l7_type_names[] = {
	"UNKNOWN_L7_TYPE", "REQUEST", "RESPONSE", "SAMPLE",
};

/* TraceObservationPoint 0..13; TO_ENDPOINT is 101. */
static const char *const obs_point_names[] = {
	"UNKNOWN_POINT", "TO_PROXY", "TO_HOST", "TO_STACK", "TO_OVERLAY",
	"FROM_ENDPOINT", "FROM_PROXY", "FROM_HOST", "FROM_STACK",
	"FROM_OVERLAY", "FROM_NETWORK", "TO_NETWORK", "FROM_CRYPTO",
	"TO_CRYPTO",
};

static const char *const trace_reason_names[] = {
	"TRACE_REASON_UNKNOWN", "NEW", "ESTABLISHED", "REPLY", "RELATED",
	"REOPENED", "SRV6_ENCAP", "SRV6_DECAP", "ENCRYPT_OVERLAY",
};

static const char *const ip_version_names[] = {
	"IP_NOT_USED", "IPv4", "IPv6",
};

static const char *const tunnel_proto_names[] = {
	"UNKNOWN", "VXLAN", "GENEVE",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *
name_at(const char *const *tab, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n)
		return NULL;
	return tab[v];
}

/* Exact (case-sensitive) lookup of a name of length len; -1 if none. */
static int
find_name(const char *const *tab, size_t n, const char *s, size_t len,
    bool icase)
{
	size_t i;

	for (i = 0; i < n; i++) {
		/* the first byte rules out most names before strlen */
		if (tab[i] == NULL || (!icase && len > 0 && tab[i][0] != s[0]) ||
		    strlen(tab[i]) != len)
			continue;
		if (icase ? strncasecmp(tab[i], s, len) == 0 :
		    memcmp(tab[i], s, len) == 0)
			return (int)i;
	}
	return -1;
}

const char *
flow_verdict_name(int verdict)
{
	return name_at(verdict_names, NELEM(verdict_names), verdict);
}

int
flow_verdict_parse(const char *s)
{
	if (s == NULL)
		return -1;
	return find_name(verdict_names, NELEM(verdict_names), s, strlen(s),
	    true);
}

const char *
flow_type_name(int type)
{
	return name_at(type_names, NELEM(type_names), type);
}

const char *
flow_direction_name(int dir)
{
	return name_at(direction_names, NELEM(direction_names), dir);
}

const char *
flow_l4_name(int l4)
{
	return name_at(l4_names, NELEM(l4_names), l4);
}

const char *
flow_obs_point_name(int point)
{
	if (point == 101)
		return "TO_ENDPOINT";
	return name_at(obs_point_names, NELEM(obs_point_names), point);
}

const char *
flow_l7_type_name(int type)
{
	return name_at(l7_type_names, NELEM(l7_type_names), type);
}

const char *
flow_trace_reason_name(int reason)
{
	return name_at(trace_reason_names, NELEM(trace_reason_names), reason);
}

const char *
flow_ip_version_name(int v)
{
	return name_at(ip_version_names, NELEM(ip_version_names), v);
}

const char *
flow_tunnel_proto_name(int p)
{
	return name_at(tunnel_proto_names, NELEM(tunnel_proto_names), p);
}

/*
 * The proto DropReason enum names (flow.proto) are the wire names of
 * drop_reason_desc; they come from the one drop table, cilium_drop.c.
 * Codes without an enum value (2-15, 206) have no name: protojson prints
 * those as bare numbers.
 */
const char *
flow_drop_reason_name(uint32_t code)
{
	const struct cilium_drop_reason *r = cilium_drop_by_code(code);

	return r != NULL ? r->name : NULL;
}

int
flow_drop_reason_parse(const char *s, size_t len)
{
	const struct cilium_drop_reason *r;
	size_t i;

	for (i = 0; (r = cilium_drop_at(i)) != NULL; i++)
		if (r->name != NULL && strlen(r->name) == len &&
		    memcmp(r->name, s, len) == 0)
			return (int)r->code;
	return -1;
}

/*
 * Enum name -> number for the JSON reader: exact proto names, -1 when
 * unknown.  which is one of the FLOW_ENUM_* values (flow.h).
 */
int
flow_enum_parse(int which, const char *s, size_t len)
{
	switch (which) {
	case FLOW_ENUM_VERDICT:
		return find_name(verdict_names, NELEM(verdict_names), s, len,
		    false);
	case FLOW_ENUM_TYPE:
		return find_name(type_names, NELEM(type_names), s, len, false);
	case FLOW_ENUM_DIRECTION:
		return find_name(direction_names, NELEM(direction_names), s,
		    len, false);
	case FLOW_ENUM_L7_TYPE:
		return find_name(l7_type_names, NELEM(l7_type_names), s, len,
		    false);
	case FLOW_ENUM_OBS_POINT:
		if (len == 11 && memcmp(s, "TO_ENDPOINT", 11) == 0)
			return 101;
		return find_name(obs_point_names, NELEM(obs_point_names), s,
		    len, false);
	case FLOW_ENUM_TRACE_REASON:
		return find_name(trace_reason_names,
		    NELEM(trace_reason_names), s, len, false);
	case FLOW_ENUM_IP_VERSION:
		return find_name(ip_version_names, NELEM(ip_version_names), s,
		    len, false);
	case FLOW_ENUM_TUNNEL:
		return find_name(tunnel_proto_names,
		    NELEM(tunnel_proto_names), s, len, false);
	case FLOW_ENUM_DROP_REASON:
		return flow_drop_reason_parse(s, len);
	}
	return -1;
}

static const char *const reserved_ids[] = {
	NULL, "host", "world", "unmanaged", "health", "init", "remote-node",
	"kube-apiserver", "ingress", "world-ipv4", "world-ipv6",
};

const char *
flow_reserved_identity_name(uint32_t identity)
{
	if (identity >= NELEM(reserved_ids))
		return NULL;
	return reserved_ids[identity];
}

const char *
flow_endpoint_label_value(const struct flow_endpoint *ep, const char *key)
{
	size_t i, klen;
	const char *l, *colon;

	if (ep == NULL || key == NULL)
		return NULL;
	klen = strlen(key);
	for (i = 0; i < ep->n_labels; i++) {
		l = ep->labels[i];
		if (l == NULL)
			continue;
		/* "source:key=value": the source is optional. */
		colon = strchr(l, ':');
		if (colon != NULL && (strchr(l, '=') == NULL ||
		    colon < strchr(l, '=')))
			l = colon + 1;
		if (strncmp(l, key, klen) == 0 && l[klen] == '=')
			return l + klen + 1;
	}
	return NULL;
}
