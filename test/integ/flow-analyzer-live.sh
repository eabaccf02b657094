#!/bin/sh
# flow-analyzer --live: following a growing exporter file across
# rotation and truncation (tail -F), the hubble source (a stand-in
# `hubble` on PATH that records its argv and prints real sample flows),
# SIGINT ending with the final report, and the live web view polled by
# the page in headless Chromium.
set -u
FA="$BIN/flow-analyzer"
GEN="$TOOLS/gen-flows"
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0

lines() { if [ -f "$1" ]; then grep -c . "$1"; else echo 0; fi; }
# wait_lines FILE N: until FILE has N lines (10 s at most)
wait_lines() {
	i=0
	while [ "$(lines "$1")" -lt "$2" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(lines "$1")" -eq "$2" ]
}

# --- follow: growth, rotation, truncation --------------------------------
"$GEN" -n 400 --seed 7 >"$tmp/all.json"
sed -n '1,100p' "$tmp/all.json" >"$tmp/events.log"
"$FA" -i "$tmp/events.log" --follow --export flows -o "$tmp/out.json" 2>"$tmp/err1" &
p1=$!
pids="$p1"
wait_lines "$tmp/out.json" 100 || { echo "FAIL follow: initial 100"; fail=1; }
sed -n '101,150p' "$tmp/all.json" >>"$tmp/events.log"
wait_lines "$tmp/out.json" 150 || { echo "FAIL follow: growth to 150"; fail=1; }
mv "$tmp/events.log" "$tmp/events.log.1"
sleep 0.3
sed -n '151,180p' "$tmp/all.json" >"$tmp/events.log"
wait_lines "$tmp/out.json" 180 || { echo "FAIL follow: rotation to 180 ($(lines "$tmp/out.json"))"; fail=1; }
: >"$tmp/events.log"
sleep 0.8
sed -n '181,200p' "$tmp/all.json" >>"$tmp/events.log"
wait_lines "$tmp/out.json" 200 || { echo "FAIL follow: truncation to 200 ($(lines "$tmp/out.json"))"; fail=1; }
sleep 1.2
kill -INT $p1
wait $p1; rc1=$?
pids=""
[ $rc1 -eq 0 ] || { echo "FAIL follow: exit $rc1"; cat "$tmp/err1"; fail=1; }
# the flows written back are the flows read (same uuids, same order)
sed -n '1,200p' "$tmp/all.json" | jq -r '.flow.uuid' >"$tmp/u.want"
jq -r '.flow.uuid' "$tmp/out.json" >"$tmp/u.got"
cmp -s "$tmp/u.want" "$tmp/u.got" || { echo "FAIL follow: flows differ"; fail=1; }
[ $fail -eq 0 ] && echo "ok follow: growth, rotation, truncation, SIGINT"

# --- hubble on PATH ---------------------------------------------------------
mkdir "$tmp/bin"
src="$SHARED_DATA/hubble/cilium-hubble-otel_testdata_basic-sample-400-udp-flows.json"
cat >"$tmp/bin/hubble" <<EOS
#!/bin/sh
printf '%s\n' "\$@" >"$tmp/hubble.args"
cat "$src"
exec sleep 60
EOS
chmod +x "$tmp/bin/hubble"
PATH="$tmp/bin:$PATH" "$FA" --live -n kube-system --verdict FORWARDED --port 53 \
    --json -o "$tmp/hub.json" 2>"$tmp/err3" &
p3=$!
pids=$p3
i=0
while [ ! -s "$tmp/hubble.args" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1.5
kill -INT $p3
wait $p3; rc3=$?
pids=""
printf 'observe\n--follow\n-o\njsonpb\n--namespace\nkube-system\n--verdict\nFORWARDED\n--port\n53\n' >"$tmp/args.want"
cmp -s "$tmp/args.want" "$tmp/hubble.args" ||
	{ echo "FAIL hubble argv:"; cat "$tmp/hubble.args"; fail=1; }
want=$(jq -s '[.[] | .flow | select((.source.namespace == "kube-system" or .destination.namespace == "kube-system") and .verdict == "FORWARDED" and ((.l4.UDP // .l4.TCP // {}) | .source_port == 53 or .destination_port == 53))] | length' "$src")
got=$(jq '.summary.flows' "$tmp/hub.json" 2>/dev/null)
[ $rc3 -eq 0 ] && [ "$got" = "$want" ] ||
	{ echo "FAIL hubble: rc $rc3, $got flows, want $want"; cat "$tmp/err3"; fail=1; }
pgrep -f "sleep 60" -P $p3 >/dev/null 2>&1 && { echo "FAIL hubble left running"; fail=1; }
printf '#!/bin/sh\necho "hubble: no relay" >&2\nexit 3\n' >"$tmp/bin/hubble"
PATH="$tmp/bin:$PATH" "$FA" --live --json >/dev/null 2>"$tmp/err4"
rc4=$?
[ $rc4 -eq 5 ] && grep -q "hubble exited with status 3" "$tmp/err4" ||
	{ echo "FAIL failing hubble: rc $rc4"; cat "$tmp/err4"; fail=1; }
[ $fail -eq 0 ] && echo "ok hubble source: argv, filters, SIGINT, failure status"
PATH=/nonexistent "$FA" --live >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL --live without a source should be a usage error"; fail=1; }

# --- live web view ----------------------------------------------------------
sed -n '1,100p' "$tmp/all.json" >"$tmp/web.log"
"$FA" -i "$tmp/web.log" --follow --visualize --format dot --listen 127.0.0.1:0 \
    >"$tmp/final.dot" 2>"$tmp/err5" &
p5=$!
pids=$p5
i=0
while ! grep -q 'http://' "$tmp/err5" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$tmp/err5" | head -1)
[ -n "$url" ] || { echo "FAIL live view: no URL on stderr"; cat "$tmp/err5"; exit 1; }
fetch() { python3 -c 'import sys,urllib.request as u
try:
  r=u.urlopen(u.Request(sys.argv[1], method=sys.argv[2]) ,timeout=5); print(r.status); sys.stdout.flush(); sys.stdout.buffer.write(r.read())
except u.HTTPError as e: print(e.code)' "$@"; }
flows_now() { fetch "${url}report.json" GET | sed 1d | jq '.summary.flows'; }
i=0
while [ "$(flows_now)" != 100 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
[ "$(flows_now)" = 100 ] || { echo "FAIL live view: report.json"; fail=1; }
[ "$(fetch "${url}nope" GET | head -1)" = 404 ] || { echo "FAIL live view: 404"; fail=1; }
[ "$(fetch "${url}" POST | head -1)" = 405 ] || { echo "FAIL live view: 405"; fail=1; }
if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then
	# the page loads with 100 flows; 100 more arrive; it must show 200
	(sleep 3; sed -n '101,200p' "$tmp/all.json" >>"$tmp/web.log") &
	i=0
	python3 "$here/flow-analyzer/browser.py" "$url" --live-flows 200 \
	    --nodes "$(fetch "${url}report.json" GET | sed 1d | jq '.summary.nodes')" \
	    --edges -1 --click demo/frontend \
	    --shot "$ROOT/$BUILD/artifacts/flow-analyzer-live.png" >"$tmp/b.out" 2>&1
	# edge count changes while flows arrive: only the live checks count
	cp "$tmp/b.out" "$ROOT/$BUILD/artifacts/flow-analyzer-live.log"
	grep -q "^ok   live page polled a report with >= 200 flows" "$tmp/b.out" &&
	grep -q "^ok   click on the node shows its details" "$tmp/b.out" ||
		{ echo "FAIL live page:"; cat "$tmp/b.out"; fail=1; }
else
	echo "chromium not installed: live page check skipped"
fi
kill -INT $p5
wait $p5; rc5=$?
pids=""
[ $rc5 -eq 0 ] && grep -q '^digraph' "$tmp/final.dot" ||
	{ echo "FAIL live view: final dot (rc $rc5)"; fail=1; }
[ $fail -eq 0 ] && echo "ok live web view: JSON endpoint, page updates, final map"
exit $fail
