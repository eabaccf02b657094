#!/bin/sh
# bench: analyze-drops against the same aggregation in jq and in a
# Python json loop (drop reasons, top 10 sources, top 10 destinations),
# on the same generated file in the same run; then analyze-drops' max
# RSS at 1M and 10M lines (streamed from the generator) to show that
# memory stays flat.  Results go in bench/README.md, "## analyze-drops".
#
# Environment: BUILD, BENCH_OUT (scratch folder), N (default 1000000),
# BIG (default 10000000; 0 skips the 10M run).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
BIN=$ROOT/$BUILD/bin
GEN=$ROOT/$BUILD/tools/gen-flows
OUT=${BENCH_OUT:-$ROOT/bench/out}
N=${N:-1000000}
BIG=${BIG:-10000000}
TIME=/usr/bin/time
mkdir -p "$OUT"
export LC_ALL=C

if [ ! -x "$TIME" ]; then
	echo "bench: /usr/bin/time missing (Debian package time; make deps)" >&2
	exit 1
fi
flows=$OUT/flows-$N.json
if [ ! -s "$flows" ]; then
	"$GEN" -n "$N" --seed 7 >"$flows.tmp" && mv "$flows.tmp" "$flows" ||
		exit 1
fi
size=$(wc -c <"$flows")
echo "input: $N flow lines, $((size / 1048576)) MiB ($flows)"

cat >"$OUT/agg.jq" <<'JQ'
reduce (inputs | (.flow // .) | select(.verdict == "DROPPED")) as $f
  ({r: {}, s: {}, d: {}};
   .r[($f.drop_reason_desc // "UNKNOWN" | tostring)] += 1
   | .s[(if $f.source.pod_name then ($f.source.namespace // "") + "/" +
	 $f.source.pod_name else ($f.IP.source // "unknown") end)] += 1
   | .d[((if $f.destination_service.name then
	   ($f.destination_service.namespace // "") + "/" +
	   $f.destination_service.name
	 elif $f.destination.pod_name then ($f.destination.namespace // "") +
	   "/" + $f.destination.pod_name
	 else ($f.IP.destination // "unknown") end) + ":" +
	(($f.l4.TCP.destination_port // $f.l4.UDP.destination_port //
	  $f.l4.SCTP.destination_port // 0) | tostring))] += 1)
| {total: ([.r[]] | add),
   reasons: (.r | to_entries | sort_by(-.value)),
   top_sources: (.s | to_entries | sort_by(-.value) | .[:10]),
   top_destinations: (.d | to_entries | sort_by(-.value) | .[:10])}
JQ
cat >"$OUT/agg.py" <<'PY'
import json
import sys
from collections import Counter

r, s, d = Counter(), Counter(), Counter()
for line in sys.stdin:
    try:
        o = json.loads(line)
    except ValueError:
        continue
    f = o.get("flow", o)
    if f.get("verdict") != "DROPPED":
        continue
    r[str(f.get("drop_reason_desc", "UNKNOWN"))] += 1
    src, dst = f.get("source", {}), f.get("destination", {})
    ip = f.get("IP", {})
    if src.get("pod_name"):
        s[src.get("namespace", "") + "/" + src["pod_name"]] += 1
    else:
        s[ip.get("source", "unknown")] += 1
    svc = f.get("destination_service", {})
    if svc.get("name"):
        name = svc.get("namespace", "") + "/" + svc["name"]
    elif dst.get("pod_name"):
        name = dst.get("namespace", "") + "/" + dst["pod_name"]
    else:
        name = ip.get("destination", "unknown")
    l4 = f.get("l4", {})
    port = 0
    for k in ("TCP", "UDP", "SCTP"):
        if k in l4:
            port = l4[k].get("destination_port", 0)
    d[name + ":" + str(port)] += 1
json.dump({"total": sum(r.values()), "reasons": r.most_common(),
           "top_sources": s.most_common(10),
           "top_destinations": d.most_common(10)}, sys.stdout)
print()
PY

# run NAME CMD...: "wall cpu maxrss" (s, s, KiB) into $OUT/NAME.time.
# CPU time (user + system, children included) is the fair comparison
# on a shared machine; wall time is printed too.  The file is read
# once before each run so every tool starts with a warm page cache.
run() {
	name=$1; shift
	cat "$flows" >/dev/null		# same warm page cache for everyone
	"$TIME" -f '%e %U %S %M' -o "$OUT/$name.raw" "$@" >"$OUT/$name.out" \
	    2>"$OUT/$name.err"
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$OUT/$name.raw" \
	    >"$OUT/$name.time"
	read -r w c m <"$OUT/$name.time"
	echo "$name: wall ${w}s, cpu ${c}s, max RSS ${m} KiB"
}

# analyze-drops is quick: three runs, the median (by CPU) is kept.
for i in 1 2 3; do
	run "analyze-drops-$i" "$BIN/analyze-drops" -i "$flows" --json
done
for i in 1 2 3; do
	printf '%s %s\n' "$(cut -d' ' -f2 "$OUT/analyze-drops-$i.time")" "$i"
done | sort -n | sed -n 2p | {
	read -r _ med
	cp "$OUT/analyze-drops-$med.time" "$OUT/analyze-drops.time"
	cp "$OUT/analyze-drops-$med.out" "$OUT/analyze-drops.out"
	echo "analyze-drops median: run $med"
}
run analyze-drops-text "$BIN/analyze-drops" -i "$flows" --detail
run jq sh -c "jq -n -c -f '$OUT/agg.jq' <'$flows'"
run python sh -c "python3 '$OUT/agg.py' <'$flows'"

# Same totals, or the comparison is void.
t_ad=$(jq .total_drops "$OUT/analyze-drops.out")
t_jq=$(jq .total "$OUT/jq.out")
t_py=$(jq .total "$OUT/python.out")
echo "drops counted: analyze-drops $t_ad, jq $t_jq, python $t_py"
if [ "$t_ad" != "$t_jq" ] || [ "$t_ad" != "$t_py" ]; then
	echo "bench: totals differ" >&2
	exit 1
fi

for f in 1 2; do
	awk -v a="$(cut -d' ' -f$f "$OUT/analyze-drops.time")" \
	    -v j="$(cut -d' ' -f$f "$OUT/jq.time")" \
	    -v p="$(cut -d' ' -f$f "$OUT/python.time")" \
	    -v what="$([ $f = 1 ] && echo wall || echo cpu)" 'BEGIN {
		best = j < p ? j : p
		if (a < 0.01) a = 0.01
		printf "%s time: jq %.1fx, python %.1fx of analyze-drops; " \
		    "the faster of the two: %.1fx (goal >= 10x)\n", what,
		    j / a, p / a, best / a
	}'
done

# Memory: streamed input, so the file size does not matter.
rss() {
	"$GEN" -n "$1" --seed 7 |
		"$TIME" -f '%e %M' -o "$OUT/rss-$1.time" \
		    "$BIN/analyze-drops" --json >"$OUT/rss-$1.out" \
		    2>"$OUT/rss-$1.err"
	echo "max RSS at $1 lines: $(cut -d' ' -f2 "$OUT/rss-$1.time") KiB" \
	    "($(cut -d' ' -f1 "$OUT/rss-$1.time") s wall, generator in the" \
	    "pipe; $(jq .total_drops "$OUT/rss-$1.out") drops)"
}
rss "$N"
[ "$BIG" -gt 0 ] && rss "$BIG"
exit 0
