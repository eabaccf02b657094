#!/bin/sh
# bench/flow-analyzer.sh: the full flow-line analysis (flow-analyzer
# --json) on N generated flow lines (default 1,000,000, gen-flows seed 1)
# against the same aggregation in Python (json module, bench/
# flow-analyzer.py) and in jq (one streaming reduce, bench/
# flow-analyzer.jq), same file, same run.  Also flow-analyzer with one
# thread, and its peak memory at N/10 and N lines (flat memory).
# Prints wall and CPU seconds, peak RSS and the ratios; the three must
# agree on flows, edges and DNS errors.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$dir/.." && pwd)
BUILD=${BUILD:-build}
FA="$ROOT/$BUILD/bin/flow-analyzer"
GEN="$ROOT/$BUILD/tools/gen-flows"
N=${FA_BENCH_N:-1000000}
out="${BENCH_OUT:-$dir/out}/flow-analyzer"
mkdir -p "$out"
for t in "$FA" "$GEN"; do
	[ -x "$t" ] || { echo "build first: $t missing"; exit 1; }
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing"; exit 1; }
small=$((N / 10))
[ -s "$out/flows-$N.json" ] || "$GEN" -n "$N" --seed 1 >"$out/flows-$N.json"
[ -s "$out/flows-$small.json" ] || "$GEN" -n "$small" --seed 1 >"$out/flows-$small.json"
in="$out/flows-$N.json"
echo "input: $N flow lines, $(($(wc -c <"$in") / 1048576)) MiB, $(nproc) CPUs"
cat "$in" >/dev/null	# same page cache state for everyone

run() {	# run NAME CMD...: wall, user+sys, max RSS into $out/NAME.time
	name=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$out/$name.time" "$@" \
	    >"$out/$name.out" 2>"$out/$name.err" ||
	    { echo "$name failed:"; cat "$out/$name.err"; return 1; }
}
run fa "$FA" -i "$in" --json || exit 1
FLOW_ANALYZER_THREADS=1 run fa1 "$FA" -i "$in" --json || exit 1
run fa_small "$FA" -i "$out/flows-$small.json" --json || exit 1
run python sh -c 'python3 "$1" <"$2"' sh "$dir/flow-analyzer.py" "$in" || exit 1
run jq jq -n -c -f "$dir/flow-analyzer.jq" "$in" || exit 1

fa=$(jq -c '[.summary.flows, .summary.edges, .summary.dns_errors]' "$out/fa.out")
py=$(jq -c '[.flows, .edges, .dns_errors]' "$out/python.out")
jqr=$(jq -c '[.flows, .edge_count, ([.dns[].e] | add)]' "$out/jq.out")
echo "agree (flows, edges, dns errors): flow-analyzer $fa, python $py, jq $jqr"
[ "$fa" = "$py" ] && [ "$fa" = "$jqr" ] || { echo "results differ"; exit 1; }

awk -v n="$N" '
function load(name,   f, l) {
	f = dir "/" name ".time"
	getline l < f
	split(l, a, " ")
	wall[name] = a[1]; cpu[name] = a[2] + a[3]; rss[name] = a[4] / 1024
}
BEGIN {
	dir = ARGV[1]; ARGV[1] = ""
	load("fa"); load("fa1"); load("fa_small"); load("python"); load("jq")
	printf "%-26s %8s %8s %9s %12s %11s\n", "tool", "wall s", "cpu s",
	    "max MiB", "x wall (fa)", "x cpu (fa)"
	split("fa fa1 python jq", order, " ")
	label["fa"] = "flow-analyzer"; label["fa1"] = "flow-analyzer 1 thread"
	label["python"] = "python3 json"; label["jq"] = "jq"
	for (i = 1; i <= 4; i++) {
		t = order[i]
		printf "%-26s %8.2f %8.2f %9.1f %12.1f %11.1f\n", label[t],
		    wall[t], cpu[t], rss[t], wall[t] / wall["fa"],
		    cpu[t] / cpu["fa1"]
	}
	printf "flow-analyzer peak memory: %.1f MiB at %d lines, %.1f MiB at %d lines\n",
	    rss["fa_small"], n / 10, rss["fa"], n
}' "$out"
