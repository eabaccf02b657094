#!/bin/sh
# The HTML report in a real browser (headless Chromium driven over the
# DevTools protocol by flow-analyzer/browser.py): nodes and edges drawn,
# a mouse click on a node shows its details, edges click, tables sort,
# namespace filter; flows whose pod names, labels, URLs and DNS names
# hold markup render as text and run nothing.  Screenshots are kept in
# $BUILD/artifacts/.  Graphviz accepts the DOT output of every sample.
set -u
FA="$BIN/flow-analyzer"
here=$(cd "$(dirname "$0")" && pwd)
art="$ROOT/$BUILD/artifacts"
mkdir -p "$art"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# DOT first: needs only graphviz.
if command -v dot >/dev/null 2>&1; then
	for f in "$SHARED_DATA"/hubble/*.json "$SHARED_DATA"/hubble/*.log \
	    "$here/flow-analyzer/hostile.json"; do
		[ -f "$f" ] || continue
		"$FA" -i "$f" --visualize --format dot >"$tmp/g.dot" &&
		    dot -Tsvg "$tmp/g.dot" >"$tmp/g.svg" 2>"$tmp/dot.err" &&
		    [ ! -s "$tmp/dot.err" ] ||
		    { echo "FAIL dot rejects the map of $f"; cat "$tmp/dot.err"; fail=1; }
	done
	# the SVG keeps the hostile names as text
	grep -q '&lt;/script&gt;&lt;script&gt;window.__pwned=1' "$tmp/g.svg" ||
		{ echo "FAIL hostile name missing from the dot SVG"; fail=1; }
	echo "ok dot accepts every map"
else
	echo "dot not installed: DOT check skipped"
fi

command -v python3 >/dev/null 2>&1 || { echo "no python3"; exit 77; }
[ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 ||
	{ echo "chromium not installed"; exit 77; }

page() {	# page INPUT NAME CLICK [browser.py args...]
	in=$1 name=$2 click=$3
	shift 3
	"$FA" -i "$in" --export html -o "$tmp/$name.html" || return 1
	"$FA" -i "$in" --json >"$tmp/$name.json" || return 1
	nodes=$(jq '.summary.nodes' "$tmp/$name.json")
	edges=$(jq '.summary.edges' "$tmp/$name.json")
	python3 "$here/flow-analyzer/browser.py" "file://$tmp/$name.html" \
	    --nodes "$nodes" --edges "$edges" --click "$click" \
	    --shot "$art/flow-analyzer-$name.png" "$@"
}

page "$SHARED_DATA/hubble/cilium-hubble-otel_testdata_basic-sample-400-tcp-flows.json" \
    report bookinfo/productpage-v1 || fail=1
page "$SHARED_DATA/hubble/cilium-cilium_Documentation_observability_hubble_configuration_export.rst_events.log" \
    drops default/xwing || fail=1
page "$here/flow-analyzer/hostile.json" hostile \
    'evil"ns/</script><script>window.__pwned=1</script>' \
    --hostile 'evil"ns/</script><script>window.__pwned=1</script>' \
    --hostile 'demo/<img src=x onerror=window.__pwned=2>' \
    --hostile "</style><script>window.__pwned=4</script>'\"x.example." \
    || fail=1
# the raw file never holds the markup outside the escaped JSON
if grep -q '<script>window' "$tmp/hostile.html"; then
	echo "FAIL hostile markup appears unescaped in the HTML file"; fail=1
fi
if [ -n "$(grep -o 'https\?://[a-zA-Z0-9./_-]*' "$tmp/report.html" | grep -v 'http://www.w3.org' | head -1)" ]; then
	echo "FAIL the report refers to a network URL"; fail=1
fi
exit $fail
