#!/bin/sh
# lab-traffic: real packets flow through the lab as its policies say.
# Allowed pairs connect (to pod IPs over IPv4 and IPv6, and to a service
# IP), a dropped pair times out, a rejected pair is refused, cluster DNS
# answers over UDP.  Skips (77) without root.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/test/lab/testlib.sh"
lab_start traffic

fails=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
# socat wants IPv6 addresses in brackets
hp() { case $1 in *:*) echo "[$1]:$2" ;; *) echo "$1:$2" ;; esac; }
in_pod() { ns=$(lab_ns "$1" "$2"); shift 2; ip netns exec "$ns" "$@"; }

# allowed: an answer from the server
for dst in 10.0.2.20 10.96.0.20 fd00:10:2::14; do
	out=$(echo "GET / HTTP/1.0" | in_pod demo frontend timeout 5 \
		socat -T 3 - "TCP:$(hp "$dst" 8080)" 2>&1)
	case $out in
	*"backend 8080"*) ok "frontend -> $dst:8080 connects" ;;
	*) fail "frontend -> $dst:8080: $out" ;;
	esac
done
out=$(echo "GET /" | in_pod demo backend timeout 5 socat -T 3 - \
	TCP:10.0.2.30:5432 2>&1)
case $out in *"db 5432"*) ok "backend -> db:5432 connects" ;;
*) fail "backend -> db:5432: $out" ;; esac

# dropped: no answer at all, the connect times out
start=$(date +%s)
out=$(in_pod other crawler timeout 10 socat -T 2 /dev/null \
	TCP:10.0.2.20:8080,connect-timeout=2 2>&1)
rc=$?
el=$(($(date +%s) - start))
case $rc:$out in
0:*) fail "crawler -> backend:8080 connected" ;;
*"timed out"*) [ $el -ge 1 ] && ok "crawler -> backend:8080 times out (dropped)" ||
	fail "crawler -> backend: too fast for a drop (${el}s)" ;;
*) fail "crawler -> backend:8080: $out" ;;
esac
out=$(in_pod demo frontend timeout 10 socat /dev/null \
	TCP:10.0.2.30:5432,connect-timeout=1 2>&1)
case $out in *"timed out"*) ok "frontend -> db:5432 times out (dropped)" ;;
*) fail "frontend -> db:5432: $out" ;; esac

# rejected: refused at once
for dst in 10.0.2.20 fd00:10:2::14; do
	out=$(in_pod other client timeout 10 socat /dev/null \
		"TCP:$(hp "$dst" 8080),connect-timeout=5" 2>&1)
	case $out in *"Connection refused"*) ok "client -> $dst:8080 refused (rejected)" ;;
	*) fail "client -> $dst:8080: $out" ;; esac
done

# DNS over UDP to the service IP and the pod
for dst in 10.96.0.10 10.0.1.53; do
	out=$(echo ping | in_pod other client timeout 5 socat -T 2 - \
		"UDP:$dst:53" 2>&1)
	[ "$out" = ping ] && ok "client -> $dst:53/udp answers" ||
		fail "client -> $dst:53/udp: $out"
done
out=$(in_pod demo frontend timeout 10 socat /dev/null \
	TCP:10.0.1.53:80,connect-timeout=1 2>&1)
case $out in *"timed out"*) ok "frontend -> coredns:80 dropped" ;;
*) fail "frontend -> coredns:80: $out" ;; esac

# the node sees the pod's lxc device and the traffic on it
lxc=$(awk '$2 == "backend" { print $7 }' "$LAB_STATE/pods.tsv")
n=$(ip netns exec "$(lab_ns kube-system cilium-q9m4t)" \
	cat "/sys/class/net/$lxc/statistics/tx_packets" 2>/dev/null ||
	ip -n "$(lab_ns kube-system cilium-q9m4t)" -s link show "$lxc" |
	awk 'f { print $2; exit } /TX:/ { f = 1 }')
[ "${n:-0}" -gt 0 ] && ok "backend's $lxc on node2 carried packets" ||
	fail "no packets on $lxc"

echo "$fails failures"
[ $fails = 0 ]
