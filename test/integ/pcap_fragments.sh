#!/bin/sh
# IP fragments on a real capture: in the node of cpcap_topo.inc, pod A
# sends UDP datagrams larger than the 1500-byte MTU over IPv4 and IPv6
# and pings with 3000 bytes; tcpdump on lxca records the fragments the
# kernel made.  tshark, with its default IP reassembly, is the oracle:
# per conversation, packets, bytes and fragmented datagrams (a
# datagram counts once, at the frame that completes it).
#
# Then the same capture with fragments cut out (editcap): the datagrams
# that lost one are in no conversation, on both sides, and
# flow-analyzer reports them as incomplete with a diagnosis.  And the
# capture merged with itself (every frame twice, as -i any sees a
# forwarded packet): copies are recognised, not made whole twice.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$ROOT/build/bin}
. "$ROOT/test/integ/cpcap_topo.inc"
cp_require_root pcap_fragments tcpdump jq python3 editcap mergecap
cp_test_begin
cp_tcpdump "$CP_NODE" "$T/frag.pcap" -i lxca -s 0 'ip or ip6'
ip netns exec "$CP_PODB" socat -u UDP-RECV:9999 OPEN:/dev/null &
bg_pids="$bg_pids $!"
ip netns exec "$CP_PODB" socat -u UDP6-RECV:9998 OPEN:/dev/null &
bg_pids="$bg_pids $!"
sleep 0.3
ip netns exec "$CP_PODA" python3 -c '
import socket, sys
a, b, a6, b6 = sys.argv[1:5]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((a, 40000))
for n in (4000, 3000, 1400, 9000):
    s.sendto(b"x" * n, (b, 9999))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.bind((a6, 40001))
for n in (5000, 2000, 100):
    s6.sendto(b"y" * n, (b6, 9998))
' "$CP_IPA" "$CP_IPB" "$CP_IP6A" "$CP_IP6B" || fail "sending datagrams"
ip netns exec "$CP_PODA" ping -c 2 -i 0.2 -s 3000 "$CP_IPB" >/dev/null ||
	fail "ping"
ip netns exec "$CP_PODA" ping -6 -c 2 -i 0.2 -s 3000 "$CP_IP6B" >/dev/null ||
	fail "ping -6"
sleep 0.5
cp_tcpdump_stop "$T/frag.pcap" || exit 1

# "lo hi packets bytes fragmented" per UDP and ICMP echo conversation.
ours() {
	"$BIN/flow-analyzer" -i "$1" -e json >"$T/fa.json" 2>"$T/fa.err"
	[ $? -le 1 ] || { cat "$T/fa.err"; return 1; }
	jq -r '.conversations[] | select(.protocol == "udp" or
	    ((.protocol == "icmp" or .protocol == "icmpv6") and
	     (.client | startswith("10.") or startswith("fd00")))) |
	    [ (if .client_port then "\(.client):\(.client_port)" else .client end),
	      (if .server_port then "\(.server):\(.server_port)" else .server end) ] as $e |
	    "\($e | sort | join(" ")) \(.packets) \(.bytes) \(.fragmented_datagrams)"' \
	    "$T/fa.json" | sort
}
theirs() {
	tshark -r "$1" -Y 'udp or icmp.type == 8 or icmp.type == 0 or
	    icmpv6.type == 128 or icmpv6.type == 129' -T fields \
	    -e ip.src -e ipv6.src -e udp.srcport -e ip.dst -e ipv6.dst \
	    -e udp.dstport -e frame.len -e ip.fragment.count \
	    -e ipv6.fragment.count 2>/dev/null |
	awk -F'\t' '{
		s = $1 $2; d = $4 $5
		if ($3 != "") { s = s ":" $3; d = d ":" $6 }
		k = s < d ? s " " d : d " " s
		n[k]++; b[k] += $7
		if ($8 != "" || $9 != "") f[k]++
	} END { for (k in n) print k, n[k], b[k], f[k] + 0 }' | sort
}
check() { # check NAME CAPTURE
	ours "$2" >"$T/ours" || { fail "$1: flow-analyzer failed"; return; }
	theirs "$2" >"$T/theirs"
	if ! [ -s "$T/ours" ] || ! cmp -s "$T/ours" "$T/theirs"; then
		fail "$1: ours vs tshark (lo hi packets bytes fragmented):"
		diff "$T/ours" "$T/theirs"
	else
		echo "ok   $1: $(wc -l <"$T/ours") conversations agree with tshark"
	fi
}

check whole "$T/frag.pcap"
# As many datagrams made whole as tshark reassembles (13 when nothing is
# lost; on a loaded machine a ping may go unanswered), and at least the
# five UDP ones.
nf=$(tshark -r "$T/frag.pcap" -Y 'ip.fragment.count or ipv6.fragment.count' \
    -T fields -e frame.number 2>/dev/null | wc -l)
jq -e --argjson nf "$nf" '.capture | .fragmented_datagrams == $nf and
    .fragmented_datagrams >= 5 and .fragmented_incomplete == 0' \
    "$T/fa.json" >/dev/null &&
	echo "ok   whole: $nf datagrams made whole, as tshark" ||
	fail "whole: capture fragment counts (tshark: $nf): $(jq -c .capture "$T/fa.json")"
jq -e '[.conversations[] | select(.protocol == "udp") |
    .fragmented_datagrams] | sort == [2, 3]' "$T/fa.json" >/dev/null ||
	fail "whole: want 3 IPv4 and 2 IPv6 fragmented datagrams"
# The first fragment of a UDP datagram is not malformed.
jq -e '.capture.malformed == 0' "$T/fa.json" >/dev/null ||
	fail "whole: malformed packets"

# Cut: a middle IPv4 fragment and a first IPv6 fragment.
mid=$(tshark -r "$T/frag.pcap" -Y 'ip.flags.mf == 1 && ip.frag_offset > 0 &&
    ip.proto == 17' -T fields -e frame.number 2>/dev/null | head -1)
first6=$(tshark -r "$T/frag.pcap" -Y 'ipv6.fraghdr.offset == 0 &&
    ipv6.fraghdr.more == 1 && ipv6.fraghdr.nxt == 17' -T fields \
    -e frame.number 2>/dev/null | head -1)
if [ -n "$mid" ] && [ -n "$first6" ]; then
	editcap "$T/frag.pcap" "$T/cut.pcap" "$mid" "$first6"
	check cut "$T/cut.pcap"
	jq -e '.capture.fragmented_incomplete == 2' "$T/fa.json" >/dev/null ||
		fail "cut: want 2 incomplete datagrams: $(jq -c .capture "$T/fa.json")"
	jq -e '[.diagnosis[].text | select(test("2 IP datagrams never complete.*e.g. udp 10.244.1.10:40000 -> 10.244.1.11:9999"))] | length == 1' \
	    "$T/fa.json" >/dev/null || fail "cut: no diagnosis: $(jq -c .diagnosis "$T/fa.json")"
	"$BIN/flow-analyzer" -i "$T/cut.pcap" >"$T/cut.txt" 2>&1
	grep -q 'never complete' "$T/cut.txt" ||
		fail "cut: the text report has no diagnosis"
else
	fail "cut: no fragments to cut (mid '$mid', first6 '$first6')"
fi

# Snapped: the capture cut to 100 bytes a frame, as a capture of headers
# only (-s 100) keeps it.  Neither tshark nor flow-analyzer can make a
# datagram whole: both read each first fragment as it is, and there is
# no incomplete datagram to blame on the MTU.
editcap -s 100 "$T/frag.pcap" "$T/snap.pcap"
check snap "$T/snap.pcap"
jq -e '.capture | .fragments_cut > 0 and .fragmented_cut >= 5 and
    .fragmented_datagrams == 0 and .fragmented_incomplete == 0' \
    "$T/fa.json" >/dev/null ||
	fail "snap: capture fragment counts: $(jq -c .capture "$T/fa.json")"
jq -e '[.diagnosis[].text | select(test("never complete"))] | length == 0' \
    "$T/fa.json" >/dev/null || fail "snap: diagnoses lost fragments"

# Copies: every frame twice.
mergecap -w "$T/twice.pcap" "$T/frag.pcap" "$T/frag.pcap"
"$BIN/flow-analyzer" -i "$T/frag.pcap" -e json >"$T/once.json" 2>/dev/null
"$BIN/flow-analyzer" -i "$T/twice.pcap" -e json >"$T/twice.json" 2>/dev/null
jq -n --slurpfile a "$T/once.json" --slurpfile b "$T/twice.json" -e '
    $b[0].capture.fragment_copies == $a[0].capture.fragments and
    $b[0].capture.fragmented_datagrams == $a[0].capture.fragmented_datagrams and
    $b[0].capture.fragmented_incomplete == 0' >/dev/null ||
	fail "twice: copies: $(jq -c .capture "$T/twice.json")"
[ $fails -eq 0 ] && echo "ok   twice: copies recognised"
exit $((fails > 0))
