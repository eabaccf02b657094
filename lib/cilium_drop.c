/*
 * cilium_drop.c - Cilium's drop reason table and its lookups.
 *
 * Source of the facts: cilium pkg/monitor/api/drop.go (messages) and
 * api/v1/flow/flow.proto (enum names) at v1.20 pre-release, as tabulated
 * in shared/data/cilium-drop-reasons.tsv; check_cilium_drop compares this
 * table with that file row by row, so a drift is a test failure.  Codes
 * 1-129 are "non-drop" reasons the monitor can still print.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cilium_drop.h"
#include "flow.h"

static const struct cilium_drop_reason drop_table[] = {
	{ 0, "DROP_REASON_UNKNOWN", "Success" },
	{ 2, NULL, "Invalid packet" },
	{ 3, NULL, "Interface" },
	{ 4, NULL, "Interface Decrypted" },
	{ 5, NULL, "LB, sock cgroup: No backend slot entry found" },
	{ 6, NULL, "LB, sock cgroup: No backend entry found" },
	{ 7, NULL, "LB, sock cgroup: Reverse entry update failed" },
	{ 8, NULL, "LB, sock cgroup: Reverse entry stale" },
	{ 9, NULL, "Fragmented packet" },
	{ 10, NULL, "Fragmented packet entry update failed" },
	{ 11, NULL, "Missed tail call to custom program" },
	{ 12, NULL, "Interface Decrypting" },
	{ 13, NULL, "Interface Encrypting" },
	{ 14, NULL, "LB: sock cgroup: Reverse entry delete succeeded" },
	{ 15, NULL, "MTU error message" },
	{ 130, "INVALID_SOURCE_MAC", "Invalid source mac" },
	{ 131, "INVALID_DESTINATION_MAC", "Invalid destination mac" },
	{ 132, "INVALID_SOURCE_IP", "Invalid source ip" },
	{ 133, "POLICY_DENIED", "Policy denied" },
	{ 134, "INVALID_PACKET_DROPPED", "Invalid packet" },
	{ 135, "CT_TRUNCATED_OR_INVALID_HEADER", "CT: Truncated or invalid header" },
	{ 136, "CT_MISSING_TCP_ACK_FLAG", "Fragmentation needed" },
	{ 137, "CT_UNKNOWN_L4_PROTOCOL", "CT: Unknown L4 protocol" },
	{ 138, "CT_CANNOT_CREATE_ENTRY_FROM_PACKET", "CT: Can't create entry from packet" },
	{ 139, "UNSUPPORTED_L3_PROTOCOL", "Unsupported L3 protocol" },
	{ 140, "MISSED_TAIL_CALL", "Missed tail call" },
	{ 141, "ERROR_WRITING_TO_PACKET", "Error writing to packet" },
	{ 142, "UNKNOWN_L4_PROTOCOL", "Unknown L4 protocol" },
	{ 143, "UNKNOWN_ICMPV4_CODE", "Unknown ICMPv4 code" },
	{ 144, "UNKNOWN_ICMPV4_TYPE", "Unknown ICMPv4 type" },
	{ 145, "UNKNOWN_ICMPV6_CODE", "Unknown ICMPv6 code" },
	{ 146, "UNKNOWN_ICMPV6_TYPE", "Unknown ICMPv6 type" },
	{ 147, "ERROR_RETRIEVING_TUNNEL_KEY", "Error retrieving tunnel key" },
	{ 148, "ERROR_RETRIEVING_TUNNEL_OPTIONS", "Error retrieving tunnel options" },
	{ 149, "INVALID_GENEVE_OPTION", "Invalid Geneve option" },
	{ 150, "UNKNOWN_L3_TARGET_ADDRESS", "Unknown L3 target address" },
	{ 151, "STALE_OR_UNROUTABLE_IP", "Stale or unroutable IP" },
	{ 152, "NO_MATCHING_LOCAL_CONTAINER_FOUND", "No matching local container found" },
	{ 153, "ERROR_WHILE_CORRECTING_L3_CHECKSUM", "Error while correcting L3 checksum" },
	{ 154, "ERROR_WHILE_CORRECTING_L4_CHECKSUM", "Error while correcting L4 checksum" },
	{ 155, "CT_MAP_INSERTION_FAILED", "CT: Map insertion failed" },
	{ 156, "INVALID_IPV6_EXTENSION_HEADER", "Invalid IPv6 extension header" },
	{ 157, "IP_FRAGMENTATION_NOT_SUPPORTED", "IP fragmentation not supported" },
	{ 158, "SERVICE_BACKEND_NOT_FOUND", "Service backend not found" },
	{ 160, "NO_TUNNEL_OR_ENCAPSULATION_ENDPOINT", "No tunnel/encapsulation endpoint (datapath BUG!)" },
	{ 161, "FAILED_TO_INSERT_INTO_PROXYMAP", "NAT 46/64 not enabled" },
	{ 162, "REACHED_EDT_RATE_LIMITING_DROP_HORIZON", "Reached EDT rate-limiting drop horizon" },
	{ 163, "UNKNOWN_CONNECTION_TRACKING_STATE", "Unknown connection tracking state" },
	{ 164, "LOCAL_HOST_IS_UNREACHABLE", "Local host is unreachable" },
	{ 165, "NO_CONFIGURATION_AVAILABLE_TO_PERFORM_POLICY_DECISION", "No configuration available to perform policy decision" },
	{ 166, "UNSUPPORTED_L2_PROTOCOL", "Unsupported L2 protocol" },
	{ 167, "NO_MAPPING_FOR_NAT_MASQUERADE", "No mapping for NAT masquerade" },
	{ 168, "UNSUPPORTED_PROTOCOL_FOR_NAT_MASQUERADE", "Unsupported protocol for NAT masquerade" },
	{ 169, "FIB_LOOKUP_FAILED", "FIB lookup failed" },
	{ 170, "ENCAPSULATION_TRAFFIC_IS_PROHIBITED", "Encapsulation traffic is prohibited" },
	{ 171, "INVALID_IDENTITY", "Invalid identity" },
	{ 172, "UNKNOWN_SENDER", "Unknown sender" },
	{ 173, "NAT_NOT_NEEDED", "NAT not needed" },
	{ 174, "IS_A_CLUSTERIP", "Is a ClusterIP" },
	{ 175, "FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND", "First logical datagram fragment not found" },
	{ 176, "FORBIDDEN_ICMPV6_MESSAGE", "Forbidden ICMPv6 message" },
	{ 177, "DENIED_BY_LB_SRC_RANGE_CHECK", "Denied by LB src range check" },
	{ 178, "SOCKET_LOOKUP_FAILED", "Socket lookup failed" },
	{ 179, "SOCKET_ASSIGN_FAILED", "Socket assign failed" },
	{ 180, "PROXY_REDIRECTION_NOT_SUPPORTED_FOR_PROTOCOL", "Proxy redirection not supported for protocol" },
	{ 181, "POLICY_DENY", "Policy denied by denylist" },
	{ 182, "VLAN_FILTERED", "VLAN traffic disallowed by VLAN filter" },
	{ 183, "INVALID_VNI", "Incorrect VNI from VTEP" },
	{ 184, "INVALID_TC_BUFFER", "Failed to update or lookup TC buffer" },
	{ 185, "NO_SID", "No SID was found for the IP address" },
	{ 186, "MISSING_SRV6_STATE", "SRv6 state was removed during tail call" },
	{ 187, "NAT46", "L3 translation from IPv4 to IPv6 failed (NAT46)" },
	{ 188, "NAT64", "L3 translation from IPv6 to IPv4 failed (NAT64)" },
	{ 189, "AUTH_REQUIRED", "Authentication required" },
	{ 190, "CT_NO_MAP_FOUND", "No conntrack map found" },
	{ 191, "SNAT_NO_MAP_FOUND", "No nat map found" },
	{ 192, "INVALID_CLUSTER_ID", "Invalid ClusterID" },
	{ 193, "UNSUPPORTED_PROTOCOL_FOR_DSR_ENCAP", "Unsupported packet protocol for DSR encapsulation" },
	{ 194, "NO_EGRESS_GATEWAY", "No egress gateway found" },
	{ 195, "UNENCRYPTED_TRAFFIC", "Traffic is unencrypted" },
	{ 196, "TTL_EXCEEDED", "TTL exceeded" },
	{ 197, "NO_NODE_ID", "No node ID found" },
	{ 198, "DROP_RATE_LIMITED", "Rate limited" },
	{ 199, "IGMP_HANDLED", "IGMP handled" },
	{ 200, "IGMP_SUBSCRIBED", "IGMP subscribed" },
	{ 201, "MULTICAST_HANDLED", "Multicast handled" },
	{ 202, "DROP_HOST_NOT_READY", "Host datapath not ready" },
	{ 203, "DROP_EP_NOT_READY", "Endpoint policy program not available" },
	{ 204, "DROP_NO_EGRESS_IP", "No Egress IP configured" },
	{ 205, "DROP_PUNT_PROXY", "Punt to proxy" },
	{ 206, NULL, "No device" },
	{ 207, "DROP_FRAG_NOT_FOUND_WORLD", "First logical datagram fragment not found from world" },
};

#define N_DROPS (sizeof(drop_table) / sizeof(drop_table[0]))

/*
 * Texts that older monitor builds printed (hubble-flow-format.md section
 * 5, cilium-monitor-format.md section 7), mapped to today's code.  The
 * three "Policy denied (...)" variants were separate codes once (133,
 * 159, 162); all three are policy denials, which Cilium now reports as
 * 133, so they map there rather than to what 159/162 mean today.
 */
static const struct {
	const char *text;
	uint32_t code;
} old_messages[] = {
	{ "Policy denied (L3)", 133 },
	{ "Policy denied (L4)", 133 },
	{ "Policy denied (CIDR)", 133 },
	{ "CT: Missing TCP ACK flag", 136 },
	{ "Not a local target address", 151 },
	{ "Failed to insert into proxymap", 161 },
};

const struct cilium_drop_reason *
cilium_drop_by_code(uint32_t code)
{
	size_t lo = 0, hi = N_DROPS, mid;

	/* The table is sorted by code (checked by the unit test). */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (drop_table[mid].code == code)
			return &drop_table[mid];
		if (drop_table[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Case-insensitive comparison that treats '_', '-' and ' ' alike. */
static int
name_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		int ca = tolower((unsigned char)*a);
		int cb = tolower((unsigned char)*b);
		if (ca == '-' || ca == ' ')
			ca = '_';
		if (cb == '-' || cb == ' ')
			cb = '_';
		if (ca != cb)
			return 0;
	}
	return *a == '\0' && *b == '\0';
}

const struct cilium_drop_reason *
cilium_drop_lookup(const char *s)
{
	const struct cilium_drop_reason *r;
	char *end;
	unsigned long v;
	size_t i;

	if (s == NULL || *s == '\0')
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	if (isdigit((unsigned char)*s)) {
		v = strtoul(s, &end, 10);
		if (*end == '\0' && v <= 0xffffffffUL)
			return cilium_drop_by_code((uint32_t)v);
		return NULL;
	}
	/* Messages first: "Invalid packet" is both code 2 and 134, and a
	 * user typing it means the drop (134), which is listed later. */
	for (i = N_DROPS; i-- > 0;)
		if (strcasecmp(drop_table[i].message, s) == 0)
			return &drop_table[i];
	for (i = 0; i < N_DROPS; i++) {
		if (drop_table[i].name == NULL)
			continue;
		if (name_eq(drop_table[i].name, s))
			return &drop_table[i];
		/* Accept the datapath spelling "DROP_POLICY_DENIED" too. */
		if (strncasecmp(s, "DROP_", 5) == 0 &&
		    name_eq(drop_table[i].name, s + 5))
			return &drop_table[i];
	}
	for (i = 0; i < sizeof(old_messages) / sizeof(old_messages[0]); i++)
		if (strcasecmp(old_messages[i].text, s) == 0) {
			r = cilium_drop_by_code(old_messages[i].code);
			if (r != NULL)
				return r;
		}
	return NULL;
}

const char *
cilium_drop_message(uint32_t code, char *buf, size_t len)
{
	const struct cilium_drop_reason *r = cilium_drop_by_code(code);

	if (r != NULL)
		return r->message;
	snprintf(buf, len, "Unknown drop reason %u", code);
	return buf;
}

enum cilium_drop_family
cilium_drop_family(uint32_t code)
{
	switch (code) {
	case 133: case 181:
		return CILIUM_DROP_FAM_POLICY;
	case 130: case 132: case 171: case 172:
		return CILIUM_DROP_FAM_INVALID_SOURCE;
	case 135: case 137: case 138: case 155: case 163: case 190:
		return CILIUM_DROP_FAM_CONNTRACK;
	case 131: case 150: case 151: case 152: case 164: case 169:
	case 196: case 206:
		return CILIUM_DROP_FAM_UNROUTABLE;
	case 147: case 148: case 149: case 160: case 170: case 183:
	case 192: case 197:
		return CILIUM_DROP_FAM_TUNNEL;
	case 189:
		return CILIUM_DROP_FAM_AUTH;
	case 139: case 142: case 143: case 144: case 145: case 146:
	case 166: case 180: case 193: case 176:
		return CILIUM_DROP_FAM_UNSUPPORTED;
	case 5: case 6: case 7: case 8: case 14: case 158: case 174:
	case 177:
		return CILIUM_DROP_FAM_SERVICE;
	case 2: case 9: case 10: case 15: case 134: case 136: case 153:
	case 154: case 156: case 157: case 175: case 207:
		return CILIUM_DROP_FAM_INVALID_PACKET;
	case 161: case 167: case 168: case 173: case 187: case 188:
	case 191: case 194: case 204:
		return CILIUM_DROP_FAM_NAT;
	case 162: case 198:
		return CILIUM_DROP_FAM_RATE;
	default:
		return CILIUM_DROP_FAM_OTHER;
	}
}

const char *
cilium_drop_family_name(enum cilium_drop_family fam)
{
	switch (fam) {
	case CILIUM_DROP_FAM_POLICY:		return "policy";
	case CILIUM_DROP_FAM_INVALID_SOURCE:	return "invalid-source";
	case CILIUM_DROP_FAM_CONNTRACK:		return "conntrack";
	case CILIUM_DROP_FAM_UNROUTABLE:	return "unroutable";
	case CILIUM_DROP_FAM_TUNNEL:		return "tunnel";
	case CILIUM_DROP_FAM_FQDN:		return "fqdn";
	case CILIUM_DROP_FAM_AUTH:		return "auth";
	case CILIUM_DROP_FAM_UNSUPPORTED:	return "unsupported";
	case CILIUM_DROP_FAM_SERVICE:		return "service";
	case CILIUM_DROP_FAM_INVALID_PACKET:	return "invalid-packet";
	case CILIUM_DROP_FAM_NAT:		return "nat";
	case CILIUM_DROP_FAM_RATE:		return "rate-limit";
	case CILIUM_DROP_FAM_OTHER:		break;
	}
	return "other";
}

size_t
cilium_drop_count(void)
{
	return N_DROPS;
}

const struct cilium_drop_reason *
cilium_drop_at(size_t i)
{
	return i < N_DROPS ? &drop_table[i] : NULL;
}

enum cilium_drop_family
cilium_drop_family_of_flow(const struct flow *f)
{
	enum cilium_drop_family fam = cilium_drop_family(f->drop_reason);
	size_t i;

	if (fam != CILIUM_DROP_FAM_POLICY)
		return fam;
	/*
	 * A policy denial towards a destination known by DNS name is an
	 * FQDN-policy question (toFQDNs rules, DNS proxy visibility), which
	 * needs other advice than a label-selector policy.
	 */
	if (f->n_dst_names > 0)
		return CILIUM_DROP_FAM_FQDN;
	for (i = 0; i < f->dst.n_labels; i++)
		if (strncmp(f->dst.labels[i], "fqdn:", 5) == 0)
			return CILIUM_DROP_FAM_FQDN;
	return fam;
}
