#!/bin/sh
# flow-analyzer on every Hubble JSON file in shared/data/hubble: the
# numbers in --export json (flow count, verdicts, every edge with its
# flow and drop counts, HTTP 4xx/5xx, DNS per query, latency
# percentiles) must equal what an independent jq model computes
# (flow-analyzer/expect.jq); percentiles within the stated 1%.
set -u
FA="$BIN/flow-analyzer"
DIR="$SHARED_DATA/hubble"
here=$(cd "$(dirname "$0")" && pwd)
command -v jq >/dev/null || { echo "jq not installed"; exit 77; }
[ -d "$DIR" ] || { echo "no shared data at $DIR"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
for f in "$DIR"/*.json "$DIR"/*.log; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	name=$(basename "$f")
	if ! "$FA" --input "$f" --export json >"$tmp/out.json" 2>"$tmp/err"; then
		echo "FAIL $name: flow-analyzer failed"; cat "$tmp/err"; fail=1
		continue
	fi
	jq -s -f "$here/flow-analyzer/expect.jq" "$f" >"$tmp/exp.json" || {
		echo "FAIL $name: jq model failed"; fail=1; continue; }
	# Compare: actual numbers shaped like the model's.
	jq -n --slurpfile a "$tmp/out.json" --slurpfile e "$tmp/exp.json" '
	  $a[0] as $a | $e[0] as $e
	  | def q(v; p): v[((p * ((v | length) - 1)) | floor)];
	  [
	    (if $a.summary.flows != $e.flows then "flows \($a.summary.flows) != \($e.flows)" else empty end),
	    (if $a.summary.verdicts != $e.verdicts then "verdicts \($a.summary.verdicts) != \($e.verdicts)" else empty end),
	    ([$a.edges[] | "\(.source_name)|\(.destination_name)|\(.protocol)|\(.port)|\(.flows)"] | sort) as $ae
	    | (if $ae != $e.edges then "edges differ: got \($ae - $e.edges) want \($e.edges - $ae)" else empty end),
	    (if $a.summary.edges != ($e.edges | length) then "edge count" else empty end),
	    ([$a.edges[] | select(.dropped > 0) | "\(.source_name)|\(.destination_name)|\(.protocol)|\(.port)|\(.dropped)"] | sort) as $ad
	    | (if $ad != $e.dropped_edges then "dropped edges \($ad) != \($e.dropped_edges)" else empty end),
	    (if [$a.summary.http_responses, $a.summary.http_4xx, $a.summary.http_5xx] != [$e.http.responses, $e.http.x4, $e.http.x5]
	     then "http \([$a.summary.http_responses, $a.summary.http_4xx, $a.summary.http_5xx]) != \($e.http)" else empty end),
	    (if ($a.dns | map({query, queries, responses, errors}) | sort_by(.query)) != ($e.dns | sort_by(.query))
	     then "dns \($a.dns) != \($e.dns)" else empty end),
	    ($e.latency[] as $l
	     | ($a.services | map(select(.name == $l.service))[0].latency) as $al
	     | if $al == null then "no latency for \($l.service)"
	       elif $al.count != ($l.values | length) then "latency count \($l.service)"
	       elif $al.max_ns != ($l.values | max) then "latency max \($l.service)"
	       else ([0.5, 0.9, 0.99] | map(. as $p | q($l.values; $p) as $x
	              | ({"0.5": $al.p50_ns, "0.9": $al.p90_ns, "0.99": $al.p99_ns}["\($p)"]) as $got
	              | if (($got - $x) | fabs) > 0.01 * $x + 1
	                then "p\($p) \($l.service): \($got) vs exact \($x)" else empty end)) | .[]
	       end)
	  ] | .[]' >"$tmp/diff" || { echo "FAIL $name: compare failed"; fail=1; continue; }
	if [ -s "$tmp/diff" ]; then
		echo "FAIL $name:"; sed 's/^/    /' "$tmp/diff"; fail=1
	else
		echo "ok $name: $(jq -c '[.summary.flows, .summary.edges, .summary.http_5xx, .summary.dns_errors]' "$tmp/out.json") (flows, edges, 5xx, dns errors)"
	fi
	# text: the "HTTP errors per service" table lists the services the
	# JSON report gives HTTP errors, with the same counts, most first
	"$FA" --input "$f" >"$tmp/out.txt" 2>/dev/null
	awk '/^HTTP errors per service$/ { on = 1; getline; next }
	    on && NF == 0 { on = 0 } on { print $1, $2, $3, $4 }' \
	    "$tmp/out.txt" >"$tmp/svc.txt"
	jq -r '[.services[] | select(.http_4xx + .http_5xx > 0)]
	    | sort_by(-(.http_4xx + .http_5xx), .name)[]
	    | "\(.name) \(.http_responses) \(.http_4xx) \(.http_5xx)"' \
	    "$tmp/out.json" >"$tmp/svc.json"
	if ! cmp -s "$tmp/svc.txt" "$tmp/svc.json"; then
		echo "FAIL $name: HTTP errors per service (text vs json)"
		diff "$tmp/svc.txt" "$tmp/svc.json"; fail=1
	fi
	[ -s "$tmp/svc.json" ] && http_svc=$((${http_svc:-0} + 1))
	# csv: RFC 4180 as Python's csv module reads it, one row per flow,
	# every row with the header's columns
	"$FA" --input "$f" --export csv >"$tmp/out.csv" || { echo "FAIL $name: csv"; fail=1; }
	rows=$(python3 -c 'import csv,sys
r=list(csv.reader(open(sys.argv[1],newline="")))
assert all(len(x)==len(r[0]) for x in r), "ragged"
assert r[0][0]=="time" and r[0][-1]=="summary"
print(len(r)-1)' "$tmp/out.csv") || { echo "FAIL $name: csv unreadable"; fail=1; }
	[ "$rows" = "$(jq '.summary.flows' "$tmp/out.json")" ] ||
		{ echo "FAIL $name: csv has $rows rows"; fail=1; }
	# --export flows round-trips: analyzing the written lines gives the
	# same report; a filter in the middle of a pipe keeps what jq keeps
	"$FA" --input "$f" --export flows | "$FA" --json >"$tmp/rt.json" 2>"$tmp/rt.err"
	jq -S 'del(.nodes, .edges[].source, .edges[].destination)' "$tmp/out.json" >"$tmp/a.norm"
	jq -S 'del(.nodes, .edges[].source, .edges[].destination)' "$tmp/rt.json" >"$tmp/b.norm"
	cmp -s "$tmp/a.norm" "$tmp/b.norm" ||
		{ echo "FAIL $name: --export flows round trip differs"; diff "$tmp/a.norm" "$tmp/b.norm" | head; fail=1; }
	got=$("$FA" --input "$f" --verdict FORWARDED --protocol tcp --export flows | grep -c .)
	want=$(jq -s '[.[] | .flow // empty | select(.verdict == "FORWARDED" and .l4.TCP)] | length' "$f")
	[ "$got" = "$want" ] || { echo "FAIL $name: filtered flows $got, jq $want"; fail=1; }
done
[ $n -gt 0 ] || { echo "no hubble JSON files"; exit 77; }

# The parallel path (several threads over byte ranges of a file) gives
# the same report as one thread, bad lines, an over-long line, a bad
# string in a field the report skips and a last line without a newline
# included, with the same messages and line numbers (the time series may
# get a coarser interval: only its total is compared).
D="$DIR/cilium-hubble-otel_testdata_basic-sample-400-tcp-flows.json"
U="$DIR/cilium-hubble-otel_testdata_basic-sample-400-udp-flows.json"
{ head -50 "$D"; echo '{"flow": broken'; sed -n 51,300p "$D"; echo 'not json'
  head -c 4300000 /dev/zero | tr '\0' x; echo; sed -n 301,400p "$D"; cat "$U"
  printf '{"flow":{"uuid":"\377","Summary":"x"},"node_name":"n"}\n'
  printf '%s' "$(head -1 "$U")"
} >"$tmp/mixed.json"
norm='.time_series |= ([.buckets[].flows] | add) | del(.nodes) | .edges |= map(del(.source, .destination)) | .top_talkers |= sort_by(.name) | .top_destinations |= sort_by(.name) | .services |= sort_by(.name) | .dns |= sort_by(.query)'
for t in 1 2 3 7; do
	FLOW_ANALYZER_THREADS=$t "$FA" -i "$tmp/mixed.json" --json \
	    >"$tmp/par$t.json" 2>"$tmp/par$t.err"
	jq -S "$norm" "$tmp/par$t.json" >"$tmp/par$t.norm"
done
for t in 2 3 7; do
	cmp -s "$tmp/par1.norm" "$tmp/par$t.norm" ||
		{ echo "FAIL $t threads: report differs"; diff "$tmp/par1.norm" "$tmp/par$t.norm" | head; fail=1; }
	cmp -s "$tmp/par1.err" "$tmp/par$t.err" ||
		{ echo "FAIL $t threads: messages differ"; cat "$tmp/par$t.err"; fail=1; }
done
grep -q 'mixed.json:51: ' "$tmp/par1.err" && grep -q 'mixed.json:303: line longer' "$tmp/par1.err" ||
	{ echo "FAIL bad-line messages:"; cat "$tmp/par1.err"; fail=1; }
[ "$(jq .summary.flows "$tmp/par1.json")" = 802 ] || { echo "FAIL mixed: flow count"; fail=1; }
: >"$tmp/empty.json"
for t in 1 2; do
	[ "$(FLOW_ANALYZER_THREADS=$t "$FA" -i "$tmp/empty.json" --json |
	    jq .summary.flows)" = 0 ] || { echo "FAIL empty file, $t threads"; fail=1; }
done
echo "ok parallel path = one thread (2, 3, 7 threads, bad lines)"
[ "${http_svc:-0}" -ge 1 ] ||
	{ echo "FAIL no file exercised HTTP errors per service"; fail=1; }
exit $fail
