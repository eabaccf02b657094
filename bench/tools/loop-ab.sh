#!/bin/sh
# loop-ab.sh N BIN_A BIN_B CAPTURE: run flow-analyzer builds A and B in
# turn on CAPTURE (-e json to /dev/null), N times each, and print the
# median and minimum of the analysis thread's CPU time in the packet
# loop ("loop") and at the end of the report ("end"), and of the
# process's user and system time.  Both builds must carry
# bench/tools/thread-clock.patch (git apply it, build, copy the binary
# aside; never commit it), which prints the analysis thread's own CPU
# clock: unlike the process's CPU time it leaves out the helper threads
# and most of this VM's page-zeroing noise, so that a change of a few
# percent in the loop shows.  Not run by make bench.
set -u
n=$1; a=$2; b=$3; cap=$4
raw=$(mktemp); t=$(mktemp); e=$(mktemp)
i=0
while [ "$i" -lt "$n" ]; do
	for x in A B; do
		[ "$x" = A ] && bin=$a || bin=$b
		/usr/bin/time -f "%U %S" -o "$t" "$bin" -i "$cap" -e json \
		    2>"$e" >/dev/null
		echo "$x $(awk '$1 == "loop" { l = $2 } $1 == "end" { e = $2 }
		    END { print l, e }' "$e") $(tail -1 "$t")"
	done
	i=$((i + 1))
done >"$raw"
for x in A B; do
	for col in 2 3 4 5; do
		awk -v x="$x" -v c="$col" '$1 == x { print $c }' "$raw" |
		    sort -n | awk -v c="$col" '{ v[NR] = $1 } END {
			split("- loop end user sys", name, " ")
			printf "%s med %.3f min %.3f   ", name[c],
			    v[int((NR + 1) / 2)], v[1] }'
	done
	echo "$x"
done
rm -f "$raw" "$t" "$e"
