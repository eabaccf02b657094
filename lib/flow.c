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
		if (tab[i] == NULL || strlen(tab[i]) != len)
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
 * The proto DropReason enum names (flow.proto), the wire names of
 * drop_reason_desc.  Codes without an enum value (2-15, 206) are
 * absent: protojson prints those as bare numbers.  The monitor messages
 * live in cilium_drop.h; this table is only what the JSON format needs.
 */
static const struct {
	uint16_t code;
	const char *name;
} drop_names[] = {
	{ 0, "DROP_REASON_UNKNOWN" },
	{ 130, "INVALID_SOURCE_MAC" },
	{ 131, "INVALID_DESTINATION_MAC" },
	{ 132, "INVALID_SOURCE_IP" },
	{ 133, "POLICY_DENIED" },
	{ 134, "INVALID_PACKET_DROPPED" },
	{ 135, "CT_TRUNCATED_OR_INVALID_HEADER" },
	{ 136, "CT_MISSING_TCP_ACK_FLAG" },
	{ 137, "CT_UNKNOWN_L4_PROTOCOL" },
	{ 138, "CT_CANNOT_CREATE_ENTRY_FROM_PACKET" },
	{ 139, "UNSUPPORTED_L3_PROTOCOL" },
	{ 140, "MISSED_TAIL_CALL" },
	{ 141, "ERROR_WRITING_TO_PACKET" },
	{ 142, "UNKNOWN_L4_PROTOCOL" },
	{ 143, "UNKNOWN_ICMPV4_CODE" },
	{ 144, "UNKNOWN_ICMPV4_TYPE" },
	{ 145, "UNKNOWN_ICMPV6_CODE" },
	{ 146, "UNKNOWN_ICMPV6_TYPE" },
	{ 147, "ERROR_RETRIEVING_TUNNEL_KEY" },
	{ 148, "ERROR_RETRIEVING_TUNNEL_OPTIONS" },
	{ 149, "INVALID_GENEVE_OPTION" },
	{ 150, "UNKNOWN_L3_TARGET_ADDRESS" },
	{ 151, "STALE_OR_UNROUTABLE_IP" },
	{ 152, "NO_MATCHING_LOCAL_CONTAINER_FOUND" },
	{ 153, "ERROR_WHILE_CORRECTING_L3_CHECKSUM" },
	{ 154, "ERROR_WHILE_CORRECTING_L4_CHECKSUM" },
	{ 155, "CT_MAP_INSERTION_FAILED" },
	{ 156, "INVALID_IPV6_EXTENSION_HEADER" },
	{ 157, "IP_FRAGMENTATION_NOT_SUPPORTED" },
	{ 158, "SERVICE_BACKEND_NOT_FOUND" },
	{ 160, "NO_TUNNEL_OR_ENCAPSULATION_ENDPOINT" },
	{ 161, "FAILED_TO_INSERT_INTO_PROXYMAP" },
	{ 162, "REACHED_EDT_RATE_LIMITING_DROP_HORIZON" },
	{ 163, "UNKNOWN_CONNECTION_TRACKING_STATE" },
	{ 164, "LOCAL_HOST_IS_UNREACHABLE" },
	{ 165, "NO_CONFIGURATION_AVAILABLE_TO_PERFORM_POLICY_DECISION" },
	{ 166, "UNSUPPORTED_L2_PROTOCOL" },
	{ 167, "NO_MAPPING_FOR_NAT_MASQUERADE" },
	{ 168, "UNSUPPORTED_PROTOCOL_FOR_NAT_MASQUERADE" },
	{ 169, "FIB_LOOKUP_FAILED" },
	{ 170, "ENCAPSULATION_TRAFFIC_IS_PROHIBITED" },
	{ 171, "INVALID_IDENTITY" },
	{ 172, "UNKNOWN_SENDER" },
	{ 173, "NAT_NOT_NEEDED" },
	{ 174, "IS_A_CLUSTERIP" },
	{ 175, "FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND" },
	{ 176, "FORBIDDEN_ICMPV6_MESSAGE" },
	{ 177, "DENIED_BY_LB_SRC_RANGE_CHECK" },
	{ 178, "SOCKET_LOOKUP_FAILED" },
	{ 179, "SOCKET_ASSIGN_FAILED" },
	{ 180, "PROXY_REDIRECTION_NOT_SUPPORTED_FOR_PROTOCOL" },
	{ 181, "POLICY_DENY" },
	{ 182, "VLAN_FILTERED" },
	{ 183, "INVALID_VNI" },
	{ 184, "INVALID_TC_BUFFER" },
	{ 185, "NO_SID" },
	{ 186, "MISSING_SRV6_STATE" },
	{ 187, "NAT46" },
	{ 188, "NAT64" },
	{ 189, "AUTH_REQUIRED" },
	{ 190, "CT_NO_MAP_FOUND" },
	{ 191, "SNAT_NO_MAP_FOUND" },
	{ 192, "INVALID_CLUSTER_ID" },
	{ 193, "UNSUPPORTED_PROTOCOL_FOR_DSR_ENCAP" },
	{ 194, "NO_EGRESS_GATEWAY" },
	{ 195, "UNENCRYPTED_TRAFFIC" },
	{ 196, "TTL_EXCEEDED" },
	{ 197, "NO_NODE_ID" },
	{ 198, "DROP_RATE_LIMITED" },
	{ 199, "IGMP_HANDLED" },
	{ 200, "IGMP_SUBSCRIBED" },
	{ 201, "MULTICAST_HANDLED" },
	{ 202, "DROP_HOST_NOT_READY" },
	{ 203, "DROP_EP_NOT_READY" },
	{ 204, "DROP_NO_EGRESS_IP" },
	{ 205, "DROP_PUNT_PROXY" },
	{ 207, "DROP_FRAG_NOT_FOUND_WORLD" },
};

const char *
flow_drop_reason_name(uint32_t code)
{
	size_t lo = 0, hi = NELEM(drop_names), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (drop_names[mid].code == code)
			return drop_names[mid].name;
		if (drop_names[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
flow_drop_reason_parse(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < NELEM(drop_names); i++)
		if (strlen(drop_names[i].name) == len &&
		    memcmp(drop_names[i].name, s, len) == 0)
			return drop_names[i].code;
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
