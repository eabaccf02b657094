/*
 * kube_objects.h - typed views of the API objects the programs need:
 * namespaces, pods, services, endpointslices, nodes, CiliumEndpoints,
 * and the policies (kept as raw json-c objects for the policy engine);
 * and finding the Cilium agent pod on a node.
 *
 * Zero-copy: every string points into the json-c tree the list holds,
 * so it lives as long as the list.  Fields that are absent or of the
 * wrong type are NULL / 0 / empty (untrusted input never crashes a
 * reader); an item without metadata.name is skipped.
 */
#ifndef CILKIT_KUBE_OBJECTS_H
#define CILKIT_KUBE_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_client.h"

struct json_object;

struct kube_kv {
	const char *key;
	const char *value;
};

/* labels, annotations, selectors: string-to-string maps */
struct kube_labels {
	size_t n;
	struct kube_kv *kv;
};

/* Value of key, or NULL. */
const char *kube_labels_get(const struct kube_labels *l, const char *key);
/* Whether every pair of sel is in l (an empty sel matches everything). */
bool kube_labels_match(const struct kube_labels *l,
    const struct kube_labels *sel);

struct kube_port {
	const char *name;	/* may be NULL */
	int port;		/* containerPort / port */
	const char *protocol;	/* "TCP" when absent */
	int target_port;	/* services: numeric targetPort, or 0 */
	const char *target_name;/* services: named targetPort, or NULL */
	int node_port;		/* services */
};

struct kube_container {
	const char *name;
	const char *image;
	size_t nports;
	struct kube_port *ports;
};

struct kube_owner {
	const char *kind;
	const char *name;
	bool controller;
};

struct kube_pod {
	const char *ns, *name, *uid;
	const char *node;		/* spec.nodeName */
	const char *phase;		/* status.phase */
	const char *host_ip;		/* status.hostIP */
	size_t nips;
	const char **ips;		/* status.podIPs[].ip, else podIP */
	bool host_network;
	struct kube_labels labels;
	size_t nowners;
	struct kube_owner *owners;
	size_t ncontainers;
	struct kube_container *containers;
	struct json_object *obj;	/* the item (borrowed) */
};

struct kube_service {
	const char *ns, *name;
	const char *type;		/* ClusterIP, NodePort, ... */
	size_t nips;
	const char **cluster_ips;	/* spec.clusterIPs, else clusterIP
					 * ("None" for headless) */
	size_t nports;
	struct kube_port *ports;
	struct kube_labels selector;
	struct json_object *obj;
};

struct kube_endpoint {
	size_t naddrs;
	const char **addrs;
	bool ready;			/* conditions.ready (absent: true) */
	const char *node;		/* nodeName */
	const char *pod;		/* targetRef.name when kind Pod */
	const char *pod_ns;
};

struct kube_endpointslice {
	const char *ns, *name;
	const char *service;		/* kubernetes.io/service-name label */
	const char *address_type;	/* IPv4, IPv6, FQDN */
	size_t nendpoints;
	struct kube_endpoint *endpoints;
	size_t nports;
	struct kube_port *ports;
	struct json_object *obj;
};

struct kube_node_addr {
	const char *type;		/* InternalIP, ExternalIP, Hostname */
	const char *address;
};

struct kube_node {
	const char *name;
	struct kube_labels labels;
	size_t naddrs;
	struct kube_node_addr *addrs;
	size_t ncidrs;
	const char **pod_cidrs;
	struct json_object *obj;
};

struct kube_namespace {
	const char *name;
	struct kube_labels labels;
	struct json_object *obj;
};

struct kube_cep {
	const char *ns, *name;
	int64_t endpoint_id;		/* status.id: agent-local */
	int64_t identity;		/* status.identity.id */
	size_t nidlabels;
	const char **identity_labels;	/* "k8s:app=x" */
	size_t nips;
	const char **ips;		/* networking.addressing[].ipv4/ipv6 */
	const char *node_ip;		/* networking.node: an IP */
	const char *state;
	struct json_object *obj;
};

/*
 * One list type for every kind: items[0..n) of the kind's struct, the
 * json-c array they borrow from (owned), and the allocations behind
 * them.  Free with kube_objlist_free().
 */
struct kube_objlist {
	size_t n;
	union {
		struct kube_pod *pods;
		struct kube_service *services;
		struct kube_endpointslice *slices;
		struct kube_node *nodes;
		struct kube_namespace *namespaces;
		struct kube_cep *ceps;
		void *items;
	} u;
	struct json_object *root;	/* the items array (owned) */
	void **allocs;			/* every allocation made */
	size_t nallocs, capallocs;
};

void kube_objlist_free(struct kube_objlist *l);

/*
 * Build typed views from a json-c array of items (a reference is taken;
 * the caller keeps its own).  Return the number of items, or a negative
 * enum cilkit_err (CILKIT_EINVAL when items is not an array).
 */
int kube_pods_from_json(struct json_object *items, struct kube_objlist *out,
    char *errbuf, size_t errlen);
int kube_services_from_json(struct json_object *items,
    struct kube_objlist *out, char *errbuf, size_t errlen);
int kube_slices_from_json(struct json_object *items,
    struct kube_objlist *out, char *errbuf, size_t errlen);
int kube_nodes_from_json(struct json_object *items, struct kube_objlist *out,
    char *errbuf, size_t errlen);
int kube_namespaces_from_json(struct json_object *items,
    struct kube_objlist *out, char *errbuf, size_t errlen);
int kube_ceps_from_json(struct json_object *items, struct kube_objlist *out,
    char *errbuf, size_t errlen);

/*
 * LIST and read in one go.  ns NULL: all namespaces.  opts may be NULL.
 * Same returns as kube_list.
 */
int kube_list_pods(struct kube_client *c, const char *ns,
    const struct kube_list_opts *opts, struct kube_objlist *out,
    char *errbuf, size_t errlen);
int kube_list_services(struct kube_client *c, const char *ns,
    const struct kube_list_opts *opts, struct kube_objlist *out,
    char *errbuf, size_t errlen);
/* service NULL: every slice; else the slices of that service. */
int kube_list_slices(struct kube_client *c, const char *ns,
    const char *service, struct kube_objlist *out, char *errbuf,
    size_t errlen);
int kube_list_nodes(struct kube_client *c, struct kube_objlist *out,
    char *errbuf, size_t errlen);
int kube_list_namespaces(struct kube_client *c, struct kube_objlist *out,
    char *errbuf, size_t errlen);
int kube_list_ceps(struct kube_client *c, const char *ns,
    struct kube_objlist *out, char *errbuf, size_t errlen);

/*
 * Policies as raw objects for the policy engine: a json-c array of the
 * NetworkPolicies (ns NULL: all), CiliumNetworkPolicies (ns NULL: all)
 * and CiliumClusterwideNetworkPolicies.  A cluster without the Cilium
 * CRDs gives an empty array for those, not an error, when
 * missing_ok is true.  Caller puts *out.
 */
int kube_list_policies(struct kube_client *c, const struct kube_resource *res,
    const char *ns, bool missing_ok, struct json_object **out,
    char *errbuf, size_t errlen);

/*
 * The Cilium agent pod on node (k8s-app=cilium in kube-system, by
 * spec.nodeName), Running ones first.  Writes its name into name
 * (cap bytes).  Returns 0, CILKIT_ENOTFOUND with a message naming the
 * node, or another negative enum cilkit_err.
 */
int kube_find_agent_pod(struct kube_client *c, const char *node, char *name,
    size_t cap, char *errbuf, size_t errlen);

/* Namespace of the Cilium agents. */
#define KUBE_CILIUM_NS		"kube-system"
#define KUBE_CILIUM_SELECTOR	"k8s-app=cilium"

#endif /* CILKIT_KUBE_OBJECTS_H */
