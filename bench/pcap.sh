#!/bin/sh
# pcap analysis: flow-analyzer's full analysis (conversations, TCP
# analysis, diagnosis, JSON report) against `tshark -q -z conv,tcp` and
# `tcpdump -nn -r FILE` (text decode to /dev/null), on the same
# generated capture in the same run: 5 million packets over 100,000
# connections with RTO and fast retransmissions, dup ACKs, resets,
# refused and unanswered SYNs (test/tools/gen-pcap.c).  Wall time and
# max RSS of each; the file is made once under $BENCH_OUT and reused.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
OUT=${BENCH_OUT:-$ROOT/bench/out}
PKTS=${PCAP_BENCH_PACKETS:-5000000}
CONNS=${PCAP_BENCH_CONNS:-100000}
# tcpdump's text decode slows down with many connections (its relative
# sequence table): cap each tool's wall time so that make bench ends.
LIMIT=${PCAP_BENCH_LIMIT:-900}
FA="$ROOT/$BUILD/bin/flow-analyzer"
GEN="$ROOT/$BUILD/tools/gen-pcap"
CAP="$OUT/pcap-bench-$PKTS-$CONNS.pcap"
mkdir -p "$OUT"
: >"$OUT/runs"
[ -x "$FA" ] && [ -x "$GEN" ] || { echo "pcap bench: build first"; exit 1; }
if [ ! -s "$CAP" ]; then
	"$GEN" -n "$PKTS" -c "$CONNS" -p 2000 -o "$CAP.tmp" && mv "$CAP.tmp" "$CAP" || exit 1
fi
npk=$(capinfos -c -M "$CAP" 2>/dev/null | awk '/Number of packets/ {print $NF}')
echo "capture: $CAP ($(du -m "$CAP" | cut -f1) MB, ${npk:-?} packets)"

# run NAME CMD...: CPU seconds (user + system), wall seconds and max RSS
# (KB) into $NAME_s / $NAME_wall / $NAME_kb.  Ratios use CPU time: the
# build machine is shared, and wall time there measures the neighbours.
run() {
	name=$1; shift
	# The page cache is reclaimed quickly on this VM: every tool
	# starts with its input freshly read (the last argument given
	# after -i/-r is the capture).
	for a in "$@"; do
		case $a in *.pcap | *.pcapng) cat "$a" >/dev/null ;; esac
	done
	dst="$OUT/out.$name"
	[ "$name" = tcpdump ] && dst=/dev/null	# as the goal states it
	/usr/bin/time -f '%e %U %S %M' -o "$OUT/time.$name" \
	    timeout "$LIMIT" "$@" >"$dst" 2>"$OUT/err.$name"
	rc=$?
	[ $rc -eq 124 ] && echo "$name: stopped after ${LIMIT}s: its times are lower bounds"
	set -- $(tail -1 "$OUT/time.$name")
	cpu=$(echo "$2 $3" | awk '{ printf "%.2f", $1 + $2 }')
	eval "${name}_s=$cpu ${name}_wall=$1 ${name}_kb=$4"
	echo "$name $cpu $1 $4" >>"$OUT/runs"
	printf '%-12s %8.2f s CPU  %8.2f s wall  %6d MB max RSS  (exit %d)\n' "$name" "$cpu" "$1" $(($4 / 1024)) $rc
}

# median NAME: the median over the runs NAME1, NAME2, ... of CPU time,
# wall time and max RSS (each on its own) into $NAME_s / $NAME_wall /
# $NAME_kb, and the least CPU time into $NAME_min.
median() {
	m_v=$(awk -v n="$1" '$1 ~ "^" n "[0-9]+$" { print $2 }' \
	    "$OUT/runs" | sort -n | head -1)
	eval "${1}_min=$m_v"
	for m_col in 2 3 4; do
		m_v=$(awk -v n="$1" -v c="$m_col" \
		    '$1 ~ "^" n "[0-9]+$" { print $c }' \
		    "$OUT/runs" | sort -n |
		    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		case $m_col in
		2) eval "${1}_s=$m_v" ;;
		3) eval "${1}_wall=$m_v" ;;
		4) eval "${1}_kb=$m_v" ;;
		esac
	done
}

# Ratios compare medians: this VM moves one run's CPU time by up to a
# half (the host backing fresh memory, other guests), for tshark as for
# flow-analyzer.  flow-analyzer five times, and once with one thread (no
# read-ahead): CPU time is the sum of all threads.
for i in 1 2 3 4 5; do
	run fa$i "$FA" -i "$CAP" -e json
done
median fa
FLOW_ANALYZER_THREADS=1 run fa_1thread "$FA" -i "$CAP" -e json
# And reading through libpcap (as for pipes) instead of in place; and the
# same packets as pcapng (flow-analyzer's own pcapng reader).
CILKIT_PCAP_LIBPCAP=1 run fa_libpcap "$FA" -i "$CAP" -e json
CAPNG="$CAP"ng
[ -s "$CAPNG" ] || { editcap -F pcapng "$CAP" "$CAPNG.tmp" &&
    mv "$CAPNG.tmp" "$CAPNG"; }
run fa_pcapng "$FA" -i "$CAPNG" -e json
for i in 1 2 3; do
	run tshark$i tshark -r "$CAP" -q -z conv,tcp
done
median tshark
cp "$OUT/out.tshark1" "$OUT/out.tshark"
run tcpdump tcpdump -nn -r "$CAP"

# Same conversations as tshark, as a sanity check of the timed run.
cp "$OUT/out.fa1" "$OUT/out.fa"
nfa=$(jq '.totals.tcp' "$OUT/out.fa" 2>/dev/null)
nts=$(grep -c '<->' "$OUT/out.tshark")
live=$(jq '.totals.live_max' "$OUT/out.fa" 2>/dev/null)
echo "conversations: flow-analyzer $nfa (live at most $live), tshark $nts"
jq -c .conversations "$OUT/out.fa" >"$OUT/convs.pcap" 2>/dev/null
jq -c .conversations "$OUT/out.fa_pcapng" >"$OUT/convs.pcapng" 2>/dev/null
cmp -s "$OUT/convs.pcap" "$OUT/convs.pcapng" ||
	echo "pcapng: its conversations differ from the pcap file's"
# Memory follows live conversations, not packets: the same number of
# packets over 50 times fewer (longer) connections.
CAP2="$OUT/pcap-bench-$PKTS-2000.pcap"
[ -s "$CAP2" ] || "$GEN" -n "$PKTS" -c 2000 -p 200 -o "$CAP2.tmp" 2>/dev/null && mv "$CAP2.tmp" "$CAP2" 2>/dev/null
run fa_2000 "$FA" -i "$CAP2" -e json
echo "max RSS: $((fa_kb / 1024)) MB with $CONNS connections, $((fa_2000_kb / 1024)) MB with 2000 (same packet count)"

awk -v fa="$fa_s" -v fw="$fa_wall" -v f1="$fa_1thread_s" -v ts="$tshark_s" \
    -v fl="$fa_libpcap_s" -v fn="$fa_pcapng_s" -v fm="$fa_min" \
    -v tm="$tshark_min" \
    -v tw="$tshark_wall" -v td="$tcpdump_s" -v tdw="$tcpdump_wall" \
    -v n="${npk:-0}" 'BEGIN {
	if (fa <= 0) fa = 0.01
	if (fw <= 0) fw = 0.01
	if (f1 <= 0) f1 = 0.01
	printf "flow-analyzer: %.1f Mpackets per CPU second\n", n / fa / 1e6
	printf "medians: flow-analyzer %.2f s CPU, %.2f s wall (5 runs); tshark %.2f s CPU, %.2f s wall (3 runs)\n",
	    fa, fw, ts, tw
	printf "vs tshark conv,tcp (goal 50x): %.0fx CPU, %.0fx wall, %.0fx CPU with one thread\n",
	    ts / fa, tw / fw, ts / f1
	# The VM only ever adds time to a run: the least of each tool is
	# its cost with the least interference.  The goal uses medians.
	if (fm > 0)
		printf "fastest runs: flow-analyzer %.2f s CPU, tshark %.2f s CPU: %.0fx\n",
		    fm, tm, tm / fm
	printf "vs tcpdump -nn (goal 10x): %.0fx CPU, %.0fx wall\n", td / fa, tdw / fw
	if (fl > 0)
		printf "read through libpcap: %.0fx tshark CPU\n", ts / fl
	if (fn > 0)
		printf "the same as pcapng: %.0fx tshark CPU\n", ts / fn
}'
