#!/bin/sh
# policy_cli: policy-tester's options, report shape and exit codes
# offline, on the Cilium docs deny matrix pods and policies in
# $SHARED_DATA plus a few manifests written here.
set -u
PT="$BIN/policy-tester"
M="$SHARED_DATA/policy-cases/cilium-docs-deny-matrix"
[ -d "$M" ] || { echo "no shared data"; exit 77; }
. "$ROOT/test/integ/policy_t.inc"
cat >"$tmp/extra.yaml" <<'Y'
kind: Service
metadata: {name: server, namespace: default}
spec: {clusterIP: 10.96.1.1, selector: {app: server},
  ports: [{name: web, port: 8080, targetPort: 80}]}
---
kind: Pod
metadata: {name: v6a, namespace: v6}
status: {podIP: "fd00::1"}
---
kind: Pod
metadata: {name: v6b, namespace: v6}
status: {podIP: "fd00::2"}
---
kind: CiliumNetworkPolicy
metadata: {name: ping6, namespace: v6}
spec:
  endpointSelector: {}
  ingress: [{icmps: [{fields: [{family: IPv6, type: 128}]}]}]
---
kind: Pod
metadata: {name: out, namespace: v6, labels: {role: out}}
status: {podIP: "10.9.0.1"}
---
kind: CiliumNetworkPolicy
metadata: {name: half, namespace: v6}
spec:
  endpointSelector: {matchLabels: {role: out}}
  egress: [{toCIDR: [203.0.113.0/25]}]
Y
A="-m $M/pods.yaml -m $tmp/extra.yaml"
t "--help" 0 "usage: policy-tester" -- --help
t "--version" 0 "policy-tester 0." -- --version
t "no arguments" 2 "usage:" --
t "bad protocol" 2 "--protocol" -- $A -f default/client -t default/server -p 80 -P gre
t "bad port" 2 "--port" -- $A -f default/client -t default/server -p 70000
t "missing manifest" 4 "nope.yaml" -- -m "$tmp/nope.yaml" -f a -t b -p 1
t "unknown pod" 2 "pod default/ghost not found in the manifests" -- \
    $A -f default/ghost -t default/server -p 80
t "no policy: allowed" 0 "[ok] Policy check: ALLOWED (no policy restricts it)" -- \
    $A -f default/client -t default/server -p 80
t "report shape" 0 "Testing connectivity: default/client -> default/server:80" -- \
    $A -f default/client -t default/server -p 80
t "offline skips the probe" 0 "[skip] TCP connection: skipped (offline" -- \
    $A -f default/client -t default/server -p 80
t "deny by policy" 1 "[FAIL] Policy check: DENIED (ingress: denied by CiliumNetworkPolicy default/deny-l4-80 ingressDeny rule 1)" -- \
    $A -m "$M/policies/deny-l4-80.yaml" -f default/client -t default/server -p 80
t "default deny explained" 1 "default/server is isolated for ingress (by CiliumNetworkPolicy default/deny-l4-80) and no rule matches port 81/TCP" -- \
    $A -m "$M/policies/deny-l4-80.yaml" -f default/client -t default/server -p 81
t "--expect deny passes" 0 "(expected deny: PASS)" -- \
    $A -m "$M/policies/deny-l4-80.yaml" -f default/client -t default/server -p 80 --expect deny
t "--expect allow fails" 1 "(expected allow: FAIL)" -- \
    $A -m "$M/policies/deny-l4-80.yaml" -f default/client -t default/server -p 80 --expect allow
t "L7 verdict" 0 "allowed at L4, then subject to L7 rules: http: method=GET path=/" -- \
    $A -m "$M/policies/allow-l7-http-80.yaml" -f default/client -t default/server -p 80
t "service DNS and target port" 1 "[ok] DNS resolution: server.default.svc.cluster.local -> 10.96.1.1" -- \
    $A -m "$M/policies/deny-l4-80.yaml" -f default/client -t default/svc/server -p 8080
t "service port maps to target 80" 1 "no rule matches port 80/TCP" -- \
    $A -m "$M/policies/allow-l4-81.yaml" -f default/client -t default/svc/server -p 8080 -v
t "enforcement never" 0 "policy enforcement is never" -- \
    $A -m "$M/policies/deny-l4-80.yaml" -f default/client -t default/server -p 80 -E never -v
t "enforcement always" 1 "enforcement always" -- \
    $A -f default/client -t default/server -p 80 -E always
t "ICMPv6 echo to an IPv6 pod" 0 "allowed by CiliumNetworkPolicy v6/ping6 ingress rule 1" -- \
    $A -f v6/v6a -t v6/v6b -P icmp -v
t "CIDR cut by the policy" 1 "DENIED to 1 of 2 targets" -- \
    $A -f v6/out -t 203.0.113.0/24 -p 443
t "external source" 0 "203.0.113.9 is not a policy-managed pod" -- \
    $A -f 203.0.113.9 -t default/server -p 80 -v
t "JSON" 1 '"verdict": "deny"' -- \
    $A -m "$M/policies/deny-l4-80.yaml" -f default/client -t default/server -p 80 --json
"$PT" $A -f default/client -t default/server -p 80 --json | python3 -c \
    'import json,sys; d=json.load(sys.stdin); assert d["verdict"] == "allow" and d["pass"]' &&
    echo "ok   JSON parses" || { echo "FAIL JSON parses"; fails=$((fails + 1)); }
cat >"$tmp/suite.yaml" <<'Y'
- {name: "web <ok> & co", from: default/client, to: default/server, port: 81, expect: allow}
- {name: blocked, from: default/client, to: default/server, port: 80, expect: deny}
- {name: wrong, from: default/client, to: default/server, port: 80, expect: allow}
- {from: default/client, to: default/server, protocol: icmp}
Y
t "suite table" 1 "2 passed, 1 failed, 1 without expectation" -- \
    $A -m "$M/policies/deny-l4-80.yaml" -m "$M/policies/allow-l4-81.yaml" \
    --suite "$tmp/suite.yaml" --junit "$tmp/j.xml"
grep -q 'tests="4" failures="1" errors="0" skipped="1"' "$tmp/j.xml" &&
    grep -q 'name="web &lt;ok&gt; &amp; co"' "$tmp/j.xml" &&
    python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$tmp/j.xml" &&
    echo "ok   junit" || { echo "FAIL junit"; cat "$tmp/j.xml"; fails=$((fails + 1)); }
printf -- '- {from: default/client, to: default/server, port: x}\n' >"$tmp/bad.yaml"
t "bad suite" 2 "case 1: port" -- $A --suite "$tmp/bad.yaml"
t "connlist needs manifests" 2 "--connlist needs --manifests" -- --connlist
[ $fails = 0 ]
