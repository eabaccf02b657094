/*
 * flow.h - the common flow record every reader produces and every
 * analysis consumes (design.md, "flow").
 *
 * Readers: Hubble JSON lines (flow_read.h), cilium monitor output
 * (cilium_monitor.h), pcap conversations (cpcap_*.h).  Writer: flow
 * lines in the `hubble observe -o jsonpb` shape (flow_write.h).
 *
 * Ownership: a struct flow handed out by a reader is borrowed; its
 * strings and arrays point into the reader's buffers and stay valid only
 * until the reader's next call.  A consumer that keeps anything copies
 * it.  Numeric enums keep the proto numbering (hubble-flow-format.md
 * section 5), so a value with no name in our tables is still carried
 * through as its number.
 */
#ifndef CILKIT_FLOW_H
#define CILKIT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Verdict, proto numbering. */
enum flow_verdict {
	FLOW_VERDICT_UNKNOWN = 0,
	FLOW_FORWARDED = 1,
	FLOW_DROPPED = 2,
	FLOW_ERROR = 3,
	FLOW_AUDIT = 4,
	FLOW_REDIRECTED = 5,
	FLOW_TRACED = 6,
	FLOW_TRANSLATED = 7,
};

/* FlowType, proto numbering. */
enum flow_type {
	FLOW_TYPE_UNKNOWN = 0,
	FLOW_TYPE_L3_L4 = 1,
	FLOW_TYPE_L7 = 2,
	FLOW_TYPE_SOCK = 3,
};

/* Which Layer4 oneof member was set. */
enum flow_l4 {
	FLOW_L4_NONE = 0,
	FLOW_L4_TCP,
	FLOW_L4_UDP,
	FLOW_L4_ICMPV4,
	FLOW_L4_ICMPV6,
	FLOW_L4_SCTP,
	FLOW_L4_VRRP,
	FLOW_L4_IGMP,
};

/* TCP flags, in wire bit order so pcap-derived flows can copy them. */
#define FLOW_TCP_FIN	0x001
#define FLOW_TCP_SYN	0x002
#define FLOW_TCP_RST	0x004
#define FLOW_TCP_PSH	0x008
#define FLOW_TCP_ACK	0x010
#define FLOW_TCP_URG	0x020
#define FLOW_TCP_ECE	0x040
#define FLOW_TCP_CWR	0x080
#define FLOW_TCP_NS	0x100

/* TrafficDirection, proto numbering. */
enum flow_direction {
	FLOW_DIR_UNKNOWN = 0,
	FLOW_DIR_INGRESS = 1,
	FLOW_DIR_EGRESS = 2,
};

/* L7FlowType, proto numbering. */
enum flow_l7_type {
	FLOW_L7_UNKNOWN_TYPE = 0,
	FLOW_L7_REQUEST = 1,
	FLOW_L7_RESPONSE = 2,
	FLOW_L7_SAMPLE = 3,
};

/* Which Layer7 oneof member was set. */
enum flow_l7_kind {
	FLOW_L7_NONE = 0,
	FLOW_L7_DNS,
	FLOW_L7_HTTP,
	FLOW_L7_KAFKA,
};

/* What one input record was: a flow, or one of the non-flow lines. */
enum flow_event {
	FLOW_EV_FLOW = 0,	/* a flow (struct flow filled) */
	FLOW_EV_LOST,		/* lost_events: events the agent dropped */
	FLOW_EV_AGENT,		/* agent_event */
	FLOW_EV_DEBUG,		/* debug_event */
	FLOW_EV_NODE_STATUS,	/* relay node_status */
	FLOW_EV_OTHER,		/* valid JSON object of no known kind */
};

/* Reserved security identities (hubble-flow-format.md section 6). */
#define FLOW_ID_HOST		1
#define FLOW_ID_WORLD		2
#define FLOW_ID_UNMANAGED	3
#define FLOW_ID_HEALTH		4
#define FLOW_ID_INIT		5
#define FLOW_ID_REMOTE_NODE	6
#define FLOW_ID_KUBE_APISERVER	7
#define FLOW_ID_INGRESS		8
#define FLOW_ID_WORLD_IPV4	9
#define FLOW_ID_WORLD_IPV6	10

struct flow_workload {
	const char *name;
	const char *kind;
};

struct flow_endpoint {
	uint32_t id;		/* Cilium endpoint id; 0 when absent */
	uint32_t identity;	/* security identity; 0 unknown */
	const char *cluster_name;	/* NULL when absent (all strings) */
	const char *namespace;
	const char *pod_name;
	const char **labels;	/* "source:key=value", n_labels entries */
	size_t n_labels;
	struct flow_workload *workloads;
	size_t n_workloads;
};

struct flow_service {
	const char *name;
	const char *namespace;
};

struct flow_policy {
	const char *name;
	const char *namespace;
	const char *kind;	/* e.g. CiliumNetworkPolicy */
};

struct flow_policy_list {
	struct flow_policy *v;
	size_t n;
};

struct flow_http {
	uint32_t code;		/* 0 on requests */
	const char *method;
	const char *url;
	const char *protocol;
};

struct flow_dns {
	const char *query;
	uint32_t rcode;		/* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN ... */
	uint32_t ttl;
	const char **ips;
	size_t n_ips;
	const char **qtypes;
	size_t n_qtypes;
	const char *observation_source;
};

struct flow_kafka {
	int32_t error_code;
	int32_t api_version;
	const char *api_key;
	int32_t correlation_id;
	const char *topic;
};

struct flow_l7 {
	int type;		/* enum flow_l7_type */
	uint64_t latency_ns;	/* 0 when absent (normally requests) */
	int kind;		/* enum flow_l7_kind */
	struct flow_http http;
	struct flow_dns dns;
	struct flow_kafka kafka;
};

struct flow {
	int64_t time_ns;	/* Unix time in ns; 0 when unknown */
	const char *uuid;
	int verdict;		/* enum flow_verdict, or an unnamed number */
	uint32_t drop_reason;	/* datapath code (drop_reason_desc), 0 none */
	/*
	 * The drop reason as the source printed it, set only when it maps to
	 * no known code (e.g. a monitor text newer than our table); NULL
	 * otherwise.
	 */
	const char *drop_reason_text;
	int type;		/* enum flow_type */
	const char *node_name;

	const char *src_mac, *dst_mac;
	const char *src_ip;	/* textual, as Hubble prints it */
	const char *dst_ip;
	const char *src_ip_xlated;
	int ip_version;		/* 0 none, 1 IPv4, 2 IPv6 (proto numbering) */
	bool ip_encrypted;

	int l4;			/* enum flow_l4 */
	uint16_t sport, dport;	/* TCP/UDP/SCTP */
	uint16_t tcp_flags;	/* FLOW_TCP_* */
	uint8_t icmp_type, icmp_code;

	struct flow_endpoint src, dst;
	struct flow_service src_svc, dst_svc;
	const char **src_names;	/* DNS names known for the source IP */
	size_t n_src_names;
	const char **dst_names;
	size_t n_dst_names;

	int direction;		/* enum flow_direction */
	/*
	 * -1 unknown, 0 request, 1 reply.  From is_reply when present,
	 * else 1 when the deprecated `reply` is true, else -1.
	 */
	int is_reply;
	int event_type;		/* monitor message type; -1 when absent */
	int event_subtype;
	int obs_point;		/* TraceObservationPoint, proto numbering */
	int trace_reason;
	uint32_t policy_match_type;
	uint32_t proxy_port;
	const char *iface_name;
	uint32_t iface_index;
	const char *summary;
	const char *file_name;	/* BPF source of a drop, e.g. bpf_lxc.c */
	uint32_t file_line;
	int tunnel_proto;	/* 0 none, 1 VXLAN, 2 GENEVE */
	uint32_t tunnel_vni;

	bool has_l7;
	struct flow_l7 l7;

	struct flow_policy_list egress_allowed_by;
	struct flow_policy_list ingress_allowed_by;
	struct flow_policy_list egress_denied_by;
	struct flow_policy_list ingress_denied_by;
};

/* A non-flow record: lost events, agent/debug events, node status. */
struct flow_other {
	uint64_t num_events_lost;	/* FLOW_EV_LOST */
	const char *lost_source;	/* e.g. HUBBLE_RING_BUFFER */
	int cpu;			/* -1 when absent */
	const char *subtype;		/* agent/debug event type name */
};

/* One input record: the wrapper plus what it carried. */
struct flow_record {
	int kind;		/* enum flow_event */
	int64_t time_ns;	/* wrapper time, else flow time; 0 unknown */
	const char *node_name;	/* wrapper node_name, else flow's */
	struct flow flow;	/* valid when kind == FLOW_EV_FLOW */
	struct flow_other other; /* valid for the other kinds */
};

/* Reset a flow to "everything absent" (ints 0, is_reply/event_type -1). */
void flow_clear(struct flow *f);

/* Names for enums; a number without a name yields NULL. */
const char *flow_verdict_name(int verdict);
int flow_verdict_parse(const char *s);	/* case-insensitive; -1 unknown */
const char *flow_type_name(int type);
const char *flow_direction_name(int dir);
const char *flow_l4_name(int l4);	/* "TCP", "UDP", "ICMPv4" ... */
const char *flow_obs_point_name(int point);
const char *flow_l7_type_name(int type);

const char *flow_trace_reason_name(int reason);
const char *flow_ip_version_name(int v);	/* "IPv4", "IPv6" */
const char *flow_tunnel_proto_name(int p);	/* "VXLAN", "GENEVE" */

/*
 * DropReason enum (flow.proto): the wire name of a datapath drop code,
 * or NULL for codes the enum has no value for (2-15, 206, unknown).
 * flow_drop_reason_parse: exact enum name of length len -> code, or -1.
 * (Monitor messages and advice families are in cilium_drop.h.)
 */
const char *flow_drop_reason_name(uint32_t code);
int flow_drop_reason_parse(const char *s, size_t len);

/* Enums the JSON reader resolves by name (flow_enum_parse). */
enum flow_enum {
	FLOW_ENUM_VERDICT,
	FLOW_ENUM_TYPE,
	FLOW_ENUM_DIRECTION,
	FLOW_ENUM_L7_TYPE,
	FLOW_ENUM_OBS_POINT,
	FLOW_ENUM_TRACE_REASON,
	FLOW_ENUM_IP_VERSION,
	FLOW_ENUM_TUNNEL,
	FLOW_ENUM_DROP_REASON,
};
/* Exact proto name of length len -> number; -1 when unknown. */
int flow_enum_parse(int which, const char *s, size_t len);

/* Reserved identity name ("world", "host" ...) or NULL. */
const char *flow_reserved_identity_name(uint32_t identity);

/*
 * Value of the endpoint label "k8s:KEY=VALUE" (any source prefix), or
 * NULL when the endpoint has no such label.
 */
const char *flow_endpoint_label_value(const struct flow_endpoint *ep,
    const char *key);

#endif /* CILKIT_FLOW_H */
