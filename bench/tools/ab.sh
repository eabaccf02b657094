#!/bin/sh
# ab.sh N "CMD_A" "CMD_B" ARGS...: run CMD_A ARGS and CMD_B ARGS in turn,
# N times each, output to /dev/null, and print the minimum and median of
# CPU time (user + system) and wall time of each.  Alternating the two
# spreads this VM's slow phases over both.  CMD_A and CMD_B are split
# on spaces, so "env CILKIT_PCAP_LIBPCAP=1 build/bin/flow-analyzer"
# works.  Not run by make bench (bench/run.sh runs bench/*.sh only).
set -u
n=$1; a=$2; b=$3; shift 3
raw=$(mktemp); t=$(mktemp)
i=0
while [ "$i" -lt "$n" ]; do
	for x in A B; do
		[ "$x" = A ] && cmd=$a || cmd=$b
		# shellcheck disable=SC2086
		/usr/bin/time -f "%U %S %e" -o "$t" $cmd "$@" >/dev/null 2>&1
		echo "$x $(tail -1 "$t" | awk '{ printf "%.2f %.2f", $1 + $2, $3 }')"
	done
	i=$((i + 1))
done >"$raw"
for x in A B; do
	for col in 2 3; do
		awk -v x="$x" -v c="$col" '$1 == x { print $c }' "$raw" |
		    sort -n | awk -v c="$col" '{ v[NR] = $1 } END {
			printf "%s min %.2f med %.2f   ", c == 2 ? "cpu" : "wall",
			    v[1], v[int((NR + 1) / 2)] }'
	done
	echo "$x"
done
rm -f "$raw" "$t"
