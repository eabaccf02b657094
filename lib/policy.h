/*
 * policy.h - the network-policy engine: Kubernetes NetworkPolicy,
 * CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.
 *
 * A policy_db holds what a verdict depends on: namespaces, pods (also the
 * pod templates of workloads), services and policies, read from json-c
 * objects (API JSON or YAML manifests through kube_yaml).  After
 * policy_db_finalize() every selector is compiled once and every pod
 * knows, per direction, the rules whose subject selects it, so a query
 * costs only the rules of its two ends.
 *
 * Semantics: shared/docs/policy-semantics.md.  The default is Cilium's
 * (deny beats allow across all kinds, identity labels, label filter,
 * ipBlock never selects pods); policy_opts switches the points where
 * implementations disagree.
 *
 * Nothing here prints or exits; warnings about suspicious input are kept
 * in the db (policy_db_warning()).
 */
#ifndef CILKIT_POLICY_H
#define CILKIT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct policy_db;

/* Caps on untrusted input (style.md rule 18). */
#define POLICY_MAX_OBJECTS	(1u << 20)
#define POLICY_MAX_STR		4096
#define POLICY_MAX_REFS		8	/* deciding rules kept per direction */

enum policy_enforcement {
	POLICY_ENFORCE_DEFAULT = 0,
	POLICY_ENFORCE_ALWAYS,
	POLICY_ENFORCE_NEVER,
};

enum policy_ipblock_mode {
	POLICY_IPBLOCK_CILIUM = 0,	/* ipBlock/CIDR never selects a pod */
	POLICY_IPBLOCK_K8S,		/* ipBlock matches pod IPs (cyclonus, e2e) */
};

struct policy_opts {
	enum policy_enforcement enforcement;
	enum policy_ipblock_mode ipblock;
	/*
	 * Kubernetes reading instead of Cilium's: raw pod labels (no label
	 * filter, no injected identity labels), policyTypes honoured
	 * strictly, hostNetwork pods treated as ordinary pods (as
	 * netpol-analyzer and cyclonus do).  Off by default.
	 */
	bool k8s_semantics;
	bool self_subject;	/* pod -> itself goes through policy (cyclonus) */
	const char *cluster;	/* io.cilium.k8s.policy.cluster, "default" */
};

enum policy_proto {
	POLICY_TCP = 1,
	POLICY_UDP = 2,
	POLICY_SCTP = 4,
	POLICY_ICMP = 8,
	POLICY_ICMPV6 = 16,
};

enum policy_kind {
	POLICY_KIND_NP = 0,	/* networking.k8s.io/v1 NetworkPolicy */
	POLICY_KIND_CNP,
	POLICY_KIND_CCNP,
};

enum policy_dir { POLICY_INGRESS = 0, POLICY_EGRESS = 1 };

enum policy_verdict_code {
	POLICY_ALLOW = 0,
	POLICY_DENY,
	POLICY_UNKNOWN,		/* depends on run-time data (DNS) */
};

/* Why a direction decided as it did. */
enum policy_reason {
	POLICY_R_NOT_MANAGED = 0, /* end is not a pod: no policy for it */
	POLICY_R_NOT_SELECTED,	/* no rule selects it: default allow */
	POLICY_R_NO_DEFAULT_DENY, /* selected, default-deny disabled */
	POLICY_R_ALLOWED,	/* an allow rule matched */
	POLICY_R_ALLOWED_L7,	/* allowed at L4, then L7 rules apply */
	POLICY_R_DENIED,	/* a deny rule matched */
	POLICY_R_DEFAULT_DENY,	/* isolated and no rule matched */
	POLICY_R_FQDN,		/* only a toFQDNs rule could match */
	POLICY_R_ENFORCE_NEVER,
	POLICY_R_SELF,		/* a pod can always reach itself */
	POLICY_R_LOCAL_HOST,	/* ingress from the pod's own node */
	POLICY_R_UNDECIDED,	/* hinges on a construct not evaluated
				   offline (fromNodes, host policy...) */
};

/* One rule of one policy: (kind, namespace, name) plus where in it. */
struct policy_ref {
	enum policy_kind kind;
	const char *ns;		/* "" for CCNP */
	const char *name;
	const char *section;	/* "ingress", "egressDeny", ... */
	int spec;		/* 0: spec, N: specs[N-1] (Cilium) */
	int rule;		/* 1-based index in the section */
};

struct policy_dir_result {
	enum policy_verdict_code verdict;
	enum policy_reason reason;
	int nrefs;		/* deciding rules (allow, deny or fqdn) */
	struct policy_ref refs[POLICY_MAX_REFS];
	int nisolating;		/* policies that isolate the end here */
	struct policy_ref isolating[POLICY_MAX_REFS];
	const char *l7;		/* L7 rules text for ALLOWED_L7, or NULL */
	const char *why;	/* UNDECIDED: the construct, e.g. "fromNodes" */
};

/* An end of a connection: a pod (index) or an address. */
struct policy_end {
	int pod;		/* >= 0: pod index; -1: ip below */
	int family;		/* 4 or 6 when pod < 0 */
	uint8_t ip[16];
};

struct policy_query {
	struct policy_end src, dst;
	enum policy_proto proto;
	int port;		/* 0 with ICMP */
	int icmp_type;		/* ICMP type, default 8 (echo) */
};

struct policy_verdict {
	enum policy_verdict_code verdict;
	struct policy_dir_result egress;	/* of the source */
	struct policy_dir_result ingress;	/* of the destination */
};

/* Read-only view of a pod. */
struct policy_pod_info {
	const char *ns, *name, *ip, *node;
	const char *workload;	/* "ns/name[Kind]" (netpol-analyzer form) */
	bool from_template;	/* made from a workload's pod template */
};

struct policy_service_info {
	const char *ns, *name, *cluster_ip;
	int nbackends;
};

/* Create an empty db; opts may be NULL (defaults).  Free with _free. */
int policy_db_new(struct policy_db **db, const struct policy_opts *opts,
    char *errbuf, size_t errlen);
void policy_db_free(struct policy_db *db);

/*
 * Add one object (any kind; Lists recurse; unknown kinds are ignored and
 * counted).  origin names the file for messages.  The object is not kept.
 * Returns the number of objects used, or a negative enum cilkit_err; a
 * malformed policy is refused with a message naming origin and path.
 */
int policy_db_add_object(struct policy_db *db, struct json_object *obj,
    const char *origin, char *errbuf, size_t errlen);
/*
 * Load a YAML/JSON file, or every .yaml/.yml/.json file under a folder
 * (recursively, sorted).  A bad file fails the call; a bad object inside
 * a good file is skipped with a warning.
 */
int policy_db_load_path(struct policy_db *db, const char *path,
    char *errbuf, size_t errlen);
/* Compile and index; call once after the last add, before queries. */
int policy_db_finalize(struct policy_db *db, char *errbuf, size_t errlen);

/* Warnings collected while loading (suspicious manifests, skips). */
size_t policy_db_nwarnings(const struct policy_db *db);
const char *policy_db_warning(const struct policy_db *db, size_t i);

size_t policy_db_npods(const struct policy_db *db);
size_t policy_db_npolicies(const struct policy_db *db);
void policy_db_pod_info(const struct policy_db *db, int pod,
    struct policy_pod_info *out);

/*
 * Find a pod by "ns/name": an exact pod name first, then the only pod of
 * a workload of that name.  Returns the index or -1.
 */
int policy_db_find_pod(const struct policy_db *db, const char *ns,
    const char *name);
/* The pod whose IP this is, or -1. */
int policy_db_find_pod_ip(const struct policy_db *db, int family,
    const uint8_t *ip);
/*
 * Find a service; fills info and returns its index, or -1.  Backends are
 * the pods its selector picks in its namespace.
 */
int policy_db_find_service(const struct policy_db *db, const char *ns,
    const char *name, struct policy_service_info *info);
/* Info of service index svc; 0 or -1 when out of range. */
int policy_db_service_info(const struct policy_db *db, int svc,
    struct policy_service_info *info);
/* First service (by load order) whose backends include pod, or -1. */
int policy_db_pod_service(const struct policy_db *db, int pod);
/* Service whose cluster IP is ip, or -1. */
int policy_db_find_service_ip(const struct policy_db *db, int family,
    const uint8_t *ip);
/* i-th backend pod of service svc, or -1. */
int policy_db_service_backend(const struct policy_db *db, int svc, int i);
/*
 * Map a service port (number, or 0 for the first) to the target port of
 * pod backend: named targetPorts are resolved on that pod.  Returns the
 * port, or -1 when the service has no such port.  *proto is set.
 */
int policy_db_service_target(const struct policy_db *db, int svc,
    int backend, int port, enum policy_proto *proto);

/* Parse "tcp|udp|sctp|icmp|icmpv6" (any case); -1 if unknown. */
int policy_proto_parse(const char *s);
const char *policy_proto_name(enum policy_proto p);
/* Parse an IPv4/IPv6 address; 0 or -1. */
int policy_parse_ip(const char *s, int *family, uint8_t *ip);
/* Parse "A/len"; 0 or -1 (host bits must be zero unless lax). */
int policy_parse_cidr(const char *s, int *family, uint8_t *ip, int *len);

/* Evaluate one connection.  Returns 0 or a negative enum cilkit_err. */
int policy_evaluate(const struct policy_db *db, const struct policy_query *q,
    struct policy_verdict *v, char *errbuf, size_t errlen);

/*
 * One direction's explanation, e.g. "no policy selects demo/a for
 * egress: default allow" or "demo/b is isolated for ingress (by
 * NetworkPolicy demo/deny) and no rule matches port 8080/TCP".
 */
void policy_explain_dir(const struct policy_db *db,
    const struct policy_query *q, enum policy_dir dir,
    const struct policy_dir_result *r, char *buf, size_t len);
/* "NetworkPolicy demo/x ingress rule 2", "CiliumNetworkPolicy ...". */
void policy_ref_format(const struct policy_ref *ref, char *buf, size_t len);
const char *policy_kind_name(enum policy_kind k);

/*
 * Every allowed connection between workloads (one pod per workload) and
 * the IPv4 ranges cut by the policies' ipBlocks, in netpol-analyzer's
 * connlist text format, sorted.  *lines is an array of *n strings; the
 * caller frees it with policy_lines_free().
 */
int policy_connlist(const struct policy_db *db, char ***lines, size_t *n,
    char *errbuf, size_t errlen);
void policy_lines_free(char **lines, size_t n);

/*
 * The allowed connection set from pod/ip src to dst (both directions
 * combined), formatted as netpol-analyzer does ("All Connections",
 * "TCP 80,UDP 53", "" when nothing).  Returns 0 or a negative error.
 */
int policy_connset(const struct policy_db *db, const struct policy_end *src,
    const struct policy_end *dst, char *buf, size_t len);

/*
 * Representative addresses of a CIDR: the start of every range the
 * policies' CIDRs cut it into (IPv4; an IPv6 CIDR gives its first
 * address), at most max.  Every address of one range gets the same
 * verdict.  Returns the count or a negative enum cilkit_err.
 */
int policy_cidr_points(const struct policy_db *db, int family,
    const uint8_t *ip, int len, uint8_t (*out)[16], size_t max);

#endif /* CILKIT_POLICY_H */
