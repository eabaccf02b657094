#!/bin/sh
# lab-kubectl: the lab's fidelity test.  The real kubectl (1.32, with its
# own HOME) must work unmodified against the lab's API server: get in
# JSON and table form, Cilium CRDs, paging, selectors, both kinds of
# credentials, 401/403/404, and exec over WebSocket.  Then the lab must
# stop without leaving anything behind.  Skips (77) without root.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/test/lab/testlib.sh"

command -v kubectl >/dev/null 2>&1 || { echo "skipped: no kubectl"; exit 77; }
command -v jq >/dev/null 2>&1 || { echo "skipped: no jq"; exit 77; }
LAB_PAGE_SIZE=3
export LAB_PAGE_SIZE
lab_start kubectl

fails=0
T=$LAB_HOME/t
mkdir -p "$T"
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
# expect NAME FILE REGEX: FILE must match the extended regex
expect() {
	if grep -Eq -- "$3" "$2"; then ok "$1"; else
		fail "$1: no /$3/ in:"; sed 's/^/    /' "$2" | head -20
	fi
}
k() { timeout 60 kubectl "$@"; }

# --- get, JSON ----------------------------------------------------------
k get pods -A -o json >"$T/pods.json" 2>"$T/err" || fail "get pods -A -o json"
n=$(jq '.items | length' "$T/pods.json")
[ "$n" = 8 ] && ok "get pods -A -o json: 8 pods" || fail "pods -A: got $n"
v=$(jq -r '.items[] | select(.metadata.name == "frontend") |
	"\(.metadata.namespace) \(.status.podIP) \(.spec.nodeName) \(.status.phase) \(.metadata.labels.app) \(.metadata.ownerReferences[0].kind)"' \
	"$T/pods.json")
[ "$v" = "demo 10.0.1.10 node1 Running frontend ReplicaSet" ] &&
	ok "frontend's fields" || fail "frontend's fields: $v"
v=$(jq -r '.items[] | select(.metadata.name == "backend") |
	.spec.containers[0].ports[0] | "\(.name) \(.containerPort) \(.protocol)"' \
	"$T/pods.json")
[ "$v" = "http 8080 TCP" ] && ok "named container port" ||
	fail "backend's named port: $v"

# --- get, tables ---------------------------------------------------------
k get pods -n demo >"$T/table" 2>&1 || fail "get pods -n demo"
expect "pods table header" "$T/table" '^NAME +READY +STATUS +RESTARTS +AGE$'
expect "pods table row" "$T/table" '^frontend +1/1 +Running +0 +[0-9]+m$'
[ "$(wc -l <"$T/table")" = 4 ] && ok "pods table: 3 rows" ||
	fail "pods table: $(cat "$T/table")"
k get pods -n demo -o wide >"$T/wide" 2>&1
expect "wide table" "$T/wide" '^backend +1/1 +Running +0 +[0-9]+m +10\.0\.2\.20 +node2 '
k get ciliumnetworkpolicies -n demo >"$T/cnp" 2>&1 || fail "get cnp"
expect "get ciliumnetworkpolicies -n demo" "$T/cnp" '^db-allow-backend +[0-9]+m +True$'
k get cnp -n other -o json >"$T/cnp.json" 2>&1
v=$(jq -r '.items[0].spec.egressDeny[0].toEndpoints[0].matchLabels["k8s:io.kubernetes.pod.namespace"]' "$T/cnp.json")
[ "$v" = demo ] && ok "cnp spec survives" || fail "cnp spec: $v"
k get networkpolicies -A >"$T/np" 2>&1 || fail "get networkpolicies -A"
expect "get networkpolicies -A" "$T/np" '^demo +default-deny-ingress +<none> '
expect "get networkpolicies -A (2)" "$T/np" '^demo +backend-allow-frontend +app=backend '
k get ccnp >"$T/ccnp" 2>&1
expect "get ccnp" "$T/ccnp" '^allow-dns '
k get cep -n demo >"$T/cep" 2>&1
expect "get ciliumendpoints" "$T/cep" '^frontend +[0-9]+ +ready +10\.0\.1\.10 +fd00:10:1::a$'
k get nodes -o wide >"$T/nodes" 2>&1
expect "get nodes" "$T/nodes" '^node1 +Ready .* 192\.168\.50\.11 '
k get svc -n demo backend -o jsonpath='{.spec.clusterIP}' >"$T/svc" 2>&1
expect "get service" "$T/svc" '^10\.96\.0\.20$'
k get endpointslices -n demo -l kubernetes.io/service-name=db -o json >"$T/es" 2>&1
v=$(jq -r '.items[0].endpoints[0].addresses[0]' "$T/es")
[ "$v" = 10.0.2.30 ] && ok "endpointslice by service label" || fail "es: $v"

# --- paging and selectors ----------------------------------------------
before=$(grep -c 'GET /api/v1/pods$' "$LAB_STATE/apiserver.log")
k get pods -A --chunk-size=2 -o name >"$T/paged" 2>&1 || fail "chunked get"
after=$(grep -c 'GET /api/v1/pods$' "$LAB_STATE/apiserver.log")
[ "$(wc -l <"$T/paged")" = 8 ] && ok "--chunk-size=2: all 8 pods" ||
	fail "--chunk-size=2: $(cat "$T/paged")"
[ $((after - before)) = 4 ] && ok "--chunk-size=2: 4 requests" ||
	fail "--chunk-size=2: $((after - before)) requests"
# the server's page size (3) caps kubectl's default limit of 500
before=$after
k get pods -A -o name >"$T/paged" 2>&1
after=$(grep -c 'GET /api/v1/pods$' "$LAB_STATE/apiserver.log")
[ "$(wc -l <"$T/paged")" = 8 ] && [ $((after - before)) = 3 ] &&
	ok "server page size 3: 8 pods in 3 pages" ||
	fail "server page size: $(wc -l <"$T/paged") pods, $((after - before)) pages"
k get pods -A -l app=backend -o name >"$T/sel" 2>&1
[ "$(cat "$T/sel")" = pod/backend ] && ok "-l app=backend" ||
	fail "-l app=backend: $(cat "$T/sel")"
k get pods -A -l 'tier in (web,data)' -o name >"$T/sel" 2>&1
[ "$(tr '\n' ' ' <"$T/sel")" = "pod/db pod/frontend " ] &&
	ok "-l 'tier in (web,data)'" || fail "set selector: $(cat "$T/sel")"
k get pods -A --field-selector spec.nodeName=node1,status.phase=Running \
	-o name >"$T/sel" 2>&1
[ "$(wc -l <"$T/sel")" = 4 ] && ! grep -q backend "$T/sel" &&
	ok "--field-selector spec.nodeName=node1" ||
	fail "field selector: $(cat "$T/sel")"
k get pods -A --field-selector spec.bogus=x >"$T/sel" 2>&1 &&
	fail "bad field selector accepted"
expect "bad field selector" "$T/sel" 'field label not supported: spec.bogus'

# watch: ADDED per object, then the stream stays open until timeoutSeconds
timeout 20 kubectl get --raw \
	'/api/v1/namespaces/demo/pods?watch=true&timeoutSeconds=1' >"$T/watch" 2>&1
rc=$?
v=$(jq -r '"\(.type) \(.object.metadata.name)"' "$T/watch" | tr '\n' ' ')
[ $rc = 0 ] && [ "$v" = "ADDED backend ADDED db ADDED frontend " ] &&
	ok "watch: ADDED events, ends at timeoutSeconds" ||
	fail "watch (rc $rc): $v"
timeout 4 kubectl get pods -n demo -w >"$T/watch" 2>&1
rc=$?
[ $rc = 124 ] && [ "$(wc -l <"$T/watch")" = 4 ] && ok "kubectl get -w" ||
	fail "kubectl get -w (rc $rc): $(cat "$T/watch")"

# --- credentials and errors ------------------------------------------
k --context lab-token get pods -n kube-system -l k8s-app=cilium \
	--field-selector spec.nodeName=node2 -o name >"$T/tok" 2>&1
[ "$(cat "$T/tok")" = pod/cilium-q9m4t ] && ok "bearer token" ||
	fail "bearer token: $(cat "$T/tok")"
k --context lab-viewer get pods -n demo -o name >"$T/view" 2>&1
[ "$(wc -l <"$T/view")" = 3 ] && ok "viewer reads demo" ||
	fail "viewer: $(cat "$T/view")"
k --context lab-viewer get pods -n kube-system >"$T/view" 2>&1 &&
	fail "viewer listed kube-system"
expect "403 on list" "$T/view" 'pods is forbidden: User "lab-viewer" cannot list resource "pods" in API group "" in the namespace "kube-system"'
k --context lab-viewer exec -n demo frontend -- true >"$T/view" 2>&1 &&
	fail "viewer could exec"
expect "403 on exec" "$T/view" 'pods "frontend" is forbidden: User "lab-viewer" cannot (get|create) resource "pods/exec" in API group "" in the namespace "demo"'
sed -e '/^- name: lab-admin$/,/^- name: lab-token$/s/^    client-.*//' \
	-e 's/^    token: .*/    token: not-a-valid-token/' \
	"$KUBECONFIG" >"$T/badkc"
KUBECONFIG=$T/badkc k --context lab-token get pods >"$T/401" 2>&1 &&
	fail "bad token accepted"
expect "401" "$T/401" 'You must be logged in to the server'
k get pod -n demo nosuch >"$T/404" 2>&1 && fail "missing pod found"
expect "404" "$T/404" 'pods "nosuch" not found'

# --- exec over WebSocket -------------------------------------------------
k exec -n demo frontend -- ip -4 addr show dev eth0 >"$T/ex" 2>&1 ||
	fail "exec ip addr"
expect "exec: the pod's own address" "$T/ex" 'inet 10\.0\.1\.10/32 '
printf 'line one\nline two\n' | k exec -i -n other client -- cat >"$T/cat" 2>&1
[ "$(cat "$T/cat")" = "$(printf 'line one\nline two')" ] && ok "exec: stdin" ||
	fail "exec stdin: $(cat "$T/cat")"
k exec -n demo db -- sh -c 'echo out; echo err >&2; exit 3' >"$T/rc.out" 2>"$T/rc.err"
rc=$?
[ $rc = 3 ] && ok "exec: exit code 3 propagates" || fail "exec exit code: $rc"
grep -qx out "$T/rc.out" && grep -qx err "$T/rc.err" &&
	ok "exec: stdout and stderr apart" || fail "exec streams"
k exec -n demo frontend -- no-such-command >"$T/nf" 2>&1 && fail "missing command ran"
expect "exec: missing command" "$T/nf" 'executable file not found in \$PATH'
k exec -n kube-system cilium-x7k2p -c cilium-agent -- ip -br link >"$T/node" 2>&1
expect "exec in the agent: node interfaces" "$T/node" '^cilium_host@cilium_net +UP'
expect "exec in the agent: lxc" "$T/node" '^lxc[0-9a-f]{12}@'
k exec -n demo frontend -c nosuch -- true >"$T/c" 2>&1 && fail "bad container"
expect "exec: unknown container" "$T/c" 'container nosuch is not valid for pod frontend'

# binary-safe and fast both ways (MHD's own TLS pump would take minutes)
head -c 20000000 /dev/urandom >"$T/blob"
want=$(sha256sum <"$T/blob")
got=$(k exec -n demo frontend -- cat "$T/blob" | sha256sum)
[ "$got" = "$want" ] && ok "exec: 20 MB of binary stdout intact" ||
	fail "exec: 20 MB stdout differs"
got=$(k exec -i -n demo frontend -- sha256sum <"$T/blob")
[ "${got%% *}" = "${want%% *}" ] && ok "exec: 20 MB of stdin intact" ||
	fail "exec: 20 MB stdin: $got"
# output streams as it is produced, not at the end
k exec -n demo frontend -- sh -c 'echo first; sleep 3; echo second' 2>&1 |
	while read -r line; do echo "$(date +%s) $line"; done >"$T/stream"
t1=$(awk '$2 == "first" { print $1 }' "$T/stream")
t2=$(awk '$2 == "second" { print $1 }' "$T/stream")
[ -n "$t1" ] && [ -n "$t2" ] && [ $((t2 - t1)) -ge 2 ] &&
	ok "exec: output streams as it comes" ||
	fail "exec streaming: $(cat "$T/stream")"

# the agent pods' stand-ins agree with the lab's pods, devices and rules
k exec -n kube-system cilium-q9m4t -- hubble observe --type drop -o jsonpb \
	--last 100 >"$T/drops" 2>&1 || fail "hubble observe"
v=$(jq -r 'select(.flow.source.pod_name == "crawler") |
	"\(.flow.verdict) \(.flow.drop_reason_desc) \(.flow.destination.pod_name) \(.flow.l4.TCP.destination_port)"' \
	"$T/drops" | sort -u)
[ "$v" = "DROPPED POLICY_DENIED backend 8080" ] &&
	ok "hubble stand-in: crawler -> backend dropped" || fail "hubble drops: $v"
v=$(jq -r 'select(.flow.source.pod_name == "client") |
	"\(.flow.drop_reason_desc) \(.flow.egress_denied_by[0].name)"' \
	"$T/drops" | sort -u)
[ "$v" = "POLICY_DENY client-deny-demo" ] &&
	ok "hubble stand-in: client egress denied by client-deny-demo" ||
	fail "hubble egress deny: $v"
k exec -n kube-system cilium-x7k2p -- cilium-dbg endpoint list -o json \
	>"$T/eps" 2>&1 || fail "cilium-dbg endpoint list"
v=$(jq -r '.[] | select(.status."external-identifiers"."pod-name" == "demo/frontend") |
	"\(.status.networking."interface-name") \(.status.networking."interface-index")"' "$T/eps")
lxc=$(awk '$2 == "frontend" { print $7 }' "$LAB_STATE/pods.tsv")
idx=$(ip -n "$(lab_ns kube-system cilium-x7k2p)" -j link show "$lxc" | jq '.[0].ifindex')
[ "$v" = "$lxc $idx" ] && ok "cilium-dbg stand-in: frontend's real lxc device" ||
	fail "cilium-dbg endpoint: '$v', want '$lxc $idx'"
k exec -n kube-system cilium-q9m4t -- timeout 3 cilium-dbg monitor -t drop \
	>"$T/mon" 2>&1
expect "cilium-dbg monitor stand-in" "$T/mon" '^xx drop \(Policy denied\) flow 0x[0-9a-f]+ to endpoint [0-9]+, ifindex [0-9]+, file bpf_lxc.c:[0-9]+, , identity [0-9]+->[0-9]+: 10\.0\.1\.(40|10):[0-9]+ -> 10\.0\.2\.(20:8080|30:5432) tcp SYN$'

if grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' \
    "$LAB_STATE/apiserver.log"; then
	fail "the API server reported sanitizer errors:"
	grep -E -A20 'AddressSanitizer|runtime error:' "$LAB_STATE/apiserver.log"
fi

# --- stop: nothing left behind ----------------------------------------
servers=$(cat "$LAB_STATE/servers.pids")
[ -n "$servers" ] && ok "servers recorded: $(echo $servers | wc -w)" ||
	fail "no server pids recorded"
lab_stop
alive=""
# (killed servers are reparented to pid 1, which may reap them late:
# a zombie counts as gone)
for p in $servers; do
	st=$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && alive="$alive $p"
done
[ -z "$alive" ] && ok "down: every pod server is gone" ||
	fail "down: servers still running:$alive"
left=$(ip netns list | grep -c "^$LAB_ID-")
[ "$left" = 0 ] && ok "down: no namespaces left" || fail "down: $left namespaces left"
st=$(awk '{ print $3 }' "/proc/$LAB_APISERVER_PID/stat" 2>/dev/null)
if [ -n "$st" ] && [ "$st" != Z ]; then
	fail "down: the API server still runs"
else
	ok "down: the API server is gone"
fi
[ ! -e "$LAB_STATE" ] && ok "down: state removed" || fail "down: $LAB_STATE left"
echo "$fails failures"
[ $fails = 0 ]
