#!/bin/sh
# Oracle test: flow-analyzer's conversations and TCP analysis against
# tshark on every capture in $SHARED_DATA/pcap that tshark can read.
#
# Per capture it compares, conversation by conversation (endpoints, then
# packets, bytes, retransmissions, dup ACKs, zero windows, resets):
#   - TCP: tshark per-frame fields summed by tcp.stream (the
#     tcp.analysis.retransmission flag covers fast and spurious ones,
#     as flow-analyzer's "retransmissions" does), and the frame counts
#     of `tshark -q -z conv,tcp`;
#   - UDP: per-frame fields summed by udp.stream.
# Frames inside ICMP errors are left out on both sides (tshark shows the
# quoted header, flow-analyzer links it to the conversation instead), and
# UDP frames that carry VXLAN/Geneve are left out (flow-analyzer counts
# them under the inner TCP/UDP conversation, tshark under both).
#
# Known disagreements are listed in KNOWN below with the reason; any
# other difference fails the test.  All captures together take ~10 s.
set -u
: "${BIN:?}" "${SHARED_DATA:?}"
command -v tshark >/dev/null 2>&1 || { echo "tshark not installed"; exit 77; }
FA="$BIN/flow-analyzer"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# capture (relative to $SHARED_DATA/pcap) : reason
KNOWN='
'

# Also a capture made by test/tools/gen-pcap (every kind of problem it
# makes, 300 interleaved connections): tshark must read it without
# complaint and agree.
gen=""
if [ -x "${TOOLS:-}/gen-pcap" ]; then
	"$TOOLS/gen-pcap" -n 20000 -c 300 -p 40 -s 7 -o "$tmp/gen.pcap" 2>/dev/null &&
		gen="gen-pcap"
fi

# And a pcapng of three link types (Ethernet, Linux cooked v1 and v2)
# as dumpcap or mergecap write them, which libpcap refuses to read: the
# reader goes on with its own pcapng reader (lib/cpcap_pcapng.c).
mixed=""
if command -v mergecap >/dev/null 2>&1 && mergecap -F pcapng \
    -w "$tmp/mixed.pcapng" "$SHARED_DATA/pcap/zeek/retransmit-fast009.pcap" \
    "$SHARED_DATA/pcap/tcpdump/tcp-handshake-nano.pcap" \
    "$SHARED_DATA/pcap/other/simple_http_sll2.pcap" \
    "$SHARED_DATA/pcap/zeek/wikipedia.pcap" 2>/dev/null; then
	mixed="mixed-link"
else
	echo "FAIL: mergecap could not make the capture of three link types"
	fail=1
fi

fail=${fail:-0} files=0 convs=0 agree=0
for f in $(cd "$SHARED_DATA/pcap" && ls */*.pcap */*.pcapng */*.pcap.gz) $gen $mixed; do
	src="$SHARED_DATA/pcap/$f"
	case $f in
	*.gz) zcat "$src" >"$tmp/cap" || continue; cap="$tmp/cap" ;;
	gen-pcap)
		cap="$tmp/gen.pcap"
		if tshark -r "$cap" >/dev/null 2>"$tmp/terr" && [ -s "$tmp/terr" ] &&
		    grep -v '^Running as user' "$tmp/terr" | grep -q .; then
			echo "FAIL gen-pcap: tshark complains: $(cat "$tmp/terr")"
			fail=1
		fi ;;
	mixed-link)
		cap="$tmp/mixed.pcapng"
		# Every link type named, and a pipe read as the file is.
		"$FA" -i "$cap" -e json 2>/dev/null |
		    jq -e '.capture.link_types == ["EN10MB", "LINUX_SLL",
		    "LINUX_SLL2"] and .capture.read_error == null' >/dev/null ||
		    { echo "FAIL mixed-link: link types or read error"; fail=1; }
		"$FA" -i "$cap" -e csv >"$tmp/file.csv" 2>/dev/null
		cat "$cap" | "$FA" -e csv >"$tmp/pipe.csv" 2>/dev/null
		cmp -s "$tmp/file.csv" "$tmp/pipe.csv" ||
		    { echo "FAIL mixed-link: read from a pipe differs"; fail=1; } ;;
	*) cap="$src" ;;
	esac
	# Only captures tshark can read.
	tshark -r "$cap" -c 1 >/dev/null 2>&1 || { echo "skip $f: tshark cannot read it"; continue; }
	files=$((files + 1))
	"$FA" -i "$cap" -e csv >"$tmp/ours.csv" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
		echo "FAIL $f: flow-analyzer exit $rc: $(cat "$tmp/err")"
		fail=1
		continue
	fi
	# ours: proto "lo-endpoint hi-endpoint" packets bytes rt dupack zw rst
	awk -F, 'NR > 1 && ($2 == "tcp" || ($2 == "udp" && $27 == "")) {
		a = $3 " " $4; b = $5 " " $6
		if (a > b) { t = a; a = b; b = t }
		print $2, a, b, $8, $9, $18, $21, $22, $23, $25, $26
	}' "$tmp/ours.csv" | sort >"$tmp/ours"

	tshark -r "$cap" -d udp.port==8472,vxlan -Y 'tcp && !icmp && !icmpv6' \
	    -T fields -E occurrence=l -e tcp.stream -e ip.src -e ipv6.src \
	    -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport -e frame.len \
	    -e tcp.analysis.retransmission -e tcp.analysis.duplicate_ack_num \
	    -e tcp.analysis.zero_window -e tcp.flags.reset \
	    -e tcp.analysis.out_of_order -e tcp.analysis.lost_segment 2>/dev/null |
	awk -F'\t' '{
		s = $1
		if (!(s in a)) {
			x = ($2 != "" ? $2 : $3) " " $4; y = ($5 != "" ? $5 : $6) " " $7
			if (x > y) { t = x; x = y; y = t }
			a[s] = x " " y
		}
		p[s]++; b[s] += $8
		if ($9 != "") r[s]++
		if ($10 != "") d[s]++
		if ($11 != "") z[s]++
		if ($12 == "1" || $12 == "True") k[s]++
		if ($13 != "") o[s]++
		if ($14 != "") l[s]++
	} END { for (s in a) print "tcp", a[s], p[s], b[s], r[s] + 0, d[s] + 0, z[s] + 0, k[s] + 0, o[s] + 0, l[s] + 0 }' >"$tmp/theirs"
	tshark -r "$cap" -d udp.port==8472,vxlan \
	    -Y 'udp && !icmp && !icmpv6 && !vxlan && !geneve' \
	    -T fields -E occurrence=l -e udp.stream -e ip.src -e ipv6.src \
	    -e udp.srcport -e ip.dst -e ipv6.dst -e udp.dstport -e frame.len 2>/dev/null |
	awk -F'\t' '{
		s = $1
		if (!(s in a)) {
			x = ($2 != "" ? $2 : $3) " " $4; y = ($5 != "" ? $5 : $6) " " $7
			if (x > y) { t = x; x = y; y = t }
			a[s] = x " " y
		}
		p[s]++; b[s] += $8
	} END { for (s in a) print "udp", a[s], p[s], b[s], 0, 0, 0, 0, 0, 0 }' >>"$tmp/theirs"
	sort -o "$tmp/theirs" "$tmp/theirs"

	# conv,tcp: conversation count and per-conversation frames.
	tshark -r "$cap" -d udp.port==8472,vxlan -q -z conv,tcp 2>/dev/null |
	awk '$2 == "<->" { print $1, $3, $10 }' | sort >"$tmp/conv"
	ntc=$(wc -l <"$tmp/conv")
	nours=$(grep -c '^tcp ' "$tmp/ours")
	n=$(wc -l <"$tmp/theirs")
	convs=$((convs + n))
	if diff "$tmp/ours" "$tmp/theirs" >"$tmp/diff" && [ "$ntc" -eq "$nours" ]; then
		agree=$((agree + n))
		echo "ok   $f: $n conversations agree (conv,tcp: $ntc)"
	elif echo "$KNOWN" | grep -q "^$f:"; then
		echo "known $f: $(echo "$KNOWN" | grep "^$f:" | cut -d: -f2-)"
		sed 's/^/    /' "$tmp/diff"
	else
		echo "FAIL $f: ours vs tshark (proto lo hi packets bytes retrans dupack zerowin rst ooo lost); conv,tcp $ntc vs ours $nours"
		sed 's/^/    /' "$tmp/diff" | head -20
		fail=1
	fi
done
echo "$agree of $convs conversations in $files captures agree with tshark"
exit $fail
