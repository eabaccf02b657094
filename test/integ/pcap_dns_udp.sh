#!/bin/sh
# DNS over UDP on a real capture, against tshark: in the node of
# cpcap_topo.inc a small server in pod B answers pod A over IPv4 and
# IPv6 as a troubled cluster DNS does: names "ok-*" get an address,
# "nx-*" NXDOMAIN, "fail-*" SERVFAIL, "slow-*" an answer 300 ms late,
# and "drop-*" nothing, so the client asks again with the same id.  One
# client socket per address family sends a series of queries (one
# conversation each), and twenty more sockets one query each, as
# resolvers with random ports do.  Each series: 12 queries (the dropped
# and the slow one asked twice), 8 responses, 3 errors, 2 unanswered.
#
# Per UDP conversation, tshark is the oracle for the queries, responses,
# error responses (non-zero response code), unanswered queries (a query
# no response answers, retries of it left out) and the longest response
# time.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$ROOT/build/bin}
. "$ROOT/test/integ/cpcap_topo.inc"
cp_require_root pcap_dns_udp tcpdump jq python3
cp_test_begin

cat >"$T/dns.py" <<'EOF'
import socket, struct, sys, threading, time

def qname(m):
    i, labels = 12, []
    while i < len(m) and m[i] != 0:
        labels.append(m[i + 1:i + 1 + m[i]].decode())
        i += 1 + m[i]
    return '.'.join(labels), i + 5          # name, end of the question

def query(qid, name):
    q = b''.join(bytes([len(p)]) + p.encode() for p in name.split('.'))
    return struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0) + q + \
        b'\0' + struct.pack('>HH', 1, 1)

def serve(fam, addr):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 53))
    while True:
        q, peer = s.recvfrom(512)
        name, end = qname(q)
        if name.startswith('drop-'):
            continue
        rcode = 3 if name.startswith('nx-') else \
            2 if name.startswith('fail-') else 0
        an = 1 if rcode == 0 else 0
        r = q[:2] + struct.pack('>HHHHH', 0x8180 | rcode, 1, an, 0, 0) + \
            q[12:end]
        if an:
            r += struct.pack('>HHHIH', 0xc00c, 1, 1, 60, 4) + \
                bytes([10, 0, 0, 7])
        if name.startswith('slow-'):
            threading.Timer(0.3, s.sendto, (r, peer)).start()
        else:
            s.sendto(r, peer)

def answered(s, qid, wait):
    # The answer to qid within wait seconds; late answers to earlier
    # queries are read and passed over.
    end = time.monotonic() + wait
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return False
        s.settimeout(left)
        try:
            r = s.recv(512)
        except socket.timeout:
            return False
        if struct.unpack('>H', r[:2])[0] == qid:
            return True

def client(v4, v6):
    for fam, host in ((socket.AF_INET, v4), (socket.AF_INET6, v6)):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        qid = 100
        for name in ('ok-a', 'nx-b', 'ok-c', 'fail-d', 'drop-e', 'slow-f',
                     'nx-g', 'drop-h', 'ok-i'):
            qid += 1
            # asked again after 250 ms: the dropped ones, the slow one
            wait = 0.25 if name[:5] in ('drop-', 'slow-') else 5
            for attempt in range(2):
                s.sendto(query(qid, name + '.test'), (host, 53))
                if answered(s, qid, wait):
                    break
            if name.startswith('slow-'):
                answered(s, qid, 1)     # the answer to the second one
        for i in range(10):
            u = socket.socket(fam, socket.SOCK_DGRAM)
            u.settimeout(1)
            u.sendto(query(7000 + i, ('nx-' if i % 3 == 0 else 'ok-') +
                           str(i) + '.test'), (host, 53))
            u.recv(512)
            u.close()

if sys.argv[1] == 'serve':
    for fam, addr in ((socket.AF_INET, '0.0.0.0'), (socket.AF_INET6, '::')):
        threading.Thread(target=serve, args=(fam, addr), daemon=True).start()
    print('listening', flush=True)
    time.sleep(60)
else:
    client(sys.argv[2], sys.argv[3])
EOF

cp_tcpdump "$CP_NODE" "$T/dns.pcap" -i lxca -s 512 'udp port 53'
ip netns exec "$CP_PODB" python3 "$T/dns.py" serve >"$T/srv.out" 2>&1 &
bg_pids="$bg_pids $!"
cp_wait_for "$T/srv.out" listening || { fail "the server did not start"; exit 1; }
ip netns exec "$CP_PODA" python3 "$T/dns.py" client "$CP_IPB" "$CP_IP6B" ||
	fail "the client did not run as planned"
sleep 0.5
cp_tcpdump_stop "$T/dns.pcap" || fail "capture"

# "client-endpoint queries responses errors unanswered max-ms" per
# conversation; endpoints as "address:port".
"$BIN/flow-analyzer" -i "$T/dns.pcap" -e json >"$T/fa.json" 2>"$T/fa.err"
[ $? -le 1 ] || { fail "flow-analyzer: $(cat "$T/fa.err")"; exit 1; }
jq -r '.conversations[] | select(.protocol == "udp" and .dns != null) |
    "\(.client):\(.client_port) \(.dns.queries) \(.dns.responses) \(.dns.errors) \(.dns.unanswered) \(.dns.latency_max_ms // 0 | . * 1000 | round)"' \
    "$T/fa.json" | sort >"$T/ours"
tshark -2 -r "$T/dns.pcap" -Y dns -T fields -E occurrence=f \
    -e ip.src -e ipv6.src -e udp.srcport -e ip.dst -e ipv6.dst \
    -e udp.dstport -e dns.flags.response -e dns.flags.rcode \
    -e dns.response_in -e dns.retransmission -e dns.time 2>/dev/null |
awk -F'\t' '{
	if ($7 == "0" || $7 == "False") {
		c = ($1 != "" ? $1 : $2) ":" $3
		q[c]++
		if ($9 == "" && $10 == "") u[c]++
	} else {
		c = ($4 != "" ? $4 : $5) ":" $6
		r[c]++
		if ($8 != "0") e[c]++
		ms = int($11 * 1000 * 1000 + 0.5)
		if (ms > m[c]) m[c] = ms
	}
	seen[c] = 1
} END { for (c in seen) print c, q[c] + 0, r[c] + 0, e[c] + 0, u[c] + 0, m[c] + 0 }' |
    sort >"$T/theirs"
if [ -s "$T/ours" ] && cmp -s "$T/ours" "$T/theirs"; then
	echo "ok   $(wc -l <"$T/ours") DNS conversations agree with tshark"
else
	fail "ours vs tshark (client queries responses errors unanswered max-us):"
	diff "$T/ours" "$T/theirs" | sed 's/^/    /'
fi
# What the two series must show, whoever counts.
jq -e '[.conversations[] | select(.dns.queries > 1)] | length == 2 and
    all(.dns.queries == 12 and .dns.responses == 8 and .dns.errors == 3 and
	.dns.unanswered == 2 and .dns.latency_max_ms >= 300)' \
    "$T/fa.json" >/dev/null ||
	fail "the series: $(jq -c '[.conversations[] | select(.dns.queries > 1) | .dns]' "$T/fa.json")"
jq -e '.totals.dns_queries == 44 and .totals.dns_unanswered == 4' \
    "$T/fa.json" >/dev/null ||
	fail "totals: $(jq -c '.totals | {dns_queries, dns_responses, dns_unanswered}' "$T/fa.json")"
exit $((fails > 0))
