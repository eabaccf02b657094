/*
 * flow_stats.h - streaming analysis of Hubble flows: the service map
 * (nodes and edges), traffic patterns, L7 latency percentiles and error
 * rates.  Feed flows one at a time with flow_stats_add(); memory grows
 * with the number of distinct endpoints, edges, ports, DNS names and
 * nodes, never with the number of flows.
 *
 * Nodes of the map are, in order of preference: the workload (from the
 * endpoint's `workloads`), the pod name without its ReplicaSet/pod hash
 * suffix, the reserved entity (world, host, remote-node, kube-apiserver,
 * ...), the service, the DNS name, the security identity, and only when
 * nothing better is known the IP address.
 *
 * Edges are (source node, destination node, L4 protocol, destination
 * port).  A reply flow (is_reply, or an L7 response when is_reply is
 * absent) is counted on the edge of its request: source and destination
 * are swapped back and the port is the reply's source port.  When a
 * flow says nothing about its direction (no is_reply, no reply, not an
 * L7 response), a TCP SYN-ACK, or a packet from a port below 32768 to
 * an ephemeral port (32768 and up), is taken as a reply.
 *
 * The structures below are read-only views for the report writers; they
 * are owned by the struct flow_stats and valid until the next
 * flow_stats_add() or flow_stats_free().
 */
#ifndef CILKIT_FLOW_STATS_H
#define CILKIT_FLOW_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

struct report_quantile;

/* First ephemeral port (Linux ip_local_port_range default). */
#define FLOW_STATS_EPHEMERAL_MIN	32768

/* Verdict slots: the proto numbers 0..7, then "any other number". */
#define FLOW_STATS_NVERDICT	9
/* Distinct drop reasons kept per edge; more are counted as code 0. */
#define FLOW_STATS_MAX_REASONS	16
/*
 * Relative error of the latency percentiles: a reported p50/p90/p99 is
 * within 1% of the exact value at that rank (report_quantile.h).
 */
#define FLOW_STATS_LATENCY_ERR	0.01
/* Buckets of the flows-per-interval time series. */
#define FLOW_STATS_NBUCKETS	120

enum flow_node_kind {
	FLOW_NODE_WORKLOAD = 0,	/* workloads[0] or pod name minus hash */
	FLOW_NODE_POD,		/* pod name kept as it is */
	FLOW_NODE_RESERVED,	/* world, host, remote-node ... */
	FLOW_NODE_SERVICE,	/* a Kubernetes service, no backend known */
	FLOW_NODE_DNS,		/* outside the cluster, known by DNS name */
	FLOW_NODE_IDENTITY,	/* only the security identity is known */
	FLOW_NODE_IP,		/* only the address is known */
	FLOW_NODE_UNKNOWN,	/* nothing at all */
};

struct flow_stats_node {
	const char *name;	/* display name: "ns/workload", "world" */
	const char *namespace;	/* NULL outside namespaces */
	int kind;		/* enum flow_node_kind */
	uint64_t sent;		/* flows on edges from this node */
	uint64_t received;	/* flows on edges to this node */
	uint64_t dropped;	/* dropped flows from or to this node */
	uint32_t identity;	/* last identity seen, 0 unknown */
};

struct flow_stats_reason {
	uint32_t code;		/* drop reason code; 0 = "other" */
	uint64_t count;
};

/* L7 latency and error counters, per edge and per service. */
struct flow_stats_l7 {
	uint64_t requests;	/* L7 REQUEST flows */
	uint64_t responses;	/* L7 RESPONSE flows */
	uint64_t http_responses;
	uint64_t http_4xx, http_5xx;
	uint64_t dns_responses, dns_errors;	/* rcode != 0 */
	uint64_t kafka_responses, kafka_errors;	/* error_code != 0 */
	struct report_quantile *latency;	/* ns; NULL until first */
	uint64_t latency_max_ns;
};

struct flow_stats_edge {
	uint32_t src, dst;	/* node indexes */
	int proto;		/* enum flow_l4 */
	uint16_t port;		/* request's destination port; 0 none */
	const char *service;	/* destination service "ns/name" or NULL */
	uint64_t flows;
	uint64_t replies;	/* flows that were replies */
	uint64_t verdict[FLOW_STATS_NVERDICT];
	int64_t first_ns, last_ns;	/* 0 when no flow had a time */
	uint64_t tcp_resets;	/* flows with RST set */
	struct flow_stats_reason reasons[FLOW_STATS_MAX_REASONS];
	size_t n_reasons;
	struct flow_stats_l7 l7;
};

/* Per destination service (or destination node when no service). */
struct flow_stats_service {
	const char *name;
	struct flow_stats_l7 l7;
};

struct flow_stats_dns {
	const char *query;
	uint64_t queries;	/* requests */
	uint64_t responses;
	uint64_t errors;	/* responses with rcode != 0 */
	uint64_t rcode[16];	/* responses per rcode; [15] holds >= 15 */
};

/* A counter keyed by a name: k8s node, port ("TCP/80"), protocol. */
struct flow_stats_count {
	const char *name;
	uint64_t count;
};

struct flow_stats {
	uint64_t flows;		/* flows added */
	uint64_t lost_events;	/* from lost_events records */
	uint64_t other_records;	/* agent/debug/node-status/unknown */
	int64_t first_ns, last_ns;
	uint64_t verdict[FLOW_STATS_NVERDICT];
	uint64_t l4[8];		/* enum flow_l4 */
	uint64_t l7[4];		/* enum flow_l7_kind: none, dns, http, kafka */
	uint64_t direction[3];	/* unknown, ingress, egress */
	uint64_t replies;
	uint64_t tcp_resets;
	uint64_t http_4xx, http_5xx, http_responses;
	uint64_t dns_errors, dns_responses;

	/* flows per interval: bucket i covers [ts_base + i*ts_step, +step) */
	int64_t ts_base_ns, ts_step_ns;
	uint64_t ts_total[FLOW_STATS_NBUCKETS];
	uint64_t ts_dropped[FLOW_STATS_NBUCKETS];

	struct flow_stats_node *nodes;
	size_t n_nodes;
	struct flow_stats_edge *edges;
	size_t n_edges;
	struct flow_stats_service *services;
	size_t n_services;
	struct flow_stats_dns *dns;
	size_t n_dns;
	struct flow_stats_count *ports;		/* "TCP/80" */
	size_t n_ports;
	struct flow_stats_count *k8s_nodes;	/* node_name */
	size_t n_k8s_nodes;

	struct flow_stats_priv *priv;
};

/* An empty analysis.  Caller frees with flow_stats_free(); NULL: ENOMEM. */
struct flow_stats *flow_stats_new(void);
void flow_stats_free(struct flow_stats *st);

/*
 * Add one flow (node_name: the record's node, may be NULL to use the
 * flow's).  Returns 0, or CILKIT_ENOMEM / CILKIT_ETOOBIG (distinct
 * names past the memory cap) with a message; the analysis stays usable.
 */
/*
 * The FLOW_SKIP_* parts of a flow (flow_read.h) that flow_stats_add()
 * never reads: a reader feeding only the analysis may skip them.
 */
unsigned flow_stats_skippable(void);

int flow_stats_add(struct flow_stats *st, const struct flow *f,
    const char *node_name, char *errbuf, size_t errlen);

/*
 * Add everything counted in src to dst (for analyses run in parallel
 * over parts of the input).  The result is what adding all flows to
 * dst would have given, except that node indexes differ, the time
 * series may use a coarser interval, and on an edge with more than
 * FLOW_STATS_MAX_REASONS distinct drop reasons which of them end up
 * in "other" depends on the order.  Returns 0 or a negative
 * cilkit_err with a message.
 */
int flow_stats_merge(struct flow_stats *dst, const struct flow_stats *src,
    char *errbuf, size_t errlen);

/* Account a non-flow record (lost events are summed). */
void flow_stats_add_other(struct flow_stats *st, int kind,
    uint64_t lost);

/*
 * The node name for one side of a flow, as described above, into buf
 * (len >= 256 recommended).  Returns the enum flow_node_kind.
 */
int flow_stats_node_name(const struct flow_endpoint *ep,
    const struct flow_service *svc, const char *ip,
    const char *const *names, size_t n_names, char *buf, size_t len);

/*
 * Pod name without the controller's generated suffix:
 * "web-7d4b9c8f6-x2k9p" -> "web" (Deployment), "agent-x2k9p" -> "agent"
 * (DaemonSet/Job), "db-0" -> "db" (StatefulSet).  Writes into buf and
 * returns true when something was stripped.
 */
bool flow_stats_pod_workload(const char *pod, char *buf, size_t len);

/* Whether the flow counts as a reply (see above). */
bool flow_stats_is_reply(const struct flow *f);

/* Time series interval in ns (0 when no flow had a time). */
int64_t flow_stats_interval(const struct flow_stats *st);

/*
 * Quantile q (0..1) of a latency sketch in ns, 0 when empty.  Error
 * bound: see report_quantile.h.
 */
uint64_t flow_stats_latency_q(const struct flow_stats_l7 *l7, double q);
uint64_t flow_stats_latency_count(const struct flow_stats_l7 *l7);

/* Index orders for reports: by count, descending, ties by name. */
size_t *flow_stats_edges_by_flows(const struct flow_stats *st);

#endif /* CILKIT_FLOW_STATS_H */
