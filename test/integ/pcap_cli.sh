#!/bin/sh
# flow-analyzer on packets: input paths (file, stdin pipe, gzip through a
# pipe), every capture in $SHARED_DATA/pcap handled without a crash,
# damaged captures refused with a clear message, the BPF filter, the
# option checks, JSON/CSV output shape, and the JSON written by a second
# thread against the JSON written directly.
set -u
: "${BIN:?}" "${SHARED_DATA:?}"
FA="$BIN/flow-analyzer"
P="$SHARED_DATA/pcap"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
no() { echo "FAIL: $*"; fails=$((fails + 1)); }

# --help on stdout, exit 0; the options of the packet path are in it
# and in the man page.
"$FA" --help >"$tmp/help" 2>&1 || no "--help exit $?"
grep -q '^usage: flow-analyzer' "$tmp/help" || no "--help has no usage line"
for o in --filter --color --top --export --input; do
	grep -q -- "$o" "$tmp/help" || no "option $o missing from --help"
	grep -qE -- "-${o#--}( |$)" "$ROOT/man/flow-analyzer.1" ||
		no "option $o missing from flow-analyzer.1"
done
"$FA" --version | grep -q '^flow-analyzer ' || no "--version"

# Every capture: exit 0 or 1 (connections failed), never a crash.
for f in "$P"/*/*.pcap "$P"/*/*.pcapng; do
	case $f in */libpcap/*) continue ;; esac
	"$FA" -i "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -le 1 ] || no "$f: exit $rc: $(cat "$tmp/err")"
	grep -q '^CAPTURE' "$tmp/out" || no "$f: no report"
done

# Damaged captures: exit 2, message names the file and libpcap's reason.
for f in "$P"/libpcap/*.pcap "$P"/libpcap/*.pcapng; do
	"$FA" -i "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || no "$f: exit $rc, want 2"
	grep -q "$(basename "$f").*not a readable capture" "$tmp/err" ||
		no "$f: unclear message: $(cat "$tmp/err")"
	[ -s "$tmp/out" ] && no "$f: output on stdout"
done
# A capture cut in the middle of a record: what was read is reported.
head -c 1000 "$P/zeek/pop3.pcap" >"$tmp/cut.pcap"
"$FA" -i "$tmp/cut.pcap" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] || no "cut capture: want exit 2"
grep -q 'packets  *[1-9]' "$tmp/out" || no "cut capture: packets before the cut not reported"
grep -q 'cut.pcap' "$tmp/err" || no "cut capture: message does not name the file"

# A pcapng mixing link types (what dumpcap -i eth0 -i any or mergecap
# write): libpcap refuses it, flow-analyzer reads it with its own pcapng
# reader, names both link types, and filters each (pcap_oracle.sh
# checks the conversations against tshark).
if command -v mergecap >/dev/null 2>&1; then
	mergecap -F pcapng -w "$tmp/mixed.pcapng" "$P/other/simple_http.pcap" \
	    "$P/other/simple_http_sll2.pcap"
	"$FA" -i "$tmp/mixed.pcapng" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -le 1 ] || no "mixed link types: exit $rc: $(cat "$tmp/err")"
	grep -q 'link types EN10MB, LINUX_SLL2' "$tmp/out" ||
		no "mixed link types: not both named: $(head -3 "$tmp/out")"
	n_all=$("$FA" -i "$tmp/mixed.pcapng" -e json | jq '.capture.packets')
	n_a=$("$FA" -i "$P/other/simple_http.pcap" -e json | jq '.capture.packets')
	n_b=$("$FA" -i "$P/other/simple_http_sll2.pcap" -e json | jq '.capture.packets')
	[ "$n_all" -eq $((n_a + n_b)) ] ||
		no "mixed link types: $n_all packets, want $n_a + $n_b"
	# "tcp port 8000" compiles for both; "ether" tests only for Ethernet.
	t_all=$("$FA" -i "$tmp/mixed.pcapng" --filter 'tcp port 8000' -e json |
	    jq '.capture.packets')
	t_a=$("$FA" -i "$P/other/simple_http.pcap" --filter 'tcp port 8000' -e json |
	    jq '.capture.packets')
	t_b=$("$FA" -i "$P/other/simple_http_sll2.pcap" --filter 'tcp port 8000' -e json |
	    jq '.capture.packets')
	[ "$t_all" -eq $((t_a + t_b)) ] && [ "$t_b" -gt 0 ] && [ "$t_all" -lt "$n_all" ] ||
		no "mixed link types: --filter: $t_all packets, want $t_a + $t_b"
	e_all=$("$FA" -i "$tmp/mixed.pcapng" --filter 'ether broadcast or not ether broadcast' -e json |
	    jq '.capture.packets')
	[ "$e_all" -eq "$n_a" ] ||
		no "mixed link types: an ether filter kept $e_all packets, want $n_a"
fi

# An unknown link type (147, a user DLT): counted and reported, not fatal.
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\223\000\000\000' >"$tmp/u.pcap"
printf '\000\000\000\000\000\000\000\000\004\000\000\000\004\000\000\000abcd' >>"$tmp/u.pcap"
"$FA" -i "$tmp/u.pcap" >"$tmp/out" 2>"$tmp/err" || no "unknown link type: exit $?"
grep -q 'link type 147' "$tmp/err" || no "unknown link type: no warning: $(cat "$tmp/err")"
grep -q 'unknown link *1 packets of link type 147' "$tmp/out" || no "unknown link type not in the report"

# stdin: pipe of pcap and of pcapng; same result as the file.
"$FA" -e csv -i "$P/zeek/pop3.pcap" >"$tmp/a" 2>/dev/null
cat "$P/zeek/pop3.pcap" | "$FA" -e csv >"$tmp/b" 2>/dev/null
cmp -s "$tmp/a" "$tmp/b" || no "stdin pcap differs from file"
"$FA" -e csv -i "$P/zeek/retransmit-timeout.pcapng" >"$tmp/a"
cat "$P/zeek/retransmit-timeout.pcapng" | "$FA" -e csv >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || no "stdin pcapng differs from file"
zcat "$P/zeek/echo-connections.pcap.gz" | "$FA" -e csv >"$tmp/b" ||
	no "gzip pipe: exit $?"
[ "$(wc -l <"$tmp/b")" -eq 501 ] || no "echo-connections: want 500 conversations"

# The same kind of session with Ethernet and SLL2 headers (two runs:
# ports and sizes differ): same conversation shapes.
"$FA" -e csv -i "$P/other/simple_http.pcap" | cut -d, -f2,8,10,12,16,18-25 >"$tmp/a"
"$FA" -e csv -i "$P/other/simple_http_sll2.pcap" | cut -d, -f2,8,10,12,16,18-25 >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || no "simple_http ethernet vs sll2 differ"

# Filter: compiled for the link type; a bad one shows the expression.
"$FA" -i "$P/zeek/wikipedia.pcap" --filter 'tcp port 80' -e csv >"$tmp/out" ||
	no "filter run failed"
awk -F, 'NR > 1 && $6 != 80 && $4 != 80' "$tmp/out" | grep -q . &&
	no "filter let other ports through"
"$FA" -i "$P/zeek/pop3.pcap" --filter 'tcp port nonsense' >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || no "bad filter: want exit 2"
grep -q "filter 'tcp port nonsense'" "$tmp/err" || no "bad filter message: $(cat "$tmp/err")"

# Namespace and pod do not apply to packets: refused, not ignored.
"$FA" -i "$P/zeek/pop3.pcap" -n demo >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || no "--namespace on pcap: want exit 2"
grep -q 'pcap input has no namespaces' "$tmp/err" || no "--namespace message"

# Exit 1 when connection attempts failed (refused), 0 otherwise.
"$FA" -i "$P/zeek/pop3.pcap" >/dev/null; [ $? -eq 1 ] || no "pop3: want exit 1"
"$FA" -i "$P/tcpdump/dns_tcp.pcap" >/dev/null; [ $? -eq 0 ] || no "dns_tcp: want exit 0"

# Diagnosis words.
"$FA" -i "$P/zeek/syn.pcap" >"$tmp/out"
grep -q 'SYN sent once, no SYN-ACK: no response (likely dropped by policy or firewall)' \
	"$tmp/out" || no "syn.pcap diagnosis"
"$FA" -i "$P/zeek/pop3.pcap" >"$tmp/out"
grep -q 'RST from server: connection refused' "$tmp/out" || no "pop3 refused diagnosis"
"$FA" -i "$P/zeek/206_example_b.pcap" >"$tmp/out"
grep -q 'zero window from client at ' "$tmp/out" || no "206 zero window diagnosis"
grep -q 'handshake RTT *n=' "$tmp/out" || no "latency section"

# JSON: valid, required keys, tunnel attribution.
if command -v jq >/dev/null 2>&1; then
	"$FA" -i "$P/zeek/vxlan-encapsulated-http.pcap" -e json >"$tmp/j" || no "json exit"
	jq -e '.conversations[0] | .protocol == "tcp" and .client == "172.16.11.201"
	    and .server_port == 80 and .tunnel.type == "vxlan" and .tunnel.vni == 1' \
	    "$tmp/j" >/dev/null || no "vxlan json: $(head -c 400 "$tmp/j")"
	for k in protocol client client_port server server_port client_guessed \
	    packets bytes packets_to_server bytes_to_server packets_to_client \
	    bytes_to_client first last state handshake_rtt_ms retransmissions \
	    fast_retransmissions dup_acks zero_windows resets tunnel; do
		jq -e ".conversations[0] | has(\"$k\")" "$tmp/j" >/dev/null ||
			no "json key $k missing"
	done
	"$FA" -i "$P/zeek/icmp-destunreach-udp.pcap" -e json >"$tmp/j"
	# The quoted UDP packet is not in this capture: kept on the ICMP side.
	jq -e '[.conversations[] | select(.icmp_error.quoted.dst_port == 59207)]
	    | length == 1' "$tmp/j" >/dev/null || no "icmp error quote not reported"
	"$FA" -i "$P/tcpdump/dns_udp.pcap" -e json >"$tmp/j"
	jq -e '.conversations[0].dns.responses == 1 and .latency.dns_ms.n == 1' \
	    "$tmp/j" >/dev/null || no "dns pairing"
	"$FA" -i "$P/tcpdump/empty.pcap" -e json | jq -e '.conversations == []' \
	    >/dev/null || no "empty capture json"
fi
# The JSON report written by the write-behind thread (two CPUs), with
# every other block of the 5000 conversations live at the end formatted
# by a helper thread, is the one written directly
# (FLOW_ANALYZER_THREADS=1), to a file and to a pipe: several megabytes,
# so that it spans many of the write-behind thread's chunks.
if [ -x "${TOOLS:-}/gen-pcap" ] &&
    "$TOOLS/gen-pcap" -n 200000 -c 5000 -p 200 -s 3 -o "$tmp/many.pcap" \
    2>/dev/null; then
	FLOW_ANALYZER_THREADS=1 "$FA" -i "$tmp/many.pcap" -e json >"$tmp/one"
	"$FA" -i "$tmp/many.pcap" -e json >"$tmp/two"
	"$FA" -i "$tmp/many.pcap" -e json | cat >"$tmp/pipe"
	[ "$(wc -c <"$tmp/one")" -gt 2000000 ] || no "many.pcap: small report"
	cmp -s "$tmp/one" "$tmp/two" || no "write-behind report differs (file)"
	cmp -s "$tmp/one" "$tmp/pipe" || no "write-behind report differs (pipe)"
	jq -e '.conversations | length == 5000' "$tmp/two" >/dev/null ||
		no "write-behind report: not 5000 conversations"
fi
# CSV: header plus one row per conversation, RFC 4180.
"$FA" -i "$P/zeek/wikipedia.pcap" -e csv >"$tmp/c"
head -1 "$tmp/c" | grep -q '^id,protocol,client,client_port,server,server_port,client_guessed,packets,bytes' ||
	no "csv header"
[ "$fails" -eq 0 ]
