#!/bin/sh
# Real TCP in trouble, against tshark: in the node of cpcap_topo.inc,
# nftables drops 4% of the TCP segments between pod A and pod B at
# random, both ways, and Linux's TCP on each side answers as it does on
# a real network: RTO and fast retransmissions, SACK and D-SACK
# duplicate ACKs, lost segments.  Over IPv4 and IPv6, at the same time:
# bulk transfers both ways (pod A sends GSO super-packets, pod B
# segments of one MSS: its gso_max_size is cut), a slow reader with a
# 4 KiB receive buffer (zero windows, window updates), a client that
# aborts with a reset, one that connects to a closed port, one whose
# SYNs are all dropped, one that idles with keep-alives.  tcpdump on
# lxca records it.
#
# tshark is the oracle (pcap_compare.inc): every conversation's
# packets, bytes, retransmissions (fast and spurious ones too),
# duplicate ACKs, zero windows, resets, out-of-order and lost segments
# must agree.  The losses are random, so
# each run is another capture; a failing one is kept as
# $BUILD/test-logs/pcap_lossy-failed.pcap to reproduce it.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$ROOT/build/bin}
FA="$BIN/flow-analyzer"
. "$ROOT/test/integ/cpcap_topo.inc"
. "$ROOT/test/integ/pcap_compare.inc"
cp_require_root pcap_lossy
for c in tcpdump nft jq python3; do
	command -v $c >/dev/null 2>&1 ||
		{ echo "SKIP: $c missing (run make deps)"; exit 77; }
done
cp_test_begin
tmp=$T
keep="$ROOT/${BUILD:-build}/test-logs/pcap_lossy-failed.pcap"

ip netns exec "$CP_NODE" nft -f - <<'NFT' || { fail "nftables rules"; exit 1; }
table inet lossy {
	chain dropsome {
		type filter hook forward priority 0;
		tcp dport 7009 drop
		tcp dport 7000-7004 numgen random mod 100 < 4 drop
		tcp sport 7000-7004 numgen random mod 100 < 4 drop
	}
}
NFT
ip -n "$CP_PODB" link set eth0 gso_max_size 1500

cat >"$T/srv.py" <<'PY'
import socket, sys, threading, time
# Port 7000/7002: read the 4-byte length asked for, the upload, answer.
# Port 7001/7003: the same with a 4 KiB receive buffer, read slowly.
def listen(fam, addr, port, slow):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if slow:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind((addr, port))
    s.listen(64)
    return s
def serve(s, slow):
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, slow), daemon=True).start()
def handle(c, slow):
    try:
        n = int.from_bytes(c.recv(4, socket.MSG_WAITALL), 'big')
        if slow:
            time.sleep(1.0)
        while True:
            b = c.recv(65536)
            if not b:
                break
            if slow:
                time.sleep(0.05)
        c.sendall(b'x' * n)
    except OSError:
        pass
    finally:
        c.close()
for fam, addr, base in ((socket.AF_INET, '0.0.0.0', 7000),
                        (socket.AF_INET6, '::', 7002)):
    for port, slow in ((base, False), (base + 1, True)):
        threading.Thread(target=serve, args=(listen(fam, addr, port, slow),
                         slow), daemon=True).start()
print('listening', flush=True)
time.sleep(120)
PY
cat >"$T/cli.py" <<'PY'
import socket, struct, sys, threading, time
v4, v6 = sys.argv[1], sys.argv[2]
errors = []
def transfer(fam, host, port, up, down):
    try:
        s = socket.create_connection((host, port), timeout=30)
        s.sendall(down.to_bytes(4, 'big') + b'y' * up)
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
        s.close()
    except OSError as e:
        errors.append('%s port %d: %s' % (host, port, e))
def abort(host, port):
    s = socket.create_connection((host, port), timeout=30)
    s.sendall((0).to_bytes(4, 'big') + b'z' * 20000)
    time.sleep(0.3)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()
def refused(host, port):
    try:
        socket.create_connection((host, port), timeout=5)
        errors.append('port %d answered' % port)
    except ConnectionRefusedError:
        pass
def unanswered(host, port):
    try:
        socket.create_connection((host, port), timeout=1.5)
        errors.append('port %d answered' % port)
    except OSError:
        pass
def keepalive(host, port):
    s = socket.create_connection((host, port), timeout=30)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    time.sleep(2.5)
    s.sendall((10).to_bytes(4, 'big'))
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()
jobs = []
for i in range(6):
    jobs.append((transfer, (socket.AF_INET, v4, 7000, 300000 * (i % 3), 400000)))
    jobs.append((transfer, (socket.AF_INET6, v6, 7002, 200000, 300000 * (i % 2))))
jobs.append((transfer, (socket.AF_INET, v4, 7001, 200000, 1000)))
jobs.append((transfer, (socket.AF_INET6, v6, 7003, 150000, 1000)))
jobs.append((abort, (v4, 7000)))
jobs.append((refused, (v4, 7005)))
jobs.append((unanswered, (v6, 7009)))
jobs.append((keepalive, (v4, 7000)))
ts = [threading.Thread(target=f, args=a) for f, a in jobs]
for t in ts:
    t.start()
for t in ts:
    t.join()
for e in errors:
    print('client:', e)
sys.exit(1 if errors else 0)
PY

cp_tcpdump "$CP_NODE" "$T/lossy.pcap" -i lxca -s 128 -B 32768 tcp
ip netns exec "$CP_PODB" python3 "$T/srv.py" >"$T/srv.out" 2>&1 &
bg_pids="$bg_pids $!"
i=0
while ! grep -q listening "$T/srv.out"; do
	i=$((i + 1)); [ $i -gt 50 ] && { fail "the server did not start"; exit 1; }
	sleep 0.1
done
ip netns exec "$CP_PODA" python3 "$T/cli.py" "$CP_IPB" "$CP_IP6B" ||
	fail "the traffic did not run as planned"
sleep 0.5
cp_tcpdump_stop "$T/lossy.pcap" || fail "capture"

pc_compare "$T/lossy.pcap"
case $? in
0)	echo "ok: $pc_n conversations agree with tshark (conv,tcp: $pc_ntc)" ;;
1)	fail "ours vs tshark ($PC_COLUMNS); conv,tcp $pc_ntc vs ours $pc_nours"
	sed 's/^/    /' "$tmp/diff" | head -20 ;;
*)	fail "flow-analyzer failed: $(cat "$tmp/err")" ;;
esac

# The capture has what it was made for, on both sides (so that
# agreeing means something): sums of tshark's columns, our states.
awk '{ r += $8; d += $9; z += $10; k += $11; f += $14 }
    END { print r + 0, d + 0, z + 0, k + 0, f + 0 }' "$tmp/theirs" >"$T/sums"
read -r rt da zw rst fr <"$T/sums"
echo "tshark: $rt retransmissions ($fr fast), $da duplicate ACKs, $zw zero windows, $rst resets"
[ "$rt" -gt 0 ] || fail "no retransmission in the capture"
[ "$fr" -gt 0 ] || fail "no fast retransmission in the capture"
[ "$da" -gt 0 ] || fail "no duplicate ACK in the capture"
[ "$zw" -gt 0 ] || fail "no zero window in the capture"
[ "$rst" -ge 2 ] || fail "fewer than 2 resets in the capture"
"$FA" -i "$T/lossy.pcap" -e json >"$T/ours.json" 2>/dev/null
jq -e --arg a "$CP_IPA" --arg b "$CP_IPB" '
    [.conversations[] | select(.server_port == 7005 and .client == $a and
	.server == $b and .state == "refused")] | length == 1' \
    "$T/ours.json" >/dev/null || fail "the closed port is not refused"
jq -e --arg a6 "$CP_IP6A" --arg b6 "$CP_IP6B" '
    [.conversations[] | select(.server_port == 7009 and .client == $a6 and
	.server == $b6 and .state == "syn-sent" and .syn_count >= 2)] |
    length == 1' "$T/ours.json" >/dev/null ||
    fail "the dropped SYNs are not an unanswered connection"
jq -e '[.conversations[] | select(.state == "reset" and
	.reset_by == "client")] | length >= 1' "$T/ours.json" >/dev/null ||
    fail "no connection reset by its client"
jq -e '[.conversations[] | select(.keep_alives > 0)] | length >= 1' \
    "$T/ours.json" >/dev/null || fail "no keep-alive seen"
jq -e '.diagnosis | map(.text) | any(test("7009: SYN sent .*, no SYN-ACK"))' \
    "$T/ours.json" >/dev/null || fail "no diagnosis of the unanswered SYNs"

if [ "$fails" -gt 0 ]; then
	mkdir -p "$(dirname "$keep")" && cp "$T/lossy.pcap" "$keep" &&
		echo "the capture is kept as $keep"
	exit 1
fi
echo "pcap_lossy: ok"
