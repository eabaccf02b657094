#!/bin/sh
# The same packet captured on two interfaces: a `-i any` capture in the
# node of cpcap_topo.inc sees every pod A -> pod B packet on lxca (in)
# and lxcb (out).  flow-analyzer must count every frame (its packet
# counts equal tshark's conversation table) but analyse each packet once:
# no retransmissions but the kernels' own resends (a loaded machine can
# drop a packet), one duplicate per forwarded packet; tshark, the
# oracle for the frame counts, flags the copies as retransmissions (the
# documented disagreement).  Over IPv4 and IPv6, in Linux cooked v2
# (the interface index tells a copy from a resend), v1 (its direction
# does: in on lxca, out on lxcb; over IPv4 the IP id also does), and in
# the pcapng file of dumpcap on both veths (the interface of each
# packet, from a file and from a pipe).
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$ROOT/build/bin}
. "$ROOT/test/integ/cpcap_topo.inc"
cp_require_root pcap_duplicates tcpdump dumpcap jq
cp_test_begin

# tcp_resent NS: the segments NS's TCP has resent so far (its own SNMP
# counters).  A loaded machine can drop a packet between the veths: the
# real resends must then be counted, and only they.
tcp_resent() {
	ip netns exec "$1" awk '/^Tcp:/ { if (c == 0) {
	    for (i = 1; i <= NF; i++) if ($i == "RetransSegs") c = i
	    } else print $c }' /proc/net/snmp
}

for run in LINUX_SLL2:4 LINUX_SLL:4 LINUX_SLL2:6 LINUX_SLL:6 PCAPNG:4 \
    PCAPNG:6; do
	dlt=${run%:*} af=${run#*:}
	what="$dlt IPv$af"
	[ "$af" = 4 ] && dst=$CP_IPB || dst="[$CP_IP6B]"
	if [ "$dlt" = PCAPNG ]; then
		what="pcapng of lxca and lxcb, IPv$af"
		cap="$T/two-$af.pcapng"
		cp_dumpcap "$CP_NODE" "$cap" -s 200 -B 16 -f "tcp port 8080" \
		    -i lxca -i lxcb
	else
		cap="$T/$dlt-$af.pcap"
		cp_tcpdump "$CP_NODE" "$cap" -i any -y "$dlt" \
		    --immediate-mode -s 200 -B 16384 "tcp port 8080"
	fi
	ip netns exec "$CP_PODB" socat -u TCP$af-LISTEN:8080,reuseaddr \
	    OPEN:/dev/null &
	srv=$!
	bg_pids="$bg_pids $srv"
	sleep 0.3
	head -c 300000 /dev/urandom >"$T/data"
	resent0=$(($(tcp_resent "$CP_PODA") + $(tcp_resent "$CP_PODB")))
	ip netns exec "$CP_PODA" socat -u "FILE:$T/data" \
	    "TCP$af:$dst:8080" || fail "$what: socat client"
	wait $srv 2>/dev/null
	resent=$(($(tcp_resent "$CP_PODA") + $(tcp_resent "$CP_PODB") -
	    resent0))
	sleep 1
	if [ "$dlt" = PCAPNG ]; then
		why=$(cp_dumpcap_stop "$cap")
	else
		why=$(cp_tcpdump_stop "$cap")
	fi || { fail "$what: $why"; continue; }

	"$BIN/flow-analyzer" -i "$cap" -e json >"$T/fa.json" 2>"$T/fa.err"
	jq -e '.conversations | length == 1' "$T/fa.json" >/dev/null ||
		{ fail "$what: want one conversation"; cat "$T/fa.err"; continue; }
	set -- $(jq -r '.conversations[0] | "\(.packets) \(.duplicates)
	    \(.retransmissions) \(.dup_acks) \(.state)"' "$T/fa.json")
	pk=$1 dup=$2 rt=$3 da=$4 st=$5
	# tshark's frame count for the conversation, and its retransmissions
	tpk=$(tshark -r "$cap" -q -z conv,tcp 2>/dev/null |
	    awk '/<->/ { print $(NF - 4) }')
	trt=$(tshark -r "$cap" -Y tcp.analysis.retransmission 2>/dev/null |
	    wc -l)
	[ "$pk" = "$tpk" ] || fail "$what: $pk frames, tshark $tpk"
	# every frame twice, but for a packet lost between the veths
	once=$((pk - 2 * dup))
	[ "$once" -ge 0 ] && [ "$once" -le "$resent" ] ||
		fail "$what: $dup duplicates in $pk frames (want half)"
	# each resend once (its copy is a duplicate), and dup ACKs only
	# after a loss
	[ "$rt" -eq "$resent" ] &&
	    { [ "$resent" -gt 0 ] || [ "$da" -eq 0 ]; } ||
		fail "$what: $rt retransmissions, $da dup ACKs" \
		    "(the kernels resent $resent)"
	[ "$st" = closed ] || fail "$what: state $st"
	[ "$trt" -gt 0 ] ||
		fail "$what: tshark should flag the copies ($trt)"
	"$BIN/flow-analyzer" -i "$cap" >"$T/fa.txt" 2>/dev/null
	grep -q "duplicates      $dup packets captured again" "$T/fa.txt" ||
		fail "$what: text report does not say so"
	[ "$resent" -eq 0 ] && grep -q 'retransmitted' "$T/fa.txt" &&
		fail "$what: diagnosis speaks of retransmissions"
	if [ "$dlt" = PCAPNG ]; then
		# Merged, no frame is left older than one before it, but for
		# those already so on their own interface (the kernel stamps
		# packets on several CPUs).
		inv=$(tshark -r "$cap" -T fields -e frame.interface_id \
		    -e frame.time_epoch 2>/dev/null | awk '{
			# as strings: one length, nanoseconds past a double
			t = $2 ""
			if (($1 in max) && t < max[$1]) n++
			else max[$1] = t
		    } END { print n + 0 }')
		jq -e --argjson inv "$inv" '.capture.interfaces == 2 and
		    .capture.timestamps_backwards <= $inv' "$T/fa.json" \
		    >/dev/null || fail "$what: not merged into time order" \
		    "($(jq .capture.timestamps_backwards "$T/fa.json") frames" \
		    "back, $inv on their own interface)"
		grep -q ', 2 interfaces merged in time order)' "$T/fa.txt" ||
			fail "$what: the summary does not say it merged them"
		# In the file's order (libpcap), the summary says what is off.
		CILKIT_PCAP_LIBPCAP=1 "$BIN/flow-analyzer" -i "$cap" \
		    >"$T/libpcap.txt" 2>/dev/null
		grep -q '^  out of order    [1-9][0-9]* packets older than' \
		    "$T/libpcap.txt" ||
			fail "$what: read in file order, no 'out of order'"
		cat "$cap" | "$BIN/flow-analyzer" -e json >"$T/pipe.json" \
		    2>"$T/pipe.err"
		[ "$(jq -c .conversations "$T/pipe.json")" = \
		    "$(jq -c .conversations "$T/fa.json")" ] ||
			fail "$what: read from a pipe, the conversations differ"
	fi
	echo "ok $what: $pk frames (tshark $tpk), $dup duplicates," \
	    "$rt retransmissions ($resent resent; tshark flags $trt)"
done
exit $((fails > 0))
