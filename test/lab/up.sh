#!/bin/sh
# up.sh - start the lab: two nodes and their pods in network namespaces,
# the nftables data path, and the fake API server; write the kubeconfig.
# Idempotent: a lab that is already up is left alone.  See README.md.
#
# Environment: LAB_ID, LAB_STATE (see common.sh), BUILD (build tree with
# tools/lab-apiserver, default build), LAB_PAGE_SIZE (the API server
# returns at most this many items per page when a client sends a limit).
set -eu
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
. "$LAB_DIR/common.sh"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$LAB_ROOT/$BUILD ;; esac
SERVER=$BUILD/tools/lab-apiserver
S=$LAB_STATE

if ! why=$(lab_can_run); then
	echo "lab-up: $why" >&2
	exit 77
fi
if [ ! -x "$SERVER" ]; then
	echo "lab-up: $SERVER is missing (make $BUILD/tools/lab-apiserver)" >&2
	exit 2
fi

# Already up and healthy?
if [ -s "$S/ready" ] && [ -s "$S/apiserver.pid" ] &&
    running "$(cat "$S/apiserver.pid")" &&
    [ "$(lab_netns | wc -l)" -eq "$(cat "$S/ready")" ]; then
	echo "lab $LAB_ID is already up: KUBECONFIG=$S/kubeconfig"
	exit 0
fi
# Half up (a crash, an interrupted start): start over.
sh "$LAB_DIR/down.sh" >/dev/null 2>&1 || true

mkdir -p "$S"
chmod 700 "$S"
echo "$LAB_ID" >"$S/lab_id"
trap 'echo "lab-up: failed; cleaning up" >&2; sh "$LAB_DIR/down.sh" >&2' EXIT
now=$(date +%s)
python3 "$LAB_DIR/gen.py" "$LAB_DIR/topology" "$S" "$LAB_ID" "$now"

# --- nodes: namespace, underlay, cilium_host/cilium_net --------------
first=""
while IFS='	' read -r name netns ip4 ip6 cidr4 cidr6 gw4 gw6; do
	ip netns add "$netns"
	ip -n "$netns" link set lo up
	ip netns exec "$netns" sh -c '
		sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
			net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_dad=0'
	ip -n "$netns" link add cilium_host type veth peer name cilium_net
	ip -n "$netns" addr add "$gw4/32" dev cilium_host
	ip -n "$netns" addr add "$gw6/128" dev cilium_host nodad
	ip -n "$netns" link set cilium_net up
	ip -n "$netns" link set cilium_host up
	if [ -z "$first" ]; then
		first=$netns
	else
		# the underlay: eth0 of node1 <-> eth0 of node2, never in
		# the host's namespace
		ip -n "$first" link add eth0 type veth peer name eth0 \
			netns "$netns"
	fi
done <"$S/nodes.tsv"
while IFS='	' read -r name netns ip4 ip6 cidr4 cidr6 gw4 gw6; do
	ip -n "$netns" addr add "$ip4/24" dev eth0
	ip -n "$netns" addr add "$ip6/64" dev eth0 nodad
	ip -n "$netns" link set eth0 up
	# routes to the other nodes' pod CIDRs over the underlay
	while IFS='	' read -r n2 ns2 o4 o6 c4 c6 g4 g6; do
		[ "$n2" = "$name" ] && continue
		ip -n "$netns" route add "$c4" via "$o4" dev eth0
		ip -n "$netns" -6 route add "$c6" via "$o6" dev eth0
	done <"$S/nodes.tsv"
	ip netns exec "$netns" nft -f "$S/lab.nft"
done <"$S/nodes.tsv"

# --- pods: namespace, lxc veth, addresses, routes, servers ------------
: >"$S/servers.pids"
while IFS='	' read -r ns name node ip4 ip6 netns lxc host ports; do
	[ "$host" = 1 ] && continue
	nodens=$LAB_ID-$node
	gw4=$(awk -v n="$node" '$1 == n { print $7 }' "$S/nodes.tsv")
	ip netns add "$netns"
	ip -n "$nodens" link add "$lxc" type veth peer name eth0 netns "$netns"
	ip -n "$nodens" link set "$lxc" up
	ip -n "$nodens" addr add fe80::1/64 dev "$lxc" nodad
	ip -n "$nodens" route add "$ip4/32" dev "$lxc"
	ip -n "$nodens" -6 route add "$ip6/128" dev "$lxc"
	ip -n "$netns" link set lo up
	ip -n "$netns" addr add "$ip4/32" dev eth0
	ip -n "$netns" addr add "$ip6/128" dev eth0 nodad
	ip -n "$netns" link set eth0 up
	ip -n "$netns" route add "$gw4" dev eth0 scope link
	ip -n "$netns" route add default via "$gw4" dev eth0
	ip -n "$netns" -6 route add default via fe80::1 dev eth0
	[ "$ports" = - ] && continue
	for p in $(echo "$ports" | tr , ' '); do
		port=${p#*/}
		case $p in
		tcp/*)
			set -- socat -T 10 \
			    "TCP6-LISTEN:$port,ipv6only=0,reuseaddr,fork" \
			    "EXEC:sh $LAB_DIR/respond.sh $name $port" ;;
		udp/*)
			set -- socat -T 5 "UDP6-RECVFROM:$port,ipv6only=0,reuseaddr,fork" \
			    EXEC:cat ;;
		esac
		ip netns exec "$netns" setsid "$@" </dev/null \
			>>"$S/servers.log" 2>&1 &
		echo $! >>"$S/servers.pids"
	done
done <"$S/pods.tsv"

# --- credentials -------------------------------------------------------
cd "$S"
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
# shellcheck disable=SC2086
openssl req -x509 $ec -keyout ca.key -out ca.crt -days 30 \
	-subj "/CN=cilkit-lab-ca-$LAB_ID" \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
cat >server.ext <<EOF
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc
EOF
cat >client.ext <<EOF
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
EOF
for who in server admin; do
	case $who in
	server) subj="/CN=kube-apiserver"; ext=server.ext ;;
	admin) subj="/O=system:masters/CN=lab-admin"; ext=client.ext ;;
	esac
	# shellcheck disable=SC2086
	openssl req $ec -keyout $who.key -out $who.csr -subj "$subj" 2>/dev/null
	openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key \
		-set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 \
		-extfile $ext -out $who.crt 2>/dev/null
	rm -f $who.csr
done
rm -f server.ext client.ext
umask 077
openssl rand -hex 24 >token-admin
openssl rand -hex 24 >token-viewer
{
	echo "# TOKEN USER GROUPS"
	echo "$(cat token-admin) lab-token-admin system:masters,system:authenticated"
	echo "$(cat token-viewer) lab-viewer ns=demo,ns=other,system:authenticated"
} >tokens
cd - >/dev/null

# --- the API server ----------------------------------------------------
rm -f "$S/port"
set -- --objects "$S/objects.json" --policies "$LAB_DIR/policies" \
	--pods "$S/pods.tsv" --cert "$S/server.crt" --key "$S/server.key" \
	--ca "$S/ca.crt" --tokens "$S/tokens" --port-file "$S/port" \
	--bin-dir "$LAB_DIR/bin" --log "$S/apiserver.log"
[ -n "${LAB_PAGE_SIZE:-}" ] && set -- "$@" --page-size "$LAB_PAGE_SIZE"
setsid "$SERVER" "$@" </dev/null >>"$S/apiserver.log" 2>&1 &
echo $! >"$S/apiserver.pid"
i=0
while [ ! -s "$S/port" ]; do
	if ! running "$(cat "$S/apiserver.pid")" || [ $i -ge 100 ]; then
		echo "lab-up: the API server did not start:" >&2
		tail -5 "$S/apiserver.log" >&2
		exit 1
	fi
	sleep 0.05
	i=$((i + 1))
done
port=$(cat "$S/port")

b64() { base64 -w0 <"$1"; }
cat >"$S/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cilkit-lab
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $(b64 "$S/ca.crt")
users:
- name: lab-admin
  user:
    client-certificate-data: $(b64 "$S/admin.crt")
    client-key-data: $(b64 "$S/admin.key")
- name: lab-token
  user:
    token: $(cat "$S/token-admin")
- name: lab-viewer
  user:
    token: $(cat "$S/token-viewer")
contexts:
- name: lab
  context:
    cluster: cilkit-lab
    user: lab-admin
- name: lab-token
  context:
    cluster: cilkit-lab
    user: lab-token
- name: lab-viewer
  context:
    cluster: cilkit-lab
    user: lab-viewer
current-context: lab
EOF
echo "https://127.0.0.1:$port" >"$S/server"
lab_netns | wc -l >"$S/ready"
trap - EXIT
cat <<EOF
lab $LAB_ID is up: API server https://127.0.0.1:$port, $(cat "$S/ready") network namespaces
  export KUBECONFIG=$S/kubeconfig
  kubectl get pods -A -o wide
  kubectl exec -n demo frontend -- ip -4 addr
contexts: lab (client certificate), lab-token (bearer token),
  lab-viewer (read-only in demo and other; no exec)
stop it with: make lab-down
EOF
