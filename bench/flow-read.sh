#!/bin/sh
# bench/flow-read: the library's flow-line reader (test/tools/flowcat)
# against jq and a Python json.loads loop, counting DROPPED flows in the
# same 1,000,000 generated lines (gen-flows --seed 1), in the same run.
# Prints seconds, MB/s and the ratio to the faster reference, and the
# peak RSS.  FLOW_BENCH_N overrides the line count.
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS="$ROOT/$BUILD/tools"
OUT=${BENCH_OUT:-$ROOT/bench/out}
N=${FLOW_BENCH_N:-1000000}
mkdir -p "$OUT"
F="$OUT/flows-$N.json"
[ -s "$F" ] || "$TOOLS/gen-flows" -n "$N" --seed 1 >"$F" || exit 1
bytes=$(wc -c <"$F")
mb=$(echo "$bytes / 1000000" | bc -l)
echo "input: $N lines, $(printf '%.0f' "$mb") MB ($F)"
cat "$F" >/dev/null	# page cache: every contender reads from memory

# run NAME CMD...: time it and keep stdout.  The ratio uses CPU seconds
# (user + sys of the whole pipeline): the build machine is shared, so
# wall time says more about the neighbours than about the reader.
run() {
	name=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" sh -c "$*" \
		>"$OUT/$name.out" 2>"$OUT/$name.err"
	read -r wall usr sys rss <"$OUT/time.txt"
	cpu=$(echo "$usr + $sys" | bc -l)
	printf '%-14s %7.2f s cpu %7.2f s wall %6.0f MB/s %6.0f MB RSS  %s\n' \
		"$name" "$cpu" "$wall" "$(echo "$mb / $cpu" | bc -l)" \
		"$(echo "$rss / 1024" | bc -l)" \
		"$(tr '\n' ' ' <"$OUT/$name.out" | cut -c1-20)"
	eval "t_$(echo "$name" | tr -c 'a-z0-9\n' _)=$cpu"
}

PY='import json, sys
n = 0
for line in sys.stdin.buffer:
    if json.loads(line).get("flow", {}).get("verdict") == "DROPPED":
        n += 1
print(n)'

run flowcat "'$TOOLS/flowcat' '$F' | sed -n 's/^verdict DROPPED //p'"
run flowcat_write "'$TOOLS/flowcat' --write '$F' 2>/dev/null | wc -l"
run jq "jq -c 'select(.flow.verdict==\"DROPPED\")' '$F' | wc -l"
run python3 "python3 -c '$PY' <'$F'"

if [ "$(cat "$OUT/flowcat.out")" != "$(tr -d ' ' <"$OUT/jq.out")" ] ||
    [ "$(cat "$OUT/flowcat.out")" != "$(cat "$OUT/python3.out")" ]; then
	echo "MISMATCH: flowcat, jq and python3 disagree on DROPPED"
	exit 1
fi
best=$t_jq
[ "$(echo "$t_python3 < $best" | bc)" = 1 ] && best=$t_python3
printf 'flowcat vs faster reference: %.1fx (jq %.1fx, python3 %.1fx)\n' \
	"$(echo "$best / $t_flowcat" | bc -l)" \
	"$(echo "$t_jq / $t_flowcat" | bc -l)" \
	"$(echo "$t_python3 / $t_flowcat" | bc -l)"
