#!/bin/sh
# Real TCP in trouble, against tshark: in the node of cpcap_topo.inc,
# nftables drops 4% of the TCP segments between pod A and pod B at
# random, both ways, and Linux's TCP on each side answers as it does on
# a real network: RTO and fast retransmissions, SACK and D-SACK
# duplicate ACKs, lost segments.  test/integ/tcp_trouble.py makes the
# traffic, over IPv4 and IPv6 at the same time: bulk transfers both ways
# (pod A sends GSO super-packets, pod B segments of one MSS: its
# gso_max_size is cut), a slow reader with a 4 KiB receive buffer (zero
# windows, window updates), a client that aborts with a reset, one that
# connects to a closed port, one whose SYNs are all dropped, one that
# idles with keep-alives.  tcpdump on lxca records it.
#
# Then the same traffic through a VXLAN tunnel between the pods (UDP
# 8472, Cilium's default), whose packets the node drops at random too,
# captured on lxca as Cilium's tunnel device would show it: the
# conversations must be the ones inside, with their tunnel and VNI.
#
# tshark is the oracle (pcap_compare.inc): every conversation's
# packets, bytes, retransmissions (fast and spurious ones too),
# duplicate ACKs, zero windows, resets, out-of-order and lost segments
# must agree.  The losses are random, so each run is another capture; a
# failing one is kept in $BUILD/test-logs to reproduce it.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$ROOT/build/bin}
FA="$BIN/flow-analyzer"
TT="$ROOT/test/integ/tcp_trouble.py"
. "$ROOT/test/integ/cpcap_topo.inc"
. "$ROOT/test/integ/pcap_compare.inc"
cp_require_root pcap_lossy tcpdump nft jq python3
cp_test_begin
tmp=$T
keep="$ROOT/${BUILD:-build}/test-logs"

ip netns exec "$CP_NODE" nft -f - <<'NFT' || { fail "nftables rules"; exit 1; }
table inet lossy {
	chain dropsome {
		type filter hook forward priority 0;
		tcp dport 7009 drop
		tcp dport 7000-7004 numgen random mod 100 < 4 drop
		tcp sport 7000-7004 numgen random mod 100 < 4 drop
		udp dport 8472 numgen random mod 100 < 4 drop
	}
}
NFT
ip -n "$CP_PODB" link set eth0 gso_max_size 1500

ip netns exec "$CP_PODB" python3 "$TT" serve >"$T/srv.out" 2>&1 &
bg_pids="$bg_pids $!"
cp_wait_for "$T/srv.out" listening || { fail "the server did not start"; exit 1; }

# capture NAME FILTER V4 V6 [basic]: run the traffic against V4 and V6
# with tcpdump on lxca, into $T/NAME.pcap.
# A snapshot of 256 bytes keeps every header whole, tunnel and SACK
# blocks included: tshark does no sequence analysis of a TCP header cut
# inside its options, flow-analyzer does it from the fixed part (a
# documented difference, flow-analyzer(1)).
capture() {
	cp_tcpdump "$CP_NODE" "$T/$1.pcap" -i lxca -s 256 -B 32768 "$2"
	ip netns exec "$CP_PODA" python3 "$TT" run "$3" "$4" ${5:-} ||
		fail "$1: the traffic did not run as planned"
	sleep 0.5
	cp_tcpdump_stop "$T/$1.pcap" || fail "$1: capture"
}

# check NAME MINRST: tshark and flow-analyzer agree on $T/NAME.pcap, and
# the capture has what it was made for, on both sides (so that agreeing
# means something); flow-analyzer's JSON report into $T/NAME.json.
check() {
	pc_compare "$T/$1.pcap"
	case $? in
	0)	echo "ok $1: $pc_n conversations agree with tshark (conv,tcp: $pc_ntc)" ;;
	1)	fail "$1: ours vs tshark ($PC_COLUMNS); conv,tcp $pc_ntc vs ours $pc_nours"
		sed 's/^/    /' "$tmp/diff" | head -20 ;;
	*)	fail "$1: flow-analyzer failed: $(cat "$tmp/err")" ;;
	esac
	awk '$1 == "tcp" { r += $8; d += $9; z += $10; k += $11; f += $14 }
	    END { print r + 0, d + 0, z + 0, k + 0, f + 0 }' "$tmp/theirs" \
	    >"$T/sums"
	read -r rt da zw rst fr <"$T/sums"
	echo "$1: tshark sees $rt retransmissions ($fr fast), $da duplicate ACKs, $zw zero windows, $rst resets"
	[ "$rt" -gt 0 ] || fail "$1: no retransmission in the capture"
	[ "$fr" -gt 0 ] || fail "$1: no fast retransmission in the capture"
	[ "$da" -gt 0 ] || fail "$1: no duplicate ACK in the capture"
	[ "$zw" -gt 0 ] || fail "$1: no zero window in the capture"
	[ "$rst" -ge "$2" ] || fail "$1: fewer than $2 resets in the capture"
	"$FA" -i "$T/$1.pcap" -e json >"$T/$1.json" 2>/dev/null
	jq -e '[.conversations[] | select(.state == "reset" and
	    .reset_by == "client")] | length >= 1' "$T/$1.json" >/dev/null ||
		fail "$1: no connection reset by its client"
	jq -e '[.conversations[] | select(.keep_alives > 0)] | length >= 1' \
	    "$T/$1.json" >/dev/null || fail "$1: no keep-alive seen"
}

capture pods tcp "$CP_IPB" "$CP_IP6B"
check pods 2
jq -e --arg a "$CP_IPA" --arg b "$CP_IPB" '
    [.conversations[] | select(.server_port == 7005 and .client == $a and
	.server == $b and .state == "refused")] | length == 1' \
    "$T/pods.json" >/dev/null || fail "pods: the closed port is not refused"
jq -e --arg a6 "$CP_IP6A" --arg b6 "$CP_IP6B" '
    [.conversations[] | select(.server_port == 7009 and .client == $a6 and
	.server == $b6 and .state == "syn-sent" and .syn_count >= 2)] |
    length == 1' "$T/pods.json" >/dev/null ||
    fail "pods: the dropped SYNs are not an unanswered connection"
jq -e '.diagnosis | map(.text) | any(test("7009: SYN sent .*, no SYN-ACK"))' \
    "$T/pods.json" >/dev/null || fail "pods: no diagnosis of the unanswered SYNs"

# The tunnel: VNI 42 between the pods' addresses, 10.77.0.0/24 and
# fd77::/64 inside.
for p in "$CP_PODA:$CP_IPA:$CP_IPB:1" "$CP_PODB:$CP_IPB:$CP_IPA:2"; do
	IFS=: read -r ns local remote n <<EOT
$p
EOT
	# MTU as Cilium sets it: the pods' 1500 less the 50 of VXLAN.
	ip -n "$ns" link add vxl mtu 1450 type vxlan id 42 dstport 8472 \
	    local "$local" remote "$remote" &&
	    ip -n "$ns" addr add "10.77.0.$n/24" dev vxl &&
	    ip -n "$ns" addr add "fd77::$n/64" dev vxl nodad &&
	    ip -n "$ns" link set vxl up || { fail "cannot make the VXLAN device"; break; }
done
i=0
while ! ip netns exec "$CP_PODA" ping -c1 -W1 10.77.0.2 >/dev/null 2>&1 ||
    ! ip netns exec "$CP_PODA" ping -6 -c1 -W1 fd77::2 >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 20 ] && { fail "no way through the tunnel"; break; }
	sleep 0.2
done
capture vxlan "udp port 8472" 10.77.0.2 fd77::2 basic
check vxlan 1
jq -e '[.conversations[] | select(.protocol == "tcp")] |
    length >= 14 and all(.tunnel.type == "vxlan" and .tunnel.vni == 42 and
    (.client | test("^(10\\.77\\.0\\.1|fd77::1)$")))' \
    "$T/vxlan.json" >/dev/null ||
	fail "vxlan: conversations not the pods' inside the tunnel"

if [ "$fails" -gt 0 ]; then
	mkdir -p "$keep" && cp "$T/pods.pcap" "$T/vxlan.pcap" "$keep/" &&
		echo "the captures are kept in $keep (pods.pcap, vxlan.pcap)"
	exit 1
fi
echo "pcap_lossy: ok"
