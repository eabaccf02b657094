#!/bin/sh
# bench/cilium-pcap.sh - cilium-pcap's local capture against tcpdump, on
# the same veth (a pod's lxc device in the cpcap_topo.inc namespaces),
# under the same iperf3 load, at the same time: packets captured, kernel
# drops, and CPU per packet (the capture process's utime+stime, read as
# the waiting shell's cutime+cstime from /proc).  Two loads: TCP bulk
# (iperf3 default, large GSO frames) and UDP small packets (-l 64, as
# many packets per second as the sender manages).  Needs root.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PCAP="$ROOT/${BUILD:-build}/bin/cilium-pcap"
OUT="${BENCH_OUT:-$ROOT/bench/out}/cilium-pcap"
SECS=${CPCAP_BENCH_SECS:-6}
mkdir -p "$OUT"
[ -x "$PCAP" ] || { echo "build cilium-pcap first"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "cilium-pcap bench: needs root, skipped"; exit 0; }
for c in iperf3 tcpdump; do
	command -v $c >/dev/null || { echo "cilium-pcap bench: no $c, skipped"; exit 0; }
done
. "$ROOT/test/integ/cpcap_topo.inc"
trap 'cp_topo_down' EXIT
cp_topo_up || { echo "cannot build the topology"; exit 1; }
TCK=$(getconf CLK_TCK)

# run_cap NAME CMD...: run CMD in the node namespace and record its
# stderr and its CPU ticks (utime+stime of the child, from cutime and
# cstime of this wrapper shell after the wait).
run_cap() {
	name=$1; shift
	ip netns exec "$CP_NODE" sh -c '"$@" 2>"$0.err"; read -r l </proc/$$/stat;
	    set -- $l; echo $(( ${16} + ${17} )) >"$0.cpu"' "$OUT/$name" "$@" &
}

# field FILE TEXT: the number before TEXT in a summary line.
field() {
	sed -n "s/^\([0-9][0-9]*\) packets* $2.*/\1/p" "$1" | head -1
}

report() { # report LOAD NAME FILE
	cap=$(field "$OUT/$3.err" captured)
	drop=$(field "$OUT/$3.err" "dropped by kernel")
	cpu=$(cat "$OUT/$3.cpu")
	awk -v l="$1" -v n="$2" -v c="${cap:-0}" -v d="${drop:-0}" -v t="$cpu" -v k="$TCK" 'BEGIN {
		us = c > 0 ? t / k * 1e6 / c : 0
		printf "%-10s %-12s %10d captured %8d dropped %7.2f s CPU %7.3f us/packet\n", l, n, c, d, t / k, us
	}'
}

bench_load() { # bench_load NAME IPERF-ARGS...
	load=$1; shift
	ip netns exec "$CP_PODB" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	srv=$!
	rm -f "$OUT/cpcap-$load.pcap" "$OUT/tcpdump-$load.pcap"
	run_cap "cpcap-$load" "$PCAP" --local --ip "$CP_IPA" -i pod \
	    --duration $((SECS + 2)) -o "$OUT/cpcap-$load.pcap"
	p1=$!
	# tcpdump prints its summary when SIGINT stops it.
	run_cap "tcpdump-$load" timeout -s INT $((SECS + 2)) tcpdump -i lxca \
	    -w "$OUT/tcpdump-$load.pcap"
	p2=$!
	sleep 1
	ip netns exec "$CP_PODA" iperf3 -c "$CP_IPB" -p 5201 -t "$SECS" "$@" \
	    >"$OUT/iperf-$load.txt" 2>&1
	wait $p1 $p2
	wait $srv 2>/dev/null
	report "$load" tcpdump "tcpdump-$load"
	report "$load" cilium-pcap "cpcap-$load"
}

echo "same veth, same load, same run; ${SECS}s of iperf3 each"
bench_load tcp-bulk
bench_load udp-64B -u -b 0 -l 64
