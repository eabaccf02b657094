#!/bin/sh
# ICMP errors from real kernels, linked to the conversations they quote:
# in the node of cpcap_topo.inc, pod A talks to pod B over IPv4 and IPv6
# while
#   - the node rejects TCP port 7100 with ICMP host unreachable (IPv4)
#     and administratively prohibited (IPv6): the connection's state is
#     "unreachable";
#   - pod B has nothing on UDP port 7200: its kernel answers port
#     unreachable, linked to the UDP conversation;
#   - the node's link to pod B has an MTU of 1400: a bulk transfer from
#     pod A gets "fragmentation needed" / "packet too big" with MTU 1400
#     (path MTU discovery at work), linked to the TCP conversation;
#   - pod A pings with a TTL of 1: the node answers time exceeded,
#     linked to the echo.
# tcpdump on lxca records it; tshark says how many ICMP errors quote
# each kind of packet, and every one of them must be linked.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$ROOT/build/bin}
FA="$BIN/flow-analyzer"
. "$ROOT/test/integ/cpcap_topo.inc"
cp_require_root pcap_icmp tcpdump nft jq python3
cp_test_begin

ip netns exec "$CP_NODE" nft -f - <<'NFT' || { fail "nftables rules"; exit 1; }
table inet icmptest {
	chain reject7100 {
		type filter hook forward priority 0;
		meta nfproto ipv4 tcp dport 7100 reject with icmp type host-unreachable
		meta nfproto ipv6 tcp dport 7100 reject with icmpv6 type admin-prohibited
	}
}
NFT
ip -n "$CP_NODE" link set lxcb mtu 1400
ip netns exec "$CP_PODB" socat -u TCP4-LISTEN:7300,reuseaddr OPEN:/dev/null &
bg_pids="$bg_pids $!"
ip netns exec "$CP_PODB" socat -u TCP6-LISTEN:7301,reuseaddr OPEN:/dev/null &
bg_pids="$bg_pids $!"
sleep 0.3

cp_tcpdump "$CP_NODE" "$T/icmp.pcap" -i lxca -s 256 -B 16384 'tcp or udp or icmp or icmp6'
ip netns exec "$CP_PODA" python3 - "$CP_IPB" "$CP_IP6B" <<'PY' ||
import socket, sys
v4, v6 = sys.argv[1], sys.argv[2]
bad = []
for fam, host in ((socket.AF_INET, v4), (socket.AF_INET6, v6)):
    # rejected by the node
    try:
        socket.create_connection((host, 7100), timeout=3)
        bad.append('7100 answered')
    except OSError:
        pass
    # nothing listening on UDP 7200
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.connect((host, 7200))
    u.send(b'hello')
    u.settimeout(2)
    try:
        u.recv(100)
        bad.append('7200 answered')
    except ConnectionRefusedError:
        pass
    except OSError as e:
        bad.append('7200: %s' % e)
    # a bulk transfer through the 1400-byte link
    port = 7300 if fam == socket.AF_INET else 7301
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b'z' * 200000)
    s.close()
for b in bad:
    print('client:', b)
sys.exit(1 if bad else 0)
PY
	fail "the traffic did not run as planned"
ip netns exec "$CP_PODA" ping -c 1 -t 1 -W 1 "$CP_IPB" >/dev/null 2>&1
ip netns exec "$CP_PODA" ping -6 -c 1 -t 1 -W 1 "$CP_IP6B" >/dev/null 2>&1
sleep 0.5
cp_tcpdump_stop "$T/icmp.pcap" || fail "capture"

"$FA" -i "$T/icmp.pcap" -e json >"$T/fa.json" 2>"$T/fa.err"
[ $? -le 1 ] || { fail "flow-analyzer: $(cat "$T/fa.err")"; exit 1; }

# expect NAME JQ-CONDITION: one conversation matches.
expect() {
	if jq -e --arg b "$CP_IPB" --arg b6 "$CP_IP6B" \
	    "[.conversations[] | select($2)] | length == 1" "$T/fa.json" \
	    >/dev/null; then
		echo "ok   $1"
	else
		fail "$1"
		jq -c --arg b "$CP_IPB" --arg b6 "$CP_IP6B" '.conversations[] |
		    select(.server == $b or .server == $b6) |
		    {protocol, server, server_port, state, icmp_error}' \
		    "$T/fa.json" | sed 's/^/    /'
	fi
}
expect "IPv4 SYN rejected: unreachable, host unreachable" \
    '.server == $b and .server_port == 7100 and .state == "unreachable" and
     .icmp_error.type == 3 and .icmp_error.code == 1'
expect "IPv6 SYN rejected: unreachable, administratively prohibited" \
    '.server == $b6 and .server_port == 7100 and .state == "unreachable" and
     .icmp_error.type == 1 and .icmp_error.code == 1'
expect "IPv4 UDP to a closed port: port unreachable from pod B" \
    '.protocol == "udp" and .server == $b and .server_port == 7200 and
     .icmp_error.type == 3 and .icmp_error.code == 3 and
     .icmp_error.from == $b'
expect "IPv6 UDP to a closed port: port unreachable from pod B" \
    '.protocol == "udp" and .server == $b6 and .server_port == 7200 and
     .icmp_error.type == 1 and .icmp_error.code == 4 and
     .icmp_error.from == $b6'
expect "IPv4 bulk transfer: fragmentation needed, MTU 1400" \
    '.server == $b and .server_port == 7300 and .icmp_error.type == 3 and
     .icmp_error.code == 4 and .icmp_error.mtu == 1400'
expect "IPv6 bulk transfer: packet too big, MTU 1400" \
    '.server == $b6 and .server_port == 7301 and .icmp_error.type == 2 and
     .icmp_error.mtu == 1400'
expect "IPv4 ping with TTL 1: time exceeded" \
    '.protocol == "icmp" and .server == $b and .icmp_error.type == 11'
expect "IPv6 ping with hop limit 1: time exceeded" \
    '.protocol == "icmpv6" and .server == $b6 and .icmp_error.type == 3'

# Every ICMP error tshark sees quotes a packet of a conversation in the
# capture: all linked, none orphaned.
nerr=$(tshark -r "$T/icmp.pcap" -Y '(icmp.type == 3 || icmp.type == 11 ||
    icmpv6.type == 1 || icmpv6.type == 2 || icmpv6.type == 3)' 2>/dev/null |
    wc -l)
jq -e --argjson n "$nerr" '.totals.icmp_errors == $n and
    .totals.icmp_errors_linked == $n' "$T/fa.json" >/dev/null &&
	echo "ok   $nerr ICMP errors (tshark), all linked" ||
	fail "ICMP errors: tshark $nerr, ours $(jq -c '.totals |
	    {icmp_errors, icmp_errors_linked}' "$T/fa.json")"
jq -e '[.diagnosis[].text | select(test("MTU|mtu"))] | length >= 1' \
    "$T/fa.json" >/dev/null || fail "no diagnosis speaks of the MTU"
exit $((fails > 0))
