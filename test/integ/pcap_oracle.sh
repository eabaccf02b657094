#!/bin/sh
# Oracle test: flow-analyzer's conversations and TCP analysis against
# tshark on every capture in $SHARED_DATA/pcap that tshark can read.
#
# Per capture it compares what test/integ/pcap_compare.inc compares:
# per conversation, packets, bytes and TCP analysis counts.
#
# Known disagreements are listed in KNOWN below with the reason; any
# other difference fails the test.  All captures together take ~10 s.
set -u
: "${BIN:?}" "${SHARED_DATA:?}"
command -v tshark >/dev/null 2>&1 || { echo "tshark not installed"; exit 77; }
FA="$BIN/flow-analyzer"
. "$(dirname "$0")/pcap_compare.inc"
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
	pc_compare "$cap"
	rc=$?
	if [ $rc -eq 2 ]; then
		echo "FAIL $f: flow-analyzer failed: $(cat "$tmp/err")"
		fail=1
		continue
	fi
	n=$pc_n ntc=$pc_ntc nours=$pc_nours
	convs=$((convs + n))
	if [ $rc -eq 0 ]; then
		agree=$((agree + n))
		echo "ok   $f: $n conversations agree (conv,tcp: $ntc)"
	elif echo "$KNOWN" | grep -q "^$f:"; then
		echo "known $f: $(echo "$KNOWN" | grep "^$f:" | cut -d: -f2-)"
		sed 's/^/    /' "$tmp/diff"
	else
		echo "FAIL $f: ours vs tshark ($PC_COLUMNS); conv,tcp $ntc vs ours $nours"
		sed 's/^/    /' "$tmp/diff" | head -20
		fail=1
	fi
done
echo "$agree of $convs conversations in $files captures agree with tshark"
exit $fail
