#!/bin/sh
# flow-analyzer's command line: --help/--version, usage errors (exit 2
# with "usage:" on stderr), the text report and the text graph on every
# Hubble sample, stdin input, bad input lines named by file and line.
set -u
FA="$BIN/flow-analyzer"
DIR="$SHARED_DATA/hubble"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

"$FA" --help >"$tmp/help" 2>&1 && grep -q '^usage: flow-analyzer' "$tmp/help" ||
	{ echo "FAIL --help"; fail=1; }
# every long option in --help is in the man page
mandoc -T ascii "$ROOT/man/flow-analyzer.1" | col -b >"$tmp/man"
for opt in $(grep -o -- '--[a-z][a-z-]*' "$tmp/help" | sort -u); do
	grep -q -- "$opt" "$tmp/man" ||
	    { echo "FAIL $opt not in flow-analyzer.1"; fail=1; }
done
"$FA" --version | grep -q '^flow-analyzer [0-9]' || { echo "FAIL --version"; fail=1; }

f="$DIR/cilium-hubble-otel_testdata_basic-sample-5-http-flows.json"
while read -r args; do
	# shellcheck disable=SC2086
	"$FA" -i "$f" $args >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 2 ] || ! grep -q '^usage: ' "$tmp/err"; then
		echo "FAIL '$args': exit $rc, want 2 with usage"; cat "$tmp/err"; fail=1
	fi
done <<'EOF2'
--verdict MAYBE
--protocol quic
--port 70000
--type l9
--pod a/b/c
--since yesterday
--since 2024-01-02 --until 2024-01-01
--format dot
--export pdf
--export json --json
--visualize --export csv
--top 0
--live
extra-argument
EOF2
"$FA" -i "$tmp/nonexistent" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'nonexistent' "$tmp/err" || { echo "FAIL missing file"; fail=1; }

for f in "$DIR"/*.json "$DIR"/*.log; do
	"$FA" -i "$f" >"$tmp/text" 2>"$tmp/err" &&
	    grep -q '^Summary' "$tmp/text" && grep -q '^Topology' "$tmp/text" &&
	    [ ! -s "$tmp/err" ] || { echo "FAIL text report of $f"; fail=1; }
	"$FA" -i "$f" --visualize --format text >"$tmp/graph" &&
	    [ -s "$tmp/graph" ] || { echo "FAIL text graph of $f"; fail=1; }
	# stdin gives the same report as the file
	"$FA" <"$f" >"$tmp/text2" && cmp -s "$tmp/text" "$tmp/text2" ||
	    { echo "FAIL stdin report differs for $f"; fail=1; }
done

# bad lines: named by file and line, skipped, the rest analyzed
{ head -2 "$f"; echo '{"flow":'; echo 'garbage'; tail -n +3 "$f"; } >"$tmp/bad.json"
"$FA" -i "$tmp/bad.json" --json >"$tmp/bad.out" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && grep -q 'bad.json:3: ' "$tmp/err" && grep -q 'bad.json:4: ' "$tmp/err" &&
    [ "$(jq .summary.flows "$tmp/bad.out")" = "$(grep -c . "$f")" ] ||
	{ echo "FAIL bad lines (rc $rc)"; cat "$tmp/err"; fail=1; }
# Ctrl-C on a pipe that never ends (hubble observe --follow | ...):
# the report of what came, at once, exit 6, and a half-written last
# line dropped without a message
. "$ROOT/test/integ/ctrlc_pipe.inc"
ctrlc_pipe "$tmp" "$f" '{"flow":{"verdict":' "$FA" --json
[ $cp_rc -eq 6 ] && [ $cp_secs -le 3 ] &&
    [ "$(jq .summary.flows "$tmp/int.out")" = "$(grep -c . "$f")" ] &&
    grep -q 'interrupted: the report covers' "$tmp/int.err" &&
    [ "$(wc -l <"$tmp/int.err")" -eq 1 ] ||
	{ echo "FAIL Ctrl-C on a pipe (rc $cp_rc, $cp_secs s)"; cat "$tmp/int.err"; fail=1; }
# pretty-printed flows (jq ., jq -s .): the report of the compact lines,
# from a file (also on the threaded path), stdin, and as flow lines
g="$DIR/cilium-hubble-otel_testdata_basic-sample-400-tcp-flows.json"
"$FA" -i "$g" --json | jq -S 'del(.input)' >"$tmp/c.json"
"$FA" -i "$g" -e flows >"$tmp/fl.json"
for p in . '-s .'; do
	# shellcheck disable=SC2086
	jq $p "$g" >"$tmp/p.json"
	for how in file threads stdin; do
		case $how in
		file) "$FA" -i "$tmp/p.json" --json ;;
		threads) FLOW_ANALYZER_THREADS=2 "$FA" -i "$tmp/p.json" --json ;;
		stdin) "$FA" --json <"$tmp/p.json" ;;
		esac >"$tmp/o.json" 2>"$tmp/err"
		jq -S 'del(.input)' "$tmp/o.json" >"$tmp/o2.json" 2>/dev/null
		cmp -s "$tmp/o2.json" "$tmp/c.json" && [ ! -s "$tmp/err" ] ||
		    { echo "FAIL jq $p flows ($how)"; head -3 "$tmp/err"; fail=1; }
	done
	"$FA" -i "$tmp/p.json" -e flows | cmp -s - "$tmp/fl.json" ||
	    { echo "FAIL jq $p flows (-e flows)"; fail=1; }
done
# hubble observe's text output: one message with the advice, exit 2
printf 'May  4 13:23:40.501 [n1]: default/a:1 -> default/b:80 to-stack FORWARDED (TCP Flags: SYN)\n' >"$tmp/compact.txt"
"$FA" -i "$tmp/compact.txt" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'compact.txt:1: .*run hubble observe with -o jsonpb' "$tmp/err" &&
    [ "$(grep -c jsonpb "$tmp/err")" -eq 1 ] ||
	{ echo "FAIL hubble compact text"; cat "$tmp/err"; fail=1; }
# a gzip-compressed exporter file: one message, exit 2
if command -v gzip >/dev/null; then
	gzip -c "$f" >"$tmp/events.log.gz"
	"$FA" -i "$tmp/events.log.gz" >/dev/null 2>"$tmp/err"
	[ $? -eq 2 ] && grep -q 'gzip-compressed.*zcat' "$tmp/err" &&
	    [ "$(wc -l <"$tmp/err")" -eq 1 ] ||
		{ echo "FAIL gzip input"; cat "$tmp/err"; fail=1; }
fi
# UTF-16 (a PowerShell redirect): one message, exit 2
printf '\377\376{\000}\000\n\000' >"$tmp/u16.json"
"$FA" -i "$tmp/u16.json" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'UTF-16.*iconv' "$tmp/err" &&
    [ "$(wc -l <"$tmp/err")" -eq 1 ] ||
	{ echo "FAIL UTF-16 input"; cat "$tmp/err"; fail=1; }
printf 'nothing here\n' >"$tmp/none.json"
"$FA" -i "$tmp/none.json" >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL input without a valid line should exit 2"; fail=1; }
exit $fail
