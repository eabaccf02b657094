#!/bin/sh
# The decoder against tcpdump's own expected decode: for every capture in
# $SHARED_DATA/pcap with a tcpdump test output (.out, from tcpdump's test
# suite), each packet the decoder attributes to an IP tuple must show
# that same "SRC[.PORT] > DST[.PORT]:" in tcpdump's text for that packet
# (for tunnels tcpdump prints the outer and the inner packet; ours is
# the inner one, or the outer one when the inner frame is not IP).
set -u
: "${SHARED_DATA:?}" "${TOOLS:?}"
DUMP="$TOOLS/cpcap-dump"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 total=0
for cap in "$SHARED_DATA"/pcap/tcpdump/*.pcap; do
	stem=${cap%.pcap}
	out=""
	for o in "$stem.out" "$stem-vv.out" "$stem-v.out"; do
		[ -f "$o" ] && { out=$o; break; }
	done
	[ -n "$out" ] || continue
	"$DUMP" "$cap" >"$tmp/ours" 2>"$tmp/err" || { echo "FAIL $cap: $(cat "$tmp/err")"; fail=1; continue; }
	n=0 bad=0
	while read -r num status reason tuple; do
		case $tuple in -*) continue ;; esac
		t=${tuple% tunnel*}
		awk -v n="$num" '
			/^ *[0-9]+  / { cur = $1 }
			cur == n' "$out" >"$tmp/block"
		if grep -qF -- "$t:" "$tmp/block"; then
			n=$((n + 1))
		else
			echo "FAIL $(basename "$cap") packet $num: ours '$t', tcpdump:"
			sed 's/^/    /' "$tmp/block" | head -4
			bad=$((bad + 1))
		fi
	done <"$tmp/ours"
	total=$((total + n))
	echo "$(basename "$cap"): $n packets agree with $(basename "$out"), $bad differ"
	[ $bad -eq 0 ] || fail=1
done
echo "$total packets agree with tcpdump's expected decode"
[ $total -gt 0 ] || fail=1
exit $fail
