#!/bin/sh
# policy_shapes: policy-tester offline on manifests in the shapes found
# in public policy collections (network-policy recipes, the Cilium
# example policies and docs), written here in our own words: a suite of
# recipe-style checks with stated verdicts, then the shapes the reader
# must not guess on (undecided offline), warn about, or refuse.
set -u
PT="$BIN/policy-tester"
. "$ROOT/test/integ/policy_t.inc"

cat >"$tmp/cluster.yaml" <<'Y'
apiVersion: v1
kind: List
items:
- {kind: Namespace, metadata: {name: shop}}
- {kind: Namespace, metadata: {name: ops, labels: {team: sre}}}
- kind: Node
  metadata: {name: w1}
  status: {addresses: [{type: InternalIP, address: 172.18.0.2},
    {type: InternalIP, address: "fd01::2"}]}
- kind: Node
  metadata: {name: w2}
  status: {addresses: [{type: InternalIP, address: 172.18.0.3},
    {type: InternalIP, address: "fd01::3"}]}
- kind: Pod
  metadata: {name: front, namespace: shop, labels: {app: front}}
  spec: {nodeName: w1, containers: [{name: c}]}
  status: {podIP: 10.1.0.10, podIPs: [{ip: 10.1.0.10}, {ip: "fd10::10"}],
    hostIP: 172.18.0.2}
- kind: Pod
  metadata: {name: cart, namespace: shop, labels: {app: cart}}
  spec: {nodeName: w1, containers: [{name: c, ports:
    [{name: grpc, containerPort: 7070}]}]}
  status: {podIP: 10.1.0.11, podIPs: [{ip: 10.1.0.11}, {ip: "fd10::11"}]}
- kind: Pod
  metadata: {name: probe, namespace: ops, labels: {role: probe}}
  spec: {containers: [{name: c}]}
  status: {podIP: 10.1.1.10}
- kind: Pod
  metadata: {name: other, namespace: ops}
  spec: {containers: [{name: c}]}
  status: {podIP: 10.1.1.11}
- kind: Service
  metadata: {name: cart, namespace: shop}
  spec: {clusterIP: 10.96.7.7, selector: {app: cart},
    ports: [{port: 80, targetPort: grpc}]}
Y

# recipe shapes: AND of namespace and pod selector, allow-all rule,
# DNS-only egress, "cluster only" egress
cat >"$tmp/recipes.yaml" <<'Y'
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: cart-from-sre-probes, namespace: shop}
spec:
  podSelector: {matchLabels: {app: cart}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: sre}}
      podSelector: {matchLabels: {role: probe}}
---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: front-open, namespace: shop}
spec:
  podSelector: {matchLabels: {app: front}}
  ingress: [{}]
---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: probe-dns-and-cluster, namespace: ops}
spec:
  podSelector: {matchLabels: {role: probe}}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
  - to: [{namespaceSelector: {}}]
Y
cat >"$tmp/suite.yaml" <<'Y'
- {name: sre probe to cart, from: ops/probe, to: shop/cart, port: 7070, expect: allow}
- {name: sre probe via service, from: ops/probe, to: shop/svc/cart, port: 80, expect: allow}
- {name: other pod of sre ns, from: ops/other, to: shop/cart, port: 7070, expect: deny}
- {name: probe label in shop, from: shop/front, to: shop/cart, port: 7070, expect: deny}
- {name: outside to front, from: 198.51.100.7, to: shop/front, port: 443, expect: allow}
- {name: udp to front, from: ops/other, to: shop/front, port: 53, protocol: udp, expect: allow}
- {name: probe dns outside, from: ops/probe, to: 9.9.9.9, port: 53, protocol: udp, expect: allow}
- {name: probe web outside, from: ops/probe, to: 9.9.9.9, port: 443, expect: deny}
- {name: probe ping outside, from: ops/probe, to: 9.9.9.9, protocol: icmp, expect: deny}
- {name: probe any pod, from: ops/probe, to: shop/front, port: 8443, expect: allow}
Y
t "recipe suite" 0 "10 passed, 0 failed" -- -m "$tmp/cluster.yaml" \
    -m "$tmp/recipes.yaml" -s "$tmp/suite.yaml"

# Cilium shapes
cat >"$tmp/cilium.yaml" <<'Y'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: front-out, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: front}}
  egress:
  - toEndpoints: [{matchLabels: {app: cart}}]
    toPorts: []
  - toPorts:
    - ports: [{port: "443", protocol: TCP}]
      serverNames: [api.example.com]
    - ports: [{port: "8000", endPort: 8100, protocol: TCP}]
  - icmps: [{fields: [{family: IPv4, type: EchoRequest}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: apiserver-only, namespace: ops}
spec:
  endpointSelector:
    matchExpressions: [{key: role, operator: DoesNotExist}]
  egress: [{toEntities: [kube-apiserver]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cart-in, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: cart}}
  ingress:
  - fromNodes: [{matchLabels: {node-role.kubernetes.io/control-plane: ""}}]
  - fromCIDR: ["::/0"]
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: nodes}
spec:
  nodeSelector: {}
  ingress: [{fromEntities: [cluster]}]
Y
M="-m $tmp/cluster.yaml -m $tmp/cilium.yaml"
t "empty toPorts: every port" 1 \
    "allowed by CiliumNetworkPolicy shop/front-out egress rule 1" -- $M \
    -v -f shop/front -t shop/cart -p 9999
t "port range end" 0 "ALLOWED" -- $M -f shop/front -t 1.2.3.4 -p 8100
t "past the range" 1 "DENIED" -- $M -f shop/front -t 1.2.3.4 -p 8101
t "serverNames: L4 then SNI" 0 "TLS serverNames: api.example.com" -- \
    $M -f shop/front -t 1.2.3.4 -p 443
t "icmp by type name" 0 "ALLOWED" -- $M -f shop/front -t 1.2.3.4 -P icmp
t "kube-apiserver: undecided" 1 "UNDECIDED OFFLINE" -- $M \
    -f ops/other -t 1.2.3.4 -p 6443
t "undecided never passes an expectation" 1 "expected allow: FAIL" -- \
    $M -f ops/other -t 1.2.3.4 -p 6443 -e allow
t "kube-apiserver is no pod" 1 "DENIED" -- $M -f ops/other -t shop/front \
    -p 6443
t "fromNodes from a pod: denied" 1 "DENIED" -- $M -f ops/other \
    -t shop/cart -p 7070
t "from the pod's own node: allowed" 0 "own node is always allowed" -- \
    $M -v -f 172.18.0.2 -t shop/cart -p 7070
t "fromNodes from another node: undecided" 1 "fromNodes of" -- $M \
    -f 172.18.0.3 -t shop/cart -p 7070
t "a node's second address is a node" 1 "fromNodes of" -- $M \
    -f fd01::3 -t shop/cart -p 7070
t "dual stack: IPv6 of the pod is the pod" 1 "DENIED" -- $M \
    -f ops/other -t fd10::11 -p 7070
t "outside IPv6 to the pod's IPv6" 0 "matched policy: cart-in" -- $M \
    -f 2001:db8::1 -t fd10::11 -p 7070
t "host policy: a node's ingress undecided" 1 "host policy" -- $M \
    -f shop/cart -t 172.18.0.2 -p 22
t "host policy warned" 1 "nodeSelector (host) rules are not evaluated" \
    -- $M -f shop/cart -t 172.18.0.2 -p 22

# warned, refused
printf '%s\n' '[{"endpointSelector": {"matchLabels": {"app": "cart"}},' \
    ' "ingress": [{"fromEndpoints": [{}]}]}]' >"$tmp/rules.json"
t "rule array: warned" 0 "cilium-dbg policy import format" -- \
    -m "$tmp/cluster.yaml" -m "$tmp/rules.json" -f ops/other -t shop/cart \
    -p 7070
cat >"$tmp/typo.yaml" <<'Y'
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: typo, namespace: shop}
spec:
  podSelector: {matchLabel: {app: cart}}
---
kind: CiliumNetworkPolicy
apiVersion: cilium.io/v2
metadata: {name: mixed, namespace: shop}
spec:
  endpointSelector: {}
  ingress: [{fromEndpoints: [{}], fromCIDR: [10.0.0.0/8]}]
Y
t "typo: warned" 1 'unknown field "matchLabel"' -- -m "$tmp/cluster.yaml" \
    -m "$tmp/typo.yaml" -f shop/cart -t shop/front -p 80
t "mixed peer kinds: refused" 1 "combining fromEndpoints and fromCIDR" -- \
    -m "$tmp/cluster.yaml" -m "$tmp/typo.yaml" -f shop/cart -t shop/front \
    -p 80
[ "$fails" -eq 0 ] || exit 1
exit 0
