/*
 * check_policy.c - the policy engine, one semantic per row: selectors
 * (matchExpressions), combined vs separate peers, ipBlock/except and the
 * pod-IP mode, named ports, endPort, protocols, policyTypes defaulting,
 * Cilium namespace defaulting, entities, deny precedence, default-deny
 * switches, enforcement modes, ICMP, L7, FQDN; then bad input, which
 * must be refused with a message naming the place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "cilkit.h"
#include "kube_yaml.h"
#include "policy.h"

/* Namespaces a (team=x) and b; four pods; one service. */
static const char fixture[] =
"apiVersion: v1\nkind: List\nitems:\n"
"- {kind: Namespace, metadata: {name: a, labels: {team: x}}}\n"
"- {kind: Namespace, metadata: {name: b}}\n"
"- kind: Pod\n"
"  metadata: {name: web, namespace: a, labels: {app: web, tier: front}}\n"
"  spec:\n"
"    nodeName: n1\n"
"    containers:\n"
"    - name: c\n"
"      ports:\n"
"      - {name: http, containerPort: 8080}\n"
"      - {name: dns, containerPort: 53, protocol: UDP}\n"
"  status: {podIP: 10.0.0.1, hostIP: 192.168.0.1}\n"
"- kind: Pod\n"
"  metadata: {name: api, namespace: a, labels: {app: api}}\n"
"  spec:\n"
"    serviceAccountName: apisa\n"
"    containers:\n"
"    - name: c\n"
"      ports: [{name: http, containerPort: 9090, protocol: TCP}]\n"
"  status: {podIP: 10.0.0.2}\n"
"- kind: Pod\n"
"  metadata: {name: db, namespace: b,\n"
"    labels: {app: db, pod-template-hash: abc}}\n"
"  spec: {containers: [{name: c, ports: [{name: pg, containerPort: 5432}]}]}\n"
"  status: {podIP: 10.0.1.1}\n"
"- kind: Pod\n"
"  metadata: {name: bare, namespace: a}\n"
"  spec: {containers: [{name: c}]}\n"
"  status: {podIP: 10.0.0.3}\n"
"- kind: Pod\n"
"  metadata: {name: dual, namespace: c}\n"
"  spec: {nodeName: n2, containers: [{name: c}]}\n"
"  status: {podIP: 10.0.2.1, podIPs: [{ip: 10.0.2.1}, {ip: \"fd00::21\"}],\n"
"    hostIP: 192.168.0.2, hostIPs: [{ip: 192.168.0.2}, {ip: \"fd00::2\"}]}\n"
"- kind: Node\n"
"  metadata: {name: n3}\n"
"  status: {addresses: [{type: Hostname, address: n3},\n"
"    {type: InternalIP, address: 192.168.0.3}]}\n"
"- kind: Service\n"
"  metadata: {name: api, namespace: a, labels: {exposed: \"yes\"}}\n"
"  spec:\n"
"    clusterIP: 10.96.0.10\n"
"    selector: {app: api}\n"
"    ports: [{port: 80, targetPort: http}]\n";

#define NP(ns, name) "---\napiVersion: networking.k8s.io/v1\n" \
	"kind: NetworkPolicy\nmetadata: {name: " name ", namespace: " ns "}\n"
#define CNP(ns, name) "---\napiVersion: cilium.io/v2\n" \
	"kind: CiliumNetworkPolicy\nmetadata: {name: " name ", namespace: " \
	ns "}\n"
#define CCNP(name) "---\napiVersion: cilium.io/v2\n" \
	"kind: CiliumClusterwideNetworkPolicy\nmetadata: {name: " name "}\n"

enum { ALLOW = POLICY_ALLOW, DENY = POLICY_DENY, UNKN = POLICY_UNKNOWN };

struct vcase {
	const char *what;
	const char *policies;
	unsigned opts;		/* O_* */
	const char *src, *dst;	/* ns/pod or an IP */
	int proto, port;
	int verdict;
	int reason;		/* of the deciding direction, -1: any */
	const char *ref;	/* substring of a deciding ref, or NULL */
};

#define O_K8S		1	/* --semantics k8s */
#define O_IPPODS	2	/* --ipblock-mode k8s */
#define O_ALWAYS	4
#define O_NEVER		8

static const struct vcase vcases[] = {
	{ "no policy: default allow", "", 0, "a/web", "a/api", POLICY_TCP,
	  9090, ALLOW, POLICY_R_NOT_SELECTED, NULL },
	{ "np deny-all ingress",
	  NP("a", "deny") "spec: {podSelector: {}}\n", 0, "a/web", "a/api",
	  POLICY_TCP, 9090, DENY, POLICY_R_DEFAULT_DENY, "deny" },
	{ "ingress from the pod's own node is always allowed",
	  NP("a", "deny") "spec: {podSelector: {}}\n", 0, "192.168.0.1",
	  "a/web", POLICY_TCP, 8080, ALLOW, POLICY_R_LOCAL_HOST, NULL },
	{ "np deny-all does not reach other namespaces",
	  NP("a", "deny") "spec: {podSelector: {}}\n", 0, "a/web", "b/db",
	  POLICY_TCP, 5432, ALLOW, POLICY_R_NOT_SELECTED, NULL },
	{ "np allow from app=web on 9090",
	  NP("a", "p") "spec:\n  podSelector: {matchLabels: {app: api}}\n"
	  "  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n"
	  "    ports: [{port: 9090}]\n", 0, "a/web", "a/api", POLICY_TCP,
	  9090, ALLOW, POLICY_R_ALLOWED, "ingress rule 1" },
	{ "np allow from app=web: other port denied",
	  NP("a", "p") "spec:\n  podSelector: {matchLabels: {app: api}}\n"
	  "  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n"
	  "    ports: [{port: 9090}]\n", 0, "a/web", "a/api", POLICY_TCP,
	  9091, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "np ports: protocol defaults to TCP, UDP denied",
	  NP("a", "p") "spec:\n  podSelector: {matchLabels: {app: api}}\n"
	  "  ingress:\n  - ports: [{port: 9090}]\n", 0, "a/web", "a/api",
	  POLICY_UDP, 9090, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "np NotIn matches a pod without the key",
	  NP("a", "p") "spec:\n  podSelector: {matchLabels: {app: api}}\n"
	  "  ingress:\n  - from: [{podSelector: {matchExpressions:\n"
	  "      [{key: app, operator: NotIn, values: [web]}]}}]\n", 0,
	  "a/bare", "a/api", POLICY_TCP, 9090, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "np NotIn excludes the value",
	  NP("a", "p") "spec:\n  podSelector: {matchLabels: {app: api}}\n"
	  "  ingress:\n  - from: [{podSelector: {matchExpressions:\n"
	  "      [{key: app, operator: NotIn, values: [web]}]}}]\n", 0,
	  "a/web", "a/api", POLICY_TCP, 9090, DENY, POLICY_R_DEFAULT_DENY,
	  NULL },
	{ "np Exists / DoesNotExist",
	  NP("a", "p") "spec:\n  podSelector: {matchLabels: {app: api}}\n"
	  "  ingress:\n  - from: [{podSelector: {matchExpressions:\n"
	  "      [{key: tier, operator: Exists},\n"
	  "       {key: nope, operator: DoesNotExist}]}}]\n", 0,
	  "a/web", "a/api", POLICY_TCP, 9090, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "np combined ns+pod selector is AND",
	  NP("b", "p") "spec:\n  podSelector: {}\n  ingress:\n"
	  "  - from: [{namespaceSelector: {matchLabels: {team: x}},\n"
	  "            podSelector: {matchLabels: {app: api}}}]\n", 0,
	  "a/web", "b/db", POLICY_TCP, 5432, DENY, POLICY_R_DEFAULT_DENY,
	  NULL },
	{ "np separate ns and pod peers are OR",
	  NP("b", "p") "spec:\n  podSelector: {}\n  ingress:\n"
	  "  - from: [{namespaceSelector: {matchLabels: {team: x}}},\n"
	  "           {podSelector: {matchLabels: {app: api}}}]\n", 0,
	  "a/web", "b/db", POLICY_TCP, 5432, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "np namespace by kubernetes.io/metadata.name",
	  NP("b", "p") "spec:\n  podSelector: {}\n  ingress:\n"
	  "  - from: [{namespaceSelector: {matchLabels:\n"
	  "      {kubernetes.io/metadata.name: a}}}]\n", 0,
	  "a/web", "b/db", POLICY_TCP, 5432, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "np ipBlock except excludes",
	  NP("a", "p") "spec:\n  podSelector: {}\n  ingress:\n"
	  "  - from: [{ipBlock: {cidr: 192.168.0.0/16,\n"
	  "      except: [192.168.1.0/24]}}]\n", 0, "192.168.1.5", "a/web",
	  POLICY_TCP, 8080, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "np ipBlock cidr allows",
	  NP("a", "p") "spec:\n  podSelector: {}\n  ingress:\n"
	  "  - from: [{ipBlock: {cidr: 192.168.0.0/16,\n"
	  "      except: [192.168.1.0/24]}}]\n", 0, "192.168.2.5", "a/web",
	  POLICY_TCP, 8080, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "np ipBlock never selects a pod (cilium mode)",
	  NP("a", "p") "spec:\n  podSelector: {matchLabels: {app: api}}\n"
	  "  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]\n", 0,
	  "a/web", "a/api", POLICY_TCP, 9090, DENY, POLICY_R_DEFAULT_DENY,
	  NULL },
	{ "np ipBlock selects a pod IP (k8s mode)",
	  NP("a", "p") "spec:\n  podSelector: {matchLabels: {app: api}}\n"
	  "  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]\n", O_IPPODS,
	  "a/web", "a/api", POLICY_TCP, 9090, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "np named port resolves on the destination pod",
	  NP("a", "p") "spec:\n  podSelector: {}\n"
	  "  ingress: [{ports: [{port: http}]}]\n", 0, "a/web", "a/api",
	  POLICY_TCP, 9090, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "np named port: another pod's number does not match",
	  NP("a", "p") "spec:\n  podSelector: {}\n"
	  "  ingress: [{ports: [{port: http}]}]\n", 0, "a/api", "a/web",
	  POLICY_TCP, 9090, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "np named port needs the protocol too",
	  NP("a", "p") "spec:\n  podSelector: {}\n"
	  "  ingress: [{ports: [{port: dns, protocol: TCP}]}]\n", 0, "a/api",
	  "a/web", POLICY_TCP, 53, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "np endPort range inclusive",
	  NP("a", "p") "spec:\n  podSelector: {}\n"
	  "  ingress: [{ports: [{port: 8000, endPort: 8080}]}]\n", 0,
	  "a/api", "a/web", POLICY_TCP, 8080, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "np endPort: past the end",
	  NP("a", "p") "spec:\n  podSelector: {}\n"
	  "  ingress: [{ports: [{port: 8000, endPort: 8080}]}]\n", 0,
	  "a/api", "a/web", POLICY_TCP, 8081, DENY, POLICY_R_DEFAULT_DENY,
	  NULL },
	{ "np egress rules without policyTypes isolate ingress too",
	  NP("a", "p") "spec:\n  podSelector: {matchLabels: {app: api}}\n"
	  "  egress: [{to: [{podSelector: {}}]}]\n", 0, "a/web", "a/api",
	  POLICY_TCP, 9090, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "np egress: [] without policyTypes does not isolate egress",
	  NP("a", "p") "spec:\n  podSelector: {matchLabels: {app: web}}\n"
	  "  egress: []\n  ingress: [{}]\n", 0, "a/web", "b/db", POLICY_TCP,
	  5432, ALLOW, POLICY_R_NOT_SELECTED, NULL },
	{ "np policyTypes Egress with no rules denies egress",
	  NP("a", "p") "spec:\n  podSelector: {matchLabels: {app: web}}\n"
	  "  policyTypes: [Egress]\n", 0, "a/web", "b/db", POLICY_TCP, 5432,
	  DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "np ingress: [{}] allows external too",
	  NP("a", "p") "spec:\n  podSelector: {}\n  ingress: [{}]\n", 0,
	  "8.8.8.8", "a/web", POLICY_TCP, 8080, ALLOW, POLICY_R_ALLOWED,
	  NULL },
	{ "union of two policies",
	  NP("a", "p1") "spec:\n  podSelector: {}\n"
	  "  ingress: [{ports: [{port: 1}]}]\n"
	  NP("a", "p2") "spec:\n  podSelector: {}\n"
	  "  ingress: [{ports: [{port: 9090}]}]\n", 0, "a/web", "a/api",
	  POLICY_TCP, 9090, ALLOW, POLICY_R_ALLOWED, "p2" },
	{ "label filter: pod-template-hash not in the identity",
	  NP("b", "p") "spec:\n  podSelector:\n"
	  "    matchLabels: {pod-template-hash: abc}\n"
	  "  policyTypes: [Ingress]\n", 0, "a/web", "b/db", POLICY_TCP, 5432,
	  ALLOW, POLICY_R_NOT_SELECTED, NULL },
	{ "label filter off in k8s semantics",
	  NP("b", "p") "spec:\n  podSelector:\n"
	  "    matchLabels: {pod-template-hash: abc}\n"
	  "  policyTypes: [Ingress]\n", O_K8S, "a/web", "b/db", POLICY_TCP,
	  5432, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "cnp fromEndpoints {} is the policy's namespace only",
	  CNP("b", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{fromEndpoints: [{}]}]\n", 0, "a/web", "b/db",
	  POLICY_TCP, 5432, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "ccnp fromEndpoints {} is every namespace",
	  CCNP("c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{fromEndpoints: [{}]}]\n", 0, "a/web", "b/db",
	  POLICY_TCP, 5432, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "cnp namespace by identity label",
	  CNP("b", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{fromEndpoints: [{matchLabels:\n"
	  "      {k8s:io.kubernetes.pod.namespace: a, app: web}}]}]\n", 0,
	  "a/web", "b/db", POLICY_TCP, 5432, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "cnp service account label",
	  CNP("b", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{fromEndpoints: [{matchLabels:\n"
	  "      {io.cilium.k8s.policy.serviceaccount: apisa,\n"
	  "       io.kubernetes.pod.namespace: a}}]}]\n", 0,
	  "a/api", "b/db", POLICY_TCP, 5432, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "cnp ingress: [{}] matches nothing but isolates",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n  ingress: [{}]\n",
	  0, "a/web", "a/api", POLICY_TCP, 9090, DENY,
	  POLICY_R_DEFAULT_DENY, NULL },
	{ "cnp toPorts without protocol is ANY (UDP too)",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{toPorts: [{ports: [{port: \"9090\"}]}]}]\n", 0,
	  "a/web", "a/api", POLICY_UDP, 9090, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "cnp port range",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{toPorts: [{ports: [{port: \"9000\", endPort: 9100,\n"
	  "      protocol: TCP}]}]}]\n", 0, "a/web", "a/api", POLICY_TCP, 9090,
	  ALLOW, POLICY_R_ALLOWED, NULL },
	{ "deny beats allow across kinds",
	  NP("a", "p") "spec:\n  podSelector: {}\n  ingress: [{}]\n"
	  CCNP("d") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingressDeny: [{toPorts: [{ports: [{port: \"9090\"}]}]}]\n", 0,
	  "a/web", "a/api", POLICY_TCP, 9090, DENY, POLICY_R_DENIED,
	  "ingressDeny rule 1" },
	{ "enableDefaultDeny false: allows what it matches, nothing else "
	  "denied",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  enableDefaultDeny: {ingress: false}\n"
	  "  ingress: [{fromEndpoints: [{matchLabels: {app: nope}}]}]\n", 0,
	  "a/web", "a/api", POLICY_TCP, 9090, ALLOW,
	  POLICY_R_NO_DEFAULT_DENY, NULL },
	{ "egress to world entity",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  egress: [{toEntities: [world]}]\n", 0, "a/web", "8.8.8.8",
	  POLICY_TCP, 443, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "world entity is not a pod",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  egress: [{toEntities: [world]}]\n", 0, "a/web", "b/db",
	  POLICY_TCP, 5432, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "cluster entity covers pods",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  egress: [{toEntities: [cluster]}]\n", 0, "a/web", "b/db",
	  POLICY_TCP, 5432, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "cnp toCIDRSet with except",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  egress: [{toCIDRSet: [{cidr: 8.0.0.0/8, except: [8.8.8.0/24]}]}]"
	  "\n", 0, "a/web", "8.8.8.8", POLICY_TCP, 443, DENY,
	  POLICY_R_DEFAULT_DENY, NULL },
	{ "toFQDNs: depends on DNS",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  egress: [{toFQDNs: [{matchName: example.com}]}]\n", 0, "a/web",
	  "93.184.216.34", POLICY_TCP, 443, UNKN, POLICY_R_FQDN, NULL },
	{ "toFQDNs without default-deny: not isolated, allowed",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  enableDefaultDeny: {egress: false}\n"
	  "  egress: [{toFQDNs: [{matchName: example.com}]}]\n", 0, "a/web",
	  "93.184.216.34", POLICY_TCP, 443, ALLOW, POLICY_R_NO_DEFAULT_DENY,
	  NULL },
	{ "cnp empty toPorts list: no L4 restriction",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress: [{fromEndpoints: [{matchLabels: {app: web}}],\n"
	  "    toPorts: []}]\n", 0, "a/web", "a/api", POLICY_TCP, 1234,
	  ALLOW, POLICY_R_ALLOWED, "ingress rule 1" },
	{ "cnp empty icmps list: no L4 restriction",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress: [{fromEndpoints: [{matchLabels: {app: web}}],\n"
	  "    icmps: []}]\n", 0, "a/web", "a/api", POLICY_UDP, 53,
	  ALLOW, POLICY_R_ALLOWED, NULL },
	{ "cnp empty toPorts without peers matches nothing",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress: [{toPorts: []}]\n", 0, "a/web", "a/api", POLICY_TCP,
	  9090, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "L7 rules of one toPorts item do not cover another",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress:\n  - toPorts:\n"
	  "    - ports: [{port: \"80\", protocol: TCP}]\n"
	  "      rules: {http: [{method: GET}]}\n"
	  "    - ports: [{port: \"9090\", protocol: TCP}]\n", 0, "a/web",
	  "a/api", POLICY_TCP, 9090, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "L7 rules apply on their own port",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress:\n  - toPorts:\n"
	  "    - ports: [{port: \"80\", protocol: TCP}]\n"
	  "      rules: {http: [{method: GET}]}\n"
	  "    - ports: [{port: \"9090\", protocol: TCP}]\n", 0, "a/web",
	  "a/api", POLICY_TCP, 80, ALLOW, POLICY_R_ALLOWED_L7, NULL },
	{ "L7 list items that are not maps are shown, not read",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress:\n  - toPorts:\n"
	  "    - ports: [{port: \"80\", protocol: TCP}]\n"
	  "      rules: {http: [null, 5, {method: GET}]}\n", 0, "a/web",
	  "a/api", POLICY_TCP, 80, ALLOW, POLICY_R_ALLOWED_L7, NULL },
	{ "TLS serverNames: allowed at L4, then filtered",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
	  "  egress:\n  - toPorts:\n"
	  "    - ports: [{port: \"443\", protocol: TCP}]\n"
	  "      serverNames: [one.one.one.one]\n", 0, "a/web", "1.1.1.1",
	  POLICY_TCP, 443, ALLOW, POLICY_R_ALLOWED_L7, NULL },
	{ "icmp type by name",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{icmps: [{fields: [{type: EchoRequest}]}]}]\n", 0,
	  "a/web", "a/api", POLICY_ICMP, 0, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "icmp other type name does not allow echo",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{icmps: [{fields: [{family: IPv4,\n"
	  "    type: TimeExceeded}]}]}]\n", 0, "a/web", "a/api", POLICY_ICMP,
	  0, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "fromNodes never selects a pod",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress: [{fromNodes: [{matchLabels: {role: cp}}]}]\n", 0,
	  "a/web", "a/api", POLICY_TCP, 9090, DENY, POLICY_R_DEFAULT_DENY,
	  NULL },
	{ "fromNodes from a node: undecided offline",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress: [{fromNodes: [{matchLabels: {role: cp}}]}]\n", 0,
	  "192.168.0.1", "a/api", POLICY_TCP, 9090, UNKN, POLICY_R_UNDECIDED,
	  "ingress rule 1" },
	{ "toGroups to an outside address: undecided",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
	  "  egress: [{toGroups: [{aws: {securityGroupsIds: [sg-1]}}]}]\n", 0,
	  "a/web", "8.8.8.8", POLICY_TCP, 443, UNKN, POLICY_R_UNDECIDED,
	  NULL },
	{ "toGroups never selects a pod",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
	  "  egress: [{toGroups: [{aws: {securityGroupsIds: [sg-1]}}]}]\n", 0,
	  "a/web", "a/api", POLICY_TCP, 9090, DENY, POLICY_R_DEFAULT_DENY,
	  NULL },
	{ "cidrGroupRef: undecided",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
	  "  egress: [{toCIDRSet: [{cidrGroupRef: office}]}]\n", 0,
	  "a/web", "8.8.8.8", POLICY_TCP, 443, UNKN, POLICY_R_UNDECIDED,
	  NULL },
	{ "undecided deny over an allow: undecided",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
	  "  egress: [{toEntities: [world]}]\n"
	  "  egressDeny: [{toGroups: [{aws: {securityGroupsIds: [sg-1]}}]}]\n",
	  0, "a/web", "8.8.8.8", POLICY_TCP, 443, UNKN, POLICY_R_UNDECIDED,
	  "egressDeny rule 1" },
	{ "undecided deny, nothing allows: default deny stands",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
	  "  egressDeny: [{toGroups: [{aws: {securityGroupsIds: [sg-1]}}]}]\n",
	  0, "a/web", "8.8.8.8", POLICY_TCP, 443, DENY, POLICY_R_DEFAULT_DENY,
	  NULL },
	{ "certain deny beats an undecided one",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
	  "  egressDeny: [{toGroups: [{aws: {securityGroupsIds: [sg-1]}}]},\n"
	  "    {toCIDR: [8.8.8.8/32]}]\n", 0, "a/web", "8.8.8.8", POLICY_TCP,
	  443, DENY, POLICY_R_DENIED, "egressDeny rule 2" },
	{ "kube-apiserver entity to an outside address: undecided",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
	  "  egress: [{toEntities: [kube-apiserver]}]\n", 0, "a/web",
	  "172.16.0.1", POLICY_TCP, 6443, UNKN, POLICY_R_UNDECIDED, NULL },
	{ "kube-apiserver entity is not a pod",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
	  "  egress: [{toEntities: [kube-apiserver]}]\n", 0, "a/web",
	  "a/api", POLICY_TCP, 9090, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "fromRequires of the same item constrains its peers",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress: [{fromEndpoints: [{}],\n"
	  "    fromRequires: [{matchLabels: {tier: front}}]}]\n", 0,
	  "a/bare", "a/api", POLICY_TCP, 9090, DENY, POLICY_R_DEFAULT_DENY,
	  NULL },
	{ "fromRequires held: allowed",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress: [{fromEndpoints: [{}],\n"
	  "    fromRequires: [{matchLabels: {tier: front}}]}]\n", 0,
	  "a/web", "a/api", POLICY_TCP, 9090, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "fromRequires of another rule: undecided (release-dependent)",
	  CNP("a", "r") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress: [{fromRequires: [{matchLabels: {tier: front}}]}]\n"
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress: [{fromEndpoints: [{}]}]\n", 0,
	  "a/bare", "a/api", POLICY_TCP, 9090, UNKN, POLICY_R_UNDECIDED,
	  NULL },
	{ "host policy: a node's ingress is undecided",
	  CCNP("h") "spec:\n  nodeSelector: {}\n"
	  "  ingress: [{fromEntities: [cluster]}]\n", 0, "a/web",
	  "192.168.0.1", POLICY_TCP, 22, UNKN, POLICY_R_UNDECIDED, "h" },
	{ "host policy does not touch pods",
	  CCNP("h") "spec:\n  nodeSelector: {}\n"
	  "  ingress: [{fromEntities: [cluster]}]\n", 0, "a/web",
	  "a/api", POLICY_TCP, 22, ALLOW, -1, NULL },
	{ "dual stack: the pod's IPv6 address is the pod",
	  CNP("c", "v6") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{fromCIDR: [\"::/0\"]}]\n", 0, "a/web", "fd00::21",
	  POLICY_TCP, 80, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "dual stack: outside IPv6 to the pod's IPv6 address",
	  CNP("c", "v6") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{fromCIDR: [\"::/0\"]}]\n", 0, "2001:db8::1",
	  "fd00::21", POLICY_TCP, 80, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "a Node object's address is a node",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress: [{fromEntities: [remote-node]}]\n", 0, "192.168.0.3",
	  "a/api", POLICY_TCP, 9090, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "every hostIPs entry is a node",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: api}}\n"
	  "  ingress: [{fromEntities: [remote-node]}]\n", 0, "fd00::2",
	  "a/api", POLICY_TCP, 9090, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "toFQDNs never selects a pod",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  egress: [{toFQDNs: [{matchName: example.com}]}]\n", 0, "a/web",
	  "b/db", POLICY_TCP, 5432, DENY, POLICY_R_DEFAULT_DENY, NULL },
	{ "toServices with a selector-backed service",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
	  "  egress: [{toServices: [{k8sService: {serviceName: api,\n"
	  "      namespace: a}}]}]\n", 0, "a/web", "a/api", POLICY_TCP, 9090,
	  ALLOW, POLICY_R_ALLOWED, NULL },
	{ "toServices k8sServiceSelector picks services by their labels",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
	  "  egress: [{toServices: [{k8sServiceSelector: {namespace: a,\n"
	  "      selector: {matchLabels: {exposed: \"yes\"}}}}]}]\n", 0,
	  "a/web", "a/api", POLICY_TCP, 9090, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "k8sServiceSelector does not read the service's pod selector",
	  CNP("a", "c") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
	  "  egress: [{toServices: [{k8sServiceSelector: {namespace: a,\n"
	  "      selector: {matchLabels: {app: api}}}}]}]\n", 0,
	  "a/web", "a/api", POLICY_TCP, 9090, DENY, POLICY_R_DEFAULT_DENY,
	  NULL },
	{ "icmp type 8 allowed",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{icmps: [{fields: [{family: IPv4, type: 8}]}]}]\n", 0,
	  "a/web", "a/api", POLICY_ICMP, 0, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "icmp rule does not open TCP",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{icmps: [{fields: [{family: IPv4, type: 8}]}]}]\n", 0,
	  "a/web", "a/api", POLICY_TCP, 9090, DENY, POLICY_R_DEFAULT_DENY,
	  NULL },
	{ "L3-only allow lets ICMP through",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{fromEndpoints: [{matchLabels: {app: web}}]}]\n", 0,
	  "a/web", "a/api", POLICY_ICMP, 0, ALLOW, POLICY_R_ALLOWED, NULL },
	{ "L7 rules: allowed at L4",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{toPorts: [{ports: [{port: \"9090\", protocol: TCP}],\n"
	  "      rules: {http: [{method: GET, path: /}]}}]}]\n", 0, "a/web",
	  "a/api", POLICY_TCP, 9090, ALLOW, POLICY_R_ALLOWED_L7, NULL },
	{ "enforcement always without policies",
	  "", O_ALWAYS, "a/web", "a/api", POLICY_TCP, 9090, DENY,
	  POLICY_R_DEFAULT_DENY, NULL },
	{ "enforcement never ignores deny rules",
	  CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingressDeny: [{fromEntities: [all]}]\n", O_NEVER, "a/web",
	  "a/api", POLICY_TCP, 9090, ALLOW, POLICY_R_ENFORCE_NEVER, NULL },
	{ "cnp cannot select another namespace's pods",
	  CNP("b", "c") "spec:\n  endpointSelector: {matchLabels:\n"
	  "      {io.kubernetes.pod.namespace: a}}\n  ingress: [{}]\n", 0,
	  "a/web", "a/api", POLICY_TCP, 9090, ALLOW, POLICY_R_NOT_SELECTED,
	  NULL },
};

static int
parse_end(struct policy_db *db, const char *s, struct policy_end *e)
{
	char ns[64];
	const char *slash = strchr(s, '/');

	memset(e, 0, sizeof(*e));
	if (slash == NULL) {
		e->pod = -1;
		return policy_parse_ip(s, &e->family, e->ip);
	}
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - s), s);
	e->pod = policy_db_find_pod(db, ns, slash + 1);
	return e->pod >= 0 ? 0 : -1;
}

/* Build a db from the fixture plus extra; returns the add result. */
static int
build(struct policy_db **dbp, const char *extra, unsigned opts, char *eb,
    size_t el)
{
	struct policy_opts po;
	struct json_object **docs;
	char *all;
	int n, i, rc = 0;

	memset(&po, 0, sizeof(po));
	po.k8s_semantics = (opts & O_K8S) != 0;
	po.ipblock = opts & O_IPPODS ? POLICY_IPBLOCK_K8S :
	    POLICY_IPBLOCK_CILIUM;
	po.enforcement = opts & O_ALWAYS ? POLICY_ENFORCE_ALWAYS :
	    opts & O_NEVER ? POLICY_ENFORCE_NEVER : POLICY_ENFORCE_DEFAULT;
	ck_assert_int_eq(policy_db_new(dbp, &po, eb, el), 0);
	ck_assert_int_ge(asprintf(&all, "%s%s", fixture, extra), 0);
	n = kube_yaml_parse(all, strlen(all), "case.yaml", &docs, eb, el);
	free(all);
	ck_assert_msg(n > 0, "%s", eb);
	for (i = 0; i < n && rc >= 0; i++)
		rc = policy_db_add_object(*dbp, docs[i], "case.yaml", eb, el);
	kube_yaml_free_docs(docs, n);
	if (rc >= 0)
		rc = policy_db_finalize(*dbp, eb, el);
	return rc;
}

START_TEST(test_verdicts)
{
	const struct vcase *tc = &vcases[_i];
	struct policy_db *db;
	struct policy_query q;
	struct policy_verdict v;
	const struct policy_dir_result *d;
	char eb[CILKIT_ERRBUF_SIZE] = "", buf[1024] = "";
	int i;

	ck_assert_msg(build(&db, tc->policies, tc->opts, eb, sizeof(eb)) ==
	    0, "%s: %s", tc->what, eb);
	memset(&q, 0, sizeof(q));
	ck_assert_int_eq(parse_end(db, tc->src, &q.src), 0);
	ck_assert_int_eq(parse_end(db, tc->dst, &q.dst), 0);
	q.proto = (enum policy_proto)tc->proto;
	q.port = tc->port;
	q.icmp_type = 8;
	ck_assert_int_eq(policy_evaluate(db, &q, &v, eb, sizeof(eb)), 0);
	ck_assert_msg((int)v.verdict == tc->verdict, "%s: verdict %d, want %d",
	    tc->what, v.verdict, tc->verdict);
	/* the deciding direction: the one that is not a plain default */
	d = v.ingress.reason != POLICY_R_NOT_SELECTED &&
	    v.ingress.reason != POLICY_R_NOT_MANAGED ? &v.ingress : &v.egress;
	if (v.verdict != POLICY_ALLOW)
		d = v.egress.verdict != POLICY_ALLOW ? &v.egress : &v.ingress;
	if (tc->reason >= 0)
		ck_assert_msg((int)d->reason == tc->reason, "%s: reason %d, "
		    "want %d", tc->what, d->reason, tc->reason);
	if (tc->ref != NULL) {
		const struct policy_ref *refs = d->nrefs ? d->refs :
		    d->isolating;
		int n = d->nrefs ? d->nrefs : d->nisolating;
		bool found = false;

		for (i = 0; i < n; i++) {
			policy_ref_format(&refs[i], buf, sizeof(buf));
			found |= strstr(buf, tc->ref) != NULL;
		}
		ck_assert_msg(found, "%s: no ref with \"%s\"", tc->what,
		    tc->ref);
	}
	/* every explanation is a sentence */
	policy_explain_dir(db, &q, POLICY_INGRESS, &v.ingress, buf,
	    sizeof(buf));
	ck_assert_int_gt(strlen(buf), 10);
	policy_db_free(db);
}
END_TEST

struct bad_case {
	const char *policies;
	int err;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ NP("a", "p") "spec:\n  podSelector: {matchExpressions:\n"
	  "    [{key: app, operator: In}]}\n", CILKIT_EINVAL, "needs values" },
	{ NP("a", "p") "spec:\n  podSelector: {matchExpressions:\n"
	  "    [{key: app, operator: Exists, values: [x]}]}\n", CILKIT_EINVAL,
	  "takes no values" },
	{ NP("a", "p") "spec:\n  podSelector: {matchExpressions:\n"
	  "    [{key: app, operator: Gt, values: [\"1\"]}]}\n", CILKIT_EINVAL,
	  "unknown operator" },
	{ NP("a", "p") "spec:\n  podSelector: {}\n  ingress:\n"
	  "  - from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]\n",
	  CILKIT_EINVAL, "cannot be combined" },
	{ NP("a", "p") "spec:\n  podSelector: {}\n  ingress:\n"
	  "  - from: [{ipBlock: {cidr: 10.0.0.0/33}}]\n", CILKIT_EINVAL,
	  "spec.ingress[0].from[0]: bad CIDR" },
	{ NP("a", "p") "spec:\n  podSelector: {}\n  ingress:\n"
	  "  - ports: [{port: 80, endPort: 79}]\n", CILKIT_EINVAL, "endPort" },
	{ NP("a", "p") "spec:\n  podSelector: {}\n  ingress:\n"
	  "  - ports: [{port: http, endPort: 90}]\n", CILKIT_EINVAL, "endPort" },
	{ NP("a", "p") "spec:\n  podSelector: {}\n  ingress:\n"
	  "  - ports: [{port: 70000}]\n", CILKIT_EINVAL, "not a port" },
	{ NP("a", "p") "spec:\n  podSelector: {}\n  ingress:\n"
	  "  - ports: [{protocol: ICMP}]\n", CILKIT_EINVAL, "unknown protocol" },
	{ NP("a", "p") "spec:\n  podSelector: {}\n  ingress:\n"
	  "  - from: [{}]\n", CILKIT_EINVAL, "empty peer" },
	{ NP("a", "p") "spec:\n  podSelector: {}\n  ingress: 5\n",
	  CILKIT_EINVAL, "not a list" },
	{ NP("a", "p") "spec: []\n", CILKIT_EINVAL, "no spec" },
	{ CNP("a", "c") "spec:\n  endpointSelector: {}\n  ingress: []\n",
	  CILKIT_EINVAL, "at least one of" },
	{ CNP("a", "c") "spec:\n  ingress: [{}]\n", CILKIT_EINVAL,
	  "endpointSelector" },
	{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  egress: [{toEntities: [moon]}]\n", CILKIT_EINVAL,
	  "unknown entity" },
	{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{toPorts: [{ports: [{port: \"80\"}]}],\n"
	  "    icmps: [{fields: [{type: 8}]}]}]\n", CILKIT_EINVAL,
	  "toPorts and icmps" },
	{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingressDeny: [{toPorts: [{ports: [{port: \"80\"}],\n"
	  "    rules: {http: [{path: /}]}}]}]\n", CILKIT_EINVAL, "L7 rules" },
	{ NP("a", "p") "spec:\n  podSelector: {}\n  ingress:\n"
	  "  - ports: [{port: 0}]\n", CILKIT_EINVAL, "not a port" },
	{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{fromEndpoints: [{}], fromCIDR: [10.0.0.0/8]}]\n",
	  CILKIT_EINVAL, "combining fromEndpoints and fromCIDR" },
	{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  egress: [{toEntities: [world], toFQDNs: [{matchName: x.io}]}]\n",
	  CILKIT_EINVAL, "combining" },
	{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  egressDeny: [{toFQDNs: [{matchName: x.io}]}]\n",
	  CILKIT_EINVAL, "not allowed in deny" },
	{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  egressDeny: [{toPorts: [{ports: [{port: \"443\"}],\n"
	  "    serverNames: [x.io]}]}]\n", CILKIT_EINVAL, "serverNames" },
	{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{icmps: [{fields: [{type: Pong}]}]}]\n",
	  CILKIT_EINVAL, "type name" },
	{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{icmps: [{fields: [{family: IPv6,\n"
	  "    type: Redirect}]}]}]\n", CILKIT_EINVAL, "ICMPv6 type name" },
	{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{icmps: [{fields: [{type: 300}]}]}]\n",
	  CILKIT_EINVAL, "0-255" },
	{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
	  "  ingress: [{icmps: [{fields: [{family: ipv4, type: 8}]}]}]\n",
	  CILKIT_EINVAL, "not IPv4 or IPv6" },
	{ CCNP("h") "spec:\n  endpointSelector: {}\n  nodeSelector: {}\n"
	  "  ingress: [{}]\n", CILKIT_EINVAL, "cannot be in one rule" },
	{ NP("a", "p") "spec:\n  podSelector: {}\n  policyTypes: [egress]\n",
	  CILKIT_EINVAL, "egress is not Ingress or Egress" },
	{ NP("a", "p") "spec:\n  podSelector: {}\n  policyTypes: [[Egress]]\n",
	  CILKIT_EINVAL, "not Ingress or Egress" },
	{ CNP("a", "c") "metadata: {name: c}\n", CILKIT_EINVAL,
	  "spec or specs" },
	{ "---\nkind: Node\nmetadata: {labels: {a: b}}\n", CILKIT_EINVAL,
	  "Node without metadata.name" },
	{ "---\nkind: NetworkPolicy\nmetadata: {namespace: a}\nspec: {}\n",
	  CILKIT_EINVAL, "without metadata.name" },
};

START_TEST(test_bad_input)
{
	const struct bad_case *tc = &bad_cases[_i];
	struct policy_db *db;
	char eb[CILKIT_ERRBUF_SIZE] = "";
	int rc;

	rc = build(&db, tc->policies, 0, eb, sizeof(eb));
	ck_assert_msg(rc == tc->err, "row %d: rc %d (%s)", _i, rc, eb);
	ck_assert_msg(strstr(eb, tc->msg) != NULL, "row %d: \"%s\" lacks "
	    "\"%s\"", _i, eb, tc->msg);
	ck_assert_ptr_nonnull(strstr(eb, "case.yaml"));
	policy_db_free(db);
}
END_TEST

/* Connection sets, formatted like netpol-analyzer. */
START_TEST(test_connset)
{
	static const struct {
		const char *policies, *src, *dst, *want;
	} rows[] = {
		{ "", "a/web", "a/api", "All Connections" },
		{ NP("a", "p") "spec:\n  podSelector: {}\n  ingress:\n"
		  "  - ports: [{port: 80}, {port: 81}, {port: 82, endPort: 90},\n"
		  "      {port: 53, protocol: UDP}, {port: http}]\n", "a/web",
		  "a/api", "TCP 80-90,9090,UDP 53" },
		{ NP("a", "p") "spec:\n  podSelector: {}\n"
		  "  policyTypes: [Ingress]\n", "a/web", "a/api", "" },
		{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
		  "  ingress: [{}]\n"
		  CNP("a", "d") "spec:\n  endpointSelector: {}\n"
		  "  ingressDeny: [{toPorts: [{ports: [{port: \"100\"}]}]}]\n"
		  "  ingress: [{toPorts: [{ports: [{port: \"99\",\n"
		  "      endPort: 101}]}]}]\n", "a/web", "a/api",
		  "SCTP 99,101,TCP 99,101,UDP 99,101" },
		{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
		  "  ingress: [{fromEndpoints: [{}], toPorts: [{ports:\n"
		  "    [{port: \"80\", protocol: TCP}]}],\n"
		  "    fromRequires: [{matchLabels: {tier: front}}]}]\n",
		  "a/bare", "a/api", "" },
		{ CNP("a", "c") "spec:\n  endpointSelector: {}\n"
		  "  ingress: [{fromEndpoints: [{}], toPorts: [{ports:\n"
		  "    [{port: \"80\", protocol: TCP}]}],\n"
		  "    fromRequires: [{matchLabels: {tier: front}}]}]\n",
		  "a/web", "a/api", "TCP 80" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct policy_db *db;
		struct policy_end s, d;
		char eb[CILKIT_ERRBUF_SIZE] = "", buf[256];

		ck_assert_msg(build(&db, rows[i].policies, 0, eb, sizeof(eb))
		    == 0, "%s", eb);
		ck_assert_int_eq(parse_end(db, rows[i].src, &s), 0);
		ck_assert_int_eq(parse_end(db, rows[i].dst, &d), 0);
		ck_assert_int_eq(policy_connset(db, &s, &d, buf, sizeof(buf)),
		    0);
		ck_assert_str_eq(buf, rows[i].want);
		policy_db_free(db);
	}
}
END_TEST

/* Parsers of addresses and protocols, with bad rows. */
START_TEST(test_parsers)
{
	uint8_t ip[16];
	int fam, len;

	ck_assert_int_eq(policy_parse_ip("10.1.2.3", &fam, ip), 0);
	ck_assert_int_eq(fam, 4);
	ck_assert_int_eq(policy_parse_ip("fd00::1", &fam, ip), 0);
	ck_assert_int_eq(fam, 6);
	ck_assert_int_eq(policy_parse_ip("10.1.2", &fam, ip), -1);
	ck_assert_int_eq(policy_parse_ip("", &fam, ip), -1);
	ck_assert_int_eq(policy_parse_cidr("10.1.2.3/8", &fam, ip, &len), 0);
	ck_assert_int_eq(len, 8);
	ck_assert_int_eq(ip[1], 0);	/* host bits cleared */
	ck_assert_int_eq(policy_parse_cidr("::/0", &fam, ip, &len), 0);
	ck_assert_int_eq(policy_parse_cidr("10.0.0.0/", &fam, ip, &len), -1);
	ck_assert_int_eq(policy_parse_cidr("10.0.0.0/-1", &fam, ip, &len), -1);
	ck_assert_int_eq(policy_parse_cidr("10.0.0.0/8x", &fam, ip, &len),
	    -1);
	ck_assert_int_eq(policy_parse_cidr("fd00::/129", &fam, ip, &len), -1);
	ck_assert_int_eq(policy_parse_cidr("10.0.0.0", &fam, ip, &len), -1);
	ck_assert_int_eq(policy_proto_parse("TCP"), POLICY_TCP);
	ck_assert_int_eq(policy_proto_parse("udp"), POLICY_UDP);
	ck_assert_int_eq(policy_proto_parse("icmp"), POLICY_ICMP);
	ck_assert_int_eq(policy_proto_parse("gre"), -1);
	ck_assert_int_eq(policy_proto_parse(NULL), -1);
}
END_TEST

/* Workloads: templates become pods named like netpol-analyzer does. */
START_TEST(test_workloads)
{
	static const char y[] =
	    "kind: Deployment\nmetadata: {name: d, namespace: n}\n"
	    "spec: {template: {metadata: {labels: {app: d}},\n"
	    "  spec: {containers: [{name: c}]}}}\n---\n"
	    "kind: CronJob\nmetadata: {name: cj}\n"
	    "spec: {jobTemplate: {spec: {template: {spec: {containers: []}}}}}\n"
	    "---\nkind: PodList\nitems:\n"
	    "- metadata: {name: p, namespace: n, ownerReferences:\n"
	    "    [{kind: ReplicaSet, name: rs-1, controller: true}]}\n";
	struct policy_db *db;
	struct json_object **docs;
	struct policy_pod_info pi;
	char eb[CILKIT_ERRBUF_SIZE] = "";
	int n, i;

	ck_assert_int_eq(policy_db_new(&db, NULL, eb, sizeof(eb)), 0);
	n = kube_yaml_parse(y, strlen(y), "w.yaml", &docs, eb, sizeof(eb));
	ck_assert_int_eq(n, 3);
	for (i = 0; i < n; i++)
		ck_assert_int_ge(policy_db_add_object(db, docs[i], "w.yaml", eb,
		    sizeof(eb)), 0);
	kube_yaml_free_docs(docs, n);
	ck_assert_int_eq(policy_db_finalize(db, eb, sizeof(eb)), 0);
	ck_assert_int_eq(policy_db_npods(db), 3);
	policy_db_pod_info(db, 0, &pi);
	ck_assert_str_eq(pi.workload, "n/d[Deployment]");
	policy_db_pod_info(db, 1, &pi);
	ck_assert_str_eq(pi.workload, "default/cj[CronJob]");
	policy_db_pod_info(db, 2, &pi);
	ck_assert_str_eq(pi.workload, "n/rs-1[ReplicaSet]");
	ck_assert_int_eq(policy_db_find_pod(db, "n", "d"), 0);
	ck_assert_int_eq(policy_db_find_pod(db, "n", "nope"), -1);
	policy_db_free(db);
}
END_TEST

/* Input that is read as nothing must say so, never pass silently. */
START_TEST(test_skipped_warns)
{
	static const struct {
		const char *y, *want;
	} rows[] = {
		{ "[{\"endpointSelector\": {}, \"ingress\": [{}]}]",
		  "cilium-dbg policy import format" },
		{ "endpointSelector: {}\ningress: [{}]\n", "without kind" },
		{ "metadata: {name: x}\n", NULL },
		{ "kind: GlobalNetworkPolicy\nmetadata: {name: g}\n",
		  "GlobalNetworkPolicy g is not evaluated" },
		{ "kind: AdminNetworkPolicy\nmetadata: {name: a}\n",
		  "AdminNetworkPolicy a is not evaluated" },
		{ "just a string\n", "not a Kubernetes object" },
		{ "[{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"z\"}}]",
		  NULL },
		{ "kind: ConfigMap\nmetadata: {name: c}\n", NULL },
		{ "kind: NetworkPolicy\nmetadata: {name: t}\nspec:\n"
		  "  podSelector: {}\n  ingress: [{ports: [{port: 80,\n"
		  "    protocol: tcp}]}]\n", "protocol \"tcp\" read as upper" },
		{ "kind: NetworkPolicy\nmetadata: {name: t}\nspec:\n"
		  "  podSelector: {matchLabel: {app: x}}\n",
		  "spec.podSelector: unknown field \"matchLabel\"" },
		{ "kind: NetworkPolicy\nmetadata: {name: t}\nspec:\n"
		  "  podSelector: {}\n  ingress: [{from: [{podSelector: {}}],\n"
		  "    port: [{port: 80}]}]\n",
		  "spec.ingress[0]: unknown field \"port\"" },
		{ "kind: CiliumNetworkPolicy\nmetadata: {name: t}\nspec:\n"
		  "  endpointSelector: {}\n"
		  "  ingress: [{fromEndpoint: [{}]}]\n",
		  "unknown field \"fromEndpoint\"" },
		{ "kind: CiliumNetworkPolicy\nmetadata: {name: t}\nspec:\n"
		  "  endpointSelector: {}\n  ingres: [{}]\n  egress: [{}]\n",
		  "spec: unknown field \"ingres\"" },
		{ "kind: CiliumNetworkPolicy\nmetadata: {name: t}\nspec:\n"
		  "  endpointSelector: {}\n  egress: [{toPorts: [{ports:\n"
		  "    [{port: \"80\", proto: UDP}]}]}]\n",
		  "unknown field \"proto\"" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct policy_db *db;
		struct json_object **docs;
		char eb[CILKIT_ERRBUF_SIZE] = "";
		int n, j;

		ck_assert_int_eq(policy_db_new(&db, NULL, eb, sizeof(eb)), 0);
		n = kube_yaml_parse(rows[i].y, strlen(rows[i].y), "s.yaml",
		    &docs, eb, sizeof(eb));
		ck_assert_msg(n >= 1, "row %zu: %s", i, eb);
		for (j = 0; j < n; j++)
			ck_assert_int_ge(policy_db_add_object(db, docs[j],
			    "s.yaml", eb, sizeof(eb)), 0);
		kube_yaml_free_docs(docs, n);
		if (rows[i].want == NULL) {
			ck_assert_msg(policy_db_nwarnings(db) == 0, "row %zu: "
			    "%s", i, policy_db_warning(db, 0));
		} else {
			ck_assert_msg(policy_db_nwarnings(db) == 1, "row %zu",
			    i);
			ck_assert_msg(strstr(policy_db_warning(db, 0),
			    rows[i].want) != NULL, "row %zu: %s", i,
			    policy_db_warning(db, 0));
			ck_assert_ptr_nonnull(strstr(policy_db_warning(db, 0),
			    "s.yaml"));
		}
		policy_db_free(db);
	}
}
END_TEST

/* Hundreds of policies: the policy array grows while rules point at it. */
START_TEST(test_many_policies)
{
	struct policy_db *db;
	struct policy_query q;
	struct policy_verdict v;
	char eb[CILKIT_ERRBUF_SIZE] = "", *pols = NULL, *tmp;
	size_t len = 0;
	int i;

	for (i = 0; i < 300; i++) {
		ck_assert_int_ge(asprintf(&tmp, "%s" NP("a", "p%d") "spec:\n"
		    "  podSelector: {matchLabels: {app: api}}\n"
		    "  ingress: [{ports: [{port: %d}]}]\n", pols ? pols : "", i,
		    1000 + i), 0);
		free(pols);
		pols = tmp;
	}
	len = strlen(pols);
	ck_assert_int_gt(len, 0);
	ck_assert_msg(build(&db, pols, 0, eb, sizeof(eb)) == 0, "%s", eb);
	free(pols);
	memset(&q, 0, sizeof(q));
	ck_assert_int_eq(parse_end(db, "a/web", &q.src), 0);
	ck_assert_int_eq(parse_end(db, "a/api", &q.dst), 0);
	q.proto = POLICY_TCP;
	q.port = 1250;
	ck_assert_int_eq(policy_evaluate(db, &q, &v, eb, sizeof(eb)), 0);
	ck_assert_int_eq(v.verdict, POLICY_ALLOW);
	ck_assert_int_eq(v.ingress.nrefs, 1);
	ck_assert_str_eq(v.ingress.refs[0].name, "p250");
	ck_assert_int_eq(v.ingress.nisolating, POLICY_MAX_REFS);
	policy_db_free(db);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("engine");

	tcase_add_loop_test(tc, test_verdicts, 0,
	    sizeof(vcases) / sizeof(vcases[0]));
	tcase_add_loop_test(tc, test_bad_input, 0,
	    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_connset);
	tcase_add_test(tc, test_parsers);
	tcase_add_test(tc, test_workloads);
	tcase_add_test(tc, test_skipped_warns);
	tcase_add_test(tc, test_many_policies);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
